// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl lun - protected LUN administration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int lun_add(int argc, char **argv)
{
	const char *store = NULL, *chunk = NULL, *name = NULL;
	bool format = false;
	const struct opt opts[] = {
		{ "store", true, &store, NULL },
		{ "chunk-size", true, &chunk, NULL },
		{ "name", true, &name, NULL },
		{ "format", false, NULL, &format },
		{ NULL, false, NULL, NULL },
	};
	struct vss_lun_params p = { 0 };
	char derived[VSS_LUN_NAME_MAX + 1];
	struct vss_lun_info li;
	const char *pos[1];
	struct vss_ctx *ctx;
	int rc;

	if (parse_opts(argc, argv, opts, pos, 1) != 1 || !store) {
		fprintf(stderr, "Usage: vssctl lun add DEV --store STOREDEV [--chunk-size SIZE] [--name NAME] [--format]\n");
		return VSSCTL_EXIT_USAGE;
	}
	if (chunk) {
		uint64_t v;

		rc = parse_size(chunk, &v);
		if (rc || v > UINT32_MAX || v == 0) {
			fprintf(stderr, "vssctl: invalid chunk size \"%s\"\n",
				chunk);
			return VSSCTL_EXIT_USAGE;
		}
		p.chunk_size = (uint32_t)v;
	}
	if (!name) {
		if (lun_name_from_path(pos[0], derived, sizeof(derived))) {
			fprintf(stderr, "vssctl: cannot derive a LUN name from \"%s\": use --name\n",
				pos[0]);
			return VSSCTL_EXIT_USAGE;
		}
		name = derived;
	}
	p.name = name;
	p.backing = pos[0];
	p.store = store;
	p.format = format;

	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_lun_add(ctx, &p, &li);
	if (rc)
		return report_error("lun add", rc);
	if (pr_is_json())
		print_lun(NULL, &li);
	else
		printf("%s\n", li.device);
	return VSSCTL_EXIT_OK;
}

static int lun_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vss_lun_info *)a)->name,
		      ((const struct vss_lun_info *)b)->name);
}

static int lun_list(int argc, char **argv)
{
	struct vss_lun_info *luns;
	struct vss_ctx *ctx;
	size_t nr;
	int rc;

	if (parse_opts(argc, argv, NULL, NULL, 0) < 0)
		return VSSCTL_EXIT_USAGE;
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_lun_list(ctx, &luns, &nr);
	if (rc)
		return report_error("lun list", rc);
	if (nr)
		qsort(luns, nr, sizeof(*luns), lun_cmp);
	pr_open_array(NULL);
	for (size_t i = 0; i < nr; i++)
		print_lun(NULL, &luns[i]);
	pr_close_array();
	free(luns);
	return VSSCTL_EXIT_OK;
}

static int lun_show(int argc, char **argv)
{
	struct vss_lun_info li;
	struct vss_ctx *ctx;
	const char *pos[1];
	int rc;

	if (parse_opts(argc, argv, NULL, pos, 1) != 1) {
		fprintf(stderr, "Usage: vssctl lun show NAME\n");
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_lun_get(ctx, pos[0], &li);
	if (rc)
		return report_error("lun show", rc);
	print_lun(NULL, &li);
	return VSSCTL_EXIT_OK;
}

static int lun_remove(int argc, char **argv)
{
	struct vss_ctx *ctx;
	const char *pos[1];
	int rc;

	if (parse_opts(argc, argv, NULL, pos, 1) != 1) {
		fprintf(stderr, "Usage: vssctl lun remove NAME\n");
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_lun_remove(ctx, pos[0]);
	if (rc)
		return report_error("lun remove", rc);
	return VSSCTL_EXIT_OK;
}

static const struct cmd lun_cmds[] = {
	{ "add", lun_add,
	  "add DEV --store STOREDEV [--chunk-size SIZE] [--name NAME] [--format]" },
	{ "list", lun_list, "list" },
	{ "show", lun_show, "show NAME" },
	{ "remove", lun_remove, "remove NAME" },
	{ NULL, NULL, NULL },
};

int do_lun(int argc, char **argv)
{
	return dispatch("lun", lun_cmds, argc, argv);
}
