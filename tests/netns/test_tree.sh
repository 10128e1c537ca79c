#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The trees of two interfaces for two CPUs, built over netlink from a plan:
# exactly as planned, untouched by a second apply, changed in place, one
# customer added or removed without touching the others, and the previous
# roots put back on stop. Leaf pfifo (this kernel has no fq_codel), whose
# absence must be one clear error.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tree_env.sh"

# lacks PATTERN TEXT
lacks() {
	! grep -q "$1" <<<"$2"
}

# the peer's root before start: noqueue on lan0, a pfifo on wan0
nsrun "$BOX" tc qdisc add dev wan0 root pfifo
check_eq "lan0 root before start" "noqueue" "$(nsrun "$BOX" "$TOOL" root lan0)"
check_eq "wan0 root before start" "pfifo" "$(nsrun "$BOX" "$TOOL" root wan0)"

# --- build -------------------------------------------------------------
# id txq minor down_rate down_ceil up_rate up_ceil
plan "1001 0 3 10m 50m 4m 20m" \
	"1002 1 3 5m 20m 2m 8m" \
	"1003 0 4 2m 8m 1m 3m" \
	"1004 1 4 1m 4m 1m 2m"
check "apply builds both trees" apply
# per interface: mq, 2 htb, 2 x (root + default class), 4 customers
check_eq "build sends 22 messages" 22 "$(messages)"
check_eq "lan0: 4 customers added" 4 "$(count lan0 added)"
check_eq "wan0: 4 customers added" 4 "$(count wan0 added)"

want_lan="${H0}:1 root 1Gbit 1Gbit
${H0}:2 ${H0}:1 2Mbit 1Gbit
${H0}:3 ${H0}:1 10Mbit 50Mbit
${H0}:4 ${H0}:1 2Mbit 8Mbit
${H1}:1 root 1Gbit 1Gbit
${H1}:2 ${H1}:1 2Mbit 1Gbit
${H1}:3 ${H1}:1 5Mbit 20Mbit
${H1}:4 ${H1}:1 1Mbit 4Mbit"
want_wan="${H0}:1 root 1Gbit 1Gbit
${H0}:2 ${H0}:1 2Mbit 1Gbit
${H0}:3 ${H0}:1 4Mbit 20Mbit
${H0}:4 ${H0}:1 1Mbit 3Mbit
${H1}:1 root 1Gbit 1Gbit
${H1}:2 ${H1}:1 2Mbit 1Gbit
${H1}:3 ${H1}:1 2Mbit 8Mbit
${H1}:4 ${H1}:1 1Mbit 2Mbit"
check_eq "lan0 classes: download rates and ceils as planned" "$want_lan" "$(classes lan0)"
check_eq "wan0 classes: upload rates and ceils as planned" "$want_wan" "$(classes wan0)"

# HTB's own pfifo on every customer and default class; mq slots past the
# two trees keep the default pfifo_fast
want_q="htb ${H0}: 7fff:1
htb ${H1}: 7fff:2
mq 7fff: root
pfifo 0: ${H0}:2
pfifo 0: ${H0}:3
pfifo 0: ${H0}:4
pfifo 0: ${H1}:2
pfifo 0: ${H1}:3
pfifo 0: ${H1}:4
pfifo_fast 0: 7fff:3
pfifo_fast 0: 7fff:4"
check_eq "lan0 qdiscs: mq, two htb, a pfifo leaf per class" "$want_q" "$(qdiscs lan0)"
check_eq "wan0 qdiscs: mq, two htb, a pfifo leaf per class" "$want_q" "$(qdiscs wan0)"
check_eq "both HTBs send unclassified traffic to class 2" 2 \
	"$(nsrun "$BOX" tc qdisc show dev lan0 | grep -c 'htb .* default 0x2 ')"

# explicit quantum and burst: rate / 10 clamped to 1514..200000, 1 ms of rate >= 4 frames
detail=$(nsrun "$BOX" tc -d class show dev lan0)
check "${H0}:3 (10 Mbit/s) has quantum 125000" grep -q "htb ${H0}:3 .*quantum 125000 " <<<"$detail"
check "${H1}:4 (1 Mbit/s) has quantum 12500" grep -q "htb ${H1}:4 .*quantum 12500 " <<<"$detail"
check "root class burst is 1 ms at 1 Gbit/s" grep -q "htb ${H0}:1 root .*burst 125000b" <<<"$detail"
check "1 Mbit/s class burst is 4 frames" grep -q "htb ${H1}:4 .* burst 605[0-9]b" <<<"$detail"

# --- idempotence -------------------------------------------------------
check "apply again" apply
check_eq "the same plan again sends 0 messages" 0 "$(messages)"
check_eq "lan0: 4 customers unchanged" 4 "$(count lan0 unchanged)"

# --- in-place rate change ----------------------------------------------
send lan0 0 ${H0}:3 20
send lan0 1 ${H1}:3 20
send wan0 0 ${H0}:3 20
b13=$(sent lan0 ${H0}:3)
b23=$(sent lan0 ${H1}:3)
w13=$(sent wan0 ${H0}:3)
check "traffic went through lan0 ${H0}:3" test "${b13:-0}" -gt 0
check "traffic went through lan0 ${H1}:3" test "${b23:-0}" -gt 0
check "traffic went through wan0 ${H0}:3" test "${w13:-0}" -gt 0

plan "1001 0 3 20m 50m 4m 20m" \
	"1002 1 3 5m 20m 2m 8m" \
	"1003 0 4 2m 8m 1m 3m" \
	"1004 1 4 1m 4m 1m 2m"
check "apply a download rate change" apply
check_eq "one class changed: 1 message" 1 "$(messages)"
check_eq "lan0: 1 changed" 1 "$(count lan0 changed)"
check_eq "wan0: nothing changed" 4 "$(count wan0 unchanged)"
check "lan0 ${H0}:3 has the new rate" grep -q "^${H0}:3 ${H0}:1 20Mbit 50Mbit$" <<<"$(classes lan0)"
check_eq "lan0 ${H0}:3 kept its byte counter" "$b13" "$(sent lan0 ${H0}:3)"
check_eq "wan0 ${H0}:3 kept its byte counter" "$w13" "$(sent wan0 ${H0}:3)"

# --- one customer added, one removed -----------------------------------
before_q=$(qdiscs lan0)
plan "1001 0 3 20m 50m 4m 20m" \
	"1002 1 3 5m 20m 2m 8m" \
	"1003 0 4 2m 8m 1m 3m" \
	"1004 1 4 1m 4m 1m 2m" \
	"1005 0 5 3m 6m 3m 6m"
check "apply one more customer" apply
check_eq "adding one customer: 1 class per interface" 2 "$(messages)"
check_eq "lan0: 1 added, 4 unchanged" "1 4" "$(count lan0 added) $(count lan0 unchanged)"
check "lan0 has ${H0}:5" grep -q "^${H0}:5 ${H0}:1 3Mbit 6Mbit$" <<<"$(classes lan0)"
check_eq "lan0 ${H0}:3 counter untouched by the add" "$b13" "$(sent lan0 ${H0}:3)"
check_eq "lan0 ${H1}:3 counter untouched by the add" "$b23" "$(sent lan0 ${H1}:3)"
check_eq "lan0 qdiscs: only the new leaf" \
	"$(printf '%s\npfifo 0: %s:5' "$before_q" "$H0" | LC_ALL=C sort)" "$(qdiscs lan0)"

plan "1001 0 3 20m 50m 4m 20m" \
	"1003 0 4 2m 8m 1m 3m" \
	"1004 1 4 1m 4m 1m 2m" \
	"1005 0 5 3m 6m 3m 6m"
check "apply without customer 1002" apply --phase create
check_eq "phase 1 deletes nothing" 0 "$(messages)"
check "${H1}:3 still there between the phases" grep -q "^${H1}:3 " <<<"$(classes lan0)"
check "apply phase 2" apply --phase delete
check_eq "removing one customer: 1 class per interface" 2 "$(messages)"
check "lan0 ${H1}:3 is gone" lacks "^${H1}:3 " "$(classes lan0)"
check "lan0 ${H1}:3 leaf is gone" lacks " ${H1}:3\$" "$(qdiscs lan0)"
check_eq "lan0 ${H0}:3 counter untouched by the removal" "$b13" "$(sent lan0 ${H0}:3)"
check "apply again after the removal" apply
check_eq "and then nothing is left to do" 0 "$(messages)"

# --- clear errors --------------------------------------------------------
if nsrun "$BOX" "$TOOL" check-leaf fq_codel >"$LOG" 2>&1; then
	echo "SKIP: this kernel has fq_codel; the missing-qdisc error is not testable"
else
	check "missing fq_codel: names it" grep -q "this kernel has no fq_codel qdisc" "$LOG"
	check "missing fq_codel: names the alternatives" grep -q "it has: .*pfifo" "$LOG"
	before_q=$(qdiscs wan0)
	apply --leaf fq_codel
	check "apply with leaf fq_codel fails with the same message" \
		grep -q "this kernel has no fq_codel qdisc" "$LOG"
	check_eq "and touches nothing" "$before_q" "$(qdiscs wan0)"

	# without the probe every refused request is reported with what it was
	apply --leaf fq_codel --no-leaf-check
	check "a refused request names the device, the leaf and the class" \
		grep -q "lan0: create fq_codel leaf [0-9a-f]*: on class ${H0}:2: No such file or directory" "$LOG"
	check "with the kernel's own reason" grep -q "(kernel: Specified qdisc kind is unknown)" "$LOG"
	check_eq "the apply fails" "" "$(messages)"
	check "apply with pfifo again" apply
	check_eq "the trees are as they were" "$before_q" "$(qdiscs wan0)"
fi
nsrun "$BOX" "$TOOL" apply --plan "$PLAN" --txqs 8 lan0 down >"$LOG" 2>&1
check "too few TX queues: says how many there are" grep -q "lan0: has 4 TX queues, xshaper needs 8" "$LOG"
check "too few TX queues: says how to raise them" grep -q "numtxqueues 8" "$LOG"
if nsrun "$BOX" ethtool -L lan0 tx 1 2>/dev/null; then
	apply
	check "channels lowered with ethtool -L: the queues in use count" \
		grep -q "lan0: has 1 TX queues, xshaper needs 2" "$LOG"
	nsrun "$BOX" ethtool -L lan0 tx 4
fi
nsrun "$BOX" "$TOOL" apply --plan "$PLAN" nosuch0 down >"$LOG" 2>&1
check "no such interface: says so" grep -q "nosuch0: no such interface" "$LOG"

# --- stop ----------------------------------------------------------------
check "stop lan0" nsrun "$BOX" "$TOOL" stop lan0 noqueue >/dev/null
check "stop wan0" nsrun "$BOX" "$TOOL" stop wan0 pfifo >/dev/null
check_eq "lan0 root is noqueue again" "noqueue" "$(nsrun "$BOX" "$TOOL" root lan0)"
check_eq "wan0 root is pfifo again" "pfifo" "$(nsrun "$BOX" "$TOOL" root wan0)"
check_eq "no HTB class left on lan0" "" "$(classes lan0)"
check "stop again is a no-op" nsrun "$BOX" "$TOOL" stop lan0 noqueue >/dev/null
