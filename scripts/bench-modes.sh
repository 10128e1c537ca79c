#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What bridge mode costs against routed: the same measurements on the
# routed and on the bridged testbed (scripts/testbed.sh TB_MODE), in one
# run, rounds interleaved (routed, bridged, routed, ...) so that a busy
# neighbour on a shared machine weighs on both alike. Each round, on a
# fresh testbed of each mode with GRO on the box's ports (tp_box_gro):
#   - pps none / pps xshaper: 64-byte UDP frames from one trafgen to the
#     eight customers of tests/netns/customers-8.csv (tp_pps), forwarded
#     per second, without a shaper and with xshaper;
#   - tcp none: one TCP download, unshaped, Mbit/s of goodput (what the
#     box forwards at most), with GRO on and off on the box's ports;
#   - shaped %: the eight customers' TCP downloads at once under xshaper,
#     their mean % of plan (95.6 % is every plan met).
# Medians of the rounds into $BENCH_OUT/modes.md (build/bench/modes.md),
# every round's numbers below them.
#
#   scripts/bench-modes.sh       ROUNDS (3; QUICK=1: 1) rounds
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/scripts/throughput.sh"
. "$TOP/scripts/shaper-backend.sh"
. "$TOP/scripts/lib-bench.sh"

BENCH_OUT=${BENCH_OUT:-$TOP/build/bench}
ROUNDS=${ROUNDS:-$([ "${QUICK:-0}" = 1 ] && echo 1 || echo 3)}
CSV=$TOP/tests/netns/customers-8.csv
PPS_SECONDS=${PPS_SECONDS:-3}
TP_DURATION=${TP_DURATION:-4}
TP_OMIT=1
SHAPER=xshaper

[ "$(id -u)" -eq 0 ] || {
	echo "bench-modes: needs root (network namespaces)" >&2
	exit 1
}
work=$(mktemp -d)
rows=$work/rows.tsv
mkdir -p "$BENCH_OUT"
# shellcheck disable=SC2016 # expanded at exit
backend_cleanup_on_exit 'tp_servers_stop; rm -rf "$work"'

# pps_of TSV TAG: forwarded frames per second of the last row of TAG
pps_of() {
	awk -F'\t' -v t="$2" '$1 == t { v = $5 } END { print v + 0 }' "$1"
}

# pin_neighbours MODE: the next hops of the measured paths as permanent
# neighbour entries. Under a flood the receiving namespace may answer an
# ARP probe too late, and a routed box whose entry for c0 failed drops
# every frame: a result of the flood, not of the mode. (Bridged, trafgen
# aims at c0's MAC and needs no neighbour.)
pin_neighbours() {
	local i0 c0 w l
	i0=$(ip netns exec "$TB_INET" cat /sys/class/net/i0/address)
	c0=$(ip netns exec "$TB_CUST" cat /sys/class/net/c0/address)
	if [ "$1" = bridge ]; then
		ip -n "$TB_INET" neigh replace 198.18.0.2 lladdr "$c0" dev i0 nud permanent &&
			ip -n "$TB_CUST" neigh replace 198.18.0.1 lladdr "$i0" dev c0 nud permanent
		return
	fi
	w=$(ip netns exec "$TB_BOX" cat /sys/class/net/wan/address)
	l=$(ip netns exec "$TB_BOX" cat /sys/class/net/lan/address)
	ip -n "$TB_INET" neigh replace 198.18.0.2 lladdr "$w" dev i0 nud permanent &&
		ip -n "$TB_BOX" neigh replace 198.18.0.1 lladdr "$i0" dev wan nud permanent &&
		ip -n "$TB_BOX" neigh replace 198.18.1.2 lladdr "$c0" dev lan nud permanent &&
		ip -n "$TB_CUST" neigh replace 198.18.1.1 lladdr "$l" dev c0 nud permanent
}

# round N MODE: one testbed of MODE, every measurement, a row into $rows
round() {
	local n=$1 mode=$2 s tsv pn px tn tg pct jobs
	s=m$(printf '%x' $$ | tail -c 4)$n${mode:0:1}
	tsv=$work/$n-$mode.tsv
	TB_MODE=$mode testbed_up "$s" || return 1
	pin_neighbours "$mode" || return 1
	tp_box_gro || return 1
	tp_customers_load "$CSV" || return 1
	tp_addresses_add
	tp_pps "$work/$n-$mode.pps" none "$PPS_SECONDS" || return 1
	tp_run "$tsv" none-gro 101/down/tcp/4 || return 1
	local dev
	for dev in wan lan; do
		ip netns exec "$TB_BOX" ethtool -K "$dev" gro off >/dev/null || return 1
	done
	tp_run "$tsv" none-nogro 101/down/tcp/4 || return 1
	tp_box_gro || return 1
	backend_start "$s" "$CSV" >/dev/null || return 1
	tp_pps "$work/$n-$mode.pps" xshaper "$PPS_SECONDS" || return 1
	mapfile -t jobs < <(tp_jobs down tcp 4)
	tp_run "$tsv" shaped "${jobs[@]}" || return 1
	backend_stop
	tp_servers_stop
	testbed_down
	pn=$(pps_of "$work/$n-$mode.pps" none)
	px=$(pps_of "$work/$n-$mode.pps" xshaper)
	tn=$(awk -F'\t' '$1 == "none-gro" { print int($9 / 1e6) }' "$tsv")
	tg=$(awk -F'\t' '$1 == "none-nogro" { print int($9 / 1e6) }' "$tsv")
	pct=$(awk -F'\t' '$1 == "shaped" { s += $10; k++ } END { printf "%.1f", k ? s / k : 0 }' "$tsv")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$mode" "$pn" "$px" "$tn" "$tg" "$pct" \
		"$(bench_load)" "$(awk -v a="$px" -v b="$pn" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" >>"$rows"
	echo "round $n $mode: pps none $pn, xshaper $px; tcp none $tn Mbit/s (GRO off: $tg); shaped $pct %" >&2
}

echo "bench-modes: $ROUNDS round(s) of routed and bridged, about $((ROUNDS * 50)) s" >&2
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in routed bridge; do
		round "$r" "$mode" || {
			echo "bench-modes: round $r ($mode) failed" >&2
			exit 1
		}
	done
done

{
	echo "## Routed or bridged"
	echo
	echo "$(date -u +%Y-%m-%d), $(bench_machine). The same testbed routed and"
	echo "bridged (scripts/testbed.sh TB_MODE), $ROUNDS round(s) interleaved, medians;"
	echo "64-byte UDP from one trafgen to 8 customers (pps), one unshaped TCP"
	echo "download (tcp, Mbit/s of goodput), 8 customers' TCP downloads at once under"
	echo "xshaper (shaped, mean % of plan; 95.6 % is every plan met)."
	echo
	echo "| box | pps, no shaper | pps, xshaper | xshaper / none | tcp, no shaper | tcp, GRO off | shaped |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk -F'\t' '
		function median(a, k,   i, j, t) {
			for (i = 2; i <= k; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
		}
		{ k[$2]++; for (c = 3; c <= 9; c++) v[$2, c, k[$2]] = $c }
		END {
			split("routed bridge", modes, " ")
			for (m = 1; m <= 2; m++) {
				mode = modes[m]
				for (c = 3; c <= 9; c++) {
					delete a
					for (i = 1; i <= k[mode]; i++) a[i] = v[mode, c, i]
					med[c] = median(a, k[mode])
				}
				printf "| %s | %d | %d | %.2f | %d | %d | %.1f %% |\n", mode, med[3], med[4],
					med[9], med[5], med[6], med[7]
			}
		}' "$rows"
	echo
	echo "xshaper / none: the median of each round's ratio. Every round (pps none,"
	echo "pps xshaper, their ratio, tcp, tcp GRO off, shaped %, load):"
	echo
	echo '```'
	awk -F'\t' '{ printf "%s %-6s %8s %8s %5s %6s %6s %5s%%  load %s\n", $1, $2, $3, $4, $9, $5, $6,
		$7, $8 }' "$rows"
	echo '```'
} >"$BENCH_OUT/modes.md"
cat "$BENCH_OUT/modes.md"
