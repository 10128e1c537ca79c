// SPDX-License-Identifier: GPL-2.0-only
/*
 * tree_tool: drive shaper/tree.c by hand, for the namespace tests and the
 * tree benchmark, without a config file or a customer list.
 *
 *   tree_tool apply [OPTIONS] DEV DIR [DEV DIR ...]
 *   tree_tool stop DEV [PREVIOUS_ROOT_KIND]
 *   tree_tool root DEV
 *   tree_tool check-leaf KIND
 *
 * A plan file has one customer a line, "id txq minor rate ceil [up_rate
 * up_ceil]" (rate and ceil are the download, and the upload too unless
 * given), rates in bit/s with an optional k, m or g (1000-based); '#'
 * starts a comment.
 * apply builds the trees of every DEV (DIR: down = lan, up = wan), phase 1
 * on all of them, then phase 2, and prints one line per device and a total:
 *   DEV added=N changed=N removed=N unchanged=N messages=N
 *   total messages=N seconds=S
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "shaper/tree.h"

#define MAX_DEVS 8

static void usage(FILE *f)
{
	fprintf(f, "usage: tree_tool apply [OPTIONS] DEV DIR [DEV DIR ...]   DIR: down|up\n"
		   "       tree_tool stop DEV [PREVIOUS_ROOT_KIND]\n"
		   "       tree_tool root DEV\n"
		   "       tree_tool check-leaf fq_codel|sfq|pfifo\n"
		   "options of apply:\n"
		   "  --plan FILE          lines 'id txq minor rate ceil [up_rate up_ceil]'\n"
		   "                       (bit/s, k/m/g allowed)\n"
		   "  --txqs N             TX queues (HTB trees) in all (default 2)\n"
		   "  --capacity RATE      root class rate and ceil (default 10g)\n"
		   "  --leaf KIND          fq_codel, sfq or pfifo (default pfifo)\n"
		   "  --default-rate RATE  default class rate (default 1m)\n"
		   "  --default-ceil RATE  default class ceil (default: capacity)\n"
		   "  --phase all|create|delete   which phases to send (default all)\n"
		   "  --dry-run            diff only, send nothing\n"
		   "  --no-leaf-check      do not probe for the leaf qdisc first (so that\n"
		   "                       the kernel's refusals can be seen one by one)\n");
}

static int parse_rate(const char *s, uint64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		v *= 1e3;
		end++;
		break;
	case 'm':
	case 'M':
		v *= 1e6;
		end++;
		break;
	case 'g':
	case 'G':
		v *= 1e9;
		end++;
		break;
	}
	if (!strcmp(end, "bit"))
		end += 3;
	if (*end || v >= 1.8e19)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

static int parse_leaf(const char *s, enum leaf_qdisc *leaf)
{
	unsigned int v;

	if (enum_value(leaf_qdiscs, s, &v))
		return -EINVAL;
	*leaf = (enum leaf_qdisc)v;
	return 0;
}

static int cmp_customer(const void *a, const void *b)
{
	const struct customer *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_assignment(const void *a, const void *b)
{
	const struct assignment *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The customers and the plan at once: tree_desired needs both. */
static int read_plan(const char *path, struct customer_list *list, struct plan *plan)
{
	char line[256], r[64], c[64], ur[64], uc[64];
	size_t cap = 0, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "tree_tool: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned int id, txq, minor;
		struct customer *cu;
		int n;
		char *hash = strchr(line, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (list->n == cap) {
			cap = cap ? 2 * cap : 1024;
			list->v = realloc(list->v, cap * sizeof(*list->v));
			plan->v = realloc(plan->v, cap * sizeof(*plan->v));
			if (!list->v || !plan->v) {
				fclose(f);
				return -ENOMEM;
			}
		}
		cu = &list->v[list->n];
		memset(cu, 0, sizeof(*cu));
		n = sscanf(line, "%u %u %u %63s %63s %63s %63s", &id, &txq, &minor, r, c, ur, uc);
		if ((n != 5 && n != 7) || parse_rate(r, &cu->down_rate) ||
		    parse_rate(c, &cu->down_ceil) || parse_rate(n == 7 ? ur : r, &cu->up_rate) ||
		    parse_rate(n == 7 ? uc : c, &cu->up_ceil)) {
			fprintf(stderr,
				"tree_tool: %s:%zu: want 'id txq minor rate ceil [up_rate "
				"up_ceil]'\n",
				path, lineno);
			fclose(f);
			return -EINVAL;
		}
		cu->id = id;
		cu->line = (unsigned int)lineno;
		plan->v[list->n] = (struct assignment){ .id = id, .txq = txq, .minor = minor };
		list->n++;
		plan->n++;
	}
	fclose(f);
	if (list->n) {
		qsort(list->v, list->n, sizeof(*list->v), cmp_customer);
		qsort(plan->v, plan->n, sizeof(*plan->v), cmp_assignment);
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_apply(int argc, char **argv)
{
	static const struct option options[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ "txqs", required_argument, NULL, 't' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "leaf", required_argument, NULL, 'l' },
		{ "default-rate", required_argument, NULL, 'r' },
		{ "default-ceil", required_argument, NULL, 'C' },
		{ "phase", required_argument, NULL, 'P' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-leaf-check", no_argument, NULL, 'L' },
		{},
	};
	struct tree live[MAX_DEVS] = {}, want[MAX_DEVS] = {};
	struct tree_diff diff[MAX_DEVS] = {};
	struct customer_list list = {};
	struct plan plan = {};
	struct xs_config cfg = {};
	const char *plan_path = NULL, *phase = "all";
	struct tc_sock *ts = NULL;
	unsigned long sent0;
	bool dry = false, leaf_check = true;
	int opt, ndev = 0, i, err = 0;
	double t0;

	cfg.ncpus = 2;
	cfg.queues_per_cpu = 1;
	cfg.lan_capacity = cfg.wan_capacity = 10000000000ULL;
	cfg.default_rate = 1000000;
	cfg.leaf_qdisc = LEAF_PFIFO;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			plan_path = optarg;
			break;
		case 't':
			cfg.ncpus = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			if (parse_rate(optarg, &cfg.lan_capacity))
				goto bad;
			cfg.wan_capacity = cfg.lan_capacity;
			break;
		case 'l':
			if (parse_leaf(optarg, &cfg.leaf_qdisc))
				goto bad;
			break;
		case 'r':
			if (parse_rate(optarg, &cfg.default_rate))
				goto bad;
			break;
		case 'C':
			if (parse_rate(optarg, &cfg.default_ceil))
				goto bad;
			break;
		case 'P':
			phase = optarg;
			break;
		case 'n':
			dry = true;
			break;
		case 'L':
			leaf_check = false;
			break;
		default:
			goto bad;
		}
	}
	ndev = (argc - optind) / 2;
	if (ndev < 1 || ndev > MAX_DEVS || (argc - optind) % 2)
		goto bad;
	if (plan_path) {
		err = read_plan(plan_path, &list, &plan);
		if (err)
			goto out;
	}
	/* as start does: a missing leaf qdisc is one clear error, not one per class */
	if (leaf_check && cfg.leaf_qdisc != LEAF_PFIFO) {
		err = tree_check_leaf(cfg.leaf_qdisc);
		if (err)
			goto out;
	}
	err = tc_sock_open(&ts);
	if (err)
		goto out;
	sent0 = tc_sock_messages(ts);
	t0 = now();
	for (i = 0; i < ndev; i++) {
		const char *dev = argv[optind + 2 * i], *dir = argv[optind + 2 * i + 1];
		unsigned int d;

		/* "up": the tree wan egress shapes, "down": lan's */
		if (enum_value(role_directions, dir, &d))
			goto bad;
		snprintf(cfg.lan, sizeof(cfg.lan), "%s", dev);
		snprintf(cfg.wan, sizeof(cfg.wan), "%s", dev);
		err = tree_desired(&cfg, &list, &plan, d, &want[i]);
		if (!err)
			err = tree_read(ts, dev, &live[i]);
		if (!err)
			err = tree_diff(&live[i], &want[i], &diff[i]);
		if (err)
			goto out;
	}
	for (i = 0; !dry && strcmp(phase, "delete") && i < ndev; i++) {
		err = tree_apply(ts, &diff[i], TREE_PHASE_CREATE);
		if (err)
			goto out;
	}
	for (i = 0; !dry && strcmp(phase, "create") && i < ndev; i++) {
		err = tree_apply(ts, &diff[i], TREE_PHASE_DELETE);
		if (err)
			goto out;
	}
	for (i = 0; i < ndev; i++) {
		const struct tree_counts *c = &diff[i].counts;

		printf("%s added=%zu changed=%zu removed=%zu unchanged=%zu ops=%zu\n",
		       diff[i].ifname, c->added, c->changed, c->removed, c->unchanged,
		       diff[i].ncreate + diff[i].ndelete);
	}
	printf("total messages=%lu seconds=%.3f\n", tc_sock_messages(ts) - sent0, now() - t0);
	goto out;
bad:
	usage(stderr);
	err = -EINVAL;
out:
	for (i = 0; i < MAX_DEVS; i++) {
		tree_free(&live[i]);
		tree_free(&want[i]);
		tree_diff_free(&diff[i]);
	}
	tc_sock_close(ts);
	free(list.v);
	free(plan.v);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct tc_sock *ts = NULL;
	struct tree_root root;
	enum leaf_qdisc leaf;
	int err;

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "apply"))
		return cmd_apply(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check-leaf") && argc == 3) {
		if (parse_leaf(argv[2], &leaf)) {
			usage(stderr);
			return 1;
		}
		return tree_check_leaf(leaf) ? 1 : 0;
	}
	if ((strcmp(argv[1], "stop") || argc < 3 || argc > 4) &&
	    (strcmp(argv[1], "root") || argc != 3)) {
		usage(stderr);
		return 1;
	}
	err = tc_sock_open(&ts);
	if (!err && !strcmp(argv[1], "root")) {
		err = tree_read_root(ts, argv[2], &root);
		if (!err)
			printf("%s%s\n", root.kind, root.ours ? " ours" : "");
	} else if (!err) {
		err = tree_stop(ts, argv[2], argc == 4 ? argv[3] : NULL);
		if (!err)
			printf("total messages=%lu\n", tc_sock_messages(ts));
	}
	tc_sock_close(ts);
	return err ? 1 : 0;
}
