// SPDX-License-Identifier: GPL-2.0
/*
 * store_crashio - deterministic writer and verifier for the LUN crash test
 * (selftests/crash/run --lun).
 *
 * Generation g writes N stamped 4 KiB blocks chosen by a PRNG seeded with
 * (SEED, g); after fsync it records g in a log device (two alternating
 * 4 KiB slots with a checksum, O_DIRECT + fsync).  After a power cut the
 * LUN must hold exactly state(A) for the last logged generation A, except
 * that blocks of generation A+1 (in flight) may already carry it; a
 * snapshot taken right after generation G must hold exactly state(G).
 *
 *   store_crashio write  DEV LOG GEN SEED N
 *   store_crashio acked  LOG                    print the last logged gen
 *   store_crashio verify DEV GEN SEED N [next]  exit 0 match, 1 mismatch
 *
 * Block: magic "VSSCRASH", block number, generation, crc32 of bytes
 * 32..4095, payload derived from (block, generation).  A block never
 * written reads as zeros.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "crc32.h"

#define BS		4096
#define MAGIC		0x4853415243535356ULL	/* "VSSCRASH" */
#define LOG_MAGIC	0x474f4c4353535356ULL	/* "VSSCLOG" */
#define READ_BLOCKS	256

static uint64_t xs(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t gen_state(uint64_t seed, uint64_t gen)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL ^ (gen + 1) * 0xbf58476d1ce4e5b9ULL;

	return s ? s : 1;
}

static void fill_block(uint8_t *b, uint64_t block, uint64_t gen)
{
	uint64_t s = (block + 1) * 0x94d049bb133111ebULL ^ gen;
	uint32_t crc;

	if (!s)
		s = 1;
	for (int i = 32; i < BS; i += 8) {
		uint64_t v = xs(&s);

		memcpy(b + i, &v, 8);
	}
	memcpy(b, &(uint64_t){ MAGIC }, 8);
	memcpy(b + 8, &block, 8);
	memcpy(b + 16, &gen, 8);
	crc = vss_crc32(b + 32, BS - 32);
	memcpy(b + 24, &crc, 4);
	memset(b + 28, 0, 4);
}

static int open_dev(const char *path, int flags, uint64_t *blocks)
{
	uint64_t bytes;
	int fd = open(path, flags | O_DIRECT);

	if (fd < 0) {
		fprintf(stderr, "store_crashio: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (blocks) {
		if (ioctl(fd, BLKGETSIZE64, &bytes)) {
			perror("store_crashio: BLKGETSIZE64");
			exit(2);
		}
		*blocks = bytes / BS;
	}
	return fd;
}

static void *xalloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, BS, n)) {
		perror("store_crashio: memory");
		exit(2);
	}
	memset(p, 0, n);
	return p;
}

/* Blocks of generation @gen, in write order. */
static void gen_blocks(uint64_t seed, uint64_t gen, uint32_t n,
		       uint64_t nblocks, uint64_t *out)
{
	uint64_t s = gen_state(seed, gen);

	for (uint32_t i = 0; i < n; i++)
		out[i] = xs(&s) % nblocks;
}

struct logrec {
	uint64_t magic;
	uint64_t gen;
	uint32_t crc;
};

static uint64_t log_read(int fd)
{
	uint8_t *b = xalloc(2 * BS);
	uint64_t best = 0;

	if (pread(fd, b, 2 * BS, 0) != 2 * BS) {
		perror("store_crashio: log read");
		exit(2);
	}
	for (int s = 0; s < 2; s++) {
		struct logrec r;

		memcpy(&r, b + s * BS, sizeof(r));
		if (r.magic == LOG_MAGIC &&
		    r.crc == vss_crc32((uint8_t *)&r, offsetof(struct logrec, crc)) &&
		    r.gen > best)
			best = r.gen;
	}
	free(b);
	return best;
}

static int cmd_write(char **argv)
{
	uint64_t nblocks, gen = strtoull(argv[4], NULL, 0);
	uint64_t seed = strtoull(argv[5], NULL, 0);
	uint32_t n = strtoul(argv[6], NULL, 0);
	int fd = open_dev(argv[2], O_RDWR, &nblocks);
	int lfd = open_dev(argv[3], O_RDWR, NULL);
	uint64_t *blocks = calloc(n, sizeof(*blocks));
	uint8_t *b = xalloc(BS);
	struct logrec r = { LOG_MAGIC, gen, 0 };

	if (!blocks || !nblocks)
		return 2;
	gen_blocks(seed, gen, n, nblocks, blocks);
	for (uint32_t i = 0; i < n; i++) {
		fill_block(b, blocks[i], gen);
		if (pwrite(fd, b, BS, blocks[i] * BS) != BS) {
			perror("store_crashio: write");
			return 2;
		}
	}
	if (fsync(fd)) {
		perror("store_crashio: fsync");
		return 2;
	}
	memset(b, 0, BS);
	r.crc = vss_crc32((uint8_t *)&r, offsetof(struct logrec, crc));
	memcpy(b, &r, sizeof(r));
	if (pwrite(lfd, b, BS, (gen % 2) * BS) != BS || fsync(lfd)) {
		perror("store_crashio: log write");
		return 2;
	}
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	uint64_t nblocks, gen = strtoull(argv[3], NULL, 0);
	uint64_t seed = strtoull(argv[4], NULL, 0);
	uint32_t n = strtoul(argv[5], NULL, 0);
	int next = argc > 6 && !strcmp(argv[6], "next");
	int fd = open_dev(argv[2], O_RDONLY, &nblocks);
	uint32_t *exp = calloc(nblocks, sizeof(*exp));
	uint8_t *maybe = calloc(nblocks, 1);
	uint64_t *blocks = calloc(n, sizeof(*blocks));
	uint8_t *buf = xalloc(READ_BLOCKS * BS), *want = xalloc(BS);
	uint64_t bad = 0, zero[4] = { 0 };

	if (!exp || !maybe || !blocks)
		return 2;
	for (uint64_t g = 1; g <= gen; g++) {
		gen_blocks(seed, g, n, nblocks, blocks);
		for (uint32_t i = 0; i < n; i++)
			exp[blocks[i]] = g;
	}
	if (next) {
		gen_blocks(seed, gen + 1, n, nblocks, blocks);
		for (uint32_t i = 0; i < n; i++)
			maybe[blocks[i]] = 1;
	}
	for (uint64_t b0 = 0; b0 < nblocks; b0 += READ_BLOCKS) {
		uint64_t cnt = nblocks - b0 < READ_BLOCKS ? nblocks - b0 : READ_BLOCKS;

		if (pread(fd, buf, cnt * BS, b0 * BS) != (ssize_t)(cnt * BS)) {
			perror("store_crashio: read");
			return 2;
		}
		for (uint64_t i = 0; i < cnt; i++) {
			uint64_t blk = b0 + i, g;
			uint8_t *p = buf + i * BS;

			if (!memcmp(p, zero, sizeof(zero)) && !exp[blk] &&
			    !maybe[blk])
				continue;
			memcpy(&g, p + 16, 8);
			if (g == exp[blk] || (maybe[blk] && g == gen + 1)) {
				if (!g && !memcmp(p, zero, sizeof(zero)))
					continue;
				fill_block(want, blk, g);
				if (!memcmp(p, want, BS))
					continue;
			}
			if (bad++ < 5)
				fprintf(stderr, "store_crashio: %s block %" PRIu64
					": has gen %" PRIu64 ", expected %u%s\n",
					argv[2], blk, g, exp[blk],
					maybe[blk] ? " or the next" : "");
		}
	}
	if (bad) {
		fprintf(stderr, "store_crashio: %s: %" PRIu64
			" blocks differ from generation %" PRIu64 "\n",
			argv[2], bad, gen);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "write"))
		return cmd_write(argv);
	if (argc == 3 && !strcmp(argv[1], "acked")) {
		int fd = open_dev(argv[2], O_RDONLY, NULL);

		printf("%" PRIu64 "\n", log_read(fd));
		return 0;
	}
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "verify"))
		return cmd_verify(argc, argv);
	fprintf(stderr, "usage: store_crashio write DEV LOG GEN SEED N | acked LOG | verify DEV GEN SEED N [next]\n");
	return 2;
}
