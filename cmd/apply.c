// SPDX-License-Identifier: GPL-2.0-only
/*
 * start, reload and stop: the reload contract (docs/operator-guide.md, "Cron
 * reloads") composed from conf/ (what should be), steer/ (the BPF maps) and
 * the tree code (the qdiscs). Everything is validated before anything is
 * touched; the live state is read back and only the difference is applied,
 * in an order where no packet is ever classified into a class that does not
 * exist:
 *
 *   1. create roots and new classes, change rates in place   (tree, phase 1)
 *   2. point the prefixes at their customers' classes        (steer_sync)
 *   3. delete the classes nobody is steered to any more       (tree, phase 2)
 *
 * A run killed between any two netlink messages leaves a state in which
 * every prefix points at an existing class (1 and 2 only add, 3 only
 * removes what 2 no longer references), and the next run reads that state
 * back and finishes the job.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/handle.h"
#include "common/log.h"
#include "common/problems.h"
#include "conf/config.h"
#include "conf/customers.h"
#include "conf/plan.h"
#include "conf/rate.h"
#include "cmd/commands.h"
#include "cmd/lock.h"
#include "shaper/tree.h"
#include "steer/steer.h"

struct run {
	struct xs_config cfg;
	struct network net;
	struct customer_list list;
	struct plan plan;
	struct steer_snapshot maps; /* the prefix maps before the run, read once */
	uint32_t *steered; /* the classids its prefixes point at, sorted (one per prefix) */
	struct placements prev; /* where the last run placed everything: plan_build's prev */
	size_t nprev; /* customers in prev */
	/*
	 * prev came from the maps (no placements file): the classes the maps
	 * steer to that no customer of the list holds, each a customer this
	 * run removes (the maps name no customers)
	 */
	size_t unlisted;
	bool prev_from_maps; /* no placements file: prev is what the maps tell */
	char plan_path[PATH_MAX]; /* where this run keeps its placements */
	struct steer *steer;
	struct tc_sock *ts;
	/* by role (enum xs_dir) */
	struct tree want[XS_DIRS], live[XS_DIRS];
	struct tree_diff diff[XS_DIRS];
	bool moved[XS_DIRS]; /* the role moves to another interface */
	int lock;
	bool force; /* past [customers] max_removed */
	size_t repaired; /* what the data path lacked, found before the diff */
	/*
	 * The run failed on its inputs: the config, the list, or what they
	 * ask of the system (more customers or trees than it can hold). The
	 * operator's to fix, and nothing was changed (exit 1).
	 */
	bool refused;
};

/* The functions below return 0 or -errno, each failure reported; run() picks the exit status. */

/* Per customer (by plan index), what a reload changes in place. */
#define CHANGED_PREFIXES 1
#define CHANGED_RATES	 2

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_free(struct run *r)
{
	int dir;

	for (dir = 0; dir < XS_DIRS; dir++) {
		tree_diff_free(&r->diff[dir]);
		tree_free(&r->live[dir]);
		tree_free(&r->want[dir]);
	}
	tc_sock_close(r->ts);
	steer_close(r->steer);
	steer_snapshot_free(&r->maps);
	free(r->steered);
	placements_free(&r->prev);
	plan_free(&r->plan);
	customers_free(&r->list);
	network_free(&r->net);
	lock_release(r->lock);
}

/* Read config and list; nothing is touched. */
static int run_load(struct run *r, const char *config)
{
	int err;

	r->lock = -1;
	err = load_inputs(config, &r->cfg, &r->net, &r->list);
	r->refused = err != 0;
	return err;
}

/*
 * Whether the kernel has the leaf qdisc, before anything is touched. The
 * probe forks into a network namespace of its own, which costs more than a
 * reload that changes nothing; so it runs only when the live trees do not
 * show the kind already (the first start, a new leaf_qdisc).
 */
static int check_leaf(struct run *r)
{
	enum leaf_qdisc leaf = r->cfg.leaf_qdisc;
	int err;

	if (tree_leaf_known(&r->live[XS_WAN], leaf) || tree_leaf_known(&r->live[XS_LAN], leaf))
		return 0;
	err = tree_check_leaf(leaf);
	r->refused = err == -EOPNOTSUPP;
	return err;
}

/* Flag the classes (by plan index) that a diff changes in place. */
static void mark_rate_changes(const struct tree_diff *d, uint8_t *flags)
{
	size_t i;

	for (i = 0; i < d->ncreate; i++)
		if (d->create[i].type == TREE_OP_CLASS_CHANGE && d->create[i].cls.cls != PLAN_NONE)
			flags[d->create[i].cls.cls] |= CHANGED_RATES;
}

struct summary {
	size_t added, removed, changed, moved, unchanged, repaired;
	size_t nodes_added, nodes_removed, nodes_changed, nodes_moved;
	bool nodes; /* there are nodes, now or before */
};

/* The previous placement of class c, and whether it is where c is now. */
static const struct placement *prev_of(const struct run *r, const struct plan_class *c, bool *same)
{
	const struct placement *p = r->plan.placed[c - r->plan.classes];

	*same = p && p->txq == c->txq && p->minor == c->minor && p->cpu == c->cpu;
	return p;
}

/*
 * Classify every class. moved: its place (CPU, TX queue, minor, and so
 * its parent) changed; changed: same place, but a rate or a prefix differs.
 */
static void summarize(const struct run *r, const uint8_t *changed, bool print, struct summary *s)
{
	char was[HANDLE_TEXT_LEN], is[HANDLE_TEXT_LEN];
	size_t i;

	memset(s, 0, sizeof(*s));
	s->nodes = r->plan.nnodes > 0;
	s->removed = r->unlisted; /* no placements file: the maps name nobody */
	for (i = 0; i < r->plan.n; i++) {
		const struct plan_class *c = &r->plan.classes[i];
		const char *id = plan_class_id(&r->plan, c), *what = "";
		bool node = c->kind == PLAN_NODE, same;
		const struct placement *p = prev_of(r, c, &same);

		if (node)
			what = "node ";
		if (!p) {
			*(node ? &s->nodes_added : &s->added) += 1;
			if (print)
				printf("+ %s%s: cpu %u txq %u classid %s\n", what, id, c->cpu,
				       c->txq,
				       handle_text(xs_classid(c->txq, c->minor), is, sizeof(is)));
		} else if (!same) {
			*(node ? &s->nodes_moved : &s->moved) += 1;
			if (print)
				printf("> %s%s: cpu %u txq %u classid %s -> cpu %u txq %u classid "
				       "%s\n",
				       what, id, p->cpu, p->txq,
				       handle_text(xs_classid(p->txq, p->minor), was, sizeof(was)),
				       c->cpu, c->txq,
				       handle_text(xs_classid(c->txq, c->minor), is, sizeof(is)));
		} else if (changed[i]) {
			*(node ? &s->nodes_changed : &s->changed) += 1;
			if (print)
				printf("~ %s%s: %s%s\n", what, id,
				       changed[i] & CHANGED_PREFIXES ? "prefixes " : "",
				       changed[i] & CHANGED_RATES ? "rates" : "");
		} else if (!node) {
			s->unchanged++;
		}
	}
	for (i = 0; i < r->prev.n; i++) {
		const struct placement *p = &r->prev.v[i];
		bool node = p->kind == PLAN_NODE;

		if (r->plan.prev_listed[i])
			continue;
		s->nodes |= node;
		*(node ? &s->nodes_removed : &s->removed) += 1;
		if (print)
			printf("- %s%s: cpu %u txq %u classid %s\n", node ? "node " : "", p->id,
			       p->cpu, p->txq,
			       handle_text(xs_classid(p->txq, p->minor), was, sizeof(was)));
	}
}

static int classid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The classids the placements of p hold, sorted; *n of them. NULL: out of memory. */
static uint32_t *placed_classids(const struct placements *p, size_t *n)
{
	uint32_t *v = malloc((p->n + 1) * sizeof(*v));
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < p->n; i++)
		v[i] = xs_classid(p->v[i].txq, p->v[i].minor);
	qsort(v, p->n, sizeof(*v), classid_cmp);
	*n = p->n;
	return v;
}

/* The classids the prefixes of a snapshot point at, sorted (one per prefix). */
static uint32_t *steered_classids(const struct steer_snapshot *snap)
{
	uint32_t *v = malloc((snap->n + 1) * sizeof(*v));
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < snap->n; i++)
		v[i] = snap->v[i].customer.classid;
	qsort(v, snap->n, sizeof(*v), classid_cmp);
	return v;
}

static bool classid_in(uint32_t classid, const uint32_t *v, size_t n)
{
	return bsearch(&classid, v, n, sizeof(*v), classid_cmp) != NULL;
}

/*
 * Flag the customers (by plan index) that stay where they were but whose
 * prefixes in the live maps are not exactly their listed ones.
 */
static int mark_prefix_changes(const struct run *r, uint8_t *changed)
{
	const struct steer_snapshot *live = &r->maps;
	const uint32_t *classids = r->steered;
	size_t i, j;

	for (i = 0; i < r->list.n; i++) {
		const struct customer *c = &r->list.v[i];
		const struct plan_class *pc = plan_customer(&r->plan, i);
		uint32_t classid = xs_classid(pc->txq, pc->minor);
		const uint32_t *lo;
		size_t count = 0;
		bool same;

		if (!prev_of(r, pc, &same) || !same)
			continue; /* added or moved */
		lo = bsearch(&classid, classids, live->n, sizeof(*classids), classid_cmp);
		for (; lo && lo > classids && lo[-1] == classid; lo--)
			;
		for (; lo && lo < classids + live->n && *lo == classid; lo++)
			count++;
		for (j = 0; j < c->nprefixes && count == c->nprefixes; j++) {
			struct steer_prefix key = { .prefix = c->prefixes[j] };
			const struct steer_prefix *e;

			prefix_mask(&key.prefix);
			e = bsearch(&key, live->v, live->n, sizeof(*live->v), steer_prefix_cmp);
			if (!e || e->customer.classid != classid)
				break;
		}
		if (count != c->nprefixes || j != c->nprefixes)
			changed[r->plan.nnodes + i] |= CHANGED_PREFIXES;
	}
	return 0;
}

struct tree_reads {
	struct run *r;
	int err;
	bool refused; /* a bridge port: the config asks for what cannot work */
};

/* Both live trees, r->live[], from the kernel. */
static void *read_trees(void *arg)
{
	struct tree_reads *t = arg;
	struct run *r = t->r;
	enum xs_dir dir;
	int i;

	for_each_role(i, dir) {
		t->err = tree_read(r->ts, config_ifname(&r->cfg, dir), &r->live[dir]);
		if (t->err)
			break;
		t->err = tree_not_bridge(&r->live[dir]);
		if (t->err) {
			t->refused = true;
			break;
		}
	}
	return NULL;
}

/*
 * Everything a run will do, worked out before anything is touched (the maps
 * are only read, and only when they exist). A plan or a tree the config
 * cannot hold (too many customers, too few TX queues, no leaf handle left)
 * refuses the inputs.
 */
/* The classids of the live trees past the default class, sorted: taken for the plan. */
static int live_classids(const struct run *r, uint32_t **out, size_t *n)
{
	size_t cap = r->live[XS_WAN].nclasses + r->live[XS_LAN].nclasses + 1, i, k = 0;
	uint32_t *v = malloc(cap * sizeof(*v));
	int dir;

	if (!v)
		return -ENOMEM;
	for (dir = 0; dir < XS_DIRS; dir++)
		for (i = 0; i < r->live[dir].nclasses; i++)
			if (xs_handle_minor(r->live[dir].classes[i].classid) >= XS_FIRST_MINOR)
				v[k++] = r->live[dir].classes[i].classid;
	qsort(v, k, sizeof(*v), classid_cmp);
	*out = v;
	*n = k;
	return 0;
}

/*
 * The classes of the live trees past the default class that every
 * interface has under one parent, with their counters, for the spares and
 * the baselines of plan_build. Free: no placement of prev holds it and no
 * prefix of the maps points at it. After read_prev.
 */
static int live_classes(const struct run *r, struct plan_live_class **out, size_t *n)
{
	const struct tree *first = NULL;
	const uint32_t *steered = r->steered;
	uint32_t *held;
	struct plan_live_class *v;
	size_t i, k = 0, nheld = 0, at_held = 0, at_steered = 0, at[XS_DIRS] = {};
	enum xs_dir dir;
	int err = 0, j;

	for_each_role(j, dir)
		if (!first)
			first = &r->live[dir];
	v = calloc(first->nclasses + 1, sizeof(*v));
	held = placed_classids(&r->prev, &nheld);
	if (!v || !held) {
		free(v);
		err = -ENOMEM;
		goto out;
	}
	/* every array here is sorted by classid: one walk of each, not a look-up per class */
	for (i = 0; i < first->nclasses; i++) {
		const struct tree_class *c = &first->classes[i];
		struct plan_live_class *l = &v[k];

		if (xs_handle_minor(c->classid) < XS_FIRST_MINOR)
			continue;
		memset(l, 0, sizeof(*l));
		l->classid = c->classid;
		l->parent = c->parent;
		l->leaf = true;
		for_each_role(j, dir) {
			const struct tree *t = &r->live[dir];
			const struct tree_class *lc;

			while (at[dir] < t->nclasses && t->classes[at[dir]].classid < c->classid)
				at[dir]++;
			lc = at[dir] < t->nclasses && t->classes[at[dir]].classid == c->classid
				     ? &t->classes[at[dir]]
				     : NULL;
			if (!lc || lc->parent != c->parent) {
				l->leaf = false; /* not on every interface alike: no spare */
				continue;
			}
			l->on[dir] = true;
			l->leaf &= !lc->level;
			memcpy(l->counters[dir], lc->counters, sizeof(l->counters[dir]));
		}
		while (at_held < nheld && held[at_held] < c->classid)
			at_held++;
		while (at_steered < r->maps.n && steered[at_steered] < c->classid)
			at_steered++;
		l->free = l->leaf && !(at_held < nheld && held[at_held] == c->classid) &&
			  !(at_steered < r->maps.n && steered[at_steered] == c->classid);
		k++;
	}
	*out = v;
	*n = k;
out:
	free(held);
	return err;
}

/*
 * The classids the maps steer to that no customer placement of prev
 * (made from those maps) holds: r->unlisted. Before tree_forget_misplaced.
 */
static int count_unlisted(struct run *r)
{
	uint32_t *held, *seen;
	size_t i, nheld = 0, nseen = 0;

	held = placed_classids(&r->prev, &nheld);
	seen = malloc((r->maps.n + 1) * sizeof(*seen));
	if (!held || !seen) {
		free(held);
		free(seen);
		return -ENOMEM;
	}
	for (i = 0; i < r->maps.n; i++) {
		uint32_t classid = r->maps.v[i].customer.classid;

		if (xs_handle_minor(classid) >= XS_FIRST_MINOR && !classid_in(classid, held, nheld))
			seen[nseen++] = classid;
	}
	qsort(seen, nseen, sizeof(*seen), classid_cmp);
	for (i = 0; i < nseen; i++)
		r->unlisted += !i || seen[i] != seen[i - 1];
	free(held);
	free(seen);
	return 0;
}

/*
 * The placements of the last run: its file, or when that is gone, what
 * the maps tell of the customers (the nodes are then placed anew, and
 * their subtrees rebuilt make-before-break).
 */
static int read_prev(struct run *r, bool dry_run)
{
	int err;

	err = steer_plan_path(&r->cfg, !dry_run, r->plan_path, sizeof(r->plan_path));
	if (err)
		return err;
	err = plan_load(r->plan_path, &r->prev);
	if (err == -ENOMEM)
		return err;
	if (err) {
		if (r->maps.n)
			pr_warn("%s: no placements of the last run (%s); placing customers by "
				"their prefixes in the maps\n",
				r->plan_path, err == -ENOENT ? "no file" : "unreadable");
		err = steer_snapshot_placements(&r->maps, &r->list, &r->prev);
		if (err)
			return err;
		r->prev_from_maps = r->maps.n > 0;
		err = count_unlisted(r);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A customer's class that the diff makes on a link (a tree rebuilt, a
 * class replaced) counts from zero there, whatever the plan took over.
 * Without a placements file the baselines are lost: a kept customer then
 * counts from now, which is less than it had but never another's bytes.
 */
static void forget_made_baselines(struct run *r, enum xs_dir dir)
{
	const struct tree_diff *d = &r->diff[dir];
	size_t i;

	if (r->prev_from_maps) {
		for (i = r->plan.nnodes; i < r->plan.n; i++) {
			struct plan_class *c = &r->plan.classes[i];
			struct tree_class key = { .classid = xs_classid(c->txq, c->minor) };
			const struct tree_class *lc =
				bsearch(&key, r->live[dir].classes, r->live[dir].nclasses,
					sizeof(key), tree_classid_cmp);

			if (lc && !c->reused)
				memcpy(c->base[dir], lc->counters, sizeof(c->base[dir]));
		}
	}
	for (i = 0; i < d->ncreate; i++) {
		const struct tree_op *op = &d->create[i];

		if (op->type == TREE_OP_CLASS_CREATE && op->cls.kind == TREE_CUSTOMER &&
		    op->cls.cls < r->plan.n)
			memset(r->plan.classes[op->cls.cls].base[dir], 0,
			       sizeof(r->plan.classes[op->cls.cls].base[dir]));
	}
}

/*
 * Everything a run will do, worked out before anything is touched (the maps
 * are only read, and only when they exist). A plan or a tree the config
 * cannot hold (too many customers, too few TX queues, no leaf handle left)
 * refuses the inputs.
 */
static int plan_and_diff(struct run *r, bool dry_run)
{
	struct tree_reads trees = {};
	struct plan_live_class *lv = NULL;
	struct plan_live live = {};
	pthread_t reader;
	bool threaded;
	uint32_t *busy = NULL;
	size_t nbusy = 0, k;
	enum xs_dir dir;
	int err, i;

	/*
	 * The trees and the maps are read side by side: the kernel does most of
	 * both (at 100k customers 0.4 s of class dumps under the RTNL lock, and
	 * 0.2 s of map reads and placements that take no lock), so on a second
	 * CPU they overlap. Nothing else uses r->ts or r->live until the join.
	 */
	trees.r = r;
	threaded = !pthread_create(&reader, NULL, read_trees, &trees);
	if (!threaded)
		read_trees(&trees);
	/* the one read of the maps: the placements, the summary and the sync use it */
	err = r->steer ? steer_snapshot_read(r->steer, &r->maps) : 0;
	if (!err) {
		r->steered = steered_classids(&r->maps);
		err = r->steered ? read_prev(r, dry_run) : -ENOMEM;
	}
	if (threaded)
		pthread_join(reader, NULL);
	/* a bridge port refuses the config, whatever else failed */
	if (trees.err && (trees.refused || !err)) {
		err = trees.err;
		r->refused = trees.refused;
	}
	if (err)
		return err;
	/* a class HTB would have to move is placed anew, not its whole tree rebuilt */
	for (i = 0; i < XS_DIRS; i++)
		tree_forget_misplaced(&r->live[i], &r->prev);
	for (k = 0; k < r->prev.n; k++)
		r->nprev += r->prev.v[k].kind == PLAN_CUSTOMER;
	r->nprev += r->unlisted;
	err = live_classids(r, &busy, &nbusy);
	if (err)
		return err;
	err = live_classes(r, &lv, &live.n);
	if (err) {
		free(busy);
		return err;
	}
	live.v = lv;
	err = plan_build(&r->cfg, &r->net, &r->list, &r->prev, busy, nbusy, &live, &r->plan);
	free(busy);
	free(lv);
	if (err)
		goto refused;
	for_each_role(i, dir) {
		err = tree_desired(&r->plan, dir, &r->want[dir]);
		if (err)
			goto refused;
		err = tree_diff(&r->live[dir], &r->want[dir], &r->diff[dir]);
		if (err)
			goto refused;
		forget_made_baselines(r, dir);
	}
	return 0;
refused:
	r->refused = err != -ENOMEM;
	return err;
}

/*
 * Phase 1 a tree at a time. Each HTB tree (TX queue) of both interfaces
 * is independent of the others, so its ops can go in a row, in the diff's
 * order: first the mq root and every tree's head (its HTB, root and
 * default class: what unknown traffic lands in), then each tree's other
 * classes, after which its customers are steered at once (steer_sync_done)
 * instead of after the last tree: at 100k customers the last of 16 trees
 * comes up minutes after the first (docs/BENCHMARKS.md). Only a build of
 * PROGRESSIVE_MIN_CLASSES or more pays for the partial syncs.
 */
#define PROGRESSIVE_MIN_CLASSES 2000

struct build {
	struct tree_op *ops[XS_DIRS]; /* by role: the diff's create[] in build order */
	size_t nhead[XS_DIRS]; /* the first nhead of ops: the root and the heads */
	size_t first[XS_DIRS][XS_MAX_TXQS + 1], end[XS_DIRS][XS_MAX_TXQS + 1]; /* a tree's tail */
	uint32_t order[XS_MAX_TXQS + 1]; /* trees with a tail, as the diff builds them */
	unsigned int ntrees, trees_done;
	size_t requests, sent, classes;
};

/* The tree of an op (XS_MAX_TXQS: the mq root), and whether it is of a tree's head. */
static uint32_t op_tree(const struct tree_op *op, bool *head)
{
	switch (op->type) {
	case TREE_OP_ROOT:
		*head = true;
		return XS_MAX_TXQS;
	case TREE_OP_HTB:
	case TREE_OP_HTB_RESET:
	case TREE_OP_HTB_REMOVE:
		*head = true;
		return xs_classid_txq(op->handle);
	case TREE_OP_CLASS_DELETE: /* its class is the live one, kind unknown */
		*head = false;
		return xs_classid_txq(op->cls.classid);
	default:
		*head = op->cls.kind == TREE_ROOT || op->cls.kind == TREE_DEFAULT;
		return xs_classid_txq(op->cls.classid);
	}
}

static void build_free(struct build *b)
{
	int dir;

	for (dir = 0; dir < XS_DIRS; dir++)
		free(b->ops[dir]);
}

/*
 * Sort phase 1 of both roles into b: a tree's head is the ops before its
 * first other one, so every tree keeps its own order, parents first.
 */
static int build_order(const struct run *r, struct build *b)
{
	bool seen[XS_MAX_TXQS + 1] = {}, head;
	enum xs_dir dir;
	int i;

	memset(b, 0, sizeof(*b));
	for_each_role(i, dir) {
		const struct tree_diff *d = &r->diff[dir];
		bool tail[XS_MAX_TXQS + 1] = {};
		size_t count[XS_MAX_TXQS + 1] = {}, at, k, n = 0;
		uint32_t t;
		uint8_t *in_head = calloc(d->ncreate + 1, 1);

		b->ops[dir] = malloc((d->ncreate + 1) * sizeof(struct tree_op));
		if (!in_head || !b->ops[dir]) {
			free(in_head);
			return -ENOMEM;
		}
		for (k = 0; k < d->ncreate; k++) {
			t = op_tree(&d->create[k], &head);
			if (t > XS_MAX_TXQS)
				t = XS_MAX_TXQS; /* not ours to judge: with the root */
			if (head && !tail[t]) {
				in_head[k] = 1;
				b->ops[dir][n++] = d->create[k];
				continue;
			}
			tail[t] = true;
			count[t]++;
			b->classes += d->create[k].type == TREE_OP_CLASS_CREATE;
			if (!seen[t]) {
				seen[t] = true;
				b->order[b->ntrees++] = t;
			}
		}
		b->nhead[dir] = n;
		b->requests += d->ncreate;
		for (at = n, k = 0; k < b->ntrees; k++) {
			b->first[dir][b->order[k]] = at;
			at += count[b->order[k]];
			b->end[dir][b->order[k]] = b->first[dir][b->order[k]];
		}
		for (k = 0; k < d->ncreate; k++) {
			if (in_head[k])
				continue;
			t = op_tree(&d->create[k], &head);
			if (t > XS_MAX_TXQS)
				t = XS_MAX_TXQS;
			b->ops[dir][b->end[dir][t]++] = d->create[k];
		}
		free(in_head);
	}
	return 0;
}

static void build_progress(void *arg, size_t requests)
{
	struct build *b = arg;

	b->sent += requests;
	log_progress("building trees: %u/%u, tc requests %zu/%zu", b->trees_done, b->ntrees,
		     b->sent, b->requests);
}

static int apply(struct run *r)
{
	bool done[XS_MAX_TXQS + 1] = {}, progressive;
	struct build b;
	enum xs_dir dir;
	unsigned int k;
	uint32_t t;
	int err, i;

	/*
	 * The placements go first: a run killed from here on leaves classes
	 * and prefixes of this plan, and the next run must know them as its
	 * own to finish the job rather than place them anew.
	 */
	err = plan_save(&r->plan, r->plan_path);
	if (err)
		return err;
	/* a reused class: nothing points at it (plan.h), so its record stays gone */
	for (k = 0; k < r->plan.n; k++) {
		const struct plan_class *c = &r->plan.classes[k];

		if (c->reused &&
		    (err = steer_monitor_forget(r->steer, xs_classid(c->txq, c->minor))))
			return err;
	}
	err = build_order(r, &b);
	if (err)
		goto out;
	progressive = b.classes >= PROGRESSIVE_MIN_CLASSES && b.ntrees > 1;
	for_each_role(i, dir) {
		err = tree_apply_ops(r->ts, &r->diff[dir], b.ops[dir], b.nhead[dir], build_progress,
				     &b);
		if (err)
			goto out;
	}
	/* before any prefix points at a new CPU */
	err = steer_set_cpus(r->steer, &r->cfg);
	if (err)
		goto out;
	/* the trees with nothing to build are done: their customers' classes all exist */
	for (t = 0; t < XS_MAX_TXQS; t++)
		done[t] = true;
	for (k = 0; k < b.ntrees; k++)
		done[b.order[k]] = false;
	for (k = 0; k < b.ntrees; k++) {
		t = b.order[k];
		for_each_role(i, dir) {
			err = tree_apply_ops(r->ts, &r->diff[dir], b.ops[dir] + b.first[dir][t],
					     b.end[dir][t] - b.first[dir][t], build_progress, &b);
			if (err)
				goto out;
		}
		done[t] = true;
		b.trees_done++;
		build_progress(&b, 0);
		if (progressive && t < XS_MAX_TXQS && k + 1 < b.ntrees) {
			err = steer_sync_done(r->steer, &r->maps, &r->plan, done);
			if (err)
				goto out;
		}
	}
	log_progress_end();
	/* it logs its counts itself */
	err = steer_sync(r->steer, &r->maps, &r->plan, NULL);
	if (err)
		goto out;
	for_each_role(i, dir) {
		err = tree_apply(r->ts, &r->diff[dir], TREE_PHASE_DELETE);
		if (err)
			goto out;
	}
out:
	log_progress_end();
	build_free(&b);
	return err;
}

/* What a run did, for syslog. */
static void syslog_line(const char *line)
{
	openlog("xshaper", LOG_PID, LOG_DAEMON);
	syslog(LOG_INFO, "%s", line);
	closelog();
}

static void report(const char *what, const struct summary *s, double seconds, bool dry_run)
{
	char line[256];

	char nodes[128] = "";

	if (s->nodes)
		snprintf(nodes, sizeof(nodes),
			 "; nodes: %zu added, %zu removed, %zu changed, %zu moved", s->nodes_added,
			 s->nodes_removed, s->nodes_changed, s->nodes_moved);
	snprintf(line, sizeof(line),
		 "%s%s: %zu added, %zu removed, %zu changed, %zu moved, %zu unchanged, "
		 "%zu %s%s, %.2f s",
		 what, dry_run ? " (dry run, nothing changed)" : "", s->added, s->removed,
		 s->changed, s->moved, s->unchanged, s->repaired,
		 dry_run ? "to repair" : "repaired", nodes, seconds);
	if (log_get_level() >= LOG_LEVEL_INFO || dry_run)
		printf("%s\n", line);
	if (!dry_run)
		syslog_line(line);
}

static void save_summary(struct run *r, const struct summary *s, double seconds)
{
	struct xs_state st;

	if (steer_state_get(r->steer, &st))
		return;
	st.last_reload.time = time(NULL);
	st.last_reload.added = s->added;
	st.last_reload.removed = s->removed;
	st.last_reload.changed = s->changed;
	st.last_reload.moved = s->moved;
	st.last_reload.unchanged = s->unchanged;
	st.last_reload.msec = seconds * 1000;
	steer_state_put(r->steer, &st);
}

/*
 * What a diff rebuilds that the last run had left in place: the mq root (its
 * trees come with it), a tree that held placed classes, a root or default
 * class of a kept tree, a class of a node or customer that stays where it was.
 */
static size_t tree_repairs(const struct run *r, const struct tree_diff *d)
{
	bool rebuilt[XS_MAX_TXQS] = {}, same;
	size_t i, j, n = 0;

	if (!r->prev.n)
		return 0; /* nothing was there to lose */
	for (i = 0; i < d->ncreate; i++) {
		const struct tree_op *op = &d->create[i];
		uint32_t txq =
			xs_classid_txq(op->type == TREE_OP_HTB ? op->handle : op->cls.classid);

		switch (op->type) {
		case TREE_OP_ROOT:
			return 1;
		case TREE_OP_HTB:
			rebuilt[txq] = true;
			for (j = 0; j < r->prev.n && r->prev.v[j].txq != txq; j++)
				;
			n += j < r->prev.n;
			break;
		case TREE_OP_CLASS_CREATE:
			if (rebuilt[txq] || op->cls.kind == TREE_SPARE)
				break;
			if (op->cls.cls == PLAN_NONE) {
				n++; /* root or default class */
				break;
			}
			n += prev_of(r, &r->plan.classes[op->cls.cls], &same) && same;
			break;
		default:
			break;
		}
	}
	return n;
}

/*
 * [customers] max_removed, before anything is touched: a list that would
 * remove more of the live customers than that is refused (-ECANCELED)
 * unless --force.
 */
static int check_removed(struct run *r, const char *what, bool dry_run)
{
	const struct xs_config *cfg = &r->cfg;
	size_t removed = 0, i;
	char limit[32];

	removed = r->unlisted;
	for (i = 0; i < r->prev.n; i++)
		removed += r->prev.v[i].kind == PLAN_CUSTOMER && !r->plan.prev_listed[i];
	if (!cfg->max_removed || !removed)
		return 0;
	if (cfg->max_removed_percent ? removed * 100 <= (size_t)cfg->max_removed * r->nprev
				     : removed <= cfg->max_removed)
		return 0;
	snprintf(limit, sizeof(limit), "%u%s", cfg->max_removed,
		 cfg->max_removed_percent ? "%" : "");
	if (r->force) {
		pr_warn("%s --force: removing %zu of %zu live customers, past [customers] "
			"max_removed = %s\n",
			what, removed, r->nprev, limit);
		return 0;
	}
	if (dry_run) {
		pr_warn("%s would remove %zu of %zu live customers, more than [customers] "
			"max_removed = %s: without --force it is refused\n",
			what, removed, r->nprev, limit);
		return 0;
	}
	pr_err("%s: %s would remove %zu of %zu live customers, more than [customers] "
	       "max_removed = %s: refused, nothing was changed; check the list (cut short?), "
	       "or run '%s --force' to apply it\n",
	       cfg->customers_file, what, removed, r->nprev, limit, what);
	r->refused = true;
	return -ECANCELED;
}

/* Report and (unless dry_run) apply what plan_and_diff found. */
static int reconcile(struct run *r, const char *what, bool dry_run, double t0)
{
	struct summary s;
	size_t made;
	uint8_t *changed;
	int err = -ENOMEM, dir;

	changed = calloc(r->plan.n + 1, 1);
	if (changed)
		err = mark_prefix_changes(r, changed);
	if (err) {
		if (err == -ENOMEM)
			pr_err("%s: out of memory comparing %zu customers\n", what, r->plan.n);
		free(changed);
		return err;
	}
	for (dir = 0; dir < XS_DIRS; dir++)
		mark_rate_changes(&r->diff[dir], changed);
	summarize(r, changed, dry_run, &s);
	free(changed);
	s.repaired = r->repaired;
	for (dir = 0; dir < XS_DIRS; dir++)
		if (!r->moved[dir]) /* a new interface's tree is no repair */
			s.repaired += tree_repairs(r, &r->diff[dir]);
	if (!dry_run) {
		err = apply(r);
		if (err)
			return err;
		save_summary(r, &s, now() - t0);
	}
	report(what, &s, now() - t0, dry_run);
	/* made: what the diffs make, the spares of a tree rebuilt included */
	made = r->diff[XS_LAN].counts.spares_added > r->diff[XS_WAN].counts.spares_added
		       ? r->diff[XS_LAN].counts.spares_added
		       : r->diff[XS_WAN].counts.spares_added;
	if ((r->plan.reused || made) && (log_get_level() >= LOG_LEVEL_INFO || dry_run))
		printf("%s: spare classes: %zu given to customers, %zu made; %zu spare now "
		       "([shaping] spare_classes)\n",
		       what, r->plan.reused, made, r->plan.nspares);
	return 0;
}

/* Keep the root qdisc kinds from before the first start, for stop. */
static int remember_roots(struct run *r)
{
	struct tree_root root;
	struct xs_state st;
	bool dirty = false;
	enum xs_dir dir;
	int err, i;

	err = steer_state_get(r->steer, &st);
	if (err)
		return err;
	for_each_role(i, dir) {
		const char *ifname = config_ifname(&r->cfg, dir);
		char *kind = STEER_STATE_QDISC(&st, dir);

		if (strcmp(STEER_STATE_IF(&st, dir), ifname)) {
			snprintf(STEER_STATE_IF(&st, dir), sizeof(st.wan_if), "%s", ifname);
			dirty = true;
		}
		if (kind[0])
			continue;
		err = tree_read_root(r->ts, ifname, &root);
		if (err)
			return err;
		if (root.ours)
			continue;
		snprintf(kind, XS_QDISC_KIND_LEN, "%s", root.kind[0] ? root.kind : "none");
		dirty = true;
	}
	if (!dirty)
		return 0;
	if (!st.version) {
		st.version = XS_STATE_VERSION;
		st.started = time(NULL);
	}
	return steer_state_put(r->steer, &st);
}

/* The interface xshaper is on for role dir, when the config names another; else NULL. */
static char *role_moves(struct xs_state *st, const struct xs_config *cfg, enum xs_dir dir)
{
	char *old = STEER_STATE_IF(st, dir);

	return old[0] && strcmp(old, config_ifname(cfg, dir)) ? old : NULL;
}

/*
 * A config that names another wan or lan than xshaper is on: the role
 * leaves its old interface as stop would leave it (programs off, previous
 * root qdisc and XPS back); the caller then starts it on the new one. The
 * maps, and so every customer's place, stay. *moved tells whether any did.
 */
static int release_moved(struct run *r, bool dry_run, bool *moved)
{
	struct xs_state st;
	enum xs_dir dir;
	int err, i;

	*moved = false;
	if (!r->steer)
		return 0;
	err = steer_state_get(r->steer, &st);
	if (err)
		return err;
	for_each_role(i, dir) {
		char *old = role_moves(&st, &r->cfg, dir), *kind = STEER_STATE_QDISC(&st, dir);

		if (!old)
			continue;
		printf("%s: %s -> %s%s\n", role_name(dir), old, config_ifname(&r->cfg, dir),
		       dry_run ? " (dry run)" : "");
		if (dry_run)
			continue;
		err = steer_release(&r->cfg, dir, old);
		if (err)
			return err;
		err = tree_stop(r->ts, old, kind[0] && strcmp(kind, "none") ? kind : NULL);
		if (err && err != -ENODEV)
			return err;
		kind[0] = '\0';
		old[0] = '\0';
		*moved = true;
		r->moved[dir] = true;
	}
	return *moved ? steer_state_put(r->steer, &st) : 0;
}

/*
 * reload: the data path must be what start left, or customers go unshaped
 * while the trees look right. What start sets up again is repaired by
 * taking the start path (*attach); what it cannot (another's program, a
 * missing interface) fails the run before anything changes
 * (-ENOTRECOVERABLE).
 */
static int check_data_path(struct run *r, bool dry_run, bool *attach)
{
	struct problems p = {};
	struct xs_state st;
	unsigned int i;
	int err, dir;

	err = steer_state_get(r->steer, &st);
	if (err)
		return err;
	/* a role that moves gets everything anew on its new interface */
	for (dir = 0; dir < XS_DIRS; dir++)
		if (role_moves(&st, &r->cfg, dir))
			return 0;
	err = steer_verify(r->steer, &r->cfg, &p);
	if (err)
		return err;
	for (i = 0; i < p.n && i < XS_PROBLEMS_KEPT; i++) {
		if (!p.v[i].repairable)
			pr_err("%s\n", p.v[i].text);
		else if (dry_run)
			pr_info("to repair: %s\n", p.v[i].text);
		else
			pr_debug("repairing: %s\n", p.v[i].text);
	}
	if (p.n > XS_PROBLEMS_KEPT)
		pr_err("... and %u more problems\n", p.n - XS_PROBLEMS_KEPT);
	if (p.n > p.repairable) {
		pr_err("%s: %u problem(s) above are not xshaper's to repair; nothing was "
		       "changed\n",
		       r->cfg.path, p.n - p.repairable);
		return -ENOTRECOVERABLE;
	}
	r->repaired += p.repairable;
	if (p.repairable && !dry_run)
		*attach = true;
	return 0;
}

/*
 * start and reload: load, lock, work out everything, then change. Inputs
 * the system cannot take (too many customers, too few TX queues) are found
 * before the first change: exit 1, as for a bad config or list.
 */
static int run(const char *config, const char *what, bool attach, bool dry_run, bool force)
{
	double t0 = now();
	struct run r = { .force = force, .lock = -1 };
	bool moved;
	int err;

	err = run_load(&r, config);
	if (err)
		goto out;
	if (!dry_run) {
		r.lock = lock_acquire(r.cfg.lock, r.cfg.lock_timeout, 0);
		if (r.lock < 0) {
			err = r.lock;
			goto out;
		}
	}
	err = attach ? steer_open_started(&r.cfg, &r.steer) : steer_open(&r.cfg, &r.steer);
	if (err)
		goto out;
	err = resolve_queues(&r.cfg);
	if (err) {
		pr_err("queues_per_cpu = auto: cannot read the TX queues of %s and %s: %s\n",
		       r.cfg.wan, r.cfg.lan, strerror(-err));
		goto out;
	}
	err = tc_sock_open(&r.ts);
	if (!err)
		err = plan_and_diff(&r, dry_run);
	if (!err)
		err = check_leaf(&r);
	if (!err)
		err = check_removed(&r, what, dry_run);
	if (!err && !attach)
		err = check_data_path(&r, dry_run, &attach);
	if (!err)
		err = release_moved(&r, dry_run, &moved);
	if (!err && (attach || moved)) {
		steer_close(r.steer);
		r.steer = NULL;
		err = steer_start(&r.cfg, r.list.n, &r.steer);
		if (!err)
			err = remember_roots(&r);
	} else if (!err) {
		err = steer_flows_check(r.steer, &r.cfg, r.list.n);
	}
	if (!err)
		err = reconcile(&r, what, dry_run, t0);
out:
	run_free(&r);
	if (!err)
		return XS_EXIT_OK;
	if (r.refused)
		return XS_EXIT_INVALID;
	return r.lock == -EWOULDBLOCK ? XS_EXIT_LOCKED : XS_EXIT_SYSTEM;
}

/* start [--force] and reload [--dry-run] [--force]: their options. */
static int parse_run_options(const char *what, bool allow_dry_run, int argc, char **argv,
			     bool *dry_run, bool *force)
{
	static const struct option options[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{},
	};
	int opt;

	*dry_run = *force = false;
	optind = 1;
	while ((opt = getopt_long(argc, argv, allow_dry_run ? "nf" : "f", options, NULL)) != -1) {
		if (opt == 'f') {
			*force = true;
		} else if (opt == 'n' && allow_dry_run) {
			*dry_run = true;
		} else {
			pr_err("usage: xshaper %s\n",
			       allow_dry_run ? "reload [--dry-run] [--force]" : "start [--force]");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_err("%s: unexpected argument '%s'\n", what, argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int cmd_start(const char *config, int argc, char **argv)
{
	bool dry_run, force;

	if (parse_run_options("start", false, argc, argv, &dry_run, &force))
		return XS_EXIT_INVALID;
	return run(config, "start", true, false, force);
}

int cmd_reload(const char *config, int argc, char **argv)
{
	bool dry_run, force;

	if (parse_run_options("reload", true, argc, argv, &dry_run, &force))
		return XS_EXIT_INVALID;
	return run(config, "reload", false, dry_run, force);
}

int cmd_stop(const char *config, int argc, char **argv)
{
	struct xs_state st = {};
	struct run r = {};
	bool from_file = false;
	char line[160];
	int err, ret, i, dir;

	if (argc > 1) {
		pr_err("stop takes no arguments\n");
		return XS_EXIT_INVALID;
	}
	r.lock = -1;
	if (load_config(config, &r.cfg))
		return XS_EXIT_INVALID;
	/* stop works on a read-only /run too: without the lock, and says so */
	r.lock = lock_acquire(r.cfg.lock, r.cfg.lock_timeout, LOCK_OPTIONAL);
	if (r.lock < 0 && r.lock != -ENOLCK) {
		ret = r.lock == -EWOULDBLOCK ? XS_EXIT_LOCKED : XS_EXIT_SYSTEM;
		goto out;
	}
	/*
	 * The root kinds to restore and the interfaces xshaper is on (what
	 * counts when the config was edited since) are in the pinned state, or
	 * in the state file when the pins are gone: the trees go first, the
	 * state last, so a stop killed half way still knows them next time.
	 */
	if (steer_saved_state(&r.cfg, &st, &from_file)) {
		/*
		 * No pins and no state file: this config never started (or has
		 * stopped). An mq root or programs on its interfaces are another
		 * instance's, whatever their names: leave them.
		 */
		pr_info("nothing of this xshaper (bpffs %s) to stop\n", r.cfg.bpffs);
		ret = steer_stop(&r.cfg) ? XS_EXIT_SYSTEM : XS_EXIT_OK;
		goto out;
	}
	if (from_file)
		pr_warn("%s: no pinned maps; stopping what the state file records: wan %s (root "
			"before start: %s), lan %s (%s)\n",
			r.cfg.bpffs, st.wan_if[0] ? st.wan_if : "?",
			st.wan_qdisc[0] ? st.wan_qdisc : "?", st.lan_if[0] ? st.lan_if : "?",
			st.lan_qdisc[0] ? st.lan_qdisc : "?");
	for (dir = 0; dir < XS_DIRS; dir++)
		if (STEER_STATE_IF(&st, dir)[0])
			config_set_ifname(&r.cfg, dir, STEER_STATE_IF(&st, dir));
	ret = XS_EXIT_SYSTEM;
	if (tc_sock_open(&r.ts))
		goto out;
	err = 0;
	{
		const char *links[XS_DIRS];

		for (i = 0; i < XS_DIRS; i++)
			links[i] = config_ifname(&r.cfg, shaping_order[i]);
		tree_retire(r.ts, links, XS_DIRS);
	}
	/* the reverse of the order runs build them in: see tree_teardown_order */
	for (i = XS_DIRS; i-- > 0;) {
		const char *prev;
		int e;

		dir = shaping_order[i];
		prev = STEER_STATE_QDISC(&st, dir);

		if (!prev[0] || !strcmp(prev, "none"))
			prev = NULL;
		e = tree_stop(r.ts, config_ifname(&r.cfg, dir), prev);
		if (e && e != -ENODEV && !err)
			err = e;
	}
	if (!err)
		err = steer_stop(&r.cfg);
	if (!err && !steer_plan_path(&r.cfg, false, r.plan_path, sizeof(r.plan_path)) &&
	    unlink(r.plan_path) && errno != ENOENT)
		pr_warn("%s: cannot remove the placements: %s\n", r.plan_path, strerror(errno));
	if (!err) {
		snprintf(line, sizeof(line), "stopped: %s and %s are as before start", r.cfg.wan,
			 r.cfg.lan);
		pr_info("%s\n", line);
		syslog_line(line);
		ret = XS_EXIT_OK;
	}
out:
	run_free(&r);
	return ret;
}
