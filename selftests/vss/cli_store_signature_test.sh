#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "vssctl lun add" does not format a store device that holds someone's
# data: an ext4 file system, an MBR partition table or an LVM physical
# volume label is refused with a message naming it (exit 1), the device is
# left as it was, and --format overwrites it.  A blank device and an
# existing vss store (with its data) are accepted without --format.
. "$(dirname "$0")/lib.sh"

work=/tmp/cli_store_signature
plan 20

rm -rf $work && mkdir -p $work
cleanup() {
	vssctl lun remove sg >/dev/null 2>&1
	vssctl lun remove sb >/dev/null 2>&1
	unload_vss
	rmmod brd 2>/dev/null
}
trap cleanup EXIT

for p in mkfs.ext4 e2fsck blkid; do
	command -v $p >/dev/null || die "$p is not in the guest (tools/vm/guest-files)"
done
load_vss || die "cannot load vss"
# ram0/ram1: backing/store of "sg"; ram2 blank store, ram3 its backing;
# ram4 gets an MBR, ram5 an LVM label
ramdisks 6 32

# fstype DEV: what blkid sees (low-level probe, no cache)
fstype() { blkid -p -o value -s TYPE "$1" 2>/dev/null; }
pttype() { blkid -p -o value -s PTTYPE "$1" 2>/dev/null; }
no_lun() { ! vssctl -j lun list | jq -e 'any(.[]; .name == "'"$1"'")' >/dev/null && [ ! -e /dev/vss-$1 ]; }

# ---- an ext4 file system ----
mkfs.ext4 -q -F /dev/ram1 || die "mkfs.ext4"
sha_before=$(sha_range /dev/ram1 0 $((1 << 20)))
expect "ext4 store: refused with exit 1, naming the file system and --format" 1 \
	'^vssctl: lun add: store /dev/ram1 holds an ext4 filesystem; use --format to overwrite it$' \
	vssctl lun add /dev/ram0 --store /dev/ram1 --name sg
[ ! -s $work/out ] && ok "a refused add prints nothing on stdout" ||
	fail "a refused add prints nothing on stdout" "$(head -c 200 $work/out)"
no_lun sg && ok "no LUN was created" || fail "no LUN was created" "$(vssctl lun list 2>&1)"
check "the ext4 file system is intact (e2fsck -fn)" e2fsck -fn /dev/ram1
[ "$(fstype /dev/ram1)" = ext4 ] && [ "$(sha_range /dev/ram1 0 $((1 << 20)))" = "$sha_before" ] &&
	ok "blkid still sees ext4, the first MiB is unchanged" ||
	fail "blkid still sees ext4, the first MiB is unchanged" "TYPE=$(fstype /dev/ram1)"
expect "JSON mode: refused the same way" 1 'holds an ext4 filesystem' \
	vssctl -j lun add /dev/ram0 --store /dev/ram1 --name sg
[ ! -s $work/out ] && ok "JSON mode: nothing on stdout" ||
	fail "JSON mode: nothing on stdout" "$(head -c 200 $work/out)"

# ---- --format overwrites it ----
out=$(vssctl lun add /dev/ram0 --store /dev/ram1 --name sg --chunk-size 4K --format 2>&1)
[ $? = 0 ] && [ "$out" = /dev/vss-sg ] && udev_settle /dev/vss-sg &&
	ok "--format: the ext4 store is taken" || fail "--format: the ext4 store is taken" "$out"
stamp fill /dev/vss-sg $work/map 1 >/dev/null &&
	vssctl -j snapshot create sg >$work/snap && stamp write /dev/vss-sg $work/map 2 64 7 >/dev/null
check "data through the LUN, one snapshot" stamp verify /dev/vss-sg $work/map
check "lun remove" vssctl lun remove sg
t=$(fstype /dev/ram1)
[ -z "$t" ] && ok "the store no longer looks like ext4 to blkid" ||
	fail "the store no longer looks like ext4 to blkid" "TYPE=$t (the format leaves it)"

# ---- an existing vss store: accepted without --format, data and snapshot back ----
expect "an existing vss store is accepted without --format" 0 '' \
	vssctl lun add /dev/ram0 --store /dev/ram1 --name sg
udev_settle /dev/vss-sg
check "the LUN reads its data after the re-add" stamp verify /dev/vss-sg $work/map
id=$(jq -r '.snapshots[0].id' $work/snap 2>/dev/null)
vssctl -j snapshot show "$id" >$work/show 2>&1 && jqe '.lun == "sg"' $work/show &&
	ok "its snapshot is back" || fail "its snapshot is back" "$(head -c 300 $work/show)"
delete_all_snapshots
check "lun remove (vss store)" vssctl lun remove sg

# ---- a blank device ----
expect "a blank store is accepted without --format" 0 '' \
	vssctl lun add /dev/ram3 --store /dev/ram2 --name sb
check "lun remove (blank store)" vssctl lun remove sb

# ---- an MBR partition table (one Linux partition at 1 MiB) ----
{
	head -c 446 /dev/zero
	printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x20\x00\x00'
	head -c 48 /dev/zero
	printf '\x55\xaa'
} >$work/mbr
dd if=$work/mbr of=/dev/ram4 bs=512 count=1 conv=notrunc oflag=direct status=none || die "write MBR"
sha_before=$(sha_range /dev/ram4 0 $((1 << 20)))
[ "$(pttype /dev/ram4)" = dos ] || echo "# blkid PTTYPE of ram4: $(pttype /dev/ram4)"
expect "MBR store: refused, naming the partition table" 1 \
	'store /dev/ram4 holds a dos partition table; use --format to overwrite it' \
	vssctl lun add /dev/ram3 --store /dev/ram4 --name sb
[ "$(sha_range /dev/ram4 0 $((1 << 20)))" = "$sha_before" ] && [ "$(pttype /dev/ram4)" = dos ] &&
	no_lun sb && ok "the partition table is unchanged, no LUN" ||
	fail "the partition table is unchanged, no LUN" "PTTYPE=$(pttype /dev/ram4)"

# ---- an LVM2 physical volume label (sector 1) ----
{
	head -c 512 /dev/zero
	printf 'LABELONE\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\x00\x00\x00LVM2 001'
	printf '0123456789abcdefghijklmnopqrstuv'
} >$work/lvm
dd if=$work/lvm of=/dev/ram5 bs=1024 count=1 conv=notrunc oflag=direct status=none || die "write LVM label"
expect "LVM store: refused, naming LVM2_member" 1 \
	'store /dev/ram5 holds an LVM2_member signature \(RAID or volume manager member\); use --format' \
	vssctl lun add /dev/ram3 --store /dev/ram5 --name sb

finish
