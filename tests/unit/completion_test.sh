#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host test of tools/vssctl/vssctl.bash-completion with a stand-in vssctl
# and a minimal _init_completion (bash-completion itself is not required).
export LC_ALL=C
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0 failed=0

vssctl() {
	case "$*" in
	"lun list") printf 'db: device /dev/vss-db backing sdb\nlogs: device /dev/vss-logs backing sdc\n' ;;
	"snapshot list") printf '1111-aa set 9999-ss lun db device /dev/vss-db-s1\n2222-bb set 9999-ss lun logs device /dev/vss-logs-s1\n' ;;
	"session list") printf '5555-se state initialized portid 7\n' ;;
	"resync list") printf 'db: destination /dev/vss-db snapshot 1111-aa state running\nlogs: destination /dev/sdx snapshot 2222-bb state done\n' ;;
	esac
}
_init_completion() {
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
}
compopt() { :; }
complete() { :; }
. "$top/tools/vssctl/vssctl.bash-completion"

# expect "WORDS..." "EXPECTED REPLIES" (sorted, space separated)
expect() {
	local got
	read -r -a COMP_WORDS <<< "$1"
	COMP_CWORD=${#COMP_WORDS[@]}
	[[ $1 == *" " ]] && COMP_WORDS+=("") || COMP_CWORD=$((COMP_CWORD - 1))
	COMPREPLY=()
	_vssctl
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
	n=$((n + 1))
	if [ "$got" = "$2" ]; then
		echo "ok $n - '$1'"
	else
		echo "not ok $n - '$1': got '$got', expected '$2'"
		failed=$((failed + 1))
	fi
}

expect "vssctl " "--json --pretty --version -V -j -p help lun monitor recover resync session snapshot writer"
expect "vssctl l" "lun"
expect "vssctl lun " "add help list remove show"
expect "vssctl -j lun sh" "show"
expect "vssctl lun show " "db logs"
expect "vssctl lun show db " ""
expect "vssctl lun add /dev/null --" "--chunk-size --format --name --persist --store"
expect "vssctl lun add /dev/null --chunk-size 6" "64K"
expect "vssctl snapshot create d" "db"
expect "vssctl snapshot delete " "1111-aa 2222-bb"
expect "vssctl snapshot delete --set " "9999-ss"
expect "vssctl snapshot list --lun " "db logs"
expect "vssctl snapshot changes 1111-aa --" "--from"
expect "vssctl session show " "5555-se"
expect "vssctl monitor --" "--count"
expect "vssctl snapshot create db --" "--no-writers --timeout"
expect "vssctl writer " "exec help list"
expect "vssctl writer exec --" "-- --class-id --freeze-timeout --hooks-dir --lun --name"
expect "vssctl writer exec --name x --lun " "db logs"
expect "vssctl writer exec --name x --lun db -- --" ""
expect "vssctl recover " "1111-aa 2222-bb help"
expect "vssctl recover --wait 1111-aa " "1111-aa 2222-bb help"
expect "vssctl recover --k" "--keep-current"
expect "vssctl resync " "cancel help list show speed wait"
expect "vssctl resync wait " "/dev/sdx /dev/vss-db"
expect "vssctl resync speed /dev/vss-db --m" "--max --min"

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
