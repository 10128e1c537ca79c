#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: a box between the internet and five customers (network
# namespaces), xshaper shaping them with conf/demo.ini and
# conf/demo-customers.csv, real TCP through it in both directions and over
# both IP versions, and a table of what each customer got against its plan.
# Two of the customers hang from an access point (conf/demo-network.json)
# whose cap is less than their plans together: all customers run at once,
# so those two share the AP's cap while the others get their plans; the
# table adds a row per AP (its cap against the two together).
# Everything it made is removed at the end, Ctrl-C included. About a minute.
#
#   scripts/demo.sh            SHAPER=classic scripts/demo.sh
#   DEMO_MODE=bridge scripts/demo.sh      (make demo DEMO_MODE=bridge)
# SHAPER=classic shapes with the classic single-HTB u32 shaper instead, for
# comparison (scripts/shaper-backend.sh). DEMO_MODE=bridge runs the same
# demo with the box as a transparent bridge (br0 over wan and lan, no
# address; scripts/testbed.sh TB_MODE=bridge) instead of a router; the
# config is the same. DEMO_SECONDS: length of each run.
set -u
DEMO_TOP=$(cd "$(dirname "$0")/.." && pwd)
DEMO_INI=$DEMO_TOP/conf/demo.ini
DEMO_CSV=$DEMO_TOP/conf/demo-customers.csv
export SHAPER=${SHAPER:-xshaper}
DEMO_MODE=${DEMO_MODE:-routed}
case $DEMO_MODE in
routed | bridge) export TB_MODE=$DEMO_MODE ;;
*)
	echo "demo: DEMO_MODE=$DEMO_MODE: want routed or bridge" >&2
	exit 1
	;;
esac

. "$DEMO_TOP/scripts/throughput.sh"
. "$DEMO_TOP/scripts/shaper-backend.sh"

TP_DURATION=${DEMO_SECONDS:-5}

# shellcheck disable=SC2016 # expanded at exit
backend_cleanup_on_exit 'tp_servers_stop; rm -rf "${work:-}"'
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces)" >&2
	exit 1
fi
for c in iperf3 python3 nsenter ethtool; do
	command -v "$c" >/dev/null || {
		echo "demo: needs $c (scripts/install-deps.sh)" >&2
		exit 1
	}
done

work=$(mktemp -d)
out=$work/results.tsv
suffix=d$(printf '%x' $$ | tail -c 5)

step() {
	printf '\n== %s\n' "$*"
}

if [ "$DEMO_MODE" = bridge ]; then
	step "testbed: inet -- box (br0: wan + lan, bridged, no address) -- customers, in namespaces *-$suffix"
else
	step "testbed: inet -- box (wan, lan, routed) -- customers, in namespaces *-$suffix"
fi
testbed_up "$suffix" || exit 1
tp_box_gro || exit 1
tp_customers_load "$DEMO_CSV" || exit 1
tp_addresses_add
printf '%-6s %-14s %-16s %-22s %10s %10s\n' id name IPv4 IPv6 download upload
for ((i = 0; i < TP_N; i++)); do
	printf '%-6s %-14.14s %-16s %-22s %9sM %9sM\n' "${TP_ID[i]}" "${TP_NAME[i]}" \
		"${TP_V4[i]}" "${TP_V6[i]}" $((TP_DOWN_CEIL[i] / 1000000)) $((TP_UP_CEIL[i] / 1000000))
done

if [ "$SHAPER" = xshaper ]; then
	step "xshaper -c conf/demo.ini start (in the box)"
	backend_start "$suffix" "$DEMO_CSV" "$DEMO_INI" || {
		echo "demo: xshaper did not start; SHAPER=classic $0 shows the classic shaper" >&2
		exit 1
	}
else
	step "SHAPER=$SHAPER: starting it in the box"
	backend_start "$suffix" "$DEMO_CSV" || exit 1
fi

# The nodes as xshaper built them (their classes' ceils, read back from the
# kernel) and the customers under each; the classic shaper has no nodes.
nodes=$work/nodes.tsv
: >"$nodes"
if [ "$SHAPER" = xshaper ]; then
	xshaper_run "$BACKEND_INI" stats --json | "$TP_PYTHON" -c '
import json, sys
s = json.load(sys.stdin)
for c in s["customers"]:
    if c["parent"]:
        print("customer", c["id"], c["parent"], sep="\t")
for n in s["nodes"]:
    print("node", n["name"], n["path"], n["down"]["ceil"], n["up"]["ceil"], sep="\t")
' >"$nodes" || exit 1
	awk -F'\t' '$1 == "customer" { under[$3] = under[$3] " " $2 }
		$1 == "node" { printf "node %s: %dM down, %dM up, customers:%s\n", $3,
			$4 / 1e6, $5 / 1e6, ($2 in under ? under[$2] : " none of its own") }' "$nodes"
else
	echo "SHAPER=$SHAPER has no nodes: the AP of conf/demo-network.json caps nobody here"
fi

for dir in down up; do
	for fam in 4 6; do
		mapfile -t jobs < <(tp_jobs "$dir" tcp "$fam")
		[ ${#jobs[@]} -gt 0 ] || continue
		step "TCP ${dir}load over IPv$fam: ${#jobs[@]} customers at once, $TP_DURATION s"
		tp_run "$out" "$dir-v$fam" "${jobs[@]}" || exit 1
	done
done

step "what each customer got (SHAPER=$SHAPER, box $DEMO_MODE; TCP payload, so ~95 % is a full plan)"
# Customers under a node are marked; after each run a row per node: its
# cap against what its customers got together.
awk -F'\t' -v nodes="$nodes" '
	function flush(   n) {
		for (n in sum) {
			pct = 100 * sum[n] / cap[dir, n]
			printf "%-20.20s %-9s v%-4s %9.1fM %9.2fM %6.1f%%  its cap, to %s together\n", n,
				dir "load", fam, cap[dir, n] / 1e6, sum[n] / 1e6, pct, who[n]
			if (!(n in lo) || pct < lo[n]) lo[n] = pct
			if (!(n in hi) || pct > hi[n]) hi[n] = pct
		}
		delete sum
		delete who
	}
	BEGIN {
		while ((getline line < nodes) > 0) {
			split(line, f, "\t")
			if (f[1] == "customer") {
				node_of[f[2]] = f[3]
			} else {
				path[f[2]] = f[3]
				cap["down", f[2]] = f[4]
				cap["up", f[2]] = f[5]
			}
		}
	}
	NR == 1 { next }
	!head++ {
		printf "%-20s %-9s %-5s %10s %10s %7s\n", "customer", "direction", "IP", "plan", "measured", "%"
		bad = 0
	}
	$1 != tag { flush(); tag = $1 }
	{
		dir = $4
		fam = $6
		n = ($2 in node_of) ? node_of[$2] : ""
		printf "%-20s %-9s v%-4s %9.1fM %9.2fM %6.1f%%%s%s\n", $2 " " $3, $4 "load", $6,
			$7 / 1e6, $9 / 1e6, $10, (n == "" ? "" : "  under " n),
			($12 == "ok" ? "" : "  " $12)
		if ($12 != "ok") bad = 1
		if (n != "") {
			sum[n] += $9
			who[n] = who[n] == "" ? $3 : who[n] " + " $3
			members[n] = who[n]
		}
	}
	END {
		flush()
		for (n in lo)
			printf "\n%s (conf/demo-network.json) caps %s together at %dM down, %dM up,\n" \
				"less than their plans: running at once they shared it and got %.1f-%.1f %% of it " \
				"as TCP payload\n(a full cap: 95.6 %% over IPv4, 94.3 %% over IPv6), each less " \
				"than its plan; the others, under no node, got theirs.\n",
				path[n], members[n], cap["down", n] / 1e6, cap["up", n] / 1e6, lo[n], hi[n]
		exit bad
	}' "$out"
