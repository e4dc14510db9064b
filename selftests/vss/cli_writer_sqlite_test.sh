#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The SQLite example writer (examples/sqlite-writer) under load: an
# inserter commits transactions continuously into a database on ext4 on a
# protected LUN while 20 snapshot sets are taken (5 under VSS_QUICK;
# SQLITE_SETS overrides both).
#  - With the writer: every snapshot, copied out, passes PRAGMA
#    integrity_check, has no hot journal (no -journal to roll back, no
#    -wal), and holds exactly the row count the writer logged at its
#    Freeze.
#  - Without the writer (stopped; the file system is still frozen by the
#    set): every snapshot recovers to an intact database, and the number
#    that needed a journal rollback is measured and printed -- the value
#    the writer adds.
. "$(dirname "$0")/lib.sh"

# stop_pid PID SECS: SIGTERM, then its exit status once it ended (at most
# SECS seconds; 124 if it did not)
stop_pid() {
	local i
	kill -TERM "$1" 2>/dev/null
	for i in $(seq $(($2 * 10))); do
		_running "$1" || { wait "$1"; return $?; }
		sleep 0.1
	done
	return 124
}

work=/tmp/cli_writer_sqlite
sets=${SQLITE_SETS:-$([ -n "${VSS_QUICK:-}" ] && echo 5 || echo 20)}
db=/mnt/sq/app.db
plan 8

load_vss || die "cannot load vss"
command -v sqlite-writer >/dev/null || die "sqlite-writer is not built (examples/sqlite-writer)"
command -v sqlite3 >/dev/null || die "no sqlite3 in the VM (tools/vm/guest-files)"
ramdisks 2 512	# lazily allocated: only what is written costs memory
rm -rf $work && mkdir -p $work /mnt/sq
ipid= wpid=
cleanup() {
	[ -n "$ipid" ] && kill "$ipid" 2>/dev/null
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	wait 2>/dev/null
	umount /mnt/sq 2>/dev/null
	# the snapshots go with the ramdisks (no delete one by one)
	vssctl lun remove sq >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

vssctl lun add /dev/ram0 --store /dev/ram1 --name sq --format >/dev/null || die "lun add"
udev_settle /dev/vss-sq || die "no device"
mkfs.ext4 -q -F /dev/vss-sq && mount /dev/vss-sq /mnt/sq || die "mkfs/mount"

# niced: the load runs whenever the CPU is idle, the checks are not starved
nice -n 19 sqlite-writer insert --db $db --rows 10 --payload 100 >$work/insert.out 2>&1 &
ipid=$!
rows_now() { sqlite3 -cmd '.timeout 60000' $db 'SELECT count(*) FROM inserts' 2>/dev/null; }
for i in $(seq 100); do [ "$(rows_now)" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
[ "$(rows_now)" -gt 0 ] 2>/dev/null || die "the inserter does not insert: $(cat $work/insert.out)"

sqlite-writer run --db $db --lun sq --name sqlite >$work/writer.log 2>&1 &
wpid=$!
for i in $(seq 100); do grep -q 'registered writer' $work/writer.log && break; sleep 0.1; done
grep -q 'registered writer' $work/writer.log || die "the writer did not register: $(cat $work/writer.log)"

MAGIC=d9d505f920a163d7	# the header of a rollback journal that is live
# live_journal FILE: a rollback journal SQLite would roll back (hot): it
# exists, is not empty and its header is valid (not zeroed)
live_journal() {
	[ -s "$1" ] && [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = $MAGIC ]
}
# take_set I [--no-writers]: one snapshot set; the snapshot's database
# files copied out of it (debugfs reads the frozen ext4 image as it is, with
# no mount) to $work/copy; sets SID, CREATE_MS, HOT (1: a live journal),
# WAL (1: a -wal file).  The snapshots are deleted at the end.
take_set() {
	local i=$1 dev t0
	shift
	SID= HOT=0 WAL=0
	rm -rf $work/copy && mkdir -p $work/copy
	t0=$(date +%s%N)
	if ! vssctl -j snapshot create sq "$@" >$work/set.json 2>$work/err; then
		echo "# set $i: snapshot create failed: $(cat $work/err)"
		return 1
	fi
	CREATE_MS=$((($(date +%s%N) - t0) / 1000000))
	SID=$(jq -r .session_id $work/set.json)
	dev=$(jq -r '.snapshots[0].device' $work/set.json)
	printf 'dump /app.db %s/copy/app.db\ndump /app.db-journal %s/copy/app.db-journal\ndump /app.db-wal %s/copy/app.db-wal\n' \
		$work $work $work >$work/dump.cmd
	debugfs -f $work/dump.cmd "$dev" >$work/dump.out 2>&1
	[ -s $work/copy/app.db ] || { echo "# set $i: no app.db in $dev: $(tail -n 3 $work/dump.out)"; return 1; }
	live_journal $work/copy/app.db-journal && HOT=1
	[ -e $work/copy/app.db-wal ] && WAL=1
	return 0
}
# check_copy: PRAGMA integrity_check of the copy (any opener rolls a live
# journal back first) and its row count; sets IC, ROWS, GONE (1: no live
# journal is left)
check_copy() {
	local out
	out=$(sqlite3 $work/copy/app.db 'PRAGMA integrity_check; SELECT count(*) FROM inserts;' 2>&1)
	IC=$(echo "$out" | head -n -1 | paste -sd' ')
	ROWS=$(echo "$out" | tail -n 1)
	GONE=1
	live_journal $work/copy/app.db-journal && GONE=0
	return 0
}
pause() { sleep "0.$((RANDOM % 8 + 2))"; }	# 0.2 .. 0.9 s: the inserter goes on

# ---- with the writer -------------------------------------------------------
good=0 hot_w=0 bad= prev=-1 rising=1 taken=0
for i in $(seq $sets); do
	pause
	take_set $i || { bad="$bad set$i:create"; continue; }
	taken=$((taken + 1))
	frozen=$(grep "freeze session $SID: " $work/writer.log | sed -E 's/.*: ([0-9]+) rows in .*/\1/')
	check_copy
	hot_w=$((hot_w + HOT))
	echo "# set $i (writer): rows $ROWS, logged at Freeze ${frozen:-none}, live journal $HOT, wal $WAL, integrity $IC, create ${CREATE_MS} ms"
	if [ "$IC" = ok ] && [ $HOT = 0 ] && [ $WAL = 0 ] && [ -n "$frozen" ] && [ "$ROWS" = "$frozen" ]; then
		good=$((good + 1))
	else
		bad="$bad set$i"
	fi
	[ "$ROWS" -gt "$prev" ] 2>/dev/null || rising=0
	prev=$ROWS
done
[ $taken = $sets ] && ok "with the writer: $sets snapshot sets taken under load" ||
	fail "with the writer: $sets snapshot sets taken under load" "$taken taken:$bad"
[ $good = $sets ] && ok "with the writer: every snapshot intact, no live journal, rows == the count logged at Freeze" ||
	fail "with the writer: every snapshot intact, no live journal, rows == the count logged at Freeze" "$good of $sets:$bad"
[ $rising = 1 ] && ok "the inserter committed between every two sets (the row counts rise)" ||
	fail "the inserter committed between every two sets (the row counts rise)"
echo "# with the writer: $hot_w of $sets snapshots needed a journal rollback"
n_thaw=$(grep -c ': thaw session .*database unlocked, Freeze->Thaw window' $work/writer.log)
[ "$n_thaw" = $sets ] && ok "the writer was thawed after each of the $sets Freezes" ||
	fail "the writer was thawed after each of the $sets Freezes" "$n_thaw thaws: $(tail -n 5 $work/writer.log)"
grep -Eo 'Freeze->Thaw window [0-9.]+ ms' $work/writer.log | awk '{ print $3 }' | sort -n >$work/windows
echo "# Freeze->Thaw of the writer (ms): min $(head -n1 $work/windows) median $(sed -n "$(( ($(wc -l < $work/windows) + 1) / 2 ))p" $work/windows) max $(tail -n1 $work/windows)"

stop_pid $wpid 10
wpid=
[ "$(vssctl -j writer list | jq '[.[] | select(.name == "sqlite")] | length')" = 0 ] &&
	ok "the writer stopped and unregistered" || fail "the writer stopped and unregistered" "$(vssctl writer list)"

# ---- without the writer ---------------------------------------------------
good=0 hot=0 bad= taken=0
for i in $(seq $sets); do
	pause
	take_set $i || { bad="$bad set$i:create"; continue; }
	taken=$((taken + 1))
	check_copy
	hot=$((hot + HOT))
	echo "# set $i (no writer): live journal $HOT (rolled back: $([ $HOT = 1 ] && [ $GONE = 1 ] && echo yes || echo no)), rows after recovery $ROWS, integrity $IC, create ${CREATE_MS} ms"
	# a live journal must be rolled back by the open; the result intact
	if [ "$IC" = ok ] && [ $WAL = 0 ] && [ $GONE = 1 ] && [ "$ROWS" -ge 0 ] 2>/dev/null; then
		good=$((good + 1))
	else
		bad="$bad set$i"
	fi
done
[ $taken = $sets ] && ok "without the writer: $sets snapshot sets taken under load" ||
	fail "without the writer: $sets snapshot sets taken under load" "$taken taken:$bad"
[ $good = $sets ] && ok "without the writer: every snapshot recovers to an intact database" ||
	fail "without the writer: every snapshot recovers to an intact database" "$good of $sets:$bad"
echo "# without the writer: $hot of $sets snapshots needed a journal rollback"
echo "# sqlite-writer: with the writer $hot_w/$sets, without $hot/$sets snapshots needed a journal rollback"

stop_pid $ipid 30
rc=$?
ipid=
[ $rc = 0 ] && grep -q 'inserted [1-9][0-9]* rows' $work/insert.out &&
	ok "the inserter ran throughout: $(grep -o 'inserted.*' $work/insert.out)" ||
	fail "the inserter ran throughout" "exit $rc: $(cat $work/insert.out)"
finish
