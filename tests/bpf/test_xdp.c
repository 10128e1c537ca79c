// SPDX-License-Identifier: GPL-2.0-only
/*
 * The steering programs on crafted frames (BPF_PROG_TEST_RUN), with the
 * maps filled through steer_sync as xshaper fills them, and steer_sync
 * itself: the trie holds exactly the wanted prefixes after every change,
 * the lookup table answers as the trie would at the edges of every prefix,
 * and the programs never answer with a customer that is gone.
 *
 * Needs root (BPF). The process is pinned to CPU 0, so a customer of CPU 0
 * is "local" (XDP_PASS, no cpumap hop) and one of CPU 1 is redirected.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include "common/log.h"
#include "steer/steer.h"
#include "test_tc.skel.h"
#include "unit/helpers.h"
#include "xshaper.skel.h"

#define MAX_PREFIXES 8

struct spec {
	const char *id;
	uint32_t cpu, txq, minor;
	const char *prefixes[MAX_PREFIXES];
};

/* Three customers on two CPUs; 1002's /32 lies inside 1001's /24. */
static const struct spec base[] = {
	{ "1001", 1, 1, 3, { "198.19.1.0/24", "2001:db8:101::/56" } },
	{ "1002", 0, 0, 3, { "198.19.1.77/32" } },
	{ "1003", 1, 1, 4, { "198.19.2.10/32", "2001:db8:102::/64" } },
};

static struct xs_config cfg;
static struct steer *steer;
static int xdp_fd[XS_DIRS], tc_fd[XS_DIRS];
/* the TC body again, handing queue_mapping back (bpf/test_tc.bpf.c) */
static struct test_tc *peek;
static int peek_fd[XS_DIRS], peek_vlan_fd;

/* ---- building customer lists and plans ---------------------------------- */

static void prefix_from(const char *text, struct prefix *p)
{
	if (prefix_parse(text, p))
		fail_msg("%s: not a prefix", text);
}

/* The list of s (sorted by id, as s is) without a network, and its plan placed as s says. */
static void build(const struct spec *s, size_t n, struct customer_list *list, struct plan *plan)
{
	size_t i, j;

	memset(list, 0, sizeof(*list));
	list->v = calloc(n ? n : 1, sizeof(*list->v));
	assert_non_null(list->v);
	list->n = n;
	for (i = 0; i < n; i++) {
		struct customer *c = &list->v[i];

		c->id = strdup(s[i].id);
		assert_non_null(c->id);
		c->name = "";
		c->info = "";
		c->parent = NULL;
		c->node = NETWORK_NONE;
		for (j = 0; j < MAX_PREFIXES && s[i].prefixes[j]; j++)
			;
		c->nprefixes = j;
		c->prefixes = calloc(j ? j : 1, sizeof(*c->prefixes));
		assert_non_null(c->prefixes);
		for (j = 0; j < c->nprefixes; j++) {
			prefix_from(s[i].prefixes[j], &c->prefixes[j]);
			if (prefix_is_v4(&c->prefixes[j]))
				list->nprefixes_v4++;
			else
				list->nprefixes_v6++;
		}
	}
	assert_int_equal(plan_init(&cfg, NULL, list, plan), 0);
	assert_int_equal(plan->n, plan->nnodes + n);
	for (i = 0; i < n; i++) {
		struct plan_class *pc = &plan->classes[plan->nnodes + i];

		assert_int_equal(pc->kind, PLAN_CUSTOMER);
		assert_int_equal(pc->ref, i);
		pc->cpu = s[i].cpu;
		pc->txq = s[i].txq;
		pc->minor = s[i].minor;
	}
}

static void release(struct customer_list *list, struct plan *plan)
{
	size_t i;

	plan_free(plan);
	for (i = 0; i < list->n; i++) {
		free(list->v[i].id);
		free(list->v[i].prefixes);
	}
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/* steer_sync of s, its result */
static int steer_sync_spec(const struct spec *s, size_t n)
{
	struct customer_list list;
	struct plan plan;
	int err;

	build(s, n, &list, &plan);
	err = steer_sync(steer, NULL, &plan, NULL);
	release(&list, &plan);
	return err;
}

static void sync_to(const struct spec *s, size_t n, struct steer_counts *counts)
{
	struct customer_list list;
	struct plan plan;

	build(s, n, &list, &plan);
	assert_int_equal(steer_sync(steer, NULL, &plan, counts), 0);
	release(&list, &plan);
}

/* ---- frames ------------------------------------------------------------- */

struct frame {
	uint8_t b[256];
	size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* The IPv4 header checksum of the 20-byte header at ip, as senders set it. */
static void ip4_checksum(uint8_t *ip)
{
	uint32_t sum = 0;
	int i;

	ip[10] = ip[11] = 0;
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
}

/* Ethernet, the VLAN tags (TPIDs, outermost first, 0-terminated), IP, UDP. */
static void ip_frame(struct frame *f, const uint16_t *tags, const char *src, const char *dst)
{
	bool v6 = strchr(src, ':') != NULL;
	uint8_t *p = f->b;
	int i;

	memset(f, 0, sizeof(*f));
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	p += 12;
	for (i = 0; tags && tags[i]; i++) {
		put16(p, tags[i]);
		put16(p + 2, 100 + i); /* TCI: VLAN id */
		p += 4;
	}
	put16(p, v6 ? ETH_P_IPV6 : ETH_P_IP);
	p += 2;
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, 8 + 18); /* payload length */
		p[6] = 17; /* UDP */
		p[7] = 64;
		assert_int_equal(inet_pton(AF_INET6, src, p + 8), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, p + 24), 1);
		p += 40;
	} else {
		p[0] = 0x45;
		put16(p + 2, 20 + 8 + 18);
		p[8] = 64;
		p[9] = 17;
		assert_int_equal(inet_pton(AF_INET, src, p + 12), 1);
		assert_int_equal(inet_pton(AF_INET, dst, p + 16), 1);
		ip4_checksum(p);
		p += 20;
	}
	put16(p, 40000);
	put16(p + 2, 5201);
	put16(p + 4, 8 + 18);
	p += 8 + 18;
	f->len = p - f->b;
}

/* A TCP segment in IPv4 or IPv6 (no VLAN tags) */
struct tcp_seg {
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags; /* TH_* as on the wire: 0x10 ACK, 0x02 SYN, ... */
	size_t payload;
	bool ts; /* with the timestamp option (NOP NOP TS, as Linux sends it) */
	uint32_t tsval, tsecr;
};

#define TCP_ACK 0x10
#define TCP_PSH 0x08
#define TCP_RST 0x04

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void tcp_frame(struct frame *f, const struct tcp_seg *t)
{
	bool v6 = strchr(t->src, ':') != NULL;
	size_t thl = t->ts ? 32 : 20;
	uint8_t *p = f->b;

	assert_true(14 + 40 + thl + t->payload <= sizeof(f->b));
	memset(f, 0, sizeof(*f));
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	put16(p + 12, v6 ? ETH_P_IPV6 : ETH_P_IP);
	p += 14;
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, thl + t->payload);
		p[6] = 6; /* TCP */
		p[7] = 64;
		assert_int_equal(inet_pton(AF_INET6, t->src, p + 8), 1);
		assert_int_equal(inet_pton(AF_INET6, t->dst, p + 24), 1);
		p += 40;
	} else {
		p[0] = 0x45;
		put16(p + 2, 20 + thl + t->payload);
		p[6] = 0x40; /* DF */
		p[8] = 64;
		p[9] = 6;
		assert_int_equal(inet_pton(AF_INET, t->src, p + 12), 1);
		assert_int_equal(inet_pton(AF_INET, t->dst, p + 16), 1);
		ip4_checksum(p);
		p += 20;
	}
	put16(p, t->sport);
	put16(p + 2, t->dport);
	put32(p + 4, t->seq);
	put32(p + 8, t->ack);
	p[12] = (uint8_t)(thl / 4) << 4;
	p[13] = t->flags;
	put16(p + 14, 65535);
	if (t->ts) {
		p[20] = 1;
		p[21] = 1;
		p[22] = 8;
		p[23] = 10;
		put32(p + 24, t->tsval);
		put32(p + 28, t->tsecr);
	}
	p += thl;
	memset(p, 0xab, t->payload);
	f->len = p + t->payload - f->b;
}

static void arp_frame(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	memset(f->b, 0xff, 6);
	memcpy(f->b + 6, "\x02\0\0\0\0\x01", 6);
	put16(f->b + 12, ETH_P_ARP);
	f->len = 14 + 28 + 18;
}

/*
 * The IP packet of f (an untagged frame) behind the tags (as ip_frame),
 * the ethertype type and hlen bytes of encapsulation header hdr.
 */
static void encap_frame(struct frame *f, const uint16_t *tags, uint16_t type, const uint8_t *hdr,
			size_t hlen)
{
	struct frame ip = *f;
	size_t n = ip.len - 14;
	uint8_t *p = f->b + 12;
	int i;

	for (i = 0; tags && tags[i]; i++) {
		put16(p, tags[i]);
		put16(p + 2, 100 + i);
		p += 4;
	}
	assert_true((size_t)(p - f->b) + 2 + hlen + n <= sizeof(f->b));
	put16(p, type);
	p += 2;
	memcpy(p, hdr, hlen);
	p += hlen;
	memcpy(p, ip.b + 14, n);
	f->len = p + n - f->b;
}

#define PPP_LCP	   0xc021
#define PPP_IPCP   0x8021
#define PPP_IPV6CP 0x8057

/* f's packet in a PPPoE session (id 0x1234), PPP protocol ppp */
static void pppoe_frame(struct frame *f, const uint16_t *tags, uint16_t ppp)
{
	uint8_t h[8] = { 0x11, 0x00, 0x12, 0x34 };

	put16(h + 4, f->len - 14 + 2); /* the PPP protocol and the packet */
	put16(h + 6, ppp);
	encap_frame(f, tags, ETH_P_PPP_SES, h, sizeof(h));
}

/* f's packet under labels MPLS label entries (bottom of stack on the last one) */
static void mpls_frame(struct frame *f, const uint16_t *tags, unsigned int labels)
{
	uint8_t h[4 * 8];
	unsigned int i;

	assert_true(labels * 4 <= sizeof(h));
	for (i = 0; i < labels; i++)
		put32(h + 4 * i, (16000 + i) << 12 | (i == labels - 1 ? 0x100 : 0) | 64);
	encap_frame(f, tags, ETH_P_MPLS_UC, h, 4 * labels);
}

/* ---- running programs --------------------------------------------------- */

static struct xs_stats stats_now(void)
{
	struct xs_stats total;

	assert_int_equal(steer_read_stats(steer, NULL, NULL, &total), 0);
	return total;
}

static int run_xdp(int dir, const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(xdp_fd[dir], &opts), 0);
	return opts.retval;
}

static uint32_t tc_run(int fd, const struct frame *f, struct __sk_buff *ctx)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len, .ctx_in = ctx,
		    .ctx_size_in = sizeof(*ctx), .ctx_out = ctx, .ctx_size_out = sizeof(*ctx),
		    .repeat = 1);

	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	return opts.retval;
}

/*
 * Run the TC program: the classid it put in skb->priority. queue_mapping
 * comes from the wrapper of the same body (test runs do not copy it out),
 * which must agree on the classid; its counting is undone afterwards.
 */
static void run_tc(int dir, const struct frame *f, uint32_t *priority, uint32_t *queue_mapping)
{
	int stats_fd = bpf_map__fd(steer_skeleton(steer)->maps.xs_stats);
	struct xs_counters *saved;
	struct __sk_buff ctx;
	__u32 zero = 0;

	assert_int_equal(tc_run(tc_fd[dir], f, &ctx), TC_ACT_OK);
	*priority = ctx.priority;
	saved = calloc(libbpf_num_possible_cpus(), sizeof(*saved));
	assert_non_null(saved);
	assert_int_equal(bpf_map_lookup_elem(stats_fd, &zero, saved), 0);
	assert_int_equal(tc_run(peek_fd[dir], f, &ctx), TC_ACT_OK);
	assert_int_equal(bpf_map_update_elem(stats_fd, &zero, saved, BPF_ANY), 0);
	free(saved);
	assert_int_equal(ctx.priority, *priority);
	*queue_mapping = ctx.cb[0];
}

#define DELTA(after, before, dir, stat)	   ((after).xdp[dir][stat] - (before).xdp[dir][stat])
#define TC_DELTA(after, before, dir, stat) ((after).tc[dir][stat] - (before).tc[dir][stat])

/* One frame through XDP: its verdict and which counters moved by one. */
static void expect_xdp(int dir, const struct frame *f, int verdict, const int *moved)
{
	struct xs_stats before = stats_now(), after;
	int i, j, want;

	assert_int_equal(run_xdp(dir, f), verdict);
	after = stats_now();
	for (i = 0; i < XS_XDP_STATS; i++) {
		if (i == XS_XDP_TRIE)
			continue; /* depends on the lengths present; tested apart */
		want = 0;
		for (j = 0; moved[j] >= 0; j++)
			want += moved[j] == i;
		if (DELTA(after, before, dir, i) != (uint64_t)want)
			fail_msg("%s %s: counter %s moved by %llu, expected %d", role_name(dir),
				 "xdp", steer_xdp_stat_name(i),
				 (unsigned long long)DELTA(after, before, dir, i), want);
	}
}

static const int HIT_REDIRECT[] = { XS_XDP_HIT, XS_XDP_REDIRECT, -1 };
static const int HIT_LOCAL[] = { XS_XDP_HIT, XS_XDP_LOCAL, -1 };
static const int MALFORMED[] = { XS_XDP_MALFORMED, -1 };
static const int NON_IP[] = { XS_XDP_NON_IP, -1 };
static const int PPPOE_REDIRECT[] = { XS_XDP_PPPOE, XS_XDP_HIT, XS_XDP_REDIRECT, -1 };
static const int MPLS_REDIRECT[] = { XS_XDP_MPLS, XS_XDP_HIT, XS_XDP_REDIRECT, -1 };
static const int PPPOE_NON_IP[] = { XS_XDP_PPPOE, XS_XDP_NON_IP, -1 };
static const int MPLS_GAVE_UP[] = { XS_XDP_MPLS, XS_XDP_GAVE_UP, -1 };

/* ---- setup -------------------------------------------------------------- */

static int group_setup(void **state)
{
	cpu_set_t set;

	if (getuid() != 0) {
		fprintf(stderr, "test_xdp: needs root (BPF)\n");
		return -1;
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.cpus[0] = 0;
	cfg.cpus[1] = 1;
	cfg.ncpus = 2;
	cfg.queues_per_cpu = 1;
	cfg.queue_size = 256;
	cfg.unknown = XS_UNKNOWN_SHAPE;
	if (libbpf_num_possible_cpus() < 2) {
		fprintf(stderr, "test_xdp: needs two CPUs\n");
		return -1;
	}
	if (steer_load(&cfg, 4096, &steer) || steer_set_cpus(steer, &cfg))
		return -1;
	xdp_fd[XS_WAN] = bpf_program__fd(steer_skeleton(steer)->progs.xs_xdp_wan);
	xdp_fd[XS_LAN] = bpf_program__fd(steer_skeleton(steer)->progs.xs_xdp_lan);
	tc_fd[XS_WAN] = bpf_program__fd(steer_skeleton(steer)->progs.xs_tc_wan);
	tc_fd[XS_LAN] = bpf_program__fd(steer_skeleton(steer)->progs.xs_tc_lan);

	peek = test_tc__open();
	if (!peek)
		return -1;
	{
		struct xshaper *skel = steer_skeleton(steer);
		struct bpf_map *mine[] = { skel->maps.xs_prefixes, skel->maps.xs_table,
					   skel->maps.xs_cpumap,   skel->maps.xs_cpu_queues,
					   skel->maps.xs_settings, skel->maps.xs_stats };
		struct bpf_map *theirs[] = { peek->maps.xs_prefixes, peek->maps.xs_table,
					     peek->maps.xs_cpumap,   peek->maps.xs_cpu_queues,
					     peek->maps.xs_settings, peek->maps.xs_stats };
		size_t i;

		for (i = 0; i < sizeof(mine) / sizeof(mine[0]); i++)
			if (bpf_map__reuse_fd(theirs[i], bpf_map__fd(mine[i])))
				return -1;
		peek->rodata->xs_tbl_last = skel->rodata->xs_tbl_last;
	}
	if (test_tc__load(peek))
		return -1;
	peek_fd[XS_WAN] = bpf_program__fd(peek->progs.test_tc_wan);
	peek_fd[XS_LAN] = bpf_program__fd(peek->progs.test_tc_lan);
	peek_vlan_fd = bpf_program__fd(peek->progs.test_tc_lan_vlan);
	return 0;
}

static int group_teardown(void **state)
{
	test_tc__destroy(peek);
	steer_close(steer);
	return 0;
}

/* Every test starts from the base customers, both CPUs, unknown = shape. */
static int setup(void **state)
{
	cfg.unknown = XS_UNKNOWN_SHAPE;
	cfg.monitor_rtt = false;
	cfg.queues_per_cpu = 1;
	cfg.ncpus = 2;
	cfg.cpus[0] = 0;
	cfg.cpus[1] = 1;
	if (steer_set_cpus(steer, &cfg))
		return -1;
	sync_to(base, 3, NULL);
	return 0;
}

/* ---- XDP ---------------------------------------------------------------- */

static void test_ipv4_directions(void **state)
{
	struct frame down, up;

	ip_frame(&down, NULL, "198.18.0.1", "198.19.1.10");
	ip_frame(&up, NULL, "198.19.1.10", "198.18.0.1");
	/* wan ingress: the customer is the destination */
	expect_xdp(XS_WAN, &down, XDP_REDIRECT, HIT_REDIRECT);
	/* lan ingress: the customer is the source */
	expect_xdp(XS_LAN, &up, XDP_REDIRECT, HIT_REDIRECT);
	/* the other address is no customer's: unknown (to CPU 1, the only one now) */
	cfg.cpus[0] = 1;
	cfg.ncpus = 1;
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	expect_xdp(XS_WAN, &up, XDP_REDIRECT, (const int[]){ XS_XDP_MISS, XS_XDP_REDIRECT, -1 });
}

static void test_ipv6(void **state)
{
	struct frame down, up;

	ip_frame(&down, NULL, "2001:db8:ff::1", "2001:db8:101:ab::5");
	ip_frame(&up, NULL, "2001:db8:102::9", "2001:db8:ff::1");
	expect_xdp(XS_WAN, &down, XDP_REDIRECT, HIT_REDIRECT);
	expect_xdp(XS_LAN, &up, XDP_REDIRECT, HIT_REDIRECT);
}

static void test_vlan_tags(void **state)
{
	static const uint16_t one[] = { ETH_P_8021Q, 0 };
	static const uint16_t qinq[] = { ETH_P_8021AD, ETH_P_8021Q, 0 };
	static const uint16_t two_q[] = { ETH_P_8021Q, ETH_P_8021Q, 0 };
	static const uint16_t three[] = { ETH_P_8021AD, ETH_P_8021Q, ETH_P_8021Q, 0 };
	struct frame f;

	ip_frame(&f, one, "198.18.0.1", "198.19.2.10");
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
	ip_frame(&f, qinq, "198.18.0.1", "198.19.2.10");
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
	ip_frame(&f, two_q, "2001:db8:102::9", "2001:db8:ff::1");
	expect_xdp(XS_LAN, &f, XDP_REDIRECT, HIT_REDIRECT);
	ip_frame(&f, qinq, "2001:db8:ff::1", "2001:db8:101::1");
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
	/* a third tag is not parsed: passed as non-IP */
	ip_frame(&f, three, "198.18.0.1", "198.19.2.10");
	expect_xdp(XS_WAN, &f, XDP_PASS, NON_IP);
}

/* Cut a double-tagged frame at every header boundary and inside the IP header. */
static void test_truncated(void **state)
{
	static const uint16_t qinq[] = { ETH_P_8021AD, ETH_P_8021Q, 0 };
	static const char *const dst[2] = { "198.19.2.10", "2001:db8:102::1" };
	static const char *const src[2] = { "198.18.0.1", "2001:db8:ff::1" };
	const size_t l3 = 14 + 8, iplen[2] = { 20, 40 };
	size_t cuts[6], i, k;
	struct frame f, whole;

	for (k = 0; k < 2; k++) {
		ip_frame(&whole, qinq, src[k], dst[k]);
		/* Ethernet only, one tag, two tags, IP less a byte, just the first IP byte */
		cuts[0] = 14;
		cuts[1] = 18;
		cuts[2] = l3;
		cuts[3] = l3 + 1;
		cuts[4] = l3 + iplen[k] - 1;
		cuts[5] = l3 + iplen[k]; /* whole IP header, no UDP: enough to steer */
		for (i = 0; i < 6; i++) {
			f = whole;
			f.len = cuts[i];
			if (i == 5)
				expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
			else
				expect_xdp(XS_WAN, &f, XDP_PASS, MALFORMED);
		}
	}
}

static void test_more_specific_wins(void **state)
{
	struct frame f;
	uint32_t prio, qm;

	/* 198.19.1.77/32 is 1002's (CPU 0, where we run) inside 1001's /24 (CPU 1) */
	ip_frame(&f, NULL, "198.18.0.1", "198.19.1.77");
	expect_xdp(XS_WAN, &f, XDP_PASS, HIT_LOCAL);
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, 3));
	ip_frame(&f, NULL, "198.18.0.1", "198.19.1.78");
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 3));
}

static void test_unknown_shape(void **state)
{
	struct frame f;

	/* only CPU 1 configured: every unknown address goes there */
	cfg.cpus[0] = 1;
	cfg.ncpus = 1;
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	ip_frame(&f, NULL, "198.18.0.1", "198.19.9.9");
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, (const int[]){ XS_XDP_MISS, XS_XDP_REDIRECT, -1 });
	ip_frame(&f, NULL, "2001:db8:ff::1", "2001:db8:1ff::1");
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, (const int[]){ XS_XDP_MISS, XS_XDP_REDIRECT, -1 });
	/* only CPU 0: local */
	cfg.cpus[0] = 0;
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	expect_xdp(XS_WAN, &f, XDP_PASS, (const int[]){ XS_XDP_MISS, XS_XDP_LOCAL, -1 });
}

static void test_unknown_pass(void **state)
{
	struct frame f;

	cfg.unknown = XS_UNKNOWN_PASS;
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	ip_frame(&f, NULL, "198.18.0.1", "198.19.9.9");
	expect_xdp(XS_WAN, &f, XDP_PASS, (const int[]){ XS_XDP_MISS, XS_XDP_UNKNOWN_PASS, -1 });
	/* customers are still steered */
	ip_frame(&f, NULL, "198.18.0.1", "198.19.2.10");
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
}

static void test_redirect_fail(void **state)
{
	struct xshaper *skel = steer_skeleton(steer);
	struct frame f;
	__u32 cpu = 1;

	/* CPU 1's cpumap entry gone: its customers pass here, nothing dropped */
	assert_int_equal(bpf_map_delete_elem(bpf_map__fd(skel->maps.xs_cpumap), &cpu), 0);
	ip_frame(&f, NULL, "198.18.0.1", "198.19.2.10");
	expect_xdp(XS_WAN, &f, XDP_PASS, (const int[]){ XS_XDP_HIT, XS_XDP_REDIRECT_FAIL, -1 });
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
}

static void test_non_ip(void **state)
{
	struct frame f;

	arp_frame(&f);
	expect_xdp(XS_WAN, &f, XDP_PASS, NON_IP);
	expect_xdp(XS_LAN, &f, XDP_PASS, NON_IP);
	put16(f.b + 12, 0x88cc); /* LLDP */
	expect_xdp(XS_LAN, &f, XDP_PASS, NON_IP);
}

/* 0, 1 and 2 tags: none, 802.1Q, QinQ (802.1ad outside) */
static const uint16_t *const tag_sets[3] = {
	NULL,
	(const uint16_t[]){ ETH_P_8021Q, 0 },
	(const uint16_t[]){ ETH_P_8021AD, ETH_P_8021Q, 0 },
};

/* 1003: 198.19.2.10 and 2001:db8:102::/64, CPU 1, TX queue 1, minor 4 */
static const char *const cust_addr[2] = { "198.19.2.10", "2001:db8:102::9" };
static const char *const server_addr[2] = { "198.18.0.1", "2001:db8:ff::1" };

/* A frame of 1003 going down (to it) or up, in family k (0: IPv4, 1: IPv6) */
static void cust_frame(struct frame *f, int k, bool down)
{
	if (down)
		ip_frame(f, NULL, server_addr[k], cust_addr[k]);
	else
		ip_frame(f, NULL, cust_addr[k], server_addr[k]);
}

/*
 * Both directions of 1003 in f's encapsulation: XDP steers them to CPU 1
 * (destination on wan, source on lan) and TC puts them into 1:4... that is
 * xs_classid(1, 4), on lan going down and on wan going up.
 */
static void expect_customer(const struct frame *down, const struct frame *up, const int *moved)
{
	uint32_t prio, qm;

	expect_xdp(XS_WAN, down, XDP_REDIRECT, moved);
	expect_xdp(XS_LAN, up, XDP_REDIRECT, moved);
	run_tc(XS_LAN, down, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 4));
	assert_int_equal(qm, 1 + 1);
	run_tc(XS_WAN, up, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 4));
	assert_int_equal(qm, 1 + 1);
}

/* Passed by XDP on both interfaces, and in TC the default class of CPU 0's tree. */
static void expect_passed(const struct frame *f, const int *moved)
{
	uint32_t prio, qm;

	expect_xdp(XS_WAN, f, XDP_PASS, moved);
	expect_xdp(XS_LAN, f, XDP_PASS, moved);
	run_tc(XS_LAN, f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, XS_DEFAULT_MINOR));
	run_tc(XS_WAN, f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, XS_DEFAULT_MINOR));
}

static void test_pppoe(void **state)
{
	struct frame down, up;
	int t, k;

	for (t = 0; t < 3; t++)
		for (k = 0; k < 2; k++) {
			cust_frame(&down, k, true);
			cust_frame(&up, k, false);
			pppoe_frame(&down, tag_sets[t], k ? 0x0057 : 0x0021);
			pppoe_frame(&up, tag_sets[t], k ? 0x0057 : 0x0021);
			expect_customer(&down, &up, PPPOE_REDIRECT);
		}
}

static void test_mpls(void **state)
{
	struct frame down, up;
	unsigned int labels;
	int t, k;

	for (labels = 1; labels <= 3; labels++)
		for (t = 0; t < 3; t++)
			for (k = 0; k < 2; k++) {
				cust_frame(&down, k, true);
				cust_frame(&up, k, false);
				mpls_frame(&down, tag_sets[t], labels);
				mpls_frame(&up, tag_sets[t], labels);
				expect_customer(&down, &up, MPLS_REDIRECT);
			}
	/* the deepest stack followed, and multicast MPLS */
	cust_frame(&down, 0, true);
	cust_frame(&up, 0, false);
	mpls_frame(&down, tag_sets[2], 5);
	mpls_frame(&up, tag_sets[2], 5);
	expect_customer(&down, &up, MPLS_REDIRECT);
	cust_frame(&down, 1, true);
	cust_frame(&up, 1, false);
	mpls_frame(&down, NULL, 2);
	mpls_frame(&up, NULL, 2);
	put16(down.b + 12, ETH_P_MPLS_MC);
	put16(up.b + 12, ETH_P_MPLS_MC);
	expect_customer(&down, &up, MPLS_REDIRECT);
}

/*
 * What carries no IP the parser reads passes and is never taken for the
 * customer whose packet it may hold: PPPoE discovery, the PPP control
 * protocols, a bad PPPoE header, an MPLS stack past 5 labels, an MPLS
 * payload that is not IP (a pseudowire control word).
 */
static void test_encap_passed(void **state)
{
	static const uint16_t control[] = { PPP_LCP, PPP_IPCP, PPP_IPV6CP, 0x0021 + 2 };
	static const uint8_t cw_stack[8] = { 0x03, 0xe8, 0x01, 0x40 }; /* label 1000, BOS; CW 0 */
	struct frame f, inner;
	size_t i;
	int t, k;

	for (t = 0; t < 3; t++) {
		/* discovery (PADI, ...): the same header, another ethertype */
		cust_frame(&f, 0, true);
		pppoe_frame(&f, tag_sets[t], 0x0021);
		put16(f.b + 12 + 4 * t, ETH_P_PPP_DISC);
		expect_passed(&f, NON_IP);
		for (i = 0; i < sizeof(control) / sizeof(control[0]); i++) {
			cust_frame(&f, i % 2, true);
			pppoe_frame(&f, tag_sets[t], control[i]);
			expect_passed(&f, PPPOE_NON_IP);
		}
		/* version/type not 0x11, code not 0 (a discovery code in a session) */
		cust_frame(&f, 0, true);
		pppoe_frame(&f, tag_sets[t], 0x0021);
		f.b[14 + 4 * t] = 0x21;
		expect_passed(&f, (const int[]){ XS_XDP_PPPOE, XS_XDP_MALFORMED, -1 });
		f.b[14 + 4 * t] = 0x11;
		f.b[15 + 4 * t] = 0x09; /* PADI */
		expect_passed(&f, (const int[]){ XS_XDP_PPPOE, XS_XDP_MALFORMED, -1 });

		/* 6 and 8 labels: past the deepest stack followed */
		cust_frame(&f, 0, true);
		mpls_frame(&f, tag_sets[t], 6);
		expect_passed(&f, MPLS_GAVE_UP);
		cust_frame(&f, 1, true);
		mpls_frame(&f, tag_sets[t], 8);
		expect_passed(&f, MPLS_GAVE_UP);
		/* no bottom of stack in the first 5 labels */
		cust_frame(&f, 0, true);
		mpls_frame(&f, tag_sets[t], 5);
		f.b[14 + 4 * t + 4 * 4 + 2] &= ~0x01;
		expect_passed(&f, MPLS_GAVE_UP);
		/* a pseudowire control word (first nibble 0) before the packet */
		cust_frame(&f, 0, true);
		encap_frame(&f, tag_sets[t], ETH_P_MPLS_UC, cw_stack, sizeof(cw_stack));
		expect_passed(&f, MPLS_GAVE_UP);
		/* an Ethernet pseudowire without one: the inner MAC, not IP */
		cust_frame(&inner, 1, true);
		inner.b[0] = 0x12; /* first nibble 1 */
		memset(&f, 0, sizeof(f));
		memcpy(f.b + 14, inner.b, inner.len);
		f.len = 14 + inner.len;
		encap_frame(&f, tag_sets[t], ETH_P_MPLS_UC, cw_stack, 4);
		expect_passed(&f, MPLS_GAVE_UP);
		/*
		 * ... and an inner MAC that begins as IPv4 would (0x45): the
		 * "header" checksum does not hold, so it is not read as IP
		 * whatever the bytes in the place of its addresses
		 */
		for (k = 0; k < 2; k++) {
			cust_frame(&inner, k, true);
			inner.b[0] = 0x45;
			inner.b[1] = (uint8_t)(0x10 + k);
			memset(&f, 0, sizeof(f));
			memcpy(f.b + 14, inner.b, inner.len);
			f.len = 14 + inner.len;
			encap_frame(&f, tag_sets[t], ETH_P_MPLS_UC, cw_stack, 4);
			expect_passed(&f, MPLS_GAVE_UP);
		}
	}
}

/*
 * Encapsulated frames cut at every length short of the whole IP header:
 * never redirected, counted as malformed (and as PPPoE or MPLS once the
 * ethertype is in); the whole IP header is enough to steer.
 */
static void test_encap_truncated(void **state)
{
	const size_t iplen[2] = { 20, 40 }, encap_len[2] = { 8, 3 * 4 };
	struct frame f, whole;
	size_t len, l3;
	int e, t, k, stat;

	for (e = 0; e < 2; e++)
		for (t = 0; t < 3; t++)
			for (k = 0; k < 2; k++) {
				cust_frame(&whole, k, true);
				if (e == 0)
					pppoe_frame(&whole, tag_sets[t], k ? 0x0057 : 0x0021);
				else
					mpls_frame(&whole, tag_sets[t], 3);
				stat = e == 0 ? XS_XDP_PPPOE : XS_XDP_MPLS;
				l3 = 14 + 4 * t + encap_len[e];
				for (len = ETH_HLEN; len < l3 + iplen[k]; len++) {
					f = whole;
					f.len = len;
					if (len < 14 + 4 * (size_t)t)
						expect_xdp(XS_WAN, &f, XDP_PASS, MALFORMED);
					else
						expect_xdp(XS_WAN, &f, XDP_PASS,
							   (const int[]){ stat, XS_XDP_MALFORMED,
									  -1 });
				}
				f = whole;
				f.len = l3 + iplen[k];
				expect_xdp(XS_WAN, &f, XDP_REDIRECT,
					   (const int[]){ stat, XS_XDP_HIT, XS_XDP_REDIRECT, -1 });
			}
}

/* ---- TC ----------------------------------------------------------------- */

static void test_tc_customer(void **state)
{
	struct xs_stats before = stats_now(), after;
	uint32_t prio, qm;
	struct frame f;

	/* download leaves by lan: the destination is the customer */
	ip_frame(&f, NULL, "198.18.0.1", "198.19.2.10");
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 4));
	/* upload leaves by wan: the source is the customer */
	ip_frame(&f, NULL, "2001:db8:101::7", "2001:db8:ff::1");
	run_tc(XS_WAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 3));
	after = stats_now();
	assert_int_equal(TC_DELTA(after, before, XS_LAN, XS_TC_CUSTOMER), 1);
	assert_int_equal(TC_DELTA(after, before, XS_WAN, XS_TC_CUSTOMER), 1);
}

/* An IPv6 frame to ::ffff:a.b.c.d is answered as the trie answers: as IPv4. */
static void test_mapped_in_ipv6(void **state)
{
	struct xs_stats before = stats_now(), after;
	uint32_t prio, qm;
	struct frame f;

	ip_frame(&f, NULL, "2001:db8:ff::1", "::ffff:198.19.1.5");
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 3)); /* 1001's 198.19.1.0/24 */
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
	ip_frame(&f, NULL, "2001:db8:ff::1", "::ffff:198.19.1.77");
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, 3)); /* 1002's /32 inside it */
	after = stats_now();
	assert_int_equal(TC_DELTA(after, before, XS_LAN, XS_TC_TRIE), 0);
}

/* queue_mapping is the TX queue + 1, and the classid's major that TX queue's */
static void test_tc_queue_mapping(void **state)
{
	uint32_t prio, qm;
	struct frame f;

	ip_frame(&f, NULL, "198.18.0.1", "198.19.2.10"); /* 1003: txq 1 */
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(qm, 1 + 1);
	assert_int_equal(xs_classid_txq(prio) + 1, qm);
	ip_frame(&f, NULL, "198.19.1.77", "198.18.0.1"); /* 1002: txq 0 */
	run_tc(XS_WAN, &f, &prio, &qm);
	assert_int_equal(qm, 0 + 1);
	assert_int_equal(prio, xs_classid(0, 3));
	/* unknown on CPU 0 with two queues per CPU: one of TX queues 0 and 1 */
	cfg.queues_per_cpu = 2;
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	ip_frame(&f, NULL, "198.18.0.1", "198.19.9.9");
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_true(qm == 1 || qm == 2);
	assert_int_equal(prio, xs_classid(qm - 1, XS_DEFAULT_MINOR));
	cfg.queues_per_cpu = 1;
}

static void test_tc_unknown(void **state)
{
	struct xs_stats before = stats_now(), after;
	uint32_t prio, qm;
	struct frame f;

	/* we run on CPU 0, which owns TX queue 0: its default class 1:2 */
	ip_frame(&f, NULL, "198.18.0.1", "198.19.9.9");
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, XS_DEFAULT_MINOR));
	arp_frame(&f);
	run_tc(XS_WAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, XS_DEFAULT_MINOR));
	/* CPU 0 out of the list: a listed CPU's tree takes it */
	cfg.cpus[0] = 1;
	cfg.ncpus = 1;
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	run_tc(XS_WAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, XS_DEFAULT_MINOR)); /* CPU 1 is cpu index 0 */
	after = stats_now();
	assert_int_equal(TC_DELTA(after, before, XS_LAN, XS_TC_DEFAULT), 1);
	assert_int_equal(TC_DELTA(after, before, XS_WAN, XS_TC_DEFAULT), 2);
}

/*
 * A VLAN tag in skb metadata (as a hardware-accelerated tag is) is not in
 * the frame the TC program reads: PPPoE and MPLS frames with one tag
 * there, and none, one or two in the frame, still find their customer.
 */
static void test_tc_vlan_metadata(void **state)
{
	struct __sk_buff ctx;
	struct frame f;
	int t, e;

	for (e = 0; e < 3; e++)
		for (t = 0; t < 3; t++) {
			cust_frame(&f, t % 2, true);
			if (e == 0)
				pppoe_frame(&f, tag_sets[t], t % 2 ? 0x0057 : 0x0021);
			else if (e == 1)
				mpls_frame(&f, tag_sets[t], 2);
			else
				ip_frame(&f, tag_sets[t], server_addr[t % 2], cust_addr[t % 2]);
			assert_int_equal(tc_run(peek_vlan_fd, &f, &ctx), TC_ACT_OK);
			assert_int_equal(ctx.cb[1], 0x10000 | 200); /* the pushed tag */
			assert_int_equal(ctx.priority, xs_classid(1, 4));
			assert_int_equal(ctx.cb[0], 1 + 1);
		}
}

/* ---- passive TCP monitor ------------------------------------------------ */

/* 1003 (198.19.2.10, CPU 1, TX queue 1, minor 4) talks to a server */
#define CUST	 "198.19.2.10"
#define SERVER	 "198.18.0.1"
#define CUST6	 "2001:db8:102::9"
#define SERVER6	 "2001:db8:ff::1"
#define CUST_CID xs_classid(1, 4)

static void map_clear(int fd, size_t key_size)
{
	uint8_t key[64];

	assert_true(key_size <= sizeof(key));
	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
}

/* Monitor on, flows and records forgotten. */
static void monitor_fresh(void)
{
	struct xshaper *skel = steer_skeleton(steer);

	cfg.monitor_rtt = true;
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	map_clear(bpf_map__fd(skel->maps.xs_flows), sizeof(struct xs_flow_key));
	map_clear(bpf_map__fd(skel->maps.xs_monitor), sizeof(__u32));
}

/* The segment through the TC program of dir (lan: going down to the customer) */
static void seg(int dir, const struct tcp_seg *t)
{
	struct __sk_buff ctx;
	struct frame f;

	tcp_frame(&f, t);
	assert_int_equal(tc_run(tc_fd[dir], &f, &ctx), TC_ACT_OK);
}

/* The customer's record summed over the CPUs; zeroes when it has none. */
static struct xs_monitor monitor_of(uint32_t classid)
{
	const struct steer_monitor *r;
	struct steer_monitor *v;
	struct xs_monitor m;
	size_t n;

	assert_int_equal(steer_read_monitor(steer, &v, &n), 0);
	r = steer_monitor_find(v, n, classid);
	memset(&m, 0, sizeof(m));
	if (r)
		m = r->m;
	free(v);
	return m;
}

static unsigned int bucket_of(const struct xs_monitor *m, int side)
{
	unsigned int b, found = XS_RTT_BUCKETS;

	for (b = 0; b < XS_RTT_BUCKETS; b++)
		if (m->rtt_hist[side][b]) {
			assert_int_equal(m->rtt_hist[side][b], 1);
			assert_int_equal(found, XS_RTT_BUCKETS); /* one bucket only */
			found = b;
		}
	return found;
}

static void sleep_ms(unsigned int ms)
{
	usleep(ms * 1000);
}

/* down data then the customer's echo: one lan sample of about the delay */
static void test_rtt_lan_and_wan(void **state)
{
	struct tcp_seg down = { SERVER, CUST, 5201, 40000, 1000, 500, TCP_ACK | TCP_PSH,
				100,	true, 1000, 5 };
	struct tcp_seg up = { CUST, SERVER, 40000, 5201, 500, 1100, TCP_ACK, 0, true, 6, 1000 };
	struct xs_monitor m;
	unsigned int b;

	monitor_fresh();
	seg(XS_LAN, &down);
	sleep_ms(20);
	seg(XS_WAN, &up);
	m = monitor_of(CUST_CID);
	assert_int_equal(m.rtt_samples[XS_LAN], 1);
	assert_int_equal(m.rtt_samples[XS_WAN], 0);
	/* 20 ms: bucket 14 is [16.4, 32.8) ms; a slow wakeup may add some */
	b = bucket_of(&m, XS_LAN);
	assert_in_range(b, 14, 17);
	assert_in_range(m.rtt_sum_us[XS_LAN], 20000, 250000);

	/* the customer sends data, the server's echo of it: one wan sample */
	up.payload = 50;
	up.tsval = 7;
	seg(XS_WAN, &up);
	sleep_ms(5);
	down.payload = 0;
	down.seq = 1100;
	down.ack = 550;
	down.tsval = 1001;
	down.tsecr = 7;
	seg(XS_LAN, &down);
	m = monitor_of(CUST_CID);
	assert_int_equal(m.rtt_samples[XS_LAN], 1);
	assert_int_equal(m.rtt_samples[XS_WAN], 1);
	assert_in_range(bucket_of(&m, XS_WAN), 12, 17); /* 5 ms is in bucket 12 */
	assert_int_equal(m.retransmits[XS_LAN], 0);
	assert_int_equal(m.retransmits[XS_WAN], 0);
	/* none for 1001, which sent nothing */
	m = monitor_of(xs_classid(1, 3));
	assert_int_equal(m.rtt_samples[XS_LAN] + m.rtt_samples[XS_WAN], 0);
}

/* the same over IPv6 */
static void test_rtt_ipv6(void **state)
{
	struct tcp_seg down = { SERVER6, CUST6, 443, 50000, 1, 1, TCP_ACK, 100, true, 77, 3 };
	struct tcp_seg up = { CUST6, SERVER6, 50000, 443, 1, 101, TCP_ACK, 0, true, 4, 77 };
	struct xs_monitor m;

	monitor_fresh();
	seg(XS_LAN, &down);
	seg(XS_WAN, &up);
	m = monitor_of(CUST_CID);
	assert_int_equal(m.rtt_samples[XS_LAN], 1);
	assert_in_range(bucket_of(&m, XS_LAN), 0, 12);
}

/* The segment in a PPPoE session behind QinQ, or under 3 MPLS labels */
static void seg_encap(int dir, const struct tcp_seg *t, bool mpls)
{
	static const uint16_t qinq[] = { ETH_P_8021AD, ETH_P_8021Q, 0 };
	struct __sk_buff ctx;
	struct frame f;

	tcp_frame(&f, t);
	if (mpls)
		mpls_frame(&f, qinq, 3);
	else
		pppoe_frame(&f, qinq, strchr(t->src, ':') ? 0x0057 : 0x0021);
	assert_int_equal(tc_run(tc_fd[dir], &f, &ctx), TC_ACT_OK);
	assert_int_equal(ctx.priority, CUST_CID);
}

/* TCP with timestamps in PPPoE and MPLS: samples as for a plain frame */
static void test_rtt_encap(void **state)
{
	struct tcp_seg down = { SERVER, CUST, 5201, 40000, 1000, 500, TCP_ACK | TCP_PSH,
				100,	true, 1000, 5 };
	struct tcp_seg up = { CUST, SERVER, 40000, 5201, 500, 1100, TCP_ACK, 0, true, 6, 1000 };
	struct tcp_seg down6 = { SERVER6, CUST6, 443, 50000, 1, 1, TCP_ACK, 100, true, 77, 3 };
	struct tcp_seg up6 = { CUST6, SERVER6, 50000, 443, 1, 101, TCP_ACK, 0, true, 4, 77 };
	struct xs_monitor m;
	int mpls;

	for (mpls = 0; mpls < 2; mpls++) {
		monitor_fresh();
		seg_encap(XS_LAN, &down, mpls);
		sleep_ms(5);
		seg_encap(XS_WAN, &up, mpls);
		m = monitor_of(CUST_CID);
		assert_int_equal(m.rtt_samples[XS_LAN], 1);
		assert_int_equal(m.rtt_samples[XS_WAN], 0);
		assert_in_range(bucket_of(&m, XS_LAN), 12, 17); /* 5 ms is in bucket 12 */
		/* the same data again: a retransmit */
		seg_encap(XS_LAN, &down, mpls);
		m = monitor_of(CUST_CID);
		assert_int_equal(m.retransmits[XS_LAN], 1);

		monitor_fresh();
		seg_encap(XS_LAN, &down6, mpls);
		seg_encap(XS_WAN, &up6, mpls);
		m = monitor_of(CUST_CID);
		assert_int_equal(m.rtt_samples[XS_LAN], 1);
		assert_in_range(bucket_of(&m, XS_LAN), 0, 12);
	}
}

/*
 * A TSval is timed from its first packet, and sampled once; pure ACKs are
 * not timed, pure duplicate ACKs match nothing, frames without timestamps
 * and UDP give nothing.
 */
static void test_rtt_none(void **state)
{
	struct tcp_seg down = { SERVER, CUST, 5201, 40001, 1000, 500, TCP_ACK, 100, true, 2000, 5 };
	struct tcp_seg up = { CUST, SERVER, 40001, 5201, 500, 1100, TCP_ACK, 0, true, 6, 2000 };
	struct xs_monitor m;
	struct frame f;
	struct __sk_buff ctx;

	monitor_fresh();
	/* the same TSval twice: timed from the first, 10 ms earlier */
	seg(XS_LAN, &down);
	sleep_ms(10);
	down.seq = 1100;
	seg(XS_LAN, &down);
	seg(XS_WAN, &up);
	/* its echo again, on an ACK that advances: no second sample */
	up.ack = 1200;
	seg(XS_WAN, &up);
	m = monitor_of(CUST_CID);
	assert_int_equal(m.rtt_samples[XS_LAN], 1);
	assert_true(m.rtt_sum_us[XS_LAN] >= 10000);

	/* a pure ACK going down, its echo coming up: nothing */
	monitor_fresh();
	down.sport = 5202;
	up.dport = 5202;
	down.payload = 0;
	down.tsval = 3000;
	seg(XS_LAN, &down);
	up.tsecr = 3000;
	seg(XS_WAN, &up);
	assert_int_equal(monitor_of(CUST_CID).rtt_samples[XS_LAN], 0);

	/*
	 * Data going down, an ACK that does not echo it yet, then a pure
	 * duplicate of that ACK that does: the duplicate gives nothing.
	 */
	down.sport = 5203;
	up.dport = 5203;
	down.payload = 100;
	down.tsval = 4000;
	seg(XS_LAN, &down);
	up.ack = 1200;
	up.tsecr = 3999;
	seg(XS_WAN, &up);
	up.tsecr = 4000;
	seg(XS_WAN, &up);
	assert_int_equal(monitor_of(CUST_CID).rtt_samples[XS_LAN], 0);

	/* no timestamps */
	down.sport = 5204;
	up.dport = 5204;
	down.ts = up.ts = false;
	seg(XS_LAN, &down);
	seg(XS_WAN, &up);
	/* UDP both ways */
	ip_frame(&f, NULL, SERVER, CUST);
	assert_int_equal(tc_run(tc_fd[XS_LAN], &f, &ctx), TC_ACT_OK);
	ip_frame(&f, NULL, CUST, SERVER);
	assert_int_equal(tc_run(tc_fd[XS_WAN], &f, &ctx), TC_ACT_OK);
	m = monitor_of(CUST_CID);
	assert_int_equal(m.rtt_samples[XS_LAN] + m.rtt_samples[XS_WAN], 0);
	assert_int_equal(m.retransmits[XS_LAN] + m.retransmits[XS_WAN], 0);
}

/* monitor off: the same pair gives nothing */
static void test_rtt_off(void **state)
{
	struct tcp_seg down = { SERVER, CUST, 5201, 40002, 1000, 500, TCP_ACK, 100, true, 1000, 5 };
	struct tcp_seg up = { CUST, SERVER, 40002, 5201, 500, 1100, TCP_ACK, 0, true, 6, 1000 };

	monitor_fresh();
	cfg.monitor_rtt = false;
	assert_int_equal(steer_set_cpus(steer, &cfg), 0);
	seg(XS_LAN, &down);
	seg(XS_WAN, &up);
	down.seq = 1000;
	seg(XS_LAN, &down); /* a retransmit, had it been on */
	assert_int_equal(monitor_of(CUST_CID).rtt_samples[XS_LAN], 0);
	assert_int_equal(monitor_of(CUST_CID).retransmits[XS_LAN], 0);
}

/* a data segment that does not go past the highest sent is a retransmit */
static void test_retransmits(void **state)
{
	struct tcp_seg down = { SERVER, CUST, 5201, 40003, 1000, 500, TCP_ACK, 100, false, 0, 0 };
	struct tcp_seg up = { CUST, SERVER, 40003, 5201, 500, 1100, TCP_ACK, 0, false, 0, 0 };
	struct xs_monitor m;

	monitor_fresh();
	seg(XS_LAN, &down); /* 1000..1100 */
	down.seq = 1100;
	seg(XS_LAN, &down); /* 1100..1200 */
	down.seq = 1000;
	seg(XS_LAN, &down); /* again: a retransmit */
	down.seq = 1200;
	seg(XS_LAN, &down); /* new data */
	up.ack = 1300;
	seg(XS_WAN, &up); /* pure ACKs are no data */
	seg(XS_WAN, &up);
	up.payload = 10;
	seg(XS_WAN, &up); /* 500..510 */
	seg(XS_WAN, &up); /* again */
	m = monitor_of(CUST_CID);
	assert_int_equal(m.retransmits[XS_LAN], 1);
	assert_int_equal(m.retransmits[XS_WAN], 1);
}

/* More flows than the table holds: old ones are evicted, new ones sampled. */
static void test_flow_eviction(void **state)
{
	int fd = bpf_map__fd(steer_skeleton(steer)->maps.xs_flows);
	struct tcp_seg down = { SERVER, CUST, 0, 0, 1, 1, TCP_ACK, 10, true, 1, 1 };
	struct tcp_seg up = { CUST, SERVER, 0, 0, 1, 11, TCP_ACK, 0, true, 2, 0 };
	/* every flow of this test lands on the CPU the test runs on */
	unsigned int per_cpu = bpf_map__max_entries(steer_skeleton(steer)->maps.xs_flows) /
			       (unsigned int)libbpf_num_possible_cpus();
	unsigned int i, flows = per_cpu + per_cpu / 4;
	struct xs_flow_key key, next;
	size_t n = 0;
	void *prev = NULL;

	monitor_fresh();
	for (i = 0; i < flows; i++) {
		down.sport = 1 + i % 60000;
		down.dport = 1 + i / 60000;
		seg(XS_LAN, &down);
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		n++;
	}
	/* one CPU's LRU list: full, and no more (the test runs pinned to one CPU) */
	assert_true(n <= per_cpu);
	assert_true(n >= per_cpu / 2);
	/* a new flow after all that is still timed and sampled */
	down.sport = 61000;
	down.dport = 61000;
	down.tsval = 99;
	seg(XS_LAN, &down);
	up.sport = 61000;
	up.dport = 61000;
	up.tsecr = 99;
	seg(XS_WAN, &up);
	assert_int_equal(monitor_of(CUST_CID).rtt_samples[XS_LAN], 1);
}

/* a sync forgets the records of classes no customer has, and keeps the others' */
static void test_monitor_pruned(void **state)
{
	struct tcp_seg down = { SERVER, CUST, 5201, 40004, 1000, 500, TCP_ACK, 100, false, 0, 0 };
	struct tcp_seg other = { SERVER,  "198.19.1.5", 5201,  40004, 1000, 500,
				 TCP_ACK, 100,		false, 0,     0 };

	monitor_fresh();
	seg(XS_LAN, &down);
	seg(XS_LAN, &down); /* a retransmit: 1003 has a record */
	seg(XS_LAN, &other);
	seg(XS_LAN, &other); /* and 1001 */
	assert_int_equal(monitor_of(CUST_CID).retransmits[XS_LAN], 1);
	sync_to(base, 2, NULL); /* 1003 leaves */
	assert_int_equal(monitor_of(CUST_CID).retransmits[XS_LAN], 0);
	assert_int_equal(monitor_of(xs_classid(1, 3)).retransmits[XS_LAN], 1);
}

/* ---- sync --------------------------------------------------------------- */

struct kv {
	struct xs_lpm_key key;
	struct xs_customer val;
};

static int kv_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xs_lpm_key));
}

/* Every entry of the trie, read with get_next_key (independent of steer/). */
static size_t read_trie(int fd, struct kv *out, size_t max)
{
	struct xs_lpm_key key, next;
	bool first = true;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		assert_true(n < max);
		out[n].key = key;
		assert_int_equal(bpf_map_lookup_elem(fd, &key, &out[n].val), 0);
		n++;
	}
	return n;
}

/* What the TC program must answer for a: the longest prefix of s, or the default. */
static uint32_t classid_for(const struct spec *s, size_t ns, const uint8_t *a)
{
	uint32_t best = xs_classid(0, XS_DEFAULT_MINOR);
	int best_len = -1;
	struct prefix p;
	size_t i, j;

	for (i = 0; i < ns; i++) {
		for (j = 0; j < MAX_PREFIXES && s[i].prefixes[j]; j++) {
			prefix_from(s[i].prefixes[j], &p);
			if (addr_in(p.addr, p.len, a) && (int)p.len > best_len) {
				best_len = p.len;
				best = xs_classid(s[i].txq, s[i].minor);
			}
		}
	}
	return best;
}

static void probe_tc(int fd, const struct spec *s, size_t ns, const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	bool v4 = memcmp(a, mapped, sizeof(mapped)) == 0;
	char text[INET6_ADDRSTRLEN];
	struct __sk_buff ctx;
	struct frame f;

	if (v4)
		inet_ntop(AF_INET, a + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, a, text, sizeof(text));
	ip_frame(&f, NULL, v4 ? "198.18.0.1" : "2001:db8:ff::1", text);
	assert_int_equal(tc_run(fd, &f, &ctx), TC_ACT_OK);
	if (ctx.priority != classid_for(s, ns, a))
		fail_msg("%s: classid %x, expected %x", text, ctx.priority, classid_for(s, ns, a));
}

/*
 * The programs answer as the list says at the edges of every prefix and
 * just outside them: the first and last address, and their neighbours.
 */
static void probe_edges(int fd, const struct spec *s, size_t ns)
{
	uint8_t a[16];
	struct prefix p;
	size_t i, j, k;

	for (i = 0; i < ns; i++) {
		for (j = 0; j < MAX_PREFIXES && s[i].prefixes[j]; j++) {
			prefix_from(s[i].prefixes[j], &p);
			memcpy(a, p.addr, 16);
			probe_tc(fd, s, ns, a);
			if (addr_step(a, -1))
				probe_tc(fd, s, ns, a);
			memcpy(a, p.addr, 16);
			for (k = p.len; k < 128; k++)
				a[k / 8] |= 0x80 >> (k % 8);
			probe_tc(fd, s, ns, a);
			if (addr_step(a, 1))
				probe_tc(fd, s, ns, a);
		}
	}
}

/* The trie holds exactly s, and the table answers every edge of it alone. */
static void assert_maps_equal(const struct spec *s, size_t ns)
{
	struct xshaper *skel = steer_skeleton(steer);
	struct kv want[64], have[64];
	struct xs_stats before, after;
	size_t n = 0, i, j, m;
	struct prefix p;

	for (i = 0; i < ns; i++) {
		for (j = 0; j < MAX_PREFIXES && s[i].prefixes[j]; j++) {
			prefix_from(s[i].prefixes[j], &p);
			prefix_to_key(&p, &want[n].key);
			/* reserved: 0, the id is not in the maps */
			want[n].val =
				(struct xs_customer){ .cpu = s[i].cpu,
						      .txq = s[i].txq,
						      .classid = xs_classid(s[i].txq, s[i].minor) };
			n++;
		}
	}
	qsort(want, n, sizeof(*want), kv_cmp);
	m = read_trie(bpf_map__fd(skel->maps.xs_prefixes), have, 64);
	qsort(have, m, sizeof(*have), kv_cmp);
	assert_int_equal(m, n);
	for (i = 0; i < n; i++) {
		assert_memory_equal(&have[i].key, &want[i].key, sizeof(want[i].key));
		assert_memory_equal(&have[i].val, &want[i].val, sizeof(want[i].val));
	}
	before = stats_now();
	probe_edges(tc_fd[XS_LAN], s, ns);
	after = stats_now();
	assert_int_equal(TC_DELTA(after, before, XS_LAN, XS_TC_TRIE), 0);
}

static void expect_counts(const struct steer_counts *c, size_t added, size_t updated,
			  size_t deleted, size_t unchanged)
{
	assert_int_equal(c->added, added);
	assert_int_equal(c->updated, updated);
	assert_int_equal(c->deleted, deleted);
	assert_int_equal(c->unchanged, unchanged);
}

static void test_sync_exact(void **state)
{
	/* 1001 moves to CPU 0 and loses its v6 prefix, 1003 leaves, 1004 arrives */
	static const struct spec next[] = {
		{ "1001", 0, 0, 4, { "198.19.1.0/24" } },
		{ "1002", 0, 0, 3, { "198.19.1.77/32" } },
		{ "1004", 1, 1, 3, { "198.19.4.0/30", "2001:db8:104::/48" } },
	};
	struct steer_counts c;
	uint32_t prio, qm;
	struct frame f;

	assert_maps_equal(base, 3);
	sync_to(base, 3, &c);
	expect_counts(&c, 0, 0, 0, 5);

	sync_to(next, 3, &c);
	expect_counts(&c, 2, 1, 3, 1);
	assert_maps_equal(next, 3);

	/* the programs follow at once: no stale answer anywhere */
	ip_frame(&f, NULL, "198.18.0.1", "198.19.1.10"); /* 1001, now CPU 0 */
	expect_xdp(XS_WAN, &f, XDP_PASS, HIT_LOCAL);
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, 4));
	ip_frame(&f, NULL, "198.18.0.1", "198.19.2.10"); /* 1003, gone */
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, XS_DEFAULT_MINOR));
	ip_frame(&f, NULL, "2001:db8:ff::1", "2001:db8:101::1"); /* 1001's v6, gone */
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(0, XS_DEFAULT_MINOR));
	ip_frame(&f, NULL, "2001:db8:ff::1", "2001:db8:104:ffff::1"); /* 1004, new */
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, HIT_REDIRECT);
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 3));

	/* and back */
	sync_to(base, 3, &c);
	expect_counts(&c, 3, 1, 2, 1);
	assert_maps_equal(base, 3);
	sync_to(NULL, 0, &c);
	expect_counts(&c, 0, 0, 5, 0);
	assert_maps_equal(NULL, 0);
}

/* Prefixes nested eight deep, of every kind of length: the table alone answers. */
static void test_many_lengths(void **state)
{
	static const struct spec nested[] = {
		{ "2001", 1, 1, 10, { "198.19.8.0/21" } },
		{ "2002", 1, 1, 11, { "198.19.8.0/22" } },
		{ "2003", 1, 1, 12, { "198.19.8.0/23" } },
		{ "2004", 1, 1, 13, { "198.19.8.0/24" } },
		{ "2005", 1, 1, 14, { "198.19.8.0/25" } },
		{ "2006", 1, 1, 15, { "198.19.8.0/26" } },
		{ "2007", 1, 1, 16, { "198.19.8.0/32" } },
		{ "2008", 1, 1, 17, { "198.18.0.0/15", "2001:db8::/32" } },
	};
	static const struct {
		const char *addr;
		uint32_t minor;
	} cases[] = {
		{ "198.19.8.0", 16 },	{ "198.19.8.1", 15 },  { "198.19.8.64", 14 },
		{ "198.19.8.128", 13 }, { "198.19.9.1", 12 },  { "198.19.10.1", 11 },
		{ "198.19.12.1", 10 },	{ "198.19.16.1", 17 }, { "2001:db8::1", 17 },
	};
	struct xs_stats before, after;
	uint32_t prio, qm;
	struct frame f;
	size_t i;

	sync_to(nested, 8, NULL);
	assert_maps_equal(nested, 8);
	before = stats_now();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strchr(cases[i].addr, ':'))
			ip_frame(&f, NULL, "2001:db8:ff::1", cases[i].addr);
		else
			ip_frame(&f, NULL, "198.18.0.1", cases[i].addr);
		run_tc(XS_LAN, &f, &prio, &qm);
		if (prio != xs_classid(1, cases[i].minor))
			fail_msg("%s: classid %x, expected %x", cases[i].addr, prio,
				 xs_classid(1, cases[i].minor));
	}
	after = stats_now();
	assert_int_equal(TC_DELTA(after, before, XS_LAN, XS_TC_TRIE), 0);
}

/* The live table, as user space writes it. */
static uint32_t *table_map(size_t *size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_map__fd(steer_skeleton(steer)->maps.xs_table);
	void *t;

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	t = mmap(NULL, info.value_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(t != MAP_FAILED);
	*size = info.value_size;
	return t;
}

static uint32_t *v4_root(uint32_t *t, uint8_t a, uint8_t b, uint8_t c)
{
	return &t[XS_TBL_V4_ROOT * XS_TBL_SLOT_ENTRIES + ((uint32_t)a << 16 | b << 8 | c)];
}

/* A table that lies (a killed run, a stray write) is made true again. */
static void test_sync_repairs_table(void **state)
{
	struct steer_counts c;
	uint32_t *t, prio, qm;
	struct frame f;
	size_t size;

	t = table_map(&size);
	*v4_root(t, 198, 19, 1) = xs_tbl_entry(xs_classid(1, 99)); /* a wrong class */
	*v4_root(t, 198, 19, 2) = XS_TBL_CHILD | XS_TBL_OFFSET_MASK; /* past the end */
	t[XS_TBL_V6_ROOT * XS_TBL_SLOT_ENTRIES + 0x2001] = XS_TBL_MISS; /* lost */

	ip_frame(&f, NULL, "198.18.0.1", "198.19.1.5");
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 99)); /* the programs believe the table */
	ip_frame(&f, NULL, "198.18.0.1", "198.19.2.10");
	run_tc(XS_LAN, &f, &prio, &qm);
	assert_int_equal(prio, xs_classid(1, 4)); /* out of range: the trie answers */

	sync_to(base, 3, &c);
	expect_counts(&c, 0, 0, 0, 5); /* the trie was right all along */
	assert_maps_equal(base, 3);
	munmap(t, size);
}

/* Sync s to spec, probe every edge through its TC program: the sync's counts, *trie lookups. */
static struct steer_counts sync_probe(struct steer *s, const struct spec *spec, size_t n,
				      uint64_t *trie)
{
	int fd = bpf_program__fd(steer_skeleton(s)->progs.xs_tc_lan);
	struct xs_stats before, after;
	struct customer_list list;
	struct steer_counts c;
	struct plan plan;

	build(spec, n, &list, &plan);
	assert_int_equal(steer_sync(s, NULL, &plan, &c), 0);
	release(&list, &plan);
	assert_int_equal(steer_read_stats(s, NULL, NULL, &before), 0);
	probe_edges(fd, spec, n);
	assert_int_equal(steer_read_stats(s, NULL, NULL, &after), 0);
	*trie = TC_DELTA(after, before, XS_LAN, XS_TC_TRIE);
	return c;
}

/* A pool too small: what does not fit is left to the trie, and comes back. */
static void test_table_full(void **state)
{
	static const struct spec v4only[] = {
		{ "1002", 0, 0, 3, { "198.19.1.77/32" } },
	};
	static const struct spec elsewhere[] = {
		{ "1002", 0, 0, 3, { "198.19.7.77/32" } },
		{ "1003", 1, 1, 4, { "198.19.8.10/32" } },
	};
	struct xs_config small = cfg;
	struct steer_counts c;
	struct steer *s;
	uint64_t trie;

	small.lookup_chunks = 2; /* base needs 2 for IPv4, 7 for IPv6 */
	assert_int_equal(steer_load(&small, 4096, &s), 0);
	assert_int_equal(steer_set_cpus(s, &small), 0);

	c = sync_probe(s, base, 3, &trie);
	assert_int_equal(c.table_capacity, 2);
	assert_int_equal(c.table_chunks, 2);
	assert_true(c.table_fallbacks > 0);
	assert_true(trie > 0);

	c = sync_probe(s, v4only, 1, &trie);
	assert_int_equal(c.table_fallbacks, 0);
	assert_int_equal(c.table_chunks, 1);
	assert_int_equal(trie, 0);

	/* all of it moves: the chunks let go are taken again in the same reload */
	c = sync_probe(s, elsewhere, 2, &trie);
	assert_int_equal(c.table_fallbacks, 0);
	assert_int_equal(c.table_chunks, 2);
	assert_int_equal(trie, 0);
	steer_close(s);
}

static void test_sync_refuses(void **state)
{
	static const struct spec dup[] = {
		{ "1", 0, 0, 3, { "198.19.5.0/24" } },
		{ "2", 0, 0, 4, { "198.19.5.0/24" } },
	};
	static const struct spec two[] = {
		{ "1", 0, 0, 3, { "198.19.5.0/24" } },
		{ "2", 0, 0, 4, { "198.19.6.0/24" } },
	};
	/* places no tree has: the default class, past the last minor, TX queue, CPU */
	static const struct {
		uint32_t cpu, txq, minor;
	} bad[] = {
		{ 0, 0, XS_DEFAULT_MINOR },
		{ 0, 0, XS_MAX_MINOR + 1 },
		{ 0, XS_MAX_TXQS, 4 },
		{ XS_MAX_CPUS, 0, 4 },
	};
	struct customer_list list;
	struct plan plan;
	struct plan_class *pc;
	size_t i;

	build(dup, 2, &list, &plan);
	capture_begin();
	assert_int_equal(steer_sync(steer, NULL, &plan, NULL), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "prefix 198.19.5.0/24", "1 and 2"), 1);
	capture_end();
	release(&list, &plan);

	build(two, 2, &list, &plan);
	pc = &plan.classes[plan.nnodes + 1];
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pc->cpu = bad[i].cpu;
		pc->txq = bad[i].txq;
		pc->minor = bad[i].minor;
		capture_begin();
		if (steer_sync(steer, NULL, &plan, NULL) != -EINVAL)
			fail_msg("steer_sync took cpu %u txq %u minor %u", pc->cpu, pc->txq,
				 pc->minor);
		assert_int_equal(capture_matching(LOG_LEVEL_ERR, "customer 2: plan gives"), 1);
		capture_end();
	}
	assert_maps_equal(base, 3); /* untouched */
	/* the same plan in range is taken */
	pc->cpu = two[1].cpu;
	pc->txq = two[1].txq;
	pc->minor = two[1].minor;
	assert_int_equal(steer_sync(steer, NULL, &plan, NULL), 0);
	release(&list, &plan);
	assert_maps_equal(two, 2);
}

/*
 * IPv4 is looked up as ::ffff:a.b.c.d: an IPv6 prefix over that range
 * would take every IPv4 packet. steer_sync refuses what the customer list
 * refuses (prefix_refused), whoever built the list.
 */
static void test_sync_refuses_reserved(void **state)
{
	static const char *const refused[] = { "::/0",	    "::/8",	   "::/80",
					       "0.0.0.0/0", "127.0.0.0/8", "ff00::/8" };
	struct spec s[4];
	struct steer_match m;
	struct frame f;
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memcpy(s, base, sizeof(base));
		s[3] = (struct spec){ "1009", 1, 1, 9, { "2001:db8:109::/48", refused[i] } };
		capture_begin();
		if (steer_sync_spec(s, 4) != -EINVAL)
			fail_msg("steer_sync took %s", refused[i]);
		assert_int_equal(capture_matching(LOG_LEVEL_ERR, "customer 1009: prefix "), 1);
		capture_end();
		assert_maps_equal(base, 3); /* untouched */
	}
	/* so an IPv4 address of no customer stays unknown, in the programs and for lookup */
	ip_frame(&f, NULL, "198.18.0.1", "198.19.9.9");
	expect_xdp(XS_WAN, &f, XDP_REDIRECT, (const int[]){ XS_XDP_MISS, XS_XDP_REDIRECT, -1 });
	assert_int_equal(steer_lookup(steer, "198.19.9.9", &m), 0);
	assert_false(m.known);
	assert_int_equal(steer_lookup(steer, "::ffff:198.19.9.9", &m), 0);
	assert_false(m.known);
}

/* ---- reading back ------------------------------------------------------- */

static void test_lookup(void **state)
{
	struct steer_match m;

	/* the maps hold places, not ids: 1002 is found by where it lives */
	assert_int_equal(steer_lookup(steer, "198.19.1.77", &m), 0);
	assert_true(m.known);
	assert_int_equal(m.customer.reserved, 0);
	assert_int_equal(m.customer.cpu, 0);
	assert_int_equal(m.customer.txq, 0);
	assert_int_equal(m.customer.classid, xs_classid(0, 3));
	assert_string_equal(m.prefix_text, "198.19.1.77/32");
	assert_string_equal(m.classid_text, "7000:3");

	assert_int_equal(steer_lookup(steer, " 198.19.1.5", &m), 0);
	assert_true(m.known);
	assert_int_equal(m.customer.reserved, 0);
	assert_int_equal(m.customer.cpu, 1);
	assert_int_equal(m.customer.txq, 1);
	assert_int_equal(m.customer.classid, xs_classid(1, 3));
	assert_int_equal(m.minor, 3);
	assert_string_equal(m.prefix_text, "198.19.1.0/24");
	assert_string_equal(m.address_text, "198.19.1.5");
	assert_string_equal(m.classid_text, "b377:3");

	assert_int_equal(steer_lookup(steer, "2001:DB8:101:0:0::1", &m), 0);
	assert_true(m.known);
	assert_int_equal(m.customer.cpu, 1);
	assert_int_equal(m.customer.classid, xs_classid(1, 3));
	assert_string_equal(m.prefix_text, "2001:db8:101::/56");
	assert_string_equal(m.address_text, "2001:db8:101::1");

	assert_int_equal(steer_lookup(steer, "198.18.0.1", &m), 0);
	assert_false(m.known);
	assert_int_equal(m.unknown, XS_UNKNOWN_SHAPE);
	assert_int_equal(steer_lookup(steer, "198.19.1", &m), -EINVAL);
	assert_int_equal(steer_lookup(steer, "198.19.1.0/24", &m), -EINVAL);
	assert_int_equal(steer_lookup(steer, "", &m), -EINVAL);
}

static void expect_placement(const struct placement *pl, const char *id, uint32_t cpu, uint32_t txq,
			     uint32_t minor)
{
	assert_int_equal(pl->kind, PLAN_CUSTOMER);
	assert_string_equal(pl->id, id);
	assert_null(pl->parent);
	assert_non_null(pl->name);
	assert_int_equal(pl->cpu, cpu);
	assert_int_equal(pl->txq, txq);
	assert_int_equal(pl->minor, minor);
}

/* The placements of list by the snapshot of the maps (base, as setup left them). */
static void snapshot_placements(const struct spec *s, size_t n, struct placements *out)
{
	struct steer_snapshot snap;
	struct customer_list list;
	struct plan plan;

	assert_int_equal(steer_snapshot_read(steer, &snap), 0);
	build(s, n, &list, &plan);
	assert_int_equal(steer_snapshot_placements(&snap, &list, out), 0);
	release(&list, &plan);
	steer_snapshot_free(&snap);
}

/*
 * A run without its placements file finds where the customers lived by
 * their prefixes in the maps: the list's customers, whatever their ids
 * were, each at the one class all its prefixes point at.
 */
static void test_snapshot_placements(void **state)
{
	/* 1001 took 1003's /32 (two classes), 1003 kept its v6 prefix, 1004 is new */
	static const struct spec next[] = {
		{ "1001", 0, 0, 0, { "198.19.1.0/24", "2001:db8:101::/56", "198.19.2.10/32" } },
		{ "1003", 0, 0, 0, { "2001:db8:102::/64" } },
		{ "1004", 0, 0, 0, { "198.19.4.0/30" } },
	};
	/* 1001 is put under a node, 1003 has a new prefix, 1002's prefix is 2002's */
	static const struct spec moved[] = {
		{ "1001", 0, 0, 0, { "198.19.1.0/24", "2001:db8:101::/56" } },
		{ "1003", 0, 0, 0, { "198.19.2.10/32", "2001:db8:102::/64", "198.19.3.0/24" } },
		{ "2002", 0, 0, 0, { "198.19.1.77/32" } },
	};
	struct steer_snapshot snap;
	struct customer_list list;
	struct placements pl;
	struct plan plan;

	snapshot_placements(base, 3, &pl);
	assert_int_equal(pl.n, 3);
	expect_placement(&pl.v[0], "1001", 1, 1, 3);
	expect_placement(&pl.v[1], "1002", 0, 0, 3);
	expect_placement(&pl.v[2], "1003", 1, 1, 4);

	/* as plan_build's prev: every customer stays where it is */
	build(base, 3, &list, &plan);
	plan_free(&plan);
	assert_int_equal(plan_build(&cfg, NULL, &list, &pl, NULL, 0, NULL, &plan), 0);
	assert_int_equal(plan_customer(&plan, 0)->cpu, 1);
	assert_int_equal(plan_customer(&plan, 0)->txq, 1);
	assert_int_equal(plan_customer(&plan, 0)->minor, 3);
	assert_int_equal(plan_customer(&plan, 1)->cpu, 0);
	assert_int_equal(plan_customer(&plan, 1)->txq, 0);
	assert_int_equal(plan_customer(&plan, 1)->minor, 3);
	assert_int_equal(plan_customer(&plan, 2)->cpu, 1);
	assert_int_equal(plan_customer(&plan, 2)->txq, 1);
	assert_int_equal(plan_customer(&plan, 2)->minor, 4);
	release(&list, &plan);
	placements_free(&pl);

	snapshot_placements(next, 3, &pl);
	assert_int_equal(pl.n, 1);
	expect_placement(&pl.v[0], "1003", 1, 1, 4);
	placements_free(&pl);

	/* under a node, its node's place is not in the maps: left out too */
	assert_int_equal(steer_snapshot_read(steer, &snap), 0);
	build(moved, 3, &list, &plan);
	list.v[0].node = 0;
	assert_int_equal(steer_snapshot_placements(&snap, &list, &pl), 0);
	release(&list, &plan);
	steer_snapshot_free(&snap);
	assert_int_equal(pl.n, 1);
	expect_placement(&pl.v[0], "2002", 0, 0, 3);
	placements_free(&pl);

	/* nothing in the maps: nothing placed */
	sync_to(NULL, 0, NULL);
	snapshot_placements(base, 3, &pl);
	assert_int_equal(pl.n, 0);
	placements_free(&pl);
}

/*
 * A run reads the maps once: the snapshot is what the trie holds, sorted
 * by prefix, and a sync handed it applies the same difference as one that
 * reads the maps. A snapshot of another trie (start replaced the maps
 * since) is not trusted: the sync reads the trie it writes.
 */
static void test_snapshot(void **state)
{
	static const struct spec next[] = {
		{ "1001", 0, 0, 4, { "198.19.1.0/24" } },
		{ "1002", 0, 0, 3, { "198.19.1.77/32" } },
	};
	struct steer_snapshot snap, other;
	struct customer_list list;
	struct steer_counts c;
	struct plan plan;
	struct steer *s2;
	size_t i;

	assert_int_equal(steer_snapshot_read(steer, &snap), 0);
	assert_int_equal(snap.n, 5);
	assert_true(snap.map_id != 0);
	for (i = 1; i < snap.n; i++)
		assert_true(prefix_cmp(&snap.v[i - 1].prefix, &snap.v[i].prefix) < 0);

	build(next, 2, &list, &plan);
	assert_int_equal(steer_sync(steer, &snap, &plan, &c), 0);
	release(&list, &plan);
	expect_counts(&c, 0, 1, 3, 1);
	assert_maps_equal(next, 2);

	/* an empty trie's snapshot: 1001's prefix must still go */
	assert_int_equal(steer_load(&cfg, 4096, &s2), 0);
	assert_int_equal(steer_snapshot_read(s2, &other), 0);
	assert_int_equal(other.n, 0);
	assert_true(other.map_id != snap.map_id);
	build(next + 1, 1, &list, &plan);
	assert_int_equal(steer_sync(steer, &other, &plan, &c), 0);
	release(&list, &plan);
	expect_counts(&c, 0, 0, 1, 1);
	assert_maps_equal(next + 1, 1);
	steer_snapshot_free(&other);
	steer_snapshot_free(&snap);
	assert_null(snap.v);
	steer_close(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ipv4_directions, setup),
		cmocka_unit_test_setup(test_ipv6, setup),
		cmocka_unit_test_setup(test_vlan_tags, setup),
		cmocka_unit_test_setup(test_truncated, setup),
		cmocka_unit_test_setup(test_more_specific_wins, setup),
		cmocka_unit_test_setup(test_unknown_shape, setup),
		cmocka_unit_test_setup(test_unknown_pass, setup),
		cmocka_unit_test_setup(test_redirect_fail, setup),
		cmocka_unit_test_setup(test_non_ip, setup),
		cmocka_unit_test_setup(test_pppoe, setup),
		cmocka_unit_test_setup(test_mpls, setup),
		cmocka_unit_test_setup(test_encap_passed, setup),
		cmocka_unit_test_setup(test_encap_truncated, setup),
		cmocka_unit_test_setup(test_tc_customer, setup),
		cmocka_unit_test_setup(test_mapped_in_ipv6, setup),
		cmocka_unit_test_setup(test_tc_queue_mapping, setup),
		cmocka_unit_test_setup(test_tc_unknown, setup),
		cmocka_unit_test_setup(test_tc_vlan_metadata, setup),
		cmocka_unit_test_setup(test_rtt_lan_and_wan, setup),
		cmocka_unit_test_setup(test_rtt_ipv6, setup),
		cmocka_unit_test_setup(test_rtt_encap, setup),
		cmocka_unit_test_setup(test_rtt_none, setup),
		cmocka_unit_test_setup(test_rtt_off, setup),
		cmocka_unit_test_setup(test_retransmits, setup),
		cmocka_unit_test_setup(test_flow_eviction, setup),
		cmocka_unit_test_setup(test_monitor_pruned, setup),
		cmocka_unit_test_setup(test_sync_exact, setup),
		cmocka_unit_test_setup(test_many_lengths, setup),
		cmocka_unit_test_setup(test_sync_repairs_table, setup),
		cmocka_unit_test_setup(test_table_full, setup),
		cmocka_unit_test_setup(test_sync_refuses, setup),
		cmocka_unit_test_setup(test_sync_refuses_reserved, setup),
		cmocka_unit_test_setup(test_lookup, setup),
		cmocka_unit_test_setup(test_snapshot_placements, setup),
		cmocka_unit_test_setup(test_snapshot, setup),
	};

	log_set_level(getenv("XS_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
