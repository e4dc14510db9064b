#!/bin/bash
# Shared helpers for the shell selftests (sourced).  TAP output:
#   plan N; ok "name"; fail "name" "why"; skip "name" "why"; finish
# finish exits 0 when nothing failed, 1 otherwise, 4 when all skipped.

# Snapshot states as the netlink API gives them (engine_ctl snap-list's
# fifth column): the VSS_SNAPSHOT_STATE numbers of include/uapi/linux/vss.h.
SNAP_READY=12		# VSS_SS_CREATED
SNAP_INVALID=13		# VSS_SS_ABORTED, the nearest VSS state

_tap_n=0
_tap_fail=0
_tap_skip=0

plan() { echo "1..$1"; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
fail() {
	_tap_n=$((_tap_n + 1))
	_tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n - $1"
	[ -n "${2:-}" ] && echo "# $2"
	return 0
}
skip() {
	_tap_n=$((_tap_n + 1))
	_tap_skip=$((_tap_skip + 1))
	echo "ok $_tap_n - $1 # SKIP ${2:-}"
}
# check NAME CMD...: ok if CMD succeeds, else fail with its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "$(echo "$out" | tail -n 5)"; fi
}
finish() {
	[ $_tap_fail -gt 0 ] && exit 1
	[ $_tap_n -gt 0 ] && [ $_tap_skip = $_tap_n ] && exit 4
	exit 0
}
die() { echo "Bail out! $*"; exit 1; }

# load_vss: load the module (and crc32c, its one dependency).
load_vss() { lsmod | grep -q '^vss ' || modprobe vss; }
unload_vss() { ! lsmod | grep -q '^vss ' || rmmod vss; }

# ramdisks N SIZE_MB: (re)create /dev/ram0..N-1 of SIZE_MB each.
ramdisks() {
	lsmod | grep -q '^brd ' && rmmod brd
	modprobe brd rd_nr="$1" rd_size=$(($2 * 1024)) max_part=0
	udev_settle /dev/ram$(($1 - 1))
}

# now_ms: the wall clock in milliseconds
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# dm_linear_luns DM A B: LUN A on a dm-linear device DM over /dev/ram0
# (store /dev/ram1; a test suspends DM to stall A's I/O), LUN B on
# /dev/ram2 (store /dev/ram3); dies if a step fails
dm_linear_luns() {
	local sectors
	sectors=$(($(blockdev --getsize64 /dev/ram0) / 512))
	dmsetup create --noudevsync "$1" --table "0 $sectors linear /dev/ram0 0" &&
		dmsetup mknodes >/dev/null 2>&1 || die "dmsetup create"
	vssctl lun add "/dev/mapper/$1" --store /dev/ram1 --name "$2" >/dev/null &&
		vssctl lun add /dev/ram2 --store /dev/ram3 --name "$3" >/dev/null &&
		udev_settle "/dev/vss-$2" && udev_settle "/dev/vss-$3" || die "lun add"
}
udev_settle() { local i; for i in $(seq 50); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

# sha_range DEV OFFSET_BYTES LEN_BYTES: sha256 of a byte range (O_DIRECT).
sha_range() {
	dd if="$1" bs=4096 skip=$(($2 / 4096)) count=$(($3 / 4096)) iflag=direct status=none | sha256sum | cut -d' ' -f1
}

# jqe ARGS...: jq whose single output must be "true" (jq -e passes on empty input).
jqe() { local out; out=$(jq "$@" 2>/dev/null) && [ "$out" = true ]; }

# expect NAME CODE PATTERN CMD...: CMD exits with CODE and its stderr
# matches PATTERN (extended regex; "" for none).  Output in $work/out, err.
expect() {
	local name=$1 code=$2 pat=$3 rc
	shift 3
	"$@" >$work/out 2>$work/err
	rc=$?
	if [ $rc != "$code" ]; then
		fail "$name" "exit $rc, expected $code: $(head -c 300 $work/err)"
	elif [ -n "$pat" ] && ! grep -Eq "$pat" $work/err; then
		fail "$name" "stderr does not match /$pat/: $(head -c 300 $work/err)"
	else
		ok "$name"
	fi
}

# delete_all_snapshots: every snapshot vssctl lists (test clean-up).
delete_all_snapshots() {
	local id
	for id in $(vssctl -j snapshot list 2>/dev/null | jq -r '.[].id' 2>/dev/null); do
		vssctl snapshot delete "$id" >/dev/null 2>&1
	done
}

# ---- devices of several kinds ---------------------------------------------
# brd completes a bio inside submit_bio(); real devices complete in other
# contexts (an interrupt, a driver's worker thread).  Engine tests take
# their devices from here so that they run on those too.  Kinds:
#   brd      /dev/ramN
#   virtio   a partition (addpart: nothing is written to the disk) of one
#            of the virtio disks attached to the VM (tools/vm/run --disk),
#            the one with most space left, so a test's devices spread over
#            the disks; completes in the virtio interrupt
#   loop     a loop device on a sparse file in the guest's tmpfs (buffered:
#            completes in loop's worker)
#   nbd      qemu-nbd -c /dev/nbdN on a sparse file in tmpfs, over a unix
#            socket (completes in nbd's receive worker)
#   dmcrypt  dm-crypt (aes-xts-plain64, random key) on a virtio partition,
#            or on a loop device when no disk is attached (kcryptd workers)
# Every device but brd's gets its first MiB zeroed, as fresh as a new
# ramdisk for a store's superblock.  A kind that cannot be set up makes
# vss_devs return 1 (the test fails: nothing is skipped).
VSS_KINDS_ALL="brd virtio loop nbd dmcrypt"
_vd_dir=/tmp/vss_devs
_vd_undo=()	# clean-up commands, run last-in first-out
_vd_n=0
_vd_out=
DEVS=()		# vss_devs/test_devs results, in request order
DEV_KINDS=()	# and their kinds

_vd_log() { echo "# vss_devs: $*" >&2; }
_vd_zero() { dd if=/dev/zero of="$1" bs=1M count=1 oflag=direct conv=fsync status=none; }

# vss_disks: the virtio disks attached to the VM
vss_disks() { ls -d /sys/block/vd* 2>/dev/null | sed 's|/sys/block/|/dev/|'; }

_vd_file() { # SIZE_MB -> _vd_out: a fresh sparse file in tmpfs
	mkdir -p $_vd_dir
	_vd_n=$((_vd_n + 1))
	_vd_out=$_vd_dir/f$$.$_vd_n.img
	rm -f "$_vd_out" && truncate -s "${1}M" "$_vd_out" || return 1
	_vd_undo+=("rm -f $_vd_out")
}

_vd_brd() { # N SIZE_MB
	local i
	if lsmod | grep -q '^brd '; then
		rmmod brd || { _vd_log "brd is busy"; return 1; }
	fi
	modprobe brd rd_nr="$1" rd_size=$(($2 * 1024)) max_part=0 || return 1
	_vd_undo+=("rmmod brd")
	udev_settle /dev/ram$(($1 - 1)) || return 1
	for i in $(seq 0 $(($1 - 1))); do DEVS+=(/dev/ram$i); DEV_KINDS+=(brd); done
}

_vd_virtio() { # SIZE_MB -> _vd_out
	local d best= bestfree=-1 size used free n k
	for d in $(vss_disks); do
		k=${d#/dev/}
		size=$(($(cat /sys/block/$k/size) / 2048))
		used=$(cat $_vd_dir/$k.used 2>/dev/null || echo 1)
		free=$((size - used))
		[ $free -gt $bestfree ] && best=$d bestfree=$free
	done
	[ -n "$best" ] || { _vd_log "no virtio disk attached (tools/vm/run --disk)"; return 1; }
	[ "$bestfree" -ge "$1" ] || { _vd_log "virtio disks full ($bestfree MiB free, $1 wanted)"; return 1; }
	mkdir -p $_vd_dir
	k=${best#/dev/}
	used=$(cat $_vd_dir/$k.used 2>/dev/null || echo 1)
	n=$(($(cat $_vd_dir/$k.n 2>/dev/null || echo 0) + 1))
	addpart "$best" $n $((used * 2048)) $(($1 * 2048)) || return 1
	echo $((used + $1)) >$_vd_dir/$k.used
	echo $n >$_vd_dir/$k.n
	# partitions go in reverse order; the space is free again once all are gone
	_vd_undo+=("delpart $best $n && echo $used >$_vd_dir/$k.used && echo $((n - 1)) >$_vd_dir/$k.n")
	_vd_out=$best$n
	udev_settle $_vd_out && _vd_zero $_vd_out
}

_vd_loop() { # SIZE_MB -> _vd_out
	_vd_file "$1" || return 1
	modprobe loop 2>/dev/null
	_vd_out=$(losetup -f --show "$_vd_out") || return 1
	_vd_undo+=("losetup -d $_vd_out")
	udev_settle "$_vd_out" && _vd_zero "$_vd_out"
}

_vd_nbd() { # SIZE_MB -> _vd_out
	local f i t
	_vd_file "$1" || return 1
	f=$_vd_out
	lsmod | grep -q '^nbd ' || modprobe nbd nbds_max=16 || return 1
	for i in $(seq 0 15); do
		[ -e /dev/nbd$i ] && [ "$(cat /sys/block/nbd$i/size 2>/dev/null)" = 0 ] || continue
		[ -e /sys/block/nbd$i/pid ] && continue
		qemu-nbd -c /dev/nbd$i -k $_vd_dir/nbd$i.sock -f raw --cache=writeback \
			--discard=unmap "$f" >$_vd_dir/nbd$i.log 2>&1 || continue
		_vd_undo+=("qemu-nbd -d /dev/nbd$i")
		for t in $(seq 50); do
			[ "$(cat /sys/block/nbd$i/size)" -gt 0 ] && break
			sleep 0.1
		done
		_vd_out=/dev/nbd$i
		_vd_zero $_vd_out
		return
	done
	_vd_log "no nbd device could be connected: $(cat $_vd_dir/nbd*.log 2>/dev/null | tail -n 2)"
	return 1
}

_vd_dmcrypt() { # SIZE_MB -> _vd_out
	local name key
	if [ -n "$(vss_disks)" ]; then
		_vd_virtio "$1" || return 1
	else
		_vd_loop "$1" || return 1
	fi
	modprobe dm-crypt || return 1
	_vd_n=$((_vd_n + 1))
	name=vsscrypt$$x$_vd_n
	key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	dmsetup create --noudevsync $name --table "0 $(($1 * 2048)) crypt aes-xts-plain64 $key 0 $_vd_out 0" ||
		return 1
	_vd_undo+=("dmsetup remove $name")
	dmsetup mknodes >/dev/null 2>&1
	_vd_out=/dev/mapper/$name
	udev_settle $_vd_out && _vd_zero $_vd_out
}

# vss_devs KIND N SIZE_MB: N fresh devices of KIND, appended to DEVS
# (DEV_KINDS); vss_devs_cleanup removes them.  brd only once per test.
vss_devs() {
	local kind=$1 n=$2 size=$3 i
	case "$kind" in
	brd) _vd_brd "$n" "$size" || { _vd_log "brd: cannot set up $n x $size MiB"; return 1; } ;;
	virtio|loop|nbd|dmcrypt)
		for i in $(seq 1 "$n"); do
			if ! _vd_$kind "$size"; then
				_vd_log "$kind: cannot set up a $size MiB device"
				return 1
			fi
			DEVS+=("$_vd_out")
			DEV_KINDS+=("$kind")
		done ;;
	*) _vd_log "unknown kind '$kind' (kinds: $VSS_KINDS_ALL)"; return 1 ;;
	esac
}

# vss_devs_cleanup: undo every vss_devs of this test, newest first; each
# step bounded (15 s), so a device stuck under a hung LUN cannot hang it.
vss_devs_cleanup() {
	local i
	for ((i = ${#_vd_undo[@]} - 1; i >= 0; i--)); do
		bounded 15 eval "${_vd_undo[$i]}" >/dev/null 2>&1 ||
			_vd_log "clean-up failed or hung: ${_vd_undo[$i]}"
	done
	_vd_undo=()
	DEVS=() DEV_KINDS=()
}

# test_devs DEFAULT_KINDS SIZE_MB...: one fresh device per SIZE_MB, in
# DEVS[0], DEVS[1] ...; device i is of kind number i (cycling) of
# $VSS_DEV_KINDS, or of DEFAULT_KINDS (the test's choice) when that is
# unset.  "virtio nbd" puts a test's first device (usually the LUN) on a
# virtio partition, the second (the store) on nbd, the third on virtio ...
# brd devices all have the largest brd size asked for; a smaller one is a
# dm-linear slice of its ramdisk.  Prints the assignment as a TAP comment.
test_devs() {
	local kinds=(${VSS_DEV_KINDS:-$1}) sizes i k nb=0 max=0 brd=() s
	shift
	sizes=("$@")
	for i in "${!sizes[@]}"; do
		k=${kinds[$((i % ${#kinds[@]}))]}
		[ "$k" = brd ] && nb=$((nb + 1)) && [ "${sizes[$i]}" -gt $max ] && max=${sizes[$i]}
	done
	if [ $nb -gt 0 ]; then
		_vd_brd $nb $max || { _vd_log "brd: cannot set up $nb x $max MiB"; return 1; }
		brd=("${DEVS[@]}")
		DEVS=() DEV_KINDS=()
	fi
	nb=0
	modprobe dm-mod 2>/dev/null
	for i in "${!sizes[@]}"; do
		k=${kinds[$((i % ${#kinds[@]}))]}
		s=${sizes[$i]}
		if [ "$k" = brd ]; then
			_vd_out=${brd[$nb]}
			nb=$((nb + 1))
			if [ "$s" -lt $max ]; then
				dmsetup create --noudevsync vssbrd$$x$i --table "0 $((s * 2048)) linear $_vd_out 0" ||
					return 1
				_vd_undo+=("dmsetup remove vssbrd$$x$i")
				dmsetup mknodes >/dev/null 2>&1
				_vd_out=/dev/mapper/vssbrd$$x$i
			fi
			DEVS+=("$_vd_out")
			DEV_KINDS+=(brd)
		else
			vss_devs "$k" 1 "$s" || return 1
		fi
	done
	echo "# devices: $(for i in "${!DEVS[@]}"; do printf '%s=%s(%sM) ' "${DEVS[$i]}" "${DEV_KINDS[$i]}" "${sizes[$i]}"; done)"
}

# bounded SECS CMD...: run CMD for at most SECS seconds; 124 when it did
# not end.  It is then killed but not waited for, so a task stuck in the
# kernel (an engine deadlock) cannot hang the test; `timeout` would wait.
bounded() {
	local pid end=$((SECONDS + $1))
	shift
	"$@" &
	pid=$!
	while [ $SECONDS -lt $end ]; do
		# "return $?": a bare return in a trap handler (an EXIT trap's
		# clean-up) returns the status from before the trap
		_running $pid || { wait $pid; return $?; }
		sleep 0.1
	done
	kill -9 $pid 2>/dev/null
	return 124
}
# _running PID: the process exists and is not a zombie
_running() {
	local s
	s=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$1/status 2>/dev/null)
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# hang_evidence WHAT: the blocked tasks' stacks (sysrq w) and the hung
# task reports of the kernel log, as TAP comments, after WHAT did not
# finish in time.
hang_evidence() {
	echo "# $1 did not finish in time; blocked tasks (sysrq w), hung task reports:"
	echo w >/proc/sysrq-trigger 2>/dev/null
	sleep 1
	dmesg | awk '/sysrq: Show Blocked State/ { n = 0 } { l[n++] = $0 }
		END { for (i = 0; i < n && i < 300; i++) print l[i] }' | sed 's/^/#   /'
	dmesg | grep -A 30 'blocked for more than' | head -n 60 | sed 's/^/#   /'
}

# wbt_off / wbt_restore: switch writeback throttling off on every block
# device and back.  After a test has recorded a hang in which submitters
# sleep in wbt_wait() (in the completion of the very device they wait on),
# this lets the stuck I/O finish so that the suite can go on.
_wbt_saved=
wbt_off() {
	local f v
	_wbt_saved=
	for f in /sys/block/*/queue/wbt_lat_usec; do
		v=$(cat $f 2>/dev/null) || continue
		_wbt_saved="$_wbt_saved $f=$v"
		echo 0 >$f 2>/dev/null
	done
}
wbt_restore() {
	local e
	for e in $_wbt_saved; do echo "${e#*=}" >"${e%%=*}" 2>/dev/null; done
	_wbt_saved=
}
