# SPDX-License-Identifier: GPL-2.0
#
# W9, LUN resync (issue 11): sourced by bench/guest/bench.sh, which gives
# emit, log, now_ms, fresh_disks, teardown, vss_lun_add, vss_snap,
# udev_wait, dm_create, $WORK, $MB, $RT, $REPS, $SMOKE.
# Documentation/bench.rst ("W9") describes the method; in short, on the
# first W9_MB of a vss LUN (W9_CHUNK chunks, 64 KiB unless BENCH_W9_CHUNK;
# prefilled; disks of twice that,
# so that the store holds a change of every chunk), one snapshot, then a
# changed fraction of its chunks (random, each written once, whole chunks):
#   w9lin   resync time against the changed fraction, the kernel's own
#           (resync-get's elapsed-us: resync-start's arrival to done), and
#           the wall time of `vssctl recover --wait`; right after it, as
#           the B of an A-B pair, the same extents copied by fio with
#           direct I/O (read from the snapshot image, written to a scratch
#           brd disk, libaio QD16: the floor any copy pays); dm-snapshot's
#           snapshot-merge of the same change (same fio seed, so the same
#           chunks);
#   w9fg    foreground 4 KiB random 70/30 IOPS (libaio QD16) on the LUN,
#           idle, then while a resync of every chunk runs (speed-min
#           W9_FG_MIN, speed-max W9_FG_MAX so that it is still running at
#           the end of the window), then idle again (A B A), and how far
#           the resync advanced in the window;
#   w9fglat (not by default) QD1 latencies of the fg case's parts: where
#           a foreground write waits during a resync;
#   w9runs  (not by default) the same bytes changed in three layouts:
#           W9_RUNS_FRAC % of the chunks scattered one in every few
#           ("stride": one copy run per chunk), contiguous from the start
#           ("dense": 1 MiB runs) and at random as w9lin does ("random"):
#           whether the resync's time follows the copy runs or the bytes;
#   (BENCH_W9_PARTS="lin fg ready" selects them)
#   w9ready the kernel's time from resync-start's arrival to the LUN's
#           reads being routed to the snapshot (resync-get's activate-us),
#           and, from the start of `vssctl recover`, the wall times to its
#           return and to a first read of a changed chunk that returns the
#           snapshot's data, on LUNs of W9_READY_SIZES MiB with 1 % changed
#           (or W9_READY_CHUNKS chunks on every size).
# Records: {"type":"w9", "part": ..., "t": guest epoch s, ...} (tools/bench
# pairs "t" with the host's load average); failures: {"type":"error","wl":"W9"}.

W9_MB=${BENCH_W9_MB:-256}
# the LUN's chunk size, which is also the unit of the change (each changed
# chunk written once, whole) and of the fio copy; the kernel's copy runs
# coalesce adjacent chunks up to W9_COPY_MAX (VSS_RESYNC_COPY_MAX of
# kmod/resync.c)
W9_CHUNK=${BENCH_W9_CHUNK:-65536}
W9_COPY_MAX=1048576
W9_FRACS=${BENCH_W9_FRACS:-0.1 1 10 25 50 100}
W9_MERGE_FRACS=${BENCH_W9_MERGE_FRACS-1 10 100}	# set and empty: none
W9_READY_SIZES=${BENCH_W9_READY_SIZES:-64 512 4096}
# the readiness case changes 1 % of each LUN's chunks, or this many
# chunks whatever the LUN's size (the same work set on every size)
W9_READY_CHUNKS=${BENCH_W9_READY_CHUNKS:-}
W9_PARTS=${BENCH_W9_PARTS:-lin fg ready}
# the fg case's chunk sizes, each a LUN of its own, interleaved within a
# repetition (e.g. "65536 4096": a 4 KiB write covers a 4 KiB chunk whole)
W9_FG_CHUNKS=${BENCH_W9_FG_CHUNKS:-$W9_CHUNK}
# the runs part's changed fractions (at most 50: stride needs a gap)
W9_RUNS_FRACS=${BENCH_W9_RUNS_FRACS:-25}
# 0: no fio copy after each resync of the lin part (linearity runs only)
W9_COPY=${BENCH_W9_COPY:-1}
if [ "$SMOKE" = 1 ]; then
	W9_MB=32 W9_FRACS="1 100" W9_MERGE_FRACS=100 W9_READY_SIZES="32 128"
fi
W9_SEED=4242
W9_FG_MIN=${BENCH_W9_FG_MIN:-2M}	# the fg case's guaranteed resync rate
# and its ceiling between the fio runs: the same, so that the resync still
# runs through the last of them (starting fio and vssctl takes from 2 to
# over 10 s on a loaded host: a ceiling of 8M finished the resync before
# the window's end in some runs, 4M before the mix started in one)
W9_FG_MAX=${BENCH_W9_FG_MAX:-$W9_FG_MIN}

# w9_emit JSON: a W9 record, stamped with the guest's time.
w9_emit() {
	emit "$(echo "$1" | jq -c --argjson t "$(date +%s)" '. + {t: $t}')"
}

w9_err() { # PART MSG [LABELS_JSON]
	local lab='{}'
	[ $# -ge 3 ] && lab=$3
	emit "$(jq -cn --arg p "$1" --arg m "$2" --argjson l "$lab" \
		'$l + {type: "error", wl: "W9", part: $p, msg: $m}')"
}

# w9_change DEV MB FRAC: write FRAC % of the W9_CHUNK chunks of the first MB
# MiB of DEV once each, in random order with a fixed seed (the same chunks
# on every engine); prints the number of chunks written.
w9_change() {
	local dev=$1 mb=$2 frac=$3 n
	n=$(awk -v c=$((mb * MB / W9_CHUNK)) -v f="$frac" 'BEGIN { n = int(c * f / 100 + 0.5); if (n < 1) n = 1; print n }')
	fio --name=w9change --eta=never --disk_util=0 --filename="$dev" --direct=1 --rw=randwrite \
		--bs=$W9_CHUNK --ioengine=libaio --iodepth=8 --size=${mb}m --number_ios="$n" \
		--randseed=$W9_SEED --randrepeat=0 --output=/dev/null || return 1
	echo "$n"
}

# w9_change_layout DEV MB FRAC LAYOUT: w9_change's FRAC % of the chunks,
# laid out as LAYOUT: random (w9_change), stride (every k-th chunk from
# the first, k = the chunks / the changed ones, at least 2: no two
# adjacent) or dense (the first ones, contiguous); prints the number of
# chunks written.
w9_change_layout() {
	local dev=$1 mb=$2 frac=$3 c n k
	[ "$4" = random ] && { w9_change "$dev" "$mb" "$frac"; return; }
	c=$((mb * MB / W9_CHUNK))
	n=$(awk -v c=$c -v f="$frac" 'BEGIN { n = int(c * f / 100 + 0.5); if (n < 1) n = 1; print n }')
	case $4 in
	stride) k=$((c / n)); [ $k -ge 2 ] || return 1 ;;
	dense) k=1 ;;
	*) return 1 ;;
	esac
	# rw=write:HOLE skips HOLE bytes after each write
	fio --name=w9change --eta=never --disk_util=0 --filename="$dev" --direct=1 \
		--rw=write:$(((k - 1) * W9_CHUNK)) --bs=$W9_CHUNK --ioengine=libaio --iodepth=8 \
		--size=${mb}m --number_ios="$n" --output=/dev/null || return 1
	echo "$n"
}

# w9_copy_log FILE SNAPDEV DST EXTENTS_JSON: fio iolog that reads each
# changed extent from the snapshot image and writes it to DST, W9_CHUNK at a
# time (the resync's unit).
w9_copy_log() {
	local f=$1 src=$2 dst=$3
	{
		echo "fio version 2 iolog"
		echo "$src add"
		echo "$dst add"
		echo "$src open"
		echo "$dst open"
		jq -r '.extents[] | "\(.offset) \(.length)"' "$4" |
			awk -v s="$src" -v d="$dst" -v c=$W9_CHUNK '{
				for (o = $1; o < $1 + $2; o += c) {
					printf "%s read %d %d\n", s, o, c
					printf "%s write %d %d\n", d, o, c
				}
			}'
		echo "$src close"
		echo "$dst close"
	} > "$f"
}

# w9_runs EXTENTS_JSON: {"extents": N, "copy_runs": N} of a `vssctl -j
# snapshot changes` document: its extents with adjacent ones merged (the
# listing splits long ones), and the copy runs the kernel's background walk
# makes of them when nothing else runs (vss_resync_next_run(): from the
# first chunk of each extent, runs of up to W9_COPY_MAX bytes; no
# speed-max, which would shorten them).  The resync's time is expected to
# follow these as well as the bytes (Documentation/bench.rst, W9).
w9_runs() {
	jq -c --argjson m $W9_COPY_MAX '[.extents[] | {o: .offset, l: .length}] |
		reduce .[] as $e ([]; if length > 0 and (.[-1].o + .[-1].l) == $e.o
			then .[-1].l += $e.l else . + [$e] end) |
		{extents: length, copy_runs: (map((.l + $m - 1) / $m | floor) | add // 0)}' "$1"
}

# w9_recover_wait ID: `vssctl -j recover --wait ID`; the final object in
# $WORK/w9rec.json, the resync's entry of `vssctl -j resync list` (the
# kernel's activate_us, elapsed_us) in $WORK/w9rs.json; prints the wall
# time in ms.
w9_recover_wait() {
	local t0 t1
	t0=$(now_ms)
	vssctl -j recover --wait "$1" > "$WORK/w9rec.out" 2> "$WORK/w9rec.err" || return 1
	t1=$(now_ms)
	tail -n 1 "$WORK/w9rec.out" > "$WORK/w9rec.json"
	jq -e '.type == "result" and .done_bytes == .total_bytes' "$WORK/w9rec.json" >/dev/null || return 1
	w9_resync_entry "$LUN_DEV" > "$WORK/w9rs.json" || return 1
	jq -e '.state == "done" and .elapsed_us != null' "$WORK/w9rs.json" >/dev/null || return 1
	echo $((t1 - t0))
}

# w9_resync_entry DEV: the last resync onto DEV in `vssctl -j resync list`.
w9_resync_entry() {
	vssctl -j resync list | jq -ce --arg d "$1" '[.[] | select(.destination == $d)] | last'
}

# w9lin_case REP FRAC
w9lin_case() {
	local rep=$1 frac=$2 l n id snapdev ms copy_ms bytes total out runs
	l=$(jq -cn --argjson r "$rep" --argjson f "$frac" --argjson mb $W9_MB --argjson c $W9_CHUNK \
		'{type: "w9", part: "lin", rep: $r, frac_pct: $f, lun_mb: $mb, chunk: $c}')
	# ram0 LUN, ram1 store, ram2 scratch destination of the fio copy
	# disks of twice the region: the store holds every chunk of it and more
	fresh_disks 3 $((2 * W9_MB)) || { w9_err lin "brd" "$l"; return 1; }
	vss_lun_add bench /dev/ram0 /dev/ram1 $W9_CHUNK || { w9_err lin "lun add" "$l"; teardown; return 1; }
	for d in "$LUN_DEV" $([ "$W9_COPY" = 1 ] && echo /dev/ram2); do
		fio --name=w9fill --eta=never --disk_util=0 --filename="$d" --rw=write --bs=1m --ioengine=psync \
			--direct=1 --size=${W9_MB}m --output=/dev/null || { w9_err lin "prefill" "$l"; teardown; return 1; }
	done
	vss_snap bench || { w9_err lin "snapshot" "$l"; teardown; return 1; }
	id=$(echo "$SNAP_OUT" | jq -r '.snapshots[0].id')
	snapdev=$SNAP_DEV
	n=$(w9_change "$LUN_DEV" $W9_MB "$frac") || { w9_err lin "change" "$l"; teardown; return 1; }
	vssctl -j snapshot changes "$id" > "$WORK/w9ext.json" || { w9_err lin "changes" "$l"; teardown; return 1; }
	bytes=$(jq '.changed_bytes' "$WORK/w9ext.json")
	runs=$(w9_runs "$WORK/w9ext.json") || runs=null
	ms=$(w9_recover_wait "$id") || {
		w9_err lin "recover: $(head -c 300 "$WORK/w9rec.err") $(tail -c 300 "$WORK/w9rec.out")" "$l"
		teardown; return 1; }
	total=$(jq '.total_bytes' "$WORK/w9rec.json")
	# the fio copy of the same extents, after the resync (the snapshot
	# still holds them)
	copy_ms=null
	if [ "$W9_COPY" = 1 ]; then
		w9_copy_log "$WORK/w9copy.log" "$snapdev" /dev/ram2 "$WORK/w9ext.json"
		out=$(fio --name=w9copy --eta=never --disk_util=0 --output-format=json --direct=1 \
			--read_iolog="$WORK/w9copy.log" --replay_no_stall=1 --ioengine=libaio --iodepth=16 2>"$WORK/fio.err")
		copy_ms=$(echo "$out" | jq '.jobs[0].job_runtime' 2>/dev/null)
		[ -n "$copy_ms" ] && [ "$copy_ms" != null ] || copy_ms=null
	fi
	w9_emit "$(jq -cn --argjson l "$l" --argjson n "$n" --argjson b "$bytes" --argjson t "$total" \
		--argjson ms "$ms" --argjson c "$copy_ms" --slurpfile k "$WORK/w9rs.json" --argjson runs "$runs" \
		'$l + {engine: "vss", changed_chunks: $n, changed_bytes: $b, total_bytes: $t,
		       extents: $runs.extents, copy_runs: $runs.copy_runs,
		       resync_ms: $ms, resync_kernel_ms: ($k[0].elapsed_us / 1000),
		       activate_us: $k[0].activate_us, fio_copy_ms: $c}')"
	teardown
}

# w9runs_case REP FRAC LAYOUT: w9lin's resync (no fio copy) after FRAC %
# of the chunks changed in LAYOUT (w9_change_layout).
w9runs_case() {
	local rep=$1 frac=$2 lay=$3 l n id ms bytes total runs
	l=$(jq -cn --argjson r "$rep" --argjson f "$frac" --argjson mb $W9_MB --argjson c $W9_CHUNK --arg y "$lay" \
		'{type: "w9", part: "runs", rep: $r, frac_pct: $f, lun_mb: $mb, chunk: $c, layout: $y}')
	fresh_disks 2 $((2 * W9_MB)) || { w9_err runs "brd" "$l"; return 1; }
	vss_lun_add bench /dev/ram0 /dev/ram1 $W9_CHUNK || { w9_err runs "lun add" "$l"; teardown; return 1; }
	fio --name=w9fill --eta=never --disk_util=0 --filename="$LUN_DEV" --rw=write --bs=1m --ioengine=psync \
		--direct=1 --size=${W9_MB}m --output=/dev/null || { w9_err runs "prefill" "$l"; teardown; return 1; }
	vss_snap bench || { w9_err runs "snapshot" "$l"; teardown; return 1; }
	id=$(echo "$SNAP_OUT" | jq -r '.snapshots[0].id')
	n=$(w9_change_layout "$LUN_DEV" $W9_MB "$frac" "$lay") || { w9_err runs "change" "$l"; teardown; return 1; }
	vssctl -j snapshot changes "$id" > "$WORK/w9ext.json" || { w9_err runs "changes" "$l"; teardown; return 1; }
	bytes=$(jq '.changed_bytes' "$WORK/w9ext.json")
	runs=$(w9_runs "$WORK/w9ext.json") || { w9_err runs "extents" "$l"; teardown; return 1; }
	ms=$(w9_recover_wait "$id") || {
		w9_err runs "recover: $(head -c 300 "$WORK/w9rec.err") $(tail -c 300 "$WORK/w9rec.out")" "$l"
		teardown; return 1; }
	total=$(jq '.total_bytes' "$WORK/w9rec.json")
	w9_emit "$(jq -cn --argjson l "$l" --argjson n "$n" --argjson b "$bytes" --argjson t "$total" \
		--argjson ms "$ms" --slurpfile k "$WORK/w9rs.json" --argjson runs "$runs" \
		'$l + {engine: "vss", changed_chunks: $n, changed_bytes: $b, total_bytes: $t,
		       extents: $runs.extents, copy_runs: $runs.copy_runs,
		       resync_ms: $ms, resync_kernel_ms: ($k[0].elapsed_us / 1000),
		       activate_us: $k[0].activate_us}')"
	teardown
}

# w9merge_case REP FRAC: dm-snapshot snapshot-merge of the same change.
w9merge_case() {
	local rep=$1 frac=$2 l n sectors t0 t1 st alloc meta i cs=$((W9_CHUNK / 512))
	l=$(jq -cn --argjson r "$rep" --argjson f "$frac" --argjson mb $W9_MB --argjson c $W9_CHUNK \
		'{type: "w9", part: "lin", rep: $r, frac_pct: $f, lun_mb: $mb, chunk: $c, engine: "dmsnap-merge"}')
	fresh_disks 2 $((2 * W9_MB)) || { w9_err merge "brd" "$l"; return 1; }
	sectors=$((W9_MB * MB / 512))
	dm_create w9-orig "0 $sectors snapshot-origin /dev/ram0" || { w9_err merge "origin" "$l"; teardown; return 1; }
	fio --name=w9fill --eta=never --disk_util=0 --filename=/dev/mapper/w9-orig --rw=write --bs=1m --ioengine=psync \
		--direct=1 --size=${W9_MB}m --output=/dev/null || { w9_err merge "prefill" "$l"; teardown; return 1; }
	dmsetup suspend w9-orig &&
		dm_create w9-snap "0 $sectors snapshot /dev/ram0 /dev/ram1 P $cs" &&
		dmsetup resume w9-orig || { w9_err merge "snapshot" "$l"; teardown; return 1; }
	n=$(w9_change /dev/mapper/w9-orig $W9_MB "$frac") || { w9_err merge "change" "$l"; teardown; return 1; }
	# lvconvert --merge's steps: the snapshot goes, the origin's table
	# becomes snapshot-merge over the same COW device
	dmsetup remove w9-snap || { w9_err merge "remove snapshot" "$l"; teardown; return 1; }
	dmsetup suspend w9-orig || { w9_err merge "suspend" "$l"; teardown; return 1; }
	dmsetup reload w9-orig --table "0 $sectors snapshot-merge /dev/ram0 /dev/ram1 P $cs" ||
		{ w9_err merge "reload" "$l"; teardown; return 1; }
	t0=$(now_ms)
	dmsetup resume w9-orig || { w9_err merge "resume" "$l"; teardown; return 1; }
	# done when only the metadata is allocated: "<alloc>/<total> <meta>"
	for i in $(seq 600000); do
		st=$(dmsetup status w9-orig | awk '{ print $4, $5 }')
		alloc=${st%%/*} meta=${st##* }
		[ -n "$alloc" ] && [ "$alloc" = "$meta" ] && break
		sleep 0.02
	done
	t1=$(now_ms)
	if [ "$alloc" != "$meta" ]; then
		w9_err merge "merge did not finish: $st" "$l"; teardown; return 1
	fi
	w9_emit "$(jq -cn --argjson l "$l" --argjson n "$n" --argjson ms $((t1 - t0)) \
		'$l + {changed_chunks: $n, changed_bytes: ($n * '$W9_CHUNK'), resync_ms: $ms}')"
	teardown
}

# w9_fio_fg DEV [RW]: 4 KiB random 70/30 mix (or RW, e.g. randread),
# libaio QD16, RT seconds; {"r": read IOPS, "w": write IOPS}.
w9_fio_fg() {
	fio --name=w9fg --eta=never --disk_util=0 --output-format=json --filename="$1" --direct=1 \
		--rw="${2:-randrw}" --rwmixread=70 --bs=4k --ioengine=libaio --iodepth=16 --size=${W9_MB}m \
		--norandommap --randrepeat=0 --runtime="$RT" --time_based 2>"$WORK/fio.err" |
		jq -c '.jobs[0] | {r: .read.iops, w: .write.iops}'
}

# w9_resync_field DEV FIELD: FIELD of the last resync onto DEV.
w9_resync_field() {
	vssctl -j resync list | jq -r --arg d "$1" --arg f "$2" \
		'[.[] | select(.destination == $d)] | last | .[$f] // empty'
}

# w9fg_setup PART LABELS_JSON: the foreground cases' LUN: prefilled,
# snapshotted (its id in $id, $SNAP_OUT and $SNAP_DEV as vss_snap set
# them), then every chunk changed.  On failure the error is recorded and
# everything torn down.
w9fg_setup() {
	local l=$2
	fresh_disks 2 $((2 * W9_MB)) || { w9_err "$1" "brd" "$l"; return 1; }
	vss_lun_add bench /dev/ram0 /dev/ram1 $W9_CHUNK || { w9_err "$1" "lun add" "$l"; teardown; return 1; }
	fio --name=w9fill --eta=never --disk_util=0 --filename="$LUN_DEV" --rw=write --bs=1m --ioengine=psync \
		--direct=1 --size=${W9_MB}m --output=/dev/null || { w9_err "$1" "prefill" "$l"; teardown; return 1; }
	vss_snap bench || { w9_err "$1" "snapshot" "$l"; teardown; return 1; }
	id=$(echo "$SNAP_OUT" | jq -r '.snapshots[0].id')
	w9_change "$LUN_DEV" $W9_MB 100 >/dev/null || { w9_err "$1" "change" "$l"; teardown; return 1; }
}

# w9fg_case REP: idle, during a resync held between W9_FG_MIN and
# W9_FG_MAX, idle again.  Reads alone too, idle and during the resync
# after the mix (they copy nothing: reads of unsynced chunks are served
# by the snapshot image), to tell the reads' routing from the writes'
# copies.
w9fg_case() {
	local rep=$1 l id idle idle2 busy d0 d1 t0 t1 st total smin idler busyr str
	l=$(jq -cn --argjson r "$rep" --argjson mb $W9_MB --argjson c $W9_CHUNK \
		'{type: "w9", part: "fg", rep: $r, lun_mb: $mb, chunk: $c}')
	w9fg_setup fg "$l" || return 1
	idler=$(w9_fio_fg "$LUN_DEV" randread)
	idle=$(w9_fio_fg "$LUN_DEV")
	vssctl -j recover --speed-min "$W9_FG_MIN" --speed-max "$W9_FG_MAX" "$id" \
		> "$WORK/w9rec.out" 2> "$WORK/w9rec.err" ||
		{ w9_err fg "recover: $(head -c 300 "$WORK/w9rec.err")" "$l"; teardown; return 1; }
	d0=$(w9_resync_field "$LUN_DEV" done_bytes)
	t0=$(now_ms)
	busy=$(w9_fio_fg "$LUN_DEV")
	t1=$(now_ms)
	d1=$(w9_resync_field "$LUN_DEV" done_bytes)
	st=$(w9_resync_field "$LUN_DEV" state)
	busyr=$(w9_fio_fg "$LUN_DEV" randread)
	str=$(w9_resync_field "$LUN_DEV" state)
	total=$(w9_resync_field "$LUN_DEV" total_bytes)
	smin=$(w9_resync_field "$LUN_DEV" speed_min)
	# the rest at full speed (0: the module's default ceiling, none)
	vssctl resync speed "$LUN_DEV" --max 0 >/dev/null 2>&1 || { w9_err fg "resync speed" "$l"; teardown; return 1; }
	vssctl resync wait "$LUN_DEV" >/dev/null 2>&1 || { w9_err fg "resync wait" "$l"; teardown; return 1; }
	idle2=$(w9_fio_fg "$LUN_DEV")
	w9_emit "$(jq -cn --argjson l "$l" --argjson i "${idle:-null}" --argjson i2 "${idle2:-null}" \
		--argjson b "${busy:-null}" --argjson d0 "${d0:-null}" --argjson d1 "${d1:-null}" \
		--argjson ms $((t1 - t0)) --arg st "$st" --argjson t "${total:-null}" \
		--argjson smin "${smin:-null}" --argjson ir "${idler:-null}" --argjson br "${busyr:-null}" --arg str "$str" \
		'def tot(x): if x == null then null else x.r + x.w end;
		 $l + {idle_iops: tot($i), idle_after_iops: tot($i2), resync_iops: tot($b), window_ms: $ms,
		       idle_read_iops: $i.r, idle_write_iops: $i.w,
		       resync_read_iops: $b.r, resync_write_iops: $b.w,
		       idle_readonly_iops: $ir.r, resync_readonly_iops: $br.r,
		       resync_done_before: $d0, resync_done_after: $d1, resync_total: $t,
		       state_after: $st, state_after_reads: $str, speed_min: $smin,
		       resync_rate_in_window: (if $d0 != null and $d1 != null then ($d1 - $d0) * 1000 / $ms else null end)}')"
	teardown
}

# w9_lat DEV RW BS: QD1 (psync) RT seconds of RW at BS on DEV;
# {"n": I/Os, "mean": us, "p50": us, "p99": us} of fio's total latency.
w9_lat() {
	local d=read
	[[ "$2" == *write* ]] && d=write
	fio --name=w9lat --eta=never --disk_util=0 --output-format=json --filename="$1" --direct=1 \
		--rw="$2" --bs="$3" --ioengine=psync --size=${W9_MB}m --norandommap --randrepeat=0 \
		--runtime="$RT" --time_based 2>"$WORK/fio.err" |
		jq -c --arg d "$d" '.jobs[0][$d] | {n: .total_ios, mean: (.lat_ns.mean / 1000),
			p50: (.clat_ns.percentile["50.000000"] / 1000), p99: (.clat_ns.percentile["99.000000"] / 1000)}'
}

# w9fglat_case REP: where a foreground write waits during a resync.  QD1
# latencies on the fg case's LUN (every chunk changed): idle, a 4 KiB
# random write, a 64 KiB read of the snapshot image and a 64 KiB
# (whole-chunk) write of the LUN -- the parts of a write's on-demand copy
# -- then, while a resync runs at speed-min = speed-max = W9_FG_MIN, 4 KiB
# random writes (nearly all into unsynced chunks) and reads (routed to
# the snapshot image).  A write's latency during the resync against the
# sum of its parts tells the copy's own cost from waiting (behind
# background copies, for a commit).
w9fglat_case() {
	local rep=$1 l id snapdev w4 r64 w64 rw4 rr4 r4 d0 d1 st
	l=$(jq -cn --argjson r "$rep" --argjson mb $W9_MB --argjson c $W9_CHUNK \
		'{type: "w9", part: "fglat", rep: $r, lun_mb: $mb, chunk: $c}')
	w9fg_setup fglat "$l" || return 1
	snapdev=$SNAP_DEV
	r4=$(w9_lat "$LUN_DEV" randread 4k)
	w4=$(w9_lat "$LUN_DEV" randwrite 4k)
	r64=$(w9_lat "$snapdev" randread 64k)
	w64=$(w9_lat "$LUN_DEV" randwrite 64k)
	vssctl -j recover --speed-min "$W9_FG_MIN" --speed-max "$W9_FG_MAX" "$id" \
		> "$WORK/w9rec.out" 2> "$WORK/w9rec.err" ||
		{ w9_err fglat "recover: $(head -c 300 "$WORK/w9rec.err")" "$l"; teardown; return 1; }
	d0=$(w9_resync_field "$LUN_DEV" done_bytes)
	rw4=$(w9_lat "$LUN_DEV" randwrite 4k)
	rr4=$(w9_lat "$LUN_DEV" randread 4k)
	d1=$(w9_resync_field "$LUN_DEV" done_bytes)
	st=$(w9_resync_field "$LUN_DEV" state)
	vssctl resync speed "$LUN_DEV" --max 0 >/dev/null 2>&1 || { w9_err fglat "resync speed" "$l"; teardown; return 1; }
	vssctl resync wait "$LUN_DEV" >/dev/null 2>&1 || { w9_err fglat "resync wait" "$l"; teardown; return 1; }
	w9_emit "$(jq -cn --argjson l "$l" --argjson r4 "${r4:-null}" --argjson w4 "${w4:-null}" \
		--argjson r64 "${r64:-null}" --argjson w64 "${w64:-null}" --argjson rw4 "${rw4:-null}" \
		--argjson rr4 "${rr4:-null}" --argjson d0 "${d0:-null}" --argjson d1 "${d1:-null}" --arg st "$st" \
		'$l + {idle_read4k: $r4, idle_write4k: $w4, idle_snap_read64k: $r64, idle_write64k: $w64,
		       resync_write4k: $rw4, resync_read4k: $rr4, resync_done_before: $d0,
		       resync_done_after: $d1, state_after: $st}')"
	teardown
}

# w9ready_case REP SIZE_MB: RecoverSet until the LUN reads as the snapshot.
w9ready_case() {
	local rep=$1 mb=$2 l id snapdev n off want got t0 t1 t2 act frac=1
	[ -n "$W9_READY_CHUNKS" ] &&
		frac=$(awk -v n="$W9_READY_CHUNKS" -v c=$((mb * MB / W9_CHUNK)) 'BEGIN { printf "%.10f", n * 100 / c }')
	l=$(jq -cn --argjson r "$rep" --argjson mb "$mb" --argjson f "$frac" --argjson c $W9_CHUNK \
		'{type: "w9", part: "ready", rep: $r, lun_mb: $mb, chunk: $c, frac_pct: $f}')
	fresh_disks 2 "$mb" || { w9_err ready "brd" "$l"; return 1; }
	vss_lun_add bench /dev/ram0 /dev/ram1 $W9_CHUNK || { w9_err ready "lun add" "$l"; teardown; return 1; }
	vss_snap bench || { w9_err ready "snapshot" "$l"; teardown; return 1; }
	id=$(echo "$SNAP_OUT" | jq -r '.snapshots[0].id')
	snapdev=$SNAP_DEV
	n=$(w9_change "$LUN_DEV" "$mb" "$frac") || { w9_err ready "change" "$l"; teardown; return 1; }
	# the last changed extent: read right after RecoverSet returns
	off=$(vssctl -j snapshot changes "$id" | jq '.extents | last | .offset')
	want=$(dd if="$snapdev" bs=$W9_CHUNK skip=$((off / W9_CHUNK)) count=1 iflag=direct status=none | sha256sum)
	sync
	t0=$(now_ms)
	vssctl recover "$id" > "$WORK/w9rec.out" 2> "$WORK/w9rec.err" ||
		{ w9_err ready "recover: $(head -c 300 "$WORK/w9rec.err")" "$l"; teardown; return 1; }
	t1=$(now_ms)
	got=$(dd if="$LUN_DEV" bs=$W9_CHUNK skip=$((off / W9_CHUNK)) count=1 iflag=direct status=none | sha256sum)
	t2=$(now_ms)
	act=$(w9_resync_field "$LUN_DEV" activate_us)
	vssctl resync wait "$LUN_DEV" >/dev/null 2>&1 || { w9_err ready "resync wait" "$l"; teardown; return 1; }
	w9_emit "$(jq -cn --argjson l "$l" --argjson n "$n" --argjson a $((t1 - t0)) --argjson b $((t2 - t0)) \
		--argjson ok "$([ "$want" = "$got" ] && echo true || echo false)" --argjson act "${act:-null}" \
		'$l + {changed_chunks: $n, activate_us: $act, recover_ms: $a, first_read_ms: $b,
		       reads_as_snapshot: $ok}')"
	teardown
}

w9_run() {
	local rep f s t0 y c
	for rep in $(seq "$REPS"); do
		t0=$(now_ms)
		[[ " $W9_PARTS " == *" lin "* ]] && for f in $W9_FRACS; do
			w9lin_case "$rep" "$f" || log "W9 lin $f% rep $rep failed"
			if [[ " $W9_MERGE_FRACS " == *" $f "* ]]; then
				w9merge_case "$rep" "$f" || log "W9 merge $f% rep $rep failed"
			fi
		done
		# the layouts interleaved, in a different order each repetition
		[[ " $W9_PARTS " == *" runs "* ]] && for f in $W9_RUNS_FRACS; do
			for y in $(echo stride dense random | tr ' ' '\n' | shuf); do
				w9runs_case "$rep" "$f" "$y" || log "W9 runs $f% $y rep $rep failed"
			done
		done
		[[ " $W9_PARTS " == *" fg "* ]] && for c in $W9_FG_CHUNKS; do
			W9_CHUNK=$c w9fg_case "$rep" || log "W9 fg ${c}-byte chunks rep $rep failed"
		done
		if [[ " $W9_PARTS " == *" fglat "* ]]; then
			w9fglat_case "$rep" || log "W9 fglat rep $rep failed"
		fi
		[[ " $W9_PARTS " == *" ready "* ]] && for s in $W9_READY_SIZES; do
			w9ready_case "$rep" "$s" || log "W9 ready ${s} MiB rep $rep failed"
		done
		log "W9 rep $rep: $(($(now_ms) - t0)) ms"
	done
}
