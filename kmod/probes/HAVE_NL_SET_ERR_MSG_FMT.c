// SPDX-License-Identifier: GPL-2.0
/* 6.2+: formatted extack messages. */
#include <linux/netlink.h>

void vss_probe(struct netlink_ext_ack *extack, int v);
void vss_probe(struct netlink_ext_ack *extack, int v)
{
	NL_SET_ERR_MSG_FMT(extack, "value %d", v);
}
