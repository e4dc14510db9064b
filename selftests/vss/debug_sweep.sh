#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fault-injection sweeps over the engine's paths, for the debug kernel
# (make check-debug; CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC,
# CONFIG_FAIL_MAKE_REQUEST, debugfs).  Not a *_test: it cannot run on
# Debian's kernels, and a test that cannot run fails.
#
# failslab (sleeping allocations included) and fail_page_alloc hit the
# operation's own task: libvss_failon.so (LD_PRELOAD) arms
# /proc/thread-self/fail-nth once the program is loaded, so that the N-th
# fault site it reaches fails (N spread over 2..300 across the rounds):
# its netlink requests (the engine's doit handlers run in the sender's
# task) and its I/O submissions (the engine's submit path), not its exec.  fail_make_request hits every bio
# sent to the store or the LUN's backing device (make-it-fail on the
# disk), whoever sends it: the vss workqueues' copies, commits and resync
# copies, with a probability cycling over 2..50 %.  Operations,
# DEBUG_SWEEP_ROUNDS rounds each (10):
#   lun_add        lun add with a store (re-add of a formatted store)
#   snapshot       snapshot create on one LUN
#   set            snapshot create of a set over two LUNs
#   cow            a burst of stamped writes that copy chunks (failslab)
#   store_commit   COW writes and a snapshot create while store bios fail
#   resync         recover (failslab on its start) while the LUN's
#                  backing device fails bios; restarted with faults off
# After every round, with the faults off: the operation succeeded or
# failed with a message (never silently), the origin LUN reads exactly
# its stamps, every snapshot is exact or invalid, a failed LUN add can be
# repeated, a resync can be completed (byte-equal).  The guest kernel log
# must stay free of warnings (tools/vm/run).  Prints per operation
# "sweep: OP ROUNDS SUCCEEDED FAILED_CLEANLY BAD", and each round's time.
#
#   debug_sweep.sh [OP...]   (or DEBUG_SWEEP_OPS="OP..."; default: all)
. "$(dirname "$0")/lib.sh"

rounds=${DEBUG_SWEEP_ROUNDS:-10}
work=/tmp/debug_sweep
dbg=/sys/kernel/debug
all_ops=(lun_add snapshot set cow store_commit resync)
# the operations: the arguments, else DEBUG_SWEEP_OPS (run_selftests.sh
# passes no arguments), else all
read -r -a ops <<<"${*:-${DEBUG_SWEEP_OPS:-${all_ops[*]}}}"
for op in "${ops[@]}"; do
	[[ " ${all_ops[*]} " = *" $op "* ]] || die "no sweep $op (${all_ops[*]})"
done
plan $((${#ops[@]} + 2))
grep -q " $dbg debugfs " /proc/mounts || mount -t debugfs none $dbg
for a in failslab fail_page_alloc fail_make_request; do
	[ -d $dbg/$a ] || die "no $dbg/$a: not the debug kernel (tools/debug-kernel)"
done
pre=/opt/vss/selftests/libvss_failon.so
[ -e $pre ] || die "no $pre"
load_vss || die "cannot load vss"
ramdisks 4 8 || die "ramdisks"
rm -rf $work && mkdir -p $work
cleanup() {
	faults_off
	delete_all_snapshots
	vssctl resync cancel /dev/vss-sa >/dev/null 2>&1
	vssctl lun remove sa >/dev/null 2>&1
	vssctl lun remove sb >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

# ---- fault control ----
fa() { echo "$3" > $dbg/$1/$2 || die "cannot set $1/$2"; }
faults_off() {
	local a d
	for a in failslab fail_page_alloc fail_make_request; do
		echo 0 > $dbg/$a/probability 2>/dev/null
	done
	for d in ram0 ram1 ram2 ram3; do echo 0 > /sys/block/$d/make-it-fail 2>/dev/null; done
}
for a in failslab fail_page_alloc fail_make_request; do
	fa $a probability 0
	fa $a interval 1
	fa $a times -1
	fa $a space 0
	fa $a verbose 0
done
fa failslab task-filter Y
fa failslab ignore-gfp-wait N
# page allocations keep their defaults (sleeping and order-0 ones are not
# failed): otherwise the program's own page faults (page tables) take most
# of the fail-nth sites, and are retried anyway
fa fail_page_alloc task-filter Y
fa fail_make_request task-filter N
# task_alloc N: the N-th fault site (slab or page allocation, bio to a
# make-it-fail disk) that the next "failing" command reaches after it is
# loaded fails, once (/proc/thread-self/fail-nth; the sites of the
# operation's task only, whatever the probabilities)
nth=0
task_alloc() { nth=$1; }
# bio_fail DISK P: bios to DISK fail with P %, whoever sends them
bio_fail() { echo 1 > /sys/block/$1/make-it-fail && fa fail_make_request probability "$2"; }
# failing CMD...: CMD with make-it-fail and fail-nth set once it is loaded
failing() { VSS_FAIL_NTH=$nth LD_PRELOAD=$pre "$@"; }
# the fault site of round R of $rounds: spread over the first few hundred
# sites whatever the number of rounds (6 rounds: 2 9 28 50 110 180)
site() {
	local n=(2 5 9 14 20 28 38 50 65 85 110 140 180 230 300)
	echo ${n[$(( (($1 - 1) * 15 / rounds) % 15 ))]}
}
prob() { local p=(2 5 10 20 50); echo ${p[$(($1 % 5))]}; }

# ---- state: two LUNs of stamped blocks; snapshots with their maps ----
A=/dev/vss-sa B=/dev/vss-sb
gen=1
add() { vssctl lun add /dev/ram$2 --store /dev/ram$3 --name "$1" "${@:4}" >/dev/null 2>$work/adderr && udev_settle /dev/vss-$1; }
add sa 0 1 --chunk-size 16K --format && add sb 2 3 --chunk-size 16K --format || die "lun add"
stamp fill $A $work/map.sa $gen >/dev/null && stamp fill $B $work/map.sb $gen >/dev/null || die "stamp fill"
# snapshots: "ID LUN DEV MAP" lines in $work/snaps
: > $work/snaps
record_set() { # JSON of snapshot create in $1
	local i n id lun dev
	n=$(jq '.snapshots | length' "$1")
	for i in $(seq 0 $((n - 1))); do
		id=$(jq -r ".snapshots[$i].id" "$1")
		dev=$(jq -r ".snapshots[$i].device" "$1")
		lun=$(jq -r ".snapshots[$i].lun" "$1")
		lun=${lun#/dev/vss-}
		cp $work/map.$lun $work/map.$id
		echo "$id $lun $dev $work/map.$id" >> $work/snaps
	done
}
bad_why=
# verify_all: the LUNs read their stamps; every snapshot exact or invalid
verify_all() {
	local id lun dev map st
	bad_why=
	for lun in sa sb; do
		stamp verify /dev/vss-$lun $work/map.$lun > $work/v 2>&1 ||
			{ bad_why="origin $lun: $(tail -n 2 $work/v)"; return 1; }
	done
	# the states in one listing (each vssctl and jq is an exec under KASAN)
	vssctl -j snapshot list 2>/dev/null | jq -r '.[] | "\(.id) \(.state)"' >$work/states
	while read -r id lun dev map; do
		st=$(awk -v i="$id" '$1 == i { print $2 }' $work/states)
		case "$st" in
		invalid) ;;
		ready|created|"")
			[ -z "$st" ] && { bad_why="snapshot $id vanished"; return 1; }
			stamp verify "$dev" "$map" > $work/v 2>&1 ||
				{ bad_why="snapshot $id ($st) reads wrong: $(tail -n 2 $work/v)"; return 1; } ;;
		*) bad_why="snapshot $id in state $st"; return 1 ;;
		esac
	done < $work/snaps
}
# trim_snaps: keep at most 4 snapshots (oldest deleted, faults off)
trim_snaps() {
	local id
	while [ "$(wc -l < $work/snaps)" -gt 4 ]; do
		id=$(head -n 1 $work/snaps | cut -d' ' -f1)
		vssctl snapshot delete "$id" >/dev/null 2>&1
		sed -i 1d $work/snaps
	done
}
# cow_writes LUN P_ON_CMD: 8 runs of stamped writes; under "failing" when
# asked; a failed run is written again with the faults off (same
# generation and seed: the same blocks and content), so the map holds
declare -A res
count() { res[$1.$2]=$((${res[$1.$2]:-0} + 1)); }
cow_writes() {
	local lun=$1 how=$2 i rc=0
	gen=$((gen + 1))
	for i in 1 2 3 4; do
		if [ "$how" = failing ]; then
			failing stamp write /dev/vss-$lun $work/map.$lun $gen 2 $((gen * 10 + i)) > /dev/null 2>&1 || rc=1
		else
			stamp write /dev/vss-$lun $work/map.$lun $gen 2 $((gen * 10 + i)) > /dev/null 2>&1 || rc=1
		fi
		if [ $rc = 1 ]; then
			faults_off
			stamp write /dev/vss-$lun $work/map.$lun $gen 2 $((gen * 10 + i)) > /dev/null 2>&1 ||
				return 2
			return 1
		fi
	done
	return 0
}
# outcome OP RC ERRFILE: count the round; a failure needs a message
outcome() {
	if [ "$2" = 0 ]; then
		count "$1" ok
	elif [ -s "$3" ]; then
		count "$1" failed
		echo "# $1: fault site $nth: exit $2: $(head -n 1 "$3" | cut -c1-160)"
	else
		count "$1" bad
		echo "# $1: failed without a message (exit $2)"
	fi
}
# after OP: faults off, then the invariants
# (and the round's time: the operation's and the checks')
round_t=$SECONDS
after() {
	local t=$SECONDS
	faults_off
	if ! verify_all; then
		count "$1" bad
		echo "# $1: $bad_why"
	fi
	echo "# $1: round in $((SECONDS - round_t)) s, $((SECONDS - t)) s of it checking"
	round_t=$SECONDS
}
report() { # report OP: TAP line and sweep line
	local o=${res[$1.ok]:-0} f=${res[$1.failed]:-0} b=${res[$1.bad]:-0}
	echo "# sweep: $1 $rounds $o $f $b"
	# on the console at once too (run_selftests.sh prints a program's
	# output only when it ends; a run cut short still shows these)
	echo "vss-debug-sweep: $1 $rounds $o $f $b" > /dev/kmsg 2>/dev/null
	if [ $b = 0 ] && [ $((o + f)) -ge "$rounds" ] && [ $f -gt 0 ]; then
		ok "$1: $rounds rounds, $o succeeded, $f failed cleanly (errors reported), data intact"
	elif [ $b = 0 ] && [ $((o + f)) -ge "$rounds" ]; then
		# nothing failed: the sweep did not reach the engine
		fail "$1: no round failed: no fault was injected where it matters" "$o succeeded"
	else
		fail "$1: $b bad rounds of $rounds" "$o succeeded, $f failed cleanly"
	fi
}

# ---- lun_add ----
sweep_lun_add() {
	for r in $(seq $rounds); do
		vssctl lun remove sa >/dev/null 2>&1
		task_alloc "$(site $r)"
		failing vssctl lun add /dev/ram0 --store /dev/ram1 --name sa > /dev/null 2>$work/err
		rc=$?
		faults_off
		outcome lun_add $rc $work/err
		if [ $rc != 0 ]; then
			vssctl lun remove sa >/dev/null 2>&1
			add sa 0 1 || { count lun_add bad; echo "# lun_add: add after a failed add: $(cat $work/adderr)"; }
		fi
		udev_settle $A
		after lun_add
	done
	report lun_add
}

# ---- snapshot ----
sweep_snapshot() {
	for r in $(seq $rounds); do
		task_alloc "$(site $r)"
		failing vssctl -j snapshot create sa > $work/set 2>$work/err
		rc=$?
		faults_off
		outcome snapshot $rc $work/err
		[ $rc = 0 ] && record_set $work/set
		cow_writes sa plain
		after snapshot
		trim_snaps
	done
	report snapshot
}

# ---- set ----
sweep_set() {
	for r in $(seq $rounds); do
		task_alloc "$(site $r)"
		failing vssctl -j snapshot create sa sb > $work/set 2>$work/err
		rc=$?
		faults_off
		outcome set $rc $work/err
		[ $rc = 0 ] && record_set $work/set
		cow_writes sa plain; cow_writes sb plain
		after set
		trim_snaps
	done
	report set
}

# ---- cow ----
sweep_cow() {
	for r in $(seq $rounds); do
		vssctl -j snapshot create sa > $work/set 2>/dev/null && record_set $work/set
		task_alloc "$(site $r)"
		cow_writes sa failing
		rc=$?
		faults_off
		[ $rc = 2 ] && { count cow bad; echo "# cow: writes fail with the faults off"; }
		# a write that failed under the faults is an error reported to it
		[ $rc != 2 ] && { [ $rc = 0 ] && count cow ok || count cow failed; }
		after cow
		trim_snaps
	done
	report cow
}

# ---- store_commit ----
sweep_store_commit() {
	for r in $(seq $rounds); do
		bio_fail ram1 "$(prob $r)"
		cow_writes sa plain
		rc=$?
		vssctl -j snapshot create sa > $work/set 2>$work/err && record_set $work/set
		cow_writes sa plain
		rc=$((rc | $?))
		faults_off
		# origin writes must never fail for a store's sake
		if [ $rc != 0 ]; then
			count store_commit bad; echo "# store_commit: an origin write failed while only the store failed"
		fi
		# a failed metadata write leaves the store read-only until a re-add
		vssctl lun remove sa >/dev/null 2>&1
		if add sa 0 1; then
			if grep -q . $work/adderr; then :; fi
			inv=$(vssctl -j snapshot list | jq '[.[] | select(.state == "invalid")] | length')
			[ "${inv:-0}" -gt 0 ] && count store_commit failed || count store_commit ok
		else
			count store_commit bad; echo "# store_commit: re-add refused: $(cat $work/adderr)"
		fi
		after store_commit
		# invalid snapshots are of no further use
		for id in $(vssctl -j snapshot list | jq -r '.[] | select(.state == "invalid") | .id'); do
			vssctl snapshot delete "$id" >/dev/null 2>&1
			sed -i "/^$id /d" $work/snaps
		done
		trim_snaps
	done
	report store_commit
}

# ---- resync ----
sweep_resync() {
	resync_state() { vssctl -j resync list | jq -r --arg d "$A" '[.[] | select(.destination == $d)] | last | .state // empty'; }
	for r in $(seq $rounds); do
		delete_all_snapshots; : > $work/snaps
		vssctl -j snapshot create sa > $work/set 2>$work/err || { count resync bad; echo "# resync: snapshot: $(cat $work/err)"; continue; }
		record_set $work/set
		T=$(head -n 1 $work/snaps | cut -d' ' -f1)
		cow_writes sa plain; cow_writes sa plain
		task_alloc "$(site $r)"
		bio_fail ram0 "$(prob $((r + 2)))"
		failing vssctl recover --speed-max 4M "$T" > /dev/null 2>$work/err
		rc=$?
		sleep 1
		faults_off
		st=$(resync_state)
		if [ $rc != 0 ] && [ ! -s $work/err ]; then
			count resync bad; echo "# resync: recover failed without a message"
		elif [ $rc != 0 ] || [ "$st" = failed ]; then
			count resync failed
		else
			count resync ok
		fi
		if vssctl recover --wait "$T" > /dev/null 2>$work/err && [ "$(resync_state)" = done ]; then
			cp $work/map.$T $work/map.sa
		else
			count resync bad; echo "# resync: restart does not complete: $(cat $work/err) $(resync_state)"
		fi
		after resync
	done
	report resync
}

for op in "${ops[@]}"; do
	t=$SECONDS round_t=$SECONDS
	"sweep_$op"
	echo "# $op: $rounds rounds in $((SECONDS - t)) s"
done
faults_off
vssctl lun remove sa >/dev/null 2>&1 && vssctl lun remove sb >/dev/null 2>&1 &&
	ok "both LUNs removed after the sweeps" || fail "both LUNs removed after the sweeps"
unload_vss && ok "vss unloads" || fail "vss unloads" "$(lsmod | grep vss)"
finish
