/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one header shared by the BPF programs and user space: map keys and
 * values, counters, and the classid layout of the per-TX-queue HTB trees.
 *
 * Tree layout on each shaped interface (download on lan, upload on wan):
 *
 *   mq  XS_MQ_MAJOR:           root, one class per TX queue
 *   htb (txq + 1):             under mq class XS_MQ_MAJOR:(txq + 1)
 *     class (txq + 1):1        root class, rate = ceil = interface capacity
 *     class (txq + 1):2        default class (unknown addresses)
 *     class (txq + 1):minor    one per customer, minor >= XS_FIRST_MINOR
 *
 * txq is 0-based here; skb->queue_mapping takes txq + 1.
 */
#ifndef XSHAPER_BPF_SHARED_H
#define XSHAPER_BPF_SHARED_H

#include <linux/types.h>

#define XS_MQ_MAJOR 0x7fffU
#define XS_ROOT_MINOR 1U
#define XS_DEFAULT_MINOR 2U
#define XS_FIRST_MINOR 3U
#define XS_MAX_MINOR 0xffffU
/* minors XS_FIRST_MINOR..XS_MAX_MINOR: customer classes per HTB tree */
#define XS_MINORS_PER_TREE (XS_MAX_MINOR - XS_FIRST_MINOR + 1)

#define XS_MAX_CPUS 256
#define XS_MAX_TXQS 4096

static inline __u32 xs_classid(__u32 txq, __u32 minor)
{
	return ((txq + 1) << 16) | minor;
}

/*
 * LPM trie key. IPv4 addresses are stored as IPv4-mapped IPv6
 * (::ffff:a.b.c.d) with prefixlen 96 + n, so one trie serves both families.
 */
struct xs_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* What a prefix maps to: the owning customer and its place. */
struct xs_customer {
	__u32 id;      /* customer id from the list */
	__u32 cpu;     /* CPU that owns the customer (cpumap key) */
	__u32 txq;     /* 0-based TX queue, owned by cpu */
	__u32 classid; /* xs_classid(txq, minor) */
};

/* Per CPU (array indexed by CPU number): the TX queues that CPU owns. */
struct xs_cpu_queues {
	__u32 txq_first; /* 0-based */
	__u32 txq_count; /* 0: CPU not configured */
};

/*
 * Capacity of the prefix maps (the LPM trie and its exact-match mirrors).
 * They are allocated on demand (BPF_F_NO_PREALLOC), so this is a limit,
 * not memory; only the two hashes' bucket arrays (16 bytes a slot, rounded
 * up to a power of two: 16 MiB each) are allocated up front.
 */
#define XS_MAX_PREFIXES (1U << 20)

/*
 * The exact-match mirror of the trie is split by key size, because hashing
 * and comparing a 20-byte key costs about as much as everything else the
 * XDP program does. Nearly every customer prefix (IPv4 of any length, IPv6
 * delegations up to /64) fits a 12-byte key: its length and the two 32-bit
 * words of the address that hold its network bits. Only IPv6 prefixes
 * longer than /64 (and odd ones between /65 and /95) need the 20-byte key.
 */
struct xs_short_key {
	__u32 prefixlen; /* as in xs_lpm_key: 96 + n for IPv4 */
	__u32 net[2];	 /* address words 0-1 (length <= 64) or 2-3 (IPv4) */
};

enum xs_exact {
	XS_EXACT_LONG,	   /* struct xs_lpm_key in xs_hash_long */
	XS_EXACT_SHORT_HI, /* xs_short_key of words 0-1 in xs_hash_short */
	XS_EXACT_SHORT_LO, /* xs_short_key of words 2-3 in xs_hash_short */
};

/*
 * Where the exact-match entry of a prefix of length len lives; v4: the
 * prefix (or the address probed) is IPv4-mapped. The one rule for the
 * programs and for user space.
 */
static inline int xs_exact_kind(__u32 len, int v4)
{
	if (len <= 64)
		return XS_EXACT_SHORT_HI;
	if (len >= 96 && v4)
		return XS_EXACT_SHORT_LO;
	return XS_EXACT_LONG;
}

/* Interface roles. Programs come in one copy per role (see xshaper.bpf.c). */
enum xs_dir {
	XS_WAN = 0, /* customer = destination on ingress, source on egress */
	XS_LAN = 1, /* customer = source on ingress, destination on egress */
	XS_DIRS,
};

/* What the XDP programs do with an address that matches no prefix. */
enum xs_unknown {
	XS_UNKNOWN_SHAPE = 0, /* spread over the configured CPUs by a flow hash */
	XS_UNKNOWN_PASS = 1,  /* XDP_PASS on the receiving CPU */
};

/*
 * Prefix lengths present in the maps, as bitmaps over 0..128 (bit n of
 * word n / 64), one for IPv4-mapped prefixes (lengths 96..128) and one for
 * everything else. The XDP and TC programs probe the exact-match hash at
 * these lengths, longest first, before they fall back to the LPM trie.
 */
#define XS_LEN_WORDS 3

/*
 * Run-time settings (array map, one element). These live in a map, not in
 * rodata, because the programs stay attached across reloads: a reload that
 * changes the CPU list or the unknown policy rewrites this element.
 */
struct xs_settings {
	__u32 unknown; /* enum xs_unknown */
	__u32 ncpus;   /* entries used in cpus[] */
	__u32 cpus[XS_MAX_CPUS];
	__u64 lens_v4[XS_LEN_WORDS];
	__u64 lens_v6[XS_LEN_WORDS];
};

/* Per-CPU counters of the XDP programs, per interface role. */
enum xs_xdp_stat {
	XS_XDP_HIT,	      /* address matched a customer prefix */
	XS_XDP_MISS,	      /* IP, but no customer prefix matched */
	XS_XDP_NON_IP,	      /* ARP, LLDP, a third VLAN tag...: passed */
	XS_XDP_MALFORMED,     /* frame ends inside a header: passed */
	XS_XDP_REDIRECT,      /* redirected into the cpumap */
	XS_XDP_LOCAL,	      /* already on the owning CPU: passed, no cpumap hop */
	XS_XDP_REDIRECT_FAIL, /* no cpumap entry for the CPU: passed here */
	XS_XDP_UNKNOWN_PASS,  /* unknown address passed by policy */
	XS_XDP_TRIE,	      /* lookups that needed the LPM trie */
	XS_XDP_STATS,
};

/* Per-CPU counters of the TC egress programs, per interface role. */
enum xs_tc_stat {
	XS_TC_CUSTOMER,	    /* classified into a customer class */
	XS_TC_DEFAULT,	    /* unknown or non-IP: default class of this CPU's tree */
	XS_TC_UNCLASSIFIED, /* no configured CPU to take it: left alone */
	XS_TC_TRIE,	    /* lookups that needed the LPM trie */
	XS_TC_STATS,
};

/* Per-CPU array, one element; the CPU is the one that ran the program. */
struct xs_stats {
	__u64 xdp[XS_DIRS][XS_XDP_STATS];
	__u64 tc[XS_DIRS][XS_TC_STATS];
};

/*
 * Small state kept across runs in a pinned array map (one element) that no
 * program reads. steer_state_get/put read and write it.
 */
#define XS_STATE_VERSION 1
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
