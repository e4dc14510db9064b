// SPDX-License-Identifier: GPL-2.0
/*
 * vss store ("diff area"): superblock, metadata log with group commit,
 * replay, checkpoint and chunk allocation.  Format: store_format.h and
 * Documentation/ondisk-format.rst; crash-consistency argument:
 * Documentation/store.rst.
 *
 * Why a crash at any point is safe, in short:
 *
 *  1. The engine writes preserved data into a freshly allocated chunk, then
 *     queues the exception record.  The log block holding the record is
 *     written with REQ_PREFLUSH|REQ_FUA: the flush makes the data durable
 *     before the record, FUA makes the record durable before the
 *     completion runs and the engine releases the origin write.
 *  2. A log position has two slots.  The block that is still filling is
 *     written alternately into both, so a torn write damages only the slot
 *     being written while the other slot keeps the previous commit; replay
 *     takes the valid slot with the higher commit sequence.  A full block
 *     is never written again; the next position is written only after it.
 *  3. Every block carries the store UUID, the log epoch, its position and
 *     the nonce of its unit, which only the previous unit (or the
 *     superblock) knows.  Stale log blocks of an older epoch and data the
 *     user wrote into a chunk that is later reused for the log fail these
 *     checks, so replay stops exactly at the first block never committed.
 *  4. A checkpoint writes a complete new log into free chunks, flushes it,
 *     then writes the superblock into the slot not holding the current one
 *     (highest valid sb_seq wins); the old log is freed only after that.
 *     Then the older superblock slot is zeroed, so a later corruption of
 *     the current superblock cannot resurrect a log whose chunks are reused.
 *     The superblock names the commit sequence of the new log's last block
 *     (log_end_seq): damage that cuts the log before it is refused, not
 *     taken for the end of the log.
 *  5. A chunk freed by a delete is reused only after the delete record is
 *     durable (the engine calls vss_store_free() after
 *     vss_store_snapshot_delete() returned), so no durable record can ever
 *     point at a reused chunk that still belongs to a live snapshot.
 *
 * Exception records may precede the create record of their snapshot: the
 * engine switches to a new snapshot (and starts preserving chunks for it)
 * before vss_store_snapshot_create() makes it durable.  Such records are
 * "provisional": replay keeps them aside and hands them to the engine right
 * after the create record of that slot; a delete record of a slot that is
 * not live, or the end of the log, drops them and frees their chunks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-store: " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/lockdep.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "vss_compat.h"
#include "vss.h"
#include "store.h"
#include "store_format.h"

/* Log units kept allocatable for the log when data allocation fails. */
#define VSS_LOG_RESERVE_UNITS	4
/* Smallest useful store: superblock, log head + reserve, this much data. */
#define VSS_STORE_MIN_DATA	64
/* Provisional exceptions a replay accepts before calling the store corrupt. */
#define VSS_MAX_ORPHANS		BIT(22)

/*
 * Allocator (see "Chunk allocation" in Documentation/store.rst): the store
 * is cut into regions of one page of bits each; only a region holding a
 * used chunk has its page.  Regions are kept in st->regions, an xarray
 * with free-index tracking (XA_FREE_MARK finds a region without a page),
 * and VSS_REGION_FREE marks the regions that have a page and a free chunk.
 */
#define VSS_REGION_SHIFT	(PAGE_SHIFT + 3)
#define VSS_REGION_CHUNKS	BIT(VSS_REGION_SHIFT)
#define VSS_REGION_MASK		(VSS_REGION_CHUNKS - 1)
#define VSS_REGION_FREE		XA_MARK_1

/*
 * Group commit.  Whoever holds the log lock (bit VSS_LOG_LOCKED of
 * vss_store.log_flags) owns the live log.  Two kinds of holders:
 *
 *  - the fast path: when a record is queued from a preemptible context and
 *    the lock is free, that context takes the lock, appends the pending
 *    records to the open block and submits the block write itself; the
 *    bio's completion completes the records and drops the lock.  No thread
 *    is woken, so on a device that completes in the submitter's context a
 *    copy-on-write and its commit run entirely in the writer's own call.
 *    It advances past a full block whose records are all durable and
 *    allocates the next unit when memory is at hand; everything else is
 *    left to
 *  - the sleeping path (commit worker, synchronous store calls,
 *    checkpoint): commit_lock serialises these, then they wait for the bit
 *    and write synchronously, filling and advancing blocks as needed.
 *
 * A holder re-examines the pending list after dropping the lock (with a
 * full barrier, as the queuing side has between queuing and trying the
 * lock), so a record queued while the lock was held is never stranded.
 */
enum { VSS_LOG_LOCKED };

/*
 * Refuse an open: @msg (a string literal) is the reason reported on every
 * kernel; the details go to the kernel log and, where formatted extack
 * messages exist, into the extack as well.
 */
static __printf(3, 4) void vss_refuse(struct netlink_ext_ack *extack,
				      const char *msg, const char *fmt, ...)
{
	char detail[96];
	va_list args;

	va_start(args, fmt);
	vsnprintf(detail, sizeof(detail), fmt, args);
	va_end(args);
	pr_err("%s: %s\n", msg, detail);
#ifdef HAVE_NL_SET_ERR_MSG_FMT
	NL_SET_ERR_MSG_FMT(extack, "%s: %.60s", msg, detail);
#else
	/* What NL_SET_ERR_MSG does, for a literal passed by pointer. */
	if (extack)
		extack->_msg = msg;
#endif
}

enum vss_slot_state {
	VSS_SLOT_FREE = 0,
	VSS_SLOT_LIVE,
	VSS_SLOT_INVALID,	/* live, invalidated */
};

/**
 * struct vss_region - allocation bitmap of VSS_REGION_CHUNKS chunks
 * @used: set bits in @map
 * @cap: chunks of the store in this region (the last one may be short)
 * @scan: no free chunk below this offset
 * @map: one page; bit n = chunk (index << VSS_REGION_SHIFT) + n is used
 *
 * All fields are under the allocator lock (vss_store.regions.xa_lock).
 */
struct vss_region {
	u32 used;
	u32 cap;
	u32 scan;
	unsigned long *map;
};

/*
 * Exception records written to the live log while a checkpoint writes the
 * new one (vss_store.tail): the checkpoint appends them to the new log.
 */
struct vss_tail_rec {
	u64 lun_chunk;
	u64 store_chunk;
	u16 slot;
};

#define VSS_TAIL_RECS	160	/* a struct vss_tail fits a page */

/**
 * struct vss_tail - a page of carried-over records
 * @node: in vss_store.tail
 * @n: records used
 * @rec: the records, in log order
 */
struct vss_tail {
	struct list_head node;
	unsigned int n;
	struct vss_tail_rec rec[VSS_TAIL_RECS];
};

/* Where the fast-path log write stands (vss_store.log_submit). */
enum { VSS_SUBMIT_IDLE, VSS_SUBMITTING, VSS_SUBMIT_ENDED };

/**
 * struct vss_log - writer state of one metadata log
 * @epoch: log epoch
 * @seq: last commit sequence used
 * @prev_seq: commit sequence of the final copy of position @pos - 1
 * @pos: position of the open block
 * @head: chunk(s) of the first unit (named by the superblock)
 * @head_nonce: nonce of the first unit
 * @unit: chunk(s) of the unit holding @pos
 * @unit_nonce: nonce of that unit
 * @next: chunk(s) of the next unit, valid when @has_next
 * @next_nonce: nonce of the next unit
 * @has_next: the next unit is allocated (and named by written blocks)
 * @best: slot holding the newest durable copy of @pos, -1 if none
 * @page: in-memory image of the open block
 * @count: records in @page
 * @bytes: record bytes in @page
 * @dcount: @count of the durable copy (rollback point after a failure)
 * @dbytes: @bytes of the durable copy
 * @rcrc: crc32c (seed 0) of the first @rcrc_bytes record bytes in @page
 * @rcrc_bytes: record bytes covered by @rcrc (both 0 after anything but an
 *	append changed the records)
 * @blocks: positions written (statistics for the checkpoint policy)
 *
 * The live log belongs to the holder of the log lock (vss_store.log_flags).
 */
struct vss_log {
	u64 epoch;
	u64 seq;
	u64 prev_seq;
	u64 pos;
	u64 head[VSS_UNIT_CHUNKS_MAX];
	u64 head_nonce;
	u64 unit[VSS_UNIT_CHUNKS_MAX];
	u64 unit_nonce;
	u64 next[VSS_UNIT_CHUNKS_MAX];
	u64 next_nonce;
	bool has_next;
	int best;
	struct page *page;
	u16 count;
	u16 bytes;
	u16 dcount;
	u16 dbytes;
	u32 rcrc;
	u16 rcrc_bytes;
	u64 blocks;
};

/**
 * struct vss_store - an open store
 * @bdev: store device (owned by the engine)
 * @uuid: store UUID
 * @chunk_size: bytes
 * @chunk_shift: log2(@chunk_size)
 * @nr_chunks: chunks in the store
 * @reserved: chunks covered by the superblock area
 * @unit_chunks: chunks per log unit
 * @blocks_per_chunk: 4 KiB blocks per chunk
 * @pos_per_unit: log positions per unit
 * @lun_chunks: chunks of the LUN (bound for exception records)
 * @lun_size: LUN size in bytes
 * @lun_name: LUN name as recorded
 * @created_ns: format time
 * @regions: struct vss_region by region index; its xa_lock is the
 *	allocator lock (process context only: no caller is in an interrupt),
 *	which protects the regions, @cursor, @open_free and @nr_open
 * @last_region: index of the last region
 * @used: chunks allocated (superblock area, log units, data); changed
 *	under the allocator lock, read without it
 * @cursor: next-fit start
 * @open_free: free chunks in regions that have a page
 * @nr_open: regions that have a page
 * @region_work: opens a region ahead of need (end_wq, may sleep)
 * @logx: chunks of the live log and, during a checkpoint, of the new one;
 *	value = epoch.  Written by the log lock holder or the checkpoint
 *	(xa_lock serialises them), read locklessly (RCU).
 * @pending_lock: protects @pending (any context)
 * @pending: records waiting to be committed, in issue order
 * @commit_lock: serialises the sleeping-path holders of the log lock
 *	(commit worker, synchronous calls, checkpoint), which own @log,
 *	@slot_state, @nr_live, @sb_seq, @sb_slot, @last_seq
 * @log: the live log
 * @slot_state: enum vss_slot_state of each slot as the records say
 * @nr_live: slots not VSS_SLOT_FREE
 * @sb_seq: sequence number of the current superblock
 * @sb_slot: slot (0/1) holding the current superblock
 * @sb_log_seq: log_seq of the current superblock
 * @sb_end_seq: log_end_seq of the current superblock: replay must reach it
 * @sb_cp_snap_seq: cp_snap_seq of the current superblock
 * @sb_end_count: log_end_count of the current superblock
 * @version: format version of the current superblock (VSS_SB_VERSION_*);
 *	raised before the first record that needs it is written
 * @last_seq: highest snapshot sequence created
 * @cp_lock: held by a checkpoint from start to end; protects @cp,
 *	@cp_snaps, @cp_invalid (the new log is written without the log lock)
 * @cp: log being written by a checkpoint, NULL otherwise
 * @cp_snaps: slots already emitted into @cp
 * @cp_invalid: slots emitted into @cp as invalid
 * @tail_on: a checkpoint runs: every record written to the live log is
 *	also kept in @tail, to be carried over into the new log; log lock
 * @tail_bad: @tail cannot be carried over (a record other than an
 *	exception, no memory, a failed commit): the checkpoint gives up;
 *	log lock
 * @tail: struct vss_tail pages, in log order; log lock
 * @failed: a metadata write failed: every later commit fails (-EIO)
 * @wq: commit worker queue (WQ_MEM_RECLAIM)
 * @commit_work: runs the commit worker
 * @log_flags: VSS_LOG_LOCKED, the log lock (see "Group commit" above)
 * @log_sleepers: sleeping-path holders waiting for the log lock; while
 *	there are some, the fast path yields to them
 * @inflight: records of the fast-path write in flight; log lock holder
 * @inflight_slot: slot that write goes to; log lock holder
 * @inflight_err: its result; log lock holder
 * @log_task: task that submitted that write; log lock holder
 * @log_bio_list: current->bio_list of that task then; log lock holder
 * @log_submit: enum VSS_SUBMIT_*, hands the end of a write that completed
 *	before submit_bio() returned to the submitter
 * @log_bio: the fast-path block write (one at a time, under the log lock)
 * @log_bvec: its vector
 * @end_wq: completes a fast-path write whose bio completion ran in a
 *	context not ours (interrupt, another driver's thread); never waits
 *	for the log lock; also runs @region_work
 * @end_work: runs that completion
 * @rsx: the revert the replay found (valid while @rsx_work is set)
 * @rsx_work: its work set, until vss_store_resync_take(); replay only
 * @cp_rs_runs: resync runs emitted into @cp; under cp_lock
 * @cp_rs_chunks: chunks in them; under cp_lock
 * @cp_version: format version the records emitted into @cp need; under
 *	cp_lock
 */
struct vss_store {
	struct block_device *bdev;
	uuid_t uuid;
	u32 chunk_size;
	unsigned int chunk_shift;
	u64 nr_chunks;
	u64 reserved;
	u32 unit_chunks;
	u32 blocks_per_chunk;
	u32 pos_per_unit;
	u64 lun_chunks;
	u64 lun_size;
	char lun_name[VSS_LUN_NAME_LEN];
	u64 created_ns;

	struct xarray regions;		/* its lock: the allocation state */
	unsigned long last_region;
	atomic64_t used;		/* written under regions.xa_lock */
	u64 cursor;			/* under regions.xa_lock */
	u64 open_free;			/* under regions.xa_lock */
	unsigned long nr_open;		/* under regions.xa_lock */
	struct work_struct region_work;

	struct xarray logx;

	spinlock_t pending_lock;	/* records queued for the next commit */
	struct list_head pending;	/* protected by pending_lock */

	struct mutex commit_lock;	/* sleeping-path log lock holders */
	struct vss_log log;		/* under the log lock */
	u8 slot_state[VSS_MAX_SNAPSHOTS];	/* under the log lock */
	u32 nr_live;			/* under the log lock */
	u64 sb_seq;			/* under the log lock */
	int sb_slot;			/* under the log lock */
	u64 sb_log_seq;			/* under the log lock */
	u64 sb_end_seq;			/* under the log lock */
	u32 sb_cp_snap_seq;		/* under the log lock */
	u16 sb_end_count;		/* under the log lock */
	u32 version;			/* under the log lock and cp_lock */
	u32 last_seq;			/* under the log lock */
	struct mutex cp_lock;		/* the checkpoint in progress */
	struct vss_log *cp;		/* under cp_lock */
	DECLARE_BITMAP(cp_snaps, VSS_MAX_SNAPSHOTS); /* under cp_lock */
	DECLARE_BITMAP(cp_invalid, VSS_MAX_SNAPSHOTS); /* under cp_lock */
	bool tail_on;			/* under the log lock */
	bool tail_bad;			/* under the log lock */
	struct list_head tail;		/* under the log lock */

	bool failed;			/* READ_ONCE/WRITE_ONCE */
	struct workqueue_struct *wq;
	struct work_struct commit_work;

	unsigned long log_flags;
	atomic_t log_sleepers;
	struct list_head inflight;
	int inflight_slot;
	int inflight_err;
	struct task_struct *log_task;
	struct bio_list *log_bio_list;
	atomic_t log_submit;
	struct bio log_bio;
	struct bio_vec log_bvec;
	struct workqueue_struct *end_wq;
	struct work_struct end_work;

	struct vss_store_resync rsx;
	struct xarray *rsx_work;
	u64 cp_rs_runs;
	u64 cp_rs_chunks;
	u32 cp_version;
};

/* ---------------------------------------------------------------- I/O */

static int vss_store_io(struct vss_store *st, u64 byte, struct page *page,
			blk_opf_t opf)
{
	struct bio *bio;
	int err;

	bio = bio_alloc(st->bdev, 1, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = byte >> SECTOR_SHIFT;
	__bio_add_page(bio, page, VSS_MD_BLOCK, 0);
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

static u32 vss_block_crc(void *blk, __le32 *field)
{
	__le32 saved = *field;
	u32 crc;

	*field = 0;
	crc = crc32c(~0U, blk, VSS_MD_BLOCK);
	*field = saved;
	return crc;
}

static u64 vss_chunk_byte(struct vss_store *st, u64 chunk)
{
	return chunk << st->chunk_shift;
}

/* Byte address of slot @slot of log position @pos in unit @unit. */
static u64 vss_log_block_byte(struct vss_store *st, const u64 *unit, u64 pos,
			      int slot)
{
	u32 phys = 2 * (u32)(pos % st->pos_per_unit) + slot;

	return vss_chunk_byte(st, unit[phys / st->blocks_per_chunk]) +
	       (u64)(phys % st->blocks_per_chunk) * VSS_MD_BLOCK;
}

/* ---------------------------------------------------------- allocation */

static bool vss_chunk_is_log(struct vss_store *st, u64 chunk)
{
	return xa_load(&st->logx, chunk);
}

static struct vss_region *vss_region_new(gfp_t gfp)
{
	struct vss_region *reg = kzalloc(sizeof(*reg), gfp);

	if (!reg)
		return NULL;
	reg->map = (unsigned long *)get_zeroed_page(gfp);
	if (!reg->map) {
		kfree(reg);
		return NULL;
	}
	return reg;
}

static void vss_region_free(struct vss_region *reg)
{
	if (!reg)
		return;
	free_page((unsigned long)reg->map);
	kfree(reg);
}

/* A new region @reg enters the array at @idx; allocator lock held. */
static void vss_region_added(struct vss_store *st, struct vss_region *reg,
			     unsigned long idx)
{
	__xa_set_mark(&st->regions, idx, VSS_REGION_FREE);
	st->open_free += reg->cap;
	st->nr_open++;
}

static void vss_region_init(struct vss_store *st, struct vss_region *reg,
			    unsigned long idx)
{
	u64 first = (u64)idx << VSS_REGION_SHIFT;

	reg->cap = min_t(u64, VSS_REGION_CHUNKS, st->nr_chunks - first);
}

/*
 * Give @reg the first region index without a page in [@min, @max], as
 * __xa_alloc() does for 32-bit ids.  Takes the allocator lock; a node
 * allocation happens outside it.  Return: 0, -EBUSY (none), -ENOMEM.
 */
static int vss_region_insert_first(struct vss_store *st,
				   struct vss_region *reg, unsigned long min,
				   unsigned long max, gfp_t gfp)
{
	XA_STATE(xas, &st->regions, min);

	do {
		xas_lock(&xas);
		xas_set(&xas, min);
		xas_find_marked(&xas, max, XA_FREE_MARK);
		if (xas.xa_node == XAS_RESTART) {
			xas_set_err(&xas, -EBUSY);
		} else {
			vss_region_init(st, reg, xas.xa_index);
			xas_store(&xas, reg);
			if (!xas_error(&xas)) {
				xas_clear_mark(&xas, XA_FREE_MARK);
				vss_region_added(st, reg, xas.xa_index);
			}
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, gfp));
	return xas_error(&xas);
}

/*
 * Open a region (give it its page): the first one without a page from the
 * cursor on, wrapping.  Return: 0, -EBUSY (every region has one), -ENOMEM.
 */
static int vss_region_open(struct vss_store *st, gfp_t gfp)
{
	struct vss_region *reg = vss_region_new(gfp);
	unsigned long cur;
	int err;

	if (!reg)
		return -ENOMEM;
	xa_lock(&st->regions);
	cur = min_t(u64, st->cursor >> VSS_REGION_SHIFT, st->last_region);
	xa_unlock(&st->regions);
	err = vss_region_insert_first(st, reg, cur, st->last_region, gfp);
	if (err == -EBUSY && cur)
		err = vss_region_insert_first(st, reg, 0, cur - 1, gfp);
	if (err)
		vss_region_free(reg);
	return err;
}

/* Keep a region's worth of free chunks in regions with a page. */
static bool vss_region_low(struct vss_store *st)
{
	return st->open_free < VSS_REGION_CHUNKS &&
	       st->nr_open <= st->last_region;
}

static void vss_region_work(struct work_struct *work)
{
	struct vss_store *st = container_of(work, struct vss_store,
					    region_work);
	unsigned int noio = memalloc_noio_save();
	bool low;

	for (;;) {
		xa_lock(&st->regions);
		low = vss_region_low(st);
		xa_unlock(&st->regions);
		if (!low || vss_region_open(st, GFP_NOIO))
			break;
	}
	memalloc_noio_restore(noio);
}

/* Mark chunk @off of @reg (index @idx) used; allocator lock held. */
static bool vss_region_set(struct vss_store *st, struct vss_region *reg,
			   unsigned long idx, u32 off)
{
	if (__test_and_set_bit(off, reg->map))
		return false;
	if (off == reg->scan)
		reg->scan = off + 1;
	st->open_free--;
	atomic64_inc(&st->used);
	if (++reg->used == reg->cap)
		__xa_clear_mark(&st->regions, idx, VSS_REGION_FREE);
	return true;
}

/*
 * Mark @chunk free; allocator lock held.  A region left empty loses its
 * page unless the other regions with a page have too few free chunks.
 */
static bool vss_mark_free_locked(struct vss_store *st, u64 chunk)
{
	unsigned long idx = chunk >> VSS_REGION_SHIFT;
	u32 off = chunk & VSS_REGION_MASK;
	struct vss_region *reg = xa_load(&st->regions, idx);

	if (!reg || !__test_and_clear_bit(off, reg->map))
		return false;
	if (off < reg->scan)
		reg->scan = off;
	st->open_free++;
	atomic64_dec(&st->used);
	if (reg->used-- == reg->cap)
		__xa_set_mark(&st->regions, idx, VSS_REGION_FREE);
	if (!reg->used &&
	    st->open_free - reg->cap >= VSS_REGION_CHUNKS) {
		__xa_erase(&st->regions, idx);
		st->open_free -= reg->cap;
		st->nr_open--;
		vss_region_free(reg);
	}
	return true;
}

static bool vss_mark_free(struct vss_store *st, u64 chunk)
{
	bool was;

	xa_lock(&st->regions);
	was = vss_mark_free_locked(st, chunk);
	xa_unlock(&st->regions);
	return was;
}

/*
 * Mark a given chunk used (format, replay), giving its region a page if it
 * has none.  Return: 0, -ENOMEM.
 */
static int vss_mark_used(struct vss_store *st, u64 chunk, gfp_t gfp)
{
	unsigned long idx = chunk >> VSS_REGION_SHIFT;
	struct vss_region *reg, *new = NULL;
	int err = 0;

	for (;;) {
		xa_lock(&st->regions);
		reg = xa_load(&st->regions, idx);
		if (!reg && new) {
			vss_region_init(st, new, idx);
			/* may drop the lock to allocate: the insert is atomic */
			err = __xa_insert(&st->regions, idx, new, gfp);
			if (!err) {
				vss_region_added(st, new, idx);
				reg = new;
				new = NULL;
			}
		}
		if (reg)
			vss_region_set(st, reg, idx, chunk & VSS_REGION_MASK);
		xa_unlock(&st->regions);
		if (reg || (err && err != -EBUSY))
			break;
		if (!new) {
			new = vss_region_new(gfp);
			if (!new)
				return -ENOMEM;
		}
	}
	vss_region_free(new);
	return err;
}

/* Is @chunk allocated? */
static bool vss_chunk_used(struct vss_store *st, u64 chunk)
{
	struct vss_region *reg;
	bool used;

	xa_lock(&st->regions);
	reg = xa_load(&st->regions, chunk >> VSS_REGION_SHIFT);
	used = reg && test_bit(chunk & VSS_REGION_MASK, reg->map);
	xa_unlock(&st->regions);
	return used;
}

/*
 * Next fit among the regions that have a page; allocator lock held.
 * -EAGAIN: every free chunk is in a region without a page.
 */
static int vss_alloc_locked(struct vss_store *st, u64 keep_free, u64 *chunk)
{
	unsigned long cur = st->cursor >> VSS_REGION_SHIFT, idx = cur;
	struct vss_region *reg;
	u32 off, start;

	if (st->nr_chunks - atomic64_read(&st->used) <= keep_free)
		return -ENOSPC;
	reg = xa_find(&st->regions, &idx, st->last_region, VSS_REGION_FREE);
	if (!reg) {
		idx = 0;
		reg = xa_find(&st->regions, &idx, st->last_region,
			      VSS_REGION_FREE);
	}
	if (!reg)
		return -EAGAIN;
	start = reg->scan;
	if (idx == cur)
		start = max_t(u32, start, st->cursor & VSS_REGION_MASK);
	off = find_next_zero_bit(reg->map, reg->cap, start);
	if (off >= reg->cap)
		off = find_next_zero_bit(reg->map, reg->cap, reg->scan);
	if (WARN_ON_ONCE(off >= reg->cap))
		return -EIO;
	vss_region_set(st, reg, idx, off);
	*chunk = ((u64)idx << VSS_REGION_SHIFT) + off;
	st->cursor = *chunk + 1;
	return 0;
}

/*
 * Allocate a chunk, leaving @keep_free chunks.  A region is given its page
 * here only when the refill work fell behind; with a @gfp that cannot
 * sleep that may fail (-ENOMEM), and nothing changed then.
 */
static int vss_alloc_chunk(struct vss_store *st, u64 keep_free, gfp_t gfp,
			   u64 *chunk)
{
	bool low;
	int err, tries = 3;

	for (;;) {
		xa_lock(&st->regions);
		err = vss_alloc_locked(st, keep_free, chunk);
		low = vss_region_low(st);
		xa_unlock(&st->regions);
		if (err != -EAGAIN)
			break;
		err = vss_region_open(st, gfp);
		if (err == -ENOMEM)
			break;
		if (!--tries) {
			/* the counts say free chunks exist, no region has one */
			WARN_ON_ONCE(1);
			err = -EIO;
			break;
		}
	}
	if (low)
		queue_work(st->end_wq, &st->region_work);
	return err;
}

/* The context may sleep in an allocation (see vss_store_alloc()). */
static gfp_t vss_io_gfp(void)
{
	if (current->bio_list || !preemptible())
		return GFP_NOWAIT | __GFP_NOWARN;
	return GFP_NOIO;
}

/**
 * vss_store_alloc - allocate a data chunk
 * @st: the store
 * @store_chunk: returns the chunk number
 *
 * Next fit from a cursor among the regions that hold used chunks (an
 * indexed search, not a scan of the store).  A few log units stay free so
 * that the log can always record the deletes that make room.  A region is
 * prepared ahead of need by a worker, so this allocates memory only when
 * that worker fell behind: then with GFP_NOIO where the caller may sleep,
 * and GFP_NOWAIT inside a submit_bio() call (current->bio_list set), where
 * it may fail with -ENOMEM without any other effect.
 *
 * Context: process context (task or workqueue, not an interrupt, no
 * spinlock or RCU read lock held).  Sleeps only outside submit_bio().
 * Return: 0, -ENOSPC when the store is full, -ENOMEM (only inside
 * submit_bio(): retry from a worker), -EIO when the store failed.
 */
int vss_store_alloc(struct vss_store *st, u64 *store_chunk)
{
	if (READ_ONCE(st->failed))
		return -EIO;
	return vss_alloc_chunk(st, VSS_LOG_RESERVE_UNITS * st->unit_chunks,
			       vss_io_gfp(), store_chunk);
}

/**
 * vss_store_free - release a data chunk
 * @st: the store
 * @store_chunk: chunk from vss_store_alloc() or from a replayed exception
 *
 * A chunk that is not a data chunk of this store is refused with a
 * message; the allocation state is never corrupted by a bad argument.
 *
 * Context: process context (task or workqueue, not an interrupt: a bio
 * completion defers to a worker first); does not sleep.
 */
void vss_store_free(struct vss_store *st, u64 store_chunk)
{
	if (store_chunk < st->reserved || store_chunk >= st->nr_chunks ||
	    vss_chunk_is_log(st, store_chunk)) {
		pr_err_ratelimited("free of chunk %llu refused: not a data chunk\n",
				   store_chunk);
		return;
	}
	if (!vss_mark_free(st, store_chunk))
		pr_err_ratelimited("free of chunk %llu: already free\n",
				   store_chunk);
}

/**
 * vss_store_chunk_in_log - does the metadata log use a chunk now?
 * @st: the store
 * @store_chunk: chunk number
 *
 * A chunk a replayed record released may have become part of the log
 * since: it is not the engine's to free.
 *
 * Context: process context.
 * Return: true if a log unit holds @store_chunk.
 */
bool vss_store_chunk_in_log(struct vss_store *st, u64 store_chunk)
{
	return vss_chunk_is_log(st, store_chunk);
}

/* Allocate the chunks of a log unit (may use the reserve). */
static int vss_alloc_unit(struct vss_store *st, u64 epoch, u64 *unit,
			  gfp_t gfp)
{
	u32 i, n;
	int err = 0;

	for (i = 0; i < VSS_UNIT_CHUNKS_MAX; i++)
		unit[i] = VSS_NO_CHUNK;
	for (n = 0; n < st->unit_chunks; n++) {
		err = vss_alloc_chunk(st, 0, gfp, &unit[n]);
		if (err)
			break;
	}
	for (i = 0; !err && i < st->unit_chunks; i++)
		err = xa_err(xa_store(&st->logx, unit[i],
				      xa_mk_value(epoch & (LONG_MAX >> 1)),
				      gfp));
	if (err) {
		for (i = 0; i < n; i++) {
			xa_erase(&st->logx, unit[i]);
			vss_mark_free(st, unit[i]);
			unit[i] = VSS_NO_CHUNK;
		}
	}
	return err;
}

/* Free every chunk of the log of @epoch. */
static void vss_free_log_chunks(struct vss_store *st, u64 epoch)
{
	unsigned long idx;
	void *entry;

	xa_for_each(&st->logx, idx, entry) {
		if (xa_to_value(entry) != (epoch & (LONG_MAX >> 1)))
			continue;
		xa_erase(&st->logx, idx);
		vss_mark_free(st, idx);
	}
}

/* ----------------------------------------------------------- log write */

static u16 vss_rec_size(u8 type)
{
	switch (type) {
	case VSS_REC_EXCEPTION:
		return sizeof(struct vss_rec_exception);
	case VSS_REC_CREATE:
		return sizeof(struct vss_rec_create);
	case VSS_REC_DELETE:
	case VSS_REC_INVALIDATE:
	case VSS_REC_BREAK:
	case VSS_REC_RESYNC_ABORT:
		return sizeof(struct vss_rec_hdr);
	case VSS_REC_RESYNC_TODO:
	case VSS_REC_RESYNC_DONE:
		return sizeof(struct vss_rec_resync_run);
	case VSS_REC_RESYNC_START:
		return sizeof(struct vss_rec_resync_start);
	case VSS_REC_RESYNC_STATE:
		return sizeof(struct vss_rec_resync_state);
	case VSS_REC_RESYNC_SOURCE:
		return sizeof(struct vss_rec_resync_source);
	}
	return 0;
}

/* The resync records (run: first/nr in lun_chunk/store_chunk). */
static void vss_log_append_resync(u8 *p, const struct vss_store_rec *r)
{
	const struct vss_store_resync *x = r->resync;

	switch (r->type) {
	case VSS_REC_RESYNC_TODO:
	case VSS_REC_RESYNC_DONE: {
		struct vss_rec_resync_run *e = (void *)p;

		e->first = cpu_to_le64(r->lun_chunk);
		e->nr = cpu_to_le64(r->store_chunk);
		break;
	}
	case VSS_REC_RESYNC_START: {
		struct vss_rec_resync_start *e = (void *)p;

		e->flags = cpu_to_le32(x->flags);
		e->runs = cpu_to_le64(x->runs);
		e->chunks = cpu_to_le64(x->chunks);
		e->total_bytes = cpu_to_le64(x->total_bytes);
		e->started_ns = cpu_to_le64(x->started_ns);
		e->speed_min = cpu_to_le64(x->speed_min);
		e->speed_max = cpu_to_le64(x->speed_max);
		break;
	}
	case VSS_REC_RESYNC_STATE: {
		struct vss_rec_resync_state *e = (void *)p;

		e->state = cpu_to_le32(x->state);
		e->error = cpu_to_le32(x->error);
		break;
	}
	case VSS_REC_RESYNC_SOURCE: {
		struct vss_rec_resync_source *e = (void *)p;

		memcpy(e->id, &x->src_id, 16);
		break;
	}
	}
}

/* Serialise @r into the open block; false if it does not fit. */
static bool vss_log_append(struct vss_log *log, const struct vss_store_rec *r)
{
	u16 size = vss_rec_size(r->type);
	u8 *p;

	if (log->bytes + size > VSS_LOG_PAYLOAD)
		return false;
	p = (u8 *)page_address(log->page) + sizeof(struct vss_log_hdr) +
	    log->bytes;
	memset(p, 0, size);
	((struct vss_rec_hdr *)p)->type = r->type;
	((struct vss_rec_hdr *)p)->slot = cpu_to_le16(r->slot);
	if (r->type == VSS_REC_EXCEPTION) {
		struct vss_rec_exception *e = (void *)p;

		e->lun_chunk = cpu_to_le64(r->lun_chunk);
		e->store_chunk = cpu_to_le64(r->store_chunk);
	} else if (r->type == VSS_REC_CREATE) {
		struct vss_rec_create *c = (void *)p;

		c->seq = cpu_to_le32(r->snap->seq);
		memcpy(c->id, &r->snap->id, 16);
		memcpy(c->set_id, &r->snap->set_id, 16);
		c->created_ns = cpu_to_le64(r->snap->created_ns);
	} else {
		vss_log_append_resync(p, r);
	}
	log->bytes += size;
	log->count++;
	return true;
}

/* The records of the open block changed other than by an append. */
static void vss_log_crc_reset(struct vss_log *log)
{
	log->rcrc = 0;
	log->rcrc_bytes = 0;
}

/*
 * crc32c(~0, whole block) of the open block, from the crc of the header and
 * the running crc of the records: the payload after the records is zero,
 * and crc32c is linear, so appending zeros is a shift (log time).  Checksum
 * cost per commit is the header and the new records, not 4 KiB.
 */
static u32 vss_log_crc(struct vss_log *log, struct vss_log_hdr *h)
{
	u8 *rec = (u8 *)h + sizeof(*h);
	u32 crc;

	if (log->rcrc_bytes > log->bytes)
		vss_log_crc_reset(log);
	log->rcrc = crc32c(log->rcrc, rec + log->rcrc_bytes,
			   log->bytes - log->rcrc_bytes);
	log->rcrc_bytes = log->bytes;
	crc = crc32c(~0U, h, sizeof(*h));	/* h->crc is zero */
	return __crc32c_le_shift(crc, VSS_LOG_PAYLOAD) ^
	       __crc32c_le_shift(log->rcrc, VSS_LOG_PAYLOAD - log->bytes);
}

/*
 * Seal the open block (header, crc) for a write into the slot that does not
 * hold its newest durable copy; @log->next must be allocated.  Returns the
 * slot; its byte address is vss_log_block_byte(..., slot).
 */
static int vss_log_seal(struct vss_store *st, struct vss_log *log)
{
	struct vss_log_hdr *h = page_address(log->page);
	int slot = log->best == 0 ? 1 : 0;
	int i;

	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(VSS_LOG_MAGIC);
	memcpy(h->uuid, &st->uuid, 16);
	h->epoch = cpu_to_le64(log->epoch);
	h->position = cpu_to_le64(log->pos);
	h->commit_seq = cpu_to_le64(++log->seq);
	h->prev_seq = cpu_to_le64(log->prev_seq);
	h->nonce = cpu_to_le64(log->unit_nonce);
	for (i = 0; i < VSS_UNIT_CHUNKS_MAX; i++)
		h->next[i] = cpu_to_le64(log->next[i]);
	h->next_nonce = cpu_to_le64(log->next_nonce);
	h->count = cpu_to_le16(log->count);
	h->bytes = cpu_to_le16(log->bytes);
	h->crc = cpu_to_le32(vss_log_crc(log, h));
	return slot;
}

/* The sealed block is durable in @slot. */
static void vss_log_written(struct vss_log *log, int slot)
{
	if (log->best < 0)
		log->blocks++;
	log->best = slot;
	log->dcount = log->count;
	log->dbytes = log->bytes;
}

/* The unit after the open block's, which its blocks name. */
static int vss_log_next_unit(struct vss_store *st, struct vss_log *log,
			     gfp_t gfp)
{
	int err;

	if (log->has_next)
		return 0;
	err = vss_alloc_unit(st, log->epoch, log->next, gfp);
	if (err)
		return err;
	log->next_nonce = get_random_u64();
	log->has_next = true;
	return 0;
}

/*
 * Write the open block, synchronously.  The first write into a unit
 * allocates the next unit, which every block of the unit names from then on.
 */
static int vss_log_write(struct vss_store *st, struct vss_log *log,
			 blk_opf_t flags)
{
	int slot, err;

	err = vss_log_next_unit(st, log, GFP_NOIO);
	if (err)
		return err;
	slot = vss_log_seal(st, log);
	err = vss_store_io(st, vss_log_block_byte(st, log->unit, log->pos, slot),
			   log->page, REQ_OP_WRITE | REQ_SYNC | REQ_META | flags);
	if (err)
		return err;
	vss_log_written(log, slot);
	return 0;
}

/* Move to the next position after the open block is durable and full. */
static void vss_log_advance(struct vss_store *st, struct vss_log *log)
{
	log->prev_seq = log->seq;
	log->pos++;
	if (log->pos % st->pos_per_unit == 0) {
		memcpy(log->unit, log->next, sizeof(log->unit));
		log->unit_nonce = log->next_nonce;
		log->has_next = false;
	}
	log->best = -1;
	log->count = 0;
	log->bytes = 0;
	log->dcount = 0;
	log->dbytes = 0;
	vss_log_crc_reset(log);
	memset(page_address(log->page), 0, VSS_MD_BLOCK);
}

/* Forget records appended since the last durable write. */
static void vss_log_rollback(struct vss_log *log)
{
	u8 *p = page_address(log->page);

	memset(p + sizeof(struct vss_log_hdr) + log->dbytes, 0,
	       VSS_LOG_PAYLOAD - log->dbytes);
	log->count = log->dcount;
	log->bytes = log->dbytes;
	vss_log_crc_reset(log);
}

/*
 * Append a record, writing out the block first when it is full.  Full
 * blocks of the live log go out with @flags (PREFLUSH|FUA: the next
 * position must not be written before this one is durable).
 */
static int vss_log_add(struct vss_store *st, struct vss_log *log,
		       const struct vss_store_rec *r, blk_opf_t flags)
{
	int err;

	if (vss_log_append(log, r))
		return 0;
	err = vss_log_write(st, log, flags);
	if (err)
		return err;
	vss_log_advance(st, log);
	return vss_log_append(log, r) ? 0 : -EINVAL;
}

static int vss_log_init(struct vss_log *log, gfp_t gfp)
{
	memset(log, 0, sizeof(*log));
	log->best = -1;
	log->page = alloc_page(gfp | __GFP_ZERO);
	return log->page ? 0 : -ENOMEM;
}

static void vss_log_destroy(struct vss_log *log)
{
	if (log->page)
		__free_page(log->page);
	log->page = NULL;
}

/* ------------------------------------------------------------- commits */

/*
 * Check a record against the store state and apply its effect on the slot
 * table; a refused record is completed with an error and not written.
 */
static int vss_rec_check(struct vss_store *st, struct vss_store_rec *r)
{
	u8 *state;

	if (r->slot == VSS_RS_COPY_SLOT) {
		/* a copy's records: no slot of this store */
		switch (r->type) {
		case VSS_REC_RESYNC_TODO:
		case VSS_REC_RESYNC_DONE:
			if (!r->store_chunk || r->lun_chunk >= st->lun_chunks ||
			    r->store_chunk > st->lun_chunks - r->lun_chunk)
				return -EINVAL;
			return 0;
		case VSS_REC_RESYNC_SOURCE:
			return r->resync ? 0 : -EINVAL;
		case VSS_REC_RESYNC_START:
		case VSS_REC_RESYNC_STATE:
		case VSS_REC_RESYNC_ABORT:
			return 0;
		}
		return -EINVAL;
	}
	if (r->slot >= VSS_MAX_SNAPSHOTS)
		return -EINVAL;
	state = &st->slot_state[r->slot];
	switch (r->type) {
	case VSS_REC_EXCEPTION:
		/* the chunk must be an allocated data chunk */
		if (r->lun_chunk >= st->lun_chunks ||
		    r->store_chunk < st->reserved ||
		    r->store_chunk >= st->nr_chunks ||
		    !vss_chunk_used(st, r->store_chunk) ||
		    vss_chunk_is_log(st, r->store_chunk))
			return -EINVAL;
		return 0;
	case VSS_REC_CREATE:
		if (*state != VSS_SLOT_FREE)
			return -EEXIST;
		if (!r->snap || !r->snap->seq)
			return -EINVAL;
		return 0;
	case VSS_REC_DELETE:
	case VSS_REC_INVALIDATE:
		return 0;
	case VSS_REC_BREAK:
		/* replay refuses a break of a slot that is not live */
		return *state == VSS_SLOT_FREE ? -ENOENT : 0;
	case VSS_REC_RESYNC_TODO:
	case VSS_REC_RESYNC_DONE:
		if (!r->store_chunk || r->lun_chunk >= st->lun_chunks ||
		    r->store_chunk > st->lun_chunks - r->lun_chunk)
			return -EINVAL;
		/* a new work set only for a live target (as replay checks) */
		if (r->type == VSS_REC_RESYNC_TODO)
			return *state == VSS_SLOT_LIVE ? 0 : -ENOENT;
		fallthrough;
	case VSS_REC_RESYNC_STATE:
		return *state == VSS_SLOT_FREE ? -ENOENT : 0;
	case VSS_REC_RESYNC_ABORT:
		return 0;
	case VSS_REC_RESYNC_START:
		return *state == VSS_SLOT_LIVE ? 0 : -ENOENT;
	}
	return -EINVAL;
}

static void vss_rec_apply(struct vss_store *st, struct vss_store_rec *r)
{
	u8 *state;

	if (r->slot >= VSS_MAX_SNAPSHOTS)	/* a copy's resync records */
		return;
	state = &st->slot_state[r->slot];
	switch (r->type) {
	case VSS_REC_CREATE:
		*state = VSS_SLOT_LIVE;
		st->nr_live++;
		if (r->snap->seq > st->last_seq)
			st->last_seq = r->snap->seq;
		break;
	case VSS_REC_DELETE:
		if (*state != VSS_SLOT_FREE)
			st->nr_live--;
		*state = VSS_SLOT_FREE;
		break;
	case VSS_REC_INVALIDATE:
		if (*state == VSS_SLOT_LIVE)
			*state = VSS_SLOT_INVALID;
		break;
	}
}

/*
 * While a checkpoint writes the new log, keep a copy of @r, just written
 * to the live log, for the new one.  Caller holds the log lock.  Only
 * exceptions can be carried over (the engine makes no other record while
 * it checkpoints); anything else, or no memory, makes the checkpoint give
 * up, which is always safe: the live log stays in charge.
 */
static void vss_tail_add(struct vss_store *st, const struct vss_store_rec *r,
			 gfp_t gfp)
{
	struct vss_tail *t;

	if (!st->tail_on || st->tail_bad)
		return;
	if (r->type != VSS_REC_EXCEPTION) {
		st->tail_bad = true;
		return;
	}
	t = list_empty(&st->tail) ? NULL :
	    list_last_entry(&st->tail, struct vss_tail, node);
	if (!t || t->n == VSS_TAIL_RECS) {
		t = kmalloc(sizeof(*t), gfp | __GFP_NOWARN);
		if (!t) {
			st->tail_bad = true;
			return;
		}
		t->n = 0;
		list_add_tail(&t->node, &st->tail);
	}
	t->rec[t->n++] = (struct vss_tail_rec){ .lun_chunk = r->lun_chunk,
		.store_chunk = r->store_chunk, .slot = r->slot };
}

static void vss_tail_free(struct list_head *list)
{
	struct vss_tail *t, *tmp;

	list_for_each_entry_safe(t, tmp, list, node) {
		list_del(&t->node);
		kfree(t);
	}
}

/*
 * A commit of @batch failed with @err.  If a write was attempted
 * (@written), the slot may or may not hold the records, and earlier blocks
 * of the batch are durable: stop writing metadata altogether, so no chunk
 * is reused behind a record that might be durable.  Running out of log
 * units or memory before any write changes nothing on disk.
 */
static void vss_commit_failed(struct vss_store *st, struct list_head *batch,
			      int err, bool written)
{
	struct vss_store_rec *r;

	if (written || (err != -ENOSPC && err != -ENOMEM)) {
		if (!READ_ONCE(st->failed))
			pr_err("metadata commit failed (%d): store is read-only from now on\n",
			       err);
		WRITE_ONCE(st->failed, true);
	}
	vss_log_rollback(&st->log);
	/* the tail may hold records just rolled back */
	if (st->tail_on)
		st->tail_bad = true;
	list_for_each_entry(r, batch, list)
		if (!r->err)
			r->err = err;
}

/*
 * Commit one batch: append every record, write the open block once with
 * PREFLUSH|FUA (more often only when blocks fill up).  Caller holds
 * the log lock (sleeping path); completions run after it is dropped.
 */
static void vss_commit_batch(struct vss_store *st, struct list_head *batch)
{
	struct vss_store_rec *r;
	bool dirty = false;
	u64 seq0 = st->log.seq;
	int err = READ_ONCE(st->failed) ? -EIO : 0;

	list_for_each_entry(r, batch, list) {
		if (r->err || err)
			continue;
		r->err = vss_rec_check(st, r);
		if (r->err)
			continue;
		err = vss_log_add(st, &st->log, r, REQ_PREFLUSH | REQ_FUA);
		if (err)
			break;
		vss_rec_apply(st, r);
		vss_tail_add(st, r, GFP_NOIO);
		dirty = true;
	}
	if (!err && dirty)
		err = vss_log_write(st, &st->log, REQ_PREFLUSH | REQ_FUA);
	if (err)
		vss_commit_failed(st, batch, err, st->log.seq != seq0);
}

static void vss_complete(struct vss_store *st, struct list_head *batch)
{
	struct vss_store_rec *r, *tmp;

	/* @r belongs to its caller again once @done runs */
	list_for_each_entry_safe(r, tmp, batch, list) {
		list_del(&r->list);
		r->done(r->ctx, r->err);
	}
}

/* Take the pending records; caller holds the log lock. */
static bool vss_take_pending(struct vss_store *st, struct list_head *batch)
{
	unsigned long flags;

	spin_lock_irqsave(&st->pending_lock, flags);
	list_splice_tail_init(&st->pending, batch);
	spin_unlock_irqrestore(&st->pending_lock, flags);
	return !list_empty(batch);
}

static bool vss_pending_empty(struct vss_store *st)
{
	unsigned long flags;
	bool empty;

	spin_lock_irqsave(&st->pending_lock, flags);
	empty = list_empty(&st->pending);
	spin_unlock_irqrestore(&st->pending_lock, flags);
	return empty;
}

static void vss_fast_commit_run(struct vss_store *st);

/*
 * Have the pending records committed.  With @may_submit (the caller's
 * context is one where a log write may be submitted: a submit_bio() call
 * chain, or a context of the store's own) on the fast path right here,
 * else by the holder of the log lock (which looks again when it lets go)
 * or by the commit worker.
 */
static void vss_store_kick(struct vss_store *st, bool may_submit)
{
	if (may_submit && !atomic_read(&st->log_sleepers)) {
		/* fully ordered: pairs with the barrier in vss_log_release() */
		if (!test_and_set_bit(VSS_LOG_LOCKED, &st->log_flags))
			vss_fast_commit_run(st);
		/* else the holder looks at the pending list when it lets go */
		return;
	}
	queue_work(st->wq, &st->commit_work);
}

/* Drop the log lock and wake a sleeping-path waiter. */
static void vss_log_release(struct vss_store *st)
{
	clear_bit_unlock(VSS_LOG_LOCKED, &st->log_flags);
	/*
	 * Full barrier before the caller reads the pending list: pairs with
	 * the fully ordered test_and_set_bit() of vss_store_kick() after
	 * queuing, so either the queuer gets the lock or we see its record.
	 */
	smp_mb__after_atomic();
	wake_up_bit(&st->log_flags, VSS_LOG_LOCKED);
}

/*
 * After the log lock was dropped, in a context that may submit: take it
 * back if records wait and nobody else is about to commit them.
 */
static bool vss_log_retake(struct vss_store *st)
{
	if (vss_pending_empty(st))
		return false;
	if (atomic_read(&st->log_sleepers)) {
		/* a sleeping-path holder takes them, or looks when it lets go */
		return false;
	}
	return !test_and_set_bit(VSS_LOG_LOCKED, &st->log_flags);
}

/* Drop the log lock in a context that may submit; commit what is queued. */
static void vss_log_unlock_bit(struct vss_store *st)
{
	vss_log_release(st);
	if (vss_log_retake(st))
		vss_fast_commit_run(st);
}

/* Take the log lock on the sleeping path (see "Group commit"). */
static void vss_log_lock(struct vss_store *st)
{
	mutex_lock(&st->commit_lock);
	atomic_inc(&st->log_sleepers);
	wait_on_bit_lock(&st->log_flags, VSS_LOG_LOCKED, TASK_UNINTERRUPTIBLE);
	atomic_dec(&st->log_sleepers);
}

static void vss_log_unlock(struct vss_store *st)
{
	mutex_unlock(&st->commit_lock);
	vss_log_unlock_bit(st);
}

/*
 * End the fast-path write: drop the log lock, complete its records.  Runs
 * in a context of ours only (see vss_fast_commit_endio()).
 */
static void vss_fast_commit_end(struct vss_store *st)
{
	int err = st->inflight_err;
	LIST_HEAD(batch);

	list_splice_init(&st->inflight, &batch);
	if (err)
		vss_commit_failed(st, &batch, err, true);
	else
		vss_log_written(&st->log, st->inflight_slot);
	vss_log_release(st);
	vss_complete(st, &batch);
}

static void vss_fast_commit_end_work(struct work_struct *work)
{
	struct vss_store *st = container_of(work, struct vss_store, end_work);
	struct blk_plug plug;

	/* the origin writes the records release go out as one batch */
	blk_start_plug(&plug);
	vss_fast_commit_end(st);
	if (vss_log_retake(st))
		vss_fast_commit_run(st);
	blk_finish_plug(&plug);
}

/*
 * Is this the submit_bio() call chain our log write was queued on?  The
 * block layer runs the bios a task submits inside submit_bio() from one
 * loop with one on-stack bio_list, so a completion that runs in that task
 * with that list is the device completing our write synchronously (brd)
 * inside the very call chain that queued it, not an interrupt (checked
 * by preemptible()) and not another driver's thread.
 */
static bool vss_in_log_submitter(struct vss_store *st)
{
	return preemptible() && current->bio_list &&
	       current == st->log_task && current->bio_list == st->log_bio_list;
}

/*
 * Completion of the fast-path write.  It may run in an interrupt, in
 * another driver's thread (nbd, loop, dm-crypt, md complete there), or
 * in our own submission: only the latter continues here, the rest goes to
 * end_wq, so neither the next log write nor the records' completions run
 * in a context the store does not own.
 */
static void vss_fast_commit_endio(struct bio *bio)
{
	struct vss_store *st = bio->bi_private;

	st->inflight_err = blk_status_to_errno(bio->bi_status);
	bio_uninit(bio);
	/* before submit_bio() returned: the submitter ends it (fully ordered) */
	if (atomic_cmpxchg(&st->log_submit, VSS_SUBMITTING,
			   VSS_SUBMIT_ENDED) == VSS_SUBMITTING)
		return;
	if (vss_in_log_submitter(st)) {
		vss_fast_commit_end(st);
		if (vss_log_retake(st))
			vss_fast_commit_run(st);
		return;
	}
	queue_work(st->end_wq, &st->end_work);
}

/* Outcome of vss_fast_commit(). */
enum vss_fast {
	VSS_FAST_LEFT,		/* write in flight, or records handed to the worker */
	VSS_FAST_ENDED,		/* write completed inside submit_bio(): end it */
	VSS_FAST_RELEASED,	/* nothing written, log lock dropped */
};

/*
 * The fast path: the caller holds the log lock (bit only) and may submit;
 * nothing here sleeps.  A batch that does not fit the open block, a unit
 * without its successor, a failed store: back to the pending list and to
 * the worker, in order.
 */
static enum vss_fast vss_fast_commit(struct vss_store *st)
{
	struct vss_log *log = &st->log;
	struct vss_store_rec *r;
	unsigned long flags;
	LIST_HEAD(batch);
	bool dirty = false;
	u32 bytes = 0;
	int slot;

	if (!vss_take_pending(st, &batch)) {
		vss_log_release(st);
		return VSS_FAST_RELEASED;
	}
	list_for_each_entry(r, &batch, list)
		bytes += vss_rec_size(r->type);
	if (READ_ONCE(st->failed) || bytes > VSS_LOG_PAYLOAD)
		goto sleeping_path;
	if (log->bytes + bytes > VSS_LOG_PAYLOAD) {
		/*
		 * Every record of the open block is durable: its last copy is
		 * final, move on (the sleeping path writes it once more only
		 * because it may hold records that are not).
		 */
		if (log->bytes != log->dbytes || log->best < 0)
			goto sleeping_path;
		vss_log_advance(st, log);
	}
	if (vss_log_next_unit(st, log, GFP_NOWAIT | __GFP_NOWARN))
		goto sleeping_path;
	list_for_each_entry(r, &batch, list) {
		if (r->err)
			continue;
		r->err = vss_rec_check(st, r);
		if (r->err)
			continue;
		vss_log_append(log, r);		/* fits: checked above */
		vss_rec_apply(st, r);
		vss_tail_add(st, r, GFP_NOWAIT);
		dirty = true;
	}
	if (!dirty) {
		vss_log_release(st);
		vss_complete(st, &batch);
		return VSS_FAST_RELEASED;
	}
	slot = vss_log_seal(st, log);
	list_splice_init(&batch, &st->inflight);
	st->inflight_slot = slot;
	st->log_task = current;
	st->log_bio_list = current->bio_list;
	bio_init(&st->log_bio, st->bdev, &st->log_bvec, 1,
		 REQ_OP_WRITE | REQ_SYNC | REQ_META | REQ_PREFLUSH | REQ_FUA);
	st->log_bio.bi_iter.bi_sector =
		vss_log_block_byte(st, log->unit, log->pos, slot) >> SECTOR_SHIFT;
	__bio_add_page(&st->log_bio, log->page, VSS_MD_BLOCK, 0);
	st->log_bio.bi_end_io = vss_fast_commit_endio;
	st->log_bio.bi_private = st;
	atomic_set(&st->log_submit, VSS_SUBMITTING);
	submit_bio(&st->log_bio);
	/*
	 * Fully ordered against the completion's cmpxchg: exactly one of us
	 * sees the other's value.  Only ENDED lets us touch @st again.
	 */
	if (atomic_xchg(&st->log_submit, VSS_SUBMIT_IDLE) == VSS_SUBMIT_ENDED)
		return VSS_FAST_ENDED;
	return VSS_FAST_LEFT;

sleeping_path:
	spin_lock_irqsave(&st->pending_lock, flags);
	list_splice(&batch, &st->pending);
	spin_unlock_irqrestore(&st->pending_lock, flags);
	vss_log_release(st);
	queue_work(st->wq, &st->commit_work);
	return VSS_FAST_LEFT;
}

/*
 * Run the fast path with the log lock taken, in a loop rather than
 * recursively: a write that ended inside our own submit_bio() is ended
 * here, and what was queued meanwhile goes next.
 */
static void vss_fast_commit_run(struct vss_store *st)
{
	do {
		switch (vss_fast_commit(st)) {
		case VSS_FAST_LEFT:
			return;
		case VSS_FAST_ENDED:
			vss_fast_commit_end(st);
			break;
		case VSS_FAST_RELEASED:
			break;
		}
	} while (vss_log_retake(st));
}

/* Commit whatever is pending on the sleeping path; true if there was some. */
static bool vss_store_flush_once(struct vss_store *st)
{
	struct blk_plug plug;
	LIST_HEAD(batch);

	vss_log_lock(st);
	if (vss_take_pending(st, &batch))
		vss_commit_batch(st, &batch);
	vss_log_unlock(st);
	if (list_empty(&batch))
		return false;
	blk_start_plug(&plug);
	vss_complete(st, &batch);
	blk_finish_plug(&plug);
	return true;
}

static void vss_store_commit_work(struct work_struct *work)
{
	struct vss_store *st = container_of(work, struct vss_store,
					    commit_work);
	unsigned int noio = memalloc_noio_save();

	/* Records queued while a commit is in flight form the next batch. */
	while (vss_store_flush_once(st))
		;
	memalloc_noio_restore(noio);
}

/**
 * vss_store_commit_state - what the group commit holds, for diagnostics
 * @st: the store
 * @queued: records waiting for a commit (not yet taken by one)
 *
 * A record that stays queued while the log lock is free was never kicked.
 *
 * Context: any context.
 * Return: true while the log lock is held (a commit is being written).
 */
bool vss_store_commit_state(struct vss_store *st, unsigned int *queued)
{
	struct vss_store_rec *r;
	unsigned long flags;
	unsigned int n = 0;

	spin_lock_irqsave(&st->pending_lock, flags);
	list_for_each_entry(r, &st->pending, list)
		n++;
	spin_unlock_irqrestore(&st->pending_lock, flags);
	*queued = n;
	return test_bit(VSS_LOG_LOCKED, &st->log_flags);
}

static void vss_store_queue(struct vss_store *st, struct vss_store_rec *r)
{
	unsigned long flags;

	spin_lock_irqsave(&st->pending_lock, flags);
	list_add_tail(&r->list, &st->pending);
	spin_unlock_irqrestore(&st->pending_lock, flags);
}

static void vss_store_queue_exception(struct vss_store *st,
				      struct vss_store_rec *rec, u16 slot,
				      u64 lun_chunk, u64 store_chunk,
				      void (*done)(void *ctx, int err),
				      void *ctx)
{
	*rec = (struct vss_store_rec){
		.type = VSS_REC_EXCEPTION,
		.slot = slot,
		.lun_chunk = lun_chunk,
		.store_chunk = store_chunk,
		.done = done,
		.ctx = ctx,
	};
	vss_store_queue(st, rec);
}

/**
 * vss_store_add_exception - record that a chunk has been preserved
 * @st: the store
 * @rec: memory for the record, the caller's until @done runs
 * @slot: snapshot slot the chunk belongs to
 * @lun_chunk: chunk of the LUN
 * @store_chunk: store chunk holding the preserved data (already written)
 * @done: called once the record is durable (err 0) or failed
 * @ctx: argument of @done
 *
 * Records are grouped: all records queued while a commit is in flight are
 * made durable by the next single PREFLUSH|FUA log write.  A record for a
 * slot whose create record is not durable yet is provisional (see the top
 * of this file).  Nothing is allocated: this cannot fail for memory.
 *
 * Inside a submit_bio() call chain (current->bio_list set, preemptible)
 * the caller itself queues the log write when the log is idle, and if the
 * store device completes it in that chain (brd), the records complete
 * there too.  Anywhere else the commit worker writes the log.  Where @done
 * runs: see the top of store.h; a refused record may complete before this
 * returns.
 *
 * Context: any context; does not sleep.
 */
void vss_store_add_exception(struct vss_store *st, struct vss_store_rec *rec,
			     u16 slot, u64 lun_chunk, u64 store_chunk,
			     void (*done)(void *ctx, int err), void *ctx)
{
	vss_store_queue_exception(st, rec, slot, lun_chunk, store_chunk, done,
				  ctx);
	vss_store_kick(st, preemptible() && current->bio_list);
}

/**
 * vss_store_add_exception_own - vss_store_add_exception() from a worker
 *	of the caller's own
 * @st: the store
 * @rec: memory for the record, the caller's until @done runs
 * @slot: snapshot slot the chunk belongs to
 * @lun_chunk: chunk of the LUN
 * @store_chunk: store chunk holding the preserved data (already written)
 * @done: called once the record is durable (err 0) or failed
 * @ctx: argument of @done
 *
 * The same, but the caller's context is a task of its own (the engine's
 * cow_wq), where a bio may be submitted: the log write goes out from here
 * on the fast path when the log is idle, instead of waking the commit
 * worker, which would sleep in a synchronous write while the records of
 * the next batch wait.  The write's completion goes on from end_wq.  @done
 * may run here, before this returns (a store device that completes inside
 * submit_bio()).
 *
 * Context: a workqueue of the caller's, process context; does not sleep.
 */
void vss_store_add_exception_own(struct vss_store *st,
				 struct vss_store_rec *rec, u16 slot,
				 u64 lun_chunk, u64 store_chunk,
				 void (*done)(void *ctx, int err), void *ctx)
{
	vss_store_queue_exception(st, rec, slot, lun_chunk, store_chunk, done,
				  ctx);
	vss_store_kick(st, true);
}

struct vss_sync_wait {
	struct completion done;
	int err;
};

static void vss_sync_done(void *ctx, int err)
{
	struct vss_sync_wait *w = ctx;

	w->err = err;
	complete(&w->done);
}

/* Queue a record behind every earlier one and wait until it is durable. */
static int vss_store_sync_rec(struct vss_store *st, u8 type, u16 slot,
			      const struct vss_store_snap *s)
{
	struct vss_sync_wait w;
	struct vss_store_rec r = {
		.type = type, .slot = slot, .snap = s,
		.done = vss_sync_done, .ctx = &w,
	};
	unsigned int noio;

	if (slot >= VSS_MAX_SNAPSHOTS)
		return -EINVAL;
	init_completion(&w.done);
	/* the engine may hold I/O of the LUN meanwhile: no reclaim I/O */
	noio = memalloc_noio_save();
	vss_store_queue(st, &r);
	/* Commit in this thread: no dependency on the worker. */
	vss_store_flush_once(st);
	wait_for_completion(&w.done);
	memalloc_noio_restore(noio);
	return w.err;
}

/**
 * vss_store_snapshot_create - make a snapshot durable
 * @st: the store
 * @s: the snapshot (@s->slot not live, @s->seq not 0)
 *
 * Context: process context, sleeps; not from a completion of this store.
 * Return: 0 when durable, -EEXIST if the slot is live, -EINVAL, -EIO.
 */
int vss_store_snapshot_create(struct vss_store *st,
			      const struct vss_store_snap *s)
{
	return vss_store_sync_rec(st, VSS_REC_CREATE, s->slot, s);
}

/**
 * vss_store_snapshot_delete - record the deletion of a snapshot
 * @st: the store
 * @slot: its slot; a slot never created drops its provisional exceptions
 *
 * Only after this returned 0 may the engine free the snapshot's chunks.
 *
 * Context: process context, sleeps; not from a completion of this store.
 * Return: 0 when durable, -EINVAL, -EIO.
 */
int vss_store_snapshot_delete(struct vss_store *st, u16 slot)
{
	return vss_store_sync_rec(st, VSS_REC_DELETE, slot, NULL);
}

/**
 * vss_store_snapshot_invalidate - record that a snapshot lost its data
 * @st: the store
 * @slot: its slot
 *
 * Context: process context, sleeps; not from a completion of this store.
 * Return: 0 when durable, -EINVAL, -EIO.
 */
int vss_store_snapshot_invalidate(struct vss_store *st, u16 slot)
{
	return vss_store_sync_rec(st, VSS_REC_INVALIDATE, slot, NULL);
}

/**
 * vss_store_snapshot_break - record that a snapshot left its snapshot set
 * @st: the store
 * @slot: its slot, live (created, not deleted)
 *
 * From this record on, replay reports the snapshot with an all-zero set
 * id; a checkpoint writes whatever set id the engine enumerates.
 *
 * Context: process context, sleeps; not from a completion of this store.
 * Return: 0 when durable, -ENOENT if the slot is not live, -EINVAL, -EIO.
 */
int vss_store_snapshot_break(struct vss_store *st, u16 slot)
{
	return vss_store_sync_rec(st, VSS_REC_BREAK, slot, NULL);
}

/* ------------------------------------------------------- resync records */

static int vss_cp_add(struct vss_store *st, const struct vss_store_rec *r);

/* records per commit of a resync group */
#define VSS_RESYNC_BATCH	128

struct vss_batch_wait {
	struct completion done;
	atomic_t left;
	int err;
};

static void vss_batch_done(void *ctx, int err)
{
	struct vss_batch_wait *w = ctx;

	if (err)
		WRITE_ONCE(w->err, err);
	if (atomic_dec_and_test(&w->left))
		complete(&w->done);
}

/* Commit @n records of @recs behind every earlier one; wait until durable. */
static int vss_store_sync_batch(struct vss_store *st,
				struct vss_store_rec *recs, unsigned int n)
{
	struct vss_batch_wait w = { .err = 0 };
	unsigned int i;

	if (!n)
		return 0;
	init_completion(&w.done);
	atomic_set(&w.left, n);
	for (i = 0; i < n; i++) {
		recs[i].done = vss_batch_done;
		recs[i].ctx = &w;
		vss_store_queue(st, &recs[i]);
	}
	vss_store_flush_once(st);
	wait_for_completion(&w.done);
	return w.err;
}

static int vss_sb_switch(struct vss_store *st, int slot, struct page *page,
			 const struct vss_log *log, u64 log_seq);

/**
 * vss_store_upgrade() - raise the superblock to format @version
 * @st: the store
 * @version: the version the records about to be written need
 *
 * The superblock is written again, the same but for its version, into
 * the slot not holding the current one (PREFLUSH|FUA), and the old slot
 * is zeroed: a crash in between leaves the old version current (nothing
 * of the new kind is written yet) or the new one (highest sb_seq).  Only
 * then may the caller write records of the new kind, so a module that
 * knows only the older version refuses the store as newer instead of
 * misreading its log.
 *
 * Context: process context, sleeps; cp_lock held (no checkpoint writes
 * the superblock meanwhile).
 * Return: 0, -ENOMEM, -EIO (the store then stays read-only: the new
 * superblock may or may not be durable).
 */
static int vss_store_upgrade(struct vss_store *st, u32 version)
{
	struct page *pg;
	u32 old;
	int err;

	lockdep_assert_held(&st->cp_lock);
	if (READ_ONCE(st->version) >= version)
		return 0;
	pg = alloc_page(GFP_NOIO);
	if (!pg)
		return -ENOMEM;
	vss_log_lock(st);
	old = st->version;
	err = -EIO;
	if (!READ_ONCE(st->failed)) {
		st->version = version;
		st->sb_seq++;
		err = vss_sb_switch(st, 1 - st->sb_slot, pg, &st->log,
				    st->sb_log_seq);
		if (err) {
			WRITE_ONCE(st->failed, true);
			pr_err("superblock write failed (%d): store is read-only from now on\n",
			       err);
		} else {
			st->sb_slot = 1 - st->sb_slot;
		}
	}
	vss_log_unlock(st);
	__free_page(pg);
	if (!err)
		pr_info("store %pU: format version %u -> %u (resync records)\n",
			&st->uuid, old, version);
	return err;
}

/*
 * Write the resync runs @runs as @type records, then @last (if given);
 * under cp_lock, so no checkpoint runs meanwhile (it would have to carry
 * them over) and the group is never split by one.
 */
static int vss_store_resync_write(struct vss_store *st, u8 type, u16 slot,
				  const struct vss_store_run *runs,
				  unsigned int n, u8 last_type,
				  const struct vss_store_resync *last)
{
	bool source = type == VSS_REC_RESYNC_TODO && last && last->copy;
	struct vss_store_rec *recs;
	unsigned int noio, i, k = 0;
	bool wrote = false;
	bool copy;
	int err = 0;

	if (slot >= VSS_MAX_SNAPSHOTS && slot != VSS_RS_COPY_SLOT)
		return -EINVAL;
	/* a copy's records carry VSS_RS_COPY_SLOT, a revert's its target's */
	copy = slot == VSS_RS_COPY_SLOT;
	if (last && last->copy != copy)
		return -EINVAL;
	/* all or nothing: a bad run is refused before anything is written */
	for (i = 0; i < n; i++)
		if (!runs[i].nr || runs[i].first >= st->lun_chunks ||
		    runs[i].nr > st->lun_chunks - runs[i].first)
			return -EINVAL;
	noio = memalloc_noio_save();
	recs = kcalloc(VSS_RESYNC_BATCH, sizeof(*recs), GFP_NOIO);
	if (!recs) {
		memalloc_noio_restore(noio);
		return -ENOMEM;
	}
	mutex_lock(&st->cp_lock);
	err = vss_store_upgrade(st, slot == VSS_RS_COPY_SLOT ?
				VSS_SB_VERSION_COPY : VSS_SB_VERSION_RESYNC);
	/* a copy's work set: the snapshot it copies first */
	if (!err && source) {
		recs[k++] = (struct vss_store_rec){
			.type = VSS_REC_RESYNC_SOURCE, .slot = slot,
			.resync = last,
		};
		if (!n) {
			err = vss_store_sync_batch(st, recs, k);
			wrote = true;
			k = 0;
		}
	}
	for (i = 0; !err && i < n; i++) {
		recs[k++] = (struct vss_store_rec){
			.type = type, .slot = slot,
			.lun_chunk = runs[i].first, .store_chunk = runs[i].nr,
		};
		if (k == VSS_RESYNC_BATCH || i == n - 1) {
			err = vss_store_sync_batch(st, recs, k);
			wrote = true;
			k = 0;
		}
	}
	/* the closing record alone, once every run is durable */
	if (!err && last) {
		recs[0] = (struct vss_store_rec){
			.type = last_type, .slot = slot, .resync = last,
		};
		err = vss_store_sync_batch(st, recs, 1);
	}
	if (err && wrote && type == VSS_REC_RESYNC_TODO) {
		/* runs of a group without its START: drop them at replay */
		recs[0] = (struct vss_store_rec){
			.type = VSS_REC_RESYNC_ABORT, .slot = slot,
		};
		vss_store_sync_batch(st, recs, 1);
	}
	mutex_unlock(&st->cp_lock);
	kfree(recs);
	memalloc_noio_restore(noio);
	return err;
}

/**
 * vss_store_resync_start - make a revert's new work set durable
 * @st: the store
 * @rs: the revert (@rs->runs and @rs->chunks count @runs)
 * @runs: the work set, @n runs, ascending, not overlapping
 * @n: how many
 *
 * Replaces the previous work set (and state) once the START record is
 * durable; a crash before leaves the previous one in force.
 *
 * Context: process context, sleeps; not from a completion of this store.
 * Return: 0 when durable, -EINVAL (a run out of bounds: the records are
 * refused, the group has no effect), -ENOENT (slot not live), -ENOMEM,
 * -EIO.
 */
int vss_store_resync_start(struct vss_store *st,
			   const struct vss_store_resync *rs,
			   const struct vss_store_run *runs, unsigned int n)
{
	return vss_store_resync_write(st, VSS_REC_RESYNC_TODO, rs->slot, runs,
				      n, VSS_REC_RESYNC_START, rs);
}

/**
 * vss_store_resync_done - record chunks that left a revert's work set
 * @st: the store
 * @slot: the revert's target snapshot
 * @runs: the runs; their data is durable on the LUN's backing device
 * @n: how many (may be 0)
 * @state: NULL, or the revert's new state (done, failed, cancelled),
 *	recorded after the runs
 *
 * Context: process context, sleeps; not from a completion of this store.
 * Return: 0 when durable, -EINVAL, -ENOENT, -ENOMEM, -EIO.
 */
int vss_store_resync_done(struct vss_store *st, u16 slot,
			  const struct vss_store_run *runs, unsigned int n,
			  const struct vss_store_resync *state)
{
	return vss_store_resync_write(st, VSS_REC_RESYNC_DONE, slot, runs, n,
				      VSS_REC_RESYNC_STATE, state);
}

/**
 * vss_store_resync_take - the revert the replay found
 * @st: the store, just opened
 * @rs: receives its state
 * @work: receives its work set (chunk -> xa_mk_value(1)), the caller's
 *	from now on (xa_destroy() and kfree())
 *
 * Context: process context, LUN add.
 * Return: 0, or -ENOENT if the log holds no revert that is not done.
 */
int vss_store_resync_take(struct vss_store *st, struct vss_store_resync *rs,
			  struct xarray **work)
{
	if (!st->rsx_work)
		return -ENOENT;
	*rs = st->rsx;
	*work = st->rsx_work;
	st->rsx_work = NULL;
	return 0;
}

/**
 * vss_store_cp_resync_source - emit the SOURCE record of a copy onto the
 * LUN into a checkpoint, before its runs
 * @st: the store
 * @id: the snapshot copied (of another LUN)
 *
 * Context: only from the enumerate callback of vss_store_checkpoint().
 * Return: 0, -EINVAL, -ENOSPC, -EIO.
 */
int vss_store_cp_resync_source(struct vss_store *st, const uuid_t *id)
{
	struct vss_store_resync x = { .copy = true };
	struct vss_store_rec r = { .type = VSS_REC_RESYNC_SOURCE,
				   .slot = VSS_RS_COPY_SLOT, .resync = &x };

	lockdep_assert_held(&st->cp_lock);
	if (!st->cp || uuid_is_null(id))
		return -EINVAL;
	uuid_copy(&x.src_id, id);
	st->cp_version = max_t(u32, st->cp_version, VSS_SB_VERSION_COPY);
	return vss_cp_add(st, &r);
}

/**
 * vss_store_cp_resync_run - emit a run of a revert's work set into a
 * checkpoint
 * @st: the store
 * @slot: the target snapshot, emitted before
 * @first: first chunk
 * @nr: chunks
 *
 * Context: only from the enumerate callback of vss_store_checkpoint().
 * Return: 0, -EINVAL, -ENOSPC, -EIO.
 */
int vss_store_cp_resync_run(struct vss_store *st, u16 slot, u64 first,
			    u64 nr)
{
	struct vss_store_rec r = { .type = VSS_REC_RESYNC_TODO, .slot = slot,
				   .lun_chunk = first, .store_chunk = nr };
	int err;

	lockdep_assert_held(&st->cp_lock);
	if (!st->cp || vss_rec_check(st, &r) ||
	    (slot != VSS_RS_COPY_SLOT &&
	     (!test_bit(slot, st->cp_snaps) || test_bit(slot, st->cp_invalid))))
		return -EINVAL;
	st->cp_version = max_t(u32, st->cp_version, VSS_SB_VERSION_RESYNC);
	err = vss_cp_add(st, &r);
	if (!err) {
		st->cp_rs_runs++;
		st->cp_rs_chunks += nr;
	}
	return err;
}

/**
 * vss_store_cp_resync - emit a revert into a checkpoint, after its runs
 * @st: the store
 * @rs: the revert (@rs->runs and @rs->chunks are ignored: the runs
 *	emitted count); a failed or cancelled state is recorded too
 *
 * Context: only from the enumerate callback of vss_store_checkpoint().
 * Return: 0, -EINVAL, -ENOSPC, -EIO.
 */
int vss_store_cp_resync(struct vss_store *st,
			const struct vss_store_resync *rs)
{
	struct vss_store_resync x = *rs;
	struct vss_store_rec r = { .type = VSS_REC_RESYNC_START,
				   .slot = rs->slot, .resync = &x };
	bool copy_slot;
	int err;

	lockdep_assert_held(&st->cp_lock);
	copy_slot = rs->slot == VSS_RS_COPY_SLOT;
	if (!st->cp || copy_slot != rs->copy ||
	    (!rs->copy && (rs->slot >= VSS_MAX_SNAPSHOTS ||
			   !test_bit(rs->slot, st->cp_snaps) ||
			   test_bit(rs->slot, st->cp_invalid))))
		return -EINVAL;
	x.runs = st->cp_rs_runs;
	x.chunks = st->cp_rs_chunks;
	st->cp_version = max_t(u32, st->cp_version, VSS_SB_VERSION_RESYNC);
	err = vss_cp_add(st, &r);
	if (!err && rs->state != VSS_RS_RUNNING) {
		r.type = VSS_REC_RESYNC_STATE;
		err = vss_cp_add(st, &r);
	}
	return err;
}

/* ---------------------------------------------------------- superblock */

static void vss_sb_fill(struct vss_store *st, struct vss_sb_disk *sb,
			const struct vss_log *log, u64 log_seq)
{
	int i;

	memset(sb, 0, VSS_MD_BLOCK);
	sb->magic = cpu_to_le64(VSS_SB_MAGIC);
	sb->version = cpu_to_le32(st->version);
	sb->sb_seq = cpu_to_le64(st->sb_seq);
	memcpy(sb->uuid, &st->uuid, 16);
	sb->chunk_size = cpu_to_le32(st->chunk_size);
	sb->nr_chunks = cpu_to_le64(st->nr_chunks);
	sb->lun_size = cpu_to_le64(st->lun_size);
	memcpy(sb->lun_name, st->lun_name, VSS_LUN_NAME_LEN);
	sb->created_ns = cpu_to_le64(st->created_ns);
	sb->log_epoch = cpu_to_le64(log->epoch);
	for (i = 0; i < VSS_UNIT_CHUNKS_MAX; i++)
		sb->log_head[i] = cpu_to_le64(log->head[i]);
	sb->log_head_nonce = cpu_to_le64(log->head_nonce);
	sb->log_seq = cpu_to_le64(log_seq);
	sb->last_snap_seq = cpu_to_le32(st->last_seq);
	sb->unit_chunks = cpu_to_le32(st->unit_chunks);
	sb->log_end_seq = cpu_to_le64(st->sb_end_seq);
	sb->cp_snap_seq = cpu_to_le32(st->sb_cp_snap_seq);
	sb->log_end_count = cpu_to_le16(st->sb_end_count);
	sb->crc = cpu_to_le32(vss_block_crc(sb, &sb->crc));
}

/*
 * Write the superblock into @slot (PREFLUSH: everything written before,
 * the new log included, is durable first), then zero the other slot so
 * only one valid superblock names a log whose chunks are all allocated.
 */
static int vss_sb_switch(struct vss_store *st, int slot, struct page *page,
			 const struct vss_log *log, u64 log_seq)
{
	int err;

	vss_sb_fill(st, page_address(page), log, log_seq);
	err = vss_store_io(st, (u64)slot * VSS_MD_BLOCK, page,
			   REQ_OP_WRITE | REQ_SYNC | REQ_META |
			   REQ_PREFLUSH | REQ_FUA);
	if (err)
		return err;
	memset(page_address(page), 0, VSS_MD_BLOCK);
	err = vss_store_io(st, (u64)(1 - slot) * VSS_MD_BLOCK, page,
			   REQ_OP_WRITE | REQ_SYNC | REQ_META | REQ_FUA);
	if (err)
		pr_warn("store %pU: could not clear the old superblock slot (%d)\n",
			&st->uuid, err);
	return 0;
}

enum vss_sb_class { VSS_SB_EMPTY, VSS_SB_BAD, VSS_SB_NEWER, VSS_SB_VALID };

static enum vss_sb_class vss_sb_classify(struct vss_sb_disk *sb)
{
	if (le64_to_cpu(sb->magic) != VSS_SB_MAGIC)
		return VSS_SB_EMPTY;
	if (le32_to_cpu(sb->version) > VSS_SB_VERSION)
		return VSS_SB_NEWER;
	if (vss_block_crc(sb, &sb->crc) != le32_to_cpu(sb->crc) ||
	    le32_to_cpu(sb->version) < VSS_SB_VERSION_BASE)
		return VSS_SB_BAD;
	return VSS_SB_VALID;
}

/* ------------------------------------------------------------- replay */

struct vss_orphan {
	u16 slot;
	u64 lun_chunk;
	u64 store_chunk;
};

/**
 * struct vss_replay - state of the log walk at open
 * @st: the store being opened
 * @ops: engine callbacks
 * @arg: their argument
 * @extack: where to report a refusal
 * @slot: slot states as the records say
 * @pending_invalid: invalidate records seen for slots not created yet
 * @orphans: provisional exceptions (slot not created yet)
 * @nr_orphans: used entries of @orphans
 * @max_orphans: allocated entries of @orphans
 * @records: records replayed
 * @staged: resync TODO runs read since the last START (a work set being
 *	written), NULL if none
 * @staged_runs: TODO records in @staged
 * @staged_chunks: chunks in them
 * @staged_slot: their target slot
 * @staged_src: a copy's SOURCE record was read since the last START: the
 *	runs that follow are its work set (slot VSS_RS_COPY_SLOT)
 * @staged_src_id: the snapshot it names
 * @old_resync: resync records found in a version 1 store (written by
 *	development builds before version 2 existed): accepted, and the
 *	superblock is raised at the next resync record
 * @blk_seq: commit sequence of the block whose records are replayed
 * @cp_left: records of that block still written by the checkpoint
 *	(U16_MAX: all of them); -1: not known (a store of an older module)
 * @sb_last_seq: last_snap_seq of the superblock
 * @max_seq: highest create sequence number replayed so far
 * @cp_seqs: create sequence numbers read in the checkpoint's blocks
 * @nr_cp_seqs: used entries of @cp_seqs
 * @gen: per slot, delete and invalidate records replayed: a store chunk
 *	an exception of the slot named may be named again only after one
 * @named: store chunk -> slot and @gen of the last exception record that
 *	named it (only records of created slots)
 */
struct vss_replay {
	struct vss_store *st;
	const struct vss_store_replay_ops *ops;
	void *arg;
	struct netlink_ext_ack *extack;
	u8 slot[VSS_MAX_SNAPSHOTS];
	DECLARE_BITMAP(pending_invalid, VSS_MAX_SNAPSHOTS);
	struct vss_orphan *orphans;
	u32 nr_orphans;
	u32 max_orphans;
	u64 records;
	struct xarray *staged;
	u64 staged_runs;
	u64 staged_chunks;
	u16 staged_slot;
	bool staged_src;
	uuid_t staged_src_id;
	bool old_resync;
	u64 blk_seq;
	int cp_left;
	u32 sb_last_seq;
	u32 max_seq;
	u32 cp_seqs[VSS_MAX_SNAPSHOTS];
	u32 nr_cp_seqs;
	u32 gen[VSS_MAX_SNAPSHOTS];
	struct xarray named;
};

#define VSS_NAMED(slot, gen)	xa_mk_value((unsigned long)(gen) << 16 | (slot))

/*
 * Is @sc the data of a snapshot as far as the records replayed so far
 * tell: named by an exception of a slot that had no delete or invalidate
 * record since?  Such a chunk is named by no other exception and is no
 * log chunk until then (chunks are reused only after the record that
 * released them is durable; handing chunks over to an older snapshot at
 * a delete counts as released here, which is the looser reading).
 */
static bool vss_replay_chunk_live(struct vss_replay *rp, u64 sc)
{
	void *e = xa_load(&rp->named, sc);
	unsigned long v;

	if (!e)
		return false;
	v = xa_to_value(e);
	return rp->gen[v & 0xffff] == (u32)(v >> 16);
}

static int vss_replay_name(struct vss_replay *rp, u16 slot, u64 sc)
{
	return xa_err(xa_store(&rp->named, sc, VSS_NAMED(slot, rp->gen[slot]),
			       GFP_KERNEL));
}

/*
 * Sequence numbers of create records: those of a checkpoint's blocks
 * (commit sequence up to log_end_seq) are distinct and up to the
 * superblock's cp_snap_seq (last_snap_seq if unknown); every later create
 * has a higher one than any create before it (the engine numbers
 * snapshots in creation order, one create at a time), and not below
 * cp_snap_seq.  A store written before log_end_seq existed and
 * checkpointed since is not checked (its checkpoint blocks are not known).
 */
static int vss_replay_create_seq(struct vss_replay *rp, u32 seq, u64 pos)
{
	struct vss_store *st = rp->st;
	u32 bound = st->sb_cp_snap_seq ?: rp->sb_last_seq, i;

	if (rp->cp_left < 0)	/* the checkpoint's last block, not known */
		goto out;
	if (rp->cp_left) {
		for (i = 0; i < rp->nr_cp_seqs; i++)
			if (rp->cp_seqs[i] == seq)
				break;
		if (seq > bound || i < rp->nr_cp_seqs ||
		    rp->nr_cp_seqs == VSS_MAX_SNAPSHOTS) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: checkpoint create of s%u (last s%u)",
				   pos, seq, bound);
			return -EUCLEAN;
		}
		rp->cp_seqs[rp->nr_cp_seqs++] = seq;
	} else if (st->sb_end_seq || st->log.epoch == 1) {
		if (seq <= rp->max_seq || seq < st->sb_cp_snap_seq) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: create of s%u after s%u",
				   pos, seq, max(rp->max_seq, st->sb_cp_snap_seq));
			return -EUCLEAN;
		}
	}
out:
	rp->max_seq = max(rp->max_seq, seq);
	return 0;
}

static int vss_replay_orphan(struct vss_replay *rp, u16 slot, u64 lc, u64 sc)
{
	if (rp->nr_orphans == rp->max_orphans) {
		u32 n = rp->max_orphans ? rp->max_orphans * 2 : 256;
		struct vss_orphan *o;

		if (n > VSS_MAX_ORPHANS) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "more than %lu exceptions of uncreated snapshots",
				   VSS_MAX_ORPHANS);
			return -EUCLEAN;
		}
		o = kvmalloc_array(n, sizeof(*o), GFP_KERNEL);
		if (!o)
			return -ENOMEM;
		if (rp->orphans) {
			memcpy(o, rp->orphans, rp->nr_orphans * sizeof(*o));
			kvfree(rp->orphans);
		}
		rp->orphans = o;
		rp->max_orphans = n;
	}
	rp->orphans[rp->nr_orphans++] = (struct vss_orphan){ slot, lc, sc };
	return 0;
}

/* Hand the provisional exceptions of @slot to the engine, or drop them. */
static int vss_replay_claim(struct vss_replay *rp, u16 slot, bool deliver)
{
	u32 i, j = 0;
	int err = 0;

	for (i = 0; i < rp->nr_orphans; i++) {
		struct vss_orphan *o = &rp->orphans[i];

		if (o->slot != slot) {
			rp->orphans[j++] = *o;
			continue;
		}
		if (!deliver)
			vss_mark_free(rp->st, o->store_chunk);
		else if (!err)
			err = rp->ops->exception(rp->arg, slot, o->lun_chunk,
						 o->store_chunk) ?:
			      vss_replay_name(rp, slot, o->store_chunk);
	}
	rp->nr_orphans = j;
	return err;
}

static int vss_replay_engine_err(struct vss_replay *rp, int err)
{
	vss_refuse(rp->extack, "store replay refused by the engine",
		   "error %d after %llu records", err, rp->records);
	return err;
}

static struct xarray *vss_work_new(void)
{
	struct xarray *xa = kmalloc(sizeof(*xa), GFP_KERNEL);

	if (xa)
		xa_init(xa);
	return xa;
}

static void vss_work_free(struct xarray *xa)
{
	if (xa) {
		xa_destroy(xa);
		kfree(xa);
	}
}

/* A TODO run joins the staged work set, a DONE run leaves the current one. */
static int vss_replay_resync_run(struct vss_replay *rp, u8 type, u16 slot,
				 const struct vss_rec_resync_run *e, u64 pos)
{
	struct vss_store *st = rp->st;
	u64 first = le64_to_cpu(e->first), nr = le64_to_cpu(e->nr), c;
	int err;

	if (!nr || first >= st->lun_chunks || nr > st->lun_chunks - first) {
		vss_refuse(rp->extack, "store metadata corrupt",
			   "log block %llu: resync run %llu+%llu out of bounds",
			   pos, first, nr);
		return -EUCLEAN;
	}
	if (type == VSS_REC_RESYNC_DONE) {
		if (!st->rsx_work || st->rsx.slot != slot) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: resync done run without a revert",
				   pos);
			return -EUCLEAN;
		}
		for (c = first; c < first + nr; c++)
			xa_erase(st->rsx_work, c);
		return 0;
	}
	if ((slot == VSS_RS_COPY_SLOT ? !rp->staged_src :
	     rp->slot[slot] != VSS_SLOT_LIVE) ||
	    (rp->staged_runs && rp->staged_slot != slot)) {
		vss_refuse(rp->extack, "store metadata corrupt",
			   "log block %llu: resync run of slot %u", pos, slot);
		return -EUCLEAN;
	}
	if (!rp->staged) {
		rp->staged = vss_work_new();
		if (!rp->staged)
			return -ENOMEM;
	}
	for (c = first; c < first + nr; c++) {
		if (xa_load(rp->staged, c)) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: resync runs overlap at chunk %llu",
				   pos, c);
			return -EUCLEAN;
		}
		err = xa_err(xa_store(rp->staged, c, xa_mk_value(1),
				      GFP_KERNEL));
		if (err)
			return err;
	}
	rp->staged_slot = slot;
	rp->staged_runs++;
	rp->staged_chunks += nr;
	cond_resched();
	return 0;
}

/*
 * Resync records: the revert's work set and state end up in st->rsx and
 * st->rsx_work (see struct vss_rec_resync_start for the rules).
 */
static int vss_replay_resync(struct vss_replay *rp, const u8 *p, u64 pos,
			     u16 slot)
{
	const struct vss_rec_hdr *h = (const void *)p;
	struct vss_store *st = rp->st;
	struct vss_store_resync *x = &st->rsx;

	if (slot >= VSS_MAX_SNAPSHOTS &&
	    (slot != VSS_RS_COPY_SLOT || st->version < VSS_SB_VERSION_COPY)) {
		vss_refuse(rp->extack, "store metadata corrupt",
			   "log block %llu: bad slot %u", pos, slot);
		return -EUCLEAN;
	}
	if (st->version < VSS_SB_VERSION_RESYNC && !rp->old_resync) {
		rp->old_resync = true;
		pr_notice("store %pU: resync records in a version %u store; accepted, version %u from the next resync record\n",
			  &st->uuid, st->version, VSS_SB_VERSION_RESYNC);
	}
	if (h->type == VSS_REC_RESYNC_ABORT) {
		/* a RecoverSet that failed after writing some of its runs */
		vss_work_free(rp->staged);
		rp->staged = NULL;
		rp->staged_runs = 0;
		rp->staged_chunks = 0;
		rp->staged_src = false;
		return 0;
	}
	if ((rp->staged_runs || rp->staged_src) &&
	    h->type != VSS_REC_RESYNC_TODO &&
	    h->type != VSS_REC_RESYNC_START) {
		vss_refuse(rp->extack, "store metadata corrupt",
			   "log block %llu: resync runs without their start",
			   pos);
		return -EUCLEAN;
	}
	switch (h->type) {
	case VSS_REC_RESYNC_SOURCE: {
		const struct vss_rec_resync_source *e = (const void *)p;

		/* written first, before the copy's runs (checked above) */
		if (slot != VSS_RS_COPY_SLOT || uuid_is_null((void *)e->id)) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: bad resync source", pos);
			return -EUCLEAN;
		}
		rp->staged_src = true;
		memcpy(&rp->staged_src_id, e->id, 16);
		return 0;
	}
	case VSS_REC_RESYNC_TODO:
	case VSS_REC_RESYNC_DONE:
		return vss_replay_resync_run(rp, h->type, slot,
					     (const void *)p, pos);
	case VSS_REC_RESYNC_START: {
		const struct vss_rec_resync_start *e = (const void *)p;

		if ((slot == VSS_RS_COPY_SLOT ? !rp->staged_src :
		     rp->staged_src || rp->slot[slot] != VSS_SLOT_LIVE) ||
		    le64_to_cpu(e->runs) != rp->staged_runs ||
		    le64_to_cpu(e->chunks) != rp->staged_chunks ||
		    (rp->staged_runs && rp->staged_slot != slot) ||
		    le32_to_cpu(e->flags) & ~0x300U) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: resync start does not match its %llu runs",
				   pos, rp->staged_runs);
			return -EUCLEAN;
		}
		vss_work_free(st->rsx_work);
		st->rsx_work = rp->staged ? rp->staged : vss_work_new();
		rp->staged = NULL;
		if (!st->rsx_work)
			return -ENOMEM;
		*x = (struct vss_store_resync){
			.slot = slot,
			.flags = le32_to_cpu(e->flags),
			.state = VSS_RS_RUNNING,
			.runs = rp->staged_runs,
			.chunks = rp->staged_chunks,
			.total_bytes = le64_to_cpu(e->total_bytes),
			.started_ns = le64_to_cpu(e->started_ns),
			.speed_min = le64_to_cpu(e->speed_min),
			.speed_max = le64_to_cpu(e->speed_max),
			.copy = rp->staged_src,
			.src_id = rp->staged_src_id,
		};
		rp->staged_runs = 0;
		rp->staged_chunks = 0;
		rp->staged_src = false;
		return 0;
	}
	case VSS_REC_RESYNC_STATE: {
		const struct vss_rec_resync_state *e = (const void *)p;
		u32 state = le32_to_cpu(e->state);

		if (!st->rsx_work || x->slot != slot ||
		    state < VSS_RS_DONE ||
		    state > VSS_RS_CANCELLED ||
		    (state == VSS_RS_DONE &&
		     !xa_empty(st->rsx_work))) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: bad resync state %u", pos,
				   state);
			return -EUCLEAN;
		}
		if (state == VSS_RS_DONE) {
			vss_work_free(st->rsx_work);
			st->rsx_work = NULL;
			return 0;
		}
		x->state = state;
		x->error = le32_to_cpu(e->error);
		return 0;
	}
	}
	return -EUCLEAN;
}

static int vss_replay_rec(struct vss_replay *rp, const u8 *p, u64 pos)
{
	const struct vss_rec_hdr *h = (const void *)p;
	struct vss_store *st = rp->st;
	u16 slot = le16_to_cpu(h->slot);
	u8 *state;
	int err = 0;

	/* resync records check their slot themselves (a copy's has none) */
	if (h->type >= VSS_REC_RESYNC_TODO &&
	    h->type <= VSS_REC_RESYNC_SOURCE && !h->pad)
		return vss_replay_resync(rp, p, pos, slot);
	if (slot >= VSS_MAX_SNAPSHOTS || h->pad) {
		vss_refuse(rp->extack, "store metadata corrupt",
			   "log block %llu: bad slot %u", pos, slot);
		return -EUCLEAN;
	}
	state = &rp->slot[slot];
	rp->records++;

	switch (h->type) {
	case VSS_REC_EXCEPTION: {
		const struct vss_rec_exception *e = (const void *)p;
		u64 lc = le64_to_cpu(e->lun_chunk);
		u64 sc = le64_to_cpu(e->store_chunk);

		if (lc >= st->lun_chunks || sc < st->reserved ||
		    sc >= st->nr_chunks || vss_chunk_is_log(st, sc)) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: exception %llu -> %llu out of bounds",
				   pos, lc, sc);
			return -EUCLEAN;
		}
		err = vss_mark_used(st, sc, GFP_KERNEL);
		if (err)
			return err;
		if (*state == VSS_SLOT_FREE)
			return vss_replay_orphan(rp, slot, lc, sc);
		/* a chunk still holding another snapshot's data: a lie */
		if (vss_replay_chunk_live(rp, sc)) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: store chunk %llu named twice",
				   pos, sc);
			return -EUCLEAN;
		}
		err = rp->ops->exception(rp->arg, slot, lc, sc);
		if (!err && *state == VSS_SLOT_LIVE)
			err = vss_replay_name(rp, slot, sc);
		break;
	}
	case VSS_REC_CREATE: {
		const struct vss_rec_create *c = (const void *)p;
		struct vss_store_snap s = {
			.slot = slot,
			.seq = le32_to_cpu(c->seq),
			.created_ns = le64_to_cpu(c->created_ns),
		};

		if (*state != VSS_SLOT_FREE || !s.seq) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: bad create of slot %u (seq %u)",
				   pos, slot, s.seq);
			return -EUCLEAN;
		}
		err = vss_replay_create_seq(rp, s.seq, pos);
		if (err)
			return err;
		memcpy(&s.id, c->id, 16);
		memcpy(&s.set_id, c->set_id, 16);
		*state = VSS_SLOT_LIVE;
		if (s.seq > st->last_seq)
			st->last_seq = s.seq;
		err = rp->ops->snapshot_create(rp->arg, &s);
		if (!err)
			err = vss_replay_claim(rp, slot, true);
		if (!err && test_and_clear_bit(slot, rp->pending_invalid)) {
			*state = VSS_SLOT_INVALID;
			rp->gen[slot]++;
			err = rp->ops->snapshot_invalidate(rp->arg, slot);
		}
		break;
	}
	case VSS_REC_DELETE:
		if (st->rsx_work && st->rsx.slot == slot &&
		    !xa_empty(st->rsx_work)) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: delete of slot %u, which a revert reads from",
				   pos, slot);
			return -EUCLEAN;
		}
		clear_bit(slot, rp->pending_invalid);
		rp->gen[slot]++;
		if (*state == VSS_SLOT_FREE)
			return vss_replay_claim(rp, slot, false);
		*state = VSS_SLOT_FREE;
		err = rp->ops->snapshot_delete(rp->arg, slot);
		break;
	case VSS_REC_INVALIDATE:
		if (*state == VSS_SLOT_FREE) {
			set_bit(slot, rp->pending_invalid);
			return 0;
		}
		if (*state == VSS_SLOT_INVALID)
			return 0;
		*state = VSS_SLOT_INVALID;
		rp->gen[slot]++;
		err = rp->ops->snapshot_invalidate(rp->arg, slot);
		break;
	case VSS_REC_BREAK:
		/* written only for live slots (vss_rec_check) */
		if (*state == VSS_SLOT_FREE) {
			vss_refuse(rp->extack, "store metadata corrupt",
				   "log block %llu: break of free slot %u",
				   pos, slot);
			return -EUCLEAN;
		}
		err = rp->ops->snapshot_break(rp->arg, slot);
		break;
	default:
		vss_refuse(rp->extack, "store metadata corrupt",
			   "log block %llu: unknown record type %u", pos,
			   h->type);
		return -EUCLEAN;
	}
	return err ? vss_replay_engine_err(rp, err) : 0;
}

static int vss_replay_block(struct vss_replay *rp, struct vss_log_hdr *h)
{
	const u8 *p = (const u8 *)(h + 1);
	u16 count = le16_to_cpu(h->count), bytes = le16_to_cpu(h->bytes);
	u64 pos = le64_to_cpu(h->position);
	u16 off = 0, i;
	int err;

	rp->blk_seq = le64_to_cpu(h->commit_seq);
	/*
	 * Which records the checkpoint wrote: all of its blocks up to the
	 * one of commit log_end_seq; a later copy of that one (the live log
	 * appended to it: the previous position is older than log_end_seq)
	 * starts with log_end_count of them.
	 */
	if (!rp->st->sb_end_seq || rp->blk_seq <= rp->st->sb_end_seq)
		rp->cp_left = rp->st->sb_end_seq ? U16_MAX : 0;
	else if (le64_to_cpu(h->prev_seq) >= rp->st->sb_end_seq)
		rp->cp_left = 0;
	else if (rp->st->sb_end_count ||
		 rp->st->sb_end_seq == rp->st->sb_log_seq)
		rp->cp_left = rp->st->sb_end_count;
	else
		rp->cp_left = -1;
	for (i = 0; i < count; i++) {
		u16 size;

		if (off + sizeof(struct vss_rec_hdr) > bytes)
			goto bad;
		size = vss_rec_size(p[off]);
		if (!size || off + size > bytes)
			goto bad;
		err = vss_replay_rec(rp, p + off, pos);
		if (err)
			return err;
		if (rp->cp_left > 0 && rp->cp_left != U16_MAX)
			rp->cp_left--;
		off += size;
	}
	if (off != bytes)
		goto bad;
	return 0;
bad:
	vss_refuse(rp->extack, "store metadata corrupt",
		   "log block %llu: record layout", pos);
	return -EUCLEAN;
}

/*
 * Is @h a committed block of position @pos of this log (unit @nonce)?
 * 1 yes, 0 no (never written, torn, stale, another store's), -EUCLEAN: a
 * well-formed block of this very unit (its random nonce) that contradicts
 * where it is: only this unit's writer knew the nonce, and it wrote every
 * block of the unit for this store, epoch and position, with a commit
 * sequence above the previous position's, so the header lies.
 */
static int vss_log_block_ok(struct vss_store *st, const struct vss_log *log,
			    struct vss_log_hdr *h, u64 pos, u64 nonce)
{
	if (le32_to_cpu(h->magic) != VSS_LOG_MAGIC ||
	    vss_block_crc(h, &h->crc) != le32_to_cpu(h->crc) ||
	    le64_to_cpu(h->nonce) != nonce)
		return 0;
	if (memcmp(h->uuid, &st->uuid, 16) ||
	    le64_to_cpu(h->epoch) != log->epoch ||
	    le64_to_cpu(h->position) != pos ||
	    le64_to_cpu(h->commit_seq) <= log->seq ||
	    le16_to_cpu(h->bytes) > VSS_LOG_PAYLOAD || h->pad)
		return -EUCLEAN;
	return 1;
}

/*
 * Two valid copies of one position: the block was rewritten in place of
 * the older copy with records appended (vss_log_seal() alternates the
 * slots), so the older copy's records are the start of the newer one's
 * and the rest of the header is the same.  A commit sequence that lies
 * would otherwise make replay take the older copy and silently drop the
 * records only the newer one holds.
 */
static bool vss_log_copies_agree(const struct vss_log_hdr *hi,
				 const struct vss_log_hdr *lo)
{
	u16 bytes = le16_to_cpu(lo->bytes);

	return le16_to_cpu(lo->count) <= le16_to_cpu(hi->count) &&
	       bytes <= le16_to_cpu(hi->bytes) &&
	       lo->prev_seq == hi->prev_seq &&
	       !memcmp(lo->next, hi->next, sizeof(lo->next)) &&
	       lo->next_nonce == hi->next_nonce &&
	       !memcmp(lo + 1, hi + 1, bytes);
}

/* Read both slots of @pos in @unit; return the newest valid one or -1. */
static int vss_log_read_pos(struct vss_store *st, const struct vss_log *log,
			    const u64 *unit, u64 nonce, u64 pos,
			    struct page **pg)
{
	struct vss_log_hdr *h[2] = { page_address(pg[0]), page_address(pg[1]) };
	int s, best = -1, err, ok[2];

	for (s = 0; s < 2; s++) {
		err = vss_store_io(st, vss_log_block_byte(st, unit, pos, s),
				   pg[s], REQ_OP_READ | REQ_META);
		if (err)
			return err;
		ok[s] = vss_log_block_ok(st, log, h[s], pos, nonce);
		if (ok[s] < 0)
			return ok[s];
		if (!ok[s])
			continue;
		if (best < 0 || le64_to_cpu(h[s]->commit_seq) >
				le64_to_cpu(h[best]->commit_seq))
			best = s;
		else if (h[s]->commit_seq == h[best]->commit_seq)
			return -EUCLEAN;
	}
	if (ok[0] && ok[1] && !vss_log_copies_agree(h[best], h[1 - best]))
		return -EUCLEAN;
	return best < 0 ? 2 : best;
}

/* Validate the chunks of a log unit named by the superblock or a block. */
static int vss_check_unit(struct vss_store *st, const u64 *unit)
{
	u32 i, j;

	for (i = 0; i < VSS_UNIT_CHUNKS_MAX; i++) {
		if (i >= st->unit_chunks) {
			if (unit[i] != VSS_NO_CHUNK)
				return -EUCLEAN;
			continue;
		}
		if (unit[i] < st->reserved || unit[i] >= st->nr_chunks ||
		    vss_chunk_is_log(st, unit[i]))
			return -EUCLEAN;
		for (j = 0; j < i; j++)
			if (unit[j] == unit[i])
				return -EUCLEAN;
	}
	return 0;
}

static int vss_adopt_unit(struct vss_store *st, u64 epoch, const u64 *unit)
{
	u32 i;
	int err;

	for (i = 0; i < st->unit_chunks; i++) {
		err = xa_err(xa_store(&st->logx, unit[i],
				      xa_mk_value(epoch & (LONG_MAX >> 1)),
				      GFP_KERNEL));
		if (err)
			return err;
		err = vss_mark_used(st, unit[i], GFP_KERNEL);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Walk the log from the head named by the superblock, deliver its records,
 * and leave st->log positioned to continue at the last committed block.
 * The walk ends at the first position without a valid block; if the
 * position after it holds one, a committed block was damaged: refuse.
 * A position whose newest copy was lost while a later position exists is
 * caught by the later block's @prev_seq.
 */
static int vss_replay(struct vss_replay *rp, struct page **pg)
{
	struct vss_store *st = rp->st;
	struct vss_log *log = &st->log;
	u64 pos = 0, prev_seq = 0;
	int best, err;

	for (;;) {
		bool new_unit = pos && pos % st->pos_per_unit == 0;
		const u64 *unit = new_unit ? log->next : log->unit;
		u64 nonce = new_unit ? log->next_nonce : log->unit_nonce;
		struct vss_log_hdr *h;
		u64 next[VSS_UNIT_CHUNKS_MAX];
		int i;

		best = vss_log_read_pos(st, log, unit, nonce, pos, pg);
		if (best < 0)
			goto io_or_corrupt;
		if (best == 2) {
			/*
			 * The tail, unless something valid follows.  A unit
			 * has two positions or more: when pos + 1 is in the
			 * next unit, an earlier block of this one named it.
			 */
			if ((pos + 1) % st->pos_per_unit == 0) {
				if (new_unit || !log->has_next)
					break;
				unit = log->next;
				nonce = log->next_nonce;
			}
			best = vss_log_read_pos(st, log, unit, nonce, pos + 1,
						pg);
			if (best == 2)
				break;
			if (best >= 0)
				best = -EUCLEAN;
			goto io_or_corrupt;
		}
		h = page_address(pg[best]);
		if (le64_to_cpu(h->prev_seq) != prev_seq) {
			best = -EUCLEAN;
			goto io_or_corrupt;
		}
		if (new_unit) {
			memcpy(log->unit, log->next, sizeof(log->unit));
			log->unit_nonce = log->next_nonce;
			log->has_next = false;
		}

		for (i = 0; i < VSS_UNIT_CHUNKS_MAX; i++)
			next[i] = le64_to_cpu(h->next[i]);
		if (log->has_next) {
			if (memcmp(next, log->next, sizeof(next)) ||
			    le64_to_cpu(h->next_nonce) != log->next_nonce) {
				best = -EUCLEAN;
				goto io_or_corrupt;
			}
		} else {
			if (vss_check_unit(st, next)) {
				best = -EUCLEAN;
				goto io_or_corrupt;
			}
			for (i = 0; i < st->unit_chunks; i++) {
				if (!vss_replay_chunk_live(rp, next[i]))
					continue;
				vss_refuse(rp->extack, "store metadata corrupt",
					   "log block %llu: next log unit is snapshot data (chunk %llu)",
					   pos, next[i]);
				return -EUCLEAN;
			}
			err = vss_adopt_unit(st, log->epoch, next);
			if (err)
				return err;
			memcpy(log->next, next, sizeof(next));
			log->next_nonce = le64_to_cpu(h->next_nonce);
			log->has_next = true;
		}
		err = vss_replay_block(rp, h);
		if (err)
			return err;

		/* This block is the open one unless a later one exists. */
		log->seq = le64_to_cpu(h->commit_seq);
		log->prev_seq = prev_seq;
		log->pos = pos;
		log->best = best;
		log->count = le16_to_cpu(h->count);
		log->bytes = le16_to_cpu(h->bytes);
		log->dcount = log->count;
		log->dbytes = log->bytes;
		log->blocks++;
		vss_log_crc_reset(log);
		memcpy(page_address(log->page), h, VSS_MD_BLOCK);
		/* the crc of our next write assumes a zero tail */
		memset(page_address(log->page) + sizeof(*h) + log->bytes, 0,
		       VSS_LOG_PAYLOAD - log->bytes);
		prev_seq = log->seq;
		pos++;
	}
	return 0;

io_or_corrupt:
	if (best == -EUCLEAN)
		vss_refuse(rp->extack, "store metadata corrupt",
			   "log block %llu: damaged or inconsistent", pos);
	else
		vss_refuse(rp->extack, "store read error", "log block %llu: %d",
			   pos, best);
	return best;
}

/* ------------------------------------------------------------ checkpoint */

/**
 * vss_store_needs_checkpoint - is the log much larger than the live state?
 * @st: the store
 *
 * Context: any context.
 * Return: true when a checkpoint would shrink the log substantially.
 */
bool vss_store_needs_checkpoint(struct vss_store *st)
{
	u64 log_blocks = READ_ONCE(st->log.blocks);
	u64 data = atomic64_read(&st->used), live_blocks;

	/* Live records ~ data chunks (one exception each) + snapshots. */
	data += VSS_MAX_SNAPSHOTS / 8;
	live_blocks = div_u64(data * sizeof(struct vss_rec_exception),
			      VSS_LOG_PAYLOAD) + 1;
	return log_blocks > 32 && log_blocks > 2 * live_blocks + 16;
}

static int vss_cp_add(struct vss_store *st, const struct vss_store_rec *r)
{
	/* Blocks of the new log need no flush: the superblock write has it. */
	return vss_log_add(st, st->cp, r, 0);
}

/**
 * vss_store_cp_snapshot - emit a live snapshot into a checkpoint
 * @st: the store
 * @s: the snapshot
 * @invalid: the snapshot is invalid
 *
 * Context: only from the enumerate callback of vss_store_checkpoint().
 * Return: 0, -EINVAL (bad slot, emitted twice, not in a checkpoint),
 * -ENOSPC, -EIO.
 */
int vss_store_cp_snapshot(struct vss_store *st, const struct vss_store_snap *s,
			  bool invalid)
{
	struct vss_store_rec r = { .type = VSS_REC_CREATE, .slot = s->slot,
				   .snap = s };
	int err;

	lockdep_assert_held(&st->cp_lock);
	if (!st->cp || s->slot >= VSS_MAX_SNAPSHOTS || !s->seq ||
	    test_bit(s->slot, st->cp_snaps))
		return -EINVAL;
	err = vss_cp_add(st, &r);
	if (!err && invalid) {
		r.type = VSS_REC_INVALIDATE;
		err = vss_cp_add(st, &r);
	}
	if (!err) {
		__set_bit(s->slot, st->cp_snaps);
		if (invalid)
			__set_bit(s->slot, st->cp_invalid);
	}
	return err;
}

/**
 * vss_store_cp_exception - emit a live exception into a checkpoint
 * @st: the store
 * @slot: its snapshot (emitted before with vss_store_cp_snapshot(), or a
 *	snapshot whose create is not durable yet: then the record stays
 *	provisional as in the live log)
 * @lun_chunk: LUN chunk
 * @store_chunk: store chunk (allocated data chunk)
 *
 * Context: only from the enumerate callback of vss_store_checkpoint().
 * Return: 0, -EINVAL, -ENOSPC, -EIO.
 */
int vss_store_cp_exception(struct vss_store *st, u16 slot, u64 lun_chunk,
			   u64 store_chunk)
{
	struct vss_store_rec r = { .type = VSS_REC_EXCEPTION, .slot = slot,
				   .lun_chunk = lun_chunk,
				   .store_chunk = store_chunk };

	lockdep_assert_held(&st->cp_lock);
	if (!st->cp || vss_rec_check(st, &r))
		return -EINVAL;
	return vss_cp_add(st, &r);
}

/* Append the carried-over records of @list to the new log; frees @list. */
static int vss_cp_tail(struct vss_store *st, struct list_head *list, u64 *n)
{
	struct vss_store_rec r = { .type = VSS_REC_EXCEPTION };
	struct vss_tail *t;
	unsigned int i;
	int err = 0;

	list_for_each_entry(t, list, node) {
		for (i = 0; !err && i < t->n; i++) {
			r.slot = t->rec[i].slot;
			r.lun_chunk = t->rec[i].lun_chunk;
			r.store_chunk = t->rec[i].store_chunk;
			err = vss_cp_add(st, &r);
		}
		*n += t->n;
	}
	vss_tail_free(list);
	return err;
}

/*
 * Take the records the live log took so far.  Holding the log lock, no
 * log write is in flight: each of them is durable in the live log, or its
 * commit failed and @tail_bad is set.
 */
static int vss_cp_take_tail(struct vss_store *st, struct list_head *list)
{
	int err = 0;

	vss_log_lock(st);
	list_splice_tail_init(&st->tail, list);
	if (READ_ONCE(st->failed))
		err = -EIO;
	else if (st->tail_bad)
		err = -EAGAIN;
	vss_log_unlock(st);
	return err;
}

/* Carry-over rounds without the log lock before the final, locked one. */
#define VSS_CP_TAIL_ROUNDS	4

/**
 * vss_store_checkpoint - compact the log
 * @st: the store
 * @enumerate: engine callback emitting the live state with
 *	vss_store_cp_snapshot() and vss_store_cp_exception() (every snapshot
 *	before its exceptions)
 * @arg: argument of @enumerate
 *
 * Writes the live state as a new log into free chunks, switches the
 * superblock to it, then frees the old log.  On failure before the switch
 * the old log stays in use and nothing is lost.
 *
 * The live log keeps taking records meanwhile: exception records go on
 * being committed (and acknowledged) there, and the store keeps a copy of
 * each (the *tail*), which it appends to the new log once @enumerate is
 * done; the last of them under the log lock, right before the superblock
 * switch.  So the state @enumerate must emit is the one of the moment it
 * is called: every record queued before the call is durable and completed
 * by then, each exception committed before it exactly once, and none
 * whose record the live log took after it (those are in the tail).  See
 * "Checkpoint" in Documentation/store.rst.  A record other than an
 * exception in that window, or no memory for the tail, makes the
 * checkpoint give up (-EAGAIN).
 *
 * Everything here, @enumerate included, runs in a memalloc_noio scope.
 *
 * Context: process context, sleeps; not from a completion of this store.
 * Return: 0, or the error of @enumerate, -EAGAIN, -ENOSPC, -ENOMEM, -EIO.
 */
int vss_store_checkpoint(struct vss_store *st,
			 int (*enumerate)(void *arg, struct vss_store *st),
			 void *arg)
{
	unsigned int noio = memalloc_noio_save();
	struct vss_log *old = &st->log, *cp;
	struct page *sbp;
	LIST_HEAD(batch);
	LIST_HEAD(tail);
	u64 log_seq, carried = 0, n;
	int err, i, round;

	cp = kzalloc(sizeof(*cp), GFP_NOIO);
	sbp = alloc_page(GFP_NOIO);
	if (!cp || !sbp || vss_log_init(cp, GFP_NOIO)) {
		err = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&st->cp_lock);
	vss_log_lock(st);
	if (vss_take_pending(st, &batch))
		vss_commit_batch(st, &batch);
	err = -EIO;
	if (READ_ONCE(st->failed))
		goto out_unlock;

	cp->epoch = old->epoch + 1;
	cp->seq = old->seq;
	log_seq = cp->seq;
	err = vss_alloc_unit(st, cp->epoch, cp->unit, GFP_NOIO);
	if (err)
		goto out_unlock;
	cp->unit_nonce = get_random_u64();
	memcpy(cp->head, cp->unit, sizeof(cp->head));
	cp->head_nonce = cp->unit_nonce;
	st->cp = cp;
	bitmap_zero(st->cp_snaps, VSS_MAX_SNAPSHOTS);
	bitmap_zero(st->cp_invalid, VSS_MAX_SNAPSHOTS);
	st->cp_rs_runs = 0;
	st->cp_rs_chunks = 0;
	st->cp_version = st->version;
	/* from here on, what the live log takes is carried over */
	st->tail_on = true;
	st->tail_bad = false;
	vss_log_unlock(st);
	vss_complete(st, &batch);

	err = enumerate(arg, st);
	/* most of the carry-over without the log lock: commits go on */
	for (round = 0; !err && round < VSS_CP_TAIL_ROUNDS; round++) {
		n = 0;
		err = vss_cp_take_tail(st, &tail);
		if (!err)
			err = vss_cp_tail(st, &tail, &n);
		vss_tail_free(&tail);
		carried += n;
		if (n < VSS_TAIL_RECS)
			break;
	}
	vss_log_lock(st);
	if (err)
		goto out_drop_new;
	/* the rest with it: nothing reaches the live log until the switch */
	list_splice_tail_init(&st->tail, &tail);
	if (READ_ONCE(st->failed))
		err = -EIO;
	else if (st->tail_bad)
		err = -EAGAIN;
	n = 0;
	if (!err)
		err = vss_cp_tail(st, &tail, &n);
	vss_tail_free(&tail);
	st->tail_on = false;
	if (!err && cp->count)
		err = vss_log_write(st, cp, 0);
	if (err)
		goto out_drop_new;

	st->sb_seq++;
	/* the version never goes down (an older module keeps refusing) */
	st->version = st->cp_version;
	/* every block of the new log is written: replay must reach them */
	st->sb_end_seq = cp->seq;
	/* no create runs meanwhile: the new log's are all up to this one */
	st->sb_cp_snap_seq = st->last_seq;
	st->sb_end_count = cp->count;
	err = vss_sb_switch(st, 1 - st->sb_slot, sbp, cp, log_seq);
	if (err) {
		/* The superblock may or may not be durable: stop writing. */
		WRITE_ONCE(st->failed, true);
		pr_err("superblock write failed (%d): store is read-only from now on\n",
		       err);
		goto out_drop_new;
	}
	st->sb_slot = 1 - st->sb_slot;
	st->sb_log_seq = log_seq;
	/*
	 * Zero the first position of the old log before its chunks go back
	 * to the allocator: a stale copy of the old superblock written back
	 * later (a lost or misdirected write) then finds no log to replay,
	 * or a gap before its second position, which refuses it, instead of
	 * a log whose chunks were reused since.  sbp is zero here.
	 */
	for (i = 0; i < 2; i++) {
		err = vss_store_io(st, vss_log_block_byte(st, old->head, 0, i),
				   sbp, REQ_OP_WRITE | REQ_SYNC | REQ_META);
		if (err)
			pr_warn("store %pU: could not clear the old log's head (%d)\n",
				&st->uuid, err);
	}
	/*
	 * The slot table is now what the new log says (the tail holds only
	 * exceptions: it changes no slot).
	 */
	st->nr_live = 0;
	for (i = 0; i < VSS_MAX_SNAPSHOTS; i++) {
		st->slot_state[i] = !test_bit(i, st->cp_snaps) ? VSS_SLOT_FREE :
				    test_bit(i, st->cp_invalid) ?
				    VSS_SLOT_INVALID : VSS_SLOT_LIVE;
		if (st->slot_state[i] != VSS_SLOT_FREE)
			st->nr_live++;
	}
	vss_free_log_chunks(st, old->epoch);
	vss_log_destroy(old);
	*old = *cp;
	cp->page = NULL;
	pr_info("checkpoint: log of epoch %llu has %llu blocks, %llu records carried over (%llu at the switch)\n",
		old->epoch, old->blocks, carried + n, n);
	st->cp = NULL;
	vss_log_unlock(st);
	mutex_unlock(&st->cp_lock);
	kfree(cp);
	__free_page(sbp);
	memalloc_noio_restore(noio);
	return 0;

out_drop_new:
	st->tail_on = false;
	vss_tail_free(&st->tail);
	st->cp = NULL;
	vss_free_log_chunks(st, cp->epoch);
out_unlock:
	vss_log_unlock(st);
	mutex_unlock(&st->cp_lock);
	vss_complete(st, &batch);
out_free:
	if (cp)
		vss_log_destroy(cp);
	kfree(cp);
	if (sbp)
		__free_page(sbp);
	memalloc_noio_restore(noio);
	return err;
}

/* ---------------------------------------------------------- open/close */

/**
 * vss_store_chunk_size - chunk size of the store
 * @st: the store
 *
 * Context: any context.
 * Return: bytes.
 */
u32 vss_store_chunk_size(struct vss_store *st)
{
	return st->chunk_size;
}

/**
 * vss_store_nr_chunks - size of the store
 * @st: the store
 *
 * Context: any context.
 * Return: chunks, metadata included.
 */
u64 vss_store_nr_chunks(struct vss_store *st)
{
	return st->nr_chunks;
}

/**
 * vss_store_used_chunks - chunks in use
 * @st: the store
 *
 * Context: any context.
 * Return: chunks allocated (superblock area, log and data).
 */
u64 vss_store_used_chunks(struct vss_store *st)
{
	return atomic64_read(&st->used);
}

/**
 * vss_store_mem_bytes - memory of the allocation state
 * @st: the store
 *
 * The region pages and their headers: it follows the chunks in use, not
 * the store size (the xarray's nodes add about 1/500 of it).
 *
 * Context: process context.
 * Return: bytes.
 */
u64 vss_store_mem_bytes(struct vss_store *st)
{
	unsigned long n;

	xa_lock(&st->regions);
	n = st->nr_open;
	xa_unlock(&st->regions);
	return (u64)n * (PAGE_SIZE + sizeof(struct vss_region));
}

/**
 * vss_store_chunk_sector - where a chunk starts
 * @st: the store
 * @store_chunk: chunk number
 *
 * Context: any context.
 * Return: first sector of @store_chunk on the store device.
 */
sector_t vss_store_chunk_sector(struct vss_store *st, u64 store_chunk)
{
	return store_chunk << (st->chunk_shift - SECTOR_SHIFT);
}

/**
 * vss_store_last_seq - highest snapshot sequence number ever created
 * @st: the store
 *
 * Context: process context.
 * Return: the sequence number (0 if no snapshot was ever created).
 */
u32 vss_store_last_seq(struct vss_store *st)
{
	u32 seq;

	vss_log_lock(st);
	seq = st->last_seq;
	vss_log_unlock(st);
	return seq;
}

static void vss_store_geometry(struct vss_store *st, u32 chunk_size)
{
	st->chunk_size = chunk_size;
	st->chunk_shift = ilog2(chunk_size);
	st->reserved = DIV_ROUND_UP(VSS_SB_AREA, chunk_size);
	st->unit_chunks = max_t(u32, 1, VSS_LOG_UNIT_MIN / chunk_size);
	st->blocks_per_chunk = chunk_size / VSS_MD_BLOCK;
	st->pos_per_unit = st->unit_chunks * st->blocks_per_chunk / 2;
}

static u64 vss_store_min_chunks(struct vss_store *st)
{
	return st->reserved + (1 + VSS_LOG_RESERVE_UNITS) * st->unit_chunks +
	       VSS_STORE_MIN_DATA;
}

/* Allocation state of an empty store: only the superblock area is used. */
static int vss_store_init_alloc(struct vss_store *st)
{
	u64 i;
	int err;

	st->last_region = (st->nr_chunks - 1) >> VSS_REGION_SHIFT;
	for (i = 0; i < st->reserved; i++) {
		err = vss_mark_used(st, i, GFP_KERNEL);
		if (err)
			return err;
	}
	st->cursor = st->reserved;
	return 0;
}

/* Initialise a new, empty store. */
static int vss_store_format(struct vss_store *st,
			    const struct vss_store_params *p, struct page *pg,
			    struct netlink_ext_ack *extack)
{
	u32 cs = p->chunk_size ? p->chunk_size : VSS_CHUNK_DEFAULT;
	u64 dev = bdev_nr_bytes(p->bdev);
	int err;

	vss_store_geometry(st, cs);
	st->nr_chunks = dev >> st->chunk_shift;
	if (st->nr_chunks < vss_store_min_chunks(st)) {
		vss_refuse(extack, "store device too small",
			   "%llu bytes, need at least %llu with %u-byte chunks",
			   dev, vss_store_min_chunks(st) << st->chunk_shift, cs);
		return -ENOSPC;
	}
	uuid_gen(&st->uuid);
	st->created_ns = ktime_get_real_ns();
	err = vss_store_init_alloc(st);
	if (err)
		return err;
	st->log.epoch = 1;
	err = vss_alloc_unit(st, 1, st->log.unit, GFP_KERNEL);
	if (err)
		return err;
	st->log.unit_nonce = get_random_u64();
	memcpy(st->log.head, st->log.unit, sizeof(st->log.head));
	st->log.head_nonce = st->log.unit_nonce;
	st->sb_seq = 1;
	/* raised when a record of a newer kind is first written */
	st->version = VSS_SB_VERSION_BASE;
	st->sb_log_seq = 0;
	st->sb_end_seq = 0;
	st->sb_cp_snap_seq = 0;
	st->sb_end_count = 0;
	/*
	 * Invalidate slot 1 first: an older store there must not outlive an
	 * interrupted format (no magic at all then means "no store").
	 */
	memset(page_address(pg), 0, VSS_MD_BLOCK);
	err = vss_store_io(st, VSS_MD_BLOCK, pg, REQ_OP_WRITE | REQ_SYNC |
			   REQ_META | REQ_FUA);
	if (!err)
		err = vss_sb_switch(st, 0, pg, &st->log, 0);
	if (err) {
		vss_refuse(extack, "store write error", "superblock: %d", err);
		return err;
	}
	st->sb_slot = 0;
	pr_info("new store %pU on %pg: %llu chunks of %u bytes\n", &st->uuid,
		p->bdev, st->nr_chunks, cs);
	return 0;
}

/* Load and check the superblock; 1 = no store there, format it. */
static int vss_store_load_sb(struct vss_store *st,
			     const struct vss_store_params *p,
			     struct page **pg, struct netlink_ext_ack *extack)
{
	enum vss_sb_class cls[2];
	struct vss_sb_disk *sb;
	u64 dev = bdev_nr_bytes(p->bdev);
	u64 head[VSS_UNIT_CHUNKS_MAX];
	int s, best = -1, err;
	u32 cs;

	for (s = 0; s < 2; s++) {
		err = vss_store_io(st, (u64)s * VSS_MD_BLOCK, pg[s],
				   REQ_OP_READ | REQ_META);
		if (err) {
			vss_refuse(extack, "store read error", "superblock: %d",
				   err);
			return err;
		}
		sb = page_address(pg[s]);
		cls[s] = vss_sb_classify(sb);
		if (cls[s] == VSS_SB_NEWER) {
			vss_refuse(extack, "store format is newer than this module",
				   "version %u, supported %u",
				   le32_to_cpu(sb->version), VSS_SB_VERSION);
			return -EPROTONOSUPPORT;
		}
		if (cls[s] == VSS_SB_VALID &&
		    (best < 0 || le64_to_cpu(sb->sb_seq) >
		     le64_to_cpu(((struct vss_sb_disk *)page_address(pg[best]))->sb_seq)))
			best = s;
	}
	if (cls[0] == VSS_SB_EMPTY && cls[1] == VSS_SB_EMPTY)
		return 1;
	if (best < 0) {
		vss_refuse(extack, "store superblock corrupt",
			   "bad checksum in every copy on %pg", p->bdev);
		return -EUCLEAN;
	}
	sb = page_address(pg[best]);

	cs = le32_to_cpu(sb->chunk_size);
	if (!is_power_of_2(cs) || cs < VSS_CHUNK_MIN || cs > VSS_CHUNK_MAX ||
	    sb->flags) {
		vss_refuse(extack, "store superblock corrupt",
			   "chunk size %u, flags %#x", cs,
			   le32_to_cpu(sb->flags));
		return -EUCLEAN;
	}
	vss_store_geometry(st, cs);
	st->nr_chunks = le64_to_cpu(sb->nr_chunks);
	if (st->nr_chunks < vss_store_min_chunks(st) ||
	    st->nr_chunks > (dev >> st->chunk_shift) ||
	    le32_to_cpu(sb->unit_chunks) != st->unit_chunks) {
		vss_refuse(extack, "store superblock does not match the device",
			   "%llu chunks of %u bytes on a %llu-byte device",
			   st->nr_chunks, cs, dev);
		return -EUCLEAN;
	}
	if (p->chunk_size && p->chunk_size != cs) {
		vss_refuse(extack, "store has another chunk size",
			   "store uses %u bytes, %u requested", cs,
			   p->chunk_size);
		return -EINVAL;
	}
	if (strnlen(sb->lun_name, VSS_LUN_NAME_LEN) == VSS_LUN_NAME_LEN) {
		vss_refuse(extack, "store superblock corrupt",
			   "LUN name not terminated");
		return -EUCLEAN;
	}
	if (strcmp(sb->lun_name, p->lun_name)) {
		vss_refuse(extack, "store belongs to another LUN",
			   "store of LUN '%s', not '%s'", sb->lun_name,
			   p->lun_name);
		return -EXDEV;
	}
	if (le64_to_cpu(sb->lun_size) != p->lun_size) {
		vss_refuse(extack, "store belongs to a LUN of another size",
			   "%llu bytes recorded, LUN has %llu",
			   le64_to_cpu(sb->lun_size), p->lun_size);
		return -EXDEV;
	}
	memcpy(&st->uuid, sb->uuid, 16);
	st->created_ns = le64_to_cpu(sb->created_ns);
	st->sb_seq = le64_to_cpu(sb->sb_seq);
	st->sb_slot = best;
	st->version = le32_to_cpu(sb->version);
	st->sb_log_seq = le64_to_cpu(sb->log_seq);
	st->sb_end_seq = le64_to_cpu(sb->log_end_seq);
	st->sb_cp_snap_seq = le32_to_cpu(sb->cp_snap_seq);
	st->sb_end_count = le16_to_cpu(sb->log_end_count);
	st->last_seq = le32_to_cpu(sb->last_snap_seq);
	st->log.epoch = le64_to_cpu(sb->log_epoch);
	st->log.seq = le64_to_cpu(sb->log_seq);
	st->log.unit_nonce = le64_to_cpu(sb->log_head_nonce);
	for (s = 0; s < VSS_UNIT_CHUNKS_MAX; s++)
		head[s] = le64_to_cpu(sb->log_head[s]);

	/*
	 * The fields against each other: the first log (epoch 1) has no
	 * checkpoint behind it; a checkpoint's log ends after it starts and
	 * its snapshots are numbered up to the highest ever created.
	 */
	if (st->sb_cp_snap_seq > st->last_seq ||
	    (st->sb_end_seq && st->sb_end_seq < st->sb_log_seq) ||
	    (st->log.epoch == 1 && (st->sb_log_seq || st->sb_end_seq ||
				    st->sb_cp_snap_seq || st->sb_end_count)) ||
	    (st->sb_end_count && st->sb_end_seq == st->sb_log_seq) ||
	    memchr_inv(sb->pad, 0, sizeof(sb->pad))) {
		vss_refuse(extack, "store superblock corrupt",
			   "fields disagree: epoch %llu, log %llu..%llu, s%u/s%u",
			   st->log.epoch, st->sb_log_seq, st->sb_end_seq,
			   st->sb_cp_snap_seq, st->last_seq);
		return -EUCLEAN;
	}
	err = vss_store_init_alloc(st);
	if (err)
		return err;
	if (!st->log.epoch || vss_check_unit(st, head)) {
		vss_refuse(extack, "store superblock corrupt",
			   "log head %llu", head[0]);
		return -EUCLEAN;
	}
	memcpy(st->log.unit, head, sizeof(head));
	memcpy(st->log.head, head, sizeof(head));
	st->log.head_nonce = st->log.unit_nonce;
	return vss_adopt_unit(st, st->log.epoch, head);
}

static void vss_store_destroy(struct vss_store *st)
{
	struct vss_region *reg;
	unsigned long idx;

	/* the commit worker may queue on end_wq, not the other way round */
	if (st->wq)
		destroy_workqueue(st->wq);
	if (st->end_wq)
		destroy_workqueue(st->end_wq);
	xa_for_each(&st->regions, idx, reg)
		vss_region_free(reg);
	xa_destroy(&st->regions);
	xa_destroy(&st->logx);
	vss_log_destroy(&st->log);
	vss_work_free(st->rsx_work);
	kfree(st);
}

/**
 * vss_store_open - open (or create) the store of a LUN and replay it
 * @p: store device and LUN identity
 * @ops: engine callbacks for the replayed records
 * @arg: their argument
 * @extack: reason of a refusal
 *
 * A device without a vss superblock, or @p->format, gets a new empty
 * store.  Otherwise the superblock is checked (checksum, version, LUN name
 * and size, geometry), and the log is replayed: every block is validated
 * and the walk stops at the first block never committed.  Any
 * inconsistency refuses the store; nothing on the device is changed then.
 *
 * Context: process context, sleeps.
 * Return: the store or an ERR_PTR: -EUCLEAN (corrupt), -EXDEV (store of
 * another LUN), -EPROTONOSUPPORT (newer format), -ENOSPC (too small),
 * -EINVAL, -ENOMEM, -EIO, or the error of a replay callback.
 */
struct vss_store *vss_store_open(const struct vss_store_params *p,
				 const struct vss_store_replay_ops *ops,
				 void *arg, struct netlink_ext_ack *extack)
{
	struct vss_replay *rp = NULL;
	struct page *pg[2] = { NULL, NULL };
	struct vss_store *st;
	int err;

	if (strlen(p->lun_name) >= VSS_LUN_NAME_LEN) {
		NL_SET_ERR_MSG(extack, "LUN name too long for the store");
		return ERR_PTR(-EINVAL);
	}
	if (p->chunk_size && (!is_power_of_2(p->chunk_size) ||
			      p->chunk_size < VSS_CHUNK_MIN ||
			      p->chunk_size > VSS_CHUNK_MAX)) {
		NL_SET_ERR_MSG(extack, "chunk size must be a power of two in [4 KiB, 1 MiB]");
		return ERR_PTR(-EINVAL);
	}
	if (bdev_logical_block_size(p->bdev) > VSS_MD_BLOCK) {
		vss_refuse(extack, "store device block size unsupported",
			   "%u bytes", bdev_logical_block_size(p->bdev));
		return ERR_PTR(-EINVAL);
	}

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return ERR_PTR(-ENOMEM);
	st->bdev = p->bdev;
	st->lun_size = p->lun_size;
	strscpy(st->lun_name, p->lun_name, sizeof(st->lun_name));
	xa_init_flags(&st->regions, XA_FLAGS_ALLOC);
	INIT_WORK(&st->region_work, vss_region_work);
	spin_lock_init(&st->pending_lock);
	INIT_LIST_HEAD(&st->pending);
	mutex_init(&st->commit_lock);
	mutex_init(&st->cp_lock);
	INIT_LIST_HEAD(&st->tail);
	INIT_LIST_HEAD(&st->inflight);
	xa_init(&st->logx);
	INIT_WORK(&st->commit_work, vss_store_commit_work);
	INIT_WORK(&st->end_work, vss_fast_commit_end_work);
	err = -ENOMEM;
	if (vss_log_init(&st->log, GFP_KERNEL))
		goto out_destroy;
	st->wq = alloc_workqueue("vss-store-%s", WQ_MEM_RECLAIM, 1,
				 p->lun_name);
	if (!st->wq)
		goto out_destroy;
	st->end_wq = alloc_workqueue("vss-store-end-%s",
				     WQ_MEM_RECLAIM | WQ_HIGHPRI, 0,
				     p->lun_name);
	if (!st->end_wq)
		goto out_destroy;
	pg[0] = alloc_page(GFP_KERNEL);
	pg[1] = alloc_page(GFP_KERNEL);
	if (!pg[0] || !pg[1])
		goto out_free_pages;

	err = p->format ? 1 : vss_store_load_sb(st, p, pg, extack);
	if (err == 1) {
		err = vss_store_format(st, p, pg[0], extack);
		if (err)
			goto out_free_pages;
		st->lun_chunks = DIV_ROUND_UP_ULL(p->lun_size, st->chunk_size);
		goto out_ready;
	}
	if (err)
		goto out_free_pages;
	st->lun_chunks = DIV_ROUND_UP_ULL(p->lun_size, st->chunk_size);

	rp = kzalloc(sizeof(*rp), GFP_KERNEL);
	if (!rp)
		goto out_free_pages;
	rp->st = st;
	rp->ops = ops;
	rp->arg = arg;
	rp->extack = extack;
	rp->sb_last_seq = st->last_seq;
	xa_init(&rp->named);
	if (ops->attach)
		ops->attach(arg, st);
	err = vss_replay(rp, pg);
	/*
	 * The blocks a checkpoint wrote were durable before its superblock:
	 * a log that ends before the last of them lost committed records
	 * (its snapshots would read through to the LUN), not a torn write.
	 */
	if (!err && st->log.seq < st->sb_end_seq) {
		vss_refuse(extack, "store metadata corrupt",
			   "log ends at commit %llu, before commit %llu of its checkpoint",
			   st->log.seq, st->sb_end_seq);
		err = -EUCLEAN;
	}
	/* a work set whose START never became durable: not in force */
	vss_work_free(rp->staged);
	/* Provisional exceptions of snapshots never created: drop them. */
	while (!err && rp->nr_orphans)
		vss_replay_claim(rp, rp->orphans[0].slot, false);
	if (err)
		goto out_free_replay;
	memcpy(st->slot_state, rp->slot, sizeof(st->slot_state));
	for (err = 0; err < VSS_MAX_SNAPSHOTS; err++)
		if (st->slot_state[err] != VSS_SLOT_FREE)
			st->nr_live++;
	err = 0;
	pr_info("store %pU on %pg: %llu records replayed, %u snapshots, %llu/%llu chunks used, log %llu blocks\n",
		&st->uuid, p->bdev, rp->records, st->nr_live,
		vss_store_used_chunks(st), st->nr_chunks, st->log.blocks);
	xa_destroy(&rp->named);
	kvfree(rp->orphans);
	kfree(rp);
out_ready:
	__free_page(pg[0]);
	__free_page(pg[1]);
	return st;

out_free_replay:
	xa_destroy(&rp->named);
	kvfree(rp->orphans);
	kfree(rp);
out_free_pages:
	if (pg[0])
		__free_page(pg[0]);
	if (pg[1])
		__free_page(pg[1]);
out_destroy:
	vss_store_destroy(st);
	return ERR_PTR(err);
}

/**
 * vss_store_close - commit what is queued and release the store
 * @st: the store (the engine has no exception in flight any more)
 *
 * Context: process context, sleeps.
 */
void vss_store_close(struct vss_store *st)
{
	flush_work(&st->commit_work);
	/* the log lock also waits for a fast-path write in flight */
	while (vss_store_flush_once(st))
		;
	flush_work(&st->commit_work);
	vss_store_destroy(st);
}
