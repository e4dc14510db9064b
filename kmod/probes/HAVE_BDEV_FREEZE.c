// SPDX-License-Identifier: GPL-2.0
/* 6.8+: bdev_freeze()/bdev_thaw() replace freeze_bdev()/thaw_bdev(). */
#include <linux/blkdev.h>

int vss_probe(struct block_device *bdev);
int vss_probe(struct block_device *bdev)
{
	return bdev_freeze(bdev);
}
