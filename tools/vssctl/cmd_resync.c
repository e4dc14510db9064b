// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl resync - the resyncs started by "recover" (RecoverSet): list,
 * show, wait (with a progress bar or JSON progress lines), cancel, speed.
 * A resync runs in the kernel and outlives the program that started it;
 * these commands find it by its destination (a LUN name, /dev/vss-NAME or
 * the path of the device it is copied onto).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "resync.h"

const char *resync_dest_path(const char *dest, char *buf, size_t len)
{
	if (dest[0] == '/' || !dest[0])
		snprintf(buf, len, "%s", dest);
	else
		snprintf(buf, len, "/dev/%s", dest);
	return buf;
}

const char *resync_key(const char *dest, char *buf)
{
	if (strchr(dest, '/') && realpath(dest, buf))
		return buf;
	return dest;
}

/* The positive errno of a failed resync (the library gives -errno). */
static int resync_errno(const struct vss_resync_info *ri)
{
	int e = ri->error < 0 ? -ri->error : ri->error;

	return e ? e : EIO;
}

void print_resync(const char *key, const struct vss_resync_info *ri)
{
	char id[VSS_ID_STRLEN], dest[96], rate[32];

	pr_open_object(key);
	pr_string("lun", "%s:", ri->lun);
	pr_string("destination", " destination %s",
		  resync_dest_path(ri->destination, dest, sizeof(dest)));
	pr_string("snapshot", " snapshot %s",
		  vss_id_to_string(&ri->snapshot_id, id));
	pr_string("state", " state %s", vss_resync_state_name(ri->state));
	pr_size("done_bytes", " done %s", ri->done_bytes);
	pr_size("total_bytes", "/%s", ri->total_bytes);
	format_size(rate, sizeof(rate), ri->rate);
	pr_u64("rate", NULL, ri->rate);
	pr_text(" rate %s/s", rate);
	pr_u64("speed_min", NULL, ri->speed_min);
	pr_u64("speed_max", NULL, ri->speed_max);
	if (ri->state == VSS_RESYNC_STATE_FAILED) {
		pr_string("error", " error \"%s\"", strerror(resync_errno(ri)));
		pr_u64("errno", NULL, (uint64_t)resync_errno(ri));
	}
	pr_time("started", " started %s", ri->started_ns);
	if (ri->has_times) {
		pr_u64("activate_us", " activated in %" PRIu64 " us",
		       ri->activate_us);
		pr_u64("elapsed_us", " elapsed %" PRIu64 " us", ri->elapsed_us);
	}
	if (ri->has_session_id)
		pr_string("session_id", " session %s",
			  vss_id_to_string(&ri->session_id, id));
	pr_text("\n");
	pr_close_object();
}

int resync_watch_refresh(struct vss_ctx *ctx, struct resync_watch *w,
			 const char *what)
{
	for (size_t i = 0; i < w->nr; i++) {
		struct vss_resync_info ri;
		int rc;

		/* an ended resync does not change any more */
		if (w->have[i] && w->info[i].state != VSS_RESYNC_STATE_RUNNING)
			continue;
		rc = vss_resync_get(ctx, w->key[i], &ri);
		if (rc && !what)
			return rc;
		if (rc) {
			char msg[160];

			snprintf(msg, sizeof(msg), "%s: %s", what, w->key[i]);
			return report_error(msg, rc);
		}
		w->info[i] = ri;
		w->have[i] = true;
	}
	return 0;
}

bool resync_watch_ended(const struct resync_watch *w)
{
	for (size_t i = 0; i < w->nr; i++)
		if (!w->have[i] || w->info[i].state == VSS_RESYNC_STATE_RUNNING)
			return false;
	return true;
}

void resync_watch_sums(const struct resync_watch *w, uint64_t *done,
		       uint64_t *total, uint64_t *rate)
{
	*done = *total = *rate = 0;
	for (size_t i = 0; i < w->nr; i++) {
		if (!w->have[i])
			continue;
		*done += w->info[i].done_bytes;
		*total += w->info[i].total_bytes;
		if (w->info[i].state == VSS_RESYNC_STATE_RUNNING)
			*rate += w->info[i].rate;
	}
}

static void print_resyncs(const struct resync_watch *w)
{
	pr_open_array("resyncs");
	for (size_t i = 0; i < w->nr; i++) {
		if (!w->have[i])
			continue;
		pr_text("resync ");
		print_resync(NULL, &w->info[i]);
	}
	pr_close_array();
}

void print_progress_line(const struct progress *p,
			 const struct resync_watch *w)
{
	long long eta = progress_eta_s(p);

	if (!pr_is_json())
		return;
	pr_open_object(NULL);
	pr_string("type", NULL, "progress");
	pr_u64("elapsed_ms", NULL, (uint64_t)progress_elapsed_ms(p));
	pr_u64("done_bytes", NULL, p->done);
	pr_u64("total_bytes", NULL, p->total);
	pr_u64("rate", NULL, progress_rate(p));
	if (eta >= 0)
		pr_u64("eta_s", NULL, (uint64_t)eta);
	print_resyncs(w);
	pr_close_object();
	pr_finish();
}

/* Order of badness of the states, for the overall one. */
static int state_rank(uint32_t state)
{
	switch (state) {
	case VSS_RESYNC_STATE_DONE:
		return 0;
	case VSS_RESYNC_STATE_RUNNING:
		return 1;
	case VSS_RESYNC_STATE_CANCELLED:
		return 2;
	default:	/* failed, unknown */
		return 3;
	}
}

int print_resync_outcome(const struct progress *p,
			 const struct resync_watch *w)
{
	uint64_t done, total, rate;
	uint32_t worst = VSS_RESYNC_STATE_DONE;
	int err = 0;

	for (size_t i = 0; i < w->nr; i++) {
		if (!w->have[i])
			continue;
		if (state_rank(w->info[i].state) > state_rank(worst))
			worst = w->info[i].state;
		if (w->info[i].state == VSS_RESYNC_STATE_FAILED && !err)
			err = resync_errno(&w->info[i]);
	}
	resync_watch_sums(w, &done, &total, &rate);
	print_resyncs(w);
	pr_string("state", "state %s", vss_resync_state_name(worst));
	pr_size("done_bytes", " done %s", done);
	pr_size("total_bytes", "/%s", total);
	pr_u64("elapsed_ms", " elapsed_ms %" PRIu64 "\n",
	       (uint64_t)progress_elapsed_ms(p));
	switch (worst) {
	case VSS_RESYNC_STATE_DONE:
	case VSS_RESYNC_STATE_RUNNING:
		return VSSCTL_EXIT_OK;
	case VSS_RESYNC_STATE_CANCELLED:
		return VSSCTL_EXIT_TIMEOUT;
	default: {
		int rc = exit_code_from_errno(err);

		return rc == VSSCTL_EXIT_OK ? VSSCTL_EXIT_FAIL : rc;
	}
	}
}

/* Tells on stderr why the outcome is not success (text and JSON alike). */
static void explain_outcome(const struct resync_watch *w)
{
	char dest[96];

	for (size_t i = 0; i < w->nr; i++) {
		const struct vss_resync_info *ri = &w->info[i];

		if (!w->have[i])
			continue;
		resync_dest_path(ri->destination, dest, sizeof(dest));
		if (ri->state == VSS_RESYNC_STATE_FAILED)
			fprintf(stderr, "vssctl: resync of %s onto %s failed: %s (restart it with vssctl recover)\n",
				ri->lun, dest, strerror(resync_errno(ri)));
		else if (ri->state == VSS_RESYNC_STATE_CANCELLED)
			fprintf(stderr, "vssctl: resync of %s onto %s was cancelled\n",
				ri->lun, dest);
	}
}

/* Follows @w until every resync ended; the final object on stdout. */
int resync_watch_wait(struct vss_ctx *ctx, struct resync_watch *w,
		      const char *label)
{
	struct progress p;
	uint64_t done, total, rate;
	int rc;

	rc = resync_watch_refresh(ctx, w, "resync wait");
	if (rc)
		return rc;
	progress_init(&p, label, true);
	for (;;) {
		long long t0 = progress_now_ms();

		resync_watch_sums(w, &done, &total, &rate);
		if (progress_tick(&p, done, total, rate))
			print_progress_line(&p, w);
		if (resync_watch_ended(w))
			break;
		/* returns early when that resync ends */
		for (size_t i = 0; i < w->nr; i++) {
			if (w->info[i].state != VSS_RESYNC_STATE_RUNNING)
				continue;
			vss_resync_wait(ctx, w->key[i], PROGRESS_BAR_INTERVAL_MS,
					NULL);
			break;
		}
		if (progress_now_ms() - t0 < PROGRESS_BAR_INTERVAL_MS / 4)
			usleep(PROGRESS_BAR_INTERVAL_MS * 1000 / 2);
		rc = resync_watch_refresh(ctx, w, "resync wait");
		if (rc) {
			progress_clear(&p);
			return rc;
		}
	}
	progress_clear(&p);
	pr_open_object(NULL);
	pr_string("type", NULL, "result");
	rc = print_resync_outcome(&p, w);
	pr_close_object();
	if (rc)
		explain_outcome(w);
	return rc;
}

static int resync_list(int argc, char **argv)
{
	struct vss_resync_info *rs;
	struct vss_ctx *ctx;
	size_t nr;
	int rc;

	if (parse_opts(argc, argv, NULL, NULL, 0) < 0) {
		fprintf(stderr, "Usage: vssctl resync list\n");
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_resync_list(ctx, &rs, &nr);
	if (rc)
		return report_error("resync list", rc);
	pr_open_array(NULL);
	for (size_t i = 0; i < nr; i++)
		print_resync(NULL, &rs[i]);
	pr_close_array();
	free(rs);
	return VSSCTL_EXIT_OK;
}

static int resync_show(int argc, char **argv)
{
	char key[PATH_MAX];
	struct vss_resync_info ri;
	struct vss_ctx *ctx;
	const char *pos[1];
	int rc;

	if (parse_opts(argc, argv, NULL, pos, 1) != 1) {
		fprintf(stderr, "Usage: vssctl resync show DEST\n");
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_resync_get(ctx, resync_key(pos[0], key), &ri);
	if (rc) {
		char what[160];

		snprintf(what, sizeof(what), "resync show: %s", pos[0]);
		return report_error(what, rc);
	}
	print_resync(NULL, &ri);
	return VSSCTL_EXIT_OK;
}

static int resync_wait(int argc, char **argv)
{
	char (*keys)[PATH_MAX];
	struct resync_watch *w;
	const char *pos[VSS_SET_MAX_LUNS];
	struct vss_ctx *ctx;
	int npos, rc;

	npos = parse_opts(argc, argv, NULL, pos, VSS_SET_MAX_LUNS);
	if (npos < 1) {
		fprintf(stderr, "Usage: vssctl resync wait DEST [DEST...]\n");
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	w = calloc(1, sizeof(*w));
	keys = calloc((size_t)npos, PATH_MAX);
	if (!w || !keys) {
		free(w);
		free(keys);
		return report_error("resync wait", -ENOMEM);
	}
	w->nr = (size_t)npos;
	for (int i = 0; i < npos; i++)
		w->key[i] = resync_key(pos[i], keys[i]);
	rc = resync_watch_wait(ctx, w, npos == 1 ? pos[0] : "resync");
	free(keys);
	free(w);
	return rc;
}

static int resync_cancel(int argc, char **argv)
{
	const char *pos[VSS_SET_MAX_LUNS];
	struct vss_ctx *ctx;
	int npos, rc = VSSCTL_EXIT_OK;

	npos = parse_opts(argc, argv, NULL, pos, VSS_SET_MAX_LUNS);
	if (npos < 1) {
		fprintf(stderr, "Usage: vssctl resync cancel DEST [DEST...]\n");
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	for (int i = 0; i < npos; i++) {
		char key[PATH_MAX];
		int err = vss_resync_cancel(ctx, resync_key(pos[i], key));

		if (err) {
			char what[160];
			int code;

			snprintf(what, sizeof(what), "resync cancel: %s", pos[i]);
			code = report_error(what, err);
			if (rc == VSSCTL_EXIT_OK)
				rc = code;
		}
	}
	return rc;
}

/* RATE: bytes per second, with the size suffixes ("8M"); 0: the default. */
int parse_rate_arg(const char *what, const char *s, uint64_t *out)
{
	char buf[64];
	size_t n;

	*out = 0;
	if (!s)
		return 0;
	/* "8M/s" reads as the rate it says */
	n = strlen(s);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n > 2 && !strcmp(buf + n - 2, "/s"))
		buf[n - 2] = '\0';
	if (parse_size(buf, out)) {
		fprintf(stderr, "vssctl: %s: invalid rate \"%s\" (bytes per second: 500K, 8M, 1G)\n",
			what, s);
		return VSSCTL_EXIT_USAGE;
	}
	return 0;
}

static int resync_speed(int argc, char **argv)
{
	const char *smin = NULL, *smax = NULL;
	const struct opt opts[] = {
		{ "min", true, &smin, NULL },
		{ "max", true, &smax, NULL },
		{ NULL, false, NULL, NULL },
	};
	struct vss_resync_info ri;
	uint64_t vmin, vmax;
	struct vss_ctx *ctx;
	const char *pos[1], *dest;
	char key[PATH_MAX];
	char what[160];
	int rc;

	if (parse_opts(argc, argv, opts, pos, 1) != 1 || (!smin && !smax)) {
		fprintf(stderr, "Usage: vssctl resync speed DEST [--min RATE] [--max RATE]\n");
		return VSSCTL_EXIT_USAGE;
	}
	rc = parse_rate_arg("resync speed", smin, &vmin);
	if (!rc)
		rc = parse_rate_arg("resync speed", smax, &vmax);
	if (rc)
		return rc;
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	snprintf(what, sizeof(what), "resync speed: %s", pos[0]);
	dest = resync_key(pos[0], key);
	/* an option left out keeps its value */
	if (!smin || !smax) {
		rc = vss_resync_get(ctx, dest, &ri);
		if (rc)
			return report_error(what, rc);
		if (!smin)
			vmin = ri.speed_min;
		if (!smax)
			vmax = ri.speed_max;
	}
	rc = vss_resync_set_speed(ctx, dest, vmin, vmax);
	if (rc)
		return report_error(what, rc);
	rc = vss_resync_get(ctx, dest, &ri);
	if (rc)
		return report_error(what, rc);
	print_resync(NULL, &ri);
	return VSSCTL_EXIT_OK;
}

static const struct cmd resync_cmds[] = {
	{ "list", resync_list, "list" },
	{ "show", resync_show, "show DEST" },
	{ "wait", resync_wait, "wait DEST [DEST...]" },
	{ "cancel", resync_cancel, "cancel DEST [DEST...]" },
	{ "speed", resync_speed, "speed DEST [--min RATE] [--max RATE]" },
	{ NULL, NULL, NULL },
};

int do_resync(int argc, char **argv)
{
	return dispatch("resync", resync_cmds, argc, argv);
}
