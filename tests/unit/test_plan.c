// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plan: customers stay where they are across reloads, new ones go where
 * the load is least, and the same input always gives the same plan.
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

#include "conf/plan.h"
#include "unit/helpers.h"

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

/* n customers with ids first_id, first_id + 2, ... and plans of 5..1000 mbit */
static void make_list(struct customer_list *list, size_t n, uint32_t first_id)
{
	size_t i;

	memset(list, 0, sizeof(*list));
	list->v = calloc(n ? n : 1, sizeof(*list->v));
	assert_non_null(list->v);
	list->n = n;
	for (i = 0; i < n; i++) {
		struct customer *c = &list->v[i];

		c->id = first_id + (uint32_t)(2 * i);
		c->down_ceil = (5 + rng() % 996) * 1000000ULL;
		c->up_ceil = c->down_ceil / (1 + rng() % 4);
		c->down_rate = c->down_ceil / 5;
		c->up_rate = c->up_ceil / 5;
	}
}

/* Every customer placed once, on a queue its CPU owns, with a unique minor. */
static void assert_valid(const struct xs_config *cfg, const struct customer_list *list,
			 const struct plan *plan)
{
	unsigned int txqs = config_txqs(cfg);
	uint8_t *used = calloc((size_t)txqs * 65536, 1);
	size_t i;

	assert_non_null(used);
	assert_int_equal(plan->n, list->n);
	for (i = 0; i < plan->n; i++) {
		const struct assignment *a = &plan->v[i];

		if (i)
			assert_true(a->id > plan->v[i - 1].id);
		assert_non_null(customers_find(list, a->id));
		assert_true(a->txq < txqs);
		assert_int_equal(a->cpu, cfg->cpus[a->txq / cfg->queues_per_cpu]);
		assert_true(a->minor >= XS_FIRST_MINOR && a->minor <= XS_MAX_MINOR);
		assert_int_equal(used[(size_t)a->txq * 65536 + a->minor], 0);
		used[(size_t)a->txq * 65536 + a->minor] = 1;
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
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), 0);
	assert_valid(&cfg, &list, &plan);
	assert_non_null(plan_find(&plan, 1));
	assert_non_null(plan_find(&plan, 9999));
	assert_null(plan_find(&plan, 2));
	assert_null(plan_find(&plan, 10001));
	plan_free(&plan);
	customers_free(&list);
}

static void test_largest_first_least_loaded_lowest_minor(void **state)
{
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;
	static const uint64_t ceil[] = { 10, 40, 20, 30 }; /* mbit, by id 1..4 */
	unsigned int i;

	make_cfg(&cfg, 2, 1);
	memset(&list, 0, sizeof(list));
	list.v = calloc(4, sizeof(*list.v));
	list.n = 4;
	for (i = 0; i < 4; i++) {
		list.v[i].id = i + 1;
		list.v[i].down_ceil = ceil[i] * 1000000ULL;
		list.v[i].up_ceil = 0;
	}
	/*
	 * 40 -> txq 0 (both empty, lowest txq), 30 -> txq 1, 20 -> txq 1
	 * (30 < 40), 10 -> txq 0 (40 < 50).
	 */
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), 0);
	assert_int_equal(plan_find(&plan, 2)->txq, 0);
	assert_int_equal(plan_find(&plan, 2)->minor, XS_FIRST_MINOR);
	assert_int_equal(plan_find(&plan, 4)->txq, 1);
	assert_int_equal(plan_find(&plan, 4)->minor, XS_FIRST_MINOR);
	assert_int_equal(plan_find(&plan, 3)->txq, 1);
	assert_int_equal(plan_find(&plan, 3)->minor, XS_FIRST_MINOR + 1);
	assert_int_equal(plan_find(&plan, 1)->txq, 0);
	assert_int_equal(plan_find(&plan, 1)->minor, XS_FIRST_MINOR + 1);
	assert_int_equal(plan_find(&plan, 1)->cpu, 0);
	assert_int_equal(plan_find(&plan, 3)->cpu, 1);
	plan_free(&plan);
	customers_free(&list);
}

static void test_deterministic(void **state)
{
	struct customer_list list, shuffled;
	struct xs_config cfg;
	struct plan a, b, c;
	size_t i;

	rng_state = 7;
	make_cfg(&cfg, 4, 2);
	make_list(&list, 10000, 100);
	/* equal ceils everywhere: the tie-breaks must decide, not qsort */
	for (i = 0; i < list.n; i += 3) {
		list.v[i].down_ceil = 100000000ULL;
		list.v[i].up_ceil = 0;
	}
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &a), 0);
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &b), 0);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.v, b.v, a.n * sizeof(a.v[0]));

	/* the same customers in another order give the same plan */
	shuffled.n = list.n;
	shuffled.v = malloc(list.n * sizeof(*shuffled.v));
	assert_non_null(shuffled.v);
	memcpy(shuffled.v, list.v, list.n * sizeof(*list.v));
	for (i = shuffled.n - 1; i > 0; i--) {
		size_t j = rng() % (i + 1);
		struct customer t = shuffled.v[i];

		shuffled.v[i] = shuffled.v[j];
		shuffled.v[j] = t;
	}
	assert_int_equal(plan_build(&cfg, &shuffled, NULL, 0, &c), 0);
	assert_memory_equal(a.v, c.v, a.n * sizeof(a.v[0]));
	free(shuffled.v);
	plan_free(&a);
	plan_free(&b);
	plan_free(&c);
	customers_free(&list);
}

/* A reload that adds 1% and removes 1% moves nobody else. */
static void test_stable_across_reload(void **state)
{
	struct customer_list before, after;
	struct xs_config cfg;
	struct plan p1, p2, p3;
	size_t i, j, kept = 0;

	rng_state = 42;
	make_cfg(&cfg, 4, 2);
	make_list(&before, 10000, 1);
	assert_int_equal(plan_build(&cfg, &before, NULL, 0, &p1), 0);

	/* drop every 100th customer, add 100 new ones (odd ids never used) */
	make_list(&after, 0, 0);
	free(after.v);
	after.v = calloc(10000, sizeof(*after.v));
	assert_non_null(after.v);
	for (i = 0; i < before.n; i++)
		if (i % 100 != 50)
			after.v[after.n++] = before.v[i];
	for (i = 0; i < 100; i++) {
		struct customer *c = &after.v[after.n++];

		c->id = 2 * (uint32_t)(i * 97) + 2;
		c->down_ceil = (5 + rng() % 996) * 1000000ULL;
		c->up_ceil = c->down_ceil / 2;
	}
	/* keep the list sorted by id, as customers_load returns it */
	for (i = 1; i < after.n; i++)
		for (j = i; j > 0 && after.v[j - 1].id > after.v[j].id; j--) {
			struct customer t = after.v[j];

			after.v[j] = after.v[j - 1];
			after.v[j - 1] = t;
		}
	assert_int_equal(after.n, 10000);

	assert_int_equal(plan_build(&cfg, &after, p1.v, p1.n, &p2), 0);
	assert_valid(&cfg, &after, &p2);
	for (i = 0; i < p2.n; i++) {
		const struct assignment *old = plan_find(&p1, p2.v[i].id);

		if (!old)
			continue;
		assert_int_equal(p2.v[i].cpu, old->cpu);
		assert_int_equal(p2.v[i].txq, old->txq);
		assert_int_equal(p2.v[i].minor, old->minor);
		kept++;
	}
	assert_int_equal(kept, 9900);

	/* prev in any order, with entries of customers gone, gives the same */
	for (i = p1.n - 1; i > 0; i--) {
		size_t k = rng() % (i + 1);
		struct assignment t = p1.v[i];

		p1.v[i] = p1.v[k];
		p1.v[k] = t;
	}
	assert_int_equal(plan_build(&cfg, &after, p1.v, p1.n, &p3), 0);
	assert_memory_equal(p2.v, p3.v, p2.n * sizeof(p2.v[0]));

	plan_free(&p1);
	plan_free(&p2);
	plan_free(&p3);
	customers_free(&before);
	free(after.v); /* the customers are before's */
}

static void test_balanced(void **state)
{
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;
	uint64_t cpu_sum[4] = { 0 }, txq_sum[8] = { 0 }, lo, hi;
	size_t i;

	rng_state = 2024;
	make_cfg(&cfg, 4, 2);
	make_list(&list, 10000, 1);
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), 0);
	for (i = 0; i < plan.n; i++) {
		const struct customer *c = customers_find(&list, plan.v[i].id);

		cpu_sum[plan.v[i].cpu] += c->down_ceil + c->up_ceil;
		txq_sum[plan.v[i].txq] += c->down_ceil + c->up_ceil;
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

/* New customers fill the holes that leavers left, lowest minor first. */
static void test_lowest_free_minor(void **state)
{
	struct assignment prev[] = {
		{ .id = 1, .cpu = 0, .txq = 0, .minor = 3 },
		{ .id = 2, .cpu = 0, .txq = 0, .minor = 5 },
		{ .id = 3, .cpu = 0, .txq = 0, .minor = 6 },
	};
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;

	rng_state = 3;
	make_cfg(&cfg, 1, 1);
	make_list(&list, 5, 1); /* ids 1, 3, 5, 7, 9 */
	assert_int_equal(plan_build(&cfg, &list, prev, 3, &plan), 0);
	assert_valid(&cfg, &list, &plan);
	assert_int_equal(plan_find(&plan, 1)->minor, 3);
	assert_int_equal(plan_find(&plan, 3)->minor, 6);
	/* 5, 7 and 9 are new: 4, 7 and 8; 5 is customer 2's until its class is gone */
	assert_int_equal(plan_find(&plan, 5)->minor + plan_find(&plan, 7)->minor +
				 plan_find(&plan, 9)->minor,
			 4 + 7 + 8);
	assert_int_not_equal(plan_find(&plan, 5)->minor, 5);
	assert_int_not_equal(plan_find(&plan, 7)->minor, 5);
	assert_int_not_equal(plan_find(&plan, 9)->minor, 5);
	plan_free(&plan);
	customers_free(&list);
}

/* A full tree hands a minor left in this run to a new customer after all. */
static void test_full_tree_reuses_a_left_minor(void **state)
{
	struct assignment *prev;
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;
	size_t i, n = XS_MINORS_PER_TREE;

	rng_state = 11;
	make_cfg(&cfg, 1, 1);
	make_list(&list, n, 1); /* ids 1, 3, 5, ... */
	prev = calloc(n, sizeof(*prev));
	assert_non_null(prev);
	for (i = 0; i < n; i++)
		prev[i] = (struct assignment){ .id = list.v[i].id,
					       .txq = 0,
					       .minor = XS_FIRST_MINOR + (uint32_t)i };
	/* customer 1 leaves, 1000001 comes (the list stays sorted by id) */
	for (i = 0; i + 1 < n; i++)
		list.v[i].id = list.v[i + 1].id;
	list.v[n - 1].id = 1000001;
	assert_int_equal(plan_build(&cfg, &list, prev, n, &plan), 0);
	assert_valid(&cfg, &list, &plan);
	assert_int_equal(plan_find(&plan, 1000001)->minor, XS_FIRST_MINOR);
	assert_int_equal(plan_find(&plan, 3)->minor, XS_FIRST_MINOR + 1);
	plan_free(&plan);
	customers_free(&list);
	free(prev);
}

/* A customer whose CPU or queue is gone is placed again; the rest stay. */
static void test_displaced_when_cpu_or_queue_goes(void **state)
{
	struct customer_list list;
	struct xs_config cfg;
	struct plan p1, p2;
	size_t i, moved = 0;

	rng_state = 11;
	make_cfg(&cfg, 4, 2);
	make_list(&list, 2000, 1);
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &p1), 0);

	/* CPU 2 leaves: CPUs 0, 1, 3 remain, and CPU 3 is now index 2 */
	cfg.cpus[2] = 3;
	cfg.ncpus = 3;
	assert_int_equal(plan_build(&cfg, &list, p1.v, p1.n, &p2), 0);
	assert_valid(&cfg, &list, &p2);
	for (i = 0; i < p2.n; i++) {
		const struct assignment *a = &p1.v[i], *b = &p2.v[i];

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
	assert_int_equal(plan_build(&cfg, &list, p1.v, p1.n, &p2), 0);
	assert_valid(&cfg, &list, &p2);
	for (i = 0; i < p2.n; i++) {
		const struct assignment *a = &p1.v[i], *b = &p2.v[i];

		if (a->txq == 0)
			assert_memory_equal(a, b, sizeof(*a));
		else
			assert_int_equal(b->txq, b->cpu);
	}
	plan_free(&p2);
	plan_free(&p1);
	customers_free(&list);
}

/* A corrupt previous plan is repaired, never trusted blindly. */
static void test_bad_previous_entries(void **state)
{
	struct assignment prev[] = {
		{ .id = 1, .cpu = 0, .txq = 0, .minor = 2 }, /* default class */
		{ .id = 3, .cpu = 0, .txq = 0, .minor = 70000 }, /* past 16 bits */
		{ .id = 5, .cpu = 1, .txq = 0, .minor = 10 }, /* txq not of cpu 1 */
		{ .id = 7, .cpu = 9, .txq = 1, .minor = 10 }, /* no CPU 9 */
		{ .id = 9, .cpu = 0, .txq = 0, .minor = 20 }, /* same minor as 11 */
		{ .id = 11, .cpu = 0, .txq = 0, .minor = 20 },
		{ .id = 13, .cpu = 1, .txq = 1, .minor = 30 }, /* fine */
		{ .id = 13, .cpu = 0, .txq = 0, .minor = 40 }, /* later duplicate: ignored */
		{ .id = 999, .cpu = 0, .txq = 0, .minor = 3 }, /* not listed any more */
		{ .id = 15, .cpu = 1000, .txq = 5000, .minor = 3 },
	};
	struct customer_list list;
	struct xs_config cfg;
	struct plan plan;

	rng_state = 5;
	make_cfg(&cfg, 2, 1);
	make_list(&list, 8, 1); /* ids 1..15, odd */
	assert_int_equal(plan_build(&cfg, &list, prev, sizeof(prev) / sizeof(prev[0]), &plan), 0);
	assert_valid(&cfg, &list, &plan);
	assert_int_equal(plan_find(&plan, 9)->minor, 20);
	assert_int_equal(plan_find(&plan, 9)->txq, 0);
	assert_true(plan_find(&plan, 11)->minor != 20 || plan_find(&plan, 11)->txq != 0);
	assert_int_equal(plan_find(&plan, 13)->txq, 1);
	assert_int_equal(plan_find(&plan, 13)->minor, 30);
	assert_int_not_equal(plan_find(&plan, 1)->minor, 2);
	/* minor 3 of txq 0 was customer 999's; it is free for others now */
	plan_free(&plan);
	customers_free(&list);
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
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), 0);
	assert_valid(&cfg, &list, &plan);
	plan_free(&plan);
	customers_free(&list);

	make_list(&list, XS_MINORS_PER_TREE + 1, 1);
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), -ENOSPC);
	assert_null(plan.v);
	assert_int_equal(plan.n, 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "65534 customers do not fit", "65533",
					  "queues_per_cpu", "[cpus] list"),
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
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), 0);
	assert_int_equal(plan.n, 0);
	assert_null(plan_find(&plan, 1));
	plan_free(&plan);

	rng_state = 1;
	make_list(&list, 3, 1);
	list.v[2].id = list.v[1].id;
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "customer id 3 appears twice"), 1);
	list.v[2].id = 5;

	cfg.ncpus = 0;
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), -EINVAL);
	make_cfg(&cfg, 2, 0);
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), -EINVAL);

	/* ceils near the top of uint64 saturate instead of wrapping */
	make_cfg(&cfg, 2, 1);
	list.v[0].down_ceil = list.v[0].up_ceil = UINT64_MAX;
	list.v[1].down_ceil = list.v[1].up_ceil = UINT64_MAX;
	assert_int_equal(plan_build(&cfg, &list, NULL, 0, &plan), 0);
	assert_valid(&cfg, &list, &plan);
	assert_int_not_equal(plan_find(&plan, 1)->txq, plan_find(&plan, 3)->txq);
	plan_free(&plan);
	plan_free(NULL);
	customers_free(&list);
	capture_end();
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
		cmocka_unit_test(test_bad_previous_entries),
		cmocka_unit_test(test_too_many_customers),
		cmocka_unit_test(test_edge_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
