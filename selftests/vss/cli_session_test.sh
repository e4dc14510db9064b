#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vssctl session list/show while a snapshot set is being taken (I/O held
# longer with the test_hold_delay_ms knob), "snapshot create --timeout"
# cancelling it (exit 9, nothing left behind, LUN writable), and the
# session of the CLI ending with it.
. "$(dirname "$0")/lib.sh"

work=/tmp/cli_session
knob=/sys/module/vss/parameters/test_hold_delay_ms
plan 9

load_vss || die "cannot load vss"
ramdisks 2 16
rm -rf $work && mkdir -p $work
cleanup() {
	echo 0 > $knob 2>/dev/null
	delete_all_snapshots
	vssctl lun remove ss >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT
[ -w $knob ] || die "no writable $knob: cannot hold I/O for the test"

vssctl lun add /dev/ram0 --store /dev/ram1 --name ss --format >/dev/null || die "lun add"
udev_settle /dev/vss-ss || die "no device"
stamp fill /dev/vss-ss $work/map 1 >/dev/null || die "stamp fill"

# I/O is held 6 s; the CLI gives up after 3 s: the queries below run meanwhile
echo 6000 > $knob
start=$(date +%s%N)
vssctl snapshot create ss --timeout 3 >$work/out 2>$work/err &
pid=$!
sleep 0.5

vssctl -j session list >$work/list 2>&1
if jqe 'length == 1 and .[0].state == "set-committing" and .[0].lun_count == 1 and
	(.[0].set_id | test("^[0-9a-f-]{36}$")) and .[0].portid > 0' $work/list >/dev/null; then
	ok "session list shows the set being taken"
else
	fail "session list shows the set being taken" "$(cat $work/list)"
fi
sid=$(jq -r '.[0].id' $work/list)
vssctl session show "$sid" >$work/show 2>&1
grep -Eq "^$sid state set-committing portid [0-9]+ set [0-9a-f-]{36} set_state [a-z-]+ luns 1$" $work/show &&
	ok "session show (text)" || fail "session show (text)" "$(cat $work/show)"
vssctl -j session show "$sid" >$work/show 2>&1
jqe --arg s "$sid" '.id == $s and .state == "set-committing"' $work/show >/dev/null &&
	ok "session show (JSON)" || fail "session show (JSON)" "$(cat $work/show)"

wait $pid
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc = 9 ] && grep -q 'snapshot create: timed out: .*cancelled' $work/err &&
	ok "--timeout cancels the set: exit 9 with the kernel's reason" ||
	fail "--timeout cancels the set: exit 9 with the kernel's reason" "exit $rc: $(cat $work/err)"
[ $ms -lt 5000 ] && ok "the hold was cut short (${ms} ms)" ||
	fail "the hold was cut short" "${ms} ms"
echo 0 > $knob

vssctl -j session list >$work/list 2>&1
[ "$(cat $work/list)" = "[]" ] && [ "$(vssctl -j snapshot list)" = "[]" ] &&
	ok "no session and no snapshot left" || fail "no session and no snapshot left" "$(cat $work/list)"
stamp write /dev/vss-ss $work/map 2 50 3 >/dev/null && stamp verify /dev/vss-ss $work/map >/dev/null &&
	ok "the LUN is writable" || fail "the LUN is writable"

vssctl snapshot create ss --timeout 30 >$work/out 2>&1 &&
	ok "a set within its timeout succeeds" || fail "a set within its timeout succeeds" "$(cat $work/out)"

vssctl session show 00000000-0000-0000-0000-0000000000ff >$work/out 2>$work/err
rc=$?
[ $rc = 5 ] && grep -q 'session show: No such session' $work/err &&
	ok "session show of an unknown id: exit 5" ||
	fail "session show of an unknown id: exit 5" "exit $rc: $(cat $work/err)"

finish
