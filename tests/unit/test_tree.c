// SPDX-License-Identifier: GPL-2.0-only
/*
 * The desired tree and the diff, without a kernel: what gets created,
 * changed and deleted for a given live tree, in which order, and what
 * the sizing of a class guarantees at every rate.
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
#include <netlink/utils.h>

#include "common/log.h"
#include "shaper/tree.h"

static char last_err[1024];

static void sink(enum log_level level, const char *msg)
{
	if (level == LOG_LEVEL_ERR)
		snprintf(last_err, sizeof(last_err), "%s", msg);
}

static struct customer customers[] = {
	{ .id = 1001,
	  .down_rate = 10000000,
	  .down_ceil = 50000000,
	  .up_rate = 4000000,
	  .up_ceil = 20000000 },
	{ .id = 1002,
	  .down_rate = 5000000,
	  .down_ceil = 20000000,
	  .up_rate = 2000000,
	  .up_ceil = 8000000 },
	{ .id = 1003,
	  .down_rate = 2000000,
	  .down_ceil = 8000000,
	  .up_rate = 1000000,
	  .up_ceil = 3000000 },
};

static struct assignment assignments[] = {
	{ .id = 1001, .cpu = 0, .txq = 0, .minor = 3 },
	{ .id = 1002, .cpu = 1, .txq = 1, .minor = 3 },
	{ .id = 1003, .cpu = 0, .txq = 0, .minor = 4 },
};

static const struct customer_list list = { .v = customers, .n = 3 };
static const struct plan plan = { .v = assignments, .n = 3 };

static void config(struct xs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->lan, sizeof(cfg->lan), "lan0");
	snprintf(cfg->wan, sizeof(cfg->wan), "wan0");
	cfg->ncpus = 2;
	cfg->queues_per_cpu = 1;
	cfg->lan_capacity = 1000000000;
	cfg->wan_capacity = 500000000;
	cfg->default_rate = 2000000;
	cfg->leaf_qdisc = LEAF_PFIFO;
}

/* The live tree xshaper would have left for want: mq, an htb per tree, the classes. */
static void live_from(const struct tree *want, struct tree *live)
{
	size_t i;

	memset(live, 0, sizeof(*live));
	snprintf(live->ifname, sizeof(live->ifname), "%s", want->ifname);
	live->ifindex = 7;
	live->dev_txqs = 4;
	live->classes = calloc(want->nclasses, sizeof(*live->classes));
	live->nclasses = want->nclasses;
	for (i = 0; i < want->nclasses; i++) {
		live->classes[i] = want->classes[i];
		live->classes[i].burst = live->classes[i].cburst = 0;
		if ((want->classes[i].classid & 0xffff) == XS_ROOT_MINOR) {
			live->classes[i].parent = TC_H_ROOT;
			live->classes[i].level = 7;
			live->classes[i].quantum = 0;
		}
	}
	live->qdiscs = calloc(1 + want->ntxq, sizeof(*live->qdiscs));
	live->nqdiscs = 1 + want->ntxq;
	for (i = 0; i < want->ntxq; i++) {
		struct tree_qdisc *q = &live->qdiscs[i];

		q->handle = (uint32_t)(i + 1) << 16;
		q->parent = XS_MQ_MAJOR << 16 | (uint32_t)(i + 1);
		q->defcls = XS_DEFAULT_MINOR;
		snprintf(q->kind, sizeof(q->kind), "htb");
	}
	live->qdiscs[want->ntxq].handle = XS_MQ_MAJOR << 16;
	live->qdiscs[want->ntxq].parent = TC_H_ROOT;
	snprintf(live->qdiscs[want->ntxq].kind, sizeof(live->qdiscs[0].kind), "mq");
}

static int cmp_handle(const void *a, const void *b)
{
	const struct tree_qdisc *x = a, *y = b;

	return x->handle < y->handle ? -1 : x->handle > y->handle;
}

/* tree_read leaves the qdiscs sorted by handle */
static void sort_qdiscs(struct tree *live)
{
	qsort(live->qdiscs, live->nqdiscs, sizeof(*live->qdiscs), cmp_handle);
}

/* A device with nothing of ours on it. */
static void live_empty(struct tree *live, unsigned int txqs)
{
	memset(live, 0, sizeof(*live));
	snprintf(live->ifname, sizeof(live->ifname), "lan0");
	live->ifindex = 7;
	live->dev_txqs = txqs;
	live->qdiscs = calloc(1, sizeof(*live->qdiscs));
	live->nqdiscs = 1;
	live->qdiscs[0].parent = TC_H_ROOT;
	snprintf(live->qdiscs[0].kind, sizeof(live->qdiscs[0].kind), "noqueue");
}

static size_t count_ops(const struct tree_op *ops, size_t n, enum tree_op_type type)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ops[i].type == type;
	return c;
}

/*
 * Sizing, as properties over every rate a class can have, from 8 kbit/s to
 * 100 Gbit/s (bytes/s, about 5% apart), not as the formulas again.
 */
#define RATE_MIN 1000ULL /* 8 kbit/s */
#define RATE_MAX 12500000000ULL /* 100 Gbit/s */
#define RATES	 400

/* An Ethernet frame at the usual 1500-byte MTU */
#define ETH_FRAME 1514U

static size_t rates(uint64_t *r)
{
	size_t n = 0;
	uint64_t v;

	for (v = RATE_MIN; v < RATE_MAX && n < RATES - 1; v += v / 20 + 1)
		r[n++] = v;
	r[n++] = RATE_MAX;
	assert_true(r[n - 2] > RATE_MAX / 2); /* the sweep reached the top */
	return n;
}

static void test_burst(void **state)
{
	uint64_t r[RATES], back;
	uint32_t b, prev = 0, ticks;
	size_t n = rates(r), i;

	for (i = 0; i < n; i++) {
		b = tree_burst(r[i]);
		/* a full frame at once, and a short train of them */
		assert_true(b >= ETH_FRAME);
		/*
		 * what the rate earns in a jiffy (1 ms at HZ=1000): a class
		 * serviced that late still sends at its rate
		 */
		assert_true(b >= r[i] / 1000);
		/* at least tc's own: rate / get_hz() (1 GHz with hrtimers) + mtu 1600 */
		assert_true(b >= r[i] / 1000000000 + 1600);
		assert_true(b <= INT32_MAX); /* libnl carries it in an int */
		assert_true(b >= prev);
		prev = b;
		/*
		 * the kernel keeps the bucket as ticks (a __u32) of the rate:
		 * read back as tc prints it, it is the burst, less at most the
		 * two whole-microsecond truncations on the way
		 */
		ticks = tree_ticks(b, r[i]);
		assert_true(ticks > 0);
		back = (uint64_t)nl_ticks2us(ticks) * r[i] / 1000000;
		assert_true(back <= b);
		assert_true(b - back <= 2 * r[i] / 1000000 + 1);
	}
	/* ticks grow with the bytes and shrink with the rate */
	assert_true(tree_ticks(6056, 125000) > tree_ticks(6056, 1250000));
	assert_true(tree_ticks(12112, 125000) > tree_ticks(6056, 125000));
	assert_int_equal(tree_ticks(1000, 0), 0);
}

static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static void test_quantum(void **state)
{
	uint64_t r[RATES];
	uint32_t q[RATES];
	size_t n = rates(r), i, first = 0, last = 0;

	for (i = 0; i < n; i++) {
		q[i] = tree_quantum(r[i]);
		/*
		 * HTB's own range: it clamps the quanta it computes to
		 * 1000..200000 bytes, with a warning in the kernel log
		 */
		assert_true(q[i] >= 1000 && q[i] <= 200000);
		/* a class sends at least a full frame a round */
		assert_true(q[i] >= ETH_FRAME);
		if (i)
			assert_true(q[i] >= q[i - 1]);
	}
	/*
	 * Between the bounds, spare bandwidth is shared among siblings as
	 * their rates are: the quanta are in proportion to the rates (up to
	 * rounding), over more than a decade of rates.
	 */
	for (i = 0; i < n; i++) {
		if (q[i] == q[0] || q[i] == q[n - 1])
			continue;
		if (!first)
			first = i;
		last = i;
		assert_true(distance(q[i] * r[first], q[first] * r[i]) <= r[i]);
	}
	assert_true(first && r[last] >= 10 * r[first]);
}

static void test_desired(void **state)
{
	struct xs_config cfg;
	struct tree t;
	const struct tree_class *c;

	config(&cfg);
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &t), 0);
	assert_string_equal(t.ifname, "lan0");
	assert_int_equal(t.ntxq, 2);
	assert_int_equal(t.nclasses, 7);
	/* sorted by classid: 1:1 1:2 1:3 1:4 2:1 2:2 2:3 */
	c = t.classes;
	assert_int_equal(c[0].classid, 0x10001);
	assert_int_equal(c[0].parent, 0x10000);
	assert_int_equal(c[0].rate, 125000000);
	assert_int_equal(c[0].ceil, 125000000);
	assert_int_equal(c[1].classid, 0x10002);
	assert_int_equal(c[1].parent, 0x10001);
	assert_int_equal(c[1].rate, 250000);
	assert_int_equal(c[1].ceil, 125000000); /* default_ceil 0: the capacity */
	assert_int_equal(c[2].classid, 0x10003);
	assert_int_equal(c[2].id, 1001);
	assert_int_equal(c[2].rate, 1250000);
	assert_int_equal(c[2].ceil, 6250000);
	assert_int_equal(c[2].quantum, 125000);
	assert_int_equal(c[2].buffer, tree_ticks(c[2].burst, c[2].rate));
	assert_int_equal(c[3].classid, 0x10004);
	assert_int_equal(c[6].classid, 0x20003);
	assert_int_equal(c[6].id, 1002);
	tree_free(&t);

	/* upload: the wan, its capacity, the up rates */
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_WAN, &t), 0);
	assert_string_equal(t.ifname, "wan0");
	assert_int_equal(t.classes[0].rate, 62500000);
	assert_int_equal(t.classes[2].rate, 500000);
	assert_int_equal(t.classes[2].ceil, 2500000);
	tree_free(&t);

	/* queues_per_cpu: a tree per TX queue */
	cfg.queues_per_cpu = 4;
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &t), 0);
	assert_int_equal(t.ntxq, 8);
	assert_int_equal(t.nclasses, 16 + 3);
	tree_free(&t);
}

static void test_desired_errors(void **state)
{
	struct assignment bad[2];
	struct plan p = { .v = bad, .n = 2 };
	struct xs_config cfg;
	struct tree t;

	config(&cfg);
	bad[0] = assignments[0];
	bad[1] = (struct assignment){ .id = 4242, .txq = 0, .minor = 5 };
	assert_int_equal(tree_desired(&cfg, &list, &p, XS_LAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "customer 4242"));

	bad[1] = assignments[1];
	bad[1].txq = 2;
	assert_int_equal(tree_desired(&cfg, &list, &p, XS_LAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "out of range"));

	bad[1] = assignments[1];
	bad[1].txq = 0; /* 1:3 twice */
	assert_int_equal(tree_desired(&cfg, &list, &p, XS_LAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "share classid 1:3"));
	assert_null(t.classes);
}

static void test_diff_from_scratch(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &want), 0);
	live_empty(&live, 4);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.counts.added, 3);
	assert_int_equal(d.ndelete, 0);
	/* mq, 2 htb, 4 root and default classes, 3 customers; pfifo needs no leaf */
	assert_int_equal(d.ncreate, 1 + 2 + 4 + 3);
	assert_int_equal(d.create[0].type, TREE_OP_ROOT);
	/* htb 2: shares the qdisc hash bucket of HTB's own leaves: built first */
	assert_int_equal(d.create[1].type, TREE_OP_HTB);
	assert_int_equal(d.create[1].handle, 0x20000);
	assert_int_equal(d.create[1].parent, 0x7fff0002);
	assert_int_equal(d.create[2].type, TREE_OP_CLASS_CREATE);
	assert_int_equal(d.create[2].cls.classid, 0x20001);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_LEAF_CREATE), 0);
	tree_diff_free(&d);

	/* fq_codel: one leaf per customer and default class, handles from 0x1001 */
	want.leaf = LEAF_FQ_CODEL;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_LEAF_CREATE), 5);
	assert_int_equal(d.create[3].type, TREE_OP_CLASS_CREATE); /* 2:2 */
	assert_int_equal(d.create[4].type, TREE_OP_LEAF_CREATE);
	assert_int_equal(d.create[4].handle, 0x10010000);
	assert_int_equal(d.create[4].parent, 0x20002);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

static void test_diff_nothing_to_do(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &want), 0);
	live_from(&want, &live);
	/* the kernel keeps no quantum for an inner class: that is no change */
	live.classes[0].quantum = 1;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 0);
	assert_int_equal(d.ndelete, 0);
	assert_int_equal(d.counts.unchanged, 3);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

static void test_diff_changes(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;
	struct tree_class *extra;

	config(&cfg);
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &want), 0);
	live_from(&want, &live);
	live.classes[2].rate /= 2; /* 1:3 */
	live.classes[3].buffer++; /* 1:4 */
	live.classes[1].quantum--; /* 1:2, the default class */
	/* a customer that is gone: 2:9, appended in classid order */
	live.classes = realloc(live.classes, (live.nclasses + 1) * sizeof(*live.classes));
	extra = &live.classes[live.nclasses++];
	*extra = live.classes[live.nclasses - 2];
	extra->classid = 0x20009;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 3);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_CLASS_CHANGE), 3);
	assert_int_equal(d.counts.changed, 2); /* customers only */
	assert_int_equal(d.counts.unchanged, 1);
	assert_int_equal(d.counts.removed, 1);
	assert_int_equal(d.ndelete, 1);
	assert_int_equal(d.delete[0].type, TREE_OP_CLASS_DELETE);
	assert_int_equal(d.delete[0].cls.classid, 0x20009);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

static void test_diff_leaf_kind(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &want), 0);
	live_from(&want, &live);
	/* 1:3 has a bfifo 9000: someone put there */
	live.qdiscs = realloc(live.qdiscs, (live.nqdiscs + 1) * sizeof(*live.qdiscs));
	live.qdiscs[live.nqdiscs++] =
		(struct tree_qdisc){ .handle = 0x90000000, .parent = 0x10003, .kind = "bfifo" };
	live.classes[2].leaf = 0x90000000;
	sort_qdiscs(&live);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 1);
	assert_int_equal(d.create[0].type, TREE_OP_LEAF_DELETE);
	assert_int_equal(d.create[0].handle, 0x90000000);
	assert_int_equal(d.create[0].parent, 0x10003);
	assert_int_equal(d.counts.changed, 1);
	tree_diff_free(&d);

	/* sfq wanted: every leaf is replaced, with handles free on the device */
	want.leaf = LEAF_SFQ;
	live.qdiscs[live.nqdiscs - 1].handle = 0x10010000; /* take 1001: */
	live.classes[2].leaf = 0x10010000;
	sort_qdiscs(&live);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_LEAF_CREATE), 5);
	assert_int_equal(d.create[0].handle, 0x10020000);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

static void test_diff_broken_and_retired_trees(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;
	size_t i;

	config(&cfg);
	cfg.queues_per_cpu = 2;
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &want), 0);
	live_from(&want, &live);
	tree_free(&want);
	cfg.queues_per_cpu = 1;
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &want), 0);
	/* htb 1: lost its default class setting */
	for (i = 0; i < live.nqdiscs; i++)
		if (live.qdiscs[i].handle == 0x10000)
			live.qdiscs[i].defcls = 9;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	/* tree 1 rebuilt: reset, htb, 1:1 1:2 1:3 1:4 */
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_HTB_RESET), 1);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_HTB), 1);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_CLASS_CREATE), 4);
	/* trees 3: and 4: are past the 2 TX queues wanted */
	assert_int_equal(d.ndelete, 2);
	assert_int_equal(d.delete[0].type, TREE_OP_HTB_REMOVE);
	assert_int_equal(d.delete[0].parent, 0x7fff0003);
	assert_int_equal(d.delete[1].parent, 0x7fff0004);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

static void test_diff_errors(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;
	uint32_t major;
	size_t n = 0;

	config(&cfg);
	cfg.queues_per_cpu = 3;
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &want), 0);
	live_empty(&live, 4);
	assert_int_equal(tree_diff(&live, &want, &d), -EINVAL);
	assert_non_null(strstr(last_err, "lan0: has 4 TX queues, xshaper needs 6"));
	assert_non_null(strstr(last_err, "ethtool -L lan0 tx 6"));
	assert_non_null(strstr(last_err, "or lower queues_per_cpu"));
	tree_free(&want);
	/* one CPU, one tree: one TX queue in use will do, on a multiqueue device */
	cfg.ncpus = 1;
	cfg.queues_per_cpu = 1;
	assert_int_equal(tree_desired(&cfg, &list, &(struct plan){ 0 }, XS_LAN, &want), 0);
	live.dev_txqs = 1;
	live.dev_max_txqs = 1;
	assert_int_equal(tree_diff(&live, &want, &d), -EINVAL);
	assert_non_null(strstr(last_err, "lan0: can have only 1 TX queue; xshaper needs a device "
					 "that can have 2"));
	assert_non_null(strstr(last_err, "mq root"));
	assert_null(strstr(last_err, "lower queues_per_cpu"));
	live.dev_max_txqs = 2; /* 'ethtool -L lan0 tx 1' */
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	tree_diff_free(&d);
	live.dev_txqs = 2;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
	cfg.ncpus = 2;

	/* every leaf handle taken */
	cfg.queues_per_cpu = 1;
	cfg.leaf_qdisc = LEAF_FQ_CODEL;
	assert_int_equal(tree_desired(&cfg, &list, &plan, XS_LAN, &want), 0);
	live_from(&want, &live);
	live.qdiscs = realloc(live.qdiscs, (live.nqdiscs + 0x10000) * sizeof(*live.qdiscs));
	for (major = TREE_LEAF_MAJOR_FIRST; major <= TREE_LEAF_MAJOR_LAST; major++) {
		if (major == XS_MQ_MAJOR)
			continue;
		live.qdiscs[live.nqdiscs + n++] = (struct tree_qdisc){ .handle = major << 16,
								       .parent = 0x70000,
								       .kind = "fq_codel" };
	}
	assert_int_equal(n, TREE_LEAF_MAJORS);
	live.nqdiscs += n;
	sort_qdiscs(&live);
	assert_int_equal(tree_diff(&live, &want, &d), -ENOSPC);
	assert_non_null(strstr(last_err, "no leaf qdisc handle left"));
	tree_free(&live);
	tree_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_quantum),
		cmocka_unit_test(test_desired),
		cmocka_unit_test(test_desired_errors),
		cmocka_unit_test(test_diff_from_scratch),
		cmocka_unit_test(test_diff_nothing_to_do),
		cmocka_unit_test(test_diff_changes),
		cmocka_unit_test(test_diff_leaf_kind),
		cmocka_unit_test(test_diff_broken_and_retired_trees),
		cmocka_unit_test(test_diff_errors),
	};

	log_set_sink(sink);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
