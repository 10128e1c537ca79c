#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# An upgrade from xshaper 0.1.0, whose HTB of TX queue txq had major
# txq + 1 and whose programs read classids from the lookup table: status
# names both, exits 2, and the next reload (a cron job, before anyone runs
# start) replaces the programs and builds the old trees anew, after which
# every customer's packets land in its own class. The 0.1.0 state is made
# by hand: its state record says version 1, and tree 0 of each interface
# is rebuilt with 0.1.0's handles.
source "$(dirname "$0")/workflow.sh"
wf_up
WF_SPARES=2
sed -i 's/^spare_classes = .*/spare_classes = 2/' "$WF_INI"

echo "id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil" >"$WF_CSV"
for i in 1 2 3 4 5 6; do
	echo "$i,c$i,198.19.1.$i 2001:db8:100::$i,${i}mbit,$((2 * i))mbit,${i}mbit,$((2 * i))mbit"
done >>"$WF_CSV"
check "start" xs -q start
wf_settled "after start"

# old_tree DEV: tree 0 as 0.1.0 built it: htb 1: on mq class 7fff:1, its
# root and default class, and the customers of tree 0 at 1:minor
old_tree() {
	local dev=$1 c m
	box tc qdisc replace dev "$dev" parent 7fff:1 handle 1: htb default 2
	box tc class add dev "$dev" parent 1: classid 1:1 htb rate 1gbit ceil 1gbit
	box tc class add dev "$dev" parent 1:1 classid 1:2 htb rate 1mbit ceil 1gbit
	for i in 1 2 3 4 5 6; do
		c=$(wf_classid 198.19.1.$i)
		[ "${c%%:*}" = "$H0" ] || continue
		m=${c#*:}
		box tc class add dev "$dev" parent 1:1 classid "1:$m" htb rate 1mbit ceil 2mbit
	done
}

# state_version [N]: the version in the pinned state record (first 4
# bytes, little-endian here), or set it to N
state_version() {
	local v
	v=$(bpftool -j map lookup pinned "$WF_BPFFS/xs_state" key 0 0 0 0 |
		python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)["value"]))')
	if [ $# -eq 0 ]; then
		set -- $v
		echo $(($1))
		return
	fi
	local n=$1
	set -- $v
	shift 4
	bpftool map update pinned "$WF_BPFFS/xs_state" key 0 0 0 0 \
		value "$(printf '0x%02x' "$n")" 0 0 0 "$@"
}

tc_prog() {
	box tc filter show dev lan egress | sed -n 's/.* id \([0-9]*\) .*/\1/p' | head -1
}

check_eq "start wrote state version 2" 2 "$(state_version)"
state_version 1
check_eq "the record now says 0.1.0's programs" 1 "$(state_version)"
old_tree lan
old_tree wan
prog0=$(tc_prog)
check "the TC program has an id ($prog0)" [ -n "$prog0" ]
check "there is a tree 1 ($H1:) to stay as it is" grep -q "^$H1:" <<<"$(wf_classes lan)"

out=$(xs status 2>&1)
rc=$?
check_eq "status exits 2 on 0.1.0's data path" 2 "$rc"
case $out in
*"the programs attached are xshaper 0.1.0's"*) pass "status names 0.1.0's programs" ;;
*) fail "status: $out" ;;
esac
for dev in lan wan; do
	case $out in
	*"$dev: the HTB tree of TX queue 0 has xshaper 0.1.0's classids (htb 1:, now $H0:)"*)
		pass "status names $dev's 0.1.0 tree" ;;
	*) fail "status on $dev: $out" ;;
	esac
done
check_eq "status finds only tree 0 old" 0 "$(grep -c "TX queue 1 has" <<<"$out")"

out=$(xs reload 2>&1)
rc=$?
check_eq "the next reload exits 0" 0 "$rc"
case $out in
*"reload: 0 added, 0 removed,"*", "[1-9]*" repaired"*) pass "reload repaired" ;;
*) fail "reload: $out" ;;
esac
check "the programs were replaced" [ "$(tc_prog)" != "$prog0" ]
check_eq "the record says this version's programs" 2 "$(state_version)"
check "status is clean" xs -q status
for dev in lan wan; do
	check_eq "$dev: no HTB of 0.1.0's majors left" "" \
		"$(box tc qdisc show dev "$dev" | awk '$2 == "htb" && $3 == "1:"')"
	check_eq "$dev: tree 0 is htb $H0: again" "htb $H0: 7fff:1" \
		"$(box tc qdisc show dev "$dev" | awk '$2 == "htb" && $5 == "7fff:1" { print $2, $3, $5 }')"
done
wf_settled "after the upgrade"
check_eq "no prefix points at a missing class" 0 "$(wf_dangling)"

# every customer's packets land in its own class (tree 0's and tree 1's)
for i in 1 2 3 4 5 6; do
	c=$(wf_classid 198.19.1.$i)
	before=$(box tc -s class show dev lan classid "$c" | awk '$1 == "Sent" { print $2 }')
	# up to three rounds: a first packet may wait for the neighbour's address
	for k in 1 2 3; do
		ip netns exec "$TB_INET" ping -q -c 5 -i 0.01 -s 1000 -W 2 198.19.1.$i >/dev/null 2>&1
		after=$(box tc -s class show dev lan classid "$c" | awk '$1 == "Sent" { print $2 }')
		[ "$((after - before))" -lt 5000 ] || break
	done
	check "customer $i's pings counted in its class $c ($before -> $after bytes)" \
		[ "$((after - before))" -ge 5000 ]
done
out=$(xs reload 2>&1 | tail -1)
case $out in
*": 0 added, 0 removed, 0 changed, 0 moved, 6 unchanged, 0 repaired"*)
	pass "a reload after it has nothing to do" ;;
*) fail "reload after the upgrade: $out" ;;
esac
check "stop" xs -q stop
