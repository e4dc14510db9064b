#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the copy crash test (selftests/crash/run --copy; not a
# selftest of its own): an online copy of a snapshot of LUN "s" onto
# another protected LUN "d" (a standby), killed at random moments.
# Disks: /dev/vda s's backing device, /dev/vdb its store, /dev/vdc this
# script's notes (4 KiB, written O_DIRECT so they survive the kill of
# QEMU), /dev/vdd d's backing device, /dev/vde its store.  Both LUNs have
# 4 KiB chunks; d has no partition table (nothing of its identity to keep).
#
#   resync_copy_crash_guest.sh first|again|check
#
# "first" fills s, takes the snapshot B (kept to the end: "the other
# snapshots are intact"), damages s, takes C and copies C onto d at
# 1 MiB/s (a full copy; incremental copies at 256 KiB/s, so that they
# last long enough for a kill to cut them).  "again" (and "check") add s, then d with its
# store, which resumes the copy (the source LUN first: d reads its
# unsynced chunks from C), and check: d reads as C right away (sha256 of
# the whole device) whenever the copy was started (RecoverSet returned,
# or its START was durable when the kill came), B and C are unchanged,
# and the copy redid at most one commit interval (as
# resync_crash_guest.sh: "VSS-REDO <bytes> <limit>").  Between two
# copies (s being damaged, the next C taken, RecoverSet not returned) d
# must still hold what the last copy left (or the new C, had that copy
# started and ended).  Then the copy goes on; while it runs d is read
# whole once more and must equal C, and only then is VSS-RUNNING printed:
# the kill comes while the progress notes are fresh (one poll old), so
# the redo measured is not hidden by a stale note.  When a
# copy ends in this boot, s is damaged, a new C taken and copied onto d:
# d holds the old C exactly (not written since), so that copy is
# incremental (total_bytes far below the LUN's size, checked) -- an
# incremental copy onto a standby that a kill then cuts.  "check" speeds
# the copy up to its end and compares d with C.
. "$(dirname "$0")/lib.sh"

mode=$1
SRC=/dev/vss-s
DST=/dev/vss-d
MB=1048576
SIZE=$((16 * MB))
SPEED=$((1024 * 1024))	# a full copy lasts 16 s
ISPEED=$((256 * 1024))	# an incremental one (1-5 MiB) 4-20 s

notes_put() { printf '%s\n' "$@" | dd of=/dev/vdc bs=4096 count=1 conv=sync oflag=direct status=none; }
notes_get() { dd if=/dev/vdc bs=4096 count=1 iflag=direct status=none | tr -d '\0'; }
sha_dev() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1; }
# "state done_bytes total_bytes" of the copy onto d, one query
fields() {
	vssctl -j resync list | jq -r --arg d "$DST" \
		'[.[] | select(.destination == $d)] | last // {} |
		 "\(.state // "-") \(.done_bytes // 0) \(.total_bytes // 0)"'
}
snap_dev() { vssctl -j snapshot show "$1" | jq -r '.device // empty'; }
snap_new() { # snap_new VAR: a snapshot of s, its id in VAR
	vssctl -j snapshot create s > /tmp/snap.json || die "snapshot"
	udev_settle "$(jq -r '.snapshots[0].device' /tmp/snap.json)"
	printf -v "$1" '%s' "$(jq -r '.snapshots[0].id' /tmp/snap.json)"
}
# damage N: N random runs of 4..256 KiB over s
damage() {
	local i off len
	for i in $(seq "$1"); do
		off=$((RANDOM % 3900 * 4096))
		len=$(((1 + RANDOM % 64) * 4096))
		head -c $len /dev/urandom | dd of=$SRC bs=4096 seek=$((off / 4096)) \
			oflag=direct conv=notrunc status=none || die "damage"
	done
}
# new_copy INCR: a new C copied onto d, then the previous C deleted;
# INCR=1 when d holds the previous C exactly, so the copy must be
# incremental (the differences since the older of the two snapshots).
# DHOLD: the sha256 of what d holds until the copy starts (- unknown).
new_copy() {
	local st d tot old=${C:-} speed=$SPEED
	[ "$1" = 1 ] && speed=$ISPEED
	notes_put "$B" "$BSHA" - - 0 damage 0 "$DHOLD"
	damage 20
	snap_new C
	CSHA=$(sha_dev "$(snap_dev "$C")")
	notes_put "$B" "$BSHA" "$C" "$CSHA" 0 damage 0 "$DHOLD"
	vssctl recover --speed-max $speed "$C=$DST" >/dev/null || die "recover onto d"
	read -r st d tot < <(fields)
	notes_put "$B" "$BSHA" "$C" "$CSHA" 0 copy "$tot" "$DHOLD"
	# the previous C only now: an incremental copy needs it (what d held)
	if [ -n "$old" ] && [ "$old" != - ] && [ -n "$(snap_dev "$old")" ]; then
		vssctl snapshot delete "$old" >/dev/null || die "delete the previous C"
	fi
	echo "copy of C onto d: $tot bytes ($([ "$1" = 1 ] && echo incremental || echo full))"
	if [ "$1" = 1 ] && ! [ "$tot" -lt $((SIZE / 2)) ]; then
		echo "VSS-VERIFY FAIL: the copy onto the standby is not incremental ($tot bytes)"
		exit 1
	fi
}

load_vss || die "cannot load vss"
if [ "$mode" = first ]; then
	dd if=/dev/zero of=/dev/vdc bs=4096 count=1 oflag=direct status=none
	vssctl lun add /dev/vda --store /dev/vdb --name s --chunk-size 4K --format >/dev/null ||
		die "lun add s"
	vssctl lun add /dev/vdd --store /dev/vde --name d --chunk-size 4K --format >/dev/null ||
		die "lun add d"
	udev_settle $SRC && udev_settle $DST || die "no LUN devices"
	head -c $SIZE /dev/urandom | dd of=$SRC bs=1M oflag=direct status=none || die "fill"
	snap_new B
	BSHA=$(sha_dev "$(snap_dev "$B")")
	C=
	DHOLD=-
	new_copy 0
	echo "VSS-VERIFY ok: first boot, copy onto d started"
else
	vssctl lun add /dev/vda --store /dev/vdb --name s >/dev/null ||
		{ echo "VSS-VERIFY FAIL: re-add s"; dmesg | grep vss | tail -n 5; exit 1; }
	vssctl lun add /dev/vdd --store /dev/vde --name d >/dev/null ||
		{ echo "VSS-VERIFY FAIL: re-add d"; dmesg | grep vss | tail -n 5; exit 1; }
	udev_settle $SRC && udev_settle $DST || die "no LUN devices"
	read -r B BSHA C CSHA LAST PHASE TOTAL DHOLD < <(notes_get | tr '\n' ' ')
	[ -n "${DHOLD:-}" ] || DHOLD=-
	why=
	read -r st done_now total_now < <(fields)
	[ "$st" = - ] && st=
	# a copy recorded (RecoverSet returned, or its START was durable
	# when the kill came): d reads as C
	if [ "$PHASE" = copy ] || [ "$st" = running ]; then
		dsha=$(sha_dev $DST)
		[ "$dsha" = "$CSHA" ] || why="$why d is not C (copy ${st:-none}, phase $PHASE)"
		[ "$st" = running ] || DHOLD=$dsha
	elif [ "$DHOLD" != - ]; then
		# between two copies: what the last one left, or the new C
		# if its copy started and ended before the kill
		dsha=$(sha_dev $DST)
		if [ "$dsha" != "$DHOLD" ] && { [ "$C" = - ] || [ "$dsha" != "$CSHA" ]; }; then
			why="$why d changed between two copies (phase $PHASE)"
		fi
		DHOLD=$dsha
	fi
	[ "$(sha_dev "$(snap_dev "$B")")" = "$BSHA" ] || why="$why snapshot B changed"
	if [ "$C" != - ] && [ -n "$(snap_dev "$C")" ]; then
		[ "$(sha_dev "$(snap_dev "$C")")" = "$CSHA" ] || why="$why snapshot C changed"
	elif [ "$PHASE" = copy ]; then
		why="$why snapshot C missing"
	fi
	redo=0
	cms=$(cat /sys/module/vss/parameters/resync_commit_ms)
	limit=$((SPEED * cms / 1000 + MB))
	if [ "$st" = running ] && [ "$PHASE" = copy ]; then
		if ! [[ "$done_now" =~ ^[0-9]+$ && "$total_now" =~ ^[0-9]+$ &&
			"$LAST" =~ ^[0-9]+$ && "${TOTAL:-}" =~ ^[0-9]+$ ]]; then
			why="$why figures missing (done $done_now total $total_now noted $LAST of ${TOTAL:-?})"
		elif [ "$total_now" != "$TOTAL" ] || [ "$total_now" -le 0 ] ||
			[ "$done_now" -gt "$total_now" ] || [ "$LAST" -gt "$TOTAL" ]; then
			why="$why figures not sane: done $done_now of $total_now after re-add, $LAST of $TOTAL before the kill"
		else
			redo=$((LAST - done_now))
			echo "VSS-REDO $redo $limit"
			[ $redo -lt 0 ] && redo=0
			[ $redo -le $limit ] || why="$why redid $redo bytes (limit $limit)"
		fi
	elif [ "$PHASE" = copy ] && [ "$st" != done ]; then
		# done copies are not kept in the store: none listed after a
		# re-add means it ended (d equals C, checked above)
		[ -z "$st" ] || why="$why copy $st"
	fi
	if [ -n "$why" ]; then
		echo "VSS-VERIFY FAIL:$why"
		dmesg | grep -a 'vss' | tail -n 5
		exit 1
	fi
	echo "VSS-VERIFY ok: d reads as C, snapshots intact, copy ${st:-gone} at ${done_now:-0} of ${total_now:-0}, redid $redo bytes (limit $limit)"
	if [ "$mode" = check ]; then
		if [ "$st" = running ]; then
			vssctl resync speed $DST --max 512M >/dev/null && vssctl resync wait $DST >/dev/null ||
				{ echo "VSS-FINAL FAIL: resync wait"; exit 1; }
		fi
		[ "$PHASE" = copy ] || [ "$st" = running ] ||
			{ echo "VSS-FINAL ok (cut before the copy started)"; exit 0; }
		if [ "$(sha_dev $DST)" = "$CSHA" ] && [ "$(fields | cut -d' ' -f1)" != failed ]; then
			echo "VSS-FINAL ok"
		else
			echo "VSS-FINAL FAIL: d differs from C at the end"
			exit 1
		fi
		vssctl lun remove d >/dev/null
		vssctl lun remove s >/dev/null
		exit 0
	fi
	# a copy that ended before the kill: d holds C, but the record that
	# proves it lives in memory, so this copy is a full one
	[ "$st" = running ] || new_copy 0
fi

# the host kills QEMU from 1 to 6 s after VSS-RUNNING
first=1
while :; do
	read -r st d tot < <(fields)
	if [ "$st" = running ]; then
		notes_put "$B" "$BSHA" "$C" "$CSHA" "$d" copy "$tot" "$DHOLD"
		echo "RESYNC-DONE $d"
		if [ $first = 1 ]; then
			# d reads as C while the copy runs, too
			[ "$(sha_dev $DST)" = "$CSHA" ] ||
				{ echo "VSS-WORKLOAD-ERROR: d is not C during the copy"; exit 1; }
			echo "d read whole during the copy: equal to C"
			# the kill comes from now on, while the notes are fresh
			echo "VSS-RUNNING"
		fi
		first=0
	else
		[ "$st" = done ] || { echo "VSS-WORKLOAD-ERROR: copy $st"; exit 1; }
		DHOLD=$CSHA
		new_copy 1
	fi
	sleep 0.1
done
