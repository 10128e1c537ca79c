// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cost of the passive TCP monitor ([monitor] rtt) per packet: the TC
 * egress program xs_tc_lan on a customer's frames, BPF_PROG_TEST_RUN,
 * with rtt off and on. Frames: TCP with timestamps and 100 bytes of data
 * (the monitor's whole path: parse the options, the flow lookup, and as
 * the same frame is repeated, a retransmit counted in the customer's
 * record), TCP without timestamps, and UDP (which the monitor skips).
 * Each figure is the CPU time of a run divided by its repeat count, the
 * best of --rounds runs. Prints a markdown table; scripts/bench-rtt.sh
 * adds the context.
 *
 * bench_rtt [--repeat N] [--rounds N]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "common/log.h"
#include "steer/steer.h"
#include "xshaper.skel.h"

#define CUSTOMER "198.19.2.10"

struct frame {
	uint8_t b[192];
	size_t len;
};

enum { F_TCP_TS, F_TCP, F_UDP, FRAMES };

static const char *const frame_names[FRAMES] = {
	"TCP, timestamps, 100 B data",
	"TCP, no timestamps, 100 B data",
	"UDP, 100 B",
};

/* server -> customer, going down through lan egress */
static void make_frame(struct frame *f, int kind)
{
	size_t l4 = kind == F_UDP ? 8 : kind == F_TCP_TS ? 32 : 20;
	uint8_t *p = f->b;

	memset(f, 0, sizeof(*f));
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
	p += 14;
	p[0] = 0x45;
	p[2] = (20 + l4 + 100) >> 8;
	p[3] = (20 + l4 + 100) & 0xff;
	p[6] = 0x40;
	p[8] = 64;
	p[9] = kind == F_UDP ? 17 : 6;
	inet_pton(AF_INET, "198.18.0.1", p + 12);
	inet_pton(AF_INET, CUSTOMER, p + 16);
	p += 20;
	p[0] = 0x14; /* port 5201 */
	p[1] = 0x51;
	p[2] = 0x9c; /* port 40000 */
	p[3] = 0x40;
	if (kind == F_UDP) {
		p[5] = 8 + 100;
	} else {
		p[7] = 1; /* seq */
		p[11] = 1; /* ack */
		p[12] = (uint8_t)(l4 / 4) << 4;
		p[13] = 0x18; /* ACK PSH */
		p[14] = 0xff;
		p[15] = 0xff;
		if (kind == F_TCP_TS)
			memcpy(p + 20, "\x01\x01\x08\x0a\0\0\x10\0\0\0\x20\0", 12);
	}
	f->len = 14 + 20 + l4 + 100;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double run(int fd, const struct frame *f, unsigned int repeat)
{
	struct __sk_buff ctx;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);
	double t0;

	memset(&ctx, 0, sizeof(ctx));
	t0 = cpu_now();
	if (bpf_prog_test_run_opts(fd, &opts) || opts.retval != TC_ACT_OK) {
		fprintf(stderr, "bench_rtt: test run failed\n");
		exit(2);
	}
	return (cpu_now() - t0) / repeat;
}

/* one customer, 198.19.2.10/32 on CPU 1 */
static int one_customer(struct steer *steer, const struct xs_config *cfg)
{
	struct customer_list list = { 0 };
	struct customer c = { 0 };
	struct prefix p;
	struct plan plan = { 0 };
	int err;

	if (prefix_parse(CUSTOMER "/32", &p))
		return -1;
	c.id = "1";
	c.name = "";
	c.info = "";
	c.node = NETWORK_NONE;
	c.prefixes = &p;
	c.nprefixes = 1;
	list.v = &c;
	list.n = 1;
	list.nprefixes_v4 = 1;
	if (plan_init(cfg, NULL, &list, &plan))
		return -1;
	plan.classes[plan.nnodes].cpu = 1;
	plan.classes[plan.nnodes].txq = 0;
	plan.classes[plan.nnodes].minor = XS_FIRST_MINOR;
	err = steer_sync(steer, NULL, &plan, NULL);
	plan_free(&plan);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'R' },
		{},
	};
	unsigned int repeat = 1000000, rounds = 3, r, k, on;
	double best[FRAMES][2];
	struct xs_config cfg;
	struct steer *steer;
	struct frame f;
	cpu_set_t set;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'R':
			rounds = strtoul(optarg, NULL, 10);
			if (!rounds)
				rounds = 1;
			break;
		default:
			fprintf(stderr, "usage: bench_rtt [--repeat N] [--rounds N]\n");
			return 1;
		}
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) || libbpf_num_possible_cpus() < 2) {
		fprintf(stderr, "bench_rtt: needs CPUs 0 and 1\n");
		return 2;
	}
	log_set_level(LOG_LEVEL_WARN);
	memset(&cfg, 0, sizeof(cfg));
	cfg.cpus[0] = 1;
	cfg.ncpus = 1;
	cfg.queues_per_cpu = 1;
	cfg.queue_size = 256;
	cfg.unknown = XS_UNKNOWN_SHAPE;
	cfg.lookup_chunks = XS_TBL_DEFAULT_CHUNKS;
	if (steer_load(&cfg, 0, &steer) || steer_set_cpus(steer, &cfg) || one_customer(steer, &cfg))
		return 2;
	fd = bpf_program__fd(steer_skeleton(steer)->progs.xs_tc_lan);

	for (k = 0; k < FRAMES; k++)
		best[k][0] = best[k][1] = 1e12;
	for (r = 0; r < rounds; r++) {
		for (on = 0; on < 2; on++) {
			cfg.monitor_rtt = on;
			if (steer_set_cpus(steer, &cfg))
				return 2;
			for (k = 0; k < FRAMES; k++) {
				double d;

				make_frame(&f, k);
				d = run(fd, &f, repeat);
				if (d < best[k][on])
					best[k][on] = d;
			}
		}
	}
	printf("| frame | rtt = off ns | rtt = on ns | on - off ns |\n");
	printf("| --- | ---: | ---: | ---: |\n");
	for (k = 0; k < FRAMES; k++)
		printf("| %s | %.1f | %.1f | %+.1f |\n", frame_names[k], best[k][0], best[k][1],
		       best[k][1] - best[k][0]);
	steer_close(steer);
	return 0;
}
