#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ext4 on a protected LUN, files being written while snapshots are taken
# (the snapshot set freezes the file system): every snapshot device passes
# "e2fsck -fn", mounts read-only, and every file it holds whose checksum
# file is there too has the recorded content.
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/engine_ext4
N=${VSS_QUICK:+2}
N=${N:-6}
plan $((3 + 3 * N + 1))

load_vss || die "cannot load vss"
test_devs "dmcrypt" 96 96 || die "devices"
D0=${DEVS[0]} D1=${DEVS[1]}
rm -rf $work && mkdir -p $work /mnt/ex
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	umount /mnt/exs 2>/dev/null
	umount /mnt/ex 2>/dev/null
	for id in $(cat $work/ids 2>/dev/null); do $ctl snap-del "$id" >/dev/null 2>&1; done
	$ctl lun-del ex >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT

check "lun add" $ctl lun-add ex $D0 $D1
udev_settle /dev/vss-ex
check "mkfs.ext4 on the LUN" mkfs.ext4 -q -F /dev/vss-ex
check "mount" mount /dev/vss-ex /mnt/ex

# writer: file i, then its checksum file; deletes old files to keep going
writer() {
	local i=0 f
	while :; do
		f=/mnt/ex/d$((i % 8))/f$i
		mkdir -p "${f%/*}"
		head -c $((4096 * (1 + i % 37))) /dev/urandom >"$f.tmp" 2>/dev/null || break
		mv "$f.tmp" "$f"
		sha256sum <"$f" | cut -d' ' -f1 >"$f.sha"
		[ $((i % 10)) = 0 ] && sync
		[ $i -ge 200 ] && rm -f "/mnt/ex/d$(((i - 200) % 8))/f$((i - 200))" "/mnt/ex/d$(((i - 200) % 8))/f$((i - 200)).sha"
		i=$((i + 1))
	done
}
writer &
wpid=$!

mkdir -p /mnt/exs
for n in $(seq 1 $N); do
	sleep 2
	out=$($ctl snap ex 2>&1)
	if [ $? != 0 ]; then
		fail "snapshot $n while writing" "$out"
		fail "e2fsck -fn on snapshot $n" "no snapshot"
		fail "files on snapshot $n match their checksums" "no snapshot"
		continue
	fi
	ok "snapshot $n while writing"
	echo "$out" | awk '{print $3}' >>$work/ids
	dev=/dev/$(echo "$out" | awk '{print $2}')
	udev_settle "$dev"
	check "e2fsck -fn on snapshot $n" e2fsck -fn "$dev"
	bad=0 seen=0
	if mount -o ro "$dev" /mnt/exs; then
		for s in /mnt/exs/d*/f*.sha; do
			[ -e "$s" ] || continue
			f=${s%.sha}
			[ -e "$f" ] || continue
			[ -s "$s" ] || continue	# checksum file created, not written yet
			seen=$((seen + 1))
			[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(cat "$s")" ] || bad=$((bad + 1))
		done
		umount /mnt/exs
	else
		bad=-1
	fi
	[ $bad = 0 ] && [ $seen -gt 0 ] && ok "files on snapshot $n match their checksums ($seen)" ||
		fail "files on snapshot $n match their checksums" "bad=$bad seen=$seen"
done
kill $wpid 2>/dev/null
wait $wpid 2>/dev/null
wpid=
umount /mnt/ex
check "e2fsck -fn on the LUN after the run" e2fsck -fn /dev/vss-ex
finish
