#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Whatever was done to the trees by hand (or by a run killed half way), the
# next apply puts back exactly what the plan says, with one message per
# thing that is wrong; and lowering queues_per_cpu retires the extra trees.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tree_env.sh"

tcb() {
	nsrun "$BOX" tc "$@"
}

plan "1001 0 3 10m 50m" "1002 1 3 5m 20m" "1003 0 4 2m 8m" "1004 1 4 1m 4m"
check "build" apply
good_lan=$(classes lan0)
good_q=$(qdiscs lan0)

# a leaf of the wrong kind goes back to HTB's own pfifo
tcb qdisc add dev lan0 parent ${H0}:3 handle 9000: bfifo
check "apply with a bfifo leaf on ${H0}:3" apply
check_eq "wrong leaf kind: 1 message" 1 "$(messages)"
check_eq "lan0: 1 changed" 1 "$(count lan0 changed)"
check "the bfifo is gone" bash -c "! nsenter --net=/run/netns/$BOX tc qdisc show dev lan0 | grep -q bfifo"
check "apply after the leaf repair" apply
check_eq "HTB's own pfifo counts as pfifo: nothing to do" 0 "$(messages)"
send lan0 0 ${H0}:3 5
check "${H0}:3 still passes traffic" test "$(sent lan0 ${H0}:3)" -gt 0

# a class changed by hand
tcb class change dev lan0 parent ${H0}:1 classid ${H0}:4 htb rate 7mbit ceil 9mbit
check "apply after a hand-made rate change" apply
check_eq "changed class: 1 message" 1 "$(messages)"
check_eq "${H0}:4 back to its plan" "$good_lan" "$(classes lan0)"

# a class deleted by hand, and a foreign one added
tcb class del dev lan0 classid ${H1}:4
tcb class add dev lan0 parent ${H0}:1 classid ${H0}:99 htb rate 1mbit
check "apply after a deleted and an added class" apply
check_eq "one create and one delete" 2 "$(messages)"
check_eq "lan0: 1 added, 1 removed" "1 1" "$(count lan0 added) $(count lan0 removed)"
check_eq "classes as planned" "$good_lan" "$(classes lan0)"

# a whole tree gone
tcb qdisc del dev lan0 parent 7fff:2
check "apply after losing htb ${H1}:" apply
# htb, root and default class, 2 customers
check_eq "tree 2 rebuilt: 5 messages" 5 "$(messages)"
check_eq "classes as planned" "$good_lan" "$(classes lan0)"
# the pfifo HTB grafts on 7000:3 when its bfifo was deleted is not listed at all
check_eq "qdiscs as planned" "$(grep -v " ${H0}:3\$" <<<"$good_q")" "$(qdiscs lan0 | grep -v " ${H0}:3\$")"

# an HTB of ours with the wrong default class is rebuilt
tcb qdisc del dev lan0 parent 7fff:1
tcb qdisc add dev lan0 parent 7fff:1 handle ${H0}: htb default 9
tcb class add dev lan0 parent ${H0}: classid ${H0}:1 htb rate 1gbit quantum 60000
check "apply after a wrong default class" apply
check_eq "classes as planned" "$good_lan" "$(classes lan0)"
check "htb ${H0}: defaults to class 2 again" bash -c \
	"nsenter --net=/run/netns/$BOX tc qdisc show dev lan0 | grep -q 'htb ${H0}: .*default 0x2 '"

# a run killed between the phases: the next one finishes the job
plan "1001 0 3 10m 50m" "1003 0 4 2m 8m" "1005 1 5 3m 3m"
check "phase 1 only" apply --phase create
check "a class waiting for phase 2 is still there" grep -q "^${H1}:3 " <<<"$(classes lan0)"
check "next full apply" apply
check_eq "finishes with the deletes: 2 classes per interface" 4 "$(messages)"
check "apply once more" apply
check_eq "then nothing" 0 "$(messages)"

# lowering queues_per_cpu: 4 trees, then 2
plan "1001 0 3 10m 50m" "1002 1 3 5m 20m" "1003 2 3 2m 8m" "1004 3 3 1m 4m"
check "4 trees" apply --txqs 4
check_eq "4 HTBs on lan0" 4 "$(qdiscs lan0 | grep -c '^htb ')"
plan "1001 0 3 10m 50m" "1002 1 3 5m 20m"
check "back to 2 trees" apply --txqs 2
check_eq "lan0: the 2 customers of the retired trees removed" 2 "$(count lan0 removed)"
check_eq "2 HTBs left" 2 "$(qdiscs lan0 | grep -c '^htb ')"
check "retired mq slots hold pfifo_fast again" bash -c \
	"[ \$(nsenter --net=/run/netns/$BOX tc qdisc show dev lan0 | grep -c 'pfifo_fast .* parent 7fff:[34] ') -eq 2 ]"

check "stop lan0" nsrun "$BOX" "$TOOL" stop lan0 >/dev/null
check "stop wan0" nsrun "$BOX" "$TOOL" stop wan0 >/dev/null
check_eq "roots back to noqueue" "noqueue noqueue" \
	"$(nsrun "$BOX" "$TOOL" root lan0) $(nsrun "$BOX" "$TOOL" root wan0)"
