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
/*
 * The same, and on -EINVAL *reason (when reason is not NULL) says what is
 * wrong ("zero", "unknown unit or trailing text", ...) for error messages.
 */
int rate_parse_reason(const char *s, uint64_t *bps, const char **reason);

/*
 * Print a rate the way rate_parse reads it back: "50mbit", "1.5gbit". Exact:
 * rate_parse(rate_format(x)) == x for every x >= 8. 32 bytes always suffice.
 */
#define RATE_BUFSZ 32
const char *rate_format(uint64_t bps, char *buf, size_t len);

#endif /* XSHAPER_RATE_H */
