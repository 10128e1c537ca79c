// SPDX-License-Identifier: GPL-2.0-only
/*
 * The INI file: every key with its default, every bad value reported with
 * FILE:LINE and what is allowed, all of them in one run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

#include "conf/config.h"
#include "conf/customers.h"
#include "conf/plan.h"
#include "unit/helpers.h"

/* The smallest valid config; bad values are appended as extra sections. */
#define MINIMAL "[interfaces]\nwan = eth0\nlan = eth1\n"

struct fixture {
	char *dir;
	char *ini;
	struct xs_config cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->dir = scratch_dir();
	capture_begin();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	capture_end();
	free(f->ini);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

static int load(struct fixture *f, const char *text)
{
	int err;

	free(f->ini);
	f->ini = scratch_file(f->dir, "xshaper.ini", text, (size_t)-1);
	config_defaults(&f->cfg);
	err = config_load(f->ini, &f->cfg);
	if (getenv("TEST_VERBOSE"))
		capture_dump();
	return err;
}

/* "DIR/xshaper.ini:LINE: " */
static char *at(const struct fixture *f, unsigned int line)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s:%u: ", f->ini, line);
	return buf;
}

/* A CPU number below XS_MAX_CPUS that is not online, or -1. */
static int offline_cpu(void)
{
	unsigned int online[XS_MAX_CPUS], c;
	int n = cpus_online(online, XS_MAX_CPUS), i;

	for (c = 0; c < XS_MAX_CPUS; c++) {
		for (i = 0; i < n && online[i] != c; i++)
			;
		if (i == n)
			return (int)c;
	}
	return -1;
}

/* ---- the defaults: what they mean, and that the documents state them ---- */

/* clang-format off */
#define FIELD(f) { #f, offsetof(struct xs_config, f), sizeof(((struct xs_config *)0)->f) }
/* clang-format on */

static const struct {
	const char *name;
	size_t off, len;
} config_fields[] = {
	FIELD(wan),
	FIELD(lan),
	FIELD(xdp_mode),
	FIELD(cpus),
	FIELD(ncpus),
	FIELD(queue_size),
	FIELD(queues_per_cpu),
	FIELD(queues_auto),
	FIELD(wan_capacity),
	FIELD(lan_capacity),
	FIELD(leaf_qdisc),
	FIELD(default_rate),
	FIELD(default_ceil),
	FIELD(unknown),
	FIELD(customers_file),
	FIELD(max_removed),
	FIELD(max_removed_percent),
	FIELD(customers_format),
	FIELD(network_file),
	FIELD(monitor_rtt),
	FIELD(monitor_flows),
	FIELD(bpffs),
	FIELD(lock),
	FIELD(lock_timeout),
	FIELD(lookup_chunks),
};

/*
 * The first setting in which two configs differ (the path they were read
 * from aside), NULL when they are the same. Both start from
 * config_defaults, which zeroes the struct, so equal values are equal bytes.
 */
static const char *config_differs(const struct xs_config *a, const struct xs_config *b)
{
	static struct xs_config x, y;
	size_t i;

	x = *a;
	y = *b;
	memset(x.path, 0, sizeof(x.path));
	memset(y.path, 0, sizeof(y.path));
	for (i = 0; i < sizeof(config_fields) / sizeof(config_fields[0]); i++)
		if (memcmp((char *)&x + config_fields[i].off, (char *)&y + config_fields[i].off,
			   config_fields[i].len))
			return config_fields[i].name;
	return memcmp(&x, &y, sizeof(x)) ? "a field this test does not name" : NULL;
}

/*
 * Only the required keys: a config that validates, runs on every online
 * CPU, and plans customers onto them.
 */
static void test_defaults_plan(void **state)
{
	static const char csv[] = "id,prefixes,down_rate,down_ceil,up_rate,up_ceil\n"
				  "1,198.19.1.1,1mbit,10gbit,1mbit,10gbit\n"
				  "2,198.19.1.2 2001:db8:100::/56,5mbit,10mbit,1mbit,2mbit\n";
	unsigned int online[XS_MAX_CPUS];
	int n = cpus_online(online, XS_MAX_CPUS);
	struct fixture *f = *state;
	struct customer_list list;
	struct plan plan;
	size_t i;

	assert_int_equal(load(f, MINIMAL), 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	/* "Default: all online CPUs", one tree each until the queues are known */
	assert_int_equal(f->cfg.ncpus, n);
	assert_memory_equal(f->cfg.cpus, online, n * sizeof(online[0]));
	assert_int_equal(config_txqs(&f->cfg), f->cfg.ncpus);
	config_resolve_queues(&f->cfg, 64);
	assert_true(config_txqs(&f->cfg) <= 64);
	assert_true(config_txqs(&f->cfg) >= f->cfg.ncpus);
	/* a ceil up to the default capacity is accepted */
	assert_int_equal(customers_parse("list", csv, sizeof(csv) - 1, &f->cfg, NULL, &list), 0);
	assert_int_equal(list.n, 2);
	assert_int_equal(plan_build(&f->cfg, NULL, &list, NULL, NULL, 0, NULL, &plan), 0);
	assert_int_equal(plan.n, 2);
	for (i = 0; i < plan.n; i++) {
		assert_true(plan.classes[i].txq < config_txqs(&f->cfg));
		assert_int_equal(plan.classes[i].cpu,
				 f->cfg.cpus[plan.classes[i].txq / f->cfg.queues_per_cpu]);
	}
	plan_free(&plan);
	customers_free(&list);
}

/*
 * conf/xshaper.ini, installed as /etc/xshaper/xshaper.ini, spells out
 * every default: loaded, it is the config of the required keys alone.
 */
static void test_example_config_states_the_defaults(void **state)
{
	struct fixture *f = *state;
	static struct xs_config example;
	const char *differs;

	config_defaults(&example);
	assert_int_equal(config_load("conf/xshaper.ini", &example), 0);
	assert_int_equal(load(f, MINIMAL), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	differs = config_differs(&example, &f->cfg);
	if (differs)
		fail_msg("conf/xshaper.ini: %s is not its default", differs);
}

/* The keys whose man page entry shows an example or a placeholder, not a default */
static bool man_no_default(const char *key)
{
	/* wan and lan are required; list defaults to "all online CPUs" */
	return !strcmp(key, "wan") || !strcmp(key, "lan") || !strcmp(key, "list");
}

/* s at the end of the text in buf (size bytes) */
static void append(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s", s);
}

/* The words of a man page macro line after the macro: "a b" is one. */
static size_t man_words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = strchr(line, ' ');

	while (p && n < max) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			w[n++] = ++p;
			p = strchr(p, '"');
		} else {
			w[n++] = p;
			p = strchr(p, ' ');
		}
		if (p)
			*p++ = '\0';
	}
	return n;
}

/* The default a paragraph names: "WORD (default)" or "(default WORD)". */
static bool man_default_in(const char *text, char *out, size_t len)
{
	const char *p = strstr(text, " (default)"), *b;

	if (p) {
		for (b = p; b > text && b[-1] != ' '; b--)
			;
		snprintf(out, len, "%.*s", (int)(p - b), b);
		return true;
	}
	p = strstr(text, "(default ");
	if (!p)
		return false;
	p += strlen("(default ");
	snprintf(out, len, "%.*s", (int)strcspn(p, ")"), p);
	return true;
}

struct man_entry {
	char section[32];
	char key[32];
	char value[256]; /* "" until found in the paragraph */
};

/* A paragraph has ended: its entries without a value take the default it names. */
static void man_flush(const char *path, struct man_entry *e, size_t n, size_t *open,
		      const char *para)
{
	for (; *open < n; (*open)++)
		if (!e[*open].value[0] &&
		    !man_default_in(para, e[*open].value, sizeof(e[*open].value)))
			fail_msg("%s: [%s] %s: no default stated", path, e[*open].section,
				 e[*open].key);
}

/*
 * The defaults docs/xshaper.ini.5 states: under ".SH [section]", a .TP
 * entry tagged 'key " = value"' (two keys on one tag too), or
 * 'key " = " a | b' with the default named in its paragraph.
 */
static size_t man_defaults(const char *path, struct man_entry *e, size_t max)
{
	char line[1024], para[4096] = "", section[32] = "", *w[8];
	size_t n = 0, open = 0, nw, i;
	bool tag = false;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		/* font macros (.B, .BI, .IR, ...) are text; any other starts anew */
		if (line[0] == '.' && !strchr("BIR", line[1])) {
			man_flush(path, e, n, &open, para);
			para[0] = '\0';
			tag = !strcmp(line, ".TP");
			if (!strncmp(line, ".SH ", 4) &&
			    sscanf(line, ".SH [%31[a-z]]", section) != 1)
				section[0] = '\0';
			continue;
		}
		if (!section[0])
			continue;
		if (!tag) {
			/* of a font macro, the words */
			append(para, sizeof(para), line[0] != '.' ? line : strchrnul(line, ' '));
			append(para, sizeof(para), " ");
			continue;
		}
		tag = false;
		nw = man_words(line, w, 8);
		for (i = 0; i + 1 < nw; i++) {
			if (strncmp(w[i + 1], " = ", 3) || man_no_default(w[i]))
				continue;
			assert_true(n < max);
			snprintf(e[n].section, sizeof(e[n].section), "%s", section);
			snprintf(e[n].key, sizeof(e[n].key), "%s", w[i]);
			snprintf(e[n].value, sizeof(e[n].value), "%s", w[i + 1] + 3);
			n++;
		}
	}
	man_flush(path, e, n, &open, para);
	fclose(fp);
	return n;
}

/* The keys conf/xshaper.ini sets (not those commented out), but wan and lan. */
static size_t example_keys(const char *path, char (*keys)[32], size_t max)
{
	char line[1024], key[32];
	size_t n = 0;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%31[a-z_] =", key) != 1 || !strcmp(key, "wan") ||
		    !strcmp(key, "lan"))
			continue;
		assert_true(n < max);
		snprintf(keys[n++], sizeof(keys[0]), "%s", key);
	}
	fclose(fp);
	return n;
}

/*
 * The defaults docs/xshaper.ini.5 states are config_defaults': the keys
 * set to them give the config of the required keys alone, and they are
 * the keys conf/xshaper.ini spells out.
 */
static void test_man_page_states_the_defaults(void **state)
{
	static const char man[] = "docs/xshaper.ini.5";
	static struct man_entry e[64];
	static struct xs_config minimal;
	static char text[32768], keys[64][32];
	struct fixture *f = *state;
	size_t n = man_defaults(man, e, 64), nkeys, i, j;
	const char *differs;

	assert_int_equal(load(f, MINIMAL), 0);
	minimal = f->cfg;
	snprintf(text, sizeof(text), "%s", MINIMAL);
	for (i = 0; i < n; i++) {
		char line[512];

		if (!i || strcmp(e[i].section, e[i - 1].section)) {
			snprintf(line, sizeof(line), "[%s]\n", e[i].section);
			append(text, sizeof(text), line);
		}
		snprintf(line, sizeof(line), "%s = %s\n", e[i].key, e[i].value);
		append(text, sizeof(text), line);
	}
	if (load(f, text) || capture_count(LOG_LEVEL_WARN)) {
		capture_dump();
		fail_msg("%s: the defaults it states do not load cleanly:\n%s", man, text);
	}
	differs = config_differs(&f->cfg, &minimal);
	if (differs)
		fail_msg("%s: the default it states for %s is not config_defaults'", man, differs);

	nkeys = example_keys("conf/xshaper.ini", keys, 64);
	for (i = 0; i < nkeys; i++) {
		for (j = 0; j < n && strcmp(e[j].key, keys[i]); j++)
			;
		if (j == n)
			fail_msg("%s states no default for %s, which conf/xshaper.ini sets", man,
				 keys[i]);
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < nkeys && strcmp(e[j].key, keys[i]); i++)
			;
		if (i == nkeys)
			fail_msg("conf/xshaper.ini does not set %s, whose default %s states",
				 e[j].key, man);
	}
}

static void test_minimal_file_keeps_defaults(void **state)
{
	struct fixture *f = *state;
	struct xs_config def;

	assert_int_equal(load(f, MINIMAL), 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_string_equal(f->cfg.wan, "eth0");
	assert_string_equal(f->cfg.lan, "eth1");
	assert_string_equal(f->cfg.path, f->ini);
	config_defaults(&def);
	assert_int_equal(f->cfg.ncpus, def.ncpus);
	assert_int_equal(f->cfg.lan_capacity, def.lan_capacity);
	assert_string_equal(f->cfg.customers_file, def.customers_file);
	assert_int_equal(f->cfg.customers_format, CUSTOMERS_AUTO);
	assert_string_equal(f->cfg.network_file, "");
}

static void test_every_key_set(void **state)
{
	struct fixture *f = *state;
	char text[2048];

	snprintf(text, sizeof(text),
		 "; every key, in the operator's spelling\n"
		 "[Interfaces]\n"
		 "WAN = uplink0\n"
		 "lan = \"cust.100\"  \n"
		 "xdp_mode = SKB ; generic XDP for a driver without native support\n"
		 "[cpus]\n"
		 "list = 0\n"
		 "queue_size = 4096\n"
		 "queues_per_cpu = 4\n"
		 "[shaping]\n"
		 "wan_capacity = 2.5gbit\n"
		 "lan_capacity = 900mbit\n"
		 "leaf_qdisc = pfifo\n"
		 "default_rate = 512kbit\n"
		 "default_ceil = 20\n"
		 "unknown = pass\n"
		 "[customers]\n"
		 "file = lists/customers.csv\n"
		 "format = LibreQoS\n"
		 "[network]\n"
		 "file = lists/network.json\n"
		 "[monitor]\n"
		 "rtt = off\n"
		 "flows = 200000\n"
		 "[system]\n"
		 "bpffs = /sys/fs/bpf/xs-test\n"
		 "lock = /run/xs-test.lock\n"
		 "lock_timeout = 0\n"
		 "lookup_memory = 128M\n");
	assert_int_equal(load(f, text), 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_string_equal(f->cfg.wan, "uplink0");
	assert_string_equal(f->cfg.lan, "cust.100");
	assert_int_equal(f->cfg.xdp_mode, XDP_MODE_SKB);
	assert_int_equal(f->cfg.ncpus, 1);
	assert_int_equal(f->cfg.cpus[0], 0);
	assert_int_equal(f->cfg.queue_size, 4096);
	assert_int_equal(f->cfg.queues_per_cpu, 4);
	assert_false(f->cfg.queues_auto);
	assert_int_equal(config_txqs(&f->cfg), 4);
	assert_int_equal(f->cfg.wan_capacity, 2500000000ULL);
	assert_int_equal(f->cfg.lan_capacity, 900000000ULL);
	assert_int_equal(f->cfg.leaf_qdisc, LEAF_PFIFO);
	assert_int_equal(f->cfg.default_rate, 512000ULL);
	assert_int_equal(f->cfg.default_ceil, 20000000ULL);
	assert_int_equal(f->cfg.unknown, XS_UNKNOWN_PASS);
	snprintf(text, sizeof(text), "%s/lists/customers.csv", f->dir);
	assert_string_equal(f->cfg.customers_file, text);
	assert_int_equal(f->cfg.customers_format, CUSTOMERS_LIBREQOS);
	snprintf(text, sizeof(text), "%s/lists/network.json", f->dir);
	assert_string_equal(f->cfg.network_file, text);
	assert_false(f->cfg.monitor_rtt);
	assert_int_equal(f->cfg.monitor_flows, 200000);
	assert_string_equal(f->cfg.bpffs, "/sys/fs/bpf/xs-test");
	assert_string_equal(f->cfg.lock, "/run/xs-test.lock");
	assert_int_equal(f->cfg.lock_timeout, 0);
	assert_int_equal(f->cfg.lookup_chunks, 128 * 1024);
}

static void test_lookup_memory_units(void **state)
{
	static const struct {
		const char *text;
		unsigned int chunks;
	} ok[] = {
		{ "64", 65536 },   { "64M", 65536 }, { "64mib", 65536 }, { "64MB", 65536 },
		{ "1024k", 1024 }, { "1M", 1024 },   { "256M", 262144 }, { "2048K", 2048 },
	};
	struct fixture *f = *state;
	char text[256];
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), MINIMAL "[system]\nlookup_memory = %s\n", ok[i].text);
		assert_int_equal(load(f, text), 0);
		if (f->cfg.lookup_chunks != ok[i].chunks)
			fail_msg("lookup_memory = %s: %u chunks, expected %u", ok[i].text,
				 f->cfg.lookup_chunks, ok[i].chunks);
	}
}

static void test_enum_values(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, MINIMAL "xdp_mode = native\n[shaping]\nleaf_qdisc = sfq\n"
					 "unknown = shape\n"),
			 0);
	assert_int_equal(f->cfg.xdp_mode, XDP_MODE_NATIVE);
	assert_int_equal(f->cfg.leaf_qdisc, LEAF_SFQ);
	assert_int_equal(f->cfg.unknown, XS_UNKNOWN_SHAPE);
	assert_int_equal(load(f, MINIMAL "[shaping]\nleaf_qdisc = fq_codel\n"), 0);
	assert_int_equal(f->cfg.leaf_qdisc, LEAF_FQ_CODEL);
	assert_string_equal(leaf_qdisc_name(LEAF_FQ_CODEL), "fq_codel");
	assert_string_equal(leaf_qdisc_name(LEAF_SFQ), "sfq");
	assert_string_equal(leaf_qdisc_name(LEAF_PFIFO), "pfifo");
	assert_string_equal(leaf_qdisc_name((enum leaf_qdisc)42), "unknown");

	assert_int_equal(load(f, MINIMAL "[customers]\nformat = xshaper\n"), 0);
	assert_int_equal(f->cfg.customers_format, CUSTOMERS_XSHAPER);
	assert_int_equal(load(f, MINIMAL "[customers]\nformat = AUTO\n"), 0);
	assert_int_equal(f->cfg.customers_format, CUSTOMERS_AUTO);
	assert_int_equal(load(f, MINIMAL "[customers]\nformat = libreqos\n"), 0);
	assert_int_equal(f->cfg.customers_format, CUSTOMERS_LIBREQOS);
	assert_string_equal(customers_format_name(CUSTOMERS_AUTO), "auto");
	assert_string_equal(customers_format_name(CUSTOMERS_XSHAPER), "xshaper");
	assert_string_equal(customers_format_name(CUSTOMERS_LIBREQOS), "libreqos");
	assert_string_equal(customers_format_name((enum customers_format)42), "unknown");
}

/*
 * One bad value per case, on line 4 after MINIMAL and its section header:
 * the message names the file and line, the key, the value, and what is
 * allowed.
 */
static void test_each_bad_value_is_reported(void **state)
{
	static const struct {
		const char *section, *key, *value, *why;
	} bad[] = {
		{ "interfaces", "xdp_mode", "generic", "unknown value" },
		{ "interfaces", "xdp_mode", "", "empty" },
		{ "cpus", "list", "", "empty" },
		{ "cpus", "list", "zero", "expected a CPU number" },
		{ "cpus", "list", "3-1", "backwards" },
		{ "cpus", "list", "0,,1", "expected a CPU number" },
		{ "cpus", "list", "0 1", "expected ','" },
		{ "cpus", "list", "256", "below 256" },
		{ "cpus", "list", "-1", "expected a CPU number" },
		{ "cpus", "queue_size", "0", "out of range" },
		{ "cpus", "queue_size", "7", "out of range" },
		{ "cpus", "queue_size", "16385", "out of range" },
		{ "cpus", "queue_size", "-5", "not a whole number" },
		{ "cpus", "queue_size", "2k", "not a whole number" },
		{ "cpus", "queue_size", "", "empty" },
		{ "cpus", "queues_per_cpu", "0", "out of range" },
		{ "cpus", "queues_per_cpu", "1.5", "not a whole number" },
		{ "cpus", "queues_per_cpu", "99999999999999999999", "out of range" },
		{ "shaping", "wan_capacity", "0", "zero" },
		{ "shaping", "wan_capacity", "10gbps", "unknown unit" },
		{ "shaping", "lan_capacity", "-1gbit", "negative" },
		{ "shaping", "lan_capacity", "fast", "not a number" },
		{ "shaping", "leaf_qdisc", "cake", "unknown value" },
		{ "shaping", "leaf_qdisc", "htb", "unknown value" },
		{ "shaping", "default_rate", "0kbit", "zero" },
		{ "shaping", "default_rate", "lots", "not a number" },
		{ "shaping", "default_rate", "20gbit", "more than the capacity 10gbit" },
		{ "shaping", "default_ceil", "-1", "negative" },
		{ "shaping", "default_ceil", "11gbit", "more than the capacity 10gbit" },
		{ "shaping", "default_ceil", "500kbit", "less than default_rate 1mbit" },
		{ "shaping", "unknown", "drop", "unknown value" },
		{ "customers", "file", "", "empty" },
		{ "customers", "format", "csv", "unknown value" },
		{ "customers", "format", "ShapedDevices", "unknown value" },
		{ "customers", "format", "", "empty" },
		{ "monitor", "rtt", "yes", "unknown value" },
		{ "monitor", "flows", "1023", "out of range" },
		{ "monitor", "flows", "16777217", "out of range" },
		{ "monitor", "flows", "64k", "not a whole number" },
		{ "monitor", "flows", "", "empty" },
		{ "system", "bpffs", "bpf/xshaper", "not an absolute path" },
		{ "system", "bpffs", "", "empty" },
		{ "system", "lock", "xshaper.lock", "not an absolute path" },
		{ "system", "lock_timeout", "-1", "not a whole number" },
		{ "system", "lock_timeout", "86401", "out of range" },
		{ "system", "lock_timeout", "30s", "not a whole number" },
		{ "system", "lookup_memory", "512K", "out of range" },
		{ "system", "lookup_memory", "1G", "out of range" },
		{ "system", "lookup_memory", "32T", "not a size" },
		{ "system", "lookup_memory", "M", "not a size" },
		{ "system", "lookup_memory", "32 M", "not a size" },
		{ "system", "lookup_memory", "", "not a size" },
	};
	struct fixture *f = *state;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512], head[4608], tail[64];

		snprintf(text, sizeof(text), MINIMAL "[%s]\n%s = %s\n", bad[i].section, bad[i].key,
			 bad[i].value);
		capture_begin();
		if (load(f, text) != -EINVAL)
			fail_msg("[%s] %s = '%s' accepted", bad[i].section, bad[i].key,
				 bad[i].value);
		snprintf(head, sizeof(head), "%s[%s] %s = '%s': ", at(f, 5), bad[i].section,
			 bad[i].key, bad[i].value);
		snprintf(tail, sizeof(tail), "(allowed: ");
		if (capture_count(LOG_LEVEL_ERR) != 1 ||
		    capture_matching(LOG_LEVEL_ERR, head, bad[i].why, tail) != 1) {
			capture_dump();
			fail_msg("[%s] %s = '%s': want one error \"%s...%s\"", bad[i].section,
				 bad[i].key, bad[i].value, head, bad[i].why);
		}
	}
}

static void test_interface_names(void **state)
{
	static const char *const bad[] = { "",	"abcdefghijklmnop", "eth/0", "eth:0", "eth 0", ".",
					   ".." };
	struct fixture *f = *state;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), "[interfaces]\nwan = %s\nlan = eth1\n", bad[i]);
		capture_begin();
		assert_int_equal(load(f, text), -EINVAL);
		assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 2), "[interfaces] wan = '",
						  "(allowed: an interface name"),
				 1);
	}
	/* 15 characters is the most the kernel takes */
	capture_begin();
	assert_int_equal(load(f, "[interfaces]\nwan = abcdefghijklmno\nlan = x\n"), 0);
	assert_string_equal(f->cfg.wan, "abcdefghijklmno");
}

static void test_wan_and_lan_are_required_and_differ(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[interfaces]\nlan = eth1\n"), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "[interfaces] wan is not set", "internet"),
			 1);
	capture_begin();
	assert_int_equal(load(f, "[interfaces]\nwan = eth0\n"), -EINVAL);
	assert_int_equal(
		capture_matching(LOG_LEVEL_ERR, "[interfaces] lan is not set", "customers"), 1);
	capture_begin();
	assert_int_equal(load(f, "; nothing at all\n"), -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 2);
	capture_begin();
	assert_int_equal(load(f, "[interfaces]\nwan = eth0\nlan = eth0\n"), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 3), "[interfaces] lan = 'eth0'",
					  "the same interface as wan"),
			 1);
}

/* An operator fixing a config sees every mistake in one run. */
static void test_all_bad_keys_reported_at_once(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[interfaces]\n"
				 "wan = eth0\n"
				 "lan = eth1\n"
				 "xdp_mode = turbo\n"
				 "[cpus]\n"
				 "queue_size = huge\n"
				 "[shaping]\n"
				 "wan_capacity = 0\n"
				 "leaf_qdisc = cake\n"
				 "[system]\n"
				 "lock = relative.lock\n"
				 "lock_timeout = forever\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 6);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 4), "xdp_mode"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 6), "queue_size"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 8), "wan_capacity"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 9), "leaf_qdisc"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 11), "lock"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 12), "lock_timeout"), 1);
}

static void test_unknown_sections_and_keys_warn(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "stray = 1\n" MINIMAL "wna = eth2\n[shapping]\nrate = 1\n"
				 "[cpus:extra]\nlist = 0\n"),
			 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 4);
	assert_int_equal(
		capture_matching(LOG_LEVEL_WARN, at(f, 8), "[cpus:extra]", "unknown section"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, at(f, 1), "stray", "outside any section"),
			 1);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, at(f, 5), "[interfaces] wna",
					  "unknown key", "wan, lan, xdp_mode"),
			 1);
	assert_int_equal(
		capture_matching(LOG_LEVEL_WARN, at(f, 6), "[shapping]", "unknown section"), 1);
}

static void test_repeated_key_warns_and_last_wins(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, MINIMAL "[shaping]\nleaf_qdisc = sfq\nleaf_qdisc = pfifo\n"), 0);
	assert_int_equal(f->cfg.leaf_qdisc, LEAF_PFIFO);
	assert_int_equal(
		capture_matching(LOG_LEVEL_WARN, at(f, 6), "leaf_qdisc", "first on line 5"), 1);
}

static void test_cpus(void **state)
{
	struct fixture *f = *state;
	int off = offline_cpu();
	char text[256];

	assert_int_equal(load(f, MINIMAL "[cpus]\nlist = 0, 0-0\n"), 0);
	assert_int_equal(f->cfg.ncpus, 1);
	if (off < 0) {
		print_message("every CPU below 256 is online; skipping the offline case\n");
		return;
	}
	snprintf(text, sizeof(text), MINIMAL "[cpus]\nlist = 0,%d\n", off);
	capture_begin();
	assert_int_equal(load(f, text), -EINVAL);
	snprintf(text, sizeof(text), "CPU %d is not online (online: ", off);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 5), "[cpus] list", text), 1);
}

static void test_too_many_txqs(void **state)
{
	struct fixture *f = *state;
	char text[256];

	/* 4096 queues per CPU fit only when there is a single CPU */
	assert_int_equal(load(f, MINIMAL "[cpus]\nlist = 0\nqueues_per_cpu = 4096\n"), 0);
	if (f->cfg.ncpus < 1)
		return;
	config_defaults(&f->cfg);
	if (f->cfg.ncpus < 2) {
		print_message("one CPU online; skipping the >4096 TX queues case\n");
		return;
	}
	snprintf(text, sizeof(text), MINIMAL "[cpus]\nlist = %u,%u\nqueues_per_cpu = 4096\n",
		 f->cfg.cpus[0], f->cfg.cpus[1]);
	capture_begin();
	assert_int_equal(load(f, text), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 6), "queues_per_cpu",
					  "8192 TX queues, more than 4096"),
			 1);
}

static void test_default_ceil(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, MINIMAL "[shaping]\ndefault_ceil = 0\n"), 0);
	assert_int_equal(f->cfg.default_ceil, 0);
	assert_int_equal(load(f, MINIMAL "[shaping]\ndefault_ceil = 10gbit\n"), 0);
	assert_int_equal(f->cfg.default_ceil, 10000000000ULL);
	/* the smaller capacity bounds it: the default class exists on both */
	capture_begin();
	assert_int_equal(load(f, MINIMAL "[shaping]\nwan_capacity = 1gbit\n"
					 "default_ceil = 2gbit\n"),
			 -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 6), "more than the capacity 1gbit"),
			 1);
	capture_begin();
	assert_int_equal(load(f, MINIMAL "[shaping]\nlan_capacity = 100mbit\n"
					 "default_rate = 200mbit\n"),
			 -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 6), "default_rate",
					  "more than the capacity 100mbit"),
			 1);
	/* a bad capacity is one error, not three */
	capture_begin();
	assert_int_equal(load(f, MINIMAL "[shaping]\nlan_capacity = x\ndefault_ceil = 5gbit\n"),
			 -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);
}

static void test_customers_file_relative_to_ini(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, MINIMAL "[customers]\nfile = /srv/list.csv\n"), 0);
	assert_string_equal(f->cfg.customers_file, "/srv/list.csv");
	assert_int_equal(load(f, MINIMAL "[customers]\nfile = list.csv\n"), 0);
	assert_int_equal(strncmp(f->cfg.customers_file, f->dir, strlen(f->dir)), 0);
	assert_string_equal(f->cfg.customers_file + strlen(f->dir), "/list.csv");
}

/* [network] file: as [customers] file, but empty (the default) is no node tree */
static void test_network_file(void **state)
{
	struct fixture *f = *state;
	char text[PATH_MAX];

	assert_int_equal(load(f, MINIMAL), 0);
	assert_string_equal(f->cfg.network_file, "");
	assert_int_equal(load(f, MINIMAL "[network]\nfile = /srv/network.json\n"), 0);
	assert_string_equal(f->cfg.network_file, "/srv/network.json");
	assert_int_equal(load(f, MINIMAL "[network]\nfile = sites/network.json\n"), 0);
	snprintf(text, sizeof(text), "%s/sites/network.json", f->dir);
	assert_string_equal(f->cfg.network_file, text);
	assert_int_equal(load(f, MINIMAL "[network]\nfile =\n"), 0);
	assert_string_equal(f->cfg.network_file, "");
	assert_int_equal(load(f, MINIMAL "[network]\nfile = \"\"\n"), 0);
	assert_string_equal(f->cfg.network_file, "");
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);

	/* the section is known, and says which keys it has */
	assert_int_equal(load(f, MINIMAL "[network]\nfiles = network.json\n"), 0);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, at(f, 5), "[network] files: unknown key",
					  "(keys in [network]: file)"),
			 1);
	assert_int_equal(load(f, MINIMAL "[netwrk]\nfile = network.json\n"), 0);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, at(f, 4), "unknown section [netwrk]",
					  "customers, network, system"),
			 1);
}

static void test_syntax_error_names_the_line(void **state)
{
	struct fixture *f = *state;
	char text[2048];

	assert_int_equal(load(f, MINIMAL "this line has no equals sign\n"), -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 4), "syntax error",
					  "'this line has no equals sign'"),
			 1);

	/* iniparser stops at 1024 characters a line */
	snprintf(text, sizeof(text), MINIMAL "[customers]\nfile = /%01100d\n", 0);
	capture_begin();
	assert_int_equal(load(f, text), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 5), "too long", "1024"), 1);
}

static void test_unreadable_file(void **state)
{
	struct fixture *f = *state;
	struct xs_config cfg;
	char path[4096];

	config_defaults(&cfg);
	snprintf(path, sizeof(path), "%s/missing.ini", f->dir);
	assert_int_equal(config_load(path, &cfg), -ENOENT);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, path, "cannot read the config"), 1);
	assert_int_equal(config_load(f->dir, &cfg), -EISDIR);
}

/* iniparser would call a line with a NUL byte too long; say what it is. */
static void test_nul_byte(void **state)
{
	static const char text[] = MINIMAL "[customers]\nfile = /srv/a\0b.csv\n";
	struct fixture *f = *state;
	struct xs_config cfg;

	free(f->ini);
	f->ini = scratch_file(f->dir, "xshaper.ini", text, sizeof(text) - 1);
	config_defaults(&cfg);
	assert_int_equal(config_load(f->ini, &cfg), -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, at(f, 5), "NUL byte in the line"), 1);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "too long"), 0);
}

/* A FIFO, a device, a file over 1 MiB: refused at once; a symlink to a file is fine. */
static void test_only_regular_files(void **state)
{
	struct fixture *f = *state;
	struct xs_config cfg;
	char path[4096];
	int fd;

	alarm(10); /* a FIFO blocked here before */
	config_defaults(&cfg);
	snprintf(path, sizeof(path), "%s/fifo.ini", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(config_load(path, &cfg), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, path, ": is a FIFO (named pipe)",
					  "the config must be a regular file", "-c"),
			 1);
	assert_int_equal(config_load("/dev/zero", &cfg), -EINVAL);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "/dev/zero: is a character device"), 1);

	assert_int_equal(load(f, MINIMAL), 0);
	snprintf(path, sizeof(path), "%s/link.ini", f->dir);
	assert_int_equal(symlink(f->ini, path), 0);
	config_defaults(&cfg);
	assert_int_equal(config_load(path, &cfg), 0);
	assert_string_equal(cfg.lan, "eth1");

	snprintf(path, sizeof(path), "%s/huge.ini", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (1 << 20) + 1), 0);
	close(fd);
	assert_int_equal(config_load(path, &cfg), -EFBIG);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, path, "1048577 bytes", "the 1 MiB"), 1);
	alarm(0);
}

/* A file that is not INI at all: 100 errors and a count, not one a line. */
static void test_messages_are_capped(void **state)
{
	struct fixture *f = *state;
	size_t len = 0, cap = 64 * 1024;
	char *text = malloc(cap);
	unsigned int i;

	assert_non_null(text);
	len += (size_t)snprintf(text, cap, MINIMAL);
	for (i = 0; i < 500; i++)
		len += (size_t)snprintf(text + len, cap - len, "garbage %u\n", i);
	assert_true(len < cap);
	assert_int_equal(load(f, text), -EINVAL);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 101);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, "syntax error"), 100);
	assert_int_equal(capture_matching(LOG_LEVEL_ERR, f->ini,
					  ": 400 more errors (lines 104-503) "
					  "not shown"),
			 1);

	/* unknown keys only warn, and as many */
	capture_begin();
	len = (size_t)snprintf(text, cap, MINIMAL "[shaping]\n");
	for (i = 0; i < 300; i++)
		len += (size_t)snprintf(text + len, cap - len, "key%u = 1\n", i);
	assert_int_equal(load(f, text), 0);
	free(text);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 101);
	assert_int_equal(capture_matching(LOG_LEVEL_WARN, f->ini,
					  ": 200 more warnings (lines "
					  "105-304) not shown"),
			 1);
}

/* The example shipped as /etc/xshaper/xshaper.ini loads without a word. */
static void test_example_config(void **state)
{
	struct xs_config cfg;

	capture_begin();
	config_defaults(&cfg);
	assert_int_equal(config_load("conf/xshaper.ini", &cfg), 0);
	assert_int_equal(capture_count(LOG_LEVEL_ERR), 0);
	assert_int_equal(capture_count(LOG_LEVEL_WARN), 0);
	assert_string_equal(cfg.wan, "eth0");
	assert_string_equal(cfg.lan, "eth1");
	assert_string_equal(cfg.customers_file, "/etc/xshaper/customers.csv");
	capture_end();
}

/* auto: as many trees a CPU as the queues allow, between 1 and 8 */
static void test_queues_auto(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, MINIMAL "[cpus]\nlist = 0\nqueues_per_cpu = AUTO\n"), 0);
	assert_true(f->cfg.queues_auto);
	f->cfg.ncpus = 2;
	config_resolve_queues(&f->cfg, 4);
	assert_int_equal(f->cfg.queues_per_cpu, 2);
	config_resolve_queues(&f->cfg, 5);
	assert_int_equal(f->cfg.queues_per_cpu, 2);
	config_resolve_queues(&f->cfg, 64);
	assert_int_equal(f->cfg.queues_per_cpu, XS_AUTO_QUEUES_MAX);
	config_resolve_queues(&f->cfg, 1);
	assert_int_equal(f->cfg.queues_per_cpu, 1);
	config_resolve_queues(&f->cfg, 0);
	assert_int_equal(f->cfg.queues_per_cpu, 1);

	/* a number is a number: resolving leaves it alone */
	assert_int_equal(load(f, MINIMAL "[cpus]\nlist = 0\nqueues_per_cpu = 3\n"), 0);
	assert_false(f->cfg.queues_auto);
	config_resolve_queues(&f->cfg, 64);
	assert_int_equal(f->cfg.queues_per_cpu, 3);
}

static void test_cpulist_parse(void **state)
{
	static const char *const bad[] = { "",	    " ",    "a",   "3-1", "1-",	 "-1", "256",
					   "0-256", "0,,1", "1;2", "1 2", "0x1", ",1", "1," };
	unsigned int cpus[XS_MAX_CPUS], i, n;

	assert_int_equal(cpulist_parse("0-3,6", cpus, XS_MAX_CPUS, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[3], 3);
	assert_int_equal(cpus[4], 6);
	/* sorted and unique whatever the order written */
	assert_int_equal(cpulist_parse(" 7 , 1-2 ,1, 2 ", cpus, XS_MAX_CPUS, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(cpus[0], 1);
	assert_int_equal(cpus[1], 2);
	assert_int_equal(cpus[2], 7);
	assert_int_equal(cpulist_parse("255", cpus, XS_MAX_CPUS, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cpulist_parse("0-255", cpus, XS_MAX_CPUS, &n), 0);
	assert_int_equal(n, 256);
	assert_int_equal(cpulist_parse("0-3", cpus, 2, &n), -EINVAL);
	assert_int_equal(cpulist_parse(NULL, cpus, XS_MAX_CPUS, &n), -EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cpulist_parse(bad[i], cpus, XS_MAX_CPUS, &n) != -EINVAL)
			fail_msg("cpulist_parse(\"%s\") accepted", bad[i]);
}

static void test_cpus_online(void **state)
{
	unsigned int cpus[XS_MAX_CPUS];
	int n = cpus_online(cpus, XS_MAX_CPUS), i;

	assert_true(n >= 1 && n <= XS_MAX_CPUS);
	for (i = 1; i < n; i++)
		assert_true(cpus[i] > cpus[i - 1]);
	assert_int_equal(cpus_online(cpus, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example_config_states_the_defaults, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_man_page_states_the_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minimal_file_keeps_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_key_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_memory_units, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enum_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_bad_value_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interface_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wan_and_lan_are_required_and_differ, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_bad_keys_reported_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_sections_and_keys_warn, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_repeated_key_warns_and_last_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_txqs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_ceil, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_file_relative_to_ini, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_network_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_names_the_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_regular_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_are_capped, setup, teardown),
		cmocka_unit_test(test_example_config),
		cmocka_unit_test_setup_teardown(test_queues_auto, setup, teardown),
		cmocka_unit_test(test_cpulist_parse),
		cmocka_unit_test(test_cpus_online),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
