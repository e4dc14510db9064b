// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests of libvssctl's argument checks and object rules, where no
 * kernel is needed:
 *  - every public function called with NULL pointers returns -EINVAL with
 *    E_INVALIDARG (0x80070057) recorded, or does nothing (the free/unref
 *    functions), or returns NULL/false (id helpers), and never crashes;
 *  - an allocation failure is recorded as E_OUTOFMEMORY (0x8007000E);
 *  - single use: once DoSnapshotSet was started on a backup-components
 *    object, StartSnapshotSet/AddToSnapshotSet/DoSnapshotSet give
 *    VSS_E_BAD_STATE (checked in the library, before any request);
 *  - the log function runs without the context's lock, so it may call
 *    back into the library (a real generic netlink socket to the host's
 *    nlctrl family plays the kernel that refuses a request).
 * Links libvssctl.a to build objects without a kernel.
 */
#include <errno.h>
#include <stdlib.h>

#include <linux/genetlink.h>

#include "tap.h"
#include "internal.h"

static struct vss_ctx fake;

static struct vss_ctx *fake_ctx(void)
{
	static bool init;

	if (!init) {
		fake.refcount = 1000;	/* never freed */
		fake.family = 0x1c;
		fake.mcgrp_events = -1;
		pthread_mutex_init(&fake.lock, NULL);
		init = true;
	}
	return &fake;
}

static struct vss_backup *fake_backup(void)
{
	struct vss_backup *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	b->ctx = fake_ctx();
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->idle, NULL);
	return b;
}

static void free_fake_backup(struct vss_backup *b)
{
	pthread_cond_destroy(&b->idle);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* The call returned -EINVAL and recorded E_INVALIDARG against @ctx. */
#define CHECK_INVAL(ctx, call)						\
	do {								\
		vss__clear_error(NULL);					\
		CHECK_EQ_INT((call), -EINVAL);				\
		CHECK_EQ_U64(vss_ctx_last_hresult(ctx),			\
			     VSS_E_INVALIDARG);				\
		CHECK(vss_ctx_last_error_msg(ctx) != NULL);		\
	} while (0)

static int no_extent(void *arg, uint64_t off, uint64_t len)
{
	(void)arg;
	(void)off;
	(void)len;
	return 0;
}

static int no_event(void *arg, const struct vss_event *ev)
{
	(void)arg;
	(void)ev;
	return 0;
}

static void test_null_ctx_functions(void)
{
	int old;

	CHECK_INVAL(NULL, vss_ctx_new(NULL));
	CHECK(strstr(vss_ctx_last_error_msg(NULL), "NULL") != NULL);
	CHECK(vss_ctx_ref(NULL) == NULL);
	CHECK(vss_ctx_unref(NULL) == NULL);
	vss_ctx_set_log_fn(NULL, NULL, NULL);
	vss_ctx_set_log_priority(NULL, LOG_DEBUG);
	CHECK_INVAL(NULL, vss_ctx_get_log_priority(NULL));
	/* on a real context they still work */
	old = vss_ctx_get_log_priority(fake_ctx());
	vss_ctx_set_log_priority(fake_ctx(), LOG_INFO);
	CHECK_EQ_INT(vss_ctx_get_log_priority(fake_ctx()), LOG_INFO);
	vss_ctx_set_log_priority(fake_ctx(), old);
	vss__clear_error(NULL);
	CHECK(vss_ctx_last_error_msg(NULL) == NULL);
	CHECK_EQ_U64(vss_ctx_last_hresult(NULL), 0);
}

static void test_null_ids_and_names(void)
{
	char buf[VSS_ID_STRLEN];
	vss_id_t id = { { 1 } };

	CHECK(vss_id_to_string(NULL, buf) == NULL);
	CHECK(vss_id_to_string(&id, NULL) == NULL);
	CHECK_EQ_INT(vss_id_from_string(NULL, &id), -EINVAL);
	CHECK_EQ_INT(vss_id_from_string("00000000-0000-0000-0000-000000000001",
					NULL), -EINVAL);
	CHECK(!vss_id_equal(NULL, &id));
	CHECK(!vss_id_equal(&id, NULL));
	CHECK(!vss_id_equal(NULL, NULL));
	CHECK_STR(vss_hresult_name(VSS_E_INVALIDARG), "E_INVALIDARG");
	CHECK_STR(vss_hresult_name(VSS_E_OUTOFMEMORY), "E_OUTOFMEMORY");
	CHECK(vss_snapshot_state_name(~0U) != NULL);
	CHECK(vss_session_state_name(~0U) != NULL);
	CHECK(vss_set_state_name(~0U) != NULL);
	CHECK(vss_event_name(~0U) != NULL);
}

static void test_null_lun(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_lun_params p = { .name = "db", .backing = "/dev/null" };
	struct vss_lun_info li, *luns;
	size_t nr;

	CHECK_INVAL(NULL, vss_lun_add(NULL, &p, NULL));
	CHECK_INVAL(ctx, vss_lun_add(ctx, NULL, NULL));
	CHECK_INVAL(ctx, vss_lun_add(ctx, &p, &li));	/* store NULL */
	p.name = NULL;
	CHECK_INVAL(ctx, vss_lun_add(ctx, &p, &li));
	CHECK_INVAL(NULL, vss_lun_remove(NULL, "db"));
	CHECK_INVAL(ctx, vss_lun_remove(ctx, NULL));
	CHECK_INVAL(NULL, vss_lun_get(NULL, "db", &li));
	CHECK_INVAL(ctx, vss_lun_get(ctx, NULL, &li));
	CHECK_INVAL(ctx, vss_lun_get(ctx, "db", NULL));
	CHECK_INVAL(NULL, vss_lun_list(NULL, &luns, &nr));
	CHECK_INVAL(ctx, vss_lun_list(ctx, NULL, &nr));
	CHECK_INVAL(ctx, vss_lun_list(ctx, &luns, NULL));
}

static void test_null_snapshot_and_session(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_snapshot_info si, *snaps;
	struct vss_session_info ss, *sessions;
	vss_id_t id = { { 1 } };
	unsigned int count;
	size_t nr;

	CHECK_INVAL(NULL, vss_snapshot_get(NULL, &id, &si));
	CHECK_INVAL(ctx, vss_snapshot_get(ctx, NULL, &si));
	CHECK_INVAL(ctx, vss_snapshot_get(ctx, &id, NULL));
	CHECK_INVAL(NULL, vss_snapshot_list(NULL, NULL, NULL, &snaps, &nr));
	CHECK_INVAL(ctx, vss_snapshot_list(ctx, NULL, NULL, NULL, &nr));
	CHECK_INVAL(ctx, vss_snapshot_list(ctx, NULL, NULL, &snaps, NULL));
	CHECK_INVAL(ctx, vss_snapshot_list(ctx, "", NULL, &snaps, &nr));
	CHECK_INVAL(NULL, vss_snapshot_delete(NULL, &id));
	CHECK_INVAL(ctx, vss_snapshot_delete(ctx, NULL));
	CHECK_INVAL(NULL, vss_snapshot_set_delete(NULL, &id));
	CHECK_INVAL(ctx, vss_snapshot_set_delete(ctx, NULL));
	CHECK_INVAL(NULL, vss_snapshot_set_break(NULL, &id, &count));
	CHECK_INVAL(ctx, vss_snapshot_set_break(ctx, NULL, &count));
	CHECK_INVAL(NULL, vss_snapshot_changes(NULL, &id, 0, NULL, no_extent,
					       NULL));
	CHECK_INVAL(ctx, vss_snapshot_changes(ctx, NULL, 0, NULL, no_extent,
					      NULL));
	CHECK_INVAL(ctx, vss_snapshot_changes(ctx, &id, 0, NULL, NULL, NULL));
	CHECK_INVAL(ctx, vss_snapshot_changes(ctx, &id, UINT64_MAX, NULL,
					      no_extent, NULL));
	CHECK_INVAL(NULL, vss_session_get(NULL, &id, &ss));
	CHECK_INVAL(ctx, vss_session_get(ctx, NULL, &ss));
	CHECK_INVAL(ctx, vss_session_get(ctx, &id, NULL));
	CHECK_INVAL(NULL, vss_session_list(NULL, &sessions, &nr));
	CHECK_INVAL(ctx, vss_session_list(ctx, NULL, &nr));
	CHECK_INVAL(ctx, vss_session_list(ctx, &sessions, NULL));
}

static void test_null_backup(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_backup *b = fake_backup(), *nb;
	struct vss_set_result *res = malloc(sizeof(*res));
	struct vss_session_info si;
	struct vss_async *a;
	vss_id_t id;

	CHECK(res != NULL);
	CHECK_INVAL(NULL, vss_backup_new(NULL, &nb));
	CHECK_INVAL(ctx, vss_backup_new(ctx, NULL));
	vss_backup_free(NULL);
	CHECK_INVAL(NULL, vss_backup_get_session_id(NULL, &id));
	CHECK_INVAL(ctx, vss_backup_get_session_id(b, NULL));
	CHECK_INVAL(NULL, vss_backup_get_status(NULL, &si));
	CHECK_INVAL(ctx, vss_backup_get_status(b, NULL));
	CHECK_INVAL(NULL, vss_backup_start_snapshot_set(NULL, &id));
	CHECK_INVAL(NULL, vss_backup_break_snapshot_set(NULL, &id, NULL));
	CHECK_INVAL(ctx, vss_backup_break_snapshot_set(b, NULL, NULL));
	CHECK_INVAL(NULL, vss_backup_add_to_snapshot_set(NULL, "db", NULL));
	CHECK_INVAL(ctx, vss_backup_add_to_snapshot_set(b, NULL, NULL));
	CHECK_INVAL(NULL, vss_backup_do_snapshot_set(NULL, &a));
	CHECK_INVAL(ctx, vss_backup_do_snapshot_set(b, NULL));
	CHECK_INVAL(NULL, vss_backup_get_set_result(NULL, res));
	CHECK_INVAL(ctx, vss_backup_get_set_result(b, NULL));
	CHECK_INVAL(NULL, vss_backup_complete(NULL));
	CHECK_INVAL(NULL, vss_backup_abort(NULL));
	/* the session id is returned without a kernel */
	b->session_id.b[0] = 0x5a;
	CHECK_EQ_INT(vss_backup_get_session_id(b, &id), 0);
	CHECK_EQ_INT(id.b[0], 0x5a);
	free_fake_backup(b);
	free(res);
}

static void test_null_async_and_events(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_async a = { .ctx = ctx, .done = true };
	struct vss_set_break_event sb;
	struct vss_event ev = { .type = VSS_CMD_SET_BREAK_NTF };
	uint32_t hr;
	int result;

	CHECK_INVAL(NULL, vss_async_wait(NULL, 0));
	CHECK_INVAL(NULL, vss_async_cancel(NULL));
	CHECK_INVAL(NULL, vss_async_query_status(NULL, &hr, &result));
	CHECK_INVAL(ctx, vss_async_query_status(&a, NULL, &result));
	/* the optional result may be NULL */
	CHECK_EQ_INT(vss_async_query_status(&a, &hr, NULL), 0);
	CHECK_EQ_U64(hr, VSS_S_ASYNC_FINISHED);
	vss_async_free(NULL);
	CHECK_EQ_INT(vss_event_set_break(NULL, &sb), -EINVAL);
	CHECK_EQ_INT(vss_event_set_break(&ev, NULL), -EINVAL);
	CHECK_INVAL(NULL, vss_events_subscribe(NULL));
	CHECK_INVAL(NULL, vss_events_fd(NULL));
	CHECK_EQ_INT(vss_events_fd(ctx), -ENOTCONN);
	CHECK_INVAL(NULL, vss_events_dispatch(NULL, no_event, NULL));
	CHECK_INVAL(ctx, vss_events_dispatch(ctx, NULL, NULL));
}

/* The writer calls (LIBVSSCTL_1.3) with NULL pointers. */
static void test_null_writers(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_backup *b = fake_backup();
	struct vss_writer_params p = { .name = "w" };
	struct vss_writer_event_info ev;
	struct vss_writer_status *wl;
	struct vss_writer_ops ops = { 0 };
	struct vss_writer *w;
	struct vss_async *a;
	vss_id_t id, cls;
	unsigned int n;
	uint32_t st, hrw;
	char *name;
	size_t nr;

	CHECK_INVAL(NULL, vss_writer_list(NULL, &wl, &nr));
	CHECK_INVAL(ctx, vss_writer_list(ctx, NULL, &nr));
	CHECK_INVAL(ctx, vss_writer_list(ctx, &wl, NULL));
	CHECK_INVAL(ctx, vss_session_writer_status(ctx, NULL, &wl, &nr));
	CHECK_INVAL(NULL, vss_writer_new(NULL, &p, &w));
	CHECK_INVAL(ctx, vss_writer_new(ctx, NULL, &w));
	CHECK_INVAL(ctx, vss_writer_new(ctx, &p, NULL));
	/* no LUN */
	CHECK_INVAL(ctx, vss_writer_new(ctx, &p, &w));
	vss_writer_free(NULL);
	CHECK_INVAL(NULL, vss_writer_get_instance_id(NULL, &id));
	CHECK_INVAL(NULL, vss_writer_fd(NULL));
	CHECK_INVAL(NULL, vss_writer_set_metadata(NULL, "x", 1));
	CHECK_INVAL(NULL, vss_writer_next_event(NULL, &ev, 0));
	CHECK_INVAL(NULL, vss_writer_reply(NULL, &ev, NULL));
	CHECK_INVAL(NULL, vss_writer_dispatch(NULL, &ops, NULL, 0));
	CHECK_INVAL(NULL, vss_writer_run(NULL, &ops, NULL));
	CHECK_EQ_INT(vss_writer_stop(NULL), -EINVAL);
	CHECK_INVAL(NULL, vss_backup_disable_writer_classes(NULL, &id, 1));
	CHECK_INVAL(ctx, vss_backup_disable_writer_classes(b, NULL, 1));
	CHECK_INVAL(ctx, vss_backup_enable_writer_classes(b, &id, 0));
	CHECK_INVAL(ctx, vss_backup_disable_writer_instances(b, NULL, 1));
	CHECK_INVAL(NULL, vss_backup_set_writers(NULL, false));
	CHECK_INVAL(NULL, vss_backup_gather_writer_metadata(NULL, &a));
	CHECK_INVAL(ctx, vss_backup_gather_writer_metadata(b, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_metadata_count(b, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_metadata(b, 0, NULL, NULL, NULL));
	CHECK_INVAL(NULL, vss_backup_prepare_for_backup(NULL, &a));
	CHECK_INVAL(ctx, vss_backup_prepare_for_backup(b, NULL));
	CHECK_INVAL(NULL, vss_backup_gather_writer_status(NULL, &a));
	CHECK_INVAL(ctx, vss_backup_gather_writer_status(b, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_status_count(b, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_statuses(b, NULL, &nr));
	CHECK_INVAL(NULL, vss_backup_free_writer_status(NULL));
	/* GetWriterStatusEx: each required out parameter */
	CHECK_INVAL(NULL, vss_backup_get_writer_status_ex(NULL, 0, &id, &cls,
			&name, &st, &hrw, NULL, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_status_ex(b, 0, NULL, &cls,
			&name, &st, &hrw, NULL, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_status_ex(b, 0, &id, NULL,
			&name, &st, &hrw, NULL, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_status_ex(b, 0, &id, &cls,
			NULL, &st, &hrw, NULL, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_status_ex(b, 0, &id, &cls,
			&name, NULL, &hrw, NULL, NULL));
	CHECK_INVAL(ctx, vss_backup_get_writer_status_ex(b, 0, &id, &cls,
			&name, &st, NULL, NULL, NULL));
	/* nothing gathered: VSS_E_BAD_STATE; a restore object likewise */
	CHECK_EQ_INT(vss_backup_get_writer_status_count(b, &n), -EINVAL);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_BAD_STATE);
	b->has_status = true;
	b->restore = true;
	CHECK_EQ_INT(vss_backup_get_writer_status_ex(b, 0, &id, &cls, &name,
						     &st, &hrw, NULL, NULL),
		     -EINVAL);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_BAD_STATE);
	b->restore = false;
	CHECK_EQ_INT(vss_backup_get_writer_status_ex(b, 0, &id, &cls, &name,
						     &st, &hrw, NULL, NULL),
		     -ENOENT);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_OBJECT_NOT_FOUND);
	free_fake_backup(b);
}

/* An allocation failure is E_OUTOFMEMORY, unless a precise code is given. */
static void test_oom_hresult(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_req r = { .msg = NULL, .error = -ENOMEM };

	CHECK_EQ_INT(vss__set_error(ctx, -ENOMEM, 0, NULL), -ENOMEM);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_OUTOFMEMORY);
	vss__set_error(ctx, -ENOMEM, VSS_E_INSUFFICIENT_STORAGE, "x");
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_INSUFFICIENT_STORAGE);
	vss__set_error(ctx, -EIO, 0, "x");
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), 0);
	/* a request that could not be allocated */
	CHECK_EQ_INT(vss__request_on(ctx, NULL, &r, NULL, NULL), -ENOMEM);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_OUTOFMEMORY);
}

/* Single use: the library refuses a second set on the same object. */
static void test_single_use(void)
{
	struct vss_ctx *ctx = fake_ctx();
	struct vss_backup *b = fake_backup();
	struct vss_async *a = NULL, running = { .ctx = ctx };
	vss_id_t id;

	b->has_set = true;
	b->did_set = true;
	vss__clear_error(NULL);
	CHECK_EQ_INT(vss_backup_start_snapshot_set(b, &id), -EINVAL);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_BAD_STATE);
	CHECK(vss_ctx_last_error_msg(ctx) &&
	      strstr(vss_ctx_last_error_msg(ctx), "one operation"));
	CHECK_EQ_INT(vss_backup_add_to_snapshot_set(b, "db", NULL), -EINVAL);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_BAD_STATE);
	CHECK_EQ_INT(vss_backup_do_snapshot_set(b, &a), -EINVAL);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_BAD_STATE);
	CHECK(a == NULL);
	/* while DoSnapshotSet runs, "in progress" is the answer */
	b->running = &running;
	CHECK_EQ_INT(vss_backup_start_snapshot_set(b, &id), -EBUSY);
	CHECK_EQ_U64(vss_ctx_last_hresult(ctx), VSS_E_SNAPSHOT_SET_IN_PROGRESS);
	b->running = NULL;
	free_fake_backup(b);
}

/* ---- the log function runs unlocked and may call the library ---- */

static struct {
	struct vss_ctx *ctx;
	int calls;
	int locked;		/* calls that found the context locked */
	int nested_rc;
} logged;

static void log_reenter(void *data, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
	logged.calls++;
	if (pthread_mutex_trylock(&logged.ctx->lock)) {
		logged.locked++;
		return;		/* calling in would deadlock */
	}
	pthread_mutex_unlock(&logged.ctx->lock);
	if (logged.calls == 1) {
		/* a request from inside the log function */
		struct vss_req r = vss__req_new(logged.ctx, CTRL_CMD_GETFAMILY,
						0);

		logged.nested_rc = vss__request(logged.ctx, &r, NULL, NULL);
	}
}

static void test_log_fn_unlocked(void)
{
	struct vss_ctx ctx = { .refcount = 1, .family = GENL_ID_CTRL };
	struct vss_req r;
	int rc;

	pthread_mutex_init(&ctx.lock, NULL);
	rc = vss__sock_open(&ctx, &ctx.req);
	CHECK_EQ_INT(rc, 0);
	if (rc) {
		printf("#   no generic netlink socket: %s\n", strerror(-rc));
		return;
	}
	ctx.log_fn = log_reenter;
	ctx.log_priority = LOG_DEBUG;
	logged.ctx = &ctx;
	/* nlctrl refuses GETFAMILY without a family: a logged failure */
	r = vss__req_new(&ctx, CTRL_CMD_GETFAMILY, 0);
	rc = vss__request(&ctx, &r, NULL, NULL);
	CHECK(rc < 0);
	CHECK(logged.calls >= 2);	/* the outer and the nested failure */
	CHECK_EQ_INT(logged.locked, 0);
	CHECK(logged.nested_rc < 0);
	vss__sock_close(ctx.req);
	pthread_mutex_destroy(&ctx.lock);
}

int main(void)
{
	RUN(test_null_ctx_functions);
	RUN(test_null_ids_and_names);
	RUN(test_null_lun);
	RUN(test_null_snapshot_and_session);
	RUN(test_null_backup);
	RUN(test_null_async_and_events);
	RUN(test_null_writers);
	RUN(test_oom_hresult);
	RUN(test_single_use);
	RUN(test_log_fn_unlocked);
	return tap_done();
}
