/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kmod/identity.c needs from the kernel, for the host unit test.
 */
#ifndef _VSS_IDENTITY_HOST_H
#define _VSS_IDENTITY_HOST_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

/* the kernel's crc32_le(): reflected, no final inversion */
static inline u32 crc32_le(u32 crc, const void *buf, size_t n)
{
	const u8 *p = buf;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? 0xedb88320U ^ (crc >> 1) : crc >> 1;
	}
	return crc;
}

#endif /* _VSS_IDENTITY_HOST_H */
