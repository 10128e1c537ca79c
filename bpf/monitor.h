/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Passive TCP monitoring per customer: RTT on both sides of the box and
 * retransmits per direction, in the TC egress programs (classify.h calls
 * xs_monitor for a customer's TCP packet when [monitor] rtt is on).
 *
 * Why TC egress and not XDP
 * -------------------------
 * Both directions of a customer's flows pass TC egress on the customer's
 * CPU: lan egress sees what goes down to the customer, wan egress what
 * comes up from it, and XDP has steered both to that CPU before. XDP
 * runs on whichever CPU took the frame off the wire, so the two halves of
 * a flow would meet on different CPUs and need shared state. At TC egress
 * the customer's classid is known already, the clsact hook runs before
 * the HTB qdisc (so a lan sample includes the time the packet then waits
 * in the customer's class: what the customer feels under load), and the
 * flow state of a customer is written by one CPU only.
 *
 * The method (pping, TCP timestamps)
 * ----------------------------------
 * A packet carrying data (or SYN/FIN) whose TSval differs from the last one
 * of its direction is the first with that TSval: remember (flow, direction,
 * TSval, now), one such pending TSval per flow and direction, at most one
 * per XS_RTT_INTERVAL so that heavy flows don't dominate. A packet of the
 * other direction with ACK whose TSecr equals it gives one sample, now -
 * then: remembered on lan egress and echoed on wan egress, it is the lan
 * RTT (box -> customer -> box); the other way round, the wan RTT. A TSecr
 * past the pending TSval means its echo was missed: the slot is freed.
 * Pure ACKs are not remembered (nothing acknowledges them), and pure
 * duplicate ACKs match nothing.
 *
 * A data segment whose end (seq + length) does not go past the highest
 * seen in its direction is a retransmit (or a reordered segment).
 *
 * Maps and contention
 * -------------------
 * xs_flows is an LRU hash with BPF_F_NO_COMMON_LRU: each CPU has its own
 * LRU and free lists, so inserting and evicting takes no lock another CPU
 * takes (the common LRU's lock would be the one shared lock of the data
 * path). The price: each CPU holds max_entries / possible CPUs flows
 * ([monitor] flows, set by user space: steer_flows_per_cpu), and a full
 * CPU evicts its least recently used flows. Lookups are lock-free and an
 * entry is updated in place by its customer's CPU only. xs_monitor is a per-CPU hash keyed by
 * classid, allocated on a customer's first sample or retransmit; user
 * space adds up the CPUs (a customer moved at reload leaves its old
 * CPU's counts, which still add up).
 */
#ifndef XSHAPER_BPF_MONITOR_H
#define XSHAPER_BPF_MONITOR_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bpf/parse.h"
#include "bpf/xshaper.h"

/* at most one RTT sample per flow and direction in this time */
#define XS_RTT_INTERVAL (100ULL * 1000 * 1000)
/* a pending TSval older than this is dropped: its echo will not come */
#define XS_RTT_STALE (10ULL * 1000 * 1000 * 1000)
/* TCP options (the kernel's names, which no uapi header carries) */
#define XS_TCPOPT_EOL	     0
#define XS_TCPOPT_NOP	     1
#define XS_TCPOPT_TIMESTAMP  8
#define XS_TCPOLEN_TIMESTAMP 10
/* longest TCP header: the TC program pulls this much past XS_PARSE_MAX */
#define XS_TCP_MAX 60

/* max_entries: flows per CPU times the possible CPUs, set by user space */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct xs_flow_key);
	__type(value, struct xs_flow);
	__uint(max_entries, XS_FLOWS_AUTO_MIN);
} xs_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct xs_monitor);
	__uint(max_entries, XS_MONITOR_CUSTOMERS);
} xs_monitor SEC(".maps");

/* a after b in sequence space (RFC 1982) */
static __always_inline int xs_after(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

/* floor(log2(us)), 0 for 0, capped at the last bucket; BPF has no clz */
static __always_inline __u32 xs_rtt_bucket(__u64 us)
{
	__u32 b = 0;

	if (us >= 1ULL << (XS_RTT_BUCKETS - 1))
		return XS_RTT_BUCKETS - 1;
	if (us >> 16) {
		us >>= 16;
		b += 16;
	}
	if (us >> 8) {
		us >>= 8;
		b += 8;
	}
	if (us >> 4) {
		us >>= 4;
		b += 4;
	}
	if (us >> 2) {
		us >>= 2;
		b += 2;
	}
	if (us >> 1)
		b += 1;
	return b;
}

/*
 * The timestamp option among the optlen bytes of options at opt. The
 * offset is a bounded scalar, not a moving packet pointer, so that the
 * verifier sees each access as opt + [0, 40] checked against data_end.
 */
static __always_inline int xs_tcp_ts(const __u8 *opt, __u32 optlen, void *data_end, __u32 *tsval,
				     __u32 *tsecr)
{
	const __u8 *p;
	__u32 i = 0, n;

	for (n = 0; n < 20; n++) {
		if (i >= optlen || i > 40)
			return 0;
		p = opt + i;
		if ((void *)(p + 2) > data_end)
			return 0;
		if (p[0] == XS_TCPOPT_EOL)
			return 0;
		if (p[0] == XS_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (p[0] == XS_TCPOPT_TIMESTAMP) {
			if (p[1] != XS_TCPOLEN_TIMESTAMP || i + XS_TCPOLEN_TIMESTAMP > optlen ||
			    (void *)(p + XS_TCPOLEN_TIMESTAMP) > data_end)
				return 0;
			*tsval = (__u32)p[2] << 24 | (__u32)p[3] << 16 | (__u32)p[4] << 8 | p[5];
			*tsecr = (__u32)p[6] << 24 | (__u32)p[7] << 16 | (__u32)p[8] << 8 | p[9];
			return 1;
		}
		if (p[1] < 2)
			return 0;
		i += p[1];
	}
	return 0;
}

/* The customer's record, made on first use; NULL when the map is full. */
static __always_inline struct xs_monitor *xs_monitor_of(__u32 classid)
{
	struct xs_monitor *m, zero;

	m = bpf_map_lookup_elem(&xs_monitor, &classid);
	if (m)
		return m;
	__builtin_memset(&zero, 0, sizeof(zero));
	bpf_map_update_elem(&xs_monitor, &classid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&xs_monitor, &classid);
}

/*
 * The furthest a TCP header can start: Ethernet, two tags, a full MPLS
 * stack, an IPv4 header with 40 bytes of options.
 */
#define XS_L4_MAX (XS_PARSE_MAX + 20)

/* A customer's TCP packet, as the TC program hands it to the monitor. */
struct xs_tcp_pkt {
	struct xs_addrs a;
	__u32 off; /* where the TCP header starts in the frame (struct xs_l4) */
	__u32 len; /* the IP payload length */
	__u32 dir; /* XS_LAN: lan egress, going down to the customer; XS_WAN: up */
	__u32 classid;
};

/*
 * One TCP packet p of the customer of p->classid. Returns 0.
 *
 * A global function, so that the verifier checks it once, on its own, with
 * p->off any number up to XS_L4_MAX. Inlined into the TC program it was
 * checked anew for every header layout that leads to it (two families, up
 * to two tags, plain, PPPoE or one to XS_MPLS_LABELS labels: 42 of them),
 * the option walk each time, which is past the verifier's budget.
 */
__noinline int xs_monitor_tcp(struct __sk_buff *skb, const struct xs_tcp_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct xs_flow_half *me, *peer;
	const struct xs_addrs *a;
	struct xs_flow_key k;
	struct xs_monitor *m;
	struct xs_flow *f;
	struct tcphdr *th;
	__u32 thl, payload, seq, ack, tsval = 0, tsecr = 0, b, dir, off;
	__u64 now, rtt;
	int ts, syn_fin;

	if (!p)
		return 0;
	off = p->off;
	dir = p->dir;
	if (!off || off > XS_L4_MAX || dir >= XS_DIRS)
		return 0;
	a = &p->a;
	th = data + off;
	if ((void *)(th + 1) > data_end || th->rst)
		return 0;
	thl = th->doff * 4;
	if (thl < sizeof(*th) || thl > p->len)
		return 0;
	payload = p->len - thl;
	syn_fin = th->syn || th->fin;
	ts = xs_tcp_ts((const __u8 *)(th + 1), thl - sizeof(*th), data_end, &tsval, &tsecr);
	/* nothing to learn from a pure ACK without timestamps */
	if (!ts && !payload)
		return 0;

	if (dir == XS_LAN) {
		__builtin_memcpy(k.customer, a->dst, 16);
		__builtin_memcpy(k.remote, a->src, 16);
		k.customer_port = th->dest;
		k.remote_port = th->source;
	} else {
		__builtin_memcpy(k.customer, a->src, 16);
		__builtin_memcpy(k.remote, a->dst, 16);
		k.customer_port = th->source;
		k.remote_port = th->dest;
	}
	f = bpf_map_lookup_elem(&xs_flows, &k);
	if (!f) {
		struct xs_flow nf;

		__builtin_memset(&nf, 0, sizeof(nf));
		bpf_map_update_elem(&xs_flows, &k, &nf, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&xs_flows, &k);
		if (!f)
			return 0;
	}
	me = &f->half[dir];
	peer = &f->half[dir ^ 1];
	seq = bpf_ntohl(th->seq);
	ack = bpf_ntohl(th->ack_seq);

	if (payload) {
		if ((me->flags & XS_HALF_SEQ) && !xs_after(seq + payload, me->seq_high)) {
			m = xs_monitor_of(p->classid);
			if (m)
				m->retransmits[dir]++;
		} else {
			me->seq_high = seq + payload;
			me->flags |= XS_HALF_SEQ;
		}
	}
	if (!ts)
		return 0;
	now = bpf_ktime_get_ns();

	/* the echo of what the other end sent: a pure duplicate ACK is none */
	if (th->ack && peer->ts_time &&
	    (payload || syn_fin || !(me->flags & XS_HALF_ACK) || ack != me->last_ack)) {
		if (tsecr == peer->ts_val) {
			rtt = (now - peer->ts_time) / 1000;
			peer->ts_time = 0;
			m = xs_monitor_of(p->classid);
			if (m) {
				b = xs_rtt_bucket(rtt);
				m->rtt_samples[dir ^ 1]++;
				m->rtt_sum_us[dir ^ 1] += rtt;
				if (b < XS_RTT_BUCKETS)
					m->rtt_hist[dir ^ 1][b]++;
			}
		} else if (xs_after(tsecr, peer->ts_val)) {
			peer->ts_time = 0;
		}
	}
	if (th->ack) {
		me->last_ack = ack;
		me->flags |= XS_HALF_ACK;
	}

	/* the first packet with this TSval: remember it, one at a time */
	if ((me->flags & XS_HALF_TS) && tsval == me->last_tsval)
		return 0;
	me->last_tsval = tsval;
	me->flags |= XS_HALF_TS;
	if (me->ts_time && now - me->ts_time > XS_RTT_STALE)
		me->ts_time = 0;
	if ((payload || syn_fin) && !me->ts_time && now >= me->next_ts) {
		me->ts_val = tsval;
		me->ts_time = now;
		me->next_ts = now + XS_RTT_INTERVAL;
	}
	return 0;
}

#endif /* XSHAPER_BPF_MONITOR_H */
