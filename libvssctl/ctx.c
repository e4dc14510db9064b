// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - the library context: netlink sockets, logging, error records
 * and the request/reply engine every call goes through.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>

#include <netlink/genl/ctrl.h>

#include "internal.h"

/* ---- logging ---- */

static void log_stderr(void *data, int priority, const char *file, int line,
		       const char *fn, const char *fmt, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	fprintf(stderr, "libvssctl: %s: ", fn);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

void vss__log(const struct vss_ctx *ctx, int prio, const char *file, int line,
	      const char *fn, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->log_fn)
		return;
	va_start(ap, fmt);
	ctx->log_fn(ctx->log_data, prio, file, line, fn, fmt, ap);
	va_end(ap);
}

static int log_priority_from_string(const char *s)
{
	static const struct {
		const char *name;
		int prio;
	} names[] = {
		{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (end != s && *end == '\0' && v >= 0 && v <= LOG_DEBUG)
		return (int)v;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].prio;
	return LOG_ERR;
}

VSS_EXPORT void vss_ctx_set_log_fn(struct vss_ctx *ctx, vss_log_fn fn,
				   void *data)
{
	if (!ctx)
		return;
	ctx->log_fn = fn;
	ctx->log_data = data;
}

VSS_EXPORT void vss_ctx_set_log_priority(struct vss_ctx *ctx, int priority)
{
	if (!ctx)
		return;
	ctx->log_priority = priority;
}

VSS_EXPORT int vss_ctx_get_log_priority(const struct vss_ctx *ctx)
{
	if (!ctx)
		return vss__null_arg(NULL, __func__, "ctx");
	return ctx->log_priority;
}

/* ---- per-thread error record ---- */

static __thread struct {
	const struct vss_ctx *ctx;
	int error;
	uint32_t hresult;
	char msg[320];
} last_error;

void vss__clear_error(const struct vss_ctx *ctx)
{
	last_error.ctx = ctx;
	last_error.error = 0;
	last_error.hresult = 0;
	last_error.msg[0] = '\0';
}

/*
 * Records a failure and returns @error, so that "return vss__set_error()"
 * works.  An allocation failure without a more precise code is
 * E_OUTOFMEMORY, as in VSS.
 */
int vss__set_error(const struct vss_ctx *ctx, int error, uint32_t hresult,
		   const char *fmt, ...)
{
	if (error == -ENOMEM && !hresult)
		hresult = VSS_E_OUTOFMEMORY;
	last_error.ctx = ctx;
	last_error.error = error;
	last_error.hresult = hresult;
	last_error.msg[0] = '\0';
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(last_error.msg, sizeof(last_error.msg), fmt, ap);
		va_end(ap);
	}
	return error;
}

int vss__null_arg(const struct vss_ctx *ctx, const char *fn, const char *arg)
{
	return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
			      "%s: argument \"%s\" is NULL", fn, arg);
}

VSS_EXPORT const char *vss_ctx_last_error_msg(const struct vss_ctx *ctx)
{
	if (last_error.ctx != ctx || !last_error.error || !last_error.msg[0])
		return NULL;
	return last_error.msg;
}

VSS_EXPORT uint32_t vss_ctx_last_hresult(const struct vss_ctx *ctx)
{
	if (last_error.ctx != ctx)
		return 0;
	return last_error.hresult;
}

/* ---- sockets ---- */

static int nl_to_errno(int nlerr)
{
	/* libnl returns -NLE_*; keep the common ones meaningful */
	switch (-nlerr) {
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_INTR:		return -EINTR;
	case NLE_BUSY:		return -EBUSY;
	case NLE_EXIST:		return -EEXIST;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_PROTO_MISMATCH:
	case NLE_AF_NOSUPPORT:	return -EPROTONOSUPPORT;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_MSG_TRUNC:	return -EMSGSIZE;
	case NLE_BAD_SOCK:	return -EBADF;
	default:		return -EIO;
	}
}

/**
 * vss__sock_open() - a connected generic netlink socket set up for requests
 * @ctx: context (for logging)
 * @out: the socket
 *
 * Extended ACKs are requested so that the kernel's reason for refusing a
 * request reaches the caller; ACKs are capped (the request is not echoed).
 *
 * Return: 0 or -errno.
 */
int vss__sock_open(struct vss_ctx *ctx, struct nl_sock **out)
{
	struct nl_sock *sk;
	int one = 1, fd, rc;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	rc = genl_connect(sk);
	if (rc < 0) {
		rc = nl_to_errno(rc);
		goto out_free;
	}
	fd = nl_socket_get_fd(sk);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)))
		dbg(ctx, "NETLINK_EXT_ACK: %m");
	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		dbg(ctx, "NETLINK_CAP_ACK: %m");
	/* replies to a request are checked by sequence number in vss__walk() */
	nl_socket_disable_seq_check(sk);
	*out = sk;
	return 0;

out_free:
	nl_socket_free(sk);
	return rc;
}

void vss__sock_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

/**
 * vss__recv() - receive one datagram from the kernel
 * @sk: socket
 * @buf: receives a malloc'ed buffer, freed by the caller
 * @len: its length
 * @timeout_ms: -1 blocks, 0 polls, else the longest wait
 *
 * Return: 0, -ETIMEDOUT, -ENOBUFS (messages were lost), or another -errno.
 */
int vss__recv(struct nl_sock *sk, void **buf, size_t *len, int timeout_ms)
{
	int fd = nl_socket_get_fd(sk);
	struct sockaddr_nl from;
	socklen_t fromlen;
	ssize_t n;
	void *p;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r;

		/*
		 * Size the datagram first (dumps can exceed a page).  Tried
		 * before poll(): an ACK is queued before sendmsg() returns and
		 * a writer is woken for an event already queued, so poll()
		 * would only cost a system call more (writers' round trips).
		 */
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (timeout_ms == 0)
				return -ETIMEDOUT;
			r = poll(&pfd, 1, timeout_ms);
			if (r < 0 && errno != EINTR)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
			continue;
		}
		p = malloc(n > 0 ? (size_t)n : 1);
		if (!p)
			return -ENOMEM;
		fromlen = sizeof(from);
		n = recvfrom(fd, p, n > 0 ? (size_t)n : 1, MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			int e = errno;

			free(p);
			if (e == EINTR || e == EAGAIN)
				continue;
			return -e;
		}
		/* only the kernel may talk to us */
		if (fromlen != sizeof(from) || from.nl_pid != 0) {
			free(p);
			continue;
		}
		*buf = p;
		*len = (size_t)n;
		return 0;
	}
}

/**
 * vss__req_new() - start a request of the vss family
 * @ctx: context
 * @cmd: VSS_CMD_*
 * @flags: extra nlmsg flags (NLM_F_DUMP)
 *
 * Return: the request; an allocation failure is recorded in it (-ENOMEM) and
 * reported when it is sent.
 */
struct vss_req vss__req_new(const struct vss_ctx *ctx, uint8_t cmd, int flags)
{
	struct vss_req r = { .msg = nlmsg_alloc() };

	if (r.msg &&
	    !genlmsg_put(r.msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctx->family, 0,
			 flags | NLM_F_REQUEST | NLM_F_ACK, cmd,
			 VSS_FAMILY_VERSION)) {
		nlmsg_free(r.msg);
		r.msg = NULL;
	}
	if (!r.msg)
		r.error = -ENOMEM;
	return r;
}

/**
 * vss__req_free() - drop a request that will not be sent
 * @r: request from vss__req_new()
 */
void vss__req_free(struct vss_req *r)
{
	nlmsg_free(r->msg);	/* NULL is fine */
	r->msg = NULL;
}

/* Records the first attribute that did not fit; later puts are no-ops. */
static void put_result(struct vss_req *r, int rc)
{
	if (rc && !r->error)
		r->error = -EMSGSIZE;
}

void vss__put_str(struct vss_req *r, int type, const char *s)
{
	if (!r->error)
		put_result(r, nla_put_string(r->msg, type, s));
}

void vss__put_u32(struct vss_req *r, int type, uint32_t v)
{
	if (!r->error)
		put_result(r, nla_put_u32(r->msg, type, v));
}

void vss__put_u64(struct vss_req *r, int type, uint64_t v)
{
	if (!r->error)
		put_result(r, nla_put_u64(r->msg, type, v));
}

void vss__put_flag(struct vss_req *r, int type)
{
	if (!r->error)
		put_result(r, nla_put_flag(r->msg, type));
}

void vss__put_id(struct vss_req *r, int type, const vss_id_t *id)
{
	if (!r->error)
		put_result(r, nla_put(r->msg, type, sizeof(id->b), id->b));
}

/*
 * The attribute of the request at the offset the kernel pointed to, as a
 * name; NULL if the offset does not land on an attribute header.
 */
static const char *bad_attr_name(const struct vss_nlerr *e, uint8_t cmd,
				 const void *req, size_t req_len)
{
	const struct nlattr *a;

	if (!e->has_offs || !req ||
	    e->offs < NLMSG_HDRLEN + GENL_HDRLEN ||
	    (size_t)e->offs + NLA_HDRLEN > req_len)
		return NULL;
	a = (const struct nlattr *)((const char *)req + e->offs);
	return vss__attr_name(cmd, (uint32_t)nla_type(a));
}

/* Turns the kernel's verdict into the per-thread error record. */
static int request_result(const struct vss_ctx *ctx, const struct vss_nlerr *e,
			  uint8_t cmd, const void *req, size_t req_len)
{
	const char *attr = bad_attr_name(e, cmd, req, req_len);
	uint32_t hr = 0;

	if (!e->error)
		return 0;
	if (e->cookie_len == sizeof(uint32_t))
		memcpy(&hr, e->cookie, sizeof(hr));
	if (e->msg[0] && attr)
		vss__set_error(ctx, e->error, hr, "%s (attribute \"%s\")",
			       e->msg, attr);
	else if (e->msg[0])
		vss__set_error(ctx, e->error, hr, "%s", e->msg);
	else if (e->has_miss)
		vss__set_error(ctx, e->error, hr,
			       "missing attribute \"%s\"",
			       vss__attr_name(cmd, e->miss_type));
	else if (attr)
		vss__set_error(ctx, e->error, hr, "%s (attribute \"%s\")",
			       strerror(-e->error), attr);
	else
		vss__set_error(ctx, e->error, hr, "%s", strerror(-e->error));
	return e->error;
}

/*
 * request_on() - vss__request_on(), with @lock (if not NULL) held from the
 * send to the last reply.  The log function is called only after @lock is
 * released: it is the caller's code, and may call back into the library.
 */
static int request_on(struct vss_ctx *ctx, struct nl_sock *sk,
		      struct vss_req *r, vss_msg_cb cb, void *arg,
		      vss_msg_cb other, void *other_arg,
		      pthread_mutex_t *lock)
{
	struct vss_walk w = { .family = ctx->family, .cb = cb, .arg = arg,
			      .other = other, .other_arg = other_arg };
	bool malformed = false, kernel_error = false;
	struct nl_msg *msg = r->msg;
	struct nlmsghdr *nlh;
	uint8_t cmd;
	void *req_copy;
	size_t req_len;
	int rc;

	r->msg = NULL;
	if (r->error) {
		nlmsg_free(msg);
		if (r->error == -EMSGSIZE)
			return vss__set_error(ctx, r->error, 0,
					      "request too large");
		return vss__set_error(ctx, r->error, 0, NULL);
	}
	nlh = nlmsg_hdr(msg);
	cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	vss__clear_error(ctx);
	if (lock)
		pthread_mutex_lock(lock);
	nl_complete_msg(sk, msg);
	w.seq = nlh->nlmsg_seq;
	/* kept to name the attribute an extended ACK points at */
	req_len = nlh->nlmsg_len;
	req_copy = malloc(req_len);
	if (req_copy)
		memcpy(req_copy, nlh, req_len);
	rc = nl_send(sk, msg);
	nlmsg_free(msg);
	if (rc < 0) {
		rc = vss__set_error(ctx, nl_to_errno(rc), 0,
				    "cannot send request: %s", nl_geterror(rc));
		goto out;
	}

	while (!w.done) {
		void *buf;
		size_t len;

		rc = vss__recv(sk, &buf, &len, -1);
		if (rc == -ENOBUFS) {
			/* a dump overran the socket: its replies are lost */
			rc = vss__set_error(ctx, rc, 0,
					    "reply lost: socket buffer overrun");
			goto out;
		}
		if (rc) {
			rc = vss__set_error(ctx, rc, 0, "cannot receive reply: %s",
					    strerror(-rc));
			goto out;
		}
		rc = vss__walk(&w, buf, len);
		free(buf);
		if (rc)
			goto out_malformed;
	}
	rc = request_result(ctx, &w.nlerr, cmd, req_copy, req_len);
	if (rc) {
		kernel_error = true;
		goto out;
	}
	rc = w.cb_error;
	if (rc == -EBADMSG)
		goto out_malformed;
	if (rc)
		rc = vss__set_error(ctx, rc, 0, "%s", strerror(-rc));
	else if (w.intr)
		rc = vss__set_error(ctx, -EAGAIN, 0,
				    "objects changed during the dump");
out:
	if (lock)
		pthread_mutex_unlock(lock);
	free(req_copy);
	/* the log function runs unlocked (it may call the library) */
	if (malformed)
		err(ctx, "malformed reply from the kernel");
	else if (kernel_error)
		dbg(ctx, "command %u failed: %s (%d)", cmd,
		    last_error.msg, rc);
	return rc;

out_malformed:
	malformed = true;
	rc = vss__set_error(ctx, -EBADMSG, 0, "malformed reply from the kernel");
	goto out;
}

/**
 * vss__request_on() - send a request and process its replies on a socket
 * @ctx: context
 * @sk: socket to use (the caller serializes its use)
 * @r: request from vss__req_new(); its message is consumed
 * @cb: called for each reply message (may be NULL)
 * @arg: passed to @cb
 *
 * A request that could not be built is not sent: its failure (-ENOMEM, or
 * -EMSGSIZE "request too large") is recorded and returned here.
 *
 * Return: 0, the kernel's -errno (with its extack message recorded), the
 * first error of @cb, or a local -errno.
 */
int vss__request_on(struct vss_ctx *ctx, struct nl_sock *sk, struct vss_req *r,
		    vss_msg_cb cb, void *arg)
{
	return request_on(ctx, sk, r, cb, arg, NULL, NULL, NULL);
}

/**
 * vss__request_on_ev() - vss__request_on() that keeps unrelated messages
 * @ctx: context
 * @sk: socket (the caller serializes its use)
 * @r: request; its message is consumed
 * @cb: reply handler or NULL
 * @arg: passed to @cb
 * @other: called with each message of the family that is not a reply to
 *	@r (a writer's events, which share the writer's socket); its error
 *	fails the request as malformed
 * @other_arg: passed to @other
 *
 * Return: as vss__request_on().
 */
int vss__request_on_ev(struct vss_ctx *ctx, struct nl_sock *sk,
		       struct vss_req *r, vss_msg_cb cb, void *arg,
		       vss_msg_cb other, void *other_arg)
{
	return request_on(ctx, sk, r, cb, arg, other, other_arg, NULL);
}

/**
 * vss__request() - vss__request_on() on the context's request socket
 * @ctx: context
 * @r: request; its message is consumed
 * @cb: reply handler or NULL
 * @arg: passed to @cb
 *
 * Return: as vss__request_on().
 */
int vss__request(struct vss_ctx *ctx, struct vss_req *r, vss_msg_cb cb,
		 void *arg)
{
	return request_on(ctx, ctx->req, r, cb, arg, NULL, NULL, &ctx->lock);
}

/* ---- context ---- */

VSS_EXPORT int vss_ctx_new(struct vss_ctx **out)
{
	struct vss_ctx *ctx;
	const char *env;
	int rc;

	if (!out)
		return vss__null_arg(NULL, __func__, "ctx");
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return vss__set_error(NULL, -ENOMEM, 0, "out of memory");
	ctx->refcount = 1;
	ctx->log_fn = log_stderr;
	ctx->log_priority = LOG_ERR;
	env = getenv("VSS_LOG");
	if (env)
		ctx->log_priority = log_priority_from_string(env);
	pthread_mutex_init(&ctx->lock, NULL);

	rc = vss__sock_open(ctx, &ctx->req);
	if (rc) {
		vss__set_error(NULL, rc, 0, "cannot open a netlink socket: %s",
			       strerror(-rc));
		goto out_free_ctx;
	}
	rc = genl_ctrl_resolve(ctx->req, VSS_FAMILY_NAME);
	if (rc < 0) {
		rc = -ENOENT;
		vss__set_error(NULL, rc, 0,
			       "generic netlink family \"%s\" not found (is the vss module loaded?)",
			       VSS_FAMILY_NAME);
		goto out_close_req;
	}
	ctx->family = rc;
	rc = genl_ctrl_resolve_grp(ctx->req, VSS_FAMILY_NAME,
				   VSS_MCGRP_EVENTS);
	/* without the group only events are unavailable */
	ctx->mcgrp_events = rc < 0 ? -1 : rc;
	dbg(ctx, "family %d, events group %d", ctx->family, ctx->mcgrp_events);
	*out = ctx;
	return 0;

out_close_req:
	vss__sock_close(ctx->req);
out_free_ctx:
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
	return rc;
}

VSS_EXPORT struct vss_ctx *vss_ctx_ref(struct vss_ctx *ctx)
{
	if (ctx)
		__atomic_add_fetch(&ctx->refcount, 1, __ATOMIC_RELAXED);
	return ctx;
}

VSS_EXPORT struct vss_ctx *vss_ctx_unref(struct vss_ctx *ctx)
{
	if (!ctx || __atomic_sub_fetch(&ctx->refcount, 1, __ATOMIC_ACQ_REL))
		return NULL;
	vss__sock_close(ctx->ev);
	vss__sock_close(ctx->req);
	pthread_mutex_destroy(&ctx->lock);
	if (last_error.ctx == ctx)
		last_error.ctx = NULL;
	free(ctx);
	return NULL;
}

/* ---- small helpers ---- */

int vss__array_push(void **array, size_t *nr, size_t *alloc, size_t size,
		    const void *elem)
{
	if (*nr == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 8;
		void *p = realloc(*array, n * size);

		if (!p)
			return -ENOMEM;
		*array = p;
		*alloc = n;
	}
	memcpy((char *)*array + *nr * size, elem, size);
	(*nr)++;
	return 0;
}
