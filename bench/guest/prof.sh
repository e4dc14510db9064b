# SPDX-License-Identifier: GPL-2.0
#
# The "prof" group of bench/guest/bench.sh (sourced by it): where the CPU
# and the waits of W1 at depth go.  For every class, chunk size and target
# (vss builds included, see BENCH_KOS), the QD32 W1 run alone, with:
#   - the guest's CPU time by kind (user, system, irq, softirq, idle; from
#     /proc/stat) and its context switches and interrupts, per first write,
#     and the page allocator's direct compactions and reclaims meanwhile;
#   - for vss, /sys/block/vss-NAME/vss/parked sampled every 0.2 s (the
#     others sample a file alike, so the sampling costs them the same): how many
#     writes wait for a copy, how many copies are in flight, how many
#     records wait for a commit, how often a commit is being written.
# One "prof" record per run.  Documentation/bench.rst, "Where a first
# write at depth goes".

# cpu_ticks: "user nice system idle iowait irq softirq" of /proc/stat.
cpu_ticks() {
	awk '/^cpu / { print $2, $3, $4, $5, $6, $7, $8 }' /proc/stat
}
ctxt_intr() {
	awk '/^ctxt/ { c = $2 } /^intr/ { i = $2 } END { print c, i }' /proc/stat
}
# vmstat_mm: direct compactions, direct reclaims (page allocator stalls)
vmstat_mm() {
	awk '$1 == "compact_stall" { c = $2 } $1 ~ /^allocstall/ { a += $2 } END { print c + 0, a + 0 }' /proc/vmstat
}

# ---- event counts of a traced pass (hist triggers, tracefs) ----
# What each first write costs in events rather than time, so that two
# builds compare without the host's noise: work items run (by function),
# bios queued (by device), slab allocations (by call site), page
# allocations (by order), hrtimer expiries (by function), softirqs (by
# vector) and context switches.  Counted in a pass of its own after the
# timed one (the triggers cost CPU), over chunks the timed pass left alone.
TRACEFS=/sys/kernel/tracing
PROF_TRIGGERS="workqueue/workqueue_execute_start:function.sym
block/block_bio_queue:dev
kmem/kmalloc:call_site.sym
kmem/kmem_cache_alloc:call_site.sym
kmem/mm_page_alloc:order
timer/hrtimer_expire_entry:function.sym
irq/softirq_entry:vec
sched/sched_switch:prev_state"

trace_set() { # on|off
	local e k
	[ -d $TRACEFS/events ] || mount -t tracefs nodev $TRACEFS 2>/dev/null || return 1
	while IFS=: read -r e k; do
		if [ "$1" = on ]; then
			echo "hist:keys=$k:vals=hitcount:size=2048" > $TRACEFS/events/$e/trigger || return 1
		else
			echo "!hist:keys=$k:vals=hitcount:size=2048" > $TRACEFS/events/$e/trigger 2>/dev/null
		fi
	done <<< "$PROF_TRIGGERS"
}

# trace_counts: {"EVENT": {"KEY": hits, ...}, ...} of the active triggers;
# block devices by name instead of their dev_t.
trace_counts() {
	local e k maj min d devmap= out= one
	for d in /sys/class/block/*; do
		IFS=: read -r maj min < "$d/dev" 2>/dev/null || continue
		devmap+="$(((maj << 20) | min))=${d##*/} "
	done
	while IFS=: read -r e k; do
		one=$(awk -v ev="${e#*/}" -v dm="$devmap" '
			BEGIN { n = split(dm, a, " "); for (i = 1; i <= n; i++) { split(a[i], b, "="); dev[b[1]] = b[2] } }
			/^\{/ && /hitcount:/ {
				key = $0; sub(/^\{ *[a-z_]*: */, "", key); sub(/ *\} *hitcount:.*/, "", key)
				sub(/^\[[0-9a-f]*\] */, "", key); gsub(/["\\]/, "", key); gsub(/ +/, " ", key)
				if (ev == "block_bio_queue" && (key + 0) in dev) key = dev[key + 0]
				h = $0; sub(/.*hitcount: */, "", h)
				c[key] += h + 0
			}
			END { printf "\"%s\":{", ev; s = ""
			      for (x in c) { printf "%s\"%s\":%d", s, x, c[x]; s = "," }
			      printf "}" }' $TRACEFS/events/$e/hist)
		out+="${out:+,}$one"
	done <<< "$PROF_TRIGGERS"
	echo "{$out}"
}

# prof_trace REP LABEL CHUNK IOS QD: one traced pass of IOS first writes
# at depth QD over the second half of the region (the timed pass wrote
# the first), one "trace" record.
prof_trace() {
	local rep=$1 tl=$2 chunk=$3 ios=$4 qd=$5 cnt l
	l=$(printf '{"type":"trace","class":"%s","target":"%s","chunk":%d,"rep":%d,"qd":%d,"ios":%d}' \
		"$CLASS" "$tl" "$chunk" "$rep" "$qd" "$ios")
	perm_log "$WORK/p2" "$ORIG" $((REGION_MB * MB / 2)) "$chunk" "$ios"
	trace_set off
	if ! trace_set on; then
		trace_set off
		emit "$(jq -cn --argjson l "$l" '$l + {type: "error", msg: "hist triggers unavailable"}')"
		return 1
	fi
	fio --name=t --eta=never --disk_util=0 --direct=1 --read_iolog="$WORK/p2" --replay_no_stall=1 \
		--ioengine=libaio --iodepth="$qd" --output=/dev/null
	cnt=$(trace_counts)
	trace_set off
	if ! echo "$cnt" | jq -e . >/dev/null 2>&1; then
		emit "$(jq -cn --argjson l "$l" --arg c "${cnt:0:300}" '$l + {type: "error", msg: ("bad hist output: " + $c)}')"
		return 1
	fi
	emit "$(jq -cn --argjson l "$l" --argjson c "$cnt" '$l + {counts: $c}')"
}

prof_case() { # REP TARGET CHUNK [KO]
	local rep=$1 t=$2 chunk=$3 ko=${4:-} tl=$2 ios l c0 c1 x0 x1 m0 m1 t0 t1 fpid sys=
	[ -n "$ko" ] && tl=$t@$ko
	l=$(printf '{"type":"prof","class":"%s","target":"%s","chunk":%d,"rep":%d}' "$CLASS" "$tl" "$chunk" "$rep")
	if [ $t = vss ] && ! ko_use "$ko"; then
		emit "$(jq -cn --argjson l "$l" '$l + {type: "error", msg: "cannot load that vss.ko"}')"
		return 1
	fi
	local n=1
	[ $t = linear ] && n=0
	if ! setup "$t" $n "$chunk"; then
		emit "$(jq -cn --argjson l "$l" '$l + {type: "error", msg: "setup failed"}')"
		teardown
		return 1
	fi
	# longer than W1's runs, so that fio's start (about a second of the
	# vCPU) weighs less: half the region's chunks, at most 4096
	ios=$((REGION_MB * MB / chunk / 2))
	[ $ios -gt 4096 ] && ios=4096
	perm_log "$WORK/p1" "$ORIG" 0 "$chunk" "$ios"
	# every target is sampled the same way (the others read a file of
	# the same form), with shell builtins only: a fork per sample would
	# cost the guest's one vCPU more than the engine does
	sys=$WORK/parked.none
	printf 'held 0\n' > "$sys"
	[ $t = vss ] && sys=/sys/block/${LUN_DEV#/dev/}/vss/parked
	rm -f "$WORK/parked"
	local fd a
	exec {fd}<> <(:)
	c0=$(cpu_ticks) x0=$(ctxt_intr) m0=$(vmstat_mm) t0=$(now_ms)
	fio --name=p --eta=never --disk_util=0 --direct=1 --read_iolog="$WORK/p1" --replay_no_stall=1 \
		--ioengine=libaio --iodepth=32 --output=/dev/null &
	fpid=$!
	while kill -0 $fpid 2>/dev/null; do
		mapfile -t a < "$sys"
		printf '%s ' "${a[@]}" >> "$WORK/parked"
		printf '\n' >> "$WORK/parked"
		read -r -t 0.2 -u $fd
	done
	exec {fd}>&-
	wait $fpid
	t1=$(now_ms) c1=$(cpu_ticks) x1=$(ctxt_intr) m1=$(vmstat_mm)
	# parked: averages and maxima of every field over the samples
	local pk='{}'
	[ $t = vss ] && [ -s "$WORK/parked" ] && pk=$(awk '
		{ for (i = 1; i < NF; i += 2) { s[$i] += $(i + 1); if ($(i + 1) > m[$i]) m[$i] = $(i + 1); if (!(($i) in o)) { o[$i] = ++k; name[k] = $i } } n++ }
		END { printf "{\"samples\":%d", n
		      for (j = 1; j <= k; j++) printf ",\"%s\":{\"avg\":%.2f,\"max\":%d}", name[j], s[name[j]] / n, m[name[j]]
		      print "}" }' "$WORK/parked")
	emit "$(jq -cn --argjson l "$l" --argjson ios "$ios" --argjson ms $((t1 - t0)) \
		--arg c0 "$c0" --arg c1 "$c1" --arg x0 "$x0" --arg x1 "$x1" --arg m0 "$m0" --arg m1 "$m1" --argjson hz "$(getconf CLK_TCK 2>/dev/null || echo 100)" \
		--argjson pk "$pk" '
		def v(s): s | split(" ") | map(tonumber);
		(v($c1) as $b | v($c0) as $a | [range(0; 7)] | map($b[.] - $a[.])) as $d |
		(v($x1) as $b | v($x0) as $a | [$b[0] - $a[0], $b[1] - $a[1]]) as $x |
		$l + {ios: $ios, ms: $ms, iops: ($ios * 1000 / $ms),
		      cpu_ms_per_io: {user: (($d[0] + $d[1]) * 1000 / $hz / $ios), system: ($d[2] * 1000 / $hz / $ios),
			idle: (($d[3] + $d[4]) * 1000 / $hz / $ios), irq: ($d[5] * 1000 / $hz / $ios),
			softirq: ($d[6] * 1000 / $hz / $ios)},
		      ctxt_per_io: ($x[0] / $ios), intr_per_io: ($x[1] / $ios),
		      compact_stalls: (v($m1)[0] - v($m0)[0]), alloc_stalls: (v($m1)[1] - v($m0)[1]),
		      parked: $pk}')"
	# the event counts, in a pass of their own (BENCH_PROF_TRACE=0: none)
	if [ "${BENCH_PROF_TRACE:-1}" = 1 ]; then
		local tn=$((ios / 2))
		[ $tn -gt 1024 ] && tn=1024
		prof_trace "$rep" "$tl" "$chunk" "$tn" 32
	fi
	teardown
}

prof_run() {
	local rep c t ko
	for rep in $(seq "$REPS"); do
		for CLASS in $CLASSES; do
			for c in $CHUNKS; do
				for t in $TARGETS; do
					ko=
					case $t in *@*) ko=${t#*@} t=${t%%@*} ;; esac
					case $t in
					linear) ;;
					vss1) t=vss ;;
					dmsnap1) t=dmsnap ;;
					thin1) t=thin; [ "$c" -lt 65536 ] && continue ;;
					*) continue ;;
					esac
					prof_case "$rep" "$t" "$c" "$ko"
				done
			done
		done
	done
	CLASS=brd
	ko_use "" || log "cannot load our vss.ko back"
}
