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
#include "common/problems.h"
#include "shaper/tree.h"

static char last_err[1024];

static void sink(enum log_level level, const char *msg)
{
	if (level == LOG_LEVEL_ERR)
		snprintf(last_err, sizeof(last_err), "%s", msg);
}

/*
 * One class of a plan built by hand: a node (id: its name; rates: its
 * caps, rate = ceil) or a customer. Nodes first, each after its parent;
 * then customers in id order, as plan_build lays them out.
 */
struct spec {
	enum plan_kind kind;
	const char *id;
	int parent; /* index of its node in the specs; -1: the root class */
	uint32_t txq, minor;
	uint64_t down_rate, down_ceil, up_rate, up_ceil; /* bit/s */
};

#define NODE(name, up, q, m, down, upl)                                                            \
	{                                                                                          \
		PLAN_NODE, name, up, q, m, down, down, upl, upl                                    \
	}
#define CUST(id, up, q, m, dr, dc, ur, uc)                                                         \
	{                                                                                          \
		PLAN_CUSTOMER, id, up, q, m, dr, dc, ur, uc                                        \
	}

#define SPECS_MAX 16

/* classid minor of TX queue txq's tree */
#define CL(txq, minor) xs_classid(txq, minor)

/* The k-th (0-based) leaf handle the diff gives out on an empty device. */
static uint32_t nth_leaf(unsigned int k)
{
	uint32_t major;

	for (major = TREE_LEAF_MAJOR_FIRST; major <= TREE_LEAF_MAJOR_LAST; major++)
		if (tree_leaf_major(major) && k-- == 0)
			return major << 16;
	return 0;
}

/* A plan and everything it points to. */
struct test_plan {
	struct xs_config cfg;
	struct network net;
	struct customer_list list;
	struct node nodes[SPECS_MAX];
	struct customer customers[SPECS_MAX];
	struct plan_class classes[SPECS_MAX];
	uint32_t node_class[SPECS_MAX];
	struct plan plan;
};

static const struct plan *plan_make(struct test_plan *tp, const struct xs_config *cfg,
				    const struct spec *v, size_t n)
{
	size_t i, nn = 0, nc = 0;

	assert_true(n <= SPECS_MAX);
	memset(tp, 0, sizeof(*tp));
	tp->cfg = *cfg;
	for (i = 0; i < n; i++) {
		struct plan_class *pc = &tp->classes[i];

		pc->kind = v[i].kind;
		pc->parent = v[i].parent < 0 ? PLAN_NONE : (uint32_t)v[i].parent;
		pc->txq = v[i].txq;
		pc->cpu = v[i].txq / cfg->queues_per_cpu;
		pc->minor = v[i].minor;
		pc->depth = v[i].parent < 0 ? 0 : tp->classes[v[i].parent].depth + 1;
		pc->rate[XS_LAN] = v[i].down_rate;
		pc->ceil[XS_LAN] = v[i].down_ceil;
		pc->rate[XS_WAN] = v[i].up_rate;
		pc->ceil[XS_WAN] = v[i].up_ceil;
		if (v[i].kind == PLAN_NODE) {
			struct node *nd = &tp->nodes[nn];

			assert_int_equal(nc, 0); /* nodes first */
			nd->name = (char *)v[i].id;
			nd->type = nd->ext_id = (char *)"";
			nd->parent =
				v[i].parent < 0 ? NETWORK_NONE : (int)tp->classes[v[i].parent].ref;
			nd->up = nd->real = (int)nn;
			nd->depth = pc->depth + 1;
			nd->cap[XS_LAN] = v[i].down_rate;
			nd->cap[XS_WAN] = v[i].up_rate;
			tp->node_class[nn] = (uint32_t)i;
			pc->ref = (uint32_t)nn++;
		} else {
			struct customer *cu = &tp->customers[nc];

			cu->id = (char *)v[i].id;
			cu->name = cu->info = (char *)"";
			cu->node =
				v[i].parent < 0 ? NETWORK_NONE : (int)tp->classes[v[i].parent].ref;
			cu->down_rate = v[i].down_rate;
			cu->down_ceil = v[i].down_ceil;
			cu->up_rate = v[i].up_rate;
			cu->up_ceil = v[i].up_ceil;
			pc->ref = (uint32_t)nc++;
		}
	}
	tp->net.v = tp->nodes;
	tp->net.n = tp->net.nreal = nn;
	tp->list.v = tp->customers;
	tp->list.n = nc;
	tp->plan.cfg = &tp->cfg;
	tp->plan.net = &tp->net;
	tp->plan.list = &tp->list;
	tp->plan.links[XS_LAN] = (struct plan_link){ tp->cfg.lan, tp->cfg.lan_capacity };
	tp->plan.links[XS_WAN] = (struct plan_link){ tp->cfg.wan, tp->cfg.wan_capacity };
	tp->plan.classes = tp->classes;
	tp->plan.n = n;
	tp->plan.nnodes = nn;
	tp->plan.node_class = tp->node_class;
	return &tp->plan;
}

#define M 1000000ULL

/* Three customers without nodes, on two trees. */
static const struct spec flat[] = {
	CUST("1001", -1, 0, 3, 10 * M, 50 * M, 4 * M, 20 * M),
	CUST("1002", -1, 1, 3, 5 * M, 20 * M, 2 * M, 8 * M),
	CUST("1003", -1, 0, 4, 2 * M, 8 * M, 1 * M, 3 * M),
};
#define NFLAT (sizeof(flat) / sizeof(flat[0]))

/*
 * Site S > AP > 1001, 1002, and 1003 right under S; the nodes' minors are
 * above their customers', so classid order is not creation order.
 */
static const struct spec nested[] = {
	NODE("S", -1, 0, 9, 400 * M, 200 * M),
	NODE("AP", 0, 0, 7, 100 * M, 50 * M),
	CUST("1001", 1, 0, 3, 10 * M, 50 * M, 4 * M, 20 * M),
	CUST("1002", 1, 0, 4, 5 * M, 20 * M, 2 * M, 8 * M),
	CUST("1003", 0, 0, 5, 2 * M, 8 * M, 1 * M, 3 * M),
};
#define NNESTED (sizeof(nested) / sizeof(nested[0]))

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

/* The desired tree of a plan of specs on lan. */
static void want_of(const struct xs_config *cfg, const struct spec *v, size_t n, struct tree *want)
{
	struct test_plan tp;

	assert_int_equal(tree_desired(plan_make(&tp, cfg, v, n), XS_LAN, want), 0);
}

static const struct tree_class *class_of(const struct tree *t, uint32_t classid)
{
	size_t i;

	for (i = 0; i < t->nclasses; i++)
		if (t->classes[i].classid == classid)
			return &t->classes[i];
	return NULL;
}

/*
 * The live tree xshaper would have left for want, as tree_read fills it:
 * mq, an htb per tree, the classes with what the kernel dumps. An inner
 * class (one with children) has a level, TC_HTB_MAXDEPTH - 1 for the root
 * class and one less a level down, and no leaf; it still dumps the quantum
 * and prio it was created with. Nothing of the desired-only fields.
 */
static void live_from(const struct tree *want, struct tree *live)
{
	size_t i, j;

	memset(live, 0, sizeof(*live));
	snprintf(live->ifname, sizeof(live->ifname), "%s", want->ifname);
	live->ifindex = 7;
	live->dev_txqs = 4;
	live->classes = calloc(want->nclasses, sizeof(*live->classes));
	live->nclasses = want->nclasses;
	for (i = 0; i < want->nclasses; i++) {
		struct tree_class *c = &live->classes[i];
		bool inner = false;

		*c = want->classes[i];
		c->burst = c->cburst = 0;
		c->cls = c->kind = c->depth = 0;
		if ((c->classid & 0xffff) == XS_ROOT_MINOR)
			c->parent = TC_H_ROOT;
		for (j = 0; j < want->nclasses; j++)
			inner |= want->classes[j].parent == c->classid;
		if (inner)
			c->level = TC_HTB_MAXDEPTH - 1 - want->classes[i].depth;
	}
	live->qdiscs = calloc(1 + want->ntxq, sizeof(*live->qdiscs));
	live->nqdiscs = 1 + want->ntxq;
	for (i = 0; i < want->ntxq; i++) {
		struct tree_qdisc *q = &live->qdiscs[i];

		q->handle = xs_htb_handle((uint32_t)i);
		q->parent = XS_MQ_MAJOR << 16 | (uint32_t)(i + 1);
		q->defcls = XS_DEFAULT_MINOR;
		snprintf(q->kind, sizeof(q->kind), "htb");
	}
	live->qdiscs[want->ntxq].handle = XS_MQ_MAJOR << 16;
	live->qdiscs[want->ntxq].parent = TC_H_ROOT;
	snprintf(live->qdiscs[want->ntxq].kind, sizeof(live->qdiscs[0].kind), "mq");
}

static struct tree_class *live_class(struct tree *live, uint32_t classid)
{
	return (struct tree_class *)class_of(live, classid);
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

/* The classids of the class ops of one type, in list order. */
static size_t class_ops(const struct tree_op *ops, size_t n, enum tree_op_type type, uint32_t *out,
			size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (ops[i].type == type && k < max)
			out[k++] = ops[i].cls.classid;
	return k;
}

#define assert_class_ops(ops, n, type, ...)                                                        \
	do {                                                                                       \
		const uint32_t want_[] = { __VA_ARGS__ };                                          \
		uint32_t got_[64];                                                                 \
		size_t k_ = class_ops(ops, n, type, got_, 64), i_;                                 \
		assert_int_equal(k_, sizeof(want_) / sizeof(want_[0]));                            \
		for (i_ = 0; i_ < k_; i_++)                                                        \
			assert_int_equal(got_[i_], want_[i_]);                                     \
	} while (0)

static bool htb_rebuilt(const struct tree_diff *d, uint32_t txq)
{
	size_t i;

	for (i = 0; i < d->ncreate; i++)
		if (d->create[i].type == TREE_OP_HTB && d->create[i].handle == xs_htb_handle(txq))
			return true;
	return false;
}

/* Every class is created after its parent: its HTB, a live class that stays, or one before it. */
static void assert_parents_first(const struct tree_diff *d, const struct tree *live)
{
	size_t i, j;

	for (i = 0; i < d->ncreate; i++) {
		const struct tree_op *op = &d->create[i];
		bool found = false;

		if (op->type != TREE_OP_CLASS_CREATE || !(op->parent & 0xffff))
			continue;
		for (j = 0; j < i; j++)
			found |= d->create[j].type == TREE_OP_CLASS_CREATE &&
				 d->create[j].cls.classid == op->parent;
		if (!found && !htb_rebuilt(d, xs_classid_txq(op->parent)))
			found = class_of(live, op->parent) != NULL;
		assert_true(found);
	}
}

/* Every class is deleted after its live children. */
static void assert_children_first(const struct tree_diff *d, const struct tree *live)
{
	size_t i, j, k;

	for (i = 0; i < d->ndelete; i++) {
		if (d->delete[i].type != TREE_OP_CLASS_DELETE)
			continue;
		for (k = 0; k < live->nclasses; k++) {
			bool gone = false;

			if (live->classes[k].parent != d->delete[i].cls.classid)
				continue;
			for (j = 0; j < i; j++)
				gone |= d->delete[j].type == TREE_OP_CLASS_DELETE &&
					d->delete[j].cls.classid == live->classes[k].classid;
			assert_true(gone);
		}
	}
}

/* What the kernel does with phase 1's in-place changes of inner classes: rates and buffers only. */
static void apply_changes(const struct tree_diff *d, struct tree *live)
{
	size_t i;

	for (i = 0; i < d->ncreate; i++) {
		const struct tree_op *op = &d->create[i];
		struct tree_class *c;

		if (op->type != TREE_OP_CLASS_CHANGE)
			continue;
		c = live_class(live, op->cls.classid);
		assert_non_null(c);
		c->rate = op->cls.rate;
		c->ceil = op->cls.ceil;
		c->buffer = op->cls.buffer;
		c->cbuffer = op->cls.cbuffer;
		if (!c->level) {
			c->quantum = op->cls.quantum;
			c->prio = op->cls.prio;
		}
	}
}

/* Add a live class under parent, in classid order, making the parent inner. */
static void live_add(struct tree *live, uint32_t classid, uint32_t parent)
{
	struct tree_class *c, *up = live_class(live, parent);

	assert_non_null(up);
	if (!up->level) {
		up->level = 1;
		up->leaf = 0;
	}
	live->classes = realloc(live->classes, (live->nclasses + 1) * sizeof(*live->classes));
	c = &live->classes[live->nclasses++];
	*c = (struct tree_class){ .classid = classid,
				  .parent = parent,
				  .rate = 125000,
				  .ceil = 125000,
				  .quantum = 12500 };
	qsort(live->classes, live->nclasses, sizeof(*c), tree_classid_cmp);
}

static void live_remove(struct tree *live, uint32_t classid)
{
	struct tree_class *c = live_class(live, classid);

	assert_non_null(c);
	memmove(c, c + 1, (size_t)(live->classes + live->nclasses - (c + 1)) * sizeof(*c));
	live->nclasses--;
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
	struct test_plan tp;
	struct xs_config cfg;
	struct tree t;
	const struct tree_class *c;

	config(&cfg);
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, flat, NFLAT), XS_LAN, &t), 0);
	assert_string_equal(t.ifname, "lan0");
	assert_int_equal(t.ntxq, 2);
	assert_int_equal(t.nclasses, 7);
	/* sorted by classid: 7000:1 7000:2 7000:3 7000:4 b377:1 b377:2 b377:3 */
	c = t.classes;
	assert_int_equal(c[0].classid, CL(0, 0x1));
	assert_int_equal(c[0].parent, CL(0, 0x0));
	assert_int_equal(c[0].rate, 125000000);
	assert_int_equal(c[0].ceil, 125000000);
	assert_int_equal(c[0].kind, TREE_ROOT);
	assert_int_equal(c[0].depth, 0);
	assert_int_equal(c[0].cls, PLAN_NONE);
	assert_int_equal(c[1].classid, CL(0, 0x2));
	assert_int_equal(c[1].parent, CL(0, 0x1));
	assert_int_equal(c[1].rate, 250000);
	assert_int_equal(c[1].ceil, 125000000); /* default_ceil 0: the capacity */
	assert_int_equal(c[1].kind, TREE_DEFAULT);
	assert_int_equal(c[1].depth, 1);
	assert_int_equal(c[2].classid, CL(0, 0x3));
	assert_int_equal(c[2].parent, CL(0, 0x1));
	assert_int_equal(c[2].cls, 0); /* 1001 */
	assert_int_equal(c[2].kind, TREE_CUSTOMER);
	assert_int_equal(c[2].depth, 1);
	assert_int_equal(c[2].rate, 1250000);
	assert_int_equal(c[2].ceil, 6250000);
	assert_int_equal(c[2].quantum, 125000);
	assert_int_equal(c[2].buffer, tree_ticks(c[2].burst, c[2].rate));
	assert_int_equal(c[3].classid, CL(0, 0x4));
	assert_int_equal(c[3].cls, 2); /* 1003 */
	assert_int_equal(c[6].classid, CL(1, 0x3));
	assert_int_equal(c[6].cls, 1); /* 1002 */
	tree_free(&t);

	/* upload: the wan, its capacity, the up rates */
	assert_int_equal(tree_desired(&tp.plan, XS_WAN, &t), 0);
	assert_string_equal(t.ifname, "wan0");
	assert_int_equal(t.classes[0].rate, 62500000);
	assert_int_equal(t.classes[2].rate, 500000);
	assert_int_equal(t.classes[2].ceil, 2500000);
	tree_free(&t);

	/* queues_per_cpu: a tree per TX queue */
	cfg.queues_per_cpu = 4;
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, flat, NFLAT), XS_LAN, &t), 0);
	assert_int_equal(t.ntxq, 8);
	assert_int_equal(t.nclasses, 16 + 3);
	tree_free(&t);
}

/* root > site > AP > customer on one TX queue, and a customer of no node on another */
static void test_desired_nested(void **state)
{
	static const struct spec v[] = {
		NODE("Site A", -1, 0, 3, 400 * M, 200 * M),
		NODE("AP1", 0, 0, 4, 100 * M, 50 * M),
		CUST("1001", 1, 0, 5, 10 * M, 50 * M, 4 * M, 20 * M),
		CUST("1002", -1, 1, 3, 5 * M, 20 * M, 2 * M, 8 * M),
	};
	struct test_plan tp;
	struct xs_config cfg;
	const struct tree_class *c;
	struct tree t;

	config(&cfg);
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, v, 4), XS_LAN, &t), 0);
	assert_int_equal(t.nclasses, 4 + 4);
	c = class_of(&t, CL(0, 0x3));
	assert_non_null(c);
	assert_int_equal(c->parent, CL(0, 0x1));
	assert_int_equal(c->kind, TREE_NODE);
	assert_int_equal(c->depth, 1);
	assert_int_equal(c->cls, 0);
	assert_int_equal(c->rate, 50000000); /* the cap, rate = ceil */
	assert_int_equal(c->ceil, 50000000);
	c = class_of(&t, CL(0, 0x4));
	assert_non_null(c);
	assert_int_equal(c->parent, CL(0, 0x3));
	assert_int_equal(c->kind, TREE_NODE);
	assert_int_equal(c->depth, 2);
	assert_int_equal(c->rate, 12500000);
	c = class_of(&t, CL(0, 0x5));
	assert_non_null(c);
	assert_int_equal(c->parent, CL(0, 0x4));
	assert_int_equal(c->kind, TREE_CUSTOMER);
	assert_int_equal(c->depth, 3);
	assert_int_equal(c->cls, 2);
	assert_int_equal(c->rate, 1250000);
	c = class_of(&t, CL(1, 0x3));
	assert_non_null(c);
	assert_int_equal(c->parent, CL(1, 0x1));
	assert_int_equal(c->depth, 1);
	tree_free(&t);

	/* the wan: the nodes' upload caps */
	assert_int_equal(tree_desired(&tp.plan, XS_WAN, &t), 0);
	assert_int_equal(class_of(&t, CL(0, 0x4))->rate, 6250000);
	assert_int_equal(class_of(&t, CL(0, 0x5))->ceil, 2500000);
	tree_free(&t);
}

static void test_desired_errors(void **state)
{
	struct spec v[SPECS_MAX];
	struct test_plan tp;
	struct xs_config cfg;
	struct tree t;
	size_t i;

	config(&cfg);
	memcpy(v, flat, sizeof(flat));
	v[1].txq = 2;
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, v, NFLAT), XS_LAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "customer 1002: txq 2 minor 3 out of range"));

	memcpy(v, flat, sizeof(flat));
	v[1].txq = 0; /* 7000:3 twice */
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, v, NFLAT), XS_LAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "customer 1001 and customer 1002 share classid 7000:3") ||
			strstr(last_err, "customer 1002 and customer 1001 share classid 7000:3"));
	assert_null(t.classes);

	/* a node and its parent in two trees (its customers with it) */
	memcpy(v, nested, sizeof(nested));
	v[1].txq = v[2].txq = v[3].txq = 1;
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, v, NNESTED), XS_LAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "node 'AP' is on TX queue 1, its parent node 'S' on 0"));

	/* a parent that is not a node, a depth that is not the parent's + 1 */
	memcpy(v, nested, sizeof(nested));
	plan_make(&tp, &cfg, v, NNESTED);
	tp.classes[3].parent = 2;
	assert_int_equal(tree_desired(&tp.plan, XS_LAN, &t), -EINVAL);
	assert_non_null(
		strstr(last_err, "customer 1002: its parent, class 2 of the plan, is not a node"));
	plan_make(&tp, &cfg, v, NNESTED);
	tp.classes[2].depth = 0;
	assert_int_equal(tree_desired(&tp.plan, XS_LAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "customer 1001: the plan says 0 nodes are above it, its "
					 "parents say 2"));

	/* a node without a cap on this link */
	v[1].up_rate = v[1].up_ceil = 0;
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, v, NNESTED), XS_WAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "node 'AP': rate and ceil must be at least 8 bit/s"));

	/* seven nodes above a customer: one level more than HTB nests */
	for (i = 0; i < 7; i++)
		v[i] = (struct spec)NODE("N", (int)i - 1, 0, 3 + (uint32_t)i, 100 * M, 100 * M);
	v[7] = (struct spec)CUST("1001", 6, 0, 10, M, M, M, M);
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, v, 8), XS_LAN, &t), -EINVAL);
	assert_non_null(strstr(last_err, "customer 1001: 7 nodes above it; HTB nests at most 6"));
	/* six will do */
	v[6] = (struct spec)CUST("1001", 5, 0, 10, M, M, M, M);
	assert_int_equal(tree_desired(plan_make(&tp, &cfg, v, 7), XS_LAN, &t), 0);
	assert_int_equal(class_of(&t, CL(0, 0xa))->depth, 7);
	tree_free(&t);
}

static void test_diff_from_scratch(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	want_of(&cfg, flat, NFLAT, &want);
	live_empty(&live, 4);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.counts.added, 3);
	assert_int_equal(d.ndelete, 0);
	/* mq, 2 htb, 4 root and default classes, 3 customers; pfifo needs no leaf */
	assert_int_equal(d.ncreate, 1 + 2 + 4 + 3);
	assert_int_equal(d.create[0].type, TREE_OP_ROOT);
	/* the trees in TX queue order */
	assert_int_equal(d.create[1].type, TREE_OP_HTB);
	assert_int_equal(d.create[1].handle, CL(0, 0x0));
	assert_int_equal(d.create[1].parent, 0x7fff0001);
	assert_int_equal(d.create[2].type, TREE_OP_CLASS_CREATE);
	assert_int_equal(d.create[2].cls.classid, CL(0, 0x1));
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_LEAF_CREATE), 0);
	tree_diff_free(&d);

	/* fq_codel: one leaf per customer and default class, the lowest leaf handles first */
	want.leaf = LEAF_FQ_CODEL;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_LEAF_CREATE), 5);
	assert_int_equal(d.create[3].type, TREE_OP_CLASS_CREATE); /* 7000:2 */
	assert_int_equal(d.create[4].type, TREE_OP_LEAF_CREATE);
	assert_int_equal(d.create[4].handle, nth_leaf(0));
	assert_int_equal(d.create[4].parent, CL(0, 0x2));
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/* Parents first, by depth, even where a node's minor is above its children's. */
static void test_diff_nested_from_scratch(void **state)
{
	struct xs_config cfg;
	struct tree want, live, bare;
	struct tree_diff d;
	size_t i;

	config(&cfg);
	want_of(&cfg, nested, NNESTED, &want);
	live_empty(&live, 4);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_class_ops(d.create, d.ncreate, TREE_OP_CLASS_CREATE, CL(0, 0x1), CL(0, 0x2), CL(0, 0x9),
			 CL(0, 0x5), CL(0, 0x7), CL(0, 0x3), CL(0, 0x4), CL(1, 0x1), CL(1, 0x2));
	assert_parents_first(&d, &live);
	assert_int_equal(d.counts.added, 3);
	assert_int_equal(d.counts.nodes_added, 2);
	assert_int_equal(d.ndelete, 0);
	tree_diff_free(&d);

	/* fq_codel: leaves for the customers and default classes, none for the nodes */
	want.leaf = LEAF_FQ_CODEL;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_LEAF_CREATE), 2 + 3);
	for (i = 0; i < d.ncreate; i++)
		if (d.create[i].type == TREE_OP_LEAF_CREATE)
			assert_true(d.create[i].parent != CL(0, 0x9) && d.create[i].parent != CL(0, 0x7));
	tree_diff_free(&d);
	want.leaf = LEAF_PFIFO;
	tree_free(&live);

	/* the same into kept trees that have only their root and default classes */
	want_of(&cfg, NULL, 0, &bare);
	live_from(&bare, &live);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_HTB), 0);
	assert_class_ops(d.create, d.ncreate, TREE_OP_CLASS_CREATE, CL(0, 0x9), CL(0, 0x5), CL(0, 0x7),
			 CL(0, 0x3), CL(0, 0x4));
	assert_int_equal(d.ncreate, 5);
	assert_parents_first(&d, &live);
	assert_int_equal(d.create[0].parent, CL(0, 0x1));
	assert_int_equal(d.create[2].parent, CL(0, 0x9));
	assert_int_equal(d.create[3].parent, CL(0, 0x7));
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&bare);
	tree_free(&want);
}

static void test_diff_nothing_to_do(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	want_of(&cfg, flat, NFLAT, &want);
	live_from(&want, &live);
	/* an inner class ignores a quantum change and keeps dumping its old one: no change */
	live.classes[0].quantum = 1;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 0);
	assert_int_equal(d.ndelete, 0);
	assert_int_equal(d.counts.unchanged, 3);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/* A reload with nothing changed sends nothing, to nodes neither. */
static void test_diff_nested_nothing_to_do(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	want_of(&cfg, nested, NNESTED, &want);
	live_from(&want, &live);
	assert_int_equal(live_class(&live, CL(0, 0x1))->level, 7);
	assert_int_equal(live_class(&live, CL(0, 0x9))->level, 6);
	assert_int_equal(live_class(&live, CL(0, 0x7))->level, 5);
	assert_int_equal(live_class(&live, CL(0, 0x3))->level, 0);
	/* the quanta the nodes were created with, at caps since changed */
	live_class(&live, CL(0, 0x9))->quantum = 1514;
	live_class(&live, CL(0, 0x7))->quantum = 99999;
	live_class(&live, CL(0, 0x7))->prio = 3;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 0);
	assert_int_equal(d.ndelete, 0);
	assert_int_equal(d.counts.unchanged, 3);
	assert_int_equal(d.counts.nodes_unchanged, 2);
	assert_int_equal(d.counts.added + d.counts.changed + d.counts.removed, 0);
	assert_int_equal(d.counts.nodes_added + d.counts.nodes_changed, 0);
	tree_diff_free(&d);

	/* nor with fq_codel, whose leaves the nodes do not have */
	want.leaf = LEAF_FQ_CODEL;
	live_class(&live, CL(0, 0x2))->leaf = nth_leaf(0);
	live_class(&live, CL(0, 0x3))->leaf = nth_leaf(1);
	live_class(&live, CL(0, 0x4))->leaf = nth_leaf(2);
	live_class(&live, CL(0, 0x5))->leaf = nth_leaf(3);
	live_class(&live, CL(1, 0x2))->leaf = nth_leaf(4);
	live.qdiscs = realloc(live.qdiscs, (live.nqdiscs + 5) * sizeof(*live.qdiscs));
	live.qdiscs[live.nqdiscs++] =
		(struct tree_qdisc){ .handle = nth_leaf(0), .parent = CL(0, 0x2), .kind = "fq_codel" };
	live.qdiscs[live.nqdiscs++] =
		(struct tree_qdisc){ .handle = nth_leaf(1), .parent = CL(0, 0x3), .kind = "fq_codel" };
	live.qdiscs[live.nqdiscs++] =
		(struct tree_qdisc){ .handle = nth_leaf(2), .parent = CL(0, 0x4), .kind = "fq_codel" };
	live.qdiscs[live.nqdiscs++] =
		(struct tree_qdisc){ .handle = nth_leaf(3), .parent = CL(0, 0x5), .kind = "fq_codel" };
	live.qdiscs[live.nqdiscs++] =
		(struct tree_qdisc){ .handle = nth_leaf(4), .parent = CL(1, 0x2), .kind = "fq_codel" };
	sort_qdiscs(&live);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 0);
	assert_int_equal(d.ndelete, 0);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/* A node's cap changes: one in-place change of its class, and the next run has none. */
static void test_diff_node_cap_change(void **state)
{
	struct spec v[NNESTED];
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	memcpy(v, nested, sizeof(nested));
	v[1].down_rate = v[1].down_ceil = 8 * M;
	want_of(&cfg, v, NNESTED, &want);
	live_from(&want, &live);
	tree_free(&want);
	v[1].down_rate = v[1].down_ceil = 12 * M;
	want_of(&cfg, v, NNESTED, &want);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 1);
	assert_int_equal(d.create[0].type, TREE_OP_CLASS_CHANGE);
	assert_int_equal(d.create[0].cls.classid, CL(0, 0x7));
	assert_int_equal(d.create[0].parent, CL(0, 0x9));
	assert_int_equal(d.create[0].cls.rate, 12 * M / 8);
	assert_int_equal(d.ndelete, 0);
	assert_int_equal(d.counts.nodes_changed, 1);
	assert_int_equal(d.counts.nodes_unchanged, 1);
	assert_int_equal(d.counts.unchanged, 3);
	assert_int_equal(d.counts.changed, 0);
	/* the kernel takes the rates, keeps the quantum of the inner class */
	apply_changes(&d, &live);
	tree_diff_free(&d);
	assert_int_not_equal(live_class(&live, CL(0, 0x7))->quantum,
			     class_of(&want, CL(0, 0x7))->quantum);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate + d.ndelete, 0);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/* Site S with AP1 and AP2; 1001 under AP1, 1002 under AP2. */
static const struct spec two_aps[] = {
	NODE("S", -1, 0, 3, 400 * M, 200 * M),
	NODE("AP1", 0, 0, 4, 100 * M, 50 * M),
	NODE("AP2", 0, 0, 5, 100 * M, 50 * M),
	CUST("1001", 1, 0, 6, 10 * M, 50 * M, 4 * M, 20 * M),
	CUST("1002", 2, 0, 7, 5 * M, 20 * M, 2 * M, 8 * M),
};
#define NTWO_APS (sizeof(two_aps) / sizeof(two_aps[0]))

/* 1001 moves to AP2: a new class there in phase 1, the old one goes in phase 2. */
static void test_diff_customer_moved(void **state)
{
	struct spec v[NTWO_APS];
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	want_of(&cfg, two_aps, NTWO_APS, &want);
	live_from(&want, &live);
	tree_free(&want);
	memcpy(v, two_aps, sizeof(two_aps));
	v[3].parent = 2;
	v[3].minor = 8;
	want_of(&cfg, v, NTWO_APS, &want);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 1);
	assert_int_equal(d.create[0].type, TREE_OP_CLASS_CREATE);
	assert_int_equal(d.create[0].cls.classid, CL(0, 0x8));
	assert_int_equal(d.create[0].parent, CL(0, 0x5));
	assert_int_equal(d.ndelete, 1);
	assert_int_equal(d.delete[0].type, TREE_OP_CLASS_DELETE);
	assert_int_equal(d.delete[0].cls.classid, CL(0, 0x6));
	assert_int_equal(d.delete[0].parent, CL(0, 0x4));
	assert_int_equal(d.counts.added, 1);
	assert_int_equal(d.counts.removed, 1);
	assert_int_equal(d.counts.unchanged, 1);
	assert_int_equal(d.counts.nodes_unchanged, 3);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/*
 * AP moves from S1 to S2: it and its customers get new minors, the AP's
 * above theirs. Created parent-first, the old ones deleted children-first.
 */
static void test_diff_node_moved(void **state)
{
	static const struct spec before[] = {
		NODE("S1", -1, 0, 3, 400 * M, 200 * M),
		NODE("S2", -1, 0, 4, 400 * M, 200 * M),
		NODE("AP", 0, 0, 5, 100 * M, 50 * M),
		CUST("1001", 2, 0, 6, 10 * M, 50 * M, 4 * M, 20 * M),
		CUST("1002", 2, 0, 7, 5 * M, 20 * M, 2 * M, 8 * M),
	};
	struct spec v[5];
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	want_of(&cfg, before, 5, &want);
	live_from(&want, &live);
	tree_free(&want);
	memcpy(v, before, sizeof(before));
	v[2].parent = 1;
	v[2].minor = 10;
	v[3].minor = 8;
	v[4].minor = 9;
	want_of(&cfg, v, 5, &want);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_class_ops(d.create, d.ncreate, TREE_OP_CLASS_CREATE, CL(0, 0xa), CL(0, 0x8), CL(0, 0x9));
	assert_int_equal(d.ncreate, 3);
	assert_int_equal(d.create[0].parent, CL(0, 0x4));
	assert_int_equal(d.create[1].parent, CL(0, 0xa));
	assert_parents_first(&d, &live);
	assert_class_ops(d.delete, d.ndelete, TREE_OP_CLASS_DELETE, CL(0, 0x6), CL(0, 0x7), CL(0, 0x5));
	assert_int_equal(d.ndelete, 3);
	assert_children_first(&d, &live);
	assert_int_equal(d.counts.added, 2);
	assert_int_equal(d.counts.nodes_added, 1);
	assert_int_equal(d.counts.removed, 3);
	assert_int_equal(d.counts.nodes_unchanged, 2);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/* A site and everything under it goes: children before parents, whatever the minors. */
static void test_diff_subtree_deleted(void **state)
{
	static const struct spec before[] = {
		NODE("S", -1, 0, 3, 400 * M, 200 * M),
		NODE("AP", 0, 0, 4, 100 * M, 50 * M),
		CUST("1001", 1, 0, 5, 10 * M, 50 * M, 4 * M, 20 * M),
		CUST("1002", 1, 0, 6, 5 * M, 20 * M, 2 * M, 8 * M),
		CUST("1003", -1, 0, 7, 2 * M, 8 * M, 1 * M, 3 * M),
	};
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;

	config(&cfg);
	want_of(&cfg, before, 5, &want);
	live_from(&want, &live);
	tree_free(&want);
	want_of(&cfg, &before[4], 1, &want);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 0);
	assert_class_ops(d.delete, d.ndelete, TREE_OP_CLASS_DELETE, CL(0, 0x5), CL(0, 0x6), CL(0, 0x4),
			 CL(0, 0x3));
	assert_int_equal(d.ndelete, 4);
	assert_children_first(&d, &live);
	assert_int_equal(d.counts.removed, 4);
	assert_int_equal(d.counts.unchanged, 1);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/* A live class under another parent than the plan's, or under none: the tree is rebuilt. */
static void test_diff_wrong_parent(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;
	size_t i, del = SIZE_MAX, add = SIZE_MAX;

	config(&cfg);
	want_of(&cfg, two_aps, NTWO_APS, &want);
	live_from(&want, &live);
	/*
	 * A customer's class under another node (a full tree gave a moved
	 * customer its own old minor): that one class is made again, deleted
	 * first in phase 1 and created under its parent; the tree stays.
	 */
	live_class(&live, CL(0, 0x7))->parent = CL(0, 0x4); /* 1002 under AP1 */
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_false(htb_rebuilt(&d, 0));
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_HTB_RESET), 0);
	assert_class_ops(d.create, d.ncreate, TREE_OP_CLASS_DELETE, CL(0, 0x7));
	assert_class_ops(d.create, d.ncreate, TREE_OP_CLASS_CREATE, CL(0, 0x7));
	for (i = 0; i < d.ncreate; i++) {
		if (d.create[i].type == TREE_OP_CLASS_DELETE)
			del = i;
		if (d.create[i].type == TREE_OP_CLASS_CREATE) {
			add = i;
			assert_int_equal(d.create[i].parent, CL(0, 0x5));
		}
	}
	assert_true(del < add);
	assert_int_equal(d.ndelete, 0);
	assert_int_equal(d.counts.unchanged, 1);
	assert_int_equal(d.counts.nodes_unchanged, 3);
	tree_diff_free(&d);

	/* a node (an inner class) under another parent: the tree is rebuilt */
	live_class(&live, CL(0, 0x7))->parent = CL(0, 0x5);
	live_class(&live, CL(0, 0x5))->parent = CL(0, 0x4); /* AP2 under AP1 */
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_HTB_RESET), 1);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_HTB), 1);
	assert_true(htb_rebuilt(&d, 0));
	assert_class_ops(d.create, d.ncreate, TREE_OP_CLASS_CREATE, CL(0, 0x1), CL(0, 0x2), CL(0, 0x3),
			 CL(0, 0x4), CL(0, 0x5), CL(0, 0x6), CL(0, 0x7));
	assert_parents_first(&d, &live);
	assert_int_equal(d.ndelete, 0); /* the reset takes the old classes */
	assert_int_equal(d.counts.added, 2);
	assert_int_equal(d.counts.nodes_added, 3);
	tree_diff_free(&d);
	live_class(&live, CL(0, 0x5))->parent = CL(0, 0x3);

	/* a parent that is not there */
	live_class(&live, CL(0, 0x7))->parent = CL(0, 0x5);
	live_class(&live, CL(0, 0x6))->parent = CL(0, 0x20);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_true(htb_rebuilt(&d, 0));
	assert_false(htb_rebuilt(&d, 1));
	tree_diff_free(&d);

	/* a class of no plan under a customer is not wrong, only not wanted */
	live_class(&live, CL(0, 0x6))->parent = CL(0, 0x4);
	live_add(&live, CL(0, 0x30), CL(0, 0x6));
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_false(htb_rebuilt(&d, 0));
	assert_int_equal(d.ncreate, 0);
	assert_class_ops(d.delete, d.ndelete, TREE_OP_CLASS_DELETE, CL(0, 0x30));
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/*
 * A customer's class with a child of no plan (put there by hand) is inner:
 * HTB refuses it a leaf qdisc, and ignores its quantum, until the child
 * is gone. So its leaf comes in phase 2, after the delete.
 */
static void test_diff_leaf_again(void **state)
{
	struct xs_config cfg;
	struct tree want, live;
	struct tree_diff d;
	size_t i, n = 0;

	config(&cfg);
	cfg.leaf_qdisc = LEAF_FQ_CODEL;
	want_of(&cfg, flat, NFLAT, &want);
	live_from(&want, &live);
	/* fq_codel leaves on the default and customer classes */
	live.qdiscs = realloc(live.qdiscs, (live.nqdiscs + want.nclasses) * sizeof(*live.qdiscs));
	for (i = 0; i < live.nclasses; i++) {
		struct tree_class *c = &live.classes[i];

		if (c->level)
			continue;
		c->leaf = nth_leaf(n++);
		live.qdiscs[live.nqdiscs++] = (struct tree_qdisc){ .handle = c->leaf,
								   .parent = c->classid,
								   .kind = "fq_codel" };
	}
	sort_qdiscs(&live);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate + d.ndelete, 0);
	tree_diff_free(&d);

	/* 7000:4 (1003) gets a child, loses its leaf; the kernel keeps its old quantum */
	live_add(&live, CL(0, 0x30), CL(0, 0x4));
	live_class(&live, CL(0, 0x4))->quantum = 4000;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 0);
	assert_int_equal(d.ndelete, 3);
	assert_int_equal(d.delete[0].type, TREE_OP_CLASS_DELETE);
	assert_int_equal(d.delete[0].cls.classid, CL(0, 0x30));
	assert_int_equal(d.delete[1].type, TREE_OP_CLASS_CHANGE);
	assert_int_equal(d.delete[1].cls.classid, CL(0, 0x4));
	assert_int_equal(d.delete[1].cls.quantum, class_of(&want, CL(0, 0x4))->quantum);
	assert_int_equal(d.delete[2].type, TREE_OP_LEAF_CREATE);
	assert_int_equal(d.delete[2].parent, CL(0, 0x4));
	assert_int_equal(d.delete[2].handle, nth_leaf(n));
	assert_int_equal(d.counts.changed, 1);
	assert_int_equal(d.counts.removed, 1);
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
	want_of(&cfg, flat, NFLAT, &want);
	live_from(&want, &live);
	live.classes[2].rate /= 2; /* 7000:3 */
	live.classes[3].buffer++; /* 7000:4 */
	live.classes[1].quantum--; /* 7000:2, the default class */
	/* a customer that is gone: b377:9, appended in classid order */
	live.classes = realloc(live.classes, (live.nclasses + 1) * sizeof(*live.classes));
	extra = &live.classes[live.nclasses++];
	*extra = live.classes[live.nclasses - 2];
	extra->classid = CL(1, 0x9);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 3);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_CLASS_CHANGE), 3);
	assert_int_equal(d.counts.changed, 2); /* customers only */
	assert_int_equal(d.counts.unchanged, 1);
	assert_int_equal(d.counts.removed, 1);
	assert_int_equal(d.ndelete, 1);
	assert_int_equal(d.delete[0].type, TREE_OP_CLASS_DELETE);
	assert_int_equal(d.delete[0].cls.classid, CL(1, 0x9));
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
	want_of(&cfg, flat, NFLAT, &want);
	live_from(&want, &live);
	/* 7000:3 has a bfifo 9000: someone put there */
	live.qdiscs = realloc(live.qdiscs, (live.nqdiscs + 1) * sizeof(*live.qdiscs));
	live.qdiscs[live.nqdiscs++] =
		(struct tree_qdisc){ .handle = 0x90000000, .parent = CL(0, 0x3), .kind = "bfifo" };
	live.classes[2].leaf = 0x90000000;
	sort_qdiscs(&live);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(d.ncreate, 1);
	assert_int_equal(d.create[0].type, TREE_OP_LEAF_DELETE);
	assert_int_equal(d.create[0].handle, 0x90000000);
	assert_int_equal(d.create[0].parent, CL(0, 0x3));
	assert_int_equal(d.counts.changed, 1);
	tree_diff_free(&d);

	/* sfq wanted: every leaf is replaced, with handles free on the device */
	want.leaf = LEAF_SFQ;
	for (size_t i = 0; i < live.nqdiscs; i++)
		if (live.qdiscs[i].handle == 0x90000000)
			live.qdiscs[i].handle = nth_leaf(0); /* take the first leaf handle */
	live.classes[2].leaf = nth_leaf(0);
	sort_qdiscs(&live);
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_LEAF_CREATE), 5);
	assert_int_equal(d.create[0].handle, nth_leaf(1));
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
	want_of(&cfg, flat, NFLAT, &want);
	live_from(&want, &live);
	tree_free(&want);
	cfg.queues_per_cpu = 1;
	want_of(&cfg, flat, NFLAT, &want);
	/* htb 1: lost its default class setting */
	for (i = 0; i < live.nqdiscs; i++)
		if (live.qdiscs[i].handle == CL(0, 0x0))
			live.qdiscs[i].defcls = 9;
	assert_int_equal(tree_diff(&live, &want, &d), 0);
	/* tree 1 rebuilt: reset, htb, 7000:1 7000:2 7000:3 7000:4 */
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_HTB_RESET), 1);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_HTB), 1);
	assert_int_equal(count_ops(d.create, d.ncreate, TREE_OP_CLASS_CREATE), 4);
	/* trees 3: and 4: are past the 2 TX queues wanted: the newer first */
	assert_int_equal(d.ndelete, 2);
	assert_int_equal(d.delete[0].type, TREE_OP_HTB_REMOVE);
	assert_int_equal(d.delete[0].parent, 0x7fff0004);
	assert_int_equal(d.delete[1].parent, 0x7fff0003);
	tree_diff_free(&d);
	tree_free(&live);
	tree_free(&want);
}

/* The kernel's bucket of a qdisc handle: hash_32(handle, 4) of its 16-bucket qdisc_hash. */
static unsigned int kernel_bucket(uint32_t handle)
{
	return (uint32_t)(handle * 0x61C88647U) >> 28;
}

/*
 * Every TX queue has an HTB major of its own, all of them in one bucket of
 * the kernel's qdisc hash, one no leaf handle and not HTB's own pfifo
 * leaves (handle 0) fall in; the inverse finds the TX queue back.
 */
static void test_classid_layout(void **state)
{
	static uint8_t seen[0x10000];
	uint32_t txq, major, leaves = 0;

	(void)state;
	for (txq = 0; txq < XS_MAX_TXQS; txq++) {
		major = xs_htb_major(txq);
		assert_true(major != 0 && major != 0xffff && major != XS_MQ_MAJOR);
		assert_false(seen[major]);
		seen[major] = 1;
		assert_int_equal(xs_major_txq(major), txq);
		assert_int_equal(xs_classid_txq(xs_classid(txq, 77)), txq);
		assert_int_equal(kernel_bucket(xs_htb_handle(txq)), 1);
		assert_false(tree_leaf_major(major));
	}
	assert_int_not_equal(kernel_bucket(0), 1);
	for (major = 0; major <= 0xffff; major++) {
		if (!tree_leaf_major(major))
			continue;
		leaves++;
		assert_false(seen[major]);
		assert_true(xs_major_txq(major) >= XS_MAX_TXQS);
		assert_int_not_equal(kernel_bucket(major << 16), 1);
	}
	assert_int_equal(leaves, TREE_LEAF_MAJORS);
	assert_int_equal(TREE_LEAF_MAJORS, 61437);
	assert_int_equal(xs_htb_handle(0), 0x70000000);
}

/*
 * stop retires the trees in exactly the reverse of the order a build
 * creates them, and so does a reload that removes trees.
 */
static void test_teardown_order(void **state)
{
	static const struct spec four[] = {
		CUST("1001", -1, 0, 3, 10 * M, 50 * M, 4 * M, 20 * M),
		CUST("1002", -1, 1, 3, 5 * M, 20 * M, 2 * M, 8 * M),
		CUST("1003", -1, 2, 3, 2 * M, 8 * M, 1 * M, 3 * M),
		CUST("1004", -1, 3, 3, 2 * M, 8 * M, 1 * M, 3 * M),
	};
	struct xs_config cfg;
	struct tree want, live, empty, two;
	struct tree_diff d;
	uint32_t built[XS_MAX_TXQS], *order;
	size_t i, nbuilt = 0, n;

	config(&cfg);
	cfg.queues_per_cpu = 2;
	want_of(&cfg, four, 4, &want);
	live_empty(&empty, 4);
	assert_int_equal(tree_diff(&empty, &want, &d), 0);
	for (i = 0; i < d.ncreate; i++)
		if (d.create[i].type == TREE_OP_HTB)
			built[nbuilt++] = d.create[i].parent;
	assert_int_equal(nbuilt, 4);
	/* the build goes in TX queue order */
	for (i = 0; i < nbuilt; i++)
		assert_int_equal(built[i], xs_mq_class((uint32_t)i));
	live_from(&want, &live);
	assert_int_equal(tree_teardown_order(&live, &order, &n), 0);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++)
		assert_int_equal(order[i], built[n - 1 - i]);
	free(order);
	tree_diff_free(&d);

	/* down to 2 trees: the other two go, the newer of them first */
	cfg.queues_per_cpu = 1;
	want_of(&cfg, four, 2, &two);
	assert_int_equal(tree_diff(&live, &two, &d), 0);
	assert_int_equal(count_ops(d.delete, d.ndelete, TREE_OP_HTB_REMOVE), 2);
	assert_int_equal(d.delete[d.ndelete - 2].parent, built[3]);
	assert_int_equal(d.delete[d.ndelete - 1].parent, built[2]);
	tree_diff_free(&d);
	tree_free(&two);
	tree_free(&live);
	tree_free(&empty);
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
	want_of(&cfg, flat, NFLAT, &want);
	live_empty(&live, 4);
	assert_int_equal(tree_diff(&live, &want, &d), -EINVAL);
	assert_non_null(strstr(last_err, "lan0: has 4 TX queues, xshaper needs 6"));
	assert_non_null(strstr(last_err, "ethtool -L lan0 tx 6"));
	assert_non_null(strstr(last_err, "or lower queues_per_cpu"));
	tree_free(&want);
	/* one CPU, one tree: one TX queue in use will do, on a multiqueue device */
	cfg.ncpus = 1;
	cfg.queues_per_cpu = 1;
	want_of(&cfg, NULL, 0, &want);
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
	want_of(&cfg, flat, NFLAT, &want);
	live_from(&want, &live);
	live.qdiscs = realloc(live.qdiscs, (live.nqdiscs + 0x10000) * sizeof(*live.qdiscs));
	for (major = TREE_LEAF_MAJOR_FIRST; major <= TREE_LEAF_MAJOR_LAST; major++) {
		if (!tree_leaf_major(major))
			continue;
		live.qdiscs[live.nqdiscs + n++] = (struct tree_qdisc){ .handle = major << 16,
								       .parent = CL(6, 0x0),
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

/* The placements of a plan of specs, as plan_save would write them (sorted by kind, then id). */
/* As plan_load sorts them: by kind, then id. */
static int placement_order(const void *a, const void *b)
{
	const struct placement *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->kind == PLAN_CUSTOMER ? customer_id_cmp(x->id, y->id) : strcmp(x->id, y->id);
}

static void placements_of(const struct spec *v, size_t n, struct placement *out,
			  struct placements *placed)
{
	size_t i, j, k = 0;

	for (j = 0; j < 2; j++) {
		enum plan_kind kind = j ? PLAN_CUSTOMER : PLAN_NODE;

		for (i = 0; i < n; i++) {
			if (v[i].kind != kind)
				continue;
			out[k++] = (struct placement){
				.kind = kind,
				.id = (char *)v[i].id,
				.parent = v[i].parent < 0 ? NULL : (char *)v[v[i].parent].id,
				.name = (char *)"",
				.txq = v[i].txq,
				.minor = v[i].minor,
			};
		}
	}
	qsort(out, k, sizeof(*out), placement_order);
	placed->v = out;
	placed->n = k;
}

static bool has_problem(const struct problems *p, const char *text)
{
	unsigned int i;

	for (i = 0; i < p->n && i < XS_PROBLEMS_KEPT; i++)
		if (strstr(p->v[i].text, text))
			return true;
	return false;
}

static void test_verify(void **state)
{
	/* nested, and an empty AP2 (names sort "AP" < "AP2" < "S") and 1004 on tree 2 */
	static const struct spec v[] = {
		NODE("S", -1, 0, 9, 400 * M, 200 * M),
		NODE("AP", 0, 0, 7, 100 * M, 50 * M),
		NODE("AP2", 0, 0, 6, 100 * M, 50 * M),
		CUST("1001", 1, 0, 3, 10 * M, 50 * M, 4 * M, 20 * M),
		CUST("1002", 1, 0, 4, 5 * M, 20 * M, 2 * M, 8 * M),
		CUST("1003", 0, 0, 5, 2 * M, 8 * M, 1 * M, 3 * M),
		CUST("1004", -1, 1, 3, 2 * M, 8 * M, 1 * M, 3 * M),
	};
	struct placement pv[7];
	struct placements placed;
	struct problems p = { 0 };
	size_t i;
	struct xs_config cfg;
	struct tree want, live;

	config(&cfg);
	want_of(&cfg, v, 7, &want);
	placements_of(v, 7, pv, &placed);
	live_from(&want, &live);
	tree_verify(&live, &cfg, &placed, &p);
	assert_int_equal(p.n, 0);

	live_remove(&live, CL(0, 0x3));
	live_remove(&live, CL(0, 0x6));
	live_class(&live, CL(0, 0x4))->parent = CL(0, 0x9);
	live_class(&live, CL(1, 0x3))->parent = CL(1, 0x2);
	tree_verify(&live, &cfg, &placed, &p);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.repairable, 4);
	assert_true(has_problem(&p, "lan0: class 7000:3 of customer 1001 is missing: its packets "
				    "fall into the default class"));
	assert_true(has_problem(&p, "lan0: class 7000:6 of node 'AP2' is missing: "));
	assert_true(has_problem(&p, "lan0: class 7000:4 of customer 1002 is under 7000:9, not under "
				    "class 7000:7 of node 'AP'"));
	assert_true(has_problem(&p, "lan0: class b377:3 of customer 1004 is under b377:2, not under the "
				    "root class b377:1"));

	/* a class under a class that is not there: its tree is broken */
	memset(&p, 0, sizeof(p));
	live_class(&live, CL(0, 0x5))->parent = CL(0, 0x20);
	tree_verify(&live, &cfg, &placed, &p);
	assert_true(has_problem(&p, "lan0: the HTB tree of TX queue 0 is missing or broken"));
	assert_true(has_problem(&p, "lan0: class 7000:5 of customer 1003 is under 7000:20, not under "
				    "class 7000:9 of node 'S'"));
	assert_false(has_problem(&p, "TX queue 1"));

	/* xshaper 0.1.0's tree of TX queue 1: htb 2: */
	memset(&p, 0, sizeof(p));
	for (i = 0; i < live.nqdiscs; i++)
		if (live.qdiscs[i].handle == xs_htb_handle(1))
			live.qdiscs[i].handle = 0x20000;
	tree_verify(&live, &cfg, &placed, &p);
	assert_true(has_problem(&p, "lan0: the HTB tree of TX queue 1 has xshaper 0.1.0's "
				    "classids (htb 2:, now b377:)"));
	tree_free(&live);
	tree_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_classid_layout),
		cmocka_unit_test(test_teardown_order),
		cmocka_unit_test(test_quantum),
		cmocka_unit_test(test_desired),
		cmocka_unit_test(test_desired_nested),
		cmocka_unit_test(test_desired_errors),
		cmocka_unit_test(test_diff_from_scratch),
		cmocka_unit_test(test_diff_nested_from_scratch),
		cmocka_unit_test(test_diff_nothing_to_do),
		cmocka_unit_test(test_diff_nested_nothing_to_do),
		cmocka_unit_test(test_diff_changes),
		cmocka_unit_test(test_diff_node_cap_change),
		cmocka_unit_test(test_diff_customer_moved),
		cmocka_unit_test(test_diff_node_moved),
		cmocka_unit_test(test_diff_subtree_deleted),
		cmocka_unit_test(test_diff_wrong_parent),
		cmocka_unit_test(test_diff_leaf_again),
		cmocka_unit_test(test_diff_leaf_kind),
		cmocka_unit_test(test_diff_broken_and_retired_trees),
		cmocka_unit_test(test_diff_errors),
		cmocka_unit_test(test_verify),
	};

	log_set_sink(sink);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
