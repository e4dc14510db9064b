/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss generic netlink family: helpers shared by netlink.c and session.c.
 */
#ifndef _VSS_NETLINK_H
#define _VSS_NETLINK_H

#include <linux/netlink.h>
#include <linux/string.h>
#include <linux/vss.h>

/**
 * vss_nl_set_hresult() - attach a VSS result code to a netlink error
 * @extack: the request's extended ack (may be NULL)
 * @hr: HRESULT, e.g. VSS_E_VOLUME_IN_USE
 *
 * The code reaches userspace as NLMSGERR_ATTR_COOKIE, 4 bytes in host order.
 *
 * Context: any.
 */
static inline void vss_nl_set_hresult(struct netlink_ext_ack *extack, u32 hr)
{
	if (!extack)
		return;
	BUILD_BUG_ON(sizeof(hr) > NETLINK_MAX_COOKIE_LEN);
	memcpy(extack->cookie, &hr, sizeof(hr));
	extack->cookie_len = sizeof(hr);
}

void vss_nl_bump_gen(void);

#endif /* _VSS_NETLINK_H */
