// SPDX-License-Identifier: GPL-2.0
/* 6.2+: the request attributes of a dump are in genl_dumpit_info.info. */
#include <net/genetlink.h>

struct nlattr **vss_probe(struct netlink_callback *cb);
struct nlattr **vss_probe(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->info.attrs;
}
