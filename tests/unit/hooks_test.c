// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit tests of vssctl writer exec's hook runner (tools/vssctl/hooks.c):
 * exit status -> hrWriter, the first line of stdout as the message, the
 * order of a hooks directory per event, what is skipped, the undo of a
 * vetoed freeze, a deadline that kills a hung hook, and a helper left in
 * the background that does not block the event.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vssctl.h>

#include "hooks.h"
#include "tap.h"

static char dir[] = "/tmp/vssctl-hooks-test.XXXXXX";
static char logpath[64];

static void script(const char *name, mode_t mode, const char *body)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		printf("# cannot write %s\n", path);
		exit(1);
	}
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, mode);
}

/* The log the scripts append to, as one string. */
static char *read_log(void)
{
	static char buf[4096];
	FILE *f = fopen(logpath, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void clear_log(void)
{
	unlink(logpath);
}

/* A stock fsfreeze-hook.d script: logs freeze/thaw, ignores the rest. */
static const char *stock(const char *tag)
{
	static char body[1024];

	snprintf(body, sizeof(body),
		 "case \"$1\" in\n"
		 "freeze) echo \"%s freeze\" >> %s ;;\n"
		 "thaw) echo \"%s thaw\" >> %s ;;\n"
		 "*) ;;\n"
		 "esac\nexit 0", tag, logpath, tag, logpath);
	return body;
}

static int run_prog(const char *body, const char *event, long long deadline,
		    struct hook_result *res)
{
	char path[4200];
	char *argv[] = { path, (char *)"arg1", NULL };
	struct hooks h = { .argv = argv, .out = NULL };

	script("prog", 0755, body);
	snprintf(path, sizeof(path), "%s/prog", dir);
	return hooks_run(&h, event, deadline, res);
}

static void test_exit_codes(void)
{
	struct hook_result r;

	CHECK_EQ_INT(run_prog("echo ok; exit 0", "freeze", 0, &r), 0);
	CHECK_EQ_INT(r.status, 0);
	CHECK_EQ_U64(r.hr_writer, 0);

	CHECK_EQ_INT(run_prog("echo 'database busy'; echo more; exit 1",
			      "freeze", 0, &r), 1);
	CHECK_EQ_INT(r.status, 1);
	CHECK_EQ_U64(r.hr_writer, VSS_E_WRITERERROR_RETRYABLE);
	CHECK_STR(r.message, "database busy");

	CHECK_EQ_INT(run_prog("echo 'disk gone'; exit 2", "thaw", 0, &r), 1);
	CHECK_EQ_U64(r.hr_writer, VSS_E_WRITERERROR_NONRETRYABLE);
	CHECK_STR(r.message, "disk gone");

	/* another status, no output: non-retryable, a message saying so */
	CHECK_EQ_INT(run_prog("exit 3", "prepare-snapshot", 0, &r), 1);
	CHECK_EQ_INT(r.status, 3);
	CHECK_EQ_U64(r.hr_writer, VSS_E_WRITERERROR_NONRETRYABLE);
	CHECK(strstr(r.message, "prepare-snapshot exited with status 3"));

	CHECK_EQ_INT(run_prog("kill -TERM $$", "freeze", 0, &r), 1);
	CHECK_EQ_INT(r.status, 128 + 15);
	CHECK(strstr(r.message, "killed by signal 15"));
}

static void test_arguments(void)
{
	struct hook_result r;
	char body[600];

	clear_log();
	snprintf(body, sizeof(body), "echo \"$#:$*\" >> %s", logpath);
	CHECK_EQ_INT(run_prog(body, "post-snapshot", 0, &r), 0);
	CHECK_STR(read_log(), "2:arg1 post-snapshot\n");
}

static void test_cannot_run(void)
{
	char *argv[] = { (char *)"/nonexistent/hook", NULL };
	struct hooks h = { .argv = argv };
	struct hook_result r;

	CHECK_EQ_INT(hooks_run(&h, "freeze", 0, &r), 1);
	CHECK_EQ_INT(r.status, 127);
	CHECK_EQ_U64(r.hr_writer, VSS_E_WRITERERROR_NONRETRYABLE);
	CHECK(strstr(r.message, "cannot run /nonexistent/hook"));
}

static void test_dir_order(void)
{
	struct hooks h = { .dir = dir };
	struct hook_result r;
	char **names;
	size_t nr;

	script("prog", 0644, "exit 9");		/* not executable */
	script("20-b", 0755, stock("b"));
	script("10-a", 0755, stock("a"));
	script("30-c", 0755, stock("c"));
	script("40-d.dpkg-old", 0755, "exit 1");
	script("40-d~", 0755, "exit 1");
	script(".hidden", 0755, "exit 1");
	{
		char sub[4200];

		snprintf(sub, sizeof(sub), "%s/50-dir", dir);
		mkdir(sub, 0755);
	}

	CHECK_EQ_INT(hooks_list(dir, &names, &nr), 0);
	CHECK_EQ_U64(nr, 3);
	if (nr == 3) {
		CHECK(strstr(names[0], "/10-a"));
		CHECK(strstr(names[2], "/30-c"));
	}
	hooks_free_list(names, nr);

	clear_log();
	CHECK_EQ_INT(hooks_run(&h, "freeze", 0, &r), 0);
	CHECK_EQ_INT(r.ran, 3);
	CHECK_EQ_INT(hooks_run(&h, "thaw", 0, &r), 0);
	CHECK_EQ_INT(hooks_run(&h, "abort", 0, &r), 0);
	CHECK_EQ_INT(hooks_run(&h, "identify", 0, &r), 0);
	CHECK_STR(read_log(),
		  "a freeze\nb freeze\nc freeze\nc thaw\nb thaw\na thaw\n");
	CHECK(hooks_descending("thaw") && hooks_descending("abort"));
	CHECK(!hooks_descending("freeze") && !hooks_descending("post-snapshot"));
}

static void test_dir_veto_undo(void)
{
	struct hooks h = { .dir = dir };
	struct hook_result r;
	char body[800];

	/* 25-x vetoes freeze: a and b were frozen and are thawed, c never ran */
	snprintf(body, sizeof(body),
		 "[ \"$1\" = freeze ] || exit 0\necho \"x freeze\" >> %s\n"
		 "echo 'x is not ready'\nexit 1", logpath);
	script("25-x", 0755, body);
	clear_log();
	CHECK_EQ_INT(hooks_run(&h, "freeze", 0, &r), 1);
	CHECK_EQ_U64(r.hr_writer, VSS_E_WRITERERROR_RETRYABLE);
	CHECK_STR(r.message, "x is not ready");
	CHECK(strstr(r.program, "/25-x"));
	CHECK_STR(read_log(),
		  "a freeze\nb freeze\nx freeze\nb thaw\na thaw\n");
	script("25-x", 0644, "exit 0");
}

static void test_deadline(void)
{
	struct hook_result r;
	long long t0 = hooks_now_ms();

	CHECK_EQ_INT(run_prog("sleep 30", "freeze", t0 + 300, &r), 1);
	CHECK(hooks_now_ms() - t0 < 5000);
	CHECK_EQ_INT(r.status, 128 + 9);
	CHECK(strstr(r.message, "did not finish in time"));
}

static void test_background_helper(void)
{
	struct hook_result r;
	long long t0 = hooks_now_ms();

	/* a helper keeps stdout open for 3 s: the event ends at the exit */
	CHECK_EQ_INT(run_prog("echo locked; (sleep 3; echo late) & exit 0",
			      "freeze", 0, &r), 0);
	CHECK(hooks_now_ms() - t0 < 2000);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(logpath, sizeof(logpath), "%s.log", dir);
	RUN(test_exit_codes);
	RUN(test_arguments);
	RUN(test_cannot_run);
	RUN(test_dir_order);
	RUN(test_dir_veto_undo);
	RUN(test_deadline);
	RUN(test_background_helper);
	{
		char cmd[8300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, logpath);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
