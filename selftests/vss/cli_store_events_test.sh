#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vssctl with a store too small for the writes: every write to the LUN
# succeeds (stamped blocks verified), "vssctl monitor" reports store-low,
# store-full and the snapshots dropped to make room, and "lun show" /
# "snapshot list" agree with what the events said.
. "$(dirname "$0")/lib.sh"

work=/tmp/cli_store_events
plan 6

load_vss || die "cannot load vss"
ramdisks 2 64
rm -rf $work && mkdir -p $work
mon=
cleanup() {
	[ -n "$mon" ] && kill "$mon" 2>/dev/null
	delete_all_snapshots
	vssctl lun remove ov >/dev/null 2>&1
	dmsetup remove cse_store >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

# an 8 MiB store for a 64 MiB LUN
modprobe dm-mod || die "modprobe dm-mod"
dmsetup create --noudevsync cse_store --table "0 16384 linear /dev/ram1 0" &&
	dmsetup mknodes >/dev/null 2>&1 || die "dmsetup"
udev_settle /dev/mapper/cse_store || die "no store device"
vssctl lun add /dev/ram0 --store /dev/mapper/cse_store --name ov --chunk-size 4K --format \
	>/dev/null || die "lun add"
udev_settle /dev/vss-ov || die "no LUN device"
stamp fill /dev/vss-ov $work/map 1 >/dev/null || die "stamp fill"
vssctl -j snapshot create ov >$work/s1 && vssctl -j snapshot create ov >$work/s2 ||
	die "snapshot create"
s1=$(jq -r '.snapshots[0].id' $work/s1)
s2=$(jq -r '.snapshots[0].id' $work/s2)

vssctl -j monitor >$work/events 2>$work/mon.err &
mon=$!
sleep 1

# rewrite the whole LUN twice: far more than the store holds
stamp fill /dev/vss-ov $work/map 2 >/dev/null && stamp fill /dev/vss-ov $work/map 3 >/dev/null &&
	stamp verify /dev/vss-ov $work/map >/dev/null
[ $? = 0 ] && ok "every write to the LUN succeeds while the store overflows" ||
	fail "every write to the LUN succeeds while the store overflows"

sleep 1
kill $mon
wait $mon 2>/dev/null
mon=
jq -r .event $work/events | sort | uniq -c | sed 's/^/# /'

jqe -s 'any(.[]; .event == "store-low" and .lun.name == "ov" and
	.lun.store_used > 0 and .lun.store_size > 0)' $work/events &&
	ok "store-low event with the LUN's usage" ||
	fail "store-low event with the LUN's usage" "$(head -c 400 $work/events)"
jqe -s 'any(.[]; .event == "store-full" and .lun.name == "ov")' $work/events &&
	ok "store-full event" || fail "store-full event" "$(head -c 400 $work/events)"
jqe -s --arg a "$s1" '[.[] | select(.event == "snapshot-deleted" or
	.event == "snapshot-invalidated") | .snapshot.id] | index($a) != null' $work/events &&
	ok "the oldest snapshot is reported dropped" ||
	fail "the oldest snapshot is reported dropped" "$(grep snapshot- $work/events | head -c 400)"

# what the events said is what the queries say, for both snapshots: a
# deleted one is not listed, an invalidated one is listed "invalid", one
# the events never mention is listed "ready"
vssctl -j snapshot list --lun ov >$work/list 2>$work/list.err && jqe 'type == "array"' $work/list ||
	die "snapshot list: $(cat $work/list.err)"
agree=1
for id in "$s1" "$s2"; do
	if jqe -s --arg id "$id" 'any(.[]; .event == "snapshot-deleted" and .snapshot.id == $id)' $work/events; then
		want=absent
	elif jqe -s --arg id "$id" 'any(.[]; .event == "snapshot-invalidated" and .snapshot.id == $id)' $work/events; then
		want=invalid
	else
		want=ready
	fi
	got=$(jq -r --arg id "$id" '[.[] | select(.id == $id) | .state] | if length == 0 then "absent" else join(",") end' $work/list)
	echo "# snapshot $id: events say $want, snapshot list says $got"
	[ "$got" = "$want" ] || agree=0
done
[ $agree = 1 ] && ok "snapshot list agrees with the events for both snapshots" ||
	fail "snapshot list agrees with the events for both snapshots" "$(cat $work/list)"
vssctl -j lun show ov >$work/lun
jqe --argjson n "$(jq length $work/list)" '.snapshots == $n and .store_used <= .store_size' $work/lun &&
	ok "lun show agrees (snapshot count, usage within the store)" ||
	fail "lun show agrees (snapshot count, usage within the store)" "$(cat $work/lun)"

finish
