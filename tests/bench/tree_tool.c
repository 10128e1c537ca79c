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
 * up_ceil]": id a customer id without blanks ("1001", a UUID), rate and
 * ceil the download, and the upload too unless given, in bit/s with an
 * optional k, m or g (1000-based); '#' starts a comment.
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

/* A line of the plan file: the customer and where it goes. */
struct planned {
	struct customer c;
	uint32_t txq, minor;
};

static int planned_cmp(const void *a, const void *b)
{
	const struct planned *x = a, *y = b;

	return customer_id_cmp(x->c.id, y->c.id);
}

static void list_free(struct customer_list *list)
{
	size_t i;

	for (i = 0; list->v && i < list->n; i++)
		free(list->v[i].id);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/* The lines of path, sorted by id; *out malloc'd, its ids too. */
static int read_lines(const char *path, struct planned **out, size_t *nout)
{
	char line[256], id[CUSTOMER_ID_MAX + 1], r[64], c[64], ur[64], uc[64];
	size_t cap = 0, n = 0, lineno = 0;
	struct planned *v = NULL;
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f) {
		err = -errno;
		fprintf(stderr, "tree_tool: %s: %s\n", path, strerror(-err));
		return err;
	}
	while (fgets(line, sizeof(line), f)) {
		struct planned *pl;
		char *hash = strchr(line, '#');
		int k;

		lineno++;
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 1024;
			struct planned *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		pl = &v[n];
		memset(pl, 0, sizeof(*pl));
		k = sscanf(line, "%64s %u %u %63s %63s %63s %63s", id, &pl->txq, &pl->minor, r, c,
			   ur, uc);
		if ((k != 5 && k != 7) || parse_rate(r, &pl->c.down_rate) ||
		    parse_rate(c, &pl->c.down_ceil) ||
		    parse_rate(k == 7 ? ur : r, &pl->c.up_rate) ||
		    parse_rate(k == 7 ? uc : c, &pl->c.up_ceil)) {
			fprintf(stderr,
				"tree_tool: %s:%zu: want 'id txq minor rate ceil [up_rate "
				"up_ceil]'\n",
				path, lineno);
			err = -EINVAL;
			break;
		}
		pl->c.id = strdup(id);
		if (!pl->c.id) {
			err = -ENOMEM;
			break;
		}
		pl->c.name = "";
		pl->c.info = "";
		pl->c.node = NETWORK_NONE;
		pl->c.line = (unsigned int)lineno;
		n++;
	}
	fclose(f);
	if (!err && n)
		qsort(v, n, sizeof(*v), planned_cmp);
	if (err) {
		while (n--)
			free(v[n].c.id);
		free(v);
		return err;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* The customers of the plan file (none without one), and the plan placed as it says. */
static int read_plan(const char *path, const struct xs_config *cfg, struct customer_list *list,
		     struct plan *plan)
{
	struct planned *v = NULL;
	size_t n = 0, i;
	int err;

	if (path) {
		err = read_lines(path, &v, &n);
		if (err)
			return err;
	}
	list->v = calloc(n ? n : 1, sizeof(*list->v));
	if (!list->v) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		list->v[i] = v[i].c;
		v[i].c.id = NULL;
	}
	list->n = n;
	err = plan_init(cfg, NULL, list, plan);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		struct plan_class *pc = &plan->classes[plan->nnodes + i];

		pc->txq = v[i].txq;
		pc->minor = v[i].minor;
		pc->cpu = v[i].txq < config_txqs(cfg) ? config_txq_cpu(cfg, v[i].txq) : 0;
	}
out:
	for (i = 0; i < n; i++)
		free(v[i].c.id);
	free(v);
	if (err == -ENOMEM)
		fprintf(stderr, "tree_tool: out of memory reading the plan\n");
	return err;
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
	err = read_plan(plan_path, &cfg, &list, &plan);
	if (err)
		goto out;
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
		plan.links[d].ifname = dev;
		err = tree_desired(&plan, d, &want[i]);
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
	plan_free(&plan);
	list_free(&list);
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
