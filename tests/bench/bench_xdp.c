// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cost of the XDP steering program per packet, from BPF_PROG_TEST_RUN, at
 * 1k to 1M prefixes, next to a parse-only program and to the lookup
 * strategies it was chosen over, all measured in one run, address by
 * address, so that a noisy machine treats them alike:
 *
 *   parse    bench_parse: the parser and XDP_PASS, no lookup
 *   trie     the LPM trie alone
 *   lru      an LRU cache by address (generation-checked) before the trie
 *   xshaper  xs_xdp_wan as shipped: the walk of the lookup table
 *            (steer/table.c), the trie only where the table's pool ran out
 *
 * Each figure is the CPU time of a test run of one frame divided by its
 * repeat count, the best of --rounds such runs (other work on the machine
 * only ever adds), averaged over 8 customer addresses spread through the
 * list (the "unknown" column: 2 addresses no prefix covers). The kernel's
 * own figure is whole nanoseconds, truncated, which would bias a ratio of
 * two small numbers by up to a tenth; the CPU time of the whole run has no
 * such step and differs from it only by a fixed cost per run (~0.3 ms),
 * spread here over --repeat-fast (10M) packets for parse-only and xshaper,
 * whose ratio is the target, and --repeat (1M) for the slower candidates.
 * A repeated frame keeps every structure in cache, the best case for all
 * of them alike; for the LRU that hides its misses, so "LRU miss" runs the
 * LRU program with every lookup a miss (as for each address after a
 * reload): probe, trie, fill.
 *
 * Prints a markdown table; scripts/bench-xdp.sh adds the context.
 *
 * With --frames, the table is another: parse-only and xshaper on the same
 * addresses of the first size of the hosts mix, in each encapsulation the
 * parser reads (plain, QinQ, PPPoE in QinQ, MPLS), rounds interleaved.
 *
 * bench_xdp [--repeat N] [--repeat-fast N] [--rounds N] [--sizes 1000,...]
 *           [--mixes hosts,isp,mixed] [--lookup-memory MIB] [--frames]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "bench_lookup.skel.h"
#include "bench_parse.skel.h"
#include "common/log.h"
#include "steer/steer.h"
#include "xshaper.skel.h"

#define ADDRS	8
#define UNKNOWN 2

/*
 * Address mixes. Each kind of prefix has its own region (the top bits), and
 * the i-th prefix of a kind takes a 20-bit index, scrambled by an odd
 * multiplier (a bijection), as its last network bits.
 */
struct kind {
	bool v6;
	unsigned int len; /* 32 for /32, 56 for /56... */
};

static const struct mix {
	const char *name;
	const char *what;
	unsigned int nkinds;
	struct kind kinds[6];
} mixes[] = {
	{ "hosts", "IPv4 /32 only", 1, { { false, 32 } } },
	{ "isp",
	  "half IPv4 /32, half IPv6 /56 (a dual-stack customer each)",
	  2,
	  { { false, 32 }, { true, 56 } } },
	{ "mixed",
	  "IPv4 /24 /29 /32 and IPv6 /48 /56 /64, a sixth each",
	  6,
	  { { false, 24 },
	    { false, 29 },
	    { false, 32 },
	    { true, 48 },
	    { true, 56 },
	    { true, 64 } } },
};

static void set_bits(uint8_t *addr, unsigned int from, unsigned int nbits, uint32_t v)
{
	unsigned int i, bit;

	for (i = 0; i < nbits; i++) {
		bit = from + i;
		if (v & (1U << (nbits - 1 - i)))
			addr[bit / 8] |= 0x80 >> (bit % 8);
	}
}

/* The i-th prefix of kind k in mix m: a struct prefix (v4 mapped). */
static void nth_prefix(const struct mix *m, size_t i, struct prefix *p)
{
	unsigned int k = i % m->nkinds;
	const struct kind *kd = &m->kinds[k];
	uint32_t idx = ((uint32_t)(i / m->nkinds) * 0x9E3779B1U) & 0xFFFFF;

	memset(p, 0, sizeof(*p));
	if (kd->v6) {
		p->addr[0] = 0x20;
		p->addr[1] = 0x01 + k;
		set_bits(p->addr, kd->len - 20, 20, idx);
		p->len = kd->len;
	} else {
		p->addr[10] = p->addr[11] = 0xff;
		p->addr[12] = (k + 1) << 4;
		set_bits(p->addr + 12, kd->len - 20, 20, idx);
		p->len = 96 + kd->len;
	}
}

/* n customers of ids "1".."n", one prefix each, all on CPU 1 (we run on CPU 0) */
static void build(const struct xs_config *cfg, const struct mix *m, size_t n,
		  struct customer_list *list, struct plan *plan)
{
	char id[24];
	size_t i;

	memset(list, 0, sizeof(*list));
	list->v = calloc(n ? n : 1, sizeof(*list->v));
	if (!list->v) {
		perror("calloc");
		exit(2);
	}
	list->n = n;
	for (i = 0; i < n; i++) {
		struct customer *c = &list->v[i];

		snprintf(id, sizeof(id), "%zu", i + 1);
		c->id = strdup(id);
		c->name = "";
		c->info = "";
		c->node = NETWORK_NONE;
		c->nprefixes = 1;
		c->prefixes = malloc(sizeof(struct prefix));
		if (!c->id || !c->prefixes) {
			perror("malloc");
			exit(2);
		}
		nth_prefix(m, i, c->prefixes);
		if (prefix_is_v4(c->prefixes))
			list->nprefixes_v4++;
		else
			list->nprefixes_v6++;
	}
	if (plan_init(cfg, NULL, list, plan)) {
		perror("plan_init");
		exit(2);
	}
	for (i = 0; i < n; i++) {
		struct plan_class *pc = &plan->classes[plan->nnodes + i];

		pc->cpu = 1;
		pc->txq = 0;
		pc->minor = XS_FIRST_MINOR + i % 65000;
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
	memset(plan, 0, sizeof(*plan));
}

struct frame {
	uint8_t b[128];
	size_t len;
};

/* Ethernet + IP + UDP from the internet to addr (a mapped or v6 address) */
static void frame_to(struct frame *f, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	bool v4 = memcmp(addr, mapped, 12) == 0;
	uint8_t *p = f->b;

	memset(f, 0, sizeof(*f));
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	p[12] = v4 ? 0x08 : 0x86;
	p[13] = v4 ? 0x00 : 0xdd;
	p += 14;
	if (v4) {
		p[0] = 0x45;
		p[3] = 20 + 8 + 18;
		p[8] = 64;
		p[9] = 17;
		memcpy(p + 12, "\xc6\x12\x00\x01", 4); /* 198.18.0.1 */
		memcpy(p + 16, addr + 12, 4);
		p += 20;
	} else {
		p[0] = 0x60;
		p[5] = 8 + 18;
		p[6] = 17;
		p[7] = 64;
		inet_pton(AF_INET6, "2001:db8:ff::1", p + 8);
		memcpy(p + 24, addr, 16);
		p += 40;
	}
	p[1] = 0x35;
	p[3] = 0x35;
	p[5] = 8 + 18;
	f->len = (p + 8 + 18) - f->b;
}

/* The encapsulations of the --frames table: the frame after Ethernet's addresses */
static const struct encap {
	const char *name;
	size_t len;
	uint8_t hdr[32];
} encaps[] = {
	{ "plain IPv4", 2, { 0x08, 0x00 } },
	{ "QinQ (802.1ad + 802.1Q)",
	  10,
	  { 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x65, 0x08, 0x00 } },
	{ "PPPoE in QinQ",
	  18,
	  { 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x65, 0x88, 0x64, 0x11, 0x00, 0x12, 0x34,
	    0x00, 0x30, 0x00, 0x21 } },
	{ "MPLS, 2 labels", 10, { 0x88, 0x47, 0x03, 0xe8, 0x00, 0x40, 0x03, 0xe9, 0x01, 0x40 } },
	{ "MPLS, 5 labels in QinQ", 30, { 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x65,
					  0x88, 0x47, 0x03, 0xe8, 0x00, 0x40, 0x03, 0xe9,
					  0x00, 0x40, 0x03, 0xea, 0x00, 0x40, 0x03, 0xeb,
					  0x00, 0x40, 0x03, 0xec, 0x01, 0x40 } },
};

/* An IPv4 frame of frame_to in encapsulation e instead of its ethertype */
static void frame_encap(struct frame *f, const struct encap *e)
{
	struct frame ip = *f;
	size_t n = ip.len - 14;

	if (12 + e->len + n > sizeof(f->b)) {
		fprintf(stderr, "bench_xdp: frame too long\n");
		exit(2);
	}
	memcpy(f->b + 12, e->hdr, e->len);
	memcpy(f->b + 12 + e->len, ip.b + 14, n);
	f->len = 12 + e->len + n;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns of CPU per run of prog over repeat runs of f */
static double run(int prog_fd, const struct frame *f, unsigned int repeat, int expect)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len,
		    .repeat = repeat);
	double t0;
	int err;

	t0 = cpu_now();
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	t0 = cpu_now() - t0;
	if (err) {
		fprintf(stderr, "bench_xdp: test run failed: %s\n", strerror(-err));
		exit(2);
	}
	if (expect >= 0 && (int)opts.retval != expect) {
		fprintf(stderr, "bench_xdp: verdict %u, expected %d: the program is not steering\n",
			opts.retval, expect);
		exit(2);
	}
	return t0 / repeat;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum { P_PARSE, P_TRIE, P_LRU, P_LRU_COLD, P_XSHAPER, PROGS };

/* The address of the a-th of ADDRS customers spread through n of mix m */
static void customer_addr(const struct mix *m, size_t n, size_t a, struct prefix *p)
{
	size_t i = (n - 1) * a / (ADDRS - 1);

	/* spread through the list, each family and kind in turn */
	i -= i % m->nkinds;
	i += a % m->nkinds;
	if (i >= n)
		i = a % m->nkinds;
	nth_prefix(m, i, p);
	if (p->len < 128)
		p->addr[15] |= 1; /* a host inside it */
}

/*
 * The --frames table: n prefixes of the hosts mix (IPv4 /32) loaded, each
 * encapsulation of each address through parse-only and xshaper, the best
 * of rounds, rounds interleaved over the encapsulations.
 */
static int frames_table(struct steer *steer, const struct xs_config *cfg, size_t n, int parse_fd,
			int xshaper_fd, unsigned int repeat, unsigned int rounds)
{
	enum { NENC = sizeof(encaps) / sizeof(encaps[0]) };
	double best[NENC][ADDRS][2], d;
	struct customer_list list = { 0 };
	struct plan plan = { 0 };
	struct frame f;
	struct prefix p;
	size_t e, a;
	unsigned int r;
	int i;

	build(cfg, &mixes[0], n, &list, &plan);
	if (steer_sync(steer, NULL, &plan, NULL))
		return -1;
	release(&list, &plan);
	for (e = 0; e < NENC; e++)
		for (a = 0; a < ADDRS; a++)
			best[e][a][0] = best[e][a][1] = 1e12;
	for (r = 0; r < rounds; r++)
		for (e = 0; e < NENC; e++)
			for (a = 0; a < ADDRS; a++) {
				customer_addr(&mixes[0], n, a, &p);
				frame_to(&f, p.addr);
				frame_encap(&f, &encaps[e]);
				for (i = 0; i < 2; i++) {
					d = run(i ? xshaper_fd : parse_fd, &f, repeat,
						i ? XDP_REDIRECT : XDP_PASS);
					if (d < best[e][a][i])
						best[e][a][i] = d;
				}
			}
	printf("| frame | header bytes before IP | parse-only ns | xshaper ns | xshaper / parse "
	       "|\n");
	printf("| --- | ---: | ---: | ---: | ---: |\n");
	for (e = 0; e < NENC; e++) {
		double ns[2] = { 0, 0 };

		for (a = 0; a < ADDRS; a++)
			for (i = 0; i < 2; i++)
				ns[i] += best[e][a][i] / ADDRS;
		printf("| %s | %zu | %.1f | %.1f | %.2f |\n", encaps[e].name, 12 + encaps[e].len,
		       ns[0], ns[1], ns[1] / ns[0]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "repeat-fast", required_argument, NULL, 'f' },
		{ "lookup-memory", required_argument, NULL, 'l' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "sizes", required_argument, NULL, 's' },
		{ "mixes", required_argument, NULL, 'm' },
		{ "frames", no_argument, NULL, 'F' },
		{},
	};
	size_t sizes[8] = { 1000, 10000, 100000, 1000000 }, nsizes = 4, si, mi, i, a;
	const char *mix_filter = NULL;
	unsigned int repeat = 1000000, repeat_fast = 10000000, rounds = 3, r, lookup_mib = 64;
	struct bench_lookup *cand;
	struct bench_parse *parse;
	struct steer_counts counts;
	struct customer_list list = { 0 };
	struct plan plan = { 0 };
	struct xs_config cfg;
	struct xshaper *skel;
	struct steer *steer;
	int fds[PROGS], opt, gen_fd, frames = 0;
	cpu_set_t set;
	__u32 zero = 0, gen = 0;
	char *tok, *save;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'f':
			repeat_fast = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			lookup_mib = strtoul(optarg, NULL, 10);
			break;
		case 'R':
			rounds = strtoul(optarg, NULL, 10);
			if (!rounds)
				rounds = 1;
			break;
		case 's':
			nsizes = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && nsizes < 8;
			     tok = strtok_r(NULL, ",", &save))
				sizes[nsizes++] = strtoul(tok, NULL, 10);
			break;
		case 'm':
			mix_filter = optarg;
			break;
		case 'F':
			frames = 1;
			break;
		default:
			fprintf(stderr,
				"usage: bench_xdp [--repeat N] [--rounds N] [--sizes A,B,..] "
				"[--mixes hosts,isp,mixed] [--frames]\n");
			return 1;
		}
	}
	for (si = 0; si < nsizes; si++) {
		if (sizes[si] == 0 || sizes[si] > XS_MAX_PREFIXES || sizes[si] > 6 * 0x100000) {
			fprintf(stderr, "bench_xdp: size %zu out of range\n", sizes[si]);
			return 1;
		}
	}

	/* the programs run where we run: CPU 0; customers live on CPU 1 */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) || libbpf_num_possible_cpus() < 2) {
		fprintf(stderr, "bench_xdp: needs CPUs 0 and 1\n");
		return 2;
	}
	log_set_level(LOG_LEVEL_WARN);
	memset(&cfg, 0, sizeof(cfg));
	cfg.cpus[0] = 1;
	cfg.ncpus = 1;
	cfg.queues_per_cpu = 1;
	cfg.queue_size = 256;
	cfg.unknown = XS_UNKNOWN_SHAPE;
	cfg.lookup_chunks = lookup_mib * 1024;
	if (steer_load(&cfg, 0, &steer) || steer_set_cpus(steer, &cfg))
		return 2;
	skel = steer_skeleton(steer);

	parse = bench_parse__open_and_load();
	cand = bench_lookup__open();
	if (!parse || !cand)
		return 2;
	/* the candidates read the very maps xshaper's program reads */
	cand->rodata->xs_tbl_last = skel->rodata->xs_tbl_last;
	if (bpf_map__reuse_fd(cand->maps.xs_prefixes, bpf_map__fd(skel->maps.xs_prefixes)) ||
	    bpf_map__reuse_fd(cand->maps.xs_table, bpf_map__fd(skel->maps.xs_table)) ||
	    bpf_map__reuse_fd(cand->maps.xs_cpumap, bpf_map__fd(skel->maps.xs_cpumap)) ||
	    bpf_map__reuse_fd(cand->maps.xs_cpu_queues, bpf_map__fd(skel->maps.xs_cpu_queues)) ||
	    bpf_map__reuse_fd(cand->maps.xs_settings, bpf_map__fd(skel->maps.xs_settings)) ||
	    bpf_map__reuse_fd(cand->maps.xs_stats, bpf_map__fd(skel->maps.xs_stats)) ||
	    bench_lookup__load(cand)) {
		fprintf(stderr, "bench_xdp: loading the candidate programs failed\n");
		return 2;
	}
	gen_fd = bpf_map__fd(cand->maps.bench_generation);
	fds[P_PARSE] = bpf_program__fd(parse->progs.bench_parse);
	fds[P_TRIE] = bpf_program__fd(cand->progs.bench_trie);
	fds[P_LRU] = bpf_program__fd(cand->progs.bench_lru);
	fds[P_LRU_COLD] = bpf_program__fd(cand->progs.bench_lru_cold);
	fds[P_XSHAPER] = bpf_program__fd(skel->progs.xs_xdp_wan);

	if (frames) {
		int err = frames_table(steer, &cfg, sizes[0], fds[P_PARSE], fds[P_XSHAPER],
				       repeat_fast, rounds);

		bench_lookup__destroy(cand);
		bench_parse__destroy(parse);
		steer_close(steer);
		return err ? 2 : 0;
	}

	printf("| mix | prefixes | parse-only ns | trie ns | LRU+trie ns | LRU miss ns | xshaper "
	       "ns "
	       "| xshaper / parse | trie / parse | xshaper unknown ns | sync s | table MiB |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
	       "|\n");
	for (mi = 0; mi < sizeof(mixes) / sizeof(mixes[0]); mi++) {
		const struct mix *m = &mixes[mi];

		if (mix_filter && !strstr(mix_filter, m->name))
			continue;
		for (si = 0; si < nsizes; si++) {
			double ns[PROGS] = { 0 }, best[PROGS], unknown = 0, t0, t_sync, d;
			struct frame f;
			struct prefix p;

			/* from empty, so that the sync time is a first load */
			release(&list, &plan);
			build(&cfg, m, 0, &list, &plan);
			if (steer_sync(steer, NULL, &plan, NULL))
				return 2;
			release(&list, &plan);
			build(&cfg, m, sizes[si], &list, &plan);
			t0 = now();
			if (steer_sync(steer, NULL, &plan, &counts))
				return 2;
			t_sync = now() - t0;
			/* the LRU candidate's way to forget: a new generation */
			gen++;
			bpf_map_update_elem(gen_fd, &zero, &gen, BPF_ANY);

			for (a = 0; a < ADDRS; a++) {
				customer_addr(m, sizes[si], a, &p);
				frame_to(&f, p.addr);
				for (i = 0; i < PROGS; i++)
					best[i] = 1e12;
				for (r = 0; r < rounds; r++) {
					static const int verdict[PROGS] = { XDP_PASS, XDP_REDIRECT,
									    XDP_REDIRECT,
									    XDP_REDIRECT,
									    XDP_REDIRECT };

					for (i = 0; i < PROGS; i++) {
						d = run(fds[i], &f,
							i == P_PARSE || i == P_XSHAPER ? repeat_fast
										       : repeat,
							verdict[i]);
						if (d < best[i])
							best[i] = d;
					}
				}
				for (i = 0; i < PROGS; i++)
					ns[i] += best[i];
			}
			for (a = 0; a < UNKNOWN; a++) {
				memset(p.addr, 0, 16);
				if (a == 0) {
					p.addr[10] = p.addr[11] = 0xff;
					p.addr[12] = 9; /* 9.x: no region holds it */
					p.addr[15] = 9;
				} else {
					p.addr[0] = 0x2a;
					p.addr[15] = 9;
				}
				frame_to(&f, p.addr);
				/* unknown = shape: to CPU 1, the only CPU configured */
				d = 1e12;
				for (r = 0; r < rounds; r++) {
					double u =
						run(fds[P_XSHAPER], &f, repeat_fast, XDP_REDIRECT);

					if (u < d)
						d = u;
				}
				unknown += d;
			}
			for (i = 0; i < PROGS; i++)
				ns[i] /= ADDRS;
			unknown /= UNKNOWN;
			printf("| %s | %zu | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.1f "
			       "| %.2f | %.1f%s |\n",
			       m->name, sizes[si], ns[P_PARSE], ns[P_TRIE], ns[P_LRU],
			       ns[P_LRU_COLD], ns[P_XSHAPER], ns[P_XSHAPER] / ns[P_PARSE],
			       ns[P_TRIE] / ns[P_PARSE], unknown, t_sync,
			       counts.table_chunks / 1024.0,
			       counts.table_fallbacks ? " (full)" : "");
			fflush(stdout);
		}
	}
	release(&list, &plan);
	bench_lookup__destroy(cand);
	bench_parse__destroy(parse);
	steer_close(steer);
	return 0;
}
