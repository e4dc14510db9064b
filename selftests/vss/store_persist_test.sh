#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Store persistence and refusal: snapshots come back with their exact
# content after the LUN is removed and the module reloaded; a store of
# another LUN, a damaged superblock or log block, a newer format and a too
# small device are refused with a clear message, and nothing is lost once
# the damage is undone.  (Crash consistency: selftests/crash/run.)
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/store_persist
plan 22

load_vss || die "cannot load vss"
ramdisks 3 64
rm -rf $work && mkdir -p $work
loopdev=
cleanup() {
	$ctl lun-del sp >/dev/null 2>&1
	$ctl lun-del other >/dev/null 2>&1
	[ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

# store_blk DEV BLOCK FILE / store_put DEV BLOCK FILE: 4 KiB, O_DIRECT
store_blk() { dd if="$1" of="$3" bs=4096 skip="$2" count=1 iflag=direct status=none; }
store_put() { dd if="$3" of="$1" bs=4096 seek="$2" count=1 oflag=direct conv=fsync,notrunc status=none; }
# store_flip DEV BYTE_OFFSET: xor one byte with 0x5a (twice restores it)
store_flip() {
	local blk=$(($2 / 4096)) off=$(($2 % 4096)) v
	store_blk "$1" $blk $work/blk || return 1
	v=$(od -An -tu1 -j $off -N 1 $work/blk | tr -d ' ')
	printf "\\x$(printf %02x $((v ^ 0x5a)))" |
		dd of=$work/blk bs=1 seek=$off conv=notrunc status=none
	store_put "$1" $blk $work/blk
}
# store_u64 FILE OFFSET: little-endian u64 from a file
store_u64() { od -An -tu8 -j "$2" -N 8 "$1" | tr -d ' '; }
# expect_refusal NAME PATTERN CMD...: CMD fails and says PATTERN
expect_refusal() {
	local name=$1 pat=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$name" "accepted: $out"
	elif echo "$out" | grep -qi -- "$pat"; then
		ok "$name"
		echo "# $(echo "$out" | tail -n 1)"
	else
		fail "$name" "wrong message: $out"
	fi
}
snap_ids() { $ctl snap-list sp 2>/dev/null | awk '{print $4, $1, $3}' | sort -n; }
verify_snaps() {
	local seq id dev rc=0
	while read -r seq id dev; do
		udev_settle /dev/$dev || { echo "no /dev/$dev"; rc=1; continue; }
		stamp verify /dev/$dev $work/map.s$seq >/dev/null || { echo "s$seq differs"; rc=1; }
	done < <(snap_ids)
	return $rc
}
readd() { $ctl lun-add sp /dev/ram0 /dev/ram1 4096 keep && udev_settle /dev/vss-sp; }

check "lun add with a new store" $ctl lun-add sp /dev/ram0 /dev/ram1 4096
udev_settle /dev/vss-sp
stamp fill /dev/vss-sp $work/map 1 >/dev/null || die "stamp fill"
$ctl snap sp >/dev/null || die "snapshot 1"
cp $work/map $work/map.s1
stamp write /dev/vss-sp $work/map 2 400 21 >/dev/null || die "stamp write 2"
$ctl snap sp >/dev/null || die "snapshot 2"
cp $work/map $work/map.s2
stamp write /dev/vss-sp $work/map 3 400 22 0 8192 64 >/dev/null || die "stamp write 3"
snap_ids > $work/ids.before

check "lun remove" $ctl lun-del sp
unload_vss && load_vss
check "re-add after module reload" readd
snap_ids > $work/ids.after
if [ -s $work/ids.after ] && diff -q $work/ids.before $work/ids.after >/dev/null; then
	ok "both snapshots back with their ids and sequence numbers"
else
	fail "both snapshots back with their ids and sequence numbers" "$(cat $work/ids.after)"
fi
check "snapshots read their point in time after re-add" verify_snaps
check "LUN reads the latest data after re-add" stamp verify /dev/vss-sp $work/map

# Life goes on: more writes, a third snapshot, delete the first.
stamp write /dev/vss-sp $work/map 4 300 23 >/dev/null || die "stamp write 4"
out=$($ctl snap sp) || die "snapshot 3: $out"
seq3=$(snap_ids | tail -n 1 | awk '{print $1}')
cp $work/map $work/map.s$seq3
stamp write /dev/vss-sp $work/map 5 300 24 >/dev/null || die "stamp write 5"
id1=$(snap_ids | head -n 1 | awk '{print $2}')
check "delete snapshot 1" $ctl snap-del "$id1"
$ctl lun-del sp >/dev/null
check "re-add again" readd
if [ "$(snap_ids | wc -l)" = 2 ] && ! snap_ids | grep -q "$id1" && [ "$seq3" = 3 ]; then
	ok "deleted snapshot stays deleted, seq 3 kept"
else
	fail "deleted snapshot stays deleted, seq 3 kept" "$(snap_ids)"
fi
check "snapshots 2 and 3 read their point in time" verify_snaps
check "LUN reads the latest data" stamp verify /dev/vss-sp $work/map
$ctl lun-del sp >/dev/null

expect_refusal "store of another LUN refused" "another LUN" \
	$ctl lun-add other /dev/ram2 /dev/ram1 4096 keep

# Superblock: the valid copy is the one with the magic.
sbslot=0
store_blk /dev/ram1 0 $work/sb
[ "$(store_u64 $work/sb 0)" = "$(printf %d 0x45524f5453535356)" ] || sbslot=1
store_blk /dev/ram1 $sbslot $work/sb
store_flip /dev/ram1 $((sbslot * 4096 + 77))
expect_refusal "damaged superblock refused" "superblock corrupt" readd
store_flip /dev/ram1 $((sbslot * 4096 + 77))
store_flip /dev/ram1 $((sbslot * 4096 + 8))
expect_refusal "newer format version refused" "newer" readd
store_flip /dev/ram1 $((sbslot * 4096 + 8))

# Log position 0: both copies (chunks log_head[0] and [1] with 4 KiB chunks).
h0=$(store_u64 $work/sb 112)
h1=$(store_u64 $work/sb 120)
store_flip /dev/ram1 $((h0 * 4096 + 500))
store_flip /dev/ram1 $((h1 * 4096 + 500))
expect_refusal "damaged log block refused" "metadata corrupt" readd
store_flip /dev/ram1 $((h0 * 4096 + 500))
store_flip /dev/ram1 $((h1 * 4096 + 500))

check "undamaged store opens again" readd
check "snapshots intact after the refusals" verify_snaps
check "LUN intact after the refusals" stamp verify /dev/vss-sp $work/map
$ctl lun-del sp >/dev/null
if dmesg | grep -E 'Oops|BUG:|WARNING:' >/dev/null; then
	fail "no kernel warning"
else
	ok "no kernel warning"
fi

modprobe loop 2>/dev/null
truncate -s 256K $work/small.img
loopdev=$(losetup -f --show $work/small.img)
expect_refusal "too small store refused" "too small" \
	$ctl lun-add other /dev/ram2 "$loopdev" 4096

# format: the store of LUN sp becomes LUN other's, empty
check "format takes over a foreign store" $ctl lun-add other /dev/ram2 /dev/ram1 4096
if [ -z "$($ctl snap-list other 2>/dev/null)" ]; then
	ok "formatted store is empty"
else
	fail "formatted store is empty"
fi
$ctl lun-del other >/dev/null
finish
