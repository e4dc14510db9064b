// SPDX-License-Identifier: GPL-2.0
/*
 * vss requester sessions and snapshot sets.
 *
 * A session is bound to the netlink socket that created it.  Everything a
 * session holds -- LUN reservations, and while DoSnapshotSet runs, frozen
 * filesystems, held I/O and prepared snapshots -- is released when the
 * session is aborted: by session-abort, or at once when the socket is
 * released (NETLINK_URELEASE), whatever the requester was doing.
 *
 * DoSnapshotSet runs on a worker of vss_set_wq, under the session mutex
 * (set-do only checks the request, puts the session in set-committing and
 * queues it; the outcome is reported by vss_event_set_done()):
 *
 *   writers: PrepareForSnapshot, Freeze (registration order)
 *   -> freeze all -> prepare all -> hold all -> commit all -> release all
 *   -> thaw all -> writers: Thaw (reverse order) -> persist all
 *   -> writers: PostSnapshot
 *
 * The writer phases (writer.c) are skipped for a set-do with no-writers.
 * Each writer's Freeze->Thaw window is a deadline like the session's
 * abort: when it passes, every wait of the set (writer replies, the file
 * system freezes, the I/O hold) ends, everything is thawed and released,
 * and the set fails with VSS_E_WRITERERROR_TIMEOUT; a frozen writer that
 * dies ends them too (VSS_E_WRITER_NOT_RESPONDING).  A failure after the
 * writers' Freeze sends Abort to the writers that were frozen.
 *
 * (A thawing file system writes; the engine lets writes after a commit
 * proceed before the snapshot is persisted, so thawing first is safe and
 * keeps the freeze window short.)
 *
 * Until the commit nothing is visible: a failure or an abort of the
 * session (its socket closed among them) unwinds every step on every LUN.  Commit cannot fail.
 * If persisting one snapshot fails afterwards, or a writer fails Thaw or
 * PostSnapshot, every snapshot of the set is deleted, so a set exists on
 * all of its LUNs or on none.  Without writers, an abort that arrives
 * after the commit lets the set finish; with writers it fails the set if
 * it comes before the last writer's reply.  Either way the session is
 * aborted once DoSnapshotSet returns.
 *
 * The session's writer side (struct vss_wsession, writer.c) lives as long
 * as the session is linked; when the socket goes, the writers that took
 * part get BackupShutdown.
 *
 * SetContext: a session's created set is auto-release unless its context
 * has VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE; it is then deleted (on
 * vss_set_wq) when the session's socket goes.  Sessions start persistent
 * (app-rollback), as they were before contexts; libvssctl asks for
 * VSS_CTX_BACKUP, VSS's default.
 *
 * Locking: vss_sessions_lock (spinlock, irq-safe, never held while
 * sleeping) protects the session list and, in each session, @state, @set
 * and the set's members; writers also hold the session's @mutex, so
 * holding @mutex alone is enough to read them.  vss_reserve_mutex makes
 * "is this LUN reserved?" and the action that depends on it (reserving it,
 * removing the LUN) atomic.  Order: vss_reserve_mutex -> session mutex ->
 * vss_sessions_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "-session: " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <linux/vss.h>

#include "events.h"
#include "session.h"
#include "vss.h"
#include "writer.h"

static unsigned int hold_timeout_ms = VSS_HOLD_MAX_MS;
module_param(hold_timeout_ms, uint, 0644);
MODULE_PARM_DESC(hold_timeout_ms,
		 "Longest I/O hold of DoSnapshotSet in ms (default and maximum 10000, VSS's limit): a LUN whose writes do not drain in time fails the set with VSS_E_FLUSH_WRITES_TIMEOUT");

static unsigned int test_hold_delay_ms;
module_param(test_hold_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_hold_delay_ms,
		 "Test aid, 0 (off) by default: DoSnapshotSet sleeps this long while I/O is held on every LUN of the set (abortable)");

static unsigned int freeze_timeout_ms = 60000;
module_param(freeze_timeout_ms, uint, 0644);
MODULE_PARM_DESC(freeze_timeout_ms,
		 "Longest file system freeze of DoSnapshotSet in ms (default 60000): a freeze that does not finish in time (its device stuck) fails the set with VSS_E_FLUSH_WRITES_TIMEOUT; it is thawed whenever it finishes");

/* runs the file system freezes, which a set may stop waiting for */
static struct workqueue_struct *vss_freeze_wq;

static unsigned int test_persist_delay_ms;
module_param(test_persist_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_persist_delay_ms,
		 "Test aid, 0 (off) by default: DoSnapshotSet sleeps this long between the commit (writes released, file systems thawed) and making the snapshots durable");

static char test_fail_lun[VSS_NAME_MAX + 1];
module_param_string(test_fail_lun, test_fail_lun, sizeof(test_fail_lun), 0644);
MODULE_PARM_DESC(test_fail_lun,
		 "Test aid, empty (off) by default: DoSnapshotSet fails with EIO right after preparing the snapshot of the LUN of this name");

/* E_INVALIDARG, the generic HRESULT (no VSS_E_ code for it) */
#define VSS_E_INVALIDARG	0x80070057

/* VSS_VOLSNAP_ATTR bits of the snapshot contexts (enum vss_snapshot_context) */
#define VSS_CTX_ATTR_NO_AUTO_RELEASE	0x8
#define VSS_CTX_ATTR_NO_WRITERS		0x10

/* snapshot states reach userspace unchanged (vss_snapshot_get_info()) */
static_assert((int)VSS_SNAP_PREPARED == (int)VSS_SNAPSHOT_STATE_PREPARED);
static_assert((int)VSS_SNAP_COMMITTED == (int)VSS_SNAPSHOT_STATE_COMMITTED);
static_assert((int)VSS_SNAP_READY == (int)VSS_SNAPSHOT_STATE_READY);
static_assert((int)VSS_SNAP_INVALID == (int)VSS_SNAPSHOT_STATE_INVALID);
static_assert((int)VSS_SNAP_DELETING == (int)VSS_SNAPSHOT_STATE_DELETING);

/* Is @name the LUN named by the test_fail_lun knob? */
static bool vss_test_fail_lun(const char *name)
{
	bool hit;

	kernel_param_lock(THIS_MODULE);
	hit = test_fail_lun[0] && sysfs_streq(test_fail_lun, name);
	kernel_param_unlock(THIS_MODULE);
	return hit;
}

/**
 * struct vss_set_member - a LUN of a snapshot set
 * @lun: the LUN, referenced; NULL once the set no longer reserves it
 * @name: its name (kept for queries after @lun is dropped)
 * @snap_id: id its snapshot gets
 * @snap: the snapshot while DoSnapshotSet runs, referenced
 */
struct vss_set_member {
	struct vss_lun *lun;
	char name[VSS_NAME_MAX + 1];
	uuid_t snap_id;
	struct vss_snapshot *snap;
};

/**
 * struct vss_set - a snapshot set of a session
 * @id: set id
 * @state: enum vss_set_state (uAPI)
 * @nr: members in @m
 * @m: the LUNs in the order they were added
 *
 * Protected as described at the top of this file.
 */
struct vss_set {
	uuid_t id;
	u32 state;
	unsigned int nr;
	struct vss_set_member m[VSS_MAX_SET_LUNS];
};

/**
 * struct vss_session - a requester session
 * @node: on vss_sessions; under vss_sessions_lock
 * @kref: lifetime; the list holds one reference, lookups take more
 * @serial: creation order, the dump cursor; immutable
 * @id: session id; immutable
 * @portid: port id of the owning netlink socket; immutable
 * @mutex: serialises the operations on the session
 * @state: enum vss_session_state (uAPI); see the locking notes above
 * @set: the current or last snapshot set, or NULL; likewise
 * @unlinked: removed from vss_sessions (its socket is gone); under @mutex
 * @cancel: set (without @mutex, which DoSnapshotSet holds) to make a
 *	running DoSnapshotSet unwind; never cleared
 * @cancel_wq: woken when @cancel is set, and when a writer's window ends
 * @ws: the writer side; under @mutex and vss_sessions_lock; NULL once
 *	unlinked
 * @run_ws: @ws while DoSnapshotSet runs the writer protocol, else NULL;
 *	written under @mutex, read locklessly by the waits
 * @context: enum vss_snapshot_context (SetContext); under @mutex, fixed
 *	once a set was started
 * @started: a set was started (SetContext is refused); under @mutex
 */
struct vss_session {
	struct list_head node;
	struct kref kref;
	u64 serial;
	uuid_t id;
	u32 portid;
	struct mutex mutex;	/* serialises operations on the session */
	u32 state;
	struct vss_set *set;
	bool unlinked;
	bool cancel;
	wait_queue_head_t cancel_wq;
	struct vss_wsession *ws;
	struct vss_wsession *run_ws;
	u32 context;
	bool started;
};

static LIST_HEAD(vss_sessions);
static DEFINE_SPINLOCK(vss_sessions_lock);
static u64 vss_session_serial;		/* under vss_sessions_lock */
static DEFINE_MUTEX(vss_reserve_mutex);

static void vss_session_free(struct kref *kref)
{
	struct vss_session *s = container_of(kref, struct vss_session, kref);

	kfree(s->set);
	kfree(s);
}

static void vss_session_put(struct vss_session *s)
{
	kref_put(&s->kref, vss_session_free);
}

/* Find a session by id and take a reference; NULL if there is none. */
static struct vss_session *vss_session_find(const uuid_t *id)
{
	struct vss_session *s, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	list_for_each_entry(s, &vss_sessions, node) {
		if (uuid_equal(&s->id, id)) {
			kref_get(&s->kref);
			found = s;
			break;
		}
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	return found;
}

/*
 * Find and lock a live session.  Returns it referenced with @mutex held, or
 * an ERR_PTR with the reason in @extack.
 */
static struct vss_session *vss_session_lock(const uuid_t *id,
					    struct netlink_ext_ack *extack)
{
	struct vss_session *s = vss_session_find(id);

	if (!s)
		goto out_not_found;
	mutex_lock(&s->mutex);
	if (s->unlinked) {
		mutex_unlock(&s->mutex);
		vss_session_put(s);
		goto out_not_found;
	}
	return s;

out_not_found:
	NL_SET_ERR_MSG(extack, "No such session");
	vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
	return ERR_PTR(-ENOENT);
}

static void vss_session_unlock(struct vss_session *s)
{
	mutex_unlock(&s->mutex);
	vss_session_put(s);
}

/* Change state fields; caller holds @s->mutex. */
static void vss_session_set_state(struct vss_session *s, u32 state,
				  u32 set_state)
{
	unsigned long flags;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	if (state)
		s->state = state;
	if (set_state && s->set)
		s->set->state = set_state;
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
}

/*
 * Drop the LUN reservations of the session's set (and the references that
 * back them).  Caller holds @s->mutex; no snapshot may be in flight.
 */
static void vss_set_unreserve(struct vss_session *s)
{
	struct vss_lun *luns[VSS_MAX_SET_LUNS];
	struct vss_set *set = s->set;
	unsigned long flags;
	unsigned int i, n = 0;

	if (!set)
		return;
	spin_lock_irqsave(&vss_sessions_lock, flags);
	for (i = 0; i < set->nr; i++) {
		if (set->m[i].lun)
			luns[n++] = set->m[i].lun;
		set->m[i].lun = NULL;
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	while (n) {
		vss_lun_unclaim(luns[--n]);
		vss_lun_put(luns[n]);
	}
}

/*
 * Must the running operation stop: session aborted, a frozen writer's
 * window passed, a frozen writer died?  Lockless: fit for wait conditions.
 */
static bool vss_session_stop(struct vss_session *s)
{
	struct vss_wsession *ws = READ_ONCE(s->run_ws);

	return READ_ONCE(s->cancel) || vss_wsession_window_passed(ws) ||
	       vss_wsession_frozen_writer_died(ws);
}

static bool vss_session_cancelled(struct vss_session *s)
{
	return vss_session_stop(s) || fatal_signal_pending(current);
}

/* struct vss_wcancel callback of the session's writer phases */
static bool vss_session_wcancel(void *arg)
{
	return vss_session_cancelled(arg);
}

/* Wakes the session's waits: a writer's window ended or it died frozen. */
static void vss_session_wake(void *arg)
{
	struct vss_session *s = arg;

	wake_up_all(&s->cancel_wq);
}

/*
 * Abort @s: stop a running DoSnapshotSet, release every reservation and
 * mark the session (and an unfinished set) aborted.  With @unlink, also
 * remove it from the list and drop the list's reference (socket gone).
 * Context: process; sleeps until a running DoSnapshotSet has unwound.
 */
static void vss_session_release_set(const uuid_t *set_id);

static void vss_session_cancel(struct vss_session *s, bool unlink)
{
	struct vss_wsession *ws = NULL;
	bool release = false;
	unsigned long flags;
	uuid_t set_id;

	WRITE_ONCE(s->cancel, true);
	wake_up_all(&s->cancel_wq);

	mutex_lock(&s->mutex);
	if (s->unlinked) {
		mutex_unlock(&s->mutex);
		return;
	}
	vss_set_unreserve(s);
	spin_lock_irqsave(&vss_sessions_lock, flags);
	if (s->set && s->set->state != VSS_SET_STATE_CREATED)
		s->set->state = VSS_SET_STATE_ABORTED;
	s->state = VSS_SESSION_STATE_ABORTED;
	if (unlink) {
		list_del_init(&s->node);
		s->unlinked = true;
		ws = s->ws;
		s->ws = NULL;
		/* auto-release: the set goes with the requester's socket */
		release = s->set && s->set->state == VSS_SET_STATE_CREATED &&
			  !(s->context & VSS_CTX_ATTR_NO_AUTO_RELEASE);
		if (release)
			set_id = s->set->id;
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	mutex_unlock(&s->mutex);
	if (release)
		vss_session_release_set(&set_id);
	if (unlink) {
		/* no operation runs on an unlinked session: writers' turn */
		if (ws)
			vss_wsession_release(ws);
		vss_event_objects_changed();
		vss_session_put(s);	/* the list's reference */
	}
}

static void vss_session_fill_info(struct vss_session *s,
				  struct vss_session_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = s->id;
	info->portid = s->portid;
	info->state = s->state;
	info->context = s->context;
	if (s->set) {
		info->has_set = true;
		info->set_id = s->set->id;
		info->set_state = s->set->state;
		info->lun_count = s->set->nr;
	}
}

/**
 * vss_session_create() - create a session bound to a netlink socket
 * @portid: port id of the requesting socket
 * @info: filled with the new session's state
 *
 * Context: process.
 * Return: 0 or -ENOMEM.
 */
int vss_session_create(u32 portid, struct vss_session_info *info)
{
	struct vss_session *s;
	unsigned long flags;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	kref_init(&s->kref);
	mutex_init(&s->mutex);
	init_waitqueue_head(&s->cancel_wq);
	uuid_gen(&s->id);
	s->ws = vss_wsession_new(&s->id);
	if (!s->ws) {
		kfree(s);
		return -ENOMEM;
	}
	s->portid = portid;
	s->state = VSS_SESSION_STATE_INITIALIZED;
	/*
	 * Until SetContext, persistent: what sessions were before contexts
	 * (libvssctl sets VSS_CTX_BACKUP, VSS's default, on each object).
	 */
	s->context = VSS_SNAPSHOT_CONTEXT_APP_ROLLBACK;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	s->serial = ++vss_session_serial;
	list_add_tail(&s->node, &vss_sessions);
	vss_session_fill_info(s, info);
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	pr_debug("session %pUb created for port %u\n", &s->id, portid);
	return 0;
}

/**
 * vss_session_get_info() - state of one session
 * @id: session id
 * @info: filled in
 * @extack: reason of a failure
 *
 * Context: process or atomic.
 * Return: 0, or -ENOENT if there is no such session.
 */
int vss_session_get_info(const uuid_t *id, struct vss_session_info *info,
			 struct netlink_ext_ack *extack)
{
	struct vss_session *s;
	unsigned long flags;
	int ret = -ENOENT;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	list_for_each_entry(s, &vss_sessions, node) {
		if (uuid_equal(&s->id, id)) {
			vss_session_fill_info(s, info);
			ret = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	if (ret) {
		NL_SET_ERR_MSG(extack, "No such session");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
	}
	return ret;
}

/**
 * vss_session_next_info() - iterate sessions in creation order
 * @cursor: 0 to start; advanced past the session returned
 * @info: filled in
 *
 * Context: process or atomic.
 * Return: 0, or -ENOENT after the last session.
 */
int vss_session_next_info(u64 *cursor, struct vss_session_info *info)
{
	struct vss_session *s;
	unsigned long flags;
	int ret = -ENOENT;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	list_for_each_entry(s, &vss_sessions, node) {
		if (s->serial > *cursor) {
			vss_session_fill_info(s, info);
			*cursor = s->serial;
			ret = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	return ret;
}

/**
 * vss_session_abort() - AbortBackup
 * @id: session id
 * @extack: reason of a failure
 *
 * Makes a running DoSnapshotSet of the session unwind, releases every LUN
 * reservation; the session stays, aborted, until its socket is closed.
 *
 * Context: process; may wait for DoSnapshotSet to unwind.
 * Return: 0, or -ENOENT if there is no such session.
 */
int vss_session_abort(const uuid_t *id, struct netlink_ext_ack *extack)
{
	struct vss_session *s = vss_session_find(id);

	if (!s) {
		NL_SET_ERR_MSG(extack, "No such session");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	vss_session_cancel(s, false);
	vss_session_put(s);
	return 0;
}

/* Checks shared by the set operations; caller holds @s->mutex. */
static int vss_session_check_set(struct vss_session *s, const uuid_t *set_id,
				 u32 want_state, struct netlink_ext_ack *extack)
{
	if (s->state == VSS_SESSION_STATE_ABORTED) {
		NL_SET_ERR_MSG(extack, "Session was aborted");
		vss_set_hresult(extack, VSS_E_BAD_STATE);
		return -EINVAL;
	}
	if (!s->set || !uuid_equal(&s->set->id, set_id)) {
		NL_SET_ERR_MSG(extack, "No such snapshot set in this session");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	if (s->state != want_state) {
		NL_SET_ERR_MSG(extack, "Snapshot set is not being built");
		vss_set_hresult(extack, VSS_E_BAD_STATE);
		return -EINVAL;
	}
	return 0;
}

/**
 * vss_session_set_start() - StartSnapshotSet
 * @sid: session id
 * @set_id: the new set's id
 * @extack: reason of a failure
 *
 * Context: process.
 * Return: 0; -ENOENT (no session), -EBUSY (a set is in progress),
 * -EINVAL (session aborted), -ENOMEM.
 */
int vss_session_set_start(const uuid_t *sid, uuid_t *set_id,
			  struct netlink_ext_ack *extack)
{
	struct vss_set *set, *old;
	struct vss_session *s;
	unsigned long flags;
	int ret = 0;

	s = vss_session_lock(sid, extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	switch (s->state) {
	case VSS_SESSION_STATE_INITIALIZED:
	case VSS_SESSION_STATE_SNAPSHOTS_DONE:
		break;
	case VSS_SESSION_STATE_ABORTED:
		NL_SET_ERR_MSG(extack, "Session was aborted");
		vss_set_hresult(extack, VSS_E_BAD_STATE);
		ret = -EINVAL;
		goto out_unlock;
	case VSS_SESSION_STATE_BACKUP_COMPLETE:
		NL_SET_ERR_MSG(extack, "The backup is complete");
		vss_set_hresult(extack, VSS_E_BAD_STATE);
		ret = -EINVAL;
		goto out_unlock;
	default:
		NL_SET_ERR_MSG(extack, "A snapshot set is already in progress");
		vss_set_hresult(extack, VSS_E_SNAPSHOT_SET_IN_PROGRESS);
		ret = -EBUSY;
		goto out_unlock;
	}
	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	uuid_gen(&set->id);
	set->state = VSS_SET_STATE_PREPARING;
	*set_id = set->id;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	old = s->set;
	s->set = set;
	s->state = VSS_SESSION_STATE_SET_BUILDING;
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	s->started = true;
	kfree(old);		/* reserved nothing any more */

out_unlock:
	vss_session_unlock(s);
	return ret;
}

/* Is @lun reserved by any session?  Caller holds vss_sessions_lock. */
static struct vss_session *vss_lun_reserver(struct vss_lun *lun)
{
	struct vss_session *s;
	unsigned int i;

	list_for_each_entry(s, &vss_sessions, node) {
		if (!s->set)
			continue;
		for (i = 0; i < s->set->nr; i++)
			if (s->set->m[i].lun == lun)
				return s;
	}
	return NULL;
}

/**
 * vss_session_set_add() - AddToSnapshotSet
 * @sid: session id
 * @set_id: the set being built
 * @lun_name: LUN to add
 * @snap_id: the id its snapshot will have
 * @extack: reason of a failure
 *
 * Reserves the LUN for the session (and claims it in the engine): no other
 * session can add it, and it cannot be removed, until the set is created,
 * deleted or aborted.
 *
 * Context: process.
 * Return: 0; -ENOENT (no session, set or LUN), -EINVAL (bad state),
 * -EEXIST (already in the set), -EBUSY (reserved by another session),
 * -E2BIG (set full).
 */
int vss_session_set_add(const uuid_t *sid, const uuid_t *set_id,
			const char *lun_name, uuid_t *snap_id,
			struct netlink_ext_ack *extack)
{
	struct vss_session *s, *holder;
	struct vss_set_member *m;
	struct vss_lun *lun;
	unsigned long flags;
	int ret;

	mutex_lock(&vss_reserve_mutex);
	s = vss_session_lock(sid, extack);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
		goto out_reserve;
	}
	ret = vss_session_check_set(s, set_id, VSS_SESSION_STATE_SET_BUILDING,
				    extack);
	if (ret)
		goto out_unlock;
	lun = vss_lun_find(lun_name);
	if (!lun) {
		NL_SET_ERR_MSG(extack, "No such LUN");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		ret = -ENOENT;
		goto out_unlock;
	}

	spin_lock_irqsave(&vss_sessions_lock, flags);
	holder = vss_lun_reserver(lun);
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	if (holder == s) {
		NL_SET_ERR_MSG(extack, "LUN is already in the snapshot set");
		vss_set_hresult(extack, VSS_E_OBJECT_ALREADY_EXISTS);
		ret = -EEXIST;
		goto out_put;
	}
	if (holder) {
		NL_SET_ERR_MSG(extack, "LUN is held by another session");
		vss_set_hresult(extack, VSS_E_VOLUME_IN_USE);
		ret = -EBUSY;
		goto out_put;
	}
	if (s->set->nr >= VSS_MAX_SET_LUNS) {
		NL_SET_ERR_MSG(extack, "Snapshot set has the maximum number of LUNs");
		vss_set_hresult(extack, VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED);
		ret = -E2BIG;
		goto out_put;
	}
	/* The engine's mark: a claimed LUN reports busy and is not removed. */
	ret = vss_lun_claim(lun);
	if (ret == -EBUSY) {
		NL_SET_ERR_MSG(extack, "LUN is held by another session");
		vss_set_hresult(extack, VSS_E_VOLUME_IN_USE);
		goto out_put;
	} else if (ret) {
		NL_SET_ERR_MSG(extack, "LUN is being removed");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		goto out_put;
	}

	spin_lock_irqsave(&vss_sessions_lock, flags);
	m = &s->set->m[s->set->nr++];
	m->lun = lun;
	strscpy(m->name, lun_name, sizeof(m->name));
	uuid_gen(&m->snap_id);
	*snap_id = m->snap_id;
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	lun = NULL;	/* the reference now backs the reservation */

out_put:
	if (lun)
		vss_lun_put(lun);

out_unlock:
	vss_session_unlock(s);
out_reserve:
	mutex_unlock(&vss_reserve_mutex);
	return ret;
}

enum { VSS_FREEZE_RUNNING, VSS_FREEZE_DONE, VSS_FREEZE_ABANDONED };

/**
 * struct vss_freeze - a file system freeze that may outlive its set
 * @work: runs vss_lun_freeze()
 * @lun: the LUN, referenced
 * @done: completed once the freeze returned (unless abandoned)
 * @ret: the freeze's result
 * @state: VSS_FREEZE_*; the set abandons a running freeze, which then
 *	thaws and frees itself when it ends; otherwise the set frees it
 *
 * freeze_bdev() syncs the file system and cannot be interrupted: on a LUN
 * whose device below is stuck it may never return.  It runs here so that
 * the set's wait is bounded and killable.
 */
struct vss_freeze {
	struct work_struct work;
	struct vss_lun *lun;
	struct completion done;
	int ret;
	atomic_t state;
};

static void vss_freeze_work(struct work_struct *work)
{
	struct vss_freeze *f = container_of(work, struct vss_freeze, work);

	f->ret = vss_lun_freeze(f->lun);
	if (atomic_cmpxchg(&f->state, VSS_FREEZE_RUNNING, VSS_FREEZE_DONE) ==
	    VSS_FREEZE_ABANDONED) {
		/* the set gave up on this freeze: undo it */
		if (!f->ret)
			vss_lun_thaw(f->lun);
		pr_info("a freeze abandoned by its snapshot set ended (%d) and was undone\n",
			f->ret);
		vss_lun_put(f->lun);
		kfree(f);
		return;
	}
	complete(&f->done);
}

/*
 * Freeze one member's file system, waiting until @deadline at most, and
 * no longer once the session is aborted or the caller killed.  Returns 0
 * (frozen), the freeze's error, -ETIMEDOUT or -ECANCELED.
 */
static int vss_set_freeze_one(struct vss_session *s, struct vss_lun *lun,
			      unsigned long deadline)
{
	struct vss_freeze *f;
	long left, r;
	int ret;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	INIT_WORK(&f->work, vss_freeze_work);
	init_completion(&f->done);
	atomic_set(&f->state, VSS_FREEZE_RUNNING);
	vss_lun_get(lun);
	f->lun = lun;
	queue_work(vss_freeze_wq, &f->work);
	for (;;) {
		left = (long)(deadline - jiffies);
		/* slices: an abort is seen within 20 ms */
		r = wait_for_completion_killable_timeout(&f->done,
							 clamp_t(long, left, 1, HZ / 50));
		if (r > 0)
			break;
		if (!vss_session_cancelled(s) && time_before(jiffies, deadline))
			continue;
		if (atomic_cmpxchg(&f->state, VSS_FREEZE_RUNNING,
				   VSS_FREEZE_ABANDONED) == VSS_FREEZE_RUNNING)
			return vss_session_cancelled(s) ? -ECANCELED : -ETIMEDOUT;
		/* it ended meanwhile: ours to finish */
		wait_for_completion(&f->done);
		if (!f->ret)
			vss_lun_thaw(lun);
		f->ret = vss_session_cancelled(s) ? -ECANCELED : -ETIMEDOUT;
		break;
	}
	ret = f->ret;
	vss_lun_put(f->lun);
	kfree(f);
	return ret;
}

/* Freeze every member's file system (see vss_set_freeze_one()). */
static int vss_set_freeze(struct vss_session *s, unsigned int *nfrozen,
			  struct netlink_ext_ack *extack)
{
	unsigned int limit = READ_ONCE(freeze_timeout_ms);
	unsigned long deadline = jiffies + msecs_to_jiffies(limit);
	struct vss_set *set = s->set;
	unsigned int i;
	int ret;

	for (i = 0; i < set->nr; i++) {
		ret = vss_set_freeze_one(s, set->m[i].lun, deadline);
		if (ret == -ETIMEDOUT) {
			pr_warn("session %pUb: LUN %s: file system freeze did not finish within %u ms; set abandoned\n",
				&s->id, set->m[i].name, limit);
			NL_SET_ERR_MSG(extack,
				       "Freezing the file system on a LUN did not finish in time; set abandoned");
			vss_set_hresult(extack, VSS_E_FLUSH_WRITES_TIMEOUT);
		} else if (ret == -ECANCELED) {
			NL_SET_ERR_MSG(extack, "Snapshot set cancelled while freezing");
		} else if (ret) {
			NL_SET_ERR_MSG(extack, "Freezing the filesystem on a LUN failed");
		}
		if (ret)
			return ret;
		(*nfrozen)++;
	}
	return 0;
}

/* Thaw the first @n LUNs of @set. */
static void vss_set_thaw(struct vss_set *set, unsigned int n)
{
	while (n)
		vss_lun_thaw(set->m[--n].lun);
}

/* Undo vss_snapshot_prepare() on the first @n members. */
static void vss_set_abort_snapshots(struct vss_set *set, unsigned int n)
{
	while (n) {
		struct vss_set_member *m = &set->m[--n];

		/* prepared, not committed: this cannot fail */
		vss_snapshot_abort(m->snap, NULL);
		vss_snapshot_put(m->snap);
		m->snap = NULL;
	}
}

/* Release the holds of the first @n members. */
static void vss_set_release(struct vss_set *set, unsigned int n)
{
	while (n)
		vss_lun_release(set->m[--n].lun);
}

/*
 * Hold every LUN of the set: stop admitting writes on all of them first,
 * then wait for each one's writes in flight, within one deadline for the
 * whole set.  The wait ends at once when the session is aborted or the
 * caller killed.  On failure every LUN is released again.
 */
static int vss_set_hold(struct vss_session *s, struct netlink_ext_ack *extack)
{
	unsigned int limit = min(READ_ONCE(hold_timeout_ms), VSS_HOLD_MAX_MS);
	unsigned long deadline = jiffies + msecs_to_jiffies(limit);
	struct vss_set *set = s->set;
	unsigned int i;
	long left, ret;

	for (i = 0; i < set->nr; i++)
		vss_lun_hold_start(set->m[i].lun);
	for (i = 0; i < set->nr; i++) {
		for (;;) {
			left = (long)(deadline - jiffies);
			/* slices: an abort is seen within 20 ms */
			ret = vss_lun_hold_wait(set->m[i].lun,
						clamp_t(long, left, 1, HZ / 50));
			if (ret > 0)
				break;
			if (vss_session_cancelled(s)) {
				vss_set_release(set, set->nr);
				return -ECANCELED;
			}
			if (time_after_eq(jiffies, deadline)) {
				vss_set_release(set, set->nr);
				pr_warn("session %pUb: LUN %s: writes did not drain within %u ms; set abandoned\n",
					&s->id, set->m[i].name, limit);
				NL_SET_ERR_MSG(extack,
					       "A LUN's writes did not drain within the hold limit; set abandoned");
				vss_set_hresult(extack,
						VSS_E_FLUSH_WRITES_TIMEOUT);
				return -ETIMEDOUT;
			}
		}
	}
	return 0;
}

/*
 * Sleep in the hold window when the test knob asks for it.  Returns true
 * if the set must be abandoned (session aborted or caller killed).
 */
static bool vss_set_hold_delay(struct vss_session *s)
{
	unsigned int ms = READ_ONCE(test_hold_delay_ms);

	if (ms)
		wait_event_killable_timeout(s->cancel_wq, vss_session_stop(s),
					    msecs_to_jiffies(ms));
	return vss_session_cancelled(s);
}

/* The LUN names of @set (pointers into it), kmalloc'ed; NULL if no memory. */
static const char **vss_set_names(struct vss_set *set)
{
	const char **names;
	unsigned int i;

	names = kmalloc_array(max(set->nr, 1U), sizeof(*names), GFP_KERNEL);
	if (names)
		for (i = 0; i < set->nr; i++)
			names[i] = set->m[i].name;
	return names;
}

/* Choose the writers of @s->set (vss_wsession_set_begin()). */
static int vss_set_writers_begin(struct vss_session *s, struct vss_wsession *ws)
{
	const char **names = vss_set_names(s->set);
	int ret;

	if (!names)
		return -ENOMEM;
	ret = vss_wsession_set_begin(ws, &s->set->id, names, s->set->nr,
				     vss_session_wake, s);
	kfree(names);
	return ret;
}

/*
 * A wait of the set ended early: say why in @extack.  A writer's window
 * or a frozen writer's death fails the set with the writer's code
 * (-ETIMEDOUT); otherwise it was the session's abort or a fatal signal
 * (-ECANCELED).
 */
static int vss_set_cancel_reason(struct vss_session *s, struct vss_wsession *ws,
				 struct netlink_ext_ack *extack)
{
	if (ws && (vss_wsession_window_passed(ws) ||
		   vss_wsession_frozen_writer_died(ws)))
		return vss_wsession_fail_frozen(ws, extack);
	if (fatal_signal_pending(current))
		NL_SET_ERR_MSG(extack, "Snapshot set interrupted by a fatal signal");
	else
		NL_SET_ERR_MSG(extack, "Snapshot set cancelled: session aborted");
	return -ECANCELED;
}

/*
 * The DoSnapshotSet sequence over every member of @s->set (see the top of
 * the file).  Caller holds @s->mutex; on return every member's LUN is
 * thawed and released, and no snapshot reference is held.
 */
static int vss_set_run(struct vss_session *s, bool writers,
		       struct vss_set_result *res,
		       struct netlink_ext_ack *extack)
{
	struct vss_wcancel wc = { .fn = vss_session_wcancel, .arg = s };
	struct vss_set *set = s->set;
	struct vss_wsession *ws = NULL;
	unsigned int i, nfrozen = 0, nprep = 0;
	unsigned int noio;
	ktime_t t0, t1;
	int ret;

	vss_session_set_state(s, VSS_SESSION_STATE_SET_COMMITTING,
			      VSS_SET_STATE_PROCESSING_PREPARE);
	if (writers) {
		ws = s->ws;
		ret = vss_set_writers_begin(s, ws);
		if (ret)
			goto out_writers;
		WRITE_ONCE(s->run_ws, ws);
		ret = vss_wsession_prepare_snapshot(ws, &wc, extack);
		if (!ret)
			ret = vss_wsession_freeze(ws, &wc, extack);
		if (ret == -ECANCELED)
			goto out_cancelled;
		if (ret)
			goto out_writers;
	}
	ret = vss_set_freeze(s, &nfrozen, extack);
	if (ret == -ECANCELED)
		goto out_cancelled;
	if (ret)
		goto out_thaw;
	for (i = 0; i < set->nr; i++) {
		ret = vss_snapshot_prepare(set->m[i].lun, &set->m[i].snap_id,
					   &set->id, extack, &set->m[i].snap);
		if (ret) {
			if (extack && !extack->_msg)
				NL_SET_ERR_MSG(extack, "Preparing a snapshot failed");
			goto out_abort;
		}
		nprep++;
		if (vss_test_fail_lun(set->m[i].name)) {
			NL_SET_ERR_MSG(extack, "Injected failure (test_fail_lun)");
			ret = -EIO;
			goto out_abort;
		}
	}
	if (vss_session_cancelled(s)) {
		ret = -ECANCELED;
		goto out_cancelled;
	}

	/*
	 * The hold window: no allocation in here may recurse into I/O on a
	 * held LUN.
	 */
	noio = memalloc_noio_save();
	vss_session_set_state(s, 0, VSS_SET_STATE_PROCESSING_COMMIT);
	t0 = ktime_get();
	ret = vss_set_hold(s, extack);
	if (ret) {
		memalloc_noio_restore(noio);
		if (ret == -ECANCELED)
			goto out_cancelled;
		goto out_abort;
	}
	if (vss_set_hold_delay(s)) {
		vss_set_release(set, set->nr);
		memalloc_noio_restore(noio);
		ret = -ECANCELED;
		goto out_cancelled;
	}
	/*
	 * VSS gives up when writes were held too long: then the point in
	 * time is not taken at all.
	 */
	if (ktime_ms_delta(ktime_get(), t0) >
	    min(READ_ONCE(hold_timeout_ms), VSS_HOLD_MAX_MS)) {
		vss_set_release(set, set->nr);
		memalloc_noio_restore(noio);
		NL_SET_ERR_MSG(extack, "I/O was held longer than the hold limit; set abandoned");
		vss_set_hresult(extack, VSS_E_HOLD_WRITES_TIMEOUT);
		ret = -ETIMEDOUT;
		goto out_abort;
	}
	for (i = 0; i < set->nr; i++)
		vss_snapshot_commit(set->m[i].snap);
	vss_set_release(set, set->nr);
	t1 = ktime_get();
	memalloc_noio_restore(noio);
	res->hold_us = ktime_us_delta(t1, t0);

	/* Thaw first: the freeze window ends as soon as the point is taken. */
	vss_session_set_state(s, 0, VSS_SET_STATE_PROCESSING_POSTCOMMIT);
	vss_set_thaw(set, nfrozen);
	nfrozen = 0;
	if (ws) {
		ret = vss_wsession_thaw(ws, &wc, extack);
		if (ret)
			goto out_delete;
	}
	if (READ_ONCE(test_persist_delay_ms))
		msleep_interruptible(READ_ONCE(test_persist_delay_ms));
	for (i = 0; i < set->nr; i++) {
		ret = vss_snapshot_persist(set->m[i].snap);
		if (ret) {
			NL_SET_ERR_MSG(extack,
				       "Making a snapshot durable failed; set deleted");
			goto out_delete;
		}
	}
	if (ws) {
		ret = vss_wsession_post_snapshot(ws, &wc, extack);
		if (ret)
			goto out_delete;
		WRITE_ONCE(s->run_ws, NULL);
		vss_wsession_set_end(ws, false);
	}

	res->nr = set->nr;
	for (i = 0; i < set->nr; i++) {
		struct vss_set_member_info *mi = &res->m[i];
		struct vss_snapshot_info si;

		vss_snapshot_get_info(set->m[i].snap, &si);
		strscpy(mi->lun, set->m[i].name, sizeof(mi->lun));
		mi->snap_id = set->m[i].snap_id;
		strscpy(mi->device, si.device, sizeof(mi->device));
		mi->devt = si.devt;
		vss_snapshot_put(set->m[i].snap);
		set->m[i].snap = NULL;
	}
	pr_info("session %pUb: snapshot set %pUb: %u LUNs, I/O held %llu us\n",
		&s->id, &set->id, set->nr, res->hold_us);
	return 0;

out_delete:
	if (ret == -ECANCELED)
		ret = vss_set_cancel_reason(s, ws, extack);
	/* a set exists on all of its LUNs or on none */
	for (i = 0; i < set->nr; i++) {
		int err = vss_snapshot_abort(set->m[i].snap, NULL);

		if (err) {
			pr_err("session %pUb: set %pUb: snapshot of LUN %s could not be deleted (%d); it is left invalid\n",
			       &s->id, &set->id, set->m[i].name, err);
			NL_SET_ERR_MSG(extack,
				       "Making a snapshot durable failed, and deleting the set's other snapshots failed too: check the store");
		}
		vss_snapshot_put(set->m[i].snap);
		set->m[i].snap = NULL;
	}
	vss_set_thaw(set, nfrozen);
	goto out_writers;

out_cancelled:
	ret = vss_set_cancel_reason(s, ws, extack);
out_abort:
	vss_set_abort_snapshots(set, nprep);
out_thaw:
	vss_set_thaw(set, nfrozen);
out_writers:
	if (ws) {
		WRITE_ONCE(s->run_ws, NULL);
		vss_wsession_set_end(ws, true);
	}
	return ret;
}

/**
 * struct vss_set_job - a DoSnapshotSet running on vss_set_wq
 * @work: runs vss_set_work()
 * @s: the session, referenced
 * @writers: run the writer protocol
 * @extack: collects the failure's message and VSS result code, as the
 *	request's extended ack did when set-do was synchronous
 * @res: the outcome on success
 */
struct vss_set_job {
	struct work_struct work;
	struct vss_session *s;
	bool writers;
	struct netlink_ext_ack extack;
	struct vss_set_result res;
};

/* runs DoSnapshotSet sequences, so that no netlink handler waits for one */
static struct workqueue_struct *vss_set_wq;

/*
 * The DoSnapshotSet sequence of one job, then its set-done event to the
 * session's socket.  The session was put in set-committing when the job
 * was queued; an abort before the job got the mutex leaves nothing to do
 * but report it.
 */
static void vss_set_work(struct work_struct *work)
{
	struct vss_set_job *job = container_of(work, struct vss_set_job, work);
	struct netlink_ext_ack *extack = &job->extack;
	struct vss_session *s = job->s;
	struct vss_set_done d = { .res = &job->res };
	int ret;

	mutex_lock(&s->mutex);
	if (s->unlinked || READ_ONCE(s->cancel) ||
	    s->state != VSS_SESSION_STATE_SET_COMMITTING) {
		NL_SET_ERR_MSG(extack, "Snapshot set cancelled: session aborted");
		ret = -ECANCELED;
	} else {
		ret = vss_set_run(s, job->writers, &job->res, extack);
	}
	vss_set_unreserve(s);
	if (ret)
		vss_session_set_state(s, READ_ONCE(s->cancel) ?
				      VSS_SESSION_STATE_ABORTED :
				      VSS_SESSION_STATE_INITIALIZED,
				      VSS_SET_STATE_ABORTED);
	else
		vss_session_set_state(s, READ_ONCE(s->cancel) ?
				      VSS_SESSION_STATE_ABORTED :
				      VSS_SESSION_STATE_SNAPSHOTS_DONE,
				      VSS_SET_STATE_CREATED);
	d.portid = s->portid;
	d.session_id = s->id;
	d.set_id = s->set->id;
	d.state = s->set->state;
	mutex_unlock(&s->mutex);

	d.error = ret;
	if (ret) {
		d.message = extack->_msg;
		if (extack->cookie_len == sizeof(d.hresult))
			memcpy(&d.hresult, extack->cookie, sizeof(d.hresult));
	}
	vss_event_set_done(&d);
	vss_session_put(s);
	kfree(job);
}

/**
 * vss_session_set_do() - DoSnapshotSet, started asynchronously
 * @sid: session id
 * @set_id: the set being built
 * @writers: run the writer protocol (else no writer gets an event)
 * @extack: reason of a refusal
 *
 * Checks the request, puts the session in set-committing and queues the
 * sequence (vss_set_run()) on a worker; returns without waiting for it.
 * Its outcome is reported once through vss_event_set_done() to the
 * session's socket: the snapshots on success; on failure nothing is left
 * on any LUN, the set is aborted and the session can start another one
 * (unless the session itself was aborted).  session-abort and the
 * socket's release stop it, up to the commit.
 *
 * Context: process.
 * Return: 0 (started), or a negative errno (refused, nothing started).
 */
int vss_session_set_do(const uuid_t *sid, const uuid_t *set_id,
		       bool writers, struct netlink_ext_ack *extack)
{
	struct vss_set_job *job;
	struct vss_session *s;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	s = vss_session_lock(sid, extack);
	if (IS_ERR(s)) {
		kfree(job);
		return PTR_ERR(s);
	}
	ret = vss_session_check_set(s, set_id, VSS_SESSION_STATE_SET_BUILDING,
				    extack);
	if (ret)
		goto out_unlock;
	if (!s->set->nr) {
		NL_SET_ERR_MSG(extack, "Snapshot set has no LUN");
		vss_set_hresult(extack, VSS_E_BAD_STATE);
		ret = -EINVAL;
		goto out_unlock;
	}

	if (s->context & VSS_CTX_ATTR_NO_WRITERS)
		writers = false;
	/* from here on set-add, set-del and a second set-do are refused */
	vss_session_set_state(s, VSS_SESSION_STATE_SET_COMMITTING,
			      VSS_SET_STATE_PROCESSING_PREPARE);
	INIT_WORK(&job->work, vss_set_work);
	kref_get(&s->kref);
	job->s = s;
	job->writers = writers;
	queue_work(vss_set_wq, &job->work);
	job = NULL;

out_unlock:
	vss_session_unlock(s);
	kfree(job);
	return ret;
}

/*
 * Lock session @sid for a writer operation allowed in the states of
 * @ok_states (a bit per enum vss_session_state).  Returns it referenced
 * and locked, or an ERR_PTR with the reason in @extack.
 */
static struct vss_session *vss_session_lock_writers(const uuid_t *sid,
						    u32 ok_states,
						    struct netlink_ext_ack *extack)
{
	struct vss_session *s = vss_session_lock(sid, extack);

	if (IS_ERR(s))
		return s;
	if (!(ok_states & BIT(s->state))) {
		if (s->state == VSS_SESSION_STATE_ABORTED)
			NL_SET_ERR_MSG(extack, "Session was aborted");
		else
			NL_SET_ERR_MSG(extack,
				       "Not allowed in the session's state (out of sequence)");
		vss_set_hresult(extack, VSS_E_BAD_STATE);
		vss_session_unlock(s);
		return ERR_PTR(-EINVAL);
	}
	return s;
}

/* A writer phase of @s was cancelled: say why. */
static int vss_session_phase_cancelled(struct netlink_ext_ack *extack)
{
	if (fatal_signal_pending(current))
		NL_SET_ERR_MSG(extack, "Interrupted by a fatal signal");
	else
		NL_SET_ERR_MSG(extack, "Cancelled: session aborted");
	return -ECANCELED;
}

/**
 * vss_session_writer_filter() - Disable/EnableWriterClasses,
 *	DisableWriterInstances
 * @sid: session id
 * @mode: enum vss_writer_filter
 * @ids: the class or instance ids
 * @nr: entries of @ids
 * @extack: reason of a failure
 *
 * Valid before DoSnapshotSet.
 *
 * Context: process.
 * Return: 0, -ENOENT, -EINVAL (VSS_E_BAD_STATE), -E2BIG.
 */
int vss_session_writer_filter(const uuid_t *sid, u32 mode, const uuid_t *ids,
			      unsigned int nr, struct netlink_ext_ack *extack)
{
	struct vss_session *s;
	int ret;

	s = vss_session_lock_writers(sid,
				     BIT(VSS_SESSION_STATE_INITIALIZED) |
				     BIT(VSS_SESSION_STATE_SET_BUILDING), extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = vss_wsession_filter(s->ws, mode, ids, nr, extack);
	vss_session_unlock(s);
	return ret;
}

/**
 * vss_session_gather_metadata() - GatherWriterMetadata
 * @sid: session id
 * @extack: reason of a failure
 *
 * Identify to every writer the session's filters allow; blocks until each
 * answered or its event timeout passed.  Aborted by session-abort, the
 * socket's release or a fatal signal.
 *
 * Context: process; sleeps.
 * Return: 0, -ENOENT, -EINVAL (VSS_E_BAD_STATE), -ECANCELED, -ENOMEM.
 */
int vss_session_gather_metadata(const uuid_t *sid,
				struct netlink_ext_ack *extack)
{
	struct vss_wcancel wc = { .fn = vss_session_wcancel };
	struct vss_session *s;
	int ret;

	s = vss_session_lock_writers(sid,
				     BIT(VSS_SESSION_STATE_INITIALIZED) |
				     BIT(VSS_SESSION_STATE_SET_BUILDING), extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	wc.arg = s;
	ret = vss_wsession_identify(s->ws, &wc, extack);
	if (ret == -ECANCELED)
		vss_session_phase_cancelled(extack);
	vss_session_unlock(s);
	return ret;
}

/**
 * vss_session_prepare_backup() - PrepareForBackup
 * @sid: session id
 * @extack: reason of a failure
 *
 * Sent to the writers with a LUN in the set being built.  A veto (or a
 * writer not answering) discards the set, as set-del would: the session
 * can start another one.
 *
 * Context: process; sleeps.
 * Return: 0; -EIO (veto) or -ETIMEDOUT (not responding) with the
 * writer's hrWriter; -ENOENT; -EINVAL (VSS_E_BAD_STATE); -ECANCELED;
 * -ENOMEM.
 */
int vss_session_prepare_backup(const uuid_t *sid,
			       struct netlink_ext_ack *extack)
{
	struct vss_wcancel wc = { .fn = vss_session_wcancel };
	const char **names;
	struct vss_session *s;
	int ret;

	s = vss_session_lock_writers(sid, BIT(VSS_SESSION_STATE_SET_BUILDING),
				     extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (!s->set->nr) {
		NL_SET_ERR_MSG(extack, "Snapshot set has no LUN");
		vss_set_hresult(extack, VSS_E_BAD_STATE);
		ret = -EINVAL;
		goto out_unlock;
	}
	names = vss_set_names(s->set);
	if (!names) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	wc.arg = s;
	ret = vss_wsession_prepare_backup(s->ws, names, s->set->nr, &wc,
					  extack);
	kfree(names);
	if (ret == -ECANCELED) {
		vss_session_phase_cancelled(extack);
	} else if (ret == -EIO || ret == -ETIMEDOUT) {
		vss_set_unreserve(s);
		vss_session_set_state(s, VSS_SESSION_STATE_INITIALIZED,
				      VSS_SET_STATE_ABORTED);
	}

out_unlock:
	vss_session_unlock(s);
	return ret;
}

/**
 * vss_session_backup_complete() - BackupComplete
 * @sid: session id
 * @extack: reason of a failure
 *
 * Sent to the writers of the created set; their failures are only
 * recorded.  The session becomes backup-complete.
 *
 * Context: process; sleeps.
 * Return: 0, -ENOENT, -EINVAL (VSS_E_BAD_STATE), -ECANCELED, -ENOMEM.
 */
int vss_session_backup_complete(const uuid_t *sid,
				struct netlink_ext_ack *extack)
{
	struct vss_wcancel wc = { .fn = vss_session_wcancel };
	struct vss_session *s;
	int ret;

	s = vss_session_lock_writers(sid, BIT(VSS_SESSION_STATE_SNAPSHOTS_DONE),
				     extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	wc.arg = s;
	ret = vss_wsession_backup_complete(s->ws, &wc, extack);
	if (ret == -ECANCELED)
		vss_session_phase_cancelled(extack);
	else if (!ret)
		vss_session_set_state(s, VSS_SESSION_STATE_BACKUP_COMPLETE, 0);
	vss_session_unlock(s);
	return ret;
}

/**
 * vss_session_pre_restore() - PreRestore, for RecoverSet
 * @sid: session id (the requester's restore object)
 * @luns: the LUNs the recovery set writes
 * @nr: entries of @luns
 * @grp: receives the writers that took it (see vss_wsession_pre_restore())
 * @extack: reason of a failure
 *
 * Sent to the writers the session's filters allow with a LUN in @luns.
 * Not while a snapshot set is being committed or after an abort.
 *
 * Context: process; sleeps.
 * Return: 0; -EIO (veto) or -ETIMEDOUT (not responding) with the
 * writer's hrWriter; -ENOENT; -EINVAL (VSS_E_BAD_STATE); -ECANCELED;
 * -ENOMEM.
 */
int vss_session_pre_restore(const uuid_t *sid, const char *const *luns,
			    unsigned int nr, struct vss_wrestore **grp,
			    struct netlink_ext_ack *extack)
{
	struct vss_wcancel wc = { .fn = vss_session_wcancel };
	struct vss_session *s;
	int ret;

	*grp = NULL;
	s = vss_session_lock_writers(sid,
				     BIT(VSS_SESSION_STATE_INITIALIZED) |
				     BIT(VSS_SESSION_STATE_SET_BUILDING) |
				     BIT(VSS_SESSION_STATE_SNAPSHOTS_DONE) |
				     BIT(VSS_SESSION_STATE_BACKUP_COMPLETE),
				     extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	wc.arg = s;
	ret = vss_wsession_pre_restore(s->ws, luns, nr, &wc, grp, extack);
	if (ret == -ECANCELED)
		vss_session_phase_cancelled(extack);
	vss_session_unlock(s);
	return ret;
}

/**
 * vss_session_wsession() - the writer side of a session, for queries
 * @sid: session id
 * @extack: reason of a failure
 *
 * Context: any.
 * Return: the wsession, referenced (drop it with vss_wsession_unref()),
 * or ERR_PTR(-ENOENT).
 */
struct vss_wsession *vss_session_wsession(const uuid_t *sid,
					  struct netlink_ext_ack *extack)
{
	struct vss_wsession *ws = NULL;
	struct vss_session *s;
	unsigned long flags;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	list_for_each_entry(s, &vss_sessions, node) {
		if (uuid_equal(&s->id, sid) && s->ws) {
			ws = s->ws;
			vss_wsession_get(ws);
			break;
		}
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	if (ws)
		return ws;
	NL_SET_ERR_MSG(extack, "No such session");
	vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
	return ERR_PTR(-ENOENT);
}

/*
 * Discard a set still being built, if a session has one with @set_id.
 * Returns 1 if it did, 0 if no session builds such a set, or an error.
 */
static int vss_session_discard_set(const uuid_t *set_id,
				   struct netlink_ext_ack *extack)
{
	struct vss_session *s, *found = NULL;
	unsigned long flags;
	int ret = 1;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	list_for_each_entry(s, &vss_sessions, node) {
		if (s->set && uuid_equal(&s->set->id, set_id) &&
		    s->set->state != VSS_SET_STATE_CREATED &&
		    s->set->state != VSS_SET_STATE_ABORTED) {
			kref_get(&s->kref);
			found = s;
			break;
		}
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	if (!found)
		return 0;

	/*
	 * A running DoSnapshotSet holds the mutex (or is queued, the session
	 * in set-committing): don't wait for it.
	 */
	if (!mutex_trylock(&found->mutex))
		goto out_busy;
	if (found->state == VSS_SESSION_STATE_SET_COMMITTING) {
		mutex_unlock(&found->mutex);
		goto out_busy;
	}
	if (found->unlinked || !found->set ||
	    !uuid_equal(&found->set->id, set_id) ||
	    found->state != VSS_SESSION_STATE_SET_BUILDING) {
		ret = 0;	/* finished or gone meanwhile */
	} else {
		vss_set_unreserve(found);
		vss_session_set_state(found, VSS_SESSION_STATE_INITIALIZED,
				      VSS_SET_STATE_ABORTED);
	}
	vss_session_unlock(found);
	return ret;

out_busy:
	NL_SET_ERR_MSG(extack, "Snapshot set is being taken");
	vss_set_hresult(extack, VSS_E_SNAPSHOT_SET_IN_PROGRESS);
	vss_session_put(found);
	return -EBUSY;
}

/**
 * vss_session_set_del() - delete a snapshot set
 * @set_id: the set
 * @extack: reason of a failure
 *
 * A set still being built is discarded; otherwise every snapshot that the
 * set created is deleted, on every LUN.
 *
 * Context: process.
 * Return: 0; -ENOENT (no such set), -EBUSY (being taken), or the first
 * error of a snapshot deletion (the others are still attempted).
 */
int vss_session_set_del(const uuid_t *set_id, struct netlink_ext_ack *extack)
{
	struct vss_snapshot_info si;
	struct vss_lun_info li;
	struct vss_lun *lun, *next;
	int ret, err = 0;
	unsigned int found = 0;

	/* the all-zero id names no set: it is what broken sets leave */
	if (uuid_is_null(set_id)) {
		NL_SET_ERR_MSG(extack, "No such snapshot set");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	ret = vss_session_discard_set(set_id, extack);
	if (ret)
		return ret < 0 ? ret : 0;

	for (lun = vss_lun_next(""); lun; lun = next) {
		struct vss_snapshot *snap, *snext;

		for (snap = vss_snapshot_next(lun, 0); snap; snap = snext) {
			vss_snapshot_get_info(snap, &si);
			snext = vss_snapshot_next(lun, si.seq);
			if (uuid_equal(&si.set_id, set_id)) {
				found++;
				ret = vss_snapshot_delete(snap, err ? NULL : extack);
				if (ret && !err)
					err = ret;
			}
			vss_snapshot_put(snap);
		}
		vss_lun_get_info(lun, &li);
		next = vss_lun_next(li.name);
		vss_lun_put(lun);
	}
	if (!found) {
		NL_SET_ERR_MSG(extack, "No such snapshot set");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	return err;
}

/* Is a session still building or taking the set @set_id? */
static bool vss_session_set_busy(const uuid_t *set_id)
{
	struct vss_session *s;
	unsigned long flags;
	bool busy = false;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	list_for_each_entry(s, &vss_sessions, node) {
		if (s->set && uuid_equal(&s->set->id, set_id) &&
		    s->set->state != VSS_SET_STATE_CREATED &&
		    s->set->state != VSS_SET_STATE_ABORTED) {
			busy = true;
			break;
		}
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	return busy;
}

/**
 * vss_session_set_break() - BreakSnapshotSet
 * @set_id: the set
 * @count: set to the number of snapshots released from the set
 * @extack: reason of a failure
 *
 * Every snapshot of a created set, on every LUN, durably loses its set id
 * (vss_snapshot_break()); the snapshots themselves stay.  Set ids are
 * random and made by set-start, so once no session builds the set no new
 * snapshot can join it while we walk.
 *
 * Context: process.
 * Return: 0; -ENOENT (no such set), -EBUSY (still being built or taken),
 * or the first error of a snapshot (the others are still released).
 */
int vss_session_set_break(const uuid_t *set_id, u32 *count,
			  struct netlink_ext_ack *extack)
{
	struct vss_snapshot_info si;
	struct vss_lun_info li;
	struct vss_lun *lun, *next;
	unsigned int found = 0;
	int ret, err = 0;

	*count = 0;
	if (!uuid_is_null(set_id) && vss_session_set_busy(set_id)) {
		NL_SET_ERR_MSG(extack, "Snapshot set is still being created");
		vss_set_hresult(extack, VSS_E_SNAPSHOT_SET_IN_PROGRESS);
		return -EBUSY;
	}
	for (lun = uuid_is_null(set_id) ? NULL : vss_lun_next(""); lun;
	     lun = next) {
		struct vss_snapshot *snap, *snext;

		for (snap = vss_snapshot_next(lun, 0); snap; snap = snext) {
			vss_snapshot_get_info(snap, &si);
			snext = vss_snapshot_next(lun, si.seq);
			if (uuid_equal(&si.set_id, set_id)) {
				found++;
				ret = vss_snapshot_break(snap);
				if (!ret)
					(*count)++;
				else if (!err)
					err = ret;
			}
			vss_snapshot_put(snap);
		}
		vss_lun_get_info(lun, &li);
		next = vss_lun_next(li.name);
		vss_lun_put(lun);
	}
	if (!found) {
		NL_SET_ERR_MSG(extack, "No such snapshot set");
		vss_set_hresult(extack, VSS_E_OBJECT_NOT_FOUND);
		return -ENOENT;
	}
	if (*count)
		vss_event_objects_changed();	/* dumps in progress see the change */
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "store: cannot record that a snapshot left its set");
		return err;
	}
	pr_info("snapshot set %pUb broken: %u snapshots released\n", set_id,
		*count);
	return 0;
}

/**
 * struct vss_release_work - deletes an auto-release set off the notifier
 * @work: runs vss_session_release_work()
 * @set_id: the set
 */
struct vss_release_work {
	struct work_struct work;
	uuid_t set_id;
};

static void vss_session_release_work(struct work_struct *work)
{
	struct vss_release_work *rw =
		container_of(work, struct vss_release_work, work);
	int ret = vss_session_set_del(&rw->set_id, NULL);

	if (ret && ret != -ENOENT)
		pr_warn("auto-release set %pUb: deleting its snapshots failed (%d)\n",
			&rw->set_id, ret);
	else if (!ret)
		pr_info("auto-release set %pUb deleted with its session\n",
			&rw->set_id);
	kfree(rw);
}

/*
 * Delete the snapshots of auto-release set @set_id, whose session is gone.
 * On vss_set_wq: the socket's release (a notifier) must not wait for store
 * I/O, and module exit drains that queue.
 */
static void vss_session_release_set(const uuid_t *set_id)
{
	/* __GFP_NOFAIL: an auto-release set must not outlive its session */
	struct vss_release_work *rw = kmalloc(sizeof(*rw),
					      GFP_KERNEL | __GFP_NOFAIL);

	INIT_WORK(&rw->work, vss_session_release_work);
	rw->set_id = *set_id;
	queue_work(vss_set_wq, &rw->work);
}

/**
 * vss_session_set_context() - SetContext
 * @sid: session id
 * @context: enum vss_snapshot_context
 * @extack: reason of a refusal
 *
 * Valid once, before the session's first StartSnapshotSet.
 *
 * Context: process.
 * Return: 0; -ENOENT; -EINVAL (unknown context: E_INVALIDARG; too late:
 * VSS_E_BAD_STATE).
 */
int vss_session_set_context(const uuid_t *sid, u32 context,
			    struct netlink_ext_ack *extack)
{
	struct vss_session *s;
	int ret = 0;

	switch (context) {
	case VSS_SNAPSHOT_CONTEXT_BACKUP:
	case VSS_SNAPSHOT_CONTEXT_FILE_SHARE_BACKUP:
	case VSS_SNAPSHOT_CONTEXT_APP_ROLLBACK:
	case VSS_SNAPSHOT_CONTEXT_CLIENT_ACCESSIBLE_WRITERS:
	case VSS_SNAPSHOT_CONTEXT_NAS_ROLLBACK:
	case VSS_SNAPSHOT_CONTEXT_CLIENT_ACCESSIBLE:
		break;
	default:
		NL_SET_ERR_MSG(extack, "Unknown snapshot context");
		vss_set_hresult(extack, VSS_E_INVALIDARG);
		return -EINVAL;
	}
	s = vss_session_lock(sid, extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (s->started || s->state != VSS_SESSION_STATE_INITIALIZED) {
		NL_SET_ERR_MSG(extack,
			       "SetContext must come before the first StartSnapshotSet");
		vss_set_hresult(extack, VSS_E_BAD_STATE);
		ret = -EINVAL;
	} else {
		s->context = context;
	}
	vss_session_unlock(s);
	return ret;
}

/**
 * vss_session_lun_holder() - which session reserves a LUN
 * @lun: the LUN
 * @sid: set to that session's id
 *
 * Context: any.
 * Return: true if a session reserves @lun.
 */
bool vss_session_lun_holder(struct vss_lun *lun, uuid_t *sid)
{
	struct vss_session *s;
	unsigned long flags;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	s = vss_lun_reserver(lun);
	if (s)
		*sid = s->id;
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	return !!s;
}

/**
 * vss_session_of_set() - which live session made a snapshot set
 * @set_id: the set
 * @sid: set to that session's id
 *
 * Context: any.
 * Return: true if a session still exists whose current set is @set_id.
 */
bool vss_session_of_set(const uuid_t *set_id, uuid_t *sid)
{
	struct vss_session *s;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&vss_sessions_lock, flags);
	list_for_each_entry(s, &vss_sessions, node) {
		if (s->set && uuid_equal(&s->set->id, set_id)) {
			*sid = s->id;
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&vss_sessions_lock, flags);
	return found;
}

/**
 * vss_session_lun_remove() - remove a LUN unless a session reserves it
 * @lun: the LUN
 * @extack: reason of a failure
 *
 * Context: process.
 * Return: 0, -EBUSY if reserved (VSS_E_VOLUME_IN_USE), or the error of
 * vss_lun_remove().
 */
int vss_session_lun_remove(struct vss_lun *lun, struct netlink_ext_ack *extack)
{
	uuid_t sid;
	int ret;

	mutex_lock(&vss_reserve_mutex);
	if (vss_session_lun_holder(lun, &sid)) {
		NL_SET_ERR_MSG(extack, "LUN is held by a session");
		vss_set_hresult(extack, VSS_E_VOLUME_IN_USE);
		ret = -EBUSY;
	} else {
		ret = vss_lun_remove(lun, extack);
	}
	mutex_unlock(&vss_reserve_mutex);
	return ret;
}

/* Abort and forget every session bound to @portid (its socket is gone). */
static void vss_session_release_portid(u32 portid)
{
	struct vss_session *s, *found;
	unsigned long flags;

	do {
		found = NULL;
		spin_lock_irqsave(&vss_sessions_lock, flags);
		list_for_each_entry(s, &vss_sessions, node) {
			if (s->portid == portid) {
				kref_get(&s->kref);
				found = s;
				break;
			}
		}
		spin_unlock_irqrestore(&vss_sessions_lock, flags);
		if (found) {
			pr_debug("port %u closed: aborting session %pUb\n",
				 portid, &found->id);
			vss_session_cancel(found, true);
			vss_session_put(found);
		}
	} while (found);
}

static int vss_session_netlink_event(struct notifier_block *nb,
				     unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net) && n->portid)
		vss_session_release_portid(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block vss_session_netlink_nb = {
	.notifier_call = vss_session_netlink_event,
};

/**
 * vss_session_init() - set up sessions
 *
 * Context: module init.
 * Return: 0 or a negative errno.
 */
int vss_session_init(void)
{
	int ret;

	vss_freeze_wq = alloc_workqueue("vss-freeze", WQ_UNBOUND, 0);
	if (!vss_freeze_wq)
		return -ENOMEM;
	vss_set_wq = alloc_workqueue("vss-set", WQ_UNBOUND, 0);
	if (!vss_set_wq) {
		destroy_workqueue(vss_freeze_wq);
		return -ENOMEM;
	}
	ret = netlink_register_notifier(&vss_session_netlink_nb);
	if (ret) {
		destroy_workqueue(vss_set_wq);
		destroy_workqueue(vss_freeze_wq);
	}
	return ret;
}

/**
 * vss_session_exit() - abort and free every session
 *
 * Called after the netlink family is gone, so no operation runs.
 *
 * Context: module exit.
 */
void vss_session_exit(void)
{
	struct vss_session *s;
	unsigned long flags;

	netlink_unregister_notifier(&vss_session_netlink_nb);
	for (;;) {
		spin_lock_irqsave(&vss_sessions_lock, flags);
		s = list_first_entry_or_null(&vss_sessions, struct vss_session,
					     node);
		if (s)
			kref_get(&s->kref);
		spin_unlock_irqrestore(&vss_sessions_lock, flags);
		if (!s)
			break;
		vss_session_cancel(s, true);
		vss_session_put(s);
	}
	/* sets queued before their session went: they only report that */
	destroy_workqueue(vss_set_wq);
	/* abandoned freezes still running hold a LUN: wait for them */
	destroy_workqueue(vss_freeze_wq);
}
