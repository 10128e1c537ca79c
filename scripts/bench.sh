#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: run every scripts/bench-NAME.sh and assemble docs/BENCHMARKS.md
# from the sections they write.
#
# The contract of a bench script:
#   - writes its section, markdown starting with a "## " heading, to
#     $BENCH_OUT/NAME.md (build/bench/NAME.md);
#   - may write gnuplot PNGs to $BENCH_DOCS/bench-NAME*.png (docs/); those
#     its section does not show are added under it;
#   - exits non-zero when anything failed; it is then reported as failed in
#     the document, with whatever section it wrote and its last lines of
#     output (build/bench/NAME.log), and bench.sh exits non-zero;
#   - QUICK=1 (passed through) means a short smoke run;
#   - runs at most BENCH_TIMEOUT seconds (default 3600).
#
#   scripts/bench.sh [NAME...]    only these (default: all); the sections of
#                                 the others stay as docs/BENCHMARKS.md has them
#   scripts/bench.sh --reuse NAME...  put in the sections these wrote at their
#                                 last run (build/bench/NAME.md), without
#                                 running them again (bench-scale takes 20 min)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
export BENCH_OUT=$TOP/build/bench BENCH_DOCS=$TOP/docs QUICK=${QUICK:-0}
DOC=$BENCH_DOCS/BENCHMARKS.md
mkdir -p "$BENCH_OUT" "$BENCH_DOCS"

all=()
for s in scripts/bench-*.sh; do
	[ -e "$s" ] || continue
	n=${s#scripts/bench-}
	all+=("${n%.sh}")
done
reuse=0
if [ "${1:-}" = --reuse ]; then
	reuse=1
	shift
fi
names=()
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=("${all[@]}")
fi

# Ctrl-C: the running benchmark cleans up after itself; then stop, and
# leave docs/BENCHMARKS.md as it was
interrupted=0
trap 'interrupted=1' INT TERM

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A rc secs
# The benchmarks not run this time whose sections the document has: kept,
# with their rows of its table, in the order of scripts/bench-*.sh.
kept=()
for n in "${all[@]}"; do
	[[ " ${names[*]} " == *" $n "* ]] && continue
	grep -qxF "<a id=\"$n\"></a>" "$DOC" 2>/dev/null && kept+=("$n")
done
# doc_row KEY: the value of KEY in the document's machine table
doc_row() {
	sed -n "s/^| $1 | \(.*\) |\$/\1/p" "$DOC" 2>/dev/null | head -1
}
kept_from="$(doc_row date); $(doc_row machine), kernel $(doc_row kernel)"
for n in "${names[@]}"; do
	s=scripts/bench-$n.sh
	printf '== bench %s\n' "$n"
	t0=$(date +%s)
	if [ "$reuse" = 1 ]; then
		[ -s "$BENCH_OUT/$n.md" ] || echo "bench: --reuse: no $BENCH_OUT/$n.md" >>"$BENCH_OUT/$n.log"
		[ -s "$BENCH_OUT/$n.md" ]
		rc[$n]=$?
	elif [ -f "$s" ]; then
		rm -f "$BENCH_OUT/$n.md"
		timeout --foreground -k 10 "${BENCH_TIMEOUT:-3600}" bash "$s" >"$BENCH_OUT/$n.log" 2>&1
		rc[$n]=$?
	else
		echo "no such benchmark: $s" >"$BENCH_OUT/$n.log"
		rc[$n]=127
	fi
	secs[$n]=$(($(date +%s) - t0))
	if [ "$interrupted" -eq 1 ]; then
		echo "bench: interrupted in $n; docs/BENCHMARKS.md not written" >&2
		exit 130
	fi
	if [ "${rc[$n]}" -eq 0 ] && [ ! -s "$BENCH_OUT/$n.md" ]; then
		echo "bench: $s exited 0 but wrote no $BENCH_OUT/$n.md" >>"$BENCH_OUT/$n.log"
		rc[$n]=1
	fi
	if [ "${rc[$n]}" -eq 0 ]; then
		printf '   ok (%d s)\n' "${secs[$n]}"
	else
		printf '   FAILED: exit %d (%d s); last lines of %s:\n' "${rc[$n]}" "${secs[$n]}" \
			"build/bench/$n.log"
		tail -15 "$BENCH_OUT/$n.log" | sed 's/^/   | /'
	fi
done

machine() {
	local cpu mem
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "| | |"
	echo "|---|---|"
	echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
	echo "| machine | $(nproc) CPUs, ${cpu:-unknown CPU}, $mem memory |"
	echo "| kernel | $(uname -r) |"
	echo "| tree | $(git describe --always --dirty 2>/dev/null || echo unknown) |"
	# other work on the machine moves the numbers: say how busy it was
	echo "| load average (1, 5, 15 min) | before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg) |"
	[ "$QUICK" != 1 ] || echo "| mode | QUICK=1: smoke run, short measurements |"
	[ ${#kept[@]} -eq 0 ] || echo "| this run | ${names[*]}; ${kept[*]} kept from the document of $kept_from |"
}

# kept_row NAME, kept_section NAME: what the document has of NAME (its
# section: from after its anchor to the next anchor, blank lines trimmed)
kept_row() {
	grep -F "| [$1](#$1) |" "$DOC" | head -1
}

kept_section() {
	awk -v a="<a id=\"$1\"></a>" '
		$0 == a { on = 1; next }
		on && /^<a id="/ { exit }
		on { line[++n] = $0 }
		END {
			for (i = 1; i <= n && line[i] == ""; i++) ;
			for (j = n; j >= i && line[j] == ""; j--) ;
			for (; i <= j; i++) print line[i]
		}' "$DOC"
}

# in_run NAME: NAME was run this time
in_run() {
	[[ " ${names[*]} " == *" $1 "* ]]
}

# the document's order: scripts/bench-*.sh, then what was asked for that is not one
order=()
for n in "${all[@]}"; do
	if in_run "$n" || [[ " ${kept[*]} " == *" $n "* ]]; then order+=("$n"); fi
done
for n in "${names[@]}"; do
	[[ " ${all[*]} " == *" $n "* ]] || order+=("$n")
done

{
	echo "<!-- SPDX-License-Identifier: GPL-2.0-only -->"
	echo "<!-- written by scripts/bench.sh (make bench); do not edit -->"
	echo "# Benchmarks"
	echo
	machine
	echo
	echo "| benchmark | result | time |"
	echo "|---|---|---:|"
	for n in "${order[@]}"; do
		if ! in_run "$n"; then
			kept_row "$n"
			continue
		fi
		if [ "${rc[$n]}" -eq 0 ]; then r=ok; else r="**failed** (exit ${rc[$n]})"; fi
		if [ "$reuse" = 1 ]; then t="(an earlier run)"; else t="${secs[$n]} s"; fi
		echo "| [$n](#$n) | $r | $t |"
	done
	for n in "${order[@]}"; do
		echo
		echo "<a id=\"$n\"></a>"
		echo
		if ! in_run "$n"; then
			kept_section "$n"
			continue
		fi
		if [ -s "$BENCH_OUT/$n.md" ]; then
			cat "$BENCH_OUT/$n.md"
		else
			echo "## $n"
		fi
		for png in "$BENCH_DOCS"/bench-"$n"*.png; do
			[ -e "$png" ] || continue
			grep -qF "$(basename "$png")" "$BENCH_OUT/$n.md" 2>/dev/null && continue
			echo
			echo "![$n]($(basename "$png"))"
		done
		if [ "${rc[$n]}" -ne 0 ]; then
			echo
			echo "**Failed** (scripts/bench-$n.sh exit ${rc[$n]}). Last lines of its output:"
			echo
			echo '```'
			tail -20 "$BENCH_OUT/$n.log"
			echo '```'
		fi
	done
} >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"

failed=0
for n in "${names[@]}"; do
	[ "${rc[$n]}" -eq 0 ] || failed=$((failed + 1))
done
echo "wrote docs/BENCHMARKS.md: ${#names[@]} benchmarks, $failed failed"
[ "$failed" -eq 0 ]
