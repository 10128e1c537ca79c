// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the namespace tests need done to the data path that no xshaper
 * command does (start, reload, stop, lookup, status and stats cover the
 * rest, and tests/netns/test_steer.sh drives those):
 *
 * steer_tool foreign-xdp IF
 *   attach a program that is not xshaper's (the benchmark's parse-only
 *   one) to IF in skb mode, for the test that start refuses to replace it.
 *
 * Exit status: 0, 1 bad usage or no such interface, 2 the call failed.
 */
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "bench_parse.skel.h"

static int foreign_xdp(const char *ifname)
{
	struct bench_parse *skel;
	int ifindex, err;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "%s: no such interface\n", ifname);
		return 1;
	}
	skel = bench_parse__open_and_load();
	if (!skel)
		return 2;
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.bench_parse), XDP_FLAGS_SKB_MODE,
			     NULL);
	bench_parse__destroy(skel);
	if (err) {
		fprintf(stderr, "%s: attaching failed: %s\n", ifname, strerror(-err));
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "foreign-xdp"))
		return foreign_xdp(argv[2]);
	fprintf(stderr, "usage: steer_tool foreign-xdp IF\n");
	return 1;
}
