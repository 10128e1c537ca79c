#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Crash safety and bad input: reloads killed (SIGKILL) after their N-th
# change are repaired by the next run; a corrupt list changes nothing;
# five reloads at once are serialised.
source "$(dirname "$0")/workflow.sh"
wf_up

list_a() {
	cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,a,198.19.1.1,10mbit,20mbit,5mbit,10mbit
2,b,198.19.1.2 2001:db8:100::2,5mbit,10mbit,2mbit,5mbit
3,c,198.19.1.3,5mbit,10mbit,2mbit,5mbit
4,d,198.19.1.4,5mbit,10mbit,2mbit,5mbit
5,e,198.19.1.5,1mbit,2mbit,1mbit,2mbit
6,f,198.19.1.6,1mbit,2mbit,1mbit,2mbit
EOF2
}

# from a: 2 re-rated and re-addressed, 3 and 4 gone, 7-10 new, 6 re-rated
list_b() {
	cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,a,198.19.1.1,10mbit,20mbit,5mbit,10mbit
2,b,198.19.1.12 2001:db8:100::12,6mbit,12mbit,3mbit,6mbit
5,e,198.19.1.5,1mbit,2mbit,1mbit,2mbit
6,f,198.19.1.6,2mbit,4mbit,1mbit,3mbit
7,g,198.19.1.7,5mbit,10mbit,2mbit,5mbit
8,h,198.19.1.8 2001:db8:100::8,5mbit,10mbit,2mbit,5mbit
9,i,198.19.1.9,5mbit,10mbit,2mbit,5mbit
10,j,198.19.1.10,5mbit,10mbit,2mbit,5mbit
EOF2
}

list_a
check "start" xs -q start

# Kill the reload a -> b after its N-th change (netlink request or map
# write), then let cron's next run finish the job.
killed=0
for n in $(seq 1 18); do
	list_b
	XSHAPER_TEST_KILL_AFTER=$n xs -q reload >/dev/null 2>&1
	rc=$?
	if [ "$rc" -eq 137 ]; then
		killed=$((killed + 1))
	else
		# fewer changes than n: the run completed
		[ "$rc" -eq 0 ] || fail "reload killed after $n changes: exit $rc"
	fi
	# every prefix points at a class that exists, even mid-way
	check_eq "killed after $n changes (exit $rc): no prefix points at a missing class" 0 \
		"$(wf_dangling)"
	check "killed after $n changes: the next reload succeeds" xs -q reload
	wf_settled "killed after $n changes, then reloaded"
	check_eq "killed after $n: re-addressed" 2 "$(wf_lookup 198.19.1.12)"
	check_eq "killed after $n: old prefix gone" none "$(wf_lookup 198.19.1.3)"
	list_a
	xs -q reload || fail "back to list a"
done
# the reload a -> b makes about 10 changes (new customers take spare
# classes in place): most runs above were killed
check "at least 8 runs were killed mid-way ($killed)" [ "$killed" -ge 8 ]

# A corrupt list: exit 1, every bad line named, nothing changed
list_b
xs -q reload
dump() {
	wf_classes lan
	wf_classes wan
	for i in $(seq 1 12); do echo "$i $(wf_lookup 198.19.1.$i)"; done
}
before=$(dump)
cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,a,198.19.1.1,10mbit,20mbit,5mbit,10mbit
2,b,198.19.1.300,5mbit,10mbit,2mbit,5mbit
3,c,198.19.1.3,50mbit,10mbit,2mbit,5mbit
1,dup,198.19.1.4,5mbit,10mbit,2mbit,5mbit
5,e,198.19.1.5,lots,2mbit,1mbit,2mbit
6,f,198.19.1.1,1mbit,2mbit,1mbit,2mbit
EOF2
out=$(xs reload 2>&1)
rc=$?
echo "$out"
check_eq "corrupt list: exit 1" 1 "$rc"
for line in 3 4 5 6 7; do
	check "corrupt list: line $line reported" grep -q "customers.csv:$line:" <<<"$out"
done
check_eq "corrupt list: live state unchanged" "$before" "$(dump)"

# Five reloads at once: the lock serialises them, the result is right
list_a
pids=()
for i in 1 2 3 4 5; do
	xs -q reload >"$WF_DIR/par$i.log" 2>&1 &
	pids+=($!)
done
ok=0
for p in "${pids[@]}"; do
	wait "$p" && ok=$((ok + 1))
done
check_eq "five concurrent reloads all succeed" 5 "$ok"
wf_settled "after five concurrent reloads"

# A run that cannot get the lock in time exits 3
exec 9>"$WF_DIR/lock"
flock 9
sed -i 's/^lock_timeout = .*/lock_timeout = 1/' "$WF_INI"
xs -q reload 2>/dev/null
check_eq "lock held past lock_timeout: exit 3" 3 "$?"
flock -u 9
exec 9>&-
check "stop" xs -q stop
