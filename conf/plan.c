// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plan: which CPU, TX queue and class minor each customer gets.
 *
 * Stability comes first. Moving a customer means a new class in another
 * tree, its queue contents and counters lost, and its prefixes repointed, so
 * a customer that was placed before stays where it is for as long as that
 * place exists. Only new customers, and those whose CPU or queue went away,
 * are placed, with the classic greedy for balance: largest ceil first, each
 * onto the queue whose ceils add up to the least (a min-heap of queues, so
 * O(n log txqs)). Balance therefore drifts only as customers leave, and it
 * is restored by placing the next customers where the load is lowest.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "conf/plan.h"

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t ceil_of(const struct customer *c)
{
	return sat_add(c->down_ceil, c->up_ceil);
}

struct txq_state {
	uint64_t load; /* sum of down_ceil + up_ceil of its customers */
	uint32_t count;
	uint32_t next_minor; /* lowest minor not known to be taken */
	size_t kept, kept_end; /* its kept minors: kept_minors[kept..kept_end) */
	size_t rsv; /* next of them to look at for a reserved one */
};

/* A customer that asks to keep its place from the previous plan. */
struct claim {
	uint32_t txq, minor;
	size_t cust; /* index in the plan (and in order[]); RESERVED: nobody's now */
};

/*
 * The minor of a customer that leaves or moves in this run stays unused in
 * it: its class still carries the old customer's prefixes until the maps
 * are repointed, and a new customer placed there would get that class
 * changed in place, old counters and queued packets included. It is given
 * out again only when a tree has no other minor left, and freely by the
 * next run, once the class is gone.
 */
#define RESERVED SIZE_MAX

struct builder {
	const struct xs_config *cfg;
	const struct customer_list *list;
	size_t *order; /* list indices sorted by id */
	struct txq_state *txqs;
	uint32_t ntxqs;
	uint32_t *kept_minors;
	uint8_t *kept_reserved; /* per kept_minors[]: held by nobody, spare */
	uint32_t *heap; /* txq numbers, min-heap by (load, txq) */
	uint32_t nheap;
};

static int order_cmp(const void *a, const void *b, void *ctx)
{
	const struct customer *v = ((const struct builder *)ctx)->list->v;
	uint32_t x = v[*(const size_t *)a].id, y = v[*(const size_t *)b].id;

	return x < y ? -1 : x > y;
}

struct prev_ref {
	const struct assignment *a;
	size_t pos; /* first of duplicate entries wins */
};

static int prev_cmp(const void *a, const void *b)
{
	const struct prev_ref *x = a, *y = b;

	if (x->a->id != y->a->id)
		return x->a->id < y->a->id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->txq != y->txq)
		return x->txq < y->txq ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	/* cust indices follow ids: the lower id keeps a contested minor */
	return x->cust < y->cust ? -1 : x->cust > y->cust;
}

/* Biggest first; equal ceils by id, so that the result does not depend on qsort. */
static int place_cmp(const void *a, const void *b, void *ctx)
{
	const struct builder *bld = ctx;
	const struct customer *v = bld->list->v;
	size_t i = bld->order[*(const size_t *)a], j = bld->order[*(const size_t *)b];
	uint64_t x = ceil_of(&v[i]), y = ceil_of(&v[j]);

	if (x != y)
		return x > y ? -1 : 1;
	return v[i].id < v[j].id ? -1 : v[i].id > v[j].id;
}

static bool heap_less(const struct builder *b, uint32_t x, uint32_t y)
{
	if (b->txqs[x].load != b->txqs[y].load)
		return b->txqs[x].load < b->txqs[y].load;
	return x < y;
}

static void heap_down(struct builder *b, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < b->nheap && heap_less(b, b->heap[l], b->heap[m]))
			m = l;
		if (r < b->nheap && heap_less(b, b->heap[r], b->heap[m]))
			m = r;
		if (m == i)
			return;
		t = b->heap[i];
		b->heap[i] = b->heap[m];
		b->heap[m] = t;
		i = m;
	}
}

/*
 * The lowest minor of the queue that no kept customer holds and nobody left
 * in this run; when those run out, one that somebody left (the caller
 * checked that the tree has room).
 */
static uint32_t take_minor(struct builder *b, struct txq_state *t)
{
	while (t->next_minor <= XS_MAX_MINOR) {
		while (t->kept < t->kept_end && b->kept_minors[t->kept] < t->next_minor)
			t->kept++;
		if (t->kept == t->kept_end || b->kept_minors[t->kept] != t->next_minor)
			return t->next_minor++;
		t->next_minor++;
	}
	while (t->rsv < t->kept_end && !b->kept_reserved[t->rsv])
		t->rsv++;
	b->kept_reserved[t->rsv] = 0;
	return b->kept_minors[t->rsv++];
}

static int keep_previous(struct builder *b, const struct assignment *prev, size_t nprev,
			 struct plan *out, bool *placed)
{
	const struct xs_config *cfg = b->cfg;
	int cpu_index[XS_MAX_CPUS];
	struct prev_ref *refs = NULL;
	struct claim *claims = NULL;
	size_t i, j, nclaims = 0, nkept = 0;
	uint32_t t;
	int err = -ENOMEM;

	for (i = 0; i < XS_MAX_CPUS; i++)
		cpu_index[i] = -1;
	for (i = cfg->ncpus; i-- > 0;)
		if (cfg->cpus[i] < XS_MAX_CPUS)
			cpu_index[cfg->cpus[i]] = (int)i;

	refs = malloc((nprev ? nprev : 1) * sizeof(*refs));
	claims = malloc((out->n + nprev + 1) * sizeof(*claims));
	b->kept_minors = malloc((out->n + nprev + 1) * sizeof(*b->kept_minors));
	b->kept_reserved = calloc(out->n + nprev + 1, sizeof(*b->kept_reserved));
	if (!refs || !claims || !b->kept_minors || !b->kept_reserved)
		goto out;
	for (i = 0; i < nprev; i++)
		refs[i] = (struct prev_ref){ &prev[i], i };
	qsort(refs, nprev, sizeof(*refs), prev_cmp);

	/* both sorted by id: one merge pass */
	for (i = 0, j = 0; i < out->n && j < nprev;) {
		const struct assignment *a = refs[j].a;
		uint32_t id = out->v[i].id;
		int ci;

		if (a->id < id) {
			j++;
			continue;
		}
		if (a->id > id) {
			i++;
			continue;
		}
		ci = a->cpu < XS_MAX_CPUS ? cpu_index[a->cpu] : -1;
		if (ci >= 0 && a->txq < b->ntxqs &&
		    config_txq_cpu_index(cfg, a->txq) == (uint32_t)ci &&
		    a->minor >= XS_FIRST_MINOR && a->minor <= XS_MAX_MINOR)
			claims[nclaims++] = (struct claim){ a->txq, a->minor, i };
		i++;
		/* skip the later duplicates of this id */
		while (j < nprev && refs[j].a->id == id)
			j++;
	}

	/* every previous place, kept or not, is spoken for in this run */
	for (j = 0; j < nprev; j++)
		if (prev[j].txq < b->ntxqs && prev[j].minor >= XS_FIRST_MINOR &&
		    prev[j].minor <= XS_MAX_MINOR)
			claims[nclaims++] = (struct claim){ prev[j].txq, prev[j].minor, RESERVED };

	/*
	 * A minor claimed twice (a corrupt previous plan) goes to the lower id;
	 * a reservation sorts after the customer keeping the same minor.
	 */
	qsort(claims, nclaims, sizeof(*claims), claim_cmp);
	for (i = 0; i < nclaims; i++) {
		const struct claim *c = &claims[i];
		struct txq_state *ts = &b->txqs[c->txq];

		if (i && c->txq == claims[i - 1].txq && c->minor == claims[i - 1].minor)
			continue;
		if (!i || c->txq != claims[i - 1].txq)
			ts->kept = ts->kept_end = ts->rsv = nkept;
		b->kept_reserved[nkept] = c->cust == RESERVED;
		b->kept_minors[nkept++] = c->minor;
		ts->kept_end = nkept;
		if (c->cust == RESERVED)
			continue;
		ts->count++;
		ts->load = sat_add(ts->load, ceil_of(&b->list->v[b->order[c->cust]]));
		out->v[c->cust].txq = c->txq;
		out->v[c->cust].minor = c->minor;
		placed[c->cust] = true;
	}
	for (t = 0; t < b->ntxqs; t++)
		b->txqs[t].next_minor = XS_FIRST_MINOR;
	err = 0;
out:
	free(refs);
	free(claims);
	return err;
}

static int place_rest(struct builder *b, struct plan *out, const bool *placed)
{
	size_t *todo, i, n = 0;
	uint32_t t;

	todo = malloc((out->n ? out->n : 1) * sizeof(*todo));
	b->heap = malloc(b->ntxqs * sizeof(*b->heap));
	if (!todo || !b->heap) {
		free(todo);
		return -ENOMEM;
	}
	for (i = 0; i < out->n; i++)
		if (!placed[i])
			todo[n++] = i;
	qsort_r(todo, n, sizeof(*todo), place_cmp, b);

	b->nheap = 0;
	for (t = 0; t < b->ntxqs; t++)
		if (b->txqs[t].count < XS_MINORS_PER_TREE)
			b->heap[b->nheap++] = t;
	for (t = b->nheap / 2; t-- > 0;)
		heap_down(b, t);

	for (i = 0; i < n; i++) {
		struct assignment *a = &out->v[todo[i]];
		struct txq_state *ts;

		/* the caller checked that everyone fits */
		t = b->heap[0];
		ts = &b->txqs[t];
		a->txq = t;
		a->minor = take_minor(b, ts);
		ts->count++;
		ts->load = sat_add(ts->load, ceil_of(&b->list->v[b->order[todo[i]]]));
		if (ts->count == XS_MINORS_PER_TREE)
			b->heap[0] = b->heap[--b->nheap];
		heap_down(b, 0);
	}
	free(todo);
	return 0;
}

int plan_build(const struct xs_config *cfg, const struct customer_list *list,
	       const struct assignment *prev, size_t nprev, struct plan *out)
{
	struct builder b = { .cfg = cfg, .list = list };
	bool *placed = NULL;
	size_t i, n = list ? list->n : 0;
	uint64_t room;
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (config_check_txqs(cfg))
		return -EINVAL;
	b.ntxqs = config_txqs(cfg);
	room = (uint64_t)b.ntxqs * XS_MINORS_PER_TREE;
	if (n > room) {
		pr_err("%zu customers do not fit: %u CPUs x %u queues per CPU = %u HTB trees of %u "
		       "classes hold %llu; raise [cpus] queues_per_cpu or add CPUs to [cpus] "
		       "list\n",
		       n, cfg->ncpus, cfg->queues_per_cpu, b.ntxqs, XS_MINORS_PER_TREE,
		       (unsigned long long)room);
		return -ENOSPC;
	}
	if (!n)
		return 0;

	b.order = malloc(n * sizeof(*b.order));
	b.txqs = calloc(b.ntxqs, sizeof(*b.txqs));
	placed = calloc(n, sizeof(*placed));
	out->v = calloc(n, sizeof(*out->v));
	if (!b.order || !b.txqs || !placed || !out->v)
		goto out;
	out->n = n;
	for (i = 0; i < n; i++)
		b.order[i] = i;
	/* the list is normally sorted by id already; do not rely on it */
	for (i = 1; i < n; i++) {
		if (list->v[i - 1].id >= list->v[i].id) {
			qsort_r(b.order, n, sizeof(*b.order), order_cmp, &b);
			break;
		}
	}
	for (i = 0; i < n; i++) {
		out->v[i].id = list->v[b.order[i]].id;
		if (i && out->v[i].id == out->v[i - 1].id) {
			pr_err("plan: customer id %u appears twice in the list\n", out->v[i].id);
			err = -EINVAL;
			goto out;
		}
	}

	err = keep_previous(&b, prev, prev ? nprev : 0, out, placed);
	if (err)
		goto out;
	err = place_rest(&b, out, placed);
	if (err)
		goto out;
	for (i = 0; i < n; i++)
		out->v[i].cpu = config_txq_cpu(cfg, out->v[i].txq);
out:
	if (err == -ENOMEM)
		pr_err("plan: out of memory placing %zu customers\n", n);
	if (err)
		plan_free(out);
	free(b.order);
	free(b.txqs);
	free(b.kept_minors);
	free(b.kept_reserved);
	free(b.heap);
	free(placed);
	return err;
}

void plan_free(struct plan *plan)
{
	if (!plan)
		return;
	free(plan->v);
	plan->v = NULL;
	plan->n = 0;
}

_Static_assert(offsetof(struct assignment, id) == 0, "id first");

const struct assignment *plan_find(const struct plan *plan, uint32_t id)
{
	if (!plan || !plan->n)
		return NULL;
	return bsearch(&id, plan->v, plan->n, sizeof(plan->v[0]), customer_id_cmp);
}
