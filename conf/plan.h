/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_PLAN_H
#define XSHAPER_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "conf/customers.h"

/*
 * Where one customer lives: its CPU, the TX queue (and so the HTB tree)
 * owned by that CPU, and its class minor in that tree. The same on wan and
 * lan. classid = xs_classid(txq, minor).
 */
struct assignment {
	uint32_t id;
	uint32_t cpu;
	uint32_t txq; /* 0-based; owned by cpu (config_txq_cpu) */
	uint32_t minor; /* XS_FIRST_MINOR..XS_MAX_MINOR */
};

struct plan {
	struct assignment *v; /* one per customer, sorted by id */
	size_t n;
};

/*
 * The pure function from (config, customers, previous assignment) to the
 * plan. Deterministic. A customer in prev keeps its CPU, txq and minor while
 * its CPU and txq still exist in cfg; new or displaced customers go, largest
 * ceil first, to the TX queue of least ceil sum (down_ceil + up_ceil), and take
 * the lowest free minor there. prev may be NULL (nprev 0) and need not be
 * sorted; entries of customers no longer listed are ignored.
 * Returns 0, -EINVAL (cfg breaks config_check_txqs, or an id is listed
 * twice), -ENOSPC (more customers than minors) or -ENOMEM; each reported.
 */
int plan_build(const struct xs_config *cfg, const struct customer_list *list,
	       const struct assignment *prev, size_t nprev, struct plan *out);
void plan_free(struct plan *plan);
const struct assignment *plan_find(const struct plan *plan, uint32_t id);

#endif /* XSHAPER_PLAN_H */
