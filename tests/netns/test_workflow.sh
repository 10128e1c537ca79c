#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The operator's day: start, cron reloads that add, remove, re-rate and
# re-address customers while an unchanged customer's flow runs without
# losing a packet, a change of CPUs, status, lookup, stop.
source "$(dirname "$0")/workflow.sh"
wf_up

cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,steady,198.19.1.1 2001:db8:100::1,10mbit,20mbit,5mbit,10mbit
2,rerated,198.19.1.2,5mbit,10mbit,2mbit,5mbit
3,readdressed,198.19.1.3,5mbit,10mbit,2mbit,5mbit
4,leaving,198.19.1.4,5mbit,10mbit,2mbit,5mbit
EOF2

# more trees than the interfaces have TX queues: refused before any change
sed -i 's/^queues_per_cpu = 2$/queues_per_cpu = 4/' "$WF_INI"
out=$(xs check 2>&1)
check_eq "check: too few TX queues is exit 1" 1 "$?"
check "check names the queues" grep -q "lan: has 4 TX queues, xshaper needs 8" <<<"$out"
xs start >/dev/null 2>&1
check_eq "start: too few TX queues is exit 1" 1 "$?"
check "start touched nothing: no XDP" bash -c "! ip -n $TB_BOX link show lan | grep -q xdp"
check "start touched nothing: nothing pinned" [ ! -e "$WF_BPFFS" ]
sed -i 's/^queues_per_cpu = 4$/queues_per_cpu = 2/' "$WF_INI"

check "start" xs start
check "start again is idempotent" xs start
wf_settled "after start"
st=$(xs status)
check "status: XDP and TC on wan" grep -q "^wan: wan, XDP native prog [0-9]*, TC egress prog" <<<"$st"
check "status: XDP and TC on lan" grep -q "^lan: lan, XDP native prog [0-9]*, TC egress prog" <<<"$st"
check "status: 4 customers" grep -q "^customers: 4" <<<"$st"
check "status: the lookup table in use, nothing left to the trie" \
	grep -qE "^lookup table: [1-9][0-9]* of 32768 chunks \(32768 KiB\) in use$" <<<"$st"
check_eq "lookup v4" 1 "$(wf_lookup 198.19.1.1)"
check_eq "lookup v6" 1 "$(wf_lookup 2001:db8:100::1)"
check_eq "lookup unknown" none "$(wf_lookup 198.19.1.30)"
check_eq "plan rates on lan: customer 1's class" "10Mbit 20Mbit" \
	"$(wf_classes lan | awk -v c="$(wf_classid 198.19.1.1)" '$1 == c { print $2, $3 }')"

# A steady UDP flow to customer 1 (well inside its plan) across reloads
wf_flow_start 198.19.1.1 5301 4M 8 "$WF_DIR/steady.json"
flow=$WF_FLOW
# the reloads start once the flow goes through customer 1's class
steady_cls=$(wf_classid 198.19.1.1)
steady_pkts() {
	box tc -s class show dev lan classid "$steady_cls" | awk '$1 == "Sent" { print $4; exit }'
}
steady_moving() { [ "$(steady_pkts)" -ge $((steady0 + 100)) ]; }
steady0=$(steady_pkts)
check "the steady flow runs through customer 1's class $steady_cls" wait_for 10 steady_moving

cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,steady,198.19.1.1 2001:db8:100::1,10mbit,20mbit,5mbit,10mbit
2,rerated,198.19.1.2,8mbit,40mbit,3mbit,6mbit
3,readdressed,198.19.1.13 2001:db8:100::13,5mbit,10mbit,2mbit,5mbit
5,new,198.19.1.5,5mbit,15mbit,2mbit,7mbit
EOF2
out=$(xs reload 2>&1)
echo "$out"
check "reload summary" grep -q "reload: 1 added, 1 removed, 2 changed, 0 moved, 1 unchanged" <<<"$out"
sleep 1
# the cron job again, with nothing to do
out=$(xs reload 2>&1)
check "reload without changes" grep -q "reload: 0 added, 0 removed, 0 changed, 0 moved, 4 unchanged" <<<"$out"
# and the others keep changing, every 0.2 s, while the flow runs
cp "$WF_CSV" "$WF_DIR/b.csv"
sed -e 's/^2,rerated,198.19.1.2,8mbit,40mbit/2,rerated,198.19.1.2 2001:db8:100::2,9mbit,30mbit/' \
	-e '/^5,new/d' -e '$a 6,newer,198.19.1.6,1mbit,3mbit,1mbit,3mbit' "$WF_DIR/b.csv" >"$WF_DIR/c.csv"
reloads=0
for i in $(seq 1 10); do
	cp "$WF_DIR/c.csv" "$WF_CSV"
	xs -q reload && reloads=$((reloads + 1))
	sleep 0.1
	cp "$WF_DIR/b.csv" "$WF_CSV"
	xs -q reload && reloads=$((reloads + 1))
	sleep 0.1
done
check_eq "20 more reloads, each adding, removing, re-rating, re-addressing" 20 "$reloads"
wait "$flow"
lost=$(wf_flow_lost "$WF_DIR/steady.json")
echo "steady flow: lost, packets = $lost"
check "the unchanged customer's flow lost no packet across 22 reloads" [ "${lost%% *}" = 0 ]
check "and carried traffic" [ "${lost##* }" -gt 1000 ]
# CPUs leave the config: their customers move, nobody is torn down.
# (Trees come and go on mq, which the kernel grafts with the device
# briefly deactivated: not hitless, so no flow is measured across it.)
wf_config 0
out=$(xs reload 2>&1)
echo "$out"
check "customers of CPU 1 move to CPU 0" grep -qE "reload: 0 added, 0 removed, 0 changed, [1-9][0-9]* moved" <<<"$out"
wf_settled "after reloads"
check_eq "re-addressed: new v4 prefix" 3 "$(wf_lookup 198.19.1.13)"
check_eq "re-addressed: new v6 prefix" 3 "$(wf_lookup 2001:db8:100::13)"
check_eq "re-addressed: old prefix gone" none "$(wf_lookup 198.19.1.3)"
check_eq "removed customer's prefix gone" none "$(wf_lookup 198.19.1.4)"
check_eq "new customer" 5 "$(wf_lookup 198.19.1.5)"
check "re-rated class on lan: 8Mbit/40Mbit" grep -q " 8Mbit 40Mbit$" <(wf_classes lan)
check "re-rated class on wan: 3Mbit/6Mbit" grep -q " 3Mbit 6Mbit$" <(wf_classes wan)
check "all customers on CPU 0" bash -c "[ \"\$(nsenter --net=/run/netns/$TB_BOX $XS_BIN -c $WF_INI stats --json --interval 0 |
	python3 -c 'import json,sys; print(sorted({c[\"cpu\"] for c in json.load(sys.stdin)[\"customers\"]}))')\" = '[0]' ]"
wf_config 0-1
check "CPU 1 back" xs reload
wf_settled "after CPU 1 came back"

# a name in another encoding (Latin-1), with quotes: output stays valid
cp "$WF_CSV" "$WF_DIR/saved.csv"
printf '9,"caf\xe9 ""9"" \\ x",198.19.1.9,1mbit,2mbit,1mbit,2mbit\n' >>"$WF_CSV"
check "a Latin-1 name loads" xs -q reload
check "stats --json stays valid UTF-8 JSON" python3 -c 'import json,sys; s=json.loads(sys.stdin.buffer.read().decode("utf-8")); assert any(c["id"] == "9" and c["name"].startswith("caf\ufffd \"9\"") for c in s["customers"])' < <(xs stats --json --interval 0)
check "stats --prometheus stays valid" python3 "$XS_TOP/tests/netns/promcheck.py" < <(xs stats --prometheus)
cp "$WF_DIR/saved.csv" "$WF_CSV"
xs -q reload

prom=$(xs stats --prometheus)
check "stats --prometheus passes the format check" python3 "$XS_TOP/tests/netns/promcheck.py" <<<"$prom"
check "prometheus: bytes of customer 1 downstream" grep -qE '^xshaper_customer_bytes_total\{id="1",name="steady",direction="down"\} [1-9][0-9]*$' <<<"$prom"
check "prometheus: per-CPU XDP counters" grep -qE '^xshaper_xdp_packets_total\{cpu="[0-9]+",interface="wan",outcome="hit"\} [0-9]+$' <<<"$prom"
check "stats for one customer" grep -qE '^1 +steady +down' <(xs stats --interval 0 1)
check "stats --json parses" python3 -c 'import json,sys; json.load(sys.stdin)' < <(xs stats --json --interval 0)
check "status --json parses" python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["started"] and s["customers"] == 4; t=s["lookup_table"]; assert t["capacity"] == 32768 and 0 < t["chunks"] < 100 and t["trie_entries"] == 0' < <(xs status --json)

# lan moves to another interface: the old one is left as stop leaves it
ip -n "$TB_BOX" link add lan2 numtxqueues 4 numrxqueues 4 type veth peer name lan2p \
	numtxqueues 4 numrxqueues 4
ip -n "$TB_BOX" link set lan2 up
ip -n "$TB_BOX" link set lan2p up
sed -i 's/^lan = lan$/lan = lan2/' "$WF_INI"
out=$(xs reload 2>&1)
echo "$out"
check "reload moves lan to lan2" grep -q "^lan: lan -> lan2" <<<"$out"
check "XDP on lan2" bash -c "ip -n $TB_BOX link show lan2 | grep -q xdp"
check "no XDP left on lan" bash -c "! ip -n $TB_BOX link show lan | grep -q xdp"
check_eq "lan root back to noqueue" noqueue "$(box tc qdisc show dev lan root | awk '{print $2}')"
check_eq "lan2 has the customers' classes and the spare pool" ok "$(wf_pool lan2)"
check "wan untouched by the move" grep -q "0 added, 0 removed, 0 changed, 0 moved" <<<"$out"
sed -i 's/^lan = lan2$/lan = lan/' "$WF_INI"
check "and back, by start" xs -q start
check "XDP on lan again" bash -c "ip -n $TB_BOX link show lan | grep -q xdp"
check "no XDP left on lan2" bash -c "! ip -n $TB_BOX link show lan2 | grep -q xdp"
wf_settled "after lan moved away and back"

check "stop" xs stop
check_eq "lan root back to noqueue" noqueue "$(box tc qdisc show dev lan root | awk '{print $2}')"
check_eq "wan root back to noqueue" noqueue "$(box tc qdisc show dev wan root | awk '{print $2}')"
check "no XDP left on lan" bash -c "! ip -n $TB_BOX link show lan | grep -q xdp"
check "no clsact left on wan" bash -c "! ip netns exec $TB_BOX tc qdisc show dev wan | grep -q clsact"
check "pinned maps removed" [ ! -e "$WF_BPFFS" ]
check "stop again is fine" xs stop
check "status after stop" grep -q "not started" <(xs status)
