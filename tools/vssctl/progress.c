// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl - progress display of long operations.  See progress.h.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "print.h"
#include "progress.h"

/* The rate is recomputed from readings at least this far apart. */
#define RATE_SAMPLE_MS 500
/* Widest bar, in characters: wider ones read no better. */
#define BAR_MAX 40
/* Narrower bars are left out. */
#define BAR_MIN 5

long long progress_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void progress_init(struct progress *p, const char *label, bool bar)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->t0_ms = progress_now_ms();
	p->sample_ms = p->t0_ms;
	p->last_bar_ms = -1;
	p->last_json_ms = -1;
	if (bar && !pr_is_json() && isatty(fileno(stderr)))
		p->out = stderr;
}

void format_duration(char *buf, size_t len, long long secs)
{
	if (secs < 0)
		snprintf(buf, len, "--:--");
	else if (secs < 3600)
		snprintf(buf, len, "%lld:%02lld", secs / 60, secs % 60);
	else
		snprintf(buf, len, "%lld:%02lld:%02lld", secs / 3600,
			 secs / 60 % 60, secs % 60);
}

void format_progress_line(char *buf, size_t len, int cols, const char *label,
			  uint64_t done, uint64_t total, uint64_t rate,
			  long long eta_s)
{
	char d[32], t[32], r[32], e[32], tail[160];
	unsigned int pct;
	int width, fill, n;

	if (!len)
		return;
	if (done > total)
		total = done;
	pct = total ? (unsigned int)((double)done * 100.0 / (double)total) : 100;
	format_size(d, sizeof(d), done);
	format_size(t, sizeof(t), total);
	format_duration(e, sizeof(e), eta_s);
	if (rate)
		format_size(r, sizeof(r), rate);
	else
		snprintf(r, sizeof(r), "-");
	snprintf(tail, sizeof(tail), " %3u%%  %s/%s  %s/s  ETA %s", pct, d, t,
		 r, e);

	/* the last column stays free: writing it wraps some terminals */
	width = cols - 1 - (int)strlen(label) - 3 - (int)strlen(tail);
	if (width > BAR_MAX)
		width = BAR_MAX;
	if (width < BAR_MIN) {
		n = snprintf(buf, len, "%s%s", label, tail);
	} else {
		char bar[BAR_MAX + 1];

		fill = (int)((uint64_t)width * pct / 100);
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(width - fill));
		bar[width] = '\0';
		n = snprintf(buf, len, "%s [%s]%s", label, bar, tail);
	}
	/* still too wide (a very narrow terminal): cut */
	if (cols > 1 && n >= cols && (size_t)(cols - 1) < len)
		buf[cols - 1] = '\0';
}

static int term_cols(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static void sample_rate(struct progress *p, long long now, uint64_t done)
{
	long long dt = now - p->sample_ms;
	double inst;

	if (dt < RATE_SAMPLE_MS)
		return;
	if (done < p->sample_done) {	/* restarted: start over */
		p->sample_done = done;
		p->sample_ms = now;
		p->rate = 0;
		return;
	}
	inst = (double)(done - p->sample_done) * 1000.0 / (double)dt;
	/* smooth over a few seconds: copy batches make single samples jumpy */
	p->rate = p->rate > 0 ? 0.7 * p->rate + 0.3 * inst : inst;
	p->sample_done = done;
	p->sample_ms = now;
}

bool progress_tick(struct progress *p, uint64_t done, uint64_t total,
		   uint64_t rate)
{
	long long now = progress_now_ms();
	bool json_due = false;

	sample_rate(p, now, done);
	if (rate)
		p->rate = (double)rate;
	p->done = done;
	p->total = total;
	if (p->last_json_ms < 0 ||
	    now - p->last_json_ms >= PROGRESS_JSON_INTERVAL_MS) {
		p->last_json_ms = now;
		json_due = true;
	}
	if (p->out && (p->last_bar_ms < 0 ||
		       now - p->last_bar_ms >= PROGRESS_BAR_INTERVAL_MS)) {
		char line[512];

		p->last_bar_ms = now;
		format_progress_line(line, sizeof(line), term_cols(p->out),
				     p->label, done, total, progress_rate(p),
				     progress_eta_s(p));
		fprintf(p->out, "\r\033[K%s", line);
		fflush(p->out);
		p->drawn = true;
	}
	return json_due;
}

uint64_t progress_rate(const struct progress *p)
{
	return p->rate > 0 ? (uint64_t)p->rate : 0;
}

long long progress_eta_s(const struct progress *p)
{
	uint64_t rate = progress_rate(p);

	if (p->done >= p->total)
		return 0;
	if (!rate)
		return -1;
	return (long long)((p->total - p->done + rate - 1) / rate);
}

long long progress_elapsed_ms(const struct progress *p)
{
	return progress_now_ms() - p->t0_ms;
}

void progress_clear(struct progress *p)
{
	if (p->out && p->drawn) {
		fprintf(p->out, "\r\033[K");
		fflush(p->out);
	}
	p->drawn = false;
}
