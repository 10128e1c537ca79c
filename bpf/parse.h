/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frame parser shared by the XDP and TC programs, the monitor and the
 * parse-only benchmark baseline: Ethernet, up to two VLAN tags (802.1Q and
 * 802.1ad in any order), then IPv4 or IPv6, plain, in a PPPoE session or
 * under an MPLS label stack. Every access is bounded by data_end.
 *
 * Addresses come out as four big-endian words, IPv4 mapped to
 * ::ffff:a.b.c.d, which is exactly the layout of the map keys.
 *
 * PPPoE (RFC 2516): a session frame (ethertype 0x8864) with version and
 * type 1, code 0, whose PPP protocol is IPv4 (0x0021) or IPv6 (0x0057).
 * Discovery (0x8863) and the PPP control protocols (LCP, IPCP, IPv6CP...)
 * are not IP. A compressed one-byte protocol field (PFC, which RFC 2516
 * advises against) is not read as IP either.
 *
 * MPLS (RFC 3032, 0x8847 and 0x8848): up to XS_MPLS_LABELS label entries,
 * up to the one with the bottom-of-stack bit; there is no payload type in
 * the stack, so the first nibble after it says IPv4 (4) or IPv6 (6). A
 * deeper stack, or a payload that is neither (a pseudowire control word
 * starts with 0), is given up on: passed, and counted apart.
 */
#ifndef XSHAPER_BPF_PARSE_H
#define XSHAPER_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/*
 * The deepest MPLS stack the parser follows. A VPN label over a transport
 * label (LDP or segment routing) is 2; an entropy label and its indicator
 * (RFC 6790) add 2, a fast-reroute bypass label pushed on top 1 more. Each
 * label costs a bounds check and a bit test only when it is there.
 */
#define XS_MPLS_LABELS 5
#define XS_MPLS_BOS    0x100U /* bottom of stack, in the host-order entry */

/*
 * Longest header run the parser reads: Ethernet, two tags, the longer of
 * PPPoE with its PPP protocol (8) and a full label stack, IPv6.
 */
#define XS_PARSE_MAX (ETH_HLEN + 2 * 4 + XS_MPLS_LABELS * 4 + 40)

enum xs_parse {
	XS_PARSE_IP4,
	XS_PARSE_IP6,
	XS_PARSE_NON_IP,
	XS_PARSE_MALFORMED, /* the frame ends inside a header, or one is invalid */
	XS_PARSE_GAVE_UP, /* an MPLS stack too deep, or not IP under it */
	XS_PARSE_OUTCOMES,
};

/* What carried the IP packet (or the frame the parser gave up on). */
enum xs_encap {
	XS_ENCAP_NONE,
	XS_ENCAP_PPPOE,
	XS_ENCAP_MPLS,
};

struct xs_addrs {
	__u32 src[4];
	__u32 dst[4];
};

struct xs_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* A PPPoE session header (RFC 2516) and the PPP protocol after it. */
struct xs_pppoe_hdr {
	__u8 ver_type; /* 0x11 */
	__u8 code; /* 0 in a session */
	__be16 session;
	__be16 length;
	__be16 ppp_proto;
};

#define XS_PPPOE_VER_TYPE 0x11
#define XS_PPP_IP	  0x0021
#define XS_PPP_IPV6	  0x0057

static __always_inline int xs_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Under MPLS nothing says what the payload is, and an Ethernet pseudowire
 * without a control word starts with a MAC address, whose first nibble
 * may be 4. So a 4 is IPv4 only with a header of 20 bytes (no options)
 * whose checksum holds: one in 65536 such MAC headers passes. A frame cut
 * inside the header is malformed, as anywhere else.
 */
static __always_inline int xs_ip4_checked(void *l3, void *data_end)
{
	const __u16 *w = l3;
	__u32 sum = 0;
	int i;

	if ((void *)(w + 10) > data_end)
		return XS_PARSE_MALFORMED;
	if (*(__u8 *)l3 != 0x45)
		return XS_PARSE_GAVE_UP;
#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? XS_PARSE_IP4 : XS_PARSE_GAVE_UP;
}

/*
 * A PPPoE session or MPLS frame whose payload starts at *l3: on IPv4 or
 * IPv6 (XS_PARSE_IP4/6) *l3 moves to the IP header. The encapsulation
 * goes to *encap whatever the outcome. The label walk is unrolled: the
 * verifier sees each label's bounds check on its own, at a fixed offset.
 */
static __always_inline int xs_parse_encap(void **l3, void *data_end, __be16 proto, int *encap)
{
	if (proto == bpf_htons(ETH_P_PPP_SES)) {
		struct xs_pppoe_hdr *pppoe = *l3;

		if (encap)
			*encap = XS_ENCAP_PPPOE;
		if ((void *)(pppoe + 1) > data_end)
			return XS_PARSE_MALFORMED;
		/* the length counts the PPP protocol and its payload */
		if (pppoe->ver_type != XS_PPPOE_VER_TYPE || pppoe->code ||
		    bpf_ntohs(pppoe->length) < 2)
			return XS_PARSE_MALFORMED;
		*l3 = pppoe + 1;
		if (pppoe->ppp_proto == bpf_htons(XS_PPP_IP))
			return XS_PARSE_IP4;
		if (pppoe->ppp_proto == bpf_htons(XS_PPP_IPV6))
			return XS_PARSE_IP6;
		return XS_PARSE_NON_IP; /* LCP, IPCP, IPv6CP, ... */
	}
	if (proto == bpf_htons(ETH_P_MPLS_UC) || proto == bpf_htons(ETH_P_MPLS_MC)) {
		__be32 *label = *l3;
		__u8 *payload;
		int i;

		if (encap)
			*encap = XS_ENCAP_MPLS;
#pragma unroll
		for (i = 0; i < XS_MPLS_LABELS; i++) {
			if ((void *)(label + 1) > data_end)
				return XS_PARSE_MALFORMED;
			if (*label++ & bpf_htonl(XS_MPLS_BOS))
				break;
		}
		if (i == XS_MPLS_LABELS)
			return XS_PARSE_GAVE_UP;
		payload = (__u8 *)label;
		if ((void *)(payload + 1) > data_end)
			return XS_PARSE_MALFORMED;
		*l3 = payload;
		if (*payload >> 4 == 4)
			return xs_ip4_checked(payload, data_end);
		if (*payload >> 4 == 6)
			return XS_PARSE_IP6;
		return XS_PARSE_GAVE_UP;
	}
	return XS_PARSE_NON_IP;
}

/*
 * Where the transport header starts, for the monitor (bpf/monitor.h): off
 * is its offset from the start of the frame, 0 for a fragment other than
 * the first or a bad IPv4 header length; len is the IP payload length. An
 * offset, not a pointer: the monitor is verified once for every header
 * layout (see there).
 */
struct xs_l4 {
	__u32 off;
	__u32 len;
	__u8 proto;
};

/*
 * l4, when not NULL, gets the transport header, encap, when not NULL, the
 * encapsulation (left alone for a plain frame); inlined, NULL costs nothing.
 */
static __always_inline int xs_parse_l4(void *data, void *data_end, struct xs_addrs *a,
				       struct xs_l4 *l4, int *encap)
{
	struct ethhdr *eth = data;
	struct xs_vlan_hdr *vlan;
	struct ipv6hdr *ip6;
	struct iphdr *ip;
	void *l3;
	__be16 proto;
	int r;

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

	/* plain IP first: the common case pays one comparison for the rest */
	if (proto == bpf_htons(ETH_P_IP)) {
		r = XS_PARSE_IP4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		r = XS_PARSE_IP6;
	} else {
		r = xs_parse_encap(&l3, data_end, proto, encap);
		if (r > XS_PARSE_IP6)
			return r;
	}

	if (r == XS_PARSE_IP4) {
		ip = l3;
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
			l4->off = 0;
			/* no offset, no more fragments: an unfragmented packet */
			if (hl >= sizeof(*ip) && tot > hl && !(ip->frag_off & bpf_htons(0x3fff))) {
				l4->off = (void *)ip + hl - data;
				l4->len = tot - hl;
			}
		}
		return XS_PARSE_IP4;
	}

	ip6 = l3;
	if ((void *)(ip6 + 1) > data_end)
		return XS_PARSE_MALFORMED;
	if (ip6->version != 6)
		return XS_PARSE_MALFORMED;
	__builtin_memcpy(a->src, &ip6->saddr, 16);
	__builtin_memcpy(a->dst, &ip6->daddr, 16);
	if (l4) {
		l4->proto = ip6->nexthdr;
		l4->off = (void *)(ip6 + 1) - data;
		l4->len = bpf_ntohs(ip6->payload_len);
	}
	return XS_PARSE_IP6;
}

static __always_inline int xs_parse(void *data, void *data_end, struct xs_addrs *a, int *encap)
{
	return xs_parse_l4(data, data_end, a, NULL, encap);
}

#endif /* XSHAPER_BPF_PARSE_H */
