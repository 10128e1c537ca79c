#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The command line contract: exit codes, check's summary and its errors
# (FILE:LINE for every bad row and key), commands that need a started
# xshaper when there is none.
source "$(dirname "$0")/lib.sh"

X=$XS_BIN
D=$(mktemp -d /tmp/xshaper-cli.XXXXXX)
on_exit "rm -rf '$D'"

expect_exit() {
	local what=$1 want=$2
	shift 2
	"$@" >"$D/out" 2>&1
	local rc=$?
	if [ "$rc" -eq "$want" ]; then
		pass "$what (exit $want)"
	else
		fail "$what: exit $rc, expected $want: $(head -3 "$D/out")"
	fi
}

expect_exit "--help" 0 "$X" --help
check "--help lists the commands" grep -q "reload \[--dry-run\]" "$D/out"
expect_exit "--version" 0 "$X" --version
check "--version prints it" grep -qE "^xshaper [0-9]+\.[0-9]+" "$D/out"
expect_exit "no command" 1 "$X"
expect_exit "unknown command" 1 "$X" frobnicate
expect_exit "missing config file" 1 "$X" -c "$D/none.ini" check
check "missing config is named" grep -q "$D/none.ini" "$D/out"

cat >"$D/ok.ini" <<'EOF2'
[interfaces]
wan = xs-none-wan
lan = xs-none-lan
[cpus]
list = 0
[shaping]
leaf_qdisc = pfifo
[customers]
file = customers.csv
[system]
bpffs = /sys/fs/bpf/xs-cli-none
EOF2
cat >"$D/customers.csv" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1001,Alice,198.19.1.10/32 2001:db8:1::/56,10mbit,50mbit,5mbit,20mbit
1002,Bob,198.19.2.0/24,5,10,1,2
1003,Carol,198.19.2.7,5,10,1,2
EOF2
expect_exit "check of a good config and list" 0 "$X" -c "$D/ok.ini" check
check "check: counts" grep -q "3 customers, 4 prefixes (3 IPv4, 1 IPv6)" "$D/out"
check "check: warns about a nested prefix" grep -q "warning: .*198.19.2.7" "$D/out"
# 198.19.1.0/24 and 198.19.2.0/24 hold /32s (a chunk each); the /56 passes 5 bytes
check "check: the lookup table it needs" grep -q "lookup table: 7 of 32768 chunks" "$D/out"

# [system] bpffs where no BPF filesystem is or will be: an error, nothing made
sed "s|^bpffs = .*|bpffs = $D/pins/xshaper|" "$D/ok.ini" >"$D/pins.ini"
expect_exit "check: bpffs not on a BPF filesystem" 1 "$X" -c "$D/pins.ini" check
check "check: names bpffs and why" \
	grep -q "\[system\] bpffs = $D/pins/xshaper: not on a BPF filesystem" "$D/out"
check "check: created nothing for it" [ ! -e "$D/pins" ]
# a header and nothing else (an export that went wrong?) is valid, but said
cp "$D/customers.csv" "$D/customers.good"
printf 'id,prefixes,down_rate,down_ceil,up_rate,up_ceil\n# none yet\n\n' >"$D/customers.csv"
expect_exit "check of a list with only the header" 0 "$X" -c "$D/ok.ini" check
check "check: warns that the list has no customers" \
	grep -q "warning: .*customers.csv: no customers, only the header" "$D/out"
cp "$D/customers.good" "$D/customers.csv"
check "check: no such warning for a list with customers" \
	bash -c "'$X' -c '$D/ok.ini' check 2>&1 | grep -q 'no customers' && exit 1 || exit 0"

# 600 IPv6 /64s in distinct /48s: 1206 chunks (6 shared, 2 a /64), more than 1M holds
sed 's/^bpffs = .*/&\nlookup_memory = 1M/' "$D/ok.ini" >"$D/small.ini"
cp "$D/customers.csv" "$D/customers.good"
{
	echo "id,prefixes,down_rate,down_ceil,up_rate,up_ceil"
	for i in $(seq 1 600); do
		printf '%d,2001:db8:%x:%x::/64,1,2,1,2\n' "$i" "$i" "$i"
	done
} >"$D/customers.csv"
expect_exit "check of a list the lookup table cannot hold" 0 "$X" -c "$D/small.ini" check
check "check: warns that the table is too small" \
	grep -q "warning: the lookup table needs 1206 KiB, more than .*lookup_memory = 1024K" "$D/out"
cp "$D/customers.good" "$D/customers.csv"

printf 'id,prefixes,down_rate,down_ceil,up_rate,up_ceil\n1,198.19.1.1,5,1,1,1\n2,banana,1,1,1,1\n3,198.19.1.3,1,1,1,1\n3,198.19.1.4,1,1,1,1\n' \
	>"$D/customers.csv"
expect_exit "check of a bad list" 1 "$X" -c "$D/ok.ini" check
for l in 2 3 5; do
	check "bad list: line $l reported" grep -q "customers.csv:$l:" "$D/out"
done
check "bad list: line 4 is fine" bash -c "! grep -q 'customers.csv:4:' '$D/out'"

# IPv6 over ::ffff:0:0/96 would take every IPv4 address: refused like any bad row
printf 'id,prefixes,down_rate,down_ceil,up_rate,up_ceil\n1,198.19.1.1,1,2,1,2\n2,::/0,1,2,1,2\n3,2001:db8::/32 ::/8,1,2,1,2\n' \
	>"$D/customers.csv"
expect_exit "check of a list with ::/0" 1 "$X" -c "$D/ok.ini" check
check "::/0 refused on its line" grep -q "customers.csv:3: customer 2: prefix '::/0': all of IPv6" "$D/out"
check "::/8 refused: it would match IPv4" \
	grep -q "customers.csv:4: customer 3: prefix '::/8': .*would match IPv4 packets" "$D/out"
check "198.19.1.1 is not nested in an IPv6 prefix" bash -c "! grep -q 'lies inside' '$D/out'"

printf '[interfaces]\nwan = a\nlan = a\nxdp_mode = turbo\n[cpus]\nqueue_size = -1\n[shaping]\nleaf_qdisc = cake\n' >"$D/bad.ini"
expect_exit "check of a bad config" 1 "$X" -c "$D/bad.ini" check
for k in "lan" "xdp_mode" "queue_size" "leaf_qdisc"; do
	check "bad config: $k reported" grep -q "$k" "$D/out"
done

printf 'id,prefixes,down_rate,down_ceil,up_rate,up_ceil\n1,198.19.1.1,1,1,1,1\n' >"$D/customers.csv"
if [ "$(id -u)" -eq 0 ]; then
	sed 's/leaf_qdisc = pfifo/leaf_qdisc = fq_codel/' "$D/ok.ini" >"$D/fq.ini"
	if ! ip netns add "xs-fq-$XS_SUFFIX" 2>/dev/null; then
		skip_all "cannot create network namespaces"
	fi
	ip netns exec "xs-fq-$XS_SUFFIX" tc qdisc add dev lo root fq_codel 2>/dev/null
	have=$?
	ip netns del "xs-fq-$XS_SUFFIX"
	if [ "$have" -ne 0 ]; then
		expect_exit "check: a leaf qdisc the kernel lacks" 1 "$X" -c "$D/fq.ini" check
		check "names the qdisc and what the kernel has" grep -q "no fq_codel qdisc; it has: pfifo" "$D/out"
	fi
	expect_exit "reload before start" 2 "$X" -c "$D/ok.ini" reload
	check "says to run start" grep -q "xshaper start" "$D/out"
	expect_exit "lookup before start" 2 "$X" -c "$D/ok.ini" lookup 198.19.1.1
	expect_exit "status before start" 0 "$X" -c "$D/ok.ini" status
	check "status says not started" grep -q "not started" "$D/out"
	expect_exit "start on missing interfaces" 2 "$X" -c "$D/ok.ini" start
	check "names the missing interface" grep -q "xs-none-" "$D/out"
	check "nothing pinned after a failed start" [ ! -e /sys/fs/bpf/xs-cli-none ]
fi
expect_exit "reload with a stray argument" 1 "$X" -c "$D/ok.ini" reload --now
