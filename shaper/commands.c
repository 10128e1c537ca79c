// SPDX-License-Identifier: GPL-2.0-only
#include "common/log.h"
#include "shaper/commands.h"

static int not_yet(const char *name)
{
	pr_err("%s: not implemented in this build\n", name);
	return XS_EXIT_SYSTEM;
}

int cmd_start(const char *config, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_reload(const char *config, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_stop(const char *config, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_status(const char *config, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_stats(const char *config, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_lookup(const char *config, int argc, char **argv)
{
	return not_yet(argv[0]);
}
