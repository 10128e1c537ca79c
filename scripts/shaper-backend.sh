#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Which shaper the box of the testbed runs, chosen by SHAPER:
#   xshaper (default)  build/xshaper with an INI written for the testbed
#   classic            one HTB root per interface with u32 hash filters
#                      (scripts/classic-shaper.sh)
#   none               no shaper: plain forwarding, for reference
# The throughput tools, the tests, the demo and the benchmarks measure
# whichever runs.
#
#   source scripts/shaper-backend.sh      (after testbed_up)
#   backend_start SUFFIX CUSTOMERS.csv [INI]
#   backend_stop
#   backend_cleanup_on_exit [COMMANDS]    for scripts that own a testbed
#
# xshaper runs inside the box namespace by nsenter --net only (ip netns exec
# would hide /sys/fs/bpf, where it pins its maps), from the directory of
# its INI so that a relative customers file means the same to it either way:
#   cd $(dirname INI) && nsenter --net=/run/netns/$TB_BOX build/xshaper -c INI start
# Without INI one is written (build/run/xshaper-SUFFIX.ini):
#   [interfaces] wan = wan, lan = lan, xdp_mode = native
#   [cpus] list = 0-1; [shaping] capacities 10gbit, leaf_qdisc = pfifo
#   [customers] file = CUSTOMERS.csv (absolute)
#   [system] bpffs = /sys/fs/bpf/xs-SUFFIX, lock = /run/xshaper-SUFFIX.lock

BACKEND_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BACKEND_TOP=$(cd "$BACKEND_DIR/.." && pwd)
XS_BIN=${XS_BIN:-$BACKEND_TOP/build/xshaper}
SHAPER=${SHAPER:-xshaper}
BACKEND_RUNNING=""
BACKEND_INI=""
BACKEND_OWN_INI=""

# shellcheck source=scripts/classic-shaper.sh
. "$BACKEND_DIR/classic-shaper.sh"

# xshaper_ini SUFFIX CUSTOMERS.csv: the testbed's INI on stdout
xshaper_ini() {
	local s=$1 csv
	csv=$(realpath "$2") || return 1
	cat <<-EOF
		; written by scripts/shaper-backend.sh for testbed $s
		[interfaces]
		wan = wan
		lan = lan
		xdp_mode = native

		[cpus]
		list = 0-1

		[shaping]
		wan_capacity = 10gbit
		lan_capacity = 10gbit
		leaf_qdisc = pfifo

		[customers]
		file = $csv

		[system]
		bpffs = /sys/fs/bpf/xs-$s
		lock = /run/xshaper-$s.lock
	EOF
}

# xshaper_run INI COMMAND: xshaper in the box namespace, messages on stderr
xshaper_run() {
	local ini=$1
	shift
	(cd "$(dirname "$ini")" && nsenter --net="/run/netns/$TB_BOX" "$XS_BIN" -c "$ini" "$@")
}

# The value of KEY in INI ([system] keys are unique across sections here)
ini_value() {
	sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\([^;#]*[^;#[:space:]]\).*/\1/p" "$1" | tail -1
}

backend_start() {
	local s=$1 csv=$2 ini=${3:-}
	case $SHAPER in
	classic)
		classic_start "$TB_BOX" "$csv" || return 1
		;;
	none) ;;
	xshaper)
		if [ ! -x "$XS_BIN" ]; then
			echo "shaper-backend: $XS_BIN missing; run make" >&2
			return 1
		fi
		if [ -z "$ini" ]; then
			mkdir -p "$BACKEND_TOP/build/run" || return 1
			ini=$BACKEND_TOP/build/run/xshaper-$s.ini
			xshaper_ini "$s" "$csv" >"$ini" || return 1
			BACKEND_OWN_INI=$ini
		fi
		BACKEND_INI=$(realpath "$ini")
		# stop cleans up even after a start that failed half-way
		BACKEND_RUNNING=$SHAPER
		xshaper_run "$BACKEND_INI" start || return 1
		;;
	*)
		echo "shaper-backend: SHAPER=$SHAPER: want xshaper, classic or none" >&2
		return 1
		;;
	esac
	BACKEND_RUNNING=$SHAPER
}

backend_stop() {
	local pins lock
	case $BACKEND_RUNNING in
	classic) classic_stop "$TB_BOX" ;;
	xshaper)
		xshaper_run "$BACKEND_INI" stop >/dev/null 2>&1
		# what a failed start or stop may have left outside the namespace
		pins=$(ini_value "$BACKEND_INI" bpffs)
		lock=$(ini_value "$BACKEND_INI" lock)
		case $pins in /sys/fs/bpf/?*) rm -rf "$pins" ;; esac
		[ -z "$lock" ] || rm -f "$lock"
		[ -z "$BACKEND_OWN_INI" ] || rm -f "$BACKEND_OWN_INI"
		;;
	esac
	BACKEND_RUNNING="" BACKEND_INI="" BACKEND_OWN_INI=""
	return 0
}

# backend_cleanup_on_exit [COMMANDS]: on any exit of the script (the end,
# an error, Ctrl-C, TERM) stop the shaper, run COMMANDS (a string,
# evaluated then) and remove the testbed (scripts/testbed.sh), keeping the
# exit status. Set a trap on INT after it to say more on Ctrl-C.
backend_cleanup_on_exit() {
	BACKEND_CLEANUP=${1:-}
	trap backend_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

backend_cleanup() {
	local rc=$?
	# a second Ctrl-C (or timeout passing one on) must not cut this short
	trap - EXIT
	trap '' INT TERM
	# clients of an interrupted run die with the namespaces, unreported
	disown -a
	# the shaper first: COMMANDS may remove its INI
	backend_stop
	eval "$BACKEND_CLEANUP"
	testbed_down
	exit "$rc"
}
