#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What xshaper shows of what it is given. A customer's name with terminal
# control sequences cannot retitle or clear the operator's terminal from
# `stats`; a quoted CSV field with a newline cannot forge a line of its own
# on stderr; valid UTF-8 names are shown as they are; ids on the command
# line are taken exactly (no 32-bit wrap-around onto another customer).
source "$(dirname "$0")/workflow.sh"
wf_up

# no_byte BYTE FILE: FILE does not hold BYTE
no_byte() {
	! LC_ALL=C grep -q "$1" "$2"
}

{
	echo "id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil"
	printf '1001,"\e]0;PWNED\a\e[2J",198.19.1.1,5mbit,10mbit,2mbit,5mbit\n'
	printf '1002,M\xc3\xbcller,198.19.1.2,5mbit,10mbit,2mbit,5mbit\n'
	printf '1003,\xe6\x9d\xb1\xe4\xba\xac,198.19.1.3,5mbit,10mbit,2mbit,5mbit\n'
	printf '1004,"two\nlines",198.19.1.4,5mbit,10mbit,2mbit,5mbit\n'
} >"$WF_CSV"
check "start with names holding control characters" xs -q start

xs stats --interval 0 >"$WF_DIR/stats.txt" 2>&1
check "stats: no ESC byte in the text output" no_byte $'\e' "$WF_DIR/stats.txt"
check "stats: no BEL byte in the text output" no_byte $'\a' "$WF_DIR/stats.txt"
check "stats: the name is shown escaped" grep -qF '1001       \x1b]0;PWNED\x07 down' "$WF_DIR/stats.txt"
check "stats: a newline in a name is shown as \\n" grep -qF '1004       two\nlines' "$WF_DIR/stats.txt"
check "stats: and starts no line of its own" bash -c "! grep -q '^lines' '$WF_DIR/stats.txt'"
check "stats: a UTF-8 name passes untouched (Müller)" grep -q "^1002 *Müller *down" "$WF_DIR/stats.txt"
check "stats: a UTF-8 name passes untouched (東京)" grep -q "^1003 *東京 *up" "$WF_DIR/stats.txt"
# JSON keeps its own escaping, not ours on top
check "stats --json: the name decodes to what the list says" python3 -c '
import json, sys
s = {c["id"]: c["name"] for c in json.load(sys.stdin)["customers"]}
assert s["1001"] == "\x1b]0;PWNED\x07\x1b[2J", s["1001"]
assert s["1002"] == "Müller" and s["1003"] == "東京" and s["1004"] == "two\nlines", s
' < <(xs stats --json --interval 0)
# an idle customer: RTT per side with no samples, no retransmits
check "stats --json: rtt and retransmits per customer, empty when idle" python3 -c '
import json, sys
for c in json.load(sys.stdin)["customers"]:
    for side in ("lan", "wan"):
        assert c["rtt"][side] == {"samples": 0, "p50_ms": None, "p95_ms": None}, c
    assert c["retransmits"] == {"down": 0, "up": 0}, c
' < <(xs stats --json --interval 1)

# a CSV field with a newline and a forged summary: the message escapes it
cp "$WF_CSV" "$WF_DIR/good.csv"
printf '"1005\nreload: 9 added, 0 removed, 0 changed, 0 moved, 0 unchanged, 0.01 s",x,198.19.1.5,1,2,1,2\n' \
	>>"$WF_CSV"
xs reload >"$WF_DIR/out" 2>"$WF_DIR/err"
check_eq "reload of a list with a bad quoted id: exit 1" 1 "$?"
cat "$WF_DIR/err"
check "the error names the id, its newline escaped" \
	grep -qF "customers.csv:7: id '1005\\nreload: 9 added, 0 removed" "$WF_DIR/err"
check "no line on stderr starts with reload:" bash -c "! grep -qE '^(xshaper: )?reload:' '$WF_DIR/err'"
check "nothing on stdout" [ ! -s "$WF_DIR/out" ]
cp "$WF_DIR/good.csv" "$WF_CSV"

# ids exactly, as text: 4294968297 (2^32 + 1001), +1001 and 0 are ids of nobody
# here, not customer 1001; " 1001" and "" are no ids at all
for id in 4294968297 18446744073709552617 " 1001" "+1001" "-1001" "1001x" "0" ""; do
	xs stats --interval 0 "$id" >"$WF_DIR/out" 2>"$WF_DIR/err"
	check_eq "stats '$id': exit 1" 1 "$?"
	check "stats '$id': not shown as customer 1001" bash -c "! grep -q '^1001 ' '$WF_DIR/out'"
done
check "stats 4294968297: no such customer" \
	grep -q "stats: no such customer '4294968297'" <(xs stats --interval 0 4294968297 2>&1)
check "stats +1001: no such customer" \
	grep -q "stats: no such customer '+1001'" <(xs stats --interval 0 +1001 2>&1)
check "stats ' 1001': not a customer id" \
	grep -q "stats: ' 1001' is not a customer id" <(xs stats --interval 0 " 1001" 2>&1)
check "stats 1001 still shows 1001" grep -q '^1001 ' <(xs stats --interval 0 1001)
check "stop" xs -q stop
