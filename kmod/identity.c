// SPDX-License-Identifier: GPL-2.0
/*
 * vss identity: keep a destination's partition-table identity in a copy.
 *
 * What "identity" covers: the MBR disk signature (bytes 440-443 of LBA 0,
 * also in a GPT disk's protective MBR), the GPT disk GUID and the unique
 * GUID of each partition entry, in the primary and in the backup GPT, with
 * the header and entry-array CRCs recomputed.  What it does not: anything
 * inside the partitions (file system UUIDs and labels, LVM and RAID
 * UUIDs), the partition type GUIDs, names and bounds: those are content.
 *
 * The resync reads the destination's identity before the copy overwrites
 * it (vss_identity_parse()), checks that the snapshot's table can carry it
 * (vss_identity_can_keep()), and writes it into every copied block that
 * holds an MBR or a GPT header and entry array (vss_identity_patch()).
 */
#ifdef __KERNEL__
#include <linux/crc32.h>
#include <linux/errno.h>
#include <linux/string.h>
#endif
#include "identity.h"

#define MBR_SIG_OFF	440
#define MBR_PART_OFF	446
#define MBR_MAGIC_OFF	510
#define MBR_TYPE_GPT	0xee

#define GPT_SIG		"EFI PART"
#define GPT_HSIZE_OFF	12
#define GPT_HCRC_OFF	16
#define GPT_ALT_OFF	32
#define GPT_GUID_OFF	56
#define GPT_ELBA_OFF	72
#define GPT_NR_OFF	80
#define GPT_ESIZE_OFF	84
#define GPT_ECRC_OFF	88
#define GPT_HSIZE_MIN	92
#define GPT_ENT_MIN	128
#define GPT_ENT_UNIQUE	16

/* little-endian fields, byte by byte: no alignment, no endian headers */
static u32 get_le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u64 get_le64(const u8 *p)
{
	return get_le32(p) | (u64)get_le32(p + 4) << 32;
}

static void put_le32(u32 v, u8 *p)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* GPT's CRC32: zlib's (inverted in and out) */
static u32 vss_id_crc(const u8 *p, size_t n)
{
	return ~crc32_le(~0U, p, n);
}

static bool vss_id_zero(const u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* The header at @h (@lbs bytes) is a GPT header with a valid CRC. */
static bool vss_id_header_ok(const u8 *h, unsigned int lbs)
{
	u32 hsize = get_le32(h + GPT_HSIZE_OFF);
	u8 tmp[512];

	if (memcmp(h, GPT_SIG, 8) || hsize < GPT_HSIZE_MIN || hsize > lbs ||
	    hsize > sizeof(tmp))
		return false;
	memcpy(tmp, h, hsize);
	memset(tmp + GPT_HCRC_OFF, 0, 4);
	return vss_id_crc(tmp, hsize) == get_le32(h + GPT_HCRC_OFF);
}

/*
 * The entry array of header @h, if it lies in @buf (@buf_off its byte
 * offset on the disk, @len its size) and its CRC is valid; else NULL.
 */
static u8 *vss_id_entries(const u8 *h, u8 *buf, u64 buf_off, size_t len,
			  unsigned int lbs)
{
	u64 elba = get_le64(h + GPT_ELBA_OFF);
	u32 nr = get_le32(h + GPT_NR_OFF);
	u32 esz = get_le32(h + GPT_ESIZE_OFF);
	u64 off, bytes;

	if (!nr || nr > VSS_ID_MAX_PARTS || esz < GPT_ENT_MIN || esz % 8 ||
	    esz > 1024)
		return NULL;
	bytes = (u64)nr * esz;
	if (elba > (~0ULL >> 13))
		return NULL;
	off = elba * lbs;
	if (off < buf_off || off + bytes > buf_off + len)
		return NULL;
	if (vss_id_crc(buf + (off - buf_off), bytes) !=
	    get_le32(h + GPT_ECRC_OFF))
		return NULL;
	return buf + (off - buf_off);
}

/**
 * vss_identity_parse() - read a disk's identity from its first bytes
 * @head: the disk's first @len bytes
 * @len: at least 2 * @lbs; VSS_ID_HEAD holds any usual GPT
 * @lbs: the disk's logical block size (GPT's LBA size)
 * @id: receives the identity
 *
 * Return: 0 (@id->kind says what was found), or -EINVAL when the disk has
 * a protective MBR but no valid primary GPT within @head: its identity is
 * unknown, so it cannot be kept.
 */
int vss_identity_parse(const u8 *head, size_t len, unsigned int lbs,
		       struct vss_identity *id)
{
	const u8 *h, *e;
	bool gpt = false;
	u32 i, esz;
	u8 boot;

	memset(id, 0, sizeof(*id));
	if (len < 512 || head[MBR_MAGIC_OFF] != 0x55 ||
	    head[MBR_MAGIC_OFF + 1] != 0xaa)
		return 0;
	for (i = 0; i < 4; i++) {
		boot = head[MBR_PART_OFF + 16 * i];
		if (boot && boot != 0x80)
			return 0;	/* a boot sector (FAT...), not an MBR */
		if (head[MBR_PART_OFF + 16 * i + 4] == MBR_TYPE_GPT)
			gpt = true;
	}
	id->mbr_sig = get_le32(head + MBR_SIG_OFF);
	id->kind = VSS_ID_MBR;
	if (!gpt)
		return 0;
	if (lbs < 512 || len < 2 * (size_t)lbs)
		return -EINVAL;
	h = head + lbs;
	if (!vss_id_header_ok(h, lbs))
		return -EINVAL;
	e = vss_id_entries(h, (u8 *)head, 0, len, lbs);
	if (!e)
		return -EINVAL;
	id->kind = VSS_ID_GPT;
	memcpy(id->disk_guid, h + GPT_GUID_OFF, 16);
	id->alt_lba = get_le64(h + GPT_ALT_OFF);
	id->nr_parts = get_le32(h + GPT_NR_OFF);
	esz = get_le32(h + GPT_ESIZE_OFF);
	for (i = 0; i < id->nr_parts; i++, e += esz) {
		id->used[i] = !vss_id_zero(e, 16);
		memcpy(id->part_guid[i], e + GPT_ENT_UNIQUE, 16);
	}
	return 0;
}

/**
 * vss_identity_can_keep() - can a copy of @src carry @dst's identity?
 * @src: the identity found in the snapshot
 * @dst: the destination's
 *
 * A destination without a partition table has nothing to keep.  An MBR
 * signature is kept in an MBR; a GPT identity in a GPT whose every used
 * entry has a used entry at the same index in the destination's table
 * (a partition the destination never had has no GUID of its own to keep).
 *
 * Return: 0, or -EXDEV when the identity cannot be kept.
 */
int vss_identity_can_keep(const struct vss_identity *src,
			  const struct vss_identity *dst)
{
	u32 i;

	if (dst->kind == VSS_ID_NONE)
		return 0;
	if (src->kind != dst->kind)
		return -EXDEV;
	if (src->kind == VSS_ID_MBR)
		return 0;
	for (i = 0; i < src->nr_parts; i++)
		if (src->used[i] && (i >= dst->nr_parts || !dst->used[i]))
			return -EXDEV;
	return 0;
}

/**
 * vss_identity_patch() - write an identity into copied blocks
 * @keep: the identity to keep (the destination's)
 * @buf: blocks about to be written to the destination
 * @buf_off: their byte offset on the disk
 * @len: their size
 * @hdr_lba: the LBA of a GPT header (1 or the backup's) to patch, if it
 *	and its entry array lie in @buf; 0 for the MBR only
 * @lbs: the logical block size
 *
 * Patches the MBR signature if @buf holds it, and the GPT header at
 * @hdr_lba with its entries: disk GUID, the unique GUID of every used
 * entry, both CRCs.
 *
 * Return: 0; -ENOENT if there is no valid GPT header (or entry array) at
 * @hdr_lba in @buf; -EXDEV if a used entry has no GUID in @keep.
 */
int vss_identity_patch(const struct vss_identity *keep, u8 *buf,
		       u64 buf_off, size_t len, u64 hdr_lba,
		       unsigned int lbs)
{
	u32 i, nr, esz, hsize;
	u64 hoff;
	u8 *h, *e;

	if (keep->kind == VSS_ID_NONE)
		return 0;
	if (buf_off <= MBR_SIG_OFF && buf_off + len >= MBR_SIG_OFF + 4)
		put_le32(keep->mbr_sig, buf + MBR_SIG_OFF - buf_off);
	if (keep->kind != VSS_ID_GPT || !hdr_lba)
		return 0;
	hoff = hdr_lba * lbs;
	if (hoff < buf_off || hoff + lbs > buf_off + len)
		return -ENOENT;
	h = buf + (hoff - buf_off);
	if (!vss_id_header_ok(h, lbs))
		return -ENOENT;
	e = vss_id_entries(h, buf, buf_off, len, lbs);
	if (!e)
		return -ENOENT;
	nr = get_le32(h + GPT_NR_OFF);
	esz = get_le32(h + GPT_ESIZE_OFF);
	for (i = 0; i < nr; i++) {
		if (vss_id_zero(e + i * esz, 16))
			continue;
		if (i >= keep->nr_parts || !keep->used[i])
			return -EXDEV;
		memcpy(e + i * esz + GPT_ENT_UNIQUE, keep->part_guid[i], 16);
	}
	memcpy(h + GPT_GUID_OFF, keep->disk_guid, 16);
	put_le32(vss_id_crc(e, (size_t)nr * esz), h + GPT_ECRC_OFF);
	hsize = get_le32(h + GPT_HSIZE_OFF);
	memset(h + GPT_HCRC_OFF, 0, 4);
	put_le32(vss_id_crc(h, hsize), h + GPT_HCRC_OFF);
	return 0;
}
