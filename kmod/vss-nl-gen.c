// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vss.yaml */
/* by tools/ynl-regen with the kernel's ynl-gen-c.py */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "vss-nl-gen.h"

/* Integer value ranges */
static struct netlink_range_validation vss_a_lun_chunk_size_range = {
	.min	= VSS_CHUNK_SIZE_MIN,
	.max	= VSS_CHUNK_SIZE_MAX,
};

static struct netlink_range_validation vss_a_snapshot_offset_range = {
	.min	= 0ULL,
	.max	= 9223372036854775807ULL,
};

static struct netlink_range_validation vss_a_writer_event_timeout_ms_range = {
	.min	= VSS_WRITER_TIMEOUT_MIN_MS,
	.max	= VSS_WRITER_TIMEOUT_MAX_MS,
};

static struct netlink_range_validation vss_a_writer_freeze_timeout_ms_range = {
	.min	= VSS_WRITER_TIMEOUT_MIN_MS,
	.max	= VSS_WRITER_TIMEOUT_MAX_MS,
};

const struct nla_policy vss_resync_member_nl_policy[VSS_A_RESYNC_MEMBER_LUN + 1] = {
	[VSS_A_RESYNC_MEMBER_SNAPSHOT_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_RESYNC_MEMBER_DESTINATION] = { .type = NLA_NUL_STRING, .len = VSS_PATH_MAX, },
	[VSS_A_RESYNC_MEMBER_LUN] = { .type = NLA_NUL_STRING, .len = VSS_LUN_NAME_MAX, },
};

/* VSS_CMD_LUN_ADD */
const struct nla_policy vss_lun_add_nl_policy[VSS_A_LUN_MAX + 1] = {
	[VSS_A_LUN_NAME] = { .type = NLA_NUL_STRING, .len = VSS_LUN_NAME_MAX, },
	[VSS_A_LUN_BACKING] = { .type = NLA_NUL_STRING, .len = VSS_PATH_MAX, },
	[VSS_A_LUN_STORE] = { .type = NLA_NUL_STRING, .len = VSS_PATH_MAX, },
	[VSS_A_LUN_CHUNK_SIZE] = NLA_POLICY_FULL_RANGE(NLA_U32, &vss_a_lun_chunk_size_range),
	[VSS_A_LUN_FORMAT] = { .type = NLA_FLAG, },
};

/* VSS_CMD_LUN_DEL */
const struct nla_policy vss_lun_del_nl_policy[VSS_A_LUN_MAX + 1] = {
	[VSS_A_LUN_NAME] = { .type = NLA_NUL_STRING, .len = VSS_LUN_NAME_MAX, },
};

/* VSS_CMD_LUN_GET */
const struct nla_policy vss_lun_get_nl_policy[VSS_A_LUN_MAX + 1] = {
	[VSS_A_LUN_NAME] = { .type = NLA_NUL_STRING, .len = VSS_LUN_NAME_MAX, },
};

/* VSS_CMD_SESSION_NEW */
const struct nla_policy vss_session_new_nl_policy[VSS_A_SESSION_MAX + 1] = {
};

/* VSS_CMD_SESSION_GET */
const struct nla_policy vss_session_get_nl_policy[VSS_A_SESSION_MAX + 1] = {
	[VSS_A_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_SESSION_ABORT */
const struct nla_policy vss_session_abort_nl_policy[VSS_A_SESSION_MAX + 1] = {
	[VSS_A_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_SET_START */
const struct nla_policy vss_set_start_nl_policy[VSS_A_SET_MAX + 1] = {
	[VSS_A_SET_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_SET_ADD */
const struct nla_policy vss_set_add_nl_policy[VSS_A_SET_MAX + 1] = {
	[VSS_A_SET_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SET_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SET_LUN] = { .type = NLA_NUL_STRING, .len = VSS_LUN_NAME_MAX, },
};

/* VSS_CMD_SET_DO */
const struct nla_policy vss_set_do_nl_policy[VSS_A_SET_MAX + 1] = {
	[VSS_A_SET_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SET_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SET_NO_WRITERS] = { .type = NLA_FLAG, },
};

/* VSS_CMD_SET_DEL */
const struct nla_policy vss_set_del_nl_policy[VSS_A_SET_MAX + 1] = {
	[VSS_A_SET_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_SNAPSHOT_GET */
const struct nla_policy vss_snapshot_get_nl_policy[VSS_A_SNAPSHOT_MAX + 1] = {
	[VSS_A_SNAPSHOT_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SNAPSHOT_SET_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SNAPSHOT_LUN] = { .type = NLA_NUL_STRING, .len = VSS_LUN_NAME_MAX, },
};

/* VSS_CMD_SNAPSHOT_DEL */
const struct nla_policy vss_snapshot_del_nl_policy[VSS_A_SNAPSHOT_MAX + 1] = {
	[VSS_A_SNAPSHOT_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_SNAPSHOT_CHANGES */
const struct nla_policy vss_snapshot_changes_nl_policy[VSS_A_SNAPSHOT_MAX + 1] = {
	[VSS_A_SNAPSHOT_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SNAPSHOT_OFFSET] = NLA_POLICY_FULL_RANGE(NLA_U64, &vss_a_snapshot_offset_range),
};

/* VSS_CMD_SET_BREAK */
const struct nla_policy vss_set_break_nl_policy[VSS_A_SET_MAX + 1] = {
	[VSS_A_SET_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_WRITER_REGISTER */
const struct nla_policy vss_writer_register_nl_policy[VSS_A_WRITER_MAX + 1] = {
	[VSS_A_WRITER_NAME] = { .type = NLA_NUL_STRING, .len = VSS_WRITER_NAME_MAX, },
	[VSS_A_WRITER_CLASS_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_WRITER_LUN] = { .type = NLA_STRING, .len = VSS_LUN_NAME_MAX, },
	[VSS_A_WRITER_EVENT_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vss_a_writer_event_timeout_ms_range),
	[VSS_A_WRITER_FREEZE_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vss_a_writer_freeze_timeout_ms_range),
};

/* VSS_CMD_WRITER_UNREGISTER */
const struct nla_policy vss_writer_unregister_nl_policy[VSS_A_WRITER_MAX + 1] = {
	[VSS_A_WRITER_INSTANCE_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_WRITER_GET */
const struct nla_policy vss_writer_get_nl_policy[VSS_A_WRITER_MAX + 1] = {
	[VSS_A_WRITER_INSTANCE_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_WRITER_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_WRITER_REPLY */
const struct nla_policy vss_writer_reply_nl_policy[VSS_A_WRITER_MAX + 1] = {
	[VSS_A_WRITER_INSTANCE_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_WRITER_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_WRITER_EVENT] = NLA_POLICY_RANGE(NLA_U32, 1, 11),
	[VSS_A_WRITER_EVENT_SEQ] = { .type = NLA_U32, },
	[VSS_A_WRITER_HR_WRITER] = { .type = NLA_U32, },
	[VSS_A_WRITER_HR_APPLICATION] = { .type = NLA_U32, },
	[VSS_A_WRITER_MESSAGE] = { .type = NLA_NUL_STRING, .len = VSS_WRITER_MESSAGE_MAX, },
	[VSS_A_WRITER_METADATA] = { .type = NLA_BINARY, },
	[VSS_A_WRITER_NON_FATAL] = { .type = NLA_FLAG, },
};

/* VSS_CMD_SESSION_WRITER_FILTER */
const struct nla_policy vss_session_writer_filter_nl_policy[VSS_A_SESSION_MAX + 1] = {
	[VSS_A_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SESSION_WRITER_FILTER] = NLA_POLICY_RANGE(NLA_U32, 1, 3),
	[VSS_A_SESSION_WRITER_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_SESSION_GATHER_METADATA */
const struct nla_policy vss_session_gather_metadata_nl_policy[VSS_A_SESSION_MAX + 1] = {
	[VSS_A_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_SESSION_PREPARE_BACKUP */
const struct nla_policy vss_session_prepare_backup_nl_policy[VSS_A_SESSION_MAX + 1] = {
	[VSS_A_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_SESSION_BACKUP_COMPLETE */
const struct nla_policy vss_session_backup_complete_nl_policy[VSS_A_SESSION_MAX + 1] = {
	[VSS_A_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
};

/* VSS_CMD_RESYNC_START */
const struct nla_policy vss_resync_start_nl_policy[VSS_A_RESYNC_MAX + 1] = {
	[VSS_A_RESYNC_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_RESYNC_FLAGS] = NLA_POLICY_MAX(NLA_U32, 768),
	[VSS_A_RESYNC_CHECK] = { .type = NLA_FLAG, },
	[VSS_A_RESYNC_MEMBER] = NLA_POLICY_NESTED(vss_resync_member_nl_policy),
	[VSS_A_RESYNC_SPEED_MIN] = { .type = NLA_U64, },
	[VSS_A_RESYNC_SPEED_MAX] = { .type = NLA_U64, },
};

/* VSS_CMD_RESYNC_GET */
const struct nla_policy vss_resync_get_nl_policy[VSS_A_RESYNC_MAX + 1] = {
	[VSS_A_RESYNC_DESTINATION] = { .type = NLA_NUL_STRING, .len = VSS_PATH_MAX, },
};

/* VSS_CMD_RESYNC_CANCEL */
const struct nla_policy vss_resync_cancel_nl_policy[VSS_A_RESYNC_MAX + 1] = {
	[VSS_A_RESYNC_DESTINATION] = { .type = NLA_NUL_STRING, .len = VSS_PATH_MAX, },
};

/* VSS_CMD_RESYNC_SET */
const struct nla_policy vss_resync_set_nl_policy[VSS_A_RESYNC_MAX + 1] = {
	[VSS_A_RESYNC_DESTINATION] = { .type = NLA_NUL_STRING, .len = VSS_PATH_MAX, },
	[VSS_A_RESYNC_SPEED_MIN] = { .type = NLA_U64, },
	[VSS_A_RESYNC_SPEED_MAX] = { .type = NLA_U64, },
};

/* VSS_CMD_SESSION_SET_CONTEXT */
const struct nla_policy vss_session_set_context_nl_policy[VSS_A_SESSION_MAX + 1] = {
	[VSS_A_SESSION_ID] = NLA_POLICY_EXACT_LEN(VSS_ID_LEN),
	[VSS_A_SESSION_CONTEXT] = { .type = NLA_U32, },
};

/* Ops table for vss */
const struct genl_ops vss_nl_ops[27] = {
	{
		.cmd		= VSS_CMD_LUN_ADD,
		.doit		= vss_nl_lun_add_doit,
		.policy		= vss_lun_add_nl_policy,
		.maxattr	= VSS_A_LUN_MAX,
	},
	{
		.cmd		= VSS_CMD_LUN_DEL,
		.doit		= vss_nl_lun_del_doit,
		.policy		= vss_lun_del_nl_policy,
		.maxattr	= VSS_A_LUN_MAX,
	},
	{
		.cmd		= VSS_CMD_LUN_GET,
		.doit		= vss_nl_lun_get_doit,
		.start		= vss_nl_dump_start,
		.dumpit		= vss_nl_lun_get_dumpit,
		.policy		= vss_lun_get_nl_policy,
		.maxattr	= VSS_A_LUN_MAX,
	},
	{
		.cmd		= VSS_CMD_SESSION_NEW,
		.doit		= vss_nl_session_new_doit,
		.policy		= vss_session_new_nl_policy,
		.maxattr	= VSS_A_SESSION_MAX,
	},
	{
		.cmd		= VSS_CMD_SESSION_GET,
		.doit		= vss_nl_session_get_doit,
		.start		= vss_nl_dump_start,
		.dumpit		= vss_nl_session_get_dumpit,
		.policy		= vss_session_get_nl_policy,
		.maxattr	= VSS_A_SESSION_MAX,
	},
	{
		.cmd		= VSS_CMD_SESSION_ABORT,
		.doit		= vss_nl_session_abort_doit,
		.policy		= vss_session_abort_nl_policy,
		.maxattr	= VSS_A_SESSION_MAX,
	},
	{
		.cmd		= VSS_CMD_SET_START,
		.doit		= vss_nl_set_start_doit,
		.policy		= vss_set_start_nl_policy,
		.maxattr	= VSS_A_SET_MAX,
	},
	{
		.cmd		= VSS_CMD_SET_ADD,
		.doit		= vss_nl_set_add_doit,
		.policy		= vss_set_add_nl_policy,
		.maxattr	= VSS_A_SET_MAX,
	},
	{
		.cmd		= VSS_CMD_SET_DO,
		.doit		= vss_nl_set_do_doit,
		.policy		= vss_set_do_nl_policy,
		.maxattr	= VSS_A_SET_MAX,
	},
	{
		.cmd		= VSS_CMD_SET_DEL,
		.doit		= vss_nl_set_del_doit,
		.policy		= vss_set_del_nl_policy,
		.maxattr	= VSS_A_SET_MAX,
	},
	{
		.cmd		= VSS_CMD_SNAPSHOT_GET,
		.doit		= vss_nl_snapshot_get_doit,
		.start		= vss_nl_snapshot_get_start,
		.dumpit		= vss_nl_snapshot_get_dumpit,
		.policy		= vss_snapshot_get_nl_policy,
		.maxattr	= VSS_A_SNAPSHOT_MAX,
	},
	{
		.cmd		= VSS_CMD_SNAPSHOT_DEL,
		.doit		= vss_nl_snapshot_del_doit,
		.policy		= vss_snapshot_del_nl_policy,
		.maxattr	= VSS_A_SNAPSHOT_MAX,
	},
	{
		.cmd		= VSS_CMD_SNAPSHOT_CHANGES,
		.start		= vss_nl_snapshot_changes_start,
		.dumpit		= vss_nl_snapshot_changes_dumpit,
		.done		= vss_nl_snapshot_changes_done,
		.policy		= vss_snapshot_changes_nl_policy,
		.maxattr	= VSS_A_SNAPSHOT_MAX,
	},
	{
		.cmd		= VSS_CMD_SET_BREAK,
		.doit		= vss_nl_set_break_doit,
		.policy		= vss_set_break_nl_policy,
		.maxattr	= VSS_A_SET_MAX,
	},
	{
		.cmd		= VSS_CMD_WRITER_REGISTER,
		.doit		= vss_nl_writer_register_doit,
		.policy		= vss_writer_register_nl_policy,
		.maxattr	= VSS_A_WRITER_MAX,
	},
	{
		.cmd		= VSS_CMD_WRITER_UNREGISTER,
		.doit		= vss_nl_writer_unregister_doit,
		.policy		= vss_writer_unregister_nl_policy,
		.maxattr	= VSS_A_WRITER_MAX,
	},
	{
		.cmd		= VSS_CMD_WRITER_GET,
		.doit		= vss_nl_writer_get_doit,
		.start		= vss_nl_dump_start,
		.dumpit		= vss_nl_writer_get_dumpit,
		.policy		= vss_writer_get_nl_policy,
		.maxattr	= VSS_A_WRITER_MAX,
	},
	{
		.cmd		= VSS_CMD_WRITER_REPLY,
		.doit		= vss_nl_writer_reply_doit,
		.policy		= vss_writer_reply_nl_policy,
		.maxattr	= VSS_A_WRITER_MAX,
	},
	{
		.cmd		= VSS_CMD_SESSION_WRITER_FILTER,
		.doit		= vss_nl_session_writer_filter_doit,
		.policy		= vss_session_writer_filter_nl_policy,
		.maxattr	= VSS_A_SESSION_MAX,
	},
	{
		.cmd		= VSS_CMD_SESSION_GATHER_METADATA,
		.doit		= vss_nl_session_gather_metadata_doit,
		.policy		= vss_session_gather_metadata_nl_policy,
		.maxattr	= VSS_A_SESSION_MAX,
	},
	{
		.cmd		= VSS_CMD_SESSION_PREPARE_BACKUP,
		.doit		= vss_nl_session_prepare_backup_doit,
		.policy		= vss_session_prepare_backup_nl_policy,
		.maxattr	= VSS_A_SESSION_MAX,
	},
	{
		.cmd		= VSS_CMD_SESSION_BACKUP_COMPLETE,
		.doit		= vss_nl_session_backup_complete_doit,
		.policy		= vss_session_backup_complete_nl_policy,
		.maxattr	= VSS_A_SESSION_MAX,
	},
	{
		.cmd		= VSS_CMD_RESYNC_START,
		.doit		= vss_nl_resync_start_doit,
		.policy		= vss_resync_start_nl_policy,
		.maxattr	= VSS_A_RESYNC_MAX,
	},
	{
		.cmd		= VSS_CMD_RESYNC_GET,
		.doit		= vss_nl_resync_get_doit,
		.start		= vss_nl_dump_start,
		.dumpit		= vss_nl_resync_get_dumpit,
		.policy		= vss_resync_get_nl_policy,
		.maxattr	= VSS_A_RESYNC_MAX,
	},
	{
		.cmd		= VSS_CMD_RESYNC_CANCEL,
		.doit		= vss_nl_resync_cancel_doit,
		.policy		= vss_resync_cancel_nl_policy,
		.maxattr	= VSS_A_RESYNC_MAX,
	},
	{
		.cmd		= VSS_CMD_RESYNC_SET,
		.doit		= vss_nl_resync_set_doit,
		.policy		= vss_resync_set_nl_policy,
		.maxattr	= VSS_A_RESYNC_MAX,
	},
	{
		.cmd		= VSS_CMD_SESSION_SET_CONTEXT,
		.doit		= vss_nl_session_set_context_doit,
		.policy		= vss_session_set_context_nl_policy,
		.maxattr	= VSS_A_SESSION_MAX,
	},
};
