#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Snapshot reads racing with copy-on-write and with delete-with-handover:
# readers verify the oldest snapshot in a loop while the LUN is written,
# new snapshots are taken and the snapshots in between are deleted (their
# chunks handed over to the oldest, others freed and reused); every pass of
# every reader must see exactly the oldest snapshot's point in time.
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_race
ROUNDS=${VSS_QUICK:+2}
ROUNDS=${ROUNDS:-10}
# random runs per stamp write (each up to 32 blocks): fewer under VSS_QUICK
RUNS=${VSS_QUICK:+50}
RUNS=${RUNS:-150}
plan 5

load_vss || die "cannot load vss"
# a 16 MiB LUN, 4 KiB chunks: many chunks change hands
test_devs "nbd loop" 16 64 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]}
rm -rf $work && mkdir -p $work
cleanup() {
	touch $work/stop
	for id in $(awk '{print $1}' $work/ids 2>/dev/null); do bounded 20 $ctl snap-del "$id" >/dev/null 2>&1; done
	bounded 20 $ctl lun-del er >/dev/null 2>&1
	bounded 10 unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT
check "lun add" $ctl lun-add er $D0 $D1 4096
udev_settle /dev/vss-er
if ! bounded 90 stamp fill /dev/vss-er $work/map 1 >/dev/null; then
	hang_evidence "stamp fill"
	wbt_off
	die "stamp fill of the LUN failed or hung"
fi
bounded 90 $ctl snap er >$work/snap.out 2>&1 || { hang_evidence "base snapshot"; wbt_off; die "snapshot: $(cat $work/snap.out)"; }
out=$(cat $work/snap.out)
echo "$out" | awk '{print $3}' >$work/base.id
base=/dev/$(echo "$out" | awk '{print $2}')
cp $work/map $work/map.base
udev_settle "$base"

reader() { # n: verify the base snapshot until told to stop
	local pass=0
	while ! [ -e $work/stop ]; do
		if ! stamp verify "$base" $work/map.base >$work/reader.$1.last 2>&1; then
			cp $work/reader.$1.last $work/reader.$1.fail
		fi
		pass=$((pass + 1))
	done
	echo $pass >$work/reader.$1.passes
}
reader 1 &
reader 2 &

# every step bounded: a hang (e.g. the engine sleeping in another
# driver's completion) fails with the blocked tasks' stacks, not forever
bad=""
hung=
step() { # WHAT CMD...: run CMD bounded; a hang is recorded with evidence
	local what=$1 rc
	shift
	bounded 90 "$@"
	rc=$?
	if [ $rc = 124 ]; then
		hung=$what
		hang_evidence "$what"
		wbt_off
	fi
	return $rc
}
: >$work/ids
for r in $(seq 1 $ROUNDS); do
	step "stamp write $r" stamp write /dev/vss-er $work/map $((2 * r)) $RUNS $r 0 4096 32 >/dev/null || bad="$bad w$r"
	[ -n "$hung" ] && break
	step "snapshot $r" $ctl snap er >$work/snap.out 2>&1 || { bad="$bad s$r"; [ -n "$hung" ] && break; continue; }
	out=$(cat $work/snap.out)
	echo "$(echo "$out" | awk '{print $3}') $r" >>$work/ids
	cp $work/map $work/map.$r
	step "stamp write $r'" stamp write /dev/vss-er $work/map $((2 * r + 1)) $RUNS $((r + 100)) 0 4096 32 >/dev/null || bad="$bad w$r"
	[ -n "$hung" ] && break
	# delete the previous intermediate one: its chunks go to its predecessor
	if [ "$(wc -l <$work/ids)" -ge 2 ]; then
		id=$(head -1 $work/ids | awk '{print $1}')
		step "delete in round $r" $ctl snap-del "$id" >/dev/null || bad="$bad d$r"
		[ -n "$hung" ] && break
		sed -i 1d $work/ids
	fi
done
touch $work/stop
end=$((SECONDS + 60))
while [ $SECONDS -lt $end ]; do
	[ -e $work/reader.1.passes ] && [ -e $work/reader.2.passes ] && break
	sleep 0.1
done
[ -e $work/reader.1.passes ] && [ -e $work/reader.2.passes ] || {
	[ -n "$hung" ] || { hung="readers"; hang_evidence "readers"; wbt_off; }
	bad="$bad readers-hung"
}
[ -n "$hung" ] && bad="$bad (hung: $hung)"
[ -z "$bad" ] && ok "$ROUNDS rounds of writes, snapshots and deletes" ||
	fail "$ROUNDS rounds of writes, snapshots and deletes" "$bad"
if ls $work/reader.*.fail >/dev/null 2>&1; then
	fail "readers always saw the base snapshot exactly" "$(cat $work/reader.*.fail | head -5)"
else
	ok "readers always saw the base snapshot exactly ($(cat $work/reader.1.passes) + $(cat $work/reader.2.passes) passes)"
fi
last=$(tail -1 $work/ids | awk '{print $2}')
dev=/dev/$($ctl snap-list er | awk -v id="$(tail -1 $work/ids | awk '{print $1}')" '$1 == id {print $3}')
check "the surviving newer snapshot is exact" bounded 90 stamp verify "$dev" $work/map.$last
check "LUN reads the latest data" bounded 90 stamp verify /dev/vss-er $work/map
finish
