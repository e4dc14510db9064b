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
ROUNDS=${VSS_QUICK:+4}
ROUNDS=${ROUNDS:-10}
plan 5

load_vss || die "cannot load vss"
ramdisks 2 64
rm -rf $work && mkdir -p $work
cleanup() {
	touch $work/stop
	wait 2>/dev/null
	for id in $(awk '{print $1}' $work/ids 2>/dev/null); do $ctl snap-del "$id" >/dev/null 2>&1; done
	$ctl lun-del er >/dev/null 2>&1
	dmsetup remove er_lun >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT
# a 16 MiB LUN, 4 KiB chunks: many chunks change hands
modprobe dm-mod || die "modprobe dm-mod"
dmsetup create --noudevsync er_lun --table "0 32768 linear /dev/ram0 0" &&
	dmsetup mknodes >/dev/null 2>&1 || die "dmsetup"
check "lun add" $ctl lun-add er /dev/mapper/er_lun /dev/ram1 4096
udev_settle /dev/vss-er
stamp fill /dev/vss-er $work/map 1 >/dev/null || die "fill"
out=$($ctl snap er) || die "snapshot: $out"
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

bad=""
: >$work/ids
for r in $(seq 1 $ROUNDS); do
	stamp write /dev/vss-er $work/map $((2 * r)) 150 $r 0 4096 32 >/dev/null || bad="$bad w$r"
	out=$($ctl snap er) || { bad="$bad s$r"; continue; }
	echo "$(echo "$out" | awk '{print $3}') $r" >>$work/ids
	cp $work/map $work/map.$r
	stamp write /dev/vss-er $work/map $((2 * r + 1)) 150 $((r + 100)) 0 4096 32 >/dev/null || bad="$bad w$r"
	# delete the previous intermediate one: its chunks go to its predecessor
	if [ "$(wc -l <$work/ids)" -ge 2 ]; then
		id=$(head -1 $work/ids | awk '{print $1}')
		$ctl snap-del "$id" >/dev/null || bad="$bad d$r"
		sed -i 1d $work/ids
	fi
done
touch $work/stop
wait
[ -z "$bad" ] && ok "$ROUNDS rounds of writes, snapshots and deletes" ||
	fail "$ROUNDS rounds of writes, snapshots and deletes" "$bad"
if ls $work/reader.*.fail >/dev/null 2>&1; then
	fail "readers always saw the base snapshot exactly" "$(cat $work/reader.*.fail | head -5)"
else
	ok "readers always saw the base snapshot exactly ($(cat $work/reader.1.passes) + $(cat $work/reader.2.passes) passes)"
fi
last=$(tail -1 $work/ids | awk '{print $2}')
dev=/dev/$($ctl snap-list er | awk -v id="$(tail -1 $work/ids | awk '{print $1}')" '$1 == id {print $3}')
check "the surviving newer snapshot is exact" stamp verify "$dev" $work/map.$last
check "LUN reads the latest data" stamp verify /dev/vss-er $work/map
finish
