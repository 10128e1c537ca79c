#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# How long `xshaper check` takes on a large customer list, and how much
# memory: 100k customers with 200k prefixes (half IPv4, half IPv6) go
# through config defaults, the CSV loader and validator, and the plan
# (built from nothing, its placements saved and read back, then built
# again from them as a reload does). The
# driver measures itself (clock_gettime, getrusage), so no `time` is needed.
# Writes build/bench/check.md.
#
# scripts/bench-check.sh [CUSTOMERS] [PREFIXES_PER_CUSTOMER]
set -eu
cd "$(dirname "$0")/.."

customers=${1:-100000}
per=${2:-2}
target_s=1
target_mb=100
out=build/bench/check.md

make -s build/xshaper build/bench/gen_customers build/bench/check_list >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xshaper-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

build/bench/gen_customers "$customers" "$per" 1 >"$tmp/customers.csv"
size_mb=$(awk -v b="$(stat -c %s "$tmp/customers.csv")" 'BEGIN { printf "%.1f", b / 1048576 }')

# best of three: the first run also pays for the page cache
best=
for _ in 1 2 3; do
	line=$(build/bench/check_list "$tmp/customers.csv")
	t=$(sed -n 's/.*total_s=\([0-9.]*\).*/\1/p' <<<"$line")
	if [ -z "$best" ] || awk -v a="$t" -v b="$best_t" 'BEGIN { exit !(a < b) }'; then
		best=$line best_t=$t
	fi
done

# The command itself, end to end: best of three, peak RSS from the kernel's
# accounting of the child (getrusage RUSAGE_CHILDREN)
cat >"$tmp/xshaper.ini" <<INI
[interfaces]
wan = wan0
lan = lan0
[shaping]
leaf_qdisc = pfifo
[customers]
file = $tmp/customers.csv
INI
cmd=$(python3 - "$tmp/xshaper.ini" <<'PY'
import resource, subprocess, sys, time
best = None
for _ in range(3):
    t = time.monotonic()
    r = subprocess.run(["build/xshaper", "-q", "-c", sys.argv[1], "check"],
                       stdout=subprocess.DEVNULL)
    t = time.monotonic() - t
    if r.returncode != 0:
        sys.exit("xshaper check failed: exit %d" % r.returncode)
    best = t if best is None or t < best else best
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("%.3f %.1f" % (best, rss))
PY
)
cmd_s=${cmd% *}
cmd_rss=${cmd#* }

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p; s/^$1=\([0-9.]*\).*/\1/p" <<<"$best" | head -1; }
n=$(field customers)
v4=$(field prefixes_v4)
v6=$(field prefixes_v6)
load_s=$(field load_s)
plan_s=$(field plan_s)
save_load_s=$(field save_load_s)
replan_s=$(field replan_s)
total_s=$(field total_s)
rss=$(field maxrss_mb)
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v < t) ? "yes" : "**no**" }'; }

mkdir -p build/bench
cat >"$out" <<MD
## Checking a large customer list

\`scripts/bench-check.sh\` on $(nproc) CPU(s), $(date -u +%Y-%m-%d): $n customers,
$v4 IPv4 and $v6 IPv6 prefixes ($size_mb MB of CSV), default config
(all online CPUs, one queue each). Best of three runs of
\`build/bench/check_list\`: config defaults, read + parse + validate the list
(duplicate ids, equal and nested prefixes), build the plan from nothing, save
its placements and read them back, and build it again from them.

| step | time |
| --- | --- |
| load and validate the list | ${load_s} s |
| plan from nothing | ${plan_s} s |
| placements saved and read back | ${save_load_s} s |
| plan from the previous placements | ${replan_s} s |
| **total** | **${total_s} s** |
| \`xshaper check\` end to end (the command; also prints the summary) | ${cmd_s} s, ${cmd_rss} MB peak RSS |

| measure | result | target | met |
| --- | --- | --- | --- |
| time of \`xshaper check\` | ${cmd_s} s | under ${target_s} s | $(verdict "$cmd_s" "$target_s") |
| peak RSS of \`xshaper check\` | ${cmd_rss} MB | under ${target_mb} MB | $(verdict "$cmd_rss" "$target_mb") |
MD
cat "$out"
awk -v t="$cmd_s" -v r="$cmd_rss" -v tt="$target_s" -v tr="$target_mb" \
	'BEGIN { exit !(t < tt && r < tr) }'
