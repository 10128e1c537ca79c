// SPDX-License-Identifier: GPL-2.0-only
/*
 * The desired tree of an interface and its difference to the live one.
 * Nothing here talks to the kernel; shaper/tree_nl.c reads and applies.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pkt_sched.h>
#include <netlink/utils.h>

#include "common/handle.h"
#include "common/log.h"
#include "common/problems.h"
#include "shaper/tree.h"

/* An Ethernet frame at the usual MTU: the unit bursts and quanta are floored to. */
#define FRAME_BYTES 1514U
/* The least rate of a class, in bit/s: the kernel keeps rates in bytes/s. */
#define RATE_MIN 8U
/* Classes missing (or misplaced) that tree_verify names; the rest are counted. */
#define MISSING_SHOWN 4U

/*
 * Burst and cburst: how many bytes a class may send back to back.
 *
 * HTB refills a class's buckets from the time that passed since it last
 * sent, capped at the bucket size, and a class only sends when the qdisc
 * is dequeued: on TX completion, when the watchdog hrtimer fires, or on
 * the next enqueue. On a loaded CPU that service lags by up to a jiffy
 * (1 ms at HZ=1000) plus softirq latency. Whatever the rate earns in that
 * gap beyond the bucket size is lost, and the class falls short of its
 * rate; so the bucket holds BURST_US of the rate. Slow classes get at
 * least BURST_MIN_FRAMES full frames, so that a short train (a GSO
 * segment, a few TCP packets) does not wait a token period per frame.
 * (tc's default, rate / HZ + MTU, is the same idea, but it reads HZ from
 * the psched clock, 1 GHz with hrtimers, and collapses to one MTU, which
 * is also what libnl sends when no buffer is given.)
 *
 *   10 Gbit/s: 1.25 MB   1 Gbit/s: 125 kB   100 Mbit/s: 12.5 kB
 *   10 Mbit/s and below: 6056 B (4 frames)
 */
#define BURST_US	 1000U
#define BURST_MIN_FRAMES 4U

uint32_t tree_burst(uint64_t rate)
{
	uint64_t b = rate * BURST_US / 1000000;

	if (b < BURST_MIN_FRAMES * FRAME_BYTES)
		b = BURST_MIN_FRAMES * FRAME_BYTES;
	if (b > INT32_MAX) /* libnl carries the buffer in an int */
		b = INT32_MAX;
	return (uint32_t)b;
}

/*
 * Quantum: the bytes a class may send per round while it borrows from its
 * parent, i.e. how spare bandwidth is shared among siblings (DRR). The
 * kernel's default is rate / r2q with r2q = 10, clamped to 1000..200000
 * with a warning in the kernel log for every class outside that range. We
 * keep the proportion (spare bandwidth shared as the guaranteed rates are)
 * but pass the quantum explicitly, so nothing is logged, clamped to one
 * full frame (a class can always send a packet per round; below that it
 * needs several rounds per packet) and 200000 bytes (beyond that one class
 * holds a round for too long: 1.6 ms at 1 Gbit/s).
 */
#define QUANTUM_MAX 200000U

uint32_t tree_quantum(uint64_t rate)
{
	uint64_t q = rate / TREE_R2Q;

	if (q < FRAME_BYTES)
		q = FRAME_BYTES;
	if (q > QUANTUM_MAX)
		q = QUANTUM_MAX;
	return (uint32_t)q;
}

/*
 * The kernel keeps HTB buffers as the time the bucket takes to fill, in
 * psched ticks, and dumps them back in ticks; libnl converts our bytes
 * with truncation to whole microseconds on the way in. Comparing live and
 * desired in ticks, converted exactly as libnl converts them, makes an
 * unchanged class compare equal instead of drifting by a rounding step.
 */
uint32_t tree_ticks(uint32_t bytes, uint64_t rate)
{
	int us;

	if (!rate)
		return 0;
	us = (int)(((double)bytes / (double)rate) * 1000000.0);
	return nl_us2ticks((uint32_t)us);
}

bool tree_leaf_known(const struct tree *live, enum leaf_qdisc leaf)
{
	size_t i;

	if (leaf == LEAF_PFIFO)
		return true;
	for (i = 0; i < live->nqdiscs; i++)
		if (!strcmp(live->qdiscs[i].kind, leaf_qdisc_name(leaf)))
			return true;
	return false;
}

/*
 * HTB nests classes TC_HTB_MAXDEPTH levels deep: it refuses a new class
 * whose grandparent is below level 2, and an inner class's level is one
 * less than its parent's, the root class's TC_HTB_MAXDEPTH - 1. So the
 * deepest class sits DEPTH_MAX below the root class.
 */
#define DEPTH_MAX (TC_HTB_MAXDEPTH - 1)

/* The pass of a by-depth walk that takes c: all of them, whatever a caller filled in. */
static unsigned int depth_pass(const struct tree_class *c)
{
	return c->depth < DEPTH_MAX ? c->depth : DEPTH_MAX;
}

static void class_set(struct tree_class *c, uint32_t classid, uint32_t parent, uint64_t rate_bps,
		      uint64_t ceil_bps, uint32_t cls, enum tree_class_kind kind,
		      unsigned int depth)
{
	memset(c, 0, sizeof(*c));
	c->classid = classid;
	c->parent = parent;
	c->rate = rate_bps / 8;
	c->ceil = ceil_bps / 8;
	c->burst = tree_burst(c->rate);
	c->cburst = tree_burst(c->ceil);
	c->buffer = tree_ticks(c->burst, c->rate);
	c->cbuffer = tree_ticks(c->cburst, c->ceil);
	c->quantum = tree_quantum(c->rate);
	c->cls = cls;
	c->kind = (uint8_t)kind;
	c->depth = (uint8_t)depth;
}

/* struct tree_class and the stats of cmd/report.c begin with it */
_Static_assert(offsetof(struct tree_class, classid) == 0, "classid first");
_Static_assert(((XS_MQ_MAJOR * XS_MAJOR_MUL) & 0xffff) >> 12 != XS_HTB_PRODUCT >> 12,
	       "the mq major is no HTB major");

int tree_classid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* "customer 1001", "node 'AP1'": a class in messages */
#define CLASS_NAME_LEN (NETWORK_NAME_MAX + 16)

static const char *class_name(const struct plan *plan, const struct plan_class *pc, char *buf,
			      size_t len)
{
	if (pc->kind == PLAN_NODE)
		snprintf(buf, len, "node '%s'", plan_class_id(plan, pc));
	else
		snprintf(buf, len, "customer %s", plan_class_id(plan, pc));
	return buf;
}

/*
 * Where plan class pc hangs, after checking what the diff relies on: a
 * parent that is a node of the same HTB tree, and a depth one more than
 * the parent's, so that creating by depth creates parents first.
 */
static int desired_parent(const struct plan *plan, const struct plan_class *pc, unsigned int ntxq,
			  const char *ifname, uint32_t *parent)
{
	char name[CLASS_NAME_LEN], up_name[CLASS_NAME_LEN];
	const struct plan_class *up;
	uint32_t depth = 0;

	class_name(plan, pc, name, sizeof(name));
	if (pc->txq >= ntxq || pc->minor < XS_FIRST_MINOR || pc->minor > XS_MAX_MINOR) {
		pr_err("%s: %s: txq %u minor %u out of range (txq < %u, minor %u..%u)\n", ifname,
		       name, pc->txq, pc->minor, ntxq, XS_FIRST_MINOR, XS_MAX_MINOR);
		return -EINVAL;
	}
	if (pc->parent == PLAN_NONE) {
		*parent = xs_classid(pc->txq, XS_ROOT_MINOR);
	} else {
		if (pc->parent >= plan->n || plan->classes[pc->parent].kind != PLAN_NODE) {
			pr_err("%s: %s: its parent, class %u of the plan, is not a node\n", ifname,
			       name, pc->parent);
			return -EINVAL;
		}
		up = &plan->classes[pc->parent];
		if (up->txq != pc->txq) {
			pr_err("%s: %s is on TX queue %u, its parent %s on %u: a class must be in "
			       "its parent's HTB tree\n",
			       ifname, name, pc->txq,
			       class_name(plan, up, up_name, sizeof(up_name)), up->txq);
			return -EINVAL;
		}
		*parent = xs_classid(up->txq, up->minor);
		depth = up->depth + 1;
	}
	if (pc->depth != depth) {
		pr_err("%s: %s: the plan says %u nodes are above it, its parents say %u\n", ifname,
		       name, pc->depth, depth);
		return -EINVAL;
	}
	if (depth + 1 > DEPTH_MAX) {
		pr_err("%s: %s: %u nodes above it; HTB nests at most %u between the root class "
		       "and a leaf\n",
		       ifname, name, depth, DEPTH_MAX - 1);
		return -EINVAL;
	}
	return 0;
}

int tree_desired(const struct plan *plan, enum xs_dir dir, struct tree *out)
{
	const struct xs_config *cfg = plan->cfg;
	uint64_t capacity = plan->links[dir].capacity;
	const char *ifname = plan->links[dir].ifname;
	uint64_t def_ceil = cfg->default_ceil ? cfg->default_ceil : capacity;
	struct tree_class *c;
	unsigned int txq, ntxq;
	size_t i, n = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (config_check_txqs(cfg))
		return -EINVAL;
	ntxq = config_txqs(cfg);
	if (capacity < RATE_MIN || cfg->default_rate < RATE_MIN) {
		pr_err("%s: capacity and default_rate must be at least %u bit/s\n", ifname,
		       RATE_MIN);
		return -EINVAL;
	}
	c = calloc(2 * (size_t)ntxq + plan->n + plan->nspares, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
	out->ntxq = ntxq;
	out->ncpus = cfg->ncpus;
	out->queues_per_cpu = cfg->queues_per_cpu;
	out->leaf = cfg->leaf_qdisc;
	out->classes = c;

	for (txq = 0; txq < ntxq; txq++) {
		class_set(&c[n++], xs_classid(txq, XS_ROOT_MINOR), xs_htb_handle(txq), capacity,
			  capacity, PLAN_NONE, TREE_ROOT, 0);
		class_set(&c[n++], xs_classid(txq, XS_DEFAULT_MINOR),
			  xs_classid(txq, XS_ROOT_MINOR), cfg->default_rate, def_ceil, PLAN_NONE,
			  TREE_DEFAULT, 1);
	}
	for (i = 0; i < plan->n; i++) {
		const struct plan_class *pc = &plan->classes[i];
		char name[CLASS_NAME_LEN];
		uint32_t parent;

		if (desired_parent(plan, pc, ntxq, ifname, &parent)) {
			err = -EINVAL;
			continue;
		}
		if (pc->rate[dir] < RATE_MIN || pc->ceil[dir] < RATE_MIN) {
			pr_err("%s: %s: rate and ceil must be at least %u bit/s\n", ifname,
			       class_name(plan, pc, name, sizeof(name)), RATE_MIN);
			err = -EINVAL;
			continue;
		}
		class_set(&c[n++], xs_classid(pc->txq, pc->minor), parent, pc->rate[dir],
			  pc->ceil[dir], (uint32_t)i,
			  pc->kind == PLAN_NODE ? TREE_NODE : TREE_CUSTOMER, 1 + pc->depth);
	}
	for (i = 0; i < plan->nspares; i++) {
		const struct plan_spare *sp = &plan->spares[i];
		const struct plan_class *up =
			sp->parent == PLAN_NONE ? NULL : &plan->classes[sp->parent];

		if (sp->txq >= ntxq || sp->minor < XS_FIRST_MINOR || sp->minor > XS_MAX_MINOR ||
		    (up && (up->kind != PLAN_NODE || up->txq != sp->txq))) {
			pr_err("%s: spare class %u of TX queue %u out of place\n", ifname,
			       sp->minor, sp->txq);
			err = -EINVAL;
			continue;
		}
		class_set(&c[n++], xs_classid(sp->txq, sp->minor),
			  up ? xs_classid(up->txq, up->minor) : xs_classid(sp->txq, XS_ROOT_MINOR),
			  cfg->default_rate, def_ceil, PLAN_NONE, TREE_SPARE,
			  up ? 2 + up->depth : 1);
	}
	out->nclasses = n;
	qsort(c, n, sizeof(*c), tree_classid_cmp);
	/* root and default classes cannot collide: plan minors start at XS_FIRST_MINOR */
	for (i = 1; i < n; i++) {
		char id[HANDLE_TEXT_LEN], a[CLASS_NAME_LEN], b[CLASS_NAME_LEN];

		if (c[i].classid != c[i - 1].classid)
			continue;
		pr_err("%s: %s and %s share classid %s\n", ifname,
		       c[i - 1].cls == PLAN_NONE
			       ? "a spare class"
			       : class_name(plan, &plan->classes[c[i - 1].cls], a, sizeof(a)),
		       c[i].cls == PLAN_NONE
			       ? "a spare class"
			       : class_name(plan, &plan->classes[c[i].cls], b, sizeof(b)),
		       handle_text(c[i].classid, id, sizeof(id)));
		err = -EINVAL;
	}
	if (err)
		tree_free(out);
	return err;
}

void tree_free(struct tree *t)
{
	free(t->classes);
	free(t->qdiscs);
	t->classes = NULL;
	t->qdiscs = NULL;
	t->nclasses = t->nqdiscs = 0;
}

void tree_diff_free(struct tree_diff *d)
{
	free(d->create);
	free(d->delete);
	d->create = d->delete = NULL;
	d->ncreate = d->ndelete = 0;
}

static const struct tree_class *find_class(const struct tree *t, uint32_t classid)
{
	struct tree_class key = { .classid = classid };

	if (!t->nclasses)
		return NULL;
	return bsearch(&key, t->classes, t->nclasses, sizeof(key), tree_classid_cmp);
}

int tree_qdisc_cmp(const void *a, const void *b)
{
	const struct tree_qdisc *x = a, *y = b;

	return x->handle < y->handle ? -1 : x->handle > y->handle;
}

static const struct tree_qdisc *find_qdisc(const struct tree *t, uint32_t handle)
{
	struct tree_qdisc key = { .handle = handle };

	if (!t->nqdiscs)
		return NULL;
	return bsearch(&key, t->qdiscs, t->nqdiscs, sizeof(key), tree_qdisc_cmp);
}

/* The live classes of the tree of TX queue txq: live->classes[*lo..*hi). */
static void live_range(const struct tree *live, unsigned int txq, size_t *lo, size_t *hi)
{
	size_t a = 0, b = live->nclasses;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (live->classes[mid].classid < xs_htb_handle(txq))
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	while (b < live->nclasses && xs_classid_txq(live->classes[b].classid) == txq)
		b++;
	*hi = b < a ? a : b;
}

bool tree_qdisc_is_our_root(const struct tree_qdisc *q)
{
	return q->parent == TC_H_ROOT && q->handle == xs_handle(XS_MQ_MAJOR, 0) &&
	       !strcmp(q->kind, "mq");
}

static bool root_is_ours(const struct tree *live)
{
	size_t i;

	for (i = 0; i < live->nqdiscs; i++)
		if (live->qdiscs[i].parent == TC_H_ROOT)
			return tree_qdisc_is_our_root(&live->qdiscs[i]);
	return false;
}

struct op_list {
	struct tree_op *v;
	size_t n, cap;
};

static struct tree_op *op_add(struct op_list *l, enum tree_op_type type, uint32_t handle,
			      uint32_t parent, const struct tree_class *cls)
{
	struct tree_op *op;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct tree_op *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	op = &l->v[l->n++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->handle = handle;
	op->parent = parent;
	if (cls)
		op->cls = *cls;
	return op;
}

static int op_append(struct op_list *dst, const struct op_list *src)
{
	if (!src->n)
		return 0;
	if (dst->n + src->n > dst->cap) {
		size_t cap = dst->n + src->n;
		struct tree_op *v = realloc(dst->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		dst->v = v;
		dst->cap = cap;
	}
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	return 0;
}

/* Leaf majors in use on the device, and the next one to try. */
struct handles {
	uint8_t used[0x10000 / 8];
	uint32_t next;
};

static void handle_mark(struct handles *h, uint32_t major)
{
	h->used[major / 8] |= 1U << (major % 8);
}

static bool handle_used(const struct handles *h, uint32_t major)
{
	return h->used[major / 8] & (1U << (major % 8));
}

static int handle_alloc(struct handles *h, const char *ifname, uint32_t *handle)
{
	for (; h->next <= TREE_LEAF_MAJOR_LAST; h->next++) {
		if (!tree_leaf_major(h->next) || handle_used(h, h->next))
			continue;
		handle_mark(h, h->next);
		*handle = xs_handle(h->next, 0);
		return 0;
	}
	pr_err("%s: no leaf qdisc handle left: an interface holds at most %u leaf qdiscs "
	       "(customers + TX queues); use leaf_qdisc = pfifo (no handle needed) or fewer "
	       "customers per interface\n",
	       ifname, TREE_LEAF_MAJORS);
	return -ENOSPC;
}

/* How a class of the plan fares in a diff, for struct tree_counts. */
enum fate {
	FATE_ADDED,
	FATE_CHANGED,
	FATE_UNCHANGED,
};

static void count_class(struct tree_counts *k, const struct tree_class *c, enum fate f)
{
	size_t *customers[] = { &k->added, &k->changed, &k->unchanged };
	size_t *nodes[] = { &k->nodes_added, &k->nodes_changed, &k->nodes_unchanged };

	if (c->kind == TREE_CUSTOMER)
		(*customers[f])++;
	else if (c->kind == TREE_NODE)
		(*nodes[f])++;
	else if (c->kind == TREE_SPARE)
		*(f == FATE_ADDED ? &k->spares_added : &k->spares_kept) += 1;
}

/*
 * HTB takes quantum and prio from a request only for a leaf class: an
 * inner one (level > 0) keeps, and dumps, the ones it had as a leaf and
 * ignores any change, so comparing them would change it on every run.
 * The root and the nodes are inner (an empty node is a leaf, but nothing
 * is steered to it). as_leaf: live is inner now, but a leaf again by the
 * time the change is sent (diff_kept_class).
 */
static bool class_differs(const struct tree_class *live, const struct tree_class *want,
			  bool as_leaf)
{
	if (live->rate != want->rate || live->ceil != want->ceil || live->buffer != want->buffer ||
	    live->cbuffer != want->cbuffer)
		return true;
	if (want->kind == TREE_ROOT || want->kind == TREE_NODE || (live->level && !as_leaf))
		return false;
	return live->quantum != want->quantum || live->prio != want->prio;
}

/*
 * The classes above a live class up to the root class of its tree, or -1
 * when its chain of parents leaves the tree of txq, names a class that is
 * not there, runs deeper than HTB nests or ends anywhere but at the root
 * class under TC_H_ROOT.
 */
static int live_depth(const struct tree *live, const struct tree_class *c, unsigned int txq)
{
	int depth = 0;

	while (xs_handle_minor(c->classid) != XS_ROOT_MINOR) {
		if (TC_H_MAJ(c->parent) != xs_htb_handle(txq) || depth == DEPTH_MAX)
			return -1;
		c = find_class(live, c->parent);
		if (!c)
			return -1;
		depth++;
	}
	return c->parent == TC_H_ROOT ? depth : -1;
}

/*
 * A tree is ours to keep when its HTB sits where the layout says and its
 * classes nest in it: every class's chain of parents ends at the root
 * class. With want, also every class that is live and wanted must hang
 * from the parent it should: HTB cannot move a class, and the plan gives
 * a class that moves a new minor, so only tampering gets here, and the
 * tree is rebuilt.
 */
static bool tree_intact(const struct tree *live, const struct tree_qdisc *slot, unsigned int txq,
			const struct tree *want)
{
	size_t i, lo, hi;

	if (!slot || slot->handle != xs_htb_handle(txq) || strcmp(slot->kind, "htb") ||
	    slot->defcls != XS_DEFAULT_MINOR)
		return false;
	live_range(live, txq, &lo, &hi);
	for (i = lo; i < hi; i++) {
		const struct tree_class *c = &live->classes[i], *w;

		if (live_depth(live, c, txq) < 0)
			return false;
		if (!want || xs_handle_minor(c->classid) == XS_ROOT_MINOR)
			continue;
		w = find_class(want, c->classid);
		/* a leaf under another parent is replaced alone (diff_kept_class) */
		if (w && w->parent != c->parent && c->level)
			return false;
	}
	return true;
}

struct diff_state {
	const struct tree *live, *want;
	const struct tree_qdisc **slots; /* qdisc on mq class XS_MQ_MAJOR:(txq+1) */
	struct handles *handles;
	struct op_list rebuild, replaced, added, changed, deleted;
	struct tree_diff *out;
};

/*
 * Classes with a leaf qdisc: the root and the nodes are inner classes. A
 * spare is made with HTB's own pfifo and keeps whatever leaf it has: a
 * leaf handle each would count against TREE_LEAF_MAJORS, and the customer
 * who gets it gets its leaf then, in phase 1 (a qdisc create walks no
 * filter block list).
 */
static bool has_leaf(const struct tree_class *want)
{
	return want->kind == TREE_DEFAULT || want->kind == TREE_CUSTOMER;
}

/* The leaf a desired class needs after it was created just now. */
static int leaf_for_new(struct diff_state *s, struct op_list *l, const struct tree_class *c)
{
	uint32_t handle;
	int err;

	if (!has_leaf(c) || s->want->leaf == LEAF_PFIFO)
		return 0;
	err = handle_alloc(s->handles, s->want->ifname, &handle);
	if (err)
		return err;
	return op_add(l, TREE_OP_LEAF_CREATE, handle, c->classid, c) ? 0 : -ENOMEM;
}

/*
 * The leaf of a kept class, into l: right kind, or replaced. Returns 1
 * when it changes. An inner class dumps no leaf (0), which is what it
 * has once its children are gone: HTB's own pfifo.
 */
static int leaf_for_kept(struct diff_state *s, struct op_list *l, const struct tree_class *lc,
			 const struct tree_class *c)
{
	const char *want = leaf_qdisc_name(s->want->leaf);
	const struct tree_qdisc *q;
	const char *have;
	uint32_t handle;
	int err;

	if (!has_leaf(c))
		return 0;
	if (!lc->leaf) {
		have = "pfifo"; /* HTB's own */
	} else {
		q = find_qdisc(s->live, lc->leaf);
		have = q ? q->kind : "";
	}
	if (!strcmp(have, want))
		return 0;
	if (s->want->leaf == LEAF_PFIFO) {
		/* deleting the leaf makes HTB graft its own pfifo */
		if (!op_add(l, TREE_OP_LEAF_DELETE, lc->leaf, c->classid, c))
			return -ENOMEM;
		return 1;
	}
	err = handle_alloc(s->handles, s->want->ifname, &handle);
	if (err)
		return err;
	if (!op_add(l, TREE_OP_LEAF_CREATE, handle, c->classid, c))
		return -ENOMEM;
	return 1;
}

/*
 * A tree built anew: its HTB (replacing whatever the mq slot holds), then
 * its classes by depth, each after its parent. old: a qdisc that already
 * has the HTB's handle (a broken tree of ours), deleted first.
 */
static int diff_rebuilt_tree(struct diff_state *s, unsigned int txq, const struct tree_qdisc *old,
			     size_t first, size_t end)
{
	struct op_list *l = &s->rebuild;
	unsigned int depth;
	size_t i;
	int err;

	if (old && !op_add(l, TREE_OP_HTB_RESET, old->handle, old->parent, NULL))
		return -ENOMEM;
	if (!op_add(l, TREE_OP_HTB, xs_htb_handle(txq), xs_mq_class(txq), NULL))
		return -ENOMEM;
	for (depth = 0; depth <= DEPTH_MAX; depth++) {
		for (i = first; i < end; i++) {
			const struct tree_class *c = &s->want->classes[i];

			if (depth_pass(c) != depth)
				continue;
			if (!op_add(l, TREE_OP_CLASS_CREATE, 0, c->parent, c))
				return -ENOMEM;
			err = leaf_for_new(s, l, c);
			if (err)
				return err;
			count_class(&s->out->counts, c, FATE_ADDED);
		}
	}
	return 0;
}

/*
 * One wanted class of a kept tree: created, changed in place or left
 * alone. late: what has to wait for phase 2's deletes.
 */
static int diff_kept_class(struct diff_state *s, const struct tree_class *c, struct op_list *late)
{
	const struct tree_class *lc = find_class(s->live, c->classid);
	struct op_list *l = &s->changed;
	bool leaf_again = false;
	int changed = 0, err;

	/*
	 * A leaf class that is wanted under another parent: HTB cannot move a
	 * class, so it is deleted first in phase 1 and made again under its
	 * new parent, after that parent. The plan gives a moved class a minor
	 * of its own; this is for a tree that had none left, and for classes
	 * changed by hand. Only its own packets notice: they fall into the
	 * default class for the few messages in between.
	 */
	if (lc && lc->parent != c->parent && !lc->level) {
		if (!op_add(&s->replaced, TREE_OP_CLASS_DELETE, 0, lc->parent, lc))
			return -ENOMEM;
		lc = NULL;
	}
	if (!lc) {
		if (!op_add(&s->added, TREE_OP_CLASS_CREATE, 0, c->parent, c))
			return -ENOMEM;
		err = leaf_for_new(s, &s->added, c);
		if (err)
			return err;
		count_class(&s->out->counts, c, FATE_ADDED);
		return 0;
	}
	/* a live spare stays as it is: nothing is steered to it, any rates do */
	if (c->kind == TREE_SPARE && !lc->level) {
		err = leaf_for_kept(s, &s->changed, lc, c);
		if (err < 0)
			return err;
		count_class(&s->out->counts, c, FATE_UNCHANGED);
		return 0;
	}
	/*
	 * A class that should be a leaf but has children in the kernel (put
	 * there by hand, or the minor of a node that is gone): its children
	 * are not wanted and go in phase 2, and only after that does HTB
	 * take a leaf qdisc, a quantum and a prio for it again. Until then
	 * its packets fall into the default class, as they would without it.
	 */
	if (lc->level && has_leaf(c)) {
		l = late;
		leaf_again = true;
	}
	if (class_differs(lc, c, leaf_again)) {
		if (!op_add(l, TREE_OP_CLASS_CHANGE, 0, c->parent, c))
			return -ENOMEM;
		changed = 1;
	}
	err = leaf_for_kept(s, l, lc, c);
	if (err < 0)
		return err;
	changed |= err;
	count_class(&s->out->counts, c, changed ? FATE_CHANGED : FATE_UNCHANGED);
	return 0;
}

/* Deletes, deepest first: HTB refuses to delete a class that has children. */
static int cmp_deepest_first(const void *a, const void *b)
{
	const struct tree_op *x = a, *y = b;

	if (x->cls.depth != y->cls.depth)
		return x->cls.depth > y->cls.depth ? -1 : 1;
	return tree_classid_cmp(&x->cls.classid, &y->cls.classid);
}

static int diff_kept_tree(struct diff_state *s, unsigned int txq, size_t first, size_t end)
{
	const struct tree *live = s->live;
	struct op_list late = {};
	size_t i, lo, hi, ndeleted = s->deleted.n;
	unsigned int depth;
	int err = 0;

	/* by depth: a new class after its new parent, even one of a higher minor */
	for (depth = 0; depth <= DEPTH_MAX; depth++) {
		for (i = first; i < end; i++) {
			if (depth_pass(&s->want->classes[i]) != depth)
				continue;
			err = diff_kept_class(s, &s->want->classes[i], &late);
			if (err)
				goto out;
		}
	}
	/* live classes of this tree that are no longer wanted, deepest (in the live tree) first */
	live_range(live, txq, &lo, &hi);
	for (i = lo; i < hi; i++) {
		const struct tree_class *lc = &live->classes[i];
		struct tree_op *op;

		if (find_class(s->want, lc->classid))
			continue;
		op = op_add(&s->deleted, TREE_OP_CLASS_DELETE, 0, lc->parent, lc);
		if (!op) {
			err = -ENOMEM;
			goto out;
		}
		/* >= 0: the tree is intact */
		op->cls.depth = (uint8_t)live_depth(live, lc, txq);
		if (xs_handle_minor(lc->classid) >= XS_FIRST_MINOR)
			s->out->counts.removed++;
	}
	if (s->deleted.n > ndeleted)
		qsort(s->deleted.v + ndeleted, s->deleted.n - ndeleted, sizeof(*s->deleted.v),
		      cmp_deepest_first);
	err = op_append(&s->deleted, &late);
out:
	free(late.v);
	return err;
}

/*
 * One HTB tree for each TX queue in use, all under an mq root; and the
 * kernel takes mq only on a multiqueue device, one that can have two TX
 * queues or more (num_tx_queues), however many are in use. So one CPU with
 * one tree works where one queue of several is in use ('ethtool -L tx 1'),
 * and not on a device that has only one (docs/operator-guide.md). Whether
 * the device falls short for ntxq trees; if so, why and the fix in buf.
 */
#define MQ_MIN_TXQS 2U

static bool queues_short(const struct tree *live, unsigned int ntxq, unsigned int ncpus,
			 unsigned int queues_per_cpu, char *buf, size_t len)
{
	unsigned int max = live->dev_max_txqs ? live->dev_max_txqs : live->dev_txqs;
	const char *fewer = queues_per_cpu > 1 ? ", or lower queues_per_cpu"
			    : ncpus > 1	       ? ", or list fewer [cpus]"
					       : "";

	if (live->dev_txqs < ntxq) {
		snprintf(buf, len,
			 "%s: has %u TX queues, xshaper needs %u (%u CPUs x queues_per_cpu %u): "
			 "raise them with 'ethtool -L %s tx %u' (or 'combined %u'; a veth takes "
			 "'numtxqueues %u' when it is created)%s",
			 live->ifname, live->dev_txqs, ntxq, ncpus, queues_per_cpu, live->ifname,
			 ntxq, ntxq, ntxq, fewer);
		return true;
	}
	if (max < MQ_MIN_TXQS) {
		snprintf(buf, len,
			 "%s: can have only %u TX queue; xshaper needs a device that can have %u "
			 "(one may be in use): its trees hang under an mq root, which the kernel "
			 "takes only on a multiqueue device. A veth takes 'numtxqueues %u' when it "
			 "is created; a NIC or a virtio_net device needs a second queue from its "
			 "driver or hypervisor",
			 live->ifname, max, MQ_MIN_TXQS, MQ_MIN_TXQS);
		return true;
	}
	return false;
}

static int check_queues(const struct tree *live, const struct tree *want)
{
	char why[XS_PROBLEM_LEN];

	if (!queues_short(live, want->ntxq, want->ncpus, want->queues_per_cpu, why, sizeof(why)))
		return 0;
	pr_err("%s\n", why);
	return -EINVAL;
}

/* "customer 1001", "node 'AP1'": a placement in messages */
static const char *placement_name(const struct placement *pl, char *buf, size_t len)
{
	if (pl->kind == PLAN_NODE)
		snprintf(buf, len, "node '%s'", pl->id);
	else
		snprintf(buf, len, "customer %s", pl->id);
	return buf;
}

/*
 * Whether the class of placement pl exists and hangs where the placements
 * say: under its parent node's class, or the root class of its tree.
 * missing, misplaced: how many were found so far, the first MISSING_SHOWN
 * of each named in p.
 */
static void verify_placement(const struct tree *live, const struct placements *placed,
			     const struct placement *pl, unsigned int *missing,
			     unsigned int *misplaced, struct problems *p)
{
	char name[CLASS_NAME_LEN], id[HANDLE_TEXT_LEN], at[HANDLE_TEXT_LEN], want[HANDLE_TEXT_LEN];
	uint32_t classid = xs_classid(pl->txq, pl->minor), parent;
	const struct tree_class *c = find_class(live, classid);
	const struct placement *up = NULL;

	placement_name(pl, name, sizeof(name));
	handle_text(classid, id, sizeof(id));
	if (!c) {
		if ((*missing)++ < MISSING_SHOWN)
			problem_add(p, true, "%s: class %s of %s is missing: %s", live->ifname, id,
				    name,
				    pl->kind == PLAN_NODE
					    ? "the classes under it cannot be there either"
					    : "its packets fall into the default class");
		return;
	}
	if (!pl->parent) {
		parent = xs_classid(pl->txq, XS_ROOT_MINOR);
	} else {
		up = placements_find(placed, PLAN_NODE, pl->parent);
		if (!up) {
			problem_add(p, true,
				    "%s: class %s of %s: its parent node '%s' has no placement",
				    live->ifname, id, name, pl->parent);
			return;
		}
		parent = xs_classid(up->txq, up->minor);
	}
	if (c->parent == parent || (*misplaced)++ >= MISSING_SHOWN)
		return;
	handle_text(c->parent, at, sizeof(at));
	handle_text(parent, want, sizeof(want));
	if (up)
		problem_add(p, true,
			    "%s: class %s of %s is under %s, not under class %s of node '%s': it "
			    "shares the wrong node's bandwidth",
			    live->ifname, id, name, at, want, up->id);
	else
		problem_add(p, true,
			    "%s: class %s of %s is under %s, not under the root class %s: it "
			    "shares the wrong node's bandwidth",
			    live->ifname, id, name, at, want);
}

/* xshaper 0.1.0 gave the HTB of TX queue txq the major txq + 1. */
static bool holds_old_layout(const struct tree *live, unsigned int txq)
{
	size_t i;

	for (i = 0; i < live->nqdiscs; i++) {
		const struct tree_qdisc *q = &live->qdiscs[i];

		if (q->parent == xs_mq_class(txq))
			return q->handle == xs_handle(txq + 1, 0) && !strcmp(q->kind, "htb") &&
			       xs_htb_major(txq) != txq + 1;
	}
	return false;
}

void tree_verify(const struct tree *live, const struct xs_config *cfg,
		 const struct placements *placed, struct problems *p)
{
	unsigned int ntxq = config_txqs(cfg), txq, missing = 0, misplaced = 0;
	char why[XS_PROBLEM_LEN];
	const struct tree_qdisc *q;
	size_t i;

	if (queues_short(live, ntxq, cfg->ncpus, cfg->queues_per_cpu, why, sizeof(why)))
		problem_add(p, false, "%s", why);
	if (!root_is_ours(live)) {
		problem_add(p, true,
			    "%s: the root qdisc is not xshaper's mq: every customer is "
			    "unshaped",
			    live->ifname);
		return;
	}
	for (txq = 0; txq < ntxq; txq++) {
		q = find_qdisc(live, xs_htb_handle(txq));
		if (q && q->parent == xs_mq_class(txq) && tree_intact(live, q, txq, NULL) &&
		    find_class(live, xs_classid(txq, XS_ROOT_MINOR)) &&
		    find_class(live, xs_classid(txq, XS_DEFAULT_MINOR)))
			continue;
		if (holds_old_layout(live, txq))
			problem_add(p, true,
				    "%s: the HTB tree of TX queue %u has xshaper 0.1.0's classids "
				    "(htb %x:, now %x:)",
				    live->ifname, txq, txq + 1, xs_htb_major(txq));
		else
			problem_add(p, true, "%s: the HTB tree of TX queue %u is missing or broken",
				    live->ifname, txq);
	}
	for (i = 0; i < placed->n; i++)
		verify_placement(live, placed, &placed->v[i], &missing, &misplaced, p);
	if (missing > MISSING_SHOWN)
		problem_add(p, true, "%s: and %u more classes are missing", live->ifname,
			    missing - MISSING_SHOWN);
	if (misplaced > MISSING_SHOWN)
		problem_add(p, true, "%s: and %u more classes are under the wrong parent",
			    live->ifname, misplaced - MISSING_SHOWN);
}

size_t tree_forget_misplaced(const struct tree *live, struct placements *placed)
{
	uint8_t *drop = calloc(placed->n + 1, 1);
	size_t i, k = 0, n = 0;

	if (!drop)
		return 0; /* then tree_diff rebuilds, as before */
	for (i = 0; i < placed->n; i++) {
		const struct placement *pl = &placed->v[i], *up = NULL;
		const struct tree_class *c = find_class(live, xs_classid(pl->txq, pl->minor));
		char id[HANDLE_TEXT_LEN], at[HANDLE_TEXT_LEN];

		if (!c)
			continue;
		if (pl->parent) {
			up = placements_find(placed, PLAN_NODE, pl->parent);
			if (!up)
				continue; /* not kept anyway: its parent has no place */
		}
		if (c->parent ==
		    (up ? xs_classid(up->txq, up->minor) : xs_classid(pl->txq, XS_ROOT_MINOR)))
			continue;
		pr_debug("%s: class %s of %s %s is under %s, not where the placements say; it "
			 "is placed anew\n",
			 live->ifname, handle_text(c->classid, id, sizeof(id)),
			 pl->kind == PLAN_NODE ? "node" : "customer", pl->id,
			 handle_text(c->parent, at, sizeof(at)));
		drop[i] = 1;
	}
	for (i = 0; i < placed->n; i++) {
		if (!drop[i]) {
			placed->v[k++] = placed->v[i];
			continue;
		}
		free(placed->v[i].id);
		free(placed->v[i].parent);
		free(placed->v[i].name);
		n++;
	}
	placed->n = k;
	free(drop);
	return n;
}

struct tree_range {
	unsigned int txq;
	size_t first, end; /* want->classes[first..end) */
};

static int cmp_range_build_order(const void *a, const void *b)
{
	const struct tree_range *x = a, *y = b;

	return x->txq < y->txq ? -1 : x->txq > y->txq;
}

/* ---- teardown ----------------------------------------------------------- */

/* The order a build makes trees in (cmp_range_build_order's), reversed. */
static int cmp_rank_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x > y ? -1 : x < y;
}

int tree_teardown_order(const struct tree *live, uint32_t **out, size_t *n)
{
	uint32_t *v;
	size_t i, m = 0;

	*out = NULL;
	*n = 0;
	v = calloc(live->nqdiscs ? live->nqdiscs : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < live->nqdiscs; i++) {
		const struct tree_qdisc *q = &live->qdiscs[i];
		uint32_t slot = xs_handle_minor(q->parent);

		if (xs_handle_major(q->parent) == XS_MQ_MAJOR && slot >= 1 && slot <= XS_MAX_TXQS &&
		    !strcmp(q->kind, "htb"))
			v[m++] = slot - 1;
	}
	qsort(v, m, sizeof(*v), cmp_rank_desc);
	for (i = 0; i < m; i++)
		v[i] = xs_mq_class(v[i]);
	*out = v;
	*n = m;
	return 0;
}

int tree_diff(const struct tree *live, const struct tree *want, struct tree_diff *out)
{
	struct diff_state s = { .live = live, .want = want, .out = out };
	struct op_list create = {}, delete = {};
	struct tree_range *ranges = NULL;
	uint32_t retired[XS_MAX_TXQS];
	bool root_ok;
	unsigned int txq, k, nranges = 0;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->ifname, sizeof(out->ifname), "%s", live->ifname);
	out->ifindex = live->ifindex;
	out->leaf = want->leaf;
	err = check_queues(live, want);
	if (err)
		return err;

	s.handles = calloc(1, sizeof(*s.handles));
	ranges = calloc(want->ntxq, sizeof(*ranges));
	s.slots = calloc(XS_MAX_TXQS, sizeof(*s.slots));
	if (!s.handles || !ranges || !s.slots) {
		err = -ENOMEM;
		goto out;
	}
	s.handles->next = TREE_LEAF_MAJOR_FIRST;
	root_ok = root_is_ours(live);
	/* replacing the root takes every qdisc of the device with it */
	if (root_ok) {
		for (i = 0; i < live->nqdiscs; i++) {
			const struct tree_qdisc *q = &live->qdiscs[i];
			uint32_t slot = xs_handle_minor(q->parent);

			handle_mark(s.handles, xs_handle_major(q->handle));
			if (xs_handle_major(q->parent) == XS_MQ_MAJOR && slot >= 1 &&
			    slot <= XS_MAX_TXQS)
				s.slots[slot - 1] = q;
		}
	} else if (!op_add(&create, TREE_OP_ROOT, xs_handle(XS_MQ_MAJOR, 0), TC_H_ROOT, NULL))
		goto nomem;

	/* want->classes is sorted by classid, so each tree is one run */
	for (i = 0; i < want->nclasses;) {
		struct tree_range *r = &ranges[nranges++];

		r->txq = xs_classid_txq(want->classes[i].classid);
		r->first = i;
		while (i < want->nclasses && xs_classid_txq(want->classes[i].classid) == r->txq)
			i++;
		r->end = i;
	}
	qsort(ranges, nranges, sizeof(*ranges), cmp_range_build_order);
	for (i = 0; i < nranges; i++) {
		const struct tree_range *r = &ranges[i];

		if (root_ok && tree_intact(live, s.slots[r->txq], r->txq, want)) {
			err = diff_kept_tree(&s, r->txq, r->first, r->end);
		} else {
			const struct tree_qdisc *q =
				root_ok ? find_qdisc(live, xs_htb_handle(r->txq)) : NULL;

			err = diff_rebuilt_tree(&s, r->txq, q, r->first, r->end);
		}
		if (err)
			goto out;
	}
	/*
	 * Our trees past the wanted TX queues (queues_per_cpu was lowered),
	 * the newest first: see tree_teardown_order.
	 */
	for (txq = 0; txq < XS_MAX_TXQS; txq++)
		retired[txq] = txq;
	qsort(retired, XS_MAX_TXQS, sizeof(retired[0]), cmp_rank_desc);
	for (k = 0; root_ok && k < XS_MAX_TXQS; k++) {
		const struct tree_qdisc *q = s.slots[txq = retired[k]];
		size_t lo, hi;

		if (txq < want->ntxq)
			continue;

		/* ours, or 0.1.0's (htb txq + 1:) */
		if (!q || strcmp(q->kind, "htb") ||
		    (q->handle != xs_htb_handle(txq) && q->handle != xs_handle(txq + 1, 0)))
			continue;
		live_range(live, txq, &lo, &hi);
		for (i = lo; i < hi; i++)
			if (xs_handle_minor(live->classes[i].classid) >= XS_FIRST_MINOR)
				out->counts.removed++;
		if (!op_add(&s.deleted, TREE_OP_HTB_REMOVE, q->handle, xs_mq_class(txq), NULL))
			goto nomem;
	}

	if (op_append(&create, &s.rebuild) || op_append(&create, &s.replaced) ||
	    op_append(&create, &s.added) || op_append(&create, &s.changed) ||
	    op_append(&delete, &s.deleted))
		goto nomem;
	out->create = create.v;
	out->ncreate = create.n;
	out->delete = delete.v;
	out->ndelete = delete.n;
	create.v = delete.v = NULL;
	err = 0;
	goto out;
nomem:
	err = -ENOMEM;
out:
	free(create.v);
	free(delete.v);
	free(s.rebuild.v);
	free(s.replaced.v);
	free(s.added.v);
	free(s.changed.v);
	free(s.deleted.v);
	free(s.handles);
	free(s.slots);
	free(ranges);
	if (err) {
		struct tree_counts zero = {};

		out->counts = zero;
	}
	return err;
}
