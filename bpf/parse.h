/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frame parser shared by the XDP and TC programs and by the parse-only
 * benchmark baseline: Ethernet, up to two VLAN tags (802.1Q and 802.1ad in
 * any order), then IPv4 or IPv6. Every access is bounded by data_end.
 *
 * Addresses come out as four big-endian words, IPv4 mapped to
 * ::ffff:a.b.c.d, which is exactly the layout of the map keys.
 */
#ifndef XSHAPER_BPF_PARSE_H
#define XSHAPER_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Longest header run the parser reads: Ethernet, two tags, IPv6. */
#define XS_PARSE_MAX (ETH_HLEN + 2 * 4 + 40)

enum xs_parse {
	XS_PARSE_IP4,
	XS_PARSE_IP6,
	XS_PARSE_NON_IP,
	XS_PARSE_MALFORMED,
};

struct xs_addrs {
	__u32 src[4];
	__u32 dst[4];
};

struct xs_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline int xs_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Where the transport header starts, for the monitor (bpf/monitor.h):
 * l4 NULL for a fragment other than the first, an IPv6 extension header
 * or a bad IPv4 header length; len is the IP payload length.
 */
struct xs_l4 {
	void *l4;
	__u32 len;
	__u8 proto;
};

/* l4, when not NULL, gets the transport header; inlined, NULL costs nothing */
static __always_inline int xs_parse_l4(void *data, void *data_end, struct xs_addrs *a,
				       struct xs_l4 *l4)
{
	struct ethhdr *eth = data;
	struct xs_vlan_hdr *vlan;
	void *l3;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return XS_PARSE_MALFORMED;
	proto = eth->h_proto;
	l3 = eth + 1;

	/* Two tags cover 802.1Q and QinQ; a third tag is not ours to read. */
	if (xs_is_vlan(proto)) {
		vlan = l3;
		if ((void *)(vlan + 1) > data_end)
			return XS_PARSE_MALFORMED;
		proto = vlan->proto;
		l3 = vlan + 1;
		if (xs_is_vlan(proto)) {
			vlan = l3;
			if ((void *)(vlan + 1) > data_end)
				return XS_PARSE_MALFORMED;
			proto = vlan->proto;
			l3 = vlan + 1;
		}
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			return XS_PARSE_MALFORMED;
		if (ip->version != 4)
			return XS_PARSE_MALFORMED;
		a->src[0] = 0;
		a->src[1] = 0;
		a->src[2] = bpf_htonl(0xffff);
		a->src[3] = ip->saddr;
		a->dst[0] = 0;
		a->dst[1] = 0;
		a->dst[2] = bpf_htonl(0xffff);
		a->dst[3] = ip->daddr;
		if (l4) {
			__u32 hl = ip->ihl * 4, tot = bpf_ntohs(ip->tot_len);

			l4->proto = ip->protocol;
			l4->l4 = NULL;
			/* no offset, no more fragments: an unfragmented packet */
			if (hl >= sizeof(*ip) && tot > hl && !(ip->frag_off & bpf_htons(0x3fff))) {
				l4->l4 = (void *)ip + hl;
				l4->len = tot - hl;
			}
		}
		return XS_PARSE_IP4;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return XS_PARSE_MALFORMED;
		if (ip6->version != 6)
			return XS_PARSE_MALFORMED;
		__builtin_memcpy(a->src, &ip6->saddr, 16);
		__builtin_memcpy(a->dst, &ip6->daddr, 16);
		if (l4) {
			l4->proto = ip6->nexthdr;
			l4->l4 = ip6 + 1;
			l4->len = bpf_ntohs(ip6->payload_len);
		}
		return XS_PARSE_IP6;
	}
	return XS_PARSE_NON_IP;
}

static __always_inline int xs_parse(void *data, void *data_end, struct xs_addrs *a)
{
	return xs_parse_l4(data, data_end, a, NULL);
}

#endif /* XSHAPER_BPF_PARSE_H */
