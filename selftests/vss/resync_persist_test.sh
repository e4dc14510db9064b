#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A revert's progress is durable in the store (issue 11, persistence):
#  - lun remove during a running revert is allowed (it pauses); the LUN
#    reads as the snapshot right after "lun add", the revert resumes where
#    it stopped (nothing already done is redone) and ends byte-equal to
#    the snapshot plus the writes made during it (whole-chunk and partial
#    writes, flushed); the other snapshot keeps its point in time and the
#    target is unchanged;
#  - module unload/reload resumes the same way;
#  - cancel is durable: after remove/re-add the revert is still listed
#    cancelled and the LUN still reads as the target; a new recover then
#    completes it;
#  - the START record's RecoverSet flags come back with the revert (the
#    kernel log line of the resume names them), and the first resync
#    record raised the store's format to version 2, once.
. "$(dirname "$0")/lib.sh"

work=/tmp/resync_persist
plan 25
# only this test's kernel messages count (earlier tests refuse stores on purpose)
dmesg_start=$(dmesg | wc -l)

load_vss || die "cannot load vss"
# ram0 LUN, ram1 store
ramdisks 2 32
rm -rf $work && mkdir -p $work
cleanup() {
	vssctl resync cancel /dev/vss-rp >/dev/null 2>&1
	delete_all_snapshots
	vssctl lun remove rp >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

MB=$((1024 * 1024))
LUN=/dev/vss-rp
add_lun() { vssctl lun add /dev/ram0 --store /dev/ram1 --name rp "$@" >/dev/null && udev_settle $LUN; }
sha_dev() { dd if="$1" bs=1M count=32 iflag=direct status=none | sha256sum | cut -d' ' -f1; }
resync_field() { # FIELD of the LUN's revert
	vssctl -j resync list | jq -r --arg d "$LUN" --arg f "$1" '[.[] | select(.destination == $d)] | last | .[$f] // empty'
}
# wr OFF_BYTES LEN_BYTES: random data onto the LUN and into the expected image
wr() {
	head -c "$2" /dev/urandom > $work/chunk
	dd if=$work/chunk of=$LUN bs=4096 seek=$(($1 / 4096)) oflag=direct conv=notrunc,fsync status=none &&
		dd if=$work/chunk of=$work/expect bs=4096 seek=$(($1 / 4096)) conv=notrunc status=none
}

add_lun --chunk-size 64K --format || die "lun add failed"
head -c $((32 * MB)) /dev/urandom | dd of=$LUN bs=1M oflag=direct status=none || die "fill failed"
vssctl -j snapshot create rp > $work/s1 || die "snapshot create failed"
S1=$(jq -r '.snapshots[0].id' $work/s1)
S1DEV=$(jq -r '.snapshots[0].device' $work/s1)
head -c $((8 * MB)) /dev/urandom | dd of=$LUN bs=1M oflag=direct status=none || die "write failed"
vssctl -j snapshot create rp > $work/s2 || die "snapshot create failed"
S2=$(jq -r '.snapshots[0].id' $work/s2)
S2DEV=$(jq -r '.snapshots[0].device' $work/s2)
head -c $((4 * MB)) /dev/urandom | dd of=$LUN bs=1M seek=4 oflag=direct status=none || die "write failed"
s1sha=$(sha_dev "$S1DEV")
s2sha=$(sha_dev "$S2DEV")
dd if="$S1DEV" of=$work/expect bs=1M iflag=direct status=none

# ---- remove and re-add during a running revert ----
# 64 KiB/s: still running after the remove, the reload and the checks
# with both RecoverSet flags: they change nothing for a revert onto the
# LUN itself, but are recorded and must come back on resume
expect "recover (64 KiB/s) starts" 0 "" vssctl -j recover --revert-identity --no-volume-check --speed-max 64K "$S1"
[ "$(resync_field state)" = running ] && ok "the revert is running" ||
	fail "the revert is running" "$(vssctl -j resync list)"
# a whole-chunk write and a partial one into chunks not copied yet (the
# copy runs in ascending order), both flushed
wr $((6 * MB)) $((1 * MB)) && wr $((7 * MB + 4096)) 8192 ||
	fail "writes during the revert" "dd failed"
[ "$(sha_dev $LUN)" = "$(sha256sum < $work/expect | cut -d' ' -f1)" ] &&
	ok "while running, the LUN reads as the snapshot plus the writes" ||
	fail "while running, the LUN reads as the snapshot plus the writes" "sha differs"
done1=$(resync_field done_bytes)
expect "lun remove during the revert is allowed (it pauses)" 0 "" vssctl lun remove rp
[ -z "$(resync_field state)" ] && ok "no resync listed once the LUN is gone" ||
	fail "no resync listed once the LUN is gone" "$(vssctl -j resync list)"
add_lun || die "lun add (re-add) failed"
st=$(resync_field state)
done2=$(resync_field done_bytes)
total=$(resync_field total_bytes)
[ "$st" = running ] && [ -n "$done2" ] && [ "$done2" -ge "${done1:-0}" ] && [ "$done2" -lt "$total" ] &&
	ok "re-added: the revert resumes at $done2 of $total bytes (was $done1 at remove: nothing redone)" ||
	fail "re-added: the revert resumes" "state '$st' done $done2 (was $done1) total $total"
[ "$(sha_dev $LUN)" = "$(sha256sum < $work/expect | cut -d' ' -f1)" ] &&
	ok "right after re-add the LUN reads as the snapshot plus the writes" ||
	fail "right after re-add the LUN reads as the snapshot plus the writes" "sha differs"
line=$(dmesg | tail -n +$((dmesg_start + 1)) | grep -a "rp: revert to snapshot $S1 found in the store (resuming)" | tail -n 1)
[[ "$line" == *"flags 0x300,"* ]] && ok "the resumed revert has the START record's flags (0x300)" ||
	fail "the resumed revert has the START record's flags (0x300)" "${line:-no resume line}"

# ---- module reload during the revert ----
vssctl lun remove rp >/dev/null && unload_vss && load_vss && add_lun ||
	die "remove, module reload and lun add failed"
[ "$(resync_field state)" = running ] && ok "after a module reload the revert resumes" ||
	fail "after a module reload the revert resumes" "$(vssctl -j resync list)"
expect "resync speed --max 512M" 0 "" vssctl resync speed $LUN --max 512M
expect "resync wait" 0 "" vssctl resync wait $LUN
[ "$(resync_field state)" = done ] && ok "the revert is done" ||
	fail "the revert is done" "$(vssctl -j resync list)"
[ "$(sha_dev $LUN)" = "$(sha256sum < $work/expect | cut -d' ' -f1)" ] &&
	ok "the LUN equals the snapshot plus the writes made during the revert" ||
	fail "the LUN equals the snapshot plus the writes made during the revert" "sha differs"
[ "$(sha_dev "$S1DEV")" = "$s1sha" ] && [ "$(sha_dev "$S2DEV")" = "$s2sha" ] &&
	ok "the target and the newer snapshot are unchanged" ||
	fail "the target and the newer snapshot are unchanged" "sha differs"
vssctl lun remove rp >/dev/null && add_lun || die "re-add after done failed"
[ -z "$(resync_field state)" ] && [ "$(sha_dev $LUN)" = "$(sha256sum < $work/expect | cut -d' ' -f1)" ] &&
	ok "a done revert is not resumed; the LUN keeps its content" ||
	fail "a done revert is not resumed; the LUN keeps its content" "$(vssctl -j resync list)"

# ---- cancel is durable ----
wr $((20 * MB)) $((2 * MB)) || fail "write" "dd failed"
expect "recover to the newer snapshot (64 KiB/s)" 0 "" vssctl -j recover --speed-max 64K "$S2"
expect "resync cancel" 0 "" vssctl resync cancel $LUN
[ "$(resync_field state)" = cancelled ] && [ "$(sha_dev $LUN)" = "$s2sha" ] &&
	ok "cancelled: the LUN still reads as the target" ||
	fail "cancelled: the LUN still reads as the target" "$(vssctl -j resync list)"
vssctl lun remove rp >/dev/null && add_lun || die "re-add after cancel failed"
[ "$(resync_field state)" = cancelled ] && ok "re-added: the revert is still cancelled" ||
	fail "re-added: the revert is still cancelled" "$(vssctl -j resync list)"
[ "$(sha_dev $LUN)" = "$s2sha" ] && ok "re-added: the LUN reads as the target" ||
	fail "re-added: the LUN reads as the target" "sha differs"
expect "recover --wait after the cancel" 0 "" vssctl recover --wait "$S2"
[ "$(resync_field state)" = done ] && [ "$(sha_dev $LUN)" = "$s2sha" ] &&
	ok "the restarted revert completes: the LUN equals the newer snapshot" ||
	fail "the restarted revert completes: the LUN equals the newer snapshot" "$(vssctl -j resync list)"
[ "$(sha_dev "$S1DEV")" = "$s1sha" ] && ok "the older snapshot keeps its point in time" ||
	fail "the older snapshot keeps its point in time" "sha differs"
n=$(dmesg | tail -n +$((dmesg_start + 1)) | grep -a -c "format version 1 -> 2 (resync records)")
[ "$n" = 1 ] && ok "the first resync record raised the store to format version 2, once" ||
	fail "the first resync record raised the store to format version 2, once" "$n raises"
if dmesg | tail -n +$((dmesg_start + 1)) | grep -q "store metadata corrupt"; then
	fail "no store refused" "$(dmesg | tail -n +$((dmesg_start + 1)) | grep 'store metadata corrupt' | tail -n 2)"
else
	ok "no store refused"
fi
finish
