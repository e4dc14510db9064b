// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: vssctl's text/JSON printer.
 */
#include <stdlib.h>

#include "tap.h"
#include "print.h"

static char *out_buf;
static size_t out_len;
static FILE *out;

static void begin(bool json, bool pretty)
{
	out = open_memstream(&out_buf, &out_len);
	pr_init(out, json, pretty);
}

static const char *end(void)
{
	fclose(out);
	return out_buf;
}

static void emit_lun(void)
{
	pr_open_object(NULL);
	pr_string("name", "%s:", "a");
	pr_string("device", " device %s", "/dev/vss-a");
	pr_size("chunk_size", " chunk %s", 65536);
	pr_u64("nr", " n %" PRIu64, 3);
	pr_bool("busy", " busy %s", false);
	pr_text("\n");
	pr_close_object();
}

static void test_text_mode(void)
{
	begin(false, false);
	emit_lun();
	pr_finish();
	CHECK_STR(end(), "a: device /dev/vss-a chunk 64K n 3 busy no\n");
	free(out_buf);
}

static void test_json_object(void)
{
	begin(true, false);
	emit_lun();
	pr_finish();
	CHECK_STR(end(), "{\"name\":\"a\",\"device\":\"/dev/vss-a\","
		  "\"chunk_size\":65536,\"nr\":3,\"busy\":false}\n");
	free(out_buf);
}

static void test_json_array_nesting(void)
{
	begin(true, false);
	pr_open_array(NULL);
	emit_lun();
	pr_open_object(NULL);
	pr_open_array("snapshots");
	pr_close_array();
	pr_open_object("empty");
	pr_close_object();
	pr_close_object();
	pr_close_array();
	pr_finish();
	CHECK_STR(end(), "[{\"name\":\"a\",\"device\":\"/dev/vss-a\","
		  "\"chunk_size\":65536,\"nr\":3,\"busy\":false},"
		  "{\"snapshots\":[],\"empty\":{}}]\n");
	free(out_buf);
}

static void test_json_pretty(void)
{
	begin(true, true);
	pr_open_object(NULL);
	pr_string("a", NULL, "x");
	pr_open_array("l");
	pr_u64(NULL, NULL, 1);
	pr_u64(NULL, NULL, 2);
	pr_close_array();
	pr_close_object();
	pr_finish();
	CHECK_STR(end(), "{\n  \"a\": \"x\",\n  \"l\": [\n    1,\n    2\n  ]\n}\n");
	free(out_buf);
}

static void test_json_escape(void)
{
	begin(true, false);
	pr_string(NULL, NULL, "q\"b\\n\n\t\x01\x7f");
	pr_finish();
	CHECK_STR(end(), "\"q\\\"b\\\\n\\n\\t\\u0001\\u007f\"\n");
	free(out_buf);
}

static void test_text_ignores_structure(void)
{
	begin(false, false);
	pr_open_array(NULL);
	pr_string("x", NULL, "hidden");
	pr_u64("y", NULL, 5);
	pr_close_array();
	pr_finish();
	CHECK_STR(end(), "");
	free(out_buf);
}

static void test_format_size(void)
{
	char b[32];

	format_size(b, sizeof(b), 0);
	CHECK_STR(b, "0");
	format_size(b, sizeof(b), 1023);
	CHECK_STR(b, "1023");
	format_size(b, sizeof(b), 1024);
	CHECK_STR(b, "1K");
	format_size(b, sizeof(b), 1536);
	CHECK_STR(b, "1.5K");
	format_size(b, sizeof(b), 1ULL << 20);
	CHECK_STR(b, "1M");
	format_size(b, sizeof(b), 3ULL << 30);
	CHECK_STR(b, "3G");
	format_size(b, sizeof(b), 1ULL << 60);
	CHECK_STR(b, "1E");
	format_size(b, sizeof(b), UINT64_MAX);
	CHECK_STR(b, "16.0E");
}

static void test_format_time(void)
{
	char b[64];

	format_time(b, sizeof(b), 0);
	CHECK_STR(b, "1970-01-01T00:00:00.000000000Z");
	format_time(b, sizeof(b), 1795311495123456789ULL);
	CHECK_STR(b, "2026-11-22T01:38:15.123456789Z");
}

static void test_json_time(void)
{
	begin(true, false);
	pr_time("created", "%s", 1000000001ULL);
	pr_finish();
	CHECK_STR(end(), "\"created\":\"1970-01-01T00:00:01.000000001Z\"\n");
	free(out_buf);
}

int main(void)
{
	RUN(test_text_mode);
	RUN(test_json_object);
	RUN(test_json_array_nesting);
	RUN(test_json_pretty);
	RUN(test_json_escape);
	RUN(test_text_ignores_structure);
	RUN(test_format_size);
	RUN(test_format_time);
	RUN(test_json_time);
	return tap_done();
}
