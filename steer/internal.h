/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the steer/ sources only. */
#ifndef XSHAPER_STEER_INTERNAL_H
#define XSHAPER_STEER_INTERNAL_H

#include <limits.h>

#include "steer/steer.h"

/* Where systemd mounts the BPF filesystem, and start does without it. */
#define STEER_BPFFS_ROOT "/sys/fs/bpf"

enum steer_map {
	MAP_PREFIXES,
	MAP_TABLE,
	MAP_CPUMAP,
	MAP_CPU_QUEUES,
	MAP_SETTINGS,
	MAP_STATS,
	MAP_STATE,
	MAP_XPS,
	STEER_MAPS,
};

/* map and pin names, indexed by enum steer_map */
extern const char *const steer_map_names[STEER_MAPS];

struct steer {
	struct xshaper *skel; /* NULL when opened from the pins */
	int fd[STEER_MAPS]; /* owned only when skel is NULL */
	unsigned int possible_cpus;
	char bpffs[PATH_MAX]; /* "" when nothing is pinned */
	struct xs_tbl_slot *table; /* xs_table mapped (steer_table_map), or NULL */
	size_t table_slots;
};

/* Map xs_table into memory (once); steer_close unmaps it. */
int steer_table_map(struct steer *steer);

/* Route libbpf's messages through common/log.h, one level lower. */
void steer_log_setup(void);

/*
 * XPS (steer/xps.c). The interfaces may be in another network namespace
 * than the one /sys was mounted in, so the sysfs files are reached from a
 * child process with a private mount of sysfs for the current namespace.
 */
int xps_clear(int xps_fd, const char *ifname);
int xps_restore(int xps_fd, const char *ifname);

#endif /* XSHAPER_STEER_INTERNAL_H */
