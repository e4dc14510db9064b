// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: vssctl's command dispatch, LUN name derivation and the
 * stable JSON field names of its objects.
 */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "cli.h"

static int called;

static int fake_cmd(int argc, char **argv)
{
	(void)argv;
	called = argc + 1;
	return 0;
}

static const struct cmd cmds[] = {
	{ "add", fake_cmd, "add X" },
	{ "list", fake_cmd, "list" },
	{ NULL, NULL, NULL },
};

static void test_dispatch(void)
{
	char *add[] = { "add", "a", "b" };
	char *abbrev[] = { "ad" };
	char *longer[] = { "adds" };
	char *help[] = { "help" };
	char *subhelp[] = { "add", "--help" };

	called = 0;
	CHECK_EQ_INT(dispatch("lun", cmds, 3, add), 0);
	CHECK_EQ_INT(called, 3);
	called = 0;
	/* exact matching: no abbreviations */
	CHECK_EQ_INT(dispatch("lun", cmds, 1, abbrev), VSSCTL_EXIT_USAGE);
	CHECK_EQ_INT(dispatch("lun", cmds, 1, longer), VSSCTL_EXIT_USAGE);
	CHECK_EQ_INT(dispatch("lun", cmds, 0, NULL), VSSCTL_EXIT_USAGE);
	CHECK_EQ_INT(called, 0);
	CHECK_EQ_INT(dispatch("lun", cmds, 1, help), VSSCTL_EXIT_OK);
	CHECK_EQ_INT(dispatch("lun", cmds, 2, subhelp), VSSCTL_EXIT_OK);
	CHECK_EQ_INT(called, 0);
}

static void test_lun_name_from_path(void)
{
	char n[VSS_LUN_NAME_MAX + 1];

	CHECK_EQ_INT(lun_name_from_path("/dev/sdb", n, sizeof(n)), 0);
	CHECK_STR(n, "sdb");
	CHECK_EQ_INT(lun_name_from_path("/dev/mapper/vg-lv", n, sizeof(n)), 0);
	CHECK_STR(n, "vg_lv");
	CHECK_EQ_INT(lun_name_from_path("ram0", n, sizeof(n)), 0);
	CHECK_STR(n, "ram0");
	CHECK_EQ_INT(lun_name_from_path("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4e5",
					n, sizeof(n)), 0);
	CHECK_EQ_INT(strlen(n), VSS_LUN_NAME_MAX);
	CHECK_EQ_INT(lun_name_from_path("/dev/", n, sizeof(n)), -EINVAL);
}

static char *capture_json(void (*fn)(void))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pr_init(f, true, false);
	fn();
	pr_finish();
	fclose(f);
	return buf;
}

static void emit_lun(void)
{
	struct vss_lun_info li = {
		.name = "db", .device = "/dev/vss-db", .backing = "ram0",
		.store = "ram1", .chunk_size = 65536, .size = 1 << 20,
		.store_size = 4096000, .store_used = 8192,
		.snapshot_count = 1,
	};

	print_lun(NULL, &li);
}

static void emit_snapshot(void)
{
	struct vss_snapshot_info si = {
		.lun = "db", .device = "/dev/vss-db-s1", .seq = 1,
		.created_ns = 1000000000ULL, .state = VSS_SNAPSHOT_STATE_READY,
		.cow_bytes = 4096,
	};

	si.id.b[0] = 0xab;
	print_snapshot(NULL, &si);
}

static void test_json_fields(void)
{
	char *s = capture_json(emit_lun);

	CHECK_STR(s, "{\"name\":\"db\",\"device\":\"/dev/vss-db\","
		  "\"backing\":\"ram0\",\"store\":\"ram1\",\"chunk_size\":65536,"
		  "\"size\":1048576,\"store_used\":8192,\"store_size\":4096000,"
		  "\"snapshots\":1,\"busy\":false}\n");
	free(s);
	s = capture_json(emit_snapshot);
	CHECK_STR(s, "{\"id\":\"ab000000-0000-0000-0000-000000000000\","
		  "\"set_id\":\"\","	/* no set (broken) */
		  "\"lun\":\"db\",\"device\":\"/dev/vss-db-s1\",\"seq\":1,"
		  "\"created\":\"1970-01-01T00:00:01.000000000Z\","
		  "\"created_ns\":1000000000,\"state\":\"ready\","
		  "\"cow_bytes\":4096}\n");
	free(s);
}

static void test_text_lun(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pr_init(f, false, false);
	emit_lun();
	pr_finish();
	fclose(f);
	CHECK_STR(buf, "db: device /dev/vss-db backing ram0 store ram1 "
		  "chunk_size 64K size 1M store_used 8K store_size 3.9M "
		  "snapshots 1\n");
	free(buf);
}

int main(void)
{
	RUN(test_dispatch);
	RUN(test_lun_name_from_path);
	RUN(test_json_fields);
	RUN(test_text_lun);
	return tap_done();
}
