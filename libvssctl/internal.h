/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvssctl - private declarations shared by the library's source files and
 * by the host unit tests / fuzz target (which link the static archive).
 * Nothing here is exported from libvssctl.so.
 */
#ifndef LIBVSSCTL_INTERNAL_H
#define LIBVSSCTL_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <syslog.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "vssctl.h"

#define VSS_EXPORT __attribute__((visibility("default")))

/* ---- context ---- */

struct vss_ctx {
	int refcount;			/* atomic builtins */
	pthread_mutex_t lock;		/* serializes use of @req; never held
					 * while a caller's function runs */
	struct nl_sock *req;		/* requests and their replies */
	struct nl_sock *ev;		/* multicast events; NULL until subscribed */
	int family;			/* genl family id of "vss" */
	int mcgrp_events;		/* multicast group id of "events" */

	vss_log_fn log_fn;
	void *log_data;
	int log_priority;
};

void vss__log(const struct vss_ctx *ctx, int prio, const char *file, int line,
	      const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#define vss_log_cond(ctx, prio, ...)					\
	do {								\
		if ((ctx) && (ctx)->log_priority >= (prio))		\
			vss__log(ctx, prio, __FILE__, __LINE__,		\
				 __func__, __VA_ARGS__);		\
	} while (0)
#define dbg(ctx, ...)	vss_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)
#define info(ctx, ...)	vss_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define err(ctx, ...)	vss_log_cond(ctx, LOG_ERR, __VA_ARGS__)

/*
 * Per-thread record of the last failure (like errno): threads sharing a
 * context never see each other's messages.
 */
void vss__clear_error(const struct vss_ctx *ctx);
int vss__set_error(const struct vss_ctx *ctx, int error, uint32_t hresult,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A required pointer argument @arg of @fn is NULL: -EINVAL, E_INVALIDARG. */
int vss__null_arg(const struct vss_ctx *ctx, const char *fn, const char *arg);
#define VSS_NEED(ctx, arg)						\
	do {								\
		if (!(arg))						\
			return vss__null_arg(ctx, __func__, #arg);	\
	} while (0)

/* ---- store device (store.c) ---- */

int vss__probe_signatures(const char *path, char *desc, size_t len);
int vss__check_store(const struct vss_ctx *ctx, const char *store);

/* ---- netlink error / extended ACK ---- */

/**
 * struct vss_nlerr - an NLMSG_ERROR (or NLMSG_DONE) decoded
 * @error: 0 or -errno as sent by the kernel
 * @msg: extack message, "" if none
 * @has_offs, @offs: offset of the offending attribute in the request
 * @has_miss, @miss_type: type of a missing required attribute
 * @has_miss_nest, @miss_nest: offset of the nest it was missing from
 * @cookie_len, @cookie: extack cookie (carries the VSS HRESULT, see
 *	vss__cookie_hresult())
 */
struct vss_nlerr {
	int error;
	char msg[256];
	bool has_offs;
	uint32_t offs;
	bool has_miss;
	uint32_t miss_type;
	bool has_miss_nest;
	uint32_t miss_nest;
	size_t cookie_len;
	uint8_t cookie[20];
};

int vss__parse_nlerr(const struct nlmsghdr *nlh, struct vss_nlerr *e);
int vss__parse_done(const struct nlmsghdr *nlh, struct vss_nlerr *e);

/**
 * typedef vss_msg_cb - called for every reply/dump message of a request
 * Return: 0 to go on, -errno to fail the request (the rest is drained).
 */
typedef int (*vss_msg_cb)(const struct nlmsghdr *nlh, void *arg);

/**
 * struct vss_walk - state of one request's reply stream
 * @seq: sequence number of the request
 * @family: generic netlink family id expected in replies
 * @cb, @arg: handler for the family's messages (may be NULL)
 * @cb_error: first error returned by @cb
 * @nlerr: the final ACK/DONE, once @done
 * @done: the stream ended (ACK, error or DONE)
 * @intr: a dump message carried NLM_F_DUMP_INTR (objects changed while
 *	dumping: the result may be inconsistent, the caller retries)
 * @other, @other_arg: if set, called for the family's messages that are
 *	not part of the stream (a writer's events arriving meanwhile)
 */
struct vss_walk {
	uint32_t seq;
	int family;
	vss_msg_cb cb;
	void *arg;
	int cb_error;
	struct vss_nlerr nlerr;
	bool done;
	bool intr;
	vss_msg_cb other;
	void *other_arg;
};

int vss__walk(struct vss_walk *w, const void *buf, size_t len);

/* ---- attribute accessors that validate sizes (messages are untrusted) ---- */

int vss__genl_parse(const struct nlmsghdr *nlh, int family, struct nlattr **tb,
		    int maxtype, uint8_t *cmd);
int vss__attr_u8(const struct nlattr *a, uint8_t *v);
int vss__attr_u32(const struct nlattr *a, uint32_t *v);
int vss__attr_u64(const struct nlattr *a, uint64_t *v);
int vss__attr_str(const struct nlattr *a, char *buf, size_t size);
int vss__attr_id(const struct nlattr *a, vss_id_t *id);

/* ---- decoding of the family's messages (parse.c) ---- */

int vss__parse_lun(const struct nlmsghdr *nlh, int family,
		   struct vss_lun_info *info);
int vss__parse_snapshot(const struct nlmsghdr *nlh, int family,
			struct vss_snapshot_info *info);
int vss__parse_session(const struct nlmsghdr *nlh, int family,
		       struct vss_session_info *info);
int vss__parse_set(const struct nlmsghdr *nlh, int family, vss_id_t *set_id,
		   vss_id_t *snapshot_id);
int vss__parse_set_do(const struct nlmsghdr *nlh, int family,
		      struct vss_set_result *res);
int vss__parse_changes(const struct nlmsghdr *nlh, int family,
		       uint32_t *chunk_size, vss_extent_fn fn, void *arg,
		       int *stop);
int vss__parse_event(const struct nlmsghdr *nlh, int family,
		     struct vss_event *ev);

/**
 * struct vss__event - a decoded event, with what struct vss_event (fixed
 *	by the ABI) has no room for
 * @pub: what the callback gets
 * @has_set_break: @set_break is set (set-break-ntf)
 * @set_break: read with vss_event_set_break()
 */
struct vss__event {
	struct vss_event pub;
	bool has_set_break;
	struct vss_set_break_event set_break;
	bool has_resync;
	struct vss_resync_info resync;
};

int vss__parse_writer(const struct nlmsghdr *nlh, int family,
		       struct vss_writer_status *st, const void **md,
		       size_t *md_len);
int vss__writer_dump(struct vss_ctx *ctx, struct nl_sock *sk,
		     const vss_id_t *sid, struct vss_writer_status **out,
		     size_t *nr);
/* PostRestore's outcome, which struct vss_writer_event_info cannot hold */
struct vss__restore_outcome {
	bool has;		/* the event carried one */
	uint32_t state;		/* enum vss_resync_state */
	uint32_t error;		/* errno of a failed resync, or 0 */
};

int vss__parse_writer_event(const struct nlmsghdr *nlh, int family,
			    struct vss_writer_event_info *ev,
			    struct vss__restore_outcome *ro);
int vss__parse_resync(const struct nlmsghdr *nlh, int family,
		      struct vss_resync_info *info);

/*
 * struct vss_resync_info as LIBVSSCTL_1.4 laid it out, before has_times,
 * activate_us and elapsed_us.  Binaries built against that header call the
 * @LIBVSSCTL_1.4 versions of vss_resync_get(), vss_resync_list(),
 * vss_resync_wait() and vss_event_resync() (resync.c), which fill this
 * layout and never write past it.
 */
struct vss_resync_info_v14 {
	char lun[VSS_LUN_NAME_MAX + 1];
	char destination[64];
	vss_id_t snapshot_id;
	uint32_t state;
	uint64_t done_bytes;
	uint64_t total_bytes;
	uint64_t rate;
	uint64_t speed_min;
	uint64_t speed_max;
	int error;
	uint64_t started_ns;
	bool has_session_id;
	vss_id_t session_id;
};

/*
 * The functions that fill struct vss_resync_info: their default versions
 * are LIBVSSCTL_1.7, where the struct grew; the C names below are internal,
 * the exported names come from the symver attributes.
 */
#define VSS_SYMVER(name)	__attribute__((symver(name)))
int vss__resync_get(struct vss_ctx *ctx, const char *destination,
		    struct vss_resync_info *info);
int vss__resync_list(struct vss_ctx *ctx, struct vss_resync_info **resyncs,
		     size_t *nr);
int vss__resync_wait(struct vss_ctx *ctx, const char *destination,
		     int timeout_ms, struct vss_resync_info *info);
int vss__event_resync(const struct vss_event *event,
		      struct vss_resync_info *out);
int vss__resync_get_v14(struct vss_ctx *ctx, const char *destination,
			struct vss_resync_info_v14 *info);
int vss__resync_list_v14(struct vss_ctx *ctx,
			 struct vss_resync_info_v14 **resyncs, size_t *nr);
int vss__resync_wait_v14(struct vss_ctx *ctx, const char *destination,
			 int timeout_ms, struct vss_resync_info_v14 *info);
int vss__event_resync_v14(const struct vss_event *event,
			  struct vss_resync_info_v14 *out);
int vss__parse_event_ext(const struct nlmsghdr *nlh, int family,
			 struct vss__event *ev);
const char *vss__attr_name(uint8_t cmd, uint32_t type);
int vss__events_feed(struct vss_ctx *ctx, const void *buf, size_t len,
		     vss_event_fn fn, void *arg);

/* ---- requests ---- */

/**
 * struct vss_req - a request being built
 * @msg: the message; NULL if it could not be allocated
 * @error: the first failure while building it (-ENOMEM, or -EMSGSIZE when an
 *	attribute did not fit); once set, further puts do nothing and
 *	vss__request_on() frees the message and reports the failure.
 *
 * Builders just put their attributes and send: the failure check lives in
 * one place, the request path.
 */
struct vss_req {
	struct nl_msg *msg;
	int error;
};

struct vss_req vss__req_new(const struct vss_ctx *ctx, uint8_t cmd, int flags);
void vss__req_free(struct vss_req *r);
void vss__put_str(struct vss_req *r, int type, const char *s);
void vss__put_u32(struct vss_req *r, int type, uint32_t v);
void vss__put_u64(struct vss_req *r, int type, uint64_t v);
void vss__put_flag(struct vss_req *r, int type);
void vss__put_id(struct vss_req *r, int type, const vss_id_t *id);
int vss__request_on(struct vss_ctx *ctx, struct nl_sock *sk, struct vss_req *r,
		    vss_msg_cb cb, void *arg);
int vss__request(struct vss_ctx *ctx, struct vss_req *r, vss_msg_cb cb,
		 void *arg);
int vss__request_on_ev(struct vss_ctx *ctx, struct nl_sock *sk,
		       struct vss_req *r, vss_msg_cb cb, void *arg,
		       vss_msg_cb other, void *other_arg);
int vss__sock_open(struct vss_ctx *ctx, struct nl_sock **out);
void vss__sock_close(struct nl_sock *sk);
int vss__recv(struct nl_sock *sk, void **buf, size_t *len, int timeout_ms);

/* ---- backup-components object and async handle (backup.c) ---- */

/*
 * Here rather than in backup.c so that the host unit tests can build
 * objects without a kernel.  Lock order: backup->lock, then async->lock.
 */
/* A writer's Identify result, as GatherWriterMetadata copied it. */
struct vss__wmeta {
	struct vss_writer_status st;
	void *doc;			/* malloc'ed, NULL if none */
	size_t len;
};

/* The asynchronous operations of a backup object. */
enum vss__op {
	VSS__OP_DO_SNAPSHOT_SET,
	VSS__OP_GATHER_METADATA,
	VSS__OP_PREPARE_BACKUP,
	VSS__OP_GATHER_STATUS,
};

struct vss_backup {
	struct vss_ctx *ctx;		/* reference */
	struct nl_sock *sk;		/* the session's socket */
	vss_id_t session_id;

	pthread_mutex_t lock;		/* protects the fields below */
	pthread_cond_t idle;		/* signalled when @running clears */
	struct vss_async *running;	/* DoSnapshotSet in progress */
	bool has_set;			/* @set_id holds the current set */
	vss_id_t set_id;
	bool did_set;			/* DoSnapshotSet was started: single use */
	bool has_result;		/* @result of the last successful set */
	struct vss_set_result result;
	bool complete;			/* BackupComplete was called */
	bool no_writers;		/* DoSnapshotSet without writers */
	bool restore;			/* a restore object (InitializeForRestore) */
	bool has_status;		/* GatherWriterStatus completed */
	struct vss_writer_status *status;	/* its copy */
	size_t nr_status;
	bool has_meta;			/* GatherWriterMetadata completed */
	struct vss__wmeta *meta;	/* its copy */
	size_t nr_meta;

	/* restore (InitializeForRestore); under @lock */
	bool recovered;			/* RecoverSet was called */
	size_t nr_recovery;		/* members of the recovery set */
	struct vss__recovery_member {
		vss_id_t snapshot_id;
		char *destination;	/* NULL: the snapshot's LUN */
		char dest_name[64];	/* as the kernel named it */
	} recovery[VSS_SET_MAX_LUNS];
	uint64_t speed_min, speed_max;
};

struct vss_async {
	enum vss__op op;
	struct vss_ctx *ctx;		/* reference, for Cancel */
	vss_id_t session_id;
	struct vss_backup *backup;	/* only the worker uses it */
	vss_id_t set_id;
	pthread_t thread;

	pthread_mutex_t lock;		/* protects the fields below */
	pthread_cond_t cond;		/* signalled when @done is set */
	bool done;
	bool cancel_requested;
	int result;			/* 0 or -errno, once @done */
	uint32_t hr;			/* the failure's HRESULT */
	char msg[320];			/* the failure's message */

	/* RecoverSet: the destinations watched (no worker thread) */
	bool recovery;
	size_t nr_dests;
	char dests[VSS_SET_MAX_LUNS][64];
};

int vss__recovery_wait(struct vss_async *a, int timeout_ms);
int vss__recovery_cancel(struct vss_async *a);
int vss__recovery_status(struct vss_async *a, uint32_t *hr, int *result);

/* ---- growing arrays for dumps ---- */

int vss__array_push(void **array, size_t *nr, size_t *alloc, size_t size,
		    const void *elem);

#endif /* LIBVSSCTL_INTERNAL_H */
