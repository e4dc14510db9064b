// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - the events multicast group: a second socket whose fd the
 * caller polls, and a non-blocking dispatcher.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

VSS_EXPORT int vss_events_subscribe(struct vss_ctx *ctx)
{
	struct nl_sock *sk;
	int rc;

	VSS_NEED(NULL, ctx);
	vss__clear_error(ctx);
	if (ctx->ev)
		return 0;
	if (ctx->mcgrp_events < 0)
		return vss__set_error(ctx, -EOPNOTSUPP, 0,
				      "the kernel has no \"%s\" multicast group",
				      VSS_MCGRP_EVENTS);
	rc = vss__sock_open(ctx, &sk);
	if (rc)
		return vss__set_error(ctx, rc, 0, "cannot open a netlink socket");
	rc = nl_socket_add_membership(sk, ctx->mcgrp_events);
	if (rc < 0) {
		vss__sock_close(sk);
		/* joining a CAP_SYS_ADMIN group without it fails with EPERM */
		rc = rc == -NLE_PERM || rc == -NLE_NOACCESS ? -EPERM : -EIO;
		return vss__set_error(ctx, rc, 0,
				      "cannot join the \"%s\" multicast group",
				      VSS_MCGRP_EVENTS);
	}
	/* events are read in bursts: give the socket some room */
	nl_socket_set_buffer_size(sk, 1 << 20, 0);
	ctx->ev = sk;
	return 0;
}

VSS_EXPORT int vss_events_fd(const struct vss_ctx *ctx)
{
	VSS_NEED(NULL, ctx);
	if (!ctx->ev)
		return -ENOTCONN;
	return nl_socket_get_fd(ctx->ev);
}

/*
 * The event being handed to a callback by this thread, so that
 * vss_event_set_break() can tell it from anything else (a copy, a stale
 * pointer) without reading past a struct vss_event.
 */
static __thread const struct vss__event *dispatching;

VSS_EXPORT int vss_event_set_break(const struct vss_event *event,
				   struct vss_set_break_event *out)
{
	const struct vss__event *xev = dispatching;

	if (!xev || !event || !out || event != &xev->pub ||
	    !xev->has_set_break)
		return -EINVAL;
	*out = xev->set_break;
	return 0;
}

VSS_EXPORT VSS_SYMVER("vss_event_resync@@LIBVSSCTL_1.7")
int vss__event_resync(const struct vss_event *event,
		      struct vss_resync_info *out)
{
	const struct vss__event *xev = dispatching;

	if (!xev || !event || !out || event != &xev->pub || !xev->has_resync)
		return -EINVAL;
	*out = xev->resync;
	return 0;
}

/* Calls @fn with @xev, which vss_event_set_break() may look into meanwhile. */
static int call_fn(vss_event_fn fn, void *arg, const struct vss__event *xev)
{
	const struct vss__event *outer = dispatching;	/* nested dispatch */
	int rc;

	dispatching = xev;
	rc = fn(arg, &xev->pub);
	dispatching = outer;
	return rc;
}

/* Hands every notification of one datagram to @fn. */
static int dispatch_buf(struct vss_ctx *ctx, const void *buf, size_t len,
			vss_event_fn fn, void *arg, int *count)
{
	const struct nlmsghdr *nlh = buf;
	size_t left = len;

	while (left >= NLMSG_HDRLEN) {
		size_t mlen = nlh->nlmsg_len;
		struct vss__event ev;
		int rc;

		if (mlen < NLMSG_HDRLEN || mlen > left)
			return -EBADMSG;
		if (nlh->nlmsg_type == ctx->family) {
			rc = vss__parse_event_ext(nlh, ctx->family, &ev);
			if (rc == -EBADMSG) {
				err(ctx, "malformed event from the kernel");
				return rc;
			}
			if (rc == 0) {
				(*count)++;
				rc = call_fn(fn, arg, &ev);
				if (rc)
					return rc;
			}
		}
		mlen = NLMSG_ALIGN(mlen);
		if (mlen >= left)
			break;
		left -= mlen;
		nlh = (const struct nlmsghdr *)((const char *)nlh + mlen);
	}
	return 0;
}

/**
 * vss__events_feed() - dispatch one received datagram (for tests and fuzzing)
 * @ctx: context (only the family id and logging are used)
 * @buf: datagram
 * @len: its length
 * @fn: event handler
 * @arg: passed to @fn
 *
 * Return: the number of events handled, the first non-zero value of @fn, or
 * -EBADMSG.
 */
int vss__events_feed(struct vss_ctx *ctx, const void *buf, size_t len,
		     vss_event_fn fn, void *arg)
{
	int count = 0;
	int rc = dispatch_buf(ctx, buf, len, fn, arg, &count);

	return rc ? rc : count;
}

VSS_EXPORT int vss_events_dispatch(struct vss_ctx *ctx, vss_event_fn fn,
				   void *arg)
{
	int count = 0;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, fn);
	vss__clear_error(ctx);
	if (!ctx->ev)
		return vss__set_error(ctx, -ENOTCONN, 0,
				      "not subscribed to events");
	for (;;) {
		void *buf;
		size_t len;
		int rc;

		rc = vss__recv(ctx->ev, &buf, &len, 0);
		if (rc == -ETIMEDOUT)
			return count;
		if (rc == -ENOBUFS) {
			struct vss_event ev = { .type = VSS_EVENT_OVERRUN };

			count++;
			rc = fn(arg, &ev);
			if (rc)
				return rc;
			continue;
		}
		if (rc)
			return vss__set_error(ctx, rc, 0,
					      "cannot receive events: %s",
					      strerror(-rc));
		rc = dispatch_buf(ctx, buf, len, fn, arg, &count);
		free(buf);
		if (rc == -EBADMSG)
			return vss__set_error(ctx, rc, 0,
					      "malformed event from the kernel");
		if (rc)
			return rc;
	}
}
