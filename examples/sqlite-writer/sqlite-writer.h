/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sqlite-writer - an example vss writer for an SQLite database, and a load
 * for it.  Subcommands: "run" (the writer, writer.c) and "insert" (the load,
 * insert.c).
 */
#ifndef SQLITE_WRITER_H
#define SQLITE_WRITER_H

int cmd_run(int argc, char **argv);
int cmd_insert(int argc, char **argv);

/* Decimal @s within [@min, @max] into @out.  Return: 0 or -1. */
int parse_number(const char *s, long long min, long long max, long long *out);

#endif /* SQLITE_WRITER_H */
