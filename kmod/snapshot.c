// SPDX-License-Identifier: GPL-2.0
/*
 * vss snapshots.
 *
 * Maps.  Snapshot Si's map holds the chunks first written on the LUN while
 * Si was the newest snapshot (lun chunk -> store chunk, xarray value
 * entries, about 9-16 bytes per preserved chunk whatever the number of
 * snapshots).  Reading Si at chunk c takes the first entry for c in Si,
 * S(i+1), ..., Sn; with none, the chunk did not change since Si and the
 * origin has it.  &vss_lun.any counts, per chunk, the maps that have an
 * entry, so reads of never-preserved chunks skip the walk.
 *
 * Invariant: the live snapshots (committed or ready) are a suffix of the
 * creation-ordered list.  Invalidation on store-full goes oldest first and
 * an I/O error invalidates every snapshot, so no live snapshot ever reads
 * through an invalid one, and an invalid newest snapshot means nothing is
 * left to preserve.
 *
 * Delete with handover.  Deleting Si moves each of its entries to S(i-1)
 * where S(i-1) has none: S(i-1) would have read that chunk through Si.
 * Entries S(i-1) already has were unreachable (older snapshots stop at
 * S(i-1) first) and are dropped, as are all entries when Si is the oldest
 * or S(i-1) is invalid.  Order: the delete record is made durable first,
 * then the maps change, then the snapshot reads that may still use a
 * dropped chunk are waited for (read tickets, lun.c), and only then the
 * chunks go back to the store's allocator.  Log replay runs the same merge.
 *
 * Store full.  A COW that finds no space parks and kicks the reclaim work,
 * which deletes the oldest ready snapshot (or, if its device is open,
 * invalidates it) and lets the parked COWs retry, until they get space or
 * no snapshot is left to preserve for.  The origin write never fails.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-snapshot: " fmt

#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include "lun.h"
#include "cow.h"
#include "resync.h"
#include "snapshot.h"
#include "store.h"

/* every snapshot of every LUN, for lookups by id */
static LIST_HEAD(vss_snapshots);
static DEFINE_SPINLOCK(vss_snapshots_lock);

static unsigned int test_reclaim_delay_ms;
module_param(test_reclaim_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_reclaim_delay_ms,
		 "Test aid, 0 (off) by default: the reclaim work (store-full policy, invalidation records) sleeps this long before it starts");

static unsigned int test_checkpoint_delay_ms;
module_param(test_checkpoint_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_checkpoint_delay_ms,
		 "Test aid, 0 (off) by default: a log checkpoint sleeps this long after listing the live state, before the new log is switched in");

#define VSS_DROP_BATCH	64
#define VSS_CHANGES_RUN	64

static int vss_snap_enumerate(void *arg, struct vss_store *st);

/* ---- lifetime ---- */

static struct vss_snapshot *vss_snap_alloc(struct vss_lun *lun)
{
	struct vss_snapshot *snap;

	snap = kzalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return NULL;
	kref_init(&snap->kref);		/* the LUN's reference */
	INIT_LIST_HEAD(&snap->lun_node);
	INIT_LIST_HEAD(&snap->all_node);
	xa_init(&snap->map);
	snap->lun = lun;
	vss_lun_get(lun);
	return snap;
}

/**
 * vss_snap_get - take a reference on a snapshot
 * @snap: the snapshot
 *
 * Context: any.
 */
void vss_snap_get(struct vss_snapshot *snap)
{
	kref_get(&snap->kref);
}

static void vss_snap_release(struct kref *kref)
{
	struct vss_snapshot *snap = container_of(kref, struct vss_snapshot,
						 kref);

	xa_destroy(&snap->map);
	vss_lun_put(snap->lun);
	kfree(snap);
}

/**
 * vss_snapshot_put - drop a snapshot reference
 * @snap: the snapshot (NULL is ignored)
 *
 * Context: any but interrupt.
 */
void vss_snapshot_put(struct vss_snapshot *snap)
{
	if (snap)
		kref_put(&snap->kref, vss_snap_release);
}

static void vss_snap_list_add(struct vss_snapshot *snap)
{
	vss_snap_get(snap);
	spin_lock(&vss_snapshots_lock);
	list_add_tail(&snap->all_node, &vss_snapshots);
	spin_unlock(&vss_snapshots_lock);
}

static void vss_snap_list_del(struct vss_snapshot *snap)
{
	bool listed;

	spin_lock(&vss_snapshots_lock);
	listed = !list_empty(&snap->all_node);
	list_del_init(&snap->all_node);
	spin_unlock(&vss_snapshots_lock);
	if (listed)
		vss_snapshot_put(snap);
}

/**
 * vss_snapshot_find - look a snapshot up by id
 * @id: snapshot id
 *
 * Context: any but interrupt.
 * Return: the snapshot with a reference (vss_snapshot_put()), or NULL.
 */
struct vss_snapshot *vss_snapshot_find(const uuid_t *id)
{
	struct vss_snapshot *snap, *found = NULL;

	spin_lock(&vss_snapshots_lock);
	list_for_each_entry(snap, &vss_snapshots, all_node) {
		if (uuid_equal(&snap->ps.id, id)) {
			found = snap;
			vss_snap_get(found);
			break;
		}
	}
	spin_unlock(&vss_snapshots_lock);
	return found;
}

/**
 * vss_snapshot_next - iterate the snapshots of a LUN in creation order
 * @lun: the LUN
 * @seq: sequence number of the previous snapshot, 0 for the first
 *
 * Context: process context.
 * Return: the committed snapshot with the smallest sequence number above
 * @seq, with a reference, or NULL.
 */
struct vss_snapshot *vss_snapshot_next(struct vss_lun *lun, u32 seq)
{
	struct vss_snapshot *snap, *found = NULL;

	spin_lock(&lun->map_lock);
	list_for_each_entry(snap, &lun->snaps, lun_node) {
		if (snap->ps.seq > seq) {
			found = snap;
			vss_snap_get(found);
			break;
		}
	}
	spin_unlock(&lun->map_lock);
	return found;
}

/**
 * vss_snapshot_get_info - report a snapshot's state
 * @snap: the snapshot
 * @info: filled in
 *
 * Context: process context.
 */
void vss_snapshot_get_info(struct vss_snapshot *snap,
			   struct vss_snapshot_info *info)
{
	struct vss_lun *lun = snap->lun;

	memset(info, 0, sizeof(*info));
	uuid_copy(&info->id, &snap->ps.id);
	strscpy(info->lun, lun->name, sizeof(info->lun));
	snprintf(info->device, sizeof(info->device), "vss-%s-s%u", lun->name,
		 snap->ps.seq);
	info->seq = snap->ps.seq;
	spin_lock(&lun->map_lock);
	/* a break clears the set id under map_lock */
	uuid_copy(&info->set_id, &snap->ps.set_id);
	info->created_ns = snap->ps.created_ns;
	info->state = snap->state;
	info->cow_bytes = snap->nr_entries * lun->chunk_size;
	info->devt = snap->devt;
	spin_unlock(&lun->map_lock);
}

/* ---- the per-LUN summary of preserved chunks ---- */

/**
 * vss_snap_any_inc_locked - one more map has an entry for a chunk
 * @lun: the LUN
 * @chunk: LUN chunk
 * @gfp: allocation flags (GFP_NOWAIT when the slot was reserved)
 *
 * Context: &vss_lun.map_lock held unless the LUN is being set up.
 * Return: 0 or -ENOMEM.
 */
int vss_snap_any_inc_locked(struct vss_lun *lun, u64 chunk, gfp_t gfp)
{
	void *e = xa_load(&lun->any, chunk);
	unsigned long n = xa_is_value(e) ? xa_to_value(e) : 0;

	return xa_err(xa_store(&lun->any, chunk, xa_mk_value(n + 1), gfp));
}

/**
 * vss_snap_any_dec_locked - one map less has an entry for a chunk
 * @lun: the LUN
 * @chunk: LUN chunk
 *
 * An entry that drops to zero is erased, so that memory follows the chunks
 * preserved now, not every chunk ever preserved; unless a copy of the
 * chunk is in flight: it may count on the slot (reserved, see cow.c) to
 * publish without allocating.
 *
 * Context: &vss_lun.map_lock held unless the LUN is being set up.
 */
void vss_snap_any_dec_locked(struct vss_lun *lun, u64 chunk)
{
	void *e = xa_load(&lun->any, chunk);
	unsigned long n = xa_is_value(e) ? xa_to_value(e) : 0;

	if (WARN_ON_ONCE(!n))
		return;
	if (n == 1 && !vss_cow_pending_locked(lun, chunk))
		xa_erase(&lun->any, chunk);
	else
		xa_store(&lun->any, chunk, xa_mk_value(n - 1), GFP_NOWAIT);
}

/* ---- the snapshot device ---- */

/* Where does @snap (ready, hence linked) find chunk @c?  Under map_lock. */
static bool vss_snap_resolve_locked(struct vss_snapshot *snap, u64 c,
				    u64 *store_chunk)
{
	struct vss_lun *lun = snap->lun;
	struct vss_snapshot *s = snap;
	void *e;

	e = xa_load(&lun->any, c);
	if (!xa_is_value(e) || !xa_to_value(e))
		return false;
	list_for_each_entry_from(s, &lun->snaps, lun_node) {
		e = xa_load(&s->map, c);
		if (e) {
			*store_chunk = xa_to_value(e);
			return true;
		}
	}
	return false;
}

static void vss_snap_read_endio(struct bio *clone)
{
	struct vss_io *io = clone->bi_private;
	struct vss_lun *lun = io->lun;
	struct bio *orig = io->orig;
	bool wake;

	/* not over an error a chained split already reported */
	if (clone->bi_status)
		orig->bi_status = clone->bi_status;
	/*
	 * The store lost a preserved chunk: no snapshot that may read it can
	 * be trusted.  The completion may run in an interrupt, where
	 * map_lock cannot be taken: the reclaim work invalidates.
	 */
	if (io->from_store && clone->bi_status &&
	    clone->bi_status != BLK_STS_AGAIN) {
		atomic_set(&lun->store_read_err, 1);
		queue_work(lun->reclaim_wq, &lun->reclaim_work);
	}
	bio_end_io_acct(orig, io->start);
	wake = vss_lun_read_end(lun, io);
	/* the clone goes back to the bio set before a waiter can free it */
	bio_put(clone);
	if (wake)
		vss_lun_read_wake(lun);
	bio_endio(orig);
}

/* A read that fails before it was accounted or submitted. */
static void vss_snap_read_fail(struct vss_io *io, blk_status_t status)
{
	struct vss_lun *lun = io->lun;
	struct bio *orig = io->orig;
	bool wake;

	wake = vss_lun_read_end(lun, io);
	bio_put(&io->clone);
	if (wake)
		vss_lun_read_wake(lun);
	orig->bi_status = status;
	bio_endio(orig);
}

/*
 * A read of a snapshot device.  Its first extent - chunks that resolve to
 * the same device contiguously - is served here; the rest, if any, is
 * split off and resubmitted to us (submit_bio_noacct(), so one pass
 * handles one split and the block layer orders the rest), as
 * bio_split_to_limits() does.  The read is registered before the maps are
 * looked up, see vss_lun_read_start().
 */
static void vss_snap_submit_bio(struct bio *bio)
{
	struct vss_snapshot *snap = bio->bi_bdev->bd_disk->private_data;
	struct vss_lun *lun = snap->lun;
	sector_t mask = ((sector_t)1 << lun->chunk_shift) - 1;
	struct block_device *bdev;
	struct bio *clone, *split;
	struct vss_io *io;
	sector_t sector, target, len;
	u64 c, n, sc;

	if (op_is_write(bio_op(bio))) {
		if (!bio_sectors(bio))
			bio_endio(bio);		/* flush of a read-only disk */
		else
			bio_io_error(bio);
		return;
	}
	if (READ_ONCE(snap->state) != VSS_SNAP_READY) {
		bio_io_error(bio);
		return;
	}
	if (!bio_sectors(bio)) {
		bio_endio(bio);
		return;
	}
	clone = bio_alloc_clone(lun->backing.bdev, bio, GFP_NOIO, &lun->bs);
	if (!clone) {
		bio_io_error(bio);
		return;
	}
	io = container_of(clone, struct vss_io, clone);
	io->lun = lun;
	io->orig = bio;
	sector = bio->bi_iter.bi_sector;
	io->first = vss_sector_to_chunk(lun, sector);
	io->last = vss_sector_to_chunk(lun, bio_end_sector(bio) - 1);
	io->from_store = false;
	clone->bi_end_io = vss_snap_read_endio;
	clone->bi_private = io;
	vss_lun_read_start(lun, io);

	c = io->first;
	spin_lock(&lun->map_lock);
	if (snap->state != VSS_SNAP_READY) {
		/* deleted or invalidated meanwhile (maybe unlinked) */
		spin_unlock(&lun->map_lock);
		vss_snap_read_fail(io, BLK_STS_IOERR);
		return;
	}
	if (vss_snap_resolve_locked(snap, c, &sc)) {
		bdev = lun->store_dev.bdev;
		target = vss_store_chunk_sector(lun->store, sc) +
			 (sector & mask);
		io->from_store = true;
		n = 1;
	} else {
		bdev = lun->backing.bdev;
		target = sector;
		for (n = 1; c + n <= io->last; n++)
			if (vss_snap_resolve_locked(snap, c + n, &sc))
				break;
	}
	spin_unlock(&lun->map_lock);

	len = vss_chunk_to_sector(lun, c + n) - sector;
	if (len < bio_sectors(bio)) {
		/* @bio keeps the rest and comes back to us */
		split = bio_split(bio, len, GFP_NOIO, &lun->split_bs);
		if (IS_ERR_OR_NULL(split)) {
			vss_snap_read_fail(io, BLK_STS_RESOURCE);
			return;
		}
		bio_chain(split, bio);
		bio_trim(clone, 0, len);
		io->orig = split;
		submit_bio_noacct(bio);
	}
	io->start = bio_start_io_acct(io->orig);
	bio_set_dev(clone, bdev);
	clone->bi_iter.bi_sector = target;
	submit_bio_noacct(clone);
}

static void vss_snap_free_disk(struct gendisk *disk)
{
	vss_snapshot_put(disk->private_data);
}

/*
 * Called under the disk's open_mutex, under which deletes and LUN removal
 * check for openers and change the state.
 */
static int vss_snap_disk_open(VSS_BDOPS_OPEN_ARGS)
{
	struct vss_snapshot *snap = VSS_BDOPS_OPEN_DISK->private_data;

	if (READ_ONCE(snap->lun->removed) ||
	    READ_ONCE(snap->state) != VSS_SNAP_READY)
		return -ENXIO;
	return 0;
}

static const struct block_device_operations vss_snap_fops = {
	.owner		= THIS_MODULE,
	.open		= vss_snap_disk_open,
	.submit_bio	= vss_snap_submit_bio,
	.free_disk	= vss_snap_free_disk,
};

static int vss_snap_alloc_disk(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;
	struct gendisk *disk;

	disk = vss_lun_alloc_disk(lun->backing.bdev, lun->store_dev.bdev,
				  false);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	disk->fops = &vss_snap_fops;
	disk->private_data = snap;
	snprintf(disk->disk_name, DISK_NAME_LEN, "vss-%s-s%u", lun->name,
		 snap->ps.seq);
	set_capacity(disk, lun->sectors);
	snap->disk = disk;
	return 0;
}

/* Under snap_mutex. */
static int vss_snap_add_disk(struct vss_snapshot *snap)
{
	int ret;

	if (!snap->disk) {
		ret = vss_snap_alloc_disk(snap);
		if (ret)
			return ret;
	}
	vss_snap_get(snap);		/* dropped by ->free_disk */
	/*
	 * Read-only from the first moment it is visible; set_disk_ro() would
	 * send a change uevent for a device not added yet.
	 */
	set_bit(GD_READ_ONLY, &snap->disk->state);
	ret = add_disk(snap->disk);
	if (ret) {
		vss_snapshot_put(snap);
		return ret;
	}
	snap->disk_added = true;
	spin_lock(&snap->lun->map_lock);
	snap->devt = disk_devt(snap->disk);
	spin_unlock(&snap->lun->map_lock);
	return 0;
}

/*
 * Under snap_mutex, or once @snap is unlinked (then only its deleter
 * touches the disk).  Not while a LUN is held: del_gendisk() waits for
 * I/O and for udev's openers.
 */
static void vss_snap_del_disk(struct vss_snapshot *snap)
{
	struct gendisk *disk = snap->disk;

	if (!disk)
		return;
	spin_lock(&snap->lun->map_lock);
	snap->devt = 0;
	spin_unlock(&snap->lun->map_lock);
	if (snap->disk_added)
		del_gendisk(disk);
	snap->disk = NULL;
	snap->disk_added = false;
	put_disk(disk);
}

static bool vss_snap_open(struct vss_snapshot *snap)
{
	struct gendisk *disk = snap->disk_added ? snap->disk : NULL;
	bool open;

	if (!disk)
		return false;
	mutex_lock(&disk->open_mutex);
	open = disk_openers(disk);
	mutex_unlock(&disk->open_mutex);
	return open;
}

/*
 * @snap stops preserving data: it becomes invalid or is being dropped.  If
 * it was the newest live snapshot, the writes it would have preserved wait
 * at the gate until that is durable (vss_snap_gate_release()): after a
 * crash the log must not show a snapshot whose chunks were overwritten.
 * Under map_lock.
 */
static void vss_snap_stop_locked(struct vss_snapshot *snap,
				 enum vss_snapshot_state state)
{
	struct vss_lun *lun = snap->lun;

	if (snap == lun->newest && vss_snap_live(snap))
		lun->gate = true;
	WRITE_ONCE(snap->state, state);
}

/*
 * Change @snap's state unless its device is open, atomically with opens
 * (the device's ->open checks the state under the same open_mutex).
 * @gate: without a hold, see vss_snap_stop_locked().  Under snap_mutex.
 */
static bool vss_snap_stop_unless_open(struct vss_snapshot *snap,
				      enum vss_snapshot_state state, bool gate)
{
	struct gendisk *disk = snap->disk_added ? snap->disk : NULL;
	struct vss_lun *lun = snap->lun;
	bool open = false;

	if (disk) {
		mutex_lock(&disk->open_mutex);
		open = disk_openers(disk);
	}
	if (!open) {
		spin_lock(&lun->map_lock);
		if (gate)
			vss_snap_stop_locked(snap, state);
		else
			WRITE_ONCE(snap->state, state);
		spin_unlock(&lun->map_lock);
	}
	if (disk)
		mutex_unlock(&disk->open_mutex);
	return !open;
}

/**
 * vss_snap_any_open - is a snapshot device of the LUN open?
 * @lun: the LUN
 *
 * Context: process context, takes &vss_lun.snap_mutex.
 * Return: true if one is.
 */
bool vss_snap_any_open(struct vss_lun *lun)
{
	struct vss_snapshot *snap;
	bool open = false;

	mutex_lock(&lun->snap_mutex);
	list_for_each_entry(snap, &lun->snaps, lun_node)
		open |= vss_snap_open(snap);
	mutex_unlock(&lun->snap_mutex);
	return open;
}

/* ---- dropping entries ---- */

/*
 * Store chunks no map names any more.  They are freed in batches, each one
 * after the snapshot reads that may still use them completed; while
 * replaying they are only collected (vss_snap_replay_done() frees them).
 */
struct vss_dropper {
	struct vss_lun *lun;
	bool replay;
	int err;
	unsigned int n;
	u64 chunks[VSS_DROP_BATCH];
};

/* Without map_lock. */
static void vss_drop_flush(struct vss_dropper *d)
{
	struct vss_lun *lun = d->lun;
	unsigned int i;
	int ret;

	if (!d->n)
		return;
	if (d->replay) {
		for (i = 0; i < d->n; i++) {
			ret = xa_err(xa_store(&lun->replay_dropped, d->chunks[i],
					      xa_mk_value(1), GFP_KERNEL));
			if (ret)
				d->err = ret;
		}
	} else {
		vss_lun_read_sync(lun, vss_lun_read_barrier(lun), VSS_ALL_CHUNKS);
		for (i = 0; i < d->n; i++)
			vss_store_free(lun->store, d->chunks[i]);
		spin_lock(&lun->map_lock);
		lun->reclaim_gen++;
		spin_unlock(&lun->map_lock);
	}
	d->n = 0;
}

/*
 * Record a dropped chunk; returns true when the batch is full and must be
 * flushed (the caller drops map_lock around vss_drop_flush()).
 */
static bool vss_drop_add(struct vss_dropper *d, u64 store_chunk)
{
	d->chunks[d->n++] = store_chunk;
	return d->n == VSS_DROP_BATCH;
}

/* Empty @snap's map.  Under snap_mutex, no COW active for @snap. */
static void vss_snap_drop_all(struct vss_snapshot *snap, struct vss_dropper *d)
{
	struct vss_lun *lun = snap->lun;
	unsigned long idx;
	void *e;

	spin_lock(&lun->map_lock);
	xa_for_each(&snap->map, idx, e) {
		xa_erase(&snap->map, idx);
		snap->nr_entries--;
		vss_snap_any_dec_locked(lun, idx);
		if (vss_drop_add(d, xa_to_value(e))) {
			spin_unlock(&lun->map_lock);
			vss_drop_flush(d);
			cond_resched();
			spin_lock(&lun->map_lock);
		}
	}
	spin_unlock(&lun->map_lock);
	vss_drop_flush(d);
}

/* The snapshot before @snap in creation order, or NULL.  Under snap_mutex. */
static struct vss_snapshot *vss_snap_prev(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;

	if (snap->lun_node.prev == &lun->snaps)
		return NULL;
	return list_prev_entry(snap, lun_node);
}

/*
 * Handover, step 1 (may fail, changes nothing visible): reserve the slots
 * of S(i-1) that will receive entries.  Under snap_mutex, no COW active
 * for @snap.  Returns the receiving snapshot (NULL: nothing is handed over).
 */
static int vss_snap_merge_prepare(struct vss_snapshot *snap, gfp_t gfp,
				  struct vss_snapshot **to)
{
	struct vss_snapshot *prev = vss_snap_prev(snap);
	unsigned long idx, done;
	unsigned int noio;
	void *e;
	int ret = 0;

	*to = NULL;
	if (!prev || prev->state == VSS_SNAP_INVALID)
		return 0;
	noio = memalloc_noio_save();
	xa_for_each(&snap->map, idx, e) {
		if (xa_load(&prev->map, idx))
			continue;
		ret = xa_reserve(&prev->map, idx, gfp);
		if (ret)
			break;
	}
	memalloc_noio_restore(noio);
	if (ret) {
		done = idx;
		xa_for_each_range(&snap->map, idx, e, 0, done)
			xa_release(&prev->map, idx);
		return ret;
	}
	*to = prev;
	return 0;
}

/*
 * Handover, step 2 (cannot fail): move or drop every entry, unlink @snap.
 * Each chunk moves atomically under map_lock, so a concurrent read finds
 * it in S(i-1) or in Si.  Under snap_mutex.
 */
static void vss_snap_merge_apply(struct vss_snapshot *snap,
				 struct vss_snapshot *to,
				 struct vss_dropper *d)
{
	struct vss_lun *lun = snap->lun;
	unsigned long idx;
	void *e;

	spin_lock(&lun->map_lock);
	xa_for_each(&snap->map, idx, e) {
		xa_erase(&snap->map, idx);
		snap->nr_entries--;
		if (to && !xa_load(&to->map, idx)) {
			/* reserved by vss_snap_merge_prepare() */
			xa_store(&to->map, idx, e, GFP_NOWAIT);
			to->nr_entries++;
			continue;
		}
		vss_snap_any_dec_locked(lun, idx);
		if (vss_drop_add(d, xa_to_value(e))) {
			spin_unlock(&lun->map_lock);
			vss_drop_flush(d);
			cond_resched();
			spin_lock(&lun->map_lock);
		}
	}
	if (lun->newest == snap)
		lun->newest = vss_snap_prev(snap);
	list_del_init(&snap->lun_node);
	spin_unlock(&lun->map_lock);
	vss_drop_flush(d);
	lun->slot_snap[snap->ps.slot] = NULL;
	clear_bit(snap->ps.slot, lun->slots);
}

static bool vss_snap_cow_idle(struct vss_snapshot *snap)
{
	bool idle;

	spin_lock(&snap->lun->map_lock);
	idle = !snap->cow_active;
	spin_unlock(&snap->lun->map_lock);
	return idle;
}

static void vss_snap_set_state(struct vss_snapshot *snap,
			       enum vss_snapshot_state state)
{
	spin_lock(&snap->lun->map_lock);
	WRITE_ONCE(snap->state, state);
	spin_unlock(&snap->lun->map_lock);
}

/* ---- store usage, invalidation, store-full reclaim ---- */

/**
 * vss_snap_store_usage - send VSS_EV_STORE_LOW once usage crosses 90%
 * @lun: the LUN
 *
 * Re-armed when usage falls below 80%.
 *
 * Context: process context.
 */
void vss_snap_store_usage(struct vss_lun *lun)
{
	u64 nr = vss_store_nr_chunks(lun->store);
	u64 used = vss_store_used_chunks(lun->store);

	if (used * 10 >= nr * 9) {
		if (!atomic_xchg(&lun->store_low, 1))
			vss_event_lun(VSS_EV_STORE_LOW, lun);
	} else if (used * 10 < nr * 8) {
		atomic_set(&lun->store_low, 0);
	}
}

/**
 * vss_snap_fail_all_locked - invalidate every live snapshot of a LUN
 * @lun: the LUN
 *
 * After a failed copy or commit: every live snapshot may read the lost
 * chunk through the newest one.  Reads fail at once; the reclaim work makes
 * it durable and frees the chunks.
 *
 * Context: &vss_lun.map_lock held.
 */
void vss_snap_fail_all_locked(struct vss_lun *lun)
{
	struct vss_snapshot *snap;

	lockdep_assert_held(&lun->map_lock);
	list_for_each_entry(snap, &lun->snaps, lun_node)
		if (vss_snap_live(snap))
			vss_snap_stop_locked(snap, VSS_SNAP_INVALID);
}

/**
 * vss_snap_gate_release - let the writes at the gate go
 * @lun: the LUN
 *
 * Once no snapshot is invalid in memory only, the writes that waited for
 * that to be durable are re-evaluated (they go to the origin, or are
 * preserved for a newer snapshot).  A failed invalidation record releases
 * them too: the origin never fails because of a snapshot.
 *
 * Context: process context, &vss_lun.snap_mutex held.
 */
void vss_snap_gate_release(struct vss_lun *lun)
{
	struct vss_snapshot *snap;
	bool kick;

	lockdep_assert_held(&lun->snap_mutex);
	spin_lock(&lun->map_lock);
	list_for_each_entry(snap, &lun->snaps, lun_node) {
		if (snap->state == VSS_SNAP_INVALID && !snap->inval_done) {
			spin_unlock(&lun->map_lock);
			return;
		}
	}
	lun->gate = false;
	kick = !list_empty(&lun->gated);
	list_splice_tail_init(&lun->gated, &lun->requeue);
	spin_unlock(&lun->map_lock);
	if (kick)
		queue_work(lun->cow_wq, &lun->requeue_work);
}

/*
 * Snapshots whose invalidation the store could not record (its writes
 * failed, or it is gone): on the store they are still valid.  The module
 * remembers their ids while it is loaded, so that adding the store again
 * (once the device works) records the invalidation before the snapshot
 * can be read; a reboot or an rmmod forgets them (the kernel log said
 * so).  Bounded: past VSS_MAX_UNRECORDED ids, only the log message is left.
 */
struct vss_unrecorded {
	struct list_head node;
	uuid_t id;
};

#define VSS_MAX_UNRECORDED	4096
static DEFINE_MUTEX(vss_unrecorded_lock);	/* protects the two below */
static LIST_HEAD(vss_unrecorded);
static unsigned int vss_nr_unrecorded;

static void vss_snap_remember_unrecorded(const uuid_t *id)
{
	struct vss_unrecorded *u = kmalloc(sizeof(*u), GFP_NOIO);

	if (!u)
		return;
	uuid_copy(&u->id, id);
	mutex_lock(&vss_unrecorded_lock);
	if (vss_nr_unrecorded < VSS_MAX_UNRECORDED) {
		list_add_tail(&u->node, &vss_unrecorded);
		vss_nr_unrecorded++;
		u = NULL;
	}
	mutex_unlock(&vss_unrecorded_lock);
	kfree(u);
}

/* Was @id's invalidation lost?  Forgets it. */
static bool vss_snap_take_unrecorded(const uuid_t *id)
{
	struct vss_unrecorded *u;
	bool found = false;

	mutex_lock(&vss_unrecorded_lock);
	list_for_each_entry(u, &vss_unrecorded, node) {
		if (uuid_equal(&u->id, id)) {
			list_del(&u->node);
			vss_nr_unrecorded--;
			kfree(u);
			found = true;
			break;
		}
	}
	mutex_unlock(&vss_unrecorded_lock);
	return found;
}

/**
 * vss_snap_exit - forget the unrecorded invalidations at module unload
 *
 * Context: process context, module exit.
 */
void vss_snap_exit(void)
{
	struct vss_unrecorded *u, *tmp;

	mutex_lock(&vss_unrecorded_lock);
	list_for_each_entry_safe(u, tmp, &vss_unrecorded, node)
		kfree(u);
	INIT_LIST_HEAD(&vss_unrecorded);
	vss_nr_unrecorded = 0;
	mutex_unlock(&vss_unrecorded_lock);
}

/* Make an invalidation durable and free the chunks.  Under snap_mutex. */
static void vss_snap_finish_invalidate(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;
	struct vss_dropper d = { .lun = lun };
	int ret;

	wait_event(lun->cow_idle_wq, vss_snap_cow_idle(snap));
	snap->inval_done = true;
	if (!snap->persisted) {
		/*
		 * Its records are provisional in the log: the chunks are freed
		 * by the delete (after a durable record), never before.
		 */
		pr_warn("%s: snapshot s%u invalidated\n", lun->name,
			snap->ps.seq);
		vss_event_snapshot(VSS_EV_SNAPSHOT_INVALIDATED, snap);
		return;
	}
	ret = vss_store_snapshot_invalidate(lun->store, snap->ps.slot);
	if (ret) {
		/* keep the chunks: the store may still name them */
		pr_err("%s: snapshot s%u: invalidate record failed (%d): after a crash it may come back as if valid; do not trust it\n",
		       lun->name, snap->ps.seq, ret);
		vss_snap_remember_unrecorded(&snap->ps.id);
		vss_event_snapshot(VSS_EV_SNAPSHOT_INVALIDATED, snap);
		return;
	}
	vss_snap_drop_all(snap, &d);
	pr_warn("%s: snapshot s%u invalidated\n", lun->name, snap->ps.seq);
	vss_event_snapshot(VSS_EV_SNAPSHOT_INVALIDATED, snap);
}

/* Make every pending invalidation durable, then open the gate.  Under snap_mutex. */
static void vss_snap_finish_invalidations(struct vss_lun *lun)
{
	struct vss_snapshot *snap;

	list_for_each_entry(snap, &lun->snaps, lun_node)
		if (READ_ONCE(snap->state) == VSS_SNAP_INVALID &&
		    !snap->inval_done)
			vss_snap_finish_invalidate(snap);
	vss_snap_gate_release(lun);
}

static bool vss_snap_is_newest(struct vss_snapshot *snap)
{
	bool newest;

	spin_lock(&snap->lun->map_lock);
	newest = snap->lun->newest == snap;
	spin_unlock(&snap->lun->map_lock);
	return newest;
}

/*
 * Delete a persisted snapshot (ready or invalid) with handover.  Under
 * snap_mutex.  @held: no write can have escaped preservation while we
 * worked (the LUN is held, or @snap is not the newest), so a failure can
 * restore the snapshot; otherwise (reclaim of the newest) writes went on.
 * On success the caller ends the snapshot (vss_snap_finish_delete()).
 */
static int vss_snap_delete_locked(struct vss_snapshot *snap, bool held,
				  struct netlink_ext_ack *extack)
{
	struct vss_lun *lun = snap->lun;
	struct vss_dropper d = { .lun = lun };
	enum vss_snapshot_state old = READ_ONCE(snap->state);
	struct vss_snapshot *to;
	int ret;

	if (old != VSS_SNAP_READY && old != VSS_SNAP_INVALID) {
		NL_SET_ERR_MSG(extack, "snapshot is being deleted");
		return -ENOENT;
	}
	/* no new COW for it; the active ones record before our delete does */
	if (!vss_snap_stop_unless_open(snap, VSS_SNAP_DELETING, !held)) {
		NL_SET_ERR_MSG(extack, "snapshot device is open");
		return -EBUSY;
	}
	wait_event(lun->cow_idle_wq, vss_snap_cow_idle(snap));

	ret = vss_snap_merge_prepare(snap, held ? GFP_KERNEL : GFP_NOIO, &to);
	if (ret) {
		NL_SET_ERR_MSG(extack, "out of memory");
		goto restore;
	}
	ret = vss_store_snapshot_delete(lun->store, snap->ps.slot);
	if (ret) {
		NL_SET_ERR_MSG(extack, "store: cannot write the delete record");
		if (to) {
			unsigned long idx;
			void *e;

			xa_for_each(&snap->map, idx, e)
				xa_release(&to->map, idx);
		}
		goto restore;
	}
	vss_snap_merge_apply(snap, to, &d);
	return 0;

restore:
	/*
	 * Writes were held, nothing escaped preservation; otherwise writes
	 * may have passed unpreserved: the snapshot is no longer exact.
	 */
	vss_snap_set_state(snap, held ? old : VSS_SNAP_INVALID);
	return ret;
}

/* Outside every lock and hold: the snapshot is gone. */
static void vss_snap_finish_delete(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;

	vss_snap_del_disk(snap);
	pr_info("%s: snapshot s%u deleted\n", lun->name, snap->ps.seq);
	vss_event_snapshot(VSS_EV_SNAPSHOT_DELETED, snap);
	vss_snap_store_usage(lun);
	vss_cow_kick_parked(lun);
	vss_snap_list_del(snap);
	vss_snapshot_put(snap);		/* the LUN's reference */
}

/**
 * vss_snap_reclaim_work - store-full policy and deferred invalidations
 * @work: &vss_lun.reclaim_work
 *
 * Context: the LUN's ordered reclaim workqueue; takes &vss_lun.snap_mutex.
 */
void vss_snap_reclaim_work(struct work_struct *work)
{
	struct vss_lun *lun = container_of(work, struct vss_lun, reclaim_work);
	struct vss_snapshot *snap, *victim = NULL, *young = NULL;
	bool nospc;

	if (READ_ONCE(test_reclaim_delay_ms))
		msleep(READ_ONCE(test_reclaim_delay_ms));
	spin_lock(&lun->map_lock);
	nospc = lun->nospc && lun->nospc_gen == lun->reclaim_gen;
	spin_unlock(&lun->map_lock);
	if (nospc)
		vss_event_lun(VSS_EV_STORE_FULL, lun);
	if (atomic_xchg(&lun->store_read_err, 0)) {
		pr_err("%s: a snapshot read from the store failed, snapshots invalidated\n",
		       lun->name);
		spin_lock(&lun->map_lock);
		vss_snap_fail_all_locked(lun);
		spin_unlock(&lun->map_lock);
	}

	mutex_lock(&lun->snap_mutex);
	vss_snap_finish_invalidations(lun);

	spin_lock(&lun->map_lock);
	/* a failure older than the last free gets a retry, not a victim */
	nospc = lun->nospc && lun->nospc_gen == lun->reclaim_gen;
	lun->nospc = false;
	if (nospc) {
		list_for_each_entry(snap, &lun->snaps, lun_node) {
			if (snap->state == VSS_SNAP_READY) {
				victim = snap;
				break;
			}
		}
		/*
		 * No ready one: only a snapshot still being created is live.
		 * It cannot be dropped (its set owns it) and waiting for it
		 * would spin with the parked copies: it is invalidated, and its
		 * set fails.
		 */
		if (!victim && lun->newest && lun->newest->state ==
		    VSS_SNAP_COMMITTED) {
			young = lun->newest;
			vss_snap_stop_locked(young, VSS_SNAP_INVALID);
		}
	}
	spin_unlock(&lun->map_lock);

	if (young) {
		pr_warn("%s: store full while snapshot s%u is being created: invalidated\n",
			lun->name, young->ps.seq);
		vss_snap_finish_invalidate(young);
	}
	if (victim) {
		bool open = vss_snap_open(victim);

		pr_warn("%s: store full, dropping snapshot s%u%s\n", lun->name,
			victim->ps.seq, open ? " (open: invalidated)" : "");
		if (open || vss_snap_delete_locked(victim, false, NULL)) {
			/* in use (or the delete failed): invalidate instead */
			spin_lock(&lun->map_lock);
			vss_snap_stop_locked(victim, VSS_SNAP_INVALID);
			spin_unlock(&lun->map_lock);
			vss_snap_finish_invalidate(victim);
			victim = NULL;
		}
	}
	spin_lock(&lun->map_lock);
	lun->reclaim_gen++;
	spin_unlock(&lun->map_lock);
	vss_snap_gate_release(lun);
	mutex_unlock(&lun->snap_mutex);

	if (victim)
		vss_snap_finish_delete(victim);
	vss_cow_kick_parked(lun);
}

/* ---- snapshot creation (the set protocol, see vss.h) ---- */

/**
 * vss_snapshot_prepare - allocate a snapshot, everything that can fail
 * @lun: the LUN
 * @id: snapshot id (unique)
 * @set_id: snapshot-set id
 * @extack: reason of a refusal
 * @out: the snapshot, with a reference for the caller
 *
 * Context: process context, sleeps.
 * Return: 0 or a negative errno with @extack set.
 */
int vss_snapshot_prepare(struct vss_lun *lun, const uuid_t *id,
			 const uuid_t *set_id, struct netlink_ext_ack *extack,
			 struct vss_snapshot **out)
{
	struct vss_snapshot *snap, *dup;
	unsigned int slot;
	int ret;

	dup = vss_snapshot_find(id);
	if (dup) {
		vss_snapshot_put(dup);
		NL_SET_ERR_MSG(extack, "a snapshot with this id exists");
		return -EEXIST;
	}
	mutex_lock(&lun->snap_mutex);
	if (READ_ONCE(lun->removed)) {
		NL_SET_ERR_MSG(extack, "LUN is being removed");
		ret = -ENODEV;
		goto out_unlock;
	}
	if (vss_resync_lun_busy(lun)) {
		/* its point in time would mix the LUN and the target */
		NL_SET_ERR_MSG(extack, "the LUN is being resynced");
		vss_set_hresult(extack, VSS_E_RESYNC_IN_PROGRESS);
		ret = -EBUSY;
		goto out_unlock;
	}
	if (lun->preparing) {
		NL_SET_ERR_MSG(extack, "a snapshot of this LUN is being created");
		ret = -EBUSY;
		goto out_unlock;
	}
	slot = find_first_zero_bit(lun->slots, VSS_MAX_SNAPSHOTS);
	if (slot >= VSS_MAX_SNAPSHOTS) {
		NL_SET_ERR_MSG(extack, "LUN has the maximum number of snapshots");
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (snprintf(NULL, 0, "vss-%s-s%u", lun->name, lun->next_seq) >=
	    DISK_NAME_LEN) {
		NL_SET_ERR_MSG(extack, "snapshot device name would be too long");
		ret = -ENAMETOOLONG;
		goto out_unlock;
	}
	ret = -ENOMEM;
	snap = vss_snap_alloc(lun);
	if (!snap)
		goto out_unlock;
	snap->ps.slot = slot;
	snap->ps.seq = lun->next_seq++;
	uuid_copy(&snap->ps.id, id);
	uuid_copy(&snap->ps.set_id, set_id);
	snap->state = VSS_SNAP_PREPARED;
	snap->owned = true;
	ret = vss_snap_alloc_disk(snap);
	if (ret)
		goto bad_disk;
	set_bit(slot, lun->slots);
	lun->slot_snap[slot] = snap;
	lun->preparing = snap;
	vss_snap_list_add(snap);
	mutex_unlock(&lun->snap_mutex);
	vss_snap_get(snap);
	*out = snap;
	return 0;

bad_disk:
	vss_snapshot_put(snap);
out_unlock:
	mutex_unlock(&lun->snap_mutex);
	return ret;
}

/**
 * vss_snapshot_commit - take the point in time: make @snap the newest
 * @snap: a prepared snapshot
 *
 * Context: the LUN is held (vss_lun_hold()): no write is in flight.  Does
 * no I/O, cannot fail; takes &vss_lun.snap_mutex (the snapshot list is
 * walked under either lock, so it changes under both).
 */
void vss_snapshot_commit(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;

	mutex_lock(&lun->snap_mutex);
	spin_lock(&lun->map_lock);
	if (!WARN_ON_ONCE(snap->state != VSS_SNAP_PREPARED)) {
		snap->ps.created_ns = ktime_get_real_ns();
		list_add_tail(&snap->lun_node, &lun->snaps);
		lun->newest = snap;
		WRITE_ONCE(snap->state, VSS_SNAP_COMMITTED);
	}
	spin_unlock(&lun->map_lock);
	mutex_unlock(&lun->snap_mutex);
}

/**
 * vss_snapshot_persist - make a committed snapshot durable, add its device
 * @snap: the snapshot
 *
 * COWs for @snap may already have issued exception records; the store
 * keeps them provisional until this create record follows.
 *
 * Context: process context, sleeps (synchronous store write).
 * Return: 0 or a negative errno; on error the caller deletes @snap.
 */
int vss_snapshot_persist(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;
	int ret;

	mutex_lock(&lun->snap_mutex);
	if (READ_ONCE(snap->state) != VSS_SNAP_COMMITTED) {
		mutex_unlock(&lun->snap_mutex);
		return -EINVAL;
	}
	ret = vss_store_snapshot_create(lun->store, &snap->ps);
	if (ret) {
		mutex_unlock(&lun->snap_mutex);
		pr_err("%s: snapshot s%u: create record failed: %d\n",
		       lun->name, snap->ps.seq, ret);
		return ret;
	}
	snap->persisted = true;
	snap->owned = false;
	lun->preparing = NULL;
	spin_lock(&lun->map_lock);
	/* an I/O error may have invalidated it meanwhile */
	if (snap->state == VSS_SNAP_COMMITTED)
		WRITE_ONCE(snap->state, VSS_SNAP_READY);
	spin_unlock(&lun->map_lock);
	ret = vss_snap_add_disk(snap);
	mutex_unlock(&lun->snap_mutex);

	vss_cow_kick_parked(lun);
	if (ret) {
		pr_err("%s: snapshot s%u: cannot add device: %d\n", lun->name,
		       snap->ps.seq, ret);
		return ret;
	}
	pr_info("%s: snapshot s%u created\n", lun->name, snap->ps.seq);
	vss_event_snapshot(VSS_EV_SNAPSHOT_CREATED, snap);
	return 0;
}

/*
 * Forget a snapshot the store never heard of: prepared, or committed with
 * an empty map (then the LUN is held: no COW can target it).  The previous
 * snapshot becomes the newest again; nothing was preserved in between.
 */
static void vss_snap_unpersisted_delete_locked(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;

	spin_lock(&lun->map_lock);
	WARN_ON_ONCE(snap->nr_entries);
	if (!list_empty(&snap->lun_node)) {
		if (lun->newest == snap)
			lun->newest = vss_snap_prev(snap);
		list_del_init(&snap->lun_node);
	}
	WRITE_ONCE(snap->state, VSS_SNAP_DELETING);
	spin_unlock(&lun->map_lock);
	if (lun->preparing == snap)
		lun->preparing = NULL;
	lun->slot_snap[snap->ps.slot] = NULL;
	clear_bit(snap->ps.slot, lun->slots);
}

/* Outside every lock and hold: a snapshot the store never heard of is gone. */
static void vss_snap_forget(struct vss_snapshot *snap)
{
	vss_snap_del_disk(snap);
	vss_cow_kick_parked(snap->lun);
	vss_snap_list_del(snap);
	vss_snapshot_put(snap);		/* the LUN's reference */
}

/*
 * A committed snapshot whose create record is not durable, with data in
 * its map (provisional records in the log), is made durable first so that
 * the delete can hand its chunks over like any other.  If the store cannot
 * write, nothing on it can be trusted any more: invalidate everything and
 * keep the chunks and the slot until the next open.  Under snap_mutex with
 * the LUN held.  Returns true if @snap is now an ordinary persisted one.
 */
static bool vss_snap_persist_for_delete(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;
	int ret;

	ret = vss_store_snapshot_create(lun->store, &snap->ps);
	if (!ret) {
		snap->persisted = true;
		if (lun->preparing == snap)
			lun->preparing = NULL;
		spin_lock(&lun->map_lock);
		if (snap->state == VSS_SNAP_COMMITTED)
			WRITE_ONCE(snap->state, VSS_SNAP_READY);
		spin_unlock(&lun->map_lock);
		return true;
	}
	pr_err("%s: snapshot s%u: store failed (%d), snapshots invalidated\n",
	       lun->name, snap->ps.seq, ret);
	spin_lock(&lun->map_lock);
	vss_snap_fail_all_locked(lun);
	if (lun->newest == snap)
		lun->newest = vss_snap_prev(snap);
	list_del_init(&snap->lun_node);
	WRITE_ONCE(snap->state, VSS_SNAP_DELETING);
	spin_unlock(&lun->map_lock);
	if (lun->preparing == snap)
		lun->preparing = NULL;
	queue_work(lun->reclaim_wq, &lun->reclaim_work);
	return false;
}

/* What the enumeration of a checkpoint needs (vss_snap_enumerate()). */
struct vss_snap_cp {
	struct vss_lun *lun;
	bool thaw;
};

/*
 * Compact the store's log if worth it.  Under snap_mutex; with @frozen,
 * the caller's vss_cow_freeze() is in force and ended here (as soon as the
 * store carries new records over), else no write can reach the LUN.  Not
 * while a committed snapshot is not durable yet: its exception records are
 * provisional in the old log (no create record), the new one would not
 * have them, and the old one is freed.
 */
static void vss_snap_checkpoint_locked(struct vss_lun *lun, bool frozen)
{
	struct vss_snap_cp cp = { .lun = lun, .thaw = frozen };
	struct vss_snapshot *snap;
	unsigned long idx;
	ktime_t t0;
	void *e;
	int ret;

	if (!vss_store_needs_checkpoint(lun->store))
		goto out;
	list_for_each_entry(snap, &lun->snaps, lun_node)
		if (!snap->persisted)
			goto out;
	/* pending invalidations first: their chunks must not be listed */
	vss_snap_finish_invalidations(lun);
	t0 = ktime_get();
	ret = vss_store_checkpoint(lun->store, vss_snap_enumerate, &cp);
	if (ret)
		pr_warn("%s: checkpoint failed: %d\n", lun->name, ret);
	else
		pr_info("%s: store log compacted in %lld ms\n", lun->name,
			ktime_ms_delta(ktime_get(), t0));
	/* the records are in the new log (or the old one stays): unmark */
	spin_lock(&lun->map_lock);
	lun->cp_marking = false;
	spin_unlock(&lun->map_lock);
	list_for_each_entry(snap, &lun->snaps, lun_node)
		xa_for_each_marked(&snap->map, idx, e, VSS_MAP_CARRIED)
			xa_clear_mark(&snap->map, idx, VSS_MAP_CARRIED);
out:
	if (cp.thaw)
		vss_cow_thaw(lun);
}

/*
 * Compact the store's log while the LUN is in use: neither its writes nor
 * its copies wait for the new log.  Copies are stopped only until those in
 * flight have ended (vss_cow_freeze()), which makes a clean cut: every
 * exception committed before it is in the maps, and the store carries
 * every later one over.  One checkpoint at a time: a second caller would
 * keep copies frozen while it waits for snap_mutex.
 */
static void vss_snap_checkpoint_online(struct vss_lun *lun)
{
	unsigned int noio;
	bool busy;

	if (!vss_store_needs_checkpoint(lun->store))
		return;
	spin_lock(&lun->map_lock);
	busy = lun->cp_busy;
	lun->cp_busy = true;
	spin_unlock(&lun->map_lock);
	if (busy)
		return;
	noio = memalloc_noio_save();
	/* copies that do not end: no checkpoint now, the next delete tries */
	if (!vss_cow_freeze(lun, msecs_to_jiffies(VSS_HOLD_MAX_MS))) {
		mutex_lock(&lun->snap_mutex);
		vss_snap_checkpoint_locked(lun, true);
		mutex_unlock(&lun->snap_mutex);
	}
	memalloc_noio_restore(noio);
	spin_lock(&lun->map_lock);
	lun->cp_busy = false;
	spin_unlock(&lun->map_lock);
}

/*
 * The delete itself; @owner: the set that creates @snap asks (it may
 * delete a snapshot it owns).  Caller: vss_lun_op_begin() done.
 */
static int vss_snap_delete(struct vss_snapshot *snap, bool owner,
			   struct netlink_ext_ack *extack)
{
	struct vss_lun *lun = snap->lun;
	bool forget = false;
	unsigned int noio;
	int ret = 0;

	if (vss_resync_pins(snap)) {
		NL_SET_ERR_MSG(extack, "snapshot is the source of a resync");
		vss_set_hresult(extack, VSS_E_RESYNC_IN_PROGRESS);
		return -EBUSY;
	}
	mutex_lock(&lun->snap_mutex);
	if (snap->owned && !owner) {
		mutex_unlock(&lun->snap_mutex);
		NL_SET_ERR_MSG(extack, "snapshot is being created by a running snapshot set");
		return -EBUSY;
	}
	switch (READ_ONCE(snap->state)) {
	case VSS_SNAP_DELETING:
		mutex_unlock(&lun->snap_mutex);
		NL_SET_ERR_MSG(extack, "snapshot is being deleted");
		return -ENOENT;
	case VSS_SNAP_PREPARED:
		vss_snap_unpersisted_delete_locked(snap);
		mutex_unlock(&lun->snap_mutex);
		vss_snap_forget(snap);
		return 0;
	default:
		break;
	}
	if (vss_snap_open(snap)) {
		mutex_unlock(&lun->snap_mutex);
		NL_SET_ERR_MSG(extack, "snapshot device is open");
		return -EBUSY;
	}
	if (snap->persisted && !vss_snap_is_newest(snap)) {
		/*
		 * COWs only target the newest snapshot, so neither this one
		 * nor its predecessor can change under us, and it cannot
		 * become the newest while we hold snap_mutex: writes go on.
		 * The handover trusts the predecessor's state: make a pending
		 * invalidation of it durable first.
		 */
		vss_snap_finish_invalidations(lun);
		ret = vss_snap_delete_locked(snap, true, extack);
		mutex_unlock(&lun->snap_mutex);
		if (ret)
			return ret;
		vss_snap_finish_delete(snap);
		vss_snap_checkpoint_online(lun);
		return 0;
	}
	mutex_unlock(&lun->snap_mutex);

	/*
	 * Hold first: snap_mutex is never held while a hold drains.  No
	 * allocation in the held window may recurse into I/O on this LUN.
	 */
	noio = memalloc_noio_save();
	ret = vss_lun_hold(lun);
	if (ret) {
		memalloc_noio_restore(noio);
		if (ret == -EINTR)
			NL_SET_ERR_MSG(extack, "interrupted");
		else
			NL_SET_ERR_MSG(extack, "the LUN's writes did not drain within 10 s");
		return ret;
	}
	mutex_lock(&lun->snap_mutex);
	vss_snap_finish_invalidations(lun);
	if (READ_ONCE(snap->state) == VSS_SNAP_DELETING) {
		NL_SET_ERR_MSG(extack, "snapshot is being deleted");
		ret = -ENOENT;
	} else if (!snap->persisted && !snap->nr_entries) {
		vss_snap_unpersisted_delete_locked(snap);
		forget = true;
	} else if (!snap->persisted && !vss_snap_persist_for_delete(snap)) {
		forget = true;
	} else {
		ret = vss_snap_delete_locked(snap, true, extack);
		spin_lock(&lun->map_lock);
		/* held, no COW: the summary's zero entries can go too */
		if (!ret && list_empty(&lun->snaps))
			xa_destroy(&lun->any);
		spin_unlock(&lun->map_lock);
	}
	mutex_unlock(&lun->snap_mutex);
	vss_lun_release(lun);
	memalloc_noio_restore(noio);
	if (forget) {
		vss_snap_forget(snap);
	} else if (!ret) {
		vss_snap_finish_delete(snap);
		/* after the hold: writes go on while the log is compacted */
		vss_snap_checkpoint_online(lun);
	}
	return ret;
}

/**
 * vss_snapshot_abort - undo vss_snapshot_prepare(), or delete what commit made
 * @snap: a snapshot of the caller's running set
 * @extack: reason of a failure
 *
 * Context: process context, sleeps.
 * Return: 0, or the error of the delete (then the snapshot stays, invalid
 * if the store could not record its end).
 */
int vss_snapshot_abort(struct vss_snapshot *snap, struct netlink_ext_ack *extack)
{
	struct vss_lun *lun = snap->lun;
	int ret;

	mutex_lock(&lun->snap_mutex);
	if (READ_ONCE(snap->state) == VSS_SNAP_PREPARED) {
		vss_snap_unpersisted_delete_locked(snap);
		mutex_unlock(&lun->snap_mutex);
		vss_snap_forget(snap);
		return 0;
	}
	mutex_unlock(&lun->snap_mutex);
	/* committed already: that is a delete, by its owner */
	if (READ_ONCE(snap->state) == VSS_SNAP_DELETING)
		return 0;
	ret = vss_lun_op_begin(lun, extack);
	if (ret)
		return ret;
	ret = vss_snap_delete(snap, true, extack);
	mutex_lock(&lun->snap_mutex);
	if (ret) {
		/* the set must not survive on this LUN: it is invalid */
		spin_lock(&lun->map_lock);
		if (vss_snap_live(snap))
			vss_snap_stop_locked(snap, VSS_SNAP_INVALID);
		spin_unlock(&lun->map_lock);
		vss_snap_finish_invalidations(lun);
	}
	snap->owned = false;	/* what is left is the admin's to delete */
	mutex_unlock(&lun->snap_mutex);
	vss_lun_op_end(lun);
	return ret;
}

/**
 * vss_snapshot_delete - delete a snapshot, handing its data over
 * @snap: the snapshot
 * @extack: reason of a refusal
 *
 * Context: process context, sleeps; deleting the newest snapshot holds the
 * LUN's writes for the time of the map merge, other deletes do not.
 * Return: 0; -EBUSY if the snapshot device is open or a running snapshot
 * set is creating it; -ENOENT if already being deleted; -ENODEV if its LUN
 * is being removed; or the store's error.
 */
int vss_snapshot_delete(struct vss_snapshot *snap,
			struct netlink_ext_ack *extack)
{
	struct vss_lun *lun = snap->lun;
	int ret;

	ret = vss_lun_op_begin(lun, extack);
	if (ret)
		return ret;
	ret = vss_snap_delete(snap, false, extack);
	vss_lun_op_end(lun);
	return ret;
}

/**
 * vss_snapshot_break - release a snapshot from its snapshot set
 * @snap: the snapshot
 *
 * BreakSnapshotSet: the snapshot stays, its set id becomes all zeros.  A
 * persisted snapshot (ready or invalid) gets a durable break record first.
 * One seen deleting under snap_mutex has its delete record durable already
 * and one not persisted yet will write its create record with the new id:
 * both change in memory only.  snap_mutex also orders this against
 * checkpoints, which enumerate the set id.
 *
 * Context: process context, sleeps; takes &vss_lun.snap_mutex.
 * Return: 0, or the store's error (the set id is then kept).
 */
int vss_snapshot_break(struct vss_snapshot *snap)
{
	struct vss_lun *lun = snap->lun;
	int ret;

	ret = vss_lun_op_begin(lun, NULL);
	if (ret)
		return ret;
	mutex_lock(&lun->snap_mutex);
	if (snap->persisted && READ_ONCE(snap->state) != VSS_SNAP_DELETING)
		ret = vss_store_snapshot_break(lun->store, snap->ps.slot);
	if (!ret) {
		spin_lock(&lun->map_lock);
		snap->ps.set_id = uuid_null;
		spin_unlock(&lun->map_lock);
	}
	mutex_unlock(&lun->snap_mutex);
	vss_lun_op_end(lun);
	return ret;
}

/* ---- changed-block tracking ---- */

/* Does any of @snap .. Sn map @c?  Under map_lock. */
static bool vss_snap_changed_locked(struct vss_snapshot *snap, u64 c)
{
	struct vss_snapshot *s = snap;

	list_for_each_entry_from(s, &snap->lun->snaps, lun_node)
		if (xa_load(&s->map, c))
			return true;
	return false;
}

/**
 * vss_snapshot_changes - changed-block tracking
 * @snap: the snapshot
 * @start: first chunk to report
 * @cb: called with each extent (in chunks) changed since @snap was taken
 * @arg: passed to @cb
 *
 * The changes since Si are the union of the maps Si..Sn, reported in
 * ascending order, adjacent chunks merged into extents.
 *
 * Context: process context; @cb is called without locks held.
 * Return: 0, the first non-zero return of @cb, or -ENOENT if @snap is
 * being deleted, -EIO if it is invalid.
 */
int vss_snapshot_changes(struct vss_snapshot *snap, u64 start,
			 int (*cb)(void *arg, u64 chunk, u64 nr_chunks),
			 void *arg)
{
	struct vss_lun *lun = snap->lun;
	struct vss_snapshot *s;
	unsigned long idx;
	u64 pos = start, first, end;
	bool found;
	int ret;

	for (;;) {
		spin_lock(&lun->map_lock);
		switch (snap->state) {
		case VSS_SNAP_COMMITTED:
		case VSS_SNAP_READY:
			break;
		case VSS_SNAP_INVALID:
			spin_unlock(&lun->map_lock);
			return -EIO;
		default:
			spin_unlock(&lun->map_lock);
			return -ENOENT;
		}
		found = false;
		first = U64_MAX;
		s = snap;
		list_for_each_entry_from(s, &lun->snaps, lun_node) {
			idx = pos;
			if (xa_find(&s->map, &idx, ULONG_MAX, XA_PRESENT) &&
			    idx < first) {
				first = idx;
				found = true;
			}
		}
		if (!found) {
			spin_unlock(&lun->map_lock);
			return 0;
		}
		/* bounded runs keep the lock hold short */
		for (end = first + 1; end < lun->nr_chunks &&
		     end - first < VSS_CHANGES_RUN; end++)
			if (!vss_snap_changed_locked(snap, end))
				break;
		spin_unlock(&lun->map_lock);

		ret = cb(arg, first, end - first);
		if (ret)
			return ret;
		pos = end;
		cond_resched();
	}
}

/* ---- checkpoint and replay ---- */

/*
 * Was the entry at @idx published after the checkpoint's cut?  Its record
 * is in the store's carry-over then.  cow publishes entry and mark under
 * the map's xa_lock: an entry seen is seen with its mark.
 */
static bool vss_snap_cp_carried(struct vss_snapshot *snap, unsigned long idx)
{
	bool carried;

	xa_lock(&snap->map);
	carried = xa_get_mark(&snap->map, idx, VSS_MAP_CARRIED);
	xa_unlock(&snap->map);
	return carried;
}

/*
 * The store's checkpoint callback: list the live state as of the cut.  The
 * store carries over every record its log takes from the call on; entries
 * published from then on are marked and skipped here, and copies may go
 * on (the caller's freeze ends here).  Entries of the newest snapshot are
 * added meanwhile; no other map changes (snap_mutex).
 */
static int vss_snap_enumerate(void *arg, struct vss_store *st)
{
	struct vss_snap_cp *cp = arg;
	struct vss_lun *lun = cp->lun;
	struct vss_snapshot *snap;
	unsigned long idx;
	void *e;
	int ret;

	lockdep_assert_held(&lun->snap_mutex);
	spin_lock(&lun->map_lock);
	lun->cp_marking = true;
	spin_unlock(&lun->map_lock);
	if (cp->thaw) {
		cp->thaw = false;
		vss_cow_thaw(lun);
	}
	list_for_each_entry(snap, &lun->snaps, lun_node) {
		bool invalid = READ_ONCE(snap->state) == VSS_SNAP_INVALID;

		if (!snap->persisted)
			continue;
		ret = vss_store_cp_snapshot(st, &snap->ps, invalid);
		if (ret)
			return ret;
		if (invalid)
			continue;
		xa_for_each(&snap->map, idx, e) {
			if (vss_snap_cp_carried(snap, idx))
				continue;
			ret = vss_store_cp_exception(st, snap->ps.slot, idx,
						     xa_to_value(e));
			if (ret)
				return ret;
		}
	}
	ret = vss_resync_cp_enumerate(lun, st);	/* after the snapshots */
	if (ret)
		return ret;
	if (READ_ONCE(test_checkpoint_delay_ms))
		msleep_interruptible(READ_ONCE(test_checkpoint_delay_ms));
	return 0;
}

static int vss_snap_replay_create(void *arg, const struct vss_store_snap *s)
{
	struct vss_lun *lun = arg;
	struct vss_snapshot *snap;

	if (s->slot >= VSS_MAX_SNAPSHOTS || test_bit(s->slot, lun->slots))
		return -EINVAL;
	snap = vss_snap_alloc(lun);
	if (!snap)
		return -ENOMEM;
	snap->ps = *s;
	snap->state = VSS_SNAP_READY;
	snap->persisted = true;
	set_bit(s->slot, lun->slots);
	lun->slot_snap[s->slot] = snap;
	spin_lock(&lun->map_lock);
	list_add_tail(&snap->lun_node, &lun->snaps);
	lun->newest = snap;
	spin_unlock(&lun->map_lock);
	lun->next_seq = max(lun->next_seq, s->seq + 1);
	vss_snap_list_add(snap);
	return 0;
}

static struct vss_snapshot *vss_snap_by_slot(struct vss_lun *lun, u16 slot)
{
	if (slot >= VSS_MAX_SNAPSHOTS)
		return NULL;
	return lun->slot_snap[slot];
}

static int vss_snap_replay_delete(void *arg, u16 slot)
{
	struct vss_lun *lun = arg;
	struct vss_snapshot *snap = vss_snap_by_slot(lun, slot);
	struct vss_dropper d = { .lun = lun, .replay = true };
	struct vss_snapshot *to;
	int ret;

	if (!snap)
		return -EINVAL;
	ret = vss_snap_merge_prepare(snap, GFP_KERNEL, &to);
	if (ret)
		return ret;
	snap->state = VSS_SNAP_DELETING;
	vss_snap_merge_apply(snap, to, &d);
	vss_snap_list_del(snap);
	vss_snapshot_put(snap);
	return d.err;
}

static int vss_snap_replay_invalidate(void *arg, u16 slot)
{
	struct vss_lun *lun = arg;
	struct vss_snapshot *snap = vss_snap_by_slot(lun, slot);
	struct vss_dropper d = { .lun = lun, .replay = true };

	if (!snap)
		return -EINVAL;
	snap->state = VSS_SNAP_INVALID;
	snap->inval_done = true;
	vss_snap_drop_all(snap, &d);
	return d.err;
}

static int vss_snap_replay_break(void *arg, u16 slot)
{
	struct vss_lun *lun = arg;
	struct vss_snapshot *snap = vss_snap_by_slot(lun, slot);

	if (!snap)
		return -EINVAL;
	snap->ps.set_id = uuid_null;
	return 0;
}

static int vss_snap_replay_exception(void *arg, u16 slot, u64 lun_chunk,
				     u64 store_chunk)
{
	struct vss_lun *lun = arg;
	struct vss_snapshot *snap = vss_snap_by_slot(lun, slot);
	int ret;

	if (!snap || lun_chunk > ULONG_MAX || store_chunk > LONG_MAX)
		return -EINVAL;
	if (snap->state == VSS_SNAP_INVALID)
		return xa_err(xa_store(&lun->replay_dropped, store_chunk,
				       xa_mk_value(1), GFP_KERNEL));
	if (xa_load(&snap->map, lun_chunk))
		return -EINVAL;		/* two records for one chunk */
	ret = xa_err(xa_store(&snap->map, lun_chunk, xa_mk_value(store_chunk),
			      GFP_KERNEL));
	if (ret)
		return ret;
	ret = vss_snap_any_inc_locked(lun, lun_chunk, GFP_KERNEL);
	if (ret) {
		xa_erase(&snap->map, lun_chunk);
		return ret;
	}
	snap->nr_entries++;
	return 0;
}

/* the engine side of the store's log replay */
const struct vss_store_replay_ops vss_snap_replay_ops = {
	.snapshot_create	= vss_snap_replay_create,
	.snapshot_delete	= vss_snap_replay_delete,
	.snapshot_invalidate	= vss_snap_replay_invalidate,
	.snapshot_break		= vss_snap_replay_break,
	.exception		= vss_snap_replay_exception,
};

/**
 * vss_snap_replay_done - finish bringing a LUN's snapshots back
 * @lun: the LUN, its store just opened (log replayed)
 *
 * Checks the maps against the LUN size, frees the store chunks the replayed
 * deletes released (unless a later record reused them), adds the devices
 * of the ready snapshots.  The store's log is compacted here if it grew
 * much larger than the live state, before any I/O can reach the LUN.
 *
 * Context: process context, LUN add.
 * Return: 0, -EINVAL if the store maps chunks beyond the LUN, or another
 * negative errno.
 */
int vss_snap_replay_done(struct vss_lun *lun)
{
	struct vss_snapshot *snap;
	struct xarray live;
	unsigned long idx;
	void *e;
	int ret = 0;

	xa_init(&live);
	mutex_lock(&lun->snap_mutex);
	list_for_each_entry(snap, &lun->snaps, lun_node) {
		xa_for_each(&snap->map, idx, e) {
			if (idx >= lun->nr_chunks) {
				pr_err("%s: store maps chunk %lu beyond the LUN\n",
				       lun->name, idx);
				ret = -EINVAL;
				goto out;
			}
			if (!xa_empty(&lun->replay_dropped)) {
				ret = xa_err(xa_store(&live, xa_to_value(e),
						      xa_mk_value(1),
						      GFP_KERNEL));
				if (ret)
					goto out;
			}
		}
	}
	/* not those a live map names, nor those the log took over since */
	xa_for_each(&lun->replay_dropped, idx, e)
		if (!xa_load(&live, idx) &&
		    !vss_store_chunk_in_log(lun->store, idx))
			vss_store_free(lun->store, idx);
	xa_destroy(&lun->replay_dropped);

	/* invalidations the store missed while this module ran: record them */
	list_for_each_entry(snap, &lun->snaps, lun_node) {
		if (snap->state != VSS_SNAP_READY ||
		    !vss_snap_take_unrecorded(&snap->ps.id))
			continue;
		pr_warn("%s: snapshot s%u was invalidated while the store failed: recorded now\n",
			lun->name, snap->ps.seq);
		spin_lock(&lun->map_lock);
		vss_snap_stop_locked(snap, VSS_SNAP_INVALID);
		spin_unlock(&lun->map_lock);
		vss_snap_finish_invalidate(snap);
	}
	vss_snap_gate_release(lun);

	/* No I/O can reach the LUN yet: compact a log much larger than its state. */
	vss_snap_checkpoint_locked(lun, false);

	list_for_each_entry(snap, &lun->snaps, lun_node) {
		if (snap->state != VSS_SNAP_READY)
			continue;
		ret = vss_snap_add_disk(snap);
		if (ret)
			goto out;
	}
out:
	mutex_unlock(&lun->snap_mutex);
	xa_destroy(&live);
	return ret;
}

/**
 * vss_snap_remove_all - forget every snapshot of a LUN being removed
 * @lun: the LUN; no I/O in flight, no snapshot device open
 *
 * The store keeps them: re-adding the LUN brings them back.
 *
 * Context: process context.
 */
void vss_snap_remove_all(struct vss_lun *lun)
{
	struct vss_snapshot *snap, *tmp;
	LIST_HEAD(list);

	mutex_lock(&lun->snap_mutex);
	if (lun->preparing && list_empty(&lun->preparing->lun_node))
		list_add_tail(&lun->preparing->lun_node, &list);
	lun->preparing = NULL;
	spin_lock(&lun->map_lock);
	/* readers check the state under map_lock before walking the list */
	list_for_each_entry(snap, &lun->snaps, lun_node)
		WRITE_ONCE(snap->state, VSS_SNAP_DELETING);
	list_splice_init(&lun->snaps, &list);
	lun->newest = NULL;
	spin_unlock(&lun->map_lock);
	list_for_each_entry_safe(snap, tmp, &list, lun_node) {
		list_del_init(&snap->lun_node);
		vss_snap_set_state(snap, VSS_SNAP_DELETING);
		vss_snap_del_disk(snap);
		lun->slot_snap[snap->ps.slot] = NULL;
		clear_bit(snap->ps.slot, lun->slots);
		vss_snap_list_del(snap);
		vss_snapshot_put(snap);
	}
	mutex_unlock(&lun->snap_mutex);
}
