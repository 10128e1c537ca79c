// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper, not part of xshaper. BPF_PROG_TEST_RUN copies priority back
 * to user space but not queue_mapping, and this kernel has no trampolines
 * to watch the real programs with fexit. So these wrap the very body of the
 * TC programs (classify.h) and hand queue_mapping back in cb[0], which test
 * runs do copy out. tests/bpf/test_xdp.c reuses xshaper's maps for them.
 *
 * test_tc_lan_vlan first pushes an 802.1Q tag, which the stack keeps in
 * skb metadata as for a hardware-accelerated tag (a tag already there moves
 * into the frame), and hands back in cb[1] the tag the body then saw in
 * the metadata (0x10000 | TCI; 0 for none).
 */
#include "bpf/classify.h"

SEC("tc")
int test_tc_wan(struct __sk_buff *skb)
{
	int ret = xs_tc(skb, XS_WAN, XS_FIND_TABLE);

	skb->cb[0] = skb->queue_mapping;
	return ret;
}

SEC("tc")
int test_tc_lan(struct __sk_buff *skb)
{
	int ret = xs_tc(skb, XS_LAN, XS_FIND_TABLE);

	skb->cb[0] = skb->queue_mapping;
	return ret;
}

SEC("tc")
int test_tc_lan_vlan(struct __sk_buff *skb)
{
	int ret;

	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 200))
		return TC_ACT_SHOT;
	ret = xs_tc(skb, XS_LAN, XS_FIND_TABLE);
	skb->cb[0] = skb->queue_mapping;
	skb->cb[1] = skb->vlan_present ? 0x10000 | skb->vlan_tci : 0;
	return ret;
}

char LICENSE[] SEC("license") = "GPL";
