// SPDX-License-Identifier: GPL-2.0
/*
 * vss resync: RecoverSet.  A snapshot is copied back onto its own LUN
 * online, or onto another block device in full.
 *
 * Online revert (dm-clone's I/O model, on our own device)
 * -------------------------------------------------------
 * The work set is the chunks changed on the LUN since the target snapshot S:
 * the union of the maps S..Sn, which the snapshots already hold, so there
 * is no scan of the LUN.  It is built while the LUN's writes are held and
 * published in the same hold, so from the moment RecoverSet returns:
 *
 *  - a read of a chunk still in the work set ("unsynced") is served by S's
 *    snapshot device, i.e. from S's image; a read of any other chunk from
 *    the backing device, where it already equals S;
 *  - a write to an unsynced chunk that it covers whole (or a discard)
 *    goes straight on; its completion is held back until the chunk has
 *    left the work set, so reads never see the LUN's pre-revert data;
 *  - any other write to an unsynced chunk waits for that chunk's copy
 *    (started at once, ahead of the background order);
 *  - the background copies walk the work set in ascending order,
 *    coalesced into runs of up to VSS_RESYNC_COPY_MAX bytes, with up to
 *    VSS_RESYNC_INFLIGHT runs (VSS_RESYNC_INFLIGHT_PAGES pages) in flight.
 *
 * A copy reads S's image through S's device and writes it to the LUN's own
 * device, so the write takes the normal COW path: snapshots newer than S
 * keep their point in time (the origin's current data is preserved into
 * the newest one first).  S itself is never written, nor deleted while the
 * LUN depends on it (vss_resync_pins()).  No snapshot of the LUN is taken
 * while unsynced chunks remain (its point in time would be undefined).
 *
 * Every completion (copy reads and writes, held-back overwrites) is
 * continued from our own workqueues, never in the completing driver's
 * context: the background copies from vss_resync_wq, the copies and
 * overwrites a foreground write waits for from vss_resync_fg_wq
 * (WQ_HIGHPRI), so they never queue behind background batches.
 *
 * Rate control follows md: speed_max caps the copy rate; while foreground
 * I/O is seen (within VSS_RESYNC_FG_IDLE), background copies drop to one
 * in flight and pause once the current second's copies (the foreground's
 * on-demand ones included) reached speed_min, so the minimum holds under
 * any load and the rest of the device goes to the foreground.
 *
 * Cancel stops the background copies; the LUN stays consistent (S plus the
 * writes since), with unsynced chunks still read from S and copied when
 * written.  A copy that fails VSS_RESYNC_TRIES times fails the resync
 * (event, foreground I/O goes on, writes needing that chunk get EIO); a new
 * RecoverSet restarts it.
 *
 * Onto another protected LUN D: online, as a revert routes its own LUN
 * (D's resync routes D's I/O to S's image); the work set is every chunk S
 * covers, or, onto a standby provably holding an earlier copy, only the
 * chunks changed since (vss_resync_standby_base()).  Onto a plain block
 * device: every chunk of S, in ascending order, the device opened
 * exclusively.  Both keep the destination's partition-table identity
 * unless REVERT_IDENTITY_ALL (vss_resync_identity(), identity.c).
 *
 * Persistence (online revert and online copy onto another protected LUN;
 * Documentation/resync.rst, "Crash and reboot"): the work set is written
 * to the store of the LUN whose I/O is routed as TODO runs and a START
 * record (a copy: after a SOURCE record naming the snapshot) while the
 * LUN's writes are held, before RecoverSet returns.  A
 * chunk that leaves the work set (copied, overwritten whole, discarded)
 * becomes "dirty" (XA_MARK_1 in @todo); a commit flushes the backing
 * device, then writes the dirty chunks' DONE runs, then erases them
 * (durable before released).  Commits run every resync_commit_ms, and at
 * once for what waits on them: a whole-chunk overwrite's completion, and
 * the completion of a flush or FUA write submitted while chunks were
 * dirty.  Cancel, failure and completion are STATE records.  Removing the
 * LUN pauses the revert (vss_resync_lun_pause()); adding it again resumes
 * it from the store (vss_resync_lun_replayed(), vss_resync_lun_resume());
 * a copy's source LUN must be added first.  Copies onto a plain device
 * are not persistent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-resync: " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "identity.h"
#include "lun.h"
#include "resync.h"
#include "snapshot.h"
#include "store.h"
#include "store_format.h"
#include "writer.h"

#define VSS_RESYNC_COPY_MAX	(1024 * 1024)	/* bytes per copy run */
#define VSS_RESYNC_PAGES	(VSS_RESYNC_COPY_MAX / PAGE_SIZE)
#define VSS_RESYNC_INFLIGHT	16		/* runs in flight, as fio's QD16 */
/* and their pages: scattered 64 KiB chunks keep 16 in flight, 1 MiB runs 8 */
#define VSS_RESYNC_INFLIGHT_PAGES	(8 * VSS_RESYNC_PAGES)
#define VSS_RESYNC_TRIES	3		/* attempts per copy */
/* foreground I/O this recent makes the background back off to speed_min */
#define VSS_RESYNC_FG_IDLE	(HZ / 5)

/* @todo marks: copy in flight; done, DONE not durable; being committed */
#define VSS_TODO_INFLIGHT	XA_MARK_0
#define VSS_TODO_DIRTY		XA_MARK_1
#define VSS_TODO_COMMITTING	XA_MARK_2

static unsigned int resync_commit_ms = 1000;
module_param(resync_commit_ms, uint, 0644);
MODULE_PARM_DESC(resync_commit_ms,
		 "Interval of a revert's progress commits, ms (what a crash may redo)");

static unsigned int resync_speed_min_kb = 1000;
module_param(resync_speed_min_kb, uint, 0644);
MODULE_PARM_DESC(resync_speed_min_kb,
		 "Default guaranteed resync rate, KiB/s (md's speed_limit_min)");
static unsigned int resync_speed_max_kb;
module_param(resync_speed_max_kb, uint, 0644);
MODULE_PARM_DESC(resync_speed_max_kb,
		 "Default resync rate ceiling, KiB/s, 0 = none");

/* all resyncs, in start order, and their serial numbers */
static LIST_HEAD(vss_resyncs);
static DEFINE_MUTEX(vss_resyncs_lock);
static u64 vss_resync_serial;
static struct workqueue_struct *vss_resync_wq;
/* continues what a foreground write waits for, ahead of vss_resync_wq */
static struct workqueue_struct *vss_resync_fg_wq;

enum vss_resync_kind {
	VSS_COPY_RUN = 1,	/* background or on-demand copy */
	VSS_COPY_OVERWRITE,	/* a foreground write covering whole chunks */
};

/**
 * struct vss_resync_idpatch - copied bytes carrying the destination's identity
 * @off: byte offset on the disk
 * @data: VSS_ID_HEAD bytes of the snapshot, patched
 */
struct vss_resync_idpatch {
	u64 off;
	u8 *data;
};

/**
 * struct vss_resync - one resync
 * @node: on vss_resyncs, under vss_resyncs_lock
 * @serial: dump cursor
 * @lun: the LUN whose I/O is routed (online), else the source LUN (a
 *	reference)
 * @online: routes @lun's I/O: a revert of @lun itself, or a copy onto
 *	@lun, another protected LUN; else a copy onto @dest
 * @dest: the other destination, opened exclusively
 * @dest_name: disk name of the destination
 * @has_session: @session_id is set
 * @session_id: the session that started it
 * @started_ns: CLOCK_REALTIME at the start
 * @arrive_ns: ktime_get_ns() when resync-start reached vss_resync_start()
 *	(0: resumed from the store, no such time)
 * @activate_ns: ktime_get_ns() when the routing took effect (online) or
 *	the copy was queued
 * @ended_ns: ktime_get_ns() when the state left running, 0 before
 * @kick: runs the dispatcher (vss_resync_dispatch())
 * @lock: protects every field below and the copies' lists
 * @snap: the snapshot copied (a reference)
 * @state: enum vss_resync_state
 * @routing: (online) the work set is not empty: I/O is routed
 * @quiesce: (online) being reset by a new RecoverSet: no new copies;
 *	writes that would need one wait on @quiesced
 * @quiesced: those writes
 * @todo: (online) unsynced chunks -> xa_mk_value(1); XA_MARK_0 on chunks
 *	a copy or overwrite is in flight for.  Replaced whole (under @lock)
 *	by a new RecoverSet, so readers always see one complete work set
 * @next: next chunk the background walk looks at
 * @src_sectors: the size of the snapshot's LUN: what is copied
 * @idp: the destination's identity written into the copied partition
 *	table (vss_resync_identity())
 * @nr_idp: how many of @idp are used
 * @error: errno of the failure
 * @inflight: copies and overwrites in flight
 * @bg_inflight: the background runs among them
 * @inflight_pages: the pages of the copy runs among them
 * @copies: those, &vss_resync_copy.node
 * @idle_wq: woken when @inflight drops to zero
 * @done_bytes: bytes copied or made unnecessary
 * @total_bytes: bytes to copy
 * @speed_min: bytes/s guaranteed
 * @speed_max: bytes/s ceiling, 0 = none
 * @win_start: jiffies the current rate window began
 * @win_bytes: bytes copied in it
 * @rate: bytes/s of the last full window
 * @last_event: jiffies of the last progress event
 * @fg_last: jiffies of the last foreground bio routed (written without
 *	@lock: a hint for the throttle)
 * @flags: (online) RecoverSet flags, recorded in the store
 * @unsynced: (online) chunks of @todo not dirty
 * @dirty: (online) chunks of @todo marked VSS_TODO_DIRTY
 * @state_dirty: (online) @state changed and is not recorded yet
 * @cw_next: (online) flush/FUA bios completed, waiting for the next commit
 * @ow_next: (online) overwrites completed, waiting for the next commit
 * @commit_mutex: (online) serialises the store records of this revert
 *	(start, commits, state); taken before @lock
 * @commit_work: runs a commit: resync_commit_ms after a chunk became
 *	dirty, at once for what waits on one
 * @cw_pool: struct vss_resync_cwait for flush/FUA bios
 * @written: a write other than the resync's own reached @lun since the
 *	resync started: after a copy onto another LUN, that LUN no longer
 *	holds exactly @snap (see vss_resync_standby_base())
 * @wgrp: the writers of the RecoverSet, held until this resync ends
 *	(their PostRestore waits for it), or NULL
 */
struct vss_resync {
	struct list_head node;
	u64 serial;
	struct vss_lun *lun;
	bool online;
	struct vss_bdev dest;
	char dest_name[32];
	bool has_session;
	uuid_t session_id;
	u64 started_ns;
	u64 arrive_ns;
	u64 activate_ns;
	u64 ended_ns;
	struct delayed_work kick;

	spinlock_t lock;		/* everything below */
	struct vss_snapshot *snap;
	enum vss_resync_state state;
	bool routing;
	bool quiesce;
	struct bio_list quiesced;
	struct xarray *todo;
	u64 next;
	sector_t src_sectors;
	struct vss_resync_idpatch idp[2];
	unsigned int nr_idp;
	u32 error;
	unsigned int inflight;
	unsigned int bg_inflight;
	unsigned int inflight_pages;
	struct list_head copies;
	wait_queue_head_t idle_wq;
	u64 done_bytes;
	u64 total_bytes;
	u64 speed_min;
	u64 speed_max;
	unsigned long win_start;
	u64 win_bytes;
	u64 rate;
	unsigned long last_event;
	unsigned long fg_last;
	u32 flags;
	u64 unsynced;
	u64 dirty;
	bool state_dirty;
	bool written;
	struct vss_wrestore *wgrp;
	struct list_head cw_next;
	struct list_head ow_next;

	struct mutex commit_mutex;	/* the store records of this resync */
	struct delayed_work commit_work;
	mempool_t *cw_pool;
};

/**
 * struct vss_resync_cwait - a flush or FUA write whose completion waits
 * for a commit of the chunks dirty when it was submitted
 * @node: on &vss_resync.cw_next, then on a commit's list
 * @rs: the resync
 * @bio: the bio
 * @end_io: its own completion
 * @private: its own bi_private
 */
struct vss_resync_cwait {
	struct list_head node;
	struct vss_resync *rs;
	struct bio *bio;
	bio_end_io_t *end_io;
	void *private;
};

/**
 * struct vss_resync_copy - a copy run or a held-back overwrite in flight
 * @rs: the resync
 * @node: on &vss_resync.copies
 * @kind: enum vss_resync_kind
 * @first: first chunk
 * @nr: chunks
 * @waiters: writes waiting for it (under &vss_resync.lock)
 * @tries: attempts so far
 * @writing: the read is done, the write is in flight
 * @bg: a background run (counted in &vss_resync.bg_inflight)
 * @urgent: a foreground write waits for it: continued from
 *	vss_resync_fg_wq (set under &vss_resync.lock, read without)
 * @status: status of the last bio
 * @bio: the bio in flight (run) or the overwrite
 * @end_io: the overwrite's own completion, restored when it is done
 * @private: the overwrite's own bi_private
 * @work: continues a completion
 * @done: completed when the copy ends (a synchronous identity copy)
 * @nr_pages: pages of @pages in use
 * @pages: the data
 */
struct vss_resync_copy {
	struct vss_resync *rs;
	struct list_head node;
	enum vss_resync_kind kind;
	u64 first;
	u64 nr;
	struct bio_list waiters;
	unsigned int tries;
	bool writing;
	bool bg;
	bool urgent;
	blk_status_t status;
	struct bio *bio;
	bio_end_io_t *end_io;
	void *private;
	struct work_struct work;
	struct completion *done;
	unsigned int nr_pages;
	struct page *pages[];
};

static void vss_resync_copy_work(struct work_struct *work);
static void vss_resync_overwrite_work(struct work_struct *work);
static void vss_resync_free(struct vss_resync *rs);

/* ---- events: the one place that reports them ---- */

static void vss_resync_fill_info(struct vss_resync *rs,
				 struct vss_resync_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	strscpy(ri->dest, rs->dest_name, sizeof(ri->dest));
	ri->started_ns = rs->started_ns;
	ri->has_session = rs->has_session;
	uuid_copy(&ri->session_id, &rs->session_id);
	spin_lock_irq(&rs->lock);
	/* the source LUN: a snapshot holds a reference on its LUN */
	strscpy(ri->lun, rs->snap->lun->name, sizeof(ri->lun));
	uuid_copy(&ri->snap_id, &rs->snap->ps.id);
	ri->state = rs->state;
	ri->done_bytes = rs->done_bytes;
	ri->total_bytes = rs->total_bytes;
	ri->rate = rs->rate;
	if (time_after(jiffies, rs->win_start + 2 * HZ))
		ri->rate = 0;	/* nothing copied for a while */
	ri->speed_min = rs->speed_min;
	ri->speed_max = rs->speed_max;
	ri->error = rs->error;
	if (rs->arrive_ns && rs->activate_ns) {
		ri->has_times = true;
		ri->activate_us = div_u64(rs->activate_ns - rs->arrive_ns,
					  NSEC_PER_USEC);
		ri->elapsed_us = div_u64((rs->ended_ns ?: ktime_get_ns()) -
					 rs->arrive_ns, NSEC_PER_USEC);
	}
	spin_unlock_irq(&rs->lock);
}

/* The resync ended (or goes away): its writers' group may send PostRestore. */
static void vss_resync_wgrp_end(struct vss_resync *rs)
{
	struct vss_wrestore *g;
	u32 state, error;

	spin_lock_irq(&rs->lock);
	g = rs->wgrp;
	rs->wgrp = NULL;
	state = rs->state;
	error = rs->error;
	spin_unlock_irq(&rs->lock);
	if (state == VSS_RESYNC_RUNNING)	/* freed unfinished */
		state = VSS_RESYNC_FAILED;
	vss_wrestore_end(g, state, error);
}

static void vss_resync_report(struct vss_resync *rs, enum vss_resync_event ev)
{
	struct vss_resync_info ri;

	vss_resync_fill_info(rs, &ri);
	vss_event_resync(ev, &ri);
	if (ev == VSS_EV_RESYNC_DONE || ev == VSS_EV_RESYNC_FAILED ||
	    ev == VSS_EV_RESYNC_CANCELLED)
		vss_resync_wgrp_end(rs);
}

/* ---- the work set ---- */

/* Bytes copied for chunks [@first, @first + @nr) of @lun from @src_sectors. */
static u64 vss_resync_span_bytes(struct vss_lun *lun, sector_t src_sectors,
				 u64 first, u64 nr)
{
	u64 end = min(first + nr, lun->nr_chunks);

	return min_t(u64, (u64)src_sectors << SECTOR_SHIFT,
		     end * lun->chunk_size) - first * lun->chunk_size;
}

static u64 vss_resync_chunk_bytes(struct vss_resync *rs, u64 first, u64 nr)
{
	return vss_resync_span_bytes(rs->lun, rs->src_sectors, first, nr);
}

/* The copy run or overwrite in flight for @chunk, or NULL.  Under lock. */
static struct vss_resync_copy *vss_resync_find_copy(struct vss_resync *rs,
						    u64 chunk)
{
	struct vss_resync_copy *cp;

	list_for_each_entry(cp, &rs->copies, node)
		if (chunk >= cp->first && chunk < cp->first + cp->nr)
			return cp;
	return NULL;
}

static bool vss_resync_unsynced(struct vss_resync *rs, u64 chunk)
{
	return xa_load(rs->todo, chunk) &&
	       !xa_get_mark(rs->todo, chunk, VSS_TODO_DIRTY);
}

static struct vss_resync_copy *vss_resync_copy_alloc(struct vss_resync *rs,
						     enum vss_resync_kind kind,
						     u64 first, u64 nr,
						     gfp_t gfp)
{
	unsigned int i, np = 0;
	struct vss_resync_copy *cp;

	if (kind == VSS_COPY_RUN)
		np = DIV_ROUND_UP(vss_resync_chunk_bytes(rs, first, nr),
				  PAGE_SIZE);
	cp = kzalloc(struct_size(cp, pages, np), gfp);
	if (!cp)
		return NULL;
	for (i = 0; i < np; i++) {
		cp->pages[i] = alloc_page(gfp);
		if (!cp->pages[i])
			goto out_free;
		cp->nr_pages++;
	}
	cp->rs = rs;
	cp->kind = kind;
	cp->first = first;
	cp->nr = nr;
	bio_list_init(&cp->waiters);
	INIT_WORK(&cp->work, kind == VSS_COPY_RUN ? vss_resync_copy_work :
						    vss_resync_overwrite_work);
	return cp;

out_free:
	while (cp->nr_pages)
		__free_page(cp->pages[--cp->nr_pages]);
	kfree(cp);
	return NULL;
}

static void vss_resync_copy_free(struct vss_resync_copy *cp)
{
	while (cp->nr_pages)
		__free_page(cp->pages[--cp->nr_pages]);
	kfree(cp);
}

/* Links @cp as in flight and marks its chunks.  Under lock. */
static void vss_resync_copy_link(struct vss_resync_copy *cp)
{
	struct vss_resync *rs = cp->rs;
	u64 c;

	list_add_tail(&cp->node, &rs->copies);
	rs->inflight++;
	rs->inflight_pages += cp->nr_pages;
	if (rs->online)
		for (c = cp->first; c < cp->first + cp->nr; c++)
			xa_set_mark(rs->todo, c, XA_MARK_0);
}

/* ---- copy runs ---- */

/* Where @cp continues: ahead of the background if a write waits for it. */
static void vss_resync_cp_queue(struct vss_resync_copy *cp)
{
	queue_work(READ_ONCE(cp->urgent) ? vss_resync_fg_wq : vss_resync_wq,
		   &cp->work);
}

static void vss_resync_copy_endio(struct bio *bio)
{
	struct vss_resync_copy *cp = bio->bi_private;

	cp->status = bio->bi_status;
	bio_put(bio);
	/* continue in our context, never in the completing driver's */
	vss_resync_cp_queue(cp);
}

static void vss_resync_copy_submit(struct vss_resync_copy *cp, bool write)
{
	struct vss_resync *rs = cp->rs;
	struct vss_lun *lun = rs->lun;
	struct block_device *bdev;
	unsigned int i, len, left;
	struct bio *bio;

	if (!write && !READ_ONCE(rs->snap->disk)) {
		/* an invalid target (vss_resync_lun_replayed()): no data */
		cp->status = BLK_STS_IOERR;
		cp->tries = VSS_RESYNC_TRIES;
		vss_resync_cp_queue(cp);
		return;
	}
	left = vss_resync_chunk_bytes(rs, cp->first, cp->nr);
	if (!write)
		bdev = rs->snap->disk->part0;
	else if (rs->online)
		bdev = lun->disk->part0;	/* through the COW path */
	else
		bdev = rs->dest.bdev;
	cp->writing = write;
	bio = bio_alloc(bdev, cp->nr_pages, write ? REQ_OP_WRITE : REQ_OP_READ,
			GFP_NOIO);
	bio->bi_iter.bi_sector = vss_chunk_to_sector(lun, cp->first);
	for (i = 0; i < cp->nr_pages; i++) {
		len = min_t(unsigned int, left, PAGE_SIZE);
		__bio_add_page(bio, cp->pages[i], len, 0);
		left -= len;
	}
	bio->bi_end_io = vss_resync_copy_endio;
	bio->bi_private = cp;
	submit_bio_noacct(bio);
}

/* The chunks of @cp are done: account them, drop them from the work set. */
static void vss_resync_chunks_done_locked(struct vss_resync *rs, u64 first,
					  u64 nr)
{
	u64 c, bytes = 0;

	if (rs->online) {
		/* dirty until a commit made them durable (see the top) */
		for (c = first; c < first + nr; c++) {
			xa_clear_mark(rs->todo, c, VSS_TODO_INFLIGHT);
			if (!vss_resync_unsynced(rs, c))
				continue;
			xa_set_mark(rs->todo, c, VSS_TODO_DIRTY);
			rs->unsynced--;
			/* committed one interval after the first became dirty */
			if (!rs->dirty++)
				queue_delayed_work(vss_resync_wq, &rs->commit_work,
						   msecs_to_jiffies(resync_commit_ms));
			bytes += vss_resync_chunk_bytes(rs, c, 1);
		}
	} else {
		bytes = vss_resync_chunk_bytes(rs, first, nr);
	}
	rs->done_bytes += bytes;
	if (time_after_eq(jiffies, rs->win_start + HZ)) {
		rs->rate = rs->win_bytes * HZ /
			   max_t(unsigned long, jiffies - rs->win_start, 1);
		rs->win_start = jiffies;
		rs->win_bytes = 0;
	}
	rs->win_bytes += bytes;
}

/* Resubmits writes that waited: they take the routing decision again. */
static void vss_resync_release(struct bio_list *bl, blk_status_t status)
{
	struct bio *bio;

	while ((bio = bio_list_pop(bl))) {
		if (status) {
			bio->bi_status = status;
			bio_endio(bio);
		} else {
			submit_bio_noacct(bio);
		}
	}
}

static void vss_resync_finish_copy(struct vss_resync_copy *cp, bool ok)
{
	struct vss_resync *rs = cp->rs;
	struct bio_list waiters;
	bool failed = false;
	u64 c;

	bio_list_init(&waiters);
	spin_lock_irq(&rs->lock);
	list_del(&cp->node);
	if (ok) {
		vss_resync_chunks_done_locked(rs, cp->first, cp->nr);
	} else {
		if (rs->online)
			for (c = cp->first; c < cp->first + cp->nr; c++)
				xa_clear_mark(rs->todo, c, XA_MARK_0);
		if (rs->state == VSS_RESYNC_RUNNING) {
			rs->state = VSS_RESYNC_FAILED;
			rs->ended_ns = ktime_get_ns();
			rs->error = EIO;
			rs->state_dirty = rs->online;
			failed = true;
		}
	}
	bio_list_merge(&waiters, &cp->waiters);
	rs->inflight_pages -= cp->nr_pages;
	if (cp->bg)
		rs->bg_inflight--;
	if (!--rs->inflight)
		wake_up(&rs->idle_wq);
	spin_unlock_irq(&rs->lock);

	if (failed) {
		pr_err("%s: resync from snapshot %pUb onto %s failed: copy of chunks %llu+%llu: I/O error\n",
		       rs->lun->name, &rs->snap->ps.id, rs->dest_name,
		       cp->first, cp->nr);
		vss_resync_report(rs, VSS_EV_RESYNC_FAILED);
		if (rs->online)	/* record the failure */
			mod_delayed_work(vss_resync_wq, &rs->commit_work, 0);
	}
	vss_resync_release(&waiters, ok ? BLK_STS_OK : BLK_STS_IOERR);
	if (cp->done)
		complete(cp->done);
	vss_resync_copy_free(cp);
	mod_delayed_work(vss_resync_wq, &rs->kick, 0);
}

/*
 * Writes the destination's identity into the data read for @cp where it
 * holds the snapshot's partition table (see vss_resync_identity()).
 */
static void vss_resync_copy_patch(struct vss_resync_copy *cp)
{
	struct vss_resync *rs = cp->rs;
	u64 start = (u64)cp->first * rs->lun->chunk_size;
	u64 end = start + vss_resync_chunk_bytes(rs, cp->first, cp->nr);
	u64 from, to, pos;
	unsigned int i, n;

	for (i = 0; i < rs->nr_idp; i++) {
		from = max(start, rs->idp[i].off);
		to = min(end, rs->idp[i].off + VSS_ID_HEAD);
		for (pos = from; pos < to; pos += n) {
			n = min_t(u64, to - pos,
				  PAGE_SIZE - offset_in_page(pos - start));
			memcpy_to_page(cp->pages[(pos - start) >> PAGE_SHIFT],
				       offset_in_page(pos - start),
				       rs->idp[i].data + (pos - rs->idp[i].off),
				       n);
		}
	}
}

static void vss_resync_copy_work(struct work_struct *work)
{
	struct vss_resync_copy *cp = container_of(work, struct vss_resync_copy,
						  work);

	if (cp->status) {
		if (++cp->tries < VSS_RESYNC_TRIES) {
			pr_warn("%s: copy of chunks %llu+%llu failed (%d), retrying\n",
				cp->rs->lun->name, cp->first, cp->nr,
				blk_status_to_errno(cp->status));
			cp->status = BLK_STS_OK;
			vss_resync_copy_submit(cp, false);
			return;
		}
		vss_resync_finish_copy(cp, false);
		return;
	}
	if (!cp->writing) {
		vss_resync_copy_patch(cp);
		vss_resync_copy_submit(cp, true);
		return;
	}
	vss_resync_finish_copy(cp, true);
}

/* ---- held-back overwrites ---- */

static void vss_resync_overwrite_endio(struct bio *bio)
{
	struct vss_resync_copy *cp = bio->bi_private;

	cp->status = bio->bi_status;
	vss_resync_cp_queue(cp);	/* urgent: a user's write */
}

/*
 * A write covering whole unsynced chunks completed: the chunks now hold
 * its data; they leave the work set before the write is completed, so no
 * later read is routed to the snapshot.
 */
static void vss_resync_overwrite_work(struct work_struct *work)
{
	struct vss_resync_copy *cp = container_of(work, struct vss_resync_copy,
						  work);
	struct vss_resync *rs = cp->rs;
	struct bio *bio = cp->bio;
	struct bio_list waiters;
	u64 c;

	bio_list_init(&waiters);
	spin_lock_irq(&rs->lock);
	list_del(&cp->node);
	if (!cp->status) {
		vss_resync_chunks_done_locked(rs, cp->first, cp->nr);
	} else {
		for (c = cp->first; c < cp->first + cp->nr; c++)
			xa_clear_mark(rs->todo, c, XA_MARK_0);
	}
	bio_list_merge(&waiters, &cp->waiters);
	if (!--rs->inflight)
		wake_up(&rs->idle_wq);
	if (!cp->status) {
		/* completed once its chunks' DONE records are durable */
		list_add_tail(&cp->node, &rs->ow_next);
		bio = NULL;
	}
	spin_unlock_irq(&rs->lock);

	if (bio) {
		bio->bi_end_io = cp->end_io;
		bio->bi_private = cp->private;
		bio_endio(bio);
		vss_resync_copy_free(cp);
	} else {
		mod_delayed_work(vss_resync_wq, &rs->commit_work, 0);
	}
	vss_resync_release(&waiters, BLK_STS_OK);
	mod_delayed_work(vss_resync_wq, &rs->kick, 0);
}

/* ---- progress commits (online revert) ---- */

/*
 * What the store records name: a revert its target's slot, a copy from
 * another LUN's snapshot VSS_RS_COPY_SLOT and the snapshot's id.  Locked.
 */
static void vss_resync_rec_id(struct vss_resync *rs, struct vss_store_resync *x)
{
	x->copy = rs->snap->lun != rs->lun;
	x->slot = x->copy ? VSS_RS_COPY_SLOT : rs->snap->ps.slot;
	if (x->copy)
		uuid_copy(&x->src_id, &rs->snap->ps.id);
}

/* Completes a flush or FUA write, or an overwrite, after its commit. */
static void vss_resync_cw_end(struct list_head *cw, struct list_head *ow,
			      int err)
{
	struct vss_resync_cwait *w, *wt;
	struct vss_resync_copy *cp, *ct;
	struct bio *bio;

	list_for_each_entry_safe(w, wt, cw, node) {
		bio = w->bio;
		bio->bi_end_io = w->end_io;
		bio->bi_private = w->private;
		if (err && !bio->bi_status)
			bio->bi_status = BLK_STS_IOERR;
		list_del(&w->node);
		mempool_free(w, w->rs->cw_pool);
		bio_endio(bio);
	}
	list_for_each_entry_safe(cp, ct, ow, node) {
		bio = cp->bio;
		bio->bi_end_io = cp->end_io;
		bio->bi_private = cp->private;
		if (err && !bio->bi_status)
			bio->bi_status = BLK_STS_IOERR;
		list_del(&cp->node);
		vss_resync_copy_free(cp);
		bio_endio(bio);
	}
}

/**
 * vss_resync_commit() - make the revert's progress durable
 * @rs: an online revert
 * @final: 0, or VSS_RESYNC_DONE to record the end (nothing unsynced)
 *
 * Flushes the backing device, so the data of every dirty chunk is
 * durable, then writes their DONE runs and the state if it changed; only
 * then are they erased from the work set and what waited for them
 * completed.  A failure leaves them dirty (tried again next time), fails
 * the waiters and the revert.
 *
 * Context: process, under @rs->commit_mutex; sleeps.
 * Return: 0 or a negative errno.
 */
static int vss_resync_commit(struct vss_resync *rs, u32 final)
{
	struct vss_lun *lun = rs->lun;
	struct vss_store_resync x = {};
	struct vss_store_run *runs = NULL;
	unsigned int noio;
	LIST_HEAD(cw);
	LIST_HEAD(ow);
	unsigned long idx;
	u64 n = 0, nr = 0;
	bool state, more, later, failed = false;
	void *e;
	int ret = 0;

	lockdep_assert_held(&rs->commit_mutex);
	spin_lock_irq(&rs->lock);
	list_splice_init(&rs->cw_next, &cw);
	list_splice_init(&rs->ow_next, &ow);
	xa_for_each_marked(rs->todo, idx, e, VSS_TODO_DIRTY) {
		xa_set_mark(rs->todo, idx, VSS_TODO_COMMITTING);
		n++;
	}
	state = rs->state_dirty || final;
	rs->state_dirty = false;
	vss_resync_rec_id(rs, &x);
	x.state = final ? final : rs->state;
	x.error = rs->error;
	spin_unlock_irq(&rs->lock);

	noio = memalloc_noio_save();
	if (n) {
		runs = kvmalloc_array(n, sizeof(*runs), GFP_KERNEL);
		if (!runs) {
			ret = -ENOMEM;
			goto out;
		}
		/* the marks are ours: @todo is replaced only under the mutex */
		xa_for_each_marked(rs->todo, idx, e, VSS_TODO_COMMITTING) {
			if (nr && runs[nr - 1].first + runs[nr - 1].nr == idx)
				runs[nr - 1].nr++;
			else
				runs[nr++] = (struct vss_store_run){ idx, 1 };
		}
		/* durable before released: the data first */
		ret = blkdev_issue_flush(lun->backing.bdev);
	}
	if (!ret && (n || state))
		ret = vss_store_resync_done(lun->store, x.slot, runs, nr,
					    state ? &x : NULL);
out:
	memalloc_noio_restore(noio);
	kvfree(runs);

	spin_lock_irq(&rs->lock);
	xa_for_each_marked(rs->todo, idx, e, VSS_TODO_COMMITTING) {
		if (ret) {
			xa_clear_mark(rs->todo, idx, VSS_TODO_COMMITTING);
			continue;
		}
		xa_erase(rs->todo, idx);
		rs->dirty--;
	}
	if (ret) {
		rs->state_dirty |= state && !final;
		if (rs->state == VSS_RESYNC_RUNNING) {
			rs->state = VSS_RESYNC_FAILED;
			rs->ended_ns = ktime_get_ns();
			rs->error = -ret;
			failed = true;
		}
	}
	more = !list_empty(&rs->cw_next) || !list_empty(&rs->ow_next);
	/* dirtied meanwhile: one interval from now */
	later = !ret && rs->dirty;
	spin_unlock_irq(&rs->lock);
	if (ret)
		pr_err("%s: cannot record the revert's progress (%d): revert failed\n",
		       lun->name, ret);
	if (failed)
		vss_resync_report(rs, VSS_EV_RESYNC_FAILED);
	vss_resync_cw_end(&cw, &ow, ret);
	if (more)
		mod_delayed_work(vss_resync_wq, &rs->commit_work, 0);
	else if (later)
		queue_delayed_work(vss_resync_wq, &rs->commit_work,
				   msecs_to_jiffies(resync_commit_ms));
	return ret;
}

static void vss_resync_commit_work(struct work_struct *work)
{
	struct vss_resync *rs = container_of(to_delayed_work(work),
					     struct vss_resync, commit_work);

	mutex_lock(&rs->commit_mutex);
	vss_resync_commit(rs, 0);
	mutex_unlock(&rs->commit_mutex);
}

static void vss_resync_cw_endio(struct bio *bio)
{
	struct vss_resync_cwait *w = bio->bi_private;
	struct vss_resync *rs = w->rs;
	unsigned long flags;

	/* any context: only queue it for the next commit */
	spin_lock_irqsave(&rs->lock, flags);
	list_add_tail(&w->node, &rs->cw_next);
	spin_unlock_irqrestore(&rs->lock, flags);
	mod_delayed_work(vss_resync_wq, &rs->commit_work, 0);
}

/**
 * vss_resync_flush_bio() - hold back the completion of a flush or FUA
 * write until the revert's dirty chunks are recorded done
 * @lun: the LUN
 * @bio: a bio of the LUN device, not submitted yet
 *
 * A write that the flush makes durable may lie in a chunk whose copy (or
 * whole overwrite) is done but not recorded: after a crash the chunk
 * would be copied again from the snapshot over that write.  So such a
 * flush (or FUA write) completes only after a commit that started after
 * it completed: by then every chunk dirty at its submission is recorded.
 *
 * Context: submit_bio of the LUN device.
 */
void vss_resync_flush_bio(struct vss_lun *lun, struct bio *bio)
{
	/* as vss_resync_of(): pairs with the release that publishes it */
	struct vss_resync *rs = smp_load_acquire(&lun->resync);
	struct vss_resync_cwait *w;
	bool need;

	if (!rs || !READ_ONCE(rs->routing) ||
	    !(bio->bi_opf & (REQ_PREFLUSH | REQ_FUA)) ||
	    bio->bi_end_io == vss_resync_cw_endio)
		return;
	spin_lock_irq(&rs->lock);
	need = rs->routing && rs->dirty;
	spin_unlock_irq(&rs->lock);
	if (!need)
		return;
	w = mempool_alloc(rs->cw_pool, GFP_NOIO);
	w->rs = rs;
	w->bio = bio;
	w->end_io = bio->bi_end_io;
	w->private = bio->bi_private;
	bio->bi_end_io = vss_resync_cw_endio;
	bio->bi_private = w;
}

/* ---- the dispatcher ---- */

/*
 * The next run of the background walk: unsynced chunks not in flight,
 * contiguous, at most VSS_RESYNC_COPY_MAX bytes.  Under lock.
 */
static bool vss_resync_next_run(struct vss_resync *rs, u64 *first, u64 *nr)
{
	u64 bytes = VSS_RESYNC_COPY_MAX, max;
	unsigned long idx;
	bool wrapped;

	/* a quarter second's worth at most, so that the ceiling holds */
	if (rs->speed_max)
		bytes = clamp_t(u64, rs->speed_max / 4, rs->lun->chunk_size,
				VSS_RESYNC_COPY_MAX);
	max = max_t(u64, bytes / rs->lun->chunk_size, 1);
	u64 n;

	if (!rs->online) {
		if (rs->next >= rs->lun->nr_chunks)
			return false;
		*first = rs->next;
		*nr = min(max, rs->lun->nr_chunks - rs->next);
		rs->next += *nr;
		return true;
	}
	for (wrapped = false;;) {
		idx = rs->next;
		if (!xa_find(rs->todo, &idx, ULONG_MAX, XA_PRESENT)) {
			if (wrapped || !rs->next)
				return false;
			/* once from the start: chunks skipped while in flight */
			wrapped = true;
			rs->next = 0;
			continue;
		}
		if (xa_get_mark(rs->todo, idx, VSS_TODO_INFLIGHT) ||
		    xa_get_mark(rs->todo, idx, VSS_TODO_DIRTY)) {
			rs->next = idx + 1;
			continue;
		}
		break;
	}
	for (n = 1; n < max; n++) {
		if (!vss_resync_unsynced(rs, idx + n) ||
		    xa_get_mark(rs->todo, idx + n, XA_MARK_0))
			break;
	}
	*first = idx;
	*nr = n;
	rs->next = idx + n;
	return true;
}

/*
 * How long the rate limits ask the dispatcher to wait, in jiffies, and how
 * many background runs may be in flight (@limit).  The copies in flight
 * count as copied: without them each window would start with up to
 * VSS_RESYNC_INFLIGHT_PAGES dispatched at once, past either limit.
 *
 * With foreground I/O (@fg) the background keeps one run in flight, and
 * only until the window's copies - the foreground's on-demand ones
 * included - reach speed_min: the rest of the device goes to the
 * foreground, as md gives it everything above sync_speed_min, and the
 * minimum still holds (dm-clone stops hydrating while user I/O is in
 * flight, and can starve).  Locked.
 */
static unsigned long vss_resync_throttle(struct vss_resync *rs, bool fg,
					 unsigned int *limit)
{
	unsigned long el = jiffies - rs->win_start + 1;
	u64 b = rs->win_bytes + ((u64)rs->inflight_pages << PAGE_SHIFT);

	*limit = VSS_RESYNC_INFLIGHT;
	if (rs->speed_max && b * HZ >= rs->speed_max * el)
		return max_t(unsigned long,
			     div64_u64(b * HZ, rs->speed_max) - el + 1, 1);
	if (fg) {
		*limit = 1;
		if (!rs->speed_min)
			return VSS_RESYNC_FG_IDLE;
		/* until the minimum's share catches up, or the load ends */
		if (b * HZ >= rs->speed_min * el)
			return clamp_t(u64,
				       div64_u64(b * HZ, rs->speed_min) - el + 1,
				       1, VSS_RESYNC_FG_IDLE);
	}
	return 0;
}

static void vss_resync_complete_locked(struct vss_resync *rs)
{
	rs->state = VSS_RESYNC_DONE;
	rs->ended_ns = ktime_get_ns();
	rs->routing = false;
	rs->done_bytes = rs->total_bytes;
}

/*
 * A copy onto another device ended and nothing is in flight: give the
 * device back (it was opened exclusively for the copy only).
 */
static void vss_resync_close_dest(struct vss_resync *rs)
{
	struct vss_bdev b;

	spin_lock_irq(&rs->lock);
	b = rs->dest;
	rs->dest.bdev = NULL;
	rs->dest.file = NULL;
	spin_unlock_irq(&rs->lock);
	if (b.bdev) {
		blkdev_issue_flush(b.bdev);
		vss_bdev_close(&b);
	}
}

/*
 * Nothing unsynced, nothing in flight: record the end, then stop routing.
 * Until then the target snapshot stays pinned (a delete of it must never
 * precede the DONE records in the log).  True if it ended.
 */
static bool vss_resync_end_online(struct vss_resync *rs)
{
	bool end;
	int ret;

	mutex_lock(&rs->commit_mutex);
	spin_lock_irq(&rs->lock);
	end = rs->state == VSS_RESYNC_RUNNING && !rs->quiesce &&
	      !rs->inflight && !rs->unsynced;
	spin_unlock_irq(&rs->lock);
	if (!end) {
		mutex_unlock(&rs->commit_mutex);
		return false;
	}
	ret = vss_resync_commit(rs, VSS_RESYNC_DONE);
	spin_lock_irq(&rs->lock);
	if (!ret && rs->state == VSS_RESYNC_RUNNING && !rs->unsynced &&
	    !rs->dirty)
		vss_resync_complete_locked(rs);
	else
		end = false;
	spin_unlock_irq(&rs->lock);
	mutex_unlock(&rs->commit_mutex);
	return end;
}

static void vss_resync_dispatch(struct work_struct *work)
{
	struct vss_resync *rs = container_of(to_delayed_work(work),
					     struct vss_resync, kick);
	bool fg = time_before(jiffies, READ_ONCE(rs->fg_last) +
					VSS_RESYNC_FG_IDLE);
	struct vss_resync_copy *cp;
	unsigned long delay = 0;
	unsigned int limit;
	bool done = false, progress = false, ending = false;
	u64 first, nr;

	for (;;) {
		spin_lock_irq(&rs->lock);
		if (rs->state != VSS_RESYNC_RUNNING || rs->quiesce) {
			done = !rs->online && !rs->inflight && rs->dest.bdev;
			spin_unlock_irq(&rs->lock);
			if (done)
				vss_resync_close_dest(rs);
			return;
		}
		if (time_after_eq(jiffies, rs->win_start + HZ)) {
			rs->rate = rs->win_bytes * HZ /
				   max_t(unsigned long,
					 jiffies - rs->win_start, 1);
			rs->win_start = jiffies;
			rs->win_bytes = 0;
		}
		delay = vss_resync_throttle(rs, fg, &limit);
		if (delay || rs->bg_inflight >= limit ||
		    rs->inflight_pages >= VSS_RESYNC_INFLIGHT_PAGES) {
			spin_unlock_irq(&rs->lock);
			break;
		}
		if (!vss_resync_next_run(rs, &first, &nr)) {
			if (!rs->inflight && !rs->online) {
				vss_resync_complete_locked(rs);
				done = true;
			}
			ending = rs->online && !rs->inflight && !rs->unsynced;
			spin_unlock_irq(&rs->lock);
			break;
		}
		/* reserve the run while the pages are allocated */
		if (rs->online) {
			u64 c;

			for (c = first; c < first + nr; c++)
				xa_set_mark(rs->todo, c, XA_MARK_0);
		}
		spin_unlock_irq(&rs->lock);

		cp = vss_resync_copy_alloc(rs, VSS_COPY_RUN, first, nr,
					   GFP_NOIO);
		spin_lock_irq(&rs->lock);
		if (!cp) {
			u64 c;

			if (rs->online)
				for (c = first; c < first + nr; c++)
					xa_clear_mark(rs->todo, c, XA_MARK_0);
			else
				rs->next = first;
			spin_unlock_irq(&rs->lock);
			delay = HZ / 10;
			break;
		}
		cp->bg = true;
		rs->bg_inflight++;
		vss_resync_copy_link(cp);
		spin_unlock_irq(&rs->lock);
		vss_resync_copy_submit(cp, false);
	}

	if (ending)
		done = vss_resync_end_online(rs);
	if (done) {
		if (!rs->online)
			vss_resync_close_dest(rs);
		pr_info("%s: resync from snapshot %pUb onto %s done\n",
			rs->lun->name, &rs->snap->ps.id, rs->dest_name);
		vss_resync_report(rs, VSS_EV_RESYNC_DONE);
		return;
	}
	spin_lock_irq(&rs->lock);
	if (rs->state == VSS_RESYNC_RUNNING &&
	    time_after_eq(jiffies, rs->last_event + HZ)) {
		rs->last_event = jiffies;
		progress = true;
	}
	spin_unlock_irq(&rs->lock);
	if (progress)
		vss_resync_report(rs, VSS_EV_RESYNC_PROGRESS);
	if (delay)
		mod_delayed_work(vss_resync_wq, &rs->kick, delay);
	else if (READ_ONCE(rs->state) == VSS_RESYNC_RUNNING)
		/* while copies run: progress events and rate windows */
		mod_delayed_work(vss_resync_wq, &rs->kick, HZ);
}

/* ---- the LUN's I/O hooks ---- */

static struct vss_resync *vss_resync_of(struct vss_lun *lun)
{
	/* set once, under a hold; lives as long as the LUN */
	return smp_load_acquire(&lun->resync);
}

/* Foreground I/O now: the background backs off (vss_resync_throttle()). */
static void vss_resync_fg_seen(struct vss_resync *rs)
{
	unsigned long now = jiffies;

	if (READ_ONCE(rs->fg_last) != now)
		WRITE_ONCE(rs->fg_last, now);
}

/**
 * vss_resync_read_route() - where a read of the LUN device goes
 * @lun: the LUN
 * @bio: the read; may be replaced by its first part (the rest is split off
 *	and resubmitted to the LUN device)
 *
 * Context: submit_bio of the LUN device.
 * Return: the device to read from: the target snapshot's device for
 * unsynced chunks, else the backing device.
 */
struct block_device *vss_resync_read_route(struct vss_lun *lun,
					   struct bio **bio)
{
	struct vss_resync *rs = vss_resync_of(lun);
	struct block_device *bdev = lun->backing.bdev;
	struct bio *b = *bio, *split;
	sector_t len;
	u64 first, last, n;
	bool unsynced;

	if (!rs || !READ_ONCE(rs->routing))
		return bdev;
	vss_resync_fg_seen(rs);
	first = vss_sector_to_chunk(lun, b->bi_iter.bi_sector);
	last = vss_sector_to_chunk(lun, bio_end_sector(b) - 1);
	spin_lock_irq(&rs->lock);
	if (!rs->routing) {
		spin_unlock_irq(&rs->lock);
		return bdev;
	}
	unsynced = vss_resync_unsynced(rs, first);
	for (n = 1; first + n <= last; n++)
		if (vss_resync_unsynced(rs, first + n) != unsynced)
			break;
	/* a copy onto a larger LUN: the snapshot ends inside a chunk */
	if (unsynced && b->bi_iter.bi_sector >= rs->src_sectors) {
		unsynced = false;
		n = 1;
	}
	len = vss_chunk_to_sector(lun, first + n) - b->bi_iter.bi_sector;
	if (unsynced) {	/* no device: an invalid target (lun_replayed) */
		bdev = rs->snap->disk ? rs->snap->disk->part0 : NULL;
		len = min_t(sector_t, len,
			    rs->src_sectors - b->bi_iter.bi_sector);
	}
	spin_unlock_irq(&rs->lock);

	if (len < bio_sectors(b)) {
		split = bio_split(b, len, GFP_NOIO, &lun->split_bs);
		if (IS_ERR_OR_NULL(split))
			return lun->backing.bdev == bdev ? bdev : NULL;
		bio_chain(split, b);
		submit_bio_noacct(b);	/* the rest comes back to us */
		*bio = split;
	}
	return bdev;
}

/* Does @bio cover the part of chunk @c of the LUN that is copied whole? */
static bool vss_resync_covers(struct vss_resync *rs, struct bio *bio, u64 c)
{
	struct vss_lun *lun = rs->lun;
	sector_t start = vss_chunk_to_sector(lun, c);
	sector_t end = min_t(sector_t, vss_chunk_to_sector(lun, c + 1),
			     rs->src_sectors);

	return bio->bi_iter.bi_sector <= start && bio_end_sector(bio) >= end &&
	       (bio_op(bio) == REQ_OP_WRITE || bio_op(bio) == REQ_OP_DISCARD ||
		bio_op(bio) == REQ_OP_WRITE_ZEROES);
}

/**
 * vss_resync_write_bio() - route a write of the LUN device
 * @lun: the LUN
 * @bio: a write, discard or write-zeroes with data sectors
 *
 * A write touching an unsynced chunk waits for that chunk's copy (started
 * now), unless it covers every unsynced chunk it touches whole: then it
 * goes on, and its completion waits for the chunks to leave the work set.
 *
 * Context: submit_bio of the LUN device, or our workqueue.
 * Return: true if the resync took the bio (it is resubmitted or completed
 * later), false if the caller submits it as usual.
 */
bool vss_resync_write_bio(struct vss_lun *lun, struct bio *bio)
{
	struct vss_resync *rs = vss_resync_of(lun);
	struct vss_resync_copy *cp, *fresh = NULL;
	u64 first, last, c, ow_first = 0, ow_nr = 0;
	bool partial;

	/* our copies, and overwrites already registered (back from a hold) */
	if (!rs || bio->bi_end_io == vss_resync_copy_endio ||
	    bio->bi_end_io == vss_resync_overwrite_endio)
		return false;
	/* the standby record: written since the last copy */
	if (!READ_ONCE(rs->written))
		WRITE_ONCE(rs->written, true);
	if (!READ_ONCE(rs->routing))
		return false;
	vss_resync_fg_seen(rs);
	vss_resync_flush_bio(lun, bio);
	first = vss_sector_to_chunk(lun, bio->bi_iter.bi_sector);
	last = vss_sector_to_chunk(lun, bio_end_sector(bio) - 1);
again:
	spin_lock_irq(&rs->lock);
	if (!rs->routing)
		goto out_pass;
	partial = false;
	ow_nr = 0;
	for (c = first; c <= last; c++) {
		if (!vss_resync_unsynced(rs, c))
			continue;
		cp = vss_resync_find_copy(rs, c);
		if (cp) {
			/* wait for it, then decide again; it goes first now */
			WRITE_ONCE(cp->urgent, true);
			bio_list_add(&cp->waiters, bio);
			goto out_taken;
		}
		if (!vss_resync_covers(rs, bio, c)) {
			partial = true;
			break;
		}
		if (!ow_nr)
			ow_first = c;
		ow_nr = c - ow_first + 1;
	}
	if (partial) {
		if (rs->quiesce) {
			bio_list_add(&rs->quiesced, bio);
			goto out_taken;
		}
		if (!fresh || fresh->kind != VSS_COPY_RUN || fresh->first != c) {
			spin_unlock_irq(&rs->lock);
			if (fresh)
				vss_resync_copy_free(fresh);
			fresh = vss_resync_copy_alloc(rs, VSS_COPY_RUN, c, 1,
						      GFP_NOIO);
			if (!fresh) {
				bio_io_error(bio);
				return true;
			}
			goto again;
		}
		/* this chunk only, at once, continued ahead of the background */
		fresh->urgent = true;
		vss_resync_copy_link(fresh);
		bio_list_add(&fresh->waiters, bio);
		spin_unlock_irq(&rs->lock);
		vss_resync_copy_submit(fresh, false);
		return true;
	}
	if (!ow_nr)
		goto out_pass;
	/* every unsynced chunk it touches lies in [ow_first, ow_first+ow_nr) */
	if (!fresh || fresh->kind != VSS_COPY_OVERWRITE ||
	    fresh->first != ow_first || fresh->nr != ow_nr) {
		spin_unlock_irq(&rs->lock);
		if (fresh)
			vss_resync_copy_free(fresh);
		fresh = vss_resync_copy_alloc(rs, VSS_COPY_OVERWRITE, ow_first,
					      ow_nr, GFP_NOIO);
		if (!fresh) {
			bio_io_error(bio);
			return true;
		}
		goto again;
	}
	fresh->bio = bio;
	fresh->end_io = bio->bi_end_io;
	fresh->private = bio->bi_private;
	bio->bi_end_io = vss_resync_overwrite_endio;
	bio->bi_private = fresh;
	fresh->urgent = true;
	vss_resync_copy_link(fresh);
	spin_unlock_irq(&rs->lock);
	return false;

out_taken:
	spin_unlock_irq(&rs->lock);
	if (fresh)
		vss_resync_copy_free(fresh);
	return true;
out_pass:
	spin_unlock_irq(&rs->lock);
	if (fresh)
		vss_resync_copy_free(fresh);
	return false;
}

/**
 * vss_resync_lun_busy() - may the LUN not be removed nor snapshotted?
 * @lun: the LUN
 *
 * Context: any.
 * Return: true while a resync reads from or writes to the LUN: its work
 * set is not empty (online), a copy from one of its snapshots runs, or
 * another LUN still reads unsynced chunks from one of its snapshots.
 */
bool vss_resync_lun_busy(struct vss_lun *lun)
{
	struct vss_resync *rs;
	bool busy = false;

	rs = vss_resync_of(lun);
	if (rs && READ_ONCE(rs->routing))
		return true;
	mutex_lock(&vss_resyncs_lock);
	list_for_each_entry(rs, &vss_resyncs, node) {
		if (rs->lun == lun && !rs->online &&
		    READ_ONCE(rs->state) == VSS_RESYNC_RUNNING)
			busy = true;
		spin_lock_irq(&rs->lock);
		if (rs->online && rs->lun != lun && rs->routing &&
		    rs->snap->lun == lun)
			busy = true;
		spin_unlock_irq(&rs->lock);
	}
	mutex_unlock(&vss_resyncs_lock);
	return busy;
}

/**
 * vss_resync_pins() - is a snapshot needed by a resync?
 * @snap: the snapshot
 *
 * Context: process.
 * Return: true if a revert still routes reads to @snap, or a copy from it
 * runs: it may not be deleted.
 */
bool vss_resync_pins(struct vss_snapshot *snap)
{
	struct vss_resync *rs;
	bool pinned = false;

	mutex_lock(&vss_resyncs_lock);
	list_for_each_entry(rs, &vss_resyncs, node) {
		spin_lock_irq(&rs->lock);
		if (rs->snap == snap &&
		    (rs->routing || (!rs->online &&
				     rs->state == VSS_RESYNC_RUNNING)))
			pinned = true;
		spin_unlock_irq(&rs->lock);
	}
	mutex_unlock(&vss_resyncs_lock);
	return pinned;
}

/* ---- start ---- */

static int vss_resync_todo_add(void *arg, u64 chunk, u64 nr)
{
	struct xarray *todo = arg;
	u64 c;
	int ret;

	for (c = chunk; c < chunk + nr; c++) {
		ret = xa_err(xa_store(todo, c, xa_mk_value(1), GFP_NOIO));
		if (ret)
			return ret;
	}
	return 0;
}

static struct vss_resync *vss_resync_alloc(struct vss_lun *lun)
{
	struct vss_resync *rs = kzalloc(sizeof(*rs), GFP_KERNEL);

	if (!rs)
		return NULL;
	rs->todo = kmalloc(sizeof(*rs->todo), GFP_KERNEL);
	if (!rs->todo) {
		kfree(rs);
		return NULL;
	}
	xa_init(rs->todo);
	vss_lun_get(lun);
	rs->lun = lun;
	spin_lock_init(&rs->lock);
	INIT_LIST_HEAD(&rs->copies);
	init_waitqueue_head(&rs->idle_wq);
	bio_list_init(&rs->quiesced);
	INIT_DELAYED_WORK(&rs->kick, vss_resync_dispatch);
	/* no foreground seen yet */
	rs->fg_last = jiffies - VSS_RESYNC_FG_IDLE - 1;
	INIT_LIST_HEAD(&rs->cw_next);
	INIT_LIST_HEAD(&rs->ow_next);
	mutex_init(&rs->commit_mutex);
	INIT_DELAYED_WORK(&rs->commit_work, vss_resync_commit_work);
	return rs;
}

/* An online revert of @lun: the pool its flush waits come from. */
static struct vss_resync *vss_resync_alloc_online(struct vss_lun *lun)
{
	struct vss_resync *rs = vss_resync_alloc(lun);

	if (!rs)
		return NULL;
	rs->cw_pool = mempool_create_kmalloc_pool(16,
						  sizeof(struct vss_resync_cwait));
	if (!rs->cw_pool) {
		vss_resync_free(rs);
		return NULL;
	}
	snprintf(rs->dest_name, sizeof(rs->dest_name), "vss-%s", lun->name);
	rs->online = true;
	return rs;
}

static void vss_resync_idp_free(struct vss_resync_idpatch *idp,
				unsigned int nr)
{
	while (nr--)
		kfree(idp[nr].data);
}

/* Only once nothing is in flight and the LUN no longer routes through it. */
static void vss_resync_free(struct vss_resync *rs)
{
	vss_resync_wgrp_end(rs);
	cancel_delayed_work_sync(&rs->kick);
	cancel_delayed_work_sync(&rs->commit_work);
	mempool_destroy(rs->cw_pool);
	vss_resync_idp_free(rs->idp, rs->nr_idp);
	xa_destroy(rs->todo);
	kfree(rs->todo);
	if (rs->dest.bdev)
		vss_bdev_close(&rs->dest);
	if (rs->snap)
		vss_snapshot_put(rs->snap);
	vss_lun_put(rs->lun);
	kfree(rs);
}

static u64 vss_resync_speed(u64 req, unsigned int kb_default)
{
	return req ? req : (u64)kb_default * 1024;
}

/* Restarts @rs (not running, nothing in flight) towards @snap. */
static void vss_resync_reset_locked(struct vss_resync *rs,
				    struct vss_snapshot *snap, u64 smin,
				    u64 smax)
{
	rs->snap = snap;
	rs->src_sectors = snap->lun->sectors;
	rs->state = VSS_RESYNC_RUNNING;
	rs->error = 0;
	rs->next = 0;
	rs->done_bytes = 0;
	rs->win_start = jiffies;
	rs->win_bytes = 0;
	rs->rate = 0;
	rs->last_event = jiffies;
	rs->speed_min = vss_resync_speed(smin, resync_speed_min_kb);
	rs->speed_max = vss_resync_speed(smax, resync_speed_max_kb);
}

/* Reads @len bytes at byte @off of @bdev into @buf (kmalloc'ed, aligned). */
static int vss_resync_read_sync(struct block_device *bdev, u64 off, u8 *buf,
				size_t len)
{
	unsigned int i, n = DIV_ROUND_UP(len, PAGE_SIZE);
	struct bio *bio;
	int ret;

	bio = bio_alloc(bdev, n, REQ_OP_READ, GFP_KERNEL);
	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	for (i = 0; i < n; i++)
		__bio_add_page(bio, virt_to_page(buf + i * PAGE_SIZE),
			       min_t(size_t, len - i * PAGE_SIZE, PAGE_SIZE),
			       0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/*
 * The destination's identity cannot be kept: VSS_E_CANNOT_REVERT_DISKID.
 * A macro because NL_SET_ERR_MSG() keeps a string literal.
 */
#define vss_resync_no_identity(extack, msg) ({				\
	struct netlink_ext_ack *__ea = (extack);			\
	NL_SET_ERR_MSG(__ea, msg);					\
	vss_set_hresult(__ea, VSS_E_CANNOT_REVERT_DISKID);		\
	-EXDEV;								\
})

/**
 * vss_resync_identity() - the destination's identity, ready to be copied
 * @snap: the snapshot about to be copied
 * @dest: the destination, with its current content
 * @flags: VSS_RESYNC_F_*; with REVERT_IDENTITY_ALL the snapshot's identity
 *	is copied as it is
 * @idp: receives the snapshot's blocks holding its partition table (the
 *	first VSS_ID_HEAD bytes, and those ending with the backup GPT header)
 *	with the destination's identity written in
 * @nr: receives how many of @idp are used
 * @extack: the reason it cannot be kept (VSS_E_CANNOT_REVERT_DISKID)
 *
 * Context: process, sleeps (reads both devices).
 * Return: 0 or a negative errno.
 */
static int vss_resync_identity(struct vss_snapshot *snap,
			       struct block_device *dest, u32 flags,
			       struct vss_resync_idpatch *idp,
			       unsigned int *nr,
			       struct netlink_ext_ack *extack)
{
	struct block_device *sb = snap->disk->part0;
	unsigned int lbs = bdev_logical_block_size(sb);
	u64 src_bytes = (u64)snap->lun->sectors << SECTOR_SHIFT, toff;
	struct vss_identity *sid, *did;
	u8 *head, *tail = NULL;
	int ret;

	*nr = 0;
	if (flags & VSS_RESYNC_F_REVERT_IDENTITY_ALL)
		return 0;
	sid = kmalloc_array(2, sizeof(*sid), GFP_KERNEL);
	head = kmalloc(VSS_ID_HEAD, GFP_KERNEL);
	if (!sid || !head) {
		ret = -ENOMEM;
		goto out;
	}
	did = sid + 1;
	ret = vss_resync_read_sync(dest, 0, head, VSS_ID_HEAD);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot read the destination's partition table");
		vss_set_hresult(extack, VSS_E_VOLUME_NOT_SUPPORTED);
		goto out;
	}
	if (vss_identity_parse(head, VSS_ID_HEAD, bdev_logical_block_size(dest),
			       did)) {
		ret = vss_resync_no_identity(extack, "the destination's GPT is not valid: its identity cannot be kept");
		goto out;
	}
	if (did->kind == VSS_ID_NONE)
		goto out;	/* no partition table: nothing to keep */
	if (bdev_logical_block_size(dest) != lbs ||
	    src_bytes < 2 * VSS_ID_HEAD) {
		ret = vss_resync_no_identity(extack, "the destination's identity cannot be kept: block sizes differ or the LUN is too small");
		goto out;
	}
	ret = vss_resync_read_sync(sb, 0, head, VSS_ID_HEAD);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot read the snapshot");
		vss_set_hresult(extack, VSS_E_PROVIDER_VETO);
		goto out;
	}
	if (vss_identity_parse(head, VSS_ID_HEAD, lbs, sid) ||
	    vss_identity_can_keep(sid, did) ||
	    vss_identity_patch(did, head, 0, VSS_ID_HEAD,
			       sid->kind == VSS_ID_GPT ? 1 : 0, lbs)) {
		ret = vss_resync_no_identity(extack, "the snapshot's partition table cannot carry the destination's identity (a different kind of table, or partitions the destination has not)");
		goto out;
	}
	idp[0].off = 0;
	idp[0].data = head;
	head = NULL;
	*nr = 1;
	/* the backup GPT at the end of the snapshot's LUN */
	if (sid->kind != VSS_ID_GPT || !sid->alt_lba ||
	    sid->alt_lba >= div_u64(src_bytes, lbs) ||
	    (sid->alt_lba + 1) * lbs < 2 * VSS_ID_HEAD)
		goto out;
	toff = (sid->alt_lba + 1) * lbs - VSS_ID_HEAD;
	tail = kmalloc(VSS_ID_HEAD, GFP_KERNEL);
	if (!tail) {
		ret = -ENOMEM;
		goto out_idp;
	}
	ret = vss_resync_read_sync(sb, toff, tail, VSS_ID_HEAD);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot read the snapshot");
		vss_set_hresult(extack, VSS_E_PROVIDER_VETO);
		goto out_idp;
	}
	ret = vss_identity_patch(did, tail, toff, VSS_ID_HEAD, sid->alt_lba,
				 lbs);
	if (ret == -ENOENT) {
		ret = 0;	/* no valid backup in the snapshot: as it is */
		goto out;
	}
	if (ret) {
		ret = vss_resync_no_identity(extack, "the snapshot's backup GPT cannot carry the destination's identity");
		goto out_idp;
	}
	idp[1].off = toff;
	idp[1].data = tail;
	tail = NULL;
	*nr = 2;
	goto out;

out_idp:
	vss_resync_idp_free(idp, *nr);
	*nr = 0;
out:
	kfree(tail);
	kfree(head);
	kfree(sid);
	return ret;
}

/*
 * Runs of the work set @todo, for its START record; *@n receives how
 * many, the return value is a kvmalloc'ed array (NULL if empty or no
 * memory: *@n then says which).
 */
static struct vss_store_run *vss_resync_runs(struct xarray *todo, u64 *n,
					     u64 *chunks)
{
	struct vss_store_run *runs;
	unsigned long idx;
	u64 cnt = 0, nr = 0;
	void *e;

	xa_for_each(todo, idx, e)
		cnt++;
	*chunks = cnt;
	*n = 0;
	if (!cnt)
		return NULL;
	runs = kvmalloc_array(cnt, sizeof(*runs), GFP_KERNEL);
	if (!runs) {
		*n = cnt;
		return NULL;
	}
	xa_for_each(todo, idx, e) {
		if (nr && runs[nr - 1].first + runs[nr - 1].nr == idx)
			runs[nr - 1].nr++;
		else
			runs[nr++] = (struct vss_store_run){ idx, 1 };
	}
	*n = nr;
	return runs;
}

/*
 * Copies chunks [@first, @first + @nr) of the work set now and waits: the
 * blocks carrying the destination's identity, before RecoverSet returns.
 */
static int vss_resync_copy_now(struct vss_resync *rs, u64 first, u64 nr)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct vss_resync_copy *cp;
	bool busy = false;
	u64 c;

	cp = vss_resync_copy_alloc(rs, VSS_COPY_RUN, first, nr, GFP_KERNEL);
	if (!cp)
		return -ENOMEM;
	cp->done = &done;
	spin_lock_irq(&rs->lock);
	for (c = first; c < first + nr; c++)
		if (!vss_resync_unsynced(rs, c) ||
		    xa_get_mark(rs->todo, c, XA_MARK_0))
			busy = true;
	if (!busy)
		vss_resync_copy_link(cp);
	spin_unlock_irq(&rs->lock);
	if (busy) {
		/* a write copied some already: wait until none is left */
		vss_resync_copy_free(cp);
		for (c = first; c < first + nr; c++) {
			while (READ_ONCE(rs->state) == VSS_RESYNC_RUNNING) {
				spin_lock_irq(&rs->lock);
				busy = vss_resync_unsynced(rs, c);
				spin_unlock_irq(&rs->lock);
				if (!busy)
					break;
				msleep(20);
			}
		}
	} else {
		vss_resync_copy_submit(cp, false);
		wait_for_completion(&done);
	}
	return READ_ONCE(rs->state) == VSS_RESYNC_FAILED ? -EIO : 0;
}

/**
 * vss_resync_standby_base() - may a copy onto a standby LUN be incremental?
 * @rs: the standby's resync, quiesced, its writes held
 * @snap: the snapshot about to be copied onto it
 *
 * The record that proves what a standby holds is its last resync: if that
 * copied a snapshot B of @snap's LUN and finished (done), and no write
 * other than the copy's own reached the standby since it started
 * (@rs->written, set by every foreground write, kept while the LUN is
 * added), the standby holds B exactly, and differs from @snap only in
 * chunks changed between B and @snap: a subset of those changed since the
 * older of the two (vss_snapshot_changes()).  The record lives in memory:
 * once the standby LUN is removed (or the module reloaded), the next copy
 * is a full one.
 *
 * Context: process.
 * Return: the older of B and @snap (a reference), or NULL: a full copy.
 */
static struct vss_snapshot *vss_resync_standby_base(struct vss_resync *rs,
						    struct vss_snapshot *snap)
{
	struct vss_snapshot_info bi, si;
	struct vss_snapshot *b;

	spin_lock_irq(&rs->lock);
	b = rs->snap;
	if (rs->state != VSS_RESYNC_DONE || rs->written || !b ||
	    b->lun != snap->lun || b->lun == rs->lun ||
	    rs->lun->chunk_size != snap->lun->chunk_size)
		b = NULL;
	else
		vss_snap_get(b);
	spin_unlock_irq(&rs->lock);
	if (!b)
		return NULL;
	vss_snapshot_get_info(b, &bi);
	vss_snapshot_get_info(snap, &si);
	if (bi.state != VSS_SNAP_READY) {
		vss_snapshot_put(b);
		return NULL;
	}
	if (si.seq < bi.seq) {
		vss_snapshot_put(b);
		vss_snap_get(snap);
		return snap;
	}
	return b;
}

/* Adds the chunks of @lun overlapping bytes [@off, @off + @len) to @todo. */
static int vss_resync_todo_range(struct vss_lun *lun, sector_t src_sectors,
				 struct xarray *todo, u64 off, u64 len)
{
	u64 end = min_t(u64, off + len, (u64)src_sectors << SECTOR_SHIFT);
	u64 first = div_u64(off, lun->chunk_size);

	if (off >= end)
		return 0;
	return vss_resync_todo_add(todo, first,
				   div_u64(end - 1, lun->chunk_size) - first + 1);
}

/*
 * Revert @lun to @snap online, or copy @snap of another LUN onto @lun
 * online.  The work set is built, recorded in the store (a revert only)
 * and published while the LUN's writes are held, so no write lands
 * between them and a crash after RecoverSet returned finds the revert.  @idp (@nr_idp of them, from
 * vss_resync_identity()) are taken over; the caller frees what they hold
 * on return.
 */
static int vss_resync_start_online(struct vss_lun *lun,
				   struct vss_snapshot *snap, u32 flags,
				   struct vss_resync_idpatch *idp,
				   unsigned int *nr_idp, u64 smin, u64 smax,
				   const uuid_t *sid, u64 arrive_ns,
				   struct netlink_ext_ack *extack)
{
	struct vss_resync *rs = vss_resync_of(lun), *fresh = NULL;
	sector_t src_sectors = snap->lun->sectors;
	bool other = snap->lun != lun;
	struct vss_snapshot *old = NULL, *base = NULL;
	struct vss_store_resync x = {};
	struct vss_store_run *runs;
	struct bio_list quiesced;
	unsigned int noio, i;
	struct xarray *todo;
	unsigned long idx;
	u64 nr, nruns, chunks;
	void *e;
	int ret;

	bio_list_init(&quiesced);
	if (!rs) {
		fresh = vss_resync_alloc_online(lun);
		if (!fresh)
			return -ENOMEM;
		rs = fresh;
		mutex_lock(&rs->commit_mutex);
	} else {
		/* stop the old revert's copies; writes needing one wait */
		spin_lock_irq(&rs->lock);
		rs->quiesce = true;
		spin_unlock_irq(&rs->lock);
		wait_event(rs->idle_wq, !READ_ONCE(rs->inflight));
		/* its progress first: what waits on it is released */
		mutex_lock(&rs->commit_mutex);
		vss_resync_commit(rs, 0);
	}

	todo = kmalloc(sizeof(*todo), GFP_KERNEL);
	if (!todo) {
		ret = -ENOMEM;
		goto out_unquiesce;
	}
	xa_init(todo);
	ret = vss_lun_hold(lun);
	if (ret) {
		NL_SET_ERR_MSG(extack, "could not hold the LUN's writes");
		vss_set_hresult(extack, VSS_E_PROVIDER_VETO);
		goto out_free_todo;
	}
	if (other && !fresh)
		base = vss_resync_standby_base(rs, snap);
	noio = memalloc_noio_save();
	if (base) {	/* a standby: the differences, and the tables */
		u64 src_bytes = (u64)src_sectors << SECTOR_SHIFT;

		ret = vss_snapshot_changes(base, 0, vss_resync_todo_add, todo);
		for (i = 0; i < *nr_idp && !ret; i++)
			ret = vss_resync_todo_range(lun, src_sectors, todo,
						    idp[i].off, VSS_ID_HEAD);
		for (i = 0; i < rs->nr_idp && !ret; i++)
			ret = vss_resync_todo_range(lun, src_sectors, todo,
						    rs->idp[i].off,
						    VSS_ID_HEAD);
		if (!ret)
			ret = vss_resync_todo_range(lun, src_sectors, todo, 0,
						    VSS_ID_HEAD);
		if (!ret && src_bytes > VSS_ID_HEAD)
			ret = vss_resync_todo_range(lun, src_sectors, todo,
						    src_bytes - VSS_ID_HEAD,
						    VSS_ID_HEAD);
	} else if (other) {	/* every chunk the snapshot covers */
		ret = vss_resync_todo_add(todo, 0,
					  DIV_ROUND_UP_ULL(src_sectors,
							   1U << lun->chunk_shift));
	} else {	/* every chunk changed since @snap */
		ret = vss_snapshot_changes(snap, 0, vss_resync_todo_add, todo);
	}
	if (base)
		vss_snapshot_put(base);
	if (ret) {
		memalloc_noio_restore(noio);
		vss_lun_release(lun);
		NL_SET_ERR_MSG(extack, "cannot read the snapshot's maps");
		vss_set_hresult(extack, VSS_E_PROVIDER_VETO);
		goto out_free_todo;
	}
	nr = 0;
	chunks = 0;
	xa_for_each(todo, idx, e) {
		nr += vss_resync_span_bytes(lun, src_sectors, idx, 1);
		chunks++;
	}
	x.started_ns = ktime_get_real_ns();
	/* durable before the LUN reads as @snap (a copy: in @lun's store) */
	runs = vss_resync_runs(todo, &nruns, &chunks);
	x = (struct vss_store_resync){
		.slot = other ? VSS_RS_COPY_SLOT : snap->ps.slot,
		.flags = flags, .state = VSS_RESYNC_RUNNING, .runs = nruns,
		.chunks = chunks, .total_bytes = nr,
		.started_ns = x.started_ns,
		.speed_min = vss_resync_speed(smin, resync_speed_min_kb),
		.speed_max = vss_resync_speed(smax, resync_speed_max_kb),
		.copy = other,
	};
	if (other)
		uuid_copy(&x.src_id, &snap->ps.id);
	ret = (nruns && !runs) ? -ENOMEM :
	      vss_store_resync_start(lun->store, &x, runs, nruns);
	kvfree(runs);
	memalloc_noio_restore(noio);
	if (ret) {
		vss_lun_release(lun);
		NL_SET_ERR_MSG(extack, "cannot record the resync in the LUN's store");
		vss_set_hresult(extack, VSS_E_PROVIDER_VETO);
		goto out_free_todo;
	}
	vss_snap_get(snap);
	spin_lock_irq(&rs->lock);
	old = rs->snap;
	swap(todo, rs->todo);
	vss_resync_reset_locked(rs, snap, smin, smax);
	rs->flags = flags;
	for (i = 0; i < 2; i++)
		swap(idp[i], rs->idp[i]);
	swap(*nr_idp, rs->nr_idp);
	rs->written = false;
	rs->total_bytes = nr;
	rs->unsynced = chunks;
	rs->dirty = 0;
	rs->state_dirty = false;
	/* until the end is recorded (vss_resync_end_online()) */
	rs->routing = true;
	rs->quiesce = false;
	bio_list_merge(&quiesced, &rs->quiesced);
	bio_list_init(&rs->quiesced);
	rs->has_session = !!sid;
	if (sid)
		uuid_copy(&rs->session_id, sid);
	rs->started_ns = x.started_ns;
	rs->arrive_ns = arrive_ns;
	rs->activate_ns = ktime_get_ns();
	rs->ended_ns = 0;
	spin_unlock_irq(&rs->lock);
	if (fresh) { /* pairs with vss_resync_of(): hooks see it initialised */
		smp_store_release(&lun->resync, rs);
		/* reads are routed from here on: the stamp follows */
		spin_lock_irq(&rs->lock);
		rs->activate_ns = ktime_get_ns();
		spin_unlock_irq(&rs->lock);
	}
	vss_lun_release(lun);
	mutex_unlock(&rs->commit_mutex);

	mutex_lock(&vss_resyncs_lock);
	if (fresh) {
		rs->serial = ++vss_resync_serial;
		list_add_tail(&rs->node, &vss_resyncs);
	}
	mutex_unlock(&vss_resyncs_lock);
	if (old)
		vss_snapshot_put(old);
	xa_destroy(todo);	/* the old work set */
	kfree(todo);
	if (other)
		pr_info("%s: copying snapshot %pUb of %s online%s: %llu bytes\n",
			lun->name, &snap->ps.id, snap->lun->name,
			base ? " (incremental)" : "", nr);
	else
		pr_info("%s: reverting to snapshot %pUb: %llu bytes to copy\n",
			lun->name, &snap->ps.id, nr);
	vss_resync_report(rs, VSS_EV_RESYNC_STARTED);
	vss_resync_release(&quiesced, BLK_STS_OK);
	/* the destination's identity is in place before RecoverSet returns */
	for (i = 0, ret = 0; i < rs->nr_idp && !ret; i++) {
		u64 first = div_u64(rs->idp[i].off, lun->chunk_size);
		u64 last = div_u64(rs->idp[i].off + VSS_ID_HEAD - 1,
				   lun->chunk_size);

		ret = vss_resync_copy_now(rs, first, last - first + 1);
	}
	/*
	 * ... and recorded: a copy resumed after a crash then never copies
	 * these chunks without their patches (vss_resync_lun_replayed()
	 * derives the patches again from the destination all the same).
	 */
	if (!ret && rs->nr_idp) {
		mutex_lock(&rs->commit_mutex);
		ret = vss_resync_commit(rs, 0);
		mutex_unlock(&rs->commit_mutex);
	}
	mod_delayed_work(vss_resync_wq, &rs->kick, 0);
	mod_delayed_work(vss_resync_wq, &rs->commit_work, 0);
	if (ret) {
		NL_SET_ERR_MSG(extack, "copying the partition table failed");
		vss_set_hresult(extack, VSS_E_PROVIDER_VETO);
	}
	return ret;

out_free_todo:
	xa_destroy(todo);
	kfree(todo);
out_unquiesce:
	mutex_unlock(&rs->commit_mutex);
	if (fresh) {
		vss_resync_free(fresh);
		return ret;
	}
	spin_lock_irq(&rs->lock);
	rs->quiesce = false;
	bio_list_merge(&quiesced, &rs->quiesced);
	bio_list_init(&rs->quiesced);
	spin_unlock_irq(&rs->lock);
	vss_resync_release(&quiesced, BLK_STS_OK);
	return ret;
}

/* Is @devt the backing or store device (or a part of it) of a LUN? */
static bool vss_resync_under_lun(dev_t devt)
{
	struct vss_lun_info li;
	struct vss_lun *lun;
	char name[VSS_NAME_MAX + 1] = "";
	bool under = false;

	for (lun = vss_lun_next(name); lun && !under; lun = vss_lun_next(name)) {
		if (lun->backing.bdev &&
		    (lun->backing.bdev->bd_dev == devt ||
		     disk_devt(lun->backing.bdev->bd_disk) == devt))
			under = true;
		if (lun->store_dev.bdev &&
		    (lun->store_dev.bdev->bd_dev == devt ||
		     disk_devt(lun->store_dev.bdev->bd_disk) == devt))
			under = true;
		vss_lun_get_info(lun, &li);
		strscpy(name, li.name, sizeof(name));
		vss_lun_put(lun);
	}
	if (lun)
		vss_lun_put(lun);
	return under;
}

/* Checks (and, unless @check, opens) another destination for @lun. */
static int vss_resync_open_dest(struct vss_lun *lun, const char *path,
				bool check, struct vss_bdev *out,
				struct netlink_ext_ack *extack)
{
	struct vss_bdev b = {};
	dev_t devt;
	int ret;

	ret = lookup_bdev(path, &devt);
	if (ret) {
		NL_SET_ERR_MSG(extack, "destination is not a block device");
		vss_set_hresult(extack, VSS_E_VOLUME_NOT_SUPPORTED);
		return ret == -ENOTBLK ? -EINVAL : ret;
	}
	if (vss_resync_under_lun(devt)) {
		NL_SET_ERR_MSG(extack, "destination is under a protected LUN (backing or store)");
		vss_set_hresult(extack, VSS_E_UNSELECTED_VOLUME);
		return -EXDEV;
	}
	ret = vss_bdev_open(path, &vss_resyncs, &b);
	if (ret) {
		if (ret == -EBUSY) {
			NL_SET_ERR_MSG(extack, "destination is in use");
			vss_set_hresult(extack, VSS_E_VOLUME_IN_USE);
		} else {
			NL_SET_ERR_MSG(extack, "cannot open the destination");
			vss_set_hresult(extack, VSS_E_VOLUME_NOT_SUPPORTED);
		}
		return ret;
	}
	if (bdev_nr_sectors(b.bdev) < lun->sectors) {
		vss_bdev_close(&b);
		NL_SET_ERR_MSG(extack, "destination is smaller than the snapshot's LUN");
		vss_set_hresult(extack, VSS_E_VOLUME_NOT_SUPPORTED);
		return -ENOSPC;
	}
	if (bdev_read_only(b.bdev)) {
		vss_bdev_close(&b);
		NL_SET_ERR_MSG(extack, "destination is read-only");
		vss_set_hresult(extack, VSS_E_VOLUME_NOT_SUPPORTED);
		return -EROFS;
	}
	if (check || !out)
		vss_bdev_close(&b);
	else
		*out = b;
	return 0;
}

/* Is @name (a request's destination) the destination of @rs? */
static bool vss_resync_matches(struct vss_resync *rs, const char *name)
{
	if (!strncmp(name, "/dev/", 5))
		name += 5;
	return !strcmp(name, rs->dest_name) ||
	       (rs->online && !strcmp(name, rs->lun->name));
}

/* The resync with destination @name, under vss_resyncs_lock. */
static struct vss_resync *vss_resync_find_locked(const char *name)
{
	struct vss_resync *rs, *found = NULL;

	list_for_each_entry(rs, &vss_resyncs, node)
		if (vss_resync_matches(rs, name))
			found = rs;	/* the latest */
	return found;
}

/**
 * struct vss_resync_plan - one member being validated and started
 * @snap: the snapshot (a reference)
 * @lun: its LUN (not a reference of its own)
 * @online: the destination is a protected LUN: @lun itself, or @dlun
 * @dlun: another protected LUN as the destination (a reference), or NULL
 * @dest: the other destination, once opened
 * @idp: the destination's identity to write in the copy
 * @nr_idp: how many of @idp are used
 */
struct vss_resync_plan {
	struct vss_snapshot *snap;
	struct vss_lun *lun;
	bool online;
	struct vss_lun *dlun;
	struct vss_bdev dest;
	struct vss_resync_idpatch idp[2];
	unsigned int nr_idp;
};

/*
 * Checks another protected LUN @d as the destination of a copy of @lun's
 * snapshot.  It is copied online, so the "in use" check is the one that
 * VSS_RECOVERY_NO_VOLUME_CHECK skips (and AddSnapshotToRecoverySet leaves
 * to RecoverSet, which knows the flags); its size cannot be skipped.
 */
static int vss_resync_check_lun_dest(struct vss_lun *lun, struct vss_lun *d,
				     u32 flags, bool check,
				     struct netlink_ext_ack *extack)
{
	if (d->sectors < lun->sectors) {
		NL_SET_ERR_MSG(extack, "destination LUN is smaller than the snapshot's LUN");
		vss_set_hresult(extack, VSS_E_VOLUME_NOT_SUPPORTED);
		return -ENOSPC;
	}
	if (!check && !(flags & VSS_RESYNC_F_NO_VOLUME_CHECK) &&
	    disk_openers(d->disk)) {
		NL_SET_ERR_MSG(extack, "destination LUN is open or mounted");
		vss_set_hresult(extack, VSS_E_VOLUME_IN_USE);
		return -EBUSY;
	}
	return 0;
}

static int vss_resync_check_member(struct vss_resync_member *m, u32 flags,
				   bool check, struct vss_resync_plan *p,
				   struct netlink_ext_ack *extack)
{
	struct vss_snapshot_info si;
	struct vss_snapshot *snap;
	struct vss_resync *rs;
	struct vss_lun *lun;
	const char *d = m->dest;
	bool busy = false;
	int ret;

	snap = vss_snapshot_find(&m->snap_id);
	if (!snap) {
		NL_SET_ERR_MSG(extack, "no snapshot with this id");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	p->snap = snap;
	lun = snap->lun;
	p->lun = lun;
	vss_snapshot_get_info(snap, &si);
	strscpy(m->lun, lun->name, sizeof(m->lun));
	switch (si.state) {
	case VSS_SNAP_READY:
		break;
	case VSS_SNAP_PREPARED:
	case VSS_SNAP_COMMITTED:
		NL_SET_ERR_MSG(extack, "the snapshot's set is still being created");
		vss_set_hresult(extack, VSS_E_SNAPSHOT_NOT_IN_SET);
		return -EAGAIN;
	default:
		NL_SET_ERR_MSG(extack, "the snapshot is invalid or being deleted");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	if (!READ_ONCE(snap->disk)) {
		NL_SET_ERR_MSG(extack, "the snapshot has no device");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	if (d && !strncmp(d, "/dev/vss-", 9) && !strchr(d + 9, '-'))
		d += 9;
	p->online = !d || !strcmp(d, lun->name);
	if (p->online) {
		snprintf(m->dest_name, sizeof(m->dest_name), "vss-%s",
			 lun->name);
	} else {
		struct vss_lun *other = vss_lun_find(d);

		if (other) {
			p->dlun = other;
			p->online = true;
			snprintf(m->dest_name, sizeof(m->dest_name), "vss-%s",
				 other->name);
			ret = vss_resync_check_lun_dest(lun, other, flags,
							check, extack);
			if (ret)
				return ret;
			if (!check) {
				ret = vss_resync_identity(snap,
							  other->disk->part0,
							  flags, p->idp,
							  &p->nr_idp, extack);
				if (ret)
					return ret;
			}
		} else {
			ret = vss_resync_open_dest(lun, d, check,
						   check ? NULL : &p->dest,
						   extack);
			if (ret)
				return ret;
			if (p->dest.bdev)
				strscpy(m->dest_name,
					p->dest.bdev->bd_disk->disk_name,
					sizeof(m->dest_name));
			else
				strscpy(m->dest_name, kbasename(d),
					sizeof(m->dest_name));
			if (p->dest.bdev) {
				ret = vss_resync_identity(snap, p->dest.bdev,
							  flags, p->idp,
							  &p->nr_idp, extack);
				if (ret)
					return ret;
			}
		}
	}
	/* one running resync per LUN, and per destination */
	mutex_lock(&vss_resyncs_lock);
	list_for_each_entry(rs, &vss_resyncs, node)
		if (READ_ONCE(rs->state) == VSS_RESYNC_RUNNING &&
		    (rs->lun == lun || vss_resync_matches(rs, m->dest_name)))
			busy = true;
	mutex_unlock(&vss_resyncs_lock);
	if (busy)
		goto in_progress;
	return 0;

in_progress:
	NL_SET_ERR_MSG(extack, "a resync of this LUN or destination is running");
	vss_set_hresult(extack, VSS_E_RESYNC_IN_PROGRESS);
	return -EBUSY;
}

static int vss_resync_start_copy(struct vss_resync_plan *p,
				 struct vss_resync_member *m, u64 smin,
				 u64 smax, const uuid_t *sid, u64 arrive_ns)
{
	struct vss_resync *rs, *old, *tmp;

	rs = vss_resync_alloc(p->lun);
	if (!rs)
		return -ENOMEM;
	rs->dest = p->dest;
	p->dest.bdev = NULL;
	swap(rs->idp[0], p->idp[0]);
	swap(rs->idp[1], p->idp[1]);
	swap(rs->nr_idp, p->nr_idp);
	strscpy(rs->dest_name, m->dest_name, sizeof(rs->dest_name));
	vss_snap_get(p->snap);
	spin_lock_irq(&rs->lock);
	vss_resync_reset_locked(rs, p->snap, smin, smax);
	rs->total_bytes = (u64)p->lun->sectors << SECTOR_SHIFT;
	spin_unlock_irq(&rs->lock);
	rs->has_session = !!sid;
	if (sid)
		uuid_copy(&rs->session_id, sid);
	rs->started_ns = ktime_get_real_ns();
	rs->arrive_ns = arrive_ns;
	rs->activate_ns = ktime_get_ns();

	mutex_lock(&vss_resyncs_lock);
	/* the finished resyncs of this destination make room */
	list_for_each_entry_safe(old, tmp, &vss_resyncs, node) {
		if (old->online || strcmp(old->dest_name, rs->dest_name) ||
		    READ_ONCE(old->state) == VSS_RESYNC_RUNNING)
			continue;
		list_del(&old->node);
		wait_event(old->idle_wq, !READ_ONCE(old->inflight));
		vss_resync_free(old);
	}
	rs->serial = ++vss_resync_serial;
	list_add_tail(&rs->node, &vss_resyncs);
	mutex_unlock(&vss_resyncs_lock);
	pr_info("%s: copying snapshot %pUb onto %s\n", p->lun->name,
		&p->snap->ps.id, rs->dest_name);
	vss_resync_report(rs, VSS_EV_RESYNC_STARTED);
	mod_delayed_work(vss_resync_wq, &rs->kick, 0);
	return 0;
}

/* serialises starts, so that the checks and the starts are one step */
static DEFINE_MUTEX(vss_resync_start_lock);

/*
 * The resync just started onto @dest holds @g until it ends; one that
 * already ended drops it at once.  Caller holds vss_resync_start_lock.
 */
static void vss_resync_wgrp_attach(const char *dest, struct vss_wrestore *g)
{
	struct vss_wrestore *old = NULL;
	u32 state = VSS_RESYNC_FAILED, error = ENOENT;
	struct vss_resync *rs;

	if (!g)
		return;
	vss_wrestore_get(g);
	mutex_lock(&vss_resyncs_lock);
	rs = vss_resync_find_locked(dest);
	if (rs) {
		spin_lock_irq(&rs->lock);
		state = rs->state;
		error = rs->error;
		if (state == VSS_RESYNC_RUNNING) {
			old = rs->wgrp;
			rs->wgrp = g;
			g = NULL;
		}
		spin_unlock_irq(&rs->lock);
	}
	mutex_unlock(&vss_resyncs_lock);
	vss_wrestore_end(old, VSS_RESYNC_CANCELLED, 0);
	vss_wrestore_end(g, state, error);
}

/**
 * vss_resync_start() - RecoverSet, or AddSnapshotToRecoverySet's checks
 * @m: the members; on success their lun and dest_name are filled in
 * @nr: how many
 * @flags: VSS_RESYNC_F_*
 * @check: only validate
 * @speed_min: bytes/s, 0 = the module default
 * @speed_max: bytes/s, 0 = the module default
 * @session_id: the requester's session, or NULL
 * @wgrp: the writers that took PreRestore, or NULL: each resync started
 *	holds the group until it ends (PostRestore)
 * @extack: reason of a refusal, with the VSS HRESULT
 *
 * Every member is validated before any starts; all start or none.
 *
 * Context: process, sleeps.
 * Return: 0 or a negative errno.
 */
int vss_resync_start(struct vss_resync_member *m, unsigned int nr, u32 flags,
		     bool check, u64 speed_min, u64 speed_max,
		     const uuid_t *session_id, struct vss_wrestore *wgrp,
		     struct netlink_ext_ack *extack)
{
	u64 arrive_ns = ktime_get_ns();	/* for activate-us, elapsed-us */
	struct vss_resync_plan *p;
	unsigned int i, j;
	int ret = 0;

	if (speed_max && speed_min > speed_max) {
		NL_SET_ERR_MSG(extack, "speed-max is below speed-min");
		return -EINVAL;
	}
	p = kcalloc(nr, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	mutex_lock(&vss_resync_start_lock);
	for (i = 0; i < nr; i++) {
		ret = vss_resync_check_member(&m[i], flags, check, &p[i],
					      extack);
		if (ret)
			goto out;
		for (j = 0; j < i; j++) {
			if (!strcmp(m[j].dest_name, m[i].dest_name)) {
				NL_SET_ERR_MSG(extack, "two members have the same destination");
				vss_set_hresult(extack,
						VSS_E_OBJECT_ALREADY_EXISTS);
				ret = -EEXIST;
				goto out;
			}
			/* a revert routes its LUN: nothing else reads it */
			if (p[j].lun == p[i].lun &&
			    ((p[i].online && !p[i].dlun) ||
			     (p[j].online && !p[j].dlun))) {
				NL_SET_ERR_MSG(extack, "a LUN reverted in the set is also copied");
				vss_set_hresult(extack,
						VSS_E_RESYNC_IN_PROGRESS);
				ret = -EBUSY;
				goto out;
			}
		}
	}
	if (check)
		goto out;
	for (i = 0; i < nr; i++) {
		if (p[i].online)
			ret = vss_resync_start_online(p[i].dlun ?: p[i].lun,
						      p[i].snap, flags,
						      p[i].idp, &p[i].nr_idp,
						      speed_min, speed_max,
						      session_id, arrive_ns,
						      extack);
		else
			ret = vss_resync_start_copy(&p[i], &m[i], speed_min,
						    speed_max, session_id,
						    arrive_ns);
		if (ret) {
			/* the ones started go on: say which failed */
			if (i)
				NL_SET_ERR_MSG(extack, "a resync of the set did not start");
			vss_set_hresult(extack, VSS_E_PROVIDER_VETO);
			break;
		}
		vss_resync_wgrp_attach(m[i].dest_name, wgrp);
	}
out:
	mutex_unlock(&vss_resync_start_lock);
	for (i = 0; i < nr; i++) {
		if (p[i].dest.bdev)
			vss_bdev_close(&p[i].dest);
		if (p[i].snap)
			vss_snapshot_put(p[i].snap);
		if (p[i].dlun)
			vss_lun_put(p[i].dlun);
		vss_resync_idp_free(p[i].idp, p[i].nr_idp);
	}
	kfree(p);
	return ret;
}

/* ---- queries and control ---- */

/**
 * vss_resync_get_info() - the resync of a destination
 * @dest: disk name, "/dev/" + disk name, or (online) the LUN name
 * @info: receives its state
 *
 * Context: process.
 * Return: 0 or -ENOENT.
 */
int vss_resync_get_info(const char *dest, struct vss_resync_info *info)
{
	struct vss_resync *rs;
	int ret = -ENOENT;

	mutex_lock(&vss_resyncs_lock);
	rs = vss_resync_find_locked(dest);
	if (rs) {
		vss_resync_fill_info(rs, info);
		ret = 0;
	}
	mutex_unlock(&vss_resyncs_lock);
	return ret;
}

/**
 * vss_resync_next_info() - iterate the resyncs for a dump
 * @cursor: serial of the last one returned (0 = start); advanced
 * @info: receives the next one's state
 *
 * Context: process.
 * Return: 0, or -ENOENT at the end.
 */
int vss_resync_next_info(u64 *cursor, struct vss_resync_info *info)
{
	struct vss_resync *rs;
	int ret = -ENOENT;

	mutex_lock(&vss_resyncs_lock);
	list_for_each_entry(rs, &vss_resyncs, node) {
		if (rs->serial <= *cursor)
			continue;
		vss_resync_fill_info(rs, info);
		*cursor = rs->serial;
		ret = 0;
		break;
	}
	mutex_unlock(&vss_resyncs_lock);
	return ret;
}

/**
 * vss_resync_cancel() - stop a running resync
 * @dest: as for vss_resync_get_info()
 * @extack: reason of a refusal
 *
 * Copies in flight finish; no new background copy starts.  A revert keeps
 * routing (see the top of this file).
 *
 * Context: process, sleeps.
 * Return: 0, -ENOENT, or -EALREADY if it had ended.
 */
int vss_resync_cancel(const char *dest, struct netlink_ext_ack *extack)
{
	struct vss_resync *rs;
	bool cancelled = false;

	mutex_lock(&vss_resyncs_lock);
	rs = vss_resync_find_locked(dest);
	if (!rs) {
		mutex_unlock(&vss_resyncs_lock);
		NL_SET_ERR_MSG(extack, "No resync of that destination");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	if (rs->online)	/* the state record and the end are ordered */
		mutex_lock(&rs->commit_mutex);
	spin_lock_irq(&rs->lock);
	if (rs->state == VSS_RESYNC_RUNNING) {
		rs->state = VSS_RESYNC_CANCELLED;
		rs->ended_ns = ktime_get_ns();
		rs->state_dirty = rs->online;
		cancelled = true;
	}
	spin_unlock_irq(&rs->lock);
	if (rs->online) {
		/* durable on return: the work set stays, routed (see top) */
		if (cancelled)
			vss_resync_commit(rs, 0);
		mutex_unlock(&rs->commit_mutex);
	}
	if (cancelled) {
		wait_event(rs->idle_wq, !READ_ONCE(rs->inflight) ||
			   rs->online);
		mod_delayed_work(vss_resync_wq, &rs->kick, 0);
		pr_info("%s: resync onto %s cancelled\n", rs->lun->name,
			rs->dest_name);
		vss_resync_report(rs, VSS_EV_RESYNC_CANCELLED);
	}
	mutex_unlock(&vss_resyncs_lock);
	if (!cancelled) {
		NL_SET_ERR_MSG(extack, "the resync has already ended");
		return -EALREADY;
	}
	return 0;
}

/**
 * vss_resync_set_speed() - change the rate limits of a resync
 * @dest: as for vss_resync_get_info()
 * @speed_min: bytes/s, 0 = the module default
 * @speed_max: bytes/s, 0 = the module default
 * @extack: reason of a refusal
 *
 * Context: process.
 * Return: 0, -ENOENT or -EINVAL.
 */
int vss_resync_set_speed(const char *dest, u64 speed_min, u64 speed_max,
			 struct netlink_ext_ack *extack)
{
	struct vss_resync *rs;

	speed_min = vss_resync_speed(speed_min, resync_speed_min_kb);
	speed_max = vss_resync_speed(speed_max, resync_speed_max_kb);
	if (speed_max && speed_min > speed_max) {
		NL_SET_ERR_MSG(extack, "speed-max is below speed-min");
		return -EINVAL;
	}
	mutex_lock(&vss_resyncs_lock);
	rs = vss_resync_find_locked(dest);
	if (rs) {
		spin_lock_irq(&rs->lock);
		rs->speed_min = speed_min;
		rs->speed_max = speed_max;
		spin_unlock_irq(&rs->lock);
		mod_delayed_work(vss_resync_wq, &rs->kick, 0);
	}
	mutex_unlock(&vss_resyncs_lock);
	if (!rs) {
		NL_SET_ERR_MSG(extack, "No resync of that destination");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	return 0;
}

/**
 * vss_resync_lun_gone() - forget the resyncs of a LUN being torn down
 * @lun: the LUN; no I/O is in flight on its device any more
 *
 * Context: process, sleeps.
 */
void vss_resync_lun_gone(struct vss_lun *lun)
{
	struct vss_resync *rs, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&vss_resyncs_lock);
	list_for_each_entry_safe(rs, tmp, &vss_resyncs, node) {
		if (rs->lun != lun)
			continue;
		spin_lock_irq(&rs->lock);
		/* in memory only: the store keeps a revert's state */
		if (rs->state == VSS_RESYNC_RUNNING) {
			rs->state = VSS_RESYNC_CANCELLED;
			rs->ended_ns = ktime_get_ns();
		}
		rs->state_dirty = false;
		spin_unlock_irq(&rs->lock);
		list_move(&rs->node, &gone);
	}
	mutex_unlock(&vss_resyncs_lock);
	list_for_each_entry_safe(rs, tmp, &gone, node) {
		wait_event(rs->idle_wq, !READ_ONCE(rs->inflight));
		if (rs->online && lun->store) {
			/* what is done is recorded; nothing waits any more */
			cancel_delayed_work_sync(&rs->commit_work);
			mutex_lock(&rs->commit_mutex);
			vss_resync_commit(rs, 0);
			mutex_unlock(&rs->commit_mutex);
		}
		list_del(&rs->node);
		if (rs->online) /* no I/O any more; pairs with vss_resync_of() */
			smp_store_release(&lun->resync, NULL);
		vss_resync_free(rs);
	}
}

/**
 * vss_resync_lun_pause() - stop a LUN's revert before the LUN goes away
 * @lun: the LUN being removed; its device is no longer open
 *
 * The background copies stop, those in flight finish, and the progress is
 * committed, so re-adding the LUN resumes where this one stopped (the
 * store keeps the revert running).  Before del_gendisk(): the copies
 * write through the LUN device.
 *
 * Context: process, sleeps.
 */
void vss_resync_lun_pause(struct vss_lun *lun)
{
	struct vss_resync *rs = vss_resync_of(lun);

	if (!rs)
		return;
	spin_lock_irq(&rs->lock);
	rs->quiesce = true;
	spin_unlock_irq(&rs->lock);
	cancel_delayed_work_sync(&rs->kick);
	wait_event(rs->idle_wq, !READ_ONCE(rs->inflight));
	mutex_lock(&rs->commit_mutex);
	vss_resync_commit(rs, 0);
	mutex_unlock(&rs->commit_mutex);
	if (READ_ONCE(rs->state) == VSS_RESYNC_RUNNING)
		pr_info("%s: resync from snapshot %pUb paused, %llu of %llu bytes done\n",
			lun->name, &rs->snap->ps.id, rs->done_bytes,
			rs->total_bytes);
}

/**
 * vss_resync_blocks_remove() - must removing the LUN wait for a resync?
 * @lun: the LUN
 *
 * A revert of the LUN does not, nor an online copy onto it from another
 * LUN (both are paused and resume when the LUN is added again); a copy of
 * one of its snapshots onto another device does: onto a plain device it
 * is not recorded anywhere, and another LUN reads from that snapshot.
 *
 * Context: process.
 * Return: true while such a copy runs.
 */
bool vss_resync_blocks_remove(struct vss_lun *lun)
{
	struct vss_resync *rs;
	bool busy = false;

	mutex_lock(&vss_resyncs_lock);
	list_for_each_entry(rs, &vss_resyncs, node) {
		if (rs->lun == lun && !rs->online &&
		    READ_ONCE(rs->state) == VSS_RESYNC_RUNNING)
			busy = true;
		spin_lock_irq(&rs->lock);
		/* the destination LUN reads its unsynced chunks from ours */
		if (rs->online && rs->routing && rs->snap->lun != rs->lun &&
		    rs->snap->lun == lun)
			busy = true;
		spin_unlock_irq(&rs->lock);
	}
	mutex_unlock(&vss_resyncs_lock);
	return busy;
}

/*
 * The snapshot a copy onto @lun recorded in @lun's store: it lives on
 * another LUN, which must have been added first (D reads its unsynced
 * chunks from it).  Its identity patches are derived again from @lun's
 * backing device, whose partition-table blocks hold the destination's
 * identity whether they were copied (patched) or not.  Returns the
 * snapshot with a reference, or an ERR_PTR.
 */
static struct vss_snapshot *vss_resync_copy_source(struct vss_lun *lun,
						   const struct vss_store_resync *x,
						   struct vss_resync *rs,
						   struct netlink_ext_ack *extack)
{
	struct vss_snapshot *snap = vss_snapshot_find(&x->src_id);
	int ret;

	if (!snap || snap->lun == lun || !READ_ONCE(snap->disk)) {
		pr_err("%s: the store holds an unfinished copy of snapshot %pUb of another LUN: add that LUN first\n",
		       lun->name, &x->src_id);
		NL_SET_ERR_MSG(extack, "the store holds an unfinished copy of another LUN's snapshot: add that LUN first (see the kernel log)");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		ret = -ENOENT;
		goto bad;
	}
	if (snap->lun->sectors > lun->sectors) {
		NL_SET_ERR_MSG(extack, "store metadata corrupt: the copy's snapshot is larger than the LUN");
		ret = -EUCLEAN;
		goto bad;
	}
	ret = vss_resync_identity(snap, lun->backing.bdev, x->flags, rs->idp,
				  &rs->nr_idp, extack);
	if (ret)
		goto bad;
	return snap;
bad:
	if (snap)
		vss_snapshot_put(snap);
	return ERR_PTR(ret);
}

/**
 * vss_resync_lun_replayed() - bring back the revert (or the copy onto the
 * LUN) the store records
 * @lun: the LUN being added, its store replayed, no device yet
 * @extack: reason of a refusal
 *
 * From here the LUN routes I/O for the resync, so its device, once added,
 * reads as the snapshot at once; the copies resume in
 * vss_resync_lun_resume().  Called before the snapshots' replay is
 * finished, so a checkpoint then carries the resync over.  A copy from
 * another LUN's snapshot needs that LUN added first.
 *
 * Context: process, LUN add.
 * Return: 0, -EUCLEAN (the store names a snapshot that is not there),
 * -ENOENT (a copy's source LUN is not added), -ENOMEM, or the errors of
 * reading the destination's identity.
 */
int vss_resync_lun_replayed(struct vss_lun *lun, struct netlink_ext_ack *extack)
{
	struct vss_store_resync x;
	struct vss_snapshot *snap;
	struct vss_resync *rs;
	struct xarray *work;
	unsigned long idx;
	sector_t src_sectors;
	u64 left = 0, n = 0, chunks;
	void *e;
	int ret;

	if (vss_store_resync_take(lun->store, &x, &work))
		return 0;
	rs = vss_resync_alloc_online(lun);
	if (!rs) {
		ret = -ENOMEM;
		goto bad_work;
	}
	if (x.copy) {
		snap = vss_resync_copy_source(lun, &x, rs, extack);
		if (IS_ERR(snap)) {
			ret = PTR_ERR(snap);
			goto bad_rs;
		}
	} else {
		snap = x.slot < VSS_MAX_SNAPSHOTS ? lun->slot_snap[x.slot] :
		       NULL;
		if (!snap) {
			NL_SET_ERR_MSG(extack, "store metadata corrupt: the resync's snapshot is missing");
			ret = -EUCLEAN;
			goto bad_rs;
		}
		vss_snap_get(snap);
	}
	src_sectors = snap->lun->sectors;
	chunks = DIV_ROUND_UP_ULL(src_sectors, 1U << lun->chunk_shift);
	xa_for_each(work, idx, e) {
		if (idx >= chunks) {
			vss_snapshot_put(snap);
			NL_SET_ERR_MSG(extack, "store metadata corrupt: resync chunk beyond the LUN");
			ret = -EUCLEAN;
			goto bad_rs;
		}
		left += vss_resync_span_bytes(lun, src_sectors, idx, 1);
		n++;
	}
	xa_destroy(rs->todo);
	kfree(rs->todo);
	rs->todo = work;
	spin_lock_irq(&rs->lock);
	vss_resync_reset_locked(rs, snap, x.speed_min, x.speed_max);
	rs->state = x.state;
	rs->error = x.error;
	rs->flags = x.flags;
	rs->total_bytes = max(x.total_bytes, left);
	rs->done_bytes = rs->total_bytes - left;
	rs->unsynced = n;
	rs->routing = true;
	if (snap->state != VSS_SNAP_READY && rs->state == VSS_RESYNC_RUNNING) {
		/* the snapshot lost its data (store overflow): nothing to copy */
		rs->state = VSS_RESYNC_FAILED;
		rs->error = ENODATA;
		rs->state_dirty = true;
	}
	spin_unlock_irq(&rs->lock);
	rs->started_ns = x.started_ns;
	/* pairs with vss_resync_of(): hooks see it initialised */
	smp_store_release(&lun->resync, rs);
	mutex_lock(&vss_resyncs_lock);
	rs->serial = ++vss_resync_serial;
	list_add_tail(&rs->node, &vss_resyncs);
	mutex_unlock(&vss_resyncs_lock);
	pr_info("%s: %s snapshot %pUb%s%s found in the store (%s): %llu of %llu bytes left, flags %#x, speed %llu-%llu B/s\n",
		lun->name, x.copy ? "copy of" : "revert to", &snap->ps.id,
		x.copy ? " of " : "", x.copy ? snap->lun->name : "",
		x.state == VSS_RESYNC_RUNNING ? "resuming" :
		x.state == VSS_RESYNC_FAILED ? "failed" : "cancelled",
		left, rs->total_bytes, rs->flags, rs->speed_min,
		rs->speed_max);
	return 0;

bad_rs:
	vss_resync_free(rs);
bad_work:
	xa_destroy(work);
	kfree(work);
	return ret;
}

/**
 * vss_resync_lun_resume() - restart a replayed revert's copies
 * @lun: the LUN, its device just added
 *
 * Context: process, LUN add.
 */
void vss_resync_lun_resume(struct vss_lun *lun)
{
	struct vss_resync *rs = vss_resync_of(lun);

	if (!rs)
		return;
	vss_resync_report(rs, VSS_EV_RESYNC_STARTED);
	mod_delayed_work(vss_resync_wq, &rs->kick, 0);
}

/**
 * vss_resync_cp_enumerate() - emit the LUN's revert into a checkpoint
 * @lun: the LUN
 * @st: its store, in vss_store_checkpoint()
 *
 * Every chunk still in the work set is emitted, dirty ones included (their
 * DONE records are not written yet: a commit waits for the checkpoint),
 * then the revert.  Nothing when there is no revert or it is done.
 *
 * Context: the enumerate callback of a checkpoint.
 * Return: 0 or the store's error.
 */
int vss_resync_cp_enumerate(struct vss_lun *lun, struct vss_store *st)
{
	struct vss_resync *rs = vss_resync_of(lun);
	struct vss_store_resync x = {};
	unsigned long idx;
	u64 first = 0, nr = 0;
	void *e;
	int ret;

	if (!rs)
		return 0;
	spin_lock_irq(&rs->lock);
	if (!rs->routing) {
		spin_unlock_irq(&rs->lock);
		return 0;
	}
	x = (struct vss_store_resync){
		.flags = rs->flags,
		.state = rs->state, .error = rs->error,
		.total_bytes = rs->total_bytes, .started_ns = rs->started_ns,
		.speed_min = rs->speed_min, .speed_max = rs->speed_max,
	};
	vss_resync_rec_id(rs, &x);
	spin_unlock_irq(&rs->lock);
	if (x.copy) {
		ret = vss_store_cp_resync_source(st, &x.src_id);
		if (ret)
			return ret;
	}
	/* entries leave only after a commit, which waits for us */
	xa_for_each(rs->todo, idx, e) {
		if (nr && first + nr == idx) {
			nr++;
			continue;
		}
		if (nr) {
			ret = vss_store_cp_resync_run(st, x.slot, first, nr);
			if (ret)
				return ret;
		}
		first = idx;
		nr = 1;
	}
	if (nr) {
		ret = vss_store_cp_resync_run(st, x.slot, first, nr);
		if (ret)
			return ret;
	}
	return vss_store_cp_resync(st, &x);
}

/**
 * vss_resync_init() - module init
 *
 * Return: 0 or -ENOMEM.
 */
int vss_resync_init(void)
{
	vss_resync_wq = alloc_workqueue("vss_resync", WQ_MEM_RECLAIM, 0);
	if (!vss_resync_wq)
		return -ENOMEM;
	vss_resync_fg_wq = alloc_workqueue("vss_resync_fg",
					   WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!vss_resync_fg_wq) {
		destroy_workqueue(vss_resync_wq);
		return -ENOMEM;
	}
	return 0;
}

/**
 * vss_resync_exit() - module exit; every LUN is gone
 */
void vss_resync_exit(void)
{
	destroy_workqueue(vss_resync_fg_wq);
	destroy_workqueue(vss_resync_wq);
}
