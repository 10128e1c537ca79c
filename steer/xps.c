// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPS off while xshaper runs, and back as it was after stop.
 *
 * The TC programs choose the TX queue through skb->queue_mapping, and the
 * stack honours that only when the device has no XPS map: with one, XPS
 * picks the queue of the sending CPU and the packet lands in another CPU's
 * tree. So start clears xps_cpus and xps_rxqs of every TX queue of wan and
 * lan and keeps the old masks in the pinned xs_xps map; stop writes them
 * back. A second start (takeover) finds the masks already saved and keeps
 * the originals.
 *
 * sysfs shows the network namespace it was mounted in, not the caller's:
 * a process moved into a namespace with setns (nsenter --net) still sees
 * the devices of the host under /sys/class/net, maybe one of the same name.
 * So the files are read and written by a child that mounts a fresh sysfs
 * in a private mount namespace, where it shows the caller's devices. The
 * parent's mounts, among them the bpffs, are left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/log.h"
#include "steer/internal.h"

struct xps_record {
	__u32 txq;
	struct xs_xps_masks masks;
};

/* Read one sysfs file into buf without the trailing newline; "" if absent. */
static int read_mask(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0) {
		/* single-queue devices refuse to show a map */
		buf[0] = '\0';
		return 0;
	}
	if ((size_t)n == len - 1) {
		buf[0] = '\0';
		return -E2BIG;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int write_mask(const char *path, const char *mask)
{
	ssize_t n;
	int fd;

	if (!mask[0])
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = write(fd, mask, strlen(mask));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * In the child: for every TX queue of ifname, send the current masks to
 * out, then write new ones: "0" (clear) or those in restore[] (restore).
 * Returns 0 or -errno; xps_exchange makes that the child's exit status.
 */
static int child_run(const char *ifname, const struct xps_record *restore, size_t nrestore,
		     bool clear, int out)
{
	static const char *const files[2] = { "xps_cpus", "xps_rxqs" };
	char dir[128], path[192];
	struct xps_record rec;
	unsigned int txq, f;
	size_t i;
	int err;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	snprintf(dir, sizeof(dir), "/sys/class/net/%s", ifname);
	if (access(dir, F_OK))
		return -ENODEV;

	for (txq = 0; txq < XS_MAX_TXQS; txq++) {
		snprintf(dir, sizeof(dir), "/sys/class/net/%s/queues/tx-%u", ifname, txq);
		if (access(dir, F_OK))
			break;
		memset(&rec, 0, sizeof(rec));
		rec.txq = txq;
		err = read_mask(strcat(strcpy(path, dir), "/xps_cpus"), rec.masks.cpus,
				sizeof(rec.masks.cpus));
		if (!err)
			err = read_mask(strcat(strcpy(path, dir), "/xps_rxqs"), rec.masks.rxqs,
					sizeof(rec.masks.rxqs));
		if (err)
			return err;
		if (write(out, &rec, sizeof(rec)) != sizeof(rec))
			return -EPIPE;
		for (f = 0; f < 2; f++) {
			const char *mask = NULL;

			snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
			if (clear) {
				mask = (f == 0 ? rec.masks.cpus : rec.masks.rxqs)[0] ? "0" : "";
			} else {
				for (i = 0; i < nrestore; i++)
					if (restore[i].txq == txq)
						mask = f == 0 ? restore[i].masks.cpus
							      : restore[i].masks.rxqs;
				if (!mask)
					continue;
			}
			err = write_mask(path, mask);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Run child_run in a child process; its records of the masks before the
 * change come back in *old (malloc'd). The child exits with the errno it
 * failed with (errno values fit an exit status), 0 when it did its work.
 */
static int xps_exchange(const char *ifname, const struct xps_record *restore, size_t nrestore,
			bool clear, struct xps_record **old, size_t *nold)
{
	struct xps_record rec, *v = NULL, *tmp;
	size_t n = 0, cap = 0;
	int pipefd[2], status, err = 0;
	ssize_t got;
	pid_t pid;

	*old = NULL;
	*nold = 0;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		_exit(-child_run(ifname, restore, nrestore, clear, pipefd[1]));
	}
	close(pipefd[1]);
	while ((got = read(pipefd[0], &rec, sizeof(rec))) == sizeof(rec)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(v, cap * sizeof(*v));
			if (!tmp) {
				err = -ENOMEM;
				break;
			}
			v = tmp;
		}
		v[n++] = rec;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!err) {
		if (!WIFEXITED(status))
			err = -EINTR;
		else if (WEXITSTATUS(status))
			err = -WEXITSTATUS(status);
	}
	if (err) {
		free(v);
		return err;
	}
	*old = v;
	*nold = n;
	return 0;
}

int xps_clear(int xps_fd, const char *ifname)
{
	struct xps_record *old;
	struct xs_xps_key key;
	struct xs_xps_masks saved;
	size_t n, i;
	int err;

	err = xps_exchange(ifname, NULL, 0, true, &old, &n);
	if (err) {
		pr_err("%s: turning XPS off failed: %s; queue selection by xshaper needs XPS off "
		       "(write 0 to /sys/class/net/%s/queues/tx-*/xps_cpus)\n",
		       ifname, strerror(-err), ifname);
		return err;
	}
	for (i = 0; i < n; i++) {
		memset(&key, 0, sizeof(key));
		snprintf(key.ifname, sizeof(key.ifname), "%s", ifname);
		key.txq = old[i].txq;
		/* keep what the first start saw; later starts see zeros */
		if (bpf_map_lookup_elem(xps_fd, &key, &saved) == 0)
			continue;
		err = bpf_map_update_elem(xps_fd, &key, &old[i].masks, BPF_NOEXIST);
		if (err && err != -EEXIST)
			pr_warn("%s: saving the XPS mask of TX queue %u failed: %s; stop will "
				"leave XPS off there\n",
				ifname, old[i].txq, strerror(-err));
		else
			pr_debug(
				"%s: TX queue %u: XPS cpus '%s' rxqs '%s' off while xshaper runs\n",
				ifname, old[i].txq, old[i].masks.cpus, old[i].masks.rxqs);
	}
	free(old);
	return 0;
}

int xps_saved(int xps_fd, struct steer_xps **out, size_t *n)
{
	struct xs_xps_key key, next, *prev = NULL;
	struct steer_xps *v = NULL, *tmp;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	while (bpf_map_get_next_key(xps_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(v, cap * sizeof(*v));
			if (!tmp) {
				free(v);
				return -ENOMEM;
			}
			v = tmp;
		}
		v[*n].key = key;
		if (bpf_map_lookup_elem(xps_fd, &key, &v[*n].masks) == 0)
			(*n)++;
	}
	*out = v;
	return 0;
}

int xps_restore(int xps_fd, const char *ifname)
{
	struct steer_xps *v;
	size_t n, i;
	int err;

	err = xps_saved(xps_fd, &v, &n);
	if (err)
		return err;
	err = xps_restore_saved(ifname, v, n);
	for (i = 0; !err && i < n; i++)
		if (!strncmp(v[i].key.ifname, ifname, sizeof(v[i].key.ifname)))
			bpf_map_delete_elem(xps_fd, &v[i].key);
	free(v);
	return err;
}

int xps_restore_saved(const char *ifname, const struct steer_xps *v, size_t n)
{
	struct xps_record *restore, *old = NULL;
	size_t i, k = 0, nold;
	int err;

	restore = calloc(n ? n : 1, sizeof(*restore));
	if (!restore)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (strncmp(v[i].key.ifname, ifname, sizeof(v[i].key.ifname)))
			continue;
		restore[k].txq = v[i].key.txq;
		restore[k++].masks = v[i].masks;
	}
	err = k ? xps_exchange(ifname, restore, k, false, &old, &nold) : 0;
	free(old);
	free(restore);
	if (err)
		pr_warn("%s: restoring XPS masks failed: %s; they stay off\n", ifname,
			strerror(-err));
	return err;
}

/* A mask is off when it has no bit set: "0", "00,00000000", or no file. */
static bool mask_on(const char *mask)
{
	for (; *mask; mask++)
		if (*mask != '0' && *mask != ',')
			return true;
	return false;
}

int xps_check(const char *ifname, int *first_on, struct xs_xps_masks *masks)
{
	struct xps_record *now;
	size_t n, i;
	int err;

	*first_on = -1;
	/* neither clear nor restore: the child only reads */
	err = xps_exchange(ifname, NULL, 0, false, &now, &n);
	if (err)
		return err;
	for (i = 0; i < n && *first_on < 0; i++) {
		if (mask_on(now[i].masks.cpus) || mask_on(now[i].masks.rxqs)) {
			*first_on = now[i].txq;
			*masks = now[i].masks;
		}
	}
	free(now);
	return 0;
}
