#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: every benchmark script (scripts/bench-*.sh) in turn.
set -eu
cd "$(dirname "$0")/.."
for b in scripts/bench-*.sh; do
	[ -e "$b" ] || continue
	echo "== $b"
	"$b"
done
