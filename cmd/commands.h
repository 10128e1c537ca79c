/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_COMMANDS_H
#define XSHAPER_COMMANDS_H

/* Exit status of the xshaper command (fixed: xshaper(8), EXIT STATUS). */
enum xs_exit {
	XS_EXIT_OK = 0,
	XS_EXIT_INVALID = 1, /* invalid config or input; nothing was touched */
	XS_EXIT_SYSTEM = 2, /* netlink, BPF, missing interface */
	XS_EXIT_LOCKED = 3, /* another xshaper held the lock past lock_timeout */
};

struct xs_config;
struct customer_list;
struct network;

/* config_defaults, then config_load: every problem is reported. */
int load_config(const char *config, struct xs_config *cfg);

/*
 * queues_per_cpu = auto: resolve it from the TX queues wan and lan have in
 * use. -ENODEV (or another -errno) when they cannot be read here; the
 * config then plans one tree a CPU.
 */
int resolve_queues(struct xs_config *cfg);

/*
 * Load the config and the network file and customer list it names; every
 * problem is reported. 0, or -errno with nothing touched (and net and list
 * empty).
 */
int load_inputs(const char *config, struct xs_config *cfg, struct network *net,
		struct customer_list *list);

/*
 * Each command gets the config path and its own argv (argv[0] is the
 * command name) and returns an enum xs_exit.
 */
int cmd_check(const char *config, int argc, char **argv);
int cmd_start(const char *config, int argc, char **argv);
int cmd_reload(const char *config, int argc, char **argv);
int cmd_stop(const char *config, int argc, char **argv);
int cmd_status(const char *config, int argc, char **argv);
int cmd_stats(const char *config, int argc, char **argv);
int cmd_lookup(const char *config, int argc, char **argv);
int cmd_exporter(const char *config, int argc, char **argv);
int cmd_top(const char *config, int argc, char **argv);

#endif /* XSHAPER_COMMANDS_H */
