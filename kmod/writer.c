// SPDX-License-Identifier: GPL-2.0
/*
 * vss writers and the writer protocol of a session.
 *
 * A writer is registered over netlink and bound to the port id of the
 * registering socket: the socket's release (NETLINK_URELEASE) unregisters
 * it at once, as it ends a requester's session.  Each registration gets a
 * new instance id and a serial number, the registration order.
 *
 * A session's writer side (struct vss_wsession) keeps one record (struct
 * vss_wrec) per writer that took part in the session: its VSS_WRITER_STATE,
 * its failure (hrWriter, hrApplication, message), its Identify metadata,
 * and the event in flight.  Records outlive their writer (a writer that
 * died mid-freeze stays in the session's status as not responding) and
 * the writer keeps a reference to its last record for "writer list".
 *
 * Events go to the writer's socket through the events interface; a reply
 * (writer-reply, only from the registering socket) is matched to its
 * record by session id, event and sequence number, and only while the
 * kernel still waits for it.  Every wait is bounded by the writer's event
 * timeout and ends at once when the writer dies, when the session is
 * aborted, when the caller is killed, or when a frozen writer's
 * Freeze->Thaw window passes: a timer per session wakes the waiters at the
 * earliest window end, and session.c then thaws and releases everything.
 *
 * Phases that go to several writers send every event first and then wait
 * for all replies; Freeze goes to one writer after the other in
 * registration order, Thaw in reverse order.
 *
 * Restores: RecoverSet sends PreRestore, from the requester's session, to
 * the allowed writers with a LUN among the recovery set's destination
 * LUNs (a veto starts no resync).  The writers that took it are kept in a
 * restore group (struct vss_wrestore) that the RecoverSet request and
 * each resync it started hold; when the last resync ended, a worker of
 * this file sends PostRestore, with the outcome, through a private
 * wsession of its own (the requester may be long gone), so that replies,
 * deadlines and statuses work as in any session.
 *
 * Locking: vss_writer_mutex protects the writer list, each writer's @dead,
 * @recs and @last, and every record's fields except where noted.  It is
 * never held while sending an event or waiting.  The phases of one session
 * are serialised by the session's mutex (session.c), which also protects
 * the @sel, @involved and filter fields of its records and wsession.
 * Order: session mutex -> vss_writer_mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-writer: " fmt

#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "events.h"
#include "writer.h"

static unsigned int writer_event_timeout_ms = 30000;
module_param(writer_event_timeout_ms, uint, 0644);
MODULE_PARM_DESC(writer_event_timeout_ms,
		 "Default time a writer has to answer an event, in ms (default 30000), for writers that registered without their own");

static unsigned int writer_freeze_max_ms = 300000;
module_param(writer_freeze_max_ms, uint, 0644);
MODULE_PARM_DESC(writer_freeze_max_ms,
		 "Hard cap of a writer's Freeze->Thaw window in ms (default 300000): a registration asking for more is refused");

static bool writer_timing;
module_param(writer_timing, bool, 0644);
MODULE_PARM_DESC(writer_timing,
		 "Log, at the end of each snapshot set, when each writer's Freeze and Thaw were sent, handed to its socket, answered and seen answered (CLOCK_MONOTONIC ns; make bench W8)");

#define VSS_WRITER_FREEZE_DEFAULT_MS	60000
#define VSS_WSESSION_MAX_FILTER		64

/**
 * struct vss_writer - a registered writer
 * @node: on vss_writers, in registration order
 * @kref: lifetime; the list and every record hold one
 * @serial: registration order; immutable
 * @instance_id: new at every registration; immutable
 * @p: what it registered with; immutable
 * @portid: the registering socket; immutable
 * @dead: unregistered (socket closed, or writer-unregister)
 * @recs: its records in sessions still alive (vss_wrec.w_node)
 * @last: its record in the last session it took part in, referenced
 */
struct vss_writer {
	struct list_head node;
	struct kref kref;
	u64 serial;
	uuid_t instance_id;
	struct vss_writer_params p;
	u32 portid;
	bool dead;
	struct list_head recs;
	struct vss_wrec *last;
};

/**
 * struct vss_wtiming - one Freeze or Thaw round trip (writer_timing)
 * @send: vss_wrec_send() called
 * @sent: the event handed to the writer's socket
 * @reply: the reply accepted by vss_writer_answer() (0: none)
 * @resume: the set's wait saw the outcome
 */
struct vss_wtiming {
	ktime_t send;
	ktime_t sent;
	ktime_t reply;
	ktime_t resume;
};

/**
 * struct vss_wrec - a writer in one session
 * @kref: lifetime; the wsession's list and the writer's @last hold one
 * @ws_node: on the wsession's @recs, in registration order of the writers
 * @w_node: on the writer's @recs while the wsession is alive
 * @w: the writer, referenced
 * @ws: the wsession; NULL once it was released
 * @session_id: the session
 * @state: enum vss_writer_state
 * @hr_writer: recorded failure
 * @hr_application: the application's code
 * @message: the failure's message
 * @metadata: Identify metadata document, or NULL
 * @metadata_len: its length
 * @ev: event in flight
 * @seq: its number
 * @deadline: when the kernel stops waiting for its reply (jiffies)
 * @waiting: a reply to @ev/@seq is awaited
 * @replied: it arrived: the rep_* fields hold it
 * @rep_hr: the reply's hr_writer
 * @rep_app: its hr_application
 * @rep_non_fatal: its non-fatal flag
 * @rep_msg: its message
 * @rep_metadata: its metadata (Identify), owned
 * @rep_metadata_len: length of @rep_metadata
 * @sel: chosen for the phase running (session mutex)
 * @involved: takes part in the session's snapshot set (session mutex)
 * @freeze_sent: was sent Freeze in this set
 * @freeze_vetoed: failed its Freeze (so it is not frozen: no Abort)
 * @thaw_sent: was sent Thaw in this set
 * @frozen: between Freeze sent and Thaw answered: its window runs
 * @window_end: end of its Freeze->Thaw window (jiffies)
 * @got_events: was sent at least one event in this session
 * @replied_at: when the reply to @ev arrived (writer_timing)
 * @t: Freeze ([0]) and Thaw ([1]) of the last set: sent, handed to the
 *	socket, answered, seen answered by the set (writer_timing; session
 *	mutex)
 */
struct vss_wrec {
	struct kref kref;
	struct list_head ws_node;
	struct list_head w_node;
	struct vss_writer *w;
	struct vss_wsession *ws;
	uuid_t session_id;
	u32 state;
	u32 hr_writer;
	u32 hr_application;
	char message[VSS_WRITER_MSG_LEN];
	void *metadata;
	u32 metadata_len;
	u32 ev;
	u32 seq;
	unsigned long deadline;
	bool waiting;
	bool replied;
	u32 rep_hr;
	u32 rep_app;
	bool rep_non_fatal;
	char rep_msg[VSS_WRITER_MSG_LEN];
	void *rep_metadata;
	u32 rep_metadata_len;
	bool sel;
	bool involved;
	bool freeze_sent;
	bool freeze_vetoed;
	bool thaw_sent;
	bool frozen;
	unsigned long window_end;
	bool got_events;
	ktime_t replied_at;
	struct vss_wtiming t[2];
};

/**
 * struct vss_wsession - the writer side of one requester session
 * @kref: lifetime; the session holds one, queries take more
 * @session_id: the session
 * @recs: its records (vss_wrec.ws_node), in writer registration order
 * @gen: bumped on every reply or writer death that concerns it (atomic)
 * @dis_cls: DisableWriterClasses (session mutex)
 * @n_dis_cls: entries of @dis_cls
 * @en_cls: EnableWriterClasses (session mutex)
 * @n_en_cls: entries of @en_cls
 * @dis_inst: DisableWriterInstances (session mutex)
 * @n_dis_inst: entries of @dis_inst
 * @set_id: the snapshot set running (session mutex)
 * @timer: fires at the earliest Freeze->Thaw window end
 * @window_min: that end, valid while @window_armed (lockless reads)
 * @window_armed: a frozen writer's window runs (lockless reads)
 * @frozen_died: a frozen writer went away (lockless reads)
 * @wake: called by @timer and on a frozen writer's death, to wake the
 *	session's own waits (fs freeze, I/O hold)
 * @wake_arg: its argument
 * @released: the session is gone
 * @restore: a restore group's PostRestore (no BackupShutdown); immutable
 * @restore_state: PostRestore's outcome, enum vss_resync_state; immutable
 * @restore_error: errno of a failed resync, or 0; immutable
 */
struct vss_wsession {
	struct kref kref;
	uuid_t session_id;
	struct list_head recs;
	atomic_t gen;
	uuid_t dis_cls[VSS_WSESSION_MAX_FILTER];
	unsigned int n_dis_cls;
	uuid_t en_cls[VSS_WSESSION_MAX_FILTER];
	unsigned int n_en_cls;
	uuid_t dis_inst[VSS_WSESSION_MAX_FILTER];
	unsigned int n_dis_inst;
	uuid_t set_id;
	struct timer_list timer;
	unsigned long window_min;
	bool window_armed;
	bool frozen_died;
	void (*wake)(void *arg);
	void *wake_arg;
	bool released;
	bool restore;
	u32 restore_state;
	u32 restore_error;
};

static LIST_HEAD(vss_writers);
static DEFINE_MUTEX(vss_writer_mutex);
static u64 vss_writer_serial;		/* under vss_writer_mutex */
static u32 vss_writer_seq;		/* under vss_writer_mutex */
/* woken on every reply and writer death; waiters check their wsession */
static DECLARE_WAIT_QUEUE_HEAD(vss_writer_wq);

static void vss_writer_free(struct kref *kref)
{
	kfree(container_of(kref, struct vss_writer, kref));
}

static void vss_writer_put(struct vss_writer *w)
{
	kref_put(&w->kref, vss_writer_free);
}

static void vss_wrec_free(struct kref *kref)
{
	struct vss_wrec *rec = container_of(kref, struct vss_wrec, kref);

	vss_writer_put(rec->w);
	kfree(rec->metadata);
	kfree(rec->rep_metadata);
	kfree(rec);
}

static void vss_wrec_put(struct vss_wrec *rec)
{
	if (rec)
		kref_put(&rec->kref, vss_wrec_free);
}

static void vss_wsession_free(struct kref *kref)
{
	kfree(container_of(kref, struct vss_wsession, kref));
}

static void vss_wsession_put(struct vss_wsession *ws)
{
	kref_put(&ws->kref, vss_wsession_free);
}

/* The state a successful answer to @ev leads to. */
static u32 vss_writer_next_state(u32 ev, u32 cur)
{
	switch (ev) {
	case VSS_WRITER_EVENT_PREPARE_SNAPSHOT:
		return VSS_WRITER_STATE_WAITING_FOR_FREEZE;
	case VSS_WRITER_EVENT_FREEZE:
		return VSS_WRITER_STATE_WAITING_FOR_THAW;
	case VSS_WRITER_EVENT_THAW:
		return VSS_WRITER_STATE_WAITING_FOR_POST_SNAPSHOT;
	case VSS_WRITER_EVENT_POST_SNAPSHOT:
		return VSS_WRITER_STATE_WAITING_FOR_BACKUP_COMPLETE;
	default:
		return VSS_WRITER_STATE_STABLE;
	}
}

/* The state a failure in the phase of @ev leads to. */
static u32 vss_writer_failed_state(u32 ev)
{
	switch (ev) {
	case VSS_WRITER_EVENT_IDENTIFY:
		return VSS_WRITER_STATE_FAILED_AT_IDENTIFY;
	case VSS_WRITER_EVENT_PREPARE_BACKUP:
		return VSS_WRITER_STATE_FAILED_AT_PREPARE_BACKUP;
	case VSS_WRITER_EVENT_PREPARE_SNAPSHOT:
		return VSS_WRITER_STATE_FAILED_AT_PREPARE_SNAPSHOT;
	case VSS_WRITER_EVENT_FREEZE:
		return VSS_WRITER_STATE_FAILED_AT_FREEZE;
	case VSS_WRITER_EVENT_THAW:
		return VSS_WRITER_STATE_FAILED_AT_THAW;
	case VSS_WRITER_EVENT_POST_SNAPSHOT:
		return VSS_WRITER_STATE_FAILED_AT_POST_SNAPSHOT;
	case VSS_WRITER_EVENT_BACKUP_COMPLETE:
		return VSS_WRITER_STATE_FAILED_AT_BACKUP_COMPLETE;
	case VSS_WRITER_EVENT_BACKUP_SHUTDOWN:
		return VSS_WRITER_STATE_FAILED_AT_BACKUPSHUTDOWN;
	case VSS_WRITER_EVENT_PRE_RESTORE:
		return VSS_WRITER_STATE_FAILED_AT_PRE_RESTORE;
	case VSS_WRITER_EVENT_POST_RESTORE:
		return VSS_WRITER_STATE_FAILED_AT_POST_RESTORE;
	}
	return VSS_WRITER_STATE_UNKNOWN;
}

static bool vss_writer_state_failed(u32 state)
{
	return state >= VSS_WRITER_STATE_FAILED_AT_IDENTIFY;
}

/* Fill @info from @w and, if not NULL, @rec.  Caller holds the mutex. */
static void vss_writer_fill(struct vss_writer *w, struct vss_wrec *rec,
			    struct vss_writer_info *info)
{
	unsigned int i;

	memset(info, 0, sizeof(*info));
	info->instance_id = w->instance_id;
	info->class_id = w->p.class_id;
	strscpy(info->name, w->p.name, sizeof(info->name));
	info->nr_luns = w->p.nr_luns;
	for (i = 0; i < w->p.nr_luns; i++)
		strscpy(info->luns[i], w->p.luns[i], sizeof(info->luns[i]));
	info->event_timeout_ms = w->p.event_timeout_ms;
	info->freeze_timeout_ms = w->p.freeze_timeout_ms;
	info->portid = w->portid;
	info->registered = !w->dead;
	if (!rec)
		return;
	info->has_status = true;
	info->session_id = rec->session_id;
	info->state = rec->state;
	info->hr_writer = rec->hr_writer;
	info->hr_application = rec->hr_application;
	strscpy(info->message, rec->message, sizeof(info->message));
}

/**
 * vss_writer_register() - register a writer bound to a socket
 * @portid: the registering socket's port id
 * @p: name, class id, LUNs and timeouts
 * @info: filled with the new writer
 * @extack: reason of a failure
 *
 * Context: process.
 * Return: 0, -EINVAL (bad parameters), -ERANGE (window above the cap),
 * -ENOMEM.
 */
int vss_writer_register(u32 portid, const struct vss_writer_params *p,
			struct vss_writer_info *info,
			struct netlink_ext_ack *extack)
{
	unsigned int cap = READ_ONCE(writer_freeze_max_ms);
	struct vss_writer *w;
	unsigned int i, j;

	if (!p->name[0]) {
		NL_SET_ERR_MSG(extack, "A writer needs a name");
		return -EINVAL;
	}
	if (!p->nr_luns) {
		NL_SET_ERR_MSG(extack, "A writer needs at least one LUN");
		return -EINVAL;
	}
	for (i = 0; i < p->nr_luns; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(p->luns[i], p->luns[j])) {
				NL_SET_ERR_MSG(extack, "A LUN is named twice");
				return -EINVAL;
			}
	if (p->freeze_timeout_ms > cap ||
	    (!p->freeze_timeout_ms && VSS_WRITER_FREEZE_DEFAULT_MS > cap)) {
		NL_SET_ERR_MSG(extack,
			       "Freeze->Thaw window above the module's cap (writer_freeze_max_ms)");
		return -ERANGE;
	}

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	kref_init(&w->kref);
	INIT_LIST_HEAD(&w->recs);
	w->p = *p;
	if (!w->p.event_timeout_ms)
		w->p.event_timeout_ms = clamp_t(u32,
						READ_ONCE(writer_event_timeout_ms),
						VSS_WRITER_TIMEOUT_MIN_MS,
						VSS_WRITER_TIMEOUT_MAX_MS);
	if (!w->p.freeze_timeout_ms)
		w->p.freeze_timeout_ms = VSS_WRITER_FREEZE_DEFAULT_MS;
	w->portid = portid;
	uuid_gen(&w->instance_id);

	mutex_lock(&vss_writer_mutex);
	w->serial = ++vss_writer_serial;
	list_add_tail(&w->node, &vss_writers);
	vss_writer_fill(w, NULL, info);
	mutex_unlock(&vss_writer_mutex);
	vss_event_objects_changed();
	pr_info("writer \"%s\" %pUb registered (port %u, %u LUNs, reply %u ms, window %u ms)\n",
		w->p.name, &w->instance_id, portid, w->p.nr_luns,
		w->p.event_timeout_ms, w->p.freeze_timeout_ms);
	return 0;
}

/* Find a registered writer.  Caller holds the mutex. */
static struct vss_writer *vss_writer_lookup(const uuid_t *id)
{
	struct vss_writer *w;

	list_for_each_entry(w, &vss_writers, node)
		if (uuid_equal(&w->instance_id, id))
			return w;
	return NULL;
}

/*
 * Unregister @w: waits for its replies end at once (not responding), a
 * session where it was frozen is told.  Caller holds the mutex; returns
 * the writer's last record for the caller to put after unlocking, and
 * drops the list's reference on @w (the caller must hold another).
 */
static struct vss_wrec *vss_writer_kill_locked(struct vss_writer *w)
{
	struct vss_wrec *rec, *last;

	w->dead = true;
	list_del_init(&w->node);
	list_for_each_entry(rec, &w->recs, w_node) {
		void (*wake)(void *arg);

		if (!rec->ws)
			continue;
		/* @wake is cleared under this mutex before its session goes */
		wake = rec->ws->wake;
		if (rec->frozen) {
			WRITE_ONCE(rec->ws->frozen_died, true);
			if (wake)
				wake(rec->ws->wake_arg);
		}
		atomic_inc(&rec->ws->gen);
	}
	last = w->last;
	w->last = NULL;
	return last;
}

static void vss_writer_killed(struct vss_writer *w, struct vss_wrec *last)
{
	wake_up_all(&vss_writer_wq);
	vss_event_objects_changed();
	pr_info("writer \"%s\" %pUb unregistered\n", w->p.name,
		&w->instance_id);
	vss_wrec_put(last);
	vss_writer_put(w);	/* the list's reference */
}

/**
 * vss_writer_unregister() - writer-unregister
 * @portid: the requesting socket
 * @instance_id: the writer
 * @extack: reason of a failure
 *
 * Context: process.
 * Return: 0, -ENOENT, or -EPERM from another socket than the writer's.
 */
int vss_writer_unregister(u32 portid, const uuid_t *instance_id,
			  struct netlink_ext_ack *extack)
{
	struct vss_writer *w;
	struct vss_wrec *last;

	mutex_lock(&vss_writer_mutex);
	w = vss_writer_lookup(instance_id);
	if (!w) {
		mutex_unlock(&vss_writer_mutex);
		NL_SET_ERR_MSG(extack, "No such writer");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	if (w->portid != portid) {
		mutex_unlock(&vss_writer_mutex);
		NL_SET_ERR_MSG(extack,
			       "Only the socket that registered the writer may unregister it");
		return -EPERM;
	}
	last = vss_writer_kill_locked(w);
	mutex_unlock(&vss_writer_mutex);
	vss_writer_killed(w, last);
	return 0;
}

/**
 * vss_writer_answer() - writer-reply: a writer answers an event
 * @r: the reply
 * @extack: reason of a refusal
 *
 * Context: process.
 * Return: 0; -ENOENT (no such writer); -EPERM (not the writer's socket);
 * -EINVAL (metadata too long); -ETIMEDOUT when the event is not awaited
 * (any more): its deadline passed, it was answered, or the session ended;
 * -ENOMEM.
 */
int vss_writer_answer(const struct vss_writer_reply *r,
		      struct netlink_ext_ack *extack)
{
	struct vss_writer *w;
	struct vss_wrec *rec;
	void *md = NULL;
	int ret = -ETIMEDOUT;

	if (r->metadata_len > VSS_WRITER_METADATA_MAX) {
		NL_SET_ERR_MSG(extack, "Metadata document too long");
		return -EINVAL;
	}
	if (r->metadata && r->metadata_len) {
		md = kmemdup(r->metadata, r->metadata_len, GFP_KERNEL);
		if (!md)
			return -ENOMEM;
	}

	mutex_lock(&vss_writer_mutex);
	w = vss_writer_lookup(&r->instance_id);
	if (!w) {
		NL_SET_ERR_MSG(extack, "No such writer");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		ret = -ENOENT;
		goto out_unlock;
	}
	if (w->portid != r->portid) {
		NL_SET_ERR_MSG(extack,
			       "Only the socket that registered the writer may answer its events");
		ret = -EPERM;
		goto out_unlock;
	}
	/* not waited for: accepted and ignored */
	if (r->event == VSS_WRITER_EVENT_ABORT ||
	    r->event == VSS_WRITER_EVENT_BACKUP_SHUTDOWN) {
		ret = 0;
		goto out_unlock;
	}
	list_for_each_entry(rec, &w->recs, w_node) {
		if (!rec->ws || !uuid_equal(&rec->session_id, &r->session_id) ||
		    !rec->waiting || rec->replied || rec->ev != r->event ||
		    rec->seq != r->seq)
			continue;
		if (time_after_eq(jiffies, rec->deadline))
			break;
		rec->replied = true;
		rec->replied_at = ktime_get();
		rec->rep_hr = r->hr_writer;
		rec->rep_app = r->hr_application;
		rec->rep_non_fatal = r->non_fatal;
		strscpy(rec->rep_msg, r->message ?: "", sizeof(rec->rep_msg));
		kfree(rec->rep_metadata);
		rec->rep_metadata = md;
		rec->rep_metadata_len = md ? r->metadata_len : 0;
		md = NULL;
		atomic_inc(&rec->ws->gen);
		ret = 0;
		break;
	}
	if (ret == -ETIMEDOUT)
		NL_SET_ERR_MSG(extack,
			       "The event is not awaited: its deadline passed, it was answered, or its session ended");

out_unlock:
	mutex_unlock(&vss_writer_mutex);
	kfree(md);
	if (!ret)
		wake_up_all(&vss_writer_wq);
	return ret;
}

/**
 * vss_writer_any() - is any writer registered?
 *
 * A hint (a writer may register right after): lets RecoverSet skip its
 * PreRestore preparation when there is nobody to tell.
 *
 * Context: process.
 * Return: true if at least one writer is registered.
 */
bool vss_writer_any(void)
{
	bool any;

	mutex_lock(&vss_writer_mutex);
	any = !list_empty(&vss_writers);
	mutex_unlock(&vss_writer_mutex);
	return any;
}

/**
 * vss_writer_get_info() - one registered writer and its last status
 * @instance_id: the writer
 * @info: filled in
 * @extack: reason of a failure
 *
 * Context: process.
 * Return: 0 or -ENOENT.
 */
int vss_writer_get_info(const uuid_t *instance_id, struct vss_writer_info *info,
			struct netlink_ext_ack *extack)
{
	struct vss_writer *w;
	int ret = 0;

	mutex_lock(&vss_writer_mutex);
	w = vss_writer_lookup(instance_id);
	if (w)
		vss_writer_fill(w, w->last, info);
	mutex_unlock(&vss_writer_mutex);
	if (!w) {
		NL_SET_ERR_MSG(extack, "No such writer");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		ret = -ENOENT;
	}
	return ret;
}

/**
 * vss_writer_next_info() - iterate registered writers in registration order
 * @cursor: 0 to start; advanced past the writer returned
 * @info: filled with the writer and the status of its last session
 *
 * Context: process.
 * Return: 0, or -ENOENT after the last writer.
 */
int vss_writer_next_info(u64 *cursor, struct vss_writer_info *info)
{
	struct vss_writer *w;
	int ret = -ENOENT;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(w, &vss_writers, node) {
		if (w->serial > *cursor) {
			vss_writer_fill(w, w->last, info);
			*cursor = w->serial;
			ret = 0;
			break;
		}
	}
	mutex_unlock(&vss_writer_mutex);
	return ret;
}

/* ---- the writer side of a session ---- */

static void vss_wsession_timer(struct timer_list *t)
{
	struct vss_wsession *ws = from_timer(ws, t, timer);
	void (*wake)(void *arg) = READ_ONCE(ws->wake);

	/*
	 * The waiters compare jiffies with the window end themselves.  @wake
	 * is cleared before del_timer_sync() when the set ends.
	 */
	wake_up_all(&vss_writer_wq);
	if (wake)
		wake(ws->wake_arg);
}

/**
 * vss_wsession_new() - the writer side of a new session
 * @session_id: the session
 *
 * Context: process.
 * Return: the wsession (one reference), or NULL when out of memory.
 */
struct vss_wsession *vss_wsession_new(const uuid_t *session_id)
{
	struct vss_wsession *ws = kzalloc(sizeof(*ws), GFP_KERNEL);

	if (!ws)
		return NULL;
	kref_init(&ws->kref);
	ws->session_id = *session_id;
	INIT_LIST_HEAD(&ws->recs);
	atomic_set(&ws->gen, 0);
	timer_setup(&ws->timer, vss_wsession_timer, 0);
	return ws;
}

/**
 * vss_wsession_get() - take a reference
 * @ws: wsession
 *
 * Context: any.
 */
void vss_wsession_get(struct vss_wsession *ws)
{
	kref_get(&ws->kref);
}

/**
 * vss_wsession_unref() - drop a reference taken with vss_wsession_get()
 * @ws: wsession, may be NULL
 *
 * Context: process.
 */
void vss_wsession_unref(struct vss_wsession *ws)
{
	if (ws)
		vss_wsession_put(ws);
}

static bool vss_wsession_allows(struct vss_wsession *ws, struct vss_writer *w)
{
	unsigned int i;
	bool enabled = !ws->n_en_cls;

	for (i = 0; i < ws->n_dis_inst; i++)
		if (uuid_equal(&ws->dis_inst[i], &w->instance_id))
			return false;
	for (i = 0; i < ws->n_dis_cls; i++)
		if (uuid_equal(&ws->dis_cls[i], &w->p.class_id))
			return false;
	for (i = 0; i < ws->n_en_cls; i++)
		if (uuid_equal(&ws->en_cls[i], &w->p.class_id))
			enabled = true;
	return enabled;
}

/**
 * vss_wsession_filter() - Disable/EnableWriterClasses, DisableWriterInstances
 * @ws: wsession
 * @mode: enum vss_writer_filter
 * @ids: class or instance ids
 * @nr: entries of @ids
 * @extack: reason of a failure
 *
 * Context: process, session mutex held.
 * Return: 0, -EINVAL or -E2BIG (more than 64 ids of a kind).
 */
int vss_wsession_filter(struct vss_wsession *ws, u32 mode, const uuid_t *ids,
			unsigned int nr, struct netlink_ext_ack *extack)
{
	unsigned int *n, i;
	uuid_t *list;

	switch (mode) {
	case VSS_WRITER_FILTER_DISABLE_CLASSES:
		list = ws->dis_cls;
		n = &ws->n_dis_cls;
		break;
	case VSS_WRITER_FILTER_ENABLE_CLASSES:
		list = ws->en_cls;
		n = &ws->n_en_cls;
		break;
	case VSS_WRITER_FILTER_DISABLE_INSTANCES:
		list = ws->dis_inst;
		n = &ws->n_dis_inst;
		break;
	default:
		NL_SET_ERR_MSG(extack, "Unknown writer filter");
		return -EINVAL;
	}
	if (*n + nr > VSS_WSESSION_MAX_FILTER) {
		NL_SET_ERR_MSG(extack, "More than 64 writer ids of one kind");
		return -E2BIG;
	}
	for (i = 0; i < nr; i++)
		list[(*n)++] = ids[i];
	return 0;
}

/* Find @w's record in @ws.  Caller holds the mutex. */
static struct vss_wrec *vss_wsession_rec(struct vss_wsession *ws,
					 struct vss_writer *w)
{
	struct vss_wrec *rec;

	list_for_each_entry(rec, &ws->recs, ws_node)
		if (rec->w == w)
			return rec;
	return NULL;
}

/*
 * @w's record in @ws, made if needed (state STABLE), and @w's last
 * record from now on.  Returns NULL when out of memory or when @w died.
 */
static struct vss_wrec *vss_wsession_rec_get(struct vss_wsession *ws,
					     struct vss_writer *w)
{
	struct vss_wrec *rec, *new, *pos, *old = NULL;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	mutex_lock(&vss_writer_mutex);
	rec = vss_wsession_rec(ws, w);
	if (rec || !new || w->dead || ws->released)
		goto out_unlock;
	rec = new;
	new = NULL;
	kref_init(&rec->kref);		/* the wsession's list */
	kref_get(&w->kref);
	rec->w = w;
	rec->ws = ws;
	rec->session_id = ws->session_id;
	rec->state = VSS_WRITER_STATE_STABLE;
	/* keep registration order */
	list_for_each_entry(pos, &ws->recs, ws_node)
		if (pos->w->serial > w->serial)
			break;
	list_add_tail(&rec->ws_node, &pos->ws_node);
	list_add_tail(&rec->w_node, &w->recs);
	kref_get(&rec->kref);
	old = w->last;
	w->last = rec;
out_unlock:
	if (rec && (w->dead || ws->released))
		rec = NULL;
	mutex_unlock(&vss_writer_mutex);
	kfree(new);
	vss_wrec_put(old);
	return rec;
}

/*
 * The next registered writer after serial @*cursor, referenced, or NULL.
 */
static struct vss_writer *vss_writer_next_ref(u64 *cursor)
{
	struct vss_writer *w, *found = NULL;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(w, &vss_writers, node) {
		if (w->serial > *cursor) {
			kref_get(&w->kref);
			*cursor = w->serial;
			found = w;
			break;
		}
	}
	mutex_unlock(&vss_writer_mutex);
	return found;
}

/* How many of @w's LUNs are among @luns. */
static unsigned int vss_writer_luns_in(struct vss_writer *w,
				       const char *const *luns,
				       unsigned int nr)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < w->p.nr_luns; i++)
		for (j = 0; j < nr; j++)
			if (!strcmp(w->p.luns[i], luns[j])) {
				n++;
				break;
			}
	return n;
}

/*
 * Select, for the phase about to run, every writer the filters allow and
 * @want accepts (NULL: all); records are made as needed.  Clears the
 * selection of the other records.  Caller holds the session mutex.
 */
static int vss_wsession_select(struct vss_wsession *ws,
			       bool (*want)(struct vss_writer *w, void *arg),
			       void *arg)
{
	struct vss_writer *w;
	struct vss_wrec *rec;
	u64 cursor = 0;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node)
		rec->sel = false;
	mutex_unlock(&vss_writer_mutex);
	while ((w = vss_writer_next_ref(&cursor))) {
		if (vss_wsession_allows(ws, w) && (!want || want(w, arg))) {
			rec = vss_wsession_rec_get(ws, w);
			if (rec) {
				rec->sel = true;
			} else if (!READ_ONCE(w->dead)) {
				vss_writer_put(w);
				return -ENOMEM;
			}
		}
		vss_writer_put(w);
	}
	return 0;
}

/*
 * Send @ev to @rec's writer; with @wait, the reply is awaited until the
 * writer's event timeout.  A writer that cannot be reached is left to
 * the wait, which sees it as not responding.
 */
static void vss_wrec_send(struct vss_wrec *rec, u32 ev, bool wait)
{
	struct vss_writer *w = rec->w;
	struct vss_writer_ev *e;
	unsigned int i;
	u32 portid;
	int ret;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	mutex_lock(&vss_writer_mutex);
	rec->got_events = true;
	if (wait) {
		rec->ev = ev;
		rec->seq = ++vss_writer_seq;
		rec->replied = false;
		rec->waiting = true;
		rec->deadline = jiffies +
				msecs_to_jiffies(w->p.event_timeout_ms);
	}
	if (w->dead) {
		/* the wait resolves it at once: not responding */
		mutex_unlock(&vss_writer_mutex);
		kfree(e);
		return;
	}
	portid = w->portid;
	if (e) {
		e->instance_id = w->instance_id;
		e->session_id = rec->session_id;
		e->event = ev;
		e->seq = wait ? rec->seq : ++vss_writer_seq;
		e->timeout_ms = wait ? w->p.event_timeout_ms : 0;
		if (rec->involved && ev != VSS_WRITER_EVENT_BACKUP_SHUTDOWN &&
		    ev != VSS_WRITER_EVENT_BACKUP_COMPLETE) {
			e->has_set = true;
			e->set_id = rec->ws->set_id;
			e->nr_luns = w->p.nr_luns;
			for (i = 0; i < w->p.nr_luns; i++)
				e->luns[i] = w->p.luns[i];
		}
		if (ev == VSS_WRITER_EVENT_POST_RESTORE && rec->ws->restore) {
			e->has_restore = true;
			e->restore_state = rec->ws->restore_state;
			e->restore_error = rec->ws->restore_error;
		}
	}
	mutex_unlock(&vss_writer_mutex);
	if (!e)
		return;		/* the wait times out: not responding */
	/* @w is referenced by @rec and its LUN names are immutable */
	ret = vss_event_writer(portid, e);
	if (ret)
		pr_warn("writer \"%s\": event %u not delivered (%d)\n",
			w->p.name, ev, ret);
	kfree(e);
}

/*
 * Has every awaited reply of @ws an outcome (answered, deadline passed,
 * writer gone)?  Sets *@next to the earliest deadline still open.
 */
static bool vss_wsession_settled(struct vss_wsession *ws, unsigned long *next)
{
	struct vss_wrec *rec;
	bool settled = true;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node) {
		if (!rec->waiting || rec->replied || rec->w->dead ||
		    time_after_eq(jiffies, rec->deadline))
			continue;
		if (settled || time_before(rec->deadline, *next))
			*next = rec->deadline;
		settled = false;
	}
	mutex_unlock(&vss_writer_mutex);
	return settled;
}

/*
 * Wait until every awaited reply has an outcome.  Returns 0, or
 * -ECANCELED as soon as @c says so (the awaited events stay pending
 * until resolved).
 */
static int vss_wsession_wait(struct vss_wsession *ws,
			     const struct vss_wcancel *c)
{
	unsigned long next = jiffies;
	long left;
	int gen;

	for (;;) {
		gen = atomic_read(&ws->gen);
		if (vss_wsession_settled(ws, &next))
			return 0;
		if (c && c->fn(c->arg))
			return -ECANCELED;
		left = (long)(next - jiffies);
		/* slices: an abort or a passed window is seen within 20 ms */
		wait_event_killable_timeout(vss_writer_wq,
					    atomic_read(&ws->gen) != gen,
					    clamp_t(long, left, 1, HZ / 50));
	}
}

/*
 * Give @rec's awaited event its outcome.  Returns 0 (success, or a
 * non-fatal failure) or 1 (veto, no reply in time, writer gone).  Caller
 * holds the mutex.
 */
static int vss_wrec_resolve(struct vss_wrec *rec)
{
	u32 ev = rec->ev;

	if (!rec->waiting)
		return 0;
	rec->waiting = false;
	if (rec->replied) {
		if (ev == VSS_WRITER_EVENT_IDENTIFY) {
			kfree(rec->metadata);
			rec->metadata = rec->rep_metadata;
			rec->metadata_len = rec->rep_metadata_len;
			rec->rep_metadata = NULL;
			rec->rep_metadata_len = 0;
		}
		rec->hr_writer = rec->rep_hr;
		rec->hr_application = rec->rep_hr ? rec->rep_app : 0;
		strscpy(rec->message, rec->rep_hr ? rec->rep_msg : "",
			sizeof(rec->message));
		if (!rec->rep_hr || rec->rep_non_fatal) {
			rec->state = vss_writer_next_state(ev, rec->state);
			return 0;
		}
		rec->state = vss_writer_failed_state(ev);
		if (ev == VSS_WRITER_EVENT_FREEZE)
			rec->freeze_vetoed = true;
		return 1;
	}
	rec->state = vss_writer_failed_state(ev);
	rec->hr_writer = VSS_E_WRITER_NOT_RESPONDING;
	rec->hr_application = 0;
	if (rec->w->dead)
		strscpy(rec->message,
			"the writer went away (its socket was closed) before answering",
			sizeof(rec->message));
	else
		snprintf(rec->message, sizeof(rec->message),
			 "no answer within %u ms", rec->w->p.event_timeout_ms);
	if (ev == VSS_WRITER_EVENT_FREEZE)
		rec->freeze_vetoed = false;	/* it may be frozen: Abort */
	return 1;
}

/*
 * Resolve every selected record; the first that failed is reported in
 * @extack (message and its hrWriter as the HRESULT).  Returns 0 or the
 * errno of that failure: -ETIMEDOUT (not responding), -EIO (veto).
 */
static int vss_wsession_resolve(struct vss_wsession *ws,
				struct netlink_ext_ack *extack,
				const char *veto_msg, const char *late_msg)
{
	struct vss_wrec *rec;
	int ret = 0;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node) {
		if (!rec->sel || !rec->waiting)
			continue;
		if (!vss_wrec_resolve(rec) || ret)
			continue;
		/* the messages are string literals of the callers */
		if (rec->hr_writer == VSS_E_WRITER_NOT_RESPONDING) {
			if (extack)
				extack->_msg = late_msg;
			ret = -ETIMEDOUT;
		} else {
			if (extack)
				extack->_msg = veto_msg;
			ret = -EIO;
		}
		vss_set_hresult(extack, rec->hr_writer);
		pr_info("session %pUb: writer \"%s\": %s (0x%08x: %s)\n",
			&ws->session_id, rec->w->p.name,
			ret == -EIO ? "veto" : "not responding", rec->hr_writer,
			rec->message);
	}
	mutex_unlock(&vss_writer_mutex);
	return ret;
}

/* Drop what is still awaited (a cancelled phase). */
static void vss_wsession_forget(struct vss_wsession *ws)
{
	struct vss_wrec *rec;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node)
		rec->waiting = false;
	mutex_unlock(&vss_writer_mutex);
}

/*
 * One phase to every selected writer at once: send, wait, resolve.
 */
static int vss_wsession_phase(struct vss_wsession *ws, u32 ev,
			      const struct vss_wcancel *c,
			      struct netlink_ext_ack *extack,
			      const char *veto_msg, const char *late_msg)
{
	struct vss_wrec *rec;
	int ret;

	list_for_each_entry(rec, &ws->recs, ws_node)
		if (rec->sel)
			vss_wrec_send(rec, ev, true);
	ret = vss_wsession_wait(ws, c);
	if (ret) {
		vss_wsession_forget(ws);
		return ret;
	}
	return vss_wsession_resolve(ws, extack, veto_msg, late_msg);
}

/**
 * vss_wsession_identify() - GatherWriterMetadata
 * @ws: wsession
 * @c: cancellation
 * @extack: reason of a failure
 *
 * Every writer the filters allow gets Identify.  A writer's failure is
 * only recorded (FAILED_AT_IDENTIFY); the call still succeeds.
 *
 * Context: process, session mutex held; sleeps up to the longest event
 * timeout.
 * Return: 0, -ECANCELED or -ENOMEM.
 */
int vss_wsession_identify(struct vss_wsession *ws, const struct vss_wcancel *c,
			  struct netlink_ext_ack *extack)
{
	int ret = vss_wsession_select(ws, NULL, NULL);

	if (ret)
		return ret;
	ret = vss_wsession_phase(ws, VSS_WRITER_EVENT_IDENTIFY, c, NULL, "",
				 "");
	return ret == -ECANCELED ? ret : 0;
}

struct vss_lun_list {
	const char *const *luns;
	unsigned int nr;
};

static bool vss_writer_has_lun_in(struct vss_writer *w, void *arg)
{
	struct vss_lun_list *l = arg;

	return vss_writer_luns_in(w, l->luns, l->nr) > 0;
}

/**
 * vss_wsession_prepare_backup() - PrepareForBackup
 * @ws: wsession
 * @luns: the LUNs of the set being built
 * @nr: entries of @luns
 * @c: cancellation
 * @extack: reason of a failure
 *
 * Sent to every allowed writer with a LUN in @luns.
 *
 * Context: process, session mutex held; sleeps.
 * Return: 0; -EIO (a veto) or -ETIMEDOUT (a writer did not answer), with
 * the writer's hrWriter as the HRESULT; -ECANCELED; -ENOMEM.
 */
int vss_wsession_prepare_backup(struct vss_wsession *ws,
				const char *const *luns,
				unsigned int nr, const struct vss_wcancel *c,
				struct netlink_ext_ack *extack)
{
	struct vss_lun_list l = { .luns = luns, .nr = nr };
	int ret = vss_wsession_select(ws, vss_writer_has_lun_in, &l);

	if (ret)
		return ret;
	return vss_wsession_phase(ws, VSS_WRITER_EVENT_PREPARE_BACKUP, c, extack,
				  "A writer vetoed PrepareForBackup",
				  "A writer did not answer PrepareForBackup in time");
}

static bool vss_wrec_waits_backup_complete(struct vss_writer *w, void *arg)
{
	struct vss_wsession *ws = arg;
	struct vss_wrec *rec;
	bool ret;

	mutex_lock(&vss_writer_mutex);
	rec = vss_wsession_rec(ws, w);
	ret = rec && rec->involved &&
	      rec->state == VSS_WRITER_STATE_WAITING_FOR_BACKUP_COMPLETE;
	mutex_unlock(&vss_writer_mutex);
	return ret;
}

/**
 * vss_wsession_backup_complete() - BackupComplete
 * @ws: wsession
 * @c: cancellation
 * @extack: unused for writer failures, which are only recorded
 *
 * Sent to the writers of the created set that wait for it.
 *
 * Context: process, session mutex held; sleeps.
 * Return: 0, -ECANCELED or -ENOMEM.
 */
int vss_wsession_backup_complete(struct vss_wsession *ws,
				 const struct vss_wcancel *c,
				 struct netlink_ext_ack *extack)
{
	int ret = vss_wsession_select(ws, vss_wrec_waits_backup_complete, ws);

	if (ret)
		return ret;
	ret = vss_wsession_phase(ws, VSS_WRITER_EVENT_BACKUP_COMPLETE, c, NULL,
				 "", "");
	return ret == -ECANCELED ? ret : 0;
}

/**
 * vss_wsession_set_begin() - choose the writers of a snapshot set
 * @ws: wsession
 * @set_id: the set
 * @luns: its LUNs
 * @nr: entries of @luns
 * @wake: called when a Freeze->Thaw window ends or a frozen writer dies,
 *	to end the session's own waits (may run in softirq context)
 * @arg: passed to @wake
 *
 * An allowed writer with all of its LUNs in the set takes part; one with
 * only some of them does not, and is FAILED_AT_PREPARE_SNAPSHOT with
 * VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT (the set goes on).
 *
 * Context: process, session mutex held.
 * Return: 0 or -ENOMEM.
 */
int vss_wsession_set_begin(struct vss_wsession *ws, const uuid_t *set_id,
			   const char *const *luns,
			   unsigned int nr, void (*wake)(void *arg), void *arg)
{
	struct vss_lun_list l = { .luns = luns, .nr = nr };
	struct vss_wrec *rec;
	unsigned int in;
	int ret;

	ws->set_id = *set_id;
	ret = vss_wsession_select(ws, vss_writer_has_lun_in, &l);
	if (ret)
		return ret;
	mutex_lock(&vss_writer_mutex);
	WRITE_ONCE(ws->window_armed, false);
	WRITE_ONCE(ws->frozen_died, false);
	ws->wake_arg = arg;
	WRITE_ONCE(ws->wake, wake);
	list_for_each_entry(rec, &ws->recs, ws_node) {
		rec->involved = false;
		rec->freeze_sent = false;
		rec->freeze_vetoed = false;
		rec->thaw_sent = false;
		rec->frozen = false;
		memset(rec->t, 0, sizeof(rec->t));
		if (!rec->sel)
			continue;
		in = vss_writer_luns_in(rec->w, luns, nr);
		if (in == rec->w->p.nr_luns) {
			rec->involved = true;
			continue;
		}
		rec->sel = false;
		rec->state = VSS_WRITER_STATE_FAILED_AT_PREPARE_SNAPSHOT;
		rec->hr_writer = VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT;
		rec->hr_application = 0;
		snprintf(rec->message, sizeof(rec->message),
			 "only %u of the writer's %u LUNs are in the snapshot set",
			 in, rec->w->p.nr_luns);
		pr_info("session %pUb: writer \"%s\" left out: %s\n",
			&ws->session_id, rec->w->p.name, rec->message);
	}
	mutex_unlock(&vss_writer_mutex);
	return 0;
}

/**
 * vss_wsession_prepare_snapshot() - PrepareForSnapshot to the set's writers
 * @ws: wsession
 * @c: cancellation
 * @extack: reason of a failure
 *
 * Context: process, session mutex held; sleeps.
 * Return: 0, -EIO (veto), -ETIMEDOUT (not responding), -ECANCELED.
 */
int vss_wsession_prepare_snapshot(struct vss_wsession *ws,
				  const struct vss_wcancel *c,
				  struct netlink_ext_ack *extack)
{
	return vss_wsession_phase(ws, VSS_WRITER_EVENT_PREPARE_SNAPSHOT, c,
				  extack, "A writer vetoed PrepareForSnapshot",
				  "A writer did not answer PrepareForSnapshot in time");
}

/* Re-arm the window timer at the earliest window end.  Caller holds mutex. */
static void vss_wsession_arm_locked(struct vss_wsession *ws)
{
	struct vss_wrec *rec;
	unsigned long min = 0;
	bool armed = false;

	list_for_each_entry(rec, &ws->recs, ws_node) {
		if (!rec->frozen)
			continue;
		if (!armed || time_before(rec->window_end, min))
			min = rec->window_end;
		armed = true;
	}
	WRITE_ONCE(ws->window_min, min);
	WRITE_ONCE(ws->window_armed, armed);
	if (armed)
		mod_timer(&ws->timer, min);
	else
		del_timer(&ws->timer);
}

/*
 * Freeze or thaw one writer: send, wait, resolve.  The wait is bounded by
 * the writer's event timeout and ends when its (or another frozen
 * writer's) window passes.
 */
static int vss_wsession_one(struct vss_wsession *ws, struct vss_wrec *rec,
			    u32 ev, const struct vss_wcancel *c,
			    struct netlink_ext_ack *extack)
{
	struct vss_wrec *r;
	struct vss_wtiming *tm;
	int ret;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(r, &ws->recs, ws_node)
		r->sel = r == rec;
	if (ev == VSS_WRITER_EVENT_FREEZE) {
		rec->freeze_sent = true;
		rec->frozen = true;
		rec->window_end = jiffies +
				  msecs_to_jiffies(rec->w->p.freeze_timeout_ms);
		vss_wsession_arm_locked(ws);
	} else {
		rec->thaw_sent = true;
	}
	mutex_unlock(&vss_writer_mutex);

	tm = &rec->t[ev == VSS_WRITER_EVENT_THAW];
	tm->send = ktime_get();
	vss_wrec_send(rec, ev, true);
	tm->sent = ktime_get();
	ret = vss_wsession_wait(ws, c);
	tm->resume = ktime_get();
	if (ret) {
		vss_wsession_forget(ws);
		return ret;
	}
	if (ev == VSS_WRITER_EVENT_FREEZE)
		ret = vss_wsession_resolve(ws, extack,
					   "A writer vetoed Freeze",
					   "A writer did not answer Freeze in time");
	else
		ret = vss_wsession_resolve(ws, extack, "A writer vetoed Thaw",
					   "A writer did not answer Thaw in time");
	mutex_lock(&vss_writer_mutex);
	tm->reply = rec->replied ? rec->replied_at : 0;
	if (ev == VSS_WRITER_EVENT_THAW || rec->freeze_vetoed)
		rec->frozen = false;	/* its window is closed */
	vss_wsession_arm_locked(ws);
	mutex_unlock(&vss_writer_mutex);
	return ret;
}

/**
 * vss_wsession_freeze() - Freeze the set's writers in registration order
 * @ws: wsession
 * @c: cancellation (must include vss_wsession_window_passed() and
 *	vss_wsession_frozen_writer_died())
 * @extack: reason of a failure
 *
 * Each writer's Freeze->Thaw window starts when its Freeze is sent.
 *
 * Context: process, session mutex held; sleeps.
 * Return: 0, -EIO (veto), -ETIMEDOUT (not responding), -ECANCELED.
 */
int vss_wsession_freeze(struct vss_wsession *ws, const struct vss_wcancel *c,
			struct netlink_ext_ack *extack)
{
	struct vss_wrec *rec;
	int ret;

	list_for_each_entry(rec, &ws->recs, ws_node) {
		if (!rec->involved)
			continue;
		ret = vss_wsession_one(ws, rec, VSS_WRITER_EVENT_FREEZE, c,
				       extack);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * vss_wsession_thaw() - Thaw the frozen writers in reverse order
 * @ws: wsession
 * @c: cancellation, as for vss_wsession_freeze()
 * @extack: reason of a failure
 *
 * A writer's window closes with its answer to Thaw.
 *
 * Context: process, session mutex held; sleeps.
 * Return: 0, -EIO (veto), -ETIMEDOUT (not responding), -ECANCELED.
 */
int vss_wsession_thaw(struct vss_wsession *ws, const struct vss_wcancel *c,
		      struct netlink_ext_ack *extack)
{
	struct vss_wrec *rec;
	int ret;

	list_for_each_entry_reverse(rec, &ws->recs, ws_node) {
		if (!rec->involved || !rec->frozen)
			continue;
		ret = vss_wsession_one(ws, rec, VSS_WRITER_EVENT_THAW, c,
				       extack);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * vss_wsession_post_snapshot() - PostSnapshot to the set's writers
 * @ws: wsession
 * @c: cancellation
 * @extack: reason of a failure
 *
 * Context: process, session mutex held; sleeps.
 * Return: 0, -EIO (veto), -ETIMEDOUT (not responding), -ECANCELED.
 */
int vss_wsession_post_snapshot(struct vss_wsession *ws,
			       const struct vss_wcancel *c,
			       struct netlink_ext_ack *extack)
{
	struct vss_wrec *rec;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node)
		rec->sel = rec->involved;
	mutex_unlock(&vss_writer_mutex);
	return vss_wsession_phase(ws, VSS_WRITER_EVENT_POST_SNAPSHOT, c, extack,
				  "A writer vetoed PostSnapshot",
				  "A writer did not answer PostSnapshot in time");
}

/**
 * vss_wsession_window_passed() - has a frozen writer's window passed?
 * @ws: wsession, or NULL
 *
 * Lockless, so that it may be part of a wait condition.
 *
 * Context: any.
 * Return: true once the earliest window of the frozen writers ended.
 */
bool vss_wsession_window_passed(struct vss_wsession *ws)
{
	return ws && READ_ONCE(ws->window_armed) &&
	       time_after_eq(jiffies, READ_ONCE(ws->window_min));
}

/**
 * vss_wsession_frozen_writer_died() - did a frozen writer go away?
 * @ws: wsession, or NULL
 *
 * Context: any (lockless).
 * Return: true if a writer died between its Freeze and its Thaw answer.
 */
bool vss_wsession_frozen_writer_died(struct vss_wsession *ws)
{
	return ws && READ_ONCE(ws->frozen_died);
}

/**
 * vss_wsession_fail_frozen() - record why the frozen writers fail the set
 * @ws: wsession
 * @extack: gets the message and HRESULT
 *
 * A frozen writer that went away is not responding; one whose window
 * passed gets VSS_E_WRITERERROR_TIMEOUT, FAILED_AT_THAW if its Thaw was
 * sent, else FAILED_AT_FREEZE.
 *
 * Context: process, session mutex held.
 * Return: -ETIMEDOUT.
 */
int vss_wsession_fail_frozen(struct vss_wsession *ws,
			     struct netlink_ext_ack *extack)
{
	struct vss_wrec *rec;
	u32 hr = 0;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node) {
		if (!rec->frozen || vss_writer_state_failed(rec->state))
			continue;
		if (rec->w->dead) {
			rec->hr_writer = VSS_E_WRITER_NOT_RESPONDING;
			strscpy(rec->message,
				"the writer went away while frozen",
				sizeof(rec->message));
		} else if (time_after_eq(jiffies, rec->window_end)) {
			rec->hr_writer = VSS_E_WRITERERROR_TIMEOUT;
			snprintf(rec->message, sizeof(rec->message),
				 "Freeze->Thaw window of %u ms passed; the kernel thawed and released the LUNs",
				 rec->w->p.freeze_timeout_ms);
		} else {
			continue;
		}
		rec->hr_application = 0;
		rec->state = rec->thaw_sent ?
			     VSS_WRITER_STATE_FAILED_AT_THAW :
			     VSS_WRITER_STATE_FAILED_AT_FREEZE;
		if (!hr || hr == VSS_E_WRITER_NOT_RESPONDING)
			hr = rec->hr_writer;
		pr_info("session %pUb: writer \"%s\": %s\n", &ws->session_id,
			rec->w->p.name, rec->message);
	}
	mutex_unlock(&vss_writer_mutex);
	if (hr == VSS_E_WRITERERROR_TIMEOUT) {
		NL_SET_ERR_MSG(extack,
			       "A writer's Freeze->Thaw window passed: the kernel thawed and released every LUN; set abandoned");
	} else {
		NL_SET_ERR_MSG(extack,
			       "A frozen writer went away; set abandoned");
	}
	vss_set_hresult(extack, hr ?: VSS_E_WRITER_NOT_RESPONDING);
	return -ETIMEDOUT;
}

/*
 * writer_timing: one line per writer that was sent Freeze, with the
 * instants of its Freeze and Thaw round trips (CLOCK_MONOTONIC ns, as the
 * writer's own clock_gettime()), logged after the set so that the log does
 * not widen the windows it measures.
 */
static void vss_wsession_log_timing(struct vss_wsession *ws, bool failed)
{
	const struct vss_wtiming *f, *t;
	struct vss_wrec *rec;

	list_for_each_entry(rec, &ws->recs, ws_node) {
		if (!rec->involved || !rec->freeze_sent)
			continue;
		f = &rec->t[0];
		t = &rec->t[1];
		pr_info("timing: session %pUb%s writer \"%s\" freeze %lld %lld %lld %lld thaw %lld %lld %lld %lld\n",
			&ws->session_id, failed ? " (failed)" : "", rec->w->p.name,
			ktime_to_ns(f->send), ktime_to_ns(f->sent),
			ktime_to_ns(f->reply), ktime_to_ns(f->resume),
			ktime_to_ns(t->send), ktime_to_ns(t->sent),
			ktime_to_ns(t->reply), ktime_to_ns(t->resume));
	}
}

/**
 * vss_wsession_set_end() - the snapshot set is over
 * @ws: wsession
 * @failed: it failed: Abort goes to every writer that was sent Freeze and
 *	did not veto it, and the writers that did not fail are stable again
 *
 * Context: process, session mutex held.
 */
void vss_wsession_set_end(struct vss_wsession *ws, bool failed)
{
	struct vss_wrec *rec;

	if (READ_ONCE(writer_timing))
		vss_wsession_log_timing(ws, failed);
	mutex_lock(&vss_writer_mutex);
	WRITE_ONCE(ws->wake, NULL);
	mutex_unlock(&vss_writer_mutex);
	del_timer_sync(&ws->timer);
	mutex_lock(&vss_writer_mutex);
	WRITE_ONCE(ws->window_armed, false);
	list_for_each_entry(rec, &ws->recs, ws_node) {
		rec->sel = failed && rec->involved && rec->freeze_sent &&
			   !rec->freeze_vetoed;
		rec->frozen = false;
		rec->waiting = false;
		if (failed && rec->involved &&
		    !vss_writer_state_failed(rec->state))
			rec->state = VSS_WRITER_STATE_STABLE;
	}
	mutex_unlock(&vss_writer_mutex);
	if (!failed)
		return;
	list_for_each_entry(rec, &ws->recs, ws_node)
		if (rec->sel)
			vss_wrec_send(rec, VSS_WRITER_EVENT_ABORT, false);
}

/**
 * vss_wsession_status_next() - iterate a session's writer statuses
 * @ws: wsession
 * @cursor: 0 to start; advanced past the writer returned
 * @info: filled in
 *
 * Context: process.
 * Return: 0, or -ENOENT after the last one.
 */
int vss_wsession_status_next(struct vss_wsession *ws, u64 *cursor,
			     struct vss_writer_info *info)
{
	struct vss_wrec *rec;
	int ret = -ENOENT;

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node) {
		if (rec->w->serial > *cursor) {
			vss_writer_fill(rec->w, rec, info);
			*cursor = rec->w->serial;
			ret = 0;
			break;
		}
	}
	mutex_unlock(&vss_writer_mutex);
	return ret;
}

/**
 * vss_wsession_writer_info() - one writer's status and metadata in a session
 * @ws: wsession
 * @instance_id: the writer
 * @info: filled in
 * @metadata: receives a kmalloc'ed copy of its Identify metadata, or NULL
 * @metadata_len: its length
 *
 * Context: process.
 * Return: 0, -ENOENT (the writer took no part in the session), -ENOMEM.
 */
int vss_wsession_writer_info(struct vss_wsession *ws, const uuid_t *instance_id,
			     struct vss_writer_info *info, void **metadata,
			     u32 *metadata_len)
{
	struct vss_wrec *rec;
	int ret = -ENOENT;

	*metadata = NULL;
	*metadata_len = 0;
	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node) {
		if (!uuid_equal(&rec->w->instance_id, instance_id))
			continue;
		vss_writer_fill(rec->w, rec, info);
		ret = 0;
		if (rec->metadata) {
			*metadata = kmemdup(rec->metadata, rec->metadata_len,
					    GFP_KERNEL);
			if (*metadata)
				*metadata_len = rec->metadata_len;
			else
				ret = -ENOMEM;
		}
		break;
	}
	mutex_unlock(&vss_writer_mutex);
	return ret;
}

/**
 * vss_wsession_release() - the session is gone
 * @ws: wsession; the session's reference is dropped
 *
 * BackupShutdown goes to every live writer that got an event in the
 * session (not waited for; not after a restore group's PostRestore); the
 * records leave their writers (whose last
 * status they may stay).
 *
 * Context: process, after the session's last phase ended.
 */
void vss_wsession_release(struct vss_wsession *ws)
{
	struct vss_wrec *rec, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&vss_writer_mutex);
	WRITE_ONCE(ws->wake, NULL);
	mutex_unlock(&vss_writer_mutex);
	del_timer_sync(&ws->timer);
	mutex_lock(&vss_writer_mutex);
	ws->released = true;
	list_for_each_entry(rec, &ws->recs, ws_node) {
		rec->sel = !ws->restore && rec->got_events && !rec->w->dead;
		rec->waiting = false;
	}
	mutex_unlock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node)
		if (rec->sel)
			vss_wrec_send(rec, VSS_WRITER_EVENT_BACKUP_SHUTDOWN,
				      false);

	mutex_lock(&vss_writer_mutex);
	list_for_each_entry_safe(rec, tmp, &ws->recs, ws_node) {
		list_del_init(&rec->w_node);
		list_move_tail(&rec->ws_node, &gone);
		rec->ws = NULL;
	}
	mutex_unlock(&vss_writer_mutex);
	list_for_each_entry_safe(rec, tmp, &gone, ws_node) {
		list_del_init(&rec->ws_node);
		vss_wrec_put(rec);
	}
	vss_wsession_put(ws);
}

/* ---- restores: PreRestore and PostRestore ---- */

/**
 * struct vss_wrestore - the writers of one RecoverSet, until PostRestore
 * @kref: the RecoverSet request holds one, and each resync it started
 * @session_id: the requester's session, quoted by PostRestore
 * @work: sends PostRestore once the last reference is gone
 * @state: the worst outcome so far (0, or enum vss_resync_state:
 *	failed, then cancelled, then done); under vss_wrestore_lock
 * @error: errno of the first failed resync; under vss_wrestore_lock
 * @nr: entries of @w
 * @w: the writers that took PreRestore, referenced, in registration order
 */
struct vss_wrestore {
	struct kref kref;
	uuid_t session_id;
	struct work_struct work;
	u32 state;
	u32 error;
	unsigned int nr;
	struct vss_writer *w[];
};

/* PostRestore is sent from here: its waits must not hold a shared worker */
static struct workqueue_struct *vss_wrestore_wq;
/* protects the outcome of every group and vss_wrestore_closed */
static DEFINE_SPINLOCK(vss_wrestore_lock);
/* module exit: groups ending from now on send nothing */
static bool vss_wrestore_closed;

static void vss_wrestore_free(struct vss_wrestore *g)
{
	unsigned int i;

	for (i = 0; i < g->nr; i++)
		vss_writer_put(g->w[i]);
	kfree(g);
}

/* How bad an outcome is, to keep the worst one. */
static unsigned int vss_wrestore_rank(u32 state)
{
	switch (state) {
	case VSS_RESYNC_STATE_DONE:
		return 1;
	case VSS_RESYNC_STATE_CANCELLED:
		return 2;
	case VSS_RESYNC_STATE_FAILED:
		return 3;
	}
	return 0;
}

/*
 * The last resync of the group ended: PostRestore to every captured
 * writer still registered, through a wsession of the group's own (no
 * requester session: the resyncs outlive it), then statuses stay as the
 * writers' last ones.
 */
static void vss_wrestore_work(struct work_struct *work)
{
	struct vss_wrestore *g = container_of(work, struct vss_wrestore, work);
	struct vss_wsession *ws = vss_wsession_new(&g->session_id);
	struct vss_wrec *rec;
	unsigned int i, sent = 0;

	if (!ws) {
		pr_warn("session %pUb: no memory to send PostRestore\n",
			&g->session_id);
		vss_wrestore_free(g);
		return;
	}
	ws->restore = true;
	ws->restore_state = g->state ?: VSS_RESYNC_STATE_DONE;
	ws->restore_error = g->error;
	for (i = 0; i < g->nr; i++) {
		/* NULL for a writer that unregistered or died: skipped */
		rec = vss_wsession_rec_get(ws, g->w[i]);
		if (rec) {
			rec->sel = true;
			sent++;
		}
	}
	if (sent) {
		pr_info("session %pUb: PostRestore (resyncs %s, error %u) to %u writers\n",
			&g->session_id,
			ws->restore_state == VSS_RESYNC_STATE_DONE ? "done" :
			ws->restore_state == VSS_RESYNC_STATE_CANCELLED ?
			"cancelled" : "failed", ws->restore_error, sent);
		/* failures are only recorded (FAILED_AT_POST_RESTORE) */
		vss_wsession_phase(ws, VSS_WRITER_EVENT_POST_RESTORE, NULL, NULL,
				   "", "");
	}
	vss_wsession_release(ws);
	vss_wrestore_free(g);
}

static void vss_wrestore_release(struct kref *kref)
{
	struct vss_wrestore *g = container_of(kref, struct vss_wrestore, kref);
	unsigned long flags;
	bool closed;

	spin_lock_irqsave(&vss_wrestore_lock, flags);
	closed = vss_wrestore_closed;
	if (!closed)
		queue_work(vss_wrestore_wq, &g->work);
	spin_unlock_irqrestore(&vss_wrestore_lock, flags);
	if (closed)
		vss_wrestore_free(g);
}

/**
 * vss_wrestore_get() - one more reference on a restore group
 * @grp: the group, or NULL
 *
 * Context: any.
 * Return: @grp.
 */
struct vss_wrestore *vss_wrestore_get(struct vss_wrestore *grp)
{
	if (grp)
		kref_get(&grp->kref);
	return grp;
}

/**
 * vss_wrestore_end() - a holder of a restore group is done with it
 * @grp: the group, or NULL
 * @state: how its resync ended (enum vss_resync_state), or 0 for no
 *	outcome (the RecoverSet request's own reference, all started)
 * @error: errno (positive) of a failed resync, else 0
 *
 * The worst outcome of the group's holders goes with PostRestore, which
 * is sent (from a worker) when the last reference is dropped.
 *
 * Context: any, without engine locks held.
 */
void vss_wrestore_end(struct vss_wrestore *grp, u32 state, u32 error)
{
	unsigned long flags;

	if (!grp)
		return;
	spin_lock_irqsave(&vss_wrestore_lock, flags);
	if (vss_wrestore_rank(state) > vss_wrestore_rank(grp->state))
		grp->state = state;
	if (state == VSS_RESYNC_STATE_FAILED && !grp->error)
		grp->error = error ?: EIO;
	spin_unlock_irqrestore(&vss_wrestore_lock, flags);
	kref_put(&grp->kref, vss_wrestore_release);
}

/**
 * vss_wsession_pre_restore() - PreRestore, before RecoverSet starts anything
 * @ws: the requester's wsession
 * @luns: the LUNs the recovery set writes (destination LUNs, reverted
 *	LUNs)
 * @nr: entries of @luns
 * @c: cancellation
 * @grp: receives the restore group (one reference, for the caller to
 *	pass to the resyncs and drop with vss_wrestore_end()), or NULL when
 *	no writer is involved
 * @extack: reason of a failure
 *
 * Sent to every writer the session's filters allow with a LUN in @luns,
 * in registration order, each with its own reply deadline.  A veto or a
 * writer not answering fails the call (FAILED_AT_PRE_RESTORE, the
 * writer's hrWriter as the HRESULT): the caller must then start nothing,
 * and the writers that took PreRestore get PostRestore at once, failed
 * (errno EIO for a veto, ETIMEDOUT for no answer, ECANCELED).  A
 * non-fatal failure is only recorded.
 *
 * Context: process, session mutex held; sleeps.
 * Return: 0; -EIO (veto) or -ETIMEDOUT (not responding); -ECANCELED;
 * -ENOMEM.
 */
int vss_wsession_pre_restore(struct vss_wsession *ws, const char *const *luns,
			     unsigned int nr, const struct vss_wcancel *c,
			     struct vss_wrestore **grp,
			     struct netlink_ext_ack *extack)
{
	struct vss_lun_list l = { .luns = luns, .nr = nr };
	struct vss_wrestore *g;
	struct vss_wrec *rec;
	unsigned int n = 0;
	int ret;

	*grp = NULL;
	ret = vss_wsession_select(ws, vss_writer_has_lun_in, &l);
	if (ret)
		return ret;
	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node)
		n += rec->sel;
	mutex_unlock(&vss_writer_mutex);
	if (!n)
		return 0;
	g = kzalloc(struct_size(g, w, n), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	ret = vss_wsession_phase(ws, VSS_WRITER_EVENT_PRE_RESTORE, c, extack,
				 "A writer vetoed PreRestore; no resync started",
				 "A writer did not answer PreRestore in time; no resync started");
	kref_init(&g->kref);
	g->session_id = ws->session_id;
	INIT_WORK(&g->work, vss_wrestore_work);
	mutex_lock(&vss_writer_mutex);
	list_for_each_entry(rec, &ws->recs, ws_node) {
		/* a writer that failed it is not restored */
		if (!rec->sel || g->nr == n ||
		    (ret && vss_writer_state_failed(rec->state)))
			continue;
		kref_get(&rec->w->kref);
		g->w[g->nr++] = rec->w;
	}
	mutex_unlock(&vss_writer_mutex);
	if (ret) {
		/* those that took it hear that nothing was restored */
		vss_wrestore_end(g, VSS_RESYNC_STATE_FAILED,
				 ret == -ECANCELED ? ECANCELED :
				 ret == -ETIMEDOUT ? ETIMEDOUT : EIO);
		return ret;
	}
	*grp = g;
	return 0;
}

/* Unregister every writer bound to @portid (its socket is gone). */
static void vss_writer_release_portid(u32 portid)
{
	struct vss_writer *w, *found;
	struct vss_wrec *last;

	do {
		found = NULL;
		mutex_lock(&vss_writer_mutex);
		list_for_each_entry(w, &vss_writers, node) {
			if (w->portid == portid) {
				found = w;
				kref_get(&w->kref);
				last = vss_writer_kill_locked(w);
				break;
			}
		}
		mutex_unlock(&vss_writer_mutex);
		if (found) {
			vss_writer_killed(found, last);
			vss_writer_put(found);
		}
	} while (found);
}

static int vss_writer_netlink_event(struct notifier_block *nb,
				    unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net) && n->portid)
		vss_writer_release_portid(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block vss_writer_netlink_nb = {
	.notifier_call = vss_writer_netlink_event,
};

/**
 * vss_writer_init() - set up writers
 *
 * Context: module init.
 * Return: 0 or a negative errno.
 */
int vss_writer_init(void)
{
	int ret;

	vss_wrestore_wq = alloc_workqueue("vss_wrestore", WQ_UNBOUND, 0);
	if (!vss_wrestore_wq)
		return -ENOMEM;
	ret = netlink_register_notifier(&vss_writer_netlink_nb);
	if (ret)
		destroy_workqueue(vss_wrestore_wq);
	return ret;
}

/**
 * vss_writer_exit() - unregister every writer
 *
 * Called after the sessions are gone.  Restore groups that end later (the
 * LUNs go after this) are freed without PostRestore.
 *
 * Context: module exit.
 */
void vss_writer_exit(void)
{
	struct vss_writer *w;
	struct vss_wrec *last;

	netlink_unregister_notifier(&vss_writer_netlink_nb);
	for (;;) {
		mutex_lock(&vss_writer_mutex);
		w = list_first_entry_or_null(&vss_writers, struct vss_writer,
					     node);
		if (w) {
			kref_get(&w->kref);
			last = vss_writer_kill_locked(w);
		}
		mutex_unlock(&vss_writer_mutex);
		if (!w)
			break;
		vss_wrec_put(last);
		vss_writer_put(w);	/* the list's */
		vss_writer_put(w);
	}
	wake_up_all(&vss_writer_wq);
	/* PostRestores in flight end at once (every writer is gone) */
	spin_lock_irq(&vss_wrestore_lock);
	vss_wrestore_closed = true;
	spin_unlock_irq(&vss_wrestore_lock);
	destroy_workqueue(vss_wrestore_wq);
}
