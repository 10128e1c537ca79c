// SPDX-License-Identifier: GPL-2.0-only
/*
 * customers_parse on arbitrary bytes: no crash, no leak, and whatever it
 * accepts keeps the promises of conf/customers.h (valid ids, sorted and
 * unique, no parent without a network, at least one prefix each, rate <=
 * ceil <= capacity, normalised prefixes that a customer can own, printed
 * and keyed for the trie without loss).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "conf/customers.h"

static void quiet(enum log_level level, const char *msg)
{
}

static void check(const struct customer_list *list, const struct xs_config *cfg)
{
	size_t i, v4 = 0, v6 = 0;

	for (i = 0; i < list->n; i++) {
		const struct customer *c = &list->v[i];
		unsigned int k;

		if (!c->id || customer_id_check(c->id) ||
		    (i && customer_id_cmp(list->v[i - 1].id, c->id) >= 0) || !c->nprefixes ||
		    !c->name || !c->info)
			__builtin_trap();
		/* no network: no customer hangs off a node */
		if (c->node != NETWORK_NONE || c->parent)
			__builtin_trap();
		if (c->down_rate > c->down_ceil || c->up_rate > c->up_ceil ||
		    c->down_ceil > cfg->lan_capacity || c->up_ceil > cfg->wan_capacity)
			__builtin_trap();
		if (customers_find(list, c->id) != c)
			__builtin_trap();
		for (k = 0; k < c->nprefixes; k++) {
			struct prefix again;
			struct xs_lpm_key key;
			char buf[PREFIX_TEXT_LEN], why[256];

			if (prefix_refused(&c->prefixes[k], false, why, sizeof(why)))
				__builtin_trap();
			prefix_format(&c->prefixes[k], buf, sizeof(buf));
			if (prefix_parse(buf, &again) ||
			    memcmp(&again, &c->prefixes[k], sizeof(again)))
				__builtin_trap();
			/* and as the trie's key, the same prefix */
			prefix_to_key(&c->prefixes[k], &key);
			prefix_from_key(&key, &again);
			if (prefix_cmp(&again, &c->prefixes[k]))
				__builtin_trap();
			if (prefix_is_v4(&c->prefixes[k]))
				v4++;
			else
				v6++;
		}
	}
	if (v4 != list->nprefixes_v4 || v6 != list->nprefixes_v6)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xs_config cfg;
	static int ready;
	struct customer_list list;

	if (!ready) {
		log_set_sink(quiet);
		config_defaults(&cfg);
		cfg.lan_capacity = 1000000000ULL;
		ready = 1;
	}
	if (!customers_parse("fuzz.csv", (const char *)data, size, &cfg, NULL, &list))
		check(&list, &cfg);
	else if (list.n || list.v)
		__builtin_trap();
	customers_free(&list);
	return 0;
}
