// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rates as operators type them. Parsing is exact integer arithmetic: the
 * digits after the decimal point are scaled by the unit one digit at a time,
 * so "0.1mbit" is 100000 bit/s and never 99999 because 0.1 has no binary
 * floating point representation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/rate.h"

/* HTB cannot shape below one byte per second. */
#define RATE_MIN 8

struct rate_unit {
	const char *name;
	unsigned int exp; /* bit/s = number * 10^exp */
};

static const struct rate_unit units[] = {
	{ "bit", 0 }, { "kbit", 3 }, { "mbit", 6 }, { "gbit", 9 }, { "tbit", 12 },
};

static const struct rate_unit *unit_find(const char *s)
{
	unsigned int i;

	/* a bare number is Mbit/s, the unit plans are sold in */
	if (!*s)
		return &units[2];
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(s, units[i].name))
			return &units[i];
	return NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int rate_parse_reason(const char *s, uint64_t *bps, const char **reason)
{
	static const uint64_t pow10[] = {
		1ULL,		10ULL,		 100ULL,	  1000ULL,	10000ULL,
		100000ULL,	1000000ULL,	 10000000ULL,	  100000000ULL, 1000000000ULL,
		10000000000ULL, 100000000000ULL, 1000000000000ULL
	};
	const struct rate_unit *unit;
	unsigned __int128 whole = 0, frac = 0, total;
	const char *p = s, *int_start, *frac_start = NULL, *frac_end = NULL;
	const char *why = NULL;
	unsigned int k;

	if (!s || !*s) {
		why = "empty";
		goto err;
	}
	if (*p == '-') {
		why = "negative";
		goto err;
	}
	int_start = p;
	while (is_digit(*p)) {
		whole = whole * 10 + (unsigned int)(*p - '0');
		/* cap early so the 128-bit accumulator cannot wrap */
		if (whole > UINT64_MAX) {
			why = "too large";
			goto err;
		}
		p++;
	}
	if (*p == '.') {
		frac_start = ++p;
		while (is_digit(*p))
			p++;
		frac_end = p;
		if (frac_end == frac_start) {
			why = "no digits after the decimal point";
			goto err;
		}
	}
	if (p == int_start) {
		why = "not a number";
		goto err;
	}
	unit = unit_find(p);
	if (!unit) {
		why = (strcasestr(p, "bps") || strcasestr(p, "byte"))
			      ? "unknown unit; rates are in bits per second: kbit, mbit, gbit"
			      : "unknown unit or trailing text";
		goto err;
	}

	/*
	 * Fraction digits beyond the unit's exponent are below one bit/s: the
	 * first of them rounds, the rest cannot matter.
	 */
	if (frac_start) {
		for (k = 0; frac_start + k < frac_end; k++) {
			unsigned int d = (unsigned int)(frac_start[k] - '0');

			if (k < unit->exp) {
				frac += d * pow10[unit->exp - k - 1];
			} else {
				frac += d >= 5;
				break;
			}
		}
	}
	total = whole * pow10[unit->exp] + frac;
	if (total > UINT64_MAX) {
		why = "too large";
		goto err;
	}
	if (total == 0) {
		why = "zero";
		goto err;
	}
	if (total < RATE_MIN) {
		why = "below 8bit (one byte per second)";
		goto err;
	}
	*bps = (uint64_t)total;
	return 0;
err:
	if (reason)
		*reason = why;
	return -EINVAL;
}

int rate_parse(const char *s, uint64_t *bps)
{
	return rate_parse_reason(s, bps, NULL);
}

const char *rate_format(uint64_t bps, char *buf, size_t len)
{
	int i;

	if (!len)
		return buf;
	for (i = (int)(sizeof(units) / sizeof(units[0])) - 1; i > 0; i--) {
		uint64_t div = 1, whole, frac;
		unsigned int k, digits;
		char fbuf[16];

		for (k = 0; k < units[i].exp; k++)
			div *= 10;
		if (bps < div)
			continue;
		whole = bps / div;
		frac = bps % div;
		if (!frac) {
			snprintf(buf, len, "%llu%s", (unsigned long long)whole, units[i].name);
			return buf;
		}
		/* print every digit the unit needs, then drop trailing zeros */
		digits = units[i].exp;
		snprintf(fbuf, sizeof(fbuf), "%0*llu", (int)digits, (unsigned long long)frac);
		while (digits > 0 && fbuf[digits - 1] == '0')
			fbuf[--digits] = '\0';
		snprintf(buf, len, "%llu.%s%s", (unsigned long long)whole, fbuf, units[i].name);
		return buf;
	}
	snprintf(buf, len, "%llubit", (unsigned long long)bps);
	return buf;
}
