// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sqlite-writer run - the writer: registers with vss for the LUNs the
 * database lives on and answers the events with libvssctl's callback loop
 * (vss_writer_run(), CVssWriter style).
 *
 *   OnFreeze: BEGIN IMMEDIATE.  SQLite's RESERVED lock: the write
 *             transaction of any other connection has committed (its
 *             journal is gone) and no new one can start, so the file
 *             systems are frozen with the database as of its last commit
 *             and without a hot journal.  The row count is logged.
 *   OnThaw:   ROLLBACK (nothing was written): writers go on.
 *   OnAbort:  the same, if a transaction is open.
 *
 * A lock that does not come within --lock-timeout vetoes the freeze with
 * VSS_E_WRITERERROR_RETRYABLE (a long transaction is running: try later).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vssctl.h>

#include "db.h"
#include "sqlite-writer.h"

struct sqlw {
	sqlite3 *db;
	const char *table;	/* whose rows are counted at Freeze */
	struct vss_writer *w;
	long long freeze_us;	/* Freeze received; 0 when thawed */
};

static struct vss_writer *signal_writer;

static void on_signal(int sig)
{
	(void)sig;
	if (signal_writer)
		vss_writer_stop(signal_writer);
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* The log: stdout, one line per event, flushed (tests read it live). */
static void logf_(const struct vss_writer_event_info *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(const struct vss_writer_event_info *ev, const char *fmt, ...)
{
	char sid[VSS_ID_STRLEN];
	va_list ap;

	printf("sqlite-writer: %s", ev ? vss_writer_event_name(ev->type) : "-");
	if (ev)
		printf(" session %s", vss_id_to_string(&ev->session_id, sid));
	printf(": ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void set_failure(struct vss_writer_failure *f, uint32_t hr,
			int sqlite_rc, const char *msg)
{
	f->hr_writer = hr;
	f->hr_application = (uint32_t)sqlite_rc;
	snprintf(f->message, sizeof(f->message), "%s", msg);
}

static bool on_freeze(void *arg, struct vss_writer *w,
		      const struct vss_writer_event_info *ev,
		      struct vss_writer_failure *f)
{
	struct sqlw *s = arg;
	long long t0 = now_us();
	char err[512] = "";
	int64_t rows;
	int rc;

	(void)w;
	rc = db_lock(s->db, err, sizeof(err));
	if (rc != SQLITE_OK) {
		logf_(ev, "veto: %s", err);
		set_failure(f, rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
			    VSS_E_WRITERERROR_RETRYABLE :
			    VSS_E_WRITERERROR_NONRETRYABLE, rc, err);
		return false;
	}
	rc = db_count(s->db, s->table, &rows, err, sizeof(err));
	if (rc != SQLITE_OK) {
		db_unlock(s->db, NULL, 0);
		logf_(ev, "veto: %s", err);
		set_failure(f, VSS_E_WRITERERROR_NONRETRYABLE, rc, err);
		return false;
	}
	s->freeze_us = t0;
	/* the callback's instants (CLOCK_MONOTONIC us): make bench W8 */
	logf_(ev, "%" PRId64 " rows in %s, database locked in %.3f ms (at %lld us)",
	      rows, s->table, (double)(now_us() - t0) / 1000, t0);
	return true;
}

static void unlock(struct sqlw *s, const struct vss_writer_event_info *ev)
{
	long long t0 = now_us();
	char err[512] = "";

	if (db_unlock(s->db, err, sizeof(err)) != SQLITE_OK)
		logf_(ev, "%s", err);
	/* from the Freeze event to this one, as the writer saw it */
	if (s->freeze_us)
		logf_(ev, "database unlocked, Freeze->Thaw window %.3f ms (at %lld us, unlocked in %.3f ms)",
		      (double)(t0 - s->freeze_us) / 1000, t0,
		      (double)(now_us() - t0) / 1000);
	else
		logf_(ev, "database unlocked");
	s->freeze_us = 0;
}

static bool on_thaw(void *arg, struct vss_writer *w,
		    const struct vss_writer_event_info *ev,
		    struct vss_writer_failure *f)
{
	(void)w;
	(void)f;
	unlock(arg, ev);
	return true;
}

static bool on_abort(void *arg, struct vss_writer *w,
		     const struct vss_writer_event_info *ev,
		     struct vss_writer_failure *f)
{
	(void)w;
	(void)f;
	unlock(arg, ev);
	return true;
}

/* Every other event is logged and succeeds. */
static bool on_other(void *arg, struct vss_writer *w,
		     const struct vss_writer_event_info *ev,
		     struct vss_writer_failure *f)
{
	(void)arg;
	(void)w;
	(void)f;
	logf_(ev, "ok");
	return true;
}

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: sqlite-writer run --db FILE --lun LUN [--lun LUN]... [--name NAME]\n"
		"                         [--class-id UUID] [--table TABLE] [--lock-timeout MS]\n"
		"                         [--freeze-timeout MS] [--event-timeout MS]\n"
		"Registers a vss writer that holds a write transaction on the database\n"
		"from Freeze to Thaw and logs the row count of TABLE (default \"" DB_TABLE "\")\n"
		"at each Freeze.  SIGINT or SIGTERM unregisters it.\n");
}

int cmd_run(int argc, char **argv)
{
	static const struct vss_writer_ops ops = {
		.on_identify = on_other,
		.on_prepare_backup = on_other,
		.on_prepare_snapshot = on_other,
		.on_freeze = on_freeze,
		.on_thaw = on_thaw,
		.on_post_snapshot = on_other,
		.on_abort = on_abort,
		.on_backup_complete = on_other,
		.on_backup_shutdown = on_other,
		.on_pre_restore = on_other,
		.on_post_restore = on_other,
	};
	const char *luns[VSS_WRITER_MAX_LUNS];
	struct vss_writer_params params = { .name = "sqlite" };
	struct sqlw s = { .table = DB_TABLE };
	const char *dbpath = NULL, *class = NULL;
	long long lock_ms = 10000, v;
	char id[VSS_ID_STRLEN], err[512];
	struct vss_ctx *ctx = NULL;
	struct sigaction sa;
	vss_id_t class_id;
	vss_id_t inst;
	int rc, ret = 1;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			run_usage(stdout);
			return 0;
		}
		if (!val) {
			fprintf(stderr, "sqlite-writer: %s: missing value or unknown option\n", a);
			run_usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--db")) {
			dbpath = val;
		} else if (!strcmp(a, "--lun")) {
			if (params.nr_luns == VSS_WRITER_MAX_LUNS) {
				fprintf(stderr, "sqlite-writer: too many --lun\n");
				return 2;
			}
			luns[params.nr_luns++] = val;
		} else if (!strcmp(a, "--name")) {
			params.name = val;
		} else if (!strcmp(a, "--class-id")) {
			class = val;
		} else if (!strcmp(a, "--table")) {
			s.table = val;
		} else if (!strcmp(a, "--lock-timeout") &&
			   !parse_number(val, 1, 3600000, &v)) {
			lock_ms = v;
		} else if (!strcmp(a, "--freeze-timeout") &&
			   !parse_number(val, VSS_WRITER_TIMEOUT_MIN_MS,
					 VSS_WRITER_TIMEOUT_MAX_MS, &v)) {
			params.freeze_timeout_ms = (uint32_t)v;
		} else if (!strcmp(a, "--event-timeout") &&
			   !parse_number(val, VSS_WRITER_TIMEOUT_MIN_MS,
					 VSS_WRITER_TIMEOUT_MAX_MS, &v)) {
			params.event_timeout_ms = (uint32_t)v;
		} else {
			fprintf(stderr, "sqlite-writer: unknown option or bad value: %s %s\n",
				a, val);
			run_usage(stderr);
			return 2;
		}
	}
	if (!dbpath || !params.nr_luns) {
		run_usage(stderr);
		return 2;
	}
	if (class) {
		if (vss_id_from_string(class, &class_id)) {
			fprintf(stderr, "sqlite-writer: invalid class id \"%s\"\n", class);
			return 2;
		}
		params.class_id = &class_id;
	}
	params.luns = luns;

	/*
	 * The busy timeout is how long Freeze waits for a transaction of
	 * another connection to commit; it must end before the kernel's
	 * event timeout for the veto to reach it.
	 */
	rc = db_open(dbpath, (int)lock_ms, false, &s.db, err, sizeof(err));
	if (rc != SQLITE_OK) {
		fprintf(stderr, "sqlite-writer: %s\n", err);
		return 1;
	}
	rc = vss_ctx_new(&ctx);
	if (rc) {
		fprintf(stderr, "sqlite-writer: %s\n",
			vss_ctx_last_error_msg(NULL) ?: strerror(-rc));
		goto out;
	}
	rc = vss_writer_new(ctx, &params, &s.w);
	if (rc) {
		fprintf(stderr, "sqlite-writer: cannot register: %s\n",
			vss_ctx_last_error_msg(ctx) ?: strerror(-rc));
		goto out;
	}
	signal_writer = s.w;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	vss_writer_get_instance_id(s.w, &inst);
	logf_(NULL, "registered writer \"%s\" instance %s for %s", params.name,
	      vss_id_to_string(&inst, id), dbpath);
	rc = vss_writer_run(s.w, &ops, &s);
	if (rc) {
		fprintf(stderr, "sqlite-writer: %s\n",
			vss_ctx_last_error_msg(ctx) ?: strerror(-rc));
		goto out;
	}
	logf_(NULL, "stopped");
	ret = 0;
out:
	signal_writer = NULL;
	if (s.db)
		db_unlock(s.db, NULL, 0);
	vss_writer_free(s.w);
	vss_ctx_unref(ctx);
	db_close(s.db);
	return ret;
}
