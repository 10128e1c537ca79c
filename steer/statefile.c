// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state file: what stop needs to put the interfaces back, kept outside
 * the BPF filesystem, so that losing the pinned maps (an rm -rf of bpffs, a
 * remount) loses nothing else. It mirrors struct xs_state and the saved XPS
 * masks, and records the id of the instance's xs_stats map, which is how a
 * program attached to an interface is known to be this instance's even
 * when the pins are gone (steer.c, "who owns what is attached").
 *
 * One file per instance, named after its bpffs directory ('/' as '-', every
 * other byte but a letter, digit, '.' or '_' as %XX, so two directories
 * never share a name), and a start refused for a foreign program can name the instance
 * that owns it. Plain text, one record a line; ':' stands for an empty
 * field (no interface name, qdisc kind or mask holds one). Written to a
 * temporary file and renamed over the old one: a run killed while writing
 * leaves the previous file whole.
 *
 *   xshaper-state 1
 *   bpffs /sys/fs/bpf/xshaper
 *   map_id 42
 *   flags 3
 *   started 1764620000
 *   wan eth0 mq
 *   lan eth1 :
 *   xps eth0 0 3 :
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/log.h"
#include "steer/internal.h"

#define STATE_MAGIC    "xshaper-state"
#define STATE_FILE_VERSION 1 /* the format of the file, not XS_STATE_VERSION */
#define STATE_MAX_SIZE (4U << 20) /* XS_MAX_TXQS queues on two interfaces fit */

int statefile_path(const char *bpffs, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s/", XS_STATE_DIR), start = n;
	const unsigned char *p;

	for (p = (const unsigned char *)bpffs; *p && n + 4 < len; p++) {
		/* /a//b/ and /a/b are one directory */
		if (*p == '/' && (p[1] == '/' || p[1] == '\0' || n == start))
			continue;
		if (*p == '/')
			buf[n++] = '-';
		else if ((*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
			 *p == '.' || *p == '_')
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, len - n, "%%%02X", *p);
	}
	/* ".plan" is shorter: one check for both */
	if (*p || n - start + sizeof(".state") - 1 > NAME_MAX || n + sizeof(".state") > len)
		return -ENAMETOOLONG;
	memcpy(buf + n, ".state", sizeof(".state"));
	return 0;
}

int steer_plan_path(const struct xs_config *cfg, bool create, char *buf, size_t len)
{
	int err = statefile_path(cfg->bpffs, buf, len);

	if (err) {
		pr_err("%s: the name of its files under %s would be too long\n", cfg->bpffs,
		       XS_STATE_DIR);
		return err;
	}
	memcpy(buf + strlen(buf) - strlen(".state"), ".plan", sizeof(".plan"));
	if (create && mkdir(XS_STATE_DIR, 0700) && errno != EEXIST) {
		err = -errno;
		pr_err("%s: cannot create the state directory: %s\n", XS_STATE_DIR, strerror(-err));
		return err;
	}
	return 0;
}

static const char *field(const char *s)
{
	return s[0] ? s : ":";
}

/* s fits: the sscanf widths below match the fields */
static void unfield(char *dst, size_t len, const char *s)
{
	size_t n = strcmp(s, ":") ? strnlen(s, len - 1) : 0;

	memcpy(dst, s, n);
	dst[n] = '\0';
}

void statefile_free(struct statefile *sf)
{
	free(sf->xps);
	memset(sf, 0, sizeof(*sf));
}

static int write_all(FILE *f, const struct statefile *sf)
{
	const struct xs_state *st = &sf->state;
	size_t i;
	int dir;

	fprintf(f, "%s %d\nbpffs %s\nmap_id %u\nflags %u\nstarted %llu\n", STATE_MAGIC,
		STATE_FILE_VERSION, sf->bpffs, sf->map_id, st->flags,
		(unsigned long long)st->started);
	for (dir = 0; dir < XS_DIRS; dir++)
		fprintf(f, "%s %s %s\n", role_name(dir), field(STEER_STATE_IF(st, dir)),
			field(STEER_STATE_QDISC(st, dir)));
	for (i = 0; i < sf->nxps; i++)
		fprintf(f, "xps %s %u %s %s\n", sf->xps[i].key.ifname, sf->xps[i].key.txq,
			field(sf->xps[i].masks.cpus), field(sf->xps[i].masks.rxqs));
	return fflush(f) || ferror(f) || fsync(fileno(f)) ? -EIO : 0;
}

int statefile_write(const struct statefile *sf)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int fd, err;

	err = statefile_path(sf->bpffs, path, sizeof(path));
	if (err)
		return err;
	if (mkdir(XS_STATE_DIR, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("%s: cannot create the state directory: %s; stop depends on the pinned "
			"maps alone\n",
			XS_STATE_DIR, strerror(-err));
		return err;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		pr_warn("%s: cannot write the state file: %s; stop depends on the pinned maps "
			"alone\n",
			tmp, strerror(-err));
		return err;
	}
	err = write_all(f, sf);
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		pr_warn("%s: writing the state file failed: %s\n", path, strerror(-err));
		unlink(tmp);
	}
	return err;
}

static int add_xps(struct statefile *sf, const char *ifname, unsigned int txq, const char *cpus,
		   const char *rxqs)
{
	struct steer_xps *v;

	if (sf->nxps % 64 == 0) {
		v = realloc(sf->xps, (sf->nxps + 64) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		sf->xps = v;
	}
	v = &sf->xps[sf->nxps++];
	memset(v, 0, sizeof(*v));
	unfield(v->key.ifname, sizeof(v->key.ifname), ifname);
	v->key.txq = txq;
	unfield(v->masks.cpus, sizeof(v->masks.cpus), cpus);
	unfield(v->masks.rxqs, sizeof(v->masks.rxqs), rxqs);
	return 0;
}

/* One line into sf; -EINVAL when it is not one of ours. */
static int parse_line(struct statefile *sf, const char *line)
{
	char a[XS_XPS_MASK_LEN], b[XS_XPS_MASK_LEN], c[XS_XPS_MASK_LEN];
	struct xs_state *st = &sf->state;
	unsigned long long u;
	unsigned int txq, dir;
	int version;

	if (sscanf(line, STATE_MAGIC " %d", &version) == 1)
		return version == STATE_FILE_VERSION ? 0 : -EINVAL;
	if (!strncmp(line, "bpffs ", 6)) {
		/* the rest of the line: a path may hold spaces */
		size_t n = strcspn(line + 6, "\n");

		if (n >= sizeof(sf->bpffs))
			return -EINVAL;
		memcpy(sf->bpffs, line + 6, n);
		sf->bpffs[n] = '\0';
		return 0;
	}
	if (sscanf(line, "map_id %u", &sf->map_id) == 1)
		return 0;
	if (sscanf(line, "flags %u", &st->flags) == 1)
		return 0;
	if (sscanf(line, "started %llu", &u) == 1) {
		st->started = u;
		return 0;
	}
	if (sscanf(line, "xps %15s %u %127s %127s", a, &txq, b, c) == 4)
		return add_xps(sf, a, txq, b, c);
	/* "wan IF QDISC", "lan IF QDISC" */
	if (sscanf(line, "%15s %15s %15s", c, a, b) == 3 && !enum_value(role_names, c, &dir)) {
		unfield(STEER_STATE_IF(st, dir), sizeof(st->wan_if), a);
		unfield(STEER_STATE_QDISC(st, dir), sizeof(st->wan_qdisc), b);
		return 0;
	}
	return -EINVAL;
}

int statefile_read_path(const char *path, struct statefile *sf)
{
	char line[PATH_MAX + 16];
	struct stat stb;
	FILE *f;
	int fd, err = 0;

	memset(sf, 0, sizeof(*sf));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &stb) || !S_ISREG(stb.st_mode) || stb.st_size > STATE_MAX_SIZE) {
		close(fd);
		pr_warn("%s: not a state file of xshaper (not a regular file, or too large); "
			"ignored\n",
			path);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	while (!err && fgets(line, sizeof(line), f))
		err = parse_line(sf, line);
	fclose(f);
	if (!err && (!sf->map_id || !sf->bpffs[0]))
		err = -EINVAL;
	if (err) {
		pr_warn("%s: not a state file of this xshaper version; ignored\n", path);
		statefile_free(sf);
	} else {
		sf->state.version = XS_STATE_VERSION;
	}
	return err;
}

int statefile_read(const char *bpffs, struct statefile *sf)
{
	char path[PATH_MAX];
	int err;

	memset(sf, 0, sizeof(*sf));
	err = statefile_path(bpffs, path, sizeof(path));
	if (err)
		return err;
	return statefile_read_path(path, sf);
}

int statefile_remove(const char *bpffs)
{
	char path[PATH_MAX];
	int err;

	err = statefile_path(bpffs, path, sizeof(path));
	if (err)
		return err;
	if (unlink(path) && errno != ENOENT) {
		err = -errno;
		pr_warn("%s: removing the state file failed: %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}

int statefile_find_owner(const __u32 *map_ids, __u32 n, char *bpffs, size_t len)
{
	char path[PATH_MAX];
	struct statefile sf;
	struct dirent *de;
	bool found = false;
	DIR *d;
	__u32 i;

	d = opendir(XS_STATE_DIR);
	if (!d)
		return -ENOENT;
	while (!found && (de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 7 || strcmp(de->d_name + l - 6, ".state"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", XS_STATE_DIR, de->d_name);
		if (statefile_read_path(path, &sf))
			continue;
		for (i = 0; i < n && !found; i++)
			found = map_ids[i] == sf.map_id;
		if (found)
			snprintf(bpffs, len, "%s", sf.bpffs);
		statefile_free(&sf);
	}
	closedir(d);
	return found ? 0 : -ENOENT;
}
