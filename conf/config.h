/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_CONFIG_H
#define XSHAPER_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "bpf/xshaper.h"

#define XS_DEFAULT_CONFIG "/etc/xshaper/xshaper.ini"

enum xdp_mode {
	XDP_MODE_NATIVE,
	XDP_MODE_SKB,
};

enum leaf_qdisc {
	LEAF_FQ_CODEL,
	LEAF_SFQ,
	LEAF_PFIFO,
};

enum unknown_policy {
	UNKNOWN_SHAPE,
	UNKNOWN_PASS,
};

/* The whole INI file, with defaults filled in. Rates are in bit/s. */
struct xs_config {
	char path[PATH_MAX];

	/* [interfaces] */
	char wan[IF_NAMESIZE];
	char lan[IF_NAMESIZE];
	enum xdp_mode xdp_mode;

	/* [cpus] */
	unsigned int cpus[XS_MAX_CPUS]; /* ascending, no duplicates */
	unsigned int ncpus;
	unsigned int queue_size;
	unsigned int queues_per_cpu;
	bool queues_auto; /* "auto": config_resolve_queues sets queues_per_cpu */

	/* [shaping] */
	uint64_t wan_capacity;
	uint64_t lan_capacity;
	enum leaf_qdisc leaf_qdisc;
	uint64_t default_rate;
	uint64_t default_ceil; /* 0: the capacity of the interface */
	enum unknown_policy unknown;

	/* [customers] */
	char customers_file[PATH_MAX];
	/*
	 * A reload that would remove more live customers than this is refused
	 * (a truncated list is not an instruction to unshape everyone): a count,
	 * or with max_removed_percent a share of the live customers; 0: no limit.
	 */
	unsigned int max_removed;
	bool max_removed_percent;

	/* [system] */
	char bpffs[PATH_MAX];
	char lock[PATH_MAX];
	unsigned int lock_timeout; /* seconds */
	unsigned int lookup_chunks; /* lookup_memory in 1 KiB chunks of the table */
};

/* Fill every key with its default (cpus: all online CPUs). */
void config_defaults(struct xs_config *cfg);

/*
 * Load and validate an INI file on top of the defaults. Every bad value is
 * reported with pr_err as "FILE: [section] key = value: reason (allowed: ...)",
 * unknown sections and keys with pr_warn (at most 100 of each, then a count).
 * Returns 0, -ENOENT/-EACCES (or another -errno) when the file cannot be
 * read, -EISDIR/-EINVAL/-EFBIG for a directory, another kind of file than a
 * regular one, or one over 1 MiB (conf/input.h), or -EINVAL when any value
 * is bad or a line is not INI syntax (or holds a NUL byte). Messages carry
 * FILE:LINE where the line is known. A relative [customers] file is made
 * relative to the INI's directory.
 */
int config_load(const char *path, struct xs_config *cfg);

/*
 * queues_per_cpu = auto (the default): as many HTB trees per CPU as the
 * interfaces' TX queues allow, at most XS_AUTO_QUEUES_MAX. More trees make
 * building and changing them cheaper (each class creation walks the classes
 * of its tree), but the gain stops at about 1,000-2,500 customers a tree,
 * reached by 8 trees a CPU in the measurements (docs/BENCHMARKS.md).
 * txqs is the smaller TX queue count of wan and lan (0: unknown, keep 1).
 */
#define XS_AUTO_QUEUES_MAX 8
void config_resolve_queues(struct xs_config *cfg, unsigned int txqs);

/* Number of TX queues the trees use: ncpus * queues_per_cpu. */
unsigned int config_txqs(const struct xs_config *cfg);

/* "fq_codel", "sfq", "pfifo" */
const char *leaf_qdisc_name(enum leaf_qdisc leaf);

/*
 * Parse a CPU list such as "0-3,6" into ascending unique CPU numbers.
 * Returns the count, or -EINVAL (empty, malformed, or >= XS_MAX_CPUS).
 */
int cpulist_parse(const char *s, unsigned int *cpus, unsigned int max);

/*
 * The online CPUs below XS_MAX_CPUS, ascending, from
 * /sys/devices/system/cpu/online (sysconf as the fallback). Returns the
 * count (at least 1).
 */
int cpus_online(unsigned int *cpus, unsigned int max);

#endif /* XSHAPER_CONFIG_H */
