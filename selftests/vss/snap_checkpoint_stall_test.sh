#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A log checkpoint (compaction of the store's metadata log after a delete)
# must not stall first writes: while it writes the new log, copies go on
# and their records are committed to the old log and carried over into the
# new one.  A large live state (one record per preserved chunk) is
# compacted by a delete, the checkpoint stretched by test_checkpoint_delay_ms
# so that its length stands out from the emulator's noise; a writer doing
# one first write after another (each one needs a copy) runs across it.
# Its records must be carried over and its longest write must stay under
# half the checkpoint.  Then the snapshot still holds its point in time,
# also after a re-add replays the new log (the carried-over records).
#
# CP_STALL_MB (default 128, 64 under VSS_QUICK): MiB of LUN preserved, half of it live in the
# checkpoint (4 KiB chunks: 256 records per MiB).  CP_STALL_DELAY_MS
# (default 4000): the stretch.
. "$(dirname "$0")/lib.sh"

work=/tmp/snap_cp_stall
mb=${CP_STALL_MB:-$([ -n "${VSS_QUICK:-}" ] && echo 64 || echo 128)}
stretch=${CP_STALL_DELAY_MS:-4000}
plan 9

load_vss || die "cannot load vss"
# the LUN is used up to $mb MiB; the store holds snapshot 1 (all of it),
# snapshot 2 (half) and the writer's copies (at most the other half)
ramdisks 2 $((mb * 2 + 64))
rm -rf $work && mkdir -p $work
delay=/sys/module/vss/parameters/test_checkpoint_delay_ms
fio_pid=
cleanup() {
	echo 0 >$delay 2>/dev/null
	[ -n "$fio_pid" ] && kill "$fio_pid" 2>/dev/null && wait "$fio_pid" 2>/dev/null
	delete_all_snapshots
	vssctl lun remove cps >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

vssctl lun add /dev/ram0 --store /dev/ram1 --name cps --chunk-size 4K >/dev/null &&
	udev_settle /dev/vss-cps || die "lun add"
blocks=$((mb * 256))
half=$((blocks / 2))
stamp fill /dev/vss-cps $work/map 1 0 $blocks >/dev/null || die "fill 1"
vssctl -j snapshot create cps >$work/s1 2>$work/err || die "snapshot 1: $(cat $work/err)"
s1=$(jq -r '.snapshots[0].id' $work/s1)
# snapshot 1 preserves every chunk: the log holds $blocks records
stamp fill /dev/vss-cps $work/map 2 0 $blocks >/dev/null || die "fill 2"
vssctl -j snapshot create cps >$work/s2 2>$work/err || die "snapshot 2: $(cat $work/err)"
cp $work/map $work/s2.map
dev=$(jq -r '.snapshots[0].device' $work/s2)
udev_settle "$dev" || die "snapshot 2 device"
# snapshot 2 preserves the first half: the live state after snapshot 1's
# delete, which leaves a log three times as large, so the delete compacts it
stamp fill /dev/vss-cps $work/map 3 0 $half >/dev/null || die "fill 3"

# First writes, one at a time, across the second half (never preserved
# yet): each one waits for its copy and its record.  The delete comes
# after 3 s of them and must end well before they do.
echo "$stretch" >$delay || die "cannot set $delay"
n0=$(dmesg | wc -l)
runtime=$((stretch / 1000 + 16))
fio --name=first --filename=/dev/vss-cps --rw=write --bs=4k --direct=1 \
	--ioengine=psync --offset=$((half * 4096)) --size=$(((blocks - half) * 4096)) \
	--rate_iops=400 --time_based --runtime=$runtime \
	--write_lat_log=$work/first --log_unix_epoch=1 \
	--output-format=json --output=$work/fio.json >/dev/null 2>&1 &
fio_pid=$!
f0=$(date +%s%3N)
sleep 3
t0=$(date +%s%3N)
check "older snapshot deleted while first writes run" vssctl snapshot delete "$s1"
t1=$(date +%s%3N)
echo 0 >$delay
wait $fio_pid
fio_rc=$?
fio_pid=
echo "# delete took $((t1 - t0)) ms, ended $((t1 - f0)) ms after fio started (runtime $runtime s)"
[ $((t1 - f0)) -lt $((runtime * 1000 - 2000)) ] &&
	ok "the writer ran across the delete" ||
	fail "the writer ran across the delete" "the delete ended too late"

dmesg | tail -n +$((n0 + 1)) >$work/dmesg
cp_ms=$(sed -n 's/.*cps: store log compacted in \([0-9]*\) ms.*/\1/p' $work/dmesg | tail -n 1)
carried=$(sed -n 's/.*records carried over (\([0-9]*\) at the switch).*/\1/p' $work/dmesg | tail -n 1)
total=$(sed -n 's/.*blocks, \([0-9]*\) records carried over.*/\1/p' $work/dmesg | tail -n 1)
grep -E 'checkpoint|compacted' $work/dmesg | sed 's/^/# /'
[ -n "$cp_ms" ] && [ "$cp_ms" -ge "$stretch" ] && ok "the delete compacted the log ($cp_ms ms)" ||
	fail "the delete compacted the log, stretched" "${cp_ms:-no} ms; $(tail -n 3 $work/dmesg)"

# the lat log: unix ms at completion, latency ns, ...
lat_ms=$(jq -r '(.jobs[0].write.lat_ns.max // 0) / 1000000 | floor' $work/fio.json 2>/dev/null)
nios=$(jq -r '.jobs[0].write.total_ios // empty' $work/fio.json 2>/dev/null)
echo "# fio rc $fio_rc: ${nios:-no} first writes, longest ${lat_ms:-?} ms; slowest, in ms after the delete started:"
cat $work/first_lat.*.log 2>/dev/null | tr -d ',' |
	awk -v t0="$t0" '{ printf "%d %d\n", $2 / 1000000, $1 - t0 }' | sort -rn | head -n 3 |
	sed 's/^\([0-9]*\) \(.*\)/#   \1 ms long, ended at \2/'
echo "# records carried over: ${total:-none} (${carried:-none} at the switch)"
[ -n "$total" ] && [ "$total" -ge 100 ] && ok "first writes completed during the checkpoint ($total)" ||
	fail "first writes completed during the checkpoint" "${total:-no} records carried over, 100 expected"
if [ -n "$nios" ] && [ "$nios" -gt 0 ] && [ -n "$cp_ms" ] && [ $((lat_ms * 2)) -lt "$cp_ms" ]; then
	ok "longest first write ($lat_ms ms) < half the checkpoint ($cp_ms ms)"
else
	fail "longest first write < half the checkpoint" \
		"longest ${lat_ms:-?} ms of ${nios:-no} writes, checkpoint ${cp_ms:-?} ms"
fi

check "snapshot 2 exact after the checkpoint" stamp verify "$dev" $work/s2.map
vssctl lun remove cps >/dev/null || die "lun remove"
check "LUN re-added from the compacted log" \
	vssctl lun add /dev/ram0 --store /dev/ram1 --name cps
udev_settle /dev/vss-cps
udev_settle "$dev"
check "snapshot 2 exact after replay (carried-over records)" stamp verify "$dev" $work/s2.map
dmesg | grep -q 'WARNING' && fail "no kernel warning" "$(dmesg | grep -A3 WARNING | head)" ||
	ok "no kernel warning"
finish
