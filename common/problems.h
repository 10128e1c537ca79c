/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What is wrong with the data path, one line a problem: the checks of
 * status and reload fill it, status prints it, reload repairs what it can.
 * Bounded: the first XS_PROBLEMS_KEPT lines are kept, the rest counted.
 */
#ifndef XSHAPER_PROBLEMS_H
#define XSHAPER_PROBLEMS_H

#include <stdbool.h>

#define XS_PROBLEMS_KEPT 32
#define XS_PROBLEM_LEN	 384

struct problems {
	unsigned int n; /* found */
	unsigned int repairable; /* of them, what start sets up and so reload repairs */
	struct {
		bool repairable;
		char text[XS_PROBLEM_LEN];
	} v[XS_PROBLEMS_KEPT];
};

void problem_add(struct problems *p, bool repairable, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* XSHAPER_PROBLEMS_H */
