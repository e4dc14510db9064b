// SPDX-License-Identifier: GPL-2.0
/*
 * vss generic netlink family "vss": request handlers, dumps and events.
 *
 * The policies and the ops table are generated from the spec
 * (Documentation/netlink/specs/vss.yaml) into vss-nl-gen.[ch]; this file
 * holds the handlers they name.  Every operation, queries included, needs
 * CAP_SYS_ADMIN in the initial user namespace: doit handlers are checked in
 * pre_doit, dumps in their .start callback and again in every dumpit call.
 * The second check is what reports the error on 6.1, whose .start has no
 * extended ack: there .start lets the dump begin, and the first dumpit
 * fails it with the message (in NLMSG_DONE).  Handlers may run in parallel
 * (parallel_ops); the engine and session.c do their own locking.
 *
 * This file also implements the events interface (events.h) through which
 * the objects below report what happened.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-netlink: " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/kdev_t.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "vss_compat.h"
#include "vss-nl-gen.h"
#include "events.h"
#include "resync.h"
#include "session.h"
#include "vss.h"
#include "writer.h"

static struct genl_family vss_nl_family;
static void vss_nl_set_break_event(const uuid_t *set_id, u32 count);

/*
 * Bumped whenever a LUN, snapshot or session appears or goes away; dumps
 * compare it (genl_dump_check_consistent) to flag NLM_F_DUMP_INTR.
 */
static atomic_t vss_nl_gen = ATOMIC_INIT(1);

/* Events may be sent: the family is registered (RCU-protected flag). */
static bool vss_nl_registered;

/**
 * vss_event_objects_changed() - note that the set of objects changed
 *
 * Context: any.
 */
void vss_event_objects_changed(void)
{
	atomic_inc(&vss_nl_gen);
}

/**
 * struct vss_nl_dump_ctx - dump cursors, kept in netlink_callback.ctx
 * @lun: LUN dump: name of the last LUN sent
 * @session: session dump: serial of the last session sent
 * @snap: snapshot dump: @snap.lun is the LUN being walked, @snap.seq the
 *	last snapshot sent from it, @snap.started once the walk began
 * @changes: changes dump: the snapshot (referenced until .done), the next
 *	chunk to report, the chunk size, and whether the walk is complete
 * @writer: writer dump: serial of the last writer sent, and the session
 *	whose statuses are dumped (@writer.has_sid)
 */
struct vss_nl_dump_ctx {
	union {
		char lun[VSS_NAME_MAX + 1];
		u64 session;
		struct {
			char lun[VSS_NAME_MAX + 1];
			bool started;
			u32 seq;
		} snap;
		struct {
			struct vss_snapshot *snap;
			u64 next;
			u32 chunk_size;
			bool eof;
		} changes;
		struct {
			u64 serial;
			uuid_t sid;
			bool has_sid;
		} writer;
	};
};

static struct vss_nl_dump_ctx *vss_nl_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct vss_nl_dump_ctx) > sizeof(cb->ctx));
	return (struct vss_nl_dump_ctx *)cb->ctx;
}

static struct nlattr **vss_nl_dump_attrs(struct netlink_callback *cb)
{
#ifdef HAVE_GENL_DUMPIT_INFO_INFO
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* GENL_REQ_ATTR_CHECK() with a message: true if @attr is missing. */
static bool vss_nl_missing(struct genl_info *info, int attr)
{
	if (!GENL_REQ_ATTR_CHECK(info, attr))
		return false;
	GENL_SET_ERR_MSG(info, "Missing required attribute");
	return true;
}

static void vss_nl_get_uuid(const struct nlattr *attr, uuid_t *id)
{
	/* The policies guarantee exactly VSS_ID_LEN bytes. */
	memcpy(id, nla_data(attr), sizeof(*id));
}

static int vss_nl_check_perm(struct sk_buff *skb,
			     struct netlink_ext_ack *extack)
{
	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(extack, "vss requires CAP_SYS_ADMIN");
		return -EPERM;
	}
	return 0;
}

/* The one attribute @cmd takes repeated (multi-attr), or 0. */
static int vss_nl_multi_attr(u8 cmd)
{
	switch (cmd) {
	case VSS_CMD_WRITER_REGISTER:
		return VSS_A_WRITER_LUN;
	case VSS_CMD_SESSION_WRITER_FILTER:
		return VSS_A_SESSION_WRITER_ID;
	case VSS_CMD_RESYNC_START:
		return VSS_A_RESYNC_MEMBER;
	}
	return 0;
}

/*
 * No request attribute of this family may repeat, except the multi-attr
 * lists (a writer's LUNs, the ids of a writer filter, resync-start's
 * members), but attribute parsing silently keeps the last copy: refuse
 * duplicates so that what the kernel acts on is never ambiguous.
 */
static int vss_nl_check_dups(const struct nlmsghdr *nlh,
			     struct netlink_ext_ack *extack)
{
	DECLARE_BITMAP(seen, 64) = {};
	const struct genlmsghdr *gh = nlmsg_data(nlh);
	int multi = vss_nl_multi_attr(gh->cmd);
	const struct nlattr *nla;
	int rem;

	nlmsg_for_each_attr(nla, nlh, GENL_HDRLEN, rem) {
		int type = nla_type(nla);

		if (type >= 64 || type == multi)
			continue;	/* policy validation rejected it */
		if (__test_and_set_bit(type, seen)) {
			NL_SET_ERR_MSG_ATTR(extack, nla, "Duplicate attribute");
			return -EINVAL;
		}
	}
	return 0;
}

#ifdef HAVE_GENL_SPLIT_OPS
static int vss_nl_pre_doit(const struct genl_split_ops *ops,
			   struct sk_buff *skb, struct genl_info *info)
#else
static int vss_nl_pre_doit(const struct genl_ops *ops,
			   struct sk_buff *skb, struct genl_info *info)
#endif
{
	return vss_nl_check_perm(skb, info->extack) ?:
	       vss_nl_check_dups(info->nlhdr, info->extack);
}

/* The checks of every dump, run by .start and by every dumpit call. */
static int vss_nl_dump_check(struct netlink_callback *cb)
{
	return vss_nl_check_perm(cb->skb, cb->extack) ?:
	       vss_nl_check_dups(cb->nlh, cb->extack);
}

/**
 * vss_nl_dump_start() - .start of the dumps without their own setup
 * @cb: the dump
 *
 * Context: process.
 * Return: 0, -EPERM, or -EINVAL for a repeated attribute.
 */
int vss_nl_dump_start(struct netlink_callback *cb)
{
	if (!cb->extack)
		return 0;	/* no way to say why here: dumpit will */
	return vss_nl_dump_check(cb);
}

/* ---- LUNs ---- */

static int vss_nl_put_lun(struct sk_buff *skb, struct vss_lun *lun,
			  bool removed)
{
	struct vss_lun_info li;
	uuid_t sid;
	bool held;

	vss_lun_get_info(lun, &li);
	if (nla_put_string(skb, VSS_A_LUN_NAME, li.name) ||
	    nla_put_string(skb, VSS_A_LUN_DEVICE, li.device))
		return -EMSGSIZE;
	if (removed)
		return 0;
	held = vss_session_lun_holder(lun, &sid);
	if (nla_put_string(skb, VSS_A_LUN_BACKING, li.backing) ||
	    nla_put_string(skb, VSS_A_LUN_STORE, li.store) ||
	    nla_put_u32(skb, VSS_A_LUN_CHUNK_SIZE, li.chunk_size) ||
	    nla_put_u32(skb, VSS_A_LUN_DEV_MAJOR, MAJOR(li.devt)) ||
	    nla_put_u32(skb, VSS_A_LUN_DEV_MINOR, MINOR(li.devt)) ||
	    nla_put_u64_64bit(skb, VSS_A_LUN_SIZE, li.size, VSS_A_LUN_PAD) ||
	    nla_put_u64_64bit(skb, VSS_A_LUN_STORE_SIZE, li.store_size,
			      VSS_A_LUN_PAD) ||
	    nla_put_u64_64bit(skb, VSS_A_LUN_STORE_USED, li.store_used,
			      VSS_A_LUN_PAD) ||
	    nla_put_u32(skb, VSS_A_LUN_SNAPSHOT_COUNT, li.nr_snapshots))
		return -EMSGSIZE;
	if ((li.busy || held) && nla_put_flag(skb, VSS_A_LUN_BUSY))
		return -EMSGSIZE;
	if (held && nla_put(skb, VSS_A_LUN_SESSION_ID, sizeof(sid), &sid))
		return -EMSGSIZE;
	return 0;
}

static int vss_nl_fill_lun(struct sk_buff *skb, struct vss_lun *lun,
			   u32 portid, u32 seq, int flags, u8 cmd,
			   struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vss_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (vss_nl_put_lun(skb, lun, false)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int vss_nl_reply_lun(struct genl_info *info, struct vss_lun *lun)
{
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = vss_nl_fill_lun(msg, lun, info->snd_portid, info->snd_seq, 0,
			      info->genlhdr->cmd, NULL);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static bool vss_nl_name_valid(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (!isalnum(*name) && *name != '_' && *name != '.')
			return false;
	return true;
}

/* Find a LUN named by @attr, or explain in @extack why not. */
static struct vss_lun *vss_nl_find_lun(struct genl_info *info, int attr)
{
	struct vss_lun *lun = vss_lun_find(nla_data(info->attrs[attr]));

	if (!lun) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr],
				    "No such LUN");
		vss_set_hresult(info->extack, VSS_E_OBJECT_NOT_FOUND);
	}
	return lun;
}

/**
 * vss_nl_lun_add_doit() - create a protected LUN
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied with the LUN) or a negative errno.
 */
int vss_nl_lun_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_lun_params p = {};
	struct vss_lun *lun;
	int ret;

	if (vss_nl_missing(info, VSS_A_LUN_NAME) ||
	    vss_nl_missing(info, VSS_A_LUN_BACKING) ||
	    vss_nl_missing(info, VSS_A_LUN_STORE))
		return -EINVAL;
	p.name = nla_data(info->attrs[VSS_A_LUN_NAME]);
	p.backing = nla_data(info->attrs[VSS_A_LUN_BACKING]);
	p.store = nla_data(info->attrs[VSS_A_LUN_STORE]);
	if (!vss_nl_name_valid(p.name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VSS_A_LUN_NAME],
				    "LUN name must be non-empty [A-Za-z0-9_.]");
		return -EINVAL;
	}
	if (!*p.backing || !*p.store) {
		NL_SET_ERR_MSG(info->extack, "Empty device path");
		return -EINVAL;
	}
	if (info->attrs[VSS_A_LUN_CHUNK_SIZE]) {
		p.chunk_size = nla_get_u32(info->attrs[VSS_A_LUN_CHUNK_SIZE]);
		if (!is_power_of_2(p.chunk_size)) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[VSS_A_LUN_CHUNK_SIZE],
					    "Chunk size must be a power of two");
			return -EINVAL;
		}
	}
	p.format = nla_get_flag(info->attrs[VSS_A_LUN_FORMAT]);

	ret = vss_lun_add(&p, info->extack, &lun);
	if (ret)
		return ret;
	ret = vss_nl_reply_lun(info, lun);
	vss_lun_put(lun);
	return ret;
}

/**
 * vss_nl_lun_del_doit() - remove a protected LUN
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno (-EBUSY if in use or held by a session).
 */
int vss_nl_lun_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_lun *lun;
	int ret;

	if (vss_nl_missing(info, VSS_A_LUN_NAME))
		return -EINVAL;
	lun = vss_nl_find_lun(info, VSS_A_LUN_NAME);
	if (!lun)
		return -ENOENT;
	ret = vss_session_lun_remove(lun, info->extack);
	vss_lun_put(lun);
	return ret;
}

/**
 * vss_nl_lun_get_doit() - get one LUN
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied) or a negative errno.
 */
int vss_nl_lun_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_lun *lun;
	int ret;

	if (vss_nl_missing(info, VSS_A_LUN_NAME))
		return -EINVAL;
	lun = vss_nl_find_lun(info, VSS_A_LUN_NAME);
	if (!lun)
		return -ENOENT;
	ret = vss_nl_reply_lun(info, lun);
	vss_lun_put(lun);
	return ret;
}

/**
 * vss_nl_lun_get_dumpit() - dump every LUN, in name order
 * @skb: reply buffer
 * @cb: the dump; the cursor is the name of the last LUN sent
 *
 * Context: process.
 * Return: bytes added, 0 when done, or a negative errno.
 */
int vss_nl_lun_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);
	struct vss_lun_info li;
	struct vss_lun *lun, *next;
	int ret;

	ret = vss_nl_dump_check(cb);
	if (ret)
		return ret;
	cb->seq = atomic_read(&vss_nl_gen);
	for (lun = vss_lun_next(ctx->lun); lun; lun = next) {
		ret = vss_nl_fill_lun(skb, lun, NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI,
				      VSS_CMD_LUN_GET, cb);
		if (ret) {
			vss_lun_put(lun);
			break;
		}
		vss_lun_get_info(lun, &li);
		strscpy(ctx->lun, li.name, sizeof(ctx->lun));
		next = vss_lun_next(ctx->lun);
		vss_lun_put(lun);
	}
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

/* ---- sessions ---- */

static int vss_nl_fill_session(struct sk_buff *skb,
			       const struct vss_session_info *si, u32 portid,
			       u32 seq, int flags, u8 cmd,
			       struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vss_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (nla_put(skb, VSS_A_SESSION_ID, sizeof(si->id), &si->id) ||
	    nla_put_u32(skb, VSS_A_SESSION_STATE, si->state) ||
	    nla_put_u32(skb, VSS_A_SESSION_PORTID, si->portid))
		goto out_cancel;
	if (si->has_set &&
	    (nla_put(skb, VSS_A_SESSION_SET_ID, sizeof(si->set_id),
		     &si->set_id) ||
	     nla_put_u32(skb, VSS_A_SESSION_SET_STATE, si->set_state) ||
	     nla_put_u32(skb, VSS_A_SESSION_LUN_COUNT, si->lun_count)))
		goto out_cancel;
	if (nla_put_u32(skb, VSS_A_SESSION_CONTEXT, si->context))
		goto out_cancel;
	genlmsg_end(skb, hdr);
	return 0;

out_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vss_nl_reply_session(struct genl_info *info,
				const struct vss_session_info *si)
{
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = vss_nl_fill_session(msg, si, info->snd_portid, info->snd_seq, 0,
				  info->genlhdr->cmd, NULL);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/**
 * vss_nl_session_new_doit() - create a session bound to the sender
 * @skb: request
 * @info: request attributes (none)
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied with the session) or a negative errno.
 */
int vss_nl_session_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_session_info si;
	int ret;

	ret = vss_session_create(info->snd_portid, &si);
	if (ret)
		return ret;
	vss_event_objects_changed();
	return vss_nl_reply_session(info, &si);
}

/**
 * vss_nl_session_get_doit() - get one session
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied) or a negative errno.
 */
int vss_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_session_info si;
	uuid_t id;
	int ret;

	if (vss_nl_missing(info, VSS_A_SESSION_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SESSION_ID], &id);
	ret = vss_session_get_info(&id, &si, info->extack);
	if (ret)
		return ret;
	return vss_nl_reply_session(info, &si);
}

/**
 * vss_nl_session_get_dumpit() - dump every session, in creation order
 * @skb: reply buffer
 * @cb: the dump
 *
 * Context: process.
 * Return: bytes added, 0 when done, or a negative errno.
 */
int vss_nl_session_get_dumpit(struct sk_buff *skb,
			      struct netlink_callback *cb)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);
	struct vss_session_info si;
	u64 cursor = ctx->session;
	int ret;

	ret = vss_nl_dump_check(cb);
	if (ret)
		return ret;
	cb->seq = atomic_read(&vss_nl_gen);
	while (!vss_session_next_info(&cursor, &si)) {
		ret = vss_nl_fill_session(skb, &si, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI,
					  VSS_CMD_SESSION_GET, cb);
		if (ret)
			break;
		ctx->session = cursor;
	}
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

/**
 * vss_nl_session_abort_doit() - AbortBackup
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN; waits for a running DoSnapshotSet of the
 * session to unwind.
 * Return: 0 or a negative errno.
 */
int vss_nl_session_abort_doit(struct sk_buff *skb, struct genl_info *info)
{
	uuid_t id;

	if (vss_nl_missing(info, VSS_A_SESSION_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SESSION_ID], &id);
	return vss_session_abort(&id, info->extack);
}

/* ---- snapshot sets ---- */

/**
 * vss_nl_set_start_doit() - StartSnapshotSet
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied with the set id) or a negative errno.
 */
int vss_nl_set_start_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	uuid_t sid, set_id;
	void *hdr;
	int ret;

	if (vss_nl_missing(info, VSS_A_SET_SESSION_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SET_SESSION_ID], &sid);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vss_nl_family, 0,
				VSS_CMD_SET_START);
	if (!hdr)
		goto out_msgsize;
	ret = vss_session_set_start(&sid, &set_id, info->extack);
	if (ret)
		goto out_free;
	if (nla_put(msg, VSS_A_SET_ID, sizeof(set_id), &set_id) ||
	    nla_put_u32(msg, VSS_A_SET_STATE, VSS_SET_STATE_PREPARING))
		goto out_msgsize;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_msgsize:
	ret = -EMSGSIZE;
out_free:
	nlmsg_free(msg);
	return ret;
}

/**
 * vss_nl_set_add_doit() - AddToSnapshotSet
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied with the snapshot id) or a negative errno.
 */
int vss_nl_set_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	uuid_t sid, set_id, snap_id;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (vss_nl_missing(info, VSS_A_SET_SESSION_ID) ||
	    vss_nl_missing(info, VSS_A_SET_ID) ||
	    vss_nl_missing(info, VSS_A_SET_LUN))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SET_SESSION_ID], &sid);
	vss_nl_get_uuid(info->attrs[VSS_A_SET_ID], &set_id);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vss_nl_family, 0, VSS_CMD_SET_ADD);
	if (!hdr)
		goto out_msgsize;
	ret = vss_session_set_add(&sid, &set_id,
				  nla_data(info->attrs[VSS_A_SET_LUN]),
				  &snap_id, info->extack);
	if (ret)
		goto out_free;
	if (nla_put(msg, VSS_A_SET_ID, sizeof(set_id), &set_id) ||
	    nla_put(msg, VSS_A_SET_SNAPSHOT_ID, sizeof(snap_id), &snap_id))
		goto out_msgsize;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_msgsize:
	ret = -EMSGSIZE;
out_free:
	nlmsg_free(msg);
	return ret;
}

static int vss_nl_put_member(struct sk_buff *skb,
			     const struct vss_set_member_info *m)
{
	struct nlattr *nest = nla_nest_start(skb, VSS_A_SET_MEMBER);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, VSS_A_MEMBER_LUN, m->lun) ||
	    nla_put(skb, VSS_A_MEMBER_SNAPSHOT_ID, sizeof(m->snap_id),
		    &m->snap_id) ||
	    nla_put_string(skb, VSS_A_MEMBER_DEVICE, m->device) ||
	    nla_put_u32(skb, VSS_A_MEMBER_DEV_MAJOR, MAJOR(m->devt)) ||
	    nla_put_u32(skb, VSS_A_MEMBER_DEV_MINOR, MINOR(m->devt))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * vss_nl_set_do_doit() - DoSnapshotSet
 * @skb: request
 * @info: request attributes
 *
 * Starts the sequence on a kernel worker (runs the writer protocol unless
 * the request has no-writers) and replies at once; the outcome follows as
 * set-done-ntf (vss_event_set_done()).
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied with the set id and its state) or a negative errno.
 */
int vss_nl_set_do_doit(struct sk_buff *skb, struct genl_info *info)
{
	uuid_t sid, set_id;
	struct sk_buff *msg;
	bool writers;
	void *hdr;
	int ret;

	if (vss_nl_missing(info, VSS_A_SET_SESSION_ID) ||
	    vss_nl_missing(info, VSS_A_SET_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SET_SESSION_ID], &sid);
	vss_nl_get_uuid(info->attrs[VSS_A_SET_ID], &set_id);
	writers = !nla_get_flag(info->attrs[VSS_A_SET_NO_WRITERS]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vss_nl_family, 0, VSS_CMD_SET_DO);
	if (!hdr ||
	    nla_put(msg, VSS_A_SET_ID, sizeof(set_id), &set_id) ||
	    nla_put_u32(msg, VSS_A_SET_STATE,
			VSS_SET_STATE_PROCESSING_PREPARE)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	ret = vss_session_set_do(&sid, &set_id, writers, info->extack);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/**
 * vss_nl_set_del_doit() - delete a snapshot set
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno.
 */
int vss_nl_set_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	uuid_t set_id;

	if (vss_nl_missing(info, VSS_A_SET_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SET_ID], &set_id);
	return vss_session_set_del(&set_id, info->extack);
}

/**
 * vss_nl_set_break_doit() - BreakSnapshotSet
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN; sleeps (store records).
 * Return: 0 (replied with the number of snapshots released) or a negative
 * errno.
 */
int vss_nl_set_break_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	uuid_t set_id;
	void *hdr;
	u32 count;
	int ret;

	if (vss_nl_missing(info, VSS_A_SET_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SET_ID], &set_id);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = vss_session_set_break(&set_id, &count, info->extack);
	/* what was released stays released, even if a later record failed */
	if (count)
		vss_nl_set_break_event(&set_id, count);
	if (ret)
		goto out_free;
	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &vss_nl_family, 0,
				VSS_CMD_SET_BREAK);
	if (!hdr)
		goto out_free;
	if (nla_put(msg, VSS_A_SET_ID, sizeof(set_id), &set_id) ||
	    nla_put_u32(msg, VSS_A_SET_SNAPSHOT_COUNT, count))
		goto out_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
	return ret;
}

/* ---- snapshots ---- */

static int vss_nl_put_snapshot(struct sk_buff *skb,
			       const struct vss_snapshot_info *si,
			       const uuid_t *sid)
{
	if (nla_put(skb, VSS_A_SNAPSHOT_ID, sizeof(si->id), &si->id) ||
	    nla_put(skb, VSS_A_SNAPSHOT_SET_ID, sizeof(si->set_id),
		    &si->set_id) ||
	    nla_put_string(skb, VSS_A_SNAPSHOT_LUN, si->lun) ||
	    nla_put_string(skb, VSS_A_SNAPSHOT_DEVICE, si->device) ||
	    nla_put_u32(skb, VSS_A_SNAPSHOT_DEV_MAJOR, MAJOR(si->devt)) ||
	    nla_put_u32(skb, VSS_A_SNAPSHOT_DEV_MINOR, MINOR(si->devt)) ||
	    nla_put_u32(skb, VSS_A_SNAPSHOT_SEQ, si->seq) ||
	    nla_put_u64_64bit(skb, VSS_A_SNAPSHOT_CREATED, si->created_ns,
			      VSS_A_SNAPSHOT_PAD) ||
	    nla_put_u32(skb, VSS_A_SNAPSHOT_STATE, si->state) ||
	    nla_put_u64_64bit(skb, VSS_A_SNAPSHOT_COW_BYTES, si->cow_bytes,
			      VSS_A_SNAPSHOT_PAD))
		return -EMSGSIZE;
	if (sid && nla_put(skb, VSS_A_SNAPSHOT_SESSION_ID, sizeof(*sid), sid))
		return -EMSGSIZE;
	return 0;
}

static int vss_nl_fill_snapshot(struct sk_buff *skb,
				const struct vss_snapshot_info *si, u32 portid,
				u32 seq, int flags, u8 cmd,
				struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vss_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (vss_nl_put_snapshot(skb, si, NULL)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Find the snapshot named by @attr, or explain in @extack why not. */
static struct vss_snapshot *vss_nl_find_snapshot(struct nlattr *attr,
						 struct netlink_ext_ack *extack)
{
	struct vss_snapshot *snap;
	uuid_t id;

	vss_nl_get_uuid(attr, &id);
	snap = vss_snapshot_find(&id);
	if (!snap) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "No such snapshot");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
	}
	return snap;
}

/**
 * vss_nl_snapshot_get_doit() - get one snapshot
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied) or a negative errno.
 */
int vss_nl_snapshot_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_snapshot_info si;
	struct vss_snapshot *snap;
	struct sk_buff *msg;
	int ret;

	if (info->attrs[VSS_A_SNAPSHOT_LUN] ||
	    info->attrs[VSS_A_SNAPSHOT_SET_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VSS_A_SNAPSHOT_LUN] ?:
				    info->attrs[VSS_A_SNAPSHOT_SET_ID],
				    "Filters are for dumps only");
		return -EINVAL;
	}
	if (vss_nl_missing(info, VSS_A_SNAPSHOT_ID))
		return -EINVAL;
	snap = vss_nl_find_snapshot(info->attrs[VSS_A_SNAPSHOT_ID],
				    info->extack);
	if (!snap)
		return -ENOENT;
	vss_snapshot_get_info(snap, &si);
	vss_snapshot_put(snap);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = vss_nl_fill_snapshot(msg, &si, info->snd_portid, info->snd_seq,
				   0, VSS_CMD_SNAPSHOT_GET, NULL);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/**
 * struct vss_nl_snap_filter - what a snapshot dump asks for
 * @lun: only this LUN, or NULL
 * @set_id: only this snapshot set, or NULL
 */
struct vss_nl_snap_filter {
	const char *lun;
	const uuid_t *set_id;
};

/* Checks and filters of a snapshot dump, from .start and every dumpit. */
static int vss_nl_snapshot_dump_check(struct netlink_callback *cb,
				      struct vss_nl_snap_filter *f,
				      uuid_t *set_id)
{
	struct nlattr **attrs = vss_nl_dump_attrs(cb);
	int ret;

	ret = vss_nl_dump_check(cb);
	if (ret)
		return ret;
	if (attrs[VSS_A_SNAPSHOT_ID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[VSS_A_SNAPSHOT_ID],
				    "A dump takes no snapshot id; use a get");
		return -EINVAL;
	}
	f->lun = attrs[VSS_A_SNAPSHOT_LUN] ?
		 nla_data(attrs[VSS_A_SNAPSHOT_LUN]) : NULL;
	f->set_id = NULL;
	if (attrs[VSS_A_SNAPSHOT_SET_ID]) {
		vss_nl_get_uuid(attrs[VSS_A_SNAPSHOT_SET_ID], set_id);
		f->set_id = set_id;
	}
	return 0;
}

/**
 * vss_nl_snapshot_get_start() - check a snapshot dump and its filters
 * @cb: the dump
 *
 * Context: process.
 * Return: 0, -EPERM, or -EINVAL for a bad request.
 */
int vss_nl_snapshot_get_start(struct netlink_callback *cb)
{
	struct vss_nl_snap_filter f;
	uuid_t set_id;

	if (!cb->extack)
		return 0;	/* no way to say why here: dumpit will */
	return vss_nl_snapshot_dump_check(cb, &f, &set_id);
}

/*
 * Send the snapshots of @lun after ctx->snap.seq that pass the filter.
 * Returns 0 when the LUN is exhausted, -EMSGSIZE when @skb is full.
 */
static int vss_nl_dump_lun_snapshots(struct sk_buff *skb,
				     struct netlink_callback *cb,
				     struct vss_lun *lun,
				     const struct vss_nl_snap_filter *f)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);
	struct vss_snapshot *snap, *next;
	struct vss_snapshot_info si;
	int ret;

	for (snap = vss_snapshot_next(lun, ctx->snap.seq); snap; snap = next) {
		vss_snapshot_get_info(snap, &si);
		if (!f->set_id || uuid_equal(&si.set_id, f->set_id)) {
			ret = vss_nl_fill_snapshot(skb, &si,
						   NETLINK_CB(cb->skb).portid,
						   cb->nlh->nlmsg_seq,
						   NLM_F_MULTI,
						   VSS_CMD_SNAPSHOT_GET, cb);
			if (ret) {
				vss_snapshot_put(snap);
				return ret;
			}
		}
		ctx->snap.seq = si.seq;
		next = vss_snapshot_next(lun, si.seq);
		vss_snapshot_put(snap);
	}
	return 0;
}

/**
 * vss_nl_snapshot_get_dumpit() - dump snapshots, by LUN name then age
 * @skb: reply buffer
 * @cb: the dump; the cursor is (LUN being walked, last sequence number)
 *
 * Context: process.
 * Return: bytes added, 0 when done, or a negative errno.
 */
int vss_nl_snapshot_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);
	struct vss_nl_snap_filter f;
	struct vss_lun_info li;
	struct vss_lun *lun, *next;
	uuid_t set_id;
	int ret;

	ret = vss_nl_snapshot_dump_check(cb, &f, &set_id);
	if (ret)
		return ret;
	cb->seq = atomic_read(&vss_nl_gen);
	if (f.lun) {
		if (ctx->snap.started)
			return 0;
		lun = vss_lun_find(f.lun);
		if (!lun)
			return 0;
		ret = vss_nl_dump_lun_snapshots(skb, cb, lun, &f);
		vss_lun_put(lun);
		if (!ret)
			ctx->snap.started = true;	/* complete */
		goto out;
	}

	/* Resume in the LUN being walked, or after it if it is gone. */
	lun = NULL;
	if (ctx->snap.started)
		lun = vss_lun_find(ctx->snap.lun);
	if (!lun) {
		lun = vss_lun_next(ctx->snap.lun);
		ctx->snap.seq = 0;
	}
	ctx->snap.started = true;
	for (; lun; lun = next) {
		vss_lun_get_info(lun, &li);
		if (strcmp(li.name, ctx->snap.lun)) {
			strscpy(ctx->snap.lun, li.name, sizeof(ctx->snap.lun));
			ctx->snap.seq = 0;
		}
		ret = vss_nl_dump_lun_snapshots(skb, cb, lun, &f);
		if (ret) {
			vss_lun_put(lun);
			break;
		}
		next = vss_lun_next(li.name);
		vss_lun_put(lun);
	}
out:
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

/**
 * vss_nl_snapshot_del_doit() - delete one snapshot
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno.
 */
int vss_nl_snapshot_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_snapshot *snap;
	int ret;

	if (vss_nl_missing(info, VSS_A_SNAPSHOT_ID))
		return -EINVAL;
	snap = vss_nl_find_snapshot(info->attrs[VSS_A_SNAPSHOT_ID],
				    info->extack);
	if (!snap)
		return -ENOENT;
	ret = vss_snapshot_delete(snap, info->extack);
	vss_snapshot_put(snap);
	return ret;
}

/* Check a changes dump and find its snapshot (kept until .done). */
static int vss_nl_changes_setup(struct netlink_callback *cb)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);
	struct nlattr **attrs = vss_nl_dump_attrs(cb);
	struct vss_snapshot_info si;
	struct vss_lun_info li;
	struct vss_snapshot *snap;
	struct vss_lun *lun;
	int ret;

	ret = vss_nl_dump_check(cb);
	if (ret)
		return ret;
	if (NL_REQ_ATTR_CHECK(cb->extack, NULL, attrs, VSS_A_SNAPSHOT_ID)) {
		NL_SET_ERR_MSG(cb->extack, "Missing required attribute");
		return -EINVAL;
	}
	snap = vss_nl_find_snapshot(attrs[VSS_A_SNAPSHOT_ID], cb->extack);
	if (!snap)
		return -ENOENT;
	vss_snapshot_get_info(snap, &si);
	lun = vss_lun_find(si.lun);
	if (!lun) {
		NL_SET_ERR_MSG(cb->extack, "The snapshot's LUN is gone");
		vss_snapshot_put(snap);
		return -ENOENT;
	}
	vss_lun_get_info(lun, &li);
	vss_lun_put(lun);

	ctx->changes.snap = snap;
	ctx->changes.chunk_size = li.chunk_size;
	if (attrs[VSS_A_SNAPSHOT_OFFSET])
		ctx->changes.next = nla_get_u64(attrs[VSS_A_SNAPSHOT_OFFSET]) /
				    li.chunk_size;
	return 0;
}

/**
 * vss_nl_snapshot_changes_start() - set up a changed-extents dump
 * @cb: the dump
 *
 * Context: process.
 * Return: 0, -EPERM, -EINVAL or -ENOENT.
 */
int vss_nl_snapshot_changes_start(struct netlink_callback *cb)
{
	if (!cb->extack)
		return 0;	/* no way to say why here: dumpit will */
	return vss_nl_changes_setup(cb);
}

/**
 * vss_nl_snapshot_changes_done() - drop the snapshot of a changes dump
 * @cb: the dump
 *
 * Context: process.
 * Return: 0.
 */
int vss_nl_snapshot_changes_done(struct netlink_callback *cb)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);

	if (ctx->changes.snap)
		vss_snapshot_put(ctx->changes.snap);
	ctx->changes.snap = NULL;
	return 0;
}

/**
 * struct vss_nl_changes_arg - state of one vss_snapshot_changes() walk
 * @skb: message being filled
 * @ctx: the dump cursor, advanced past every extent added
 * @count: extents added to this message
 */
struct vss_nl_changes_arg {
	struct sk_buff *skb;
	struct vss_nl_dump_ctx *ctx;
	unsigned int count;
};

static int vss_nl_changes_extent(void *arg, u64 chunk, u64 nr_chunks)
{
	struct vss_nl_changes_arg *a = arg;
	u64 cs = a->ctx->changes.chunk_size;
	u64 next = a->ctx->changes.next;
	struct nlattr *nest;

	if (chunk + nr_chunks <= next)
		return 0;
	if (chunk < next) {
		nr_chunks -= next - chunk;
		chunk = next;
	}
	nest = nla_nest_start(a->skb, VSS_A_SNAPSHOT_EXTENT);
	if (!nest)
		return 1;
	if (nla_put_u64_64bit(a->skb, VSS_A_EXTENT_OFFSET, chunk * cs,
			      VSS_A_EXTENT_PAD) ||
	    nla_put_u64_64bit(a->skb, VSS_A_EXTENT_LENGTH, nr_chunks * cs,
			      VSS_A_EXTENT_PAD)) {
		nla_nest_cancel(a->skb, nest);
		return 1;	/* full: resume at this extent */
	}
	nla_nest_end(a->skb, nest);
	a->ctx->changes.next = chunk + nr_chunks;
	a->count++;
	return 0;
}

/**
 * vss_nl_snapshot_changes_dumpit() - dump the extents changed since a snapshot
 * @skb: reply buffer
 * @cb: the dump; the cursor is the next chunk to report
 *
 * Every message carries the snapshot id, the chunk size and as many
 * extents as fit.
 *
 * Context: process.
 * Return: bytes added, 0 when done, or a negative errno.
 */
int vss_nl_snapshot_changes_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);
	struct vss_nl_changes_arg arg = { .skb = skb, .ctx = ctx };
	struct vss_snapshot_info si;
	void *hdr;
	int ret;

	if (ctx->changes.eof)
		return 0;
	if (!ctx->changes.snap) {
		ret = vss_nl_changes_setup(cb);
		if (ret)
			return ret;
	}
	vss_snapshot_get_info(ctx->changes.snap, &si);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vss_nl_family, NLM_F_MULTI,
			  VSS_CMD_SNAPSHOT_CHANGES);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put(skb, VSS_A_SNAPSHOT_ID, sizeof(si.id), &si.id) ||
	    nla_put_u32(skb, VSS_A_SNAPSHOT_CHUNK_SIZE,
			ctx->changes.chunk_size)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	ret = vss_snapshot_changes(ctx->changes.snap, ctx->changes.next,
				   vss_nl_changes_extent, &arg);
	if (ret < 0) {
		genlmsg_cancel(skb, hdr);
		NL_SET_ERR_MSG(cb->extack, "Reading the snapshot's changes failed");
		return ret;
	}
	if (ret == 0) {
		ctx->changes.eof = true;
	} else if (!arg.count) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return skb->len;
}

/* ---- writers ---- */

static int vss_nl_put_writer(struct sk_buff *skb,
			     const struct vss_writer_info *wi)
{
	unsigned int i;

	if (nla_put_string(skb, VSS_A_WRITER_NAME, wi->name) ||
	    nla_put(skb, VSS_A_WRITER_CLASS_ID, sizeof(wi->class_id),
		    &wi->class_id) ||
	    nla_put(skb, VSS_A_WRITER_INSTANCE_ID, sizeof(wi->instance_id),
		    &wi->instance_id) ||
	    nla_put_u32(skb, VSS_A_WRITER_EVENT_TIMEOUT_MS,
			wi->event_timeout_ms) ||
	    nla_put_u32(skb, VSS_A_WRITER_FREEZE_TIMEOUT_MS,
			wi->freeze_timeout_ms) ||
	    nla_put_u32(skb, VSS_A_WRITER_PORTID, wi->portid) ||
	    (wi->registered && nla_put_flag(skb, VSS_A_WRITER_REGISTERED)))
		return -EMSGSIZE;
	for (i = 0; i < wi->nr_luns; i++)
		if (nla_put_string(skb, VSS_A_WRITER_LUN, wi->luns[i]))
			return -EMSGSIZE;
	if (!wi->has_status)
		return 0;
	if (nla_put(skb, VSS_A_WRITER_SESSION_ID, sizeof(wi->session_id),
		    &wi->session_id) ||
	    nla_put_u32(skb, VSS_A_WRITER_STATE, wi->state) ||
	    nla_put_u32(skb, VSS_A_WRITER_HR_WRITER, wi->hr_writer) ||
	    nla_put_u32(skb, VSS_A_WRITER_HR_APPLICATION, wi->hr_application) ||
	    nla_put_string(skb, VSS_A_WRITER_MESSAGE, wi->message))
		return -EMSGSIZE;
	return 0;
}

static int vss_nl_fill_writer(struct sk_buff *skb,
			      const struct vss_writer_info *wi,
			      const void *md, u32 md_len, u32 portid, u32 seq,
			      int flags, u8 cmd, struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vss_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (vss_nl_put_writer(skb, wi) ||
	    (md && nla_put(skb, VSS_A_WRITER_METADATA, md_len, md))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int vss_nl_reply_writer(struct genl_info *info,
			       const struct vss_writer_info *wi,
			       const void *md, u32 md_len)
{
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE + md_len, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = vss_nl_fill_writer(msg, wi, md, md_len, info->snd_portid,
				 info->snd_seq, 0, info->genlhdr->cmd, NULL);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/**
 * vss_nl_writer_register_doit() - register a writer bound to the sender
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied with the writer) or a negative errno.
 */
int vss_nl_writer_register_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_writer_params *p;
	struct vss_writer_info *wi;
	const struct nlattr *nla;
	int rem, ret;

	if (vss_nl_missing(info, VSS_A_WRITER_NAME) ||
	    vss_nl_missing(info, VSS_A_WRITER_LUN))
		return -EINVAL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	wi = kzalloc(sizeof(*wi), GFP_KERNEL);
	ret = -ENOMEM;
	if (!p || !wi)
		goto out_free;
	nla_strscpy(p->name, info->attrs[VSS_A_WRITER_NAME], sizeof(p->name));
	if (info->attrs[VSS_A_WRITER_CLASS_ID])
		vss_nl_get_uuid(info->attrs[VSS_A_WRITER_CLASS_ID], &p->class_id);
	ret = -EINVAL;
	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(nla) != VSS_A_WRITER_LUN)
			continue;
		if (p->nr_luns == VSS_WRITER_MAX_LUNS) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "More LUNs than a writer may name");
			goto out_free;
		}
		if (nla_strscpy(p->luns[p->nr_luns], nla,
				sizeof(p->luns[0])) < 0 ||
		    !vss_nl_name_valid(p->luns[p->nr_luns])) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla, "Invalid LUN name");
			goto out_free;
		}
		p->nr_luns++;
	}
	if (info->attrs[VSS_A_WRITER_EVENT_TIMEOUT_MS])
		p->event_timeout_ms =
			nla_get_u32(info->attrs[VSS_A_WRITER_EVENT_TIMEOUT_MS]);
	if (info->attrs[VSS_A_WRITER_FREEZE_TIMEOUT_MS])
		p->freeze_timeout_ms =
			nla_get_u32(info->attrs[VSS_A_WRITER_FREEZE_TIMEOUT_MS]);
	ret = vss_writer_register(info->snd_portid, p, wi, info->extack);
	if (!ret)
		ret = vss_nl_reply_writer(info, wi, NULL, 0);

out_free:
	kfree(wi);
	kfree(p);
	return ret;
}

/**
 * vss_nl_writer_unregister_doit() - unregister a writer
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno.
 */
int vss_nl_writer_unregister_doit(struct sk_buff *skb, struct genl_info *info)
{
	uuid_t id;

	if (vss_nl_missing(info, VSS_A_WRITER_INSTANCE_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_WRITER_INSTANCE_ID], &id);
	return vss_writer_unregister(info->snd_portid, &id, info->extack);
}

/**
 * vss_nl_writer_get_doit() - one writer, with its status in a session
 * @skb: request
 * @info: request attributes
 *
 * With a session id: the writer's status in that session and its Identify
 * metadata (also for a writer since gone); without: a registered writer
 * and the status of its last session.
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied) or a negative errno.
 */
int vss_nl_writer_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_writer_info *wi;
	struct vss_wsession *ws;
	void *md = NULL;
	u32 md_len = 0;
	uuid_t id, sid;
	int ret;

	if (vss_nl_missing(info, VSS_A_WRITER_INSTANCE_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_WRITER_INSTANCE_ID], &id);
	wi = kzalloc(sizeof(*wi), GFP_KERNEL);
	if (!wi)
		return -ENOMEM;
	if (info->attrs[VSS_A_WRITER_SESSION_ID]) {
		vss_nl_get_uuid(info->attrs[VSS_A_WRITER_SESSION_ID], &sid);
		ws = vss_session_wsession(&sid, info->extack);
		if (IS_ERR(ws)) {
			ret = PTR_ERR(ws);
			goto out_free;
		}
		ret = vss_wsession_writer_info(ws, &id, wi, &md, &md_len);
		vss_wsession_unref(ws);
		if (ret == -ENOENT) {
			NL_SET_ERR_MSG(info->extack,
				       "The writer took no part in this session");
			vss_set_hresult(info->extack, VSS_E_OBJECT_NOT_FOUND);
		}
	} else {
		ret = vss_writer_get_info(&id, wi, info->extack);
	}
	if (!ret)
		ret = vss_nl_reply_writer(info, wi, md, md_len);
	kfree(md);
out_free:
	kfree(wi);
	return ret;
}

/**
 * vss_nl_writer_get_dumpit() - dump writers, or a session's writer statuses
 * @skb: reply buffer
 * @cb: the dump
 *
 * Context: process.
 * Return: bytes added, 0 when done, or a negative errno.
 */
int vss_nl_writer_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);
	struct vss_wsession *ws = NULL;
	struct vss_writer_info *wi;
	struct nlattr **attrs;
	u64 cursor;
	int ret;

	ret = vss_nl_dump_check(cb);
	if (ret)
		return ret;
	if (!ctx->writer.serial) {
		attrs = vss_nl_dump_attrs(cb);
		ctx->writer.has_sid = !!attrs[VSS_A_WRITER_SESSION_ID];
		if (ctx->writer.has_sid)
			vss_nl_get_uuid(attrs[VSS_A_WRITER_SESSION_ID],
					&ctx->writer.sid);
	}
	if (ctx->writer.has_sid) {
		ws = vss_session_wsession(&ctx->writer.sid, cb->extack);
		if (IS_ERR(ws))
			return PTR_ERR(ws);
	}
	wi = kzalloc(sizeof(*wi), GFP_KERNEL);
	if (!wi) {
		vss_wsession_unref(ws);
		return -ENOMEM;
	}
	cb->seq = atomic_read(&vss_nl_gen);
	cursor = ctx->writer.serial;
	for (;;) {
		ret = ws ? vss_wsession_status_next(ws, &cursor, wi) :
			   vss_writer_next_info(&cursor, wi);
		if (ret) {
			ret = 0;
			break;
		}
		ret = vss_nl_fill_writer(skb, wi, NULL, 0,
					 NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 VSS_CMD_WRITER_GET, cb);
		if (ret)
			break;
		ctx->writer.serial = cursor;
	}
	kfree(wi);
	vss_wsession_unref(ws);
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

/**
 * vss_nl_writer_reply_doit() - a writer answers an event
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno (-ETIMEDOUT: the event is not awaited).
 */
int vss_nl_writer_reply_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct vss_writer_reply r = {};

	if (vss_nl_missing(info, VSS_A_WRITER_INSTANCE_ID) ||
	    vss_nl_missing(info, VSS_A_WRITER_SESSION_ID) ||
	    vss_nl_missing(info, VSS_A_WRITER_EVENT) ||
	    vss_nl_missing(info, VSS_A_WRITER_EVENT_SEQ))
		return -EINVAL;
	r.portid = info->snd_portid;
	vss_nl_get_uuid(a[VSS_A_WRITER_INSTANCE_ID], &r.instance_id);
	vss_nl_get_uuid(a[VSS_A_WRITER_SESSION_ID], &r.session_id);
	r.event = nla_get_u32(a[VSS_A_WRITER_EVENT]);
	r.seq = nla_get_u32(a[VSS_A_WRITER_EVENT_SEQ]);
	if (a[VSS_A_WRITER_HR_WRITER])
		r.hr_writer = nla_get_u32(a[VSS_A_WRITER_HR_WRITER]);
	if (a[VSS_A_WRITER_HR_APPLICATION])
		r.hr_application = nla_get_u32(a[VSS_A_WRITER_HR_APPLICATION]);
	if (a[VSS_A_WRITER_MESSAGE])
		r.message = nla_data(a[VSS_A_WRITER_MESSAGE]);
	if (a[VSS_A_WRITER_METADATA]) {
		if (r.event != VSS_WRITER_EVENT_IDENTIFY) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[VSS_A_WRITER_METADATA],
					    "Metadata is only sent with Identify");
			return -EINVAL;
		}
		r.metadata = nla_data(a[VSS_A_WRITER_METADATA]);
		r.metadata_len = nla_len(a[VSS_A_WRITER_METADATA]);
	}
	r.non_fatal = nla_get_flag(a[VSS_A_WRITER_NON_FATAL]);
	if (r.non_fatal && !r.hr_writer) {
		NL_SET_ERR_MSG(info->extack,
			       "non-fatal only applies to a failure (hr-writer)");
		return -EINVAL;
	}
	return vss_writer_answer(&r, info->extack);
}

/**
 * vss_nl_session_writer_filter_doit() - Disable/EnableWriterClasses,
 *	DisableWriterInstances
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno.
 */
int vss_nl_session_writer_filter_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	uuid_t sid, *ids;
	const struct nlattr *nla;
	unsigned int nr = 0;
	int rem, ret;
	u32 mode;

	if (vss_nl_missing(info, VSS_A_SESSION_ID) ||
	    vss_nl_missing(info, VSS_A_SESSION_WRITER_FILTER) ||
	    vss_nl_missing(info, VSS_A_SESSION_WRITER_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SESSION_ID], &sid);
	ids = kcalloc(VSS_WRITER_MAX_LUNS, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(nla) != VSS_A_SESSION_WRITER_ID)
			continue;
		if (nr == VSS_WRITER_MAX_LUNS) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "More than 64 writer ids");
			kfree(ids);
			return -E2BIG;
		}
		vss_nl_get_uuid(nla, &ids[nr++]);
	}
	mode = nla_get_u32(info->attrs[VSS_A_SESSION_WRITER_FILTER]);
	ret = vss_session_writer_filter(&sid, mode, ids, nr, info->extack);
	kfree(ids);
	return ret;
}

/* The session id of a session-* writer operation, or -EINVAL. */
static int vss_nl_session_id(struct genl_info *info, uuid_t *sid)
{
	if (vss_nl_missing(info, VSS_A_SESSION_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_SESSION_ID], sid);
	return 0;
}

/**
 * vss_nl_session_gather_metadata_doit() - GatherWriterMetadata
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN; blocks until the writers answered.
 * Return: 0 or a negative errno.
 */
int vss_nl_session_gather_metadata_doit(struct sk_buff *skb,
					struct genl_info *info)
{
	uuid_t sid;

	return vss_nl_session_id(info, &sid) ?:
	       vss_session_gather_metadata(&sid, info->extack);
}

/**
 * vss_nl_session_prepare_backup_doit() - PrepareForBackup
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN; blocks until the writers answered.
 * Return: 0 or a negative errno.
 */
int vss_nl_session_prepare_backup_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	uuid_t sid;

	return vss_nl_session_id(info, &sid) ?:
	       vss_session_prepare_backup(&sid, info->extack);
}

/**
 * vss_nl_session_backup_complete_doit() - BackupComplete
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN; blocks until the writers answered.
 * Return: 0 or a negative errno.
 */
int vss_nl_session_backup_complete_doit(struct sk_buff *skb,
					struct genl_info *info)
{
	uuid_t sid;

	return vss_nl_session_id(info, &sid) ?:
	       vss_session_backup_complete(&sid, info->extack);
}

/**
 * vss_nl_session_set_context_doit() - SetContext
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno.
 */
int vss_nl_session_set_context_doit(struct sk_buff *skb,
				    struct genl_info *info)
{
	uuid_t sid;

	if (vss_nl_missing(info, VSS_A_SESSION_CONTEXT))
		return -EINVAL;
	return vss_nl_session_id(info, &sid) ?:
	       vss_session_set_context(&sid,
				       nla_get_u32(info->attrs[VSS_A_SESSION_CONTEXT]),
				       info->extack);
}

/* ---- resync (recovery sets) ---- */

static int vss_nl_put_resync(struct sk_buff *skb,
			     const struct vss_resync_info *ri)
{
	if (nla_put_string(skb, VSS_A_RESYNC_LUN, ri->lun) ||
	    nla_put(skb, VSS_A_RESYNC_SNAPSHOT_ID, sizeof(ri->snap_id),
		    &ri->snap_id) ||
	    nla_put_string(skb, VSS_A_RESYNC_DESTINATION, ri->dest) ||
	    nla_put_u32(skb, VSS_A_RESYNC_STATE, ri->state) ||
	    nla_put_u64_64bit(skb, VSS_A_RESYNC_DONE_BYTES, ri->done_bytes,
			      VSS_A_RESYNC_PAD) ||
	    nla_put_u64_64bit(skb, VSS_A_RESYNC_TOTAL_BYTES, ri->total_bytes,
			      VSS_A_RESYNC_PAD) ||
	    nla_put_u64_64bit(skb, VSS_A_RESYNC_RATE, ri->rate,
			      VSS_A_RESYNC_PAD) ||
	    nla_put_u64_64bit(skb, VSS_A_RESYNC_SPEED_MIN, ri->speed_min,
			      VSS_A_RESYNC_PAD) ||
	    nla_put_u64_64bit(skb, VSS_A_RESYNC_SPEED_MAX, ri->speed_max,
			      VSS_A_RESYNC_PAD) ||
	    nla_put_u64_64bit(skb, VSS_A_RESYNC_STARTED, ri->started_ns,
			      VSS_A_RESYNC_PAD))
		return -EMSGSIZE;
	if (ri->error && nla_put_u32(skb, VSS_A_RESYNC_ERROR, ri->error))
		return -EMSGSIZE;
	if (ri->has_times &&
	    (nla_put_u64_64bit(skb, VSS_A_RESYNC_ACTIVATE_US, ri->activate_us,
			       VSS_A_RESYNC_PAD) ||
	     nla_put_u64_64bit(skb, VSS_A_RESYNC_ELAPSED_US, ri->elapsed_us,
			       VSS_A_RESYNC_PAD)))
		return -EMSGSIZE;
	if (ri->has_session &&
	    nla_put(skb, VSS_A_RESYNC_SESSION_ID, sizeof(ri->session_id),
		    &ri->session_id))
		return -EMSGSIZE;
	return 0;
}

/* Parses the members of resync-start into @m; returns how many or -errno. */
static int vss_nl_resync_members(struct genl_info *info,
				 struct vss_resync_member *m)
{
	struct nlattr *tb[VSS_A_RESYNC_MEMBER_MAX + 1];
	const struct nlattr *nla;
	unsigned int nr = 0;
	int rem, ret;

	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(nla) != VSS_A_RESYNC_MEMBER)
			continue;
		if (nr == VSS_MAX_SET_LUNS) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "More members than a set may hold");
			vss_set_hresult(info->extack, VSS_E_BAD_STATE);
			return -E2BIG;
		}
		ret = nla_parse_nested(tb, VSS_A_RESYNC_MEMBER_MAX, nla,
				       vss_resync_member_nl_policy,
				       info->extack);
		if (ret)
			return ret;
		if (!tb[VSS_A_RESYNC_MEMBER_SNAPSHOT_ID]) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "Member without a snapshot id");
			return -EINVAL;
		}
		vss_nl_get_uuid(tb[VSS_A_RESYNC_MEMBER_SNAPSHOT_ID],
				&m[nr].snap_id);
		m[nr].dest = NULL;
		if (tb[VSS_A_RESYNC_MEMBER_DESTINATION] &&
		    nla_len(tb[VSS_A_RESYNC_MEMBER_DESTINATION]) > 1)
			m[nr].dest = nla_data(tb[VSS_A_RESYNC_MEMBER_DESTINATION]);
		nr++;
	}
	if (!nr) {
		GENL_SET_ERR_MSG(info, "The recovery set is empty");
		vss_set_hresult(info->extack, VSS_E_BAD_STATE);
		return -EINVAL;
	}
	return nr;
}

/*
 * RecoverSet's PreRestore: the members are validated (names filled in),
 * then the writers of their destination LUNs (a revert's is its own LUN)
 * are asked.  Returns 0 with @grp (or NULL), or the failure.
 */
static int vss_nl_resync_pre_restore(const uuid_t *sid,
				     struct vss_resync_member *m, int nr,
				     u32 flags, struct vss_wrestore **grp,
				     struct netlink_ext_ack *extack)
{
	const char **luns;
	unsigned int n = 0;
	int i, ret;

	*grp = NULL;
	ret = vss_resync_start(m, nr, flags, true, 0, 0, sid, NULL, extack);
	if (ret)
		return ret;
	luns = kcalloc(nr, sizeof(*luns), GFP_KERNEL);
	if (!luns)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		if (!strncmp(m[i].dest_name, "vss-", 4))
			luns[n++] = m[i].dest_name + 4;
	ret = n ? vss_session_pre_restore(sid, luns, n, grp, extack) : 0;
	kfree(luns);
	return ret;
}

/**
 * vss_nl_resync_start_doit() - RecoverSet (or validate a member)
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied with the members started) or a negative errno.
 */
int vss_nl_resync_start_doit(struct sk_buff *skb, struct genl_info *info)
{
	bool check = nla_get_flag(info->attrs[VSS_A_RESYNC_CHECK]);
	struct vss_wrestore *wgrp = NULL;
	struct vss_session_info si;
	struct vss_resync_member *m;
	u64 smin = 0, smax = 0;
	struct sk_buff *msg;
	struct nlattr *nest;
	uuid_t sid;
	u32 flags = 0;
	void *hdr;
	int nr, i, ret;

	if (vss_nl_missing(info, VSS_A_RESYNC_SESSION_ID))
		return -EINVAL;
	vss_nl_get_uuid(info->attrs[VSS_A_RESYNC_SESSION_ID], &sid);
	ret = vss_session_get_info(&sid, &si, info->extack);
	if (ret) {
		vss_set_hresult(info->extack, VSS_E_BAD_STATE);
		return ret;
	}
	if (info->attrs[VSS_A_RESYNC_FLAGS])
		flags = nla_get_u32(info->attrs[VSS_A_RESYNC_FLAGS]);
	if (flags & ~VSS_RESYNC_F_ALL) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VSS_A_RESYNC_FLAGS],
				    "Unknown recovery flags");
		return -EINVAL;
	}
	if (info->attrs[VSS_A_RESYNC_SPEED_MIN])
		smin = nla_get_u64(info->attrs[VSS_A_RESYNC_SPEED_MIN]);
	if (info->attrs[VSS_A_RESYNC_SPEED_MAX])
		smax = nla_get_u64(info->attrs[VSS_A_RESYNC_SPEED_MAX]);

	m = kcalloc(VSS_MAX_SET_LUNS, sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	nr = vss_nl_resync_members(info, m);
	if (nr < 0) {
		ret = nr;
		goto out_free_m;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	ret = -ENOMEM;
	if (!msg)
		goto out_free_m;
	hdr = genlmsg_put_reply(msg, info, &vss_nl_family, 0,
				VSS_CMD_RESYNC_START);
	if (!hdr)
		goto out_msgsize;
	if (!check && vss_writer_any()) {
		ret = vss_nl_resync_pre_restore(&sid, m, nr, flags, &wgrp,
						info->extack);
		if (ret)
			goto out_free;
	}
	ret = vss_resync_start(m, nr, flags, check, smin, smax, &sid, wgrp,
			       info->extack);
	/* PostRestore once every resync started ended (now if none did) */
	vss_wrestore_end(wgrp, ret ? VSS_RESYNC_STATE_FAILED : 0, -ret);
	if (ret)
		goto out_free;
	for (i = 0; i < nr; i++) {
		nest = nla_nest_start(msg, VSS_A_RESYNC_MEMBER);
		if (!nest ||
		    nla_put(msg, VSS_A_RESYNC_MEMBER_SNAPSHOT_ID,
			    sizeof(m[i].snap_id), &m[i].snap_id) ||
		    nla_put_string(msg, VSS_A_RESYNC_MEMBER_DESTINATION,
				   m[i].dest_name) ||
		    nla_put_string(msg, VSS_A_RESYNC_MEMBER_LUN, m[i].lun))
			goto out_msgsize;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	kfree(m);
	vss_event_objects_changed();
	return genlmsg_reply(msg, info);

out_msgsize:
	ret = -EMSGSIZE;
out_free:
	nlmsg_free(msg);
out_free_m:
	kfree(m);
	return ret;
}

/**
 * vss_nl_resync_get_doit() - the resync of one destination
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 (replied) or a negative errno.
 */
int vss_nl_resync_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vss_resync_info ri;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (vss_nl_missing(info, VSS_A_RESYNC_DESTINATION))
		return -EINVAL;
	ret = vss_resync_get_info(nla_data(info->attrs[VSS_A_RESYNC_DESTINATION]),
				  &ri);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VSS_A_RESYNC_DESTINATION],
				    "No resync of that destination");
		vss_set_hresult(info->extack, VSS_E_OBJECT_NOT_FOUND);
		return ret;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vss_nl_family, 0,
				VSS_CMD_RESYNC_GET);
	if (!hdr || vss_nl_put_resync(msg, &ri)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/**
 * vss_nl_resync_get_dumpit() - dump every resync
 * @skb: reply buffer
 * @cb: the dump; the cursor is the serial of the last resync sent
 *
 * Context: process.
 * Return: bytes added, 0 when done, or a negative errno.
 */
int vss_nl_resync_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vss_nl_dump_ctx *ctx = vss_nl_ctx(cb);
	struct vss_resync_info ri;
	u64 cursor;
	void *hdr;
	int ret;

	ret = vss_nl_dump_check(cb);
	if (ret)
		return ret;
	cb->seq = atomic_read(&vss_nl_gen);
	for (;;) {
		cursor = ctx->session;
		if (vss_resync_next_info(&cursor, &ri))
			break;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &vss_nl_family,
				  NLM_F_MULTI, VSS_CMD_RESYNC_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (vss_nl_put_resync(skb, &ri)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		ctx->session = cursor;
	}
	return skb->len;
}

/**
 * vss_nl_resync_cancel_doit() - stop a running resync
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno.
 */
int vss_nl_resync_cancel_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (vss_nl_missing(info, VSS_A_RESYNC_DESTINATION))
		return -EINVAL;
	return vss_resync_cancel(nla_data(info->attrs[VSS_A_RESYNC_DESTINATION]),
				 info->extack);
}

/**
 * vss_nl_resync_set_doit() - change the rate limits of a resync
 * @skb: request
 * @info: request attributes
 *
 * Context: process, CAP_SYS_ADMIN.
 * Return: 0 or a negative errno.
 */
int vss_nl_resync_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 smin = 0, smax = 0;

	if (vss_nl_missing(info, VSS_A_RESYNC_DESTINATION))
		return -EINVAL;
	if (info->attrs[VSS_A_RESYNC_SPEED_MIN])
		smin = nla_get_u64(info->attrs[VSS_A_RESYNC_SPEED_MIN]);
	if (info->attrs[VSS_A_RESYNC_SPEED_MAX])
		smax = nla_get_u64(info->attrs[VSS_A_RESYNC_SPEED_MAX]);
	return vss_resync_set_speed(nla_data(info->attrs[VSS_A_RESYNC_DESTINATION]),
				    smin, smax, info->extack);
}

/* ---- events ---- */

static int vss_nl_event_cmd(enum vss_event ev)
{
	switch (ev) {
	case VSS_EV_LUN_ADDED:
		return VSS_CMD_LUN_ADDED_NTF;
	case VSS_EV_LUN_REMOVED:
		return VSS_CMD_LUN_REMOVED_NTF;
	case VSS_EV_SNAPSHOT_CREATED:
		return VSS_CMD_SNAPSHOT_CREATED_NTF;
	case VSS_EV_SNAPSHOT_DELETED:
		return VSS_CMD_SNAPSHOT_DELETED_NTF;
	case VSS_EV_SNAPSHOT_INVALIDATED:
		return VSS_CMD_SNAPSHOT_INVALIDATED_NTF;
	case VSS_EV_STORE_LOW:
		return VSS_CMD_STORE_LOW_NTF;
	case VSS_EV_STORE_FULL:
		return VSS_CMD_STORE_FULL_NTF;
	}
	return -EINVAL;
}

/*
 * Starts an event of @cmd with room for @size bytes of attributes.
 * Return: the message, *@hdr its genl header; NULL when out of memory.
 */
static struct sk_buff *vss_nl_event_new(u8 cmd, size_t size, void **hdr)
{
	/* events may be sent with a LUN held or from the I/O path's workers */
	struct sk_buff *skb = genlmsg_new(size, GFP_NOIO);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &vss_nl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/*
 * Multicasts an event whose attributes are in (@err 0), else drops it;
 * frees @skb on every path.
 */
static void vss_nl_event_end(struct sk_buff *skb, void *hdr, int err)
{
	if (err) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	rcu_read_lock();
	if (READ_ONCE(vss_nl_registered))
		genlmsg_multicast(&vss_nl_family, skb, 0, VSS_NLGRP_EVENTS,
				  GFP_ATOMIC);
	else
		nlmsg_free(skb);
	rcu_read_unlock();
}

static bool vss_nl_has_listeners(void)
{
	bool ret;

	rcu_read_lock();
	ret = READ_ONCE(vss_nl_registered) &&
	      genl_has_listeners(&vss_nl_family, &init_net, VSS_NLGRP_EVENTS);
	rcu_read_unlock();
	return ret;
}

/**
 * vss_event_lun() - report a LUN event to the "events" group
 * @ev: VSS_EV_LUN_ADDED, VSS_EV_LUN_REMOVED, VSS_EV_STORE_LOW or
 *	VSS_EV_STORE_FULL
 * @lun: the LUN
 *
 * Context: process, without engine locks held (as events.h promises).
 */
void vss_event_lun(enum vss_event ev, struct vss_lun *lun)
{
	int cmd = vss_nl_event_cmd(ev);
	struct sk_buff *skb;
	void *hdr;

	vss_event_objects_changed();
	if (WARN_ON_ONCE(cmd < 0) || !vss_nl_has_listeners())
		return;
	skb = vss_nl_event_new(cmd, NLMSG_GOODSIZE, &hdr);
	if (skb)
		vss_nl_event_end(skb, hdr,
				 vss_nl_put_lun(skb, lun,
						ev == VSS_EV_LUN_REMOVED));
}

/**
 * vss_event_snapshot() - report a snapshot event to the "events" group
 * @ev: VSS_EV_SNAPSHOT_CREATED, _DELETED or _INVALIDATED
 * @snap: the snapshot
 *
 * Carries the id of the session whose set made the snapshot, while that
 * session exists.
 *
 * Context: process, without engine locks held (as events.h promises).
 */
void vss_event_snapshot(enum vss_event ev, struct vss_snapshot *snap)
{
	int cmd = vss_nl_event_cmd(ev);
	struct vss_snapshot_info si;
	struct sk_buff *skb;
	uuid_t sid;
	bool has_sid;
	void *hdr;

	vss_event_objects_changed();
	if (WARN_ON_ONCE(cmd < 0) || !vss_nl_has_listeners())
		return;
	vss_snapshot_get_info(snap, &si);
	has_sid = vss_session_of_set(&si.set_id, &sid);
	skb = vss_nl_event_new(cmd, NLMSG_GOODSIZE, &hdr);
	if (skb)
		vss_nl_event_end(skb, hdr,
				 vss_nl_put_snapshot(skb, &si,
						     has_sid ? &sid : NULL));
}

/**
 * vss_nl_set_break_event() - report a broken snapshot set to "events"
 * @set_id: the set
 * @count: how many of its snapshots were released (recorded), > 0
 *
 * Context: process, without engine locks held.
 */
static void vss_nl_set_break_event(const uuid_t *set_id, u32 count)
{
	struct sk_buff *skb;
	void *hdr;
	int err;

	if (!vss_nl_has_listeners())
		return;
	skb = vss_nl_event_new(VSS_CMD_SET_BREAK_NTF,
			       nla_total_size(sizeof(*set_id)) +
			       nla_total_size(sizeof(count)), &hdr);
	if (!skb)
		return;
	err = nla_put(skb, VSS_A_SET_ID, sizeof(*set_id), set_id) ||
	      nla_put_u32(skb, VSS_A_SET_SNAPSHOT_COUNT, count);
	vss_nl_event_end(skb, hdr, err);
}

/**
 * vss_event_writer() - send an event to a writer's socket (unicast)
 * @portid: the writer's port
 * @ev: the event
 *
 * Context: process.
 * Return: 0 or a negative errno (not delivered).
 */
int vss_event_writer(u32 portid, const struct vss_writer_ev *ev)
{
	struct sk_buff *skb;
	unsigned int i;
	void *hdr;
	int ret = -EMSGSIZE;

	skb = vss_nl_event_new(VSS_CMD_WRITER_EVENT_NTF, NLMSG_GOODSIZE, &hdr);
	if (!skb)
		return -ENOMEM;
	if (nla_put(skb, VSS_A_WRITER_INSTANCE_ID, sizeof(ev->instance_id),
		    &ev->instance_id) ||
	    nla_put(skb, VSS_A_WRITER_SESSION_ID, sizeof(ev->session_id),
		    &ev->session_id) ||
	    (ev->has_set && nla_put(skb, VSS_A_WRITER_SET_ID,
				    sizeof(ev->set_id), &ev->set_id)) ||
	    nla_put_u32(skb, VSS_A_WRITER_EVENT, ev->event) ||
	    nla_put_u32(skb, VSS_A_WRITER_EVENT_SEQ, ev->seq) ||
	    nla_put_u32(skb, VSS_A_WRITER_TIMEOUT_MS, ev->timeout_ms))
		goto out_free;
	for (i = 0; i < ev->nr_luns; i++)
		if (nla_put_string(skb, VSS_A_WRITER_LUN, ev->luns[i]))
			goto out_free;
	if (ev->has_restore &&
	    (nla_put_u32(skb, VSS_A_WRITER_RESTORE_STATE, ev->restore_state) ||
	     nla_put_u32(skb, VSS_A_WRITER_RESTORE_ERROR, ev->restore_error)))
		goto out_free;
	genlmsg_end(skb, hdr);
	rcu_read_lock();
	if (READ_ONCE(vss_nl_registered)) {
		ret = genlmsg_unicast(&init_net, skb, portid);
	} else {
		nlmsg_free(skb);
		ret = -ENODEV;
	}
	rcu_read_unlock();
	return ret;

out_free:
	nlmsg_free(skb);
	return ret;
}

/**
 * vss_event_set_done() - send the outcome of a DoSnapshotSet (unicast)
 * @d: the outcome
 *
 * Context: process, without engine locks held.
 */
void vss_event_set_done(const struct vss_set_done *d)
{
	const struct vss_set_result *res = d->res;
	struct sk_buff *skb;
	unsigned int i;
	void *hdr;

	/* room for every member of a full set */
	skb = vss_nl_event_new(VSS_CMD_SET_DONE_NTF, 16384, &hdr);
	if (!skb) {
		pr_warn("set %pUb: outcome (%d) not reported: out of memory\n",
			&d->set_id, d->error);
		return;
	}
	if (nla_put(skb, VSS_A_SET_SESSION_ID, sizeof(d->session_id),
		    &d->session_id) ||
	    nla_put(skb, VSS_A_SET_ID, sizeof(d->set_id), &d->set_id) ||
	    nla_put_u32(skb, VSS_A_SET_STATE, d->state) ||
	    nla_put_s32(skb, VSS_A_SET_ERROR, d->error))
		goto out_free;
	if (d->error) {
		if ((d->hresult &&
		     nla_put_u32(skb, VSS_A_SET_HRESULT, d->hresult)) ||
		    (d->message &&
		     nla_put_string(skb, VSS_A_SET_MESSAGE, d->message)))
			goto out_free;
	} else {
		if (nla_put_u64_64bit(skb, VSS_A_SET_HOLD_US, res->hold_us,
				      VSS_A_SET_PAD))
			goto out_free;
		for (i = 0; i < res->nr; i++)
			if (vss_nl_put_member(skb, &res->m[i]))
				goto out_free;
	}
	genlmsg_end(skb, hdr);
	rcu_read_lock();
	if (READ_ONCE(vss_nl_registered))
		genlmsg_unicast(&init_net, skb, d->portid);
	else
		nlmsg_free(skb);
	rcu_read_unlock();
	return;

out_free:
	nlmsg_free(skb);
}

/**
 * vss_event_resync() - report a resync event to the "events" group
 * @ev: started, progress, done, failed or cancelled
 * @ri: the resync's state
 *
 * Context: process, without engine locks held.
 */
void vss_event_resync(enum vss_resync_event ev,
		      const struct vss_resync_info *ri)
{
	static const u8 cmds[] = {
		[VSS_EV_RESYNC_STARTED] = VSS_CMD_RESYNC_STARTED_NTF,
		[VSS_EV_RESYNC_PROGRESS] = VSS_CMD_RESYNC_PROGRESS_NTF,
		[VSS_EV_RESYNC_DONE] = VSS_CMD_RESYNC_DONE_NTF,
		[VSS_EV_RESYNC_FAILED] = VSS_CMD_RESYNC_FAILED_NTF,
		[VSS_EV_RESYNC_CANCELLED] = VSS_CMD_RESYNC_CANCELLED_NTF,
	};
	struct sk_buff *skb;
	void *hdr;

	if (ev != VSS_EV_RESYNC_PROGRESS)
		vss_event_objects_changed();
	if (WARN_ON_ONCE(ev >= ARRAY_SIZE(cmds) || !cmds[ev]) ||
	    !vss_nl_has_listeners())
		return;
	skb = vss_nl_event_new(cmds[ev], NLMSG_GOODSIZE, &hdr);
	if (skb)
		vss_nl_event_end(skb, hdr, vss_nl_put_resync(skb, ri));
}

/* ---- family ---- */

static const struct genl_multicast_group vss_nl_mcgrps[] = {
	[VSS_NLGRP_EVENTS] = {
		.name = VSS_MCGRP_EVENTS,
#ifdef GENL_MCAST_CAP_SYS_ADMIN
		/* events name LUNs and devices: as privileged as the ops */
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
#endif
	},
};

static struct genl_family vss_nl_family __ro_after_init = {
	.name		= VSS_FAMILY_NAME,
	.version	= VSS_FAMILY_VERSION,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.resv_start_op	= 0,	/* strict validation of every op */
	.pre_doit	= vss_nl_pre_doit,
	.ops		= vss_nl_ops,
	.n_ops		= ARRAY_SIZE(vss_nl_ops),
	.mcgrps		= vss_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vss_nl_mcgrps),
};

/**
 * vss_nl_init() - register the "vss" generic netlink family
 *
 * Context: module init.
 * Return: 0 or a negative errno.
 */
int vss_nl_init(void)
{
	int ret;

	ret = genl_register_family(&vss_nl_family);
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
		return ret;
	}
	WRITE_ONCE(vss_nl_registered, true);
	return 0;
}

/**
 * vss_nl_exit() - unregister the family; later events are dropped
 *
 * Context: module exit.
 */
void vss_nl_exit(void)
{
	WRITE_ONCE(vss_nl_registered, false);
	synchronize_rcu();	/* no event is being sent any more */
	genl_unregister_family(&vss_nl_family);
}
