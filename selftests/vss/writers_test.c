// SPDX-License-Identifier: GPL-2.0
/*
 * Writers through libvssctl against the real module.  Each writer is a
 * child process using the writer API (vss_writer_new/next_event/reply)
 * that logs every event it gets, with a CLOCK_MONOTONIC time, to a file
 * shared by all writers of the test, and answers as its script says:
 * success, a veto (hrWriter, hrApplication, message), or nothing.
 *  - a veto in each phase gives FAILED_AT_<phase> with the writer's codes
 *    and message through GetWriterStatusEx, and no snapshot is left;
 *  - a writer that does not answer gets VSS_E_WRITER_NOT_RESPONDING;
 *  - a writer whose Freeze->Thaw window passes while I/O is held and ext4
 *    is frozen: the kernel thaws and releases within window + 1 s, the
 *    writer gets VSS_E_WRITERERROR_TIMEOUT (the figure is printed);
 *  - a writer SIGKILLed while frozen, a requester SIGKILLed while writers
 *    are frozen: everything released within the bound;
 *  - three writers freeze in registration order and thaw in reverse; a
 *    veto of the second's Freeze sends Abort to the first only;
 *  - a writer with only some of its LUNs in the set is left out with
 *    VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT;
 *  - the GetWriterStatusEx error contract, the Identify metadata document,
 *    writer list, writer filters and --no-writers;
 *  - SetContext: an auto-release set (the default context) is deleted
 *    when its requester is killed or frees its object, a persistent one
 *    stays;
 *  - set-do is asynchronous: its handler answers before a slow writer has
 *    answered Freeze, the session can be queried meanwhile (on the same
 *    socket), and the outcome comes as set-done-ntf;
 *  - in a restore object GatherWriterStatus, GetWriterStatusCount and
 *    GetWriterStatusEx give VSS_E_BAD_STATE, before and after RecoverSet;
 *    RecoverSet sends PreRestore, and PostRestore (with the outcome of
 *    vss_writer_get_restore_outcome()) follows the revert; writer list
 *    shows the writer's restore status.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vssctl.h>

#include "kselftest_harness.h"
#include "set_util.h"

#define NLUNS 2
#define MAXW 4

static const char *const luns[NLUNS] = { "lw0", "lw1" };

enum act { ACT_OK, ACT_VETO, ACT_SILENT, ACT_NONFATAL };

/* What one writer does. */
struct wspec {
	const char *name;
	int nluns;			/* its LUNs: the first nluns of luns[] */
	const char *only_lun;		/* or just this one */
	uint32_t event_timeout_ms;
	uint32_t freeze_timeout_ms;
	enum act act[VSS_WRITER_EVENT_POST_RESTORE + 1];
	uint32_t hr, app;
	const char *msg;
	const char *metadata;
	const vss_id_t *class_id;
};

static char logpath[64];

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int knob(const char *name, const char *val)
{
	char path[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/sys/module/vss/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	rc = fputs(val, f) < 0 ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	return rc;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void wlog(const char *name, const char *what)
{
	char line[160];
	int fd, n;

	n = snprintf(line, sizeof(line), "%s %s %lld\n", name, what, now_ms());
	fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		if (write(fd, line, n) != n)
			n = -1;
		close(fd);
	}
}

/* The writer process: never returns. */
static void writer_main(const struct wspec *sp, int ready_fd)
{
	struct vss_writer_params p = { 0 };
	struct vss_writer_event_info ev;
	struct vss_writer *w;
	struct vss_ctx *ctx;
	const char *names[NLUNS];
	vss_id_t id;
	int n = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (sp->only_lun) {
		names[n++] = sp->only_lun;
	} else {
		for (n = 0; n < sp->nluns; n++)
			names[n] = luns[n];
	}
	p.name = sp->name;
	p.luns = names;
	p.nr_luns = n;
	p.class_id = sp->class_id;
	p.event_timeout_ms = sp->event_timeout_ms;
	p.freeze_timeout_ms = sp->freeze_timeout_ms;
	if (vss_ctx_new(&ctx) || vss_writer_new(ctx, &p, &w)) {
		fprintf(stderr, "writer %s: %s\n", sp->name,
			vss_ctx_last_error_msg(ctx));
		_exit(1);
	}
	if (sp->metadata)
		vss_writer_set_metadata(w, sp->metadata, strlen(sp->metadata));
	vss_writer_get_instance_id(w, &id);
	if (write(ready_fd, &id, sizeof(id)) != sizeof(id))
		_exit(1);
	close(ready_fd);
	for (;;) {
		struct vss_writer_failure f = { 0 };
		enum act a;

		if (vss_writer_next_event(w, &ev, -1))
			continue;
		if (ev.type == VSS_WRITER_EVENT_POST_RESTORE) {
			char what[48] = "post-restore:none";
			uint32_t rs;
			int err;

			if (!vss_writer_get_restore_outcome(w, &ev, &rs, &err))
				snprintf(what, sizeof(what), "post-restore:%s:%d",
					 vss_resync_state_name(rs), err);
			wlog(sp->name, what);
		} else {
			wlog(sp->name, vss_writer_event_name(ev.type));
		}
		if (ev.type == VSS_WRITER_EVENT_ABORT ||
		    ev.type == VSS_WRITER_EVENT_BACKUP_SHUTDOWN)
			continue;
		a = sp->act[ev.type];
		if (a == ACT_SILENT)
			continue;
		if (a == ACT_VETO || a == ACT_NONFATAL) {
			f.hr_writer = sp->hr;
			f.hr_application = sp->app;
			snprintf(f.message, sizeof(f.message), "%s", sp->msg);
			f.non_fatal = a == ACT_NONFATAL;
		}
		vss_writer_reply(w, &ev, a == ACT_OK ? NULL : &f);
	}
}

FIXTURE(wr)
{
	struct vss_ctx *ctx;
	pid_t pid[MAXW];
	vss_id_t id[MAXW];
	int nw;
};

/* Start a writer; its instance id goes to self->id[]. */
static int start_writer(struct _test_data_wr *self, const struct wspec *sp)
{
	int fds[2];
	pid_t pid;

	if (self->nw == MAXW || pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(fds[0]);
		writer_main(sp, fds[1]);
	}
	close(fds[1]);
	self->pid[self->nw] = pid;
	if (read(fds[0], &self->id[self->nw], sizeof(vss_id_t)) !=
	    sizeof(vss_id_t)) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	self->nw++;
	return 0;
}

FIXTURE_SETUP(wr)
{
	char why[256];

	self->ctx = NULL;
	self->nw = 0;
	snprintf(logpath, sizeof(logpath), "/tmp/writers.%d.log", getpid());
	unlink(logpath);
	ASSERT_EQ(0, su_lib_luns_up(&self->ctx, luns, NLUNS, 32, why,
				    sizeof(why)))
		TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(wr)
{
	for (int i = 0; i < self->nw; i++) {
		kill(self->pid[i], SIGKILL);
		waitpid(self->pid[i], NULL, 0);
	}
	if (!self->ctx)
		return;
	knob("test_hold_delay_ms", "0");
	sh("umount /mnt/wr 2>/dev/null");
	su_lib_luns_down(self->ctx, luns, NLUNS);
	vss_ctx_unref(self->ctx);
	unlink(logpath);
}

/* Wait for an async operation: its HRESULT (VSS_S_ASYNC_FINISHED on success). */
static uint32_t finish(struct vss_async *a)
{
	uint32_t hr = 0;
	int res;

	vss_async_wait(a, -1);
	vss_async_query_status(a, &hr, &res);
	vss_async_free(a);
	return hr;
}

/* Backup object with a set of @n LUNs started and the LUNs added. */
static struct vss_backup *new_set(struct vss_ctx *ctx, int n)
{
	struct vss_backup *b;

	if (vss_backup_new(ctx, &b))
		return NULL;
	/* persistent: the snapshots outlive the object */
	if (vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK)) {
		vss_backup_free(b);
		return NULL;
	}
	if (vss_backup_start_snapshot_set(b, NULL))
		goto out_free;
	for (int i = 0; i < n; i++)
		if (vss_backup_add_to_snapshot_set(b, luns[i], NULL))
			goto out_free;
	return b;
out_free:
	vss_backup_free(b);
	return NULL;
}

/* GatherWriterStatus; the statuses (NULL on failure). */
static struct vss_writer_status *gather(struct vss_backup *b, size_t *nr)
{
	struct vss_writer_status *st = NULL;
	struct vss_async *a;

	if (vss_backup_gather_writer_status(b, &a))
		return NULL;
	if (finish(a) != VSS_S_ASYNC_FINISHED)
		return NULL;
	if (vss_backup_get_writer_statuses(b, &st, nr))
		return NULL;
	return st;
}

/* Index of the writer named @name in @st, or -1. */
static int find_st(const struct vss_writer_status *st, size_t nr,
		   const char *name)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(st[i].name, name))
			return (int)i;
	return -1;
}

/* The log as "name event" lines, in order, without the times. */
static int read_log(char lines[][64], long long *t, int max)
{
	char name[32], ev[32];
	long long ms;
	FILE *f = fopen(logpath, "r");
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fscanf(f, "%31s %31s %lld", name, ev, &ms) == 3) {
		snprintf(lines[n], 64, "%s %s", name, ev);
		if (t)
			t[n] = ms;
		n++;
	}
	fclose(f);
	return n;
}

/* Time (ms) of the first "@name @ev" line, waiting up to @wait_ms; -1. */
static long long log_time(const char *name, const char *ev, int wait_ms)
{
	char want[64], lines[64][64];
	long long t[64], end = now_ms() + wait_ms;
	int n;

	snprintf(want, sizeof(want), "%s %s", name, ev);
	do {
		n = read_log(lines, t, 64);
		for (int i = 0; i < n; i++)
			if (!strcmp(lines[i], want))
				return t[i];
		usleep(10000);
	} while (now_ms() < end);
	return -1;
}

/*
 * Wait until a session holds I/O (its set is processing-commit), at most
 * @ms.  Under TCG on a loaded host a fixed sleep is not enough.
 */
static bool wait_held(struct vss_ctx *ctx, int ms)
{
	long long end = now_ms() + ms;
	struct vss_session_info *ss;
	bool held = false;
	size_t nr;

	do {
		if (vss_session_list(ctx, &ss, &nr) == 0) {
			for (size_t i = 0; i < nr; i++)
				held |= ss[i].has_set && ss[i].set_state ==
					VSS_SET_STATE_PROCESSING_COMMIT;
			free(ss);
		}
		if (!held)
			usleep(5000);
	} while (!held && now_ms() < end);
	return held;
}

static int snapshot_count(struct vss_ctx *ctx)
{
	struct vss_snapshot_info *snaps;
	size_t nr;

	if (vss_snapshot_list(ctx, NULL, NULL, &snaps, &nr))
		return -1;
	free(snaps);
	return (int)nr;
}

/* A 4 KiB O_DIRECT write to @dev at @off; its end time in *@done_ms. */
struct bgw {
	const char *path;
	off_t off;
	bool file;		/* a file: write + fsync */
	long long done_ms;
	int rc;
	pthread_t t;
};

static void *bgw_fn(void *arg)
{
	struct bgw *w = arg;
	void *buf;
	int fd;

	w->rc = -1;
	if (posix_memalign(&buf, 4096, 4096))
		return NULL;
	memset(buf, 0x5a, 4096);
	fd = open(w->path, w->file ? O_WRONLY | O_CREAT : O_WRONLY | O_DIRECT,
		  0644);
	if (fd >= 0 && pwrite(fd, buf, 4096, w->off) == 4096 &&
	    (!w->file || !fsync(fd)))
		w->rc = 0;
	if (fd >= 0)
		close(fd);
	free(buf);
	w->done_ms = now_ms();
	return NULL;
}

/*
 * A veto in each phase: FAILED_AT_<phase>, the writer's codes and message
 * through GetWriterStatusEx, the operation's HRESULT is the writer's, and
 * no snapshot is left (BackupComplete: the snapshots stay, as in VSS).
 */
TEST_F_TIMEOUT(wr, veto_each_phase, 120)
{
	static const struct {
		uint32_t ev, state;
	} ph[] = {
		{ VSS_WRITER_EVENT_IDENTIFY, VSS_WRITER_STATE_FAILED_AT_IDENTIFY },
		{ VSS_WRITER_EVENT_PREPARE_BACKUP,
		  VSS_WRITER_STATE_FAILED_AT_PREPARE_BACKUP },
		{ VSS_WRITER_EVENT_PREPARE_SNAPSHOT,
		  VSS_WRITER_STATE_FAILED_AT_PREPARE_SNAPSHOT },
		{ VSS_WRITER_EVENT_FREEZE, VSS_WRITER_STATE_FAILED_AT_FREEZE },
		{ VSS_WRITER_EVENT_THAW, VSS_WRITER_STATE_FAILED_AT_THAW },
		{ VSS_WRITER_EVENT_POST_SNAPSHOT,
		  VSS_WRITER_STATE_FAILED_AT_POST_SNAPSHOT },
		{ VSS_WRITER_EVENT_BACKUP_COMPLETE,
		  VSS_WRITER_STATE_FAILED_AT_BACKUP_COMPLETE },
	};

	for (size_t k = 0; k < sizeof(ph) / sizeof(ph[0]); k++) {
		struct wspec sp = {
			.name = "vetoer", .nluns = NLUNS,
			.event_timeout_ms = 10000,
			.hr = VSS_E_WRITERERROR_RETRYABLE, .app = 0x1234 + k,
			.msg = "the database said no",
		};
		const char *phase = vss_writer_event_name(ph[k].ev);
		struct vss_writer_status *st;
		vss_id_t inst, cls;
		uint32_t state, hrw, hra, hr;
		struct vss_async *a;
		struct vss_backup *b;
		char *name, *msg;
		size_t nr;
		int i;

		sp.act[ph[k].ev] = ACT_VETO;
		ASSERT_EQ(0, start_writer(self, &sp));
		b = new_set(self->ctx, NLUNS);
		ASSERT_NE(NULL, b);
		ASSERT_EQ(0, vss_backup_gather_writer_metadata(b, &a));
		ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a)) TH_LOG("%s", phase);
		hr = VSS_S_ASYNC_FINISHED;
		if (ph[k].ev != VSS_WRITER_EVENT_IDENTIFY) {
			ASSERT_EQ(0, vss_backup_prepare_for_backup(b, &a));
			hr = finish(a);
		}
		if (hr == VSS_S_ASYNC_FINISHED &&
		    ph[k].ev != VSS_WRITER_EVENT_IDENTIFY) {
			ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
			hr = finish(a);
		}
		if (ph[k].ev == VSS_WRITER_EVENT_BACKUP_COMPLETE) {
			EXPECT_EQ(VSS_S_ASYNC_FINISHED, hr);
			EXPECT_EQ(0, vss_backup_complete(b))
				TH_LOG("%s", vss_ctx_last_error_msg(self->ctx));
		} else if (ph[k].ev != VSS_WRITER_EVENT_IDENTIFY) {
			/* the operation fails with the writer's code */
			EXPECT_EQ(VSS_E_WRITERERROR_RETRYABLE, hr)
				TH_LOG("%s: operation HRESULT 0x%08x", phase, hr);
			EXPECT_EQ(0, snapshot_count(self->ctx)) TH_LOG("%s", phase);
		}
		st = gather(b, &nr);
		ASSERT_NE(NULL, st) TH_LOG("%s: %s", phase,
					   vss_ctx_last_error_msg(self->ctx));
		i = find_st(st, nr, "vetoer");
		ASSERT_LE(0, i);
		free(st);
		ASSERT_EQ(0, vss_backup_get_writer_status_ex(b, i, &inst, &cls,
							     &name, &state, &hrw,
							     &hra, &msg));
		EXPECT_TRUE(vss_id_equal(&inst, &self->id[self->nw - 1]));
		EXPECT_STREQ("vetoer", name);
		EXPECT_EQ(ph[k].state, state)
			TH_LOG("%s: state %s", phase, vss_writer_state_name(state));
		EXPECT_EQ(VSS_E_WRITERERROR_RETRYABLE, hrw);
		EXPECT_EQ(0x1234 + k, hra);
		EXPECT_STREQ("the database said no", msg);
		free(name);
		free(msg);
		vss_backup_free(b);
		kill(self->pid[--self->nw], SIGKILL);
		waitpid(self->pid[self->nw], NULL, 0);
		if (ph[k].ev == VSS_WRITER_EVENT_BACKUP_COMPLETE)
			EXPECT_EQ(NLUNS, snapshot_count(self->ctx));
	}
}

/* A non-fatal failure is recorded, the set is created. */
TEST_F_TIMEOUT(wr, non_fatal, 120)
{
	struct wspec sp = {
		.name = "grumbler", .nluns = NLUNS, .event_timeout_ms = 10000,
		.hr = VSS_E_WRITERERROR_OUTOFRESOURCES, .app = 7,
		.msg = "low on memory, but frozen",
	};
	struct vss_writer_status *st;
	struct vss_async *a;
	struct vss_backup *b;
	size_t nr;

	sp.act[VSS_WRITER_EVENT_FREEZE] = ACT_NONFATAL;
	ASSERT_EQ(0, start_writer(self, &sp));
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	EXPECT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	EXPECT_EQ(NLUNS, snapshot_count(self->ctx));
	st = gather(b, &nr);
	ASSERT_NE(NULL, st);
	ASSERT_EQ((size_t)1, nr);
	/* Thaw and PostSnapshot succeeded after the recorded failure */
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_WAITING_FOR_BACKUP_COMPLETE, st[0].state);
	free(st);
	vss_backup_free(b);
}

/* A writer that never answers: VSS_E_WRITER_NOT_RESPONDING, in time. */
TEST_F_TIMEOUT(wr, not_responding, 120)
{
	static const uint32_t evs[] = { VSS_WRITER_EVENT_PREPARE_SNAPSHOT,
					VSS_WRITER_EVENT_FREEZE };

	for (size_t k = 0; k < 2; k++) {
		struct wspec sp = { .name = "mute", .nluns = NLUNS,
				    .event_timeout_ms = 800 };
		struct vss_writer_status *st;
		struct vss_async *a;
		struct vss_backup *b;
		long long t0, dt;
		uint32_t hr;
		size_t nr;

		sp.act[evs[k]] = ACT_SILENT;
		ASSERT_EQ(0, start_writer(self, &sp));
		b = new_set(self->ctx, NLUNS);
		ASSERT_NE(NULL, b);
		t0 = now_ms();
		ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
		hr = finish(a);
		dt = now_ms() - t0;
		EXPECT_EQ(VSS_E_WRITER_NOT_RESPONDING, hr);
		/* TCG guests' jiffies may run ahead of CLOCK_MONOTONIC */
		EXPECT_LE(400, dt);
		EXPECT_GE(3000, dt) TH_LOG("DoSnapshotSet took %lld ms", dt);
		EXPECT_EQ(0, snapshot_count(self->ctx));
		st = gather(b, &nr);
		ASSERT_NE(NULL, st);
		ASSERT_EQ((size_t)1, nr);
		EXPECT_EQ((uint32_t)(evs[k] == VSS_WRITER_EVENT_FREEZE ?
			  VSS_WRITER_STATE_FAILED_AT_FREEZE :
			  VSS_WRITER_STATE_FAILED_AT_PREPARE_SNAPSHOT),
			  st[0].state);
		EXPECT_EQ(VSS_E_WRITER_NOT_RESPONDING, st[0].hr_writer);
		free(st);
		vss_backup_free(b);
		kill(self->pid[--self->nw], SIGKILL);
		waitpid(self->pid[self->nw], NULL, 0);
	}
}

/*
 * The window passes while I/O is held (test_hold_delay_ms) and ext4 on
 * lw0 is frozen: the kernel's timer ends the hold, thaws ext4 and fails
 * the set with VSS_E_WRITERERROR_TIMEOUT, within window + 1 s of Freeze.
 */
TEST_F_TIMEOUT(wr, window_timeout, 120)
{
	struct wspec sp = { .name = "slowpoke", .nluns = NLUNS,
			    .event_timeout_ms = 30000,
			    .freeze_timeout_ms = 1500 };
	struct bgw raw = { .path = "/dev/vss-lw1", .off = 8192 };
	struct bgw file = { .path = "/mnt/wr/f", .file = true };
	struct vss_writer_status *st;
	long long t_freeze, t_fail;
	struct vss_async *a;
	struct vss_backup *b;
	bool held;
	uint32_t hr;
	size_t nr;

	ASSERT_EQ(0, sh("mkfs.ext4 -q -F /dev/vss-lw0 >/dev/null 2>&1"))
		TH_LOG("cannot make ext4 on /dev/vss-lw0");
	ASSERT_EQ(0, sh("mkdir -p /mnt/wr && mount -t ext4 /dev/vss-lw0 /mnt/wr"))
		TH_LOG("cannot mount ext4 on /dev/vss-lw0");
	ASSERT_EQ(0, start_writer(self, &sp));
	ASSERT_EQ(0, knob("test_hold_delay_ms", "8000"));
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	t_freeze = log_time("slowpoke", "freeze", 10000);
	ASSERT_LT(0, t_freeze);
	/* I/O held and ext4 frozen (unless the window ended first) */
	held = wait_held(self->ctx, 1400);
	pthread_create(&raw.t, NULL, bgw_fn, &raw);
	pthread_create(&file.t, NULL, bgw_fn, &file);
	hr = finish(a);
	t_fail = now_ms();
	pthread_join(raw.t, NULL);
	pthread_join(file.t, NULL);
	EXPECT_EQ(VSS_E_WRITERERROR_TIMEOUT, hr);
	EXPECT_EQ(0, raw.rc);
	EXPECT_EQ(0, file.rc);
	printf("# window 1500 ms: set failed %lld ms after Freeze; LUN write (issued %s) done %lld ms, ext4 write+fsync done %lld ms after Freeze (bound 2500)\n",
	       t_fail - t_freeze, held ? "while held" : "before the hold",
	       raw.done_ms - t_freeze, file.done_ms - t_freeze);
	EXPECT_GE(2500, raw.done_ms - t_freeze);
	EXPECT_GE(2500, file.done_ms - t_freeze);
	EXPECT_GE(2500, t_fail - t_freeze);
	EXPECT_EQ(0, snapshot_count(self->ctx));
	st = gather(b, &nr);
	ASSERT_NE(NULL, st);
	ASSERT_EQ((size_t)1, nr);
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_FAILED_AT_FREEZE, st[0].state);
	EXPECT_EQ(VSS_E_WRITERERROR_TIMEOUT, st[0].hr_writer);
	free(st);
	/* it was frozen: it got Abort */
	EXPECT_LT(0, log_time("slowpoke", "abort", 2000));
	vss_backup_free(b);
}

/* The window passes while the kernel waits for the Thaw reply. */
TEST_F_TIMEOUT(wr, window_timeout_at_thaw, 120)
{
	struct wspec sp = { .name = "nothaw", .nluns = NLUNS,
			    .event_timeout_ms = 30000,
			    .freeze_timeout_ms = 1500 };
	struct vss_writer_status *st;
	long long t_freeze, t_fail;
	struct vss_async *a;
	struct vss_backup *b;
	uint32_t hr;
	size_t nr;

	sp.act[VSS_WRITER_EVENT_THAW] = ACT_SILENT;
	ASSERT_EQ(0, start_writer(self, &sp));
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	hr = finish(a);
	t_fail = now_ms();
	t_freeze = log_time("nothaw", "freeze", 0);
	EXPECT_EQ(VSS_E_WRITERERROR_TIMEOUT, hr);
	EXPECT_LE(1400, t_fail - t_freeze);
	EXPECT_GE(2500, t_fail - t_freeze);
	printf("# window 1500 ms, Thaw unanswered: set failed %lld ms after Freeze\n",
	       t_fail - t_freeze);
	EXPECT_EQ(0, snapshot_count(self->ctx));
	st = gather(b, &nr);
	ASSERT_NE(NULL, st);
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_FAILED_AT_THAW, st[0].state);
	EXPECT_EQ(VSS_E_WRITERERROR_TIMEOUT, st[0].hr_writer);
	free(st);
	vss_backup_free(b);
}

/* A writer SIGKILLed while frozen: the set ends at once, LUNs writable. */
TEST_F_TIMEOUT(wr, writer_killed_frozen, 120)
{
	struct wspec sp = { .name = "doomed", .nluns = NLUNS,
			    .event_timeout_ms = 30000 };
	struct bgw raw = { .path = "/dev/vss-lw1", .off = 8192 };
	struct vss_writer_status *st;
	struct vss_async *a;
	struct vss_backup *b;
	long long t_kill;
	uint32_t hr;
	size_t nr;

	ASSERT_EQ(0, start_writer(self, &sp));
	ASSERT_EQ(0, knob("test_hold_delay_ms", "8000"));
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_LT(0, log_time("doomed", "freeze", 10000));
	ASSERT_TRUE(wait_held(self->ctx, 6000));
	pthread_create(&raw.t, NULL, bgw_fn, &raw);
	usleep(100000);
	t_kill = now_ms();
	kill(self->pid[0], SIGKILL);
	waitpid(self->pid[0], NULL, 0);
	self->nw = 0;
	hr = finish(a);
	pthread_join(raw.t, NULL);
	printf("# writer killed while frozen: LUN write done %lld ms after the kill, set failed after %lld ms\n",
	       raw.done_ms - t_kill, now_ms() - t_kill);
	EXPECT_EQ(VSS_E_WRITER_NOT_RESPONDING, hr);
	EXPECT_EQ(0, raw.rc);
	EXPECT_GE(1500, raw.done_ms - t_kill);
	EXPECT_EQ(0, snapshot_count(self->ctx));
	st = gather(b, &nr);
	ASSERT_NE(NULL, st);
	ASSERT_EQ((size_t)1, nr);
	EXPECT_FALSE(st[0].registered);
	EXPECT_EQ(VSS_E_WRITER_NOT_RESPONDING, st[0].hr_writer);
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_FAILED_AT_FREEZE, st[0].state);
	free(st);
	vss_backup_free(b);
}

/* A requester SIGKILLed while its writer is frozen: released, Abort sent. */
TEST_F_TIMEOUT(wr, requester_killed_frozen, 120)
{
	struct wspec sp = { .name = "orphan", .nluns = NLUNS,
			    .event_timeout_ms = 30000 };
	struct bgw raw = { .path = "/dev/vss-lw1", .off = 8192 };
	long long t_kill;
	pid_t req;

	ASSERT_EQ(0, start_writer(self, &sp));
	ASSERT_EQ(0, knob("test_hold_delay_ms", "8000"));
	req = fork();
	ASSERT_LE(0, req);
	if (!req) {
		struct vss_async *a;
		struct vss_backup *b;
		struct vss_ctx *ctx;

		if (vss_ctx_new(&ctx))
			_exit(1);
		b = new_set(ctx, NLUNS);
		if (!b || vss_backup_do_snapshot_set(b, &a))
			_exit(1);
		finish(a);
		_exit(2);
	}
	ASSERT_LT(0, log_time("orphan", "freeze", 10000));
	ASSERT_TRUE(wait_held(self->ctx, 6000));
	pthread_create(&raw.t, NULL, bgw_fn, &raw);
	usleep(100000);
	t_kill = now_ms();
	kill(req, SIGKILL);
	waitpid(req, NULL, 0);
	pthread_join(raw.t, NULL);
	printf("# requester killed while its writer was frozen: LUN write done %lld ms after the kill\n",
	       raw.done_ms - t_kill);
	EXPECT_EQ(0, raw.rc);
	EXPECT_GE(1500, raw.done_ms - t_kill);
	EXPECT_LT(0, log_time("orphan", "abort", 2000));
	EXPECT_LT(0, log_time("orphan", "backup-shutdown", 2000));
	EXPECT_EQ(0, snapshot_count(self->ctx));
}

/* Three writers: Freeze ascending, Thaw descending; a Freeze veto. */
TEST_F_TIMEOUT(wr, three_writers_order, 120)
{
	static const char *const names[3] = { "w1", "w2", "w3" };
	static const char *const want[] = {
		"w1 freeze", "w2 freeze", "w3 freeze",
		"w3 thaw", "w2 thaw", "w1 thaw",
	};
	char lines[64][64], got[6][64];
	struct vss_async *a;
	struct vss_backup *b;
	int n, k = 0;

	for (int i = 0; i < 3; i++) {
		struct wspec sp = { .name = names[i], .nluns = NLUNS,
				    .event_timeout_ms = 10000 };

		ASSERT_EQ(0, start_writer(self, &sp));
	}
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	n = read_log(lines, NULL, 64);
	for (int i = 0; i < n && k < 6; i++) {
		if (strstr(lines[i], " freeze") || strstr(lines[i], " thaw"))
			memcpy(got[k++], lines[i], 64);
	}
	ASSERT_EQ(6, k);
	for (int i = 0; i < 6; i++)
		EXPECT_STREQ(want[i], got[i]);
	vss_backup_free(b);
}

TEST_F_TIMEOUT(wr, freeze_veto_aborts_frozen_only, 120)
{
	static const char *const names[3] = { "a1", "a2", "a3" };
	char lines[64][64];
	struct vss_async *a;
	struct vss_backup *b;
	bool abort1 = false, abort2 = false, freeze3 = false;
	int n;

	for (int i = 0; i < 3; i++) {
		struct wspec sp = { .name = names[i], .nluns = NLUNS,
				    .event_timeout_ms = 10000,
				    .hr = VSS_E_WRITERERROR_NONRETRYABLE,
				    .msg = "no" };

		if (i == 1)
			sp.act[VSS_WRITER_EVENT_FREEZE] = ACT_VETO;
		ASSERT_EQ(0, start_writer(self, &sp));
	}
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	EXPECT_EQ(VSS_E_WRITERERROR_NONRETRYABLE, finish(a));
	usleep(300000);		/* Abort is not waited for */
	n = read_log(lines, NULL, 64);
	for (int i = 0; i < n; i++) {
		abort1 |= !strcmp(lines[i], "a1 abort");
		abort2 |= !strcmp(lines[i], "a2 abort");
		freeze3 |= !strcmp(lines[i], "a3 freeze");
	}
	EXPECT_TRUE(abort1);
	EXPECT_FALSE(abort2);
	EXPECT_FALSE(freeze3);
	EXPECT_EQ(0, snapshot_count(self->ctx));
	vss_backup_free(b);
}

/* Only one of the writer's two LUNs in the set: left out, INCONSISTENT. */
TEST_F_TIMEOUT(wr, inconsistent_snapshot, 120)
{
	struct wspec sp = { .name = "split", .nluns = NLUNS,
			    .event_timeout_ms = 10000 };
	struct vss_writer_status *st;
	char lines[64][64];
	struct vss_async *a;
	struct vss_backup *b;
	size_t nr;
	int n;

	ASSERT_EQ(0, start_writer(self, &sp));
	b = new_set(self->ctx, 1);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	EXPECT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	EXPECT_EQ(1, snapshot_count(self->ctx));
	st = gather(b, &nr);
	ASSERT_NE(NULL, st);
	ASSERT_EQ((size_t)1, nr);
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_FAILED_AT_PREPARE_SNAPSHOT, st[0].state);
	EXPECT_EQ(VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT, st[0].hr_writer);
	free(st);
	n = read_log(lines, NULL, 64);
	for (int i = 0; i < n; i++)
		EXPECT_EQ(NULL, strstr(lines[i], "freeze"));
	vss_backup_free(b);
}

/* Every row of the GetWriterStatusEx error contract. */
TEST_F_TIMEOUT(wr, status_ex_contract, 120)
{
	struct wspec sp = { .name = "plain", .nluns = NLUNS,
			    .event_timeout_ms = 10000 };
	vss_id_t inst, cls;
	uint32_t state, hrw, hra = 99;
	struct vss_async *a;
	struct vss_backup *b;
	char *name, *msg;
	unsigned int count;

	ASSERT_EQ(0, start_writer(self, &sp));
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	/* before GatherWriterStatus: VSS_E_BAD_STATE */
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, &inst, &cls,
			&name, &state, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_count(b, &count));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	/* still out of sequence: nothing was gathered */
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, &inst, &cls,
			&name, &state, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	ASSERT_EQ(0, vss_backup_gather_writer_status(b, &a));
	ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	ASSERT_EQ(0, vss_backup_get_writer_status_count(b, &count));
	ASSERT_EQ(1U, count);
	/* NULL required out parameters: E_INVALIDARG */
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, NULL, &cls,
			&name, &state, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_INVALIDARG, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, &inst, NULL,
			&name, &state, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_INVALIDARG, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, &inst, &cls,
			NULL, &state, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_INVALIDARG, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, &inst, &cls,
			&name, NULL, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_INVALIDARG, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, &inst, &cls,
			&name, &state, NULL, NULL, NULL));
	EXPECT_EQ(VSS_E_INVALIDARG, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(NULL, 0, &inst,
			&cls, &name, &state, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_INVALIDARG, vss_ctx_last_hresult(NULL));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_count(b, NULL));
	EXPECT_EQ(VSS_E_INVALIDARG, vss_ctx_last_hresult(self->ctx));
	/* out of range: VSS_E_OBJECT_NOT_FOUND */
	EXPECT_EQ(-ENOENT, vss_backup_get_writer_status_ex(b, 1, &inst, &cls,
			&name, &state, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, vss_ctx_last_hresult(self->ctx));
	/* optional parameters omitted: S_OK */
	ASSERT_EQ(0, vss_backup_get_writer_status_ex(b, 0, &inst, &cls, &name,
						     &state, &hrw, NULL, NULL));
	EXPECT_STREQ("plain", name);
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_WAITING_FOR_BACKUP_COMPLETE, state);
	EXPECT_EQ(0U, hrw);
	free(name);
	ASSERT_EQ(0, vss_backup_get_writer_status_ex(b, 0, &inst, &cls, &name,
						     &state, &hrw, &hra, &msg));
	EXPECT_EQ(0U, hra);
	EXPECT_STREQ("", msg);
	free(name);
	free(msg);
	/* BackupComplete: the writer is stable again */
	ASSERT_EQ(0, vss_backup_complete(b));
	ASSERT_EQ(0, vss_backup_gather_writer_status(b, &a));
	ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	ASSERT_EQ(0, vss_backup_get_writer_status_ex(b, 0, &inst, &cls, &name,
						     &state, &hrw, NULL, NULL));
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_STABLE, state);
	free(name);
	/* after FreeWriterStatus: VSS_E_BAD_STATE again */
	EXPECT_EQ(0, vss_backup_free_writer_status(b));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, &inst, &cls,
			&name, &state, &hrw, NULL, NULL));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	vss_backup_free(b);
}

/* Identify carries the metadata document; writer list; the class id. */
TEST_F_TIMEOUT(wr, metadata_and_list, 120)
{
	static const char doc[] = "<writer name=\"db\"><component/></writer>";
	vss_id_t cls = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } };
	struct wspec sp = { .name = "db", .nluns = NLUNS,
			    .event_timeout_ms = 10000, .metadata = doc,
			    .class_id = &cls };
	struct vss_writer_status ws, *list;
	struct vss_async *a;
	struct vss_backup *b;
	unsigned int count;
	size_t len, nr;
	void *d;
	vss_id_t sid;

	ASSERT_EQ(0, start_writer(self, &sp));
	ASSERT_EQ(0, vss_writer_list(self->ctx, &list, &nr));
	ASSERT_EQ((size_t)1, nr);
	EXPECT_STREQ("db", list[0].name);
	EXPECT_TRUE(vss_id_equal(&cls, &list[0].class_id));
	EXPECT_TRUE(vss_id_equal(&self->id[0], &list[0].instance_id));
	EXPECT_EQ((size_t)2, list[0].nr_luns);
	EXPECT_STREQ("lw1", list[0].luns[1]);
	EXPECT_EQ(10000U, list[0].event_timeout_ms);
	EXPECT_EQ(60000U, list[0].freeze_timeout_ms);
	EXPECT_TRUE(list[0].registered);
	EXPECT_FALSE(list[0].has_session_id);
	free(list);

	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	EXPECT_EQ(-EINVAL, vss_backup_get_writer_metadata_count(b, &count));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	ASSERT_EQ(0, vss_backup_gather_writer_metadata(b, &a));
	ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	ASSERT_EQ(0, vss_backup_get_writer_metadata_count(b, &count));
	ASSERT_EQ(1U, count);
	ASSERT_EQ(0, vss_backup_get_writer_metadata(b, 0, &ws, &d, &len));
	EXPECT_STREQ("db", ws.name);
	ASSERT_EQ(strlen(doc), len);
	EXPECT_EQ(0, memcmp(doc, d, len));
	free(d);
	EXPECT_EQ(-ENOENT, vss_backup_get_writer_metadata(b, 1, &ws, NULL,
							  NULL));
	EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, vss_ctx_last_hresult(self->ctx));

	/* writer list: the status of the writer's last session */
	ASSERT_EQ(0, vss_backup_get_session_id(b, &sid));
	ASSERT_EQ(0, vss_writer_list(self->ctx, &list, &nr));
	ASSERT_EQ((size_t)1, nr);
	EXPECT_TRUE(list[0].has_session_id);
	EXPECT_TRUE(vss_id_equal(&sid, &list[0].session_id));
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_STABLE, list[0].state);
	free(list);
	vss_backup_free(b);
	/* BackupShutdown when the object is released */
	EXPECT_LT(0, log_time("db", "backup-shutdown", 2000));

	/* a writer whose process is gone is no longer listed */
	kill(self->pid[0], SIGKILL);
	waitpid(self->pid[0], NULL, 0);
	self->nw = 0;
	ASSERT_EQ(0, vss_writer_list(self->ctx, &list, &nr));
	EXPECT_EQ((size_t)0, nr);
	free(list);
}

/* DisableWriterInstances / DisableWriterClasses and no-writers. */
TEST_F_TIMEOUT(wr, filters_and_no_writers, 120)
{
	vss_id_t cls = { { 9 } };
	struct wspec sp1 = { .name = "f1", .nluns = NLUNS,
			     .event_timeout_ms = 10000 };
	struct wspec sp2 = { .name = "f2", .nluns = NLUNS,
			     .event_timeout_ms = 10000, .class_id = &cls };
	struct vss_writer_status *st;
	char lines[64][64];
	struct vss_async *a;
	struct vss_backup *b;
	size_t nr;
	int n;

	ASSERT_EQ(0, start_writer(self, &sp1));
	ASSERT_EQ(0, start_writer(self, &sp2));
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_disable_writer_instances(b, &self->id[0], 1));
	ASSERT_EQ(0, vss_backup_disable_writer_classes(b, &cls, 1));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	st = gather(b, &nr);
	EXPECT_EQ((size_t)0, nr);
	free(st);
	vss_backup_free(b);
	/* no-writers */
	b = new_set(self->ctx, NLUNS);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_set_writers(b, false));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	vss_backup_free(b);
	usleep(200000);
	n = read_log(lines, NULL, 64);
	EXPECT_EQ(0, n) TH_LOG("first event: %s", n ? lines[0] : "");
	EXPECT_EQ(2 * NLUNS, snapshot_count(self->ctx));
}

/* session-get on @n: the session's state and its set's state. */
static int raw_session_states(struct nlr *n, const unsigned char sid[16],
			      uint32_t *state, uint32_t *set_state)
{
	const struct nlattr *a1, *a2;
	struct nlr_msg m;
	struct nlr_ack a;
	int ret;

	nlr_req(n, &m, VSS_CMD_SESSION_GET, false);
	nlr_put(&m, VSS_A_SESSION_ID, sid, 16);
	ret = nlr_xfer(n, &m, &a);
	if (ret)
		return ret;
	a1 = nlr_reply_attr(&a, VSS_A_SESSION_STATE);
	a2 = nlr_reply_attr(&a, VSS_A_SESSION_SET_STATE);
	if (!a1 || !a2)
		return -EPROTO;
	memcpy(state, nlr_data(a1), 4);
	memcpy(set_state, nlr_data(a2), 4);
	return 0;
}

/*
 * DoSnapshotSet no longer blocks its netlink handler: with a writer that
 * sits on Freeze for its whole event timeout (2.5 s), set-do is answered
 * at once, a session-get on the same socket answers while the writer
 * still has the event (set processing-prepare), and the outcome arrives
 * later as set-done-ntf (VSS_E_WRITER_NOT_RESPONDING, nothing left).
 */
TEST_F_TIMEOUT(wr, set_do_async, 120)
{
	struct wspec sp = { .name = "sloth", .nluns = NLUNS,
			    .event_timeout_ms = 2500 };
	static unsigned char rbuf[NLR_BUFSZ];
	unsigned char sid[16], set_id[16];
	long long t0, t_ack, t_freeze, t_done = -1;
	uint32_t state, set_state;
	struct nlr_ack a, out;
	struct nlr_msg m;
	struct nlr n;

	memset(&out, 0, sizeof(out));
	sp.act[VSS_WRITER_EVENT_FREEZE] = ACT_SILENT;
	ASSERT_EQ(0, start_writer(self, &sp));
	ASSERT_EQ(0, nlr_open(&n));
	ASSERT_EQ(0, nlr_session_new(&n, sid));
	ASSERT_EQ(0, nlr_set_start(&n, sid, set_id, &a));
	for (int i = 0; i < NLUNS; i++)
		ASSERT_EQ(0, nlr_set_add(&n, sid, set_id, luns[i], &a))
			TH_LOG("%s", a.msg);

	nlr_req(&n, &m, VSS_CMD_SET_DO, false);
	nlr_put(&m, VSS_A_SET_SESSION_ID, sid, 16);
	nlr_put(&m, VSS_A_SET_ID, set_id, 16);
	t0 = now_ms();
	ASSERT_EQ(0, nlr_xfer(&n, &m, &a)) TH_LOG("%s", a.msg);
	t_ack = now_ms();
	ASSERT_EQ(1, a.replies);
	EXPECT_EQ(VSS_CMD_SET_DO, ((struct genlmsghdr *)a.reply)->cmd);
	t_freeze = log_time("sloth", "freeze", 2000);
	ASSERT_LE(0, t_freeze) TH_LOG("the writer never got Freeze");
	/* the writer holds Freeze unanswered: the set is still running */
	ASSERT_EQ(0, raw_session_states(&n, sid, &state, &set_state));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_SET_COMMITTING, state);
	EXPECT_EQ((uint32_t)VSS_SET_STATE_PROCESSING_PREPARE, set_state);
	EXPECT_GT(t0 + 2000, now_ms()) TH_LOG("queries came too late to tell");

	/* the outcome, at most event timeout + a margin later */
	while (t_done < 0 && now_ms() < t0 + 20000) {
		ssize_t r = recv(n.fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *h;
		int left = (int)r;

		if (r < 0)
			continue;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left))
			if (nlr_set_done(&n, h, set_id, &out))
				t_done = now_ms();
	}
	ASSERT_LE(0, t_done) TH_LOG("no set-done-ntf");
	TH_LOG("set-do answered in %lld ms; outcome after %lld ms",
	       t_ack - t0, t_done - t0);
	EXPECT_GT(1000, t_ack - t0);
	EXPECT_LE(2000, t_done - t0);
	EXPECT_EQ(-ETIMEDOUT, out.error) TH_LOG("%s", out.msg);
	EXPECT_TRUE(out.has_cookie);
	EXPECT_EQ(VSS_E_WRITER_NOT_RESPONDING, out.hresult);
	EXPECT_NE(0, out.msg[0]);
	ASSERT_EQ(0, raw_session_states(&n, sid, &state, &set_state));
	EXPECT_EQ((uint32_t)VSS_SET_STATE_ABORTED, set_state);
	EXPECT_EQ(0, snapshot_count(self->ctx));
	nlr_close(&n);
}

/* Take a set of both LUNs in @context (-1: the default); 0 or -1. */
static int take_set(struct vss_ctx *ctx, int64_t context, struct vss_backup **out)
{
	struct vss_backup *b;
	struct vss_async *a;

	if (vss_backup_new(ctx, &b))
		return -1;
	if ((context >= 0 && vss_backup_set_context(b, (uint32_t)context)) ||
	    vss_backup_start_snapshot_set(b, NULL))
		goto out_free;
	for (int i = 0; i < NLUNS; i++)
		if (vss_backup_add_to_snapshot_set(b, luns[i], NULL))
			goto out_free;
	if (vss_backup_do_snapshot_set(b, &a) || finish(a) != VSS_S_ASYNC_FINISHED)
		goto out_free;
	*out = b;
	return 0;
out_free:
	vss_backup_free(b);
	return -1;
}

/* A requester process that takes a set in @context, then waits to die. */
static pid_t requester(int64_t context)
{
	struct vss_backup *b;
	struct vss_ctx *ctx;
	int fds[2];
	char c = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (vss_ctx_new(&ctx) || take_set(ctx, context, &b))
			_exit(1);
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fds[0]);
	return pid;
}

/* Wait until there are @n snapshots, at most @ms; the last count. */
static int wait_count(struct vss_ctx *ctx, int n, int ms)
{
	long long end = now_ms() + ms;
	int c;

	while ((c = snapshot_count(ctx)) != n && now_ms() < end)
		usleep(20000);
	return c;
}

/*
 * SetContext: in the default context (VSS_CTX_BACKUP) the set is
 * auto-release -- deleted by the kernel when the requester is SIGKILLed,
 * or when it frees its object; a persistent context
 * (VSS_CTX_APP_ROLLBACK) keeps it.  Unknown contexts give E_INVALIDARG;
 * SetContext after StartSnapshotSet gives VSS_E_BAD_STATE.
 */
TEST_F_TIMEOUT(wr, context_auto_release, 120)
{
	struct vss_backup *b;
	pid_t pid;

	/* requester killed: an auto-release set goes with it */
	pid = requester(-1);
	ASSERT_LT(0, pid);
	ASSERT_EQ(NLUNS, snapshot_count(self->ctx));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(0, wait_count(self->ctx, 0, 5000));

	/* a persistent one stays */
	pid = requester(VSS_CTX_APP_ROLLBACK);
	ASSERT_LT(0, pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	usleep(500000);
	EXPECT_EQ(NLUNS, wait_count(self->ctx, NLUNS, 1000));

	/* vss_backup_free() releases an auto-release set too */
	ASSERT_EQ(0, take_set(self->ctx, VSS_CTX_FILE_SHARE_BACKUP, &b));
	EXPECT_EQ(2 * NLUNS, snapshot_count(self->ctx));
	vss_backup_free(b);
	EXPECT_EQ(NLUNS, wait_count(self->ctx, NLUNS, 5000));

	/* the contract */
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	EXPECT_EQ(-EINVAL, vss_backup_set_context(b, 0x3));
	EXPECT_EQ(VSS_E_INVALIDARG, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(0, vss_backup_set_context(b, VSS_CTX_NAS_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	EXPECT_EQ(-EINVAL, vss_backup_set_context(b, VSS_CTX_BACKUP));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	vss_backup_free(b);
}


/*
 * GetWriterStatusEx keeps the seed contract in a restore object:
 * VSS_E_BAD_STATE before and after RecoverSet.  The writer's restore
 * outcome is read another way: its events and writer list.
 */
TEST_F_TIMEOUT(wr, restore_object_status, 120)
{
	struct wspec sp = { .name = "rst", .only_lun = "lw0",
			    .event_timeout_ms = 10000 };
	struct vss_writer_status *st = NULL;
	struct vss_set_result res;
	vss_id_t inst, cls, rsid;
	uint32_t state, hrw;
	struct vss_async *a;
	struct vss_backup *b;
	long long tpre, tpost;
	unsigned int count;
	size_t nr = 0;
	char *name;
	int i;

	ASSERT_EQ(0, start_writer(self, &sp));
	b = new_set(self->ctx, 1);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	ASSERT_EQ(0, vss_backup_get_set_result(b, &res));
	ASSERT_EQ(1U, res.nr_members);
	vss_backup_free(b);

	ASSERT_EQ(0, vss_backup_new_restore(self->ctx, &b));
	vss_backup_get_session_id(b, &rsid);
	for (i = 0; i < 2; i++) {
		/* i == 0 before RecoverSet, 1 after */
		EXPECT_EQ(-EINVAL, vss_backup_gather_writer_status(b, &a));
		EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
		EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_count(b, &count));
		EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
		EXPECT_EQ(-EINVAL, vss_backup_get_writer_status_ex(b, 0, &inst,
				&cls, &name, &state, &hrw, NULL, NULL));
		EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
		if (i)
			break;
		ASSERT_EQ(0, vss_backup_add_snapshot_to_recovery_set(b,
				&res.members[0].snapshot_id, 0, NULL));
		ASSERT_EQ(0, vss_backup_recover_set(b, 0, &a))
			TH_LOG("%s", vss_ctx_last_error_msg(self->ctx));
		ASSERT_EQ(VSS_S_ASYNC_FINISHED, finish(a));
	}
	/* PreRestore came with RecoverSet, PostRestore after the revert */
	tpre = log_time("rst", "pre-restore", 0);
	tpost = log_time("rst", "post-restore:done:0", 10000);
	EXPECT_LT(0, tpre);
	EXPECT_LE(tpre, tpost);
	/* writer list: the writer's status is the restore session's */
	ASSERT_EQ(0, vss_writer_list(self->ctx, &st, &nr));
	i = find_st(st, nr, "rst");
	ASSERT_LE(0, i);
	EXPECT_TRUE(st[i].has_session_id);
	EXPECT_TRUE(vss_id_equal(&st[i].session_id, &rsid));
	EXPECT_EQ((uint32_t)VSS_WRITER_STATE_STABLE, st[i].state);
	EXPECT_EQ(0U, st[i].hr_writer);
	free(st);
	vss_backup_free(b);
}

TEST_HARNESS_MAIN
