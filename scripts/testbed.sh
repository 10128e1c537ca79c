#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The namespace testbed: the internet, the xshaper box and the customers.
# TB_MODE chooses how the box forwards: routed (default) or bridge.
#
# TB_MODE=routed: the box is a router between two subnets.
#   inet ns                 box ns                          cust ns
#   i0 198.18.0.1/30  ----  wan 198.18.0.2/30
#      2001:db8:ff::1/64        2001:db8:ff::2/64
#                           lan 198.18.1.1/24       ----  c0 198.18.1.2/24
#                               2001:db8:1::1/64             2001:db8:1::2/64
#                                                            + customer addresses
#   customer space routed by box to cust
#
# TB_MODE=bridge: the box is a transparent bridge. inet (the upstream
# router) and cust (the customer-side router) share one subnet; the box has
# no address on the shaping path and does not route (forwarding off).
#   inet ns                 box ns                          cust ns
#   i0 198.18.0.1/24  ----  wan --+
#      2001:db8:ff::1/64          br0 (STP off, forward delay 0, no address)
#                           lan --+                 ----  c0 198.18.0.2/24
#                                                            2001:db8:ff::2/64
#                                                            + customer addresses
#   customer space routed by inet to cust (198.18.0.2, 2001:db8:ff::2)
# No IPv6 link-local address either (addrgenmode none on br0 and its ports).
# Where the kernel has bridge netfilter, the box's bridge-nf-call-* are set
# to TB_BRIDGE_NF (default 0; 1 sends bridged IP through iptables).
# xshaper is reached in the box with nsenter: no management address needed.
#
# Both: inet servers at 198.18.0.1 and 2001:db8:ff::1; customer space
# 198.19.0.0/16 and 2001:db8:100::/40, its addresses on c0 in cust.
#
# wan and lan have TB_QUEUES TX/RX queues (default 4). i0 and c0 send into the
# box, where XDP may run natively: their TX checksum offload is off, or
# redirected TCP would arrive with a partial checksum and be dropped.
#
# As a library (tests, demo, bench):
#   source scripts/testbed.sh
#   testbed_up SUFFIX          sets TB_INET, TB_BOX, TB_CUST (namespace names)
#   testbed_add_address ADDR   a customer address (v4 or v6) in cust
#   testbed_next_hop_mac       the MAC inet sends customer traffic to
#   testbed_down
# As a command:  [TB_MODE=bridge] scripts/testbed.sh up|down SUFFIX

TB_QUEUES=${TB_QUEUES:-4}
TB_MODE=${TB_MODE:-routed}
TB_INET_V4=198.18.0.1
TB_INET_V6=2001:db8:ff::1

tb_ns() {
	local n=$1
	shift
	ip -n "$n" "$@"
}

testbed_up() {
	local s=$1
	TB_INET=xs-inet-$s TB_BOX=xs-box-$s TB_CUST=xs-cust-$s
	export TB_INET TB_BOX TB_CUST
	local n
	for n in "$TB_INET" "$TB_BOX" "$TB_CUST"; do
		ip netns add "$n" || return 1
		# lib.sh of the tests removes these on any exit
		if declare -p XS_NETNS >/dev/null 2>&1; then
			XS_NETNS+=("$n")
		fi
		tb_ns "$n" link set lo up
		# no duplicate address detection: addresses usable at once
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done

	ip link add "xw$s" numtxqueues "$TB_QUEUES" numrxqueues "$TB_QUEUES" type veth \
		peer name "xi$s" numtxqueues "$TB_QUEUES" numrxqueues "$TB_QUEUES" || return 1
	ip link set "xw$s" netns "$TB_BOX" name wan
	ip link set "xi$s" netns "$TB_INET" name i0
	ip link add "xl$s" numtxqueues "$TB_QUEUES" numrxqueues "$TB_QUEUES" type veth \
		peer name "xc$s" numtxqueues "$TB_QUEUES" numrxqueues "$TB_QUEUES" || return 1
	ip link set "xl$s" netns "$TB_BOX" name lan
	ip link set "xc$s" netns "$TB_CUST" name c0

	case $TB_MODE in
	routed) tb_routed ;;
	bridge) tb_bridged ;;
	*)
		echo "testbed: TB_MODE=$TB_MODE: want routed or bridge" >&2
		return 1
		;;
	esac || return 1
	ip netns exec "$TB_INET" ethtool -K i0 tx off >/dev/null
	ip netns exec "$TB_CUST" ethtool -K c0 tx off >/dev/null
	# Neighbours resolved up front: no ARP or ND in the way of a measurement
	local peer4=198.18.1.1 peer6=2001:db8:1::1
	if [ "$TB_MODE" = bridge ]; then
		peer4=198.18.0.1 peer6=2001:db8:ff::1
	fi
	ip netns exec "$TB_INET" ping -c1 -W2 "$TB_INET_NEXT_HOP_V4" >/dev/null
	ip netns exec "$TB_CUST" ping -c1 -W2 "$peer4" >/dev/null
	ip netns exec "$TB_INET" ping -6 -c1 -W3 "$TB_INET_NEXT_HOP_V6" >/dev/null
	ip netns exec "$TB_CUST" ping -6 -c1 -W3 "$peer6" >/dev/null
}

tb_up_all() {
	local n
	for n in "$@"; do
		tb_ns "${n%%:*}" link set "${n#*:}" up || return 1
	done
}

# The box routes between wan's subnet and lan's.
tb_routed() {
	TB_INET_NEXT_HOP_V4=198.18.0.2 TB_INET_NEXT_HOP_V6=2001:db8:ff::2
	tb_ns "$TB_INET" addr add 198.18.0.1/30 dev i0
	tb_ns "$TB_INET" addr add 2001:db8:ff::1/64 dev i0 nodad
	tb_ns "$TB_BOX" addr add 198.18.0.2/30 dev wan
	tb_ns "$TB_BOX" addr add 2001:db8:ff::2/64 dev wan nodad
	tb_ns "$TB_BOX" addr add 198.18.1.1/24 dev lan
	tb_ns "$TB_BOX" addr add 2001:db8:1::1/64 dev lan nodad
	tb_ns "$TB_CUST" addr add 198.18.1.2/24 dev c0
	tb_ns "$TB_CUST" addr add 2001:db8:1::2/64 dev c0 nodad
	tb_up_all "$TB_INET:i0" "$TB_BOX:wan" "$TB_BOX:lan" "$TB_CUST:c0" || return 1

	tb_ns "$TB_INET" route add default via 198.18.0.2
	tb_ns "$TB_INET" -6 route add default via 2001:db8:ff::2
	tb_ns "$TB_BOX" route add 198.19.0.0/16 via 198.18.1.2
	tb_ns "$TB_BOX" -6 route add 2001:db8:100::/40 via 2001:db8:1::2
	tb_ns "$TB_CUST" route add default via 198.18.1.1
	tb_ns "$TB_CUST" -6 route add default via 2001:db8:1::1

	ip netns exec "$TB_BOX" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
}

# The box bridges wan and lan: br0 with STP off (a shaper is no place for a
# 30 s listening state after every link flap) and forward delay 0, so that
# a port forwards as soon as it is up. No address on br0 or its ports, not
# even IPv6 link-local ones (addrgenmode none before they come up), and no
# routing: the box forwards only by bridging. inet and cust are two
# routers on one subnet; inet routes the customer space to cust.
tb_bridged() {
	TB_INET_NEXT_HOP_V4=198.18.0.2 TB_INET_NEXT_HOP_V6=2001:db8:ff::2
	tb_ns "$TB_BOX" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	local dev
	for dev in br0 wan lan; do
		tb_ns "$TB_BOX" link set "$dev" addrgenmode none || return 1
	done
	tb_ns "$TB_BOX" link set wan master br0 || return 1
	tb_ns "$TB_BOX" link set lan master br0 || return 1
	ip netns exec "$TB_BOX" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
	testbed_bridge_nf "${TB_BRIDGE_NF:-0}" || return 1

	tb_ns "$TB_INET" addr add 198.18.0.1/24 dev i0
	tb_ns "$TB_INET" addr add 2001:db8:ff::1/64 dev i0 nodad
	tb_ns "$TB_CUST" addr add 198.18.0.2/24 dev c0
	tb_ns "$TB_CUST" addr add 2001:db8:ff::2/64 dev c0 nodad
	tb_up_all "$TB_INET:i0" "$TB_BOX:wan" "$TB_BOX:lan" "$TB_BOX:br0" "$TB_CUST:c0" ||
		return 1

	tb_ns "$TB_INET" route add 198.19.0.0/16 via 198.18.0.2
	tb_ns "$TB_INET" -6 route add 2001:db8:100::/40 via 2001:db8:ff::2
	tb_ns "$TB_CUST" route add default via 198.18.0.1
	tb_ns "$TB_CUST" -6 route add default via 2001:db8:ff::1
}

# testbed_bridge_nf 0|1: whether the box's bridge hands bridged IPv4, IPv6
# and ARP to iptables, ip6tables and arptables (bridge netfilter); nothing
# to do on a kernel without it. The sysctls are per namespace.
testbed_bridge_nf() {
	local v=$1 k
	[ -d "/proc/sys/net/bridge" ] || return 0
	for k in iptables ip6tables arptables; do
		ip netns exec "$TB_BOX" sysctl -qw "net.bridge.bridge-nf-call-$k=$v" || return 1
	done
}

# The MAC address inet puts on frames to the customer space: box wan's
# when the box routes, cust c0's when it bridges.
testbed_next_hop_mac() {
	if [ -n "$(ip -n "$TB_BOX" link show type bridge 2>/dev/null)" ]; then
		ip netns exec "$TB_CUST" cat /sys/class/net/c0/address
	else
		ip netns exec "$TB_BOX" cat /sys/class/net/wan/address
	fi
}

testbed_add_address() {
	local a=$1
	case $a in
	*:*) tb_ns "$TB_CUST" addr add "$a/128" dev c0 nodad ;;
	*) tb_ns "$TB_CUST" addr add "$a/32" dev c0 ;;
	esac
}

testbed_down() {
	local n
	for n in "${TB_INET:-}" "${TB_BOX:-}" "${TB_CUST:-}"; do
		[ -n "$n" ] || continue
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	case "${1:-}" in
	up)
		testbed_up "${2:?suffix}"
		echo "TB_INET=$TB_INET TB_BOX=$TB_BOX TB_CUST=$TB_CUST"
		;;
	down)
		TB_INET=xs-inet-${2:?suffix} TB_BOX=xs-box-$2 TB_CUST=xs-cust-$2
		testbed_down
		;;
	*)
		echo "usage: $0 up|down SUFFIX" >&2
		exit 1
		;;
	esac
fi
