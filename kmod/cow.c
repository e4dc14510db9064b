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
 *     chunk and reserves the map
 *     slots (so that publishing the entry later cannot fail), then copies
 *     the origin chunk with dm-kcopyd.  A snapshot that is not yet durable
 *     (committed, not persisted) parks the cow: no exception record may
 *     precede the snapshot's create record in the log.  A full store parks
 *     it as well and kicks the reclaim work (snapshot.c).
 *  3. vss_cow_copied() (kcopyd) hands the record to the store's group
 *     commit, which flushes the copied data before the record is durable.
 *  4. vss_cow_finish() runs in the store's completion (commit worker, a
 *     process context): it publishes the entry in Sn's map, waits for the
 *     snapshot reads that may have looked at the origin chunk before the
 *     entry existed, and re-evaluates the waiting writes, which now go to
 *     the origin.  That context may be a thread making a synchronous store
 *     call, so nothing there allocates or starts a copy: a waiting write
 *     that needs another copy goes to &vss_lun.requeue (cow_wq).
 *
 * At QD1 a first write therefore costs one kcopyd job and one commit, the
 * minimum for a crash-safe copy (the copy must be durable before the record,
 * the record before the origin write).
 *
 * Any failure (copy error, commit error, no memory) invalidates every live
 * snapshot (they all may read c through Sn) and lets the writes through:
 * the origin never fails because of a snapshot.  While a snapshot switch is
 * being made (vss_lun_hold()), no write is in flight, hence no cow either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-cow: " fmt

#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>
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
 * @done_work: runs vss_cow_finish() after a copy error
 * @lun: the LUN
 * @snap: the snapshot preserved for (a reference is held)
 * @chunk: LUN chunk
 * @store_chunk: where the old data goes, valid once @active
 * @active: holds @store_chunk and counts in &vss_snapshot.cow_active
 * @recorded: the exception record was handed to the store
 * @err: outcome of the copy or of the commit
 */
struct vss_cow {
	struct hlist_node hnode;
	struct list_head waiters;
	struct list_head park;
	struct work_struct start_work;
	struct work_struct done_work;
	struct vss_lun *lun;
	struct vss_snapshot *snap;
	u64 chunk;
	u64 store_chunk;
	bool active;
	bool recorded;
	int err;
};

static void vss_cow_start_work(struct work_struct *work);
static void vss_cow_done_work(struct work_struct *work);
static void vss_cow_start(struct vss_cow *cow, bool direct);
static void vss_cow_eval(struct vss_io *io, bool can_start);

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
	if (!snap || !vss_snap_live(snap))
		goto submit_unlock;
	for (c = start; c <= last; c++) {
		if (xa_load(&snap->map, c))
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
		cow = vss_cow_find_locked(lun, c);
		if (!cow) {
			if (!can_start) {
				list_add_tail(&io->node, &lun->requeue);
				spin_unlock(&lun->map_lock);
				queue_work(lun->cow_wq, &lun->requeue_work);
				return;
			}
			if (!spare) {
				spin_unlock(&lun->map_lock);
				/* never sleep on the pool with cows not started */
				vss_cow_start_list(&to_start);
				spare = mempool_alloc(lun->cow_pool, GFP_NOIO);
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
		if (spare)
			mempool_free(spare, lun->cow_pool);
		vss_cow_start_list(&to_start);
		return;
	}
submit_unlock:
	spin_unlock(&lun->map_lock);
	if (spare)
		mempool_free(spare, lun->cow_pool);
	submit_bio_noacct(clone);
}

/**
 * vss_cow_write - submit an admitted write once its chunks are preserved
 * @io: the write (its clone already targets the backing device)
 *
 * The copies the write needs are started here, in the caller's context.
 * Discards of chunks a snapshot still needs are completed without being
 * passed on (a discard guarantees nothing about the data, a snapshot must).
 *
 * Context: process context (submit path); may sleep in
 * mempool_alloc(GFP_NOIO) and in starting a copy.
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

static void vss_cow_copied(int read_err, unsigned long write_err, void *ctx)
{
	struct vss_cow *cow = ctx;
	struct vss_lun *lun = cow->lun;

	if (read_err || write_err) {
		cow->err = -EIO;
		queue_work(lun->cow_wq, &cow->done_work);
		return;
	}
	cow->recorded = true;
	vss_store_add_exception(lun->store, cow->snap->ps.slot, cow->chunk,
				cow->store_chunk, vss_cow_committed_cb, cow);
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
	struct dm_io_region from, to;
	sector_t sector;
	u64 gen, sc;
	int ret;

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
		list_add_tail(&cow->park, &lun->parked);
		lun->nospc = true;
		lun->nospc_gen = gen;
		spin_unlock(&lun->map_lock);
		queue_work(lun->reclaim_wq, &lun->reclaim_work);
		return;
	}
	if (ret) {
		vss_cow_fail(cow, ret);
		return;
	}
	/* before we count as active: the event may wait on vss_luns_lock */
	if (!direct)
		vss_snap_store_usage(lun);
	else if (vss_cow_usage_due(lun))
		queue_work(lun->cow_wq, &lun->usage_work);
	if (xa_reserve(&snap->map, cow->chunk, GFP_NOIO) ||
	    xa_reserve(&lun->any, cow->chunk, GFP_NOIO)) {
		vss_cow_release_slots(lun, cow->chunk, snap);
		vss_store_free(lun->store, sc);
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

	sector = vss_chunk_to_sector(lun, cow->chunk);
	from.bdev = lun->backing.bdev;
	from.sector = sector;
	from.count = min_t(sector_t, (sector_t)1 << lun->chunk_shift,
			   lun->sectors - sector);
	to.bdev = lun->store_dev.bdev;
	to.sector = vss_store_chunk_sector(lun->store, sc);
	to.count = from.count;
	dm_kcopyd_copy(lun->kc, &from, 1, &to, 0, vss_cow_copied, cow);
}

static void vss_cow_start_work(struct work_struct *work)
{
	vss_cow_start(container_of(work, struct vss_cow, start_work), false);
}

/*
 * Publish the entry (or fail the snapshots), release the waiting writes.
 * Process context; without @can_start nothing allocates or starts a copy.
 */
static void vss_cow_finish(struct vss_cow *cow, bool can_start)
{
	struct vss_lun *lun = cow->lun;
	struct vss_snapshot *snap = cow->snap;
	bool fail = cow->err, idle;
	LIST_HEAD(waiters);
	void *old;

	spin_lock(&lun->map_lock);
	/* both slots were reserved: these stores do not allocate */
	if (!fail && vss_snap_any_inc_locked(lun, cow->chunk, GFP_NOWAIT))
		fail = true;
	if (!fail) {
		old = xa_store(&snap->map, cow->chunk,
			       xa_mk_value(cow->store_chunk), GFP_NOWAIT);
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
	hlist_del(&cow->hnode);
	list_splice_init(&cow->waiters, &waiters);
	spin_unlock(&lun->map_lock);

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
		vss_lun_read_sync(lun, vss_lun_read_barrier(lun));
	}
	vss_cow_release_waiters(&waiters, can_start);
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
