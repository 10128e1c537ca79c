#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What check does with inputs that are not what they should be: a FIFO or
# a device as the config or the customer list (refused at once, not read
# forever), files over the caps, a million bad rows (a screenful of errors
# in bounded memory). No namespace needed.
source "$(dirname "$0")/lib.sh"

X=$XS_BIN
D=$(mktemp -d /tmp/xshaper-inputs.XXXXXX)
on_exit "rm -rf '$D'"

# run_timed WHAT WANT_RC MAX_MS command...: the exit code, and that it took at most MAX_MS
run_timed() {
	local what=$1 want=$2 max=$3 start ms rc
	shift 3
	start=$(date +%s%N)
	timeout 5 "$@" >"$D/out" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ "$rc" -eq "$want" ] && [ "$ms" -le "$max" ]; then
		pass "$what (exit $rc in $ms ms)"
	else
		fail "$what: exit $rc in $ms ms, expected $want within $max ms: $(head -3 "$D/out")"
	fi
}

# ini FILE LIST: a config whose [customers] file is LIST
ini() {
	cat >"$1" <<EOF
[interfaces]
wan = xs-none-wan
lan = xs-none-lan
[cpus]
list = 0
[shaping]
leaf_qdisc = pfifo
[customers]
file = $2
[system]
bpffs = /sys/fs/bpf/xs-inputs-none
EOF
}

cat >"$D/customers.csv" <<'EOF'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1001,Alice,198.19.1.10/32 2001:db8:1::/56,10mbit,50mbit,5mbit,20mbit
EOF
ini "$D/ok.ini" customers.csv
run_timed "check of a good config and list" 0 2000 "$X" -c "$D/ok.ini" check

# a FIFO nobody writes: opening it used to block check (and every cron run) forever
mkfifo "$D/fifo.csv" "$D/fifo.ini"
ini "$D/fifo-list.ini" fifo.csv
run_timed "a FIFO as the customer list" 1 1000 "$X" -c "$D/fifo-list.ini" check
check "names the FIFO and why" grep -q "fifo.csv: is a FIFO (named pipe); the customer list must be a regular file" "$D/out"
run_timed "a FIFO as the config" 1 1000 "$X" -c "$D/fifo.ini" check
check "names the FIFO and why" grep -q "fifo.ini: is a FIFO (named pipe); the config must be a regular file" "$D/out"

# /dev/zero used to be read for 1 GiB before it was refused
ini "$D/zero.ini" /dev/zero
run_timed "/dev/zero as the customer list" 1 1000 "$X" -c "$D/zero.ini" check
check "says it is a device" grep -q "/dev/zero: is a character device" "$D/out"
run_timed "/dev/zero as the config" 1 1000 "$X" -c /dev/zero check

# symlinks to regular files are fine (how /etc is often managed)
ln -s customers.csv "$D/link.csv"
ini "$D/real.ini" link.csv
ln -s real.ini "$D/link.ini"
run_timed "symlinks to a config and a list" 0 2000 "$X" -c "$D/link.ini" check
check "the list behind the symlink was read" grep -q "1 customers, 2 prefixes" "$D/out"

# over the caps (sparse files: nothing is written): refused before reading
truncate -s $((256 * 1024 * 1024 + 1)) "$D/huge.csv"
ini "$D/huge.ini" huge.csv
run_timed "a customer list over 256 MiB" 1 1000 "$X" -c "$D/huge.ini" check
check "names the cap" grep -q "huge.csv: 268435457 bytes, more than the 256 MiB" "$D/out"
truncate -s $((1024 * 1024 + 1)) "$D/huge-config.ini"
run_timed "a config over 1 MiB" 1 1000 "$X" -c "$D/huge-config.ini" check
check "names the cap" grep -q "huge-config.ini: 1048577 bytes, more than the 1 MiB" "$D/out"

# a million rows with a bad rate (ids and prefixes valid: they still take part in
# the duplicate checks): 100 errors, a count of the rest, bounded memory
awk 'BEGIN {
	print "id,prefixes,down_rate,down_ceil,up_rate,up_ceil"
	for (i = 1; i <= 1000000; i++)
		printf "%d,2001:db8:%x:%x::/64,1,2,1,fast\n", i, int(i / 65536), i % 65536
}' >"$D/bad.csv"
ini "$D/bad.ini" bad.csv
start=$(date +%s%N)
/usr/bin/time -o "$D/rss" -f %M timeout 60 "$X" -c "$D/bad.ini" check >"$D/out" 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
rss=$(tail -1 "$D/rss")
check_eq "a million bad rows: exit 1 (in $ms ms)" 1 "$rc"
lines=$(wc -l <"$D/out")
check "a million bad rows: $lines lines of output, at most 103" [ "$lines" -le 103 ]
check_eq "a million bad rows: 100 errors shown" 100 "$(grep -c 'bad.csv:[0-9]*: ' "$D/out")"
check "a million bad rows: the rest counted with their lines" \
	grep -q "bad.csv: 999900 more errors (lines 102-1000001) not shown" "$D/out"
check "a million bad rows: all of them in the summary" \
	grep -q "bad.csv: 1000000 problems found; the customer list was not used" "$D/out"
check "a million bad rows: peak RSS ${rss} KB, under 200 MB" [ "$rss" -lt 204800 ]
