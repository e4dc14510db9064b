#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Engine basics: a protected LUN passes data through, snapshots read back
# exactly their point in time (stamped blocks), changed-block tracking
# covers every changed block, delete with handover keeps the others exact.
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_basic
plan 14

load_vss || die "cannot load vss"
test_devs "loop virtio" 64 64 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]}
rm -rf $work && mkdir -p $work
cleanup() {
	$ctl lun-del eb >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT

check "lun add (4 KiB chunks)" $ctl lun-add eb $D0 $D1 4096
udev_settle /dev/vss-eb
if [ "$(blockdev --getsize64 /dev/vss-eb 2>/dev/null)" = "$(blockdev --getsize64 $D0)" ]; then
	ok "LUN device has the backing size"
else
	fail "LUN device has the backing size"
fi

stamp fill /dev/vss-eb $work/map 1 >/dev/null &&
	stamp verify $D0 $work/map >/dev/null &&
	stamp verify /dev/vss-eb $work/map >/dev/null
[ $? = 0 ] && ok "writes pass through to the backing device" ||
	fail "writes pass through to the backing device"

# s1, then writes (multi-chunk runs), s2, more writes
out1=$($ctl snap eb) || die "snapshot 1: $out1"
cp $work/map $work/map.s1
dev1=/dev/$(echo "$out1" | awk '{print $2}')
id1=$(echo "$out1" | awk '{print $3}')
stamp write /dev/vss-eb $work/map 2 400 11 >/dev/null
out2=$($ctl snap eb) || die "snapshot 2: $out2"
cp $work/map $work/map.s2
dev2=/dev/$(echo "$out2" | awk '{print $2}')
id2=$(echo "$out2" | awk '{print $3}')
stamp write /dev/vss-eb $work/map 3 400 12 0 16384 64 >/dev/null
udev_settle $dev1 && udev_settle $dev2
check "snapshot 1 reads its point in time" stamp verify $dev1 $work/map.s1
check "snapshot 2 reads its point in time" stamp verify $dev2 $work/map.s2
check "LUN reads the latest data" stamp verify /dev/vss-eb $work/map
check "backing device holds the latest data" stamp verify $D0 $work/map

# changed-block tracking: every block that differs from s1 is reported
$ctl changes $id1 >$work/ext1 2>&1
cbt_ok=1
cmp -s $work/map.s1 $work/map && cbt_ok=0
od -An -v -tu4 -w4 $work/map.s1 >$work/g1
od -An -v -tu4 -w4 $work/map >$work/g2
paste $work/g1 $work/g2 | awk -v ext=$work/ext1 '
	BEGIN { n = 0; while ((getline l < ext) > 0) { split(l, f, " "); o[n] = f[1] / 4096; e[n] = (f[1] + f[2]) / 4096; n++ } }
	{ b = NR - 1; if ($1 != $2) { c++; hit = 0; for (i = 0; i < n; i++) if (b >= o[i] && b < e[i]) { hit = 1; break }
	  if (!hit) { miss++ } } }
	END { if (n == 0 || miss > 0 || c == 0) exit 1 }' || cbt_ok=0
[ $cbt_ok = 1 ] && ok "changes since snapshot 1 cover every changed block" ||
	fail "changes since snapshot 1 cover every changed block" "$(head -5 $work/ext1)"

if cat $dev1 >/dev/null 2>&1 && ! dd if=/dev/zero of=$dev1 bs=4096 count=1 oflag=direct 2>/dev/null; then
	ok "snapshot devices are read-only"
else
	fail "snapshot devices are read-only"
fi

# delete the older one: the newer one stays exact; then the newer one
check "delete snapshot 1" $ctl snap-del $id1
check "snapshot 2 still exact after deleting 1" stamp verify $dev2 $work/map.s2
check "delete snapshot 2" $ctl snap-del $id2
[ -z "$($ctl snap-list eb)" ] && ok "no snapshot left" || fail "no snapshot left" "$($ctl snap-list eb)"
check "lun remove" $ctl lun-del eb
finish
