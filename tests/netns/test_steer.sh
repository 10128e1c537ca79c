#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Steering on the namespace testbed, through the xshaper commands: XDP on
# the box's wan and lan sends each customer's packets to the CPU the plan
# gave it, and TC egress puts them into the customer's HTB class in that
# CPU's tree (lan for download, wan for upload). Three customers on two
# CPUs, two TX queues (trees) per CPU; where each one lives is what
# 'xshaper lookup' says, and the counters of the programs ('stats --json')
# and of the classes (tc) must agree with it.
#
# Also: takeover by a second start, a switch to skb mode, a reload that
# moves one customer to the other CPU and removes another (and what status
# says of it), XPS off while running and restored by stop, stop working
# from what start recorded even when the config names other interfaces
# since (an operator's root qdisc and clsact put back, nothing else left),
# and refusal of a foreign XDP program.
#
# build/bench/steer_tool only attaches that foreign program: no xshaper
# command attaches a program that is not xshaper's.
source "$(dirname "$0")/workflow.sh"

TOOL=$XS_TOP/build/bench/steer_tool
require_root
[ -x "$TOOL" ] || skip_all "build/bench/steer_tool missing; run make test"
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
command -v iperf3 >/dev/null || skip_all "iperf3 missing"
wf_up
for a in 2001:db8:101::10 198.19.2.20 198.19.3.10; do
	testbed_add_address "$a"
done

# Ceils far apart: the plan places the largest first, each on the emptiest
# of the four trees, so the three land in three trees and on both CPUs.
cat >"$WF_CSV" <<'EOF'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1001,one,198.19.1.10/32 2001:db8:101::/56,100mbit,600mbit,50mbit,300mbit
1002,two,198.19.2.0/24,50mbit,300mbit,20mbit,150mbit
1003,three,198.19.3.10/32,20mbit,100mbit,10mbit,50mbit
EOF
addr_of() { # customer id: an address of it in the customer namespace
	case $1 in
	1001) echo 198.19.1.10 ;;
	1002) echo 198.19.2.20 ;;
	1003) echo 198.19.3.10 ;;
	esac
}

# where ADDRESS: "CPU CLASSID" of the customer xshaper looks it up as
where() {
	xs lookup "$1" | sed -n 's/.*, cpu \([0-9]*\), txq [0-9]*, classid \([0-9a-f:]*\)$/\1 \2/p'
}
class_pkts() { # dev classid
	box tc -s class show dev "$1" classid "$2" |
		sed -n 's/^ *Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' | head -1
}
class_bytes() {
	box tc -s class show dev "$1" classid "$2" |
		sed -n 's/^ *Sent \([0-9]*\) bytes.*/\1/p' | head -1
}
default_pkts() { # dev: the default classes (minor 2) of every tree together
	box tc -s class show dev "$1" |
		awk '$1 == "class" { d = $3 ~ /:2$/ } d && $1 == "Sent" { n += $4 } END { print n + 0 }'
}
# The TC programs' "customer" counters: "CPU0-lan CPU0-wan CPU1-lan CPU1-wan"
classified() {
	xs stats --json --interval 0 | python3 -c '
import json, sys
cpus = {c["cpu"]: c for c in json.load(sys.stdin)["cpus"]}
print(" ".join(str(cpus[c][r]["tc"]["customer"]) for c in (0, 1) for r in ("lan", "wan")))'
}
# status --json, one value: status_value 'PYTHON EXPRESSION OF s'
status_value() {
	xs status --json | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"
}
prog_ids() {
	status_value '" ".join(str(i["xdp_prog_id"]) + "/" + str(i["tc_prog_id"]) for i in s["interfaces"])'
}
# The roles whose XDP (in MODE) and TC programs are xshaper's: "wan lan" when both
ours() {
	status_value "\" \".join(i[\"role\"] for i in s[\"interfaces\"] if i[\"xdp_ours\"] and i[\"tc_ours\"] and i[\"xdp_mode\"] == \"$1\")"
}

# Before start, as an operator may have left them: XPS on (as a NIC driver
# sets it), a root qdisc and a clsact qdisc on wan. Start turns XPS off and
# puts its trees on; stop must put all three back, and take off the clsact
# on lan that start made.
xps_path=/sys/class/net/wan/queues/tx-1/xps_cpus
box sh -c "echo 2 > $xps_path"
xps_before=$(box cat "$xps_path")
check "an operator's root qdisc on wan" box tc qdisc replace dev wan root pfifo_fast
check "an operator's clsact on wan" box tc qdisc add dev wan clsact

# ---- start
out=$(xs start 2>&1)
check_eq "start exit 0" 0 "$?"
check "start loads the three customers" grep -q "^start: 3 added, 0 removed" <<<"$out"
check_eq "XDP and TC are xshaper's on wan and lan" "wan lan" "$(ours native)"
check_eq "maps pinned 0600" "-rw-------" "$(stat -c %A "$WF_BPFFS/xs_prefixes")"
check_eq "XPS off while steering" "" "$(box cat "$xps_path" | tr -d '0,\n')"
check_eq "every customer loaded" 3 "$(status_value 's["customers"]')"
declare -A CPU CLS # of each customer, as lookup gives them after start
for id in 1001 1002 1003; do
	read -r cpu cls <<<"$(where "$(addr_of "$id")")"
	CPU[$id]=${cpu:-?} CLS[$id]=${cls:-?}
done
check "lookup: the customers are on both CPUs (1001 on ${CPU[1001]}, 1002 on ${CPU[1002]}, 1003 on ${CPU[1003]})" \
	test "$(printf '%s\n' "${CPU[@]}" | sort -u | paste -sd,)" = 0,1
check "lookup: three classes (${CLS[*]})" test "$(printf '%s\n' "${CLS[@]}" | sort -u | wc -l)" = 3
check_eq "lookup of an address in a /24 names the customer and prefix" \
	"198.19.2.20: customer 1002 (two), prefix 198.19.2.0/24, cpu ${CPU[1002]}" \
	"$(xs lookup 198.19.2.20 | sed 's/, txq.*//')"
check_eq "lookup of the IPv6 /56" "2001:db8:101::10: customer 1001 (one), prefix 2001:db8:101::/56, cpu ${CPU[1001]}" \
	"$(xs lookup 2001:db8:101::10 | sed 's/, txq.*//')"
check_eq "lookup and stats --json agree on every customer's place" \
	"1001 ${CPU[1001]} ${CLS[1001]},1002 ${CPU[1002]} ${CLS[1002]},1003 ${CPU[1003]} ${CLS[1003]}" \
	"$(xs stats --json --interval 0 | python3 -c '
import json, sys
print(",".join("%d %d %s" % (int(c["id"]), c["cpu"], c["down"]["classid"])
               for c in json.load(sys.stdin)["customers"]))')"

# ---- traffic: each customer on its CPU, in its class, both directions
# customer_traffic NAME ADDRESS [ping options]: on the CPU and in the class
# that lookup gives for ADDRESS
customer_traffic() {
	local name=$1 addr=$2 cpu cls
	shift 2
	read -r cpu cls <<<"$(where "$addr")"
	if [ -z "$cls" ]; then
		fail "$name: lookup $addr: $(xs lookup "$addr" 2>&1)"
		return
	fi
	local other=$((1 - cpu)) c0 c1 cd0 cu0
	read -ra c0 <<<"$(classified)"
	cd0=$(class_pkts lan "$cls")
	cu0=$(class_pkts wan "$cls")
	if ! ip netns exec "$TB_INET" ping -q -c 20 -i 0.01 -W 2 "$@" "$addr" >/dev/null; then
		fail "$name: ping $addr"
		return
	fi
	read -ra c1 <<<"$(classified)"
	if [ "${#c0[@]}" != 4 ] || [ "${#c1[@]}" != 4 ]; then
		fail "$name: the counters of CPUs 0 and 1 in stats --json"
		return
	fi
	local dd=$((c1[2 * cpu] - c0[2 * cpu])) du=$((c1[2 * cpu + 1] - c0[2 * cpu + 1]))
	local odd=$((c1[2 * other] - c0[2 * other])) odu=$((c1[2 * other + 1] - c0[2 * other + 1]))
	check "$name: download classified on CPU $cpu ($dd packets)" test "$dd" -ge 20
	check "$name: upload classified on CPU $cpu ($du packets)" test "$du" -ge 20
	check "$name: nothing of it classified on CPU $other" test "$((odd + odu))" -eq 0
	local cd=$(($(class_pkts lan "$cls") - cd0)) cu=$(($(class_pkts wan "$cls") - cu0))
	check "$name: lan class $cls counts the download ($cd packets)" test "$cd" -ge 20
	check "$name: wan class $cls counts the upload ($cu packets)" test "$cu" -ge 20
}

customer_traffic 1001 198.19.1.10
customer_traffic "1001 IPv6" 2001:db8:101::10 -6
customer_traffic 1002 198.19.2.20
customer_traffic 1003 198.19.3.10

# TCP through the redirected path (checksums, GRO), into 1001's class
ip netns exec "$TB_CUST" iperf3 -s -1 -B 198.19.1.10 -p 5201 >"$WF_DIR/iperf-s.log" 2>&1 &
XS_PIDS+=($!)
wait_listen "$TB_CUST" tcp 5201
b0=$(class_bytes lan "${CLS[1001]}")
if ip netns exec "$TB_INET" timeout 20 iperf3 -c 198.19.1.10 -p 5201 -t 2 >"$WF_DIR/iperf.log" 2>&1; then
	moved=$(($(class_bytes lan "${CLS[1001]}") - b0))
	check "iperf3 download lands in class ${CLS[1001]} ($moved bytes)" test "$moved" -gt 1000000
else
	fail "iperf3 to 198.19.1.10: $(tail -3 "$WF_DIR/iperf.log" | tr '\n' ' ')"
fi

# an address that is no customer's: a default class
d0=$(default_pkts lan)
ip netns exec "$TB_INET" ping -q -c 10 -i 0.01 -W 2 198.18.1.2 >/dev/null
check "unknown address lands in a default class" test $(($(default_pkts lan) - d0)) -ge 10

# ---- takeover: a second start replaces the programs, keeps the customers
ids_before=$(prog_ids)
lookup_before=$(xs lookup 198.19.1.10)
check "second start takes over" xs start
ids_after=$(prog_ids)
check "programs replaced ($ids_before -> $ids_after)" test "$ids_before" != "$ids_after"
check_eq "customers kept across the takeover" "$lookup_before" "$(xs lookup 198.19.1.10)"

# ---- skb mode: a start in the other mode moves the programs there
sed -i 's/^xdp_mode = native$/xdp_mode = skb/' "$WF_INI"
check "start in skb mode" xs start
check_eq "XDP in skb mode on wan and lan" "wan lan" "$(ours skb)"
customer_traffic "1002 (skb mode)" 198.19.2.20
sed -i 's/^xdp_mode = skb$/xdp_mode = native/' "$WF_INI"
check "start in native mode again" xs start
check_eq "XDP in native mode on wan and lan" "wan lan" "$(ours native)"

# ---- reload: CPU 1 leaves the config, and with it its customer (the
# mover) moves to CPU 0, into another class; one customer of CPU 0 (the
# leaver) leaves the list
mover="" leaver=""
for id in 1001 1002 1003; do
	[ -z "$mover" ] && [ "${CPU[$id]}" = 1 ] && mover=$id
done
for id in 1003 1002; do
	[ -z "$leaver" ] && [ "$id" != "$mover" ] && [ "${CPU[$id]}" = 0 ] && leaver=$id
done
if [ -z "$mover" ] || [ -z "$leaver" ]; then
	fail "no customer to move from CPU 1 or to remove from CPU 0"
	exit 1
fi
grep -v "^$leaver," "$WF_CSV" >"$WF_DIR/next.csv"
mv "$WF_DIR/next.csv" "$WF_CSV"
wf_config 0
out=$(xs reload 2>&1)
echo "$out"
check "reload applies only the difference: $leaver removed, $mover moved" \
	grep -q "^reload: 0 added, 1 removed, 0 changed, 1 moved, 1 unchanged" <<<"$out"
# status reports the reload from the state it recorded
check_eq "status: the last reload's counts" "0 1 0 1 1" \
	"$(status_value '" ".join(str(s["last_reload"][k]) for k in ("added", "removed", "changed", "moved", "unchanged"))')"
check "status: the last reload's time is now" \
	test "$(status_value 'abs(__import__("time").time() - s["last_reload"]["time"]) < 120')" = True
read -r cpu cls <<<"$(where "$(addr_of "$mover")")"
check_eq "lookup: $mover now on CPU 0" 0 "$cpu"
check "lookup: $mover in another class (${CLS[$mover]} -> $cls)" test "$cls" != "${CLS[$mover]}"
check_eq "stats --json: the listed customers, all on CPU 0" "1001 0,$mover 0" \
	"$(xs stats --json --interval 0 | python3 -c '
import json, sys
print(",".join("%d %d" % (int(c["id"]), c["cpu"]) for c in sorted(json.load(sys.stdin)["customers"], key=lambda c: int(c["id"]))))')"
customer_traffic "$mover moved" "$(addr_of "$mover")"
# its class stays as a spare ([shaping] spare_classes) or goes: either way nothing points at it
check_eq "removed customer $leaver: no prefix points at its class ${CLS[$leaver]}" 0 \
	"$(bpftool -j map dump pinned "$WF_BPFFS/xs_prefixes" | python3 -c '
import json, sys
maj, mnr = (int(x, 16) for x in sys.argv[1].split(":"))
print(sum(e["formatted"]["value"]["classid"] == (maj << 16 | mnr) for e in json.load(sys.stdin)))' \
		"${CLS[$leaver]}")"
check_eq "lookup of a removed customer" "$(addr_of "$leaver"): no customer (unknown = shape)" \
	"$(xs lookup "$(addr_of "$leaver")")"
d0=$(default_pkts lan)
ip netns exec "$TB_INET" ping -q -c 10 -i 0.01 -W 2 "$(addr_of "$leaver")" >/dev/null
check "removed customer $leaver lands in a default class" test $(($(default_pkts lan) - d0)) -ge 10

# ---- stop, after the config was edited to name other interfaces: stop
# works on the ones start recorded
sed -i -e 's/^wan = wan$/wan = wan9/' -e 's/^lan = lan$/lan = lan9/' "$WF_INI"
check "stop" xs stop
check_eq "no XDP left on wan and lan" "0" "$(ip -n "$TB_BOX" link show | grep -c 'prog/xdp')"
check_eq "no TC filter left" "" \
	"$(tc -n "$TB_BOX" filter show dev wan egress; tc -n "$TB_BOX" filter show dev lan egress)"
check_eq "no clsact left on lan, where start made it" "0" \
	"$(tc -n "$TB_BOX" qdisc show dev lan | grep -c clsact)"
check_eq "the operator's clsact kept on wan" "1" "$(tc -n "$TB_BOX" qdisc show dev wan | grep -c clsact)"
check_eq "the operator's root qdisc back on wan" pfifo_fast \
	"$(tc -n "$TB_BOX" qdisc show dev wan root | awk '{ print $2 }')"
check_eq "lan root back to noqueue" noqueue "$(tc -n "$TB_BOX" qdisc show dev lan root | awk '{ print $2 }')"
check "pins removed" test ! -e "$WF_BPFFS"
check_eq "XPS restored" "$xps_before" "$(box cat "$xps_path")"
check "stop again is fine" xs stop
wf_config 0-1

# ---- a foreign XDP program is refused, nothing attached
box tc qdisc del dev wan clsact
check "attach a foreign XDP program to lan" nsrun "$TB_BOX" "$TOOL" foreign-xdp lan
xs start >"$WF_DIR/refused.log" 2>&1
check_eq "start refuses (exit 2)" 2 "$?"
check "refusal names the program and says what to do" \
	grep -q "lan: XDP program 'bench_parse' .* not xshaper's; detach it first" "$WF_DIR/refused.log"
check_eq "nothing of xshaper attached after the refusal" "1" \
	"$(ip -n "$TB_BOX" link show | grep -c 'prog/xdp')"
check_eq "no clsact after the refusal" "0" "$(tc -n "$TB_BOX" qdisc show | grep -c clsact)"
check "nothing pinned after the refusal" test ! -e "$WF_BPFFS"
ip -n "$TB_BOX" link set dev lan xdpgeneric off
