// SPDX-License-Identifier: GPL-2.0
/* 6.2+: genl_family.pre_doit takes a struct genl_split_ops. */
#include <net/genetlink.h>

static int vss_probe_pre_doit(const struct genl_split_ops *ops,
			      struct sk_buff *skb, struct genl_info *info)
{
	return 0;
}

struct genl_family vss_probe_family = {
	.pre_doit = vss_probe_pre_doit,
};
