#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run every test: the cmocka binaries under build/tests (unit and BPF) and the
# namespace tests tests/netns/*.sh. Each test case counts once: cmocka cases
# by its summary, namespace tests by their "PASS:"/"FAIL:"/"SKIP:" lines.
# A script that exits non-zero without reporting a failure counts as one.
# Under CI=true a skipped test is a failure: CI runs as root on a kernel
# that has everything.
#
# tests/run.sh [PATTERN]   only tests whose path contains PATTERN
set -u
cd "$(dirname "$0")/.."

filter=${1:-}
passed=0 failed=0 skipped=0
failures=()
log_dir=build/test-logs
mkdir -p "$log_dir"

count_cmocka() {
	local log=$1 name=$2 rc=$3 p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or sanitizer abort before the summary
	fi
	passed=$((passed + p)) failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("$name")
}

count_script() {
	local log=$1 name=$2 rc=$3 p f s
	p=$(grep -c '^PASS:' "$log")
	f=$(grep -c '^FAIL:' "$log")
	s=$(grep -c '^SKIP:' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$rc" -ne 77 ]; then
		f=1
	fi
	if [ "$rc" -eq 77 ] && [ "$s" -eq 0 ]; then
		s=1
	fi
	if [ "${CI:-}" = "true" ] && [ "$s" -gt 0 ]; then
		echo "  (CI: $s skipped case(s) in $name count as failures)"
		f=$((f + s)) s=0
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	[ "$f" -eq 0 ] || failures+=("$name")
}

run_one() {
	local kind=$1 path=$2 name log rc
	name=${path#build/tests/}
	name=${name#tests/}
	[ -z "$filter" ] || [[ $path == *"$filter"* ]] || return 0
	log=$log_dir/$(echo "$name" | tr '/' '_').log
	printf '== %s\n' "$name"
	if [ "$kind" = cmocka ]; then
		"$path" >"$log" 2>&1
	else
		timeout 900 bash "$path" >"$log" 2>&1
	fi
	rc=$?
	grep -E '^(\[  (FAILED|  OK  )|PASS:|FAIL:|SKIP:)|ERROR|Assertion|runtime error|Sanitizer' "$log" |
		grep -v '^\[       OK \]' | sed 's/^/   /' | head -60
	if [ "$kind" = cmocka ]; then
		count_cmocka "$log" "$name" "$rc"
	else
		count_script "$log" "$name" "$rc"
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		echo "   exit $rc; full log: $log"
		tail -20 "$log" | sed 's/^/   | /'
	fi
}

for t in $(find build/tests -type f -perm -u+x 2>/dev/null | sort); do
	run_one cmocka "$t"
done
for t in tests/netns/test_*.sh; do
	[ -e "$t" ] || continue
	run_one script "$t"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
