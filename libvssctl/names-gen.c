// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vss.yaml */
/* by tools/ynl-regen with the kernel's ynl-gen-c.py */

#include "internal.h"

static const char *const attrs_lun[] = {
	[VSS_A_LUN_PAD] = "pad",
	[VSS_A_LUN_NAME] = "name",
	[VSS_A_LUN_BACKING] = "backing",
	[VSS_A_LUN_STORE] = "store",
	[VSS_A_LUN_CHUNK_SIZE] = "chunk-size",
	[VSS_A_LUN_FORMAT] = "format",
	[VSS_A_LUN_DEVICE] = "device",
	[VSS_A_LUN_DEV_MAJOR] = "dev-major",
	[VSS_A_LUN_DEV_MINOR] = "dev-minor",
	[VSS_A_LUN_SIZE] = "size",
	[VSS_A_LUN_STORE_SIZE] = "store-size",
	[VSS_A_LUN_STORE_USED] = "store-used",
	[VSS_A_LUN_SNAPSHOT_COUNT] = "snapshot-count",
	[VSS_A_LUN_BUSY] = "busy",
	[VSS_A_LUN_SESSION_ID] = "session-id",
};

static const char *const attrs_session[] = {
	[VSS_A_SESSION_ID] = "id",
	[VSS_A_SESSION_STATE] = "state",
	[VSS_A_SESSION_PORTID] = "portid",
	[VSS_A_SESSION_SET_ID] = "set-id",
	[VSS_A_SESSION_SET_STATE] = "set-state",
	[VSS_A_SESSION_LUN_COUNT] = "lun-count",
	[VSS_A_SESSION_WRITER_FILTER] = "writer-filter",
	[VSS_A_SESSION_WRITER_ID] = "writer-id",
	[VSS_A_SESSION_CONTEXT] = "context",
};

static const char *const attrs_set[] = {
	[VSS_A_SET_PAD] = "pad",
	[VSS_A_SET_SESSION_ID] = "session-id",
	[VSS_A_SET_ID] = "id",
	[VSS_A_SET_LUN] = "lun",
	[VSS_A_SET_SNAPSHOT_ID] = "snapshot-id",
	[VSS_A_SET_STATE] = "state",
	[VSS_A_SET_HOLD_US] = "hold-us",
	[VSS_A_SET_MEMBER] = "member",
	[VSS_A_SET_SNAPSHOT_COUNT] = "snapshot-count",
	[VSS_A_SET_NO_WRITERS] = "no-writers",
	[VSS_A_SET_ERROR] = "error",
	[VSS_A_SET_HRESULT] = "hresult",
	[VSS_A_SET_MESSAGE] = "message",
};

static const char *const attrs_snapshot[] = {
	[VSS_A_SNAPSHOT_PAD] = "pad",
	[VSS_A_SNAPSHOT_ID] = "id",
	[VSS_A_SNAPSHOT_SET_ID] = "set-id",
	[VSS_A_SNAPSHOT_LUN] = "lun",
	[VSS_A_SNAPSHOT_DEVICE] = "device",
	[VSS_A_SNAPSHOT_DEV_MAJOR] = "dev-major",
	[VSS_A_SNAPSHOT_DEV_MINOR] = "dev-minor",
	[VSS_A_SNAPSHOT_SEQ] = "seq",
	[VSS_A_SNAPSHOT_CREATED] = "created",
	[VSS_A_SNAPSHOT_STATE] = "state",
	[VSS_A_SNAPSHOT_COW_BYTES] = "cow-bytes",
	[VSS_A_SNAPSHOT_SESSION_ID] = "session-id",
	[VSS_A_SNAPSHOT_CHUNK_SIZE] = "chunk-size",
	[VSS_A_SNAPSHOT_OFFSET] = "offset",
	[VSS_A_SNAPSHOT_EXTENT] = "extent",
};

static const char *const attrs_writer[] = {
	[VSS_A_WRITER_PAD] = "pad",
	[VSS_A_WRITER_NAME] = "name",
	[VSS_A_WRITER_CLASS_ID] = "class-id",
	[VSS_A_WRITER_INSTANCE_ID] = "instance-id",
	[VSS_A_WRITER_LUN] = "lun",
	[VSS_A_WRITER_EVENT_TIMEOUT_MS] = "event-timeout-ms",
	[VSS_A_WRITER_FREEZE_TIMEOUT_MS] = "freeze-timeout-ms",
	[VSS_A_WRITER_PORTID] = "portid",
	[VSS_A_WRITER_SESSION_ID] = "session-id",
	[VSS_A_WRITER_SET_ID] = "set-id",
	[VSS_A_WRITER_EVENT] = "event",
	[VSS_A_WRITER_EVENT_SEQ] = "event-seq",
	[VSS_A_WRITER_STATE] = "state",
	[VSS_A_WRITER_HR_WRITER] = "hr-writer",
	[VSS_A_WRITER_HR_APPLICATION] = "hr-application",
	[VSS_A_WRITER_MESSAGE] = "message",
	[VSS_A_WRITER_METADATA] = "metadata",
	[VSS_A_WRITER_NON_FATAL] = "non-fatal",
	[VSS_A_WRITER_TIMEOUT_MS] = "timeout-ms",
	[VSS_A_WRITER_REGISTERED] = "registered",
	[VSS_A_WRITER_RESTORE_STATE] = "restore-state",
	[VSS_A_WRITER_RESTORE_ERROR] = "restore-error",
};

static const char *const attrs_resync[] = {
	[VSS_A_RESYNC_PAD] = "pad",
	[VSS_A_RESYNC_SESSION_ID] = "session-id",
	[VSS_A_RESYNC_FLAGS] = "flags",
	[VSS_A_RESYNC_CHECK] = "check",
	[VSS_A_RESYNC_MEMBER] = "member",
	[VSS_A_RESYNC_LUN] = "lun",
	[VSS_A_RESYNC_SNAPSHOT_ID] = "snapshot-id",
	[VSS_A_RESYNC_DESTINATION] = "destination",
	[VSS_A_RESYNC_STATE] = "state",
	[VSS_A_RESYNC_DONE_BYTES] = "done-bytes",
	[VSS_A_RESYNC_TOTAL_BYTES] = "total-bytes",
	[VSS_A_RESYNC_RATE] = "rate",
	[VSS_A_RESYNC_SPEED_MIN] = "speed-min",
	[VSS_A_RESYNC_SPEED_MAX] = "speed-max",
	[VSS_A_RESYNC_ERROR] = "error",
	[VSS_A_RESYNC_STARTED] = "started",
	[VSS_A_RESYNC_ACTIVATE_US] = "activate-us",
	[VSS_A_RESYNC_ELAPSED_US] = "elapsed-us",
};

/**
 * vss__attr_name() - name of an attribute of a request, as in the spec
 * @cmd: VSS_CMD_*
 * @type: attribute type
 *
 * Return: the name, or "unknown".
 */
const char *vss__attr_name(uint8_t cmd, uint32_t type)
{
	const char *const *names;
	size_t n;

	switch (cmd) {
	case VSS_CMD_LUN_ADD:
	case VSS_CMD_LUN_DEL:
	case VSS_CMD_LUN_GET:
		names = attrs_lun;
		n = sizeof(attrs_lun) / sizeof(attrs_lun[0]);
		break;
	case VSS_CMD_SESSION_NEW:
	case VSS_CMD_SESSION_GET:
	case VSS_CMD_SESSION_ABORT:
	case VSS_CMD_SESSION_WRITER_FILTER:
	case VSS_CMD_SESSION_GATHER_METADATA:
	case VSS_CMD_SESSION_PREPARE_BACKUP:
	case VSS_CMD_SESSION_BACKUP_COMPLETE:
	case VSS_CMD_SESSION_SET_CONTEXT:
		names = attrs_session;
		n = sizeof(attrs_session) / sizeof(attrs_session[0]);
		break;
	case VSS_CMD_SET_START:
	case VSS_CMD_SET_ADD:
	case VSS_CMD_SET_DO:
	case VSS_CMD_SET_DEL:
	case VSS_CMD_SET_BREAK:
		names = attrs_set;
		n = sizeof(attrs_set) / sizeof(attrs_set[0]);
		break;
	case VSS_CMD_SNAPSHOT_GET:
	case VSS_CMD_SNAPSHOT_DEL:
	case VSS_CMD_SNAPSHOT_CHANGES:
		names = attrs_snapshot;
		n = sizeof(attrs_snapshot) / sizeof(attrs_snapshot[0]);
		break;
	case VSS_CMD_WRITER_REGISTER:
	case VSS_CMD_WRITER_UNREGISTER:
	case VSS_CMD_WRITER_GET:
	case VSS_CMD_WRITER_REPLY:
		names = attrs_writer;
		n = sizeof(attrs_writer) / sizeof(attrs_writer[0]);
		break;
	case VSS_CMD_RESYNC_START:
	case VSS_CMD_RESYNC_GET:
	case VSS_CMD_RESYNC_CANCEL:
	case VSS_CMD_RESYNC_SET:
		names = attrs_resync;
		n = sizeof(attrs_resync) / sizeof(attrs_resync[0]);
		break;
	default:
		return "unknown";
	}
	if (type >= n || !names[type])
		return "unknown";
	return names[type];
}
