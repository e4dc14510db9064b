// SPDX-License-Identifier: GPL-2.0
/* 6.11+: I/O accounting is a queue-limits feature, not a queue flag. */
#include <linux/blkdev.h>

int vss_probe(void);
int vss_probe(void)
{
	return BLK_FEAT_IO_STAT;
}
