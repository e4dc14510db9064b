// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - protected LUN administration (lun-add, lun-del, lun-get).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Dumps interrupted by concurrent changes are retried this often. */
#define DUMP_RETRIES 5

static int lun_one_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct vss_lun_info *info = arg;

	return vss__parse_lun(nlh, nlh->nlmsg_type, info);
}

/* A name the kernel would refuse anyway: say why without a round trip. */
static int check_name(const struct vss_ctx *ctx, const char *name)
{
	if (!name || !name[0])
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "LUN name is empty");
	if (strlen(name) > VSS_LUN_NAME_MAX)
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "LUN name is longer than %d characters",
				      VSS_LUN_NAME_MAX);
	return 0;
}

VSS_EXPORT int vss_lun_add(struct vss_ctx *ctx,
			   const struct vss_lun_params *p,
			   struct vss_lun_info *info)
{
	struct vss_lun_info li;
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, p);
	vss__clear_error(ctx);
	rc = check_name(ctx, p->name);
	if (rc)
		return rc;
	if (!p->backing || !p->store)
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "backing and store devices are required");
	/* the kernel formats a store without a vss superblock: not silently */
	if (!p->format) {
		rc = vss__check_store(ctx, p->store);
		if (rc)
			return rc;
	}
	req = vss__req_new(ctx, VSS_CMD_LUN_ADD, 0);
	vss__put_str(&req, VSS_A_LUN_NAME, p->name);
	vss__put_str(&req, VSS_A_LUN_BACKING, p->backing);
	vss__put_str(&req, VSS_A_LUN_STORE, p->store);
	if (p->chunk_size)
		vss__put_u32(&req, VSS_A_LUN_CHUNK_SIZE, p->chunk_size);
	if (p->format)
		vss__put_flag(&req, VSS_A_LUN_FORMAT);
	memset(&li, 0, sizeof(li));
	rc = vss__request(ctx, &req, lun_one_cb, &li);
	if (rc)
		return rc;
	if (!li.name[0])
		return vss__set_error(ctx, -EBADMSG, 0,
				      "the kernel did not reply with the LUN");
	if (info)
		*info = li;
	return 0;
}

VSS_EXPORT int vss_lun_remove(struct vss_ctx *ctx, const char *name)
{
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	vss__clear_error(ctx);
	rc = check_name(ctx, name);
	if (rc)
		return rc;
	req = vss__req_new(ctx, VSS_CMD_LUN_DEL, 0);
	vss__put_str(&req, VSS_A_LUN_NAME, name);
	return vss__request(ctx, &req, NULL, NULL);
}

VSS_EXPORT int vss_lun_get(struct vss_ctx *ctx, const char *name,
			   struct vss_lun_info *info)
{
	struct vss_lun_info li;
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, info);
	vss__clear_error(ctx);
	rc = check_name(ctx, name);
	if (rc)
		return rc;
	req = vss__req_new(ctx, VSS_CMD_LUN_GET, 0);
	vss__put_str(&req, VSS_A_LUN_NAME, name);
	memset(&li, 0, sizeof(li));
	rc = vss__request(ctx, &req, lun_one_cb, &li);
	if (rc)
		return rc;
	if (!li.name[0])
		return vss__set_error(ctx, -EBADMSG, 0,
				      "the kernel did not reply with the LUN");
	*info = li;
	return 0;
}

struct lun_list {
	struct vss_lun_info *a;
	size_t nr, alloc;
};

static int lun_list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct lun_list *l = arg;
	struct vss_lun_info li;
	int rc;

	rc = vss__parse_lun(nlh, nlh->nlmsg_type, &li);
	if (rc)
		return rc;
	return vss__array_push((void **)&l->a, &l->nr, &l->alloc, sizeof(li),
			       &li);
}

VSS_EXPORT int vss_lun_list(struct vss_ctx *ctx, struct vss_lun_info **luns,
			    size_t *nr)
{
	int rc = -EAGAIN;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, luns);
	VSS_NEED(ctx, nr);
	vss__clear_error(ctx);
	for (int i = 0; i < DUMP_RETRIES && rc == -EAGAIN; i++) {
		struct lun_list l = { 0 };
		struct vss_req req = vss__req_new(ctx, VSS_CMD_LUN_GET,
						  NLM_F_DUMP);

		rc = vss__request(ctx, &req, lun_list_cb, &l);
		if (rc) {
			free(l.a);
			continue;
		}
		*luns = l.a;
		*nr = l.nr;
	}
	return rc;
}
