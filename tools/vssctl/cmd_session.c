// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl session - requester sessions (for diagnosis: which session holds a
 * LUN, what state its snapshot set is in).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static int session_list(int argc, char **argv)
{
	struct vss_session_info *ss;
	struct vss_ctx *ctx;
	size_t nr;
	int rc;

	if (parse_opts(argc, argv, NULL, NULL, 0) < 0)
		return VSSCTL_EXIT_USAGE;
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_session_list(ctx, &ss, &nr);
	if (rc)
		return report_error("session list", rc);
	pr_open_array(NULL);
	for (size_t i = 0; i < nr; i++)
		print_session(NULL, &ss[i]);
	pr_close_array();
	free(ss);
	return VSSCTL_EXIT_OK;
}

static int session_show(int argc, char **argv)
{
	struct vss_session_info si;
	struct vss_ctx *ctx;
	const char *pos[1];
	vss_id_t id;
	int rc;

	if (parse_opts(argc, argv, NULL, pos, 1) != 1) {
		fprintf(stderr, "Usage: vssctl session show ID\n");
		return VSSCTL_EXIT_USAGE;
	}
	rc = parse_id_arg("session show", pos[0], &id);
	if (rc)
		return rc;
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_session_get(ctx, &id, &si);
	if (rc)
		return report_error("session show", rc);
	print_session(NULL, &si);
	return VSSCTL_EXIT_OK;
}

static const struct cmd session_cmds[] = {
	{ "list", session_list, "list" },
	{ "show", session_show, "show ID" },
	{ NULL, NULL, NULL },
};

int do_session(int argc, char **argv)
{
	return dispatch("session", session_cmds, argc, argv);
}
