// SPDX-License-Identifier: GPL-2.0
/*
 * LUN resync through libvssctl (InitializeForRestore,
 * AddSnapshotToRecoverySet, RecoverSet): a LUN on a loop device (its
 * completions come from loop's worker) reverted online to a snapshot with
 * 0.1 %, 1 %, 10 % and 100 % of its chunks changed; reads during the resync
 * see the snapshot, writes during it survive, a newer snapshot keeps its
 * point in time, the target is reverted to twice; a copy onto another
 * device; the events; every error code the library and kernel give for
 * AddSnapshotToRecoverySet and RecoverSet, those of another protected LUN
 * as the destination included (identity, in use).
 *
 * Every 4 KiB block carries its block number, a generation and a payload
 * derived from both: content is compared block by block against the map of
 * what each device should hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vssctl.h>

#include "kselftest_harness.h"

#define BS		4096
#define LUN_MB		16
#define NBLK		(LUN_MB * 1024 * 1024 / BS)
#define CHUNK		16384
#define BPC		(CHUNK / BS)		/* blocks per chunk */
#define NCHUNK		(NBLK / BPC)
#define LUN		"rs0"
#define LUNDEV		"/dev/vss-rs0"
#define LOOPFILE	"/tmp/resync-lun.img"
#define LUN2		"rs1"		/* a protected LUN as destination */
#define LUN2DEV		"/dev/vss-rs1"

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static bool wait_path(const char *path)
{
	for (int i = 0; i < 100; i++) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(50000);
	}
	return false;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static void make_block(uint8_t *b, uint32_t blk, uint32_t gen)
{
	uint64_t s = mix(((uint64_t)blk << 32) | gen);

	memcpy(b, &blk, 4);
	memcpy(b + 4, &gen, 4);
	for (size_t i = 8; i + 8 <= BS; i += 8) {
		s = mix(s + i);
		memcpy(b + i, &s, 8);
	}
}

/* Writes generation @gen into @n blocks from @blk, one O_DIRECT write. */
static int put(int fd, uint32_t blk, uint32_t n, uint32_t gen, uint32_t *map)
{
	uint8_t *buf;
	int rc = 0;

	if (posix_memalign((void **)&buf, BS, (size_t)n * BS))
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		make_block(buf + (size_t)i * BS, blk + i, gen);
	if (pwrite(fd, buf, (size_t)n * BS, (off_t)blk * BS) != (ssize_t)n * BS)
		rc = -errno;
	else if (map)
		for (uint32_t i = 0; i < n; i++)
			map[blk + i] = gen;
	free(buf);
	return rc;
}

static int open_dev(const char *dev, int flags)
{
	return open(dev, flags | O_DIRECT);
}

/*
 * Blocks [from, from+n) of @dev against @map: the number that differ
 * (-1 on an I/O error); the first one is logged.
 */
static long check_range(struct __test_metadata *_metadata, const char *dev,
			const uint32_t *map, uint32_t from, uint32_t n)
{
	uint8_t *buf, want[BS];
	long bad = 0;
	int fd;

	fd = open_dev(dev, O_RDONLY);
	if (fd < 0 || posix_memalign((void **)&buf, BS, 256 * BS)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (uint32_t b = from; b < from + n; b += 256) {
		uint32_t cnt = from + n - b < 256 ? from + n - b : 256;

		if (pread(fd, buf, (size_t)cnt * BS, (off_t)b * BS) !=
		    (ssize_t)cnt * BS) {
			bad = -1;
			break;
		}
		for (uint32_t i = 0; i < cnt; i++) {
			make_block(want, b + i, map[b + i]);
			if (memcmp(want, buf + (size_t)i * BS, BS)) {
				if (!bad) {
					uint32_t g;

					memcpy(&g, buf + (size_t)i * BS + 4, 4);
					TH_LOG("%s: block %u holds gen %u, expected %u",
					       dev, b + i, g, map[b + i]);
				}
				bad++;
			}
		}
	}
	free(buf);
	close(fd);
	return bad;
}

static long check_dev(struct __test_metadata *_metadata, const char *dev,
		      const uint32_t *map)
{
	return check_range(_metadata, dev, map, 0, NBLK);
}

/* A snapshot set of the one LUN; its id and device. */
static int snapshot(struct vss_ctx *ctx, vss_id_t *id, char *dev, size_t len)
{
	struct vss_set_result *res = malloc(sizeof(*res));
	struct vss_backup *b;
	struct vss_async *a;
	uint32_t hr;
	int rc, result;

	if (!res)
		return -ENOMEM;
	rc = vss_backup_new(ctx, &b);
	if (rc)
		goto out;
	/* persistent: the snapshot outlives the object */
	rc = vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK);
	if (!rc)
		rc = vss_backup_start_snapshot_set(b, NULL);
	if (!rc)
		rc = vss_backup_add_to_snapshot_set(b, LUN, id);
	if (!rc)
		rc = vss_backup_do_snapshot_set(b, &a);
	if (!rc) {
		vss_async_wait(a, 60000);
		vss_async_query_status(a, &hr, &result);
		vss_async_free(a);
		rc = result;
	}
	if (!rc)
		rc = vss_backup_get_set_result(b, res);
	if (!rc) {
		snprintf(dev, len, "%s", res->members[0].device);
		if (!wait_path(dev))
			rc = -ENOENT;
	}
	vss_backup_free(b);
out:
	free(res);
	return rc;
}

/* Starts a revert (or copy) of @id onto @dest; returns the async handle. */
static int recover(struct vss_ctx *ctx, const vss_id_t *id, const char *dest,
		   uint64_t smin, uint64_t smax, struct vss_async **a)
{
	struct vss_backup *b;
	int rc;

	rc = vss_backup_new_restore(ctx, &b);
	if (rc)
		return rc;
	rc = vss_backup_add_snapshot_to_recovery_set(b, id, 0, dest);
	if (!rc && (smin || smax))
		rc = vss_backup_set_recovery_speed(b, smin, smax);
	if (!rc)
		rc = vss_backup_recover_set(b, 0, a);
	vss_backup_free(b);
	return rc;
}

/* Waits for a RecoverSet handle; its outcome (0, -errno). */
static int finish(struct vss_async *a)
{
	uint32_t hr;
	int result = -EINPROGRESS;

	if (vss_async_wait(a, 300000))
		return -ETIMEDOUT;
	vss_async_query_status(a, &hr, &result);
	return result;
}

FIXTURE(rs)
{
	struct vss_ctx *ctx;
	char loop[32];
	uint32_t *map0, *map;
};

FIXTURE_SETUP(rs)
{
	char cmd[256];

	self->ctx = NULL;
	self->loop[0] = 0;
	self->map0 = calloc(NBLK, sizeof(uint32_t));
	self->map = calloc(NBLK, sizeof(uint32_t));
	ASSERT_TRUE(self->map0 && self->map);
	ASSERT_EQ(0, sh("lsmod | grep -q '^vss ' || modprobe vss"))
		TH_LOG("cannot load vss");
	sh("rmmod brd 2>/dev/null");
	ASSERT_EQ(0, sh("modprobe brd rd_nr=3 rd_size=65536 max_part=0"));
	ASSERT_TRUE(wait_path("/dev/ram2"));
	sh("modprobe loop 2>/dev/null");
	/* busybox losetup has no --show: a fixed device */
	snprintf(self->loop, sizeof(self->loop), "/dev/loop4");
	ASSERT_TRUE(wait_path(self->loop));
	snprintf(cmd, sizeof(cmd),
		 "losetup -d %s 2>/dev/null; rm -f %s; truncate -s %dM %s && losetup %s %s",
		 self->loop, LOOPFILE, LUN_MB, LOOPFILE, self->loop, LOOPFILE);
	ASSERT_EQ(0, sh(cmd)) {
		self->loop[0] = 0;
	}
	ASSERT_EQ(0, vss_ctx_new(&self->ctx));
}

static void add_lun(struct __test_metadata *_metadata,
		    FIXTURE_DATA(rs) *self)
{
	struct vss_lun_params p = {
		.name = LUN, .backing = self->loop, .store = "/dev/ram0",
		.chunk_size = CHUNK, .format = true,
	};

	ASSERT_EQ(0, vss_lun_add(self->ctx, &p, NULL))
		TH_LOG("lun add: %s", vss_ctx_last_error_msg(self->ctx));
	ASSERT_TRUE(wait_path(LUNDEV));
}

FIXTURE_TEARDOWN(rs)
{
	struct vss_snapshot_info *snaps;
	struct vss_resync_info *rl;
	size_t nr;

	if (self->ctx) {
		if (vss_resync_list(self->ctx, &rl, &nr) == 0) {
			for (size_t i = 0; i < nr; i++)
				if (rl[i].state == VSS_RESYNC_STATE_RUNNING) {
					vss_resync_set_speed(self->ctx,
							     rl[i].destination,
							     0, 0);
					vss_resync_wait(self->ctx,
							rl[i].destination,
							120000, NULL);
				}
			free(rl);
		}
		if (vss_snapshot_list(self->ctx, NULL, NULL, &snaps, &nr) == 0) {
			for (size_t i = 0; i < nr; i++)
				vss_snapshot_delete(self->ctx, &snaps[i].id);
			free(snaps);
		}
		vss_lun_remove(self->ctx, LUN);
		vss_lun_remove(self->ctx, LUN2);
		vss_ctx_unref(self->ctx);
	}
	if (self->loop[0]) {
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "losetup -d %s", self->loop);
		sh(cmd);
	}
	unlink(LOOPFILE);
	free(self->map0);
	free(self->map);
	sh("rmmod brd 2>/dev/null; rmmod vss 2>/dev/null");
}

/* One random block in each of @k distinct random chunks gets @gen. */
static int scatter(int fd, unsigned int k, uint32_t gen, uint32_t *map,
		   unsigned int *seed)
{
	static unsigned char pick[NCHUNK];
	unsigned int left = k;
	int rc;

	memset(pick, 0, sizeof(pick));
	while (left) {
		unsigned int c = rand_r(seed) % NCHUNK;

		if (pick[c])
			continue;
		pick[c] = 1;
		left--;
		rc = put(fd, c * BPC + rand_r(seed) % BPC, 1, gen, map);
		if (rc)
			return rc;
	}
	return 0;
}

static void revert_fraction(struct __test_metadata *_metadata,
			    FIXTURE_DATA(rs) *self, unsigned int k)
{
	struct vss_resync_info ri;
	char s1dev[48], s2dev[48];
	uint32_t *mapA = calloc(NBLK, sizeof(uint32_t));
	unsigned int seed = k * 7919 + 1;
	struct vss_async *a;
	vss_id_t s1, s2;
	long long t0;
	int fd;

	ASSERT_NE(NULL, mapA);
	add_lun(_metadata, self);
	fd = open_dev(LUNDEV, O_RDWR);
	ASSERT_LE(0, fd);
	/* gen 1 everywhere, the target snapshot S1 */
	for (uint32_t b = 0; b < NBLK; b += 256)
		ASSERT_EQ(0, put(fd, b, 256, 1, self->map0));
	ASSERT_EQ(0, snapshot(self->ctx, &s1, s1dev, sizeof(s1dev)))
		TH_LOG("snapshot: %s", vss_ctx_last_error_msg(self->ctx));
	/* k chunks changed, a newer snapshot S2, k more chunks changed */
	memcpy(self->map, self->map0, NBLK * sizeof(uint32_t));
	ASSERT_EQ(0, scatter(fd, k, 2, self->map, &seed));
	memcpy(mapA, self->map, NBLK * sizeof(uint32_t));
	ASSERT_EQ(0, snapshot(self->ctx, &s2, s2dev, sizeof(s2dev)));
	ASSERT_EQ(0, scatter(fd, k, 3, self->map, &seed));
	close(fd);

	/* revert, slowly enough that the reads below run during it */
	t0 = time(NULL);
	ASSERT_EQ(0, recover(self->ctx, &s1, NULL, 64 * 1024, 256 * 1024, &a))
		TH_LOG("recover: %s (0x%08x)", vss_ctx_last_error_msg(self->ctx),
		       vss_ctx_last_hresult(self->ctx));
	ASSERT_EQ(0, vss_resync_get(self->ctx, LUN, &ri));
	TH_LOG("k=%u: %llu of %llu bytes to copy, state %s", k,
	       (unsigned long long)ri.done_bytes,
	       (unsigned long long)ri.total_bytes,
	       vss_resync_state_name(ri.state));
	EXPECT_STREQ("vss-" LUN, ri.destination);
	EXPECT_TRUE(vss_id_equal(&s1, &ri.snapshot_id));
	/* at most 2k chunks changed since S1; at least k */
	EXPECT_LE(ri.total_bytes, 2ULL * k * CHUNK);
	EXPECT_GE(ri.total_bytes, (unsigned long long)k * CHUNK);
	/* the LUN reads as S1 at once, whatever was copied yet */
	EXPECT_EQ(0, check_dev(_metadata, LUNDEV, self->map0));
	ASSERT_EQ(0, vss_resync_get(self->ctx, LUN, &ri));
	TH_LOG("after the online read: %llu of %llu bytes, %s",
	       (unsigned long long)ri.done_bytes,
	       (unsigned long long)ri.total_bytes,
	       vss_resync_state_name(ri.state));
	ASSERT_EQ(0, vss_resync_set_speed(self->ctx, LUN, 0, 0));
	EXPECT_EQ(0, finish(a));
	vss_async_free(a);
	ASSERT_EQ(0, vss_resync_get(self->ctx, "/dev/vss-" LUN, &ri));
	EXPECT_EQ((uint32_t)VSS_RESYNC_STATE_DONE, ri.state);
	EXPECT_EQ(ri.total_bytes, ri.done_bytes);
	TH_LOG("k=%u: done in about %lld s", k, (long long)time(NULL) - t0);
	EXPECT_EQ(0, check_dev(_metadata, LUNDEV, self->map0));
	/* the target and the newer snapshot keep their points in time */
	EXPECT_EQ(0, check_dev(_metadata, s1dev, self->map0));
	EXPECT_EQ(0, check_dev(_metadata, s2dev, mapA));

	/* change it again and revert to the same snapshot a second time */
	fd = open_dev(LUNDEV, O_RDWR);
	ASSERT_LE(0, fd);
	memcpy(self->map, self->map0, NBLK * sizeof(uint32_t));
	ASSERT_EQ(0, scatter(fd, k, 4, self->map, &seed));
	close(fd);
	EXPECT_EQ(0, check_dev(_metadata, LUNDEV, self->map));
	ASSERT_EQ(0, recover(self->ctx, &s1, NULL, 0, 0, &a));
	EXPECT_EQ(0, finish(a));
	vss_async_free(a);
	EXPECT_EQ(0, check_dev(_metadata, LUNDEV, self->map0));
	EXPECT_EQ(0, check_dev(_metadata, s1dev, self->map0));
	EXPECT_EQ(0, check_dev(_metadata, s2dev, mapA));
	free(mapA);
}

TEST_F(rs, revert_0_1_percent)
{
	revert_fraction(_metadata, self, 1);	/* 1 of 1024 chunks */
}

TEST_F(rs, revert_1_percent)
{
	revert_fraction(_metadata, self, NCHUNK / 100);
}

TEST_F(rs, revert_10_percent)
{
	revert_fraction(_metadata, self, NCHUNK / 10);
}

TEST_F(rs, revert_100_percent)
{
	/* k = all: scatter() touches every chunk, twice over two gens */
	revert_fraction(_metadata, self, NCHUNK);
}

/*
 * Reads and writes while the resync runs: partial-chunk writes (copy
 * first), whole-chunk writes (no copy), reads of every kind of chunk.
 */
TEST_F(rs, online_io)
{
	struct vss_resync_info ri;
	unsigned int seed = 42;
	char s1dev[48];
	struct vss_async *a;
	long reads = 0, writes = 0, bad = 0;
	vss_id_t s1;
	int fd;

	add_lun(_metadata, self);
	fd = open_dev(LUNDEV, O_RDWR);
	ASSERT_LE(0, fd);
	for (uint32_t b = 0; b < NBLK; b += 256)
		ASSERT_EQ(0, put(fd, b, 256, 1, self->map0));
	ASSERT_EQ(0, snapshot(self->ctx, &s1, s1dev, sizeof(s1dev)));
	for (uint32_t b = 0; b < NBLK; b += 256)
		ASSERT_EQ(0, put(fd, b, 256, 2, NULL));

	ASSERT_EQ(0, recover(self->ctx, &s1, NULL, 64 * 1024, 512 * 1024, &a));
	memcpy(self->map, self->map0, NBLK * sizeof(uint32_t));
	for (int i = 0; i < 600; i++) {
		uint32_t c = rand_r(&seed) % NCHUNK;
		uint32_t blk = c * BPC + rand_r(&seed) % BPC;

		switch (rand_r(&seed) % 3) {
		case 0:	/* part of a chunk */
			ASSERT_EQ(0, put(fd, blk, 1, 10 + i, self->map));
			writes++;
			break;
		case 1:	/* a whole chunk */
			ASSERT_EQ(0, put(fd, c * BPC, BPC, 10 + i, self->map));
			writes++;
			break;
		default:
			bad += check_range(_metadata, LUNDEV, self->map, blk, 1);
			reads++;
		}
	}
	ASSERT_EQ(0, vss_resync_get(self->ctx, LUN, &ri));
	TH_LOG("%ld writes, %ld reads during the resync; then %llu of %llu bytes, %s",
	       writes, reads, (unsigned long long)ri.done_bytes,
	       (unsigned long long)ri.total_bytes,
	       vss_resync_state_name(ri.state));
	/* the I/O above overlapped the resync */
	EXPECT_EQ((uint32_t)VSS_RESYNC_STATE_RUNNING, ri.state);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, check_dev(_metadata, LUNDEV, self->map));
	ASSERT_EQ(0, vss_resync_set_speed(self->ctx, LUN, 0, 0));
	EXPECT_EQ(0, finish(a));
	vss_async_free(a);
	close(fd);
	EXPECT_EQ(0, check_dev(_metadata, LUNDEV, self->map));
	EXPECT_EQ(0, check_dev(_metadata, s1dev, self->map0));
}

static int count_events(void *arg, const struct vss_event *ev)
{
	unsigned int *seen = arg;
	struct vss_resync_info ri;

	if (vss_event_resync(ev, &ri))
		return 0;
	if (ev->type >= VSS_CMD_RESYNC_STARTED_NTF &&
	    ev->type <= VSS_CMD_RESYNC_CANCELLED_NTF)
		seen[ev->type - VSS_CMD_RESYNC_STARTED_NTF]++;
	return 0;
}

/* A full copy of a snapshot onto another device, with its events. */
TEST_F(rs, copy_to_device)
{
	unsigned int seen[5] = { 0 };
	struct vss_resync_info *rl;
	struct vss_resync_info ri;
	struct vss_async *a;
	uint64_t done, total;
	char s1dev[48];
	vss_id_t s1;
	size_t nr;
	int fd;

	add_lun(_metadata, self);
	fd = open_dev(LUNDEV, O_RDWR);
	ASSERT_LE(0, fd);
	for (uint32_t b = 0; b < NBLK; b += 256)
		ASSERT_EQ(0, put(fd, b, 256, 7, self->map0));
	ASSERT_EQ(0, snapshot(self->ctx, &s1, s1dev, sizeof(s1dev)));
	ASSERT_EQ(0, put(fd, 5, 3, 8, NULL));
	close(fd);
	ASSERT_EQ(0, sh("dd if=/dev/zero of=/dev/ram1 bs=1M count=20 status=none"));

	ASSERT_EQ(0, vss_events_subscribe(self->ctx));
	ASSERT_EQ(0, recover(self->ctx, &s1, "/dev/ram1", 0, 0, &a))
		TH_LOG("recover: %s", vss_ctx_last_error_msg(self->ctx));
	EXPECT_EQ(0, finish(a));
	ASSERT_EQ(0, vss_async_get_progress(a, &done, &total));
	EXPECT_EQ((uint64_t)LUN_MB << 20, total);
	EXPECT_EQ(total, done);
	vss_async_free(a);
	EXPECT_EQ(0, check_dev(_metadata, "/dev/ram1", self->map0));
	EXPECT_EQ(0, check_dev(_metadata, s1dev, self->map0));

	ASSERT_EQ(0, vss_resync_get(self->ctx, "ram1", &ri));
	EXPECT_EQ((uint32_t)VSS_RESYNC_STATE_DONE, ri.state);
	EXPECT_STREQ(LUN, ri.lun);
	ASSERT_EQ(0, vss_resync_list(self->ctx, &rl, &nr));
	EXPECT_EQ(1U, nr);
	free(rl);
	usleep(200000);
	EXPECT_LE(0, vss_events_dispatch(self->ctx, count_events, seen));
	EXPECT_EQ(1U, seen[0]);		/* started */
	EXPECT_EQ(1U, seen[2]);		/* done */
	EXPECT_EQ(0U, seen[3] + seen[4]);
	EXPECT_EQ(-EALREADY, vss_resync_cancel(self->ctx, "/dev/ram1"));
}

/* A full copy onto an NBD device (qemu-nbd over a unix socket). */
TEST_F(rs, copy_to_nbd)
{
	static const char nbd[] = "/dev/nbd5";
	struct vss_async *a;
	char s1dev[48];
	vss_id_t s1;
	int fd, up;

	add_lun(_metadata, self);
	fd = open_dev(LUNDEV, O_RDWR);
	ASSERT_LE(0, fd);
	for (uint32_t b = 0; b < NBLK; b += 256)
		ASSERT_EQ(0, put(fd, b, 256, 9, self->map0));
	ASSERT_EQ(0, snapshot(self->ctx, &s1, s1dev, sizeof(s1dev)));
	ASSERT_EQ(0, put(fd, 100, 50, 10, NULL));
	close(fd);
	ASSERT_EQ(0, sh("lsmod | grep -q '^nbd ' || modprobe nbd nbds_max=8"));
	ASSERT_EQ(0, sh("rm -f /tmp/rs-nbd.img; truncate -s 24M /tmp/rs-nbd.img && "
			"qemu-nbd -c /dev/nbd5 -k /tmp/rs-nbd.sock -f raw "
			"--cache=writeback /tmp/rs-nbd.img >/tmp/rs-nbd.log 2>&1"))
		TH_LOG("qemu-nbd failed");
	up = 0;
	for (int i = 0; i < 50 && !up; i++) {
		up = !sh("[ \"$(cat /sys/block/nbd5/size)\" -gt 0 ]");
		usleep(100000);
	}
	ASSERT_TRUE(up);
	EXPECT_EQ(0, recover(self->ctx, &s1, nbd, 0, 0, &a))
		TH_LOG("recover: %s", vss_ctx_last_error_msg(self->ctx));
	EXPECT_EQ(0, finish(a));
	vss_async_free(a);
	EXPECT_EQ(0, check_dev(_metadata, nbd, self->map0));
	sh("qemu-nbd -d /dev/nbd5; rm -f /tmp/rs-nbd.img /tmp/rs-nbd.sock");
}

#define EXPECT_HR(rc_, hr_, call)					\
	do {								\
		int _rc = (call);					\
		EXPECT_EQ(rc_, _rc);					\
		EXPECT_EQ((uint32_t)(hr_), vss_ctx_last_hresult(self->ctx)) \
			TH_LOG("%s: %s", #call,				\
			       vss_ctx_last_error_msg(self->ctx) ?: "");\
	} while (0)

/* Every error code of AddSnapshotToRecoverySet and RecoverSet. */
TEST_F(rs, errors)
{
	static const vss_id_t unknown = { { 1, 2, 3 } };
	struct vss_backup *b, *bk, *b2, *sb;
	struct vss_async *a, *sa, *da;
	char s1dev[48], cmd[128];
	vss_id_t s1, s2;
	int fd, excl;

	add_lun(_metadata, self);
	fd = open_dev(LUNDEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, put(fd, 0, 256, 1, self->map0));
	ASSERT_EQ(0, snapshot(self->ctx, &s1, s1dev, sizeof(s1dev)));
	ASSERT_EQ(0, put(fd, 0, 256, 2, NULL));
	close(fd);

	/* a backup object is not a restore object, and the reverse */
	ASSERT_EQ(0, vss_backup_new(self->ctx, &bk));
	EXPECT_HR(-EINVAL, VSS_E_BAD_STATE,
		  vss_backup_add_snapshot_to_recovery_set(bk, &s1, 0, NULL));
	EXPECT_HR(-EINVAL, VSS_E_BAD_STATE,
		  vss_backup_recover_set(bk, 0, &a));
	vss_backup_free(bk);
	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b));
	EXPECT_HR(-EINVAL, VSS_E_BAD_STATE,
		  vss_backup_start_snapshot_set(b, NULL));

	/* arguments */
	EXPECT_HR(-EINVAL, VSS_E_INVALIDARG,
		  vss_backup_add_snapshot_to_recovery_set(b, NULL, 0, NULL));
	EXPECT_HR(-EINVAL, VSS_E_INVALIDARG,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 1, NULL));
	EXPECT_HR(-EINVAL, VSS_E_INVALIDARG, vss_backup_recover_set(b, 0, NULL));
	EXPECT_HR(-EINVAL, VSS_E_INVALIDARG, vss_backup_recover_set(b, 0x1, &a));
	/* RecoverSet of an empty recovery set */
	EXPECT_HR(-EINVAL, VSS_E_BAD_STATE, vss_backup_recover_set(b, 0, &a));

	/* unknown snapshot */
	EXPECT_HR(-ENOENT, VSS_E_OBJECT_NOT_FOUND,
		  vss_backup_add_snapshot_to_recovery_set(b, &unknown, 0, NULL));
	/* destinations: not a block device, too small, in use, under a LUN */
	EXPECT_HR(-EINVAL, VSS_E_VOLUME_NOT_SUPPORTED,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, "/tmp"));
	ASSERT_EQ(0, sh("rm -f /tmp/small.img; truncate -s 4M /tmp/small.img && losetup /dev/loop7 /tmp/small.img"));
	EXPECT_HR(-ENOSPC, VSS_E_VOLUME_NOT_SUPPORTED,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, "/dev/loop7"));
	sh("losetup -d /dev/loop7; rm -f /tmp/small.img");
	excl = open("/dev/ram2", O_RDWR | O_EXCL);
	ASSERT_LE(0, excl);
	EXPECT_HR(-EBUSY, VSS_E_VOLUME_IN_USE,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, "/dev/ram2"));
	close(excl);
	EXPECT_HR(-EXDEV, VSS_E_UNSELECTED_VOLUME,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, "/dev/ram0"));
	EXPECT_HR(-EXDEV, VSS_E_UNSELECTED_VOLUME,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, self->loop));

	/* one member per destination */
	EXPECT_EQ(0, vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, NULL));
	EXPECT_HR(-EEXIST, VSS_E_OBJECT_ALREADY_EXISTS,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, LUN));
	EXPECT_EQ(0, vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, "/dev/ram1"));
	EXPECT_HR(-EEXIST, VSS_E_OBJECT_ALREADY_EXISTS,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, "/dev/ram1"));

	/* the kernel checks again at RecoverSet: reverting and copying one LUN */
	EXPECT_HR(-EBUSY, VSS_E_RESYNC_IN_PROGRESS,
		  vss_backup_recover_set(b, 0, &a));
	/* single use */
	EXPECT_HR(-EINVAL, VSS_E_BAD_STATE, vss_backup_recover_set(b, 0, &a));
	EXPECT_HR(-EINVAL, VSS_E_BAD_STATE,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, NULL));
	vss_backup_free(b);

	/* a running resync of the LUN: at Add and at RecoverSet */
	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b2));
	EXPECT_EQ(0, vss_backup_add_snapshot_to_recovery_set(b2, &s1, 0, "/dev/ram1"));
	ASSERT_EQ(0, recover(self->ctx, &s1, NULL, 4096, 8192, &sa));
	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b));
	EXPECT_HR(-EBUSY, VSS_E_RESYNC_IN_PROGRESS,
		  vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, NULL));
	EXPECT_HR(-EBUSY, VSS_E_RESYNC_IN_PROGRESS,
		  vss_backup_recover_set(b2, 0, &a));
	vss_backup_free(b2);
	/*
	 * no new snapshot, target pinned (removing the LUN pauses the
	 * revert: resync_persist_test.sh)
	 */
	EXPECT_NE(0, snapshot(self->ctx, &s2, cmd, sizeof(cmd)));
	EXPECT_HR(-EBUSY, VSS_E_RESYNC_IN_PROGRESS,
		  vss_snapshot_delete(self->ctx, &s1));
	/* cancel: stays consistent, can be started again */
	EXPECT_EQ(0, vss_async_cancel(sa));
	EXPECT_EQ(-ECANCELED, finish(sa));
	vss_async_free(sa);
	EXPECT_EQ(0, check_range(_metadata, LUNDEV, self->map0, 0, 256));
	EXPECT_EQ(-EALREADY, vss_resync_cancel(self->ctx, LUN));
	EXPECT_EQ(0, vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, NULL));
	ASSERT_EQ(0, vss_backup_recover_set(b, 0, &a));
	EXPECT_EQ(0, finish(a));
	vss_async_free(a);
	vss_backup_free(b);
	EXPECT_EQ(0, check_range(_metadata, LUNDEV, self->map0, 0, 256));

	/* a snapshot whose set is still being taken */
	ASSERT_EQ(0, sh("echo 3000 > /sys/module/vss/parameters/test_persist_delay_ms"));
	ASSERT_EQ(0, vss_backup_new(self->ctx, &sb));
	ASSERT_EQ(0, vss_backup_set_context(sb, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(sb, NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(sb, LUN, &s2));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(sb, &da));
	usleep(1000000);
	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b));
	EXPECT_HR(-EAGAIN, VSS_E_SNAPSHOT_NOT_IN_SET,
		  vss_backup_add_snapshot_to_recovery_set(b, &s2, 0, NULL));
	vss_backup_free(b);
	vss_async_wait(da, 30000);
	vss_async_free(da);
	vss_backup_free(sb);
	sh("echo 0 > /sys/module/vss/parameters/test_persist_delay_ms");
	/* an invalid (deleted) snapshot is not found */
	ASSERT_EQ(0, vss_snapshot_delete(self->ctx, &s2));
	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b));
	EXPECT_HR(-ENOENT, VSS_E_OBJECT_NOT_FOUND,
		  vss_backup_add_snapshot_to_recovery_set(b, &s2, 0, NULL));
	vss_backup_free(b);
}

/*
 * The codes of a protected LUN as the destination: its identity (an MBR
 * it has, none in the snapshot) cannot be kept, VSS_E_CANNOT_REVERT_DISKID
 * unless REVERT_IDENTITY_ALL; open, VSS_E_VOLUME_IN_USE unless
 * NO_VOLUME_CHECK, and then copied online in full.
 */
TEST_F(rs, errors_lun_dest)
{
	struct vss_lun_params p = {
		.name = LUN2, .backing = "/dev/ram1", .store = "/dev/ram2",
		.chunk_size = CHUNK, .format = true,
	};
	struct vss_backup *b;
	struct vss_async *a;
	char s1dev[48];
	vss_id_t s1;
	int fd;

	add_lun(_metadata, self);
	fd = open_dev(LUNDEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, put(fd, 0, NBLK, 1, self->map0));
	close(fd);
	ASSERT_EQ(0, snapshot(self->ctx, &s1, s1dev, sizeof(s1dev)));
	ASSERT_EQ(0, vss_lun_add(self->ctx, &p, NULL))
		TH_LOG("lun add: %s", vss_ctx_last_error_msg(self->ctx));
	ASSERT_TRUE(wait_path(LUN2DEV));
	ASSERT_EQ(0, sh("printf 'label: dos\\nlabel-id: 0xcafe0001\\nsize=1M\\n' | sfdisk -q --no-reread --no-tell-kernel " LUN2DEV " >/dev/null 2>&1"));

	/* Add checks neither: they depend on RecoverSet's flags */
	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b));
	EXPECT_EQ(0, vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, LUN2));
	EXPECT_HR(-EXDEV, VSS_E_CANNOT_REVERT_DISKID,
		  vss_backup_recover_set(b, 0, &a));
	vss_backup_free(b);

	fd = open(LUN2DEV, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b));
	EXPECT_EQ(0, vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, LUN2DEV));
	EXPECT_HR(-EBUSY, VSS_E_VOLUME_IN_USE,
		  vss_backup_recover_set(b, VSS_RECOVERY_REVERT_IDENTITY_ALL, &a));
	vss_backup_free(b);
	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b));
	EXPECT_EQ(0, vss_backup_add_snapshot_to_recovery_set(b, &s1, 0, LUN2DEV));
	ASSERT_EQ(0, vss_backup_recover_set(b, VSS_RECOVERY_REVERT_IDENTITY_ALL |
					    VSS_RECOVERY_NO_VOLUME_CHECK, &a))
		TH_LOG("%s", vss_ctx_last_error_msg(self->ctx) ?: "");
	vss_backup_free(b);
	EXPECT_EQ(0, finish(a));
	vss_async_free(a);
	close(fd);
	EXPECT_EQ(0, check_dev(_metadata, LUN2DEV, self->map0));
	EXPECT_EQ(0, check_dev(_metadata, s1dev, self->map0));
}

TEST_HARNESS_MAIN
