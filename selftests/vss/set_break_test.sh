#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# BreakSnapshotSet through vssctl: a set over two LUNs is broken; its
# snapshots stay (point-in-time data checked block by block with stamped
# blocks) but belong to no set (empty set id), "delete --set" and a second
# break find nothing (exit 5, the kernel's message), another set is left
# alone, and all of it survives removing and re-adding the LUNs with their
# stores (store replay).  Each snapshot can then be deleted on its own.
# A monitor started before the break prints one set-break event (set id,
# 2 snapshots released), in JSON and text, and none for the refused breaks.
. "$(dirname "$0")/lib.sh"

work=/tmp/set_break
plan 20

load_vss || die "cannot load vss"
ramdisks 4 32
rm -rf $work && mkdir -p $work
mons=
cleanup() {
	for p in $mons; do kill "$p" 2>/dev/null; done
	delete_all_snapshots
	vssctl lun remove ba >/dev/null 2>&1
	vssctl lun remove bb >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

add_luns() { # [--format]
	vssctl lun add /dev/ram0 --store /dev/ram1 --name ba --chunk-size 16K "$@" >/dev/null &&
		vssctl lun add /dev/ram2 --store /dev/ram3 --name bb "$@" >/dev/null &&
		udev_settle /dev/vss-ba && udev_settle /dev/vss-bb
}

# verify_all: every snapshot and both LUNs hold their data
verify_all() {
	local d
	for d in a1 b1 a2; do
		udev_settle "$(cat $work/$d.dev)" || return 1
	done
	stamp verify "$(cat $work/a1.dev)" $work/a.s1 &&
		stamp verify "$(cat $work/b1.dev)" $work/b.s1 &&
		stamp verify "$(cat $work/a2.dev)" $work/a.s2 &&
		stamp verify /dev/vss-ba $work/a.map &&
		stamp verify /dev/vss-bb $work/b.map
}

add_luns --format || die "lun add failed"
stamp fill /dev/vss-ba $work/a.map 1 >/dev/null && stamp fill /dev/vss-bb $work/b.map 1 >/dev/null ||
	die "stamp fill failed"

vssctl -j snapshot create ba bb >$work/set1 2>$work/err || die "set 1: $(cat $work/err)"
cp $work/a.map $work/a.s1 && cp $work/b.map $work/b.s1
set1=$(jq -r .set_id $work/set1)
a1=$(jq -r '.snapshots[0].id' $work/set1)
b1=$(jq -r '.snapshots[1].id' $work/set1)
jq -r '.snapshots[0].device' $work/set1 >$work/a1.dev
jq -r '.snapshots[1].device' $work/set1 >$work/b1.dev
stamp write /dev/vss-ba $work/a.map 2 200 7 >/dev/null &&
	stamp write /dev/vss-bb $work/b.map 2 200 8 >/dev/null || die "stamp write failed"
# a second set, on one LUN, that the break must leave alone
vssctl -j snapshot create ba >$work/set2 2>$work/err || die "set 2: $(cat $work/err)"
cp $work/a.map $work/a.s2
set2=$(jq -r .set_id $work/set2)
a2=$(jq -r '.snapshots[0].id' $work/set2)
jq -r '.snapshots[0].device' $work/set2 >$work/a2.dev
stamp write /dev/vss-ba $work/a.map 3 200 9 >/dev/null &&
	stamp write /dev/vss-bb $work/b.map 3 200 10 >/dev/null || die "stamp write failed"

# ---- break, seen by monitors started before it ----
vssctl -j monitor >$work/mon.json 2>&1 &
mons="$mons $!"
vssctl monitor >$work/mon.txt 2>&1 &
mons="$mons $!"
sleep 1
vssctl -j snapshot break --set "$set1" >$work/out 2>$work/err
rc=$?
[ $rc = 0 ] && jqe --arg s "$set1" '.set_id == $s and .released == 2' $work/out &&
	ok "snapshot break --set (JSON: 2 released)" ||
	fail "snapshot break --set (JSON: 2 released)" "rc $rc: $(cat $work/out $work/err)"

# listed_ok: set 1's snapshots have no set id, set 2's keeps its own
listed_ok() {
	vssctl -j snapshot list >$work/list 2>&1 &&
		jqe --arg a1 "$a1" --arg b1 "$b1" --arg a2 "$a2" --arg s2 "$set2" '
		length == 3 and
		([.[] | select(.id == $a1 or .id == $b1) | .set_id] == ["", ""]) and
		([.[] | select(.id == $a2) | .set_id] == [$s2]) and
		all(.[]; .state == "ready")' $work/list
}
listed_ok && ok "snapshot list: broken set's snapshots have no set id, the other set keeps its id" ||
	fail "snapshot list: set ids after the break" "$(cat $work/list)"
vssctl snapshot show "$a1" >$work/out 2>&1
grep -Eq "^$a1 lun ba device " $work/out && ok "snapshot show (text): no set printed" ||
	fail "snapshot show (text): no set printed" "$(cat $work/out)"
vssctl -j snapshot list --set "$set1" >$work/out 2>&1
[ "$(cat $work/out)" = "[]" ] && ok "snapshot list --set OLDID is empty" ||
	fail "snapshot list --set OLDID is empty" "$(cat $work/out)"
expect "snapshot delete --set OLDID: exit 5, kernel message, HRESULT" 5 \
	'snapshot delete: No such snapshot set.*VSS_E_OBJECT_NOT_FOUND' vssctl snapshot delete --set "$set1"
expect "snapshot break of the same set again: exit 5" 5 \
	'snapshot break: No such snapshot set' vssctl snapshot break --set "$set1"
expect "snapshot break of an unknown set: exit 5" 5 \
	'snapshot break: No such snapshot set' vssctl snapshot break --set 00000000-0000-0000-0000-0000000000aa
expect "snapshot break of the all-zero id: exit 5" 5 \
	'No such snapshot set' vssctl snapshot break --set 00000000-0000-0000-0000-000000000000
expect "snapshot delete --set of the all-zero id: exit 5 (broken snapshots stay)" 5 \
	'No such snapshot set' vssctl snapshot delete --set 00000000-0000-0000-0000-000000000000
expect "snapshot break without --set: usage, exit 2" 2 'Usage: vssctl snapshot break --set SETID' \
	vssctl snapshot break "$set1"
check "every snapshot keeps its point in time, the LUNs their latest data" verify_all

# ---- remove and re-add the LUNs: the store replays the break ----
vssctl lun remove ba >/dev/null 2>$work/err && vssctl lun remove bb >/dev/null 2>>$work/err ||
	die "lun remove: $(cat $work/err)"
add_luns || die "lun re-add failed"
listed_ok && ok "after LUN re-add (replay): still broken, the other set intact" ||
	fail "after LUN re-add (replay): still broken" "$(cat $work/list)"
check "after LUN re-add: contents verified" verify_all
expect "after LUN re-add: snapshot delete --set OLDID still exit 5" 5 \
	'No such snapshot set' vssctl snapshot delete --set "$set1"

# ---- independent snapshots: deleted one by one; the other set by set ----
expect "snapshot delete of one broken snapshot" 0 "" vssctl snapshot delete "$b1"
vssctl -j snapshot list >$work/out 2>&1
jqe --arg a1 "$a1" --arg a2 "$a2" '[.[].id] | sort == ([$a1, $a2] | sort)' $work/out &&
	stamp verify "$(cat $work/a1.dev)" $work/a.s1 >/dev/null &&
	stamp verify "$(cat $work/a2.dev)" $work/a.s2 >/dev/null &&
	ok "the other snapshots are untouched" ||
	fail "the other snapshots are untouched" "$(cat $work/out)"
expect "snapshot delete --set of the other set" 0 "" vssctl snapshot delete --set "$set2"

# ---- events: the deletions come after every break, so once the monitors
# printed them, all the breaks' events are in ----
for i in $(seq 100); do
	[ "$(jq -s '[.[] | select(.event == "snapshot-deleted")] | length' \
		$work/mon.json 2>/dev/null)" -ge 2 ] 2>/dev/null &&
		[ "$(grep -c '^snapshot-deleted ' $work/mon.txt)" -ge 2 ] && break
	sleep 0.1
done
jqe -s --arg s "$set1" '[.[] | select(.event == "set-break")] |
	length == 1 and .[0].set.id == $s and .[0].set.snapshot_count == 2' $work/mon.json &&
	ok "monitor -j: one set-break event, set id and 2 snapshots released" ||
	fail "monitor -j: one set-break event, set id and 2 snapshots released" "$(cat $work/mon.json)"
jqe -s '[.[].event] | (index("set-break") < index("lun-removed")) and
	([.[] | select(. == "set-break")] | length) == 1' $work/mon.json &&
	ok "set-break event sent at the break (before the later LUN removal), none for the refused breaks" ||
	fail "set-break event at the break, none for the refused breaks" "$(cat $work/mon.json)"
[ "$(grep -c '^set-break ' $work/mon.txt)" = 1 ] &&
	grep -qx "set-break $set1: 2 snapshots released" $work/mon.txt &&
	ok "monitor (text): set-break line" || fail "monitor (text): set-break line" "$(cat $work/mon.txt)"

finish
