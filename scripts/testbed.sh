#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The namespace testbed: the internet, the xshaper box and the customers.
#
#   inet ns                 box ns                          cust ns
#   i0 198.18.0.1/30  ----  wan 198.18.0.2/30
#      2001:db8:ff::1/64        2001:db8:ff::2/64
#                           lan 198.18.1.1/24       ----  c0 198.18.1.2/24
#                               2001:db8:1::1/64             2001:db8:1::2/64
#                                                            + customer addresses
#   inet servers: 198.18.0.1 and 2001:db8:ff::1
#   customer space: 198.19.0.0/16 and 2001:db8:100::/40, routed by box to cust
#
# wan and lan have TB_QUEUES TX/RX queues (default 4). i0 and c0 send into the
# box, where XDP may run natively: their TX checksum offload is off, or
# redirected TCP would arrive with a partial checksum and be dropped.
#
# As a library (tests, demo, bench):
#   source scripts/testbed.sh
#   testbed_up SUFFIX          sets TB_INET, TB_BOX, TB_CUST (namespace names)
#   testbed_add_address ADDR   a customer address (v4 or v6) in cust
#   testbed_down
# As a command:  scripts/testbed.sh up|down SUFFIX

TB_QUEUES=${TB_QUEUES:-4}
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

	tb_ns "$TB_INET" addr add 198.18.0.1/30 dev i0
	tb_ns "$TB_INET" addr add 2001:db8:ff::1/64 dev i0 nodad
	tb_ns "$TB_BOX" addr add 198.18.0.2/30 dev wan
	tb_ns "$TB_BOX" addr add 2001:db8:ff::2/64 dev wan nodad
	tb_ns "$TB_BOX" addr add 198.18.1.1/24 dev lan
	tb_ns "$TB_BOX" addr add 2001:db8:1::1/64 dev lan nodad
	tb_ns "$TB_CUST" addr add 198.18.1.2/24 dev c0
	tb_ns "$TB_CUST" addr add 2001:db8:1::2/64 dev c0 nodad
	for n in "$TB_INET:i0" "$TB_BOX:wan" "$TB_BOX:lan" "$TB_CUST:c0"; do
		tb_ns "${n%%:*}" link set "${n#*:}" up
	done

	tb_ns "$TB_INET" route add default via 198.18.0.2
	tb_ns "$TB_INET" -6 route add default via 2001:db8:ff::2
	tb_ns "$TB_BOX" route add 198.19.0.0/16 via 198.18.1.2
	tb_ns "$TB_BOX" -6 route add 2001:db8:100::/40 via 2001:db8:1::2
	tb_ns "$TB_CUST" route add default via 198.18.1.1
	tb_ns "$TB_CUST" -6 route add default via 2001:db8:1::1

	ip netns exec "$TB_BOX" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
	ip netns exec "$TB_INET" ethtool -K i0 tx off >/dev/null
	ip netns exec "$TB_CUST" ethtool -K c0 tx off >/dev/null
	# Neighbours resolved up front: no ARP or ND in the way of a measurement
	ip netns exec "$TB_INET" ping -c1 -W2 198.18.0.2 >/dev/null
	ip netns exec "$TB_CUST" ping -c1 -W2 198.18.1.1 >/dev/null
	ip netns exec "$TB_INET" ping -6 -c1 -W3 2001:db8:ff::2 >/dev/null
	ip netns exec "$TB_CUST" ping -6 -c1 -W3 2001:db8:1::1 >/dev/null
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
