/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one header shared by the BPF programs and user space: map keys and
 * values, counters, and the classid layout of the per-TX-queue HTB trees.
 *
 * Tree layout on each shaped interface (download on lan, upload on wan):
 *
 *   mq  XS_MQ_MAJOR:           root, one class per TX queue
 *   htb M:                     under mq class XS_MQ_MAJOR:(txq + 1)
 *     class M:1                root class, rate = ceil = interface capacity
 *     class M:2                default class (unknown addresses)
 *     class M:minor            one per customer, minor >= XS_FIRST_MINOR
 *
 * M = xs_htb_major(txq). txq is 0-based here; skb->queue_mapping takes
 * txq + 1.
 */
#ifndef XSHAPER_BPF_SHARED_H
#define XSHAPER_BPF_SHARED_H

#include <linux/types.h>

#define XS_MQ_MAJOR	 0x7fffU
#define XS_ROOT_MINOR	 1U
#define XS_DEFAULT_MINOR 2U
#define XS_FIRST_MINOR	 3U
#define XS_MAX_MINOR	 0xffffU
/* minors XS_FIRST_MINOR..XS_MAX_MINOR: customer classes per HTB tree */
#define XS_MINORS_PER_TREE (XS_MAX_MINOR - XS_FIRST_MINOR + 1)

#define XS_MAX_CPUS 256
#define XS_MAX_TXQS 4096 /* a plain number: conf/config.c quotes it in messages */

/*
 * tc handles and classids are major:minor, 16 bits each. These are the one
 * place one is split or joined; common/handle.h prints them as tc does.
 */
static inline __u32 xs_handle(__u32 major, __u32 minor)
{
	return major << 16 | (minor & 0xffff);
}

static inline __u32 xs_handle_major(__u32 handle)
{
	return handle >> 16;
}

static inline __u32 xs_handle_minor(__u32 handle)
{
	return handle & 0xffff;
}

/*
 * The HTB majors. The kernel finds a qdisc by its handle in a 16-bucket
 * hash of the device's qdiscs, hash_32(handle, 4): the top 4 bits of
 * handle * 0x61C88647, which for major:0 are the top 4 bits of the low 16
 * bits of major * XS_MAJOR_MUL. Every class request, and each 32 kB of a
 * class dump, walks its HTB's bucket until it meets the HTB, and a bucket
 * lists the newest first. HTB's own pfifo leaves (handle 0) all fall in
 * bucket 0 and explicit leaves anywhere, so with majors txq + 1 the dump
 * of a tree whose HTB shared a bucket with leaves walked every leaf of the
 * device created after it for each 32 kB (0.75 s of system time per
 * interface at 100k customers). So the HTB of TX queue txq gets the major
 * whose product is XS_HTB_PRODUCT + txq: the 4096 possible HTBs fill
 * bucket 1, leaves take every other major (shaper/tree.h), and the
 * inverse is one multiply. XS_MAJOR_INV is XS_MAJOR_MUL's inverse modulo
 * 2^16. (If a kernel hashed otherwise, only speed would change.)
 */
#define XS_MAJOR_MUL	0x8647U
#define XS_MAJOR_INV	0x4377U
#define XS_HTB_PRODUCT	0x1000U /* bucket 1 starts here */

static inline __u32 xs_htb_major(__u32 txq)
{
	return ((txq + XS_HTB_PRODUCT) * XS_MAJOR_INV) & 0xffff;
}

/* The TX queue whose HTB has major; XS_MAX_TXQS or more for any other. */
static inline __u32 xs_major_txq(__u32 major)
{
	return (((major * XS_MAJOR_MUL) & 0xffff) - XS_HTB_PRODUCT) & 0xffff;
}

/* The class minor of the tree of TX queue txq (0-based). */
static inline __u32 xs_classid(__u32 txq, __u32 minor)
{
	return xs_handle(xs_htb_major(txq), minor);
}

/* The TX queue whose tree holds classid (or whose HTB has that handle). */
static inline __u32 xs_classid_txq(__u32 classid)
{
	return xs_major_txq(xs_handle_major(classid));
}

/* The handle of the HTB of TX queue txq: M:0 */
static inline __u32 xs_htb_handle(__u32 txq)
{
	return xs_classid(txq, 0);
}

/* The mq class that HTB hangs from: XS_MQ_MAJOR:(txq + 1) */
static inline __u32 xs_mq_class(__u32 txq)
{
	return xs_handle(XS_MQ_MAJOR, txq + 1);
}

/*
 * LPM trie key. IPv4 addresses are stored as IPv4-mapped IPv6
 * (::ffff:a.b.c.d) with prefixlen 96 + n, so one trie serves both families.
 */
struct xs_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* What a prefix maps to: the place of the owning customer. */
struct xs_customer {
	__u32 reserved; /* 0 (it held numeric customer ids; ids are text now) */
	__u32 cpu; /* CPU that owns the customer (cpumap key) */
	__u32 txq; /* 0-based TX queue, owned by cpu */
	__u32 classid; /* xs_classid(txq, minor) */
};

/* Per CPU (array indexed by CPU number): the TX queues that CPU owns. */
struct xs_cpu_queues {
	__u32 txq_first; /* 0-based */
	__u32 txq_count; /* 0: CPU not configured */
};

/*
 * Capacity of the LPM trie. It is allocated on demand
 * (BPF_F_NO_PREALLOC), so this is a limit, not memory.
 */
#define XS_MAX_PREFIXES (1U << 20)

/*
 * The lookup table the programs walk instead of the trie: a multibit trie
 * with the prefixes expanded into its entries (leaf pushing), built and
 * kept in step with the trie by user space (steer/table.c has the why and
 * the how). It is one BPF array element of slots, 256 entries each, that
 * user space writes through mmap:
 *
 *   slots       0..7      struct xs_tbl_head
 *   slots       8..65543  IPv4 root: an entry for each /24 (64 MiB)
 *   slots   65544..65799  IPv6 root (all but ::ffff:0:0/96): each /16
 *   slots   65800..       chunks: an entry for each value of the next byte
 *
 * An entry is a customer's class, (txq + 1) << 16 | minor (xs_tbl_entry:
 * a classid's major can have the top bit), XS_TBL_MISS, XS_TBL_TRIE (the
 * pool of chunks ran out: ask the LPM trie) or XS_TBL_CHILD | the byte
 * offset of a chunk (look at the next byte there). IPv4 takes at most 2
 * steps, IPv6 at most 15.
 */
#define XS_TBL_SLOT_ENTRIES 256
#define XS_TBL_V4_ROOT	    8U
#define XS_TBL_V4_ROOT_BITS 24
#define XS_TBL_V6_ROOT	    (XS_TBL_V4_ROOT + (1U << XS_TBL_V4_ROOT_BITS) / XS_TBL_SLOT_ENTRIES)
#define XS_TBL_V6_ROOT_BITS 16
#define XS_TBL_FIRST_CHUNK  (XS_TBL_V6_ROOT + (1U << XS_TBL_V6_ROOT_BITS) / XS_TBL_SLOT_ENTRIES)
#define XS_TBL_MISS	    0U
#define XS_TBL_TRIE	    0x7fffffffU
#define XS_TBL_CHILD	    0x80000000U
#define XS_TBL_SLOT_SHIFT   10 /* log2 of the bytes of a slot */
#define XS_TBL_OFFSET_MASK  0x7ffffc00U
/*
 * A class's table entry, below XS_TBL_TRIE, and back. A classid of no HTB
 * of ours (0.1.0's, in the maps while an upgrade builds the trees) is left
 * to the trie.
 */
static inline __u32 xs_tbl_entry(__u32 classid)
{
	__u32 txq = xs_classid_txq(classid);

	if (txq >= XS_MAX_TXQS)
		return XS_TBL_TRIE;
	return xs_handle(txq + 1, xs_handle_minor(classid));
}

static inline __u32 xs_tbl_txq(__u32 entry)
{
	return xs_handle_major(entry) - 1;
}

static inline __u32 xs_tbl_classid(__u32 entry)
{
	return xs_classid(xs_tbl_txq(entry), xs_handle_minor(entry));
}

/* default pool: 32768 chunks, 32 MiB ([system] lookup_memory) */
#define XS_TBL_DEFAULT_CHUNKS 32768U
/* offsets must fit the entry */
#define XS_TBL_MAX_SLOTS (1U << (31 - XS_TBL_SLOT_SHIFT))

/*
 * The head of the table: what the XDP programs need besides the walk, so
 * that a packet of a customer costs one map lookup for all of it.
 */
struct xs_tbl_head {
	/* the CPU that owns each TX queue: where a classid's packets go */
	__u16 txq_cpu[XS_MAX_TXQS];
};

struct xs_tbl_slot {
	__u32 e[XS_TBL_SLOT_ENTRIES];
};

/*
 * Interface roles, the one encoding of direction: programs come in one copy
 * per role (see xshaper.bpf.c), and per-role data everywhere is an array
 * indexed by it. wan egress shapes upload, lan egress download
 * (conf/config.h has the names and the role of each interface).
 */
enum xs_dir {
	XS_WAN = 0, /* customer = destination on ingress, source on egress */
	XS_LAN = 1, /* customer = source on ingress, destination on egress */
	XS_DIRS,
};

/*
 * What the XDP programs do with an address that matches no prefix: [shaping]
 * unknown = shape | pass (conf/config.h names them).
 */
enum xs_unknown {
	XS_UNKNOWN_SHAPE = 0, /* spread over the configured CPUs by a flow hash */
	XS_UNKNOWN_PASS = 1, /* XDP_PASS on the receiving CPU */
};

/*
 * Run-time settings (array map, one element). These live in a map, not in
 * rodata, because the programs stay attached across reloads: a reload that
 * changes the CPU list or the unknown policy rewrites this element.
 */
struct xs_settings {
	__u32 unknown; /* enum xs_unknown */
	__u32 ncpus; /* entries used in cpus[] */
	__u32 cpus[XS_MAX_CPUS];
	/* last, so that the fields before keep the offsets older maps have */
	__u32 monitor; /* XS_MONITOR_* flags ([monitor] rtt) */
};

/* xs_settings.monitor: measure TCP RTT and retransmits per customer */
#define XS_MONITOR_RTT (1U << 0)

/*
 * Passive TCP monitoring (bpf/monitor.h has the method and the why).
 *
 * Per customer, keyed by its classid (per-CPU hash): RTT histograms and
 * retransmit counters, cumulative. Indexed by role: rtt[XS_LAN] is the lan
 * side (box -> customer -> box), rtt[XS_WAN] the wan side; retransmits
 * [XS_LAN] are segments going down to the customer, [XS_WAN] going up.
 * Bucket i counts samples of [2^i, 2^(i+1)) microseconds (bucket 0 also
 * takes 0 and 1 us; the last one everything from 2^23 us, 8.4 s, up).
 */
#define XS_RTT_BUCKETS 24

struct xs_monitor {
	__u64 rtt_samples[XS_DIRS];
	__u64 rtt_sum_us[XS_DIRS];
	__u64 retransmits[XS_DIRS];
	__u32 rtt_hist[XS_DIRS][XS_RTT_BUCKETS]; /* wraps; user space takes deltas */
};

/* Customers with a monitor record (allocated on their first TCP packet). */
#define XS_MONITOR_CUSTOMERS (XS_MINORS_PER_TREE * 4)

/*
 * The LRU flow table, [monitor] flows: N flows over the shaping CPUs
 * (XS_FLOWS_MIN..XS_FLOWS_MAX), or auto, XS_FLOWS_PER_CUSTOMER for each
 * customer of the CPU, at least XS_FLOWS_AUTO_MIN, rounded up to a power
 * of two. Each possible CPU gets the same share (steer_flows_per_cpu).
 */
#define XS_FLOWS_MIN	      1024
#define XS_FLOWS_MAX	      16777216
#define XS_FLOWS_PER_CUSTOMER 8U
#define XS_FLOWS_AUTO_MIN     4096U

/* A TCP flow as the monitor keys it: by the customer's end, not by direction. */
struct xs_flow_key {
	__u32 customer[4]; /* the customer's address (IPv4 mapped) */
	__u32 remote[4];
	__u16 customer_port; /* network order */
	__u16 remote_port;
};

/* xs_flow_half.flags */
#define XS_HALF_TS  (1U << 0) /* last_tsval is valid */
#define XS_HALF_SEQ (1U << 1) /* seq_high is valid */
#define XS_HALF_ACK (1U << 2) /* last_ack is valid */

/* What one end of a flow sent, as its packets passed the box. */
struct xs_flow_half {
	__u64 ts_time; /* ktime (ns) when ts_val was first seen; 0: none pending */
	__u64 next_ts; /* no new pending TSval before this (sample interval) */
	__u32 ts_val; /* the pending TSval, waiting for the peer's TSecr */
	__u32 last_tsval; /* the TSval of the last packet */
	__u32 seq_high; /* highest sequence number + length sent */
	__u32 last_ack; /* ACK number of the last packet (duplicate ACKs) */
	__u32 flags; /* XS_HALF_* */
	__u32 reserved;
};

/* half[XS_LAN]: packets going down to the customer; [XS_WAN]: going up. */
struct xs_flow {
	struct xs_flow_half half[XS_DIRS];
};

/* Per-CPU counters of the XDP programs, per interface role. */
enum xs_xdp_stat {
	XS_XDP_HIT, /* address matched a customer prefix */
	XS_XDP_MISS, /* IP, but no customer prefix matched */
	XS_XDP_NON_IP, /* ARP, LLDP, a third VLAN tag, PPP control...: passed */
	XS_XDP_MALFORMED, /* frame ends inside a header, or one is invalid: passed */
	XS_XDP_REDIRECT, /* redirected into the cpumap */
	XS_XDP_LOCAL, /* already on the owning CPU: passed, no cpumap hop */
	XS_XDP_REDIRECT_FAIL, /* no cpumap entry for the CPU: passed here */
	XS_XDP_UNKNOWN_PASS, /* unknown address passed by policy */
	XS_XDP_TRIE, /* lookups the table left to the LPM trie */
	XS_XDP_GAVE_UP, /* MPLS deeper than XS_MPLS_LABELS or not IP under it: passed */
	XS_XDP_PPPOE, /* PPPoE session frames, whatever their outcome */
	XS_XDP_MPLS, /* MPLS frames, whatever their outcome */
	XS_XDP_STATS,
};

/* Per-CPU counters of the TC egress programs, per interface role. */
enum xs_tc_stat {
	XS_TC_CUSTOMER, /* classified into a customer class */
	XS_TC_DEFAULT, /* unknown or non-IP: default class of this CPU's tree */
	XS_TC_UNCLASSIFIED, /* no configured CPU to take it: left alone */
	XS_TC_TRIE, /* lookups the table left to the LPM trie */
	XS_TC_STATS,
};

/*
 * What the XDP programs count: one outcome a packet, so that a plain frame
 * costs one increment (a PPPoE or MPLS one two); steer_read_stats adds them
 * up into enum xs_xdp_stat. Each miss outcome is its hit outcome +
 * XS_XC_MISS_REDIRECT; local and fail follow redirect at +1 and +2; the
 * outcomes of the parser follow XS_XC_NON_IP in the order of enum xs_parse.
 */
enum xs_xdp_count {
	XS_XC_HIT_REDIRECT,
	XS_XC_HIT_LOCAL,
	XS_XC_HIT_FAIL,
	XS_XC_MISS_REDIRECT,
	XS_XC_MISS_LOCAL,
	XS_XC_MISS_FAIL,
	XS_XC_MISS_PASS,
	XS_XC_NON_IP,
	XS_XC_MALFORMED,
	XS_XC_GAVE_UP,
	XS_XC_TRIE, /* besides the outcome */
	XS_XC_PPPOE, /* besides the outcome */
	XS_XC_MPLS, /* besides the outcome */
	XS_XDP_COUNTS,
};

/* The counters map: per-CPU array, one element; the CPU that ran the program. */
struct xs_counters {
	__u64 xdp[XS_DIRS][XS_XDP_COUNTS];
	__u64 tc[XS_DIRS][XS_TC_STATS];
};

/* The counters as user space reports them (steer_read_stats). */
struct xs_stats {
	__u64 xdp[XS_DIRS][XS_XDP_STATS];
	__u64 tc[XS_DIRS][XS_TC_STATS];
};

/*
 * Small state kept across runs in a pinned array map (one element) that no
 * program reads. steer_state_get/put read and write it.
 */
/*
 * The programs start attached: 2 for these, 1 for xshaper 0.1.0's (HTB
 * majors txq + 1, classids in the table), which reload replaces.
 */
#define XS_STATE_VERSION  2
#define XS_QDISC_KIND_LEN 16

/* flags */
#define XS_STATE_CLSACT_WAN (1U << 0) /* xshaper created the clsact qdisc on wan */
#define XS_STATE_CLSACT_LAN (1U << 1) /* ... on lan */

struct xs_reload_summary {
	__u64 time; /* unix seconds at the end of the run; 0: never */
	__u32 added, removed, changed, moved, unchanged;
	__u32 msec; /* duration */
};

struct xs_state {
	__u32 version; /* XS_STATE_VERSION; 0: never written */
	__u32 flags;
	__u64 started; /* unix seconds of the first start */
	/* root qdisc kind of each interface before start ("" when none) */
	char wan_qdisc[XS_QDISC_KIND_LEN];
	char lan_qdisc[XS_QDISC_KIND_LEN];
	/* the interfaces of the roles, as last started ("" before) */
	char wan_if[16];
	char lan_if[16];
	struct xs_reload_summary last_reload;
};

/*
 * XPS masks as they were before start, so that stop can restore them
 * (hash map, pinned). Masks are the text of the sysfs files.
 */
#define XS_XPS_MASK_LEN 128

struct xs_xps_key {
	char ifname[16];
	__u32 txq;
};

struct xs_xps_masks {
	char cpus[XS_XPS_MASK_LEN]; /* xps_cpus; "" when the file is absent */
	char rxqs[XS_XPS_MASK_LEN]; /* xps_rxqs; "" when the file is absent */
};

#endif /* XSHAPER_BPF_SHARED_H */
