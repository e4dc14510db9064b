// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl - dispatch, the library context, error reporting, and printers of
 * the objects shared by several commands.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static struct vss_ctx *ctx;
static int ctx_error;

void print_usage(FILE *out, const char *object, const struct cmd *cmds)
{
	fprintf(out, "Usage:\n");
	for (; cmds->name; cmds++)
		fprintf(out, "  vssctl %s %s\n", object, cmds->usage);
}

int dispatch(const char *object, const struct cmd *cmds, int argc,
	     char **argv)
{
	if (argc < 1) {
		print_usage(stderr, object, cmds);
		return VSSCTL_EXIT_USAGE;
	}
	if (is_help(argv[0])) {
		print_usage(stdout, object, cmds);
		return VSSCTL_EXIT_OK;
	}
	for (const struct cmd *c = cmds; c->name; c++) {
		if (strcmp(c->name, argv[0]))
			continue;
		/* "vssctl lun add help" */
		if (argc > 1 && is_help(argv[1])) {
			printf("Usage: vssctl %s %s\n", object, c->usage);
			return VSSCTL_EXIT_OK;
		}
		return c->fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "vssctl: unknown %s command \"%s\"\n", object, argv[0]);
	print_usage(stderr, object, cmds);
	return VSSCTL_EXIT_USAGE;
}

struct vss_ctx *get_ctx(void)
{
	const char *msg;

	if (ctx)
		return ctx;
	ctx_error = vss_ctx_new(&ctx);
	if (!ctx_error)
		return ctx;
	msg = vss_ctx_last_error_msg(NULL);
	fprintf(stderr, "vssctl: %s\n", msg ? msg : strerror(-ctx_error));
	ctx = NULL;
	return NULL;
}

int ctx_exit_code(void)
{
	return ctx_error == -ENOENT ? VSSCTL_EXIT_NOMODULE :
	       exit_code_from_errno(ctx_error);
}

void put_ctx(void)
{
	ctx = vss_ctx_unref(ctx);
}

int report_error(const char *what, int err)
{
	const char *msg = ctx ? vss_ctx_last_error_msg(ctx) : NULL;
	uint32_t hr = ctx ? vss_ctx_last_hresult(ctx) : 0;
	const char *hrname = hr ? vss_hresult_name(hr) : NULL;

	fprintf(stderr, "vssctl: %s: %s", what, msg ? msg : strerror(-err));
	if (hrname)
		fprintf(stderr, " (%s)", hrname);
	else if (hr)
		fprintf(stderr, " (HRESULT 0x%08" PRIx32 ")", hr);
	fputc('\n', stderr);
	return exit_code_from_errno(err);
}

int parse_id_arg(const char *what, const char *s, vss_id_t *id)
{
	if (vss_id_from_string(s, id)) {
		fprintf(stderr, "vssctl: %s: invalid id \"%s\" (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n",
			what, s);
		return VSSCTL_EXIT_USAGE;
	}
	return 0;
}

int lun_name_from_path(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n = 0;

	base = base ? base + 1 : path;
	for (; *base && n + 1 < size && n < VSS_LUN_NAME_MAX; base++) {
		unsigned char c = (unsigned char)*base;

		name[n++] = isalnum(c) || c == '_' || c == '.' ? (char)c : '_';
	}
	name[n] = '\0';
	return n ? 0 : -EINVAL;
}

void print_lun(const char *key, const struct vss_lun_info *li)
{
	char id[VSS_ID_STRLEN];

	pr_open_object(key);
	pr_string("name", "%s:", li->name);
	pr_string("device", " device %s", li->device);
	pr_string("backing", " backing %s", li->backing);
	pr_string("store", " store %s", li->store);
	pr_size("chunk_size", " chunk_size %s", li->chunk_size);
	pr_size("size", " size %s", li->size);
	pr_size("store_used", " store_used %s", li->store_used);
	pr_size("store_size", " store_size %s", li->store_size);
	pr_u64("snapshots", " snapshots %" PRIu64, li->snapshot_count);
	pr_bool("busy", li->busy ? " busy %s" : NULL, li->busy);
	if (li->has_session_id)
		pr_string("session_id", " session %s",
			  vss_id_to_string(&li->session_id, id));
	pr_text("\n");
	pr_close_object();
}

void print_snapshot(const char *key, const struct vss_snapshot_info *si)
{
	char id[VSS_ID_STRLEN];

	pr_open_object(key);
	pr_string("id", "%s", vss_id_to_string(&si->id, id));
	{
		static const vss_id_t none;
		/* a snapshot of a broken set belongs to no set: "" */
		bool in_set = !vss_id_equal(&si->set_id, &none);

		pr_string("set_id", in_set ? " set %s" : NULL,
			  in_set ? vss_id_to_string(&si->set_id, id) : "");
	}
	pr_string("lun", " lun %s", si->lun);
	pr_string("device", " device %s", si->device);
	pr_u64("seq", " seq %" PRIu64, si->seq);
	pr_time("created", " created %s", si->created_ns);
	pr_u64("created_ns", NULL, si->created_ns);
	pr_string("state", " state %s", vss_snapshot_state_name(si->state));
	pr_u64("cow_bytes", " cow_bytes %" PRIu64, si->cow_bytes);
	if (si->has_session_id)
		pr_string("session_id", " session %s",
			  vss_id_to_string(&si->session_id, id));
	pr_text("\n");
	pr_close_object();
}

void print_session(const char *key, const struct vss_session_info *si)
{
	char id[VSS_ID_STRLEN];

	pr_open_object(key);
	pr_string("id", "%s", vss_id_to_string(&si->id, id));
	pr_string("state", " state %s", vss_session_state_name(si->state));
	pr_u64("portid", " portid %" PRIu64, si->portid);
	if (si->has_set) {
		pr_string("set_id", " set %s",
			  vss_id_to_string(&si->set_id, id));
		pr_string("set_state", " set_state %s",
			  vss_set_state_name(si->set_state));
		pr_u64("lun_count", " luns %" PRIu64, si->lun_count);
	}
	pr_text("\n");
	pr_close_object();
}
