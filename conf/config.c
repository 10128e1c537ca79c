// SPDX-License-Identifier: GPL-2.0-only
/*
 * The INI file. iniparser reads it; this file checks every key against a
 * table, reports every bad value at once (an operator fixing a config should
 * not have to run check once per typo), and fills struct xs_config.
 *
 * iniparser keeps no line numbers, so the file is also scanned here, cheaply,
 * for where each key was set; messages then read FILE:LINE like a compiler's.
 */
#include <errno.h>
#include <fcntl.h>
#include <iniparser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/config.h"
#include "conf/input.h"
#include "conf/rate.h"

#define CPU_ONLINE_PATH "/sys/devices/system/cpu/online"

/*
 * queue_size is the cpumap ring of each CPU (frames waiting for that CPU's
 * stack). The kernel refuses more than 16384; below 8 the ring overflows on
 * the smallest burst a NIC delivers per NAPI poll.
 */
#define QUEUE_SIZE_MIN	 8
#define QUEUE_SIZE_MAX	 16384
#define LOCK_TIMEOUT_MAX 86400
/* lookup_memory, in MiB: the verifier bounds offsets into one map value */
#define LOOKUP_MEMORY_MIN_MIB 1
#define LOOKUP_MEMORY_MAX_MIB 256
#define LOOKUP_MEMORY_MIN     ((unsigned long long)LOOKUP_MEMORY_MIN_MIB << 20)
#define LOOKUP_MEMORY_MAX     ((unsigned long long)LOOKUP_MEMORY_MAX_MIB << 20)
/* The longest interface name, as the kernel's dev_valid_name() takes it. */
#define IFNAME_MAX 15
_Static_assert(IFNAME_MAX == IF_NAMESIZE - 1, "IFNAME_MAX is IF_NAMESIZE without the NUL");
/* iniparser's ASCIILINESZ, which its headers do not export */
#define INIPARSER_LINE_MAX 1024
/* A config is a few dozen lines; anything this large is the wrong file. */
#define INI_MAX_SIZE (1024 * 1024)

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

const struct enum_val xdp_modes[] = {
	{ "native", XDP_MODE_NATIVE },
	{ "skb", XDP_MODE_SKB },
	{},
};

const struct enum_val leaf_qdiscs[] = {
	{ "fq_codel", LEAF_FQ_CODEL },
	{ "sfq", LEAF_SFQ },
	{ "pfifo", LEAF_PFIFO },
	{},
};

const struct enum_val unknown_policies[] = {
	{ "shape", XS_UNKNOWN_SHAPE },
	{ "pass", XS_UNKNOWN_PASS },
	{},
};

const struct enum_val customers_formats[] = {
	{ "auto", CUSTOMERS_AUTO },
	{ "xshaper", CUSTOMERS_XSHAPER },
	{ "libreqos", CUSTOMERS_LIBREQOS },
	{},
};

const struct enum_val on_off[] = {
	{ "on", 1 },
	{ "off", 0 },
	{},
};

const struct enum_val role_names[] = {
	{ "wan", XS_WAN },
	{ "lan", XS_LAN },
	{},
};

const struct enum_val role_directions[] = {
	{ "up", XS_WAN },
	{ "down", XS_LAN },
	{},
};

const char *xdp_mode_name(enum xdp_mode mode)
{
	return enum_name(xdp_modes, mode);
}

const char *leaf_qdisc_name(enum leaf_qdisc leaf)
{
	return enum_name(leaf_qdiscs, leaf);
}

const char *unknown_policy_name(enum xs_unknown unknown)
{
	return enum_name(unknown_policies, unknown);
}

const char *customers_format_name(enum customers_format format)
{
	return enum_name(customers_formats, format);
}

const char *role_name(enum xs_dir dir)
{
	return enum_name(role_names, dir);
}

const char *role_direction(enum xs_dir dir)
{
	return enum_name(role_directions, dir);
}

const enum xs_dir shaping_order[XS_DIRS] = { XS_LAN, XS_WAN };

static char *ifname_of(struct xs_config *cfg, enum xs_dir dir)
{
	return dir == XS_WAN ? cfg->wan : cfg->lan;
}

const char *config_ifname(const struct xs_config *cfg, enum xs_dir dir)
{
	return ifname_of((struct xs_config *)cfg, dir);
}

void config_set_ifname(struct xs_config *cfg, enum xs_dir dir, const char *ifname)
{
	copy_str(ifname_of(cfg, dir), IF_NAMESIZE, ifname);
}

uint64_t config_capacity(const struct xs_config *cfg, enum xs_dir dir)
{
	return dir == XS_WAN ? cfg->wan_capacity : cfg->lan_capacity;
}

void config_resolve_queues(struct xs_config *cfg, unsigned int txqs)
{
	unsigned int q = cfg->ncpus ? txqs / cfg->ncpus : 1;

	if (!cfg->queues_auto)
		return;
	if (q < 1)
		q = 1;
	if (q > XS_AUTO_QUEUES_MAX)
		q = XS_AUTO_QUEUES_MAX;
	cfg->queues_per_cpu = q;
}

unsigned int config_txqs(const struct xs_config *cfg)
{
	return cfg->ncpus * cfg->queues_per_cpu;
}

unsigned int config_spares(const struct xs_config *cfg, size_t ncustomers)
{
	uint64_t n;

	if (!ncustomers)
		return 0;
	if (!cfg->spare_classes_percent)
		return cfg->spare_classes;
	n = ((uint64_t)ncustomers * cfg->spare_classes + 99) / 100;
	return n > XS_MINORS_PER_TREE ? XS_MINORS_PER_TREE : (unsigned int)n;
}

unsigned int config_txq_cpu_index(const struct xs_config *cfg, unsigned int txq)
{
	return txq / cfg->queues_per_cpu;
}

unsigned int config_txq_cpu(const struct xs_config *cfg, unsigned int txq)
{
	return cfg->cpus[config_txq_cpu_index(cfg, txq)];
}

void config_cpu_txqs(const struct xs_config *cfg, unsigned int i, unsigned int *first,
		     unsigned int *count)
{
	*first = i * cfg->queues_per_cpu;
	*count = cfg->queues_per_cpu;
}

/* Why the CPUs and queues do not make 1..XS_MAX_TXQS TX queues; 0 when they do. */
static int txqs_broken(const struct xs_config *cfg, char *why, size_t len)
{
	uint64_t txqs = (uint64_t)cfg->ncpus * cfg->queues_per_cpu;

	if (!cfg->ncpus || cfg->ncpus > XS_MAX_CPUS)
		snprintf(why, len, "%u CPUs; 1 to %d can be used", cfg->ncpus, XS_MAX_CPUS);
	else if (!cfg->queues_per_cpu)
		snprintf(why, len, "0 queues per CPU");
	else if (txqs > XS_MAX_TXQS)
		snprintf(why, len, "%u CPUs x %u queues is %llu TX queues, more than %d",
			 cfg->ncpus, cfg->queues_per_cpu, (unsigned long long)txqs, XS_MAX_TXQS);
	else
		return 0;
	return -EINVAL;
}

int config_check_txqs(const struct xs_config *cfg)
{
	char why[128];

	if (!txqs_broken(cfg, why, sizeof(why)))
		return 0;
	pr_err("[cpus] list and queues_per_cpu: %s; at most %d TX queues in all\n", why,
	       XS_MAX_TXQS);
	return -EINVAL;
}

static bool roles_distinct(const struct xs_config *cfg)
{
	return strcmp(cfg->wan, cfg->lan) != 0;
}

int config_check_roles(const struct xs_config *cfg)
{
	if (roles_distinct(cfg))
		return 0;
	pr_err("[interfaces] wan and lan are both '%s'; they must be two interfaces\n", cfg->wan);
	return -EINVAL;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static int parse_cpu(const char **pp, unsigned int *cpu, bool clip, const char **why)
{
	const char *p = *pp;
	unsigned long v = 0;

	if (*p < '0' || *p > '9') {
		*why = *p ? "expected a CPU number" : "empty";
		return -EINVAL;
	}
	while (*p >= '0' && *p <= '9') {
		if (v <= 1000000)
			v = v * 10 + (unsigned long)(*p - '0');
		p++;
	}
	if (v >= XS_MAX_CPUS && !clip) {
		*why = "CPU numbers must be below 256";
		return -EINVAL;
	}
	*cpu = v >= XS_MAX_CPUS ? XS_MAX_CPUS : (unsigned int)v;
	*pp = p;
	return 0;
}

/*
 * clip: ignore CPUs >= XS_MAX_CPUS instead of failing, for the kernel's own
 * list of online CPUs on machines larger than the maps.
 */
static int cpulist_parse_reason(const char *s, unsigned int *cpus, unsigned int max, bool clip,
				unsigned int *count, const char **why)
{
	uint64_t set[XS_MAX_CPUS / 64] = { 0 };
	const char *p = skip_space(s);
	unsigned int lo, hi, c, n = 0;

	if (!*p) {
		*why = "empty";
		return -EINVAL;
	}
	for (;;) {
		if (parse_cpu(&p, &lo, clip, why))
			return -EINVAL;
		hi = lo;
		p = skip_space(p);
		if (*p == '-') {
			p = skip_space(p + 1);
			if (parse_cpu(&p, &hi, clip, why))
				return -EINVAL;
			if (hi < lo) {
				*why = "a range goes backwards";
				return -EINVAL;
			}
			p = skip_space(p);
		}
		for (c = lo; c <= hi && c < XS_MAX_CPUS; c++)
			set[c / 64] |= 1ULL << (c % 64);
		if (!*p)
			break;
		if (*p != ',') {
			*why = "expected ',' or '-' between CPU numbers";
			return -EINVAL;
		}
		p = skip_space(p + 1);
	}
	for (c = 0; c < XS_MAX_CPUS; c++) {
		if (!(set[c / 64] & (1ULL << (c % 64))))
			continue;
		if (n == max) {
			*why = "too many CPUs";
			return -EINVAL;
		}
		cpus[n++] = c;
	}
	if (!n) {
		*why = "no CPU below 256";
		return -EINVAL;
	}
	*count = n;
	return 0;
}

int cpulist_parse(const char *s, unsigned int *cpus, unsigned int max, unsigned int *n)
{
	const char *why;

	if (!s)
		return -EINVAL;
	return cpulist_parse_reason(s, cpus, max, false, n, &why);
}

unsigned int cpus_online(unsigned int *cpus, unsigned int max)
{
	char buf[4096];
	const char *why;
	ssize_t len = -1;
	unsigned int count;
	long n, i;
	int fd;

	fd = open(CPU_ONLINE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (len > 0) {
		buf[len] = '\0';
		if (!cpulist_parse_reason(buf, cpus, max, true, &count, &why))
			return count;
	}
	/* no sysfs (a container without it): assume CPUs 0..n-1 */
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	for (i = 0; i < n && i < (long)max && i < XS_MAX_CPUS; i++)
		cpus[i] = (unsigned int)i;
	return (unsigned int)i;
}

/* "0-3,6" from an ascending list, for messages */
static void cpulist_format(const unsigned int *cpus, unsigned int n, char *buf, size_t len)
{
	unsigned int i = 0, j;
	size_t off = 0;

	buf[0] = '\0';
	while (i < n && off < len) {
		j = i;
		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		if (j == i)
			off += (size_t)snprintf(buf + off, len - off, "%s%u", off ? "," : "",
						cpus[i]);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%u-%u", off ? "," : "",
						cpus[i], cpus[j]);
		i = j + 1;
	}
}

void config_defaults(struct xs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->xdp_mode = XDP_MODE_NATIVE;
	cfg->ncpus = cpus_online(cfg->cpus, XS_MAX_CPUS);
	cfg->queue_size = 2048;
	cfg->queues_per_cpu = 1;
	cfg->queues_auto = true;
	cfg->wan_capacity = 10000000000ULL;
	cfg->lan_capacity = 10000000000ULL;
	cfg->leaf_qdisc = LEAF_FQ_CODEL;
	cfg->default_rate = 1000000ULL;
	cfg->default_ceil = 0;
	cfg->unknown = XS_UNKNOWN_SHAPE;
	copy_str(cfg->customers_file, sizeof(cfg->customers_file), "/etc/xshaper/customers.csv");
	copy_str(cfg->bpffs, sizeof(cfg->bpffs), "/sys/fs/bpf/xshaper");
	copy_str(cfg->lock, sizeof(cfg->lock), "/run/xshaper.lock");
	cfg->lock_timeout = 30;
	cfg->lookup_chunks = XS_TBL_DEFAULT_CHUNKS;
	cfg->max_removed = 10;
	cfg->max_removed_percent = true;
	cfg->spare_classes = 2;
	cfg->spare_classes_percent = true;
	cfg->customers_format = CUSTOMERS_AUTO;
	cfg->network_file[0] = '\0'; /* no hierarchy: every customer under the root class */
	cfg->monitor_rtt = true;
}

/* Where a key (or, with key NULL, a section header) was last set. */
struct ini_line {
	char *section;
	char *key;
	unsigned int line;
};

struct load_ctx {
	const char *path;
	struct xs_config *cfg;
	struct ini_line *lines;
	size_t nlines;
	unsigned int errors;
	struct log_shown errors_shown, warnings_shown;
	bool set_wan, set_lan, bad_rate, bad_ceil, bad_caps, bad_cpus;
	char allowed[128]; /* the names of the enum key that failed */
};

/* Why a value is bad goes into why[WHY_LEN]. */
#define WHY_LEN 256

struct ini_key {
	const char *section;
	const char *name;
	const char *allowed; /* NULL: the names parse_enum took (ctx->allowed) */
	int (*parse)(struct load_ctx *ctx, const char *val, char *why);
};

static int parse_uint(const char *val, unsigned int min, unsigned int max, unsigned int *out,
		      char *why)
{
	unsigned long v = 0;
	const char *p = val;

	if (!*p) {
		snprintf(why, WHY_LEN, "empty");
		return -EINVAL;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9') {
			snprintf(why, WHY_LEN, "not a whole number");
			return -EINVAL;
		}
		if (v <= UINT32_MAX)
			v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max) {
		snprintf(why, WHY_LEN, "out of range");
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

/* A value by its name in the enum's table, which also says what is allowed. */
static int parse_enum(struct load_ctx *ctx, const char *val, const struct enum_val *values,
		      unsigned int *out, char *why)
{
	if (!enum_value(values, val, out))
		return 0;
	snprintf(why, WHY_LEN, "%s", *val ? "unknown value" : "empty");
	enum_names(values, ctx->allowed, sizeof(ctx->allowed));
	return -EINVAL;
}

static int parse_rate(const char *val, uint64_t *out, char *why)
{
	const char *reason = "not a rate";

	if (rate_parse_reason(val, out, &reason)) {
		snprintf(why, WHY_LEN, "%s", reason);
		return -EINVAL;
	}
	return 0;
}

/* As the kernel's dev_valid_name(): what `ip link` would accept. */
static int parse_ifname(const char *val, char *dst, char *why)
{
	size_t len = strlen(val);

	if (!len) {
		snprintf(why, WHY_LEN, "empty");
		return -EINVAL;
	}
	if (len > IFNAME_MAX) {
		snprintf(why, WHY_LEN, "longer than %d characters", IFNAME_MAX);
		return -EINVAL;
	}
	if (!strcmp(val, ".") || !strcmp(val, "..") || strpbrk(val, "/: \t\r\n\v\f")) {
		snprintf(why, WHY_LEN, "not a valid interface name");
		return -EINVAL;
	}
	copy_str(dst, IF_NAMESIZE, val);
	return 0;
}

static int parse_abspath(const char *val, char *dst, char *why)
{
	if (val[0] != '/') {
		snprintf(why, WHY_LEN, "%s", *val ? "not an absolute path" : "empty");
		return -EINVAL;
	}
	if (strlen(val) >= PATH_MAX) {
		snprintf(why, WHY_LEN, "longer than %d characters", PATH_MAX - 1);
		return -EINVAL;
	}
	copy_str(dst, PATH_MAX, val);
	return 0;
}

static int key_wan(struct load_ctx *ctx, const char *val, char *why)
{
	ctx->set_wan = true;
	return parse_ifname(val, ctx->cfg->wan, why);
}

static int key_lan(struct load_ctx *ctx, const char *val, char *why)
{
	ctx->set_lan = true;
	return parse_ifname(val, ctx->cfg->lan, why);
}

static int key_xdp_mode(struct load_ctx *ctx, const char *val, char *why)
{
	unsigned int v;

	if (parse_enum(ctx, val, xdp_modes, &v, why))
		return -EINVAL;
	ctx->cfg->xdp_mode = (enum xdp_mode)v;
	return 0;
}

static int key_cpus_list(struct load_ctx *ctx, const char *val, char *why)
{
	unsigned int cpus[XS_MAX_CPUS], online[XS_MAX_CPUS];
	const char *reason = "malformed";
	unsigned int n, nonline, i, j;
	char list[WHY_LEN / 2];

	if (cpulist_parse_reason(val, cpus, XS_MAX_CPUS, false, &n, &reason)) {
		snprintf(why, WHY_LEN, "%s", reason);
		ctx->bad_cpus = true;
		return -EINVAL;
	}
	nonline = cpus_online(online, XS_MAX_CPUS);
	/* both ascending: one merge pass finds the first CPU that is not online */
	for (i = 0, j = 0; i < n; i++) {
		while (j < nonline && online[j] < cpus[i])
			j++;
		if (j == nonline || online[j] != cpus[i]) {
			cpulist_format(online, nonline, list, sizeof(list));
			snprintf(why, WHY_LEN, "CPU %u is not online (online: %s)", cpus[i], list);
			ctx->bad_cpus = true;
			return -EINVAL;
		}
	}
	memcpy(ctx->cfg->cpus, cpus, n * sizeof(cpus[0]));
	ctx->cfg->ncpus = n;
	return 0;
}

static int key_queue_size(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_uint(val, QUEUE_SIZE_MIN, QUEUE_SIZE_MAX, &ctx->cfg->queue_size, why);
}

static int key_queues_per_cpu(struct load_ctx *ctx, const char *val, char *why)
{
	ctx->cfg->queues_auto = !strcasecmp(val, "auto");
	if (ctx->cfg->queues_auto) {
		ctx->cfg->queues_per_cpu = 1;
		return 0;
	}
	if (parse_uint(val, 1, XS_MAX_TXQS, &ctx->cfg->queues_per_cpu, why)) {
		ctx->bad_cpus = true;
		return -EINVAL;
	}
	return 0;
}

/* A rate that the checks between keys use: *bad says it is not there to check. */
static int parse_rate_checked(const char *val, uint64_t *out, bool *bad, char *why)
{
	if (!parse_rate(val, out, why))
		return 0;
	*bad = true;
	return -EINVAL;
}

static int key_wan_capacity(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_rate_checked(val, &ctx->cfg->wan_capacity, &ctx->bad_caps, why);
}

static int key_lan_capacity(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_rate_checked(val, &ctx->cfg->lan_capacity, &ctx->bad_caps, why);
}

static int key_leaf_qdisc(struct load_ctx *ctx, const char *val, char *why)
{
	unsigned int v;

	if (parse_enum(ctx, val, leaf_qdiscs, &v, why))
		return -EINVAL;
	ctx->cfg->leaf_qdisc = (enum leaf_qdisc)v;
	return 0;
}

static int key_default_rate(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_rate_checked(val, &ctx->cfg->default_rate, &ctx->bad_rate, why);
}

static int key_default_ceil(struct load_ctx *ctx, const char *val, char *why)
{
	if (!strcmp(val, "0")) {
		ctx->cfg->default_ceil = 0;
		return 0;
	}
	return parse_rate_checked(val, &ctx->cfg->default_ceil, &ctx->bad_ceil, why);
}

static int key_unknown(struct load_ctx *ctx, const char *val, char *why)
{
	unsigned int v;

	if (parse_enum(ctx, val, unknown_policies, &v, why))
		return -EINVAL;
	ctx->cfg->unknown = (enum xs_unknown)v;
	return 0;
}

/* A relative input path starts at the INI file's directory, not at cwd (cron). */
static int parse_input_path(struct load_ctx *ctx, const char *val, char *dst, char *why)
{
	const char *slash = strrchr(ctx->path, '/');
	int len;

	if (val[0] == '/' || !slash)
		len = snprintf(dst, PATH_MAX, "%s", val);
	else
		len = snprintf(dst, PATH_MAX, "%.*s/%s", (int)(slash - ctx->path), ctx->path, val);
	if (len >= PATH_MAX) {
		snprintf(why, WHY_LEN, "longer than %d characters", PATH_MAX - 1);
		return -EINVAL;
	}
	return 0;
}

static int key_customers_file(struct load_ctx *ctx, const char *val, char *why)
{
	if (!*val) {
		snprintf(why, WHY_LEN, "empty");
		return -EINVAL;
	}
	return parse_input_path(ctx, val, ctx->cfg->customers_file, why);
}

static int key_customers_format(struct load_ctx *ctx, const char *val, char *why)
{
	unsigned int v;

	if (parse_enum(ctx, val, customers_formats, &v, why))
		return -EINVAL;
	ctx->cfg->customers_format = (enum customers_format)v;
	return 0;
}

/* auto, or a count of flows (the flow table, bpf/monitor.h) */
static int key_monitor_flows(struct load_ctx *ctx, const char *val, char *why)
{
	if (!strcasecmp(val, "auto")) {
		ctx->cfg->monitor_flows = 0;
		return 0;
	}
	return parse_uint(val, XS_FLOWS_MIN, XS_FLOWS_MAX, &ctx->cfg->monitor_flows, why);
}

static int key_monitor_rtt(struct load_ctx *ctx, const char *val, char *why)
{
	unsigned int v;

	if (parse_enum(ctx, val, on_off, &v, why))
		return -EINVAL;
	ctx->cfg->monitor_rtt = v;
	return 0;
}

/* Empty, as by default: no node tree, every customer hangs from the root class. */
static int key_network_file(struct load_ctx *ctx, const char *val, char *why)
{
	if (!*val) {
		ctx->cfg->network_file[0] = '\0';
		return 0;
	}
	return parse_input_path(ctx, val, ctx->cfg->network_file, why);
}

/* "N%" or a count N, each at most max (a share: at most 100) */
static int parse_count_or_share(const char *val, unsigned int max, unsigned int *v, bool *percent,
				char *why)
{
	size_t n = strlen(val);
	char num[32];

	*percent = n && val[n - 1] == '%';
	if (n >= sizeof(num)) {
		snprintf(why, WHY_LEN, "too long");
		return -EINVAL;
	}
	memcpy(num, val, n + 1);
	if (*percent)
		num[n - 1] = '\0';
	return parse_uint(num, 0, *percent ? 100 : max, v, why) ? -EINVAL : 0;
}

/* "10%" (of the live customers) or a count; 0 turns the guard off */
static int key_max_removed(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_count_or_share(val, UINT_MAX, &ctx->cfg->max_removed,
				    &ctx->cfg->max_removed_percent, why);
}

/* "2%" (of the customers under each parent class) or a count per parent */
static int key_spare_classes(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_count_or_share(val, XS_MINORS_PER_TREE, &ctx->cfg->spare_classes,
				    &ctx->cfg->spare_classes_percent, why);
}

static int key_bpffs(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_abspath(val, ctx->cfg->bpffs, why);
}

static int key_lock(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_abspath(val, ctx->cfg->lock, why);
}

static int key_lock_timeout(struct load_ctx *ctx, const char *val, char *why)
{
	return parse_uint(val, 0, LOCK_TIMEOUT_MAX, &ctx->cfg->lock_timeout, why);
}

/*
 * A size in bytes with a binary unit: 512K, 32M, 1G (k, m, g, optionally
 * followed by "b" or "ib"; case-insensitive); a bare number is MiB.
 */
static int key_lookup_memory(struct load_ctx *ctx, const char *val, char *why)
{
	unsigned long long v = 0, unit = 1ULL << 20;
	const char *p = val;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (v < (1ULL << 40))
			v = v * 10 + (unsigned long long)(*p - '0');
	if (*p) {
		switch (*p | 0x20) {
		case 'k':
			unit = 1ULL << 10;
			break;
		case 'm':
			unit = 1ULL << 20;
			break;
		case 'g':
			unit = 1ULL << 30;
			break;
		default:
			unit = 0;
		}
		p++;
		if ((*p | 0x20) == 'i')
			p++;
		if ((*p | 0x20) == 'b')
			p++;
	}
	if (!digits || !unit || *p) {
		snprintf(why, WHY_LEN, "not a size");
		return -EINVAL;
	}
	v *= unit;
	if (v < LOOKUP_MEMORY_MIN || v > LOOKUP_MEMORY_MAX) {
		snprintf(why, WHY_LEN, "out of range");
		return -EINVAL;
	}
	ctx->cfg->lookup_chunks = (unsigned int)(v / sizeof(struct xs_tbl_slot));
	return 0;
}

/*
 * The allowed values the messages quote are the limits above as text, so
 * those are plain decimal numbers (XS_MAX_TXQS too).
 */
#define STRINGIFY_(x)	       #x
#define STRINGIFY(x)	       STRINGIFY_(x)
#define RATE_ALLOWED	       "a rate such as 500mbit, 1.5gbit, 800kbit; a bare number is Mbit/s"
#define IFNAME_ALLOWED	       "an interface name of 1-" STRINGIFY(IFNAME_MAX) " characters"
#define TXQS_ALLOWED	       "at most " STRINGIFY(XS_MAX_TXQS) " TX queues in all"
#define LOOKUP_MEMORY_MIN_TEXT STRINGIFY(LOOKUP_MEMORY_MIN_MIB) "M"
#define LOOKUP_MEMORY_MAX_TEXT STRINGIFY(LOOKUP_MEMORY_MAX_MIB) "M"
#define LOOKUP_MEMORY_ALLOWED                                                                      \
	"a size from " LOOKUP_MEMORY_MIN_TEXT " to " LOOKUP_MEMORY_MAX_TEXT " such as 32M or "     \
	"128M; a bare number is MiB"

static const struct ini_key ini_keys[] = {
	{ "interfaces", "wan", IFNAME_ALLOWED, key_wan },
	{ "interfaces", "lan", IFNAME_ALLOWED, key_lan },
	{ "interfaces", "xdp_mode", NULL, key_xdp_mode },
	{ "cpus", "list", "online CPUs as a list such as 0-3,6", key_cpus_list },
	{ "cpus", "queue_size", STRINGIFY(QUEUE_SIZE_MIN) ".." STRINGIFY(QUEUE_SIZE_MAX),
	  key_queue_size },
	{ "cpus", "queues_per_cpu", "auto or 1.." STRINGIFY(XS_MAX_TXQS) ", " TXQS_ALLOWED,
	  key_queues_per_cpu },
	{ "shaping", "wan_capacity", RATE_ALLOWED, key_wan_capacity },
	{ "shaping", "lan_capacity", RATE_ALLOWED, key_lan_capacity },
	{ "shaping", "leaf_qdisc", NULL, key_leaf_qdisc },
	{ "shaping", "default_rate", RATE_ALLOWED, key_default_rate },
	{ "shaping", "default_ceil",
	  "0 for the interface capacity, or a rate from default_rate up to the smaller capacity",
	  key_default_ceil },
	{ "shaping", "unknown", NULL, key_unknown },
	{ "shaping", "spare_classes",
	  "a share of the customers under each parent class such as 2%, a count per parent, "
	  "or 0 for none",
	  key_spare_classes },
	{ "customers", "file", "a path; a relative one starts at the directory of the INI file",
	  key_customers_file },
	{ "customers", "max_removed",
	  "a share of the live customers such as 10%, a count, or 0 for no limit",
	  key_max_removed },
	{ "customers", "format", NULL, key_customers_format },
	{ "network", "file",
	  "a path, or nothing for no node tree; a relative one starts at the directory of the "
	  "INI file",
	  key_network_file },
	{ "monitor", "rtt", NULL, key_monitor_rtt },
	{ "monitor", "flows",
	  "auto, or " STRINGIFY(XS_FLOWS_MIN) ".." STRINGIFY(XS_FLOWS_MAX) " TCP flows",
	  key_monitor_flows },
	{ "system", "bpffs", "an absolute path", key_bpffs },
	{ "system", "lock", "an absolute path", key_lock },
	{ "system", "lock_timeout", "0.." STRINGIFY(LOCK_TIMEOUT_MAX) " seconds",
	  key_lock_timeout },
	{ "system", "lookup_memory", LOOKUP_MEMORY_ALLOWED, key_lookup_memory },
};

#define NKEYS (sizeof(ini_keys) / sizeof(ini_keys[0]))

static const struct ini_key *key_find(const char *section, size_t seclen, const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(ini_keys[i].section) == seclen &&
		    !strncmp(ini_keys[i].section, section, seclen) &&
		    (!key || !strcmp(ini_keys[i].name, key)))
			return &ini_keys[i];
	return NULL;
}

static int ini_line_cmp(const void *a, const void *b)
{
	const struct ini_line *x = a, *y = b;
	int r = strcmp(x->section, y->section);

	if (r)
		return r;
	if (!x->key || !y->key) {
		if (x->key != y->key)
			return x->key ? 1 : -1;
	} else {
		r = strcmp(x->key, y->key);
		if (r)
			return r;
	}
	return x->line < y->line ? -1 : x->line > y->line;
}

static bool same_setting(const struct ini_line *l, const char *section, const char *key)
{
	if (strcmp(l->section, section) || !l->key != !key)
		return false;
	return !key || !strcmp(l->key, key);
}

/* The line where [section] key (or [section] itself) was last set; 0: unknown. */
static unsigned int line_of(const struct load_ctx *ctx, const char *section, const char *key)
{
	struct ini_line probe = { (char *)section, (char *)key, UINT_MAX };
	size_t lo = 0, hi = ctx->nlines;

	/* the first entry after every setting of (section, key) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ini_line_cmp(&ctx->lines[mid], &probe) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && same_setting(&ctx->lines[lo - 1], section, key))
		return ctx->lines[lo - 1].line;
	return 0;
}

/* iniparser's own trimming: surrounding blanks removed, lowercased */
static char *dup_lower(const char *s, size_t len)
{
	char *d;
	size_t i;

	while (len && is_space(*s))
		s++, len--;
	while (len && is_space(s[len - 1]))
		len--;
	d = malloc(len + 1);
	if (!d)
		return NULL;
	for (i = 0; i < len; i++)
		d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	d[len] = '\0';
	return d;
}

static void lines_free(struct load_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nlines; i++) {
		free(ctx->lines[i].section);
		free(ctx->lines[i].key);
	}
	free(ctx->lines);
	ctx->lines = NULL;
	ctx->nlines = 0;
}

static int lines_add(struct load_ctx *ctx, size_t *cap, const char *section, const char *key,
		     size_t keylen, unsigned int line)
{
	struct ini_line *l;

	if (ctx->nlines == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;

		l = realloc(ctx->lines, ncap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		ctx->lines = l;
		*cap = ncap;
	}
	l = &ctx->lines[ctx->nlines];
	l->section = strdup(section);
	l->key = key ? dup_lower(key, keylen) : NULL;
	l->line = line;
	if (!l->section || (key && !l->key)) {
		free(l->section);
		free(l->key);
		return -ENOMEM;
	}
	ctx->nlines++;
	return 0;
}

/*
 * Record where every section and key is, the way iniparser 4.1 splits lines:
 * blank and ';'/'#' lines are comments, "[name]" opens a section, "key = v"
 * sets a key, and a line ending in '\' continues on the next one.
 */
static int scan_lines(struct load_ctx *ctx, const char *buf, size_t size)
{
	const char *p = buf, *end = buf + size;
	char *section = strdup("");
	unsigned int line = 0;
	bool continued = false;
	size_t cap = 0;
	int ret = 0;

	if (!section)
		return -ENOMEM;
	while (p < end && !ret) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e, *eq;

		if (!eol)
			eol = end;
		line++;
		if (memchr(p, '\0', (size_t)(eol - p))) {
			ctx->errors++;
			if (log_shown_take(&ctx->errors_shown, line))
				pr_err("%s:%u: NUL byte in the line; is this a text file?\n",
				       ctx->path, line);
		}
		p = eol + 1;
		e = eol;
		while (s < e && is_space(*s))
			s++;
		while (e > s && is_space(e[-1]))
			e--;
		if (continued) {
			continued = e > s && e[-1] == '\\';
			continue;
		}
		continued = e > s && e[-1] == '\\';
		if (s == e || *s == ';' || *s == '#')
			continue;
		if (*s == '[' && e[-1] == ']') {
			char *n = dup_lower(s + 1, (size_t)(e - s - 2));

			if (!n) {
				ret = -ENOMEM;
				break;
			}
			free(section);
			section = n;
			ret = lines_add(ctx, &cap, section, NULL, 0, line);
			continue;
		}
		eq = memchr(s, '=', (size_t)(e - s));
		if (eq)
			ret = lines_add(ctx, &cap, section, s, (size_t)(eq - s), line);
	}
	free(section);
	if (ret)
		return ret;
	if (ctx->nlines)
		qsort(ctx->lines, ctx->nlines, sizeof(ctx->lines[0]), ini_line_cmp);
	return 0;
}

/* iniparser keeps the last of two settings of a key; say so instead of guessing. */
static void warn_repeated(struct load_ctx *ctx)
{
	size_t i;

	for (i = 1; i < ctx->nlines; i++) {
		const struct ini_line *a = &ctx->lines[i - 1], *b = &ctx->lines[i];

		if (!a->key || !b->key || strcmp(a->section, b->section) || strcmp(a->key, b->key))
			continue;
		if (!log_shown_take(&ctx->warnings_shown, b->line))
			continue;
		pr_warn("%s:%u: [%s] %s is set again (first on line %u); the last setting is "
			"used\n",
			ctx->path, b->line, b->section, b->key, a->line);
	}
}

/* "FILE:LINE" where the setting is, or just "FILE" */
static const char *where(const struct load_ctx *ctx, const char *section, const char *key,
			 char *buf, size_t len)
{
	unsigned int line = line_of(ctx, section, key);

	if (line)
		snprintf(buf, len, "%s:%u", ctx->path, line);
	else
		snprintf(buf, len, "%s", ctx->path);
	return buf;
}

static void report(struct load_ctx *ctx, const char *section, const char *key, const char *val,
		   const char *why, const char *allowed)
{
	char at[PATH_MAX + 16];

	pr_err("%s: [%s] %s = '%s': %s (allowed: %s)\n", where(ctx, section, key, at, sizeof(at)),
	       section, key, val, why, allowed);
	ctx->errors++;
}

static void key_names(const char *section, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < NKEYS && off < len; i++)
		if (!strcmp(ini_keys[i].section, section))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						ini_keys[i].name);
}

/*
 * iniparser names a key "section:key". A section name may itself hold ':',
 * so the split is at the last ':' whose left side is a section iniparser
 * knows (stored without a value), else at the first.
 */
static const char *split_entry(const dictionary *d, const char *entry)
{
	const char *colon = strrchr(entry, ':');
	char section[256];

	while (colon && colon != entry) {
		snprintf(section, sizeof(section), "%.*s", (int)(colon - entry), entry);
		if ((size_t)(colon - entry) < sizeof(section) && iniparser_find_entry(d, section) &&
		    !iniparser_getstring(d, section, ""))
			return colon;
		colon = memrchr(entry, ':', (size_t)(colon - entry));
	}
	return strchr(entry, ':');
}

static void check_entry(struct load_ctx *ctx, const dictionary *d, const char *entry,
			const char *val)
{
	const char *colon = split_entry(d, entry);
	const struct ini_key *k;
	char why[WHY_LEN] = "", names[256], at[PATH_MAX + 16];

	/* iniparser stores each section as an entry without a value */
	if (!colon || !val) {
		if (!key_find(entry, strlen(entry), NULL) &&
		    log_shown_take(&ctx->warnings_shown, line_of(ctx, entry, NULL)))
			pr_warn("%s: unknown section [%s] ignored (sections: interfaces, cpus, "
				"shaping, customers, network, system, monitor)\n",
				where(ctx, entry, NULL, at, sizeof(at)), entry);
		return;
	}
	if (colon == entry) {
		if (log_shown_take(&ctx->warnings_shown, line_of(ctx, "", colon + 1)))
			pr_warn("%s: %s is outside any section, ignored; put it under its "
				"[section]\n",
				where(ctx, "", colon + 1, at, sizeof(at)), colon + 1);
		return;
	}
	/* keys of an unknown section: the section was warned about */
	if (!key_find(entry, (size_t)(colon - entry), NULL))
		return;
	k = key_find(entry, (size_t)(colon - entry), colon + 1);
	if (!k) {
		char section[64];

		snprintf(section, sizeof(section), "%.*s", (int)(colon - entry), entry);
		if (!log_shown_take(&ctx->warnings_shown, line_of(ctx, section, colon + 1)))
			return;
		key_names(section, names, sizeof(names));
		pr_warn("%s: [%s] %s: unknown key, ignored (keys in [%s]: %s)\n",
			where(ctx, section, colon + 1, at, sizeof(at)), section, colon + 1, section,
			names);
		return;
	}
	if (k->parse(ctx, val, why))
		report(ctx, k->section, k->name, val, why, k->allowed ? k->allowed : ctx->allowed);
}

static void check_missing(struct load_ctx *ctx, const char *key, const char *what)
{
	pr_err("%s: [interfaces] %s is not set: name the interface that faces %s, e.g. %s = eth0\n",
	       ctx->path, key, what, key);
	ctx->errors++;
}

/* Checks that involve more than one key, after each key is valid by itself. */
static void check_together(struct load_ctx *ctx, dictionary *d)
{
	struct xs_config *cfg = ctx->cfg;
	uint64_t cap =
		cfg->wan_capacity < cfg->lan_capacity ? cfg->wan_capacity : cfg->lan_capacity;
	char a[RATE_BUFSZ], b[RATE_BUFSZ], why[WHY_LEN];

	if (!ctx->set_wan)
		check_missing(ctx, "wan", "the internet (upstream)");
	if (!ctx->set_lan)
		check_missing(ctx, "lan", "the customers");
	if (cfg->wan[0] && !roles_distinct(cfg)) {
		snprintf(why, WHY_LEN, "the same interface as wan");
		report(ctx, "interfaces", "lan", cfg->lan, why, "an interface other than wan");
	}
	if (!ctx->bad_cpus && txqs_broken(cfg, why, WHY_LEN))
		report(ctx, "cpus", "queues_per_cpu",
		       iniparser_getstring(d, "cpus:queues_per_cpu", ""), why, TXQS_ALLOWED);
	if (ctx->bad_caps)
		return;
	rate_format(cap, b, sizeof(b));
	if (!ctx->bad_rate && cfg->default_rate > cap) {
		snprintf(why, WHY_LEN, "more than the capacity %s", b);
		report(ctx, "shaping", "default_rate",
		       iniparser_getstring(d, "shaping:default_rate", ""), why,
		       "a rate up to the smaller of wan_capacity and lan_capacity");
	}
	if (ctx->bad_ceil || !cfg->default_ceil)
		return;
	if (cfg->default_ceil > cap) {
		snprintf(why, WHY_LEN, "more than the capacity %s", b);
		report(ctx, "shaping", "default_ceil",
		       iniparser_getstring(d, "shaping:default_ceil", ""), why,
		       "0 for the interface capacity, or a rate up to the smaller capacity");
	} else if (!ctx->bad_rate && cfg->default_ceil < cfg->default_rate) {
		snprintf(why, WHY_LEN, "less than default_rate %s",
			 rate_format(cfg->default_rate, a, sizeof(a)));
		report(ctx, "shaping", "default_ceil",
		       iniparser_getstring(d, "shaping:default_ceil", ""), why,
		       "0 for the interface capacity, or a rate from default_rate up");
	}
}

/* What ini_error() needs; iniparser's callback gives no context. */
static struct {
	const char *path; /* the file, for messages */
	const char *name; /* what iniparser was given to open */
	struct log_shown shown;
} ini_run;

/*
 * iniparser reports syntax errors through a printf-like callback, as
 * "iniparser: syntax error in FILE (LINE):\n-> TEXT\n" or "iniparser: input
 * line too long in FILE (LINE)\n". Reword them as FILE:LINE: like every
 * other message; anything else is passed on as it is. It goes on after a
 * syntax error, so a file that is not INI at all gives one a line: past
 * LOG_SHOWN_MAX they are only counted.
 */
static int ini_error(const char *fmt, ...)
{
	char msg[1024], needle[PATH_MAX + 8], *what, *at, *text;
	unsigned long line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	what = strncmp(msg, "iniparser: ", 11) ? msg : msg + 11;
	text = strstr(what, "\n-> ");
	if (text)
		text += 4;
	what[strcspn(what, "\n")] = '\0';
	snprintf(needle, sizeof(needle), " in %s (", ini_run.name ? ini_run.name : "");
	at = strstr(what, needle);
	if (!at) {
		pr_err("%s\n", what);
		return 0;
	}
	*at = '\0';
	line = strtoul(at + strlen(needle), NULL, 10);
	if (!log_shown_take(&ini_run.shown, line > UINT_MAX ? UINT_MAX : (unsigned int)line))
		return 0;
	if (text) {
		text[strcspn(text, "\n")] = '\0';
		pr_err("%s:%lu: %s: '%s'; write key = value, or comment the line out with ';'\n",
		       ini_run.path, line, what, text);
	} else {
		pr_err("%s:%lu: %s (iniparser reads at most %d characters a line)\n", ini_run.path,
		       line, what, INIPARSER_LINE_MAX);
	}
	return 0;
}

/*
 * iniparser 4.1 (Debian 12; iniparser_load_file() came in 4.2) opens the
 * file by name. It is given the descriptor already opened and checked,
 * through /proc/self/fd, so that no rename in between can hand it a FIFO
 * or another file; without /proc, the path, if it still names that file.
 */
static int ini_parse(const char *path, int fd, dictionary **out)
{
	char name[32];
	struct stat st, by_name;
	const char *open_as = name;
	int err;

	*out = NULL;
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st)) {
		err = -errno;
		pr_err("%s: cannot read the config: %s\n", path, strerror(-err));
		return err;
	}
	if (stat(name, &by_name) || by_name.st_dev != st.st_dev || by_name.st_ino != st.st_ino) {
		if (stat(path, &by_name) || by_name.st_dev != st.st_dev ||
		    by_name.st_ino != st.st_ino) {
			pr_err("%s: replaced while it was read; run again\n", path);
			return -EAGAIN;
		}
		open_as = path;
	}
	ini_run.path = path;
	ini_run.name = open_as;
	memset(&ini_run.shown, 0, sizeof(ini_run.shown));
	iniparser_set_error_callback(ini_error);
	*out = iniparser_load(open_as);
	iniparser_set_error_callback(NULL);
	log_shown_flush(&ini_run.shown, path, LOG_LEVEL_ERR, "errors");
	ini_run.path = ini_run.name = NULL;
	return *out ? 0 : -EINVAL;
}

int config_load(const char *path, struct xs_config *cfg)
{
	static const struct input_kind kind = {
		.what = "the config",
		.hint = "pass the right file with -c",
		.max_size = INI_MAX_SIZE,
		.max_text = "1 MiB",
	};
	struct load_ctx ctx = { .path = path, .cfg = cfg };
	dictionary *d = NULL;
	char *buf = NULL;
	size_t size = 0, i;
	int fd, err;

	if (strlen(path) >= sizeof(cfg->path)) {
		pr_err("%s: config path longer than %zu characters\n", path, sizeof(cfg->path) - 1);
		return -ENAMETOOLONG;
	}
	copy_str(cfg->path, sizeof(cfg->path), path);
	fd = input_open(path, &kind);
	if (fd < 0)
		return fd;
	err = input_read(fd, path, &kind, &buf, &size);
	if (err) {
		close(fd);
		return err; /* reported */
	}
	err = scan_lines(&ctx, buf, size);
	free(buf);
	/* iniparser would call a NUL byte a line too long */
	if (!err && ctx.errors)
		err = -EINVAL;
	if (!err)
		err = ini_parse(path, fd, &d);
	if (err)
		goto out;
	warn_repeated(&ctx);
	for (i = 0; i < (size_t)d->size; i++)
		if (d->key[i])
			check_entry(&ctx, d, d->key[i], d->val[i]);
	check_together(&ctx, d);
	err = ctx.errors ? -EINVAL : 0;
out:
	if (err == -ENOMEM)
		pr_err("%s: out of memory reading the config\n", path);
	log_shown_flush(&ctx.errors_shown, path, LOG_LEVEL_ERR, "errors");
	log_shown_flush(&ctx.warnings_shown, path, LOG_LEVEL_WARN, "warnings");
	if (d)
		iniparser_freedict(d);
	lines_free(&ctx);
	close(fd);
	return err;
}
