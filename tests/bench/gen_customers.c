// SPDX-License-Identifier: GPL-2.0-only
/*
 * gen_customers [-n SITES:APS] [-c PERCENT] N [PREFIXES_PER_CUSTOMER] [SEED]
 * gen_customers -n SITES:APS -j
 *
 * Print a valid customer list of N customers for benchmarks and tests. Each
 * customer's first prefix is an IPv4 /32 from 198.18.0.0/15 while they last
 * (131072 of them), the others IPv6 /56s from 2001:db8::/32 (16M of them),
 * so prefixes never repeat or nest. Plans are the usual 5..1000 Mbit/s
 * tiers; a few names carry commas and quotes to exercise the CSV quoting.
 *
 * -n SITES:APS  a parent column: SITES sites of APS access points each,
 *               customer i under access point i % (SITES * APS), so every
 *               one has about as many customers.
 * -j            print those nodes as a network.json instead of the list:
 *               sites at the link capacity, access points at 1 Gbit/s both
 *               ways, enough for the largest plan (nothing gets capped).
 * -c PERCENT    the same list after a churn of PERCENT % of N, in thirds:
 *               every k-th customer gone (k = 300 / PERCENT), every k-th
 *               from k / 2 on with a new download plan, and N * PERCENT /
 *               300 new ones after the last (new ids, new prefixes). The
 *               others are exactly as without -c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define V4_BASE	 0xc6120000U /* 198.18.0.0 */
#define V4_COUNT (1U << 17) /* a /15 */
#define V6_COUNT (1U << 24) /* /56s in a /32 */
#define AP_MBPS	 1000

static uint64_t rng_state;

/* xorshift64*: small, fast and the same on every machine for one seed */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return (errno || end == s || *end || *s == '-') ? -EINVAL : 0;
}

/* "SITES:APS", both at least 1 */
static int parse_nodes(const char *s, unsigned long *sites, unsigned long *aps)
{
	const char *colon = strchr(s, ':');
	char head[32];

	if (!colon || (size_t)(colon - s) >= sizeof(head))
		return -EINVAL;
	memcpy(head, s, colon - s);
	head[colon - s] = '\0';
	if (parse_ulong(head, sites) || parse_ulong(colon + 1, aps) || !*sites || !*aps)
		return -EINVAL;
	return 0;
}

static void print_network(unsigned long sites, unsigned long aps)
{
	unsigned long s, a;

	printf("{\n");
	for (s = 1; s <= sites; s++) {
		/* no caps of its own: the link's */
		printf("\t\"site%lu\": {\n\t\t\"type\": \"site\",\n\t\t\"children\": {\n", s);
		for (a = 1; a <= aps; a++)
			printf("\t\t\t\"site%lu-ap%lu\": { \"type\": \"ap\", "
			       "\"downloadBandwidthMbps\": %u, \"uploadBandwidthMbps\": %u }%s\n",
			       s, a, AP_MBPS, AP_MBPS, a < aps ? "," : "");
		printf("\t\t}\n\t}%s\n", s < sites ? "," : "");
	}
	printf("}\n");
}

/*
 * The next customer's prefixes, onto f; f NULL: only taken, so that a
 * customer left out does not shift the prefixes of those after it.
 */
static void take_prefixes(FILE *f, unsigned long per, uint32_t *v4, uint32_t *v6)
{
	unsigned long k;

	for (k = 0; k < per; k++) {
		if (k && f)
			fputc(' ', f);
		if (k == 0 && *v4 < V4_COUNT) {
			uint32_t a = V4_BASE + (*v4)++;

			if (f)
				fprintf(f, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
					(a >> 8) & 0xff, a & 0xff);
		} else {
			uint32_t s = (*v6)++;

			if (f)
				fprintf(f, "2001:db8:%x:%x::/56", s >> 8, (s & 0xff) << 8);
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_customers [-n SITES:APS] [-c PERCENT] N "
			"[PREFIXES_PER_CUSTOMER] [SEED]\n"
			"       gen_customers -n SITES:APS -j\n");
}

int main(int argc, char **argv)
{
	static const unsigned int tiers[] = {
		5, 10, 20, 25, 50, 100, 150, 200, 300, 500, 750, 1000
	};
	unsigned long n, per = 1, seed = 1, i, sites = 0, aps = 0, churn = 0, stride = 0, total;
	uint32_t v4 = 0, v6 = 0;
	bool network = false;
	int opt;

	while ((opt = getopt(argc, argv, "n:c:j")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_nodes(optarg, &sites, &aps)) {
				usage();
				return 1;
			}
			break;
		case 'c':
			if (parse_ulong(optarg, &churn) || !churn || churn > 100) {
				usage();
				return 1;
			}
			stride = 300 / churn;
			break;
		case 'j':
			network = true;
			break;
		default:
			usage();
			return 1;
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (network) {
		if (!sites || argc != 1) {
			usage();
			return 1;
		}
		print_network(sites, aps);
		return ferror(stdout) ? 1 : 0;
	}
	if (argc < 2 || argc > 4 || parse_ulong(argv[1], &n) ||
	    (argc > 2 && (parse_ulong(argv[2], &per) || !per)) ||
	    (argc > 3 && parse_ulong(argv[3], &seed))) {
		usage();
		return 1;
	}
	total = n + n * churn / 300;
	if ((uint64_t)total * per > (uint64_t)V4_COUNT + V6_COUNT) {
		fprintf(stderr, "gen_customers: at most %u prefixes fit in the test ranges\n",
			V4_COUNT + V6_COUNT);
		return 1;
	}
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;

	printf("# generated by gen_customers %lu %lu %lu", n, per, seed);
	if (sites)
		printf(", -n %lu:%lu", sites, aps);
	if (churn)
		printf(", -c %lu", churn);
	printf("\nid,name,prefixes,down_rate,down_ceil,up_rate,up_ceil%s\n",
	       sites ? ",parent" : "");
	for (i = 0; i < total; i++) {
		unsigned int down = tiers[rng() % (sizeof(tiers) / sizeof(tiers[0]))];
		unsigned int up = down / (1 + (unsigned int)(rng() % 4));

		if (up < 5)
			up = 5;
		if (stride && i < n && i % stride == 0) {
			take_prefixes(NULL, per, &v4, &v6);
			continue;
		}
		if (stride && i < n && i % stride == stride / 2)
			down = down == 5 ? 10 : down / 2;
		printf("%lu,", 100000 + i);
		if (i % 97 == 0)
			printf("\"Customer %lu, \"\"business\"\"\",", i);
		else
			printf("Customer %lu,", i);
		take_prefixes(stdout, per, &v4, &v6);
		/* guaranteed a fifth of the plan, in kbit to vary the units */
		printf(",%ukbit,%umbit,%ukbit,%umbit", down * 200, down, up * 200, up);
		if (sites) {
			unsigned long ap = i % (sites * aps);

			printf(",site%lu-ap%lu", ap / aps + 1, ap % aps + 1);
		}
		putchar('\n');
	}
	return ferror(stdout) ? 1 : 0;
}
