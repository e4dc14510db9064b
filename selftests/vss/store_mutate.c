// SPDX-License-Identifier: GPL-2.0
/*
 * store_mutate - damage a real vss store the way failing hardware and
 * bugs do, for fault_corrupt_test.sh (Documentation/testing.rst).
 *
 *   store_mutate info DEV        "sb_seq epoch chunk_size nr_chunks
 *                                 log_blocks" of the current superblock
 *   store_mutate stamps DEV      "BYTE_OFFSET BLOCK GEN" of every stamped
 *                                block (selftests/vss/stamp.c) on DEV: where
 *                                the preserved chunks are
 *   store_mutate mutate DEV SEED N [OLD]
 *                                N random mutations, one line each:
 *                                "KIND BYTE_OFFSET"
 *
 * The metadata is found as the engine finds it (Documentation/
 * ondisk-format.rst): the superblock slots, then the log units chained
 * from the superblock's log_head.  Kinds:
 *   sb-flip, log-flip      1..8 random bits flipped (the crc catches it)
 *   sb-field, log-field    bits flipped in the header or the records, the
 *                          crc32c recomputed: well-formed but lying
 *                          metadata, what the validation must catch
 *   sb-zero, log-zero      one 512-byte sector zeroed
 *   log-torn               a 4 KiB block torn: its sectors from k on come
 *                          from the OLD image (an older write), or zeros
 *   sb-stale, log-stale    a whole block from the OLD image (an older
 *                          commit or log epoch)
 *   chunk-flip, chunk-zero a block of the chunk area that holds neither
 *                          a log block nor a chunk an exception record of
 *                          the log names: free chunks, which may hold
 *                          stale data (the engine must not read them)
 * Preserved data chunks are not damaged: the format has no data
 * checksums, so no engine could tell (as dm-snapshot cannot).
 *
 * All I/O is O_DIRECT.  Exit 0 on success, 2 on errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <unistd.h>

#define BS		4096
#define SB_MAGIC	0x45524f5453535356ULL
#define LOG_MAGIC	0x4c535356U
#define STAMP_MAGIC	0x504d415453535356ULL
#define NO_CHUNK	UINT64_MAX
#define MAX_LOG		65536

static uint32_t crc_tab[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		crc_tab[i] = c;
	}
}

/* crc32c, seed ~0, no final inversion, with the crc field at @off zero */
static uint32_t block_crc(uint8_t *b, size_t off)
{
	uint32_t c = 0xffffffffU, saved;

	memcpy(&saved, b + off, 4);
	memset(b + off, 0, 4);
	for (size_t i = 0; i < BS; i++)
		c = crc_tab[(c ^ b[i]) & 0xff] ^ (c >> 8);
	memcpy(b + off, &saved, 4);
	return c;
}

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int fd, old_fd = -1;
static uint8_t *buf, *obuf;
static uint64_t dev_bytes;

static int rd(int f, uint8_t *b, uint64_t off)
{
	if (pread(f, b, BS, off) != BS) {
		perror("store_mutate: read");
		return -1;
	}
	return 0;
}

static int wr(const uint8_t *b, uint64_t off)
{
	if (pwrite(fd, b, BS, off) != BS) {
		perror("store_mutate: write");
		return -1;
	}
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

struct geo {
	uint64_t sb_seq, epoch, nr_chunks;
	uint32_t chunk_size, unit_chunks;
	uint64_t log[MAX_LOG];		/* byte offsets of the log blocks */
	size_t nlog;
	uint64_t data[MAX_LOG];		/* store chunks named by exceptions */
	size_t ndata;
};

static struct geo g;

static int is_log_off(uint64_t off)
{
	for (size_t i = 0; i < g.nlog; i++)
		if (g.log[i] == off)
			return 1;
	return 0;
}

static int is_data_chunk(uint64_t c)
{
	for (size_t i = 0; i < g.ndata; i++)
		if (g.data[i] == c)
			return 1;
	return 0;
}

/* the store chunks of a log block's exception records */
static void scan_records(const uint8_t *b)
{
	uint16_t count, bytes;
	size_t p = 112;

	memcpy(&count, b + 104, 2);
	memcpy(&bytes, b + 106, 2);
	if (bytes > BS - 112)
		return;
	while (count-- && p + 4 <= 112 + (size_t)bytes) {
		size_t len = b[p] == 1 ? 20 : b[p] == 2 ? 48 : 4;

		if (b[p] == 1 && p + 20 <= BS && g.ndata < MAX_LOG)
			g.data[g.ndata++] = le64(b + p + 12);
		p += len;
	}
}

/* The current superblock and the log chain, as the engine reads them. */
static int scan(void)
{
	uint64_t unit[4], seen = 0;
	int best = -1;
	uint64_t bpc;

	memset(&g, 0, sizeof(g));
	for (int s = 0; s < 2; s++) {
		if (rd(fd, buf, (uint64_t)s * BS))
			return -1;
		if (le64(buf) != SB_MAGIC)
			continue;
		if (best < 0 || le64(buf + 16) > g.sb_seq) {
			best = s;
			g.sb_seq = le64(buf + 16);
		}
	}
	if (best < 0)
		return 0;
	if (rd(fd, buf, (uint64_t)best * BS))
		return -1;
	g.chunk_size = le32(buf + 40);
	g.nr_chunks = le64(buf + 48);
	g.epoch = le64(buf + 104);
	g.unit_chunks = le32(buf + 164);
	if (g.chunk_size < BS || g.chunk_size > (1 << 20) ||
	    g.unit_chunks < 1 || g.unit_chunks > 4)
		return 0;
	for (int i = 0; i < 4; i++)
		unit[i] = le64(buf + 112 + 8 * i);
	bpc = g.chunk_size / BS;
	/* every unit's blocks; the next unit is named in each block */
	while (seen++ < 4096 && unit[0] != NO_CHUNK) {
		uint64_t nblk = g.unit_chunks * bpc, next[4];
		int have_next = 0;

		for (uint64_t b = 0; b < nblk && g.nlog < MAX_LOG; b++) {
			uint64_t c = unit[b / bpc], off;

			if (c == NO_CHUNK || c >= g.nr_chunks)
				return 0;
			off = c * g.chunk_size + (b % bpc) * BS;
			if (off + BS > dev_bytes)
				return 0;
			g.log[g.nlog++] = off;
			if (rd(fd, buf, off))
				return -1;
			if (le32(buf) == LOG_MAGIC && le64(buf + 24) == g.epoch)
				scan_records(buf);
			if (!have_next && le32(buf) == LOG_MAGIC &&
			    le64(buf + 24) == g.epoch) {
				for (int i = 0; i < 4; i++)
					next[i] = le64(buf + 64 + 8 * i);
				have_next = 1;
			}
		}
		if (!have_next)
			break;
		memcpy(unit, next, sizeof(unit));
	}
	return 0;
}

static void flip_bits(uint8_t *b, size_t from, size_t len)
{
	int n = 1 + rnd_below(8);

	while (n--) {
		size_t i = from + rnd_below(len);

		b[i] ^= 1 << rnd_below(8);
	}
}

/* a random log block offset that holds a log block (or any one) */
static uint64_t pick_log(void)
{
	for (int t = 0; t < 16; t++) {
		uint64_t off = g.log[rnd_below(g.nlog)];

		if (rd(fd, buf, off) == 0 && le32(buf) == LOG_MAGIC)
			return off;
	}
	return g.log[rnd_below(g.nlog)];
}

static int mutate_one(void)
{
	static const char * const kinds[] = {
		"sb-flip", "sb-field", "sb-zero", "sb-stale",
		"log-flip", "log-field", "log-field", "log-zero", "log-torn",
		"log-stale", "chunk-flip", "chunk-zero",
	};
	const char *k = kinds[rnd_below(sizeof(kinds) / sizeof(kinds[0]))];
	uint64_t off;

	if (!strncmp(k, "log", 3) && !g.nlog)
		k = "sb-field";
	if (!strcmp(k + 3, "-stale") && old_fd < 0)
		k = !strncmp(k, "sb", 2) ? "sb-zero" : "log-torn";
	if (!strncmp(k, "sb", 2))
		off = rnd_below(2) * BS;
	else if (!strncmp(k, "log", 3))
		off = pick_log();
	else {
		/*
		 * chunk area: neither metadata nor data an exception names
		 * (free chunks, stale data of dropped snapshots included)
		 */
		uint64_t first = (8192 + g.chunk_size - 1) / g.chunk_size;
		uint64_t blocks = g.nr_chunks * (g.chunk_size / BS);
		int t;

		for (t = 0; t < 64; t++) {
			off = (first * (g.chunk_size / BS) +
			       rnd_below(blocks - first * (g.chunk_size / BS))) * BS;
			if (off + BS > dev_bytes || is_log_off(off) ||
			    is_data_chunk(off / g.chunk_size))
				continue;
			break;
		}
		if (t == 64) {
			k = "sb-flip";
			off = rnd_below(2) * BS;
		}
	}
	if (rd(fd, buf, off))
		return -1;
	if (!strcmp(k, "sb-flip") || !strcmp(k, "log-flip") ||
	    !strcmp(k, "chunk-flip")) {
		flip_bits(buf, 0, BS);
	} else if (!strcmp(k, "sb-field")) {
		/* the 184 bytes of fields, crc fixed up */
		flip_bits(buf, 8, 176);
		if (le64(buf) == SB_MAGIC) {
			uint32_t c = block_crc(buf, 12);

			memcpy(buf + 12, &c, 4);
		}
	} else if (!strcmp(k, "log-field")) {
		uint16_t bytes;

		memcpy(&bytes, buf + 106, 2);
		if (bytes > BS - 112)
			bytes = BS - 112;
		/* header fields or the records, crc fixed up */
		if (rnd_below(2) || !bytes)
			flip_bits(buf, 8, 104);
		else
			flip_bits(buf, 112, bytes);
		if (le32(buf) == LOG_MAGIC) {
			uint32_t c = block_crc(buf, 4);

			memcpy(buf + 4, &c, 4);
		}
	} else if (!strcmp(k + strlen(k) - 5, "-zero")) {
		memset(buf + 512 * rnd_below(8), 0, 512);
	} else if (!strcmp(k, "log-torn")) {
		size_t from = 512 * (1 + rnd_below(7));

		if (old_fd >= 0 && rd(old_fd, obuf, off) == 0)
			memcpy(buf + from, obuf + from, BS - from);
		else
			memset(buf + from, 0, BS - from);
	} else {	/* stale */
		if (rd(old_fd, buf, off))
			return -1;
	}
	if (wr(buf, off))
		return -1;
	printf("%s %" PRIu64 "\n", k, off);
	return 0;
}

int main(int argc, char **argv)
{
	int info = argc == 3 && !strcmp(argv[1], "info");
	int stamps = argc == 3 && !strcmp(argv[1], "stamps");

	info |= stamps;
	if (!info && !((argc == 5 || argc == 6) && !strcmp(argv[1], "mutate"))) {
		fprintf(stderr, "usage: store_mutate info|stamps DEV | mutate DEV SEED N [OLD]\n");
		return 2;
	}
	crc_init();
	if (posix_memalign((void **)&buf, BS, BS) ||
	    posix_memalign((void **)&obuf, BS, BS))
		return 2;
	fd = open(argv[2], (info ? O_RDONLY : O_RDWR) | O_DIRECT);
	if (fd < 0 && errno == EINVAL)	/* an image on tmpfs */
		fd = open(argv[2], info ? O_RDONLY : O_RDWR);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	if (ioctl(fd, BLKGETSIZE64, &dev_bytes)) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0)
			return 2;
		dev_bytes = end;
	}
	if (stamps) {
		for (uint64_t off = 0; off + BS <= dev_bytes; off += BS) {
			if (rd(fd, buf, off))
				return 2;
			if (le64(buf) == STAMP_MAGIC)
				printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", off,
				       le64(buf + 8), le64(buf + 16));
		}
		return 0;
	}
	if (scan())
		return 2;
	if (info) {
		printf("%" PRIu64 " %" PRIu64 " %u %" PRIu64 " %zu\n", g.sb_seq,
		       g.epoch, g.chunk_size, g.nr_chunks, g.nlog);
		return 0;
	}
	if (!g.chunk_size) {
		fprintf(stderr, "store_mutate: %s holds no vss store\n", argv[2]);
		return 2;
	}
	rng = strtoull(argv[3], NULL, 0) * 0x9e3779b97f4a7c15ULL + 1;
	if (argc == 6) {
		old_fd = open(argv[5], O_RDONLY);	/* tmpfs: no O_DIRECT on 6.1 */
		if (old_fd < 0) {
			perror(argv[5]);
			return 2;
		}
	}
	for (long n = strtol(argv[4], NULL, 0); n > 0; n--)
		if (mutate_one())
			return 2;
	if (fsync(fd))
		return 2;
	return 0;
}
