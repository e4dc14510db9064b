#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Corrupted stores: a real store (3 snapshots left of 4, so a delete
# record; in full runs a log checkpoint behind it) is damaged by
# store_mutate (bit flips, zeroed sectors, torn 4 KiB blocks, stale blocks
# of an older epoch, well-formed lying headers and records with their crc
# fixed up, damage in the free chunk area) and re-added,
# FAULT_CORRUPT_STORES times (20 under VSS_QUICK, 400 otherwise),
# FAULT_CORRUPT_MUTATIONS (3) mutations each.  Every time the engine either
# refuses with a message, adding no device, or accepts: then the LUN holds
# its data, only snapshots that existed are listed, and every snapshot
# listed ready reads exactly its point in time.  The expected contents of
# every snapshot ever taken are kept (map.s<seq>), the dropped ones too:
# a deleted snapshot that comes back (its drop lost with a damaged tail,
# an older consistent state) must read its own point in time as well;
# a sequence number never taken is a lie.  Never a kernel warning (the
# VM runner fails on any).
. "$(dirname "$0")/lib.sh"

ctl=engine_ctl
work=/tmp/fault_corrupt
if [ -n "${VSS_QUICK:-}" ]; then n=${FAULT_CORRUPT_STORES:-20}; else n=${FAULT_CORRUPT_STORES:-400}; fi
muts=${FAULT_CORRUPT_MUTATIONS:-3}
plan 5

load_vss || die "cannot load vss"
test_devs brd 1 4 || die "devices"
L=${DEVS[0]} S=${DEVS[1]}
rm -rf $work && mkdir -p $work
cleanup() {
	$ctl lun-del cs >/dev/null 2>&1
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT
snap() { # snap: one snapshot; its map saved as map.s<seq>, its id in $sid
	local out seq
	out=$($ctl snap cs) || return 1
	sid=$(echo "$out" | awk '{print $3}')
	seq=$($ctl snap-list cs | awk -v id="$sid" '$1 == id {print $4}')
	[ -n "$seq" ] || return 1
	cp $work/map $work/map.s$seq
}

# ---- a real store ------------------------------------------------------------
$ctl lun-add cs $L $S 4096 >/dev/null && udev_settle /dev/vss-cs || die "lun add"
stamp fill /dev/vss-cs $work/map 1 >/dev/null || die "fill"
snap || die "snapshot 1"
stamp write /dev/vss-cs $work/map 2 12 2 >/dev/null || die "write 2"
snap || die "snapshot 2"
dd if=$S of=$work/old.img bs=1M iflag=direct status=none || die "old image"
read -r _ e0 _ _ _ < <(store_mutate info $work/old.img)
stamp write /dev/vss-cs $work/map 3 12 3 >/dev/null || die "write 3"
snap || die "snapshot 3"
# full runs: snapshots made, the LUN rewritten, and dropped until the log
# is checkpointed (a new epoch: it takes some 33 blocks of records), so
# that the old image holds blocks of an older epoch; quick runs keep one
# epoch (the old image then holds older commits of it)
e=$e0 i=0
if [ -z "${VSS_QUICK:-}" ]; then
	for i in $(seq 40); do
		read -r _ e _ _ _ < <(store_mutate info $S)
		[ "$e" != "$e0" ] && break
		snap || die "snapshot"
		stamp fill /dev/vss-cs $work/map $((i + 10)) >/dev/null || die "fill"
		$ctl snap-del "$sid" >/dev/null || die "snap-del"
	done
	echo "# log epoch $e0 -> $e after $i snapshots made, the LUN rewritten, dropped"
fi
snap || die "snapshot 4"
stamp write /dev/vss-cs $work/map 99 12 99 >/dev/null || die "write 99"
# snapshot 2 deleted: a delete record, its chunks handed over to 1
$ctl snap-del "$($ctl snap-list cs | awk '$4 == 2 {print $1}')" >/dev/null || die "delete s2"
$ctl snap-list cs | awk '{print $4}' | sort -n | tr '\n' ' ' >$work/seqs
echo "# snapshots on the store: $(cat $work/seqs)"
$ctl lun-del cs >/dev/null || die "lun del"
dd if=$S of=$work/base.img bs=1M iflag=direct status=none || die "base image"
intact() {
	local s
	$ctl lun-add cs $L $S 4096 keep >/dev/null && udev_settle /dev/vss-cs || return 1
	for s in $($ctl snap-list cs | awk '{print $4 ":" $3}'); do
		stamp verify /dev/${s#*:} $work/map.s${s%%:*} >/dev/null || { $ctl lun-del cs; return 1; }
	done
	[ "$($ctl snap-list cs | wc -l)" = "$(wc -w <$work/seqs)" ] && $ctl lun-del cs >/dev/null
}
check "the intact store is accepted, every snapshot exact" intact
dd if=$work/base.img of=$S bs=1M oflag=direct status=none || die "restore"

# ---- damaged copies -------------------------------------------------------
refused=0 accepted=0 wrong=0 dropped=0 older=0 revived=0 badmsg=0 noluns=0 t0=$SECONDS
: >$work/muts
for i in $(seq "$n"); do
	dd if=$work/base.img of=$S bs=1M oflag=direct status=none || die "restore"
	store_mutate mutate $S "$i" $muts $work/old.img >$work/m 2>&1 || die "mutate: $(cat $work/m)"
	sed "s/^/$i /" $work/m >>$work/muts
	if ! $ctl lun-add cs $L $S 4096 keep >$work/out 2>$work/err; then
		refused=$((refused + 1))
		# a clear message, no device left behind
		grep -Eq 'engine_ctl: .*: .+: .+' $work/err || { badmsg=$((badmsg + 1))
			echo "# store $i refused without a reason: $(cat $work/err)"; }
		[ -e /sys/block/vss-cs ] && { noluns=$((noluns + 1)); echo "# store $i: refused but vss-cs exists"; }
		echo "$(head -c 160 $work/err | sed 's/^engine_ctl: //')" >>$work/reasons
		continue
	fi
	accepted=$((accepted + 1))
	udev_settle /dev/vss-cs
	grep -qw 2 <(cut -d' ' -f4 <($ctl snap-list cs)) && older=$((older + 1))
	# the LUN is never written by an add: checked every 10th store and last
	if [ $((i % 10)) = 0 ] && ! stamp verify /dev/vss-cs $work/map >/dev/null; then
		wrong=$((wrong + 1))
		echo "# store $i: the LUN's data changed ($(tr '\n' ';' <$work/m))"
	fi
	while read -r _ _ dev seq state _; do
		# a lost tail of the log may bring back a deleted snapshot (an
		# older consistent state); it must then read its point in time
		if [ ! -e $work/map.s$seq ]; then
			wrong=$((wrong + 1))
			echo "# store $i: snapshot s$seq never existed ($(tr '\n' ';' <$work/m))"
			continue
		fi
		[ "$seq" != 2 ] && ! grep -qw "$seq" $work/seqs && {
			revived=$((revived + 1))
			echo "# store $i: dropped snapshot s$seq is back, state $state ($(tr '\n' ';' <$work/m))"; }
		if [ "$state" = $SNAP_READY ]; then
			udev_settle /dev/$dev
			if ! stamp verify /dev/$dev $work/map.s$seq >$work/v 2>&1; then
				wrong=$((wrong + 1))
				echo "# store $i: snapshot s$seq is ready but reads wrong data ($(tr '\n' ';' <$work/m)): $(head -n 2 $work/v)"
			fi
		fi
	done < <($ctl snap-list cs)
	got=$($ctl snap-list cs | wc -l)
	[ "$got" -lt "$(wc -w <$work/seqs)" ] && dropped=$((dropped + 1))
	true
	$ctl lun-del cs >/dev/null 2>&1 || { wrong=$((wrong + 1)); echo "# store $i: lun remove failed"; }
done
echo "# $n stores x $muts mutations in $((SECONDS - t0)) s: $accepted accepted ($dropped with fewer snapshots, $older with the deleted one back, $revived with one dropped before the checkpoint back), $refused refused"
awk '{print $2}' $work/muts | sort | uniq -c | sed 's/^/#   mutations: /'
[ -s $work/reasons ] && sed -E 's/[0-9]+/N/g' $work/reasons | sort | uniq -c | sort -rn | head -n 8 | sed 's/^/#   refused: /'
echo "# fault-table: corrupt-store $n $((n - wrong - badmsg - noluns)) $wrong"
[ $((accepted + refused)) = "$n" ] && ok "$n damaged stores ($((n * muts)) mutations) accepted or refused" ||
	fail "$n damaged stores ($((n * muts)) mutations) accepted or refused"
[ $badmsg = 0 ] && [ $noluns = 0 ] && ok "every refusal says why and adds no device" ||
	fail "every refusal says why and adds no device" "$badmsg without a reason, $noluns with a device"
[ $wrong = 0 ] && ok "no accepted store returns wrong data" || fail "no accepted store returns wrong data" "$wrong"
dmesg | grep -qE 'WARNING|BUG|Oops' && fail "no kernel warning" "$(dmesg | grep -E -A3 'WARNING|BUG|Oops' | head)" ||
	ok "no kernel warning"
finish
