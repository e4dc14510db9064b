#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Snapshots taken while fio writes at random (4 in flight, 4-128 KiB, not
# chunk aligned) on one half of the LUN and stamped blocks change on the
# other half: every snapshot reads back exactly its point in time, fio
# verifies everything it wrote, the LUN reads the latest data; discards
# with snapshots present never change a snapshot.
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_fio
N=5
plan $((N + 6))

load_vss || die "cannot load vss"
# on devices slower than brd fio still writes between the later snapshots:
# a store that holds a copy of the fio half for each of them (no overflow)
test_devs "virtio loop" 64 192 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]}
rm -rf $work && mkdir -p $work
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	for id in $(cat $work/ids 2>/dev/null); do $ctl snap-del "$id" >/dev/null 2>&1; done
	$ctl lun-del ef >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT

check "lun add (64 KiB chunks)" $ctl lun-add ef $D0 $D1 65536
udev_settle /dev/vss-ef
# stamped half: blocks 0..4095 (16 MiB); fio half: 16..48 MiB
stamp fill /dev/vss-ef $work/map 1 0 4096 >/dev/null || die "fill"
fio --name=load --filename=/dev/vss-ef --direct=1 --ioengine=libaio \
	--iodepth=4 --rw=randwrite --bsrange=4k-128k --offset=16M --size=32M \
	--verify=crc32c --do_verify=1 --verify_fatal=1 \
	--output=$work/fio.out >/dev/null 2>&1 &
fpid=$!

for i in $(seq 1 $N); do
	sleep 1
	out=$($ctl snap ef) || { echo "# snapshot $i: $out"; continue; }
	echo "$out" | awk '{print $3}' >>$work/ids
	echo "/dev/$(echo "$out" | awk '{print $2}')" >$work/dev.$i
	cp $work/map $work/map.$i
	stamp write /dev/vss-ef $work/map $((i + 1)) 60 $i 0 4096 24 >/dev/null
done
if wait $fpid; then
	ok "fio writes and verification succeed while snapshots are taken"
else
	fail "fio writes and verification succeed while snapshots are taken" "$(grep -i "err\|verify" $work/fio.out | head -5)"
fi
fpid=
for i in $(seq 1 $N); do
	dev=$(cat $work/dev.$i 2>/dev/null)
	if [ -n "$dev" ] && udev_settle "$dev" && stamp verify "$dev" $work/map.$i >/dev/null; then
		ok "snapshot $i reads its point in time"
	else
		fail "snapshot $i reads its point in time" "$(stamp verify "$dev" $work/map.$i 2>&1 | tail -3)"
	fi
done
check "LUN reads the latest stamped data" stamp verify /dev/vss-ef $work/map

# discard 4 MiB of the stamped half: unpreserved chunks are not discarded
# (the newest snapshot still reads them from the origin), preserved ones
# may be; no snapshot changes
fio --name=trim --filename=/dev/vss-ef --direct=1 --ioengine=psync --rw=trim \
	--bs=1M --offset=0 --size=4M >/dev/null 2>&1
bad=""
for i in $(seq 1 $N); do
	dev=$(cat $work/dev.$i 2>/dev/null)
	[ -n "$dev" ] && stamp verify "$dev" $work/map.$i >/dev/null || bad="$bad $i"
done
[ -z "$bad" ] && ok "discards on the LUN leave every snapshot exact" ||
	fail "discards on the LUN leave every snapshot exact" "wrong:$bad"
# stamped blocks outside the discarded range are intact
dd if=/dev/zero bs=4 count=1024 2>/dev/null >$work/zero
cp $work/map $work/map.after
dd if=$work/zero of=$work/map.after bs=4 count=1024 conv=notrunc 2>/dev/null
check "LUN data outside the discarded range intact" stamp verify /dev/vss-ef $work/map.after
ids=$(cat $work/ids)
bad=""
for id in $ids; do $ctl snap-del "$id" >/dev/null || bad="$bad $id"; done
: >$work/ids
[ -z "$bad" ] && ok "all snapshots deleted" || fail "all snapshots deleted" "$bad"
finish
