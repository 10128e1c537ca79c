#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages that the build, the tests, the demo and the
# benchmarks need, but only when something is missing: with everything in
# place this only looks and returns, so make can call it every time.
set -eu

# package: the command or pkg-config module or file that proves it is there
checks=(
	"gcc:cmd:gcc"
	"make:cmd:make"
	"pkg-config:cmd:pkg-config"
	"clang:cmd:clang"
	"llvm:cmd:llvm-strip"
	"bpftool:cmd:bpftool"
	"libbpf-dev:pc:libbpf"
	"libelf-dev:pc:libelf"
	"zlib1g-dev:pc:zlib"
	"libnl-3-dev:pc:libnl-3.0"
	"libnl-route-3-dev:pc:libnl-route-3.0"
	"libiniparser-dev:file:/usr/include/iniparser/iniparser.h"
	"libcmocka-dev:pc:cmocka"
	"libjansson-dev:pc:jansson"
	"libmicrohttpd-dev:pc:libmicrohttpd"
	"libncurses-dev:pc:ncursesw"
	"libclang-rt-14-dev:file:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
	"linux-libc-dev:file:/usr/include/linux/bpf.h"
	"iproute2:cmd:tc"
	"ethtool:cmd:ethtool"
	"iputils-ping:cmd:ping"
	"iperf3:cmd:iperf3"
	"netsniff-ng:cmd:trafgen"
	"util-linux:cmd:nsenter"
	"procps:cmd:ps"
	"time:file:/usr/bin/time"
	"psmisc:cmd:killall"
	"gnuplot-nox:cmd:gnuplot"
	"python3:cmd:python3"
	"cppcheck:cmd:cppcheck"
	"clang-format:cmd:clang-format"
)

have() {
	local kind=$1 what=$2
	case $kind in
	cmd) command -v "$what" >/dev/null 2>&1 ;;
	pc) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$what" ;;
	file) [ -e "$what" ] ;;
	esac
}

missing=()
for c in "${checks[@]}"; do
	IFS=: read -r pkg kind what <<<"$c"
	have "$kind" "$what" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root, or: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
