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
/* Customers whose missing classes tree_verify names; the rest are counted. */
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

static void class_set(struct tree_class *c, uint32_t classid, uint32_t parent, uint64_t rate_bps,
		      uint64_t ceil_bps, uint32_t id)
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
	c->id = id;
}

/* struct tree_class and the stats of cmd/report.c begin with it */
_Static_assert(offsetof(struct tree_class, classid) == 0, "classid first");

int tree_classid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int tree_desired(const struct xs_config *cfg, const struct customer_list *list,
		 const struct plan *plan, enum xs_dir dir, struct tree *out)
{
	uint64_t capacity = config_capacity(cfg, dir);
	const char *ifname = config_ifname(cfg, dir);
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
	c = calloc(2 * (size_t)ntxq + plan->n, sizeof(*c));
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
			  capacity, 0);
		class_set(&c[n++], xs_classid(txq, XS_DEFAULT_MINOR),
			  xs_classid(txq, XS_ROOT_MINOR), cfg->default_rate, def_ceil, 0);
	}
	for (i = 0; i < plan->n; i++) {
		const struct assignment *a = &plan->v[i];
		const struct customer *cu = customers_find(list, a->id);
		uint64_t rate, ceil;

		if (!cu) {
			pr_err("%s: plan names customer %u, which is not in the list\n", ifname,
			       a->id);
			err = -EINVAL;
			continue;
		}
		customer_rates(cu, dir, &rate, &ceil);
		if (a->txq >= ntxq || a->minor < XS_FIRST_MINOR || a->minor > XS_MAX_MINOR) {
			pr_err("%s: customer %u: txq %u minor %u out of range (txq < %u, minor "
			       "%u..%u)\n",
			       ifname, a->id, a->txq, a->minor, ntxq, XS_FIRST_MINOR, XS_MAX_MINOR);
			err = -EINVAL;
			continue;
		}
		if (rate < RATE_MIN || ceil < RATE_MIN) {
			pr_err("%s: customer %u: rate and ceil must be at least %u bit/s\n", ifname,
			       a->id, RATE_MIN);
			err = -EINVAL;
			continue;
		}
		class_set(&c[n++], xs_classid(a->txq, a->minor), xs_classid(a->txq, XS_ROOT_MINOR),
			  rate, ceil, a->id);
	}
	out->nclasses = n;
	qsort(c, n, sizeof(*c), tree_classid_cmp);
	for (i = 1; i < n; i++) {
		char id[HANDLE_TEXT_LEN];

		if (c[i].classid == c[i - 1].classid) {
			pr_err("%s: customers %u and %u share classid %s\n", ifname, c[i - 1].id,
			       c[i].id, handle_text(c[i].classid, id, sizeof(id)));
			err = -EINVAL;
		}
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

/*
 * The bucket of the kernel's device-wide qdisc hash (16 buckets,
 * hash_32(handle, 4)) a handle falls in. HTB's own pfifo leaves all have
 * handle 0, so they pile up in bucket 0, and every class request on an HTB
 * whose handle shares bucket 0 (majors 2, 21, 42, 63, ...) walks all of
 * them to find its qdisc. Building those trees first, while bucket 0 holds
 * only their own leaves, cuts that walk to a third at two trees.
 */
static unsigned int qdisc_hash_bucket(uint32_t handle)
{
	return (uint32_t)(handle * 0x61C88647U) >> 28;
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
		if (h->next == XS_MQ_MAJOR || handle_used(h, h->next))
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

static bool class_differs(const struct tree_class *live, const struct tree_class *want)
{
	if (live->rate != want->rate || live->ceil != want->ceil || live->buffer != want->buffer ||
	    live->cbuffer != want->cbuffer)
		return true;
	/* an inner class (the root) keeps neither quantum nor prio */
	return !live->level && (live->quantum != want->quantum || live->prio != want->prio);
}

/* A tree is ours to keep when its HTB and every class of it sit where the layout says. */
static bool tree_intact(const struct tree *live, const struct tree_qdisc *slot, unsigned int txq)
{
	size_t i, lo, hi;

	if (!slot || slot->handle != xs_htb_handle(txq) || strcmp(slot->kind, "htb") ||
	    slot->defcls != XS_DEFAULT_MINOR)
		return false;
	live_range(live, txq, &lo, &hi);
	for (i = lo; i < hi; i++) {
		const struct tree_class *c = &live->classes[i];

		if (xs_handle_minor(c->classid) == XS_ROOT_MINOR
			    ? c->parent != TC_H_ROOT
			    : c->parent != xs_classid(txq, XS_ROOT_MINOR))
			return false;
	}
	return true;
}

struct diff_state {
	const struct tree *live, *want;
	const struct tree_qdisc **slots; /* qdisc on mq class XS_MQ_MAJOR:(txq+1) */
	struct handles *handles;
	struct op_list rebuild, added, changed, deleted;
	struct tree_diff *out;
};

/* The leaf a desired class needs after it was created just now. */
static int leaf_for_new(struct diff_state *s, struct op_list *l, const struct tree_class *c)
{
	uint32_t handle;
	int err;

	if (xs_handle_minor(c->classid) == XS_ROOT_MINOR || s->want->leaf == LEAF_PFIFO)
		return 0;
	err = handle_alloc(s->handles, s->want->ifname, &handle);
	if (err)
		return err;
	return op_add(l, TREE_OP_LEAF_CREATE, handle, c->classid, c) ? 0 : -ENOMEM;
}

/* The leaf of a kept class: right kind, or replaced. Returns 1 when it changes. */
static int leaf_for_kept(struct diff_state *s, const struct tree_class *lc,
			 const struct tree_class *c)
{
	const char *want = leaf_qdisc_name(s->want->leaf);
	const struct tree_qdisc *q;
	const char *have;
	uint32_t handle;
	int err;

	if (xs_handle_minor(c->classid) == XS_ROOT_MINOR)
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
		if (!op_add(&s->changed, TREE_OP_LEAF_DELETE, lc->leaf, c->classid, c))
			return -ENOMEM;
		return 1;
	}
	err = handle_alloc(s->handles, s->want->ifname, &handle);
	if (err)
		return err;
	if (!op_add(&s->changed, TREE_OP_LEAF_CREATE, handle, c->classid, c))
		return -ENOMEM;
	return 1;
}

/*
 * A tree built anew: its HTB (replacing whatever the mq slot holds), root
 * and default class, customers. old: a qdisc that already has the HTB's
 * handle (a broken tree of ours), deleted first.
 */
static int diff_rebuilt_tree(struct diff_state *s, unsigned int txq, const struct tree_qdisc *old,
			     size_t first, size_t end)
{
	struct op_list *l = &s->rebuild;
	size_t i;
	int err;

	if (old && !op_add(l, TREE_OP_HTB_RESET, old->handle, old->parent, NULL))
		return -ENOMEM;
	if (!op_add(l, TREE_OP_HTB, xs_htb_handle(txq), xs_mq_class(txq), NULL))
		return -ENOMEM;
	for (i = first; i < end; i++) {
		const struct tree_class *c = &s->want->classes[i];

		if (!op_add(l, TREE_OP_CLASS_CREATE, 0, c->parent, c))
			return -ENOMEM;
		err = leaf_for_new(s, l, c);
		if (err)
			return err;
		if (xs_handle_minor(c->classid) >= XS_FIRST_MINOR)
			s->out->counts.added++;
	}
	return 0;
}

static int diff_kept_tree(struct diff_state *s, unsigned int txq, size_t first, size_t end)
{
	const struct tree *live = s->live;
	size_t i, lo, hi;
	int err;

	for (i = first; i < end; i++) {
		const struct tree_class *c = &s->want->classes[i];
		const struct tree_class *lc = find_class(live, c->classid);
		bool customer = xs_handle_minor(c->classid) >= XS_FIRST_MINOR;
		int changed = 0;

		if (!lc) {
			if (!op_add(&s->added, TREE_OP_CLASS_CREATE, 0, c->parent, c))
				return -ENOMEM;
			err = leaf_for_new(s, &s->added, c);
			if (err)
				return err;
			if (customer)
				s->out->counts.added++;
			continue;
		}
		if (class_differs(lc, c)) {
			if (!op_add(&s->changed, TREE_OP_CLASS_CHANGE, 0, c->parent, c))
				return -ENOMEM;
			changed = 1;
		}
		err = leaf_for_kept(s, lc, c);
		if (err < 0)
			return err;
		changed |= err;
		if (customer) {
			if (changed)
				s->out->counts.changed++;
			else
				s->out->counts.unchanged++;
		}
	}
	/* live classes of this tree that are no longer wanted */
	live_range(live, txq, &lo, &hi);
	for (i = lo; i < hi; i++) {
		const struct tree_class *lc = &live->classes[i];

		if (find_class(s->want, lc->classid))
			continue;
		if (!op_add(&s->deleted, TREE_OP_CLASS_DELETE, 0, lc->parent, lc))
			return -ENOMEM;
		s->out->counts.removed++;
	}
	return 0;
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

void tree_verify(const struct tree *live, const struct xs_config *cfg,
		 const struct assignment *a, size_t n, struct problems *p)
{
	unsigned int ntxq = config_txqs(cfg), txq, missing = 0;
	char why[XS_PROBLEM_LEN], id[HANDLE_TEXT_LEN];
	const struct tree_qdisc *q;
	size_t i;

	if (queues_short(live, ntxq, cfg->ncpus, cfg->queues_per_cpu, why, sizeof(why)))
		problem_add(p, false, "%s", why);
	if (!root_is_ours(live)) {
		problem_add(p, true, "%s: the root qdisc is not xshaper's mq: every customer is "
			    "unshaped", live->ifname);
		return;
	}
	for (txq = 0; txq < ntxq; txq++) {
		q = find_qdisc(live, xs_htb_handle(txq));
		if (!q || q->parent != xs_mq_class(txq) || !tree_intact(live, q, txq) ||
		    !find_class(live, xs_classid(txq, XS_ROOT_MINOR)) ||
		    !find_class(live, xs_classid(txq, XS_DEFAULT_MINOR)))
			problem_add(p, true, "%s: the HTB tree of TX queue %u is missing or broken",
				    live->ifname, txq);
	}
	for (i = 0; i < n; i++) {
		uint32_t classid = xs_classid(a[i].txq, a[i].minor);

		if (find_class(live, classid))
			continue;
		if (missing++ < MISSING_SHOWN)
			problem_add(p, true,
				    "%s: class %s of customer %u is missing: its packets fall into "
				    "the default class",
				    live->ifname, handle_text(classid, id, sizeof(id)), a[i].id);
	}
	if (missing > MISSING_SHOWN)
		problem_add(p, true, "%s: and %u more customers' classes are missing", live->ifname,
			    missing - MISSING_SHOWN);
}

struct tree_range {
	unsigned int txq;
	size_t first, end; /* want->classes[first..end) */
};

static int cmp_range_build_order(const void *a, const void *b)
{
	const struct tree_range *x = a, *y = b;
	unsigned int bx = qdisc_hash_bucket(xs_htb_handle(x->txq)) != 0;
	unsigned int by = qdisc_hash_bucket(xs_htb_handle(y->txq)) != 0;

	if (bx != by)
		return bx < by ? -1 : 1;
	return x->txq < y->txq ? -1 : x->txq > y->txq;
}

int tree_diff(const struct tree *live, const struct tree *want, struct tree_diff *out)
{
	struct diff_state s = { .live = live, .want = want, .out = out };
	struct op_list create = {}, delete = {};
	struct tree_range *ranges = NULL;
	bool root_ok;
	unsigned int txq, nranges = 0;
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

		if (root_ok && tree_intact(live, s.slots[r->txq], r->txq)) {
			err = diff_kept_tree(&s, r->txq, r->first, r->end);
		} else {
			const struct tree_qdisc *q =
				root_ok ? find_qdisc(live, xs_htb_handle(r->txq)) : NULL;

			err = diff_rebuilt_tree(&s, r->txq, q, r->first, r->end);
		}
		if (err)
			goto out;
	}
	/* our trees past the wanted TX queues (queues_per_cpu was lowered) */
	for (txq = want->ntxq; root_ok && txq < XS_MAX_TXQS; txq++) {
		const struct tree_qdisc *q = s.slots[txq];
		size_t lo, hi;

		if (!q || q->handle != xs_htb_handle(txq) || strcmp(q->kind, "htb"))
			continue;
		live_range(live, txq, &lo, &hi);
		for (i = lo; i < hi; i++)
			if (xs_handle_minor(live->classes[i].classid) >= XS_FIRST_MINOR)
				out->counts.removed++;
		if (!op_add(&s.deleted, TREE_OP_HTB_REMOVE, q->handle, xs_mq_class(txq), NULL))
			goto nomem;
	}

	if (op_append(&create, &s.rebuild) || op_append(&create, &s.added) ||
	    op_append(&create, &s.changed) || op_append(&delete, &s.deleted))
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
