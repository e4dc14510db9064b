/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss resync (recovery sets): a snapshot copied back onto its LUN online,
 * or onto another block device.  The control plane (netlink.c) calls the
 * functions below; the LUN's I/O path calls the vss_resync_*_bio() hooks.
 */
#ifndef _VSS_RESYNC_H
#define _VSS_RESYNC_H

#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/netlink.h>
#include <linux/vss.h>
#include "events.h"
#include "vss.h"

struct bio;
struct block_device;
struct vss_snapshot;
struct vss_lun;
struct vss_resync;
struct vss_store;
struct vss_wrestore;

/* resync-start flags (VSS's RecoverSet flags) */
#define VSS_RESYNC_F_REVERT_IDENTITY_ALL	0x100
#define VSS_RESYNC_F_NO_VOLUME_CHECK		0x200
#define VSS_RESYNC_F_ALL			0x300

/* states: the uAPI's enum vss_resync_state */
#define VSS_RESYNC_RUNNING	VSS_RESYNC_STATE_RUNNING
#define VSS_RESYNC_DONE		VSS_RESYNC_STATE_DONE
#define VSS_RESYNC_FAILED	VSS_RESYNC_STATE_FAILED
#define VSS_RESYNC_CANCELLED	VSS_RESYNC_STATE_CANCELLED

/**
 * struct vss_resync_member - one member of a recovery set
 * @snap_id: the snapshot to copy
 * @dest: NULL for the snapshot's own LUN, else a LUN name or a device path
 * @lun: out: the snapshot's LUN
 * @dest_name: out: the destination's disk name
 */
struct vss_resync_member {
	uuid_t snap_id;
	const char *dest;
	char lun[VSS_NAME_MAX + 1];
	char dest_name[32];
};

/**
 * struct vss_resync_info - a copy of a resync's state for queries and events
 * @lun: the source LUN
 * @dest: the destination's disk name
 * @snap_id: the snapshot being copied
 * @state: enum vss_resync_state
 * @done_bytes: bytes copied or made unnecessary
 * @total_bytes: bytes to copy
 * @rate: bytes per second over the last second
 * @speed_min: guaranteed rate, bytes/s
 * @speed_max: ceiling, bytes/s, 0 = none
 * @error: errno (positive) of a failed resync
 * @started_ns: CLOCK_REALTIME at the start
 * @has_times: @activate_us and @elapsed_us are set (not for a revert
 *	resumed from the store)
 * @activate_us: resync-start's arrival to the routing taking effect
 * @elapsed_us: resync-start's arrival to the end, or to now
 * @has_session: @session_id is set
 * @session_id: the session that started it
 */
struct vss_resync_info {
	char lun[VSS_NAME_MAX + 1];
	char dest[32];
	uuid_t snap_id;
	u32 state;
	u64 done_bytes;
	u64 total_bytes;
	u64 rate;
	u64 speed_min;
	u64 speed_max;
	u32 error;
	u64 started_ns;
	bool has_times;
	u64 activate_us;
	u64 elapsed_us;
	bool has_session;
	uuid_t session_id;
};

int vss_resync_start(struct vss_resync_member *m, unsigned int nr, u32 flags,
		     bool check, u64 speed_min, u64 speed_max,
		     const uuid_t *session_id, struct vss_wrestore *wgrp,
		     struct netlink_ext_ack *extack);
int vss_resync_get_info(const char *dest, struct vss_resync_info *info);
int vss_resync_next_info(u64 *cursor, struct vss_resync_info *info);
int vss_resync_cancel(const char *dest, struct netlink_ext_ack *extack);
int vss_resync_set_speed(const char *dest, u64 speed_min, u64 speed_max,
			 struct netlink_ext_ack *extack);

/* LUN hooks (lun.c, snapshot.c) */
struct block_device *vss_resync_read_route(struct vss_lun *lun,
					   struct bio **bio);
bool vss_resync_write_bio(struct vss_lun *lun, struct bio *bio);
bool vss_resync_lun_busy(struct vss_lun *lun);
bool vss_resync_pins(struct vss_snapshot *snap);
void vss_resync_lun_gone(struct vss_lun *lun);
void vss_resync_flush_bio(struct vss_lun *lun, struct bio *bio);
void vss_resync_lun_pause(struct vss_lun *lun);
bool vss_resync_blocks_remove(struct vss_lun *lun);
int vss_resync_lun_replayed(struct vss_lun *lun,
			    struct netlink_ext_ack *extack);
void vss_resync_lun_resume(struct vss_lun *lun);
int vss_resync_cp_enumerate(struct vss_lun *lun, struct vss_store *st);

int vss_resync_init(void);
void vss_resync_exit(void);

#endif /* _VSS_RESYNC_H */
