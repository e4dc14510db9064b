// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvssctl - the store device is not someone else's data.
 *
 * A store without a vss superblock is formatted by the kernel on lun-add.
 * Before asking for that, look for any signature libblkid knows (file
 * systems, swap, LVM and RAID members, encrypted volumes, partition tables)
 * and refuse unless the caller asked to format: as pvcreate and mkfs do.
 * A device with the vss magic in either superblock slot is a store: it
 * passes here whatever else libblkid finds (a signature outside the
 * superblock area, e.g. an md 1.0 superblock or a GPT backup header at the
 * end, survives a format), and the kernel validates it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <blkid.h>

#include "internal.h"

/* "VSSSTORE" at the start of superblock slot 0 or 1 (ondisk-format.rst) */
#define VSS_STORE_MAGIC		"VSSSTORE"
#define VSS_STORE_SLOT_SIZE	4096

/* Signatures named in a message; more are summed up as "and N more". */
#define SIG_MAX 4

/* "an" before a vowel sound: "an ext4", "an LVM2_member", "a dos". */
static const char *article(const char *word)
{
	char c = word[0];

	if (strchr("aeiouAEIOU", c))
		return "an";
	/* an upper-case acronym spelt letter by letter: "an LVM2_member" */
	if (strchr("FHLMNRSX", c) && word[1] &&
	    (isupper((unsigned char)word[1]) || isdigit((unsigned char)word[1])))
		return "an";
	return "a";
}

static void describe(char *buf, size_t len, const char *type,
		     const char *usage, bool ptable)
{
	const char *a = article(type);

	if (ptable)
		snprintf(buf, len, "%s %s partition table", a, type);
	else if (usage && !strcmp(usage, "filesystem"))
		snprintf(buf, len, "%s %s filesystem", a, type);
	else if (usage && !strcmp(usage, "raid"))
		snprintf(buf, len, "%s %s signature (RAID or volume manager member)",
			 a, type);
	else if (usage && !strcmp(usage, "crypto"))
		snprintf(buf, len, "%s %s signature (encrypted volume)", a, type);
	else
		snprintf(buf, len, "%s %s signature", a, type);
}

static bool has_vss_magic(int fd)
{
	char m[sizeof(VSS_STORE_MAGIC) - 1];

	for (int slot = 0; slot < 2; slot++)
		if (pread(fd, m, sizeof(m), slot * VSS_STORE_SLOT_SIZE) ==
		    (ssize_t)sizeof(m) && !memcmp(m, VSS_STORE_MAGIC, sizeof(m)))
			return true;
	return false;
}

/*
 * vss__probe_signatures() - what libblkid recognises on @path
 * @path: block device (or image file)
 * @desc: receives "an ext4 filesystem and a dos partition table" (may be "")
 * @len: size of @desc
 *
 * Return: the number of signatures found (0: none, or a vss store),
 * -errno if @path cannot be opened, -EIO if libblkid failed to probe it.
 */
int vss__probe_signatures(const char *path, char *desc, size_t len)
{
	char found[SIG_MAX][96];
	blkid_probe pr;
	int fd, nr = 0, rc;
	size_t at = 0;

	if (len)
		desc[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	pr = NULL;
	rc = 0;
	if (has_vss_magic(fd))
		goto out;
	pr = blkid_new_probe();
	if (!pr) {
		rc = -ENOMEM;
		goto out;
	}
	if (blkid_probe_set_device(pr, fd, 0, 0)) {
		rc = -EIO;
		goto out;
	}
	/* what wipefs looks for: every magic, even with a bad checksum */
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_USAGE |
					  BLKID_SUBLKS_MAGIC |
					  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC |
					 BLKID_PARTS_FORCE_GPT);
	while ((rc = blkid_do_probe(pr)) == 0) {
		const char *type = NULL, *usage = NULL;
		bool ptable = false;

		if (!blkid_probe_lookup_value(pr, "TYPE", &type, NULL)) {
			blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
		} else if (!blkid_probe_lookup_value(pr, "PTTYPE", &type,
						     NULL)) {
			ptable = true;
		} else {
			continue;
		}
		if (nr < SIG_MAX)
			describe(found[nr], sizeof(found[nr]), type, usage,
				 ptable);
		nr++;
	}
	if (rc < 0 && !nr) {
		rc = -EIO;
		goto out;
	}
	for (int i = 0; i < nr && i < SIG_MAX && at < len; i++) {
		const char *sep = !i ? "" :
				  i == nr - 1 || i == SIG_MAX - 1 ? " and " :
				  ", ";

		if (i == SIG_MAX - 1 && nr > SIG_MAX)
			at += snprintf(desc + at, len - at, "%s%d more signatures",
				       sep, nr - i);
		else
			at += snprintf(desc + at, len - at, "%s%s", sep,
				       found[i]);
	}
	rc = nr;
out:
	if (pr)
		blkid_free_probe(pr);
	/* leave no page cache behind: the kernel writes the store directly */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return rc;
}

/*
 * vss__check_store() - refuse a store that holds a foreign signature
 * @ctx: context (receives the error message)
 * @store: path of the store device
 *
 * A store that cannot be opened here is left to the kernel, whose refusal
 * says why.
 *
 * Return: 0, or -ENOTEMPTY (a signature was found) / -EIO (the device could
 * not be probed) with the error recorded.
 */
int vss__check_store(const struct vss_ctx *ctx, const char *store)
{
	char desc[256];
	int nr = vss__probe_signatures(store, desc, sizeof(desc));

	if (nr == -EIO)
		return vss__set_error(ctx, -EIO, 0,
				      "cannot probe store %s for existing signatures; use --format to overwrite it",
				      store);
	if (nr <= 0)
		return 0;
	return vss__set_error(ctx, -ENOTEMPTY, 0,
			      "store %s holds %s; use --format to overwrite it",
			      store, desc);
}
