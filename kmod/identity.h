/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vss identity: the partition-table identity of a disk (MBR disk
 * signature; GPT disk GUID and partition unique GUIDs), read from a
 * destination and written into a copy of a snapshot's partition table so
 * that the destination keeps its own.  Pure buffer code: no I/O, built
 * into the module and into the host unit test (tests/unit/identity_test.c).
 */
#ifndef _VSS_IDENTITY_H
#define _VSS_IDENTITY_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "identity_host.h"
#endif

/* bytes of a device's start that hold its MBR, GPT header and entries */
#define VSS_ID_HEAD		(64 * 1024)
#define VSS_ID_MAX_PARTS	128

enum vss_id_kind {
	VSS_ID_NONE,	/* no partition table: no identity to keep */
	VSS_ID_MBR,	/* an MBR (no protective 0xEE entry) */
	VSS_ID_GPT,	/* a protective MBR and a valid primary GPT */
};

/**
 * struct vss_identity - a disk's partition-table identity
 * @kind: enum vss_id_kind
 * @mbr_sig: the MBR's disk signature (bytes 440-443), both kinds
 * @disk_guid: (GPT) the disk GUID
 * @alt_lba: (GPT) the alternate (backup) header's LBA
 * @nr_parts: (GPT) entries in the array, at most VSS_ID_MAX_PARTS
 * @used: (GPT) entry i has a non-zero type GUID
 * @part_guid: (GPT) entry i's unique partition GUID
 */
struct vss_identity {
	enum vss_id_kind kind;
	u32 mbr_sig;
	u8 disk_guid[16];
	u64 alt_lba;
	u32 nr_parts;
	u8 used[VSS_ID_MAX_PARTS];
	u8 part_guid[VSS_ID_MAX_PARTS][16];
};

int vss_identity_parse(const u8 *head, size_t len, unsigned int lbs,
		       struct vss_identity *id);
int vss_identity_can_keep(const struct vss_identity *src,
			  const struct vss_identity *dst);
int vss_identity_patch(const struct vss_identity *keep, u8 *buf,
		       u64 buf_off, size_t len, u64 hdr_lba,
		       unsigned int lbs);

#endif /* _VSS_IDENTITY_H */
