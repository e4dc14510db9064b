/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss writers: applications that take part in snapshot sets.
 *
 * A writer registers over netlink and is bound to the registering socket;
 * the socket's release unregisters it.  The writer protocol of a session
 * (events, replies, per-writer VSS_WRITER_STATE, deadlines) lives in a
 * struct vss_wsession that the session owns; session.c decides when each
 * phase runs, this file runs it.
 *
 * Restores: RecoverSet sends PreRestore from the requester's session
 * (vss_wsession_pre_restore()); the writers that took it form a restore
 * group (struct vss_wrestore) that each resync of the recovery set holds
 * until it ends, and the last one out sends PostRestore, with the
 * outcome, from the kernel's own worker.
 */
#ifndef _VSS_WRITER_H
#define _VSS_WRITER_H

#include <linux/netlink.h>
#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/vss.h>
#include "vss.h"

#define VSS_WRITER_NAME_LEN	(VSS_WRITER_NAME_MAX + 1)
#define VSS_WRITER_MSG_LEN	(VSS_WRITER_MESSAGE_MAX + 1)

/**
 * struct vss_writer_params - what writer-register asks for
 * @name: writer name
 * @class_id: writer class id
 * @nr_luns: entries of @luns
 * @luns: LUN names
 * @event_timeout_ms: reply timeout, 0 for the module's default
 * @freeze_timeout_ms: Freeze->Thaw window, 0 for the default (60 s)
 */
struct vss_writer_params {
	char name[VSS_WRITER_NAME_LEN];
	uuid_t class_id;
	unsigned int nr_luns;
	char luns[VSS_WRITER_MAX_LUNS][VSS_NAME_MAX + 1];
	u32 event_timeout_ms;
	u32 freeze_timeout_ms;
};

/**
 * struct vss_writer_info - a writer and one status of it, for queries
 * @instance_id: instance id
 * @class_id: class id
 * @name: name
 * @nr_luns: entries of @luns
 * @luns: its LUNs
 * @event_timeout_ms: reply timeout
 * @freeze_timeout_ms: Freeze->Thaw window
 * @portid: port of the registering socket
 * @registered: still registered
 * @has_status: the fields below are valid
 * @session_id: the session of the status
 * @state: enum vss_writer_state
 * @hr_writer: failure code, 0 for none
 * @hr_application: the application's code
 * @message: the failure's message
 */
struct vss_writer_info {
	uuid_t instance_id;
	uuid_t class_id;
	char name[VSS_WRITER_NAME_LEN];
	unsigned int nr_luns;
	char luns[VSS_WRITER_MAX_LUNS][VSS_NAME_MAX + 1];
	u32 event_timeout_ms;
	u32 freeze_timeout_ms;
	u32 portid;
	bool registered;
	bool has_status;
	uuid_t session_id;
	u32 state;
	u32 hr_writer;
	u32 hr_application;
	char message[VSS_WRITER_MSG_LEN];
};

/**
 * struct vss_writer_reply - a writer's answer to an event (writer-reply)
 * @portid: the socket it came from
 * @instance_id: the writer
 * @session_id: the session of the event
 * @event: enum vss_writer_event
 * @seq: the event's number
 * @hr_writer: 0 for success, else the failure
 * @hr_application: the application's code
 * @message: the failure's message
 * @metadata: Identify: the metadata document (copied), or NULL
 * @metadata_len: its length
 * @non_fatal: a failure that does not veto
 */
struct vss_writer_reply {
	u32 portid;
	uuid_t instance_id;
	uuid_t session_id;
	u32 event;
	u32 seq;
	u32 hr_writer;
	u32 hr_application;
	const char *message;
	const void *metadata;
	u32 metadata_len;
	bool non_fatal;
};

/**
 * struct vss_wcancel - how a phase learns that it must stop waiting
 * @fn: returns true once the wait must end (session aborted, caller
 *	killed, a Freeze->Thaw window passed)
 * @arg: passed to @fn
 */
struct vss_wcancel {
	bool (*fn)(void *arg);
	void *arg;
};

struct vss_wsession;

int vss_writer_register(u32 portid, const struct vss_writer_params *p,
			struct vss_writer_info *info,
			struct netlink_ext_ack *extack);
int vss_writer_unregister(u32 portid, const uuid_t *instance_id,
			  struct netlink_ext_ack *extack);
int vss_writer_answer(const struct vss_writer_reply *r,
		      struct netlink_ext_ack *extack);
int vss_writer_get_info(const uuid_t *instance_id, struct vss_writer_info *info,
			struct netlink_ext_ack *extack);
int vss_writer_next_info(u64 *cursor, struct vss_writer_info *info);
bool vss_writer_any(void);

struct vss_wsession *vss_wsession_new(const uuid_t *session_id);
void vss_wsession_get(struct vss_wsession *ws);
void vss_wsession_unref(struct vss_wsession *ws);
void vss_wsession_release(struct vss_wsession *ws);
int vss_wsession_filter(struct vss_wsession *ws, u32 mode, const uuid_t *ids,
			unsigned int nr, struct netlink_ext_ack *extack);
int vss_wsession_status_next(struct vss_wsession *ws, u64 *cursor,
			     struct vss_writer_info *info);
int vss_wsession_writer_info(struct vss_wsession *ws, const uuid_t *instance_id,
			     struct vss_writer_info *info, void **metadata,
			     u32 *metadata_len);

int vss_wsession_identify(struct vss_wsession *ws,
			  const struct vss_wcancel *c,
			  struct netlink_ext_ack *extack);
int vss_wsession_prepare_backup(struct vss_wsession *ws,
				const char *const *luns,
				unsigned int nr, const struct vss_wcancel *c,
				struct netlink_ext_ack *extack);
int vss_wsession_backup_complete(struct vss_wsession *ws,
				 const struct vss_wcancel *c,
				 struct netlink_ext_ack *extack);

/* DoSnapshotSet, in this order; see session.c */
int vss_wsession_set_begin(struct vss_wsession *ws, const uuid_t *set_id,
			   const char *const *luns,
			   unsigned int nr, void (*wake)(void *arg), void *arg);
int vss_wsession_prepare_snapshot(struct vss_wsession *ws,
				  const struct vss_wcancel *c,
				  struct netlink_ext_ack *extack);
int vss_wsession_freeze(struct vss_wsession *ws, const struct vss_wcancel *c,
			struct netlink_ext_ack *extack);
int vss_wsession_thaw(struct vss_wsession *ws, const struct vss_wcancel *c,
		      struct netlink_ext_ack *extack);
int vss_wsession_post_snapshot(struct vss_wsession *ws,
			       const struct vss_wcancel *c,
			       struct netlink_ext_ack *extack);
bool vss_wsession_window_passed(struct vss_wsession *ws);
bool vss_wsession_frozen_writer_died(struct vss_wsession *ws);
int vss_wsession_fail_frozen(struct vss_wsession *ws,
			     struct netlink_ext_ack *extack);
void vss_wsession_set_end(struct vss_wsession *ws, bool failed);

/* RecoverSet: PreRestore now, PostRestore once its resyncs ended */
struct vss_wrestore;

int vss_wsession_pre_restore(struct vss_wsession *ws, const char *const *luns,
			     unsigned int nr, const struct vss_wcancel *c,
			     struct vss_wrestore **grp,
			     struct netlink_ext_ack *extack);
struct vss_wrestore *vss_wrestore_get(struct vss_wrestore *grp);
void vss_wrestore_end(struct vss_wrestore *grp, u32 state, u32 error);

int vss_writer_init(void);
void vss_writer_exit(void);

#endif /* _VSS_WRITER_H */
