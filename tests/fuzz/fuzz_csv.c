// SPDX-License-Identifier: GPL-2.0-only
/*
 * customers_parse on arbitrary bytes, in whichever format the header
 * makes it (auto), against a small network: no crash, no leak, and whatever
 * it accepts keeps the promises of conf/customers.h (sorted unique ids that
 * customer_id_check() accepts, at least one prefix each and none twice,
 * rate <= ceil <= capacity and <= the cap of the node the class hangs from,
 * parents that are nodes, normalised prefixes that a customer can own,
 * printed and keyed for the trie without loss).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "conf/customers.h"
#include "conf/network.h"

/*
 * A (500mbit down, 800mbit up) > B (virtual) > C (50mbit, 20mbit);
 * V virtual at the top. Parents named A..V in the input hit each case.
 */
static const char network_json[] =
	"{ \"A\": { \"downloadBandwidthMbps\": 500, \"uploadBandwidthMbps\": 800,"
	"         \"children\": { \"B\": { \"virtual\": true, \"children\": {"
	"             \"C\": { \"downloadBandwidthMbps\": 50, \"uploadBandwidthMbps\": 20 } } } } "
	"},"
	"  \"V\": { \"virtual\": true } }";
static struct network net;

static void quiet(enum log_level level, const char *msg)
{
}

static void check(const struct customer_list *list, const struct xs_config *cfg)
{
	size_t i, v4 = 0, v6 = 0;

	for (i = 0; i < list->n; i++) {
		const struct customer *c = &list->v[i];
		unsigned int k, j;
		enum xs_dir dir;

		if (!c->id || customer_id_check(c->id) || !c->nprefixes || !c->name || !c->info ||
		    strlen(c->info) > 256)
			__builtin_trap();
		if (i && customer_id_cmp(list->v[i - 1].id, c->id) >= 0)
			__builtin_trap();
		if (customers_find(list, c->id) != c)
			__builtin_trap();
		if (c->down_rate > c->down_ceil || c->up_rate > c->up_ceil ||
		    c->down_ceil > cfg->lan_capacity || c->up_ceil > cfg->wan_capacity)
			__builtin_trap();
		if ((c->node == NETWORK_NONE) != !c->parent)
			__builtin_trap();
		if (c->node != NETWORK_NONE) {
			int up;

			if (c->node < 0 || (size_t)c->node >= net.n ||
			    strcmp(c->parent, net.v[c->node].name))
				__builtin_trap();
			up = net.v[c->node].real;
			for (dir = 0; up != NETWORK_NONE && dir < XS_DIRS; dir++) {
				uint64_t rate, ceil;

				customer_rates(c, dir, &rate, &ceil);
				if (ceil > net.v[up].cap[dir])
					__builtin_trap();
			}
		}
		for (k = 0; k < c->nprefixes; k++) {
			struct prefix again;
			struct xs_lpm_key key;
			char buf[PREFIX_TEXT_LEN], why[256];

			for (j = 0; j < k; j++)
				if (!prefix_cmp(&c->prefixes[j], &c->prefixes[k]))
					__builtin_trap();
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
		if (network_parse("fuzz.json", network_json, strlen(network_json), &cfg, &net) ||
		    net.n != 4)
			__builtin_trap();
		ready = 1;
	}
	if (!customers_parse("fuzz.csv", (const char *)data, size, &cfg, &net, &list))
		check(&list, &cfg);
	else if (list.n || list.v)
		__builtin_trap();
	customers_free(&list);
	return 0;
}
