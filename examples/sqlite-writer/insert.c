// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sqlite-writer insert - a load for the writer: transactions of inserts
 * into DB_TABLE, one after the other, until SIGINT or SIGTERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "sqlite-writer.h"

static void insert_usage(FILE *out)
{
	fprintf(out,
		"Usage: sqlite-writer insert --db FILE [--rows N] [--payload BYTES]\n"
		"                            [--pause-ms MS] [--txns N]\n"
		"Inserts --rows rows (default 20) of --payload random bytes (default 1000)\n"
		"into table \"" DB_TABLE "\" per transaction until SIGINT/SIGTERM or --txns\n"
		"transactions, waiting for the writer's lock while it holds one.\n");
}

int cmd_insert(int argc, char **argv)
{
	const char *dbpath = NULL;
	struct insert_params p = {
		.rows_per_txn = 20,
		.payload_bytes = 1000,
	};
	struct insert_stats st;
	char err[512] = "";
	sqlite3 *db;
	long long v;
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			insert_usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "sqlite-writer: %s: missing value or unknown option\n", a);
			insert_usage(stderr);
			return 2;
		}
		if (!strcmp(a, "--db")) {
			dbpath = argv[++i];
			continue;
		}
		if (parse_number(argv[++i], 0, 1000000000, &v)) {
			fprintf(stderr, "sqlite-writer: %s: invalid number \"%s\"\n", a, argv[i]);
			return 2;
		}
		if (!strcmp(a, "--rows") && v > 0)
			p.rows_per_txn = (int)v;
		else if (!strcmp(a, "--payload") && v <= 1 << 20)
			p.payload_bytes = (int)v;
		else if (!strcmp(a, "--pause-ms"))
			p.pause_ms = (int)v;
		else if (!strcmp(a, "--txns"))
			p.max_txns = v;
		else {
			fprintf(stderr, "sqlite-writer: unknown option or bad value: %s %s\n", a, argv[i]);
			insert_usage(stderr);
			return 2;
		}
	}
	if (!dbpath) {
		insert_usage(stderr);
		return 2;
	}
	/* longer than any Freeze->Thaw window the kernel allows */
	rc = db_open(dbpath, 600 * 1000, true, &db, err, sizeof(err));
	if (rc != SQLITE_OK) {
		fprintf(stderr, "sqlite-writer: %s\n", err);
		return 1;
	}
	rc = db_insert_loop(db, &p, &st, err, sizeof(err));
	printf("sqlite-writer: inserted %lld rows in %lld transactions (%lld busy retries)\n",
	       (long long)st.rows, (long long)st.txns, (long long)st.busy);
	if (rc != SQLITE_OK)
		fprintf(stderr, "sqlite-writer: %s\n", err);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : 1;
}
