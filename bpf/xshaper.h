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

#endif /* XSHAPER_BPF_SHARED_H */
