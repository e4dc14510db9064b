/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vssctl - shared declarations of the command implementations.
 */
#ifndef VSSCTL_CLI_H
#define VSSCTL_CLI_H

#include <stdbool.h>

#include <vssctl.h>

#include "print.h"
#include "util.h"

/* From the build: the version of libvssctl (its last symbol version node). */
#ifndef VSSCTL_VERSION	/* only for checkers that run without the build's flags */
#define VSSCTL_VERSION "unknown"
#endif

/**
 * struct cmd - one word of the command line
 * @name: matched exactly
 * @fn: runs it with the remaining arguments; returns an exit code
 * @usage: one line, shown by "help"
 */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

/* Runs the command named argv[0] of @cmds, or prints help. */
int dispatch(const char *object, const struct cmd *cmds, int argc,
	     char **argv);
void print_usage(FILE *out, const char *object, const struct cmd *cmds);

/* The library context, created on first use; NULL after printing why. */
struct vss_ctx *get_ctx(void);
/* Exit code after get_ctx() failed. */
int ctx_exit_code(void);
void put_ctx(void);
/* Prints "vssctl: WHAT: reason" with the kernel's message; returns the exit code. */
int report_error(const char *what, int err);
/* Parses an id argument, printing the problem; returns 0 or an exit code. */
int parse_id_arg(const char *what, const char *s, vss_id_t *id);

/* One object, under @key in JSON (NULL at the top level or in an array). */
void print_lun(const char *key, const struct vss_lun_info *li);
void print_snapshot(const char *key, const struct vss_snapshot_info *si);
void print_session(const char *key, const struct vss_session_info *si);
void print_writer_status(const char *key, const struct vss_writer_status *ws);

/* "/dev/mapper/vg-lv" -> "vg_lv": a valid LUN name from a device path. */
int lun_name_from_path(const char *path, char *name, size_t size);

int do_lun(int argc, char **argv);
int do_snapshot(int argc, char **argv);
int do_session(int argc, char **argv);
int do_monitor(int argc, char **argv);
int do_writer(int argc, char **argv);
int do_recover(int argc, char **argv);	/* cmd_recover.c */
int do_resync(int argc, char **argv);	/* cmd_resync.c */

#endif /* VSSCTL_CLI_H */
