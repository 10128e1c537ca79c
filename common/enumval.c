// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "common/enumval.h"

const char *enum_name(const struct enum_val *vals, unsigned int value)
{
	for (; vals->name; vals++)
		if (vals->value == value)
			return vals->name;
	return "unknown";
}

int enum_value(const struct enum_val *vals, const char *name, unsigned int *value)
{
	for (; vals->name; vals++) {
		if (!strcasecmp(vals->name, name)) {
			*value = vals->value;
			return 0;
		}
	}
	return -EINVAL;
}

const char *enum_names(const struct enum_val *vals, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (; vals->name && off < len; vals++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", vals->name);
	return buf;
}
