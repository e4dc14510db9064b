#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vssctl: help and usage errors, "lun add/list/show/remove" in text and
# JSON, data through the LUN it creates, and every error path printing the
# kernel's extended-ACK message with its documented exit code.
. "$(dirname "$0")/lib.sh"

work=/tmp/cli_lun
plan 26

rm -rf $work && mkdir -p $work
cleanup() {
	exec 3<&- 2>/dev/null
	vssctl lun remove cl >/dev/null 2>&1
	vssctl lun remove ram2 >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

# ---- without the module ----
unload_vss
expect "module not loaded: exit 3 and a hint" 3 "vss module loaded" vssctl lun list

# ---- help and usage (exit 0 / 2), no module needed ----
help_ok=1
for args in "help" "--help" "lun help" "lun add help" "snapshot help" \
	"snapshot create --help" "session help" "monitor help"; do
	# shellcheck disable=SC2086
	if ! vssctl $args >$work/out 2>&1 || ! grep -q "Usage" $work/out; then
		help_ok=0
		echo "# vssctl $args: $(head -c 200 $work/out)"
	fi
done
[ $help_ok = 1 ] && ok "help at every level" || fail "help at every level"

usage_ok=1
for args in "" "bogus" "lun" "lun ad" "lun addx" "lun add /dev/ram0" \
	"lun add /dev/ram0 --store /dev/ram1 --chunk-size 64X" \
	"lun add /dev/ram0 --store" "lun show" "lun show a b" "-x lun list" \
	"snapshot show not-an-id" "snapshot delete" "monitor --count 0"; do
	# shellcheck disable=SC2086
	vssctl $args >/dev/null 2>&1
	rc=$?
	if [ $rc != 2 ]; then
		usage_ok=0
		echo "# vssctl $args: exit $rc, expected 2"
	fi
done
[ $usage_ok = 1 ] && ok "usage errors exit 2" || fail "usage errors exit 2"

load_vss || die "cannot load vss"
ramdisks 4 32

# ---- add ----
out=$(vssctl lun add /dev/ram0 --store /dev/ram1 --chunk-size 64K --name cl --format 2>&1)
[ $? = 0 ] && [ "$out" = /dev/vss-cl ] && ok "lun add prints the device path" ||
	fail "lun add prints the device path" "$out"
udev_settle /dev/vss-cl
[ -b /dev/vss-cl ] && [ "$(blockdev --getsize64 /dev/vss-cl)" = "$(blockdev --getsize64 /dev/ram0)" ] &&
	ok "the device exists with the backing size" ||
	fail "the device exists with the backing size"

stamp fill /dev/vss-cl $work/map 1 >/dev/null && stamp verify /dev/ram0 $work/map >/dev/null
[ $? = 0 ] && ok "data written to the device reaches the backing device" ||
	fail "data written to the device reaches the backing device"

out=$(vssctl lun add /dev/ram2 --store /dev/ram3 2>&1)
[ "$out" = /dev/vss-ram2 ] && ok "lun add derives the name from the device" ||
	fail "lun add derives the name from the device" "$out"

# ---- list / show, text and JSON ----
vssctl lun list >$work/out 2>&1
grep -q '^cl: device /dev/vss-cl backing ram0 store ram1 chunk_size 64K ' $work/out &&
	grep -q '^ram2: device /dev/vss-ram2 ' $work/out &&
	ok "lun list (text)" || fail "lun list (text)" "$(cat $work/out)"

vssctl -j lun list >$work/out 2>&1
if jqe 'length == 2 and
	(.[] | select(.name == "cl") | .device == "/dev/vss-cl" and
	 .backing == "ram0" and .store == "ram1" and .chunk_size == 65536 and
	 .size == 33554432 and (.store_size | type) == "number" and
	 .store_size > 0 and (.store_used | type) == "number" and
	 .snapshots == 0 and .busy == false)' $work/out >/dev/null; then
	ok "lun list (JSON fields)"
else
	fail "lun list (JSON fields)" "$(cat $work/out)"
fi

vssctl -j -p lun show cl >$work/out 2>&1
[ "$(wc -l < $work/out)" -gt 5 ] && jqe '.name == "cl" and .chunk_size == 65536' $work/out >/dev/null &&
	ok "lun show (pretty JSON)" || fail "lun show (pretty JSON)" "$(cat $work/out)"

vssctl lun show cl >$work/out 2>&1
grep -q '^cl: device /dev/vss-cl ' $work/out && ok "lun show (text)" ||
	fail "lun show (text)" "$(cat $work/out)"

# ---- errors carry the kernel's message ----
expect "chunk size 3000: kernel's range message, exit 10" 10 \
	'lun add: .*out of range.*chunk-size' \
	vssctl lun add /dev/ram2 --store /dev/ram3 --name x --chunk-size 3000
expect "chunk size 12K: not a power of two, exit 10" 10 \
	'lun add: Chunk size must be a power of two' \
	vssctl lun add /dev/ram2 --store /dev/ram3 --name x --chunk-size 12K
expect "bad LUN name: exit 10" 10 'lun add: LUN name must be' \
	vssctl lun add /dev/ram2 --store /dev/ram3 --name 'a-b'
expect "duplicate name: exit 7" 7 'lun add: a LUN with this name exists' \
	vssctl lun add /dev/ram2 --store /dev/ram3 --name cl
expect "missing backing device: exit 5" 5 'lun add: backing device not found' \
	vssctl lun add /dev/nonexistent --store /dev/ram3 --name x
expect "backing device in use: exit 6" 6 'lun add: .*' \
	vssctl lun add /dev/ram0 --store /dev/ram3 --name x
expect "show unknown LUN: exit 5 with the HRESULT" 5 \
	'lun show: No such LUN .*VSS_E_OBJECT_NOT_FOUND' vssctl lun show nosuch
expect "remove unknown LUN: exit 5" 5 'lun remove: No such LUN' \
	vssctl lun remove nosuch

# ---- permissions: every operation needs CAP_SYS_ADMIN ----
if command -v setpriv >/dev/null; then
	expect "unprivileged user: exit 4 with the kernel's reason" 4 \
		'lun list: .*CAP_SYS_ADMIN' \
		setpriv --reuid=65534 --regid=65534 --clear-groups vssctl lun list
	expect "root without CAP_SYS_ADMIN: exit 4" 4 'lun remove: .*CAP_SYS_ADMIN' \
		setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin vssctl lun remove cl
else
	# a check that cannot run fails (setpriv comes with tools/vm/guest-files)
	fail "unprivileged user: exit 4 with the kernel's reason" "no setpriv in the guest"
	fail "root without CAP_SYS_ADMIN: exit 4" "no setpriv in the guest"
fi

exec 3</dev/vss-cl
expect "remove an open LUN: exit 6" 6 'lun remove: LUN device is open' \
	vssctl lun remove cl
exec 3<&-

# ---- remove ----
expect "lun remove" 0 "" vssctl lun remove cl
vssctl -j lun list >$work/out 2>&1
jqe 'length == 1 and .[0].name == "ram2"' $work/out >/dev/null &&
	ok "the removed LUN is gone from the list" ||
	fail "the removed LUN is gone from the list" "$(cat $work/out)"

# the store keeps what was written: re-adding finds the same data
out=$(vssctl lun add /dev/ram0 --store /dev/ram1 --name cl 2>&1)
udev_settle /dev/vss-cl
[ "$out" = /dev/vss-cl ] && stamp verify /dev/vss-cl $work/map >/dev/null &&
	[ "$(vssctl -j lun show cl | jq .chunk_size)" = 65536 ] &&
	ok "re-added LUN keeps its data and chunk size from the store" ||
	fail "re-added LUN keeps its data and chunk size from the store" "$out"

vssctl lun remove cl && vssctl lun remove ram2
vssctl -j lun list >$work/out 2>&1
[ "$(cat $work/out)" = "[]" ] && ok "empty list is [] in JSON" ||
	fail "empty list is [] in JSON" "$(cat $work/out)"

finish
