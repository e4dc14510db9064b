#!/bin/bash
# Run vss selftests inside the test VM and print TAP.
#
#   run_selftests.sh [NAME...]     (default: every *_test and *_test.sh)
#
# Each program's own TAP is indented as comments ("# ..."); each program
# is one top-level TAP line.  The last line counts the test cases of all
# programs: "vss-selftests: N passed, N failed, N skipped".  A program that
# exits 0 counts its "ok" lines as passed; one that exits non-zero (other
# than 4 = skip) fails even if every line it printed was "ok".
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
	if [ $rc = 4 ] && [ $f = 0 ]; then
		[ $s = 0 ] && s=1
		echo "ok $n $t # SKIP (${secs}s)"
	elif [ $rc = 0 ] && [ $f = 0 ] && [ $((p + s)) -gt 0 ]; then
		echo "ok $n $t (${secs}s)"
	else
		[ $rc = 124 ] && echo "# $t: timed out after ${timeout_s}s"
		[ $f = 0 ] && f=1
		echo "not ok $n $t (exit $rc, ${secs}s)"
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	# Leave a clean slate for the next program whatever this one did.
	if lsmod | grep -q '^vss '; then
		rmmod vss 2>/dev/null || echo "# note: $t left vss.ko loaded and busy"
	fi
done
echo "vss-selftests: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
