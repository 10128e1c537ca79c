#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The operator's commands against the size of the list: `xshaper start`, a
# reload with nothing to do, a reload with 1 % churn and `xshaper stop`,
# for 10k, 50k and 100k customers (gen_customers: one IPv4 /32 and one
# IPv6 /56 each), on the box of the namespace testbed (scripts/testbed.sh
# with BENCH_QUEUES (16) TX queues, the INI of scripts/shaper-backend.sh:
# queues_per_cpu auto, 16 HTB trees per interface, pfifo leaves).
#
# Each command runs under /usr/bin/time: wall clock, and the process's
# system time against its user time. Nearly all of the kernel's part is
# done in the process's own system calls (the tc requests, the dumps, the
# map writes), so sys / (user + sys) is the kernel's share. Peak RSS is
# the process's.
#
#   scripts/bench-scale.sh              10000 50000 100000 (about 20 min)
#   QUICK=1 scripts/bench-scale.sh      2000 5000
#   BENCH_SIZES="20000"                 other sizes
# Writes build/bench/scale.md (a section of docs/BENCHMARKS.md).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
OUT=${BENCH_OUT:-$TOP/build/bench}
QUICK=${QUICK:-0}
GEN=build/bench/gen_customers
export SHAPER=xshaper TB_QUEUES=${BENCH_QUEUES:-16}
if [ "$QUICK" = 1 ]; then
	SIZES=${BENCH_SIZES:-2000 5000}
else
	SIZES=${BENCH_SIZES:-10000 50000 100000}
fi

. scripts/lib-bench.sh
. scripts/testbed.sh
. scripts/throughput.sh
. scripts/shaper-backend.sh

[ "$(id -u)" -eq 0 ] || {
	echo "bench-scale: needs root" >&2
	exit 1
}
make -s build/xshaper "$GEN" >/dev/null || exit 1
mkdir -p "$OUT"
MD=$OUT/scale.md
rm -f "$MD"
work=$(mktemp -d)
suffix=s$(printf '%x' $$ | tail -c 5)
# shellcheck disable=SC2016 # expanded at exit
backend_cleanup_on_exit 'rm -rf "$work"'

LOAD0=$(bench_load)
echo "bench-scale: $(bench_machine); sizes $SIZES"
testbed_up "$suffix" || exit 1

# timed STEP COMMAND...: xshaper COMMAND in the box, its summary line
# checked by the caller; appends "STEP wall user sys rss_kb" to rows
timed() {
	local step=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" \
		nsenter --net="/run/netns/$TB_BOX" "$XS_BIN" -c "$work/x.ini" "$@" >"$work/out" 2>&1
	local rc=$?
	echo "$step $(cat "$work/time")" >>"$work/rows.$n"
	return $rc
}

# Where the time goes: from perf profiles taken while developing (perf
# record -g of the command), not part of this run.
analysis() {
	cat <<-'EOF'

		Where the time goes (perf record -g of the commands at 20k, 50k and 100k, taken
		while developing; not part of this run):

		- **start** is the kernel's (95-100 %): every new HTB class binds a
		  filter block, and on a device without ndo_setup_tc (veth here, virtio_net)
		  flow_indr_dev_setup_offload looks for it first in one global list of every
		  block on the machine (find_indir_dev): each create walks all the classes of
		  both interfaces. That is the floor of a start and of every class a reload
		  creates; a NIC whose driver has ndo_setup_tc does not take that path.
		  During a 20k start (2026-12-02), `perf record -a -g -- sleep 15` and
		  `perf report --no-children --sort sym`: 44.5 % of all samples idle (the
		  second CPU: the build is one thread), 39.1 %
		  in flow_indr_dev_setup_offload, i.e. 70 % of the busy samples, then
		  mutex_lock 2.5 %, htb_tcf_block 1.9 %; in the last trees of a 100k start,
		  `perf record -a` put 72 % of all samples there. Since xshaper cannot make
		  a class cheaper, a start shapes the customers of each tree as soon as
		  that tree's classes exist (a progress line on a terminal). A
		  churn reload gets past it with the spare classes ([shaping] spare_classes,
		  2 % by default): new customers take classes that exist, with one in-place
		  change each, and the classes of those who left stay as spares, so the
		  churn row makes no class at all.
		- **stop** retires the trees newest first, and since a run builds each tree
		  on both interfaces before the next, tree by tree across the interfaces
		  (wan's, built last, first). Deleting the two roots instead walks past
		  every newer class for each class (the tree benchmark's last two rows);
		  retiring one interface's trees after the other's walks past all of the
		  other's newer blocks (26.4 s at 50k in a run of 2026-12-02, against the row
		  above).
		- **a reload with nothing to do** at 100k took 2.96 s in the first run of
		  2026-12-02, and perf record -g put 38 % of it in qdisc_match_from_root:
		  a dump of one HTB's classes looks the HTB up by its handle for each
		  32 kB the kernel sends, walking its bucket of the device's 16-bucket
		  qdisc hash from the newest entry, and HTB's own pfifo leaves (handle 0)
		  all sit in bucket 0 with the HTB of major 2 (`tc class show dev lan
		  parent 2:` alone took 0.75 s of system time). The HTBs now have the
		  majors of bucket 1 (bpf/xshaper.h) and no leaf does, so that walk is
		  gone from the profile. What is left, at 100k (perf record -g, self
		  time): reading the LPM trie 10 % (trie_get_next_key: the kernel's batch
		  lookup walks the trie from its root for each key), the class dumps
		  14 % (htb_dump_class, its stats, htb_walk), the qdisc dump 4.7 %
		  (tc_dump_qdisc_root walks every hashed qdisc once, HTB's leaves
		  included); in user space the sorts (msort 4.8 %) and reading the
		  list (customers_parse 2.8 %). By step (clock_gettime around them):
		  the list 0.18 s; the maps and the placements file, 0.25 and 0.05-0.15
		  s, side by side with the two trees' dumps, 0.39 s, on a thread of
		  their own (both mostly the kernel's, the dumps under the RTNL lock);
		  the plan and the diffs 0.15 s; writing the placements 0.04-0.07 s;
		  the map sync, a compare of the lookup table, 0.08-0.14 s.
	EOF
}

failures=()
for n in $SIZES; do
	echo "== $n customers"
	"$GEN" "$n" 2 >"$work/now.csv" && "$GEN" -c 1 "$n" 2 >"$work/churn.csv" &&
		cp "$work/now.csv" "$work/base.csv" || exit 1
	xshaper_ini "$suffix" "$work/now.csv" >"$work/x.ini" || exit 1
	: >"$work/rows.$n"
	if ! timed start start; then
		failures+=("$n: start: $(tail -1 "$work/out")")
		xshaper_run "$work/x.ini" stop >/dev/null 2>&1
		continue
	fi
	grep -q "^start: $n added" "$work/out" || failures+=("$n: start: $(tail -1 "$work/out")")
	tail -1 "$work/out"
	# three in a row: the row is their median (the machine is shared)
	for k in 1 2 3; do
		timed noop reload || failures+=("$n: reload: $(tail -1 "$work/out")")
		grep -q " 0 added, 0 removed, 0 changed, 0 moved, $n unchanged" "$work/out" ||
			failures+=("$n: no-op reload: $(tail -1 "$work/out")")
		tail -1 "$work/out"
	done
	cp "$work/churn.csv" "$work/now.csv"
	timed churn reload || failures+=("$n: churn reload: $(tail -1 "$work/out")")
	tail -1 "$work/out"
	sed -n 's/^reload: \([0-9]*\) added, \([0-9]*\) removed, \([0-9]*\) changed.*/\1 \2 \3/p' \
		"$work/out" >"$work/churn.$n"
	sed -n 's/^reload: spare classes: \([0-9]*\) given to customers, \([0-9]*\) made.*/\1 \2/p' \
		"$work/out" >"$work/spares.$n"
	timed stop stop || failures+=("$n: stop: $(tail -1 "$work/out")")
	left=$(ip netns exec "$TB_BOX" tc class show dev lan | grep -c htb)
	[ "$left" -eq 0 ] || failures+=("$n: stop left $left classes on lan")
	echo "  $(awk '{ printf "%s %s s  ", $1, $2 }' "$work/rows.$n")"
done

{
	echo "## The commands at 10k, 50k and 100k customers"
	echo
	echo "scripts/bench-scale.sh$([ "$QUICK" = 1 ] && echo " (QUICK=1)"), $(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs,"
	echo "load $LOAD0 at the start. The namespace testbed's box, $TB_QUEUES TX queues (16 HTB trees per interface),"
	echo "pfifo leaves; each customer one IPv4 /32 and one IPv6 /56. Churn: gen_customers -c 1, a third"
	echo "of 1 % gone, a third with a new plan, a third new. Wall clock of the command; kernel"
	echo "share = system time / (user + system time) of the process, where the kernel does its"
	echo "part (tc requests and dumps, map writes); peak RSS of the process (the lookup table's"
	echo "roots and pool, about 96 MiB with the default lookup_memory, are mapped into it)."
	echo
	echo "| customers | step | wall s | kernel share | peak RSS MB |"
	echo "| ---: | --- | ---: | ---: | ---: |"
	for n in $SIZES; do
		[ -s "$work/rows.$n" ] || continue
		read -r a r c <"$work/churn.$n" 2>/dev/null || a=? r=? c=?
		read -r sg sm <"$work/spares.$n" 2>/dev/null || sg=0 sm=0
		# the no-op runs: the median's row, with all three walls
		awk '$1 == "noop" { print $2, $0 }' "$work/rows.$n" | sort -n |
			awk '{ w[NR] = $1; sub(/^[^ ]* /, ""); row[NR] = $0 }
				END { if (NR == 3) print row[2], w[1] " " w[2] " " w[3] }' >"$work/noop.$n"
		{ grep -v '^noop ' "$work/rows.$n" | head -1; cat "$work/noop.$n"
		  grep -v '^noop ' "$work/rows.$n" | tail -n +2; } |
		awk -v n="$n" -v a="$a" -v r="$r" -v c="$c" -v sg="$sg" -v sm="$sm" '{
			step = $1
			if (step == "noop")
				step = "reload, nothing to do (median of 3: " $6 ", " $7 ", " $8 " s)"
			if (step == "churn")
				step = "reload, 1 % churn (" a " new, " r " gone, " c " changed; " \
					sg " into spare classes, " sm " classes made)"
			k = ($3 + $4 > 0) ? sprintf("%.0f %%", 100 * $4 / ($3 + $4)) : "-"
			printf "| %s | %s | %.2f | %s | %.1f |\n", n, step, $2, k, $5 / 1024
		}'
	done
	analysis
	bench_list "Failed:" ${failures[@]+"${failures[@]}"}
} >"$MD"
cat "$MD"
[ ${#failures[@]} -eq 0 ]
