/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss events interface: how the objects (LUN, snapshot, session, writer,
 * resync) report what happened, without knowing how it is delivered.
 *
 * netlink.c sits on top, calls down into the objects, and implements this
 * interface (multicast notifications to the "events" group, unicast writer
 * events); no file below it includes netlink.h or calls vss_nl_*.  The
 * only other thing the objects need from the netlink world is the
 * extended ack of the request they serve, to which vss_set_hresult()
 * attaches a VSS result code.
 */
#ifndef _VSS_EVENTS_H
#define _VSS_EVENTS_H

#include <linux/netlink.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uuid.h>

struct vss_lun;
struct vss_snapshot;

/**
 * vss_set_hresult() - attach a VSS result code to a request's error
 * @extack: the request's extended ack (may be NULL)
 * @hr: HRESULT, e.g. VSS_E_VOLUME_IN_USE
 *
 * The code reaches userspace as NLMSGERR_ATTR_COOKIE, 4 bytes in host order.
 *
 * Context: any.
 */
static inline void vss_set_hresult(struct netlink_ext_ack *extack, u32 hr)
{
	if (!extack)
		return;
	BUILD_BUG_ON(sizeof(hr) > NETLINK_MAX_COOKIE_LEN);
	memcpy(extack->cookie, &hr, sizeof(hr));
	extack->cookie_len = sizeof(hr);
}

/*
 * Object events.  The engine reports them itself, once per state change,
 * whoever caused it (a request, a session, the store-full policy, an I/O
 * error): LUN_ADDED/REMOVED from vss_lun_add/remove, SNAPSHOT_CREATED
 * from vss_snapshot_persist, SNAPSHOT_DELETED from vss_snapshot_delete and
 * the store-full policy, SNAPSHOT_INVALIDATED, STORE_LOW, STORE_FULL.
 * They are called in process context without engine locks held.
 */
enum vss_event {
	VSS_EV_LUN_ADDED = 1,
	VSS_EV_LUN_REMOVED,
	VSS_EV_SNAPSHOT_CREATED,
	VSS_EV_SNAPSHOT_DELETED,
	VSS_EV_SNAPSHOT_INVALIDATED,
	VSS_EV_STORE_LOW,	/* usage crossed the low-space threshold */
	VSS_EV_STORE_FULL,	/* a snapshot was dropped to make room */
};

void vss_event_lun(enum vss_event ev, struct vss_lun *lun);
void vss_event_snapshot(enum vss_event ev, struct vss_snapshot *snap);

/**
 * vss_event_objects_changed() - a session or writer appeared or went away
 *
 * Lets dumps in progress notice (NLM_F_DUMP_INTR).  The LUN and snapshot
 * events above imply it.
 *
 * Context: any.
 */
void vss_event_objects_changed(void);

#define VSS_WRITER_EV_MAX_LUNS	64

/**
 * struct vss_writer_ev - an event for one writer (writer-event-ntf)
 * @instance_id: the writer
 * @session_id: the requester's session
 * @has_set: @set_id is valid
 * @set_id: the snapshot set (events of DoSnapshotSet)
 * @event: enum vss_writer_event (uAPI)
 * @seq: number of the event, echoed by the reply
 * @timeout_ms: how long the sender waits for the reply (0: not at all)
 * @nr_luns: entries of @luns
 * @luns: the writer's LUNs in the set
 * @has_restore: PostRestore: @restore_state and @restore_error are valid
 * @restore_state: how the recovery set's resyncs ended (enum
 *	vss_resync_state, the worst of them)
 * @restore_error: errno (positive) of the first failed resync, or 0
 */
struct vss_writer_ev {
	uuid_t instance_id;
	uuid_t session_id;
	bool has_set;
	uuid_t set_id;
	u32 event;
	u32 seq;
	u32 timeout_ms;
	unsigned int nr_luns;
	const char *luns[VSS_WRITER_EV_MAX_LUNS];
	bool has_restore;
	u32 restore_state;
	u32 restore_error;
};

/**
 * vss_event_writer() - send an event to a writer's socket
 * @portid: netlink port the writer registered from
 * @ev: the event
 *
 * Context: process; does not sleep for the receiver (a full socket
 * buffer drops the event, which then times out as not answered).
 * Return: 0 or a negative errno (the event was not delivered).
 */
int vss_event_writer(u32 portid, const struct vss_writer_ev *ev);

struct vss_set_result;

/**
 * struct vss_set_done - the outcome of a DoSnapshotSet (set-done-ntf)
 * @portid: netlink port of the session's socket, the receiver
 * @session_id: the session
 * @set_id: the set
 * @state: the set's state afterwards, enum vss_set_state (uAPI)
 * @error: 0 (created) or the negative errno of the failure
 * @hresult: the failure's VSS result code, 0 if none
 * @message: the failure's message, or NULL
 * @res: on success, the hold window and the snapshots
 */
struct vss_set_done {
	u32 portid;
	uuid_t session_id;
	uuid_t set_id;
	u32 state;
	int error;
	u32 hresult;
	const char *message;
	const struct vss_set_result *res;
};

/**
 * vss_event_set_done() - report the outcome of a DoSnapshotSet
 * @d: the outcome
 *
 * Unicast to the session's socket; lost if that socket is gone.
 *
 * Context: process, without engine locks held.
 */
void vss_event_set_done(const struct vss_set_done *d);

struct vss_resync_info;

/* Resync events (resync-*-ntf), reported by resync.c. */
enum vss_resync_event {
	VSS_EV_RESYNC_STARTED = 1,
	VSS_EV_RESYNC_PROGRESS,	/* at most once a second per resync */
	VSS_EV_RESYNC_DONE,
	VSS_EV_RESYNC_FAILED,
	VSS_EV_RESYNC_CANCELLED,
};

/**
 * vss_event_resync() - report a resync event to the "events" group
 * @ev: started, progress, done, failed or cancelled
 * @ri: the resync's state
 *
 * Context: process, without engine locks held.
 */
void vss_event_resync(enum vss_resync_event ev,
		      const struct vss_resync_info *ri);

#endif /* _VSS_EVENTS_H */
