# SPDX-License-Identifier: GPL-2.0
#
# W10, scale (issue 12): sourced by bench/guest/bench.sh, which gives emit,
# log, now_ms, teardown, mem_now, w7_top, vss_lun_add, vss_snap, dm_create,
# udev_wait, $WORK, $MB, $REPS, $SMOKE.  Documentation/bench.rst ("W10")
# describes the method.  In short: a 16 TiB LUN that is a dm-zero device
# (reads return zeros, writes are dropped: the engine's maps, log and copies
# are what is measured, not a disk), a store on zram (its data chunks are
# copies of zero chunks, which zram keeps as "same-filled" pages without
# memory; the log blocks are compressed and kept), so a store for 10^6
# changed 4 KiB chunks (4 GiB) fits in the 2 GiB guest.  4 KiB chunks.
#   w10 part "fill"    after 1 or 64 snapshots, W10_CHUNKS chunks changed
#                      once (dense: a random permutation of the first
#                      W10_CHUNKS chunks, libaio QD32); kernel memory per
#                      changed chunk; with 1 snapshot also: first-write IOPS
#                      (QD1 and QD32, W10_PROBE chunks each, fresh chunks)
#                      on the empty LUN and at W10_CHUNKS mapped chunks, the
#                      hold window of snapshot creation on the empty LUN and
#                      at W10_CHUNKS mapped chunks, and the re-add time of
#                      the LUN (log replay of W10_CHUNKS exception records)
#   w10 part "sparse"  the same memory reading for W10_SPARSE chunks spread
#                      uniformly over the 16 TiB (the radix tree's worst case)
#   w10 part "dmsnap"  dm-snapshot, persistent, with W10_CHUNKS exceptions
#                      written the same way: its activation time (table load
#                      of the snapshot, which reads every exception)
#   w10 part "snaps"   first-write IOPS (W10_PROBE fresh chunks, QD1 and
#                      QD32) on a LUN with 1 and with 512 snapshots
#   w10 part "roll"    rolling snapshots: W10_ROLL_ROUNDS rounds of take a
#                      snapshot, write W10_ROLL_CHUNKS new chunks, delete the
#                      oldest (2 remain); kernel memory per live and per
#                      ever-preserved chunk
# Records: {"type":"w10", "part": ...}; failures {"type":"error","wl":"W10"}.

W10_LUN_SECTORS=$((16 * 1024 * 1024 * 1024 * 2))	# 16 TiB
W10_CHUNKS=${BENCH_W10_CHUNKS:-1000000}
W10_SPARSE=${BENCH_W10_SPARSE:-100000}
W10_PROBE=${BENCH_W10_PROBE:-20000}
W10_ROLL_ROUNDS=${BENCH_W10_ROLL_ROUNDS:-1000}
W10_ROLL_CHUNKS=${BENCH_W10_ROLL_CHUNKS:-1000}
W10_MANY=${BENCH_W10_MANY:-512}
W10_PARTS=${BENCH_W10_PARTS:-fill sparse dmsnap snaps roll}
if [ "$SMOKE" = 1 ]; then
	W10_CHUNKS=20000 W10_SPARSE=5000 W10_PROBE=2000 W10_ROLL_ROUNDS=10 W10_ROLL_CHUNKS=200 W10_MANY=16
fi
W10_REPS=${BENCH_W10_REPS:-1}

# engine_ctl (selftests/vss/engine_ctl.c): one snapshot set or delete per
# call without vssctl's session and writer protocol; the 512-snapshot and
# rolling cases take hundreds of snapshots, and vssctl's start costs most
# of a second under TCG.
W10_CTL=$(command -v engine_ctl || echo /opt/vss/selftests/engine_ctl)

# w10_snap1: one snapshot of LUN w10 through engine_ctl; prints its id.
w10_snap1() {
	"$W10_CTL" snap w10 | awk 'NR == 1 { print $3 }'
}

w10_err() { # PART MSG [LABELS_JSON]
	local lab='{}'
	[ $# -ge 3 ] && lab=$3
	emit "$(jq -cn --arg p "$1" --arg m "$2" --argjson l "$lab" \
		'$l + {type: "error", wl: "W10", part: $p, msg: $m}')"
}

# w10_teardown: everything bench.sh's teardown removes, and the zram disks.
w10_teardown() {
	local z
	teardown
	for z in /sys/block/zram*; do
		[ -e "$z/reset" ] && echo 1 > "$z/reset" 2>/dev/null
	done
	lsmod | grep -q '^zram ' && rmmod zram
	return 0
}

# w10_disks NZRAM: the 16 TiB dm-zero LUN device /dev/mapper/w10-zero and
# NZRAM zram disks big enough for W10_CHUNKS copies and their log.
w10_disks() {
	local n=$1 i mb
	mb=$((W10_CHUNKS * 4096 / MB * 11 / 10 + 512))
	[ $((W10_ROLL_ROUNDS * W10_ROLL_CHUNKS * 4096 / MB / 4 + 512)) -gt $mb ] &&
		mb=$((W10_ROLL_ROUNDS * W10_ROLL_CHUNKS * 4096 / MB / 4 + 512))
	w10_teardown
	modprobe zram num_devices="$n" || return 1
	for i in $(seq 0 $((n - 1))); do
		udev_wait /dev/zram$i || return 1
		echo "${mb}M" > /sys/block/zram$i/disksize || return 1
	done
	modprobe dm-zero || return 1
	dm_create w10-zero "0 $W10_LUN_SECTORS zero"
}

# w10_write DEV NAME CHUNKS OFFSET_CHUNKS QD [SEED]: CHUNKS 4 KiB writes,
# each to a different chunk, in random order, from chunk OFFSET_CHUNKS on;
# prints fio's write IOPS.
w10_write() {
	local engine=libaio
	[ "$5" = 1 ] && engine=psync
	fio --name="$2" --eta=never --disk_util=0 --output-format=json --filename="$1" --direct=1 \
		--rw=randwrite --bs=4k --ioengine=$engine --iodepth="$5" --offset=$(($4 * 4096)) \
		--size=$(($3 * 4096)) --randseed="${6:-1010}" 2>"$WORK/fio.err" | jq '.jobs[0].write.iops'
}

# w10_sparse DEV CHUNKS: CHUNKS 4 KiB writes at uniformly random 4 KiB
# offsets of the whole 16 TiB (a few land on the same chunk twice).
w10_sparse() {
	fio --name=w10sparse --eta=never --disk_util=0 --output-format=json --filename="$1" --direct=1 \
		--rw=randwrite --bs=4k --ioengine=libaio --iodepth=32 --norandommap \
		--random_generator=tausworthe64 --number_ios="$2" --randseed=1011 \
		2>"$WORK/fio.err" | jq '.jobs[0].write.iops'
}

# w10_cow_chunks: chunks preserved by the snapshots of LUN w10.
w10_cow_chunks() {
	vssctl -j snapshot list --lun w10 | jq '[.[].cow_bytes // 0] | add // 0 | . / 4096 | floor'
}

w10_mem_json() { # LABELS BEFORE AFTER CHUNKS TOP
	jq -cn --argjson l "$1" --argjson a "$2" --argjson b "$3" --argjson c "$4" --argjson top "$5" '
		$l + {chunks: $c, before: $a, after: $b, top_caches: $top,
		      slab_per_chunk: (($b.slab - $a.slab) / $c),
		      other_per_chunk: ((($b.vmalloc - $a.vmalloc) + ($b.percpu - $a.percpu)) / $c),
		      ram_per_chunk: ((($b.slab - $a.slab) + ($b.vmalloc - $a.vmalloc) + ($b.percpu - $a.percpu)) / $c)}'
}

# w10_readd: remove LUN w10 and add it again from the same devices (no
# --format: the store's log is replayed); prints the ms of the add.
w10_readd() {
	local t0 t1
	sync
	vssctl lun remove w10 >/dev/null 2>"$WORK/w10add.err" || return 1
	VSS_LUNS=()
	t0=$(now_ms)
	vssctl -j lun add /dev/mapper/w10-zero --store /dev/zram0 --name w10 > "$WORK/w10add.json" 2>"$WORK/w10add.err" ||
		return 1
	t1=$(now_ms)
	VSS_LUNS=(w10)
	udev_wait "$LUN_DEV" || return 1
	echo $((t1 - t0))
}

# w10_fill_case REP NSNAP
w10_fill_case() {
	local rep=$1 n=$2 l i holds_e=() holds_f=() before after chunks iops e1 e32 f1 f32 t0 t1 c2 n2 r0 r1 ids
	l=$(jq -cn --argjson r "$rep" --argjson n "$n" --argjson c "$W10_CHUNKS" \
		'{type: "w10", part: "fill", rep: $r, snaps: $n, target_chunks: $c, chunk: 4096, lun_tib: 16}')
	w10_disks 1 || { w10_err fill "devices" "$l"; w10_teardown; return 1; }
	vss_lun_add w10 /dev/mapper/w10-zero /dev/zram0 4096 || { w10_err fill "lun add" "$l"; w10_teardown; return 1; }
	if [ "$n" = 1 ]; then
		vss_snap w10 || { w10_err fill "snapshot" "$l"; w10_teardown; return 1; }
	else
		for i in $(seq "$n"); do
			[ -n "$(w10_snap1)" ] || { w10_err fill "snapshot $i" "$l"; w10_teardown; return 1; }
		done
	fi
	if [ "$n" = 1 ]; then
		# 3 holds on the empty LUN; the 2 extra snapshots go again, so
		# that the replay below has one snapshot, like dm-snapshot's
		holds_e+=("$(hold_us)")
		for i in 2 3; do
			vss_snap w10 || { w10_err fill "snapshot" "$l"; w10_teardown; return 1; }
			holds_e+=("$(hold_us)")
		done
		ids=$(vssctl -j snapshot list --lun w10 | jq -r 'sort_by(.seq) | .[1:] | .[].id')
		for i in $ids; do
			vssctl snapshot delete "$i" >/dev/null || { w10_err fill "delete $i" "$l"; w10_teardown; return 1; }
		done
		# the re-add of the store without exception records: the fixed cost
		r0=$(w10_readd) || { w10_err fill "empty re-add: $(head -c 300 "$WORK/w10add.err")" "$l"; w10_teardown; return 1; }
		# first writes on the empty LUN: regions past the fill
		e1=$(w10_write "$LUN_DEV" w10e1 "$W10_PROBE" $((W10_CHUNKS + W10_PROBE * 0)) 1)
		e32=$(w10_write "$LUN_DEV" w10e32 "$W10_PROBE" $((W10_CHUNKS + W10_PROBE * 1)) 32)
	fi
	before=$(mem_now w10a)
	t0=$(now_ms)
	iops=$(w10_write "$LUN_DEV" w10fill "$W10_CHUNKS" 0 32)
	t1=$(now_ms)
	after=$(mem_now w10b)
	chunks=$(w10_cow_chunks)
	[ "$n" = 1 ] && chunks=$((chunks - 2 * W10_PROBE))
	emit "$(w10_mem_json "$(jq -cn --argjson l "$l" --argjson i "${iops:-null}" --argjson ms $((t1 - t0)) \
		'$l + {fill_iops: $i, fill_ms: $ms}')" "$before" "$after" "$chunks" "$(w7_top w10a w10b)")"
	if [ "$n" != 1 ]; then
		w10_teardown
		return 0
	fi
	f1=$(w10_write "$LUN_DEV" w10f1 "$W10_PROBE" $((W10_CHUNKS + W10_PROBE * 2)) 1)
	f32=$(w10_write "$LUN_DEV" w10f32 "$W10_PROBE" $((W10_CHUNKS + W10_PROBE * 3)) 32)
	# replay: one snapshot, every chunk of it an exception record
	c2=$(w10_cow_chunks)
	n2=$(vssctl -j snapshot list --lun w10 | jq length)
	r1=$(w10_readd) || { w10_err replay "re-add: $(head -c 300 "$WORK/w10add.err")" "$l"; w10_teardown; return 1; }
	emit "$(jq -cn --argjson l "$l" --argjson ms "$r1" --argjson ms0 "$r0" --argjson c "$c2" --argjson n "$n2" \
		--argjson c2 "$(w10_cow_chunks)" --argjson n2 "$(vssctl -j snapshot list --lun w10 | jq length)" \
		'$l + {part: "replay", records: $c, readd_ms: $ms, readd_empty_ms: $ms0, snaps_before: $n, snaps_after: $n2,
		       chunks_before: $c, chunks_after: $c2, same: ($c == $c2 and $n == $n2)}')"
	# hold windows with the full map (after the replay: the same map)
	for i in 1 2 3; do
		vss_snap w10 || { w10_err fill "snapshot at full" "$l"; w10_teardown; return 1; }
		holds_f+=("$(hold_us)")
	done
	emit "$(jq -cn --argjson l "$l" --argjson e1 "${e1:-null}" --argjson e32 "${e32:-null}" \
		--argjson f1 "${f1:-null}" --argjson f32 "${f32:-null}" --argjson mapped "$c2" \
		--argjson he "$(printf '%s\n' "${holds_e[@]}" | jq -sc .)" \
		--argjson hf "$(printf '%s\n' "${holds_f[@]}" | jq -sc .)" \
		'$l + {part: "probe", probe_chunks: '"$W10_PROBE"', mapped_chunks: $mapped,
		       empty_qd1_iops: $e1, empty_qd32_iops: $e32, full_qd1_iops: $f1, full_qd32_iops: $f32,
		       hold_us_empty: $he, hold_us_full: $hf}')"
	w10_teardown
}

# w10_sparse_case REP: memory per chunk for chunks spread over 16 TiB.
w10_sparse_case() {
	local rep=$1 l before after chunks iops t0 t1
	l=$(jq -cn --argjson r "$rep" --argjson c "$W10_SPARSE" \
		'{type: "w10", part: "sparse", rep: $r, snaps: 1, target_chunks: $c, chunk: 4096, lun_tib: 16}')
	w10_disks 1 || { w10_err sparse "devices" "$l"; w10_teardown; return 1; }
	vss_lun_add w10 /dev/mapper/w10-zero /dev/zram0 4096 || { w10_err sparse "lun add" "$l"; w10_teardown; return 1; }
	vss_snap w10 || { w10_err sparse "snapshot" "$l"; w10_teardown; return 1; }
	before=$(mem_now w10a)
	t0=$(now_ms)
	iops=$(w10_sparse "$LUN_DEV" "$W10_SPARSE")
	t1=$(now_ms)
	after=$(mem_now w10b)
	chunks=$(w10_cow_chunks)
	emit "$(w10_mem_json "$(jq -cn --argjson l "$l" --argjson i "${iops:-null}" --argjson ms $((t1 - t0)) \
		'$l + {fill_iops: $i, fill_ms: $ms}')" "$before" "$after" "$chunks" "$(w7_top w10a w10b)")"
	w10_teardown
}

# w10_dmsnap_case REP: dm-snapshot activation with W10_CHUNKS exceptions.
w10_dmsnap_case() {
	local rep=$1 l iops t0 t1 st alloc meta
	l=$(jq -cn --argjson r "$rep" --argjson c "$W10_CHUNKS" \
		'{type: "w10", part: "dmsnap", rep: $r, target_chunks: $c, chunk: 4096, lun_tib: 16}')
	w10_disks 1 || { w10_err dmsnap "devices" "$l"; w10_teardown; return 1; }
	dm_create w10-orig "0 $W10_LUN_SECTORS snapshot-origin /dev/mapper/w10-zero" &&
		dmsetup suspend w10-orig &&
		dm_create w10-snap "0 $W10_LUN_SECTORS snapshot /dev/mapper/w10-zero /dev/zram0 P 8" &&
		dmsetup resume w10-orig || { w10_err dmsnap "setup" "$l"; w10_teardown; return 1; }
	# activation of the COW device without exceptions: the fixed cost
	local e0 e1
	dmsetup remove w10-snap && dmsetup suspend w10-orig || { w10_err dmsnap "remove empty" "$l"; w10_teardown; return 1; }
	e0=$(now_ms)
	dm_create w10-snap "0 $W10_LUN_SECTORS snapshot /dev/mapper/w10-zero /dev/zram0 P 8" ||
		{ w10_err dmsnap "activate empty" "$l"; w10_teardown; return 1; }
	e1=$(now_ms)
	dmsetup resume w10-orig || { w10_err dmsnap "resume" "$l"; w10_teardown; return 1; }
	t0=$(now_ms)
	iops=$(w10_write /dev/mapper/w10-orig w10dfill "$W10_CHUNKS" 0 32)
	t1=$(now_ms)
	st=$(dmsetup status w10-snap | awk '{ print $4, $5 }')
	sync
	dmsetup remove w10-snap || { w10_err dmsnap "remove" "$l"; w10_teardown; return 1; }
	dmsetup suspend w10-orig || { w10_err dmsnap "suspend" "$l"; w10_teardown; return 1; }
	local a0 a1
	a0=$(now_ms)
	dm_create w10-snap "0 $W10_LUN_SECTORS snapshot /dev/mapper/w10-zero /dev/zram0 P 8" ||
		{ w10_err dmsnap "activate" "$l"; w10_teardown; return 1; }
	a1=$(now_ms)
	dmsetup resume w10-orig || { w10_err dmsnap "resume" "$l"; w10_teardown; return 1; }
	alloc=$(dmsetup status w10-snap | awk '{ print $4 }')
	meta=$(dmsetup status w10-snap | awk '{ print $5 }')
	emit "$(jq -cn --argjson l "$l" --argjson i "${iops:-null}" --argjson ms $((t1 - t0)) \
		--argjson am $((a1 - a0)) --argjson am0 $((e1 - e0)) --arg st "$st" --arg al "$alloc" --arg me "$meta" \
		'$l + {fill_iops: $i, fill_ms: $ms, activate_ms: $am, activate_empty_ms: $am0, status_before: $st,
		       exceptions: ((($al | split("/")[0] | tonumber) - ($me | tonumber)) / 8)}')"
	w10_teardown
}

# w10_snaps_case REP NSNAP: first writes with NSNAP snapshots.
w10_snaps_case() {
	local rep=$1 n=$2 l i q1 q32 t0
	l=$(jq -cn --argjson r "$rep" --argjson n "$n" --argjson p "$W10_PROBE" \
		'{type: "w10", part: "snaps", rep: $r, snaps: $n, probe_chunks: $p, chunk: 4096, lun_tib: 16}')
	w10_disks 1 || { w10_err snaps "devices" "$l"; w10_teardown; return 1; }
	vss_lun_add w10 /dev/mapper/w10-zero /dev/zram0 4096 || { w10_err snaps "lun add" "$l"; w10_teardown; return 1; }
	t0=$(now_ms)
	for i in $(seq "$n"); do
		[ -n "$(w10_snap1)" ] || { w10_err snaps "snapshot $i" "$l"; w10_teardown; return 1; }
	done
	[ "$(vssctl -j snapshot list --lun w10 | jq length)" = "$n" ] ||
		{ w10_err snaps "not $n snapshots" "$l"; w10_teardown; return 1; }
	log "W10 $n snapshots taken in $(($(now_ms) - t0)) ms"
	q1=$(w10_write "$LUN_DEV" w10s1 "$W10_PROBE" 0 1)
	q32=$(w10_write "$LUN_DEV" w10s32 "$W10_PROBE" "$W10_PROBE" 32)
	emit "$(jq -cn --argjson l "$l" --argjson a "${q1:-null}" --argjson b "${q32:-null}" \
		--argjson c "$(w10_cow_chunks)" '$l + {qd1_iops: $a, qd32_iops: $b, preserved_chunks: $c}')"
	w10_teardown
}

# w10_roll_case REP: rolling snapshots.  Two snapshots live; each round
# takes one, writes W10_ROLL_CHUNKS chunks of a slice of its own (dd, 4 KiB
# direct writes: each a first write), deletes the oldest.  Readings after a
# warm-up of 2 rounds ("before"), after a tenth of the rounds ("mid") and
# at the end ("after").
w10_roll_case() {
	local rep=$1 l ids=() r before mid= after midr live ever=0 dropped=0 t0 id top
	local warm=2
	l=$(jq -cn --argjson r "$rep" --argjson n "$W10_ROLL_ROUNDS" --argjson c "$W10_ROLL_CHUNKS" \
		'{type: "w10", part: "roll", rep: $r, rounds: $n, round_chunks: $c, keep: 2, chunk: 4096, lun_tib: 16}')
	w10_disks 1 || { w10_err roll "devices" "$l"; w10_teardown; return 1; }
	vss_lun_add w10 /dev/mapper/w10-zero /dev/zram0 4096 || { w10_err roll "lun add" "$l"; w10_teardown; return 1; }
	midr=$((W10_ROLL_ROUNDS / 10))
	[ "$midr" -ge 1 ] || midr=1
	t0=$(now_ms)
	for r in $(seq $((W10_ROLL_ROUNDS + warm))); do
		id=$(w10_snap1)
		[ -n "$id" ] || { w10_err roll "round $r: snapshot create" "$l"; w10_teardown; return 1; }
		ids+=("$id")
		dd if=/dev/zero of="$LUN_DEV" bs=4k count="$W10_ROLL_CHUNKS" seek=$((r * W10_ROLL_CHUNKS)) \
			oflag=direct status=none || { w10_err roll "round $r: write" "$l"; w10_teardown; return 1; }
		if [ ${#ids[@]} -gt 2 ]; then
			"$W10_CTL" snap-del "${ids[0]}" >/dev/null ||
				{ w10_err roll "round $r: delete ${ids[0]}" "$l"; w10_teardown; return 1; }
			ids=("${ids[@]:1}")
			[ "$r" -gt $warm ] && ever=$((ever + W10_ROLL_CHUNKS))
			[ -n "$mid" ] && dropped=$((dropped + W10_ROLL_CHUNKS))
		fi
		[ "$r" = $warm ] && before=$(mem_now w10a)
		[ "$r" = $((warm + midr)) ] && mid=$(mem_now w10m)
		[ $((r % 100)) = 0 ] && log "W10 rolling: round $r, $(($(now_ms) - t0)) ms"
	done
	after=$(mem_now w10b)
	live=$(w10_cow_chunks)
	ever=$((ever + live))
	[ "$(vssctl -j snapshot list --lun w10 | jq length)" = 2 ] ||
		{ w10_err roll "not 2 snapshots at the end" "$l"; w10_teardown; return 1; }
	top=$(w7_top w10a w10b)
	emit "$(jq -cn --argjson l "$l" --argjson a "$before" --argjson m "$mid" --argjson b "$after" \
		--argjson live "$live" --argjson ever "$ever" --argjson dropped "$dropped" --argjson top "$top" \
		--argjson ms $(($(now_ms) - t0)) '
		$l + {live_chunks: $live, ever_chunks: $ever, dropped_after_mid_chunks: $dropped, ms: $ms,
		      before: $a, mid: $m, after: $b, top_caches: $top,
		      ram_bytes: (($b.slab - $a.slab) + ($b.vmalloc - $a.vmalloc) + ($b.percpu - $a.percpu)),
		      ram_per_live_chunk: ((($b.slab - $a.slab) + ($b.vmalloc - $a.vmalloc) + ($b.percpu - $a.percpu)) / $live),
		      ram_per_ever_chunk: ((($b.slab - $a.slab) + ($b.vmalloc - $a.vmalloc) + ($b.percpu - $a.percpu)) / $ever),
		      steady_bytes: (($b.slab - $m.slab) + ($b.vmalloc - $m.vmalloc) + ($b.percpu - $m.percpu)),
		      steady_per_dropped_chunk: (if $dropped > 0 then
			(($b.slab - $m.slab) + ($b.vmalloc - $m.vmalloc) + ($b.percpu - $m.percpu)) / $dropped else null end)}')"
	w10_teardown
}

w10_run() {
	local rep t0
	for rep in $(seq "$W10_REPS"); do
		t0=$(now_ms)
		if [[ " $W10_PARTS " == *" fill "* ]]; then
			w10_fill_case "$rep" 1 || log "W10 fill 1 snap rep $rep failed"
			log "W10 fill 1: $(($(now_ms) - t0)) ms"
		fi
		if [[ " $W10_PARTS " == *" dmsnap "* ]]; then
			w10_dmsnap_case "$rep" || log "W10 dm-snapshot rep $rep failed"
			log "W10 dmsnap: $(($(now_ms) - t0)) ms"
		fi
		if [[ " $W10_PARTS " == *" fill "* ]]; then
			w10_fill_case "$rep" 64 || log "W10 fill 64 snaps rep $rep failed"
			log "W10 fill 64: $(($(now_ms) - t0)) ms"
		fi
		if [[ " $W10_PARTS " == *" sparse "* ]]; then
			w10_sparse_case "$rep" || log "W10 sparse rep $rep failed"
			log "W10 sparse: $(($(now_ms) - t0)) ms"
		fi
		if [[ " $W10_PARTS " == *" snaps "* ]]; then
			w10_snaps_case "$rep" 1 || log "W10 1 snapshot rep $rep failed"
			w10_snaps_case "$rep" "$W10_MANY" || log "W10 $W10_MANY snapshots rep $rep failed"
			log "W10 snaps: $(($(now_ms) - t0)) ms"
		fi
		if [[ " $W10_PARTS " == *" roll "* ]]; then
			w10_roll_case "$rep" || log "W10 rolling rep $rep failed"
			log "W10 roll: $(($(now_ms) - t0)) ms"
		fi
	done
}
