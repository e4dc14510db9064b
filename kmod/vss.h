/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss - internal interface between the storage engine (lun, store,
 * snapshot, cow) and the control plane (netlink, session).
 *
 * The engine owns every object declared here; the control plane only calls
 * the functions below and never touches engine internals.  Objects are
 * reference counted: every *_find() returns a reference that the caller
 * drops with the matching *_put().
 */
#ifndef _VSS_H
#define _VSS_H

#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/netlink.h>

#include "events.h"

#define VSS_NAME_MAX		20	/* LUN name, [A-Za-z0-9_.], no '-' */
#define VSS_MAX_SNAPSHOTS	512	/* per LUN, the VSS limit */
#define VSS_MAX_SET_LUNS	64	/* LUNs per snapshot set */
#define VSS_CHUNK_MIN		4096
#define VSS_CHUNK_MAX		(1024 * 1024)
#define VSS_CHUNK_DEFAULT	(64 * 1024)

struct vss_lun;
struct vss_snapshot;

/* ---- LUN (protected device) ---- */

/**
 * struct vss_lun_params - what "lun add" asks for
 * @name: LUN name (device node is /dev/vss-@name)
 * @backing: path of the backing block device (the real LUN)
 * @store: path of the diff-area block device
 * @chunk_size: bytes, power of two in [VSS_CHUNK_MIN, VSS_CHUNK_MAX];
 *	0 means "as recorded in the store", or VSS_CHUNK_DEFAULT for a new store
 * @format: initialise the store even if it holds an existing vss store
 */
struct vss_lun_params {
	const char *name;
	const char *backing;
	const char *store;
	u32 chunk_size;
	bool format;
};

/**
 * struct vss_lun_info - a copy of a LUN's state for queries
 * @name: LUN name
 * @device: disk name of the protected device, "vss-<name>"
 * @backing: disk name of the backing device, e.g. "ram0"
 * @store: disk name of the store device
 * @devt: device number of the protected device
 * @chunk_size: copy-on-write unit in bytes
 * @size: LUN size in bytes
 * @store_size: store bytes usable for data and metadata
 * @store_used: store bytes in use
 * @nr_snapshots: live snapshots
 * @busy: held by a session
 */
struct vss_lun_info {
	char name[VSS_NAME_MAX + 1];
	char device[32];
	char backing[64];
	char store[64];
	dev_t devt;
	u32 chunk_size;
	u64 size;
	u64 store_size;
	u64 store_used;
	u32 nr_snapshots;
	bool busy;
};

int vss_lun_add(const struct vss_lun_params *p, struct netlink_ext_ack *extack,
		struct vss_lun **out);
/* -EBUSY if open, mounted, held by a session or has snapshot devices open */
int vss_lun_remove(struct vss_lun *lun, struct netlink_ext_ack *extack);
struct vss_lun *vss_lun_find(const char *name);
/* Session ownership: a claimed LUN reports busy and refuses removal. */
int vss_lun_claim(struct vss_lun *lun);		/* -EBUSY if claimed */
void vss_lun_unclaim(struct vss_lun *lun);
void vss_lun_get(struct vss_lun *lun);
void vss_lun_put(struct vss_lun *lun);
void vss_lun_get_info(struct vss_lun *lun, struct vss_lun_info *info);
/* Iterate LUNs in name order: returns the next LUN after @name ("" = first) */
struct vss_lun *vss_lun_next(const char *name);

/*
 * Snapshot-set support.  The control plane, for every LUN of a set, calls in
 * this order: vss_lun_freeze (all) -> vss_snapshot_prepare (all) ->
 * vss_lun_hold (all) -> vss_snapshot_commit (all) -> vss_lun_release (all)
 * -> vss_lun_thaw (all) -> vss_snapshot_persist (all).  On failure,
 * vss_snapshot_abort() undoes prepare, or deletes a committed snapshot;
 * until persist succeeded only the set itself may delete its snapshots
 * (vss_snapshot_delete() refuses).
 */
int vss_lun_freeze(struct vss_lun *lun);	/* freeze fs mounted on the LUN */
void vss_lun_thaw(struct vss_lun *lun);
/* VSS's limit on holding writes for a snapshot (VSS_E_HOLD_WRITES_TIMEOUT) */
#define VSS_HOLD_MAX_MS		10000

int vss_lun_hold(struct vss_lun *lun);		/* bounded: stop, drain I/O */
void vss_lun_hold_start(struct vss_lun *lun);	/* stop admitting writes */
long vss_lun_hold_wait(struct vss_lun *lun, long timeout); /* drain */
void vss_lun_release(struct vss_lun *lun);	/* resume I/O */

/* ---- snapshots ---- */

/*
 * The uAPI's values, VSS_SNAPSHOT_STATE's, reported as they are (checked
 * against include/uapi/linux/vss.h in session.c)
 */
enum vss_snapshot_state {
	VSS_SNAP_PREPARED = 3,	/* allocated, not yet committed */
	VSS_SNAP_COMMITTED = 7,	/* point in time taken, not yet durable */
	VSS_SNAP_READY = 12,	/* durable, device available */
	VSS_SNAP_INVALID = 13,	/* lost to store overflow or I/O error: reads EIO */
	VSS_SNAP_DELETING = 14,
};

struct vss_snapshot_info {
	uuid_t id;
	uuid_t set_id;
	char lun[VSS_NAME_MAX + 1];
	char device[32];		/* "vss-<lun>-s<seq>" */
	dev_t devt;
	u32 seq;			/* per-LUN sequence number */
	u64 created_ns;			/* CLOCK_REALTIME at commit */
	enum vss_snapshot_state state;
	u64 cow_bytes;			/* data preserved in this snapshot's area */
};

int vss_snapshot_prepare(struct vss_lun *lun, const uuid_t *id,
			 const uuid_t *set_id, struct netlink_ext_ack *extack,
			 struct vss_snapshot **out);
void vss_snapshot_commit(struct vss_snapshot *snap);	/* under hold; can't fail */
int vss_snapshot_persist(struct vss_snapshot *snap);	/* durable + gendisk */
/* undo prepare, or delete a snapshot of a set that failed after commit */
int vss_snapshot_abort(struct vss_snapshot *snap, struct netlink_ext_ack *extack);
int vss_snapshot_delete(struct vss_snapshot *snap, struct netlink_ext_ack *extack);
/* BreakSnapshotSet of one snapshot: durably clear its set id */
int vss_snapshot_break(struct vss_snapshot *snap);
struct vss_snapshot *vss_snapshot_find(const uuid_t *id);
void vss_snapshot_put(struct vss_snapshot *snap);
void vss_snapshot_get_info(struct vss_snapshot *snap,
			   struct vss_snapshot_info *info);
/* Snapshots of @lun in creation order: next after @seq (0 = first) */
struct vss_snapshot *vss_snapshot_next(struct vss_lun *lun, u32 seq);

/**
 * vss_snapshot_changes - changed-block tracking
 * @snap: the snapshot
 * @start: first chunk to report
 * @cb: called with each extent (in chunks) changed on the LUN since @snap was
 *	taken, in ascending order; a non-zero return stops the walk and is
 *	returned (used by dumps to resume at the next extent)
 * @arg: passed to @cb
 *
 * Context: process context; takes the LUN's map lock around each lookup.
 * Return: 0 when the walk reached the end, else the first non-zero value
 * returned by @cb.
 */
int vss_snapshot_changes(struct vss_snapshot *snap, u64 start,
			 int (*cb)(void *arg, u64 chunk, u64 nr_chunks),
			 void *arg);

/* Events are reported through events.h (implemented by netlink.c). */

/* ---- module init, one pair per object file ---- */
int vss_lun_init(void);
void vss_lun_exit(void);
int vss_nl_init(void);
void vss_nl_exit(void);
int vss_session_init(void);
void vss_session_exit(void);

#endif /* _VSS_H */
