// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "shaper/lock.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int lock_acquire(const char *path, unsigned int timeout)
{
	double deadline = now() + timeout;
	bool told = false;
	int fd, err;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		pr_err("%s: cannot open lock file: %s; check [system] lock\n", path,
		       strerror(errno));
		return err;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err = -errno;
			pr_err("%s: flock: %s\n", path, strerror(errno));
			close(fd);
			return err;
		}
		if (now() >= deadline) {
			pr_err("%s: another xshaper still holds the lock after %u s "
			       "(lock_timeout)\n",
			       path, timeout);
			close(fd);
			return -EWOULDBLOCK;
		}
		if (!told) {
			pr_info("%s: waiting for another xshaper run to finish\n", path);
			told = true;
		}
		usleep(50 * 1000);
	}
	return fd;
}

void lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
