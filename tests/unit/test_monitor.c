// SPDX-License-Identifier: GPL-2.0-only
/*
 * What stats makes of the monitor's records: RTT quantiles from the log2
 * buckets, and the difference of two reads, also across a 32-bit wrap of
 * a bucket and a record that started again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "steer/steer.h"

static void test_quantile_empty(void **state)
{
	struct xs_monitor m = {};
	double ms;

	assert_int_equal(steer_rtt_quantile_ms(&m, XS_LAN, 0.5, &ms), -ENODATA);
	m.rtt_hist[XS_WAN][3] = 1;
	assert_int_equal(steer_rtt_quantile_ms(&m, XS_LAN, 0.5, &ms), -ENODATA);
}

/* every sample in one bucket: the quantiles lie inside it */
static void test_quantile_one_bucket(void **state)
{
	struct xs_monitor m = {};
	double ms;

	m.rtt_hist[XS_LAN][14] = 10; /* [16.384, 32.768) ms */
	assert_int_equal(steer_rtt_quantile_ms(&m, XS_LAN, 0.5, &ms), 0);
	assert_true(ms >= 16.384 && ms < 32.768);
	assert_int_equal(steer_rtt_quantile_ms(&m, XS_LAN, 0.95, &ms), 0);
	assert_true(ms >= 16.384 && ms <= 32.768);
	m.rtt_hist[XS_LAN][14] = 0;
	m.rtt_hist[XS_LAN][0] = 1; /* 0 or 1 us */
	assert_int_equal(steer_rtt_quantile_ms(&m, XS_LAN, 0.5, &ms), 0);
	assert_true(ms >= 0 && ms <= 0.002);
}

/* 90 fast, 10 slow: p50 fast, p95 slow */
static void test_quantile_split(void **state)
{
	struct xs_monitor m = {};
	double ms;

	m.rtt_hist[XS_WAN][10] = 90; /* ~1-2 ms */
	m.rtt_hist[XS_WAN][17] = 10; /* ~131-262 ms */
	assert_int_equal(steer_rtt_quantile_ms(&m, XS_WAN, 0.5, &ms), 0);
	assert_true(ms >= 1.024 && ms < 2.048);
	assert_int_equal(steer_rtt_quantile_ms(&m, XS_WAN, 0.95, &ms), 0);
	assert_true(ms >= 131.072 && ms < 262.144);
}

static void test_delta(void **state)
{
	struct xs_monitor then = {}, now = {}, d;

	then.rtt_samples[XS_LAN] = 5;
	then.rtt_hist[XS_LAN][4] = UINT32_MAX; /* wraps to 2 below */
	then.retransmits[XS_WAN] = 7;
	now = then;
	now.rtt_samples[XS_LAN] = 8;
	now.rtt_hist[XS_LAN][4] = 2;
	now.retransmits[XS_WAN] = 9;
	steer_monitor_delta(&now, &then, &d);
	assert_int_equal(d.rtt_samples[XS_LAN], 3);
	assert_int_equal(d.rtt_hist[XS_LAN][4], 3);
	assert_int_equal(d.retransmits[XS_WAN], 2);
	assert_int_equal(d.rtt_samples[XS_WAN], 0);
	/* no earlier read: all of it */
	steer_monitor_delta(&now, NULL, &d);
	assert_int_equal(d.rtt_samples[XS_LAN], 8);
	/* went backwards (a new record): counted from zero */
	now.rtt_samples[XS_LAN] = 1;
	steer_monitor_delta(&now, &then, &d);
	assert_int_equal(d.rtt_samples[XS_LAN], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_empty),
		cmocka_unit_test(test_quantile_one_bucket),
		cmocka_unit_test(test_quantile_split),
		cmocka_unit_test(test_delta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
