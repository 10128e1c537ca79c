// SPDX-License-Identifier: GPL-2.0-only
/* Rates as operators type them, and printed back so that they read back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "conf/rate.h"

static void test_units_and_decimals(void **state)
{
	static const struct {
		const char *s;
		uint64_t bps;
	} ok[] = {
		{ "50mbit", 50000000ULL },
		{ "1.5gbit", 1500000000ULL },
		{ "800kbit", 800000ULL },
		{ "1000bit", 1000ULL },
		{ "8bit", 8ULL },
		{ "2tbit", 2000000000000ULL },
		{ "10", 10000000ULL }, /* bare number: Mbit/s */
		{ "1.5", 1500000ULL },
		{ "0.1mbit", 100000ULL }, /* exact, no float rounding */
		{ "0.3mbit", 300000ULL },
		{ "0.001gbit", 1000000ULL },
		{ ".5mbit", 500000ULL },
		{ "10MBIT", 10000000ULL }, /* units are case-insensitive */
		{ "10MBit", 10000000ULL },
		{ "3KBIT", 3000ULL },
		{ "1.25Gbit", 1250000000ULL },
		{ "007mbit", 7000000ULL },
		{ "1.0000000000gbit", 1000000000ULL },
		{ "123.456789mbit", 123456789ULL },
		{ "10.0000004bit", 10ULL }, /* below one bit rounds */
		{ "10.5bit", 11ULL },
		{ "18446744073709551615bit", UINT64_MAX },
		{ "18446744.073709551615tbit", UINT64_MAX },
	};
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t bps = 0;

		if (rate_parse(ok[i].s, &bps) || bps != ok[i].bps)
			fail_msg("rate_parse(\"%s\") = %llu, want %llu", ok[i].s,
				 (unsigned long long)bps, (unsigned long long)ok[i].bps);
	}
}

static void test_rejects_zero_negative_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"0",
		"0mbit",
		"0.0",
		"0.0000001bit",
		"-5mbit",
		"-0",
		"+5mbit",
		"abc",
		"mbit",
		"10 mbit",
		" 10mbit",
		"10mbit ",
		"10mbps",
		"10Mbps",
		"10mbitx",
		"10kb",
		"1e6",
		"1,5mbit",
		"1..5mbit",
		"5.",
		"5.mbit",
		"7bit",
		"0.000001",
		"18446744073709551616bit",
		"18446744073709551.616kbit",
		"99999999999999999999999999999999999999gbit",
		"20000000tbit",
		"0x10",
		"10mbit\n",
		"ten",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t bps = 12345;

		if (rate_parse(bad[i], &bps) != -EINVAL)
			fail_msg("rate_parse(\"%s\") accepted as %llu", bad[i],
				 (unsigned long long)bps);
		assert_int_equal(bps, 12345); /* untouched on error */
	}
	assert_int_equal(rate_parse(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void test_reasons_name_the_problem(void **state)
{
	static const struct {
		const char *s, *reason;
	} cases[] = {
		{ "", "empty" },
		{ "0", "zero" },
		{ "-1mbit", "negative" },
		{ "4bit", "below 8bit" },
		{ "10mbps", "rates are in bits" },
		{ "10parsecs", "unknown unit" },
		{ "99999999999gbit", "too large" },
		{ "x", "not a number" },
		{ "1.mbit", "no digits after the decimal point" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *reason = NULL;
		uint64_t bps;

		assert_int_equal(rate_parse_reason(cases[i].s, &bps, &reason), -EINVAL);
		assert_non_null(reason);
		if (!strstr(reason, cases[i].reason))
			fail_msg("\"%s\": reason \"%s\", want \"%s\"", cases[i].s, reason,
				 cases[i].reason);
	}
}

static void test_format_prints_what_operators_type(void **state)
{
	static const struct {
		uint64_t bps;
		const char *s;
	} cases[] = {
		{ 50000000ULL, "50mbit" },
		{ 1500000000ULL, "1.5gbit" },
		{ 100000ULL, "100kbit" },
		{ 999ULL, "999bit" },
		{ 8ULL, "8bit" },
		{ 1000ULL, "1kbit" },
		{ 1234567ULL, "1.234567mbit" },
		{ 1000000000000ULL, "1tbit" },
		{ 10000000000ULL, "10gbit" },
		{ 2500000000000ULL, "2.5tbit" },
		{ UINT64_MAX, "18446744.073709551615tbit" },
	};
	char buf[RATE_BUFSZ];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(rate_format(cases[i].bps, buf, sizeof(buf)), cases[i].s);
}

static void test_format_truncates_safely(void **state)
{
	char buf[5];

	memset(buf, 'x', sizeof(buf));
	rate_format(1234567ULL, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 4);
	assert_ptr_equal(rate_format(1, buf, 0), buf);
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_round_trip(void **state)
{
	char buf[RATE_BUFSZ];
	unsigned int i;

	for (i = 0; i < 200000; i++) {
		/* every magnitude, not just the huge ones a uniform draw gives */
		uint64_t x = rng() >> (rng() % 64), back = 0;

		if (x < 8)
			x += 8;
		rate_format(x, buf, sizeof(buf));
		if (rate_parse(buf, &back) || back != x)
			fail_msg("%llu -> \"%s\" -> %llu", (unsigned long long)x, buf,
				 (unsigned long long)back);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_and_decimals),
		cmocka_unit_test(test_rejects_zero_negative_garbage),
		cmocka_unit_test(test_reasons_name_the_problem),
		cmocka_unit_test(test_format_prints_what_operators_type),
		cmocka_unit_test(test_format_truncates_safely),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
