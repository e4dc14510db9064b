// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl writer exec - running the programs of a writer event.  See hooks.h.
 *
 * A program's standard output goes to a memfd, not a pipe: a freeze hook
 * may leave a helper running in the background (a client holding a lock
 * until thaw) with the same standard output, and a pipe would either never
 * reach end-of-file or, once closed, kill that helper with SIGPIPE.  The
 * program's end is awaited on a pidfd, so a deadline can be kept without
 * polling.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vssctl.h>

#include "hooks.h"

/* How long each thaw that undoes a vetoed freeze may take. */
#define HOOK_UNDO_MS 30000

long long hooks_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

bool hooks_descending(const char *event)
{
	return !strcmp(event, "thaw") || !strcmp(event, "abort");
}

/* qemu-guest-agent's fsfreeze-hook ignores the same leftovers */
static bool hook_ignored(const char *name)
{
	static const char *const suffixes[] = {
		".bak", ".dpkg-dist", ".dpkg-new", ".dpkg-old", ".dpkg-tmp",
		".rpmnew", ".rpmorig", ".rpmsave", ".sample", ".swp", "~",
	};
	size_t len = strlen(name);

	if (name[0] == '.')
		return true;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len >= sl && !strcmp(name + len - sl, suffixes[i]))
			return true;
	}
	return false;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void hooks_free_list(char **names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

int hooks_list(const char *dir, char ***names, size_t *nr)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;
		char *path;

		if (hook_ignored(de->d_name))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		/* symlinks to programs count, as in the stock hook */
		if (stat(path, &st) || !S_ISREG(st.st_mode) ||
		    access(path, X_OK)) {
			free(path);
			continue;
		}
		if (n == cap) {
			char **nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(path);
				err = -ENOMEM;
				break;
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		v[n++] = path;
	}
	closedir(d);
	if (err) {
		hooks_free_list(v, n);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	*nr = n;
	return 0;
}

static int pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Waits for @pid until @deadline_ms (0: for ever); 0 or -ETIMEDOUT. */
static int wait_child(pid_t pid, long long deadline_ms, int *wstatus)
{
	int pfd = pidfd_open_compat(pid);

	for (;;) {
		long long left = deadline_ms ? deadline_ms - hooks_now_ms() : -1;
		pid_t r = waitpid(pid, wstatus, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			*wstatus = 127 << 8;
			break;
		}
		if (deadline_ms && left <= 0) {
			if (pfd >= 0)
				close(pfd);
			return -ETIMEDOUT;
		}
		if (pfd >= 0) {
			struct pollfd p = { .fd = pfd, .events = POLLIN };

			poll(&p, 1, left < 0 || left > 1000 ? 1000 : (int)left);
		} else {
			/* no pidfd (old kernel): look again in 10 ms */
			struct timespec ts = { 0, 10 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	if (pfd >= 0)
		close(pfd);
	return 0;
}

/* Copies the memfd's content to @out and its first line to @line. */
static void collect_output(int fd, FILE *out, char *line, size_t linelen)
{
	char buf[8192];
	bool first = true;
	size_t used = 0;
	off_t off = 0;
	ssize_t n;

	line[0] = '\0';
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		off += n;
		if (out)
			fwrite(buf, 1, (size_t)n, out);
		for (ssize_t i = 0; i < n && first; i++) {
			if (buf[i] == '\n') {
				first = false;
				break;
			}
			if (used + 1 < linelen)
				line[used++] = buf[i];
		}
		line[used] = '\0';
		/* a helper left running may write for ever: take 1 MiB */
		if (off >= (1 << 20))
			break;
	}
	if (out)
		fflush(out);
}

/* Runs @argv + @event; fills @res, returns 0 on success, 1 on failure. */
static int run_one(char *const *argv, const char *event, FILE *out,
		   long long deadline_ms, struct hook_result *res)
{
	char **args;
	int fd, wstatus = 0, argc = 0;
	pid_t pid;

	while (argv[argc])
		argc++;
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		return -ENOMEM;
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	args[argc] = (char *)event;
	snprintf(res->program, sizeof(res->program), "%s", argv[0]);
	res->ran++;

	fd = memfd_create("vssctl-hook-stdout", MFD_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		free(args);
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fd);
		free(args);
		return err;
	}
	if (pid == 0) {
		/* own process group: a deadline kills its helpers too */
		setpgid(0, 0);
		dup2(fd, STDOUT_FILENO);
		execvp(args[0], args);
		printf("cannot run %s: %s\n", args[0], strerror(errno));
		fflush(stdout);
		_exit(127);
	}
	setpgid(pid, pid);
	free(args);
	if (wait_child(pid, deadline_ms, &wstatus) == -ETIMEDOUT) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &wstatus, 0);
		collect_output(fd, out, res->message, sizeof(res->message));
		close(fd);
		res->status = 128 + SIGKILL;
		res->hr_writer = VSS_E_WRITERERROR_NONRETRYABLE;
		snprintf(res->message, sizeof(res->message),
			 "%s %s did not finish in time (killed)", argv[0],
			 event);
		return 1;
	}
	collect_output(fd, out, res->message, sizeof(res->message));
	close(fd);
	if (WIFEXITED(wstatus))
		res->status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		res->status = 128 + WTERMSIG(wstatus);
	else
		res->status = 127;
	if (res->status == 0) {
		res->message[0] = '\0';
		return 0;
	}
	res->hr_writer = res->status == 1 ? VSS_E_WRITERERROR_RETRYABLE :
			 VSS_E_WRITERERROR_NONRETRYABLE;
	if (!res->message[0]) {
		if (WIFSIGNALED(wstatus))
			snprintf(res->message, sizeof(res->message),
				 "%s %s killed by signal %d", argv[0], event,
				 WTERMSIG(wstatus));
		else
			snprintf(res->message, sizeof(res->message),
				 "%s %s exited with status %d", argv[0], event,
				 res->status);
	}
	return 1;
}

int hooks_run(const struct hooks *h, const char *event, long long deadline_ms,
	      struct hook_result *res)
{
	char **names = NULL;
	size_t nr = 0, i;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (h->argv) {
		rc = run_one(h->argv, event, h->out, deadline_ms, res);
		goto out;
	}
	rc = hooks_list(h->dir, &names, &nr);
	if (rc)
		return rc;
	for (i = 0; i < nr; i++) {
		size_t k = hooks_descending(event) ? nr - 1 - i : i;
		char *argv[2] = { names[k], NULL };

		rc = run_one(argv, event, h->out, deadline_ms, res);
		if (rc)
			break;
	}
	/* a veto at freeze: thaw the ones already frozen, newest first */
	if (rc == 1 && !strcmp(event, "freeze")) {
		struct hook_result undo;

		while (i-- > 0) {
			char *argv[2] = { names[i], NULL };

			memset(&undo, 0, sizeof(undo));
			run_one(argv, "thaw", h->out,
				hooks_now_ms() + HOOK_UNDO_MS, &undo);
		}
	}
	hooks_free_list(names, nr);
out:
	if (rc == 0)
		res->program[0] = '\0';
	return rc;
}
