// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prefixes (common/prefix.c): the one parser, printer and comparison of
 * customer prefixes, the rule of what no customer can own, and the LPM
 * trie's key made from them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/prefix.h"

static struct prefix parsed(const char *s)
{
	struct prefix p;

	if (prefix_parse(s, &p))
		fail_msg("prefix_parse(\"%s\") refused", s);
	return p;
}

static void test_prefix_parse_format_contains(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "198.19.1.10", "198.19.1.10/32" },
		{ "198.19.1.10/24", "198.19.1.0/24" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "2001:db8:1::/56", "2001:db8:1::/56" },
		{ "2001:db8:1:ff::1/56", "2001:db8:1::/56" },
		{ "2001:DB8::1", "2001:db8::1/128" },
		{ "::/0", "::/0" },
		{ "::ffff:198.18.0.1", "198.18.0.1/32" },
		{ "2001:db8::/33", "2001:db8::/33" },
		{ "2001:db8:ffff::/33", "2001:db8:8000::/33" },
	};
	static const char *const bad[] = { "",
					   "/",
					   "1.2.3.4/",
					   "1.2.3.4/33",
					   "1.2.3",
					   "::/129",
					   "1.2.3.4 ",
					   " 1.2.3.4",
					   "1.2.3.4/2a",
					   "1.2.3.4/+8",
					   "x",
					   "1:2:3:4:5:6:7:8:9",
					   "1.2.3.4/1000" };
	struct prefix a, b;
	char buf[64];
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(prefix_parse(ok[i].in, &a), 0);
		assert_string_equal(prefix_format(&a, buf, sizeof(buf)), ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (prefix_parse(bad[i], &a) != -EINVAL)
			fail_msg("prefix_parse(\"%s\") accepted", bad[i]);

	assert_int_equal(prefix_parse("198.18.0.0/15", &a), 0);
	assert_int_equal(a.len, 111);
	assert_true(prefix_is_v4(&a));
	assert_int_equal(prefix_parse("198.19.255.255", &b), 0);
	assert_true(prefix_contains(&a, &b));
	assert_false(prefix_contains(&b, &a));
	assert_true(prefix_contains(&a, &a));
	assert_int_equal(prefix_parse("198.20.0.0", &b), 0);
	assert_false(prefix_contains(&a, &b));
	assert_int_equal(prefix_parse("2001:db8::/32", &a), 0);
	assert_false(prefix_is_v4(&a));
	assert_int_equal(prefix_parse("2001:db8:ffff:ffff::1", &b), 0);
	assert_true(prefix_contains(&a, &b));
	assert_int_equal(prefix_parse("2001:db9::", &b), 0);
	assert_false(prefix_contains(&a, &b));
	/* ::/0 holds all of IPv6, but no IPv4 address: the families stay apart */
	assert_int_equal(prefix_parse("::/0", &a), 0);
	assert_int_equal(prefix_parse("2001:db8::1", &b), 0);
	assert_true(prefix_contains(&a, &b));
	assert_int_equal(prefix_parse("198.18.0.1", &b), 0);
	assert_false(prefix_contains(&a, &b));
	assert_false(prefix_contains(&b, &a));
	assert_int_equal(prefix_parse("::/8", &a), 0);
	assert_false(prefix_contains(&a, &b));
	assert_ptr_equal(prefix_format(&a, buf, 0), buf);
}

/* What the list reports besides the prefix: host bits, IPv6 spelling, why not. */
static void test_parse_reason(void **state)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "not an IPv4 or IPv6 address" },
		{ "x", "not an IPv4 or IPv6 address" },
		{ "1.2.3", "not an IPv4 address" },
		{ "2001:db8::zz", "not an IPv6 address" },
		{ "1.2.3.4/33", "the prefix length after '/' must be 0..32" },
		{ "2001:db8::/129", "the prefix length after '/' must be 0..128" },
		{ "1.2.3.4/", "the prefix length after '/' must be 0..32" },
	};
	const char *why = NULL;
	bool host_bits, v6;
	struct prefix p;
	unsigned int i;

	assert_int_equal(prefix_parse_reason("198.18.1.7/24", &p, &host_bits, &v6, &why), 0);
	assert_true(host_bits);
	assert_false(v6);
	assert_int_equal(prefix_parse_reason("198.18.1.0/24", &p, &host_bits, &v6, &why), 0);
	assert_false(host_bits);
	assert_int_equal(prefix_parse_reason("::ffff:198.18.1.0/120", &p, &host_bits, &v6, &why),
			 0);
	assert_true(v6);
	assert_true(prefix_is_v4(&p));
	assert_int_equal(p.len, 120);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(prefix_parse_reason(bad[i].in, &p, &host_bits, &v6, &why),
				 -EINVAL);
		assert_non_null(why);
		if (strcmp(why, bad[i].why))
			fail_msg("%s: '%s', expected '%s'", bad[i].in, why, bad[i].why);
	}
}

static void test_mask_and_family(void **state)
{
	struct prefix p = { .addr = { [10] = 0xff, [11] = 0xff, 198, 18, 0xff, 0xff },
			    .len = 96 + 20 };
	char buf[PREFIX_TEXT_LEN];

	prefix_mask(&p);
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)), "198.18.240.0/20");
	p.len = 128;
	prefix_mask(&p); /* nothing past 128 bits */
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)), "198.18.240.0/32");
	p.len = 0;
	prefix_mask(&p);
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)), "::/0");

	assert_true(prefix_addr_is_v4(parsed("198.18.0.1").addr));
	assert_false(prefix_addr_is_v4(parsed("2001:db8::1").addr));
	/* ::ffff:0:0/96 shorter than 96 bits is IPv6 */
	p = parsed("::ffff:0:0/95");
	assert_false(prefix_is_v4(&p));
	p = parsed("::ffff:0:0/96");
	assert_true(prefix_is_v4(&p));
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)), "0.0.0.0/0");
}

/* The longest texts fit PREFIX_TEXT_LEN. */
static void test_longest_text(void **state)
{
	struct prefix p = { .len = 128 };
	char buf[PREFIX_TEXT_LEN];

	memset(p.addr, 0xff, sizeof(p.addr));
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	/* IPv4-mapped, but shorter than 96: IPv6 text with the address dotted */
	memset(p.addr, 0, 10);
	p.len = 95;
	prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "::ffff:255.255.255.255/95");
}

/* prefix_cmp orders as memcmp over the address, then the length, whatever byte differs */
static void test_cmp_byte_order(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff };
	size_t pos, i, j, n = sizeof(bytes);

	for (pos = 0; pos < 16; pos++)
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++) {
				struct prefix a = { .len = 64 }, b = { .len = 128 };
				int want, got;

				memset(a.addr, 0x80, sizeof(a.addr));
				memset(b.addr, 0x80, sizeof(b.addr));
				a.addr[pos] = bytes[i];
				b.addr[pos] = bytes[j];
				/* a difference after pos must not count */
				if (pos < 15)
					a.addr[pos + 1] = 0xff, b.addr[pos + 1] = 0x00;
				want = memcmp(a.addr, b.addr, sizeof(a.addr));
				if (!want)
					want = -1; /* 64 before 128 */
				got = prefix_cmp(&a, &b);
				if ((want < 0) != (got < 0) || !got)
					fail_msg("byte %zu: %02x vs %02x: %d, want sign of %d", pos,
						 bytes[i], bytes[j], got, want);
			}
}

/* Sorted: by network, then containing before contained; the trie's bits, or the families'. */
static void test_cmp_covers_contains(void **state)
{
	struct prefix a = parsed("198.18.0.0/15"), b = parsed("198.18.0.0/16"),
		      c = parsed("198.19.0.0/16");
	struct prefix all6 = parsed("::/0"), v4 = parsed("198.18.0.1"), low = parsed("::/80");

	assert_true(prefix_cmp(&a, &b) < 0);
	assert_true(prefix_cmp(&b, &c) < 0);
	assert_true(prefix_cmp(&c, &a) > 0);
	assert_int_equal(prefix_cmp(&a, &a), 0);

	/* the trie matches ::/0 for every IPv4 address; the list keeps the families apart */
	assert_true(prefix_covers(&all6, &v4));
	assert_false(prefix_contains(&all6, &v4));
	assert_true(prefix_covers(&a, &b));
	assert_true(prefix_contains(&a, &c));
	assert_false(prefix_covers(&b, &c));

	/* what covers ::ffff:0:0/96 takes every IPv4 packet */
	assert_true(prefix_covers_v4(&all6));
	assert_true(prefix_covers_v4(&low));
	low = parsed("::ffff:0:0/96");
	assert_true(prefix_covers_v4(&low));
	low = parsed("::/97");
	assert_false(prefix_covers_v4(&low));
	assert_false(prefix_covers_v4(&a));
	low = parsed("2001:db8::/32");
	assert_false(prefix_covers_v4(&low));
}

/* The rule on prefixes in their stored form; the list's messages are test_customers'. */
static void test_refused(void **state)
{
	static const char *const refused[] = { "0.0.0.0/0",
					       "::/0",
					       "::/80",
					       "127.0.0.1",
					       "0.0.0.0/4",
					       "0.0.0.0",
					       "169.254.1.0/24",
					       "255.255.255.255",
					       "fe80::1",
					       "ff02::1",
					       "::1",
					       "::" };
	static const char *const owned[] = { "198.18.0.0/15", "2001:db8::/32", "198.19.1.10",
					     "198.19.255.255", "2001:db8:1::/56" };
	struct prefix p;
	char why[256];
	unsigned int i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		p = parsed(refused[i]);
		why[0] = '\0';
		if (!prefix_refused(&p, false, why, sizeof(why)))
			fail_msg("%s: not refused", refused[i]);
		assert_true(why[0] != '\0');
	}
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		p = parsed(owned[i]);
		if (prefix_refused(&p, false, why, sizeof(why)))
			fail_msg("%s: refused: %s", owned[i], why);
	}
	/* an IPv4 address spelt as IPv6 is refused only as the operator's text */
	p = parsed("::ffff:198.18.0.1");
	assert_false(prefix_refused(&p, false, why, sizeof(why)));
	assert_true(prefix_refused(&p, true, why, sizeof(why)));
	assert_non_null(strstr(why, "write the IPv4 address instead: 198.18.0.1/32"));
}

/* The trie's key: the same bits and length, and back. */
static void test_key(void **state)
{
	static const char *const texts[] = { "198.19.1.0/24", "198.19.1.10", "2001:db8:1::/56",
					     "2001:db8::1", "::/0" };
	struct xs_lpm_key key;
	struct prefix p, back;
	unsigned int i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		p = parsed(texts[i]);
		memset(&key, 0xaa, sizeof(key));
		prefix_to_key(&p, &key);
		assert_int_equal(key.prefixlen, p.len);
		assert_memory_equal(key.addr, p.addr, 16);
		memset(&back, 0xaa, sizeof(back));
		prefix_from_key(&key, &back);
		assert_int_equal(prefix_cmp(&back, &p), 0);
	}
	p = parsed("198.19.1.0/24");
	prefix_to_key(&p, &key);
	assert_int_equal(key.prefixlen, 96 + 24);
	assert_int_equal(key.addr[10], 0xff);
	assert_int_equal(key.addr[12], 198);
	/* a key the kernel would refuse gives no prefix past 128 bits */
	key.prefixlen = 200;
	prefix_from_key(&key, &back);
	assert_int_equal(back.len, 128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse_format_contains),
		cmocka_unit_test(test_parse_reason),
		cmocka_unit_test(test_mask_and_family),
		cmocka_unit_test(test_longest_text),
		cmocka_unit_test(test_cmp_byte_order),
		cmocka_unit_test(test_cmp_covers_contains),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
