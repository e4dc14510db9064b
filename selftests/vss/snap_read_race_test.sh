#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A snapshot read that chose the origin for a chunk just before the chunk's
# copy was published must not see a later write: not only the write that
# triggered the copy waits for that read, so does any write to the chunk
# that arrives after the copy is published.  Reads of the backing device
# are delayed (dm-delay, writes are not) so that the snapshot read is still
# in flight when the second write comes.
. "$(dirname "$0")/lib.sh"

work=/tmp/snap_read_race
plan 5

load_vss || die "cannot load vss"
modprobe dm-mod && modprobe dm-delay || die "modprobe dm-delay"
ramdisks 2 16
rm -rf $work && mkdir -p $work
cleanup() {
	wait 2>/dev/null
	delete_all_snapshots
	vssctl lun remove rd >/dev/null 2>&1
	dmsetup remove rd_b >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT
sb=$(($(blockdev --getsize64 /dev/ram0) / 512))
table() { dmsetup suspend rd_b && dmsetup load rd_b --table "$1" && dmsetup resume rd_b; }
dmsetup create --noudevsync rd_b --table "0 $sb linear /dev/ram0 0" &&
	dmsetup mknodes >/dev/null 2>&1 || die "dmsetup create"
vssctl lun add /dev/mapper/rd_b --store /dev/ram1 --name rd --chunk-size 4K >/dev/null &&
	udev_settle /dev/vss-rd || die "lun add"
block() { head -c 4096 /dev/zero | tr '\0' "$1" >$work/$1; }
block A; block B; block C
dd if=$work/A of=/dev/vss-rd bs=4096 seek=10 oflag=direct conv=notrunc status=none || die "write A"
out=$(vssctl -j snapshot create rd) || die "snapshot"
dev=$(echo "$out" | jq -r '.snapshots[0].device')
udev_settle "$dev" || die "no $dev"

# reads of the backing device take 3 s from now on, writes none
table "0 $sb delay /dev/ram0 0 3000 /dev/ram0 0 0" || die "delay table"
# t=0: the first write: its copy reads the origin chunk (3 s)
dd if=$work/B of=/dev/vss-rd bs=4096 seek=10 oflag=direct conv=notrunc status=none &
w1=$!
sleep 1
# t=1: a snapshot read of the chunk chooses the origin (copy not published)
dd if="$dev" of=$work/read bs=4096 skip=10 count=1 iflag=direct status=none &
r=$!
# t=3.5: the copy is published, the snapshot read still in flight (until t=4)
sleep 2.5
dd if=$work/C of=/dev/vss-rd bs=4096 seek=10 oflag=direct conv=notrunc status=none &
w2=$!
wait $r && ok "snapshot read completed" || fail "snapshot read completed"
wait $w1 && wait $w2 && ok "both writes completed" || fail "both writes completed"
table "0 $sb linear /dev/ram0 0" || die "linear table"
cmp -s $work/read $work/A && ok "the in-flight snapshot read saw the point in time" ||
	fail "the in-flight snapshot read saw the point in time" "read: $(head -c 8 $work/read | od -c | head -1)"
dd if="$dev" bs=4096 skip=10 count=1 iflag=direct status=none | cmp -s - $work/A &&
	ok "the snapshot reads the point in time afterwards" || fail "the snapshot reads the point in time afterwards"
# the two writes overlapped: the block layer orders neither before the other
dd if=/dev/vss-rd bs=4096 skip=10 count=1 iflag=direct status=none >$work/lun
{ cmp -s $work/lun $work/B || cmp -s $work/lun $work/C; } &&
	ok "the LUN holds one of the two writes" || fail "the LUN holds one of the two writes"
finish
