// SPDX-License-Identifier: GPL-2.0
/*
 * vss copy-on-write.
 *
 * A write to chunk c needs a copy iff the newest snapshot Sn has no entry
 * for c: older snapshots read through newer ones, so the old data is copied
 * once, into Sn's area, whatever the number of snapshots.  The steps of one
 * copy ("cow"), each in its own context:
 *
 *  1. vss_cow_write() (submit path) finds c unpreserved and no copy in
 *     flight: it hashes a new cow into &vss_lun.pending and starts it at
 *     once, in the submitter's context (no workqueue hop).  The
 *     write waits on the first pending cow among its chunks; when that one
 *     ends the write is evaluated again, so a write spanning several chunks
 *     starts every copy it needs and is submitted whole, unsplit, once all
 *     of them are durable.  Other writes to c find the pending cow and wait
 *     too, so the origin chunk cannot change while it is being copied.
 *  2. vss_cow_start() (submit path; cow_wq for retries) allocates a store
 *     chunk and reserves the map slots (so that publishing the entry later
 *     cannot fail), then reads the origin chunk into a buffer with a bio
 *     of its own.  A full store parks the cow and kicks the reclaim work
 *     (snapshot.c).
 *  3. vss_cow_read_endio() writes the buffer to the store chunk,
 *     vss_cow_write_endio() hands the record to the store's group commit,
 *     which flushes the copied data before the record is durable.
 *  4. vss_cow_finish() runs in the store's completion (the store's worker
 *     or our own submission): it publishes the entry in Sn's map and
 *     re-evaluates the waiting writes, which now go to the origin, once the
 *     snapshot reads of that chunk that may have chosen the origin before
 *     the entry existed have ended.  It never sleeps there: a wait for
 *     such reads goes to cow_wq, and so does a waiting write that needs
 *     another copy (&vss_lun.requeue).
 *
 * Each step runs in the completion of the previous one only when that
 * completion is provably ours: it runs inside the submit_bio() loop that
 * issued the bio (vss_cow_submit()), as on devices that complete in the
 * submitter's context.  Anywhere else - interrupts, or another driver's
 * thread (loop, nbd's receiver, dm-crypt, md) - the step goes to cow_wq:
 * submitting there may wait for a tag or memory that only that thread
 * would free.  Those steps are batched: the copies whose bios completed
 * meanwhile wait on one lockless list (&vss_lun.cow_steps) for one work
 * item, which runs them all under one plug, and the records it hands to
 * the store go out from there in one log write (the store's fast path,
 * vss_store_add_exception_own()) rather than through a wake-up of the
 * commit worker.  So on a device that completes asynchronously (NVMe,
 * SAN, virtio) many first writes in flight share the hops, the plug and
 * the log commit, as dm-snapshot's persistent store batches its commits.
 * The copy does not use dm-kcopyd on purpose: a kcopyd job
 * wakes its thread two or three times (pages, read, write, callback), and
 * at queue depth 1 those wake-ups were most of the cost of a first write.
 * On a device that completes in the submitter's context the whole chain -
 * read, store write, log write, origin write - runs inside the writer's
 * own submit_bio() call (the block layer queues the nested bios on
 * current->bio_list), with no thread woken.  The minimum for a crash-safe
 * copy remains: the copy durable before the record, the record before the
 * origin write.
 *
 * Inside submit_bio() (current->bio_list set), bios we submitted do not
 * start before we return: nothing there may wait for memory or I/O that
 * only our own bios would free.  So allocations there are GFP_NOWAIT with
 * a fallback to cow_wq, and a wait for snapshot reads is left to cow_wq.
 *
 * Bounded work.  At most &vss_lun.cow_max copies are in flight per LUN (16
 * MiB of buffers): a write that would start more waits for its first
 * pending copy, or, with none, on &vss_lun.throttled until a copy ends.  A
 * single large write (BLKZEROOUT of the whole LUN) thus costs bounded
 * memory.
 *
 * Failures.  Any failure (copy error, commit error, no memory) invalidates
 * every live snapshot (they all may read c through Sn).  The writes are
 * let through - the origin never fails because of a snapshot - but only
 * once the invalidation is durable: until the reclaim work has written the
 * invalidate records, writes that would have been preserved wait at the
 * gate (&vss_lun.gated, snapshot.c), as dm-snapshot writes its invalid
 * header before the origin write proceeds.  While a snapshot switch is
 * being made (vss_lun_hold()), no write is in flight, hence no cow either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-cow: " fmt

#include <linux/bio.h>
#include <linux/hash.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "lun.h"
#include "cow.h"
#include "snapshot.h"
#include "store.h"

/**
 * struct vss_cow - one chunk being preserved
 * @hnode: on &vss_lun.pending; under &vss_lun.map_lock
 * @waiters: writes waiting for this copy (&vss_io.node); under map_lock
 * @park: on &vss_lun.parked while waiting for space (map_lock), or on the
 *	submitter's list of cows to start (private)
 * @start_work: runs vss_cow_start() (retries)
 * @done_work: runs vss_cow_finish() after a copy error, or the rest of
 *	it when it cannot wait for snapshot reads where it runs
 * @step_node: on &vss_lun.cow_steps while @step waits for cow_wq
 * @step: the next step of the copy (store write, record) when the
 *	previous one completed in a context not ours
 * @lun: the LUN
 * @snap: the snapshot preserved for (a reference is held)
 * @chunk: LUN chunk
 * @store_chunk: where the old data goes, valid once @active
 * @active: holds @store_chunk and counts in &vss_snapshot.cow_active
 * @recorded: the exception record was handed to the store
 * @published: vss_cow_finish() ended the cow in the maps (@waiters,
 *	@ticket and @failed are set)
 * @failed: the chunk could not be preserved
 * @err: outcome of the copy or of the commit
 * @ticket: snapshot reads older than this may have read the origin chunk
 * @buf: the chunk's old data, between the read and the store write
 * @owner: the task that submitted @bio from inside its submit_bio() loop
 * @owner_list: that loop's bio list; with @owner, it tells whether a
 *	completion runs in our own submission (vss_cow_in_own_context())
 * @bio: the read, then the store write
 * @bvec: @bio's vector (one multi-page segment)
 * @rec: the exception record, the store's while @recorded and not ended
 */
struct vss_cow {
	struct hlist_node hnode;
	struct list_head waiters;
	struct list_head park;
	struct work_struct start_work;
	struct work_struct done_work;
	struct llist_node step_node;
	void (*step)(struct vss_cow *cow, bool worker);
	struct vss_lun *lun;
	struct vss_snapshot *snap;
	u64 chunk;
	u64 store_chunk;
	bool active;
	bool recorded;
	bool published;
	bool failed;
	int err;
	u64 ticket;
	struct page *buf;
	struct task_struct *owner;
	struct bio_list *owner_list;
	struct bio bio;
	struct bio_vec bvec;
	struct vss_store_rec rec;
};

static void vss_cow_start_work(struct work_struct *work);
static void vss_cow_done_work(struct work_struct *work);
static void vss_cow_start(struct vss_cow *cow, bool direct);
static void vss_cow_eval(struct vss_io *io, bool can_start);

/*
 * Inside a submit_bio() call, bios we issued wait until we return: do not
 * sleep there on a pool that only their completion would refill.
 */
static gfp_t vss_cow_gfp(void)
{
	return current->bio_list ? GFP_NOWAIT : GFP_NOIO;
}

/**
 * vss_cow_size - size of the mempool elements of &vss_lun.cow_pool
 *
 * Context: any.
 * Return: sizeof(struct vss_cow).
 */
size_t vss_cow_size(void)
{
	return sizeof(struct vss_cow);
}

static struct hlist_head *vss_cow_bucket(struct vss_lun *lun, u64 chunk)
{
	return &lun->pending[hash_64(chunk, VSS_PENDING_BITS)];
}

static struct vss_cow *vss_cow_find_locked(struct vss_lun *lun, u64 chunk)
{
	struct vss_cow *cow;

	hlist_for_each_entry(cow, vss_cow_bucket(lun, chunk), hnode)
		if (cow->chunk == chunk)
			return cow;
	return NULL;
}

/**
 * vss_cow_pending_locked - is a copy of a chunk in flight?
 * @lun: the LUN
 * @chunk: LUN chunk
 *
 * Context: &vss_lun.map_lock held.
 * Return: true if one is.
 */
bool vss_cow_pending_locked(struct vss_lun *lun, u64 chunk)
{
	return vss_cow_find_locked(lun, chunk);
}

static void vss_cow_init_locked(struct vss_cow *cow, struct vss_lun *lun,
				struct vss_snapshot *snap, u64 chunk)
{
	memset(cow, 0, sizeof(*cow));
	INIT_LIST_HEAD(&cow->waiters);
	INIT_LIST_HEAD(&cow->park);
	INIT_WORK(&cow->start_work, vss_cow_start_work);
	INIT_WORK(&cow->done_work, vss_cow_done_work);
	cow->lun = lun;
	cow->snap = snap;
	vss_snap_get(snap);
	cow->chunk = chunk;
	hlist_add_head(&cow->hnode, vss_cow_bucket(lun, chunk));
	lun->nr_cows++;
}

/* Start the cows a submitter created (list through &vss_cow.park). */
static void vss_cow_start_list(struct list_head *list)
{
	struct vss_cow *cow, *tmp;
	unsigned int noio;

	if (list_empty(list))
		return;
	noio = memalloc_noio_save();
	list_for_each_entry_safe(cow, tmp, list, park) {
		list_del_init(&cow->park);
		vss_cow_start(cow, true);
	}
	memalloc_noio_restore(noio);
}

/*
 * Submit @io once its chunks are preserved, or queue it on the first
 * pending cow.  With @can_start, missing copies are created and started
 * here (may sleep in mempool_alloc); without, @io goes to the requeue work.
 */
static void vss_cow_eval(struct vss_io *io, bool can_start)
{
	struct vss_lun *lun = io->lun;
	struct bio *clone = &io->clone;
	u64 first = vss_sector_to_chunk(lun, clone->bi_iter.bi_sector);
	u64 last = vss_sector_to_chunk(lun, bio_end_sector(clone) - 1);
	bool discard = bio_op(clone) == REQ_OP_DISCARD;
	struct vss_cow *spare = NULL, *wait_on, *cow;
	struct vss_snapshot *snap;
	u64 c, start = first;
	LIST_HEAD(to_start);

again:
	wait_on = NULL;
	spin_lock(&lun->map_lock);
	snap = lun->newest;
	if (!snap || !vss_snap_live(snap)) {
		if (!lun->gate)
			goto submit_unlock;
		/* not preserved, and the snapshot's end is not durable yet */
		list_add_tail(&io->node, &lun->gated);
		spin_unlock(&lun->map_lock);
		goto out_free;
	}
	for (c = start; c <= last; c++) {
		/* a published copy is pending until its chunk's reads passed */
		cow = vss_cow_find_locked(lun, c);
		if (!cow && xa_load(&snap->map, c))
			continue;
		if (discard) {
			spin_unlock(&lun->map_lock);
			if (spare)
				mempool_free(spare, lun->cow_pool);
			vss_cow_start_list(&to_start);
			clone->bi_status = BLK_STS_OK;
			bio_endio(clone);
			return;
		}
		if (!cow) {
			if (!can_start) {
				list_add_tail(&io->node, &lun->requeue);
				spin_unlock(&lun->map_lock);
				queue_work(lun->cow_wq, &lun->requeue_work);
				return;
			}
			if (lun->cow_frozen) {
				/* a checkpoint is being written: after it */
				if (wait_on)
					break;
				list_add_tail(&io->node, &lun->frozen);
				spin_unlock(&lun->map_lock);
				goto out_free;
			}
			if (lun->nr_cows >= lun->cow_max) {
				/* throttled: go on when a copy ends */
				if (wait_on)
					break;
				list_add_tail(&io->node, &lun->throttled);
				spin_unlock(&lun->map_lock);
				goto out_free;
			}
			if (!spare) {
				spin_unlock(&lun->map_lock);
				/* never sleep on the pool with cows not started */
				vss_cow_start_list(&to_start);
				spare = mempool_alloc(lun->cow_pool, vss_cow_gfp());
				if (!spare) {
					/* the worker may wait for the pool */
					spin_lock(&lun->map_lock);
					list_add_tail(&io->node, &lun->requeue);
					spin_unlock(&lun->map_lock);
					queue_work(lun->cow_wq, &lun->requeue_work);
					return;
				}
				/* chunks before c are preserved or pending */
				start = c;
				goto again;
			}
			cow = spare;
			spare = NULL;
			vss_cow_init_locked(cow, lun, snap, c);
			list_add_tail(&cow->park, &to_start);
		}
		if (!wait_on)
			wait_on = cow;
	}
	if (!wait_on && start != first) {
		/* resumed after an allocation: check the whole range again */
		spin_unlock(&lun->map_lock);
		start = first;
		goto again;
	}
	if (wait_on) {
		list_add_tail(&io->node, &wait_on->waiters);
		spin_unlock(&lun->map_lock);
		goto out_free;
	}
submit_unlock:
	spin_unlock(&lun->map_lock);
	if (spare)
		mempool_free(spare, lun->cow_pool);
	submit_bio_noacct(clone);
	return;

out_free:
	if (spare)
		mempool_free(spare, lun->cow_pool);
	vss_cow_start_list(&to_start);
}

/**
 * vss_cow_write - submit an admitted write once its chunks are preserved
 * @io: the write (its clone already targets the backing device)
 *
 * The copies the write needs are started here, in the caller's context.
 * Discards of chunks a snapshot still needs are completed without being
 * passed on (a discard guarantees nothing about the data, a snapshot must).
 *
 * Context: process context (submit path); does not wait for memory (see
 * the top of this file).
 */
void vss_cow_write(struct vss_io *io)
{
	vss_cow_eval(io, true);
}

/**
 * vss_cow_requeue_work - re-evaluate writes that need a copy started
 * @work: &vss_lun.requeue_work
 *
 * Context: cow_wq.
 */
void vss_cow_requeue_work(struct work_struct *work)
{
	struct vss_lun *lun = container_of(work, struct vss_lun, requeue_work);
	struct vss_io *io, *tmp;
	LIST_HEAD(list);

	spin_lock(&lun->map_lock);
	list_splice_init(&lun->requeue, &list);
	spin_unlock(&lun->map_lock);
	list_for_each_entry_safe(io, tmp, &list, node) {
		list_del_init(&io->node);
		vss_cow_eval(io, true);
	}
}

/**
 * vss_cow_usage_work - store usage check for copies started directly
 * @work: &vss_lun.usage_work
 *
 * The usage event may wait for the LUN list lock: not in the submit path.
 *
 * Context: cow_wq.
 */
void vss_cow_usage_work(struct work_struct *work)
{
	vss_snap_store_usage(container_of(work, struct vss_lun, usage_work));
}

/* Re-evaluate the writes that waited on a cow that ended. */
static void vss_cow_release_waiters(struct list_head *waiters, bool can_start)
{
	struct vss_io *io, *tmp;

	list_for_each_entry_safe(io, tmp, waiters, node) {
		list_del_init(&io->node);
		vss_cow_eval(io, can_start);
	}
}

static void vss_cow_free(struct vss_cow *cow)
{
	struct vss_lun *lun = cow->lun;
	bool kick, idle;

	if (cow->buf)
		mempool_free(cow->buf, lun->cow_buf_pool);
	spin_lock(&lun->map_lock);
	idle = !--lun->nr_cows && lun->cow_frozen;
	kick = !list_empty(&lun->throttled);
	list_splice_tail_init(&lun->throttled, &lun->requeue);
	spin_unlock(&lun->map_lock);
	if (kick)
		queue_work(lun->cow_wq, &lun->requeue_work);
	if (idle)
		wake_up(&lun->cow_idle_wq);
	vss_snapshot_put(cow->snap);
	mempool_free(cow, lun->cow_pool);
}

/* The cow ends before it held a store chunk: its snapshot no longer needs it. */
static void vss_cow_end(struct vss_cow *cow)
{
	struct vss_lun *lun = cow->lun;
	LIST_HEAD(waiters);

	spin_lock(&lun->map_lock);
	hlist_del(&cow->hnode);
	list_splice_init(&cow->waiters, &waiters);
	spin_unlock(&lun->map_lock);
	vss_cow_release_waiters(&waiters, true);
	vss_cow_free(cow);
}

/* A failure before the store chunk was taken: invalidate, let writes go. */
static void vss_cow_fail(struct vss_cow *cow, int err)
{
	struct vss_lun *lun = cow->lun;

	pr_err_ratelimited("%s: cannot preserve chunk %llu (%d), snapshots invalidated\n",
			   lun->name, cow->chunk, err);
	spin_lock(&lun->map_lock);
	vss_snap_fail_all_locked(lun);
	spin_unlock(&lun->map_lock);
	queue_work(lun->reclaim_wq, &lun->reclaim_work);
	vss_cow_end(cow);
}

/* Can @snap still take exceptions?  Under map_lock. */
static bool vss_cow_target_ok(struct vss_lun *lun, struct vss_snapshot *snap)
{
	return snap == lun->newest && vss_snap_live(snap);
}

static void vss_cow_release_slots(struct vss_lun *lun, u64 chunk,
				  struct vss_snapshot *snap)
{
	/* drops only our reservations (zero entries), never a real entry */
	xa_release(&snap->map, chunk);
	xa_release(&lun->any, chunk);
}

static void vss_cow_finish(struct vss_cow *cow, bool can_start);

/* The store's completion: process context, possibly a synchronous caller. */
static void vss_cow_committed_cb(void *ctx, int err)
{
	struct vss_cow *cow = ctx;

	cow->err = err;
	vss_cow_finish(cow, false);
}

/* Bytes of the copy: the last chunk of the LUN may be partial. */
static unsigned int vss_cow_len(struct vss_cow *cow)
{
	struct vss_lun *lun = cow->lun;
	sector_t sector = vss_chunk_to_sector(lun, cow->chunk);

	return min_t(sector_t, (sector_t)1 << lun->chunk_shift,
		     lun->sectors - sector) << SECTOR_SHIFT;
}

/*
 * Submit the copy's bio.  Its completion may go on with the next step in
 * place only when it runs inside the submit_bio() loop that issued it (a
 * device that completes in the submitter's context, such as brd): that
 * context is ours.  Anywhere else - an interrupt, or another driver's
 * thread (loop, nbd's receiver, dm-crypt, md) - the next step goes
 * through cow_wq: submitting there may wait for a tag or for memory that
 * only that very thread would free.
 */
static void vss_cow_submit(struct vss_cow *cow)
{
	cow->owner = current->bio_list ? current : NULL;
	cow->owner_list = current->bio_list;
	submit_bio(&cow->bio);
}

static bool vss_cow_in_own_context(struct vss_cow *cow)
{
	return in_task() && cow->owner == current &&
	       current->bio_list == cow->owner_list;
}

static void vss_cow_copy_failed(struct vss_cow *cow, blk_status_t status)
{
	cow->err = blk_status_to_errno(status);
	queue_work(cow->lun->cow_wq, &cow->done_work);
}

/*
 * Run the next step of @cow on cow_wq.  The steps of all copies whose
 * bios completed meanwhile run in one pass of one work item, under one
 * plug (vss_cow_step_work()): at depth, the store writes and the records
 * of many copies go out together instead of one wake-up each.
 */
static void vss_cow_defer(struct vss_cow *cow,
			  void (*step)(struct vss_cow *cow, bool worker))
{
	struct vss_lun *lun = cow->lun;

	cow->step = step;
	/* the first one in queues the work; it takes the whole list */
	if (llist_add(&cow->step_node, &lun->cow_steps))
		queue_work(lun->cow_wq, &lun->cow_step_work);
}

/*
 * The copy is written: have its record committed.  @worker: we run on
 * cow_wq, a context of ours where the store may submit its log write
 * itself (vss_store_add_exception_own()) instead of waking its worker.
 */
static void vss_cow_record(struct vss_cow *cow, bool worker)
{
	struct vss_lun *lun = cow->lun;

	cow->recorded = true;
	if (worker)
		vss_store_add_exception_own(lun->store, &cow->rec,
					    cow->snap->ps.slot, cow->chunk,
					    cow->store_chunk,
					    vss_cow_committed_cb, cow);
	else
		vss_store_add_exception(lun->store, &cow->rec,
					cow->snap->ps.slot, cow->chunk,
					cow->store_chunk,
					vss_cow_committed_cb, cow);
}

static void vss_cow_write_endio(struct bio *bio)
{
	struct vss_cow *cow = bio->bi_private;
	struct vss_lun *lun = cow->lun;
	blk_status_t status = bio->bi_status;

	bio_uninit(bio);
	mempool_free(cow->buf, lun->cow_buf_pool);
	cow->buf = NULL;
	if (status)
		vss_cow_copy_failed(cow, status);
	else if (vss_cow_in_own_context(cow))
		vss_cow_record(cow, false);
	else
		vss_cow_defer(cow, vss_cow_record);
}

/*
 * The old data is in @cow->buf: write it to the store chunk.  (@worker:
 * the signature of a deferred step; the write goes out the same way.)
 */
static void vss_cow_write_copy(struct vss_cow *cow, bool worker)
{
	struct vss_lun *lun = cow->lun;

	bio_reset(&cow->bio, lun->store_dev.bdev, REQ_OP_WRITE);
	cow->bio.bi_iter.bi_sector = vss_store_chunk_sector(lun->store,
							    cow->store_chunk);
	__bio_add_page(&cow->bio, cow->buf, vss_cow_len(cow), 0);
	cow->bio.bi_end_io = vss_cow_write_endio;
	cow->bio.bi_private = cow;
	vss_cow_submit(cow);
}

static void vss_cow_read_endio(struct bio *bio)
{
	struct vss_cow *cow = bio->bi_private;

	if (bio->bi_status) {
		bio_uninit(bio);
		vss_cow_copy_failed(cow, bio->bi_status);
	} else if (vss_cow_in_own_context(cow)) {
		vss_cow_write_copy(cow, false);
	} else {
		vss_cow_defer(cow, vss_cow_write_copy);
	}
}

/* Is a store usage event (or its re-arming) due?  Cheap, lockless. */
static bool vss_cow_usage_due(struct vss_lun *lun)
{
	u64 nr = vss_store_nr_chunks(lun->store);
	u64 used = vss_store_used_chunks(lun->store);

	if (atomic_read(&lun->store_low))
		return used * 10 < nr * 8;
	return used * 10 >= nr * 9;
}

/*
 * Take a store chunk and the map slots, then start the copy.  @direct: in
 * the submitter's context, where the usage event must not be sent.
 */
static void vss_cow_start(struct vss_cow *cow, bool direct)
{
	struct vss_lun *lun = cow->lun;
	struct vss_snapshot *snap = cow->snap;
	u64 gen, sc;
	int ret;

	if (!cow->buf) {
		cow->buf = mempool_alloc(lun->cow_buf_pool, vss_cow_gfp());
		if (!cow->buf) {
			/* the worker may wait for the pool */
			queue_work(lun->cow_wq, &cow->start_work);
			return;
		}
	}
	spin_lock(&lun->map_lock);
	if (!vss_cow_target_ok(lun, snap)) {
		spin_unlock(&lun->map_lock);
		vss_cow_end(cow);
		return;
	}
	gen = lun->reclaim_gen;
	spin_unlock(&lun->map_lock);

	ret = vss_store_alloc(lun->store, &sc);
	if (ret == -ENOSPC) {
		spin_lock(&lun->map_lock);
		if (gen != lun->reclaim_gen) {
			/* space was freed since we looked: try again */
			spin_unlock(&lun->map_lock);
			queue_work(lun->cow_wq, &cow->start_work);
			return;
		}
		/* parked cows may be many: they hold no buffer */
		mempool_free(cow->buf, lun->cow_buf_pool);
		cow->buf = NULL;
		list_add_tail(&cow->park, &lun->parked);
		lun->nospc = true;
		lun->nospc_gen = gen;
		spin_unlock(&lun->map_lock);
		queue_work(lun->reclaim_wq, &lun->reclaim_work);
		return;
	}
	if (ret == -ENOMEM && current->bio_list) {
		/* the allocator may wait for memory on cow_wq, not here */
		queue_work(lun->cow_wq, &cow->start_work);
		return;
	}
	if (ret) {
		vss_cow_fail(cow, ret);
		return;
	}
	/* before we count as active: it may send an event */
	if (!direct)
		vss_snap_store_usage(lun);
	else if (vss_cow_usage_due(lun))
		queue_work(lun->cow_wq, &lun->usage_work);
	if (xa_reserve(&snap->map, cow->chunk, GFP_NOIO) ||
	    xa_reserve(&lun->any, cow->chunk, GFP_NOIO)) {
		vss_cow_release_slots(lun, cow->chunk, snap);
		vss_store_free(lun->store, sc);
		if (current->bio_list) {
			/*
			 * The submitter's allocation failed: the worker may
			 * wait for memory.  Failing here would invalidate
			 * every snapshot for a transient shortage.
			 */
			queue_work(lun->cow_wq, &cow->start_work);
			return;
		}
		vss_cow_fail(cow, -ENOMEM);
		return;
	}

	spin_lock(&lun->map_lock);
	if (!vss_cow_target_ok(lun, snap)) {
		spin_unlock(&lun->map_lock);
		vss_cow_release_slots(lun, cow->chunk, snap);
		vss_store_free(lun->store, sc);
		vss_cow_end(cow);
		return;
	}
	snap->cow_active++;
	cow->active = true;
	cow->store_chunk = sc;
	spin_unlock(&lun->map_lock);

	bio_init(&cow->bio, lun->backing.bdev, &cow->bvec, 1, REQ_OP_READ);
	cow->bio.bi_iter.bi_sector = vss_chunk_to_sector(lun, cow->chunk);
	__bio_add_page(&cow->bio, cow->buf, vss_cow_len(cow), 0);
	cow->bio.bi_end_io = vss_cow_read_endio;
	cow->bio.bi_private = cow;
	vss_cow_submit(cow);
}

/**
 * vss_cow_step_work - run the deferred steps of the copies in flight
 * @work: &vss_lun.cow_step_work
 *
 * Oldest first, under one plug, so that the store writes of many copies
 * reach the device as a batch and their records share a log write.
 *
 * Context: cow_wq.
 */
void vss_cow_step_work(struct work_struct *work)
{
	struct vss_lun *lun = container_of(work, struct vss_lun,
					   cow_step_work);
	struct llist_node *list = llist_del_all(&lun->cow_steps);
	struct vss_cow *cow, *tmp;
	struct blk_plug plug;
	unsigned int noio;

	if (!list)
		return;
	noio = memalloc_noio_save();
	blk_start_plug(&plug);
	llist_for_each_entry_safe(cow, tmp, llist_reverse_order(list),
				  step_node)
		cow->step(cow, true);
	blk_finish_plug(&plug);
	memalloc_noio_restore(noio);
}

static void vss_cow_start_work(struct work_struct *work)
{
	vss_cow_start(container_of(work, struct vss_cow, start_work), false);
}

/*
 * End the cow in the maps: publish the entry (or fail the snapshots).  It
 * stays in the pending table until vss_cow_finish() has seen the snapshot
 * reads of the chunk pass: a later write to the chunk must wait for them
 * too, not only the writes that waited for the copy.
 */
static void vss_cow_publish(struct vss_cow *cow)
{
	struct vss_lun *lun = cow->lun;
	struct vss_snapshot *snap = cow->snap;
	bool fail = cow->err, idle;
	void *old;

	spin_lock(&lun->map_lock);
	/* both slots were reserved: these stores do not allocate */
	if (!fail && vss_snap_any_inc_locked(lun, cow->chunk, GFP_NOWAIT))
		fail = true;
	if (!fail) {
		/* entry and mark at once: the enumeration reads both locked */
		xa_lock(&snap->map);
		old = __xa_store(&snap->map, cow->chunk,
				 xa_mk_value(cow->store_chunk), GFP_NOWAIT);
		if (!xa_is_err(old) && lun->cp_marking)
			__xa_set_mark(&snap->map, cow->chunk, VSS_MAP_CARRIED);
		xa_unlock(&snap->map);
		if (xa_is_err(old)) {
			vss_snap_any_dec_locked(lun, cow->chunk);
			fail = true;
		} else {
			snap->nr_entries++;
		}
	}
	if (fail) {
		vss_cow_release_slots(lun, cow->chunk, snap);
		vss_snap_fail_all_locked(lun);
	}
	idle = !--snap->cow_active;
	spin_unlock(&lun->map_lock);

	cow->published = true;
	cow->failed = fail;
	if (idle)
		wake_up(&lun->cow_idle_wq);
	if (fail) {
		pr_err_ratelimited("%s: preserving chunk %llu failed (%d), snapshots invalidated\n",
				   lun->name, cow->chunk, cow->err ?: -ENOMEM);
		/*
		 * Once a record was issued the chunk may be named by a durable
		 * record: leave it allocated (replay sorts it out at the next
		 * open) rather than risk handing it out twice.
		 */
		if (!cow->recorded)
			vss_store_free(lun->store, cow->store_chunk);
		queue_work(lun->reclaim_wq, &lun->reclaim_work);
	} else {
		/* reads that chose the origin before the entry existed */
		cow->ticket = vss_lun_read_barrier(lun);
	}
}

/*
 * Publish the entry (or fail the snapshots), release the waiting writes
 * once no snapshot read of this chunk can still be looking at the old
 * origin data.  Process context.  With @own (cow_wq) it may wait for those
 * reads and start copies; without (the store's completion), it neither
 * sleeps nor allocates: a wait goes to cow_wq, and so does a waiting write
 * that needs another copy.
 */
static void vss_cow_finish(struct vss_cow *cow, bool own)
{
	struct vss_lun *lun = cow->lun;
	LIST_HEAD(waiters);

	if (!cow->published)
		vss_cow_publish(cow);
	if (!cow->failed &&
	    !vss_lun_reads_passed(lun, cow->ticket, cow->chunk)) {
		if (!own) {
			queue_work(lun->cow_wq, &cow->done_work);
			return;
		}
		vss_lun_read_sync(lun, cow->ticket, cow->chunk);
	}
	spin_lock(&lun->map_lock);
	hlist_del(&cow->hnode);
	list_splice_init(&cow->waiters, &waiters);
	spin_unlock(&lun->map_lock);
	vss_cow_release_waiters(&waiters, own);
	vss_cow_free(cow);
}

static void vss_cow_done_work(struct work_struct *work)
{
	vss_cow_finish(container_of(work, struct vss_cow, done_work), true);
}

/**
 * vss_cow_kick_parked - retry every parked cow
 * @lun: the LUN
 *
 * Called when space was freed, when a snapshot became durable or went away.
 *
 * Context: process context.
 */
void vss_cow_kick_parked(struct vss_lun *lun)
{
	struct vss_cow *cow, *tmp;
	LIST_HEAD(list);

	spin_lock(&lun->map_lock);
	list_splice_init(&lun->parked, &list);
	spin_unlock(&lun->map_lock);
	list_for_each_entry_safe(cow, tmp, &list, park) {
		list_del_init(&cow->park);
		queue_work(lun->cow_wq, &cow->start_work);
	}
}

static unsigned int vss_cow_list_len(struct list_head *head)
{
	struct list_head *pos;
	unsigned int n = 0;

	list_for_each(pos, head)
		n++;
	return n;
}

/**
 * vss_cow_count_parked - count the writes and copies waiting in cow.c
 * @lun: the LUN
 * @p: its copy and list fields are filled in
 *
 * Walks the lists under &vss_lun.map_lock: for diagnostics only, never on
 * the I/O path.
 *
 * Context: process context.
 */
void vss_cow_count_parked(struct vss_lun *lun, struct vss_lun_parked *p)
{
	struct vss_cow *cow;
	unsigned int i;

	spin_lock(&lun->map_lock);
	p->copies = lun->nr_cows;
	p->copy_wait = 0;
	for (i = 0; i < ARRAY_SIZE(lun->pending); i++)
		hlist_for_each_entry(cow, &lun->pending[i], hnode)
			p->copy_wait += vss_cow_list_len(&cow->waiters);
	p->throttled = vss_cow_list_len(&lun->throttled);
	p->requeue = vss_cow_list_len(&lun->requeue);
	p->gated = vss_cow_list_len(&lun->gated);
	p->frozen = vss_cow_list_len(&lun->frozen);
	p->nospc = vss_cow_list_len(&lun->parked);
	spin_unlock(&lun->map_lock);
}

static bool vss_cow_none(struct vss_lun *lun)
{
	bool none;

	spin_lock(&lun->map_lock);
	none = !lun->nr_cows;
	spin_unlock(&lun->map_lock);
	return none;
}

/**
 * vss_cow_freeze - stop starting copies and wait for those in flight
 * @lun: the LUN
 * @timeout: in jiffies
 *
 * Writes that need a copy wait on &vss_lun.frozen; writes to chunks
 * already preserved, and reads, go on.  Once no copy is in flight no
 * exception record is either, and every record issued is in the maps: a
 * log checkpoint starts its carry-over of new records at that cut, then
 * thaws (vss_snap_enumerate()), so copies stop only for those that were
 * in flight.
 *
 * Context: process context, sleeps; killable.
 * Return: 0, or -ETIMEDOUT/-EINTR (then not frozen).
 */
int vss_cow_freeze(struct vss_lun *lun, unsigned long timeout)
{
	long ret;

	spin_lock(&lun->map_lock);
	lun->cow_frozen++;
	spin_unlock(&lun->map_lock);
	ret = wait_event_killable_timeout(lun->cow_idle_wq, vss_cow_none(lun),
					  timeout);
	if (ret > 0)
		return 0;
	vss_cow_thaw(lun);
	return ret ? -EINTR : -ETIMEDOUT;
}

/**
 * vss_cow_thaw - undo vss_cow_freeze()
 * @lun: the LUN
 *
 * Context: process context.
 */
void vss_cow_thaw(struct vss_lun *lun)
{
	bool kick = false;

	spin_lock(&lun->map_lock);
	if (!--lun->cow_frozen) {
		kick = !list_empty(&lun->frozen);
		list_splice_tail_init(&lun->frozen, &lun->requeue);
	}
	spin_unlock(&lun->map_lock);
	if (kick)
		queue_work(lun->cow_wq, &lun->requeue_work);
}
