/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The view stats, the exporter and top show: where the last run placed
 * every customer and node, the counters of their HTB classes, and the
 * per-CPU counters of the programs. Read from the maps and the trees each
 * time, so a reload or a stop in between is seen.
 */
#ifndef XSHAPER_STATS_H
#define XSHAPER_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/plan.h"
#include "steer/steer.h"

/* Counters of one HTB class, as the kernel keeps them. */
struct class_stats {
	uint32_t classid;
	uint64_t rate, ceil; /* bit/s */
	uint64_t bytes, packets, drops, overlimits;
	uint64_t backlog_bytes, backlog_packets;
	uint64_t bps; /* measured over the sampling interval; 0 without one */
};

/* Every HTB class of one interface, sorted by classid. */
struct iface_stats {
	const char *ifname;
	struct class_stats *v;
	size_t n;
};

struct stats_view {
	const struct xs_config *cfg;
	struct placements placed; /* of the last run: ids, names, classes */
	const struct placement **customers; /* the customers of placed, as shown */
	size_t n;
	const struct placement **nodes; /* its nodes; none when stats names customers */
	size_t nnodes;
	struct iface_stats is[XS_DIRS]; /* by role */
	struct xs_stats *per_cpu;
	unsigned int ncpus;
	/* the TCP monitor before and after the interval (then: none without one) */
	struct steer_monitor *mon_then, *mon_now;
	size_t nmon_then, nmon_now;
};

/*
 * Fill v: open the maps, read the placements and the per-CPU counters,
 * then the classes of both interfaces; with interval (seconds) twice that
 * far apart, the bps of each class measured between the two. When
 * xshaper is not started: with quiet, -ENOENT and no message; without,
 * steer_open's error. Any other failure is reported. stats_view_free
 * either way.
 */
int stats_view_read(const struct xs_config *cfg, unsigned int interval, bool quiet,
		    struct stats_view *v);
void stats_view_free(struct stats_view *v);

/* The bps of every class of after, from its bytes msec after before. */
void stats_rates(const struct iface_stats *before, struct iface_stats *after, unsigned long msec);

struct class_stats *stats_find_class(const struct iface_stats *is, uint32_t classid);

/* The nodes above a placement, from the top: "Site A / AP1"; "" for none. */
void node_path(const struct placements *placed, const struct placement *pl, char *buf, size_t len);
#define PATH_LEN (NETWORK_MAX_DEPTH * (NETWORK_NAME_MAX + 3) + 1)

/* What stats --prometheus prints and the exporter serves. */
void stats_prometheus(FILE *f, const struct stats_view *v);

#endif /* XSHAPER_STATS_H */
