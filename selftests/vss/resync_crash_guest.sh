#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the revert crash test (selftests/crash/run --resync; not a
# selftest of its own).  Disks: /dev/vda LUN, /dev/vdb store, /dev/vdc
# this script's notes (4 KiB: target, its sha256, the other snapshot, its
# sha256, the revert's done_bytes as last seen, the phase: "damage" while
# the LUN is being changed before a revert, "revert" once RecoverSet
# returned, the revert's total_bytes; written O_DIRECT, so they survive
# the kill of QEMU).
#
#   resync_crash_guest.sh first|again|check
#
# "first" fills the LUN, takes the target snapshot T, damages the LUN,
# takes a newer snapshot O, damages it again and reverts it to T at
# 512 KiB/s.  "again" (and "check") re-add the LUN with its store and
# check: the LUN reads as T right away (sha256 of the whole device), T and
# O are unchanged, and the revert redid at most one commit interval (the
# done_bytes seen before the kill minus those it resumed from, at most
# 512 KiB/s x resync_commit_ms + one copy run).  The figures are checked
# for sanity first (the same total as before the kill, done_bytes at most
# the total): a done_bytes that underflowed would make the redo negative
# and the check vacuous.  "VSS-REDO <bytes> <limit>" reports the measure.  Then the revert goes on
# ("again"; once done, a new damage, O and revert) until QEMU is killed,
# or, with "check", is sped up to its end and the LUN compared with T.
. "$(dirname "$0")/lib.sh"

mode=$1
LUN=/dev/vss-c
MB=1048576
SPEED=$((512 * 1024))	# a revert of a few MiB lasts several seconds

notes_put() { printf '%s\n' "$@" | dd of=/dev/vdc bs=4096 count=1 conv=sync oflag=direct status=none; }
notes_get() { dd if=/dev/vdc bs=4096 count=1 iflag=direct status=none | tr -d '\0'; }
sha_dev() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1; }
field() {
	vssctl -j resync list | jq -r --arg d "$LUN" --arg f "$1" \
		'[.[] | select(.destination == $d)] | last | .[$f] // empty'
}
# "state done_bytes total_bytes" of the revert, one query
fields() {
	vssctl -j resync list | jq -r --arg d "$LUN" \
		'[.[] | select(.destination == $d)] | last // {} |
		 "\(.state // "-") \(.done_bytes // 0) \(.total_bytes // 0)"'
}
snap_dev() { vssctl -j snapshot show "$1" | jq -r '.device // empty'; }
# damage N: N random runs of 4..256 KiB over the LUN
damage() {
	local i off len
	for i in $(seq "$1"); do
		off=$((RANDOM % 3900 * 4096))
		len=$(((1 + RANDOM % 64) * 4096))
		head -c $len /dev/urandom | dd of=$LUN bs=4096 seek=$((off / 4096)) \
			oflag=direct conv=notrunc status=none || die "damage"
	done
}
# new_revert: O replaced by a fresh one between two damages, revert to T
new_revert() {
	notes_put "$T" "$TSHA" - - 0 damage 0
	if [ -n "${O:-}" ] && [ "$O" != - ] && [ -n "$(snap_dev "$O")" ]; then
		vssctl snapshot delete "$O" >/dev/null || die "delete O"
	fi
	damage 20
	vssctl -j snapshot create c > /tmp/o.json || die "snapshot O"
	O=$(jq -r '.snapshots[0].id' /tmp/o.json)
	udev_settle "$(jq -r '.snapshots[0].device' /tmp/o.json)"
	OSHA=$(sha_dev "$(snap_dev "$O")")
	damage 20
	notes_put "$T" "$TSHA" "$O" "$OSHA" 0 damage 0
	vssctl recover --speed-max $SPEED "$T" >/dev/null || die "recover"
	notes_put "$T" "$TSHA" "$O" "$OSHA" 0 revert "$(field total_bytes)"
}

load_vss || die "cannot load vss"
if [ "$mode" = first ]; then
	dd if=/dev/zero of=/dev/vdc bs=4096 count=1 oflag=direct status=none
	vssctl lun add /dev/vda --store /dev/vdb --name c --chunk-size 4K --format >/dev/null ||
		die "lun add"
	udev_settle $LUN || die "no $LUN"
	head -c $((16 * MB)) /dev/urandom | dd of=$LUN bs=1M oflag=direct status=none || die "fill"
	vssctl -j snapshot create c > /tmp/t.json || die "snapshot T"
	T=$(jq -r '.snapshots[0].id' /tmp/t.json)
	udev_settle "$(jq -r '.snapshots[0].device' /tmp/t.json)"
	TSHA=$(sha_dev "$(snap_dev "$T")")
	O=
	new_revert
	echo "VSS-VERIFY ok: first boot, revert to the target started"
else
	vssctl lun add /dev/vda --store /dev/vdb --name c >/dev/null ||
		{ echo "VSS-VERIFY FAIL: re-add"; dmesg | grep vss | tail -n 5; exit 1; }
	udev_settle $LUN || die "no $LUN"
	read -r T TSHA O OSHA LAST PHASE TOTAL < <(notes_get | tr '\n' ' ')
	why=
	lsha=$(sha_dev $LUN)
	st=$(field state)
	done_now=$(field done_bytes)
	total_now=$(field total_bytes)
	# a revert recorded (RecoverSet returned, or its START was durable
	# when the kill came): the LUN reads as T
	if [ "$PHASE" = revert ] || [ "$st" = running ]; then
		[ "$lsha" = "$TSHA" ] || why="$why LUN is not the target (revert ${st:-none}, phase $PHASE)"
	fi
	[ "$(sha_dev "$(snap_dev "$T")")" = "$TSHA" ] || why="$why target changed"
	if [ "$O" != - ] && [ -n "$(snap_dev "$O")" ]; then
		[ "$(sha_dev "$(snap_dev "$O")")" = "$OSHA" ] || why="$why other snapshot changed"
	elif [ "$PHASE" = revert ] && [ "$O" != - ]; then
		why="$why other snapshot missing"
	fi
	redo=0
	cms=$(cat /sys/module/vss/parameters/resync_commit_ms)
	limit=$((SPEED * cms / 1000 + MB))
	if [ "$st" = running ] && [ "$PHASE" = revert ]; then
		# sane figures first: the same revert, done within its total
		if ! [[ "$done_now" =~ ^[0-9]+$ && "$total_now" =~ ^[0-9]+$ &&
			"$LAST" =~ ^[0-9]+$ && "${TOTAL:-}" =~ ^[0-9]+$ ]]; then
			why="$why figures missing (done $done_now total $total_now noted $LAST of ${TOTAL:-?})"
		elif [ "$total_now" != "$TOTAL" ] || [ "$total_now" -le 0 ] ||
			[ "$done_now" -gt "$total_now" ] || [ "$LAST" -gt "$TOTAL" ]; then
			why="$why figures not sane: done $done_now of $total_now after re-add, $LAST of $TOTAL before the kill"
		else
			# negative: it advanced after the last note (the
			# commit came between the note and the kill)
			redo=$((LAST - done_now))
			echo "VSS-REDO $redo $limit"
			[ $redo -lt 0 ] && redo=0
			[ $redo -le $limit ] || why="$why redid $redo bytes (limit $limit)"
		fi
	elif [ -n "$st" ] && [ "$st" != done ]; then
		why="$why revert $st"
	fi
	if [ -n "$why" ]; then
		echo "VSS-VERIFY FAIL:$why"
		dmesg | grep -a 'vss' | tail -n 5
		exit 1
	fi
	echo "VSS-VERIFY ok: LUN reads as the target, snapshots intact, revert ${st:-gone} at ${done_now:-0} of ${total_now:-0}, redid $redo bytes (limit $limit)"
	if [ "$mode" = check ]; then
		if [ "$st" = running ]; then
			vssctl resync speed $LUN --max 512M >/dev/null && vssctl resync wait $LUN >/dev/null ||
				{ echo "VSS-FINAL FAIL: resync wait"; exit 1; }
		fi
		[ "$PHASE" = revert ] || [ "$st" = running ] ||
			{ echo "VSS-FINAL ok (cut before the revert started)"; exit 0; }
		if [ "$(sha_dev $LUN)" = "$TSHA" ] && [ "$(field state)" != failed ]; then
			echo "VSS-FINAL ok"
		else
			echo "VSS-FINAL FAIL: LUN differs from the target at the end"
			exit 1
		fi
		vssctl lun remove c >/dev/null
		exit 0
	fi
	[ "$st" = running ] || new_revert
fi

# the host kills QEMU from 1 to 6 s after VSS-RUNNING: printed once a
# first progress figure is noted (a loaded host boots and runs slowly)
first=1
while :; do
	read -r st d tot < <(fields)
	if [ "$st" = running ]; then
		notes_put "$T" "$TSHA" "$O" "$OSHA" "$d" revert "$tot"
		echo "RESYNC-DONE $d"
		[ $first = 1 ] && echo "VSS-RUNNING"
		first=0
	else
		new_revert
	fi
	sleep 0.1
done
