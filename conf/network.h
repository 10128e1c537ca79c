/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The node tree: sites, access points and whatever else sits between the
 * box and the customers, with the capacity of each ([network] file, in
 * LibreQoS's network.json format; docs/xshaper.ini.5, NETWORK FILE).
 */
#ifndef XSHAPER_NETWORK_H
#define XSHAPER_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/xshaper.h"
#include "conf/config.h"

/*
 * HTB nests classes 8 levels deep (TC_HTB_MAXDEPTH); the root class and
 * the customer's leaf class take two of them, nodes may have the rest.
 */
#define NETWORK_MAX_DEPTH 6
/* A node name, in bytes without the NUL. */
#define NETWORK_NAME_MAX 128

#define NETWORK_NONE (-1)

struct node {
	char *name; /* unique across the tree */
	char *type; /* "site", "ap"...: shown, never interpreted; "" when absent */
	char *ext_id; /* the node's "id": shown only; "" when absent */
	int parent; /* index in network.v of the node it is written under; NETWORK_NONE: top */
	/*
	 * The node whose class this one's class, or (virtual) its children's
	 * and customers' classes, hang from: the nearest real ancestor, the
	 * node itself for a real node. NETWORK_NONE: the root class.
	 */
	int up;
	int real; /* virtual: the nearest real ancestor (or NONE); real: itself */
	bool virtual; /* "virtual": true (or type "virtual"): no class of its own */
	unsigned int depth; /* real nodes from the top to it, itself included; virtual: 0 */
	/*
	 * bit/s, as shaped: its own (0 or absent: the parent's), at most the
	 * real parent's, at most the link's capacity. XS_LAN download, XS_WAN upload.
	 */
	uint64_t cap[XS_DIRS];
	/*
	 * Where the node's name (its key) is written, for messages: lines from
	 * 1, columns in characters from 1, as jansson counts them; 0: not known.
	 */
	unsigned int line, column;
};

struct network {
	struct node *v; /* parent-first: each node after the one it is written under */
	size_t n;
	size_t nreal; /* nodes that get a class */
	uint32_t *by_name; /* indices in v, sorted by name (network_find) */
	char file[4096]; /* as given, for messages */
};

/*
 * Read and validate a network file. Bad JSON is reported as
 * "FILE:LINE:COLUMN: reason" (jansson's line and column; a key repeated in
 * one object is bad JSON), every bad node as "FILE:LINE:COLUMN: node
 * 'NAME': reason" (a name used twice in the tree, naming both places, a bad
 * name, a rate that is not a number >= 0, children that are not an object,
 * a path deeper than NETWORK_MAX_DEPTH real nodes, naming the path and the
 * limit), the first 100 of them, then a count; on any error *out is empty
 * and -EINVAL is returned. A cap above the real parent's (or, at the top,
 * the link's) is lowered to it with a warning. cfg (not NULL) gives the
 * link capacities (top-level caps: at most, and when absent). Keys a node
 * may have besides its rates, "children", "virtual", "type" and "id" are
 * ignored, as LibreQoS's files carry more. "{}" is a valid, empty tree.
 * path NULL or "": empty tree, 0. The file must be a regular one of at most
 * 64 MiB (conf/input.h); -errno when it cannot be read (reported).
 */
int network_load(const char *path, const struct xs_config *cfg, struct network *out);
/* The same from a buffer; name is used in messages. */
int network_parse(const char *name, const char *buf, size_t len, const struct xs_config *cfg,
		  struct network *out);
void network_free(struct network *net);

/* The index of the node called name, or NETWORK_NONE. */
int network_find(const struct network *net, const char *name);

/*
 * The path of node i from the top, real and virtual nodes alike, names
 * joined by " / " ("Site A / AP1"), truncated to fit len (which must be at
 * least 1). Returns the length it would have had.
 */
size_t network_path(const struct network *net, int i, char *buf, size_t len);

#endif /* XSHAPER_NETWORK_H */
