#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The engine on devices that complete bios outside submit_bio(): for each
# of virtio (interrupt), loop (loop's worker), nbd (qemu-nbd over a unix
# socket, nbd's receive worker) and dm-crypt (kcryptd), the LUN and the
# store are both of that kind.  fio writes at random at queue depth 32
# (libaio, O_DIRECT, 4-64 KiB, not chunk aligned), run after run, each run
# verified (crc32c), while snapshots are taken and deleted.  A snapshot is
# taken with fio stopped (SIGSTOP: it submits nothing, the snapshot's hold
# drains its 32 writes in flight) and the LUN is copied at once: that copy
# is the snapshot's exact expected content.  Stamped blocks (stamp.c)
# change on the first 4 MiB between snapshots.  At the end every
# surviving snapshot must equal its copy, byte for byte, the LUN must hold
# the stamped blocks and equal its backing device, fio's last run
# verified everything it wrote.  Every step is bounded: a step that hangs
# (an engine deadlock in another driver's completion) fails, and the
# blocked tasks' stacks are printed, with where the I/O waits: fio's
# threads, the LUN's parked writes, the in-flight requests of every
# device below it (io_evidence).
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_devices
KINDS=${VSS_DEVICES_KINDS:-virtio loop nbd dmcrypt}
# fio runs go round the LUN past its first 4 MiB (the stamped blocks),
# FIO_MB at a time; VSS_QUICK halves both (the copies and compares too)
LUN_MB=16 FIO_MB=4
[ -n "${VSS_QUICK:-}" ] && LUN_MB=8 FIO_MB=2
STORE_MB=64
NSNAP=3
TESTS_PER_KIND=9
plan $(($(echo $KINDS | wc -w) * TESTS_PER_KIND))

load_vss || die "cannot load vss"
rm -rf $work && mkdir -p $work
runner=
cleanup() {
	[ -n "$runner" ] && { kill -CONT $paused 2>/dev/null; touch $work/stop; }
	for id in $(cat $work/ids 2>/dev/null); do bounded 20 $ctl snap-del "$id" >/dev/null 2>&1; done
	for n in $(cat $work/luns 2>/dev/null); do bounded 20 $ctl lun-del "$n" >/dev/null 2>&1; done
	vss_devs_cleanup
	bounded 10 unload_vss
}
trap cleanup EXIT

# load_runner LUN: fio runs back to back until $work/stop exists; each
# writes 4-64 KiB blocks at random over FIO_MB (every block once; the runs
# go round 4-8, 8-12, 12-16 MiB, or 4-6, 6-8 under VSS_QUICK), 32 in
# flight, then reads them all back and checks them (crc32c, header with
# offset and seed); a new seed per run.
load_runner() {
	local r=0 rc
	while [ ! -e $work/stop ]; do
		r=$((r + 1))
		fio --name=qd32 --thread --filename="$1" --direct=1 --ioengine=libaio \
			--iodepth=32 --rw=randwrite --bsrange=4k-64k \
			--offset=$((4 + (r - 1) % ((LUN_MB - 4) / FIO_MB) * FIO_MB))M --size=${FIO_MB}M \
			--randseed=$r --verify=crc32c --do_verify=1 --verify_fatal=1 \
			--output=$work/fio.$r.out >/dev/null 2>&1
		rc=$?
		echo "$r $rc" >>$work/fio.runs
	done
}

# pause_load: stop the runner and its fio (every thread stopped: nothing
# more is submitted; what is in flight completes or is drained by a hold)
paused=
pause_load() {
	local p s t st stopped
	kill -STOP $runner
	paused="$runner $(cat /proc/$runner/task/*/children 2>/dev/null)"
	for p in $paused; do kill -STOP $p 2>/dev/null; done
	for t in $(seq 100); do
		stopped=1
		for p in $paused; do
			for s in /proc/$p/task/*/stat; do
				st=$(sed 's/.*) //' $s 2>/dev/null | cut -d' ' -f1)
				case "$st" in T|t|Z|X|"") ;; *) stopped=0 ;; esac
			done
		done
		[ $stopped = 1 ] && return 0
		sleep 0.1
	done
	echo "# fio did not stop within 10 s (a thread stuck in the kernel?)"
	return 1
}
resume_load() { local p; for p in $paused; do kill -CONT $p 2>/dev/null; done; paused=; }

# snap_now N: snapshot N of $name with the load paused, copy of the LUN
# taken at once; "dev id" in $work/snap.N
snap_now() {
	local out
	pause_load || return 1
	if ! out=$(bounded 45 $ctl snap $name 2>&1); then
		resume_load
		echo "# snapshot $1: $out"
		return 2
	fi
	echo "$out" | awk '{print "/dev/" $2, $3}' >$work/snap.$1
	echo "$out" | awk '{print $3}' >>$work/ids
	cp $work/map $work/map.$1
	bounded 45 dd if=/dev/vss-$name of=$work/img.$1 bs=1M iflag=direct status=none
	local rc=$?
	resume_load
	[ $rc = 0 ] || { echo "# copy of the LUN at snapshot $1: exit $rc"; return 2; }
}
snap_dev() { awk '{print $1}' $work/snap.$1; }
snap_id() { awk '{print $2}' $work/snap.$1; }

# same_as_copy DEV N: DEV reads exactly the copy taken with snapshot N;
# else says which 4 KiB blocks differ (1), or that reading hung (2)
same_as_copy() {
	local rc
	udev_settle "$1" || { echo "no device $1"; return 1; }
	bounded 45 cmp -s "$1" $work/img.$2
	rc=$?
	[ $rc = 0 ] && return 0
	[ $rc = 124 ] && { echo "reading $1 did not finish in 45 s"; return 2; }
	# a second, direct read tells a transient from a lasting difference
	echo "$1 differs from the copy taken with snapshot $2 (cmp exit $rc): $(bounded 45 _diff_blocks "$1" $work/img.$2); direct re-read: $(bounded 45 sh -c "dd if=$1 bs=1M iflag=direct status=none | cmp -s - $work/img.$2 && echo same || echo different")"
	return 1
}
_diff_blocks() {
	cmp -l "$1" "$2" 2>&1 | awk '
		$1 ~ /^[0-9]+$/ { b = int(($1 - 1) / 4096); if (b != last) { n++; last = b; if (n <= 8) l = l " " b } next }
		{ print }
		END { printf "%d blocks differ, first:%s\n", n, l }'
}

# del_snap N: delete snapshot N; its device goes away
del_snap() {
	local id
	id=$(snap_id $1)
	bounded 45 $ctl snap-del "$id" || return 1
	sed -i "/^$id\$/d" $work/ids
}

# per kind: kok/kfail count the kind's results; stuck records a hang
kn=0
kok() { kn=$((kn + 1)); ok "$k: $1"; }
kfail() { kn=$((kn + 1)); fail "$k: $1" "$2"; }
stuck() { # WHAT: evidence, then unwedge (wbt off) so the suite can go on
	hung=$1
	io_evidence
	hang_evidence "$k: $1"
	wbt_off
}
# _sysname DEV: the name under /sys/block of a device node (dm's nodes
# may be plain nodes, not links)
_sysname() {
	local n
	n=$(stat -L -c '%t %T' "$1" 2>/dev/null) || return
	set -- $n
	basename "$(readlink -f /sys/dev/block/$((0x$1)):$((0x$2)))"
}
# _stack_of DEV: DEV (a name under /sys/block) and the devices below it
_stack_of() {
	local s
	echo "$1"
	for s in /sys/block/$1/slaves/*; do
		[ -e "$s" ] && _stack_of "$(basename "$s")"
	done
}
# io_evidence: where the I/O of the LUN waits, before anything is killed
# or unwedged: the threads of fio (what they sleep in), the LUN's parked
# writes (/sys/block/vss-NAME/vss/parked), in-flight counts of the LUN and
# of every device below it with blk-mq's view (requests dispatched, busy,
# writeback throttling), and the stacks of every CPU (sysrq l)
io_evidence() {
	local p t d f devs
	echo "# I/O evidence ($k):"
	for p in $(cat /proc/$runner/task/*/children 2>/dev/null); do
		for t in /proc/$p/task/*; do
			echo "#   fio task ${t##*/} $(sed 's/.*) //' $t/stat 2>/dev/null | cut -d' ' -f1) in $(cat $t/wchan 2>/dev/null): $(head -n 4 $t/stack 2>/dev/null | awk '{printf "%s ", $2}')"
		done
	done
	echo "#   vss-$name parked: $(tr '\n' ' ' </sys/block/vss-$name/vss/parked 2>/dev/null)"
	# slow or stuck: do the LUN's completed I/Os (stat fields 1 and 5) move?
	p=$(awk '{print $1 + $5}' /sys/block/vss-$name/stat 2>/dev/null)
	sleep 3
	echo "#   vss-$name: $(($(awk '{print $1 + $5}' /sys/block/vss-$name/stat 2>/dev/null) - ${p:-0})) I/Os completed in 3 s"
	grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	devs="vss-$name"
	for d in $lun $store; do
		devs="$devs $(_stack_of "$(_sysname $d)")"
	done
	for d in $(echo $devs | tr ' ' '\n' | sort -u); do
		echo "#   $d: inflight $(cat /sys/block/$d/inflight 2>/dev/null | tr -s ' '), wbt_lat_usec $(cat /sys/block/$d/queue/wbt_lat_usec 2>/dev/null)"
		for f in /sys/kernel/debug/block/$d/rqos/wbt/inflight /sys/kernel/debug/block/$d/rqos/wbt/wb_normal \
			/sys/kernel/debug/block/$d/state /sys/kernel/debug/block/$d/hctx*/state \
			/sys/kernel/debug/block/$d/hctx*/busy /sys/kernel/debug/block/$d/hctx*/dispatch \
			/sys/kernel/debug/block/$d/hctx*/dispatched; do
			[ -r "$f" ] || continue
			echo "#     ${f#/sys/kernel/debug/block/}: $(head -c 600 "$f" 2>/dev/null | tr '\n' ' ')"
		done
	done
	echo l >/proc/sysrq-trigger 2>/dev/null
	sleep 1
	dmesg | awk '/sysrq: Show backtrace of all active CPUs/ { n = 0 } { l[n++] = $0 }
		END { for (i = 0; i < n && i < 120; i++) print l[i] }' | sed 's/^/#   /'
}
stop_load() { # bounded: ask the runner to stop, wait for its fio to end
	local end=$((SECONDS + 90))
	touch $work/stop
	while [ $SECONDS -lt $end ]; do _running $runner || break; sleep 0.1; done
	if _running $runner; then
		io_evidence
		kill -9 $runner $(cat /proc/$runner/task/*/children 2>/dev/null) 2>/dev/null
		return 1
	fi
	wait $runner
}

run_kind() {
	local i bad rc taken=0 runs fails id out
	k=$1 kn=0 hung= t0=$(date +%s) name=dv$1
	rm -f $work/stop $work/fio.* $work/img.* $work/map* $work/snap.* $work/ids
	: >$work/fio.runs
	if ! vss_devs $k 1 $LUN_MB || ! vss_devs $k 1 $STORE_MB; then
		kfail "LUN and store on $k, lun add" "cannot set up the $k devices"
		return
	fi
	lun=${DEVS[0]} store=${DEVS[1]}
	out=$(bounded 30 $ctl lun-add $name $lun $store 16384 2>&1)
	rc=$?
	if [ $rc != 0 ] || ! udev_settle /dev/vss-$name; then
		kfail "LUN and store on $k, lun add" "$out"
		[ $rc = 124 ] && stuck "lun add"
		return
	fi
	echo $name >>$work/luns
	if ! bounded 45 stamp fill /dev/vss-$name $work/map 1 0 1024 >/dev/null; then
		kfail "LUN ($lun) and store ($store) on $k, lun add, stamp fill" "stamp fill of the LUN failed or hung"
		stuck "stamp fill"
		return
	fi
	kok "LUN ($lun) and store ($store) on $k, lun add, stamp fill"

	load_runner /dev/vss-$name &
	runner=$!
	sleep 1
	bad=
	for i in $(seq 1 $NSNAP); do
		snap_now $i
		rc=$?
		if [ $rc != 0 ]; then
			bad="snapshot $i failed ($rc)"
			[ $rc != 1 ] && stuck "snapshot $i"
			break
		fi
		taken=$i
		echo "# $k: snapshot $i at $(($(date +%s) - t0)) s, during fio run $(($(wc -l 2>/dev/null <$work/fio.runs) + 1))"
		if ! bounded 45 stamp write /dev/vss-$name $work/map $((i + 1)) 20 $i 0 1024 16 >/dev/null; then
			bad="stamp write after snapshot $i failed or hung"
			stuck "stamp write after snapshot $i"
			break
		fi
		# delete the previous intermediate snapshot while fio writes
		if [ $i -ge 3 ] && ! del_snap $((i - 1)); then
			bad="delete of snapshot $((i - 1)) failed or hung"
			stuck "delete of snapshot $((i - 1))"
			break
		fi
	done
	if [ -z "$bad" ] && [ -z "$(cat /proc/$runner/task/*/children 2>/dev/null)" ]; then
		bad="fio was not running any more"
	fi
	[ -z "$bad" ] && kok "$NSNAP snapshots taken, $((NSNAP - 2)) deleted while fio writes at QD32" ||
		kfail "$NSNAP snapshots taken, $((NSNAP - 2)) deleted while fio writes at QD32" "$bad"
	if [ -z "$hung" ]; then
		# snapshot 1 took the chunks of the deleted ones over: read it while fio goes on
		out=$(same_as_copy "$(snap_dev 1)" 1)
		rc=$?
		[ $rc = 0 ] && kok "snapshot 1 exact while fio writes, after the deletes" ||
			kfail "snapshot 1 exact while fio writes, after the deletes" "$out"
		[ $rc = 2 ] && stuck "read of snapshot 1"
	fi
	echo "# $k: stopping fio at $(($(date +%s) - t0)) s"
	if ! stop_load; then
		# stuck or only slow: is there I/O in flight, and does it move?
		local s1 s2 d
		for d in vss-$name ${lun#/dev/} ${store#/dev/}; do
			d=$(basename "$(readlink -f /dev/$d 2>/dev/null || echo $d)")
			s1=$(cat /sys/block/$d/stat 2>/dev/null | tr -s ' ')
			sleep 3
			s2=$(cat /sys/block/$d/stat 2>/dev/null | tr -s ' ')
			echo "# $d: stat$s1 / 3 s later$s2; inflight $(cat /sys/block/$d/inflight 2>/dev/null)"
		done
		kfail "every fio run verified its data" "fio did not finish within 90 s"
		[ -n "$hung" ] || stuck "fio"
	fi
	runner=
	[ -n "$hung" ] && return
	runs=$(wc -l <$work/fio.runs)
	fails=$(awk '$2 != 0' $work/fio.runs | wc -l)
	if [ "$fails" = 0 ] && [ "$runs" -ge 1 ]; then
		kok "every fio run verified its data ($runs runs)"
	else
		kfail "every fio run verified its data" "$fails of $runs failed: $(grep -ih 'err\|verify' $work/fio.*.out | grep -v 'err= 0' | head -n 5)"
	fi

	# the survivors read their point in time, their copies differ (the
	# comparison can fail), the deleted ones are gone
	for i in 1 $NSNAP; do
		if out=$(same_as_copy "$(snap_dev $i)" $i); then
			if [ $i = $NSNAP ] && cmp -s $work/img.1 $work/img.$i; then
				kfail "snapshot $i exact at the end" "its copy equals snapshot 1's: nothing changed in between"
			else
				kok "snapshot $i exact at the end"
			fi
		else
			kfail "snapshot $i exact at the end" "$out"
		fi
	done
	bad=
	for i in $(seq 2 $((NSNAP - 1))); do
		$ctl snap-list $name | awk '{print $1}' | grep -qx "$(snap_id $i)" && bad="$bad $i:listed"
		sleep 0.2
		[ -e "$(snap_dev $i)" ] && bad="$bad $i:device"
	done
	[ -z "$bad" ] && kok "deleted snapshots are gone" || kfail "deleted snapshots are gone" "$bad"
	out=$(bounded 45 stamp verify /dev/vss-$name $work/map 2>&1) &&
		out=$(bounded 45 cmp /dev/vss-$name $lun 2>&1)
	[ $? = 0 ] && kok "LUN holds the stamped blocks and equals its backing device" ||
		kfail "LUN holds the stamped blocks and equals its backing device" "$(echo "$out" | tail -n 3)"
	bad=
	for id in $(cat $work/ids); do bounded 45 $ctl snap-del "$id" >/dev/null || bad="$bad $id"; done
	: >$work/ids
	bounded 45 $ctl lun-del $name || bad="$bad lun"
	sed -i "/^$name\$/d" $work/luns
	[ -z "$bad" ] && kok "snapshots deleted, LUN removed ($(($(date +%s) - t0)) s)" ||
		kfail "snapshots deleted, LUN removed" "$bad"
}

for kind in $KINDS; do
	run_kind $kind
	# what could not run after a failure or a hang fails too
	for ((i = kn + 1; i <= TESTS_PER_KIND; i++)); do
		fail "$kind: test $i of $TESTS_PER_KIND" "not run: ${hung:-an earlier step failed}"
	done
	if [ -n "$hung" ]; then
		# with writeback throttling off the stuck I/O may finish
		sleep 2
		for id in $(cat $work/ids); do bounded 20 $ctl snap-del "$id" >/dev/null 2>&1; done
		: >$work/ids
		if bounded 20 $ctl lun-del dv$kind >/dev/null 2>&1; then
			echo "# $kind: with writeback throttling off the stuck I/O finished; LUN removed"
		else
			echo "# $kind: the LUN hung ($hung) and cannot be removed; it and its devices stay"
			_vd_undo=() DEVS=() DEV_KINDS=()
		fi
		sed -i "/^dv$kind\$/d" $work/luns
	fi
	vss_devs_cleanup
	wbt_restore
done
finish
