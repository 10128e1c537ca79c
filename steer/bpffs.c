// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where [system] bpffs may be: the one rule that check applies without
 * touching anything and start applies before it mounts or creates a thing.
 */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#include "common/log.h"
#include "steer/internal.h"

bool steer_bpffs_mount_needed(const char *dir)
{
	struct statfs st;

	return strncmp(dir, STEER_BPFFS_ROOT "/", sizeof(STEER_BPFFS_ROOT)) == 0 &&
	       !(statfs(STEER_BPFFS_ROOT, &st) == 0 && st.f_type == BPF_FS_MAGIC);
}

int steer_bpffs_check(const char *dir)
{
	char part[PATH_MAX], *slash;
	struct statfs st;

	if (dir[0] != '/' || strlen(dir) >= sizeof(part)) {
		pr_err("[system] bpffs = %s: must be an absolute path\n", dir);
		return -EINVAL;
	}
	if (steer_bpffs_mount_needed(dir))
		return 0;
	/*
	 * The deepest part that exists (or that we may look into: /sys/fs/bpf
	 * is root's only): what start creates below it is on its filesystem.
	 */
	snprintf(part, sizeof(part), "%s", dir);
	while (statfs(part, &st)) {
		if ((errno != ENOENT && errno != EACCES) || !strcmp(part, "/")) {
			pr_warn("[system] bpffs = %s: cannot tell whether %s is on a BPF "
				"filesystem (%s); start will\n",
				dir, part, strerror(errno));
			return 0;
		}
		slash = strrchr(part, '/');
		if (slash == part)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (st.f_type == BPF_FS_MAGIC)
		return 0;
	pr_err("[system] bpffs = %s: not on a BPF filesystem (%s is not one); set bpffs below "
	       "%s, or mount one at or above it first (mount -t bpf bpf DIR)\n",
	       dir, part, STEER_BPFFS_ROOT);
	return -EINVAL;
}
