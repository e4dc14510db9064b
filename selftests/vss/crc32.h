/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crc32 (IEEE 802.3, reflected, as zlib's crc32()) of the stamped test
 * blocks: stamp.c, store_crashio.c and the crash suite's lwcrash.c.  The
 * table is built before main() runs, so threads may use it at once.
 */
#ifndef _VSS_CRC32_H
#define _VSS_CRC32_H

#include <stddef.h>
#include <stdint.h>

static uint32_t vss_crc_table[256];

__attribute__((constructor)) static void vss_crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320U ^ (c >> 1) : c >> 1;
		vss_crc_table[i] = c;
	}
}

static inline uint32_t vss_crc32(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffU;

	while (n--)
		c = vss_crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffU;
}

#endif
