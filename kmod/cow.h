/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss copy-on-write: preserving a chunk's old data in the newest snapshot's
 * area before the first write to it is released.
 */
#ifndef _VSS_COW_H
#define _VSS_COW_H

#include <linux/types.h>
#include <linux/xarray.h>

/*
 * Mark of a snapshot map entry published while a checkpoint carries the
 * log's new records over (vss_lun.cp_marking): the checkpoint's
 * enumeration skips it, the store appends its record.
 */
#define VSS_MAP_CARRIED	XA_MARK_1

struct vss_lun;
struct vss_io;
struct work_struct;

size_t vss_cow_size(void);
void vss_cow_write(struct vss_io *io);
void vss_cow_kick_parked(struct vss_lun *lun);
void vss_cow_count_parked(struct vss_lun *lun, struct vss_lun_parked *p);
bool vss_cow_pending_locked(struct vss_lun *lun, u64 chunk);
int vss_cow_freeze(struct vss_lun *lun, unsigned long timeout);
void vss_cow_thaw(struct vss_lun *lun);
void vss_cow_requeue_work(struct work_struct *work);
void vss_cow_step_work(struct work_struct *work);
void vss_cow_usage_work(struct work_struct *work);

#endif /* _VSS_COW_H */
