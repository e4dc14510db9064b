#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hot removal: the store, then the backing device, disappears under I/O
# (dmsetup remove --force: the device's table is replaced by one that
# fails every I/O, as a pulled disk does).  No oops and no hang; the LUN's
# I/O fails cleanly (backing gone) or goes on (store gone, the snapshots
# invalid); "lun remove" works afterwards; once the device is back, adding
# the LUN again gives the last durable state: the LUN holds its data and
# every snapshot is exact or invalid.  FAULT_HOTREMOVE rounds of each (1
# under VSS_QUICK, 4 otherwise).
. "$(dirname "$0")/lib.sh"
FL_LUN=hr
. "$(dirname "$0")/fault_lib.sh"

work=/tmp/fault_hotremove
if [ -n "${VSS_QUICK:-}" ]; then rounds=${FAULT_HOTREMOVE:-1}; else rounds=${FAULT_HOTREMOVE:-4}; fi
plan $((rounds * 8 + 1))

load_vss || die "cannot load vss"
modprobe dm-mod || die "modprobe dm-mod"
test_devs brd 8 16 || die "devices"
B=${DEVS[0]} S=${DEVS[1]}
rm -rf $work && mkdir -p $work
bg=
cleanup() {
	[ -n "$bg" ] && kill "$bg" 2>/dev/null
	for id in $($ctl snap-list hr 2>/dev/null | awk '{print $1}'); do $ctl snap-del "$id" >/dev/null 2>&1; done
	$ctl lun-del hr >/dev/null 2>&1
	dmsetup remove hr_lun >/dev/null 2>&1
	dmsetup remove hr_st >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT
bs=$(($(blockdev --getsize64 $B) / 512))
ss=$(($(blockdev --getsize64 $S) / 512))
mk() { dmsetup create --noudevsync hr_lun --table "0 $bs linear $B 0" 2>/dev/null
	dmsetup create --noudevsync hr_st --table "0 $ss linear $S 0" 2>/dev/null
	dmsetup mknodes >/dev/null 2>&1
	udev_settle /dev/mapper/hr_lun && udev_settle /dev/mapper/hr_st; }
add() { $ctl lun-add hr /dev/mapper/hr_lun /dev/mapper/hr_st 4096 "$@" >/dev/null && udev_settle /dev/vss-hr; }
untrusted=0
pst=0 plun=0 lst=0 llun=0 ust=0 ulun=0
mk || die "dmsetup create"
add || die "lun add"
stamp fill /dev/vss-hr $work/map 1 >/dev/null || die "fill"

for r in $(seq "$rounds"); do
	n0=$(dmesg | wc -l)
	# ---- the store disappears under writes that copy chunks
	s=$(snap) || die "snapshot"
	stamp write /dev/vss-hr $work/map $((10 * r)) 600 $r >/dev/null 2>$work/werr & bg=$!
	sleep 0.$((RANDOM % 8 + 1))
	dmsetup remove --force hr_st >/dev/null 2>&1
	t0=$SECONDS
	wait_for $bg 120
	rc=$?
	bg=
	echo "# round $r: the writes ended $((SECONDS - t0)) s after the store was pulled (status $rc)"
	good=1
	[ $rc = 0 ] && ok "store pulled: every LUN write succeeds" ||
		{ good=0; fail "store pulled: every LUN write succeeds" "status $rc: $(head -c 200 $work/werr)"; }
	stamp verify /dev/vss-hr $work/map >/dev/null && ok "store pulled: the LUN holds its data" ||
		{ good=0; fail "store pulled: the LUN holds its data"; }
	bounded 60 $ctl lun-del hr >/dev/null && ok "store pulled: lun remove works" ||
		{ good=0; fail "store pulled: lun remove works"; }
	dmsetup remove hr_st >/dev/null 2>&1
	mk && dmesg | tail -n +$((n0 + 1)) >$work/dmesg.round
	if add keep && snaps_ok; then ok "store back: re-added, LUN exact, every snapshot exact or invalid"
	else good=0; fail "store back: re-added, LUN exact, every snapshot exact or invalid" "$bad"; fi
	stamp verify /dev/vss-hr $work/map >/dev/null || { good=0; echo "# the LUN differs after the re-add"; }
	ust=$untrusted
	[ $good = 1 ] && pst=$((pst + 1))
	[ -n "$bad" ] && lst=$((lst + $(echo $bad | wc -w)))
	del_all

	# ---- the backing device disappears under writes and snapshot reads
	n0=$(dmesg | wc -l)
	s=$(snap) || die "snapshot"
	cp $work/map $work/map.pre
	stamp write /dev/vss-hr $work/map $((10 * r + 1)) 600 $((r + 7)) >/dev/null 2>$work/werr & bg=$!
	( dd if="/dev/$($ctl snap-list hr | awk -v s="$s" '$4 == s {print $3}')" of=/dev/null bs=64k iflag=direct \
		status=none 2>/dev/null ) &
	rd=$!
	sleep 0.$((RANDOM % 8 + 1))
	dmsetup remove --force hr_lun >/dev/null 2>&1
	t0=$SECONDS
	wait_for $bg 120
	rc=$?
	wait_for $rd 60
	rc2=$?
	bg=
	echo "# round $r: writes ended $((SECONDS - t0)) s after the backing device was pulled (status $rc, snapshot read $rc2)"
	good=1
	[ $rc != 124 ] && [ $rc2 != 124 ] && ok "backing pulled: the LUN's I/O ends (no hang)" ||
		{ good=0; fail "backing pulled: the LUN's I/O ends (no hang)"; hang_evidence "I/O to a LUN whose backing device was pulled"; }
	if dd if=/dev/vss-hr of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
		good=0; fail "backing pulled: reads fail cleanly (EIO)"
	else ok "backing pulled: reads fail cleanly (EIO)"; fi
	bounded 60 $ctl lun-del hr >/dev/null && ok "backing pulled: lun remove works" ||
		{ good=0; fail "backing pulled: lun remove works"; }
	dmsetup remove hr_lun >/dev/null 2>&1
	mk && dmesg | tail -n +$((n0 + 1)) >$work/dmesg.round
	if add keep && snaps_ok; then ok "backing back: re-added, every snapshot exact or invalid"
	else good=0; fail "backing back: re-added, every snapshot exact or invalid" "$bad"; fi
	ulun=$((untrusted - ust))
	[ $good = 1 ] && plun=$((plun + 1))
	[ -n "$bad" ] && llun=$((llun + $(echo $bad | wc -w)))
	del_all
	# writes after the pull failed, at unknown blocks: stamp everything again
	stamp fill /dev/vss-hr $work/map $((10 * r + 2)) >/dev/null || die "refill"
done
echo "# fault-table: hotremove-store $rounds $pst $lst $ust"
echo "# fault-table: hotremove-lun $rounds $plun $llun $ulun"
[ $untrusted = 0 ] || echo "# $untrusted snapshots were reported untrusted (invalidation not recorded)"
dmesg | grep -qE 'WARNING|BUG|Oops' && fail "no kernel warning" "$(dmesg | grep -E -A3 'WARNING|BUG|Oops' | head)" ||
	ok "no kernel warning"
finish
