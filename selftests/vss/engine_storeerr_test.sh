#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The store fails (its device starts returning I/O errors): writes to the
# LUN still succeed and land, every snapshot becomes invalid and its reads
# fail, nothing else is affected; the LUN can still be removed.
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_storeerr
plan 6

load_vss || die "cannot load vss"
test_devs "nbd virtio" 64 64 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]}
rm -rf $work && mkdir -p $work
sectors=$(($(blockdev --getsize64 $D1) / 512))
cleanup() {
	$ctl lun-del es >/dev/null 2>&1
	dmsetup remove es_store >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT
modprobe dm-mod || die "modprobe dm-mod"
dmsetup create --noudevsync es_store --table "0 $sectors linear $D1 0" &&
	dmsetup mknodes >/dev/null 2>&1 || die "dmsetup"

check "lun add" $ctl lun-add es $D0 /dev/mapper/es_store 4096
udev_settle /dev/vss-es
stamp fill /dev/vss-es $work/map 1 0 4096 >/dev/null || die "fill"
for i in 1 2; do
	out=$($ctl snap es) || die "snapshot $i: $out"
	echo "$out" | awk '{print $3, $2}' >>$work/snaps
	stamp write /dev/vss-es $work/map $((i + 1)) 50 $i 0 4096 8 >/dev/null || die "write"
done

# the store device fails from now on
dmsetup suspend es_store && dmsetup load es_store --table "0 $sectors error" &&
	dmsetup resume es_store || die "dm error table"
if stamp write /dev/vss-es $work/map 9 200 9 0 4096 16 >/dev/null; then
	ok "LUN writes succeed while the store fails"
else
	fail "LUN writes succeed while the store fails"
fi
check "LUN holds the latest data" stamp verify /dev/vss-es $work/map
sleep 1
states=$($ctl snap-list es | awk '{print $5}' | sort -u | tr '\n' ' ')
[ "$states" = "$SNAP_INVALID " ] && ok "every snapshot invalidated" || fail "every snapshot invalidated" "states: $states"
bad=""
while read -r id dev; do
	dd if=/dev/$dev of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null && bad="$bad $dev"
done <$work/snaps
[ -z "$bad" ] && ok "reads of the invalid snapshots fail" || fail "reads of the invalid snapshots fail" "$bad"

dmsetup suspend es_store && dmsetup load es_store --table "0 $sectors linear $D1 0" &&
	dmsetup resume es_store
while read -r id dev; do $ctl snap-del "$id" >/dev/null 2>&1; done <$work/snaps
check "LUN removed after the store failure" $ctl lun-del es
finish
