#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The operator's monitoring: the exporter serves what stats --prometheus
# prints, per scrape (a stop in between is seen as 503), 404 elsewhere,
# and ends with 0 on SIGTERM leaving the port free; a second exporter on
# the same port says which address it could not have. top --once shows the
# busier customer first.
source "$(dirname "$0")/workflow.sh"
wf_up

cat >"$WF_CSV" <<'EOF2'
id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil
1,busy,198.19.1.1 2001:db8:100::1,10mbit,40mbit,5mbit,10mbit
2,quiet,198.19.1.2,10mbit,40mbit,5mbit,10mbit
EOF2
check "start" xs -q start

LISTEN=127.0.0.1:9847
URL=http://$LISTEN

# exporter_start LISTEN LOG: an exporter in the box in the background, EXPORTER its pid
exporter_start() {
	# not through xs: a function in the background is a subshell, the signal its
	nsenter --net="/run/netns/$TB_BOX" "$XS_BIN" -c "$WF_INI" exporter --listen "$1" \
		>"$2" 2>&1 &
	EXPORTER=$!
	XS_PIDS+=("$EXPORTER")
}

# scrape PATH [CURL ARGS]: the HTTP status, the body into $WF_DIR/body
scrape() {
	local path=$1
	shift
	box curl -s -o "$WF_DIR/body" -w '%{http_code}' "$@" "$URL$path"
}

ip netns exec "$TB_INET" ping -q -c 5 -i 0.2 -W 1 198.19.1.1 >/dev/null
check_eq "pings to customer 1 answered" 0 "$?"
exporter_start "$LISTEN" "$WF_DIR/exporter.log"
wait_listen "$TB_BOX" tcp 9847

check_eq "GET /metrics: 200" 200 "$(scrape /metrics)"
check "the body passes the format check" python3 "$XS_TOP/tests/netns/promcheck.py" <"$WF_DIR/body"
check "bytes of the customer that got pings" \
	grep -qE '^xshaper_customer_bytes_total\{id="1",name="busy",direction="down"\} [1-9][0-9]*$' \
	"$WF_DIR/body"
# the same lines stats --prometheus prints, counters aside
shape() { sed -E 's/[0-9]+$/N/' "$1"; }
xs stats --prometheus >"$WF_DIR/stats.prom"
check "the body is what stats --prometheus prints" \
	cmp -s <(shape "$WF_DIR/body") <(shape "$WF_DIR/stats.prom")
check_eq "GET /nope: 404" 404 "$(scrape /nope)"
check_eq "POST /metrics: 405" 405 "$(scrape /metrics -X POST -d x)"

# a second exporter on the same port: exit 2, naming the address
xs exporter --listen "$LISTEN" >"$WF_DIR/second.log" 2>&1
check_eq "a second exporter on $LISTEN: exit 2" 2 "$?"
check "its message names the address" grep -qF "cannot listen on $LISTEN" "$WF_DIR/second.log"
check_eq "the first still serves" 200 "$(scrape /metrics)"

# stopped between two scrapes: 503 with one line, then served again after start
xs -q stop
check_eq "scrape while stopped: 503" 503 "$(scrape /metrics)"
check_eq "with one line of text" 1 "$(wc -l <"$WF_DIR/body")"
check "start again" xs -q start
check_eq "scrape after start: 200" 200 "$(scrape /metrics)"

kill -TERM "$EXPORTER"
wait "$EXPORTER"
check_eq "SIGTERM: exit 0" 0 "$?"
check "the port is free" bash -c "! ip netns exec $TB_BOX ss -Hltn 'sport = :9847' | grep -q ."

# IPv6 literal, and SIGINT
exporter_start "[::1]:9847" "$WF_DIR/exporter6.log"
wait_listen "$TB_BOX" tcp 9847
check_eq "GET /metrics on [::1]: 200" 200 \
	"$(box curl -s -o /dev/null -w '%{http_code}' 'http://[::1]:9847/metrics')"
kill -INT "$EXPORTER"
wait "$EXPORTER"
check_eq "SIGINT: exit 0" 0 "$?"

xs exporter --listen 198.18.0.1 >/dev/null 2>"$WF_DIR/bad.log"
check_eq "--listen without a port: exit 1" 1 "$?"
check "the message names the argument" grep -qF -- "--listen '198.18.0.1'" "$WF_DIR/bad.log"

# top --once: two customers at different rates, the busier first
wf_flow_start 198.19.1.1 5301 12M 6 "$WF_DIR/busy.json" || exit 1
busy=$WF_FLOW
wf_flow_start 198.19.1.2 5302 3M 6 "$WF_DIR/quiet.json" || exit 1
quiet=$WF_FLOW
sleep 1
xs top --once >"$WF_DIR/top.txt" 2>&1
check_eq "top --once: exit 0" 0 "$?"
cat "$WF_DIR/top.txt"
check_eq "top --once: the busier customer first" 1 "$(awk 'NR == 2 { print $1 }' "$WF_DIR/top.txt")"
check_eq "top --once: then the quiet one" 2 "$(awk 'NR == 3 { print $1 }' "$WF_DIR/top.txt")"
check "top --once: the busy one's rate near 12mbit" \
	awk 'NR == 2 { r = $3; v = r + 0; if (r ~ /mbit$/ && v >= 9 && v <= 14) ok = 1 } END { exit !ok }' \
	"$WF_DIR/top.txt"
xs top --once --sort name >"$WF_DIR/top-name.txt" 2>&1
check_eq "top --once --sort name: busy before quiet" "1 2" \
	"$(awk 'NR > 1 { printf "%s%s", s, $1; s = " " }' "$WF_DIR/top-name.txt")"
wait "$busy" "$quiet"

# live, on a terminal: keys are read (n re-sorts), q quits with 0
{ sleep 2.5; printf n; sleep 1.5; printf q; } |
	TERM=xterm timeout 20 script -qfec \
		"nsenter --net=/run/netns/$TB_BOX '$XS_BIN' -c '$WF_INI' top" "$WF_DIR/top.tty" >/dev/null
check_eq "top on a terminal: q quits with 0" 0 "$?"
check "top on a terminal: the title says the sort" grep -q "nodes; by rate" "$WF_DIR/top.tty"
check "top on a terminal: shows the customers" grep -q "quiet" "$WF_DIR/top.tty"
xs top --sort fast >/dev/null 2>&1
check_eq "top --sort fast: exit 1" 1 "$?"
