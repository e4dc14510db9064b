// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - the requester's backup-components object and its async
 * DoSnapshotSet.
 *
 * Each object owns a netlink socket; the kernel binds the session to that
 * socket's port, so closing it (vss_backup_free(), or the process dying)
 * aborts whatever the session left unfinished.  The kernel runs set-do on
 * its own worker and reports the outcome (set-done-ntf) on the object's
 * socket; DoSnapshotSet's thread waits for it there, and Cancel/AbortBackup
 * go through the context's own socket.
 *
 * One object serves one operation (as IVssBackupComponents): once
 * DoSnapshotSet was started on it, StartSnapshotSet, AddToSnapshotSet and
 * DoSnapshotSet fail with VSS_E_BAD_STATE, whatever the kernel's session
 * would allow.  The structures are in internal.h.
 *
 * Lock order: backup->lock, then async->lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Refuses calls while DoSnapshotSet runs or after BackupComplete. */
static int backup_check(struct vss_backup *b)
{
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	if (b->running)
		rc = vss__set_error(b->ctx, -EBUSY,
				    VSS_E_SNAPSHOT_SET_IN_PROGRESS,
				    "an asynchronous operation (DoSnapshotSet, GatherWriterMetadata, PrepareForBackup or GatherWriterStatus) is in progress");
	else if (b->complete)
		rc = vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				    "the backup is complete");
	pthread_mutex_unlock(&b->lock);
	return rc;
}

/* Single use: no new or further snapshot set once DoSnapshotSet started. */
static int single_use_check(struct vss_backup *b)
{
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	if (b->restore)
		rc = vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				    "this object was initialized for a restore");
	else if (b->did_set)
		rc = vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				    "this object already took its snapshot set; a backup-components object serves one operation");
	pthread_mutex_unlock(&b->lock);
	return rc;
}

static int session_cb(const struct nlmsghdr *nlh, void *arg)
{
	return vss__parse_session(nlh, nlh->nlmsg_type, arg);
}

VSS_EXPORT int vss_backup_new(struct vss_ctx *ctx, struct vss_backup **out)
{
	struct vss_session_info si;
	struct vss_backup *b;
	struct vss_req req;
	int rc;

	VSS_NEED(ctx, ctx);
	VSS_NEED(ctx, out);
	vss__clear_error(ctx);
	b = calloc(1, sizeof(*b));
	if (!b)
		return vss__set_error(ctx, -ENOMEM, 0, NULL);
	rc = vss__sock_open(ctx, &b->sk);
	if (rc) {
		vss__set_error(ctx, rc, 0, "cannot open a netlink socket");
		goto out_free;
	}
	req = vss__req_new(ctx, VSS_CMD_SESSION_NEW, 0);
	memset(&si, 0, sizeof(si));
	rc = vss__request_on(ctx, b->sk, &req, session_cb, &si);
	if (rc)
		goto out_close;
	if (!si.state) {
		rc = vss__set_error(ctx, -EBADMSG, 0,
				    "the kernel did not reply with the session");
		goto out_close;
	}
	/* VSS's default context: auto-release (the kernel's is persistent) */
	req = vss__req_new(ctx, VSS_CMD_SESSION_SET_CONTEXT, 0);
	vss__put_id(&req, VSS_A_SESSION_ID, &si.id);
	vss__put_u32(&req, VSS_A_SESSION_CONTEXT, VSS_CTX_BACKUP);
	rc = vss__request_on(ctx, b->sk, &req, NULL, NULL);
	if (rc)
		goto out_close;
	b->session_id = si.id;
	b->ctx = vss_ctx_ref(ctx);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->idle, NULL);
	*out = b;
	return 0;

out_close:
	vss__sock_close(b->sk);
out_free:
	free(b);
	return rc;
}

VSS_EXPORT void vss_backup_free(struct vss_backup *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	while (b->running)
		pthread_cond_wait(&b->idle, &b->lock);
	pthread_mutex_unlock(&b->lock);
	/*
	 * Closing the session's socket makes the kernel drop the session and
	 * send BackupShutdown to its writers.
	 */
	vss__sock_close(b->sk);
	free(b->status);
	for (size_t i = 0; i < b->nr_meta; i++)
		free(b->meta[i].doc);
	free(b->meta);
	for (size_t i = 0; i < b->nr_recovery; i++)
		free(b->recovery[i].destination);
	pthread_cond_destroy(&b->idle);
	pthread_mutex_destroy(&b->lock);
	vss_ctx_unref(b->ctx);
	free(b);
}

VSS_EXPORT int vss_backup_get_session_id(const struct vss_backup *b,
					 vss_id_t *id)
{
	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, id);
	vss__clear_error(b->ctx);
	*id = b->session_id;
	return 0;
}

VSS_EXPORT int vss_backup_get_status(struct vss_backup *b,
				     struct vss_session_info *info)
{
	VSS_NEED(NULL, b);
	return vss_session_get(b->ctx, &b->session_id, info);
}

static int set_start_cb(const struct nlmsghdr *nlh, void *arg)
{
	return vss__parse_set(nlh, nlh->nlmsg_type, arg, NULL);
}

VSS_EXPORT int vss_backup_break_snapshot_set(struct vss_backup *b,
					     const vss_id_t *set_id,
					     unsigned int *count)
{
	VSS_NEED(NULL, b);
	/* not bound to the session: any created set can be broken */
	return vss_snapshot_set_break(b->ctx, set_id, count);
}

VSS_EXPORT int vss_backup_start_snapshot_set(struct vss_backup *b,
					     vss_id_t *set_id)
{
	struct vss_req req;
	vss_id_t id;
	int rc;

	VSS_NEED(NULL, b);
	vss__clear_error(b->ctx);
	rc = backup_check(b);
	if (!rc)
		rc = single_use_check(b);
	if (rc)
		return rc;
	req = vss__req_new(b->ctx, VSS_CMD_SET_START, 0);
	vss__put_id(&req, VSS_A_SET_SESSION_ID, &b->session_id);
	memset(&id, 0, sizeof(id));
	rc = vss__request_on(b->ctx, b->sk, &req, set_start_cb, &id);
	if (rc)
		return rc;
	pthread_mutex_lock(&b->lock);
	b->set_id = id;
	b->has_set = true;
	pthread_mutex_unlock(&b->lock);
	if (set_id)
		*set_id = id;
	return 0;
}

struct set_add_reply {
	vss_id_t set_id;
	vss_id_t snapshot_id;
	bool seen;
};

static int set_add_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct set_add_reply *r = arg;
	int rc;

	rc = vss__parse_set(nlh, nlh->nlmsg_type, &r->set_id, &r->snapshot_id);
	if (!rc)
		r->seen = true;
	return rc;
}

static int need_set(struct vss_backup *b, vss_id_t *set_id)
{
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	if (b->has_set)
		*set_id = b->set_id;
	else
		rc = vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				    "no snapshot set was started");
	pthread_mutex_unlock(&b->lock);
	return rc;
}

VSS_EXPORT int vss_backup_add_to_snapshot_set(struct vss_backup *b,
					      const char *lun,
					      vss_id_t *snapshot_id)
{
	struct set_add_reply r = { .seen = false };
	struct vss_req req;
	vss_id_t set_id;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, lun);
	vss__clear_error(b->ctx);
	rc = backup_check(b);
	if (!rc)
		rc = single_use_check(b);
	if (!rc)
		rc = need_set(b, &set_id);
	if (rc)
		return rc;
	if (!lun[0] || strlen(lun) > VSS_LUN_NAME_MAX)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "invalid LUN name");
	req = vss__req_new(b->ctx, VSS_CMD_SET_ADD, 0);
	vss__put_id(&req, VSS_A_SET_SESSION_ID, &b->session_id);
	vss__put_id(&req, VSS_A_SET_ID, &set_id);
	vss__put_str(&req, VSS_A_SET_LUN, lun);
	rc = vss__request_on(b->ctx, b->sk, &req, set_add_cb, &r);
	if (rc)
		return rc;
	if (!r.seen)
		return vss__set_error(b->ctx, -EBADMSG, 0,
				      "the kernel did not reply with the snapshot id");
	if (snapshot_id)
		*snapshot_id = r.snapshot_id;
	return 0;
}

/* The outcome of DoSnapshotSet, from set-done-ntf. */
struct set_done {
	const vss_id_t *set_id;
	struct vss_set_result *res;
	bool seen;
	int error;
	uint32_t hresult;
	char msg[512];
};

static int set_do_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[VSS_A_SET_MAX + 1];
	vss_id_t id;

	(void)arg;
	if (vss__genl_parse(nlh, nlh->nlmsg_type, tb, VSS_A_SET_MAX, NULL) ||
	    vss__attr_id(tb[VSS_A_SET_ID], &id))
		return -EBADMSG;
	return 0;
}

/*
 * A message on the session's socket that is not a reply: keep the
 * set-done-ntf of our set, ignore anything else.
 */
static int set_done_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[VSS_A_SET_MAX + 1];
	struct set_done *d = arg;
	uint32_t err;
	uint8_t cmd;
	vss_id_t id;

	if (vss__genl_parse(nlh, nlh->nlmsg_type, tb, VSS_A_SET_MAX, &cmd))
		return -EBADMSG;
	if (cmd != VSS_CMD_SET_DONE_NTF)
		return 0;
	if (vss__attr_id(tb[VSS_A_SET_ID], &id) ||
	    vss__attr_u32(tb[VSS_A_SET_ERROR], &err))
		return -EBADMSG;
	if (!vss_id_equal(&id, d->set_id))
		return 0;
	d->error = (int32_t)err;
	if (d->error > 0)
		return -EBADMSG;
	if (!d->error && vss__parse_set_do(nlh, nlh->nlmsg_type, d->res))
		return -EBADMSG;
	if (tb[VSS_A_SET_HRESULT] &&
	    vss__attr_u32(tb[VSS_A_SET_HRESULT], &d->hresult))
		return -EBADMSG;
	if (tb[VSS_A_SET_MESSAGE] &&
	    vss__attr_str(tb[VSS_A_SET_MESSAGE], d->msg, sizeof(d->msg)))
		return -EBADMSG;
	d->seen = true;
	return 0;
}

/*
 * DoSnapshotSet on the worker thread; *@res is filled on success.  The
 * kernel replies at once and runs the set on its own worker; the outcome
 * comes as set-done-ntf on the session's socket (possibly before the
 * reply).  Cancel aborts the session through the context's socket, after
 * which the kernel reports the set as failed.
 */
static int run_do_snapshot_set(struct vss_async *a, struct vss_backup *b,
			       bool no_writers, struct vss_set_result **res)
{
	struct set_done d = { .set_id = &a->set_id };
	struct vss_req req;
	int rc;

	*res = calloc(1, sizeof(**res));
	req = vss__req_new(b->ctx, VSS_CMD_SET_DO, 0);
	vss__put_id(&req, VSS_A_SET_SESSION_ID, &a->session_id);
	vss__put_id(&req, VSS_A_SET_ID, &a->set_id);
	if (no_writers)
		vss__put_flag(&req, VSS_A_SET_NO_WRITERS);
	if (!*res) {
		vss__req_free(&req);
		return vss__set_error(b->ctx, -ENOMEM, 0, NULL);
	}
	d.res = *res;
	rc = vss__request_on_ev(b->ctx, b->sk, &req, set_do_cb, NULL,
				set_done_cb, &d);
	while (!rc && !d.seen) {
		struct vss_walk w = { .family = b->ctx->family,
				      .seq = UINT32_MAX,
				      .other = set_done_cb, .other_arg = &d };
		void *buf;
		size_t len;

		rc = vss__recv(b->sk, &buf, &len, -1);
		if (rc == -ENOBUFS)
			return vss__set_error(b->ctx, rc, 0,
					      "the outcome of DoSnapshotSet was lost (socket buffer overrun)");
		if (rc)
			return vss__set_error(b->ctx, rc, 0,
					      "cannot receive the outcome of DoSnapshotSet: %s",
					      strerror(-rc));
		rc = vss__walk(&w, buf, len);
		free(buf);
		if (rc)
			return vss__set_error(b->ctx, -EBADMSG, 0,
					      "malformed message from the kernel");
	}
	if (rc)
		return rc;
	if (d.error)
		return vss__set_error(b->ctx, d.error, d.hresult, "%s",
				      d.msg[0] ? d.msg : strerror(-d.error));
	return 0;
}

struct wmeta_reply {
	struct vss__wmeta *m;
	bool seen;
};

static int wmeta_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct wmeta_reply *r = arg;
	const void *md;
	size_t len;
	int rc;

	rc = vss__parse_writer(nlh, nlh->nlmsg_type, &r->m->st, &md, &len);
	if (rc)
		return rc;
	if (md) {
		r->m->doc = malloc(len);
		if (!r->m->doc)
			return -ENOMEM;
		memcpy(r->m->doc, md, len);
		r->m->len = len;
	}
	r->seen = true;
	return 0;
}

static void wmeta_free(struct vss__wmeta *m, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(m[i].doc);
	free(m);
}

/*
 * GatherWriterMetadata on the worker thread: Identify to the writers, then
 * each writer's status and document.
 */
static int run_gather_metadata(struct vss_async *a, struct vss_backup *b,
			       struct vss__wmeta **out, size_t *nr_out)
{
	struct vss_writer_status *st = NULL;
	struct vss__wmeta *m = NULL;
	struct vss_req req;
	size_t nr = 0;
	int rc;

	req = vss__req_new(b->ctx, VSS_CMD_SESSION_GATHER_METADATA, 0);
	vss__put_id(&req, VSS_A_SESSION_ID, &a->session_id);
	rc = vss__request_on(b->ctx, b->sk, &req, NULL, NULL);
	if (!rc)
		rc = vss__writer_dump(b->ctx, b->sk, &a->session_id, &st, &nr);
	if (rc)
		return rc;
	if (nr) {
		m = calloc(nr, sizeof(*m));
		if (!m) {
			free(st);
			return vss__set_error(b->ctx, -ENOMEM, 0, NULL);
		}
	}
	for (size_t i = 0; i < nr; i++) {
		struct wmeta_reply r = { .m = &m[i] };

		req = vss__req_new(b->ctx, VSS_CMD_WRITER_GET, 0);
		vss__put_id(&req, VSS_A_WRITER_INSTANCE_ID, &st[i].instance_id);
		vss__put_id(&req, VSS_A_WRITER_SESSION_ID, &a->session_id);
		rc = vss__request_on(b->ctx, b->sk, &req, wmeta_cb, &r);
		if (!rc && !r.seen)
			rc = vss__set_error(b->ctx, -EBADMSG, 0,
					    "the kernel did not reply with the writer");
		if (rc) {
			wmeta_free(m, nr);
			free(st);
			return rc;
		}
	}
	free(st);
	*out = m;
	*nr_out = nr;
	return 0;
}

static void *backup_worker(void *arg)
{
	struct vss_async *a = arg;
	struct vss_backup *b = a->backup;
	struct vss_writer_status *st = NULL;
	struct vss_set_result *res = NULL;
	struct vss__wmeta *meta = NULL;
	size_t nr_st = 0, nr_meta = 0;
	const char *msg = NULL;
	struct vss_req req;
	bool no_writers;
	uint32_t hr = 0;
	int rc;

	pthread_mutex_lock(&b->lock);
	no_writers = b->no_writers;
	pthread_mutex_unlock(&b->lock);
	switch (a->op) {
	case VSS__OP_DO_SNAPSHOT_SET:
		rc = run_do_snapshot_set(a, b, no_writers, &res);
		break;
	case VSS__OP_GATHER_METADATA:
		rc = run_gather_metadata(a, b, &meta, &nr_meta);
		break;
	case VSS__OP_PREPARE_BACKUP:
		req = vss__req_new(b->ctx, VSS_CMD_SESSION_PREPARE_BACKUP, 0);
		vss__put_id(&req, VSS_A_SESSION_ID, &a->session_id);
		rc = vss__request_on(b->ctx, b->sk, &req, NULL, NULL);
		break;
	case VSS__OP_GATHER_STATUS:
	default:
		rc = vss__writer_dump(b->ctx, b->sk, &a->session_id, &st,
				      &nr_st);
		pthread_mutex_lock(&a->lock);
		if (!rc && a->cancel_requested)
			rc = vss__set_error(b->ctx, -ECANCELED, 0,
					    "GatherWriterStatus was cancelled");
		pthread_mutex_unlock(&a->lock);
		break;
	}
	if (rc) {
		hr = vss_ctx_last_hresult(b->ctx);
		msg = vss_ctx_last_error_msg(b->ctx);
	}

	pthread_mutex_lock(&b->lock);
	if (!rc && res) {
		b->result = *res;
		b->has_result = true;
	}
	if (a->op == VSS__OP_GATHER_STATUS && !rc) {
		free(b->status);
		b->status = st;
		b->nr_status = nr_st;
		b->has_status = true;
		st = NULL;
	}
	if (a->op == VSS__OP_GATHER_METADATA && !rc) {
		wmeta_free(b->meta, b->nr_meta);
		b->meta = meta;
		b->nr_meta = nr_meta;
		b->has_meta = true;
		meta = NULL;
		nr_meta = 0;
	}
	b->running = NULL;
	pthread_cond_broadcast(&b->idle);
	/* from here on the object may be freed: @b is not touched again */
	pthread_mutex_lock(&a->lock);
	a->backup = NULL;
	a->result = rc;
	a->hr = hr;
	if (rc && msg)
		snprintf(a->msg, sizeof(a->msg), "%s", msg);
	a->done = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_unlock(&b->lock);
	free(res);
	free(st);
	wmeta_free(meta, nr_meta);
	return NULL;
}

/* Start operation @op of @b on a worker thread. */
static int start_op(struct vss_backup *b, enum vss__op op,
		    const vss_id_t *set_id, struct vss_async **out)
{
	struct vss_async *a;
	int rc;

	a = calloc(1, sizeof(*a));
	if (!a)
		return vss__set_error(b->ctx, -ENOMEM, 0, NULL);
	a->op = op;
	a->ctx = vss_ctx_ref(b->ctx);
	a->session_id = b->session_id;
	if (set_id)
		a->set_id = *set_id;
	a->backup = b;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);

	pthread_mutex_lock(&b->lock);
	if (b->running) {
		/* another thread started one meanwhile */
		pthread_mutex_unlock(&b->lock);
		rc = backup_check(b);
		goto out_free;
	}
	b->running = a;
	if (op == VSS__OP_DO_SNAPSHOT_SET)
		b->has_result = false;
	if (op == VSS__OP_GATHER_STATUS) {
		/* until it completes, GetWriterStatusEx is out of sequence */
		b->has_status = false;
	}
	if (op == VSS__OP_GATHER_METADATA)
		b->has_meta = false;
	rc = -pthread_create(&a->thread, NULL, backup_worker, a);
	if (rc)
		b->running = NULL;
	else if (op == VSS__OP_DO_SNAPSHOT_SET)
		b->did_set = true;
	pthread_mutex_unlock(&b->lock);
	if (rc) {
		vss__set_error(b->ctx, rc, 0, "cannot start a thread");
		goto out_free;
	}
	*out = a;
	return 0;

out_free:
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	vss_ctx_unref(a->ctx);
	free(a);
	return rc;
}

VSS_EXPORT int vss_backup_do_snapshot_set(struct vss_backup *b,
					  struct vss_async **out)
{
	vss_id_t set_id;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, out);
	vss__clear_error(b->ctx);
	rc = backup_check(b);
	if (!rc)
		rc = single_use_check(b);
	if (!rc)
		rc = need_set(b, &set_id);
	if (rc)
		return rc;
	return start_op(b, VSS__OP_DO_SNAPSHOT_SET, &set_id, out);
}

VSS_EXPORT int vss_backup_get_set_result(struct vss_backup *b,
					 struct vss_set_result *result)
{
	int rc = 0;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, result);
	pthread_mutex_lock(&b->lock);
	if (b->has_result) {
		vss__clear_error(b->ctx);
		*result = b->result;
	} else {
		rc = vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				    "no snapshot set was created");
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

VSS_EXPORT int vss_backup_complete(struct vss_backup *b)
{
	struct vss_session_info si;
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, b);
	vss__clear_error(b->ctx);
	rc = backup_check(b);
	if (rc)
		return rc;
	rc = vss_session_get(b->ctx, &b->session_id, &si);
	if (rc)
		return rc;
	if (si.state != VSS_SESSION_STATE_SNAPSHOTS_DONE)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				      "no snapshot set was created in this session (session %s)",
				      vss_session_state_name(si.state));
	/* the writers of the set get BackupComplete */
	req = vss__req_new(b->ctx, VSS_CMD_SESSION_BACKUP_COMPLETE, 0);
	vss__put_id(&req, VSS_A_SESSION_ID, &b->session_id);
	rc = vss__request_on(b->ctx, b->sk, &req, NULL, NULL);
	if (rc)
		return rc;
	pthread_mutex_lock(&b->lock);
	b->complete = true;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/*
 * AbortBackup/Cancel on a socket of their own: they never wait behind
 * another thread's request (a long dump) on the context's socket.
 */
static int session_abort(struct vss_ctx *ctx, const vss_id_t *sid)
{
	struct vss_req req;
	struct nl_sock *sk;
	int rc;

	rc = vss__sock_open(ctx, &sk);
	if (rc)
		return vss__set_error(ctx, rc, 0, "cannot open a netlink socket");
	req = vss__req_new(ctx, VSS_CMD_SESSION_ABORT, 0);
	vss__put_id(&req, VSS_A_SESSION_ID, sid);
	rc = vss__request_on(ctx, sk, &req, NULL, NULL);
	vss__sock_close(sk);
	return rc;
}

VSS_EXPORT int vss_backup_abort(struct vss_backup *b)
{
	VSS_NEED(NULL, b);
	vss__clear_error(b->ctx);
	return session_abort(b->ctx, &b->session_id);
}

/* ---- async handle ---- */

VSS_EXPORT int vss_async_wait(struct vss_async *a, int timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	VSS_NEED(NULL, a);
	if (a->recovery)
		return vss__recovery_wait(a, timeout_ms);
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&a->lock);
	while (!a->done && rc == 0) {
		if (timeout_ms < 0)
			rc = pthread_cond_wait(&a->cond, &a->lock);
		else if (timeout_ms == 0)
			rc = ETIMEDOUT;
		else
			rc = pthread_cond_timedwait(&a->cond, &a->lock,
						    &deadline);
	}
	pthread_mutex_unlock(&a->lock);
	if (rc == ETIMEDOUT)
		return vss__set_error(a->ctx, -ETIMEDOUT, VSS_S_ASYNC_PENDING,
				      "the operation is still running");
	vss__clear_error(a->ctx);
	return 0;
}

VSS_EXPORT int vss_async_cancel(struct vss_async *a)
{
	bool done;
	int result;

	VSS_NEED(NULL, a);
	if (a->recovery)
		return vss__recovery_cancel(a);
	pthread_mutex_lock(&a->lock);
	done = a->done;
	result = a->result;
	if (!done)
		a->cancel_requested = true;
	pthread_mutex_unlock(&a->lock);
	if (!done && a->op == VSS__OP_GATHER_STATUS) {
		/* a query: it ends by itself, reporting the cancellation */
		vss__clear_error(a->ctx);
		return 0;
	}
	if (done)
		return vss__set_error(a->ctx, -EALREADY,
				      result == -ECANCELED ?
				      VSS_S_ASYNC_CANCELLED :
				      VSS_S_ASYNC_FINISHED,
				      "the operation has already ended");
	vss__clear_error(a->ctx);
	return session_abort(a->ctx, &a->session_id);
}

VSS_EXPORT int vss_async_query_status(struct vss_async *a, uint32_t *hr,
				      int *result)
{
	uint32_t status;
	int res;

	VSS_NEED(NULL, a);
	VSS_NEED(a->ctx, hr);
	if (a->recovery)
		return vss__recovery_status(a, hr, result);
	pthread_mutex_lock(&a->lock);
	if (!a->done) {
		status = VSS_S_ASYNC_PENDING;
		res = -EINPROGRESS;
		vss__clear_error(a->ctx);
	} else if (!a->result) {
		status = VSS_S_ASYNC_FINISHED;
		res = 0;
		vss__clear_error(a->ctx);
	} else {
		res = a->result;
		if (res == -ECANCELED)
			status = VSS_S_ASYNC_CANCELLED;
		else
			status = a->hr ? a->hr : VSS_E_UNEXPECTED;
		/* the operation's failure becomes this thread's last error */
		vss__set_error(a->ctx, res, a->hr, "%s", a->msg);
	}
	pthread_mutex_unlock(&a->lock);
	*hr = status;
	if (result)
		*result = res;
	return 0;
}

VSS_EXPORT void vss_async_free(struct vss_async *a)
{
	if (!a)
		return;
	if (!a->recovery) {
		/* RecoverSet's resyncs run in the kernel: no thread to end */
		vss_async_wait(a, -1);
		pthread_join(a->thread, NULL);
	}
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	vss_ctx_unref(a->ctx);
	free(a);
}

/* ---- the requester side of the writer protocol ---- */

/* Writer filters, like StartSnapshotSet, only before DoSnapshotSet. */
static int writer_filter(struct vss_backup *b, uint32_t mode,
			 const vss_id_t *ids, size_t nr)
{
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, ids);
	vss__clear_error(b->ctx);
	if (!nr || nr > VSS_WRITER_MAX_LUNS)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "1 to %d writer ids", VSS_WRITER_MAX_LUNS);
	rc = backup_check(b);
	if (!rc)
		rc = single_use_check(b);
	if (rc)
		return rc;
	req = vss__req_new(b->ctx, VSS_CMD_SESSION_WRITER_FILTER, 0);
	vss__put_id(&req, VSS_A_SESSION_ID, &b->session_id);
	vss__put_u32(&req, VSS_A_SESSION_WRITER_FILTER, mode);
	for (size_t i = 0; i < nr; i++)
		vss__put_id(&req, VSS_A_SESSION_WRITER_ID, &ids[i]);
	return vss__request_on(b->ctx, b->sk, &req, NULL, NULL);
}

VSS_EXPORT int vss_backup_disable_writer_classes(struct vss_backup *b,
						 const vss_id_t *class_ids,
						 size_t nr)
{
	return writer_filter(b, VSS_WRITER_FILTER_DISABLE_CLASSES, class_ids,
			     nr);
}

VSS_EXPORT int vss_backup_enable_writer_classes(struct vss_backup *b,
						const vss_id_t *class_ids,
						size_t nr)
{
	return writer_filter(b, VSS_WRITER_FILTER_ENABLE_CLASSES, class_ids,
			     nr);
}

VSS_EXPORT int vss_backup_disable_writer_instances(struct vss_backup *b,
						   const vss_id_t *instance_ids,
						   size_t nr)
{
	return writer_filter(b, VSS_WRITER_FILTER_DISABLE_INSTANCES,
			     instance_ids, nr);
}

VSS_EXPORT int vss_backup_set_writers(struct vss_backup *b, bool enabled)
{
	int rc = 0;

	VSS_NEED(NULL, b);
	vss__clear_error(b->ctx);
	pthread_mutex_lock(&b->lock);
	if (b->running)
		rc = vss__set_error(b->ctx, -EBUSY,
				    VSS_E_SNAPSHOT_SET_IN_PROGRESS,
				    "an asynchronous operation is in progress");
	else
		b->no_writers = !enabled;
	pthread_mutex_unlock(&b->lock);
	return rc;
}

VSS_EXPORT int vss_backup_set_context(struct vss_backup *b, uint32_t context)
{
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, b);
	vss__clear_error(b->ctx);
	switch (context) {
	case VSS_CTX_BACKUP:
	case VSS_CTX_FILE_SHARE_BACKUP:
	case VSS_CTX_APP_ROLLBACK:
	case VSS_CTX_CLIENT_ACCESSIBLE_WRITERS:
	case VSS_CTX_NAS_ROLLBACK:
	case VSS_CTX_CLIENT_ACCESSIBLE:
		break;
	default:
		return vss__set_error(b->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "unknown snapshot context 0x%x", context);
	}
	rc = backup_check(b);
	if (!rc)
		rc = single_use_check(b);
	if (rc)
		return rc;
	req = vss__req_new(b->ctx, VSS_CMD_SESSION_SET_CONTEXT, 0);
	vss__put_id(&req, VSS_A_SESSION_ID, &b->session_id);
	vss__put_u32(&req, VSS_A_SESSION_CONTEXT, context);
	return vss__request_on(b->ctx, b->sk, &req, NULL, NULL);
}

VSS_EXPORT int vss_backup_gather_writer_metadata(struct vss_backup *b,
						 struct vss_async **out)
{
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, out);
	vss__clear_error(b->ctx);
	rc = backup_check(b);
	if (!rc)
		rc = single_use_check(b);
	if (rc)
		return rc;
	return start_op(b, VSS__OP_GATHER_METADATA, NULL, out);
}

VSS_EXPORT int vss_backup_prepare_for_backup(struct vss_backup *b,
					     struct vss_async **out)
{
	vss_id_t set_id;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, out);
	vss__clear_error(b->ctx);
	rc = backup_check(b);
	if (!rc)
		rc = single_use_check(b);
	if (!rc)
		rc = need_set(b, &set_id);
	if (rc)
		return rc;
	return start_op(b, VSS__OP_PREPARE_BACKUP, &set_id, out);
}

VSS_EXPORT int vss_backup_gather_writer_status(struct vss_backup *b,
					       struct vss_async **out)
{
	int rc = 0;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, out);
	vss__clear_error(b->ctx);
	/* also after BackupComplete: only a running operation is in the way */
	pthread_mutex_lock(&b->lock);
	if (b->restore)
		rc = vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				    "writer status is not available during a restore (vss_writer_list() has the restore's)");
	else if (b->running)
		rc = vss__set_error(b->ctx, -EBUSY,
				    VSS_E_SNAPSHOT_SET_IN_PROGRESS,
				    "an asynchronous operation is in progress");
	pthread_mutex_unlock(&b->lock);
	if (rc)
		return rc;
	return start_op(b, VSS__OP_GATHER_STATUS, NULL, out);
}

/*
 * May the accessors of gathered operation @op (GatherWriterStatus or
 * GatherWriterMetadata) read its copy?  @has: the copy is there; @gone:
 * why it may not be.  Caller holds b->lock.  Returns 0 or the
 * VSS_E_BAD_STATE failure.
 */
static int gathered_ready(struct vss_backup *b, enum vss__op op, bool has,
			  const char *what, const char *gone)
{
	if (b->running && b->running->op == op)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				      "%s has not completed", what);
	if (!has)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				      "%s has not completed%s", what, gone);
	return 0;
}

/* GetWriterStatus* may read the gathered copy?  Caller holds b->lock. */
static int status_ready(struct vss_backup *b)
{
	if (b->restore)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				      "writer status is not available during a restore");
	return gathered_ready(b, VSS__OP_GATHER_STATUS, b->has_status,
			      "GatherWriterStatus",
			      " (or FreeWriterStatus was called)");
}

/* GetWriterMetadata* may read the gathered copy?  Caller holds b->lock. */
static int meta_ready(struct vss_backup *b)
{
	return gathered_ready(b, VSS__OP_GATHER_METADATA, b->has_meta,
			      "GatherWriterMetadata", "");
}

/* GetWriterStatusCount, GetWriterMetadataCount: *@nr once @ready allows. */
static int gathered_count(struct vss_backup *b,
			  int (*ready)(struct vss_backup *b), const size_t *nr,
			  unsigned int *count)
{
	int rc;

	vss__clear_error(b->ctx);
	pthread_mutex_lock(&b->lock);
	rc = ready(b);
	if (!rc)
		*count = (unsigned int)*nr;
	pthread_mutex_unlock(&b->lock);
	return rc;
}

VSS_EXPORT int vss_backup_get_writer_status_count(struct vss_backup *b,
						  unsigned int *count)
{
	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, count);
	return gathered_count(b, status_ready, &b->nr_status, count);
}

VSS_EXPORT int vss_backup_get_writer_status_ex(struct vss_backup *b,
					       unsigned int index,
					       vss_id_t *instance_id,
					       vss_id_t *class_id, char **name,
					       uint32_t *state,
					       uint32_t *hr_writer,
					       uint32_t *hr_application,
					       char **message)
{
	const struct vss_writer_status *st;
	char *n = NULL, *m = NULL;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, instance_id);
	VSS_NEED(b->ctx, class_id);
	VSS_NEED(b->ctx, name);
	VSS_NEED(b->ctx, state);
	VSS_NEED(b->ctx, hr_writer);
	vss__clear_error(b->ctx);
	pthread_mutex_lock(&b->lock);
	rc = status_ready(b);
	if (rc)
		goto out_unlock;
	if (index >= b->nr_status) {
		rc = vss__set_error(b->ctx, -ENOENT, VSS_E_OBJECT_NOT_FOUND,
				    "writer index %u out of range (%zu statuses)",
				    index, b->nr_status);
		goto out_unlock;
	}
	st = &b->status[index];
	n = strdup(st->name);
	if (message)
		m = strdup(st->message);
	if (!n || (message && !m)) {
		free(n);
		free(m);
		rc = vss__set_error(b->ctx, -ENOMEM, VSS_E_OUTOFMEMORY, NULL);
		goto out_unlock;
	}
	*instance_id = st->instance_id;
	*class_id = st->class_id;
	*name = n;
	*state = st->state;
	*hr_writer = st->hr_writer;
	if (hr_application)
		*hr_application = st->hr_application;
	if (message)
		*message = m;
out_unlock:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

VSS_EXPORT int vss_backup_get_writer_statuses(struct vss_backup *b,
					      struct vss_writer_status **out,
					      size_t *nr)
{
	struct vss_writer_status *copy = NULL;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, out);
	VSS_NEED(b->ctx, nr);
	vss__clear_error(b->ctx);
	pthread_mutex_lock(&b->lock);
	rc = status_ready(b);
	if (!rc && b->nr_status) {
		copy = malloc(b->nr_status * sizeof(*copy));
		if (copy)
			memcpy(copy, b->status, b->nr_status * sizeof(*copy));
		else
			rc = vss__set_error(b->ctx, -ENOMEM, VSS_E_OUTOFMEMORY,
					    NULL);
	}
	if (!rc) {
		*out = copy;
		*nr = b->nr_status;
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

VSS_EXPORT int vss_backup_free_writer_status(struct vss_backup *b)
{
	VSS_NEED(NULL, b);
	vss__clear_error(b->ctx);
	pthread_mutex_lock(&b->lock);
	free(b->status);
	b->status = NULL;
	b->nr_status = 0;
	b->has_status = false;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

VSS_EXPORT int vss_backup_get_writer_metadata_count(struct vss_backup *b,
						    unsigned int *count)
{
	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, count);
	return gathered_count(b, meta_ready, &b->nr_meta, count);
}

VSS_EXPORT int vss_backup_get_writer_metadata(struct vss_backup *b,
					      unsigned int index,
					      struct vss_writer_status *writer,
					      void **doc, size_t *len)
{
	const struct vss__wmeta *m;
	void *copy = NULL;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, writer);
	vss__clear_error(b->ctx);
	pthread_mutex_lock(&b->lock);
	rc = meta_ready(b);
	if (rc)
		goto out_unlock;
	if (index >= b->nr_meta) {
		rc = vss__set_error(b->ctx, -ENOENT, VSS_E_OBJECT_NOT_FOUND,
				    "writer index %u out of range (%zu writers)",
				    index, b->nr_meta);
		goto out_unlock;
	}
	m = &b->meta[index];
	if (doc && m->doc) {
		copy = malloc(m->len);
		if (!copy) {
			rc = vss__set_error(b->ctx, -ENOMEM, VSS_E_OUTOFMEMORY,
					    NULL);
			goto out_unlock;
		}
		memcpy(copy, m->doc, m->len);
	}
	*writer = m->st;
	if (doc)
		*doc = copy;
	if (len)
		*len = m->len;
out_unlock:
	pthread_mutex_unlock(&b->lock);
	return rc;
}
