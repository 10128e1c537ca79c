# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the tree tests (after lib.sh): a shaper namespace with lan0
# and wan0 (4 TX queues each), their peers in a second namespace, and
# helpers to drive build/bench/tree_tool and read the trees back with tc.
#
#   box   lan0 198.18.0.1/24  <-> lanp 198.18.0.2/24   peer
#         wan0 198.18.1.1/24  <-> wanp 198.18.1.2/24
#
# XPS maps CPU 0 to TX queue 0 and CPU 1 to TX queue 1, so a sender pinned
# to a CPU reaches a known HTB tree; SO_PRIORITY picks the class in it.

TOOL=$XS_TOP/build/bench/tree_tool
[ -x "$TOOL" ] || skip_all "$TOOL missing; run make test"
require_root

# netns_add in a command substitution would register the namespace in a
# subshell only, and it would then escape the cleanup: call it plainly.
netns_add box >/dev/null || skip_all "cannot create a namespace"
netns_add peer >/dev/null || skip_all "cannot create a namespace"
BOX=box-$XS_SUFFIX
PEER=peer-$XS_SUFFIX

for dev in lan wan; do
	ip -n "$BOX" link add ${dev}0 numtxqueues 4 numrxqueues 4 type veth \
		peer name ${dev}p numtxqueues 4 numrxqueues 4 netns "$PEER"
	ip -n "$BOX" link set ${dev}0 up
	ip -n "$PEER" link set ${dev}p up
done
ip -n "$BOX" addr add 198.18.0.1/24 dev lan0
ip -n "$PEER" addr add 198.18.0.2/24 dev lanp
ip -n "$BOX" addr add 198.18.1.1/24 dev wan0
ip -n "$PEER" addr add 198.18.1.2/24 dev wanp
# ip netns exec mounts a sysfs of the namespace, where the queues are
ip netns exec "$BOX" sh -c '
	for d in lan0 wan0; do
		q=/sys/class/net/$d/queues
		echo 1 >$q/tx-0/xps_cpus; echo 2 >$q/tx-1/xps_cpus
		echo 0 >$q/tx-2/xps_cpus; echo 0 >$q/tx-3/xps_cpus
	done' || skip_all "XPS not available"

PLAN=$(mktemp)
on_exit rm -f "$PLAN"
LOG=$(mktemp)
on_exit rm -f "$LOG"

# plan LINE...: write the plan file ("id txq minor rate ceil" a line)
plan() {
	printf '%s\n' "$@" >"$PLAN"
}

# apply [tree_tool options]: both interfaces, 2 CPUs, 1 Gbit/s; output in $LOG
apply() {
	nsrun "$BOX" "$TOOL" apply --plan "$PLAN" --txqs 2 --capacity 1g --default-rate 2m \
		"$@" lan0 down wan0 up >"$LOG" 2>&1
}

# messages sent by the last apply
messages() {
	sed -n 's/^total messages=\([0-9]*\).*/\1/p' "$LOG"
}

# count DEV FIELD: added/changed/removed/unchanged of the last apply
count() {
	sed -nE "s/^$1 (.* )?$2=([0-9]+).*/\2/p" "$LOG"
}

# classes DEV: "classid parent rate ceil" per HTB class, sorted
classes() {
	nsrun "$BOX" tc class show dev "$1" |
		awk '$2 == "htb" { p = ($4 == "root") ? "root" : $5
			for (i = 1; i <= NF; i++) { if ($i == "rate") r = $(i + 1); if ($i == "ceil") c = $(i + 1) }
			print $3, p, r, c }' | LC_ALL=C sort
}

# qdiscs DEV: "kind handle parent" of every qdisc, HTB's own leaves included
qdiscs() {
	nsrun "$BOX" tc qdisc show dev "$1" invisible |
		awk '{ print $2, $3, ($4 == "root") ? "root" : $5 }' | LC_ALL=C sort
}

# sent DEV CLASSID: bytes the class has sent
sent() {
	nsrun "$BOX" tc -s class show dev "$1" classid "$2" |
		sed -n 's/^ Sent \([0-9]*\) bytes.*/\1/p'
}

# send DEV CPU CLASSID PACKETS: UDP to the peer through a class
send() {
	local dst
	[ "$1" = lan0 ] && dst=198.18.0.2 || dst=198.18.1.2
	nsrun "$BOX" taskset -c "$2" python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
major, minor = (int(x, 16) for x in sys.argv[1].split(":"))
# a u32: majors reach 0xffff
s.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, struct.pack("I", major << 16 | minor))
for i in range(int(sys.argv[2])):
    s.sendto(b"x" * 1000, (sys.argv[3], 9))
' "$3" "$4" "$dst"
}
