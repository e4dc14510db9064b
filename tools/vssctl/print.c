// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl - text/JSON printer.  See print.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "print.h"

/*
 * The text format of every value is given by the caller next to its JSON
 * key (the iproute2 way); call sites pass literals.
 */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

#define PR_MAX_DEPTH 16

static struct {
	FILE *out;
	bool json;
	bool pretty;
	int depth;			/* open JSON containers */
	bool dirty;			/* JSON printed since pr_finish() */
	bool has_member[PR_MAX_DEPTH];	/* something printed in this container */
} pr = { .depth = 0 };

void pr_init(FILE *out, bool json, bool pretty)
{
	memset(&pr, 0, sizeof(pr));
	pr.out = out;
	pr.json = json;
	pr.pretty = json && pretty;
}

bool pr_is_json(void)
{
	return pr.json;
}

FILE *pr_redirect(FILE *out)
{
	FILE *old = pr.out;

	pr.out = out;
	return old;
}

void pr_discard(void)
{
	pr.dirty = false;
}

void pr_finish(void)
{
	if (pr.json && pr.dirty)
		fputc('\n', pr.out);
	pr.dirty = false;
	fflush(pr.out);
}

void json_escape(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void indent(void)
{
	if (!pr.pretty)
		return;
	fputc('\n', pr.out);
	for (int i = 0; i < pr.depth; i++)
		fputs("  ", pr.out);
}

/* Separator and key before a JSON value. */
static void json_member(const char *key)
{
	pr.dirty = true;
	if (pr.depth > 0) {
		if (pr.has_member[pr.depth - 1])
			fputc(',', pr.out);
		pr.has_member[pr.depth - 1] = true;
		indent();
	}
	if (key) {
		json_escape(pr.out, key);
		fputs(pr.pretty ? ": " : ":", pr.out);
	}
}

static void json_open(const char *key, char c)
{
	json_member(key);
	fputc(c, pr.out);
	if (pr.depth < PR_MAX_DEPTH) {
		pr.has_member[pr.depth] = false;
		pr.depth++;
	}
}

static void json_close(char c)
{
	if (pr.depth == 0)
		return;
	pr.depth--;
	if (pr.has_member[pr.depth])
		indent();
	fputc(c, pr.out);
}

void pr_open_object(const char *key)
{
	if (pr.json)
		json_open(key, '{');
}

void pr_close_object(void)
{
	if (pr.json)
		json_close('}');
}

void pr_open_array(const char *key)
{
	if (pr.json)
		json_open(key, '[');
}

void pr_close_array(void)
{
	if (pr.json)
		json_close(']');
}

void pr_string(const char *key, const char *fmt, const char *value)
{
	if (pr.json) {
		json_member(key);
		json_escape(pr.out, value);
	} else if (fmt) {
		fprintf(pr.out, fmt, value);
	}
}

void pr_u64(const char *key, const char *fmt, uint64_t value)
{
	if (pr.json) {
		json_member(key);
		fprintf(pr.out, "%" PRIu64, value);
	} else if (fmt) {
		fprintf(pr.out, fmt, value);
	}
}

void pr_bool(const char *key, const char *fmt, bool value)
{
	if (pr.json) {
		json_member(key);
		fputs(value ? "true" : "false", pr.out);
	} else if (fmt) {
		fprintf(pr.out, fmt, value ? "yes" : "no");
	}
}

void format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	uint64_t unit = 1;
	int u = -1;

	/* bytes / unit >= 1024 keeps unit * 1024 <= bytes: no overflow */
	while (u + 1 < (int)sizeof(units) - 1 && bytes / unit >= 1024) {
		unit *= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, bytes);
	else if (bytes % unit == 0)
		snprintf(buf, len, "%" PRIu64 "%c", bytes / unit, units[u]);
	else
		snprintf(buf, len, "%.1f%c", (double)bytes / (double)unit,
			 units[u]);
}

void pr_size(const char *key, const char *fmt, uint64_t bytes)
{
	if (pr.json) {
		pr_u64(key, NULL, bytes);
	} else if (fmt) {
		char buf[32];

		format_size(buf, sizeof(buf), bytes);
		fprintf(pr.out, fmt, buf);
	}
}

void format_time(char *buf, size_t len, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "%" PRIu64, ns);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRIu64 "Z",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (uint64_t)(ns % 1000000000ULL));
}

void pr_time(const char *key, const char *fmt, uint64_t ns)
{
	char buf[64];

	if (!pr.json && !fmt)
		return;
	format_time(buf, sizeof(buf), ns);
	pr_string(key, fmt, buf);
}

void pr_text(const char *fmt, ...)
{
	va_list ap;

	if (pr.json)
		return;
	va_start(ap, fmt);
	vfprintf(pr.out, fmt, ap);
	va_end(ap);
}
