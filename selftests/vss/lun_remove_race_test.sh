#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# LUN removal racing snapshot deletes, set deletes and opens of the LUN
# device: whatever wins, nothing crashes, every request ends with success
# or a clear refusal, and after re-adding the LUN from its store every
# snapshot still listed reads back exactly its point in time and the LUN
# holds its data.
. "$(dirname "$0")/lib.sh"

work=/tmp/lun_remove_race
rounds=${VSS_QUICK:+2}
rounds=${rounds:-10}
plan $((rounds * 2 + 2))

load_vss || die "cannot load vss"
ramdisks 2 32
rm -rf $work && mkdir -p $work
cleanup() {
	wait 2>/dev/null
	delete_all_snapshots
	vssctl lun remove rr >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

add() { vssctl lun add /dev/ram0 --store /dev/ram1 --name rr "$@" >/dev/null && udev_settle /dev/vss-rr; }
add --format || die "lun add"
stamp fill /dev/vss-rr $work/map 1 >/dev/null || die "fill"

for r in $(seq "$rounds"); do
	# three snapshots: one on its own, a set, and another one
	for k in 1 2 3; do
		vssctl -j snapshot create rr >$work/s.$r.$k 2>$work/err || die "snapshot: $(cat $work/err)"
		cp $work/map "$work/m.$(jq -r '.snapshots[0].id' $work/s.$r.$k)"
		stamp write /dev/vss-rr $work/map $((r * 10 + k + 1)) 30 $((r * 10 + k)) >/dev/null || die "write"
	done
	id1=$(jq -r '.snapshots[0].id' $work/s.$r.1)
	set2=$(jq -r '.set_id' $work/s.$r.2)
	id3=$(jq -r '.snapshots[0].id' $work/s.$r.3)
	vssctl snapshot delete "$id1" >$work/d1 2>&1 &
	p1=$!
	vssctl snapshot delete --set "$set2" >$work/d2 2>&1 &
	p2=$!
	vssctl snapshot delete "$id3" >$work/d3 2>&1 &
	p3=$!
	vssctl lun remove rr >$work/rm 2>&1
	rrc=$?
	bad=
	for p in $p1 $p2 $p3; do
		wait $p
		case $? in 0|5|6) ;; *) bad="$bad $p" ;; esac
	done
	[ -z "$bad" ] && [ "$rrc" = 0 -o "$rrc" = 6 ] &&
		ok "round $r: remove ($rrc) and deletes end cleanly" ||
		fail "round $r: remove ($rrc) and deletes end cleanly" "$(cat $work/rm $work/d1 $work/d2 $work/d3)"
	if [ "$rrc" != 0 ]; then
		vssctl lun remove rr >/dev/null 2>&1 || die "second remove: $(vssctl lun remove rr 2>&1)"
	fi
	add || die "re-add"
	err=
	for id in $(vssctl -j snapshot list | jq -r '.[].id'); do
		dev=$(vssctl -j snapshot list | jq -r ".[] | select(.id == \"$id\") | .device")
		udev_settle "$dev"
		stamp verify "$dev" "$work/m.$id" >/dev/null 2>&1 || err="$err $id"
	done
	stamp verify /dev/vss-rr $work/map >/dev/null 2>&1 || err="$err LUN"
	[ -z "$err" ] && ok "round $r: survivors and the LUN exact after re-add" ||
		fail "round $r: survivors and the LUN exact after re-add" "mismatch:$err"
done

# opens racing removal: either the remove is refused or the open fails
( while :; do dd if=/dev/vss-rr of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; done ) &
opener=$!
removed=0
for i in $(seq 200); do
	if vssctl lun remove rr >/dev/null 2>&1; then removed=1; break; fi
done
kill $opener; wait $opener 2>/dev/null
[ $removed = 1 ] && [ ! -e /sys/block/vss-rr ] && ok "removal wins against a stream of opens" ||
	fail "removal wins against a stream of opens" "removed=$removed"
dmesg | grep -qE 'WARNING|BUG|Oops' && fail "no kernel warning" "$(dmesg | grep -E -A3 'WARNING|BUG|Oops' | head)" ||
	ok "no kernel warning"
finish
