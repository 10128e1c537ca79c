#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Steering on the namespace testbed: XDP on the box's wan and lan sends each
# customer's packets to the CPU that owns it, and TC egress puts them into
# the customer's HTB class in that CPU's tree (lan for download, wan for
# upload). Three customers on two CPUs, two TX queues per CPU:
#
#   1001  198.19.1.10/32 2001:db8:101::/56   CPU 0  txq 0  class 1:3
#   1002  198.19.2.0/24                      CPU 1  txq 2  class 3:3
#   1003  198.19.3.10/32                     CPU 0  txq 1  class 2:3
#
# The trees are built here with tc (mq, one htb per TX queue); steering is
# driven by build/bench/steer_tool until the xshaper commands use the API.
# Also: takeover by a second start, a switch to skb mode, a reload that
# moves and removes customers, refusal of a foreign XDP program, XPS off
# while running and restored by stop, and stop leaving nothing behind.
source "$(dirname "$0")/lib.sh"
source "$XS_TOP/scripts/testbed.sh"

require_root
TOOL=$XS_TOP/build/bench/steer_tool
[ -x "$TOOL" ] || skip_all "build/bench/steer_tool missing; run make test"
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
command -v iperf3 >/dev/null || skip_all "iperf3 missing"

BPFFS=/sys/fs/bpf/xs-test-$XS_SUFFIX
WORK=$(mktemp -d)
on_exit "rm -rf '$WORK'"
# a safety net: whatever stop did not remove
on_exit "rm -rf '$BPFFS'"

testbed_up "$XS_SUFFIX" || {
	fail "testbed up"
	exit 1
}

box() { ip netns exec "$TB_BOX" "$@"; }
steer() { nsrun "$TB_BOX" "$TOOL" --bpffs "$BPFFS" --cpus 0,1 --qpc 2 --queue-size 1024 "$@"; }
on_exit "nsrun '$TB_BOX' '$TOOL' --bpffs '$BPFFS' stop"

# ---- trees: mq, an htb per TX queue, default class :2, customer classes
tree() {
	local dev=$1 t h
	box tc qdisc replace dev "$dev" root handle 7fff: mq
	for t in 0 1 2 3; do
		h=$(printf '%x' $((t + 1)))
		box tc qdisc add dev "$dev" parent "7fff:$h" handle "$h:" htb default 2
		box tc class add dev "$dev" parent "$h:" classid "$h:1" htb rate 1gbit quantum 1514
		box tc class add dev "$dev" parent "$h:1" classid "$h:2" htb rate 100mbit ceil 1gbit quantum 1514
		box tc qdisc add dev "$dev" parent "$h:2" pfifo limit 1000
	done
}
add_class() { # dev classid
	box tc class add dev "$1" parent "${2%%:*}:1" classid "$2" htb rate 200mbit ceil 1gbit quantum 1514
	box tc qdisc add dev "$1" parent "$2" pfifo limit 1000
}
class_pkts() { # dev classid
	box tc -s class show dev "$1" classid "$2" |
		sed -n 's/^ *Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' | head -1
}
class_bytes() {
	box tc -s class show dev "$1" classid "$2" |
		sed -n 's/^ *Sent \([0-9]*\) bytes.*/\1/p' | head -1
}
default_pkts() { # dev: all default classes together
	local sum=0 h n
	for h in 1 2 3 4; do
		n=$(class_pkts "$1" "$h:2")
		sum=$((sum + ${n:-0}))
	done
	echo "$sum"
}
# counter CPU ROLE KIND NAME: a per-CPU counter of the steering programs
counter() {
	steer stats | awk -v c="$1" -v r="$2" -v k="$3" -v n="$4" \
		'$1 == c && $2 == r && $3 == k && $4 == n { v = $5 } END { print v + 0 }'
}

for dev in wan lan; do
	tree "$dev"
	add_class "$dev" 1:3
	add_class "$dev" 3:3
	add_class "$dev" 2:3
	add_class "$dev" 2:4 # where 1002 moves in the reload below
done
for a in 198.19.1.10 2001:db8:101::10 198.19.2.20 198.19.3.10; do
	testbed_add_address "$a"
done

cat >"$WORK/customers" <<'EOF'
# id cpu txq minor prefixes
1001 0 0 3 198.19.1.10/32 2001:db8:101::/56
1002 1 2 3 198.19.2.0/24
1003 0 1 3 198.19.3.10/32
EOF

# XPS on, as a NIC driver would set it: start turns it off, stop restores it
xps_path=/sys/class/net/wan/queues/tx-1/xps_cpus
box sh -c "echo 2 > $xps_path"
xps_before=$(box cat "$xps_path")

# ---- start
check "start attaches (native XDP)" steer --mode native start
q=$(steer query)
check "XDP and TC are xshaper's on wan and lan" \
	test "$(echo "$q" | grep -c 'xdp [1-9][0-9]* native ours tc [1-9][0-9]* ours')" = 2
check_eq "maps pinned 0600" "-rw-------" "$(stat -c %A "$BPFFS/xs_prefixes")"
check_eq "XPS off while steering" "" "$(box cat "$xps_path" | tr -d '0,\n')"
check_eq "sync adds every prefix" "added 4 updated 0 deleted 0 unchanged 0" \
	"$(steer sync "$WORK/customers")"
check_eq "lookup" "198.19.2.20 customer 1002 cpu 1 txq 2 classid 3:3 prefix 198.19.2.0/24" \
	"$(steer lookup 198.19.2.20)"

# ---- traffic: each customer on its CPU, in its class, both directions
# customer_traffic NAME ADDRESS CPU CLASSID [ping options]
customer_traffic() {
	local name=$1 addr=$2 cpu=$3 cls=$4 other=$((1 - $3))
	shift 4
	local d0 u0 od0 ou0 cd0 cu0
	d0=$(counter "$cpu" lan tc customer)
	u0=$(counter "$cpu" wan tc customer)
	od0=$(counter "$other" lan tc customer)
	ou0=$(counter "$other" wan tc customer)
	cd0=$(class_pkts lan "$cls")
	cu0=$(class_pkts wan "$cls")
	if ! ip netns exec "$TB_INET" ping -q -c 20 -i 0.01 -W 2 "$@" "$addr" >/dev/null; then
		fail "$name: ping $addr"
		return
	fi
	local dd=$(($(counter "$cpu" lan tc customer) - d0))
	local du=$(($(counter "$cpu" wan tc customer) - u0))
	local odd=$(($(counter "$other" lan tc customer) - od0))
	local odu=$(($(counter "$other" wan tc customer) - ou0))
	check "$name: download classified on CPU $cpu ($dd packets)" test "$dd" -ge 20
	check "$name: upload classified on CPU $cpu ($du packets)" test "$du" -ge 20
	check "$name: nothing of it classified on CPU $other" test "$((odd + odu))" -eq 0
	local cd=$(($(class_pkts lan "$cls") - cd0)) cu=$(($(class_pkts wan "$cls") - cu0))
	check "$name: lan class $cls counts the download ($cd packets)" test "$cd" -ge 20
	check "$name: wan class $cls counts the upload ($cu packets)" test "$cu" -ge 20
}

customer_traffic 1001 198.19.1.10 0 1:3
customer_traffic "1001 IPv6" 2001:db8:101::10 0 1:3 -6
customer_traffic 1002 198.19.2.20 1 3:3
customer_traffic 1003 198.19.3.10 0 2:3

# TCP through the redirected path (checksums, GRO), into 1001's class
ip netns exec "$TB_CUST" iperf3 -s -1 -B 198.19.1.10 -p 5201 >"$WORK/iperf-s.log" 2>&1 &
XS_PIDS+=($!)
sleep 0.5
b0=$(class_bytes lan 1:3)
if ip netns exec "$TB_INET" timeout 20 iperf3 -c 198.19.1.10 -p 5201 -t 2 >"$WORK/iperf.log" 2>&1; then
	moved=$(($(class_bytes lan 1:3) - b0))
	check "iperf3 download lands in class 1:3 ($moved bytes)" test "$moved" -gt 1000000
else
	fail "iperf3 to 198.19.1.10: $(tail -3 "$WORK/iperf.log" | tr '\n' ' ')"
fi

# an address that is no customer's: a default class
d0=$(default_pkts lan)
ip netns exec "$TB_INET" ping -q -c 10 -i 0.01 -W 2 198.18.1.2 >/dev/null
check "unknown address lands in a default class" test $(($(default_pkts lan) - d0)) -ge 10

# ---- takeover: a second start replaces the programs, keeps the customers
ids_before=$(steer query | awk '{ print $4 }' | tr '\n' ' ')
check "second start takes over" steer --mode native start
ids_after=$(steer query | awk '{ print $4 }' | tr '\n' ' ')
check "programs replaced ($ids_before -> $ids_after)" test "$ids_before" != "$ids_after"
check_eq "customers kept across the takeover" \
	"198.19.1.10 customer 1001 cpu 0 txq 0 classid 1:3 prefix 198.19.1.10/32" \
	"$(steer lookup 198.19.1.10)"

# ---- skb mode: a start in the other mode moves the programs there
check "start in skb mode" steer --mode skb start
check "XDP in skb mode on wan and lan" \
	test "$(steer query | grep -c 'xdp [1-9][0-9]* skb ours')" = 2
customer_traffic "1002 (skb mode)" 198.19.2.20 1 3:3

# ---- reload: 1002 moves to CPU 0 (txq 1, class 2:4), 1003 leaves
cat >"$WORK/customers2" <<'EOF'
1001 0 0 3 198.19.1.10/32 2001:db8:101::/56
1002 0 1 4 198.19.2.0/24
EOF
check_eq "sync applies only the difference" "added 0 updated 1 deleted 1 unchanged 2" \
	"$(steer sync "$WORK/customers2")"
check_eq "assignments read back" "1001 0 0 3,1002 0 1 4" \
	"$(steer assignments | paste -sd, -)"
customer_traffic "1002 moved" 198.19.2.20 0 2:4
c0=$(class_pkts lan 2:3)
ip netns exec "$TB_INET" ping -q -c 10 -i 0.01 -W 2 198.19.3.10 >/dev/null
check_eq "removed customer 1003 no longer reaches its class" "$c0" "$(class_pkts lan 2:3)"
check_eq "lookup of a removed customer" "198.19.3.10 unknown shape" "$(steer lookup 198.19.3.10)"

# ---- stop
check "stop" steer stop
check_eq "no XDP left on wan and lan" "0" \
	"$(ip -n "$TB_BOX" link show | grep -c 'prog/xdp')"
check_eq "no TC filter left" "" \
	"$(tc -n "$TB_BOX" filter show dev wan egress; tc -n "$TB_BOX" filter show dev lan egress)"
check_eq "no clsact left" "0" "$(tc -n "$TB_BOX" qdisc show | grep -c clsact)"
check "pins removed" test ! -e "$BPFFS"
check_eq "XPS restored" "$xps_before" "$(box cat "$xps_path")"
check "stop again is fine" steer stop

# ---- a foreign XDP program is refused, nothing attached
check "attach a foreign XDP program to lan" steer foreign-xdp lan
steer --mode native start >"$WORK/refused.log" 2>&1
check_eq "start refuses (exit 2)" 2 "$?"
check "refusal names the program and says what to do" \
	grep -q "lan: XDP program 'bench_parse' .* not xshaper's; detach it first" "$WORK/refused.log"
check_eq "nothing of xshaper attached after the refusal" "1" \
	"$(ip -n "$TB_BOX" link show | grep -c 'prog/xdp')"
check "nothing pinned after the refusal" test ! -e "$BPFFS"
ip -n "$TB_BOX" link set dev lan xdpgeneric off
