#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmark: shaping on real traffic, xshaper against the classic shaper
# (one HTB root per interface, u32 hash filters), side by side in one run on
# one namespace testbed (scripts/throughput.sh, scripts/shaper-backend.sh).
#   accuracy     the eight customers of tests/netns/customers-8.csv at once,
#                TCP download and upload, IPv4 and IPv6: goodput against plan
#   packet rate  trafgen, 64-byte UDP frames to random customers of a list
#                of BENCH_PPS_CUSTOMERS (1000) with 1 Gbit/s plans, so that no
#                plan limits: what the box forwards, and on which CPUs, from
#                one generator and from two (trafgen -P 2); also with no
#                shaper at all and with "xdp-pass" (xshaper's parser and
#                XDP_PASS, bpf/bench_parse.bpf.c, on the interfaces xshaper
#                attaches to, no TC, no qdisc), for reference
# Writes build/bench/shaping.md (a section of docs/BENCHMARKS.md), its rows
# as build/bench/shaping-*.tsv and, with gnuplot, docs/bench-shaping.png.
# A shaper that does not start is reported in its column; the script then
# exits non-zero. QUICK=1: IPv4 only, 2 s runs, 100 customers.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$TOP/build/bench}
DOCS=${BENCH_DOCS:-$TOP/docs}
QUICK=${QUICK:-0}
BACKENDS=${BENCH_BACKENDS:-xshaper classic}

. "$TOP/scripts/lib-bench.sh"
. "$TOP/scripts/throughput.sh"
. "$TOP/scripts/shaper-backend.sh"

if [ "$QUICK" = 1 ]; then
	TP_DURATION=2 FAMILIES="4" PPS_SECONDS=2 PPS_ROUNDS=1
	PPS_CUSTOMERS=${BENCH_PPS_CUSTOMERS:-100}
else
	TP_DURATION=5 FAMILIES="4 6" PPS_SECONDS=3 PPS_ROUNDS=4
	PPS_CUSTOMERS=${BENCH_PPS_CUSTOMERS:-1000}
fi
ACCURACY_CSV=$TOP/tests/netns/customers-8.csv

mkdir -p "$OUT" "$DOCS"
work=$(mktemp -d)
acc=$OUT/shaping-accuracy.tsv
pps=$OUT/shaping-pps.tsv
md=$OUT/shaping.md
rm -f "$acc" "$pps" "$md"
suffix=b$(printf '%x' $$ | tail -c 5)
failed=()

# shellcheck disable=SC2016 # expanded at exit
backend_cleanup_on_exit 'pass_stop; tp_servers_stop; rm -rf "$work"'

[ "$(id -u)" -eq 0 ] || {
	echo "bench-shaping: needs root" >&2
	exit 1
}

testbed_up "$suffix" || exit 1
tp_box_gro || exit 1
"$TP_PYTHON" "$TOP/scripts/customers.py" generate "$PPS_CUSTOMERS" --v6 >"$work/pps.csv" || exit 1

# The packet-rate reference for the cost of an XDP program on veth: the
# parser xshaper runs, then XDP_PASS, in the mode xshaper's INI asks for
# (native), on wan and lan; nothing else changes.
PASS_OBJ=$TOP/build/bench_parse.bpf.o
PASS_RUNNING=""

pass_start() {
	local dev
	PASS_RUNNING=1
	for dev in wan lan; do
		ip -n "$TB_BOX" link set dev "$dev" xdpdrv obj "$PASS_OBJ" sec xdp || return 1
	done
}

pass_stop() {
	local dev
	[ -n "$PASS_RUNNING" ] || return 0
	for dev in wan lan; do
		ip -n "$TB_BOX" link set dev "$dev" xdpdrv off 2>/dev/null
	done
	PASS_RUNNING=""
}

# stop whichever start() started
stop() {
	pass_stop
	backend_stop
}

# start BACKEND CSV WHAT: SHAPER=BACKEND for the customers of CSV
start() {
	if [ "$1" = xdp-pass ]; then
		pass_start 2>"$work/start.err" && return 0
		failed+=("$1 ($3): did not start: $(head -c 200 "$work/start.err" | tr '\n' ' ')")
		pass_stop
		return 1
	fi
	SHAPER=$1
	backend_start "$suffix" "$2" 2>"$work/start.err" && return 0
	echo "bench-shaping: SHAPER=$1 did not start:" >&2
	cat "$work/start.err" >&2
	failed+=("$1 ($3): did not start: $(head -c 200 "$work/start.err" | tr '\n' ' ')")
	stop
	return 1
}

for b in $BACKENDS; do
	echo "== $b: accuracy"
	tp_customers_load "$ACCURACY_CSV" || exit 1
	tp_addresses_add
	if start "$b" "$ACCURACY_CSV" accuracy; then
		for fam in $FAMILIES; do
			for dir in down up; do
				mapfile -t jobs < <(tp_jobs "$dir" tcp "$fam")
				tp_run "$acc" "$b" "${jobs[@]}" || failed+=("$b: iperf3 $dir v$fam")
			done
		done
		backend_stop
		tp_table "$acc" "$b"
	fi
done

# Rounds interleave the shapers, so that a neighbour's burst of load falls
# on all of them rather than on one; the best round counts: on a shared
# machine the least disturbed one is the nearest to what the path can do.
# Each round runs every shaper with one generator, then with two.
PPS_SHAPERS="none xdp-pass $BACKENDS"
[ -e "$PASS_OBJ" ] || PPS_SHAPERS="none $BACKENDS" failed+=("xdp-pass: $PASS_OBJ missing; run make")
declare -A broken=()
for ((round = 1; round <= PPS_ROUNDS; round++)); do
	for gens in 1 2; do
		for b in $PPS_SHAPERS; do
			[ -z "${broken[$b]:-}" ] || continue
			echo "== $b: packet rate, $PPS_CUSTOMERS customers, $gens generator(s), round $round of $PPS_ROUNDS"
			tp_customers_load "$work/pps.csv" || exit 1
			if start "$b" "$work/pps.csv" "packet rate"; then
				TP_PPS_GENERATORS=$gens tp_pps "$pps" "$b" "$PPS_SECONDS" ||
					failed+=("$b (packet rate, $gens generators): trafgen")
				stop
			else
				broken[$b]=1
			fi
		done
	done
done
[ -s "$pps" ] && tp_pps_table "$pps"

# Where xshaper's cycles go: perf record -a -g through a flood from one
# generator (PPS_PROFILE=0 skips it). The whole machine is sampled, so
# whatever else runs on it is in the total too.
PERF_CMD="perf record -a -g -- sleep $PPS_SECONDS"
profile() {
	command -v perf >/dev/null || return 1
	tp_customers_load "$work/pps.csv" || return 1
	start xshaper "$work/pps.csv" profile || return 1
	local flood
	TP_PPS_GENERATORS=1 tp_pps "$work/profile.tsv" xshaper $((PPS_SECONDS + 2)) &
	flood=$!
	sleep 2
	perf record -a -g -o "$work/perf.data" -- sleep "$PPS_SECONDS" >"$work/perf.log" 2>&1
	wait "$flood"
	stop
	perf report -i "$work/perf.data" --children --sort sym --stdio -g none \
		>"$work/perf.txt" 2>>"$work/perf.log" && [ -s "$work/perf.txt" ]
}
profiled=0
if [ "${PPS_PROFILE:-1}" = 1 ]; then
	echo "== xshaper: perf profile of a flood, 1 generator"
	if profile; then profiled=1; else failed+=("xshaper (profile): perf: $(tail -2 "$work/perf.log" | tr '\n' ' ')"); fi
fi

# --- the section ---------------------------------------------------------

# per customer, direction and family: plan, then Mbit/s and % per backend
accuracy_table() {
	"$TP_PYTHON" - "$acc" $BACKENDS <<-'EOF'
		import csv, sys
		path, backends = sys.argv[1], sys.argv[2:]
		rows = list(csv.DictReader(open(path), delimiter="\t")) if path else []
		got, keys = {}, []
		for r in rows:
		    k = (r["dir"], r["family"], r["id"], r["name"], int(r["plan_bps"]))
		    if k not in keys:
		        keys.append(k)
		    got[k, r["tag"]] = r
		head = ["customer", "direction", "IP", "plan"]
		for b in backends:
		    head += [f"{b} Mbit/s", f"{b} %"]
		print("| " + " | ".join(head) + " |")
		print("|" + "|".join(["---"] * 4 + ["---:"] * 2 * len(backends)) + "|")
		for k in sorted(keys, key=lambda k: (k[0] != "down", k[1], k[4])):
		    d, fam, cid, name, plan = k
		    line = [f"{cid} {name}", d, "v" + fam, f"{plan / 1e6:g} Mbit/s"]
		    for b in backends:
		        r = got.get((k, b))
		        if not r:
		            line += ["–", "–"]
		        elif r["status"] != "ok":
		            line += ["failed", r["status"]]
		        else:
		            line += [f"{int(r['goodput_bps']) / 1e6:.2f}", r["pct"]]
		    print("| " + " | ".join(line) + " |")
		# the mean per backend and family: headers cost IPv6 1.3 points
		for fam in sorted({k[1] for k in keys}):
		    line = ["mean", "", "v" + fam, ""]
		    for b in backends:
		        p = [float(got[k, b]["pct"]) for k in keys
		             if k[1] == fam and (k, b) in got and got[k, b]["status"] == "ok"]
		        line += ["", f"**{sum(p) / len(p):.1f}**" if p else "–"]
		    print("| " + " | ".join(line) + " |")
	EOF
}

pps_table() {
	"$TP_PYTHON" - "$pps" $PPS_SHAPERS <<-'EOF'
		import csv, sys
		rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
		names = {"xdp-pass": "XDP pass"}
		print("| generators | shaper | forwarded pps (best round) | all rounds | offered pps "
		      "| box drops | CPU share of receive work | NET_RX softirqs |")
		print("|---:|---|---:|---|---:|---:|---|---|")
		for g in ("1", "2"):
		    for b in sys.argv[2:]:
		        mine = [x for x in rows if x["tag"] == b and x.get("generators", "1") == g]
		        name = names.get(b, b)
		        if not mine:
		            print(f"| {g} | {name} | did not run | | | | | |")
		            continue
		        m = max(mine, key=lambda x: int(x["forwarded_pps"]))
		        span = ", ".join(x["forwarded_pps"] for x in mine)
		        print(f"| {g} | {name} | **{m['forwarded_pps']}** | {span} | {m['offered_pps']} "
		              f"| {m['box_drops']} | {m['cpu_share']} | {m['net_rx']} |")
	EOF
}

# The stages of the path from the profile: cycles under each symbol
# (children included) as a share of all the machine's samples.
profile_table() {
	"$TP_PYTHON" - "$work/perf.txt" <<-'EOF'
		import re, sys
		stages = [
		    ("packet_sendmsg", "generator's send, with the receive work its softirq does on CPU 0"),
		    ("veth_poll", "veth NAPI on the box's wan (CPU 0)"),
		    ("veth_xdp_rcv_skb", "veth XDP receive: the copy and the XDP program"),
		    ("skb_pp_cow_data", "veth's copy of the frame into a buffer with XDP headroom"),
		    ("_xs_xdp_wan", "xshaper's XDP program (bpf_prog_*_xs_xdp_wan)"),
		    ("__cpu_map_flush", "cpumap flush at the end of the poll"),
		    ("try_to_wake_up", "waking the cpumap kthread"),
		    ("cpu_map_kthread_run", "cpumap kthread (CPU 1): skb, stack, TC, HTB"),
		    ("ip_route_input_slow", "routing lookup"),
		    ("tcf_classify", "TC egress, with xshaper's TC program"),
		    ("_xs_tc_lan", "xshaper's TC program (bpf_prog_*_xs_tc_lan)"),
		    ("htb_enqueue", "HTB enqueue"),
		    ("htb_dequeue", "HTB dequeue"),
		    ("__qdisc_run", "qdisc run (dequeue and transmit)"),
		]
		got = {}
		for line in open(sys.argv[1]):
		    m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\[.\]\s+(\S+)", line)
		    if not m:
		        continue
		    for key, _ in stages:
		        if m[3] == key or (key.startswith("_xs_") and m[3].endswith(key)):
		            a = got.setdefault(key, [0.0, 0.0])
		            a[0] += float(m[1])
		            a[1] += float(m[2])
		print("| symbol | what | cycles with callees | self |")
		print("|---|---|---:|---:|")
		for key, what in stages:
		    c, s = got.get(key, (0.0, 0.0))
		    print(f"| `{key.lstrip('_') if key.startswith('_xs_') else key}` | {what} | {c:.1f} % | {s:.1f} % |")
	EOF
	echo
	echo "The ten kernel symbols with the most cycles of their own:"
	echo
	echo "| symbol | self |"
	echo "|---|---:|"
	awk '$1 ~ /%$/ && $3 == "[k]" { printf "| `%s` | %s |\n", $4, $2 }' "$work/perf.txt" |
		sort -t'|' -k3 -rn | head -10
}

plot() {
	local b col=0 series=() have=()
	rm -f "$DOCS/bench-shaping.png"
	command -v gnuplot >/dev/null && [ -s "$acc" ] || return 1
	for b in $BACKENDS; do
		awk -F'\t' -v b="$b" '$1 == b && $12 == "ok" { found = 1 } END { exit !found }' "$acc" &&
			have+=("$b")
	done
	[ ${#have[@]} -gt 0 ] || return 1
	# one bar per backend for each plan, direction and family
	"$TP_PYTHON" - "$acc" "${have[@]}" >"$work/plot.dat" <<-'EOF'
		import csv, sys
		rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
		backends = sys.argv[2:]
		keys = []
		for r in rows:
		    k = (r["dir"], r["family"], int(r["plan_bps"]))
		    if k not in keys:
		        keys.append(k)
		keys.sort(key=lambda k: (k[0] != "down", k[1], k[2]))
		for k in keys:
		    vals = []
		    for b in backends:
		        v = [r["pct"] for r in rows if r["tag"] == b and
		             (r["dir"], r["family"], int(r["plan_bps"])) == k and r["status"] == "ok"]
		        vals.append(v[0] if v else "NaN")
		    print(f'"{k[0]} v{k[1]} {k[2] // 1000000}M"', *vals)
	EOF
	for b in "${have[@]}"; do
		col=$((col + 1))
		series+=("'$work/plot.dat' using $((col + 1)):xtic(1) title '$b'")
	done
	gnuplot <<-EOF
		set terminal png size 1100,420
		set output '$DOCS/bench-shaping.png'
		set title 'TCP goodput, % of plan (HTB counts frames: a full plan is 95.6 % over IPv4, 94.3 % over IPv6)' noenhanced
		set style data histogram
		set style histogram cluster gap 1
		set style fill solid border -1
		set yrange [80:100]
		set ylabel '% of plan'
		set xtics rotate by -45 font ',8'
		set grid ytics
		set key outside top center horizontal
		plot $(IFS=,; echo "${series[*]}")
	EOF
	[ -s "$DOCS/bench-shaping.png" ] || {
		rm -f "$DOCS/bench-shaping.png"
		return 1
	}
}

{
	echo "## Shaping on real traffic: xshaper and the classic shaper"
	echo
	echo "One namespace testbed (inet — box — customers, veth with $TB_QUEUES queues, GRO on"
	echo "the box), the same customers for every shaper, one after the other in one run:"
	echo "\`xshaper\` (XDP steering, per-CPU MQ/HTB trees) and \`classic\` (one HTB root per"
	echo "interface, u32 hash filters: scripts/classic-shaper.sh). Leaf qdisc pfifo."
	echo
	echo "### Accuracy"
	echo
	echo "Eight customers (tests/netns/customers-8.csv) at once, iperf3 TCP, ${TP_DURATION} s"
	echo "after 1 s of warm-up; goodput as the receiver counted it. HTB counts whole frames,"
	echo "so a customer at exactly its plan shows 95.6 % over IPv4 and 94.3 % over IPv6."
	echo
	if [ -s "$acc" ]; then accuracy_table; else echo "_no results_"; fi
	echo
	if plot >"$work/plot.log" 2>&1; then
		echo "![TCP goodput against plan](bench-shaping.png)"
		echo
	fi
	echo "### Packet rate"
	echo
	echo "trafgen sends 64-byte UDP frames to the IPv4 addresses of $PPS_CUSTOMERS customers"
	echo "with 1 Gbit/s plans, picked at random, for ${PPS_SECONDS} s after 1 s of warm-up: one"
	echo "generator (one process, CPU 0) or two (trafgen -P 2, CPUs 0 and 1). $PPS_ROUNDS round(s),"
	echo "each running every shaper with one generator and then with two; the best round is"
	echo "shown (the machine is shared: the least disturbed round is the nearest to what the"
	echo "path can do). Forwarded = frames that reached the customers' side. Offered = what"
	echo "trafgen got into the link: it shares its CPUs with the forwarding it causes, so a"
	echo "costlier path also offers less. CPU share: packets each CPU took through the"
	echo "receive path (/proc/net/softnet_stat), i.e. where the work landed. none: no shaper"
	echo "at all. XDP pass: xshaper's parser and XDP_PASS (bpf/bench_parse.bpf.c) on wan and"
	echo "lan in native mode, as xshaper attaches its own, no TC program, no qdisc change:"
	echo "what any XDP program costs on this path before xshaper does anything of its own."
	echo
	if [ -s "$pps" ]; then pps_table; else echo "_no results_"; fi
	echo
	echo "Reading this on veth: XDP wants 256 bytes of headroom in front of a frame, and"
	echo "frames a veth peer sends have less, so the kernel copies every frame into a"
	echo "new buffer before the XDP program runs (a NIC driver's XDP runs on its receive"
	echo "buffers with no such copy): that copy is the gap between none and XDP pass, and"
	echo "no XDP program avoids it here. What lies between XDP pass and xshaper is the"
	echo "cpumap hop (the flush wakes the kthread of the other CPU, which builds an skb"
	echo "and runs the stack there), the TC program and HTB; the classic shaper pays HTB"
	echo "and its u32 filters without the hop. With one generator, the redirected half"
	echo "crosses to CPU 1, which the generator does not use; with two, both CPUs"
	echo "generate as well as forward, and the hop lands on a busy CPU."
	echo
	echo "#### Where xshaper's cycles go"
	echo
	if [ "$profiled" = 1 ]; then
		echo "One more flood with xshaper and one generator, profiled with"
		echo "\`$PERF_CMD\` and \`perf report --children --sort sym\` (kernel"
		echo "symbols from /proc/kallsyms); shares of all samples of the machine"
		echo "($(awk '/^# Samples:/ { print $3; exit }' "$work/perf.txt") of them; other work on the shared machine included, other"
		echo "xshaper instances' programs too, as they have the same names):"
		echo
		profile_table
		echo
		echo "xshaper's own code is its two programs: the XDP program and the TC program"
		echo "on lan together are the rows \`xs_xdp_wan\` and \`xs_tc_lan\`. Everything"
		echo "else in the path is the kernel's: the veth copy, the cpumap's wake-up and skb"
		echo "build, routing, HTB. The TC program parses the frame again and looks the"
		echo "customer up again, work the XDP program did; handing the classid over in XDP"
		echo "metadata would save at most that row, and the kernel carries that metadata"
		echo "to TC ingress (samples/bpf/xdp2skb_meta_kern.c); nothing promises it past"
		echo "the forwarding path to TC egress, so the second lookup stays."
	else
		echo "_not profiled_"
	fi
	bench_list "Did not run:" ${failed[@]+"${failed[@]}"}
} >"$md"

echo "wrote $md"
[ ${#failed[@]} -eq 0 ]
