/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vssctl writer exec - running a program, or every executable of a hooks
 * directory, for one writer event (the fsfreeze-hook.d convention: the
 * event name is the last argument).
 *
 * Exit status 0 is success; 1 a veto with VSS_E_WRITERERROR_RETRYABLE;
 * 2 or any other failure (another status, death by a signal, a program
 * that cannot be run, a deadline passed) a veto with
 * VSS_E_WRITERERROR_NONRETRYABLE.  The first line of the failed program's
 * standard output is the failure's message.
 */
#ifndef VSSCTL_HOOKS_H
#define VSSCTL_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HOOK_MESSAGE_MAX 511

/**
 * struct hooks - what runs for an event
 * @argv: PROGRAM ARG..., NULL-terminated (the event is appended), or NULL
 * @dir: with @argv NULL, every executable of this directory
 * @out: where the programs' standard output is copied (also captured)
 */
struct hooks {
	char **argv;
	const char *dir;
	FILE *out;
};

/**
 * struct hook_result - how an event went
 * @status: exit status of the program that failed (0 on success), 128 + N
 *	for death by signal N, 127 when it could not be run
 * @hr_writer: 0, VSS_E_WRITERERROR_RETRYABLE or _NONRETRYABLE
 * @program: the program that failed (its path; "" on success)
 * @message: first line of its standard output, or why it failed
 * @ran: programs run (a hooks directory may have none)
 */
struct hook_result {
	int status;
	uint32_t hr_writer;
	char program[4096];
	char message[HOOK_MESSAGE_MAX + 1];
	unsigned int ran;
};

/**
 * hooks_list() - the executables of @dir, in ascending byte order
 * @dir: directory
 * @names: receives a malloc'ed array of malloc'ed paths (free with
 *	hooks_free_list())
 * @nr: receives its length
 *
 * Skips hidden files, non-executables, directories, and package-manager
 * and editor leftovers (*.dpkg-old, *.rpmsave, *~, *.bak, *.sample ...), as
 * qemu-guest-agent's fsfreeze-hook does.
 *
 * Return: 0 or -errno.
 */
int hooks_list(const char *dir, char ***names, size_t *nr);
void hooks_free_list(char **names, size_t nr);

/* True if the hooks of @event run in descending order (thaw, abort). */
bool hooks_descending(const char *event);

/**
 * hooks_run() - run @event
 * @h: what runs
 * @event: the event's name, the programs' last argument
 * @deadline_ms: CLOCK_MONOTONIC milliseconds after which a program still
 *	running is killed (its process group) and fails; 0 for none
 * @res: receives the outcome
 *
 * A hooks directory runs its executables one after the other, ascending
 * (descending for thaw and abort), and stops at the first failure.  A
 * failure of freeze undoes the ones already frozen: those get "thaw",
 * descending, so that a veto leaves no application frozen.
 *
 * Return: 0 on success, 1 on a failure (see @res), -errno when the
 * directory cannot be read.
 */
int hooks_run(const struct hooks *h, const char *event, long long deadline_ms,
	      struct hook_result *res);

/* CLOCK_MONOTONIC in milliseconds. */
long long hooks_now_ms(void);

#endif /* VSSCTL_HOOKS_H */
