#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The file system on a LUN cannot be frozen (its dirty data cannot reach
# the suspended device below): the snapshot set fails within the freeze
# limit with VSS_E_FLUSH_WRITES_TIMEOUT instead of hanging, the other LUN
# of the set is untouched, no snapshot is left, and once the device
# resumes the late freeze is undone: the file system takes writes again
# and is consistent (e2fsck).
. "$(dirname "$0")/lib.sh"

work=/tmp/set_freeze_timeout
plan 8

load_vss || die "cannot load vss"
modprobe dm-mod || die "modprobe dm-mod"
modprobe ext4 2>/dev/null
ramdisks 4 64
rm -rf $work && mkdir -p $work/mnt
param=/sys/module/vss/parameters/freeze_timeout_ms
bg=
cleanup() {
	dmsetup resume fz_a >/dev/null 2>&1
	[ -n "$bg" ] && wait $bg 2>/dev/null
	umount $work/mnt 2>/dev/null
	delete_all_snapshots
	vssctl lun remove fa >/dev/null 2>&1
	vssctl lun remove fb >/dev/null 2>&1
	dmsetup remove fz_a >/dev/null 2>&1
	echo 60000 >$param 2>/dev/null
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

dm_linear_luns fz_a fa fb
mkfs.ext4 -q -F /dev/vss-fa && mount /dev/vss-fa $work/mnt || die "mkfs/mount"
stamp fill /dev/vss-fb $work/b.map 1 >/dev/null || die "stamp fill"
[ "$(cat $param)" = 60000 ] && ok "freeze limit is 60 s by default" ||
	fail "freeze limit is 60 s by default" "$(cat $param 2>&1)"

echo 2000 >$param
# dirty data the freeze must write back, then the device stops
dd if=/dev/urandom of=$work/mnt/f bs=1M count=8 status=none || die "write file"
dmsetup suspend fz_a || die "suspend"
t0=$(now_ms)
timeout 60 vssctl snapshot create fa fb >$work/out 2>$work/err
rc=$?
t1=$(now_ms)
echo "# set with a file system that cannot freeze failed after $((t1 - t0)) ms (limit 2000 ms)"
[ $rc = 9 ] && grep -q 'VSS_E_FLUSH_WRITES_TIMEOUT\|did not finish' $work/err &&
	ok "set fails with VSS_E_FLUSH_WRITES_TIMEOUT" ||
	fail "set fails with VSS_E_FLUSH_WRITES_TIMEOUT" "rc $rc: $(cat $work/err $work/out)"
[ $((t1 - t0)) -ge 1900 ] && [ $((t1 - t0)) -lt 6000 ] && ok "within the freeze limit" ||
	fail "within the freeze limit" "$((t1 - t0)) ms"
timeout 10 stamp write /dev/vss-fb $work/b.map 2 20 2 >/dev/null &&
	stamp verify /dev/vss-fb $work/b.map >/dev/null && ok "the other LUN is untouched and writable" ||
	fail "the other LUN is untouched and writable"
n=$(vssctl -j snapshot list | jq length)
[ "$n" = 0 ] && ok "no snapshot left" || fail "no snapshot left" "$n listed"

dmsetup resume fz_a || die "resume"
sleep 2
sha=$(sha256sum <$work/mnt/f)
timeout 20 sh -c "echo after >$work/mnt/g && sync" && ok "the late freeze was undone: the file system takes writes" ||
	fail "the late freeze was undone: the file system takes writes" "$(dmesg | tail -n 5)"
umount $work/mnt || die "umount"
check "file system consistent" e2fsck -fn /dev/vss-fa
mount /dev/vss-fa $work/mnt || die "remount"
[ "$(sha256sum <$work/mnt/f)" = "$sha" ] && [ "$(cat $work/mnt/g)" = after ] &&
	ok "file data intact" || fail "file data intact"
umount $work/mnt
finish
