// SPDX-License-Identifier: GPL-2.0
/*
 * Requester API fidelity of libvssctl against the real module (issue 10):
 *  - single use: a second StartSnapshotSet (or AddToSnapshotSet,
 *    DoSnapshotSet) on an object that ran DoSnapshotSet is VSS_E_BAD_STATE,
 *    after a successful and after a failed set;
 *  - callbacks: the extent function of vss_snapshot_changes() calls back
 *    into the library on the same context (queries, AbortBackup, Cancel of
 *    a DoSnapshotSet held in the kernel) without deadlock; another thread's
 *    AbortBackup completes while a dump is in progress; a stop value ends
 *    the walk and the context still works;
 *  - vssctl -j snapshot changes: nothing on stdout and a non-zero exit for
 *    an unknown id and for an invalidated snapshot; "extents":[] when
 *    nothing changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vssctl.h>

#include "kselftest_harness.h"
#include "set_util.h"

#define BS 4096

static const char *const luns[] = { "fa", "fb" };

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

static bool wait_path(const char *path)
{
	for (int i = 0; i < 100; i++) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(50000);
	}
	return false;
}

/* One 4 KiB block filled with @byte at block @blk of @dev (O_DIRECT). */
static int write_block(const char *dev, int blk, int byte)
{
	void *buf;
	int fd, rc = 0;

	if (posix_memalign(&buf, BS, BS))
		return -ENOMEM;
	memset(buf, byte, BS);
	fd = open(dev, O_WRONLY | O_DIRECT);
	if (fd < 0 || pwrite(fd, buf, BS, (off_t)blk * BS) != BS)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* @cmd's stdout in @out (NUL-terminated, at most @len - 1 bytes); its exit. */
static int run_out(const char *cmd, char *out, size_t len)
{
	char full[512];
	FILE *f;
	size_t n;
	int rc;

	snprintf(full, sizeof(full), "%s 2>/tmp/fid.err", cmd);
	f = popen(full, "r");
	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	rc = pclose(f);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

FIXTURE(fid)
{
	struct vss_ctx *ctx;
};

FIXTURE_SETUP(fid)
{
	char why[256];

	self->ctx = NULL;
	ASSERT_EQ(0, su_lib_luns_up(&self->ctx, luns, 2, 16, why, sizeof(why)))
		TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(fid)
{
	if (!self->ctx)
		return;
	knob("test_hold_delay_ms", "0");
	su_lib_luns_down(self->ctx, luns, 2);
	vss_ctx_unref(self->ctx);
}

/* One snapshot of @lun through a backup object; its id in @snap. */
static int take_snapshot(struct vss_ctx *ctx, const char *lun, vss_id_t *snap)
{
	struct vss_backup *b;
	struct vss_async *a;
	uint32_t hr;
	int result = -1;

	if (vss_backup_new(ctx, &b))
		return -1;
	/* persistent: the snapshot outlives the object */
	if (!vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK) &&
	    !vss_backup_start_snapshot_set(b, NULL) &&
	    !vss_backup_add_to_snapshot_set(b, lun, snap) &&
	    !vss_backup_do_snapshot_set(b, &a)) {
		vss_async_wait(a, -1);
		vss_async_query_status(a, &hr, &result);
		vss_async_free(a);
	}
	vss_backup_free(b);
	return result;
}

TEST_F(fid, single_use)
{
	struct vss_backup *b;
	struct vss_async *a, *a2 = NULL;
	vss_id_t set1, set2;
	uint32_t hr;
	int result;

	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, &set1));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[0], NULL));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(0, vss_async_wait(a, 30000));
	ASSERT_EQ(0, vss_async_query_status(a, &hr, &result));
	EXPECT_EQ(0, result);
	vss_async_free(a);
	/* the object took its set: no second one */
	EXPECT_EQ(-EINVAL, vss_backup_start_snapshot_set(b, &set2));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	ASSERT_NE(NULL, vss_ctx_last_error_msg(self->ctx));
	TH_LOG("second set: %s", vss_ctx_last_error_msg(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_add_to_snapshot_set(b, luns[1], NULL));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_do_snapshot_set(b, &a2));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(NULL, a2);
	/* queries and BackupComplete still work */
	ASSERT_EQ(0, vss_backup_complete(b));
	vss_backup_free(b);

	/* after a failed DoSnapshotSet (empty set) as well */
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(0, vss_async_wait(a, 30000));
	ASSERT_EQ(0, vss_async_query_status(a, &hr, &result));
	EXPECT_NE(0, result);
	vss_async_free(a);
	EXPECT_EQ(-EINVAL, vss_backup_start_snapshot_set(b, NULL));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	vss_backup_free(b);

	/* a new object takes the next set */
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	EXPECT_EQ(0, vss_backup_start_snapshot_set(b, &set2));
	EXPECT_FALSE(vss_id_equal(&set1, &set2));
	vss_backup_free(b);
}

/* ---- callbacks that call back into the library ---- */

struct reenter {
	struct vss_ctx *ctx;
	vss_id_t snap;
	struct vss_backup *b;		/* its DoSnapshotSet is held */
	struct vss_async *a;
	int extents;
	int calls_ok;
	int abort_rc, cancel_rc;
	int stop_at;			/* return 7 at this extent (0: never) */
};

static int reenter_fn(void *arg, uint64_t off, uint64_t len)
{
	struct reenter *r = arg;
	struct vss_snapshot_info si;
	struct vss_lun_info li;
	struct vss_session_info *ss;
	size_t nr;

	(void)off;
	(void)len;
	r->extents++;
	if (r->extents == 1) {
		/* same context, from inside the dump */
		if (!vss_snapshot_get(r->ctx, &r->snap, &si) &&
		    !vss_lun_get(r->ctx, luns[0], &li) &&
		    !vss_session_list(r->ctx, &ss, &nr)) {
			free(ss);
			r->calls_ok = 1;
		}
		if (r->a)
			r->cancel_rc = vss_async_cancel(r->a);
		if (r->b)
			r->abort_rc = vss_backup_abort(r->b);
	}
	return r->stop_at && r->extents >= r->stop_at ? 7 : 0;
}

/*
 * @n separate extents on LUN 0 after a snapshot: one block every 256 KiB
 * (chunks are at most 64 KiB by default, so no two blocks share or touch a
 * chunk).  Returns the snapshot id.
 */
static int changed_snapshot(struct vss_ctx *ctx, int n, vss_id_t *snap)
{
	if (take_snapshot(ctx, luns[0], snap))
		return -1;
	for (int i = 0; i < n; i++)
		if (write_block("/dev/vss-fa", i * 64, 0x40 + i % 64))
			return -1;
	return 0;
}

TEST_F(fid, callback_reenters)
{
	struct reenter r = { .ctx = self->ctx };
	struct vss_session_info si;
	uint32_t hr, chunk = 0;
	int result;

	ASSERT_EQ(0, changed_snapshot(self->ctx, 32, &r.snap));
	/* a DoSnapshotSet held in the kernel, to cancel from the callback */
	ASSERT_EQ(0, vss_backup_new(self->ctx, &r.b));
	ASSERT_EQ(0, vss_backup_set_context(r.b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(r.b, NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(r.b, luns[1], NULL));
	ASSERT_EQ(0, knob("test_hold_delay_ms", "5000"));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(r.b, &r.a));
	usleep(300000);
	alarm(25);	/* a deadlock fails the test instead of hanging it */
	ASSERT_EQ(0, vss_snapshot_changes(self->ctx, &r.snap, 0, &chunk,
					  reenter_fn, &r))
		TH_LOG("changes: %s", vss_ctx_last_error_msg(self->ctx));
	alarm(0);
	EXPECT_EQ(32, r.extents);
	EXPECT_NE(0U, chunk);
	EXPECT_EQ(1, r.calls_ok);
	EXPECT_EQ(0, r.cancel_rc);
	EXPECT_EQ(0, r.abort_rc);
	ASSERT_EQ(0, vss_async_wait(r.a, 30000));
	ASSERT_EQ(0, vss_async_query_status(r.a, &hr, &result));
	EXPECT_NE(0, result);
	TH_LOG("cancelled from the callback: %d, hr 0x%08x", result, hr);
	ASSERT_EQ(0, vss_backup_get_status(r.b, &si));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_ABORTED, si.state);
	vss_async_free(r.a);
	vss_backup_free(r.b);
	knob("test_hold_delay_ms", "0");

	/* a stop value ends the walk; the context keeps working */
	r.b = NULL;
	r.a = NULL;
	r.extents = 0;
	r.stop_at = 3;
	EXPECT_EQ(7, vss_snapshot_changes(self->ctx, &r.snap, 0, NULL,
					  reenter_fn, &r));
	EXPECT_EQ(3, r.extents);
	{
		struct vss_lun_info li;

		EXPECT_EQ(0, vss_lun_get(self->ctx, luns[0], &li));
	}
}

/* ---- AbortBackup from another thread while a dump runs ---- */

struct slow_dump {
	struct vss_ctx *ctx;
	vss_id_t snap;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool in_dump;
	bool aborted;
	bool waited_out;	/* the abort did not come within 10 s */
	int rc;
};

static int slow_fn(void *arg, uint64_t off, uint64_t len)
{
	struct slow_dump *d = arg;
	struct timespec until;

	(void)off;
	(void)len;
	pthread_mutex_lock(&d->lock);
	if (!d->in_dump) {
		d->in_dump = true;
		pthread_cond_broadcast(&d->cond);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		while (!d->aborted && !d->waited_out)
			if (pthread_cond_timedwait(&d->cond, &d->lock, &until))
				d->waited_out = true;
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void *dump_thread(void *arg)
{
	struct slow_dump *d = arg;

	d->rc = vss_snapshot_changes(d->ctx, &d->snap, 0, NULL, slow_fn, d);
	return NULL;
}

TEST_F(fid, abort_during_dump)
{
	struct slow_dump d = { .ctx = self->ctx };
	struct vss_session_info si;
	struct vss_lun_info li;
	struct vss_backup *b;
	pthread_t t;

	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.cond, NULL);
	ASSERT_EQ(0, changed_snapshot(self->ctx, 8, &d.snap));
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[1], NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, dump_thread, &d));
	pthread_mutex_lock(&d.lock);
	while (!d.in_dump)
		pthread_cond_wait(&d.cond, &d.lock);
	pthread_mutex_unlock(&d.lock);
	/* the dump is in progress (its callback waits for us) */
	EXPECT_EQ(0, vss_backup_abort(b));
	/* and the context answers queries meanwhile */
	EXPECT_EQ(0, vss_lun_get(self->ctx, luns[1], &li));
	EXPECT_FALSE(li.busy);
	pthread_mutex_lock(&d.lock);
	d.aborted = true;
	pthread_cond_broadcast(&d.cond);
	pthread_mutex_unlock(&d.lock);
	pthread_join(t, NULL);
	EXPECT_FALSE(d.waited_out);
	EXPECT_EQ(0, d.rc);
	ASSERT_EQ(0, vss_backup_get_status(b, &si));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_ABORTED, si.state);
	vss_backup_free(b);
	pthread_cond_destroy(&d.cond);
	pthread_mutex_destroy(&d.lock);
}

/* ---- vssctl -j snapshot changes: a failure is never a list ---- */

TEST_F(fid, cli_changes_errors)
{
	struct vss_snapshot_info si;
	char cmd[256], out[4096], sid[VSS_ID_STRLEN];
	vss_id_t snap;
	int rc, fd, big;
	void *buf;

	/* unknown id */
	rc = run_out("vssctl -j snapshot changes 00000000-0000-0000-0000-0000000000ff",
		     out, sizeof(out));
	EXPECT_NE(0, rc);
	EXPECT_STREQ("", out);

	/* nothing changed: an empty list */
	ASSERT_EQ(0, take_snapshot(self->ctx, luns[1], &snap));
	snprintf(cmd, sizeof(cmd), "vssctl -j snapshot changes %s",
		 vss_id_to_string(&snap, sid));
	rc = run_out(cmd, out, sizeof(out));
	EXPECT_EQ(0, rc);
	EXPECT_NE(NULL, strstr(out, "\"extents\":[]"))
		TH_LOG("stdout: %s", out);
	EXPECT_NE(NULL, strstr(out, "\"extent_count\":0"));

	/* an invalidated snapshot: open while the store overflows */
	ASSERT_EQ(0, vss_snapshot_get(self->ctx, &snap, &si));
	ASSERT_TRUE(wait_path(si.device));
	fd = open(si.device, O_RDONLY);
	ASSERT_GE(fd, 0);
	big = 1 << 20;
	ASSERT_EQ(0, posix_memalign(&buf, BS, big));
	memset(buf, 0x5c, big);
	{
		int w = open("/dev/vss-fb", O_WRONLY | O_DIRECT);

		ASSERT_GE(w, 0);
		/* the whole LUN, twice the store's free room at least */
		for (int i = 0; i < 16; i++)
			if (pwrite(w, buf, big, (off_t)i * big) != big)
				break;
		fsync(w);
		close(w);
	}
	free(buf);
	ASSERT_EQ(0, vss_snapshot_get(self->ctx, &snap, &si));
	EXPECT_EQ((uint32_t)VSS_SNAPSHOT_STATE_INVALID, si.state);
	close(fd);
	if (si.state == VSS_SNAPSHOT_STATE_INVALID) {
		EXPECT_EQ(-EIO, vss_snapshot_changes(self->ctx, &snap, 0, NULL,
						     reenter_fn,
						     &(struct reenter){ .ctx = self->ctx }));
		rc = run_out(cmd, out, sizeof(out));
		EXPECT_NE(0, rc);
		EXPECT_STREQ("", out);
		TH_LOG("invalid snapshot: exit %d", rc);
	}
}

TEST_HARNESS_MAIN
