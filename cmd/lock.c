// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "cmd/lock.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Open the lock file without following a link at its path (someone else's
 * symlink would have root create or lock a file of their choosing), without
 * blocking on a FIFO or a device, and only when it is a regular file that
 * only its owner may read and write.
 */
static int lock_open(const char *path, unsigned int flags)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			pr_err("%s: is a symbolic link; xshaper does not follow one to its lock "
			       "file: remove it, or set [system] lock to a path that is not a "
			       "link\n",
			       path);
		} else if ((err == -EROFS || err == -EACCES) && (flags & LOCK_OPTIONAL)) {
			pr_warn("%s: cannot create the lock file (%s); going on without the lock: "
				"make sure no other xshaper runs\n",
				path, strerror(-err));
			return -ENOLCK;
		} else {
			pr_err("%s: cannot open lock file: %s; check [system] lock\n", path,
			       strerror(-err));
		}
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		pr_err("%s: fstat: %s\n", path, strerror(-err));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s: not a regular file; remove it, or set [system] lock to the path of a "
		       "file xshaper may create\n",
		       path);
		err = -EINVAL;
		goto fail;
	}
	/* an existing file keeps its mode (umask, or made by someone else) */
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600)) {
		err = -errno;
		pr_err("%s: cannot make the lock file mode 0600: %s; remove it\n", path,
		       strerror(-err));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

int lock_acquire(const char *path, unsigned int timeout, unsigned int flags)
{
	double deadline = now() + timeout;
	bool told = false;
	int fd, err;

	fd = lock_open(path, flags);
	if (fd < 0)
		return fd;
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
