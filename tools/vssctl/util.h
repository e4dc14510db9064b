/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vssctl - argument parsing helpers and exit codes.
 */
#ifndef VSSCTL_UTIL_H
#define VSSCTL_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Exit codes (documented in vssctl(8); scripts rely on them, never renumber).
 */
enum vssctl_exit {
	VSSCTL_EXIT_OK = 0,
	VSSCTL_EXIT_FAIL = 1,		/* the operation failed (other errors) */
	VSSCTL_EXIT_USAGE = 2,		/* bad command line */
	VSSCTL_EXIT_NOMODULE = 3,	/* vss module not loaded / family missing */
	VSSCTL_EXIT_PERM = 4,		/* EPERM, EACCES */
	VSSCTL_EXIT_NOTFOUND = 5,	/* ENOENT, ENODEV, ENXIO: no such object */
	VSSCTL_EXIT_BUSY = 6,		/* EBUSY: in use, held by a session */
	VSSCTL_EXIT_EXISTS = 7,		/* EEXIST */
	VSSCTL_EXIT_NOSPACE = 8,	/* ENOSPC: store full, limit reached */
	VSSCTL_EXIT_TIMEOUT = 9,	/* ETIMEDOUT, ECANCELED */
	VSSCTL_EXIT_INVALID = 10,	/* EINVAL, ERANGE: the kernel refused the arguments */
	VSSCTL_EXIT_WRITER = 11,	/* a writer vetoed or did not answer: no snapshot */
};

int exit_code_from_errno(int err);

/*
 * Sizes: decimal digits with an optional binary suffix K, M, G or T (case
 * insensitive, optionally followed by "B" or "iB"): "4096", "64K", "1MiB".
 * Return: 0, -EINVAL (syntax) or -ERANGE (does not fit 64 bits).
 */
int parse_size(const char *s, uint64_t *out);

/*
 * Options of a command: "--name VALUE", "--name=VALUE" or a flag "--name";
 * names match exactly.  Positional arguments are collected in order.
 */
struct opt {
	const char *name;		/* without the leading "--" */
	bool has_arg;
	const char **value;		/* for has_arg */
	bool *flag;			/* for !has_arg */
};

/*
 * Return: the number of positional arguments stored in @pos (at most
 * @max_pos), or -1 after printing the problem to stderr.
 */
int parse_opts(int argc, char **argv, const struct opt *opts,
	       const char **pos, int max_pos);

/* True if @s is "help", "-h" or "--help". */
bool is_help(const char *s);

#endif /* VSSCTL_UTIL_H */
