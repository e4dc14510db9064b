// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/identity.c (the partition-table identity a resync
 * keeps): images partitioned by sfdisk (util-linux; tools/setup-deps
 * installs it: the test fails without it), their identity parsed, the
 * snapshot-side table patched with the destination's identity, and the
 * result read back by sfdisk: the destination's disk GUID and partition
 * GUIDs, the source's partition bounds, and both GPTs valid (sfdisk
 * --verify checks the CRCs of the primary and the backup).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "identity_host.h"
#include "../../kmod/identity.c"

#define IMG_MB	8
#define LBS	512

static char dir[] = "/tmp/vss-identity-test.XXXXXX";

/* Makes image @name partitioned by sfdisk from @script; its path in @path. */
static int mkimg(char *path, const char *name, const char *script)
{
	char cmd[1024];

	snprintf(path, 256, "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd),
		 "rm -f %s && truncate -s %dM %s && printf '%s' | sfdisk -q %s >/dev/null 2>&1",
		 path, IMG_MB, path, script, path);
	return system(cmd);
}

static int rw(const char *path, u8 *buf, off_t off, size_t n, bool wr)
{
	int fd = open(path, wr ? O_WRONLY : O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = wr ? pwrite(fd, buf, n, off) : pread(fd, buf, n, off);
	close(fd);
	return r == (ssize_t)n ? 0 : -1;
}

/* the first line of @cmd's output, trimmed */
static const char *out(const char *cmd)
{
	static char line[512];
	FILE *f = popen(cmd, "r");

	line[0] = 0;
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		pclose(f);
	}
	line[strcspn(line, "\n")] = 0;
	return line;
}

static int parse_img(const char *path, struct vss_identity *id)
{
	static u8 head[VSS_ID_HEAD];

	if (rw(path, head, 0, sizeof(head), false))
		return -99;
	return vss_identity_parse(head, sizeof(head), LBS, id);
}

static const char *gpt_src = "label: gpt\\nlabel-id: 11111111-2222-3333-4444-555555555555\\n"
	"size=2M, uuid=aaaaaaaa-0000-0000-0000-000000000001\\nsize=3M, uuid=aaaaaaaa-0000-0000-0000-000000000002\\n";
static const char *gpt_dst = "label: gpt\\nlabel-id: 99999999-8888-7777-6666-555555555555\\n"
	"size=1M, uuid=bbbbbbbb-0000-0000-0000-000000000001\\nsize=1M, uuid=bbbbbbbb-0000-0000-0000-000000000002\\n";
static const char *gpt_one = "label: gpt\\nlabel-id: 77777777-8888-7777-6666-555555555555\\n"
	"size=1M, uuid=cccccccc-0000-0000-0000-000000000001\\n";

static void test_blank_and_mbr(void)
{
	char path[256];
	struct vss_identity id;

	char cmd[600];

	snprintf(path, sizeof(path), "%s/blank", dir);
	snprintf(cmd, sizeof(cmd), "truncate -s %dM %s", IMG_MB, path);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(parse_img(path, &id), 0);
	CHECK_EQ_INT(id.kind, VSS_ID_NONE);
	CHECK_EQ_INT(mkimg(path, "mbr", "label: dos\\nlabel-id: 0x12345678\\nsize=1M\\n"), 0);
	CHECK_EQ_INT(parse_img(path, &id), 0);
	CHECK_EQ_INT(id.kind, VSS_ID_MBR);
	CHECK_EQ_INT(id.mbr_sig, 0x12345678);
}

static void test_gpt_parse(void)
{
	char path[256];
	struct vss_identity id;

	CHECK_EQ_INT(mkimg(path, "src", gpt_src), 0);
	CHECK_EQ_INT(parse_img(path, &id), 0);
	CHECK_EQ_INT(id.kind, VSS_ID_GPT);
	CHECK_EQ_INT(id.used[0] && id.used[1] && !id.used[2], 1);
	CHECK_EQ_U64(id.alt_lba, (u64)IMG_MB * 2048 - 1);
	/* GUIDs are mixed-endian on disk: 11111111-2222-3333 -> 11 11 11 11 22 22 33 33 */
	CHECK_EQ_INT(id.disk_guid[0] == 0x11 && id.disk_guid[4] == 0x22 &&
		     id.disk_guid[15] == 0x55, 1);
	CHECK_EQ_INT(id.part_guid[1][15], 2);
}

static void test_can_keep(void)
{
	char p[256];
	struct vss_identity src, dst, one, mbr, none = { .kind = VSS_ID_NONE };

	CHECK_EQ_INT(mkimg(p, "src", gpt_src), 0);
	CHECK_EQ_INT(parse_img(p, &src), 0);
	CHECK_EQ_INT(mkimg(p, "dst", gpt_dst), 0);
	CHECK_EQ_INT(parse_img(p, &dst), 0);
	CHECK_EQ_INT(mkimg(p, "one", gpt_one), 0);
	CHECK_EQ_INT(parse_img(p, &one), 0);
	CHECK_EQ_INT(mkimg(p, "mbr", "label: dos\\nlabel-id: 0x12345678\\nsize=1M\\n"), 0);
	CHECK_EQ_INT(parse_img(p, &mbr), 0);
	CHECK_EQ_INT(vss_identity_can_keep(&src, &dst), 0);
	CHECK_EQ_INT(vss_identity_can_keep(&src, &none), 0);
	CHECK_EQ_INT(vss_identity_can_keep(&src, &one), -EXDEV);	/* partition 2 has no GUID */
	CHECK_EQ_INT(vss_identity_can_keep(&one, &src), 0);
	CHECK_EQ_INT(vss_identity_can_keep(&src, &mbr), -EXDEV);
	CHECK_EQ_INT(vss_identity_can_keep(&mbr, &src), -EXDEV);
	CHECK_EQ_INT(vss_identity_can_keep(&mbr, &mbr), 0);
	CHECK_EQ_INT(vss_identity_can_keep(&none, &mbr), -EXDEV);
}

/* the snapshot's table with the destination's identity: what a resync writes */
static void test_patch_gpt(void)
{
	static u8 head[VSS_ID_HEAD], tail[VSS_ID_HEAD];
	char src[256], dst[256], cmd[600], before[4096];
	struct vss_identity sid, did;
	u64 toff;

	CHECK_EQ_INT(mkimg(src, "src", gpt_src), 0);
	CHECK_EQ_INT(mkimg(dst, "dst", gpt_dst), 0);
	CHECK_EQ_INT(parse_img(src, &sid), 0);
	CHECK_EQ_INT(parse_img(dst, &did), 0);
	snprintf(cmd, sizeof(cmd), "sfdisk -d %s | grep '^/' | sed 's/, uuid=.*//;s/^[^:]*://'", src);
	snprintf(before, sizeof(before), "%s", out(cmd));
	CHECK_EQ_INT(rw(src, head, 0, sizeof(head), false), 0);
	toff = (sid.alt_lba + 1) * LBS - VSS_ID_HEAD;
	CHECK_EQ_INT(rw(src, tail, toff, sizeof(tail), false), 0);
	CHECK_EQ_INT(vss_identity_patch(&did, head, 0, sizeof(head), 1, LBS), 0);
	CHECK_EQ_INT(vss_identity_patch(&did, tail, toff, sizeof(tail), sid.alt_lba, LBS), 0);
	/* no header in the range: -ENOENT, nothing changed */
	CHECK_EQ_INT(vss_identity_patch(&did, tail, toff, sizeof(tail), 1, LBS), -ENOENT);
	CHECK_EQ_INT(rw(src, head, 0, sizeof(head), true), 0);
	CHECK_EQ_INT(rw(src, tail, toff, sizeof(tail), true), 0);
	snprintf(cmd, sizeof(cmd), "sfdisk --disk-id %s", src);
	CHECK_STR(out(cmd), "99999999-8888-7777-6666-555555555555");
	snprintf(cmd, sizeof(cmd), "sfdisk --part-uuid %s 2", src);
	CHECK_STR(out(cmd), "BBBBBBBB-0000-0000-0000-000000000002");
	snprintf(cmd, sizeof(cmd), "sfdisk -d %s | grep '^/' | sed 's/, uuid=.*//;s/^[^:]*://'", src);
	CHECK_STR(out(cmd), before);	/* the bounds are the snapshot's */
	/* both GPTs valid: sfdisk --verify reads the backup too */
	snprintf(cmd, sizeof(cmd), "sfdisk --verify %s 2>&1 | grep -ci 'crc\\|corrupt\\|invalid'", src);
	CHECK_STR(out(cmd), "0");
	snprintf(cmd, sizeof(cmd), "sfdisk --verify %s >/dev/null 2>&1 && echo ok", src);
	CHECK_STR(out(cmd), "ok");
	/* the backup alone: wipe the primary header, sfdisk falls back to it */
	memset(head + LBS, 0, LBS);
	CHECK_EQ_INT(rw(src, head, 0, sizeof(head), true), 0);
	snprintf(cmd, sizeof(cmd), "sfdisk --disk-id %s 2>/dev/null", src);
	CHECK_STR(out(cmd), "99999999-8888-7777-6666-555555555555");
	/* a protective MBR without a valid GPT: identity unknown */
	CHECK_EQ_INT(parse_img(src, &sid), -EINVAL);
}

static void test_patch_mbr(void)
{
	char p[256], cmd[600];
	struct vss_identity dst;
	static u8 head[VSS_ID_HEAD];

	CHECK_EQ_INT(mkimg(p, "mbrd", "label: dos\\nlabel-id: 0xcafe0001\\nsize=1M\\n"), 0);
	CHECK_EQ_INT(parse_img(p, &dst), 0);
	CHECK_EQ_INT(mkimg(p, "mbrs", "label: dos\\nlabel-id: 0x0badf00d\\nsize=2M\\n"), 0);
	CHECK_EQ_INT(rw(p, head, 0, sizeof(head), false), 0);
	CHECK_EQ_INT(vss_identity_patch(&dst, head, 0, sizeof(head), 0, LBS), 0);
	/* a buffer that does not hold the signature is left alone */
	CHECK_EQ_INT(vss_identity_patch(&dst, head + 512, 512, 1024, 0, LBS), 0);
	CHECK_EQ_INT(rw(p, head, 0, sizeof(head), true), 0);
	snprintf(cmd, sizeof(cmd), "sfdisk --disk-id %s", p);
	CHECK_STR(out(cmd), "0xcafe0001");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	RUN(test_blank_and_mbr);
	RUN(test_gpt_parse);
	RUN(test_can_keep);
	RUN(test_patch_gpt);
	RUN(test_patch_mbr);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
