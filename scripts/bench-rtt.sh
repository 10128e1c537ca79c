#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Cost of the passive TCP monitor ([monitor] rtt) per packet in the TC
# egress program, with it off and on (BPF_PROG_TEST_RUN), into
# build/bench/rtt.md.
#
# scripts/bench-rtt.sh [bench_rtt options]   e.g. --repeat 100000
# Needs root (BPF) and CPUs 0 and 1; run make first.
set -eu
cd "$(dirname "$0")/.."

bin=build/bench/bench_rtt
out=build/bench/rtt.md
[ -x "$bin" ] || {
	echo "bench-rtt: $bin missing; run make bench" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || {
	echo "bench-rtt: needs root (BPF)" >&2
	exit 1
}
args=("$@")
if [ "${QUICK:-0}" = 1 ] && [ $# -eq 0 ]; then
	args=(--repeat 100000 --rounds 1)
fi
table=$(mktemp)
trap 'rm -f "$table"' EXIT
"$bin" "${args[@]}" >"$table"
{
	echo "## Passive TCP monitor (TC egress, ns/packet)"
	echo
	echo "xs_tc_lan on one customer's frames, [monitor] rtt = off and on, CPU time"
	echo "of a BPF_PROG_TEST_RUN run over its repeat count, best of the rounds"
	echo "(tests/bench/bench_rtt.c). With timestamps the monitor parses the TCP"
	echo "options, looks the flow up in the LRU flow table and, the same frame"
	echo "being repeated, counts a retransmit in the customer's record; in real"
	echo "traffic a TSval is remembered once per 100 ms per flow and direction and"
	echo "matched once. UDP only pays for the protocol test. The packet-rate row"
	echo "with rtt on and off (bench-shaping) is not measured yet."
	echo
	cat "$table"
} >"$out"
cat "$out"
echo "bench-rtt: wrote $out" >&2
