// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plan: which TX queue (and so CPU and HTB tree), class minor and
 * parent class each node and customer gets.
 *
 * Stability comes first. Moving a class means a new class in its place,
 * its queue contents and counters lost, and its prefixes repointed, so a
 * class that was placed before stays where it is for as long as that place
 * exists. HTB trees on different TX queues cannot share a parent, so a
 * top-level node takes its whole subtree to one TX queue; only new
 * top-level classes (nodes, and customers without a node) and those whose
 * queue went away are placed, with the classic greedy for balance: largest
 * load first, each onto the queue whose load is least (a min-heap of
 * queues, so O(n log txqs)). Balance drifts only as classes leave, and is
 * restored by placing the next ones where the load is lowest.
 *
 * Minors. A new class takes the lowest minor of its tree that no
 * placement of the previous run holds and no live class occupies. A minor
 * somebody left in this run still carries the old class, maybe the old
 * customer's prefixes until the maps are repointed; a new class there
 * would be the old one changed in place, old counters and queued packets
 * included, or, under another parent, a class HTB cannot move. Those are
 * given out again only when a tree has no other minor left, and freely by
 * the next run, once the class is gone.
 *
 * Spares. Making or deleting an HTB class costs the kernel a walk of
 * every filter block of the system (tree.h), so a class a customer left
 * stays, a spare under its parent, and the next run gives it to a new
 * customer with one in-place change: only once no placement holds it and
 * no prefix points at it (plan_live_class.free), so the change never
 * reaches the packets of the customer who had it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/plan.h"
#include "conf/rate.h"

#define PLAN_MAGIC "xshaper-plan 1"
/* Nodes whose children's rates overbook them: shown, then counted. */
#define MAX_OVERBOOKED 20

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

const char *plan_class_id(const struct plan *p, const struct plan_class *c)
{
	return c->kind == PLAN_NODE ? p->net->v[c->ref].name : p->list->v[c->ref].id;
}

static int placement_key_cmp(enum plan_kind kind, const char *id, const struct placement *p)
{
	if (kind != p->kind)
		return kind < p->kind ? -1 : 1;
	return kind == PLAN_CUSTOMER ? customer_id_cmp(id, p->id) : strcmp(id, p->id);
}

const struct placement *placements_find(const struct placements *prev, enum plan_kind kind,
					const char *id)
{
	size_t lo = 0, hi = prev ? prev->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = placement_key_cmp(kind, id, &prev->v[mid]);

		if (!c)
			return &prev->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct placement *placements_by_classid(const struct placements *prev, uint32_t classid)
{
	size_t i;

	for (i = 0; prev && i < prev->n; i++)
		if (xs_classid(prev->v[i].txq, prev->v[i].minor) == classid)
			return &prev->v[i];
	return NULL;
}

void placements_free(struct placements *prev)
{
	size_t i;

	for (i = 0; i < prev->n; i++) {
		free(prev->v[i].id);
		free(prev->v[i].parent);
		free(prev->v[i].name);
	}
	free(prev->v);
	prev->v = NULL;
	prev->n = 0;
}

const struct plan_class *plan_find_customer(const struct plan *plan, const char *id)
{
	const struct customer *c = customers_find(plan->list, id);

	return c ? plan_customer(plan, (size_t)(c - plan->list->v)) : NULL;
}

void plan_free(struct plan *plan)
{
	free(plan->classes);
	free(plan->node_class);
	free(plan->spares);
	free(plan->placed);
	free(plan->prev_listed);
	plan->classes = NULL;
	plan->node_class = NULL;
	plan->spares = NULL;
	plan->placed = NULL;
	plan->prev_listed = NULL;
	plan->n = plan->nnodes = plan->nspares = 0;
	plan->reused = plan->spares_made = 0;
}

/* One bit per minor of one tree. */
#define MINOR_WORDS ((XS_MAX_MINOR + 1) / 64)

struct txq_state {
	uint64_t load;
	uint64_t taken[MINOR_WORDS]; /* by a class of this plan */
	uint64_t avoid[MINOR_WORDS]; /* by a previous placement or a live class */
	uint32_t next, next_any; /* lowest minor not known to be taken (and avoided) */
	uint32_t count;
	uint32_t biggest; /* its top-level class of most load, for messages; PLAN_NONE */
};

struct builder {
	const struct xs_config *cfg;
	struct plan *out;
	const struct placements *prev;
	struct txq_state *txqs;
	uint32_t ntxqs;
	uint32_t *top; /* per class: its top-level class */
	uint64_t *load; /* per top-level class */
	uint8_t *kept; /* per class: kept its minor */
	const struct placement **kept_pl; /* per class: the placement it kept */
	uint32_t *heap; /* txq numbers, min-heap by (load, txq) */
	uint32_t nheap;
	const struct plan_live *live; /* never NULL: an empty one */
	uint32_t *free_v; /* indices of live's free leaves, by (parent, classid) */
	size_t nfree;
	uint8_t *free_used; /* per entry of free_v */
};

static bool bit_test(const uint64_t *w, uint32_t i)
{
	return w[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *w, uint32_t i)
{
	w[i / 64] |= 1ULL << (i % 64);
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

/* Take minor of txq for class k if it is in range and free; whether it was. */
static bool claim(struct builder *b, uint32_t txq, uint32_t minor, uint32_t k)
{
	struct txq_state *t = &b->txqs[txq];

	if (minor < XS_FIRST_MINOR || minor > XS_MAX_MINOR || bit_test(t->taken, minor))
		return false;
	bit_set(t->taken, minor);
	t->count++;
	b->out->classes[k].minor = minor;
	b->kept[k] = 1;
	return true;
}

static int live_cmp(const void *key, const void *elem)
{
	uint32_t classid = *(const uint32_t *)key;
	const struct plan_live_class *l = elem;

	return classid < l->classid ? -1 : classid > l->classid;
}

static const struct plan_live_class *live_find(const struct plan_live *live, uint32_t classid)
{
	return live->n ? bsearch(&classid, live->v, live->n, sizeof(*live->v), live_cmp) : NULL;
}

/* The free leaves by parent class, then classid: each parent's in one run. */
static int free_cmp(const void *x, const void *y, void *ctx)
{
	const struct plan_live_class *v = ctx;
	const struct plan_live_class *a = &v[*(const uint32_t *)x], *b = &v[*(const uint32_t *)y];

	if (a->parent != b->parent)
		return a->parent < b->parent ? -1 : 1;
	return a->classid < b->classid ? -1 : a->classid > b->classid;
}

/* The classid of the class k hangs from, once its parent is placed. */
static uint32_t parent_classid(const struct plan *p, const struct plan_class *c)
{
	const struct plan_class *up;

	if (c->parent == PLAN_NONE)
		return xs_classid(c->txq, XS_ROOT_MINOR);
	up = &p->classes[c->parent];
	return xs_classid(up->txq, up->minor);
}

/*
 * A free spare of the kernel for class k (a customer): under the parent
 * it hangs from, which must be the class that was there before (the root
 * class, or a node that kept its minor). Taken: the minor is k's.
 */
static bool take_spare(struct builder *b, uint32_t k)
{
	struct plan_class *c = &b->out->classes[k];
	struct txq_state *t = &b->txqs[c->txq];
	uint32_t parent;
	size_t lo = 0, hi = b->nfree, i;

	if (c->kind != PLAN_CUSTOMER || (c->parent != PLAN_NONE && !b->kept[c->parent]))
		return false;
	parent = parent_classid(b->out, c);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->live->v[b->free_v[mid]].parent < parent)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < b->nfree && b->live->v[b->free_v[i]].parent == parent; i++) {
		uint32_t minor = xs_handle_minor(b->live->v[b->free_v[i]].classid);

		if (b->free_used[i] || bit_test(t->taken, minor))
			continue;
		b->free_used[i] = 1;
		bit_set(t->taken, minor);
		t->count++;
		c->minor = minor;
		return true;
	}
	return false;
}

/*
 * The lowest minor nobody takes or avoids; failing that, with any, the
 * lowest nobody takes (a spare never gets an avoided one: a live class).
 */
static uint32_t take_minor(struct txq_state *t, bool any)
{
	uint32_t m;

	for (m = t->next; m <= XS_MAX_MINOR; m++)
		if (!bit_test(t->taken, m) && !bit_test(t->avoid, m))
			break;
	t->next = m;
	if (m > XS_MAX_MINOR && any) {
		for (m = t->next_any; m <= XS_MAX_MINOR && bit_test(t->taken, m); m++)
			;
		t->next_any = m;
	}
	if (m <= XS_MAX_MINOR) {
		bit_set(t->taken, m);
		t->count++;
	}
	return m;
}

/* The previous placement of class k when it may keep it: same parent, same tree. */
static const struct placement *kept_place(struct builder *b, uint32_t k)
{
	const struct plan *p = b->out;
	const struct plan_class *c = &p->classes[k];
	const struct placement *pl = p->placed[k];

	/* a tree that changed hands is another CPU's now: its classes are placed again */
	if (!pl || pl->txq >= b->ntxqs || config_txq_cpu(b->cfg, pl->txq) != pl->cpu)
		return NULL;
	if (c->parent == PLAN_NONE)
		return pl->parent ? NULL : pl;
	if (!pl->parent || !b->kept[c->parent] ||
	    strcmp(pl->parent, plan_class_id(p, &p->classes[c->parent])))
		return NULL;
	return pl;
}

/* New top-level classes, largest load first; ties by kind and id, so qsort cannot reorder. */
static int place_cmp(const void *x, const void *y, void *ctx)
{
	const struct builder *b = ctx;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	const struct plan_class *ci = &b->out->classes[i], *cj = &b->out->classes[j];

	if (b->load[i] != b->load[j])
		return b->load[i] > b->load[j] ? -1 : 1;
	if (ci->kind != cj->kind)
		return ci->kind < cj->kind ? -1 : 1;
	if (ci->kind == PLAN_CUSTOMER)
		return customer_id_cmp(plan_class_id(b->out, ci), plan_class_id(b->out, cj));
	return strcmp(plan_class_id(b->out, ci), plan_class_id(b->out, cj));
}

/* The classes of the inputs, parent-first, with their rates; no places yet. */
static int fill_classes(const struct network *net, const struct customer_list *list,
			struct plan *out)
{
	size_t i, k = 0;
	int dir;

	out->classes = calloc(net->nreal + list->n + 1, sizeof(*out->classes));
	out->node_class = calloc(net->n + 1, sizeof(*out->node_class));
	if (!out->classes || !out->node_class)
		return -ENOMEM;
	for (i = 0; i < net->n; i++) {
		const struct node *nd = &net->v[i];
		struct plan_class *c;

		out->node_class[i] = PLAN_NONE;
		if (nd->virtual)
			continue;
		c = &out->classes[k];
		c->kind = PLAN_NODE;
		c->ref = (uint32_t)i;
		/* pre-order: the node up is before it, and has its class already */
		c->parent = nd->up == NETWORK_NONE ? PLAN_NONE : out->node_class[nd->up];
		c->depth = c->parent == PLAN_NONE ? 0 : out->classes[c->parent].depth + 1;
		for (dir = 0; dir < XS_DIRS; dir++)
			c->rate[dir] = c->ceil[dir] = nd->cap[dir];
		out->node_class[i] = (uint32_t)k++;
	}
	out->nnodes = k;
	for (i = 0; i < list->n; i++) {
		const struct customer *cu = &list->v[i];
		struct plan_class *c = &out->classes[k++];
		int real = cu->node == NETWORK_NONE ? NETWORK_NONE : net->v[cu->node].real;

		c->kind = PLAN_CUSTOMER;
		c->ref = (uint32_t)i;
		c->parent = real == NETWORK_NONE ? PLAN_NONE : out->node_class[real];
		c->depth = c->parent == PLAN_NONE ? 0 : out->classes[c->parent].depth + 1;
		for (dir = 0; dir < XS_DIRS; dir++) {
			customer_rates(cu, dir, &c->rate[dir], &c->ceil[dir]);
			/* the list lowered these already (with a warning); be sure */
			if (c->parent != PLAN_NONE) {
				c->ceil[dir] =
					min64(c->ceil[dir], out->classes[c->parent].ceil[dir]);
				c->rate[dir] = min64(c->rate[dir], c->ceil[dir]);
			}
		}
	}
	out->n = k;
	return 0;
}

/* Warn about nodes whose children are promised more than the node has. */
static void warn_overbooked(const struct plan *p)
{
	uint64_t(*sum)[XS_DIRS] = calloc(p->nnodes + 1, sizeof(*sum));
	size_t i, shown = 0, more = 0;
	char a[32], b[32];
	int dir;

	if (!sum)
		return; /* only a warning */
	for (i = 0; i < p->n; i++)
		for (dir = 0; dir < XS_DIRS && p->classes[i].parent != PLAN_NONE; dir++)
			sum[p->classes[i].parent][dir] =
				sat_add(sum[p->classes[i].parent][dir], p->classes[i].rate[dir]);
	for (i = 0; i < p->nnodes; i++) {
		const struct node *nd = &p->net->v[p->classes[i].ref];

		for (dir = XS_DIRS; dir-- > 0;) {
			if (sum[i][dir] <= p->classes[i].ceil[dir])
				continue;
			if (shown++ >= MAX_OVERBOOKED) {
				more++;
				break;
			}
			pr_warn("%s:%u:%u: node '%s': the guaranteed %s rates of its children add "
				"up to %s, above its cap of %s: they cannot all have them at "
				"once\n",
				p->net->file, nd->line, nd->column, nd->name,
				dir == XS_LAN ? "download" : "upload",
				rate_format(sum[i][dir], a, sizeof(a)),
				rate_format(p->classes[i].ceil[dir], b, sizeof(b)));
			break;
		}
	}
	if (more)
		pr_warn("%s: and %zu more nodes whose children's rates add up to more than their "
			"cap\n",
			p->net->file, more);
	free(sum);
}

static int place(struct builder *b)
{
	struct plan *p = b->out;
	uint32_t *order = NULL, norder = 0, k, txq;
	int err = 0;

	/* the load of each top-level class: its ceils, a node's capped by its cap */
	for (k = 0; k < p->n; k++) {
		struct plan_class *c = &p->classes[k];

		b->top[k] = c->parent == PLAN_NONE ? k : b->top[c->parent];
		if (c->kind == PLAN_CUSTOMER)
			b->load[b->top[k]] = sat_add(b->load[b->top[k]],
						     sat_add(c->ceil[XS_LAN], c->ceil[XS_WAN]));
	}
	order = malloc((p->n + 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (k = 0; k < p->n; k++) {
		struct plan_class *c = &p->classes[k];
		const struct placement *pl;

		if (c->parent != PLAN_NONE)
			continue;
		if (c->kind == PLAN_NODE)
			b->load[k] = min64(b->load[k], sat_add(c->ceil[XS_LAN], c->ceil[XS_WAN]));
		pl = kept_place(b, k);
		if (!pl) {
			order[norder++] = k;
			continue;
		}
		c->txq = pl->txq;
		b->txqs[c->txq].load = sat_add(b->txqs[c->txq].load, b->load[k]);
		if (claim(b, c->txq, pl->minor, k))
			b->kept_pl[k] = pl;
	}
	qsort_r(order, norder, sizeof(*order), place_cmp, b);
	for (txq = 0; txq < b->ntxqs; txq++)
		b->heap[b->nheap++] = txq;
	for (k = b->nheap / 2; k-- > 0;)
		heap_down(b, k);
	for (k = 0; k < norder; k++) {
		struct plan_class *c = &p->classes[order[k]];

		c->txq = b->heap[0];
		b->txqs[c->txq].load = sat_add(b->txqs[c->txq].load, b->load[order[k]]);
		heap_down(b, 0);
	}
	/* below the top, parent-first: a class keeps its minor when its parent kept its own */
	for (k = 0; k < p->n; k++) {
		struct plan_class *c = &p->classes[k];
		const struct placement *pl;

		if (c->parent == PLAN_NONE)
			continue;
		c->txq = p->classes[c->parent].txq;
		pl = kept_place(b, k);
		if (pl && pl->txq == c->txq && claim(b, c->txq, pl->minor, k))
			b->kept_pl[k] = pl;
	}
	for (k = 0; k < p->n; k++) {
		struct plan_class *c = &p->classes[k];
		struct txq_state *t = &b->txqs[c->txq];

		if (t->biggest == PLAN_NONE || b->load[b->top[k]] > b->load[t->biggest])
			t->biggest = b->top[k];
	}
	for (k = 0; k < p->n && !err; k++) {
		struct plan_class *c = &p->classes[k];

		c->cpu = config_txq_cpu(b->cfg, c->txq);
		if (b->kept[k])
			continue;
		if (take_spare(b, k)) {
			c->reused = true;
			p->reused++;
			continue;
		}
		c->minor = take_minor(&b->txqs[c->txq], true);
		if (c->minor <= XS_MAX_MINOR)
			continue;
		pr_err("the HTB tree of TX queue %u has no class minor left for %s '%s': a "
		       "tree holds at most %u classes of nodes and customers, and '%s' and "
		       "what else is placed there need more; mark big nodes \"virtual\" "
		       "(their children spread over the CPUs) or raise queues_per_cpu\n",
		       c->txq, c->kind == PLAN_NODE ? "node" : "customer", plan_class_id(p, c),
		       XS_MINORS_PER_TREE, plan_class_id(p, &p->classes[b->txqs[c->txq].biggest]));
		err = -ENOSPC;
	}
	free(order);
	return err;
}

/*
 * Where the customers start counting: from their class's counters when
 * they were given it, kept while the class lives on and counts on.
 */
static void set_baselines(struct builder *b)
{
	struct plan *p = b->out;
	size_t k;
	int dir;

	for (k = p->nnodes; k < p->n; k++) {
		struct plan_class *c = &p->classes[k];
		const struct placement *pl = b->kept_pl[k];
		const struct plan_live_class *lc;

		if (!c->reused && !pl)
			continue;
		lc = live_find(b->live, xs_classid(c->txq, c->minor));
		if (!lc)
			continue; /* made anew: from zero */
		/* link by link: a class made again on one counts from zero there */
		for (dir = 0; dir < XS_DIRS; dir++) {
			if (!lc->on[dir])
				continue;
			if (c->reused)
				memcpy(c->base[dir], lc->counters[dir], sizeof(c->base[dir]));
			else if (lc->counters[dir][PLAN_BYTES] >= pl->base[dir][PLAN_BYTES])
				memcpy(c->base[dir], pl->base[dir], sizeof(c->base[dir]));
		}
	}
}

static int node_classid_cmp(const void *x, const void *y)
{
	const uint32_t *a = x, *b = y;

	return a[0] < b[0] ? -1 : a[0] > b[0];
}

static int spare_cmp(const void *x, const void *y)
{
	const struct plan_spare *a = x, *b = y;
	uint32_t i = xs_classid(a->txq, a->minor), j = xs_classid(b->txq, b->minor);

	return i < j ? -1 : i > j;
}

/*
 * The spares of every parent class with customers: the live leaves nobody
 * has now (by classid), up to twice config_spares(); when that leaves
 * fewer than half of it, new ones up to config_spares(). The slack both
 * ways is what lets a churn reload make and delete nothing: the classes
 * customers take and leave balance only over the whole list, not in each
 * tree. A parent is a tree's root class (slot txq) or a node (slot ntxqs
 * + its index).
 */
static int keep_spares(struct builder *b)
{
	struct plan *p = b->out;
	size_t nslots = b->ntxqs + p->nnodes, i, k, nnodes = 0, cap = 0;
	uint32_t *want = calloc(nslots + 1, sizeof(*want));
	uint32_t *have = calloc(nslots + 1, sizeof(*have));
	uint32_t(*nodes)[2] = calloc(p->nnodes + 1, sizeof(*nodes));
	int err = 0;

	if (!want || !have || !nodes) {
		err = -ENOMEM;
		goto out;
	}
	for (k = p->nnodes; k < p->n; k++) {
		const struct plan_class *c = &p->classes[k];

		want[c->parent == PLAN_NONE ? c->txq : b->ntxqs + c->parent]++;
	}
	for (i = 0; i < nslots; i++) {
		want[i] = config_spares(b->cfg, want[i]);
		cap += 2 * want[i];
	}
	if (!cap)
		goto out;
	p->spares = calloc(cap, sizeof(*p->spares));
	if (!p->spares) {
		err = -ENOMEM;
		goto out;
	}
	/* the nodes whose live class is theirs still: only those have live spares */
	for (k = 0; k < p->nnodes; k++) {
		if (!b->kept[k])
			continue;
		nodes[nnodes][0] = xs_classid(p->classes[k].txq, p->classes[k].minor);
		nodes[nnodes++][1] = (uint32_t)k;
	}
	qsort(nodes, nnodes, sizeof(*nodes), node_classid_cmp);
	for (i = 0; i < b->live->n; i++) {
		const struct plan_live_class *lc = &b->live->v[i];
		uint32_t txq = xs_classid_txq(lc->classid), minor = xs_handle_minor(lc->classid);
		uint32_t key[2] = { lc->parent }, (*nd)[2], slot;

		if (!lc->leaf || minor < XS_FIRST_MINOR || txq >= b->ntxqs ||
		    bit_test(b->txqs[txq].taken, minor) ||
		    xs_handle_major(lc->parent) != xs_handle_major(lc->classid))
			continue;
		if (xs_handle_minor(lc->parent) == XS_ROOT_MINOR) {
			slot = txq;
		} else {
			nd = bsearch(key, nodes, nnodes, sizeof(*nodes), node_classid_cmp);
			if (!nd)
				continue;
			slot = b->ntxqs + (*nd)[1];
		}
		if (have[slot] >= 2 * want[slot])
			continue;
		have[slot]++;
		bit_set(b->txqs[txq].taken, minor);
		p->spares[p->nspares++] = (struct plan_spare){
			.txq = txq,
			.minor = minor,
			.parent = slot < b->ntxqs ? PLAN_NONE : (uint32_t)(slot - b->ntxqs),
			.live = true,
		};
	}
	for (i = 0; i < nslots; i++) {
		uint32_t txq = i < b->ntxqs ? (uint32_t)i : p->classes[i - b->ntxqs].txq;

		if (2 * have[i] >= want[i])
			continue; /* at least half the pool: nothing is made */
		while (have[i] < want[i]) {
			uint32_t minor = take_minor(&b->txqs[txq], false);

			/* a tree short of minors no class holds has no room for spares */
			if (minor > XS_MAX_MINOR)
				break;
			have[i]++;
			p->spares_made++;
			p->spares[p->nspares++] = (struct plan_spare){
				.txq = txq,
				.minor = minor,
				.parent = i < b->ntxqs ? PLAN_NONE : (uint32_t)(i - b->ntxqs),
			};
		}
	}
	qsort(p->spares, p->nspares, sizeof(*p->spares), spare_cmp);
out:
	free(want);
	free(have);
	free(nodes);
	return err;
}

int plan_init(const struct xs_config *cfg, const struct network *net,
	      const struct customer_list *list, struct plan *out)
{
	static const struct network empty = { .file = "" };
	int err, dir;

	memset(out, 0, sizeof(*out));
	if (!net)
		net = &empty;
	out->cfg = cfg;
	out->net = net;
	out->list = list;
	for (dir = 0; dir < XS_DIRS; dir++) {
		out->links[dir].ifname = config_ifname(cfg, dir);
		out->links[dir].capacity = config_capacity(cfg, dir);
	}
	err = fill_classes(net, list, out);
	if (err)
		plan_free(out);
	return err;
}

/* The list is sorted by id and holds each once (customers_load): checked, as bsearch needs it. */
static int check_list_order(const struct customer_list *list)
{
	size_t i;

	for (i = 1; i < list->n; i++) {
		int c = customer_id_cmp(list->v[i - 1].id, list->v[i].id);

		if (c < 0)
			continue;
		if (c == 0)
			pr_err("customer id %s appears twice in the list\n", list->v[i].id);
		else
			pr_err("the customer list is not sorted by id (%s before %s)\n",
			       list->v[i - 1].id, list->v[i].id);
		return -EINVAL;
	}
	return 0;
}

/* prev->v[k] and its neighbours of the same kind and id (twice only in a file edited by hand). */
static void mark_listed(const struct placements *prev, size_t k, bool *listed)
{
	const struct placement *pl = &prev->v[k];
	size_t i;

	for (i = k; i < prev->n && !placement_key_cmp(pl->kind, pl->id, &prev->v[i]); i++)
		listed[i] = true;
	for (i = k; i-- > 0 && !placement_key_cmp(pl->kind, pl->id, &prev->v[i]);)
		listed[i] = true;
}

/*
 * p->placed and p->prev_listed. The customers of the list and of prev are
 * both in id order (prev by placement_key_cmp, nodes first), so one walk
 * of both matches them with about one compare each, where a look-up takes
 * some 17 (and a run made several per customer). An id prev holds twice
 * is left to placements_find, whichever of the two it picks. The few
 * nodes are looked up.
 */
static int match_prev(struct plan *p, const struct placements *prev)
{
	size_t n = prev ? prev->n : 0, i, j;

	p->placed = calloc(p->n + 1, sizeof(*p->placed));
	p->prev_listed = calloc(n + 1, sizeof(*p->prev_listed));
	if (!p->placed || !p->prev_listed)
		return -ENOMEM;
	if (!n)
		return 0;
	for (i = 0; i < p->nnodes; i++) {
		p->placed[i] = placements_find(prev, PLAN_NODE, plan_class_id(p, &p->classes[i]));
		if (p->placed[i])
			mark_listed(prev, (size_t)(p->placed[i] - prev->v), p->prev_listed);
	}
	for (j = 0; j < n && prev->v[j].kind == PLAN_NODE; j++)
		;
	for (i = 0; i < p->list->n; i++) {
		const char *id = p->list->v[i].id;
		int c = 1;

		for (; j < n && (c = customer_id_cmp(prev->v[j].id, id)) < 0; j++)
			;
		if (c)
			continue;
		if (j + 1 < n && !strcmp(prev->v[j + 1].id, id))
			p->placed[p->nnodes + i] = placements_find(prev, PLAN_CUSTOMER, id);
		else
			p->placed[p->nnodes + i] = &prev->v[j];
		mark_listed(prev, j, p->prev_listed);
		for (; j < n && !strcmp(prev->v[j].id, id); j++)
			;
	}
	return 0;
}

int plan_build(const struct xs_config *cfg, const struct network *net,
	       const struct customer_list *list, const struct placements *prev,
	       const uint32_t *busy, size_t nbusy, const struct plan_live *live, struct plan *out)
{
	static const struct plan_live no_live;
	struct builder b = { .cfg = cfg, .out = out, .prev = prev };
	size_t i;
	uint32_t t;
	int err;

	memset(out, 0, sizeof(*out));
	if (config_check_txqs(cfg) || check_list_order(list))
		return -EINVAL;
	err = plan_init(cfg, net, list, out);
	if (!err)
		err = match_prev(out, prev);
	if (err)
		goto out;

	b.ntxqs = config_txqs(cfg);
	b.txqs = calloc(b.ntxqs, sizeof(*b.txqs));
	b.heap = calloc(b.ntxqs, sizeof(*b.heap));
	b.top = calloc(out->n + 1, sizeof(*b.top));
	b.load = calloc(out->n + 1, sizeof(*b.load));
	b.kept = calloc(out->n + 1, 1);
	b.kept_pl = calloc(out->n + 1, sizeof(*b.kept_pl));
	b.live = live ? live : &no_live;
	b.free_v = calloc(b.live->n + 1, sizeof(*b.free_v));
	b.free_used = calloc(b.live->n + 1, 1);
	if (!b.txqs || !b.heap || !b.top || !b.load || !b.kept || !b.kept_pl || !b.free_v ||
	    !b.free_used) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < b.live->n; i++) {
		const struct plan_live_class *lc = &b.live->v[i];

		if (lc->free && lc->leaf && xs_handle_minor(lc->classid) >= XS_FIRST_MINOR &&
		    xs_classid_txq(lc->classid) < config_txqs(cfg))
			b.free_v[b.nfree++] = (uint32_t)i;
	}
	qsort_r(b.free_v, b.nfree, sizeof(*b.free_v), free_cmp, (void *)b.live->v);
	for (t = 0; t < b.ntxqs; t++) {
		b.txqs[t].next = b.txqs[t].next_any = XS_FIRST_MINOR;
		b.txqs[t].biggest = PLAN_NONE;
	}
	for (i = 0; prev && i < prev->n; i++)
		if (prev->v[i].txq < b.ntxqs && prev->v[i].minor <= XS_MAX_MINOR)
			bit_set(b.txqs[prev->v[i].txq].avoid, prev->v[i].minor);
	for (i = 0; i < nbusy; i++) {
		t = xs_classid_txq(busy[i]);
		if (xs_handle_major(busy[i]) && t < b.ntxqs)
			bit_set(b.txqs[t].avoid, xs_handle_minor(busy[i]));
	}
	err = place(&b);
	if (!err) {
		set_baselines(&b);
		err = keep_spares(&b);
	}
	if (!err)
		warn_overbooked(out);
out:
	if (err == -ENOMEM)
		pr_err("out of memory planning %zu customers\n", list->n);
	free(b.txqs);
	free(b.heap);
	free(b.top);
	free(b.load);
	free(b.kept);
	free(b.kept_pl);
	free(b.free_v);
	free(b.free_used);
	if (err)
		plan_free(out);
	return err;
}

/*
 * The placements file. Text, a line a class, fields separated by one
 * space; a string field has every byte outside '!'..'~' and '%' as %XX,
 * and "-" stands for none (NULL or ""):
 *
 *   xshaper-plan 1
 *   node 0 3 0 Site%20A -
 *   node 0 4 0 AP1 Site%20A
 *   customer 0 5 0 1001 AP1 Alice
 *   customer 0 6 0 1002 AP1 Bob 0:1200,10,0,0:980,9,1,0
 *
 * kind, txq, minor, cpu, id, parent, name and, for a customer with a
 * baseline (plan_class.base), its counters per link (enum xs_dir order):
 * bytes, packets, drops, overlimits. Nodes come parent-first.
 */
static void put_field(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s || !*s || !strcmp(s, "-")) {
		fputs(s && !strcmp(s, "-") ? "%2D" : "-", f);
		return;
	}
	for (; *p; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '%')
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

static void put_base(FILE *f, const uint64_t base[XS_DIRS][PLAN_COUNTERS])
{
	static const uint64_t zero[XS_DIRS][PLAN_COUNTERS];
	int dir, i;

	if (!memcmp(base, zero, sizeof(zero)))
		return;
	fputc(' ', f);
	for (dir = 0; dir < XS_DIRS; dir++)
		for (i = 0; i < PLAN_COUNTERS; i++)
			fprintf(f, "%" PRIu64 "%s", base[dir][i],
				i + 1 < PLAN_COUNTERS ? ","
				: dir + 1 < XS_DIRS   ? ":"
						      : "");
}

int plan_save(const struct plan *plan, const char *path)
{
	char tmp[4096 + 8];
	size_t i;
	FILE *f;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		pr_err("%s: cannot write the placements: %s\n", tmp, strerror(-err));
		return err;
	}
	fprintf(f, "%s\n", PLAN_MAGIC);
	for (i = 0; i < plan->n; i++) {
		const struct plan_class *c = &plan->classes[i];

		fprintf(f, "%s %u %u %u ", c->kind == PLAN_NODE ? "node" : "customer", c->txq,
			c->minor, c->cpu);
		put_field(f, plan_class_id(plan, c));
		fputc(' ', f);
		put_field(f, c->parent == PLAN_NONE
				     ? NULL
				     : plan_class_id(plan, &plan->classes[c->parent]));
		fputc(' ', f);
		put_field(f, c->kind == PLAN_CUSTOMER ? plan->list->v[c->ref].name : NULL);
		put_base(f, c->base);
		fputc('\n', f);
	}
	if (fflush(f) || ferror(f) || fsync(fileno(f)))
		err = -EIO;
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		pr_err("%s: cannot write the placements: %s\n", path, strerror(-err));
		unlink(tmp);
	}
	return err;
}

static int unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string field in place; NULL for "-". -EINVAL for a bad escape. */
static int get_field(char *s, char **out)
{
	char *d = s, *p;

	*out = NULL;
	if (!strcmp(s, "-"))
		return 0;
	for (p = s; *p; p++) {
		if (*p == '%') {
			int h = unhex(p[1]), l = h < 0 ? -1 : unhex(p[2]);

			if (l < 0 || (h == 0 && l == 0))
				return -EINVAL;
			*d++ = (char)(h << 4 | l);
			p += 2;
		} else {
			*d++ = *p;
		}
	}
	*d = '\0';
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int placement_cmp(const void *a, const void *b)
{
	const struct placement *x = a;

	return placement_key_cmp(x->kind, x->id, b);
}

/* The next field of a line split at single blanks, in place; NULL when there is none. */
static char *next_field(char **p)
{
	char *s = *p, *e;

	if (!s || !*s)
		return NULL;
	e = strchr(s, ' ');
	if (e) {
		*e = '\0';
		*p = e + 1;
	} else {
		*p = NULL;
	}
	return s;
}

/* A baseline field (put_base) into base; whether it was one. */
static bool base_field(const char *s, uint64_t base[XS_DIRS][PLAN_COUNTERS])
{
	int dir, i;

	for (dir = 0; dir < XS_DIRS; dir++) {
		for (i = 0; i < PLAN_COUNTERS; i++) {
			uint64_t n = 0;
			int digits = 0;

			for (; *s >= '0' && *s <= '9' && digits < 20; s++, digits++) {
				if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
					return false;
				n = n * 10 + (uint64_t)(*s - '0');
			}
			if (!digits)
				return false;
			base[dir][i] = n;
			if (*s != (i + 1 < PLAN_COUNTERS ? ',' : dir + 1 < XS_DIRS ? ':' : '\0'))
				return false;
			if (*s)
				s++;
		}
	}
	return true;
}

/* A decimal field of at most 10 digits into *v; whether it was one. */
static bool uint_field(const char *s, unsigned int *v)
{
	unsigned long n = 0;
	size_t i;

	if (!s || !*s || strlen(s) > 10)
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	if (n > UINT32_MAX)
		return false;
	*v = (unsigned int)n;
	return true;
}

int plan_load(const char *path, struct placements *out)
{
	char *line = NULL;
	size_t linecap = 0, i;
	ssize_t len;
	unsigned int lineno = 1;
	size_t cap = 0;
	int err = 0;
	FILE *f;

	memset(out, 0, sizeof(*out));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (getline(&line, &linecap, f) < 0 || strcmp(line, PLAN_MAGIC "\n")) {
		err = -EINVAL;
		goto bad;
	}
	while ((len = getline(&line, &linecap, f)) >= 0) {
		char *kind, *id, *parent, *name, *base, *rest = line;
		unsigned int txq, minor, cpu;
		struct placement *pl;

		lineno++;
		/* a name has no length limit: fields are as long as the line */
		if (len == 0 || line[len - 1] != '\n' || strlen(line) != (size_t)len) {
			err = -EINVAL;
			goto bad;
		}
		line[len - 1] = '\0';
		kind = next_field(&rest);
		if (!uint_field(next_field(&rest), &txq) ||
		    !uint_field(next_field(&rest), &minor) ||
		    !uint_field(next_field(&rest), &cpu)) {
			err = -EINVAL;
			goto bad;
		}
		id = next_field(&rest);
		parent = next_field(&rest);
		name = next_field(&rest);
		base = next_field(&rest);
		if (!kind || !id || !parent || !name || !*id || !*parent || !*name || rest) {
			err = -EINVAL;
			goto bad;
		}
		if (out->n == cap) {
			size_t ncap = cap ? 2 * cap : 1024;
			struct placement *v = realloc(out->v, ncap * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				goto bad;
			}
			out->v = v;
			cap = ncap;
		}
		pl = &out->v[out->n];
		*pl = (struct placement){ .txq = txq, .minor = minor, .cpu = cpu };
		if (!strcmp(kind, "node"))
			pl->kind = PLAN_NODE;
		else if (!strcmp(kind, "customer"))
			pl->kind = PLAN_CUSTOMER;
		else
			err = -EINVAL;
		out->n++;
		if (!err)
			err = get_field(id, &pl->id);
		if (!err)
			err = get_field(parent, &pl->parent);
		if (!err)
			err = get_field(name, &pl->name);
		if (!err && !pl->id)
			err = -EINVAL;
		if (!err && base && (pl->kind != PLAN_CUSTOMER || !base_field(base, pl->base)))
			err = -EINVAL;
		if (!err && !pl->name)
			pl->name = strdup("");
		if (!err && !pl->name)
			err = -ENOMEM;
		if (!err && (pl->txq >= XS_MAX_TXQS || pl->minor < XS_FIRST_MINOR ||
			     pl->minor > XS_MAX_MINOR || pl->cpu >= XS_MAX_CPUS))
			err = -EINVAL;
		if (err)
			goto bad;
	}
	if (ferror(f)) {
		err = -EIO;
		goto bad;
	}
	free(line);
	fclose(f);
	/* plan_save writes the customers in id order: sorted but for the nodes, if any */
	for (i = 1; i < out->n && placement_cmp(&out->v[i - 1], &out->v[i]) <= 0; i++)
		;
	if (i < out->n)
		qsort(out->v, out->n, sizeof(*out->v), placement_cmp);
	return 0;
bad:
	if (err == -EINVAL)
		pr_warn("%s:%u: not a placements file of this xshaper; classes are placed anew\n",
			path, lineno);
	else
		pr_warn("%s: reading the placements failed: %s; classes are placed anew\n", path,
			strerror(-err));
	free(line);
	fclose(f);
	placements_free(out);
	return err == -ENOMEM ? err : -EINVAL;
}
