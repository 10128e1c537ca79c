// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>

#include "common/problems.h"

void problem_add(struct problems *p, bool repairable, const char *fmt, ...)
{
	va_list ap;

	if (p->n < XS_PROBLEMS_KEPT) {
		p->v[p->n].repairable = repairable;
		va_start(ap, fmt);
		vsnprintf(p->v[p->n].text, sizeof(p->v[p->n].text), fmt, ap);
		va_end(ap);
	}
	p->n++;
	if (repairable)
		p->repairable++;
}
