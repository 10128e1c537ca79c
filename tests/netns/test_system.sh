#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# [system]: bpffs must be on a BPF filesystem (or below /sys/fs/bpf, where
# start mounts one), which check reports and start refuses before it
# creates anything; the lock file is opened safely (a symbolic link or
# anything but a regular file at its path is refused, never followed; the
# file is mode 0600), and stop still stops where the lock file cannot be
# created (a read-only /run), saying that it ran without the lock.
source "$(dirname "$0")/workflow.sh"
wf_up

cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,one,198.19.1.1,5mbit,10mbit,2mbit,5mbit
EOF2
LOCK=$WF_DIR/lock
TARGET=$WF_DIR/target

# run ARGS...: xs ARGS..., the output in $WF_DIR/out, the exit status in $rc
run() {
	xs "$@" >"$WF_DIR/out" 2>&1
	rc=$?
}

# --- [system] bpffs not on a BPF filesystem -------------------------------
PINS=$WF_DIR/pins/xshaper
sed "s|^bpffs = .*|bpffs = $PINS|" "$WF_INI" >"$WF_DIR/tmp.ini"
xs -c "$WF_DIR/tmp.ini" check >"$WF_DIR/out" 2>&1
check_eq "check: bpffs on a tmpfs is exit 1" 1 "$?"
check "check says where and why" \
	grep -q "\[system\] bpffs = $PINS: not on a BPF filesystem" "$WF_DIR/out"
check "check created nothing" [ ! -e "$WF_DIR/pins" ]
xs -c "$WF_DIR/tmp.ini" start >"$WF_DIR/out" 2>&1
check_eq "start: bpffs on a tmpfs is refused" 2 "$?"
check "start says the same" \
	grep -q "\[system\] bpffs = $PINS: not on a BPF filesystem" "$WF_DIR/out"
check "start created no directory" [ ! -e "$WF_DIR/pins" ]
check "start attached nothing" bash -c "! ip -n $TB_BOX link show lan | grep -q xdp"
quiet_check() {
	xs -q check >/dev/null
}
check "check of a place below /sys/fs/bpf" quiet_check
rm -f "$LOCK"

# --- a symbolic link at the lock path --------------------------------------
ln -s "$TARGET" "$LOCK"
run start
check_eq "start with a symlink as lock file: exit 2" 2 "$rc"
check "start names the link and what to do" \
	grep -q "$LOCK: is a symbolic link; .*remove it, or set \[system\] lock" "$WF_DIR/out"
check "start did not create the link's target" [ ! -e "$TARGET" ]
check "start touched nothing" [ ! -e "$WF_BPFFS" ]
# a target that exists is neither locked nor truncated nor re-moded
echo keep >"$TARGET"
chmod 0644 "$TARGET"
run start
check_eq "start with a symlink to a file: exit 2" 2 "$rc"
check_eq "the target keeps its content" keep "$(cat "$TARGET")"
check_eq "the target keeps its mode" 644 "$(stat -c %a "$TARGET")"
rm -f "$LOCK" "$TARGET"

# --- the lock file's mode --------------------------------------------------
touch "$LOCK"
chmod 0666 "$LOCK"
check "start" xs -q start
check_eq "an existing lock file is made mode 0600" 600 "$(stat -c %a "$LOCK")"
rm -f "$LOCK"
(umask 0 && xs -q reload)
check_eq "a new lock file is mode 0600" 600 "$(stat -c %a "$LOCK")"
check_eq "and a regular file" "regular empty file" "$(stat -c %F "$LOCK")"

# reload and stop refuse a link as well; xshaper keeps running
rm -f "$LOCK"
ln -s "$TARGET" "$LOCK"
run reload
check_eq "reload with a symlink as lock file: exit 2" 2 "$rc"
check "reload names the link" grep -q "$LOCK: is a symbolic link" "$WF_DIR/out"
run stop
check_eq "stop with a symlink as lock file: exit 2" 2 "$rc"
check "stop names the link" grep -q "$LOCK: is a symbolic link" "$WF_DIR/out"
check "nothing followed the link" [ ! -e "$TARGET" ]
check "still started" bash -c "ip -n $TB_BOX link show lan | grep -q xdp"
rm -f "$LOCK"

# --- not a regular file ----------------------------------------------------
mkfifo "$LOCK"
run reload
check_eq "reload with a FIFO as lock file: exit 2" 2 "$rc"
check "says it is not a regular file" grep -q "$LOCK: not a regular file" "$WF_DIR/out"
rm -f "$LOCK"

# --- a read-only place -----------------------------------------------------
# chmod does not stop root: a read-only bind mount in a mount namespace of
# its own does, and leaves the rest of the system alone
RO=$WF_DIR/ro
mkdir "$RO"
sed "s|^lock = .*|lock = $RO/xshaper.lock|" "$WF_INI" >"$WF_DIR/ro.ini"
# ro_xs ARGS...: xshaper with the lock on a read-only mount
ro_xs() {
	unshare -m sh -c 'mount --bind -o ro "$1" "$1" && shift && exec "$@"' sh "$RO" \
		nsenter --net="/run/netns/$TB_BOX" "$XS_BIN" -c "$WF_DIR/ro.ini" "$@"
}
ro_xs reload >"$WF_DIR/out" 2>&1
check_eq "reload on a read-only lock place still fails: exit 2" 2 "$?"
check "and says why" grep -q "$RO/xshaper.lock: cannot open lock file: Read-only file system" \
	"$WF_DIR/out"
ro_xs stop >"$WF_DIR/out" 2>&1
rc=$?
cat "$WF_DIR/out"
check_eq "stop on a read-only lock place: exit 0" 0 "$rc"
check "stop warns that it ran without the lock" \
	grep -q "warning: $RO/xshaper.lock: cannot create the lock file (Read-only file system); going on without the lock" \
	"$WF_DIR/out"
check "and stopped" grep -q "stopped: wan and lan are as before start" "$WF_DIR/out"
check "no XDP left on lan" bash -c "! ip -n $TB_BOX link show lan | grep -q xdp"
check "pinned maps removed" [ ! -e "$WF_BPFFS" ]
check "no lock file made outside the mount" [ ! -e "$RO/xshaper.lock" ]
