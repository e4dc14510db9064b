// SPDX-License-Identifier: GPL-2.0
/*
 * nl_specfuzz: the vss generic netlink family fuzzed at scale from its spec
 * (make fuzz-kernel, on the debug kernel; Documentation/testing.rst).
 *
 *   nl_specfuzz [-n MESSAGES] [-s SEED]
 *
 * MESSAGES: 10^6, or VSS_FUZZ_MESSAGES; SEED: from the clock (printed).
 *
 * Requests are built from the spec's table (build/gen/vss_spec_fuzz.h,
 * tools/syzkaller/specgen --c): a random op, do or dump, each of its
 * request attributes present or not, values in and out of the spec's
 * checks, IDs taken from what the kernel returned (sessions, sets,
 * snapshots, writer instances), LUN names and device paths of the run.
 * Most are then mutated: an attribute retyped (another of the set, zero,
 * past the maximum), resized (exact length off by one, a string without
 * its NUL or past its max-len), nested or un-nested (NLA_F_NESTED on a
 * scalar, a scalar wrapped in a nest, garbage in a nest, deep nests),
 * duplicated or dropped, the message truncated or bit-flipped, the command
 * replaced (any op or notification of the family, or any byte), NLM_F_DUMP
 * toggled, the genl version changed.  Every 400 messages a valid sequence
 * runs (session, set start, add both LUNs, set do, snapshot listing, old
 * snapshots deleted, the LUNs re-added if a fuzzed lun-del removed them),
 * so that the state keeps moving; writer events that reach the fuzzing
 * socket (a fuzzed writer-register) are answered at random.
 *
 * TAP: every message answered (an ack or a dump's end, 0 or -errno), valid
 * traffic accepted and mutated traffic refused, and at the end, with a
 * fresh socket, no object left (LUNs, sessions, writers, resyncs, snapshots
 * all gone after the fuzzing socket closed and the run's LUNs were
 * removed).  The kernel log check (no warning, KASAN, lockdep) and
 * kmemleak after rmmod are tools/check-debug's.
 */
#include <getopt.h>
#include <time.h>

#include "nl_raw.h"
#include "set_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

enum sf_kind { SF_PAD, SF_FLAG, SF_U8, SF_U16, SF_U32, SF_U64, SF_S32,
	       SF_STRING, SF_BINARY, SF_NEST };
enum sf_role { SF_R_NONE, SF_R_SESSION, SF_R_SET, SF_R_SNAPSHOT, SF_R_WRITER,
	       SF_R_NAME, SF_R_LUN, SF_R_PATH, SF_R_NR };

struct sf_attr {
	uint16_t type;
	const char *name;
	enum sf_kind kind;
	enum sf_role role;
	int multi;
	unsigned long long min, max;	/* value range, or length range */
	const struct sf_attr *nest;
	size_t nnest;
};

struct sf_op {
	uint8_t cmd;
	const char *name;
	int has_do, has_dump;
	const struct sf_attr *attrs;	/* request attributes */
	size_t nattrs;
	const struct sf_attr *set;	/* every attribute of its set */
	size_t nset;
	int maxattr;
};

#include "vss_spec_fuzz.h"

#define NR_OPS ARRAY_SIZE(sf_ops)

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint64_t rnd64(void)
{
	return (uint64_t)rnd() << 32 | rnd();
}

/* ---- pools of IDs the kernel returned ------------------------------------ */

#define POOL 16
static unsigned char pool[SF_R_NR][POOL][16];
static int pool_nr[SF_R_NR], pool_next[SF_R_NR];

static void pool_add(enum sf_role r, const void *id)
{
	int i;

	for (i = 0; i < pool_nr[r]; i++)
		if (!memcmp(pool[r][i], id, 16))
			return;
	memcpy(pool[r][pool_next[r]], id, 16);
	pool_next[r] = (pool_next[r] + 1) % POOL;
	if (pool_nr[r] < POOL)
		pool_nr[r]++;
}

static void pool_pick(enum sf_role r, unsigned char *id)
{
	size_t k;

	if (pool_nr[r] && rnd() % 8) {
		memcpy(id, pool[r][rnd() % pool_nr[r]], 16);
		return;
	}
	for (k = 0; k < 16; k++)
		id[k] = rnd();
}

static const char *const names[] = { "fz0", "fz1", "fz2", "fz3", "",
	"fz0 ", "FZ0", "a/b", "fz0fz0fz0fz0fz0fz0fz", "fz0fz0fz0fz0fz0fz0fz0" };
static const char *const paths[] = { "/dev/ram0", "/dev/ram1", "/dev/ram2",
	"/dev/ram3", "/dev/ram4", "/dev/ram5", "/dev/vss-fz0", "/dev/vss-fz1",
	"/dev/null", "/dev/zero", "/nonexistent", "", "/dev/", "/dev/ram4/",
	"/proc/self/fd/0" };

/* pending writer events: what a writer-reply may answer */
struct wevent {
	unsigned char instance[16], session[16];
	uint32_t event, seq;
};
static struct wevent wev[8];
static int wev_nr;

/* ---- building requests -------------------------------------------------- */

static struct {
	long sent, accepted, einval, other, unanswered, replies, events;
	long mutated, valid_seq, slow, per_op_ok[256], per_op[256];
	int send_errno;
} st;

static unsigned long long pick_num(const struct sf_attr *a)
{
	unsigned long long v[6] = { a->min, a->max, a->min - 1, a->max + 1, 0,
				    ~0ULL };

	if (rnd() % 5 == 0)
		return v[rnd() % 6];
	if (a->max <= a->min)
		return a->min;
	if (a->max - a->min == ~0ULL)
		return rnd64();
	return a->min + rnd64() % (a->max - a->min + 1);
}

static void put_attr(struct nlr_msg *m, const struct sf_attr *a, int depth);

static void put_nest(struct nlr_msg *m, const struct sf_attr *a, int depth)
{
	size_t off = nlr_put(m, a->type | NLA_F_NESTED, NULL, 0), k, nr;
	struct nlattr *n;

	nr = rnd() % 4;
	for (k = 0; k < nr && a->nnest; k++)
		put_attr(m, &a->nest[rnd() % a->nnest], depth + 1);
	n = (struct nlattr *)(m->buf + off);
	n->nla_len = m->len - off;
}

static void put_attr(struct nlr_msg *m, const struct sf_attr *a, int depth)
{
	unsigned char buf[256];
	char s[4200];
	unsigned long long v;
	size_t len, k;

	if (m->len > sizeof(m->buf) - 4400 || depth > 4)
		return;
	switch (a->kind) {
	case SF_PAD:
	case SF_FLAG:
		nlr_put(m, a->type, NULL, 0);
		break;
	case SF_U8:
	case SF_U16:
	case SF_U32:
	case SF_S32:
	case SF_U64:
		v = pick_num(a);
		/* writers: short event timeouts, so that a set waits little */
		/* (the fuzzing socket is requester and writer at once: a
		 * gather or prepare waits for its own writers' timeouts) */
		if (!strcmp(a->name, "event-timeout-ms") ||
		    !strcmp(a->name, "freeze-timeout-ms"))
			v = rnd() % 20 ? a->min + rnd() % 400 :
			    rnd() % 2 ? a->min - 1 : a->max + 1;
		/* resync rates: not so low that a copy outlives the run */
		if (!strncmp(a->name, "speed-", 6) && rnd() % 4)
			v = 0;
		len = a->kind == SF_U8 ? 1 : a->kind == SF_U16 ? 2 :
		      a->kind == SF_U64 ? 8 : 4;
		nlr_put(m, a->type, &v, len);
		break;
	case SF_STRING:
		if (a->role == SF_R_NAME || a->role == SF_R_LUN) {
			nlr_put_str(m, a->type, names[rnd() % (rnd() % 4 ? 2 :
							       ARRAY_SIZE(names))]);
		} else if (a->role == SF_R_PATH) {
			nlr_put_str(m, a->type, paths[rnd() % ARRAY_SIZE(paths)]);
		} else {
			len = rnd() % 3 ? rnd() % 32 : rnd() % (a->max + 2);
			if (len >= sizeof(s))
				len = sizeof(s) - 1;
			for (k = 0; k < len; k++)
				s[k] = 'a' + rnd() % 26;
			s[len] = 0;
			nlr_put_str(m, a->type, s);
		}
		break;
	case SF_BINARY:
		if (a->min == 16 && a->max == 16) {
			pool_pick(a->role, buf);
			nlr_put(m, a->type, buf, 16);
			break;
		}
		len = rnd() % (rnd() % 8 ? 64 : sizeof(buf));
		for (k = 0; k < len; k++)
			buf[k] = rnd();
		nlr_put(m, a->type, buf, len);
		break;
	case SF_NEST:
		put_nest(m, a, depth);
		break;
	}
}

static void build(struct nlr *n, struct nlr_msg *m, const struct sf_op *op)
{
	bool dump = op->has_dump && (!op->has_do || rnd() % 2);
	size_t i, k, copies;

	nlr_req(n, m, op->cmd, dump);
	for (i = 0; i < op->nattrs; i++) {
		const struct sf_attr *a = &op->attrs[i];

		if (rnd() % 8 == 0)
			continue;
		copies = a->multi ? 1 + rnd() % 3 : 1;
		for (k = 0; k < copies; k++)
			put_attr(m, a, 0);
	}
	/* a writer reply answers an event it got, most of the time */
	if (op->cmd == VSS_CMD_WRITER_REPLY && wev_nr && rnd() % 4) {
		struct wevent *e = &wev[rnd() % wev_nr];
		uint32_t hr = rnd() % 4 ? 0 : 0x800423f0 + rnd() % 6;

		nlr_req(n, m, op->cmd, false);
		nlr_put(m, VSS_A_WRITER_INSTANCE_ID, e->instance, 16);
		nlr_put(m, VSS_A_WRITER_SESSION_ID, e->session, 16);
		nlr_put_u32(m, VSS_A_WRITER_EVENT, e->event);
		nlr_put_u32(m, VSS_A_WRITER_EVENT_SEQ, e->seq);
		nlr_put_u32(m, VSS_A_WRITER_HR_WRITER, hr);
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

static void mutate(struct nlr_msg *m, const struct sf_op *op)
{
	size_t offs[64], body = NLMSG_HDRLEN + GENL_HDRLEN, k, len;
	int nr = attr_offsets(m, offs, 64), i, depth;
	size_t at = nr ? offs[rnd() % nr] : 0;
	struct nlattr *a = nr ? (struct nlattr *)(m->buf + at) : NULL;
	struct genlmsghdr *g = NLMSG_DATA(&m->nlh);
	unsigned char junk[96];

	switch (rnd() % 14) {
	case 0:		/* retype: another attribute of the set */
		if (a && op->nset)
			a->nla_type = (a->nla_type & ~NLA_TYPE_MASK) |
				      op->set[rnd() % op->nset].type;
		break;
	case 1:		/* retype: zero, or past the set's maximum */
		if (a)
			a->nla_type = (a->nla_type & ~NLA_TYPE_MASK) |
				      (rnd() % 2 ? 0 : op->maxattr + 1 + rnd() % 40);
		break;
	case 2:		/* length off by one or more (may run past the end) */
		if (a) {
			int d = (int)(rnd() % 9) - 4;

			a->nla_len = (uint16_t)(a->nla_len + (d ? d : 1));
		}
		break;
	case 3:		/* zero-length payload */
		if (a && a == (struct nlattr *)(m->buf + offs[nr - 1])) {
			a->nla_len = NLA_HDRLEN;
			m->len = at + NLA_HDRLEN;
		}
		break;
	case 4:		/* a string without its NUL, or a last byte changed */
		if (a && a->nla_len > NLA_HDRLEN)
			((unsigned char *)a)[a->nla_len - 1] = 'A' + rnd() % 26;
		break;
	case 5:		/* NLA_F_NESTED toggled (a scalar "nested", a nest not) */
		if (a)
			a->nla_type ^= NLA_F_NESTED;
		break;
	case 6:		/* an attribute wrapped into a nest of itself */
		if (a && m->len + NLA_HDRLEN < sizeof(m->buf)) {
			len = m->len - at;
			memmove(m->buf + at + NLA_HDRLEN, m->buf + at, len);
			a->nla_type = NLA_F_NESTED | op->set[rnd() % op->nset].type;
			a->nla_len = NLA_HDRLEN + len;
			m->len += NLA_HDRLEN;
		}
		break;
	case 7:		/* deep nests, with garbage at the bottom */
		depth = 1 + rnd() % 12;
		if (m->len + depth * NLA_HDRLEN + sizeof(junk) > sizeof(m->buf))
			break;
		k = m->len;
		for (i = 0; i < depth; i++)
			nlr_put(m, NLA_F_NESTED | op->set[rnd() % op->nset].type,
				NULL, 0);
		len = rnd() % sizeof(junk);
		for (i = 0; i < (int)len; i++)
			junk[i] = rnd();
		memcpy(m->buf + m->len, junk, len);
		m->len += NLA_ALIGN(len);
		for (i = 0; i < depth; i++) {
			struct nlattr *n = (struct nlattr *)(m->buf + k +
							     i * NLA_HDRLEN);

			n->nla_len = m->len - (k + i * NLA_HDRLEN);
		}
		break;
	case 8:		/* duplicate an attribute */
		if (a && m->len + NLA_ALIGN(a->nla_len) < sizeof(m->buf)) {
			len = NLA_ALIGN(a->nla_len);
			memcpy(m->buf + m->len, a, len);
			m->len += len;
		}
		break;
	case 9:		/* drop an attribute */
		if (a) {
			/* the last one may end unaligned (a truncated message) */
			len = NLA_ALIGN(a->nla_len);
			if (len > m->len - at)
				len = m->len - at;
			memmove(m->buf + at, m->buf + at + len, m->len - at - len);
			m->len -= len;
		}
		break;
	case 10:	/* truncate, possibly inside an attribute */
		if (m->len > body)
			m->len = body + rnd() % (m->len - body);
		break;
	case 11:	/* flip bits after the netlink header */
		for (k = rnd() % 4 + 1; k; k--)
			m->buf[NLMSG_HDRLEN + rnd() % (m->len - NLMSG_HDRLEN)] ^=
				1u << (rnd() % 8);
		break;
	case 12:	/* another command: of the family, or any */
		g->cmd = rnd() % 2 ? sf_all_cmds[rnd() % sizeof(sf_all_cmds)] :
				     rnd() % 256;
		break;
	default:	/* dump flag toggled; genl version or reserved */
		if (rnd() % 2)
			m->nlh.nlmsg_flags ^= NLM_F_DUMP;
		else if (rnd() % 2)
			g->version = rnd();
		else
			g->reserved = rnd();
		break;
	}
}

/* ---- sending, and what came back ------------------------------------------ */

static const struct sf_op *op_of(uint8_t cmd)
{
	size_t i;

	for (i = 0; i < NR_OPS; i++)
		if (sf_ops[i].cmd == cmd)
			return &sf_ops[i];
	return NULL;
}

/* Harvest the IDs of a reply or notification (its op's set, by role). */
static void harvest(const struct nlmsghdr *h)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);
	const unsigned char *p = (const unsigned char *)g + GENL_HDRLEN;
	size_t len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, off = 0, i;
	const struct sf_op *op = op_of(g->cmd);
	const struct sf_attr *set = op ? op->set : NULL;
	size_t nset = op ? op->nset : 0;

	if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	if (g->cmd == VSS_CMD_WRITER_EVENT_NTF) {
		const struct nlattr *in, *se, *ev, *sq;

		st.events++;
		in = nlr_attr(p, len, VSS_A_WRITER_INSTANCE_ID);
		se = nlr_attr(p, len, VSS_A_WRITER_SESSION_ID);
		ev = nlr_attr(p, len, VSS_A_WRITER_EVENT);
		sq = nlr_attr(p, len, VSS_A_WRITER_EVENT_SEQ);
		if (in && se && ev && sq && in->nla_len == NLA_HDRLEN + 16 &&
		    se->nla_len == NLA_HDRLEN + 16) {
			struct wevent *e = &wev[wev_nr < 8 ? (uint32_t)wev_nr++ : rnd() % 8];

			memcpy(e->instance, nlr_data(in), 16);
			memcpy(e->session, nlr_data(se), 16);
			memcpy(&e->event, nlr_data(ev), 4);
			memcpy(&e->seq, nlr_data(sq), 4);
		}
		return;
	}
	while (set && off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const struct nlattr *)(p + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			break;
		for (i = 0; i < nset; i++)
			if (set[i].type == (a->nla_type & NLA_TYPE_MASK) &&
			    set[i].kind == SF_BINARY && set[i].role != SF_R_NONE &&
			    a->nla_len == NLA_HDRLEN + 16)
				pool_add(set[i].role, nlr_data(a));
		off += NLA_ALIGN(a->nla_len);
	}
}

#define BATCH 8
#define NO_ANSWER 1	/* not an errno: acks carry 0 or -errno */
static int last_recv_errno;

/*
 * Send @nr messages in one sendmsg (netlink runs them in order; at most
 * one dump, last) and read until each one's ack or dump end (every data
 * message and notification on the way is harvested).  @res[i]: 0 or
 * -errno of message i's ack, NO_ANSWER when it never came.  Returns the
 * number answered.
 */
static int xfer_batch(struct nlr *n, struct nlr_msg *m, int nr, int *res)
{
	static unsigned char sbuf[BATCH * sizeof(m->buf)];
	static unsigned char rbuf[NLR_BUFSZ];
	uint32_t first = n->seq + 1;
	size_t len = 0;
	int i, answered = 0;

	for (i = 0; i < nr; i++) {
		m[i].nlh.nlmsg_len = m[i].len;
		m[i].nlh.nlmsg_seq = ++n->seq;
		m[i].nlh.nlmsg_flags |= NLM_F_ACK;
		memcpy(sbuf + len, m[i].buf, m[i].len);
		len += NLMSG_ALIGN(m[i].len);
		res[i] = NO_ANSWER;
	}
	if (send(n->fd, sbuf, len, 0) < 0) {
		st.send_errno = errno;
		return 0;
	}
	while (answered < nr) {
		ssize_t r = recv(n->fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *h;
		int left;

		if (r < 0) {
			last_recv_errno = errno;
			if (errno == ENOBUFS)	/* an ack may be lost: say so */
				continue;
			return answered;
		}
		left = (int)r;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			uint32_t k = h->nlmsg_seq - first;

			if (h->nlmsg_type == NLMSG_ERROR && k < (uint32_t)nr &&
			    res[k] == NO_ANSWER) {
				res[k] = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				answered++;
			} else if (h->nlmsg_type == NLMSG_DONE && k < (uint32_t)nr &&
				   res[k] == NO_ANSWER) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&err, NLMSG_DATA(h), sizeof(int));
				res[k] = err;
				answered++;
			} else if (h->nlmsg_type == n->family) {
				if (k < (uint32_t)nr)
					st.replies++;
				harvest(h);
			}
		}
	}
	return answered;
}

static int xfer(struct nlr *n, struct nlr_msg *m)
{
	int res;

	xfer_batch(n, m, 1, &res);
	return res;
}

/* A valid request with no mutation; its result. */
static int send_valid(struct nlr *n, uint8_t cmd, bool dump,
		      void (*fill)(struct nlr_msg *m, void *arg), void *arg)
{
	struct nlr_msg m;

	nlr_req(n, &m, cmd, dump);
	if (fill)
		fill(&m, arg);
	return xfer(n, &m);
}

static void fill_lun(struct nlr_msg *m, void *arg)
{
	int i = *(int *)arg;
	char name[16], path[32];

	snprintf(name, sizeof(name), "fz%d", i);
	nlr_put_str(m, VSS_A_LUN_NAME, name);
	snprintf(path, sizeof(path), "/dev/ram%d", 2 * i);
	nlr_put_str(m, VSS_A_LUN_BACKING, path);
	snprintf(path, sizeof(path), "/dev/ram%d", 2 * i + 1);
	nlr_put_str(m, VSS_A_LUN_STORE, path);
	nlr_put_u32(m, VSS_A_LUN_CHUNK_SIZE, 16384);
	nlr_put(m, VSS_A_LUN_FORMAT, NULL, 0);
}

static void fill_id(struct nlr_msg *m, void *arg)
{
	const uint16_t *t = arg;

	nlr_put(m, t[0], t + 1, 16);
}

/* sessions, sets, snapshots of the pools, newest first */
static const unsigned char *newest(enum sf_role r)
{
	if (!pool_nr[r])
		return NULL;
	return pool[r][(pool_next[r] + POOL - 1) % POOL];
}

/*
 * The valid sequence: the LUNs exist, a session takes a set of both, the
 * snapshots are listed, all but the newest few deleted (the store and the
 * snapshot count stay bounded), and old sessions aborted.
 */
static void valid_sequence(struct nlr *n)
{
	struct { uint16_t type; unsigned char id[16]; } __attribute__((packed)) t;
	struct nlr_msg m;
	const unsigned char *s, *set;
	int i, fd;
	char blk[4096];

	st.valid_seq++;
	for (i = 0; i < 2; i++)
		send_valid(n, VSS_CMD_LUN_ADD, false, fill_lun, &i);
	/* some writes, so that snapshots own chunks and changes have extents */
	fd = open("/dev/vss-fz0", O_WRONLY);
	if (fd >= 0) {
		memset(blk, (int)rnd(), sizeof(blk));
		if (pwrite(fd, blk, sizeof(blk), (off_t)(rnd() % 4096) * 4096) < 0) {
			/* the LUN may be going away: fine */
		}
		close(fd);
	}
	if (send_valid(n, VSS_CMD_SESSION_NEW, false, NULL, NULL))
		return;
	s = newest(SF_R_SESSION);
	if (!s)
		return;
	nlr_req(n, &m, VSS_CMD_SET_START, false);
	nlr_put(&m, VSS_A_SET_SESSION_ID, s, 16);
	if (xfer(n, &m))
		return;
	set = newest(SF_R_SET);
	if (!set)
		return;
	for (i = 0; i < 2; i++) {
		nlr_req(n, &m, VSS_CMD_SET_ADD, false);
		nlr_put(&m, VSS_A_SET_SESSION_ID, s, 16);
		nlr_put(&m, VSS_A_SET_ID, set, 16);
		nlr_put_str(&m, VSS_A_SET_LUN, i ? "fz1" : "fz0");
		xfer(n, &m);
	}
	nlr_req(n, &m, VSS_CMD_SET_DO, false);
	nlr_put(&m, VSS_A_SET_SESSION_ID, s, 16);
	nlr_put(&m, VSS_A_SET_ID, set, 16);
	if (rnd() % 2)
		nlr_put(&m, VSS_A_SET_NO_WRITERS, NULL, 0);
	xfer(n, &m);
	send_valid(n, VSS_CMD_SNAPSHOT_GET, true, NULL, NULL);
	/* the oldest half of the snapshot pool goes */
	for (i = 0; i < pool_nr[SF_R_SNAPSHOT] / 2; i++) {
		t.type = VSS_A_SNAPSHOT_ID;
		memcpy(t.id, pool[SF_R_SNAPSHOT][(pool_next[SF_R_SNAPSHOT] + i) % POOL], 16);
		send_valid(n, VSS_CMD_SNAPSHOT_DEL, false, fill_id, &t);
	}
	/* and the oldest session */
	if (pool_nr[SF_R_SESSION] == POOL) {
		t.type = VSS_A_SESSION_ID;
		memcpy(t.id, pool[SF_R_SESSION][pool_next[SF_R_SESSION]], 16);
		send_valid(n, VSS_CMD_SESSION_ABORT, false, fill_id, &t);
	}
	send_valid(n, VSS_CMD_RESYNC_GET, true, NULL, NULL);
}

/* ---- the end: nothing left ----------------------------------------------- */

struct lun_names {
	char (*names)[32];
	int max, nr;
};

static void lun_name(const void *attrs, size_t len, void *arg)
{
	const struct nlattr *a = nlr_attr(attrs, len, VSS_A_LUN_NAME);
	struct lun_names *ln = arg;

	if (a && ln->nr < ln->max)
		snprintf(ln->names[ln->nr++], 32, "%s",
			 (const char *)nlr_data(a));
}

/* Names (VSS_A_LUN_NAME) of every LUN (at most @max); their number. */
static int lun_names(struct nlr *n, char names_out[][32], int max)
{
	struct lun_names ln = { .names = names_out, .max = max };
	struct nlr_msg m;
	struct nlr_ack ack;

	/* what came before an error too: each is removed at the end */
	nlr_req(n, &m, VSS_CMD_LUN_GET, true);
	nlr_dump(n, &m, lun_name, &ln, &ack);
	return ln.nr;
}

int main(int argc, char **argv)
{
	long iters = 1000000, i, mutated_ok = 0, valid_ok = 0;
	struct timeval tv = { .tv_sec = 10 };
	struct timespec t0, t1;
	char luns[64][32];
	struct nlr n, probe;
	int c, k, ret, one = 1, nl, left_luns, left_sess, left_writers, left_snaps;
	bool stop = false;
	double secs;

	rng_state = (uint64_t)time(NULL) * 2654435761u;
	if (getenv("VSS_FUZZ_MESSAGES"))
		iters = atol(getenv("VSS_FUZZ_MESSAGES"));
	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		if (c == 'n')
			iters = atol(optarg);
		else if (c == 's')
			rng_state = strtoull(optarg, NULL, 0);
		else
			return 2;
	}
	if (!rng_state)
		rng_state = 1;
	printf("TAP version 13\n1..4\n");
	printf("# nl_specfuzz: seed %#llx, %ld messages, %zu ops from the spec\n",
	       (unsigned long long)rng_state, iters, NR_OPS);
	fflush(stdout);
	if (nlr_open_loaded(&probe) || su_ramdisks(6, 32)) {
		printf("not ok 1 set-up: vss family or brd ramdisks unavailable\n");
		return 1;
	}
	/*
	 * The fuzzing socket is requester and writer at once: a gather or
	 * prepare (its doit waits for the writers) waits for its own
	 * writers' timeouts, 30 s by default for one registered without
	 * event-timeout-ms.  Short defaults keep the run moving.
	 */
	if (su_knob("writer_event_timeout_ms", "200") ||
	    su_knob("writer_freeze_max_ms", "1000")) {
		printf("not ok 1 set-up: writer timeout knobs\n");
		return 1;
	}
	if (nlr_open(&n) ||
	    setsockopt(n.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(n.fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		printf("not ok 1 set-up: netlink socket\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < iters && !stop;) {
		static struct nlr_msg batch[BATCH];
		const struct sf_op *bop[BATCH];
		int nmut[BATCH], res[BATCH], nr = 0, b;
		struct timespec b0, b1;
		double bs;

		if (i / 400 != (i + BATCH) / 400 || !i)
			valid_sequence(&n);
		/* up to BATCH requests; a dump ends the batch */
		while (nr < BATCH && i + nr < iters) {
			const struct sf_op *op = &sf_ops[rnd() % NR_OPS];

			nmut[nr] = rnd() % 4 ? 1 + rnd() % 3 : 0;
			build(&n, &batch[nr], op);
			for (k = 0; k < nmut[nr]; k++)
				mutate(&batch[nr], op);
			bop[nr++] = op;
			if (batch[nr - 1].nlh.nlmsg_flags & NLM_F_DUMP)
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &b0);
		xfer_batch(&n, batch, nr, res);
		clock_gettime(CLOCK_MONOTONIC, &b1);
		bs = b1.tv_sec - b0.tv_sec + (b1.tv_nsec - b0.tv_nsec) / 1e9;
		if (bs > 2 && st.slow++ < 20) {
			printf("# slow batch (%.1f s):", bs);
			for (b = 0; b < nr; b++)
				printf(" %s/%d%s=%d", bop[b]->name, nmut[b],
				       batch[b].nlh.nlmsg_flags & NLM_F_DUMP ? "/dump" : "",
				       res[b]);
			printf("\n");
		}
		for (b = 0; b < nr; b++, i++) {
			const struct sf_op *op = bop[b];

			ret = res[b];
			if (nmut[b])
				st.mutated++;
			st.per_op[op->cmd]++;
			st.sent++;
			if (ret == NO_ANSWER) {
				printf("# message %ld (%s, %d mutations, cmd %u, %u bytes): no answer in %ld s (send: %s, recv: %s)\n",
				       i, op->name, nmut[b],
				       ((struct genlmsghdr *)NLMSG_DATA(&batch[b].nlh))->cmd,
				       batch[b].nlh.nlmsg_len, (long)tv.tv_sec,
				       strerror(st.send_errno), strerror(last_recv_errno));
				st.unanswered++;
				stop = true;
			} else if (ret > 0) {	/* NO_ANSWER excluded */
				printf("# message %ld: positive error %d\n", i, ret);
				st.other++;
				stop = true;
			} else if (!ret) {
				st.accepted++;
				st.per_op_ok[op->cmd]++;
				if (nmut[b])
					mutated_ok++;
				else
					valid_ok++;
			} else if (ret == -EINVAL || ret == -ERANGE || ret == -EMSGSIZE ||
				   ret == -EOPNOTSUPP) {
				st.einval++;
			} else {
				st.other++;
			}
			/* progress on the console too: a run cut short still tells */
			if ((i + 1) % 10000 == 0) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
				printf("# %ld messages, %.0f s, %.0f/s\n", i + 1, secs,
				       (i + 1) / secs);
				fflush(stdout);
				su_sh("echo 'nl_specfuzz: %ld messages, %.0f s, %ld accepted, %ld refused by policy, %ld other errors' > /dev/kmsg",
				      i + 1, secs, st.accepted, st.einval, st.other);
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# sent %ld (%ld mutated, %ld valid sequences) in %.1f s: %.0f messages/s\n",
	       st.sent, st.mutated, st.valid_seq, secs, st.sent / secs);
	printf("# accepted %ld (%ld mutated, %ld unmutated), EINVAL/ERANGE/EMSGSIZE/EOPNOTSUPP %ld, other errors %ld, unanswered %ld; %ld replies, %ld writer events\n",
	       st.accepted, mutated_ok, valid_ok, st.einval, st.other,
	       st.unanswered, st.replies, st.events);
	printf("# accepted per op:");
	for (k = 0; k < (int)NR_OPS; k++)
		printf(" %s %ld/%ld", sf_ops[k].name, st.per_op_ok[sf_ops[k].cmd],
		       st.per_op[sf_ops[k].cmd]);
	printf("\n");
	if (st.sent == iters && !st.unanswered)
		printf("ok 1 every message answered (%ld)\n", st.sent);
	else
		printf("not ok 1 every message answered (%ld of %ld)\n", st.sent, iters);
	/* not vacuous: valid traffic got through, mutated traffic reached the policy */
	if (valid_ok > 0 && st.einval > 0 && st.valid_seq > 0)
		printf("ok 2 valid requests accepted, mutated ones refused\n");
	else
		printf("not ok 2 valid requests accepted (%ld), mutated ones refused (%ld)\n",
		       valid_ok, st.einval);

	/* the fuzzing socket's sessions and writers go with it */
	nlr_close(&n);
	sleep(1);
	/* cancel every resync, delete every snapshot, remove every LUN */
	su_sh("for d in $(vssctl -j resync list 2>/dev/null | jq -r '.[].destination'); do vssctl resync cancel \"$d\" >/dev/null 2>&1; done; sleep 1");
	su_delete_all_snapshots(&probe);
	nl = lun_names(&probe, luns, 64);
	for (k = 0; k < nl; k++) {
		struct nlr_ack a;

		if (nlr_lun_del(&probe, luns[k], &a))
			printf("# lun remove %s: %s\n", luns[k], a.msg);
	}
	left_snaps = su_snapshot_count(&probe, NULL);
	left_luns = nlr_dump_count(&probe, VSS_CMD_LUN_GET);
	left_sess = nlr_dump_count(&probe, VSS_CMD_SESSION_GET);
	left_writers = nlr_dump_count(&probe, VSS_CMD_WRITER_GET);
	printf("# left: %d LUNs (%d removed), %d sessions, %d writers, %d snapshots\n",
	       left_luns, nl, left_sess, left_writers, left_snaps);
	if (!left_luns && !left_sess && !left_writers && !left_snaps)
		printf("ok 3 no object left (LUNs, sessions, writers, snapshots)\n");
	else
		printf("not ok 3 no object left\n");
	nlr_close(&probe);
	ret = su_sh("rmmod vss");
	if (!ret)
		printf("ok 4 vss unloads\n");
	else
		printf("not ok 4 vss unloads\n");
	su_sh("rmmod brd 2>/dev/null");
	return st.sent == iters && !st.unanswered && valid_ok && st.einval &&
	       !left_luns && !left_sess && !left_writers && !left_snaps && !ret ? 0 : 1;
}
