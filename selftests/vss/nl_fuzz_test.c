// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the vss netlink family by mutation: valid requests of every
 * operation are (three times out of four) mutated (bytes flipped, attributes truncated, retyped,
 * resized, duplicated, flagged nested, random attributes appended, the
 * command changed) and sent raw.  Every request must be answered (an ack or
 * a dump end), the family must still work afterwards, and nothing may leak:
 * the sessions made on the fuzzing socket go away with it, no LUN appears.
 * A real LUN "fz0" (brd) exists during the run, so that mutated set-add,
 * set-do, snapshot and changes requests reach the engine too.
 * The VM runner fails the run on any kernel warning.
 *
 * VSS_FUZZ_ITERS overrides the count (10000; 2000 under VSS_QUICK=1),
 * VSS_FUZZ_SEED the seed (printed, to replay a failure); VSS_FUZZ_DEBUG
 * prints the result of every unmutated request.
 */
#include <time.h>

/* The harness's fixture wrappers (setjmp) trip -Wclobbered at -O2. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "set_util.h"

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

#define NR_TEMPLATES 18

static void template(struct nlr *n, struct nlr_msg *m, int i,
		     const unsigned char sid[16], const unsigned char set_id[16],
		     const unsigned char victim[16])
{
	unsigned char id[16];
	size_t k;

	for (k = 0; k < sizeof(id); k++)
		id[k] = rnd();
	switch (i) {
	case 0:
		nlr_req(n, m, VSS_CMD_LUN_ADD, false);
		nlr_put_str(m, VSS_A_LUN_NAME, "fz0");
		nlr_put_str(m, VSS_A_LUN_BACKING, "/dev/nonexistent-fuzz-a");
		nlr_put_str(m, VSS_A_LUN_STORE, "/dev/nonexistent-fuzz-b");
		nlr_put_u32(m, VSS_A_LUN_CHUNK_SIZE, 65536);
		nlr_put(m, VSS_A_LUN_FORMAT, NULL, 0);
		break;
	case 1:
		nlr_req(n, m, VSS_CMD_LUN_DEL, false);
		nlr_put_str(m, VSS_A_LUN_NAME, "fz1");	/* keep fz0 */
		break;
	case 2:
		nlr_req(n, m, VSS_CMD_LUN_GET, false);
		nlr_put_str(m, VSS_A_LUN_NAME, "fz0");
		break;
	case 3:
		nlr_req(n, m, VSS_CMD_LUN_GET, true);
		break;
	case 4:
		nlr_req(n, m, VSS_CMD_SESSION_NEW, false);
		break;
	case 5:
		nlr_req(n, m, VSS_CMD_SESSION_GET, false);
		nlr_put(m, VSS_A_SESSION_ID, sid, 16);
		break;
	case 6:
		nlr_req(n, m, VSS_CMD_SESSION_GET, true);
		break;
	case 7:
		nlr_req(n, m, VSS_CMD_SESSION_ABORT, false);
		/* aborting the main session would end the run's progress */
		nlr_put(m, VSS_A_SESSION_ID, (rnd() & 7) ? id : victim, 16);
		break;
	case 8:
		nlr_req(n, m, VSS_CMD_SET_START, false);
		nlr_put(m, VSS_A_SET_SESSION_ID, sid, 16);
		break;
	case 9:
		nlr_req(n, m, VSS_CMD_SET_ADD, false);
		nlr_put(m, VSS_A_SET_SESSION_ID, sid, 16);
		nlr_put(m, VSS_A_SET_ID, set_id, 16);
		nlr_put_str(m, VSS_A_SET_LUN, "fz0");
		break;
	case 10:
		nlr_req(n, m, VSS_CMD_SET_DO, false);
		nlr_put(m, VSS_A_SET_SESSION_ID, sid, 16);
		nlr_put(m, VSS_A_SET_ID, set_id, 16);
		break;
	case 11:
		nlr_req(n, m, VSS_CMD_SET_DEL, false);
		nlr_put(m, VSS_A_SET_ID, (rnd() & 1) ? id : set_id, 16);
		break;
	case 12:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_GET, false);
		nlr_put(m, VSS_A_SNAPSHOT_ID, id, 16);
		break;
	case 13:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_GET, true);
		nlr_put_str(m, VSS_A_SNAPSHOT_LUN, "fz0");
		nlr_put(m, VSS_A_SNAPSHOT_SET_ID, set_id, 16);
		break;
	case 14:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_DEL, false);
		nlr_put(m, VSS_A_SNAPSHOT_ID, id, 16);
		break;
	case 15:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_CHANGES, true);
		nlr_put(m, VSS_A_SNAPSHOT_ID, id, 16);
		nlr_put_u64(m, VSS_A_SNAPSHOT_OFFSET, 4096);
		break;
	case 16:
		nlr_req(n, m, VSS_CMD_SET_BREAK, false);
		nlr_put(m, VSS_A_SET_ID, (rnd() & 1) ? id : set_id, 16);
		break;
	default:
		nlr_req(n, m, VSS_CMD_SNAPSHOT_GET, true);
		break;
	}
}

/* Offsets of the top-level attributes of @m. */
static int attr_offsets(const struct nlr_msg *m, size_t *offs, int max)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	int nr = 0;

	while (off + NLA_HDRLEN <= m->len && nr < max) {
		const struct nlattr *a = (const struct nlattr *)(m->buf + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > m->len)
			break;
		offs[nr++] = off;
		off += NLA_ALIGN(a->nla_len);
	}
	return nr;
}

static void mutate(struct nlr_msg *m)
{
	size_t offs[32], body = NLMSG_HDRLEN + GENL_HDRLEN;
	int nr = attr_offsets(m, offs, 32);
	struct nlattr *a = nr ? (struct nlattr *)(m->buf + offs[rnd() % nr]) : NULL;
	unsigned char junk[64];
	size_t k, len;

	switch (rnd() % 10) {
	case 0:		/* flip bytes anywhere after the netlink header */
		for (k = rnd() % 4 + 1; k; k--)
			m->buf[NLMSG_HDRLEN + rnd() % (m->len - NLMSG_HDRLEN)] ^=
				1u << (rnd() % 8);
		break;
	case 1:		/* truncate, possibly inside an attribute */
		if (m->len > body)
			m->len = body + rnd() % (m->len - body);
		break;
	case 2:		/* retype an attribute */
		if (a)
			a->nla_type = (a->nla_type & ~NLA_TYPE_MASK) | (rnd() % 20);
		break;
	case 3:		/* resize an attribute (may run past the end) */
		if (a)
			a->nla_len = rnd() % 48;
		break;
	case 4:		/* duplicate an attribute */
		if (a && m->len + NLA_ALIGN(a->nla_len) < sizeof(m->buf)) {
			len = NLA_ALIGN(a->nla_len);
			memcpy(m->buf + m->len, a, len);
			m->len += len;
		}
		break;
	case 5:		/* toggle the nested / byte-order flags */
		if (a)
			a->nla_type ^= (rnd() & 1) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
		break;
	case 6:		/* append a random attribute */
		len = rnd() % sizeof(junk);
		for (k = 0; k < len; k++)
			junk[k] = rnd();
		nlr_put(m, rnd() % 24, junk, len);
		break;
	case 7:		/* another command, same attributes */
		((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->cmd = rnd() % 20;
		break;
	case 8:		/* genl version / reserved bytes */
		((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->version = rnd();
		if (rnd() & 1)
			((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->reserved = rnd();
		break;
	default:	/* drop the string terminator of an attribute */
		if (a && a->nla_len > NLA_HDRLEN)
			a->nla_len--;
		break;
	}
}

TEST(mutation)
{
	unsigned char sid[16], set_id[16], victim[16];
	const char *env = getenv("VSS_FUZZ_ITERS");
	long iters = env ? atol(env) : getenv("VSS_QUICK") ? 2000 : 10000;
	struct timeval tv = { .tv_sec = 5 };
	int luns, sessions, counts[4] = {}, sets_done = 0;
	struct nlr n, probe;
	struct nlr_msg m;
	struct nlr_ack a;
	long i;
	int ret;

	env = getenv("VSS_FUZZ_SEED");
	rng_state = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u;
	if (!rng_state)
		rng_state = 1;
	ret = nlr_open_loaded(&probe);
	ASSERT_EQ(0, ret)
		TH_LOG("vss family unavailable (%s)", strerror(-ret));
	luns = nlr_dump_count(&probe, VSS_CMD_LUN_GET);
	sessions = nlr_dump_count(&probe, VSS_CMD_SESSION_GET);
	/* without a LUN, set-add / set-do would never get past the lookup */
	ASSERT_EQ(0, su_ramdisks(2, 64))
		TH_LOG("cannot create the brd ramdisks");
	ASSERT_EQ(0, nlr_lun_add(&probe, "fz0", "/dev/ram0", "/dev/ram1",
				 65536, &a))
		TH_LOG("no LUN for the run: %s", a.msg);
	TH_LOG("seed %#llx, %ld iterations, %d LUNs, %d sessions before",
	       (unsigned long long)rng_state, iters, luns, sessions);

	ASSERT_EQ(0, nlr_open(&n));
	ASSERT_EQ(0, setsockopt(n.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, nlr_session_new(&n, sid));
	ASSERT_EQ(0, nlr_session_new(&n, victim));
	ASSERT_EQ(0, nlr_set_start(&n, sid, set_id, &a));

	for (i = 0; i < iters; i++) {
		/* a quarter go unmutated: valid traffic moves the state on */
		int k, nmut = rnd() % 4;

		template(&n, &m, rnd() % NR_TEMPLATES, sid, set_id, victim);
		for (k = 0; k < nmut; k++)
			mutate(&m);
		ret = nlr_xfer(&n, &m, &a);
		/* follow the session's newest set, so that set-do can succeed */
		if (!ret && a.replies &&
		    ((struct genlmsghdr *)a.reply)->cmd == VSS_CMD_SET_START &&
		    nlr_reply_attr(&a, VSS_A_SET_ID) &&
		    nlr_reply_attr(&a, VSS_A_SET_ID)->nla_len == NLA_HDRLEN + 16)
			memcpy(set_id, nlr_data(nlr_reply_attr(&a, VSS_A_SET_ID)), 16);
		if (!ret && a.replies &&
		    ((struct genlmsghdr *)a.reply)->cmd == VSS_CMD_SET_DO)
			sets_done++;
		if (getenv("VSS_FUZZ_DEBUG") && !nmut)
			fprintf(stderr, "# cmd %u: %d %s\n",
				((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->cmd,
				ret, a.msg);
		if (ret == -ETIMEDOUT || ret == -EAGAIN) {
			TH_LOG("iteration %ld: no answer", i);
			counts[3]++;
			break;
		}
		if (ret > 0) {
			TH_LOG("iteration %ld: positive error %d in the ack",
			       i, ret);
			break;
		}
		counts[ret == 0 ? 0 : ret == -EINVAL || ret == -ERANGE ? 1 : 2]++;
	}
	TH_LOG("accepted %d, EINVAL/ERANGE %d, other errors %d, unanswered %d",
	       counts[0], counts[1], counts[2], counts[3]);
	/* every iteration answered, each with 0 or -errno */
	EXPECT_EQ(iters, i);
	EXPECT_EQ(0, counts[3]);
	/*
	 * Not vacuous: the unmutated quarter is valid traffic that must be
	 * accepted, and the mutations must reach the policy checks (a run
	 * refused wholesale, e.g. -EPERM, proves nothing).
	 */
	EXPECT_LT(0, counts[0]);
	EXPECT_LT(0, counts[1]);

	/* The family still answers, and the fuzzing socket's sessions die. */
	ASSERT_EQ(0, nlr_session_new(&n, sid));
	nlr_close(&n);
	TH_LOG("%d snapshot sets taken, %d snapshots left", sets_done,
	       su_snapshot_count(&probe, NULL));
	su_delete_all_snapshots(&probe);
	EXPECT_EQ(0, su_snapshot_count(&probe, NULL));
	ret = nlr_lun_del(&probe, "fz0", &a);
	EXPECT_TRUE(ret == 0 || ret == -ENOENT) TH_LOG("%s", a.msg);
	su_sh("rmmod brd 2>/dev/null");
	EXPECT_EQ(luns, nlr_dump_count(&probe, VSS_CMD_LUN_GET));
	EXPECT_EQ(sessions, nlr_dump_count(&probe, VSS_CMD_SESSION_GET));
	nlr_close(&probe);
}

NLR_UNLOAD_AT_EXIT

TEST_HARNESS_MAIN
