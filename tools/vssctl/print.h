/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vssctl - one print path for text and JSON output (iproute2 style).
 *
 * Every value is printed with a single call that names its JSON key and its
 * text format: in JSON mode the key and value are emitted, in text mode the
 * value through the format (a NULL format prints nothing in text mode).  The
 * printer is not thread-safe (vssctl is single-threaded).
 */
#ifndef VSSCTL_PRINT_H
#define VSSCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void pr_init(FILE *out, bool json, bool pretty);
bool pr_is_json(void);
/* Prints to @out from now on; returns the previous stream. */
FILE *pr_redirect(FILE *out);
/* Forgets the JSON printed so far: pr_finish() adds nothing. */
void pr_discard(void);
/* Ends a JSON document: a newline if anything was printed since the last call. */
void pr_finish(void);

/* @key is NULL at the top level and inside arrays. */
void pr_open_object(const char *key);
void pr_close_object(void);
void pr_open_array(const char *key);
void pr_close_array(void);

/* Text formats take exactly one conversion: %s for strings, PRIu64. */
void pr_string(const char *key, const char *fmt, const char *value);
void pr_u64(const char *key, const char *fmt, uint64_t value);
void pr_bool(const char *key, const char *fmt, bool value);
/* JSON: the number of bytes; text: "64K", "1.5G" through a "%s" format. */
void pr_size(const char *key, const char *fmt, uint64_t bytes);
/* JSON and text: "2026-11-22T01:38:15.123456789Z" (UTC) through "%s". */
void pr_time(const char *key, const char *fmt, uint64_t ns);
/* Text mode only. */
void pr_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Helpers shared with the unit tests. */
void format_size(char *buf, size_t len, uint64_t bytes);
void format_time(char *buf, size_t len, uint64_t ns);
void json_escape(FILE *out, const char *s);

#endif /* VSSCTL_PRINT_H */
