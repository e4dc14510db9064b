/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sqlite-writer - the database side of the example: the table the
 * inserter fills, and the lock the writer holds from Freeze to Thaw.
 */
#ifndef SQLITE_WRITER_DB_H
#define SQLITE_WRITER_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* The inserter's table; the writer counts its rows at Freeze by default. */
#define DB_TABLE "inserts"

/**
 * db_open() - open a database
 * @path: database file
 * @busy_ms: how long a statement waits for another connection's lock
 * @setup: the inserter's connection: create the file if missing, set
 *	journal_mode=DELETE and synchronous=FULL, create DB_TABLE.  The
 *	writer's connection (false) changes nothing in the database.
 * @out: receives the connection
 * @err, @errlen: receives the reason on failure
 *
 * Return: SQLITE_OK or an SQLite result code.
 */
int db_open(const char *path, int busy_ms, bool setup, sqlite3 **out,
	    char *err, size_t errlen);

/**
 * db_close() - close a connection of db_open()
 *
 * Finalizes the statements db_lock(), db_unlock() and db_count() keep
 * prepared for it (one connection per process keeps them: the writer's).
 */
void db_close(sqlite3 *db);

/**
 * db_count() - rows of @table
 *
 * Return: SQLITE_OK or an SQLite result code.
 */
int db_count(sqlite3 *db, const char *table, int64_t *count, char *err,
	     size_t errlen);

/**
 * db_lock() - BEGIN IMMEDIATE: take the database's RESERVED lock
 *
 * Waits (busy timeout) for a write transaction of another connection to
 * commit; then no other connection can start one until db_unlock().  No
 * journal is written while the lock is held, and the one of the last
 * commit is gone: a snapshot taken now needs no journal recovery.
 *
 * Return: SQLITE_OK, SQLITE_BUSY when the lock did not come in time, or
 * another SQLite code.
 */
int db_lock(sqlite3 *db, char *err, size_t errlen);

/** db_unlock() - end the transaction of db_lock() (if one is open). */
int db_unlock(sqlite3 *db, char *err, size_t errlen);

struct insert_params {
	int rows_per_txn;	/* rows each transaction inserts */
	int payload_bytes;	/* random bytes per row */
	int pause_ms;		/* sleep between transactions */
	int64_t max_txns;	/* stop after this many; 0: until a signal */
};

struct insert_stats {
	int64_t txns;		/* committed transactions */
	int64_t rows;		/* committed rows */
	int64_t busy;		/* BEGIN/COMMIT retried after SQLITE_BUSY */
};

/**
 * db_insert_loop() - insert rows in transactions until SIGINT/SIGTERM
 * @db: connection from db_open()
 * @p: the load
 * @stats: receives what was committed
 * @err, @errlen: receives the reason on failure
 *
 * Return: SQLITE_OK after a signal or @p->max_txns, else the SQLite code
 * that stopped it.
 */
int db_insert_loop(sqlite3 *db, const struct insert_params *p,
		   struct insert_stats *stats, char *err, size_t errlen);

#endif /* SQLITE_WRITER_DB_H */
