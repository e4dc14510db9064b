#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PreRestore / PostRestore through vssctl (writer exec, recover, writer
# list), the writer half of LUN resync:
#  - a writer vetoing PreRestore (exit 1 -> VSS_E_WRITERERROR_RETRYABLE,
#    exit 2 -> VSS_E_WRITERERROR_NONRETRYABLE): recover exits 11 naming
#    the writer and its message, the LUN is byte-equal to before
#    (sha256), no resync is listed, writer list and recover's "writers"
#    show FAILED_AT_PRE_RESTORE (13) with hrWriter, hrApplication, message;
#  - a writer that does not answer PreRestore (stopped with SIGSTOP):
#    VSS_E_WRITER_NOT_RESPONDING, nothing started; the writer that did
#    answer gets PostRestore at once, failed (VSS_RESTORE_ERROR 110);
#  - a revert that runs (rate-limited): the writer's log has pre-restore
#    when recover returns and no post-restore while the resync runs;
#    post-restore (VSS_RESTORE_STATE=done) comes once "resync wait" ended;
#    the LUN equals the snapshot; recover -j lists the writer, stable;
#  - a failing PostRestore: FAILED_AT_POST_RESTORE (14) in writer list,
#    the resync itself done.
. "$(dirname "$0")/lib.sh"

work=/tmp/cli_wrestore
plan 21

load_vss || die "cannot load vss"
ramdisks 2 8
rm -rf $work && mkdir -p $work
wpid=
cleanup() {
	[ -n "$wpid" ] && { kill -CONT "$wpid"; kill "$wpid"; } 2>/dev/null
	wait 2>/dev/null
	vssctl resync cancel wr >/dev/null 2>&1
	delete_all_snapshots
	vssctl lun remove wr >/dev/null 2>&1
	echo 30000 > /sys/module/vss/parameters/writer_event_timeout_ms
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

RETRYABLE=$((0x800423F3))
NONRETRYABLE=$((0x800423F4))
NOT_RESPONDING=$((0x80042319))
LUN=/dev/vss-wr
vssctl lun add /dev/ram0 --store /dev/ram1 --name wr --chunk-size 64K --format >/dev/null ||
	die "lun add"
udev_settle $LUN || die "no LUN device"
sha_lun() { dd if=$LUN bs=1M count=8 iflag=direct status=none | sha256sum | cut -d' ' -f1; }
# change MB: MB of new random data at the start of the LUN
change() { dd if=/dev/urandom of=$LUN bs=1M count="$1" oflag=direct conv=fsync status=none; }
status() { vssctl -j writer list | jq -c '.[] | select(.name == "app")'; }
nresyncs() { vssctl -j resync list | jq '[.[] | select(.lun == "wr")] | length'; }

T0=$(date +%s%N)
tick() { echo "# $1: $(( ($(date +%s%N) - T0) / 1000000 )) ms"; }
change 8 || die "fill"
vssctl -j snapshot create wr --no-writers >$work/set || die "snapshot create"
S=$(jq -r '.snapshots[0].id' $work/set)
SDEV=$(jq -r '.snapshots[0].device' $work/set)
udev_settle "$SDEV" || die "no snapshot device"
snapsha=$(dd if="$SDEV" bs=1M count=8 iflag=direct status=none | sha256sum | cut -d' ' -f1)
change 2 || die "change"
before=$(sha_lun)
[ "$before" != "$snapsha" ] || die "the change changed nothing"

# The writer program: logs each event (with the restore outcome), then
# does what $work/mode.EVENT says: exit 1, exit 2 or succeed.
cat >$work/app <<EOF
#!/bin/sh
echo "\$1 \${VSS_RESTORE_STATE:-} \${VSS_RESTORE_ERROR:-}" >> $work/app.log
case "\$(cat $work/mode.\$1 2>/dev/null)" in
exit1) echo "database busy"; exit 1 ;;
exit2) echo "restore not supported here"; exit 2 ;;
esac
exit 0
EOF
chmod +x $work/app
vssctl -j writer exec --name app --lun wr -- $work/app >$work/app.out 2>$work/app.err &
wpid=$!
for i in $(seq 100); do
	head -n1 $work/app.out 2>/dev/null | jq -e '.instance_id' >/dev/null 2>&1 && break
	sleep 0.1
done
[ -n "$(status)" ] || die "the writer did not register: $(cat $work/app.err)"

# ---- vetoes: exit 1 and exit 2 ----
for v in "exit1 $RETRYABLE 1 RETRYABLE database_busy" \
	 "exit2 $NONRETRYABLE 2 NONRETRYABLE restore_not_supported_here"; do
	set -- $v
	mode=$1 hr=$2 app=$3 code=$4 msg=${5//_/ }
	echo $mode > $work/mode.pre-restore
	vssctl -j recover "$S" >$work/out 2>$work/err
	rc=$?
	[ $rc = 11 ] && grep -q "VSS_E_WRITERERROR_$code" $work/err &&
		grep -q "writer \"app\"" $work/err && grep -q "$msg" $work/err &&
		ok "$mode at pre-restore: recover exits 11 naming the writer, $code and its message" ||
		fail "$mode at pre-restore: recover exits 11 naming the writer, $code and its message" \
			"exit $rc: $(cat $work/err)"
	[ "$(sha_lun)" = "$before" ] && [ "$(nresyncs)" = 0 ] &&
		ok "$mode: the LUN is byte-equal to before, no resync listed" ||
		fail "$mode: the LUN is byte-equal to before, no resync listed" "$(vssctl resync list)"
	s=$(status)
	echo "$s" | jqe --argjson hr $hr --argjson app $app --arg m "$msg" \
		'.state == 13 and .state_name == "failed-at-pre-restore" and
		 .hr_writer == $hr and .hr_application == $app and .message == $m' &&
		ok "$mode: writer list shows failed-at-pre-restore with the codes and message" ||
		fail "$mode: writer list shows failed-at-pre-restore with the codes and message" "$s"
	jqe --argjson hr $hr '.writers | length == 1 and .[0].name == "app" and
		.[0].state == 13 and .[0].hr_writer == $hr' $work/out &&
		ok "$mode: recover -j prints the writer's status" ||
		fail "$mode: recover -j prints the writer's status" "$(cat $work/out)"
done
rm -f $work/mode.pre-restore
tick "vetoes done"

# ---- no answer ----
echo 1500 > /sys/module/vss/parameters/writer_event_timeout_ms
# the timeout is taken at registration: a second writer with the short one
vssctl writer exec --name mute --lun wr -- /bin/true >/dev/null 2>&1 &
mpid=$!
for i in $(seq 100); do
	vssctl -j writer list | jq -e '.[] | select(.name == "mute")' >/dev/null 2>&1 && break
	sleep 0.1
done
kill -STOP $mpid
: > $work/app.log
t0=$(date +%s%N)
vssctl recover "$S" >$work/out 2>$work/err
rc=$?
t1=$(date +%s%N)
kill -CONT $mpid
s=$(vssctl -j writer list | jq -c '.[] | select(.name == "mute")')
[ $rc = 11 ] && grep -q VSS_E_WRITER_NOT_RESPONDING $work/err &&
	echo "$s" | jqe --argjson hr $NOT_RESPONDING '.state == 13 and .hr_writer == $hr' &&
	ok "a writer that does not answer pre-restore: not responding, failed-at-pre-restore ($(( (t1 - t0) / 1000000 )) ms)" ||
	fail "a writer that does not answer pre-restore: not responding, failed-at-pre-restore" \
		"exit $rc: $(cat $work/err) status: $s"
[ "$(sha_lun)" = "$before" ] && [ "$(nresyncs)" = 0 ] &&
	ok "not responding: the LUN is byte-equal to before, no resync listed" ||
	fail "not responding: the LUN is byte-equal to before, no resync listed" "$(vssctl resync list)"
for i in $(seq 100); do grep -q '^post-restore' $work/app.log && break; sleep 0.1; done
grep -q '^post-restore failed 110$' $work/app.log &&
	ok "the writer that took pre-restore got post-restore, failed (ETIMEDOUT)" ||
	fail "the writer that took pre-restore got post-restore, failed (ETIMEDOUT)" "$(paste -sd, $work/app.log)"
kill $mpid 2>/dev/null
wait $mpid 2>/dev/null
echo 30000 > /sys/module/vss/parameters/writer_event_timeout_ms
tick "not responding done"

# ---- a revert with the writer taking part ----
: > $work/app.log
# 64 KiB/s: 2 MiB take 32 s, sped up once the log was read
vssctl -j recover --speed-min 64K --speed-max 64K "$S" >$work/out 2>$work/err
rc=$?
# the log first: if the resync still runs afterwards, it ran when read
cp $work/app.log $work/app.log.during
running=$(vssctl -j resync list | jq -r '[.[] | select(.lun == "wr")] | last | .state')
[ $rc = 0 ] && ok "recover with the writer: exit 0" || fail "recover with the writer: exit 0" "exit $rc: $(cat $work/err)"
[ "$running" = running ] &&
	grep -q '^pre-restore' $work/app.log.during && ! grep -q '^post-restore' $work/app.log.during &&
	ok "pre-restore before the resync, no post-restore while it runs ($running)" ||
	fail "pre-restore before the resync, no post-restore while it runs ($running)" \
		"$(paste -sd, $work/app.log.during)"
jqe '.writers | length == 1 and .[0].name == "app" and .[0].state == 1 and .[0].hr_writer == 0' $work/out &&
	ok "recover -j: the writer took pre-restore, stable" ||
	fail "recover -j: the writer took pre-restore, stable" "$(cat $work/out)"
vssctl resync speed wr --min 512M --max 512M >/dev/null 2>&1
vssctl resync wait wr >/dev/null 2>$work/err
wrc=$?
cp $work/app.log $work/app.log.waited
for i in $(seq 100); do grep -q '^post-restore' $work/app.log && break; sleep 0.1; done
[ $wrc = 0 ] && grep -q '^post-restore done 0$' $work/app.log &&
	[ "$(grep -c restore $work/app.log)" = 2 ] &&
	ok "post-restore (done) after the resync ended ($(grep -c '^post-restore' $work/app.log.waited) seen when resync wait returned)" ||
	fail "post-restore (done) after the resync ended" "wait exit $wrc: $(paste -sd, $work/app.log)"
[ "$(sha_lun)" = "$snapsha" ] && ok "the LUN equals the snapshot" ||
	fail "the LUN equals the snapshot" "resync: $(vssctl resync list)"
s=$(status)
sid=$(jq -r '.session_id' $work/out)
echo "$s" | jqe --arg sid "$sid" '.state == 1 and .hr_writer == 0 and .session_id == $sid' &&
	ok "writer list: stable after post-restore, the restore's session" ||
	fail "writer list: stable after post-restore, the restore's session" "$s (session $sid)"

tick "revert done"

# ---- a failing post-restore ----
change 1 || die "change"
echo exit2 > $work/mode.post-restore
: > $work/app.log
vssctl recover "$S" >$work/out 2>$work/err
rc=$?
for i in $(seq 100); do grep -q '^post-restore' $work/app.log && break; sleep 0.1; done
for i in $(seq 50); do [ "$(status | jq .state)" = 14 ] && break; sleep 0.1; done
[ $rc = 0 ] && ok "recover: exit 0 (pre-restore succeeded)" || fail "recover: exit 0 (pre-restore succeeded)" "exit $rc: $(cat $work/err)"
s=$(status)
echo "$s" | jqe --argjson hr $NONRETRYABLE '.state == 14 and .state_name == "failed-at-post-restore" and
	.hr_writer == $hr and .hr_application == 2 and .message == "restore not supported here"' &&
	ok "a failing post-restore: failed-at-post-restore in writer list" ||
	fail "a failing post-restore: failed-at-post-restore in writer list" "$s"
st=$(vssctl -j resync list | jq -r '[.[] | select(.lun == "wr")] | last | .state')
[ "$st" = done ] && [ "$(sha_lun)" = "$snapsha" ] &&
	ok "the resync itself is done, the LUN equals the snapshot" ||
	fail "the resync itself is done, the LUN equals the snapshot" "state $st"
tick "failing post-restore done"

# ---- the writer's own log ----
grep -q '"event":"pre-restore"' $work/app.out && grep -q '"event":"post-restore"' $work/app.out &&
	ok "writer exec printed the pre-restore and post-restore events" ||
	fail "writer exec printed the pre-restore and post-restore events" "$(tail -5 $work/app.out)"
finish
