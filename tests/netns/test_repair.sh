#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# No state in which customers are unshaped while the commands say all is
# well: a data path broken by hand is found by status (exit 2) and repaired
# by reload (counted in its summary), a second instance on the same
# interfaces is refused without touching the first, a truncated list is
# refused, and losing the pinned maps loses nothing that stop restores.
source "$(dirname "$0")/workflow.sh"
wf_up
sed -i '/^max_removed/d' "$WF_INI" # the default guard

cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,one,198.19.1.1 2001:db8:100::1,10mbit,20mbit,5mbit,10mbit
2,two,198.19.1.2,5mbit,10mbit,2mbit,5mbit
3,three,198.19.1.3,5mbit,10mbit,2mbit,5mbit
EOF2

# Before start: an operator's root qdisc and an XPS mask on lan, which
# stop must put back even when the pins are lost on the way.
box tc qdisc replace dev lan root pfifo_fast
box sh -c 'echo 1 > /sys/class/net/lan/queues/tx-0/xps_cpus'

check "start" xs start
status_ok() {
	local out rc
	out=$(xs status 2>&1)
	rc=$?
	check_eq "$1: status exit 0" 0 "$rc"
	check "$1: status says the data path is whole" grep -q "^data path: as start left it" <<<"$out"
}
status_ok "after start"

# The customer 1 class on lan and its byte counter
cls=$(xs lookup 198.19.1.1 | sed -n 's/.*classid \([0-9a-f]*:[0-9a-f]*\).*/\1/p')
class_bytes() {
	box tc -s class show dev lan classid "$cls" | awk '$1 == "Sent" { print $2; exit }'
}
traffic() {
	ip netns exec "$TB_INET" ping -q -c 20 -i 0.01 -s 1000 198.19.1.1 >/dev/null 2>&1
}

# broken WHAT CMD...: break the data path, then status says so with exit 2
# and reload repairs it, saying so, and status is clean again.
broken() {
	local what=$1 pattern=$2 out rc
	shift 2
	"$@" >/dev/null 2>&1
	out=$(xs status 2>&1)
	rc=$?
	check_eq "$what: status exit 2" 2 "$rc"
	check "$what: status names it" grep -q "^problem: .*$pattern" <<<"$out"
	out=$(xs -v reload 2>&1)
	rc=$?
	check_eq "$what: reload exit 0" 0 "$rc"
	check "$what: reload counts the repair" \
		grep -qE "^reload: 0 added, 0 removed, 0 changed, 0 moved, 3 unchanged, [1-9][0-9]* repaired" <<<"$out"
	status_ok "$what repaired"
}

broken "TC egress program deleted" "lan: no TC egress program" box tc filter del dev lan egress
before=$(class_bytes)
traffic
after=$(class_bytes)
check "TC repaired: customer 1's lan class counts its traffic again ($before -> $after bytes)" \
	[ "${after:-0}" -gt "$((before + 20000))" ]

broken "XDP program detached" "wan: no XDP program" box ip link set dev wan xdp off
check "XDP repaired: attached again" bash -c "ip -n $TB_BOX link show wan | grep -q xdp"
before=$(class_bytes)
traffic
after=$(class_bytes)
check "XDP repaired: customer 1's lan class counts its traffic ($before -> $after bytes)" \
	[ "${after:-0}" -gt "$((before + 20000))" ]

broken "mq root deleted" "lan: the root qdisc is not xshaper's mq" box tc qdisc del dev lan root
wf_settled "mq root repaired"
broken "customer class deleted" "lan: class $cls of customer 1 is missing" \
	box tc class del dev lan classid "$cls"
broken "XPS turned on" "lan: XPS is on" \
	box sh -c 'echo 2 > /sys/class/net/lan/queues/tx-1/xps_cpus'
broken "cpumap entry deleted" "cpumap: no entry for CPU 1" \
	bpftool map delete pinned "$WF_BPFFS/xs_cpumap" key 1 0 0 0

# A repair killed after any of its changes is finished by the next reload
n=1
while :; do
	box tc filter del dev lan egress
	box ip link set dev wan xdp off
	XSHAPER_TEST_KILL_AFTER=$n xs -q reload >/dev/null 2>&1
	rc=$?
	xs -q reload >/dev/null 2>&1
	check_eq "repair killed after change $n (exit $rc): the next reload exits 0" 0 "$?"
	out=$(xs status 2>&1)
	check_eq "repair killed after change $n: status exit 0 after the next reload" 0 "$?"
	[ "$rc" -eq 137 ] && [ "$n" -lt 12 ] || break
	n=$((n + 1))
done
check "the repair was killed at more than 4 points" [ "$n" -gt 4 ]
wf_settled "repairs killed and finished"

# The same with the pins lost: killed while pinning the maps again or after
n=1
while :; do
	rm -rf "$WF_BPFFS"
	XSHAPER_TEST_KILL_AFTER=$n xs -q reload >/dev/null 2>&1
	rc=$?
	xs -q reload >/dev/null 2>&1
	check_eq "lost-pins repair killed after change $n (exit $rc): the next reload exits 0" 0 "$?"
	out=$(xs status 2>&1)
	check_eq "lost-pins repair killed after change $n: status exit 0 after the next reload" 0 "$?"
	check_eq "lost-pins repair killed after change $n: customer 1 still looked up" 1 "$(wf_lookup 198.19.1.1)"
	[ "$rc" -eq 137 ] && [ "$n" -lt 16 ] || break
	n=$((n + 1))
done
check "the lost-pins repair was killed at more than 6 points" [ "$n" -gt 6 ]
wf_settled "lost-pins repairs killed and finished"

# Too few TX queues: not xshaper's to repair; status says the fix
box ethtool -L lan tx 1 >/dev/null 2>&1
out=$(xs status 2>&1)
check_eq "1 TX queue: status exit 2" 2 "$?"
check "1 TX queue: status gives the fix" grep -q "^problem: lan: has 1 TX queues, xshaper needs 4 .*ethtool -L lan tx 4" <<<"$out"
box ethtool -L lan tx 4 >/dev/null 2>&1
status_ok "TX queues back"

# A second instance (own bpffs and lock) naming the same interfaces
I2=$WF_DIR/second.ini
BPFFS2=/sys/fs/bpf/xs-test2-$XS_SUFFIX
on_exit "rm -rf '$BPFFS2'"
sed -e "s|^bpffs = .*|bpffs = $BPFFS2|" -e "s|^lock = .*|lock = $WF_DIR/lock2|" "$WF_INI" >"$I2"
xs2() {
	nsenter --net="/run/netns/$TB_BOX" "$XS_BIN" -c "$I2" "$@"
}
snapshot() {
	box tc class show dev lan
	box tc class show dev wan
	box ip -d link show wan | grep -o 'prog/xdp id [0-9]*'
	box ip -d link show lan | grep -o 'prog/xdp id [0-9]*'
	box tc filter show dev lan egress
	box tc filter show dev wan egress
	xs lookup 198.19.1.1
	xs lookup 198.19.1.2
}
snap1=$(snapshot)
out=$(xs2 start 2>&1)
check_eq "second instance: start exit 2" 2 "$?"
check "second instance: the refusal names the first's bpffs" grep -q "another xshaper instance (bpffs $WF_BPFFS)" <<<"$out"
out=$(xs2 stop 2>&1)
check_eq "second instance: its stop is exit 0" 0 "$?"
check "second instance: its stop has nothing of its own to stop" grep -q "nothing of this xshaper" <<<"$out"
check_eq "second instance: the first one's classes, programs and lookups are untouched" \
	"$snap1" "$(snapshot)"
status_ok "first instance after the second's attempts"

# A truncated list: refused by [customers] max_removed (default 10 %)
cp "$WF_CSV" "$WF_DIR/full.csv"
head -1 "$WF_DIR/full.csv" >"$WF_CSV"
out=$(xs check 2>&1)
check_eq "header-only list: check exit 0" 0 "$?"
classes=$(wf_classes lan)
out=$(xs reload 2>&1)
check_eq "header-only list: reload exit 1" 1 "$?"
check "header-only list: the refusal gives the numbers" \
	grep -q "would remove 3 of 3 live customers, more than \[customers\] max_removed = 10%" <<<"$out"
check_eq "header-only list: nothing changed" "$classes" "$(wf_classes lan)"
check_eq "header-only list: customer 1 still looked up" 1 "$(wf_lookup 198.19.1.1)"
out=$(xs reload --dry-run 2>&1)
check "dry run warns that the reload would be refused" grep -q "without --force it is refused" <<<"$out"
out=$(xs reload --force 2>&1)
check_eq "header-only list: reload --force exit 0" 0 "$?"
check "reload --force removes them" grep -q "^reload: 0 added, 3 removed" <<<"$out"
cp "$WF_DIR/full.csv" "$WF_CSV"
check "the list back" xs reload

# A change of [cpus] is a change, not a repair
sed -i 's/^list = 0-1$/list = 0/' "$WF_INI"
out=$(xs reload 2>&1)
check "one CPU less: a reload, no repair" grep -qE "^reload: .* 0 repaired" <<<"$out"
sed -i 's/^list = 0$/list = 0-1/' "$WF_INI"
out=$(xs reload 2>&1)
check "the CPU back: a reload, no repair" grep -qE "^reload: .* 0 repaired" <<<"$out"
wf_settled "CPUs back"

# Pins lost while the data path runs: the programs' maps are found again,
# customers stay steered on them, and the list guard still holds
rm -rf "$WF_BPFFS"
check_eq "pins lost: customer 1 still looked up (from the running programs)" 1 "$(wf_lookup 198.19.1.1)"
progs=$(box ip -d link show lan | grep -o 'prog/xdp id [0-9]*')
out=$(xs reload --dry-run 2>&1)
check_eq "pins lost: dry run exit 0" 0 "$?"
check "pins lost: dry run sees the customers where they are" \
	grep -q "^reload (dry run, nothing changed): 0 added, 0 removed, 0 changed, 0 moved, 3 unchanged, 1 to repair" <<<"$out"
check_eq "pins lost: dry run pinned nothing" "" "$(ls "$WF_BPFFS" 2>/dev/null)"
check_eq "pins lost: dry run replaced no program" "$progs" "$(box ip -d link show lan | grep -o 'prog/xdp id [0-9]*')"
head -1 "$WF_DIR/full.csv" >"$WF_CSV"
out=$(xs reload 2>&1)
check_eq "pins lost, header-only list: reload exit 1" 1 "$?"
check "pins lost, header-only list: refused with the numbers" grep -q "would remove 3 of 3 live customers" <<<"$out"
cp "$WF_DIR/full.csv" "$WF_CSV"
before=$(class_bytes)
out=$(xs status 2>&1)
check_eq "pins lost: status exit 2" 2 "$?"
check "pins lost: status says so" grep -q "^problem: $WF_BPFFS: pins missing (xs_prefixes, .*) while the programs run" <<<"$out"
out=$(xs reload 2>&1)
check_eq "pins lost: reload exit 0" 0 "$?"
check "pins lost: reload says what it found and did" grep -q "pins were missing (xs_prefixes, .*); the running programs' maps are pinned again" <<<"$out"
check "pins lost: reload counts the repair, nobody added" \
	grep -qE "^reload: 0 added, 0 removed, 0 changed, 0 moved, 3 unchanged, [1-9][0-9]* repaired" <<<"$out"
check "pins lost: the class kept its counters (same maps, same classes)" \
	[ "$(class_bytes)" -ge "${before:-1}" ]
status_ok "pins rebuilt"
wf_settled "pins rebuilt"
rm -f "$WF_BPFFS/xs_stats" "$WF_BPFFS/xs_prefixes"
out=$(xs status 2>&1)
check_eq "two pins lost: status exit 2" 2 "$?"
check "two pins lost: status names them" grep -q "pins missing (xs_prefixes, xs_stats) while the programs run" <<<"$out"
rm -rf "$WF_BPFFS"
out=$(xs start 2>&1)
check_eq "pins lost again: start exit 0" 0 "$?"
check "pins lost again: start says what it kept from the state file" \
	grep -q "the pinned state was gone; xshaper was started (state file .*): keeping its record of the interfaces (wan wan root noqueue, lan lan root pfifo_fast)" <<<"$out"
check "pins lost again: start pinned the running maps again" grep -q "the running programs' maps are pinned again" <<<"$out"
status_ok "pins rebuilt by start"
rm -rf "$WF_BPFFS"
out=$(xs stop 2>&1)
check_eq "pins lost: stop exit 0" 0 "$?"
check "pins lost: stop says it works from the state file" grep -q "stopping what the state file records" <<<"$out"
check "stop: the operator's root qdisc is back" bash -c "ip netns exec $TB_BOX tc qdisc show dev lan root | grep -q pfifo_fast"
check "stop: the XPS mask is back" bash -c "ip netns exec $TB_BOX cat /sys/class/net/lan/queues/tx-0/xps_cpus | grep -qx '0*1'"
check "stop: no clsact left" bash -c "! ip netns exec $TB_BOX tc qdisc show dev lan | grep -q clsact"
check "stop: no XDP left" bash -c "! ip -n $TB_BOX link show lan | grep -q xdp"
check "stop: the state file is gone" bash -c "! ls /run/xshaper/*xs%2Dtest%2D$XS_SUFFIX* 2>/dev/null | grep -q ."

# A stop killed before it removed the state file: a stale file starts nothing
check "start for the stale-file case" xs start
sf=$(ls /run/xshaper/*xs%2Dtest%2D$XS_SUFFIX.state)
cp "$sf" "$WF_DIR/stale.state"
check "stop" xs stop
cp "$WF_DIR/stale.state" "$sf"
on_exit "rm -f '$sf'"
out=$(xs reload 2>&1)
check_eq "stale state file: reload exit 2 (not started)" 2 "$?"
check "stale state file: reload says not started" grep -q "not started" <<<"$out"
check "stale state file: nothing attached" bash -c "! ip -n $TB_BOX link show lan | grep -q xdp"
out=$(xs status 2>&1)
check_eq "stale state file: status exit 0" 0 "$?"
check "stale state file: status says not started" grep -q "^not started" <<<"$out"
check "stale state file: stop removes it" xs stop
check "stale state file: gone" [ ! -e "$sf" ]

# Programs that carry xshaper's names but belong to another instance are
# foreign: the second instance runs, the first one's start is refused.
check "second instance starts on the free interfaces" xs2 start
out=$(xs start 2>&1)
check_eq "first instance: start on the second's interfaces exit 2" 2 "$?"
check "first instance: the refusal names the second's bpffs" grep -q "another xshaper instance (bpffs $BPFFS2)" <<<"$out"
check "second instance stops" xs2 stop

# stop is logged to syslog like start and reload: a listener on /dev/log
# in a private mount namespace
LOGSOCK=$WF_DIR/log
python3 - "$LOGSOCK" "$WF_DIR/syslog.txt" <<'EOF2' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "ab", buffering=0) as f:
    try:
        while True:
            f.write(s.recv(4096) + b"\n")
    except socket.timeout:
        pass
EOF2
XS_PIDS+=($!)
wait_for 5 test -S "$LOGSOCK"
check "start again" xs start
unshare -m bash -c "
	mount --make-rprivate /
	mkdir -p '$WF_DIR/dev'
	mount --bind /dev '$WF_DIR/dev'
	mount -t tmpfs tmpfs /dev
	for f in null zero urandom random; do touch /dev/\$f; mount --bind '$WF_DIR/dev/'\$f /dev/\$f; done
	touch /dev/log
	mount --bind '$LOGSOCK' /dev/log
	nsenter --net=/run/netns/$TB_BOX '$XS_BIN' -c '$WF_INI' stop" >/dev/null 2>&1
check_eq "stop under the syslog listener exit 0" 0 "$?"
# the listener writes what it got as it gets it: poll for the line
check "stop is in syslog" wait_for 5 grep -q "xshaper\[[0-9]*\]: stopped: wan and lan are as before start" "$WF_DIR/syslog.txt"
