#!/bin/bash
# Shared helpers for the shell selftests (sourced).  TAP output:
#   plan N; ok "name"; fail "name" "why"; skip "name" "why"; finish
# finish exits 0 when nothing failed, 1 otherwise, 4 when all skipped.

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
