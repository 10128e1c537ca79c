/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Customer prefixes: the one representation user space keeps them in, and
 * everything done to them (parse, format, compare, contain, the rule of
 * what no customer can own). conf/ reads them from the list, steer/ writes
 * them into the maps; the LPM trie's key (struct xs_lpm_key, bpf/xshaper.h)
 * is made from a prefix at the map's edge only, by prefix_to_key().
 */
#ifndef XSHAPER_PREFIX_H
#define XSHAPER_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/xshaper.h"

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" and its NUL */
#define PREFIX_TEXT_LEN 50

/*
 * An address or CIDR prefix. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d)
 * with len 96 + n, as the LPM trie and the lookup table look it up, so one
 * comparison serves both families. prefix_parse() leaves it normalised to
 * its network (prefix_mask()); the other functions take len 0..128.
 */
struct prefix {
	uint8_t addr[16];
	uint8_t len; /* 0..128 */
};

/* An address of 16 bytes lies in ::ffff:0:0/96: an IPv4 one. */
bool prefix_addr_is_v4(const uint8_t addr[16]);
/* An IPv4 prefix (len 96..128 inside ::ffff:0:0/96). */
bool prefix_is_v4(const struct prefix *p);

/* Parse "198.19.1.10", "198.19.1.0/24", "2001:db8:1::/56"; host bits cleared. */
int prefix_parse(const char *s, struct prefix *p);
/*
 * The same, with what the list reports: *host_bits, the text had bits set
 * past the length (cleared in *p); *v6, it was written as IPv6 (an
 * IPv4-mapped one included); *why, on -EINVAL, what is wrong with it.
 */
int prefix_parse_reason(const char *s, struct prefix *p, bool *host_bits, bool *v6,
			const char **why);
/* "198.19.1.0/24", "2001:db8:1::/56" (always with the length) into buf[len] */
const char *prefix_format(const struct prefix *p, char *buf, size_t len);

/* Clear the bits past p->len: the network of the prefix. */
void prefix_mask(struct prefix *p);
/* Network address first, then shorter (containing) prefixes first; 0: equal. */
int prefix_cmp(const struct prefix *a, const struct prefix *b);
/*
 * a covers b as bits, whatever the families: what the LPM trie matches
 * (::/0 covers every IPv4 address there).
 */
bool prefix_covers(const struct prefix *a, const struct prefix *b);
/*
 * true when a contains b (a is equal to or less specific than b); an IPv6
 * prefix never contains an IPv4 one, nor the other way round.
 */
bool prefix_contains(const struct prefix *a, const struct prefix *b);
/* p covers all of ::ffff:0:0/96, where IPv4 is looked up: every IPv4 address. */
bool prefix_covers_v4(const struct prefix *p);

/*
 * Whether no customer can own p, and why (into why[len]): all of IPv4 or
 * IPv6, an IPv6 prefix covering ::ffff:0:0/96 (it would match IPv4
 * packets), or one that lies in or includes a reserved range (unspecified,
 * loopback, link-local, multicast, IPv4 broadcast). written_v6: the text
 * was IPv6, so an IPv4-mapped ::ffff:a.b.c.d is refused as well (write the
 * IPv4 address); false for a prefix already in its stored form.
 */
bool prefix_refused(const struct prefix *p, bool written_v6, char *why, size_t len);

/* The LPM trie's key of p, and back. */
void prefix_to_key(const struct prefix *p, struct xs_lpm_key *key);
void prefix_from_key(const struct xs_lpm_key *key, struct prefix *p);

#endif /* XSHAPER_PREFIX_H */
