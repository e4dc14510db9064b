#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad "lun add" requests are refused with a clear message and change
# nothing: bad chunk sizes, store == backing, a device another LUN uses
# (as store or backing), a name in use, a bad name, a missing device, a
# mounted backing device; removal of an open LUN is refused.
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_badinput
plan 14

load_vss || die "cannot load vss"
test_devs loop 16 16 16 16 16 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]} D2=${DEVS[2]} D3=${DEVS[3]} D4=${DEVS[4]}
rm -rf $work && mkdir -p $work
cleanup() {
	exec 4<&- 2>/dev/null
	umount /mnt/eb_ro 2>/dev/null
	$ctl lun-del ba >/dev/null 2>&1
	$ctl lun-del bb >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT

luns() { ls /sys/block | grep '^vss-' | sort | tr '\n' ' '; }
# refused NAME EXPECTED_MSG_REGEX CTL_ARGS...: refused, message matches,
# the set of vss devices did not change
refused() {
	local name=$1 re=$2 before after out
	shift 2
	before=$(luns)
	if out=$($ctl "$@" 2>&1); then
		fail "$name" "accepted"
		return
	fi
	after=$(luns)
	if ! echo "$out" | grep -Eq "$re"; then
		fail "$name" "message: $out"
	elif [ "$before" != "$after" ]; then
		fail "$name" "devices changed: '$before' -> '$after'"
	else
		ok "$name"
		echo "# $out"
	fi
}

check "lun add ba" $ctl lun-add ba $D0 $D1 65536
udev_settle /dev/vss-ba
stamp fill /dev/vss-ba $work/map 1 0 256 >/dev/null || die "fill"

refused "chunk size not a power of two" "chunk|Chunk" lun-add bb $D2 $D3 12288
refused "chunk size below 4 KiB" "chunk|Chunk|out of range" lun-add bb $D2 $D3 2048
refused "chunk size above 1 MiB" "chunk|Chunk|out of range" lun-add bb $D2 $D3 2097152
refused "store equal to the backing device" "differ|same" lun-add bb $D2 $D2
refused "store used by another LUN" "in use|busy" lun-add bb $D2 $D1
refused "backing used by another LUN" "in use|busy" lun-add bb $D0 $D3
refused "store is another LUN's backing" "in use|busy" lun-add bb $D2 $D0
refused "LUN name in use" "exists|in use" lun-add ba $D2 $D3
refused "bad LUN name" "name" lun-add "b-b" $D2 $D3
refused "missing backing device" "not found|No such|exist" lun-add bb /dev/nonexistent $D3
mkfs.ext4 -q -F $D4 >/dev/null 2>&1 && mkdir -p /mnt/eb_ro && mount -o ro $D4 /mnt/eb_ro
refused "mounted backing device" "in use|busy" lun-add bb $D4 $D3
umount /mnt/eb_ro

exec 4</dev/vss-ba
refused "remove while the LUN device is open" "open|busy" lun-del ba
exec 4<&-
check "LUN unchanged after the refusals" stamp verify /dev/vss-ba $work/map
finish
