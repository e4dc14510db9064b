// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: vssctl's size parser, option parser and exit codes.
 */
#include <errno.h>

#include "tap.h"
#include "util.h"

static void test_parse_size_ok(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "64K", 65536 }, { "64k", 65536 },
		{ "1M", 1 << 20 }, { "1MiB", 1 << 20 }, { "1MB", 1 << 20 },
		{ "2G", 2ULL << 30 }, { "3T", 3ULL << 40 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215T", 16777215ULL << 40 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 12345;

		CHECK_EQ_INT(parse_size(ok[i].s, &v), 0);
		CHECK_EQ_U64(v, ok[i].v);
	}
}

static void test_parse_size_bad(void)
{
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{ "", -EINVAL }, { "K", -EINVAL }, { "-1", -EINVAL },
		{ " 1", -EINVAL }, { "1 ", -EINVAL }, { "1KK", -EINVAL },
		{ "1X", -EINVAL }, { "1.5M", -EINVAL }, { "1Mi", -EINVAL },
		{ "1Kb", -EINVAL }, { "0x10", -EINVAL },
		{ "18446744073709551616", -ERANGE },
		{ "16777216T", -ERANGE },
		{ "99999999999999999999999", -ERANGE },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 777;

		if (parse_size(bad[i].s, &v) != bad[i].err)
			printf("#   input \"%s\"\n", bad[i].s);
		CHECK_EQ_INT(parse_size(bad[i].s, &v), bad[i].err);
		CHECK_EQ_U64(v, 777);
	}
}

static void test_exit_codes(void)
{
	CHECK_EQ_INT(exit_code_from_errno(0), 0);
	CHECK_EQ_INT(exit_code_from_errno(-EPERM), VSSCTL_EXIT_PERM);
	CHECK_EQ_INT(exit_code_from_errno(-EACCES), VSSCTL_EXIT_PERM);
	CHECK_EQ_INT(exit_code_from_errno(-ENOENT), VSSCTL_EXIT_NOTFOUND);
	CHECK_EQ_INT(exit_code_from_errno(-ENODEV), VSSCTL_EXIT_NOTFOUND);
	CHECK_EQ_INT(exit_code_from_errno(-EBUSY), VSSCTL_EXIT_BUSY);
	CHECK_EQ_INT(exit_code_from_errno(-EEXIST), VSSCTL_EXIT_EXISTS);
	CHECK_EQ_INT(exit_code_from_errno(-ENOSPC), VSSCTL_EXIT_NOSPACE);
	CHECK_EQ_INT(exit_code_from_errno(-ETIMEDOUT), VSSCTL_EXIT_TIMEOUT);
	CHECK_EQ_INT(exit_code_from_errno(-EINVAL), VSSCTL_EXIT_INVALID);
	CHECK_EQ_INT(exit_code_from_errno(-ERANGE), VSSCTL_EXIT_INVALID);
	CHECK_EQ_INT(exit_code_from_errno(-EIO), VSSCTL_EXIT_FAIL);
	CHECK_EQ_INT(exit_code_from_errno(EBUSY), VSSCTL_EXIT_BUSY);
	/* documented values never change */
	CHECK_EQ_INT(VSSCTL_EXIT_USAGE, 2);
	CHECK_EQ_INT(VSSCTL_EXIT_NOMODULE, 3);
	CHECK_EQ_INT(VSSCTL_EXIT_INVALID, 10);
}

static void test_parse_opts(void)
{
	const char *store = NULL, *name = NULL, *chunk = NULL;
	bool format = false;
	const struct opt opts[] = {
		{ "store", true, &store, NULL },
		{ "name", true, &name, NULL },
		{ "chunk-size", true, &chunk, NULL },
		{ "format", false, NULL, &format },
		{ NULL, false, NULL, NULL },
	};
	char *argv[] = { "/dev/sdb", "--store", "/dev/sdc", "--chunk-size=64K",
			 "--format", "--name", "db" };
	const char *pos[2];
	int n;

	n = parse_opts(7, argv, opts, pos, 2);
	CHECK_EQ_INT(n, 1);
	CHECK_STR(pos[0], "/dev/sdb");
	CHECK_STR(store, "/dev/sdc");
	CHECK_STR(chunk, "64K");
	CHECK_STR(name, "db");
	CHECK(format);
}

static void test_parse_opts_errors(void)
{
	const char *store = NULL;
	bool format = false;
	const struct opt opts[] = {
		{ "store", true, &store, NULL },
		{ "format", false, NULL, &format },
		{ NULL, false, NULL, NULL },
	};
	const char *pos[1];
	char *unknown[] = { "--stor", "x" };		/* no abbreviations */
	char *missing[] = { "--store" };
	char *twice[] = { "--store", "a", "--store=b" };
	char *flagval[] = { "--format=yes" };
	char *extra[] = { "a", "b" };
	char *dash[] = { "-x" };
	char *dashdash[] = { "--", "--store" };

	CHECK_EQ_INT(parse_opts(2, unknown, opts, pos, 1), -1);
	store = NULL;
	CHECK_EQ_INT(parse_opts(1, missing, opts, pos, 1), -1);
	store = NULL;
	CHECK_EQ_INT(parse_opts(3, twice, opts, pos, 1), -1);
	CHECK_EQ_INT(parse_opts(1, flagval, opts, pos, 1), -1);
	CHECK_EQ_INT(parse_opts(2, extra, opts, pos, 1), -1);
	CHECK_EQ_INT(parse_opts(1, dash, opts, pos, 1), -1);
	store = NULL;
	CHECK_EQ_INT(parse_opts(2, dashdash, opts, pos, 1), 1);
	CHECK_STR(pos[0], "--store");
	CHECK(store == NULL);
}

static void test_is_help(void)
{
	CHECK(is_help("help"));
	CHECK(is_help("-h"));
	CHECK(is_help("--help"));
	CHECK(!is_help("hel"));
	CHECK(!is_help("helpx"));
	CHECK(!is_help(NULL));
}

int main(void)
{
	RUN(test_parse_size_ok);
	RUN(test_parse_size_bad);
	RUN(test_exit_codes);
	RUN(test_parse_opts);
	RUN(test_parse_opts_errors);
	RUN(test_is_help);
	return tap_done();
}
