// SPDX-License-Identifier: GPL-2.0
/*
 * stamp - write and verify self-describing 4 KiB blocks.
 *
 * Every block carries a magic, its own block number, a generation and a
 * crc32 over the rest, with a payload derived from (block, generation).  A
 * map file (one little-endian u32 generation per block, 0 = not stamped)
 * records what the device should hold; copying the map when a snapshot is
 * taken gives the expected content of the snapshot.
 *
 *   stamp fill   DEV MAP GEN [FIRST COUNT]    stamp a range (default: all)
 *   stamp write  DEV MAP GEN N SEED [FIRST COUNT [MAXRUN]]
 *                                    N random runs of 1..MAXRUN blocks (16)
 *   stamp verify [--allow-empty] DEV MAP      every stamped block matches;
 *                                    a map with no stamped block fails
 *                                    (nothing was checked) unless
 *                                    --allow-empty
 *   stamp blocks DEV                          number of 4 KiB blocks
 *
 * All I/O is O_DIRECT.  Exit 0 on success, 1 on a mismatch, 2 on errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32.h"

#define BS		4096
#define MAGIC		0x504d415453535356ULL	/* "VSSSTAMP" */
#define MAX_RUN		256

struct hdr {
	uint64_t magic;
	uint64_t block;
	uint64_t gen;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static void make_block(uint8_t *b, uint64_t block, uint64_t gen)
{
	struct hdr h = { MAGIC, block, gen };
	uint64_t s = mix(block * 0x9e3779b97f4a7c15ULL ^ gen);
	uint32_t crc;

	memcpy(b, &h, sizeof(h));
	for (size_t i = sizeof(h); i + 8 <= BS - 4; i += 8) {
		s = mix(s + i);
		memcpy(b + i, &s, 8);
	}
	crc = vss_crc32(b, BS - 4);
	memcpy(b + BS - 4, &crc, 4);
}

/* 0: matches; 1: bad content (reason in @why) */
static int check_block(const uint8_t *b, uint64_t block, uint64_t gen,
		       char *why, size_t len)
{
	struct hdr h;
	uint32_t crc;

	memcpy(&h, b, sizeof(h));
	memcpy(&crc, b + BS - 4, 4);
	if (h.magic != MAGIC) {
		snprintf(why, len, "no stamp");
		return 1;
	}
	if (vss_crc32(b, BS - 4) != crc) {
		snprintf(why, len, "bad crc (block %" PRIu64 " gen %" PRIu64 ")",
			 h.block, h.gen);
		return 1;
	}
	if (h.block != block || h.gen != gen) {
		snprintf(why, len, "holds block %" PRIu64 " gen %" PRIu64
			 ", expected gen %" PRIu64, h.block, h.gen, gen);
		return 1;
	}
	return 0;
}

static int open_dev(const char *path, int flags, uint64_t *blocks)
{
	uint64_t bytes;
	struct stat st;
	int fd;

	fd = open(path, flags | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "stamp: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes)) {
			perror("stamp: BLKGETSIZE64");
			exit(2);
		}
	} else {
		bytes = st.st_size;
	}
	*blocks = bytes / BS;
	return fd;
}

static uint32_t *load_map(const char *path, uint64_t blocks, int create)
{
	uint32_t *map = calloc(blocks ? blocks : 1, sizeof(*map));
	FILE *f;

	if (!map) {
		perror("stamp: calloc");
		exit(2);
	}
	f = fopen(path, "rb");
	if (!f) {
		if (create && errno == ENOENT)
			return map;
		fprintf(stderr, "stamp: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (fread(map, sizeof(*map), blocks, f) != blocks && !create) {
		fprintf(stderr, "stamp: %s: short map\n", path);
		exit(2);
	}
	fclose(f);
	return map;
}

static void save_map(const char *path, const uint32_t *map, uint64_t blocks)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f || fwrite(map, sizeof(*map), blocks, f) != blocks ||
	    fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "stamp: %s: %s\n", path, strerror(errno));
		exit(2);
	}
}

static void *xalign(size_t n)
{
	void *p;

	if (posix_memalign(&p, BS, n)) {
		perror("stamp: posix_memalign");
		exit(2);
	}
	return p;
}

static void write_run(int fd, uint8_t *buf, uint32_t *map, uint64_t first,
		      uint64_t n, uint64_t gen)
{
	ssize_t r;

	for (uint64_t i = 0; i < n; i++)
		make_block(buf + i * BS, first + i, gen);
	r = pwrite(fd, buf, n * BS, first * BS);
	if (r != (ssize_t)(n * BS)) {
		fprintf(stderr, "stamp: write of blocks %" PRIu64 "+%" PRIu64
			": %s\n", first, n, r < 0 ? strerror(errno) : "short");
		exit(2);
	}
	for (uint64_t i = 0; i < n; i++)
		map[first + i] = gen;
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (*s == '\0' || *end) {
		fprintf(stderr, "stamp: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void range_args(int argc, char **argv, int at, uint64_t blocks,
		       uint64_t *first, uint64_t *count)
{
	*first = 0;
	*count = blocks;
	if (argc > at + 1) {
		*first = num(argv[at]);
		*count = num(argv[at + 1]);
	}
	if (*first > blocks || *count > blocks - *first || !*count) {
		fprintf(stderr, "stamp: range outside the device\n");
		exit(2);
	}
}

static int cmd_fill(int argc, char **argv)
{
	uint64_t blocks, first, count, gen = num(argv[4]);
	int fd = open_dev(argv[2], O_RDWR, &blocks);
	uint32_t *map = load_map(argv[3], blocks, 1);
	uint8_t *buf = xalign(MAX_RUN * BS);

	range_args(argc, argv, 5, blocks, &first, &count);
	for (uint64_t b = first; b < first + count; b += MAX_RUN) {
		uint64_t n = first + count - b < MAX_RUN ? first + count - b :
			     MAX_RUN;

		write_run(fd, buf, map, b, n, gen);
	}
	if (fsync(fd)) {
		perror("stamp: fsync");
		return 2;
	}
	save_map(argv[3], map, blocks);
	return 0;
}

static int cmd_write(int argc, char **argv)
{
	uint64_t blocks, first, count, gen, n, seed, maxrun = 16;
	uint8_t *buf = xalign(MAX_RUN * BS);
	uint32_t *map;
	int fd;

	if (argc < 7)
		return -1;
	gen = num(argv[4]);
	n = num(argv[5]);
	seed = num(argv[6]);
	fd = open_dev(argv[2], O_RDWR, &blocks);
	map = load_map(argv[3], blocks, 1);
	range_args(argc, argv, 7, blocks, &first, &count);
	if (argc > 9)
		maxrun = num(argv[9]);
	if (!maxrun || maxrun > MAX_RUN)
		maxrun = MAX_RUN;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = mix(seed * 1000003 + i);
		uint64_t len = 1 + (r >> 40) % maxrun;
		uint64_t b;

		if (len > count)
			len = count;
		b = first + r % (count - len + 1);
		write_run(fd, buf, map, b, len, gen);
	}
	if (fsync(fd)) {
		perror("stamp: fsync");
		return 2;
	}
	save_map(argv[3], map, blocks);
	return 0;
}

static int cmd_verify(char **argv, int allow_empty)
{
	uint64_t blocks, bad = 0, checked = 0;
	uint8_t *buf = xalign(MAX_RUN * BS);
	char why[160];
	uint32_t *map;
	int fd;

	fd = open_dev(argv[2], O_RDONLY, &blocks);
	map = load_map(argv[3], blocks, 0);
	for (uint64_t b = 0; b < blocks; b += MAX_RUN) {
		uint64_t n = blocks - b < MAX_RUN ? blocks - b : MAX_RUN;
		ssize_t r = pread(fd, buf, n * BS, b * BS);

		if (r != (ssize_t)(n * BS)) {
			fprintf(stderr, "stamp: read of blocks %" PRIu64 "+%"
				PRIu64 ": %s\n", b, n,
				r < 0 ? strerror(errno) : "short");
			return 2;
		}
		for (uint64_t i = 0; i < n; i++) {
			if (!map[b + i])
				continue;
			checked++;
			if (check_block(buf + i * BS, b + i, map[b + i], why,
					sizeof(why))) {
				if (bad++ < 10)
					fprintf(stderr, "stamp: %s block %" PRIu64
						": %s\n", argv[2], b + i, why);
			}
		}
	}
	if (bad) {
		fprintf(stderr, "stamp: %s: %" PRIu64 " of %" PRIu64
			" blocks wrong\n", argv[2], bad, checked);
		return 1;
	}
	if (!checked && !allow_empty) {
		fprintf(stderr, "stamp: %s: %s stamps no block: nothing verified (--allow-empty if that is expected)\n",
			argv[2], argv[3]);
		return 1;
	}
	printf("stamp: %s: %" PRIu64 " blocks verified\n", argv[2], checked);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t blocks;
	int ret = -1;

	if (argc >= 5 && !strcmp(argv[1], "fill"))
		ret = cmd_fill(argc, argv);
	else if (argc >= 7 && !strcmp(argv[1], "write"))
		ret = cmd_write(argc, argv);
	else if (argc == 4 && !strcmp(argv[1], "verify"))
		ret = cmd_verify(argv, 0);
	else if (argc == 5 && !strcmp(argv[1], "verify") &&
		 !strcmp(argv[2], "--allow-empty"))
		ret = cmd_verify(argv + 1, 1);
	else if (argc == 3 && !strcmp(argv[1], "blocks")) {
		close(open_dev(argv[2], O_RDONLY, &blocks));
		printf("%" PRIu64 "\n", blocks);
		ret = 0;
	}
	if (ret < 0) {
		fprintf(stderr,
			"usage: stamp fill DEV MAP GEN [FIRST COUNT]\n"
			"       stamp write DEV MAP GEN N SEED [FIRST COUNT [MAXRUN]]\n"
			"       stamp verify [--allow-empty] DEV MAP\n"
			"       stamp blocks DEV\n");
		return 2;
	}
	return ret;
}
