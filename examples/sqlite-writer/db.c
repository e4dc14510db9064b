// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sqlite-writer - the database side: the inserter's load and the writer's
 * Freeze lock.  See db.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK && err)
		snprintf(err, errlen, "%s: %s", sql,
			 msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

/*
 * The writer's statements, prepared once for its connection: under
 * emulation, parsing the SQL at every Freeze and Thaw cost about as much
 * as running it, and each writer's answer widens the window of the writers
 * frozen before it (make bench W8).
 */
static struct {
	sqlite3 *db;		/* whose statements these are */
	sqlite3_stmt *begin;	/* BEGIN IMMEDIATE */
	sqlite3_stmt *rollback;	/* ROLLBACK */
	sqlite3_stmt *count;	/* SELECT count(*) FROM count_table */
	char *count_table;
} cache;

static void cache_drop(void)
{
	sqlite3_finalize(cache.begin);
	sqlite3_finalize(cache.rollback);
	sqlite3_finalize(cache.count);
	sqlite3_free(cache.count_table);
	memset(&cache, 0, sizeof(cache));
}

/* *@st for @db, prepared from @sql unless it already is. */
static int cached(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (cache.db != db) {
		cache_drop();
		cache.db = db;
	}
	if (*st)
		return SQLITE_OK;
	return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
				  NULL);
}

/* Run a cached statement that returns no row. */
static int run_cached(sqlite3 *db, sqlite3_stmt **st, const char *sql,
		      char *err, size_t errlen)
{
	int rc = cached(db, st, sql);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(*st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK && err)
		snprintf(err, errlen, "%s: %s", sql, sqlite3_errmsg(db));
	if (*st)
		sqlite3_reset(*st);
	return rc;
}

void db_close(sqlite3 *db)
{
	if (db && cache.db == db)
		cache_drop();
	sqlite3_close(db);
}

int db_open(const char *path, int busy_ms, bool setup, sqlite3 **out,
	    char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			     (setup ? SQLITE_OPEN_CREATE : 0), NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, busy_ms);
	if (!setup)
		goto done;
	/*
	 * A rollback journal made durable at every commit (SQLite's default
	 * for a rollback journal, stated so that no build option changes it):
	 * what the snapshot must never catch half-way is this journal.
	 */
	rc = exec_sql(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;",
		      err, errlen);
	if (rc == SQLITE_OK)
		rc = exec_sql(db, "CREATE TABLE IF NOT EXISTS " DB_TABLE
			      " (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL,"
			      " payload BLOB NOT NULL)", err, errlen);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return rc;
	}
done:
	*out = db;
	return SQLITE_OK;
}

int db_count(sqlite3 *db, const char *table, int64_t *count, char *err,
	     size_t errlen)
{
	char *sql = NULL;
	int rc = SQLITE_OK;

	if (cache.db != db) {
		cache_drop();
		cache.db = db;
	}
	if (cache.count && strcmp(cache.count_table, table)) {
		sqlite3_finalize(cache.count);	/* another table */
		cache.count = NULL;
	}
	if (!cache.count) {
		sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", table);
		sqlite3_free(cache.count_table);
		cache.count_table = sqlite3_mprintf("%s", table);
		if (!sql || !cache.count_table) {
			sqlite3_free(sql);
			snprintf(err, errlen, "out of memory");
			return SQLITE_NOMEM;
		}
		rc = cached(db, &cache.count, sql);
		sqlite3_free(sql);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(cache.count);
		if (rc == SQLITE_ROW) {
			*count = sqlite3_column_int64(cache.count, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "count of %s: %s", table,
			 sqlite3_errmsg(db));
	if (cache.count)
		sqlite3_reset(cache.count);
	return rc;
}

int db_lock(sqlite3 *db, char *err, size_t errlen)
{
	return run_cached(db, &cache.begin, "BEGIN IMMEDIATE", err, errlen);
}

int db_unlock(sqlite3 *db, char *err, size_t errlen)
{
	if (sqlite3_get_autocommit(db))
		return SQLITE_OK;	/* not in a transaction */
	return run_cached(db, &cache.rollback, "ROLLBACK", err, errlen);
}

static volatile sig_atomic_t insert_stop;

static void on_stop(int sig)
{
	(void)sig;
	insert_stop = 1;
}

int db_insert_loop(sqlite3 *db, const struct insert_params *p,
		   struct insert_stats *stats, char *err, size_t errlen)
{
	struct sigaction sa;
	sqlite3_stmt *ins = NULL;
	int64_t txn;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = sqlite3_prepare_v2(db, "INSERT INTO " DB_TABLE
				"(txn, payload) VALUES(?, randomblob(?))",
				-1, &ins, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "prepare: %s", sqlite3_errmsg(db));
		return rc;
	}
	memset(stats, 0, sizeof(*stats));
	/* transactions of earlier runs keep their numbers */
	{
		sqlite3_stmt *st = NULL;

		txn = 0;
		if (sqlite3_prepare_v2(db, "SELECT coalesce(max(txn), 0) FROM "
				       DB_TABLE, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			txn = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	while (!insert_stop && (!p->max_txns || stats->txns < p->max_txns)) {
		txn++;
		/*
		 * BEGIN IMMEDIATE waits (busy timeout) while a writer holds
		 * its Freeze lock: the load stalls for the Freeze->Thaw
		 * window, as any application writing the database would.
		 */
		rc = exec_sql(db, "BEGIN IMMEDIATE", err, errlen);
		if (rc == SQLITE_BUSY) {
			stats->busy++;
			continue;
		}
		if (rc != SQLITE_OK)
			goto out;
		for (int i = 0; i < p->rows_per_txn && rc == SQLITE_OK; i++) {
			sqlite3_bind_int64(ins, 1, txn);
			sqlite3_bind_int(ins, 2, p->payload_bytes);
			rc = sqlite3_step(ins);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
			sqlite3_reset(ins);
		}
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "insert: %s", sqlite3_errmsg(db));
			exec_sql(db, "ROLLBACK", NULL, 0);
			goto out;
		}
		/* COMMIT can be busy too (a reader's SHARED lock): retry it */
		while ((rc = exec_sql(db, "COMMIT", err, errlen)) == SQLITE_BUSY)
			stats->busy++;
		if (rc != SQLITE_OK)
			goto out;
		stats->txns++;
		stats->rows += p->rows_per_txn;
		if (p->pause_ms) {
			struct timespec ts = {
				.tv_sec = p->pause_ms / 1000,
				.tv_nsec = (long)(p->pause_ms % 1000) * 1000000L,
			};

			nanosleep(&ts, NULL);
		}
	}
	rc = SQLITE_OK;
out:
	sqlite3_finalize(ins);
	return rc;
}
