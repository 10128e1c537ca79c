# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shell helpers of the benchmarks (scripts/bench-*.sh), sourced; not a
# benchmark itself (scripts/bench.sh runs bench-*.sh only).
#   bench_now           wall clock, seconds with nanoseconds
#   bench_since T0      seconds since bench_now gave T0
#   bench_secs S        S to two decimals, as the tables print times
#   bench_ratio A B     A / B to two decimals
#   bench_load          the load average (1, 5, 15 min)
#   bench_machine       "kernel K, N CPUs, load L": what a result depends on
#   bench_list TITLE ITEM...   a markdown list of ITEMs under TITLE, after a
#                       blank line; nothing without items
# Times are wall clock, process start to exit: what an operator waits for.

bench_now() {
	date +%s.%N
}

bench_since() {
	echo "$(bench_now) - $1" | bc
}

bench_secs() {
	printf '%.2f' "$1"
}

bench_ratio() {
	echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'
}

bench_load() {
	cut -d' ' -f1-3 /proc/loadavg
}

bench_machine() {
	echo "kernel $(uname -r), $(nproc) CPUs, load $(bench_load)"
}

bench_list() {
	local title=$1 item
	shift
	[ $# -gt 0 ] || return 0
	echo
	echo "$title"
	echo
	for item in "$@"; do
		echo "- $item"
	done
}
