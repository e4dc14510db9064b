// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - ids and the names of codes, states, events and attributes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

VSS_EXPORT char *vss_id_to_string(const vss_id_t *id, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf;

	if (!id || !buf)
		return NULL;
	for (size_t i = 0; i < sizeof(id->b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[id->b[i] >> 4];
		*p++ = hex[id->b[i] & 0xf];
	}
	*p = '\0';
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

VSS_EXPORT int vss_id_from_string(const char *s, vss_id_t *id)
{
	vss_id_t v;
	size_t n = 0;

	if (!s || !id || strlen(s) != VSS_ID_STRLEN - 1)
		return -EINVAL;
	for (size_t i = 0; i < VSS_ID_STRLEN - 1; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		v.b[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	*id = v;
	return 0;
}

VSS_EXPORT bool vss_id_equal(const vss_id_t *a, const vss_id_t *b)
{
	if (!a || !b)
		return false;
	return !memcmp(a->b, b->b, sizeof(a->b));
}

static const struct {
	uint32_t hr;
	const char *name;
} hresults[] = {
	{ VSS_S_OK, "S_OK" },
	{ VSS_S_ASYNC_PENDING, "VSS_S_ASYNC_PENDING" },
	{ VSS_S_ASYNC_FINISHED, "VSS_S_ASYNC_FINISHED" },
	{ VSS_S_ASYNC_CANCELLED, "VSS_S_ASYNC_CANCELLED" },
	{ VSS_E_INVALIDARG, "E_INVALIDARG" },
	{ VSS_E_OUTOFMEMORY, "E_OUTOFMEMORY" },
	{ VSS_E_BAD_STATE, "VSS_E_BAD_STATE" },
	{ VSS_E_UNEXPECTED, "VSS_E_UNEXPECTED" },
	{ 0x80042306U, "VSS_E_PROVIDER_VETO" },
	{ VSS_E_OBJECT_NOT_FOUND, "VSS_E_OBJECT_NOT_FOUND" },
	{ VSS_E_VOLUME_NOT_SUPPORTED, "VSS_E_VOLUME_NOT_SUPPORTED" },
	{ VSS_E_OBJECT_ALREADY_EXISTS, "VSS_E_OBJECT_ALREADY_EXISTS" },
	{ VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED,
	  "VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED" },
	{ VSS_E_FLUSH_WRITES_TIMEOUT, "VSS_E_FLUSH_WRITES_TIMEOUT" },
	{ VSS_E_HOLD_WRITES_TIMEOUT, "VSS_E_HOLD_WRITES_TIMEOUT" },
	{ VSS_E_SNAPSHOT_SET_IN_PROGRESS, "VSS_E_SNAPSHOT_SET_IN_PROGRESS" },
	{ 0x80042319U, "VSS_E_WRITER_NOT_RESPONDING" },
	{ VSS_E_VOLUME_IN_USE, "VSS_E_VOLUME_IN_USE" },
	{ VSS_E_INSUFFICIENT_STORAGE, "VSS_E_INSUFFICIENT_STORAGE" },
	{ 0x8004232AU, "VSS_E_UNSELECTED_VOLUME" },
	{ 0x8004232BU, "VSS_E_SNAPSHOT_NOT_IN_SET" },
	{ 0x80042336U, "VSS_E_WRITERERROR_PARTIAL_FAILURE" },
	{ 0x800423F0U, "VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT" },
	{ 0x800423F1U, "VSS_E_WRITERERROR_OUTOFRESOURCES" },
	{ 0x800423F2U, "VSS_E_WRITERERROR_TIMEOUT" },
	{ 0x800423F3U, "VSS_E_WRITERERROR_RETRYABLE" },
	{ 0x800423F4U, "VSS_E_WRITERERROR_NONRETRYABLE" },
	{ 0x800423F5U, "VSS_E_WRITERERROR_RECOVERY_FAILED" },
	{ 0x800423FEU, "VSS_E_CANNOT_REVERT_DISKID" },
	{ 0x800423FFU, "VSS_E_RESYNC_IN_PROGRESS" },
	{ 0x80042409U, "VSS_E_WRITER_STATUS_NOT_AVAILABLE" },
};

VSS_EXPORT const char *vss_hresult_name(uint32_t hr)
{
	for (size_t i = 0; i < ARRAY_SIZE(hresults); i++)
		if (hresults[i].hr == hr)
			return hresults[i].name;
	return NULL;
}

VSS_EXPORT const char *vss_snapshot_state_name(uint32_t state)
{
	switch (state) {
	case VSS_SNAPSHOT_STATE_PREPARED:	return "prepared";
	case VSS_SNAPSHOT_STATE_COMMITTED:	return "committed";
	case VSS_SNAPSHOT_STATE_READY:		return "ready";
	case VSS_SNAPSHOT_STATE_INVALID:	return "invalid";
	case VSS_SNAPSHOT_STATE_DELETING:	return "deleting";
	default:				return "unknown";
	}
}

VSS_EXPORT const char *vss_session_state_name(uint32_t state)
{
	switch (state) {
	case VSS_SESSION_STATE_INITIALIZED:	return "initialized";
	case VSS_SESSION_STATE_SET_BUILDING:	return "set-building";
	case VSS_SESSION_STATE_SET_COMMITTING:	return "set-committing";
	case VSS_SESSION_STATE_SNAPSHOTS_DONE:	return "snapshots-done";
	case VSS_SESSION_STATE_ABORTED:		return "aborted";
	case VSS_SESSION_STATE_BACKUP_COMPLETE:	return "backup-complete";
	default:				return "unknown";
	}
}

VSS_EXPORT const char *vss_set_state_name(uint32_t state)
{
	switch (state) {
	case VSS_SET_STATE_PREPARING:		return "preparing";
	case VSS_SET_STATE_PROCESSING_PREPARE:	return "processing-prepare";
	case VSS_SET_STATE_PROCESSING_COMMIT:	return "processing-commit";
	case VSS_SET_STATE_PROCESSING_POSTCOMMIT: return "processing-postcommit";
	case VSS_SET_STATE_CREATED:		return "created";
	case VSS_SET_STATE_ABORTED:		return "aborted";
	default:				return "unknown";
	}
}

VSS_EXPORT const char *vss_event_name(uint32_t type)
{
	switch (type) {
	case VSS_CMD_LUN_ADDED_NTF:		return "lun-added";
	case VSS_CMD_LUN_REMOVED_NTF:		return "lun-removed";
	case VSS_CMD_SNAPSHOT_CREATED_NTF:	return "snapshot-created";
	case VSS_CMD_SNAPSHOT_DELETED_NTF:	return "snapshot-deleted";
	case VSS_CMD_SNAPSHOT_INVALIDATED_NTF:	return "snapshot-invalidated";
	case VSS_CMD_STORE_LOW_NTF:		return "store-low";
	case VSS_CMD_STORE_FULL_NTF:		return "store-full";
	case VSS_CMD_SET_BREAK_NTF:		return "set-break";
	case VSS_CMD_RESYNC_STARTED_NTF:	return "resync-started";
	case VSS_CMD_RESYNC_PROGRESS_NTF:	return "resync-progress";
	case VSS_CMD_RESYNC_DONE_NTF:		return "resync-done";
	case VSS_CMD_RESYNC_FAILED_NTF:		return "resync-failed";
	case VSS_CMD_RESYNC_CANCELLED_NTF:	return "resync-cancelled";
	case VSS_EVENT_OVERRUN:			return "overrun";
	default:				return "unknown";
	}
}

/* vss__attr_name() is generated from the spec: names-gen.c (make regen). */
