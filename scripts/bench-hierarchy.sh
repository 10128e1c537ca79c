#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What a hierarchy costs the operator's commands: `xshaper start`, a
# reload that changes nothing and a reload with 1 % churn, then `xshaper
# stop`, for the same customers twice, side by side in one run:
#
#   flat       every customer's class under the root class of its tree
#   hierarchy  the same customers under SITES x APS access points
#              (gen_customers -n; its -j writes the network.json): root >
#              site > AP > customer, each site and its APs in one tree
#
# The real binary on the box of the namespace testbed (scripts/testbed.sh:
# wan and lan, two veth pairs with BENCH_QUEUES (16) TX queues), with the
# INI of scripts/shaper-backend.sh: [cpus] list = 0-1, queues_per_cpu auto
# (8 per CPU on 16 queues: 16 HTB trees per interface), leaf_qdisc =
# pfifo, maps pinned in a directory of this run (/sys/fs/bpf/xs-SUFFIX);
# the hierarchy adds [network] file. The churn is
# gen_customers -c 1: a third of the 1 % gone, a third with a new plan, a
# third new. The machine may be shared: the pair is run twice, flat first
# and then hierarchy first, and both rounds are reported. Every step's
# summary line must show the counts the lists imply, and stop must leave
# no class behind; otherwise the script reports it and exits 1.
#
#   scripts/bench-hierarchy.sh          10k customers, 20 sites x 10 APs
#   QUICK=1 scripts/bench-hierarchy.sh  1k customers, 4 x 5, one round
# BENCH_CUSTOMERS, BENCH_NODES (SITES:APS), BENCH_ROUNDS override.
# Writes build/bench/hierarchy.md (a section of docs/BENCHMARKS.md).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
OUT=${BENCH_OUT:-$TOP/build/bench}
QUICK=${QUICK:-0}
export SHAPER=xshaper
GEN=build/bench/gen_customers
TB_QUEUES=${BENCH_QUEUES:-16}

. scripts/lib-bench.sh
. scripts/testbed.sh
. scripts/shaper-backend.sh

if [ "$QUICK" = 1 ]; then
	N=${BENCH_CUSTOMERS:-1000} NODES=${BENCH_NODES:-4:5} ROUNDS=${BENCH_ROUNDS:-1}
else
	N=${BENCH_CUSTOMERS:-10000} NODES=${BENCH_NODES:-20:10} ROUNDS=${BENCH_ROUNDS:-2}
fi
SITES=${NODES%:*} APS=${NODES#*:}
CHURN=1
MD=$OUT/hierarchy.md

[ "$(id -u)" -eq 0 ] || {
	echo "bench-hierarchy: needs root" >&2
	exit 1
}
make -s build/xshaper "$GEN" >/dev/null || exit 1
mkdir -p "$OUT"
rm -f "$MD"

work=$(mktemp -d)
suffix=h$(printf '%x' $$ | tail -c 5)
# shellcheck disable=SC2016 # expanded at exit
backend_cleanup_on_exit 'rm -rf "$work"'

# The lists: base and churned, flat and with a parent column; the same
# customers (ids, prefixes, plans) in both trees.
"$GEN" "$N" >"$work/flat.csv" &&
	"$GEN" -c "$CHURN" "$N" >"$work/flat-churn.csv" &&
	"$GEN" -n "$NODES" "$N" >"$work/hierarchy.csv" &&
	"$GEN" -n "$NODES" -c "$CHURN" "$N" >"$work/hierarchy-churn.csv" &&
	"$GEN" -n "$NODES" -j >"$work/network.json" || exit 1
# what the churn is, from the lists (the id is the first field): a reload
# must count the same
read -r NEW GONE CHANGED < <(awk -F, '/^#/ || $1 == "id" { next }
	FILENAME == ARGV[1] { was[$1] = $0; next }
	{ now[$1] = $0 }
	END {
		for (i in now) if (!(i in was)) a++; else if (now[i] != was[i]) c++
		for (i in was) if (!(i in now)) r++
		print a + 0, r + 0, c + 0
	}' "$work/flat.csv" "$work/flat-churn.csv")
NODE_CLASSES=$((SITES + SITES * APS))

LOAD0=$(bench_load)
echo "bench-hierarchy: $(bench_machine); $N customers, flat and under $SITES x $APS APs"
testbed_up "$suffix" || exit 1
for tree in flat hierarchy; do
	xshaper_ini "$suffix" "$work/$tree-now.csv" >"$work/$tree.ini" || exit 1
done
printf '\n[network]\nfile = %s\n' "$work/network.json" >>"$work/hierarchy.ini"

failures=()
# rows: round tree run wall_s own_s added removed changed moved unchanged
#       repaired nodes(a/r/c/m) classes "trees largest" warnings
: >"$work/rows"

# counts FILE: the last summary line in FILE ("start: 5 added, 0 removed,
# ..., 0 repaired; nodes: 2 added, ..., 0.07 s") as "added removed changed
# moved unchanged repaired nodes seconds", nodes as added/removed/changed/
# moved ("-" without nodes)
counts() {
	awk '/^(start|reload): / {
		gsub(/[,;:]/, " ")
		in_nodes = 0
		c = ""
		nodes = ""
		for (i = 2; i < NF; i++) {
			if ($i == "nodes")
				in_nodes = 1
			else if ($(i + 1) ~ /^(added|removed|changed|moved|unchanged|repaired)$/) {
				if (in_nodes)
					nodes = nodes (nodes == "" ? "" : "/") $i
				else
					c = c $i " "
			}
		}
		last = c (nodes == "" ? "-" : nodes) " " $(NF - 1)
	}
	END { if (last != "") print last }' "$1"
}

# classes DEV: HTB classes in the box's trees on DEV
classes() {
	tc -n "$TB_BOX" class show dev "$1" | grep -c '^class htb'
}

# trees DEV: "TREES LARGEST": HTB trees on DEV, classes in the largest
trees() {
	tc -n "$TB_BOX" class show dev "$1" |
		awk '$2 == "htb" { sub(/:.*/, "", $3); n[$3]++ }
			END { for (t in n) { k++; if (n[t] > max) max = n[t] }; print k + 0, max + 0 }'
}

# step ROUND TREE RUN EXPECT COMMAND...: time COMMAND (an xshaper command in
# the box), check its summary against EXPECT ("added removed changed moved
# unchanged nodes", nodes as a/r/c/m or "-"; 0 repaired), add a row
step() {
	local round=$1 tree=$2 run=$3 expect=$4 t0 t rc c seen k
	local -a got
	shift 4
	t0=$(bench_now)
	"$@" >"$work/out" 2>"$work/err"
	rc=$?
	t=$(bench_since "$t0")
	c=$(counts "$work/out")
	read -r -a got <<<"$c"
	for ((k = 0; k < 8; k++)); do got[k]=${got[k]:--}; done
	seen="${got[*]:0:5} ${got[6]}"
	printf '  round %s %-9s %-6s %6.2f s  %s\n' "$round" "$tree" "$run" "$t" "${c:-no summary}"
	if [ "$rc" -ne 0 ] || [ "$seen" != "$expect" ] || [ "${got[5]}" != 0 ]; then
		failures+=("round $round $tree $run: exit $rc, counts '$seen' (repaired ${got[5]}), expected '$expect'")
		sed 's/^/    | /' "$work/err" | tail -5
	fi
	printf '%s\t' "$round" "$tree" "$run" "$t" "${got[7]}" "${got[@]:0:7}" "$(classes lan)" \
		"$(trees lan)" >>"$work/rows"
	grep -c 'warning' "$work/err" >>"$work/rows"
	[ "$rc" -eq 0 ]
}

# scrape ROUND TREE: the exporter in the box serving the N live customers:
# the wall clock of SCRAPES scrapes of /metrics (curl), its size, and that
# SIGTERM ends it with 0; a row of "round tree best worst bytes lines"
SCRAPES=3
EXPORTER_PORT=19847
scrape() {
	local round=$1 tree=$2 pid t0 t best= worst= i rc=0 bytes=0 lines=0
	xshaper_run "$BACKEND_INI" exporter --listen "127.0.0.1:$EXPORTER_PORT" 2>"$work/exp.err" &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		nsenter --net="/run/netns/$TB_BOX" curl -s -o /dev/null \
			"http://127.0.0.1:$EXPORTER_PORT/metrics" && break
		sleep 0.1
	done
	for ((i = 0; i < SCRAPES; i++)); do
		t0=$(bench_now)
		nsenter --net="/run/netns/$TB_BOX" curl -s -f -o "$work/metrics" \
			"http://127.0.0.1:$EXPORTER_PORT/metrics" || rc=1
		t=$(bench_since "$t0")
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
		if [ -z "$worst" ] || awk -v a="$t" -v b="$worst" 'BEGIN { exit !(a > b) }'; then worst=$t; fi
	done
	bytes=$(wc -c <"$work/metrics") lines=$(wc -l <"$work/metrics")
	# the exporter itself (the subshell of xshaper_run waits for it and passes on its status)
	pkill -TERM -f "exporter --listen 127.0.0.1:$EXPORTER_PORT"
	wait "$pid" || rc=1
	[ "$rc" -eq 0 ] || failures+=("round $round $tree exporter: a scrape failed or it did not end with 0")
	printf '  round %s %-9s scrape %6.2f s (best of %s), %s bytes\n' "$round" "$tree" "$best" \
		"$SCRAPES" "$bytes"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$tree" "$best" "$worst" "$bytes" "$lines" \
		>>"$work/scrapes"
}

# run ROUND TREE: start, no-op reload, churn reload, the exporter, stop
run() {
	local round=$1 tree=$2 nodes=- nochange=- t0 t rc left
	[ "$tree" = flat ] || nodes=$NODE_CLASSES/0/0/0 nochange=0/0/0/0
	cp "$work/$tree.csv" "$work/$tree-now.csv"
	step "$round" "$tree" start "$N 0 0 0 0 $nodes" \
		backend_start "$suffix" "$work/$tree-now.csv" "$work/$tree.ini" &&
		step "$round" "$tree" no-op "0 0 0 0 $N $nochange" \
			xshaper_run "$BACKEND_INI" reload &&
		cp "$work/$tree-churn.csv" "$work/$tree-now.csv" &&
		step "$round" "$tree" churn \
			"$NEW $GONE $CHANGED 0 $((N - GONE - CHANGED)) $nochange" \
			xshaper_run "$BACKEND_INI" reload &&
		scrape "$round" "$tree"
	t0=$(bench_now)
	rc=0
	[ -z "$BACKEND_INI" ] || xshaper_run "$BACKEND_INI" stop >"$work/out" 2>&1 || rc=$?
	t=$(bench_since "$t0")
	[ "$rc" -eq 0 ] || failures+=("round $round $tree stop: exit $rc $(tail -1 "$work/out")")
	backend_stop
	left=$(($(classes lan) + $(classes wan)))
	[ "$left" -eq 0 ] || failures+=("round $round $tree stop: $left classes left")
	printf '  round %s %-9s %-6s %6.2f s\n' "$round" "$tree" stop "$t"
	printf '%s\t' "$round" "$tree" stop "$t" - - - - - - - - "$left" "0 0" >>"$work/rows"
	echo 0 >>"$work/rows"
}

for ((round = 1; round <= ROUNDS; round++)); do
	if [ $((round % 2)) -eq 1 ]; then order="flat hierarchy"; else order="hierarchy flat"; fi
	echo "bench-hierarchy: round $round: $order"
	for tree in $order; do
		run "$round" "$tree"
	done
done
LOAD1=$(bench_load)

# the wall time of RUN of TREE in ROUND
wall() {
	awk -F'\t' -v r="$1" -v t="$2" -v s="$3" '$1 == r && $2 == t && $3 == s { print $4 }' "$work/rows"
}

{
	echo "## Hierarchy: start and reload, flat against sites and access points"
	echo
	echo "scripts/bench-hierarchy.sh$([ "$QUICK" = 1 ] && echo " (QUICK=1)"), $(date -u +%Y-%m-%d)," \
		"kernel $(uname -r), $(nproc) CPUs, load average $LOAD0 before and $LOAD1 after"
	echo "(the machine is shared: compare within a round). \`build/xshaper\` on the box of the"
	echo "namespace testbed (wan and lan, veth, $TB_QUEUES TX queues each), \`[cpus] list = 0-1\`,"
	echo "\`queues_per_cpu\` auto (as many HTB trees as the queues allow, at most 8 per CPU),"
	echo "\`leaf_qdisc = pfifo\`, maps pinned in a directory of the run."
	echo "$N customers (\`gen_customers $N\`), once flat and once,"
	echo "the same customers, under $((SITES * APS)) access points of $SITES sites"
	echo "(\`gen_customers -n $NODES\`, its \`-j\` network.json: $NODE_CLASSES node classes"
	echo "per interface, each site with its APs in one tree). Churn: \`gen_customers -c $CHURN\`,"
	echo "$GONE gone, $CHANGED new plans, $NEW new. Seconds: wall clock of the command, and"
	echo "what its summary line says it took; the counts are its summary line's"
	echo "(customers; nodes as added/removed/changed/moved); classes: HTB classes on lan"
	echo "after the run (root and default class of each tree included), and in how many"
	echo "trees (the largest tree's classes): a top-level node takes its whole subtree"
	echo "into one tree, a flat customer goes wherever the load is least."
	echo
	echo "| round | tree | run | seconds | xshaper's | added | removed | changed | moved | unchanged | nodes | classes | trees (largest) |"
	echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
	awk -F'\t' '{ split($14, t, " ")
		printf "| %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $13,
			(t[1] ? t[1] " (" t[2] ")" : "-") }' "$work/rows"
	echo
	echo "Hierarchy against flat (seconds, wall clock; one column per round):"
	echo
	printf '| run |'
	for ((round = 1; round <= ROUNDS; round++)); do printf ' flat %s | hierarchy %s | ratio %s |' "$round" "$round" "$round"; done
	echo
	printf '| --- |'
	for ((round = 1; round <= ROUNDS; round++)); do printf ' ---: | ---: | ---: |'; done
	echo
	for r in start no-op churn stop; do
		printf '| %s |' "$r"
		for ((round = 1; round <= ROUNDS; round++)); do
			f=$(wall "$round" flat "$r") h=$(wall "$round" hierarchy "$r")
			if [ -n "$f" ] && [ -n "$h" ]; then
				printf ' %s | %s | %s |' "$(bench_secs "$f")" "$(bench_secs "$h")" "$(bench_ratio "$h" "$f")"
			else
				printf ' - | - | - |'
			fi
		done
		echo
	done
	echo
	echo "\`xshaper exporter\` serving the $N live customers after the churn reload:"
	echo "wall clock of a \`curl\` of /metrics in the box (the maps, the placements and"
	echo "both interfaces' classes read per scrape), best and worst of $SCRAPES."
	echo
	echo "| round | tree | best s | worst s | bytes | lines |"
	echo "| ---: | --- | ---: | ---: | ---: | ---: |"
	[ -f "$work/scrapes" ] && awk -F'\t' '{ printf "| %s | %s | %.3f | %.3f | %s | %s |\n",
		$1, $2, $3, $4, $5, $6 }' "$work/scrapes"
	warn=$(awk -F'\t' '$2 == "hierarchy" && $3 == "start" { print $15; exit }' "$work/rows")
	echo
	echo "The hierarchy's start printed ${warn:-0} warning lines: the guaranteed rates under"
	echo "an AP add up to more than its cap (oversubscribed, as access points are)."
	if [ ${#failures[@]} -gt 0 ]; then
		echo
		echo "**Failed:**"
		echo
		printf -- '- %s\n' "${failures[@]}"
	fi
} >"$MD"
cat "$MD"
[ ${#failures[@]} -eq 0 ]
