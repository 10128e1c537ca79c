// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include <linux/pkt_sched.h>

#include "bpf/xshaper.h"
#include "common/handle.h"

const char *handle_text(uint32_t handle, char *buf, size_t len)
{
	uint32_t major = xs_handle_major(handle), minor = xs_handle_minor(handle);

	if (handle == TC_H_ROOT)
		snprintf(buf, len, "root");
	else if (handle == TC_H_UNSPEC)
		snprintf(buf, len, "none");
	else if (!major)
		snprintf(buf, len, ":%x", minor);
	else if (!minor)
		snprintf(buf, len, "%x:", major);
	else
		snprintf(buf, len, "%x:%x", major, minor);
	return buf;
}
