// SPDX-License-Identifier: GPL-2.0
/* 6.9+: queue limits are passed to blk_alloc_disk() and carry features. */
#include <linux/blkdev.h>

struct gendisk *vss_probe(void);
struct gendisk *vss_probe(void)
{
	struct queue_limits lim = { .features = BLK_FEAT_WRITE_CACHE };

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
}
