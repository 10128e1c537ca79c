#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A start big enough to be built a tree at a time: killed in the middle of
# building, every prefix in the maps points at a class that exists and
# the customers of the trees already built are steered; the next start
# repairs the rest. The progress line is drawn on a terminal only, and
# not under -q.
source "$(dirname "$0")/workflow.sh"
wf_up

# 2500 customers (5000 classes: past PROGRESSIVE_MIN_CLASSES), 4 trees
python3 -c '
print("id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil")
for i in range(2500):
    print("%d,c%d,198.18.%d.%d,1mbit,2mbit,1mbit,2mbit" % (i + 1, i, 100 + i // 250, i % 250 + 1))
' >"$WF_CSV"

prefixes() {
	bpftool -j map dump pinned "$WF_BPFFS/xs_prefixes" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# killed after its 2500th change: past the first tree, before the last
XSHAPER_TEST_KILL_AFTER=2500 xs -q start >/dev/null 2>&1
check_eq "start killed mid-build: exit 137" 137 "$?"
built=$(wf_classes wan | wc -l)
check "killed mid-build: some classes but not all ($built)" [ "$built" -gt 0 -a "$built" -lt 2500 ]
steered=$(prefixes)
check "killed mid-build: the customers of built trees are steered ($steered)" [ "$steered" -gt 0 -a "$steered" -lt 2500 ]
check_eq "killed mid-build: no prefix points at a missing class" 0 "$(wf_dangling)"
check "the next start repairs it" xs -q start
wf_settled "after the killed start"
check_eq "every customer steered" 2500 "$(prefixes)"

# killed by the operator, at whatever point the polling sees classes
xs -q stop
# nsenter execs xshaper: $! is its pid
nsenter --net="/run/netns/$TB_BOX" "$XS_BIN" -q -c "$WF_INI" start >/dev/null 2>&1 &
pid=$!
XS_PIDS+=("$pid")
for _ in $(seq 1 200); do
	n=$(box tc class show dev lan 2>/dev/null | grep -c htb)
	[ "$n" -gt 600 ] && break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check_eq "start killed by polling ($n classes on lan): no dangling prefix" 0 "$(wf_dangling)"
check "the next reload repairs it" xs -q reload
wf_settled "after the start killed by polling"

# the progress line: on a pty, not into a file, not with -q
xs -q stop
script -qc "nsenter --net=/run/netns/$TB_BOX '$XS_BIN' -c '$WF_INI' start" /dev/null >"$WF_DIR/tty" 2>&1
check "on a terminal: a progress line" grep -q "building trees: " "$WF_DIR/tty"
xs -q stop
xs start >/dev/null 2>"$WF_DIR/err"
check_eq "stderr a file: no progress line" 0 "$(grep -c "building trees" "$WF_DIR/err")"
xs -q stop
script -qc "nsenter --net=/run/netns/$TB_BOX '$XS_BIN' -q -c '$WF_INI' start" /dev/null >"$WF_DIR/tty" 2>&1
check_eq "-q on a terminal: no progress line" 0 "$(grep -c "building trees" "$WF_DIR/tty")"
check_eq "-q on a terminal: nothing at all" 0 "$(wc -c <"$WF_DIR/tty")"
wf_settled "after the last start"
