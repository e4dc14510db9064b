// SPDX-License-Identifier: GPL-2.0
/*
 * vss_store_ktest - drives kmod/store.c directly (it is linked into this
 * test module), playing the engine with a small in-memory model.
 *
 *   insmod vss_store_ktest.ko dev=/dev/vda op=unit
 *	tests of the format, log, replay, refusals and checkpoint;
 *	prints TAP, loading fails if a test failed.
 *   insmod vss_store_ktest.ko dev=/dev/vda op=crash [format=1]
 *	[ack_round=R ack_idx=J]
 *	replays the store, verifies it against the last acknowledgement the
 *	host saw before it killed the VM (every acknowledged record must be
 *	back, everything must be a prefix of the deterministic workload),
 *	prints "VSS-VERIFY ok|FAIL", then runs the workload in a kthread
 *	printing "VSS-ACK r j" after records became durable, until killed.
 *   op=verify: only the verification.
 *
 * Workload, round r (slot r % NSLOT): delete the slot if live, K/2
 * exceptions before the create record (provisional), create (seq r+1),
 * K/2 more, wait for all; invalidate if r % 5 == 4; checkpoint every 8
 * rounds.  LUN chunk of exception j of round r: (r * 7919 + j * 13) mod
 * lun_chunks.
 */
#define pr_fmt(fmt) "vss_store_ktest: " fmt

#include <linux/blkdev.h>
#include <linux/crc32c.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "vss_compat.h"
#include "vss.h"
#include "store.h"
#include "store_format.h"

static char *dev = "/dev/vda";
module_param(dev, charp, 0444);
static char *small = "/dev/vdc";
module_param(small, charp, 0444);
static char *op = "unit";
module_param(op, charp, 0444);
static bool format;
module_param(format, bool, 0444);
static uint chunk = 4096;
module_param(chunk, uint, 0444);
static uint k = 200;
module_param(k, uint, 0444);
static int ack_round = -1;
module_param(ack_round, int, 0444);
static int ack_idx = -1;
module_param(ack_idx, int, 0444);

#define NSLOT		8
#define LUN_NAME	"ktest"
#define LUN_SIZE	(1ULL << 30)
#define MAXEXC		8192

struct km_slot {
	int live;
	bool invalid;
	bool in_set;	/* set id not all zeros */
	u32 seq;
	u32 n;
	u64 *lun;
	u64 *stc;
};

struct km {
	struct vss_store *st;
	struct km_slot s[VSS_MAX_SNAPSHOTS];
	bool fail_replay;
};

static struct km *km;

#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
static struct file *bfile;
#endif
static struct block_device *bdev;

static int open_dev(void)
{
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	bfile = bdev_file_open_by_path(dev, BLK_OPEN_READ | BLK_OPEN_WRITE,
				       &bdev, NULL);
	if (IS_ERR(bfile))
		return PTR_ERR(bfile);
	bdev = file_bdev(bfile);
#else
	struct block_device *b;

	b = blkdev_get_by_path(dev, FMODE_READ | FMODE_WRITE | FMODE_EXCL,
			       &bdev);
	if (IS_ERR(b))
		return PTR_ERR(b);
	bdev = b;
#endif
	return 0;
}

static void close_dev(void)
{
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	fput(bfile);
#else
	blkdev_put(bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
}

/* ------------------------------------------------------------ model */

static int km_slot_alloc(struct km_slot *s)
{
	if (!s->lun) {
		s->lun = kvcalloc(MAXEXC, sizeof(u64), GFP_KERNEL);
		s->stc = kvcalloc(MAXEXC, sizeof(u64), GFP_KERNEL);
		if (!s->lun || !s->stc)
			return -ENOMEM;
	}
	return 0;
}

static void km_reset(void)
{
	int i;

	for (i = 0; i < VSS_MAX_SNAPSHOTS; i++) {
		kvfree(km->s[i].lun);
		kvfree(km->s[i].stc);
	}
	memset(km, 0, sizeof(*km));
}

static void rp_attach(void *arg, struct vss_store *st)
{
	km->st = st;
}

static int rp_create(void *arg, const struct vss_store_snap *s)
{
	struct km_slot *m = &km->s[s->slot];

	if (m->live)
		return -EEXIST;
	if (km_slot_alloc(m))
		return -ENOMEM;
	m->live = 1;
	m->invalid = false;
	m->in_set = !uuid_is_null(&s->set_id);
	m->seq = s->seq;
	m->n = 0;
	return 0;
}

static void km_free_slot(struct km_slot *m)
{
	u32 i;

	for (i = 0; i < m->n; i++)
		vss_store_free(km->st, m->stc[i]);
	m->n = 0;
	m->live = 0;
	m->invalid = false;
}

static int rp_delete(void *arg, u16 slot)
{
	if (!km->s[slot].live)
		return -ENOENT;
	km_free_slot(&km->s[slot]);
	return 0;
}

static int rp_invalidate(void *arg, u16 slot)
{
	if (!km->s[slot].live)
		return -ENOENT;
	km->s[slot].invalid = true;
	return 0;
}

static int rp_break(void *arg, u16 slot)
{
	if (!km->s[slot].live)
		return -ENOENT;
	km->s[slot].in_set = false;
	return 0;
}

static int rp_exception(void *arg, u16 slot, u64 lc, u64 sc)
{
	struct km_slot *m = &km->s[slot];

	if (!m->live || m->n >= MAXEXC)
		return -EINVAL;
	m->lun[m->n] = lc;
	m->stc[m->n] = sc;
	m->n++;
	return 0;
}

static const struct vss_store_replay_ops rp_ops = {
	.attach = rp_attach,
	.snapshot_create = rp_create,
	.snapshot_delete = rp_delete,
	.snapshot_invalidate = rp_invalidate,
	.snapshot_break = rp_break,
	.exception = rp_exception,
};

static struct vss_store *st_open(bool fmt, u32 cs, const char *name,
				 u64 size, int *err)
{
	struct vss_store_params p = {
		.bdev = bdev, .lun_name = name, .lun_size = size,
		.chunk_size = cs, .format = fmt,
	};
	struct netlink_ext_ack ext = {};
	struct vss_store *st;

	km_reset();
	st = vss_store_open(&p, &rp_ops, km, &ext);
	if (IS_ERR(st)) {
		*err = PTR_ERR(st);
		pr_info("# open refused (%d): %s\n", *err,
			ext._msg ? ext._msg : "(no message)");
		return NULL;
	}
	*err = 0;
	km->st = st;
	return st;
}

/* Async completion bookkeeping. */
struct waiter {
	atomic_t left;
	atomic_t errors;
	atomic_t max_idx;
	struct completion done;
};

struct excctx {
	struct vss_store_rec rec;
	struct waiter *w;
	int idx;
};

static void exc_done(void *ctx, int err)
{
	struct excctx *c = ctx;
	struct waiter *w = c->w;
	int old;

	if (err)
		atomic_inc(&w->errors);
	old = atomic_read(&w->max_idx);
	while (c->idx > old && !atomic_try_cmpxchg(&w->max_idx, &old, c->idx))
		;
	if (atomic_dec_and_test(&w->left))
		complete(&w->done);
}

static void waiter_init(struct waiter *w)
{
	init_completion(&w->done);
	atomic_set(&w->left, 1);	/* bias, dropped by waiter_wait() */
	atomic_set(&w->errors, 0);
	atomic_set(&w->max_idx, -1);
}

static int waiter_wait(struct waiter *w)
{
	if (atomic_dec_and_test(&w->left))
		complete(&w->done);
	wait_for_completion(&w->done);
	return atomic_read(&w->errors) ? -EIO : 0;
}

/* Add @n exceptions to @slot, one commit each or all queued at once. */
static int add_exc(struct vss_store *st, u16 slot, u32 n, u64 lbase,
		   bool one_by_one)
{
	struct km_slot *m = &km->s[slot];
	struct excctx *ctx;
	struct waiter w;
	u32 i;
	int err = 0, err2;

	if (km_slot_alloc(m))
		return -ENOMEM;
	ctx = kvcalloc(n, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	waiter_init(&w);
	for (i = 0; i < n && !err; i++) {
		u64 sc;

		err = vss_store_alloc(st, &sc);
		if (err)
			break;
		if (m->n >= MAXEXC) {
			vss_store_free(st, sc);
			err = -E2BIG;
			break;
		}
		m->lun[m->n] = lbase + i;
		m->stc[m->n] = sc;
		m->n++;
		ctx[i].w = &w;
		ctx[i].idx = i;
		atomic_inc(&w.left);
		vss_store_add_exception(st, &ctx[i].rec, slot, lbase + i, sc,
					exc_done, &ctx[i]);
		if (one_by_one) {
			err = waiter_wait(&w);
			waiter_init(&w);
		}
	}
	err2 = waiter_wait(&w);
	kvfree(ctx);
	return err ? err : err2;
}

static int snap_create(struct vss_store *st, u16 slot, u32 seq)
{
	struct vss_store_snap s = { .slot = slot, .seq = seq,
				    .created_ns = ktime_get_real_ns() };
	struct km_slot *m = &km->s[slot];
	int err;

	generate_random_uuid(s.id.b);
	generate_random_uuid(s.set_id.b);
	err = vss_store_snapshot_create(st, &s);
	if (err)
		return err;
	if (km_slot_alloc(m))
		return -ENOMEM;
	m->live = 1;
	m->in_set = true;
	m->seq = seq;
	m->invalid = false;
	return 0;
}

static int snap_delete(struct vss_store *st, u16 slot)
{
	int err = vss_store_snapshot_delete(st, slot);

	if (!err)
		km_free_slot(&km->s[slot]);
	return err;
}

static int enumerate(void *arg, struct vss_store *st)
{
	int i, err;
	u32 j;

	for (i = 0; i < VSS_MAX_SNAPSHOTS; i++) {
		struct km_slot *m = &km->s[i];
		struct vss_store_snap s = { .slot = i, .seq = m->seq };

		if (!m->live)
			continue;
		if (m->in_set)
			memset(s.set_id.b, 0x5a, sizeof(s.set_id.b));
		err = vss_store_cp_snapshot(st, &s, m->invalid);
		if (err)
			return err;
		for (j = 0; j < m->n; j++) {
			err = vss_store_cp_exception(st, i, m->lun[j], m->stc[j]);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Snapshot of the model to compare with a replay. */
struct km_copy {
	struct km_slot s[VSS_MAX_SNAPSHOTS];
};

static void km_copy_free(struct km_copy *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < VSS_MAX_SNAPSHOTS; i++) {
		kvfree(c->s[i].lun);
		kvfree(c->s[i].stc);
	}
	kvfree(c);
}

static struct km_copy *km_save(void)
{
	struct km_copy *c = kvzalloc(sizeof(*c), GFP_KERNEL);
	int i;

	if (!c)
		return NULL;
	for (i = 0; i < VSS_MAX_SNAPSHOTS; i++) {
		c->s[i] = km->s[i];
		if (!km->s[i].lun)
			continue;
		c->s[i].lun = kvmalloc_array(MAXEXC, sizeof(u64), GFP_KERNEL);
		c->s[i].stc = kvmalloc_array(MAXEXC, sizeof(u64), GFP_KERNEL);
		if (!c->s[i].lun || !c->s[i].stc) {
			km_copy_free(c);
			return NULL;
		}
		memcpy(c->s[i].lun, km->s[i].lun, MAXEXC * sizeof(u64));
		memcpy(c->s[i].stc, km->s[i].stc, MAXEXC * sizeof(u64));
	}
	return c;
}

static bool km_equal(struct km_copy *c)
{
	int i;

	for (i = 0; i < VSS_MAX_SNAPSHOTS; i++) {
		struct km_slot *a = &c->s[i], *b = &km->s[i];

		if (a->live != b->live)
			goto diff;
		if (!a->live)
			continue;
		if (a->seq != b->seq || a->invalid != b->invalid ||
		    a->in_set != b->in_set || a->n != b->n)
			goto diff;
		if (memcmp(a->lun, b->lun, a->n * sizeof(u64)) ||
		    memcmp(a->stc, b->stc, a->n * sizeof(u64)))
			goto diff;
		continue;
diff:
		pr_info("# slot %d differs: live %d/%d seq %u/%u inv %d/%d n %u/%u\n",
			i, a->live, b->live, a->seq, b->seq, a->invalid,
			b->invalid, a->n, b->n);
		return false;
	}
	return true;
}

/* Close and reopen; the replayed model must equal the one before. */
static bool reopen_same(struct vss_store **st)
{
	struct km_copy *c = km_save();
	u64 used = vss_store_used_chunks(*st);
	bool ok;
	int err;

	vss_store_close(*st);
	*st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	ok = *st && c && km_equal(c);
	if (ok && vss_store_used_chunks(*st) != used) {
		pr_info("# used chunks %llu before, %llu after reopen\n", used,
			vss_store_used_chunks(*st));
		ok = false;
	}
	km_copy_free(c);
	return ok;
}

/* -------------------------------------------------------- raw access */

static int raw_io(u64 byte, void *buf, bool write)
{
	struct page *pg = alloc_page(GFP_KERNEL);
	struct bio *bio;
	int err;

	if (!pg)
		return -ENOMEM;
	if (write)
		memcpy(page_address(pg), buf, 4096);
	bio = bio_alloc(bdev, 1, write ? REQ_OP_WRITE | REQ_FUA : REQ_OP_READ,
			GFP_KERNEL);
	bio->bi_iter.bi_sector = byte >> 9;
	__bio_add_page(bio, pg, 4096, 0);
	err = submit_bio_wait(bio);
	bio_put(bio);
	if (!err && !write)
		memcpy(buf, page_address(pg), 4096);
	__free_page(pg);
	return err;
}

static int flip_byte(u64 byte)
{
	u8 *b = kmalloc(4096, GFP_KERNEL);
	int err;

	if (!b)
		return -ENOMEM;
	err = raw_io(byte & ~4095ULL, b, false);
	if (!err) {
		b[byte & 4095] ^= 0x5a;
		err = raw_io(byte & ~4095ULL, b, true);
	}
	kfree(b);
	return err;
}

/* Byte address of slot @slot of log position @pos (head unit only). */
static int log_pos_byte(u64 pos, int slot, u64 *byte)
{
	struct vss_sb_disk *sb = kmalloc(4096, GFP_KERNEL);
	u64 head[VSS_UNIT_CHUNKS_MAX];
	u32 cs, bpc, upc, phys;
	int err, s;

	if (!sb)
		return -ENOMEM;
	for (s = 0; s < 2; s++) {
		err = raw_io(s * 4096, sb, false);
		if (err || le64_to_cpu(sb->magic) == VSS_SB_MAGIC)
			break;
	}
	cs = le32_to_cpu(sb->chunk_size);
	for (s = 0; s < VSS_UNIT_CHUNKS_MAX; s++)
		head[s] = le64_to_cpu(sb->log_head[s]);
	upc = le32_to_cpu(sb->unit_chunks);
	kfree(sb);
	if (err)
		return err;
	bpc = cs / 4096;
	phys = 2 * pos + slot;
	if (upc > VSS_UNIT_CHUNKS_MAX || phys >= bpc * upc)
		return -ERANGE;
	*byte = head[phys / bpc] * cs + (u64)(phys % bpc) * 4096;
	return 0;
}

static u64 log_seq_at(u64 byte)
{
	struct vss_log_hdr *h = kmalloc(4096, GFP_KERNEL);
	u64 seq = 0;

	if (h && !raw_io(byte, h, false) &&
	    le32_to_cpu(h->magic) == VSS_LOG_MAGIC)
		seq = le64_to_cpu(h->commit_seq);
	kfree(h);
	return seq;
}

/* --------------------------------------------------------- unit tests */

static int tap_n, tap_fail;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		pr_info("# %s:%d: check failed: %s\n", __func__,	\
			__LINE__, #cond);				\
		goto fail;						\
	}								\
} while (0)

static void tap(bool ok, const char *name)
{
	tap_n++;
	if (!ok)
		tap_fail++;
	pr_info("%sok %d - store_%s\n", ok ? "" : "not ", tap_n, name);
}

static bool t_format_empty(void)
{
	struct vss_store *st;
	int err, i;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(vss_store_chunk_size(st) == chunk);
	CHECK(vss_store_nr_chunks(st) == bdev_nr_bytes(bdev) / chunk);
	CHECK(vss_store_last_seq(st) == 0);
	CHECK(reopen_same(&st));
	for (i = 0; i < VSS_MAX_SNAPSHOTS; i++)
		CHECK(!km->s[i].live);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

static bool t_persist(void)
{
	struct vss_store *st;
	int err;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	CHECK(!snap_create(st, 1, 2));
	CHECK(vss_store_snapshot_create(st, &(struct vss_store_snap){
		.slot = 1, .seq = 9 }) == -EEXIST);
	CHECK(!add_exc(st, 0, 300, 1000, false));
	CHECK(!add_exc(st, 1, 50, 5000, true));
	CHECK(!vss_store_snapshot_invalidate(st, 1));
	km->s[1].invalid = true;
	CHECK(!snap_create(st, 2, 3));
	CHECK(!add_exc(st, 2, 10, 7000, false));
	CHECK(!snap_delete(st, 2));
	/* break: live (valid or invalid) slots only */
	CHECK(vss_store_snapshot_break(st, 2) == -ENOENT);
	CHECK(!vss_store_snapshot_break(st, 1));
	km->s[1].in_set = false;
	CHECK(reopen_same(&st));
	CHECK(vss_store_last_seq(st) == 3);
	CHECK(km->s[0].n == 300 && km->s[1].n == 50 && km->s[1].invalid);
	CHECK(km->s[0].in_set && !km->s[1].in_set);
	/* Keep going after the replay: the open block continues. */
	CHECK(!add_exc(st, 0, 3000, 10000, false));
	CHECK(!snap_create(st, 2, 4));
	CHECK(!add_exc(st, 2, 3, 100, true));
	CHECK(reopen_same(&st));
	CHECK(km->s[0].n == 3300);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

static bool t_group_commit(void)
{
	struct vss_store *st;
	u64 b0, b1;
	int err;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 7, 1));
	CHECK(!log_pos_byte(0, 0, &b0) && !log_pos_byte(0, 1, &b1));
	CHECK(!add_exc(st, 7, 3000, 0, false));
	/* 3000 records queued at once fill 15 blocks in few commits */
	pr_info("# 3000 async records: position 0 written by commits %llu/%llu\n",
		log_seq_at(b0), log_seq_at(b1));
	CHECK(reopen_same(&st));
	CHECK(km->s[7].n == 3000);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

static bool t_refuse_foreign(void)
{
	struct vss_store *st;
	int err;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	vss_store_close(st);
	st = st_open(false, 0, "other", LUN_SIZE, &err);
	CHECK(!st && err == -EXDEV);
	st = st_open(false, 0, LUN_NAME, LUN_SIZE * 2, &err);
	CHECK(!st && err == -EXDEV);
	st = st_open(false, chunk * 2, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EINVAL);
	st = st_open(false, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	vss_store_close(st);
	/* format forces a new store for another LUN */
	st = st_open(true, 0, "other", LUN_SIZE, &err);
	CHECK(st);
	vss_store_close(st);
	st = st_open(false, 0, "other", LUN_SIZE, &err);
	CHECK(st);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

static bool t_too_small(void)
{
	struct block_device *keep = bdev;
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	struct file *keepf = bfile;
#endif
	char *keepname = dev;
	struct vss_store *st = NULL;
	bool ok = false;
	int err;

	dev = small;
	if (open_dev()) {
		pr_info("# cannot open %s\n", small);
		goto out;
	}
	/* 8 MiB: fine with 4 KiB chunks, too small with 1 MiB chunks */
	st = st_open(true, 1 << 20, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -ENOSPC);
	st = st_open(true, 4096, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	ok = true;
fail:
	if (st)
		vss_store_close(st);
	close_dev();
out:
	dev = keepname;
	bdev = keep;
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	bfile = keepf;
#endif
	return ok;
}

static bool t_corrupt_sb(void)
{
	struct vss_store *st;
	struct vss_sb_disk *sb = kmalloc(4096, GFP_KERNEL);
	__le32 ver;
	int err;

	CHECK(sb);
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 3, 1));
	vss_store_close(st);
	st = NULL;
	/* one flipped byte in the only superblock: refused */
	CHECK(!flip_byte(77));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EUCLEAN);
	CHECK(!flip_byte(77));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(st && km->s[3].live);
	vss_store_close(st);
	st = NULL;
	/* newer version: refused even with a good checksum */
	CHECK(!raw_io(0, sb, false));
	ver = sb->version;
	sb->version = cpu_to_le32(VSS_SB_VERSION + 1);
	CHECK(!raw_io(0, sb, true));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EPROTONOSUPPORT);
	sb->version = ver;
	CHECK(!raw_io(0, sb, true));
	/* a torn/corrupt copy in the other slot is ignored */
	memset(sb, 0xa5, 4096);
	sb->magic = cpu_to_le64(VSS_SB_MAGIC);
	sb->version = cpu_to_le32(VSS_SB_VERSION);
	CHECK(!raw_io(4096, sb, true));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(st && km->s[3].live);
	vss_store_close(st);
	/* garbage without magic: a new store is made */
	memset(sb, 0x33, 4096);
	CHECK(!raw_io(0, sb, true) && !raw_io(4096, sb, true));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(st && !km->s[3].live);
	vss_store_close(st);
	kfree(sb);
	return true;
fail:
	if (st)
		vss_store_close(st);
	kfree(sb);
	return false;
}

static bool t_corrupt_log(void)
{
	struct vss_store *st;
	u64 b0, b1, s0, s1;
	int err;

	/* A log of several positions, position 0 written more than once. */
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	CHECK(!add_exc(st, 0, 3, 0, true));
	CHECK(!add_exc(st, 0, 600, 10, false));
	vss_store_close(st);
	st = NULL;
	CHECK(!log_pos_byte(0, 0, &b0) && !log_pos_byte(0, 1, &b1));
	s0 = log_seq_at(b0);
	s1 = log_seq_at(b1);
	pr_info("# position 0: seq %llu / %llu\n", s0, s1);
	CHECK(s0 && s1);
	/* newest copy of a full block damaged: the next block says so */
	CHECK(!flip_byte((s0 > s1 ? b0 : b1) + 200));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EUCLEAN);
	/* both copies damaged: a valid block follows, refused */
	CHECK(!flip_byte((s0 > s1 ? b1 : b0) + 300));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EUCLEAN);
	CHECK(!flip_byte(b0 + (s0 > s1 ? 200 : 300)));
	CHECK(!flip_byte(b1 + (s0 > s1 ? 300 : 200)));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(st && km->s[0].n == 603);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

static bool t_torn_tail(void)
{
	struct vss_store *st;
	u64 b0, b1, s0, s1;
	int err;

	/* The open block written by 4 commits: tear the newest copy. */
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	CHECK(!add_exc(st, 0, 3, 0, true));
	vss_store_close(st);
	st = NULL;
	CHECK(!log_pos_byte(0, 0, &b0) && !log_pos_byte(0, 1, &b1));
	s0 = log_seq_at(b0);
	s1 = log_seq_at(b1);
	CHECK(!flip_byte((s0 > s1 ? b0 : b1) + 1000));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	/* the previous commit is back: create + 2 exceptions */
	CHECK(st && km->s[0].live && km->s[0].n == 2);
	/* and the log goes on from there */
	km->s[0].n = 2;
	CHECK(!add_exc(st, 0, 5, 50, true));
	CHECK(reopen_same(&st));
	CHECK(km->s[0].n == 7 && km->s[0].lun[2] == 50);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

/*
 * Damage that cuts a checkpoint's log short: its blocks were durable before
 * the superblock named them (log_end_seq), so a replay that ends before
 * the last of them lost records to damage, not to a crash, and refuses
 * the store; without that its snapshot would come back "ready" with
 * exceptions missing, reading the LUN's current data for them.
 */
static bool t_checkpoint_cut(void)
{
	struct vss_sb_disk *sb = kmalloc(4096, GFP_KERNEL);
	struct vss_store *st = NULL;
	u64 end = 0, b[2], pos;
	int err, s, slot = -1;

	CHECK(sb);
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	/* 300 records of 20 bytes: the new log needs two positions */
	CHECK(!add_exc(st, 0, 300, 0, false));
	CHECK(!vss_store_checkpoint(st, enumerate, NULL));
	CHECK(reopen_same(&st));
	CHECK(km->s[0].live && km->s[0].n == 300);
	vss_store_close(st);
	st = NULL;
	for (s = 0; s < 2 && !end; s++) {
		CHECK(!raw_io(s * 4096, sb, false));
		if (le64_to_cpu(sb->magic) == VSS_SB_MAGIC)
			end = le64_to_cpu(sb->log_end_seq);
	}
	pr_info("# checkpoint log ends at commit %llu\n", end);
	CHECK(end);
	/* the position holding that commit: its last block */
	for (pos = 0; slot < 0 && !log_pos_byte(pos, 0, &b[0]) &&
	     !log_pos_byte(pos, 1, &b[1]); pos++)
		for (s = 0; s < 2; s++)
			if (log_seq_at(b[s]) == end)
				slot = s;
	CHECK(slot >= 0);
	pos--;
	pr_info("# last block: position %llu\n", pos);
	CHECK(pos > 0);
	/* both copies of the last position damaged: the log looks shorter */
	CHECK(!flip_byte(b[0] + 300) && !flip_byte(b[1] + 300));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EUCLEAN);
	kfree(sb);
	return true;
fail:
	kfree(sb);
	if (st)
		vss_store_close(st);
	return false;
}

/*
 * Well-formed lies: a field of a block changed and its crc32c recomputed,
 * as store_mutate's "field" kinds do (fault_corrupt_test.sh).  Each test
 * below is refused only by the check it names in kmod/store.c; without
 * that check the store is accepted with records silently wrong.
 */
static int lie_field(u64 byte, u32 off, u32 size, u64 val, u32 crc_off)
{
	u8 *b = kmalloc(4096, GFP_KERNEL);
	__le64 v = cpu_to_le64(val);
	__le32 crc;
	int err;

	if (!b)
		return -ENOMEM;
	err = raw_io(byte, b, false);
	if (!err) {
		memcpy(b + off, &v, size);	/* little-endian: low bytes */
		memset(b + crc_off, 0, 4);
		crc = cpu_to_le32(crc32c(~0U, b, 4096));
		memcpy(b + crc_off, &crc, 4);
		err = raw_io(byte, b, true);
	}
	kfree(b);
	return err;
}

static u64 raw_le(u64 byte, u32 size)
{
	u8 *b = kmalloc(4096, GFP_KERNEL);
	u64 v = 0;

	if (b && !raw_io(byte & ~4095ULL, b, false))
		memcpy(&v, b + (byte & 4095), size);
	kfree(b);
	return le64_to_cpu((__force __le64)v);
}

/* byte of the current superblock */
static u64 sb_byte(void)
{
	return raw_le(0, 8) == VSS_SB_MAGIC ? 0 : 4096;
}

/* both copies of position 0, newest first */
static bool pos0_copies(u64 *newest, u64 *older)
{
	u64 b0, b1;

	if (log_pos_byte(0, 0, &b0) || log_pos_byte(0, 1, &b1))
		return false;
	*newest = log_seq_at(b0) > log_seq_at(b1) ? b0 : b1;
	*older = *newest == b0 ? b1 : b0;
	return log_seq_at(*older) != 0;
}

/* a store whose position 0 was written 4 times: create + 3 exceptions */
static bool lie_setup(void)
{
	struct vss_store *st;
	int err;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	if (!st)
		return false;
	if (snap_create(st, 0, 1) || add_exc(st, 0, 3, 0, true)) {
		vss_store_close(st);
		return false;
	}
	vss_store_close(st);
	return true;
}

static bool refused(void)
{
	struct vss_store *st;
	int err;

	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	if (st) {
		pr_info("# accepted: slot 0 live %d with %u exceptions\n",
			km->s[0].live, km->s[0].n);
		vss_store_close(st);
		return false;
	}
	return err == -EUCLEAN;
}

/* vss_log_copies_agree(): the older copy's commit sequence raised */
static bool t_lie_copies(void)
{
	u64 hi, lo;

	CHECK(lie_setup() && pos0_copies(&hi, &lo));
	CHECK(!lie_field(lo, offsetof(struct vss_log_hdr, commit_seq), 8,
			 log_seq_at(hi) + 1, 4));
	CHECK(refused());
	return true;
fail:
	return false;
}

/* vss_log_block_ok(): this unit's nonce, but another place in the log */
static bool t_lie_header(void)
{
	static const u32 offs[] = { offsetof(struct vss_log_hdr, epoch),
				    offsetof(struct vss_log_hdr, position),
				    offsetof(struct vss_log_hdr, uuid) };
	u64 hi, lo;
	int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		CHECK(lie_setup() && pos0_copies(&hi, &lo));
		CHECK(!lie_field(hi, offs[i], 1, raw_le(hi + offs[i], 1) ^ 4, 4));
		CHECK(refused());
	}
	return true;
fail:
	pr_info("# header field at offset %u\n", offs[i]);
	return false;
}

/* vss_replay_chunk_live(): an exception names the chunk of another one */
static bool t_lie_chunk_twice(void)
{
	u32 e0 = sizeof(struct vss_log_hdr) + sizeof(struct vss_rec_create);
	u32 sc = offsetof(struct vss_rec_exception, store_chunk);
	u64 hi, lo;

	CHECK(lie_setup() && pos0_copies(&hi, &lo));
	/* the third exception (only in the newest copy) names the first's */
	CHECK(!lie_field(hi, e0 + 2 * 20 + sc, 8, raw_le(hi + e0 + sc, 8), 4));
	CHECK(refused());
	return true;
fail:
	return false;
}

/* vss_replay(): the next log unit named by a block is a snapshot's data */
static bool t_lie_next_unit(void)
{
	struct vss_log_hdr *h = kmalloc(4096, GFP_KERNEL);
	struct vss_store *st = NULL;
	u32 bpc = chunk / 4096, upc = max_t(u32, 1, 16384 / chunk), b, n = 0;
	u64 hi = 0, lo = 0, u2[VSS_UNIT_CHUNKS_MAX], nonce, data;
	int err, i;

	CHECK(h);
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	/* past the head unit: upc * bpc / 2 positions of ~199 records */
	CHECK(!add_exc(st, 0, (upc * bpc / 2) * 199 + 100, 0, false));
	data = km->s[0].stc[0];
	vss_store_close(st);
	st = NULL;
	CHECK(pos0_copies(&hi, &lo) || log_seq_at(hi));
	CHECK(!raw_io(hi, h, false));
	for (i = 0; i < VSS_UNIT_CHUNKS_MAX; i++)
		u2[i] = le64_to_cpu(h->next[i]);
	nonce = le64_to_cpu(h->next_nonce);
	/* every written block of the second unit names the data chunk */
	for (b = 0; b < upc * bpc; b++) {
		u64 byte = u2[b / bpc] * chunk + (u64)(b % bpc) * 4096;

		CHECK(!raw_io(byte, h, false));
		if (le32_to_cpu(h->magic) != VSS_LOG_MAGIC ||
		    le64_to_cpu(h->nonce) != nonce)
			continue;
		CHECK(!lie_field(byte, offsetof(struct vss_log_hdr, next), 8,
				 data, 4));
		n++;
	}
	pr_info("# %u blocks of the second unit name chunk %llu next\n", n,
		data);
	CHECK(n);
	CHECK(refused());
	kfree(h);
	return true;
fail:
	if (st)
		vss_store_close(st);
	kfree(h);
	return false;
}

/*
 * vss_replay_create_seq(): s1 live and s2, s3 dropped before a checkpoint
 * (cp_snap_seq 3), s4 created after it, appended to the checkpoint's last
 * block; then s4 relabelled s2, or the checkpoint's s1 relabelled s5.
 */
static bool t_lie_create_seq(void)
{
	u32 cr = sizeof(struct vss_log_hdr) + offsetof(struct vss_rec_create, seq);
	u32 s4 = cr + sizeof(struct vss_rec_create) + 5 * 20;
	struct vss_store *st;
	u64 hi, lo;
	int err;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	CHECK(!add_exc(st, 0, 5, 0, false));
	CHECK(!snap_create(st, 1, 2) && !snap_delete(st, 1));
	CHECK(!snap_create(st, 1, 3) && !snap_delete(st, 1));
	CHECK(!vss_store_checkpoint(st, enumerate, NULL));
	CHECK(!snap_create(st, 1, 4));
	/* the true store is accepted as it is */
	CHECK(reopen_same(&st));
	vss_store_close(st);
	st = NULL;
	CHECK(raw_le(sb_byte() + offsetof(struct vss_sb_disk, cp_snap_seq), 4) == 3);
	CHECK(pos0_copies(&hi, &lo));
	CHECK(raw_le(hi + s4, 4) == 4 && raw_le(hi + cr, 4) == 1);
	CHECK(!lie_field(hi, s4, 4, 2, 4));
	CHECK(refused());
	CHECK(!lie_field(hi, s4, 4, 4, 4));
	CHECK(!lie_field(hi, cr, 4, 5, 4) && !lie_field(lo, cr, 4, 5, 4));
	CHECK(refused());
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

/* vss_store_load_sb(): superblock fields that contradict each other */
static bool t_lie_superblock(void)
{
	u32 end = offsetof(struct vss_sb_disk, log_end_seq);
	u32 cnt = offsetof(struct vss_sb_disk, log_end_count);
	struct vss_store *st;
	u64 sb, log_seq;
	int err;

	/* a first log (epoch 1) claims a checkpoint's last block */
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	vss_store_close(st);
	CHECK(!lie_field(sb_byte(), cnt, 2, 3, 12));
	CHECK(refused());
	/* a checkpoint's log that ends before it starts */
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1) && !add_exc(st, 0, 3, 0, true));
	CHECK(!vss_store_checkpoint(st, enumerate, NULL));
	vss_store_close(st);
	sb = sb_byte();
	log_seq = raw_le(sb + offsetof(struct vss_sb_disk, log_seq), 8);
	pr_info("# checkpoint log after commit %llu\n", log_seq);
	CHECK(log_seq > 1);
	CHECK(!lie_field(sb, end, 8, log_seq - 1, 12));
	CHECK(refused());
	return true;
fail:
	return false;
}

/*
 * A stale superblock: the one before a checkpoint written back over the
 * current one (a lost or misdirected write).  Its log was freed by the
 * checkpoint; the checkpoint zeroed that log's first position first, so
 * the old log is refused (a valid second position after a gap) or empty,
 * never replayed from chunks that may have been reused since.
 */
static bool t_stale_superblock(void)
{
	u8 *old = kmalloc(4096, GFP_KERNEL);
	struct vss_store *st = NULL;
	int err;

	CHECK(old);
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	/* two positions and more in the old log */
	CHECK(!add_exc(st, 0, 400, 0, false));
	CHECK(!raw_io(sb_byte(), old, false));
	CHECK(!vss_store_checkpoint(st, enumerate, NULL));
	vss_store_close(st);
	st = NULL;
	CHECK(!raw_io(sb_byte(), old, true));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	if (st)
		pr_info("# stale superblock accepted: slot 0 live %d, %u exceptions\n",
			km->s[0].live, km->s[0].n);
	CHECK(!st && err == -EUCLEAN);
	kfree(old);
	return true;
fail:
	if (st)
		vss_store_close(st);
	kfree(old);
	return false;
}

static bool t_provisional(void)
{
	struct vss_store *st;
	u64 used;
	int err;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	used = vss_store_used_chunks(st);
	/* exceptions before the create record of their snapshot */
	CHECK(!add_exc(st, 5, 20, 0, false));
	CHECK(!snap_create(st, 5, 1));
	CHECK(!add_exc(st, 5, 20, 20, false));
	/* exceptions of a snapshot never created: dropped at replay */
	CHECK(!add_exc(st, 6, 30, 0, false));
	/* aborted snapshot: delete of a slot never created */
	CHECK(!add_exc(st, 4, 10, 0, false));
	CHECK(!snap_delete(st, 4));
	km->s[6].n = 0;
	vss_store_close(st);
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(km->s[5].live && km->s[5].n == 40 && km->s[5].lun[39] == 39);
	CHECK(!km->s[6].live && !km->s[4].live);
	/* the 30 dropped chunks are free again; log may have grown */
	CHECK(vss_store_used_chunks(st) <= used + 40 + 4);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

static bool t_checkpoint(void)
{
	struct vss_store *st;
	u64 used_before;
	int err, r;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	/* churn: many short-lived snapshots make a long log */
	for (r = 0; r < 40; r++) {
		if (km->s[r % 4].live)
			CHECK(!snap_delete(st, r % 4));
		CHECK(!snap_create(st, r % 4, r + 1));
		CHECK(!add_exc(st, r % 4, 400, (r % 10) * 1000, false));
	}
	CHECK(vss_store_needs_checkpoint(st));
	used_before = vss_store_used_chunks(st);
	CHECK(!vss_store_checkpoint(st, enumerate, NULL));
	pr_info("# checkpoint: used %llu -> %llu chunks\n", used_before,
		vss_store_used_chunks(st));
	CHECK(vss_store_used_chunks(st) < used_before);
	CHECK(!vss_store_needs_checkpoint(st));
	CHECK(reopen_same(&st));
	CHECK(vss_store_last_seq(st) == 40);
	/* life goes on in the new log, and again after a second one */
	CHECK(!add_exc(st, 1, 100, 12000, false));
	CHECK(!snap_delete(st, 0));
	/* a broken set survives the checkpoint through its create record */
	CHECK(!vss_store_snapshot_break(st, 2));
	km->s[2].in_set = false;
	CHECK(!vss_store_checkpoint(st, enumerate, NULL));
	CHECK(reopen_same(&st));
	CHECK(km->s[1].in_set && !km->s[2].in_set);
	CHECK(!snap_create(st, 0, 41));
	CHECK(reopen_same(&st));
	/* all deleted: the seq survives in the superblock */
	for (r = 0; r < 4; r++)
		if (km->s[r].live)
			CHECK(!snap_delete(st, r));
	CHECK(!vss_store_checkpoint(st, enumerate, NULL));
	CHECK(reopen_same(&st));
	CHECK(vss_store_last_seq(st) == 41);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

/*
 * Records committed while a checkpoint writes the new log: the enumeration
 * lists the state as of its start, then more exceptions are committed (and
 * acknowledged) in the live log; the store must carry them into the new
 * one.  A record of another kind in that window makes it give up, with the
 * old log intact.
 */
static int carry_mode;

static int enumerate_carry(void *arg, struct vss_store *st)
{
	int err = enumerate(arg, st);

	if (err)
		return err;
	switch (carry_mode) {
	case 0:
		/* several tail pages, in one batch and one by one */
		err = add_exc(st, 1, 700, 11000, false);
		if (!err)
			err = add_exc(st, 2, 40, 12000, true);
		return err;
	default:
		err = add_exc(st, 1, 10, 13000, false);
		if (!err)
			err = vss_store_snapshot_break(st, 2);
		if (!err)
			km->s[2].in_set = false;
		return err;
	}
}

static bool t_checkpoint_carry(void)
{
	struct vss_store *st;
	int err, r;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	for (r = 0; r < 40; r++) {
		if (km->s[r % 4].live)
			CHECK(!snap_delete(st, r % 4));
		CHECK(!snap_create(st, r % 4, r + 1));
		CHECK(!add_exc(st, r % 4, 400, (r % 10) * 1000, false));
	}
	CHECK(vss_store_needs_checkpoint(st));
	carry_mode = 0;
	err = vss_store_checkpoint(st, enumerate_carry, NULL);
	if (err)
		pr_info("# checkpoint with records carried over: %d\n", err);
	CHECK(!err);
	CHECK(km->s[1].n >= 740);
	CHECK(reopen_same(&st));
	/* the new log goes on taking records */
	CHECK(!add_exc(st, 3, 5, 14000, false));
	CHECK(reopen_same(&st));
	/* give up on a break record: the old log stays and holds everything */
	carry_mode = 1;
	CHECK(vss_store_checkpoint(st, enumerate_carry, NULL) == -EAGAIN);
	CHECK(reopen_same(&st));
	CHECK(!km->s[2].in_set);
	vss_store_close(st);
	return true;
fail:
	if (st)
		vss_store_close(st);
	return false;
}

static bool t_enospc(void)
{
	struct vss_store *st;
	u64 *got = NULL, n = 0, i, c;
	int err;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	got = kvcalloc(vss_store_nr_chunks(st), sizeof(u64), GFP_KERNEL);
	CHECK(got);
	while (!(err = vss_store_alloc(st, &c))) {
		CHECK(n < vss_store_nr_chunks(st));
		got[n++] = c;
	}
	CHECK(err == -ENOSPC);
	pr_info("# %llu of %llu chunks allocatable\n", n,
		vss_store_nr_chunks(st));
	CHECK(n + 32 > vss_store_nr_chunks(st));
	/* the log can still record a delete with the store full */
	CHECK(!snap_create(st, 0, 1));
	CHECK(!snap_delete(st, 0));
	for (i = 0; i < n; i++)
		vss_store_free(st, got[i]);
	CHECK(!vss_store_alloc(st, &c));
	vss_store_free(st, c);
	kvfree(got);
	vss_store_close(st);
	return true;
fail:
	kvfree(got);
	if (st)
		vss_store_close(st);
	return false;
}

/* ------------------------------------------------ sparse disk (tests) */

/*
 * A bio-based disk of any size that keeps only the 4 KiB blocks written
 * (others read as zeros), so a store of many TiB fits a 1 GiB guest.  It
 * completes bios inside submit_bio() as brd does or, with kb_defer, from
 * a worker of its own as nbd, loop or dm-crypt do.  A read of
 * kb_trigger_sector calls kb_trigger() inside its submit_bio(), the way
 * the engine queues records from a completion in the writer's call chain.
 */
static struct gendisk *kb_disk;
static int kb_major = -1;
static DEFINE_XARRAY(kb_pages);
static bool kb_defer;
static struct workqueue_struct *kb_wq;
static struct work_struct kb_work;
static DEFINE_SPINLOCK(kb_lock);
static struct bio_list kb_ended;	/* under kb_lock */
static sector_t kb_trigger_sector;
static void (*kb_trigger)(void);
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
static struct file *kb_file;
#endif

static int kb_rw(struct bio *bio)
{
	bool write = op_is_write(bio_op(bio));
	sector_t sector = bio->bi_iter.bi_sector;
	struct bvec_iter iter;
	struct bio_vec bv;

	bio_for_each_segment(bv, bio, iter) {
		u32 done = 0;

		while (done < bv.bv_len) {
			unsigned long idx = sector >> 3;
			u32 poff = (sector & 7) << SECTOR_SHIFT;
			u32 n = min_t(u32, bv.bv_len - done, PAGE_SIZE - poff);
			struct page *pg = xa_load(&kb_pages, idx), *old;
			u8 *buf;

			if (write && !pg) {
				pg = alloc_page(GFP_NOIO | __GFP_ZERO);
				if (!pg)
					return -ENOMEM;
				old = xa_cmpxchg(&kb_pages, idx, NULL, pg, GFP_NOIO);
				if (old) {
					__free_page(pg);
					if (xa_is_err(old))
						return xa_err(old);
					pg = old;
				}
			}
			buf = kmap_local_page(bv.bv_page) + bv.bv_offset + done;
			if (write)
				memcpy(page_address(pg) + poff, buf, n);
			else if (pg)
				memcpy(buf, page_address(pg) + poff, n);
			else
				memset(buf, 0, n);
			kunmap_local(buf);
			done += n;
			sector += n >> SECTOR_SHIFT;
		}
	}
	return 0;
}

static void kb_submit_bio(struct bio *bio)
{
	int err = 0;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		if (kb_trigger && bio->bi_iter.bi_sector == kb_trigger_sector) {
			kb_trigger();
			break;
		}
		fallthrough;
	case REQ_OP_WRITE:
		err = kb_rw(bio);
		break;
	default:
		break;
	}
	bio->bi_status = errno_to_blk_status(err);
	if (READ_ONCE(kb_defer)) {
		spin_lock(&kb_lock);
		bio_list_add(&kb_ended, bio);
		spin_unlock(&kb_lock);
		queue_work(kb_wq, &kb_work);
		return;
	}
	bio_endio(bio);
}

/* Completions in a thread of the disk's own, not the submitter's. */
static void kb_work_fn(struct work_struct *work)
{
	struct bio *bio;

	for (;;) {
		spin_lock(&kb_lock);
		bio = bio_list_pop(&kb_ended);
		spin_unlock(&kb_lock);
		if (!bio)
			break;
		bio_endio(bio);
	}
}

static const struct block_device_operations kb_fops = {
	.owner = THIS_MODULE,
	.submit_bio = kb_submit_bio,
};

static void kb_destroy(void)
{
	struct page *pg;
	unsigned long idx;

	if (kb_disk) {
		del_gendisk(kb_disk);
		put_disk(kb_disk);
		kb_disk = NULL;
	}
	if (kb_wq) {
		destroy_workqueue(kb_wq);
		kb_wq = NULL;
	}
	if (kb_major >= 0)
		unregister_blkdev(kb_major, "vsskbig");
	kb_major = -1;
	xa_for_each(&kb_pages, idx, pg)
		__free_page(pg);
	xa_destroy(&kb_pages);
}

static int kb_create(u64 bytes)
{
	int err;

	INIT_WORK(&kb_work, kb_work_fn);
	bio_list_init(&kb_ended);
	kb_defer = false;
	kb_trigger = NULL;
	kb_wq = alloc_workqueue("vss_kb", WQ_MEM_RECLAIM, 1);
	if (!kb_wq)
		return -ENOMEM;
	kb_major = register_blkdev(0, "vsskbig");
	if (kb_major < 0) {
		err = kb_major;
		goto fail;
	}
#ifdef HAVE_BLK_ALLOC_DISK_LIMITS
	kb_disk = blk_alloc_disk(NULL, NUMA_NO_NODE);
	if (IS_ERR(kb_disk)) {
		err = PTR_ERR(kb_disk);
		kb_disk = NULL;
		goto fail;
	}
#else
	kb_disk = blk_alloc_disk(NUMA_NO_NODE);
	if (!kb_disk) {
		err = -ENOMEM;
		goto fail;
	}
#endif
	kb_disk->major = kb_major;
	kb_disk->first_minor = 0;
	kb_disk->minors = 1;
	kb_disk->fops = &kb_fops;
	kb_disk->flags |= GENHD_FL_NO_PART;
	strscpy(kb_disk->disk_name, "vsskbig", DISK_NAME_LEN);
	set_capacity(kb_disk, bytes >> SECTOR_SHIFT);
	kb_trigger_sector = (bytes >> SECTOR_SHIFT) - 8;
	err = add_disk(kb_disk);
	if (err) {
		put_disk(kb_disk);
		kb_disk = NULL;
		goto fail;
	}
	return 0;
fail:
	kb_destroy();
	return err;
}

/* Make the sparse disk the one the store helpers use (bdev). */
static int kb_open(void)
{
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	kb_file = bdev_file_open_by_dev(disk_devt(kb_disk),
					BLK_OPEN_READ | BLK_OPEN_WRITE,
					&kb_disk, NULL);
	if (IS_ERR(kb_file))
		return PTR_ERR(kb_file);
	bdev = file_bdev(kb_file);
#else
	struct block_device *b;

	b = blkdev_get_by_dev(disk_devt(kb_disk),
			      FMODE_READ | FMODE_WRITE | FMODE_EXCL, &kb_disk);
	if (IS_ERR(b))
		return PTR_ERR(b);
	bdev = b;
#endif
	return 0;
}

static void kb_close(void)
{
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	/* now, not on return to user space: the disk goes away next */
	__fput_sync(kb_file);
#else
	blkdev_put(bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
}

static long free_kib(void)
{
	struct sysinfo si;

	si_meminfo(&si);
	return si.freeram * (si.mem_unit / 1024);
}

/* Run @fn with the sparse disk of @bytes as the store device. */
static bool with_kb(u64 bytes, bool (*fn)(u64 bytes))
{
	struct block_device *keep = bdev;
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	struct file *keepf = bfile;
#endif
	bool ok = false;
	int err;

	err = kb_create(bytes);
	if (!err) {
		err = kb_open();
		if (!err) {
			ok = fn(bytes);
			kb_close();
		}
		kb_destroy();
	}
	if (err)
		pr_info("# sparse disk of %llu bytes: %d\n", bytes, err);
	bdev = keep;
#ifdef HAVE_BDEV_FILE_OPEN_BY_PATH
	bfile = keepf;
#endif
	return ok;
}

/*
 * Memory follows the chunks in use, not the store size: open a store on a
 * sparse disk of @bytes, use 2M chunks (64 regions), free them, reopen.
 * Free memory moves in steps of the per-cpu page lists (~128 KiB).
 */
static bool big_store(u64 bytes)
{
	const u32 n = (1U << 21) + 100;
	struct vss_store *st = NULL;
	long f0, f1, f2, f3;
	u64 *got, used0, flat_kib, m1, m2, m3;
	u32 i;
	int err;

	got = kvmalloc_array(n, sizeof(*got), GFP_KERNEL);
	CHECK(got);
	f0 = free_kib();
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(vss_store_nr_chunks(st) == bytes / chunk);
	f1 = free_kib();
	m1 = vss_store_mem_bytes(st);
	used0 = vss_store_used_chunks(st);
	for (i = 0; i < n; i++)
		CHECK(!vss_store_alloc(st, &got[i]));
	CHECK(vss_store_used_chunks(st) == used0 + n);
	f2 = free_kib();
	m2 = vss_store_mem_bytes(st);
	for (i = 0; i < n; i++)
		vss_store_free(st, got[i]);
	CHECK(vss_store_used_chunks(st) == used0);
	f3 = free_kib();
	m3 = vss_store_mem_bytes(st);
	/* a snapshot with a few exceptions, replayed from the huge store */
	CHECK(!snap_create(st, 0, 1));
	CHECK(!add_exc(st, 0, 20, 0, false));
	CHECK(reopen_same(&st));
	CHECK(vss_store_used_chunks(st) >= used0 + 20);
	CHECK(vss_store_used_chunks(st) <= used0 + 20 + 4);
	flat_kib = vss_store_nr_chunks(st) / 8 / 1024;
	pr_info("# %llu GiB store, %u-byte chunks (%llu chunks; a flat bitmap: %llu KiB): allocator %llu KiB after open, %llu KiB with %u chunks used, %llu KiB after freeing them; free memory moved by %+ld, %+ld, %+ld KiB\n",
		bytes >> 30, chunk, vss_store_nr_chunks(st), flat_kib,
		m1 >> 10, m2 >> 10, n, m3 >> 10, f1 - f0, f2 - f0, f3 - f0);
	/* regions in use plus at most two ahead, whatever the store size */
	CHECK(m1 <= 3 * (PAGE_SIZE + 64));
	CHECK(m2 <= (n / (PAGE_SIZE * 8) + 4) * (PAGE_SIZE + 64));
	CHECK(m3 <= 3 * (PAGE_SIZE + 64));
	/* generous: page-list noise; a flat bitmap is 2 GiB at 64 TiB */
	CHECK(f0 - f1 < 8192 && f0 - f2 < 8192);
	vss_store_close(st);
	kvfree(got);
	return true;
fail:
	if (st)
		vss_store_close(st);
	kvfree(got);
	return false;
}

static bool t_big_store(void)
{
	/* 64 TiB, then 1 EiB */
	return with_kb(64ULL << 40, big_store) &&
	       with_kb(1ULL << 60, big_store);
}

/* Where did the completions run? */
struct ctxrec {
	struct vss_store_rec rec;
	struct waiter *w;
};

static struct task_struct *ct_task;
static atomic_t ct_inline, ct_foreign, ct_irq, ct_other;
static struct ctxrec *ct_recs;
static u64 *ct_chunks;
static u32 ct_n;
static struct vss_store *ct_st;

static void ct_done(void *ctx, int err)
{
	struct ctxrec *c = ctx;

	if (in_interrupt())
		atomic_inc(&ct_irq);
	else if (current_work() == &kb_work)
		atomic_inc(&ct_foreign);	/* the disk's completion thread */
	else if (current == ct_task && current->bio_list)
		atomic_inc(&ct_inline);		/* our own submit_bio() chain */
	else
		atomic_inc(&ct_other);		/* a store worker */
	if (err)
		atomic_inc(&c->w->errors);
	if (atomic_dec_and_test(&c->w->left))
		complete(&c->w->done);
}

/* Runs inside submit_bio() of the trigger read, as the engine's endio. */
static void ct_trigger(void)
{
	u32 i;

	for (i = 0; i < ct_n; i++)
		vss_store_add_exception(ct_st, &ct_recs[i].rec, 0, i,
					ct_chunks[i], ct_done, &ct_recs[i]);
}

static bool ct_round(struct vss_store *st, bool defer, struct waiter *w)
{
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	struct km_slot *m = &km->s[0];
	u32 i;

	CHECK(buf);
	for (i = 0; i < ct_n; i++) {
		CHECK(!vss_store_alloc(st, &ct_chunks[i]));
		ct_recs[i].w = w;
		m->lun[m->n] = i;
		m->stc[m->n++] = ct_chunks[i];
	}
	atomic_set(&ct_inline, 0);
	atomic_set(&ct_foreign, 0);
	atomic_set(&ct_irq, 0);
	atomic_set(&ct_other, 0);
	waiter_init(w);
	atomic_add(ct_n, &w->left);
	ct_st = st;
	ct_task = current;
	WRITE_ONCE(kb_defer, defer);
	kb_trigger = ct_trigger;
	CHECK(!raw_io(kb_trigger_sector << SECTOR_SHIFT, buf, false));
	kb_trigger = NULL;
	CHECK(!waiter_wait(w));
	WRITE_ONCE(kb_defer, false);
	pr_info("# %s completions: %d in our submit_bio() chain, %d in store workers, %d in the disk's thread, %d in interrupts\n",
		defer ? "deferred" : "inline", atomic_read(&ct_inline),
		atomic_read(&ct_other), atomic_read(&ct_foreign),
		atomic_read(&ct_irq));
	CHECK(!atomic_read(&ct_foreign) && !atomic_read(&ct_irq));
	/* the fast path stays inline where the device completes inline */
	CHECK(defer || atomic_read(&ct_inline) == ct_n);
	kfree(buf);
	return true;
fail:
	kb_trigger = NULL;
	WRITE_ONCE(kb_defer, false);
	kfree(buf);
	return false;
}

/*
 * Record completions never run in another driver's completion context,
 * and still run inline when the store device completes in our own call.
 */
static bool contexts(u64 bytes)
{
	struct vss_store *st;
	struct waiter w;
	bool ok = false;
	int err;

	ct_n = 64;
	ct_recs = kcalloc(ct_n, sizeof(*ct_recs), GFP_KERNEL);
	ct_chunks = kcalloc(ct_n, sizeof(*ct_chunks), GFP_KERNEL);
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st && ct_recs && ct_chunks);
	CHECK(!snap_create(st, 0, 1));
	CHECK(ct_round(st, false, &w));
	CHECK(ct_round(st, true, &w));
	CHECK(ct_round(st, false, &w));
	CHECK(reopen_same(&st));
	CHECK(km->s[0].n == 3 * ct_n);
	ok = true;
fail:
	if (st)
		vss_store_close(st);
	kfree(ct_recs);
	kfree(ct_chunks);
	return ok;
}

static bool t_contexts(void)
{
	return with_kb(1ULL << 30, contexts);
}

/*
 * Resync records: a work set and its progress survive a reopen and a
 * checkpoint; a group cut before its START leaves the previous state; a
 * DONE record without a revert refuses the store.
 */
static const struct vss_store_run rs_runs[] = { { 10, 5 }, { 100, 1 } };
static struct vss_store_resync rs_cp;

static int enumerate_resync(void *arg, struct vss_store *st)
{
	int err = enumerate(arg, st);
	unsigned long idx;
	struct xarray *w = arg;
	void *e;

	xa_for_each(w, idx, e) {
		if (err)
			break;
		err = vss_store_cp_resync_run(st, 0, idx, 1);
	}
	return err ?: vss_store_cp_resync(st, &rs_cp);
}

/* the work set the replay found, as a bitmap of the first 128 chunks */
static bool rs_take(struct vss_store *st, u32 state, u64 expect,
		    struct xarray **keep)
{
	struct vss_store_resync x;
	struct xarray *w;
	unsigned long idx;
	u64 got = 0;
	void *e;

	if (vss_store_resync_take(st, &x, &w))
		return false;
	xa_for_each(w, idx, e)
		if (idx < 64)
			got |= 1ULL << idx;
		else if (idx == 100)
			got |= 1ULL << 63;
	if (keep)
		*keep = w;
	else {
		xa_destroy(w);
		kfree(w);
	}
	/* the START's flags and rates come back (and through checkpoints) */
	if (x.slot != 0 || x.state != state || got != expect ||
	    x.total_bytes != 6 * 4096 || x.speed_max != 7 ||
	    x.flags != 0x300) {
		pr_info("# resync: slot %u state %u total %llu set %llx (want %llx) flags %#x\n",
			x.slot, x.state, x.total_bytes, got, expect, x.flags);
		return false;
	}
	return true;
}

static bool t_resync(void)
{
	struct vss_store_resync x = { .slot = 0, .state = 1, .runs = 2,
				      .chunks = 6, .total_bytes = 6 * 4096,
				      .speed_max = 7, .flags = 0x300 };
	const struct vss_store_run done1 = { 10, 2 }, rest[] = {
		{ 12, 3 }, { 100, 1 } }, bad[] = { { 20, 1 }, { 1ULL << 40, 1 } };
	u64 all = 0x1fULL << 10 | 1ULL << 63, left = 0x7ULL << 12 | 1ULL << 63;
	struct vss_store *st;
	struct xarray *w = NULL;
	int err;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	/* the target must be live */
	x.slot = 3;
	CHECK(vss_store_resync_start(st, &x, rs_runs, 2) == -ENOENT);
	x.slot = 0;
	CHECK(!vss_store_resync_start(st, &x, rs_runs, 2));
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 1, all, NULL));
	CHECK(!vss_store_resync_done(st, 0, &done1, 1, NULL));
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 1, left, NULL));
	/* a run out of bounds: refused, nothing written */
	CHECK(vss_store_resync_start(st, &x, bad, 2) == -EINVAL);
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 1, left, NULL));
	/*
	 * a work set whose START is refused (target invalid) after its
	 * runs were written: an ABORT drops them, the first stays in force
	 */
	CHECK(!snap_create(st, 1, 2));
	CHECK(!vss_store_snapshot_invalidate(st, 1));
	km->s[1].invalid = true;
	x.slot = 1;
	CHECK(vss_store_resync_start(st, &x, bad, 1) == -ENOENT);
	x.slot = 0;
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 1, left, NULL));
	/* cancelled: the work set stays */
	x.state = 4;
	CHECK(!vss_store_resync_done(st, 0, NULL, 0, &x));
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 4, left, &w));
	/* a checkpoint carries it over */
	rs_cp = x;
	CHECK(!vss_store_checkpoint(st, enumerate_resync, w));
	xa_destroy(w);
	kfree(w);
	w = NULL;
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 4, left, NULL));
	/* the rest done, then the end: no revert any more */
	x.state = 2;
	CHECK(!vss_store_resync_done(st, 0, rest, 2, &x));
	CHECK(reopen_same(&st));
	CHECK(vss_store_resync_take(st, &x, &w) == -ENOENT);
	/* a DONE run with no revert in force: the store is refused */
	CHECK(!vss_store_resync_done(st, 0, &done1, 1, NULL));
	vss_store_close(st);
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EUCLEAN);
	return true;
fail:
	if (w) {
		xa_destroy(w);
		kfree(w);
	}
	if (st)
		vss_store_close(st);
	return false;
}

/*
 * The current superblock: version and sb_seq of the slot with the magic,
 * a valid checksum and the highest sb_seq; the other slot's state in
 * @other (-1 no magic, else its version).  Returns the slot or -1.
 */
static int sb_current(u32 *version, u64 *seq, int *other)
{
	struct vss_sb_disk *sb = kmalloc(4096, GFP_KERNEL);
	int s, best = -1;
	u32 v[2] = { 0, 0 };
	u64 q[2] = { 0, 0 };
	bool ok[2] = { false, false }, magic[2] = { false, false };

	if (!sb)
		return -1;
	for (s = 0; s < 2; s++) {
		u32 crc;

		if (raw_io(s * 4096, sb, false))
			goto out;
		magic[s] = le64_to_cpu(sb->magic) == VSS_SB_MAGIC;
		crc = le32_to_cpu(sb->crc);
		sb->crc = 0;
		ok[s] = magic[s] && crc32c(~0U, sb, 4096) == crc;
		v[s] = le32_to_cpu(sb->version);
		q[s] = le64_to_cpu(sb->sb_seq);
		if (ok[s] && (best < 0 || q[s] > q[best]))
			best = s;
	}
	if (best >= 0) {
		*version = v[best];
		*seq = q[best];
		*other = magic[1 - best] ? (int)v[1 - best] : -1;
	}
out:
	kfree(sb);
	return best;
}

/* Rewrite superblock slot @slot with @version and a good checksum. */
static int sb_set_version(int slot, u32 version)
{
	struct vss_sb_disk *sb = kmalloc(4096, GFP_KERNEL);
	int err;

	if (!sb)
		return -ENOMEM;
	err = raw_io(slot * 4096, sb, false);
	if (!err) {
		sb->version = cpu_to_le32(version);
		sb->crc = 0;
		sb->crc = cpu_to_le32(crc32c(~0U, sb, 4096));
		err = raw_io(slot * 4096, sb, true);
	}
	kfree(sb);
	return err;
}

/*
 * Format versions: a new store is version 1 and stays so through
 * snapshots, exceptions and checkpoints; its first resync record raises
 * it to 2 first (the other slot zeroed), and it stays 2 (checkpoints,
 * reopens).  Version 0 is corrupt, 3 is newer (refused with
 * -EPROTONOSUPPORT before anything is written).  A version 1 store that
 * holds resync records (a development build before version 2) is read,
 * and raised at its next resync record.  A crash between the two writes
 * of the raise (both slots valid, 1 and 2) opens as version 2.
 */
static bool t_version(void)
{
	struct vss_store_resync x = { .slot = 0, .state = 1, .runs = 2,
				      .chunks = 6, .total_bytes = 6 * 4096,
				      .speed_max = 7, .flags = 0x300 };
	const struct vss_store_run done1 = { 10, 2 };
	u64 left = 0x7ULL << 12 | 1ULL << 63, seq, seq2;
	struct vss_store *st;
	struct xarray *w = NULL;
	int err, cur, other;
	u32 v;

	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	cur = sb_current(&v, &seq, &other);
	CHECK(cur >= 0 && v == VSS_SB_VERSION_BASE && other == -1);
	CHECK(!snap_create(st, 0, 1));
	CHECK(!add_exc(st, 0, 8, 0, false));
	CHECK(!vss_store_checkpoint(st, enumerate, NULL));
	CHECK(reopen_same(&st));
	cur = sb_current(&v, &seq, &other);
	CHECK(cur >= 0 && v == VSS_SB_VERSION_BASE && other == -1);
	/* the first resync record: version 2 first, the old slot zeroed */
	CHECK(!vss_store_resync_start(st, &x, rs_runs, 2));
	cur = sb_current(&v, &seq2, &other);
	CHECK(cur >= 0 && v == VSS_SB_VERSION_RESYNC && seq2 == seq + 1 &&
	      other == -1);
	CHECK(!vss_store_resync_done(st, 0, &done1, 1, NULL));
	CHECK(sb_current(&v, &seq, &other) == cur && seq == seq2);
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 1, left, &w));
	/* a checkpoint keeps it (the revert is carried over) */
	rs_cp = x;
	CHECK(!vss_store_checkpoint(st, enumerate_resync, w));
	xa_destroy(w);
	kfree(w);
	w = NULL;
	CHECK(sb_current(&v, &seq, &other) >= 0 &&
	      v == VSS_SB_VERSION_RESYNC && seq == seq2 + 1);
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 1, left, NULL));
	vss_store_close(st);
	st = NULL;
	cur = sb_current(&v, &seq, &other);
	CHECK(cur >= 0);
	/* version 0: corrupt; version 3: newer; nothing written by either */
	CHECK(!sb_set_version(cur, 0));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EUCLEAN);
	CHECK(!sb_set_version(cur, VSS_SB_VERSION + 1));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EPROTONOSUPPORT);
	CHECK(sb_current(&v, &seq2, &other) == cur &&
	      v == VSS_SB_VERSION + 1 && seq2 == seq);
	/* version 1 with resync records: read, raised by the next one */
	CHECK(!sb_set_version(cur, VSS_SB_VERSION_BASE));
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(rs_take(st, 1, left, NULL));
	CHECK(sb_current(&v, &seq2, &other) == cur &&
	      v == VSS_SB_VERSION_BASE && seq2 == seq);
	x.state = 4;
	CHECK(!vss_store_resync_done(st, 0, NULL, 0, &x));
	CHECK(sb_current(&v, &seq2, &other) == 1 - cur &&
	      v == VSS_SB_VERSION_RESYNC && seq2 == seq + 1 && other == -1);
	vss_store_close(st);
	st = NULL;
	/*
	 * a crash between the raise's two writes: the old version 1 copy
	 * (sb_seq one lower) still in the other slot; version 2 wins
	 */
	{
		struct vss_sb_disk *sb = kmalloc(4096, GFP_KERNEL);

		CHECK(sb);
		err = raw_io((1 - cur) * 4096, sb, false);
		if (!err) {
			sb->version = cpu_to_le32(VSS_SB_VERSION_BASE);
			sb->sb_seq = cpu_to_le64(seq);
			sb->crc = 0;
			sb->crc = cpu_to_le32(crc32c(~0U, sb, 4096));
			err = raw_io(cur * 4096, sb, true);
		}
		kfree(sb);
		CHECK(!err);
	}
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(rs_take(st, 4, left, NULL));
	x.state = 1;
	CHECK(!vss_store_resync_start(st, &x, rs_runs, 2));
	/* no second raise: still the version 2 copy, sb_seq unchanged */
	CHECK(sb_current(&v, &seq2, &other) == 1 - cur &&
	      v == VSS_SB_VERSION_RESYNC && seq2 == seq + 1 &&
	      other == VSS_SB_VERSION_BASE);
	vss_store_close(st);
	return true;
fail:
	if (w) {
		xa_destroy(w);
		kfree(w);
	}
	if (st)
		vss_store_close(st);
	return false;
}

/*
 * A copy onto the LUN from another LUN's snapshot: a SOURCE record names
 * the snapshot, the copy's other records carry VSS_RS_COPY_SLOT, and the
 * first of them raises the store to version 3.  Its work set comes back
 * through DONE runs, a checkpoint (SOURCE first) and a re-open, with the
 * snapshot's id; the slot and the kind must match (a copy under a real
 * slot is refused); a revert started afterwards replaces it.
 */
static int enumerate_copy(void *arg, struct vss_store *st)
{
	int err = enumerate(arg, st);
	unsigned long idx;
	struct xarray *w = arg;
	void *e;

	if (!err)
		err = vss_store_cp_resync_source(st, &rs_cp.src_id);
	xa_for_each(w, idx, e) {
		if (err)
			break;
		err = vss_store_cp_resync_run(st, VSS_RS_COPY_SLOT, idx, 1);
	}
	return err ?: vss_store_cp_resync(st, &rs_cp);
}

static bool cp_take(struct vss_store *st, const uuid_t *id, u32 state,
		    u64 expect, struct xarray **keep)
{
	struct vss_store_resync x;
	struct xarray *w;
	unsigned long idx;
	u64 got = 0;
	void *e;

	if (vss_store_resync_take(st, &x, &w))
		return false;
	xa_for_each(w, idx, e)
		if (idx < 64)
			got |= 1ULL << idx;
		else if (idx == 100)
			got |= 1ULL << 63;
	if (keep)
		*keep = w;
	else {
		xa_destroy(w);
		kfree(w);
	}
	if (!x.copy || x.slot != VSS_RS_COPY_SLOT || !uuid_equal(&x.src_id, id) ||
	    x.state != state || got != expect || x.total_bytes != 6 * 4096 ||
	    x.speed_max != 7 || x.flags != 0x300) {
		pr_info("# copy: copy %d slot %u id %pUb state %u set %llx (want %llx)\n",
			x.copy, x.slot, &x.src_id, x.state, got, expect);
		return false;
	}
	return true;
}

static bool t_copy(void)
{
	struct vss_store_resync x = { .slot = VSS_RS_COPY_SLOT, .state = 1,
				      .runs = 2, .chunks = 6,
				      .total_bytes = 6 * 4096, .speed_max = 7,
				      .flags = 0x300, .copy = true };
	struct vss_store_resync r = { .slot = 0, .state = 1, .runs = 2,
				      .chunks = 6, .total_bytes = 6 * 4096,
				      .speed_max = 7, .flags = 0x300 };
	const struct vss_store_run done1 = { 10, 2 };
	u64 all = 0x1fULL << 10 | 1ULL << 63, left = 0x7ULL << 12 | 1ULL << 63;
	struct vss_store *st;
	struct xarray *w = NULL;
	int err, other;
	u64 seq;
	u32 v;

	uuid_gen(&x.src_id);
	st = st_open(true, chunk, LUN_NAME, LUN_SIZE, &err);
	CHECK(st);
	CHECK(!snap_create(st, 0, 1));
	/* the kind and the slot go together */
	x.slot = 0;
	CHECK(vss_store_resync_start(st, &x, rs_runs, 2) == -EINVAL);
	x.slot = VSS_RS_COPY_SLOT;
	CHECK(sb_current(&v, &seq, &other) >= 0 && v == VSS_SB_VERSION_BASE);
	CHECK(!vss_store_resync_start(st, &x, rs_runs, 2));
	CHECK(sb_current(&v, &seq, &other) >= 0 && v == VSS_SB_VERSION_COPY);
	CHECK(reopen_same(&st));
	CHECK(cp_take(st, &x.src_id, 1, all, NULL));
	CHECK(!vss_store_resync_done(st, VSS_RS_COPY_SLOT, &done1, 1, NULL));
	CHECK(reopen_same(&st));
	CHECK(cp_take(st, &x.src_id, 1, left, &w));
	/* a checkpoint carries it over, SOURCE first, version 3 kept */
	rs_cp = x;
	CHECK(!vss_store_checkpoint(st, enumerate_copy, w));
	xa_destroy(w);
	kfree(w);
	w = NULL;
	CHECK(sb_current(&v, &seq, &other) >= 0 && v == VSS_SB_VERSION_COPY);
	CHECK(reopen_same(&st));
	CHECK(cp_take(st, &x.src_id, 1, left, NULL));
	/* failed: kept, with its state */
	x.state = 3;
	CHECK(!vss_store_resync_done(st, VSS_RS_COPY_SLOT, NULL, 0, &x));
	CHECK(reopen_same(&st));
	CHECK(cp_take(st, &x.src_id, 3, left, NULL));
	/* a revert of the LUN's own snapshot replaces it */
	CHECK(!vss_store_resync_start(st, &r, rs_runs, 2));
	CHECK(reopen_same(&st));
	CHECK(rs_take(st, 1, all, NULL));
	/* a DONE run of a copy while a revert is in force: refused store */
	CHECK(!vss_store_resync_done(st, VSS_RS_COPY_SLOT, &done1, 1, NULL));
	vss_store_close(st);
	st = st_open(false, 0, LUN_NAME, LUN_SIZE, &err);
	CHECK(!st && err == -EUCLEAN);
	return true;
fail:
	if (w) {
		xa_destroy(w);
		kfree(w);
	}
	if (st)
		vss_store_close(st);
	return false;
}

static int run_unit(void)
{
	tap_n = 0;
	tap_fail = 0;
	pr_info("TAP version 13\n");
	pr_info("1..18\n");
	tap(t_format_empty(), "format_empty");
	tap(t_persist(), "persist");
	tap(t_group_commit(), "group_commit");
	tap(t_refuse_foreign(), "refuse_foreign");
	tap(t_too_small(), "too_small");
	tap(t_corrupt_sb(), "corrupt_superblock");
	tap(t_corrupt_log(), "corrupt_log");
	tap(t_torn_tail(), "torn_tail");
	tap(t_provisional(), "provisional_exceptions");
	tap(t_checkpoint(), "checkpoint");
	tap(t_checkpoint_carry(), "checkpoint_carry");
	tap(t_checkpoint_cut(), "checkpoint_cut");
	tap(t_lie_copies(), "lie_copies");
	tap(t_lie_header(), "lie_header");
	tap(t_lie_chunk_twice(), "lie_chunk_twice");
	tap(t_lie_next_unit(), "lie_next_unit");
	tap(t_lie_create_seq(), "lie_create_seq");
	tap(t_lie_superblock(), "lie_superblock");
	tap(t_stale_superblock(), "stale_superblock");
	tap(t_enospc(), "enospc");
	tap(t_big_store(), "big_store");
	tap(t_contexts(), "completion_contexts");
	tap(t_resync(), "resync_records");
	tap(t_version(), "format_version");
	tap(t_copy(), "copy_records");
	pr_info("VSS-KTEST: %d passed, %d failed\n", tap_n - tap_fail,
		tap_fail);
	return tap_fail ? -EINVAL : 0;
}

/* ------------------------------------------------------ crash workload */

static u64 lun_chunks_of(struct vss_store *st)
{
	return LUN_SIZE / vss_store_chunk_size(st);
}

static u64 wl_lun(struct vss_store *st, u32 r, u32 j)
{
	return ((u64)r * 7919 + (u64)j * 13) % lun_chunks_of(st);
}

/* Check the replayed model against the workload and the last ack. */
static int crash_verify(struct vss_store *st, int *last_round)
{
	int top = -1, s, live = 0;
	unsigned long *seen;
	u32 j;

	seen = bitmap_zalloc(vss_store_nr_chunks(st), GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	for (s = 0; s < NSLOT; s++)
		if (km->s[s].live && (int)km->s[s].seq - 1 > top)
			top = km->s[s].seq - 1;
	for (s = NSLOT; s < VSS_MAX_SNAPSHOTS; s++)
		if (km->s[s].live)
			goto bad;
	for (s = 0; s < NSLOT; s++) {
		struct km_slot *m = &km->s[s];
		int r = (int)m->seq - 1;

		if (!m->live)
			continue;
		live++;
		if (r % NSLOT != s || r > top || r < top - NSLOT + 1)
			goto bad;
		if (r < top && (m->n != k || m->invalid != (r % 5 == 4)))
			goto bad;
		if (m->n < k / 2 || m->n > k)
			goto bad;
		for (j = 0; j < m->n; j++) {
			if (m->lun[j] != wl_lun(st, r, j))
				goto bad;
			if (test_and_set_bit(m->stc[j], seen))
				goto bad;
		}
	}
	/* every round of the window is there, but the oldest may be gone */
	for (s = top - NSLOT + 2; s <= top; s++)
		if (s >= 0 && (!km->s[s % NSLOT].live ||
			       km->s[s % NSLOT].seq != s + 1))
			goto bad;
	/* every acknowledged record is back */
	if (ack_round >= 0) {
		if (ack_idx >= (int)k / 2) {
			struct km_slot *m = &km->s[ack_round % NSLOT];

			if (top < ack_round)
				goto bad;
			if (top == ack_round && m->n < ack_idx + 1)
				goto bad;
		} else if (top < ack_round - 1) {
			goto bad;
		}
	}
	bitmap_free(seen);
	pr_info("VSS-VERIFY ok: last round %d, %d snapshots, acked %d/%d, %llu chunks used\n",
		top, live, ack_round, ack_idx, vss_store_used_chunks(st));
	*last_round = top;
	return 0;
bad:
	bitmap_free(seen);
	pr_info("VSS-VERIFY FAIL: slot %d, last round %d, acked %d/%d\n", s, top,
		ack_round, ack_idx);
	for (s = 0; s < NSLOT; s++)
		pr_info("#  slot %d: live %d seq %u n %u invalid %d\n", s,
			km->s[s].live, km->s[s].seq, km->s[s].n,
			km->s[s].invalid);
	return -EUCLEAN;
}

static struct vss_store *crash_st;
static struct task_struct *crash_task;

/* Issue exceptions j0..j1-1 of round @r; print acks while waiting. */
static int crash_issue(struct vss_store *st, int r, u32 j0, u32 j1,
		       struct excctx *ctx, struct waiter *w)
{
	struct km_slot *m = &km->s[r % NSLOT];
	u32 j;

	for (j = j0; j < j1; j++) {
		u64 sc;
		int err = vss_store_alloc(st, &sc);

		if (err)
			return err;
		m->lun[j] = wl_lun(st, r, j);
		m->stc[j] = sc;
		m->n = j + 1;
		ctx[j].w = w;
		ctx[j].idx = j;
		atomic_inc(&w->left);
		vss_store_add_exception(st, &ctx[j].rec, r % NSLOT, m->lun[j],
					sc, exc_done, &ctx[j]);
		if (j % 16 == 15)
			cond_resched();
	}
	return 0;
}

static int crash_wait(struct waiter *w, int r)
{
	int last = -2;

	if (atomic_dec_and_test(&w->left))
		complete(&w->done);
	while (!wait_for_completion_timeout(&w->done, HZ / 5)) {
		int mx = atomic_read(&w->max_idx);

		if (mx != last && !atomic_read(&w->errors))
			pr_notice("VSS-ACK %d %d\n", r, mx);
		last = mx;
	}
	atomic_set(&w->left, 1);
	reinit_completion(&w->done);
	if (atomic_read(&w->errors))
		return -EIO;
	pr_notice("VSS-ACK %d %d\n", r, atomic_read(&w->max_idx));
	return 0;
}

static int crash_round(struct vss_store *st, int r, struct excctx *ctx,
		       struct waiter *w)
{
	struct km_slot *m = &km->s[r % NSLOT];
	int err;

	if (km_slot_alloc(m))
		return -ENOMEM;
	if (m->live && m->seq == r + 1) {
		/* resume a round cut short by the crash */
		err = crash_issue(st, r, m->n, k, ctx, w);
	} else {
		if (m->live) {
			err = snap_delete(st, r % NSLOT);
			if (err)
				return err;
		}
		m->n = 0;
		err = crash_issue(st, r, 0, k / 2, ctx, w);
		if (!err)
			err = crash_wait(w, r);
		if (!err)
			err = snap_create(st, r % NSLOT, r + 1);
		if (!err)
			err = crash_issue(st, r, k / 2, k, ctx, w);
	}
	if (!err)
		err = crash_wait(w, r);
	if (!err && r % 5 == 4 && !m->invalid) {
		err = vss_store_snapshot_invalidate(st, r % NSLOT);
		m->invalid = true;
	}
	if (!err && r % 8 == 7) {
		err = vss_store_checkpoint(st, enumerate, NULL);
		if (!err)
			pr_notice("VSS-CHECKPOINT %d used %llu\n", r,
				  vss_store_used_chunks(st));
	}
	return err;
}

static int crash_fn(void *data)
{
	struct vss_store *st = crash_st;
	int r = (long)data, err = 0;
	struct excctx *ctx;
	struct waiter w;

	ctx = kvcalloc(k, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	waiter_init(&w);
	pr_notice("VSS-RUNNING from round %d\n", r);
	while (!kthread_should_stop() && !err) {
		atomic_set(&w.max_idx, -1);
		err = crash_round(st, r, ctx, &w);
		r++;
	}
	if (err)
		pr_notice("VSS-WORKLOAD-ERROR %d in round %d\n", err, r - 1);
	while (!kthread_should_stop())
		msleep(100);
	kvfree(ctx);
	return err;
}

static int run_crash(bool run)
{
	struct vss_store *st;
	int err, last;

	st = st_open(format, format ? chunk : 0, LUN_NAME, LUN_SIZE, &err);
	if (!st) {
		pr_info("VSS-VERIFY FAIL: open %d\n", err);
		return err;
	}
	err = crash_verify(st, &last);
	if (err || !run) {
		vss_store_close(st);
		return err;
	}
	/* finish the last round if it was cut short, then go on */
	if (last >= 0 && km->s[last % NSLOT].n == k &&
	    (last % 5 != 4 || km->s[last % NSLOT].invalid))
		last++;
	crash_st = st;
	crash_task = kthread_run(crash_fn, (void *)(long)max(last, 0),
				 "vss_ktest");
	if (IS_ERR(crash_task)) {
		err = PTR_ERR(crash_task);
		crash_task = NULL;
		vss_store_close(st);
		crash_st = NULL;
	}
	return err;
}

static int __init ktest_init(void)
{
	int err;

	if (k < 2 || k > MAXEXC || k % 2)
		return -EINVAL;
	km = kvzalloc(sizeof(*km), GFP_KERNEL);
	if (!km)
		return -ENOMEM;
	err = open_dev();
	if (err) {
		pr_err("cannot open %s: %d\n", dev, err);
		kvfree(km);
		return err;
	}
	if (!strcmp(op, "unit"))
		err = run_unit();
	else if (!strcmp(op, "crash"))
		err = run_crash(true);
	else if (!strcmp(op, "verify"))
		err = run_crash(false);
	else
		err = -EINVAL;
	if (err || !crash_task) {
		close_dev();
		km_reset();
		kvfree(km);
		km = NULL;
	}
	return err;
}

static void __exit ktest_exit(void)
{
	if (!km)
		return;
	if (crash_task) {
		kthread_stop(crash_task);
		vss_store_close(crash_st);
	}
	close_dev();
	km_reset();
	kvfree(km);
}

module_init(ktest_init);
module_exit(ktest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vss store test driver (unit and crash tests)");
