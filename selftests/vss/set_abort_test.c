// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot sets and their failure paths, over three brd-backed LUNs:
 *  - a set over all LUNs is created at once, reports its hold window and
 *    its snapshots, and can be deleted as a whole;
 *  - a set that fails on one LUN (test_fail_lun knob) leaves nothing on
 *    any LUN, and every LUN stays writable;
 *  - a LUN in one session's set is busy for every other session and
 *    cannot be removed (VSS_E_VOLUME_IN_USE), until that session ends;
 *  - aborting the session from another socket while I/O is held
 *    (test_hold_delay_ms knob) unwinds the set;
 *  - killing the requester while I/O is held leaves every LUN writable and
 *    no session behind, within a second;
 *  - a set takes at most 64 LUNs (VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED).
 */
/* The harness's fixture wrappers (setjmp) trip -Wclobbered at -O2. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "set_util.h"

#define NLUNS 3

static const char *const lun_names[NLUNS] = { "sa0", "sa1", "sa2" };

static void lun_dev(char *buf, size_t len, int i)
{
	snprintf(buf, len, "/dev/vss-%s", lun_names[i]);
}

FIXTURE(set)
{
	struct nlr n;
	bool ready;
};

FIXTURE_SETUP(set)
{
	struct nlr_ack a;
	char b[32], s[32];
	int i, ret;

	ASSERT_EQ(0, su_ramdisks(2 * NLUNS, 32))
		TH_LOG("cannot create the brd ramdisks");
	ret = nlr_open_loaded(&self->n);
	ASSERT_EQ(0, ret)
		TH_LOG("vss family unavailable (%s)", strerror(-ret));
	for (i = 0; i < NLUNS; i++) {
		snprintf(b, sizeof(b), "/dev/ram%d", i);
		snprintf(s, sizeof(s), "/dev/ram%d", i + NLUNS);
		ret = nlr_lun_add(&self->n, lun_names[i], b, s, 65536, &a);
		ASSERT_EQ(0, ret) TH_LOG("lun add %s: %s", lun_names[i], a.msg);
		lun_dev(b, sizeof(b), i);
		ASSERT_TRUE(su_wait_path(b, 5000));
	}
	self->ready = true;
}

FIXTURE_TEARDOWN(set)
{
	struct nlr_ack a;
	int i;

	if (!self->ready)
		return;
	su_knob("test_hold_delay_ms", "0");
	su_knob("test_fail_lun", "\n");
	/* this socket's sessions (and their LUN reservations) end with it */
	nlr_close(&self->n);
	ASSERT_EQ(0, nlr_open(&self->n));
	su_delete_all_snapshots(&self->n);
	for (i = 0; i < NLUNS; i++) {
		EXPECT_EQ(0, nlr_lun_del(&self->n, lun_names[i], &a))
			TH_LOG("lun del %s: %s", lun_names[i], a.msg);
	}
	nlr_close(&self->n);
	su_sh("rmmod vss; rmmod brd");
}

/* Session + set with every LUN added. */
static int build_set(struct nlr *n, unsigned char sid[16],
		     unsigned char set_id[16])
{
	struct nlr_ack a;
	int i, ret;

	ret = nlr_session_new(n, sid);
	if (!ret)
		ret = nlr_set_start(n, sid, set_id, &a);
	for (i = 0; !ret && i < NLUNS; i++)
		ret = nlr_set_add(n, sid, set_id, lun_names[i], &a);
	return ret;
}

static bool all_writable(int ms)
{
	char dev[32];
	int i;

	for (i = 0; i < NLUNS; i++) {
		lun_dev(dev, sizeof(dev), i);
		if (!su_write_ok(dev, 4096 * (i + 1), ms))
			return false;
	}
	return true;
}

/*
 * Dump the changes of @snap_id from @from: 1 if an extent covers byte
 * @off, 0 if none does, negative on error.
 */
static int changes_cover(struct nlr *n, const unsigned char snap_id[16],
			 uint64_t from, uint64_t off)
{
	static unsigned char buf[NLR_BUFSZ];
	struct nlr_msg m;
	int found = 0;

	nlr_req(n, &m, VSS_CMD_SNAPSHOT_CHANGES, true);
	nlr_put(&m, VSS_A_SNAPSHOT_ID, snap_id, 16);
	nlr_put_u64(&m, VSS_A_SNAPSHOT_OFFSET, from);
	m.nlh.nlmsg_len = m.len;
	m.nlh.nlmsg_seq = ++n->seq;
	if (send(n->fd, m.buf, m.len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t r = recv(n->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		int left = (int)r;

		if (r <= 0)
			return -EIO;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			const unsigned char *p = (unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN;
			size_t len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, o;

			if (h->nlmsg_type == NLMSG_DONE)
				return found;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			for (o = 0; o + NLA_HDRLEN <= len;) {
				const struct nlattr *x = (const void *)(p + o);
				const struct nlattr *eo, *el;
				uint64_t eoff = 0, elen = 0;

				if ((x->nla_type & NLA_TYPE_MASK) == VSS_A_SNAPSHOT_EXTENT) {
					eo = nlr_attr(nlr_data(x), x->nla_len - NLA_HDRLEN,
						      VSS_A_EXTENT_OFFSET);
					el = nlr_attr(nlr_data(x), x->nla_len - NLA_HDRLEN,
						      VSS_A_EXTENT_LENGTH);
					if (!eo || !el)
						return -EPROTO;
					memcpy(&eoff, nlr_data(eo), 8);
					memcpy(&elen, nlr_data(el), 8);
					if (eoff < from)
						return -ERANGE;
					if (off >= eoff && off < eoff + elen)
						found = 1;
				}
				o += NLA_ALIGN(x->nla_len);
			}
		}
	}
}

TEST_F(set, create_and_delete)
{
	unsigned char sid[16], set_id[16], set2[16], snap_id[16];
	const struct nlattr *attr;
	char dev[32];
	struct nlr_msg m;
	struct nlr_ack a;
	int members = 0;
	size_t off;

	ASSERT_EQ(0, build_set(&self->n, sid, set_id));
	for (int i = 0; i < NLUNS; i++) {
		EXPECT_TRUE(su_lun_busy(&self->n, lun_names[i]));
	}
	ASSERT_EQ(0, nlr_set_do(&self->n, sid, set_id, &a)) TH_LOG("%s", a.msg);
	attr = nlr_reply_attr(&a, VSS_A_SET_HOLD_US);
	ASSERT_NE(NULL, attr);
	TH_LOG("hold window %llu us",
	       (unsigned long long)*(const uint64_t *)nlr_data(attr));
	EXPECT_EQ((uint32_t)VSS_SET_STATE_CREATED,
		  su_u32(nlr_reply_attr(&a, VSS_A_SET_STATE)));
	/* one member nest per LUN, each naming a snapshot device */
	for (off = GENL_HDRLEN; off + NLA_HDRLEN <= a.reply_len;) {
		const struct nlattr *x = (const struct nlattr *)(a.reply + off);
		const struct nlattr *dev;
		char path[64];

		if ((x->nla_type & NLA_TYPE_MASK) == VSS_A_SET_MEMBER) {
			dev = nlr_attr(nlr_data(x), x->nla_len - NLA_HDRLEN,
				       VSS_A_MEMBER_DEVICE);
			ASSERT_NE(NULL, dev);
			snprintf(path, sizeof(path), "/dev/%s",
				 (const char *)nlr_data(dev));
			EXPECT_TRUE(su_wait_path(path, 5000)) TH_LOG("%s", path);
			members++;
		}
		off += NLA_ALIGN(x->nla_len);
	}
	EXPECT_EQ(NLUNS, members);
	EXPECT_EQ(NLUNS, su_snapshot_count(&self->n, set_id));
	EXPECT_EQ(NLUNS, su_snapshot_count(&self->n, NULL));

	/* changed-block tracking through the changes dump */
	attr = nlr_reply_attr(&a, VSS_A_SET_MEMBER);
	ASSERT_NE(NULL, attr);
	attr = nlr_attr(nlr_data(attr), attr->nla_len - NLA_HDRLEN,
			VSS_A_MEMBER_SNAPSHOT_ID);
	ASSERT_NE(NULL, attr);
	memcpy(snap_id, nlr_data(attr), 16);
	lun_dev(dev, sizeof(dev), 0);
	ASSERT_TRUE(su_write_ok(dev, 1 << 20, 2000));
	EXPECT_EQ(1, changes_cover(&self->n, snap_id, 0, 1 << 20));
	EXPECT_EQ(0, changes_cover(&self->n, snap_id, 2 << 20, 1 << 20));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_SNAPSHOTS_DONE,
		  su_session_state(&self->n, sid, NULL));
	for (int i = 0; i < NLUNS; i++) {
		EXPECT_FALSE(su_lun_busy(&self->n, lun_names[i]));
	}
	EXPECT_TRUE(all_writable(2000));

	/* A second set in the same session, then delete the first. */
	ASSERT_EQ(0, nlr_set_start(&self->n, sid, set2, &a));
	nlr_req(&self->n, &m, VSS_CMD_SET_DEL, false);
	nlr_put(&m, VSS_A_SET_ID, set_id, 16);
	EXPECT_EQ(0, nlr_xfer(&self->n, &m, &a)) TH_LOG("%s", a.msg);
	EXPECT_EQ(0, su_snapshot_count(&self->n, set_id));
	EXPECT_EQ(-ENOENT, nlr_xfer(&self->n, &m, &a));
}

/* Events of the "events" group: one snapshot-created per LUN, naming us. */
TEST_F(set, events_carry_the_session)
{
	unsigned char sid[16], set_id[16];
	static unsigned char buf[NLR_BUFSZ];
	struct timeval tv = { .tv_sec = 5 };
	struct nlr_ack a;
	struct nlr ev;
	int grp, created = 0, with_sid = 0;
	ssize_t r;

	ASSERT_EQ(0, nlr_open(&ev));
	grp = ev.mcgrp_events;
	ASSERT_EQ(0, setsockopt(ev.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&grp, sizeof(grp)));
	ASSERT_EQ(0, setsockopt(ev.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, build_set(&self->n, sid, set_id));
	ASSERT_EQ(0, nlr_set_do(&self->n, sid, set_id, &a)) TH_LOG("%s", a.msg);

	while (created < NLUNS && (r = recv(ev.fd, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *h;
		int left = (int)r;

		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			struct genlmsghdr *g = NLMSG_DATA(h);
			const struct nlattr *x;
			size_t len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

			if (h->nlmsg_type != ev.family ||
			    g->cmd != VSS_CMD_SNAPSHOT_CREATED_NTF)
				continue;
			created++;
			x = nlr_attr((char *)g + GENL_HDRLEN, len,
				     VSS_A_SNAPSHOT_SESSION_ID);
			if (x && !memcmp(nlr_data(x), sid, 16))
				with_sid++;
		}
	}
	EXPECT_EQ(NLUNS, created);
	EXPECT_EQ(NLUNS, with_sid);
	nlr_close(&ev);
}

TEST_F(set, failure_on_one_lun_leaves_nothing)
{
	unsigned char sid[16], set_id[16];
	struct nlr_ack a;
	int before = su_snapshot_count(&self->n, NULL);

	ASSERT_EQ(0, su_knob("test_fail_lun", lun_names[NLUNS - 1]));
	ASSERT_EQ(0, build_set(&self->n, sid, set_id));
	EXPECT_EQ(-EIO, nlr_set_do(&self->n, sid, set_id, &a));
	EXPECT_NE(0, a.msg[0]);
	EXPECT_EQ(before, su_snapshot_count(&self->n, NULL));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_INITIALIZED,
		  su_session_state(&self->n, sid, NULL));
	for (int i = 0; i < NLUNS; i++) {
		EXPECT_FALSE(su_lun_busy(&self->n, lun_names[i]));
	}
	EXPECT_TRUE(all_writable(2000));

	/* and the session can try again */
	ASSERT_EQ(0, su_knob("test_fail_lun", "\n"));
	ASSERT_EQ(0, nlr_set_start(&self->n, sid, set_id, &a));
	for (int i = 0; i < NLUNS; i++) {
		ASSERT_EQ(0, nlr_set_add(&self->n, sid, set_id, lun_names[i], &a));
	}
	EXPECT_EQ(0, nlr_set_do(&self->n, sid, set_id, &a)) TH_LOG("%s", a.msg);
	EXPECT_EQ(NLUNS, su_snapshot_count(&self->n, set_id));
}

TEST_F(set, lun_held_by_one_session)
{
	unsigned char sa[16], sb[16], set_a[16], set_b[16];
	const struct nlattr *attr;
	struct nlr_msg m;
	struct nlr_ack a;
	struct nlr other;

	ASSERT_EQ(0, nlr_open(&other));
	ASSERT_EQ(0, nlr_session_new(&other, sa));
	ASSERT_EQ(0, nlr_set_start(&other, sa, set_a, &a));
	ASSERT_EQ(0, nlr_set_add(&other, sa, set_a, lun_names[0], &a));
	EXPECT_EQ(-EEXIST, nlr_set_add(&other, sa, set_a, lun_names[0], &a));

	ASSERT_EQ(0, nlr_session_new(&self->n, sb));
	ASSERT_EQ(0, nlr_set_start(&self->n, sb, set_b, &a));
	EXPECT_EQ(-EBUSY, nlr_set_add(&self->n, sb, set_b, lun_names[0], &a));
	EXPECT_TRUE(a.has_cookie);
	EXPECT_EQ(VSS_E_VOLUME_IN_USE, a.hresult);
	EXPECT_NE(0, a.msg[0]);
	EXPECT_EQ(-EBUSY, nlr_lun_del(&self->n, lun_names[0], &a));
	EXPECT_EQ(VSS_E_VOLUME_IN_USE, a.hresult);

	nlr_req(&self->n, &m, VSS_CMD_LUN_GET, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, lun_names[0]);
	ASSERT_EQ(0, nlr_xfer(&self->n, &m, &a));
	EXPECT_NE(NULL, nlr_reply_attr(&a, VSS_A_LUN_BUSY));
	attr = nlr_reply_attr(&a, VSS_A_LUN_SESSION_ID);
	ASSERT_NE(NULL, attr);
	EXPECT_EQ(0, memcmp(nlr_data(attr), sa, 16));

	/* The holder's socket closes: the LUN is free at once. */
	nlr_close(&other);
	EXPECT_EQ(0u, su_session_state(&self->n, sa, NULL));
	EXPECT_EQ(0, nlr_set_add(&self->n, sb, set_b, lun_names[0], &a))
		TH_LOG("%s", a.msg);
}

/* Runs DoSnapshotSet in a thread (the abort comes from the test). */
struct do_arg {
	struct nlr n;
	unsigned char sid[16], set_id[16];
	int ret;
	char msg[256];
	volatile bool done;
};

static void *do_fn(void *p)
{
	struct do_arg *d = p;
	struct nlr_ack a;

	d->ret = nlr_set_do(&d->n, d->sid, d->set_id, &a);
	memcpy(d->msg, a.msg, sizeof(d->msg));
	d->done = true;
	return NULL;
}

/* Wait until @sid's set holds I/O (set-state processing-commit). */
static bool wait_held(struct nlr *n, const unsigned char sid[16], int ms)
{
	long long end = su_now_ms() + ms;
	uint32_t set_state = 0;

	while (su_now_ms() < end) {
		su_session_state(n, sid, &set_state);
		if (set_state == VSS_SET_STATE_PROCESSING_COMMIT)
			return true;
		usleep(10000);
	}
	return false;
}

TEST_F(set, abort_session_while_held)
{
	struct do_arg d = {};
	struct su_write w;
	struct nlr_msg m;
	struct nlr_ack a;
	pthread_t thr;
	char dev[32];
	long long t0;

	ASSERT_EQ(0, nlr_open(&d.n));
	ASSERT_EQ(0, build_set(&d.n, d.sid, d.set_id));
	ASSERT_EQ(0, su_knob("test_hold_delay_ms", "20000"));
	ASSERT_EQ(0, pthread_create(&thr, NULL, do_fn, &d));
	ASSERT_TRUE(wait_held(&self->n, d.sid, 10000));

	/* I/O really is held */
	lun_dev(dev, sizeof(dev), 0);
	ASSERT_EQ(0, su_write_start(&w, dev, 8192));
	EXPECT_FALSE(su_write_wait(&w, 300));

	t0 = su_now_ms();
	nlr_req(&self->n, &m, VSS_CMD_SESSION_ABORT, false);
	nlr_put(&m, VSS_A_SESSION_ID, d.sid, 16);
	EXPECT_EQ(0, nlr_xfer(&self->n, &m, &a)) TH_LOG("%s", a.msg);
	pthread_join(thr, NULL);
	EXPECT_LT(su_now_ms() - t0, 1000);
	EXPECT_EQ(-ECANCELED, d.ret) TH_LOG("%s", d.msg);
	EXPECT_TRUE(su_write_wait(&w, 1000));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(0, su_snapshot_count(&self->n, NULL));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_ABORTED,
		  su_session_state(&self->n, d.sid, NULL));
	EXPECT_TRUE(all_writable(1000));
	nlr_close(&d.n);
	EXPECT_EQ(0u, su_session_state(&self->n, d.sid, NULL));
}

/* Writes held past VSS's 10 s: the set is abandoned, nothing is left. */
TEST_F_TIMEOUT(set, hold_timeout, 120)
{
	unsigned char sid[16], set_id[16];
	struct nlr_ack a;

	ASSERT_EQ(0, build_set(&self->n, sid, set_id));
	ASSERT_EQ(0, su_knob("test_hold_delay_ms", "10300"));
	EXPECT_EQ(-ETIMEDOUT, nlr_set_do(&self->n, sid, set_id, &a));
	EXPECT_EQ(VSS_E_HOLD_WRITES_TIMEOUT, a.hresult);
	EXPECT_NE(0, a.msg[0]);
	EXPECT_EQ(0, su_snapshot_count(&self->n, NULL));
	EXPECT_TRUE(all_writable(1000));
	EXPECT_EQ((uint32_t)VSS_SESSION_STATE_INITIALIZED,
		  su_session_state(&self->n, sid, NULL));
}

TEST_F(set, kill_requester_while_held)
{
	unsigned char sid[16], set_id[16];
	int pfd[2], status, sessions;
	struct su_write w;
	char dev[32];
	long long t0, t_sessions = -1, t_write = -1;
	pid_t pid;

	sessions = nlr_dump_count(&self->n, VSS_CMD_SESSION_GET);
	ASSERT_EQ(0, su_knob("test_hold_delay_ms", "30000"));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlr n;
		struct nlr_ack a;

		close(pfd[0]);
		if (nlr_open(&n) || build_set(&n, sid, set_id))
			_exit(1);
		if (write(pfd[1], sid, 16) != 16)
			_exit(1);
		nlr_set_do(&n, sid, set_id, &a);	/* killed in here */
		_exit(2);
	}
	close(pfd[1]);
	ASSERT_EQ(16, read(pfd[0], sid, 16));
	close(pfd[0]);
	ASSERT_TRUE(wait_held(&self->n, sid, 10000));
	lun_dev(dev, sizeof(dev), 1);
	ASSERT_EQ(0, su_write_start(&w, dev, 12288));
	EXPECT_FALSE(su_write_wait(&w, 300));

	t0 = su_now_ms();
	kill(pid, SIGKILL);
	while (su_now_ms() - t0 < 5000 && (t_sessions < 0 || t_write < 0)) {
		if (t_sessions < 0 &&
		    nlr_dump_count(&self->n, VSS_CMD_SESSION_GET) == sessions)
			t_sessions = su_now_ms() - t0;
		if (t_write < 0 && w.done)
			t_write = su_now_ms() - t0;
		usleep(5000);
	}
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFSIGNALED(status));
	TH_LOG("after SIGKILL: sessions gone in %lld ms, held write done in %lld ms",
	       t_sessions, t_write);
	EXPECT_LE(0, t_sessions);
	EXPECT_LT(t_sessions, 1000);
	EXPECT_LE(0, t_write);
	EXPECT_LT(t_write, 1000);
	EXPECT_TRUE(su_write_wait(&w, 100));
	EXPECT_EQ(0, w.ret);
	EXPECT_TRUE(all_writable(1000));
	EXPECT_EQ(0, su_snapshot_count(&self->n, NULL));
	for (int i = 0; i < NLUNS; i++) {
		EXPECT_FALSE(su_lun_busy(&self->n, lun_names[i]));
	}
}

TEST(max_luns_per_set)
{
	unsigned char sid[16], set_id[16];
	char name[16], b[32], s[32];
	struct nlr_ack a;
	struct nlr n;
	int i, added = 0, ret;

	ASSERT_EQ(0, su_ramdisks(2 * (VSS_SET_MAX_LUNS + 1), 4))
		TH_LOG("cannot create the brd ramdisks");
	ret = nlr_open_loaded(&n);
	ASSERT_EQ(0, ret)
		TH_LOG("vss family unavailable (%s)", strerror(-ret));
	for (i = 0; i <= VSS_SET_MAX_LUNS; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		snprintf(b, sizeof(b), "/dev/ram%d", 2 * i);
		snprintf(s, sizeof(s), "/dev/ram%d", 2 * i + 1);
		ret = nlr_lun_add(&n, name, b, s, 4096, &a);
		if (ret)
			break;
		added++;
	}
	/* a set of 64 and one LUN too many: all must exist, else it fails */
	if (added <= VSS_SET_MAX_LUNS) {
		EXPECT_EQ(VSS_SET_MAX_LUNS + 1, added)
			TH_LOG("could not create %d LUNs: %s",
			       VSS_SET_MAX_LUNS + 1, a.msg);
		goto out;
	}
	ASSERT_EQ(0, nlr_session_new(&n, sid));
	ASSERT_EQ(0, nlr_set_start(&n, sid, set_id, &a));
	for (i = 0; i < VSS_SET_MAX_LUNS; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		ASSERT_EQ(0, nlr_set_add(&n, sid, set_id, name, &a));
	}
	snprintf(name, sizeof(name), "m%d", VSS_SET_MAX_LUNS);
	EXPECT_EQ(-E2BIG, nlr_set_add(&n, sid, set_id, name, &a));
	EXPECT_EQ(VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED, a.hresult);
	ASSERT_EQ(0, nlr_set_do(&n, sid, set_id, &a)) TH_LOG("%s", a.msg);
	TH_LOG("64 LUNs: hold window %llu us",
	       (unsigned long long)*(const uint64_t *)
	       nlr_data(nlr_reply_attr(&a, VSS_A_SET_HOLD_US)));
	EXPECT_EQ(VSS_SET_MAX_LUNS, su_snapshot_count(&n, set_id));
	su_delete_all_snapshots(&n);
out:
	for (i = 0; i < added; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		EXPECT_EQ(0, nlr_lun_del(&n, name, &a)) TH_LOG("%s", a.msg);
	}
	nlr_close(&n);
	su_sh("rmmod vss; rmmod brd");
}

TEST_HARNESS_MAIN
