#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench` (tools/bench boots the VM and runs this).
# Runs fio against raw brd, dm-linear, the vss protected LUN (0, 1 and 8
# snapshots), dm-snapshot and dm-thin (1 and 8 snapshots) on fresh brd
# devices for every case, then the vss snapshot-set hold window (W6) and
# the kernel memory per changed chunk (W7, and W7 rolling: snapshots taken
# and deleted in turn), and the Freeze->Thaw window of 1 and 8 writers (W8).  Every measurement is printed
# as one line "VSSBENCH {json}" on the console; tools/bench collects them
# and tools/bench-report turns them into tables and a chart.
#
# Environment (all optional):
#   BENCH_REPS=3       repetitions; cases are interleaved inside each one
#   BENCH_RT=3         seconds of each time-based fio run
#   BENCH_SMOKE=0      1: a few cases, small sizes (checks the harness only)
#   BENCH_GROUPS="io w6 w7 w8 w9"   which parts to run (w7 includes W7 rolling;
#                     "w7roll" runs W7 rolling alone; w8: writers' windows;
#                     w9: LUN resync, w9.sh; prof: CPU and waits of W1
#                     at QD32, prof.sh, not in the default set)
#   BENCH_TARGETS="raw linear vss0 vss1 vss8 dmsnap1 dmsnap8 thin1 thin8"
#   BENCH_CHUNKS="4096 65536"
#   BENCH_CLASSES="brd nullb10 nullb100 virtio"   device classes of the
#                     I/O cases (see fresh_disks); virtio needs the disks
#                     tools/bench attaches
#   BENCH_WLS="W1 W2 W3 W4 W5"   workloads of the I/O cases (W1 always runs)
#   BENCH_QUICK=0      1: half the W1 writes (tools/bench --quick)
#   BENCH_W7ROLL_ROUNDS=6     rounds of W7 rolling
#   BENCH_W8_SETS=50   W8: snapshot sets per writer count
#   BENCH_KOS=""       labels of other builds of vss.ko (tools/bench --ko
#                     LABEL=FILE puts them in ko/LABEL.ko here): a target
#                     "vss1@LABEL" runs the vss case with that module, in
#                     the same repetition as the others (before/after runs)
#
# Method (Documentation/bench.rst has the full story): every I/O case gets
# new disks of its device class (brd: rmmod/modprobe brd; null_blk: new
# configfs devices; virtio: headers zeroed), the first REGION bytes of the device
# under test are written once, then the snapshots are taken, then:
#   W1  first writes: one 4 KiB write in each chunk of a region, chunks in
#       a random permutation (fio iolog replay), so every write hits a chunk
#       not copied since the newest snapshot; psync QD1 on region 1, libaio
#       QD32 on region 2;
#   W2  rewrites: random 4 KiB writes over regions 1+2 (every chunk there
#       was copied by W1), QD1 and QD32, time based;
#   W3  sequential 1 MiB writes (QD4) over region 3, after the snapshot;
#   W4  reads (4 KiB random QD1, 1 MiB sequential QD1) of the origin and of
#       the newest snapshot image (half of its chunks changed by W1-W3);
#   W5  4 KiB random 70/30 read/write mix, libaio QD16, whole region.
# The 8-snapshot cases run W1 and W2 only (their dm-snapshot copies would
# not fit in the guest's memory otherwise), 4 KiB-chunk cases W1 and W2.
set -u

REPS=${BENCH_REPS:-3}
RT=${BENCH_RT:-3}
SMOKE=${BENCH_SMOKE:-0}
GROUPS_RUN=${BENCH_GROUPS:-io w6 w7 w8 w9}
TARGETS=${BENCH_TARGETS:-raw linear vss0 vss1 vss8 dmsnap1 dmsnap8 thin1 thin8}
CHUNKS=${BENCH_CHUNKS:-4096 65536}
CLASSES=${BENCH_CLASSES:-brd nullb10 nullb100 virtio}
WLS=${BENCH_WLS:-W1 W2 W3 W4 W5}
QUICK=${BENCH_QUICK:-0}

MB=$((1024 * 1024))
DISK_MB=512		# every brd disk (allocated lazily: only written pages cost RAM)
REGION_MB=128		# part of the device under test that the workloads use
W1_IOS_4K=4096		# first writes per W1 run, 4 KiB chunks
W1_IOS_64K=512		# first writes per W1 run, 64 KiB chunks
W3_MB=32
W7_MB=128
W6_MB=8			# per LUN; the three sets of a W6 case keep their copies
W7ROLL_ROUNDS=6		# W7 rolling: rounds (snapshot, write a slice, delete the oldest)
W7ROLL_SLICE_MB=32	# W7 rolling: slice written per round (a new one each round)
W7ROLL_KEEP=2		# W7 rolling: live snapshots after each round
W8_SETS=${BENCH_W8_SETS:-50}	# W8: snapshot sets per writer count
if [ "$SMOKE" = 1 ]; then
	DISK_MB=64 REGION_MB=32 W1_IOS_4K=256 W1_IOS_64K=64 W3_MB=8 W7_MB=16 W7ROLL_ROUNDS=3 W7ROLL_SLICE_MB=5
	W8_SETS=3
fi
if [ "$QUICK" = 1 ]; then
	# make bench QUICK=1: every device class, W1 and W2 of the one-snapshot
	# cases and their baselines, half the first writes; under 15 minutes
	W1_IOS_4K=2048 W1_IOS_64K=256 REGION_MB=64
fi
W7ROLL_ROUNDS=${BENCH_W7ROLL_ROUNDS:-$W7ROLL_ROUNDS}
SECTORS=$((DISK_MB * MB / 512))
WORK=/tmp/bench
mkdir -p "$WORK"

emit() { printf 'VSSBENCH %s\n' "$1"; }
log() { echo "bench: $*" >&2; }
now_ms() { date +%s%3N; }

# ---- devices -------------------------------------------------------------

VSS_LUNS=()

teardown() {
	local l d
	dmsetup remove_all --force >/dev/null 2>&1
	for l in "${VSS_LUNS[@]}"; do
		vssctl lun remove "$l" >/dev/null 2>&1 || vss_stuck=1
	done
	if [ ${#VSS_LUNS[@]} -gt 0 ] && [ "${vss_stuck:-0}" = 1 ]; then
		log "lun remove failed; reloading vss"
		rmmod vss && modprobe vss
		KO_LOADED=
	fi
	VSS_LUNS=() vss_stuck=0
	dmsetup remove_all --force >/dev/null 2>&1
	if lsmod | grep -q '^brd '; then
		rmmod brd || { log "rmmod brd failed"; return 1; }
	fi
	for d in "$NULLB_CFS"/bnb*; do
		[ -d "$d" ] || continue
		echo 0 > "$d/power" 2>/dev/null
		rmdir "$d" || { log "cannot remove null_blk device $d"; return 1; }
	done
	DISK=()
}

# Device classes (Documentation/bench.rst): the disks of the I/O cases.
#   brd       ramdisks; every bio completes inside submit_bio()
#   nullb10   null_blk, memory backed, timer completions after 10 us (NVMe-like)
#   nullb100  the same after 100 us (SAN LUN-like)
#   virtio    virtio-blk disks backed by host files (tools/bench attaches
#             them); QEMU's I/O thread completes them asynchronously
# The other parts (W6-W9) always run on brd.
CLASS=brd
DISK=()			# the disks of the current case, /dev/ram0.. for brd
NULLB_CFS=/sys/kernel/config/nullb
VIRTIO_NAMES="vda vdb vdc vdd vde vdf vdg vdh vdi vdj"

# nullb_disks N SIZE_MB NSEC: N new memory-backed null_blk devices with
# timer completions (irqmode=2) after NSEC ns.
nullb_disks() {
	local i d dev
	if [ ! -d "$NULLB_CFS" ]; then
		# null_blk pulls in configfs, whose module makes the mount point
		modprobe null_blk nr_devices=0 || return 1
		grep -q ' /sys/kernel/config ' /proc/mounts ||
			mount -t configfs none /sys/kernel/config || return 1
	fi
	for i in $(seq 0 $(($1 - 1))); do
		d=$NULLB_CFS/bnb$i
		mkdir "$d" || return 1
		echo "$2" > "$d/size" && echo 1 > "$d/memory_backed" && echo 2 > "$d/irqmode" &&
			echo "$3" > "$d/completion_nsec" && echo 64 > "$d/hw_queue_depth" &&
			echo 1 > "$d/power" || return 1
		# 6.12 names the disk after the directory, 6.1 after its index
		dev=/dev/bnb$i
		[ -b "$dev" ] || dev=/dev/nullb$(cat "$d/index")
		udev_wait "$dev" || return 1
		DISK+=("$dev")
	done
}

# virtio_disks N: the first N virtio disks (/dev/vda...), their first MiBs
# zeroed so that no engine finds the previous case's metadata.
virtio_disks() {
	local n dev
	for n in $(echo $VIRTIO_NAMES | cut -d' ' -f1-"$1"); do
		dev=/dev/$n
		[ -b "$dev" ] || { log "no virtio disk $dev (tools/bench attaches them)"; return 1; }
		dd if=/dev/zero of="$dev" bs=1M count=4 oflag=direct status=none || return 1
		DISK+=("$dev")
	done
	[ ${#DISK[@]} = "$1" ]
}

# fresh_disks N SIZE_MB: N empty disks of the current CLASS in DISK[]
# (brd: /dev/ram0..N-1).
fresh_disks() {
	local i
	teardown || return 1
	case $CLASS in
	brd)
		modprobe brd rd_nr="$1" rd_size=$(($2 * 1024)) max_part=0 || return 1
		for i in $(seq 0 $(($1 - 1))); do DISK+=("/dev/ram$i"); done
		for i in $(seq 50); do [ -b /dev/ram$(($1 - 1)) ] && return 0; sleep 0.1; done
		return 1 ;;
	nullb10) nullb_disks "$1" "$2" 10000 ;;
	nullb100) nullb_disks "$1" "$2" 100000 ;;
	virtio) virtio_disks "$1" ;;
	*) log "unknown device class $CLASS"; return 1 ;;
	esac
}

dm_create() { # NAME TABLE
	dmsetup create --noudevsync "$1" --table "$2" && dmsetup mknodes "$1"
}

# vss_lun_add NAME BACKING STORE CHUNK: the protected device path in LUN_DEV.
vss_lun_add() {
	local out
	LUN_DEV=
	out=$(vssctl -j lun add "$2" --store "$3" --chunk-size "$4" --name "$1" --format) || return 1
	VSS_LUNS+=("$1")
	LUN_DEV=$(echo "$out" | jq -r '.device // empty' 2>/dev/null)
	[ -n "$LUN_DEV" ] || LUN_DEV=/dev/vss-$1
	case "$LUN_DEV" in /dev/*) ;; *) LUN_DEV=/dev/$LUN_DEV ;; esac
	udev_wait "$LUN_DEV"
}
udev_wait() { local i; for i in $(seq 50); do [ -b "$1" ] && return 0; sleep 0.1; done; return 1; }

# vss_snap NAME...: one snapshot set over the LUNs; sets SNAP_OUT (the JSON)
# and SNAP_DEV (the first member's snapshot device).
vss_snap() {
	SNAP_OUT=$(vssctl -j snapshot create "$@") || return 1
	SNAP_DEV=$(echo "$SNAP_OUT" | jq -r '.snapshots[0].device // empty' 2>/dev/null)
	[ -n "$SNAP_DEV" ] || return 1
	case "$SNAP_DEV" in /dev/*) ;; *) SNAP_DEV=/dev/$SNAP_DEV ;; esac
	udev_wait "$SNAP_DEV"
}
# hold_us: the hold window from SNAP_OUT.
hold_us() {
	echo "$SNAP_OUT" | jq -r '.hold_us // empty' 2>/dev/null
}

# setup TARGET NSNAP CHUNK: fresh disks, the device under test in ORIG, its
# snapshots taken after PREFILL, the newest snapshot image in SNAP.
setup() {
	local t=$1 n=$2 chunk=$3 cs=$(($3 / 512)) i
	ORIG= SNAP=
	fresh_disks 10 $DISK_MB || return 1
	if [ "${PREALLOC_STORES:-0}" = 1 ]; then
		# W7: brd's own page index must not grow during the measurement.
		local ns=1
		[ "$t" = dmsnap ] && [ "$n" -gt 1 ] && ns=$n
		for i in $(seq $ns); do
			dd if=/dev/zero of=${DISK[i]} bs=1M count=$DISK_MB oflag=direct status=none || return 1
		done
	fi
	case $t in
	raw) ORIG=${DISK[0]} ;;
	linear)
		dm_create bench-lin "0 $SECTORS linear ${DISK[0]} 0" || return 1
		ORIG=/dev/mapper/bench-lin ;;
	vss) vss_lun_add bench "${DISK[0]}" "${DISK[1]}" "$chunk" || return 1; ORIG=$LUN_DEV ;;
	dmsnap)
		dm_create bench-orig "0 $SECTORS snapshot-origin ${DISK[0]}" || return 1
		ORIG=/dev/mapper/bench-orig ;;
	thin)
		# data on disk 1, metadata on disk 2; block size = chunk (>= 64 KiB).
		dm_create bench-pool "0 $SECTORS thin-pool ${DISK[2]} ${DISK[1]} $cs 0 1 skip_block_zeroing" || return 1
		dmsetup message bench-pool 0 "create_thin 0" || return 1
		dm_create bench-thin "0 $SECTORS thin /dev/mapper/bench-pool 0" || return 1
		ORIG=/dev/mapper/bench-thin ;;
	*) return 1 ;;
	esac
	prefill "$ORIG" || return 1
	for i in $(seq "$n"); do
		case $t in
		vss) vss_snap bench || return 1; SNAP=$SNAP_DEV ;;
		dmsnap)
			dmsetup suspend bench-orig || return 1
			dm_create bench-s$i "0 $SECTORS snapshot ${DISK[0]} ${DISK[i]} P $cs"
			local rc=$?
			dmsetup resume bench-orig || return 1
			[ $rc = 0 ] || return 1
			SNAP=/dev/mapper/bench-s$i ;;
		thin)
			dmsetup suspend bench-thin || return 1
			dmsetup message bench-pool 0 "create_snap $i 0"
			local rc=$?
			dmsetup resume bench-thin || return 1
			[ $rc = 0 ] || return 1
			dm_create bench-ts$i "0 $SECTORS thin /dev/mapper/bench-pool $i" || return 1
			SNAP=/dev/mapper/bench-ts$i ;;
		*) return 1 ;;
		esac
	done
	return 0
}

prefill() {
	fio --name=prefill --eta=never --disk_util=0 --filename="$1" --rw=write --bs=1m --ioengine=psync \
		--direct=1 --size=${REGION_MB}m --output=/dev/null
}

# ---- fio -----------------------------------------------------------------

# fio_jobs LABELS_JSON JOBFILE: run the jobs of JOBFILE (one after the other:
# each has "stonewall"), emit one record per job.  Job names are
# WORKLOAD.MODE.DEVICE.  One fio per case: a fio start costs over a second
# under emulation.
fio_jobs() {
	local labels=$1 out rc
	out=$(fio --eta=never --output-format=json "$2" 2>"$WORK/fio.err")
	rc=$?
	if [ -z "$out" ] || ! echo "$out" | jq -e '.jobs' >/dev/null 2>&1; then
		emit "$(jq -cn --argjson l "$labels" --arg e "$(tail -n 3 "$WORK/fio.err")" '$l + {type: "error", msg: ("fio: " + $e)}')"
		return 1
	fi
	echo "$out" | jq -c --argjson l "$labels" --argjson rc $rc '
		def pct(d; p): (d.lat_ns.percentile[p] // 0) / 1000;
		def side(d): {iops: d.iops, bw_kib: d.bw, ios: d.total_ios,
			p50_us: pct(d; "50.000000"), p99_us: pct(d; "99.000000"),
			mean_us: (d.lat_ns.mean / 1000), max_us: (d.lat_ns.max / 1000)};
		.jobs[] | (.jobname | split(".")) as $n |
		if .error != 0 then
			$l + {type: "error", wl: $n[0], mode: $n[1], dev: $n[2],
			      msg: ("fio job error \(.error) (exit \($rc))")}
		else
			$l + {type: "fio", wl: $n[0], mode: $n[1], dev: $n[2],
			      runtime_ms: .job_runtime, read: side(.read), write: side(.write)}
		end' | sed 's/^/VSSBENCH /'
}

# job NAME OPTION...: append a job section to $JOBS.
job() {
	local n=$1
	shift
	printf '[%s]\nstonewall\n' "$n" >> "$JOBS"
	printf '%s\n' "$@" >> "$JOBS"
}

# perm_log FILE DEV OFFSET CHUNK COUNT [PASSES]: fio iolog with one 4 KiB
# write at a random 4 KiB slot of each of COUNT chunks from OFFSET, chunks in
# random order: every write is the first to its chunk.  PASSES > 1 repeats
# the pattern (only for the cases without a snapshot, whose single pass is
# too short to time under emulation).
perm_log() {
	local f=$1 dev=$2 off=$3 chunk=$4 n=$5 passes=${6:-1} p
	{
		echo "fio version 2 iolog"
		echo "$dev add"
		echo "$dev open"
		for p in $(seq "$passes"); do
			shuf -i 0-$((n - 1))
		done | awk -v d="$dev" -v o="$off" -v c="$chunk" \
			'BEGIN { srand(); s = c / 4096 }
			 { printf "%s write %d 4096\n", d, o + $1 * c + int(rand() * s) * 4096 }'
		echo "$dev close"
	} > "$f"
}

# ---- I/O cases ---------------------------------------------------------------

# ko_use LABEL: load the vss.ko build LABEL (BENCH_KOS) instead of ours;
# "" loads ours back.  Only between cases: no LUN exists then.
KO_LOADED=
ko_use() {
	[ "$1" = "$KO_LOADED" ] && return 0
	rmmod vss || return 1
	if [ -n "$1" ]; then
		insmod "$(dirname "$0")/ko/$1.ko" || { modprobe vss; KO_LOADED=; return 1; }
	else
		modprobe vss || return 1
	fi
	KO_LOADED=$1
}

io_case() { # REP TARGET NSNAP CHUNK [KO]
	local rep=$1 t=$2 n=$3 chunk=$4 ko=${5:-} l ios r1 r2 t0 wl3=1 passes d dn tl=$2
	t0=$(now_ms)
	[ -n "$ko" ] && tl=$t@$ko
	l=$(printf '{"class":"%s","target":"%s","snaps":%d,"chunk":%d,"rep":%d}' "$CLASS" "$tl" "$n" "$chunk" "$rep")
	if [ $t = vss ] && ! ko_use "$ko"; then
		emit "$(jq -cn --argjson l "$l" '$l + {type: "error", msg: "cannot load that vss.ko"}')"
		return 1
	fi
	if ! setup "$t" "$n" "$chunk"; then
		emit "$(jq -cn --argjson l "$l" '$l + {type: "error", msg: "setup failed"}')"
		teardown
		return 1
	fi
	emit "$(printf '%s,"type":"setup","ms":%d}' "${l%\}}" $(($(now_ms) - t0)))"
	ios=$W1_IOS_64K
	[ "$chunk" -lt 65536 ] && ios=$W1_IOS_4K
	r1=0 r2=$((ios * chunk))
	passes=1
	[ "$n" = 0 ] && passes=$(((2 * W1_IOS_4K + ios - 1) / ios))
	perm_log "$WORK/w1a" "$ORIG" $r1 "$chunk" "$ios" $passes
	perm_log "$WORK/w1b" "$ORIG" $r2 "$chunk" "$ios" $passes
	JOBS=$WORK/case.fio
	printf '[global]\ndirect=1\nlat_percentiles=1\nrandrepeat=0\nnorandommap\ndisk_util=0\n' > "$JOBS"
	job W1.qd1.origin read_iolog="$WORK/w1a" replay_no_stall=1 ioengine=psync
	job W1.qd32.origin read_iolog="$WORK/w1b" replay_no_stall=1 ioengine=libaio iodepth=32
	if [[ " $WLS " == *" W2 "* ]]; then
		job W2.qd1.origin filename="$ORIG" rw=randwrite bs=4k ioengine=psync offset=0 \
			size=$((2 * ios * chunk)) runtime="$RT" time_based
		job W2.qd32.origin filename="$ORIG" rw=randwrite bs=4k ioengine=libaio iodepth=32 offset=0 \
			size=$((2 * ios * chunk)) runtime="$RT" time_based
	fi
	[ "$chunk" -lt 65536 ] && wl3=0
	[ "$n" -gt 1 ] && wl3=0
	[[ " $WLS " == *" W3 "* ]] || wl3=0
	if [ $wl3 = 1 ]; then
		local off3=$((2 * ios * chunk))
		[ $((off3 + W3_MB * MB)) -le $((REGION_MB * MB)) ] || off3=$((REGION_MB * MB - W3_MB * MB))
		job W3.seq1m-qd4.origin filename="$ORIG" rw=write bs=1m ioengine=libaio iodepth=4 \
			offset=$off3 size=${W3_MB}m
		for dn in origin snapshot; do
			d=$ORIG
			if [ $dn = snapshot ]; then
				[ -n "$SNAP" ] || continue
				d=$SNAP
			fi
			job W4.rand4k-qd1.$dn filename="$d" rw=randread bs=4k ioengine=psync \
				size=${REGION_MB}m runtime="$RT" time_based
			job W4.seq1m-qd1.$dn filename="$d" rw=read bs=1m ioengine=psync \
				size=${REGION_MB}m runtime="$RT" time_based
		done
		job W5.mix70-qd16.origin filename="$ORIG" rw=randrw rwmixread=70 bs=4k ioengine=libaio \
			iodepth=16 size=${REGION_MB}m runtime="$RT" time_based
	fi
	fio_jobs "$l" "$JOBS"
	teardown
	log "case $CLASS $tl n=$n chunk=$chunk rep=$rep: $(($(now_ms) - t0)) ms"
}

# The cases of one repetition, in order; "target nsnap chunk".
io_cases() {
	local c t n ko
	for c in $CHUNKS; do
		for t in $TARGETS; do
			ko=
			case $t in vss*@*) ko=${t#*@} t=${t%%@*} ;; esac
			case $t in
			raw|linear) n=0 ;;
			vss0) t=vss n=0 ;;
			vss1|dmsnap1|thin1) n=1 t=${t%1} ;;
			vss8|dmsnap8|thin8) n=8 t=${t%8} ;;
			*) continue ;;
			esac
			# dm-thin blocks are at least 64 KiB.
			[ $t = thin ] && [ "$c" -lt 65536 ] && continue
			echo "$t $n $c $ko"
		done
	done
}

# ---- W6: hold window of a snapshot set ------------------------------------

# w6_case NLUNS LUN_MB: NLUNS LUNs under a 70/30 fio load, one snapshot set
# over all of them in the middle of the run, REPS times on the same LUNs
# (each set is a new snapshot of every LUN); emits the hold window and the
# fio latency of the I/O completing around the set vs. the rest of the run.
w6_case() {
	local n=$1 size=$2 rep i devs=() names=() t0 t1 hold lat l files fpid rc
	fresh_disks $((2 * n)) "$size" || return 1
	for i in $(seq 0 $((n - 1))); do
		vss_lun_add w6l$i /dev/ram$i /dev/ram$((n + i)) 65536 || return 1
		devs+=("$LUN_DEV")
		names+=("w6l$i")
	done
	files=$(IFS=:; echo "${devs[*]}")
	for rep in $(seq "$REPS"); do
		rm -f "$WORK"/w6_*.log
		fio --name=w6 --eta=never --disk_util=0 --filename="$files" --direct=1 --rw=randrw \
			--rwmixread=70 --bs=4k --ioengine=libaio --iodepth=16 \
			--filesize=$((size < W6_MB ? size : W6_MB))m --norandommap --randrepeat=0 \
			--runtime=$((RT + 5)) --time_based --write_lat_log="$WORK/w6" \
			--log_unix_epoch=1 --output=/dev/null &
		fpid=$!
		# fio takes over a second to start under emulation; the set comes
		# after about two seconds of load and has seconds of load after it.
		sleep 3
		t0=$(now_ms)
		vss_snap "${names[@]}"
		rc=$?
		t1=$(now_ms)
		wait $fpid
		hold=$(hold_us)
		l=$(printf '{"type":"w6","rep":%d,"luns":%d,"lun_mb":%d}' "$rep" "$n" "$size")
		if [ $rc != 0 ] || [ -z "$hold" ]; then
			emit "$(jq -cn --argjson l "$l" --arg o "$SNAP_OUT" '$l + {type: "error", wl: "W6", msg: ("snapshot create failed: " + $o)}')"
			continue
		fi
		# Latency (lat log: ms epoch, ns, dir, bs, ...) inside the window
		# from the create command's start to 200 ms after its end, and
		# outside it.
		lat=$(cat "$WORK"/w6_lat.*.log 2>/dev/null | tr -d ',' | awk -v a="$t0" -v b=$((t1 + 200)) '
			{ if ($1 >= a && $1 <= b) print "in", $2; else print "out", $2 }' |
			sort -k1,1 -k2,2n | awk '
			function at(k, q,   i) {
				i = int(n[k] * q + 0.5)
				if (i < 1) i = 1
				return n[k] ? v[k, i] / 1000 : 0
			}
			{ v[$1, ++n[$1]] = $2 }
			END {
				printf "{\"in\":{\"n\":%d,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f},", n["in"], at("in", 0.5), at("in", 0.99), at("in", 1)
				printf "\"out\":{\"n\":%d,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}}", n["out"], at("out", 0.5), at("out", 0.99), at("out", 1)
			}')
		emit "$(jq -cn --argjson l "$l" --argjson h "$hold" --argjson c $((t1 - t0)) --argjson lat "$lat" \
			'$l + {hold_us: $h, cmd_ms: $c, lat_window: $lat.in, lat_rest: $lat.out}')"
	done
	teardown
}

# ---- W8: Freeze->Thaw window of writers -------------------------------------

# w8_breakdown NWRITERS: where the time of the Freeze and Thaw round trips
# of the last w8_case went.  Joins the kernel's instants (vss.writer_timing:
# event sent, handed to the socket, reply accepted, the set's wait resumed;
# $WORK/w8_kmsg) with the writers' own (callback entered: "at T us" in
# their logs), all CLOCK_MONOTONIC, per session, writer and event; only
# the sessions of this case's writers count.  Emits p50/p99/mean in us of:
#   unicast  the kernel builds the event and hands it to the socket
#   deliver  event sent -> the writer's callback runs (unicast, writer
#            wakeup, recvmsg, libvssctl parsing)
#   answer   callback entered -> reply accepted by the kernel (the
#            writer's own work and log line, the reply's sendmsg and
#            netlink handling)
#   work     the writer's callback itself (SQLite lock and row count at
#            Freeze, unlock at Thaw), from the writers' logs
#   resume   reply accepted -> the set's wait sees it (wakeup of the set)
#   rtt      event sent -> the set's wait resumed (the whole round trip)
#   hop      a Freeze resumed -> the next writer's Freeze sent, and a Thaw
#            resumed -> the next Thaw sent
#   set      the last Freeze resumed -> the first Thaw sent: file system
#            freeze, snapshot prepare, hold, commit, release, thaw
#   hold     of which the I/O hold and commit (the set's hold_us)
w8_breakdown() {
	local n=$1 comps
	comps=$({
		sed -n 's/.*vss-writer: timing: session \([0-9a-f-]*\) writer "\([^"]*\)" \(.*\)/K \1 \2 \3/p' "$WORK/w8_kmsg"
		for i in $(seq "$n"); do
			sed -n "s/^sqlite-writer: \(freeze\|thaw\) session \([0-9a-f-]*\): .*(at \([0-9]*\) us.*/W \2 w8-$i \1 \3/p" "$WORK/w8_$i.log"
		done
	} | awk '
		# K SID NAME freeze s1 s2 s3 s4 thaw t1 t2 t3 t4 (ns)
		$1 == "K" && NF == 13 {
			k = $2 " " $3
			for (i = 0; i < 4; i++) { F[k, i] = $(5 + i); T[k, i] = $(10 + i) }
			K[k] = 1
			# per session: Freeze order by send instant, Thaw order likewise
			nf[$2]++; fs[$2, nf[$2]] = $5; fr[$2, $5] = $8
			ts[$2, nf[$2]] = $10; tr[$2, $10] = $13
			next
		}
		# W SID NAME EVENT US
		$1 == "W" { E[$2 " " $3, $4] = $5 * 1000; S[$2] = 1 }
		function out(c, v) { if (v > 0) printf "%s %.1f\n", c, v / 1000 }
		function sort(a, m,   i, j, x) {
			for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		}
		END {
			for (k in K) {
				split(k, kk, " ")
				if (!(kk[1] in S)) continue
				out("unicast", F[k, 1] - F[k, 0]); out("unicast", T[k, 1] - T[k, 0])
				if ((k, "freeze") in E) { out("deliver", E[k, "freeze"] - F[k, 0]); if (F[k, 2]) out("answer", F[k, 2] - E[k, "freeze"]) }
				if ((k, "thaw") in E) { out("deliver", E[k, "thaw"] - T[k, 0]); if (T[k, 2]) out("answer", T[k, 2] - E[k, "thaw"]) }
				if (F[k, 2]) out("resume", F[k, 3] - F[k, 2])
				if (T[k, 2]) out("resume", T[k, 3] - T[k, 2])
				out("rtt", F[k, 3] - F[k, 0]); if (T[k, 0]) out("rtt", T[k, 3] - T[k, 0])
			}
			for (sid in nf) {
				if (!(sid in S)) continue
				m = nf[sid]
				for (i = 1; i <= m; i++) { a[i] = fs[sid, i]; b[i] = ts[sid, i] }
				sort(a, m); sort(b, m)
				for (i = 2; i <= m; i++) { out("hop", a[i] - fr[sid, a[i - 1]]); if (b[i - 1]) out("hop", b[i] - tr[sid, b[i - 1]]) }
				if (b[1]) out("set", b[1] - fr[sid, a[m]])
			}
		}'
		# the writers' own work: the SQLite lock and count, the unlock
		cat "$WORK"/w8_*.log | sed -n 's/.*database locked in \([0-9.]*\) ms.*/work \1/p; s/.*unlocked in \([0-9.]*\) ms.*/work \1/p' |
			awk '{ printf "work %.1f\n", $2 * 1000 }'
		# the I/O hold inside "set" (the set's own hold_us)
		awk 'NF == 2 && $2 != "" { print }' "$WORK/w8_hold")
	emit "$(echo "$comps" | jq -Rsc --argjson w "$n" '
		def pct(a; q): (a | sort) as $v | if ($v | length) == 0 then null
			else $v[([(($v | length) * q + 0.5 | floor) - 1, 0] | max)] end;
		[split("\n")[] | select(length > 0) | split(" ") | {c: .[0], v: (.[1] | tonumber)}]
		| group_by(.c) | map({key: .[0].c, value: ([.[].v] as $a |
			{n: ($a | length), p50_us: pct($a; 0.5), p99_us: pct($a; 0.99),
			 mean_us: (($a | add) / ($a | length) * 10 | round / 10)})}) | from_entries
		| {type: "w8t", writers: $w, parts: .}')"
}

# w8_case NWRITERS: one LUN with ext4 and NWRITERS SQLite writers
# (examples/sqlite-writer, one idle database each), W8_SETS snapshot sets
# with the writer protocol.  Each writer logs its window from receiving
# Freeze to receiving Thaw (CLOCK_MONOTONIC); emits every window, their
# p50/p99/max and those of the widest window per set (the first writer
# frozen is thawed last).
w8_case() {
	local n=$1 i rep pids=() t0 cmd=() l ws sets kmsg
	fresh_disks 2 64 || return 1
	vss_lun_add w8l /dev/ram0 /dev/ram1 65536 || return 1
	mkdir -p "$WORK/w8mnt"
	mkfs.ext4 -q -F "$LUN_DEV" && mount "$LUN_DEV" "$WORK/w8mnt" || return 1
	rm -f "$WORK"/w8_*.log "$WORK/w8_hold"
	for i in $(seq "$n"); do
		sqlite3 "$WORK/w8mnt/db$i" 'CREATE TABLE inserts(id INTEGER PRIMARY KEY, txn INTEGER, payload BLOB)' ||
			return 1
		sqlite-writer run --db "$WORK/w8mnt/db$i" --lun w8l --name "w8-$i" >"$WORK/w8_$i.log" 2>&1 &
		pids+=($!)
	done
	for i in $(seq 100); do
		[ "$(cat "$WORK"/w8_*.log | grep -c 'registered writer')" = "$n" ] && break
		sleep 0.1
	done
	# the kernel's timing lines, followed as they come (dmesg's ring may
	# not hold a whole case)
	cat /dev/kmsg > "$WORK/w8_kmsg" 2>/dev/null &
	kmsg=$!
	t0=$(now_ms)
	sets=0
	for rep in $(seq "$W8_SETS"); do
		if ! vss_snap w8l; then
			emit "$(jq -cn --argjson w "$n" --arg o "$SNAP_OUT" '{type: "error", wl: "W8", writers: $w, msg: ("snapshot create failed: " + $o)}')"
			continue
		fi
		sets=$((sets + 1))
		echo "hold $(hold_us)" >> "$WORK/w8_hold"
		vssctl snapshot delete "$(echo "$SNAP_OUT" | jq -r '.snapshots[0].id')" >/dev/null
	done
	kill -TERM "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	umount "$WORK/w8mnt"
	kill "$kmsg" 2>/dev/null
	wait "$kmsg" 2>/dev/null
	w8_breakdown "$n"
	# "thaw session SID: ... Freeze->Thaw window X ms" -> "SID X"
	ws=$(cat "$WORK"/w8_*.log | sed -n 's/.*: thaw session \([0-9a-f-]*\): .*Freeze->Thaw window \([0-9.]*\) ms.*/\1 \2/p')
	l=$(echo "$ws" | awk 'NF == 2 { print $2 }' | jq -sc .)
	emit "$(jq -cn --argjson w "$n" --argjson s "$sets" --argjson ms $(($(now_ms) - t0)) --argjson all "$l" \
		--argjson per "$(echo "$ws" | awk 'NF == 2 { if ($2 > m[$1]) m[$1] = $2 } END { for (k in m) print m[k] }' | jq -sc .)" '
		def pct(a; q): (a | sort) as $v | if ($v | length) == 0 then null
			else $v[([(($v | length) * q + 0.5 | floor) - 1, 0] | max)] end;
		{type: "w8", writers: $w, sets: $s, ms: $ms, windows_ms: $all,
		 p50_ms: pct($all; 0.5), p99_ms: pct($all; 0.99), max_ms: ($all | max),
		 set_p50_ms: pct($per; 0.5), set_p99_ms: pct($per; 0.99), set_max_ms: ($per | max)}')"
	teardown
}

# ---- W7: kernel memory per changed chunk ------------------------------------

# mem_now: {slab, sunreclaim, vmalloc, percpu, bufio} in bytes, after a sync
# and dropping clean caches, plus the per-cache slab bytes in $WORK/slab.$1.
mem_now() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 1
	awk 'NR > 2 { print $1, $3 * $4 }' /proc/slabinfo | sort > "$WORK/slab.$1"
	local bufio=0
	[ -r /sys/module/dm_bufio/parameters/current_allocated_bytes ] &&
		bufio=$(cat /sys/module/dm_bufio/parameters/current_allocated_bytes)
	awk -v b="$bufio" '
		/^Slab:/ { s = $2 * 1024 } /^SUnreclaim:/ { u = $2 * 1024 }
		/^VmallocUsed:/ { v = $2 * 1024 } /^Percpu:/ { p = $2 * 1024 }
		END { printf "{\"slab\":%d,\"sunreclaim\":%d,\"vmalloc\":%d,\"percpu\":%d,\"bufio\":%d}", s, u, v, p, b }' /proc/meminfo
}

# w7_case REP TARGET NSNAP: write every 4 KiB chunk of W7_MB once after
# NSNAP snapshots; emit the memory growth per changed chunk.
w7_case() {
	local rep=$1 t=$2 n=$3 before after top l chunks
	chunks=$((W7_MB * MB / 4096))
	if ! PREALLOC_STORES=1 setup "$t" "$n" 4096; then
		emit "$(jq -cn --arg t "$t" --argjson n "$n" --argjson r "$rep" '{type: "error", wl: "W7", target: $t, snaps: $n, rep: $r, msg: "setup failed"}')"
		teardown
		return 1
	fi
	before=$(mem_now a)
	fio --name=w7 --eta=never --disk_util=0 --filename="$ORIG" --direct=1 --rw=write --bs=1m --ioengine=psync \
		--size=${W7_MB}m --output=/dev/null
	after=$(mem_now b)
	# The five caches that grew most.
	top=$(w7_top a b)
	l=$(jq -cn --arg t "$t" --argjson n "$n" --argjson r "$rep" --argjson c $chunks \
		'{type: "w7", target: $t, snaps: $n, rep: $r, chunk: 4096, chunks: $c}')
	emit "$(jq -cn --argjson l "$l" --argjson a "$before" --argjson b "$after" --argjson top "$top" '
		$l + {before: $a, after: $b, top_caches: $top,
		      slab_per_chunk: (($b.slab - $a.slab) / $l.chunks),
		      sunreclaim_per_chunk: (($b.sunreclaim - $a.sunreclaim) / $l.chunks),
		      other_per_chunk: ((($b.vmalloc - $a.vmalloc) + ($b.percpu - $a.percpu) + ($b.bufio - $a.bufio)) / $l.chunks)}')"
	teardown
}

# w7_top A B: the five slab caches that grew most from $WORK/slab.A to
# $WORK/slab.B, as a JSON object {cache: bytes}.
w7_top() {
	awk 'NR == FNR { a[$1] = $2; next } { d = $2 - a[$1]; if (d > 0) print d, $1 }' \
		"$WORK/slab.$1" "$WORK/slab.$2" |
		sort -rn | head -n 5 | awk 'BEGIN { printf "{" } { printf "%s\"%s\":%d", (NR > 1 ? "," : ""), $2, $1 } END { printf "}" }'
}

# w7roll_snaps: the LUN's snapshots as a JSON array [{id, chunks}], oldest
# first (by seq); chunks = cow_bytes / 4096.
w7roll_snaps() {
	vssctl -j snapshot list --lun bench |
		jq -c 'sort_by(.seq) | map({id: .id, chunks: ((.cow_bytes // 0) / 4096 | floor)})'
}

# w7roll_case REP: kernel memory per changed chunk under rolling snapshots
# (issue 9).  W7ROLL_KEEP empty snapshots are taken first, so that the
# fixed cost of a snapshot (its gendisk, its slot) is in both readings, and
# a first ("cold") reading is taken.  Then a warm-up: those snapshots are
# deleted, one snapshot preserves a slice of its own (past the rounds'
# slices) and is deleted, the empty ones are taken again, and the reading
# the figures start from is taken: what the LUN's first copies allocate
# once (slab pages of the copies in flight, worker threads) is then in both
# readings, while the warm-up leaves no chunk preserved.  Then
# W7ROLL_ROUNDS rounds of: take a snapshot, write slice r (W7ROLL_SLICE_MB,
# prefilled before the snapshots) once (every write a first write: the new
# snapshot preserves the whole slice), delete the oldest snapshot, so that
# W7ROLL_KEEP live ones remain.  Each round writes a different slice, so the
# chunks preserved by a snapshot that is deleted later are never preserved
# again: whatever the engine keeps for them after the delete shows up as
# growth that the live snapshots do not explain.  Emits the growth per chunk
# preserved by the live snapshots at the end (the bound: <= 32 B), per chunk
# preserved over all rounds (what a leak would be proportional to), and the
# growth from the end of round KEEP (the same number of live snapshots and
# live chunks as at the end) per chunk preserved by the snapshots deleted
# since (0 when deletes leave nothing behind).
w7roll_case() {
	local rep=$1 t=vss keep=$W7ROLL_KEEP rounds=$W7ROLL_ROUNDS i r slice before mid= after top l snaps
	local ever=0 live old slice_mb=$W7ROLL_SLICE_MB span dropped=0 cold id
	slice=$((slice_mb * MB / 4096))
	span=$(((rounds + 1) * slice_mb))
	[ "$span" -ge "$REGION_MB" ] || span=$REGION_MB
	if ! REGION_MB=$span PREALLOC_STORES=1 setup "$t" "$keep" 4096; then
		emit "$(jq -cn --argjson r "$rep" '{type: "error", wl: "W7roll", target: "vss", rep: $r, msg: "setup failed"}')"
		teardown
		return 1
	fi
	cold=$(mem_now rc)
	# warm-up: the empty snapshots go, one snapshot preserves slice
	# rounds+1 and goes (the only one: its chunks are freed), the empty
	# snapshots come back
	for id in $(w7roll_snaps | jq -r '.[].id'); do
		vssctl snapshot delete "$id" >/dev/null || { teardown; return 1; }
	done
	if ! vss_snap bench; then teardown; return 1; fi
	fio --name=w7warm --eta=never --disk_util=0 --filename="$ORIG" --direct=1 --rw=write --bs=1m \
		--ioengine=psync --offset=$((rounds * slice_mb))m --size=${slice_mb}m --output=/dev/null
	vssctl snapshot delete "$(w7roll_snaps | jq -r '.[0].id')" >/dev/null || { teardown; return 1; }
	for i in $(seq "$keep"); do
		if ! vss_snap bench; then teardown; return 1; fi
	done
	before=$(mem_now ra)
	for r in $(seq "$rounds"); do
		if ! vss_snap bench; then
			emit "$(jq -cn --argjson r "$rep" --argjson n "$r" --arg o "$SNAP_OUT" '{type: "error", wl: "W7roll", target: "vss", rep: $r, round: $n, msg: ("snapshot create failed: " + $o)}')"
			teardown
			return 1
		fi
		fio --name=w7roll --eta=never --disk_util=0 --filename="$ORIG" --direct=1 --rw=write --bs=1m \
			--ioengine=psync --offset=$(((r - 1) * slice_mb))m --size=${slice_mb}m --output=/dev/null
		snaps=$(w7roll_snaps)
		while [ "$(echo "$snaps" | jq length)" -gt "$keep" ]; do
			old=$(echo "$snaps" | jq -r '.[0].id')
			ever=$((ever + $(echo "$snaps" | jq '.[0].chunks')))
			[ -n "$mid" ] && dropped=$((dropped + $(echo "$snaps" | jq '.[0].chunks')))
			if ! vssctl snapshot delete "$old" >/dev/null; then
				emit "$(jq -cn --argjson r "$rep" --argjson n "$r" --arg id "$old" '{type: "error", wl: "W7roll", target: "vss", rep: $r, round: $n, msg: ("snapshot delete failed: " + $id)}')"
				teardown
				return 1
			fi
			snaps=$(w7roll_snaps)
		done
		[ "$r" = "$keep" ] && mid=$(mem_now rm)
	done
	after=$(mem_now rb)
	[ -n "$mid" ] || mid=$before
	live=$(echo "$snaps" | jq 'map(.chunks) | add // 0')
	ever=$((ever + live))
	top=$(w7_top ra rb)
	l=$(jq -cn --arg t "$t" --argjson r "$rep" --argjson k "$keep" --argjson n "$rounds" \
		--argjson s "$slice" --argjson live "$live" --argjson ever "$ever" --argjson left "$(echo "$snaps" | jq length)" \
		--argjson dropped "$dropped" \
		'{type: "w7roll", target: $t, rep: $r, chunk: 4096, keep: $k, rounds: $n, slice_chunks: $s,
		  live_snaps: $left, live_chunks: $live, ever_chunks: $ever, dropped_after_mid_chunks: $dropped}')
	if [ "$live" -le 0 ]; then
		emit "$(jq -cn --argjson l "$l" '$l + {type: "error", wl: "W7roll", msg: "no chunk preserved by the live snapshots"}')"
		teardown
		return 1
	fi
	emit "$(jq -cn --argjson l "$l" --argjson c "$cold" --argjson a "$before" --argjson m "$mid" --argjson b "$after" \
		--argjson top "$top" --argjson ctop "$(w7_top rc rb)" --argjson wtop "$(w7_top rc ra)" '
		$l + {cold: $c, before: $a, mid: $m, after: $b, top_caches: $top,
		      cold_top_caches: $ctop, warmup_top_caches: $wtop,
		      warmup_bytes: ($a.slab - $c.slab),
		      slab_per_live_chunk_cold: (($b.slab - $c.slab) / $l.live_chunks),
		      slab_per_live_chunk: (($b.slab - $a.slab) / $l.live_chunks),
		      slab_per_ever_chunk: (($b.slab - $a.slab) / $l.ever_chunks),
		      slab_steady_bytes: ($b.slab - $m.slab),
		      slab_steady_per_dropped_chunk: (if $l.dropped_after_mid_chunks > 0
			then ($b.slab - $m.slab) / $l.dropped_after_mid_chunks else null end),
		      sunreclaim_per_live_chunk: (($b.sunreclaim - $a.sunreclaim) / $l.live_chunks),
		      other_per_live_chunk: ((($b.vmalloc - $a.vmalloc) + ($b.percpu - $a.percpu) + ($b.bufio - $a.bufio)) / $l.live_chunks)}')"
	teardown
}

# ---- W9: LUN resync (bench/guest/w9.sh) -----------------------------------------

. "$(dirname "$0")/w9.sh"
# W10, scale (issue 12): bench/guest/w10.sh
. "$(dirname "$0")/w10.sh"
# shellcheck source=bench/guest/prof.sh
. "$(dirname "$0")/prof.sh"

# ---- main -----------------------------------------------------------------------

modprobe -a dm-mod dm-bufio dm-snapshot dm-thin-pool || exit 1
have_vss=1
if ! modprobe vss 2>"$WORK/vss.err"; then
	have_vss=0
	log "vss module not loadable: $(cat "$WORK/vss.err")"
fi
emit "$(jq -cn --arg k "$(uname -r)" --argjson reps "$REPS" --argjson rt "$RT" \
	--argjson smoke "$SMOKE" --argjson disk $DISK_MB --argjson region $REGION_MB \
	--argjson w1a $W1_IOS_4K --argjson w1b $W1_IOS_64K --argjson mem "$(awk '/^MemTotal:/ { print $2 * 1024 }' /proc/meminfo)" \
	--argjson cpus "$(nproc)" --arg fio "$(fio --version)" --argjson vss $have_vss \
	--arg groups "$GROUPS_RUN" --argjson w7r "$W7ROLL_ROUNDS" --argjson w7k "$W7ROLL_KEEP" \
	--arg classes "$CLASSES" --arg wls "$WLS" --argjson quick "$QUICK" \
	'{type: "meta", kernel: $k, reps: $reps, runtime_s: $rt, smoke: $smoke, quick: $quick, disk_mb: $disk,
	  classes: ($classes | split(" ") | map(select(. != ""))), workloads: ($wls | split(" ") | map(select(. != ""))),
	  region_mb: $region, w1_ios_4k: $w1a, w1_ios_64k: $w1b, mem_bytes: $mem, cpus: $cpus,
	  fio: $fio, vss_loaded: $vss, groups: ($groups | split(" ") | map(select(. != ""))),
	  w7roll_rounds: $w7r, w7roll_keep: $w7k}')"
started=$(now_ms)

if [[ " $GROUPS_RUN " == *" io "* ]]; then
	for rep in $(seq "$REPS"); do
		# classes in turn inside a repetition: a slow minute of the host
		# hurts one class's peers alike
		for CLASS in $CLASSES; do
			while read -r t n c ko; do
				if [ $t = vss ] && [ $have_vss = 0 ]; then
					emit "$(jq -cn --arg k "$CLASS" --argjson n "$n" --argjson c "$c" --argjson r "$rep" \
						'{type: "error", class: $k, target: "vss", snaps: $n, chunk: $c, rep: $r, msg: "vss module not loaded"}')"
					continue
				fi
				io_case "$rep" "$t" "$n" "$c" "$ko"
			done < <(io_cases)
		done
		CLASS=brd
	done
	ko_use "" || log "cannot load our vss.ko back"
fi

if [[ " $GROUPS_RUN " == *" w6 "* ]] && [ $have_vss = 1 ]; then
	w6_sizes="64 1024" w6_luns="1 8 32"
	[ "$SMOKE" = 1 ] && w6_sizes=64 w6_luns="1 2"
	for s in $w6_sizes; do
		for n in $w6_luns; do
			w6_case "$n" "$s" || log "W6 $n LUNs ${s} MiB failed"
		done
	done
fi

if [[ " $GROUPS_RUN " == *" w7 "* ]]; then
	w7_set="linear:0 vss:0 vss:1 vss:64 dmsnap:1"
	[ "$SMOKE" = 1 ] && w7_set="vss:1"
	[ $have_vss = 0 ] && w7_set="linear:0 dmsnap:1"
	for rep in $(seq "$REPS"); do
		for tn in $w7_set; do
			w7_case "$rep" "${tn%%:*}" "${tn#*:}" || log "W7 $tn failed"
		done
	done
fi

if [[ " $GROUPS_RUN " == *" w8 "* ]] && [ $have_vss = 1 ]; then
	# instants of every Freeze and Thaw round trip (w8_breakdown)
	echo 1 > /sys/module/vss/parameters/writer_timing
	for n in 1 8; do
		w8_case "$n" || log "W8 $n writers failed"
	done
fi

# W7 rolling: part of the w7 group, or alone as "w7roll".
if [[ " $GROUPS_RUN " == *" w7 "* || " $GROUPS_RUN " == *" w7roll "* ]] && [ $have_vss = 1 ]; then
	for rep in $(seq "$REPS"); do
		t0=$(now_ms)
		w7roll_case "$rep" || log "W7 rolling rep $rep failed"
		log "W7 rolling rep $rep: $(($(now_ms) - t0)) ms"
	done
fi

if [[ " $GROUPS_RUN " == *" w9 "* ]] && [ $have_vss = 1 ]; then
	w9_run
fi

if [[ " $GROUPS_RUN " == *" prof "* ]] && [ $have_vss = 1 ]; then
	prof_run
fi

if [[ " $GROUPS_RUN " == *" w10 "* ]] && [ $have_vss = 1 ]; then
	w10_run
fi

emit "$(jq -cn --argjson ms $(($(now_ms) - started)) '{type: "end", ms: $ms}')"
teardown
exit 0
