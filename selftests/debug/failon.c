// SPDX-License-Identifier: GPL-2.0
/*
 * libvss_failon.so - LD_PRELOAD helper of selftests/vss/debug_sweep.sh.
 *
 * Sets /proc/self/make-it-fail once the program is loaded, so that the
 * fault-injection attributes with task-filter=Y (failslab, fail_page_alloc)
 * hit what the program does (its netlink requests, its I/O submissions)
 * and not its own exec: a failure during exec or the dynamic loader would
 * only test the kernel's exec path.  VSS_FAIL_NTH=N also arms
 * /proc/thread-self/fail-nth (the N-th fault site of this thread fails).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		_exit(99);	/* a sweep that injects nothing must not pass */
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		_exit(99);
	close(fd);
}

__attribute__((constructor)) static void failon(void)
{
	const char *nth = getenv("VSS_FAIL_NTH");

	put("/proc/self/make-it-fail", "1");
	if (nth && *nth && strcmp(nth, "0"))
		put("/proc/thread-self/fail-nth", nth);
}
