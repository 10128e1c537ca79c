# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the namespace tests. Gives each run a unique suffix, records
# every namespace and process it makes, and removes them on any exit
# (success, failure, Ctrl-C, kill). Results are reported one line a case:
#   PASS: what   FAIL: what   SKIP: what
# Exit 77 skips the whole script (not root, no netns); tests/run.sh turns a
# skip into a failure under CI=true.

set -u
XS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XS_BIN=$XS_TOP/build/xshaper
# short and unique: interface names have 15 characters
# (10#: milliseconds such as 085 are decimal, not octal)
XS_SUFFIX=$(printf '%x%x' $$ "$((10#$(date +%N | cut -c1-3)))" | tail -c 6)
XS_NETNS=()
XS_PIDS=()
XS_CLEANUP=()
XS_FAILED=0

xs_cleanup() {
	local rc=$? i
	# a second Ctrl-C must not cut the cleanup short
	trap - EXIT
	trap '' INT TERM
	for ((i = ${#XS_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${XS_CLEANUP[$i]}" >/dev/null 2>&1 || true
	done
	for p in "${XS_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	# also those made in a subshell, as in $(netns_add NAME)
	for n in "${XS_NETNS[@]}" $(ip netns list 2>/dev/null | awk -v s="-$XS_SUFFIX" \
			'substr($1, length($1) - length(s) + 1) == s { print $1 }'); do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
	if [ "$XS_FAILED" -ne 0 ] && [ "$rc" -eq 0 ]; then
		rc=1
	fi
	exit "$rc"
}
trap xs_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run a command at cleanup time (last registered runs first).
on_exit() {
	XS_CLEANUP+=("$*")
}

skip_all() {
	echo "SKIP: $*"
	exit 77
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
	ip netns add "xs-probe-$XS_SUFFIX" 2>/dev/null || skip_all "cannot create network namespaces"
	ip netns del "xs-probe-$XS_SUFFIX"
}

# netns_add NAME: create NAME-$XS_SUFFIX, print its full name
netns_add() {
	local n="$1-$XS_SUFFIX"
	ip netns add "$n" || return 1
	XS_NETNS+=("$n")
	ip -n "$n" link set lo up
	echo "$n"
}

# Run in a namespace without remounting /sys (ip netns exec hides
# /sys/fs/bpf, where xshaper pins its maps).
nsrun() {
	local n=$1
	shift
	nsenter --net="/run/netns/$n" "$@"
}

pass() {
	echo "PASS: $*"
}

fail() {
	echo "FAIL: $*"
	XS_FAILED=1
}

# check "what" command...: PASS when the command succeeds
check() {
	local what=$1
	shift
	if "$@"; then
		pass "$what"
	else
		fail "$what"
	fi
}

# check_eq "what" expected actual
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# wait_for SECONDS command...: run the command every 0.1 s until it
# succeeds; 1 when it has not after SECONDS.
wait_for() {
	local tries=$(($1 * 10))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# listening NS tcp|udp PORT: a socket in namespace NS listens on PORT
listening() {
	local opt=-Hltn
	[ "$2" = udp ] && opt=-Hlun
	[ -n "$(ip netns exec "$1" ss "$opt" "sport = :$3")" ]
}

# wait_listen NS tcp|udp PORT: until a server in NS listens on PORT, at
# most 10 s (then a FAIL line, and 1): a client started before its server
# listens fails for a reason that is no test's.
wait_listen() {
	wait_for 10 listening "$@" && return 0
	fail "no server listening on $2 port $3 in $1 after 10 s"
	return 1
}

# htb_major TXQ: the major of TX queue TXQ's HTB, in hex as tc prints it
# (bpf/xshaper.h, xs_htb_major); H0 and H1 for the first two
htb_major() {
	printf '%x' $(((($1 + 0x1000) * 0x4377) & 0xffff))
}
H0=$(htb_major 0)
H1=$(htb_major 1)

# htb_classes NS DEV: every HTB class of DEV in namespace NS, one line each,
#   classid parent rate ceil bytes packets
# sorted by classid; parent "root" for a tree's root class. (iproute2 6.1
# prints classes as text only, even with -j.)
htb_classes() {
	ip netns exec "$1" tc -s class show dev "$2" | awk '
		function out() { if (id != "") print id, p, r, c, b, n }
		$1 == "class" && $2 == "htb" {
			out()
			id = $3; p = ($4 == "root") ? "root" : $5; r = c = b = n = "-"
			for (i = 4; i < NF; i++) {
				if ($i == "rate") r = $(i + 1)
				if ($i == "ceil") c = $(i + 1)
			}
		}
		$1 == "Sent" && id != "" { b = $2; n = $4 }
		END { out() }' | LC_ALL=C sort
}
