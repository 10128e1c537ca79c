#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Real traffic through the shaper on the namespace testbed (scripts/testbed.sh):
# many customers at once, each measured against its plan.
#
# Goodput: iperf3. All servers live in inet, one port per concurrent job
# (TP_PORT_BASE + job number), listening on 198.18.0.1 and 2001:db8:ff::1.
# Every client runs in cust, bound to its customer's address (-B), so each
# flow is that customer's to the shaper:
#   download  client -R: inet sends, shaped on box lan egress (down_ceil)
#   upload    client sends, shaped on box wan egress (up_ceil)
# The goodput is what the receiving side counted (iperf3 end.sum_received),
# the first TP_OMIT seconds left out (-O) so that slow start and the first
# queue fill do not count. Plan = the ceil: every class can borrow up to it.
# Expect TCP at about 95.6 % of plan over IPv4 (HTB counts the 1514 bytes of
# a frame that carries 1448 of payload) and 94.3 % over IPv6 (1428); UDP
# (1472/1452-byte datagrams) at 97.2 / 95.9 %.
#
# Packet rate: trafgen in inet sends 64-byte UDP frames to the IPv4
# addresses of the customers, picked at random, through the box (to the MAC
# of its next hop: box wan routed, cust c0 bridged); forwarded
# = what c0 received in cust. Per-CPU load: /proc/net/softnet_stat
# (packets each CPU took through the receive path) and /proc/softirqs NET_RX.
# TP_PPS_FRAMES chooses the frames: udp (default); tcp, 76-byte TCP data
# segments with timestamps, one flow per customer, its sequence going up
# and a new TSval in every frame (what the TCP monitor works on); tcp-new,
# the same from a random port, nearly every frame a flow the monitor has
# not seen. Without the customer addresses in cust (tp_addresses_add),
# cust counts the frames and drops them, sending nothing back but
# rate-limited ICMP (no TCP resets through the box).
#
# As a library (after testbed_up):
#   source scripts/throughput.sh
#   tp_box_gro                           GRO on box wan and lan (see there)
#   tp_customers_load CUSTOMERS.csv      TP_ID[] TP_NAME[] TP_V4[] TP_V6[]
#                                        TP_DOWN_CEIL[] TP_UP_CEIL[] (bit/s)
#   tp_addresses_add                     customer addresses into cust
#   tp_jobs DIR PROTO FAMILY [ID...]     job list (all customers of FAMILY)
#   tp_run OUT.tsv TAG JOB...            run jobs at once, append rows
#   tp_table OUT.tsv [TAG...]            print the rows as a table
#   tp_pps OUT.tsv TAG SECONDS           packet rate with trafgen
#   tp_servers_stop
# A JOB is ID/DIR/PROTO/FAMILY[/LOAD]: DIR down|up, PROTO tcp|udp, FAMILY
# 4|6, LOAD (UDP only) the offered bit/s or a multiple of the plan ("5x";
# default TP_UDP_LOAD, 1.1x).
#
# Goodput rows (tab-separated, header first):
#   tag id name dir proto family plan_bps sent_bps goodput_bps pct lost_pct status
# sent_bps is what the sender put out (UDP: the offered load).
# Packet-rate rows go to their own file:
#   tag seconds frames offered_pps forwarded_pps box_drops cpu_share net_rx generators
# frames: how many destinations trafgen picked from; box_drops: qdisc and
# interface drops in the box during the measurement; generators: trafgen
# processes (TP_PPS_GENERATORS, 1 or 2: trafgen -P, one per CPU from 0).
#
# Settings: TP_DURATION (5) measured seconds after TP_OMIT (1) of warm-up;
# TP_PORT_BASE (5300); TP_NICE (0) niceness of the iperf3 processes, for a
# machine that others keep busy; TP_LOG a file for iperf3's messages.
#
# As a command, on a testbed that is up with a shaper started:
#   scripts/throughput.sh [-t S] [-o OUT] [-d down|up|both] [-p tcp|udp|both]
#                         [-f 4|6|both] SUFFIX CUSTOMERS.csv
#   scripts/throughput.sh pps [-t S] [-g GENERATORS] [-o OUT] SUFFIX CUSTOMERS.csv

TP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TP_PORT_BASE=${TP_PORT_BASE:-5300}
TP_DURATION=${TP_DURATION:-5}
TP_OMIT=${TP_OMIT:-1}
TP_UDP_LOAD=${TP_UDP_LOAD:-1.1x}
TP_NICE=${TP_NICE:-0}
# Debian's python3 when there is one: a pyenv shim costs most of a second
TP_PYTHON=${XS_PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}
TP_LOG=${TP_LOG:-}
TP_SERVERS=()
TP_HEADER=$'tag\tid\tname\tdir\tproto\tfamily\tplan_bps\tsent_bps\tgoodput_bps\tpct\tlost_pct\tstatus'
TP_PPS_HEADER=$'tag\tseconds\tframes\toffered_pps\tforwarded_pps\tbox_drops\tcpu_share\tnet_rx\tgenerators'
TP_PPS_GENERATORS=${TP_PPS_GENERATORS:-1}

# shellcheck source=scripts/testbed.sh
. "$TP_DIR/testbed.sh"

# GRO on the box's wan and lan, as any NIC driver has it by default: the
# box then forwards and shapes aggregated TCP (HTB still counts every frame
# in it) instead of one skb per 1514-byte frame, which on a small shared VM
# takes more CPU than there is and turns the measurement into one of the
# CPU. veth has it off unless asked. Aggregates are capped at 16 KB: a
# 64 KB one is 105 ms of a 5 Mbit/s plan, too lumpy for a 5 s measurement.
tp_box_gro() {
	local dev
	for dev in wan lan; do
		ip netns exec "$TB_BOX" ethtool -K "$dev" gro on >/dev/null || return 1
		ip -n "$TB_BOX" link set "$dev" gro_max_size 16384 2>/dev/null
	done
	return 0
}

tp_customers_load() {
	local csv=$1 table i=0 id name v4 v6 dc uc
	table=$("$TP_PYTHON" "$TP_DIR/customers.py" table "$csv") || return 1
	TP_ID=() TP_NAME=() TP_V4=() TP_V6=() TP_DOWN_CEIL=() TP_UP_CEIL=()
	declare -gA TP_INDEX=()
	while IFS=$'\t' read -r id name v4 v6 _ dc _ uc _; do
		TP_ID[i]=$id TP_NAME[i]=$name TP_V4[i]=$v4 TP_V6[i]=$v6
		TP_DOWN_CEIL[i]=$dc TP_UP_CEIL[i]=$uc
		TP_INDEX[$id]=$i
		i=$((i + 1))
	done <<<"$table"
	TP_N=$i
}

tp_addresses_add() {
	local i
	for ((i = 0; i < TP_N; i++)); do
		[ "${TP_V4[i]}" = - ] || testbed_add_address "${TP_V4[i]}" 2>/dev/null
		[ "${TP_V6[i]}" = - ] || testbed_add_address "${TP_V6[i]}" 2>/dev/null
	done
	return 0
}

# tp_jobs DIR PROTO FAMILY [ID...]: one job per customer (all by default)
# that has an address in FAMILY.
tp_jobs() {
	local dir=$1 proto=$2 fam=$3 id i
	shift 3
	[ $# -gt 0 ] || set -- "${TP_ID[@]}"
	for id in "$@"; do
		i=${TP_INDEX[$id]}
		if [ "$fam" = 4 ] && [ "${TP_V4[i]}" = - ]; then continue; fi
		if [ "$fam" = 6 ] && [ "${TP_V6[i]}" = - ]; then continue; fi
		echo "$id/$dir/$proto/$fam"
	done
}

# Listening servers for ports TP_PORT_BASE .. TP_PORT_BASE + N - 1.
tp_servers_start() {
	local n=$1 p tries
	for ((p = ${#TP_SERVERS[@]}; p < n; p++)); do
		ip netns exec "$TB_INET" nice -n "$TP_NICE" iperf3 -s -p $((TP_PORT_BASE + p)) \
			>/dev/null 2>&1 &
		TP_SERVERS+=($!)
		# tests/netns/lib.sh kills these on any exit
		if declare -p XS_PIDS >/dev/null 2>&1; then
			XS_PIDS+=($!)
		fi
	done
	for ((tries = 0; tries < 50; tries++)); do
		[ "$(ip netns exec "$TB_INET" ss -Hltn | awk -v lo="$TP_PORT_BASE" -v n="$n" '
			{ p = $4; sub(/.*:/, "", p); if (p >= lo && p < lo + n) up[p] = 1 }
			END { print length(up) }')" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "throughput: iperf3 servers did not come up in $TB_INET" >&2
	return 1
}

tp_servers_stop() {
	local p
	for p in "${TP_SERVERS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	TP_SERVERS=()
	return 0
}

# tp_run OUT.tsv TAG JOB...: all jobs at once, bounded in time; one row each.
tp_run() {
	local out=$1 tag=$2
	shift 2
	local jobs=("$@") n=$# j tmp pids=() argv=() a id dir proto fam load i plan bps
	local dst src args
	[ -s "$out" ] || echo "$TP_HEADER" >"$out"
	tp_servers_start "$n" || return 1
	tmp=$(mktemp -d) || return 1
	# everything worked out first, so that the clients start together
	for ((j = 0; j < n; j++)); do
		IFS=/ read -r id dir proto fam load <<<"${jobs[j]}"
		i=${TP_INDEX[$id]:?unknown customer $id}
		if [ "$dir" = down ]; then plan=${TP_DOWN_CEIL[i]}; else plan=${TP_UP_CEIL[i]}; fi
		if [ "$fam" = 4 ]; then
			dst=$TB_INET_V4 src=${TP_V4[i]}
		else
			dst=$TB_INET_V6 src=${TP_V6[i]}
		fi
		args="-c $dst -B $src -p $((TP_PORT_BASE + j)) -t $TP_DURATION -O $TP_OMIT"
		args+=" -J --connect-timeout 3000"
		if [ "$dir" = down ]; then args+=" -R"; fi
		if [ "$proto" = udp ]; then
			load=${load:-$TP_UDP_LOAD}
			case $load in
			*x) bps=$(awk -v p="$plan" -v m="${load%x}" 'BEGIN { printf "%d", p * m }') ;;
			*) bps=$load ;;
			esac
			# datagrams that fill a 1500-byte packet
			args+=" -u -b $bps -l $((fam == 4 ? 1472 : 1452))"
		fi
		argv[j]=$args
		printf '%s\t' "$tmp/$j.json" "$plan" "$tag" "$id" "${TP_NAME[i]}" "$dir" "$proto" \
			"$fam" >"$tmp/$j.meta"
	done
	for ((j = 0; j < n; j++)); do
		read -ra a <<<"${argv[j]}"
		ip netns exec "$TB_CUST" timeout $((TP_OMIT + TP_DURATION + 15)) \
			nice -n "$TP_NICE" iperf3 "${a[@]}" >"$tmp/$j.json" 2>"$tmp/$j.err" &
		pids+=($!)
	done
	for ((j = 0; j < n; j++)); do
		wait "${pids[j]}"
		echo "$?" >>"$tmp/$j.meta"
	done
	for ((j = 0; j < n; j++)); do cat "$tmp/$j.meta"; done | "$TP_PYTHON" -c '
import json, sys
for line in sys.stdin:
    path, plan, *row, rc = line.rstrip("\n").split("\t")
    plan = int(plan)
    row.append(str(plan))
    try:
        r = json.load(open(path))
        if "error" in r:
            raise ValueError(r["error"])
        got = r["end"]["sum_received"]
        bps = got["bits_per_second"]
        sent = r["end"]["sum_sent"]["bits_per_second"]
        lost = "%.1f" % got["lost_percent"] if row[4] == "udp" else "-"
        status = "ok" if rc == "0" else "exit " + rc
    except (OSError, ValueError, KeyError) as e:
        bps, sent, lost = 0, 0, "-"
        status = "error: " + (str(e) or "no result").replace("\t", " ")[:120]
    row += [str(int(sent)), str(int(bps)), f"{100 * bps / plan:.1f}", lost, status]
    print("\t".join(row))
' >>"$out"
	if [ -n "$TP_LOG" ]; then
		for ((j = 0; j < n; j++)); do
			{ echo "== $tag ${jobs[j]}"; cat "$tmp/$j.err"; } >>"$TP_LOG"
		done
	fi
	rm -rf "$tmp"
}

# tp_table OUT.tsv [TAG...]: the rows (of these tags) for people.
tp_table() {
	local out=$1
	shift
	awk -F'\t' -v tags="$*" '
		BEGIN { n = split(tags, t, " "); for (i = 1; i <= n; i++) want[t[i]] = 1 }
		NR == 1 { next }
		n && !($1 in want) { next }
		!head++ {
			printf "%-10s %-6s %-12s %-4s %-5s %-4s %10s %10s %7s %s\n",
				"tag", "id", "name", "dir", "proto", "fam", "plan", "measured", "%", "status"
		}
		{
			printf "%-10s %-6s %-12.12s %-4s %-5s v%-3s %10s %10s %7s %s\n", $1, $2, $3, $4,
				$5, $6, sprintf("%.1fM", $7 / 1e6), sprintf("%.2fM", $9 / 1e6), $10,
				($12 == "ok" ? "" : $12)
		}' "$out"
}

tp_link_counter() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# Packets the box dropped: at the root qdiscs of lan and wan (HTB and mq
# count what their children dropped) and at the interfaces.
tp_box_drops() {
	local d=0 dev n
	for dev in lan wan; do
		n=$(tc -n "$TB_BOX" -s qdisc show dev "$dev" root |
			awk '/dropped/ { gsub(",", "", $7); print $7 + 0; exit }')
		d=$((d + ${n:-0} + $(tp_link_counter "$TB_BOX" "$dev" tx_dropped) +
			$(tp_link_counter "$TB_BOX" "$dev" rx_dropped)))
	done
	echo "$d"
}

# One line of counters for tp_pps; its time is the middle of the reads.
# softnet: /proc/net/softnet_stat, CPU (column 13) and packets processed
# (column 1), both hex; net_rx: /proc/softirqs NET_RX per CPU.
# Frames the flood offered: what i0 sent and what it dropped.
tp_offered() {
	local sent dropped
	read -r sent dropped < <(ip netns exec "$TB_INET" cat \
		/sys/class/net/i0/statistics/tx_packets /sys/class/net/i0/statistics/tx_dropped | xargs)
	echo $((sent + dropped))
}

tp_pps_sample() {
	local t0 t1 offered fwd drops
	t0=$(date +%s.%N)
	offered=$(tp_offered)
	fwd=$(tp_link_counter "$TB_CUST" c0 rx_packets)
	drops=$(tp_box_drops)
	t1=$(date +%s.%N)
	printf 't0=%s t1=%s offered=%s forwarded=%s drops=%s softnet=%s net_rx=%s\n' \
		"$t0" "$t1" "$offered" "$fwd" "$drops" \
		"$(awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $13, $1 }' /proc/net/softnet_stat)" \
		"$(awk '$1 == "NET_RX:" { for (i = 2; i <= NF; i++) printf "%s%d:%s", (i > 2 ? "," : ""), i - 2, $i }' \
			/proc/softirqs)"
}

# tp_pps OUT.tsv TAG SECONDS: trafgen flood to random customer addresses
# (IPv4) for SECONDS + 1 from when its first frames go out (at most 5 s
# after it was started); the first second is warm-up.
tp_pps() {
	local out=$1 tag=$2 secs=$3 gens=$TP_PPS_GENERATORS tmp mac i pid s0 s1 rc o0 tries sp
	case $gens in
	1 | 2) ;;
	*)
		echo "throughput: TP_PPS_GENERATORS=$gens: want 1 or 2" >&2
		return 1
		;;
	esac
	[ -s "$out" ] || echo "$TP_PPS_HEADER" >"$out"
	tmp=$(mktemp -d) || return 1
	mac=$(testbed_next_hop_mac)
	for ((i = 0; i < TP_N; i++)); do
		[ "${TP_V4[i]}" = - ] && continue
		echo "{ eth(da=$mac), ipv4(sa=$TB_INET_V4, da=${TP_V4[i]}, ttl=64),"
		case ${TP_PPS_FRAMES:-udp} in
		# 14 + 20 + 8 + 22 = 64 bytes; random source port, as many flows
		udp) echo "udp(sp=drnd(), dp=9), fill(0x00, 22) }" ;;
		# 14 + 20 + 20 + 12 (NOP, NOP, timestamps) + 10 = 76 bytes
		tcp | tcp-new)
			if [ "$TP_PPS_FRAMES" = tcp ]; then sp=$((1024 + i % 60000)); else sp="drnd()"; fi
			echo "tcp(sp=$sp, dp=80, seq=dinc(), aseq=1, doff=8, ack, psh, win=512)," \
				"0x01, 0x01, 0x08, 0x0a, drnd(4), c32(1), fill(0x00, 10) }"
			;;
		*)
			echo "throughput: TP_PPS_FRAMES=$TP_PPS_FRAMES: want udp, tcp or tcp-new" >&2
			rm -rf "$tmp"
			return 1
			;;
		esac
	done >"$tmp/frames.cfg"
	if [ ! -s "$tmp/frames.cfg" ]; then
		echo "throughput: pps: no customer has an IPv4 address" >&2
		rm -rf "$tmp"
		return 1
	fi
	# trafgen forks GENS processes, pinned to CPUs 0 (and 1); no change
	# to socket memory
	o0=$(tp_offered)
	ip netns exec "$TB_INET" timeout -s INT $((secs + 8)) \
		trafgen -o i0 -i "$tmp/frames.cfg" -P "$gens" --rand --no-sock-mem --notouch-irq \
		--no-cpu-stats >"$tmp/trafgen.log" 2>&1 &
	pid=$!
	for ((tries = 0; tries < 50; tries++)); do
		[ "$(tp_offered)" -gt "$o0" ] && break
		sleep 0.1
	done
	if [ "$tries" -eq 50 ]; then
		echo "throughput: pps: trafgen sent nothing in 5 s: $(tail -3 "$tmp/trafgen.log")" >&2
		kill -INT "$pid" 2>/dev/null
		wait "$pid"
		rm -rf "$tmp"
		return 1
	fi
	sleep 1 # warm-up
	s0=$(tp_pps_sample)
	sleep "$secs"
	s1=$(tp_pps_sample)
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	"$TP_PYTHON" - "$tag" "$(grep -c '^{' "$tmp/frames.cfg")" "$s0" "$s1" "$gens" <<-'EOF' >>"$out"
		import sys
		tag, frames, a, b, gens = sys.argv[1:]
		a, b = (dict(kv.split("=", 1) for kv in s.split()) for s in (a, b))
		mid = lambda s: (float(s["t0"]) + float(s["t1"])) / 2
		dt = mid(b) - mid(a)
		d = {k: int(b[k]) - int(a[k]) for k in ("offered", "forwarded", "drops")}
		if d["offered"] == 0:
		    sys.exit("throughput: pps: trafgen sent nothing")
		def per_cpu(k, base):
		    x, y = ({int(c, base): int(v, base) for c, v in (p.split(":") for p in s[k].split(","))}
		            for s in (a, b))
		    return {c: y[c] - x.get(c, 0) for c in sorted(y)}
		soft = per_cpu("softnet", 16)
		total = sum(soft.values()) or 1
		share = ",".join(f"cpu{c}={100 * v / total:.0f}%" for c, v in soft.items())
		net_rx = ",".join(f"cpu{c}={v / dt:.0f}/s" for c, v in per_cpu("net_rx", 10).items())
		print("\t".join([tag, f"{dt:.2f}", frames, f"{d['offered'] / dt:.0f}",
		                 f"{d['forwarded'] / dt:.0f}", str(d["drops"]), share, net_rx, gens]))
	EOF
	rc=$?
	[ "$rc" -eq 0 ] || tail -5 "$tmp/trafgen.log" >&2
	rm -rf "$tmp"
	return "$rc"
}

tp_pps_table() {
	awk -F'\t' 'NR == 1 { next }
		!head++ { printf "%-10s %4s %12s %12s %10s  %s\n", "tag", "gens", "offered pps", "forwarded", "drops", "cpu share (softnet) / NET_RX" }
		{ printf "%-10s %4s %12s %12s %10s  %s  %s\n", $1, $9, $4, $5, $6, $7, $8 }' "$1"
}

tp_main() {
	local t=$TP_DURATION out="" dirs="down up" protos="tcp udp" fams="4 6" mode=tp
	local opt d p f jobs
	if [ "${1:-}" = pps ]; then
		mode=pps
		shift
	fi
	while getopts "t:o:d:p:f:g:" opt; do
		case $opt in
		t) t=$OPTARG ;;
		g) TP_PPS_GENERATORS=$OPTARG ;;
		o) out=$OPTARG ;;
		d) [ "$OPTARG" = both ] || dirs=$OPTARG ;;
		p) [ "$OPTARG" = both ] || protos=$OPTARG ;;
		f) [ "$OPTARG" = both ] || fams=$OPTARG ;;
		*) return 1 ;;
		esac
	done
	shift $((OPTIND - 1))
	if [ $# -ne 2 ]; then
		cat >&2 <<-EOF
			usage: $0 [-t S] [-o OUT] [-d down|up|both] [-p tcp|udp|both] [-f 4|6|both] SUFFIX CUSTOMERS.csv
			       $0 pps [-t S] [-g 1|2] [-o OUT] SUFFIX CUSTOMERS.csv
			on the testbed of scripts/testbed.sh up SUFFIX, with a shaper started
		EOF
		return 1
	fi
	TB_INET=xs-inet-$1 TB_BOX=xs-box-$1 TB_CUST=xs-cust-$1
	[ -e "/run/netns/$TB_BOX" ] || {
		echo "throughput: no testbed $1 (scripts/testbed.sh up $1)" >&2
		return 1
	}
	tp_customers_load "$2" || return 1
	trap tp_servers_stop EXIT
	if [ "$mode" = pps ]; then
		out=${out:-$(mktemp)}
		tp_pps "$out" pps "$t" || return 1
		tp_pps_table "$out"
		return 0
	fi
	out=${out:-$(mktemp)}
	TP_DURATION=$t
	tp_addresses_add
	for d in $dirs; do
		for p in $protos; do
			for f in $fams; do
				mapfile -t jobs < <(tp_jobs "$d" "$p" "$f")
				[ ${#jobs[@]} -gt 0 ] || continue
				tp_run "$out" "$d-$p-v$f" "${jobs[@]}" || return 1
			done
		done
	done
	tp_table "$out"
	echo "rows: $out"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	tp_main "$@"
fi
