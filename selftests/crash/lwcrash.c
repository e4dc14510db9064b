// SPDX-License-Identifier: GPL-2.0
/*
 * lwcrash - lost-volatile-cache crash test of vss.ko (guest side of
 * selftests/crash/run --model).  One process, in one guest boot:
 *
 *  1. Record.  BASE (a brd disk) is wrapped by one dm-log-writes device
 *     "lwc" logging to LOG; two dm-linear devices split it into the LUN's
 *     backing region and the store region, so every write and flush of
 *     both reaches one log in one sequence.  A LUN is added on them
 *     (--format) and a multi-threaded workload writes stamped 4 KiB blocks
 *     (block, sequence, crc32) through /dev/vss-c: plain O_DIRECT writes
 *     made durable by fdatasync(), and RWF_DSYNC (FUA) writes; snapshots
 *     are taken with the writers quiesced (so the content of each is known
 *     exactly), writers resume at once (copy-on-write under load), old
 *     snapshots are deleted under load.  After every acknowledgement (an
 *     fdatasync or RWF_DSYNC write returned, a snapshot create or delete
 *     returned) the workload appends a dm-log-writes mark "a<N>"; mark N
 *     is model event N.
 *  2. Replay.  The log is parsed (format: struct log_write_super at byte
 *     0, then per entry one sector holding struct log_write_entry, marks
 *     inline, followed by nr_sectors of data unless it is a discard).
 *     A crash state is chosen per flush entry F: every write logged
 *     before F's group (the run of non-FUA writes dm-log-writes logs
 *     right before F: those that completed before F was mapped), plus a
 *     seeded random subset of F's group; F itself has not completed.
 *     This is the disk at a moment just before F completed: every flush
 *     and FUA that completed earlier is durable, cached writes may or may
 *     not have reached the media.  The state is written, by difference to
 *     the previous one, onto SCRATCH.
 *  3. Check.  A non-persistent dm-snapshot over SCRATCH (so nothing vss
 *     writes while opening survives into the next state), split like BASE;
 *     "vssctl lun add" without --format must succeed; then every block of
 *     the LUN holds a valid stamp of a write to that block no older than
 *     the newest write acknowledged (mark logged before the cut), every
 *     snapshot listed is ready, known, not acknowledged-deleted and holds
 *     exactly its point in time, every snapshot acknowledged created (and
 *     whose delete had not been sent before the cut) is listed.
 *
 * Durability rule.  dm-log-writes moves a write that completed into the
 * list of the next flush it maps, and logs that list with the flush when
 * the flush completes.  Flushes can complete in another order than they
 * were mapped: between the map of a flush A and its completion the
 * mapping task passes might_sleep() in submit_bio_noacct() (a preemption
 * point under Debian's voluntary preemption) and another task can map a
 * flush B and see it complete.  A write W that completed before A was
 * mapped is then durable when B completes (B was sent after W completed)
 * but is logged only with A, after B, after anything logged meanwhile.
 * For a write acknowledged by fdatasync this puts W after the mark of its
 * own acknowledgement.  Such a write is moved to just before that mark
 * when the log proves the flush that covered it: its writer marks "c<N>"
 * after its writes returned and before fdatasync, so a flush logged
 * between "c<N>" and the acknowledgement was sent after W completed.  A
 * write logged after its acknowledgement with no flush between is left
 * where it is and fails the check (a lost flush).  RWF_DSYNC writes are
 * FUA, logged when they complete, never moved.  The same reordering can
 * put a copy-on-write copy after the store record whose PREFLUSH made it
 * durable; the model cannot tell that from a record written too early, so
 * such a state would fail (conservatively; none seen so far).
 *
 * Revert mode (--revert 1): the same recording and crash states around an
 * online revert.  Two snapshots T and O are taken (writers quiesced),
 * then, writers quiesced again, "vssctl recover" reverts the LUN to T
 * (rate-limited, resync_commit_ms lowered so the revert commits its
 * progress many times) and the writers go on during the revert; once it
 * is done, a second revert to O runs the same way.  Mark "a<N>" before
 * RecoverSet is sent and after it returned.  Crash states are cut only
 * after the first revert was sent.  For each, after the re-add (which
 * resumes a revert the store holds), every LUN block must be, for the
 * last revert acknowledged before the cut: a write made after that
 * revert no older than the newest such write acknowledged, or, when no
 * such write was acknowledged, the target's block (or a later write in
 * flight); a revert sent but not acknowledged allows the whole LUN to be
 * in the state before it instead (all blocks one way or all the other).
 * Every snapshot stays exact as in the normal mode.
 *
 *   lwcrash run --states N --seed S [--threads T] [--rounds R] [--writes W]
 *               [--revert 0|1] [--base DEV] [--log DEV] [--scratch DEV]
 *               [--cow DEV]
 *
 * Prints "ok N - ..." / "not ok N - ..." per state and, last,
 * "lwcrash: N passed, N failed, N skipped".  Exit 0 when all passed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../vss/crc32.h"

#define BS		4096
#define MAGIC		0x57434c5353535356ULL	/* "VSSSLCW" */
#define LUN_SECT	8192ULL			/* 4 MiB LUN */
#define STORE_SECT	49152ULL		/* 24 MiB store */
#define TOTAL_SECT	(LUN_SECT + STORE_SECT)
#define NBLK		(LUN_SECT / 8)
#define MAXT		8
#define MAXSNAP		64
#define MAXSEQ		(1 << 20)

/* dm-log-writes entry flags (Documentation/admin-guide/device-mapper/log-writes.rst) */
#define LW_FLUSH	1
#define LW_FUA		2
#define LW_DISCARD	4
#define LW_MARK		8
#define LW_MAGIC	0x6a736677736872ULL

static const char *base_dev = "/dev/ram0", *log_dev = "/dev/ram1";
static const char *scratch_dev = "/dev/ram2", *cow_dev = "/dev/ram3";
static int nthreads = 3, nrounds = 10, round_writes = 160, nstates = 30;
static int revert_mode;
#define REVERT_SPEED	"256K"	/* bytes/s: a revert of ~1 MiB takes seconds */
#define REVERT_COMMIT_MS 100	/* resync_commit_ms during the recording */
static uint64_t seed = 1;

/* ------------------------------------------------------------------ util */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("Bail out! lwcrash: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static uint64_t xs(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* splitmix64: well mixed in every bit (subsets, cut choice) */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Stamp: magic, block, seq, crc32 of bytes 32..4095, payload from (block, seq). */
static void stamp(uint8_t *b, uint64_t block, uint64_t seq)
{
	uint64_t s = (block + 7) * 0xbf58476d1ce4e5b9ULL ^ seq * 0x94d049bb133111ebULL;
	uint32_t crc;

	for (int i = 32; i < BS; i += 8) {
		uint64_t v = xs(&s);

		memcpy(b + i, &v, 8);
	}
	memcpy(b, &(uint64_t){ MAGIC }, 8);
	memcpy(b + 8, &block, 8);
	memcpy(b + 16, &seq, 8);
	crc = vss_crc32(b + 32, BS - 32);
	memcpy(b + 24, &crc, 4);
	memset(b + 28, 0, 4);
}

/* Sequence in a block: 0 all zeros, -1 not a valid stamp of @block. */
static int64_t unstamp(const uint8_t *b, uint64_t block)
{
	uint64_t m, blk, seq;
	uint32_t crc;
	int zero = 1;

	for (int i = 0; i < BS && zero; i++)
		zero = !b[i];
	if (zero)
		return 0;
	memcpy(&m, b, 8);
	memcpy(&blk, b + 8, 8);
	memcpy(&seq, b + 16, 8);
	memcpy(&crc, b + 24, 4);
	if (m != MAGIC || blk != block || !seq || crc != vss_crc32(b + 32, BS - 32))
		return -1;
	return (int64_t)seq;
}

static int run(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;
	size_t n = 0;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (!p)
		die("popen %s", cmd);
	if (out && outlen) {
		n = fread(out, 1, outlen - 1, p);
		out[n] = 0;
	} else {
		char tmp[512];

		while (fread(tmp, 1, sizeof(tmp), p) > 0)
			;
	}
	rc = pclose(p);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

static void wait_dev(const char *path)
{
	for (int i = 0; i < 100; i++) {
		if (access(path, F_OK) == 0)
			return;
		usleep(50000);
	}
	die("%s did not appear", path);
}

static void *xzalloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n ? n : 1))
		die("out of memory");
	memset(p, 0, n);
	return p;
}

/* dm-log-writes mark, straight through the device-mapper ioctl. */
static void dm_mark(const char *dev, const char *text)
{
	static int ctl = -1;
	union { struct dm_ioctl io; char b[8192]; } u;
	struct dm_target_msg *msg;

	if (ctl < 0)
		ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		die("/dev/mapper/control: %s", strerror(errno));
	memset(&u, 0, sizeof(u));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.data_size = sizeof(u);
	u.io.data_start = sizeof(struct dm_ioctl);
	snprintf(u.io.name, sizeof(u.io.name), "%s", dev);
	msg = (struct dm_target_msg *)(u.b + u.io.data_start);
	msg->sector = 0;
	snprintf(msg->message, 256, "mark %s", text);
	if (ioctl(ctl, DM_TARGET_MSG, &u.io))
		die("mark %s: %s", text, strerror(errno));
}

/* ----------------------------------------------------------------- model */

enum { EV_READY, EV_ACKW, EV_SNAP, EV_DELSTART, EV_DEL, EV_REVSTART,
       EV_REVERT };

struct event {
	int type;
	int arg;		/* snapshot index */
	int first, count;	/* EV_ACKW: range of ack_seqs */
	int cmark;		/* EV_ACKW by fdatasync: its "c<N>" mark, else -1 */
};

struct snap {
	char id[64];
	int vss_seq;
	int32_t *model;		/* seq per block at its point in time */
	int created_ev, deleted_ev;	/* -1: never acknowledged */
	int delstart_ev;		/* mark logged before the delete was sent */
};

static struct event *events;
static int nevents, events_cap;
static int32_t *ack_seqs;
static int nack_seqs, ack_seqs_cap;
static int32_t *seq_block;	/* seq -> block */
static uint8_t *seq_fua;	/* seq written with RWF_DSYNC */
static int *mark_pos;		/* event -> log entry index of its mark */
static int ncmarks;		/* "c<N>" marks made */
static int nseq;
static int32_t cur[NBLK];	/* newest completed write per block */
static struct snap snaps[MAXSNAP];
static int nsnaps;

/* revert mode: the reverts, in order */
#define MAXREV	4
struct revert {
	int target;		/* snapshot index */
	int start_ev;		/* mark logged before RecoverSet was sent */
	int ack_ev;		/* mark logged after it returned */
	int32_t last_seq;	/* every write <= this was issued before it */
};
static struct revert reverts[MAXREV];
static int nreverts;

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int pause_req, paused, stop_req;
static long completed_writes;

/* Append an event and its mark; caller holds mtx. */
static int event_locked(int type, int arg, const int32_t *seqs, int n, int cmark)
{
	char name[32];
	struct event *e;

	if (nevents == events_cap) {
		events_cap = events_cap ? 2 * events_cap : 1024;
		events = realloc(events, events_cap * sizeof(*events));
	}
	while (!ack_seqs_cap || nack_seqs + n > ack_seqs_cap) {
		ack_seqs_cap = ack_seqs_cap ? 2 * ack_seqs_cap : 4096;
		ack_seqs = realloc(ack_seqs, ack_seqs_cap * sizeof(*ack_seqs));
	}
	if (!events || !ack_seqs)
		die("out of memory");
	e = &events[nevents];
	e->type = type;
	e->arg = arg;
	e->first = nack_seqs;
	e->count = n;
	e->cmark = cmark;
	memcpy(ack_seqs + nack_seqs, seqs, n * sizeof(*seqs));
	nack_seqs += n;
	snprintf(name, sizeof(name), "a%d", nevents);
	dm_mark("lwc", name);
	return nevents++;
}

/*
 * Mark "c<N>" before an fdatasync: every write it acknowledges has
 * completed, so a flush logged after this mark was sent after them.
 */
static int sync_mark(void)
{
	char name[32];
	int n;

	pthread_mutex_lock(&mtx);
	n = ncmarks++;
	snprintf(name, sizeof(name), "c%d", n);
	dm_mark("lwc", name);
	pthread_mutex_unlock(&mtx);
	return n;
}

/* -------------------------------------------------------------- workload */

struct writer {
	int idx;
	pthread_t th;
	uint64_t rng;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int32_t pend[256];
	int npend = 0, until_sync;
	uint8_t *buf = xzalloc(BS);
	int fd = open("/dev/vss-c", O_RDWR | O_DIRECT);

	if (fd < 0)
		die("open /dev/vss-c: %s", strerror(errno));
	until_sync = 1 + xs(&w->rng) % 12;
	for (;;) {
		uint64_t b;
		int32_t s;
		int fua;

		pthread_mutex_lock(&mtx);
		while (pause_req && !stop_req) {
			paused++;
			pthread_cond_broadcast(&cond);
			while (pause_req && !stop_req)
				pthread_cond_wait(&cond, &mtx);
			paused--;
		}
		if (stop_req) {
			pthread_mutex_unlock(&mtx);
			break;
		}
		/* blocks are partitioned: one writer per block, writes in order */
		do
			b = xs(&w->rng) % NBLK;
		while ((int)(b % nthreads) != w->idx);
		if (nseq + 1 >= MAXSEQ)
			die("too many writes");
		s = ++nseq;
		seq_block[s] = (int32_t)b;
		pthread_mutex_unlock(&mtx);

		stamp(buf, b, s);
		fua = xs(&w->rng) % 8 == 0;
		seq_fua[s] = fua;
		struct iovec iov = { buf, BS };
		if (pwritev2(fd, &iov, 1, (off_t)b * BS, fua ? RWF_DSYNC : 0) != BS)
			die("write block %" PRIu64 ": %s", b, strerror(errno));
		pthread_mutex_lock(&mtx);
		cur[b] = s;
		completed_writes++;
		pthread_mutex_unlock(&mtx);
		pend[npend++] = s;
		if (fua || --until_sync == 0 || npend == 256) {
			int cm = -1;

			if (!fua) {
				cm = sync_mark();
				if (fdatasync(fd))
					die("fdatasync: %s", strerror(errno));
			}
			pthread_mutex_lock(&mtx);
			/* a FUA write acknowledges itself only */
			if (fua) {
				event_locked(EV_ACKW, 0, &s, 1, -1);
				npend--;
			} else {
				event_locked(EV_ACKW, 0, pend, npend, cm);
				npend = 0;
			}
			pthread_mutex_unlock(&mtx);
			if (!fua)
				until_sync = 1 + xs(&w->rng) % 12;
		}
	}
	if (npend) {
		int cm = sync_mark();

		if (fdatasync(fd))
			die("fdatasync: %s", strerror(errno));
		pthread_mutex_lock(&mtx);
		event_locked(EV_ACKW, 0, pend, npend, cm);
		pthread_mutex_unlock(&mtx);
	}
	close(fd);
	free(buf);
	return NULL;
}

static int json_int(const char *s, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(s, k);
	return p ? atoi(p + strlen(k)) : -1;
}

static void json_str(const char *s, const char *key, char *out, size_t n)
{
	char k[64];
	const char *p, *q;

	snprintf(k, sizeof(k), "\"%s\":\"", key);
	p = strstr(s, k);
	if (!p)
		die("no %s in %s", key, s);
	p += strlen(k);
	q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= n)
		die("bad %s in %s", key, s);
	memcpy(out, p, q - p);
	out[q - p] = 0;
}

/* Wait until the writers completed @target writes, then quiesce them. */
static void writers_run_then_pause(long target)
{
	for (;;) {
		pthread_mutex_lock(&mtx);
		long c = completed_writes;
		pthread_mutex_unlock(&mtx);
		if (c >= target)
			break;
		usleep(20000);
	}
	pthread_mutex_lock(&mtx);
	pause_req = 1;
	while (paused < nthreads)
		pthread_cond_wait(&cond, &mtx);
	pthread_mutex_unlock(&mtx);
}

static void writers_resume(void)
{
	pthread_mutex_lock(&mtx);
	pause_req = 0;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mtx);
}

/*
 * Revert to snapshot @target with the writers quiesced, resume them, and
 * wait until the revert is done while they write (at most 4 phases'
 * worth: a slow host must not fill the log device).  Returns the writes
 * completed while it ran.
 */
static long revert_to(int target)
{
	struct revert *rv = &reverts[nreverts];
	char out[4096];
	long before, after;
	int waited, held = 0;
	time_t t0 = time(NULL);

	if (nreverts == MAXREV)
		die("too many reverts");
	pthread_mutex_lock(&mtx);
	rv->target = target;
	rv->last_seq = nseq;
	rv->ack_ev = -1;
	rv->start_ev = event_locked(EV_REVSTART, nreverts, NULL, 0, -1);
	nreverts++;
	pthread_mutex_unlock(&mtx);
	if (run(out, sizeof(out), "vssctl recover --speed-max %s %s", REVERT_SPEED,
		snaps[target].id))
		die("recover: %s", out);
	pthread_mutex_lock(&mtx);
	rv->ack_ev = event_locked(EV_REVERT, nreverts - 1, NULL, 0, -1);
	before = completed_writes;
	pthread_mutex_unlock(&mtx);
	writers_resume();
	for (waited = 0;; waited++) {
		if (run(out, sizeof(out), "vssctl -j resync list"))
			die("resync list: %s", out);
		if (strstr(out, "\"done\""))
			break;
		pthread_mutex_lock(&mtx);
		after = completed_writes;
		pthread_mutex_unlock(&mtx);
		if (!held && after - before >= 4L * round_writes) {
			writers_run_then_pause(0);
			held = 1;
		}
		if (!strstr(out, "\"running\""))
			die("revert to snapshot %d neither running nor done: %s", target, out);
		if (time(NULL) - t0 > 600)
			die("revert to snapshot %d still running after 600 s (%d polls): %s", target, waited, out);
		usleep(100000);
	}
	pthread_mutex_lock(&mtx);
	after = completed_writes;
	pthread_mutex_unlock(&mtx);
	if (held)
		writers_resume();
	return after - before;
}

/* Take a snapshot of the quiesced LUN (its model: the writes completed). */
static void snap_quiesced(void)
{
	struct snap *sn = &snaps[nsnaps];
	char out[4096];

	pthread_mutex_lock(&mtx);
	sn->model = malloc(sizeof(cur));
	memcpy(sn->model, cur, sizeof(cur));
	sn->created_ev = sn->deleted_ev = sn->delstart_ev = -1;
	sn->vss_seq = -1;
	nsnaps++;
	pthread_mutex_unlock(&mtx);
	if (run(out, sizeof(out), "vssctl -j snapshot create c"))
		die("snapshot create: %s", out);
	pthread_mutex_lock(&mtx);
	json_str(strstr(out, "\"snapshots\"") ?: out, "id", sn->id, sizeof(sn->id));
	sn->vss_seq = json_int(strstr(out, "\"snapshots\"") ?: out, "seq");
	sn->created_ev = event_locked(EV_SNAP, nsnaps - 1, NULL, 0, -1);
	pthread_mutex_unlock(&mtx);
	if (sn->vss_seq < 0) {
		if (run(out, sizeof(out), "vssctl -j snapshot show %s", sn->id))
			die("snapshot show: %s", out);
		sn->vss_seq = json_int(out, "seq");
	}
}

/* Revert mode: T, O, revert to T under writes, then to O under writes. */
static void workload_revert(void)
{
	long w1, w2;

	writers_run_then_pause(round_writes);
	snap_quiesced();			/* T */
	writers_resume();
	writers_run_then_pause(2L * round_writes);
	snap_quiesced();			/* O */
	writers_resume();
	writers_run_then_pause(3L * round_writes);
	w1 = revert_to(0);
	pthread_mutex_lock(&mtx);
	long c = completed_writes;
	pthread_mutex_unlock(&mtx);
	writers_run_then_pause(c + round_writes / 2);
	w2 = revert_to(1);
	printf("# reverts: to T with %ld writes during it, to O with %ld\n", w1, w2);
}

static void workload(void)
{
	struct writer w[MAXT];
	char out[4096];
	int ndeleted = 0;

	if (run(out, sizeof(out), "dmsetup create --noudevsync lwc --table '0 %llu log-writes %s %s'",
		TOTAL_SECT, base_dev, log_dev) || run(out, sizeof(out), "dmsetup mknodes lwc") ||
	    run(out, sizeof(out), "dmsetup create --noudevsync lwc-lun --table '0 %llu linear /dev/mapper/lwc 0'", LUN_SECT) ||
	    run(out, sizeof(out), "dmsetup create --noudevsync lwc-store --table '0 %llu linear /dev/mapper/lwc %llu'",
		STORE_SECT, LUN_SECT) ||
	    run(out, sizeof(out), "dmsetup mknodes"))
		die("dm setup: %s", out);
	if (run(out, sizeof(out), "vssctl lun add /dev/mapper/lwc-lun --store /dev/mapper/lwc-store --name c --chunk-size 4K --format"))
		die("lun add --format: %s", out);
	wait_dev("/dev/vss-c");
	pthread_mutex_lock(&mtx);
	event_locked(EV_READY, 0, NULL, 0, -1);
	pthread_mutex_unlock(&mtx);

	if (revert_mode) {
		/* many progress commits per revert: many cut points in them */
		if (run(out, sizeof(out), "echo %d > /sys/module/vss/parameters/resync_commit_ms",
			REVERT_COMMIT_MS))
			die("resync_commit_ms: %s", out);
	}
	for (int i = 0; i < nthreads; i++) {
		w[i].idx = i;
		w[i].rng = seed * 0x9e3779b97f4a7c15ULL + i + 1;
		pthread_create(&w[i].th, NULL, writer_main, &w[i]);
	}
	if (revert_mode)
		workload_revert();
	for (int r = 0; r < nrounds && nsnaps < MAXSNAP && !revert_mode; r++) {
		struct snap *sn = &snaps[nsnaps];
		long target = (long)(r + 1) * round_writes;

		/* let the writers run, then quiesce them */
		for (;;) {
			pthread_mutex_lock(&mtx);
			long c = completed_writes;
			pthread_mutex_unlock(&mtx);
			if (c >= target)
				break;
			usleep(20000);
		}
		pthread_mutex_lock(&mtx);
		pause_req = 1;
		while (paused < nthreads)
			pthread_cond_wait(&cond, &mtx);
		sn->model = malloc(sizeof(cur));
		memcpy(sn->model, cur, sizeof(cur));
		sn->created_ev = sn->deleted_ev = sn->delstart_ev = -1;
		sn->vss_seq = -1;
		nsnaps++;
		pthread_mutex_unlock(&mtx);
		if (run(out, sizeof(out), "vssctl -j snapshot create c"))
			die("snapshot create: %s", out);
		/* writers resume: copy-on-write under load */
		pthread_mutex_lock(&mtx);
		json_str(strstr(out, "\"snapshots\"") ?: out, "id", sn->id, sizeof(sn->id));
		sn->vss_seq = json_int(strstr(out, "\"snapshots\"") ?: out, "seq");
		sn->created_ev = event_locked(EV_SNAP, nsnaps - 1, NULL, 0, -1);
		pause_req = 0;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&mtx);
		if (sn->vss_seq < 0) {
			/* create's JSON may not carry seq: ask show */
			if (run(out, sizeof(out), "vssctl -j snapshot show %s", sn->id))
				die("snapshot show: %s", out);
			sn->vss_seq = json_int(out, "seq");
		}
		/*
		 * Keep at most four: delete the oldest live one, every third
		 * round the second oldest (the oldest then reads through a
		 * deleted neighbour's successor), under load.
		 */
		if (nsnaps - ndeleted > 4) {
			int victim = -1, seen = 0;

			for (int k = 0; k < nsnaps && victim < 0; k++) {
				if (snaps[k].deleted_ev >= 0)
					continue;
				if (seen++ == (r % 3 == 2 ? 1 : 0))
					victim = k;
			}
			pthread_mutex_lock(&mtx);
			snaps[victim].delstart_ev = event_locked(EV_DELSTART, victim, NULL, 0, -1);
			pthread_mutex_unlock(&mtx);
			if (run(out, sizeof(out), "vssctl snapshot delete %s", snaps[victim].id))
				die("snapshot delete: %s", out);
			pthread_mutex_lock(&mtx);
			snaps[victim].deleted_ev = event_locked(EV_DEL, victim, NULL, 0, -1);
			pthread_mutex_unlock(&mtx);
			ndeleted++;
		}
	}
	pthread_mutex_lock(&mtx);
	stop_req = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mtx);
	for (int i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	run(out, sizeof(out), "dmsetup status lwc");
	if (strstr(out, "logging_disabled"))
		die("dm-log-writes ran out of log space or failed: %s", out);
	printf("# workload: %d writes, %d acknowledgements, %d snapshots (%d deleted); log %s",
	       nseq, nevents, nsnaps, ndeleted, out);
	if (run(out, sizeof(out), "vssctl lun remove c"))
		die("lun remove: %s", out);
	if (run(out, sizeof(out), "dmsetup remove lwc-lun") || run(out, sizeof(out), "dmsetup remove lwc-store") ||
	    run(out, sizeof(out), "dmsetup remove lwc"))
		die("dm remove: %s", out);
}

/* ---------------------------------------------------------------- replay */

struct entry {
	uint64_t sector, nr;	/* 512-byte sectors */
	uint64_t flags;
	uint64_t off;		/* data offset in the log */
	int mark;		/* "a<N>" mark: N, else -1 */
	int cmark;		/* "c<N>" mark: N, else -1 */
	int orig;		/* index in the log as recorded */
};

static uint8_t *logbuf;
static size_t loglen;
static struct entry *ents;
static int nents;

static int read_all(const char *dev, uint8_t **bufp, size_t *lenp, size_t want)
{
	int fd = open(dev, O_RDONLY);
	size_t n = 0;

	if (fd < 0)
		return -1;
	*bufp = xzalloc(want);
	while (n < want) {
		ssize_t r = pread(fd, *bufp + n, want - n, n);

		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	*lenp = n;
	return 0;
}

static void parse_log(void)
{
	uint64_t magic, version, nr, pos, end = 0;
	uint32_t ss;
	int fd = open(log_dev, O_RDONLY);
	uint8_t hdr[512];

	if (fd < 0 || pread(fd, hdr, 512, 0) != 512)
		die("read %s", log_dev);
	memcpy(&magic, hdr, 8);
	memcpy(&version, hdr + 8, 8);
	memcpy(&nr, hdr + 16, 8);
	memcpy(&ss, hdr + 24, 4);
	if (magic != LW_MAGIC || version != 1 || ss < 512 || ss % 512)
		die("not a dm-log-writes log (magic %" PRIx64 " version %" PRIu64 ")", magic, version);
	/* first pass over headers only: the log's length */
	ents = calloc(nr + 1, sizeof(*ents));
	pos = ss;
	for (uint64_t i = 0; i < nr; i++) {
		uint8_t e[512];
		uint64_t sec, n, fl, dl;
		struct entry *x = &ents[nents];

		if (pread(fd, e, 512, pos) != 512)
			die("log entry %" PRIu64 " unreadable", i);
		memcpy(&sec, e, 8);
		memcpy(&n, e + 8, 8);
		memcpy(&fl, e + 16, 8);
		memcpy(&dl, e + 24, 8);
		x->sector = sec * (ss / 512);
		x->nr = n * (ss / 512);
		x->flags = fl;
		x->off = pos + ss;
		x->mark = -1;
		x->cmark = -1;
		x->orig = nents;
		if (fl & LW_MARK) {
			char m[64];

			if (dl >= sizeof(m) || dl > ss - 32)
				dl = 0;
			memcpy(m, e + 32, dl);
			m[dl] = 0;
			if (m[0] == 'a')
				x->mark = atoi(m + 1);
			else if (m[0] == 'c')
				x->cmark = atoi(m + 1);
			x->nr = 0;
			pos += ss;
		} else {
			pos += ss + ((fl & LW_DISCARD) ? 0 : n * ss);
		}
		if (x->sector + x->nr > TOTAL_SECT && !(fl & LW_MARK))
			die("log entry %" PRIu64 " beyond the device (%" PRIu64 "+%" PRIu64 ")", i, x->sector, x->nr);
		end = pos;
		nents++;
	}
	close(fd);
	if (read_all(log_dev, &logbuf, &loglen, end) || loglen < end)
		die("read log");
}

/*
 * Move every fdatasync'd write that dm-log-writes logged after the mark of
 * its own acknowledgement to just before that mark, when a flush was
 * logged between the writer's "c<N>" mark and the acknowledgement (see
 * "Durability rule" above).  Prints what it moved and what it could not.
 */
static void reorder_late_writes(void)
{
	int *seq_ent, *apos, *cpos, *dest, moved = 0, unproven = 0, k = 0;
	struct entry *old;

	seq_ent = malloc((nseq + 1) * sizeof(int));
	apos = malloc((nevents + 1) * sizeof(int));
	cpos = malloc((ncmarks + 1) * sizeof(int));
	dest = malloc((nents + 1) * sizeof(int));
	old = malloc((nents + 1) * sizeof(*old));
	if (!seq_ent || !apos || !cpos || !dest || !old)
		die("out of memory");
	for (int i = 0; i <= nseq; i++)
		seq_ent[i] = -1;
	for (int i = 0; i <= nevents; i++)
		apos[i] = -1;
	for (int i = 0; i <= ncmarks; i++)
		cpos[i] = -1;
	/* where each LUN write is logged: one stamped 4 KiB block a write */
	for (int i = 0; i < nents; i++) {
		struct entry *e = &ents[i];

		dest[i] = -1;
		if (e->mark >= 0 && e->mark < nevents)
			apos[e->mark] = i;
		if (e->cmark >= 0 && e->cmark < ncmarks)
			cpos[e->cmark] = i;
		if (e->flags & (LW_MARK | LW_DISCARD))
			continue;
		for (uint64_t s = (e->sector + 7) & ~7ULL;
		     s + 8 <= e->sector + e->nr && s + 8 <= LUN_SECT; s += 8) {
			const uint8_t *d = logbuf + e->off + (s - e->sector) * 512;
			uint64_t seq;

			memcpy(&seq, d + 16, 8);
			/*
			 * the first entry: a revert's copy writes an old
			 * stamp again, later (never moved: not a writer's)
			 */
			if (seq && seq <= (uint64_t)nseq && seq_ent[seq] < 0 &&
			    unstamp(d, s / 8) == (int64_t)seq)
				seq_ent[seq] = i;
		}
	}
	for (int ev = 0; ev < nevents; ev++) {
		struct event *v = &events[ev];
		int a = apos[ev], c = v->cmark >= 0 ? cpos[v->cmark] : -1;

		if (v->type != EV_ACKW || a < 0 || c < 0)
			continue;
		for (int j = 0; j < v->count; j++) {
			int32_t seq = ack_seqs[v->first + j];
			int w = seq_ent[seq], f = -1;

			if (w <= a)
				continue;
			for (int i = c + 1; i < a && f < 0; i++)
				if (ents[i].flags & LW_FLUSH)
					f = i;
			if (f < 0) {
				unproven++;
				printf("# write seq %d logged at entry %d after its acknowledgement a%d at entry %d, no flush logged since c%d at entry %d: left in place\n",
				       seq, w, ev, a, v->cmark, c);
				continue;
			}
			dest[w] = a;
			if (++moved <= 5) {
				int by = w;

				while (by < nents && !(ents[by].flags & LW_FLUSH))
					by++;
				printf("# write seq %d logged at entry %d (with flush entry %d) after its acknowledgement a%d at entry %d; flush entry %d (after c%d at entry %d) made it durable: moved before the acknowledgement\n",
				       seq, w, by, ev, a, f, v->cmark, c);
			}
		}
	}
	printf("# late writes: %d fdatasync'd writes logged after their acknowledgement moved before it, %d without a covering flush left in place\n",
	       moved, unproven);
	if (moved) {
		/* stable: the moved writes, in log order, right before their mark */
		memcpy(old, ents, nents * sizeof(*old));
		for (int i = 0; i < nents; i++) {
			if (old[i].mark >= 0)
				for (int j = i + 1; j < nents; j++)
					if (dest[j] == i)
						ents[k++] = old[j];
			if (dest[i] < 0)
				ents[k++] = old[i];
		}
		if (k != nents)
			die("reordering lost entries (%d of %d)", k, nents);
	}
	free(seq_ent);
	free(apos);
	free(cpos);
	free(dest);
	free(old);
}

static int32_t have[TOTAL_SECT], want[TOTAL_SECT];

/* Make SCRATCH hold the entries marked in @inc; by difference. */
static void apply_state(const uint8_t *inc)
{
	static uint8_t *buf;
	const size_t max = 1 << 20;
	int fd = open(scratch_dev, O_WRONLY | O_DIRECT);

	if (fd < 0)
		die("open %s", scratch_dev);
	if (!buf)
		buf = xzalloc(max);
	for (uint64_t s = 0; s < TOTAL_SECT; s++)
		want[s] = -1;
	for (int i = 0; i < nents; i++) {
		struct entry *e = &ents[i];

		if (!inc[i] || !e->nr || (e->flags & LW_MARK))
			continue;
		for (uint64_t s = 0; s < e->nr; s++)
			want[e->sector + s] = (e->flags & LW_DISCARD) ? -1 : i;
	}
	for (uint64_t s = 0; s < TOTAL_SECT;) {
		uint64_t start, n = 0;

		if (want[s] == have[s]) {
			s++;
			continue;
		}
		start = s;
		while (s < TOTAL_SECT && want[s] != have[s] && n * 512 < max) {
			uint8_t *d = buf + n * 512;

			if (want[s] < 0) {
				memset(d, 0, 512);
			} else {
				struct entry *e = &ents[want[s]];

				memcpy(d, logbuf + e->off + (s - e->sector) * 512, 512);
			}
			have[s] = want[s];
			s++;
			n++;
		}
		if (pwrite(fd, buf, n * 512, start * 512) != (ssize_t)(n * 512))
			die("write %s: %s", scratch_dev, strerror(errno));
	}
	close(fd);
}

/* ----------------------------------------------------------------- check */

static int read_dev(const char *path, uint8_t *buf)
{
	int fd = open(path, O_RDONLY | O_DIRECT);
	size_t n = 0;

	if (fd < 0)
		return -1;
	while (n < NBLK * BS) {
		ssize_t r = pread(fd, buf + n, NBLK * BS - n, n);

		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	return n == NBLK * BS ? 0 : -1;
}

static char why[2048];

static void because(const char *fmt, ...)
{
	size_t l = strlen(why);
	va_list ap;

	if (l > sizeof(why) - 200)
		return;
	va_start(ap, fmt);
	vsnprintf(why + l, sizeof(why) - l, fmt, ap);
	va_end(ap);
}

static int32_t acked[NBLK], newest[NBLK];

/* Log entry holding the write of @seq to LUN block @b, or -1. */
static int find_write(uint64_t b, int32_t seq)
{
	for (int i = 0; i < nents; i++) {
		struct entry *e = &ents[i];
		uint64_t s = b * 8, v;

		if ((e->flags & (LW_MARK | LW_DISCARD)) || s < e->sector || s + 8 > e->sector + e->nr)
			continue;
		memcpy(&v, logbuf + e->off + (s - e->sector) * 512 + 16, 8);
		if (v == (uint64_t)seq)
			return i;
	}
	return -1;
}

static int ack_event(int32_t seq)
{
	for (int e = 0; e < nevents; e++)
		for (int k = 0; k < events[e].count; k++)
			if (ack_seqs[events[e].first + k] == seq)
				return e;
	return -1;
}

static void block_history(uint64_t b);

/*
 * Blocks of the LUN image @buf that break the rule of @mode: -1 no
 * revert (every block a valid stamp no older than the newest write to it
 * acknowledged), k: revert k was acknowledged (writes before it count
 * only through its target's content).  The first bad block is described
 * when @say.
 */
static int lun_bad(const uint8_t *buf, int mode, int nmarks, int say)
{
	static int32_t ack_after[NBLK];
	int lost = 0, torn = 0, alien = 0;
	const struct revert *rv = mode >= 0 ? &reverts[mode] : NULL;
	const int32_t *base = rv ? snaps[rv->target].model : NULL;
	int32_t after = rv ? rv->last_seq : 0;
	uint64_t first = 0;

	if (rv) {
		memset(ack_after, 0, sizeof(ack_after));
		for (int e = 0; e < nmarks; e++)
			for (int k = 0; k < events[e].count; k++) {
				int32_t s = ack_seqs[events[e].first + k];

				if (s > after && s > ack_after[seq_block[s]])
					ack_after[seq_block[s]] = s;
			}
	}
	for (uint64_t b = 0; b < NBLK; b++) {
		int64_t s = unstamp(buf + b * BS, b);
		int32_t a = rv ? ack_after[b] : acked[b];

		if (rv && !a) {
			/* the target's block, or a later write in flight */
			if (s == base[b] || (s > after && s <= nseq && seq_block[s] == (int32_t)b) ||
			    (s < 0 && newest[b] > after))
				continue;
			if (s < 0)
				torn++;
			else if (s > nseq || (s > 0 && seq_block[s] != (int32_t)b))
				alien++;
			else
				lost++;
		} else if (s < 0) {
			/* torn only where an unacknowledged write was in flight */
			if (newest[b] > a)
				continue;
			torn++;
		} else if (s > 0 && (s > nseq || seq_block[s] != (int32_t)b)) {
			alien++;
		} else if (s < a) {
			lost++;
		} else {
			continue;
		}
		if (say && !first++) {
			int we = find_write(b, a), ae = ack_event(a);

			if (rv) {
				because("[after revert %d to snapshot %d] ", mode, snaps[rv->target].vss_seq);
				block_history(b);
			}
			because("LUN block %" PRIu64 " holds seq %" PRId64 ", acknowledged %d%s%d (%s write, logged at entry %d flags %#" PRIx64 ", its acknowledgement a%d at entry %d); ",
				b, s, a, rv ? ", target's " : "", rv ? base[b] : 0,
				a && seq_fua[a] ? "RWF_DSYNC" : "fdatasync'd",
				we >= 0 ? ents[we].orig : -1, we >= 0 ? ents[we].flags : 0, ae,
				ae >= 0 ? ents[mark_pos[ae]].orig : -1);
		}
	}
	if ((lost || torn || alien) && say)
		because("LUN: %d acknowledged writes lost, %d invalid, %d foreign blocks; ", lost, torn, alien);
	return lost + torn + alien;
}

/* revert mode: states whose re-add resumed a running revert */
static int resumed_running;
/* the state being checked: entries kept, and its cut (flush entry) */
static const uint8_t *state_inc;
static int state_cut;

/*
 * Revert mode, a failing block: every log entry that wrote @b, where it
 * is against the cut, whether the state holds it, and the flush entry
 * it was logged with (dm-log-writes logs a cached write with the first
 * flush mapped after it completed).
 */
static void block_history(uint64_t b)
{
	int shown = 0;

	for (int i = 0; i < nents && shown < 12; i++) {
		struct entry *e = &ents[i];
		uint64_t sct = b * 8, v;
		int f = i;

		if ((e->flags & (LW_MARK | LW_DISCARD)) || sct < e->sector || sct + 8 > e->sector + e->nr)
			continue;
		memcpy(&v, logbuf + e->off + (sct - e->sector) * 512 + 16, 8);
		while (f < nents && !(ents[f].flags & (LW_FLUSH | LW_FUA)))
			f++;
		printf("# block %" PRIu64 ": entry %d (%s cut %d, %s) seq %" PRIu64 " %" PRIu64 " sectors flags %#" PRIx64 ", logged with entry %d\n",
		       b, e->orig, i < state_cut ? "before" : "after", ents[state_cut].orig,
		       state_inc && state_inc[i] ? "kept" : "not kept", v, e->nr, e->flags,
		       f < nents ? ents[f].orig : -1);
		shown++;
	}
}

/* Check one replayed state; marks [0, nmarks) were acknowledged before the cut. */
static int check_state(int nmarks, int *nsnap_seen)
{
	static uint8_t *buf;
	char out[8192], *line, *save;
	int exists[MAXSNAP] = { 0 };
	int bad = 0, rc;

	why[0] = 0;
	*nsnap_seen = 0;
	if (!buf)
		buf = xzalloc(NBLK * BS);
	memset(acked, 0, sizeof(acked));
	memset(newest, 0, sizeof(newest));
	for (int s = 1; s <= nseq; s++)
		newest[seq_block[s]] = s;
	for (int e = 0; e < nmarks; e++)
		for (int k = 0; k < events[e].count; k++) {
			int32_t s = ack_seqs[events[e].first + k];

			if (s > acked[seq_block[s]])
				acked[seq_block[s]] = s;
		}

	if (run(out, sizeof(out), "dmsetup create --noudevsync lwr --table '0 %llu snapshot %s %s N 8'",
		TOTAL_SECT, scratch_dev, cow_dev) || run(out, sizeof(out), "dmsetup mknodes lwr") ||
	    run(out, sizeof(out), "dmsetup create --noudevsync lwr-lun --table '0 %llu linear /dev/mapper/lwr 0'", LUN_SECT) ||
	    run(out, sizeof(out), "dmsetup create --noudevsync lwr-store --table '0 %llu linear /dev/mapper/lwr %llu'",
		STORE_SECT, LUN_SECT) ||
	    run(out, sizeof(out), "dmsetup mknodes lwr-lun") || run(out, sizeof(out), "dmsetup mknodes lwr-store"))
		die("dm setup of the replayed state: %s", out);
	rc = run(out, sizeof(out), "vssctl lun add /dev/mapper/lwr-lun --store /dev/mapper/lwr-store --name c --chunk-size 4K");
	if (rc) {
		char *nl = strchr(out, '\n');

		if (nl)
			*nl = 0;
		because("store refused: %s", out);
		bad = 1;
		goto out;
	}
	wait_dev("/dev/vss-c");
	if (revert_mode) {
		/* the revert the store holds resumes: it must be one we made */
		char rs[4096];

		if (run(rs, sizeof(rs), "vssctl -j resync list")) {
			because("resync list failed: %.200s; ", rs);
			bad = 1;
		} else if (strstr(rs, "\"running\"")) {
			resumed_running++;
		} else if (strstr(rs, "\"failed\"") || strstr(rs, "\"cancelled\"")) {
			because("revert came back %.200s; ", rs);
			bad = 1;
		}
	}
	if (read_dev("/dev/vss-c", buf)) {
		because("LUN unreadable; ");
		bad = 1;
	} else {
		/* the last revert sent before the cut, and whether it returned */
		int mode = -1, sent = 0;

		for (int k = 0; k < nreverts; k++)
			if (reverts[k].start_ev < nmarks) {
				mode = k;
				sent = !(reverts[k].ack_ev >= 0 && reverts[k].ack_ev < nmarks);
			}
		if (!sent) {
			if (lun_bad(buf, mode, nmarks, 1))
				bad = 1;
		} else if (lun_bad(buf, mode, nmarks, 0) && lun_bad(buf, mode - 1, nmarks, 0)) {
			/* neither all reverted nor all as before: say both */
			lun_bad(buf, mode, nmarks, 1);
			because("[or, before that revert:] ");
			lun_bad(buf, mode - 1, nmarks, 1);
			bad = 1;
		}
	}
	if (run(out, sizeof(out), "vssctl snapshot list --lun c")) {
		because("snapshot list failed: %.200s; ", out);
		bad = 1;
		goto remove;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[64] = "", dev[128] = "", state[32] = "";
		int vseq = -1, n, idx = -1;
		char *p = line, *w;

		/* "ID set SID lun NAME device DEV seq N created T state S cow_bytes N" */
		n = sscanf(p, "%63s", id);
		if (n != 1)
			continue;
		for (w = strtok(p, " "); w; w = strtok(NULL, " ")) {
			if (!strcmp(w, "device") && (w = strtok(NULL, " ")))
				snprintf(dev, sizeof(dev), "%s", w);
			else if (!strcmp(w, "seq") && (w = strtok(NULL, " ")))
				vseq = atoi(w);
			else if (!strcmp(w, "state") && (w = strtok(NULL, " ")))
				snprintf(state, sizeof(state), "%s", w);
			if (!w)
				break;
		}
		(*nsnap_seen)++;
		for (int k = 0; k < nsnaps; k++)
			if (snaps[k].vss_seq == vseq)
				idx = k;
		if (idx < 0) {
			because("unknown snapshot seq %d; ", vseq);
			bad = 1;
			continue;
		}
		exists[idx] = 1;
		if (snaps[idx].deleted_ev >= 0 && snaps[idx].deleted_ev < nmarks) {
			because("snapshot %d is back after its delete was acknowledged; ", vseq);
			bad = 1;
		}
		if (strcmp(state, "ready") || !dev[0]) {
			because("snapshot %d state %s device %s; ", vseq, state, dev[0] ? dev : "none");
			bad = 1;
			continue;
		}
		wait_dev(dev);
		if (read_dev(dev, buf)) {
			because("snapshot %d unreadable; ", vseq);
			bad = 1;
			continue;
		}
		int wrong = 0;
		for (uint64_t b = 0; b < NBLK; b++) {
			int64_t s = unstamp(buf + b * BS, b);

			if (s != snaps[idx].model[b]) {
				if (!wrong++)
					because("snapshot %d block %" PRIu64 " holds %" PRId64 ", expected %d; ",
						vseq, b, s, snaps[idx].model[b]);
			}
		}
		if (wrong) {
			because("snapshot %d: %d blocks differ from its point in time; ", vseq, wrong);
			bad = 1;
		}
	}
	for (int k = 0; k < nsnaps; k++) {
		if (exists[k])
			continue;
		/* a delete sent before the cut may have happened */
		if (snaps[k].created_ev >= 0 && snaps[k].created_ev < nmarks &&
		    (snaps[k].delstart_ev < 0 || snaps[k].delstart_ev >= nmarks)) {
			because("snapshot %d (create acknowledged: a%d at entry %d) missing; ", snaps[k].vss_seq,
				snaps[k].created_ev, ents[mark_pos[snaps[k].created_ev]].orig);
			bad = 1;
		}
	}
remove:
	if (run(out, sizeof(out), "vssctl lun remove c"))
		die("lun remove (replayed state): %s", out);
out:
	if (run(out, sizeof(out), "dmsetup remove lwr-lun lwr-store lwr"))
		die("dm remove of the replayed state: %s", out);
	return bad;
}

static void replay(void)
{
	int *cuts, ncuts = 0, ready = -1, pass = 0, fail = 0;
	uint8_t *inc = calloc(nents + 1, 1);
	uint64_t rng = seed * 0xd1b54a32d192ed03ULL + 17;
	int nflush = 0, nfua = 0, nwr = 0;

	cuts = calloc(nents + 1, sizeof(*cuts));
	mark_pos = calloc(nevents + 1, sizeof(*mark_pos));
	for (int i = 0; i < nents; i++)
		if (ents[i].mark >= 0 && ents[i].mark < nevents)
			mark_pos[ents[i].mark] = i;
	for (int i = 0; i < nents; i++) {
		struct entry *e = &ents[i];

		if (e->mark == 0)
			ready = i;
		if (e->flags & LW_FLUSH)
			nflush++;
		if (e->flags & LW_FUA)
			nfua++;
		if (e->nr && !(e->flags & LW_MARK))
			nwr++;
		if (ready >= 0 && i > ready && (e->flags & LW_FLUSH) &&
		    (!revert_mode || (nreverts && i > mark_pos[reverts[0].start_ev])))
			cuts[ncuts++] = i;
	}
	printf("# log: %d entries, %d writes, %d flushes, %d FUA, %d cut points after the LUN was added\n",
	       nents, nwr, nflush, nfua, ncuts);
	if (ready < 0 || !ncuts)
		die("no cut points in the log");
	printf("1..%d\n", nstates);
	fflush(stdout);
	for (int st = 0; st < nstates; st++) {
		/* spread the states over the log, in log order */
		int c;

		if (ncuts <= nstates)
			c = cuts[st % ncuts];
		else
			c = cuts[(st * (uint64_t)ncuts / nstates + mix(&rng) % (ncuts / nstates)) % ncuts];
		int g = c, ngroup, nin = 0, nmarks = 0, nseen;
		uint64_t sub = seed * 1000003 + st;

		while (g > 0 && ents[g - 1].nr && !(ents[g - 1].flags & (LW_FLUSH | LW_FUA | LW_MARK)))
			g--;
		ngroup = c - g;
		for (int i = 0; i < nents; i++) {
			inc[i] = i < g;
			if (i < g && ents[i].mark >= 0 && ents[i].mark + 1 > nmarks)
				nmarks = ents[i].mark + 1;
		}
		/* a seeded subset of the cached writes; at times none or all */
		int mode = mix(&sub) % 8;
		for (int i = g; i < c; i++) {
			inc[i] = mode == 0 ? 0 : mode == 1 ? 1 : mix(&sub) >> 63;
			nin += inc[i];
		}
		apply_state(inc);
		state_inc = inc;
		state_cut = c;
		if (check_state(nmarks, &nseen)) {
			fail++;
			/* the cached writes of the cut, for the record */
			for (int i = g; i < c; i++)
				printf("# state %d: cached entry %d sector %" PRIu64 "+%" PRIu64 " flags %#" PRIx64 " %s\n", st,
				       ents[i].orig, ents[i].sector, ents[i].nr, ents[i].flags, inc[i] ? "kept" : "lost");
			printf("not ok %d - state %d (seed %" PRIu64 "): cut at flush entry %d, %d of %d cached writes, %d acknowledgements: %s\n",
			       st + 1, st, seed, ents[c].orig, nin, ngroup, nmarks, why);
		} else {
			pass++;
			printf("ok %d - state %d: cut at flush entry %d, %d of %d cached writes, %d acknowledgements, %d snapshots exact\n",
			       st + 1, st, ents[c].orig, nin, ngroup, nmarks, nseen);
		}
		fflush(stdout);
	}
	if (revert_mode)
		printf("# revert mode: %d of %d states came back with a revert running (resumed at re-add)\n",
		       resumed_running, nstates);
	printf("lwcrash: %d passed, %d failed, 0 skipped\n", pass, fail);
	fflush(stdout);
	exit(fail ? 1 : 0);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: lwcrash run --states N --seed S [--threads T] [--rounds R] [--writes W]\n"
			"       [--revert 0|1] [--base DEV] [--log DEV] [--scratch DEV] [--cow DEV]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (!strcmp(o, "--states"))
			nstates = atoi(v);
		else if (!strcmp(o, "--seed"))
			seed = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--threads"))
			nthreads = atoi(v);
		else if (!strcmp(o, "--rounds"))
			nrounds = atoi(v);
		else if (!strcmp(o, "--writes"))
			round_writes = atoi(v);
		else if (!strcmp(o, "--revert"))
			revert_mode = atoi(v);
		else if (!strcmp(o, "--base"))
			base_dev = v;
		else if (!strcmp(o, "--log"))
			log_dev = v;
		else if (!strcmp(o, "--scratch"))
			scratch_dev = v;
		else if (!strcmp(o, "--cow"))
			cow_dev = v;
		else
			die("unknown option %s", o);
	}
	if (nthreads < 1 || nthreads > MAXT || nstates < 1 || nrounds < 1)
		die("bad arguments");
	seq_block = calloc(MAXSEQ, sizeof(*seq_block));
	seq_fua = calloc(MAXSEQ, 1);
	workload();
	parse_log();
	reorder_late_writes();
	for (uint64_t s = 0; s < TOTAL_SECT; s++)
		have[s] = -1;	/* SCRATCH starts zeroed */
	replay();
	return 0;
}
