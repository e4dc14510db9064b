#!/bin/bash
# The restore half of the vss demo, run inside the test VM by tools/run-demo
# after tools/demo/backup-demo.sh: the three LUNs get a snapshot set (the
# backup), their data is damaged, and they are reverted to the set online
# with `vssctl recover` (the devices read as the snapshots at once, only
# the changed chunks are copied back, with a progress bar); the content is
# then checked against the snapshots.  Every "expected" value is computed
# from the data, never assumed; any mismatch ends the demo with a failure.
set -uo pipefail
export PATH=/opt/vss/bin:$PATH

bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'
[ "${VSS_DEMO_COLOR:-0}" = 1 ] || { bold= dim= off=; }
step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
say() { printf '%s%s%s\n' "$dim" "$*" "$off"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$off"; "$@"; }
# run_to FILE CMD...: as run, the command's standard output into FILE
run_to() { local f=$1; shift; printf '%s$ %s > %s%s\n' "$bold" "$*" "$f" "$off"; "$@" > "$f"; }
failed=0
verdict() { # verdict TEXT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		printf '  %-56s OK   (%s)\n' "$1" "${3:0:16}"
	else
		printf '  %-56s FAIL (expected %s, got %s)\n' "$1" "${2:0:16}" "${3:0:16}"
		failed=1
	fi
}
sha() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -c1-64; }
die() { echo "demo: $*" >&2; exit 1; }
LUNS="db logs home"

step "Restore: the LUNs of the backup (added again if the backup half removed them)"
lsmod | grep -q '^vss ' || run modprobe vss || die "cannot load vss.ko"
lsmod | grep -q '^brd ' || run modprobe brd rd_nr=6 rd_size=65536 max_part=0
i=0
for l in $LUNS; do
	if ! vssctl lun show $l >/dev/null 2>&1; then
		# the store holds a vss store: it is attached with its snapshots
		run vssctl lun add /dev/ram$i --store /dev/ram$((i + 3)) --name $l >/dev/null ||
			die "lun add $l failed"
	fi
	i=$((i + 1))
done
for l in $LUNS; do
	for n in $(seq 50); do [ -b /dev/vss-$l ] && break; sleep 0.1; done
done
if ! blkid -p -s TYPE -o value /dev/vss-home 2>/dev/null | grep -qx ext4; then
	# run alone: give the LUNs data of their own
	run dd if=/dev/urandom of=/dev/vss-db bs=1M count=16 oflag=direct status=none
	run dd if=/dev/urandom of=/dev/vss-logs bs=1M count=8 oflag=direct status=none
	run mkfs.ext4 -q -F /dev/vss-home
	mkdir -p /mnt/home && mount /dev/vss-home /mnt/home || die "mount failed"
	for i in 1 2 3 4 5; do
		dd if=/dev/urandom of=/mnt/home/file$i bs=64K count=$((i * 4)) status=none
	done
	umount /mnt/home
fi
run vssctl lun list

step "Tonight's backup: one snapshot set over the three LUNs"
mkdir -p /mnt/home /mnt/snap
run mount /dev/vss-home /mnt/home || die "mount failed"
run_to /tmp/restore-set.json vssctl -j snapshot create $LUNS || die "snapshot create failed"
jq -r '.snapshots[] | "  \(.lun): snapshot \(.id) on \(.device)"' /tmp/restore-set.json
snap_id() { jq -r --arg l "$1" '.snapshots[] | select(.lun == $l) | .id' /tmp/restore-set.json; }
snap_dev() { jq -r --arg l "$1" '.snapshots[] | select(.lun == $l) | .device' /tmp/restore-set.json; }
for l in $LUNS; do
	for n in $(seq 50); do [ -b "$(snap_dev $l)" ] && break; sleep 0.1; done
done
# what the restore must bring back, read from the snapshots themselves
want_db=$(sha "$(snap_dev db)") want_logs=$(sha "$(snap_dev logs)") want_home=$(sha "$(snap_dev home)")
run mount -o ro,noload "$(snap_dev home)" /mnt/snap || die "mount of the home snapshot failed"
(cd /mnt/snap && find . -type f | sort | xargs sha256sum) > /tmp/restore.files
umount /mnt/snap
say "expected: db ${want_db:0:16}..., logs ${want_logs:0:16}..., home: $(wc -l < /tmp/restore.files) files"

step "Disaster: a bad deploy overwrites the database, truncates the log, deletes files"
run dd if=/dev/urandom of=/dev/vss-db bs=64K count=64 seek=20 oflag=direct status=none
run dd if=/dev/zero of=/dev/vss-logs bs=1M count=2 oflag=direct status=none
run rm -f /mnt/home/file2 /mnt/home/file4
run dd if=/dev/urandom of=/mnt/home/file1 bs=4K count=16 conv=notrunc status=none
sync
damaged_db=$(sha /dev/vss-db)
if [ "$damaged_db" != "$want_db" ]; then verdict "db is damaged" yes yes; else verdict "db is damaged" yes no; fi
say "the filesystem must not be mounted while its device changes under it"
run umount /mnt/home

step "The SQLite example writer, registered for the db LUN, hears the restore"
say "(its database is a stand-in in /tmp: what it shows is PreRestore before the"
say " revert starts -- a veto would start nothing -- and PostRestore after it ended)"
command -v sqlite-writer >/dev/null || die "sqlite-writer is not built (examples/sqlite-writer)"
rm -f /tmp/restore-app.db /tmp/restore-sqlw.log
sqlite3 /tmp/restore-app.db 'CREATE TABLE inserts (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL, payload BLOB NOT NULL)' ||
	die "cannot create the stand-in database"
printf '%s$ %s%s\n' "$bold" "sqlite-writer run --db /tmp/restore-app.db --lun db --name sqlite-app &" "$off"
sqlite-writer run --db /tmp/restore-app.db --lun db --name sqlite-app >/tmp/restore-sqlw.log 2>&1 &
sqlw=$!
for i in $(seq 100); do grep -q 'registered writer' /tmp/restore-sqlw.log && break; sleep 0.1; done
grep -q 'registered writer' /tmp/restore-sqlw.log || die "the SQLite writer did not register: $(cat /tmp/restore-sqlw.log)"

step "Revert the three LUNs to the set, online; keep the damaged state as a snapshot"
say "(at most 1 MiB/s per LUN, so that the copy can be watched)"
run_to /tmp/restore-rec.json vssctl -j recover --keep-current --speed-max 1M \
	"$(snap_id db)" "$(snap_id logs)" "$(snap_id home)" || die "recover failed"
jq -r '.kept[]? | "  damaged \(.lun) kept as snapshot \(.id)"' /tmp/restore-rec.json
jq -r '.writers[]? | "  writer \(.name): \(.state_name) after PreRestore"' /tmp/restore-rec.json
say "RecoverSet returned: the devices read as the snapshots now, while the resync copies"
verdict "db reads as the snapshot at once" "$want_db" "$(sha /dev/vss-db)"
run vssctl resync list
# read-only: a read-write mount writes the superblock, and the LUN would no
# longer be byte-equal to the snapshot at the end
run mount -o ro,noload /dev/vss-home /mnt/home || die "mount after the revert failed"
verdict "home files == the snapshot's (during the resync)" "$(sha256sum < /tmp/restore.files)" \
	"$( (cd /mnt/home && find . -type f | sort | xargs sha256sum) | sha256sum)"
run umount /mnt/home

step "Wait for the copies to finish"
run vssctl resync wait /dev/vss-db /dev/vss-logs /dev/vss-home || { failed=1; say "resync wait failed"; }
run vssctl resync list
for i in $(seq 100); do grep -q 'post-restore' /tmp/restore-sqlw.log && break; sleep 0.1; done
say "the SQLite writer's log of the restore:"
grep -E 'pre-restore|post-restore' /tmp/restore-sqlw.log | sed 's/^/    /'
verdict "the SQLite writer got pre-restore, then post-restore" "pre-restore post-restore" \
	"$(grep -oE 'pre-restore|post-restore' /tmp/restore-sqlw.log | paste -sd' ')"
run vssctl writer list
kill -TERM $sqlw
wait $sqlw

step "Check: every LUN is byte-equal to its snapshot, the snapshots are intact"
verdict "db == snapshot" "$want_db" "$(sha /dev/vss-db)"
verdict "logs == snapshot" "$want_logs" "$(sha /dev/vss-logs)"
verdict "home == snapshot" "$want_home" "$(sha /dev/vss-home)"
verdict "db snapshot unchanged (can be used again)" "$want_db" "$(sha "$(snap_dev db)")"
run e2fsck -fn /dev/vss-home > /tmp/restore-fsck.out 2>&1
verdict "e2fsck -fn on home" 0 "$?"
kept_db=$(jq -r '.kept[]? | select(.lun == "db") | .device' /tmp/restore-rec.json)
if [ -n "$kept_db" ] && [ -b "$kept_db" ]; then
	verdict "the kept snapshot holds the damaged db (undo)" "$damaged_db" "$(sha "$kept_db")"
else
	verdict "the kept snapshot of db exists" yes no
fi

step "Clean up"
for l in $LUNS; do
	for id in $(vssctl -j snapshot list --lun $l | jq -r '.[].id'); do
		vssctl snapshot delete "$id" || failed=1
	done
	run vssctl lun remove $l
done
run rmmod vss

if [ $failed = 0 ]; then
	printf '\n%sdemo (restore): every check passed%s\n' "$bold" "$off"
else
	printf '\n%sdemo (restore): some checks FAILED%s\n' "$bold" "$off"
fi
exit $failed
