#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Bridge mode: the box is a transparent bridge (scripts/testbed.sh
# TB_MODE=bridge: br0 over wan and lan, STP off, no address, no routing)
# and xshaper, configured as on a router, shapes what the bridge forwards.
# XDP on the ports redirects each frame into the cpumap; it re-enters the
# stack on the CPU of its customer as received on its port, the bridge
# forwards it, and TC egress on the other port classifies it into HTB.
#   - the box has no address and does not route; the bridge forwards
#     frames of the full MTU both ways with xshaper attached;
#   - each customer's packets are classified on its CPU, into its class,
#     both directions, and nothing of them on the other CPU;
#   - TCP download and upload of four customers at once (5-40 Mbit/s),
#     IPv4 and IPv6, at 90-100 % of plan (HTB counts whole frames: 95.6 %
#     is a full plan for IPv4 TCP, 94.3 % for IPv6);
#   - a steady UDP flow to an unchanged customer loses no packet across
#     reloads that add and remove others (with bridge netfilter on, where
#     the kernel has it: nothing depends on it either way);
#   - reloads killed mid-way leave no prefix pointing at a missing class,
#     the bridge forwarding, and are repaired by the next run;
#   - ARP and neighbour discovery across the bridge, caches flushed on
#     both sides, while xshaper runs; non-IP frames pass XDP untouched
#     (counted as non_ip): a frame of an unknown EtherType crosses both
#     ways (leaving through a default class), STP BPDUs cross (a bridge
#     with STP off forwards them), LLDP does not (the bridge keeps
#     01:80:c2:00:00:0e to itself) until group_fwd_mask lets it;
#   - after stop the bridge forwards unshaped (a download well above the
#     plan) and nothing of xshaper is left on the ports.
# A run that misses the throughput band (a busy machine) is measured
# again, at most RETRIES (6) times in the whole test.
TB_MODE=bridge
source "$(dirname "$0")/workflow.sh"
require_root
for c in iperf3 python3 nsenter ethtool; do
	command -v "$c" >/dev/null || skip_all "needs $c"
done
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
. "$XS_TOP/scripts/throughput.sh"

TP_DURATION=${TP_DURATION:-4}
TP_OMIT=1
TP_LOG=$WF_DIR/iperf3.log
RETRIES=${RETRIES:-6}
out=$WF_DIR/results.tsv

wf_up
on_exit tp_servers_stop
tp_box_gro || fail "GRO on the box's ports"

# Four customers (addresses of wf_up), plans 5 to 40 Mbit/s: enough to
# measure, little enough to leave a shared 2-CPU machine room; no upload
# too small for the ACKs of its download and back.
list_a() {
	cat >"$WF_CSV" <<'EOF'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,steady,198.19.1.1 2001:db8:100::1,5mbit,10mbit,2mbit,5mbit
2,b,198.19.1.2 2001:db8:100::2,2mbit,5mbit,5mbit,10mbit
3,c,198.19.1.3 2001:db8:100::3,10mbit,20mbit,5mbit,10mbit
4,d,198.19.1.4 2001:db8:100::4,20mbit,40mbit,10mbit,20mbit
EOF
}
# from a: 2 re-rated, 3 gone, 5 and 6 new
list_b() {
	cat >"$WF_CSV" <<'EOF'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,steady,198.19.1.1 2001:db8:100::1,5mbit,10mbit,2mbit,5mbit
2,b,198.19.1.2 2001:db8:100::2,2mbit,8mbit,5mbit,15mbit
4,d,198.19.1.4 2001:db8:100::4,20mbit,40mbit,10mbit,20mbit
5,e,198.19.1.5 2001:db8:100::5,5mbit,10mbit,5mbit,10mbit
6,f,198.19.1.6,1mbit,5mbit,1mbit,5mbit
EOF
}
list_a
tp_customers_load "$WF_CSV" || exit 1

# quiet COMMAND...: the command without its output (pings in checks)
quiet() {
	"$@" >/dev/null
}

# ---- the bridge as the testbed made it, before xshaper
box_addrs=$(ip -n "$TB_BOX" -o addr show | awk '$2 != "lo" { print $2, $4 }')
check_eq "the box has no address on br0, wan or lan" "" "$box_addrs"
check_eq "the box does not route" "0 0" \
	"$(box sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding | xargs)"
check_eq "wan and lan are ports of br0" "lan wan" \
	"$(ip -n "$TB_BOX" -o link show master br0 | awk -F'[ @:]+' '{ print $2 }' | sort | xargs)"
check_eq "STP off on br0" 0 "$(box cat /sys/class/net/br0/bridge/stp_state)"

# ---- the bridge device itself is not an interface to shape on
sed -i 's/^wan = wan$/wan = br0/' "$WF_INI"
chk=$(xs check 2>&1)
check_eq "check with wan = br0: exit 1" 1 "$?"
check "check names the bridge device and says to name its ports" \
	grep -q "br0: a bridge device: .*name its ports" <<<"$chk"
xs -q start >/dev/null 2>&1
check_eq "start with wan = br0: exit 1" 1 "$?"
check "and nothing was attached or pinned" eval \
	"! ip -n $TB_BOX link show br0 | grep -q xdp && ! ip -n $TB_BOX link show lan | grep -q xdp && [ ! -e $WF_BPFFS ]"
sed -i 's/^wan = br0$/wan = wan/' "$WF_INI"

# ---- start
check "start on the bridge ports" xs -q start
st=$(xs status)
check "status: XDP native and TC egress on wan" grep -q "^wan: wan, XDP native prog [0-9]*, TC egress prog" <<<"$st"
check "status: XDP native and TC egress on lan" grep -q "^lan: lan, XDP native prog [0-9]*, TC egress prog" <<<"$st"
check "status: the data path as start left it" grep -q "^data path: as start left it" <<<"$st"
wf_settled "after start"

# full-size frames, not fragmented on the way: 1500 bytes of IP both ways
check "1500-byte IPv4 packets cross the bridge, DF set" \
	quiet ip netns exec "$TB_INET" ping -q -c 3 -i 0.2 -W 2 -M "do" -s 1472 198.19.1.1
check "1500-byte IPv6 packets cross the bridge" \
	quiet ip netns exec "$TB_CUST" ping -6 -q -c 3 -i 0.2 -W 2 -M "do" -s 1452 -I 2001:db8:100::1 2001:db8:ff::1

# ---- steering: each customer on its CPU, in its class, both directions
# counters: the TC programs' customer counters, "CPU0-lan CPU0-wan CPU1-lan
# CPU1-wan"; then the XDP programs' hits and cpumap redirects on wan and
# lan together
classified() {
	xs stats --json --interval 0 | python3 -c '
import json, sys
cpus = {c["cpu"]: c for c in json.load(sys.stdin)["cpus"]}
print(" ".join(str(cpus[c][r]["tc"]["customer"]) for c in (0, 1) for r in ("lan", "wan")),
      *(sum(cpus[c][r]["xdp"][k] for c in (0, 1) for r in ("lan", "wan"))
        for k in ("hit", "redirect")))'
}
class_pkts() { # dev classid
	box tc -s class show dev "$1" classid "$2" |
		sed -n 's/^ *Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' | head -1
}
where() { # address: "CPU CLASSID"
	xs lookup "$1" | sed -n 's/.*, cpu \([0-9]*\), txq [0-9]*, classid \([0-9a-f:]*\)$/\1 \2/p'
}
steered() {
	local name=$1 addr=$2 cpu cls c0 c1
	shift 2
	read -r cpu cls <<<"$(where "$addr")"
	if [ -z "$cls" ]; then
		fail "$name: lookup $addr: $(xs lookup "$addr" 2>&1)"
		return
	fi
	local other=$((1 - cpu)) cd0 cu0
	read -ra c0 <<<"$(classified)"
	cd0=$(class_pkts lan "$cls") cu0=$(class_pkts wan "$cls")
	if ! ip netns exec "$TB_INET" ping -q -c 20 -i 0.01 -W 2 "$@" "$addr" >/dev/null; then
		fail "$name: ping $addr across the bridge"
		return
	fi
	read -ra c1 <<<"$(classified)"
	if [ "${#c0[@]}" != 6 ] || [ "${#c1[@]}" != 6 ]; then
		fail "$name: the counters of CPUs 0 and 1 in stats --json"
		return
	fi
	local dd=$((c1[2 * cpu] - c0[2 * cpu])) du=$((c1[2 * cpu + 1] - c0[2 * cpu + 1]))
	local odd=$((c1[2 * other] - c0[2 * other] + c1[2 * other + 1] - c0[2 * other + 1]))
	check "$name: XDP found the customer on wan and lan ($((c1[4] - c0[4])) hits)" \
		test $((c1[4] - c0[4])) -ge 40
	check "$name: download classified on CPU $cpu ($dd packets)" test "$dd" -ge 20
	check "$name: upload classified on CPU $cpu ($du packets)" test "$du" -ge 20
	check "$name: nothing of it classified on CPU $other ($odd)" test "$odd" -eq 0
	local cd=$(($(class_pkts lan "$cls") - cd0)) cu=$(($(class_pkts wan "$cls") - cu0))
	check "$name: lan class $cls counts the download ($cd packets)" test "$cd" -ge 20
	check "$name: wan class $cls counts the upload ($cu packets)" test "$cu" -ge 20
}
cpus=""
read -ra r0 <<<"$(classified)"
for id in 1 2 3 4; do
	steered "customer $id" "198.19.1.$id"
	cpus+=" $(where "198.19.1.$id" | cut -d' ' -f1)"
done
steered "customer 4 over IPv6" 2001:db8:100::4 -6
read -ra r1 <<<"$(classified)"
# frames that XDP saw on a CPU other than their customer's went through the
# cpumap and were bridged on the customer's CPU
check "XDP redirected frames into the cpumap ($((r1[5] - r0[5])))" test $((r1[5] - r0[5])) -gt 0
check "the customers are on both CPUs (${cpus# })" \
	test "$(tr ' ' '\n' <<<"$cpus" | sort -u | xargs)" = "0 1"

# ---- throughput: all four at once, each direction and family
# in_band TAG: every row of TAG between 90 and 100 % of plan
in_band() {
	awk -F'\t' -v t="$1" '$1 == t && ($12 != "ok" || $10 < 90 || $10 > 100) { bad = 1 }
		END { exit bad }' "$out"
}
for fam in 4 6; do
	for dir in down up; do
		tag=$dir-tcp-v$fam
		mapfile -t jobs < <(tp_jobs "$dir" tcp "$fam")
		while :; do
			tp_run "$out" "$tag" "${jobs[@]}" || fail "$tag: iperf3 did not run"
			in_band "$tag" && break
			[ "$RETRIES" -gt 0 ] || break
			RETRIES=$((RETRIES - 1))
			echo "note: $tag missed, measuring again (load: $(cut -d' ' -f1-3 /proc/loadavg))"
			tp_table "$out" "$tag"
			sed -i "s/^$tag\t/$tag-missed\t/" "$out"
		done
		tp_table "$out" "$tag"
		check_eq "TCP $dir IPv$fam: a row for each of the ${#jobs[@]} customers" \
			"${#jobs[@]}" "$(awk -F'\t' -v t="$tag" '$1 == t' "$out" | wc -l)"
		check "TCP $dir IPv$fam: several customers at once" [ "${#jobs[@]}" -ge 2 ]
		while IFS=$'\t' read -r _ id _ _ _ _ plan _ _ pct _ status; do
			what="TCP $dir IPv$fam customer $id ($((plan / 1000000)) Mbit/s): $pct % of plan"
			if [ "$status" != ok ]; then
				fail "$what: $status"
			elif awk -v p="$pct" 'BEGIN { exit !(p >= 90 && p <= 100) }'; then
				pass "$what"
			else
				fail "$what, want 90-100 %"
			fi
		done < <(awk -F'\t' -v t="$tag" '$1 == t' "$out")
	done
done

# ---- ARP and neighbour discovery across the bridge, xshaper running
# neigh_ok NS DEV ADDRESS: the neighbour entry was learnt (REACHABLE,
# STALE or DELAY: resolved, whatever the timers did since)
neigh_ok() {
	ip -n "$1" neigh show dev "$2" to "$3" | grep -qE ' lladdr [0-9a-f:]+ .*(REACHABLE|STALE|DELAY)'
}
nonip() { # non-IP frames XDP passed on wan and lan, all CPUs
	xs stats --json --interval 0 | python3 -c '
import json, sys
print(sum(c[r]["xdp"]["non_ip"] for c in json.load(sys.stdin)["cpus"] for r in ("wan", "lan")))'
}
n0=$(nonip)
ip -n "$TB_INET" neigh flush dev i0
ip -n "$TB_CUST" neigh flush dev c0
check_eq "neighbour caches flushed on both sides" "" \
	"$(ip -n "$TB_INET" neigh show dev i0 nud reachable; ip -n "$TB_CUST" neigh show dev c0 nud reachable)"
check "inet reaches cust over IPv4 after the flush" \
	quiet ip netns exec "$TB_INET" ping -q -c 2 -i 0.2 -W 2 198.18.0.2
check "inet reaches cust over IPv6 after the flush" \
	quiet ip netns exec "$TB_INET" ping -6 -q -c 2 -i 0.2 -W 2 2001:db8:ff::2
check "cust reaches inet over IPv4 after the flush" \
	quiet ip netns exec "$TB_CUST" ping -q -c 2 -i 0.2 -W 2 198.18.0.1
check "cust reaches inet over IPv6 after the flush" \
	quiet ip netns exec "$TB_CUST" ping -6 -q -c 2 -i 0.2 -W 2 2001:db8:ff::1
check "ARP: inet learnt cust's 198.18.0.2 again" neigh_ok "$TB_INET" i0 198.18.0.2
check "ND: inet learnt cust's 2001:db8:ff::2 again" neigh_ok "$TB_INET" i0 2001:db8:ff::2
check "ARP: cust learnt inet's 198.18.0.1 again" neigh_ok "$TB_CUST" c0 198.18.0.1
check "ND: cust learnt inet's 2001:db8:ff::1 again" neigh_ok "$TB_CUST" c0 2001:db8:ff::1
n1=$(nonip)
# a request and its answer at least (the answering side learns the asker
# from the request)
check "XDP passed the ARP frames as non-IP ($((n1 - n0)))" test $((n1 - n0)) -ge 2

# ---- non-IP frames: raw Ethernet from one router to the other
# l2_cross FROM_NS FROM_DEV TO_NS TO_DEV DST_MAC KIND COUNT: send COUNT
# frames of KIND from FROM_DEV, print how many TO_DEV received. KIND:
#   bpdu  an 802.3 frame with LLC 42 42 03 and an STP configuration BPDU
#   lldp  EtherType 0x88cc, a minimal LLDPDU
#   exp   EtherType 0x88b5 (IEEE local experimental), 46 bytes of payload
L2_PY='
import os, socket, sys, time

def frame(kind, dst, src):
    dst = bytes.fromhex(dst.replace(":", ""))
    src = bytes.fromhex(src.replace(":", ""))
    if kind == "bpdu":
        bpdu = bytes([0, 0, 0, 0]) + bytes(31)
        llc = bytes([0x42, 0x42, 0x03]) + bpdu
        return dst + src + len(llc).to_bytes(2, "big") + llc + bytes(60)[:max(0, 46 - len(llc))]
    if kind == "lldp":
        tlv = lambda t, v: ((t << 9) | len(v)).to_bytes(2, "big") + v
        pdu = tlv(1, b"\x04" + src) + tlv(2, b"\x05xs-test") + tlv(3, b"\x00\x78") + tlv(0, b"")
        return dst + src + b"\x88\xcc" + pdu.ljust(46, b"\0")
    return dst + src + b"\x88\xb5" + b"xshaper bridge test".ljust(46, b"\0")

def wanted(kind, f):
    if kind == "bpdu":
        return f[14:17] == b"\x42\x42\x03"
    return f[12:14] == (b"\x88\xcc" if kind == "lldp" else b"\x88\xb5")

role, dev, kind = sys.argv[1:4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((dev, 0))
if role == "tx":
    dst, n = sys.argv[4], int(sys.argv[5])
    src = open("/sys/class/net/%s/address" % dev).read().strip()
    for _ in range(n):
        s.send(frame(kind, dst, src))
        time.sleep(0.002)
    sys.exit(0)
# rx: count until half a second after the file DONE exists (the sender
# finished), at most 20 s; "ready" on stdout once listening
done_file = sys.argv[4]
print("ready", flush=True)
s.settimeout(0.1)
got, end, drain = 0, time.time() + 20, None
while time.time() < end and (drain is None or time.time() < drain):
    if drain is None and os.path.exists(done_file):
        drain = time.time() + 0.5
    try:
        f, addr = s.recvfrom(2048)
    except socket.timeout:
        continue
    if addr[2] != socket.PACKET_OUTGOING and wanted(kind, f):
        got += 1
print(got)
'
l2_cross() {
	local fns=$1 fdev=$2 tns=$3 tdev=$4 mac=$5 kind=$6 n=$7 rx=$WF_DIR/l2-rx.out
	local done=$WF_DIR/l2-tx.done
	rm -f "$done"
	ip netns exec "$tns" python3 -c "$L2_PY" rx "$tdev" "$kind" "$done" >"$rx" &
	local pid=$!
	XS_PIDS+=("$pid")
	wait_for 5 grep -q ready "$rx" || {
		echo "l2_cross: the receiver in $tns did not start" >&2
		kill "$pid" 2>/dev/null
		echo -1
		return
	}
	ip netns exec "$fns" python3 -c "$L2_PY" tx "$fdev" "$kind" "$mac" "$n"
	touch "$done"
	wait "$pid"
	tail -1 "$rx"
}
# l2_all ARGS: l2_cross up to 3 times until all N crossed; the most that
# did. Within this test (not alone, with xshaper or without it) a burst of
# 50 now and then lost a few frames on the way (37-46 of 50 seen), so one
# short count is taken for the veth path's and measured again.
l2_all() {
	local best=0 got k
	for k in 1 2 3; do
		got=$(l2_cross "$@")
		[ "$got" -gt "$best" ] && best=$got
		[ "$best" -ge "$7" ] && break
		echo "note: $got of $7 frames crossed, sending again" >&2
	done
	echo "$best"
}
c0_mac=$(ip netns exec "$TB_CUST" cat /sys/class/net/c0/address)
i0_mac=$(ip netns exec "$TB_INET" cat /sys/class/net/i0/address)
default_pkts() { # dev: the default classes (minor 2) of every tree together
	box tc -s class show dev "$1" |
		awk '$1 == "class" { d = $2 == "htb" && $3 ~ /:2$/ } d && $1 == "Sent" { n += $4 } END { print n + 0 }'
}
n0=$(nonip)
d0=$(default_pkts lan)
check_eq "a frame of EtherType 0x88b5 crosses the bridge inet -> cust" 50 \
	"$(l2_all "$TB_INET" i0 "$TB_CUST" c0 "$c0_mac" exp 50)"
d1=$(default_pkts lan)
check "and left lan through a default class ($((d1 - d0)) packets)" test $((d1 - d0)) -ge 50
check_eq "a frame of EtherType 0x88b5 crosses the bridge cust -> inet" 50 \
	"$(l2_all "$TB_CUST" c0 "$TB_INET" i0 "$i0_mac" exp 50)"
check_eq "STP BPDUs to 01:80:c2:00:00:00 cross (STP off: the bridge forwards them)" 50 \
	"$(l2_all "$TB_INET" i0 "$TB_CUST" c0 01:80:c2:00:00:00 bpdu 50)"
check_eq "LLDP to 01:80:c2:00:00:0e stays in the bridge by default" 0 \
	"$(l2_cross "$TB_INET" i0 "$TB_CUST" c0 01:80:c2:00:00:0e lldp 50)"
n1=$(nonip)
check "XDP passed all 200 of them as non-IP ($((n1 - n0)))" test $((n1 - n0)) -ge 200
ip -n "$TB_BOX" link set br0 type bridge group_fwd_mask 0x4000
check_eq "LLDP crosses once group_fwd_mask has bit 14 (0x4000)" 50 \
	"$(l2_all "$TB_INET" i0 "$TB_CUST" c0 01:80:c2:00:00:0e lldp 50)"
ip -n "$TB_BOX" link set br0 type bridge group_fwd_mask 0

# ---- a steady flow to an unchanged customer across reloads
if [ -d /proc/sys/net/bridge ]; then
	check "bridge netfilter on for the flow (bridge-nf-call-*tables = 1)" testbed_bridge_nf 1
else
	echo "note: no bridge netfilter in this kernel"
fi
wf_flow_start 198.19.1.1 5201 4M 8 "$WF_DIR/steady.json"
flow=$WF_FLOW
steady_cls=$(wf_classid 198.19.1.1)
steady0=$(class_pkts lan "$steady_cls")
steady_moving() { [ "$(class_pkts lan "$steady_cls")" -ge $((steady0 + 100)) ]; }
check "the steady flow runs through customer 1's class $steady_cls" wait_for 10 steady_moving
reloads=0
for i in 1 2 3 4 5 6; do
	list_b
	xs -q reload && reloads=$((reloads + 1))
	sleep 0.3
	list_a
	xs -q reload && reloads=$((reloads + 1))
	sleep 0.3
done
check_eq "12 reloads adding, removing and re-rating others" 12 "$reloads"
wait "$flow"
lost=$(wf_flow_lost "$WF_DIR/steady.json")
echo "steady flow: lost, packets = $lost"
check "the unchanged customer's flow lost no packet across the reloads ($lost)" \
	[ "${lost%% *}" = 0 ]
check "and carried traffic" [ "${lost##* }" -gt 1000 ]
testbed_bridge_nf 0
wf_settled "after the reloads"

# ---- crash repair: reloads a -> b killed after their N-th change
killed=0
for n in 1 2 3 4 5; do
	list_b
	XSHAPER_TEST_KILL_AFTER=$n xs -q reload >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 137 ] && killed=$((killed + 1))
	check_eq "killed after $n changes (exit $rc): no prefix points at a missing class" 0 \
		"$(wf_dangling)"
	check "killed after $n changes: the bridge forwards customer traffic" \
		quiet ip netns exec "$TB_INET" ping -q -c 3 -i 0.1 -W 2 198.19.1.1
	check "killed after $n changes: the next reload succeeds" xs -q reload
	wf_settled "killed after $n changes, then reloaded"
	check_eq "killed after $n changes: customer 5 added" 5 "$(wf_lookup 198.19.1.5)"
	check_eq "killed after $n changes: customer 3 removed" none "$(wf_lookup 198.19.1.3)"
	list_a
	xs -q reload || fail "back to list a after the kill after $n"
done
check "at least 3 of the 5 runs were killed mid-way ($killed)" [ "$killed" -ge 3 ]

# ---- stop: the bridge forwards, unshaped, and nothing is left behind
check "stop" xs stop
check_eq "no XDP left on wan and lan" 0 "$(ip -n "$TB_BOX" link show | grep -c 'prog/xdp')"
check_eq "no clsact left" 0 "$(tc -n "$TB_BOX" qdisc show | grep -c clsact)"
check_eq "wan root back to noqueue" noqueue "$(tc -n "$TB_BOX" qdisc show dev wan root | awk '{ print $2 }')"
check_eq "lan root back to noqueue" noqueue "$(tc -n "$TB_BOX" qdisc show dev lan root | awk '{ print $2 }')"
check_eq "no HTB class left" "" "$(tc -n "$TB_BOX" class show dev wan; tc -n "$TB_BOX" class show dev lan)"
check "pins removed" test ! -e "$WF_BPFFS"
check_eq "wan and lan still ports of br0" "lan wan" \
	"$(ip -n "$TB_BOX" -o link show master br0 | awk -F'[ @:]+' '{ print $2 }' | sort | xargs)"
check "the bridge forwards after stop" \
	quiet ip netns exec "$TB_INET" ping -q -c 3 -i 0.1 -W 2 198.19.1.1
tp_run "$out" stopped 1/down/tcp/4 || fail "stopped: iperf3 did not run"
tp_table "$out" stopped
read -r pct status < <(awk -F'\t' '$1 == "stopped" { print $10, $12 }' "$out")
what="after stop customer 1 downloads unshaped: ${pct:-?} % of its 10 Mbit/s plan"
if [ "${status:-}" != ok ]; then
	fail "$what: ${status:-no result}"
elif awk -v p="$pct" 'BEGIN { exit !(p > 150) }'; then
	pass "$what"
else
	fail "$what, want more than 150 %"
fi
mkdir -p "$XS_TOP/build/test-logs" && cp "$out" "$XS_TOP/build/test-logs/bridge.tsv"
