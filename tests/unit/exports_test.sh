#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host test of libvssctl.so's ABI surface: exactly the functions declared in
# vssctl.h are exported, all under version LIBVSSCTL_1[.x], none of the
# internal vss__ helpers leak, and each has a section-3 man page.
export LC_ALL=C
top=$(cd "$(dirname "$0")/../.." && pwd)
so=$top/libvssctl/libvssctl.so
n=0 failed=0
t() { # NAME CONDITION-OUTPUT (empty = pass)
	n=$((n + 1))
	if [ -z "$2" ]; then echo "ok $n - $1"; else
		echo "not ok $n - $1"; echo "$2" | sed 's/^/#   /'; failed=$((failed + 1)); fi
}

exported=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort)
declared=$(sed -n 's/^[a-z].*[ *]\(vss_[a-z0-9_]*\)(.*/\1/p' "$top/libvssctl/vssctl.h" | sort -u)

t "exported functions are the declared ones" \
	"$(diff <(echo "$exported" | sed 's/@.*//') <(echo "$declared"))"
t "every export is versioned LIBVSSCTL_1 or a later 1.x node" \
	"$(echo "$exported" | grep -Ev '@@LIBVSSCTL_1(\.[0-9]+)?$')"
t "no internal helper is exported" \
	"$(nm -D --defined-only "$so" | grep ' vss__')"
t "soname is libvssctl.so.1" \
	"$(objdump -p "$so" | grep -q 'SONAME *libvssctl.so.1' || echo missing)"
t "every export has a man page" \
	"$(for s in $declared; do [ -e "$top/libvssctl/man/$s.3" ] || echo "$s"; done)"

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
