// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl lun - protected LUN administration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The boot-time LUN list (boot/vss-luns reads it); VSS_LUNS_CONF overrides. */
static const char *luns_conf_path(void)
{
	const char *p = getenv("VSS_LUNS_CONF");

	return p && *p ? p : "/etc/vss/luns.conf";
}

/*
 * Rewrite luns.conf without the entry of @name and, when @line is not NULL,
 * with @line appended; through a temporary file renamed over it, so that a
 * crash leaves the old or the new list.  Return: 0 or -errno.
 */
static int luns_conf_update(const char *name, const char *line)
{
	const char *path = luns_conf_path();
	char *tmp = NULL, *dir, *slash, buf[4096];
	size_t nlen = strlen(name);
	FILE *in, *out;
	int rc = 0, fd;

	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			rc = -errno;
	}
	free(dir);
	if (rc)
		return rc;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	if (fchmod(fd, 0644))
		rc = -errno;
	out = fdopen(fd, "w");
	if (!out) {
		rc = -errno;
		close(fd);
		goto err;
	}
	in = fopen(path, "r");
	if (!in && errno != ENOENT) {
		rc = -errno;
		fclose(out);
		goto err;
	}
	if (!in)
		fputs("# vss protected LUNs re-added at boot (vss-luns.service):\n"
		      "# NAME DEVICE STORE [--chunk-size SIZE]\n", out);
	while (in && fgets(buf, sizeof(buf), in)) {
		const char *b = buf + strspn(buf, " \t");

		if (!strncmp(b, name, nlen) && (b[nlen] == ' ' || b[nlen] == '\t' ||
						 b[nlen] == '\n' || !b[nlen]))
			continue;
		fputs(buf, out);
	}
	if (in)
		fclose(in);
	if (line)
		fprintf(out, "%s\n", line);
	if (fflush(out) || fsync(fileno(out)))
		rc = -errno;
	if (fclose(out) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (!rc) {
		free(tmp);
		return 0;
	}
err:
	unlink(tmp);
	free(tmp);
	return rc;
}

static int persist_error(const char *name, int rc)
{
	fprintf(stderr, "vssctl: %s: cannot update %s: %s\n", name,
		luns_conf_path(), strerror(-rc));
	return VSSCTL_EXIT_FAIL;
}

static int lun_add(int argc, char **argv)
{
	const char *store = NULL, *chunk = NULL, *name = NULL;
	bool format = false, persist = false;
	const struct opt opts[] = {
		{ "store", true, &store, NULL },
		{ "chunk-size", true, &chunk, NULL },
		{ "name", true, &name, NULL },
		{ "format", false, NULL, &format },
		{ "persist", false, NULL, &persist },
		{ NULL, false, NULL, NULL },
	};
	struct vss_lun_params p = { 0 };
	char derived[VSS_LUN_NAME_MAX + 1];
	struct vss_lun_info li;
	const char *pos[1];
	struct vss_ctx *ctx;
	int rc;

	if (parse_opts(argc, argv, opts, pos, 1) != 1 || !store) {
		fprintf(stderr, "Usage: vssctl lun add DEV --store STOREDEV [--chunk-size SIZE] [--name NAME] [--format] [--persist]\n");
		return VSSCTL_EXIT_USAGE;
	}
	/* luns.conf is split on blanks */
	if (persist && (strpbrk(pos[0], " \t\n#") || strpbrk(store, " \t\n#"))) {
		fprintf(stderr, "vssctl: --persist: device paths with blanks or '#' cannot be listed in %s\n",
			luns_conf_path());
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
	if (persist) {
		char *line;

		/* never --format: a boot must not wipe the store */
		if (asprintf(&line, "%s %s %s%s%s", name, pos[0], store,
			     chunk ? " --chunk-size " : "", chunk ? chunk : "") < 0)
			return persist_error(name, -ENOMEM);
		rc = luns_conf_update(name, line);
		free(line);
		if (rc)
			return persist_error(name, rc);
	}
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
	bool persist = false;
	const struct opt opts[] = {
		{ "persist", false, NULL, &persist },
		{ NULL, false, NULL, NULL },
	};
	struct vss_ctx *ctx;
	const char *pos[1];
	int rc;

	if (parse_opts(argc, argv, opts, pos, 1) != 1) {
		fprintf(stderr, "Usage: vssctl lun remove NAME [--persist]\n");
		return VSSCTL_EXIT_USAGE;
	}
	ctx = get_ctx();
	if (!ctx)
		return ctx_exit_code();
	rc = vss_lun_remove(ctx, pos[0]);
	if (rc)
		return report_error("lun remove", rc);
	if (persist) {
		rc = luns_conf_update(pos[0], NULL);
		if (rc)
			return persist_error(pos[0], rc);
	}
	return VSSCTL_EXIT_OK;
}

static const struct cmd lun_cmds[] = {
	{ "add", lun_add,
	  "add DEV --store STOREDEV [--chunk-size SIZE] [--name NAME] [--format] [--persist]" },
	{ "list", lun_list, "list" },
	{ "show", lun_show, "show NAME" },
	{ "remove", lun_remove, "remove NAME [--persist]" },
	{ NULL, NULL, NULL },
};

int do_lun(int argc, char **argv)
{
	return dispatch("lun", lun_cmds, argc, argv);
}
