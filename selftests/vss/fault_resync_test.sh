#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Faults during a resync (issue 13; Documentation/admin-guide.rst, "Device
# failures"): an I/O error below the engine while a revert and while a
# copy onto another device run.  Each case: the copy is retried a bounded
# number of times, then the resync is marked failed (durably, for a
# revert: still failed after a re-add) and the resync-failed event is
# sent; foreground I/O goes on (the LUN reads as the snapshot, writes land);
# a new recover restarts it and it completes with the destination
# byte-equal to what it must hold.  Cases:
#  1. revert, the LUN's backing device fails writes (dm-flakey
#     error_writes: the copies' destination);
#  2. (full runs) copy onto another device, the destination fails writes
#     (dm-flakey error_writes);
#  3. (full runs) copy onto another device, the source fails reads: the
#     LUN's backing device, through which the snapshot's unchanged chunks
#     are read, fails every I/O (dm-error) for a moment.
# Prints "# fault-table: SCENARIO RUN PASSED LOST UNTRUSTED" lines.
# FAULT_RESYNC_ROUNDS repeats each case (1 quick, 3 full); 8 MiB LUNs quick, 32 full.
. "$(dirname "$0")/lib.sh"

work=/tmp/fault_resync
if [ -n "${VSS_QUICK:-}" ]; then
	full=0 rounds=${FAULT_RESYNC_ROUNDS:-1} SZ=8
else
	full=1 rounds=${FAULT_RESYNC_ROUNDS:-3} SZ=32
fi
ncases=$((full ? 3 : 1))
plan $((ncases * rounds * 8 + 1))
dmesg_start=$(dmesg | wc -l)
test_start=$dmesg_start
load_vss || die "cannot load vss"
modprobe dm-mod && modprobe dm-flakey || die "modprobe dm-flakey"
for t in jq dmsetup sha256sum; do command -v $t >/dev/null || die "$t missing"; done
test_devs brd $SZ $SZ $SZ || die "devices"
B=${DEVS[0]} S=${DEVS[1]} D=${DEVS[2]}
rm -rf $work && mkdir -p $work
MB=$((1024 * 1024))
LUN=/dev/vss-fr
mon=
cleanup() {
	[ -n "$mon" ] && kill "$mon" 2>/dev/null
	vssctl resync cancel $LUN >/dev/null 2>&1
	delete_all_snapshots
	vssctl lun remove fr >/dev/null 2>&1
	dmsetup remove fr_lun >/dev/null 2>&1
	dmsetup remove fr_st >/dev/null 2>&1
	dmsetup remove fr_dst >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT

sectors() { echo $(($(blockdev --getsize64 "$1") / 512)); }
bs=$(sectors $B) ss=$(sectors $S) ds=$(sectors $D)
table() { dmsetup suspend "$1" && dmsetup load "$1" --table "$2" && dmsetup resume "$1"; }
dmsetup create --noudevsync fr_lun --table "0 $bs linear $B 0" &&
	dmsetup create --noudevsync fr_st --table "0 $ss linear $S 0" &&
	dmsetup create --noudevsync fr_dst --table "0 $ds linear $D 0" &&
	dmsetup mknodes >/dev/null 2>&1 || die "dmsetup create"
DST=/dev/$(dmsetup info -c -o blkdevname --noheadings fr_dst)
[ -b "$DST" ] || die "no $DST"
# write errors for ever (up 0 s, down 60 s), reads pass
werr() { table "$1" "0 $2 flakey $3 0 0 60 1 error_writes"; }
linear() { table "$1" "0 $2 linear $3 0"; }

add_lun() { vssctl lun add /dev/mapper/fr_lun --store /dev/mapper/fr_st --name fr "$@" >/dev/null && udev_settle $LUN; }
sha_dev() { dd if="$1" bs=1M count=$SZ iflag=direct status=none | sha256sum | cut -d' ' -f1; }
# resync_field DEST FIELD: of the newest resync onto DEST
resync_field() {
	vssctl -j resync list | jq -r --arg d "$1" --arg f "$2" '[.[] | select(.destination == $d)] | last | .[$f] // empty'
}
# wait_state DEST STATE SECONDS
wait_state() {
	local i
	for i in $(seq $(($3 * 10))); do
		[ "$(resync_field "$1" state)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# wr OFF_BYTES LEN_BYTES: random data onto the LUN and into the expected image
wr() {
	head -c "$2" /dev/urandom > $work/chunk
	dd if=$work/chunk of=$LUN bs=4096 seek=$(($1 / 4096)) oflag=direct conv=notrunc,fsync status=none &&
		dd if=$work/chunk of=$work/expect bs=4096 seek=$(($1 / 4096)) conv=notrunc status=none
}
monitor() { vssctl -j monitor >$work/events 2>/dev/null & mon=$!; sleep 0.5; }
unmonitor() { sleep 0.5; kill $mon 2>/dev/null; wait $mon 2>/dev/null; mon=; }
failed_event() { jq -e -s --arg d "$1" '[.[] | select(.event == "resync-failed")] | length > 0' $work/events >/dev/null 2>&1; }

add_lun --chunk-size 64K --format || die "lun add failed"

# new_target: fresh content, snapshot T (device TDEV, sha tsha), then half
# of the LUN rewritten so that a revert has that much to copy back
new_target() {
	delete_all_snapshots
	head -c $((SZ * MB)) /dev/urandom | dd of=$LUN bs=1M oflag=direct status=none || return 1
	vssctl -j snapshot create fr > $work/snap || return 1
	T=$(jq -r '.snapshots[0].id' $work/snap)
	TDEV=$(jq -r '.snapshots[0].device' $work/snap)
	tsha=$(sha_dev "$TDEV")
	head -c $((SZ / 2 * MB)) /dev/urandom | dd of=$LUN bs=1M oflag=direct status=none
}
# retries NAME: the kernel retried the failed copies a bounded number of
# times (VSS_RESYNC_TRIES = 3 attempts: at most 2 retry lines per copy in
# flight) and then failed the resync
retries_bounded() {
	local log n
	log=$(dmesg | tail -n +$((dmesg_start + 1)))
	n=$(echo "$log" | grep -c 'retrying')
	echo "$log" | grep -q 'resync from snapshot .* failed' && [ "$n" -ge 1 ] && [ "$n" -le 64 ]
}

names=(revert_lun_write_error copy_dest_write_error copy_source_read_error)
total_run=(0 0 0) total_pass=(0 0 0) total_lost=(0 0 0)

# case_run IDX NAME: one round of case IDX; each check one TAP result
case_run() {
	local idx=$1 name=$2 dest good=0 st lsha= lsha_after=
	new_target || die "set-up of $name failed"
	dmesg_start=$(dmesg | wc -l)
	monitor
	case $idx in
	0)	dest=$LUN
		dd if="$TDEV" of=$work/expect bs=1M iflag=direct status=none
		vssctl recover --speed-max 512K "$T" >/dev/null 2>$work/err ||
			{ fail "$name: recover starts" "$(cat $work/err)"; return; }
		sleep 1
		werr fr_lun $bs $B ;;
	1|2)	dest=$DST
		lsha=$(sha_dev $LUN)
		dd if="$TDEV" of=$work/expect bs=1M iflag=direct status=none
		vssctl recover --speed-max 512K "$T=$DST" >/dev/null 2>$work/err ||
			{ fail "$name: recover starts" "$(cat $work/err)"; return; }
		sleep 1
		if [ $idx = 1 ]; then werr fr_dst $ds $D; else table fr_lun "0 $bs error"; fi ;;
	esac
	if wait_state $dest failed 20; then
		ok "$name: the resync is marked failed"; good=$((good + 1))
	else
		fail "$name: the resync is marked failed" "$(vssctl resync list)"
	fi
	if retries_bounded; then
		ok "$name: bounded retries, then failed ($(dmesg | tail -n +$((dmesg_start + 1)) | grep -c retrying) retries)"
		good=$((good + 1))
	else
		fail "$name: bounded retries, then failed" "$(dmesg | tail -n +$((dmesg_start + 1)) | grep vss | tail -n 5)"
	fi
	# foreground I/O goes on; for a revert the LUN reads as the target
	# (reads pass through error_writes)
	if [ $idx = 0 ]; then
		[ "$(sha_dev $LUN)" = "$tsha" ]; st=$?
	else
		linear fr_lun $bs $B	# case 3: the source is back
		lsha_after=$(sha_dev $LUN)
		head -c 8192 /dev/urandom > $work/fg
		dd if=$work/fg of=$LUN bs=4096 seek=512 oflag=direct conv=notrunc,fsync status=none &&
			[ "$(dd if=$LUN bs=4096 skip=512 count=2 iflag=direct status=none | sha256sum)" = \
			  "$(sha256sum < $work/fg)" ]; st=$?
	fi
	if [ $st = 0 ]; then
		ok "$name: foreground I/O goes on"; good=$((good + 1))
	else
		fail "$name: foreground I/O goes on" "LUN read or content wrong"
	fi
	linear fr_lun $bs $B && linear fr_dst $ds $D || die "dmsetup restore"
	unmonitor
	if failed_event $dest; then
		ok "$name: resync-failed event"; good=$((good + 1))
	else
		fail "$name: resync-failed event" "$(cat $work/events | tail -n 3)"
	fi
	if [ $idx = 0 ]; then
		# durable: still failed after a re-add, the LUN still reads as T
		vssctl lun remove fr >/dev/null && add_lun || die "re-add failed"
		if [ "$(resync_field $LUN state)" = failed ] && [ "$(sha_dev $LUN)" = "$tsha" ]; then
			ok "$name: re-added: still failed, the LUN reads as the target"; good=$((good + 1))
		else
			fail "$name: re-added: still failed, the LUN reads as the target" "$(vssctl resync list)"
		fi
		# writes made now (a partial and a whole chunk) land; a new
		# recover reverts them too: it ends with the LUN equal to T
		if wr $((3 * MB + 8192)) 8192 && wr $((5 * MB)) $((1 * MB)) &&
			[ "$(sha_dev $LUN)" = "$(sha256sum < $work/expect | cut -d' ' -f1)" ]; then
			ok "$name: writes after the failure land (a partial and a whole chunk)"; good=$((good + 1))
		else
			fail "$name: writes after the failure land" "dd failed or content differs"
		fi
		dd if="$TDEV" of=$work/expect bs=1M iflag=direct status=none
	else
		if [ "$(resync_field $dest state)" = failed ]; then
			ok "$name: still listed failed once the device works again"; good=$((good + 1))
		else
			fail "$name: still listed failed once the device works again" "$(vssctl resync list)"
		fi
		if [ "$lsha_after" = "$lsha" ]; then
			ok "$name: the source LUN kept its content through the failure"; good=$((good + 1))
		else
			fail "$name: the source LUN kept its content through the failure" "sha differs"
		fi
	fi
	if vssctl recover --wait "$([ $idx = 0 ] && echo "$T" || echo "$T=$DST")" >/dev/null 2>$work/err &&
		[ "$(resync_field $dest state)" = done ]; then
		ok "$name: restarted, the resync completes"; good=$((good + 1))
	else
		fail "$name: restarted, the resync completes" "$(cat $work/err; vssctl resync list)"
	fi
	if [ "$(sha_dev $dest)" = "$(sha256sum < $work/expect | cut -d' ' -f1)" ] &&
		[ "$(sha_dev "$TDEV")" = "$tsha" ]; then
		ok "$name: the destination is byte-equal to the snapshot; the snapshot unchanged"
		good=$((good + 1))
	else
		fail "$name: the destination is byte-equal to the snapshot; the snapshot unchanged" "sha differs"
		total_lost[$idx]=$((total_lost[idx] + 1))
	fi
	total_run[$idx]=$((total_run[idx] + 1))
	[ $good = 8 ] && total_pass[$idx]=$((total_pass[idx] + 1))
}

for r in $(seq $rounds); do
	for idx in $(seq 0 $((ncases - 1))); do
		case_run $idx "${names[$idx]}"
	done
done
for idx in $(seq 0 $((ncases - 1))); do
	echo "# fault-table: resync_${names[$idx]} ${total_run[$idx]} ${total_pass[$idx]} ${total_lost[$idx]} 0"
done
# only this test's kernel messages: fault_corrupt refuses stores on purpose
if dmesg | tail -n +$((test_start + 1)) | grep -q 'store metadata corrupt'; then
	fail "no store refused" "$(dmesg | tail -n +$((test_start + 1)) | grep 'store metadata corrupt' | tail -n 2)"
else
	ok "no store refused"
fi
finish
