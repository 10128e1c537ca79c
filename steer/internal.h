/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the steer/ sources only. */
#ifndef XSHAPER_STEER_INTERNAL_H
#define XSHAPER_STEER_INTERNAL_H

#include <limits.h>

#include "steer/steer.h"

/* Where systemd mounts the BPF filesystem, and start does without it. */
#define STEER_BPFFS_ROOT "/sys/fs/bpf"

/*
 * The maps, each as X(enum steer_map suffix, name in bpf/classify.h and so
 * in the skeleton and of the pin): adding a map is adding its line here.
 */
#define STEER_MAP_LIST(X)                                                                          \
	X(PREFIXES, xs_prefixes)                                                                   \
	X(TABLE, xs_table)                                                                         \
	X(CPUMAP, xs_cpumap)                                                                       \
	X(CPU_QUEUES, xs_cpu_queues)                                                               \
	X(SETTINGS, xs_settings)                                                                   \
	X(STATS, xs_stats)                                                                         \
	X(FLOWS, xs_flows)                                                                         \
	X(MONITOR, xs_monitor)                                                                     \
	X(STATE, xs_state)                                                                         \
	X(XPS, xs_xps)

/* clang-format off */
enum steer_map {
#define STEER_MAP_ENUM(id, name) MAP_##id,
	STEER_MAP_LIST(STEER_MAP_ENUM)
#undef STEER_MAP_ENUM
	STEER_MAPS,
};
/* clang-format on */

/* map and pin names, indexed by enum steer_map */
extern const char *const steer_map_names[STEER_MAPS];

struct steer {
	struct xshaper *skel; /* NULL when opened from the pins */
	int fd[STEER_MAPS]; /* owned only when skel is NULL */
	unsigned int possible_cpus;
	char bpffs[PATH_MAX]; /* "" when nothing is pinned */
	struct xs_tbl_slot *table; /* xs_table mapped (steer_table_map), or NULL */
	size_t table_slots;
	unsigned int unpinned; /* maps (1 << enum steer_map) found through the programs */
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
/* One saved XPS mask (the xs_xps map's key and value). */
struct steer_xps {
	struct xs_xps_key key;
	struct xs_xps_masks masks;
};

int xps_clear(int xps_fd, const char *ifname);
int xps_restore(int xps_fd, const char *ifname);

/* Every mask saved in the xs_xps map, *out malloc'd. */
int xps_saved(int xps_fd, struct steer_xps **out, size_t *n);

/* Put saved masks back on ifname (those of other interfaces are skipped). */
int xps_restore_saved(const char *ifname, const struct steer_xps *v, size_t n);

/*
 * Whether XPS is off on every TX queue of ifname: 0 and *first_on = -1
 * when it is, else the first TX queue with a mask (its masks in *masks).
 */
int xps_check(const char *ifname, int *first_on, struct xs_xps_masks *masks);

/*
 * The state file (steer/statefile.c): struct xs_state, the saved XPS masks
 * and the id of the instance's xs_stats map, under XS_STATE_DIR.
 */
#define XS_STATE_DIR "/run/xshaper"

struct statefile {
	char bpffs[PATH_MAX];
	__u32 map_id; /* xs_stats of the instance: what its programs use */
	struct xs_state state;
	struct steer_xps *xps;
	size_t nxps;
};

/* XS_STATE_DIR/<bpffs, escaped>.state; -ENAMETOOLONG past NAME_MAX. */
int statefile_path(const char *bpffs, char *buf, size_t len);
/* 0; -ENOENT when there is none; -EINVAL (warned) when it is not ours. */
int statefile_read(const char *bpffs, struct statefile *sf);
int statefile_read_path(const char *path, struct statefile *sf);
int statefile_write(const struct statefile *sf);
int statefile_remove(const char *bpffs);
void statefile_free(struct statefile *sf);
/* The bpffs of the instance whose map is one of map_ids; -ENOENT: none known. */
int statefile_find_owner(const __u32 *map_ids, __u32 n, char *bpffs, size_t len);

#endif /* XSHAPER_STEER_INTERNAL_H */
