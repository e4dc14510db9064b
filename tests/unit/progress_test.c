// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: vssctl's progress display (durations, the bar line
 * fitted to the terminal, rate and ETA from readings, no bar when stderr
 * is not a terminal).
 */
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "print.h"
#include "progress.h"

static void test_format_duration(void)
{
	char b[32];

	format_duration(b, sizeof(b), 0);
	CHECK_STR(b, "0:00");
	format_duration(b, sizeof(b), 7);
	CHECK_STR(b, "0:07");
	format_duration(b, sizeof(b), 754);
	CHECK_STR(b, "12:34");
	format_duration(b, sizeof(b), 3723);
	CHECK_STR(b, "1:02:03");
	format_duration(b, sizeof(b), -1);
	CHECK_STR(b, "--:--");
}

static void test_line_80(void)
{
	char b[256];

	format_progress_line(b, sizeof(b), 80, "db", 1ULL << 30, 4ULL << 30,
			     100ULL << 20, 31);
	CHECK_STR(b, "db [##########..............................]  25%  1G/4G  100M/s  ETA 0:31");
	CHECK(strlen(b) < 80);
}

static void test_line_unknown_rate(void)
{
	char b[256];

	format_progress_line(b, sizeof(b), 60, "x", 0, 1 << 20, 0, -1);
	CHECK(strstr(b, "   0%  0/1M  -/s  ETA --:--") != NULL);
	CHECK(strlen(b) < 60);
}

static void test_line_narrow(void)
{
	char b[256];

	/* no room for a bar: the figures alone */
	format_progress_line(b, sizeof(b), 40, "resync", 50, 100, 10, 5);
	CHECK_STR(b, "resync  50%  50/100  10/s  ETA 0:05");
	/* narrower than the figures: cut, never wider than the terminal */
	format_progress_line(b, sizeof(b), 20, "resync", 50, 100, 10, 5);
	CHECK_EQ_INT(strlen(b), 19);
}

static void test_line_done_and_empty(void)
{
	char b[256];

	format_progress_line(b, sizeof(b), 80, "a", 4096, 4096, 0, 0);
	CHECK(strstr(b, "[########################################] 100%") != NULL);
	/* nothing to copy (no chunk changed since the snapshot) is done */
	format_progress_line(b, sizeof(b), 80, "a", 0, 0, 0, 0);
	CHECK(strstr(b, "100%  0/0") != NULL);
	/* a reading past the total never prints more than 100 % */
	format_progress_line(b, sizeof(b), 80, "a", 8192, 4096, 0, 0);
	CHECK(strstr(b, "100%  8K/8K") != NULL);
}

static void test_rate_eta(void)
{
	struct progress p;

	pr_init(stdout, false, false);
	progress_init(&p, "t", false);
	CHECK(p.out == NULL);
	CHECK(progress_tick(&p, 0, 1000000, 0));	/* first line is due */
	CHECK(!progress_tick(&p, 0, 1000000, 0));	/* not again at once */
	CHECK_EQ_INT(progress_eta_s(&p), -1);		/* no rate yet */
	/* the kernel's rate wins */
	progress_tick(&p, 500000, 1000000, 100000);
	CHECK_EQ_U64(progress_rate(&p), 100000);
	CHECK_EQ_INT(progress_eta_s(&p), 5);
	progress_tick(&p, 1000000, 1000000, 100000);
	CHECK_EQ_INT(progress_eta_s(&p), 0);
	/* measured from readings when the kernel gives none */
	progress_init(&p, "t", false);
	p.sample_ms -= 1000;			/* as if a second had passed */
	progress_tick(&p, 2000000, 4000000, 0);
	CHECK(progress_rate(&p) > 1500000 && progress_rate(&p) <= 2000000);
	CHECK(progress_eta_s(&p) >= 1 && progress_eta_s(&p) <= 2);
}

static void test_no_bar_in_json(void)
{
	struct progress p;

	pr_init(stdout, true, false);
	progress_init(&p, "t", true);
	CHECK(p.out == NULL);
	pr_init(stdout, false, false);
	progress_init(&p, "t", true);
	CHECK((p.out != NULL) == (isatty(fileno(stderr)) == 1));
}

int main(void)
{
	RUN(test_format_duration);
	RUN(test_line_80);
	RUN(test_line_unknown_rate);
	RUN(test_line_narrow);
	RUN(test_line_done_and_empty);
	RUN(test_rate_eta);
	RUN(test_no_bar_in_json);
	return tap_done();
}
