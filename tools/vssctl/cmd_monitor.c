// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl monitor - print events of the vss family as they come.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "resync.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct monitor {
	uint64_t seen;
	uint64_t count;		/* stop after this many; 0: never */
};

/* A set-break event: "set-break SETID: N snapshots released". */
static bool print_set_break(const struct vss_event *ev)
{
	struct vss_set_break_event sb;
	char id[VSS_ID_STRLEN];

	if (vss_event_set_break(ev, &sb))
		return false;
	pr_open_object("set");
	pr_string("id", "%s:", vss_id_to_string(&sb.set_id, id));
	pr_u64("snapshot_count", " %" PRIu64 " snapshots released\n",
	       sb.snapshot_count);
	pr_close_object();
	return true;
}

/* A resync event: "resync-progress resync db: destination ... state ...". */
static bool print_resync_event(const struct vss_event *ev)
{
	struct vss_resync_info ri;

	if (vss_event_resync(ev, &ri))
		return false;
	pr_text("resync ");
	print_resync("resync", &ri);
	return true;
}

static int print_event(void *arg, const struct vss_event *ev)
{
	struct monitor *m = arg;
	bool done = false;

	pr_open_object(NULL);
	pr_string("event", "%s ", vss_event_name(ev->type));
	if (ev->has_lun) {
		/* a removal event carries only the name and the device */
		if (ev->type == VSS_CMD_LUN_REMOVED_NTF) {
			pr_open_object("lun");
			pr_string("name", "%s:", ev->lun.name);
			pr_string("device", " device %s\n", ev->lun.device);
			pr_close_object();
		} else {
			print_lun("lun", &ev->lun);
		}
	}
	if (ev->has_snapshot)
		print_snapshot("snapshot", &ev->snapshot);
	if (ev->type == VSS_CMD_SET_BREAK_NTF)
		done = print_set_break(ev);
	if (!done)
		done = print_resync_event(ev);
	if (!ev->has_lun && !ev->has_snapshot && !done)
		pr_text("\n");
	pr_close_object();
	pr_finish();
	m->seen++;
	return m->count && m->seen >= m->count ? 1 : 0;
}

static int monitor(int argc, char **argv)
{
	const char *count = NULL;
	const struct opt opts[] = {
		{ "count", true, &count, NULL },
		{ NULL, false, NULL, NULL },
	};
	struct monitor m = { 0 };
	struct sigaction sa;
	struct vss_ctx *ctx;
	int fd, rc;

	if (parse_opts(argc, argv, opts, NULL, 0) < 0) {
		fprintf(stderr, "Usage: vssctl monitor [--count N]\n");
		return VSSCTL_EXIT_USAGE;
	}
	if (count) {
		char *end;
		unsigned long long v = strtoull(count, &end, 10);

		if (*end || end == count || v == 0) {
			fprintf(stderr, "vssctl: invalid count \"%s\"\n", count);
			return VSSCTL_EXIT_USAGE;
		}
		m.count = v;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_events_subscribe(ctx);
	if (rc)
		return report_error("monitor", rc);
	fd = vss_events_fd(ctx);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		rc = poll(&pfd, 1, -1);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return report_error("monitor", -errno);
		}
		rc = vss_events_dispatch(ctx, print_event, &m);
		if (rc < 0)
			return report_error("monitor", rc);
		if (m.count && m.seen >= m.count)
			break;
	}
	return VSSCTL_EXIT_OK;
}

static const struct cmd monitor_cmds[] = {
	{ "", monitor, "[--count N]" },
	{ NULL, NULL, NULL },
};

int do_monitor(int argc, char **argv)
{
	if (argc > 0 && is_help(argv[0])) {
		print_usage(stdout, "monitor", monitor_cmds);
		return VSSCTL_EXIT_OK;
	}
	return monitor(argc, argv);
}
