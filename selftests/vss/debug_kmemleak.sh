#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kmemleak scan for the debug kernel (make check-debug; not a *_test: it
# cannot run on Debian's kernels, which have no kmemleak).
#
#   debug_kmemleak.sh --baseline   scan and clear: what leaked before the
#                                  tests (boot) is not reported later
#   debug_kmemleak.sh              unload vss, scan twice, fail on any
#                                  unreferenced object allocated by vss.ko
#
# After the unload a leaked object's allocation backtrace shows vss's
# frames as raw addresses (the module's symbols are gone): a frame with an
# unresolved module address counts as vss's (the tests unload vss; brd,
# loop and null_blk are the only other modules they unload).  Leaks of
# other code are printed, not failed.
. "$(dirname "$0")/lib.sh"

dbg=/sys/kernel/debug
kl=$dbg/kmemleak
grep -q " $dbg debugfs " /proc/mounts || mount -t debugfs none $dbg
if [ "${1:-}" = --baseline ]; then
	[ -e $kl ] || { echo "debug_kmemleak: no $kl (not the debug kernel)"; exit 1; }
	# A report before any test ran turns lockdep off for the whole run:
	# tools/check-debug fails it.  (The one such report seen, a KASAN
	# false positive of 5-level paging during boot, is avoided by
	# booting with no5lvl: see tools/check-debug.)
	bad=$(dmesg | grep -E -m1 'BUG:|WARNING:|Disabling lock debugging|possible (circular|recursive) locking')
	if [ -n "$bad" ]; then
		echo "VSS-DEBUG-BOOT-TAINTED: $bad"
		exit 3
	fi
	echo scan > $kl && echo clear > $kl || { echo "debug_kmemleak: kmemleak is off"; exit 1; }
	exit 0
fi
plan 2
[ -e $kl ] || die "no $kl: not the debug kernel (tools/debug-kernel)"
for l in $(vssctl -j lun list 2>/dev/null | jq -r '.[].name' 2>/dev/null); do
	vssctl lun remove "$l" >/dev/null 2>&1
done
unload_vss && ! lsmod | grep -q '^vss ' && ok "vss unloaded" || fail "vss unloaded" "$(lsmod | grep vss)"
# objects younger than min_age (5 s) are not reported yet
sleep 6
if ! { echo scan > $kl && sleep 1 && echo scan > $kl; }; then
	fail "kmemleak scan" "kmemleak is off: $(dmesg | grep kmemleak | tail -n 3)"
	finish
fi
if dmesg | grep -E -q 'kmemleak: .*(disabled|[Pp]ool empty)'; then
	fail "kmemleak scan" "kmemleak turned itself off: $(dmesg | grep kmemleak | tail -n 3)"
	finish
fi
cat $kl > /tmp/kmemleak.txt
total=$(grep -c '^unreferenced object' /tmp/kmemleak.txt)
# one line per object: its report joined
awk '/^unreferenced object/ { if (o != "") print o; o = $0; next } { o = o " | " $0 } END { if (o != "") print o }' \
	/tmp/kmemleak.txt > /tmp/kmemleak.obj
grep -E '\[vss\]|\] 0xffffffff[0-9a-f]+$|\] 0xffffffff[0-9a-f]+ \|' /tmp/kmemleak.obj > /tmp/kmemleak.vss
nvss=$(wc -l < /tmp/kmemleak.vss)
if [ "$nvss" = 0 ]; then
	ok "kmemleak: no leak from vss.ko ($total unreferenced objects of other code)"
else
	fail "kmemleak: $nvss objects leaked by vss.ko" "$(head -n 3 /tmp/kmemleak.vss | cut -c1-1500)"
fi
if [ "$total" -gt "$nvss" ]; then
	echo "# other unreferenced objects (not failed):"
	grep -v -F -f /tmp/kmemleak.vss /tmp/kmemleak.obj | head -n 5 | cut -c1-600 | sed 's/^/#   /'
fi
finish
