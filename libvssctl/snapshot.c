// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - snapshots: Query, DeleteSnapshots, changed-block tracking.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DUMP_RETRIES 5

static int snap_one_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct vss_snapshot_info *si = arg;

	return vss__parse_snapshot(nlh, nlh->nlmsg_type, si);
}

VSS_EXPORT int vss_snapshot_get(struct vss_ctx *ctx, const vss_id_t *id,
				struct vss_snapshot_info *info)
{
	struct vss_snapshot_info si;
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, id);
	VSS_NEED(ctx, info);
	vss__clear_error(ctx);
	req = vss__req_new(ctx, VSS_CMD_SNAPSHOT_GET, 0);
	vss__put_id(&req, VSS_A_SNAPSHOT_ID, id);
	memset(&si, 0, sizeof(si));
	rc = vss__request(ctx, &req, snap_one_cb, &si);
	if (rc)
		return rc;
	if (!si.lun[0])
		return vss__set_error(ctx, -EBADMSG, 0,
				      "the kernel did not reply with the snapshot");
	*info = si;
	return 0;
}

struct snap_list {
	struct vss_snapshot_info *a;
	size_t nr, alloc;
};

static int snap_list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct snap_list *l = arg;
	struct vss_snapshot_info si;
	int rc;

	rc = vss__parse_snapshot(nlh, nlh->nlmsg_type, &si);
	if (rc)
		return rc;
	return vss__array_push((void **)&l->a, &l->nr, &l->alloc, sizeof(si),
			       &si);
}

VSS_EXPORT int vss_snapshot_list(struct vss_ctx *ctx, const char *lun,
				 const vss_id_t *set_id,
				 struct vss_snapshot_info **snaps, size_t *nr)
{
	int rc = -EAGAIN;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, snaps);
	VSS_NEED(ctx, nr);
	vss__clear_error(ctx);
	if (lun && (!lun[0] || strlen(lun) > VSS_LUN_NAME_MAX))
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "invalid LUN name");
	for (int i = 0; i < DUMP_RETRIES && rc == -EAGAIN; i++) {
		struct snap_list l = { 0 };
		struct vss_req req = vss__req_new(ctx, VSS_CMD_SNAPSHOT_GET,
						  NLM_F_DUMP);

		if (lun)
			vss__put_str(&req, VSS_A_SNAPSHOT_LUN, lun);
		if (set_id)
			vss__put_id(&req, VSS_A_SNAPSHOT_SET_ID, set_id);
		rc = vss__request(ctx, &req, snap_list_cb, &l);
		if (rc) {
			free(l.a);
			continue;
		}
		*snaps = l.a;
		*nr = l.nr;
	}
	return rc;
}

static int id_request(struct vss_ctx *ctx, const char *fn, uint8_t cmd,
		      int type, const vss_id_t *id)
{
	struct vss_req req;

	VSS_NEED(NULL, ctx);
	if (!id)
		return vss__null_arg(ctx, fn, "id");
	vss__clear_error(ctx);
	req = vss__req_new(ctx, cmd, 0);
	vss__put_id(&req, type, id);
	return vss__request(ctx, &req, NULL, NULL);
}

VSS_EXPORT int vss_snapshot_delete(struct vss_ctx *ctx, const vss_id_t *id)
{
	return id_request(ctx, __func__, VSS_CMD_SNAPSHOT_DEL,
			  VSS_A_SNAPSHOT_ID, id);
}

VSS_EXPORT int vss_snapshot_set_delete(struct vss_ctx *ctx,
				       const vss_id_t *set_id)
{
	return id_request(ctx, "vss_snapshot_set_delete", VSS_CMD_SET_DEL,
			  VSS_A_SET_ID, set_id);
}

static int set_break_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[VSS_A_SET_MAX + 1];
	unsigned int *count = arg;

	if (vss__genl_parse(nlh, nlh->nlmsg_type, tb, VSS_A_SET_MAX, NULL) ||
	    !tb[VSS_A_SET_SNAPSHOT_COUNT] ||
	    nla_len(tb[VSS_A_SET_SNAPSHOT_COUNT]) != sizeof(uint32_t))
		return -EBADMSG;
	*count = nla_get_u32(tb[VSS_A_SET_SNAPSHOT_COUNT]);
	return 0;
}

VSS_EXPORT int vss_snapshot_set_break(struct vss_ctx *ctx,
				      const vss_id_t *set_id,
				      unsigned int *count)
{
	struct vss_req req;
	unsigned int n = 0;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, set_id);
	vss__clear_error(ctx);
	req = vss__req_new(ctx, VSS_CMD_SET_BREAK, 0);
	vss__put_id(&req, VSS_A_SET_ID, set_id);
	rc = vss__request(ctx, &req, set_break_cb, &n);
	if (rc)
		return rc;
	if (count)
		*count = n;
	return 0;
}

struct changes {
	vss_extent_fn fn;
	void *arg;
	uint32_t chunk_size;
	int stop;		/* first non-zero return of fn */
};

static int changes_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct changes *c = arg;
	int stop;
	int rc;

	/* after a stop the rest of the dump is drained, not reported */
	if (c->stop)
		return 0;
	rc = vss__parse_changes(nlh, nlh->nlmsg_type, &c->chunk_size, c->fn,
				c->arg, &stop);
	if (rc)
		return rc;
	c->stop = stop;
	return 0;
}

VSS_EXPORT int vss_snapshot_changes(struct vss_ctx *ctx, const vss_id_t *id,
				    uint64_t from, uint32_t *chunk_size,
				    vss_extent_fn fn, void *arg)
{
	struct changes c = { .fn = fn, .arg = arg };
	struct vss_req req;
	struct nl_sock *sk;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, id);
	VSS_NEED(ctx, fn);
	vss__clear_error(ctx);
	if (from > INT64_MAX)
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "offset out of range");
	/*
	 * The dump runs on a socket of its own, without the context's lock:
	 * @fn is the caller's code and may call the library on @ctx (or
	 * another thread may, e.g. AbortBackup) however long the dump takes.
	 */
	rc = vss__sock_open(ctx, &sk);
	if (rc)
		return vss__set_error(ctx, rc, 0, "cannot open a netlink socket");
	req = vss__req_new(ctx, VSS_CMD_SNAPSHOT_CHANGES, NLM_F_DUMP);
	vss__put_id(&req, VSS_A_SNAPSHOT_ID, id);
	if (from)
		vss__put_u64(&req, VSS_A_SNAPSHOT_OFFSET, from);
	rc = vss__request_on(ctx, sk, &req, changes_cb, &c);
	vss__sock_close(sk);
	if (rc)
		return rc;
	if (chunk_size)
		*chunk_size = c.chunk_size;
	return c.stop;
}
