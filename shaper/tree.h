/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-TX-queue HTB trees of one interface (layout in bpf/xshaper.h):
 * what they should be (tree_desired), what the kernel has (tree_read), the
 * difference (tree_diff) and applying it over netlink (tree_apply) in the
 * two phases the reload contract needs:
 *
 *   tree_apply(ts, &lan_diff, TREE_PHASE_CREATE);   roots, new classes and
 *   tree_apply(ts, &wan_diff, TREE_PHASE_CREATE);   leaves, in-place changes
 *   ... point the BPF prefixes at the new classids ...
 *   tree_apply(ts, &lan_diff, TREE_PHASE_DELETE);   classes nobody is
 *   tree_apply(ts, &wan_diff, TREE_PHASE_DELETE);   steered to any more
 *
 * A class that did not change gets no netlink message at all, so its
 * counters and queue never notice a reload; a rate change is an in-place
 * RTM_NEWTCLASS without NLM_F_EXCL, which keeps the counters.
 *
 * Leaf qdiscs. pfifo is HTB's own leaf: the kernel gives every new HTB
 * class a pfifo with the device's txqueuelen as limit, exactly what an
 * explicit "pfifo" without options would be, so for leaf_qdisc = pfifo we
 * send nothing for the leaf (half the messages, and none of the
 * device-wide qdisc hash lookups that creating a qdisc costs). Such a leaf
 * has handle 0 and is only listed by "tc qdisc show invisible".
 * Any other leaf kind gets an explicit handle: the lowest major free on the
 * device in 1..0xfffe that is neither the mq major 0x7fff nor one of the
 * 4096 HTB majors (bpf/xshaper.h: those share no hash bucket with a leaf).
 * Handles live through reloads (a kept leaf keeps its handle). So with
 * fq_codel or sfq an interface holds at most TREE_LEAF_MAJORS leaves:
 * customers + TX queues (one default class each) <= 61,437. The kernel's
 * automatic handles would give only 0x8000 of them, shared with every
 * other qdisc on the device, and cost a lookup per probe.
 */
#ifndef XSHAPER_TREE_H
#define XSHAPER_TREE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/xshaper.h"
#include "conf/config.h"
#include "conf/customers.h"
#include "conf/plan.h"

/* Leaf handle majors: 1..0xfffe but the HTB majors and the mq's. */
#define TREE_LEAF_MAJOR_FIRST 1U
#define TREE_LEAF_MAJOR_LAST  0xfffeU
#define TREE_LEAF_MAJORS      (TREE_LEAF_MAJOR_LAST - TREE_LEAF_MAJOR_FIRST + 1 - XS_MAX_TXQS - 1)

/* A leaf may have handle major:0 */
static inline bool tree_leaf_major(uint32_t major)
{
	return major >= TREE_LEAF_MAJOR_FIRST && major <= TREE_LEAF_MAJOR_LAST &&
	       major != XS_MQ_MAJOR && xs_major_txq(major) >= XS_MAX_TXQS;
}

/*
 * HTB's rate to quantum divisor, the kernel's default: every HTB is created
 * with it, and tree_quantum() keeps its proportion (tree.c has the why).
 */
#define TREE_R2Q 10U

/* One HTB class, desired or live, in the units the kernel keeps. */
struct tree_class {
	uint32_t classid;
	uint32_t parent;
	uint64_t rate, ceil; /* bytes/s */
	uint32_t burst, cburst; /* desired: bytes */
	uint32_t buffer, cbuffer; /* psched ticks, as the kernel dumps them */
	/*
	 * bytes; an inner class (level > 0) keeps and dumps the one it had
	 * as a leaf, and ignores changes (so does prio)
	 */
	uint32_t quantum;
	uint32_t prio;
	uint32_t leaf; /* live: leaf qdisc handle, 0 = HTB's own pfifo (or none: inner) */
	uint32_t level; /* live: 0 a leaf; inner: TC_HTB_MAXDEPTH - 1 - depth (the root: 7) */
	uint32_t cls; /* desired: its class in the plan; PLAN_NONE: root, default or spare */
	uint8_t kind; /* desired: enum tree_class_kind */
	/*
	 * desired: classes above it in its tree (the root class: 0); in a
	 * TREE_OP_CLASS_DELETE, the live class's depth in the live tree
	 */
	uint8_t depth;
	uint64_t counters[PLAN_COUNTERS]; /* live: what the kernel counted (TCA_STATS2) */
};

enum tree_class_kind {
	TREE_ROOT,
	TREE_DEFAULT,
	TREE_NODE, /* inner: no leaf qdisc of its own */
	TREE_CUSTOMER,
	/*
	 * a leaf kept for a customer to come (struct plan_spare): any rates
	 * do, so a live one is never changed; a new one gets the default's
	 */
	TREE_SPARE,
};

/* A visible qdisc of the device (live trees only). */
struct tree_qdisc {
	uint32_t handle;
	uint32_t parent;
	uint32_t defcls; /* htb */
	char kind[16];
};

struct tree {
	char ifname[IF_NAMESIZE];
	unsigned int ntxq; /* desired: TX queues (HTB trees) */
	unsigned int ncpus; /* desired: for messages */
	unsigned int queues_per_cpu; /* desired: for messages */
	enum leaf_qdisc leaf; /* desired */
	struct tree_class *classes; /* sorted by classid */
	size_t nclasses;

	/* live only */
	int ifindex;
	bool bridge; /* the interface is a bridge device (tree_not_bridge) */
	unsigned int dev_txqs; /* TX queues the device has in use */
	unsigned int dev_max_txqs; /* it can have (num_tx_queues); 0: as dev_txqs */
	unsigned int mtu;
	struct tree_qdisc *qdiscs; /* sorted by handle */
	size_t nqdiscs;
};

enum tree_op_type {
	TREE_OP_ROOT, /* mq XS_MQ_MAJOR: as the root qdisc */
	TREE_OP_HTB, /* htb xs_htb_major(txq): under mq class XS_MQ_MAJOR:(txq+1) */
	TREE_OP_HTB_RESET, /* delete what holds an HTB's handle: before TREE_OP_HTB */
	TREE_OP_CLASS_CREATE, /* RTM_NEWTCLASS, NLM_F_CREATE | NLM_F_EXCL */
	TREE_OP_CLASS_CHANGE, /* RTM_NEWTCLASS in place: counters are kept */
	TREE_OP_LEAF_CREATE, /* RTM_NEWQDISC on a class, replacing its leaf */
	TREE_OP_LEAF_DELETE, /* back to HTB's own pfifo */
	TREE_OP_CLASS_DELETE, /* takes its leaf with it */
	TREE_OP_HTB_REMOVE, /* a tree past ntxq: its mq slot back to pfifo_fast */
};

struct tree_op {
	enum tree_op_type type;
	uint32_t handle; /* qdisc handle (qdisc ops) */
	uint32_t parent;
	struct tree_class cls; /* class ops: the desired class */
};

/*
 * Classes by what happens to them: customers' and nodes' as the plan has
 * them; removed counts every live class past the default minor that is no
 * longer wanted (the kernel does not say what it was).
 */
struct tree_counts {
	size_t added, changed, removed, unchanged;
	size_t spares_added, spares_kept; /* spares (removed counts those that go) */
	size_t nodes_added, nodes_changed, nodes_unchanged;
};

struct tree_diff {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum leaf_qdisc leaf;
	struct tree_op *create; /* phase 1, in order */
	size_t ncreate;
	struct tree_op *delete; /* phase 2, in order */
	size_t ndelete;
	struct tree_counts counts;
};

enum tree_phase {
	TREE_PHASE_CREATE, /* roots, new classes and leaves, in-place changes */
	/*
	 * classes (children first) and trees that are no longer wanted; then
	 * the leaf of a class that had children only until these deletes
	 */
	TREE_PHASE_DELETE,
};

/* What sits at the root of an interface, for stop to put back. */
struct tree_root {
	char kind[16]; /* "noqueue", "mq", "pfifo_fast", "htb", ... */
	uint32_t handle;
	bool ours; /* our mq XS_MQ_MAJOR: */
};

struct tc_sock;

/* A netlink socket for tc requests, with large buffers and extended ACKs. */
int tc_sock_open(struct tc_sock **out);
void tc_sock_close(struct tc_sock *ts);
/* Change requests (RTM_NEW*, RTM_DEL*) sent since open; dumps not counted. */
unsigned long tc_sock_messages(const struct tc_sock *ts);

/*
 * The tree the interface of role dir should have (plan->links[dir]): one
 * HTB tree a TX queue (config_txqs), each with its root class at the
 * link's capacity and its default class, and one class per plan class at
 * the rates of that link, under its parent node's class or the root.
 * Pure: reads only its arguments (and /proc/net/psched through libnl for
 * the tick unit). Returns 0, -EINVAL (cfg breaks config_check_txqs, a txq
 * or minor out of range, a zero rate, two classes on one classid; each
 * reported) or -ENOMEM.
 */
int tree_desired(const struct plan *plan, enum xs_dir dir, struct tree *out);

/*
 * The live tree of an interface: its TX queue count and MTU, its visible
 * qdiscs and its HTB classes. -ENODEV when the interface does not exist.
 */
int tree_read(struct tc_sock *ts, const char *ifname, struct tree *out);

/*
 * -EINVAL, reported, when live is a bridge device: XDP and TC there see
 * only what the box itself sends and receives, not the frames the bridge
 * forwards between its ports, so its customers would go unshaped. The
 * ports are the interfaces to name.
 */
int tree_not_bridge(const struct tree *live);

/*
 * What it takes to turn live into want. Pure. Parents are created before
 * their children (by depth) and deleted after them; a tree whose live
 * classes do not nest as the desired ones do (a class under another
 * parent) is rebuilt. Returns -EINVAL when the device has too few TX
 * queues (reported with what to do), -ENOSPC when no leaf handle is left,
 * -ENOMEM.
 */
int tree_diff(const struct tree *live, const struct tree *want, struct tree_diff *out);

/*
 * Send one phase of a diff. Requests are pipelined (many per sendmsg, the
 * ACKs read afterwards), each failure is reported with the device and the
 * handle or classid concerned, and the first error is returned; later
 * batches are not sent once one has failed. A failed or interrupted apply
 * leaves a state that the next read/diff/apply repairs.
 */
int tree_apply(struct tc_sock *ts, const struct tree_diff *diff, enum tree_phase phase);

/*
 * The same for ops[0..n) of diff, any part of a phase in its order (a
 * tree at a time): with progress, it is told after each batch how many
 * requests it held, and batches are kept small enough for that to be
 * seen (the kernel answers a batch when all of it is done).
 */
typedef void (*tree_progress_fn)(void *arg, size_t requests);
int tree_apply_ops(struct tc_sock *ts, const struct tree_diff *diff, const struct tree_op *ops,
		   size_t n, tree_progress_fn progress, void *arg);

/*
 * Whether a live tree is what the last run left for its placements: TX
 * queues enough for cfg, xshaper's mq root, every tree intact with its
 * root and default class, every customer's and node's class, under its
 * parent. One line a problem into p; too few TX queues is the operator's
 * to fix.
 */
struct problems;
void tree_verify(const struct tree *live, const struct xs_config *cfg,
		 const struct placements *placed, struct problems *p);

/*
 * Forget the placements whose class is live under another parent than
 * they say (the root class, or their parent node's placed class): a
 * placements file that is gone (the maps say nothing of nodes), stale or
 * edited. Kept, such a class would be wanted under a parent HTB cannot
 * move it to, and tree_diff would rebuild its whole tree; forgotten, it
 * is placed anew, make-before-break, while its live minor stays busy.
 * Returns how many were forgotten.
 */
size_t tree_forget_misplaced(const struct tree *live, struct placements *placed);

/*
 * Order by classid, for qsort and bsearch over struct tree_class and any
 * other record whose first member is its uint32_t classid.
 */
int tree_classid_cmp(const void *a, const void *b);

void tree_free(struct tree *t);
void tree_diff_free(struct tree_diff *d);

/*
 * The TX queues an interface has in use (the driver's channel count when it
 * reports one). -ENODEV when there is no such interface.
 */
int tree_tx_queues(struct tc_sock *ts, const char *ifname, unsigned int *n);

/* The root qdisc of an interface, to be stored before start. */
int tree_read_root(struct tc_sock *ts, const char *ifname, struct tree_root *out);

/*
 * Remove everything xshaper built on an interface (our mq root and all
 * under it); the kernel then attaches the device's default root (noqueue,
 * mq or pfifo_fast). If prev_kind names something else, a root qdisc of
 * that kind is created with the kernel's default parameters (the old
 * parameters are not known). prev_kind may be NULL. Not ours: nothing to do.
 */
int tree_stop(struct tc_sock *ts, const char *ifname, const char *prev_kind);

/*
 * Replace the HTB trees of xshaper's roots on ifnames (in the order a run
 * builds them: shaping_order) by pfifo_fast, tree by tree newest first,
 * and in each tree the interface built last first: a run builds a tree on
 * both interfaces before the next (cmd/apply.c), so this keeps every walk
 * of the kernel's filter block list short (tree_teardown_order). Failures
 * are left for tree_stop, which retires what is left and deletes the root.
 */
void tree_retire(struct tc_sock *ts, const char *const *ifnames, size_t nlinks);

/*
 * The mq classes holding live's HTB trees, in the order tree_stop retires
 * them (each replaced by pfifo_fast, then the root deleted) and a reload
 * that lowers queues_per_cpu removes them: the reverse of the order a
 * build creates them. Why: every HTB class has a filter block, which on a
 * device without ndo_setup_tc (veth, virtio_net) the kernel keeps in one
 * global list, newest first, and finds at unbind by walking it from the
 * head (flow_indr_dev_setup_offload). A qdisc torn down takes its
 * classes in hash order: the newest tree's are then all near the head,
 * while deleting the root at once, or the oldest tree first, walks past
 * every newer class for each. *out is malloc'd (free it), *n of them.
 * Pure; 0 or -ENOMEM.
 */
int tree_teardown_order(const struct tree *live, uint32_t **out, size_t *n);

/*
 * Whether the kernel has a leaf qdisc, found by creating one on the
 * loopback device of a private network namespace (so nothing the system
 * uses is touched). -EOPNOTSUPP, reported with the kinds it does have;
 * -EPERM when the probe cannot run.
 */
int tree_check_leaf(enum leaf_qdisc leaf);

/* By handle, as struct tree keeps its qdiscs. */
int tree_qdisc_cmp(const void *a, const void *b);

/* Whether a qdisc is xshaper's mq XS_MQ_MAJOR: at the root of its device. */
bool tree_qdisc_is_our_root(const struct tree_qdisc *q);

/*
 * Whether a live tree shows that the kernel has a leaf kind, so that start
 * and reload need no tree_check_leaf(): pfifo is HTB's own leaf, and any
 * other kind is known once a qdisc of it is on the device.
 */
bool tree_leaf_known(const struct tree *live, enum leaf_qdisc leaf);

/* Sizing of a class for a rate in bytes/s (formulas in tree.c). */
uint32_t tree_burst(uint64_t rate);
uint32_t tree_quantum(uint64_t rate);
/* Bytes at rate to the psched ticks the kernel keeps, rounded as libnl does. */
uint32_t tree_ticks(uint32_t bytes, uint64_t rate);

#endif /* XSHAPER_TREE_H */
