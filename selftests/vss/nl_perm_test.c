// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions of the vss netlink family: every operation (queries too: they
 * reveal LUN paths) and the "events" multicast group need CAP_SYS_ADMIN in
 * the initial user namespace.  An unprivileged user (uid/gid 65534) and
 * root inside a new user namespace get EPERM with an extended-ack message,
 * and nothing changes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/wait.h>

/* The harness's fixture wrappers (setjmp) trip -Wclobbered at -O2. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "nl_raw.h"

/* One well-formed request per operation, so only the permission fails. */
static void build(struct nlr *n, struct nlr_msg *m, int i, bool *dump)
{
	static const unsigned char id[16] = { 7 };

	*dump = false;
	switch (i) {
	case 0:
		nlr_req(n, m, VSS_CMD_LUN_ADD, false);
		nlr_put_str(m, VSS_A_LUN_NAME, "perm");
		nlr_put_str(m, VSS_A_LUN_BACKING, "/dev/ram0");
		nlr_put_str(m, VSS_A_LUN_STORE, "/dev/ram1");
		break;
	case 1:
		nlr_req(n, m, VSS_CMD_LUN_DEL, false);
		nlr_put_str(m, VSS_A_LUN_NAME, "perm");
		break;
	case 2:
		nlr_req(n, m, VSS_CMD_LUN_GET, false);
		nlr_put_str(m, VSS_A_LUN_NAME, "perm");
		break;
	case 3:
		nlr_req(n, m, VSS_CMD_LUN_GET, true);
		*dump = true;
		break;
	case 4:
		nlr_req(n, m, VSS_CMD_SESSION_NEW, false);
		break;
	case 5:
		nlr_req(n, m, VSS_CMD_SESSION_GET, false);
		nlr_put(m, VSS_A_SESSION_ID, id, 16);
		break;
	case 6:
		nlr_req(n, m, VSS_CMD_SESSION_GET, true);
		*dump = true;
		break;
	case 7:
		nlr_req(n, m, VSS_CMD_SESSION_ABORT, false);
		nlr_put(m, VSS_A_SESSION_ID, id, 16);
		break;
	case 8:
		nlr_req(n, m, VSS_CMD_SET_START, false);
		nlr_put(m, VSS_A_SET_SESSION_ID, id, 16);
		break;
	case 9:
		nlr_req(n, m, VSS_CMD_SET_ADD, false);
		nlr_put(m, VSS_A_SET_SESSION_ID, id, 16);
		nlr_put(m, VSS_A_SET_ID, id, 16);
		nlr_put_str(m, VSS_A_SET_LUN, "perm");
		break;
	case 10:
		nlr_req(n, m, VSS_CMD_SET_DO, false);
		nlr_put(m, VSS_A_SET_SESSION_ID, id, 16);
		nlr_put(m, VSS_A_SET_ID, id, 16);
		break;
	case 11:
		nlr_req(n, m, VSS_CMD_SET_DEL, false);
		nlr_put(m, VSS_A_SET_ID, id, 16);
		break;
	case 12:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_GET, false);
		nlr_put(m, VSS_A_SNAPSHOT_ID, id, 16);
		break;
	case 13:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_GET, true);
		nlr_put_str(m, VSS_A_SNAPSHOT_LUN, "perm");
		*dump = true;
		break;
	case 14:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_DEL, false);
		nlr_put(m, VSS_A_SNAPSHOT_ID, id, 16);
		break;
	case 15:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_CHANGES, true);
		nlr_put(m, VSS_A_SNAPSHOT_ID, id, 16);
		*dump = true;
		break;
	case 16:
		nlr_req(n, m, VSS_CMD_SET_BREAK, false);
		nlr_put(m, VSS_A_SET_ID, id, 16);
		break;
	}
}

#define NR_REQS 17

/* In the child: every request must fail with EPERM and say why. */
static int all_denied(void)
{
	struct nlr_msg m;
	struct nlr_ack a;
	struct nlr n;
	int i, bad = 0, grp;
	bool dump;

	if (nlr_open(&n)) {
		fprintf(stderr, "# cannot open/resolve the family\n");
		return 100;
	}
	for (i = 0; i < NR_REQS; i++) {
		int ret;

		build(&n, &m, i, &dump);
		ret = nlr_xfer(&n, &m, &a);
		if (ret != -EPERM || !strstr(a.msg, "CAP_SYS_ADMIN")) {
			fprintf(stderr, "# request %d (cmd %u%s): %d \"%s\"\n",
				i, ((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->cmd,
				dump ? " dump" : "", ret, a.msg);
			bad++;
		}
	}
	grp = n.mcgrp_events;
	if (!grp || !setsockopt(n.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&grp, sizeof(grp)) || errno != EPERM) {
		fprintf(stderr, "# joining \"events\" (group %d) was not refused\n",
			grp);
		bad++;
	}
	nlr_close(&n);
	return bad;
}

static int run_child(int (*prep)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (prep())
			_exit(101);
		_exit(all_denied());
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		perror("# setuid nobody");
		return -1;
	}
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s));
	close(fd);
	return r == (ssize_t)strlen(s) ? 0 : -1;
}

static int become_userns_root(void)
{
	if (unshare(CLONE_NEWUSER)) {
		perror("# unshare(CLONE_NEWUSER)");
		return -1;
	}
	if (write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", "0 0 1") ||
	    write_file("/proc/self/gid_map", "0 0 1")) {
		perror("# uid_map");
		return -1;
	}
	return 0;
}

FIXTURE(perm)
{
	struct nlr n;
	int luns, sessions;
};

FIXTURE_SETUP(perm)
{
	int ret = nlr_open_loaded(&self->n);

	ASSERT_EQ(0, ret)
		TH_LOG("vss family unavailable (%s)", strerror(-ret));
	self->luns = nlr_dump_count(&self->n, VSS_CMD_LUN_GET);
	self->sessions = nlr_dump_count(&self->n, VSS_CMD_SESSION_GET);
}

FIXTURE_TEARDOWN(perm)
{
	if (!self->n.family)
		return;
	EXPECT_EQ(self->luns, nlr_dump_count(&self->n, VSS_CMD_LUN_GET));
	EXPECT_EQ(self->sessions, nlr_dump_count(&self->n, VSS_CMD_SESSION_GET));
	nlr_close(&self->n);
}

TEST_F(perm, root_is_allowed)
{
	struct nlr_msg m;
	struct nlr_ack a;
	int grp = self->n.mcgrp_events;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, true);
	EXPECT_EQ(0, nlr_xfer(&self->n, &m, &a));
	ASSERT_NE(0, grp);
	EXPECT_EQ(0, setsockopt(self->n.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&grp, sizeof(grp)));
}

TEST_F(perm, unprivileged_user)
{
	EXPECT_EQ(0, run_child(become_nobody));
}

TEST_F(perm, root_in_user_namespace)
{
	EXPECT_EQ(0, run_child(become_userns_root));
}

NLR_UNLOAD_AT_EXIT

TEST_HARNESS_MAIN
