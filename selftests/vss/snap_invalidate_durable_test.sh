#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Durable before released: when a chunk cannot be preserved (the read of
# the origin chunk fails), the snapshots are invalidated, and the write is
# let through only once the invalidation is on the store.  The reclaim work
# that writes it is delayed (test_reclaim_delay_ms): the write must wait for
# it.  Right after the write returns the store "loses power" (its device
# starts failing every I/O); re-added from the store, the snapshot must be
# listed invalid, never ready with a chunk that no longer holds its data.
. "$(dirname "$0")/lib.sh"

work=/tmp/snap_inval_durable
plan 7

load_vss || die "cannot load vss"
modprobe dm-mod || die "modprobe dm-mod"
ramdisks 2 32
rm -rf $work && mkdir -p $work
delay=/sys/module/vss/parameters/test_reclaim_delay_ms
cleanup() {
	echo 0 >$delay 2>/dev/null
	delete_all_snapshots
	vssctl lun remove iv >/dev/null 2>&1
	dmsetup remove id_b >/dev/null 2>&1
	dmsetup remove id_s >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT
sb=$(($(blockdev --getsize64 /dev/ram0) / 512))
ss=$(($(blockdev --getsize64 /dev/ram1) / 512))
table() { # table DEV NAME TABLE
	dmsetup suspend "$1" && dmsetup load "$1" --table "$2" && dmsetup resume "$1"
}
dmsetup create --noudevsync id_b --table "0 $sb linear /dev/ram0 0" &&
	dmsetup create --noudevsync id_s --table "0 $ss linear /dev/ram1 0" &&
	dmsetup mknodes >/dev/null 2>&1 || die "dmsetup create"
add() { vssctl lun add /dev/mapper/id_b --store /dev/mapper/id_s --name iv --chunk-size 4K "$@" >/dev/null &&
	udev_settle /dev/vss-iv; }
add || die "lun add"
stamp fill /dev/vss-iv $work/map 1 >/dev/null || die "fill"
vssctl -j snapshot create iv >$work/s1 2>$work/err || die "snapshot: $(cat $work/err)"

# block 100 of the backing device fails from now on (reads and writes)
table id_b "0 800 linear /dev/ram0 0
800 8 error
808 $((sb - 808)) linear /dev/ram0 808" || die "error table"
echo 3000 >$delay
t0=$(now_ms)
dd if=/dev/zero of=/dev/vss-iv bs=4096 seek=100 count=1 oflag=direct status=none 2>/dev/null
t1=$(now_ms)
# power cut of the store: nothing written from now on reaches it
table id_s "0 $ss error" || die "store error table"
echo "# the write that could not be preserved returned after $((t1 - t0)) ms (invalidation delayed 3000 ms)"
[ $((t1 - t0)) -ge 2900 ] && ok "the write waits for the invalidation record" ||
	fail "the write waits for the invalidation record" "returned after $((t1 - t0)) ms"
echo 0 >$delay
sleep 1
st=$(vssctl -j snapshot list | jq -r '.[0].state')
[ "$st" = invalid ] && ok "the snapshot is invalid" || fail "the snapshot is invalid" "state $st"

table id_b "0 $sb linear /dev/ram0 0" || die "backing table"
check "other writes go on" stamp write /dev/vss-iv $work/map 2 20 2 200 1000 4
delete_all_snapshots
vssctl lun remove iv >/dev/null 2>&1 || die "lun remove: $(vssctl lun remove iv 2>&1)"
table id_s "0 $ss linear /dev/ram1 0" || die "store table"
check "LUN re-added from the store after the cut" add
st=$(vssctl -j snapshot list | jq -r '.[0].state')
[ "$st" = invalid ] && ok "the snapshot came back invalid, not ready" ||
	fail "the snapshot came back invalid, not ready" "state $st"
check "LUN holds every write before the cut" stamp verify /dev/vss-iv $work/map
dmesg | grep -qE 'WARNING|BUG|Oops' && fail "no kernel warning" "$(dmesg | grep -E -A3 'WARNING|BUG|Oops' | head)" ||
	ok "no kernel warning"
finish
