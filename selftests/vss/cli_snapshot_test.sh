#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vssctl: "snapshot create" over several LUNs (one set), list/show/changes/
# delete in text and JSON, snapshot contents checked block by block
# (stamped blocks), "session list" after the CLI exits, and the errors of
# the snapshot commands with the kernel's messages and exit codes.
. "$(dirname "$0")/lib.sh"

work=/tmp/cli_snapshot
plan 22

load_vss || die "cannot load vss"
ramdisks 4 32
rm -rf $work && mkdir -p $work
cleanup() {
	exec 3<&- 2>/dev/null
	delete_all_snapshots
	vssctl lun remove sa >/dev/null 2>&1
	vssctl lun remove sb >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

vssctl lun add /dev/ram0 --store /dev/ram1 --name sa --chunk-size 16K --format >/dev/null &&
	vssctl lun add /dev/ram2 --store /dev/ram3 --name sb --format >/dev/null ||
	die "lun add failed"
udev_settle /dev/vss-sa && udev_settle /dev/vss-sb || die "no LUN devices"
stamp fill /dev/vss-sa $work/a.map 1 >/dev/null && stamp fill /dev/vss-sb $work/b.map 1 >/dev/null ||
	die "stamp fill failed"

# ---- a set over both LUNs, JSON ----
vssctl -j snapshot create sa sb >$work/set1 2>$work/err
rc=$?
cp $work/a.map $work/a.s1 && cp $work/b.map $work/b.s1
if [ $rc = 0 ] && jqe '(.set_id | test("^[0-9a-f-]{36}$")) and
	(.session_id | test("^[0-9a-f-]{36}$")) and (.hold_us | type) == "number" and
	(.snapshots | length) == 2 and
	([.snapshots[].lun] == ["sa", "sb"]) and
	all(.snapshots[]; .set_id == $s and .state == "ready" and
	    (.device | startswith("/dev/vss-")) and (.created | endswith("Z")))' \
	--arg s "$(jq -r .set_id $work/set1 2>/dev/null)" $work/set1 >/dev/null; then
	ok "snapshot create over two LUNs (JSON: set, session, hold, snapshots)"
else
	fail "snapshot create over two LUNs (JSON: set, session, hold, snapshots)" \
		"rc $rc: $(cat $work/set1 $work/err | head -c 600)"
fi
set1=$(jq -r .set_id $work/set1)
a1=$(jq -r '.snapshots[0].id' $work/set1)
b1=$(jq -r '.snapshots[1].id' $work/set1)
a1dev=$(jq -r '.snapshots[0].device' $work/set1)
b1dev=$(jq -r '.snapshots[1].device' $work/set1)
echo "# hold window $(jq .hold_us $work/set1) us"

# ---- writes after the set, a second set of one LUN, text ----
stamp write /dev/vss-sa $work/a.map 2 200 7 >/dev/null &&
	stamp write /dev/vss-sb $work/b.map 2 200 8 >/dev/null || die "stamp write failed"
vssctl snapshot create sa >$work/set2 2>$work/err
rc=$?
cp $work/a.map $work/a.s2
if [ $rc = 0 ] && grep -Eq '^set [0-9a-f-]{36}$' $work/set2 &&
	grep -Eq '^session [0-9a-f-]{36}$' $work/set2 &&
	grep -Eq '^hold_us [0-9]+$' $work/set2 &&
	grep -Eq '^snapshot [0-9a-f-]{36} set [0-9a-f-]{36} lun sa device /dev/vss-sa-s[0-9]+ seq 2 ' $work/set2; then
	ok "snapshot create (text)"
else
	fail "snapshot create (text)" "rc $rc: $(cat $work/set2 $work/err)"
fi
a2=$(awk '/^snapshot/ { print $2 }' $work/set2)
a2dev=$(awk '/^snapshot/ { print $8 }' $work/set2)
stamp write /dev/vss-sa $work/a.map 3 200 9 >/dev/null || die "stamp write failed"

# ---- contents ----
udev_settle "$a1dev" && udev_settle "$b1dev" && udev_settle "$a2dev"
check "first set, LUN sa: its point in time" stamp verify "$a1dev" $work/a.s1
check "first set, LUN sb: its point in time" stamp verify "$b1dev" $work/b.s1
check "second set, LUN sa: its point in time" stamp verify "$a2dev" $work/a.s2
check "the LUNs hold the latest data" \
	sh -c "stamp verify /dev/vss-sa $work/a.map && stamp verify /dev/vss-sb $work/b.map"

# ---- list / show ----
vssctl -j snapshot list >$work/out 2>&1
jqe 'length == 3' $work/out >/dev/null && ok "snapshot list: three snapshots" ||
	fail "snapshot list: three snapshots" "$(cat $work/out)"
vssctl -j snapshot list --lun sa >$work/out 2>&1
jqe 'length == 2 and all(.[]; .lun == "sa")' $work/out >/dev/null &&
	ok "snapshot list --lun" || fail "snapshot list --lun" "$(cat $work/out)"
vssctl -j snapshot list --set "$set1" >$work/out 2>&1
jqe --arg s "$set1" 'length == 2 and all(.[]; .set_id == $s)' $work/out >/dev/null &&
	ok "snapshot list --set" || fail "snapshot list --set" "$(cat $work/out)"

vssctl -j snapshot show "$a1" >$work/out 2>&1
jqe --arg id "$a1" --arg s "$set1" --arg d "$a1dev" \
	'.id == $id and .set_id == $s and .lun == "sa" and .device == $d and
	 .state == "ready" and (.created_ns | type) == "number" and
	 (.cow_bytes | type) == "number" and .seq == 1' $work/out >/dev/null &&
	ok "snapshot show (JSON fields)" || fail "snapshot show (JSON fields)" "$(cat $work/out)"
vssctl snapshot show "$a1" >$work/out 2>&1
grep -Eq "^$a1 set $set1 lun sa device $a1dev seq 1 created [0-9T:.-]+Z state ready cow_bytes [0-9]+$" $work/out &&
	ok "snapshot show (text)" || fail "snapshot show (text)" "$(cat $work/out)"

# cow bytes: data preserved for the writes after each set
cow=$(vssctl -j snapshot list | jq '[.[].cow_bytes] | add')
[ "$cow" -gt 0 ] 2>/dev/null && ok "copy-on-write bytes are reported" ||
	fail "copy-on-write bytes are reported" "total $cow"

# ---- changes: every block that differs from the snapshot is covered ----
vssctl -j snapshot changes "$a1" >$work/ch 2>$work/err
jq -r '.extents[] | "\(.offset) \(.length)"' $work/ch >$work/ext 2>/dev/null
od -An -v -tu4 -w4 $work/a.s1 >$work/g1
od -An -v -tu4 -w4 $work/a.map >$work/g2
missing=$(paste $work/g1 $work/g2 | awk -v ext=$work/ext '
	BEGIN { n = 0; while ((getline l < ext) > 0) { split(l, f, " ");
		o[n] = f[1] / 4096; e[n] = (f[1] + f[2]) / 4096; n++ } }
	{ b = NR - 1; if ($1 != $2) { c = 0; for (i = 0; i < n; i++) if (b >= o[i] && b < e[i]) c = 1;
		if (!c) m++ } }
	END { print m + 0 }')
if [ -s $work/ext ] && [ "$missing" = 0 ] &&
	jqe '.chunk_size == 16384 and .extent_count == (.extents | length) and
	       .changed_bytes == ([.extents[].length] | add) and
	       all(.extents[]; .offset % 16384 == 0 and .length % 16384 == 0)' $work/ch >/dev/null; then
	ok "snapshot changes covers every changed block ($(wc -l < $work/ext) extents)"
else
	fail "snapshot changes covers every changed block" "missing $missing: $(head -c 300 $work/err)"
fi
vssctl snapshot changes "$a1" --from 1M >$work/out 2>&1
awk '$1 < 1048576 - 16384 { bad = 1 } END { exit bad }' $work/out && [ -s $work/out ] &&
	ok "snapshot changes --from (text)" || fail "snapshot changes --from (text)" "$(head -5 $work/out)"

# ---- errors ----
expect "create on an unknown LUN: exit 5, kernel message, HRESULT" 5 \
	'add nosuch: No such LUN .*VSS_E_OBJECT_NOT_FOUND' vssctl snapshot create sa nosuch
expect "the same LUN twice in a set: exit 7" 7 \
	'add sa: LUN is already in the snapshot set .*VSS_E_OBJECT_ALREADY_EXISTS' \
	vssctl snapshot create sa sa
vssctl -j session list >$work/out 2>&1
jqe 'length == 0' $work/out >/dev/null && ok "no session left after the CLI exits" ||
	fail "no session left after the CLI exits" "$(cat $work/out)"
expect "show an unknown snapshot: exit 5" 5 'snapshot show: No such snapshot' \
	vssctl snapshot show 00000000-0000-0000-0000-000000000001

# ---- delete ----
exec 3<"$a2dev"
expect "delete an open snapshot: exit 6" 6 'snapshot delete: snapshot device is open' \
	vssctl snapshot delete "$a2"
exec 3<&-
expect "snapshot delete ID" 0 "" vssctl snapshot delete "$a2"
expect "snapshot delete --set" 0 "" vssctl snapshot delete --set "$set1"
vssctl -j snapshot list >$work/out 2>&1
[ "$(cat $work/out)" = "[]" ] && ok "every snapshot is gone" ||
	fail "every snapshot is gone" "$(cat $work/out)"

finish
