// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark baseline: the xshaper parser and nothing else. The cost of the
 * steering programs is reported as a ratio to this one.
 */
#include "bpf/parse.h"

SEC("xdp")
int bench_parse(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xs_addrs a;

	/* the result must be used, or the compiler drops the parse */
	if (xs_parse(data, data_end, &a, NULL) <= XS_PARSE_IP6 && a.dst[3] == 0 && a.src[3] == 0)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
