#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the LUN crash test (selftests/crash/run --lun; not a
# selftest of its own).  Disks: /dev/vda LUN, /dev/vdb store, /dev/vdc the
# writer's log of acknowledged generations.
#
#   store_crash_guest.sh first|again|check SEED
#
# "again" (and "check", which stops there) re-adds the LUN with its store and checks, against the last
# logged generation A: the LUN holds state(A) (blocks of A+1 may be new);
# every snapshot of seq s (taken right after generation 5s) holds exactly
# state(5s) and 5s <= A; the snapshot of the last complete group exists.
# Then (both modes) the workload runs until the VM is killed: generations
# of N blocks, a snapshot after every 5th, snapshots older than 6 deleted.
. "$(dirname "$0")/lib.sh"

mode=$1 seed=$2
n=48
ctl=engine_ctl

load_vss || die "cannot load vss"
if [ "$mode" = first ]; then
	dd if=/dev/zero of=/dev/vdc bs=4096 count=2 oflag=direct status=none
	$ctl lun-add c /dev/vda /dev/vdb 4096 || die "lun add"
else
	$ctl lun-add c /dev/vda /dev/vdb 4096 keep || { echo "VSS-VERIFY FAIL: re-add"; exit 1; }
fi
udev_settle /dev/vss-c || die "no /dev/vss-c"
acked=$(store_crashio acked /dev/vdc)

snaps() { $ctl snap-list c 2>/dev/null | awk '{print $4, $3, $1}' | sort -n; }
why=
if ! store_crashio verify /dev/vss-c "$acked" "$seed" $n next; then
	why="LUN content"
fi
nsnap=0
while read -r seq dev id; do
	nsnap=$((nsnap + 1))
	if [ $((seq * 5)) -gt "$acked" ]; then
		why="$why snapshot $seq after generation $acked"
		continue
	fi
	udev_settle /dev/$dev
	store_crashio verify /dev/$dev $((seq * 5)) "$seed" $n || why="$why snapshot $seq content"
done < <(snaps)
last=$(((acked - 1) / 5))
if [ "$acked" -gt 5 ] && ! snaps | grep -q "^$last "; then
	why="$why snapshot $last missing"
fi
if [ -n "$why" ]; then
	echo "VSS-VERIFY FAIL: acked $acked:$why"
	snaps | sed 's/^/# /'
	exit 1
fi
echo "VSS-VERIFY ok: acked generation $acked, $nsnap snapshots verified"
if [ "$mode" = check ]; then
	$ctl lun-del c >/dev/null
	exit 0
fi

# Resume: a snapshot lost with the crash is taken again (nothing was
# written after its generation: the next one starts only once it exists).
g=$((acked + 1))
if [ "$acked" -gt 0 ] && [ $((acked % 5)) = 0 ] && ! snaps | grep -q "^$((acked / 5)) "; then
	$ctl snap c >/dev/null || die "snapshot"
fi
echo "VSS-RUNNING from generation $g"
while :; do
	store_crashio write /dev/vss-c /dev/vdc $g "$seed" $n || die "write $g"
	echo "LUN-ACK $g"
	if [ $((g % 5)) = 0 ]; then
		$ctl snap c >/dev/null || die "snapshot after $g"
		old=$((g / 5 - 6))
		id=$(snaps | awk -v s=$old '$1 == s {print $3}')
		[ -n "$id" ] && { $ctl snap-del "$id" >/dev/null || die "delete $old"; }
	fi
	g=$((g + 1))
done
