#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Store overflow under load: every origin write succeeds (fio verifies its
# data), snapshots are dropped oldest first (the survivors are the newest
# ones and read back exactly), an open oldest snapshot is invalidated (its
# reads fail with EIO) instead of deleted, stays invalid across a re-add of
# the LUN (replay: listed, no device), and the LUN keeps taking snapshots
# afterwards.
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_overflow
plan 15

load_vss || die "cannot load vss"
# a 64 MiB LUN, an 8 MiB store: 2048 chunks of 4 KiB, metadata included
test_devs "virtio nbd" 64 8 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]}
rm -rf $work && mkdir -p $work
cleanup() {
	exec 3<&- 2>/dev/null
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null
	$ctl lun-del eo >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT

fio_load() { # offset size: random writes, 4 in flight, then verify
	fio --name=load --filename=/dev/vss-eo --direct=1 --ioengine=libaio \
		--iodepth=4 --rw=randwrite --bs=16k --offset="$1" --size="$2" \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--output=$work/fio.out >/dev/null 2>&1
}
snap() { # name: take a snapshot, remember id/device/map under that name
	local out
	out=$($ctl snap eo) || return 1
	echo "$out" | awk '{print $3}' >$work/$1.id
	echo "/dev/$(echo "$out" | awk '{print $2}')" >$work/$1.dev
	cp $work/map $work/$1.map
}
state() { # name -> state number, or "gone"
	local s
	s=$($ctl snap-list eo | awk -v id="$(cat $work/$1.id)" '$1 == id {print $5}')
	echo "${s:-gone}"
}

# events, if the CLI is there
mpid=
if command -v vssctl >/dev/null; then
	vssctl monitor >$work/events 2>&1 &
	mpid=$!
	sleep 1
fi

# ---- part 1: nothing open; s1, s2, s3 hold 2 + 2 + 0 MiB, fio writes 5 MiB
check "lun add (8 MiB store)" $ctl lun-add eo $D0 $D1 4096
udev_settle /dev/vss-eo
stamp fill /dev/vss-eo $work/map 1 0 2048 >/dev/null || die "fill"
snap s1 && stamp write /dev/vss-eo $work/map 2 200 1 0 512 16 >/dev/null &&
	stamp fill /dev/vss-eo $work/map 2 0 512 >/dev/null &&
	snap s2 && stamp fill /dev/vss-eo $work/map 3 512 512 >/dev/null &&
	snap s3 || die "snapshots"
dmesg -c >/dev/null
if fio_load 16M 5M; then
	ok "origin writes and their verification succeed while the store overflows"
else
	fail "origin writes and their verification succeed while the store overflows" "$(tail -5 $work/fio.out)"
fi
dmesg | grep -q "store full" && ok "store-full policy ran" || fail "store-full policy ran"
st="$(state s1) $(state s2) $(state s3)"
case "$st" in
"gone $SNAP_READY $SNAP_READY")
	# s1 (2 MiB) makes room for the 5 MiB; s2 must not go as well
	ok "only the oldest snapshot dropped ($st)" ;;
*)	fail "only the oldest snapshot dropped" "states s1 s2 s3: $st" ;;
esac
bad=""
for s in s2 s3; do
	[ "$(state $s)" = $SNAP_READY ] || continue
	udev_settle "$(cat $work/$s.dev)"
	stamp verify "$(cat $work/$s.dev)" $work/$s.map >/dev/null || bad="$bad $s"
done
[ -z "$bad" ] && ok "surviving snapshots are exact" || fail "surviving snapshots are exact" "wrong:$bad"
snap s4 && stamp fill /dev/vss-eo $work/map 4 0 256 >/dev/null &&
	udev_settle "$(cat $work/s4.dev)" && stamp verify "$(cat $work/s4.dev)" $work/s4.map >/dev/null
[ $? = 0 ] && ok "LUN takes new snapshots after an overflow" ||
	fail "LUN takes new snapshots after an overflow"
for s in s2 s3 s4; do
	[ "$(state $s)" = gone ] || $ctl snap-del "$(cat $work/$s.id)" >/dev/null
done
check "lun remove" $ctl lun-del eo

# ---- part 2: the oldest snapshot is open while the store overflows
rm -f $work/map
check "lun add (fresh store)" $ctl lun-add eo $D0 $D1 4096
udev_settle /dev/vss-eo
stamp fill /dev/vss-eo $work/map 1 0 2048 >/dev/null || die "fill"
snap o1 && stamp fill /dev/vss-eo $work/map 2 0 768 >/dev/null && snap o2 || die "snapshots"
udev_settle "$(cat $work/o1.dev)"
exec 3<"$(cat $work/o1.dev)"
if fio_load 16M 7M; then
	ok "origin writes succeed with the oldest snapshot open"
else
	fail "origin writes succeed with the oldest snapshot open" "$(tail -5 $work/fio.out)"
fi
[ "$(state o1)" = $SNAP_INVALID ] && ok "open oldest snapshot invalidated, not deleted" ||
	fail "open oldest snapshot invalidated, not deleted" "state $(state o1)"
if ! dd if="$(cat $work/o1.dev)" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; then
	ok "reads of the invalid snapshot fail"
else
	fail "reads of the invalid snapshot fail"
fi
exec 3<&-
# the invalidation is durable: a re-added LUN brings o1 back invalid, o2 exact
check "lun remove and re-add (replay)" eval "$ctl lun-del eo && $ctl lun-add eo $D0 $D1 4096 keep"
udev_settle /dev/vss-eo
st="$(state o1) $(state o2)"
o2ok=1	# o2 may have been dropped by the overflow too; if it lives, it is exact
if [ "$(state o2)" = $SNAP_READY ]; then
	udev_settle "$(cat $work/o2.dev)" &&
		stamp verify "$(cat $work/o2.dev)" $work/o2.map >/dev/null || o2ok=0
fi
o1dev=absent
sleep 0.5
[ -e "$(cat $work/o1.dev)" ] && o1dev=present
if [ "$(state o1)" = $SNAP_INVALID ] && [ $o2ok = 1 ] && [ $o1dev = absent ]; then
	ok "after replay: o1 listed invalid without a device, o2 exact ($st)"
else
	fail "after replay: o1 listed invalid without a device, o2 exact" \
		"states o1 o2: $st, o2 verified: $o2ok, o1 device $o1dev"
fi
check "invalid snapshot deleted once closed" $ctl snap-del "$(cat $work/o1.id)"
[ "$(state o2)" = $SNAP_READY ] && $ctl snap-del "$(cat $work/o2.id)" >/dev/null
if [ -n "$mpid" ]; then
	sleep 1
	kill $mpid 2>/dev/null
	wait $mpid 2>/dev/null
	mpid=
	missing=""
	for ev in snapshot-created store-low store-full snapshot-deleted snapshot-invalidated; do
		grep -q "^$ev" $work/events || missing="$missing $ev"
	done
	[ -z "$missing" ] && ok "events sent: created, store-low, store-full, deleted, invalidated" ||
		fail "events sent" "missing:$missing; got: $(awk '{print $1}' $work/events | sort | uniq -c | tr '\n' ' ')"
else
	skip "events sent" "vssctl not built"
fi
finish
