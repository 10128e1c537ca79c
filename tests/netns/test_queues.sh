#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# How many TX queues one CPU needs: one tree needs one TX queue in use, and
# the mq root above the trees needs a multiqueue device (one that can have
# two TX queues or more). So one CPU starts and shapes on interfaces that
# use one TX queue of two ('ethtool -L tx 1'), and interfaces created with
# a single TX queue are refused before anything is touched, with the
# message docs/operator-guide.md quotes.
TB_QUEUES=2
source "$(dirname "$0")/workflow.sh"
wf_up

cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,one,198.19.1.1,5mbit,10mbit,2mbit,5mbit
EOF2
wf_config 0
sed -i 's/^queues_per_cpu = 2$/queues_per_cpu = 1/' "$WF_INI"

# --- one TX queue in use of two ------------------------------------------
# (RX stays at 2: native XDP on a veth wants as many RX queues as its peer
# has TX queues)
for dev in wan lan; do
	box ethtool -L "$dev" tx 1
done
check_eq "lan has 1 TX queue in use" 1 "$(box ethtool -l lan | awk '/^TX:/ { n = $2 } END { print n }')"
out=$(xs check 2>&1)
check_eq "check: one CPU on one TX queue in use is fine" 0 "$?"
check "start: one CPU on one TX queue in use" xs -q start
check "lan: one HTB tree under mq" bash -c "[ \"\$(ip netns exec $TB_BOX tc qdisc show dev lan | grep -c '^qdisc htb')\" = 1 ]"
wf_settled "one CPU, one queue in use"
# shaped: a TCP download well past the plan gets the customer's 10 Mbit/s
ip netns exec "$TB_CUST" iperf3 -s -1 -B 198.19.1.1 -p 5311 >/dev/null 2>&1 &
XS_PIDS+=($!)
wait_listen "$TB_CUST" tcp 5311
ip netns exec "$TB_INET" iperf3 -c 198.19.1.1 -p 5311 -t 3 -O 1 --json >"$WF_DIR/dl.json" 2>&1
mbit=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6, 1))' "$WF_DIR/dl.json" 2>&1)
echo "download through a 10 Mbit/s ceil: $mbit Mbit/s"
check "the download is shaped to its ceil (got $mbit Mbit/s)" \
	python3 -c "import sys; sys.exit(not 5 <= float('$mbit') <= 10.5)"
bytes=$(xs stats --json --interval 0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["customers"][0]["down"]["bytes"])')
check "and went through the customer's class ($bytes bytes)" [ "${bytes:-0}" -gt 1000000 ]
check "stop" xs -q stop

# --- interfaces that can have one TX queue only --------------------------
for dev in wan1 lan1; do
	ip -n "$TB_BOX" link add "$dev" numtxqueues 1 numrxqueues 1 type veth peer name "${dev}p" \
		numtxqueues 1 numrxqueues 1
	ip -n "$TB_BOX" link set "$dev" up
	ip -n "$TB_BOX" link set "${dev}p" up
done
sed -i -e 's/^wan = wan$/wan = wan1/' -e 's/^lan = lan$/lan = lan1/' "$WF_INI"
want="lan1: can have only 1 TX queue; xshaper needs a device that can have 2 (one may be in use): its trees hang under an mq root"
out=$(xs check 2>&1)
check_eq "check: single-queue interfaces are exit 1" 1 "$?"
check "check says why, as the guide does" grep -qF "$want" <<<"$out"
xs start >"$WF_DIR/out" 2>&1
check_eq "start: single-queue interfaces are exit 1" 1 "$?"
check "start says why" grep -qF "$want" "$WF_DIR/out"
check "start touched nothing: no XDP" bash -c "! ip -n $TB_BOX link show lan1 | grep -q xdp"
check "start touched nothing: nothing pinned" [ ! -e "$WF_BPFFS" ]
sed -i 's/^queues_per_cpu = 1$/queues_per_cpu = auto/' "$WF_INI"
xs start >"$WF_DIR/out" 2>&1
check_eq "start with queues_per_cpu = auto: exit 1 as well" 1 "$?"
check "the same message" grep -qF "$want" "$WF_DIR/out"
