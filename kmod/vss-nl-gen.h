/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vss.yaml */
/* by tools/ynl-regen with the kernel's ynl-gen-c.py */

#ifndef _VSS_NL_GEN_H
#define _VSS_NL_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <linux/vss.h>

/* Policies of nested attribute sets used in requests */
extern const struct nla_policy vss_resync_member_nl_policy[VSS_A_RESYNC_MEMBER_LUN + 1];

/* Per-op policies: the union of do and dump request attributes */
extern const struct nla_policy vss_lun_add_nl_policy[VSS_A_LUN_MAX + 1];
extern const struct nla_policy vss_lun_del_nl_policy[VSS_A_LUN_MAX + 1];
extern const struct nla_policy vss_lun_get_nl_policy[VSS_A_LUN_MAX + 1];
extern const struct nla_policy vss_session_new_nl_policy[VSS_A_SESSION_MAX + 1];
extern const struct nla_policy vss_session_get_nl_policy[VSS_A_SESSION_MAX + 1];
extern const struct nla_policy vss_session_abort_nl_policy[VSS_A_SESSION_MAX + 1];
extern const struct nla_policy vss_set_start_nl_policy[VSS_A_SET_MAX + 1];
extern const struct nla_policy vss_set_add_nl_policy[VSS_A_SET_MAX + 1];
extern const struct nla_policy vss_set_do_nl_policy[VSS_A_SET_MAX + 1];
extern const struct nla_policy vss_set_del_nl_policy[VSS_A_SET_MAX + 1];
extern const struct nla_policy vss_snapshot_get_nl_policy[VSS_A_SNAPSHOT_MAX + 1];
extern const struct nla_policy vss_snapshot_del_nl_policy[VSS_A_SNAPSHOT_MAX + 1];
extern const struct nla_policy vss_snapshot_changes_nl_policy[VSS_A_SNAPSHOT_MAX + 1];
extern const struct nla_policy vss_set_break_nl_policy[VSS_A_SET_MAX + 1];
extern const struct nla_policy vss_writer_register_nl_policy[VSS_A_WRITER_MAX + 1];
extern const struct nla_policy vss_writer_unregister_nl_policy[VSS_A_WRITER_MAX + 1];
extern const struct nla_policy vss_writer_get_nl_policy[VSS_A_WRITER_MAX + 1];
extern const struct nla_policy vss_writer_reply_nl_policy[VSS_A_WRITER_MAX + 1];
extern const struct nla_policy vss_session_writer_filter_nl_policy[VSS_A_SESSION_MAX + 1];
extern const struct nla_policy vss_session_gather_metadata_nl_policy[VSS_A_SESSION_MAX + 1];
extern const struct nla_policy vss_session_prepare_backup_nl_policy[VSS_A_SESSION_MAX + 1];
extern const struct nla_policy vss_session_backup_complete_nl_policy[VSS_A_SESSION_MAX + 1];
extern const struct nla_policy vss_resync_start_nl_policy[VSS_A_RESYNC_MAX + 1];
extern const struct nla_policy vss_resync_get_nl_policy[VSS_A_RESYNC_MAX + 1];
extern const struct nla_policy vss_resync_cancel_nl_policy[VSS_A_RESYNC_MAX + 1];
extern const struct nla_policy vss_resync_set_nl_policy[VSS_A_RESYNC_MAX + 1];
extern const struct nla_policy vss_session_set_context_nl_policy[VSS_A_SESSION_MAX + 1];

/* Ops table for vss */
extern const struct genl_ops vss_nl_ops[27];

int vss_nl_lun_add_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_lun_del_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_lun_get_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_dump_start(struct netlink_callback *cb);
int vss_nl_lun_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int vss_nl_session_new_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_session_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int vss_nl_session_abort_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_set_start_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_set_add_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_set_do_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_set_del_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_snapshot_get_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_snapshot_get_start(struct netlink_callback *cb);
int vss_nl_snapshot_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int vss_nl_snapshot_del_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_snapshot_changes_start(struct netlink_callback *cb);
int vss_nl_snapshot_changes_done(struct netlink_callback *cb);
int vss_nl_snapshot_changes_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb);
int vss_nl_set_break_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_writer_register_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_writer_unregister_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_writer_get_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_writer_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int vss_nl_writer_reply_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_session_writer_filter_doit(struct sk_buff *skb,
				      struct genl_info *info);
int vss_nl_session_gather_metadata_doit(struct sk_buff *skb,
					struct genl_info *info);
int vss_nl_session_prepare_backup_doit(struct sk_buff *skb,
				       struct genl_info *info);
int vss_nl_session_backup_complete_doit(struct sk_buff *skb,
					struct genl_info *info);
int vss_nl_resync_start_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_resync_get_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_resync_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int vss_nl_resync_cancel_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_resync_set_doit(struct sk_buff *skb, struct genl_info *info);
int vss_nl_session_set_context_doit(struct sk_buff *skb,
				    struct genl_info *info);

enum {
	VSS_NLGRP_EVENTS,
};

#endif /* _VSS_NL_GEN_H */
