// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper, not part of xshaper. BPF_PROG_TEST_RUN copies priority back
 * to user space but not queue_mapping, and this kernel has no trampolines
 * to watch the real programs with fexit. So these wrap the very body of the
 * TC programs (classify.h) and hand queue_mapping back in cb[0], which test
 * runs do copy out. tests/bpf/test_xdp.c reuses xshaper's maps for them.
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

char LICENSE[] SEC("license") = "GPL";
