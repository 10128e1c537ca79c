// SPDX-License-Identifier: GPL-2.0-only
/*
 * The customer list: CSV as spreadsheets write it, and every bad row
 * reported as FILE:LINE so the operator fixes them all in one pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf/customers.h"
#include "conf/network.h"
#include "unit/helpers.h"

#define HEADER "id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil\n"

static struct xs_config cfg;
static struct customer_list list;
static const struct network *net; /* what parse() resolves parents against */

/*
 * Site A (1gbit down, 500mbit up)
 *   AP1 (40mbit, 20mbit)
 *   Tower V (virtual: its customers hang from Site A)
 * Floating (virtual, top: its customers hang from the root)
 */
static const char test_network[] =
	"{\n"
	"  \"Site A\": {\n"
	"    \"downloadBandwidthMbps\": 1000, \"uploadBandwidthMbps\": 500,\n"
	"    \"type\": \"site\",\n"
	"    \"children\": {\n"
	"      \"AP1\": { \"downloadBandwidthMbps\": 40, \"uploadBandwidthMbps\": 20 },\n"
	"      \"Tower V\": { \"virtual\": true }\n"
	"    }\n"
	"  },\n"
	"  \"Floating\": { \"virtual\": true }\n"
	"}\n";
static struct network test_net;

static int node(const char *name)
{
	int i = network_find(&test_net, name);

	assert_int_not_equal(i, NETWORK_NONE);
	return i;
}

static int setup(void **state)
{
	config_defaults(&cfg);
	cfg.wan_capacity = 1000000000ULL; /* 1gbit up */
	cfg.lan_capacity = 2000000000ULL; /* 2gbit down */
	memset(&list, 0, sizeof(list));
	net = NULL;
	if (network_parse("network.json", test_network, strlen(test_network), &cfg, &test_net))
		return -1;
	capture_begin();
	return 0;
}

static int teardown(void **state)
{
	customers_free(&list);
	network_free(&test_net);
	capture_end();
	return 0;
}

static int parse(const char *text)
{
	int err = customers_parse("list.csv", text, strlen(text), &cfg, net, &list);

	if (getenv("TEST_VERBOSE"))
		capture_dump();
	return err;
}

/* exactly one error, on this line, containing every needle */
#define assert_one_error(line, ...)                                                                \
	do {                                                                                       \
		if (capture_count(LOG_LEVEL_ERR) != 2 ||                                           \
		    capture_matching(LOG_LEVEL_ERR, "list.csv:" #line ": ", __VA_ARGS__) != 1) {   \
			capture_dump();                                                            \
			fail_msg("want one error on line %d", line);                               \
		}                                                                                  \
	} while (0)

static void test_valid_list(void **state)
{
	const struct customer *c;
	char buf[64];

	assert_int_equal(
		parse(HEADER "1002,Bob,2001:db8:1::/56,10mbit,50mbit,5mbit,20mbit\n"
			     "1001,Alice,198.19.1.10/32 2001:db8:2::/48;198.18.4.0/24,1.5,3,0.5,1\n"
			     "7,Carol,198.18.9.9,800kbit,1gbit,100kbit,1000mbit\n"),
		0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_int_equal(list.n, 3);
	/* sorted by id */
	assert_string_equal(list.v[0].id, "7");
	assert_string_equal(list.v[1].id, "1001");
	assert_string_equal(list.v[2].id, "1002");
	assert_int_equal(list.nprefixes_v4, 3);
	assert_int_equal(list.nprefixes_v6, 2);

	c = customers_find(&list, "1001");
	assert_non_null(c);
	assert_string_equal(c->name, "Alice");
	assert_int_equal(c->line, 3);
	assert_int_equal(c->nprefixes, 3);
	assert_string_equal(prefix_format(&c->prefixes[0], buf, sizeof(buf)), "198.19.1.10/32");
	assert_string_equal(prefix_format(&c->prefixes[1], buf, sizeof(buf)), "2001:db8:2::/48");
	assert_string_equal(prefix_format(&c->prefixes[2], buf, sizeof(buf)), "198.18.4.0/24");
	assert_true(prefix_is_v4(&c->prefixes[0]));
	assert_int_equal(c->prefixes[0].len, 128);
	assert_int_equal(c->prefixes[2].len, 96 + 24);
	assert_int_equal(c->down_rate, 1500000ULL);
	assert_int_equal(c->down_ceil, 3000000ULL);
	assert_int_equal(c->up_rate, 500000ULL);
	assert_int_equal(c->up_ceil, 1000000ULL);

	assert_null(customers_find(&list, "1"));
	assert_null(customers_find(&list, "1003"));
	assert_non_null(customers_find(&list, "7"));
	assert_non_null(customers_find(&list, "1002"));
}

static void test_columns_in_any_order_extra_ignored_name_optional(void **state)
{
	assert_int_equal(
		parse("Up_Ceil, PREFIXES ,notes,up_rate,down_ceil,ID,down_rate,vlan\n"
		      "20mbit,198.18.0.1,\"anything, really\",5mbit,50mbit,42,10mbit,100\n"),
		0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.v[0].id, "42");
	assert_string_equal(list.v[0].name, "");
	assert_int_equal(list.v[0].down_rate, 10000000ULL);
	assert_int_equal(list.v[0].down_ceil, 50000000ULL);
	assert_int_equal(list.v[0].up_rate, 5000000ULL);
	assert_int_equal(list.v[0].up_ceil, 20000000ULL);
}

static void test_missing_columns_are_named(void **state)
{
	static const char *const required[] = { "id",	     "prefixes", "down_rate",
						"down_ceil", "up_rate",	 "up_ceil" };
	unsigned int i;

	for (i = 0; i < 6; i++) {
		char header[256] = "", want[64];
		unsigned int k;

		for (k = 0; k < 6; k++) {
			if (k == i)
				continue;
			strcat(header, required[k]);
			strcat(header, ",");
		}
		strcat(header, "name\n");
		capture_begin();
		assert_int_equal(parse(header), -EINVAL);
		snprintf(want, sizeof(want), "no '%s' column", required[i]);
		assert_one_error(1, want);
		assert_int_equal(list.n, 0);
	}
	/* a list without a header: every column is missing, and it says so */
	capture_begin();
	assert_int_equal(parse("1001,Alice,198.18.0.1,1,2,1,2\n"), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:1: ", "the first row must name the columns"),
			 6);
}

static void test_duplicate_header_column(void **state)
{
	assert_int_equal(parse("id,id,prefixes,down_rate,down_ceil,up_rate,up_ceil\n"), -EINVAL);
	assert_one_error(1, "column 'id' twice (fields 1 and 2)");
}

static void test_no_header_at_all(void **state)
{
	assert_int_equal(parse(""), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv: no header row"), 1);
	capture_begin();
	assert_int_equal(parse("# only comments\n\n   \n"), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "no header row"), 1);
	/* a header and no customers is a valid, empty list */
	capture_begin();
	assert_int_equal(parse(HEADER), 0);
	assert_int_equal(list.n, 0);
}

static void test_rfc4180_quoting(void **state)
{
	assert_int_equal(parse(HEADER "1,\"Smith, John \"\"Jr\"\"\",198.18.0.1,1,2,1,2\n"
				      "2,\"two\nline name\",\"198.18.0.2; 198.18.0.3\",1,2,1,2\n"
				      "3,\"\",198.18.0.4,\"1\",\"2mbit\",1,2\n"
				      "4,  \"spaced\"  , 198.18.0.5 ,1,2,1,2\n"
				      "5,Café ünïcode,198.18.0.6,1,2,1,2\n"),
			 0);
	assert_int_equal(list.n, 5);
	assert_string_equal(list.v[0].name, "Smith, John \"Jr\"");
	assert_string_equal(list.v[1].name, "two\nline name");
	assert_int_equal(list.v[1].nprefixes, 2);
	assert_string_equal(list.v[2].name, "");
	assert_int_equal(list.v[2].down_ceil, 2000000ULL);
	assert_string_equal(list.v[3].name, "spaced");
	assert_string_equal(list.v[4].name, "Café ünïcode");
	/* the newline inside quotes counts: customer 3 starts on line 5 */
	assert_int_equal(list.v[2].line, 5);
	assert_int_equal(list.v[4].line, 7);
}

static void test_crlf_bom_comments_blank_lines(void **state)
{
	assert_int_equal(parse("\xef\xbb\xbf# exported from the billing system\r\n"
			       "\r\n"
			       "id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil\r\n"
			       "  # a comment after blanks\r\n"
			       "1,Alice,198.18.0.1,1,2,1,2\r\n"
			       ",,,,,,\r\n"
			       "\r\n"
			       "2,\"Bob\r\nBobson\",198.18.0.2,1,2,1,2\r\n"
			       "3,Carol,198.18.0.3,1,2,1,2"),
			 0);
	assert_int_equal(list.n, 3);
	assert_string_equal(list.v[0].name, "Alice");
	assert_int_equal(list.v[0].line, 5);
	assert_string_equal(list.v[1].name, "Bob\r\nBobson");
	assert_int_equal(list.v[1].line, 8);
	assert_int_equal(list.v[2].line, 10);
	assert_int_equal(list.v[2].up_ceil, 2000000ULL);
}

static void test_wrong_field_count(void **state)
{
	assert_int_equal(parse(HEADER "1,Alice,198.18.0.1,1,2,1\n"
				      "2,Bob,198.18.0.2,1,2,1,2,extra\n"
				      "3,Smith, John,198.18.0.3,1,2,1,2\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 4);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, "list.csv:2: 6 fields", "header on line 1 has 7"),
		1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:3: 8 fields"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:4: 8 fields",
					  "quote fields that contain commas"),
			 1);
	assert_int_equal(list.n, 0);
}

static void test_malformed_quotes(void **state)
{
	assert_int_equal(parse(HEADER "1,Al\"ice,198.18.0.1,1,2,1,2\n"
				      "2,\"Bob\"by,198.18.0.2,1,2,1,2\n"
				      "3,Carol,198.18.0.3,1,2,1,2\n"
				      "4,\"Dave,198.18.0.4,1,2,1,2\n"
				      "5,Eve,198.18.0.5,1,2,1,2\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 4);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, "list.csv:2: a quote inside an unquoted field"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:3: text after a closing quote"),
			 1);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, "list.csv:5: a quoted field is not closed"), 1);
}

static void test_nul_byte(void **state)
{
	static const char text[] = HEADER "1,A\0ice,198.18.0.1,1,2,1,2\n";

	assert_int_equal(customers_parse("list.csv", text, sizeof(text) - 1, &cfg, NULL, &list),
			 -EINVAL);
	assert_one_error(2, "NUL byte");
}

static void test_overlong_line(void **state)
{
	size_t big = 70 * 1024;
	char *text = malloc(big + 512);
	int n;

	assert_non_null(text);
	n = sprintf(text, HEADER "1,");
	memset(text + n, 'x', big);
	sprintf(text + n + big, ",198.18.0.1,1,2,1,2\n"
				"2,Bob,198.18.0.2,1,2,1,2\n"
				"3,Carol,198.18.0.3,0,2,1,2\n");
	assert_int_equal(parse(text), -EINVAL);
	free(text);
	/* the long row is refused, and the rows after it are still checked */
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 3);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:2: ", "longer than 65536 bytes"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:4: ", "down_rate '0': zero"), 1);
}

/* The longest row that is accepted, at the end of a file without a newline. */
static void test_longest_row(void **state)
{
	static const char tail[] = ",198.18.0.1,1,2,1,2";
	size_t hlen = strlen(HEADER), row = 64 * 1024, len = hlen + row;
	char *text = malloc(len), *grown;

	assert_non_null(text);
	memcpy(text, HEADER, hlen);
	memcpy(text + hlen, "1,", 2);
	memset(text + hlen + 2, 'n', row - 2 - strlen(tail));
	memcpy(text + len - strlen(tail), tail, strlen(tail));
	assert_int_equal(customers_parse("list.csv", text, len, &cfg, NULL, &list), 0);
	assert_int_equal(list.n, 1);
	assert_int_equal(strlen(list.v[0].name), row - 2 - strlen(tail));
	assert_int_equal(list.v[0].up_ceil, 2000000ULL);
	customers_free(&list);

	/* one byte more is refused */
	text[len - 1] = '2';
	grown = realloc(text, len + 1);
	assert_non_null(grown);
	text = grown;
	text[len] = '0';
	assert_int_equal(customers_parse("list.csv", text, len + 1, &cfg, NULL, &list), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:2: ", "longer than 65536"), 1);
	free(text);
}

static void test_bad_ids(void **state)
{
	char text[1024];

	/* 65 bytes on line 3, one over CUSTOMER_ID_MAX */
	snprintf(text, sizeof(text),
		 HEADER ",a,198.18.0.1,1,2,1,2\n"
			"%065d,b,198.18.0.2,1,2,1,2\n"
			"\"x\x1b[2Jy\",c,198.18.0.3,1,2,1,2\n"
			"\"tab\there\",d,198.18.0.4,1,2,1,2\n"
			"caf\xe9,e,198.18.0.5,1,2,1,2\n"
			"\" 1001\",f,198.18.0.6,1,2,1,2\n"
			"\xc2\x85,g,198.18.0.7,1,2,1,2\n"
			/* what was refused when ids were numbers is text now */
			"0,h,198.18.1.0,1,2,1,2\n"
			"4294967296,i,198.18.1.1,1,2,1,2\n"
			"-1,j,198.18.1.2,1,2,1,2\n"
			"1.0,k,198.18.1.3,1,2,1,2\n"
			"%064d,l,198.18.1.4,1,2,1,2\n",
		 0, 0);
	assert_int_equal(parse(text), -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 7 + 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:2: id is empty"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:3: id '00000000",
					  "...' is longer than 64 bytes"),
			 1);
	/* the message escapes what it quotes: no raw ESC reaches the terminal */
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:4: id 'x\\x1b[2Jy' holds a "
							 "control character"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:5: id 'tab\\there' holds a "
							 "control character"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:6: ", "is not valid UTF-8"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:7: id ' 1001' begins or ends "
							 "with a blank"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:8: ", "control character"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:9:"), 0);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:13:"), 0);
}

static void test_id_check(void **state)
{
	char id[80];

	assert_int_equal(customer_id_check("1001"), 0);
	assert_int_equal(customer_id_check("f47ac10b-58cc-4372-a567-0e02b2c3d479"), 0);
	assert_int_equal(customer_id_check("Müller GmbH"), 0);
	assert_int_equal(customer_id_check("0"), 0);
	memset(id, 'x', 64);
	id[64] = '\0';
	assert_int_equal(customer_id_check(id), 0);
	id[64] = 'x';
	id[65] = '\0';
	assert_int_equal(customer_id_check(id), -ENAMETOOLONG);
	assert_int_equal(customer_id_check(""), -EINVAL);
	assert_int_equal(customer_id_check("a\nb"), -EINVAL);
	assert_int_equal(customer_id_check("a\x7f"), -EINVAL);
	assert_int_equal(customer_id_check("a\xc2\x9b"), -EINVAL); /* C1 CSI */
	assert_int_equal(customer_id_check("\xff"), -EINVAL);
	assert_int_equal(customer_id_check("\xc0\xaf"), -EINVAL); /* overlong '/' */
	assert_int_equal(customer_id_check(" a"), -EINVAL);
	assert_int_equal(customer_id_check("a "), -EINVAL);
	assert_int_equal(customer_id_check("a b"), 0);
}

static void test_id_order(void **state)
{
	static const char *const order[] = {
		"0",
		"00",
		"7",
		"9",
		"10",
		"010",
		"0010",
		"99999999999999999999999999",
		"100000000000000000000000000",
		"1.0",
		"10a",
		"9a",
		"A",
		"a",
		"b",
		"f47ac10b-58cc-4372-a567-0e02b2c3d479",
		"\xc3\xa9",
	};
	size_t n = sizeof(order) / sizeof(order[0]), i, j, len;
	char text[4096];

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			int r = customer_id_cmp(order[i], order[j]);

			if ((i < j && r >= 0) || (i == j && r) || (i > j && r <= 0))
				fail_msg("customer_id_cmp(\"%s\", \"%s\") = %d", order[i], order[j],
					 r);
		}
	/* the list comes sorted that way, whatever the file's order */
	len = (size_t)snprintf(text, sizeof(text), HEADER);
	for (i = n; i-- > 0;)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s,c%zu,198.18.0.%zu,1,2,1,2\n", order[i], i, i + 1);
	assert_int_equal(parse(text), 0);
	assert_int_equal(list.n, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(list.v[i].id, order[i]);
		assert_ptr_equal(customers_find(&list, order[i]), &list.v[i]);
	}
	assert_null(customers_find(&list, "000"));
	assert_null(customers_find(&list, "8"));
	assert_null(customers_find(&list, "c"));
}

/* customer_id_cmp as it was before its one-pass form: the order to keep */
static bool ref_all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int ref_id_cmp(const char *a, const char *b)
{
	bool da = ref_all_digits(a), db = ref_all_digits(b);
	size_t za, zb, la, lb;
	int r;

	if (da != db)
		return da ? -1 : 1;
	if (!da) {
		r = strcmp(a, b);
		return r < 0 ? -1 : r > 0;
	}
	za = strspn(a, "0");
	zb = strspn(b, "0");
	la = strlen(a + za);
	lb = strlen(b + zb);
	if (la != lb)
		return la < lb ? -1 : 1;
	r = memcmp(a + za, b + zb, la);
	if (r)
		return r < 0 ? -1 : 1;
	return za < zb ? -1 : za > zb;
}

/* Ids where a one-pass comparison could go wrong: the same result for every pair */
static void test_id_order_one_pass(void **state)
{
	static const char *const ids[] = {
		"0",
		"00",
		"000",
		"1",
		"01",
		"001",
		"9",
		"09",
		"10",
		"010",
		"0010",
		"19",
		"91",
		"100",
		"099",
		"0099",
		"12345",
		"12354",
		"012345",
		"9999",
		"10000",
		"0a",
		"00a",
		"0x",
		"1a",
		"01a",
		"10a",
		"9a",
		"a0",
		"a",
		"A",
		"a1",
		"a10",
		"a9",
		"1.0",
		"1 0",
		"-1",
		"+1",
		"1-",
		"12a3",
		"123a",
		"1234a",
		"5",
		"5 ",
		"55",
		"5a5",
		"\xc3\xa9",
		"1\xc3\xa9",
		"0\xc3\xa9",
		"\xc3\xa9"
		"1",
		"~",
		"/",
		":",
		"99999999999999999999999999",
		"100000000000000000000000000",
		"0099999999999999999999999999",
		"f47ac10b-58cc-4372-a567-0e02b2c3d479",
	};
	size_t n = sizeof(ids) / sizeof(ids[0]), i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			int r = customer_id_cmp(ids[i], ids[j]), want = ref_id_cmp(ids[i], ids[j]);

			if (r != want)
				fail_msg("customer_id_cmp(\"%s\", \"%s\") = %d, was %d", ids[i],
					 ids[j], r, want);
		}
}

static void test_duplicate_ids_name_both_lines(void **state)
{
	assert_int_equal(parse(HEADER "5,a,198.18.0.1,1,2,1,2\n"
				      "6,b,198.18.0.2,1,2,1,2\n"
				      "5,c,198.18.0.3,1,2,1,2\n"
				      "5,d,198.18.0.4,1,2,1,2\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 3);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:4: customer id 5 is already used on line 2"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:5: customer id 5 is already used on line 2"),
			 1);
	assert_int_equal(list.n, 0);
	assert_null(list.v);
}

static void test_equal_prefixes_are_errors(void **state)
{
	assert_int_equal(parse(HEADER "1,a,198.18.0.0/24,1,2,1,2\n"
				      "2,b,198.18.0.7/24,1,2,1,2\n"
				      "3,c,2001:db8:1::/48,1,2,1,2\n"
				      "4,d,2001:DB8:1:0::/48,1,2,1,2\n"
				      "5,e,198.18.5.5 198.18.5.5/32,1,2,1,2\n"
				      "6,f,::ffff:198.18.0.0/120,1,2,1,2\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 5);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:3: customer 2: prefix 198.18.0.0/24 is "
					  "also claimed by customer 1 on line 2"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:5: customer 4: prefix 2001:db8:1::/48 is "
					  "also claimed by customer 3 on line 4"),
			 1);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR,
				 "list.csv:6: customer 5: prefix 198.18.5.5/32 is listed twice"),
		1);
	/* IPv4-mapped IPv6 is the same address: one spelling, the IPv4 one */
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR,
				 "list.csv:7: customer 6: prefix '::ffff:198.18.0.0/120': ",
				 "write the IPv4 address instead: 198.18.0.0/24"),
		1);
	/* host bits set in line 3's prefix: warned, not an error by itself */
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "list.csv:3: ", "host bits set",
					  "using 198.18.0.0/24"),
			 1);
}

static void test_nested_prefixes_warn(void **state)
{
	assert_int_equal(parse(HEADER "1,isp-block,198.18.0.0/16 2001:db8::/32,1,2,1,2\n"
				      "2,inside-v4,198.18.7.0/24,1,2,1,2\n"
				      "3,inside-v6,2001:db8:5::/48,1,2,1,2\n"
				      "4,deeper,198.18.7.9,1,2,1,2\n"
				      "5,own,198.19.0.0/24 198.19.0.1,1,2,1,2\n"
				      "6,outside,198.20.0.0/16,1,2,1,2\n"),
			 0);
	assert_int_equal(list.n, 6);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 3);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "list.csv:3: customer 2: prefix 198.18.7.0/24 lies "
					  "inside 198.18.0.0/16 of customer 1 on line 2"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "list.csv:4: customer 3: prefix 2001:db8:5::/48 lies "
					  "inside 2001:db8::/32 of customer 1 on line 2"),
			 1);
	/* the most specific container is named */
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "list.csv:5: customer 4: prefix 198.18.7.9/32 lies "
					  "inside 198.18.7.0/24 of customer 2 on line 3"),
			 1);
}

static void test_bad_prefixes(void **state)
{
	assert_int_equal(parse(HEADER
			       "1,a,198.18.0.1/33,1,2,1,2\n"
			       "2,b,2001:db8::/129,1,2,1,2\n"
			       "3,c,198.18.0,1,2,1,2\n"
			       "4,d,not-an-address,1,2,1,2\n"
			       "5,e,198.18.0.5/,1,2,1,2\n"
			       "6,f,/24,1,2,1,2\n"
			       "7,g,,1,2,1,2\n"
			       "8,h,\" ; ;\",1,2,1,2\n"
			       "9,i,fe80::1%eth0,1,2,1,2\n"
			       "10,j,198.18.0.10/-1,1,2,1,2\n"
			       "11,k,198.18.0.11 2001:db8::zz,1,2,1,2\n"
			       "12,l,198.18.0.12/0024,1,2,1,2\n"
			       "13,m,1234567890123456789012345678901234567890123456789012345678901,"
			       "1,2,1,2\n"),
			 -EINVAL);
	/* and the summary */
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 13 + 1);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR,
				 "list.csv:2: customer 1: prefix '198.18.0.1/33': ", "0..32"),
		1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:3: ", "0..128"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:4: ", "not an IPv4 address"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:8: customer 7: no prefixes"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:9: customer 8: no prefixes"), 1);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, "list.csv:12: customer 11: prefix '2001:db8::zz'"),
		1);
}

/* What no customer can own is refused with the reason, as every bad row is. */
static void test_reserved_prefixes_refused(void **state)
{
	static const struct {
		const char *prefix, *why;
	} refused[] = {
		{ "0.0.0.0/0", "all of IPv4" },
		{ "::/0", "all of IPv6" },
		{ "127.0.0.1", "lies in 127.0.0.0/8 (loopback)" },
		{ "127.0.0.0/8", "lies in 127.0.0.0/8 (loopback)" },
		{ "::1", "lies in ::1/128 (loopback)" },
		{ "0.0.0.0", "lies in 0.0.0.0/32 (unspecified)" },
		{ "::", "lies in ::/128 (unspecified)" },
		{ "224.0.0.1", "lies in 224.0.0.0/4 (multicast)" },
		{ "239.255.255.0/24", "lies in 224.0.0.0/4 (multicast)" },
		{ "ff02::1", "lies in ff00::/8 (multicast)" },
		{ "169.254.10.0/24", "lies in 169.254.0.0/16 (link-local)" },
		{ "fe80::1", "lies in fe80::/10 (link-local)" },
		{ "febf:ffff::/32", "lies in fe80::/10 (link-local)" },
		{ "255.255.255.255", "lies in 255.255.255.255/32 (broadcast)" },
		/* overlapping one is enough: the rest of the prefix would take it along */
		{ "192.0.0.0/2", "includes 224.0.0.0/4 (multicast)" },
		{ "255.255.255.0/24", "includes 255.255.255.255/32 (broadcast)" },
		{ "126.0.0.0/7", "includes 127.0.0.0/8 (loopback)" },
		{ "169.254.0.0/15", "includes 169.254.0.0/16 (link-local)" },
		{ "fe00::/7", "includes fe80::/10 (link-local)" },
		{ "::/96", "includes ::/128 (unspecified)" },
		/* IPv6 over the range where IPv4 is looked up would match IPv4 packets */
		{ "::/8", "includes ::ffff:0:0/96" },
		{ "::/80", "would match IPv4 packets" },
		{ "::fffe:0:0/95", "would match IPv4 packets" },
		/* IPv6 inside it is IPv4 spelt another way */
		{ "::ffff:198.18.0.1", "write the IPv4 address instead: 198.18.0.1/32" },
		{ "::ffff:c612:0/112", "write the IPv4 address instead: 198.18.0.0/16" },
		{ "::ffff:0:0/96", "all of IPv4" },
		{ "::ffff:127.0.0.1", "lies in 127.0.0.0/8 (loopback)" },
	};
	size_t n = sizeof(refused) / sizeof(refused[0]), len = 0, i;
	char text[8192], needle[128];

	len += (size_t)snprintf(text, sizeof(text), HEADER);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%zu,r,%s,1,2,1,2\n", i + 1,
					refused[i].prefix);
	/* a refused prefix does not hide the customer's good ones, nor its other errors */
	snprintf(text + len, sizeof(text) - len, "100,r,198.18.0.1 ::/0,1,2,x,2\n");
	assert_true(len < sizeof(text) - 64);
	assert_int_equal(parse(text), -EINVAL);
	for (i = 0; i < n; i++) {
		snprintf(needle, sizeof(needle), "list.csv:%zu: customer %zu: prefix '%s': ", i + 2,
			 i + 1, refused[i].prefix);
		if (capture_matching(LOG_LEVEL_ERR, needle, refused[i].why) != 1) {
			capture_dump();
			fail_msg("%s: not refused with '%s'", refused[i].prefix, refused[i].why);
		}
	}
	snprintf(needle, sizeof(needle), "list.csv:%zu: customer 100: ", n + 2);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, needle, "prefix '::/0'"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, needle, "up_rate 'x'"), 1);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), n + 2 + 1);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_int_equal(list.n, 0);
}

/* Right next to the reserved ranges, and the ranges tests and ISPs use: accepted. */
static void test_reserved_neighbours_accepted(void **state)
{
	static const char *const ok[] = {
		"2001:db8::/32",
		"198.18.0.0/15",
		"100.64.0.0/10",
		"223.255.255.0/24",
		"1.0.0.0/8",
		"126.255.255.255",
		"128.0.0.0/16",
		"169.253.255.0/24",
		"169.255.0.0/16",
		"240.0.0.0/5",
		"255.255.255.254",
		"10.0.0.0/8",
		"::2",
		"::fffe:0:0/96",
		"::1:0:0:0/80",
		"fe00::/9",
		"fec0::/10",
		"2002::/16",
		"64:ff9b::/96",
	};
	size_t n = sizeof(ok) / sizeof(ok[0]), len = 0, i;
	char text[4096];

	len += (size_t)snprintf(text, sizeof(text), HEADER);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%zu,ok,%s,1,2,1,2\n",
					i + 1, ok[i]);
	assert_true(len < sizeof(text) - 1);
	assert_int_equal(parse(text), 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_int_equal(list.n, n);
}

/* No IPv4 prefix is ever reported as nested in an IPv6 one. */
static void test_nesting_never_crosses_families(void **state)
{
	assert_int_equal(parse(HEADER "1,a,::/1,1,2,1,2\n"
				      "2,b,198.18.0.1,1,2,1,2\n"
				      "3,c,2001:db8::/32,1,2,1,2\n"
				      "4,d,2001:db8:1::/48 198.18.0.0/24,1,2,1,2\n"),
			 -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:2: customer 1: prefix '::/1'",
					  "would match IPv4 packets"),
			 1);
	/* the IPv6 /48 in the /32 is nested, 198.18.0.1 in 198.18.0.0/24 too; nothing else */
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 2);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "lies inside ::"), 0);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "list.csv:3: customer 2: prefix "
					  "198.18.0.1/32 lies inside 198.18.0.0/24"),
			 1);
}

static void test_rates(void **state)
{
	assert_int_equal(parse(HEADER "1,a,198.18.0.1,60mbit,50mbit,1,2\n"
				      "2,b,198.18.0.2,1,2,30,20\n"
				      "3,c,198.18.0.3,1,3gbit,1,2\n" /* down: lan 2gbit */
				      "4,d,198.18.0.4,1,2,1,1.5gbit\n" /* up: wan 1gbit */
				      "5,e,198.18.0.5,1,2gbit,1,1gbit\n" /* exactly the capacity */
				      "6,f,198.18.0.6,0,2,1,2\n"
				      "7,g,198.18.0.7,1,-2mbit,1,2\n"
				      "8,h,198.18.0.8,1,2,lots,2\n"
				      "9,i,198.18.0.9,1,2,1,\n"
				      "10,j,198.18.0.10,1,2,1,10Mbps\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 9 + 1);
	assert_int_equal(
		capture_matching(
			LOG_LEVEL_ERR,
			"list.csv:2: customer 1: down_rate 60mbit is more than down_ceil 50mbit"),
		1);
	assert_int_equal(
		capture_matching(
			LOG_LEVEL_ERR,
			"list.csv:3: customer 2: up_rate 30mbit is more than up_ceil 20mbit"),
		1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:4: customer 3: down_ceil 3gbit is more "
					  "than [shaping] lan_capacity 2gbit"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:5: customer 4: up_ceil 1.5gbit is more "
					  "than [shaping] wan_capacity 1gbit"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:6:"), 0);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, "list.csv:7: customer 6: down_rate '0': zero"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:8: customer 7: down_ceil '-2mbit': negative"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:9: customer 8: up_rate 'lots'"),
			 1);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, "list.csv:10: customer 9: up_ceil is empty"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:11: customer 10: up_ceil '10Mbps'",
					  "unknown unit"),
			 1);
}

static void test_no_config_means_no_capacity_check(void **state)
{
	static const char text[] = HEADER "1,a,198.18.0.1,1,100tbit,1,100tbit\n";

	assert_int_equal(customers_parse("list.csv", text, strlen(text), NULL, NULL, &list), 0);
	assert_int_equal(list.n, 1);
}

/* The operator gets every bad row, in line order, and a summary. */
static void test_every_bad_row_is_reported_in_order(void **state)
{
	const char *msg;
	unsigned int i, line, last = 0;

	assert_int_equal(parse(HEADER "1,ok,198.18.0.1,1,2,1,2\n"
				      "2,bad rate,198.18.0.2,x,2,1,2\n"
				      "3,ok,198.18.0.3,1,2,1,2\n"
				      "4,dup prefix,198.18.0.1,1,2,1,2\n"
				      "1,dup id,198.18.0.5,1,2,1,2\n"
				      "6,ok,198.18.0.6,1,2,1,2\n"
				      "7,short row,198.18.0.7\n"
				      "8,bad prefix,198.18.0.888,1,2,1,2\n"
				      "9,ok,198.18.0.9,1,2,1,2\n"),
			 -EINVAL);
	/* five bad rows and the summary */
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 6);
	for (i = 0; i < 5; i++) {
		msg = capture_msg(LOG_LEVEL_ERR, i);
		assert_int_equal(sscanf(msg, "list.csv:%u:", &line), 1);
		assert_true(line > last);
		last = line;
	}
	msg = capture_msg(LOG_LEVEL_ERR, 5);
	assert_non_null(strstr(msg, "list.csv: 5 problems found; the customer list was not used"));
	assert_int_equal(list.n, 0);
}

/*
 * A generated list with a bad column: the first errors by line, a count of
 * the rest with their lines, and the summary; not a line a row.
 */
static void test_errors_are_capped(void **state)
{
	size_t len = 0, cap = 64 * 1024;
	char *text = malloc(cap);
	unsigned int i, line, last = 0;
	const char *msg;

	assert_non_null(text);
	/* line 3 repeats line 2's id: found after all rows were read, shown first */
	len += (size_t)sprintf(text, HEADER "1,a,198.18.0.1,1,2,1,2\n"
					    "1,b,198.18.0.2,1,2,1,2\n");
	/* lines 4..1003: three bad rates each */
	for (i = 0; i < 1000; i++)
		len += (size_t)sprintf(text + len, "%u,c,198.19.%u.%u,x,y,z,2\n", i + 2, i / 256,
				       i % 256);
	assert_true(len < cap);
	assert_int_equal(parse(text), -EINVAL);
	free(text);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 100 + 2);
	assert_non_null(strstr(capture_msg(LOG_LEVEL_ERR, 0),
			       "list.csv:3: customer id 1 is already used on line 2"));
	for (i = 0; i < 100; i++) {
		msg = capture_msg(LOG_LEVEL_ERR, i);
		assert_int_equal(sscanf(msg, "list.csv:%u:", &line), 1);
		assert_true(line >= last);
		last = line;
	}
	/* 1 + 33 rows x 3 shown: lines 3..36 */
	assert_int_equal(last, 36);
	assert_non_null(strstr(capture_msg(LOG_LEVEL_ERR, 100),
			       "list.csv: 2901 more errors (lines 37-1003) not shown"));
	assert_non_null(strstr(capture_msg(LOG_LEVEL_ERR, 101), "list.csv: 3001 problems found"));
	assert_int_equal(list.n, 0);
}

static void test_warnings_are_capped(void **state)
{
	size_t len = 0, cap = 4096 * 40;
	char *text = malloc(cap);
	unsigned int i;

	assert_non_null(text);
	len += (size_t)sprintf(text, HEADER "1,block,198.18.0.0/15,1,2,1,2\n");
	for (i = 0; i < 1500; i++)
		len += (size_t)sprintf(text + len, "%u,c,198.18.%u.%u,1,2,1,2\n", i + 2, i / 256,
				       i % 256);
	assert_true(len < cap);
	assert_int_equal(parse(text), 0);
	free(text);
	assert_int_equal(list.n, 1501);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 1001);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "500 more warnings not shown"), 1);
}

static void test_load_from_file(void **state)
{
	char *dir = scratch_dir(), *path, missing[4096];

	path = scratch_file(dir, "customers.csv",
			    "\xef\xbb\xbf"
			    "id,prefixes,down_rate,down_ceil,up_rate,up_ceil\r\n"
			    "1001,198.18.1.1,1,2,1,2\r\n",
			    (size_t)-1);
	assert_int_equal(customers_load(path, &cfg, NULL, &list), 0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.v[0].id, "1001");
	customers_free(&list);
	free(path);

	path = scratch_file(dir, "bad.csv",
			    HEADER "1001,a,198.18.1.1,1,2,1,2\n"
				   "1001,b,198.18.1.2,1,2,1,2\n",
			    (size_t)-1);
	capture_begin();
	assert_int_equal(customers_load(path, &cfg, NULL, &list), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, path, ":3: customer id 1001"), 1);
	assert_int_equal(list.n, 0);
	free(path);

	snprintf(missing, sizeof(missing), "%s/none.csv", dir);
	capture_begin();
	assert_int_equal(customers_load(missing, &cfg, NULL, &list), -ENOENT);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, missing, "cannot read the customer list"),
			 1);
	assert_int_equal(customers_load(dir, &cfg, NULL, &list), -EISDIR);
	scratch_remove(dir);
}

/*
 * Only a regular file is read (a FIFO would block a cron run forever,
 * /dev/zero would be read to the cap), and none over the cap.
 */
static void test_load_only_regular_files(void **state)
{
	char *dir = scratch_dir(), *real, path[4096];
	int fd;

	alarm(10); /* a FIFO blocked here before */
	snprintf(path, sizeof(path), "%s/fifo.csv", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(customers_load(path, &cfg, NULL, &list), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, path, ": is a FIFO (named pipe)",
					  "must be a regular file"),
			 1);
	assert_int_equal(customers_load("/dev/zero", &cfg, NULL, &list), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "/dev/zero: is a character device"), 1);

	/* a symlink to a list is a list */
	real = scratch_file(dir, "real.csv", HEADER "1001,a,198.18.1.1,1,2,1,2\n", (size_t)-1);
	snprintf(path, sizeof(path), "%s/link.csv", dir);
	assert_int_equal(symlink(real, path), 0);
	assert_int_equal(customers_load(path, &cfg, NULL, &list), 0);
	assert_int_equal(list.n, 1);
	customers_free(&list);
	free(real);

	/* over 256 MiB: refused before a byte is read (the file is sparse) */
	snprintf(path, sizeof(path), "%s/huge.csv", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (256 << 20) + 1), 0);
	close(fd);
	capture_begin();
	assert_int_equal(customers_load(path, &cfg, NULL, &list), -EFBIG);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, path, "268435457 bytes", "more than the 256 MiB"),
		1);
	assert_int_equal(list.n, 0);
	alarm(0);
	scratch_remove(dir);
}

/* The example shipped as /etc/xshaper/customers.csv is valid and quiet. */
static void test_example_list(void **state)
{
	assert_int_equal(customers_load("conf/customers.csv", &cfg, NULL, &list), 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_true(list.n >= 3);
	assert_string_equal(customers_find(&list, "1002")->name, "Bob's Bakery, Ltd.");
}

/* --- parents ------------------------------------------------------------ */

#define HEADER_PARENT "id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil,parent\n"

static void test_parent_column(void **state)
{
	const struct customer *c;

	net = &test_net;
	assert_int_equal(parse(HEADER_PARENT "1,a,198.18.0.1,10,30,5,10,AP1\n"
					     "2,b,198.18.0.2,1,2,1,2,\n"
					     "3,c,198.18.0.3,1,2,1,2,Site A\n"
					     "4,d,198.18.0.4,1,2,1,2,Tower V\n"
					     "5,e,198.18.0.5,1,2000,1,1000,Floating\n"),
			 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_int_equal(list.n, 5);
	c = customers_find(&list, "1");
	assert_string_equal(c->parent, "AP1");
	assert_int_equal(c->node, node("AP1"));
	assert_string_equal(c->info, "");
	assert_int_equal(c->down_ceil, 30000000ULL);
	c = customers_find(&list, "2");
	assert_null(c->parent);
	assert_int_equal(c->node, NETWORK_NONE);
	assert_string_equal(customers_find(&list, "3")->parent, "Site A");
	/* a virtual node is its customers' node; the plan finds the class it hangs from */
	assert_int_equal(customers_find(&list, "4")->node, node("Tower V"));
	/* under a virtual top node only the link bounds it */
	c = customers_find(&list, "5");
	assert_int_equal(c->node, node("Floating"));
	assert_int_equal(c->down_ceil, 2000000000ULL);
	assert_int_equal(c->up_ceil, 1000000000ULL);

	/* the column is optional: no parent at all */
	customers_free(&list);
	assert_int_equal(parse(HEADER "1,a,198.18.0.1,1,2,1,2\n"), 0);
	assert_null(list.v[0].parent);
	assert_int_equal(list.v[0].node, NETWORK_NONE);
}

static void test_unknown_parent(void **state)
{
	net = &test_net;
	assert_int_equal(parse(HEADER_PARENT "1,a,198.18.0.1,1,2,1,2,AP1\n"
					     "2,b,198.18.0.2,1,2,1,2,AP2\n"
					     "3,c,198.18.0.3,1,2,1,2,ap1\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 2 + 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:3: customer 2: parent 'AP2' is not a node of "
					  "the network file network.json"),
			 1);
	/* names are exact */
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:4: customer 3: parent 'ap1'"),
			 1);
	assert_int_equal(list.n, 0);

	/* without a network file no parent can be named */
	capture_begin();
	net = NULL;
	assert_int_equal(parse(HEADER_PARENT "1,a,198.18.0.1,1,2,1,2,AP1\n"
					     "2,b,198.18.0.2,1,2,1,2,\n"),
			 -EINVAL);
	assert_one_error(2, "customer 1: parent 'AP1' is not a node: there is no [network] file");
}

static void test_parent_caps_ceil_and_rate(void **state)
{
	const struct customer *c;

	net = &test_net;
	assert_int_equal(parse(HEADER_PARENT "1,a,198.18.0.1,10,100mbit,5,10,AP1\n"
					     "2,b,198.18.0.2,50,100,25,30,AP1\n"
					     "3,c,198.18.0.3,40,40,20,20,AP1\n"
					     "4,d,198.18.0.4,1,1.5gbit,1,2,Tower V\n"),
			 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 6);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "list.csv:2: customer 1: down ceil "
							  "100mbit is above node 'AP1' (40mbit): "
							  "capped"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "list.csv:3: customer 2: down ceil "
							  "100mbit is above node 'AP1' (40mbit): "
							  "capped"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "list.csv:3: customer 2: down rate "
							  "50mbit is above node 'AP1' (40mbit): "
							  "capped"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "list.csv:3: customer 2: up ceil 30mbit "
							  "is above node 'AP1' (20mbit): capped"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "list.csv:3: customer 2: up rate 25mbit "
							  "is above node 'AP1' (20mbit): capped"),
			 1);
	/* a virtual node's customers are capped by its real ancestor */
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "list.csv:5: customer 4: down ceil "
							  "1.5gbit is above node 'Site A' (1gbit): "
							  "capped"),
			 1);
	c = customers_find(&list, "1");
	assert_int_equal(c->down_ceil, 40000000ULL);
	assert_int_equal(c->down_rate, 10000000ULL);
	assert_int_equal(c->up_ceil, 10000000ULL);
	c = customers_find(&list, "2");
	assert_int_equal(c->down_rate, 40000000ULL);
	assert_int_equal(c->down_ceil, 40000000ULL);
	assert_int_equal(c->up_rate, 20000000ULL);
	assert_int_equal(c->up_ceil, 20000000ULL);
	/* exactly the cap: untouched, quiet */
	assert_int_equal(customers_find(&list, "3")->down_ceil, 40000000ULL);
	assert_int_equal(customers_find(&list, "4")->down_ceil, 1000000000ULL);

	/* the link's capacity stays an error, a cap cannot make it right */
	capture_begin();
	customers_free(&list);
	assert_int_equal(parse(HEADER_PARENT "1,a,198.18.0.1,1,3gbit,1,2,AP1\n"), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:2: customer 1: down_ceil 3gbit "
							 "is more than [shaping] lan_capacity"),
			 1);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
}

/* --- LibreQoS's ShapedDevices.csv -------------------------------------------- */

#define LQ_HEADER13                                                                                \
	"Circuit ID,Circuit Name,Device ID,Device Name,Parent Node,MAC,IPv4,IPv6,"                 \
	"Download Min Mbps,Upload Min Mbps,Download Max Mbps,Upload Max Mbps,Comment\n"
#define LQ_HEADER15                                                                                \
	"Circuit ID,Circuit Name,Device ID,Device Name,Parent Node,Parent Node ID,"                \
	"Anchor Node ID,MAC,IPv4,IPv6,Download Min Mbps,Upload Min Mbps,Download Max Mbps,"        \
	"Upload Max Mbps,Comment\n"
#define LQ_HEADER16                                                                                \
	"Circuit ID,Circuit Name,Device ID,Device Name,Parent Node,Parent Node ID,"                \
	"Anchor Node ID,MAC,IPv4,IPv6,Download Min Mbps,Upload Min Mbps,Download Max Mbps,"        \
	"Upload Max Mbps,Comment,sqm\n"

static void test_libreqos_13_columns(void **state)
{
	const struct customer *c;
	char buf[PREFIX_TEXT_LEN];

	net = &test_net;
	assert_int_equal(parse("# exported by the billing system\n" LQ_HEADER13
			       "c-100,\"Smith, Jane\",d1,Jane router,Site A,aa:bb:cc:00:00:01,"
			       "\"198.18.1.1, 198.18.1.2\",2001:db8:100::/56,10,5,35,15,roof unit\n"
			       "\n"
			       "c-101,Lee,d2,,,,198.18.2.0/29,,12.5,2.5,100,20,\n"),
			 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_int_equal(list.n, 2);
	assert_int_equal(list.nprefixes_v4, 3);
	assert_int_equal(list.nprefixes_v6, 1);
	c = &list.v[0];
	assert_string_equal(c->id, "c-100");
	assert_string_equal(c->name, "Smith, Jane");
	assert_string_equal(c->parent, "Site A");
	assert_int_equal(c->node, node("Site A"));
	assert_string_equal(c->info, "Jane router (aa:bb:cc:00:00:01, roof unit)");
	assert_int_equal(c->line, 3);
	assert_int_equal(c->nprefixes, 3);
	assert_string_equal(prefix_format(&c->prefixes[0], buf, sizeof(buf)), "198.18.1.1/32");
	assert_string_equal(prefix_format(&c->prefixes[1], buf, sizeof(buf)), "198.18.1.2/32");
	assert_string_equal(prefix_format(&c->prefixes[2], buf, sizeof(buf)), "2001:db8:100::/56");
	assert_int_equal(c->down_rate, 10000000ULL);
	assert_int_equal(c->up_rate, 5000000ULL);
	assert_int_equal(c->down_ceil, 35000000ULL);
	assert_int_equal(c->up_ceil, 15000000ULL);
	c = customers_find(&list, "c-101");
	assert_non_null(c);
	assert_int_equal(c->line, 5);
	/* no Device Name: the Device ID shows */
	assert_string_equal(c->info, "d2");
	assert_null(c->parent);
	assert_int_equal(c->node, NETWORK_NONE);
	assert_int_equal(c->down_rate, 12500000ULL);
	assert_int_equal(c->up_rate, 2500000ULL);
	assert_int_equal(c->nprefixes, 1);
}

static void test_libreqos_15_and_16_columns(void **state)
{
	const struct customer *c;

	net = &test_net;
	assert_int_equal(parse(LQ_HEADER15 "1,One,11,cpe-1,AP1,n-7,a-3,,198.18.3.1,,1,1,20,5,\n"
					   "2,Two,12,cpe-2,,,,,198.18.3.2,,1,1,20,5,note\n"),
			 0);
	assert_int_equal(list.n, 2);
	c = customers_find(&list, "1");
	assert_string_equal(c->parent, "AP1");
	assert_string_equal(c->info, "cpe-1");
	assert_string_equal(customers_find(&list, "2")->info, "cpe-2 (note)");
	customers_free(&list);

	/* sqm is LibreQoS's own business; a circuit's sqm is ignored */
	assert_int_equal(parse(LQ_HEADER16
			       "1,One,11,cpe-1,AP1,,,,198.18.3.1,,1,1,20,5,,cake\n"
			       "2,Two,12,cpe-2,,,,,198.18.3.2,,1,1,20,5,x,fq_codel/cake\n"
			       "3,Three,13,cpe-3,,,,,198.18.3.3,,1,1,20,5,,\n"),
			 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(list.n, 3);
	assert_int_equal(customers_find(&list, "3")->up_ceil, 5000000ULL);
}

/*
 * LibreQoS leaves trailing empty fields out, and writes comments unquoted:
 * more fields than the header are a comma in the last columns, taken with
 * a warning; a row whose extra fields could shift a column xshaper reads is
 * an error.
 */
static void test_libreqos_short_rows(void **state)
{
	assert_int_equal(parse(LQ_HEADER16
			       "1,One,11,cpe-1,,,,,198.18.3.1,,1,1,20,5\n"
			       "2,Two,12,cpe-2,,,,,198.18.3.2,,1,1,20,5,comment\n"
			       "3,Three,13,cpe-3,,,,,198.18.3.3,,1,1,20,5,,cake\n"
			       "4,Four,14,cpe-4,,,,,198.18.3.4,,1,1,20,5,Down=cake, Up=fq,cake/fq\n"
			       "5,Five,15,cpe-5,,,,,198.18.3.5,,1,1\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 2 + 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "list.csv:5: 17 fields, but the header on "
					  "line 1 has 16",
					  "Comment"),
			 1);
	/* a row that ends before a required field: that field is empty */
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:6: circuit 5: Download Max Mbps "
							 "is empty"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:6: circuit 5: Upload Max Mbps "
							 "is empty"),
			 1);

	capture_begin();
	assert_int_equal(
		parse(LQ_HEADER16
		      "1,One,11,cpe-1,,,,,198.18.3.1,,1,1,20,5\n"
		      "2,Two,12,cpe-2,,,,,198.18.3.2,,1,1,20,5,comment\n"
		      "3,Three,13,cpe-3,,,,,198.18.3.3,,1,1,20,5,,cake\n"
		      "4,Four,14,cpe-4,,,,,198.18.3.4,,1,1,20,5,Down=cake, Up=fq,cake/fq\n"),
		0);
	assert_int_equal(list.n, 4);
	assert_string_equal(customers_find(&list, "2")->info, "cpe-2 (comment)");
	assert_string_equal(customers_find(&list, "4")->info, "cpe-4 (Down=cake)");
	assert_int_equal(customers_find(&list, "4")->down_ceil, 20000000ULL);

	/* no column after the ones read: extra fields could be anywhere */
	customers_free(&list);
	capture_begin();
	assert_int_equal(parse("Circuit ID,IPv4,Download Max Mbps,Upload Max Mbps\n"
			       "1,198.18.3.1,20,5\n"
			       "2,198.18.3.2,20,5,7\n"),
			 -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:3: 5 fields, but the header on "
							 "line 1 has 4"),
			 1);
}

static void test_libreqos_multi_device_circuit(void **state)
{
	const struct customer *c;
	char buf[PREFIX_TEXT_LEN];

	assert_int_equal(parse(LQ_HEADER13
			       "77,Big Farm,d-a,barn,,aa:00:00:00:00:0a,198.18.7.1,,5,2,50,10,\n"
			       "78,Neighbour,d-x,house,,,198.18.8.1,,5,2,50,10,\n"
			       "77,Big Farm,d-b,silo,,,\"198.18.7.2, 198.18.7.3\",,5,2,50,10,\n"
			       "77,,d-c,,,,,2001:db8:77::/48,5,2,50,10,tractor\n"
			       "77,Big Farm,d-d,phone,,,,,5,2,50,10,\n"),
			 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_int_equal(list.n, 2);
	assert_int_equal(list.nprefixes_v4, 4);
	assert_int_equal(list.nprefixes_v6, 1);
	c = customers_find(&list, "77");
	assert_non_null(c);
	assert_int_equal(c->line, 2);
	assert_string_equal(c->name, "Big Farm");
	assert_int_equal(c->nprefixes, 4);
	assert_string_equal(prefix_format(&c->prefixes[0], buf, sizeof(buf)), "198.18.7.1/32");
	assert_string_equal(prefix_format(&c->prefixes[1], buf, sizeof(buf)), "198.18.7.2/32");
	assert_string_equal(prefix_format(&c->prefixes[2], buf, sizeof(buf)), "198.18.7.3/32");
	assert_string_equal(prefix_format(&c->prefixes[3], buf, sizeof(buf)), "2001:db8:77::/48");
	assert_string_equal(c->info, "barn (aa:00:00:00:00:0a); silo; d-c (tractor); phone");
	assert_int_equal(c->down_ceil, 50000000ULL);
	assert_int_equal(customers_find(&list, "78")->nprefixes, 1);
}

static void test_libreqos_address_lists(void **state)
{
	static const char *const want[] = {
		"198.18.3.1/32", "198.18.3.0/30",     "198.18.4.0/24",
		"198.18.5.5/32", "2001:db8:3::1/128", "2001:db8:4::/48",
	};
	const struct customer *c;
	char buf[PREFIX_TEXT_LEN];
	unsigned int i;

	assert_int_equal(parse(LQ_HEADER13 "9,,,,,,\" 198.18.3.1 ,198.18.3.0/30 , 198.18.4.0/24,"
					   "198.18.5.5\",\"2001:db8:3::1, 2001:db8:4::/48 \","
					   "1,1,10,10,\n"),
			 0);
	/* nested inside its own prefix: quiet */
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	c = &list.v[0];
	assert_int_equal(c->nprefixes, 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(prefix_format(&c->prefixes[i], buf, sizeof(buf)), want[i]);
	assert_string_equal(c->name, "");
	assert_string_equal(c->info, "");

	capture_begin();
	customers_free(&list);
	assert_int_equal(parse(LQ_HEADER13 "9,,,,,,\"198.18.3.1, 198.18.3.x\",,1,1,10,10,\n"),
			 -EINVAL);
	assert_one_error(2, "circuit 9: prefix '198.18.3.x'");
}

static void test_libreqos_same_prefix_in_one_circuit(void **state)
{
	const struct customer *c;
	char buf[PREFIX_TEXT_LEN];

	assert_int_equal(parse(LQ_HEADER13 "5,,a,,,,\"198.18.5.1, 198.18.5.2\",,1,1,10,10,\n"
					   "5,,b,,,,\"198.18.5.2, 198.18.5.3, 198.18.5.3\",,1,1,10,"
					   "10,\n"),
			 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 2);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "list.csv:3: circuit 5: prefix "
					  "198.18.5.2/32 is also listed on line 2; it "
					  "is used once"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "list.csv:3: circuit 5: prefix "
					  "198.18.5.3/32 is listed twice; it is used "
					  "once"),
			 1);
	c = &list.v[0];
	assert_int_equal(c->nprefixes, 3);
	assert_int_equal(list.nprefixes_v4, 3);
	assert_string_equal(prefix_format(&c->prefixes[0], buf, sizeof(buf)), "198.18.5.1/32");
	assert_string_equal(prefix_format(&c->prefixes[1], buf, sizeof(buf)), "198.18.5.2/32");
	assert_string_equal(prefix_format(&c->prefixes[2], buf, sizeof(buf)), "198.18.5.3/32");
}

static void test_libreqos_prefixes_across_circuits(void **state)
{
	assert_int_equal(parse(LQ_HEADER13 "A,,a1,,,,198.18.0.0/24,,1,1,10,10,\n"
					   "B,,b1,,,,198.18.1.1,,1,1,10,10,\n"
					   "A,,a2,,,,198.18.1.0/24,,1,1,10,10,\n"
					   "B,,b2,,,,198.18.0.0/24,,1,1,10,10,\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 1 + 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:5: circuit B: prefix "
					  "198.18.0.0/24 is also claimed by circuit A "
					  "on line 2"),
			 1);
	/* a device of B inside a device of A's prefix, on another row of A */
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "list.csv:3: circuit B: prefix "
					  "198.18.1.1/32 lies inside 198.18.1.0/24 of "
					  "circuit A on line 4"),
			 1);
}

static void test_libreqos_conflicting_parents(void **state)
{
	net = &test_net;
	assert_int_equal(parse(LQ_HEADER13 "9,,a,,AP1,,198.18.9.1,,1,1,10,10,\n"
					   "9,,b,,,,198.18.9.2,,1,1,10,10,\n"
					   "9,,c,,Site A,,198.18.9.3,,1,1,10,10,\n"
					   "9,,d,,AP1,,198.18.9.4,,1,1,10,10,\n"),
			 -EINVAL);
	assert_one_error(4, "circuit 9: Parent Node 'Site A' differs from 'AP1' on line 2");

	/* the first Parent Node named is the circuit's, whichever row names it */
	capture_begin();
	assert_int_equal(parse(LQ_HEADER13 "9,,a,,,,198.18.9.1,,1,1,10,10,\n"
					   "9,,b,,AP1,,198.18.9.2,,1,1,10,10,\n"),
			 0);
	assert_string_equal(list.v[0].parent, "AP1");
	assert_int_equal(list.v[0].node, node("AP1"));

	/* and a name that is not a node, on each row that writes it */
	capture_begin();
	customers_free(&list);
	assert_int_equal(parse(LQ_HEADER13 "9,,a,,AP9,,198.18.9.1,,1,1,10,10,\n"
					   "9,,b,,AP9,,198.18.9.2,,1,1,10,10,\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 2 + 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:3: circuit 9: Parent Node 'AP9' "
							 "is not a node of the network file "
							 "network.json"),
			 1);
}

static void test_libreqos_differing_rates(void **state)
{
	const struct customer *c;

	net = &test_net;
	assert_int_equal(parse(LQ_HEADER13 "5,,a,,AP1,,198.18.5.1,,2,1,100,10,\n"
					   "5,,b,,AP1,,198.18.5.2,,2,1,100,10,\n"
					   "5,,c,,AP1,,198.18.5.3,,4,1,200,10,\n"),
			 0);
	/* rates are the first row's, capped once for the circuit, not once a device */
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 2);
	assert_int_equal(
		capture_matching(LOG_LEVEL_WARN,
				 "list.csv:4: circuit 5: min/max rates (down 4mbit/200mbit, up "
				 "1mbit/10mbit) differ from line 2's (down 2mbit/100mbit, up "
				 "1mbit/10mbit), which the circuit gets"),
		1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, "list.csv:2: circuit 5: down ceil "
							  "100mbit is above node 'AP1' (40mbit): "
							  "capped"),
			 1);
	c = &list.v[0];
	assert_int_equal(c->down_rate, 2000000ULL);
	assert_int_equal(c->down_ceil, 40000000ULL);
	assert_int_equal(c->nprefixes, 3);
}

static void test_libreqos_uuid_ids(void **state)
{
	const struct customer *c;

	assert_int_equal(
		parse(LQ_HEADER13
		      "6f1c2b7e-93a4-4d0e-b0c5-2a9f8e7d6c5b,Alice,,,,,198.18.6.1,,1,1,"
		      "10,10,\n"
		      "0b6c9a7e-1d2f-4e3a-8b9c-7d6e5f4a3b2c,Bob,,,,,198.18.6.2,,1,1,10,10,\n"
		      "6f1c2b7e-93a4-4d0e-b0c5-2a9f8e7d6c5b,Alice,,,,,198.18.6.3,,1,1,"
		      "10,10,\n"),
		0);
	assert_int_equal(list.n, 2);
	assert_string_equal(list.v[0].id, "0b6c9a7e-1d2f-4e3a-8b9c-7d6e5f4a3b2c");
	c = customers_find(&list, "6f1c2b7e-93a4-4d0e-b0c5-2a9f8e7d6c5b");
	assert_non_null(c);
	assert_string_equal(c->name, "Alice");
	assert_int_equal(c->nprefixes, 2);
	assert_null(customers_find(&list, "6F1C2B7E-93A4-4D0E-B0C5-2A9F8E7D6C5B"));
}

static void test_libreqos_bad_values(void **state)
{
	assert_int_equal(parse(LQ_HEADER13 ",,,,,,198.18.0.1,,1,1,10,10,\n"
					   "2,,,,,,198.18.0.2,,,1,10,10,\n"
					   "3,,,,,,198.18.0.3,,1,1,0,10,\n"
					   "4,,,,,,198.18.0.4,,60,1,50,10,\n"
					   "5,,,,,,,,1,1,10,10,\n"
					   "6,,,,,,,,1,1,10,10,\n"
					   "6,,,,,,,,1,1,10,10,\n"
					   "7,,,,,,198.18.0.7,,1,1,10,3gbit,\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 7 + 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:2: Circuit ID is empty"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:3: circuit 2: Download Min Mbps "
							 "is empty (Mbit/s, such as 100 or 12.5)"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:4: circuit 3: Download Max Mbps "
							 "'0': zero"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:5: circuit 4: Download Min Mbps "
					  "60mbit is more than Download Max Mbps 50mbit"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:6: circuit 5: no IPv4 or IPv6 "
							 "address; "),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:7: circuit 6: no IPv4 or IPv6 "
							 "address on any of its rows"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:9: circuit 7: Upload Max Mbps "
					  "3gbit is more than [shaping] wan_capacity 1gbit"),
			 1);
}

/* Without Min columns a circuit is guaranteed 1 Mbit/s, or its Max when that is less. */
static void test_libreqos_min_columns_optional(void **state)
{
	assert_int_equal(parse("Circuit ID,IPv6,Download Max Mbps,Upload Max Mbps\n"
			       "1,2001:db8:1::/48,100,20\n"
			       "2,2001:db8:2::/48,0.5,20\n"),
			 0);
	assert_int_equal(list.v[0].down_rate, 1000000ULL);
	assert_int_equal(list.v[0].up_rate, 1000000ULL);
	assert_int_equal(list.v[1].down_rate, 500000ULL);
	assert_int_equal(list.v[1].down_ceil, 500000ULL);
}

static void test_libreqos_missing_columns(void **state)
{
	assert_int_equal(parse("Circuit ID,Circuit Name,Download Min Mbps,Upload Min Mbps\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 3 + 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR,
					  "list.csv:1: the header has no 'Download "
					  "Max Mbps' column",
					  "LibreQoS's ShapedDevices.csv"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:1: the header has no 'Upload "
							 "Max Mbps' column"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:1: the header has neither an "
							 "'IPv4' nor an 'IPv6' column"),
			 1);

	capture_begin();
	assert_int_equal(parse("Circuit ID,IPv4,circuit id,Download Max Mbps,Upload Max Mbps\n"),
			 -EINVAL);
	assert_one_error(1, "column 'Circuit ID' twice (fields 1 and 3)");
}

/* A long list of devices is shown, not kept: info stops at 256 bytes, whole characters. */
static void test_libreqos_info_is_short(void **state)
{
	char text[16384];
	size_t len, i;

	len = (size_t)snprintf(text, sizeof(text), LQ_HEADER13);
	for (i = 0; i < 40; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"1,,,Gerät Nummer %zu,,,198.18.1.%zu,,1,1,10,10,\n", i,
					i + 1);
	assert_int_equal(parse(text), 0);
	assert_int_equal(list.v[0].nprefixes, 40);
	assert_true(strlen(list.v[0].info) <= 256);
	assert_true(strlen(list.v[0].info) >= 250);
	assert_non_null(strstr(list.v[0].info, "Gerät Nummer 0; Gerät Nummer 1; "));
	assert_string_equal(list.v[0].info + strlen(list.v[0].info) - 3, "...");
	assert_int_equal(customer_id_check(list.v[0].info), -ENAMETOOLONG);
}

/* --- [customers] format -------------------------------------------------- */

static void test_format_auto(void **state)
{
	/* by the header: LibreQoS's names Circuit ID, however it is written */
	cfg.customers_format = CUSTOMERS_AUTO;
	assert_int_equal(parse("circuit_id,ipv4,DOWNLOAD MAX MBPS,upload-max-mbps\n"
			       "1,198.18.0.1,10,5\n"
			       "1,198.18.0.2,10,5\n"),
			 0);
	assert_int_equal(list.n, 1);
	assert_int_equal(list.v[0].nprefixes, 2);
	customers_free(&list);

	assert_int_equal(parse(HEADER "1,a,198.18.0.1,1,2,1,2\n"), 0);
	assert_int_equal(list.n, 1);
	customers_free(&list);

	/* no config: auto */
	assert_int_equal(customers_parse("list.csv", LQ_HEADER13 "1,,,,,,198.18.0.1,,1,1,10,10,\n",
					 strlen(LQ_HEADER13 "1,,,,,,198.18.0.1,,1,1,10,10,\n"),
					 NULL, NULL, &list),
			 0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.v[0].id, "1");
	customers_free(&list);

	/* and forced, where the header alone would not tell */
	cfg.customers_format = CUSTOMERS_LIBREQOS;
	assert_int_equal(parse("Circuit ID,IPv4,Download Max Mbps,Upload Max Mbps\n"
			       "1,198.18.0.1,10,5\n"),
			 0);
	assert_int_equal(list.n, 1);
}

static void test_format_forced(void **state)
{
	cfg.customers_format = CUSTOMERS_XSHAPER;
	assert_int_equal(parse(LQ_HEADER13 "1,,,,,,198.18.0.1,,1,1,10,10,\n"), -EINVAL);
	/* id, prefixes and the four rates */
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 6 + 1);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR,
				 "list.csv:1: the header has no 'id' "
				 "column",
				 "this header is LibreQoS's ShapedDevices.csv: set [customers] "
				 "format = libreqos"),
		1);
	assert_int_equal(list.n, 0);

	capture_begin();
	cfg.customers_format = CUSTOMERS_LIBREQOS;
	assert_int_equal(parse(HEADER "1,a,198.18.0.1,1,2,1,2\n"), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "list.csv:1: the header has no 'Circuit "
							 "ID' column"),
			 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_valid_list),
		T(test_columns_in_any_order_extra_ignored_name_optional),
		T(test_missing_columns_are_named),
		T(test_duplicate_header_column),
		T(test_no_header_at_all),
		T(test_rfc4180_quoting),
		T(test_crlf_bom_comments_blank_lines),
		T(test_wrong_field_count),
		T(test_malformed_quotes),
		T(test_nul_byte),
		T(test_overlong_line),
		T(test_longest_row),
		T(test_bad_ids),
		T(test_id_check),
		T(test_id_order),
		T(test_id_order_one_pass),
		T(test_duplicate_ids_name_both_lines),
		T(test_equal_prefixes_are_errors),
		T(test_nested_prefixes_warn),
		T(test_bad_prefixes),
		T(test_reserved_prefixes_refused),
		T(test_reserved_neighbours_accepted),
		T(test_nesting_never_crosses_families),
		T(test_rates),
		T(test_no_config_means_no_capacity_check),
		T(test_every_bad_row_is_reported_in_order),
		T(test_errors_are_capped),
		T(test_warnings_are_capped),
		T(test_load_from_file),
		T(test_load_only_regular_files),
		T(test_example_list),
		T(test_parent_column),
		T(test_unknown_parent),
		T(test_parent_caps_ceil_and_rate),
		T(test_libreqos_13_columns),
		T(test_libreqos_15_and_16_columns),
		T(test_libreqos_short_rows),
		T(test_libreqos_multi_device_circuit),
		T(test_libreqos_address_lists),
		T(test_libreqos_same_prefix_in_one_circuit),
		T(test_libreqos_prefixes_across_circuits),
		T(test_libreqos_conflicting_parents),
		T(test_libreqos_differing_rates),
		T(test_libreqos_uuid_ids),
		T(test_libreqos_bad_values),
		T(test_libreqos_min_columns_optional),
		T(test_libreqos_missing_columns),
		T(test_libreqos_info_is_short),
		T(test_format_auto),
		T(test_format_forced),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
