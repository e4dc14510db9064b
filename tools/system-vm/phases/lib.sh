# Sourced by the phase scripts (run in the system VM by systest-runner, from
# the payload: this directory, debs/, ynl/).  TAP-like lines; the phase
# fails when one check fails.
export LC_ALL=C PATH=/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin
P=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=/root/systest       # kept on the root disk from one boot to the next
mkdir -p "$STATE"
n=0 failed=0
ok() { # NAME COMMAND... : the command must succeed
	local name=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "$out" | tail -n 15 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}
eq() { # NAME GOT EXPECTED (an empty expectation fails: nothing to compare)
	n=$((n + 1))
	if [ -n "$3" ] && [ "$2" = "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: got '$2', expected '$3'"
		failed=$((failed + 1))
	fi
}
run() { echo "+ $*"; "$@"; }
finish() {
	echo "1..$n ($failed failed)"
	if dmesg | grep -E 'Oops|BUG:|WARNING:|general protection|hung task|blocked for more than|Kernel panic|list_del corruption|refcount_t:'; then
		echo "not ok - the guest kernel log has a warning"
		failed=$((failed + 1))
	fi
	[ $failed = 0 ]
}
ynl() { python3 "$P/ynl/cli.py" --spec "$P/ynl/vss.yaml" "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
