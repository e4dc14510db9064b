#!/bin/bash
# Run vss selftests inside the test VM and print TAP.
#
#   run_selftests.sh [NAME...]     (default: every *_test and *_test.sh)
#
# Each program's own TAP is indented as comments ("# ..."); each program
# is one top-level TAP line.  The last line counts the test cases of all
# programs: "vss-selftests: N passed, N failed, N skipped".  A program that
# exits 0 counts its "ok" lines as passed; one that exits non-zero (other
# than 4 = skip) fails even if every line it printed was "ok".  A program
# fails too when the number of results it printed differs from its TAP plan
# ("1..N"; it died half-way, or a case vanished), or when it skips without
# saying why.  Every skip is shown with its reason: on the program's line
# when all of it was skipped, else as "# skip: PROGRAM: CASE # SKIP REASON".
cd /opt/vss/selftests || exit 1
timeout_s=${VSS_TEST_TIMEOUT:-900}

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	for t in *_test *_test.sh; do
		[ -e "$t" ] && tests+=("$t")
	done
fi

# cleanup NAME: leave a clean slate for the next program whatever this one
# did (a failed test may leave mounts, LUNs, dm targets or ramdisks behind).
cleanup() {
	local m left=
	for m in $(awk '$1 ~ /^\/dev\/(vss|ram|loop|mapper|dm-)/ { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
		left="$left mount:$m"
	done
	if lsmod | grep -q '^vss '; then
		for l in $(vssctl -j lun list 2>/dev/null | jq -r '.[].name' 2>/dev/null); do
			vssctl lun remove "$l" >/dev/null 2>&1
			left="$left lun:$l"
		done
		rmmod vss 2>/dev/null || left="$left vss.ko-busy"
	fi
	if [ -n "$(dmsetup ls 2>/dev/null | grep -v 'No devices')" ]; then
		dmsetup remove_all -f >/dev/null 2>&1
		left="$left dm-targets"
	fi
	losetup -D 2>/dev/null
	for m in brd null_blk; do
		# Tests may leave these loaded on purpose; only busy ones are news.
		lsmod | grep -q "^$m " && { rmmod "$m" 2>/dev/null || left="$left $m-busy"; }
	done
	[ -n "$left" ] && echo "# note: $1 left behind:$left (cleaned up)"
	return 0
}

echo "TAP version 13"
echo "1..${#tests[@]}"
n=0 pass=0 fail=0 skip=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	[ -e "$t" ] || { [ -e "$t.sh" ] && t=$t.sh; }
	out=/tmp/selftest.$n.out
	start=$(date +%s)
	if [ ! -e "$t" ]; then
		echo "no such test: $t" > "$out"
		rc=127
	else
		case "$t" in
		*.sh) timeout -k 10 "$timeout_s" bash "./$t" > "$out" 2>&1 ;;
		*)    timeout -k 10 "$timeout_s" "./$t" > "$out" 2>&1 ;;
		esac
		rc=$?
	fi
	sed 's/^/# /' "$out"
	p=$(grep -E -c '^ok [0-9]+' "$out" | head -n1)
	s=$(grep -E -c '^ok [0-9]+.*# *(SKIP|skip)' "$out" | head -n1)
	f=$(grep -E -c '^not ok [0-9]+' "$out" | head -n1)
	p=$((p - s))
	secs=$(( $(date +%s) - start ))
	# the plan: "1..N" (a program skipped as a whole prints "1..0 # SKIP why")
	planned=$(grep -E -m1 '^1\.\.[0-9]+' "$out" | sed -E 's/^1\.\.([0-9]+).*/\1/')
	bad=
	if [ -z "$planned" ]; then
		bad="printed no TAP plan (1..N)"
	elif [ "$planned" != $((p + s + f)) ]; then
		bad="planned $planned results, printed $((p + s + f))"
	fi
	# why it was skipped: "# SKIP why" on the plan or on the skipped cases
	why=$(grep -E '^(1\.\.0 *|ok [0-9]+.*)# *(SKIP|skip)' "$out" |
		sed -E 's/.*# *(SKIP|skip) *//' | grep -v '^$' | sort -u | paste -sd ';' - | sed 's/;/; /g')
	if [ $s -gt 0 ] || [ $rc = 4 ]; then
		grep -E '^ok [0-9]+.*# *(SKIP|skip)' "$out" | sed "s|^|# skip: $t: |"
		if [ -z "$why" ]; then
			bad="${bad:+$bad; }skipped without a reason"
		fi
	fi
	if [ -n "$bad" ]; then
		[ $rc = 124 ] && echo "# $t: timed out after ${timeout_s}s"
		echo "# $t: $bad"
		[ $f = 0 ] && f=1
		echo "not ok $n $t (exit $rc, ${secs}s)"
	elif [ $rc = 4 ] && [ $f = 0 ]; then
		[ $s = 0 ] && s=1
		echo "ok $n $t # SKIP $why (${secs}s)"
	elif [ $rc = 0 ] && [ $f = 0 ] && [ $((p + s)) -gt 0 ]; then
		echo "ok $n $t (${secs}s)"
	else
		[ $rc = 124 ] && echo "# $t: timed out after ${timeout_s}s"
		[ $f = 0 ] && f=1
		echo "not ok $n $t (exit $rc, ${secs}s)"
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	cleanup "$t"
done
echo "vss-selftests: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
