// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "common/log.h"
#include "common/text.h"
#include "conf/config.h"
#include "conf/customers.h"
#include "conf/plan.h"
#include "conf/rate.h"
#include "cmd/commands.h"
#include "shaper/tree.h"
#include "steer/steer.h"
#include "steer/table.h"

int load_config(const char *config, struct xs_config *cfg)
{
	config_defaults(cfg);
	return config_load(config, cfg);
}

int resolve_queues(struct xs_config *cfg)
{
	unsigned int wan = 0, lan = 0;
	struct tc_sock *ts;
	int err;

	if (!cfg->queues_auto)
		return 0;
	config_resolve_queues(cfg, 0);
	if (!if_nametoindex(cfg->wan) || !if_nametoindex(cfg->lan))
		return -ENODEV;
	err = tc_sock_open(&ts);
	if (err)
		return err;
	err = tree_tx_queues(ts, cfg->wan, &wan);
	if (!err)
		err = tree_tx_queues(ts, cfg->lan, &lan);
	tc_sock_close(ts);
	if (err)
		return err;
	config_resolve_queues(cfg, wan < lan ? wan : lan);
	pr_debug("queues_per_cpu = auto: %u (TX queues: %s %u, %s %u)\n", cfg->queues_per_cpu,
		 cfg->wan, wan, cfg->lan, lan);
	return 0;
}

int load_inputs(const char *config, struct xs_config *cfg, struct network *net,
		struct customer_list *list)
{
	int err;

	memset(net, 0, sizeof(*net));
	memset(list, 0, sizeof(*list));
	err = load_config(config, cfg);
	if (err)
		return err;
	err = network_load(cfg->network_file, cfg, net);
	if (err)
		return err;
	err = customers_load(cfg->customers_file, cfg, net, list);
	if (err)
		network_free(net);
	return err;
}

/* The programs' lookup table for this list, against [system] lookup_memory. */
static void print_table_need(const struct xs_config *cfg, const struct plan *plan)
{
	struct steer_prefix *v;
	size_t n;
	long need;

	/* the entries steer_sync would hand the table */
	if (steer_wanted(plan, &v, &n))
		return;
	need = table_chunks_needed(v, n);
	free(v);
	if (need < 0)
		return;
	printf("lookup table: %ld of %u chunks of [system] lookup_memory\n", need,
	       cfg->lookup_chunks);
	if ((unsigned long)need > cfg->lookup_chunks)
		pr_warn("the lookup table needs %ld KiB, more than [system] lookup_memory = %uK: "
			"the addresses that do not fit are looked up in the slower LPM trie; "
			"raise lookup_memory (it applies after 'xshaper stop' and 'start')\n",
			need, cfg->lookup_chunks);
}

/* The monitor's flow table that start would create for this list. */
static void print_flows(const struct xs_config *cfg, size_t ncustomers)
{
	int possible = libbpf_num_possible_cpus();
	unsigned int per_cpu = steer_flows_per_cpu(cfg, ncustomers);
	char what[32] = "auto";

	if (possible <= 0)
		return;
	if (cfg->monitor_flows)
		snprintf(what, sizeof(what), "%u", cfg->monitor_flows);
	printf("monitor flow table: %u flows on each of %d possible CPUs, %.1f MiB ([monitor] "
	       "flows = %s)\n",
	       per_cpu, possible,
	       (double)steer_flows_bytes(per_cpu, (unsigned int)possible) / (1 << 20), what);
}

/*
 * One tree carrying more than this many times the average load of the
 * trees is worth a warning: its CPU saturates first.
 */
#define LOAD_SKEW 2

/* The hierarchy: nodes per level, customers per node. */
static void print_hierarchy(const struct plan *plan)
{
	const struct network *net = plan->net;
	size_t per_level[NETWORK_MAX_DEPTH + 1] = {}, *under, i, nvirtual = net->n - net->nreal;
	size_t unparented = 0, empty = 0, most = 0;
	const struct plan_class *busiest = NULL;
	bool *has_children;

	if (!net->n)
		return;
	under = calloc(plan->nnodes + 1, sizeof(*under));
	has_children = calloc(plan->nnodes + 1, sizeof(*has_children));
	if (!under || !has_children) {
		free(under);
		free(has_children);
		return;
	}
	for (i = 0; i < plan->nnodes; i++) {
		per_level[plan->classes[i].depth < NETWORK_MAX_DEPTH ? plan->classes[i].depth
								     : NETWORK_MAX_DEPTH]++;
		if (plan->classes[i].parent != PLAN_NONE)
			has_children[plan->classes[i].parent] = true;
	}
	for (i = plan->nnodes; i < plan->n; i++) {
		if (plan->classes[i].parent == PLAN_NONE)
			unparented++;
		else
			under[plan->classes[i].parent]++;
	}
	for (i = 0; i < plan->nnodes; i++) {
		if (!under[i] && !has_children[i])
			empty++;
		if (under[i] > most) {
			most = under[i];
			busiest = &plan->classes[i];
		}
	}
	text_fputs(net->file, stdout);
	printf(": %zu nodes (%zu virtual), levels:", net->n, nvirtual);
	for (i = 0; i < NETWORK_MAX_DEPTH && per_level[i]; i++)
		printf(" %zu", per_level[i]);
	printf("\n");
	printf("customers: %zu under nodes, %zu without one; %zu empty nodes (no customer, no "
	       "node under them)",
	       plan->list->n - unparented, unparented, empty);
	if (busiest) {
		printf("; most under '");
		text_fputs(plan_class_id(plan, busiest), stdout);
		printf("': %zu", most);
	}
	printf("\n");
	free(under);
	free(has_children);
}

static void print_summary(const struct xs_config *cfg, const struct customer_list *list,
			  const struct plan *plan)
{
	uint64_t down_sum[XS_MAX_CPUS] = {}, up_sum[XS_MAX_CPUS] = {}, total = 0;
	size_t count[XS_MAX_CPUS] = {}, nodes[XS_MAX_CPUS] = {}, j;
	unsigned int i, first, n;
	char down[32], up[32], txqs[24];

	for (j = 0; j < plan->n; j++) {
		const struct plan_class *c = &plan->classes[j];

		i = config_txq_cpu_index(cfg, c->txq);
		if (c->kind == PLAN_NODE) {
			nodes[i]++;
			continue;
		}
		down_sum[i] += c->ceil[XS_LAN];
		up_sum[i] += c->ceil[XS_WAN];
		count[i]++;
	}
	text_fputs(cfg->customers_file, stdout);
	printf(": %zu customers, %zu prefixes (%zu IPv4, %zu IPv6)\n", list->n,
	       list->nprefixes_v4 + list->nprefixes_v6, list->nprefixes_v4, list->nprefixes_v6);
	print_hierarchy(plan);
	printf("%-5s %-11s %10s %7s %14s %14s\n", "cpu", "txqs", "customers", "nodes",
	       "down ceil sum", "up ceil sum");
	for (i = 0; i < cfg->ncpus; i++) {
		config_cpu_txqs(cfg, i, &first, &n);
		if (n == 1)
			snprintf(txqs, sizeof(txqs), "%u", first);
		else
			snprintf(txqs, sizeof(txqs), "%u-%u", first, first + n - 1);
		printf("%-5u %-11s %10zu %7zu %14s %14s\n", cfg->cpus[i], txqs, count[i], nodes[i],
		       count[i] ? rate_format(down_sum[i], down, sizeof(down)) : "-",
		       count[i] ? rate_format(up_sum[i], up, sizeof(up)) : "-");
		total += down_sum[i] + up_sum[i];
	}
	for (i = 0; i < cfg->ncpus && cfg->ncpus > 1 && plan->nnodes; i++)
		if ((down_sum[i] + up_sum[i]) * cfg->ncpus > LOAD_SKEW * total)
			pr_warn("cpu %u carries %.0f%% of the customers' ceils, more than %u "
				"times the average: a top-level node holds its whole subtree on "
				"one CPU; mark big sites \"virtual\" in the network file so their "
				"children spread\n",
				cfg->cpus[i], 100.0 * (down_sum[i] + up_sum[i]) / total, LOAD_SKEW);
	print_table_need(cfg, plan);
	print_flows(cfg, plan->list->n);
}

/*
 * Where the interfaces exist, whether the trees fit them (enough TX
 * queues, leaf handles): what start would refuse, found without a change.
 */
static int check_trees(const struct xs_config *cfg, const struct plan *plan)
{
	struct tree want = {}, live = {};
	struct tree_diff diff = {};
	struct tc_sock *ts;
	enum xs_dir dir;
	int err = 0, i;

	if (!if_nametoindex(cfg->wan) || !if_nametoindex(cfg->lan)) {
		pr_info("%s and %s are not on this machine: their TX queues were not checked\n",
			cfg->wan, cfg->lan);
		return 0;
	}
	if (tc_sock_open(&ts))
		return 0; /* not allowed to look: start will */
	for_each_role(i, dir) {
		err = tree_desired(plan, dir, &want);
		if (!err)
			err = tree_read(ts, config_ifname(cfg, dir), &live);
		if (!err)
			err = tree_not_bridge(&live);
		if (!err)
			err = tree_diff(&live, &want, &diff);
		tree_diff_free(&diff);
		tree_free(&live);
		tree_free(&want);
		if (err)
			break;
	}
	tc_sock_close(ts);
	return err;
}

int cmd_check(const char *config, int argc, char **argv)
{
	struct customer_list list = {};
	struct network net = {};
	struct plan plan = {};
	struct xs_config cfg;
	int err, ret = XS_EXIT_INVALID;

	if (argc > 1) {
		pr_err("check takes no arguments\n");
		return XS_EXIT_INVALID;
	}
	err = load_inputs(config, &cfg, &net, &list);
	if (err)
		goto out;
	/* where start would pin the maps: looked at, nothing made */
	err = steer_bpffs_check(cfg.bpffs);
	if (err)
		goto out;
	/* valid, but a truncated export looks the same: start and reload would shape no one */
	if (!list.n)
		pr_warn("%s: no customers, only the header; start or reload would remove every "
			"customer and every address would follow [shaping] unknown\n",
			cfg.customers_file);
	err = resolve_queues(&cfg);
	if (err && err != -ENODEV)
		pr_warn("queues_per_cpu = auto: cannot read the TX queues of %s and %s (%s); "
			"planning with one tree a CPU\n",
			cfg.wan, cfg.lan, strerror(-err));
	err = plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &plan);
	if (err)
		goto out;
	err = check_trees(&cfg, &plan);
	if (err)
		goto out;
	/* a leaf the kernel lacks is a config error: say so before start does */
	err = tree_check_leaf(cfg.leaf_qdisc);
	if (err == -EOPNOTSUPP)
		goto out;
	if (err)
		pr_warn("cannot check that the kernel has %s (%s); start will\n",
			leaf_qdisc_name(cfg.leaf_qdisc), strerror(-err));
	print_summary(&cfg, &list, &plan);
	ret = XS_EXIT_OK;
out:
	/* each problem was reported where it was found */
	plan_free(&plan);
	customers_free(&list);
	network_free(&net);
	return ret;
}
