/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_CUSTOMERS_H
#define XSHAPER_CUSTOMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/prefix.h"
#include "conf/config.h"

struct customer {
	uint32_t id;
	char *name; /* never NULL: "" when the list has no name for it */
	struct prefix *prefixes;
	unsigned int nprefixes;
	uint64_t down_rate, down_ceil; /* bit/s, shaped on lan egress */
	uint64_t up_rate, up_ceil; /* bit/s, shaped on wan egress */
	unsigned int line; /* line in the file, for messages */
};

/* What the egress of a role shapes of a customer: down_* on lan, up_* on wan. */
static inline void customer_rates(const struct customer *c, enum xs_dir dir, uint64_t *rate,
				  uint64_t *ceil)
{
	*rate = dir == XS_WAN ? c->up_rate : c->down_rate;
	*ceil = dir == XS_WAN ? c->up_ceil : c->down_ceil;
}

struct customer_list {
	struct customer *v; /* sorted by id */
	size_t n;
	size_t nprefixes_v4, nprefixes_v6;
};

/*
 * Read and validate a customer list (docs/xshaper.ini.5, CUSTOMER LIST). Every bad
 * row is reported with pr_err as "FILE:LINE: reason" (the first 100 by
 * line, then one line with how many more and on which lines); if any row is
 * bad the whole list is refused (-EINVAL) and *out is left empty. Nested
 * prefixes across customers are reported with pr_warn. cfg gives the
 * capacities that bound the ceils (NULL: no capacity check). A record may
 * be at most 64 KiB, the file (a regular one: conf/input.h) 256 MiB.
 * Returns 0, -EINVAL, -ENOMEM, or the -errno of reading the file.
 */
int customers_load(const char *path, const struct xs_config *cfg, struct customer_list *out);
/* The same from a buffer; name is used in messages. */
int customers_parse(const char *name, const char *buf, size_t len, const struct xs_config *cfg,
		    struct customer_list *out);
void customers_free(struct customer_list *list);
/* Binary search by id; NULL when absent. */
const struct customer *customers_find(const struct customer_list *list, uint32_t id);

/*
 * A customer id as the list and the command line take it: decimal digits
 * only, 1 to 4294967295; no sign, no blanks, no trailing text. -ERANGE
 * past 32 bits (nothing wraps around to another customer's id), -EINVAL
 * for anything else.
 */
int customer_id_parse(const char *s, uint32_t *id);

/*
 * A customer id key against a record whose first member is its uint32_t
 * customer id (struct customer, struct assignment): for bsearch.
 */
int customer_id_cmp(const void *key, const void *elem);

#endif /* XSHAPER_CUSTOMERS_H */
