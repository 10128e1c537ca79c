/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The desired state, one explicit model between conf/ and the engines:
 *
 *   links    the two roles, their interface and capacity (cfg)
 *   classes  every node of the tree that gets a class, parent-first, then
 *            every customer in list order: where each lives (CPU, TX queue
 *            and so HTB tree, class minor, parent class) and its rates on
 *            each link
 *   leaves   the customers' prefixes, each to its customer's class and CPU
 *            (steer_wanted)
 *
 * plan_build fills it from the inputs and the previous run's placements;
 * tree_desired turns it into each interface's classes, steer_sync into the
 * prefix maps; plan_save persists its placements, which the next run reads
 * back (plan_load) as its prev and which the reports read to name classes.
 *
 * The same classid on wan and lan: classid = xs_classid(txq, minor).
 */
#ifndef XSHAPER_PLAN_H
#define XSHAPER_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "conf/customers.h"
#include "conf/network.h"

#define PLAN_NONE UINT32_MAX

enum plan_kind {
	PLAN_NODE,
	PLAN_CUSTOMER,
};

/*
 * The counters of a class the reports show, by link: a customer given a
 * class another customer had starts from what the class had counted then
 * (its baseline), so that nobody is shown someone else's bytes.
 */
enum plan_counter {
	PLAN_BYTES,
	PLAN_PACKETS,
	PLAN_DROPS,
	PLAN_OVERLIMITS,
	PLAN_COUNTERS,
};

struct plan_link {
	const char *ifname;
	uint64_t capacity; /* bit/s */
};

/* One HTB class, the same on both links: a node's or a customer's. */
struct plan_class {
	enum plan_kind kind;
	uint32_t ref; /* index in net->v (node) or list->v (customer) */
	uint32_t parent; /* index in classes of its parent node; PLAN_NONE: the root class */
	uint32_t cpu;
	uint32_t txq; /* 0-based; owned by cpu (config_txq_cpu) */
	uint32_t minor; /* XS_FIRST_MINOR..XS_MAX_MINOR */
	uint32_t depth; /* nodes above it */
	uint64_t rate[XS_DIRS], ceil[XS_DIRS]; /* bit/s, as shaped on each link */
	/* a customer: its class's counters when it got the class (0: made for it) */
	uint64_t base[XS_DIRS][PLAN_COUNTERS];
	bool reused; /* a customer given a spare class this run (changed in place) */
};

/*
 * A spare class: an HTB leaf in a tree, under a parent class, that no
 * customer has and no prefix points at, kept for a customer to come so
 * that a reload changes a class in place instead of making one (each class
 * made or deleted costs the kernel a walk of every filter block: see
 * tree.h). Its rates are whatever it has; one made for the pool gets the
 * default class's.
 */
struct plan_spare {
	uint32_t txq, minor;
	uint32_t parent; /* index in classes of its parent node; PLAN_NONE: the root class */
	bool live; /* in the kernel already (a class a customer left, or a spare kept) */
};

struct plan {
	const struct xs_config *cfg;
	const struct network *net; /* never NULL: an empty one for a flat list */
	const struct customer_list *list;
	struct plan_link links[XS_DIRS];
	/* [0, nnodes): real nodes, parent-first; [nnodes, n): list->v[i] at nnodes + i */
	struct plan_class *classes;
	size_t n, nnodes;
	uint32_t *node_class; /* per net->v: its class, PLAN_NONE for a virtual node */
	struct plan_spare *spares; /* by classid */
	size_t nspares;
	size_t reused; /* customers given a spare class */
	size_t spares_made; /* spares that are not in the kernel yet */
	/*
	 * plan_build's prev matched up once, for the run's many look-ups:
	 * per class its placement (placements_find's), NULL for none; per
	 * placement of prev whether a class has its kind and id
	 */
	const struct placement **placed;
	bool *prev_listed;
};

static inline const struct plan_class *plan_customer(const struct plan *p, size_t i)
{
	return &p->classes[p->nnodes + i];
}

/* The id of class c: a node's name or a customer's id. */
const char *plan_class_id(const struct plan *p, const struct plan_class *c);

/*
 * Where a class of an earlier run lived: what plan_save writes and
 * plan_load reads (and the reports use to name classes).
 */
struct placement {
	enum plan_kind kind;
	char *id; /* node name or customer id */
	char *parent; /* its parent node's name; NULL: the root class */
	char *name; /* customer name ("" for nodes) */
	uint32_t cpu, txq, minor;
	uint64_t base[XS_DIRS][PLAN_COUNTERS]; /* a customer's: plan_class.base */
};

/*
 * An HTB class in the kernel past the default class, as plan_build weighs
 * it for the spares and the baselines.
 */
struct plan_live_class {
	uint32_t classid, parent; /* parent: on the first link (shaping_order) that has it */
	bool on[XS_DIRS]; /* the link has it, under that parent (counters: only then) */
	bool leaf; /* on both links, alike, and without children (HTB level 0) */
	/*
	 * no placement of prev holds it and no prefix points at it: it may be
	 * given to a customer now, changed in place before any prefix does
	 */
	bool free;
	uint64_t counters[XS_DIRS][PLAN_COUNTERS];
};

struct plan_live {
	const struct plan_live_class *v; /* sorted by classid */
	size_t n;
};

struct placements {
	struct placement *v; /* sorted by kind, then id (customer_id_cmp for customers) */
	size_t n;
};

/*
 * The pure function from (config, network, customers, previous placements,
 * classes alive in the kernel) to the plan. Deterministic.
 *
 * A top-level class (a top-level node with its whole subtree, or a
 * customer without a node) keeps its TX queue while it exists; a class
 * below keeps its minor while its parent is the same node and that node
 * kept its place: anything else is a move, and a move gets a new minor
 * (its new class is made before the old one goes). New top-level classes
 * go, largest load first, to the TX queue of least load, where load is a
 * customer's down_ceil + up_ceil and a node's the smaller of its caps and
 * the ceils of its customers. A new class takes the lowest minor of its
 * tree that no placement of prev holds and no class of busy (sorted
 * classids) occupies; only when there is no such minor one of those.
 *
 * Spares (live may be NULL: nothing is in the kernel): a new customer, or
 * one that moves, takes the lowest free class of live under its parent in
 * its tree, if there is one, before a new minor; its baseline is that
 * class's counters. Every parent class with customers keeps up to twice
 * config_spares() spares: live leaves that nobody has now (the classes of
 * customers that left or moved, then spares kept), lowest classid first;
 * the live leaves past that are deleted. Below half of config_spares(),
 * new ones at new minors make it whole. A
 * kept customer keeps its baseline unless its class counts less than it
 * (the class was made again).
 *
 * Node rates: rate = ceil = cap. Warns when children's rates add up to
 * more than their node's cap. Returns 0, -EINVAL (cfg breaks
 * config_check_txqs), -ENOSPC (a tree needs more minors than it has,
 * naming its top-level node) or -ENOMEM; each reported.
 */
int plan_build(const struct xs_config *cfg, const struct network *net,
	       const struct customer_list *list, const struct placements *prev,
	       const uint32_t *busy, size_t nbusy, const struct plan_live *live, struct plan *out);
void plan_free(struct plan *plan);

/*
 * The classes of the inputs with their parents and rates, in plan order,
 * but no places (txq, minor, cpu 0): what plan_build starts from, and how
 * tests and tools that place classes themselves build a plan. net may be
 * NULL. 0 or -ENOMEM.
 */
int plan_init(const struct xs_config *cfg, const struct network *net,
	      const struct customer_list *list, struct plan *out);

/* The class of customer id, or NULL. */
const struct plan_class *plan_find_customer(const struct plan *plan, const char *id);

/* The placement of (kind, id) in prev, or NULL. */
const struct placement *placements_find(const struct placements *prev, enum plan_kind kind,
					const char *id);
/* The placement whose class is classid, or NULL (linear; for one lookup). */
const struct placement *placements_by_classid(const struct placements *prev, uint32_t classid);
void placements_free(struct placements *prev);

/*
 * The placements of a plan, in the file format plan_load reads (plan.c has
 * it): written to path.tmp, synced and renamed over path, so a run killed
 * while writing leaves the previous file whole. 0 or -errno (reported).
 */
int plan_save(const struct plan *plan, const char *path);
/* -ENOENT (quiet) when there is no file; -EINVAL (reported) for a bad one. */
int plan_load(const char *path, struct placements *out);

#endif /* XSHAPER_PLAN_H */
