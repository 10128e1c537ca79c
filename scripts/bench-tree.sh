#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build time of the shaping trees on two interfaces (lan and wan, two veth
# pairs in a namespace of our own), side by side in one run:
#
#   tc -batch      the anchor tree as xdp-cpumap-tc and LibreQoS build it:
#                  mq, one HTB per CPU (2 here), a class per customer and
#                  a pfifo leaf on every class (kernel-chosen handles)
#   xshaper qpc=1  tree_tool, the same tree (2 HTBs; pfifo leaves are HTB's own)
#   xshaper qpc=Q  tree_tool with Q TX queues (HTB trees) per CPU
#
# for 1k to 20k customers; then the queues_per_cpu lever at 10k, and
# a reload with 1% churn at 20k. Every tree is torn down synchronously
# before the next build (a namespace deleted with 40k classes in it would
# go on costing kernel time in the background).
#
#   scripts/bench-tree.sh          full run, a few minutes
#   QUICK=1 scripts/bench-tree.sh  small sizes only, a smoke run
#   QPC=8                          queues_per_cpu of the third column
#
# Writes build/bench/tree.md and docs/bench-tree.png.
set -eu
cd "$(dirname "$0")/.."

TOOL=build/bench/tree_tool
QUICK=${QUICK:-0}
QPC=${QPC:-8}
CPUS=2
if [ "$QUICK" = 1 ]; then
	SIZES="500 1000 2000"
	SWEEP_N=1000
	CHURN_N=2000
else
	SIZES="1000 5000 10000 15000 20000"
	SWEEP_N=10000
	CHURN_N=20000
fi
SWEEP_QPC="1 2 4 8 16 32"
MD=build/bench/tree.md
PNG=docs/bench-tree.png

. scripts/lib-bench.sh

[ "$(id -u)" -eq 0 ] || { echo "bench-tree: needs root" >&2; exit 1; }
[ -x "$TOOL" ] || make -s "$TOOL"
mkdir -p build/bench docs

NS=xs-bench-$$
TMP=$(mktemp -d)
cleanup() {
	ip netns exec "$NS" tc qdisc del dev lan0 root 2>/dev/null || true
	ip netns exec "$NS" tc qdisc del dev wan0 root 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NS"
for dev in lan0 wan0; do
	ip -n "$NS" link add $dev numtxqueues 64 numrxqueues 64 type veth \
		peer name ${dev}p numtxqueues 64 numrxqueues 64
	ip -n "$NS" link set $dev up
	ip -n "$NS" link set ${dev}p up
done
nsrun() {
	nsenter --net="/run/netns/$NS" "$@"
}

# teardown: remove both trees and wait for the kernel to be done with them
teardown() {
	nsrun tc qdisc del dev lan0 root 2>/dev/null || true
	nsrun tc qdisc del dev wan0 root 2>/dev/null || true
}

# plan N TREES: customer i on tree i % TREES (the plan spreads them evenly)
plan() {
	awk -v n="$1" -v t="$2" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "%d %d %d %dm %dm\n", 100000 + i, i % t, 3 + int(i / t), 1 + i % 50, 50 + i % 50
	}'
}

# batch N: the tc anchor tree for N customers on both interfaces, with the
# quantum and bursts xshaper gives each class, so that the trees are equal
batch() {
	awk -v n="$1" -v t="$CPUS" '
	function burst(bps,   b) { b = bps / 8 / 1000; return b < 6056 ? 6056 : int(b) }
	function quantum(bps,   q) { q = int(bps / 8 / 10); return q < 1514 ? 1514 : (q > 200000 ? 200000 : q) }
	function cls(d, parent, id, r, c) {
		printf "class add dev %s parent %s classid %s htb rate %.0f ceil %.0f burst %db cburst %db quantum %d\n",
			d, parent, id, r, c, burst(r), burst(c), quantum(r)
	}
	BEGIN {
		split("lan0 wan0", devs, " ")
		for (k = 1; k <= 2; k++) {
			d = devs[k]
			printf "qdisc replace dev %s root handle 7fff: mq\n", d
			for (q = 1; q <= t; q++) {
				printf "qdisc replace dev %s parent 7fff:%x handle %x: htb default 2\n", d, q, q
				cls(d, sprintf("%x:", q), sprintf("%x:1", q), 10e9, 10e9)
				cls(d, sprintf("%x:1", q), sprintf("%x:2", q), 1e6, 10e9)
				printf "qdisc add dev %s parent %x:2 pfifo\n", d, q
			}
			for (i = 0; i < n; i++) {
				q = i % t + 1; m = 3 + int(i / t)
				cls(d, sprintf("%x:1", q), sprintf("%x:%x", q, m), (1 + i % 50) * 1e6, (50 + i % 50) * 1e6)
				printf "qdisc add dev %s parent %x:%x pfifo\n", d, q, m
			}
		}
	}'
}

# time_tc N: seconds tc -batch takes for the anchor tree
time_tc() {
	local s e
	batch "$1" >"$TMP/batch"
	s=$(bench_now)
	nsrun tc -batch "$TMP/batch" >/dev/null
	e=$(bench_since "$s")
	teardown
	echo "$e"
}

# apply PLANFILE TREES: tree_tool on both interfaces; prints
# "seconds messages added changed removed" (the counts of lan0)
apply() {
	local s e out
	s=$(bench_now)
	out=$(nsrun "$TOOL" apply --plan "$1" --txqs "$2" --capacity 10g --default-rate 1m \
		lan0 down wan0 up)
	e=$(bench_since "$s")
	echo "$e $(sed -n 's/^total messages=\([0-9]*\).*/\1/p' <<<"$out")" \
		"$(sed -nE 's/^lan0 added=([0-9]+) changed=([0-9]+) removed=([0-9]+).*/\1 \2 \3/p' <<<"$out")"
}

# time_xs N TREES: seconds and messages of a full build, torn down after
time_xs() {
	local r
	plan "$1" "$2" >"$TMP/plan"
	r=$(apply "$TMP/plan" "$2")
	teardown
	echo "${r% * * *}"
}

LOAD=$(bench_load)
echo "bench-tree: $(bench_machine)"
teardown
: >"$TMP/data"
rows=""
for n in $SIZES; do
	echo "bench-tree: $n customers x 2 interfaces"
	t_tc=$(time_tc "$n")
	read -r t_x1 m_x1 <<<"$(time_xs "$n" "$CPUS")"
	read -r t_xq m_xq <<<"$(time_xs "$n" $((CPUS * QPC)))"
	echo "  tc -batch $(bench_secs "$t_tc") s, xshaper qpc=1 $(bench_secs "$t_x1") s ($m_x1 messages)," \
		"qpc=$QPC $(bench_secs "$t_xq") s ($m_xq messages)"
	echo "$n $t_tc $t_x1 $t_xq" >>"$TMP/data"
	rows+="| $n | $(bench_secs "$t_tc") | $(bench_secs "$t_x1") | $(bench_ratio "$t_x1" "$t_tc") | $(bench_secs "$t_xq") | $(bench_ratio "$t_xq" "$t_tc") |"$'\n'
done

echo "bench-tree: queues_per_cpu at $SWEEP_N customers"
sweep=""
for q in $SWEEP_QPC; do
	read -r t m <<<"$(time_xs "$SWEEP_N" $((CPUS * q)))"
	echo "  qpc=$q: $(bench_secs "$t") s"
	sweep+="| $q | $((CPUS * q)) | $((SWEEP_N / (CPUS * q))) | $(bench_secs "$t") |"$'\n'
done

echo "bench-tree: reload with 1% churn at $CHURN_N customers (qpc=$QPC)"
trees=$((CPUS * QPC))
plan "$CHURN_N" "$trees" >"$TMP/plan"
read -r t_build m_build _ <<<"$(apply "$TMP/plan" "$trees")"
read -r t_noop m_noop _ <<<"$(apply "$TMP/plan" "$trees")"
# 1%: a third of it leaves, a third changes its rate, a third is new
awk -v n="$CHURN_N" -v t="$trees" '
	{ i = NR - 1; if (i % 300 == 0) next; if (i % 300 == 150) $4 = "77m"; print }
	END { for (j = 0; j < int(n / 300); j++)
		printf "%d %d %d 5m 10m\n", 900000 + j, j % t, 40000 + j }' "$TMP/plan" >"$TMP/churn"
read -r t_churn m_churn c_add c_chg c_rm <<<"$(apply "$TMP/churn" "$trees")"
# stop as xshaper does it (tree_stop: each tree replaced by pfifo_fast,
# the newest first, then the root; wan0, built last, first), against
# deleting the two roots alone
s=$(bench_now)
nsrun "$TOOL" stop wan0 >/dev/null && nsrun "$TOOL" stop lan0 >/dev/null
t_stop=$(bench_since "$s")
left=$(nsrun tc class show dev lan0 | grep -c htb || true)
teardown
apply "$TMP/churn" "$trees" >/dev/null
s=$(bench_now)
nsrun tc qdisc del dev wan0 root && nsrun tc qdisc del dev lan0 root
t_roots=$(bench_since "$s")
echo "  build $(bench_secs "$t_build") s, unchanged $(bench_secs "$t_noop") s ($m_noop messages)," \
	"churn $(bench_secs "$t_churn") s ($m_churn messages), stop $(bench_secs "$t_stop") s" \
	"($left classes left), both roots alone $(bench_secs "$t_roots") s"

{
	echo "## Tree build: xshaper against tc -batch"
	echo
	echo "scripts/bench-tree.sh$([ "$QUICK" = 1 ] && echo " (QUICK=1)"), $(date -u +%Y-%m-%d)," \
		"kernel $(uname -r), $(nproc) CPUs,"
	echo "load $LOAD at the start (the machine is shared: compare within a row). Both"
	echo "interfaces (lan0 and wan0, veth) get a tree for every customer; times are wall"
	echo "clock, process start to exit, in seconds; ratio = xshaper / tc -batch."
	echo
	echo "| customers | tc -batch (2 HTB) | xshaper qpc=1 (2 HTB) | ratio | xshaper qpc=$QPC ($trees HTB) | ratio |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
	printf '%s' "$rows"
	echo
	echo "tc -batch builds the anchor tree (mq, one HTB per CPU, a class and a pfifo leaf per"
	echo "customer, handles chosen by the kernel). xshaper qpc=1 builds the same tree (same"
	echo "classes, rates, bursts, quanta; HTB's own pfifo leaf, which is what an explicit"
	echo "pfifo without options is) with pipelined netlink requests; qpc=$QPC spreads each"
	echo "CPU's customers over $QPC HTB trees."
	echo
	echo "### The queues_per_cpu lever ($SWEEP_N customers, both interfaces)"
	echo
	echo "| queues_per_cpu | HTB trees per interface | customers per tree | build (s) |"
	echo "| ---: | ---: | ---: | ---: |"
	printf '%s' "$sweep"
	echo
	echo "### Reload ($CHURN_N customers, qpc=$QPC, both interfaces)"
	echo
	echo "| run | messages | seconds |"
	echo "| --- | ---: | ---: |"
	echo "| full build | $m_build | $(bench_secs "$t_build") |"
	echo "| same customers again | $m_noop | $(bench_secs "$t_noop") |"
	echo "| 1% churn: $c_rm gone, $c_add new, $c_chg rate changes (each interface) | $m_churn | $(bench_secs "$t_churn") |"
	echo "| stop: the trees newest first, each replaced by pfifo_fast, then both roots (tree_stop) | $((2 * trees + 2)) | $(bench_secs "$t_stop") |"
	echo "| the same tree again, both roots deleted alone (the kernel in hash order) | 2 | $(bench_secs "$t_roots") |"
	echo
	echo "### Where the kernel time goes"
	echo
	echo "Read from the kernel source and from perf profiles taken while developing"
	echo "(not part of this run):"
	echo
	echo "- Every new HTB class walks every class already in its HTB (tc_bind_tclass, a"
	echo "  mutex per class): quadratic per tree. More trees (queues_per_cpu) divide it."
	echo "- Every new HTB class binds a filter block; on a device without ndo_setup_tc"
	echo "  (veth, virtio_net) that goes through flow_indr_dev_setup_offload, which walks"
	echo "  a global list of every such block in the system: quadratic in all classes of"
	echo "  all interfaces, whatever the number of trees. It is the floor of the qpc=$QPC"
	echo "  column (most of its kernel time at 20k); NICs whose driver has ndo_setup_tc"
	echo "  do not take that path. The list is newest first, and finding a block to"
	echo "  unbind walks it from the head: deleting a root tears all its classes down in"
	echo "  hash order, half the list each. tree_stop retires the trees one by one in"
	echo "  the reverse of the order a build makes them, the interface built last first,"
	echo "  so that each tree's classes are the newest left (the stop rows above)."
	echo "  Deleting the classes one by one instead costs a walk of their tree each"
	echo "  (tc_bind_tclass, on every class delete), which a perf profile showed dominant."

	echo "- Every request looks its HTB up in the device's 16-bucket qdisc hash. HTB's own"
	echo "  pfifo leaves all have handle 0 and share bucket 0 with the HTBs of majors 2, 21,"
	echo "  42, ...: those trees are built first. Explicit leaves (tc -batch) spread over all"
	echo "  buckets but cost a request and several lookups each, which is why xshaper"
	echo "  sends no leaf for leaf_qdisc = pfifo."
} >"$MD"

gnuplot <<EOF
set terminal png size 800,500 noenhanced
set output "$PNG"
set title "Tree build on two interfaces ($(uname -r), $(nproc) CPUs)"
set xlabel "customers"
set ylabel "seconds"
set key top left
set grid
plot "$TMP/data" using 1:2 with linespoints title "tc -batch, 2 HTB", \
     "$TMP/data" using 1:3 with linespoints title "xshaper, queues_per_cpu=1 (2 HTB)", \
     "$TMP/data" using 1:4 with linespoints title "xshaper, queues_per_cpu=$QPC ($trees HTB)"
EOF
echo "bench-tree: wrote $MD and $PNG"
cat "$MD"
