// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot sets are consistent across LUNs.  Three brd-backed LUNs: sc0
 * carries a mounted ext4 that a writer keeps busy; on sc1 and sc2 a writer
 * makes dependent stamped writes -- block k of sc1 with sequence n, and only
 * once that write completed, block k of sc2 with n.  So at every instant
 * max(sc2) <= max(sc1) <= max(sc2) + 1, and a set taken at one instant
 * must show exactly that: never B without A.  Every round takes a set while
 * both writers run, checks the stamps (offset, sequence, checksum) on the
 * snapshot devices of sc1/sc2, runs e2fsck -n on the snapshot of sc0 (the
 * file system was frozen: it must be clean), prints the hold window, and
 * deletes the set.
 */
#include <stddef.h>

/* The harness's fixture wrappers (setjmp) trip -Wclobbered at -O2. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "set_util.h"

#define BLOCKS 256
#define MAGIC 0x56535354u	/* "VSST" */

struct stamp {
	uint32_t magic;
	uint32_t lun;
	uint64_t block;
	uint64_t seq;
	uint64_t sum;
};

static uint64_t stamp_sum(const struct stamp *s, const unsigned char *fill)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < offsetof(struct stamp, sum); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	for (i = 0; i < 4096 - sizeof(*s); i++)
		h = (h ^ fill[i]) * 1099511628211ULL;
	return h;
}

static void stamp_make(unsigned char *buf, uint32_t lun, uint64_t block,
		       uint64_t seq)
{
	struct stamp *s = (struct stamp *)buf;
	size_t i;

	for (i = sizeof(*s); i < 4096; i++)
		buf[i] = (unsigned char)(seq * 31 + block + i);
	s->magic = MAGIC;
	s->lun = lun;
	s->block = block;
	s->seq = seq;
	s->sum = stamp_sum(s, buf + sizeof(*s));
}

/* Highest sequence on @dev; -1 if a stamp is torn or misplaced. */
static long long scan_max(const char *dev, uint32_t lun)
{
	unsigned char *buf;
	long long max = 0;
	int fd, k;

	if (posix_memalign((void **)&buf, 4096, 4096))
		return -1;
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		free(buf);
		return -1;
	}
	for (k = 0; k < BLOCKS; k++) {
		struct stamp *s = (struct stamp *)buf;

		if (pread(fd, buf, 4096, (off_t)k * 4096) != 4096) {
			max = -1;
			break;
		}
		if (s->magic != MAGIC)
			continue;	/* never written */
		if (s->lun != lun || s->block != (uint64_t)k ||
		    s->sum != stamp_sum(s, buf + sizeof(*s))) {
			fprintf(stderr, "# %s block %d: bad stamp\n", dev, k);
			max = -1;
			break;
		}
		if ((long long)s->seq > max)
			max = s->seq;
	}
	close(fd);
	free(buf);
	return max;
}

struct writer {
	pthread_t thr;
	volatile bool stop;
	uint64_t seq;
	int err;
};

static void *dependent_writer(void *p)
{
	struct writer *w = p;
	unsigned char *buf;
	int fa, fb;

	if (posix_memalign((void **)&buf, 4096, 4096)) {
		w->err = ENOMEM;
		return NULL;
	}
	fa = open("/dev/vss-sc1", O_WRONLY | O_DIRECT);
	fb = open("/dev/vss-sc2", O_WRONLY | O_DIRECT);
	if (fa < 0 || fb < 0) {
		w->err = errno;
		goto out;
	}
	while (!w->stop) {
		uint64_t n = w->seq + 1, k = n % BLOCKS;

		/* A, completed, then B */
		stamp_make(buf, 1, k, n);
		if (pwrite(fa, buf, 4096, k * 4096) != 4096) {
			w->err = errno;
			break;
		}
		stamp_make(buf, 2, k, n);
		if (pwrite(fb, buf, 4096, k * 4096) != 4096) {
			w->err = errno;
			break;
		}
		w->seq = n;
	}
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	free(buf);
	return NULL;
}

/* Device named by the member nest of @lun in a set-do reply. */
static bool member_dev(const struct nlr_ack *a, const char *lun, char *out,
		       size_t len)
{
	size_t off;

	for (off = GENL_HDRLEN; off + NLA_HDRLEN <= a->reply_len;) {
		const struct nlattr *x = (const struct nlattr *)(a->reply + off);

		if ((x->nla_type & NLA_TYPE_MASK) == VSS_A_SET_MEMBER) {
			const struct nlattr *l, *d;

			l = nlr_attr(nlr_data(x), x->nla_len - NLA_HDRLEN,
				     VSS_A_MEMBER_LUN);
			d = nlr_attr(nlr_data(x), x->nla_len - NLA_HDRLEN,
				     VSS_A_MEMBER_DEVICE);
			if (l && d && !strcmp(nlr_data(l), lun)) {
				snprintf(out, len, "/dev/%s",
					 (const char *)nlr_data(d));
				return true;
			}
		}
		off += NLA_ALIGN(x->nla_len);
	}
	return false;
}

static const char *const luns[] = { "sc0", "sc1", "sc2" };

FIXTURE(cons) {
	int unused;
};

FIXTURE_SETUP(cons)
{
}

FIXTURE_TEARDOWN(cons)
{
}

/* Rounds take seconds each under emulation: well past the 30 s default. */
TEST_F_TIMEOUT(cons, dependent_writes_and_ext4, 900)
{
	int rounds = getenv("VSS_QUICK") ? 3 : 10, r, i, ret;
	unsigned char sid[16], set_id[16];
	struct writer w = {};
	char b[32], s[32], dev[3][64];
	struct nlr_msg m;
	struct nlr_ack a;
	struct nlr n;
	pid_t fsw;

	ASSERT_EQ(0, su_ramdisks(6, 64))
		TH_LOG("cannot create the brd ramdisks");
	ret = nlr_open_loaded(&n);
	ASSERT_EQ(0, ret)
		TH_LOG("vss family unavailable (%s)", strerror(-ret));
	for (i = 0; i < 3; i++) {
		snprintf(b, sizeof(b), "/dev/ram%d", i);
		snprintf(s, sizeof(s), "/dev/ram%d", i + 3);
		ASSERT_EQ(0, nlr_lun_add(&n, luns[i], b, s, 65536, &a))
			TH_LOG("%s: %s", luns[i], a.msg);
		snprintf(b, sizeof(b), "/dev/vss-%s", luns[i]);
		ASSERT_TRUE(su_wait_path(b, 5000));
	}
	ASSERT_EQ(0, su_sh("mkfs.ext4 -q -F /dev/vss-sc0 >/dev/null 2>&1"));
	ASSERT_EQ(0, su_sh("mkdir -p /mnt/sc0 && mount -t ext4 /dev/vss-sc0 /mnt/sc0"));

	/* file system writer: rewrites files with fsync, forever */
	fsw = fork();
	ASSERT_LE(0, fsw);
	if (fsw == 0) {
		setpgid(0, 0);	/* killed as a group, dd included */
		execlp("bash", "bash", "-c",
		       "i=0; while :; do dd if=/dev/urandom of=/mnt/sc0/f$((i % 8)) "
		       "bs=64k count=4 conv=fsync status=none; "
		       "mkdir -p /mnt/sc0/d$((i % 5)); "
		       "echo $i > /mnt/sc0/d$((i % 5))/n$((i % 13)); i=$((i + 1)); done",
		       (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(0, pthread_create(&w.thr, NULL, dependent_writer, &w));
	usleep(300000);

	ASSERT_EQ(0, nlr_session_new(&n, sid));
	for (r = 0; r < rounds; r++) {
		long long m1, m2;
		uint64_t hold = 0;

		usleep(200000);
		ASSERT_EQ(0, nlr_set_start(&n, sid, set_id, &a));
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(0, nlr_set_add(&n, sid, set_id, luns[i], &a));
		}
		ASSERT_EQ(0, nlr_set_do(&n, sid, set_id, &a)) TH_LOG("%s", a.msg);
		ASSERT_NE(NULL, nlr_reply_attr(&a, VSS_A_SET_HOLD_US));
		memcpy(&hold, nlr_data(nlr_reply_attr(&a, VSS_A_SET_HOLD_US)), 8);
		for (i = 0; i < 3; i++) {
			ASSERT_TRUE(member_dev(&a, luns[i], dev[i], sizeof(dev[i])));
			ASSERT_TRUE(su_wait_path(dev[i], 5000));
		}
		m1 = scan_max(dev[1], 1);
		m2 = scan_max(dev[2], 2);
		ret = su_sh("e2fsck -fn %s >/tmp/set_consistency.fsck 2>&1", dev[0]);
		TH_LOG("round %d: hold %llu us, A max %lld, B max %lld, writer at %llu, fsck %d",
		       r, (unsigned long long)hold, m1, m2,
		       (unsigned long long)w.seq, ret);
		EXPECT_LE(0, m2);
		EXPECT_LE(m2, m1);		/* never B without A */
		EXPECT_LE(m1, m2 + 1);		/* and one instant for both */
		EXPECT_LT(0, m1);		/* the writer did write */
		EXPECT_EQ(0, ret) {
			su_sh("cat /tmp/set_consistency.fsck >&2");
		}

		nlr_req(&n, &m, VSS_CMD_SET_DEL, false);
		nlr_put(&m, VSS_A_SET_ID, set_id, 16);
		EXPECT_EQ(0, nlr_xfer(&n, &m, &a)) TH_LOG("set del: %s", a.msg);
	}

	w.stop = true;
	pthread_join(w.thr, NULL);
	EXPECT_EQ(0, w.err);
	kill(-fsw, SIGKILL);
	waitpid(fsw, NULL, 0);
	for (i = 0; i < 50 && su_sh("umount /mnt/sc0 2>/dev/null"); i++)
		usleep(100000);	/* until the group's last dd is gone */
	EXPECT_GT(50, i);
	nlr_close(&n);
	ASSERT_EQ(0, nlr_open(&n));
	su_delete_all_snapshots(&n);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, nlr_lun_del(&n, luns[i], &a)) TH_LOG("%s", a.msg);
	}
	nlr_close(&n);
	su_sh("rmmod vss; rmmod brd");
}

TEST_HARNESS_MAIN
