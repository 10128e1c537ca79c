// SPDX-License-Identifier: GPL-2.0-only
/*
 * xshaper: per-customer traffic shaping for ISPs. XDP steers each
 * customer to the CPU that owns it; per-CPU MQ/HTB trees shape it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "conf/config.h"
#include "cmd/commands.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xshaper [-c FILE] [-v|-q] COMMAND [ARGS]\n"
		   "\n"
		   "  check                 validate config and customer list; touch nothing\n"
		   "  start [--force]       load and attach programs, build trees, load customers\n"
		   "  reload [--dry-run] [--force]\n"
		   "                        re-read the customer list, apply only the difference,\n"
		   "                        repair the data path; --force: past max_removed\n"
		   "  stop                  detach and remove everything xshaper created\n"
		   "  status [--json]       what is attached where, CPUs, queues, customer count;\n"
		   "                        exit 2 when the data path is not what start left\n"
		   "  stats [--json|--prometheus] [--interval S] [ID...]\n"
		   "                        per-customer and per-CPU counters\n"
		   "  lookup ADDRESS        the customer, CPU, TX queue and classid of an address\n"
		   "  exporter [--listen ADDRESS:PORT]\n"
		   "                        Prometheus /metrics over HTTP (127.0.0.1:9847)\n"
		   "  top [--once] [--sort rate|name|drops]\n"
		   "                        live view of customers and nodes by current rate\n"
		   "\n"
		   "options:\n"
		   "  -c, --config FILE     config file (default " XS_DEFAULT_CONFIG ")\n"
		   "  -v, --verbose         more messages (twice: debug, with libbpf's)\n"
		   "  -q, --quiet           errors only\n"
		   "  -h, --help            this text\n"
		   "  -V, --version         print the version\n"
		   "\n"
		   "exit status: 0 done; 1 invalid config or input (nothing was touched);\n"
		   "2 system error; 3 another xshaper held the lock past lock_timeout\n");
}

static const struct command {
	const char *name;
	int (*run)(const char *config, int argc, char **argv);
} commands[] = {
	{ "check", cmd_check },	  { "start", cmd_start },	{ "reload", cmd_reload },
	{ "stop", cmd_stop },	  { "status", cmd_status },	{ "stats", cmd_stats },
	{ "lookup", cmd_lookup }, { "exporter", cmd_exporter }, { "top", cmd_top },
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },	    { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },	    {},
	};
	const char *config = XS_DEFAULT_CONFIG;
	int level = LOG_LEVEL_INFO;
	unsigned int i;
	int opt;

	/* '+': stop at the command, its own options are its own */
	while ((opt = getopt_long(argc, argv, "+c:vqhV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'v':
			if (level < LOG_LEVEL_DEBUG)
				level++;
			break;
		case 'q':
			level = LOG_LEVEL_ERR;
			break;
		case 'h':
			usage(stdout);
			return XS_EXIT_OK;
		case 'V':
			printf("xshaper %s\n", XS_VERSION);
			return XS_EXIT_OK;
		default:
			usage(stderr);
			return XS_EXIT_INVALID;
		}
	}
	log_set_level(level);
	if (optind >= argc) {
		usage(stderr);
		return XS_EXIT_INVALID;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			optind++;
			return commands[i].run(config, argc - optind + 1, argv + optind - 1);
		}
	}
	pr_err("unknown command '%s'; see xshaper --help\n", argv[optind]);
	return XS_EXIT_INVALID;
}
