#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A snapshot that is committed but not yet durable (DoSnapshotSet has
# released the writes and not yet written its create record) already
# preserves chunks: their records are provisional in the store's log.  A
# delete of an older snapshot in that window shrinks the live state until a
# log checkpoint is due: the checkpoint must not drop those records.  After
# the LUN is removed and re-added (log replay) the new snapshot must still
# read back exactly its point in time.  While its set runs, deleting that
# snapshot is refused (it belongs to the running set), without a kernel
# warning.
. "$(dirname "$0")/lib.sh"

work=/tmp/snap_cp_race
plan 8

load_vss || die "cannot load vss"
ramdisks 2 96
rm -rf $work && mkdir -p $work
delay=/sys/module/vss/parameters/test_persist_delay_ms
bg=
cleanup() {
	echo 0 >$delay 2>/dev/null
	[ -n "$bg" ] && wait $bg 2>/dev/null
	delete_all_snapshots
	vssctl lun remove cp >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

# 64 MiB LUN, 4 KiB chunks: a full overwrite logs 16384 exception records
truncate -s 0 $work/none
vssctl lun add /dev/ram0 --store /dev/ram1 --name cp --chunk-size 4K >/dev/null &&
	udev_settle /dev/vss-cp || die "lun add"
blocks=$(( $(blockdev --getsize64 /dev/ram0) / 4096 / 3 * 2 ))
stamp fill /dev/vss-cp $work/map 1 0 $blocks >/dev/null || die "fill 1"
vssctl -j snapshot create cp >$work/s1 2>$work/err || die "snapshot 1: $(cat $work/err)"
s1=$(jq -r '.snapshots[0].id' $work/s1)
stamp fill /dev/vss-cp $work/map 2 0 $blocks >/dev/null || die "fill 2"

# snapshot 2, its create record delayed (long: the steps below must fit
# in the window on a loaded emulator)
echo 15000 >$delay
vssctl -j snapshot create cp >$work/s2 2>$work/err2 &
bg=$!
s2=
for i in $(seq 100); do
	s2=$(vssctl -j snapshot list 2>/dev/null | jq -r '.[] | select(.state == "committed") | .id')
	[ -n "$s2" ] && break
	sleep 0.1
done
[ -n "$s2" ] || die "snapshot 2 never showed as committed"
cp $work/map $work/s2.map
# preserved for snapshot 2 before it is durable
stamp write /dev/vss-cp $work/map 3 300 3 0 $blocks 8 >/dev/null || die "write 3"
expect "deleting a snapshot of a running set is refused" 6 "running snapshot set" \
	vssctl snapshot delete "$s2"
# frees snapshot 1's 2/3 of the store: the log is now far larger than the
# live state, and the delete compacts it
check "older snapshot deleted meanwhile" vssctl snapshot delete "$s1"
wait $bg
rc=$?
bg=
echo 0 >$delay
[ $rc = 0 ] && ok "snapshot 2 created" || fail "snapshot 2 created" "$(cat $work/err2)"
dev=$(jq -r '.snapshots[0].device' $work/s2)
udev_settle "$dev"
check "snapshot 2 exact before the re-add" stamp verify "$dev" $work/s2.map

vssctl lun remove cp >/dev/null || die "lun remove"
check "LUN re-added from its store" vssctl lun add /dev/ram0 --store /dev/ram1 --name cp
udev_settle /dev/vss-cp
udev_settle "$dev"
check "snapshot 2 exact after log replay" stamp verify "$dev" $work/s2.map
check "LUN exact after log replay" stamp verify /dev/vss-cp $work/map
dmesg | grep -q 'WARNING' && fail "no kernel warning" "$(dmesg | grep -A3 WARNING | head)" ||
	ok "no kernel warning"
finish
