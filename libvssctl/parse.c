// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - decoding of the vss family's replies and notifications into
 * the public structures.  Pure functions on a length-checked message; the
 * unit tests and the fuzz target call them directly.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* "vss-a" -> "/dev/vss-a"; a disk name never contains '/' or is a dot name. */
static int dev_path(const struct nlattr *a, char *buf, size_t size)
{
	char name[VSS_DEV_NAME_MAX + 1];
	int n;

	if (vss__attr_str(a, name, sizeof(name)) || !name[0] ||
	    strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EBADMSG;
	n = snprintf(buf, size, "/dev/%s", name);
	if (n < 0 || (size_t)n >= size)
		return -EBADMSG;
	return 0;
}

/* Optional attributes: absent leaves the field as is (zeroed by callers). */
static int opt_u32(const struct nlattr *a, uint32_t *v)
{
	return a ? vss__attr_u32(a, v) : 0;
}

static int opt_u64(const struct nlattr *a, uint64_t *v)
{
	return a ? vss__attr_u64(a, v) : 0;
}

static int opt_str(const struct nlattr *a, char *buf, size_t size)
{
	return a ? vss__attr_str(a, buf, size) : 0;
}

static int opt_id(const struct nlattr *a, vss_id_t *id, bool *has)
{
	if (!a)
		return 0;
	if (vss__attr_id(a, id))
		return -EBADMSG;
	if (has)
		*has = true;
	return 0;
}

static int flag(const struct nlattr *a, bool *v)
{
	if (!a)
		return 0;
	if (nla_len(a) != 0)
		return -EBADMSG;
	*v = true;
	return 0;
}

/**
 * vss__parse_lun() - decode a LUN (lun-get/lun-add reply, LUN events)
 * @nlh: message
 * @family: family id
 * @info: filled in (zeroed first)
 *
 * Name and device are required; a removal event carries only those.
 *
 * Return: 0 or -EBADMSG.
 */
int vss__parse_lun(const struct nlmsghdr *nlh, int family,
		   struct vss_lun_info *info)
{
	struct nlattr *tb[VSS_A_LUN_MAX + 1];
	struct vss_lun_info li;

	memset(&li, 0, sizeof(li));
	if (vss__genl_parse(nlh, family, tb, VSS_A_LUN_MAX, NULL))
		return -EBADMSG;
	if (vss__attr_str(tb[VSS_A_LUN_NAME], li.name, sizeof(li.name)) ||
	    dev_path(tb[VSS_A_LUN_DEVICE], li.device, sizeof(li.device)) ||
	    opt_str(tb[VSS_A_LUN_BACKING], li.backing, sizeof(li.backing)) ||
	    opt_str(tb[VSS_A_LUN_STORE], li.store, sizeof(li.store)) ||
	    opt_u32(tb[VSS_A_LUN_DEV_MAJOR], &li.dev_major) ||
	    opt_u32(tb[VSS_A_LUN_DEV_MINOR], &li.dev_minor) ||
	    opt_u32(tb[VSS_A_LUN_CHUNK_SIZE], &li.chunk_size) ||
	    opt_u64(tb[VSS_A_LUN_SIZE], &li.size) ||
	    opt_u64(tb[VSS_A_LUN_STORE_SIZE], &li.store_size) ||
	    opt_u64(tb[VSS_A_LUN_STORE_USED], &li.store_used) ||
	    opt_u32(tb[VSS_A_LUN_SNAPSHOT_COUNT], &li.snapshot_count) ||
	    flag(tb[VSS_A_LUN_BUSY], &li.busy) ||
	    opt_id(tb[VSS_A_LUN_SESSION_ID], &li.session_id,
		   &li.has_session_id))
		return -EBADMSG;
	*info = li;
	return 0;
}

/**
 * vss__parse_snapshot() - decode a snapshot (snapshot-get, snapshot events)
 * @nlh: message
 * @family: family id
 * @info: filled in (zeroed first)
 *
 * Return: 0 or -EBADMSG (the id, LUN and device are required).
 */
int vss__parse_snapshot(const struct nlmsghdr *nlh, int family,
			struct vss_snapshot_info *info)
{
	struct nlattr *tb[VSS_A_SNAPSHOT_MAX + 1];
	struct vss_snapshot_info si;

	memset(&si, 0, sizeof(si));
	if (vss__genl_parse(nlh, family, tb, VSS_A_SNAPSHOT_MAX, NULL))
		return -EBADMSG;
	if (vss__attr_id(tb[VSS_A_SNAPSHOT_ID], &si.id) ||
	    vss__attr_str(tb[VSS_A_SNAPSHOT_LUN], si.lun, sizeof(si.lun)) ||
	    dev_path(tb[VSS_A_SNAPSHOT_DEVICE], si.device, sizeof(si.device)) ||
	    opt_id(tb[VSS_A_SNAPSHOT_SET_ID], &si.set_id, NULL) ||
	    opt_u32(tb[VSS_A_SNAPSHOT_DEV_MAJOR], &si.dev_major) ||
	    opt_u32(tb[VSS_A_SNAPSHOT_DEV_MINOR], &si.dev_minor) ||
	    opt_u32(tb[VSS_A_SNAPSHOT_SEQ], &si.seq) ||
	    opt_u64(tb[VSS_A_SNAPSHOT_CREATED], &si.created_ns) ||
	    opt_u32(tb[VSS_A_SNAPSHOT_STATE], &si.state) ||
	    opt_u64(tb[VSS_A_SNAPSHOT_COW_BYTES], &si.cow_bytes) ||
	    opt_id(tb[VSS_A_SNAPSHOT_SESSION_ID], &si.session_id,
		   &si.has_session_id))
		return -EBADMSG;
	*info = si;
	return 0;
}

/**
 * vss__parse_session() - decode a session (session-new/get replies)
 * @nlh: message
 * @family: family id
 * @info: filled in (zeroed first)
 *
 * Return: 0 or -EBADMSG (id and state are required).
 */
int vss__parse_session(const struct nlmsghdr *nlh, int family,
		       struct vss_session_info *info)
{
	struct nlattr *tb[VSS_A_SESSION_MAX + 1];
	struct vss_session_info si;

	memset(&si, 0, sizeof(si));
	if (vss__genl_parse(nlh, family, tb, VSS_A_SESSION_MAX, NULL))
		return -EBADMSG;
	if (vss__attr_id(tb[VSS_A_SESSION_ID], &si.id) ||
	    vss__attr_u32(tb[VSS_A_SESSION_STATE], &si.state) ||
	    opt_u32(tb[VSS_A_SESSION_PORTID], &si.portid) ||
	    opt_id(tb[VSS_A_SESSION_SET_ID], &si.set_id, &si.has_set) ||
	    opt_u32(tb[VSS_A_SESSION_SET_STATE], &si.set_state) ||
	    opt_u32(tb[VSS_A_SESSION_LUN_COUNT], &si.lun_count))
		return -EBADMSG;
	*info = si;
	return 0;
}

/**
 * vss__parse_set() - decode a set-start or set-add reply
 * @nlh: message
 * @family: family id
 * @set_id: receives the set id (required)
 * @snapshot_id: if not NULL, receives the snapshot id (required then)
 *
 * Return: 0 or -EBADMSG.
 */
int vss__parse_set(const struct nlmsghdr *nlh, int family, vss_id_t *set_id,
		   vss_id_t *snapshot_id)
{
	struct nlattr *tb[VSS_A_SET_MAX + 1];
	vss_id_t sid, snap;

	if (vss__genl_parse(nlh, family, tb, VSS_A_SET_MAX, NULL) ||
	    vss__attr_id(tb[VSS_A_SET_ID], &sid))
		return -EBADMSG;
	if (snapshot_id) {
		if (vss__attr_id(tb[VSS_A_SET_SNAPSHOT_ID], &snap))
			return -EBADMSG;
		*snapshot_id = snap;
	}
	*set_id = sid;
	return 0;
}

static int parse_member(const struct nlattr *nest, struct vss_set_member *m)
{
	struct nlattr *tb[VSS_A_MEMBER_MAX + 1];

	memset(m, 0, sizeof(*m));
	if (nla_parse_nested(tb, VSS_A_MEMBER_MAX, (struct nlattr *)nest, NULL))
		return -EBADMSG;
	if (vss__attr_str(tb[VSS_A_MEMBER_LUN], m->lun, sizeof(m->lun)) ||
	    vss__attr_id(tb[VSS_A_MEMBER_SNAPSHOT_ID], &m->snapshot_id) ||
	    dev_path(tb[VSS_A_MEMBER_DEVICE], m->device, sizeof(m->device)) ||
	    opt_u32(tb[VSS_A_MEMBER_DEV_MAJOR], &m->dev_major) ||
	    opt_u32(tb[VSS_A_MEMBER_DEV_MINOR], &m->dev_minor))
		return -EBADMSG;
	return 0;
}

/* Iterate the top-level attributes of a generic netlink message. */
#define for_each_genl_attr(pos, nlh, rem)				\
	nla_for_each_attr(pos,						\
		(struct nlattr *)((const char *)NLMSG_DATA(nlh) + GENL_HDRLEN),\
		(int)((nlh)->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN), rem)

/**
 * vss__parse_set_do() - decode the DoSnapshotSet reply
 * @nlh: message
 * @family: family id
 * @res: filled in (zeroed first)
 *
 * Return: 0 or -EBADMSG (also with more than VSS_SET_MAX_LUNS members).
 */
int vss__parse_set_do(const struct nlmsghdr *nlh, int family,
		      struct vss_set_result *res)
{
	struct nlattr *tb[VSS_A_SET_MAX + 1];
	struct nlattr *a;
	int rem;

	memset(res, 0, sizeof(*res));
	if (vss__genl_parse(nlh, family, tb, VSS_A_SET_MAX, NULL) ||
	    vss__attr_id(tb[VSS_A_SET_ID], &res->set_id) ||
	    vss__attr_u32(tb[VSS_A_SET_STATE], &res->state) ||
	    vss__attr_u64(tb[VSS_A_SET_HOLD_US], &res->hold_us))
		return -EBADMSG;
	for_each_genl_attr(a, nlh, rem) {
		if (nla_type(a) != VSS_A_SET_MEMBER)
			continue;
		if (res->nr_members == VSS_SET_MAX_LUNS ||
		    parse_member(a, &res->members[res->nr_members]))
			return -EBADMSG;
		res->nr_members++;
	}
	return 0;
}

/**
 * vss__parse_changes() - decode one message of a snapshot-changes dump
 * @nlh: message
 * @family: family id
 * @chunk_size: receives the LUN's chunk size
 * @fn: called with each extent
 * @arg: passed to @fn
 * @stop: receives the first non-zero value of @fn (0 if none)
 *
 * Return: 0 or -EBADMSG.
 */
int vss__parse_changes(const struct nlmsghdr *nlh, int family,
		       uint32_t *chunk_size, vss_extent_fn fn, void *arg,
		       int *stop)
{
	struct nlattr *tb[VSS_A_SNAPSHOT_MAX + 1];
	struct nlattr *a;
	int rem;

	*stop = 0;
	if (vss__genl_parse(nlh, family, tb, VSS_A_SNAPSHOT_MAX, NULL) ||
	    vss__attr_u32(tb[VSS_A_SNAPSHOT_CHUNK_SIZE], chunk_size))
		return -EBADMSG;
	for_each_genl_attr(a, nlh, rem) {
		struct nlattr *et[VSS_A_EXTENT_MAX + 1];
		uint64_t off, len;

		if (nla_type(a) != VSS_A_SNAPSHOT_EXTENT)
			continue;
		if (nla_parse_nested(et, VSS_A_EXTENT_MAX, a, NULL) ||
		    vss__attr_u64(et[VSS_A_EXTENT_OFFSET], &off) ||
		    vss__attr_u64(et[VSS_A_EXTENT_LENGTH], &len) ||
		    len == 0 || off + len < off)
			return -EBADMSG;
		if (*stop)
			continue;	/* keep validating the rest */
		*stop = fn(arg, off, len);
	}
	return 0;
}

static int parse_set_break(const struct nlmsghdr *nlh, int family,
			   struct vss_set_break_event *sb)
{
	struct nlattr *tb[VSS_A_SET_MAX + 1];

	if (vss__genl_parse(nlh, family, tb, VSS_A_SET_MAX, NULL) ||
	    vss__attr_id(tb[VSS_A_SET_ID], &sb->set_id) ||
	    vss__attr_u32(tb[VSS_A_SET_SNAPSHOT_COUNT], &sb->snapshot_count))
		return -EBADMSG;
	return 0;
}

/**
 * vss__parse_event_ext() - decode a notification of the events group
 * @nlh: message
 * @family: family id
 * @xev: filled in (zeroed first)
 *
 * Return: 0, -ENOMSG for a command this library does not know (newer
 * kernel: skip it), or -EBADMSG.
 */
int vss__parse_event_ext(const struct nlmsghdr *nlh, int family,
			 struct vss__event *xev)
{
	struct vss_event *ev = &xev->pub;
	struct nlattr *tb[1];
	uint8_t cmd;

	memset(xev, 0, sizeof(*xev));
	if (vss__genl_parse(nlh, family, tb, 0, &cmd))
		return -EBADMSG;
	ev->type = cmd;
	switch (cmd) {
	case VSS_CMD_LUN_ADDED_NTF:
	case VSS_CMD_LUN_REMOVED_NTF:
	case VSS_CMD_STORE_LOW_NTF:
	case VSS_CMD_STORE_FULL_NTF:
		if (vss__parse_lun(nlh, family, &ev->lun))
			return -EBADMSG;
		ev->has_lun = true;
		return 0;
	case VSS_CMD_SNAPSHOT_CREATED_NTF:
	case VSS_CMD_SNAPSHOT_DELETED_NTF:
	case VSS_CMD_SNAPSHOT_INVALIDATED_NTF:
		if (vss__parse_snapshot(nlh, family, &ev->snapshot))
			return -EBADMSG;
		ev->has_snapshot = true;
		return 0;
	case VSS_CMD_SET_BREAK_NTF:
		if (parse_set_break(nlh, family, &xev->set_break))
			return -EBADMSG;
		xev->has_set_break = true;
		return 0;
	case VSS_CMD_RESYNC_STARTED_NTF:
	case VSS_CMD_RESYNC_PROGRESS_NTF:
	case VSS_CMD_RESYNC_DONE_NTF:
	case VSS_CMD_RESYNC_FAILED_NTF:
	case VSS_CMD_RESYNC_CANCELLED_NTF:
		if (vss__parse_resync(nlh, family, &xev->resync))
			return -EBADMSG;
		xev->has_resync = true;
		return 0;
	default:
		return -ENOMSG;
	}
}

/**
 * vss__parse_event() - vss__parse_event_ext(), only the public part
 * @nlh: message
 * @family: family id
 * @ev: filled in (zeroed first)
 *
 * Return: as vss__parse_event_ext().
 */
int vss__parse_event(const struct nlmsghdr *nlh, int family,
		     struct vss_event *ev)
{
	struct vss__event xev;
	int rc = vss__parse_event_ext(nlh, family, &xev);

	*ev = xev.pub;
	return rc;
}

/*
 * The repeated VSS_A_WRITER_LUN attributes of a writer message, in order
 * (nla_parse keeps only the last copy).
 */
static int writer_luns(const struct nlmsghdr *nlh, size_t *nr,
		       char (*luns)[VSS_LUN_NAME_MAX + 1])
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct nlattr *a = (struct nlattr *)((const char *)g + GENL_HDRLEN);
	int rem = (int)(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);

	*nr = 0;
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		if (nla_type(a) != VSS_A_WRITER_LUN)
			continue;
		if (*nr == VSS_WRITER_MAX_LUNS ||
		    vss__attr_str(a, luns[*nr], sizeof(luns[0])) ||
		    !luns[*nr][0])
			return -EBADMSG;
		(*nr)++;
	}
	return 0;
}

/**
 * vss__parse_writer() - decode a writer and its status (writer-get)
 * @nlh: message
 * @family: family id
 * @st: filled in (zeroed first)
 * @md: if not NULL, receives a pointer into @nlh to the metadata document
 *	(NULL if absent)
 * @md_len: its length
 *
 * Return: 0 or -EBADMSG.
 */
int vss__parse_writer(const struct nlmsghdr *nlh, int family,
		      struct vss_writer_status *st, const void **md,
		      size_t *md_len)
{
	struct nlattr *tb[VSS_A_WRITER_MAX + 1];
	struct vss_writer_status w;

	memset(&w, 0, sizeof(w));
	if (vss__genl_parse(nlh, family, tb, VSS_A_WRITER_MAX, NULL))
		return -EBADMSG;
	if (vss__attr_str(tb[VSS_A_WRITER_NAME], w.name, sizeof(w.name)) ||
	    vss__attr_id(tb[VSS_A_WRITER_INSTANCE_ID], &w.instance_id) ||
	    opt_id(tb[VSS_A_WRITER_CLASS_ID], &w.class_id, NULL) ||
	    opt_u32(tb[VSS_A_WRITER_EVENT_TIMEOUT_MS], &w.event_timeout_ms) ||
	    opt_u32(tb[VSS_A_WRITER_FREEZE_TIMEOUT_MS], &w.freeze_timeout_ms) ||
	    flag(tb[VSS_A_WRITER_REGISTERED], &w.registered) ||
	    opt_id(tb[VSS_A_WRITER_SESSION_ID], &w.session_id,
		   &w.has_session_id) ||
	    opt_u32(tb[VSS_A_WRITER_STATE], &w.state) ||
	    opt_u32(tb[VSS_A_WRITER_HR_WRITER], &w.hr_writer) ||
	    opt_u32(tb[VSS_A_WRITER_HR_APPLICATION], &w.hr_application) ||
	    opt_str(tb[VSS_A_WRITER_MESSAGE], w.message, sizeof(w.message)) ||
	    writer_luns(nlh, &w.nr_luns, w.luns))
		return -EBADMSG;
	if (md) {
		struct nlattr *a = tb[VSS_A_WRITER_METADATA];

		*md = a && nla_len(a) > 0 ? nla_data(a) : NULL;
		*md_len = *md ? (size_t)nla_len(a) : 0;
	}
	*st = w;
	return 0;
}

/**
 * vss__parse_writer_event() - decode a writer-event-ntf
 * @nlh: message
 * @family: family id
 * @ev: filled in (zeroed first)
 * @ro: receives PostRestore's outcome (zeroed first when there is none)
 *
 * Return: 0, -ENOENT if @nlh is another message of the family, -EBADMSG.
 */
int vss__parse_writer_event(const struct nlmsghdr *nlh, int family,
			    struct vss_writer_event_info *ev,
			    struct vss__restore_outcome *ro)
{
	struct nlattr *tb[VSS_A_WRITER_MAX + 1];
	struct vss_writer_event_info e;
	uint8_t cmd;

	memset(&e, 0, sizeof(e));
	if (vss__genl_parse(nlh, family, tb, VSS_A_WRITER_MAX, &cmd))
		return -EBADMSG;
	if (cmd != VSS_CMD_WRITER_EVENT_NTF)
		return -ENOENT;
	if (vss__attr_u32(tb[VSS_A_WRITER_EVENT], &e.type) ||
	    vss__attr_u32(tb[VSS_A_WRITER_EVENT_SEQ], &e.seq) ||
	    vss__attr_id(tb[VSS_A_WRITER_SESSION_ID], &e.session_id) ||
	    opt_id(tb[VSS_A_WRITER_SET_ID], &e.set_id, &e.has_set_id) ||
	    opt_u32(tb[VSS_A_WRITER_TIMEOUT_MS], &e.timeout_ms) ||
	    writer_luns(nlh, &e.nr_luns, e.luns))
		return -EBADMSG;
	if (!e.type)
		return -EBADMSG;
	memset(ro, 0, sizeof(*ro));
	if (tb[VSS_A_WRITER_RESTORE_STATE]) {
		if (vss__attr_u32(tb[VSS_A_WRITER_RESTORE_STATE], &ro->state) ||
		    opt_u32(tb[VSS_A_WRITER_RESTORE_ERROR], &ro->error))
			return -EBADMSG;
		ro->has = true;
	}
	*ev = e;
	return 0;
}
