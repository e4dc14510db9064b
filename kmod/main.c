// SPDX-License-Identifier: GPL-2.0
/*
 * vss - Volume Shadow Copy Service requester model for Linux block devices.
 *
 * Module entry points.  Objects come up in dependency order: the engine
 * (LUN devices, snapshots, stores) first, then sessions, and the netlink
 * family last, so that no request can arrive before its objects exist;
 * they go down in exact reverse order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "resync.h"
#include "snapshot.h"
#include "vss.h"
#include "writer.h"

static int __init vss_init(void)
{
	int ret;

	ret = vss_lun_init();
	if (ret)
		return ret;
	ret = vss_writer_init();
	if (ret)
		goto out_lun_exit;
	ret = vss_session_init();
	if (ret)
		goto out_writer_exit;
	ret = vss_resync_init();
	if (ret)
		goto out_session_exit;
	ret = vss_nl_init();
	if (ret)
		goto out_resync_exit;
	pr_info("loaded\n");
	return 0;

out_resync_exit:
	vss_resync_exit();
out_session_exit:
	vss_session_exit();
out_writer_exit:
	vss_writer_exit();
out_lun_exit:
	vss_lun_exit();
	return ret;
}

static void __exit vss_exit(void)
{
	vss_nl_exit();
	vss_session_exit();
	vss_writer_exit();
	vss_lun_exit();
	vss_resync_exit();
	vss_snap_exit();
	pr_info("unloaded\n");
}

module_init(vss_init);
module_exit(vss_exit);

MODULE_DESCRIPTION("vss: copy-on-write snapshot sets of block devices, VSS requester model");
MODULE_AUTHOR("The vss developers");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: crc32c");
