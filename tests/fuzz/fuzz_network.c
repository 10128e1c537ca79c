// SPDX-License-Identifier: GPL-2.0-only
/*
 * network_parse on arbitrary bytes: no crash, no leak, nothing left behind
 * on an error, and whatever it accepts keeps the promises of
 * conf/network.h (parent-first, the links and depths of real and virtual
 * nodes, caps bounded by the real node above, names unique and found, and
 * each node's line and column on the quote that opens its name).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "conf/network.h"

static void quiet(enum log_level level, const char *msg)
{
}

/*
 * The byte at a line and column (characters from 1, as jansson counts
 * them) of the text after any BOM; -1 past the end.
 */
static int char_at(const uint8_t *data, size_t size, unsigned int line, unsigned int column)
{
	unsigned int l = 1, c = 1;
	size_t i = size >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? 3 : 0;

	for (; i < size; i++) {
		if ((data[i] & 0xc0) == 0x80)
			continue;
		if (l == line && c == column)
			return data[i];
		if (data[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	return -1;
}

static void check(const struct network *net, const struct xs_config *cfg, const uint8_t *data,
		  size_t size)
{
	size_t i, nreal = 0;
	char path[64];
	int d;

	for (i = 0; i < net->n; i++) {
		const struct node *nd = &net->v[i];
		const struct node *up = nd->up == NETWORK_NONE ? NULL : &net->v[nd->up];
		int above = nd->parent == NETWORK_NONE ? NETWORK_NONE : net->v[nd->parent].real;

		if (nd->parent >= (int)i || nd->parent < NETWORK_NONE || nd->up != above ||
		    !nd->name[0] || strlen(nd->name) > NETWORK_NAME_MAX || !nd->type || !nd->ext_id)
			__builtin_trap();
		if (nd->virtual ? nd->depth || nd->real != above
				: nd->real != (int)i || nd->depth != (up ? up->depth : 0) + 1 ||
					  nd->depth > NETWORK_MAX_DEPTH)
			__builtin_trap();
		if (up && up->virtual)
			__builtin_trap();
		/* the walk of the text kept in step with jansson: each name is where it says */
		if (char_at(data, size, nd->line, nd->column) != '"')
			__builtin_trap();
		for (d = 0; d < XS_DIRS; d++)
			if (!nd->cap[d] || nd->cap[d] > config_capacity(cfg, (enum xs_dir)d) ||
			    (up && nd->cap[d] > up->cap[d]))
				__builtin_trap();
		if (network_find(net, nd->name) != (int)i)
			__builtin_trap();
		if (network_path(net, (int)i, path, sizeof(path)) < strlen(nd->name) ||
		    strlen(path) >= sizeof(path))
			__builtin_trap();
		nreal += !nd->virtual;
	}
	if (nreal != net->nreal)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xs_config cfg;
	static int ready;
	struct network net;

	if (!ready) {
		log_set_sink(quiet);
		config_defaults(&cfg);
		cfg.lan_capacity = 1000000000ULL;
		cfg.wan_capacity = 300000000ULL;
		ready = 1;
	}
	if (!network_parse("fuzz.json", (const char *)data, size, &cfg, &net))
		check(&net, &cfg, data, size);
	else if (net.n || net.v || net.by_name)
		__builtin_trap();
	network_free(&net);
	return 0;
}
