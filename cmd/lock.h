/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_LOCK_H
#define XSHAPER_LOCK_H

/*
 * Serialise xshaper runs that change the system (cron may start a reload
 * while the previous one still runs). An flock on cfg [system] lock: the
 * kernel drops it when the holder dies, so a killed run never leaves a
 * stale lock behind.
 *
 * The lock file is created mode 0600 (an existing one is made so), and a
 * symbolic link or anything but a regular file at its path is refused.
 *
 * Returns the held descriptor, -EWOULDBLOCK when another run still held it
 * after timeout seconds, or another -errno.
 */
int lock_acquire(const char *path, unsigned int timeout, unsigned int flags);
void lock_release(int fd);

/*
 * flags: for stop, which must work on a read-only /run. When the lock file
 * cannot be created there (EROFS, EACCES), warn and return -ENOLCK: the
 * caller goes on without the lock.
 */
#define LOCK_OPTIONAL 1U

#endif /* XSHAPER_LOCK_H */
