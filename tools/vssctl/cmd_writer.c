// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl writer - the writers registered with the kernel (writer list), and
 * a writer made of a program or of a directory of fsfreeze-hook.d style
 * scripts (writer exec).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hooks.h"

/* How long an event the kernel does not wait for (abort) may run. */
#define EXEC_UNBOUNDED_EVENT_MS	60000
/* The reply must reach the kernel before its deadline: keep this margin. */
#define EXEC_REPLY_MARGIN_MS	100

void print_writer_status(const char *key, const struct vss_writer_status *ws)
{
	char id[VSS_ID_STRLEN];
	const char *hrname;

	pr_open_object(key);
	pr_string("name", "%s:", ws->name);
	pr_string("class_id", " class %s", vss_id_to_string(&ws->class_id, id));
	pr_string("instance_id", " instance %s",
		  vss_id_to_string(&ws->instance_id, id));
	pr_open_array("luns");
	pr_text(" luns");
	for (size_t i = 0; i < ws->nr_luns; i++)
		pr_string(NULL, i ? ",%s" : " %s", ws->luns[i]);
	pr_close_array();
	/* a writer that never took part in a session: state unknown (0) */
	pr_u64("state", NULL, ws->has_session_id ? ws->state : 0);
	pr_string("state_name", " state %s",
		  vss_writer_state_name(ws->has_session_id ? ws->state : 0));
	hrname = vss_hresult_name(ws->hr_writer);
	pr_u64("hr_writer", NULL, ws->hr_writer);
	if (ws->hr_writer) {
		if (hrname)
			pr_text(" hr_writer %s", hrname);
		else
			pr_text(" hr_writer 0x%08" PRIx32, ws->hr_writer);
	}
	pr_u64("hr_application", NULL, ws->hr_application);
	if (ws->hr_application)
		pr_text(" hr_application 0x%08" PRIx32, ws->hr_application);
	pr_string("message", ws->message[0] ? " message \"%s\"" : NULL,
		  ws->message);
	if (ws->has_session_id)
		pr_string("session_id", " session %s",
			  vss_id_to_string(&ws->session_id, id));
	pr_bool("registered", NULL, ws->registered);
	if (!ws->registered)
		pr_text(" (gone)");
	pr_text("\n");
	pr_close_object();
}

static int writer_list(int argc, char **argv)
{
	struct vss_writer_status *ws;
	struct vss_ctx *ctx;
	size_t nr;
	int rc;

	if (parse_opts(argc, argv, NULL, NULL, 0) < 0) {
		fprintf(stderr, "Usage: vssctl writer list\n");
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_writer_list(ctx, &ws, &nr);
	if (rc)
		return report_error("writer list", rc);
	pr_open_array(NULL);
	for (size_t i = 0; i < nr; i++)
		print_writer_status(NULL, &ws[i]);
	pr_close_array();
	free(ws);
	return VSSCTL_EXIT_OK;
}

/* ---- writer exec ---- */

static volatile sig_atomic_t exec_stop;

static void exec_on_signal(int sig)
{
	(void)sig;
	exec_stop = 1;
}

struct exec_state {
	struct vss_writer *w;
	struct hooks hooks;
	bool frozen;		/* freeze ran and succeeded, no thaw/abort yet */
};

/* One line per event: "freeze ok", "freeze failed CODE (exit N): msg". */
static void print_event(const struct vss_writer_event_info *ev, const char *what,
			const struct hook_result *res, int reply_rc)
{
	char id[VSS_ID_STRLEN];
	const char *hrname = vss_hresult_name(res->hr_writer);

	pr_open_object(NULL);
	pr_string("event", "%s", what);
	pr_string("session_id", NULL, vss_id_to_string(&ev->session_id, id));
	pr_u64("ran", NULL, res->ran);
	if (!res->hr_writer) {
		pr_string("result", " %s", "ok");
	} else {
		pr_string("result", " %s", "failed");
		pr_u64("hr_writer", NULL, res->hr_writer);
		pr_string("hr_writer_name", " %s", hrname ? hrname : "?");
		pr_u64("status", " (exit %" PRIu64 ")", (uint64_t)res->status);
		pr_string("program", NULL, res->program);
		pr_string("message", ": %s", res->message);
	}
	/* the kernel gave up waiting: the reply came too late */
	pr_bool("late", NULL, reply_rc == -ETIMEDOUT);
	if (reply_rc == -ETIMEDOUT)
		pr_text(" (too late: the kernel no longer waited)");
	pr_text("\n");
	pr_close_object();
	pr_finish();
}

/* Runs @name with a deadline; a hooks dir's stdout goes to stderr. */
static void exec_run(struct exec_state *st, const char *name,
		     long long deadline, struct hook_result *res)
{
	int rc = hooks_run(&st->hooks, name, deadline, res);

	if (rc < 0) {
		/* the directory cannot be read: a failure the kernel sees */
		memset(res, 0, sizeof(*res));
		res->status = 127;
		res->hr_writer = VSS_E_WRITERERROR_NONRETRYABLE;
		snprintf(res->message, sizeof(res->message),
			 "cannot read %s: %s", st->hooks.dir, strerror(-rc));
	}
}

/* Thaws what this writer froze (on exit; after abort for a hooks dir). */
static void exec_unfreeze(struct exec_state *st,
			  const struct vss_writer_event_info *ev, const char *why)
{
	struct hook_result res;

	if (!st->frozen)
		return;
	fprintf(stderr, "vssctl: writer exec: %s: running thaw\n", why);
	exec_run(st, "thaw", hooks_now_ms() + EXEC_UNBOUNDED_EVENT_MS, &res);
	st->frozen = false;
	if (ev)
		print_event(ev, "thaw", &res, 0);
}

/*
 * The fsfreeze-hook.d contract has two events, freeze and thaw, and stock
 * scripts (qemu's mysql-flush sample among them) exit 1 on any other
 * argument: a hooks directory gets freeze, thaw and abort (which undoes a
 * freeze), and the other events succeed without running it.
 */
static bool hooks_dir_event(uint32_t type)
{
	return type == VSS_WRITER_EVENT_FREEZE ||
	       type == VSS_WRITER_EVENT_THAW ||
	       type == VSS_WRITER_EVENT_ABORT;
}

/*
 * post-restore: how the recovery set's resyncs ended, for the program:
 * VSS_RESTORE_STATE=done|failed|cancelled, VSS_RESTORE_ERROR=errno.
 */
static void restore_env(struct exec_state *st,
			const struct vss_writer_event_info *ev)
{
	uint32_t state;
	char num[16];
	int err;

	if (vss_writer_get_restore_outcome(st->w, ev, &state, &err))
		return;
	snprintf(num, sizeof(num), "%d", err);
	setenv("VSS_RESTORE_STATE", vss_resync_state_name(state), 1);
	setenv("VSS_RESTORE_ERROR", num, 1);
}

static int exec_event(struct exec_state *st, const struct vss_writer_event_info *ev,
		      long long received)
{
	const char *name = vss_writer_event_name(ev->type);
	struct vss_writer_failure failure;
	struct hook_result res;
	long long deadline;
	int rc;

	deadline = ev->timeout_ms ?
		received + ev->timeout_ms - EXEC_REPLY_MARGIN_MS :
		received + EXEC_UNBOUNDED_EVENT_MS;
	if (ev->type == VSS_WRITER_EVENT_POST_RESTORE)
		restore_env(st, ev);
	if (st->hooks.dir && !hooks_dir_event(ev->type))
		memset(&res, 0, sizeof(res));	/* not theirs: success */
	else
		exec_run(st, name, deadline, &res);
	unsetenv("VSS_RESTORE_STATE");
	unsetenv("VSS_RESTORE_ERROR");

	memset(&failure, 0, sizeof(failure));
	if (res.hr_writer) {
		failure.hr_writer = res.hr_writer;
		failure.hr_application = (uint32_t)res.status;
		snprintf(failure.message, sizeof(failure.message), "%s",
			 res.message);
	}
	rc = vss_writer_reply(st->w, ev, res.hr_writer ? &failure : NULL);
	print_event(ev, name, &res, rc);
	if (rc && rc != -ETIMEDOUT)
		return report_error("writer exec: reply", rc);

	switch (ev->type) {
	case VSS_WRITER_EVENT_FREEZE:
		/* also when too late: the kernel then sends Abort */
		st->frozen = !res.hr_writer;
		break;
	case VSS_WRITER_EVENT_THAW:
		st->frozen = false;
		break;
	case VSS_WRITER_EVENT_ABORT:
		/*
		 * fsfreeze-hook.d scripts know only freeze and thaw: after
		 * abort (which they ignore) they get thaw, so that none is
		 * left frozen.  A program gets the events as they are.
		 */
		if (st->hooks.dir)
			exec_unfreeze(st, ev, "abort after freeze");
		st->frozen = false;
		break;
	}
	return 0;
}

static void exec_usage(void)
{
	fprintf(stderr,
		"Usage: vssctl writer exec --name NAME --lun LUN [--lun LUN]... [--class-id UUID]\n"
		"                          [--freeze-timeout SECONDS]\n"
		"                          { --hooks-dir DIR | -- PROGRAM [ARG]... }\n");
}

/* "60" or "0.5" seconds -> ms within the kernel's limits; 0 or -1 */
static int parse_seconds_ms(const char *s, uint32_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v * 1000 < VSS_WRITER_TIMEOUT_MIN_MS ||
	    v * 1000 > VSS_WRITER_TIMEOUT_MAX_MS)
		return -1;
	*ms = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

static int writer_exec(int argc, char **argv)
{
	const char *name = NULL, *class = NULL, *freeze = NULL, *dir = NULL;
	const char *luns[VSS_WRITER_MAX_LUNS];
	struct vss_writer_params params = { 0 };
	struct exec_state st = { 0 };
	struct vss_writer_status self;
	struct sigaction sa;
	vss_id_t class_id;
	struct vss_ctx *ctx;
	size_t nluns = 0;
	char **prog = NULL;
	int i, rc;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], **slot = NULL;

		if (!strcmp(a, "--")) {
			prog = argv + i + 1;
			break;
		}
		if (!strcmp(a, "--name"))
			slot = &name;
		else if (!strcmp(a, "--class-id"))
			slot = &class;
		else if (!strcmp(a, "--freeze-timeout"))
			slot = &freeze;
		else if (!strcmp(a, "--hooks-dir"))
			slot = &dir;
		else if (strcmp(a, "--lun")) {
			fprintf(stderr, "vssctl: unknown option \"%s\"\n", a);
			exec_usage();
			return VSSCTL_EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "vssctl: option %s needs a value\n", a);
			return VSSCTL_EXIT_USAGE;
		}
		if (!slot) {
			if (nluns == VSS_WRITER_MAX_LUNS) {
				fprintf(stderr, "vssctl: at most %d --lun\n",
					VSS_WRITER_MAX_LUNS);
				return VSSCTL_EXIT_USAGE;
			}
			luns[nluns++] = argv[++i];
			continue;
		}
		if (*slot) {
			fprintf(stderr, "vssctl: option %s given twice\n", a);
			return VSSCTL_EXIT_USAGE;
		}
		*slot = argv[++i];
	}
	if (!name || !nluns || !!dir == !!(prog && *prog)) {
		exec_usage();
		return VSSCTL_EXIT_USAGE;
	}
	if (class && (rc = parse_id_arg("writer exec", class, &class_id)))
		return rc;
	if (freeze && parse_seconds_ms(freeze, &params.freeze_timeout_ms)) {
		fprintf(stderr, "vssctl: invalid freeze timeout \"%s\"\n", freeze);
		return VSSCTL_EXIT_USAGE;
	}
	if (dir) {
		char **names;
		size_t nr;

		/* refuse a directory that cannot be read now, not at freeze */
		rc = hooks_list(dir, &names, &nr);
		if (rc) {
			fprintf(stderr, "vssctl: writer exec: %s: %s\n", dir,
				strerror(-rc));
			return VSSCTL_EXIT_USAGE;
		}
		hooks_free_list(names, nr);
	}
	/* the programs' stdout goes to stderr: stdout is vssctl's (JSON) */
	st.hooks.argv = dir ? NULL : prog;
	st.hooks.dir = dir;
	st.hooks.out = stderr;

	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	params.name = name;
	params.class_id = class ? &class_id : NULL;
	params.luns = luns;
	params.nr_luns = nluns;
	rc = vss_writer_new(ctx, &params, &st.w);
	if (rc)
		return report_error("writer exec", rc);

	/* no SA_RESTART: a signal ends the wait for the next event */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = exec_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* what was registered, as writer list prints it */
	memset(&self, 0, sizeof(self));
	vss_writer_get_instance_id(st.w, &self.instance_id);
	if (class)
		self.class_id = class_id;
	snprintf(self.name, sizeof(self.name), "%s", name);
	self.nr_luns = nluns;
	for (size_t k = 0; k < nluns; k++)
		snprintf(self.luns[k], sizeof(self.luns[k]), "%s", luns[k]);
	self.registered = true;
	pr_text("registered ");
	print_writer_status(NULL, &self);
	pr_finish();

	rc = VSSCTL_EXIT_OK;
	while (!exec_stop) {
		struct vss_writer_event_info ev;
		int err = vss_writer_next_event(st.w, &ev, -1);

		if (err == -EINTR || err == -EAGAIN)
			continue;
		if (err) {
			rc = report_error("writer exec", err);
			break;
		}
		rc = exec_event(&st, &ev, hooks_now_ms());
		if (rc)
			break;
	}
	/* never leave an application frozen behind us */
	exec_unfreeze(&st, NULL, "exiting while frozen");
	vss_writer_free(st.w);
	return rc;
}

static const struct cmd writer_cmds[] = {
	{ "list", writer_list, "list" },
	{ "exec", writer_exec,
	  "exec --name NAME --lun LUN [--lun LUN]... [--class-id UUID] "
	  "[--freeze-timeout SECONDS] { --hooks-dir DIR | -- PROGRAM [ARG]... }" },
	{ NULL, NULL, NULL },
};

int do_writer(int argc, char **argv)
{
	return dispatch("writer", writer_cmds, argc, argv);
}
