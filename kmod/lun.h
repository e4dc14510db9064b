/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss protected LUN: the bio-based gendisk stacked on a backing device, its
 * I/O admission (hold/drain), and the per-LUN state shared by the COW path
 * (cow.c) and the snapshots (snapshot.c).
 */
#ifndef _VSS_LUN_H
#define _VSS_LUN_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include "vss.h"
#include "vss_compat.h"

struct vss_store;

#define VSS_PENDING_BITS	8

/* ->open of our disks: its arguments changed in 6.5; the disk either way */
#ifdef HAVE_BDOPS_OPEN_DISK
#define VSS_BDOPS_OPEN_ARGS	struct gendisk *disk, blk_mode_t mode
#define VSS_BDOPS_OPEN_DISK	disk
#else
#define VSS_BDOPS_OPEN_ARGS	struct block_device *bdev, fmode_t mode
#define VSS_BDOPS_OPEN_DISK	(bdev->bd_disk)
#endif

/**
 * struct vss_bdev - a block device opened exclusively by the engine
 * @bdev: the device
 * @file: the open file (kernels that open block devices as files), or NULL
 */
struct vss_bdev {
	struct block_device *bdev;
	struct file *file;
};

/**
 * struct vss_io - per-bio context, the front pad of the clone we submit
 * @lun: the LUN the bio belongs to
 * @orig: the bio we received, completed when @clone completes
 * @node: on a COW's waiter list, &vss_lun.requeue, &vss_lun.throttled or
 *	&vss_lun.gated (writes; under &vss_lun.map_lock), or on
 *	&vss_lun.reads (snapshot reads; under &vss_lun.reads_lock)
 * @ticket: read ticket (snapshot reads only)
 * @first: first LUN chunk the read covers (snapshot reads only)
 * @last: last LUN chunk the read covers (snapshot reads only)
 * @start: I/O accounting start time of @orig (bio_start_io_acct())
 * @from_store: a snapshot read served from the store (its failure
 *	invalidates the snapshots)
 * @clone: the clone submitted to the backing or store device; must be last
 */
struct vss_io {
	struct vss_lun *lun;
	struct bio *orig;
	struct list_head node;
	u64 ticket;
	u64 first;
	u64 last;
	unsigned long start;
	bool from_store;
	struct bio clone;
};

/**
 * struct vss_lun - a protected LUN
 * @kref: lifetime; the list of LUNs, the gendisk, every snapshot and every
 *	*_find() caller hold a reference
 * @node: on the global LUN list, protected by vss_luns_lock
 * @name: LUN name
 * @backing: the backing device, opened exclusively
 * @store_dev: the store device, opened exclusively
 * @store: the store (diff area)
 * @disk: the protected device "vss-@name"
 * @adding: being added: listed (its name is taken) but not findable yet;
 *	under vss_luns_lock
 * @removed: set (under vss_luns_lock and the disk's open_mutex) once
 *	removal started; the LUN can no longer be found, opened nor changed
 * @claimed: held by a session (vss_lun_claim()); under vss_luns_lock
 * @op_sem: held for reading by every operation that uses the store or the
 *	snapshot list outside the I/O path (vss_lun_op_begin()); removal
 *	takes it for writing once @removed is set, so that no operation is
 *	left running when the store is closed
 * @info_lock: protects @store_closed against vss_lun_get_info()
 * @store_closed: the store and devices are gone (teardown)
 * @chunk_size: bytes
 * @chunk_shift: log2 of the chunk size in sectors
 * @nr_chunks: chunks on the LUN (the last one may be partial)
 * @sectors: LUN size
 * @io_lock: protects @hold_count, @inflight and @deferred
 * @hold_count: vss_lun_hold() depth; while non-zero, new writes are deferred
 * @inflight: admitted writes not yet completed (including their COWs)
 * @deferred: writes that arrived while held, resubmitted by the last release
 * @drain_wq: woken when @inflight drops to zero
 * @map_lock: protects @snaps, @newest, @any, @pending, @parked, @requeue,
 *	@throttled, @nr_cows, @gate, @gated, @cow_frozen, @frozen,
 *	@cp_busy, @cp_marking,
 *	@reclaim_gen, @nospc, @nospc_gen
 *	and in every snapshot the map, state, entry count and active COW
 *	count; never taken in interrupt context (it nests the xarray locks)
 * @snaps: snapshots in creation order (committed, ready or invalid)
 * @newest: the snapshot new writes are preserved for, or NULL
 * @any: chunk -> xa_mk_value(number of snapshot maps that have an entry);
 *	lets reads of untouched chunks skip the walk over all snapshots
 * @pending: COWs in flight, hashed by chunk
 * @parked: COWs waiting for space or for their snapshot to become durable
 * @requeue: writes released in a context that may not start copies, for
 *	@requeue_work (&vss_io.node)
 * @throttled: writes waiting for the number of copies in flight to drop
 *	below @cow_max
 * @nr_cows: copies in flight (allocated struct vss_cow)
 * @cow_max: bound on @nr_cows, from the chunk size (16 MiB of copies)
 * @gate: a snapshot stopped preserving (invalidated, or being dropped for
 *	space) and that is not durable yet: writes that would have been
 *	preserved wait on @gated until the record is on disk (released by
 *	vss_snap_gate_release())
 * @gated: those writes
 * @cow_frozen: no new copy starts (a log checkpoint needs no exception
 *	record in flight); writes that need one wait on @frozen, the others
 *	go on.  A count: vss_cow_freeze()/vss_cow_thaw() nest
 * @frozen: those writes
 * @cp_busy: a checkpoint of the store's log is being prepared or written
 * @cp_marking: a checkpoint carries over the records the log takes from
 *	now on: a published entry gets VSS_MAP_CARRIED, so that the
 *	checkpoint does not list it a second time
 * @reads_lock: protects @reads, @read_ticket and @read_waiters; taken
 *	with interrupts disabled (read completions take it)
 * @reads: snapshot reads in flight, in ticket order
 * @read_ticket: next read ticket
 * @read_wq: woken when a snapshot read completes and someone waits
 * @read_waiters: number of tasks waiting on @read_wq
 * @reclaim_gen: bumped whenever store space was freed
 * @nospc: a COW is waiting for store space
 * @nospc_gen: @reclaim_gen when that COW found the store full; space freed
 *	since then is tried before another snapshot is dropped
 * @cow_idle_wq: woken when a snapshot's active COW count drops to zero
 * @snap_mutex: serialises snapshot prepare/persist/delete, reclaim and
 *	invalidation, and protects @slots, @slot_snap, @next_seq and
 *	@preparing; never held while waiting for a hold to drain
 * @slots: store slots in use
 * @slot_snap: the snapshot using each slot
 * @next_seq: next snapshot sequence number
 * @preparing: a snapshot prepared or committed but not yet persisted
 * @store_low: VSS_EV_STORE_LOW was sent and usage did not drop since
 * @store_read_err: a snapshot read from the store failed; the reclaim work
 *	invalidates the snapshots (set in completions, so atomic)
 * @cow_buf_pool: chunk-sized buffers of the COW copies (high-order pages)
 * @bs: bio set for the clones (front pad &struct vss_io)
 * @split_bs: bio set for splitting snapshot reads
 * @cow_pool: mempool of struct vss_cow
 * @cow_wq: COW steps, retries, requeued writes, usage events (WQ_MEM_RECLAIM)
 * @cow_steps: copies whose next step (store write, record) waits for
 *	@cow_step_work, after a completion in a context not ours (lockless)
 * @cow_step_work: runs vss_cow_step_work()
 * @requeue_work: runs vss_cow_requeue_work()
 * @usage_work: runs vss_cow_usage_work()
 * @reclaim_wq: store-full reclaim and invalidation (ordered, WQ_MEM_RECLAIM)
 * @reclaim_work: runs vss_snap_reclaim_work()
 * @replay_dropped: store chunks released while replaying the log, freed
 *	once the store is open
 * @resync: the LUN's online revert (resync.c), set once under a hold and
 *	kept until teardown; NULL if the LUN was never reverted
 */
struct vss_lun {
	struct kref kref;
	struct list_head node;
	char name[VSS_NAME_MAX + 1];
	struct vss_bdev backing;
	struct vss_bdev store_dev;
	struct vss_store *store;
	struct gendisk *disk;
	bool adding;
	bool removed;
	bool claimed;
	struct rw_semaphore op_sem;
	spinlock_t info_lock;		/* @store_closed */
	bool store_closed;

	u32 chunk_size;
	unsigned int chunk_shift;
	u64 nr_chunks;
	sector_t sectors;

	spinlock_t io_lock;		/* admission state below */
	unsigned int hold_count;
	unsigned long inflight;
	struct bio_list deferred;
	wait_queue_head_t drain_wq;

	spinlock_t map_lock;		/* maps, list, pending table */
	struct list_head snaps;
	struct vss_snapshot *newest;
	struct xarray any;
	struct hlist_head pending[1 << VSS_PENDING_BITS];
	struct list_head parked;
	struct list_head requeue;
	struct list_head throttled;
	unsigned int nr_cows;
	unsigned int cow_max;
	bool gate;
	struct list_head gated;
	unsigned int cow_frozen;
	struct list_head frozen;
	bool cp_busy;
	bool cp_marking;
	u64 reclaim_gen;
	bool nospc;
	u64 nospc_gen;
	wait_queue_head_t cow_idle_wq;

	spinlock_t reads_lock;		/* snapshot reads in flight */
	struct list_head reads;
	u64 read_ticket;
	wait_queue_head_t read_wq;
	unsigned int read_waiters;

	struct mutex snap_mutex;	/* snapshot lifecycle */
	DECLARE_BITMAP(slots, VSS_MAX_SNAPSHOTS);
	struct vss_snapshot *slot_snap[VSS_MAX_SNAPSHOTS];
	u32 next_seq;
	struct vss_snapshot *preparing;
	atomic_t store_low;
	atomic_t store_read_err;

	mempool_t *cow_buf_pool;
	struct bio_set bs;
	struct bio_set split_bs;
	mempool_t *cow_pool;
	struct workqueue_struct *cow_wq;
	struct llist_head cow_steps;
	struct work_struct cow_step_work;
	struct work_struct requeue_work;
	struct work_struct usage_work;
	struct workqueue_struct *reclaim_wq;
	struct work_struct reclaim_work;
	struct xarray replay_dropped;
	struct vss_resync *resync;
};

/**
 * struct vss_lun_parked - where a LUN's writes wait, for diagnostics
 * @held: writes queued by a hold (snapshot switch), not yet admitted
 * @inflight: admitted writes not completed (all of the below included)
 * @copies: copies (cows) in flight
 * @copy_wait: writes waiting for a copy of one of their chunks
 * @throttled: writes waiting for a copy slot (&vss_lun.cow_max reached)
 * @requeue: writes waiting for cow_wq to evaluate them again
 * @gated: writes waiting for an invalidation to be durable
 * @frozen: writes waiting for a checkpoint's copy freeze to end
 * @nospc: copies parked until store space is freed
 * @records: store records queued for the next group commit
 * @committing: the store's log lock is held (a commit is being written)
 *
 * Read from /sys/block/vss-NAME/vss/parked: a write that stays on one of
 * these lists while nothing moves was never kicked.
 */
struct vss_lun_parked {
	unsigned int held;
	unsigned long inflight;
	unsigned int copies;
	unsigned int copy_wait;
	unsigned int throttled;
	unsigned int requeue;
	unsigned int gated;
	unsigned int frozen;
	unsigned int nospc;
	unsigned int records;
	bool committing;
};

static inline sector_t vss_chunk_to_sector(struct vss_lun *lun, u64 chunk)
{
	return (sector_t)chunk << lun->chunk_shift;
}

static inline u64 vss_sector_to_chunk(struct vss_lun *lun, sector_t sector)
{
	return sector >> lun->chunk_shift;
}

int vss_bdev_open(const char *path, void *holder, struct vss_bdev *b);
void vss_bdev_close(struct vss_bdev *b);
int vss_lun_op_begin(struct vss_lun *lun, struct netlink_ext_ack *extack);
void vss_lun_op_end(struct vss_lun *lun);
void vss_lun_write_done(struct vss_lun *lun);
void vss_lun_count_parked(struct vss_lun *lun, struct vss_lun_parked *p);
struct gendisk *vss_lun_alloc_disk(struct block_device *a,
				   struct block_device *b, bool writable);
u64 vss_lun_read_start(struct vss_lun *lun, struct vss_io *io);
bool vss_lun_read_end(struct vss_lun *lun, struct vss_io *io);
void vss_lun_read_wake(struct vss_lun *lun);
u64 vss_lun_read_barrier(struct vss_lun *lun);
bool vss_lun_reads_passed(struct vss_lun *lun, u64 ticket, u64 chunk);
void vss_lun_read_sync(struct vss_lun *lun, u64 ticket, u64 chunk);

/* vss_lun_reads_passed()/vss_lun_read_sync(): reads of any chunk */
#define VSS_ALL_CHUNKS	U64_MAX

#endif /* _VSS_LUN_H */
