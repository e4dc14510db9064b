// SPDX-License-Identifier: GPL-2.0
/*
 * Module life cycle: vss.ko loads, shows up in /sys/module, registers its
 * generic netlink family, and unloads cleanly, repeatedly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "kselftest_harness.h"

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/vss", &st) == 0;
}

/* Resolve the generic netlink family "vss" as a client would. */
static int family_id(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int id;

	if (!sk)
		return -ENOMEM;
	id = genl_connect(sk);
	if (!id)
		id = genl_ctrl_resolve(sk, "vss");
	nl_socket_free(sk);
	return id;
}

TEST(load_unload)
{
	int i;

	sh("rmmod vss 2>/dev/null");
	ASSERT_FALSE(module_loaded());
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, sh("modprobe vss"));
		ASSERT_TRUE(module_loaded());
		ASSERT_LT(0, family_id()) TH_LOG("netlink family vss not registered");
		ASSERT_EQ(0, sh("rmmod vss"));
		ASSERT_FALSE(module_loaded());
		ASSERT_GT(0, family_id()) TH_LOG("netlink family vss still registered");
	}
}

TEST(initstate_live)
{
	char buf[16] = "";
	FILE *f;

	ASSERT_EQ(0, sh("modprobe vss"));
	f = fopen("/sys/module/vss/initstate", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	EXPECT_STREQ("live\n", buf);
	ASSERT_EQ(0, sh("rmmod vss"));
}

TEST_HARNESS_MAIN
