// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small driver of the steer API for the namespace tests and by hand,
 * until the xshaper commands are wired to it. It builds the config, the
 * customer list and the plan itself instead of reading INI and CSV files.
 *
 * steer_tool [OPTIONS] COMMAND [ARG]
 *   start            steer_start (then closes the handle; pins stay)
 *   stop             steer_stop
 *   set-cpus         steer_set_cpus on the running instance
 *   sync FILE        steer_sync to FILE: "ID CPU TXQ MINOR PREFIX..." a line
 *   lookup ADDRESS   steer_lookup
 *   assignments      steer_read_assignments: "ID CPU TXQ MINOR" a line
 *   stats            non-zero per-CPU counters: "CPU ROLE xdp|tc NAME VALUE"
 *   query            what is attached: "ROLE IF xdp ID MODE ours|foreign tc ID ..."
 *   foreign-xdp IF   attach a program that is not xshaper's (the benchmark's
 *                    parse-only one) to IF in skb mode, for the refusal test
 * Options: --wan IF --lan IF --bpffs DIR --mode native|skb --cpus 0,1|0-3
 *          --qpc N --queue-size N --unknown shape|pass -v
 * Exit status: 0, 1 bad usage or input, 2 the call failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "bench_parse.skel.h"
#include "common/log.h"
#include "steer/steer.h"

static int parse_cpus(const char *s, struct xs_config *cfg)
{
	unsigned int a, b, c;
	const char *p = s;
	char *end;

	cfg->ncpus = 0;
	while (*p) {
		a = strtoul(p, &end, 10);
		if (end == p)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return -EINVAL;
		}
		for (c = a; c <= b; c++) {
			if (cfg->ncpus == XS_MAX_CPUS || c >= XS_MAX_CPUS)
				return -EINVAL;
			cfg->cpus[cfg->ncpus++] = c;
		}
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -EINVAL;
	}
	return cfg->ncpus ? 0 : -EINVAL;
}

static int parse_prefix(const char *text, struct prefix *p)
{
	char buf[64], *slash;
	struct in_addr a4;
	unsigned int i, bits;
	long len = -1;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		len = strtol(slash + 1, NULL, 10);
	}
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (len > 32)
			return -EINVAL;
		p->addr[10] = p->addr[11] = 0xff;
		memcpy(p->addr + 12, &a4, 4);
		p->len = 96 + (len < 0 ? 32 : len);
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		if (len > 128)
			return -EINVAL;
		p->len = len < 0 ? 128 : len;
	} else {
		return -EINVAL;
	}
	for (i = 0; i < 16; i++) {
		bits = p->len > 8 * i ? p->len - 8 * i : 0;
		if (bits < 8)
			p->addr[i] &= (uint8_t)(0xff00 >> bits);
	}
	return 0;
}

static void free_list(struct customer_list *list, struct plan *plan)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->v[i].prefixes);
	free(list->v);
	free(plan->v);
}

/* "ID CPU TXQ MINOR PREFIX [PREFIX...]" per line; '#' comments. */
static int read_customers(const char *path, struct customer_list *list, struct plan *plan)
{
	char line[4096], *tok, *save;
	unsigned int lineno = 0;
	struct customer *c;
	struct assignment *a;
	FILE *f;
	void *t;

	memset(list, 0, sizeof(*list));
	memset(plan, 0, sizeof(*plan));
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[strspn(line, " \t\n")] == '\0' || line[strspn(line, " \t")] == '#')
			continue;
		t = realloc(list->v, (list->n + 1) * sizeof(*list->v));
		if (!t)
			goto nomem;
		list->v = t;
		t = realloc(plan->v, (plan->n + 1) * sizeof(*plan->v));
		if (!t)
			goto nomem;
		plan->v = t;
		c = &list->v[list->n++];
		a = &plan->v[plan->n++];
		memset(c, 0, sizeof(*c));
		if (sscanf(line, "%u %u %u %u", &a->id, &a->cpu, &a->txq, &a->minor) != 4)
			goto bad;
		c->id = a->id;
		c->line = lineno;
		strtok_r(line, " \t\n", &save);
		strtok_r(NULL, " \t\n", &save);
		strtok_r(NULL, " \t\n", &save);
		strtok_r(NULL, " \t\n", &save);
		while ((tok = strtok_r(NULL, " \t\n", &save))) {
			t = realloc(c->prefixes, (c->nprefixes + 1) * sizeof(*c->prefixes));
			if (!t)
				goto nomem;
			c->prefixes = t;
			if (parse_prefix(tok, &c->prefixes[c->nprefixes++]))
				goto bad;
		}
	}
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "%s:%u: expected ID CPU TXQ MINOR PREFIX...\n", path, lineno);
	fclose(f);
	free_list(list, plan);
	return -EINVAL;
nomem:
	fclose(f);
	free_list(list, plan);
	return -ENOMEM;
}

static int cmd_sync(const struct xs_config *cfg, const char *path)
{
	struct steer_counts counts;
	struct customer_list list;
	struct steer *steer;
	struct plan plan;
	int err;

	err = read_customers(path, &list, &plan);
	if (err)
		return 1;
	err = steer_open(cfg, &steer);
	if (!err) {
		err = steer_sync(steer, &list, &plan, &counts);
		steer_close(steer);
	}
	free_list(&list, &plan);
	if (err)
		return 2;
	printf("added %zu updated %zu deleted %zu unchanged %zu\n", counts.added, counts.updated,
	       counts.deleted, counts.unchanged);
	return 0;
}

static int cmd_lookup(const struct xs_config *cfg, const char *address)
{
	struct steer_match m;
	struct steer *steer;
	int err;

	err = steer_open(cfg, &steer);
	if (err)
		return 2;
	err = steer_lookup(steer, address, &m);
	steer_close(steer);
	if (err)
		return err == -EINVAL ? 1 : 2;
	if (m.known)
		printf("%s customer %u cpu %u txq %u classid %s prefix %s\n", m.address_text,
		       m.customer.id, m.customer.cpu, m.customer.txq, m.classid_text,
		       m.prefix_text);
	else
		printf("%s unknown %s\n", m.address_text, unknown_policy_name(m.unknown));
	return 0;
}

static int cmd_assignments(const struct xs_config *cfg)
{
	struct assignment *a;
	struct steer *steer;
	size_t n, i;
	int err;

	err = steer_open(cfg, &steer);
	if (err)
		return 2;
	err = steer_read_assignments(steer, &a, &n);
	steer_close(steer);
	if (err)
		return 2;
	for (i = 0; i < n; i++)
		printf("%u %u %u %u\n", a[i].id, a[i].cpu, a[i].txq, a[i].minor);
	free(a);
	return 0;
}

static int cmd_stats(const struct xs_config *cfg)
{
	struct xs_stats *v;
	struct steer *steer;
	unsigned int ncpus, cpu, d, i;
	int err;

	err = steer_open(cfg, &steer);
	if (err)
		return 2;
	err = steer_read_stats(steer, &v, &ncpus, NULL);
	steer_close(steer);
	if (err)
		return 2;
	for (cpu = 0; cpu < ncpus; cpu++) {
		for (d = 0; d < XS_DIRS; d++) {
			for (i = 0; i < XS_XDP_STATS; i++)
				if (v[cpu].xdp[d][i])
					printf("%u %s xdp %s %llu\n", cpu, role_name(d),
					       steer_xdp_stat_name(i),
					       (unsigned long long)v[cpu].xdp[d][i]);
			for (i = 0; i < XS_TC_STATS; i++)
				if (v[cpu].tc[d][i])
					printf("%u %s tc %s %llu\n", cpu, role_name(d),
					       steer_tc_stat_name(i),
					       (unsigned long long)v[cpu].tc[d][i]);
		}
	}
	free(v);
	return 0;
}

static int cmd_query(const struct xs_config *cfg)
{
	struct steer_iface ifs[XS_DIRS];
	int d;

	if (steer_query(cfg, ifs))
		return 2;
	for (d = 0; d < XS_DIRS; d++)
		printf("%s %s xdp %u %s %s tc %u %s\n", role_name(d), ifs[d].name,
		       ifs[d].xdp_prog_id, xdp_mode_name(ifs[d].xdp_mode),
		       ifs[d].xdp_ours ? "ours" : "foreign", ifs[d].tc_prog_id,
		       ifs[d].tc_ours ? "ours" : "foreign");
	return 0;
}

static int cmd_foreign_xdp(const char *ifname)
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
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.bench_parse),
			     XDP_FLAGS_SKB_MODE, NULL);
	bench_parse__destroy(skel);
	if (err) {
		fprintf(stderr, "%s: attaching failed: %s\n", ifname, strerror(-err));
		return 2;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: steer_tool [--wan IF] [--lan IF] [--bpffs DIR] [--mode native|skb]\n"
			"       [--cpus LIST] [--qpc N] [--queue-size N] [--unknown shape|pass] [-v]\n"
			"       start|stop|set-cpus|sync FILE|lookup ADDRESS|assignments|stats|query|\n"
			"       foreign-xdp IF\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "wan", required_argument, NULL, 'w' },
		{ "lan", required_argument, NULL, 'l' },
		{ "bpffs", required_argument, NULL, 'b' },
		{ "mode", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "qpc", required_argument, NULL, 'q' },
		{ "queue-size", required_argument, NULL, 's' },
		{ "unknown", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{},
	};
	struct xs_config cfg;
	struct steer *steer;
	const char *cmd;
	int opt, level = LOG_LEVEL_INFO;
	unsigned int v;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.wan, sizeof(cfg.wan), "wan");
	snprintf(cfg.lan, sizeof(cfg.lan), "lan");
	snprintf(cfg.bpffs, sizeof(cfg.bpffs), "/sys/fs/bpf/xshaper");
	cfg.cpus[0] = 0;
	cfg.ncpus = 1;
	cfg.queues_per_cpu = 1;
	cfg.queue_size = 2048;
	cfg.xdp_mode = XDP_MODE_NATIVE;
	cfg.unknown = XS_UNKNOWN_SHAPE;

	while ((opt = getopt_long(argc, argv, "v", options, NULL)) != -1) {
		switch (opt) {
		case 'w':
			snprintf(cfg.wan, sizeof(cfg.wan), "%s", optarg);
			break;
		case 'l':
			snprintf(cfg.lan, sizeof(cfg.lan), "%s", optarg);
			break;
		case 'b':
			snprintf(cfg.bpffs, sizeof(cfg.bpffs), "%s", optarg);
			break;
		case 'm':
			if (enum_value(xdp_modes, optarg, &v))
				goto bad;
			cfg.xdp_mode = (enum xdp_mode)v;
			break;
		case 'c':
			if (parse_cpus(optarg, &cfg))
				goto bad;
			break;
		case 'q':
			cfg.queues_per_cpu = strtoul(optarg, NULL, 10);
			break;
		case 's':
			cfg.queue_size = strtoul(optarg, NULL, 10);
			break;
		case 'u':
			if (enum_value(unknown_policies, optarg, &v))
				goto bad;
			cfg.unknown = (enum xs_unknown)v;
			break;
		case 'v':
			if (level < LOG_LEVEL_DEBUG)
				level++;
			break;
		default:
			goto bad;
		}
	}
	log_set_level(level);
	if (optind >= argc)
		goto bad;
	cmd = argv[optind++];

	if (strcmp(cmd, "start") == 0) {
		if (steer_start(&cfg, &steer))
			return 2;
		steer_close(steer);
		return 0;
	}
	if (strcmp(cmd, "stop") == 0)
		return steer_stop(&cfg) ? 2 : 0;
	if (strcmp(cmd, "set-cpus") == 0) {
		int err;

		if (steer_open(&cfg, &steer))
			return 2;
		err = steer_set_cpus(steer, &cfg);
		steer_close(steer);
		return err ? 2 : 0;
	}
	if (strcmp(cmd, "sync") == 0 && optind < argc)
		return cmd_sync(&cfg, argv[optind]);
	if (strcmp(cmd, "lookup") == 0 && optind < argc)
		return cmd_lookup(&cfg, argv[optind]);
	if (strcmp(cmd, "assignments") == 0)
		return cmd_assignments(&cfg);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(&cfg);
	if (strcmp(cmd, "query") == 0)
		return cmd_query(&cfg);
	if (strcmp(cmd, "foreign-xdp") == 0 && optind < argc)
		return cmd_foreign_xdp(argv[optind]);
bad:
	usage();
	return 1;
}
