/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The operator's input files (the INI, the customer list): regular files,
 * read whole into memory, never more than a cap. Anything else is refused
 * at once, before a byte is read: a FIFO would block a cron run forever,
 * /dev/zero would be read until memory runs out.
 */
#ifndef XSHAPER_INPUT_H
#define XSHAPER_INPUT_H

#include <stddef.h>
#include <sys/types.h>

/* What the file is, for messages, and how large it may be. */
struct input_kind {
	const char *what; /* "the config", "the customer list" */
	const char *hint; /* what to do when it cannot be used: "pass the right file with -c" */
	size_t max_size; /* bytes */
	const char *max_text; /* max_size for people: "1 MiB" */
};

/*
 * Open path (symlinks followed) for reading, without blocking even on a
 * FIFO, and refuse anything but a regular file of at most kind->max_size
 * bytes, judged on the opened file (fstat), so no rename in between can
 * swap it. Every refusal is reported with pr_err, naming the file and the
 * reason. Returns the file descriptor, or -errno: the open's own (-ENOENT,
 * -EACCES...), -EISDIR for a directory, -EINVAL for another kind of file,
 * -EFBIG when it is too large.
 */
int input_open(const char *path, const struct input_kind *kind);

/*
 * Read all of fd (from input_open) into a malloc'd buffer, NUL-terminated
 * (the NUL not counted in *len). A file that grows past the cap while it is
 * read is refused (-EFBIG) as one that was too large to begin with.
 */
int input_read(int fd, const char *path, const struct input_kind *kind, char **buf, size_t *len);

/* input_open, input_read and close: the whole file or -errno (reported). */
int input_load(const char *path, const struct input_kind *kind, char **buf, size_t *len);

#endif /* XSHAPER_INPUT_H */
