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

#include "conf/config.h"
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

/* [monitor] flows: auto follows the list per shaping CPU; a count is spread over them */
static void test_flows_per_cpu(void **state)
{
	struct xs_config cfg;

	(void)state;
	config_defaults(&cfg);
	cfg.ncpus = 2;
	/* the floor, and a power of two above it */
	assert_int_equal(steer_flows_per_cpu(&cfg, 0), XS_FLOWS_AUTO_MIN);
	assert_int_equal(steer_flows_per_cpu(&cfg, 1024), XS_FLOWS_AUTO_MIN);
	assert_int_equal(steer_flows_per_cpu(&cfg, 1025), 2 * XS_FLOWS_AUTO_MIN);
	assert_int_equal(steer_flows_per_cpu(&cfg, 10000), 65536);
	cfg.ncpus = 16;
	assert_int_equal(steer_flows_per_cpu(&cfg, 100000), 65536);
	/* the list cannot ask for more than the most a count may */
	assert_int_equal(steer_flows_per_cpu(&cfg, (size_t)1 << 40), XS_FLOWS_MAX);
	cfg.ncpus = 3;
	cfg.monitor_flows = 20000;
	assert_int_equal(steer_flows_per_cpu(&cfg, 0), 6667);
	assert_int_equal(steer_flows_per_cpu(&cfg, 100000), 6667);
	/* 184 bytes a flow, as bpftool reports the map's memlock */
	assert_int_equal(steer_flows_bytes(65536, 2), 65536ULL * 2 * 184);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_empty), cmocka_unit_test(test_quantile_one_bucket),
		cmocka_unit_test(test_quantile_split), cmocka_unit_test(test_delta),
		cmocka_unit_test(test_flows_per_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
