// SPDX-License-Identifier: GPL-2.0-only
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/crashpoint.h"

static long left;
static pid_t owner;

/* Read at start-up, so that a forked helper (the leaf probe) can tell it is one. */
__attribute__((constructor)) static void crashpoint_init(void)
{
	const char *env = getenv("XSHAPER_TEST_KILL_AFTER");

	left = env ? atol(env) : 0;
	if (left < 0)
		left = 0;
	owner = getpid();
}

void crashpoint(void)
{
	if (left && getpid() == owner && --left == 0)
		kill(getpid(), SIGKILL);
}
