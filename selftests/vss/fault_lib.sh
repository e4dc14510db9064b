# SPDX-License-Identifier: GPL-2.0
# Sourced (after lib.sh) by the fault tests that stamp one LUN, snapshot
# it with engine_ctl and check every snapshot against the stamp map it was
# taken from.  The test sets FL_LUN (the LUN's name) and $work (its maps:
# $work/map, the current one; $work/map.s<seq>, each snapshot's).
ctl=engine_ctl

# snap: a snapshot of $FL_LUN, the current map saved as map.s<seq>; prints
# its seq
snap() {
	local out id seq
	out=$($ctl snap "$FL_LUN") || return 1
	id=$(echo "$out" | awk '{print $3}')
	seq=$($ctl snap-list "$FL_LUN" | awk -v id="$id" '$1 == id {print $4}')
	[ -n "$seq" ] || return 1
	cp $work/map $work/map.s$seq
	echo "$seq"
}

# snaps_ok: every snapshot invalid or exact ("bad" lists the others).  One
# whose invalidation the kernel said it could not record (in
# $work/dmesg.round) is counted in "untrusted", not as bad.
snaps_ok() {
	local id dev seq st
	bad=
	while read -r id _ dev seq st _; do
		[ "$st" = $SNAP_INVALID ] && continue
		if [ "$st" = $SNAP_READY ] && udev_settle /dev/$dev && stamp verify /dev/$dev $work/map.s$seq >/dev/null 2>&1; then
			continue
		fi
		if grep -q "$FL_LUN: snapshot s$seq: invalidate record failed" $work/dmesg.round; then
			untrusted=$((untrusted + 1))
			echo "# s$seq: its invalidation could not be recorded (the kernel said so); not exact after the re-add"
			continue
		fi
		bad="$bad s$seq(state $st)"
	done < <($ctl snap-list "$FL_LUN")
	[ -z "$bad" ]
}

# wait_for PID SECS: its status, or 124 if it runs longer (left running)
wait_for() {
	local end=$((SECONDS + $2))
	while _running "$1"; do
		[ $SECONDS -ge $end ] && return 124
		sleep 0.2
	done
	wait "$1"
}

# del_all: delete every snapshot of $FL_LUN
del_all() {
	local id
	for id in $($ctl snap-list "$FL_LUN" | awk '{print $1}'); do
		$ctl snap-del "$id" >/dev/null
	done
}
