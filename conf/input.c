// SPDX-License-Identifier: GPL-2.0-only
/*
 * Input files are opened with O_NONBLOCK, so that opening a FIFO returns
 * at once instead of waiting for a writer, and judged by fstat on the
 * descriptor that is then read: a check on the path followed by an open
 * would let the path change in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/input.h"

static const char *file_type(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO (named pipe)";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "a special file";
}

static int refuse_type(const char *path, const struct input_kind *kind, mode_t mode)
{
	pr_err("%s: is %s; %s must be a regular file (a symlink to one is fine); %s\n", path,
	       file_type(mode), kind->what, kind->hint);
	return S_ISDIR(mode) ? -EISDIR : -EINVAL;
}

/* size < 0: not known (the file grew while it was read) */
static int refuse_size(const char *path, const struct input_kind *kind, long long size)
{
	char bytes[32] = "";

	if (size >= 0)
		snprintf(bytes, sizeof(bytes), "%lld bytes, ", size);
	pr_err("%s: %smore than the %s (%zu bytes) that xshaper reads as %s; is this the right "
	       "file? %s\n",
	       path, bytes, kind->max_text, kind->max_size, kind->what, kind->hint);
	return -EFBIG;
}

int input_open(const char *path, const struct input_kind *kind)
{
	struct stat st;
	int fd, flags, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		/* a socket cannot be opened at all; say what it is */
		if (err == -ENXIO && !stat(path, &st) && !S_ISREG(st.st_mode))
			return refuse_type(path, kind, st.st_mode);
		pr_err("%s: cannot read %s: %s; %s\n", path, kind->what, strerror(-err),
		       kind->hint);
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		pr_err("%s: cannot read %s: %s; %s\n", path, kind->what, strerror(-err),
		       kind->hint);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = refuse_type(path, kind, st.st_mode);
		goto fail;
	}
	if ((unsigned long long)st.st_size > kind->max_size) {
		err = refuse_size(path, kind, (long long)st.st_size);
		goto fail;
	}
	/* no effect on a regular file; what it read is the file, not a nonblocking stream */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
fail:
	close(fd);
	return err;
}

int input_read(int fd, const char *path, const struct input_kind *kind, char **out, size_t *outlen)
{
	size_t cap, ncap, len = 0;
	struct stat st;
	char *buf, *nbuf;
	ssize_t r;
	int err;

	*out = NULL;
	*outlen = 0;
	/* st_size is a hint: /proc says 0, and a file may grow while it is read */
	cap = 4096;
	if (!fstat(fd, &st) && st.st_size > 0 && (unsigned long long)st.st_size <= kind->max_size)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf)
		goto oom;
	for (;;) {
		if (len == cap) {
			/* never more than one byte past the cap: enough to know */
			ncap = cap * 2 > kind->max_size + 1 ? kind->max_size + 1 : cap * 2;
			nbuf = realloc(buf, ncap + 1);
			if (!nbuf)
				goto oom;
			buf = nbuf;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			pr_err("%s: cannot read %s: %s; %s\n", path, kind->what, strerror(-err),
			       kind->hint);
			free(buf);
			return err;
		}
		if (!r)
			break;
		len += (size_t)r;
		if (len > kind->max_size) {
			free(buf);
			return refuse_size(path, kind, -1);
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
oom:
	free(buf);
	pr_err("%s: out of memory reading %s\n", path, kind->what);
	return -ENOMEM;
}

int input_load(const char *path, const struct input_kind *kind, char **buf, size_t *len)
{
	int fd, err;

	*buf = NULL;
	*len = 0;
	fd = input_open(path, kind);
	if (fd < 0)
		return fd;
	err = input_read(fd, path, kind, buf, len);
	close(fd);
	return err;
}
