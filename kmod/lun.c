// SPDX-License-Identifier: GPL-2.0
/*
 * vss protected LUN: a bio-based gendisk "vss-<name>" stacked on the backing
 * device.  Reads and flushes are remapped to the backing device as they are;
 * writes, discards and write-zeroes are admitted (counted in flight, or
 * deferred while a snapshot is being taken) and handed to the COW path,
 * which submits them unsplit once the chunks they touch are preserved.
 *
 * Hold/release implement the snapshot barrier: hold stops admitting writes
 * and waits until those in flight (with their COWs) completed, which costs
 * the same whatever the LUN size.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-lun: " fmt

#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "lun.h"
#include "resync.h"
#include "cow.h"
#include "snapshot.h"
#include "store.h"

/* all LUNs by name; also serialises add and remove */
static LIST_HEAD(vss_luns);
static DEFINE_MUTEX(vss_luns_lock);

/* ---- exclusive opens of the backing and store devices ---- */

/**
 * vss_bdev_open - open a block device exclusively, for reading and writing
 * @path: its path
 * @holder: the exclusive holder
 * @b: receives the device
 *
 * Context: process, sleeps.
 * Return: 0 or a negative errno (-EBUSY when another holder has it).
 */
int vss_bdev_open(const char *path, void *holder, struct vss_bdev *b)
{
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	struct file *f;

	f = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
				   holder, NULL);
	if (IS_ERR(f))
		return PTR_ERR(f);
	b->file = f;
	b->bdev = file_bdev(f);
#else
	struct block_device *bdev;

	bdev = blkdev_get_by_path(path, FMODE_READ | FMODE_WRITE | FMODE_EXCL,
				  holder);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	b->file = NULL;
	b->bdev = bdev;
#endif
	return 0;
}

/**
 * vss_bdev_close - close a device vss_bdev_open() opened; no-op if not open
 * @b: the device
 *
 * Context: process, sleeps.
 */
void vss_bdev_close(struct vss_bdev *b)
{
	if (!b->bdev)
		return;
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	fput(b->file);
#else
	blkdev_put(b->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
	b->bdev = NULL;
	b->file = NULL;
}

/**
 * vss_lun_alloc_disk - allocate a bio-based gendisk stacked on devices
 * @a: device whose limits the disk inherits
 * @b: second device whose limits the disk inherits, or NULL
 * @writable: the disk takes writes: pass flushes and FUA through and keep
 *	discard/write-zeroes limits; otherwise these are disabled
 *
 * Context: process context, may sleep.
 * Return: the disk (fops, name, capacity still to set) or an ERR_PTR.
 */
struct gendisk *vss_lun_alloc_disk(struct block_device *a,
				   struct block_device *b, bool writable)
{
	struct gendisk *disk;
#ifdef HAVE_BLK_ALLOC_DISK_LIMITS
	struct queue_limits lim;

	blk_set_stacking_limits(&lim);
	queue_limits_stack_bdev(&lim, a, 0, "vss");
	if (b)
		queue_limits_stack_bdev(&lim, b, 0, "vss");
	lim.features |= BLK_FEAT_IO_STAT;
	if (writable) {
		lim.features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
	} else {
		lim.max_hw_discard_sectors = 0;
		lim.max_write_zeroes_sectors = 0;
	}
	disk = blk_alloc_disk(&lim, NUMA_NO_NODE);
	if (IS_ERR(disk))
		return disk;
#else
	struct queue_limits *lim;

	disk = blk_alloc_disk(NUMA_NO_NODE);
	if (!disk)
		return ERR_PTR(-ENOMEM);
	lim = &disk->queue->limits;
	blk_set_stacking_limits(lim);
	blk_stack_limits(lim, &bdev_get_queue(a)->limits, 0);
	if (b)
		blk_stack_limits(lim, &bdev_get_queue(b)->limits, 0);
	blk_queue_flag_set(QUEUE_FLAG_IO_STAT, disk->queue);
	if (writable) {
		blk_queue_write_cache(disk->queue, true, true);
	} else {
		blk_queue_max_discard_sectors(disk->queue, 0);
		blk_queue_max_write_zeroes_sectors(disk->queue, 0);
	}
#endif
	disk->flags |= GENHD_FL_NO_PART;
	return disk;
}

/* ---- I/O ---- */

/**
 * vss_lun_write_done - account the completion of an admitted write
 * @lun: the LUN
 *
 * Context: any, including interrupt.
 */
void vss_lun_write_done(struct vss_lun *lun)
{
	unsigned long flags;
	bool wake;

	spin_lock_irqsave(&lun->io_lock, flags);
	wake = !--lun->inflight;
	spin_unlock_irqrestore(&lun->io_lock, flags);
	if (wake)
		wake_up(&lun->drain_wq);
}

/* A clone of ours completed: complete the bio it stands for. */
static void vss_lun_read_endio(struct bio *clone)
{
	struct vss_io *io = clone->bi_private;
	struct bio *orig = io->orig;

	/* not over an error a chained split already reported */
	if (clone->bi_status)
		orig->bi_status = clone->bi_status;
	bio_end_io_acct(orig, io->start);
	bio_put(clone);
	bio_endio(orig);
}

static void vss_lun_write_endio(struct bio *clone)
{
	struct vss_io *io = clone->bi_private;
	struct vss_lun *lun = io->lun;

	vss_lun_read_endio(clone);
	vss_lun_write_done(lun);
}

/*
 * Reads: a clone, so that the disk's statistics see them complete.  From
 * the backing device, or from the target snapshot of a revert (@bdev).
 */
static void vss_lun_read(struct vss_lun *lun, struct bio *bio,
			 struct block_device *bdev)
{
	struct bio *clone;
	struct vss_io *io;

	if (!bdev) {
		bio_io_error(bio);
		return;
	}
	clone = bio_alloc_clone(bdev, bio, GFP_NOIO, &lun->bs);
	if (!clone) {
		bio_io_error(bio);
		return;
	}
	io = container_of(clone, struct vss_io, clone);
	io->lun = lun;
	io->orig = bio;
	io->start = bio_start_io_acct(bio);
	clone->bi_end_io = vss_lun_read_endio;
	clone->bi_private = io;
	submit_bio_noacct(clone);
}

static bool vss_bio_mutates(struct bio *bio)
{
	return op_is_write(bio_op(bio)) && bio_sectors(bio);
}

static void vss_lun_submit_bio(struct bio *bio)
{
	struct vss_lun *lun = bio->bi_bdev->bd_disk->private_data;
	struct bio *clone;
	struct vss_io *io;

	if (bio_op(bio) == REQ_OP_READ && bio_sectors(bio)) {
		vss_lun_read(lun, bio, vss_resync_read_route(lun, &bio));
		return;
	}
	if (!vss_bio_mutates(bio)) {
		/* empty flushes: plain remap (a revert may hold the end) */
		vss_resync_flush_bio(lun, bio);
		bio_set_dev(bio, lun->backing.bdev);
		submit_bio_noacct(bio);
		return;
	}
	/* a revert in progress may first copy the chunks it touches */
	if (vss_resync_write_bio(lun, bio))
		return;

	spin_lock_irq(&lun->io_lock);
	if (lun->hold_count) {
		bio_list_add(&lun->deferred, bio);
		spin_unlock_irq(&lun->io_lock);
		return;
	}
	lun->inflight++;
	spin_unlock_irq(&lun->io_lock);

	clone = bio_alloc_clone(lun->backing.bdev, bio, GFP_NOIO, &lun->bs);
	if (!clone) {
		bio_io_error(bio);
		vss_lun_write_done(lun);
		return;
	}
	io = container_of(clone, struct vss_io, clone);
	io->lun = lun;
	io->orig = bio;
	io->start = bio_start_io_acct(bio);
	INIT_LIST_HEAD(&io->node);
	clone->bi_end_io = vss_lun_write_endio;
	clone->bi_private = io;
	vss_cow_write(io);
}

static void vss_lun_free_disk(struct gendisk *disk)
{
	struct vss_lun *lun = disk->private_data;

	vss_lun_put(lun);
}

/* Called under the disk's open_mutex, which removal takes to set @removed. */
static int vss_lun_open(VSS_BDOPS_OPEN_ARGS)
{
	struct vss_lun *lun = VSS_BDOPS_OPEN_DISK->private_data;

	return READ_ONCE(lun->removed) ? -ENXIO : 0;
}

static const struct block_device_operations vss_lun_fops = {
	.owner		= THIS_MODULE,
	.open		= vss_lun_open,
	.submit_bio	= vss_lun_submit_bio,
	.free_disk	= vss_lun_free_disk,
};

/* ---- snapshot read tracking (see snapshot.c) ---- */

/**
 * vss_lun_read_start - register a snapshot read before it looks up maps
 * @lun: the LUN
 * @io: the read's context (@io->first and @io->last set), queued on
 *	&vss_lun.reads
 *
 * A map change that makes data unreachable (a COW about to release an
 * origin write, a delete about to free chunks) takes a barrier ticket after
 * the change and waits for the reads registered before it that cover the
 * chunk concerned (vss_lun_read_sync()); reads registered later look the
 * maps up after the change.
 *
 * Context: process context (submit_bio).
 * Return: the read's ticket.
 */
u64 vss_lun_read_start(struct vss_lun *lun, struct vss_io *io)
{
	spin_lock_irq(&lun->reads_lock);
	io->ticket = lun->read_ticket++;
	list_add_tail(&io->node, &lun->reads);
	spin_unlock_irq(&lun->reads_lock);
	return io->ticket;
}

/**
 * vss_lun_read_end - unregister a snapshot read
 * @lun: the LUN
 * @io: the read's context
 *
 * Return: true if a task waits for reads: call vss_lun_read_wake() once
 * @io's memory was given back (the waiter may be the LUN's teardown).
 *
 * Context: any, including interrupt.
 */
bool vss_lun_read_end(struct vss_lun *lun, struct vss_io *io)
{
	unsigned long flags;
	bool wake;

	spin_lock_irqsave(&lun->reads_lock, flags);
	list_del(&io->node);
	wake = lun->read_waiters;
	spin_unlock_irqrestore(&lun->reads_lock, flags);
	return wake;
}

/**
 * vss_lun_read_wake - wake the tasks waiting for snapshot reads
 * @lun: the LUN
 *
 * Context: any, including interrupt.
 */
void vss_lun_read_wake(struct vss_lun *lun)
{
	wake_up(&lun->read_wq);
}

/**
 * vss_lun_read_barrier - ticket separating reads from a map change
 * @lun: the LUN
 *
 * Call after the change is made (under or after &vss_lun.map_lock).
 *
 * Context: any but interrupt.
 * Return: reads with a smaller ticket may have seen the old maps.
 */
u64 vss_lun_read_barrier(struct vss_lun *lun)
{
	unsigned long flags;
	u64 ticket;

	spin_lock_irqsave(&lun->reads_lock, flags);
	ticket = lun->read_ticket;
	spin_unlock_irqrestore(&lun->reads_lock, flags);
	return ticket;
}

/**
 * vss_lun_reads_passed - have the snapshot reads before a ticket ended?
 * @lun: the LUN
 * @ticket: from vss_lun_read_barrier()
 * @chunk: only reads covering this LUN chunk count; VSS_ALL_CHUNKS: all
 *
 * Reads are in ticket order; the walk stops at the first one not older
 * than @ticket, so it is bounded by the reads in flight.
 *
 * Context: any but interrupt.
 * Return: true if none is left.
 */
bool vss_lun_reads_passed(struct vss_lun *lun, u64 ticket, u64 chunk)
{
	struct vss_io *io;
	bool done = true;

	spin_lock_irq(&lun->reads_lock);
	list_for_each_entry(io, &lun->reads, node) {
		if (io->ticket >= ticket)
			break;
		if (chunk == VSS_ALL_CHUNKS ||
		    (io->first <= chunk && chunk <= io->last)) {
			done = false;
			break;
		}
	}
	spin_unlock_irq(&lun->reads_lock);
	return done;
}

/**
 * vss_lun_read_sync - wait for the snapshot reads started before a ticket
 * @lun: the LUN
 * @ticket: from vss_lun_read_barrier()
 * @chunk: as for vss_lun_reads_passed()
 *
 * Context: process context of our own (a vss workqueue or a control
 * operation), sleeps; no spinlock held.  Never from a completion.
 */
void vss_lun_read_sync(struct vss_lun *lun, u64 ticket, u64 chunk)
{
	if (vss_lun_reads_passed(lun, ticket, chunk))
		return;
	spin_lock_irq(&lun->reads_lock);
	lun->read_waiters++;
	spin_unlock_irq(&lun->reads_lock);
	wait_event(lun->read_wq, vss_lun_reads_passed(lun, ticket, chunk));
	spin_lock_irq(&lun->reads_lock);
	lun->read_waiters--;
	spin_unlock_irq(&lun->reads_lock);
}

/* ---- snapshot barrier ---- */

static bool vss_lun_drained(struct vss_lun *lun)
{
	bool drained;

	spin_lock_irq(&lun->io_lock);
	drained = !lun->inflight;
	spin_unlock_irq(&lun->io_lock);
	return drained;
}

/**
 * vss_lun_hold_start - stop admitting writes
 * @lun: the LUN
 *
 * Writes arriving while held are queued and resubmitted by the matching
 * vss_lun_release().  Holds nest.  The writes in flight are waited for
 * with vss_lun_hold_wait().
 *
 * Context: any but interrupt.
 */
void vss_lun_hold_start(struct vss_lun *lun)
{
	spin_lock_irq(&lun->io_lock);
	lun->hold_count++;
	spin_unlock_irq(&lun->io_lock);
}

/**
 * vss_lun_hold_wait - wait for the writes in flight of a held LUN
 * @lun: the LUN, vss_lun_hold_start() done
 * @timeout: in jiffies
 *
 * Context: process context, sleeps; killable; the caller must not hold
 * &vss_lun.snap_mutex.
 * Return: > 0 once drained, 0 when @timeout passed first, -ERESTARTSYS on
 * a fatal signal.
 */
long vss_lun_hold_wait(struct vss_lun *lun, long timeout)
{
	return wait_event_killable_timeout(lun->drain_wq, vss_lun_drained(lun),
					   timeout);
}

/**
 * vss_lun_hold - stop admitting writes and wait for those in flight
 * @lun: the LUN
 *
 * The wait is bounded: a LUN whose writes do not complete (a suspended or
 * dead device below) is released again rather than held forever.
 *
 * Context: process context, sleeps; the caller must not hold
 * &vss_lun.snap_mutex.
 * Return: 0 (held: end with vss_lun_release()), -ETIMEDOUT when writes did
 * not drain within VSS_HOLD_MAX_MS, -EINTR on a fatal signal; not held then.
 */
int vss_lun_hold(struct vss_lun *lun)
{
	long ret;

	vss_lun_hold_start(lun);
	ret = vss_lun_hold_wait(lun, msecs_to_jiffies(VSS_HOLD_MAX_MS));
	if (ret > 0)
		return 0;
	vss_lun_release(lun);
	return ret ? -EINTR : -ETIMEDOUT;
}

/**
 * vss_lun_release - undo one vss_lun_hold()
 * @lun: the LUN
 *
 * Context: process context.
 */
void vss_lun_release(struct vss_lun *lun)
{
	struct bio_list list = BIO_EMPTY_LIST;
	struct bio *bio;

	spin_lock_irq(&lun->io_lock);
	if (!WARN_ON_ONCE(!lun->hold_count) && !--lun->hold_count) {
		bio_list_merge(&list, &lun->deferred);
		bio_list_init(&lun->deferred);
	}
	spin_unlock_irq(&lun->io_lock);
	while ((bio = bio_list_pop(&list)))
		submit_bio_noacct(bio);
}

/**
 * vss_lun_freeze - freeze the file system mounted on the LUN device, if any
 * @lun: the LUN
 *
 * Context: process context, sleeps (syncs the file system).
 * Return: 0 or a negative errno.
 */
int vss_lun_freeze(struct vss_lun *lun)
{
#ifdef HAVE_BDEV_FREEZE
	return bdev_freeze(lun->disk->part0);
#else
	return freeze_bdev(lun->disk->part0);
#endif
}

/**
 * vss_lun_thaw - undo vss_lun_freeze()
 * @lun: the LUN
 *
 * Context: process context.
 */
void vss_lun_thaw(struct vss_lun *lun)
{
	int ret;

#ifdef HAVE_BDEV_FREEZE
	ret = bdev_thaw(lun->disk->part0);
#else
	ret = thaw_bdev(lun->disk->part0);
#endif
	if (ret)
		pr_warn("%s: thaw failed: %d\n", lun->name, ret);
}

/* ---- lifetime ---- */

/**
 * vss_lun_get - take a reference on a LUN
 * @lun: the LUN
 *
 * Context: any.
 */
void vss_lun_get(struct vss_lun *lun)
{
	kref_get(&lun->kref);
}

static void vss_lun_release_kref(struct kref *kref)
{
	struct vss_lun *lun = container_of(kref, struct vss_lun, kref);

	xa_destroy(&lun->any);
	xa_destroy(&lun->replay_dropped);
	kfree(lun);
}

/**
 * vss_lun_put - drop a reference taken by vss_lun_find() and friends
 * @lun: the LUN (NULL is ignored)
 *
 * Context: process context.
 */
void vss_lun_put(struct vss_lun *lun)
{
	if (lun)
		kref_put(&lun->kref, vss_lun_release_kref);
}

static struct vss_lun *vss_lun_find_locked(const char *name)
{
	struct vss_lun *lun;

	list_for_each_entry(lun, &vss_luns, node)
		if (!strcmp(lun->name, name))
			return lun;
	return NULL;
}

/**
 * vss_lun_op_begin - start an operation that uses the LUN's store
 * @lun: the LUN
 * @extack: reason of a refusal
 *
 * Removal waits for every operation begun to end before it closes the
 * store.  Operations do not nest.
 *
 * Context: process context, may sleep.
 * Return: 0 (end with vss_lun_op_end()), or -ENODEV if the LUN is being
 * removed.
 */
int vss_lun_op_begin(struct vss_lun *lun, struct netlink_ext_ack *extack)
{
	down_read(&lun->op_sem);
	if (READ_ONCE(lun->removed)) {
		up_read(&lun->op_sem);
		NL_SET_ERR_MSG(extack, "LUN is being removed");
		return -ENODEV;
	}
	return 0;
}

/**
 * vss_lun_op_end - end what vss_lun_op_begin() started
 * @lun: the LUN
 *
 * Context: process context.
 */
void vss_lun_op_end(struct vss_lun *lun)
{
	up_read(&lun->op_sem);
}

/**
 * vss_lun_find - look a LUN up by name
 * @name: LUN name
 *
 * Context: process context, takes vss_luns_lock.
 * Return: the LUN with a reference (drop with vss_lun_put()), or NULL.
 */
struct vss_lun *vss_lun_find(const char *name)
{
	struct vss_lun *lun;

	mutex_lock(&vss_luns_lock);
	lun = vss_lun_find_locked(name);
	if (lun && lun->adding)
		lun = NULL;
	if (lun)
		vss_lun_get(lun);
	mutex_unlock(&vss_luns_lock);
	return lun;
}

/**
 * vss_lun_next - iterate LUNs in name order
 * @name: the previous LUN's name, "" for the first
 *
 * Context: process context, takes vss_luns_lock.
 * Return: the first LUN whose name sorts after @name, with a reference, or
 * NULL at the end.
 */
struct vss_lun *vss_lun_next(const char *name)
{
	struct vss_lun *lun, *best = NULL;

	mutex_lock(&vss_luns_lock);
	list_for_each_entry(lun, &vss_luns, node) {
		if (lun->adding || strcmp(lun->name, name) <= 0)
			continue;
		if (!best || strcmp(lun->name, best->name) < 0)
			best = lun;
	}
	if (best)
		vss_lun_get(best);
	mutex_unlock(&vss_luns_lock);
	return best;
}

/**
 * vss_lun_claim - mark a LUN as held by a session
 * @lun: the LUN
 *
 * A claimed LUN reports busy and refuses removal.
 *
 * Context: process context.
 * Return: 0, -EBUSY if already claimed, -ENODEV if being removed.
 */
int vss_lun_claim(struct vss_lun *lun)
{
	int ret = 0;

	mutex_lock(&vss_luns_lock);
	if (lun->removed)
		ret = -ENODEV;
	else if (lun->claimed)
		ret = -EBUSY;
	else
		lun->claimed = true;
	mutex_unlock(&vss_luns_lock);
	return ret;
}

/**
 * vss_lun_unclaim - undo vss_lun_claim()
 * @lun: the LUN
 *
 * Context: process context.
 */
void vss_lun_unclaim(struct vss_lun *lun)
{
	mutex_lock(&vss_luns_lock);
	lun->claimed = false;
	mutex_unlock(&vss_luns_lock);
}

/**
 * vss_lun_get_info - report a LUN's state
 * @lun: the LUN
 * @info: filled in
 *
 * Context: process context.
 */
void vss_lun_get_info(struct vss_lun *lun, struct vss_lun_info *info)
{
	struct vss_snapshot *snap;
	u32 n = 0;

	memset(info, 0, sizeof(*info));
	strscpy(info->name, lun->name, sizeof(info->name));
	snprintf(info->device, sizeof(info->device), "vss-%s", lun->name);
	info->chunk_size = lun->chunk_size;
	info->size = (u64)lun->sectors << SECTOR_SHIFT;

	info->busy = READ_ONCE(lun->claimed);
	/* not the LUN list lock: copies send usage events from here */
	spin_lock(&lun->info_lock);
	if (!lun->store_closed) {
		snprintf(info->backing, sizeof(info->backing), "%pg",
			 lun->backing.bdev);
		snprintf(info->store, sizeof(info->store), "%pg",
			 lun->store_dev.bdev);
		info->devt = disk_devt(lun->disk);
		info->store_size = vss_store_nr_chunks(lun->store) *
				   lun->chunk_size;
		info->store_used = vss_store_used_chunks(lun->store) *
				   lun->chunk_size;
	}
	spin_unlock(&lun->info_lock);

	spin_lock(&lun->map_lock);
	list_for_each_entry(snap, &lun->snaps, lun_node)
		n++;
	spin_unlock(&lun->map_lock);
	info->nr_snapshots = n;
}

/* ---- add / remove ---- */

static bool vss_lun_name_valid(const char *name)
{
	size_t len = strnlen(name, VSS_NAME_MAX + 1);
	size_t i;

	if (!len || len > VSS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '.')
			return false;
	return true;
}

static struct vss_lun *vss_lun_alloc(const char *name)
{
	struct vss_lun *lun;
	unsigned int i;

	lun = kzalloc(sizeof(*lun), GFP_KERNEL);
	if (!lun)
		return NULL;
	kref_init(&lun->kref);
	INIT_LIST_HEAD(&lun->node);
	init_rwsem(&lun->op_sem);
	spin_lock_init(&lun->info_lock);
	lun->store_closed = true;
	strscpy(lun->name, name, sizeof(lun->name));
	spin_lock_init(&lun->io_lock);
	bio_list_init(&lun->deferred);
	init_waitqueue_head(&lun->drain_wq);
	spin_lock_init(&lun->map_lock);
	INIT_LIST_HEAD(&lun->snaps);
	xa_init(&lun->any);
	for (i = 0; i < ARRAY_SIZE(lun->pending); i++)
		INIT_HLIST_HEAD(&lun->pending[i]);
	INIT_LIST_HEAD(&lun->parked);
	INIT_LIST_HEAD(&lun->requeue);
	INIT_LIST_HEAD(&lun->throttled);
	INIT_LIST_HEAD(&lun->gated);
	INIT_LIST_HEAD(&lun->frozen);
	init_llist_head(&lun->cow_steps);
	INIT_WORK(&lun->cow_step_work, vss_cow_step_work);
	INIT_WORK(&lun->requeue_work, vss_cow_requeue_work);
	INIT_WORK(&lun->usage_work, vss_cow_usage_work);
	spin_lock_init(&lun->reads_lock);
	INIT_LIST_HEAD(&lun->reads);
	init_waitqueue_head(&lun->read_wq);
	init_waitqueue_head(&lun->cow_idle_wq);
	mutex_init(&lun->snap_mutex);
	lun->next_seq = 1;
	INIT_WORK(&lun->reclaim_work, vss_snap_reclaim_work);
	xa_init(&lun->replay_dropped);
	return lun;
}

static int vss_lun_io_setup(struct vss_lun *lun)
{
	int ret;

	/*
	 * Both are allocated from inside submit_bio(), where bios we issued
	 * wait on current->bio_list: the rescuer resubmits them when a pool
	 * runs dry, or the allocation could wait for itself.
	 */
	ret = bioset_init(&lun->bs, BIO_POOL_SIZE,
			  offsetof(struct vss_io, clone), BIOSET_NEED_RESCUER);
	if (ret)
		return ret;
	ret = bioset_init(&lun->split_bs, BIO_POOL_SIZE, 0,
			  BIOSET_NEED_RESCUER);
	if (ret)
		goto bad_split_bs;
	ret = -ENOMEM;
	lun->cow_pool = mempool_create_kmalloc_pool(64, vss_cow_size());
	if (!lun->cow_pool)
		goto bad_cow_pool;
	lun->cow_wq = alloc_workqueue("vss-cow-%s", WQ_MEM_RECLAIM, 0,
				      lun->name);
	if (!lun->cow_wq)
		goto bad_cow_wq;
	lun->reclaim_wq = alloc_ordered_workqueue("vss-reclaim-%s",
						  WQ_MEM_RECLAIM, lun->name);
	if (!lun->reclaim_wq)
		goto bad_reclaim_wq;
	return 0;

bad_reclaim_wq:
	destroy_workqueue(lun->cow_wq);
bad_cow_wq:
	mempool_destroy(lun->cow_pool);
bad_cow_pool:
	bioset_exit(&lun->split_bs);
bad_split_bs:
	bioset_exit(&lun->bs);
	return ret;
}

static void vss_lun_io_teardown(struct vss_lun *lun)
{
	destroy_workqueue(lun->reclaim_wq);
	destroy_workqueue(lun->cow_wq);
	mempool_destroy(lun->cow_buf_pool);
	mempool_destroy(lun->cow_pool);
	bioset_exit(&lun->split_bs);
	bioset_exit(&lun->bs);
}

/* Do @a and @b share blocks: the same device, or a disk and its partition? */
static bool vss_bdev_overlap(struct block_device *a, struct block_device *b)
{
	if (bdev_whole(a) != bdev_whole(b))
		return false;
	return a == b || !bdev_is_partition(a) || !bdev_is_partition(b);
}

static int vss_lun_open_devices(struct vss_lun *lun,
				const struct vss_lun_params *p,
				struct netlink_ext_ack *extack)
{
	dev_t bdevt, sdevt;
	int ret;

	if (lookup_bdev(p->backing, &bdevt)) {
		NL_SET_ERR_MSG(extack, "backing device not found");
		return -ENODEV;
	}
	if (lookup_bdev(p->store, &sdevt)) {
		NL_SET_ERR_MSG(extack, "store device not found");
		return -ENODEV;
	}
	if (bdevt == sdevt) {
		NL_SET_ERR_MSG(extack,
			       "store and backing device must be different");
		return -EINVAL;
	}
	ret = vss_bdev_open(p->backing, lun, &lun->backing);
	if (ret) {
		if (ret == -EBUSY)
			NL_SET_ERR_MSG(extack,
				       "backing device is in use (mounted, used by another LUN, or held)");
		else
			NL_SET_ERR_MSG(extack, "cannot open backing device");
		return ret;
	}
	ret = vss_bdev_open(p->store, lun, &lun->store_dev);
	if (ret) {
		if (ret == -EBUSY)
			NL_SET_ERR_MSG(extack,
				       "store device is in use (mounted, used by another LUN, or held)");
		else
			NL_SET_ERR_MSG(extack, "cannot open store device");
		vss_bdev_close(&lun->backing);
		return ret;
	}
	/*
	 * Both are opened with this LUN as the holder, which the block
	 * layer lets claim a disk and its partitions alike: compare what was
	 * opened (another path to the same device, a partition of it).
	 */
	if (vss_bdev_overlap(lun->backing.bdev, lun->store_dev.bdev)) {
		NL_SET_ERR_MSG(extack,
			       "store and backing device must not overlap");
		vss_bdev_close(&lun->store_dev);
		vss_bdev_close(&lun->backing);
		return -EINVAL;
	}
	lun->sectors = bdev_nr_sectors(lun->backing.bdev);
	if (!lun->sectors) {
		NL_SET_ERR_MSG(extack, "backing device is empty");
		vss_bdev_close(&lun->store_dev);
		vss_bdev_close(&lun->backing);
		return -EINVAL;
	}
	return 0;
}

static void vss_lun_close_devices(struct vss_lun *lun)
{
	vss_bdev_close(&lun->store_dev);
	vss_bdev_close(&lun->backing);
}

static int vss_lun_open_store(struct vss_lun *lun,
			      const struct vss_lun_params *p,
			      struct netlink_ext_ack *extack)
{
	struct vss_store_params sp = {
		.bdev = lun->store_dev.bdev,
		.lun_name = lun->name,
		.lun_size = (u64)lun->sectors << SECTOR_SHIFT,
		.chunk_size = p->chunk_size,
		.format = p->format,
	};
	struct vss_store *st;
	unsigned int order;
	u32 cs;

	st = vss_store_open(&sp, &vss_snap_replay_ops, lun, extack);
	if (IS_ERR(st))
		return PTR_ERR(st);
	cs = vss_store_chunk_size(st);
	if (!is_power_of_2(cs) || cs < VSS_CHUNK_MIN || cs > VSS_CHUNK_MAX) {
		NL_SET_ERR_MSG(extack, "store chunk size is invalid");
		vss_store_close(st);
		return -EINVAL;
	}
	lun->store = st;
	lun->next_seq = max(lun->next_seq, vss_store_last_seq(st) + 1);
	lun->chunk_size = cs;
	lun->chunk_shift = ilog2(cs >> SECTOR_SHIFT);
	lun->nr_chunks = DIV_ROUND_UP_ULL(lun->sectors,
					  (sector_t)1 << lun->chunk_shift);
	/* copies in flight: 16 MiB of buffers, at least a queue's depth */
	lun->cow_max = clamp_t(u32, SZ_16M / cs, 32, 1024);
	/* copy buffers: a reserve for a few copies under memory pressure */
	order = ilog2(cs) - PAGE_SHIFT;
	lun->cow_buf_pool = mempool_create_page_pool(max(1U, SZ_256K / cs),
						     order);
	if (!lun->cow_buf_pool) {
		lun->store = NULL;
		vss_store_close(st);
		return -ENOMEM;
	}
	return 0;
}

/* ---- diagnostics: /sys/block/vss-NAME/vss/parked ---- */

/**
 * vss_lun_count_parked - where the LUN's writes wait right now
 * @lun: the LUN
 * @p: filled in
 *
 * Context: process context.
 */
void vss_lun_count_parked(struct vss_lun *lun, struct vss_lun_parked *p)
{
	struct bio *bio;

	memset(p, 0, sizeof(*p));
	spin_lock_irq(&lun->io_lock);
	bio_list_for_each(bio, &lun->deferred)
		p->held++;
	p->inflight = lun->inflight;
	spin_unlock_irq(&lun->io_lock);
	vss_cow_count_parked(lun, p);
	spin_lock(&lun->info_lock);
	if (!lun->store_closed)
		p->committing = vss_store_commit_state(lun->store, &p->records);
	spin_unlock(&lun->info_lock);
}

static ssize_t parked_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vss_lun *lun = dev_to_disk(dev)->private_data;
	struct vss_lun_parked p;

	vss_lun_count_parked(lun, &p);
	return sysfs_emit(buf,
			  "held %u\ninflight %lu\ncopies %u\ncopy_wait %u\nthrottled %u\nrequeue %u\ngated %u\nfrozen %u\nnospc %u\nrecords %u\ncommitting %d\n",
			  p.held, p.inflight, p.copies, p.copy_wait,
			  p.throttled, p.requeue, p.gated, p.frozen, p.nospc,
			  p.records, p.committing);
}
static DEVICE_ATTR_RO(parked);

static struct attribute *vss_lun_attrs[] = {
	&dev_attr_parked.attr,
	NULL,
};

static const struct attribute_group vss_lun_attr_group = {
	.name = "vss",
	.attrs = vss_lun_attrs,
};

static const struct attribute_group *vss_lun_attr_groups[] = {
	&vss_lun_attr_group,
	NULL,
};

static int vss_lun_add_disk(struct vss_lun *lun)
{
	struct gendisk *disk;
	int ret;

	disk = vss_lun_alloc_disk(lun->backing.bdev, NULL, true);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	disk->fops = &vss_lun_fops;
	disk->private_data = lun;
	snprintf(disk->disk_name, DISK_NAME_LEN, "vss-%s", lun->name);
	set_capacity(disk, lun->sectors);
	lun->disk = disk;
	vss_lun_get(lun);	/* dropped by vss_lun_free_disk() */
	ret = device_add_disk(NULL, disk, vss_lun_attr_groups);
	if (ret) {
		/* ->free_disk is called only for disks that were added */
		lun->disk = NULL;
		put_disk(disk);
		vss_lun_put(lun);
		return ret;
	}
	return 0;
}

/**
 * vss_lun_add - create a protected LUN
 * @p: what to create
 * @extack: reason of a refusal
 * @out: the new LUN, with a reference for the caller
 *
 * Opens the backing and store devices exclusively, opens (or formats) the
 * store, replays its log (snapshots come back with their devices), and adds
 * the device "vss-<name>".
 *
 * Context: process context, sleeps.
 * Return: 0 or a negative errno with @extack set.
 */
int vss_lun_add(const struct vss_lun_params *p, struct netlink_ext_ack *extack,
		struct vss_lun **out)
{
	struct vss_lun *lun;
	int ret;

	if (!p->name || !vss_lun_name_valid(p->name)) {
		NL_SET_ERR_MSG(extack,
			       "LUN name must be 1-20 characters of [A-Za-z0-9_.]");
		return -EINVAL;
	}
	if (p->chunk_size && (!is_power_of_2(p->chunk_size) ||
			      p->chunk_size < VSS_CHUNK_MIN ||
			      p->chunk_size > VSS_CHUNK_MAX)) {
		NL_SET_ERR_MSG(extack,
			       "chunk size must be a power of two from 4 KiB to 1 MiB");
		return -EINVAL;
	}
	if (!p->backing || !p->store) {
		NL_SET_ERR_MSG(extack, "backing and store devices are required");
		return -EINVAL;
	}

	lun = vss_lun_alloc(p->name);
	if (!lun)
		return -ENOMEM;

	/*
	 * Take the name, then work without the list lock: opening the
	 * store replays its log, which may take long, and other LUNs' lookups
	 * must not wait for it.
	 */
	mutex_lock(&vss_luns_lock);
	if (vss_lun_find_locked(p->name)) {
		mutex_unlock(&vss_luns_lock);
		NL_SET_ERR_MSG(extack, "a LUN with this name exists");
		vss_lun_put(lun);
		return -EEXIST;
	}
	lun->adding = true;
	list_add_tail(&lun->node, &vss_luns);
	mutex_unlock(&vss_luns_lock);

	ret = vss_lun_open_devices(lun, p, extack);
	if (ret)
		goto bad_devices;
	ret = vss_lun_io_setup(lun);
	if (ret)
		goto bad_io_setup;
	ret = vss_lun_open_store(lun, p, extack);
	if (ret)
		goto bad_store;
	spin_lock(&lun->info_lock);
	lun->store_closed = false;
	spin_unlock(&lun->info_lock);
	ret = vss_resync_lun_replayed(lun, extack);
	if (ret)
		goto bad_replay;
	ret = vss_snap_replay_done(lun);
	if (ret) {
		if (ret == -EINVAL)
			NL_SET_ERR_MSG(extack, "store holds snapshot data beyond the LUN size");
		else
			NL_SET_ERR_MSG(extack, "cannot bring the store's snapshots back");
		goto bad_replay;
	}
	ret = vss_lun_add_disk(lun);
	if (ret)
		goto bad_disk;
	vss_resync_lun_resume(lun);

	mutex_lock(&vss_luns_lock);
	lun->adding = false;
	mutex_unlock(&vss_luns_lock);
	vss_lun_get(lun);
	*out = lun;
	pr_info("%s: added on %pg, store %pg, chunk %u bytes\n", lun->name,
		lun->backing.bdev, lun->store_dev.bdev, lun->chunk_size);
	vss_event_lun(VSS_EV_LUN_ADDED, lun);
	return 0;

bad_disk:
bad_replay:
	vss_resync_lun_gone(lun);
	vss_snap_remove_all(lun);
	spin_lock(&lun->info_lock);
	lun->store_closed = true;
	spin_unlock(&lun->info_lock);
	vss_store_close(lun->store);
bad_store:
	vss_lun_io_teardown(lun);
bad_io_setup:
	vss_lun_close_devices(lun);
bad_devices:
	mutex_lock(&vss_luns_lock);
	list_del_init(&lun->node);
	mutex_unlock(&vss_luns_lock);
	vss_lun_put(lun);
	return ret;
}

/* Everything but the memory; no I/O may be in flight on the LUN device. */
static void vss_lun_teardown(struct vss_lun *lun)
{
	/* operations begun before @removed was set end first */
	down_write(&lun->op_sem);
	up_write(&lun->op_sem);
	vss_resync_lun_pause(lun);	/* its copies use the LUN device */
	del_gendisk(lun->disk);
	/* bio-based: del_gendisk does not wait for our own in-flight writes */
	wait_event(lun->drain_wq, vss_lun_drained(lun));
	vss_resync_lun_gone(lun);
	flush_workqueue(lun->reclaim_wq);
	flush_workqueue(lun->cow_wq);
	vss_snap_remove_all(lun);
	vss_lun_read_sync(lun, U64_MAX, VSS_ALL_CHUNKS);
	/* a snapshot read that failed on the store queued it meanwhile */
	flush_workqueue(lun->reclaim_wq);
	spin_lock(&lun->info_lock);
	lun->store_closed = true;
	spin_unlock(&lun->info_lock);
	vss_store_close(lun->store);
	lun->store = NULL;
	vss_lun_io_teardown(lun);
	vss_lun_close_devices(lun);
	put_disk(lun->disk);	/* drops the disk's reference */
}

/* Is the LUN device open?  Sets @removed if not, atomically with opens. */
static bool vss_lun_mark_removed(struct vss_lun *lun)
{
	bool busy;

	mutex_lock(&lun->disk->open_mutex);
	busy = disk_openers(lun->disk);
	if (!busy)
		WRITE_ONCE(lun->removed, true);
	mutex_unlock(&lun->disk->open_mutex);
	return !busy;
}

/**
 * vss_lun_remove - remove a protected LUN (the store keeps its snapshots)
 * @lun: the LUN (the caller keeps its own reference)
 * @extack: reason of a refusal
 *
 * Opens of the LUN device and of its snapshot devices are refused from the
 * moment removal starts; operations already running on the LUN end before
 * its store is closed.
 *
 * Context: process context, sleeps.
 * Return: 0; -EBUSY if the LUN or one of its snapshot devices is open, or a
 * session holds it; -ENODEV if already removed.
 */
int vss_lun_remove(struct vss_lun *lun, struct netlink_ext_ack *extack)
{
	mutex_lock(&vss_luns_lock);
	if (lun->removed || lun->adding) {
		mutex_unlock(&vss_luns_lock);
		NL_SET_ERR_MSG(extack, "LUN is being removed");
		return -ENODEV;
	}
	if (lun->claimed) {
		mutex_unlock(&vss_luns_lock);
		NL_SET_ERR_MSG(extack, "LUN is held by a session");
		return -EBUSY;
	}
	if (vss_resync_blocks_remove(lun)) {
		/* a revert pauses; a copy onto another device is not kept */
		mutex_unlock(&vss_luns_lock);
		NL_SET_ERR_MSG(extack, "a resync copying from or onto this LUN is running (not resumable: wait or cancel it)");
		return -EBUSY;
	}
	if (!vss_lun_mark_removed(lun)) {
		mutex_unlock(&vss_luns_lock);
		NL_SET_ERR_MSG(extack, "LUN device is open or mounted");
		return -EBUSY;
	}
	/* snapshot devices refuse opens once @removed is set */
	if (vss_snap_any_open(lun)) {
		WRITE_ONCE(lun->removed, false);
		mutex_unlock(&vss_luns_lock);
		NL_SET_ERR_MSG(extack, "a snapshot device of the LUN is open");
		return -EBUSY;
	}
	list_del_init(&lun->node);
	mutex_unlock(&vss_luns_lock);

	vss_event_lun(VSS_EV_LUN_REMOVED, lun);
	pr_info("%s: removed\n", lun->name);
	vss_lun_teardown(lun);
	vss_lun_put(lun);	/* the list's reference */
	return 0;
}

/**
 * vss_lun_init - module init of the engine
 *
 * Context: module init.
 * Return: 0.
 */
int vss_lun_init(void)
{
	return 0;
}

/**
 * vss_lun_exit - remove every LUN at module unload
 *
 * No LUN or snapshot device can be open (they pin the module).
 *
 * Context: module exit.
 */
void vss_lun_exit(void)
{
	struct vss_lun *lun;

	for (;;) {
		mutex_lock(&vss_luns_lock);
		lun = list_first_entry_or_null(&vss_luns, struct vss_lun, node);
		if (lun) {
			WRITE_ONCE(lun->removed, true);
			list_del_init(&lun->node);
		}
		mutex_unlock(&vss_luns_lock);
		if (!lun)
			break;
		vss_lun_teardown(lun);
		vss_lun_put(lun);
	}
}
