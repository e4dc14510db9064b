// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - restore: recovery sets (AddSnapshotToRecoverySet, RecoverSet)
 * and the resyncs they start.
 *
 * The recovery set is kept by the object; AddSnapshotToRecoverySet has the
 * kernel validate each member at once (resync-start with "check"), and
 * RecoverSet sends the whole set in one resync-start, which starts every
 * member or none.  The resyncs then run in the kernel: the async handle of
 * RecoverSet has no thread of its own, it asks the kernel (resync-get by
 * destination) whenever it is waited on or queried.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define DUMP_RETRIES	5
#define POLL_MS		100

/* as in parse.c: attributes of the family's genl payload */
#define for_each_genl_attr(pos, nlh, rem)				\
	nla_for_each_attr(pos, genlmsg_attrdata(nlmsg_data(nlh), 0),	\
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)

/**
 * vss__parse_resync() - decode a resync (resync-get, resync events)
 * @nlh: message
 * @family: family id
 * @info: filled in (zeroed first)
 *
 * Return: 0 or -EBADMSG (LUN, snapshot id, destination and state are
 * required).
 */
int vss__parse_resync(const struct nlmsghdr *nlh, int family,
		      struct vss_resync_info *info)
{
	struct nlattr *tb[VSS_A_RESYNC_MAX + 1];
	struct vss_resync_info ri;
	uint32_t error = 0;

	memset(&ri, 0, sizeof(ri));
	if (vss__genl_parse(nlh, family, tb, VSS_A_RESYNC_MAX, NULL))
		return -EBADMSG;
	if (vss__attr_str(tb[VSS_A_RESYNC_LUN], ri.lun, sizeof(ri.lun)) ||
	    vss__attr_id(tb[VSS_A_RESYNC_SNAPSHOT_ID], &ri.snapshot_id) ||
	    vss__attr_str(tb[VSS_A_RESYNC_DESTINATION], ri.destination,
			  sizeof(ri.destination)) ||
	    vss__attr_u32(tb[VSS_A_RESYNC_STATE], &ri.state))
		return -EBADMSG;
	if ((tb[VSS_A_RESYNC_DONE_BYTES] &&
	     vss__attr_u64(tb[VSS_A_RESYNC_DONE_BYTES], &ri.done_bytes)) ||
	    (tb[VSS_A_RESYNC_TOTAL_BYTES] &&
	     vss__attr_u64(tb[VSS_A_RESYNC_TOTAL_BYTES], &ri.total_bytes)) ||
	    (tb[VSS_A_RESYNC_RATE] &&
	     vss__attr_u64(tb[VSS_A_RESYNC_RATE], &ri.rate)) ||
	    (tb[VSS_A_RESYNC_SPEED_MIN] &&
	     vss__attr_u64(tb[VSS_A_RESYNC_SPEED_MIN], &ri.speed_min)) ||
	    (tb[VSS_A_RESYNC_SPEED_MAX] &&
	     vss__attr_u64(tb[VSS_A_RESYNC_SPEED_MAX], &ri.speed_max)) ||
	    (tb[VSS_A_RESYNC_STARTED] &&
	     vss__attr_u64(tb[VSS_A_RESYNC_STARTED], &ri.started_ns)) ||
	    (tb[VSS_A_RESYNC_ERROR] &&
	     vss__attr_u32(tb[VSS_A_RESYNC_ERROR], &error)))
		return -EBADMSG;
	if (error > 4095)
		return -EBADMSG;
	ri.error = -(int)error;
	if (tb[VSS_A_RESYNC_SESSION_ID]) {
		if (vss__attr_id(tb[VSS_A_RESYNC_SESSION_ID], &ri.session_id))
			return -EBADMSG;
		ri.has_session_id = true;
	}
	if (tb[VSS_A_RESYNC_ACTIVATE_US] && tb[VSS_A_RESYNC_ELAPSED_US]) {
		if (vss__attr_u64(tb[VSS_A_RESYNC_ACTIVATE_US],
				  &ri.activate_us) ||
		    vss__attr_u64(tb[VSS_A_RESYNC_ELAPSED_US], &ri.elapsed_us))
			return -EBADMSG;
		ri.has_times = true;
	}
	*info = ri;
	return 0;
}

VSS_EXPORT const char *vss_resync_state_name(uint32_t state)
{
	switch (state) {
	case VSS_RESYNC_STATE_RUNNING:		return "running";
	case VSS_RESYNC_STATE_DONE:		return "done";
	case VSS_RESYNC_STATE_FAILED:		return "failed";
	case VSS_RESYNC_STATE_CANCELLED:	return "cancelled";
	default:				return "unknown";
	}
}

/* ---- queries and control by destination ---- */

static int resync_one_cb(const struct nlmsghdr *nlh, void *arg)
{
	return vss__parse_resync(nlh, nlh->nlmsg_type, arg);
}

static int check_dest(const struct vss_ctx *ctx, const char *dest)
{
	if (!dest[0] || strlen(dest) > VSS_PATH_MAX)
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "invalid destination");
	return 0;
}

VSS_EXPORT VSS_SYMVER("vss_resync_get@@LIBVSSCTL_1.7")
int vss__resync_get(struct vss_ctx *ctx, const char *destination,
		    struct vss_resync_info *info)
{
	struct vss_resync_info ri;
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, destination);
	VSS_NEED(ctx, info);
	vss__clear_error(ctx);
	rc = check_dest(ctx, destination);
	if (rc)
		return rc;
	req = vss__req_new(ctx, VSS_CMD_RESYNC_GET, 0);
	vss__put_str(&req, VSS_A_RESYNC_DESTINATION, destination);
	memset(&ri, 0, sizeof(ri));
	rc = vss__request(ctx, &req, resync_one_cb, &ri);
	if (rc)
		return rc;
	if (!ri.state)
		return vss__set_error(ctx, -EBADMSG, 0,
				      "the kernel did not reply with the resync");
	*info = ri;
	return 0;
}

struct resync_list {
	struct vss_resync_info *a;
	size_t nr, alloc;
};

static int resync_list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct resync_list *l = arg;
	struct vss_resync_info ri;
	int rc;

	rc = vss__parse_resync(nlh, nlh->nlmsg_type, &ri);
	if (rc)
		return rc;
	return vss__array_push((void **)&l->a, &l->nr, &l->alloc, sizeof(ri),
			       &ri);
}

VSS_EXPORT VSS_SYMVER("vss_resync_list@@LIBVSSCTL_1.7")
int vss__resync_list(struct vss_ctx *ctx, struct vss_resync_info **resyncs,
		     size_t *nr)
{
	int rc = -EAGAIN;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, resyncs);
	VSS_NEED(ctx, nr);
	vss__clear_error(ctx);
	for (int i = 0; i < DUMP_RETRIES && rc == -EAGAIN; i++) {
		struct resync_list l = { 0 };
		struct vss_req req = vss__req_new(ctx, VSS_CMD_RESYNC_GET,
						  NLM_F_DUMP);

		rc = vss__request(ctx, &req, resync_list_cb, &l);
		if (rc) {
			free(l.a);
			continue;
		}
		*resyncs = l.a;
		*nr = l.nr;
	}
	return rc;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0 when done, -ECANCELED, the failure's -errno, or 1 while running. */
static int resync_outcome(const struct vss_ctx *ctx,
			  const struct vss_resync_info *ri)
{
	switch (ri->state) {
	case VSS_RESYNC_STATE_DONE:
		return 0;
	case VSS_RESYNC_STATE_CANCELLED:
		return vss__set_error(ctx, -ECANCELED, VSS_S_ASYNC_CANCELLED,
				      "the resync onto %s was cancelled",
				      ri->destination);
	case VSS_RESYNC_STATE_FAILED:
		return vss__set_error(ctx, ri->error ? ri->error : -EIO,
				      VSS_E_UNEXPECTED,
				      "the resync onto %s failed: %s",
				      ri->destination,
				      strerror(ri->error ? -ri->error : EIO));
	default:
		return 1;
	}
}

VSS_EXPORT VSS_SYMVER("vss_resync_wait@@LIBVSSCTL_1.7")
int vss__resync_wait(struct vss_ctx *ctx, const char *destination,
		     int timeout_ms, struct vss_resync_info *info)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct vss_resync_info ri;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, destination);
	for (;;) {
		rc = vss__resync_get(ctx, destination, &ri);
		if (rc)
			return rc;
		if (info)
			*info = ri;
		rc = resync_outcome(ctx, &ri);
		if (rc <= 0)
			return rc;
		if (timeout_ms == 0 || (timeout_ms > 0 && now_ms() >= deadline))
			return vss__set_error(ctx, -ETIMEDOUT,
					      VSS_S_ASYNC_PENDING,
					      "the resync onto %s is still running",
					      ri.destination);
		sleep_ms(POLL_MS);
	}
}

/* ---- LIBVSSCTL_1.4: struct vss_resync_info before it grew ---- */

/* The layouts agree up to session_id; the v14 one ends there. */
_Static_assert(offsetof(struct vss_resync_info, session_id) ==
	       offsetof(struct vss_resync_info_v14, session_id),
	       "struct vss_resync_info_v14 is not a prefix of vss_resync_info");
#define RI_V14_BYTES	(offsetof(struct vss_resync_info_v14, session_id) + \
			 sizeof(vss_id_t))

static void to_v14(struct vss_resync_info_v14 *old,
		   const struct vss_resync_info *ri)
{
	memset(old, 0, sizeof(*old));
	memcpy(old, ri, RI_V14_BYTES);
}

VSS_EXPORT VSS_SYMVER("vss_resync_get@LIBVSSCTL_1.4")
int vss__resync_get_v14(struct vss_ctx *ctx, const char *destination,
			struct vss_resync_info_v14 *info)
{
	struct vss_resync_info ri;
	int rc;

	rc = vss__resync_get(ctx, destination, info ? &ri : NULL);
	if (!rc)
		to_v14(info, &ri);
	return rc;
}

VSS_EXPORT VSS_SYMVER("vss_resync_wait@LIBVSSCTL_1.4")
int vss__resync_wait_v14(struct vss_ctx *ctx, const char *destination,
			 int timeout_ms, struct vss_resync_info_v14 *info)
{
	struct vss_resync_info ri;
	int rc;

	memset(&ri, 0, sizeof(ri));
	rc = vss__resync_wait(ctx, destination, timeout_ms, info ? &ri : NULL);
	/* as the current version: @info holds the last state read, if any */
	if (info && ri.state)
		to_v14(info, &ri);
	return rc;
}

VSS_EXPORT VSS_SYMVER("vss_resync_list@LIBVSSCTL_1.4")
int vss__resync_list_v14(struct vss_ctx *ctx,
			 struct vss_resync_info_v14 **resyncs, size_t *nr)
{
	struct vss_resync_info *a = NULL;
	struct vss_resync_info_v14 *old;
	size_t n = 0;
	int rc;

	if (!resyncs || !nr)	/* the same argument errors */
		return vss__resync_list(ctx, resyncs ? &a : NULL, nr);
	rc = vss__resync_list(ctx, &a, &n);
	if (rc)
		return rc;
	old = n ? calloc(n, sizeof(*old)) : NULL;
	if (n && !old) {
		free(a);
		return vss__set_error(ctx, -ENOMEM, VSS_E_OUTOFMEMORY,
				      "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		to_v14(&old[i], &a[i]);
	free(a);
	*resyncs = old;
	*nr = n;
	return 0;
}

VSS_EXPORT VSS_SYMVER("vss_event_resync@LIBVSSCTL_1.4")
int vss__event_resync_v14(const struct vss_event *event,
			  struct vss_resync_info_v14 *out)
{
	struct vss_resync_info ri;
	int rc;

	if (!out)
		return -EINVAL;
	rc = vss__event_resync(event, &ri);
	if (!rc)
		to_v14(out, &ri);
	return rc;
}

VSS_EXPORT int vss_resync_cancel(struct vss_ctx *ctx, const char *destination)
{
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, destination);
	vss__clear_error(ctx);
	rc = check_dest(ctx, destination);
	if (rc)
		return rc;
	req = vss__req_new(ctx, VSS_CMD_RESYNC_CANCEL, 0);
	vss__put_str(&req, VSS_A_RESYNC_DESTINATION, destination);
	return vss__request(ctx, &req, NULL, NULL);
}

VSS_EXPORT int vss_resync_set_speed(struct vss_ctx *ctx,
				    const char *destination,
				    uint64_t speed_min, uint64_t speed_max)
{
	struct vss_req req;
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, destination);
	vss__clear_error(ctx);
	rc = check_dest(ctx, destination);
	if (rc)
		return rc;
	if (speed_max && speed_min > speed_max)
		return vss__set_error(ctx, -EINVAL, VSS_E_INVALIDARG,
				      "speed_max is below speed_min");
	req = vss__req_new(ctx, VSS_CMD_RESYNC_SET, 0);
	vss__put_str(&req, VSS_A_RESYNC_DESTINATION, destination);
	vss__put_u64(&req, VSS_A_RESYNC_SPEED_MIN, speed_min);
	vss__put_u64(&req, VSS_A_RESYNC_SPEED_MAX, speed_max);
	return vss__request(ctx, &req, NULL, NULL);
}

/* ---- the restore object ---- */

VSS_EXPORT int vss_backup_new_restore(struct vss_ctx *ctx,
				      struct vss_backup **out)
{
	int rc;

	VSS_NEED(NULL, ctx);
	VSS_NEED(ctx, out);
	rc = vss_backup_new(ctx, out);
	if (rc)
		return rc;
	(*out)->restore = true;
	return 0;
}

/* A restore object before RecoverSet, else VSS_E_BAD_STATE.  Locked. */
static int restore_check_locked(struct vss_backup *b)
{
	if (!b->restore)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				      "not a restore object (InitializeForRestore)");
	if (b->recovered)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				      "RecoverSet was already called on this object");
	return 0;
}

struct start_reply {
	size_t nr;
	char dests[VSS_SET_MAX_LUNS][64];
};

static int start_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct start_reply *r = arg;
	struct nlattr *tb[1];
	struct nlattr *a;
	int rem;

	if (vss__genl_parse(nlh, nlh->nlmsg_type, tb, 0, NULL))
		return -EBADMSG;
	for_each_genl_attr(a, nlh, rem) {
		struct nlattr *mt[VSS_A_RESYNC_MEMBER_MAX + 1];

		if (nla_type(a) != VSS_A_RESYNC_MEMBER)
			continue;
		if (r->nr == VSS_SET_MAX_LUNS ||
		    nla_parse_nested(mt, VSS_A_RESYNC_MEMBER_MAX, a, NULL) ||
		    vss__attr_str(mt[VSS_A_RESYNC_MEMBER_DESTINATION],
				  r->dests[r->nr], sizeof(r->dests[0])))
			return -EBADMSG;
		r->nr++;
	}
	return 0;
}

/* One resync-start on the object's socket: @nr members of @m. */
static int send_start(struct vss_backup *b,
		      const struct vss__recovery_member *m, size_t nr,
		      uint32_t flags, bool check, struct start_reply *r)
{
	struct vss_req req;
	struct nlattr *nest;
	size_t i;

	req = vss__req_new(b->ctx, VSS_CMD_RESYNC_START, 0);
	vss__put_id(&req, VSS_A_RESYNC_SESSION_ID, &b->session_id);
	if (flags)
		vss__put_u32(&req, VSS_A_RESYNC_FLAGS, flags);
	if (check)
		vss__put_flag(&req, VSS_A_RESYNC_CHECK);
	if (b->speed_min)
		vss__put_u64(&req, VSS_A_RESYNC_SPEED_MIN, b->speed_min);
	if (b->speed_max)
		vss__put_u64(&req, VSS_A_RESYNC_SPEED_MAX, b->speed_max);
	for (i = 0; i < nr && req.msg && !req.error; i++) {
		nest = nla_nest_start(req.msg, VSS_A_RESYNC_MEMBER);
		if (!nest) {
			req.error = -EMSGSIZE;
			break;
		}
		vss__put_id(&req, VSS_A_RESYNC_MEMBER_SNAPSHOT_ID,
			    &m[i].snapshot_id);
		if (m[i].destination)
			vss__put_str(&req, VSS_A_RESYNC_MEMBER_DESTINATION,
				     m[i].destination);
		nla_nest_end(req.msg, nest);
	}
	memset(r, 0, sizeof(*r));
	return vss__request_on(b->ctx, b->sk, &req, start_cb, r);
}

VSS_EXPORT int vss_backup_add_snapshot_to_recovery_set(struct vss_backup *b,
						       const vss_id_t *snapshot_id,
						       uint32_t flags,
						       const char *destination)
{
	struct vss__recovery_member m;
	struct start_reply *r;
	size_t i;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, snapshot_id);
	vss__clear_error(b->ctx);
	if (flags)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "AddSnapshotToRecoverySet flags are reserved and must be 0");
	if (destination && !destination[0])
		destination = NULL;
	if (destination && strlen(destination) > VSS_PATH_MAX)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "destination too long");
	pthread_mutex_lock(&b->lock);
	rc = restore_check_locked(b);
	if (!rc && b->nr_recovery == VSS_SET_MAX_LUNS)
		rc = vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				    "the recovery set is full (%d snapshots)",
				    VSS_SET_MAX_LUNS);
	pthread_mutex_unlock(&b->lock);
	if (rc)
		return rc;

	m.snapshot_id = *snapshot_id;
	m.destination = (char *)destination;
	r = malloc(sizeof(*r));
	if (!r)
		return vss__set_error(b->ctx, -ENOMEM, VSS_E_OUTOFMEMORY, NULL);
	rc = send_start(b, &m, 1, 0, true, r);
	if (!rc && r->nr != 1)
		rc = vss__set_error(b->ctx, -EBADMSG, 0,
				    "the kernel did not reply with the member");
	if (rc) {
		free(r);
		return rc;
	}
	/* the destination as the kernel names it: one member per destination */
	pthread_mutex_lock(&b->lock);
	rc = restore_check_locked(b);
	for (i = 0; !rc && i < b->nr_recovery; i++)
		if (!strcmp(b->recovery[i].dest_name, r->dests[0]))
			rc = vss__set_error(b->ctx, -EEXIST,
					    VSS_E_OBJECT_ALREADY_EXISTS,
					    "%s is already a destination in this recovery set",
					    r->dests[0]);
	if (!rc) {
		m.destination = destination ? strdup(destination) : NULL;
		memcpy(m.dest_name, r->dests[0], sizeof(m.dest_name));
		if (destination && !m.destination)
			rc = vss__set_error(b->ctx, -ENOMEM,
					    VSS_E_OUTOFMEMORY, NULL);
		else
			b->recovery[b->nr_recovery++] = m;
	}
	pthread_mutex_unlock(&b->lock);
	free(r);
	return rc;
}

VSS_EXPORT int vss_backup_set_recovery_speed(struct vss_backup *b,
					     uint64_t speed_min,
					     uint64_t speed_max)
{
	int rc;

	VSS_NEED(NULL, b);
	vss__clear_error(b->ctx);
	if (speed_max && speed_min > speed_max)
		return vss__set_error(b->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "speed_max is below speed_min");
	pthread_mutex_lock(&b->lock);
	rc = restore_check_locked(b);
	if (!rc) {
		b->speed_min = speed_min;
		b->speed_max = speed_max;
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

/*
 * RecoverSet failed at PreRestore (error @rc, HRESULT @hr): name the
 * writer and its message, read from the session's writer statuses.
 */
static int pre_restore_error(struct vss_backup *b, int rc, uint32_t hr)
{
	struct vss_writer_status *st = NULL;
	char msg[256];
	size_t nr = 0;

	snprintf(msg, sizeof(msg), "%s", vss_ctx_last_error_msg(b->ctx) ?: "");
	if (vss__writer_dump(b->ctx, NULL, &b->session_id, &st, &nr))
		nr = 0;
	for (size_t i = 0; i < nr; i++) {
		if (st[i].state != VSS_WRITER_STATE_FAILED_AT_PRE_RESTORE ||
		    st[i].hr_writer != hr)
			continue;
		rc = vss__set_error(b->ctx, rc, hr,
				    "%s: writer \"%s\" (%s): %s", msg,
				    st[i].name, vss_hresult_name(hr),
				    st[i].message[0] ? st[i].message :
				    "no message");
		free(st);
		return rc;
	}
	free(st);
	return vss__set_error(b->ctx, rc, hr, "%s", msg);
}

VSS_EXPORT int vss_backup_recover_set(struct vss_backup *b, uint32_t flags,
				      struct vss_async **out)
{
	struct start_reply *r;
	struct vss_async *a;
	size_t i;
	int rc;

	VSS_NEED(NULL, b);
	VSS_NEED(b->ctx, out);
	vss__clear_error(b->ctx);
	if (flags & ~(uint32_t)(VSS_RECOVERY_REVERT_IDENTITY_ALL |
				VSS_RECOVERY_NO_VOLUME_CHECK))
		return vss__set_error(b->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "unknown RecoverSet flags 0x%x", flags);
	r = malloc(sizeof(*r));
	a = calloc(1, sizeof(*a));
	if (!r || !a) {
		free(r);
		free(a);
		return vss__set_error(b->ctx, -ENOMEM, VSS_E_OUTOFMEMORY, NULL);
	}
	pthread_mutex_lock(&b->lock);
	rc = restore_check_locked(b);
	if (!rc && !b->nr_recovery)
		rc = vss__set_error(b->ctx, -EINVAL, VSS_E_BAD_STATE,
				    "the recovery set is empty");
	if (!rc) {
		b->recovered = true;	/* single use, whatever the outcome */
		rc = send_start(b, b->recovery, b->nr_recovery, flags, false,
				r);
		if (!rc && r->nr != b->nr_recovery)
			rc = vss__set_error(b->ctx, -EBADMSG, 0,
					    "the kernel replied with %zu of %zu resyncs",
					    r->nr, b->nr_recovery);
	}
	pthread_mutex_unlock(&b->lock);
	if (rc == -EIO || rc == -ETIMEDOUT) {
		uint32_t hr = vss_ctx_last_hresult(b->ctx);

		if (hr == VSS_E_WRITER_NOT_RESPONDING ||
		    (hr >= VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT &&
		     hr <= VSS_E_WRITERERROR_RECOVERY_FAILED))
			rc = pre_restore_error(b, rc, hr);
	}
	if (rc) {
		free(r);
		free(a);
		return rc;
	}
	a->ctx = vss_ctx_ref(b->ctx);
	a->session_id = b->session_id;
	a->recovery = true;
	a->nr_dests = r->nr;
	for (i = 0; i < r->nr; i++)
		memcpy(a->dests[i], r->dests[i], sizeof(a->dests[i]));
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	free(r);
	*out = a;
	return 0;
}

/* ---- the RecoverSet handle (called by the vss_async_*() functions) ---- */

/*
 * Looks at every destination once: 1 while any runs; else 0, or the first
 * failure (-errno, HRESULT and message recorded in @a), or -ECANCELED.
 */
static int recovery_poll(struct vss_async *a, uint64_t *done, uint64_t *total)
{
	struct vss_resync_info ri;
	int rc, outcome = 0, cancelled = 0;
	bool running = false;

	if (done)
		*done = 0;
	if (total)
		*total = 0;
	for (size_t i = 0; i < a->nr_dests; i++) {
		rc = vss__resync_get(a->ctx, a->dests[i], &ri);
		if (rc)
			return rc;
		if (done)
			*done += ri.done_bytes;
		if (total)
			*total += ri.total_bytes;
		rc = resync_outcome(a->ctx, &ri);
		if (rc == 1)
			running = true;
		else if (rc == -ECANCELED)
			cancelled = 1;
		else if (rc && !outcome) {
			outcome = rc;
			pthread_mutex_lock(&a->lock);
			a->hr = vss_ctx_last_hresult(a->ctx);
			snprintf(a->msg, sizeof(a->msg), "%s",
				 vss_ctx_last_error_msg(a->ctx) ?: "");
			pthread_mutex_unlock(&a->lock);
		}
	}
	if (running)
		return 1;
	if (!outcome && cancelled)
		outcome = -ECANCELED;
	pthread_mutex_lock(&a->lock);
	a->done = true;
	a->result = outcome;
	pthread_mutex_unlock(&a->lock);
	return outcome;
}

/**
 * vss__recovery_wait() - vss_async_wait() of a RecoverSet handle
 * @a: the handle
 * @timeout_ms: as vss_async_wait()
 *
 * Return: as vss_async_wait().
 */
int vss__recovery_wait(struct vss_async *a, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int rc;

	for (;;) {
		rc = recovery_poll(a, NULL, NULL);
		if (rc != 1) {
			if (!a->done)
				return rc;	/* could not ask the kernel */
			vss__clear_error(a->ctx);
			return 0;	/* ended: the status says how */
		}
		if (timeout_ms == 0 || (timeout_ms > 0 && now_ms() >= deadline))
			return vss__set_error(a->ctx, -ETIMEDOUT,
					      VSS_S_ASYNC_PENDING,
					      "the resyncs are still running");
		sleep_ms(POLL_MS);
	}
}

/**
 * vss__recovery_cancel() - vss_async_cancel() of a RecoverSet handle
 * @a: the handle
 *
 * Return: as vss_async_cancel().
 */
int vss__recovery_cancel(struct vss_async *a)
{
	int rc, first = 0, any = 0;

	rc = recovery_poll(a, NULL, NULL);
	if (rc != 1 && a->done)
		return vss__set_error(a->ctx, -EALREADY,
				      a->result == -ECANCELED ?
				      VSS_S_ASYNC_CANCELLED :
				      VSS_S_ASYNC_FINISHED,
				      "the operation has already ended");
	for (size_t i = 0; i < a->nr_dests; i++) {
		rc = vss_resync_cancel(a->ctx, a->dests[i]);
		if (!rc)
			any = 1;
		else if (rc != -EALREADY && !first)
			first = rc;
	}
	if (any) {
		vss__clear_error(a->ctx);
		return 0;
	}
	return first ? first : vss__set_error(a->ctx, -EALREADY,
					      VSS_S_ASYNC_FINISHED,
					      "the operation has already ended");
}

/**
 * vss__recovery_status() - vss_async_query_status() of a RecoverSet handle
 * @a: the handle
 * @hr: as vss_async_query_status()
 * @result: as vss_async_query_status()
 *
 * Return: 0, or -errno when the kernel could not be asked.
 */
int vss__recovery_status(struct vss_async *a, uint32_t *hr, int *result)
{
	int rc = recovery_poll(a, NULL, NULL);

	if (rc == 1) {
		*hr = VSS_S_ASYNC_PENDING;
		if (result)
			*result = -EINPROGRESS;
		vss__clear_error(a->ctx);
		return 0;
	}
	if (!a->done)
		return rc;
	if (!a->result) {
		*hr = VSS_S_ASYNC_FINISHED;
		vss__clear_error(a->ctx);
	} else if (a->result == -ECANCELED) {
		*hr = VSS_S_ASYNC_CANCELLED;
		vss__set_error(a->ctx, a->result, VSS_S_ASYNC_CANCELLED,
			       "the recovery was cancelled");
	} else {
		*hr = a->hr ? a->hr : VSS_E_UNEXPECTED;
		vss__set_error(a->ctx, a->result, a->hr, "%s", a->msg);
	}
	if (result)
		*result = a->result;
	return 0;
}

VSS_EXPORT int vss_async_get_progress(struct vss_async *a,
				      uint64_t *done_bytes,
				      uint64_t *total_bytes)
{
	uint64_t done, total;
	int rc;

	VSS_NEED(NULL, a);
	vss__clear_error(a->ctx);
	if (!a->recovery)
		return vss__set_error(a->ctx, -EINVAL, VSS_E_INVALIDARG,
				      "this operation reports no progress");
	rc = recovery_poll(a, &done, &total);
	if (rc < 0 && !a->done)
		return rc;
	vss__clear_error(a->ctx);
	if (done_bytes)
		*done_bytes = done;
	if (total_bytes)
		*total_bytes = total;
	return 0;
}
