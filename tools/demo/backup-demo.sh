#!/bin/bash
# The vss demo, run inside the test VM by tools/run-demo: three LUNs, an
# ext4 filesystem being written with an SQLite database under load and its
# writer (examples/sqlite-writer) taking part, one atomic snapshot set with
# the writers' statuses, the snapshots checked against what was written
# before it, changed extents listed.
# Every "expected" value printed here is computed from the data, never
# assumed; any mismatch ends the demo with a failure.
set -uo pipefail
export PATH=/opt/vss/bin:$PATH

bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'
[ "${VSS_DEMO_COLOR:-0}" = 1 ] || { bold= dim= off=; }
step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
say() { printf '%s%s%s\n' "$dim" "$*" "$off"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$off"; "$@"; }
failed=0
verdict() { # verdict TEXT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		printf '  %-52s OK   (%s)\n' "$1" "${3:0:16}"
	else
		printf '  %-52s FAIL (expected %s, got %s)\n' "$1" "${2:0:16}" "${3:0:16}"
		failed=1
	fi
}
sha() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -c1-64; }
die() { echo "demo: $*" >&2; exit 1; }

step "Load vss.ko and make six 64 MiB ramdisks (three LUNs, three stores)"
run modprobe vss || die "cannot load vss.ko"
run modprobe brd rd_nr=6 rd_size=65536 max_part=0
command -v vssctl >/dev/null || die "vssctl is not built"

step "Protect the LUNs: each gets a /dev/vss-NAME device and a store"
run vssctl lun add /dev/ram0 --store /dev/ram3 --name db || die "lun add failed"
run vssctl lun add /dev/ram1 --store /dev/ram4 --name logs --chunk-size 4K || die "lun add failed"
run vssctl lun add /dev/ram2 --store /dev/ram5 --name home || die "lun add failed"
run vssctl lun list

step "Write data: a database image, a log, and files on ext4"
run dd if=/dev/urandom of=/dev/vss-db bs=1M count=16 oflag=direct status=none
run dd if=/dev/urandom of=/dev/vss-logs bs=1M count=8 oflag=direct status=none
run mkfs.ext4 -q -F /dev/vss-home
mkdir -p /mnt/home /mnt/snap
run mount /dev/vss-home /mnt/home
for i in 1 2 3 4 5; do
	dd if=/dev/urandom of=/mnt/home/file$i bs=64K count=$((i * 4)) status=none
done
sync
before_db=$(sha /dev/vss-db)
before_logs=$(sha /dev/vss-logs)
(cd /mnt/home && sha256sum file*) > /tmp/files.before
say "checksums recorded: db ${before_db:0:16}..., logs ${before_logs:0:16}..., 5 files"

step "A process keeps appending to /mnt/home/journal while the set is taken"
touch /tmp/writing
( i=0; while [ -e /tmp/writing ]; do echo "entry $i" >> /mnt/home/journal; i=$((i + 1)); done ) &
writer=$!

step "An SQLite database on home, under load, with its writer taking part"
command -v sqlite-writer >/dev/null || die "sqlite-writer is not built (examples/sqlite-writer)"
say "sqlite-writer insert commits transactions continuously; sqlite-writer run is the"
say "writer: at Freeze it takes the database's write lock (BEGIN IMMEDIATE), so the"
say "snapshot holds the last commit and no half-written journal; at Thaw it lets go"
sqlite-writer insert --db /mnt/home/app.db >/tmp/insert.out 2>&1 &
inserter=$!
for i in $(seq 100); do [ -s /mnt/home/app.db ] && break; sleep 0.1; done
printf '%s$ %s%s\n' "$bold" "sqlite-writer run --db /mnt/home/app.db --lun home --name sqlite-app &" "$off"
sqlite-writer run --db /mnt/home/app.db --lun home --name sqlite-app >/tmp/sqlw.log 2>&1 &
sqlw=$!
for i in $(seq 100); do grep -q 'registered writer' /tmp/sqlw.log && break; sleep 0.1; done
grep -q 'registered writer' /tmp/sqlw.log || die "the SQLite writer did not register: $(cat /tmp/sqlw.log)"
run vssctl writer list
sleep 1

step "Take one snapshot set over all three LUNs (writers frozen, ext4 frozen, I/O held, one barrier)"
say "the output ends with the status of every writer that took part"
run vssctl snapshot create db logs home | tee /tmp/set.txt || die "snapshot create failed"
rm -f /tmp/writing
wait $writer
kill -TERM $sqlw $inserter
wait $sqlw $inserter
say "the writer's log of the set:"
sed 's/^/    /' /tmp/sqlw.log
run vssctl snapshot list
dev_of() { vssctl -j snapshot list | jq -r --arg l "$1" '[.[] | select(.lun == $l)] | last | .device'; }
id_of() { vssctl -j snapshot list | jq -r --arg l "$1" '[.[] | select(.lun == $l)] | last | .id'; }
snap_db=$(dev_of db) snap_logs=$(dev_of logs) snap_home=$(dev_of home)
[ -b "$snap_db" ] && [ -b "$snap_logs" ] && [ -b "$snap_home" ] || die "snapshot devices missing"

step "Production goes on: overwrite part of every LUN"
run dd if=/dev/urandom of=/dev/vss-db bs=64K count=10 seek=37 oflag=direct status=none
run dd if=/dev/urandom of=/dev/vss-logs bs=4K count=3 seek=1000 oflag=direct status=none
run dd if=/dev/urandom of=/mnt/home/file3 bs=64K count=12 conv=notrunc status=none
run rm /mnt/home/file5
sync

step "Back up from the snapshots: they hold the data as it was at the set"
verdict "db snapshot == db before the set" "$before_db" "$(sha "$snap_db")"
verdict "logs snapshot == logs before the set" "$before_logs" "$(sha "$snap_logs")"
changed=$(sha /dev/vss-db)
if [ "$changed" != "$before_db" ]; then verdict "live db has moved on" yes yes; else verdict "live db has moved on" yes no; fi
run mount -o ro,noload "$snap_home" /mnt/snap
verdict "files in the home snapshot == files before" "$(sha256sum < /tmp/files.before)" \
	"$( (cd /mnt/snap && sha256sum file1 file2 file3 file4 file5) | sha256sum)"
say "journal in the snapshot: $(wc -l < /mnt/snap/journal) entries (a consistent prefix of the live one: $(wc -l < /mnt/home/journal))"
verdict "snapshot journal is a prefix of the live one" 0 \
	"$(cmp -s /mnt/snap/journal <(head -c "$(stat -c %s /mnt/snap/journal)" /mnt/home/journal); echo $?)"
frozen=$(sed -n 's/.*: freeze session .*: \([0-9]*\) rows in .*/\1/p' /tmp/sqlw.log | tail -n 1)
mkdir -p /tmp/dbcopy && cp /mnt/snap/app.db* /tmp/dbcopy/
say "files of the database in the snapshot: $(cd /tmp/dbcopy && echo app.db*)"
verdict "no journal to roll back in the database snapshot" 0 \
	"$(ls /tmp/dbcopy/app.db-journal /tmp/dbcopy/app.db-wal 2>/dev/null | wc -l)"
verdict "PRAGMA integrity_check of the database snapshot" ok \
	"$(sqlite3 /tmp/dbcopy/app.db 'PRAGMA integrity_check' 2>&1 | paste -sd' ')"
verdict "rows in the snapshot == rows the writer saw at Freeze" "$frozen" \
	"$(sqlite3 /tmp/dbcopy/app.db 'SELECT count(*) FROM inserts' 2>&1)"
say "live database meanwhile: $(sqlite3 /mnt/home/app.db 'SELECT count(*) FROM inserts') rows"
umount /mnt/snap
run e2fsck -fn "$snap_home" > /tmp/fsck.out 2>&1
verdict "e2fsck -fn on the home snapshot" 0 "$?"

step "Changed-block tracking: what an incremental backup would copy"
run vssctl snapshot changes "$(id_of db)"
run vssctl snapshot changes "$(id_of logs)"

step "Store usage"
run vssctl lun list

step "Clean up"
umount /mnt/home
run vssctl snapshot delete --set "$(vssctl -j snapshot list | jq -r '.[0].set_id')"
for l in db logs home; do run vssctl lun remove $l; done
run rmmod vss

if [ $failed = 0 ]; then
	printf '\n%sdemo: every check passed%s\n' "$bold" "$off"
else
	printf '\n%sdemo: some checks FAILED%s\n' "$bold" "$off"
fi
exit $failed
