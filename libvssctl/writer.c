// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - the writer side: registration, events, replies, the callback
 * loop; and the writer queries (writer list, a session's statuses).
 *
 * A writer object owns a netlink socket: the kernel binds the registration
 * to it and sends the writer's events there (unicast, sequence number 0),
 * and only replies sent from it are accepted.  Events that arrive while the
 * library waits for the acknowledgement of a reply are queued in the object
 * (vss__request_on_ev()), so none is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DUMP_RETRIES 5
#define RESTORE_KEPT 16		/* PostRestore outcomes a writer keeps */

struct vss_writer {
	struct vss_ctx *ctx;		/* reference */
	struct nl_sock *sk;		/* owns the registration */
	vss_id_t instance_id;
	void *metadata;			/* sent with Identify replies */
	size_t metadata_len;
	struct vss_writer_event_info *queue;	/* received, not yet handed out */
	size_t q_head, q_nr, q_alloc;
	int stop_pipe[2];		/* vss_writer_stop() -> vss_writer_run() */
	struct {			/* the last PostRestore outcomes */
		uint32_t seq;
		struct vss__restore_outcome o;
	} restore[RESTORE_KEPT];
	unsigned int restore_next;	/* slot of the next one */
};

static const char *const state_names[] = {
	[VSS_WRITER_STATE_UNKNOWN] = "unknown",
	[VSS_WRITER_STATE_STABLE] = "stable",
	[VSS_WRITER_STATE_WAITING_FOR_FREEZE] = "waiting-for-freeze",
	[VSS_WRITER_STATE_WAITING_FOR_THAW] = "waiting-for-thaw",
	[VSS_WRITER_STATE_WAITING_FOR_POST_SNAPSHOT] = "waiting-for-post-snapshot",
	[VSS_WRITER_STATE_WAITING_FOR_BACKUP_COMPLETE] = "waiting-for-backup-complete",
	[VSS_WRITER_STATE_FAILED_AT_IDENTIFY] = "failed-at-identify",
	[VSS_WRITER_STATE_FAILED_AT_PREPARE_BACKUP] = "failed-at-prepare-backup",
	[VSS_WRITER_STATE_FAILED_AT_PREPARE_SNAPSHOT] = "failed-at-prepare-snapshot",
	[VSS_WRITER_STATE_FAILED_AT_FREEZE] = "failed-at-freeze",
	[VSS_WRITER_STATE_FAILED_AT_THAW] = "failed-at-thaw",
	[VSS_WRITER_STATE_FAILED_AT_POST_SNAPSHOT] = "failed-at-post-snapshot",
	[VSS_WRITER_STATE_FAILED_AT_BACKUP_COMPLETE] = "failed-at-backup-complete",
	[VSS_WRITER_STATE_FAILED_AT_PRE_RESTORE] = "failed-at-pre-restore",
	[VSS_WRITER_STATE_FAILED_AT_POST_RESTORE] = "failed-at-post-restore",
	[VSS_WRITER_STATE_FAILED_AT_BACKUPSHUTDOWN] = "failed-at-backupshutdown",
};

static const char *const event_names[] = {
	[VSS_WRITER_EVENT_IDENTIFY] = "identify",
	[VSS_WRITER_EVENT_PREPARE_BACKUP] = "prepare-backup",
	[VSS_WRITER_EVENT_PREPARE_SNAPSHOT] = "prepare-snapshot",
	[VSS_WRITER_EVENT_FREEZE] = "freeze",
	[VSS_WRITER_EVENT_THAW] = "thaw",
	[VSS_WRITER_EVENT_POST_SNAPSHOT] = "post-snapshot",
	[VSS_WRITER_EVENT_ABORT] = "abort",
	[VSS_WRITER_EVENT_BACKUP_COMPLETE] = "backup-complete",
	[VSS_WRITER_EVENT_BACKUP_SHUTDOWN] = "backup-shutdown",
	[VSS_WRITER_EVENT_PRE_RESTORE] = "pre-restore",
	[VSS_WRITER_EVENT_POST_RESTORE] = "post-restore",
};

VSS_EXPORT const char *vss_writer_state_name(uint32_t state)
{
	if (state < ARRAY_SIZE(state_names) && state_names[state])
		return state_names[state];
	return "unknown";
}

VSS_EXPORT const char *vss_writer_event_name(uint32_t event)
{
	if (event < ARRAY_SIZE(event_names) && event_names[event])
		return event_names[event];
	return "unknown";
}

VSS_EXPORT uint32_t vss_writer_event_from_name(const char *name)
{
	if (!name)
		return 0;
	for (uint32_t i = 1; i < ARRAY_SIZE(event_names); i++)
		if (event_names[i] && !strcmp(event_names[i], name))
			return i;
	return 0;
}

/* ---- queries ---- */

struct status_list {
	struct vss_writer_status *a;
	size_t nr, alloc;
};

static int status_list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct status_list *l = arg;
	struct vss_writer_status st;
	int rc;

	rc = vss__parse_writer(nlh, nlh->nlmsg_type, &st, NULL, NULL);
	if (rc)
		return rc;
	return vss__array_push((void **)&l->a, &l->nr, &l->alloc, sizeof(st),
			       &st);
}

/*
 * Dump writer-get (a session's statuses with @sid, else the registered
 * writers) on @sk, or on the context's socket when @sk is NULL.
 */
int vss__writer_dump(struct vss_ctx *ctx, struct nl_sock *sk,
		     const vss_id_t *sid, struct vss_writer_status **out,
		     size_t *nr)
{
	int rc = -EAGAIN;

	for (int i = 0; i < DUMP_RETRIES && rc == -EAGAIN; i++) {
		struct status_list l = { 0 };
		struct vss_req req = vss__req_new(ctx, VSS_CMD_WRITER_GET,
						  NLM_F_DUMP);

		if (sid)
			vss__put_id(&req, VSS_A_WRITER_SESSION_ID, sid);
		rc = sk ? vss__request_on(ctx, sk, &req, status_list_cb, &l) :
			  vss__request(ctx, &req, status_list_cb, &l);
		if (rc) {
			free(l.a);
			continue;
		}
		*out = l.a;
		*nr = l.nr;
	}
	return rc;
}

VSS_EXPORT int vss_writer_list(struct vss_ctx *ctx,
			       struct vss_writer_status **writers, size_t *nr)
{
	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, writers);
	VSS_NEED(ctx, nr);
	vss__clear_error(ctx);
	return vss__writer_dump(ctx, NULL, NULL, writers, nr);
}

VSS_EXPORT int vss_session_writer_status(struct vss_ctx *ctx,
					 const vss_id_t *session_id,
					 struct vss_writer_status **writers,
					 size_t *nr)
{
	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, session_id);
	VSS_NEED(ctx, writers);
	VSS_NEED(ctx, nr);
	vss__clear_error(ctx);
	return vss__writer_dump(ctx, NULL, session_id, writers, nr);
}

/* ---- the writer object ---- */

/* Queue every writer event of a received message (vss__request_on_ev()). */
static int queue_event_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct vss_writer *w = arg;
	struct vss_writer_event_info ev;
	struct vss__restore_outcome ro;
	int rc;

	rc = vss__parse_writer_event(nlh, nlh->nlmsg_type, &ev, &ro);
	if (rc == -ENOENT)
		return 0;	/* another message of the family */
	if (rc)
		return rc;
	if (ev.type == VSS_WRITER_EVENT_POST_RESTORE && ro.has) {
		w->restore[w->restore_next].seq = ev.seq;
		w->restore[w->restore_next].o = ro;
		w->restore_next = (w->restore_next + 1) % RESTORE_KEPT;
	}
	if (w->q_head && w->q_head == w->q_nr) {
		w->q_head = 0;		/* empty: reuse the array */
		w->q_nr = 0;
	}
	return vss__array_push((void **)&w->queue, &w->q_nr, &w->q_alloc,
			       sizeof(ev), &ev);
}

struct register_reply {
	struct vss_writer_status st;
	bool seen;
};

static int register_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct register_reply *r = arg;
	int rc = vss__parse_writer(nlh, nlh->nlmsg_type, &r->st, NULL, NULL);

	if (!rc)
		r->seen = true;
	return rc;
}

VSS_EXPORT int vss_writer_new(struct vss_ctx *ctx,
			      const struct vss_writer_params *p,
			      struct vss_writer **out)
{
	struct register_reply *r;
	struct vss_writer *w;
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, p);
	VSS_NEED(ctx, out);
	VSS_NEED(ctx, p->name);
	VSS_NEED(ctx, p->luns);
	vss__clear_error(ctx);
	if (!p->name[0] || strlen(p->name) > VSS_WRITER_NAME_MAX)
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "invalid writer name (1 to %d characters)",
				      VSS_WRITER_NAME_MAX);
	if (!p->nr_luns || p->nr_luns > VSS_WRITER_MAX_LUNS)
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "a writer names 1 to %d LUNs",
				      VSS_WRITER_MAX_LUNS);
	for (size_t i = 0; i < p->nr_luns; i++)
		if (!p->luns[i] || !p->luns[i][0] ||
		    strlen(p->luns[i]) > VSS_LUN_NAME_MAX)
			return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
					      "invalid LUN name");

	w = calloc(1, sizeof(*w));
	r = calloc(1, sizeof(*r));
	if (!w || !r) {
		rc = vss__set_error(ctx, -ENOMEM, 0, NULL);
		goto out_free;
	}
	w->stop_pipe[0] = w->stop_pipe[1] = -1;
	if (pipe2(w->stop_pipe, O_CLOEXEC | O_NONBLOCK)) {
		rc = vss__set_error(ctx, -errno, 0, "cannot make a pipe");
		goto out_free;
	}
	rc = vss__sock_open(ctx, &w->sk);
	if (rc) {
		vss__set_error(ctx, rc, 0, "cannot open a netlink socket");
		goto out_pipe;
	}
	req = vss__req_new(ctx, VSS_CMD_WRITER_REGISTER, 0);
	vss__put_str(&req, VSS_A_WRITER_NAME, p->name);
	if (p->class_id)
		vss__put_id(&req, VSS_A_WRITER_CLASS_ID, p->class_id);
	for (size_t i = 0; i < p->nr_luns; i++)
		vss__put_str(&req, VSS_A_WRITER_LUN, p->luns[i]);
	if (p->event_timeout_ms)
		vss__put_u32(&req, VSS_A_WRITER_EVENT_TIMEOUT_MS,
			     p->event_timeout_ms);
	if (p->freeze_timeout_ms)
		vss__put_u32(&req, VSS_A_WRITER_FREEZE_TIMEOUT_MS,
			     p->freeze_timeout_ms);
	rc = vss__request_on(ctx, w->sk, &req, register_cb, r);
	if (rc)
		goto out_close;
	if (!r->seen) {
		rc = vss__set_error(ctx, -EBADMSG, 0,
				    "the kernel did not reply with the writer");
		goto out_close;
	}
	w->instance_id = r->st.instance_id;
	w->ctx = vss_ctx_ref(ctx);
	free(r);
	*out = w;
	return 0;

out_close:
	vss__sock_close(w->sk);
out_pipe:
	close(w->stop_pipe[0]);
	close(w->stop_pipe[1]);
out_free:
	free(r);
	free(w);
	return rc;
}

VSS_EXPORT void vss_writer_free(struct vss_writer *w)
{
	if (!w)
		return;
	/* closing the socket unregisters the writer */
	vss__sock_close(w->sk);
	close(w->stop_pipe[0]);
	close(w->stop_pipe[1]);
	free(w->queue);
	free(w->metadata);
	vss_ctx_unref(w->ctx);
	free(w);
}

VSS_EXPORT int vss_writer_get_instance_id(const struct vss_writer *w,
					  vss_id_t *id)
{
	VSS_NEED(NULL, w);
	VSS_NEED(w->ctx, id);
	vss__clear_error(w->ctx);
	*id = w->instance_id;
	return 0;
}

VSS_EXPORT int vss_writer_get_restore_outcome(const struct vss_writer *w,
					      const struct vss_writer_event_info *ev,
					      uint32_t *resync_state,
					      int *error)
{
	VSS_NEED(NULL, w);
	VSS_NEED(w->ctx, ev);
	VSS_NEED(w->ctx, resync_state);
	VSS_NEED(w->ctx, error);
	vss__clear_error(w->ctx);
	if (ev->type != VSS_WRITER_EVENT_POST_RESTORE)
		return vss__set_error(w->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "not a PostRestore event");
	for (unsigned int i = 0; i < RESTORE_KEPT; i++) {
		if (!w->restore[i].o.has || w->restore[i].seq != ev->seq)
			continue;
		*resync_state = w->restore[i].o.state;
		*error = (int)w->restore[i].o.error;
		return 0;
	}
	return vss__set_error(w->ctx, -ENOENT, VSS_E_OBJECT_NOT_FOUND,
			      "the outcome of PostRestore %u is not kept (the last %d are)",
			      ev->seq, RESTORE_KEPT);
}

VSS_EXPORT int vss_writer_fd(const struct vss_writer *w)
{
	VSS_NEED(NULL, w);
	return nl_socket_get_fd(w->sk);
}

VSS_EXPORT int vss_writer_set_metadata(struct vss_writer *w, const void *doc,
				       size_t len)
{
	void *copy = NULL;

	VSS_NEED(NULL, w);
	vss__clear_error(w->ctx);
	if (doc && len > VSS_WRITER_METADATA_MAX)
		return vss__set_error(w->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "metadata document above %d bytes",
				      VSS_WRITER_METADATA_MAX);
	if (doc && len) {
		copy = malloc(len);
		if (!copy)
			return vss__set_error(w->ctx, -ENOMEM, 0, NULL);
		memcpy(copy, doc, len);
	}
	free(w->metadata);
	w->metadata = copy;
	w->metadata_len = copy ? len : 0;
	return 0;
}

/* Pop a queued event into @ev; false if the queue is empty. */
static bool queue_pop(struct vss_writer *w, struct vss_writer_event_info *ev)
{
	if (w->q_head == w->q_nr)
		return false;
	*ev = w->queue[w->q_head++];
	return true;
}

/* Milliseconds left until @deadline (CLOCK_MONOTONIC), at least 0. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/*
 * Receive one datagram, if one is queued, and queue its events.  Returns 1
 * (received), 0 (nothing queued) or -errno.
 */
static int receive_events(struct vss_writer *w)
{
	struct vss_walk walk = {
		/* no request is pending: every message is "other" */
		.seq = UINT32_MAX, .family = w->ctx->family,
		.other = queue_event_cb, .other_arg = w,
	};
	void *buf;
	size_t len;
	int rc;

	rc = vss__recv(w->sk, &buf, &len, 0);
	if (rc == -ETIMEDOUT)
		return 0;
	if (rc == -ENOBUFS)
		return vss__set_error(w->ctx, rc, 0,
				      "events lost: socket buffer overrun");
	if (rc)
		return vss__set_error(w->ctx, rc, 0, "cannot receive: %s",
				      strerror(-rc));
	rc = vss__walk(&walk, buf, len);
	free(buf);
	if (rc)
		return vss__set_error(w->ctx, -EBADMSG, 0,
				      "malformed event from the kernel");
	return 1;
}

VSS_EXPORT int vss_writer_next_event(struct vss_writer *w,
				     struct vss_writer_event_info *ev,
				     int timeout_ms)
{
	struct timespec deadline;
	struct pollfd pfd;
	int rc, wait_ms = timeout_ms;

	VSS_NEED(NULL, w);
	VSS_NEED(w->ctx, ev);
	vss__clear_error(w->ctx);
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pfd.fd = nl_socket_get_fd(w->sk);
	pfd.events = POLLIN;
	for (;;) {
		if (queue_pop(w, ev))
			return 0;
		/* what is queued first: poll() only when nothing is */
		rc = receive_events(w);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		if (timeout_ms > 0)
			wait_ms = ms_left(&deadline);
		rc = wait_ms ? poll(&pfd, 1, wait_ms) : 0;
		if (rc < 0)
			return vss__set_error(w->ctx, -errno, 0, "poll: %s",
					      strerror(errno));
		if (rc == 0)
			return vss__set_error(w->ctx, -EAGAIN, 0,
					      "no event came in time");
	}
}

VSS_EXPORT int vss_writer_reply(struct vss_writer *w,
				const struct vss_writer_event_info *ev,
				const struct vss_writer_failure *f)
{
	struct vss_req req;

	VSS_NEED(NULL, w);
	VSS_NEED(w->ctx, ev);
	vss__clear_error(w->ctx);
	if (f && f->hr_writer &&
	    strnlen(f->message, sizeof(f->message)) == sizeof(f->message))
		return vss__set_error(w->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "failure message without its NUL");
	req = vss__req_new(w->ctx, VSS_CMD_WRITER_REPLY, 0);
	vss__put_id(&req, VSS_A_WRITER_INSTANCE_ID, &w->instance_id);
	vss__put_id(&req, VSS_A_WRITER_SESSION_ID, &ev->session_id);
	vss__put_u32(&req, VSS_A_WRITER_EVENT, ev->type);
	vss__put_u32(&req, VSS_A_WRITER_EVENT_SEQ, ev->seq);
	if (f && f->hr_writer) {
		vss__put_u32(&req, VSS_A_WRITER_HR_WRITER, f->hr_writer);
		if (f->hr_application)
			vss__put_u32(&req, VSS_A_WRITER_HR_APPLICATION,
				     f->hr_application);
		if (f->message[0])
			vss__put_str(&req, VSS_A_WRITER_MESSAGE, f->message);
		if (f->non_fatal)
			vss__put_flag(&req, VSS_A_WRITER_NON_FATAL);
	}
	if (ev->type == VSS_WRITER_EVENT_IDENTIFY && w->metadata &&
	    (!f || !f->hr_writer || f->non_fatal) && !req.error) {
		if (nla_put(req.msg, VSS_A_WRITER_METADATA,
			    (int)w->metadata_len, w->metadata) < 0)
			req.error = -EMSGSIZE;
	}
	return vss__request_on_ev(w->ctx, w->sk, &req, NULL, NULL,
				  queue_event_cb, w);
}

/* The callback of @type in @ops, or NULL. */
static vss_writer_cb writer_cb(const struct vss_writer_ops *ops, uint32_t type)
{
	switch (type) {
	case VSS_WRITER_EVENT_IDENTIFY:
		return ops->on_identify;
	case VSS_WRITER_EVENT_PREPARE_BACKUP:
		return ops->on_prepare_backup;
	case VSS_WRITER_EVENT_PREPARE_SNAPSHOT:
		return ops->on_prepare_snapshot;
	case VSS_WRITER_EVENT_FREEZE:
		return ops->on_freeze;
	case VSS_WRITER_EVENT_THAW:
		return ops->on_thaw;
	case VSS_WRITER_EVENT_POST_SNAPSHOT:
		return ops->on_post_snapshot;
	case VSS_WRITER_EVENT_ABORT:
		return ops->on_abort;
	case VSS_WRITER_EVENT_BACKUP_COMPLETE:
		return ops->on_backup_complete;
	case VSS_WRITER_EVENT_BACKUP_SHUTDOWN:
		return ops->on_backup_shutdown;
	case VSS_WRITER_EVENT_PRE_RESTORE:
		return ops->on_pre_restore;
	case VSS_WRITER_EVENT_POST_RESTORE:
		return ops->on_post_restore;
	}
	return NULL;
}

/* Run the callback of @ev and send its reply.  Returns 0 or -errno. */
static int handle_event(struct vss_writer *w, const struct vss_writer_ops *ops,
			void *arg, const struct vss_writer_event_info *ev)
{
	vss_writer_cb cb = writer_cb(ops, ev->type);
	struct vss_writer_failure f;
	bool ok = true;
	int rc;

	memset(&f, 0, sizeof(f));
	if (cb)
		ok = cb(arg, w, ev, &f);
	if (ev->type == VSS_WRITER_EVENT_ABORT ||
	    ev->type == VSS_WRITER_EVENT_BACKUP_SHUTDOWN)
		return 0;	/* not waited for */
	f.message[sizeof(f.message) - 1] = '\0';
	if (ok) {
		f.non_fatal = true;
	} else {
		f.non_fatal = false;
		if (!f.hr_writer)
			f.hr_writer = VSS_E_WRITERERROR_NONRETRYABLE;
	}
	rc = vss_writer_reply(w, ev, f.hr_writer ? &f : NULL);
	if (rc == -ETIMEDOUT) {
		info(w->ctx, "writer: the reply to %s came too late: %s",
		     vss_writer_event_name(ev->type),
		     vss_ctx_last_error_msg(w->ctx));
		rc = 0;
	}
	return rc;
}

VSS_EXPORT int vss_writer_dispatch(struct vss_writer *w,
				   const struct vss_writer_ops *ops, void *arg,
				   int timeout_ms)
{
	struct vss_writer_event_info ev;
	int n = 0, rc;

	VSS_NEED(NULL, w);
	VSS_NEED(w->ctx, ops);
	for (;;) {
		rc = vss_writer_next_event(w, &ev, n ? 0 : timeout_ms);
		if (rc == -EAGAIN)
			break;
		if (rc)
			return rc;
		rc = handle_event(w, ops, arg, &ev);
		if (rc)
			return rc;
		n++;
	}
	vss__clear_error(w->ctx);
	return n;
}

VSS_EXPORT int vss_writer_run(struct vss_writer *w,
			      const struct vss_writer_ops *ops, void *arg)
{
	char drain[64];
	int rc;

	VSS_NEED(NULL, w);
	VSS_NEED(w->ctx, ops);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = nl_socket_get_fd(w->sk), .events = POLLIN },
			{ .fd = w->stop_pipe[0], .events = POLLIN },
		};

		/* queued events first: they do not make the fd readable */
		rc = vss_writer_dispatch(w, ops, arg, 0);
		if (rc < 0)
			return rc;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return vss__set_error(w->ctx, -errno, 0, "poll: %s",
					      strerror(errno));
		}
		if (pfd[1].revents) {
			while (read(w->stop_pipe[0], drain, sizeof(drain)) > 0)
				;
			vss__clear_error(w->ctx);
			return 0;
		}
	}
}

VSS_EXPORT int vss_writer_stop(struct vss_writer *w)
{
	ssize_t n;

	if (!w)
		return -EINVAL;
	/* async-signal-safe: a write to a non-blocking pipe */
	n = write(w->stop_pipe[1], "x", 1);
	(void)n;
	return 0;
}
