// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sqlite-writer - an example vss writer for an SQLite database.
 *
 *   sqlite-writer run --db FILE --lun LUN [--lun LUN]... [OPTIONS]
 *   sqlite-writer insert --db FILE [OPTIONS]
 *
 * "run" registers a writer for the database and, from Freeze to Thaw,
 * holds a write transaction open (BEGIN IMMEDIATE): no connection can
 * commit or start writing a journal while the snapshot is taken, so the
 * snapshot holds the database as of its last commit and no hot journal.
 * "insert" is a load: it inserts rows continuously.
 * Documentation/writers.rst explains the protocol.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite-writer.h"

int parse_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sqlite-writer run --db FILE --lun LUN [--lun LUN]... [OPTIONS]\n"
		"       sqlite-writer insert --db FILE [OPTIONS]\n"
		"       sqlite-writer COMMAND --help\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "insert"))
		return cmd_insert(argc - 2, argv + 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "sqlite-writer: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
