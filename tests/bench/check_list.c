// SPDX-License-Identifier: GPL-2.0-only
/*
 * check_list [-c INI] [CSV]
 *
 * What `xshaper check` costs on a big list: load the config (defaults
 * without -c), read and validate the customer list (CSV, or [customers] file
 * of the config), build the plan from nothing and again from itself as a
 * reload would. Prints one line of key=value timings and the peak RSS from
 * getrusage. Exit 0 when valid, 1 when not.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/customers.h"
#include "conf/plan.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct customer_list list;
	struct plan plan, again;
	struct xs_config cfg;
	struct rusage ru;
	const char *ini = NULL, *csv;
	double t0, t1, t2, t3;
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
	if (customers_load(csv, &cfg, &list))
		return 1;
	t1 = now();
	err = plan_build(&cfg, &list, NULL, 0, &plan);
	if (err) {
		customers_free(&list);
		return 1;
	}
	t2 = now();
	err = plan_build(&cfg, &list, plan.v, plan.n, &again);
	t3 = now();
	getrusage(RUSAGE_SELF, &ru);
	printf("customers=%zu prefixes_v4=%zu prefixes_v6=%zu txqs=%u load_s=%.3f plan_s=%.3f "
	       "replan_s=%.3f total_s=%.3f maxrss_mb=%.1f\n",
	       list.n, list.nprefixes_v4, list.nprefixes_v6, config_txqs(&cfg), t1 - t0, t2 - t1,
	       t3 - t2, t3 - t0, (double)ru.ru_maxrss / 1024.0);
	plan_free(&plan);
	plan_free(&again);
	customers_free(&list);
	return err ? 1 : 0;
}
