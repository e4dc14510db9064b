// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vssctl - argument parsing helpers and exit codes.  See util.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

int exit_code_from_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return VSSCTL_EXIT_OK;
	case EPERM:
	case EACCES:
		return VSSCTL_EXIT_PERM;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return VSSCTL_EXIT_NOTFOUND;
	case EBUSY:
		return VSSCTL_EXIT_BUSY;
	case EEXIST:
		return VSSCTL_EXIT_EXISTS;
	case ENOSPC:
		return VSSCTL_EXIT_NOSPACE;
	case ETIMEDOUT:
	case ECANCELED:
		return VSSCTL_EXIT_TIMEOUT;
	case EINVAL:
	case ERANGE:
		return VSSCTL_EXIT_INVALID;
	default:
		return VSSCTL_EXIT_FAIL;
	}
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	switch (*p) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (shift) {
		p++;
		if (!strcmp(p, "iB") || !strcmp(p, "B"))
			p += strlen(p);
		if (*p)
			return -EINVAL;
		if (v > (UINT64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
	}
	*out = v;
	return 0;
}

static const struct opt *find_opt(const struct opt *opts, const char *name,
				  size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

int parse_opts(int argc, char **argv, const struct opt *opts,
	       const char **pos, int max_pos)
{
	bool only_pos = false;
	int npos = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o;
		const char *eq;
		size_t len;

		if (only_pos || a[0] != '-' || a[1] != '-') {
			if (a[0] == '-' && a[1] && !only_pos) {
				fprintf(stderr, "vssctl: unknown option \"%s\"\n", a);
				return -1;
			}
			if (npos == max_pos) {
				fprintf(stderr, "vssctl: unexpected argument \"%s\"\n", a);
				return -1;
			}
			pos[npos++] = a;
			continue;
		}
		if (!a[2]) {
			only_pos = true;
			continue;
		}
		eq = strchr(a + 2, '=');
		len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
		o = find_opt(opts, a + 2, len);
		if (!o) {
			fprintf(stderr, "vssctl: unknown option \"%.*s\"\n",
				(int)len + 2, a);
			return -1;
		}
		if (!o->has_arg) {
			if (eq) {
				fprintf(stderr, "vssctl: option --%s takes no value\n",
					o->name);
				return -1;
			}
			*o->flag = true;
			continue;
		}
		if (*o->value) {
			fprintf(stderr, "vssctl: option --%s given twice\n", o->name);
			return -1;
		}
		if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			fprintf(stderr, "vssctl: option --%s needs a value\n",
				o->name);
			return -1;
		}
	}
	return npos;
}

bool is_help(const char *s)
{
	return s && (!strcmp(s, "help") || !strcmp(s, "-h") ||
		     !strcmp(s, "--help"));
}
