// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading, pinning, attaching and detaching the data path; settings,
 * counters and persisted state. The prefix maps are kept in sync.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/crashpoint.h"
#include "common/log.h"
#include "common/problems.h"
#include "steer/internal.h"
#include "steer/table.h"
#include "xshaper.skel.h"

#define BPFFS_ROOT STEER_BPFFS_ROOT

const char *const steer_map_names[STEER_MAPS] = {
#define STEER_MAP_NAME(id, name) [MAP_##id] = #name,
	STEER_MAP_LIST(STEER_MAP_NAME)
#undef STEER_MAP_NAME
};

/* Where the skeleton keeps each map. */
static const size_t skel_map_offsets[STEER_MAPS] = {
#define STEER_MAP_OFFSET(id, name) [MAP_##id] = offsetof(struct xshaper, maps.name),
	STEER_MAP_LIST(STEER_MAP_OFFSET)
#undef STEER_MAP_OFFSET
};

/* Our programs by role; a program of either name is xshaper's. */
static const char *const xdp_names[XS_DIRS] = { "xs_xdp_wan", "xs_xdp_lan" };
static const char *const tc_names[XS_DIRS] = { "xs_tc_wan", "xs_tc_lan" };

/* set around calls whose failure is an answer, not an error */
static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's debug output is below anything we print */
	if (level == LIBBPF_DEBUG || libbpf_quiet)
		return 0;
	xs_vlog_lines(level == LIBBPF_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, fmt, ap);
	return 0;
}

void steer_log_setup(void)
{
	libbpf_set_print(libbpf_print);
}

/* ---- handles ------------------------------------------------------------ */

static struct steer *steer_alloc(void)
{
	struct steer *steer = calloc(1, sizeof(*steer));
	int i;

	if (!steer)
		return NULL;
	for (i = 0; i < STEER_MAPS; i++)
		steer->fd[i] = -1;
	return steer;
}

void steer_close(struct steer *steer)
{
	int i;

	if (!steer)
		return;
	if (steer->table)
		munmap(steer->table, steer->table_slots * sizeof(*steer->table));
	if (steer->skel) {
		xshaper__destroy(steer->skel);
	} else {
		for (i = 0; i < STEER_MAPS; i++)
			if (steer->fd[i] >= 0)
				close(steer->fd[i]);
	}
	free(steer);
}

int steer_table_map(struct steer *steer)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	void *p;
	int err;

	if (steer->table)
		return 0;
	if (bpf_obj_get_info_by_fd(steer->fd[MAP_TABLE], &info, &len)) {
		err = -errno;
		pr_err("xs_table: cannot read the map: %s\n", strerror(-err));
		return err;
	}
	if (info.max_entries != 1 || info.value_size % sizeof(struct xs_tbl_slot) ||
	    info.value_size / sizeof(struct xs_tbl_slot) < XS_TBL_FIRST_CHUNK ||
	    !(info.map_flags & BPF_F_MMAPABLE)) {
		pr_err("xs_table: the map does not match this xshaper; run 'xshaper stop' and "
		       "start again\n");
		return -EINVAL;
	}
	p = mmap(NULL, info.value_size, PROT_READ | PROT_WRITE, MAP_SHARED, steer->fd[MAP_TABLE],
		 0);
	if (p == MAP_FAILED) {
		err = -errno;
		pr_err("xs_table: mapping it into memory failed: %s\n", strerror(-err));
		return err;
	}
	steer->table = p;
	steer->table_slots = info.value_size / sizeof(struct xs_tbl_slot);
	return 0;
}

struct xshaper *steer_skeleton(struct steer *steer)
{
	return steer->skel;
}

static struct bpf_map *skel_map(struct xshaper *skel, enum steer_map m)
{
	return *(struct bpf_map **)((char *)skel + skel_map_offsets[m]);
}

static int possible_cpus(unsigned int *n)
{
	int ret = libbpf_num_possible_cpus();

	if (ret < 0) {
		pr_err("cannot read the number of possible CPUs: %s\n", strerror(-ret));
		return ret;
	}
	*n = (unsigned int)ret;
	return 0;
}

static int pin_path(char *buf, size_t len, const char *dir, enum steer_map m)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, steer_map_names[m]) >= len) {
		pr_err("%s: path too long for the pinned maps; set [system] bpffs shorter\n", dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * A pinned map that differs from what this build would create (another
 * xshaper version, or another machine size) cannot be reused; say so
 * instead of letting the load fail with a bare -EINVAL. 1: the flow table,
 * of another size, for the caller to replace.
 */
static int check_pinned(struct bpf_map *map, const char *path, unsigned int flows_cpus)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err) {
		pr_err("%s: cannot read the pinned map: %s\n", path, strerror(-err));
		return err;
	}
	if (info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	    info.value_size == bpf_map__value_size(map) &&
	    info.max_entries == bpf_map__max_entries(map) &&
	    info.map_flags == bpf_map__map_flags(map))
		return 0;
	/* the flow table holds only pending samples: a new one may replace it */
	if (!strcmp(bpf_map__name(map), steer_map_names[MAP_FLOWS])) {
		pr_info("monitor: the flow table goes from %u to %u flows per CPU\n",
			info.max_entries / (flows_cpus ? flows_cpus : 1),
			bpf_map__max_entries(map) / (flows_cpus ? flows_cpus : 1));
		return 1;
	}
	pr_err("%s: the pinned map does not match this xshaper (pinned by another version "
	       "or for another number of CPUs); run 'xshaper stop' and start again\n",
	       path);
	return -EEXIST;
}

/*
 * The table keeps the size it was pinned with: [system] lookup_memory
 * applies from the next start after a stop.
 */
static unsigned int table_slots_pinned(const char *dir, unsigned int slots)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (!dir || pin_path(path, sizeof(path), dir, MAP_TABLE))
		return slots;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return slots;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	    info.value_size != slots * sizeof(struct xs_tbl_slot) &&
	    info.value_size % sizeof(struct xs_tbl_slot) == 0 &&
	    info.value_size / sizeof(struct xs_tbl_slot) >= XS_TBL_FIRST_CHUNK) {
		pr_warn("[system] lookup_memory = %uK, but the running table has %zuK: the new "
			"size applies after 'xshaper stop' and 'start'\n",
			slots - XS_TBL_FIRST_CHUNK,
			info.value_size / sizeof(struct xs_tbl_slot) - XS_TBL_FIRST_CHUNK);
		slots = info.value_size / sizeof(struct xs_tbl_slot);
	}
	close(fd);
	return slots;
}

/* Open and load the skeleton; with dir, reuse or create pins there. */
static int skel_load(struct steer *steer, unsigned int max_prefixes, unsigned int chunks,
		     unsigned int flows_per_cpu, const char *dir)
{
	unsigned int slots = table_slots_pinned(dir, table_slots(chunks));
	bool replace_flows = false;
	char path[PATH_MAX];
	struct xshaper *skel;
	int err, m;

	err = possible_cpus(&steer->possible_cpus);
	if (err)
		return err;

	skel = xshaper__open();
	if (!skel) {
		err = -errno;
		pr_err("opening the BPF object failed: %s\n", strerror(-err));
		return err;
	}
	err = bpf_map__set_max_entries(skel->maps.xs_cpumap, steer->possible_cpus);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.xs_prefixes, max_prefixes);
	/* the flow table's LRU is per CPU: each CPU gets max_entries / CPUs */
	if (!err && (uint64_t)flows_per_cpu * steer->possible_cpus > UINT32_MAX)
		err = -E2BIG;
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.xs_flows,
					       flows_per_cpu * steer->possible_cpus);
	if (!err)
		err = bpf_map__set_value_size(skel->maps.xs_table,
					      slots * sizeof(struct xs_tbl_slot));
	skel->rodata->xs_tbl_last = (__u64)(slots - 1) << XS_TBL_SLOT_SHIFT;
	if (err) {
		pr_err("sizing the BPF maps failed: %s\n", strerror(-err));
		goto fail;
	}
	for (m = 0; dir && m < STEER_MAPS; m++) {
		err = pin_path(path, sizeof(path), dir, m);
		if (!err)
			err = check_pinned(skel_map(skel, m), path, steer->possible_cpus);
		if (err == 1) {
			replace_flows = true;
			err = 0;
		}
		if (!err)
			err = bpf_map__set_pin_path(skel_map(skel, m), path);
		if (err)
			goto fail;
	}
	/*
	 * Only once every other pin is known to fit: until the TC programs are
	 * replaced they keep the old table; should start fail before that,
	 * they run on it unpinned, as open_maps knows.
	 */
	if (replace_flows && !pin_path(path, sizeof(path), dir, MAP_FLOWS) && unlink(path) &&
	    errno != ENOENT) {
		err = -errno;
		pr_err("%s: cannot replace the pinned flow table: %s\n", path, strerror(-err));
		goto fail;
	}
	err = xshaper__load(skel);
	if (err) {
		pr_err("loading the BPF programs failed: %s; run with -vv for the verifier's "
		       "and libbpf's account\n",
		       strerror(-err));
		goto fail;
	}
	steer->skel = skel;
	for (m = 0; m < STEER_MAPS; m++)
		steer->fd[m] = bpf_map__fd(skel_map(skel, m));
	return 0;
fail:
	xshaper__destroy(skel);
	return err;
}

int steer_load(const struct xs_config *cfg, unsigned int max_prefixes, struct steer **out)
{
	struct steer *steer;
	int err;

	steer_log_setup();
	*out = NULL;
	steer = steer_alloc();
	if (!steer)
		return -ENOMEM;
	err = skel_load(steer, max_prefixes ? max_prefixes : XS_MAX_PREFIXES,
			cfg->lookup_chunks ? cfg->lookup_chunks : XS_TBL_DEFAULT_CHUNKS,
			steer_flows_per_cpu(cfg, 0), NULL);
	if (err) {
		free(steer);
		return err;
	}
	*out = steer;
	return 0;
}

static int programs_maps(const struct xs_config *cfg, int fd[STEER_MAPS]);

/*
 * Open the maps: from their pins, or, for pins that are gone while this
 * instance's programs still run on the maps, from the programs. xs_state
 * and xs_xps are read by no program: without their pins they are gone, and
 * the state file stands in for them (fd -1).
 */
static int open_maps(const struct xs_config *cfg, bool report, struct steer **out)
{
	int err = 0, m, found[STEER_MAPS];
	unsigned int ncpus;
	char path[PATH_MAX];
	struct steer *steer;
	bool any_pin = false;

	steer_log_setup();
	*out = NULL;
	err = possible_cpus(&ncpus);
	if (err)
		return err;
	steer = steer_alloc();
	if (!steer)
		return -ENOMEM;
	steer->possible_cpus = ncpus;
	snprintf(steer->bpffs, sizeof(steer->bpffs), "%s", cfg->bpffs);
	for (m = 0; m < STEER_MAPS; m++) {
		err = pin_path(path, sizeof(path), cfg->bpffs, m);
		if (err)
			goto fail;
		steer->fd[m] = bpf_obj_get(path);
		if (steer->fd[m] >= 0) {
			any_pin = true;
		} else if (errno != ENOENT) {
			err = -errno;
			pr_err("%s: opening the pinned map failed: %s\n", path, strerror(-err));
			goto fail;
		}
	}
	for (m = 0; m < STEER_MAPS; m++)
		if (steer->fd[m] < 0)
			break;
	if (m == STEER_MAPS)
		goto done;
	err = programs_maps(cfg, found);
	for (m = 0; m < STEER_MAPS; m++) {
		if (steer->fd[m] >= 0) {
			if (found[m] >= 0)
				close(found[m]);
			continue;
		}
		steer->fd[m] = found[m];
		steer->unpinned |= 1U << m;
		if (found[m] < 0 && m != MAP_STATE && m != MAP_XPS)
			err = -ENOENT;
	}
	if (err) {
		if (err == -ENOENT && report)
			pr_err("%s: %s: xshaper is not started (run 'xshaper start')\n", cfg->bpffs,
			       any_pin ? "pinned maps missing" : "no pinned maps");
		goto fail;
	}
done:
	*out = steer;
	return 0;
fail:
	steer_close(steer);
	return err;
}

int steer_open(const struct xs_config *cfg, struct steer **out)
{
	return open_maps(cfg, true, out);
}

int steer_open_started(const struct xs_config *cfg, struct steer **out)
{
	int err = open_maps(cfg, false, out);

	return err == -ENOENT ? 0 : err;
}

unsigned int steer_unpinned(const struct steer *steer, char *names, size_t len)
{
	size_t n = 0;
	int m;

	if (len)
		names[0] = '\0';
	for (m = 0; m < STEER_MAPS; m++)
		if (steer->unpinned & (1U << m) && n < len)
			n += (size_t)snprintf(names + n, len - n, "%s%s", n ? ", " : "",
					      steer_map_names[m]);
	return steer->unpinned;
}

/* ---- bpffs -------------------------------------------------------------- */

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/*
 * Make dir, on a BPF filesystem, mode 0700. When nothing is mounted on
 * /sys/fs/bpf (no systemd), mount bpffs there, as systemd would.
 */
static int bpffs_prepare(const char *dir)
{
	char tmp[PATH_MAX], *p;
	int err;

	/* an absolute path shorter than PATH_MAX, where a bpffs is or will be */
	err = steer_bpffs_check(dir);
	if (err)
		return err;
	if (steer_bpffs_mount_needed(dir)) {
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_err("%s: mounting the BPF filesystem failed: %s\n", BPFFS_ROOT,
			       strerror(-err));
			return err;
		}
		pr_info("mounted the BPF filesystem on %s\n", BPFFS_ROOT);
	}
	/* mkdir -p, each level 0700 */
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST) {
			err = -errno;
			pr_err("%s: cannot create the directory for pinned maps: %s\n", tmp,
			       strerror(-err));
			return err;
		}
		*p = c;
		if (!c)
			break;
	}
	if (!on_bpffs(dir)) {
		pr_err("%s: not on a BPF filesystem; mount one (mount -t bpf bpf %s) or set "
		       "[system] bpffs below it\n",
		       dir, BPFFS_ROOT);
		return -EINVAL;
	}
	if (chmod(dir, 0700)) {
		err = -errno;
		pr_err("%s: chmod failed: %s\n", dir, strerror(-err));
		return err;
	}
	return 0;
}

/* ---- who owns what is attached ------------------------------------------ */

/*
 * A program is this instance's when it uses this instance's xs_stats map
 * (every program counts into it). Names prove nothing: a second config with
 * its own bpffs loads programs of the same names, and so could anyone. The
 * map's id comes from the pin, or from the state file when the pins are
 * gone while the programs still run; 0 (no instance yet) owns nothing.
 */
static __u32 map_id_of(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/*
 * The map ids that make a program ours: the pinned xs_stats, and the one
 * the state file names (the same, unless the pin was lost or replaced).
 */
struct owner {
	__u32 id[2];
};

static struct owner instance_owner(const struct xs_config *cfg)
{
	struct owner o = {};
	struct statefile sf;
	char path[PATH_MAX];
	int fd;

	if (pin_path(path, sizeof(path), cfg->bpffs, MAP_STATS) == 0) {
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			o.id[0] = map_id_of(fd);
			close(fd);
		}
	}
	if (statefile_read(cfg->bpffs, &sf) == 0) {
		o.id[1] = sf.map_id;
		statefile_free(&sf);
	}
	return o;
}

#define PROG_MAX_MAPS 64

/* Name and map ids of program id. */
struct prog_desc {
	char name[BPF_OBJ_NAME_LEN];
	__u32 map_ids[PROG_MAX_MAPS];
	__u32 nmaps;
};

static int prog_describe(__u32 id, struct prog_desc *d)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "?");
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	info.nr_map_ids = PROG_MAX_MAPS;
	info.map_ids = (__u64)(unsigned long)d->map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
	} else {
		snprintf(d->name, sizeof(d->name), "%s", info.name);
		d->nmaps = info.nr_map_ids < PROG_MAX_MAPS ? info.nr_map_ids : PROG_MAX_MAPS;
	}
	close(fd);
	return err;
}

static bool prog_owned(const struct prog_desc *d, const struct owner *owner)
{
	__u32 i, j;

	for (i = 0; i < d->nmaps; i++)
		for (j = 0; j < sizeof(owner->id) / sizeof(owner->id[0]); j++)
			if (owner->id[j] && d->map_ids[i] == owner->id[j])
				return true;
	return false;
}

static bool name_in(const char *name, const char *const names[XS_DIRS])
{
	return strcmp(name, names[0]) == 0 || strcmp(name, names[1]) == 0;
}

enum foreign {
	FOREIGN_OTHER, /* not xshaper's */
	FOREIGN_INSTANCE, /* another xshaper instance */
};

/* Who a program that is not ours belongs to, in buf, for the refusal. */
static enum foreign foreign_owner(const struct prog_desc *d, const char *const names[XS_DIRS],
				  char *buf, size_t len)
{
	char bpffs[PATH_MAX];

	if (statefile_find_owner(d->map_ids, d->nmaps, bpffs, sizeof(bpffs)) == 0) {
		snprintf(buf, len, "another xshaper instance (bpffs %s)", bpffs);
		return FOREIGN_INSTANCE;
	}
	if (name_in(d->name, names)) {
		snprintf(buf, len, "another xshaper instance (no state file in %s names it)",
			 XS_STATE_DIR);
		return FOREIGN_INSTANCE;
	}
	snprintf(buf, len, "not xshaper's");
	return FOREIGN_OTHER;
}

struct xdp_attached {
	__u32 id; /* 0: none */
	__u32 mode_flag; /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	struct prog_desc prog;
	bool ours;
};

/* The kernel's attach flag of a mode, and back. */
static __u32 xdp_mode_flag(enum xdp_mode mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

static enum xdp_mode xdp_flag_mode(__u32 mode_flag)
{
	return mode_flag == XDP_FLAGS_SKB_MODE ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

/* The mode of an attached program: offload is the one xshaper never uses. */
static const char *xdp_flag_name(__u32 mode_flag)
{
	return mode_flag == XDP_FLAGS_HW_MODE ? "offload" : xdp_mode_name(xdp_flag_mode(mode_flag));
}

static int xdp_query(const char *ifname, int ifindex, const struct owner *owner,
		     struct xdp_attached *att)
{
	struct bpf_xdp_query_opts q = { .sz = sizeof(struct bpf_xdp_query_opts) };
	int err;

	memset(att, 0, sizeof(*att));
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err) {
		pr_err("%s: querying XDP failed: %s\n", ifname, strerror(-err));
		return err;
	}
	if (q.drv_prog_id) {
		att->id = q.drv_prog_id;
		att->mode_flag = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id) {
		att->id = q.skb_prog_id;
		att->mode_flag = XDP_FLAGS_SKB_MODE;
	} else if (q.hw_prog_id) {
		att->id = q.hw_prog_id;
		att->mode_flag = XDP_FLAGS_HW_MODE;
	}
	if (!att->id)
		return 0;
	prog_describe(att->id, &att->prog);
	att->ours = att->mode_flag != XDP_FLAGS_HW_MODE && prog_owned(&att->prog, owner);
	return 0;
}

static void tc_hook_init(struct bpf_tc_hook *hook, int ifindex, enum bpf_tc_attach_point point)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = point;
}

struct tc_attached {
	__u32 id; /* 0: none at our handle/priority */
	struct prog_desc prog;
	bool ours;
	bool clsact; /* a clsact qdisc is there */
};

/* The program at our handle/priority on egress. */
static void tc_query(int ifindex, const struct owner *owner, struct tc_attached *att)
{
	struct bpf_tc_opts opts = { .sz = sizeof(struct bpf_tc_opts),
				    .handle = STEER_TC_HANDLE,
				    .priority = STEER_TC_PRIORITY };
	struct bpf_tc_hook hook;
	int err;

	memset(att, 0, sizeof(*att));
	tc_hook_init(&hook, ifindex, BPF_TC_EGRESS);
	/* fails when there is no clsact qdisc or no such filter: nothing there */
	libbpf_quiet = true;
	err = bpf_tc_query(&hook, &opts);
	libbpf_quiet = false;
	if (err)
		return;
	att->id = opts.prog_id;
	prog_describe(att->id, &att->prog);
	att->ours = prog_owned(&att->prog, owner);
}

int steer_query(const struct xs_config *cfg, struct steer_iface ifs[XS_DIRS])
{
	struct owner owner = instance_owner(cfg);
	struct xdp_attached att;
	struct tc_attached tc;
	int dir, err;

	steer_log_setup();
	for (dir = 0; dir < XS_DIRS; dir++) {
		struct steer_iface *f = &ifs[dir];

		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", config_ifname(cfg, dir));
		f->ifindex = if_nametoindex(f->name);
		if (!f->ifindex)
			continue;
		err = xdp_query(f->name, f->ifindex, &owner, &att);
		if (err)
			return err;
		f->xdp_prog_id = att.id;
		f->xdp_mode = xdp_flag_mode(att.mode_flag);
		f->xdp_ours = att.ours;
		tc_query(f->ifindex, &owner, &tc);
		f->tc_prog_id = tc.id;
		f->tc_ours = tc.ours;
	}
	return 0;
}

/* Take the fds of prog's maps that are xshaper's by name into fd[]. */
static void adopt_maps(const struct prog_desc *prog, int fd[STEER_MAPS])
{
	struct bpf_map_info info;
	__u32 i, len;
	int m, mfd;

	for (i = 0; i < prog->nmaps; i++) {
		mfd = bpf_map_get_fd_by_id(prog->map_ids[i]);
		if (mfd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		m = STEER_MAPS;
		if (bpf_obj_get_info_by_fd(mfd, &info, &len) == 0)
			for (m = 0; m < STEER_MAPS; m++)
				if (fd[m] < 0 && !strcmp(info.name, steer_map_names[m]))
					break;
		if (m < STEER_MAPS)
			fd[m] = mfd;
		else
			close(mfd);
	}
}

/*
 * The maps this instance's programs use, found through the programs on
 * the interfaces of cfg and of the state file: fd[m], or -1. -ENOENT when
 * no program of this instance is attached.
 */
static int programs_maps(const struct xs_config *cfg, int fd[STEER_MAPS])
{
	struct owner owner = instance_owner(cfg);
	/* each role's interface in cfg, then as the state file has it */
	char ifs[2 * XS_DIRS][IF_NAMESIZE] = {};
	struct xdp_attached att;
	struct tc_attached tc;
	struct statefile sf;
	bool any = false, file;
	int i, m, dir, ifindex;

	for (m = 0; m < STEER_MAPS; m++)
		fd[m] = -1;
	file = statefile_read(cfg->bpffs, &sf) == 0;
	for (dir = 0; dir < XS_DIRS; dir++) {
		snprintf(ifs[dir], IF_NAMESIZE, "%s", config_ifname(cfg, dir));
		if (file)
			snprintf(ifs[XS_DIRS + dir], IF_NAMESIZE, "%s",
				 STEER_STATE_IF(&sf.state, dir));
	}
	statefile_free(&sf);
	for (i = 0; i < 2 * XS_DIRS; i++) {
		ifindex = ifs[i][0] ? (int)if_nametoindex(ifs[i]) : 0;
		if (!ifindex)
			continue;
		if (xdp_query(ifs[i], ifindex, &owner, &att) == 0 && att.ours) {
			adopt_maps(&att.prog, fd);
			any = true;
		}
		tc_query(ifindex, &owner, &tc);
		if (tc.ours) {
			adopt_maps(&tc.prog, fd);
			any = true;
		}
	}
	return any ? 0 : -ENOENT;
}

/*
 * Pins lost while the programs run: pin their maps again, so that start
 * goes on with the same maps (every customer stays steered, counters and
 * all) instead of new, empty ones. Returns how many it pinned.
 */
static int repin(const struct xs_config *cfg)
{
	char path[PATH_MAX], names[256];
	struct steer *steer;
	int m, n = 0;

	if (open_maps(cfg, false, &steer))
		return 0;
	for (m = 0; m < STEER_MAPS; m++) {
		if (!(steer->unpinned & (1U << m)) || steer->fd[m] < 0 ||
		    pin_path(path, sizeof(path), cfg->bpffs, m))
			continue;
		if (bpf_obj_pin(steer->fd[m], path)) {
			pr_warn("%s: pinning the running map again failed: %s\n", path,
				strerror(errno));
		} else {
			n++;
			crashpoint();
		}
	}
	if (steer->unpinned) {
		steer_unpinned(steer, names, sizeof(names));
		pr_warn("%s: pins were missing (%s); the running programs' maps are pinned again "
			"(%d)\n",
			cfg->bpffs, names, n);
	}
	steer_close(steer);
	return n;
}

/*
 * Before start touches anything: both interfaces exist, are distinct, and
 * carry no program of someone else where ours would go.
 */
static int preflight(const struct xs_config *cfg, const struct owner *owner, int ifindex[XS_DIRS])
{
	struct xdp_attached att;
	struct tc_attached tc;
	char who[PATH_MAX + 64];
	enum foreign kind;
	int dir, err;

	if (config_check_txqs(cfg) || config_check_roles(cfg))
		return -EINVAL;
	for (dir = 0; dir < XS_DIRS; dir++) {
		const char *ifname = config_ifname(cfg, dir);

		ifindex[dir] = if_nametoindex(ifname);
		if (!ifindex[dir]) {
			pr_err("[interfaces] %s = %s: no such interface in this network "
			       "namespace\n",
			       role_name(dir), ifname);
			return -ENODEV;
		}
		err = xdp_query(ifname, ifindex[dir], owner, &att);
		if (err)
			return err;
		if (att.id && !att.ours) {
			kind = foreign_owner(&att.prog, xdp_names, who, sizeof(who));
			pr_err("%s: XDP program '%s' (id %u, %s mode) is attached and is %s; %s "
			       "first (ip link set dev %s xdp off)\n",
			       ifname, att.prog.name, att.id, xdp_flag_name(att.mode_flag), who,
			       kind == FOREIGN_INSTANCE ? "stop that instance" : "detach it",
			       ifname);
			return -EBUSY;
		}
		tc_query(ifindex[dir], owner, &tc);
		if (tc.id && !tc.ours) {
			kind = foreign_owner(&tc.prog, tc_names, who, sizeof(who));
			pr_err("%s: TC egress filter handle 0x%x priority %u holds program '%s' "
			       "(id %u), %s; %s first (tc filter del dev %s egress pref %u)\n",
			       ifname, STEER_TC_HANDLE, STEER_TC_PRIORITY, tc.prog.name, tc.id, who,
			       kind == FOREIGN_INSTANCE ? "stop that instance" : "remove it",
			       ifname, STEER_TC_PRIORITY);
			return -EBUSY;
		}
	}
	return 0;
}

/* ---- attach and detach ------------------------------------------------- */

static int xdp_attach(const struct xs_config *cfg, int dir, int ifindex, const struct owner *owner,
		      int prog_fd)
{
	__u32 mode = xdp_mode_flag(cfg->xdp_mode);
	const char *ifname = config_ifname(cfg, dir);
	struct bpf_xdp_attach_opts opts = { .sz = sizeof(struct bpf_xdp_attach_opts) };
	struct xdp_attached att;
	int err, old_fd = -1;
	__u32 flags = mode;

	err = xdp_query(ifname, ifindex, owner, &att);
	if (err)
		return err;
	if (att.id && !att.ours) {
		pr_err("%s: XDP program '%s' (id %u) appeared while starting; not replacing it\n",
		       ifname, att.prog.name, att.id);
		return -EBUSY;
	}
	if (att.id) {
		old_fd = bpf_prog_get_fd_by_id(att.id);
		if (old_fd < 0) {
			/* gone meanwhile: attach as if nothing were there */
			att.id = 0;
		}
	}
	if (att.id && att.mode_flag != mode) {
		/* native and generic XDP cannot coexist: out with the old mode first */
		struct bpf_xdp_attach_opts dopts = { .sz = sizeof(struct bpf_xdp_attach_opts),
						     .old_prog_fd = old_fd };

		err = bpf_xdp_detach(ifindex, att.mode_flag | XDP_FLAGS_REPLACE, &dopts);
		if (err) {
			pr_err("%s: detaching xshaper's XDP program (%s mode) to attach in %s mode "
			       "failed: %s\n",
			       ifname, xdp_flag_name(att.mode_flag), xdp_flag_name(mode),
			       strerror(-err));
			goto out;
		}
		att.id = 0;
	}
	if (att.id) {
		/* ours, same mode: swap atomically, no packet unsteered */
		opts.old_prog_fd = old_fd;
		flags |= XDP_FLAGS_REPLACE;
	} else {
		flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
	}
	err = bpf_xdp_attach(ifindex, prog_fd, flags, &opts);
	if (err == -EOPNOTSUPP && mode == XDP_FLAGS_DRV_MODE)
		pr_err("%s: native XDP not supported by driver; set xdp_mode = skb\n", ifname);
	else if (err)
		pr_err("%s: attaching XDP program %s in %s mode failed: %s\n", ifname,
		       xdp_names[dir], xdp_mode_name(cfg->xdp_mode), strerror(-err));
	else
		pr_debug("%s: XDP program %s attached in %s mode%s\n", ifname, xdp_names[dir],
			 xdp_mode_name(cfg->xdp_mode), att.id ? " (replaced)" : "");
out:
	if (old_fd >= 0)
		close(old_fd);
	return err;
}

static int tc_attach(const struct xs_config *cfg, int dir, int ifindex, int prog_fd, bool *created)
{
	struct bpf_tc_opts opts = { .sz = sizeof(struct bpf_tc_opts),
				    .handle = STEER_TC_HANDLE,
				    .priority = STEER_TC_PRIORITY,
				    .prog_fd = prog_fd,
				    .flags = BPF_TC_F_REPLACE };
	const char *ifname = config_ifname(cfg, dir);
	struct bpf_tc_hook hook;
	int err;

	tc_hook_init(&hook, ifindex, BPF_TC_EGRESS);
	libbpf_quiet = true; /* -EEXIST is an answer */
	err = bpf_tc_hook_create(&hook);
	libbpf_quiet = false;
	*created = err == 0;
	if (err && err != -EEXIST) {
		pr_err("%s: creating the clsact qdisc failed: %s\n", ifname, strerror(-err));
		return err;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		pr_err("%s: attaching TC egress program %s failed: %s\n", ifname, tc_names[dir],
		       strerror(-err));
	return err;
}

/* Detach our XDP program from ifindex, whatever mode it is in. */
static int xdp_detach_ours(const char *ifname, int ifindex, const struct owner *owner)
{
	struct xdp_attached att;
	int err, fd;

	err = xdp_query(ifname, ifindex, owner, &att);
	if (err || !att.id)
		return err;
	if (!att.ours) {
		pr_info("%s: XDP program '%s' (id %u) is not this xshaper's; left attached\n",
			ifname, att.prog.name, att.id);
		return 0;
	}
	fd = bpf_prog_get_fd_by_id(att.id);
	if (fd < 0)
		return 0; /* detached meanwhile */
	struct bpf_xdp_attach_opts opts = { .sz = sizeof(struct bpf_xdp_attach_opts),
					    .old_prog_fd = fd };
	err = bpf_xdp_detach(ifindex, att.mode_flag | XDP_FLAGS_REPLACE, &opts);
	close(fd);
	if (err && err != -EEXIST) /* -EEXIST: replaced meanwhile, not ours now */
		pr_err("%s: detaching XDP program %s failed: %s\n", ifname, att.prog.name,
		       strerror(-err));
	return err == -EEXIST ? 0 : err;
}

static int tc_detach_ours(const char *ifname, int ifindex, const struct owner *owner,
			  bool destroy_clsact)
{
	struct bpf_tc_opts opts = { .sz = sizeof(struct bpf_tc_opts),
				    .handle = STEER_TC_HANDLE,
				    .priority = STEER_TC_PRIORITY };
	struct bpf_tc_hook hook;
	struct tc_attached tc;
	int err = 0;

	tc_query(ifindex, owner, &tc);
	tc_hook_init(&hook, ifindex, BPF_TC_EGRESS);
	if (tc.id && tc.ours) {
		err = bpf_tc_detach(&hook, &opts);
		if (err && err != -ENOENT) {
			pr_err("%s: detaching TC egress program failed: %s\n", ifname,
			       strerror(-err));
			return err;
		}
	} else if (tc.id) {
		pr_info("%s: TC egress program '%s' (id %u) is not this xshaper's; left "
			"attached\n",
			ifname, tc.prog.name, tc.id);
		return 0;
	}
	if (destroy_clsact) {
		/* both points together name the clsact qdisc itself */
		tc_hook_init(&hook, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
		err = bpf_tc_hook_destroy(&hook);
		if (err && err != -ENOENT && err != -EINVAL)
			pr_warn("%s: removing the clsact qdisc xshaper created failed: %s\n",
				ifname, strerror(-err));
	}
	return 0;
}

/* ---- settings ----------------------------------------------------------- */

static int settings_read(struct steer *steer, struct xs_settings *s)
{
	__u32 zero = 0;
	int err = bpf_map_lookup_elem(steer->fd[MAP_SETTINGS], &zero, s) ? -errno : 0;

	if (err)
		pr_err("reading xs_settings failed: %s\n", strerror(-err));
	return err;
}

static int settings_write(struct steer *steer, const struct xs_settings *s)
{
	__u32 zero = 0;
	int err = bpf_map_update_elem(steer->fd[MAP_SETTINGS], &zero, s, BPF_EXIST) ? -errno : 0;

	if (err)
		pr_err("writing xs_settings failed: %s\n", strerror(-err));
	return err;
}

int steer_set_cpus(struct steer *steer, const struct xs_config *cfg)
{
	struct bpf_cpumap_val val, cur;
	struct xs_cpu_queues q;
	struct xs_tbl_head *h;
	struct xs_settings s;
	bool configured;
	__u32 cpu, i, txq;
	int err;

	if (config_check_txqs(cfg))
		return -EINVAL;
	for (i = 0; i < cfg->ncpus; i++) {
		cpu = cfg->cpus[i];
		if (cpu >= steer->possible_cpus) {
			pr_err("[cpus] list: CPU %u does not exist (possible: 0-%u)\n", cpu,
			       steer->possible_cpus - 1);
			return -EINVAL;
		}
		/* rewriting an entry rebuilds its queue: only when it changes */
		if (bpf_map_lookup_elem(steer->fd[MAP_CPUMAP], &cpu, &cur) == 0 &&
		    cur.qsize == cfg->queue_size)
			continue;
		memset(&val, 0, sizeof(val));
		val.qsize = cfg->queue_size;
		if (bpf_map_update_elem(steer->fd[MAP_CPUMAP], &cpu, &val, BPF_ANY)) {
			err = -errno;
			pr_err("cpumap: adding CPU %u with queue_size %u failed: %s%s\n", cpu,
			       cfg->queue_size, strerror(-err),
			       err == -ENODEV ? " (CPU offline?)" : "");
			return err;
		}
	}

	/* TX queues of each CPU, for unknown traffic; CPUs not listed own none */
	for (cpu = 0; cpu < XS_MAX_CPUS; cpu++) {
		configured = false;
		memset(&q, 0, sizeof(q));
		for (i = 0; i < cfg->ncpus; i++) {
			if (cfg->cpus[i] == cpu) {
				config_cpu_txqs(cfg, i, &q.txq_first, &q.txq_count);
				configured = true;
			}
		}
		if (!configured && cpu >= steer->possible_cpus)
			continue;
		if (bpf_map_update_elem(steer->fd[MAP_CPU_QUEUES], &cpu, &q, BPF_ANY)) {
			err = -errno;
			pr_err("xs_cpu_queues: writing CPU %u failed: %s\n", cpu, strerror(-err));
			return err;
		}
	}

	err = settings_read(steer, &s);
	if (err)
		return err;
	s.unknown = cfg->unknown;
	s.monitor = cfg->monitor_rtt ? XS_MONITOR_RTT : 0;
	memset(s.cpus, 0, sizeof(s.cpus));
	for (i = 0; i < cfg->ncpus; i++)
		s.cpus[i] = cfg->cpus[i];
	s.ncpus = cfg->ncpus;
	err = settings_write(steer, &s);
	if (err)
		return err;

	/*
	 * The owner of each TX queue, in the head of the table. Queues no CPU
	 * owns now keep their last owner: a prefix may point at such a
	 * queue's class until this run's sync moves it.
	 */
	err = steer_table_map(steer);
	if (err)
		return err;
	h = (struct xs_tbl_head *)steer->table;
	for (txq = 0; txq < config_txqs(cfg); txq++)
		__atomic_store_n(&h->txq_cpu[txq], (__u16)config_txq_cpu(cfg, txq),
				 __ATOMIC_RELAXED);
	return 0;
}

/* ---- start and stop ----------------------------------------------------- */

int steer_state_get(struct steer *steer, struct xs_state *state)
{
	struct statefile sf;
	__u32 zero = 0;
	int err;

	if (steer->fd[MAP_STATE] < 0) {
		/* its pin is gone: the state file has the same */
		memset(state, 0, sizeof(*state));
		if (statefile_read(steer->bpffs, &sf) == 0)
			*state = sf.state;
		statefile_free(&sf);
		return 0;
	}
	if (bpf_map_lookup_elem(steer->fd[MAP_STATE], &zero, state)) {
		err = -errno;
		pr_err("reading xs_state failed: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/* Mirror the pinned state into the state file; a failure is warned about only. */
static void statefile_sync(struct steer *steer, const struct xs_state *state)
{
	struct statefile sf = {};

	if (!steer->bpffs[0])
		return; /* loaded for a test, nothing pinned */
	if (steer->fd[MAP_XPS] < 0) {
		/* the pin is gone: the masks the file has are all there is */
		if (statefile_read(steer->bpffs, &sf))
			memset(&sf, 0, sizeof(sf));
	} else if (xps_saved(steer->fd[MAP_XPS], &sf.xps, &sf.nxps)) {
		return;
	}
	snprintf(sf.bpffs, sizeof(sf.bpffs), "%s", steer->bpffs);
	sf.map_id = map_id_of(steer->fd[MAP_STATS]);
	sf.state = *state;
	statefile_write(&sf);
	statefile_free(&sf);
}

int steer_state_put(struct steer *steer, const struct xs_state *state)
{
	struct xs_state s = *state;
	__u32 zero = 0;
	int err;

	/* an older version's stays until steer_start has replaced its programs */
	if (!s.version)
		s.version = XS_STATE_VERSION;
	if (steer->fd[MAP_STATE] >= 0 &&
	    bpf_map_update_elem(steer->fd[MAP_STATE], &zero, &s, BPF_EXIST)) {
		err = -errno;
		pr_err("writing xs_state failed: %s\n", strerror(-err));
		return err;
	}
	statefile_sync(steer, &s);
	return 0;
}

/*
 * New pins while the state file still describes a running instance: the
 * pinned maps were lost (bpffs removed or remounted) and the programs of
 * the old maps may still be attached. What stop must restore comes from
 * the file, not from the interfaces as they are now (our mq, XPS off).
 */
static void recover_state(struct steer *steer, const struct xs_config *cfg, struct xs_state *state)
{
	char path[PATH_MAX];
	struct statefile sf;
	size_t i;

	if (statefile_read(cfg->bpffs, &sf))
		return;
	statefile_path(cfg->bpffs, path, sizeof(path));
	pr_warn("%s: the pinned state was gone; xshaper was started (state file %s): keeping "
		"its record of the interfaces (wan %s root %s, lan %s root %s) and %zu XPS "
		"masks for stop\n",
		cfg->bpffs, path, sf.state.wan_if[0] ? sf.state.wan_if : "-",
		sf.state.wan_qdisc[0] ? sf.state.wan_qdisc : "-",
		sf.state.lan_if[0] ? sf.state.lan_if : "-",
		sf.state.lan_qdisc[0] ? sf.state.lan_qdisc : "-", sf.nxps);
	*state = sf.state;
	state->last_reload.time = 0;
	for (i = 0; i < sf.nxps; i++)
		bpf_map_update_elem(steer->fd[MAP_XPS], &sf.xps[i].key, &sf.xps[i].masks,
				    BPF_NOEXIST);
	statefile_free(&sf);
}

int steer_start(const struct xs_config *cfg, size_t ncustomers, struct steer **out)
{
	struct bpf_program *xdp[XS_DIRS], *tc[XS_DIRS];
	int ifindex[XS_DIRS], dir, err;
	struct owner owner = instance_owner(cfg);
	char path[PATH_MAX];
	struct steer *steer;
	struct xs_state state;
	bool fresh, created;

	steer_log_setup();
	*out = NULL;
	err = preflight(cfg, &owner, ifindex);
	if (err)
		return err;
	err = bpffs_prepare(cfg->bpffs);
	if (err)
		return err;
	err = pin_path(path, sizeof(path), cfg->bpffs, MAP_STATS);
	if (err)
		return err;
	/* nothing of this instance anywhere: a failure undoes it all */
	fresh = access(path, F_OK) != 0 && !owner.id[1];
	repin(cfg);

	steer = steer_alloc();
	if (!steer)
		return -ENOMEM;
	snprintf(steer->bpffs, sizeof(steer->bpffs), "%s", cfg->bpffs);
	err = skel_load(steer, XS_MAX_PREFIXES,
			cfg->lookup_chunks ? cfg->lookup_chunks : XS_TBL_DEFAULT_CHUNKS,
			steer_flows_per_cpu(cfg, ncustomers), cfg->bpffs);
	if (err)
		goto fail;
	pr_debug("%s BPF maps under %s\n", fresh ? "pinned" : "reusing", cfg->bpffs);

	err = steer_state_get(steer, &state);
	if (err)
		goto fail;
	if (!state.version)
		recover_state(steer, cfg, &state);
	if (!state.version) {
		state.version = XS_STATE_VERSION;
		state.started = (__u64)time(NULL);
	}
	err = steer_set_cpus(steer, cfg);
	if (err)
		goto fail;
	/* the state file names the maps before any program uses them */
	err = steer_state_put(steer, &state);
	if (err)
		goto fail;
	crashpoint();

	xdp[XS_WAN] = steer->skel->progs.xs_xdp_wan;
	xdp[XS_LAN] = steer->skel->progs.xs_xdp_lan;
	tc[XS_WAN] = steer->skel->progs.xs_tc_wan;
	tc[XS_LAN] = steer->skel->progs.xs_tc_lan;
	/* TC first: XDP steers to a CPU, TC makes it land in that CPU's tree */
	for (dir = 0; dir < XS_DIRS; dir++) {
		err = tc_attach(cfg, dir, ifindex[dir], bpf_program__fd(tc[dir]), &created);
		if (created)
			state.flags |= STEER_STATE_CLSACT(dir);
		if (err)
			goto fail_state;
		crashpoint();
	}
	for (dir = 0; dir < XS_DIRS; dir++) {
		err = xps_clear(steer->fd[MAP_XPS], config_ifname(cfg, dir));
		if (err)
			goto fail_state;
		crashpoint();
	}
	for (dir = 0; dir < XS_DIRS; dir++) {
		err = xdp_attach(cfg, dir, ifindex[dir], &owner, bpf_program__fd(xdp[dir]));
		if (err)
			goto fail_state;
		crashpoint();
	}
	/* this version's programs are attached, TC and XDP on both */
	state.version = XS_STATE_VERSION;
	err = steer_state_put(steer, &state);
	if (err)
		goto fail;
	pr_info("steering on %s (wan) and %s (lan): XDP %s mode, %u CPU(s), unknown = %s\n",
		cfg->wan, cfg->lan, xdp_mode_name(cfg->xdp_mode), cfg->ncpus,
		unknown_policy_name(cfg->unknown));
	*out = steer;
	return 0;

fail_state:
	/* whatever else failed, remember which clsact qdiscs are ours */
	steer_state_put(steer, &state);
fail:
	steer_close(steer);
	if (fresh) {
		pr_info("undoing the partial start\n");
		steer_stop(cfg);
	} else {
		pr_info("the previous xshaper state under %s is left in place\n", cfg->bpffs);
	}
	return err;
}

/*
 * What stop and release work from: the pinned state and XPS map, or, when
 * the pins are gone, the state file. *from_file says which.
 */
struct saved {
	struct xs_state state;
	struct owner owner;
	int state_fd, xps_fd; /* pinned; -1 when missing */
	struct statefile file; /* when the pins are gone */
	bool from_file;
};

static void saved_open(const struct xs_config *cfg, struct saved *sv)
{
	char path[PATH_MAX];
	__u32 zero = 0;

	memset(sv, 0, sizeof(*sv));
	sv->state_fd = sv->xps_fd = -1;
	if (pin_path(path, sizeof(path), cfg->bpffs, MAP_STATE) == 0) {
		sv->state_fd = bpf_obj_get(path);
		if (sv->state_fd >= 0 && bpf_map_lookup_elem(sv->state_fd, &zero, &sv->state))
			memset(&sv->state, 0, sizeof(sv->state));
	}
	if (pin_path(path, sizeof(path), cfg->bpffs, MAP_XPS) == 0)
		sv->xps_fd = bpf_obj_get(path);
	sv->owner = instance_owner(cfg);
	if (sv->state.version || statefile_read(cfg->bpffs, &sv->file))
		return;
	sv->from_file = true;
	sv->state = sv->file.state;
}

static void saved_close(struct saved *sv)
{
	if (sv->state_fd >= 0)
		close(sv->state_fd);
	if (sv->xps_fd >= 0)
		close(sv->xps_fd);
	statefile_free(&sv->file);
}

int steer_saved_state(const struct xs_config *cfg, struct xs_state *state, bool *from_file)
{
	struct saved sv;

	steer_log_setup();
	saved_open(cfg, &sv);
	*state = sv.state;
	*from_file = sv.from_file;
	saved_close(&sv);
	return state->version ? 0 : -ENOENT;
}

/* Take xshaper's programs, clsact and XPS setting off one interface. */
static int release_iface(const char *ifname, int dir, const struct saved *sv)
{
	int ifindex, err, ret = 0;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		pr_info("%s: no such interface; nothing to detach there\n", ifname);
		return 0;
	}
	err = xdp_detach_ours(ifname, ifindex, &sv->owner);
	if (err && !ret)
		ret = err;
	err = tc_detach_ours(ifname, ifindex, &sv->owner,
			     sv->state.flags & STEER_STATE_CLSACT(dir));
	if (err && !ret)
		ret = err;
	if (sv->from_file)
		xps_restore_saved(ifname, sv->file.xps, sv->file.nxps);
	else if (sv->xps_fd >= 0)
		xps_restore(sv->xps_fd, ifname);
	return ret;
}

int steer_release(const struct xs_config *cfg, enum xs_dir dir, const char *ifname)
{
	__u32 zero = 0, flag = STEER_STATE_CLSACT(dir);
	struct saved sv;
	int err;

	steer_log_setup();
	saved_open(cfg, &sv);
	err = release_iface(ifname, dir, &sv);
	if (!err && sv.state_fd >= 0 && sv.state.version && (sv.state.flags & flag)) {
		sv.state.flags &= ~flag;
		bpf_map_update_elem(sv.state_fd, &zero, &sv.state, BPF_EXIST);
	}
	saved_close(&sv);
	return err;
}

int steer_stop(const struct xs_config *cfg)
{
	int dir, m, err, ret = 0;
	char path[PATH_MAX];
	struct saved sv;

	steer_log_setup();
	saved_open(cfg, &sv);
	for (dir = 0; dir < XS_DIRS; dir++) {
		err = release_iface(config_ifname(cfg, dir), dir, &sv);
		if (err && !ret)
			ret = err;
	}
	saved_close(&sv);

	for (m = 0; m < STEER_MAPS; m++) {
		if (pin_path(path, sizeof(path), cfg->bpffs, m))
			break;
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			pr_err("%s: unpinning failed: %s\n", path, strerror(-err));
			if (!ret)
				ret = err;
		}
	}
	if (rmdir(cfg->bpffs) && errno != ENOENT) {
		err = -errno;
		if (err == -ENOTEMPTY)
			pr_warn("%s: holds files that are not xshaper's; directory left in place\n",
				cfg->bpffs);
		else if (!ret)
			ret = err;
	}
	/* last: a stop that failed before here still finds it next time */
	if (!ret)
		statefile_remove(cfg->bpffs);
	return ret;
}

/* ---- counters ----------------------------------------------------------- */

static const char *const xdp_stat_names[XS_XDP_STATS] = {
	[XS_XDP_HIT] = "hit",
	[XS_XDP_MISS] = "miss",
	[XS_XDP_NON_IP] = "non_ip",
	[XS_XDP_MALFORMED] = "malformed",
	[XS_XDP_REDIRECT] = "redirect",
	[XS_XDP_LOCAL] = "local",
	[XS_XDP_REDIRECT_FAIL] = "redirect_fail",
	[XS_XDP_UNKNOWN_PASS] = "unknown_pass",
	[XS_XDP_TRIE] = "trie",
	[XS_XDP_GAVE_UP] = "gave_up",
	[XS_XDP_PPPOE] = "pppoe",
	[XS_XDP_MPLS] = "mpls",
};

static const char *const tc_stat_names[XS_TC_STATS] = {
	[XS_TC_CUSTOMER] = "customer",
	[XS_TC_DEFAULT] = "default",
	[XS_TC_UNCLASSIFIED] = "unclassified",
	[XS_TC_TRIE] = "trie",
};

const char *steer_xdp_stat_name(enum xs_xdp_stat stat)
{
	return stat < XS_XDP_STATS ? xdp_stat_names[stat] : "?";
}

const char *steer_tc_stat_name(enum xs_tc_stat stat)
{
	return stat < XS_TC_STATS ? tc_stat_names[stat] : "?";
}

/* The counters as reported, from what the programs count. */
static void stats_of(const struct xs_counters *c, struct xs_stats *s)
{
	const __u64 *x;
	__u64 *v;
	int d;

	memset(s, 0, sizeof(*s));
	for (d = 0; d < XS_DIRS; d++) {
		x = c->xdp[d];
		v = s->xdp[d];
		v[XS_XDP_HIT] = x[XS_XC_HIT_REDIRECT] + x[XS_XC_HIT_LOCAL] + x[XS_XC_HIT_FAIL];
		v[XS_XDP_MISS] = x[XS_XC_MISS_REDIRECT] + x[XS_XC_MISS_LOCAL] + x[XS_XC_MISS_FAIL] +
				 x[XS_XC_MISS_PASS];
		v[XS_XDP_NON_IP] = x[XS_XC_NON_IP];
		v[XS_XDP_MALFORMED] = x[XS_XC_MALFORMED];
		v[XS_XDP_REDIRECT] = x[XS_XC_HIT_REDIRECT] + x[XS_XC_MISS_REDIRECT];
		v[XS_XDP_LOCAL] = x[XS_XC_HIT_LOCAL] + x[XS_XC_MISS_LOCAL];
		v[XS_XDP_REDIRECT_FAIL] = x[XS_XC_HIT_FAIL] + x[XS_XC_MISS_FAIL];
		v[XS_XDP_UNKNOWN_PASS] = x[XS_XC_MISS_PASS];
		v[XS_XDP_TRIE] = x[XS_XC_TRIE];
		v[XS_XDP_GAVE_UP] = x[XS_XC_GAVE_UP];
		v[XS_XDP_PPPOE] = x[XS_XC_PPPOE];
		v[XS_XDP_MPLS] = x[XS_XC_MPLS];
		memcpy(s->tc[d], c->tc[d], sizeof(s->tc[d]));
	}
}

int steer_read_stats(struct steer *steer, struct xs_stats **per_cpu, unsigned int *ncpus,
		     struct xs_stats *total)
{
	struct xs_counters *raw;
	struct xs_stats *v;
	unsigned int cpu, d, i;
	__u32 zero = 0;

	/* per-CPU values come 8-byte aligned; xs_counters is all __u64 */
	raw = calloc(steer->possible_cpus, sizeof(*raw));
	v = calloc(steer->possible_cpus, sizeof(*v));
	if (!raw || !v) {
		free(raw);
		free(v);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(steer->fd[MAP_STATS], &zero, raw)) {
		int err = -errno;

		pr_err("reading xs_stats failed: %s\n", strerror(-err));
		free(raw);
		free(v);
		return err;
	}
	for (cpu = 0; cpu < steer->possible_cpus; cpu++)
		stats_of(&raw[cpu], &v[cpu]);
	free(raw);
	if (total) {
		memset(total, 0, sizeof(*total));
		for (cpu = 0; cpu < steer->possible_cpus; cpu++) {
			for (d = 0; d < XS_DIRS; d++) {
				for (i = 0; i < XS_XDP_STATS; i++)
					total->xdp[d][i] += v[cpu].xdp[d][i];
				for (i = 0; i < XS_TC_STATS; i++)
					total->tc[d][i] += v[cpu].tc[d][i];
			}
		}
	}
	if (ncpus)
		*ncpus = steer->possible_cpus;
	if (per_cpu)
		*per_cpu = v;
	else
		free(v);
	return 0;
}

/* ---- is the data path what start left? --------------------------------- */

int steer_verify(struct steer *steer, const struct xs_config *cfg, struct problems *p)
{
	struct owner owner = { .id = { map_id_of(steer->fd[MAP_STATS]) } };
	__u32 mode = xdp_mode_flag(cfg->xdp_mode);
	char who[PATH_MAX + 64], names[256];
	struct bpf_cpumap_val val;
	struct xdp_attached att;
	struct xs_xps_masks masks;
	struct xs_settings s;
	struct tc_attached tc;
	struct xs_state st;
	int dir, ifindex, txq, err;
	unsigned int i;

	steer_log_setup();
	err = steer_state_get(steer, &st);
	if (err)
		return err;
	if (st.version && st.version < XS_STATE_VERSION)
		problem_add(p, true,
			    "%s: the programs attached are xshaper 0.1.0's: they would put this "
			    "version's customers into the default class",
			    steer->bpffs);
	if (steer_unpinned(steer, names, sizeof(names)))
		problem_add(p, true,
			    "%s: pins missing (%s) while the programs run: no command finds those "
			    "maps",
			    steer->bpffs, names);
	for (dir = 0; dir < XS_DIRS; dir++) {
		const char *ifname = config_ifname(cfg, dir);

		ifindex = if_nametoindex(ifname);
		if (!ifindex) {
			problem_add(p, false, "[interfaces] %s = %s: no such interface",
				    role_name(dir), ifname);
			continue;
		}
		err = xdp_query(ifname, ifindex, &owner, &att);
		if (err)
			return err;
		if (!att.id) {
			problem_add(p, true,
				    "%s: no XDP program: its customers are not steered to their "
				    "CPUs",
				    ifname);
		} else if (!att.ours) {
			foreign_owner(&att.prog, xdp_names, who, sizeof(who));
			problem_add(p, false,
				    "%s: XDP program '%s' (id %u) is %s, not this xshaper's: "
				    "detach it (ip link set dev %s xdp off), then reload",
				    ifname, att.prog.name, att.id, who, ifname);
		} else if (att.mode_flag != mode) {
			problem_add(p, true, "%s: XDP program in %s mode, the config says %s",
				    ifname, xdp_flag_name(att.mode_flag),
				    xdp_mode_name(cfg->xdp_mode));
		}
		tc_query(ifindex, &owner, &tc);
		if (!tc.id) {
			problem_add(p, true,
				    "%s: no TC egress program: its customers fall into the default "
				    "class, unshaped",
				    ifname);
		} else if (!tc.ours) {
			foreign_owner(&tc.prog, tc_names, who, sizeof(who));
			problem_add(
				p, false,
				"%s: TC egress filter pref %u holds '%s' (id %u), %s: remove it "
				"(tc filter del dev %s egress pref %u), then reload",
				ifname, STEER_TC_PRIORITY, tc.prog.name, tc.id, who, ifname,
				STEER_TC_PRIORITY);
		}
		err = xps_check(ifname, &txq, &masks);
		if (err) {
			pr_err("%s: reading the XPS masks failed: %s\n", ifname, strerror(-err));
			return err;
		}
		if (txq >= 0)
			problem_add(
				p, true,
				"%s: XPS is on (TX queue %d: xps_cpus %s, xps_rxqs %s): packets "
				"may leave through another CPU's tree",
				ifname, txq, masks.cpus[0] ? masks.cpus : "-",
				masks.rxqs[0] ? masks.rxqs : "-");
	}
	/* the CPUs the last run set up; a changed [cpus] is no problem but a change */
	err = settings_read(steer, &s);
	if (err)
		return err;
	for (i = 0; i < s.ncpus && i < XS_MAX_CPUS; i++) {
		__u32 cpu = s.cpus[i];

		if (cpu < steer->possible_cpus &&
		    bpf_map_lookup_elem(steer->fd[MAP_CPUMAP], &cpu, &val))
			problem_add(p, true,
				    "cpumap: no entry for CPU %u: its customers' packets stay on "
				    "the CPU they arrive on",
				    cpu);
	}
	return 0;
}
