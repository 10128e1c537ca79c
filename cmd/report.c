// SPDX-License-Identifier: GPL-2.0-only
/*
 * The read-only commands: status, stats and lookup. They read the pinned
 * maps and the live trees and change nothing, so they take no lock.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/handle.h"
#include "common/log.h"
#include "common/problems.h"
#include "common/text.h"
#include "conf/config.h"
#include "conf/customers.h"
#include "conf/plan.h"
#include "conf/rate.h"
#include "cmd/commands.h"
#include "cmd/stats.h"
#include "shaper/tree.h"
#include "steer/steer.h"

enum format {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_PROMETHEUS,
};

/* The longest stats --interval, in seconds: the command sleeps that long. */
#define STATS_INTERVAL_MAX 60

/* sorted and found with tree_classid_cmp */
_Static_assert(offsetof(struct class_stats, classid) == 0, "classid first");

static int read_iface_stats(struct nl_sock *sk, const char *ifname, struct iface_stats *out)
{
	struct nl_cache *classes = NULL;
	struct nl_object *obj;
	size_t n = 0;
	int ifindex, err;

	out->ifname = ifname;
	out->v = NULL;
	out->n = 0;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		pr_err("%s: no such interface; check [interfaces]\n", ifname);
		err = -ENODEV;
		goto out;
	}
	err = rtnl_class_alloc_cache(sk, ifindex, &classes);
	if (err < 0)
		goto nlerr;
	out->v = calloc(nl_cache_nitems(classes) + 1, sizeof(*out->v));
	if (!out->v) {
		err = -ENOMEM;
		goto out;
	}
	for (obj = nl_cache_get_first(classes); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_tc *tc = (struct rtnl_tc *)obj;
		struct rtnl_class *cls = (struct rtnl_class *)obj;
		struct class_stats *s;
		const char *kind = rtnl_tc_get_kind(tc);

		if (!kind || strcmp(kind, "htb"))
			continue;
		s = &out->v[n++];
		s->classid = rtnl_tc_get_handle(tc);
		s->rate = rtnl_htb_get_rate64(cls, &s->rate) ? 0 : s->rate * 8;
		s->ceil = rtnl_htb_get_ceil64(cls, &s->ceil) ? 0 : s->ceil * 8;
		s->bytes = rtnl_tc_get_stat(tc, RTNL_TC_BYTES);
		s->packets = rtnl_tc_get_stat(tc, RTNL_TC_PACKETS);
		s->drops = rtnl_tc_get_stat(tc, RTNL_TC_DROPS);
		s->overlimits = rtnl_tc_get_stat(tc, RTNL_TC_OVERLIMITS);
		s->backlog_bytes = rtnl_tc_get_stat(tc, RTNL_TC_BACKLOG);
		s->backlog_packets = rtnl_tc_get_stat(tc, RTNL_TC_QLEN);
	}
	out->n = n;
	qsort(out->v, n, sizeof(*out->v), tree_classid_cmp);
	err = 0;
	goto out;
nlerr:
	pr_err("%s: cannot read classes: %s\n", ifname, nl_geterror(err));
	err = -EIO;
out:
	nl_cache_free(classes);
	return err;
}

struct class_stats *stats_find_class(const struct iface_stats *is, uint32_t classid)
{
	struct class_stats key = { .classid = classid };

	return bsearch(&key, is->v, is->n, sizeof(key), tree_classid_cmp);
}

void stats_rates(const struct iface_stats *before, struct iface_stats *after, unsigned long msec)
{
	size_t j;

	for (j = 0; j < after->n && msec; j++) {
		struct class_stats *s = &after->v[j], *b = stats_find_class(before, s->classid);

		if (b && s->bytes >= b->bytes)
			s->bps = (s->bytes - b->bytes) * 8 * 1000 / msec;
	}
}

/*
 * HTB keeps no rate estimator unless asked (one per class is a timer per
 * class), so the current rate is measured: two reads interval seconds apart.
 */
static int read_stats(const struct xs_config *cfg, unsigned int interval,
		      struct iface_stats is[XS_DIRS])
{
	struct iface_stats again[XS_DIRS] = {};
	struct nl_sock *sk;
	enum xs_dir dir;
	int err = 0, i;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		pr_err("netlink: %s\n", nl_geterror(err));
		nl_socket_free(sk);
		return -EIO;
	}
	for_each_role(i, dir) {
		err = read_iface_stats(sk, config_ifname(cfg, dir), &is[dir]);
		if (err)
			goto out;
	}
	if (err || !interval)
		goto out;
	sleep(interval);
	for (i = 0; i < XS_DIRS && !err; i++) {
		err = read_iface_stats(sk, is[i].ifname, &again[i]);
		if (err)
			break;
		stats_rates(&is[i], &again[i], interval * 1000UL);
		free(is[i].v);
		is[i] = again[i];
		again[i].v = NULL;
	}
out:
	for (i = 0; i < XS_DIRS; i++)
		free(again[i].v);
	nl_socket_free(sk);
	return err;
}

static void print_class_json(const struct class_stats *s)
{
	char id[HANDLE_TEXT_LEN];

	if (!s) {
		printf("null");
		return;
	}
	printf("{\"classid\":\"%s\",\"rate\":%" PRIu64 ",\"ceil\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"packets\":%" PRIu64 ",\"drops\":%" PRIu64 ",\"overlimits\":%" PRIu64
	       ",\"backlog_bytes\":%" PRIu64 ",\"backlog_packets\":%" PRIu64 ",\"bps\":%" PRIu64
	       "}",
	       handle_text(s->classid, id, sizeof(id)), s->rate, s->ceil, s->bytes, s->packets,
	       s->drops, s->overlimits, s->backlog_bytes, s->backlog_packets, s->bps);
}

/*
 * Print a name for JSON (json) or a Prometheus label value: quote and
 * backslash escaped, control characters escaped (JSON) or newline as \n
 * (Prometheus), a byte that is not UTF-8 as U+FFFD. Names come from the
 * operator's CSV, which may be in another encoding; JSON and the
 * Prometheus format both require UTF-8.
 */
static void print_text(FILE *f, const char *text, bool json)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t left = text ? strlen(text) : 0, n;

	while (left) {
		n = text_utf8_len(s, left);
		if (!n) {
			fputs("\xef\xbf\xbd", f);
			s++;
			left--;
			continue;
		}
		left -= n;
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s == '\n' && !json) {
			fputs("\\n", f);
			s++;
		} else if (*s < 0x20 && json) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
}

static void json_string(const char *s)
{
	putchar('"');
	print_text(stdout, s, true);
	putchar('"');
}

static void prom_label(FILE *f, const char *s)
{
	print_text(f, s, false);
}

struct metric {
	const char *name, *type, *help;
	size_t offset; /* into struct class_stats */
};

#define CLASS_METRIC(n, t, h, f)                                                                   \
	{                                                                                          \
		n, t, h, offsetof(struct class_stats, f)                                           \
	}
static const struct metric class_metrics[] = {
	CLASS_METRIC("bytes_total", "counter", "Bytes sent by the class.", bytes),
	CLASS_METRIC("packets_total", "counter", "Packets sent by the class.", packets),
	CLASS_METRIC("drops_total", "counter", "Packets dropped by the class.", drops),
	CLASS_METRIC("overlimits_total", "counter", "Times the class was over its rate.",
		     overlimits),
	CLASS_METRIC("backlog_bytes", "gauge", "Bytes queued in the class.", backlog_bytes),
	CLASS_METRIC("backlog_packets", "gauge", "Packets queued in the class.", backlog_packets),
	CLASS_METRIC("rate_bits", "gauge", "Guaranteed rate of the class in bit/s.", rate),
	CLASS_METRIC("ceil_bits", "gauge", "Ceiling rate of the class in bit/s.", ceil),
};

static uint64_t metric_value(const struct class_stats *s, const struct metric *m)
{
	return *(const uint64_t *)((const char *)s + m->offset);
}

/*
 * The nodes above a placement, from the top: "Site A / AP1"; "" for none.
 * A broken chain (a parent never placed) ends the path where it breaks.
 */
void node_path(const struct placements *placed, const struct placement *pl, char *buf, size_t len)
{
	const char *names[NETWORK_MAX_DEPTH + 1] = { NULL };
	size_t n = 0, used = 0;

	buf[0] = '\0';
	while (pl && pl->parent && n <= NETWORK_MAX_DEPTH) {
		pl = placements_find(placed, PLAN_NODE, pl->parent);
		if (pl)
			names[n++] = pl->id;
	}
	while (n-- > 0 && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", names[n], n ? " / " : "");
}

/* The path of a node itself: its ancestors' names and its own. */
static void node_full_path(const struct placements *placed, const struct placement *pl, char *buf,
			   size_t len)
{
	size_t used;

	node_path(placed, pl, buf, len);
	used = strlen(buf);
	snprintf(buf + used, len - used, "%s%s", used ? " / " : "", pl->id);
}

/*
 * stats ID...: keep only those customers (ids exactly as given) and say
 * which ids are nobody's: -ENOENT then.
 */
static int keep_ids(struct stats_view *v, char **ids, int nids)
{
	bool found[nids];
	size_t i, k = 0;
	int j, err = 0;

	for (j = 0; j < nids; j++)
		found[j] = false;
	for (i = 0; i < v->n; i++) {
		bool keep = false;

		for (j = 0; j < nids; j++)
			if (!strcmp(ids[j], v->customers[i]->id))
				keep = found[j] = true;
		if (keep)
			v->customers[k++] = v->customers[i];
	}
	v->n = k;
	for (j = 0; j < nids; j++)
		if (!found[j]) {
			pr_err("stats: no such customer '%s' is shaped\n", ids[j]);
			err = -ENOENT;
		}
	return err;
}

/* id="...",name="..." of a customer, as its series carry them */
static void prom_customer_labels(FILE *f, const struct placement *a)
{
	fprintf(f, "id=\"");
	prom_label(f, a->id);
	fprintf(f, "\",name=\"");
	prom_label(f, a->name);
	fprintf(f, "\"");
}

/* The series of metric m of a customer's or a node's class, one per direction. */
static void prom_class(FILE *f, const struct stats_view *v, const struct metric *m,
		       const struct placement *a)
{
	uint32_t classid = xs_classid(a->txq, a->minor);
	bool node = a->kind == PLAN_NODE;
	unsigned int k;
	enum xs_dir d;

	for_each_role(k, d) {
		const struct class_stats *s = stats_find_class(&v->is[d], classid);

		if (!s)
			continue;
		fprintf(f, "xshaper_%s_%s{", node ? "node" : "customer", m->name);
		if (node) {
			fprintf(f, "node=\"");
			prom_label(f, a->id);
			fprintf(f, "\"");
		} else {
			prom_customer_labels(f, a);
		}
		fprintf(f, ",direction=\"%s\"} %" PRIu64 "\n", role_direction(d),
			metric_value(s, m));
	}
}

/*
 * The TCP monitor of every customer that has a record, since start: RTT
 * as a Prometheus histogram per side (bucket b of the programs holds
 * [2^b, 2^(b+1)) microseconds, the last one everything above), and the
 * retransmits per direction.
 */
static void prom_monitor(FILE *f, const struct stats_view *v)
{
	unsigned int k, b;
	enum xs_dir d;
	size_t i;

	fprintf(f, "# HELP xshaper_customer_rtt_seconds TCP round-trip time seen passing the box, "
		   "lan: to the customer and back, wan: to the far end and back.\n"
		   "# TYPE xshaper_customer_rtt_seconds histogram\n");
	for (i = 0; i < v->n; i++) {
		const struct placement *a = v->customers[i];
		const struct steer_monitor *mon =
			steer_monitor_find(v->mon_now, v->nmon_now, xs_classid(a->txq, a->minor));
		uint64_t sum;

		for_each_role(k, d) {
			if (!mon)
				break;
			for (b = 0, sum = 0; b + 1 < XS_RTT_BUCKETS; b++) {
				sum += mon->m.rtt_hist[d][b];
				fprintf(f, "xshaper_customer_rtt_seconds_bucket{");
				prom_customer_labels(f, a);
				fprintf(f, ",side=\"%s\",le=\"%g\"} %" PRIu64 "\n", role_name(d),
					(double)(2ULL << b) / 1e6, sum);
			}
			fprintf(f, "xshaper_customer_rtt_seconds_bucket{");
			prom_customer_labels(f, a);
			fprintf(f, ",side=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", role_name(d),
				(uint64_t)mon->m.rtt_samples[d]);
			fprintf(f, "xshaper_customer_rtt_seconds_sum{");
			prom_customer_labels(f, a);
			fprintf(f, ",side=\"%s\"} %.6f\n", role_name(d),
				(double)mon->m.rtt_sum_us[d] / 1e6);
			fprintf(f, "xshaper_customer_rtt_seconds_count{");
			prom_customer_labels(f, a);
			fprintf(f, ",side=\"%s\"} %" PRIu64 "\n", role_name(d),
				(uint64_t)mon->m.rtt_samples[d]);
		}
	}
	fprintf(f, "# HELP xshaper_customer_retransmits_total TCP segments sent again, by "
		   "direction.\n# TYPE xshaper_customer_retransmits_total counter\n");
	for (i = 0; i < v->n; i++) {
		const struct placement *a = v->customers[i];
		const struct steer_monitor *mon =
			steer_monitor_find(v->mon_now, v->nmon_now, xs_classid(a->txq, a->minor));

		for_each_role(k, d) {
			if (!mon)
				break;
			fprintf(f, "xshaper_customer_retransmits_total{");
			prom_customer_labels(f, a);
			fprintf(f, ",direction=\"%s\"} %" PRIu64 "\n", role_direction(d),
				(uint64_t)mon->m.retransmits[d]);
		}
	}
}

void stats_prometheus(FILE *f, const struct stats_view *v)
{
	const struct metric *m;
	unsigned int cpu, d, k;
	size_t i;

	for (m = class_metrics; m < class_metrics + sizeof(class_metrics) / sizeof(*m); m++) {
		fprintf(f, "# HELP xshaper_customer_%s %s\n", m->name, m->help);
		fprintf(f, "# TYPE xshaper_customer_%s %s\n", m->name, m->type);
		for (i = 0; i < v->n; i++)
			prom_class(f, v, m, v->customers[i]);
		if (v->nnodes) {
			fprintf(f, "# HELP xshaper_node_%s %s\n", m->name, m->help);
			fprintf(f, "# TYPE xshaper_node_%s %s\n", m->name, m->type);
		}
		for (i = 0; i < v->nnodes; i++)
			prom_class(f, v, m, v->nodes[i]);
		fprintf(f, "# HELP xshaper_default_%s %s\n", m->name, m->help);
		fprintf(f, "# TYPE xshaper_default_%s %s\n", m->name, m->type);
		for_each_role(k, d) {
			for (i = 0; i < v->is[d].n; i++) {
				const struct class_stats *s = &v->is[d].v[i];

				if (xs_handle_minor(s->classid) != XS_DEFAULT_MINOR)
					continue;
				fprintf(f,
					"xshaper_default_%s{direction=\"%s\",txq=\"%u\"} %" PRIu64
					"\n",
					m->name, role_direction(d), xs_classid_txq(s->classid),
					metric_value(s, m));
			}
		}
	}
	prom_monitor(f, v);
	fprintf(f, "# HELP xshaper_xdp_packets_total Packets seen by the XDP programs, by "
		   "outcome; trie, pppoe and mpls count besides the outcome.\n"
		   "# TYPE xshaper_xdp_packets_total counter\n");
	for (cpu = 0; cpu < v->ncpus; cpu++)
		for (d = 0; d < XS_DIRS; d++)
			for (k = 0; k < XS_XDP_STATS; k++)
				fprintf(f,
					"xshaper_xdp_packets_total{cpu=\"%u\",interface=\"%s\","
					"outcome=\"%s\"} %llu\n",
					cpu, role_name(d), steer_xdp_stat_name(k),
					(unsigned long long)v->per_cpu[cpu].xdp[d][k]);
	fprintf(f, "# HELP xshaper_tc_packets_total Packets classified by the TC programs, by "
		   "outcome.\n# TYPE xshaper_tc_packets_total counter\n");
	for (cpu = 0; cpu < v->ncpus; cpu++)
		for (d = 0; d < XS_DIRS; d++)
			for (k = 0; k < XS_TC_STATS; k++)
				fprintf(f,
					"xshaper_tc_packets_total{cpu=\"%u\",interface=\"%s\","
					"outcome=\"%s\"} %llu\n",
					cpu, role_name(d), steer_tc_stat_name(k),
					(unsigned long long)v->per_cpu[cpu].tc[d][k]);
}

/*
 * A customer's "rtt" and "retransmits" over the interval (since start
 * without one): samples and p50/p95 per side from the histogram deltas,
 * null without samples.
 */
/* What the TCP monitor saw of a class over the view's interval (since start without one). */
static void monitor_delta(const struct stats_view *v, uint32_t classid, struct xs_monitor *d)
{
	const struct steer_monitor *now = steer_monitor_find(v->mon_now, v->nmon_now, classid);
	const struct steer_monitor *then = steer_monitor_find(v->mon_then, v->nmon_then, classid);

	memset(d, 0, sizeof(*d));
	if (now)
		steer_monitor_delta(&now->m, then ? &then->m : NULL, d);
}

/*
 * What the monitor saw of the customers under each node (all levels below
 * it), by index in v->placed: a node's RTT is its customers' samples
 * together. NULL when memory runs out (the nodes then show none).
 */
static struct xs_monitor *node_monitors(const struct stats_view *v)
{
	struct xs_monitor *agg = calloc(v->placed.n + 1, sizeof(*agg)), d;
	unsigned int k, b, depth;
	size_t i;

	for (i = 0; agg && v->nnodes && i < v->n; i++) {
		const struct placement *pl = v->customers[i];

		monitor_delta(v, xs_classid(pl->txq, pl->minor), &d);
		for (depth = 0; pl->parent && depth < NETWORK_MAX_DEPTH; depth++) {
			struct xs_monitor *m;

			pl = placements_find(&v->placed, PLAN_NODE, pl->parent);
			if (!pl)
				break;
			m = &agg[pl - v->placed.v];
			for (k = 0; k < XS_DIRS; k++) {
				m->rtt_samples[k] += d.rtt_samples[k];
				m->rtt_sum_us[k] += d.rtt_sum_us[k];
				m->retransmits[k] += d.retransmits[k];
				for (b = 0; b < XS_RTT_BUCKETS; b++)
					m->rtt_hist[k][b] += d.rtt_hist[k][b];
			}
		}
	}
	return agg;
}

static void print_monitor_json(const struct xs_monitor *m)
{
	static const double quantiles[] = { 0.5, 0.95 };
	static const char *const names[] = { "p50_ms", "p95_ms" };
	const struct xs_monitor none = {};
	const struct xs_monitor d = m ? *m : none;
	unsigned int i, k, side;
	double ms;

	printf(",\"rtt\":{");
	for_each_role(k, side) {
		printf("%s\"%s\":{\"samples\":%" PRIu64, k ? "," : "", role_name(side),
		       (uint64_t)d.rtt_samples[side]);
		for (i = 0; i < 2; i++) {
			if (steer_rtt_quantile_ms(&d, side, quantiles[i], &ms))
				printf(",\"%s\":null", names[i]);
			else
				printf(",\"%s\":%.3f", names[i], ms);
		}
		printf("}");
	}
	printf("},\"retransmits\":{");
	for_each_role(k, side)
		printf("%s\"%s\":%" PRIu64, k ? "," : "", role_direction(side),
		       (uint64_t)d.retransmits[side]);
	printf("}");
}

/* What a customer's and a node's JSON objects end with: where, and the classes. */
static void print_place_json(const struct stats_view *v, const struct placement *a)
{
	uint32_t classid = xs_classid(a->txq, a->minor);

	printf(",\"parent\":");
	if (a->parent)
		json_string(a->parent);
	else
		printf("null");
	printf(",\"cpu\":%u,\"txq\":%u,\"down\":", a->cpu, a->txq);
	print_class_json(stats_find_class(&v->is[XS_LAN], classid));
	printf(",\"up\":");
	print_class_json(stats_find_class(&v->is[XS_WAN], classid));
	printf("}");
}

static void stats_json(const struct stats_view *v)
{
	struct xs_monitor mon, *agg;
	unsigned int cpu, d, k;
	bool first = true;
	size_t i;

	printf("{\"customers\":[");
	for (i = 0; i < v->n; i++) {
		const struct placement *a = v->customers[i];

		printf("%s{\"id\":", first ? "" : ",");
		json_string(a->id);
		printf(",\"name\":");
		json_string(a->name);
		monitor_delta(v, xs_classid(a->txq, a->minor), &mon);
		print_monitor_json(&mon);
		print_place_json(v, a);
		first = false;
	}
	printf("],\"nodes\":[");
	agg = node_monitors(v);
	for (i = 0; i < v->nnodes; i++) {
		const struct placement *a = v->nodes[i];
		char path[PATH_LEN];

		node_full_path(&v->placed, a, path, sizeof(path));
		printf("%s{\"name\":", i ? "," : "");
		json_string(a->id);
		printf(",\"path\":");
		json_string(path);
		print_monitor_json(agg ? &agg[a - v->placed.v] : NULL);
		print_place_json(v, a);
	}
	free(agg);
	printf("],\"default\":[");
	first = true;
	for_each_role(k, d) {
		for (i = 0; i < v->is[d].n; i++) {
			const struct class_stats *s = &v->is[d].v[i];

			if (xs_handle_minor(s->classid) != XS_DEFAULT_MINOR)
				continue;
			printf("%s{\"direction\":\"%s\",\"txq\":%u,\"class\":", first ? "" : ",",
			       role_direction(d), xs_classid_txq(s->classid));
			print_class_json(s);
			printf("}");
			first = false;
		}
	}
	printf("],\"cpus\":[");
	first = true;
	for (cpu = 0; cpu < v->ncpus; cpu++) {
		printf("%s{\"cpu\":%u", first ? "" : ",", cpu);
		for (d = 0; d < XS_DIRS; d++) {
			printf(",\"%s\":{\"xdp\":{", role_name(d));
			for (k = 0; k < XS_XDP_STATS; k++)
				printf("%s\"%s\":%llu", k ? "," : "", steer_xdp_stat_name(k),
				       (unsigned long long)v->per_cpu[cpu].xdp[d][k]);
			printf("},\"tc\":{");
			for (k = 0; k < XS_TC_STATS; k++)
				printf("%s\"%s\":%llu", k ? "," : "", steer_tc_stat_name(k),
				       (unsigned long long)v->per_cpu[cpu].tc[d][k]);
			printf("}}");
		}
		printf("}");
		first = false;
	}
	printf("]}\n");
}

static const char *human_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = b;
	unsigned int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
	return buf;
}

/*
 * The TCP monitor's columns of a customer's row in direction dir: the RTT
 * p50/p95 of the side that direction's data is acknowledged from (down:
 * lan, up: wan) and the retransmits going that way; "" for other rows.
 */
static void monitor_columns(const struct xs_monitor *d, enum xs_dir dir, char *buf, size_t len)
{
	double p50, p95;

	if (!d) {
		buf[0] = '\0';
		return;
	}
	if (steer_rtt_quantile_ms(d, dir, 0.5, &p50) || steer_rtt_quantile_ms(d, dir, 0.95, &p95))
		snprintf(buf, len, " %8s %8s %6" PRIu64, "-", "-", (uint64_t)d->retransmits[dir]);
	else
		snprintf(buf, len, " %8.1f %8.1f %6" PRIu64, p50, p95,
			 (uint64_t)d->retransmits[dir]);
}

static void print_class_text(const char *id, const char *name, const char *dir,
			     const struct class_stats *s, const char *monitor)
{
	char rate[24], ceil[24], now[24], bytes[24];

	if (!s) {
		printf("%-10s %-16.16s %-4s  (class missing)\n", id, name, dir);
		return;
	}
	printf("%-10s %-16.16s %-4s %8s %8s %10s %12" PRIu64 " %8" PRIu64 " %10" PRIu64 " %8" PRIu64
	       " %9s%s\n",
	       id, name, dir, rate_format(s->rate, rate, sizeof(rate)),
	       rate_format(s->ceil, ceil, sizeof(ceil)),
	       human_bytes(s->bytes, bytes, sizeof(bytes)), s->packets, s->drops, s->overlimits,
	       s->backlog_packets, s->bps ? rate_format(s->bps, now, sizeof(now)) : "0", monitor);
}

static void stats_text(const struct stats_view *v, bool only_ids)
{
	struct xs_monitor *agg;
	unsigned int cpu, d, k;
	size_t i;

	printf("%-10s %-16s %-4s %8s %8s %10s %12s %8s %10s %8s %9s %8s %8s %6s\n", "id", "name",
	       "dir", "rate", "ceil", "bytes", "packets", "drops", "overlimits", "backlog", "now",
	       "rtt p50", "rtt p95", "retr");
	for (i = 0; i < v->n; i++) {
		const struct placement *a = v->customers[i];
		uint32_t classid = xs_classid(a->txq, a->minor);
		char id[CUSTOMER_ID_MAX * 4 + 1], name[17], cols[64];
		struct xs_monitor mon;

		text_escape(id, sizeof(id), a->id, strlen(a->id));
		/* the column holds 16 bytes: cut at a whole character or escape */
		text_escape(name, sizeof(name), a->name, strlen(a->name));
		monitor_delta(v, classid, &mon);
		for_each_role(k, d) {
			monitor_columns(&mon, d, cols, sizeof(cols));
			print_class_text(id, name, role_direction(d),
					 stats_find_class(&v->is[d], classid), cols);
		}
	}
	if (only_ids)
		return;
	agg = node_monitors(v);
	for (i = 0; i < v->nnodes; i++) {
		const struct placement *a = v->nodes[i];
		uint32_t classid = xs_classid(a->txq, a->minor);
		char id[NETWORK_NAME_MAX * 4 + 1], path[PATH_LEN], name[17], cols[64];

		text_escape(id, sizeof(id), a->id, strlen(a->id));
		node_path(&v->placed, a, path, sizeof(path));
		/* the name column: what it hangs under */
		text_escape(name, sizeof(name), path[0] ? path : "(top)",
			    strlen(path[0] ? path : "(top)"));
		for_each_role(k, d) {
			monitor_columns(agg ? &agg[a - v->placed.v] : NULL, d, cols, sizeof(cols));
			print_class_text(id, name, role_direction(d),
					 stats_find_class(&v->is[d], classid), cols);
		}
	}
	free(agg);
	for_each_role(k, d)
		for (i = 0; i < v->is[d].n; i++) {
			const struct class_stats *s = &v->is[d].v[i];
			char label[24];

			if (xs_handle_minor(s->classid) != XS_DEFAULT_MINOR)
				continue;
			snprintf(label, sizeof(label), "txq %u", xs_classid_txq(s->classid));
			print_class_text("default", label, role_direction(d), s, "");
		}
	printf("\n%-4s %-4s", "cpu", "if");
	for (k = 0; k < XS_XDP_STATS; k++)
		printf(" %12s", steer_xdp_stat_name(k));
	for (k = 0; k < XS_TC_STATS; k++)
		printf("  tc_%-10s", steer_tc_stat_name(k));
	printf("\n");
	for (cpu = 0; cpu < v->ncpus; cpu++)
		for (d = 0; d < XS_DIRS; d++) {
			printf("%-4u %-4s", cpu, role_name(d));
			for (k = 0; k < XS_XDP_STATS; k++)
				printf(" %12llu", (unsigned long long)v->per_cpu[cpu].xdp[d][k]);
			for (k = 0; k < XS_TC_STATS; k++)
				printf(" %12llu", (unsigned long long)v->per_cpu[cpu].tc[d][k]);
			printf("\n");
		}
}

static void silent(enum log_level level, const char *msg)
{
}

/*
 * Where the last run placed everything (its placements file), or when
 * that is gone, the customers of the list found by their prefixes in the
 * maps (nodes then are not known).
 */
static int read_placed(const struct xs_config *cfg, struct steer *steer, struct placements *out)
{
	struct customer_list list = {};
	struct steer_snapshot snap = {};
	struct network net = {};
	char path[PATH_MAX];
	int err;

	err = steer_plan_path(cfg, false, path, sizeof(path));
	if (!err)
		err = plan_load(path, out);
	if (err != -ENOENT && err != -EINVAL)
		return err;
	pr_warn("%s: no placements of the last run; customers are found by their prefixes, "
		"nodes not at all (a reload writes them)\n",
		path);
	log_set_sink(silent);
	err = network_load(cfg->network_file, cfg, &net);
	if (!err)
		err = customers_load(cfg->customers_file, cfg, &net, &list);
	log_set_sink(NULL);
	if (!err)
		err = steer_snapshot_read(steer, &snap);
	if (!err)
		err = steer_snapshot_placements(&snap, &list, out);
	steer_snapshot_free(&snap);
	customers_free(&list);
	network_free(&net);
	return err == -ENOMEM ? err : 0;
}

/* The customers of the placements, in their order (by id). */
static int pick_customers(struct stats_view *v)
{
	size_t i;

	v->customers = calloc(v->placed.n + 1, sizeof(*v->customers));
	v->nodes = calloc(v->placed.n + 1, sizeof(*v->nodes));
	if (!v->customers || !v->nodes)
		return -ENOMEM;
	for (i = 0; i < v->placed.n; i++) {
		if (v->placed.v[i].kind == PLAN_CUSTOMER)
			v->customers[v->n++] = &v->placed.v[i];
		else
			v->nodes[v->nnodes++] = &v->placed.v[i];
	}
	return 0;
}

static uint64_t less(uint64_t v, uint64_t base)
{
	return v > base ? v - base : 0;
}

/*
 * A customer given a class another one had (a spare, conf/plan.h) counts
 * from its baseline: it is shown what its class counted since. A class
 * that counts fewer bytes than the baseline was made again, and counts
 * from zero itself.
 */
static void subtract_baselines(struct stats_view *v)
{
	size_t i;
	int dir;

	for (i = 0; i < v->n; i++) {
		const struct placement *pl = v->customers[i];

		for (dir = 0; dir < XS_DIRS; dir++) {
			const uint64_t *base = pl->base[dir];
			struct class_stats *s =
				stats_find_class(&v->is[dir], xs_classid(pl->txq, pl->minor));

			if (!s || s->bytes < base[PLAN_BYTES])
				continue;
			s->bytes -= base[PLAN_BYTES];
			/* libnl's packet count has 32 bits, and so has the baseline's */
			s->packets = (uint32_t)(s->packets - base[PLAN_PACKETS]);
			s->drops = less(s->drops, base[PLAN_DROPS]);
			s->overlimits = less(s->overlimits, base[PLAN_OVERLIMITS]);
		}
	}
}

int stats_view_read(const struct xs_config *cfg, unsigned int interval, bool quiet,
		    struct stats_view *v)
{
	struct steer *steer = NULL;
	struct xs_stats total;
	int err;

	memset(v, 0, sizeof(*v));
	v->cfg = cfg;
	err = quiet ? steer_open_started(cfg, &steer) : steer_open(cfg, &steer);
	if (!err && !steer)
		return -ENOENT;
	if (err)
		return err;
	err = read_placed(cfg, steer, &v->placed);
	if (!err)
		err = pick_customers(v);
	if (!err)
		err = steer_read_stats(steer, &v->per_cpu, &v->ncpus, &total);
	/* the TCP monitor before and after the interval, for its deltas */
	if (!err && interval)
		err = steer_read_monitor(steer, &v->mon_then, &v->nmon_then);
	if (!err)
		err = read_stats(cfg, interval, v->is);
	if (!err)
		subtract_baselines(v);
	if (!err)
		err = steer_read_monitor(steer, &v->mon_now, &v->nmon_now);
	steer_close(steer);
	return err;
}

void stats_view_free(struct stats_view *v)
{
	free(v->is[0].v);
	free(v->is[1].v);
	free(v->per_cpu);
	free(v->mon_then);
	free(v->mon_now);
	free(v->customers);
	free(v->nodes);
	placements_free(&v->placed);
	memset(v, 0, sizeof(*v));
}

int cmd_stats(const char *config, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{},
	};
	struct stats_view v = {};
	enum format format = FORMAT_TEXT;
	int interval = -1, opt, ret = XS_EXIT_SYSTEM;
	struct xs_config cfg;
	int i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			format = FORMAT_JSON;
			break;
		case 'p':
			format = FORMAT_PROMETHEUS;
			break;
		case 'i': {
			char *end;

			errno = 0;
			interval = (int)strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || interval < 0 ||
			    interval > STATS_INTERVAL_MAX) {
				pr_err("stats: --interval takes 0 to %d seconds\n",
				       STATS_INTERVAL_MAX);
				return XS_EXIT_INVALID;
			}
			break;
		}
		default:
			pr_err("usage: xshaper stats [--json|--prometheus] [--interval S] "
			       "[ID...]\n");
			return XS_EXIT_INVALID;
		}
	}
	for (i = optind; i < argc; i++) {
		if (customer_id_check(argv[i])) {
			pr_err("stats: '%s' is not a customer id (1 to %d bytes of text)\n",
			       argv[i], CUSTOMER_ID_MAX);
			return XS_EXIT_INVALID;
		}
	}
	/* Prometheus computes rates from the counters itself. */
	if (interval < 0)
		interval = format == FORMAT_PROMETHEUS ? 0 : 1;
	if (load_config(config, &cfg))
		return XS_EXIT_INVALID;
	if (stats_view_read(&cfg, (unsigned int)interval, false, &v))
		goto out;
	if (optind < argc) {
		if (keep_ids(&v, argv + optind, argc - optind))
			ret = XS_EXIT_INVALID;
		v.nnodes = 0;
	}
	if (format == FORMAT_JSON)
		stats_json(&v);
	else if (format == FORMAT_PROMETHEUS)
		stats_prometheus(stdout, &v);
	else
		stats_text(&v, optind < argc);
	if (ret != XS_EXIT_INVALID)
		ret = XS_EXIT_OK;
out:
	stats_view_free(&v);
	return ret;
}

static const char *when(uint64_t t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;

	if (!t)
		return "never";
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* The trees of wan and lan against the placements of the last run. */
static int verify_trees(const struct xs_config *cfg, const struct placements *placed,
			struct problems *p)
{
	struct tc_sock *ts;
	struct tree live;
	int err, dir;

	err = tc_sock_open(&ts);
	if (err)
		return err;
	for (dir = 0; dir < XS_DIRS && !err; dir++) {
		/* a missing interface is steer_verify's problem to list */
		if (!if_nametoindex(config_ifname(cfg, dir)))
			continue;
		err = tree_read(ts, config_ifname(cfg, dir), &live);
		if (!err)
			tree_verify(&live, cfg, placed, p);
		tree_free(&live);
	}
	tc_sock_close(ts);
	return err;
}

int cmd_status(const char *config, int argc, char **argv)
{
	struct steer_iface ifs[XS_DIRS];
	struct placements placed = {};
	struct steer_table_usage tu = {};
	struct steer *steer = NULL;
	struct xs_state st = {};
	struct xs_config cfg;
	struct problems p = {};
	bool json = false, started;
	int ret = XS_EXIT_OK;
	size_t n = 0, nodes = 0;
	char t1[32], t2[32];
	unsigned int i;

	if (argc == 2 && !strcmp(argv[1], "--json")) {
		json = true;
	} else if (argc > 1) {
		pr_err("usage: xshaper status [--json]\n");
		return XS_EXIT_INVALID;
	}
	if (load_config(config, &cfg))
		return XS_EXIT_INVALID;
	resolve_queues(&cfg); /* for the tree count; 1 a CPU when it cannot */
	if (steer_query(&cfg, ifs))
		return XS_EXIT_SYSTEM;
	if (steer_open_started(&cfg, &steer))
		return XS_EXIT_SYSTEM;
	started = steer != NULL;
	if (started) {
		steer_state_get(steer, &st);
		if (read_placed(&cfg, steer, &placed))
			ret = XS_EXIT_SYSTEM;
		for (i = 0; i < placed.n; i++)
			*(placed.v[i].kind == PLAN_NODE ? &nodes : &n) += 1;
		steer_table_usage(steer, &tu);
		if (verify_trees(&cfg, &placed, &p) || steer_verify(steer, &cfg, &p))
			ret = XS_EXIT_SYSTEM;
	}
	if (p.n)
		ret = XS_EXIT_SYSTEM;
	if (json) {
		printf("{\"started\":%s,\"interfaces\":[", started ? "true" : "false");
		for (i = 0; i < XS_DIRS; i++) {
			printf("%s{\"role\":\"%s\",\"name\":", i ? "," : "", role_name(i));
			json_string(ifs[i].name);
			printf(",\"ifindex\":%u,\"xdp_prog_id\":%u,\"xdp_mode\":\"%s\","
			       "\"xdp_ours\":%s,\"tc_prog_id\":%u,\"tc_ours\":%s}",
			       ifs[i].ifindex, ifs[i].xdp_prog_id, xdp_mode_name(ifs[i].xdp_mode),
			       ifs[i].xdp_ours ? "true" : "false", ifs[i].tc_prog_id,
			       ifs[i].tc_ours ? "true" : "false");
		}
		printf("],\"cpus\":[");
		for (i = 0; i < cfg.ncpus; i++)
			printf("%s%u", i ? "," : "", cfg.cpus[i]);
		printf("],\"queues_per_cpu\":%u,\"trees\":%u,\"customers\":%zu,\"nodes\":%zu,"
		       "\"started_at\":%llu,\"last_reload\":{\"time\":%llu,\"added\":%u,"
		       "\"removed\":%u,\"changed\":%u,\"moved\":%u,\"unchanged\":%u,"
		       "\"seconds\":%.3f},\"lookup_table\":{\"chunks\":%zu,\"capacity\":%zu,"
		       "\"trie_entries\":%zu},\"problems\":[",
		       cfg.queues_per_cpu, config_txqs(&cfg), n, nodes,
		       (unsigned long long)st.started, (unsigned long long)st.last_reload.time,
		       st.last_reload.added, st.last_reload.removed, st.last_reload.changed,
		       st.last_reload.moved, st.last_reload.unchanged, st.last_reload.msec / 1000.0,
		       tu.chunks, tu.capacity, tu.fallbacks);
		for (i = 0; i < p.n && i < XS_PROBLEMS_KEPT; i++) {
			printf("%s{\"repairable\":%s,\"text\":", i ? "," : "",
			       p.v[i].repairable ? "true" : "false");
			json_string(p.v[i].text);
			printf("}");
		}
		printf("],\"problem_count\":%u}\n", p.n);
	} else {
		for (i = 0; i < XS_DIRS; i++) {
			const struct steer_iface *f = &ifs[i];

			printf("%s: ", role_name(i));
			text_fputs(f->name, stdout);
			if (!f->ifindex) {
				printf(" (missing)\n");
				continue;
			}
			if (f->xdp_prog_id)
				printf(", XDP %s prog %u%s", xdp_mode_name(f->xdp_mode),
				       f->xdp_prog_id, f->xdp_ours ? "" : " (not xshaper's)");
			else
				printf(", no XDP");
			if (f->tc_prog_id)
				printf(", TC egress prog %u%s", f->tc_prog_id,
				       f->tc_ours ? "" : " (not xshaper's)");
			else
				printf(", no TC egress");
			printf("\n");
		}
		printf("cpus:");
		for (i = 0; i < cfg.ncpus; i++)
			printf(" %u", cfg.cpus[i]);
		printf(" (%u HTB tree%s per interface, %u per CPU)\n", config_txqs(&cfg),
		       config_txqs(&cfg) == 1 ? "" : "s", cfg.queues_per_cpu);
		if (!started) {
			printf("not started\n");
		} else {
			printf("customers: %zu\n", n);
			if (nodes)
				printf("nodes: %zu\n", nodes);
			printf("started: %s\n", when(st.started, t1, sizeof(t1)));
			printf("last reload: %s", when(st.last_reload.time, t2, sizeof(t2)));
			if (st.last_reload.time)
				printf(": %u added, %u removed, %u changed, %u moved, "
				       "%u unchanged, %.2f s",
				       st.last_reload.added, st.last_reload.removed,
				       st.last_reload.changed, st.last_reload.moved,
				       st.last_reload.unchanged, st.last_reload.msec / 1000.0);
			printf("\n");
			printf("lookup table: %zu of %zu chunks (%zu KiB) in use", tu.chunks,
			       tu.capacity, tu.capacity * sizeof(struct xs_tbl_slot) / 1024);
			if (tu.fallbacks)
				printf(", FULL: %zu entries left to the LPM trie; raise [system] "
				       "lookup_memory",
				       tu.fallbacks);
			printf("\n");
		}
	}
	if (!json) {
		for (i = 0; i < p.n && i < XS_PROBLEMS_KEPT; i++) {
			printf("problem: ");
			text_fputs(p.v[i].text, stdout);
			printf(" (%s)\n",
			       p.v[i].repairable ? "reload repairs it" : "the operator's to fix");
		}
		if (p.n > XS_PROBLEMS_KEPT)
			printf("problem: ... and %u more\n", p.n - XS_PROBLEMS_KEPT);
		if (started && !p.n)
			printf("data path: as start left it\n");
	}
	placements_free(&placed);
	steer_close(steer);
	return ret;
}

int cmd_lookup(const char *config, int argc, char **argv)
{
	struct placements placed = {};
	const struct placement *pl;
	struct steer *steer = NULL;
	struct steer_match m;
	struct xs_config cfg;
	char path[PATH_LEN];
	int err, ret = XS_EXIT_SYSTEM;

	if (argc != 2) {
		pr_err("usage: xshaper lookup ADDRESS\n");
		return XS_EXIT_INVALID;
	}
	if (load_config(config, &cfg))
		return XS_EXIT_INVALID;
	if (steer_open(&cfg, &steer))
		return XS_EXIT_SYSTEM;
	/* steer_lookup reports what failed, an address that is none included */
	err = steer_lookup(steer, argv[1], &m);
	if (!err && m.known)
		err = read_placed(&cfg, steer, &placed);
	if (err == -EINVAL) {
		ret = XS_EXIT_INVALID;
	} else if (!err && !m.known) {
		printf("%s: no customer (unknown = %s)\n", m.address_text,
		       unknown_policy_name(m.unknown));
		ret = XS_EXIT_OK;
	} else if (!err) {
		pl = placements_by_classid(&placed, m.customer.classid);
		printf("%s: customer ", m.address_text);
		text_fputs(pl ? pl->id : "?", stdout);
		if (pl && pl->name[0]) {
			printf(" (");
			text_fputs(pl->name, stdout);
			printf(")");
		}
		node_path(&placed, pl, path, sizeof(path));
		if (path[0]) {
			printf(", node ");
			text_fputs(path, stdout);
		}
		printf(", prefix %s, cpu %u, txq %u, classid %s%s\n", m.prefix_text, m.customer.cpu,
		       m.customer.txq, m.classid_text,
		       m.via_trie ? " (from the LPM trie: the lookup table is full here)" : "");
		ret = XS_EXIT_OK;
	}
	placements_free(&placed);
	steer_close(steer);
	return ret;
}
