// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed and out-of-sequence requests to the vss netlink family, sent
 * raw: each must fail with the expected errno and an extended-ack message
 * (and the offending or missing attribute where there is one), and must
 * change nothing: the LUN and session lists are compared before and after
 * every test.  Kernel warnings fail the run in the VM.
 */
#include <sched.h>

/* The harness's fixture wrappers (setjmp) trip -Wclobbered at -O2. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "nl_raw.h"

FIXTURE(nl)
{
	struct nlr n;
	int luns, sessions;
};

FIXTURE_SETUP(nl)
{
	int ret = nlr_open_loaded(&self->n);

	ASSERT_EQ(0, ret)
		TH_LOG("vss family unavailable (%s)", strerror(-ret));
	self->luns = nlr_dump_count(&self->n, VSS_CMD_LUN_GET);
	self->sessions = nlr_dump_count(&self->n, VSS_CMD_SESSION_GET);
	ASSERT_LE(0, self->luns);
	ASSERT_LE(0, self->sessions);
}

FIXTURE_TEARDOWN(nl)
{
	struct nlr n2;

	if (!self->n.family)
		return;
	/* Sessions of this socket die with it; compare from a fresh one. */
	nlr_close(&self->n);
	ASSERT_EQ(0, nlr_open(&n2));
	EXPECT_EQ(self->luns, nlr_dump_count(&n2, VSS_CMD_LUN_GET));
	EXPECT_EQ(self->sessions, nlr_dump_count(&n2, VSS_CMD_SESSION_GET));
	nlr_close(&n2);
}

/* Send and check: errno one of @e1/@e2, and an extack message. */
#define EXPECT_REJECT(m, e1, e2) ({					\
	struct nlr_ack __a;						\
	int __r = nlr_xfer(&self->n, (m), &__a);			\
	EXPECT_TRUE(__r == -(e1) || __r == -(e2))			\
		TH_LOG("got %d (%s) \"%s\"", __r, strerror(-__r), __a.msg);\
	EXPECT_NE(0, __a.msg[0]) TH_LOG("no extack message (err %d)", __r);\
	__a;								\
})

static void fill_name(char *buf, size_t len)
{
	memset(buf, 'a', len);
	buf[len] = 0;
}

TEST_F(nl, unknown_attr_type)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	nlr_put_str(&m, 200, "x");
	a = EXPECT_REJECT(&m, EINVAL, EINVAL);
	EXPECT_TRUE(a.has_offs);
}

TEST_F(nl, attr_not_taken_by_op)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "x");
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	a = EXPECT_REJECT(&m, EINVAL, EINVAL);
	EXPECT_TRUE(a.has_offs);
}

TEST_F(nl, pad_attr)
{
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	nlr_put_u64(&m, VSS_A_LUN_PAD, 0);
	EXPECT_REJECT(&m, EINVAL, EINVAL);
}

TEST_F(nl, duplicate_attr)
{
	struct nlr_msg m;
	struct nlr_ack a;
	size_t off;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "x");
	off = nlr_put_str(&m, VSS_A_LUN_NAME, "y");
	a = EXPECT_REJECT(&m, EINVAL, EINVAL);
	EXPECT_TRUE(a.has_offs);
	EXPECT_EQ(off, a.offs);
	EXPECT_NE(NULL, strstr(a.msg, "Duplicate"));
}

TEST_F(nl, duplicate_attr_in_dump)
{
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_SNAPSHOT_GET, true);
	nlr_put_str(&m, VSS_A_SNAPSHOT_LUN, "x");
	nlr_put_str(&m, VSS_A_SNAPSHOT_LUN, "y");
	EXPECT_REJECT(&m, EINVAL, EINVAL);
}

TEST_F(nl, string_without_nul)
{
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	nlr_put(&m, VSS_A_LUN_NAME, "abcd", 4);
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, empty_string_attr)
{
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	nlr_put(&m, VSS_A_LUN_NAME, NULL, 0);
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, name_too_long)
{
	char name[VSS_LUN_NAME_MAX + 2];
	struct nlr_msg m;

	fill_name(name, VSS_LUN_NAME_MAX + 1);
	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, name);
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	nlr_put_str(&m, VSS_A_LUN_STORE, "/dev/ram1");
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, path_too_long)
{
	static char path[VSS_PATH_MAX + 2];
	struct nlr_msg m;

	fill_name(path, VSS_PATH_MAX + 1);
	path[0] = '/';
	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "toolong");
	nlr_put_str(&m, VSS_A_LUN_BACKING, path);
	nlr_put_str(&m, VSS_A_LUN_STORE, "/dev/ram1");
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, bad_name_chars)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "a-b");
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	nlr_put_str(&m, VSS_A_LUN_STORE, "/dev/ram1");
	a = EXPECT_REJECT(&m, EINVAL, EINVAL);
	EXPECT_TRUE(a.has_offs);
}

TEST_F(nl, id_too_short)
{
	unsigned char id[16] = { 1 };
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_SESSION_GET, false);
	nlr_put(&m, VSS_A_SESSION_ID, id, 15);
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, id_too_long)
{
	unsigned char id[17] = { 1 };
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_SESSION_ABORT, false);
	nlr_put(&m, VSS_A_SESSION_ID, id, 17);
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, missing_required_attr)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "missing");
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	a = EXPECT_REJECT(&m, EINVAL, EINVAL);
	EXPECT_EQ((uint32_t)VSS_A_LUN_STORE, a.miss_type);
}

TEST_F(nl, missing_session_id)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_SET_START, false);
	a = EXPECT_REJECT(&m, EINVAL, EINVAL);
	EXPECT_EQ((uint32_t)VSS_A_SET_SESSION_ID, a.miss_type);
}

TEST_F(nl, missing_id_in_changes_dump)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_SNAPSHOT_CHANGES, true);
	a = EXPECT_REJECT(&m, EINVAL, EINVAL);
	/* 6.1 reports dump errors in NLMSG_DONE, with the message only */
	if (!a.via_done)
		EXPECT_EQ((uint32_t)VSS_A_SNAPSHOT_ID, a.miss_type);
}

TEST_F(nl, chunk_size_below_range)
{
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "chunk");
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	nlr_put_str(&m, VSS_A_LUN_STORE, "/dev/ram1");
	nlr_put_u32(&m, VSS_A_LUN_CHUNK_SIZE, 1024);
	EXPECT_REJECT(&m, ERANGE, EINVAL);
}

TEST_F(nl, chunk_size_above_range)
{
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "chunk");
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	nlr_put_str(&m, VSS_A_LUN_STORE, "/dev/ram1");
	nlr_put_u32(&m, VSS_A_LUN_CHUNK_SIZE, 2u << 20);
	EXPECT_REJECT(&m, ERANGE, EINVAL);
}

TEST_F(nl, chunk_size_not_power_of_two)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "chunk");
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	nlr_put_str(&m, VSS_A_LUN_STORE, "/dev/ram1");
	nlr_put_u32(&m, VSS_A_LUN_CHUNK_SIZE, 12288);
	a = EXPECT_REJECT(&m, EINVAL, EINVAL);
	EXPECT_NE(NULL, strstr(a.msg, "power of two"));
}

TEST_F(nl, u32_wrong_size)
{
	struct nlr_msg m;
	uint16_t v = 4096;

	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "chunk");
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	nlr_put_str(&m, VSS_A_LUN_STORE, "/dev/ram1");
	nlr_put(&m, VSS_A_LUN_CHUNK_SIZE, &v, sizeof(v));
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, flag_with_payload)
{
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "flag");
	nlr_put_str(&m, VSS_A_LUN_BACKING, "/dev/ram0");
	nlr_put_str(&m, VSS_A_LUN_STORE, "/dev/ram1");
	nlr_put_u32(&m, VSS_A_LUN_FORMAT, 1);
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, offset_out_of_range)
{
	unsigned char id[16] = { 1 };
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_SNAPSHOT_CHANGES, true);
	nlr_put(&m, VSS_A_SNAPSHOT_ID, id, 16);
	nlr_put_u64(&m, VSS_A_SNAPSHOT_OFFSET, 1ull << 63);
	EXPECT_REJECT(&m, ERANGE, EINVAL);
}

TEST_F(nl, nested_flag_on_scalar)
{
	struct nlr_msg m;
	struct nlattr *a;
	size_t off;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	off = nlr_put_str(&m, VSS_A_LUN_NAME, "x");
	a = (struct nlattr *)(m.buf + off);
	a->nla_type |= NLA_F_NESTED;
	EXPECT_REJECT(&m, EINVAL, EINVAL);
}

TEST_F(nl, truncated_attr)
{
	struct nlr_msg m;
	struct nlattr *a;
	size_t off;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	off = nlr_put_str(&m, VSS_A_LUN_NAME, "abc");
	a = (struct nlattr *)(m.buf + off);
	a->nla_len += 64;	/* runs past the end of the message */
	EXPECT_REJECT(&m, EINVAL, ERANGE);
}

TEST_F(nl, reserved_header_field)
{
	struct nlr_msg m;
	struct genlmsghdr *g;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, true);
	g = (struct genlmsghdr *)NLMSG_DATA(&m.nlh);
	g->reserved = 1;
	EXPECT_REJECT(&m, EINVAL, EINVAL);
}

TEST_F(nl, unknown_command)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, 50, false);
	EXPECT_EQ(-EOPNOTSUPP, nlr_xfer(&self->n, &m, &a));
	nlr_req(&self->n, &m, VSS_CMD_LUN_ADDED_NTF, false);
	EXPECT_EQ(-EOPNOTSUPP, nlr_xfer(&self->n, &m, &a));
}

TEST_F(nl, do_only_command_as_dump)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_SESSION_NEW, true);
	EXPECT_EQ(-EOPNOTSUPP, nlr_xfer(&self->n, &m, &a));
}

TEST_F(nl, attrs_on_attrless_op)
{
	unsigned char id[16] = { 1 };
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_SESSION_NEW, false);
	nlr_put(&m, VSS_A_SESSION_ID, id, 16);
	EXPECT_REJECT(&m, EINVAL, EINVAL);
}

TEST_F(nl, dump_filter_in_get)
{
	unsigned char id[16] = { 1 };
	struct nlr_msg m;

	nlr_req(&self->n, &m, VSS_CMD_SNAPSHOT_GET, false);
	nlr_put(&m, VSS_A_SNAPSHOT_ID, id, 16);
	nlr_put_str(&m, VSS_A_SNAPSHOT_LUN, "x");
	EXPECT_REJECT(&m, EINVAL, EINVAL);
}

TEST_F(nl, unknown_lun)
{
	struct nlr_msg m;
	struct nlr_ack a;

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "nosuchlun");
	a = EXPECT_REJECT(&m, ENOENT, ENOENT);
	EXPECT_TRUE(a.has_cookie);
	EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, a.hresult);
	nlr_req(&self->n, &m, VSS_CMD_LUN_DEL, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, "nosuchlun");
	EXPECT_REJECT(&m, ENOENT, ENOENT);
}

TEST_F(nl, unknown_ids)
{
	unsigned char id[16];
	struct nlr_msg m;
	struct nlr_ack a;
	uint8_t cmds[] = { VSS_CMD_SESSION_GET, VSS_CMD_SESSION_ABORT };
	size_t i;

	memset(id, 0x5a, sizeof(id));
	for (i = 0; i < sizeof(cmds); i++) {
		nlr_req(&self->n, &m, cmds[i], false);
		nlr_put(&m, VSS_A_SESSION_ID, id, 16);
		a = EXPECT_REJECT(&m, ENOENT, ENOENT);
		EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, a.hresult);
	}
	nlr_req(&self->n, &m, VSS_CMD_SNAPSHOT_GET, false);
	nlr_put(&m, VSS_A_SNAPSHOT_ID, id, 16);
	EXPECT_REJECT(&m, ENOENT, ENOENT);
	nlr_req(&self->n, &m, VSS_CMD_SNAPSHOT_DEL, false);
	nlr_put(&m, VSS_A_SNAPSHOT_ID, id, 16);
	EXPECT_REJECT(&m, ENOENT, ENOENT);
	nlr_req(&self->n, &m, VSS_CMD_SNAPSHOT_CHANGES, true);
	nlr_put(&m, VSS_A_SNAPSHOT_ID, id, 16);
	EXPECT_REJECT(&m, ENOENT, ENOENT);
	nlr_req(&self->n, &m, VSS_CMD_SET_DEL, false);
	nlr_put(&m, VSS_A_SET_ID, id, 16);
	EXPECT_REJECT(&m, ENOENT, ENOENT);
	nlr_req(&self->n, &m, VSS_CMD_SET_START, false);
	nlr_put(&m, VSS_A_SET_SESSION_ID, id, 16);
	EXPECT_REJECT(&m, ENOENT, ENOENT);
}

TEST_F(nl, set_out_of_sequence)
{
	unsigned char sid[16], set_id[16], other[16];
	struct nlr_ack a;
	struct nlr_msg m;

	ASSERT_EQ(0, nlr_session_new(&self->n, sid));
	memset(other, 0x33, sizeof(other));
	/* No set yet: AddToSnapshotSet / DoSnapshotSet name an unknown set. */
	EXPECT_EQ(-ENOENT, nlr_set_add(&self->n, sid, other, "x", &a));
	EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, a.hresult);
	EXPECT_EQ(-ENOENT, nlr_set_do(&self->n, sid, other, &a));

	ASSERT_EQ(0, nlr_set_start(&self->n, sid, set_id, &a));
	EXPECT_EQ(-EBUSY, nlr_set_start(&self->n, sid, other, &a));
	EXPECT_EQ(VSS_E_SNAPSHOT_SET_IN_PROGRESS, a.hresult);
	EXPECT_NE(0, a.msg[0]);
	EXPECT_EQ(-ENOENT, nlr_set_add(&self->n, sid, other, "x", &a));
	EXPECT_EQ(-ENOENT, nlr_set_add(&self->n, sid, set_id, "nosuchlun", &a));
	EXPECT_EQ(VSS_E_OBJECT_NOT_FOUND, a.hresult);
	EXPECT_EQ(-EINVAL, nlr_set_do(&self->n, sid, set_id, &a));
	EXPECT_EQ(VSS_E_BAD_STATE, a.hresult);

	/* AbortBackup: afterwards only queries work. */
	nlr_req(&self->n, &m, VSS_CMD_SESSION_ABORT, false);
	nlr_put(&m, VSS_A_SESSION_ID, sid, 16);
	ASSERT_EQ(0, nlr_xfer(&self->n, &m, &a));
	EXPECT_EQ(-EINVAL, nlr_set_start(&self->n, sid, other, &a));
	EXPECT_EQ(VSS_E_BAD_STATE, a.hresult);
	nlr_req(&self->n, &m, VSS_CMD_SESSION_GET, false);
	nlr_put(&m, VSS_A_SESSION_ID, sid, 16);
	ASSERT_EQ(0, nlr_xfer(&self->n, &m, &a));
	ASSERT_NE(NULL, nlr_reply_attr(&a, VSS_A_SESSION_STATE));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_ABORTED,
		  *(uint32_t *)nlr_data(nlr_reply_attr(&a, VSS_A_SESSION_STATE)));
	/* The session is dropped with the socket (checked in teardown). */
}

TEST_F(nl, session_dies_with_socket)
{
	unsigned char sid[16];
	struct nlr other;
	int before = nlr_dump_count(&self->n, VSS_CMD_SESSION_GET);

	ASSERT_EQ(0, nlr_open(&other));
	ASSERT_EQ(0, nlr_session_new(&other, sid));
	ASSERT_EQ(0, nlr_session_new(&other, sid));
	EXPECT_EQ(before + 2, nlr_dump_count(&self->n, VSS_CMD_SESSION_GET));
	nlr_close(&other);
	EXPECT_EQ(before, nlr_dump_count(&self->n, VSS_CMD_SESSION_GET));
}

NLR_UNLOAD_AT_EXIT

TEST_HARNESS_MAIN
