// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/prefix.h"

#define V4(a, b, c, d, n)                                                                          \
	{                                                                                          \
		.addr = { [10] = 0xff, [11] = 0xff, [12] = a, [13] = b, [14] = c, [15] = d },      \
		.len = 96 + (n)                                                                    \
	}

/* Where IPv4 lives in the trie and the lookup table: ::ffff:0:0/96. */
static const struct prefix v4_mapped = V4(0, 0, 0, 0, 0);

bool prefix_addr_is_v4(const uint8_t addr[16])
{
	return !memcmp(addr, v4_mapped.addr, 12);
}

bool prefix_is_v4(const struct prefix *p)
{
	return p->len >= 96 && prefix_addr_is_v4(p->addr);
}

void prefix_mask(struct prefix *p)
{
	unsigned int i, covered;

	for (i = 0; i < 16; i++) {
		covered = p->len > 8 * i ? p->len - 8 * i : 0;
		if (covered < 8)
			p->addr[i] &= (uint8_t)(0xff00 >> covered);
	}
}

int prefix_parse_reason(const char *s, struct prefix *p, bool *host_bits, bool *v6,
			const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int len, max, base;
	struct prefix raw;

	*host_bits = false;
	*v6 = false;
	memset(p, 0, sizeof(*p));
	if (!alen || alen >= sizeof(addr)) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (strchr(addr, ':')) {
		if (inet_pton(AF_INET6, addr, p->addr) != 1) {
			*why = "not an IPv6 address";
			return -EINVAL;
		}
		max = 128;
		base = 0;
		*v6 = true;
	} else {
		if (inet_pton(AF_INET, addr, p->addr + 12) != 1) {
			*why = strchr(addr, '.') ? "not an IPv4 address"
						 : "not an IPv4 or IPv6 address";
			return -EINVAL;
		}
		p->addr[10] = 0xff;
		p->addr[11] = 0xff;
		max = 32;
		base = 96;
	}
	len = max;
	if (slash) {
		const char *q = slash + 1;

		bool digits = *q && strlen(q) <= 3 && strspn(q, "0123456789") == strlen(q);

		if (!digits || (unsigned int)atoi(q) > max) {
			*why = max == 32 ? "the prefix length after '/' must be 0..32"
					 : "the prefix length after '/' must be 0..128";
			return -EINVAL;
		}
		len = (unsigned int)atoi(q);
	}
	p->len = (uint8_t)(base + len);
	/* normalise to the network: the LPM trie compares only len bits anyway */
	raw = *p;
	prefix_mask(p);
	*host_bits = memcmp(raw.addr, p->addr, sizeof(p->addr)) != 0;
	return 0;
}

int prefix_parse(const char *s, struct prefix *p)
{
	const char *why;
	bool host_bits, v6;

	return prefix_parse_reason(s, p, &host_bits, &v6, &why);
}

const char *prefix_format(const struct prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!len)
		return buf;
	if (prefix_is_v4(p)) {
		inet_ntop(AF_INET, p->addr + 12, addr, sizeof(addr));
		snprintf(buf, len, "%s/%u", addr, p->len - 96U);
	} else {
		inet_ntop(AF_INET6, p->addr, addr, sizeof(addr));
		snprintf(buf, len, "%s/%u", addr, p->len);
	}
	return buf;
}

/* Eight address bytes as one number that orders as memcmp orders them. */
static uint64_t addr_word(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/*
 * The order of memcmp over the address, then the length, in two word
 * comparisons inline: a reload sorts and searches 200k prefixes with it,
 * and a call to memcmp for 16 bytes was most of the cost.
 */
int prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	uint64_t x = addr_word(a->addr), y = addr_word(b->addr);

	if (x == y) {
		x = addr_word(a->addr + 8);
		y = addr_word(b->addr + 8);
	}
	if (x != y)
		return x < y ? -1 : 1;
	return (int)a->len - (int)b->len;
}

bool prefix_covers(const struct prefix *a, const struct prefix *b)
{
	unsigned int full = a->len / 8, rest = a->len % 8;

	if (a->len > b->len || a->len > 128)
		return false;
	if (memcmp(a->addr, b->addr, full))
		return false;
	if (!rest)
		return true;
	return !((a->addr[full] ^ b->addr[full]) & (uint8_t)(0xff << (8 - rest)));
}

bool prefix_contains(const struct prefix *a, const struct prefix *b)
{
	return prefix_is_v4(a) == prefix_is_v4(b) && prefix_covers(a, b);
}

bool prefix_covers_v4(const struct prefix *p)
{
	return prefix_covers(p, &v4_mapped);
}

/* Addresses that are never a customer's, whatever the network. */
static const struct {
	struct prefix p;
	const char *what;
} reserved[] = {
	{ V4(0, 0, 0, 0, 32), "unspecified" },
	{ V4(127, 0, 0, 0, 8), "loopback" },
	{ V4(169, 254, 0, 0, 16), "link-local" },
	{ V4(224, 0, 0, 0, 4), "multicast" },
	{ V4(255, 255, 255, 255, 32), "broadcast" },
	{ { .len = 128 }, "unspecified" },
	{ { .addr = { [15] = 1 }, .len = 128 }, "loopback" },
	{ { .addr = { 0xfe, 0x80 }, .len = 10 }, "link-local" },
	{ { .addr = { 0xff }, .len = 8 }, "multicast" },
};

/*
 * The one rule of what a customer can own (the list parser and steer_sync
 * both ask it): not all of IPv4 or IPv6, not an IPv6 prefix that covers
 * ::ffff:0:0/96 (the trie and the table look IPv4 up there: it would
 * match every IPv4 packet), and nothing that overlaps a reserved range:
 * a prefix inside one, or one that includes one, is refused, because
 * shaping its other addresses would still shape these. written_v6: the
 * operator wrote IPv6, so an IPv4-mapped ::ffff:a.b.c.d is the IPv4
 * address spelt another way; refused too, so that each address has one
 * spelling in the list and in every message.
 */
bool prefix_refused(const struct prefix *p, bool written_v6, char *why, size_t len)
{
	char a[PREFIX_TEXT_LEN];
	size_t i;

	if (prefix_is_v4(p) && p->len == 96) {
		snprintf(why, len,
			 "all of IPv4; no customer owns every address (addresses of no customer "
			 "follow [shaping] unknown)");
		return true;
	}
	if (p->len == 0) {
		snprintf(why, len,
			 "all of IPv6, and with ::ffff:0:0/96 all of IPv4; no customer owns every "
			 "address (addresses of no customer follow [shaping] unknown)");
		return true;
	}
	if (!prefix_is_v4(p) && prefix_covers_v4(p)) {
		snprintf(why, len,
			 "an IPv6 prefix that includes ::ffff:0:0/96 (where IPv4 addresses are "
			 "looked up) would match IPv4 packets; list IPv6 prefixes outside it");
		return true;
	}
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		const struct prefix *r = &reserved[i].p;

		if (prefix_is_v4(r) != prefix_is_v4(p))
			continue;
		if (prefix_covers(r, p)) {
			snprintf(why, len, "lies in %s (%s), which no customer can own",
				 prefix_format(r, a, sizeof(a)), reserved[i].what);
			return true;
		}
		if (prefix_covers(p, r)) {
			snprintf(why, len,
				 "includes %s (%s), which no customer can own; list the prefixes "
				 "around it instead",
				 prefix_format(r, a, sizeof(a)), reserved[i].what);
			return true;
		}
	}
	if (written_v6 && prefix_is_v4(p)) {
		snprintf(why, len,
			 "an IPv4-mapped IPv6 address (inside ::ffff:0:0/96); write the IPv4 "
			 "address instead: %s",
			 prefix_format(p, a, sizeof(a)));
		return true;
	}
	return false;
}

void prefix_to_key(const struct prefix *p, struct xs_lpm_key *key)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = p->len;
	memcpy(key->addr, p->addr, sizeof(key->addr));
}

void prefix_from_key(const struct xs_lpm_key *key, struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	/* the kernel takes no longer key; a prefix never is */
	p->len = key->prefixlen > 128 ? 128 : (uint8_t)key->prefixlen;
	memcpy(p->addr, key->addr, sizeof(p->addr));
}
