#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A snapshot set whose LUN cannot drain its writes (the device under it is
# suspended) fails within the hold limit with VSS_E_FLUSH_WRITES_TIMEOUT;
# the other LUN of the set is writable at once, no snapshot is left on
# either, and the stuck write lands once the device resumes.  A requester
# killed while the hold waits ends it at once (the other LUN is writable
# within a second of the kill).  Timings are printed.
. "$(dirname "$0")/lib.sh"

work=/tmp/set_hold_timeout
plan 12

load_vss || die "cannot load vss"
modprobe dm-mod || die "modprobe dm-mod"
ramdisks 4 32
rm -rf $work && mkdir -p $work
param=/sys/module/vss/parameters/hold_timeout_ms
bg=
cleanup() {
	[ -n "$bg" ] && kill -9 $bg 2>/dev/null
	dmsetup resume ht_a >/dev/null 2>&1
	wait 2>/dev/null
	delete_all_snapshots
	vssctl lun remove ha >/dev/null 2>&1
	vssctl lun remove hb >/dev/null 2>&1
	dmsetup remove ht_a >/dev/null 2>&1
	echo 10000 >$param 2>/dev/null
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

dm_linear_luns ht_a ha hb
stamp fill /dev/vss-ha $work/a.map 1 >/dev/null && stamp fill /dev/vss-hb $work/b.map 1 >/dev/null ||
	die "stamp fill"
[ -w $param ] && [ "$(cat $param)" = 10000 ] && ok "hold limit is 10 s by default" ||
	fail "hold limit is 10 s by default" "$(cat $param 2>&1)"

# stuck_write MAP GEN: a write to vss-ha that cannot complete (ht_a suspended)
stuck_write() {
	dmsetup suspend ht_a || die "suspend"
	stamp write /dev/vss-ha $work/a.map "$1" 1 "$1" 0 16 1 >/dev/null &
	bg=$!
	sleep 1
	kill -0 $bg 2>/dev/null || die "the write to the suspended LUN did not block"
}

# 1. the hold times out
echo 2000 >$param
stuck_write 2
t0=$(now_ms)
vssctl snapshot create ha hb >$work/out 2>$work/err
rc=$?
t1=$(now_ms)
echo "# set with a suspended LUN failed after $((t1 - t0)) ms (limit 2000 ms)"
[ $rc = 9 ] && grep -q 'VSS_E_FLUSH_WRITES_TIMEOUT\|did not drain' $work/err &&
	ok "set fails with VSS_E_FLUSH_WRITES_TIMEOUT" ||
	fail "set fails with VSS_E_FLUSH_WRITES_TIMEOUT" "rc $rc: $(cat $work/err $work/out)"
[ $((t1 - t0)) -ge 1900 ] && [ $((t1 - t0)) -lt 5000 ] && ok "within the hold limit" ||
	fail "within the hold limit" "$((t1 - t0)) ms"
t0=$(now_ms)
timeout 5 stamp write /dev/vss-hb $work/b.map 3 1 3 0 16 1 >/dev/null
rc=$?
echo "# other LUN: first write done $(($(now_ms) - t0)) ms after the failure"
[ $rc = 0 ] && timeout 5 stamp write /dev/vss-hb $work/b.map 3 20 3 >/dev/null &&
	ok "the other LUN is writable at once" || fail "the other LUN is writable at once"
n=$(vssctl -j snapshot list | jq length)
[ "$n" = 0 ] && ok "no snapshot left on either LUN" || fail "no snapshot left on either LUN" "$n listed"
dmsetup resume ht_a || die "resume"
wait $bg && ok "the stuck write lands after resume" || fail "the stuck write lands after resume"
bg=
check "LUN a holds its data" stamp verify /dev/vss-ha $work/a.map
check "LUN b holds its data" stamp verify /dev/vss-hb $work/b.map

# 2. the requester dies while the hold waits (limit 10 s)
echo 10000 >$param
stuck_write 4
vssctl snapshot create ha hb >/dev/null 2>&1 &
req=$!
sleep 1.5
t0=$(now_ms)
kill -9 $req
wait $req 2>/dev/null
timeout 5 stamp write /dev/vss-hb $work/b.map 5 1 5 0 16 1 >/dev/null
rc=$?
t1=$(now_ms)
echo "# requester killed during the hold: other LUN written $((t1 - t0)) ms later"
# the hold's own limit is 10 s: well under half of it, the kill ended it
# (a tighter bound only measures the emulator's load)
[ $rc = 0 ] && [ $((t1 - t0)) -lt 5000 ] && ok "killing the requester ends the hold at once" ||
	fail "killing the requester ends the hold at once" "rc $rc after $((t1 - t0)) ms"
n=$(vssctl -j snapshot list | jq length)
[ "$n" = 0 ] && ok "the killed set left no snapshot" || fail "the killed set left no snapshot" "$n listed"
dmsetup resume ht_a || die "resume"
wait $bg && ok "the second stuck write lands" || fail "the second stuck write lands"
bg=
check "both LUNs hold their data" sh -c "stamp verify /dev/vss-ha $work/a.map && stamp verify /dev/vss-hb $work/b.map"
finish
