/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss store ("diff area"): the persistent, crash-consistent home of
 * snapshot metadata and of the chunks preserved by copy-on-write.
 *
 * Contract between the store (store.c: on-disk format, metadata log, group
 * commit, replay, allocation) and the engine (lun.c/cow.c/snapshot.c:
 * in-memory maps, I/O path).  The store knows nothing about bios of the
 * LUN; the engine knows nothing about the on-disk layout.
 *
 * Ordering rules the engine relies on:
 *  - vss_store_add_exception() is called only after the preserved data has
 *    been written to vss_store_chunk_sector(); the store makes that data
 *    durable (REQ_PREFLUSH) before or with the record (REQ_FUA), then calls
 *    the completion.  The engine releases the origin write only then.
 *  - Records are durable in the order they were issued; replay hands them
 *    back in that order.
 *  - A chunk freed by a delete is handed to vss_store_free() only after
 *    vss_store_snapshot_delete() returned (the delete record is durable), so
 *    a crash can never expose a reused chunk to a snapshot that still maps it.
 *
 * Contexts and memory:
 *  - The store allocates nothing per record: the caller provides a struct
 *    vss_store_rec for each exception (embedded in its per-copy object) and
 *    owns it again when the completion runs.  Records in flight are thus
 *    bounded by the engine's copies in flight (one record per copy).
 *  - A completion (@done of vss_store_add_exception()) runs in one of: the
 *    store's own workers; the thread of a synchronous store call or of a
 *    checkpoint that committed the batch; the caller's own worker that
 *    queued a record with vss_store_add_exception_own() and found the log
 *    idle, when the store device completed the write inside submit_bio();
 *    or, when the store device
 *    completed the log write inside the submit_bio() call chain of the
 *    very task that queued it (brd), right there (current->bio_list is set
 *    then: bios submitted from @done are queued, not started).  Never in
 *    an interrupt, never in another driver's completion thread.  @done
 *    must not sleep when current->bio_list is set, must not call the
 *    synchronous store functions, and may queue more exceptions.
 */
#ifndef _VSS_STORE_H
#define _VSS_STORE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/uuid.h>
#include <linux/blkdev.h>
#include <linux/netlink.h>

struct vss_store;

/**
 * struct vss_store_snap - persistent identity of one snapshot
 * @slot: 0 .. VSS_MAX_SNAPSHOTS-1, reused after delete
 * @seq: per-LUN creation sequence number (monotonic, never reused)
 * @id: snapshot id
 * @set_id: snapshot-set id
 * @created_ns: CLOCK_REALTIME at commit
 */
struct vss_store_snap {
	u16 slot;
	u32 seq;
	uuid_t id;
	uuid_t set_id;
	u64 created_ns;
};

/**
 * struct vss_store_resync - persistent state of a LUN's online revert, or
 * of an online copy onto it
 * @slot: target snapshot's slot (VSS_RS_COPY_SLOT for a copy)
 * @flags: RecoverSet flags
 * @state: enum vss_resync_state (running, failed, cancelled; done ends
 *	it); the same values as on disk (VSS_RS_* in store_format.h)
 * @error: errno of a failure
 * @runs: runs of the work set as written by its START (replay: as read)
 * @chunks: chunks of the work set at START
 * @total_bytes: bytes of the work set at START
 * @started_ns: CLOCK_REALTIME of RecoverSet
 * @speed_min: guaranteed rate, bytes/s
 * @speed_max: ceiling, bytes/s, 0 = none
 * @copy: an online copy onto this LUN from another LUN's snapshot
 *	@src_id (@slot is VSS_RS_COPY_SLOT), not a revert
 * @src_id: that snapshot
 */
struct vss_store_resync {
	u16 slot;
	u32 flags;
	u32 state;
	u32 error;
	u64 runs;
	u64 chunks;
	u64 total_bytes;
	u64 started_ns;
	u64 speed_min;
	u64 speed_max;
	bool copy;
	uuid_t src_id;
};

/**
 * struct vss_store_run - a run of LUN chunks
 * @first: first chunk
 * @nr: chunks
 */
struct vss_store_run {
	u64 first;
	u64 nr;
};

/**
 * struct vss_store_rec - a metadata record on its way to the log
 * @list: in the store's pending list, then in a commit batch
 * @done: completion, called once the record is durable or failed
 * @ctx: argument of @done
 * @lun_chunk: exception: LUN chunk
 * @store_chunk: exception: store chunk
 * @snap: create: the snapshot (the caller's, valid until the call returns)
 * @resync: resync start and state records: the state (as @snap)
 * @err: result; set before the commit when the record is refused
 * @slot: snapshot slot
 * @type: enum vss_rec_type (store_format.h)
 *
 * The memory is the caller's, the content the store's: the caller neither
 * reads nor writes it between vss_store_add_exception() and @done.
 */
struct vss_store_rec {
	struct list_head list;
	void (*done)(void *ctx, int err);
	void *ctx;
	u64 lun_chunk;
	u64 store_chunk;
	const struct vss_store_snap *snap;
	const struct vss_store_resync *resync;
	int err;
	u16 slot;
	u8 type;
};

/**
 * struct vss_store_replay_ops - engine callbacks, called during
 * vss_store_open() in log order to rebuild the in-memory state.  A non-zero
 * return aborts the open (the store is then refused).
 * @attach: optional, called first with the store being opened (see below)
 * @snapshot_create: a snapshot exists in @s->slot
 * @snapshot_delete: the snapshot in @slot was deleted
 * @snapshot_invalidate: the snapshot in @slot lost its data
 * @snapshot_break: the snapshot in @slot (live) left its set: its set id is
 *	all zeros from now on
 * @exception: @lun_chunk of snapshot @slot is preserved in @store_chunk;
 *	exceptions recorded before their snapshot's create record are
 *	delivered right after it, those of a snapshot never created are not
 *	delivered at all
 */
struct vss_store_replay_ops {
	/*
	 * ADDED (A2): optional; called once, before any other op, with the
	 * store being opened, so that a replayed delete/invalidate can hand
	 * the chunks it releases to vss_store_free() (the store rebuilds its
	 * allocation bitmap from the records; only the engine knows which
	 * chunks a delete hands over to the previous snapshot).
	 */
	void (*attach)(void *arg, struct vss_store *st);
	int (*snapshot_create)(void *arg, const struct vss_store_snap *s);
	int (*snapshot_delete)(void *arg, u16 slot);
	int (*snapshot_invalidate)(void *arg, u16 slot);
	int (*snapshot_break)(void *arg, u16 slot);
	int (*exception)(void *arg, u16 slot, u64 lun_chunk, u64 store_chunk);
};

/**
 * struct vss_store_params - what the engine tells the store at open
 * @bdev: the store block device, opened exclusively by the engine
 * @lun_name: LUN name, recorded in a new store, checked on re-open
 * @lun_size: LUN size in bytes, recorded, checked on re-open
 * @chunk_size: 0 = as recorded (or the default for a new store)
 * @format: initialise even if the device holds a vss store
 */
struct vss_store_params {
	struct block_device *bdev;
	const char *lun_name;
	u64 lun_size;
	u32 chunk_size;
	bool format;
};

struct vss_store *vss_store_open(const struct vss_store_params *p,
				 const struct vss_store_replay_ops *ops,
				 void *arg, struct netlink_ext_ack *extack);
void vss_store_close(struct vss_store *st);

u32 vss_store_chunk_size(struct vss_store *st);		/* bytes */
u64 vss_store_nr_chunks(struct vss_store *st);		/* data + metadata */
u64 vss_store_used_chunks(struct vss_store *st);
bool vss_store_commit_state(struct vss_store *st, unsigned int *queued);
u64 vss_store_mem_bytes(struct vss_store *st);	/* allocator memory */
sector_t vss_store_chunk_sector(struct vss_store *st, u64 store_chunk);

/*
 * ADDED (A2): highest snapshot seq ever created in this store, including
 * deleted snapshots whose records a checkpoint dropped; the engine numbers
 * new snapshots after max(this, replayed seqs) so seqs are never reused.
 */
u32 vss_store_last_seq(struct vss_store *st);

int vss_store_alloc(struct vss_store *st, u64 *store_chunk); /* -ENOSPC */
void vss_store_free(struct vss_store *st, u64 store_chunk);
bool vss_store_chunk_in_log(struct vss_store *st, u64 store_chunk);

void vss_store_add_exception(struct vss_store *st, struct vss_store_rec *rec,
			     u16 slot, u64 lun_chunk, u64 store_chunk,
			     void (*done)(void *ctx, int err), void *ctx);
void vss_store_add_exception_own(struct vss_store *st,
				 struct vss_store_rec *rec, u16 slot,
				 u64 lun_chunk, u64 store_chunk,
				 void (*done)(void *ctx, int err), void *ctx);
/* synchronous; durable on return */
int vss_store_snapshot_create(struct vss_store *st,
			      const struct vss_store_snap *s);
int vss_store_snapshot_delete(struct vss_store *st, u16 slot);
int vss_store_snapshot_invalidate(struct vss_store *st, u16 slot);
int vss_store_snapshot_break(struct vss_store *st, u16 slot);

/*
 * Compaction: write the live state (enumerated by @enumerate on @arg) as a
 * new log, switch the superblock to it, free the old log.  Exception
 * records keep being committed to the old log meanwhile; the store carries
 * them over into the new one.  @enumerate lists the state as of its call:
 * every exception whose record was completed before it, none queued after
 * it (see vss_store_checkpoint()).
 */
bool vss_store_needs_checkpoint(struct vss_store *st);
int vss_store_checkpoint(struct vss_store *st,
			 int (*enumerate)(void *arg, struct vss_store *st),
			 void *arg);
/* called from the engine's enumerate callback */
int vss_store_cp_snapshot(struct vss_store *st, const struct vss_store_snap *s,
			  bool invalid);
int vss_store_cp_exception(struct vss_store *st, u16 slot, u64 lun_chunk,
			   u64 store_chunk);

/*
 * Resync records (online revert, see Documentation/resync.rst).  All are
 * synchronous (durable on return) and serialised with checkpoints.
 *  - vss_store_resync_start(): a new work set (@n runs, non-overlapping,
 *    ascending) for a revert to @rs->slot, or for a copy of another
 *    LUN's snapshot @rs->src_id onto this LUN (@rs->copy: a SOURCE record
 *    first); replaces the previous one atomically (TODO records, then a
 *    START record that counts them).
 *  - vss_store_resync_done(): runs that left the work set; the caller has
 *    flushed the LUN's backing device after their copies (or overwrites)
 *    completed.  With @state, a STATE record follows (done, failed,
 *    cancelled).
 *  - after vss_store_open(), vss_store_resync_take() hands over what the
 *    log holds: the revert's state and its work set (chunk ->
 *    xa_mk_value(1)), which the caller then owns (xa_destroy + kfree).
 *  - a checkpoint's enumerate callback emits a revert that is not done
 *    with vss_store_cp_resync_run() for every run of the work set, then
 *    vss_store_cp_resync() once; a copy with vss_store_cp_resync_source()
 *    before its runs.
 */
int vss_store_resync_start(struct vss_store *st,
			   const struct vss_store_resync *rs,
			   const struct vss_store_run *runs, unsigned int n);
int vss_store_resync_done(struct vss_store *st, u16 slot,
			  const struct vss_store_run *runs, unsigned int n,
			  const struct vss_store_resync *state);
int vss_store_resync_take(struct vss_store *st, struct vss_store_resync *rs,
			  struct xarray **work);
int vss_store_cp_resync_source(struct vss_store *st, const uuid_t *id);
int vss_store_cp_resync_run(struct vss_store *st, u16 slot, u64 first,
			    u64 nr);
int vss_store_cp_resync(struct vss_store *st,
			const struct vss_store_resync *rs);

#endif /* _VSS_STORE_H */
