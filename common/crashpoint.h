/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_CRASHPOINT_H
#define XSHAPER_CRASHPOINT_H

/*
 * Crash-safety tests kill a run in the middle of its changes. With
 * XSHAPER_TEST_KILL_AFTER=N in the environment, the N-th change that
 * reaches the kernel (a netlink request, a map update or delete) is
 * followed by SIGKILL, exactly as if an operator had killed the run there.
 * Without the variable this is one branch per change.
 */
void crashpoint(void);

#endif /* XSHAPER_CRASHPOINT_H */
