// SPDX-License-Identifier: GPL-2.0-only
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/crashpoint.h"

long crashpoint_left;
static pid_t owner;

/* Read at start-up, so that a forked helper (the leaf probe) can tell it is one. */
__attribute__((constructor)) static void crashpoint_init(void)
{
	const char *env = getenv("XSHAPER_TEST_KILL_AFTER");

	crashpoint_left = env ? atol(env) : 0;
	if (crashpoint_left < 0)
		crashpoint_left = 0;
	owner = getpid();
}

void crashpoint_hit(void)
{
	if (getpid() == owner && --crashpoint_left == 0)
		kill(getpid(), SIGKILL);
}
