#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hot removal by unplugging a virtio-blk disk through QEMU's monitor
# (make check-faults; not a *_test: it needs a VM started with
# tools/vm/run --hotplug and two disks, serials vssdisk1 and vssdisk2).
# The LUN's backing device is disk 1, its store disk 2, whole disks.  The
# test asks the host to unplug or plug back a disk with a console line
# (tools/vm/run, --hotplug) and waits for the disk to vanish or appear.
# FAULT_UNPLUG rounds (2) of:
#  - the store unplugged under writes that copy chunks: the LUN's writes
#    go on and it holds its data; "lun remove" works; once the disk is
#    back (the same image, under a new name), the LUN added again holds its
#    data and every snapshot taken before reads exactly its point in time
#    or is invalid (or the kernel said its invalidation was not recorded:
#    counted UNTRUSTED, as in fault_hotremove_test.sh);
#  - the backing disk unplugged under writes and a snapshot read: the I/O
#    ends (no hang), reads fail with an error, "lun remove" works; once
#    the disk is back the LUN added again has every snapshot exact or
#    invalid.
# Prints fault-table lines (tools/fault-table): unplug-store, unplug-lun.
. "$(dirname "$0")/lib.sh"
FL_LUN=up
. "$(dirname "$0")/fault_lib.sh"

work=/tmp/fault_unplug
rounds=${FAULT_UNPLUG:-2}
plan $((rounds * 10 + 2))

# disk_of N: /dev/vdX of the disk with serial vssdiskN ("" if absent)
disk_of() {
	local f
	for f in /sys/block/vd*/serial; do
		[ -e "$f" ] && [ "$(cat "$f" 2>/dev/null)" = "vssdisk$1" ] || continue
		f=${f%/serial}
		echo "/dev/${f##*/}"
		return 0
	done
}
# hotplug del|add N: ask the host, then wait (60 s; asked again every
# 20 s) until the disk is gone or back
hotplug() {
	local i
	for i in $(seq 600); do
		[ $((i % 200)) = 1 ] && printf '\nVSS-HOTPLUG: %s %s\n' "$1" "$2" >/dev/console
		if [ "$1" = del ]; then [ -z "$(disk_of "$2")" ] && return 0
		else d=$(disk_of "$2") && [ -n "$d" ] && udev_settle "$d" && return 0; fi
		sleep 0.1
	done
	return 1
}

load_vss || die "cannot load vss"
B=$(disk_of 1) S=$(disk_of 2)
[ -n "$B" ] && [ -n "$S" ] ||
	die "no disks with serials vssdisk1 and vssdisk2 (tools/vm/run --hotplug --disk A --disk B)"
echo "# backing $B, store $S"
rm -rf $work && mkdir -p $work
bg=
cleanup() {
	[ -n "$bg" ] && kill "$bg" 2>/dev/null
	for id in $($ctl snap-list up 2>/dev/null | awk '{print $1}'); do $ctl snap-del "$id" >/dev/null 2>&1; done
	$ctl lun-del up >/dev/null 2>&1
	unload_vss
}
trap cleanup EXIT
dd if=/dev/zero of="$S" bs=1M count=1 oflag=direct status=none
add() { $ctl lun-add up "$(disk_of 1)" "$(disk_of 2)" 4096 "$@" >$work/adderr 2>&1 && udev_settle /dev/vss-up; }
untrusted=0
pst=0 plun=0 lst=0 llun=0 ust=0 ulun=0
add || die "lun add: $(cat $work/adderr)"
stamp fill /dev/vss-up $work/map 1 >/dev/null || die "fill"

for r in $(seq "$rounds"); do
	# ---- the store unplugged under writes that copy chunks
	n0=$(dmesg | wc -l)
	snap >/dev/null || die "snapshot"
	stamp write /dev/vss-up $work/map $((10 * r)) 40 $r >/dev/null || die "write"
	snap >/dev/null || die "snapshot"
	stamp write /dev/vss-up $work/map $((10 * r + 1)) 400 $r >/dev/null 2>$work/werr & bg=$!
	sleep 0.$((RANDOM % 8 + 1))
	good=1
	t0=$SECONDS
	hotplug del 2 && ok "store: the disk is unplugged under writes ($((SECONDS - t0)) s)" ||
		{ good=0; fail "store: the disk is unplugged under writes" "still there after 60 s"; }
	wait_for $bg 180
	rc=$?
	bg=
	echo "# round $r: the writes ended $((SECONDS - t0)) s after the store was unplugged (status $rc)"
	[ $rc = 0 ] && ok "store unplugged: every LUN write succeeds" ||
		{ good=0; fail "store unplugged: every LUN write succeeds" "status $rc: $(head -c 200 $work/werr)"; }
	stamp verify /dev/vss-up $work/map >/dev/null && ok "store unplugged: the LUN holds its data" ||
		{ good=0; fail "store unplugged: the LUN holds its data"; }
	bounded 60 $ctl lun-del up >/dev/null && ok "store unplugged: lun remove works" ||
		{ good=0; fail "store unplugged: lun remove works"; }
	t0=$SECONDS
	hotplug add 2 || die "the store's disk did not come back"
	echo "# the store is back as $(disk_of 2) after $((SECONDS - t0)) s"
	dmesg | tail -n +$((n0 + 1)) >$work/dmesg.round
	if add keep && snaps_ok; then ok "store back: re-added, every snapshot exact or invalid"
	else good=0; fail "store back: re-added, every snapshot exact or invalid" "$bad $(cat $work/adderr)"; fi
	stamp verify /dev/vss-up $work/map >/dev/null || { good=0; echo "# the LUN differs after the re-add"; }
	ust=$untrusted
	[ $good = 1 ] && pst=$((pst + 1))
	[ -n "$bad" ] && lst=$((lst + $(echo $bad | wc -w)))
	del_all

	# ---- the backing disk unplugged under writes and a snapshot read
	n0=$(dmesg | wc -l)
	s=$(snap) || die "snapshot"
	stamp write /dev/vss-up $work/map $((10 * r + 2)) 40 $r >/dev/null || die "write"
	snap >/dev/null || die "snapshot"
	stamp write /dev/vss-up $work/map $((10 * r + 3)) 400 $((r + 7)) >/dev/null 2>$work/werr & bg=$!
	( while :; do dd if="/dev/$($ctl snap-list up | awk -v s="$s" '$4 == s {print $3}')" of=/dev/null \
		bs=64k iflag=direct status=none 2>/dev/null || break; done ) &
	rd=$!
	sleep 0.$((RANDOM % 8 + 1))
	good=1
	t0=$SECONDS
	hotplug del 1 && ok "backing: the disk is unplugged under writes and a snapshot read ($((SECONDS - t0)) s)" ||
		{ good=0; fail "backing: the disk is unplugged under writes and a snapshot read" "still there after 60 s"; }
	wait_for $bg 180
	rc=$?
	wait_for $rd 60
	rc2=$?
	bg=
	echo "# round $r: writes ended $((SECONDS - t0)) s after the backing disk was unplugged (status $rc, snapshot reads $rc2)"
	[ $rc != 124 ] && [ $rc2 != 124 ] && ok "backing unplugged: the LUN's I/O ends (no hang)" ||
		{ good=0; fail "backing unplugged: the LUN's I/O ends (no hang)"; hang_evidence "I/O to a LUN whose backing disk was unplugged"; }
	if dd if=/dev/vss-up of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
		good=0; fail "backing unplugged: reads fail cleanly"
	else ok "backing unplugged: reads fail cleanly"; fi
	bounded 60 $ctl lun-del up >/dev/null && ok "backing unplugged: lun remove works" ||
		{ good=0; fail "backing unplugged: lun remove works"; }
	t0=$SECONDS
	hotplug add 1 || die "the backing disk did not come back"
	echo "# the backing disk is back as $(disk_of 1) after $((SECONDS - t0)) s"
	dmesg | tail -n +$((n0 + 1)) >$work/dmesg.round
	if add keep && snaps_ok; then ok "backing back: re-added, every snapshot exact or invalid"
	else good=0; fail "backing back: re-added, every snapshot exact or invalid" "$bad $(cat $work/adderr)"; fi
	ulun=$((untrusted - ust))
	[ $good = 1 ] && plun=$((plun + 1))
	[ -n "$bad" ] && llun=$((llun + $(echo $bad | wc -w)))
	del_all
	# writes after the unplug failed, at unknown blocks: stamp everything again
	stamp fill /dev/vss-up $work/map $((10 * r + 4)) >/dev/null || die "refill"
done
echo "# fault-table: unplug-store $rounds $pst $lst $ust"
echo "# fault-table: unplug-lun $rounds $plun $llun $ulun"
check "lun remove at the end" $ctl lun-del up
dmesg | grep -qE 'WARNING|BUG|Oops' && fail "no kernel warning" "$(dmesg | grep -E -A3 'WARNING|BUG|Oops' | head)" ||
	ok "no kernel warning"
finish
