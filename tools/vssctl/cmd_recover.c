// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl recover - LUN resync from a recovery set, in one restore session:
 * InitializeForRestore, AddSnapshotToRecoverySet for each argument, then
 * RecoverSet.  A snapshot without a destination reverts its own LUN online
 * (the LUN reads as the snapshot when the command returns); SNAPSHOT=DEST
 * copies it onto DEST.  --keep-current first takes a snapshot set of the
 * LUNs about to be reverted, so that the revert can be undone with one
 * more "vssctl recover".  --wait follows the resyncs to their end with a
 * progress bar (or JSON progress lines); without it the resyncs go on in
 * the kernel ("vssctl resync wait|cancel DEST").
 *
 * RecoverSet first sends PreRestore to the writers of the LUNs it writes:
 * a veto starts nothing.  The involved writers' statuses are printed
 * ("writers"), as snapshot create does; PostRestore's outcome comes later
 * (after the resyncs end) and shows in "vssctl writer list".
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "resync.h"

/**
 * struct member - one SNAPSHOT_ID[=DEST] argument
 * @arg: as given
 * @id: the snapshot
 * @dest: the destination, NULL for the snapshot's own LUN
 * @lun: the snapshot's LUN (known after vss_snapshot_get())
 * @keep: the protected LUN whose current state --keep-current keeps, or ""
 * @key: what finds its resync afterwards: the LUN name for a revert, the
 *	destination with symbolic links resolved ("/dev/disk/by-id/x" ->
 *	"/dev/sdb": the kernel names a resync by its disk)
 */
struct member {
	const char *arg;
	vss_id_t id;
	const char *dest;
	char key[PATH_MAX];
	char lun[VSS_LUN_NAME_MAX + 1];
	char keep[VSS_LUN_NAME_MAX + 1];
};

struct recover {
	struct member m[VSS_SET_MAX_LUNS];
	size_t nr;
	struct vss_set_result *kept;	/* --keep-current: the set taken */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* "ID" or "ID=DEST"; 0 or an exit code after printing the problem. */
static int parse_member(const char *arg, struct member *m)
{
	const char *eq = strchr(arg, '=');
	char id[VSS_ID_STRLEN + 1];
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

	memset(m, 0, sizeof(*m));
	m->arg = arg;
	if (n < sizeof(id)) {
		memcpy(id, arg, n);
		id[n] = '\0';
	}
	if (n >= sizeof(id) || vss_id_from_string(id, &m->id)) {
		fprintf(stderr, "vssctl: recover: invalid snapshot id in \"%s\" (expected SNAPSHOT_ID or SNAPSHOT_ID=DEST, the id as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n",
			arg);
		return VSSCTL_EXIT_USAGE;
	}
	if (eq) {
		if (!eq[1]) {
			fprintf(stderr, "vssctl: recover: empty destination in \"%s\" (SNAPSHOT_ID=DEST: a LUN name or a block device; SNAPSHOT_ID alone reverts the snapshot's own LUN)\n",
				arg);
			return VSSCTL_EXIT_USAGE;
		}
		m->dest = eq + 1;
	}
	return 0;
}

/* The protected LUN a destination names ("db", "/dev/vss-db"), or NULL. */
static const char *dest_lun(struct vss_ctx *ctx, const char *dest,
			    struct vss_lun_info *li)
{
	static const char prefix[] = "/dev/vss-";
	const char *name = dest;

	if (!strncmp(dest, prefix, sizeof(prefix) - 1))
		name = dest + sizeof(prefix) - 1;
	else if (strchr(dest, '/'))
		return NULL;
	return vss_lun_get(ctx, name, li) ? NULL : li->name;
}

/*
 * --keep-current: a snapshot set of every protected LUN about to change,
 * taken before the restore session starts (the set freezes file systems
 * and holds I/O as "snapshot create" does).
 */
static int keep_current(struct vss_ctx *ctx, struct recover *r)
{
	const char *luns[VSS_SET_MAX_LUNS];
	struct vss_backup *b = NULL;
	struct vss_async *a = NULL;
	size_t n = 0;
	int rc, result;
	uint32_t hr;

	for (size_t i = 0; i < r->nr; i++) {
		struct member *m = &r->m[i];
		struct vss_snapshot_info si;
		struct vss_lun_info li;
		const char *l;
		bool dup = false;

		if (m->dest) {
			l = dest_lun(ctx, m->dest, &li);
			if (!l) {
				fprintf(stderr, "vssctl: recover: --keep-current: %s is not a protected LUN, its current state cannot be kept as a snapshot\n",
					m->dest);
				return VSSCTL_EXIT_USAGE;
			}
		} else {
			char what[96];

			rc = vss_snapshot_get(ctx, &m->id, &si);
			if (rc) {
				snprintf(what, sizeof(what), "recover: snapshot %.40s", m->arg);
				return report_error(what, rc);
			}
			l = si.lun;
		}
		snprintf(m->keep, sizeof(m->keep), "%s", l);
		for (size_t j = 0; j < n; j++)
			dup |= !strcmp(luns[j], m->keep);
		if (!dup)
			luns[n++] = m->keep;
	}

	r->kept = calloc(1, sizeof(*r->kept));
	if (!r->kept)
		return report_error("recover: --keep-current", -ENOMEM);
	rc = vss_backup_new(ctx, &b);
	/* the kept set must outlive vssctl: persistent, not auto-release */
	if (!rc)
		rc = vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK);
	if (!rc)
		rc = vss_backup_start_snapshot_set(b, NULL);
	for (size_t i = 0; !rc && i < n; i++)
		rc = vss_backup_add_to_snapshot_set(b, luns[i], NULL);
	if (!rc)
		rc = vss_backup_do_snapshot_set(b, &a);
	if (rc) {
		rc = report_error("recover: --keep-current: snapshot of the current state", rc);
		goto out;
	}
	vss_async_wait(a, -1);
	vss_async_query_status(a, &hr, &result);
	if (result) {
		rc = report_error("recover: --keep-current: snapshot of the current state", result);
		goto out;
	}
	rc = vss_backup_get_set_result(b, r->kept);
	if (!rc)
		rc = vss_backup_complete(b);
	if (rc)
		rc = report_error("recover: --keep-current: snapshot of the current state", rc);
out:
	vss_async_free(a);
	vss_backup_free(b);
	if (rc) {
		free(r->kept);
		r->kept = NULL;
	}
	return rc;
}

/* The kept snapshots: {"kept": [snapshot...]}; text "kept ID ..." lines. */
static void print_kept(struct vss_ctx *ctx, const struct recover *r)
{
	char id[VSS_ID_STRLEN];

	if (!r->kept)
		return;
	pr_string("kept_set_id", "kept the current state as set %s\n",
		  vss_id_to_string(&r->kept->set_id, id));
	pr_open_array("kept");
	for (size_t i = 0; i < r->kept->nr_members; i++) {
		const struct vss_set_member *km = &r->kept->members[i];
		struct vss_snapshot_info si;

		pr_text("kept ");
		if (vss_snapshot_get(ctx, &km->snapshot_id, &si) == 0) {
			print_snapshot(NULL, &si);
			continue;
		}
		pr_open_object(NULL);
		pr_string("id", "%s", vss_id_to_string(&km->snapshot_id, id));
		pr_string("lun", " lun %s", km->lun);
		pr_string("device", " device %s\n", km->device);
		pr_close_object();
	}
	pr_close_array();
}

/* Tells where the kept state is when the restore itself failed. */
static void hint_kept(const struct recover *r)
{
	char id[VSS_ID_STRLEN];

	if (!r->kept)
		return;
	for (size_t i = 0; i < r->kept->nr_members; i++)
		fprintf(stderr, "vssctl: recover: the current state of %s was kept as snapshot %s\n",
			r->kept->members[i].lun,
			vss_id_to_string(&r->kept->members[i].snapshot_id, id));
}

/*
 * The writers of this restore session (those sent PreRestore), each with
 * its newest status in the session: "writer list" has PostRestore's once
 * it came.
 */
static void print_restore_writers(struct vss_ctx *ctx,
				  const vss_id_t *session_id)
{
	struct vss_writer_status *ws = NULL, *reg = NULL;
	size_t nws = 0, nreg = 0;

	if (vss_session_writer_status(ctx, session_id, &ws, &nws))
		nws = 0;
	if (nws && vss_writer_list(ctx, &reg, &nreg))
		nreg = 0;
	for (size_t i = 0; i < nws; i++)
		for (size_t j = 0; j < nreg; j++)
			if (vss_id_equal(&ws[i].instance_id,
					 &reg[j].instance_id) &&
			    reg[j].has_session_id &&
			    vss_id_equal(&reg[j].session_id, session_id))
				ws[i] = reg[j];
	pr_open_array("writers");
	for (size_t i = 0; i < nws; i++) {
		pr_text("writer ");
		print_writer_status(NULL, &ws[i]);
	}
	pr_close_array();
	free(ws);
	free(reg);
}

/* A writer's failure code: PreRestore was vetoed or not answered. */
static bool is_writer_failure(uint32_t hr)
{
	return (hr >= VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT &&
		hr <= VSS_E_WRITERERROR_RECOVERY_FAILED) ||
	       hr == VSS_E_WRITER_NOT_RESPONDING;
}

/* The resyncs the set started, by destination (the LUN for a revert). */
static int watch_members(struct vss_ctx *ctx, const struct recover *r,
			 struct resync_watch *w, const char *what)
{
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < r->nr; i++)
		w->key[w->nr++] = r->m[i].key;
	return resync_watch_refresh(ctx, w, what);
}

static int recover(int argc, char **argv)
{
	bool revert_identity = false, no_volume_check = false,
	     keep = false, wait = false;
	const char *smin = NULL, *smax = NULL;
	const struct opt opts[] = {
		{ "revert-identity", false, NULL, &revert_identity },
		{ "no-volume-check", false, NULL, &no_volume_check },
		{ "keep-current", false, NULL, &keep },
		{ "wait", false, NULL, &wait },
		{ "speed-min", true, &smin, NULL },
		{ "speed-max", true, &smax, NULL },
		{ NULL, false, NULL, NULL },
	};
	const char *pos[VSS_SET_MAX_LUNS];
	struct resync_watch *w = NULL;
	struct recover *r = NULL;
	struct vss_backup *b = NULL;
	struct vss_async *a = NULL;
	char sid[VSS_ID_STRLEN];
	uint64_t vmin, vmax;
	struct vss_ctx *ctx;
	struct progress p;
	vss_id_t session_id;
	uint32_t flags = 0;
	int npos, rc;

	npos = parse_opts(argc, argv, opts, pos, VSS_SET_MAX_LUNS);
	if (npos < 1) {
		fprintf(stderr, "Usage: vssctl recover [--revert-identity] [--no-volume-check] [--keep-current] [--wait]\n"
			"                      [--speed-min RATE] [--speed-max RATE] SNAPSHOT_ID[=DEST]...\n");
		return VSSCTL_EXIT_USAGE;
	}
	rc = parse_rate_arg("recover: --speed-min", smin, &vmin);
	if (!rc)
		rc = parse_rate_arg("recover: --speed-max", smax, &vmax);
	if (rc)
		return rc;
	if (smin && smax && vmax && vmax < vmin) {
		fprintf(stderr, "vssctl: recover: --speed-max is below --speed-min\n");
		return VSSCTL_EXIT_USAGE;
	}
	r = calloc(1, sizeof(*r));
	w = calloc(1, sizeof(*w));
	if (!r || !w) {
		rc = report_error("recover", -ENOMEM);
		goto out;
	}
	for (int i = 0; i < npos; i++) {
		rc = parse_member(pos[i], &r->m[i]);
		if (rc)
			goto out;
	}
	r->nr = (size_t)npos;
	if (revert_identity)
		flags |= VSS_RECOVERY_REVERT_IDENTITY_ALL;
	if (no_volume_check)
		flags |= VSS_RECOVERY_NO_VOLUME_CHECK;

	ctx = get_ctx();
	if (!ctx) {
		rc = ctx_exit_code();
		goto out;
	}
	if (keep) {
		rc = keep_current(ctx, r);
		if (rc)
			goto out;
	}

	/* one session: InitializeForRestore ... RecoverSet */
	rc = vss_backup_new_restore(ctx, &b);
	if (rc) {
		rc = report_error("recover: new session", rc);
		goto fail;
	}
	vss_backup_get_session_id(b, &session_id);
	if (smin || smax) {
		rc = vss_backup_set_recovery_speed(b, vmin, vmax);
		if (rc) {
			rc = report_error("recover: speed", rc);
			goto fail;
		}
	}
	for (size_t i = 0; i < r->nr; i++) {
		rc = vss_backup_add_snapshot_to_recovery_set(b, &r->m[i].id, 0,
							     r->m[i].dest);
		if (rc) {
			char what[160];

			snprintf(what, sizeof(what), "recover: %s", r->m[i].arg);
			rc = report_error(what, rc);
			goto fail;
		}
	}
	/* elapsed_ms counts from RecoverSet */
	progress_init(&p, r->nr == 1 && r->m[0].dest ? r->m[0].dest : "recover",
		      wait);
	rc = vss_backup_recover_set(b, flags, &a);
	if (rc) {
		uint32_t hr = vss_ctx_last_hresult(ctx);

		rc = report_error("recover", rc);
		if (is_writer_failure(hr)) {
			/* which writer vetoed PreRestore, and why */
			rc = VSSCTL_EXIT_WRITER;
			pr_open_object(NULL);
			pr_string("session_id", "session %s\n",
				  vss_id_to_string(&session_id, sid));
			print_restore_writers(ctx, &session_id);
			pr_close_object();
		}
		goto fail;
	}

	/* the snapshots' LUNs name the resyncs of reverts */
	for (size_t i = 0; i < r->nr; i++) {
		struct member *m = &r->m[i];
		struct vss_snapshot_info si;

		if (vss_snapshot_get(ctx, &m->id, &si) == 0)
			snprintf(m->lun, sizeof(m->lun), "%s", si.lun);
		else if (!m->dest)
			snprintf(m->lun, sizeof(m->lun), "%s", m->keep);
		if (!m->dest)
			snprintf(m->key, sizeof(m->key), "%s", m->lun);
		else if (!strchr(m->dest, '/') || !realpath(m->dest, m->key))
			snprintf(m->key, sizeof(m->key), "%s", m->dest);
	}
	if (r->nr == 1 && !r->m[0].dest && r->m[0].lun[0])
		p.label = r->m[0].lun;

	if (wait) {
		struct sigaction sa;
		int wr;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		/* a resync that cannot be read yet is shown once it can */
		watch_members(ctx, r, w, NULL);
		do {
			uint64_t done = 0, total = 0, d, t, rate;

			wr = vss_async_wait(a, PROGRESS_BAR_INTERVAL_MS);
			resync_watch_refresh(ctx, w, NULL);
			resync_watch_sums(w, &d, &t, &rate);
			if (vss_async_get_progress(a, &done, &total)) {
				done = d;
				total = t;
			}
			if (progress_tick(&p, done, total, rate))
				print_progress_line(&p, w);
		} while (wr == -ETIMEDOUT && !interrupted);
		progress_clear(&p);
		if (interrupted) {
			fprintf(stderr, "vssctl: recover: interrupted; the resync goes on in the kernel (vssctl resync wait|cancel DEST)\n");
			rc = VSSCTL_EXIT_TIMEOUT;
			goto out;
		}
	}

	/* the final object */
	rc = watch_members(ctx, r, w, "recover");
	if (rc)
		goto out;
	pr_open_object(NULL);
	pr_string("type", NULL, "result");
	pr_string("session_id", "session %s\n",
		  vss_id_to_string(&session_id, sid));
	print_kept(ctx, r);
	rc = print_resync_outcome(&p, w);
	print_restore_writers(ctx, &session_id);
	pr_close_object();
	if (wait) {
		uint32_t hr;
		int result;

		vss_async_query_status(a, &hr, &result);
		if (result) {
			int code = report_error("recover", result);

			if (hr == VSS_S_ASYNC_CANCELLED)
				code = VSSCTL_EXIT_TIMEOUT;
			if (rc == VSSCTL_EXIT_OK)
				rc = code;
		}
	}
	goto out;
fail:
	hint_kept(r);
out:
	/* freeing the handle or the session does not stop the resyncs */
	vss_async_free(a);
	vss_backup_free(b);
	if (r)
		free(r->kept);
	free(r);
	free(w);
	return rc;
}

static const struct cmd recover_cmds[] = {
	{ "", recover,
	  "[--revert-identity] [--no-volume-check] [--keep-current] [--wait] [--speed-min RATE] [--speed-max RATE] SNAPSHOT_ID[=DEST]..." },
	{ NULL, NULL, NULL },
};

int do_recover(int argc, char **argv)
{
	if (argc > 0 && is_help(argv[0])) {
		print_usage(stdout, "recover", recover_cmds);
		return VSSCTL_EXIT_OK;
	}
	return recover(argc, argv);
}
