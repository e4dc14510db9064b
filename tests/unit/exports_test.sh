#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host test of libvssctl.so's ABI surface: exactly the functions declared in
# vssctl.h are exported, all under version LIBVSSCTL_1[.x], none of the
# internal vss__ helpers leak, and each has a section-3 man page.  The
# version script names every symbol (no wildcard but "local: *", which would
# put future exports into an old node), and the package version (libvssctl.pc,
# vssctl -V) follows its last node.
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
	"$(diff <(echo "$exported" | sed 's/@.*//' | sort -u) <(echo "$declared"))"
t "every export has a default version, LIBVSSCTL_1 or a later 1.x node" \
	"$(diff <(echo "$exported" | grep -E '@@LIBVSSCTL_1(\.[0-9]+)?$' | sed 's/@.*//') <(echo "$declared"))"
# Old versions kept for binaries built before a struct grew: only those
# decided on (struct vss_resync_info grew in LIBVSSCTL_1.7), each beside
# its default version.
compat="vss_event_resync@LIBVSSCTL_1.4
vss_resync_get@LIBVSSCTL_1.4
vss_resync_list@LIBVSSCTL_1.4
vss_resync_wait@LIBVSSCTL_1.4"
t "the non-default versions are the LIBVSSCTL_1.4 resync compat set" \
	"$(diff <(echo "$exported" | grep -v '@@') <(echo "$compat"))"
t "each compat version has its own code (not an alias of the default)" \
	"$(nm -D --defined-only "$so" | awk '$2 == "T" { print $1, $3 }' | sed 's/@.*//' |
		sort | uniq -d)"
t "no internal helper is exported" \
	"$(nm -D --defined-only "$so" | grep ' vss__')"
t "soname is libvssctl.so.1" \
	"$(objdump -p "$so" | grep -q 'SONAME *libvssctl.so.1' || echo missing)"
t "every export has a man page" \
	"$(for s in $declared; do [ -e "$top/libvssctl/man/$s.3" ] || echo "$s"; done)"

map=$top/libvssctl/libvssctl.map
# global lists only: from "global:" to "local:" or the end of the node
globals=$(awk '/^[A-Z_0-9.]+ *\{/ { g = 0 } /global:/ { g = 1; next }
	/local:/ { g = 0 } /^\}/ { g = 0 } g' "$map" | sed 's,/\*.*\*/,,' | tr -d ' \t;' | grep -v '^$')
t "the version script has no wildcard in a global list" \
	"$(echo "$globals" | grep '[*?[]')"
t "the version script names each declared function once" \
	"$(diff <(echo "$globals" | sort) <(echo "$declared"))"
t "the only local pattern is \"*\", in LIBVSSCTL_1" \
	"$(awk '/local:/ { l = 1; next } /^\}/ { l = 0 } l' "$map" | tr -d ' \t;' | grep -vx '\*')"
last=$(sed -n 's/^\(LIBVSSCTL_[0-9.]*\) {.*/\1/p' "$map" | tail -1)
want=${last#LIBVSSCTL_}
case $want in *.*) want=$want.0 ;; *) want=$want.0.0 ;; esac
t "the last version node is the newest symbol version in the library" \
	"$(objdump -T "$so" | grep -o 'LIBVSSCTL_[0-9.]*' | sort -uV | tail -1 | grep -vx "$last")"
t "libvssctl.pc version $want follows $last" \
	"$(grep -x "Version: $want" "$top/libvssctl/libvssctl.pc" >/dev/null || grep '^Version' "$top/libvssctl/libvssctl.pc")"
t "vssctl -V is $want" \
	"$("$top/tools/vssctl/vssctl" -V | grep -vx "vssctl $want")"
t "every versioned function says Since: in the header when past LIBVSSCTL_1" \
	"$(for s in $(sed 's,/\*.*\*/,,; /\/\*/,/\*\//d' "$map" |
		awk '/^LIBVSSCTL_1\./ { g = 1 } g && /global:/ { next } g' | grep -o 'vss_[a-z0-9_]*'); do
		grep -B30 "^[a-z].*[ *]$s(" "$top/libvssctl/vssctl.h" | grep -q 'Since' || echo "$s"; done)"

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
