/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One table per enum, read both ways: the INI parser takes a value by its
 * name, everything that prints one takes the name from the same table (as
 * xdp-tools' struct enum_val and get_enum_name). A table ends with an
 * entry whose name is NULL.
 */
#ifndef XSHAPER_ENUMVAL_H
#define XSHAPER_ENUMVAL_H

#include <stddef.h>

struct enum_val {
	const char *name;
	unsigned int value;
};

/* The name of value; "unknown" when the table has none. */
const char *enum_name(const struct enum_val *vals, unsigned int value);

/* The value named name (case-insensitive): 0, or -EINVAL when none is. */
int enum_value(const struct enum_val *vals, const char *name, unsigned int *value);

/* Every name, "a, b, c", into buf (for messages that list what is allowed). */
const char *enum_names(const struct enum_val *vals, char *buf, size_t len);

#endif /* XSHAPER_ENUMVAL_H */
