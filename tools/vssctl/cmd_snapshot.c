// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl snapshot - snapshot sets, Query, DeleteSnapshots, changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/*
 * Progress of "snapshot create" on a terminal: freezing filesystems and
 * draining I/O on many LUNs can take a while.
 */
static bool progress_shown;

static void progress(int nluns, long long elapsed_ms)
{
	if (pr_is_json() || !isatty(fileno(stderr)))
		return;
	progress_shown = true;
	fprintf(stderr, "\r\033[Kvssctl: taking a snapshot set of %d LUN%s... %lld.%llds",
		nluns, nluns == 1 ? "" : "s", elapsed_ms / 1000,
		(elapsed_ms % 1000) / 100);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void progress_done(void)
{
	if (progress_shown)
		fprintf(stderr, "\r\033[K");
	progress_shown = false;
}

/* A writer's failure code: the set failed because of a writer. */
static bool is_writer_failure(uint32_t hr)
{
	return (hr >= VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT &&
		hr <= VSS_E_WRITERERROR_RECOVERY_FAILED) ||
	       hr == VSS_E_WRITER_NOT_RESPONDING ||
	       hr == VSS_E_WRITERERROR_PARTIAL_FAILURE;
}

/*
 * Runs a writer phase of the requester (GatherWriterMetadata,
 * PrepareForBackup, GatherWriterStatus) to its end: the kernel bounds
 * each by the writers' event timeouts.  Return: 0 or -errno, with *hr.
 */
static int writer_phase(int (*start)(struct vss_backup *, struct vss_async **),
			struct vss_backup *b, uint32_t *hr)
{
	struct vss_async *a = NULL;
	int rc, result;

	*hr = 0;
	rc = start(b, &a);
	if (rc)
		return rc;
	vss_async_wait(a, -1);
	vss_async_query_status(a, hr, &result);
	vss_async_free(a);
	return result;
}

/* A writer of the set: one of its LUNs is in it, or it failed. */
static bool writer_involved(const struct vss_writer_status *w,
			    const char *const *luns, int nluns)
{
	if (w->hr_writer)
		return true;
	for (size_t i = 0; i < w->nr_luns; i++)
		for (int k = 0; k < nluns; k++)
			if (!strcmp(w->luns[i], luns[k]))
				return true;
	return false;
}

/*
 * The statuses of the writers involved in the set (every registered
 * writer got Identify; those of other LUNs are left out); NULL/0 if they
 * cannot be read.
 */
static void gather_writers(struct vss_backup *b, const char *const *luns,
			   int nluns, struct vss_writer_status **ws, size_t *nr)
{
	size_t n = 0;
	uint32_t hr;

	*ws = NULL;
	*nr = 0;
	if (writer_phase(vss_backup_gather_writer_status, b, &hr) ||
	    vss_backup_get_writer_statuses(b, ws, nr)) {
		fprintf(stderr, "vssctl: snapshot create: writer status: %s\n",
			vss_ctx_last_error_msg(get_ctx()) ?: "unavailable");
		*ws = NULL;
		*nr = 0;
		return;
	}
	for (size_t i = 0; i < *nr; i++)
		if (writer_involved(&(*ws)[i], luns, nluns))
			(*ws)[n++] = (*ws)[i];
	*nr = n;
}

static void print_writers(const struct vss_writer_status *ws, size_t nr)
{
	pr_open_array("writers");
	for (size_t i = 0; i < nr; i++) {
		pr_text("writer ");
		print_writer_status(NULL, &ws[i]);
	}
	pr_close_array();
}

/*
 * A set that failed: the writers' statuses say which one vetoed and why
 * (JSON: an object with no "snapshots"; the exit code tells the failure).
 */
static void print_failed_set(const vss_id_t *session_id,
			     const struct vss_writer_status *ws, size_t nr)
{
	char sid[VSS_ID_STRLEN];

	if (!nr)
		return;
	pr_open_object(NULL);
	pr_string("session_id", "session %s\n",
		  vss_id_to_string(session_id, sid));
	print_writers(ws, nr);
	pr_close_object();
}

static int snapshot_create(int argc, char **argv)
{
	const char *timeout = NULL;
	bool no_writers = false;
	const struct opt opts[] = {
		{ "timeout", true, &timeout, NULL },
		{ "no-writers", false, NULL, &no_writers },
		{ NULL, false, NULL, NULL },
	};
	struct vss_writer_status *ws = NULL;
	size_t nws = 0;
	const char *pos[VSS_SET_MAX_LUNS];
	struct vss_set_result *res = NULL;
	struct vss_backup *b = NULL;
	struct vss_async *a = NULL;
	char sid[VSS_ID_STRLEN];
	struct vss_ctx *ctx;
	vss_id_t session_id;
	int timeout_ms = -1;
	int npos, rc, result;
	long long t0;
	uint32_t hr;

	npos = parse_opts(argc, argv, opts, pos, VSS_SET_MAX_LUNS);
	if (npos < 1) {
		fprintf(stderr, "Usage: vssctl snapshot create NAME [NAME...] [--timeout SECONDS] [--no-writers]\n");
		return VSSCTL_EXIT_USAGE;
	}
	if (timeout) {
		char *end;
		long v = strtol(timeout, &end, 10);

		if (*end || end == timeout || v <= 0 || v > 86400) {
			fprintf(stderr, "vssctl: invalid timeout \"%s\"\n", timeout);
			return VSSCTL_EXIT_USAGE;
		}
		timeout_ms = (int)v * 1000;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();

	res = malloc(sizeof(*res));
	if (!res)
		return report_error("snapshot create", -ENOMEM);
	rc = vss_backup_new(ctx, &b);
	if (rc) {
		rc = report_error("snapshot create: new session", rc);
		goto out;
	}
	vss_backup_get_session_id(b, &session_id);
	/* a CLI's snapshots must outlive it: persistent, not auto-release */
	rc = vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK);
	if (rc) {
		rc = report_error("snapshot create: SetContext", rc);
		goto out;
	}
	if (no_writers) {
		rc = vss_backup_set_writers(b, false);
		if (rc) {
			rc = report_error("snapshot create: --no-writers", rc);
			goto out;
		}
	} else {
		/* GatherWriterMetadata: every writer gets Identify */
		rc = writer_phase(vss_backup_gather_writer_metadata, b, &hr);
		if (rc) {
			rc = report_error("snapshot create: gather writer metadata", rc);
			goto out;
		}
	}
	rc = vss_backup_start_snapshot_set(b, NULL);
	if (rc) {
		rc = report_error("snapshot create: start set", rc);
		goto out;
	}
	for (int i = 0; i < npos; i++) {
		rc = vss_backup_add_to_snapshot_set(b, pos[i], NULL);
		if (rc) {
			char what[64];

			snprintf(what, sizeof(what), "snapshot create: add %s",
				 pos[i]);
			rc = report_error(what, rc);
			goto out;
		}
	}
	if (!no_writers) {
		/* PrepareForBackup: the writers with a LUN in the set */
		rc = writer_phase(vss_backup_prepare_for_backup, b, &hr);
		if (rc) {
			rc = report_error("snapshot create: prepare for backup", rc);
			if (is_writer_failure(hr))
				rc = VSSCTL_EXIT_WRITER;
			gather_writers(b, pos, npos, &ws, &nws);
			print_failed_set(&session_id, ws, nws);
			goto out;
		}
	}
	t0 = now_ms();
	rc = vss_backup_do_snapshot_set(b, &a);
	if (rc) {
		rc = report_error("snapshot create", rc);
		goto out;
	}
	/* wait in steps to show progress; cancel at the timeout */
	while (vss_async_wait(a, 100) == -ETIMEDOUT) {
		long long elapsed = now_ms() - t0;

		if (timeout_ms > 0 && elapsed >= timeout_ms) {
			vss_async_cancel(a);
			vss_async_wait(a, -1);
			break;
		}
		progress(npos, elapsed);
	}
	progress_done();
	vss_async_query_status(a, &hr, &result);
	if (result) {
		rc = report_error(hr == VSS_S_ASYNC_CANCELLED && timeout_ms > 0 ?
				  "snapshot create: timed out" :
				  "snapshot create", result);
		if (hr == VSS_S_ASYNC_CANCELLED)
			rc = VSSCTL_EXIT_TIMEOUT;
		else if (is_writer_failure(hr))
			rc = VSSCTL_EXIT_WRITER;
		if (!no_writers) {
			gather_writers(b, pos, npos, &ws, &nws);
			print_failed_set(&session_id, ws, nws);
		}
		goto out;
	}
	rc = vss_backup_get_set_result(b, res);
	if (rc) {
		rc = report_error("snapshot create", rc);
		goto out;
	}
	/* nothing is copied here: the backup is complete (writers are told) */
	rc = vss_backup_complete(b);
	if (rc) {
		rc = report_error("snapshot create: backup complete", rc);
		goto out;
	}
	if (!no_writers)
		gather_writers(b, pos, npos, &ws, &nws);

	pr_open_object(NULL);
	pr_string("set_id", "set %s\n", vss_id_to_string(&res->set_id, sid));
	pr_string("session_id", "session %s\n",
		  vss_id_to_string(&session_id, sid));
	pr_u64("hold_us", "hold_us %" PRIu64 "\n", res->hold_us);
	pr_open_array("snapshots");
	for (size_t i = 0; i < res->nr_members; i++) {
		const struct vss_set_member *m = &res->members[i];
		struct vss_snapshot_info si;

		pr_text("snapshot ");
		if (vss_snapshot_get(ctx, &m->snapshot_id, &si) == 0) {
			print_snapshot(NULL, &si);
			continue;
		}
		/* deleted meanwhile (store full?): print what the set said */
		pr_open_object(NULL);
		pr_string("id", "%s", vss_id_to_string(&m->snapshot_id, sid));
		pr_string("set_id", " set %s",
			  vss_id_to_string(&res->set_id, sid));
		pr_string("lun", " lun %s", m->lun);
		pr_string("device", " device %s\n", m->device);
		pr_close_object();
	}
	pr_close_array();
	print_writers(ws, nws);
	pr_close_object();
	rc = VSSCTL_EXIT_OK;
out:
	vss_async_free(a);
	vss_backup_free(b);
	free(ws);
	free(res);
	return rc;
}

static int snapshot_list(int argc, char **argv)
{
	const char *lun = NULL, *set = NULL;
	const struct opt opts[] = {
		{ "lun", true, &lun, NULL },
		{ "set", true, &set, NULL },
		{ NULL, false, NULL, NULL },
	};
	struct vss_snapshot_info *snaps;
	struct vss_ctx *ctx;
	vss_id_t set_id;
	size_t nr;
	int rc;

	if (parse_opts(argc, argv, opts, NULL, 0) < 0) {
		fprintf(stderr, "Usage: vssctl snapshot list [--lun NAME] [--set SETID]\n");
		return VSSCTL_EXIT_USAGE;
	}
	if (set && (rc = parse_id_arg("snapshot list", set, &set_id)))
		return rc;
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_snapshot_list(ctx, lun, set ? &set_id : NULL, &snaps, &nr);
	if (rc)
		return report_error("snapshot list", rc);
	pr_open_array(NULL);
	for (size_t i = 0; i < nr; i++)
		print_snapshot(NULL, &snaps[i]);
	pr_close_array();
	free(snaps);
	return VSSCTL_EXIT_OK;
}

static int snapshot_show(int argc, char **argv)
{
	struct vss_snapshot_info si;
	struct vss_ctx *ctx;
	const char *pos[1];
	vss_id_t id;
	int rc;

	if (parse_opts(argc, argv, NULL, pos, 1) != 1) {
		fprintf(stderr, "Usage: vssctl snapshot show ID\n");
		return VSSCTL_EXIT_USAGE;
	}
	rc = parse_id_arg("snapshot show", pos[0], &id);
	if (rc)
		return rc;
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_snapshot_get(ctx, &id, &si);
	if (rc)
		return report_error("snapshot show", rc);
	print_snapshot(NULL, &si);
	return VSSCTL_EXIT_OK;
}

static int snapshot_delete(int argc, char **argv)
{
	const char *set = NULL;
	const struct opt opts[] = {
		{ "set", true, &set, NULL },
		{ NULL, false, NULL, NULL },
	};
	struct vss_ctx *ctx;
	const char *pos[1];
	vss_id_t id;
	int npos, rc;

	npos = parse_opts(argc, argv, opts, pos, 1);
	if (npos < 0 || (npos == 1) == !!set) {
		fprintf(stderr, "Usage: vssctl snapshot delete ID | --set SETID\n");
		return VSSCTL_EXIT_USAGE;
	}
	rc = parse_id_arg("snapshot delete", set ? set : pos[0], &id);
	if (rc)
		return rc;
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = set ? vss_snapshot_set_delete(ctx, &id) :
		   vss_snapshot_delete(ctx, &id);
	if (rc)
		return report_error("snapshot delete", rc);
	return VSSCTL_EXIT_OK;
}

static int snapshot_break(int argc, char **argv)
{
	const char *set = NULL;
	const struct opt opts[] = {
		{ "set", true, &set, NULL },
		{ NULL, false, NULL, NULL },
	};
	char sid[VSS_ID_STRLEN];
	unsigned int count = 0;
	struct vss_ctx *ctx;
	vss_id_t id;
	int rc;

	if (parse_opts(argc, argv, opts, NULL, 0) != 0 || !set) {
		fprintf(stderr, "Usage: vssctl snapshot break --set SETID\n");
		return VSSCTL_EXIT_USAGE;
	}
	rc = parse_id_arg("snapshot break", set, &id);
	if (rc)
		return rc;
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_snapshot_set_break(ctx, &id, &count);
	if (rc)
		return report_error("snapshot break", rc);
	pr_open_object(NULL);
	pr_string("set_id", "set %s", vss_id_to_string(&id, sid));
	pr_u64("released", " broken, %" PRIu64 " snapshots released\n", count);
	pr_close_object();
	return VSSCTL_EXIT_OK;
}

/* The whole of @from (rewound) to @to; 0 or -1. */
static int copy_file(FILE *from, FILE *to)
{
	char buf[65536];
	size_t n;

	if (fflush(from) || fseek(from, 0, SEEK_SET))
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			return -1;
	return ferror(from) ? -1 : 0;
}

struct changes_out {
	uint64_t total;
	uint64_t count;
};

static int print_extent(void *arg, uint64_t offset, uint64_t length)
{
	struct changes_out *c = arg;

	pr_open_object(NULL);
	pr_u64("offset", "%" PRIu64, offset);
	pr_u64("length", " %" PRIu64 "\n", length);
	pr_close_object();
	c->total += length;
	c->count++;
	return 0;
}

static int snapshot_changes(int argc, char **argv)
{
	const char *from = NULL;
	const struct opt opts[] = {
		{ "from", true, &from, NULL },
		{ NULL, false, NULL, NULL },
	};
	struct changes_out c = { 0 };
	FILE *json = NULL, *out = NULL;
	char sid[VSS_ID_STRLEN];
	uint64_t start = 0;
	uint32_t chunk = 0;
	struct vss_ctx *ctx;
	const char *pos[1];
	vss_id_t id;
	int rc;

	if (parse_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "Usage: vssctl snapshot changes ID [--from OFFSET]\n");
		return VSSCTL_EXIT_USAGE;
	}
	rc = parse_id_arg("snapshot changes", pos[0], &id);
	if (rc)
		return rc;
	if (from && parse_size(from, &start)) {
		fprintf(stderr, "vssctl: invalid offset \"%s\"\n", from);
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	/*
	 * An incremental backup reads this list as "everything that
	 * changed": a failure must never look like a short or empty list.
	 * In JSON the document goes to a temporary file (a LUN can have
	 * millions of extents: not to memory) and reaches stdout only once
	 * the walk succeeded; on a failure stdout stays empty.  Text is
	 * printed as it arrives, and the exit code tells.
	 */
	if (pr_is_json()) {
		json = tmpfile();
		if (!json)
			return report_error("snapshot changes: temporary file",
					    -errno);
		out = pr_redirect(json);
	}
	pr_open_object(NULL);
	pr_string("id", NULL, vss_id_to_string(&id, sid));
	pr_open_array("extents");
	rc = vss_snapshot_changes(ctx, &id, start, &chunk, print_extent, &c);
	pr_close_array();
	if (rc >= 0) {
		pr_u64("chunk_size", NULL, chunk);
		pr_u64("extent_count", NULL, c.count);
		pr_u64("changed_bytes", NULL, c.total);
	}
	pr_close_object();
	if (json) {
		int copied = rc >= 0 ? copy_file(json, out) : -1;

		pr_redirect(out);
		fclose(json);
		if (rc >= 0 && copied) {
			pr_discard();
			fprintf(stderr, "vssctl: snapshot changes: cannot write the output\n");
			return VSSCTL_EXIT_FAIL;
		}
		if (rc < 0)
			pr_discard();	/* not even the closing newline */
	}
	if (rc < 0)
		return report_error("snapshot changes", rc);
	return VSSCTL_EXIT_OK;
}

static const struct cmd snapshot_cmds[] = {
	{ "create", snapshot_create, "create NAME [NAME...] [--timeout SECONDS] [--no-writers]" },
	{ "list", snapshot_list, "list [--lun NAME] [--set SETID]" },
	{ "show", snapshot_show, "show ID" },
	{ "delete", snapshot_delete, "delete ID | --set SETID" },
	{ "break", snapshot_break, "break --set SETID" },
	{ "changes", snapshot_changes, "changes ID [--from OFFSET]" },
	{ NULL, NULL, NULL },
};

int do_snapshot(int argc, char **argv)
{
	return dispatch("snapshot", snapshot_cmds, argc, argv);
}
