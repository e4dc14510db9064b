/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal raw generic netlink client for the vss selftests that must build
 * messages byte by byte (malformed, mutated, unprivileged).  No libnl: the
 * point is to send exactly what the test says, and to read the extended ack
 * (message, offending attribute, missing attribute, HRESULT cookie).
 */
#ifndef _VSS_NL_RAW_H
#define _VSS_NL_RAW_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vss.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NLR_BUFSZ 65536

struct nlr {
	int fd;
	uint16_t family;	/* 0 if the vss family is not registered */
	uint32_t mcgrp_events;
	uint32_t seq;
	uint32_t portid;
};

struct nlr_msg {
	size_t len;
	union {
		struct nlmsghdr nlh;
		unsigned char buf[8192];
	};
};

/* What came back for one request. */
struct nlr_ack {
	int error;		/* 0 or a negative errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" if none */
	bool has_cookie;
	uint32_t hresult;	/* NLMSGERR_ATTR_COOKIE as a VSS HRESULT */
	bool has_offs;
	uint32_t offs;		/* NLMSGERR_ATTR_OFFS */
	uint32_t miss_type;	/* NLMSGERR_ATTR_MISS_TYPE, 0 if none */
	int replies;		/* data messages received before the ack */
	unsigned char reply[8192];	/* genl payload of the first reply */
	size_t reply_len;
	bool dump_intr;		/* NLM_F_DUMP_INTR seen */
	bool via_done;		/* a dump's error, reported in NLMSG_DONE
				 * (only the message comes with it) */
};

static inline void nlr_msg_init(struct nlr_msg *m, uint16_t type,
				uint16_t flags, uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, sizeof(struct nlmsghdr) + GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = (struct genlmsghdr *)NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = 1;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Append an attribute; returns its offset in the message. */
static inline size_t nlr_put(struct nlr_msg *m, uint16_t type,
			     const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	size_t off = m->len;

	if (m->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(m->buf))
		abort();
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
	return off;
}

static inline size_t nlr_put_str(struct nlr_msg *m, uint16_t type,
				 const char *s)
{
	return nlr_put(m, type, s, strlen(s) + 1);
}

static inline void nlr_put_u32(struct nlr_msg *m, uint16_t type, uint32_t v)
{
	nlr_put(m, type, &v, sizeof(v));
}

static inline void nlr_put_u64(struct nlr_msg *m, uint16_t type, uint64_t v)
{
	nlr_put(m, type, &v, sizeof(v));
}

static inline const struct nlattr *nlr_attr(const void *payload, size_t len,
					    uint16_t type)
{
	const unsigned char *p = payload;
	size_t off = 0;

	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const struct nlattr *)(p + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static inline const void *nlr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* The attributes of the first reply, after the genl header. */
static inline const struct nlattr *nlr_reply_attr(const struct nlr_ack *ack,
						  uint16_t type)
{
	if (ack->reply_len < GENL_HDRLEN)
		return NULL;
	return nlr_attr(ack->reply + GENL_HDRLEN, ack->reply_len - GENL_HDRLEN,
			type);
}

static inline void nlr_parse_ext_ack(const struct nlmsghdr *h,
				     struct nlr_ack *ack, size_t skip)
{
	const unsigned char *p = (const unsigned char *)h + skip;
	size_t len = h->nlmsg_len > skip ? h->nlmsg_len - skip : 0;
	const struct nlattr *a;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	a = nlr_attr(p, len, NLMSGERR_ATTR_MSG);
	if (a)
		snprintf(ack->msg, sizeof(ack->msg), "%.*s",
			 (int)(a->nla_len - NLA_HDRLEN), (const char *)nlr_data(a));
	a = nlr_attr(p, len, NLMSGERR_ATTR_COOKIE);
	if (a && a->nla_len == NLA_HDRLEN + 4) {
		ack->has_cookie = true;
		memcpy(&ack->hresult, nlr_data(a), 4);
	}
	a = nlr_attr(p, len, NLMSGERR_ATTR_OFFS);
	if (a) {
		ack->has_offs = true;
		memcpy(&ack->offs, nlr_data(a), 4);
	}
	a = nlr_attr(p, len, NLMSGERR_ATTR_MISS_TYPE);
	if (a)
		memcpy(&ack->miss_type, nlr_data(a), 4);
}

/*
 * Send @m (its length and sequence number are filled in) and collect
 * replies until the ack or NLMSG_DONE.  Returns ack->error, or -errno of a
 * socket failure (-ETIMEDOUT if nothing came back).
 */
static inline int nlr_xfer(struct nlr *n, struct nlr_msg *m,
			   struct nlr_ack *ack)
{
	static unsigned char rbuf[NLR_BUFSZ];
	uint32_t seq = ++n->seq;
	bool dump = m->nlh.nlmsg_flags & NLM_F_DUMP;

	memset(ack, 0, sizeof(*ack));
	m->nlh.nlmsg_len = m->len;
	m->nlh.nlmsg_seq = seq;
	if (send(n->fd, m->buf, m->len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t r = recv(n->fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *h;
		int left;

		if (r < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)r;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				ack->dump_intr = true;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				size_t skip = NLMSG_HDRLEN + sizeof(*e);

				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					skip += e->msg.nlmsg_len - NLMSG_HDRLEN;
				ack->error = e->error;
				nlr_parse_ext_ack(h, ack, skip);
				return ack->error;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&err, NLMSG_DATA(h), sizeof(int));
				ack->error = err;
				ack->via_done = err != 0;
				nlr_parse_ext_ack(h, ack, NLMSG_HDRLEN + sizeof(int));
				return err;
			}
			if (!ack->replies++) {
				ack->reply_len = h->nlmsg_len - NLMSG_HDRLEN;
				if (ack->reply_len > sizeof(ack->reply))
					ack->reply_len = sizeof(ack->reply);
				memcpy(ack->reply, NLMSG_DATA(h), ack->reply_len);
			}
			if (!dump && !(h->nlmsg_flags & NLM_F_MULTI) &&
			    !(m->nlh.nlmsg_flags & NLM_F_ACK))
				return 0;
		}
	}
}

/* Resolve the "vss" family and its "events" group through nlctrl. */
static inline int nlr_resolve(struct nlr *n)
{
	struct nlr_msg m;
	struct nlr_ack ack;
	const struct nlattr *a;

	nlr_msg_init(&m, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY);
	nlr_put_str(&m, CTRL_ATTR_FAMILY_NAME, VSS_FAMILY_NAME);
	n->family = 0;
	if (nlr_xfer(n, &m, &ack) || !ack.replies)
		return ack.error ? ack.error : -ENOENT;
	a = nlr_reply_attr(&ack, CTRL_ATTR_FAMILY_ID);
	if (!a)
		return -ENOENT;
	memcpy(&n->family, nlr_data(a), 2);
	a = nlr_reply_attr(&ack, CTRL_ATTR_MCAST_GROUPS);
	if (a) {
		const unsigned char *p = nlr_data(a);
		size_t len = a->nla_len - NLA_HDRLEN, off = 0;

		while (off + NLA_HDRLEN <= len) {
			const struct nlattr *g = (const struct nlattr *)(p + off);
			const struct nlattr *nm, *id;

			nm = nlr_attr(nlr_data(g), g->nla_len - NLA_HDRLEN,
				      CTRL_ATTR_MCAST_GRP_NAME);
			id = nlr_attr(nlr_data(g), g->nla_len - NLA_HDRLEN,
				      CTRL_ATTR_MCAST_GRP_ID);
			if (nm && id && !strcmp(nlr_data(nm), VSS_MCGRP_EVENTS))
				memcpy(&n->mcgrp_events, nlr_data(id), 4);
			off += NLA_ALIGN(g->nla_len);
		}
	}
	return 0;
}

/* Open a socket with extended acks and a receive timeout; resolve vss. */
static inline int nlr_open(struct nlr *n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 30 };
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(n, 0, sizeof(*n));
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (n->fd < 0)
		return -errno;
	if (bind(n->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(n->fd, (struct sockaddr *)&sa, &sl) ||
	    setsockopt(n->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		int err = -errno;

		close(n->fd);
		return err;
	}
	n->portid = sa.nl_pid;
	return nlr_resolve(n);
}

static inline void nlr_close(struct nlr *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

/* Load vss.ko if the family is missing (the tests run as root first). */
static inline int nlr_open_loaded(struct nlr *n)
{
	int ret = nlr_open(n);

	if (ret == -ENOENT) {
		nlr_close(n);
		if (system("modprobe vss 2>/dev/null || insmod /tmp/vss.ko 2>/dev/null"))
			return -ENOENT;
		ret = nlr_open(n);
	}
	return ret;
}

/*
 * Leave as found: unload vss.ko at exit if it holds no LUN (the tests load
 * it themselves).  Runs in the harness' parent only (children _exit()).
 */
#define NLR_UNLOAD_AT_EXIT						\
static void __attribute__((destructor)) nlr_unload_at_exit(void)	\
{									\
	if (system("lsmod | grep -q '^vss ' && "			\
		   "! ls /dev/vss-* >/dev/null 2>&1 && rmmod vss")) {	\
		/* not loaded, or in use: nothing to do */		\
	}								\
}

static inline void nlr_req(struct nlr *n, struct nlr_msg *m, uint8_t cmd,
			   bool dump)
{
	nlr_msg_init(m, n->family, dump ? NLM_F_DUMP | NLM_F_ACK : NLM_F_ACK,
		     cmd);
}

/*
 * Send a dump request and call @fn with the attributes (after the genl
 * header) of every reply.  Returns 0 or a negative errno.
 */
static inline int nlr_dump(struct nlr *n, struct nlr_msg *m,
			   void (*fn)(const void *attrs, size_t len, void *arg),
			   void *arg, struct nlr_ack *ack)
{
	static unsigned char rbuf[NLR_BUFSZ];
	uint32_t seq = ++n->seq;

	memset(ack, 0, sizeof(*ack));
	m->nlh.nlmsg_len = m->len;
	m->nlh.nlmsg_seq = seq;
	if (send(n->fd, m->buf, m->len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t r = recv(n->fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *h;
		int left;

		if (r < 0)
			return -errno;
		left = (int)r;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				size_t skip = NLMSG_HDRLEN + sizeof(*e);

				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					skip += e->msg.nlmsg_len - NLMSG_HDRLEN;
				ack->error = e->error;
				nlr_parse_ext_ack(h, ack, skip);
				if (e->error)
					return e->error;
				continue;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&err, NLMSG_DATA(h), sizeof(int));
				ack->error = err;
				nlr_parse_ext_ack(h, ack,
						  NLMSG_HDRLEN + sizeof(int));
				return err;
			}
			fn((const unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN,
			   h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, arg);
		}
	}
}

/* Number of objects a dump returns (or a negative errno). */
static inline int nlr_dump_count(struct nlr *n, uint8_t cmd)
{
	struct nlr_msg m;
	struct nlr_ack ack;
	int ret;

	nlr_req(n, &m, cmd, true);
	ret = nlr_xfer(n, &m, &ack);
	return ret ? ret : ack.replies;
}

/* Create a session bound to @n; its id goes to @id. */
static inline int nlr_session_new(struct nlr *n, unsigned char id[16])
{
	struct nlr_msg m;
	struct nlr_ack ack;
	const struct nlattr *a;
	int ret;

	nlr_req(n, &m, VSS_CMD_SESSION_NEW, false);
	ret = nlr_xfer(n, &m, &ack);
	if (ret)
		return ret;
	a = nlr_reply_attr(&ack, VSS_A_SESSION_ID);
	if (!a || a->nla_len != NLA_HDRLEN + 16)
		return -EPROTO;
	memcpy(id, nlr_data(a), 16);
	return 0;
}

static inline int nlr_set_start(struct nlr *n, const unsigned char sid[16],
				unsigned char set_id[16], struct nlr_ack *ack)
{
	struct nlr_msg m;
	const struct nlattr *a;
	int ret;

	nlr_req(n, &m, VSS_CMD_SET_START, false);
	nlr_put(&m, VSS_A_SET_SESSION_ID, sid, 16);
	ret = nlr_xfer(n, &m, ack);
	if (ret)
		return ret;
	a = nlr_reply_attr(ack, VSS_A_SET_ID);
	if (!a || a->nla_len != NLA_HDRLEN + 16)
		return -EPROTO;
	memcpy(set_id, nlr_data(a), 16);
	return 0;
}

static inline int nlr_set_add(struct nlr *n, const unsigned char sid[16],
			      const unsigned char set_id[16], const char *lun,
			      struct nlr_ack *ack)
{
	struct nlr_msg m;

	nlr_req(n, &m, VSS_CMD_SET_ADD, false);
	nlr_put(&m, VSS_A_SET_SESSION_ID, sid, 16);
	nlr_put(&m, VSS_A_SET_ID, set_id, 16);
	nlr_put_str(&m, VSS_A_SET_LUN, lun);
	return nlr_xfer(n, &m, ack);
}

/*
 * Is @h the set-done-ntf of @set_id?  Then record its outcome in @ack as
 * set-do's own ack used to carry it (error, message, HRESULT cookie) and
 * keep its payload as the reply (state, hold-us, members).
 */
static inline bool nlr_set_done(const struct nlr *n, const struct nlmsghdr *h,
				const unsigned char set_id[16],
				struct nlr_ack *ack)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;
	const struct nlattr *a;
	int32_t err;

	if (h->nlmsg_type != n->family || len < GENL_HDRLEN ||
	    g->cmd != VSS_CMD_SET_DONE_NTF)
		return false;
	a = nlr_attr((const char *)g + GENL_HDRLEN, len - GENL_HDRLEN,
		     VSS_A_SET_ID);
	if (!a || a->nla_len != NLA_HDRLEN + 16 ||
	    memcmp(nlr_data(a), set_id, 16))
		return false;
	ack->replies = 1;
	ack->reply_len = len < sizeof(ack->reply) ? len : sizeof(ack->reply);
	memcpy(ack->reply, g, ack->reply_len);
	a = nlr_reply_attr(ack, VSS_A_SET_ERROR);
	if (!a) {
		ack->error = -EPROTO;
		return true;
	}
	memcpy(&err, nlr_data(a), 4);
	ack->error = err;
	a = nlr_reply_attr(ack, VSS_A_SET_MESSAGE);
	if (a)
		snprintf(ack->msg, sizeof(ack->msg), "%.*s",
			 (int)(a->nla_len - NLA_HDRLEN), (const char *)nlr_data(a));
	a = nlr_reply_attr(ack, VSS_A_SET_HRESULT);
	if (a) {
		ack->has_cookie = true;
		memcpy(&ack->hresult, nlr_data(a), 4);
	}
	return true;
}

/*
 * DoSnapshotSet as one call: set-do (which the kernel answers at once),
 * then its outcome, set-done-ntf, which may arrive before the answer.
 * Returns set-do's error, else the outcome's; @ack then holds the
 * outcome (reply: the notification).  Waits up to 10 minutes.
 */
static inline int nlr_set_do(struct nlr *n, const unsigned char sid[16],
			     const unsigned char set_id[16], struct nlr_ack *ack)
{
	static unsigned char rbuf[NLR_BUFSZ];
	bool acked = false, done = false;
	struct nlr_ack outcome;
	struct nlr_msg m;
	uint32_t seq;
	int waits = 0;

	memset(&outcome, 0, sizeof(outcome));
	nlr_req(n, &m, VSS_CMD_SET_DO, false);
	nlr_put(&m, VSS_A_SET_SESSION_ID, sid, 16);
	nlr_put(&m, VSS_A_SET_ID, set_id, 16);
	memset(ack, 0, sizeof(*ack));
	seq = ++n->seq;
	m.nlh.nlmsg_len = m.len;
	m.nlh.nlmsg_seq = seq;
	if (send(n->fd, m.buf, m.len, 0) < 0)
		return -errno;
	while (!acked || !done) {
		ssize_t r = recv(n->fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *h;
		int left;

		if (r < 0 && errno == EAGAIN && acked && ++waits < 20)
			continue;	/* the set may take minutes */
		if (r < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)r;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq) {
				if (!done && nlr_set_done(n, h, set_id, &outcome))
					done = true;
				continue;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				size_t skip = NLMSG_HDRLEN + sizeof(*e);

				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					skip += e->msg.nlmsg_len - NLMSG_HDRLEN;
				ack->error = e->error;
				nlr_parse_ext_ack(h, ack, skip);
				if (ack->error)
					return ack->error;
				acked = true;
			}
		}
	}
	*ack = outcome;
	return ack->error;
}

static inline int nlr_lun_add(struct nlr *n, const char *name,
			      const char *backing, const char *store,
			      uint32_t chunk, struct nlr_ack *ack)
{
	struct nlr_msg m;

	nlr_req(n, &m, VSS_CMD_LUN_ADD, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, name);
	nlr_put_str(&m, VSS_A_LUN_BACKING, backing);
	nlr_put_str(&m, VSS_A_LUN_STORE, store);
	if (chunk)
		nlr_put_u32(&m, VSS_A_LUN_CHUNK_SIZE, chunk);
	nlr_put(&m, VSS_A_LUN_FORMAT, NULL, 0);
	return nlr_xfer(n, &m, ack);
}

static inline int nlr_lun_del(struct nlr *n, const char *name,
			      struct nlr_ack *ack)
{
	struct nlr_msg m;

	nlr_req(n, &m, VSS_CMD_LUN_DEL, false);
	nlr_put_str(&m, VSS_A_LUN_NAME, name);
	return nlr_xfer(n, &m, ack);
}

#endif /* _VSS_NL_RAW_H */
