#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Cost of the passive TCP monitor ([monitor] rtt), off and on, side by side
# in one run, into build/bench/rtt.md:
#   per packet   the TC egress program on crafted frames (BPF_PROG_TEST_RUN,
#                tests/bench/bench_rtt.c)
#   packet rate  trafgen TCP data segments with timestamps through the box of
#                the namespace testbed (scripts/throughput.sh), xshaper started
#                with rtt = on and with rtt = off, rounds interleaved
#
# scripts/bench-rtt.sh [bench_rtt options]   e.g. --repeat 100000
# Needs root (BPF, namespaces) and CPUs 0 and 1; run make first. QUICK=1: one
# round of 2 s, 100 customers. BENCH_PPS_CUSTOMERS (1000), BENCH_PPS_ROUNDS (4).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
OUT=${BENCH_OUT:-$TOP/build/bench}
QUICK=${QUICK:-0}

bin=build/bench/bench_rtt
md=$OUT/rtt.md
pps=$OUT/rtt-pps.tsv
[ -x "$bin" ] || {
	echo "bench-rtt: $bin missing; run make bench" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || {
	echo "bench-rtt: needs root (BPF)" >&2
	exit 1
}
args=("$@")
if [ "$QUICK" = 1 ]; then
	[ $# -gt 0 ] || args=(--repeat 100000 --rounds 1)
	PPS_SECONDS=2 PPS_ROUNDS=1 PPS_CUSTOMERS=${BENCH_PPS_CUSTOMERS:-100}
else
	PPS_SECONDS=3 PPS_ROUNDS=${BENCH_PPS_ROUNDS:-4} PPS_CUSTOMERS=${BENCH_PPS_CUSTOMERS:-1000}
fi
mkdir -p "$OUT"
rm -f "$md" "$pps"
work=$(mktemp -d)

. "$TOP/scripts/lib-bench.sh"
. "$TOP/scripts/throughput.sh"
. "$TOP/scripts/shaper-backend.sh"
# shellcheck disable=SC2016 # expanded at exit
backend_cleanup_on_exit 'rm -rf "$work"'

"$bin" "${args[@]}" >"$work/table.md" || {
	echo "bench-rtt: $bin failed" >&2
	exit 1
}

suffix=r$(printf '%x' $$ | tail -c 5)
testbed_up "$suffix" || exit 1
tp_box_gro || exit 1
"$TP_PYTHON" "$TOP/scripts/customers.py" generate "$PPS_CUSTOMERS" >"$work/pps.csv" || exit 1
tp_customers_load "$work/pps.csv" || exit 1

# start RTT: xshaper for the list with [monitor] rtt = RTT
start() {
	xshaper_ini "$suffix" "$work/pps.csv" >"$work/xshaper.ini" || return 1
	printf '[monitor]\nrtt = %s\n' "$1" >>"$work/xshaper.ini"
	SHAPER=xshaper backend_start "$suffix" "$work/pps.csv" "$work/xshaper.ini" \
		2>"$work/start.err" && return 0
	cat "$work/start.err" >&2
	backend_stop
	return 1
}

# Rounds interleave rtt on and off so that a neighbour's burst of load falls
# on both; the best round of each counts (the least disturbed one).
failed=()
for ((round = 1; round <= PPS_ROUNDS; round++)); do
	for frames in tcp tcp-new; do
		for rtt in off on; do
			echo "== $frames, rtt = $rtt, round $round of $PPS_ROUNDS"
			if ! start "$rtt"; then
				failed+=("$frames rtt=$rtt: xshaper did not start")
				continue
			fi
			TP_PPS_FRAMES=$frames tp_pps "$pps" "$frames/$rtt" "$PPS_SECONDS" ||
				failed+=("$frames rtt=$rtt: trafgen")
			# what the monitor made of it: flows in the table, retransmits
			bpftool -j map dump pinned "/sys/fs/bpf/xs-$suffix/xs_flows" 2>/dev/null |
				"$TP_PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))' \
					>"$work/flows-$frames-$rtt" 2>/dev/null
			backend_stop
		done
	done
done
tp_pps_table "$pps"

pps_table() {
	"$TP_PYTHON" - "$pps" "$work" <<-'EOF'
		import csv, os, sys
		rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
		what = {"tcp": "TCP, one flow per customer",
		        "tcp-new": "TCP, a new flow nearly every frame"}
		print("| frames | rtt = off pps (best) | rtt = on pps (best) | on / off "
		      "| flows in the table (rtt = on) | all rounds, off | all rounds, on |")
		print("|---|---:|---:|---:|---:|---|---|")
		for f, name in what.items():
		    best, span = {}, {}
		    for rtt in ("off", "on"):
		        r = [int(x["forwarded_pps"]) for x in rows if x["tag"] == f"{f}/{rtt}"]
		        best[rtt] = max(r) if r else None
		        span[rtt] = ", ".join(map(str, r))
		    try:
		        flows = open(os.path.join(sys.argv[2], f"flows-{f}-on")).read().strip()
		    except OSError:
		        flows = "?"
		    ratio = (f"{best['on'] / best['off']:.3f}" if best["on"] and best["off"]
		             else "–")
		    cell = lambda v: f"**{v}**" if v else "did not run"
		    print(f"| {name} | {cell(best['off'])} | {cell(best['on'])} | {ratio} "
		          f"| {flows} | {span['off']} | {span['on']} |")
	EOF
}

{
	echo "## Passive TCP monitor: its cost with rtt = off and on"
	echo
	echo "### Per packet (TC egress, ns/packet)"
	echo
	echo "xs_tc_lan on one customer's frames, [monitor] rtt = off and on, CPU time"
	echo "of a BPF_PROG_TEST_RUN run over its repeat count, best of the rounds"
	echo "(tests/bench/bench_rtt.c). With timestamps the monitor parses the TCP"
	echo "options, looks the flow up in the LRU flow table and, the same frame"
	echo "being repeated, counts a retransmit in the customer's record; in real"
	echo "traffic a TSval is remembered once per 100 ms per flow and direction and"
	echo "matched once. UDP only pays for the protocol test."
	echo
	cat "$work/table.md"
	echo
	echo "### Packet rate"
	echo
	echo "The testbed of the shaping benchmark (inet — box — customers, veth, GRO on"
	echo "the box), xshaper started for $PPS_CUSTOMERS customers with 1 Gbit/s plans, once with"
	echo "rtt = off and once with rtt = on, $PPS_ROUNDS round(s) taking turns; trafgen (one"
	echo "process, CPU 0) sends 76-byte TCP data segments (ACK, PSH, 10 bytes of"
	echo "data, the timestamp option with a new TSval in every frame) to the customers'"
	echo "IPv4 addresses at random for ${PPS_SECONDS} s after 1 s of warm-up. Every frame passes"
	echo "the monitor on the box's lan egress; a flow's TSval is remembered at most"
	echo "every 100 ms (nothing echoes it: the customers' side holds none of the"
	echo "addresses and drops the segments after counting them, so no reset comes"
	echo "back). One flow per customer is the steady case; a new flow"
	echo "nearly every frame (random source port) is the worst: a lookup that misses"
	echo "and an insert into the CPU's full LRU list, which evicts. Forwarded = frames"
	echo "that reached the customers' side, best round; on / off is the ratio of the"
	echo "two best rounds; the rounds' columns show how far one setting strays from"
	echo "run to run on this shared machine, which bounds what the ratio can say."
	echo "Flows in the table: what the LRU held after the last round with rtt = on."
	echo
	if [ -s "$pps" ]; then pps_table; else echo "_no results_"; fi
	bench_list "Did not run:" ${failed[@]+"${failed[@]}"}
} >"$md"
cat "$md"
echo "bench-rtt: wrote $md" >&2
[ ${#failed[@]} -eq 0 ]
