#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vssctl monitor: events arrive as they happen, one JSON object per line
# with -j (LUN added, snapshot created with its session, snapshot deleted,
# LUN removed), and in text; --count ends it; SIGTERM ends it cleanly.
. "$(dirname "$0")/lib.sh"

work=/tmp/cli_monitor
plan 8

load_vss || die "cannot load vss"
ramdisks 2 16
rm -rf $work && mkdir -p $work
mon=
cleanup() {
	[ -n "$mon" ] && kill "$mon" 2>/dev/null
	vssctl lun remove ev >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

# wait_lines FILE N: up to 10 s for FILE to have N lines
wait_lines() {
	local i
	for i in $(seq 100); do
		[ "$(wc -l < "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

vssctl -j monitor --count 4 >$work/json 2>$work/err &
mon=$!
vssctl monitor >$work/text 2>&1 &
mon_text=$!
sleep 1

vssctl lun add /dev/ram0 --store /dev/ram1 --name ev --format >/dev/null || die "lun add"
udev_settle /dev/vss-ev
vssctl -j snapshot create ev >$work/set 2>&1 || die "snapshot create: $(cat $work/set)"
snap=$(jq -r '.snapshots[0].id' $work/set)
sid=$(jq -r '.session_id' $work/set)
vssctl snapshot delete "$snap" || die "snapshot delete"
vssctl lun remove ev || die "lun remove"

wait_lines $work/json 4
for i in $(seq 50); do kill -0 $mon 2>/dev/null || break; sleep 0.1; done
if kill -0 $mon 2>/dev/null; then
	fail "monitor --count 4 exits after four events"
else
	wait $mon
	rc=$?
	[ $rc = 0 ] && ok "monitor --count 4 exits after four events" ||
		fail "monitor --count 4 exits after four events" "exit $rc: $(cat $work/err)"
fi
mon=

jqe -s 'length == 4 and ([.[].event] == ["lun-added", "snapshot-created",
	"snapshot-deleted", "lun-removed"])' $work/json >/dev/null &&
	ok "events in order, one JSON object per line" ||
	fail "events in order, one JSON object per line" "$(cat $work/json $work/err)"
sed -n 1p $work/json | jqe '.lun.name == "ev" and .lun.device == "/dev/vss-ev" and
	.lun.backing == "ram0" and .lun.store == "ram1" and (.lun.chunk_size | type) == "number"' >/dev/null &&
	ok "lun-added carries the LUN" || fail "lun-added carries the LUN" "$(sed -n 1p $work/json)"
sed -n 2p $work/json | jqe --arg id "$snap" --arg s "$sid" \
	'.snapshot.id == $id and .snapshot.lun == "ev" and .snapshot.session_id == $s and
	 .snapshot.state == "ready"' >/dev/null &&
	ok "snapshot-created carries the snapshot and its session" ||
	fail "snapshot-created carries the snapshot and its session" "$(sed -n 2p $work/json)"
sed -n 3p $work/json | jqe --arg id "$snap" '.snapshot.id == $id' >/dev/null &&
	ok "snapshot-deleted names the snapshot" ||
	fail "snapshot-deleted names the snapshot" "$(sed -n 3p $work/json)"
sed -n 4p $work/json | jqe '.lun.name == "ev" and .lun.device == "/dev/vss-ev"' >/dev/null &&
	ok "lun-removed names the LUN" || fail "lun-removed names the LUN" "$(sed -n 4p $work/json)"

wait_lines $work/text 4
grep -q '^lun-added ev: device /dev/vss-ev ' $work/text &&
	grep -q "^snapshot-created $snap " $work/text &&
	grep -q '^lun-removed ev: device /dev/vss-ev$' $work/text &&
	ok "text monitor" || fail "text monitor" "$(cat $work/text)"
kill -TERM $mon_text
wait $mon_text
rc=$?
[ $rc = 0 ] && ok "SIGTERM ends the monitor with exit 0" ||
	fail "SIGTERM ends the monitor with exit 0" "exit $rc"

finish
