// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - decoding of netlink messages received from the kernel.
 *
 * Everything here works on plain buffers, without a socket, so that the host
 * unit tests and the fuzz target exercise exactly the code that parses what
 * the kernel sends.  Messages are treated as untrusted: every length is
 * checked before it is used.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* The attributes of an extended ACK start at this offset of @nlh. */
static int nlerr_tlv_offset(const struct nlmsghdr *nlh, size_t *off)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t o = NLMSG_HDRLEN + sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		/* the whole request follows the error code */
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return -EBADMSG;
		o += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	o = NLMSG_ALIGN(o);
	if (o > nlh->nlmsg_len)
		return -EBADMSG;
	*off = o;
	return 0;
}

static int parse_ack_tlvs(const void *start, size_t len, struct vss_nlerr *e)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlattr *a;
	int rc;

	rc = nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)start, (int)len,
		       NULL);
	if (rc < 0)
		return -EBADMSG;

	a = tb[NLMSGERR_ATTR_MSG];
	if (a && nla_len(a) > 0) {
		size_t n = (size_t)nla_len(a);
		const char *s = nla_data(a);
		const char *nul = memchr(s, '\0', n);

		if (nul)
			n = (size_t)(nul - s);
		if (n >= sizeof(e->msg))
			n = sizeof(e->msg) - 1;
		memcpy(e->msg, s, n);
		e->msg[n] = '\0';
	}
	if (tb[NLMSGERR_ATTR_OFFS] &&
	    vss__attr_u32(tb[NLMSGERR_ATTR_OFFS], &e->offs) == 0)
		e->has_offs = true;
	if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
	    vss__attr_u32(tb[NLMSGERR_ATTR_MISS_TYPE], &e->miss_type) == 0)
		e->has_miss = true;
	if (tb[NLMSGERR_ATTR_MISS_NEST] &&
	    vss__attr_u32(tb[NLMSGERR_ATTR_MISS_NEST], &e->miss_nest) == 0)
		e->has_miss_nest = true;
	a = tb[NLMSGERR_ATTR_COOKIE];
	if (a && nla_len(a) > 0 && (size_t)nla_len(a) <= sizeof(e->cookie)) {
		e->cookie_len = (size_t)nla_len(a);
		memcpy(e->cookie, nla_data(a), e->cookie_len);
	}
	return 0;
}

/**
 * vss__parse_nlerr() - decode an NLMSG_ERROR message (error or ACK)
 * @nlh: the message; nlh->nlmsg_len must already be checked against the
 *	receive buffer
 * @e: filled in
 *
 * Return: 0, or -EBADMSG if the message is malformed.
 */
int vss__parse_nlerr(const struct nlmsghdr *nlh, struct vss_nlerr *e)
{
	const struct nlmsgerr *ne;
	size_t off;

	memset(e, 0, sizeof(*e));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ne))
		return -EBADMSG;
	ne = NLMSG_DATA(nlh);
	/* a positive "error" is not something the kernel sends */
	if (ne->error > 0 || ne->error < -4095)
		return -EBADMSG;
	e->error = ne->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (nlerr_tlv_offset(nlh, &off))
		return -EBADMSG;
	return parse_ack_tlvs((const char *)nlh + off, nlh->nlmsg_len - off, e);
}

/**
 * vss__parse_done() - decode the NLMSG_DONE that ends a dump
 * @nlh: the message (length checked)
 * @e: filled in; e->error is the dump's final status
 *
 * Return: 0, or -EBADMSG if the message is malformed.
 */
int vss__parse_done(const struct nlmsghdr *nlh, struct vss_nlerr *e)
{
	int32_t status;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(status));

	memset(e, 0, sizeof(*e));
	/* very old kernels sent an empty DONE: treat it as success */
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(status))
		return 0;
	memcpy(&status, NLMSG_DATA(nlh), sizeof(status));
	if (status > 0 || status < -4095)
		return -EBADMSG;
	e->error = status;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off > nlh->nlmsg_len)
		return 0;
	return parse_ack_tlvs((const char *)nlh + off, nlh->nlmsg_len - off, e);
}

/**
 * vss__walk() - feed one received datagram to a request's reply stream
 * @w: the stream state (seq, family and callback set by the caller)
 * @buf: datagram
 * @len: its length
 *
 * Messages for other sequence numbers (stale replies of an interrupted
 * request) are skipped.  Once the ACK, error or DONE arrives @w->done is set
 * and @w->nlerr holds the kernel's verdict.
 *
 * Return: 0, or -EBADMSG if the datagram is malformed (the caller must not
 * trust the socket any more).
 */
int vss__walk(struct vss_walk *w, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	size_t left = len;

	while (!w->done && left >= NLMSG_HDRLEN) {
		size_t mlen = nlh->nlmsg_len;
		int rc = 0;

		if (mlen < NLMSG_HDRLEN || mlen > left)
			return -EBADMSG;
		if (nlh->nlmsg_seq != w->seq) {
			if (w->other && nlh->nlmsg_type == w->family) {
				rc = w->other(nlh, w->other_arg);
				if (rc)
					return rc;
			}
			goto next;
		}

		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_ERROR:
			rc = vss__parse_nlerr(nlh, &w->nlerr);
			w->done = true;
			break;
		case NLMSG_DONE:
			rc = vss__parse_done(nlh, &w->nlerr);
			w->done = true;
			break;
		case NLMSG_OVERRUN:
			return -EBADMSG;
		default:
			if (nlh->nlmsg_type != w->family)
				break;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				w->intr = true;
			if (w->cb && !w->cb_error)
				w->cb_error = w->cb(nlh, w->arg);
			break;
		}
		if (rc)
			return rc;
next:
		/* the last message of a datagram may lack its padding */
		mlen = NLMSG_ALIGN(mlen);
		if (mlen >= left)
			break;
		left -= mlen;
		nlh = (const struct nlmsghdr *)((const char *)nlh + mlen);
	}
	return 0;
}

/**
 * vss__genl_parse() - check a generic netlink message and index its attributes
 * @nlh: message (length checked)
 * @family: expected family id (message type)
 * @tb: array of @maxtype + 1 entries, filled in (last duplicate wins)
 * @maxtype: highest attribute type of interest
 * @cmd: if not NULL, receives the command
 *
 * Return: 0 or -EBADMSG.
 */
int vss__genl_parse(const struct nlmsghdr *nlh, int family, struct nlattr **tb,
		    int maxtype, uint8_t *cmd)
{
	const struct genlmsghdr *g;

	if (nlh->nlmsg_type != family ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	g = NLMSG_DATA(nlh);
	if (cmd)
		*cmd = g->cmd;
	if (nla_parse(tb, maxtype,
		      (struct nlattr *)((const char *)g + GENL_HDRLEN),
		      (int)(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN), NULL))
		return -EBADMSG;
	return 0;
}

int vss__attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || nla_len(a) != sizeof(*v))
		return -EBADMSG;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

int vss__attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) != sizeof(*v))
		return -EBADMSG;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

int vss__attr_u64(const struct nlattr *a, uint64_t *v)
{
	if (!a)
		return -EBADMSG;
	/* the kernel may send a "uint" as 4 bytes when the value fits */
	if (nla_len(a) == sizeof(uint32_t)) {
		uint32_t v32;

		memcpy(&v32, nla_data(a), sizeof(v32));
		*v = v32;
		return 0;
	}
	if (nla_len(a) != sizeof(*v))
		return -EBADMSG;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

/* A NUL-terminated string that fits @buf (with its NUL). */
int vss__attr_str(const struct nlattr *a, char *buf, size_t size)
{
	size_t n;
	const char *s;

	if (!a || nla_len(a) <= 0 || size == 0)
		return -EBADMSG;
	s = nla_data(a);
	n = strnlen(s, (size_t)nla_len(a));
	if (n == (size_t)nla_len(a) || n >= size)
		return -EBADMSG;
	memcpy(buf, s, n + 1);
	return 0;
}

int vss__attr_id(const struct nlattr *a, vss_id_t *id)
{
	if (!a || nla_len(a) != (int)sizeof(id->b))
		return -EBADMSG;
	memcpy(id->b, nla_data(a), sizeof(id->b));
	return 0;
}
