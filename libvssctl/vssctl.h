/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvssctl - control library for the vss kernel module (protected LUNs,
 * copy-on-write snapshots, snapshot sets), on libnl-3 / libnl-genl-3.
 *
 * The requester side follows the Windows VSS IVssBackupComponents model: one
 * vss_backup object per backup operation (InitializeForBackup ->
 * StartSnapshotSet -> AddToSnapshotSet x N -> DoSnapshotSet -> ... ->
 * BackupComplete), with the numeric VSS result codes (HRESULTs) kept.
 *
 * Conventions
 *  - Every call returns 0 (or a count) on success and a negative errno on
 *    failure.  After a failure, vss_ctx_last_error_msg() gives the reason
 *    (for a kernel rejection: the kernel's extended-ACK message) and
 *    vss_ctx_last_hresult() the VSS HRESULT where VSS defines one for the
 *    case (e.g. VSS_E_VOLUME_IN_USE), else 0.
 *  - Output structures are written only on success.
 *  - A required pointer argument that is NULL is never dereferenced: the
 *    call fails with -EINVAL and HRESULT VSS_E_INVALIDARG (E_INVALIDARG),
 *    recorded against the context (against NULL when the object itself is
 *    NULL: vss_ctx_last_hresult(NULL) reads it).  An allocation failure is
 *    -ENOMEM with VSS_E_OUTOFMEMORY (E_OUTOFMEMORY).  Optional out
 *    parameters are marked "if not NULL".
 *  - Ids (sessions, snapshot sets, snapshots) are 128-bit UUIDs (vss_id_t).
 *
 * Thread safety
 *  - A struct vss_ctx may be shared by threads: requests on it are
 *    serialized by an internal lock.  The last error is recorded per thread
 *    (like errno), so it always belongs to the calling thread's last call.
 *  - Event calls (vss_events_*) on one context must not run in two threads
 *    at once.
 *  - A struct vss_backup serves one operation and must be used by one
 *    thread at a time (as IVssBackupComponents); a struct vss_async may be
 *    waited on, queried and cancelled from any thread.
 *  - The log function may be called from any thread using the context.
 *  - No callback (the extent function of vss_snapshot_changes(), the event
 *    function, the log function) runs with a library lock held: each may
 *    call any function of the library, on the same context.  AbortBackup
 *    and Cancel use a socket of their own, so they work while another
 *    thread's long dump runs on the context.
 *
 * Link with pkg-config libvssctl.  Symbols are versioned (LIBVSSCTL_1,
 * then one node per addition); the package version follows the last node
 * (LIBVSSCTL_1.5: 1.5.0).
 *
 * Writers (LIBVSSCTL_1.3): an application registers a writer
 * (vss_writer_new()) and answers the events of the sessions that involve
 * it, with vss_writer_next_event()/vss_writer_reply() in its own poll loop
 * (vss_writer_fd()) or with callbacks (vss_writer_dispatch(),
 * vss_writer_run()).  A requester drives the protocol with
 * GatherWriterMetadata, PrepareForBackup, DoSnapshotSet, BackupComplete
 * and reads the writers' statuses with GatherWriterStatus and
 * GetWriterStatusEx.  A struct vss_writer must be used by one thread at a
 * time, except vss_writer_stop() and vss_writer_fd().
 */
#ifndef LIBVSSCTL_VSSCTL_H
#define LIBVSSCTL_VSSCTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vss.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- VSS result codes (HRESULT) not in <linux/vss.h> ---- */

#define VSS_S_OK				0x00000000U
#define VSS_S_ASYNC_PENDING			0x00042309U
#define VSS_S_ASYNC_FINISHED			0x0004230AU
#define VSS_S_ASYNC_CANCELLED			0x0004230BU
/* a required argument is NULL or out of range (library-side checks) */
#define VSS_E_INVALIDARG			0x80070057U
/* an allocation failed */
#define VSS_E_OUTOFMEMORY			0x8007000EU
#ifndef VSS_E_FLUSH_WRITES_TIMEOUT
#define VSS_E_FLUSH_WRITES_TIMEOUT		0x80042313U
#endif

/**
 * vss_hresult_name() - symbolic name of a VSS result code
 * @hr: HRESULT
 *
 * Return: e.g. "VSS_E_BAD_STATE", or NULL for a code the library does not
 * know.  The string is static.
 */
const char *vss_hresult_name(uint32_t hr);

/* ---- ids ---- */

/** typedef vss_id_t - a session, snapshot-set or snapshot id (UUID bytes) */
typedef struct vss_id {
	uint8_t b[VSS_ID_LEN];
} vss_id_t;

/* Length of the text form with its NUL: 8-4-4-4-12 hex digits. */
#define VSS_ID_STRLEN 37

/**
 * vss_id_to_string() - format an id as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
 * @id: the id
 * @buf: at least VSS_ID_STRLEN bytes
 *
 * Return: @buf; NULL if @id or @buf is NULL.
 */
char *vss_id_to_string(const vss_id_t *id, char *buf);

/**
 * vss_id_from_string() - parse the text form of an id (either case)
 * @s: the text
 * @id: receives the id
 *
 * Return: 0 or -EINVAL (also for a NULL argument).
 */
int vss_id_from_string(const char *s, vss_id_t *id);

/** vss_id_equal() - Return: true if @a and @b are the same id (false if NULL). */
bool vss_id_equal(const vss_id_t *a, const vss_id_t *b);

/* ---- context ---- */

struct vss_ctx;

/**
 * typedef vss_log_fn - log hook
 * @data: as given to vss_ctx_set_log_fn()
 * @priority: syslog priority (LOG_ERR ... LOG_DEBUG)
 * @file, @line, @fn: where the message comes from
 * @format, @args: the message, without a trailing newline
 */
typedef void (*vss_log_fn)(void *data, int priority, const char *file,
			   int line, const char *fn, const char *format,
			   va_list args);

/**
 * vss_ctx_new() - connect to the vss generic netlink family
 * @ctx: receives the new context (reference count 1)
 *
 * Opens the request socket and resolves the family and its "events"
 * multicast group.  Logging goes to stderr at LOG_ERR by default; the
 * environment variable VSS_LOG (err, info, debug or a number) changes the
 * priority.
 *
 * Return: 0; -ENOENT when the vss module is not loaded; another -errno.  On
 * failure vss_ctx_last_error_msg(NULL) describes the problem.
 */
int vss_ctx_new(struct vss_ctx **ctx);

/** vss_ctx_ref() - take a reference.  Return: @ctx. */
struct vss_ctx *vss_ctx_ref(struct vss_ctx *ctx);

/**
 * vss_ctx_unref() - drop a reference; the last one closes the sockets
 * @ctx: context, may be NULL
 *
 * Return: NULL.
 */
struct vss_ctx *vss_ctx_unref(struct vss_ctx *ctx);

/** vss_ctx_set_log_fn() - replace the log hook (NULL: no logging). */
void vss_ctx_set_log_fn(struct vss_ctx *ctx, vss_log_fn fn, void *data);
/** vss_ctx_set_log_priority() - log messages up to this syslog priority. */
void vss_ctx_set_log_priority(struct vss_ctx *ctx, int priority);
/** vss_ctx_get_log_priority() - Return: the current log priority. */
int vss_ctx_get_log_priority(const struct vss_ctx *ctx);

/**
 * vss_ctx_last_error_msg() - why the calling thread's last call failed
 * @ctx: the context the call was made on (NULL after vss_ctx_new failed)
 *
 * Return: the kernel's extended-ACK message or the library's description,
 * valid until the thread's next call on @ctx; NULL if the last call
 * succeeded or there is no message.
 */
const char *vss_ctx_last_error_msg(const struct vss_ctx *ctx);

/**
 * vss_ctx_last_hresult() - VSS result code of the thread's last failure
 * @ctx: the context the call was made on
 *
 * Return: the HRESULT the kernel (or library) attached, 0 if none.
 */
uint32_t vss_ctx_last_hresult(const struct vss_ctx *ctx);

/* ---- protected LUNs ---- */

/**
 * struct vss_lun_params - arguments of vss_lun_add()
 * @name: LUN name, [A-Za-z0-9_.], at most VSS_LUN_NAME_MAX characters;
 *	its device is /dev/vss-@name
 * @backing: path of the backing block device
 * @store: path of the diff-area (store) block device
 * @chunk_size: copy-on-write unit in bytes, a power of two in
 *	[VSS_CHUNK_SIZE_MIN, VSS_CHUNK_SIZE_MAX]; 0: as recorded in an
 *	existing store, else the module's default
 * @format: initialise the store even if it holds a vss store
 */
struct vss_lun_params {
	const char *name;
	const char *backing;
	const char *store;
	uint32_t chunk_size;
	bool format;
};

/**
 * struct vss_lun_info - state of a protected LUN
 * @name: LUN name
 * @device: path of the protected device, "/dev/vss-<name>"
 * @backing: backing disk name (e.g. "sdb")
 * @store: store disk name
 * @dev_major, @dev_minor: device number of @device
 * @chunk_size: copy-on-write unit, bytes
 * @size: LUN size, bytes
 * @store_size: bytes of the store usable for data and metadata
 * @store_used: bytes of the store in use
 * @snapshot_count: snapshots of the LUN
 * @busy: held by a session (a snapshot set being built or taken)
 * @has_session_id: @session_id is set
 * @session_id: the session holding the LUN
 */
struct vss_lun_info {
	char name[VSS_LUN_NAME_MAX + 1];
	char device[VSS_DEV_NAME_MAX + 6];
	char backing[64];
	char store[64];
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t chunk_size;
	uint64_t size;
	uint64_t store_size;
	uint64_t store_used;
	uint32_t snapshot_count;
	bool busy;
	bool has_session_id;
	vss_id_t session_id;
};

/**
 * vss_lun_add() - create a protected LUN
 * @ctx: context
 * @params: what to create
 * @info: if not NULL, receives the new LUN's state
 *
 * Return: 0 or -errno (e.g. -EEXIST, -EINVAL with the kernel's reason,
 * -EBUSY when the backing device is in use).
 */
int vss_lun_add(struct vss_ctx *ctx, const struct vss_lun_params *params,
		struct vss_lun_info *info);

/**
 * vss_lun_remove() - remove a protected LUN (store and snapshots stay)
 * @ctx: context
 * @name: LUN name
 *
 * Return: 0, -ENOENT, -EBUSY while it is open, held by a session or has
 * open snapshot devices, or another -errno.
 */
int vss_lun_remove(struct vss_ctx *ctx, const char *name);

/**
 * vss_lun_get() - state of one LUN
 * @ctx: context
 * @name: LUN name
 * @info: receives the state
 *
 * Return: 0, -ENOENT or another -errno.
 */
int vss_lun_get(struct vss_ctx *ctx, const char *name,
		struct vss_lun_info *info);

/**
 * vss_lun_list() - every LUN, in name order
 * @ctx: context
 * @luns: receives a malloc'ed array (NULL when empty), freed with free()
 * @nr: receives its length
 *
 * A dump the kernel reports as interrupted by a change is retried.
 *
 * Return: 0 or -errno.
 */
int vss_lun_list(struct vss_ctx *ctx, struct vss_lun_info **luns, size_t *nr);

/* ---- snapshots (Query, DeleteSnapshots, changed-block tracking) ---- */

/**
 * struct vss_snapshot_info - state of one snapshot
 * @id: snapshot id
 * @set_id: the snapshot set that created it
 * @lun: name of the snapshotted LUN
 * @device: path of the snapshot device, "/dev/vss-<lun>-s<seq>"
 * @dev_major, @dev_minor: its device number
 * @seq: per-LUN sequence number
 * @created_ns: time of the point in time, ns since the epoch (UTC)
 * @state: enum vss_snap_state (VSS_SNAPSHOT_STATE_*)
 * @cow_bytes: data preserved in this snapshot's area of the store
 * @has_session_id: @session_id is set (events only)
 * @session_id: the session whose snapshot set made it
 */
struct vss_snapshot_info {
	vss_id_t id;
	vss_id_t set_id;
	char lun[VSS_LUN_NAME_MAX + 1];
	char device[VSS_DEV_NAME_MAX + 6];
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t seq;
	uint64_t created_ns;
	uint32_t state;
	uint64_t cow_bytes;
	bool has_session_id;
	vss_id_t session_id;
};

/**
 * vss_snapshot_state_name() - Return: "ready", "invalid", ... or "unknown".
 */
const char *vss_snapshot_state_name(uint32_t state);

/**
 * vss_snapshot_get() - state of one snapshot
 * @ctx: context
 * @id: snapshot id
 * @info: receives the state
 *
 * Return: 0, -ENOENT (HRESULT VSS_E_OBJECT_NOT_FOUND) or another -errno.
 */
int vss_snapshot_get(struct vss_ctx *ctx, const vss_id_t *id,
		     struct vss_snapshot_info *info);

/**
 * vss_snapshot_list() - Query: the snapshots, optionally filtered
 * @ctx: context
 * @lun: only the snapshots of this LUN, or NULL
 * @set_id: only the snapshots of this set, or NULL
 * @snaps: receives a malloc'ed array (NULL when empty), freed with free()
 * @nr: receives its length
 *
 * Return: 0 or -errno.
 */
int vss_snapshot_list(struct vss_ctx *ctx, const char *lun,
		      const vss_id_t *set_id, struct vss_snapshot_info **snaps,
		      size_t *nr);

/**
 * vss_snapshot_delete() - DeleteSnapshots of one snapshot
 * @ctx: context
 * @id: snapshot id
 *
 * Return: 0, -ENOENT, -EBUSY while its device is open, or another -errno.
 */
int vss_snapshot_delete(struct vss_ctx *ctx, const vss_id_t *id);

/**
 * vss_snapshot_set_delete() - DeleteSnapshots of a whole snapshot set
 * @ctx: context
 * @set_id: snapshot set id
 *
 * A set still being built is discarded (its LUN reservations dropped); for
 * a created set every snapshot is deleted.
 *
 * Return: 0, -ENOENT or another -errno.
 */
int vss_snapshot_set_delete(struct vss_ctx *ctx, const vss_id_t *set_id);

/**
 * vss_snapshot_set_break() - BreakSnapshotSet: forget a snapshot set
 * @ctx: context
 * @set_id: id of a created snapshot set
 * @count: if not NULL, receives the number of snapshots released
 *
 * The snapshots stay but no longer belong to a set: their set id becomes
 * all zeros (vss_id_t of zeros), durably.  Each can then be deleted on its
 * own; deleting or breaking @set_id again fails with -ENOENT.
 *
 * Return: 0; -ENOENT (HRESULT VSS_E_OBJECT_NOT_FOUND) for an unknown set;
 * -EBUSY (VSS_E_SNAPSHOT_SET_IN_PROGRESS) while the set is still being
 * built or taken; -EPERM without CAP_SYS_ADMIN; or another -errno.
 * Since: LIBVSSCTL_1.1.
 */
int vss_snapshot_set_break(struct vss_ctx *ctx, const vss_id_t *set_id,
			   unsigned int *count);

/**
 * typedef vss_extent_fn - receives one changed extent
 * @arg: as given
 * @offset: byte offset in the LUN
 * @length: bytes
 *
 * Return: 0 to go on; anything else stops the walk and is returned.
 */
typedef int (*vss_extent_fn)(void *arg, uint64_t offset, uint64_t length);

/**
 * vss_snapshot_changes() - extents of the LUN written since the snapshot
 * @ctx: context
 * @id: snapshot id
 * @from: report extents at or after this byte offset
 * @chunk_size: if not NULL, receives the LUN's chunk size (the granularity)
 * @fn: called for each extent, in ascending order
 * @arg: passed to @fn
 *
 * The dump has a netlink socket of its own and @fn runs without any lock
 * of the library held: it may call the library on @ctx (a query,
 * vss_backup_abort(), vss_async_cancel()).  @fn is required.
 *
 * Return: 0, the first non-zero value returned by @fn, or -errno (-EIO
 * for an invalidated snapshot).
 */
int vss_snapshot_changes(struct vss_ctx *ctx, const vss_id_t *id,
			 uint64_t from, uint32_t *chunk_size, vss_extent_fn fn,
			 void *arg);

/* ---- sessions ---- */

/**
 * struct vss_session_info - state of a requester session
 * @id: session id
 * @state: enum vss_session_state
 * @portid: netlink port of the socket the session is bound to
 * @has_set: @set_id and @set_state are set
 * @set_id: the session's current (or last) snapshot set
 * @set_state: its enum vss_set_state (VSS_SNAPSHOT_STATE values)
 * @lun_count: LUNs in that set
 */
struct vss_session_info {
	vss_id_t id;
	uint32_t state;
	uint32_t portid;
	bool has_set;
	vss_id_t set_id;
	uint32_t set_state;
	uint32_t lun_count;
};

/** vss_session_state_name() - Return: "initialized", ... or "unknown". */
const char *vss_session_state_name(uint32_t state);
/** vss_set_state_name() - Return: "preparing", "created", ... or "unknown". */
const char *vss_set_state_name(uint32_t state);

/**
 * vss_session_get() - state of any session
 * @ctx: context
 * @id: session id
 * @info: receives the state
 *
 * Return: 0, -ENOENT or another -errno.
 */
int vss_session_get(struct vss_ctx *ctx, const vss_id_t *id,
		    struct vss_session_info *info);

/**
 * vss_session_list() - every session
 * @ctx: context
 * @sessions: receives a malloc'ed array (NULL when empty), freed with free()
 * @nr: receives its length
 *
 * Return: 0 or -errno.
 */
int vss_session_list(struct vss_ctx *ctx, struct vss_session_info **sessions,
		     size_t *nr);

/* ---- backup components (requester) ---- */

struct vss_backup;
struct vss_async;

/**
 * struct vss_set_member - one LUN of a created snapshot set
 * @lun: LUN name
 * @snapshot_id: its snapshot
 * @device: path of the snapshot device
 * @dev_major, @dev_minor: its device number
 */
struct vss_set_member {
	char lun[VSS_LUN_NAME_MAX + 1];
	vss_id_t snapshot_id;
	char device[VSS_DEV_NAME_MAX + 6];
	uint32_t dev_major;
	uint32_t dev_minor;
};

/**
 * struct vss_set_result - outcome of DoSnapshotSet
 * @set_id: the snapshot set
 * @state: its state (VSS_SET_STATE_CREATED)
 * @hold_us: I/O hold window, first LUN held to last released, microseconds
 * @nr_members: entries of @members, in the order the LUNs were added
 * @members: the snapshots
 */
struct vss_set_result {
	vss_id_t set_id;
	uint32_t state;
	uint64_t hold_us;
	size_t nr_members;
	struct vss_set_member members[VSS_SET_MAX_LUNS];
};

/**
 * vss_backup_new() - create a backup-components object (InitializeForBackup)
 * @ctx: context (a reference is taken)
 * @backup: receives the object
 *
 * The object has its own netlink socket, to which the kernel binds the new
 * session: freeing the object (or the process dying) aborts whatever the
 * session left unfinished and releases its LUNs at once.
 *
 * Return: 0 or -errno.
 */
int vss_backup_new(struct vss_ctx *ctx, struct vss_backup **backup);

/**
 * vss_backup_free() - release the object (and its session)
 * @backup: may be NULL
 *
 * Waits for an operation still running (see vss_async_cancel()).
 * Snapshots already created are kept.  Closing the session's socket makes
 * the kernel send BackupShutdown to the writers that took part in the
 * session (not waited for).
 */
void vss_backup_free(struct vss_backup *backup);

/**
 * vss_backup_get_session_id() - GetSessionId
 * @backup: object
 * @id: receives the 128-bit session id
 *
 * Return: 0.
 */
int vss_backup_get_session_id(const struct vss_backup *backup, vss_id_t *id);

/**
 * vss_backup_get_status() - the session's state as the kernel sees it
 * @backup: object
 * @info: receives it
 *
 * Return: 0 or -errno.
 */
int vss_backup_get_status(struct vss_backup *backup,
			  struct vss_session_info *info);

/**
 * vss_backup_start_snapshot_set() - StartSnapshotSet
 * @backup: object
 * @set_id: receives the new set's id
 *
 * One object serves one operation: once DoSnapshotSet was started on
 * @backup, StartSnapshotSet (and AddToSnapshotSet, DoSnapshotSet) fail with
 * VSS_E_BAD_STATE, whatever the kernel's session would allow.
 *
 * Return: 0; -EBUSY (VSS_E_SNAPSHOT_SET_IN_PROGRESS) while another set is
 * being built or taken; -EINVAL (VSS_E_BAD_STATE) after an abort or after
 * DoSnapshotSet; -errno.
 */
int vss_backup_start_snapshot_set(struct vss_backup *backup, vss_id_t *set_id);

/**
 * vss_backup_break_snapshot_set() - BreakSnapshotSet
 * @backup: object; any created set can be broken, not only this session's
 * @set_id: the set
 * @count: if not NULL, receives the number of snapshots released
 *
 * Same as vss_snapshot_set_break() on the object's context.
 *
 * Return: as vss_snapshot_set_break().  Since: LIBVSSCTL_1.1.
 */
int vss_backup_break_snapshot_set(struct vss_backup *backup,
				  const vss_id_t *set_id, unsigned int *count);

/**
 * vss_backup_add_to_snapshot_set() - AddToSnapshotSet
 * @backup: object
 * @lun: LUN name
 * @snapshot_id: if not NULL, receives the id its snapshot will have
 *
 * Reserves the LUN for this session until the set is done or dropped.
 *
 * Return: 0; -ENOENT (VSS_E_OBJECT_NOT_FOUND); -EBUSY (VSS_E_VOLUME_IN_USE)
 * when another session holds the LUN; -EEXIST
 * (VSS_E_OBJECT_ALREADY_EXISTS) when it is already in the set; -E2BIG
 * (VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED) past VSS_SET_MAX_LUNS;
 * -EINVAL (VSS_E_BAD_STATE) with no set started; another -errno.
 */
int vss_backup_add_to_snapshot_set(struct vss_backup *backup, const char *lun,
				   vss_id_t *snapshot_id);

/**
 * vss_backup_do_snapshot_set() - DoSnapshotSet, asynchronously
 * @backup: object
 * @async: receives the async handle (free with vss_async_free())
 *
 * Unless vss_backup_set_writers(backup, false) was called, the writers
 * with a LUN in the set take part: PrepareForSnapshot, Freeze (in
 * registration order), then every LUN of the set is frozen, held,
 * snapshotted at one instant and released, then Thaw (in reverse order)
 * and PostSnapshot once the snapshots are durable.  A failure -- a
 * writer's veto, a writer not answering in time
 * (VSS_E_WRITER_NOT_RESPONDING), a Freeze->Thaw window exceeded
 * (VSS_E_WRITERERROR_TIMEOUT) -- leaves nothing behind on any LUN; the
 * operation's HRESULT is then the writer's failure code and
 * GatherWriterStatus/GetWriterStatusEx tell which writer and why.  Until
 * the operation ends, other calls on @backup fail with -EBUSY
 * (VSS_E_SNAPSHOT_SET_IN_PROGRESS).
 *
 * Return: 0 or -errno (the operation was not started).
 */
int vss_backup_do_snapshot_set(struct vss_backup *backup,
			       struct vss_async **async);

/**
 * vss_backup_get_set_result() - outcome of the last successful DoSnapshotSet
 * @backup: object
 * @result: receives the set id, hold window and snapshots
 *
 * Return: 0, or -EINVAL (VSS_E_BAD_STATE) if no DoSnapshotSet succeeded.
 */
int vss_backup_get_set_result(struct vss_backup *backup,
			      struct vss_set_result *result);

/**
 * vss_backup_complete() - BackupComplete
 * @backup: object
 *
 * Ends the operation after the data was copied: valid only once a snapshot
 * set was created in this session (else -EINVAL with VSS_E_BAD_STATE).
 * The writers of the set get BackupComplete; the call returns once each
 * answered or its event timeout passed (a writer's failure shows in its
 * status, FAILED_AT_BACKUP_COMPLETE, and does not fail the call).
 * Afterwards only queries, GatherWriterStatus and vss_backup_free() are
 * allowed.
 *
 * Return: 0 or -errno.
 */
int vss_backup_complete(struct vss_backup *backup);

/**
 * vss_backup_abort() - AbortBackup
 * @backup: object
 *
 * Makes a running DoSnapshotSet fail, drops a set being built and releases
 * every hold, freeze and LUN reservation of the session.  Snapshots already
 * created are kept (delete them with vss_snapshot_set_delete()).
 * May be called from another thread while vss_async_wait() runs, or from
 * a callback; it has a socket of its own, so it does not wait for another
 * thread's request on the context.
 *
 * Return: 0 or -errno.
 */
int vss_backup_abort(struct vss_backup *backup);

/**
 * vss_async_wait() - wait for an asynchronous operation to end
 * @async: handle
 * @timeout_ms: -1 waits for ever, 0 polls
 *
 * Return: 0 when it has ended (see vss_async_query_status() for how), or
 * -ETIMEDOUT (VSS_S_ASYNC_PENDING).
 */
int vss_async_wait(struct vss_async *async, int timeout_ms);

/**
 * vss_async_cancel() - Cancel
 * @async: handle
 *
 * For DoSnapshotSet this aborts the session (as vss_backup_abort()).
 *
 * Return: 0 if the cancellation was requested; -EALREADY if the operation
 * had already ended (HRESULT VSS_S_ASYNC_FINISHED or
 * VSS_S_ASYNC_CANCELLED); another -errno.
 */
int vss_async_cancel(struct vss_async *async);

/**
 * vss_async_query_status() - QueryStatus
 * @async: handle
 * @hr: receives VSS_S_ASYNC_PENDING, VSS_S_ASYNC_FINISHED,
 *	VSS_S_ASYNC_CANCELLED, or the failure's HRESULT (VSS_E_UNEXPECTED
 *	when the kernel gave none)
 * @result: if not NULL, receives the operation's result: 0, -errno, or
 *	-EINPROGRESS while pending
 *
 * After a failure the calling thread's last error (vss_ctx_last_error_msg())
 * is the operation's.
 *
 * Return: 0.
 */
int vss_async_query_status(struct vss_async *async, uint32_t *hr,
			   int *result);

/**
 * vss_async_free() - release the handle, waiting for the operation to end
 * @async: may be NULL
 */
void vss_async_free(struct vss_async *async);

/* ---- events ---- */

/* Not a kernel notification: events were lost (socket buffer overrun). */
#define VSS_EVENT_OVERRUN	1

/**
 * struct vss_event - one notification of the "events" multicast group
 * @type: VSS_CMD_*_NTF, or VSS_EVENT_OVERRUN
 * @has_lun: @lun is set (LUN and store events; for LUN removal only the
 *	name and device)
 * @lun: the LUN
 * @has_snapshot: @snapshot is set (snapshot events; with the session id
 *	when a live session made it)
 * @snapshot: the snapshot
 */
struct vss_event {
	uint32_t type;
	bool has_lun;
	struct vss_lun_info lun;
	bool has_snapshot;
	struct vss_snapshot_info snapshot;
};

/** vss_event_name() - Return: "lun-added", ... or "unknown". */
const char *vss_event_name(uint32_t type);

/**
 * struct vss_set_break_event - what a set-break event carries
 * @set_id: the snapshot set that was broken
 * @snapshot_count: how many of its snapshots left it (at least 1)
 */
struct vss_set_break_event {
	vss_id_t set_id;
	uint32_t snapshot_count;
};

/**
 * vss_event_set_break() - the details of a set-break event
 * @event: an event of type VSS_CMD_SET_BREAK_NTF, as passed to a
 *	vss_event_fn and during that call (struct vss_event has no room for
 *	them: its layout is part of the ABI, so a copy does not carry them)
 * @out: filled in
 *
 * Since LIBVSSCTL_1.2.
 *
 * Return: 0, or -EINVAL if @event is not a set-break event being dispatched.
 */
int vss_event_set_break(const struct vss_event *event,
			struct vss_set_break_event *out);

/**
 * vss_events_subscribe() - open the event socket and join "events"
 * @ctx: context
 *
 * Needs CAP_SYS_ADMIN where the kernel enforces it.  Idempotent.
 *
 * Return: 0, -EOPNOTSUPP if the kernel has no events group, -errno.
 */
int vss_events_subscribe(struct vss_ctx *ctx);

/**
 * vss_events_fd() - descriptor to poll for POLLIN
 * @ctx: context
 *
 * Return: the fd, or -ENOTCONN before vss_events_subscribe().
 */
int vss_events_fd(const struct vss_ctx *ctx);

/**
 * typedef vss_event_fn - receives one event
 * Return: 0 to go on; anything else stops dispatching and is returned.
 */
typedef int (*vss_event_fn)(void *arg, const struct vss_event *event);

/**
 * vss_events_dispatch() - handle the pending events, without blocking
 * @ctx: context
 * @fn: called for each event
 * @arg: passed to @fn
 *
 * Return: the number of events handled, the first non-zero value returned
 * by @fn, or -errno.
 */
int vss_events_dispatch(struct vss_ctx *ctx, vss_event_fn fn, void *arg);

/* ---- writers: shared definitions ---- */

/*
 * A writer is an application that takes part in snapshot sets: it
 * registers with a name, a class id and the LUNs its data lives on, and
 * answers one event per phase of every session that involves it
 * (enum vss_writer_event: Identify, PrepareForBackup, PrepareForSnapshot,
 * Freeze, Thaw, PostSnapshot, Abort, BackupComplete, BackupShutdown,
 * PreRestore, PostRestore).  The kernel owns every deadline: an event not
 * answered within the writer's event timeout fails the phase with
 * VSS_E_WRITER_NOT_RESPONDING; past the writer's Freeze->Thaw window the
 * kernel thaws and releases every LUN itself and the writer's status is
 * VSS_E_WRITERERROR_TIMEOUT.  A writer whose LUNs are only partly in a
 * snapshot set takes no part in it and its status is
 * VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT (FAILED_AT_PREPARE_SNAPSHOT);
 * the set goes on.  States are enum vss_writer_state (VSS_WRITER_STATE
 * values), failure codes the VSS_E_WRITERERROR_* of <linux/vss.h>.
 */

/**
 * vss_writer_state_name() - name of a VSS_WRITER_STATE value
 * @state: enum vss_writer_state
 *
 * Return: "stable", "waiting-for-freeze", "failed-at-freeze", ... (the
 * VSS name in lower case with dashes) or "unknown".  Since LIBVSSCTL_1.3.
 */
const char *vss_writer_state_name(uint32_t state);

/**
 * vss_writer_event_name() - name of a writer event
 * @event: enum vss_writer_event
 *
 * Return: "identify", "prepare-backup", "prepare-snapshot", "freeze",
 * "thaw", "post-snapshot", "abort", "backup-complete", "backup-shutdown",
 * "pre-restore", "post-restore", or "unknown".  Since LIBVSSCTL_1.3.
 */
const char *vss_writer_event_name(uint32_t event);

/**
 * vss_writer_event_from_name() - parse a writer event name
 * @name: as returned by vss_writer_event_name()
 *
 * Return: the enum vss_writer_event value, or 0 for an unknown name.
 * Since LIBVSSCTL_1.3.
 */
uint32_t vss_writer_event_from_name(const char *name);

/**
 * struct vss_writer_status - a writer and its status in one session
 * @instance_id: the writer's instance id (new at every registration)
 * @class_id: its class id (all zero if it gave none)
 * @name: its name
 * @nr_luns: entries of @luns
 * @luns: the LUNs it registered with
 * @event_timeout_ms: its event-reply timeout
 * @freeze_timeout_ms: its Freeze->Thaw window
 * @registered: the writer is still registered (a session's status
 *	outlives the writer)
 * @has_session_id: @session_id and the fields below are set (a listed
 *	writer that never took part in a session has no status)
 * @session_id: the session the status belongs to
 * @state: enum vss_writer_state in that session
 * @hr_writer: its failure (VSS_E_WRITERERROR_*, VSS_E_WRITER_NOT_RESPONDING),
 *	0 (S_OK) if none
 * @hr_application: the application's own code, 0 if none
 * @message: the failure's message, "" if none
 */
struct vss_writer_status {
	vss_id_t instance_id;
	vss_id_t class_id;
	char name[VSS_WRITER_NAME_MAX + 1];
	size_t nr_luns;
	char luns[VSS_WRITER_MAX_LUNS][VSS_LUN_NAME_MAX + 1];
	uint32_t event_timeout_ms;
	uint32_t freeze_timeout_ms;
	bool registered;
	bool has_session_id;
	vss_id_t session_id;
	uint32_t state;
	uint32_t hr_writer;
	uint32_t hr_application;
	char message[VSS_WRITER_MESSAGE_MAX + 1];
};

/**
 * vss_writer_list() - the registered writers (vssctl writer list)
 * @ctx: context
 * @writers: receives a malloc'ed array (NULL when empty), freed with
 *	free(), in registration order; each with the status of the last
 *	session it took part in, if any
 * @nr: receives its length
 *
 * Return: 0 or -errno.  Since LIBVSSCTL_1.3.
 */
int vss_writer_list(struct vss_ctx *ctx, struct vss_writer_status **writers,
		    size_t *nr);

/**
 * vss_session_writer_status() - the writers' statuses in any session
 * @ctx: context
 * @session_id: the session (it must still exist)
 * @writers: receives a malloc'ed array (NULL when empty), freed with
 *	free(), in registration order, also of writers since gone
 * @nr: receives its length
 *
 * Return: 0, -ENOENT (VSS_E_OBJECT_NOT_FOUND) or -errno.
 * Since LIBVSSCTL_1.3.
 */
int vss_session_writer_status(struct vss_ctx *ctx, const vss_id_t *session_id,
			      struct vss_writer_status **writers, size_t *nr);

/* ---- writer side ---- */

struct vss_writer;

/**
 * struct vss_writer_params - arguments of vss_writer_new()
 * @name: writer name, 1 to VSS_WRITER_NAME_MAX characters
 * @class_id: writer class id (the application's kind), or NULL (zeros)
 * @luns: names of the LUNs the writer's data lives on (1 to
 *	VSS_WRITER_MAX_LUNS)
 * @nr_luns: entries of @luns
 * @event_timeout_ms: how long the kernel waits for each reply; 0: the
 *	module's default (writer_event_timeout_ms, 30 s)
 * @freeze_timeout_ms: the Freeze->Thaw window; 0: 60 s.  Refused above
 *	the module's hard cap (writer_freeze_max_ms)
 */
struct vss_writer_params {
	const char *name;
	const vss_id_t *class_id;
	const char *const *luns;
	size_t nr_luns;
	uint32_t event_timeout_ms;
	uint32_t freeze_timeout_ms;
};

/**
 * vss_writer_new() - register a writer
 * @ctx: context (a reference is taken)
 * @params: who the writer is
 * @writer: receives the writer object
 *
 * The registration is bound to a netlink socket of the object's own:
 * freeing the object, or the process dying, unregisters the writer at
 * once (a session waiting for it sees it as not responding).  The kernel
 * gives a new instance id at every registration.  The LUNs need not exist
 * yet: they are matched by name when a snapshot set is taken.
 *
 * Return: 0; -EINVAL (VSS_E_INVALIDARG) for bad parameters, with the
 * kernel's reason; -errno.  Since LIBVSSCTL_1.3.
 */
int vss_writer_new(struct vss_ctx *ctx, const struct vss_writer_params *params,
		   struct vss_writer **writer);

/**
 * vss_writer_free() - unregister the writer and free the object
 * @writer: may be NULL
 *
 * Events not answered yet are left unanswered (the sessions waiting for
 * them see the writer as not responding).  Since LIBVSSCTL_1.3.
 */
void vss_writer_free(struct vss_writer *writer);

/**
 * vss_writer_get_instance_id() - the writer's instance id
 * @writer: writer
 * @id: receives it
 *
 * Return: 0.  Since LIBVSSCTL_1.3.
 */
int vss_writer_get_instance_id(const struct vss_writer *writer, vss_id_t *id);

/**
 * vss_writer_fd() - descriptor to poll() for POLLIN: an event is pending
 * @writer: writer
 *
 * Readable when the kernel sent an event; then call vss_writer_next_event()
 * (with timeout 0) or vss_writer_dispatch().  Events already received
 * while the library waited for an acknowledgement are queued inside the
 * object and do not make the fd readable: call vss_writer_next_event()
 * with timeout 0 until -EAGAIN after each wake-up.
 *
 * Return: the fd (never closed by the caller).  Since LIBVSSCTL_1.3.
 */
int vss_writer_fd(const struct vss_writer *writer);

/**
 * vss_writer_set_metadata() - the metadata document sent at Identify
 * @writer: writer
 * @doc: free-form bytes (e.g. XML or JSON describing the components), or
 *	NULL to send none
 * @len: its length, at most VSS_WRITER_METADATA_MAX
 *
 * Copied; attached to every later successful reply to Identify (also the
 * replies of vss_writer_dispatch(), so an on_identify callback may call
 * this first).  The requester reads it with
 * vss_backup_get_writer_metadata().
 *
 * Return: 0, -EINVAL (too long), -ENOMEM.  Since LIBVSSCTL_1.3.
 */
int vss_writer_set_metadata(struct vss_writer *writer, const void *doc,
			    size_t len);

/**
 * struct vss_writer_event_info - one event for the writer
 * @type: enum vss_writer_event
 * @seq: the event's number (echoed by the reply)
 * @session_id: the requester's session
 * @has_set_id: @set_id is set (the events of DoSnapshotSet)
 * @set_id: the snapshot set
 * @timeout_ms: how long the kernel waits for the reply (from when it
 *	sent the event); 0 for events that are not waited for (Abort,
 *	BackupShutdown)
 * @nr_luns: entries of @luns
 * @luns: the writer's LUNs in the snapshot set (events of DoSnapshotSet)
 */
struct vss_writer_event_info {
	uint32_t type;
	uint32_t seq;
	vss_id_t session_id;
	bool has_set_id;
	vss_id_t set_id;
	uint32_t timeout_ms;
	size_t nr_luns;
	char luns[VSS_WRITER_MAX_LUNS][VSS_LUN_NAME_MAX + 1];
};

/**
 * vss_writer_next_event() - receive the next event
 * @writer: writer
 * @event: receives it
 * @timeout_ms: -1 waits for ever, 0 does not wait
 *
 * Return: 0; -EAGAIN when no event came within @timeout_ms; -EINTR when a
 * signal interrupted the wait; -errno.  Since LIBVSSCTL_1.3.
 */
int vss_writer_next_event(struct vss_writer *writer,
			  struct vss_writer_event_info *event, int timeout_ms);

/**
 * vss_writer_get_restore_outcome() - how a recovery set's resyncs ended
 * @writer: writer
 * @event: a PostRestore event this writer received
 * @resync_state: receives enum vss_resync_state, the worst of the
 *	recovery set's resyncs: VSS_RESYNC_STATE_FAILED, then
 *	VSS_RESYNC_STATE_CANCELLED, then VSS_RESYNC_STATE_DONE
 * @error: receives the errno (positive) of the first failed resync, 0 if
 *	none failed
 *
 * PreRestore comes when RecoverSet starts (a veto starts no resync);
 * PostRestore comes from the kernel, with no requester session, once
 * every resync of that recovery set ended -- done, failed or cancelled,
 * which this call tells.  A resync resumed from the store after its LUN
 * was re-added sends no PostRestore.  The writer keeps the outcome of its
 * last 16 PostRestore events.
 *
 * Return: 0; -EINVAL (VSS_E_INVALIDARG) for a NULL argument or an event
 * that is not PostRestore; -ENOENT (VSS_E_OBJECT_NOT_FOUND) when the
 * outcome is no longer kept.  Since LIBVSSCTL_1.6.
 */
int vss_writer_get_restore_outcome(const struct vss_writer *writer,
				   const struct vss_writer_event_info *event,
				   uint32_t *resync_state, int *error);

/**
 * struct vss_writer_failure - SetWriterFailureEx
 * @hr_writer: the failure, a VSS_E_WRITERERROR_* code (0: none)
 * @hr_application: the application's own code, 0 if none
 * @message: a message for the requester, "" if none
 * @non_fatal: record the failure in the writer's status but let the
 *	phase succeed (a CVssWriter handler that calls SetWriterFailureEx
 *	and returns true)
 */
struct vss_writer_failure {
	uint32_t hr_writer;
	uint32_t hr_application;
	char message[VSS_WRITER_MESSAGE_MAX + 1];
	bool non_fatal;
};

/**
 * vss_writer_reply() - answer an event
 * @writer: writer
 * @event: the event, as received
 * @failure: NULL (or hr_writer 0) for success; else the failure, which
 *	vetoes the phase unless @failure->non_fatal
 *
 * Abort and BackupShutdown need no reply (one is accepted and ignored).
 * A reply to Identify carries the metadata document of
 * vss_writer_set_metadata().
 *
 * Return: 0; -ETIMEDOUT when the kernel no longer waits for this event
 * (its deadline passed, or the session ended); -errno.
 * Since LIBVSSCTL_1.3.
 */
int vss_writer_reply(struct vss_writer *writer,
		     const struct vss_writer_event_info *event,
		     const struct vss_writer_failure *failure);

/**
 * typedef vss_writer_cb - one handler of the callback loop
 * @arg: as given to vss_writer_dispatch() / vss_writer_run()
 * @writer: the writer
 * @event: the event
 * @failure: zeroed; a handler that fails fills it in (SetWriterFailureEx)
 *
 * Like CVssWriter's OnFreeze and the others: return true for success (a
 * failure filled in is then recorded as non-fatal), false to veto the
 * phase with @failure (VSS_E_WRITERERROR_NONRETRYABLE when its hr_writer
 * was left 0).  The return value of on_abort and on_backup_shutdown is
 * ignored.
 */
typedef bool (*vss_writer_cb)(void *arg, struct vss_writer *writer,
			      const struct vss_writer_event_info *event,
			      struct vss_writer_failure *failure);

/**
 * struct vss_writer_ops - the callbacks, one per event; NULL: succeed
 */
struct vss_writer_ops {
	vss_writer_cb on_identify;
	vss_writer_cb on_prepare_backup;
	vss_writer_cb on_prepare_snapshot;
	vss_writer_cb on_freeze;
	vss_writer_cb on_thaw;
	vss_writer_cb on_post_snapshot;
	vss_writer_cb on_abort;
	vss_writer_cb on_backup_complete;
	vss_writer_cb on_backup_shutdown;
	vss_writer_cb on_pre_restore;
	vss_writer_cb on_post_restore;
};

/**
 * vss_writer_dispatch() - handle pending events with callbacks
 * @writer: writer
 * @ops: the callbacks
 * @arg: passed to them
 * @timeout_ms: how long to wait for the first event (-1: for ever, 0: not)
 *
 * Calls the callback of each pending event and sends its reply.  A reply
 * the kernel refuses because its deadline passed is not an error of
 * dispatch (it is logged).  No library lock is held while a callback
 * runs.
 *
 * Return: the number of events handled (0 when none came in time), or
 * -errno.  Since LIBVSSCTL_1.3.
 */
int vss_writer_dispatch(struct vss_writer *writer,
			const struct vss_writer_ops *ops, void *arg,
			int timeout_ms);

/**
 * vss_writer_run() - the callback loop
 * @writer: writer
 * @ops: the callbacks
 * @arg: passed to them
 *
 * Dispatches events until vss_writer_stop() is called (or an error).
 *
 * Return: 0 after vss_writer_stop(), or -errno.  Since LIBVSSCTL_1.3.
 */
int vss_writer_run(struct vss_writer *writer, const struct vss_writer_ops *ops,
		   void *arg);

/**
 * vss_writer_stop() - make vss_writer_run() return
 * @writer: writer
 *
 * Async-signal-safe and callable from any thread or from a callback.
 *
 * Return: 0.  Since LIBVSSCTL_1.3.
 */
int vss_writer_stop(struct vss_writer *writer);

/* ---- requester side of the writer protocol ---- */

/**
 * vss_backup_disable_writer_classes() - DisableWriterClasses
 * @backup: object
 * @class_ids: writer class ids that take no part in this session
 * @nr: entries of @class_ids (at least 1)
 *
 * Valid before DoSnapshotSet was started (else VSS_E_BAD_STATE).
 *
 * Return: 0 or -errno.  Since LIBVSSCTL_1.3.
 */
int vss_backup_disable_writer_classes(struct vss_backup *backup,
				      const vss_id_t *class_ids, size_t nr);

/**
 * vss_backup_enable_writer_classes() - EnableWriterClasses
 * @backup: object
 * @class_ids: writer class ids; once this was called, only writers of
 *	enabled classes take part (a disabled class stays disabled)
 * @nr: entries of @class_ids (at least 1)
 *
 * Return: 0 or -errno.  Since LIBVSSCTL_1.3.
 */
int vss_backup_enable_writer_classes(struct vss_backup *backup,
				     const vss_id_t *class_ids, size_t nr);

/**
 * vss_backup_disable_writer_instances() - DisableWriterInstances
 * @backup: object
 * @instance_ids: writer instance ids that take no part in this session
 * @nr: entries of @instance_ids (at least 1)
 *
 * Return: 0 or -errno.  Since LIBVSSCTL_1.3.
 */
int vss_backup_disable_writer_instances(struct vss_backup *backup,
					const vss_id_t *instance_ids,
					size_t nr);

/*
 * Snapshot contexts (VSS_SNAPSHOT_CONTEXT), for vss_backup_set_context().
 * Auto-release contexts (without VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE) have
 * their snapshot set deleted by the kernel when the object is freed or
 * its process dies; the others keep it.
 */
#define VSS_VOLSNAP_ATTR_PERSISTENT		0x01U
#define VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE	0x04U
#define VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE	0x08U
#define VSS_VOLSNAP_ATTR_NO_WRITERS		0x10U
#define VSS_CTX_BACKUP				0x00U
#define VSS_CTX_FILE_SHARE_BACKUP		0x10U
#define VSS_CTX_APP_ROLLBACK			0x09U
#define VSS_CTX_CLIENT_ACCESSIBLE_WRITERS	0x0dU
#define VSS_CTX_NAS_ROLLBACK			0x19U
#define VSS_CTX_CLIENT_ACCESSIBLE		0x1dU

/**
 * vss_backup_set_context() - SetContext
 * @backup: object
 * @context: one of the VSS_CTX_* values above
 *
 * Valid once, before the first vss_backup_start_snapshot_set().  The
 * default, VSS_CTX_BACKUP, is auto-release: the snapshots are deleted
 * when the object is freed or the process dies.  VSS_CTX_APP_ROLLBACK and
 * the other persistent contexts keep them.  Contexts with
 * VSS_VOLSNAP_ATTR_NO_WRITERS send no writer event.
 *
 * Return: 0; -EINVAL with VSS_E_INVALIDARG (unknown context) or
 * VSS_E_BAD_STATE (too late); -EBUSY; another -errno.
 * Since LIBVSSCTL_1.5.
 */
int vss_backup_set_context(struct vss_backup *backup, uint32_t context);

/**
 * vss_backup_set_writers() - take part in the writer protocol or not
 * @backup: object
 * @enabled: false: DoSnapshotSet sends no writer event (vssctl snapshot
 *	create --no-writers); true (the default): it runs the protocol
 *
 * Return: 0, or -EBUSY while DoSnapshotSet runs.  Since LIBVSSCTL_1.3.
 */
int vss_backup_set_writers(struct vss_backup *backup, bool enabled);

/**
 * vss_backup_gather_writer_metadata() - GatherWriterMetadata
 * @backup: object
 * @async: receives the async handle (free with vss_async_free())
 *
 * Every registered writer (that the filters let take part) gets Identify;
 * the operation ends when each has answered or its event timeout passed.
 * Then vss_backup_get_writer_metadata_count() and
 * vss_backup_get_writer_metadata() read the result.
 *
 * Return: 0 or -errno (the operation was not started).
 * Since LIBVSSCTL_1.3.
 */
int vss_backup_gather_writer_metadata(struct vss_backup *backup,
				      struct vss_async **async);

/**
 * vss_backup_get_writer_metadata_count() - GetWriterMetadataCount
 * @backup: object
 * @count: receives the number of writers that answered Identify
 *
 * Return: 0, or -EINVAL (VSS_E_BAD_STATE) before GatherWriterMetadata
 * completed.  Since LIBVSSCTL_1.3.
 */
int vss_backup_get_writer_metadata_count(struct vss_backup *backup,
					 unsigned int *count);

/**
 * vss_backup_get_writer_metadata() - GetWriterMetadata
 * @backup: object
 * @index: 0 .. count-1
 * @writer: receives the writer and its Identify status
 * @doc: if not NULL, receives a malloc'ed copy of its metadata document
 *	(NULL when it sent none), freed with free()
 * @len: if not NULL, receives the document's length
 *
 * Return: 0; -EINVAL (VSS_E_INVALIDARG or VSS_E_BAD_STATE); -ENOENT
 * (VSS_E_OBJECT_NOT_FOUND) for an index out of range; -ENOMEM.
 * Since LIBVSSCTL_1.3.
 */
int vss_backup_get_writer_metadata(struct vss_backup *backup,
				   unsigned int index,
				   struct vss_writer_status *writer,
				   void **doc, size_t *len);

/**
 * vss_backup_prepare_for_backup() - PrepareForBackup
 * @backup: object
 * @async: receives the async handle
 *
 * Sent to the writers with a LUN in the snapshot set being built; call it
 * after AddToSnapshotSet and before DoSnapshotSet.  A veto fails the
 * operation (its HRESULT is the writer's hr_writer) and the writer's
 * status is FAILED_AT_PREPARE_BACKUP.
 *
 * Return: 0 or -errno (the operation was not started).
 * Since LIBVSSCTL_1.3.
 */
int vss_backup_prepare_for_backup(struct vss_backup *backup,
				  struct vss_async **async);

/**
 * vss_backup_gather_writer_status() - GatherWriterStatus
 * @backup: object
 * @async: receives the async handle
 *
 * Reads the status of every writer of the session from the kernel, also
 * of writers since gone.  Once it completed, GetWriterStatusCount and
 * GetWriterStatusEx read that copy (until FreeWriterStatus or the next
 * GatherWriterStatus).
 *
 * Return: 0 or -errno (the operation was not started).
 * Since LIBVSSCTL_1.3.
 */
int vss_backup_gather_writer_status(struct vss_backup *backup,
				    struct vss_async **async);

/**
 * vss_backup_get_writer_status_count() - GetWriterStatusCount
 * @backup: object
 * @count: receives the number of writer statuses gathered
 *
 * Return: 0; -EINVAL with VSS_E_INVALIDARG (NULL @count) or
 * VSS_E_BAD_STATE (GatherWriterStatus has not completed, or
 * FreeWriterStatus was called).  Since LIBVSSCTL_1.3.
 */
int vss_backup_get_writer_status_count(struct vss_backup *backup,
				       unsigned int *count);

/**
 * vss_backup_get_writer_status_ex() - GetWriterStatusEx
 * @backup: object
 * @index: 0 .. GetWriterStatusCount-1
 * @instance_id: receives the writer's instance id (required)
 * @class_id: receives its class id (required)
 * @name: receives a malloc'ed copy of its name, freed with free()
 *	(required)
 * @state: receives its enum vss_writer_state (required)
 * @hr_writer: receives its failure, 0 for none (required)
 * @hr_application: if not NULL, receives the application's code
 * @message: if not NULL, receives a malloc'ed copy of the failure's
 *	message ("" if none), freed with free()
 *
 * The contract of IVssBackupComponentsEx3::GetWriterStatusEx: success only
 * means the status was returned; check @hr_writer.  Nothing is written on
 * failure.
 *
 * Return: 0 (S_OK); -EINVAL with VSS_E_INVALIDARG (E_INVALIDARG) when
 * @backup or a required out parameter is NULL; -EINVAL with
 * VSS_E_BAD_STATE before GatherWriterStatus has completed, after
 * FreeWriterStatus, during a restore or out of sequence; -ENOENT with
 * VSS_E_OBJECT_NOT_FOUND for @index out of range; -ENOMEM with
 * VSS_E_OUTOFMEMORY (E_OUTOFMEMORY).  Since LIBVSSCTL_1.3.
 */
int vss_backup_get_writer_status_ex(struct vss_backup *backup,
				    unsigned int index, vss_id_t *instance_id,
				    vss_id_t *class_id, char **name,
				    uint32_t *state, uint32_t *hr_writer,
				    uint32_t *hr_application, char **message);

/**
 * vss_backup_get_writer_statuses() - every gathered status at once
 * @backup: object
 * @writers: receives a malloc'ed copy (NULL when empty), freed with free()
 * @nr: receives its length
 *
 * The same data as GetWriterStatusEx for every index (what vssctl prints
 * after DoSnapshotSet).
 *
 * Return: 0; -EINVAL (VSS_E_INVALIDARG, VSS_E_BAD_STATE as
 * GetWriterStatusCount); -ENOMEM.  Since LIBVSSCTL_1.3.
 */
int vss_backup_get_writer_statuses(struct vss_backup *backup,
				   struct vss_writer_status **writers,
				   size_t *nr);

/**
 * vss_backup_free_writer_status() - FreeWriterStatus
 * @backup: object
 *
 * Drops the gathered statuses; GetWriterStatusEx is VSS_E_BAD_STATE until
 * the next GatherWriterStatus.
 *
 * Return: 0.  Since LIBVSSCTL_1.3.
 */
int vss_backup_free_writer_status(struct vss_backup *backup);

/* ---- restore: recovery sets and LUN resync (IVssBackupComponentsEx3) ---- */

/*
 * Restore follows VSS: vss_backup_new_restore() (InitializeForRestore) ->
 * vss_backup_add_snapshot_to_recovery_set() x N -> vss_backup_recover_set()
 * -> wait on the async handle.  A snapshot whose destination is its own LUN
 * (destination NULL) is reverted online: when vss_backup_recover_set()
 * returns, the LUN device reads as the snapshot, and only the chunks changed
 * since the snapshot are copied back in the background.  Another
 * destination is a block device that is copied in full.  The resyncs run in
 * the kernel and outlive the process; the vss_resync_*() calls find them
 * again by destination.  The snapshot is never altered: it can be reverted
 * to again.
 *
 * Since: LIBVSSCTL_1.4 (everything in this section).
 */

/* RecoverSet flags (VSS values; also in <linux/vss.h>) */
#ifndef VSS_RECOVERY_REVERT_IDENTITY_ALL
#define VSS_RECOVERY_REVERT_IDENTITY_ALL	0x100
#endif
#ifndef VSS_RECOVERY_NO_VOLUME_CHECK
#define VSS_RECOVERY_NO_VOLUME_CHECK		0x200
#endif

/**
 * vss_backup_new_restore() - create a restore object (InitializeForRestore)
 * @ctx: context (a reference is taken)
 * @backup: receives the object
 *
 * Like vss_backup_new(), a session bound to the object's socket; the
 * object serves one restore: the snapshot-set calls on it fail with
 * VSS_E_BAD_STATE, as do the recovery-set calls on a backup object.
 *
 * Return: 0 or -errno.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_backup_new_restore(struct vss_ctx *ctx, struct vss_backup **backup);

/**
 * vss_backup_add_snapshot_to_recovery_set() - AddSnapshotToRecoverySet
 * @backup: a restore object
 * @snapshot_id: the snapshot to restore from
 * @flags: reserved, must be 0
 * @destination: NULL (or "") for the snapshot's own LUN, reverted online;
 *	else a LUN name, "/dev/vss-NAME", or the path of a block device that
 *	receives a full copy
 *
 * The kernel validates the member at once (and again at RecoverSet):
 *
 * Return: 0; -EINVAL with E_INVALIDARG (NULL @snapshot_id, @flags not 0);
 * -EINVAL (VSS_E_BAD_STATE) on a backup object, after RecoverSet, or
 * beyond VSS_SET_MAX_LUNS members; -ENOENT (VSS_E_OBJECT_NOT_FOUND) for an
 * unknown snapshot or an invalid one; -EAGAIN (VSS_E_SNAPSHOT_NOT_IN_SET)
 * while the snapshot's set is still being taken; -EBUSY
 * (VSS_E_RESYNC_IN_PROGRESS) when the LUN or destination is in a running
 * resync; -EEXIST (VSS_E_OBJECT_ALREADY_EXISTS) when the destination is
 * already in this recovery set; -EBUSY (VSS_E_VOLUME_IN_USE) when the
 * destination device is open; -EINVAL or -ENOSPC
 * (VSS_E_VOLUME_NOT_SUPPORTED) when the destination is not a block device
 * or smaller than the snapshot's LUN; -EXDEV (VSS_E_UNSELECTED_VOLUME)
 * when the destination lies under a protected LUN (its backing or store
 * device); another -errno.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_backup_add_snapshot_to_recovery_set(struct vss_backup *backup,
					    const vss_id_t *snapshot_id,
					    uint32_t flags,
					    const char *destination);

/**
 * vss_backup_set_recovery_speed() - rate limits for the next RecoverSet
 * @backup: a restore object
 * @speed_min: guaranteed copy rate in bytes/s even under foreground I/O
 *	(md's sync_speed_min); 0: the module default
 * @speed_max: rate ceiling in bytes/s (md's sync_speed_max); 0: the module
 *	default
 *
 * Return: 0, or -EINVAL (E_INVALIDARG) when @speed_max < @speed_min.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_backup_set_recovery_speed(struct vss_backup *backup,
				  uint64_t speed_min, uint64_t speed_max);

/**
 * vss_backup_recover_set() - RecoverSet, asynchronously
 * @backup: a restore object with at least one member
 * @flags: 0, VSS_RECOVERY_REVERT_IDENTITY_ALL, VSS_RECOVERY_NO_VOLUME_CHECK
 * @async: receives the handle: vss_async_wait() waits until every resync
 *	of the set ended, vss_async_cancel() cancels them, and
 *	vss_async_query_status() gives VSS_S_ASYNC_PENDING, _FINISHED,
 *	_CANCELLED or the first failure; vss_async_get_progress() the bytes
 *
 * Every resync of the set starts, or none does.  When the call returns,
 * each LUN reverted onto itself already reads as its snapshot.  Freeing
 * @async or @backup does not stop the resyncs (vss_resync_cancel() does).
 * The partition-table identity (GPT disk and partition GUIDs, MBR disk
 * signature) of a destination other than the snapshot's LUN is kept
 * unless VSS_RECOVERY_REVERT_IDENTITY_ALL is given: the library rewrites it
 * once that copy has finished, before the handle reports it finished.
 *
 * Return: 0; -EINVAL with E_INVALIDARG for unknown @flags bits or a NULL
 * @async; -EINVAL (VSS_E_BAD_STATE) with an empty recovery set, on a
 * backup object or when called twice; the errors of
 * vss_backup_add_snapshot_to_recovery_set() found again now;
 * -EOPNOTSUPP (VSS_E_CANNOT_REVERT_DISKID) when a destination's identity
 * cannot be kept (a partition table the library cannot rewrite); -EIO
 * (VSS_E_PROVIDER_VETO) when the engine could not start a resync; -errno.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_backup_recover_set(struct vss_backup *backup, uint32_t flags,
			   struct vss_async **async);

/**
 * vss_async_get_progress() - bytes done and to do of an asynchronous operation
 * @async: handle of vss_backup_recover_set()
 * @done_bytes: if not NULL, bytes copied so far (summed over the set)
 * @total_bytes: if not NULL, bytes to copy (summed over the set)
 *
 * Return: 0, or -EINVAL for a handle without progress (DoSnapshotSet).
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_async_get_progress(struct vss_async *async, uint64_t *done_bytes,
			   uint64_t *total_bytes);

/**
 * struct vss_resync_info - one resync
 * @lun: the LUN the snapshot belongs to
 * @destination: the destination's disk name ("vss-NAME" for a LUN reverted
 *	onto itself, else e.g. "sdb"); use it with vss_resync_wait() etc.
 * @snapshot_id: the snapshot being copied
 * @state: enum vss_resync_state (VSS_RESYNC_STATE_RUNNING, _DONE,
 *	_FAILED, _CANCELLED)
 * @done_bytes: bytes copied (or made unnecessary by writes, discards)
 * @total_bytes: bytes to copy
 * @rate: copy rate over the last second, bytes/s
 * @speed_min: guaranteed rate, bytes/s
 * @speed_max: ceiling, bytes/s (0: unlimited)
 * @error: state failed: the -errno that stopped it; else 0
 * @started_ns: start time, ns since the epoch (UTC)
 * @has_session_id: @session_id is set
 * @session_id: the session that started it, while that session lives
 * @has_times: @activate_us and @elapsed_us are set (a revert resumed from
 *	the store has neither); since LIBVSSCTL_1.7
 * @activate_us: the kernel's time from RecoverSet reaching it until the
 *	destination read as the snapshot, microseconds; since LIBVSSCTL_1.7
 * @elapsed_us: the kernel's time from RecoverSet until the resync ended,
 *	or until now while it runs, microseconds; since LIBVSSCTL_1.7
 *
 * The last three fields were added in LIBVSSCTL_1.7.  The functions that
 * fill the struct (vss_resync_get(), vss_resync_list(), vss_resync_wait(),
 * vss_event_resync()) have a LIBVSSCTL_1.7 version; programs built against
 * an older header keep calling their LIBVSSCTL_1.4 versions, which fill
 * only the fields that header had.
 */
struct vss_resync_info {
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
	bool has_times;
	uint64_t activate_us;
	uint64_t elapsed_us;
};

/**
 * vss_resync_state_name() - name of a resync state
 * @state: enum vss_resync_state
 *
 * Return: "running", "done", "failed", "cancelled" or "unknown".
 * Since: LIBVSSCTL_1.4.
 */
const char *vss_resync_state_name(uint32_t state);

/**
 * vss_resync_list() - every resync (running ones and the last of each
 *	destination)
 * @ctx: context
 * @resyncs: receives a malloc'ed array (NULL when empty), freed with free()
 * @nr: receives its length
 *
 * Return: 0 or -errno.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_resync_list(struct vss_ctx *ctx, struct vss_resync_info **resyncs,
		    size_t *nr);

/**
 * vss_resync_get() - the resync of one destination
 * @ctx: context
 * @destination: as given to AddSnapshotToRecoverySet, or as reported
 *	(disk name, "/dev/NAME", LUN name)
 * @info: receives it
 *
 * Return: 0, -ENOENT (VSS_E_OBJECT_NOT_FOUND) or another -errno.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_resync_get(struct vss_ctx *ctx, const char *destination,
		   struct vss_resync_info *info);

/**
 * vss_resync_wait() - wait for the resync of a destination to end
 * @ctx: context
 * @destination: as for vss_resync_get()
 * @timeout_ms: -1 waits for ever, 0 polls
 * @info: if not NULL, receives its last state
 *
 * Return: 0 when it is done; -ECANCELED when cancelled; -EIO (or the
 * errno it failed with) when failed; -ETIMEDOUT (VSS_S_ASYNC_PENDING)
 * while still running; -ENOENT; another -errno.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_resync_wait(struct vss_ctx *ctx, const char *destination,
		    int timeout_ms, struct vss_resync_info *info);

/**
 * vss_resync_cancel() - stop a running resync
 * @ctx: context
 * @destination: as for vss_resync_get()
 *
 * A LUN being reverted stays consistent: it keeps reading as the snapshot
 * plus the writes made since; chunks not yet copied are copied when
 * written.  Another destination holds a partial copy.
 *
 * Return: 0; -EALREADY when it had already ended; -ENOENT; -errno.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_resync_cancel(struct vss_ctx *ctx, const char *destination);

/**
 * vss_resync_set_speed() - change the rate limits of a running resync
 * @ctx: context
 * @destination: as for vss_resync_get()
 * @speed_min: bytes/s, 0: the module default
 * @speed_max: bytes/s, 0: the module default
 *
 * Return: 0, -ENOENT, -EINVAL (@speed_max below @speed_min) or -errno.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_resync_set_speed(struct vss_ctx *ctx, const char *destination,
			 uint64_t speed_min, uint64_t speed_max);

/**
 * vss_event_resync() - the details of a resync event
 * @event: an event of type VSS_CMD_RESYNC_STARTED_NTF, _PROGRESS_NTF,
 *	_DONE_NTF, _FAILED_NTF or _CANCELLED_NTF, during the vss_event_fn
 *	call that received it (progress events come at most once a second
 *	per resync)
 * @out: filled in
 *
 * Return: 0, or -EINVAL if @event is not a resync event being dispatched.
 *
 * Since: LIBVSSCTL_1.4.
 */
int vss_event_resync(const struct vss_event *event,
		     struct vss_resync_info *out);

#ifdef __cplusplus
}
#endif

#endif /* LIBVSSCTL_VSSCTL_H */
