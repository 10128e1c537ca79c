/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_CONFIG_H
#define XSHAPER_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/xshaper.h"
#include "common/enumval.h"

#define XS_DEFAULT_CONFIG "/etc/xshaper/xshaper.ini"

enum xdp_mode {
	XDP_MODE_NATIVE,
	XDP_MODE_SKB,
};

/* [customers] format: how the customer list is written (conf/customers.h). */
enum customers_format {
	CUSTOMERS_AUTO, /* by the header: LibreQoS's when it names "Circuit ID" */
	CUSTOMERS_XSHAPER,
	CUSTOMERS_LIBREQOS, /* ShapedDevices.csv */
};

enum leaf_qdisc {
	LEAF_FQ_CODEL,
	LEAF_SFQ,
	LEAF_PFIFO,
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
	enum xs_unknown unknown;
	/*
	 * Classes kept in each HTB tree for customers to come, under every
	 * parent class that has customers (config_spares): a count, or with
	 * spare_classes_percent a share of its customers, rounded up; 0: none.
	 */
	unsigned int spare_classes;
	bool spare_classes_percent;

	/* [customers] */
	char customers_file[PATH_MAX];
	/*
	 * A reload that would remove more live customers than this is refused
	 * (a truncated list is not an instruction to unshape everyone): a count,
	 * or with max_removed_percent a share of the live customers; 0: no limit.
	 */
	unsigned int max_removed;
	bool max_removed_percent;
	enum customers_format customers_format;

	/* [network] */
	char network_file[PATH_MAX]; /* "": no hierarchy (flat) */

	/* [monitor] */
	bool monitor_rtt; /* rtt = on: TCP RTT and retransmits per customer */
	/* flows: TCP flows the monitor follows at once over the CPUs; 0 = auto */
	unsigned int monitor_flows;

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
 * FILE:LINE where the line is known. A relative [customers] file or
 * [network] file is made relative to the INI's directory.
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

/*
 * The spare classes a parent class with ncustomers customers below it
 * keeps ([shaping] spare_classes): a share rounded up, or the count; none
 * under a parent without customers.
 */
unsigned int config_spares(const struct xs_config *cfg, size_t ncustomers);

/*
 * Who owns which TX queue: CPU i of cfg->cpus (its index, not its number)
 * owns the queues_per_cpu TX queues from i * queues_per_cpu on, and so the
 * HTB trees of those queues on both interfaces.
 */
unsigned int config_txq_cpu_index(const struct xs_config *cfg, unsigned int txq);
/* The CPU number that owns txq: cfg->cpus[config_txq_cpu_index()]. */
unsigned int config_txq_cpu(const struct xs_config *cfg, unsigned int txq);
/* The TX queues CPU index i owns: *first .. *first + *count - 1. */
void config_cpu_txqs(const struct xs_config *cfg, unsigned int i, unsigned int *first,
		     unsigned int *count);

/*
 * The rules between keys that config_load applies and the engines rely on,
 * for a config built by hand (tests, tools) as much as for a loaded one.
 * Each returns 0, or -EINVAL reported once with pr_err.
 *   txqs:  1..XS_MAX_CPUS CPUs, queues_per_cpu >= 1, at most XS_MAX_TXQS TX
 *          queues in all
 *   roles: wan and lan are two interfaces
 */
int config_check_txqs(const struct xs_config *cfg);
int config_check_roles(const struct xs_config *cfg);

/*
 * The roles of the interfaces (enum xs_dir), and what each one shapes on
 * its egress: wan upload (up_rate, up_ceil, wan_capacity), lan download.
 * conf/customers.h has the rates of a customer for a role.
 */
const char *config_ifname(const struct xs_config *cfg, enum xs_dir dir);
/* Give role dir another interface (stop: the one the state recorded). */
void config_set_ifname(struct xs_config *cfg, enum xs_dir dir, const char *ifname);
uint64_t config_capacity(const struct xs_config *cfg, enum xs_dir dir);

/*
 * The roles in the order the trees are built, checked, stopped and shown:
 * lan (download) first, then wan. for_each_role(i, dir) walks them.
 */
extern const enum xs_dir shaping_order[XS_DIRS];
#define for_each_role(i, dir) for ((i) = 0; (i) < XS_DIRS && ((dir) = shaping_order[(i)], 1); (i)++)

/*
 * The names of the enums, one table each (common/enumval.h): the INI file
 * is parsed with them and everything that prints a value takes its name
 * from them.
 */
extern const struct enum_val xdp_modes[]; /* "native", "skb" */
extern const struct enum_val leaf_qdiscs[]; /* "fq_codel", "sfq", "pfifo" */
extern const struct enum_val unknown_policies[]; /* "shape", "pass" */
extern const struct enum_val customers_formats[]; /* "auto", "xshaper", "libreqos" */
extern const struct enum_val on_off[]; /* "on" 1, "off" 0 */
extern const struct enum_val role_names[]; /* "wan", "lan" */
extern const struct enum_val role_directions[]; /* "up" (wan egress), "down" (lan egress) */

const char *xdp_mode_name(enum xdp_mode mode);
const char *leaf_qdisc_name(enum leaf_qdisc leaf);
const char *unknown_policy_name(enum xs_unknown unknown);
const char *customers_format_name(enum customers_format format);
const char *role_name(enum xs_dir dir);
const char *role_direction(enum xs_dir dir);

/*
 * Parse a CPU list such as "0-3,6" into ascending unique CPU numbers, *n
 * of them. Returns 0, or -EINVAL (empty, malformed, or >= XS_MAX_CPUS).
 */
int cpulist_parse(const char *s, unsigned int *cpus, unsigned int max, unsigned int *n);

/*
 * The online CPUs below XS_MAX_CPUS, ascending, from
 * /sys/devices/system/cpu/online (sysconf as the fallback). Returns how
 * many (at least 1): it cannot fail.
 */
unsigned int cpus_online(unsigned int *cpus, unsigned int max);

#endif /* XSHAPER_CONFIG_H */
