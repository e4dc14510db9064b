#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Resync onto another protected LUN, and the destination's identity
# (issue 11):
#  - a GPT-partitioned LUN "src", snapshot S; a LUN "dst" of its own GPT
#    and a snapshot T of it; "recover S=/dev/vss-dst" returns with dst
#    already carrying dst's disk GUID and partition GUIDs (sfdisk --disk-id,
#    --part-uuid, blkid PTUUID) and reading as S everywhere else, while the
#    copy runs (32 KiB/s); writes during the copy (a partial chunk, a whole
#    chunk) are all there at the end; both GPTs valid (sfdisk --verify);
#    T and S unchanged;
#  - --revert-identity: dst byte-equal to S, S's identity included;
#  - the identity rules: an MBR destination cannot keep its signature in a
#    GPT copy (VSS_E_CANNOT_REVERT_DISKID), unless --revert-identity; a
#    plain device (brd) keeps its GPT identity too;
#  - the checks: a destination LUN open (VSS_E_VOLUME_IN_USE) unless
#    --no-volume-check, smaller (VSS_E_VOLUME_NOT_SUPPORTED), being resynced
#    (VSS_E_RESYNC_IN_PROGRESS); the source LUN cannot be removed while dst
#    reads from its snapshot;
#  - incremental copies to a standby: dst written since its last copy gets
#    a full copy; a newer snapshot S2 (and S again) onto the standby
#    holding S copies about the changed bytes only, and dst equals it.
. "$(dirname "$0")/lib.sh"

work=/tmp/resync_dest
# VSS_QUICK: an 8 MiB LUN, and the online copy, the identity rules and
# the incremental copies only (the --revert-identity copy, the plain
# device and the in-use/size checks run in full runs)
quick=${VSS_QUICK:-}
plan $([ -n "$quick" ] && echo 22 || echo 31)

MB=$((1024 * 1024))
SZ=$([ -n "$quick" ] && echo 8 || echo 16)	# MiB per LUN: loop devices on files; stores of twice that
load_vss || die "cannot load vss"
# ram1 src's store, ram3 dst's, ram5 the small LUN's, ram6 a plain device
ramdisks 7 $((2 * SZ))
rm -rf $work && mkdir -p $work
modprobe loop 2>/dev/null
backing() { # NAME MB: a loop device on a file
	truncate -s "$2"M $work/$1.img && losetup -f --show $work/$1.img
}
srcdev=$(backing src $SZ) && dstdev=$(backing dst $SZ) || die "losetup failed"
cleanup() {
	exec 3<&- 2>/dev/null
	for d in /dev/vss-dst /dev/ram6; do vssctl resync cancel $d >/dev/null 2>&1; done
	for d in /dev/vss-dst /dev/ram6; do vssctl resync wait $d >/dev/null 2>&1; done
	delete_all_snapshots
	for l in src dst small; do vssctl lun remove $l >/dev/null 2>&1; done
	for d in ${loopdev:-} ${srcdev:-} ${dstdev:-}; do losetup -d "$d" 2>/dev/null; done
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

expect_nz() { # NAME PATTERN CMD...: fails (not usage) and stderr matches
	local name=$1 pat=$2 rc
	shift 2
	"$@" >$work/out 2>$work/err
	rc=$?
	if [ $rc = 0 ] || [ $rc = 2 ]; then
		fail "$name" "exit $rc: $(head -c 300 $work/err)"
	elif ! grep -Eq "$pat" $work/err; then
		fail "$name" "stderr does not match /$pat/: $(head -c 300 $work/err)"
	else
		ok "$name (exit $rc)"
	fi
}
resync_field() { # DEST FIELD
	vssctl -j resync list | jq -r --arg d "$1" --arg f "$2" '[.[] | select(.destination == $d)] | last | .[$f] // empty'
}
sha_dev() { dd if="$1" bs=1M count=$SZ iflag=direct status=none | sha256sum | cut -d' ' -f1; }
# the bytes a kept identity leaves alone: all but the first and last 64 KiB
sha_mid() {
	dd if="$1" bs=64K skip=1 count=$((SZ * 16 - 2)) iflag=direct status=none | sha256sum | cut -d' ' -f1
}
gpt() { # DEV DISK-GUID PREFIX: a GPT of two partitions
	printf 'label: gpt\nlabel-id: %s\nsize=2M, uuid=%s-0000-4000-8000-000000000001\nsize=2M, uuid=%s-0000-4000-8000-000000000002\n' \
		"$2" "$3" "$3" | sfdisk -q --no-reread --no-tell-kernel "$1" >/dev/null 2>&1
}
ids() { # DEV: disk GUID and both partition GUIDs, one line
	echo "$(sfdisk --disk-id "$1" 2>/dev/null) $(sfdisk --part-uuid "$1" 1 2>/dev/null) $(sfdisk --part-uuid "$1" 2 2>/dev/null)"
}

vssctl lun add $srcdev --store /dev/ram1 --name src --chunk-size 64K --format >/dev/null &&
	vssctl lun add $dstdev --store /dev/ram3 --name dst --chunk-size 64K --format >/dev/null ||
	die "lun add failed"
udev_settle /dev/vss-src && udev_settle /dev/vss-dst || die "no LUN devices"
dd if=/dev/urandom of=/dev/vss-src bs=1M count=$SZ oflag=direct status=none || die "dd failed"
dd if=/dev/urandom of=/dev/vss-dst bs=1M count=$SZ oflag=direct status=none || die "dd failed"
gpt /dev/vss-src 11111111-2222-4333-8444-555555555555 aaaaaaaa || die "sfdisk src failed"
gpt /dev/vss-dst 99999999-8888-4777-8666-555555555555 bbbbbbbb || die "sfdisk dst failed"
srcids=$(ids /dev/vss-src)
dstids=$(ids /dev/vss-dst)
[ "$srcids" != "$dstids" ] && [ -n "$(sfdisk --disk-id /dev/vss-dst)" ] || die "identities: '$srcids' '$dstids'"

vssctl -j snapshot create src > $work/s && vssctl -j snapshot create dst > $work/t || die "snapshot create failed"
S=$(jq -r '.snapshots[0].id' $work/s)
SDEV=$(jq -r '.snapshots[0].device' $work/s)
T=$(jq -r '.snapshots[0].id' $work/t)
TDEV=$(jq -r '.snapshots[0].device' $work/t)
udev_settle "$SDEV" && udev_settle "$TDEV" || die "no snapshot devices"
ssha=$(sha_dev "$SDEV")
smid=$(sha_mid "$SDEV")
tsha=$(sha_dev "$TDEV")
# src changes after S: the copy must take S, not the LUN
dd if=/dev/urandom of=/dev/vss-src bs=64K count=16 seek=$((SZ * 4)) oflag=direct status=none || die "dd failed"

# ---- online copy onto dst, keeping dst's identity ----
expect "recover S=/dev/vss-dst at 32 KiB/s returns at once" 0 "" \
	vssctl -j recover --speed-max 32K "$S=/dev/vss-dst"
expect_nz "src cannot be removed while dst reads from its snapshot" 'resync' vssctl lun remove src
expect_nz "a second resync onto dst: VSS_E_RESYNC_IN_PROGRESS" VSS_E_RESYNC_IN_PROGRESS vssctl recover "$S=/dev/vss-dst"
if [ "$(resync_field /dev/vss-dst state)" = running ] && [ "$(resync_field /dev/vss-dst lun)" = src ] &&
	[ "$(resync_field /dev/vss-dst snapshot)" = "$S" ]; then
	ok "resync list: lun src, destination /dev/vss-dst, snapshot S, running"
else
	fail "resync list: lun src, destination /dev/vss-dst, snapshot S, running" "$(vssctl -j resync list)"
fi
if [ "$(ids /dev/vss-dst)" = "$dstids" ] &&
	[ "$(blkid -p -o value -s PTUUID /dev/vss-dst)" = "$(sfdisk --disk-id /dev/vss-dst | tr A-Z a-z)" ]; then
	ok "while it runs, dst carries its own disk and partition GUIDs (sfdisk, blkid)"
else
	fail "while it runs, dst carries its own disk and partition GUIDs" "$(ids /dev/vss-dst) vs $dstids"
fi
if [ "$(sha_mid /dev/vss-dst)" = "$smid" ] && [ "$(resync_field /dev/vss-dst state)" = running ]; then
	ok "while it runs, dst reads as S (all but the partition-table blocks)"
else
	fail "while it runs, dst reads as S" "state $(resync_field /dev/vss-dst state)"
fi
# writes during the copy: 4 KiB into a chunk (it waits for that chunk's
# copy) and a whole chunk (goes straight on); the expected image follows
dd if="$SDEV" of=$work/exp bs=1M iflag=direct status=none
head -c 4096 /dev/urandom > $work/w1 && head -c 65536 /dev/urandom > $work/w2
dd if=$work/w1 of=/dev/vss-dst bs=4096 seek=$((SZ * 4 * 16 + 3)) oflag=direct status=none &&
	dd if=$work/w2 of=/dev/vss-dst bs=64K seek=$((SZ * 8)) oflag=direct status=none || die "writes to dst failed"
dd if=$work/w1 of=$work/exp bs=4096 seek=$((SZ * 4 * 16 + 3)) conv=notrunc status=none
dd if=$work/w2 of=$work/exp bs=64K seek=$((SZ * 8)) conv=notrunc status=none
emid=$(dd if=$work/exp bs=64K skip=1 count=$((SZ * 16 - 2)) status=none | sha256sum | cut -d' ' -f1)
if [ "$(sha_mid /dev/vss-dst)" = "$emid" ]; then
	ok "writes during the copy read back at once"
else
	fail "writes during the copy read back at once"
fi
expect "resync speed --max 0 and wait" 0 "" sh -c "vssctl resync speed /dev/vss-dst --max 1G && vssctl resync wait /dev/vss-dst"
if [ "$(resync_field /dev/vss-dst state)" = done ] && [ "$(sha_mid /dev/vss-dst)" = "$emid" ]; then
	ok "done: dst is S plus the writes made during the copy"
else
	fail "done: dst is S plus the writes made during the copy" "$(vssctl resync list)"
fi
if [ "$(ids /dev/vss-dst)" = "$dstids" ] && sfdisk --verify /dev/vss-dst >$work/verify 2>&1 &&
	! grep -Eqi 'crc|corrupt|invalid' $work/verify; then
	ok "dst keeps its identity; both GPTs valid (sfdisk --verify)"
else
	fail "dst keeps its identity; both GPTs valid (sfdisk --verify)" "$(ids /dev/vss-dst): $(head -c 300 $work/verify)"
fi
if sfdisk -d /dev/vss-dst | grep '^/' | sed 's/, uuid=.*//;s/^[^:]*://' > $work/b1 &&
	sfdisk -d "$SDEV" | grep '^/' | sed 's/, uuid=.*//;s/^[^:]*://' > $work/b2 && cmp -s $work/b1 $work/b2; then
	ok "the partitions are S's (starts, sizes, types)"
else
	fail "the partitions are S's" "$(cat $work/b1) / $(cat $work/b2)"
fi
if [ "$(sha_dev "$TDEV")" = "$tsha" ] && [ "$(sha_dev "$SDEV")" = "$ssha" ]; then
	ok "dst's own snapshot T and the source snapshot S are unchanged"
else
	fail "dst's own snapshot T and the source snapshot S are unchanged"
fi

if [ -z "$quick" ]; then
# ---- --revert-identity: S's identity too ----
expect "recover --revert-identity --wait S=dst (by LUN name)" 0 "" vssctl recover --revert-identity --wait "$S=dst"
if [ "$(sha_dev /dev/vss-dst)" = "$ssha" ] && [ "$(ids /dev/vss-dst)" = "$srcids" ]; then
	ok "--revert-identity: dst byte-equal to S, S's GUIDs"
else
	fail "--revert-identity: dst byte-equal to S, S's GUIDs" "$(ids /dev/vss-dst)"
fi
if [ "$(sha_dev "$TDEV")" = "$tsha" ]; then ok "T still unchanged after two copies"; else fail "T still unchanged after two copies"; fi
fi

# ---- identity rules ----
printf 'label: dos\nlabel-id: 0xcafe0001\nsize=1M\n' | sfdisk -q --no-reread --no-tell-kernel /dev/vss-dst >/dev/null 2>&1 ||
	die "sfdisk dos failed"
expect_nz "an MBR destination, a GPT snapshot: VSS_E_CANNOT_REVERT_DISKID" VSS_E_CANNOT_REVERT_DISKID \
	vssctl recover "$S=/dev/vss-dst"
if [ "$(sfdisk --disk-id /dev/vss-dst)" = 0xcafe0001 ] && [ "$(resync_field /dev/vss-dst state)" = done ]; then
	ok "the refused resync changed nothing"
else
	fail "the refused resync changed nothing" "$(sfdisk --disk-id /dev/vss-dst) $(resync_field /dev/vss-dst state)"
fi
expect "the same with --revert-identity" 0 "" vssctl recover --revert-identity --wait "$S=/dev/vss-dst"
if [ -z "$quick" ]; then
dd if=/dev/urandom of=/dev/ram6 bs=1M count=$SZ oflag=direct status=none
gpt /dev/ram6 77777777-8888-4777-8666-555555555555 cccccccc || die "sfdisk ram6 failed"
r6ids=$(ids /dev/ram6)
expect "a full copy onto a plain device (brd) with a GPT" 0 "" vssctl recover --wait "$S=/dev/ram6"
if [ "$(ids /dev/ram6)" = "$r6ids" ] && [ "$(sha_mid /dev/ram6)" = "$smid" ] &&
	sfdisk --verify /dev/ram6 >$work/verify 2>&1 && ! grep -Eqi 'crc|corrupt|invalid' $work/verify; then
	ok "the plain device keeps its identity, holds S elsewhere, valid GPTs"
else
	fail "the plain device keeps its identity, holds S elsewhere, valid GPTs" "$(ids /dev/ram6) vs $r6ids: $(head -c 200 $work/verify)"
fi

# ---- checks ----
exec 3</dev/vss-dst
expect_nz "an open destination LUN: VSS_E_VOLUME_IN_USE" VSS_E_VOLUME_IN_USE \
	vssctl recover --revert-identity "$S=/dev/vss-dst"
expect "--no-volume-check copies onto it all the same (online)" 0 "" \
	vssctl recover --revert-identity --no-volume-check --wait "$S=/dev/vss-dst"
exec 3<&-
if [ "$(sha_dev /dev/vss-dst)" = "$ssha" ]; then ok "and dst equals S"; else fail "and dst equals S"; fi
loopdev=$(backing small $((SZ / 2))) &&
	vssctl lun add "$loopdev" --store /dev/ram5 --name small --chunk-size 64K --format >/dev/null ||
	die "cannot add a small LUN"
expect_nz "a smaller destination LUN: VSS_E_VOLUME_NOT_SUPPORTED" VSS_E_VOLUME_NOT_SUPPORTED \
	vssctl recover "$S=/dev/vss-small"
fi

# ---- incremental copies to a standby ----
total_of() { resync_field /dev/vss-dst total_bytes; }
dd if=/dev/urandom of=/dev/vss-dst bs=4K count=1 seek=77 oflag=direct status=none || die "dd failed"
expect "recover S=dst onto a standby written since its last copy" 0 "" vssctl recover --revert-identity --wait "$S=dst"
if [ "$(total_of)" = $((SZ * MB)) ] && [ "$(sha_dev /dev/vss-dst)" = "$ssha" ]; then
	ok "written since: a full copy ($(total_of) bytes)"
else
	fail "written since: a full copy" "total $(total_of)"
fi
dd if=/dev/urandom of=/dev/vss-src bs=64K count=8 seek=$((SZ * 12)) oflag=direct status=none || die "dd failed"
vssctl -j snapshot create src > $work/s2 || die "snapshot create failed"
S2=$(jq -r '.snapshots[0].id' $work/s2)
S2DEV=$(jq -r '.snapshots[0].device' $work/s2)
udev_settle "$S2DEV" || die "no snapshot device"
changed=$(vssctl -j snapshot changes "$S" | jq .changed_bytes)
expect "recover S2=dst onto the standby holding S" 0 "" vssctl recover --revert-identity --wait "$S2=dst"
t=$(total_of)
if [ "$t" -ge $((8 * 65536)) ] && [ "$t" -le $((changed + 2 * 65536)) ] &&
	[ "$(sha_dev /dev/vss-dst)" = "$(sha_dev "$S2DEV")" ]; then
	ok "incremental: $t bytes copied for $changed changed since S; dst equals S2"
else
	fail "incremental: bytes copied ~ changed bytes, dst equals S2" "total $t, changed since S $changed"
fi
expect "recover S=dst back to the older snapshot" 0 "" vssctl recover --revert-identity --wait "$S=dst"
t=$(total_of)
if [ "$t" -le $((changed + 2 * 65536)) ] && [ "$(sha_dev /dev/vss-dst)" = "$ssha" ]; then
	ok "incremental back to S: $t bytes; dst equals S"
else
	fail "incremental back to S: dst equals S" "total $t, changed $changed"
fi

if vssctl lun remove src >/dev/null 2>&1 && vssctl lun add $srcdev --store /dev/ram1 --name src >/dev/null; then
	ok "src can be removed (and added back) once the copies are done"
else
	fail "src can be removed (and added back) once the copies are done"
fi
finish
