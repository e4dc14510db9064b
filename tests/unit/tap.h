/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal TAP producer for the host unit tests: each test function is one
 * TAP line; checks inside it print diagnostics and mark it failed.
 * The closing line "N passed, N failed" is what `make unit-tests` greps.
 */
#ifndef VSS_TAP_H
#define VSS_TAP_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed;
static bool tap_cur_failed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("#   %s:%d: check failed: %s\n",		\
			       __FILE__, __LINE__, #cond);		\
			tap_cur_failed = true;				\
		}							\
	} while (0)

#define CHECK_EQ_INT(a, b)						\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			printf("#   %s:%d: %s == %lld, expected %lld\n",\
			       __FILE__, __LINE__, #a, _a, _b);		\
			tap_cur_failed = true;				\
		}							\
	} while (0)

#define CHECK_EQ_U64(a, b)						\
	do {								\
		uint64_t _a = (a), _b = (b);				\
		if (_a != _b) {						\
			printf("#   %s:%d: %s == %" PRIu64 ", expected %" PRIu64 "\n",\
			       __FILE__, __LINE__, #a, _a, _b);		\
			tap_cur_failed = true;				\
		}							\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (!_a || strcmp(_a, _b)) {				\
			printf("#   %s:%d: %s == \"%s\", expected \"%s\"\n",\
			       __FILE__, __LINE__, #a, _a ? _a : "(null)", _b);\
			tap_cur_failed = true;				\
		}							\
	} while (0)

#define RUN(fn)								\
	do {								\
		tap_cur_failed = false;					\
		fn();							\
		tap_run++;						\
		if (tap_cur_failed)					\
			tap_failed++;					\
		printf("%sok %d - %s\n", tap_cur_failed ? "not " : "",	\
		       tap_run, #fn);					\
		fflush(stdout);						\
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_run);
	printf("# %d passed, %d failed\n", tap_run - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif /* VSS_TAP_H */
