// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: the LIBVSSCTL_1.4 versions of the functions that fill
 * struct vss_resync_info (it grew in LIBVSSCTL_1.7) fill the old layout
 * and write nothing past it.  Binaries built before 1.7 call them; the
 * export side (both versions present) is checked by exports_test.sh.
 * Links libvssctl.a for the internal names of the versioned functions.
 */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "internal.h"

#define FAMILY 0x1c
#define GUARD 0xa5

struct old_buf {
	struct vss_resync_info_v14 v;
	unsigned char guard[64];
};

struct seen {
	int rc_new, rc_old;
	struct vss_resync_info ri;
	struct old_buf old;
};

static int cb(void *arg, const struct vss_event *ev)
{
	struct seen *s = arg;

	s->rc_new = vss__event_resync(ev, &s->ri);
	s->rc_old = vss__event_resync_v14(ev, &s->old.v);
	return 0;
}

static struct nl_msg *progress_ntf(void)
{
	struct nl_msg *m = nlmsg_alloc();
	uint8_t id[VSS_ID_LEN];

	for (int i = 0; i < VSS_ID_LEN; i++)
		id[i] = (uint8_t)(0x40 + i);
	genlmsg_put(m, 0, 0, FAMILY, 0, 0, VSS_CMD_RESYNC_PROGRESS_NTF, 1);
	nla_put_string(m, VSS_A_RESYNC_LUN, "db");
	nla_put(m, VSS_A_RESYNC_SNAPSHOT_ID, sizeof(id), id);
	nla_put_string(m, VSS_A_RESYNC_DESTINATION, "vss-db");
	nla_put_u32(m, VSS_A_RESYNC_STATE, VSS_RESYNC_STATE_RUNNING);
	nla_put_u64(m, VSS_A_RESYNC_DONE_BYTES, 4096);
	nla_put_u64(m, VSS_A_RESYNC_TOTAL_BYTES, 65536);
	nla_put(m, VSS_A_RESYNC_SESSION_ID, sizeof(id), id);
	nla_put_u64(m, VSS_A_RESYNC_ACTIVATE_US, 1234);
	nla_put_u64(m, VSS_A_RESYNC_ELAPSED_US, 56789);
	return m;
}

static void test_event_v14(void)
{
	struct vss_ctx ctx = { .family = FAMILY, .log_priority = -1 };
	struct nl_msg *m = progress_ntf();
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	struct seen s;
	int spill = 0;

	memset(&s, 0, sizeof(s));
	memset(&s.old, GUARD, sizeof(s.old));
	CHECK_EQ_INT(vss__events_feed(&ctx, nlh, nlh->nlmsg_len, cb, &s), 1);
	CHECK_EQ_INT(s.rc_new, 0);
	CHECK_EQ_INT(s.rc_old, 0);
	/* the current layout has the times */
	CHECK(s.ri.has_times);
	CHECK_EQ_INT(s.ri.activate_us, 1234);
	CHECK_EQ_INT(s.ri.elapsed_us, 56789);
	/* the old one has every field it had, equal */
	CHECK_STR(s.old.v.lun, "db");
	CHECK_STR(s.old.v.destination, "vss-db");
	CHECK_EQ_INT(s.old.v.state, VSS_RESYNC_STATE_RUNNING);
	CHECK_EQ_INT(s.old.v.done_bytes, 4096);
	CHECK_EQ_INT(s.old.v.total_bytes, 65536);
	CHECK(s.old.v.has_session_id);
	CHECK(vss_id_equal(&s.old.v.session_id, &s.ri.session_id));
	CHECK(vss_id_equal(&s.old.v.snapshot_id, &s.ri.snapshot_id));
	/* and nothing was written past it */
	for (size_t i = 0; i < sizeof(s.old.guard); i++)
		spill += s.old.guard[i] != GUARD;
	CHECK_EQ_INT(spill, 0);
	nlmsg_free(m);
}

/* The old layout is shorter, and its argument errors are the same. */
static void test_layout_and_args(void)
{
	struct vss_resync_info_v14 old;

	CHECK(sizeof(struct vss_resync_info_v14) <
	      sizeof(struct vss_resync_info));
	CHECK_EQ_INT(vss__event_resync_v14(NULL, &old), -EINVAL);
	CHECK_EQ_INT(vss__resync_get_v14(NULL, "vss-db", &old), -EINVAL);
	CHECK_EQ_INT(vss__resync_wait_v14(NULL, "vss-db", 0, &old), -EINVAL);
	CHECK_EQ_INT(vss__resync_list_v14(NULL, NULL, NULL), -EINVAL);
}

int main(void)
{
	RUN(test_event_v14);
	RUN(test_layout_and_args);
	return tap_done();
}
