#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The passive TCP monitor on real traffic: a customer downloading TCP
# through its class gets lan RTT samples (and a p50), an idle customer
# none, and a class that dropped packets shows retransmits going down.
# Its lan p50 lies within 0.5-2x the median RTT of pings sent through the
# box to that customer during the same seconds. rtt = off stops the
# sampling at the next reload.
source "$(dirname "$0")/workflow.sh"
wf_up
# short leaf queues (HTB's pfifo takes the device's txqueuelen): TCP at
# its plan overflows them, so the class drops and TCP retransmits
box ip link set dev lan txqueuelen 30

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

# pings from the far end to the customer while it downloads, through the box
ip netns exec "$TB_INET" ping -c 14 -i 0.25 -w 6 198.19.1.1 >"$WF_DIR/ping.txt" 2>&1 &
ping_pid=$!
tcp_download 5311 4 || fail "iperf3 download did not run"
wait "$ping_pid"
read -r lan p50 wan retr drops < <(monitor 1)
ping_med=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$WF_DIR/ping.txt" | sort -g |
	awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
echo "ping median during the download: ${ping_med:-none} ms"
echo "busy: lan samples $lan, p50 $p50 ms, wan samples $wan, retransmits down $retr, drops $drops"
check "busy customer: lan RTT samples" [ "${lan:-0}" -gt 0 ]
check "busy customer: a lan p50" [ "$p50" != None ]
check "busy customer: lan p50 $p50 ms within 0.5-2x the ping median ${ping_med:-none} ms" \
	awk -v p="$p50" -v m="${ping_med:-0}" 'BEGIN { exit !(m > 0 && p >= m / 2 && p <= 2 * m) }' 
check "busy customer: its class dropped packets ($drops)" [ "${drops:-0}" -gt 0 ]
check "busy customer: retransmits counted going down ($retr)" [ "${retr:-0}" -gt 0 ]
check "stats: the busy customer's down row has its lan RTT p50" \
	awk '$1 == "1" && $3 == "down" { found = $12 ~ /^[0-9.]+$/ } END { exit !found }' \
	< <(xs stats --interval 0)
prom=$(xs stats --prometheus)
check "stats --prometheus with RTT histograms passes the format check" \
	python3 "$XS_TOP/tests/netns/promcheck.py" <<<"$prom"
check "prometheus: the busy customer's lan RTT histogram" grep -qE \
	'^xshaper_customer_rtt_seconds_bucket\{id="1",name="busy",side="lan",le="\+Inf"\} [1-9][0-9]*$' \
	<<<"$prom"
check "prometheus: its retransmits going down" grep -qE \
	'^xshaper_customer_retransmits_total\{id="1",name="busy",direction="down"\} [1-9][0-9]*$' \
	<<<"$prom"
read -r lan p50 wan retr drops < <(monitor 2)
check_eq "idle customer: no lan samples" 0 "$lan"
check_eq "idle customer: no wan samples" 0 "$wan"
check_eq "idle customer: no retransmits" 0 "$retr"

# top --once during a download: the busy customer's lan p50 over that second
tcp_download 5313 3 &
sleep 1
top=$(xs top --once)
wait
echo "$top"
check "top --once: the busy customer first, with a lan p50" \
	awk 'NR == 2 { exit !($1 == "1" && $9 ~ /ms$/) }' <<<"$top"
check "top --once: the idle customer has no RTT" awk '$1 == "2" { exit !($9 == "-") }' <<<"$top"

# the flow table: sized for the list at start; a new size waits for the
# next start, which replaces the table while the customers stay shaped
flows_entries() {
	bpftool -j map show pinned "$WF_BPFFS/xs_flows" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["max_entries"])'
}
possible=$(awk -F- '{ print ($2 == "" ? 1 : $2 + 1) }' /sys/devices/system/cpu/possible)
check_eq "flow table: auto gives the floor of 4096 flows per CPU for 2 customers" \
	$((4096 * possible)) "$(flows_entries)"
check "check: the flow table start would make" grep -qF \
	"monitor flow table: 4096 flows on each of $possible possible CPUs" <<<"$(xs check 2>&1)"
sed -i 's/^\[system\]$/[monitor]\nflows = 20000\n[system]/' "$WF_INI"
check "check: [monitor] flows = 20000 is 10000 on each of the 2 shaping CPUs" grep -qF \
	"monitor flow table: 10000 flows on each of $possible possible CPUs" <<<"$(xs check 2>&1)"
out=$(xs reload 2>&1)
echo "$out"
check "reload: the running table is not what the config wants, and start resizes it" \
	grep -q "the running flow table holds 4096 flows per CPU, the config wants 10000; 'xshaper start' resizes it" <<<"$out"
check_eq "reload: the table keeps its size" $((4096 * possible)) "$(flows_entries)"
wf_flow_start 198.19.1.2 5314 5M 4 "$WF_DIR/resize.json" || fail "iperf3 flow did not start"
sleep 1
out=$(xs start 2>&1)
check "start resizes the flow table" grep -q "the flow table goes from 4096 to 10000 flows per CPU" <<<"$out"
wait "$WF_FLOW"
read -r lost sent < <(wf_flow_lost "$WF_DIR/resize.json")
check_eq "resizing start: the UDP flow to the other customer lost nothing ($sent sent)" 0 "$lost"
check_eq "the pinned table has the new size" $((10000 * possible)) "$(flows_entries)"
read -r before _ < <(monitor 1)
tcp_download 5315 2 || fail "iperf3 download did not run"
read -r after _ < <(monitor 1)
check "the customer is still sampled ($before -> $after lan samples)" [ "$after" -gt "$before" ]
used=$(bpftool -j map dump pinned "$WF_BPFFS/xs_flows" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
check "the programs keep their flows in the new, pinned table ($used flows)" [ "${used:-0}" -gt 0 ]
out=$(xs reload 2>&1)
check "reload after it: no word of the flow table" eval '! grep -q "flow table" <<<"$out"'

sed -i 's/^\[system\]$/[monitor]\nrtt = off\n[system]/' "$WF_INI"
check "reload with rtt = off" xs -q reload
read -r before _ < <(monitor 1)
tcp_download 5312 2 || fail "iperf3 download did not run"
read -r after _ < <(monitor 1)
check_eq "rtt = off: no new samples" "$before" "$after"
check "stop" xs -q stop
