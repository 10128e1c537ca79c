/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maps, customer lookup and the bodies of the XDP and TC programs. Included
 * by xshaper.bpf.c (the product), bench_lookup.bpf.c (the lookup strategies
 * the product was measured against) and test_tc.bpf.c.
 *
 * Finding the customer of an address
 * ----------------------------------
 * An LPM trie walk costs one cache line per level: ~35 ns at 1 prefix but
 * ~260 ns at 100k and ~650 ns at 1M. So the trie has an exact-match mirror,
 * keyed by {prefixlen, network} and holding the same entries, split by key
 * size into xs_hash_short and xs_hash_long (see xs_exact_kind). The
 * programs mask the address to each prefix length present in the maps,
 * longest first, and probe the mirror: the first hit is the longest match,
 * exactly what the trie would answer. Customer lists use few distinct
 * lengths (/32 and /56, maybe /24 /29 /48 /64), so this is one or two hash
 * lookups of ~10 ns whatever the number of prefixes. When an address has
 * more lengths to try than XS_MAX_PROBES, the trie, which always holds
 * everything, answers instead.
 *
 * The mirror never serves a stale answer: it is not a cache but a second
 * index that user space writes together with the trie. The order of the
 * writes (steer/sync.c) keeps every length bit honest: a length is
 * published in xs_settings only after all its prefixes are in the mirror,
 * and withdrawn before they are deleted. The bitmaps are read word by word
 * while user space may be rewriting them; a bit that does not change reads
 * the same from either version, and a bit that changes is either state,
 * both valid. Each entry is replaced atomically (hash updates swap whole
 * elements under RCU).
 */
#ifndef XSHAPER_BPF_CLASSIFY_H
#define XSHAPER_BPF_CLASSIFY_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bpf/parse.h"
#include "bpf/xshaper.h"

/* Hash probes before the trie takes over; see the comment above. */
#define XS_MAX_PROBES 4

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xs_lpm_key);
	__type(value, struct xs_customer);
	__uint(max_entries, XS_MAX_PREFIXES);
} xs_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xs_short_key);
	__type(value, struct xs_customer);
	__uint(max_entries, XS_MAX_PREFIXES);
} xs_hash_short SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xs_lpm_key);
	__type(value, struct xs_customer);
	__uint(max_entries, XS_MAX_PREFIXES);
} xs_hash_long SEC(".maps");

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
	__type(value, struct xs_stats);
	__uint(max_entries, 1);
} xs_stats SEC(".maps");

enum xs_find {
	XS_FIND_FAST, /* the product: hash probes, then the trie */
	XS_FIND_TRIE, /* the trie alone (benchmark baseline) */
	XS_FIND_LRU,  /* address cache in front of the trie (benchmark candidate) */
	XS_FIND_LRU_COLD, /* the same, every lookup a cache miss (benchmark) */
};

/*
 * Index of the highest set bit of x != 0. BPF has no clz instruction, and
 * a binary search with branches multiplies the verifier's paths by 64 per
 * probe; each step here is arithmetic: ((v + 2^k - 1) >> k) is 1 when the
 * upper half v is not zero.
 */
static __always_inline __u32 xs_fls64(__u64 x)
{
	__u64 n, t;

	t = (((x >> 32) + 0xffffffffULL) >> 32) << 5;
	n = t;
	x >>= t;
	t = (((x >> 16) + 0xffffULL) >> 16) << 4;
	n += t;
	x >>= t;
	t = (((x >> 8) + 0xffULL) >> 8) << 3;
	n += t;
	x >>= t;
	t = (((x >> 4) + 0xfULL) >> 4) << 2;
	n += t;
	x >>= t;
	t = (((x >> 2) + 0x3ULL) >> 2) << 1;
	n += t;
	x >>= t;
	return n + (x >> 1);
}

/*
 * Network masks by prefix length, as four big-endian words: a table in
 * rodata instead of shifts and clamps, which would branch per word.
 */
#define XS_M32(b) ((__u32)(0xffffffff00000000ULL >> ((b) < 0 ? 0 : (b) > 32 ? 32 : (b))))
#define XS_MASK(l)                                                                          \
	{ bpf_htonl(XS_M32(l)), bpf_htonl(XS_M32((l) - 32)), bpf_htonl(XS_M32((l) - 64)),  \
	  bpf_htonl(XS_M32((l) - 96)) }
#define XS_MASK4(l) XS_MASK(l), XS_MASK((l) + 1), XS_MASK((l) + 2), XS_MASK((l) + 3)
#define XS_MASK16(l) XS_MASK4(l), XS_MASK4((l) + 4), XS_MASK4((l) + 8), XS_MASK4((l) + 12)
#define XS_MASK64(l) XS_MASK16(l), XS_MASK16((l) + 16), XS_MASK16((l) + 32), XS_MASK16((l) + 48)

static const __u32 xs_masks[129][4] = { XS_MASK64(0), XS_MASK64(64), XS_MASK(128) };

static __always_inline void xs_key_set(struct xs_lpm_key *key, const __u32 *addr, __u32 len)
{
	__u32 *w = (__u32 *)key->addr;

	len &= 0xff;
	if (len > 128)
		len = 128;
	key->prefixlen = len;
	w[0] = addr[0] & xs_masks[len][0];
	w[1] = addr[1] & xs_masks[len][1];
	w[2] = addr[2] & xs_masks[len][2];
	w[3] = addr[3] & xs_masks[len][3];
}

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

/* One exact-match probe: is addr/len a prefix in the maps? */
static __always_inline const struct xs_customer *xs_probe(const __u32 *addr, __u32 len, int v4)
{
	struct xs_short_key sk;
	struct xs_lpm_key key;
	__u32 w;

	len &= 0xff;
	if (len > 128)
		len = 128;
	if (xs_exact_kind(len, v4) == XS_EXACT_LONG) {
		xs_key_set(&key, addr, len);
		return bpf_map_lookup_elem(&xs_hash_long, &key);
	}
	/* words 0-1 up to /64, else (IPv4) 2-3; without a branch per word */
	w = ((64 - len) >> 31) << 1;
	sk.prefixlen = len;
	sk.net[0] = addr[w] & xs_masks[len][w];
	sk.net[1] = addr[w + 1] & xs_masks[len][w + 1];
	return bpf_map_lookup_elem(&xs_hash_short, &sk);
}

static __always_inline const struct xs_customer *
xs_find_fast(const __u32 *addr, const struct xs_settings *s, int *trie)
{
	const struct xs_customer *c;
	__u64 w0, w1, w2;
	__u32 b, len;
	int i, v4;

	v4 = xs_addr_is_v4(addr);
	if (v4) {
		/*
		 * IPv4-mapped prefixes have lengths 96..128; of the others
		 * only those up to /96 can contain ::ffff:0:0/96.
		 */
		w2 = s->lens_v4[2];
		w1 = s->lens_v4[1] | (s->lens_v6[1] & 0x1ffffffffULL);
		w0 = s->lens_v6[0];
	} else {
		w2 = s->lens_v6[2];
		w1 = s->lens_v6[1];
		w0 = s->lens_v6[0];
	}

	for (i = 0; i < XS_MAX_PROBES; i++) {
		if (w2) {
			len = 128;
			w2 = 0;
		} else if (w1) {
			b = xs_fls64(w1);
			w1 &= ~(1ULL << b);
			len = 64 + b;
		} else if (w0) {
			b = xs_fls64(w0);
			w0 &= ~(1ULL << b);
			len = b;
		} else {
			return NULL; /* every present length probed */
		}
		c = xs_probe(addr, len, v4);
		if (c)
			return c;
	}
	if (!(w0 | w1 | w2))
		return NULL;
	*trie = 1;
	return xs_find_trie(addr);
}

#ifdef XS_FIND_LRU_IMPL
/* defined by the including object, after this header */
static __always_inline const struct xs_customer *XS_FIND_LRU_IMPL(const __u32 *addr, int *trie,
								  const int cold);
#endif

static __always_inline const struct xs_customer *
xs_find(const __u32 *addr, const struct xs_settings *s, const int mode, int *trie)
{
	if (mode == XS_FIND_TRIE) {
		*trie = 1;
		return xs_find_trie(addr);
	}
#ifdef XS_FIND_LRU_IMPL
	if (mode == XS_FIND_LRU || mode == XS_FIND_LRU_COLD)
		return XS_FIND_LRU_IMPL(addr, trie, mode == XS_FIND_LRU_COLD);
#endif
	return xs_find_fast(addr, s, trie);
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

static __always_inline int xs_xdp(struct xdp_md *ctx, const int dir, const int mode)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	const struct xs_settings *s;
	const struct xs_customer *c;
	struct xs_stats *st;
	struct xs_addrs a;
	__u32 zero = 0, cpu;
	int r, trie = 0;
	__u64 *n;

	st = bpf_map_lookup_elem(&xs_stats, &zero);
	s = bpf_map_lookup_elem(&xs_settings, &zero);
	if (!st || !s)
		return XDP_PASS;
	n = st->xdp[dir];

	r = xs_parse(data, data_end, &a);
	if (r != XS_PARSE_IP) {
		n[r == XS_PARSE_NON_IP ? XS_XDP_NON_IP : XS_XDP_MALFORMED]++;
		return XDP_PASS;
	}

	c = xs_find(dir == XS_WAN ? a.dst : a.src, s, mode, &trie);
	if (trie)
		n[XS_XDP_TRIE]++;
	if (c) {
		n[XS_XDP_HIT]++;
		cpu = c->cpu;
	} else {
		n[XS_XDP_MISS]++;
		if (s->unknown == XS_UNKNOWN_PASS || !s->ncpus) {
			n[XS_XDP_UNKNOWN_PASS]++;
			return XDP_PASS;
		}
		cpu = s->cpus[xs_scale(xs_flow_hash(&a), s->ncpus) & (XS_MAX_CPUS - 1)];
	}

	/* The cpumap hop would only queue the frame back to this CPU. */
	if (cpu == bpf_get_smp_processor_id()) {
		n[XS_XDP_LOCAL]++;
		return XDP_PASS;
	}
	/* flags XDP_PASS: a CPU missing from the cpumap passes the frame here */
	r = bpf_redirect_map(&xs_cpumap, cpu, XDP_PASS);
	n[r == XDP_REDIRECT ? XS_XDP_REDIRECT : XS_XDP_REDIRECT_FAIL]++;
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
	const struct xs_customer *c;
	void *data, *data_end;
	struct xs_stats *st;
	struct xs_addrs a;
	__u32 zero = 0, cpu, txq, h = 0;
	int trie = 0;
	__u64 *n;

	st = bpf_map_lookup_elem(&xs_stats, &zero);
	s = bpf_map_lookup_elem(&xs_settings, &zero);
	if (!st || !s)
		return TC_ACT_OK;
	n = st->tc[dir];

	/* Headers of a forwarded skb are linear; pull them when they are not. */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + XS_PARSE_MAX > data_end && skb->len > data_end - data) {
		bpf_skb_pull_data(skb, skb->len < XS_PARSE_MAX ? skb->len : XS_PARSE_MAX);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}

	if (xs_parse(data, data_end, &a) == XS_PARSE_IP) {
		c = xs_find(dir == XS_WAN ? a.src : a.dst, s, mode, &trie);
		if (trie)
			n[XS_TC_TRIE]++;
		if (c) {
			skb->queue_mapping = c->txq + 1;
			skb->priority = c->classid;
			n[XS_TC_CUSTOMER]++;
			return TC_ACT_OK;
		}
		h = xs_flow_hash(&a);
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
