#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 64 snapshots of one LUN (16 under VSS_QUICK) with writes between each:
# all read back their point in time; deleting them in random order
# (handover) keeps the others exact; the survivors come back exact after
# the LUN is removed and re-added with its store (log replay runs the same
# merge).
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_many
N=${VSS_QUICK:+16}
N=${N:-64}
plan 7

load_vss || die "cannot load vss"
# an 8 MiB LUN keeps verification cheap; 128 MiB of store
test_devs loop 8 128 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]}
rm -rf $work && mkdir -p $work
cleanup() {
	$ctl lun-del em >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT

check "lun add" $ctl lun-add em $D0 $D1 4096
udev_settle /dev/vss-em
stamp fill /dev/vss-em $work/map 1 >/dev/null || die "fill"

ok_all=1
for i in $(seq 1 $N); do
	out=$($ctl snap em) || { ok_all=0; echo "# snapshot $i: $out"; break; }
	echo "$out" | awk '{print $3, $2}' >>$work/ids
	cp $work/map $work/map.$i
	stamp write /dev/vss-em $work/map $((i + 1)) 40 $i 0 2048 16 >/dev/null || ok_all=0
done
[ $ok_all = 1 ] && [ "$(wc -l <$work/ids)" = $N ] && ok "$N snapshots taken with writes between" ||
	fail "$N snapshots taken with writes between"

verify_snap() { # seq
	local dev
	dev=/dev/$(sed -n "${1}p" $work/ids | awk '{print $2}')
	udev_settle "$dev" && stamp verify "$dev" $work/map.$1 >/dev/null
}
bad=""
for i in $(seq 1 $N); do verify_snap $i || bad="$bad $i"; done
[ -z "$bad" ] && ok "all $N snapshots read their point in time" ||
	fail "all $N snapshots read their point in time" "wrong:$bad"

# random deletion order; after each delete check the neighbours (the
# snapshot that received the handover and the next one), all every 16
alive=$(seq 1 $N)
order=$(seq 1 $N | awk 'BEGIN { srand(7) } { print rand(), $1 }' | sort -n | awk '{print $2}')
bad=""
n=0
for d in $order; do
	[ $n -ge $((N - 8)) ] && break
	id=$(sed -n "${d}p" $work/ids | awk '{print $1}')
	$ctl snap-del "$id" >/dev/null || bad="$bad del$d"
	alive=$(echo "$alive" | grep -vx "$d")
	n=$((n + 1))
	prev=$(echo "$alive" | awk -v d=$d '$1 < d' | tail -1)
	next=$(echo "$alive" | awk -v d=$d '$1 > d' | head -1)
	for s in $prev $next; do verify_snap $s || bad="$bad $s@$n"; done
	if [ $((n % 16)) = 0 ]; then
		for s in $alive; do verify_snap $s || bad="$bad $s@$n"; done
	fi
done
[ -z "$bad" ] && ok "random-order deletes keep the others exact ($n deleted)" ||
	fail "random-order deletes keep the others exact" "wrong:$bad"
check "LUN still reads the latest data" stamp verify /dev/vss-em $work/map

# replay: remove, re-add with the same store, survivors verify
$ctl lun-del em && $ctl lun-add em $D0 $D1 0 keep
udev_settle /dev/vss-em
left=$($ctl snap-list em | wc -l)
[ "$left" = "$(echo "$alive" | wc -l)" ] && ok "re-added LUN has its $left snapshots back" ||
	fail "re-added LUN has its snapshots back" "$left listed, $(echo "$alive" | wc -l) expected"
bad=""
for s in $alive; do verify_snap $s || bad="$bad $s"; done
[ -z "$bad" ] && ok "snapshots exact after re-add" || fail "snapshots exact after re-add" "wrong:$bad"
finish
