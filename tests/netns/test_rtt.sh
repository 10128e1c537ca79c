#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The passive TCP monitor on real traffic: a customer downloading TCP
# through its class gets lan RTT samples (and a p50), an idle customer
# none, and a class that dropped packets shows retransmits going down.
# rtt = off stops the sampling at the next reload.
source "$(dirname "$0")/workflow.sh"
wf_up

cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,busy,198.19.1.1,10mbit,20mbit,5mbit,10mbit
2,idle,198.19.1.2,10mbit,20mbit,5mbit,10mbit
EOF2
check "start" xs -q start

# tcp_download PORT SECONDS: TCP from inet to customer 1 (the server runs there)
tcp_download() {
	ip netns exec "$TB_CUST" iperf3 -s -1 -B 198.19.1.1 -p "$1" >/dev/null 2>&1 &
	XS_PIDS+=($!)
	wait_listen "$TB_CUST" tcp "$1" || return 1
	ip netns exec "$TB_INET" iperf3 -c 198.19.1.1 -p "$1" -t "$2" >/dev/null 2>&1
}

# monitor ID: "lan-samples lan-p50 wan-samples retransmits-down class-drops-down"
monitor() {
	xs stats --json --interval 0 | python3 -c '
import json, sys
for c in json.load(sys.stdin)["customers"]:
    if c["id"] == sys.argv[1]:
        r = c["rtt"]
        print(r["lan"]["samples"], r["lan"]["p50_ms"], r["wan"]["samples"],
              c["retransmits"]["down"], c["down"]["drops"] if c["down"] else 0)' "$1"
}

tcp_download 5311 4 || fail "iperf3 download did not run"
read -r lan p50 wan retr drops < <(monitor 1)
echo "busy: lan samples $lan, p50 $p50 ms, wan samples $wan, retransmits down $retr, drops $drops"
check "busy customer: lan RTT samples" [ "${lan:-0}" -gt 0 ]
check "busy customer: a lan p50" [ "$p50" != None ]
if [ "${drops:-0}" -gt 0 ]; then
	check "busy customer: its class dropped $drops packets, retransmits counted" \
		[ "${retr:-0}" -gt 0 ]
fi
read -r lan p50 wan retr drops < <(monitor 2)
check_eq "idle customer: no lan samples" 0 "$lan"
check_eq "idle customer: no wan samples" 0 "$wan"
check_eq "idle customer: no retransmits" 0 "$retr"

sed -i 's/^\[system\]$/[monitor]\nrtt = off\n[system]/' "$WF_INI"
check "reload with rtt = off" xs -q reload
read -r before _ < <(monitor 1)
tcp_download 5312 2 || fail "iperf3 download did not run"
read -r after _ < <(monitor 1)
check_eq "rtt = off: no new samples" "$before" "$after"
check "stop" xs -q stop
