// SPDX-License-Identifier: GPL-2.0-only
/*
 * check_list [-c INI] [CSV]
 *
 * What `xshaper check` costs on a big list: load the config (defaults
 * without -c), its network file if it names one, read and validate the
 * customer list (CSV, or [customers] file of the config), build the plan
 * from nothing, save its placements and read them back (plan_save,
 * plan_load, as a run and the next one do), and build the plan again from
 * them as a reload would. Prints one line of key=value timings, how many
 * classes the second plan moved (none, or the plan is not stable) and the
 * peak RSS from getrusage. Exit 0 when valid and stable, 1 when not.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/customers.h"
#include "conf/network.h"
#include "conf/plan.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Classes of b not where a put them (both plans of the same inputs, in the same order). */
static size_t moved(const struct plan *a, const struct plan *b)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->classes[i].cpu != b->classes[i].cpu ||
		     a->classes[i].txq != b->classes[i].txq ||
		     a->classes[i].minor != b->classes[i].minor;
	return n;
}

/* plan's placements through a file in a scratch directory, as the next run reads them */
static int save_and_load(const struct plan *plan, struct placements *out)
{
	char dir[] = "/tmp/check_list.XXXXXX", path[PATH_MAX];
	int err;

	memset(out, 0, sizeof(*out));
	if (!mkdtemp(dir)) {
		err = -errno;
		fprintf(stderr, "check_list: %s: %s\n", dir, strerror(-err));
		return err;
	}
	snprintf(path, sizeof(path), "%s/plan", dir);
	err = plan_save(plan, path);
	if (!err)
		err = plan_load(path, out);
	unlink(path);
	rmdir(dir);
	return err;
}

int main(int argc, char **argv)
{
	struct customer_list list = {};
	struct plan plan = {}, again = {};
	struct placements prev = {};
	struct network net = {};
	struct xs_config cfg;
	struct rusage ru;
	const char *ini = NULL, *csv;
	double t0, t1, t2, t3, t4;
	size_t nmoved = 0;
	int opt, err;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c') {
			fprintf(stderr, "usage: check_list [-c INI] [CSV]\n");
			return 1;
		}
		ini = optarg;
	}
	t0 = now();
	config_defaults(&cfg);
	if (ini && config_load(ini, &cfg))
		return 1;
	csv = optind < argc ? argv[optind] : cfg.customers_file;
	err = network_load(cfg.network_file, &cfg, &net);
	if (!err)
		err = customers_load(csv, &cfg, &net, &list);
	if (err)
		goto out;
	t1 = now();
	err = plan_build(&cfg, &net, &list, NULL, NULL, 0, NULL, &plan);
	if (err)
		goto out;
	t2 = now();
	err = save_and_load(&plan, &prev);
	if (!err && prev.n != plan.n) {
		fprintf(stderr, "check_list: %zu classes planned, %zu placements read back\n",
			plan.n, prev.n);
		err = -EINVAL;
	}
	if (err)
		goto out;
	t3 = now();
	err = plan_build(&cfg, &net, &list, &prev, NULL, 0, NULL, &again);
	if (err)
		goto out;
	t4 = now();
	nmoved = moved(&plan, &again);
	getrusage(RUSAGE_SELF, &ru);
	printf("customers=%zu nodes=%zu prefixes_v4=%zu prefixes_v6=%zu txqs=%u load_s=%.3f "
	       "plan_s=%.3f save_load_s=%.3f replan_s=%.3f total_s=%.3f moved=%zu "
	       "maxrss_mb=%.1f\n",
	       list.n, plan.nnodes, list.nprefixes_v4, list.nprefixes_v6, config_txqs(&cfg),
	       t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, nmoved, (double)ru.ru_maxrss / 1024.0);
	if (nmoved)
		fprintf(stderr, "check_list: the plan from its own placements moved %zu classes\n",
			nmoved);
out:
	plan_free(&plan);
	plan_free(&again);
	placements_free(&prev);
	customers_free(&list);
	network_free(&net);
	return err || nmoved ? 1 : 0;
}
