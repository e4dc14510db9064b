#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host test of the vssctl binary where no kernel is needed: help at every
# level, usage errors (exit 2), version, and exit 3 with a hint when the vss
# family does not exist.  The count never changes: on a host where vss is
# loaded, the no-module cases run in a new network namespace (the family is
# not netns-aware, so it is not visible there); if that is not permitted
# they fail, saying why.
export LC_ALL=C
top=$(cd "$(dirname "$0")/../.." && pwd)
vssctl=$top/tools/vssctl/vssctl
n=0 failed=0
pre=()		# a command vssctl runs under (the no-module cases)
t() { # NAME EXPECTED-EXIT PATTERN ARGS... (PATTERN: ERE on stdout+stderr)
	local name=$1 code=$2 pat=$3 out rc
	shift 3
	out=$("${pre[@]}" "$vssctl" "$@" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ $rc = "$code" ] && { [ -z "$pat" ] || echo "$out" | grep -Eq "$pat"; }; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "#   exit $rc (expected $code): $(echo "$out" | head -3)"
		[ -n "${why:-}" ] && echo "#   $why"
		failed=$((failed + 1))
	fi
}

t "help" 0 '^Usage: vssctl \[OPTIONS\] OBJECT COMMAND' help
t "--help" 0 'Objects:' --help
t "-h" 0 'Objects:' -h
t "-V" 0 '^vssctl [0-9]+\.[0-9]+\.[0-9]+$' -V
t "no arguments" 2 'Usage' 
t "unknown object" 2 'unknown object "frob"' frob
t "unknown option" 2 'unknown option "-x"' -x lun list
t "lun help" 0 'vssctl lun add DEV --store STOREDEV' lun help
t "lun add --help" 0 '^Usage: vssctl lun add DEV' lun add --help
t "snapshot help" 0 'vssctl snapshot changes ID' snapshot help
t "session help" 0 'vssctl session show ID' session help
t "monitor help" 0 'vssctl monitor \[--count N\]' monitor help
t "abbreviated command" 2 'unknown lun command "ls"' lun ls
t "missing --store" 2 'Usage: vssctl lun add' lun add /dev/sdb
t "bad size suffix" 2 'invalid chunk size "64Q"' lun add /dev/sdb --store /dev/sdc --chunk-size 64Q
t "chunk size over 32 bits" 2 'invalid chunk size' lun add /dev/sdb --store /dev/sdc --chunk-size 8G
t "underivable name" 2 'use --name' lun add /dev/ --store /dev/sdc
t "abbreviated option" 2 'unknown option "--sto"' lun add /dev/sdb --sto /dev/sdc
t "bad snapshot id" 2 'invalid id "xyz"' snapshot show xyz
t "delete needs ID or --set" 2 'Usage: vssctl snapshot delete' snapshot delete
t "delete takes not both" 2 'Usage: vssctl snapshot delete' snapshot delete \
	00000000-0000-0000-0000-000000000001 --set 00000000-0000-0000-0000-000000000002
t "break needs --set" 2 'Usage: vssctl snapshot break --set SETID' snapshot break
t "break takes no ID" 2 'Usage: vssctl snapshot break' snapshot break \
	00000000-0000-0000-0000-000000000001
t "break: bad set id" 2 'snapshot break' snapshot break --set nope
t "bad timeout" 2 'invalid timeout' snapshot create a --timeout 0
t "bad count" 2 'invalid count' monitor --count x
t "bad offset" 2 'invalid offset' snapshot changes 00000000-0000-0000-0000-000000000001 --from 1.5G
t "writer help" 0 'vssctl writer exec --name NAME --lun LUN' writer help
t "writer exec needs --lun" 2 'Usage: vssctl writer exec' writer exec --name x -- /bin/true
t "writer exec needs a program or --hooks-dir" 2 'Usage: vssctl writer exec' writer exec --name x --lun a
t "writer exec: bad class id" 2 'invalid id "nope"' writer exec --name x --lun a --class-id nope -- /bin/true
t "writer exec: bad freeze timeout" 2 'invalid freeze timeout "0"' \
	writer exec --name x --lun a --freeze-timeout 0 -- /bin/true
t "writer exec: --name twice" 2 'given twice' writer exec --name x --name y --lun a -- /bin/true
t "writer exec: unreadable hooks dir" 2 '/nonexistent: No such file' \
	writer exec --name x --lun a --hooks-dir /nonexistent
t "snapshot create --no-writers takes no value" 2 'takes no value' snapshot create a --no-writers=1
t "recover help" 0 'vssctl recover .*SNAPSHOT_ID\[=DEST\]' recover help
t "resync help" 0 'vssctl resync wait DEST' resync help
t "recover needs a snapshot" 2 'Usage: vssctl recover' recover --wait
t "recover: bad snapshot id" 2 'invalid snapshot id in "xyz=/dev/sdb"' recover xyz=/dev/sdb
t "recover: empty destination" 2 'empty destination' recover 00000000-0000-0000-0000-000000000001=
t "recover: bad rate" 2 'invalid rate "fast"' recover --speed-max fast 00000000-0000-0000-0000-000000000001
t "resync wait needs DEST" 2 'Usage: vssctl resync wait' resync wait
t "resync speed needs a limit" 2 'Usage: vssctl resync speed' resync speed /dev/vss-db
# ---- no vss family (exit 3) ----
# vssctl itself tells whether the family is visible here (exit 3: it is not).
"$vssctl" lun list >/dev/null 2>&1
if [ $? != 3 ]; then
	if unshare -n true 2>/dev/null; then
		pre=(unshare -n)
	else
		why="vss is loaded on this host and no network namespace can be made (unshare -n): the no-module path cannot be tested here"
	fi
fi
t "no module: exit 3 with a hint" 3 'is the vss module loaded' lun list
t "no module, JSON: exit 3, nothing on stdout" 3 '' -j snapshot list
t "no module: recover, exit 3" 3 'is the vss module loaded' -j recover --wait 00000000-0000-0000-0000-000000000001
out=$("${pre[@]}" "$vssctl" -j lun list 2>/dev/null)
n=$((n + 1))
[ -z "$out" ] && echo "ok $n - a failed JSON command prints no JSON" ||
	{ echo "not ok $n - a failed JSON command prints no JSON"; failed=$((failed + 1))
	  [ -n "${why:-}" ] && echo "#   $why"; }

# snapshot changes feeds incremental backups: a failure is never a list
out=$("${pre[@]}" "$vssctl" -j snapshot changes 00000000-0000-0000-0000-000000000001 2>/dev/null)
rc=$?
n=$((n + 1))
[ -z "$out" ] && [ $rc != 0 ] && echo "ok $n - no module: -j snapshot changes prints nothing on stdout, exit $rc" ||
	{ echo "not ok $n - no module: -j snapshot changes prints nothing on stdout"
	  echo "#   exit $rc, stdout: $(echo "$out" | head -c 200)"; failed=$((failed + 1))
	  [ -n "${why:-}" ] && echo "#   $why"; }

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
