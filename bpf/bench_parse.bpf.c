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

	if (xs_parse(data, data_end, &a, NULL) > XS_PARSE_IP6)
		return XDP_PASS;
	/* the addresses must be used, or the compiler drops the parse */
	return a.dst[3] == 0 && a.src[3] == 0 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
