// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests: libvssctl refuses a store device that holds a signature
 * libblkid recognises (file system, swap, LVM member, partition table)
 * unless asked to format it, and names what it found; a blank device and
 * one it cannot open pass (the kernel decides).  Runs on image files: a
 * file system made by mkfs.ext4 / mkswap when the host has them (the test
 * fails if not: tools/setup-deps installs e2fsprogs and util-linux), the
 * other headers written here byte by byte.
 * Links libvssctl.a to reach the internal vss__ functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "internal.h"

#define IMG_SIZE (16 << 20)

static char dir[] = "/tmp/vss-store-test.XXXXXX";

static struct vss_ctx *fake_ctx(void)
{
	static struct vss_ctx ctx;

	ctx.family = 0x1c;
	return &ctx;
}

/* A zero-filled image file of IMG_SIZE; its path in @path. */
static void blank_image(char *path, size_t len, const char *name)
{
	int fd;

	snprintf(path, len, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ_INT(ftruncate(fd, IMG_SIZE), 0);
	close(fd);
}

static void put_bytes(const char *path, off_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ_INT(pwrite(fd, p, n, off), (long long)n);
	close(fd);
}

/* "@prog @path", quietly: its exit status */
static int run(const char *prog, const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null 2>&1", prog, path);
	return system(cmd);
}

static void test_blank_passes(void)
{
	char path[128], desc[256] = "x";

	blank_image(path, sizeof(path), "blank");
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), 0);
	CHECK_STR(desc, "");
	CHECK_EQ_INT(vss__check_store(fake_ctx(), path), 0);
}

/* Not there / not readable: left to the kernel, which says why. */
static void test_unopenable_left_to_kernel(void)
{
	char path[128], desc[64];

	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), -ENOENT);
	CHECK_EQ_INT(vss__check_store(fake_ctx(), path), 0);
}

static void test_ext4_refused(void)
{
	char path[128], desc[256], want[256];
	struct vss_lun_params p = { .name = "db", .backing = "/dev/null" };
	struct vss_ctx *ctx = fake_ctx();

	blank_image(path, sizeof(path), "ext4");
	CHECK_EQ_INT(run("mkfs.ext4 -q -F", path), 0);
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), 1);
	CHECK_STR(desc, "an ext4 filesystem");
	/* through the public call: refused before any request is sent */
	p.store = path;
	CHECK_EQ_INT(vss_lun_add(ctx, &p, NULL), -ENOTEMPTY);
	snprintf(want, sizeof(want),
		 "store %s holds an ext4 filesystem; use --format to overwrite it",
		 path);
	CHECK_STR(vss_ctx_last_error_msg(ctx), want);
	/* and left alone */
	CHECK_EQ_INT(run("e2fsck -fn", path), 0);
}

static void test_swap_refused(void)
{
	char path[128], desc[256];

	blank_image(path, sizeof(path), "swap");
	CHECK_EQ_INT(run("mkswap", path), 0);
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), 1);
	CHECK_STR(desc, "a swap signature");
}

/* An MBR with one Linux partition: "dos" to libblkid. */
static void test_mbr_refused(void)
{
	unsigned char mbr[512] = { 0 };
	char path[128], desc[256];
	uint32_t start = 2048, size = 8192;

	blank_image(path, sizeof(path), "mbr");
	mbr[446 + 4] = 0x83;
	memcpy(&mbr[446 + 8], &start, 4);
	memcpy(&mbr[446 + 12], &size, 4);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	put_bytes(path, 0, mbr, sizeof(mbr));
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), 1);
	CHECK_STR(desc, "a dos partition table");
	CHECK_EQ_INT(vss__check_store(fake_ctx(), path), -ENOTEMPTY);
}

/* An LVM2 physical volume label (sector 1): refused, checksum or not. */
static void test_lvm_refused(void)
{
	unsigned char label[512] = { 0 };
	char path[128], desc[256];
	uint64_t sector = 1;
	uint32_t offset = 32;

	blank_image(path, sizeof(path), "lvm");
	memcpy(label, "LABELONE", 8);
	memcpy(label + 8, &sector, 8);
	memcpy(label + 20, &offset, 4);
	memcpy(label + 24, "LVM2 001", 8);
	memcpy(label + 32, "0123456789abcdefghijklmnopqrstuv", 32);
	put_bytes(path, 512, label, sizeof(label));
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), 1);
	CHECK_STR(desc, "an LVM2_member signature (RAID or volume manager member)");
}

/* Several: all named, in the order libblkid reports them. */
static void test_several_named(void)
{
	unsigned char mbr[512] = { 0 };
	char path[128], desc[256];
	uint32_t start = 2048, size = 8192;

	blank_image(path, sizeof(path), "both");
	CHECK_EQ_INT(run("mkfs.ext4 -q -F", path), 0);
	mbr[446 + 4] = 0x83;
	memcpy(&mbr[446 + 8], &start, 4);
	memcpy(&mbr[446 + 12], &size, 4);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	put_bytes(path, 0, mbr, sizeof(mbr));
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), 2);
	CHECK(strstr(desc, "an ext4 filesystem") != NULL);
	CHECK(strstr(desc, " and ") != NULL);
	CHECK(strstr(desc, "a dos partition table") != NULL);
	if (tap_cur_failed)
		printf("#   got \"%s\"\n", desc);
}

/*
 * A vss store passes whatever else is found: a format rewrites only the
 * superblock area, signatures elsewhere survive it.  Slot 1 is enough.
 */
static void test_vss_store_passes(void)
{
	char path[128], desc[256];

	blank_image(path, sizeof(path), "vss");
	CHECK_EQ_INT(run("mkfs.ext4 -q -F", path), 0);
	put_bytes(path, 4096, "VSSSTORE", 8);
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), 0);
	CHECK_EQ_INT(vss__check_store(fake_ctx(), path), 0);
	/* the magic elsewhere is no store */
	blank_image(path, sizeof(path), "notvss");
	CHECK_EQ_INT(run("mkfs.ext4 -q -F", path), 0);
	put_bytes(path, 3 * 4096, "VSSSTORE", 8);
	CHECK_EQ_INT(vss__probe_signatures(path, desc, sizeof(desc)), 1);
}

int main(void)
{
	char cmd[128];
	int rc;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN(test_blank_passes);
	RUN(test_unopenable_left_to_kernel);
	RUN(test_ext4_refused);
	RUN(test_swap_refused);
	RUN(test_mbr_refused);
	RUN(test_lvm_refused);
	RUN(test_several_named);
	RUN(test_vss_store_passes);
	rc = tap_done();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		rc = 1;
	return rc;
}
