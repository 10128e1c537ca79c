# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the workflow tests: a testbed with xshaper's files in a
# per-run directory, and the checks that the live state is exactly what the
# customer list asks for.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$XS_TOP/scripts/testbed.sh"

WF_DIR=$(mktemp -d /tmp/xshaper-test.XXXXXX)
on_exit "rm -rf '$WF_DIR'"
WF_INI=$WF_DIR/xshaper.ini
WF_CSV=$WF_DIR/customers.csv
WF_BPFFS=/sys/fs/bpf/xs-test-$XS_SUFFIX

# wf_config [CPULIST]: write the INI for the testbed box. WF_LIST names
# the customer list (default customers.csv, $WF_CSV), WF_NETWORK a network
# file (default none), both relative to $WF_DIR.
wf_config() {
	cat >"$WF_INI" <<EOF
[interfaces]
wan = wan
lan = lan
xdp_mode = native
[cpus]
list = ${1:-0-1}
queues_per_cpu = 2
[shaping]
wan_capacity = 1gbit
lan_capacity = 1gbit
leaf_qdisc = pfifo
spare_classes = ${WF_SPARES:-2%}
[customers]
file = ${WF_LIST:-customers.csv}
; the workflow tests churn lists of a few customers; test_repair.sh tests the guard
max_removed = ${WF_MAX_REMOVED:-0}
[system]
bpffs = $WF_BPFFS
lock = $WF_DIR/lock
lock_timeout = 60
EOF
	if [ -n "${WF_NETWORK:-}" ]; then
		printf '[network]\nfile = %s\n' "$WF_NETWORK" >>"$WF_INI"
	fi
}

# wf_up: testbed, config, and the customer addresses 198.19.1.1-30 and
# 2001:db8:100::1-30 in the customer namespace
wf_up() {
	require_root
	testbed_up "$XS_SUFFIX" || {
		fail "testbed"
		exit 1
	}
	on_exit "nsenter --net=/run/netns/$TB_BOX '$XS_BIN' -q -c '$WF_INI' stop"
	on_exit "rm -rf '$WF_BPFFS'"
	local i
	for i in $(seq 1 30); do
		testbed_add_address 198.19.1.$i
		testbed_add_address 2001:db8:100::$i
	done
	wf_config
}

# xs ARGS...: xshaper in the box namespace with the test config
xs() {
	nsenter --net="/run/netns/$TB_BOX" "$XS_BIN" -c "$WF_INI" "$@"
}

box() {
	ip netns exec "$TB_BOX" "$@"
}

# The customer classes of an interface, "classid rate ceil" a line, sorted
wf_classes() {
	box tc class show dev "$1" |
		awk '$1 == "class" && $2 == "htb" && $3 !~ /:(1|2)$/ {
			for (i = 1; i <= NF; i++) {
				if ($i == "rate") r = $(i + 1)
				if ($i == "ceil") c = $(i + 1)
			}
			print $3, r, c
		}' | sort
}

# wf_settled WHAT: the live state is exactly the list: a dry run finds
# nothing to do, each interface has one class per customer and every
# customer's class exists on both
wf_settled() {
	local what=$1 n dry lan wan missing
	n=$(grep -c '^[0-9]' "$WF_CSV")
	dry=$(xs reload --dry-run 2>&1 | tail -1)
	case $dry in
	*": 0 added, 0 removed, 0 changed, 0 moved, $n unchanged"*) pass "$what: dry run finds nothing to do" ;;
	*) fail "$what: dry run: $dry" ;;
	esac
	lan=$(wf_classes lan | wc -l)
	wan=$(wf_classes wan | wc -l)
	check_eq "$what: lan has one class per customer and the spare pool" ok "$(wf_pool lan)"
	check_eq "$what: wan has as many classes as lan" "$lan" "$wan"
	missing=$(xs stats --json --interval 0 | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(1 for c in s["customers"] if c["down"] is None or c["up"] is None))')
	check_eq "$what: every customer has its classes" 0 "$missing"
}

# wf_pool DEV: "ok" when the classes of DEV that no customer has are a
# spare pool as [shaping] spare_classes keeps it (WF_SPARES, a count or,
# by default, 2 % of a tree's customers rounded up): in each tree with
# customers from half of it to twice it, none in a tree without; else
# what is wrong
wf_pool() {
	wf_classes "$1" | awk '{ print $1 }' >"$WF_DIR/pool.classes"
	xs stats --json --interval 0 | python3 -c '
import json, sys
per = sys.argv[1]
have = open(sys.argv[2]).read().split()
s = json.load(sys.stdin)
mine, trees = set(), {}
for c in s["customers"]:
    if c["down"]:
        mine.add(c["down"]["classid"])
        t = c["down"]["classid"].split(":")[0]
        trees[t] = trees.get(t, 0) + 1
def want(t):
    if t not in trees:
        return 0
    return -(-trees[t] * int(per[:-1]) // 100) if per.endswith("%") else int(per)
spares = {}
for c in have:
    if c not in mine:
        spares[c.split(":")[0]] = spares.get(c.split(":")[0], 0) + 1
bad = [t + ":" + str(spares.get(t, 0)) for t in sorted(set(trees) | set(spares))
       if not ((want(t) + 1) // 2 <= spares.get(t, 0) <= 2 * want(t))]
print("ok" if not bad else "spares per tree out of bounds: " + " ".join(bad))' \
		"${WF_SPARES:-2%}" "$WF_DIR/pool.classes"
}

# wf_dangling: how many prefixes of the trie point at a class that is
# missing on lan or wan (the data path's invariant at any moment, a run
# killed half-way included; stats shows the placements the run intended)
wf_dangling() {
	local have
	have=$({ box tc class show dev lan; box tc class show dev wan; } |
		awk '$1 == "class" { print $3 }' | sort | uniq -d | tr '\n' ' ')
	bpftool -j map dump pinned "$WF_BPFFS/xs_prefixes" | HAVE=$have python3 -c '
import json, os, sys
have = set(os.environ["HAVE"].split())
n = 0
for e in json.load(sys.stdin):
    c = e["formatted"]["value"]["classid"]
    n += "%x:%x" % (c >> 16, c & 0xffff) not in have
print(n)'
}

# wf_classid ADDRESS: the classid lookup gives for an address, or nothing
wf_classid() {
	xs lookup "$1" 2>/dev/null | sed -n 's/.*classid \([0-9a-f]*:[0-9a-f]*\).*/\1/p'
}

# wf_flow_start ADDRESS PORT BPS SECONDS JSON: a steady UDP download to a
# customer address (server in cust, client in inet) in the background, its
# iperf3 result into JSON; WF_FLOW is the client's pid (wait for it).
wf_flow_start() {
	ip netns exec "$TB_CUST" iperf3 -s -1 -B "$1" -p "$2" >/dev/null 2>&1 &
	XS_PIDS+=($!)
	wait_listen "$TB_CUST" tcp "$2" || return 1
	ip netns exec "$TB_INET" iperf3 -c "$1" -p "$2" -u -b "$3" -l 1000 -t "$4" --json \
		>"$5" 2>&1 &
	WF_FLOW=$!
	XS_PIDS+=("$WF_FLOW")
}

# wf_flow_lost JSON: "LOST PACKETS" of a finished flow (or the error)
wf_flow_lost() {
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["end"]["sum"]; print(s["lost_packets"], s["packets"])' "$1" 2>&1
}

# wf_lookup ADDRESS: the customer id an address maps to, or "none"
wf_lookup() {
	local out
	out=$(xs lookup "$1" 2>&1)
	case $out in
	*"no customer"*) echo none ;;
	*"customer "*) echo "$out" | sed -n 's/.*: customer \([^ ,]*\).*/\1/p' ;;
	*) echo "error: $out" ;;
	esac
}
