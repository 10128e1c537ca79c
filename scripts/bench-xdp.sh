#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Cost of the XDP steering program per packet (BPF_PROG_TEST_RUN) at 1k,
# 10k, 100k and 1M prefixes, next to a parse-only program and the lookup
# strategies it was chosen over, into build/bench/xdp.md.
#
# scripts/bench-xdp.sh [bench_xdp options]   e.g. --repeat 100000 --sizes 1000
# Needs root (BPF) and CPUs 0 and 1; run make first.
#
# BENCH_XDP_BASE=PATH: the bench_xdp of another build (a git worktree of an
# earlier commit, say), run in turn with this one on plain IPv4 frames, 5
# runs each, for a before-and-after row measured in the same minutes.
set -eu
cd "$(dirname "$0")/.."

bin=build/bench/bench_xdp
out=build/bench/xdp.md
[ -x "$bin" ] || {
	echo "bench-xdp: $bin missing; run make bench" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || {
	echo "bench-xdp: needs root (BPF)" >&2
	exit 1
}

repeat=1000000
fast=10000000
lookup=64
prev=
for a in "$@"; do
	case $prev in
	--repeat) repeat=$a ;;
	--repeat-fast) fast=$a ;;
	--lookup-memory) lookup=$a ;;
	esac
	prev=$a
done
table=$(mktemp)
frames=$(mktemp)
against=$(mktemp)
runs_base=$(mktemp)
runs_this=$(mktemp)
trap 'rm -f "$table" "$frames" "$against" "$runs_base" "$runs_this"' EXIT
echo "bench-xdp: measuring (a minute or two; 1M prefixes take a few seconds to load)" >&2
"$bin" "$@" >"$table"
# by encapsulation: 10k IPv4 /32 customers, more rounds (the rows are close)
"$bin" "$@" --frames --sizes 10000 --rounds 5 >"$frames"

# best_of FILE COLUMN: the smallest value of a column of the table rows in FILE
best_of() {
	awk -F'|' -v c="$2" '$2 ~ /hosts/ { v = $c + 0; if (!n++ || v < m) m = v } END { printf "%.1f", m }' "$1"
}

# against_row NAME FILE: the best parse-only and xshaper figures of the runs in FILE
against_row() {
	local p x

	p=$(best_of "$2" 4)
	x=$(best_of "$2" 8)
	echo "| $1 | $p | $x | $(awk -v p="$p" -v x="$x" 'BEGIN { printf "%.2f", x / p }') |"
}

base=${BENCH_XDP_BASE:-}
if [ -n "$base" ]; then
	[ -x "$base" ] || {
		echo "bench-xdp: BENCH_XDP_BASE=$base is not executable" >&2
		exit 1
	}
	base_rev=$(git -C "$(dirname "$base")" rev-parse --short HEAD 2>/dev/null || echo "$base")
	this_rev=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- bpf tests/bench || echo -dirty)
	echo "bench-xdp: plain IPv4, $base_rev against $this_rev, in turn" >&2
	for i in 1 2 3 4 5; do
		"$base" --mixes hosts --sizes 10000 | tail -1 >>"$runs_base"
		"$bin" --mixes hosts --sizes 10000 | tail -1 >>"$runs_this"
	done
	{
		echo "| build | parse-only ns | xshaper ns | xshaper / parse |"
		echo "| --- | ---: | ---: | ---: |"
		against_row "$base_rev (before)" "$runs_base"
		against_row "$this_rev" "$runs_this"
	} >"$against"
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# XDP steering: cost per packet"
	echo
	echo "$(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs ($cpu), clang $(clang --version |
		sed -n 's/.*clang version \([0-9.]*\).*/\1/p' | head -1)."
	echo
	echo "Nanoseconds per packet of BPF_PROG_TEST_RUN: the CPU time of a test run of"
	echo "one frame divided by its repeat count ($fast for parse-only and xshaper,"
	echo "whose ratio is the target; $repeat for the others), the best of 3 such runs"
	echo "(other work on this shared machine only ever adds), averaged over 8 customer"
	echo "addresses spread through the list. The kernel's own figure is whole"
	echo "nanoseconds, truncated, which moves a ratio of 6 and 11 ns by up to a tenth;"
	echo "the CPU time of the run has no such step and adds only a fixed cost per run"
	echo "(about 0.3 ms: 0.03 ns a packet at $fast). Every customer is on CPU 1 and the"
	echo "benchmark runs on CPU 0, so each frame takes the redirect path (cpumap lookup"
	echo "included). Programs, measured side by side, address by address, in one run:"
	echo
	echo "- **parse-only**: the shared parser, then XDP_PASS (bpf/bench_parse.bpf.c)"
	echo "- **trie**: the LPM trie alone"
	echo "- **LRU+trie**: an LRU cache by address, generation-checked, before the trie"
	echo "- **LRU miss**: the same program when the cache does not hold the address"
	echo "  (each address once after every reload, every packet of a scan): the cache"
	echo "  probe, the trie and the cache fill"
	echo "- **xshaper**: the shipped program: the walk of the lookup table, a multibit"
	echo "  trie in one BPF array (IPv4: a 24-bit root and 8-bit chunks, IPv6: a 16-bit"
	echo "  root and 8-bit chunks; steer/table.c), then the redirect"
	echo "- **xshaper unknown**: the shipped program on 2 addresses no prefix covers"
	echo "  (unknown = shape: flow hash, redirect)"
	echo "- **sync s**: steer_sync loading the list into empty maps (trie and table,"
	echo "  with the RCU grace period before chunks are reused)"
	echo "- **table MiB**: the chunks of the lookup table the list takes ([system]"
	echo "  lookup_memory = ${lookup}M here; besides the roots, 64.3 MiB; \"full\": the"
	echo "  rest was left to the trie)"
	echo
	echo "Address mixes (one prefix per customer, each kind in its own region, 20-bit"
	echo "scrambled indexes, so the trie is not one dense run):"
	echo
	echo "- **hosts**: IPv4 /32 only"
	echo "- **isp**: half IPv4 /32, half IPv6 /56 (a dual-stack customer each)"
	echo "- **mixed**: IPv4 /24, /29, /32 and IPv6 /48, /56, /64, a sixth each"
	echo
	echo "A frame repeated a million times keeps every structure in cache: this is the"
	echo "best case of each, and it flatters the trie and the LRU most (a real mix of"
	echo "addresses misses the cache on every trie level, and fills the LRU). The"
	echo "machine is shared; compare within a row, not across runs."
	echo
	cat "$table"
	echo
	echo "By encapsulation: parse-only and xshaper on the same 8 customer addresses"
	echo "(10k IPv4 /32 customers), each frame as it arrives plain, behind QinQ"
	echo "(802.1ad + 802.1Q), in a PPPoE session behind QinQ, under an MPLS stack of"
	echo "2 labels (transport + VPN), and under the deepest stack the parser follows"
	echo "(5 labels) behind QinQ; the best of 5 rounds, the rounds interleaved over"
	echo "the rows so that a noisy moment touches them alike. \"header bytes\" is"
	echo "where the IP header starts."
	echo
	cat "$frames"
	if [ -s "$against" ]; then
		echo
		echo "Plain IPv4 before and after a change, 10k IPv4 /32 customers: the"
		echo "bench_xdp of each build run in turn, 5 times each (each run the best of 3"
		echo "per address, averaged over the 8 addresses), the best of the 5 in each column."
		echo
		cat "$against"
	fi
} >"$out"
cat "$out"
echo "bench-xdp: wrote $out" >&2
