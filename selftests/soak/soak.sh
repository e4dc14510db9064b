#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Soak (make soak MINUTES=N; tools/soak boots the VM): SOAK_MINUTES of
#  - fio (libaio, O_DIRECT, random writes verified with crc32c) at iodepth
#    1, 4, 16 and 32 on the first half of 4 LUNs (l0..l3), in 15 s runs
#    at 256 KiB/s each (--disk_util=0: fio's disk statistics look up every
#    disk in /sys/block at each run, and the dentries and inodes of
#    snapshot disks deleted since stay cached);
#  - every SOAK_SET_INTERVAL seconds: stamped writes on the second half of
#    each LUN, a snapshot set of the 4 LUNs (vssctl snapshot create) and
#    the oldest set deleted when more than SOAK_KEEP are left (rolling);
#    the stores (24 MiB for 32 MiB LUNs) fill, and the kernel deletes the
#    oldest snapshot of a full store on its own (store-full): reclaiming;
#  - after each set, in turn: a CBT query (vssctl snapshot changes: every
#    stamped block written since the snapshot lies in a reported range),
#    a snapshot read (stamp verify of the whole snapshot), a resync copy
#    of a snapshot onto another LUN (vssctl recover ID=dst --wait; the
#    copy reads as the snapshot), a revert of a LUN onto its newest
#    snapshot (its fio stopped for it; the LUN then reads as the
#    snapshot);
#  - every SOAK_SAMPLE seconds (60): MemAvailable, AnonPages, Shmem,
#    SUnreclaim, Slab and each store's use, printed as "soak-sample:"
#    lines.
# Passes when every check above held, fio reported no error and no
# verification failure, the kernel log has no warning, RAM is flat, and
# after the teardown no object that vss allocated is live.  RAM is vss's
# own memory: with slub_debug=U on the kmalloc caches (tools/soak), the
# live kmalloc objects whose allocation stack holds a vss.ko frame, from
# the middle of the run to its end, may grow at most SOAK_VSS_SLOPE
# KiB/min (4; a leak of 1 KiB per set at a set every 5 s would be 12),
# and the Theil-Sen slope of MemTotal - MemAvailable - AnonPages (every
# sample; SOAK_WINDOW=N takes the minima of windows of N samples instead) over the last half (at
# least 6 samples) is at most SOAK_USED_SLOPE KiB/min (64).  Without the traces, the slope of SUnreclaim
# (SOAK_SUNRECL_SLOPE, 16) stands in for vss's objects: it holds every
# kmalloc user's objects.  After the unload, the objects of stacks with a
# vss.ko frame that were not live before vss and its dependencies were
# loaded must be gone within SOAK_SETTLE seconds (30; caches dropped).
. "$(dirname "$0")/../lib.sh"

minutes=${SOAK_MINUTES:-10}
interval=${SOAK_SET_INTERVAL:-5}
keep=${SOAK_KEEP:-3}
sample=${SOAK_SAMPLE:-60}
sl_sunrecl=${SOAK_SUNRECL_SLOPE:-16}
sl_used=${SOAK_USED_SLOPE:-64}
sl_vss=${SOAK_VSS_SLOPE:-4}
work=/tmp/soak
depths=(1 4 16 32)
bss=(4k 16k 64k 8k)
nluns=4
# blocks of 4 KiB: fio writes [0, half), stamp [half, end)
lunmb=32 storemb=24
half=$((lunmb * 256 / 2))
plan 10

# slab_sample TAG [traces]: the bytes of live objects of every slab
# cache (/proc/slabinfo: active_objs * objsize) in $work/slab.TAG; with
# "traces" and slub_debug=U on the kmalloc caches (tools/soak boots with
# it), also the live objects whose allocation stack passes through
# vss.ko, from /sys/kernel/debug/slab/kmalloc-*/alloc_traces: "CACHE
# OBJSIZE COUNT VSS_FRAME" lines (the innermost vss.ko frame of the
# stack) in $work/vss.TAG, their bytes appended to $work/vss.samples as
# "SECONDS BYTES", and their whole stacks in $work/stk.TAG as "CACHE
# COUNT FRAME<FRAME<..." lines.  vss allocates its objects with kmalloc
# (no cache of its own).  A walk of every object of a cache: taken a few
# times (before the load, the middle of the run, its end, after the
# unload), not every minute.
slabdbg=/sys/kernel/debug/slab
slab_sample() {
	local f c
	awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo >$work/slab.$1
	[ "${2:-}" = traces ] && [ -d $slabdbg ] || return 0
	: >$work/vss.$1
	: >$work/stk.$1
	for f in $slabdbg/kmalloc-*/alloc_traces; do
		c=${f%/alloc_traces}
		c=${c##*/}
		# a frame of vss.ko: "FN+OFF/LEN [vss]", or a bare module
		# address once vss is unloaded; one entry (a stack and its
		# count) per paragraph
		cat "$f" 2>/dev/null | awk -v RS= -v c="$c" -v sz="$(cat /sys/kernel/slab/$c/object_size 2>/dev/null || echo 0)" \
			-v stk=$work/stk.$1 '
			function vss(f, m) { return m == "[vss]" || f ~ /^0xffffffff[a-f][0-9a-f]+$/ }
			{ k = split($0, l, "\n"); split(l[1], h, " "); vf = ""; st = ""
			  if (vss(h[2], h[3])) vf = h[2]
			  for (i = 2; i <= k; i++) {
				n = split(l[i], w, " ")
				if (!n) continue
				if (vf == "" && vss(w[1], w[2])) vf = w[1]
				st = st (st == "" ? "" : "<") w[1]
			  }
			  if (vf == "") next
			  print c, sz, h[1], vf
			  print c, h[1], st >>stk }' >>$work/vss.$1
	done
	echo "$SECONDS $(awk '{ b += $2 * $3 } END { print b + 0 }' $work/vss.$1)" >>$work/vss.samples
}
# vss_new FROM TO: the entries of stk.TO whose stack has more live
# objects than in stk.FROM ("COUNT CACHE STACK"): what vss allocated since
# FROM and did not free
vss_new() {
	awk 'NR == FNR { a[$1 " " $3] += $2; next } { b[$1 " " $3] += $2 }
		END { for (k in b) if (b[k] > a[k]) print b[k] - a[k], k }' $work/stk.$1 $work/stk.$2
}
# slab_growth FROM TO: caches whose live bytes grew most from slab.FROM
# to slab.TO (KiB), and with traces the vss.ko frames whose live objects
# grew
slab_growth() {
	awk 'NR == FNR { a[$1] = $2; next } { d = $2 - a[$1]; if (d > 0) printf "%s %.1f\n", $1, d / 1024 }' \
		$work/slab.$1 $work/slab.$2 | sort -k2 -rn | head -n 8 | tr '\n' ' '
	echo
	[ -s $work/vss.$2 ] || return 0
	[ -e $work/vss.$1 ] || return 0
	awk 'NR == FNR { a[$4 " " $1] += $3 * $2; next } { b[$4 " " $1] += $3 * $2 }
		END { for (k in b) if (b[k] != a[k]) printf "%s %+.1f\n", k, (b[k] - a[k]) / 1024
		      for (k in a) if (!(k in b)) printf "%s %+.1f\n", k, -a[k] / 1024 }' \
		$work/vss.$1 $work/vss.$2 | sort -k3 -rn | head -n 10 | tr '\n' ';'
	echo
}
rm -rf $work && mkdir -p $work
grep -q ' /sys/kernel/debug debugfs ' /proc/mounts || mount -t debugfs none /sys/kernel/debug
modprobe dm-mod
# vss's dependencies (libcrc32c and its crc32c drivers) first: what they
# allocate in their init (libcrc32c's crc32c tfm, whose frame is a bare
# address once their init code is freed, the address vss may be loaded
# at) is theirs, in the baseline, and they stay loaded after vss goes
modprobe --show-depends vss | awk '$1 == "insmod" { print $2 }' | grep -v '/vss\.ko' |
	while read -r m; do insmod "$m" 2>/dev/null; done
sync; echo 3 >/proc/sys/vm/drop_caches
slab_sample pre traces
unr_pre=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
load_vss || die "cannot load vss"
# l0..l3 and their stores, dst and its store, on virtio partitions
test_devs virtio $lunmb $storemb $lunmb $storemb $lunmb $storemb $lunmb $storemb $lunmb 8 ||
	die "devices"
fiopids=()
cleanup() {
	local i
	touch $work/stop
	for i in "${fiopids[@]}"; do kill "$i" 2>/dev/null; done
	wait 2>/dev/null
	delete_all_snapshots
	for i in l0 l1 l2 l3 dst; do vssctl lun remove $i >/dev/null 2>&1; done
	unload_vss
	vss_devs_cleanup
}
trap cleanup EXIT
for i in $(seq 0 $((nluns - 1))); do
	vssctl lun add "${DEVS[$((2 * i))]}" --store "${DEVS[$((2 * i + 1))]}" --chunk-size 16K \
		--name l$i >/dev/null && udev_settle /dev/vss-l$i || die "lun add l$i"
	stamp fill /dev/vss-l$i $work/map.l$i 1 $half $half >/dev/null || die "fill l$i"
done
vssctl lun add "${DEVS[8]}" --store "${DEVS[9]}" --chunk-size 16K --name dst >/dev/null &&
	udev_settle /dev/vss-dst || die "lun add dst"

# fio on LUN I, 15 s runs until $work/stop or $work/stop.lI; every run's
# status and output kept (fio.lI.N)
fio_loop() {
	local i=$1 n=0
	while [ ! -e $work/stop ] && [ ! -e $work/stop.l$i ]; do
		n=$((n + 1))
		fio --name=l$i --filename=/dev/vss-l$i --direct=1 --ioengine=libaio \
			--iodepth=${depths[$i]} --rw=randwrite --bs=${bss[$i]} --offset=0 \
			--size=$((half * 4))k --time_based --runtime=15 --rate=256k \
			--verify=crc32c --verify_backlog=64 --randrepeat=0 --disk_util=0 \
			--output-format=terse --terse-version=3 >$work/fio.l$i.out 2>&1
		# status, fio's error field (terse v3: field 5)
		echo "$? $(grep -m1 '^3;' $work/fio.l$i.out | cut -d';' -f5)" >>$work/fio.l$i.status
	done
}
start_fio() { rm -f $work/stop.l$1; fio_loop "$1" & fiopids[$1]=$!; }
stop_fio() { touch $work/stop.l$1; wait "${fiopids[$1]}"; }
for i in $(seq 0 $((nluns - 1))); do start_fio "$i"; done

# snap_dev ID / snap_state ID: a snapshot's device and state ("" if gone)
snap_field() { vssctl -j snapshot show "$1" 2>/dev/null | jq -r ".$2 // empty" 2>/dev/null; }
# newest_snap LUN: the id of the LUN's newest ready snapshot that we
# have a map of
newest_snap() {
	vssctl -j snapshot list --lun "$1" 2>/dev/null |
		jq -r '[.[] | select(.state == "ready")] | sort_by(.seq) | reverse | .[].id' |
		while read -r id; do [ -e $work/snap.$id ] && { echo "$id"; break; }; done
}
oldest_snap() {
	vssctl -j snapshot list --lun "$1" 2>/dev/null |
		jq -r '[.[] | select(.state == "ready")] | sort_by(.seq) | .[].id' |
		while read -r id; do [ -e $work/snap.$id ] && { echo "$id"; break; }; done
}
# gone ID: the snapshot is no longer listed ready (deleted by a full store)
gone() { [ "$(snap_field "$1" state)" != ready ]; }

sets=0 setfail=0 reads=0 readbad=0 readgone=0 cbt=0 cbtbad=0 copies=0 copybad=0
reverts=0 revertbad=0 skipped=0 rolled=0
end=$((SECONDS + minutes * 60))
action=0 gen=1
: >$work/sets
# sample_now: one memory sample, printed and appended to $work/samples
sample_now() {
	local m st
	# used, SUnreclaim, Slab, MemAvailable, AnonPages, used - AnonPages, Shmem
	m=$(awk '/^MemTotal:/ {t = $2} /^MemAvailable:/ {a = $2} /^SUnreclaim:/ {u = $2} /^Slab:/ {s = $2}
		/^AnonPages:/ {p = $2} /^Shmem:/ {h = $2} END {print t - a, u, s, a, p, t - a - p, h}' /proc/meminfo)
	st=$(vssctl -j lun list 2>/dev/null | jq -r '[.[] | select(.name != "dst") | (.store_used / 1048576 | floor | tostring)] | join(",")')
	echo "soak-sample: t=$SECONDS used_kib=${m%% *} $(echo "$m" | awk '{print "sunreclaim_kib=" $2, "slab_kib=" $3, "avail_kib=" $4, "anon_kib=" $5, "kused_kib=" $6, "shmem_kib=" $7}') store_mib=$st snaps=$(vssctl -j snapshot list | jq length) sets=$(cat $work/nsets 2>/dev/null)"
	echo "$SECONDS $m" >>$work/samples
	slab_sample "$SECONDS"
}
# the sampler: every $sample seconds, whatever the main loop is doing
sampler() {
	local next=$SECONDS
	while [ ! -e $work/stop ]; do
		if [ $SECONDS -ge $next ]; then
			sample_now
			next=$((next + sample))
		fi
		sleep 1
	done
}
t0=$SECONDS
sampler &
samplerpid=$!
tset=0 tcheck=0
midtraced=0
while [ $SECONDS -lt $end ]; do
	it=$SECONDS
	if [ $midtraced = 0 ] && [ $((SECONDS - t0)) -ge $((minutes * 30)) ]; then
		slab_sample mid traces
		midtraced=1
	fi
	# ---- stamped writes, then a set; the maps copied at the set
	gen=$((gen + 1))
	for i in $(seq 0 $((nluns - 1))); do
		stamp write /dev/vss-l$i $work/map.l$i $gen 24 $gen $half $half >/dev/null ||
			die "stamp write l$i (the LUN must always take writes)"
	done
	if ! vssctl -j snapshot create l0 l1 l2 l3 --no-writers >$work/set.json 2>$work/set.err; then
		setfail=$((setfail + 1))
		echo "# set $((sets + 1)) failed: $(head -c 300 $work/set.err)"
	else
		sets=$((sets + 1))
		echo $sets >$work/nsets
		sid=$(jq -r .set_id $work/set.json)
		echo "$sid" >>$work/sets
		jq -r '.snapshots[] | "\(.id) \(.lun)"' $work/set.json | while read -r id lun; do
			cp $work/map.$lun $work/snap.$id
			echo "$lun" >$work/lun.$id
		done
	fi
	# ---- rolling: the oldest sets deleted
	while [ "$(wc -l <$work/sets)" -gt "$keep" ]; do
		sid=$(head -n 1 $work/sets)
		# a set whose snapshots a full store deleted is gone already
		vssctl snapshot delete --set "$sid" >/dev/null 2>$work/del.err ||
			grep -q 'not found\|no such\|VSS_E_OBJECT_NOT_FOUND' $work/del.err ||
			echo "# delete of set $sid: $(head -c 200 $work/del.err)"
		sed -i 1d $work/sets
		rolled=$((rolled + 1))
	done
	# maps of snapshots no longer listed
	vssctl -j snapshot list | jq -r '.[].id' | sort >$work/live
	for f in $work/snap.*; do
		[ -e "$f" ] || continue
		id=${f##*/snap.}
		grep -qx "$id" $work/live || rm -f "$f" $work/lun.$id
	done
	tc=$SECONDS
	tset=$((tset + tc - it))
	# ---- one check in turn
	i=$((action % nluns))
	case $((action % 4)) in
	0)	# CBT: the stamped blocks that differ from the oldest snapshot
		id=$(oldest_snap l$i)
		if [ -z "$id" ]; then skipped=$((skipped + 1)); else
			cbt=$((cbt + 1))
			vssctl snapshot changes "$id" >$work/changes 2>$work/changes.err
			rc=$?
			cmp -l $work/map.l$i $work/snap.$id 2>/dev/null | awk '{print int(($1 - 1) / 4)}' | uniq >$work/changed
			if [ $rc != 0 ] && gone "$id"; then
				cbt=$((cbt - 1)) skipped=$((skipped + 1))
			elif [ $rc != 0 ] || ! awk 'NR == FNR { o[n] = $1; l[n] = $2; n++; next }
				{ b = $1 * 4096; hit = 0
				  for (k = 0; k < n; k++) if (b >= o[k] && b < o[k] + l[k]) { hit = 1; break }
				  if (!hit) { print "block " $1 " changed, not reported"; bad = 1; exit } }
				END { exit bad }' $work/changes $work/changed >$work/cbt.out; then
				cbtbad=$((cbtbad + 1))
				echo "# CBT of $id (l$i): rc $rc $(head -c 200 $work/changes.err) $(cat $work/cbt.out); $(wc -l <$work/changed) blocks changed, $(wc -l <$work/changes) ranges"
			fi
		fi ;;
	1)	# a snapshot read, whole device
		id=$(vssctl -j snapshot list | jq -r '.[] | select(.state == "ready") | .id' | shuf -n 1)
		if [ -z "$id" ] || [ ! -e $work/snap.$id ]; then skipped=$((skipped + 1)); else
			dev=$(snap_field "$id" device)
			reads=$((reads + 1))
			if ! stamp verify "$dev" $work/snap.$id >$work/v 2>&1; then
				if gone "$id"; then
					readgone=$((readgone + 1))
				else
					readbad=$((readbad + 1))
					echo "# read of $id ($dev, $(cat $work/lun.$id)): $(head -n 3 $work/v)"
				fi
			fi
		fi ;;
	2)	# resync: a copy onto dst
		id=$(newest_snap l$i)
		if [ -z "$id" ]; then skipped=$((skipped + 1)); else
			cp $work/snap.$id $work/copy.map
			copies=$((copies + 1))
			if ! vssctl recover --wait "$id=dst" >$work/rec.out 2>&1; then
				copybad=$((copybad + 1))
				echo "# copy of $id (l$i) onto dst: $(tail -c 300 $work/rec.out)"
			elif ! stamp verify /dev/vss-dst $work/copy.map >$work/v 2>&1; then
				copybad=$((copybad + 1))
				echo "# copy of $id (l$i) onto dst reads wrong: $(head -n 3 $work/v)"
			fi
		fi ;;
	3)	# resync: a revert of l$i onto its newest snapshot, fio stopped
		stop_fio "$i"
		id=$(newest_snap l$i)
		if [ -z "$id" ]; then skipped=$((skipped + 1)); else
			cp $work/snap.$id $work/rev.map
			reverts=$((reverts + 1))
			if ! vssctl recover --wait "$id" >$work/rec.out 2>&1; then
				revertbad=$((revertbad + 1))
				echo "# revert of l$i onto $id: $(tail -c 300 $work/rec.out)"
				# the LUN's stamped blocks are unknown now: stamp them again
				stamp fill /dev/vss-l$i $work/map.l$i $((++gen)) $half $half >/dev/null ||
					die "refill l$i"
			elif ! stamp verify /dev/vss-l$i $work/rev.map >$work/v 2>&1; then
				revertbad=$((revertbad + 1))
				echo "# revert of l$i onto $id reads wrong: $(head -n 3 $work/v)"
				stamp fill /dev/vss-l$i $work/map.l$i $((++gen)) $half $half >/dev/null ||
					die "refill l$i"
			else
				cp $work/rev.map $work/map.l$i
			fi
		fi
		start_fio "$i" ;;
	esac
	action=$((action + 1))
	tcheck=$((tcheck + SECONDS - tc))
	[ $((action % 20)) = 0 ] && echo "# $action rounds: $tset s in writes, sets and rolling, $tcheck s in checks"
	sleep $((interval - (SECONDS - it) > 0 ? interval - (SECONDS - it) : 0))
done
touch $work/stop
wait $samplerpid
sample_now
slab_sample end traces
for i in $(seq 0 $((nluns - 1))); do wait "${fiopids[$i]}"; done
elapsed=$((SECONDS - t0))

fioruns=$(cat $work/fio.l*.status | wc -l)
fiobad=$(awk '$1 != 0 || $2 != "0"' $work/fio.l*.status | wc -l)
echo "# $elapsed s: $sets sets ($setfail failed), $rolled rolled off; $cbt CBT queries, $reads snapshot reads ($readgone deleted by a full store while read), $copies copies, $reverts reverts, $skipped checks without a snapshot; $fioruns fio runs"
fulls=$(dmesg | grep -c 'store full' || true)
echo "# kernel messages about a full store: $fulls"
awk '{print $2}' $work/samples | sort -n | sed -n '1p;$p' | tr '\n' ' ' | sed 's/^/# used KiB min max: /;s/$/\n/'
[ $setfail = 0 ] && [ $sets -gt 0 ] && ok "$sets snapshot sets taken, none failed" ||
	fail "$sets snapshot sets taken, none failed" "$setfail failed"
[ $fiobad = 0 ] && [ "$fioruns" -gt 0 ] && ok "$fioruns fio runs: no I/O or verification error" ||
	fail "$fioruns fio runs: no I/O or verification error" "$(awk '$1 != 0 || $2 != "0"' $work/fio.l*.status | head -n 3; tail -n 5 $work/fio.l*.out)"
[ $readbad = 0 ] && [ $reads -gt 0 ] && ok "$reads snapshot reads verify" || fail "$reads snapshot reads verify" "$readbad wrong"
[ $cbtbad = 0 ] && [ $cbt -gt 0 ] && ok "$cbt CBT queries cover every changed block" ||
	fail "$cbt CBT queries cover every changed block" "$cbtbad wrong"
[ $copybad = 0 ] && [ $copies -gt 0 ] && ok "$copies resync copies read as their snapshot" ||
	fail "$copies resync copies read as their snapshot" "$copybad wrong"
[ $revertbad = 0 ] && [ $reverts -gt 0 ] && ok "$reverts reverts read as their snapshot" ||
	fail "$reverts reverts read as their snapshot" "$revertbad wrong"
for i in $(seq 0 $((nluns - 1))); do
	stamp verify /dev/vss-l$i $work/map.l$i >$work/v 2>&1 || { echo "# l$i: $(head -n 3 $work/v)"; touch $work/lunbad; }
done
[ ! -e $work/lunbad ] && ok "every LUN holds its stamped data" || fail "every LUN holds its stamped data"
# RAM: least-squares slopes (KiB/min) over the last half of the samples:
# slope FILE COLUMN DIV: of column COLUMN / DIV of "SECONDS ..." lines
from=$((t0 + elapsed / 2))
slope() {
	awk -v from=$from -v c="$2" -v div="$3" '$1 ~ /^[0-9]+$/ && $1 >= from {
			n++; x = $1 / 60; sx += x; sxx += x * x; sy += $c; sxy += x * $c }
		END { d = n * sxx - sx * sx
		      if (n < 2 || d == 0) { print n, 0; exit }
		      printf "%d %.1f\n", n, (n * sxy - sx * sy) / d / div }' "$1"
}
# tslope FILE COLUMN [WINDOW]: the Theil-Sen slope (the median of the
# slopes between every two points; KiB/min) of the last half: one odd
# sample moves one point, not the line.  With WINDOW, the points are the
# minima of windows of WINDOW consecutive samples (counted from the last;
# an incomplete oldest window is left out): the lower envelope, which the
# memory of processes caught at a sample, only ever added, does not lift
tslope() {
	awk -v from=$from -v c="$2" -v w="${3:-1}" 'BEGIN { n = 0 } $1 ~ /^[0-9]+$/ && $1 >= from { x[n] = $1 / 60; y[n] = $c; n++ }
		END { m = 0
		      for (e = n - 1; e - w + 1 >= 0; e -= w) {
			k = e
			for (i = e - w + 1; i <= e; i++) if (y[i] < y[k]) k = i
			px[m] = x[k]; py[m] = y[k]; m++
		      }
		      for (i = 0; i < m; i++) for (j = i + 1; j < m; j++)
			if (px[j] != px[i]) print (py[j] - py[i]) / (px[j] - px[i]) }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) print 0; else printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
read -r n s_used < <(slope $work/samples 2 1)
read -r n s_unr < <(slope $work/samples 3 1)
# the rule's RAM: MemTotal - MemAvailable less AnonPages (the memory of
# the soak's own processes, fio's buffers above all, whose number alive at
# a sample varies), the Theil-Sen slope through every sample.
# SOAK_WINDOW=N (N > 1) takes the minima of windows of N samples instead,
# which leaves out what a process starting or ending at a sample keeps
# elsewhere (fio's job data in shared memory); it is not the default: the
# 60-minute run of session 9 passed the rule through every sample (-8.4
# KiB/min) and read 121 KiB/min through the minima of windows of 5
win=${SOAK_WINDOW:-1}
t_kused=$(tslope $work/samples 7 "$win")
t_used=$(tslope $work/samples 2)
t_kused1=$(tslope $work/samples 7)
# vss's own objects: their growth from the middle to the end, per minute
s_vss=
[ -s $work/vss.end ] && [ -e $work/vss.mid ] && s_vss=$(tail -n 2 $work/vss.samples |
	awk 'NR == 1 { t = $1; b = $2 } NR == 2 && $1 > t { printf "%.1f", ($2 - b) / 1024 / (($1 - t) / 60) }')
mid=$(awk -v from=$from '$1 >= from { print $1; exit }' $work/samples)
last=$(tail -n 1 $work/samples | cut -d' ' -f1)
echo "# RAM over the last half: $n samples, least-squares slope of MemTotal-MemAvailable $s_used KiB/min, of SUnreclaim $s_unr KiB/min${s_vss:+, growth of the live kmalloc objects of vss.ko $s_vss KiB/min (bound $sl_vss)}"
echo "# slab caches grown most over the last half (KiB): $(slab_growth "$mid" "$last" | head -n 1)"
[ -n "$s_vss" ] && echo "# vss.ko allocation sites over the last half (KiB): $(slab_growth mid end | tail -n 1)"
echo "soak-ram: samples=$n used_slope=$s_used used_ts=$t_used kused_ts=$t_kused1 kused_min_ts=$t_kused sunreclaim_slope=$s_unr vss_growth=${s_vss:-none} vss_kib=$(awk '{ b += $2 * $3 } END { printf "%.0f", b / 1024 }' $work/vss.end 2>/dev/null)"
# vss's own memory when the traces measure it (slub_debug=U), else
# SUnreclaim, where vss's kmalloc objects land among everyone else's
echo "# Theil-Sen slopes over the last half: of the minima of windows of $win samples of MemTotal-MemAvailable-AnonPages $t_kused KiB/min (bound $sl_used); of every sample of MemTotal-MemAvailable-AnonPages $t_kused1, of MemTotal-MemAvailable $t_used KiB/min"
if [ -n "$s_vss" ]; then
	flat=$(awk -v a="$t_kused" -v b="$s_vss" -v x=$sl_used -v y=$sl_vss 'BEGIN { print (a <= x && b <= y) }')
	what="$t_kused (Theil-Sen slope of the $win-sample minima of MemTotal-MemAvailable-AnonPages) and $s_vss (growth of vss.ko's objects) KiB/min"
else
	flat=$(awk -v a="$t_kused" -v b="$s_unr" -v x=$sl_used -v y=$sl_sunrecl 'BEGIN { print (a <= x && b <= y) }')
	what="slopes $t_kused (Theil-Sen, $win-sample minima of MemTotal-MemAvailable-AnonPages) and $s_unr (SUnreclaim) KiB/min"
fi
if [ "$n" -ge 6 ] && [ "$flat" = 1 ]; then
	ok "RAM flat over the last half ($n samples; $what)"
else
	fail "RAM flat over the last half ($n samples, at least 6 needed)" "$what"
fi
# everything torn down and vss unloaded: what it allocated is freed, and
# the caches that kept more than before vss was loaded are shown
touch $work/stop
for i in $(seq 0 $((nluns - 1))); do wait "${fiopids[$i]}" 2>/dev/null; done
delete_all_snapshots
for i in l0 l1 l2 l3 dst; do vssctl lun remove $i >/dev/null 2>&1; done
# the objects of vss's stacks still live with vss loaded and no LUN (its
# frames still have names): the module's own, and any the teardown left
sync; echo 3 >/proc/sys/vm/drop_caches
slab_sample removed traces
# where vss.ko's code was: its frames show as bare addresses after the
# unload (resolve them with nm or addr2line on this vss.ko)
echo "# vss.ko .text at $(cat /sys/module/vss/sections/.text 2>/dev/null)"
unload_vss
# what the kernel frees late (RCU, cached dentries and inodes) gets
# SOAK_SETTLE seconds (30) and dropped caches; a leak never goes
settle=${SOAK_SETTLE:-30}
t_unl=$SECONDS
while :; do
	sync; echo 3 >/proc/sys/vm/drop_caches
	sleep 2
	slab_sample unloaded traces
	vss_new pre unloaded | sort -rn >$work/left
	[ -e $work/left.first ] || cp $work/left $work/left.first
	[ -s $work/left ] && [ $((SECONDS - t_unl)) -lt "$settle" ] || break
	sleep 8
done
sample_now 2>/dev/null
echo "# SUnreclaim (KiB) before vss was loaded $unr_pre, at the end of the run $(awk '{ print $3 }' $work/samples | tail -n 2 | head -n 1), after the teardown and unload $(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)"
echo "# slab caches grown since before vss was loaded (KiB): $(slab_growth pre unloaded | head -n 1)"
if [ -s $work/stk.pre ] || [ -s $work/stk.unloaded ]; then
	nleft() { awk '{ n += $1 } END { print n + 0 }' "$1"; }
	echo "# objects of vss.ko's stacks live after the unload that were not before vss was loaded: $(nleft $work/left.first) at once, $(nleft $work/left) after $((SECONDS - t_unl)) s"
	if [ ! -s $work/left ]; then
		ok "after the unload no slab object allocated by vss.ko is live"
	else
		fail "after the unload no slab object allocated by vss.ko is live" "$(nleft $work/left) objects"
		# their whole stacks (the kernel frames say what they are), and
		# those live before the unload with vss's frames named
		head -n 8 $work/left | sed 's/^/#   /; s/</\n#       /g'
		echo "# before the unload, with no LUN:"
		vss_new pre removed | sort -rn | head -n 12 | sed 's/^/#   /; s/</\n#       /g'
	fi
else
	ok "torn down and unloaded (no slab traces: boot with slub_debug=U to check vss.ko's objects)"
fi
dmesg | grep -qE 'WARNING|BUG|Oops|blocked for more than' && fail "no kernel warning" "$(dmesg | grep -E -A3 'WARNING|BUG|Oops|blocked for' | head)" ||
	ok "no kernel warning"
finish
