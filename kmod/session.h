/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss requester sessions and snapshot sets (the control plane's state).
 *
 * A session is the kernel side of a VSS backup components object: created
 * over netlink, bound to the creating socket (its netlink port id), torn
 * down at once when that socket is released.  It builds snapshot sets and
 * reserves their LUNs; DoSnapshotSet runs here, on a kernel worker, and
 * reports its outcome with vss_event_set_done().
 */
#ifndef _VSS_SESSION_H
#define _VSS_SESSION_H

#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/netlink.h>
#include "vss.h"

/**
 * struct vss_session_info - a copy of a session's state for queries
 * @id: session id
 * @portid: netlink port id of the owning socket
 * @state: enum vss_session_state (uAPI)
 * @has_set: @set_id, @set_state and @lun_count are valid
 * @set_id: current or last snapshot set
 * @set_state: enum vss_set_state (uAPI) of that set
 * @lun_count: LUNs in that set
 * @context: enum vss_snapshot_context (SetContext)
 */
struct vss_session_info {
	uuid_t id;
	u32 portid;
	u32 state;
	bool has_set;
	uuid_t set_id;
	u32 set_state;
	u32 lun_count;
	u32 context;
};

/**
 * struct vss_set_member_info - one LUN of a created snapshot set
 * @lun: LUN name
 * @snap_id: id of its snapshot
 * @device: disk name of the snapshot device
 * @devt: its device number
 */
struct vss_set_member_info {
	char lun[VSS_NAME_MAX + 1];
	uuid_t snap_id;
	char device[32];
	dev_t devt;
};

/**
 * struct vss_set_result - what DoSnapshotSet reports on success
 * @hold_us: I/O hold window, first hold to last release, in microseconds
 * @nr: entries in @m
 * @m: the LUNs of the set, in the order they were added
 */
struct vss_set_result {
	u64 hold_us;
	unsigned int nr;
	struct vss_set_member_info m[VSS_MAX_SET_LUNS];
};

int vss_session_create(u32 portid, struct vss_session_info *info);
int vss_session_get_info(const uuid_t *id, struct vss_session_info *info,
			 struct netlink_ext_ack *extack);
int vss_session_next_info(u64 *cursor, struct vss_session_info *info);
int vss_session_abort(const uuid_t *id, struct netlink_ext_ack *extack);
int vss_session_set_context(const uuid_t *sid, u32 context,
			    struct netlink_ext_ack *extack);

int vss_session_set_start(const uuid_t *sid, uuid_t *set_id,
			  struct netlink_ext_ack *extack);
int vss_session_set_add(const uuid_t *sid, const uuid_t *set_id,
			const char *lun_name, uuid_t *snap_id,
			struct netlink_ext_ack *extack);
int vss_session_set_do(const uuid_t *sid, const uuid_t *set_id,
		       bool writers, struct netlink_ext_ack *extack);
int vss_session_set_del(const uuid_t *set_id, struct netlink_ext_ack *extack);
int vss_session_set_break(const uuid_t *set_id, u32 *count,
			  struct netlink_ext_ack *extack);

struct vss_wsession;
int vss_session_writer_filter(const uuid_t *sid, u32 mode, const uuid_t *ids,
			      unsigned int nr, struct netlink_ext_ack *extack);
int vss_session_gather_metadata(const uuid_t *sid,
				struct netlink_ext_ack *extack);
int vss_session_prepare_backup(const uuid_t *sid,
			       struct netlink_ext_ack *extack);
int vss_session_backup_complete(const uuid_t *sid,
				struct netlink_ext_ack *extack);
struct vss_wrestore;
int vss_session_pre_restore(const uuid_t *sid, const char *const *luns,
			    unsigned int nr, struct vss_wrestore **grp,
			    struct netlink_ext_ack *extack);
struct vss_wsession *vss_session_wsession(const uuid_t *sid,
					  struct netlink_ext_ack *extack);

bool vss_session_lun_holder(struct vss_lun *lun, uuid_t *sid);
bool vss_session_of_set(const uuid_t *set_id, uuid_t *sid);
int vss_session_lun_remove(struct vss_lun *lun, struct netlink_ext_ack *extack);

#endif /* _VSS_SESSION_H */
