#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vssctl writer exec / writer list / snapshot create with writers:
#  - stock fsfreeze-hook.d scripts (qemu's sample style: freeze and thaw,
#    "exit 1" on anything else) run unchanged under --hooks-dir, freeze
#    ascending and thaw descending;
#  - a script's veto at freeze: exit 11, no snapshot, the frozen scripts
#    thawed, FAILED_AT_FREEZE with the script's message in writer list;
#  - a program's exit status per phase -> state, hrWriter, hrApplication
#    and message in `vssctl -j writer list` and in snapshot create's
#    "writers"; no snapshot after a veto;
#  - three writers in one set: Freeze in registration order, Thaw reversed;
#  - --no-writers sends no event; a writer gone is gone from the list.
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

work=/tmp/cli_writer
plan 25

load_vss || die "cannot load vss"
ramdisks 2 16
rm -rf $work && mkdir -p $work/hooks
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	delete_all_snapshots
	vssctl lun remove wl >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

vssctl lun add /dev/ram0 --store /dev/ram1 --name wl --format >/dev/null || die "lun add"
udev_settle /dev/vss-wl || die "no device"

RETRYABLE=$((0x800423F3))
NONRETRYABLE=$((0x800423F4))

# start_writer NAME ARGS...: vssctl -j writer exec --name NAME ARGS in the
# background (output in $work/NAME.out), once it is registered.
start_writer() {
	local name=$1 i
	shift
	vssctl -j writer exec --name "$name" "$@" >$work/$name.out 2>$work/$name.err &
	pids+=($!)
	eval "pid_$name=$!"
	for i in $(seq 100); do
		head -n1 $work/$name.out 2>/dev/null | jq -e '.instance_id' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "# writer $name did not register: $(cat $work/$name.err)"
	return 1
}
# stop_writer NAME: SIGTERM, wait (bounded)
stop_writer() {
	local pid
	eval "pid=\$pid_$1"
	stop_pid "$pid" 10
}
# status NAME: the writer's object in `vssctl -j writer list`
status() { vssctl -j writer list | jq -c --arg n "$1" '.[] | select(.name == $n)'; }
nsnaps() { vssctl -j snapshot list | jq length; }

# ---- fsfreeze-hook.d scripts, unchanged -----------------------------------
# The shape of qemu-guest-agent's fsfreeze-hook.d samples.
for s in 10-first 20-second 30-third; do
	cat >$work/hooks/$s <<EOF
#!/bin/sh
LOG=$work/hooks.log
case "\$1" in
    freeze)
        echo "$s freeze" >> \$LOG
        ;;
    thaw)
        echo "$s thaw" >> \$LOG
        ;;
    *)
        exit 1
        ;;
esac
EOF
	chmod +x $work/hooks/$s
done
echo "not a hook" >$work/hooks/README		# not executable: skipped
cp $work/hooks/10-first $work/hooks/15-old.dpkg-old	# package leftover: skipped

start_writer hooks --lun wl --hooks-dir $work/hooks || die "writer exec --hooks-dir"
vssctl -j snapshot create wl >$work/set.json 2>$work/err
rc=$?
printf '10-first freeze\n20-second freeze\n30-third freeze\n30-third thaw\n20-second thaw\n10-first thaw\n' >$work/expect
[ $rc = 0 ] && cmp -s $work/expect $work/hooks.log &&
	ok "fsfreeze-hook.d scripts: freeze ascending, thaw descending, nothing else run" ||
	fail "fsfreeze-hook.d scripts: freeze ascending, thaw descending, nothing else run" \
		"exit $rc: $(cat $work/err) log: $(cat $work/hooks.log 2>/dev/null | paste -sd,)"
jqe '.writers | length == 1 and .[0].name == "hooks" and .[0].state == 1 and
	.[0].state_name == "stable" and .[0].hr_writer == 0' $work/set.json &&
	ok "snapshot create -j: the writer is stable, no failure" ||
	fail "snapshot create -j: the writer is stable, no failure" "$(cat $work/set.json)"
jqe '.snapshots | length == 1' $work/set.json && ok "the snapshot was taken" ||
	fail "the snapshot was taken" "$(cat $work/set.json)"
delete_all_snapshots

# a veto at freeze from one script: the two before it are thawed again
cat >$work/hooks/25-veto <<EOF
#!/bin/sh
[ "\$1" = freeze ] || exit 0
echo "25-veto freeze" >> $work/hooks.log
echo "application not ready"
echo "second line, not the message"
exit 1
EOF
chmod +x $work/hooks/25-veto
rm -f $work/hooks.log
vssctl snapshot create wl >$work/out 2>$work/err
rc=$?
[ $rc = 11 ] && grep -q 'VSS_E_WRITERERROR_RETRYABLE' $work/err &&
	ok "a hook's veto: exit 11 with the writer's code" ||
	fail "a hook's veto: exit 11 with the writer's code" "exit $rc: $(cat $work/err)"
[ "$(nsnaps)" = 0 ] && ok "no snapshot after the veto" || fail "no snapshot after the veto" "$(vssctl snapshot list)"
printf '10-first freeze\n20-second freeze\n25-veto freeze\n20-second thaw\n10-first thaw\n' >$work/expect
cmp -s $work/expect $work/hooks.log && ok "the scripts frozen before the veto were thawed, newest first" ||
	fail "the scripts frozen before the veto were thawed, newest first" "$(paste -sd, $work/hooks.log)"
s=$(status hooks)
echo "$s" | jqe --argjson hr $RETRYABLE '.state == 9 and .state_name == "failed-at-freeze" and
	.hr_writer == $hr and .hr_application == 1 and .message == "application not ready"' &&
	ok "writer list: failed-at-freeze, RETRYABLE, exit status and first line" ||
	fail "writer list: failed-at-freeze, RETRYABLE, exit status and first line" "$s"
grep -q 'writer hooks: .* state failed-at-freeze hr_writer VSS_E_WRITERERROR_RETRYABLE .*message "application not ready"' $work/out &&
	ok "snapshot create (text) prints the failed writer" ||
	fail "snapshot create (text) prints the failed writer" "$(cat $work/out)"
rm -f $work/hooks/25-veto
stop_writer hooks && ok "writer exec ends on SIGTERM" || fail "writer exec ends on SIGTERM"
[ -z "$(status hooks)" ] && ok "a writer gone is gone from writer list" ||
	fail "a writer gone is gone from writer list" "$(vssctl -j writer list)"

# ---- a program: exit status per phase ------------------------------------
# prog.sh NAME EVENT: logs "NAME EVENT"; if $work/fail.NAME is
# "EVENT CODE MESSAGE", prints MESSAGE and exits CODE at that event.
cat >$work/prog.sh <<EOF
#!/bin/sh
echo "\$1 \$2" >> $work/prog.log
if [ -f $work/fail.\$1 ]; then
    read -r ev code msg < $work/fail.\$1
    if [ "\$ev" = "\$2" ]; then
        echo "\$msg"
        exit \$code
    fi
fi
exit 0
EOF
chmod +x $work/prog.sh
start_writer pa --lun wl --class-id 11111111-2222-3333-4444-555555555555 -- $work/prog.sh pa ||
	die "writer exec -- PROGRAM"
s=$(status pa)
echo "$s" | jqe '.class_id == "11111111-2222-3333-4444-555555555555" and .luns == ["wl"] and
	(.instance_id | test("^[0-9a-f-]{36}$")) and .registered == true' &&
	ok "writer list: class id, instance id, LUNs" || fail "writer list: class id, instance id, LUNs" "$s"

# veto_case EVENT CODE STATE STATE_NAME HR: the set fails, no snapshot, status
veto_case() {
	local ev=$1 code=$2 state=$3 sname=$4 hr=$5 rc s
	echo "$ev $code $ev says no" >$work/fail.pa
	vssctl -j snapshot create wl >$work/out 2>$work/err
	rc=$?
	s=$(status pa)
	if [ $rc = 11 ] && [ "$(nsnaps)" = 0 ] &&
	   echo "$s" | jqe --argjson st $state --arg sn "$sname" --argjson hr $hr --argjson c $code \
		--arg m "$ev says no" '.state == $st and .state_name == $sn and .hr_writer == $hr and
		.hr_application == $c and .message == $m' &&
	   jqe --arg sn "$sname" '.writers[0].state_name == $sn and (.snapshots | not)' $work/out; then
		ok "exit $code at $ev: $sname, no snapshot, exit 11"
	else
		fail "exit $code at $ev: $sname, no snapshot, exit 11" \
			"exit $rc, $(nsnaps) snapshots, status $s, out $(cat $work/out) err $(cat $work/err)"
	fi
	delete_all_snapshots
}
veto_case prepare-backup 2 7 failed-at-prepare-backup $NONRETRYABLE
veto_case prepare-snapshot 1 8 failed-at-prepare-snapshot $RETRYABLE
veto_case freeze 2 9 failed-at-freeze $NONRETRYABLE
veto_case freeze 3 9 failed-at-freeze $NONRETRYABLE

# a freeze vetoed: the writer was not frozen, so it gets no thaw
echo "freeze 1 no" >$work/fail.pa
rm -f $work/prog.log
vssctl snapshot create wl >/dev/null 2>&1
! grep -q 'pa thaw' $work/prog.log && ok "a writer that vetoed its freeze gets no thaw" ||
	fail "a writer that vetoed its freeze gets no thaw" "$(paste -sd, $work/prog.log)"
rm -f $work/fail.pa

# success: every event of a backup reaches the program, in order
rm -f $work/prog.log
vssctl -j snapshot create wl >$work/set.json 2>$work/err
rc=$?
sleep 0.5	# backup-shutdown is not waited for
got=$(grep '^pa ' $work/prog.log | cut -d' ' -f2 | paste -sd' ')
exp="identify prepare-backup prepare-snapshot freeze thaw post-snapshot backup-complete backup-shutdown"
[ $rc = 0 ] && [ "$got" = "$exp" ] && ok "a program gets every event of the backup, in order" ||
	fail "a program gets every event of the backup, in order" "exit $rc: got '$got'; $(cat $work/err)"
jqe '.writers[0] | has("name") and has("class_id") and has("instance_id") and has("luns") and
	has("state") and has("state_name") and has("hr_writer") and has("hr_application") and
	has("message")' $work/set.json && ok "snapshot create -j: every writer field" ||
	fail "snapshot create -j: every writer field" "$(cat $work/set.json)"
delete_all_snapshots

# ---- three writers in one set --------------------------------------------
start_writer pb --lun wl -- $work/prog.sh pb || die "writer pb"
start_writer pc --lun wl -- $work/prog.sh pc || die "writer pc"
rm -f $work/prog.log
vssctl -j snapshot create wl >$work/set.json 2>$work/err
rc=$?
fr=$(grep ' freeze$' $work/prog.log | cut -d' ' -f1 | paste -sd' ')
th=$(grep ' thaw$' $work/prog.log | cut -d' ' -f1 | paste -sd' ')
[ $rc = 0 ] && [ "$fr" = "pa pb pc" ] && [ "$th" = "pc pb pa" ] &&
	ok "three writers: Freeze in registration order, Thaw reversed" ||
	fail "three writers: Freeze in registration order, Thaw reversed" "exit $rc: freeze '$fr' thaw '$th'"
# every thaw after every freeze
last_freeze=$(grep -n ' freeze$' $work/prog.log | tail -n1 | cut -d: -f1)
first_thaw=$(grep -n ' thaw$' $work/prog.log | head -n1 | cut -d: -f1)
[ -n "$last_freeze" ] && [ -n "$first_thaw" ] && [ "$last_freeze" -lt "$first_thaw" ] &&
	ok "no writer thawed before all were frozen" || fail "no writer thawed before all were frozen" "$(paste -sd, $work/prog.log)"
jqe '[.writers[].name] == ["pa", "pb", "pc"] and all(.writers[]; .state_name == "stable")' $work/set.json &&
	ok "snapshot create -j lists the three writers" || fail "snapshot create -j lists the three writers" "$(cat $work/set.json)"
delete_all_snapshots

# ---- --no-writers ---------------------------------------------------------
echo "freeze 1 would veto" >$work/fail.pa
rm -f $work/prog.log
vssctl -j snapshot create wl --no-writers >$work/set.json 2>$work/err
rc=$?
[ $rc = 0 ] && [ ! -s $work/prog.log ] && jqe '.writers == [] and (.snapshots | length) == 1' $work/set.json &&
	ok "--no-writers: no writer event, the set is taken" ||
	fail "--no-writers: no writer event, the set is taken" "exit $rc: $(cat $work/err) log $(cat $work/prog.log 2>/dev/null)"
rm -f $work/fail.pa
delete_all_snapshots

# ---- usage -----------------------------------------------------------------
expect "writer exec without a program or --hooks-dir: exit 2" 2 'Usage: vssctl writer exec' \
	vssctl writer exec --name x --lun wl
expect "writer exec with both: exit 2" 2 'Usage: vssctl writer exec' \
	vssctl writer exec --name x --lun wl --hooks-dir $work/hooks -- /bin/true
expect "writer exec with a bad freeze timeout: exit 2" 2 'invalid freeze timeout' \
	vssctl writer exec --name x --lun wl --freeze-timeout 0 -- /bin/true

for n in pa pb pc; do stop_writer $n; done
finish
