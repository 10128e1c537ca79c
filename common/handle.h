/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_HANDLE_H
#define XSHAPER_HANDLE_H

#include <stddef.h>
#include <stdint.h>

/* "ffff:ffff" and its NUL */
#define HANDLE_TEXT_LEN 10

/*
 * A qdisc handle or classid as tc prints it: "root", "none", "7fff:",
 * ":2", "3:1f" (hex). The one formatter of handles; splitting and joining
 * them is xs_handle() and its kin in bpf/xshaper.h.
 */
const char *handle_text(uint32_t handle, char *buf, size_t len);

#endif /* XSHAPER_HANDLE_H */
