// SPDX-License-Identifier: GPL-2.0
/*
 * libvssctl's requester API against the real module: the backup-components
 * object (GetSessionId, StartSnapshotSet, AddToSnapshotSet, DoSnapshotSet
 * with its async handle, BackupComplete, AbortBackup), VSS result codes for
 * out-of-sequence calls and busy LUNs, Cancel while I/O is held, a set that
 * fails on one LUN, BreakSnapshotSet, events through the poll fd, and
 * error messages that belong to the calling thread.  Snapshot contents are checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vssctl.h>

#include "kselftest_harness.h"
#include "set_util.h"

#define BS 4096

static const char *const luns[] = { "lb0", "lb1" };

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

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
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

/* The byte block @blk of @dev is filled with, or -1 if it is mixed. */
static int read_block(const char *dev, int blk)
{
	unsigned char *buf;
	int fd, rc;

	if (posix_memalign((void **)&buf, BS, BS))
		return -2;
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0 || pread(fd, buf, BS, (off_t)blk * BS) != BS) {
		rc = -2;
	} else {
		rc = buf[0];
		for (int i = 1; i < BS; i++)
			if (buf[i] != buf[0])
				rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

FIXTURE(bk)
{
	struct vss_ctx *ctx;
};

FIXTURE_SETUP(bk)
{
	char why[256];

	self->ctx = NULL;
	ASSERT_EQ(0, su_lib_luns_up(&self->ctx, luns, 2, 16, why, sizeof(why)))
		TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(bk)
{
	if (!self->ctx)
		return;
	knob("test_hold_delay_ms", "0");
	knob("test_fail_lun", "");
	su_lib_luns_down(self->ctx, luns, 2);
	vss_ctx_unref(self->ctx);
}

static bool session_listed(struct vss_ctx *ctx, const vss_id_t *id)
{
	struct vss_session_info *ss;
	bool found = false;
	size_t nr;

	if (vss_session_list(ctx, &ss, &nr))
		return false;
	for (size_t i = 0; i < nr; i++)
		if (vss_id_equal(&ss[i].id, id))
			found = true;
	free(ss);
	return found;
}

TEST_F(bk, session_ids)
{
	struct vss_backup *b1, *b2;
	struct vss_session_info si;
	vss_id_t id1, id2, zero;

	memset(&zero, 0, sizeof(zero));
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b1));
	ASSERT_EQ(0, vss_backup_set_context(b1, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b2));
	ASSERT_EQ(0, vss_backup_get_session_id(b1, &id1));
	ASSERT_EQ(0, vss_backup_get_session_id(b2, &id2));
	EXPECT_FALSE(vss_id_equal(&id1, &id2));
	EXPECT_FALSE(vss_id_equal(&id1, &zero));
	ASSERT_EQ(0, vss_backup_get_status(b1, &si));
	EXPECT_TRUE(vss_id_equal(&si.id, &id1));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_INITIALIZED, si.state);
	EXPECT_NE(0U, si.portid);
	EXPECT_TRUE(session_listed(self->ctx, &id1));
	EXPECT_TRUE(session_listed(self->ctx, &id2));
	/* freeing the object closes its socket: the kernel drops the session */
	vss_backup_free(b1);
	EXPECT_FALSE(session_listed(self->ctx, &id1));
	EXPECT_TRUE(session_listed(self->ctx, &id2));
	vss_backup_free(b2);
	EXPECT_FALSE(session_listed(self->ctx, &id2));
}

TEST_F(bk, full_sequence)
{
	struct vss_set_result *res = malloc(sizeof(*res));
	struct vss_snapshot_info *snaps;
	struct vss_session_info si;
	vss_id_t set_id, snap[2];
	struct vss_backup *b;
	struct vss_async *a;
	uint32_t hr;
	size_t nr;
	int result;

	ASSERT_NE(NULL, res);
	for (int i = 0; i < 2; i++) {
		char dev[32];

		snprintf(dev, sizeof(dev), "/dev/vss-%s", luns[i]);
		ASSERT_EQ(0, write_block(dev, 3, 0xa0 + i));
	}
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, &set_id));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[i], &snap[i]))
			TH_LOG("add: %s", vss_ctx_last_error_msg(self->ctx));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(0, vss_async_wait(a, 30000));
	ASSERT_EQ(0, vss_async_query_status(a, &hr, &result));
	EXPECT_EQ(VSS_S_ASYNC_FINISHED, hr);
	EXPECT_EQ(0, result);
	EXPECT_EQ(-EALREADY, vss_async_cancel(a));
	EXPECT_EQ(VSS_S_ASYNC_FINISHED, vss_ctx_last_hresult(self->ctx));
	vss_async_free(a);

	ASSERT_EQ(0, vss_backup_get_set_result(b, res));
	EXPECT_TRUE(vss_id_equal(&res->set_id, &set_id));
	EXPECT_EQ((uint32_t)VSS_SET_STATE_CREATED, res->state);
	ASSERT_EQ(2U, res->nr_members);
	TH_LOG("hold window %llu us", (unsigned long long)res->hold_us);
	for (int i = 0; i < 2; i++) {
		char dev[32];

		EXPECT_STREQ(luns[i], res->members[i].lun);
		EXPECT_TRUE(vss_id_equal(&snap[i], &res->members[i].snapshot_id));
		ASSERT_TRUE(wait_path(res->members[i].device));
		/* the LUN moves on, the snapshot keeps its point in time */
		snprintf(dev, sizeof(dev), "/dev/vss-%s", luns[i]);
		ASSERT_EQ(0, write_block(dev, 3, 0xb0 + i));
		EXPECT_EQ(0xb0 + i, read_block(dev, 3));
		EXPECT_EQ(0xa0 + i, read_block(res->members[i].device, 3));
	}

	ASSERT_EQ(0, vss_backup_get_status(b, &si));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_SNAPSHOTS_DONE, si.state);
	EXPECT_TRUE(si.has_set);
	EXPECT_EQ((uint32_t)VSS_SET_STATE_CREATED, si.set_state);
	ASSERT_EQ(0, vss_backup_complete(b));
	/* the object served its operation */
	EXPECT_EQ(-EINVAL, vss_backup_start_snapshot_set(b, NULL));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	vss_backup_free(b);

	/* the snapshots outlive the object */
	ASSERT_EQ(0, vss_snapshot_list(self->ctx, NULL, &set_id, &snaps, &nr));
	EXPECT_EQ(2U, nr);
	free(snaps);
	ASSERT_EQ(0, vss_snapshot_set_delete(self->ctx, &set_id));
	ASSERT_EQ(0, vss_snapshot_list(self->ctx, NULL, &set_id, &snaps, &nr));
	EXPECT_EQ(0U, nr);
	free(snaps);
	free(res);
}

TEST_F(bk, out_of_sequence)
{
	struct vss_set_result *res = malloc(sizeof(*res));
	struct vss_backup *b;
	struct vss_async *a;
	uint32_t hr;
	int result;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	EXPECT_EQ(-EINVAL, vss_backup_do_snapshot_set(b, &a));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_add_to_snapshot_set(b, luns[0], NULL));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_complete(b));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-EINVAL, vss_backup_get_set_result(b, res));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));

	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	EXPECT_EQ(-EBUSY, vss_backup_start_snapshot_set(b, NULL));
	EXPECT_EQ(VSS_E_SNAPSHOT_SET_IN_PROGRESS, vss_ctx_last_hresult(self->ctx));
	EXPECT_NE(NULL, vss_ctx_last_error_msg(self->ctx));
	EXPECT_EQ(-ENOENT, vss_backup_add_to_snapshot_set(b, "nosuch", NULL));
	EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, vss_ctx_last_hresult(self->ctx));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[0], NULL));
	EXPECT_EQ(-EEXIST, vss_backup_add_to_snapshot_set(b, luns[0], NULL));
	EXPECT_EQ(VSS_E_OBJECT_ALREADY_EXISTS, vss_ctx_last_hresult(self->ctx));

	/* a set without LUNs fails in the kernel, through the async handle */
	vss_backup_free(b);
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(0, vss_async_wait(a, -1));
	ASSERT_EQ(0, vss_async_query_status(a, &hr, &result));
	EXPECT_NE(0, result);
	EXPECT_EQ(VSS_E_BAD_STATE, hr);
	ASSERT_NE(NULL, vss_ctx_last_error_msg(self->ctx));
	TH_LOG("empty set: %s", vss_ctx_last_error_msg(self->ctx));
	vss_async_free(a);
	vss_backup_free(b);
	free(res);
}

/* What break_set's event socket saw. */
struct break_seen {
	int breaks;			/* set-break events */
	int deleted;			/* snapshot-deleted events */
	int rc;				/* vss_event_set_break() on the event */
	struct vss_set_break_event sb;
	int copy_rc;			/* ... on a copy of it */
	int other_rc;			/* ... on another kind of event */
};

static int on_break_event(void *arg, const struct vss_event *ev)
{
	struct break_seen *s = arg;
	struct vss_set_break_event sb;

	if (ev->type == VSS_CMD_SET_BREAK_NTF) {
		struct vss_event copy = *ev;

		s->breaks++;
		s->rc = vss_event_set_break(ev, &s->sb);
		s->copy_rc = vss_event_set_break(&copy, &sb);
		return 0;
	}
	if (ev->type == VSS_CMD_SNAPSHOT_DELETED_NTF)
		s->deleted++;
	s->other_rc = vss_event_set_break(ev, &sb);
	return 0;
}

/* BreakSnapshotSet: refused while the set is built or taken, then forgets it */
TEST_F(bk, break_set)
{
	struct break_seen seen = { .rc = 1, .copy_rc = 1, .other_rc = 1 };
	struct vss_set_break_event sb;
	long long t0;
	int fd;
	static const vss_id_t zero;
	struct vss_snapshot_info *snaps;
	vss_id_t set_id, snap[2];
	struct vss_backup *b;
	struct vss_async *a;
	unsigned int count = 99;
	uint32_t hr;
	size_t nr;
	int result;

	for (int i = 0; i < 2; i++) {
		char dev[32];

		snprintf(dev, sizeof(dev), "/dev/vss-%s", luns[i]);
		ASSERT_EQ(0, write_block(dev, 5, 0xc0 + i));
	}
	/* listen before anything happens: refused breaks must send nothing */
	ASSERT_EQ(0, vss_events_subscribe(self->ctx));
	fd = vss_events_fd(self->ctx);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, &set_id));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[i], &snap[i]));
	/* being built */
	EXPECT_EQ(-EBUSY, vss_snapshot_set_break(self->ctx, &set_id, &count));
	EXPECT_EQ(VSS_E_SNAPSHOT_SET_IN_PROGRESS, vss_ctx_last_hresult(self->ctx));
	ASSERT_NE(NULL, vss_ctx_last_error_msg(self->ctx));
	TH_LOG("building: %s", vss_ctx_last_error_msg(self->ctx));
	/* being taken (I/O held) */
	ASSERT_EQ(0, knob("test_hold_delay_ms", "1500"));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	EXPECT_EQ(-ETIMEDOUT, vss_async_wait(a, 300));
	EXPECT_EQ(-EBUSY, vss_snapshot_set_break(self->ctx, &set_id, &count));
	EXPECT_EQ(VSS_E_SNAPSHOT_SET_IN_PROGRESS, vss_ctx_last_hresult(self->ctx));
	ASSERT_EQ(0, vss_async_wait(a, 30000));
	ASSERT_EQ(0, vss_async_query_status(a, &hr, &result));
	EXPECT_EQ(VSS_S_ASYNC_FINISHED, hr);
	EXPECT_EQ(0, result);
	vss_async_free(a);
	knob("test_hold_delay_ms", "0");

	/* created: broken, through the backup object */
	ASSERT_EQ(0, vss_backup_break_snapshot_set(b, &set_id, &count))
		TH_LOG("break: %s", vss_ctx_last_error_msg(self->ctx));
	EXPECT_EQ(2U, count);
	ASSERT_EQ(0, vss_snapshot_list(self->ctx, NULL, &set_id, &snaps, &nr));
	EXPECT_EQ(0U, nr);
	free(snaps);
	ASSERT_EQ(0, vss_snapshot_list(self->ctx, NULL, NULL, &snaps, &nr));
	ASSERT_EQ(2U, nr);
	for (size_t i = 0; i < nr; i++) {
		EXPECT_TRUE(vss_id_equal(&snaps[i].set_id, &zero));
		EXPECT_TRUE(vss_id_equal(&snaps[i].id, &snap[i]));
		/* the point in time is untouched */
		EXPECT_EQ(0xc0 + (int)i, read_block(snaps[i].device, 5));
	}
	free(snaps);
	/* the set is gone: break, delete and the all-zero id find nothing */
	EXPECT_EQ(-ENOENT, vss_snapshot_set_break(self->ctx, &set_id, NULL));
	EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-ENOENT, vss_snapshot_set_delete(self->ctx, &set_id));
	EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, vss_ctx_last_hresult(self->ctx));
	EXPECT_EQ(-ENOENT, vss_snapshot_set_break(self->ctx, &zero, NULL));
	EXPECT_EQ(-ENOENT, vss_snapshot_set_delete(self->ctx, &zero));
	/* independent snapshots are deleted one by one */
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(0, vss_snapshot_delete(self->ctx, &snap[i]));

	/*
	 * The deletions come after every break: once both are seen, all the
	 * events of the breaks are in.  Exactly one set-break event, for the
	 * break that was done, none for the four refused ones.
	 */
	t0 = now_ms();
	while (seen.deleted < 2 && now_ms() - t0 < 5000) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 500) > 0)
			ASSERT_LE(0, vss_events_dispatch(self->ctx, on_break_event,
							 &seen));
	}
	ASSERT_EQ(2, seen.deleted);
	ASSERT_EQ(1, seen.breaks);
	EXPECT_EQ(0, seen.rc);
	EXPECT_TRUE(vss_id_equal(&seen.sb.set_id, &set_id));
	EXPECT_EQ(2U, seen.sb.snapshot_count);
	/* the details are only for the event being dispatched */
	EXPECT_EQ(-EINVAL, seen.copy_rc);
	EXPECT_EQ(-EINVAL, seen.other_rc);
	EXPECT_EQ(-EINVAL, vss_event_set_break(NULL, &sb));
	vss_backup_free(b);
}

TEST_F(bk, volume_in_use)
{
	struct vss_backup *b1, *b2;
	struct vss_lun_info li;
	vss_id_t id1;

	ASSERT_EQ(0, vss_backup_new(self->ctx, &b1));
	ASSERT_EQ(0, vss_backup_set_context(b1, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b2));
	vss_backup_get_session_id(b1, &id1);
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b1, NULL));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b2, NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b1, luns[0], NULL));

	EXPECT_EQ(-EBUSY, vss_backup_add_to_snapshot_set(b2, luns[0], NULL));
	EXPECT_EQ(VSS_E_VOLUME_IN_USE, vss_ctx_last_hresult(self->ctx));
	ASSERT_NE(NULL, vss_ctx_last_error_msg(self->ctx));
	EXPECT_NE(NULL, strstr(vss_ctx_last_error_msg(self->ctx), "session"));
	ASSERT_EQ(0, vss_lun_get(self->ctx, luns[0], &li));
	EXPECT_TRUE(li.busy);
	EXPECT_TRUE(li.has_session_id);
	EXPECT_TRUE(vss_id_equal(&li.session_id, &id1));
	EXPECT_EQ(-EBUSY, vss_lun_remove(self->ctx, luns[0]));

	/* the holder goes away: the LUN is free at once */
	vss_backup_free(b1);
	ASSERT_EQ(0, vss_lun_get(self->ctx, luns[0], &li));
	EXPECT_FALSE(li.busy);
	EXPECT_EQ(0, vss_backup_add_to_snapshot_set(b2, luns[0], NULL))
		TH_LOG("%s", vss_ctx_last_error_msg(self->ctx));
	vss_backup_free(b2);
}

TEST_F(bk, cancel_while_held)
{
	struct vss_snapshot_info *snaps;
	struct vss_session_info si;
	struct vss_backup *b;
	struct vss_async *a;
	long long t0;
	uint32_t hr;
	size_t nr;
	int result;

	ASSERT_EQ(0, knob("test_hold_delay_ms", "8000"));
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[0], NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[1], NULL));
	t0 = now_ms();
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));

	EXPECT_EQ(-ETIMEDOUT, vss_async_wait(a, 300));
	EXPECT_EQ(VSS_S_ASYNC_PENDING, vss_ctx_last_hresult(self->ctx));
	ASSERT_EQ(0, vss_async_query_status(a, &hr, &result));
	EXPECT_EQ(VSS_S_ASYNC_PENDING, hr);
	EXPECT_EQ(-EINPROGRESS, result);
	/* the object refuses other calls while the set runs */
	EXPECT_EQ(-EBUSY, vss_backup_start_snapshot_set(b, NULL));
	EXPECT_EQ(VSS_E_SNAPSHOT_SET_IN_PROGRESS, vss_ctx_last_hresult(self->ctx));

	ASSERT_EQ(0, vss_async_cancel(a));
	ASSERT_EQ(0, vss_async_wait(a, 10000));
	EXPECT_LT(now_ms() - t0, 6000);		/* the hold was cut short */
	ASSERT_EQ(0, vss_async_query_status(a, &hr, &result));
	EXPECT_EQ(VSS_S_ASYNC_CANCELLED, hr);
	EXPECT_EQ(-ECANCELED, result);
	EXPECT_EQ(-EALREADY, vss_async_cancel(a));
	EXPECT_EQ(VSS_S_ASYNC_CANCELLED, vss_ctx_last_hresult(self->ctx));
	vss_async_free(a);

	ASSERT_EQ(0, vss_backup_get_status(b, &si));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_ABORTED, si.state);
	/* nothing left behind; the LUNs are writable */
	ASSERT_EQ(0, vss_snapshot_list(self->ctx, NULL, NULL, &snaps, &nr));
	EXPECT_EQ(0U, nr);
	free(snaps);
	EXPECT_EQ(0, write_block("/dev/vss-lb0", 1, 0x11));
	EXPECT_EQ(0x11, read_block("/dev/vss-lb0", 1));
	vss_backup_free(b);
}

TEST_F(bk, failure_leaves_nothing)
{
	struct vss_snapshot_info *snaps;
	struct vss_backup *b;
	struct vss_async *a;
	uint32_t hr;
	size_t nr;
	int result;

	ASSERT_EQ(0, knob("test_fail_lun", luns[1]));
	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[0], NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[1], NULL));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(0, vss_async_wait(a, 30000));
	ASSERT_EQ(0, vss_async_query_status(a, &hr, &result));
	EXPECT_EQ(-EIO, result);
	EXPECT_NE(VSS_S_ASYNC_FINISHED, hr);
	EXPECT_NE(VSS_S_ASYNC_PENDING, hr);
	ASSERT_NE(NULL, vss_ctx_last_error_msg(self->ctx));
	TH_LOG("failed set: %s (0x%08x)", vss_ctx_last_error_msg(self->ctx), hr);
	vss_async_free(a);
	vss_backup_free(b);
	ASSERT_EQ(0, vss_snapshot_list(self->ctx, NULL, NULL, &snaps, &nr));
	EXPECT_EQ(0U, nr);
	free(snaps);
}

TEST_F(bk, abort)
{
	struct vss_session_info si;
	struct vss_lun_info li;
	struct vss_backup *b;

	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[0], NULL));
	ASSERT_EQ(0, vss_backup_abort(b));
	ASSERT_EQ(0, vss_backup_get_status(b, &si));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_ABORTED, si.state);
	ASSERT_EQ(0, vss_lun_get(self->ctx, luns[0], &li));
	EXPECT_FALSE(li.busy);
	EXPECT_EQ(-EINVAL, vss_backup_start_snapshot_set(b, NULL));
	EXPECT_EQ(VSS_E_BAD_STATE, vss_ctx_last_hresult(self->ctx));
	vss_backup_free(b);
}

struct seen {
	int created;
	vss_id_t snap;
	vss_id_t session;
	bool has_session;
};

static int on_event(void *arg, const struct vss_event *ev)
{
	struct seen *s = arg;

	if (ev->type == VSS_CMD_SNAPSHOT_CREATED_NTF && ev->has_snapshot) {
		s->created++;
		s->snap = ev->snapshot.id;
		s->session = ev->snapshot.session_id;
		s->has_session = ev->snapshot.has_session_id;
	}
	return 0;
}

TEST_F(bk, events)
{
	struct seen seen = { .created = 0 };
	struct vss_backup *b;
	struct vss_async *a;
	vss_id_t sid, snap;
	long long t0;
	int fd;

	EXPECT_EQ(-ENOTCONN, vss_events_fd(self->ctx));
	ASSERT_EQ(0, vss_events_subscribe(self->ctx));
	ASSERT_EQ(0, vss_events_subscribe(self->ctx));	/* idempotent */
	fd = vss_events_fd(self->ctx);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, vss_events_dispatch(self->ctx, on_event, &seen));

	ASSERT_EQ(0, vss_backup_new(self->ctx, &b));
	ASSERT_EQ(0, vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK));
	vss_backup_get_session_id(b, &sid);
	ASSERT_EQ(0, vss_backup_start_snapshot_set(b, NULL));
	ASSERT_EQ(0, vss_backup_add_to_snapshot_set(b, luns[0], &snap));
	ASSERT_EQ(0, vss_backup_do_snapshot_set(b, &a));
	ASSERT_EQ(0, vss_async_wait(a, 30000));
	vss_async_free(a);

	t0 = now_ms();
	while (!seen.created && now_ms() - t0 < 5000) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 500) > 0)
			ASSERT_LE(0, vss_events_dispatch(self->ctx, on_event, &seen));
	}
	ASSERT_EQ(1, seen.created);
	EXPECT_TRUE(vss_id_equal(&seen.snap, &snap));
	EXPECT_TRUE(seen.has_session);
	EXPECT_TRUE(vss_id_equal(&seen.session, &sid));
	vss_backup_free(b);
}

struct thread_arg {
	struct vss_ctx *ctx;
	int rc;
	char msg[256];
};

static void *other_thread(void *p)
{
	struct thread_arg *t = p;
	struct vss_lun_info li;
	const char *m;

	t->rc = vss_lun_get(t->ctx, "nosuch", &li);
	m = vss_ctx_last_error_msg(t->ctx);
	snprintf(t->msg, sizeof(t->msg), "%s", m ? m : "");
	return NULL;
}

TEST_F(bk, errors_per_thread)
{
	struct vss_lun_params p = {
		.name = "bad", .backing = "/dev/ram0", .store = "/dev/ram2",
		.chunk_size = 12288,
	};
	struct thread_arg t = { .ctx = self->ctx };
	pthread_t th;
	const char *m;

	EXPECT_EQ(-EINVAL, vss_lun_add(self->ctx, &p, NULL));
	m = vss_ctx_last_error_msg(self->ctx);
	ASSERT_NE(NULL, m);
	EXPECT_NE(NULL, strstr(m, "power of two"));

	ASSERT_EQ(0, pthread_create(&th, NULL, other_thread, &t));
	pthread_join(th, NULL);
	EXPECT_EQ(-ENOENT, t.rc);
	EXPECT_NE(NULL, strstr(t.msg, "No such LUN"));
	/* this thread still sees its own failure */
	m = vss_ctx_last_error_msg(self->ctx);
	ASSERT_NE(NULL, m);
	EXPECT_NE(NULL, strstr(m, "power of two"));

	/* a success clears it */
	EXPECT_EQ(self->ctx, vss_ctx_ref(self->ctx));
	vss_ctx_unref(self->ctx);
	{
		struct vss_lun_info li;

		EXPECT_EQ(0, vss_lun_get(self->ctx, luns[0], &li));
		EXPECT_EQ(NULL, vss_ctx_last_error_msg(self->ctx));
	}
}

TEST_HARNESS_MAIN
