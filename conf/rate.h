/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_RATE_H
#define XSHAPER_RATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a rate as operators type it: "50mbit", "1.5gbit", "800kbit",
 * "1000bit", units case-insensitive, decimals allowed; a bare number is
 * Mbit/s. Result in bit/s. Zero, negative, garbage, overflow and rates
 * below 8 bit/s are -EINVAL.
 */
int rate_parse(const char *s, uint64_t *bps);

/* Print a rate the way rate_parse reads it back: "50mbit", "1.5gbit". */
const char *rate_format(uint64_t bps, char *buf, size_t len);

#endif /* XSHAPER_RATE_H */
