#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The placements file (/run/xshaper/<bpffs>.plan) is gone (deleted, or the
# first reload after an upgrade from a version without it): the guards
# and the data path must not depend on it.
source "$(dirname "$0")/workflow.sh"
wf_up
sed -i '/^max_removed/d' "$WF_INI" # the default guard: 10 %

cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,one,198.19.1.1,10mbit,20mbit,5mbit,10mbit
2,two,198.19.1.2,5mbit,10mbit,2mbit,5mbit
3,three,198.19.1.3,5mbit,10mbit,2mbit,5mbit
EOF2
check "start" xs start
plan=/run/xshaper/$(echo "${WF_BPFFS#/}" | sed 's|/|-|g; s|-|%2D|g; s|^sys%2Dfs%2Dbpf%2D|sys-fs-bpf-|').plan
check "the placements file is there" test -f "$plan"
rm -f "$plan"

# A truncated list: max_removed must refuse it, file or no file
cp "$WF_CSV" "$WF_DIR/full.csv"
head -2 "$WF_DIR/full.csv" >"$WF_CSV"
classes=$(wf_classes lan)
out=$(xs reload 2>&1)
check_eq "no placements file, list cut to 1 of 3: reload exit 1" 1 "$?"
echo "$out" | sed 's/^/    /'
check_eq "no placements file, list cut to 1 of 3: nothing changed" "$classes" "$(wf_classes lan)"
cp "$WF_DIR/full.csv" "$WF_CSV"
check_eq "customer 3 still looked up" 3 "$(wf_lookup 198.19.1.3)"
out=$(xs reload 2>&1)
check_eq "the full list again: reload exit 0" 0 "$?"
check "the full list again: nothing removed" grep -q "^reload: 0 added, 0 removed" <<<"$out"
