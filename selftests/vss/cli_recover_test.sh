#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vssctl recover / resync (LUN resync from recovery sets, issue 11), as a
# script author drives it:
#  - ext4 on a LUN, files damaged, "recover --wait" onto the LUN: every
#    file has its content back (sha256), e2fsck passes, the LUN is
#    byte-equal to the snapshot, the snapshot unchanged;
#  - "-j recover --wait": every line is JSON, progress lines, a final
#    object whose done_bytes == total_bytes == the bytes changed;
#  - --keep-current: the damaged state kept as a snapshot, and one more
#    recover onto it undoes the revert;
#  - "resync list" while running (the LUN reads as the snapshot meanwhile),
#    speed, wait, cancel (states running, done, cancelled) and a second
#    recover of a busy LUN (VSS_E_RESYNC_IN_PROGRESS);
#  - a full copy onto another device (SNAPSHOT=DEST);
#  - clear errors with non-zero exits for bad arguments: unknown snapshot,
#    malformed id, bad destinations (missing, a file, too small, in use,
#    the LUN's own backing device, twice in one set), unknown DEST for
#    wait/cancel; nothing on stdout with -j.
# A 128 MiB LUN and changes of 48 and 32 MiB; under VSS_QUICK a 48 MiB LUN
# and changes of 16 MiB (the same cases, less data to copy and checksum).
. "$(dirname "$0")/lib.sh"

work=/tmp/cli_recover
plan 42

load_vss || die "cannot load vss"
# ram0 LUN, ram1 store, ram2 a plain destination, ram3 one in use
if [ -n "${VSS_QUICK:-}" ]; then
	SZ=48 JMB=16 JRATE=6M BMB=16 BSEEK=24 BRATE=256K
else
	SZ=128 JMB=48 JRATE=16M BMB=32 BSEEK=40 BRATE=2M
fi
ramdisks 4 $SZ
rm -rf $work && mkdir -p $work /mnt/rv /mnt/rvu
cleanup() {
	umount /mnt/rv 2>/dev/null
	umount /mnt/rvu 2>/dev/null
	for d in /dev/vss-rv /dev/ram2; do vssctl resync cancel $d >/dev/null 2>&1; done
	delete_all_snapshots
	vssctl lun remove rv >/dev/null 2>&1
	[ -n "${loopdev:-}" ] && losetup -d "$loopdev" 2>/dev/null
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

MB=$((1024 * 1024))
LUN=/dev/vss-rv
vssctl lun add /dev/ram0 --store /dev/ram1 --name rv --chunk-size 64K --format >/dev/null ||
	die "lun add failed"
udev_settle $LUN || die "no LUN device"
sha_dev() { dd if="$1" bs=1M count=$SZ iflag=direct status=none | sha256sum | cut -d' ' -f1; }
resync_field() { # DEST FIELD (from the JSON listing)
	vssctl -j resync list | jq -r --arg d "$1" --arg f "$2" '[.[] | select(.destination == $d)] | last | .[$f] // empty'
}
# expect_nz NAME PATTERN CMD...: CMD fails (a non-zero exit other than the
# usage error 2) and its stderr matches PATTERN.
expect_nz() {
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
# wait_state DEST STATE: up to 60 s
wait_state() {
	local i
	for i in $(seq 300); do [ "$(resync_field "$1" state)" = "$2" ] && return 0; sleep 0.2; done
	return 1
}

# ---- ext4 on the LUN, a snapshot, damage ----
mkfs.ext4 -q -F $LUN && mount $LUN /mnt/rv || die "mkfs/mount failed"
for i in $(seq 1 20); do
	head -c $((4096 * (1 + i * 7))) /dev/urandom > /mnt/rv/f$i || die "write failed"
done
mkdir /mnt/rv/dir && cp /mnt/rv/f1 /mnt/rv/dir/copy
(cd /mnt/rv && find . -type f ! -name '*.lost*' | sort | xargs sha256sum) > $work/files
umount /mnt/rv
vssctl -j snapshot create rv > $work/set1 || die "snapshot create failed"
S1=$(jq -r '.snapshots[0].id' $work/set1)
S1DEV=$(jq -r '.snapshots[0].device' $work/set1)
udev_settle "$S1DEV" || die "no snapshot device"
snapsha=$(sha_dev "$S1DEV")

damage_fs() {
	mount $LUN /mnt/rv || return 1
	for i in 2 5 9 14; do dd if=/dev/urandom of=/mnt/rv/f$i bs=4K count=3 conv=notrunc status=none; done
	rm -f /mnt/rv/f3 /mnt/rv/f7 /mnt/rv/dir/copy
	head -c 3M /dev/urandom > /mnt/rv/junk
	umount /mnt/rv
}
damage_fs || die "damage failed"
[ "$(sha_dev $LUN)" != "$snapsha" ] || die "the damage changed nothing"

# ---- revert with --wait (text) ----
expect "recover --wait reverts the LUN (exit 0)" 0 "" vssctl recover --wait "$S1"
if grep -Eq "^resync rv: destination $LUN snapshot $S1 state done done [0-9.]+[KMG]?/[0-9.]+[KMG]? " $work/out &&
	grep -Eq '^state done done ' $work/out; then
	ok "recover --wait prints each resync and the final state (text)"
else
	fail "recover --wait prints each resync and the final state (text)" "$(cat $work/out)"
fi
if mount -o ro $LUN /mnt/rv && (cd /mnt/rv && sha256sum -c --quiet $work/files) > $work/sumc 2>&1 &&
	[ ! -e /mnt/rv/junk ]; then
	ok "every file has its content back (sha256), the new file is gone"
else
	fail "every file has its content back (sha256), the new file is gone" "$(head -c 400 $work/sumc)"
fi
umount /mnt/rv 2>/dev/null
check "e2fsck -fn after the revert" e2fsck -fn $LUN
if [ "$(sha_dev $LUN)" = "$snapsha" ]; then ok "the LUN is byte-equal to the snapshot"; else fail "the LUN is byte-equal to the snapshot"; fi
if [ "$(sha_dev "$S1DEV")" = "$snapsha" ] && vssctl -j snapshot show "$S1" | jqe '.state == "ready"'; then
	ok "the snapshot is unchanged and ready (can be used again)"
else
	fail "the snapshot is unchanged and ready (can be used again)"
fi

# ---- -j: progress lines and the final object ----
# 48 MiB changed at 16 MiB/s at most (16 at 6): a few seconds, several progress lines
dd if=/dev/urandom of=$LUN bs=1M count=$JMB seek=8 oflag=direct status=none || die "dd failed"
changed=$(vssctl -j snapshot changes "$S1" | jq .changed_bytes)
vssctl -j recover --wait --speed-max $JRATE "$S1" > $work/jout 2> $work/jerr
rc=$?
if [ $rc = 0 ] && [ -s $work/jout ] && while read -r l; do echo "$l" | jq -e . >/dev/null 2>&1 || exit 1; done < $work/jout; then
	ok "-j recover --wait: exit 0, every line is JSON ($(wc -l < $work/jout) lines)"
else
	fail "-j recover --wait: exit 0, every line is JSON" "rc $rc: $(head -c 300 $work/jerr) $(head -c 300 $work/jout)"
fi
if [ "$(jq -s '[.[] | select(.type == "progress")] | length' $work/jout 2>/dev/null)" -ge 2 ] &&
	jqe -s '[.[] | select(.type == "progress")] | all(.done_bytes <= .total_bytes and (.rate | type) == "number"
		and (.elapsed_ms | type) == "number" and (.resyncs | length) == 1)' $work/jout; then
	ok "progress lines: done <= total, rate, elapsed, the resync ($(jq -s '[.[] | select(.type == "progress")] | length' $work/jout) lines)"
else
	fail "progress lines: done <= total, rate, elapsed, the resync" "$(head -c 600 $work/jout)"
fi
last=$(tail -n 1 $work/jout)
if echo "$last" | jqe --argjson c "${changed:-0}" '.type == "result" and .state == "done" and .done_bytes == .total_bytes
	and .total_bytes == $c and $c > 0 and (.session_id | test("^[0-9a-f-]{36}$"))
	and .resyncs[0].state == "done" and .resyncs[0].lun == "rv"'; then
	ok "the final object: done_bytes == total_bytes == the changed bytes ($changed)"
else
	fail "the final object: done_bytes == total_bytes == the changed bytes ($changed)" "$last"
fi
if [ "$(sha_dev $LUN)" = "$snapsha" ]; then ok "byte-equal after the second revert"; else fail "byte-equal after the second revert"; fi

# ---- --keep-current: undo in one command ----
dd if=/dev/urandom of=$LUN bs=64K count=40 seek=100 oflag=direct status=none || die "dd failed"
damaged=$(sha_dev $LUN)
expect "recover --keep-current --wait (exit 0)" 0 "" vssctl -j recover --keep-current --wait "$S1"
KEPT=$(jq -r '.kept[0].id // empty' $work/out 2>/dev/null | tail -n 1)
KEPTDEV=$(jq -r '.kept[0].device // empty' $work/out 2>/dev/null | tail -n 1)
if [ -n "$KEPT" ] && udev_settle "$KEPTDEV" && [ "$(sha_dev "$KEPTDEV")" = "$damaged" ] &&
	[ "$(sha_dev $LUN)" = "$snapsha" ]; then
	ok "the kept snapshot holds the state before the revert; the LUN is the snapshot"
else
	fail "the kept snapshot holds the state before the revert; the LUN is the snapshot" "kept '$KEPT' '$KEPTDEV': $(tail -c 400 $work/out)"
fi
expect "recover onto the kept snapshot (undo)" 0 "" vssctl recover --wait "$KEPT"
if [ "$(sha_dev $LUN)" = "$damaged" ] && [ "$(sha_dev "$S1DEV")" = "$snapsha" ]; then
	ok "undo: the LUN is back to the state before the revert, the first snapshot intact"
else
	fail "undo: the LUN is back to the state before the revert, the first snapshot intact"
fi
vssctl snapshot delete "$KEPT" >/dev/null 2>&1

# ---- resync list while running, busy LUN, speed, wait ----
dd if=/dev/urandom of=$LUN bs=1M count=$BMB seek=$BSEEK oflag=direct status=none || die "dd failed"
# slow enough that the checks below see it running; sped up after them
expect "recover without --wait returns at once" 0 "" vssctl -j recover --speed-max $BRATE "$S1"
if jqe '.type == "result" and .state == "running" and .resyncs[0].state == "running"' $work/out; then
	ok "recover without --wait: the resync is running"
else
	fail "recover without --wait: the resync is running" "$(cat $work/out)"
fi
vssctl -j resync list > $work/list
if jqe --arg s "$S1" --arg d "$LUN" 'map(select(.destination == $d)) | length == 1 and (.[0] |
	.lun == "rv" and .snapshot == $s and .state == "running" and .done_bytes < .total_bytes
	and (.rate | type) == "number" and .total_bytes > 0)' $work/list; then
	ok "resync list (JSON): lun, destination, snapshot, state running, done < total, rate"
else
	fail "resync list (JSON): lun, destination, snapshot, state running, done < total, rate" "$(cat $work/list)"
fi
if vssctl resync list | grep -Eq "^rv: destination $LUN snapshot $S1 state running done [0-9.]+[KMG]?/[0-9.]+[KMG]? rate [0-9.]+[KMG]?/s started [0-9T:.-]+Z"; then
	ok "resync list (text)"
else
	fail "resync list (text)" "$(vssctl resync list)"
fi
if [ "$(sha_dev $LUN)" = "$snapsha" ] && [ "$(resync_field $LUN state)" = running ]; then
	ok "while the resync runs, the LUN reads as the snapshot"
else
	fail "while the resync runs, the LUN reads as the snapshot" "state $(resync_field $LUN state)"
fi
expect "a second recover of the busy LUN: VSS_E_RESYNC_IN_PROGRESS" 6 'VSS_E_RESYNC_IN_PROGRESS' \
	vssctl recover "$S1"
expect "resync speed --max 512M" 0 "" vssctl -j resync speed $LUN --max 512M
if jqe '.speed_max == 536870912' $work/out; then ok "the new ceiling is listed"; else fail "the new ceiling is listed" "$(cat $work/out)"; fi
expect "resync wait (exit 0)" 0 "" vssctl -j resync wait $LUN
if jqe '.type == "result" and .state == "done" and .done_bytes == .total_bytes' <(tail -n 1 $work/out) &&
	[ "$(resync_field $LUN state)" = done ] && [ "$(sha_dev $LUN)" = "$snapsha" ]; then
	ok "state done in the listing, the LUN equals the snapshot"
else
	fail "state done in the listing, the LUN equals the snapshot" "$(tail -c 300 $work/out)"
fi

# ---- cancel ----
dd if=/dev/urandom of=$LUN bs=1M count=$BMB seek=$BSEEK oflag=direct status=none || die "dd failed"
vssctl recover --speed-max 1M "$S1" >/dev/null 2>&1 || die "recover failed"
expect "resync cancel (by LUN name)" 0 "" vssctl resync cancel rv
if wait_state $LUN cancelled; then ok "state cancelled"; else fail "state cancelled" "$(vssctl resync list)"; fi
expect "resync wait of a cancelled resync: exit 9" 9 'cancelled' vssctl resync wait $LUN
if [ "$(sha_dev $LUN)" = "$snapsha" ]; then
	ok "after a cancel the LUN still reads as the snapshot"
else
	fail "after a cancel the LUN still reads as the snapshot"
fi
expect "cancel of an ended resync fails" 1 'resync cancel: rv: ' vssctl resync cancel rv
# finish it, for the next cases
vssctl recover --wait "$S1" >/dev/null 2>&1 || die "recover after the cancel failed"

# ---- a full copy onto another device ----
expect "recover SNAPSHOT=/dev/ram2 --wait" 0 "" vssctl recover --wait "$S1=/dev/ram2"
if [ "$(sha_dev /dev/ram2)" = "$snapsha" ] && [ "$(resync_field /dev/ram2 state)" = done ]; then
	ok "the copy onto /dev/ram2 equals the snapshot"
else
	fail "the copy onto /dev/ram2 equals the snapshot" "$(vssctl resync list)"
fi

# ---- errors ----
expect "unknown snapshot: VSS_E_OBJECT_NOT_FOUND, exit 5" 5 'VSS_E_OBJECT_NOT_FOUND' \
	vssctl recover 00000000-0000-0000-0000-00000000abcd
expect "malformed id: exit 2" 2 'invalid snapshot id' vssctl recover 1234=/dev/ram2
expect_nz "missing destination device" '/dev/nonexistent.*(VSS_E_[A-Z_]+)' vssctl recover "$S1=/dev/nonexistent"
head -c 1M /dev/zero > $work/file
expect_nz "a regular file as destination: VSS_E_VOLUME_NOT_SUPPORTED" 'VSS_E_VOLUME_NOT_SUPPORTED' \
	vssctl recover "$S1=$work/file"
modprobe loop 2>/dev/null
truncate -s 16M $work/small && loopdev=$(losetup -f --show $work/small) || die "losetup failed"
expect_nz "a destination smaller than the LUN: VSS_E_VOLUME_NOT_SUPPORTED" 'VSS_E_VOLUME_NOT_SUPPORTED' \
	vssctl recover "$S1=$loopdev"
mkfs.ext4 -q -F /dev/ram3 && mount /dev/ram3 /mnt/rvu || die "mount of ram3 failed"
expect "a mounted destination: VSS_E_VOLUME_IN_USE" 6 'VSS_E_VOLUME_IN_USE' vssctl recover "$S1=/dev/ram3"
expect_nz "the LUN's own backing device: VSS_E_UNSELECTED_VOLUME" 'VSS_E_UNSELECTED_VOLUME' \
	vssctl recover "$S1=/dev/ram0"
expect "one destination twice in a set: VSS_E_OBJECT_ALREADY_EXISTS" 7 'VSS_E_OBJECT_ALREADY_EXISTS' \
	vssctl recover "$S1=/dev/ram2" "$S1=/dev/ram2"
expect "--keep-current with a plain destination: exit 2" 2 'not a protected LUN' \
	vssctl recover --keep-current "$S1=/dev/ram2"
expect "resync wait of an unknown destination: exit 5" 5 'resync wait: /dev/nonexistent' \
	vssctl resync wait /dev/nonexistent
vssctl -j recover 00000000-0000-0000-0000-00000000abcd > $work/jout 2>/dev/null
if [ $? != 0 ] && [ ! -s $work/jout ]; then
	ok "-j recover failing: nothing on stdout"
else
	fail "-j recover failing: nothing on stdout" "$(cat $work/jout)"
fi

finish
