#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The spare classes ([shaping] spare_classes): a cron reload with churn
# gives the classes customers left to new ones with an in-place change,
# makes and deletes nothing, loses no packet of a customer it does not
# touch, shows a reused class's new customer counters from zero in all
# three formats, is repaired after a kill mid-way without a prefix ever
# pointing at a class with another customer's rates, and refills the pool.
source "$(dirname "$0")/workflow.sh"
wf_up
# one CPU, one tree, two spares: every choice below is the lowest minor
wf_config 0
sed -i 's/^queues_per_cpu = 2/queues_per_cpu = 1/; s/^spare_classes = .*/spare_classes = 2/' \
	"$WF_INI"
WF_SPARES=2

# list IDS...: customer i has 198.19.1.i and 2001:db8:100::i, i Mbit/s
# down (ceil 2i), i/2 up: rates unique to each customer
list() {
	local i
	echo "id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil" >"$WF_CSV"
	for i in "$@"; do
		echo "$i,c$i,198.19.1.$i 2001:db8:100::$i,${i}mbit,$((2 * i))mbit,$((i * 500))kbit,${i}mbit"
	done >>"$WF_CSV"
}

# rates_of CLASSID DEV: "rate ceil" of the class, as tc prints them
rates_of() {
	wf_classes "$2" | awk -v c="$1" '$1 == c { print $2, $3 }'
}

# mismatched: addresses whose class has rates that are not their
# customer's (198.19.1.i is customer i's in every list here)
mismatched() {
	local i c n=0
	for i in $(seq 1 30); do
		c=$(wf_classid 198.19.1.$i)
		[ -n "$c" ] || continue
		[ "$(rates_of "$c" lan)" = "${i}Mbit $((2 * i))Mbit" ] || n=$((n + 1))
	done
	echo "$n"
}

# class_bytes CLASSID DEV: what the kernel counted for the class
class_bytes() {
	box tc -s class show dev "$2" classid "$1" | awk '$1 == "Sent" { print $2 }'
}

# json_bytes ID: the customer's down bytes and packets in stats --json
json_bytes() {
	xs stats --json --interval 0 | python3 -c '
import json, sys
for c in json.load(sys.stdin)["customers"]:
    if c["id"] == sys.argv[1]:
        print(c["down"]["bytes"], c["down"]["packets"])' "$1"
}

quiet() {
	"$@" >/dev/null 2>&1
}

list 1 2 3 4
check "start with four customers and two spares" xs -q start
wf_settled "after start"
check_eq "the spares are ${H0}:7 and ${H0}:8, no prefix on them" "${H0}:7 ${H0}:8" \
	"$(wf_classes lan | awk '{ print $1 }' | grep -vxE "${H0}:[3-6]" | tr '\n' ' ' | sed 's/ $//')"

# ---- the counters of a reused class: customer 4 sends, leaves; 9 comes and gets its class
c4=$(wf_classid 198.19.1.4)
check_eq "customer 4 is in ${H0}:6" ${H0}:6 "$c4"
check "traffic to customer 4" quiet ip netns exec "$TB_INET" ping -q -c 20 -i 0.01 -s 1000 -W 2 198.19.1.4
b4=$(class_bytes "$c4" lan)
check "customer 4's class counted its traffic ($b4 bytes)" [ "$b4" -gt 20000 ]
list 1 2 3
out=$(xs reload 2>&1)
check_eq "4 leaves: its class stays as a spare" "$b4" "$(class_bytes "$c4" lan)"
check_eq "4 leaves: nothing points at its class" none "$(wf_lookup 198.19.1.4)"
check_eq "4 leaves: nothing made or deleted, three spares now (up to twice the pool)" \
	"${H0}:6 ${H0}:7 ${H0}:8" \
	"$(wf_classes lan | awk '{ print $1 }' | grep -vxE "${H0}:[3-5]" | tr '\n' ' ' | sed 's/ $//')"
wf_settled "after 4 left"
list 1 2 3 9
out=$(xs reload 2>&1)
case $out in
*"1 added, 0 removed"*) pass "9 comes: one added" ;;
*) fail "9 comes: $out" ;;
esac
case $out in
*"spare classes: 1 given to customers, 0 made; 2 spare now"*)
	pass "9 comes: into a spare class, none made (the pool is above half)" ;;
*) fail "9 comes: spares: $(tr '\n' ' ' <<<"$out")" ;;
esac
check_eq "9 has the class 4 had" "$c4" "$(wf_classid 198.19.1.9)"
check_eq "the class has 9's rates" "9Mbit 18Mbit" "$(rates_of "$c4" lan)"
check "the class still counts 4's bytes in the kernel" [ "$(class_bytes "$c4" lan)" -ge "$b4" ]
check_eq "stats --json: 9 starts from zero" "0 0" "$(json_bytes 9)"
text=$(xs stats --interval 0 | awk '$1 == "9" && $3 == "down"')
check_eq "stats: 9 starts from zero (bytes, packets)" "0 0" \
	"$(awk '{ print $6, $7 }' <<<"$text" | sed 's/^0B /0 /; s/^0 B /0 /')"
prom=$(xs stats --prometheus | grep -E '^xshaper_customer_(bytes|packets)_total\{' |
	grep 'id="9"' | grep 'direction="down"' | awk '{ print $2 }' | tr '\n' ' ')
check_eq "stats --prometheus: 9's bytes and packets start from zero" "0 0 " "$prom"
check "traffic to customer 9" quiet ip netns exec "$TB_INET" ping -q -c 10 -i 0.01 -s 1000 198.19.1.9
read -r jb jp <<<"$(json_bytes 9)"
check "stats --json: 9 counts its own traffic only ($jb bytes, $jp packets, 4 had $b4 bytes)" \
	[ "$jp" -ge 10 ] && [ "$jp" -lt 20 ] && [ "$jb" -lt "$b4" ]

# ---- a churn reload is hitless: a steady flow to customer 1 loses nothing
wf_flow_start 198.19.1.1 5201 400k 6 "$WF_DIR/flow.json" || fail "flow to customer 1"
for ids in "1 2 3 9 10" "1 2 3 10 11" "1 2 11 12" "1 2 3 9 12"; do
	sleep 0.8
	list $ids
	xs -q reload || fail "churn reload to: $ids"
done
wait "$WF_FLOW"
lost=$(wf_flow_lost "$WF_DIR/flow.json")
check_eq "four churn reloads: customer 1's flow lost no packet ($lost)" 0 "${lost%% *}"
check "and it carried traffic" [ "${lost##* }" -gt 200 ]
wf_settled "after the churn"
check_eq "after the churn: no prefix points at another customer's rates" 0 "$(mismatched)"

# ---- a reload killed while it reuses classes: repaired by the next one
killed=0
for n in 1 2 3 4 5 6 7 8; do
	list 1 2 3 9 12
	xs -q reload >/dev/null 2>&1 || fail "back to the list before the kill after $n"
	list 1 2 3 13 14 # 9 and 12 leave, 13 and 14 take the spares
	XSHAPER_TEST_KILL_AFTER=$n xs -q reload >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 137 ] && killed=$((killed + 1))
	check_eq "killed after $n changes (exit $rc): no prefix points at a missing class" 0 \
		"$(wf_dangling)"
	check_eq "killed after $n changes: no prefix points at another customer's rates" 0 \
		"$(mismatched)"
	check "killed after $n changes: the next reload succeeds" xs -q reload
	wf_settled "killed after $n changes, then reloaded"
	check_eq "killed after $n changes: every prefix at its customer's rates" 0 "$(mismatched)"
	check_eq "killed after $n changes: 13 is steered" 13 "$(wf_lookup 198.19.1.13)"
	check_eq "killed after $n changes: 9 is gone" none "$(wf_lookup 198.19.1.9)"
done
check "at least 4 of the 8 runs were killed mid-way ($killed)" [ "$killed" -ge 4 ]

# ---- the pool refills: six come, take every spare, and the pool is made again
list 1 2 3 13 14 15 16 17 18 19 20
out=$(xs reload 2>&1)
case $out in
*"given to customers, 2 made; 2 spare now"*) pass "six new: into the spares, then the pool made again" ;;
*) fail "six new: $(tr '\n' ' ' <<<"$out")" ;;
esac
wf_settled "after the pool refilled"
check_eq "the pool refilled: two classes nobody points at" 2 \
	"$(($(wf_classes lan | wc -l) - $(grep -c '^[0-9]' "$WF_CSV")))"
out=$(xs reload 2>&1)
case $out in
*"spare classes"*) fail "a reload with nothing to do touched the spares: $out" ;;
*"0 added, 0 removed, 0 changed, 0 moved, 11 unchanged"*) pass "then a reload has nothing to do" ;;
*) fail "then: $out" ;;
esac
check "stop" xs -q stop
