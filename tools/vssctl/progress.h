/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vssctl - progress of long operations (resyncs).
 *
 * A one-line bar on stderr (bytes done and total, rate, ETA), redrawn in
 * place, only when stderr is a terminal and the output is not JSON: a
 * script reading stdout or a log file never sees it.  With -j the command
 * prints JSON progress lines instead (the caller prints them through the
 * print path when progress_tick() says one is due).  Not thread-safe.
 */
#ifndef VSSCTL_PROGRESS_H
#define VSSCTL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Interval of JSON progress lines (the kernel's events come at most this often). */
#define PROGRESS_JSON_INTERVAL_MS 1000
/* Interval of bar redraws. */
#define PROGRESS_BAR_INTERVAL_MS 200

/**
 * struct progress - state of one progress display
 * @out: where the bar goes (stderr), NULL when no bar is drawn
 * @label: printed before the bar
 * @t0_ms: when progress_init() ran (monotonic)
 * @drawn: a bar is on the terminal line (progress_clear() erases it)
 * @last_bar_ms, @last_json_ms: when the last bar / JSON line was due
 * @sample_ms, @sample_done: the last rate sample
 * @rate: bytes per second, smoothed over the samples (0: not known yet)
 * @done, @total: the last values given
 */
struct progress {
	FILE *out;
	const char *label;
	long long t0_ms;
	bool drawn;
	long long last_bar_ms;
	long long last_json_ms;
	long long sample_ms;
	uint64_t sample_done;
	double rate;
	uint64_t done;
	uint64_t total;
};

/* Milliseconds of CLOCK_MONOTONIC. */
long long progress_now_ms(void);

/*
 * Starts a display: a bar on stderr if @bar is true, stderr is a terminal
 * and the output is not JSON.
 */
void progress_init(struct progress *p, const char *label, bool bar);

/*
 * A new reading: @done of @total bytes; @rate in bytes/s as the kernel
 * measured it, or 0 to let the display compute it from the readings.
 * Redraws the bar (at most every PROGRESS_BAR_INTERVAL_MS).
 * Return: true when a JSON progress line is due (the first reading, then
 * every PROGRESS_JSON_INTERVAL_MS).
 */
bool progress_tick(struct progress *p, uint64_t done, uint64_t total,
		   uint64_t rate);

/* The rate shown, bytes/s (0 when unknown). */
uint64_t progress_rate(const struct progress *p);
/* Seconds left at that rate; -1 when unknown. */
long long progress_eta_s(const struct progress *p);
/* Milliseconds since progress_init(). */
long long progress_elapsed_ms(const struct progress *p);
/* Erases the bar, if one is drawn (before printing anything else). */
void progress_clear(struct progress *p);

/*
 * Pure formatting, shared with the unit tests.
 * format_duration: "0:07", "12:34", "1:02:03"; "--:--" for a negative value.
 * format_progress_line: "LABEL [#####.....]  45%  1.2G/2.6G  85.3M/s  ETA 0:17"
 * fitted to @cols columns (the bar shrinks, then disappears).
 */
void format_duration(char *buf, size_t len, long long secs);
void format_progress_line(char *buf, size_t len, int cols, const char *label,
			  uint64_t done, uint64_t total, uint64_t rate,
			  long long eta_s);

#endif /* VSSCTL_PROGRESS_H */
