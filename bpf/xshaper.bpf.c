// SPDX-License-Identifier: GPL-2.0-only
/*
 * The xshaper data path: XDP steers each frame to the CPU that owns its
 * customer, TC egress puts it into the customer's HTB class on that CPU's
 * TX queue. See classify.h for how the customer is found.
 *
 * One program per interface role rather than one program told its role:
 * the role decides which address is the customer's, and a compile-time
 * constant costs nothing per packet, where a role read from a map or from
 * rodata would (rodata is per object, and both roles load from one object).
 * The programs share their maps, so wan and lan see one customer table.
 */
#include "bpf/classify.h"

/*
 * Maps no program reads: state that user space keeps across runs. They are
 * defined here so that the skeleton creates and pins them with the rest.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xs_state);
	__uint(max_entries, 1);
} xs_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xs_xps_key);
	__type(value, struct xs_xps_masks);
	__uint(max_entries, 2 * XS_MAX_TXQS);
} xs_xps SEC(".maps");

SEC("xdp")
int xs_xdp_wan(struct xdp_md *ctx)
{
	return xs_xdp(ctx, XS_WAN, XS_FIND_TABLE);
}

SEC("xdp")
int xs_xdp_lan(struct xdp_md *ctx)
{
	return xs_xdp(ctx, XS_LAN, XS_FIND_TABLE);
}

SEC("tc")
int xs_tc_wan(struct __sk_buff *skb)
{
	return xs_tc(skb, XS_WAN, XS_FIND_TABLE);
}

SEC("tc")
int xs_tc_lan(struct __sk_buff *skb)
{
	return xs_tc(skb, XS_LAN, XS_FIND_TABLE);
}

char LICENSE[] SEC("license") = "GPL";
