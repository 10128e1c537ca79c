// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plan: classes stay where they are across reloads, a top-level node
 * takes its whole subtree to one TX queue, new ones go where the load is
 * least, a moved class gets a minor nobody holds, the same input always
 * gives the same plan, and the placements survive the file round trip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/pkt_sched.h>

#include "conf/plan.h"
#include "shaper/tree.h"
#include "steer/steer.h"
#include "unit/helpers.h"

#define MBIT 1000000ULL

/* A config with CPUs 0..ncpus-1, not read from any file. */
static void make_cfg(struct xs_config *cfg, unsigned int ncpus, unsigned int qpc)
{
	unsigned int i;

	config_defaults(cfg);
	cfg->ncpus = ncpus;
	for (i = 0; i < ncpus; i++)
		cfg->cpus[i] = i;
	cfg->queues_per_cpu = qpc;
}

static char *id_of(unsigned long n)
{
	char *s;

	assert_true(asprintf(&s, "%lu", n) > 0);
	return s;
}

static void set_customer(struct customer *c, unsigned long id, uint64_t down_ceil, int node)
{
	c->id = id_of(id);
	c->name = strdup("");
	c->info = strdup("");
	c->node = node;
	c->down_ceil = down_ceil;
	c->up_ceil = down_ceil / 2;
	c->down_rate = c->down_ceil / 5;
	c->up_rate = c->up_ceil / 5;
}

/* n customers with ids first_id, first_id + 2, ... and plans of 5..1000 mbit */
static void make_list(struct customer_list *list, size_t n, unsigned long first_id)
{
	size_t i;

	memset(list, 0, sizeof(*list));
	list->v = calloc(n ? n : 1, sizeof(*list->v));
	assert_non_null(list->v);
	list->n = n;
	for (i = 0; i < n; i++)
		set_customer(&list->v[i], first_id + 2 * i, (5 + rng() % 996) * MBIT, NETWORK_NONE);
}

/* The list sorted by id again, after a test changed it. */
static int cust_cmp(const void *a, const void *b)
{
	return customer_id_cmp(((const struct customer *)a)->id, ((const struct customer *)b)->id);
}

static void sort_list(struct customer_list *list)
{
	qsort(list->v, list->n, sizeof(*list->v), cust_cmp);
}

/*
 * A network built by hand: node i is called names[i], under parents[i]
 * (an index, -1 at the top), virtual when caps[i] is 0; caps in Mbit/s,
 * both directions, lowered to the parent's as network.c does.
 */
static void make_net(struct network *net, size_t n, const char *const *names, const int *parents,
		     const unsigned int *caps)
{
	size_t i;

	memset(net, 0, sizeof(*net));
	net->v = calloc(n + 1, sizeof(*net->v));
	assert_non_null(net->v);
	net->n = n;
	snprintf(net->file, sizeof(net->file), "network.json");
	for (i = 0; i < n; i++) {
		struct node *nd = &net->v[i];
		int p = parents[i], d;

		assert_true(p < (int)i);
		nd->name = strdup(names[i]);
		nd->type = strdup("");
		nd->ext_id = strdup("");
		nd->parent = p;
		nd->virtual = caps[i] == 0;
		nd->line = (unsigned int)i + 2;
		nd->column = 3;
		nd->up = p < 0 ? NETWORK_NONE : net->v[p].real;
		nd->real = nd->virtual ? nd->up : (int)i;
		nd->depth = nd->virtual ? 0 : (nd->up < 0 ? 1 : net->v[nd->up].depth + 1);
		for (d = 0; d < XS_DIRS; d++) {
			nd->cap[d] = caps[i] * MBIT;
			if (nd->up >= 0 && nd->cap[d] > net->v[nd->up].cap[d])
				nd->cap[d] = net->v[nd->up].cap[d];
		}
		net->nreal += !nd->virtual;
	}
}

/* The placements of a plan, through the file the runs write. */
static void to_prev(const struct plan *plan, struct placements *prev)
{
	char *dir = scratch_dir(), path[4200];

	snprintf(path, sizeof(path), "%s/test.plan", dir);
	assert_int_equal(plan_save(plan, path), 0);
	assert_int_equal(plan_load(path, prev), 0);
	scratch_remove(dir);
}

static const struct plan_class *cust(const struct plan *p, unsigned long id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lu", id);
	return plan_find_customer(p, buf);
}

static const struct plan_class *node_of(const struct plan *p, const char *name)
{
	size_t k;

	for (k = 0; k < p->nnodes; k++) /* hand-made networks have no name index */
		if (!strcmp(plan_class_id(p, &p->classes[k]), name))
			return &p->classes[k];
	fail_msg("no node %s", name);
	return NULL;
}

/*
 * Every class placed once, on a queue its CPU owns, with a unique minor,
 * in the tree of its parent and after it.
 */
static void assert_valid(const struct xs_config *cfg, const struct plan *plan)
{
	unsigned int txqs = config_txqs(cfg);
	uint8_t *used = calloc((size_t)txqs * 65536, 1);
	size_t i;

	assert_non_null(used);
	for (i = 0; i < plan->n; i++) {
		const struct plan_class *a = &plan->classes[i];

		assert_true(a->txq < txqs);
		assert_int_equal(a->cpu, cfg->cpus[a->txq / cfg->queues_per_cpu]);
		assert_true(a->minor >= XS_FIRST_MINOR && a->minor <= XS_MAX_MINOR);
		assert_int_equal(used[(size_t)a->txq * 65536 + a->minor], 0);
		used[(size_t)a->txq * 65536 + a->minor] = 1;
		if (a->parent != PLAN_NONE) {
			assert_true(a->parent < i);
			assert_int_equal(plan->classes[a->parent].kind, PLAN_NODE);
			assert_int_equal(plan->classes[a->parent].txq, a->txq);
			assert_int_equal(a->depth, plan->classes[a->parent].depth + 1);
		} else {
			assert_int_equal(a->depth, 0);
		}
	}
	free(used);
}

static void test_places_everyone_validly(void **state)
{
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;

	rng_state = 1;
	make_cfg(&cfg, 3, 2);
	make_list(&list, 5000, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_int_equal(plan.n, 5000);
	assert_int_equal(plan.nnodes, 0);
	assert_valid(&cfg, &plan);
	assert_non_null(cust(&plan, 1));
	assert_non_null(cust(&plan, 9999));
	assert_null(cust(&plan, 2));
	assert_null(cust(&plan, 10001));
	plan_free(&plan);
	customers_free(&list);
}

static void test_largest_first_least_loaded_lowest_minor(void **state)
{
	static const uint64_t ceil[] = { 10, 40, 20, 30 }; /* mbit, by id 1..4 */
	struct customer_list list = {};
	struct xs_config cfg;
	struct plan plan;
	unsigned int i;

	make_cfg(&cfg, 2, 1);
	list.v = calloc(4, sizeof(*list.v));
	list.n = 4;
	for (i = 0; i < 4; i++) {
		set_customer(&list.v[i], i + 1, ceil[i] * MBIT, NETWORK_NONE);
		list.v[i].up_ceil = list.v[i].up_rate = 0;
	}
	/*
	 * 40 -> txq 0 (both empty, lowest txq), 30 -> txq 1, 20 -> txq 1
	 * (30 < 40), 10 -> txq 0 (40 < 50).
	 */
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_int_equal(cust(&plan, 2)->txq, 0);
	assert_int_equal(cust(&plan, 4)->txq, 1);
	assert_int_equal(cust(&plan, 3)->txq, 1);
	assert_int_equal(cust(&plan, 1)->txq, 0);
	assert_int_equal(cust(&plan, 1)->cpu, 0);
	assert_int_equal(cust(&plan, 3)->cpu, 1);
	/* minors in list order within a tree */
	assert_int_equal(cust(&plan, 1)->minor, XS_FIRST_MINOR);
	assert_int_equal(cust(&plan, 2)->minor, XS_FIRST_MINOR + 1);
	assert_int_equal(cust(&plan, 3)->minor, XS_FIRST_MINOR);
	assert_int_equal(cust(&plan, 4)->minor, XS_FIRST_MINOR + 1);
	plan_free(&plan);
	customers_free(&list);
}

static void test_deterministic(void **state)
{
	struct customer_list list;
	struct xs_config cfg;
	struct plan a, b;
	size_t i;

	rng_state = 7;
	make_cfg(&cfg, 4, 2);
	make_list(&list, 10000, 100);
	/* equal ceils everywhere: the tie-breaks must decide, not qsort */
	for (i = 0; i < list.n; i += 3) {
		list.v[i].down_ceil = 100 * MBIT;
		list.v[i].up_ceil = 0;
	}
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &a), 0);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &b), 0);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.classes, b.classes, a.n * sizeof(a.classes[0]));
	plan_free(&a);
	plan_free(&b);
	customers_free(&list);
}

/* A reload that adds 1 % and removes 1 % moves nobody else. */
static void test_stable_across_reload(void **state)
{
	struct customer_list before, after;
	struct placements prev;
	struct xs_config cfg;
	struct plan p1, p2;
	size_t i, kept = 0;

	rng_state = 42;
	make_cfg(&cfg, 4, 2);
	make_list(&before, 10000, 1);
	assert_int_equal(plan_build(&cfg, NULL, &before, NULL, NULL, 0, NULL, &p1), 0);
	to_prev(&p1, &prev);
	assert_int_equal(prev.n, 10000);

	/* drop every 100th customer, add 100 new ones (even ids never used) */
	make_list(&after, 9900 + 100, 1);
	for (i = 0, after.n = 0; i < before.n; i++) {
		if (i % 100 == 50)
			continue;
		free(after.v[after.n].id);
		after.v[after.n].id = strdup(before.v[i].id);
		after.v[after.n].down_ceil = before.v[i].down_ceil;
		after.v[after.n].up_ceil = before.v[i].up_ceil;
		after.n++;
	}
	for (i = 0; i < 100; i++) {
		free(after.v[after.n].id);
		after.v[after.n++].id = id_of(2 * i * 97 + 2);
	}
	sort_list(&after);
	assert_int_equal(plan_build(&cfg, NULL, &after, &prev, NULL, 0, NULL, &p2), 0);
	assert_valid(&cfg, &p2);
	for (i = 0; i < after.n; i++) {
		const struct plan_class *now = plan_customer(&p2, i);
		const struct plan_class *old = plan_find_customer(&p1, after.v[i].id);

		if (!old)
			continue;
		assert_int_equal(now->cpu, old->cpu);
		assert_int_equal(now->txq, old->txq);
		assert_int_equal(now->minor, old->minor);
		kept++;
	}
	assert_int_equal(kept, 9900);
	placements_free(&prev);
	plan_free(&p1);
	plan_free(&p2);
	customers_free(&before);
	customers_free(&after);
}

static void test_balanced(void **state)
{
	uint64_t cpu_sum[4] = { 0 }, txq_sum[8] = { 0 }, lo, hi;
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;
	size_t i;

	rng_state = 2024;
	make_cfg(&cfg, 4, 2);
	make_list(&list, 10000, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	for (i = 0; i < plan.n; i++) {
		const struct plan_class *c = &plan.classes[i];

		cpu_sum[c->cpu] += c->ceil[XS_LAN] + c->ceil[XS_WAN];
		txq_sum[c->txq] += c->ceil[XS_LAN] + c->ceil[XS_WAN];
	}
	lo = hi = cpu_sum[0];
	for (i = 1; i < 4; i++) {
		lo = cpu_sum[i] < lo ? cpu_sum[i] : lo;
		hi = cpu_sum[i] > hi ? cpu_sum[i] : hi;
	}
	assert_true(hi * 100 <= lo * 105);
	lo = hi = txq_sum[0];
	for (i = 1; i < 8; i++) {
		lo = txq_sum[i] < lo ? txq_sum[i] : lo;
		hi = txq_sum[i] > hi ? txq_sum[i] : hi;
	}
	assert_true(hi * 100 <= lo * 105);
	plan_free(&plan);
	customers_free(&list);
}

/*
 * New customers take the lowest minor that neither a previous placement
 * nor a live class holds: the minor of one who leaves in this run still
 * has the old class, and maybe the old prefixes.
 */
static void test_lowest_free_minor(void **state)
{
	struct customer_list old, list;
	struct placements prev;
	struct xs_config cfg;
	struct plan p0, plan;
	uint32_t busy[] = { xs_classid(0, 7) };

	rng_state = 3;
	make_cfg(&cfg, 1, 1);
	make_list(&old, 4, 1); /* 1, 3, 5, 7: minors 3, 4, 5, 6 */
	assert_int_equal(plan_build(&cfg, NULL, &old, NULL, NULL, 0, NULL, &p0), 0);
	assert_int_equal(cust(&p0, 7)->minor, 6);
	to_prev(&p0, &prev);
	make_list(&list, 5, 1); /* 1, 3, 5, 7, 9 */
	free(list.v[1].id);
	list.v[1].id = id_of(11); /* 3 leaves, 11 comes */
	sort_list(&list);
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, busy, 1, NULL, &plan), 0);
	assert_valid(&cfg, &plan);
	assert_int_equal(cust(&plan, 1)->minor, 3);
	assert_int_equal(cust(&plan, 5)->minor, 5);
	assert_int_equal(cust(&plan, 7)->minor, 6);
	/* 9 and 11 are new: 4 is customer 3's until its class is gone, 7 is live */
	assert_int_equal(cust(&plan, 9)->minor, 8);
	assert_int_equal(cust(&plan, 11)->minor, 9);
	placements_free(&prev);
	plan_free(&p0);
	plan_free(&plan);
	customers_free(&old);
	customers_free(&list);
}

/* A full tree hands a minor left in this run to a new customer after all. */
static void test_full_tree_reuses_a_left_minor(void **state)
{
	struct customer_list list;
	struct placements prev;
	struct xs_config cfg;
	struct plan p0, plan;
	size_t n = XS_MINORS_PER_TREE;

	rng_state = 11;
	make_cfg(&cfg, 1, 1);
	make_list(&list, n, 1); /* ids 1, 3, 5, ... */
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &p0), 0);
	to_prev(&p0, &prev);
	plan_free(&p0);
	/* customer 1 leaves, 1000001 comes */
	free(list.v[0].id);
	list.v[0].id = id_of(1000001);
	sort_list(&list);
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, NULL, &plan), 0);
	assert_valid(&cfg, &plan);
	assert_int_equal(cust(&plan, 1000001)->minor, XS_FIRST_MINOR);
	assert_int_equal(cust(&plan, 3)->minor, XS_FIRST_MINOR + 1);
	placements_free(&prev);
	plan_free(&plan);
	customers_free(&list);
}

/* A customer whose CPU or queue is gone is placed again; the rest stay. */
static void test_displaced_when_cpu_or_queue_goes(void **state)
{
	struct customer_list list;
	struct placements prev;
	struct xs_config cfg;
	struct plan p1, p2;
	size_t i, moved = 0;

	rng_state = 11;
	make_cfg(&cfg, 4, 2);
	make_list(&list, 2000, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &p1), 0);
	to_prev(&p1, &prev);

	/* CPU 2 leaves: CPUs 0, 1, 3 remain, and CPU 3 is now index 2 */
	cfg.cpus[2] = 3;
	cfg.ncpus = 3;
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, NULL, &p2), 0);
	assert_valid(&cfg, &p2);
	for (i = 0; i < p2.n; i++) {
		const struct plan_class *a = &p1.classes[i], *b = &p2.classes[i];

		if (a->cpu <= 1) {
			assert_memory_equal(a, b, sizeof(*a));
		} else {
			/* CPU 3 owned txqs 6-7; as index 2 it owns 4-5 */
			assert_int_not_equal(b->cpu, 2);
			moved++;
		}
	}
	assert_true(moved > 0);
	plan_free(&p2);

	/*
	 * One queue per CPU: CPU i now owns txq i. Only txq 0 still belongs
	 * to the same CPU (0); every other tree changed hands, so its
	 * customers are placed again.
	 */
	make_cfg(&cfg, 4, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, NULL, &p2), 0);
	assert_valid(&cfg, &p2);
	for (i = 0; i < p2.n; i++) {
		const struct plan_class *a = &p1.classes[i], *b = &p2.classes[i];

		if (a->txq == 0)
			assert_memory_equal(a, b, sizeof(*a));
		else
			assert_int_equal(b->txq, b->cpu);
	}
	placements_free(&prev);
	plan_free(&p2);
	plan_free(&p1);
	customers_free(&list);
}

/* A placements file that is not ours, or bad, is refused and never trusted. */
static void test_bad_placements_file(void **state)
{
	static const char *const bad[] = {
		"",
		"xshaper-plan 2\n",
		"xshaper-plan 1\ncustomer 0 2 0 1 - -\n", /* the default minor */
		"xshaper-plan 1\ncustomer 0 70000 0 1 - -\n",
		"xshaper-plan 1\ncustomer 5000 3 0 1 - -\n",
		"xshaper-plan 1\nthing 0 3 0 1 - -\n",
		"xshaper-plan 1\ncustomer 0 3 0 1 -\n",
		"xshaper-plan 1\ncustomer 0 3 0 a%0 - -\n",
		"xshaper-plan 1\ncustomer 0 3 0 a%00b - -\n",
		"xshaper-plan 1\ncustomer 0 3 0 - - -\n",
		"xshaper-plan 1\ncustomer 0 3 0 1 - -", /* cut short */
	};
	char *dir = scratch_dir(), *path;
	struct placements prev;
	size_t i;

	capture_begin();
	assert_int_equal(plan_load("/nonexistent/x.plan", &prev), -ENOENT);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = scratch_file(dir, "p.plan", bad[i], (size_t)-1);
		if (plan_load(path, &prev) != -EINVAL)
			fail_msg("took '%s'", bad[i]);
		assert_null(prev.v);
		free(path);
	}
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "not a placements file"),
			 sizeof(bad) / sizeof(bad[0]));
	path = scratch_file(dir, "p.plan",
			    "xshaper-plan 1\nnode 1 4 1 Site%20A - -\ncustomer 1 5 1 %2D Site%20A "
			    "Al%C3%A9\n",
			    (size_t)-1);
	assert_int_equal(plan_load(path, &prev), 0);
	assert_int_equal(prev.n, 2);
	assert_string_equal(placements_find(&prev, PLAN_NODE, "Site A")->id, "Site A");
	assert_string_equal(placements_find(&prev, PLAN_CUSTOMER, "-")->parent, "Site A");
	assert_string_equal(placements_find(&prev, PLAN_CUSTOMER, "-")->name, "Al\xc3\xa9");
	assert_int_equal(placements_by_classid(&prev, xs_classid(1, 5))->kind, PLAN_CUSTOMER);
	assert_null(placements_find(&prev, PLAN_CUSTOMER, "Site A"));
	placements_free(&prev);
	free(path);
	capture_end();
	scratch_remove(dir);
}

static void test_too_many_customers(void **state)
{
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;

	capture_begin();
	rng_state = 9;
	make_cfg(&cfg, 1, 1);
	make_list(&list, XS_MINORS_PER_TREE, 1);
	/* exactly full: every minor 3..65535 used once */
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_valid(&cfg, &plan);
	plan_free(&plan);
	customers_free(&list);

	make_list(&list, XS_MINORS_PER_TREE + 1, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), -ENOSPC);
	assert_null(plan.classes);
	assert_int_equal(plan.n, 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "TX queue 0", "no class minor left",
					  "65533", "queues_per_cpu"),
			 1);
	customers_free(&list);
	capture_end();
}

static void test_edge_cases(void **state)
{
	struct customer_list list = { 0 };
	struct xs_config cfg;
	struct plan plan;

	capture_begin();
	make_cfg(&cfg, 2, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_int_equal(plan.n, 0);
	assert_null(cust(&plan, 1));
	plan_free(&plan);

	rng_state = 1;
	make_list(&list, 3, 1);
	free(list.v[2].id);
	list.v[2].id = strdup(list.v[1].id);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "customer id 3 appears twice"), 1);
	free(list.v[2].id);
	list.v[2].id = strdup("5");

	cfg.ncpus = 0;
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), -EINVAL);
	make_cfg(&cfg, 2, 0);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), -EINVAL);

	/* ceils near the top of uint64 saturate instead of wrapping */
	make_cfg(&cfg, 2, 1);
	list.v[0].down_ceil = list.v[0].up_ceil = UINT64_MAX;
	list.v[1].down_ceil = list.v[1].up_ceil = UINT64_MAX;
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_valid(&cfg, &plan);
	assert_int_not_equal(cust(&plan, 1)->txq, cust(&plan, 3)->txq);
	plan_free(&plan);
	customers_free(&list);
	capture_end();
}

/* ---- the hierarchy ------------------------------------------------------- */

/*
 *   Site_N (100)            Site_S (80)        Big (0: virtual)
 *     AP_N1 (40)              AP_S1 (30)         Big_1 (50)   Big_2 (50)
 *     Tower (60)
 *       AP_T1 (200 -> 60)
 */
static const char *const names[] = { "Site_N", "AP_N1", "Tower", "AP_T1", "Site_S",
				     "AP_S1",  "Big",	"Big_1", "Big_2" };
static const int parents[] = { -1, 0, 0, 2, -1, 4, -1, 6, 6 };
static const unsigned int caps[] = { 100, 40, 60, 200, 80, 30, 0, 50, 50 };
#define NNODES (sizeof(names) / sizeof(names[0]))

/* customers 1..n, each under node (i % (NNODES + 1)), the last slot none */
static void make_tree_list(struct customer_list *list, const struct network *net, size_t n)
{
	size_t i;

	make_list(list, n, 1);
	for (i = 0; i < n; i++) {
		free(list->v[i].id);
		list->v[i].id = id_of(i + 1);
		list->v[i].node =
			i % (NNODES + 1) == NNODES ? NETWORK_NONE : (int)(i % (NNODES + 1));
		list->v[i].down_ceil = 30 * MBIT;
		list->v[i].up_ceil = 10 * MBIT;
		list->v[i].down_rate = 5 * MBIT;
		list->v[i].up_rate = 2 * MBIT;
	}
	(void)net;
}

static void test_nested_classes(void **state)
{
	struct customer_list list;
	struct network net;
	struct xs_config cfg;
	struct plan plan;
	const struct plan_class *c;

	capture_begin();
	make_cfg(&cfg, 2, 2);
	make_net(&net, NNODES, names, parents, caps);
	make_tree_list(&list, &net, 50);
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_valid(&cfg, &plan);
	/* the virtual node has no class; its children are top-level */
	assert_int_equal(plan.nnodes, NNODES - 1);
	assert_int_equal(plan.node_class[6], PLAN_NONE);
	assert_int_equal(node_of(&plan, "Big_1")->parent, PLAN_NONE);
	assert_int_equal(node_of(&plan, "AP_T1")->parent, plan.node_class[2]);
	assert_int_equal(node_of(&plan, "AP_T1")->depth, 2);
	/* rate = ceil = cap, lowered to the parent's */
	assert_int_equal(node_of(&plan, "AP_T1")->rate[XS_LAN], 60 * MBIT);
	assert_int_equal(node_of(&plan, "AP_T1")->ceil[XS_WAN], 60 * MBIT);
	/* a subtree lives in one tree */
	assert_int_equal(node_of(&plan, "AP_T1")->txq, node_of(&plan, "Site_N")->txq);
	assert_int_equal(node_of(&plan, "AP_S1")->txq, node_of(&plan, "Site_S")->txq);
	/* customer 2 is under AP_N1 (node 1); 7 under the virtual Big: the root */
	c = cust(&plan, 2);
	assert_int_equal(c->parent, plan.node_class[1]);
	assert_int_equal(c->txq, node_of(&plan, "Site_N")->txq);
	assert_int_equal(c->depth, 2);
	assert_int_equal(cust(&plan, 7)->parent, PLAN_NONE);
	/* under AP_S1 (30): ceil 30 stays; under Big_1 it stays 30 */
	assert_int_equal(cust(&plan, 6)->ceil[XS_LAN], 30 * MBIT);
	/* top-level Site_N, Site_S, Big_1, Big_2 and the unparented spread over 4 queues */
	assert_int_not_equal(node_of(&plan, "Site_N")->txq, node_of(&plan, "Site_S")->txq);
	/* AP_N1's 5 customers promise 5 x 5 mbit... under its 40: no warning; */
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "AP_N1"), 0);
	plan_free(&plan);
	customers_free(&list);
	network_free(&net);
	capture_end();
}

static void test_overbooked_node_warns(void **state)
{
	struct customer_list list;
	struct network net;
	struct xs_config cfg;
	struct plan plan;
	size_t i;

	capture_begin();
	make_cfg(&cfg, 1, 1);
	make_net(&net, NNODES, names, parents, caps);
	make_list(&list, 3, 1);
	for (i = 0; i < 3; i++) {
		list.v[i].node = 5; /* AP_S1, 30 mbit */
		list.v[i].down_rate = 15 * MBIT;
		list.v[i].down_ceil = 30 * MBIT;
		list.v[i].up_rate = 1 * MBIT;
		list.v[i].up_ceil = 10 * MBIT;
	}
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "network.json:7:3: node 'AP_S1'",
					  "download", "45mbit", "30mbit"),
			 1);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 1);
	plan_free(&plan);
	customers_free(&list);
	network_free(&net);
	capture_end();
}

/* Top-level nodes balance by load: the smaller of their caps and their customers' ceils. */
static void test_nodes_balance(void **state)
{
	const char *n[8];
	int par[8];
	unsigned int cap[8];
	uint64_t load[4] = {};
	struct customer_list list;
	struct network net;
	struct xs_config cfg;
	struct plan plan;
	size_t i;

	for (i = 0; i < 8; i++) {
		static const char *const nm[] = { "a", "b", "c", "d", "e", "f", "g", "h" };

		n[i] = nm[i];
		par[i] = -1;
		cap[i] = i < 4 ? 1000 : 100; /* the big four have few customers */
	}
	make_cfg(&cfg, 4, 1);
	make_net(&net, 8, n, par, cap);
	make_list(&list, 800, 1);
	for (i = 0; i < list.n; i++) {
		list.v[i].node = (int)(i % 8);
		list.v[i].down_ceil = (i % 8 < 4 ? 1 : 10) * MBIT;
		list.v[i].up_ceil = 0;
		list.v[i].down_rate = list.v[i].up_rate = 0;
	}
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_valid(&cfg, &plan);
	/* loads: a-d 100 x 1 = 100 mbit each (below their 1000 + 1000 cap); e-h 200 cap */
	for (i = 0; i < plan.nnodes; i++)
		load[plan.classes[i].txq] += i < 4 ? 100 : 200;
	for (i = 0; i < 4; i++)
		assert_int_equal(load[i], 300);
	plan_free(&plan);
	customers_free(&list);
	network_free(&net);
}

/*
 * Moves: a customer to another AP, an AP re-capped, a node to another
 * parent, a subtree to another tree. Moved classes get minors nobody
 * held; the rest keep theirs.
 */
static void test_moves_get_new_minors(void **state)
{
	struct customer_list list;
	struct placements prev;
	struct network net, net2;
	struct xs_config cfg;
	struct plan p1, p2;
	unsigned int caps2[NNODES];
	int parents2[NNODES];
	size_t i;

	make_cfg(&cfg, 2, 1);
	make_net(&net, NNODES, names, parents, caps);
	make_tree_list(&list, &net, 50);
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &p1), 0);
	to_prev(&p1, &prev);

	/* AP_N1 re-capped to 20; Tower moves under Site_S; customer 2 moves to AP_S1 */
	memcpy(caps2, caps, sizeof(caps2));
	memcpy(parents2, parents, sizeof(parents2));
	caps2[1] = 20;
	parents2[2] = -1; /* Tower: first top-level, so it can stay before AP_T1 */
	make_net(&net2, NNODES, names, parents2, caps2);
	list.v[1].node = 5;
	assert_int_equal(plan_build(&cfg, &net2, &list, &prev, NULL, 0, NULL, &p2), 0);
	assert_valid(&cfg, &p2);
	/* the re-capped AP keeps its class; only its rates differ */
	assert_int_equal(node_of(&p2, "AP_N1")->minor, node_of(&p1, "AP_N1")->minor);
	assert_int_equal(node_of(&p2, "AP_N1")->ceil[XS_LAN], 20 * MBIT);
	/* its customers stay, ceils lowered to 20 */
	assert_int_equal(cust(&p2, 12)->minor, cust(&p1, 12)->minor);
	assert_int_equal(cust(&p2, 12)->ceil[XS_LAN], 20 * MBIT);
	/* Tower is top-level now: a move, so a minor nobody held, and AP_T1 with it */
	for (i = 0; i < prev.n; i++) {
		if (prev.v[i].txq != node_of(&p2, "Tower")->txq)
			continue;
		assert_int_not_equal(prev.v[i].minor, node_of(&p2, "Tower")->minor);
		assert_int_not_equal(prev.v[i].minor, node_of(&p2, "AP_T1")->minor);
	}
	assert_int_equal(node_of(&p2, "AP_T1")->parent, p2.node_class[2]);
	/* customer 2 under AP_S1, in Site_S's tree, on a new minor */
	assert_int_equal(cust(&p2, 2)->parent, p2.node_class[5]);
	assert_int_equal(cust(&p2, 2)->txq, node_of(&p2, "Site_S")->txq);
	for (i = 0; i < prev.n; i++)
		if (prev.v[i].txq == cust(&p2, 2)->txq)
			assert_int_not_equal(prev.v[i].minor, cust(&p2, 2)->minor);
	/* Site_S and its other customers did not move */
	assert_int_equal(node_of(&p2, "Site_S")->minor, node_of(&p1, "Site_S")->minor);
	assert_int_equal(cust(&p2, 6)->minor, cust(&p1, 6)->minor);
	placements_free(&prev);
	plan_free(&p1);
	plan_free(&p2);
	customers_free(&list);
	network_free(&net);
	network_free(&net2);
}

/* +-1 % of nodes and customers: everything else keeps its place. */
static void test_hierarchy_stable_under_churn(void **state)
{
	enum { SITES = 20, APS = 10, CUSTOMERS = 10000 };
	const char *nm[SITES * (APS + 1) + 4];
	char *owned[SITES * (APS + 1) + 4];
	int par[SITES * (APS + 1) + 4];
	unsigned int cap[SITES * (APS + 1) + 4];
	struct customer_list list, list2;
	struct network net, net2;
	struct placements prev;
	struct xs_config cfg;
	struct plan p1, p2;
	size_t n = 0, i, s, a, kept = 0, moved = 0;

	for (s = 0; s < SITES; s++) {
		size_t site = n;

		assert_true(asprintf(&owned[n], "site%zu", s) > 0);
		par[n] = -1;
		cap[n++] = 1000;
		for (a = 0; a < APS; a++) {
			assert_true(asprintf(&owned[n], "ap%zu.%zu", s, a) > 0);
			par[n] = (int)site;
			cap[n++] = 100;
		}
	}
	for (i = 0; i < n; i++)
		nm[i] = owned[i];
	rng_state = 99;
	make_cfg(&cfg, 2, 4);
	make_net(&net, n, nm, par, cap);
	make_list(&list, CUSTOMERS, 1);
	for (i = 0; i < list.n; i++)
		list.v[i].node = (int)(1 + (i / APS % SITES) * (APS + 1) + i % APS);
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &p1), 0);
	to_prev(&p1, &prev);

	/* two APs leave (1 %), their customers go to the next AP; 100 customers leave, 100 come */
	make_net(&net2, n, nm, par, cap);
	net2.v[1].virtual = true; /* ap0.0 has no class any more: its customers hang from site0 */
	net2.v[1].real = 0;
	net2.nreal--;
	net2.v[13].virtual = true; /* ap1.1 */
	net2.v[13].real = 11;
	net2.nreal--;
	make_list(&list2, CUSTOMERS, 1);
	for (i = 0; i < list2.n; i++) {
		list2.v[i].down_ceil = list.v[i].down_ceil;
		list2.v[i].up_ceil = list.v[i].up_ceil;
		list2.v[i].node = list.v[i].node;
		if (i % 100 == 7) {
			free(list2.v[i].id);
			list2.v[i].id = id_of(1000000 + i);
		}
	}
	sort_list(&list2);
	assert_int_equal(plan_build(&cfg, &net2, &list2, &prev, NULL, 0, NULL, &p2), 0);
	assert_valid(&cfg, &p2);
	for (i = 0; i < p2.n; i++) {
		const struct plan_class *c = &p2.classes[i];
		const struct placement *pl = placements_find(&prev, c->kind, plan_class_id(&p2, c));

		if (!pl)
			continue;
		if (pl->txq == c->txq && pl->minor == c->minor)
			kept++;
		else
			moved++;
	}
	/* only the customers of the two APs that went moved */
	assert_int_equal(moved, 2 * CUSTOMERS / (SITES * APS));
	assert_int_equal(kept, p2.n - moved - 100);
	placements_free(&prev);
	plan_free(&p1);
	plan_free(&p2);
	customers_free(&list);
	customers_free(&list2);
	network_free(&net);
	network_free(&net2);
	for (i = 0; i < n; i++)
		free(owned[i]);
}

/* Running out of minors names the top-level node that fills the tree. */
static void test_tree_full_names_the_node(void **state)
{
	static const char *const nm[] = { "Huge_Site" };
	static const int par[] = { -1 };
	static const unsigned int cap[] = { 10000 };
	struct customer_list list;
	struct network net;
	struct xs_config cfg;
	struct plan plan;
	size_t i;

	capture_begin();
	make_cfg(&cfg, 2, 1);
	make_net(&net, 1, nm, par, cap);
	make_list(&list, XS_MINORS_PER_TREE, 1); /* + the node: one too many for its tree */
	for (i = 0; i < list.n; i++)
		list.v[i].node = 0;
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &plan), -ENOSPC);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, "no class minor left", "'Huge_Site'", "virtual"),
		1);
	customers_free(&list);
	network_free(&net);
	capture_end();
}

/* Ids and names with blanks, percent signs and UTF-8 survive the file. */
static void test_placements_round_trip(void **state)
{
	static const char *const nm[] = { "Site A", "AP 1%" };
	static const int par[] = { -1, 0 };
	static const unsigned int cap[] = { 100, 50 };
	struct customer_list list;
	struct placements prev;
	struct network net;
	struct xs_config cfg;
	struct plan plan;
	const struct placement *pl;

	make_cfg(&cfg, 1, 1);
	make_net(&net, 2, nm, par, cap);
	make_list(&list, 2, 1);
	free(list.v[0].id);
	list.v[0].id = strdup("-");
	free(list.v[1].name);
	list.v[1].name = strdup("Z\xc3\xbc rich, \"x\"");
	list.v[1].node = 1;
	sort_list(&list);
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &plan), 0);
	to_prev(&plan, &prev);
	assert_int_equal(prev.n, 4);
	pl = placements_find(&prev, PLAN_NODE, "AP 1%");
	assert_non_null(pl);
	assert_string_equal(pl->parent, "Site A");
	assert_int_equal(pl->minor, node_of(&plan, "AP 1%")->minor);
	pl = placements_find(&prev, PLAN_CUSTOMER, "3");
	assert_string_equal(pl->parent, "AP 1%");
	assert_string_equal(pl->name, "Z\xc3\xbc rich, \"x\"");
	pl = placements_find(&prev, PLAN_CUSTOMER, "-");
	assert_null(pl->parent);
	assert_string_equal(pl->name, "");
	placements_free(&prev);
	plan_free(&plan);
	customers_free(&list);
	network_free(&net);
}

/*
 * A customer's name has no length limit in the list (a row holds 64 KiB),
 * and escaping triples every byte outside '!'..'~': a name of 100 Cyrillic
 * letters is 600 bytes in the file. The placements must still load, or
 * every reload places all classes under nodes anew (moves them).
 */
static void test_placements_long_name(void **state)
{
	static const char *const nm[] = { "Site A" };
	static const int par[] = { -1 };
	static const unsigned int cap[] = { 1000 };
	struct customer_list list;
	struct placements prev;
	struct network net;
	struct xs_config cfg;
	struct plan plan, again;
	char name[2 * 100 + 1];
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		memcpy(name + 2 * i, "\xd0\x96", 2); /* U+0416 */
	name[200] = '\0';
	make_cfg(&cfg, 1, 1);
	make_net(&net, 1, nm, par, cap);
	make_list(&list, 2, 1);
	list.v[0].node = list.v[1].node = 0;
	free(list.v[1].name);
	list.v[1].name = strdup(name);
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &plan), 0);
	to_prev(&plan, &prev);
	assert_int_equal(prev.n, 3);
	assert_string_equal(placements_find(&prev, PLAN_CUSTOMER, "3")->name, name);
	/* and the next run keeps every class where it was */
	assert_int_equal(plan_build(&cfg, &net, &list, &prev, NULL, 0, NULL, &again), 0);
	for (i = 0; i < plan.n; i++)
		assert_int_equal(again.classes[i].minor, plan.classes[i].minor);
	plan_free(&again);
	placements_free(&prev);
	plan_free(&plan);
	customers_free(&list);
	network_free(&net);
}

/* prev with its entry k written twice, as a file edited by hand may have it */
static void duplicate_placement(struct placements *prev, size_t k)
{
	struct placement *v = realloc(prev->v, (prev->n + 1) * sizeof(*v)), *pl;

	assert_non_null(v);
	prev->v = v;
	memmove(&v[k + 1], &v[k], (prev->n - k) * sizeof(*v));
	prev->n++;
	pl = &v[k + 1];
	pl->id = strdup(pl->id);
	pl->parent = pl->parent ? strdup(pl->parent) : NULL;
	pl->name = strdup(pl->name);
	pl->minor++;
}

/*
 * plan.placed and plan.prev_listed, matched in one walk, are what the
 * look-ups by id give: the placement placements_find picks, and whether a
 * placement's node or customer is still there; with ids of every kind of
 * order, gone and new customers, a gone node and ids written twice.
 */
static void test_placed_matches_lookups(void **state)
{
	static const char *const nm[] = { "Site A", "AP1", "Old" };
	static const int par[] = { -1, 0, -1 };
	static const unsigned int cap[] = { 1000, 500, 100 };
	static const char *const before[] = { "007", "7", "10", "9", "a", "A-2", "b", "x1" };
	static const char *const after[] = { "7", "10", "0010", "9", "a", "b", "c", "x1" };
	struct customer_list list, list2;
	struct network net, net2;
	struct placements prev;
	struct xs_config cfg;
	struct plan p1, p2;
	size_t i;

	(void)state;
	make_cfg(&cfg, 2, 1);
	make_net(&net, 3, nm, par, cap);
	make_net(&net2, 2, nm, par, cap);
	make_list(&list, 8, 1);
	make_list(&list2, 8, 1);
	for (i = 0; i < 8; i++) {
		free(list.v[i].id);
		list.v[i].id = strdup(before[i]);
		list.v[i].node = i % 3 == 2 ? NETWORK_NONE : (int)(i % 3);
		free(list2.v[i].id);
		list2.v[i].id = strdup(after[i]);
		list2.v[i].node = i % 3 == 2 ? NETWORK_NONE : (int)(i % 2);
	}
	sort_list(&list);
	sort_list(&list2);
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &p1), 0);
	to_prev(&p1, &prev);
	assert_int_equal(prev.n, 11);
	duplicate_placement(&prev, 0); /* a node */
	duplicate_placement(&prev, 6); /* a customer */
	duplicate_placement(&prev, prev.n - 1); /* the last */
	assert_int_equal(plan_build(&cfg, &net2, &list2, &prev, NULL, 0, NULL, &p2), 0);
	for (i = 0; i < p2.n; i++) {
		const struct plan_class *c = &p2.classes[i];

		assert_ptr_equal(p2.placed[i], placements_find(&prev, c->kind, plan_class_id(&p2, c)));
	}
	for (i = 0; i < prev.n; i++) {
		const struct placement *pl = &prev.v[i];
		int k = -1;
		bool listed;

		if (pl->kind == PLAN_NODE) {
			for (k = 0; k < (int)net2.n && strcmp(net2.v[k].name, pl->id); k++)
				;
			listed = k < (int)net2.n;
		} else {
			listed = customers_find(&list2, pl->id) != NULL;
		}
		assert_int_equal(p2.prev_listed[i], listed);
	}
	plan_free(&p2);
	plan_free(&p1);
	placements_free(&prev);
	customers_free(&list2);
	customers_free(&list);
	network_free(&net2);
	network_free(&net);
}

/*
 * What the kernel would hold after a run of plan p on lan: each class as
 * tree_desired made it, the root under TC_H_ROOT, a node with children
 * inner, an htb per tree under our mq.
 */
static void live_of(const struct plan *p, struct tree *live)
{
	struct tree want;
	size_t i, ntxq;

	assert_int_equal(tree_desired(p, XS_LAN, &want), 0);
	*live = want;
	ntxq = want.ntxq;
	live->ifindex = 7;
	live->dev_txqs = (unsigned int)ntxq + 1;
	for (i = 0; i < live->nclasses; i++) {
		struct tree_class *c = &live->classes[i];

		if ((c->classid & 0xffff) == XS_ROOT_MINOR)
			c->parent = TC_H_ROOT;
		if (c->kind == TREE_NODE || c->kind == TREE_ROOT)
			c->level = 7 - c->depth;
		c->burst = c->cburst = 0;
		c->cls = c->kind = c->depth = 0;
	}
	live->qdiscs = calloc(ntxq + 1, sizeof(*live->qdiscs));
	assert_non_null(live->qdiscs);
	live->nqdiscs = ntxq + 1;
	for (i = 0; i < ntxq; i++) {
		live->qdiscs[i].handle = xs_htb_handle((uint32_t)i);
		live->qdiscs[i].parent = xs_mq_class((uint32_t)i);
		live->qdiscs[i].defcls = XS_DEFAULT_MINOR;
		snprintf(live->qdiscs[i].kind, sizeof(live->qdiscs[i].kind), "htb");
	}
	live->qdiscs[ntxq].handle = xs_handle(XS_MQ_MAJOR, 0);
	live->qdiscs[ntxq].parent = TC_H_ROOT;
	snprintf(live->qdiscs[ntxq].kind, sizeof(live->qdiscs[ntxq].kind), "mq");
}

/*
 * A full tree, and one customer moves from one node to another of the
 * same tree. No minor is free, so the plan hands the customer its own old
 * minor under the new parent; HTB cannot move a class, tree_intact sees a
 * wanted class under another parent, and tree_diff rebuilds the whole HTB
 * (every customer of that CPU unshaped, counters and queues lost, minutes
 * of netlink at 65k classes), and the run exits 0. A move that cannot be
 * made before break must be refused (or done for that class alone), never
 * a rebuild of everyone's tree.
 */
static void test_full_tree_move_keeps_the_tree(void **state)
{
	static const char *const nm[] = { "A", "B" };
	static const int par[] = { -1, -1 };
	static const unsigned int cap[] = { 100000, 100000 };
	struct customer_list list;
	struct placements prev;
	struct network net;
	struct xs_config cfg;
	struct plan p0, p1;
	struct tree live, want;
	struct tree_diff d;
	uint32_t *busy;
	size_t i, n = XS_MINORS_PER_TREE - 2, nbusy = 0, rebuilt = 0;
	int err;

	(void)state;
	rng_state = 5;
	make_cfg(&cfg, 1, 1);
	snprintf(cfg.lan, sizeof(cfg.lan), "lan0");
	cfg.lan_capacity = cfg.wan_capacity = 1000000 * MBIT;
	cfg.leaf_qdisc = LEAF_PFIFO;
	make_net(&net, 2, nm, par, cap);
	make_list(&list, n, 1);
	for (i = 0; i < n; i++)
		list.v[i].node = (int)(i % 2);
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &p0), 0);
	to_prev(&p0, &prev);
	live_of(&p0, &live);
	busy = malloc(live.nclasses * sizeof(*busy));
	assert_non_null(busy);
	for (i = 0; i < live.nclasses; i++)
		if (xs_handle_minor(live.classes[i].classid) >= XS_FIRST_MINOR)
			busy[nbusy++] = live.classes[i].classid;
	plan_free(&p0);

	/* customer 1 moves from A to B */
	list.v[0].node = 1;
	err = plan_build(&cfg, &net, &list, &prev, busy, nbusy, NULL, &p1);
	if (err == 0) {
		assert_int_equal(tree_desired(&p1, XS_LAN, &want), 0);
		assert_int_equal(tree_diff(&live, &want, &d), 0);
		for (i = 0; i < d.ncreate; i++)
			rebuilt += d.create[i].type == TREE_OP_HTB ||
				   d.create[i].type == TREE_OP_HTB_RESET;
		assert_int_equal(rebuilt, 0);
		tree_diff_free(&d);
		tree_free(&want);
		plan_free(&p1);
	}
	free(busy);
	tree_free(&live);
	placements_free(&prev);
	customers_free(&list);
	network_free(&net);
}

/*
 * No placements file (deleted, or unreadable): the run places customers
 * by their prefixes in the maps, and steer_snapshot_placements says
 * "under the root class" for every customer the new list has without a
 * node, whatever its live class hangs from. A customer that leaves its
 * node in that run keeps its old minor, whose live class is under the
 * node: tree_diff sees a wanted class under another parent and rebuilds
 * the whole HTB tree of that TX queue, every customer on it included.
 */
static void test_no_placements_customer_leaves_node(void **state)
{
	static const char *const nm[] = { "A" };
	static const int par[] = { -1 };
	static const unsigned int cap[] = { 10000 };
	struct customer_list list;
	struct placements prev;
	struct network net;
	struct xs_config cfg;
	struct plan p0, p1;
	struct tree live, want;
	struct tree_diff d;
	struct steer_snapshot snap = {};
	uint32_t *busy;
	size_t i, n = 6, nbusy = 0, rebuilt = 0;

	(void)state;
	rng_state = 5;
	make_cfg(&cfg, 1, 1);
	snprintf(cfg.lan, sizeof(cfg.lan), "lan0");
	cfg.leaf_qdisc = LEAF_PFIFO;
	make_net(&net, 1, nm, par, cap);
	make_list(&list, n, 1);
	for (i = 0; i < n; i++) {
		char text[32];

		list.v[i].node = i < 3 ? 0 : NETWORK_NONE;
		list.v[i].prefixes = calloc(1, sizeof(*list.v[i].prefixes));
		assert_non_null(list.v[i].prefixes);
		snprintf(text, sizeof(text), "198.18.0.%zu/32", i + 1);
		assert_int_equal(prefix_parse(text, &list.v[i].prefixes[0]), 0);
		list.v[i].nprefixes = 1;
	}
	assert_int_equal(plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &p0), 0);
	assert_int_equal(steer_wanted(&p0, &snap.v, &snap.n), 0);
	live_of(&p0, &live);
	busy = malloc(live.nclasses * sizeof(*busy));
	assert_non_null(busy);
	for (i = 0; i < live.nclasses; i++)
		if (xs_handle_minor(live.classes[i].classid) >= XS_FIRST_MINOR)
			busy[nbusy++] = live.classes[i].classid;
	plan_free(&p0);

	/* the placements file is gone, and customer 1 leaves node A */
	list.v[0].node = NETWORK_NONE;
	assert_int_equal(steer_snapshot_placements(&snap, &list, &prev), 0);
	tree_forget_misplaced(&live, &prev); /* as read_prev does */
	assert_int_equal(plan_build(&cfg, &net, &list, &prev, busy, nbusy, NULL, &p1), 0);
	assert_int_equal(tree_desired(&p1, XS_LAN, &want), 0);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	for (i = 0; i < d.ncreate; i++)
		rebuilt += d.create[i].type == TREE_OP_HTB || d.create[i].type == TREE_OP_HTB_RESET;
	assert_int_equal(rebuilt, 0);
	tree_diff_free(&d);
	tree_free(&want);
	plan_free(&p1);
	free(busy);
	free(snap.v);
	tree_free(&live);
	placements_free(&prev);
	customers_free(&list);
	network_free(&net);
}

/* The classes of a live tree (live_of) as plan_build weighs them; free unless held or steered. */
static void plan_live_of(const struct tree *live, const struct placements *prev,
			 const uint32_t *steered, size_t nsteered, struct plan_live_class **v,
			 struct plan_live *out)
{
	size_t i, j, n = 0;

	*v = calloc(live->nclasses + 1, sizeof(**v));
	assert_non_null(*v);
	for (i = 0; i < live->nclasses; i++) {
		const struct tree_class *c = &live->classes[i];
		struct plan_live_class *l = &(*v)[n];

		if (xs_handle_minor(c->classid) < XS_FIRST_MINOR)
			continue;
		l->classid = c->classid;
		l->parent = c->parent;
		l->leaf = !c->level;
		l->on[XS_LAN] = l->on[XS_WAN] = true;
		l->free = true;
		for (j = 0; prev && j < prev->n; j++)
			if (xs_classid(prev->v[j].txq, prev->v[j].minor) == c->classid)
				l->free = false;
		for (j = 0; j < nsteered; j++)
			if (steered[j] == c->classid)
				l->free = false;
		n++;
	}
	out->v = *v;
	out->n = n;
}

static size_t count_ops(const struct tree_diff *d, enum tree_op_type type)
{
	size_t i, n = 0;

	for (i = 0; i < d->ncreate; i++)
		n += d->create[i].type == type;
	for (i = 0; i < d->ndelete; i++)
		n += d->delete[i].type == type;
	return n;
}

/* spare_classes = 2: a tree with customers keeps two classes nobody has, made at start */
static void test_spares_made_at_start(void **state)
{
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;
	struct tree want;

	(void)state;
	make_cfg(&cfg, 1, 2);
	cfg.spare_classes = 2;
	cfg.spare_classes_percent = false;
	make_list(&list, 1, 1); /* one tree has a customer, the other none */
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_int_equal(plan.nspares, 2);
	assert_int_equal(plan.spares_made, 2);
	assert_int_equal(plan.spares[0].txq, cust(&plan, 1)->txq);
	assert_int_equal(plan.spares[0].minor, 4);
	assert_int_equal(plan.spares[1].minor, 5);
	assert_int_equal(tree_desired(&plan, XS_LAN, &want), 0);
	assert_int_equal(want.nclasses, 2 * 2 + 1 + 2); /* roots and defaults, 1001, spares */
	tree_free(&want);
	plan_free(&plan);
	/* a share: 2 % of 120 customers is 2.4, rounded up */
	customers_free(&list);
	make_cfg(&cfg, 1, 1);
	make_list(&list, 120, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_int_equal(plan.nspares, 3);
	plan_free(&plan);
	cfg.spare_classes = 0;
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_int_equal(plan.nspares, 0);
	plan_free(&plan);
	customers_free(&list);
}

/*
 * 1% churn: a customer leaves and one comes. The new one takes a spare
 * (one in-place change, its baseline the spare's counters), the class left
 * behind becomes a spare, and nothing is made or deleted.
 */
static void test_churn_reuses_spares(void **state)
{
	struct customer_list old, list;
	struct plan_live_class *lv;
	struct plan_live pl_live;
	struct placements prev;
	struct xs_config cfg;
	struct plan p0, p1;
	struct tree live, want;
	struct tree_diff d;
	size_t i;

	(void)state;
	make_cfg(&cfg, 1, 1);
	cfg.spare_classes = 2;
	cfg.spare_classes_percent = false;
	rng_state = 5;
	make_list(&old, 4, 1); /* 1, 3, 5, 7: minors 3..6, spares 7, 8 */
	assert_int_equal(plan_build(&cfg, NULL, &old, NULL, NULL, 0, NULL, &p0), 0);
	assert_int_equal(p0.spares[0].minor, 7);
	to_prev(&p0, &prev);
	live_of(&p0, &live);
	plan_live_of(&live, &prev, NULL, 0, &lv, &pl_live);
	for (i = 0; i < pl_live.n; i++)
		if (xs_handle_minor(lv[i].classid) == 7) {
			lv[i].counters[XS_LAN][PLAN_BYTES] = 123456;
			lv[i].counters[XS_LAN][PLAN_PACKETS] = 100;
			lv[i].counters[XS_WAN][PLAN_DROPS] = 3;
		}
	rng_state = 5;
	make_list(&list, 4, 1);
	free(list.v[1].id);
	list.v[1].id = id_of(11); /* 3 leaves, 11 comes */
	sort_list(&list);
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, &pl_live, &p1), 0);
	assert_valid(&cfg, &p1);
	assert_int_equal(cust(&p1, 11)->minor, 7);
	assert_true(cust(&p1, 11)->reused);
	assert_int_equal(p1.reused, 1);
	assert_int_equal(cust(&p1, 11)->base[XS_LAN][PLAN_BYTES], 123456);
	assert_int_equal(cust(&p1, 11)->base[XS_LAN][PLAN_PACKETS], 100);
	assert_int_equal(cust(&p1, 11)->base[XS_WAN][PLAN_DROPS], 3);
	assert_int_equal(cust(&p1, 1)->base[XS_LAN][PLAN_BYTES], 0);
	/* the spares now: 3's class (4) and 8, both in the kernel */
	assert_int_equal(p1.nspares, 2);
	assert_int_equal(p1.spares_made, 0);
	assert_int_equal(p1.spares[0].minor, 4);
	assert_true(p1.spares[0].live);
	assert_int_equal(p1.spares[1].minor, 8);
	assert_int_equal(tree_desired(&p1, XS_LAN, &want), 0);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(&d, TREE_OP_CLASS_CREATE), 0);
	assert_int_equal(count_ops(&d, TREE_OP_CLASS_DELETE), 0);
	assert_int_equal(count_ops(&d, TREE_OP_CLASS_CHANGE), 1);
	for (i = 0; d.create[i].type != TREE_OP_CLASS_CHANGE; i++)
		;
	assert_int_equal(d.create[i].cls.classid, xs_classid(0, 7));
	assert_int_equal(d.counts.spares_kept, 2);
	tree_diff_free(&d);
	tree_free(&want);
	plan_free(&p1);

	/* a spare something still points at (a prefix in the maps) is not given out */
	{
		uint32_t steered[] = { xs_classid(0, 7) };

		free(lv);
		plan_live_of(&live, &prev, steered, 1, &lv, &pl_live);
		assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, &pl_live, &p1), 0);
		assert_int_equal(cust(&p1, 11)->minor, 8);
		assert_int_equal(cust(&p1, 11)->base[XS_LAN][PLAN_BYTES], 0);
		plan_free(&p1);
	}
	/* nor is one a placement holds (a customer of the last run, leaving now) */
	{
		struct placements pv = prev;
		size_t k;

		free(lv);
		plan_live_of(&live, &prev, NULL, 0, &lv, &pl_live);
		for (k = 0; k < pl_live.n; k++)
			if (xs_handle_minor(lv[k].classid) == 7 ||
			    xs_handle_minor(lv[k].classid) == 8)
				lv[k].free = false;
		assert_int_equal(plan_build(&cfg, NULL, &list, &pv, NULL, 0, &pl_live, &p1), 0);
		assert_false(cust(&p1, 11)->reused);
		assert_int_equal(p1.reused, 0);
		plan_free(&p1);
	}
	free(lv);
	tree_free(&live);
	placements_free(&prev);
	plan_free(&p0);
	customers_free(&old);
	customers_free(&list);
}

/*
 * More classes left than twice the pool: the rest are deleted; a pool
 * below half refills.
 */
static void test_spares_trimmed_and_refilled(void **state)
{
	struct customer_list old, list;
	struct plan_live_class *lv;
	struct plan_live pl_live;
	struct placements prev;
	struct xs_config cfg;
	struct plan p0, p1;
	struct tree live, want;
	struct tree_diff d;

	(void)state;
	make_cfg(&cfg, 1, 1);
	cfg.spare_classes = 1;
	cfg.spare_classes_percent = false;
	rng_state = 5;
	make_list(&old, 4, 1); /* minors 3..6, spare 7 */
	assert_int_equal(plan_build(&cfg, NULL, &old, NULL, NULL, 0, NULL, &p0), 0);
	to_prev(&p0, &prev);
	live_of(&p0, &live);
	plan_live_of(&live, &prev, NULL, 0, &lv, &pl_live);
	rng_state = 5;
	make_list(&list, 2, 1); /* 5 and 7 leave */
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, &pl_live, &p1), 0);
	assert_int_equal(p1.nspares, 2); /* up to twice the pool */
	assert_int_equal(p1.spares[0].minor, 5); /* the lowest that nobody has */
	assert_int_equal(p1.spares[1].minor, 6);
	assert_int_equal(tree_desired(&p1, XS_LAN, &want), 0);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(&d, TREE_OP_CLASS_DELETE), 1); /* 7 */
	assert_int_equal(count_ops(&d, TREE_OP_CLASS_CREATE), 0);
	tree_diff_free(&d);
	tree_free(&want);
	plan_free(&p1);
	/* three come and take 7, then new minors: the pool is made again */
	customers_free(&list);
	rng_state = 5;
	make_list(&list, 7, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, &pl_live, &p1), 0);
	assert_int_equal(p1.reused, 1);
	assert_int_equal(p1.nspares, 1);
	assert_int_equal(p1.spares_made, 1);
	assert_false(p1.spares[0].live);
	assert_int_equal(tree_desired(&p1, XS_LAN, &want), 0);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(&d, TREE_OP_CLASS_CREATE), 3); /* two customers, a spare */
	tree_diff_free(&d);
	tree_free(&want);
	plan_free(&p1);
	free(lv);
	tree_free(&live);
	placements_free(&prev);
	plan_free(&p0);
	customers_free(&old);
	customers_free(&list);
}

/* The baseline goes through the placements file, and a kept class that counted less loses it. */
static void test_baseline_round_trip(void **state)
{
	struct customer_list list;
	struct plan_live_class *lv;
	struct plan_live pl_live;
	struct placements prev;
	struct xs_config cfg;
	struct plan p0, p1;
	struct tree live;
	const struct placement *pl;
	size_t i;

	(void)state;
	make_cfg(&cfg, 1, 1);
	make_list(&list, 2, 1);
	assert_int_equal(plan_build(&cfg, NULL, &list, NULL, NULL, 0, NULL, &p0), 0);
	p0.classes[p0.nnodes].base[XS_LAN][PLAN_BYTES] = 18446744073709551615ULL;
	p0.classes[p0.nnodes].base[XS_LAN][PLAN_PACKETS] = 7;
	p0.classes[p0.nnodes].base[XS_WAN][PLAN_OVERLIMITS] = 9;
	to_prev(&p0, &prev);
	pl = placements_find(&prev, PLAN_CUSTOMER, "1");
	assert_non_null(pl);
	assert_true(pl->base[XS_LAN][PLAN_BYTES] == 18446744073709551615ULL);
	assert_int_equal(pl->base[XS_LAN][PLAN_PACKETS], 7);
	assert_int_equal(pl->base[XS_WAN][PLAN_OVERLIMITS], 9);
	pl = placements_find(&prev, PLAN_CUSTOMER, "3");
	assert_int_equal(pl->base[XS_LAN][PLAN_BYTES], 0);
	/* kept: the class counts less than the baseline, so it was made again */
	live_of(&p0, &live);
	plan_live_of(&live, &prev, NULL, 0, &lv, &pl_live);
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, &pl_live, &p1), 0);
	assert_int_equal(cust(&p1, 1)->base[XS_LAN][PLAN_BYTES], 0);
	plan_free(&p1);
	/* and counting past it, the class keeps it */
	for (i = 0; i < pl_live.n; i++) {
		lv[i].counters[XS_LAN][PLAN_BYTES] = 18446744073709551615ULL;
		lv[i].counters[XS_LAN][PLAN_PACKETS] = 8;
	}
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, &pl_live, &p1), 0);
	assert_int_equal(cust(&p1, 1)->base[XS_LAN][PLAN_PACKETS], 7);
	assert_int_equal(cust(&p1, 1)->base[XS_WAN][PLAN_OVERLIMITS], 9);
	plan_free(&p1);
	/* link by link: made again on wan (gone there now), lan keeps its baseline */
	for (i = 0; i < pl_live.n; i++)
		lv[i].on[XS_WAN] = false;
	assert_int_equal(plan_build(&cfg, NULL, &list, &prev, NULL, 0, &pl_live, &p1), 0);
	assert_int_equal(cust(&p1, 1)->base[XS_LAN][PLAN_PACKETS], 7);
	assert_int_equal(cust(&p1, 1)->base[XS_WAN][PLAN_OVERLIMITS], 0);
	plan_free(&p1);
	free(lv);
	tree_free(&live);
	placements_free(&prev);
	plan_free(&p0);
	customers_free(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_places_everyone_validly),
		cmocka_unit_test(test_largest_first_least_loaded_lowest_minor),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_stable_across_reload),
		cmocka_unit_test(test_balanced),
		cmocka_unit_test(test_lowest_free_minor),
		cmocka_unit_test(test_full_tree_reuses_a_left_minor),
		cmocka_unit_test(test_displaced_when_cpu_or_queue_goes),
		cmocka_unit_test(test_bad_placements_file),
		cmocka_unit_test(test_too_many_customers),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_nested_classes),
		cmocka_unit_test(test_overbooked_node_warns),
		cmocka_unit_test(test_nodes_balance),
		cmocka_unit_test(test_moves_get_new_minors),
		cmocka_unit_test(test_hierarchy_stable_under_churn),
		cmocka_unit_test(test_tree_full_names_the_node),
		cmocka_unit_test(test_placements_round_trip),
		cmocka_unit_test(test_placements_long_name),
		cmocka_unit_test(test_placed_matches_lookups),
		cmocka_unit_test(test_full_tree_move_keeps_the_tree),
		cmocka_unit_test(test_no_placements_customer_leaves_node),
		cmocka_unit_test(test_spares_made_at_start),
		cmocka_unit_test(test_churn_reuses_spares),
		cmocka_unit_test(test_spares_trimmed_and_refilled),
		cmocka_unit_test(test_baseline_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
