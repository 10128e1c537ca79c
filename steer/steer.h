/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The user space of the data path: load the BPF programs, attach them to
 * wan and lan, keep the prefix maps equal to the customer list, and read
 * back what the programs see. The xshaper commands compose these calls:
 *
 *   start:  steer_start, (build trees), steer_sync, steer_close
 *   reload: steer_open, steer_snapshot_read (what steer_sync diffs
 *           against), (add classes), steer_set_cpus,
 *           steer_sync, (remove classes), steer_state_put (summary),
 *           steer_close
 *   stop:   (remove trees), steer_stop
 *   status: steer_query, steer_open + steer_state_get + steer_read_stats
 *   lookup: steer_open, steer_lookup
 *
 * Everything a run creates is pinned under cfg->bpffs (directory 0700,
 * files 0600: root only) or attached to the interfaces, so the programs
 * keep steering after the command exits and the next run finds them.
 *
 * Pinned maps (names as in bpf/classify.h):
 *   xs_prefixes     LPM trie  prefix -> struct xs_customer (source of truth)
 *   xs_table        array     the same answers as a multibit trie that the
 *                             programs walk (the fast path; mmap'd), and
 *                             the CPU that owns each TX queue
 *   xs_cpumap       cpumap    CPU -> queue of queue_size frames
 *   xs_cpu_queues   array     CPU -> TX queues it owns (unknown traffic)
 *   xs_settings     array     unknown policy, CPU list
 *   xs_stats        per-CPU   counters (struct xs_counters)
 *   xs_flows        LRU hash  TCP flow -> struct xs_flow (the monitor's state;
 *                             per-CPU LRU lists, [monitor] flows)
 *   xs_monitor      per-CPU   classid -> struct xs_monitor: RTT histograms
 *                   hash      and retransmits of each customer ([monitor] rtt)
 *   xs_state        array     struct xs_state, for other parts of xshaper
 *   xs_xps          hash      XPS masks from before start
 *
 * All functions return 0 or a negative errno and report failures with
 * pr_err, naming the object and what to do. libbpf's own messages go
 * through common/log.h one level lower (its warnings are our info).
 */
#ifndef XSHAPER_STEER_H
#define XSHAPER_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/xshaper.h"
#include "common/handle.h"
#include "common/prefix.h"
#include "conf/config.h"
#include "conf/customers.h"
#include "conf/plan.h"

struct steer;
struct xshaper;

/* TC filter (clsact egress) that xshaper owns on wan and lan. */
#define STEER_TC_HANDLE	  0x7873U /* "xs" */
#define STEER_TC_PRIORITY 0x7873U

/*
 * Load the programs with the maps sized for this machine (the cpumap for
 * every possible CPU), pin the maps under cfg->bpffs (mounting bpffs on
 * /sys/fs/bpf when nothing is mounted there), set the CPUs, queue size and
 * unknown policy (steer_set_cpus), attach XDP in cfg->xdp_mode to wan and
 * lan and the TC programs to their clsact egress, and turn XPS off on both
 * (the masks are kept for steer_stop).
 *
 * Idempotent and crash-safe: maps already pinned are reused with their
 * contents (customers keep being steered), and xshaper's own programs
 * already attached are replaced atomically. A program xshaper does not own
 * (XDP, or TC at xshaper's handle/priority) is refused with -EBUSY before
 * anything is touched. When a first start fails halfway, what it did is
 * undone; a failed takeover leaves the previous state in place.
 * The monitor's flow table is sized for a list of ncustomers
 * (steer_flows_per_cpu); a pinned one of another size is replaced, since
 * it holds nothing but the monitor's pending samples.
 * *out is the open handle (steer_close), NULL on error.
 */
int steer_start(const struct xs_config *cfg, size_t ncustomers, struct steer **out);

/*
 * Open the maps of a running xshaper (reload, status, stats, lookup): the
 * pinned ones, and for pins that are gone while this instance's programs
 * still run, the programs' maps (steer_unpinned). -ENOENT, with a message
 * saying to run start, when xshaper is not started.
 */
int steer_open(const struct xs_config *cfg, struct steer **out);

/* The same, quietly, with *out NULL and 0 when xshaper is not started. */
int steer_open_started(const struct xs_config *cfg, struct steer **out);

/*
 * Load the programs and create the maps, pinning and attaching nothing:
 * for BPF_PROG_TEST_RUN tests and benchmarks (steer_skeleton gives the
 * programs). max_prefixes 0 means XS_MAX_PREFIXES.
 */
int steer_load(const struct xs_config *cfg, unsigned int max_prefixes, struct steer **out);

/*
 * [system] bpffs = dir is on a BPF filesystem, or will be once start has
 * mounted one: the deepest part of it that exists is on one, or it lies
 * below /sys/fs/bpf where nothing is mounted yet. Only looks (check's
 * rule, and start's before it mounts or creates anything): 0, or -EINVAL
 * reported. A part it may not look at is a warning: start will see.
 */
int steer_bpffs_check(const char *dir);
/* start mounts bpffs on /sys/fs/bpf for dir: dir is below it, nothing is mounted there */
bool steer_bpffs_mount_needed(const char *dir);

/* Free the handle; what is pinned and attached stays. NULL is fine. */
void steer_close(struct steer *steer);

/* The loaded skeleton (steer_start, steer_load); NULL after steer_open. */
struct xshaper *steer_skeleton(struct steer *steer);

/*
 * Detach xshaper's XDP and TC programs from wan and lan (programs of others
 * are left alone), remove the clsact qdiscs xshaper created, restore the
 * XPS masks, unpin every map and remove cfg->bpffs. Idempotent: stopping
 * twice, stopping what a crash left behind, or stopping with an interface
 * gone all succeed.
 */
int steer_stop(const struct xs_config *cfg);

/*
 * For a reload that moves a role (XS_WAN, XS_LAN) to another interface:
 * take xshaper's programs off ifname, the interface the role had, remove
 * the clsact qdisc if xshaper created it there and restore its XPS masks.
 * The pinned maps stay; steer_start then attaches to the new interface.
 */
int steer_release(const struct xs_config *cfg, enum xs_dir dir, const char *ifname);

/*
 * For a reload that changes [cpus] or the unknown policy: add or resize
 * cpumap entries of the configured CPUs, point xs_cpu_queues at their TX
 * queues (config_cpu_txqs) and the table at each queue's CPU, and publish
 * the CPU list and policy for unknown traffic. CPUs that left the
 * list keep their cpumap entry until steer_sync has moved their customers.
 * steer_start calls it.
 */
int steer_set_cpus(struct steer *steer, const struct xs_config *cfg);

struct steer_counts {
	size_t added; /* prefixes new in the maps */
	size_t updated; /* prefixes now pointing to another customer/cpu/class */
	size_t deleted; /* prefixes no longer listed */
	size_t unchanged; /* prefixes left alone */
	size_t table_chunks; /* chunks of xs_table in use */
	size_t table_capacity; /* chunks it has ([system] lookup_memory) */
	size_t table_fallbacks; /* entries left to the trie: no chunk was free */
};

/* One entry of the prefix maps: a prefix and what its addresses map to. */
struct steer_prefix {
	struct prefix prefix;
	struct xs_customer customer;
	uint32_t owner; /* steer_wanted: its customer (index in the list); not in the maps */
};

/* Sorted as prefix_cmp() sorts their prefixes. */
int steer_prefix_cmp(const void *a, const void *b);

/*
 * What the prefix maps held when read: a run reads them once
 * (steer_snapshot_read) and hands the snapshot to what needs the live
 * entries (steer_snapshot_assignments for plan_build's prev, a reload's
 * summary, steer_sync's diff).
 */
struct steer_snapshot {
	struct steer_prefix *v; /* sorted by prefix; malloc'd */
	size_t n;
	__u32 map_id; /* the trie read; 0: none */
};

/* Every entry of the trie, with what it points to. */
int steer_snapshot_read(struct steer *steer, struct steer_snapshot *snap);
void steer_snapshot_free(struct steer_snapshot *snap);

/*
 * Where the customers of list lived by the snapshot, for a run that has no
 * placements file (plan_load): a customer whose prefixes all point at one
 * classid lived there. Customers under a node are left out (their node's
 * place is not in the maps). *out sorted as struct placements is.
 */
int steer_snapshot_placements(const struct steer_snapshot *snap, const struct customer_list *list,
			      struct placements *out);

/*
 * The entries the prefix maps should hold for a plan (its leaves): every
 * prefix of every customer, normalised (prefix_mask), mapped to its
 * customer's class (cpu, txq, classid = xs_classid(txq, minor)), sorted by
 * prefix. -EINVAL (reported) for a prefix no customer can own
 * (prefix_refused), or two customers claiming one prefix. *out is malloc'd.
 */
int steer_wanted(const struct plan *plan, struct steer_prefix **out, size_t *n);

/*
 * Part of a sync, while trees are still being built: write the prefixes
 * of the customers whose TX queue's tree is done (txq_done, by txq) and
 * leave every other entry as it is (nothing is deleted, no cpumap entry
 * removed). live is what the maps hold and is kept so (read again when it
 * is of maps a start replaced), for the next call and for the steer_sync
 * that must end the run. Quiet: the full sync reports.
 */
int steer_sync_done(struct steer *steer, struct steer_snapshot *live, const struct plan *plan,
		    const bool *txq_done);

/*
 * Make the prefix maps exactly steer_wanted(plan). New and changed
 * entries are written first (a changed entry is overwritten in place,
 * never deleted and re-added), entries no longer wanted are deleted last,
 * so that a packet always sees either the old or the new customer of an
 * address. Afterwards the cpumap entries of CPUs that are neither
 * configured nor used by a customer are removed.
 *
 * live: what the maps hold, read earlier in this run (nothing else may
 * have written them since: the run holds the lock); NULL, or a snapshot
 * of another trie than steer's, and the trie is read now.
 * -EINVAL as steer_wanted, -ENOSPC past the trie's size; the maps are
 * untouched then. counts may be NULL.
 */
int steer_sync(struct steer *steer, const struct steer_snapshot *live, const struct plan *plan,
	       struct steer_counts *counts);

/* What an address maps to (steer_lookup). */
struct steer_match {
	bool known; /* a prefix matched */
	struct prefix prefix; /* the matched prefix (when known) */
	char prefix_text[PREFIX_TEXT_LEN]; /* "198.19.1.0/24", "2001:db8:1::/56" */
	char address_text[PREFIX_TEXT_LEN]; /* the address looked up, normalised */
	struct xs_customer customer; /* cpu, txq, classid (when known) */
	uint32_t minor; /* xs_handle_minor(classid) */
	char classid_text[HANDLE_TEXT_LEN]; /* "3:1f", as tc prints it (handle_text) */
	enum xs_unknown unknown; /* the policy that applies when !known */
	bool via_trie; /* the lookup table leaves this address to the trie */
};

/*
 * Look ADDRESS ("198.19.1.10", "2001:db8:1::10") up in the live maps, as
 * the programs do: the longest prefix wins. 0 with match->known false for
 * an address that is no customer's; -EINVAL for text that is no address.
 */
int steer_lookup(struct steer *steer, const char *address, struct steer_match *match);

/* How full the lookup table is (struct xs_tbl_slot chunks). */
struct steer_table_usage {
	size_t chunks; /* in use */
	size_t capacity; /* [system] lookup_memory, as the table was created */
	size_t fallbacks; /* entries left to the trie: the pool was full */
};

int steer_table_usage(struct steer *steer, struct steer_table_usage *usage);

/*
 * Per-CPU counters: per_cpu[cpu] for every possible CPU (*ncpus of them,
 * malloc'd: free it) and their sum in *total. per_cpu may be NULL when
 * only the total is wanted.
 */
int steer_read_stats(struct steer *steer, struct xs_stats **per_cpu, unsigned int *ncpus,
		     struct xs_stats *total);
const char *steer_xdp_stat_name(enum xs_xdp_stat stat); /* "hit", "redirect_fail"... */
const char *steer_tc_stat_name(enum xs_tc_stat stat);
/* (the counters are kept per role, enum xs_dir: role_name() names it) */

/* The persisted state (struct xs_state); zeroed until first written. */
int steer_state_get(struct steer *steer, struct xs_state *state);
/* Its fields kept per role: the interface, its root qdisc kind before start, clsact ours. */
#define STEER_STATE_IF(st, dir)	   ((dir) == XS_WAN ? (st)->wan_if : (st)->lan_if)
#define STEER_STATE_QDISC(st, dir) ((dir) == XS_WAN ? (st)->wan_qdisc : (st)->lan_qdisc)
#define STEER_STATE_CLSACT(dir)	   ((dir) == XS_WAN ? XS_STATE_CLSACT_WAN : XS_STATE_CLSACT_LAN)
int steer_state_put(struct steer *steer, const struct xs_state *state);

/* What is attached to one interface, for status. */
struct steer_iface {
	char name[IF_NAMESIZE];
	unsigned int ifindex; /* 0: the interface does not exist */
	uint32_t xdp_prog_id; /* 0: no XDP program */
	enum xdp_mode xdp_mode;
	bool xdp_ours; /* xs_xdp_wan or xs_xdp_lan */
	uint32_t tc_prog_id; /* at xshaper's handle/priority on egress; 0: none */
	bool tc_ours;
};

/*
 * Whether the data path is what steer_start left: on wan and lan (of cfg)
 * this instance's XDP program in cfg's mode and TC egress program, XPS off
 * on every TX queue, and a cpumap entry of queue_size for every configured
 * CPU. One line a problem into p; fixable ones are what steer_start sets up
 * again, the others (a missing interface, another's program) need the
 * operator. Returns 0 or -errno when the checks themselves fail.
 */
struct problems;
int steer_verify(struct steer *steer, const struct xs_config *cfg, struct problems *p);

/*
 * The maps steer_open found through the running programs because their
 * pins were gone (1 << map index), their names in names. reload and start
 * pin them again.
 */
unsigned int steer_unpinned(const struct steer *steer, char *names, size_t len);

/*
 * What stop restores: the pinned state, or the state file (*from_file)
 * when the pins are gone. -ENOENT when there is neither.
 */
int steer_saved_state(const struct xs_config *cfg, struct xs_state *state, bool *from_file);

/*
 * Where the runs of cfg's instance keep their placements (plan_save,
 * plan_load): XS_STATE_DIR/<bpffs, escaped>.plan, next to the state file.
 * create: make the directory when it is missing.
 */
int steer_plan_path(const struct xs_config *cfg, bool create, char *buf, size_t len);

/*
 * The monitor record of every customer that has one, summed over the CPUs
 * (steer/monitor.c): *out malloc'd (free it), sorted by classid, *n of
 * them. Cumulative: rates and quantiles come from two reads' difference.
 */
struct steer_monitor {
	uint32_t classid;
	struct xs_monitor m;
};

int steer_read_monitor(struct steer *steer, struct steer_monitor **out, size_t *n);

/*
 * Forget the monitor records of classids that none of want (the prefixes
 * steer_sync wrote) points at, so that a class given to another customer
 * later starts from zero. steer_sync calls it; failures only lose records.
 */
int steer_monitor_prune(struct steer *steer, const struct steer_prefix *want, size_t n);

/*
 * Forget classid's monitor record: a spare class given to a new customer
 * (conf/plan.h) starts from zero even if the last packets of the one who
 * had it were counted after its record was pruned. 0 when there is none.
 */
int steer_monitor_forget(struct steer *steer, uint32_t classid);

/* The record of classid in v (sorted, as steer_read_monitor makes it), or NULL. */
const struct steer_monitor *steer_monitor_find(const struct steer_monitor *v, size_t n,
					       uint32_t classid);

/*
 * What happened between two reads of one customer's record: *d = now -
 * then, counter by counter (the histogram wraps at 32 bits: the difference
 * is still right). A record that went backwards (the customer's class
 * changed and its record started again) counts from zero.
 */
void steer_monitor_delta(const struct xs_monitor *now, const struct xs_monitor *then,
			 struct xs_monitor *d);

/*
 * The q-quantile (0 < q <= 1) of a side's RTT histogram, in milliseconds,
 * interpolated inside its log2 bucket; -ENODATA when it has no samples.
 */
int steer_rtt_quantile_ms(const struct xs_monitor *m, enum xs_dir side, double q, double *ms);

/*
 * The flow table for cfg's [monitor] flows and a list of ncustomers, in
 * flows per CPU: each possible CPU gets its own LRU list of this many, so
 * that the table holds this times possible_cpus entries. A number of
 * flows is spread over the shaping CPUs; auto is XS_FLOWS_PER_CUSTOMER per
 * customer of a shaping CPU, at least XS_FLOWS_AUTO_MIN, rounded up to a
 * power of two (a list that grows a little fits the table it has).
 */
unsigned int steer_flows_per_cpu(const struct xs_config *cfg, size_t ncustomers);

/* What a table of flows_per_cpu takes in memory, on possible_cpus, in bytes. */
uint64_t steer_flows_bytes(unsigned int flows_per_cpu, unsigned int possible_cpus);

/*
 * Warn when the running flow table is not what cfg and a list of
 * ncustomers want (auto: smaller than that), since only start resizes it.
 * 0, or a negative errno.
 */
int steer_flows_check(struct steer *steer, const struct xs_config *cfg, size_t ncustomers);

/* What is attached to the interface of each role of cfg; works whether started or not. */
int steer_query(const struct xs_config *cfg, struct steer_iface ifs[XS_DIRS]);

#endif /* XSHAPER_STEER_H */
