/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vssctl - what "recover" and "resync" share: printing a resync, watching
 * several resyncs until they end with a progress display.
 */
#ifndef VSSCTL_RESYNC_H
#define VSSCTL_RESYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vssctl.h>

#include "progress.h"

/* One resync, as "resync list" shows it (text: one line; JSON: an object). */
void print_resync(const char *key, const struct vss_resync_info *ri);

/*
 * What finds a resync by its destination: a path with its symbolic links
 * resolved into @buf (PATH_MAX bytes; the kernel names a resync by its
 * disk), anything else (a LUN name) as it is.
 */
const char *resync_key(const char *dest, char *buf);

/* "vss-db" -> "/dev/vss-db"; a path stays as it is. */
const char *resync_dest_path(const char *dest, char *buf, size_t len);

/**
 * struct resync_watch - resyncs followed by destination
 * @nr: entries in use
 * @key: what vss_resync_get() is asked for (a LUN name or a path)
 * @info: the last state read
 * @have: @info was read at least once
 */
struct resync_watch {
	size_t nr;
	const char *key[VSS_SET_MAX_LUNS];
	struct vss_resync_info info[VSS_SET_MAX_LUNS];
	bool have[VSS_SET_MAX_LUNS];
};

/*
 * Reads the running (or not yet read) resyncs of @w again; 0, or the first
 * error: reported as "WHAT: DEST: reason" unless @what is NULL.
 */
int resync_watch_refresh(struct vss_ctx *ctx, struct resync_watch *w,
			 const char *what);
/* True when no resync of @w is running any more. */
bool resync_watch_ended(const struct resync_watch *w);
/* Sums of the bytes and rates. */
void resync_watch_sums(const struct resync_watch *w, uint64_t *done,
		       uint64_t *total, uint64_t *rate);

/*
 * A JSON progress line (-j only):
 * {"type":"progress","elapsed_ms":..,"done_bytes":..,"total_bytes":..,
 *  "rate":..,"eta_s":..,"resyncs":[...]}
 */
void print_progress_line(const struct progress *p,
			 const struct resync_watch *w);

/*
 * The final object's common members: state (the worst of the resyncs:
 * failed, cancelled, running, done), done_bytes, total_bytes, elapsed_ms
 * and the resyncs; text: one line per resync.  Call inside an open object.
 * Return: the exit code the states give (0 when every resync is done).
 */
int print_resync_outcome(const struct progress *p,
			 const struct resync_watch *w);

/*
 * Follows the resyncs of @w until each has ended: a progress bar labelled
 * @label on a terminal, JSON progress lines with -j, then the final object
 * ({"type":"result", ...}).  Return: the exit code.
 */
int resync_watch_wait(struct vss_ctx *ctx, struct resync_watch *w,
		      const char *label);

/* A rate option (bytes/s: "500K", "8M", "8M/s"); NULL is 0.  0 or an exit code. */
int parse_rate_arg(const char *what, const char *s, uint64_t *out);

#endif /* VSSCTL_RESYNC_H */
