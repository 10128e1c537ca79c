/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_LOCK_H
#define XSHAPER_LOCK_H

/*
 * Serialise xshaper runs that change the system (cron may start a reload
 * while the previous one still runs). An flock on cfg [system] lock: the
 * kernel drops it when the holder dies, so a killed run never leaves a
 * stale lock behind.
 *
 * Returns the held descriptor, -EWOULDBLOCK when another run still held it
 * after timeout seconds, or another -errno.
 */
int lock_acquire(const char *path, unsigned int timeout);
void lock_release(int fd);

#endif /* XSHAPER_LOCK_H */
