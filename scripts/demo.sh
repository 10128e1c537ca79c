#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: a box between the internet and five customers (network
# namespaces), xshaper shaping them with conf/demo.ini and
# conf/demo-customers.csv, real TCP through it in both directions and over
# both IP versions, and a table of what each customer got against its plan.
# Everything it made is removed at the end, Ctrl-C included. About a minute.
#
#   scripts/demo.sh            SHAPER=classic scripts/demo.sh
# SHAPER=classic shapes with the classic single-HTB u32 shaper instead, for
# comparison (scripts/shaper-backend.sh). DEMO_SECONDS: length of each run.
set -u
DEMO_TOP=$(cd "$(dirname "$0")/.." && pwd)
DEMO_INI=$DEMO_TOP/conf/demo.ini
DEMO_CSV=$DEMO_TOP/conf/demo-customers.csv
export SHAPER=${SHAPER:-xshaper}

. "$DEMO_TOP/scripts/throughput.sh"
. "$DEMO_TOP/scripts/shaper-backend.sh"

TP_DURATION=${DEMO_SECONDS:-5}

demo_cleanup() {
	local rc=$?
	# a second Ctrl-C (or timeout passing one on) must not cut this short
	trap - EXIT
	trap '' INT TERM
	# clients of an interrupted run die with the namespaces, unreported
	disown -a
	tp_servers_stop
	backend_stop
	testbed_down
	rm -rf "${work:-}"
	exit "$rc"
}
trap demo_cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT
trap 'exit 143' TERM

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

step "testbed: inet -- box (wan, lan) -- customers, in namespaces *-$suffix"
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

for dir in down up; do
	for fam in 4 6; do
		mapfile -t jobs < <(tp_jobs "$dir" tcp "$fam")
		[ ${#jobs[@]} -gt 0 ] || continue
		step "TCP ${dir}load over IPv$fam: ${#jobs[@]} customers at once, $TP_DURATION s"
		tp_run "$out" "$dir-v$fam" "${jobs[@]}" || exit 1
	done
done

step "what each customer got (SHAPER=$SHAPER; TCP payload, so ~95 % is a full plan)"
awk -F'\t' '
	NR == 1 { next }
	!head++ {
		printf "%-20s %-9s %-5s %10s %10s %7s\n", "customer", "direction", "IP", "plan", "measured", "%"
		bad = 0
	}
	{
		printf "%-20s %-9s v%-4s %9.1fM %9.2fM %6.1f%%%s\n", $2 " " $3, $4 "load", $6,
			$7 / 1e6, $9 / 1e6, $10, ($12 == "ok" ? "" : "  " $12)
		if ($12 != "ok") bad = 1
	}
	END { exit bad }' "$out"
