/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_CUSTOMERS_H
#define XSHAPER_CUSTOMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/prefix.h"
#include "conf/config.h"
#include "conf/network.h"

/* A customer id, in bytes without the NUL: LibreQoS circuit ids are often UUIDs. */
#define CUSTOMER_ID_MAX 64

struct customer {
	char *id; /* customer_id_check()ed text: "1001", a UUID... */
	char *name; /* never NULL: "" when the list has no name for it */
	char *parent; /* the node it hangs off, as the list names it; NULL: none */
	int node; /* that node's index in the network (NETWORK_NONE: none) */
	/*
	 * Display only; never NULL. xshaper's format: "". LibreQoS's: each
	 * row's "DEVICE (MAC, COMMENT)" (DEVICE: Device Name, else Device ID;
	 * empty parts left out), rows joined by "; ", at most 256 bytes
	 * (longer: cut at a character and ended with "...").
	 */
	char *info;
	struct prefix *prefixes;
	unsigned int nprefixes;
	uint64_t down_rate, down_ceil; /* bit/s, shaped on lan egress */
	uint64_t up_rate, up_ceil; /* bit/s, shaped on wan egress */
	unsigned int line; /* line in the file, for messages (LibreQoS: its first row's) */
};

/* What the egress of a role shapes of a customer: down_* on lan, up_* on wan. */
static inline void customer_rates(const struct customer *c, enum xs_dir dir, uint64_t *rate,
				  uint64_t *ceil)
{
	*rate = dir == XS_WAN ? c->up_rate : c->down_rate;
	*ceil = dir == XS_WAN ? c->up_ceil : c->down_ceil;
}

struct customer_list {
	struct customer *v; /* sorted by id (customer_id_cmp) */
	size_t n;
	size_t nprefixes_v4, nprefixes_v6;
};

/*
 * Read and validate a customer list (docs/xshaper.ini.5, CUSTOMER LIST), in
 * cfg->customers_format: xshaper's columns, or LibreQoS's ShapedDevices.csv
 * (rows of one Circuit ID are one customer: their addresses merged, rates,
 * Circuit Name and Parent Node from the first row that has them), or auto
 * (LibreQoS's when the header names "Circuit ID"). Every bad
 * row is reported with pr_err as "FILE:LINE: reason" (the first 100 by
 * line, then one line with how many more and on which lines); if any row is
 * bad the whole list is refused (-EINVAL) and *out is left empty. Nested
 * prefixes across customers are reported with pr_warn. cfg gives the
 * capacities that bound the ceils (NULL: no capacity check, and the
 * format is auto). net: the nodes a parent may name (NULL: none may be
 * named); an unknown parent is an error of its row, a ceil (or rate) above
 * the cap of the node the customer's class hangs from is lowered to it
 * with a warning. A record may be at most 64 KiB, the file (a regular one:
 * conf/input.h) 256 MiB. Returns 0, -EINVAL, -ENOMEM, or the -errno of
 * reading the file.
 */
int customers_load(const char *path, const struct xs_config *cfg, const struct network *net,
		   struct customer_list *out);
/* The same from a buffer; name is used in messages. */
int customers_parse(const char *name, const char *buf, size_t len, const struct xs_config *cfg,
		    const struct network *net, struct customer_list *out);
void customers_free(struct customer_list *list);
/* Binary search by id; NULL when absent. */
const struct customer *customers_find(const struct customer_list *list, const char *id);

/*
 * Whether s can be a customer id: 1 to CUSTOMER_ID_MAX bytes of valid
 * UTF-8 without control characters, and no blank at either end (outputs
 * escape what their format needs). 0, -ENAMETOOLONG, -EINVAL.
 */
int customer_id_check(const char *s);

/*
 * The order of ids: ids of digits only by their value (leading zeros
 * aside), before all others, which go by their bytes; of ids that differ
 * only in leading zeros the one with fewer comes first. So "9" < "10" <
 * "0010" < "a". 0 only for equal strings.
 */
int customer_id_cmp(const char *a, const char *b);

#endif /* XSHAPER_CUSTOMERS_H */
