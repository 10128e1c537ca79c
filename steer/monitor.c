// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading the passive TCP monitor (bpf/monitor.h): the per-customer RTT
 * histograms and retransmit counters, summed over the CPUs, and what two
 * reads say about the time between them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "steer/internal.h"

static void monitor_add(struct xs_monitor *sum, const struct xs_monitor *m)
{
	unsigned int d, b;

	for (d = 0; d < XS_DIRS; d++) {
		sum->rtt_samples[d] += m->rtt_samples[d];
		sum->rtt_sum_us[d] += m->rtt_sum_us[d];
		sum->retransmits[d] += m->retransmits[d];
		for (b = 0; b < XS_RTT_BUCKETS; b++)
			sum->rtt_hist[d][b] += m->rtt_hist[d][b];
	}
}

static int classid_cmp(const void *a, const void *b)
{
	const struct steer_monitor *x = a, *y = b;

	return x->classid < y->classid ? -1 : x->classid > y->classid;
}

int steer_read_monitor(struct steer *steer, struct steer_monitor **out, size_t *n)
{
	int fd = steer->fd[MAP_MONITOR], err = 0;
	struct steer_monitor *v = NULL, *grown;
	size_t len = 0, cap = 0;
	struct xs_monitor *per_cpu;
	__u32 key, next, *prev = NULL;
	unsigned int cpu;

	*out = NULL;
	*n = 0;
	/* per-CPU values come 8-byte aligned; xs_monitor's size is a multiple of 8 */
	per_cpu = calloc(steer->possible_cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, per_cpu)) {
			if (errno == ENOENT)
				continue; /* deleted under us */
			err = -errno;
			pr_err("reading xs_monitor failed: %s\n", strerror(-err));
			goto fail;
		}
		if (len == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				err = -ENOMEM;
				goto fail;
			}
			v = grown;
		}
		memset(&v[len], 0, sizeof(v[len]));
		v[len].classid = key;
		for (cpu = 0; cpu < steer->possible_cpus; cpu++)
			monitor_add(&v[len].m, &per_cpu[cpu]);
		len++;
	}
	if (errno != ENOENT) {
		err = -errno;
		pr_err("walking xs_monitor failed: %s\n", strerror(-err));
		goto fail;
	}
	free(per_cpu);
	if (len)
		qsort(v, len, sizeof(*v), classid_cmp);
	*out = v;
	*n = len;
	return 0;
fail:
	free(per_cpu);
	free(v);
	return err;
}

const struct steer_monitor *steer_monitor_find(const struct steer_monitor *v, size_t n,
					       uint32_t classid)
{
	struct steer_monitor key = { .classid = classid };

	return n ? bsearch(&key, v, n, sizeof(*v), classid_cmp) : NULL;
}

void steer_monitor_delta(const struct xs_monitor *now, const struct xs_monitor *then,
			 struct xs_monitor *d)
{
	unsigned int s, b;

	memset(d, 0, sizeof(*d));
	for (s = 0; s < XS_DIRS; s++) {
		if (!then || now->rtt_samples[s] < then->rtt_samples[s] ||
		    now->retransmits[s] < then->retransmits[s]) {
			/* restarted (or no earlier read): everything is new */
			d->rtt_samples[s] = now->rtt_samples[s];
			d->rtt_sum_us[s] = now->rtt_sum_us[s];
			d->retransmits[s] = now->retransmits[s];
			memcpy(d->rtt_hist[s], now->rtt_hist[s], sizeof(d->rtt_hist[s]));
			continue;
		}
		d->rtt_samples[s] = now->rtt_samples[s] - then->rtt_samples[s];
		d->rtt_sum_us[s] = now->rtt_sum_us[s] - then->rtt_sum_us[s];
		d->retransmits[s] = now->retransmits[s] - then->retransmits[s];
		for (b = 0; b < XS_RTT_BUCKETS; b++)
			d->rtt_hist[s][b] = now->rtt_hist[s][b] - then->rtt_hist[s][b];
	}
}

int steer_rtt_quantile_ms(const struct xs_monitor *m, enum xs_dir side, double q, double *ms)
{
	double total = 0, rank, seen = 0, lo, hi;
	unsigned int b;

	for (b = 0; b < XS_RTT_BUCKETS; b++)
		total += m->rtt_hist[side][b];
	if (total == 0)
		return -ENODATA;
	rank = q * total;
	for (b = 0; b < XS_RTT_BUCKETS; b++) {
		if (!m->rtt_hist[side][b] || seen + m->rtt_hist[side][b] < rank) {
			seen += m->rtt_hist[side][b];
			continue;
		}
		/* bucket b holds [2^b, 2^(b+1)) us; bucket 0 also 0 and 1 */
		lo = b ? (double)(1ULL << b) : 0;
		hi = (double)(1ULL << (b + 1));
		*ms = (lo + (hi - lo) * (rank - seen) / m->rtt_hist[side][b]) / 1000.0;
		return 0;
	}
	/* rounding: the top of the last bucket that has samples */
	for (b = XS_RTT_BUCKETS; b-- > 0;)
		if (m->rtt_hist[side][b])
			break;
	*ms = (double)(1ULL << (b + 1)) / 1000.0;
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int steer_monitor_prune(struct steer *steer, const struct steer_prefix *want, size_t n)
{
	int fd = steer->fd[MAP_MONITOR];
	__u32 *live, key, kept, *prev = NULL;
	size_t i, removed = 0;

	if (fd < 0)
		return 0;
	live = calloc(n ? n : 1, sizeof(*live));
	if (!live)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		live[i] = want[i].customer.classid;
	qsort(live, n, sizeof(*live), u32_cmp);
	/* the walk goes on from the last key kept, which stays in the map */
	while (bpf_map_get_next_key(fd, prev, &key) == 0) {
		if ((n && bsearch(&key, live, n, sizeof(*live), u32_cmp)) ||
		    bpf_map_delete_elem(fd, &key)) {
			kept = key;
			prev = &kept;
			continue;
		}
		removed++;
	}
	free(live);
	if (removed)
		pr_debug("xs_monitor: %zu records of classes no customer has now removed\n",
			 removed);
	return 0;
}

int steer_monitor_forget(struct steer *steer, uint32_t classid)
{
	int fd = steer->fd[MAP_MONITOR];

	if (fd < 0 || !bpf_map_delete_elem(fd, &classid) || errno == ENOENT)
		return 0;
	pr_err("xs_monitor: removing the record of class %x:%x failed: %s\n",
	       xs_handle_major(classid), xs_handle_minor(classid), strerror(errno));
	return -errno;
}

/* ---- the flow table's size ---------------------------------------------- */

unsigned int steer_flows_per_cpu(const struct xs_config *cfg, size_t ncustomers)
{
	uint64_t ncpus = cfg->ncpus ? cfg->ncpus : 1, n, p2;

	if (cfg->monitor_flows)
		return (unsigned int)((cfg->monitor_flows + ncpus - 1) / ncpus);
	n = ((uint64_t)ncustomers * XS_FLOWS_PER_CUSTOMER + ncpus - 1) / ncpus;
	if (n < XS_FLOWS_AUTO_MIN)
		n = XS_FLOWS_AUTO_MIN;
	if (n > XS_FLOWS_MAX)
		n = XS_FLOWS_MAX;
	for (p2 = XS_FLOWS_AUTO_MIN; p2 < n;)
		p2 <<= 1;
	return (unsigned int)p2;
}

/*
 * An LRU hash entry: the kernel's element header (64 bytes on 64-bit
 * machines) and the key and value, each rounded up to 8: 184 bytes, what
 * bpftool reports as the map's memlock on 6.18 (within a kilobyte).
 */
uint64_t steer_flows_bytes(unsigned int flows_per_cpu, unsigned int possible_cpus)
{
	uint64_t entry = 64 + ((sizeof(struct xs_flow_key) + 7) & ~7UL) +
			 ((sizeof(struct xs_flow) + 7) & ~7UL);

	return entry * flows_per_cpu * possible_cpus;
}

int steer_flows_check(struct steer *steer, const struct xs_config *cfg, size_t ncustomers)
{
	unsigned int want = steer_flows_per_cpu(cfg, ncustomers), have;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int err;

	if (bpf_obj_get_info_by_fd(steer->fd[MAP_FLOWS], &info, &len)) {
		err = -errno;
		pr_err("xs_flows: cannot read the map: %s\n", strerror(-err));
		return err;
	}
	have = info.max_entries / (steer->possible_cpus ? steer->possible_cpus : 1);
	if (have == want || (!cfg->monitor_flows && have > want))
		return 0;
	pr_warn("[monitor] flows: the running flow table holds %u flows per CPU, %s wants %u; "
		"'xshaper start' resizes it (shaping goes on, pending RTT samples are lost)\n",
		have, cfg->monitor_flows ? "the config" : "this list", want);
	return 0;
}
