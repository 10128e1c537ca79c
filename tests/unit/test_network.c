// SPDX-License-Identifier: GPL-2.0-only
/*
 * The network file: LibreQoS's network.json read into the node tree,
 * parent-first, with the caps each node is shaped to, and every mistake
 * in it named by FILE:LINE:COLUMN.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf/network.h"
#include "unit/helpers.h"

#define MBIT 1000000ULL

static struct xs_config cfg;

static int setup(void **state)
{
	config_defaults(&cfg);
	cfg.lan_capacity = 10000 * MBIT;
	cfg.wan_capacity = 2000 * MBIT;
	capture_begin();
	return 0;
}

static int teardown(void **state)
{
	capture_end();
	return 0;
}

static int parse(const char *json, struct network *net)
{
	int err = network_parse("net.json", json, strlen(json), &cfg, net);

	if (getenv("TEST_VERBOSE"))
		capture_dump();
	return err;
}

/* The node called name, which must be there. */
static const struct node *node(const struct network *net, const char *name)
{
	int i = network_find(net, name);

	if (i == NETWORK_NONE)
		fail_msg("no node '%s'", name);
	return &net->v[i];
}

static int idx(const struct network *net, const char *name)
{
	return (int)(node(net, name) - net->v);
}

/* An error, or the only error, that is exactly this line. */
static void assert_error(const char *msg)
{
	if (capture_matching(LOG_LEVEL_ERR, msg) != 1) {
		capture_dump();
		fail_msg("want the error \"%s\"", msg);
	}
}

static void assert_refused(const char *json, const char *msg)
{
	struct network net;

	capture_begin();
	if (parse(json, &net) != -EINVAL)
		fail_msg("accepted: %s", json);
	assert_int_equal(net.n, 0);
	assert_null(net.v);
	assert_null(net.by_name);
	assert_error(msg);
}

/* ---- the tree ---- */

static void test_nesting_order_and_links(void **state)
{
	static const char json[] = "{\n"
				   "  \"Zulu\": {\n"
				   "    \"downloadBandwidthMbps\": 900,\n"
				   "    \"uploadBandwidthMbps\": 800,\n"
				   "    \"children\": {\n"
				   "      \"Mid\": {\n"
				   "        \"children\": { \"Leaf\": {} }\n"
				   "      },\n"
				   "      \"Alpha\": {}\n"
				   "    }\n"
				   "  },\n"
				   "  \"Bravo\": {}\n"
				   "}\n";
	static const char *const order[] = { "Zulu", "Mid", "Leaf", "Alpha", "Bravo" };
	struct network net;
	char path[64];
	size_t i;

	assert_int_equal(parse(json, &net), 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_int_equal(net.n, 5);
	assert_int_equal(net.nreal, 5);
	assert_string_equal(net.file, "net.json");
	/* parent-first, siblings as written (not sorted) */
	for (i = 0; i < net.n; i++) {
		assert_string_equal(net.v[i].name, order[i]);
		assert_true(net.v[i].parent < (int)i);
		assert_int_equal(network_find(&net, order[i]), (int)i);
	}
	assert_int_equal(node(&net, "Zulu")->parent, NETWORK_NONE);
	assert_int_equal(node(&net, "Zulu")->up, NETWORK_NONE);
	assert_int_equal(node(&net, "Zulu")->real, idx(&net, "Zulu"));
	assert_int_equal(node(&net, "Zulu")->depth, 1);
	assert_int_equal(node(&net, "Mid")->parent, idx(&net, "Zulu"));
	assert_int_equal(node(&net, "Mid")->up, idx(&net, "Zulu"));
	assert_int_equal(node(&net, "Mid")->depth, 2);
	assert_int_equal(node(&net, "Leaf")->parent, idx(&net, "Mid"));
	assert_int_equal(node(&net, "Leaf")->up, idx(&net, "Mid"));
	assert_int_equal(node(&net, "Leaf")->real, idx(&net, "Leaf"));
	assert_int_equal(node(&net, "Leaf")->depth, 3);
	assert_int_equal(node(&net, "Alpha")->parent, idx(&net, "Zulu"));
	assert_int_equal(node(&net, "Alpha")->depth, 2);
	assert_int_equal(node(&net, "Bravo")->depth, 1);
	/* the line and column of each node's name */
	assert_int_equal(node(&net, "Zulu")->line, 2);
	assert_int_equal(node(&net, "Zulu")->column, 3);
	assert_int_equal(node(&net, "Leaf")->line, 7);
	assert_int_equal(node(&net, "Leaf")->column, 23);
	assert_int_equal(node(&net, "Bravo")->line, 12);
	assert_int_equal(node(&net, "Bravo")->column, 3);
	/* absent type and id are "" */
	assert_string_equal(node(&net, "Leaf")->type, "");
	assert_string_equal(node(&net, "Leaf")->ext_id, "");
	assert_false(node(&net, "Leaf")->virtual);

	assert_int_equal(network_path(&net, idx(&net, "Leaf"), path, sizeof(path)),
			 strlen("Zulu / Mid / Leaf"));
	assert_string_equal(path, "Zulu / Mid / Leaf");
	assert_int_equal(network_find(&net, "Nope"), NETWORK_NONE);
	assert_int_equal(network_find(&net, "zulu"), NETWORK_NONE);
	network_free(&net);
	assert_int_equal(net.n, 0);
	assert_null(net.v);
}

static void test_type_and_id(void **state)
{
	struct network net;

	assert_int_equal(parse("{\"A\": {\"type\": \"Site\", \"id\": \"x-1\", \"name\": \"other\"},"
			       " \"B\": {\"type\": null, \"id\": 42},"
			       " \"C\": {\"id\": 2.5, \"unknown\": [1, {\"children\": 3}]}}",
			       &net),
			 0);
	assert_int_equal(net.n, 3);
	assert_string_equal(node(&net, "A")->type, "Site");
	assert_string_equal(node(&net, "A")->ext_id, "x-1");
	assert_string_equal(node(&net, "B")->type, "");
	assert_string_equal(node(&net, "B")->ext_id, "42");
	assert_string_equal(node(&net, "C")->ext_id, "2.5");
	network_free(&net);
}

/* ---- virtual nodes: kept, but no class and no depth ---- */

static void test_virtual_top_level(void **state)
{
	struct network net;

	assert_int_equal(parse("{\"Region\": {\"virtual\": true, \"downloadBandwidthMbps\": 300,"
			       "  \"children\": {\"S1\": {\"children\": {\"AP\": {}}},"
			       "                \"S2\": {\"downloadBandwidthMbps\": 500}}},"
			       " \"Other\": {}}",
			       &net),
			 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_int_equal(net.n, 5);
	assert_int_equal(net.nreal, 4);
	assert_true(node(&net, "Region")->virtual);
	assert_int_equal(node(&net, "Region")->depth, 0);
	assert_int_equal(node(&net, "Region")->real, NETWORK_NONE);
	assert_int_equal(node(&net, "Region")->up, NETWORK_NONE);
	/* its children hang from the root class, as top-level nodes */
	assert_int_equal(node(&net, "S1")->parent, idx(&net, "Region"));
	assert_int_equal(node(&net, "S1")->up, NETWORK_NONE);
	assert_int_equal(node(&net, "S1")->depth, 1);
	assert_int_equal(node(&net, "AP")->up, idx(&net, "S1"));
	assert_int_equal(node(&net, "AP")->depth, 2);
	/* S1 inherits the (informative) cap of the node it is written under */
	assert_int_equal(node(&net, "Region")->cap[XS_LAN], 300 * MBIT);
	assert_int_equal(node(&net, "S1")->cap[XS_LAN], 300 * MBIT);
	/* but a virtual node bounds nothing: 500 > 300 is neither lowered nor warned */
	assert_int_equal(node(&net, "S2")->cap[XS_LAN], 500 * MBIT);
	assert_int_equal(node(&net, "S2")->cap[XS_WAN], 2000 * MBIT);
	network_free(&net);
}

static void test_virtual_in_the_middle(void **state)
{
	struct network net;

	assert_int_equal(parse("{\"Site\": {\"downloadBandwidthMbps\": 100, \"children\": {"
			       "  \"Group\": {\"type\": \"Virtual\", \"children\": {"
			       "    \"Inner\": {\"virtual\": true, \"children\": {"
			       "      \"AP\": {\"downloadBandwidthMbps\": 150}}}}}}}}",
			       &net),
			 0);
	assert_int_equal(net.n, 4);
	assert_int_equal(net.nreal, 2);
	assert_true(node(&net, "Group")->virtual);
	assert_string_equal(node(&net, "Group")->type, "Virtual");
	assert_int_equal(node(&net, "Group")->real, idx(&net, "Site"));
	assert_int_equal(node(&net, "Group")->up, idx(&net, "Site"));
	assert_int_equal(node(&net, "Inner")->real, idx(&net, "Site"));
	assert_int_equal(node(&net, "Inner")->depth, 0);
	assert_int_equal(node(&net, "AP")->parent, idx(&net, "Inner"));
	assert_int_equal(node(&net, "AP")->up, idx(&net, "Site"));
	assert_int_equal(node(&net, "AP")->depth, 2);
	/* bounded by the real node above, past the virtual ones */
	assert_int_equal(node(&net, "AP")->cap[XS_LAN], 100 * MBIT);
	assert_int_equal(
		capture_matching(LOG_LEVEL_WARN,
				 "net.json:1:180: node 'AP': download 150mbit is above "
				 "'Site' (100mbit), the nearest real node above it: capped\n"),
		1);
	network_free(&net);

	assert_refused("{\"A\": {\"virtual\": \"yes\"}}",
		       "net.json:1:19: node 'A': virtual is a string; write true or false\n");
}

/* ---- caps ---- */

static void test_inherited_rates(void **state)
{
	struct network net;

	assert_int_equal(
		parse("{\"Top\": {\"uploadBandwidthMbps\": 700, \"children\": {"
		      "  \"Zero\": {\"downloadBandwidthMbps\": 0, \"uploadBandwidthMbps\": 0},"
		      "  \"Null\": {\"downloadBandwidthMbps\": null, \"children\": {"
		      "    \"Deep\": {\"uploadBandwidthMbps\": 300}}},"
		      "  \"Missing\": {}}}}",
		      &net),
		0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	/* top level, missing: the link capacity of each direction */
	assert_int_equal(node(&net, "Top")->cap[XS_LAN], 10000 * MBIT);
	assert_int_equal(node(&net, "Top")->cap[XS_WAN], 700 * MBIT);
	assert_int_equal(node(&net, "Zero")->cap[XS_LAN], 10000 * MBIT);
	assert_int_equal(node(&net, "Zero")->cap[XS_WAN], 700 * MBIT);
	assert_int_equal(node(&net, "Null")->cap[XS_WAN], 700 * MBIT);
	assert_int_equal(node(&net, "Missing")->cap[XS_WAN], 700 * MBIT);
	assert_int_equal(node(&net, "Deep")->cap[XS_LAN], 10000 * MBIT);
	assert_int_equal(node(&net, "Deep")->cap[XS_WAN], 300 * MBIT);
	network_free(&net);
}

static void test_decimals(void **state)
{
	struct network net;

	assert_int_equal(parse("{\"S\": {\"downloadBandwidthMbps\": \"12.5\","
			       " \"uploadBandwidthMbps\": 12.5},"
			       " \"T\": {\"downloadBandwidthMbps\": \"1e3\","
			       " \"uploadBandwidthMbps\": 0.0000104},"
			       " \"U\": {\"downloadBandwidthMbps\": \"0.1\","
			       " \"uploadBandwidthMbps\": \"100\"}}",
			       &net),
			 0);
	assert_int_equal(node(&net, "S")->cap[XS_LAN], 12500000);
	assert_int_equal(node(&net, "S")->cap[XS_WAN], 12500000);
	assert_int_equal(node(&net, "T")->cap[XS_LAN], 1000 * MBIT);
	/* to the nearest bit/s */
	assert_int_equal(node(&net, "T")->cap[XS_WAN], 10);
	assert_int_equal(node(&net, "U")->cap[XS_LAN], 100000);
	assert_int_equal(node(&net, "U")->cap[XS_WAN], 100 * MBIT);
	network_free(&net);
}

static void test_cap_above_parent_is_lowered(void **state)
{
	struct network net;

	assert_int_equal(
		parse("{\n"
		      "\"Y\": {\"downloadBandwidthMbps\": 1000, \"children\": {\n"
		      "  \"X\": {\"downloadBandwidthMbps\": 2000, \"uploadBandwidthMbps\": 30,\n"
		      "         \"children\": {\"Z\": {}}}}},\n"
		      "\"Big\": {\"uploadBandwidthMbps\": \"3000\"}\n"
		      "}",
		      &net),
		0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 2);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "net.json:3:34: node 'X': download 2gbit is above its "
					  "parent 'Y' (1gbit): capped\n"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN,
					  "net.json:5:32: node 'Big': upload 3gbit is above "
					  "wan_capacity (2gbit): capped\n"),
			 1);
	assert_int_equal(node(&net, "X")->cap[XS_LAN], 1000 * MBIT);
	assert_int_equal(node(&net, "X")->cap[XS_WAN], 30 * MBIT);
	/* what the children inherit is the lowered cap */
	assert_int_equal(node(&net, "Z")->cap[XS_LAN], 1000 * MBIT);
	assert_int_equal(node(&net, "Z")->cap[XS_WAN], 30 * MBIT);
	assert_int_equal(node(&net, "Big")->cap[XS_WAN], 2000 * MBIT);
	network_free(&net);
}

static void test_bad_rates(void **state)
{
	static const struct {
		const char *value, *why;
	} bad[] = {
		{ "-1", "downloadBandwidthMbps: -1 is negative" },
		{ "-0.5", "downloadBandwidthMbps: -0.5 is negative" },
		{ "\"-3\"", "downloadBandwidthMbps: -3 is negative" },
		{ "\"fast\"", "downloadBandwidthMbps: 'fast' is not a number of Mbit/s" },
		{ "\"\"", "downloadBandwidthMbps: '' is not a number of Mbit/s" },
		{ "\"nan\"", "downloadBandwidthMbps: 'nan' is not a number of Mbit/s" },
		{ "\"inf\"", "downloadBandwidthMbps: 'inf' is not a number of Mbit/s" },
		{ "\"0x10\"", "downloadBandwidthMbps: '0x10' is not a number of Mbit/s" },
		{ "\"1.2.3\"", "downloadBandwidthMbps: '1.2.3' is not a number of Mbit/s" },
		{ "\" 5\"", "downloadBandwidthMbps: ' 5' is not a number of Mbit/s" },
		{ "\"1e999\"", "downloadBandwidthMbps: '1e999' is not a number of Mbit/s" },
		{ "10000001", "downloadBandwidthMbps: 10000001 is more than 10000000 Mbit/s" },
		{ "1e8", "downloadBandwidthMbps: 1e+08 is more than 10000000 Mbit/s" },
		{ "\"2e7\"", "downloadBandwidthMbps: 2e+07 is more than 10000000 Mbit/s" },
		{ "0.000001", "downloadBandwidthMbps: 1e-06 Mbit/s is below 8 bit/s; 0 means the "
			      "parent's" },
		{ "true", "downloadBandwidthMbps: a boolean, not a number of Mbit/s" },
		{ "[100]", "downloadBandwidthMbps: an array, not a number of Mbit/s" },
		{ "{}", "downloadBandwidthMbps: an object, not a number of Mbit/s" },
	};
	char json[256], msg[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"N\": {\"downloadBandwidthMbps\": %s}}",
			 bad[i].value);
		snprintf(msg, sizeof(msg), "net.json:1:33: node 'N': %s\n", bad[i].why);
		assert_refused(json, msg);
	}
	/* 10 Tbit/s is the most */
	cfg.lan_capacity = 10000000 * MBIT;
	capture_begin();
	{
		struct network net;

		assert_int_equal(parse("{\"N\": {\"downloadBandwidthMbps\": 10000000}}", &net), 0);
		assert_int_equal(net.v[0].cap[XS_LAN], 10000000 * MBIT);
		network_free(&net);
	}
}

/* ---- names ---- */

static void test_duplicate_in_one_object(void **state)
{
	/* jansson's own message, at the end of the second key */
	assert_refused("{\n  \"A\": {},\n  \"A\": {}\n}",
		       "net.json:3:5: duplicate object key near '\"A\"'\n");
	assert_refused("{\"S\": {\"children\": {\n"
		       "    \"B\": {},\n"
		       "    \"C\": {}, \"B\": {\"type\": \"AP\"}}}}",
		       "net.json:3:16: duplicate object key near '\"B\"'\n");
	/* a member of a node, twice: jansson names no key over 20 bytes, this file does */
	assert_refused("{\"S\": {\"downloadBandwidthMbps\": 1, \"downloadBandwidthMbps\": 2}}",
		       "net.json:1:58: duplicate object key near '\"downloadBandwidthMbps\"'\n");
	assert_refused("{\"Site \\\"North\\\" Tower Cluster\": {},\n"
		       " \"Site \\\"North\\\" Tower Cluster\": {}}",
		       "net.json:2:31: duplicate object key near '\"Site \\\\\"North\\\\\" "
		       "Tower Cluster\"'\n");
}

static void test_duplicate_across_branches(void **state)
{
	assert_refused("{\n"
		       "  \"North\": {\"children\": {\"AP_1\": {}}},\n"
		       "  \"South\": {\"children\": {\n"
		       "    \"Hub\": {\"children\": {\"AP_1\": {}}}}}\n"
		       "}",
		       "net.json:4:26: node 'AP_1': South / Hub / AP_1: the name is already used "
		       "by North / AP_1 at 2:26; names must be unique across the tree\n");
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);
	/* a child named as a node above it */
	assert_refused("{\"A\": {\"children\": {\"B\": {\"children\": {\"A\": {}}}}}}",
		       "net.json:1:40: node 'A': A / B / A: the name is already used by A at "
		       "1:2; names must be unique across the tree\n");
	/* every later use names the first */
	capture_begin();
	{
		struct network net;

		assert_int_equal(parse("{\"X\": {}, \"A\": {\"children\": {\"X\": {}}}, "
				       "\"B\": {\"children\": {\"X\": {}}}}",
				       &net),
				 -EINVAL);
	}
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 2);
	assert_error("net.json:1:30: node 'X': A / X: the name is already used by X at 1:2;");
	assert_error("net.json:1:60: node 'X': B / X: the name is already used by X at 1:2;");
	/* names are bytes: case matters */
	{
		struct network net;

		capture_begin();
		assert_int_equal(parse("{\"ap\": {}, \"AP\": {}, \"Ap\": {}}", &net), 0);
		assert_int_equal(net.n, 3);
		assert_int_equal(network_find(&net, "Ap"), 2);
		network_free(&net);
	}
}

static void test_bad_names(void **state)
{
	char json[512], msg[512], longname[NETWORK_NAME_MAX + 2];
	struct network net;

	assert_refused("{\"\": {}}",
		       "net.json:1:2: node '': the name is empty; a name is 1 to 128 bytes of "
		       "text without control characters or blanks at either end\n");
	assert_refused("{\" AP\": {}}", "net.json:1:2: node ' AP': the name starts or ends with a "
					"blank");
	assert_refused("{\"AP\\t\": {}}",
		       "net.json:1:2: node 'AP\\t': the name starts or ends with "
		       "a blank");
	/* escaped in the message, as everything from the file */
	assert_refused("{\"A\\u001b[2JB\": {}}",
		       "net.json:1:2: node 'A\\x1b[2JB': the name holds a control character");
	assert_refused("{\"A\\u0085B\": {}}",
		       "net.json:1:2: node 'A\\u0085B': the name holds a control character");
	assert_refused("{\"A\\u007fB\": {}}",
		       "net.json:1:2: node 'A\\x7fB': the name holds a control character");
	/* jansson refuses NUL and bad UTF-8 itself */
	assert_refused(
		"{\"A\\u0000B\": {}}",
		"net.json:1:11: NUL byte in object key not supported near '\"A\\\\u0000B\"'");
	assert_refused("{\"A\xff\": {}}", "net.json:1:3: unable to decode byte 0xff near '\"A'");

	memset(longname, 'n', sizeof(longname));
	longname[NETWORK_NAME_MAX] = '\0';
	snprintf(json, sizeof(json), "{\"%s\": {}}", longname);
	assert_int_equal(parse(json, &net), 0);
	assert_int_equal(strlen(net.v[0].name), NETWORK_NAME_MAX);
	network_free(&net);
	longname[NETWORK_NAME_MAX] = 'n';
	longname[NETWORK_NAME_MAX + 1] = '\0';
	snprintf(json, sizeof(json), "{\"%s\": {}}", longname);
	longname[NETWORK_NAME_MAX] = '\0';
	snprintf(msg, sizeof(msg), "net.json:1:2: node '%s...': the name is longer than 128 bytes",
		 longname);
	assert_refused(json, msg);
	/* UTF-8 is text: "Müller" and "東京" are names */
	capture_begin();
	assert_int_equal(parse("{\"M\xc3\xbcller\": {\"children\": {\"\xe6\x9d\xb1\xe4\xba\xac\": "
			       "{}}}}",
			       &net),
			 0);
	assert_int_equal(net.n, 2);
	/* columns count characters: the 'ü' is one */
	assert_int_equal(net.v[1].column, 26);
	network_free(&net);
}

/* ---- depth ---- */

/* A chain of n nodes N1 / N2 / ..., those listed in virt (1-based) virtual. */
static void chain(char *buf, size_t len, unsigned int n, unsigned int virt_mask)
{
	size_t off = 0;
	unsigned int i;

	off += (size_t)snprintf(buf + off, len - off, "{");
	for (i = 1; i <= n; i++)
		off += (size_t)snprintf(buf + off, len - off, "\"N%u\": {%s\"children\": {", i,
					virt_mask & (1u << i) ? "\"virtual\": true, " : "");
	for (i = 1; i <= n; i++)
		off += (size_t)snprintf(buf + off, len - off, "}}");
	snprintf(buf + off, len - off, "}");
}

static void test_depth_limit(void **state)
{
	struct network net;
	char json[1024];

	chain(json, sizeof(json), NETWORK_MAX_DEPTH, 0);
	assert_int_equal(parse(json, &net), 0);
	assert_int_equal(net.n, 6);
	assert_int_equal(net.v[5].depth, 6);
	network_free(&net);

	chain(json, sizeof(json), NETWORK_MAX_DEPTH + 1, 0);
	assert_refused(json,
		       "net.json:1:122: node 'N7': path N1 / N2 / N3 / N4 / N5 / N6 / N7 is 7 "
		       "nodes deep; HTB nests 8 classes, so at most 6 nodes (virtual nodes "
		       "do not count)\n");
	/* the first node past the limit is the one to fix: once a path */
	chain(json, sizeof(json), NETWORK_MAX_DEPTH + 3, 0);
	assert_refused(json, "node 'N7': path N1 / N2 / N3 / N4 / N5 / N6 / N7 is 7 nodes deep");
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);

	/* virtual nodes do not count: 6 real under 2 virtual */
	capture_begin();
	chain(json, sizeof(json), NETWORK_MAX_DEPTH + 2, (1u << 1) | (1u << 4));
	assert_int_equal(parse(json, &net), 0);
	assert_int_equal(net.n, 8);
	assert_int_equal(net.nreal, 6);
	assert_int_equal(net.v[7].depth, 6);
	assert_int_equal(net.v[7].up, 6);
	assert_int_equal(net.v[1].up, NETWORK_NONE);
	network_free(&net);
	/* but are named in the path */
	chain(json, sizeof(json), NETWORK_MAX_DEPTH + 3, 1u << 4);
	assert_refused(json, "node 'N8': path N1 / N2 / N3 / N4 / N5 / N6 / N7 / N8 is 7 nodes "
			     "deep");
}

/* A file as deep as jansson parses: walked without recursion, reported plainly. */
static void test_hostile_nesting(void **state)
{
	const unsigned int levels = 1000;
	size_t len = levels * 64 + 16, off = 0;
	char *json = malloc(len), path[64];
	struct network net;
	unsigned int i;

	assert_non_null(json);
	off += (size_t)snprintf(json + off, len - off, "{");
	for (i = 0; i < levels; i++)
		off += (size_t)snprintf(json + off, len - off,
					"\"V%u\": {\"virtual\": true, \"children\": {", i);
	for (i = 0; i < levels; i++)
		off += (size_t)snprintf(json + off, len - off, "}}");
	snprintf(json + off, len - off, "}");
	assert_int_equal(parse(json, &net), 0);
	assert_int_equal(net.n, levels);
	assert_int_equal(net.nreal, 0);
	assert_int_equal(net.v[levels - 1].parent, (int)levels - 2);
	assert_true(network_path(&net, (int)levels - 1, path, sizeof(path)) > 5000);
	assert_int_equal(strncmp(path, "V0 / V1 / V2 / ", 15), 0);
	network_free(&net);

	/* past jansson's JSON_PARSER_MAX_DEPTH: its error */
	capture_begin();
	off = 0;
	for (i = 0; i < 2100 && off + 2 < len; i++)
		json[off++] = '[';
	json[off] = '\0';
	assert_int_equal(parse(json, &net), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "net.json:1:2049: maximum parsing depth "
							 "reached"),
			 1);
	free(json);
}

/* ---- the file as a whole ---- */

static void test_bad_json(void **state)
{
	assert_refused("{\n  \"A\": {,\n}", "net.json:2:9: string or '}' expected near ','\n");
	assert_refused("{\n  \"A\": {}\n", "net.json:3:0: '}' expected near end of file\n");
	assert_refused("{\"A\": {}} x", "net.json:1:11: end of file expected near 'x'\n");
	assert_refused("{\"A\": {\"downloadBandwidthMbps\": 99999999999999999999}}",
		       "net.json:1:52: too big integer near '99999999999999999999'\n");
	/* the text of jansson's message is escaped, as all from the file */
	assert_refused("{\"A\": \"\x1b[2J\"}", "net.json:1:7: control character 0x1b near '\"'\n");
	assert_refused("{\"A\": {}}\n\x1b[2J", "net.json:2:1: end of file expected near '\\x1b'");
	assert_refused("", "net.json: empty; a network file is one JSON object of nodes, {} for "
			   "none (or leave [network] file unset)\n");
	assert_refused(" \n\t\n", "net.json: empty;");
	/* jansson would take "1\0," as "1," */
	{
		static const char nul[] =
			"{\"A\": {\"id\": 1\0, \"type\": \"x\"},\n \"\xc3\xa9\": 2\0}";
		struct network net;

		capture_begin();
		assert_int_equal(network_parse("net.json", nul, sizeof(nul) - 1, &cfg, &net),
				 -EINVAL);
		assert_error("net.json:1:15: NUL byte; is this a text file?\n");
		assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);
	}
}

static void test_top_level_not_an_object(void **state)
{
	assert_refused("\n  [ {\"A\": {}} ]",
		       "net.json:2:3: the top level is an array; a network file is one object of "
		       "nodes keyed by name: { \"Site\": { \"downloadBandwidthMbps\": 1000, ... } "
		       "}\n");
	assert_refused("\"Site\"", "net.json:1:1: the top level is a string;");
	assert_refused("42", "net.json:1:1: the top level is a number;");
	assert_refused("null", "net.json:1:1: the top level is null;");
}

static void test_empty(void **state)
{
	struct network net;

	assert_int_equal(parse("{}", &net), 0);
	assert_int_equal(net.n, 0);
	assert_int_equal(net.nreal, 0);
	assert_int_equal(network_find(&net, "x"), NETWORK_NONE);
	network_free(&net);
	/* a BOM is no content, and shifts no column */
	assert_int_equal(parse("\xef\xbb\xbf{ }", &net), 0);
	network_free(&net);
	assert_refused("\xef\xbb\xbf{\"A\": 1}",
		       "net.json:1:7: node 'A': a number, not an object; write a node as { "
		       "\"downloadBandwidthMbps\": ..., \"children\": { ... } }\n");
	capture_begin();
	assert_int_equal(network_load(NULL, &cfg, &net), 0);
	assert_int_equal(net.n, 0);
	assert_int_equal(network_load("", &cfg, &net), 0);
	assert_int_equal(net.n, 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	network_free(&net);
}

/* Every bad node at once, each where it is written. */
static void test_every_bad_node_reported(void **state)
{
	struct network net;

	capture_begin();
	assert_int_equal(parse("{\n"
			       "  \"A\": \"Site\",\n"
			       "  \"B\": {\"children\": [\"B1\"]},\n"
			       "  \"C\": {\"type\": 3, \"id\": {}},\n"
			       "  \"D\": {\"children\": {\"D1\": [], \"D2\": {\"virtual\": 1}}},\n"
			       "  \"E\": {\"uploadBandwidthMbps\": \"x\", \"children\": null}\n"
			       "}\n",
			       &net),
			 -EINVAL);
	assert_int_equal(net.n, 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 7);
	assert_error("net.json:2:8: node 'A': a string, not an object;");
	assert_error("net.json:3:21: node 'B': children is an array, not an object of nodes keyed "
		     "by name\n");
	assert_error("net.json:4:17: node 'C': type is a number, not a string\n");
	assert_error("net.json:4:26: node 'C': id is an object, not a string or a number\n");
	assert_error("net.json:5:28: node 'D1': an array, not an object;");
	assert_error("net.json:5:50: node 'D2': virtual is a number; write true or false\n");
	assert_error("net.json:6:32: node 'E': uploadBandwidthMbps: 'x' is not a number of "
		     "Mbit/s\n");
}

/* A file that is wrong throughout: 100 errors and a count, not one a node. */
static void test_messages_are_capped(void **state)
{
	size_t len = 64 * 1024, off = 0;
	char *json = malloc(len);
	struct network net;
	unsigned int i;

	assert_non_null(json);
	off += (size_t)snprintf(json + off, len - off, "{\n");
	for (i = 0; i < 250; i++)
		off += (size_t)snprintf(json + off, len - off, "\"N%u\": {\"type\": 1},\n", i);
	snprintf(json + off, len - off, "\"last\": {}\n}\n");
	assert_int_equal(parse(json, &net), -EINVAL);
	free(json);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 101);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "type is a number"), 100);
	assert_error("net.json: 150 more errors (lines 102-251) not shown\n");
}

/* Escapes in keys and strings move the column as the characters they are written as. */
static void test_positions_through_escapes(void **state)
{
	static const char json[] = "{\"Q\\\"uote\": {\"type\": \"a\\\\\\\"{[\", \"children\": {"
				   "\"\\u00e9t\\u00E9\": {}, \"R\": {\"id\": true}}}}";

	assert_refused(json, "net.json:1:79: node 'R': id is a boolean, not a string or a number");
	{
		struct network net;
		int err;

		capture_begin();
		err = network_parse("net.json", json, strlen(json), &cfg, &net);
		assert_int_equal(err, -EINVAL);
		/* the one error, and nothing made up on the way */
		assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);
	}
}

static void test_path_truncation(void **state)
{
	struct network net;
	char buf[64];

	assert_int_equal(parse("{\"Alpha\": {\"children\": {\"B\xc3\xa9ta\": {\"children\": "
			       "{\"Gamma\": {}}}}}}",
			       &net),
			 0);
	/* "Alpha / Béta / Gamma": 21 bytes */
	assert_int_equal(network_path(&net, 2, buf, sizeof(buf)), 21);
	assert_string_equal(buf, "Alpha / B\xc3\xa9ta / Gamma");
	assert_int_equal(network_path(&net, 2, buf, 12), 21);
	assert_string_equal(buf, "Alpha / B\xc3\xa9");
	/* never half a character */
	assert_int_equal(network_path(&net, 2, buf, 10), 21);
	assert_string_equal(buf, "Alpha / B");
	assert_int_equal(network_path(&net, 2, buf, 1), 21);
	assert_string_equal(buf, "");
	assert_int_equal(network_path(&net, 0, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "Alpha");
	assert_int_equal(network_path(&net, NETWORK_NONE, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(network_path(&net, 3, buf, sizeof(buf)), 0);
	network_free(&net);
}

/* conf/network.json: the shape LibreQoS's integrations write, extras and all. */
static void test_example_file(void **state)
{
	static const struct {
		const char *name, *parent, *up;
		unsigned int depth;
		uint64_t down, up_rate;
	} want[] = {
		{ "Site_North", NULL, NULL, 1, 1000 * MBIT, 1000 * MBIT },
		{ "AP_N1", "Site_North", "Site_North", 2, 300 * MBIT, 100 * MBIT },
		{ "Tower_3", "Site_North", "Site_North", 2, 800 * MBIT, 800 * MBIT },
		{ "Hub_5", "Tower_3", "Tower_3", 3, 600 * MBIT, 600 * MBIT },
		{ "AP_9", "Hub_5", "Hub_5", 4, 120500000, 40 * MBIT },
		{ "Hub_6", "Hub_5", "Hub_5", 4, 400 * MBIT, 400 * MBIT },
		{ "AP_11", "Hub_6", "Hub_6", 5, 250 * MBIT, 62500000 },
		{ "Site_South", NULL, NULL, 1, 500 * MBIT, 500 * MBIT },
		{ "Hub_1", "Site_South", "Site_South", 2, 500 * MBIT, 500 * MBIT },
		{ "AP_7", "Hub_1", "Hub_1", 3, 200 * MBIT, 50 * MBIT },
		{ "AP_1", "Site_South", "Site_South", 2, 150 * MBIT, 30 * MBIT },
	};
	struct network net;
	char path[256];
	size_t i;

	assert_int_equal(network_load("conf/network.json", &cfg, &net), 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_string_equal(net.file, "conf/network.json");
	assert_int_equal(net.n, sizeof(want) / sizeof(want[0]));
	assert_int_equal(net.nreal, net.n);
	for (i = 0; i < net.n; i++) {
		const struct node *nd = &net.v[i];

		assert_string_equal(nd->name, want[i].name);
		assert_int_equal(nd->parent, want[i].parent ? idx(&net, want[i].parent) : -1);
		assert_int_equal(nd->up, want[i].up ? idx(&net, want[i].up) : -1);
		assert_int_equal(nd->real, (int)i);
		assert_int_equal(nd->depth, want[i].depth);
		assert_int_equal(nd->cap[XS_LAN], want[i].down);
		assert_int_equal(nd->cap[XS_WAN], want[i].up_rate);
		assert_false(nd->virtual);
	}
	assert_string_equal(node(&net, "Site_North")->ext_id,
			    "7f3c9a52-1e0d-4b8a-9c61-2d5e8f0a4b17");
	assert_string_equal(node(&net, "Site_South")->ext_id, "17");
	assert_string_equal(node(&net, "AP_N1")->ext_id, "4101");
	assert_string_equal(node(&net, "AP_9")->type, "AP");
	assert_int_equal(node(&net, "AP_11")->line, 36);
	assert_int_equal(node(&net, "AP_11")->column, 10);
	network_path(&net, idx(&net, "AP_11"), path, sizeof(path));
	assert_string_equal(path, "Site_North / Tower_3 / Hub_5 / Hub_6 / AP_11");
	network_free(&net);
}

static void test_load_refuses_what_is_not_a_file(void **state)
{
	char *dir = scratch_dir(), *file, missing[4096];
	struct network net;

	file = scratch_file(dir, "network.json", "{\"A\": {\"children\": {\"B\": 1}}}", (size_t)-1);
	assert_int_equal(network_load(file, &cfg, &net), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, file, ":1:26: node 'B': a number"), 1);
	assert_int_equal(net.n, 0);
	snprintf(missing, sizeof(missing), "%s/missing.json", dir);
	assert_int_equal(network_load(missing, &cfg, &net), -ENOENT);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, missing, "cannot read the network file",
					  "[network] file"),
			 1);
	assert_int_equal(network_load(dir, &cfg, &net), -EISDIR);
	free(file);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nesting_order_and_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_virtual_top_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_virtual_in_the_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inherited_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decimals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_above_parent_is_lowered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_in_one_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_across_branches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_level_not_an_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_bad_node_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_are_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positions_through_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_what_is_not_a_file, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
