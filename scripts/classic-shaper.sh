#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The classic Linux ISP shaper, for comparison with xshaper and to validate
# the measurement tools while xshaper cannot run yet: one HTB root per
# interface (download on lan, upload on wan), one class per customer, u32
# hash filters. Every packet of every customer takes the one qdisc lock of
# that root: this is the design xshaper replaces.
#
#   htb 1: default 2
#     class 1:1              rate = ceil = capacity
#       class 1:2            unknown addresses (1mbit, ceil capacity)
#       class 1:(3 + i)      customer i of the list: down or up rate/ceil,
#                            leaf pfifo
#
# Filters, one u32 instance per family (prio 10 ip, prio 20 ipv6), each a
# 256-bucket hash table reached from one link rule in the root table:
#   IPv4: hash on the last octet of the customer address (dst on lan, src
#         on wan); a /24../32 prefix sits in every bucket it spans.
#   IPv6: hash on the byte of the customer prefix that differs most between
#         customers (scripts/customers.py u32 picks it).
#   Prefixes too short for their bucket (IPv4 shorter than /24) follow the
#   link rule in the root table; u32 tries them when the bucket misses.
# Within a bucket the most specific prefix comes first, as in an LPM table.
#
# As a library:
#   source scripts/classic-shaper.sh
#   classic_start NETNS CUSTOMERS.csv [LAN WAN CAPACITY]
#   classic_stop NETNS [LAN WAN]
# As a command:
#   scripts/classic-shaper.sh start|stop NETNS [CUSTOMERS.csv]

CLASSIC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Token buckets hold this many ms at the class rate (plus one frame). tc's
# default is a single frame on a high-resolution-timer kernel: any wake-up
# later than one frame time (60 us at 200 Mbit/s) is then rate lost for good.
CLASSIC_BURST_MS=${CLASSIC_BURST_MS:-4}
# Debian's python3 when there is one: a pyenv shim costs most of a second
CLASSIC_PYTHON=${XS_PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}

# classic_tree_batch DEV DIR CAPACITY CUSTOMERS.csv: the tc -batch text.
# DIR is down (classify by destination) or up (by source).
classic_tree_batch() {
	local dev=$1 dir=$2 capacity=$3 csv=$4
	local table plan rate_col ceil_col v4_at v6_base match
	table=$("$CLASSIC_PYTHON" "$CLASSIC_DIR/customers.py" table "$csv") || return 1
	plan=$("$CLASSIC_PYTHON" "$CLASSIC_DIR/customers.py" u32 "$csv") || return 1
	if [ "$dir" = down ]; then
		rate_col=5 ceil_col=6 v4_at=16 v6_base=24 match=dst
	else
		rate_col=7 ceil_col=8 v4_at=12 v6_base=8 match=src
	fi

	cat <<-EOF
		qdisc replace dev $dev root handle 1: htb default 2
		class add dev $dev parent 1: classid 1:1 htb rate $capacity ceil $capacity quantum 60000
		class add dev $dev parent 1:1 classid 1:2 htb rate 1mbit ceil $capacity quantum 60000
		qdisc add dev $dev parent 1:2 handle 2: pfifo
	EOF
	# One class and leaf per customer; the leaf's major is the class minor.
	awk -F'\t' -v dev="$dev" -v r="$rate_col" -v c="$ceil_col" -v ms="$CLASSIC_BURST_MS" '
	function burst(bps) { return int(bps / 8 * ms / 1000) + 1600 }
	{
		m = sprintf("%x", NR + 2)
		printf "class add dev %s parent 1:1 classid 1:%s htb rate %sbit ceil %sbit burst %d cburst %d quantum 60000\n",
			dev, m, $r, $c, burst($r), burst($c)
		printf "qdisc add dev %s parent 1:%s handle %s: pfifo\n", dev, m, m
	}' <<<"$table"

	# The v6 hash key: byte k of the address, inside a 32-bit word at
	# v6_base + (k & ~3); u32 shifts the masked word down by itself.
	local k mask6 at6
	k=$(sed -n 's/^v6byte //p' <<<"$plan")
	if [ "$k" -ge 0 ]; then
		mask6=$(printf '0x%08x' $((0xff << (8 * (3 - k % 4)))))
		at6=$((v6_base + (k & ~3)))
	fi
	cat <<-EOF
		filter add dev $dev parent 1: prio 10 handle 10: protocol ip u32 divisor 256
		filter add dev $dev parent 1: prio 10 protocol ip u32 match ip $match 0.0.0.0/0 hashkey mask 0x000000ff at $v4_at link 10:
	EOF
	if [ "$k" -ge 0 ]; then
		cat <<-EOF
			filter add dev $dev parent 1: prio 20 handle 20: protocol ipv6 u32 divisor 256
			filter add dev $dev parent 1: prio 20 protocol ipv6 u32 match ip6 $match ::/0 hashkey mask $mask6 at $at6 link 20:
		EOF
	fi
	awk -F'\t' -v dev="$dev" -v match_="$match" '
		/^v6byte/ { next }
		{
			m = sprintf("%x", $1 + 3)
			if ($2 == 4) { proto = "ip"; prio = 10; sel = "ip" }
			else { proto = "ipv6"; prio = 20; sel = "ip6" }
			# no ht: the root table of this family (ht 800: would be
			# the first u32 instance, the ip one: they share handles)
			ht = ($4 == "-") ? "" : sprintf("ht %d:%s: ", prio, $4)
			printf "filter add dev %s parent 1: prio %d protocol %s u32 %smatch %s %s %s flowid 1:%s\n",
				dev, prio, proto, ht, sel, match_, $3, m
		}' <<<"$plan"
}

classic_start() {
	local ns=$1 csv=$2 lan=${3:-lan} wan=${4:-wan} capacity=${5:-10gbit}
	local batch rc=0
	batch=$(mktemp) || return 1
	{
		classic_tree_batch "$lan" down "$capacity" "$csv" &&
			classic_tree_batch "$wan" up "$capacity" "$csv"
	} >"$batch" || rc=1
	if [ "$rc" -eq 0 ] && ! tc -n "$ns" -batch "$batch"; then
		echo "classic-shaper: tc -batch failed in $ns; batch kept in $batch" >&2
		return 1
	fi
	rm -f "$batch"
	return "$rc"
}

classic_stop() {
	local ns=$1 lan=${2:-lan} wan=${3:-wan}
	tc -n "$ns" qdisc del dev "$lan" root 2>/dev/null
	tc -n "$ns" qdisc del dev "$wan" root 2>/dev/null
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	case "${1:-}" in
	start) classic_start "${2:?netns}" "${3:?customers.csv}" ;;
	stop) classic_stop "${2:?netns}" ;;
	*)
		echo "usage: $0 start NETNS CUSTOMERS.csv | stop NETNS" >&2
		exit 1
		;;
	esac
fi
