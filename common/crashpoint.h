/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_CRASHPOINT_H
#define XSHAPER_CRASHPOINT_H

/*
 * Crash-safety tests kill a run in the middle of its changes. With
 * XSHAPER_TEST_KILL_AFTER=N in the environment, the N-th change that
 * reaches the kernel (a netlink request, a map update or delete) is
 * followed by SIGKILL, exactly as if an operator had killed the run there.
 *
 * It is part of the product, not of a test build: the namespace crash
 * tests (tests/netns/test_crash.sh) kill the real build/xshaper. The
 * variable is read once, at start-up; without it a change costs the one
 * test of crashpoint_left below.
 */
extern long crashpoint_left;

void crashpoint_hit(void);

static inline void crashpoint(void)
{
	if (__builtin_expect(crashpoint_left != 0, 0))
		crashpoint_hit();
}

#endif /* XSHAPER_CRASHPOINT_H */
