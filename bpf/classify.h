/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maps, customer lookup and the bodies of the XDP and TC programs. Included
 * by xshaper.bpf.c (the product), bench_lookup.bpf.c (the lookup strategies
 * the product was measured against) and test_tc.bpf.c.
 *
 * Finding the customer of an address
 * ----------------------------------
 * An LPM trie walk costs one cache line per level: ~35 ns at 1 prefix but
 * ~100-260 ns at 100k and more at 1M, and every map helper call costs ~10
 * ns here. So the programs walk xs_table instead: a multibit trie in one
 * BPF array element (layout in bpf/xshaper.h, construction in
 * steer/table.c), one map lookup a packet and then plain loads, each
 * bounds-checked against the table's size. An IPv4 address takes one or
 * two loads, whatever the number of prefixes. Where the table's pool of
 * chunks ran out, its entry says so and the LPM trie, which always holds
 * every prefix, answers instead.
 *
 * The table is not a cache: user space writes it together with the trie,
 * so it never answers with a customer the list no longer has.
 */
#ifndef XSHAPER_BPF_CLASSIFY_H
#define XSHAPER_BPF_CLASSIFY_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bpf/monitor.h"
#include "bpf/parse.h"
#include "bpf/xshaper.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xs_lpm_key);
	__type(value, struct xs_customer);
	__uint(max_entries, XS_MAX_PREFIXES);
} xs_prefixes SEC(".maps");

/*
 * The lookup table: one element holding every slot, so that the walk is
 * pointer arithmetic on one map value, one lookup a packet instead of one
 * a level. Its size (table_slots of [system] lookup_memory) is set by user
 * space before load, with the offset of its last slot here in rodata: the
 * verifier knows that value and so accepts every slot up to it.
 */
const volatile __u64 xs_tbl_last = (XS_TBL_FIRST_CHUNK - 1ULL) << XS_TBL_SLOT_SHIFT;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, XS_TBL_FIRST_CHUNK * sizeof(struct xs_tbl_slot));
	__uint(max_entries, 1);
} xs_table SEC(".maps");

/* max_entries: the number of possible CPUs, set by user space before load */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
	__uint(max_entries, 1);
} xs_cpumap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xs_cpu_queues);
	__uint(max_entries, XS_MAX_CPUS);
} xs_cpu_queues SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xs_settings);
	__uint(max_entries, 1);
} xs_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xs_counters);
	__uint(max_entries, 1);
} xs_stats SEC(".maps");

enum xs_find {
	XS_FIND_TABLE, /* the product: the table, the trie where it says so */
	XS_FIND_TRIE, /* the trie alone (benchmark baseline) */
	XS_FIND_LRU, /* address cache in front of the trie (benchmark candidate) */
	XS_FIND_LRU_COLD, /* the same, every lookup a cache miss (benchmark) */
};

static __always_inline int xs_addr_is_v4(const __u32 *addr)
{
	return addr[0] == 0 && addr[1] == 0 && addr[2] == bpf_htonl(0xffff);
}

static __always_inline const struct xs_customer *xs_find_trie(const __u32 *addr)
{
	struct xs_lpm_key key;

	key.prefixlen = 128;
	__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(&xs_prefixes, &key);
}

/*
 * The entry for byte in the chunk a child entry e points at. A chunk out
 * of range (damage) defers to the trie. The empty asm statement keeps the
 * compiler from turning the add into an or (the offset's low bits are
 * zero), whose bounds the verifier only knows bit by bit.
 */
static __always_inline __u32 xs_tbl_step(const void *t, __u32 e, __u32 byte)
{
	__u64 off = e & XS_TBL_OFFSET_MASK;

	if (off > xs_tbl_last)
		return XS_TBL_TRIE;
	asm volatile("" : "+r"(off));
	return *(const __u32 *)(t + off + (byte & 0xff) * sizeof(__u32));
}

/*
 * The table's answer for addr (v4: an IPv4 frame's mapped address): a
 * classid, XS_TBL_MISS or XS_TBL_TRIE; for a classid, *cpu is the CPU
 * that owns its TX queue.
 */
static __always_inline __u32 xs_find_table(const __u32 *addr, int v4, __u32 *cpu)
{
	const __u8 *b = (const __u8 *)addr;
	const struct xs_tbl_head *h;
	const __u32 *t;
	__u32 zero = 0, e;
	int i;

	t = bpf_map_lookup_elem(&xs_table, &zero);
	if (!t)
		return XS_TBL_TRIE;
	/* an IPv6 frame to ::ffff:a.b.c.d: the trie would answer as for IPv4 */
	if (v4 || xs_addr_is_v4(addr)) {
		e = t[XS_TBL_V4_ROOT * XS_TBL_SLOT_ENTRIES + (bpf_ntohl(addr[3]) >> 8)];
		if (e >= XS_TBL_CHILD)
			e = xs_tbl_step(t, e, b[15]);
	} else {
		e = t[XS_TBL_V6_ROOT * XS_TBL_SLOT_ENTRIES + (bpf_ntohl(addr[0]) >> 16)];
		for (i = 2; i < 16 && e >= XS_TBL_CHILD; i++)
			e = xs_tbl_step(t, e, b[i]);
	}
	if (e >= XS_TBL_CHILD)
		return XS_TBL_TRIE;
	if (e == XS_TBL_MISS || e == XS_TBL_TRIE)
		return e;
	/* a customer's entry names its TX queue */
	h = (const struct xs_tbl_head *)t;
	*cpu = h->txq_cpu[xs_tbl_txq(e) & (XS_MAX_TXQS - 1)];
	return xs_tbl_classid(e);
}

#ifdef XS_FIND_LRU_IMPL
/* defined by the including object, after this header */
static __always_inline __u32 XS_FIND_LRU_IMPL(const __u32 *addr, int *trie, __u32 *cpu,
					      const int cold);
#endif

/*
 * The classid of the customer of addr (v4: mapped from an IPv4 frame) and
 * in *cpu the CPU that owns it, or XS_TBL_MISS; *trie: the trie was asked.
 */
static __always_inline __u32 xs_find(const __u32 *addr, int v4, const int mode, int *trie,
				     __u32 *cpu)
{
	const struct xs_customer *c;
	__u32 e;

	if (mode == XS_FIND_TABLE) {
		e = xs_find_table(addr, v4, cpu);
		if (e != XS_TBL_TRIE)
			return e;
	}
#ifdef XS_FIND_LRU_IMPL
	if (mode == XS_FIND_LRU || mode == XS_FIND_LRU_COLD)
		return XS_FIND_LRU_IMPL(addr, trie, cpu, mode == XS_FIND_LRU_COLD);
#endif
	*trie = 1;
	c = xs_find_trie(addr);
	if (!c)
		return XS_TBL_MISS;
	*cpu = c->cpu;
	return c->classid;
}

/*
 * Flow hash for unknown addresses: both addresses, so that one flow stays on
 * one CPU and one TX queue (no reordering). Ports would spread a single
 * heavy pair better, but need the L4 header, which fragments lack.
 */
static __always_inline __u32 xs_flow_hash(const struct xs_addrs *a)
{
	__u32 h = 0x9e3779b9;
	int i;

	for (i = 0; i < 4; i++) {
		h = (h ^ a->src[i]) * 0x85ebca6b;
		h ^= h >> 15;
		h = (h ^ a->dst[i]) * 0xc2b2ae35;
		h ^= h >> 13;
	}
	return h ^ (h >> 16);
}

/* h scaled into [0, n) without a division */
static __always_inline __u32 xs_scale(__u32 h, __u32 n)
{
	return (__u32)(((__u64)h * n) >> 32);
}

/* the parser's outcomes map onto the counters by an offset */
_Static_assert(XS_XC_GAVE_UP - XS_XC_NON_IP == XS_PARSE_GAVE_UP - XS_PARSE_NON_IP &&
		       XS_XC_MALFORMED - XS_XC_NON_IP == XS_PARSE_MALFORMED - XS_PARSE_NON_IP &&
		       XS_XC_TRIE - XS_XC_NON_IP == XS_PARSE_OUTCOMES - XS_PARSE_NON_IP,
	       "enum xs_xdp_count follows enum xs_parse");

static __always_inline int xs_xdp(struct xdp_md *ctx, const int dir, const int mode)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	const struct xs_settings *s;
	struct xs_counters *st;
	struct xs_addrs a;
	__u32 zero = 0, cpu = 0, classid, out;
	int r, trie = 0, encap = XS_ENCAP_NONE;
	__u64 *n;

	st = bpf_map_lookup_elem(&xs_stats, &zero);
	if (!st)
		return XDP_PASS;
	n = st->xdp[dir];

	r = xs_parse(data, data_end, &a, &encap);
	if (encap != XS_ENCAP_NONE)
		n[encap == XS_ENCAP_PPPOE ? XS_XC_PPPOE : XS_XC_MPLS]++;
	if (r > XS_PARSE_IP6) {
		n[XS_XC_NON_IP + (r - XS_PARSE_NON_IP)]++;
		return XDP_PASS;
	}

	classid = xs_find(dir == XS_WAN ? a.dst : a.src, r == XS_PARSE_IP4, mode, &trie, &cpu);
	if (trie)
		n[XS_XC_TRIE]++;
	if (classid) {
		out = XS_XC_HIT_REDIRECT;
	} else {
		s = bpf_map_lookup_elem(&xs_settings, &zero);
		if (!s || s->unknown == XS_UNKNOWN_PASS || !s->ncpus) {
			n[XS_XC_MISS_PASS]++;
			return XDP_PASS;
		}
		out = XS_XC_MISS_REDIRECT;
		cpu = s->cpus[xs_scale(xs_flow_hash(&a), s->ncpus) & (XS_MAX_CPUS - 1)];
	}

	/* The cpumap hop would only queue the frame back to this CPU. */
	if (cpu == bpf_get_smp_processor_id()) {
		n[out + (XS_XC_HIT_LOCAL - XS_XC_HIT_REDIRECT)]++;
		return XDP_PASS;
	}
	/* flags XDP_PASS: a CPU missing from the cpumap passes the frame here */
	r = bpf_redirect_map(&xs_cpumap, cpu, XDP_PASS);
	n[out + (r == XDP_REDIRECT ? 0 : XS_XC_HIT_FAIL - XS_XC_HIT_REDIRECT)]++;
	return r;
}

/*
 * TC egress: put the packet into its customer's class, or into the default
 * class of a tree owned by the CPU we run on (XDP steered it here, so that
 * tree's lock is this CPU's alone). queue_mapping is 1-based here: the
 * stack takes queue_mapping - 1 as the TX queue, and only while XPS is off.
 */
static __always_inline int xs_tc(struct __sk_buff *skb, const int dir, const int mode)
{
	const struct xs_cpu_queues *q;
	const struct xs_settings *s;
	void *data, *data_end;
	struct xs_counters *st;
	struct xs_addrs a;
	struct xs_l4 l4 = {};
	__u32 zero = 0, cpu = 0, txq, classid, h = 0;
	int r, trie = 0;
	__u64 *n;

	st = bpf_map_lookup_elem(&xs_stats, &zero);
	if (!st)
		return TC_ACT_OK;
	n = st->tc[dir];

	/*
	 * Headers of a forwarded skb are linear; pull them when they are not,
	 * with the longest TCP header where the monitor may find it.
	 */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + XS_L4_MAX + XS_TCP_MAX > data_end && skb->len > data_end - data) {
		bpf_skb_pull_data(skb, skb->len < XS_L4_MAX + XS_TCP_MAX ? skb->len
									 : XS_L4_MAX + XS_TCP_MAX);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}

	/*
	 * The frame is read from its Ethernet header, as XDP reads it, and
	 * skb->protocol is not looked at: for a PPPoE or MPLS frame it is
	 * 0x8864 or 0x8847, and for a tagged one it may name the tag. A VLAN
	 * tag the stack keeps in skb metadata (hardware-accelerated, or pushed
	 * by bpf_skb_vlan_push) is not in the frame at all: the parser sees
	 * the frame without it, which is the same frame with one tag fewer,
	 * so two tags in the frame and one in the metadata still parse. The
	 * customer's address is inside either way.
	 */
	r = xs_parse_l4(data, data_end, &a, &l4, NULL);
	if (r <= XS_PARSE_IP6) {
		classid = xs_find(dir == XS_WAN ? a.src : a.dst, r == XS_PARSE_IP4, mode, &trie,
				  &cpu);
		if (trie)
			n[XS_TC_TRIE]++;
		if (classid) {
			skb->queue_mapping = xs_classid_txq(classid) + 1;
			skb->priority = classid;
			n[XS_TC_CUSTOMER]++;
			if (l4.proto == IPPROTO_TCP) {
				s = bpf_map_lookup_elem(&xs_settings, &zero);
				if (s && (s->monitor & XS_MONITOR_RTT)) {
					struct xs_tcp_pkt p = {
						.a = a,
						.off = l4.off,
						.len = l4.len,
						.dir = dir,
						.classid = classid,
					};

					xs_monitor_tcp(skb, &p);
				}
			}
			return TC_ACT_OK;
		}
		h = xs_flow_hash(&a);
	}

	s = bpf_map_lookup_elem(&xs_settings, &zero);
	if (!s) {
		n[XS_TC_UNCLASSIFIED]++;
		return TC_ACT_OK;
	}
	cpu = bpf_get_smp_processor_id();
	q = bpf_map_lookup_elem(&xs_cpu_queues, &cpu);
	if ((!q || !q->txq_count) && s->ncpus) {
		/* a CPU outside the list (local traffic, unknown passed there) */
		cpu = s->cpus[xs_scale(h, s->ncpus) & (XS_MAX_CPUS - 1)];
		q = bpf_map_lookup_elem(&xs_cpu_queues, &cpu);
	}
	if (!q || !q->txq_count) {
		n[XS_TC_UNCLASSIFIED]++;
		return TC_ACT_OK;
	}
	txq = q->txq_first + xs_scale(h, q->txq_count);
	skb->queue_mapping = txq + 1;
	skb->priority = xs_classid(txq, XS_DEFAULT_MINOR);
	n[XS_TC_DEFAULT]++;
	return TC_ACT_OK;
}

#endif /* XSHAPER_BPF_CLASSIFY_H */
