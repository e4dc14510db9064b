#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The engine through the command line: vssctl lun add / snapshot create /
# list / changes / delete / lun remove, with stamped data checked on every
# snapshot device; bad requests refused with the engine's reason; module
# unload with LUNs and snapshots present, then re-add: snapshots are back.
. "$(dirname "$0")/lib.sh"

work=/tmp/engine_cli
plan 13

command -v vssctl >/dev/null || { echo "1..0 # SKIP vssctl not built"; exit 4; }
command -v jq >/dev/null || { echo "1..0 # SKIP jq missing"; exit 4; }
load_vss || die "cannot load vss"
test_devs "virtio dmcrypt" 32 32 32 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]} D2=${DEVS[2]}
rm -rf $work && mkdir -p $work
cleanup() {
	for id in $(vssctl -j snapshot list --lun ec 2>/dev/null | jq -r '.[].id' 2>/dev/null); do
		vssctl snapshot delete "$id" >/dev/null 2>&1
	done
	vssctl lun remove ec >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT

# "ID /dev/DEVICE STATE" in creation order
snaps() {
	vssctl -j snapshot list --lun ec |
		jq -r 'sort_by(.seq) | .[] | "\(.id) \(.device) \(.state)"' |
		sed 's| \([^/ ][^ ]*\) | /dev/\1 |'
}

check "vssctl lun add" vssctl lun add $D0 --store $D1 --chunk-size 16K --name ec
udev_settle /dev/vss-ec
stamp fill /dev/vss-ec $work/map 1 >/dev/null || die "fill"
check "vssctl snapshot create (1)" vssctl snapshot create ec
cp $work/map $work/map.1
stamp write /dev/vss-ec $work/map 2 200 1 >/dev/null
check "vssctl snapshot create (2)" vssctl snapshot create ec
cp $work/map $work/map.2
stamp write /dev/vss-ec $work/map 3 200 2 >/dev/null
snaps >$work/list
if [ "$(wc -l <$work/list)" = 2 ] && [ "$(awk '{print $3}' $work/list | sort -u)" = ready ]; then
	ok "snapshot list shows two ready snapshots"
else
	fail "snapshot list shows two ready snapshots" "$(cat $work/list)"
fi
bad=""
for i in 1 2; do
	dev=$(sed -n "${i}p" $work/list | awk '{print $2}')
	udev_settle "$dev" && stamp verify "$dev" $work/map.$i >/dev/null || bad="$bad $i"
done
[ -z "$bad" ] && ok "snapshot devices read their point in time" ||
	fail "snapshot devices read their point in time" "wrong:$bad"
n=$(vssctl -j snapshot changes "$(head -1 $work/list | awk '{print $1}')" | jq 'length' 2>/dev/null)
[ "${n:-0}" -gt 0 ] && ok "snapshot changes lists extents ($n)" || fail "snapshot changes lists extents" "$n"

out=$(vssctl lun add $D2 --store $D0 --name ed 2>&1)
[ $? != 0 ] && echo "$out" | grep -qi "in use\|busy" && ok "store used by another LUN refused: $out" ||
	fail "store used by another LUN refused" "$out"
out=$(vssctl lun add $D2 --store $D2 --name ed 2>&1)
[ $? != 0 ] && echo "$out" | grep -qi "different\|same" && ok "store equal to backing refused: $out" ||
	fail "store equal to backing refused" "$out"
out=$(vssctl lun add $D2 --store $D1 --name ec 2>&1)
[ $? != 0 ] && ok "LUN added twice refused: $out" || fail "LUN added twice refused" "$out"

# unload with the LUN and its snapshots present; they come back on re-add
if rmmod vss && ! [ -e /dev/vss-ec ] && modprobe vss; then
	ok "module unloads with a LUN and snapshots present"
else
	fail "module unloads with a LUN and snapshots present"
fi
check "LUN re-added from its store" vssctl lun add $D0 --store $D1 --name ec
udev_settle /dev/vss-ec
snaps >$work/list2
bad=""
for i in 1 2; do
	dev=$(sed -n "${i}p" $work/list2 | awk '{print $2}')
	udev_settle "$dev" && stamp verify "$dev" $work/map.$i >/dev/null || bad="$bad $i"
done
stamp verify /dev/vss-ec $work/map >/dev/null || bad="$bad lun"
[ -z "$bad" ] && [ "$(wc -l <$work/list2)" = 2 ] && ok "snapshots and LUN exact after re-add" ||
	fail "snapshots and LUN exact after re-add" "wrong:$bad; $(cat $work/list2)"
bad=""
for id in $(awk '{print $1}' $work/list2); do vssctl snapshot delete "$id" >/dev/null || bad="$bad $id"; done
vssctl lun remove ec >/dev/null || bad="$bad lun"
[ -z "$bad" ] && ok "snapshots deleted, LUN removed" || fail "snapshots deleted, LUN removed" "$bad"
finish
