// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lookup strategies xshaper's was measured against (tests/bench/
 * bench_xdp.c), built from the same program body as the product:
 *
 *   bench_trie  the LPM trie alone
 *   bench_lru   a per-address LRU cache in front of the trie; every entry
 *               carries the generation it was filled in, and user space
 *               bumps the generation after each change, so that entries
 *               filled before are ignored
 *   bench_lru_cold  the same when the cache does not have the address (the
 *               first packet of each address after every reload, a scan):
 *               the cache probe, the trie, and the cache fill
 *
 * The benchmark reuses the maps of the xshaper object, so every program
 * sees the same prefixes.
 */
#define XS_FIND_LRU_IMPL bench_find_lru
#include "bpf/classify.h"

struct xs_cache_entry {
	struct xs_customer customer;
	__u32 generation;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u32[4]);
	__type(value, struct xs_cache_entry);
	__uint(max_entries, 65536);
} bench_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} bench_generation SEC(".maps");

static __always_inline __u32 bench_find_lru(const __u32 *addr, int *trie, __u32 *cpu,
					    const int cold)
{
	struct xs_cache_entry *e, fill = {};
	const struct xs_customer *c;
	__u32 zero = 0, *gen;

	gen = bpf_map_lookup_elem(&bench_generation, &zero);
	if (!gen)
		return XS_TBL_MISS;
	/* read the generation before the trie: a fill races a bump safely */
	fill.generation = *gen;
	e = bpf_map_lookup_elem(&bench_cache, addr);
	if (e && e->generation == fill.generation && !cold) {
		*cpu = e->customer.cpu;
		return e->customer.classid;
	}
	*trie = 1;
	c = xs_find_trie(addr);
	if (!c)
		return XS_TBL_MISS; /* misses are not cached: a scan would flush the cache */
	fill.customer = *c;
	bpf_map_update_elem(&bench_cache, addr, &fill, BPF_ANY);
	*cpu = c->cpu;
	return c->classid;
}

SEC("xdp")
int bench_trie(struct xdp_md *ctx)
{
	return xs_xdp(ctx, XS_WAN, XS_FIND_TRIE);
}

SEC("xdp")
int bench_lru(struct xdp_md *ctx)
{
	return xs_xdp(ctx, XS_WAN, XS_FIND_LRU);
}

SEC("xdp")
int bench_lru_cold(struct xdp_md *ctx)
{
	return xs_xdp(ctx, XS_WAN, XS_FIND_LRU_COLD);
}

char LICENSE[] SEC("license") = "GPL";
