// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: the set-break notification (set-break-ntf) decoded by
 * libvssctl and read with vss_event_set_break(), which answers only for the
 * event being dispatched.  Links libvssctl.a for the internal vss__ calls.
 */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "internal.h"

#define FAMILY 0x1c

static vss_id_t mkid(uint8_t seed)
{
	vss_id_t id;

	for (int i = 0; i < 16; i++)
		id.b[i] = (uint8_t)(seed + i);
	return id;
}

/* A set-break-ntf; @count < 0 leaves the count out. */
static struct nl_msg *set_break_ntf(const vss_id_t *set_id, long count)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 0, FAMILY, 0, 0, VSS_CMD_SET_BREAK_NTF, 1);
	nla_put(m, VSS_A_SET_ID, sizeof(set_id->b), set_id->b);
	if (count >= 0)
		nla_put_u32(m, VSS_A_SET_SNAPSHOT_COUNT, (uint32_t)count);
	return m;
}

struct seen {
	int events;
	uint32_t type;
	int rc;				/* vss_event_set_break() on the event */
	struct vss_set_break_event sb;
	int copy_rc;			/* ... on a copy of it */
	const struct vss_event *ptr;	/* the pointer, for after the call */
};

static int cb(void *arg, const struct vss_event *ev)
{
	struct seen *s = arg;
	struct vss_event copy = *ev;
	struct vss_set_break_event sb;

	s->events++;
	s->type = ev->type;
	s->rc = vss_event_set_break(ev, &s->sb);
	s->copy_rc = vss_event_set_break(&copy, &sb);
	s->ptr = ev;
	return 0;
}

static void test_decode(void)
{
	struct vss_ctx ctx = { .family = FAMILY, .log_priority = -1 };
	vss_id_t set = mkid(0x70);
	struct nl_msg *m = set_break_ntf(&set, 3);
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	struct vss_set_break_event sb;
	struct vss__event xev;
	struct vss_event ev;
	struct seen s = { 0 };

	CHECK_EQ_INT(vss__parse_event_ext(nlh, FAMILY, &xev), 0);
	CHECK_EQ_INT(xev.pub.type, VSS_CMD_SET_BREAK_NTF);
	CHECK(xev.has_set_break);
	CHECK(!xev.pub.has_lun && !xev.pub.has_snapshot);
	CHECK(vss_id_equal(&xev.set_break.set_id, &set));
	CHECK_EQ_INT(xev.set_break.snapshot_count, 3);
	/* the public-only decoder still accepts it */
	CHECK_EQ_INT(vss__parse_event(nlh, FAMILY, &ev), 0);
	CHECK_EQ_INT(ev.type, VSS_CMD_SET_BREAK_NTF);
	CHECK_STR(vss_event_name(VSS_CMD_SET_BREAK_NTF), "set-break");

	CHECK_EQ_INT(vss__events_feed(&ctx, nlh, nlh->nlmsg_len, cb, &s), 1);
	CHECK_EQ_INT(s.events, 1);
	CHECK_EQ_INT(s.type, VSS_CMD_SET_BREAK_NTF);
	CHECK_EQ_INT(s.rc, 0);
	CHECK(vss_id_equal(&s.sb.set_id, &set));
	CHECK_EQ_INT(s.sb.snapshot_count, 3);
	/* a copy, or the event once its call is over, has no details */
	CHECK_EQ_INT(s.copy_rc, -EINVAL);
	CHECK_EQ_INT(vss_event_set_break(s.ptr, &sb), -EINVAL);
	CHECK_EQ_INT(vss_event_set_break(NULL, &sb), -EINVAL);
	nlmsg_free(m);
}

/* Another event being dispatched is not a set-break event. */
static void test_other_event(void)
{
	struct vss_ctx ctx = { .family = FAMILY, .log_priority = -1 };
	struct nl_msg *m = nlmsg_alloc();
	struct nlmsghdr *nlh;
	struct seen s = { 0 };

	genlmsg_put(m, 0, 0, FAMILY, 0, 0, VSS_CMD_LUN_REMOVED_NTF, 1);
	nla_put_string(m, VSS_A_LUN_NAME, "db");
	nla_put_string(m, VSS_A_LUN_DEVICE, "vss-db");
	nlh = nlmsg_hdr(m);
	CHECK_EQ_INT(vss__events_feed(&ctx, nlh, nlh->nlmsg_len, cb, &s), 1);
	CHECK_EQ_INT(s.type, VSS_CMD_LUN_REMOVED_NTF);
	CHECK_EQ_INT(s.rc, -EINVAL);
	nlmsg_free(m);
}

/* A set-break-ntf without its count, or with a short id, is malformed. */
static void test_malformed(void)
{
	struct vss_ctx ctx = { .family = FAMILY, .log_priority = -1 };
	vss_id_t set = mkid(0x10);
	struct nl_msg *m = set_break_ntf(&set, -1);
	struct vss__event xev;
	struct seen s = { 0 };
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	CHECK_EQ_INT(vss__parse_event_ext(nlh, FAMILY, &xev), -EBADMSG);
	CHECK_EQ_INT(vss__events_feed(&ctx, nlh, nlh->nlmsg_len, cb, &s),
		     -EBADMSG);
	CHECK_EQ_INT(s.events, 0);
	nlmsg_free(m);

	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAMILY, 0, 0, VSS_CMD_SET_BREAK_NTF, 1);
	nla_put(m, VSS_A_SET_ID, 8, set.b);
	nla_put_u32(m, VSS_A_SET_SNAPSHOT_COUNT, 1);
	CHECK_EQ_INT(vss__parse_event_ext(nlmsg_hdr(m), FAMILY, &xev),
		     -EBADMSG);
	nlmsg_free(m);
}

int main(void)
{
	RUN(test_decode);
	RUN(test_other_event);
	RUN(test_malformed);
	return tap_done();
}
