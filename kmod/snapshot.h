/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss snapshots: per-snapshot exception maps, snapshot devices, delete with
 * handover, store-full policy, changed-block tracking and log replay.
 */
#ifndef _VSS_SNAPSHOT_H
#define _VSS_SNAPSHOT_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/xarray.h>
#include "vss.h"
#include "store.h"

struct vss_lun;

/**
 * struct vss_snapshot - one point-in-time image of a LUN
 * @kref: lifetime; the LUN's list, the global list, the gendisk, COWs and
 *	every vss_snapshot_find() caller hold a reference
 * @lun: the LUN (a reference is held)
 * @lun_node: on &vss_lun.snaps; changed under &vss_lun.map_lock and
 *	&vss_lun.snap_mutex
 * @all_node: on the global snapshot list, under vss_snapshots_lock
 * @ps: persistent identity (slot, seq, ids, creation time)
 * @state: enum vss_snapshot_state; written under &vss_lun.map_lock
 * @persisted: the create record is durable; under &vss_lun.snap_mutex
 * @owned: being created by a running DoSnapshotSet, which alone may
 *	delete it (vss_snapshot_abort()); under &vss_lun.snap_mutex
 * @inval_done: the invalidation is durable and the chunks were freed;
 *	under &vss_lun.snap_mutex
 * @map: lun chunk -> xa_mk_value(store chunk) for the chunks first written
 *	while this was the newest snapshot; modified under &vss_lun.map_lock
 * @nr_entries: entries in @map; under &vss_lun.map_lock
 * @cow_active: COWs holding a store chunk for this snapshot; under
 *	&vss_lun.map_lock
 * @disk: the read-only snapshot device, or NULL
 * @disk_added: @disk was added (visible); under &vss_lun.snap_mutex
 * @devt: device number of @disk while added, else 0; under
 *	&vss_lun.map_lock (queries must not take snap_mutex: events are sent
 *	under it)
 */
struct vss_snapshot {
	struct kref kref;
	struct vss_lun *lun;
	struct list_head lun_node;
	struct list_head all_node;
	struct vss_store_snap ps;
	enum vss_snapshot_state state;
	bool persisted;
	bool owned;
	bool inval_done;
	struct xarray map;
	u64 nr_entries;
	unsigned int cow_active;
	struct gendisk *disk;
	bool disk_added;
	dev_t devt;
};

/* a snapshot the COW path preserves data for; under map_lock */
static inline bool vss_snap_live(const struct vss_snapshot *snap)
{
	return snap->state == VSS_SNAP_COMMITTED ||
	       snap->state == VSS_SNAP_READY;
}

extern const struct vss_store_replay_ops vss_snap_replay_ops;

void vss_snap_get(struct vss_snapshot *snap);
int vss_snap_any_inc_locked(struct vss_lun *lun, u64 chunk, gfp_t gfp);
void vss_snap_any_dec_locked(struct vss_lun *lun, u64 chunk);
int vss_snap_replay_done(struct vss_lun *lun);
void vss_snap_remove_all(struct vss_lun *lun);
void vss_snap_exit(void);
bool vss_snap_any_open(struct vss_lun *lun);
void vss_snap_fail_all_locked(struct vss_lun *lun);
void vss_snap_reclaim_work(struct work_struct *work);
void vss_snap_store_usage(struct vss_lun *lun);
void vss_snap_gate_release(struct vss_lun *lun);

#endif /* _VSS_SNAPSHOT_H */
