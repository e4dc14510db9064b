// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl - command-line front end of libvssctl.
 *
 *   vssctl [-j] [-p] OBJECT COMMAND [ARGS]
 *
 * Objects: lun, snapshot, session, writer, monitor, recover, resync.
 * "help" works at every level.
 * Exit codes are listed in util.h and vssctl(8).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cmd objects[] = {
	{ "lun", do_lun, "lun { add | list | show | remove } ..." },
	{ "snapshot", do_snapshot,
	  "snapshot { create | list | show | delete | break | changes } ..." },
	{ "session", do_session, "session { list | show } ..." },
	{ "writer", do_writer, "writer { list | exec } ..." },
	{ "monitor", do_monitor, "monitor [--count N]" },
	{ "recover", do_recover,
	  "recover [--revert-identity] [--no-volume-check] [--keep-current] [--wait] SNAPSHOT_ID[=DEST]..." },
	{ "resync", do_resync, "resync { list | show | wait | cancel | speed } ..." },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vssctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       vssctl OBJECT help\n"
		"Options:\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   indented JSON (with -j)\n"
		"  -V, --version  print the version\n"
		"  -h, --help     this help\n"
		"Objects:\n");
	for (const struct cmd *o = objects; o->name; o++)
		fprintf(out, "  %s\n", o->usage);
}

int main(int argc, char **argv)
{
	bool json = false, pretty = false;
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			pretty = true;
		} else if (!strcmp(a, "-jp") || !strcmp(a, "-pj")) {
			json = pretty = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("vssctl %s\n", VSSCTL_VERSION);
			return VSSCTL_EXIT_OK;
		} else if (is_help(a)) {
			usage(stdout);
			return VSSCTL_EXIT_OK;
		} else {
			fprintf(stderr, "vssctl: unknown option \"%s\"\n", a);
			usage(stderr);
			return VSSCTL_EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return VSSCTL_EXIT_USAGE;
	}
	if (is_help(argv[i])) {
		usage(stdout);
		return VSSCTL_EXIT_OK;
	}

	pr_init(stdout, json, pretty);
	rc = -1;
	for (const struct cmd *o = objects; o->name; o++) {
		if (!strcmp(o->name, argv[i])) {
			rc = o->fn(argc - i - 1, argv + i + 1);
			break;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "vssctl: unknown object \"%s\"\n", argv[i]);
		usage(stderr);
		return VSSCTL_EXIT_USAGE;
	}
	pr_finish();
	put_ctx();
	return rc;
}
