// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lookup table (steer/table.c) on plain memory: it answers every
 * address as the longest prefix would, writes nothing when nothing
 * changed, reuses its chunks, leaves what does not fit to the trie, and a
 * sync killed after any of its changes leaves every address with its old
 * or its new answer, which the next sync makes exact.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "steer/table.h"
#include "unit/helpers.h"

#define MAX_PREFIXES 600

struct table {
	struct xs_tbl_slot *mem;
	size_t nslots;
};

/* Shared memory, so that a forked sync that is killed leaves its writes. */
static struct table table_new(size_t chunks)
{
	struct table t = { .nslots = table_slots(chunks) };

	t.mem = mmap(NULL, t.nslots * sizeof(*t.mem), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(t.mem != MAP_FAILED);
	return t;
}

static void table_free(struct table *t)
{
	munmap(t->mem, t->nslots * sizeof(*t->mem));
}

static void set_bits(uint8_t *a, unsigned int from, unsigned int n, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (v & (1ULL << (n - 1 - i)))
			a[(from + i) / 8] |= 0x80 >> ((from + i) % 8);
}

/*
 * Random prefixes that nest a lot: IPv4 in 198.18.0.0/15 (lengths 12..32),
 * IPv6 in 2001:db8::/32 (lengths 16..128, most of their bits fixed), and
 * now and then one that covers all of IPv4 (::/0, ::ffff:0:0/96).
 */
static size_t random_list_from(struct steer_prefix *v, size_t n, size_t max)
{
	size_t i, j;

	while (n < max) {
		struct steer_prefix *p = &v[n];
		unsigned int kind = rng() % 20;

		memset(p, 0, sizeof(*p));
		if (kind < 12) {
			p->prefix.addr[10] = p->prefix.addr[11] = 0xff;
			p->prefix.addr[12] = 198;
			p->prefix.addr[13] = 18 | (rng() & 1);
			p->prefix.addr[14] = rng() % 4;
			p->prefix.addr[15] = rng() % 8 * 32 + rng() % 3;
			p->prefix.len = 96 + 12 + rng() % 21;
		} else if (kind < 19) {
			p->prefix.addr[0] = 0x20;
			p->prefix.addr[1] = 0x01;
			p->prefix.addr[2] = 0x0d;
			p->prefix.addr[3] = 0xb8;
			set_bits(p->prefix.addr, 32, 8, rng() % 3);
			set_bits(p->prefix.addr, 56, 8, rng() % 3);
			set_bits(p->prefix.addr, 120, 8, rng() % 3);
			p->prefix.len = 16 + rng() % 113;
		} else if (rng() % 2) {
			p->prefix.len = 0;
		} else {
			p->prefix.addr[10] = p->prefix.addr[11] = 0xff;
			p->prefix.len = 96;
		}
		prefix_mask(&p->prefix);
		p->customer.classid =
			xs_classid((uint32_t)(rng() % 4), (uint32_t)(rng() % 1000 + XS_FIRST_MINOR));
		for (i = 0, j = 0; i < n; i++)
			j |= !prefix_cmp(&v[i].prefix, &p->prefix);
		if (!j)
			n++;
	}
	return n;
}

static size_t random_list(struct steer_prefix *v, size_t max)
{
	return random_list_from(v, 0, max);
}

/* The answer of an LPM trie holding v. */
static uint32_t lpm(const struct steer_prefix *v, size_t n, const uint8_t *a)
{
	uint32_t best = XS_TBL_MISS;
	int len = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (addr_in(v[i].prefix.addr, v[i].prefix.len, a) && (int)v[i].prefix.len > len) {
			len = v[i].prefix.len;
			best = v[i].customer.classid;
		}
	}
	return best;
}

/* The first and last address of every prefix of v and w and their neighbours. */
static size_t probes(const struct steer_prefix *v, size_t n, const struct steer_prefix *w, size_t m,
		     uint8_t (*out)[16])
{
	const struct steer_prefix *p;
	size_t i, k = 0;
	unsigned int b;

	for (i = 0; i < n + m; i++) {
		p = i < n ? &v[i] : &w[i - n];
		memcpy(out[k++], p->prefix.addr, 16);
		memcpy(out[k], p->prefix.addr, 16);
		if (addr_step(out[k], -1))
			k++;
		memcpy(out[k], p->prefix.addr, 16);
		for (b = p->prefix.len; b < 128; b++)
			out[k][b / 8] |= 0x80 >> (b % 8);
		k++;
		memcpy(out[k], out[k - 1], 16);
		if (addr_step(out[k], 1))
			k++;
	}
	return k;
}

static void assert_exact(const struct table *t, const struct steer_prefix *v, size_t n)
{
	static uint8_t a[4 * MAX_PREFIXES * 2][16];
	size_t k = probes(v, n, NULL, 0, a), i;
	uint32_t got;
	char text[64];

	for (i = 0; i < k; i++) {
		got = table_find(t->mem, t->nslots, a[i]);
		if (got != lpm(v, n, a[i])) {
			snprintf(text, sizeof(text), "%02x%02x..%02x%02x%02x%02x", a[i][0], a[i][1],
				 a[i][12], a[i][13], a[i][14], a[i][15]);
			fail_msg("%s: table %x, trie %x", text, got, lpm(v, n, a[i]));
		}
	}
}

static int graces;

static int count_grace(void *arg)
{
	graces++;
	return 0;
}

static const struct table_hooks counting = { .grace = count_grace };

static void sync_ok(struct table *t, const struct steer_prefix *v, size_t n, struct table_counts *c)
{
	assert_int_equal(table_sync(t->mem, t->nslots, v, n, &counting, c), 0);
}

static void test_random_lists(void **state)
{
	static struct steer_prefix v[MAX_PREFIXES];
	struct table t = table_new(4096);
	struct table_counts c, u;
	size_t n, round;

	rng_state = 0x5eed;
	for (round = 0; round < 12; round++) {
		n = random_list(v, 50 + rng() % (MAX_PREFIXES - 50));
		sync_ok(&t, v, n, &c);
		assert_int_equal(c.fallbacks, 0);
		assert_exact(&t, v, n);
		table_usage(t.mem, t.nslots, &u);
		assert_int_equal(u.chunks, c.chunks);
		assert_int_equal(u.fallbacks, 0);
		assert_int_equal(table_chunks_needed(v, n), (long)c.chunks);
	}
	/* and empty again: every chunk released, every entry a miss */
	sync_ok(&t, v, 0, &c);
	assert_int_equal(c.chunks, 0);
	assert_exact(&t, v, 0);
	table_free(&t);
}

static void test_nothing_to_do(void **state)
{
	static struct steer_prefix v[MAX_PREFIXES];
	struct table t = table_new(4096);
	struct table_counts c;
	size_t n, i;

	rng_state = 0xfeed;
	n = random_list(v, 300);
	graces = 0;
	sync_ok(&t, v, n, &c);
	assert_true(c.created > 0);
	assert_int_equal(graces, 1); /* before the first chunk, once */
	graces = 0;
	sync_ok(&t, v, n, &c);
	assert_int_equal(c.writes, 0);
	assert_int_equal(c.created, 0);
	assert_int_equal(c.released, 0);
	assert_int_equal(graces, 0);

	/* a host changes class: one entry written, no chunk */
	for (i = 0; i < n && v[i].prefix.len != 128; i++)
		;
	assert_true(i < n);
	v[i].customer.classid ^= 1;
	sync_ok(&t, v, n, &c);
	assert_int_equal(c.writes, 1);
	assert_int_equal(c.created, 0);
	assert_exact(&t, v, n);
	table_free(&t);
}

static void test_host_is_one_entry(void **state)
{
	struct steer_prefix v[2] = { 0 };
	struct table t = table_new(16);
	struct table_counts c;

	/* 198.19.1.10/32 inside 198.19.1.0/24: one chunk, 256 entries */
	v[0].prefix.addr[10] = v[0].prefix.addr[11] = 0xff;
	v[0].prefix.addr[12] = 198;
	v[0].prefix.addr[13] = 19;
	v[0].prefix.addr[14] = 1;
	v[0].prefix.len = 96 + 24;
	v[0].customer.classid = xs_classid(0, 3);
	v[1] = v[0];
	v[1].prefix.addr[15] = 10;
	v[1].prefix.len = 128;
	v[1].customer.classid = xs_classid(1, 3);
	sync_ok(&t, v, 2, &c);
	assert_int_equal(c.chunks, 1);
	assert_int_equal(c.created, 1);
	assert_exact(&t, v, 2);

	/* the /32 goes: its chunk is released, the /24 is one root entry again */
	sync_ok(&t, v, 1, &c);
	assert_int_equal(c.chunks, 0);
	assert_int_equal(c.released, 1);
	assert_exact(&t, v, 1);
	table_free(&t);
}

/*
 * Entries: (txq + 1):minor for a class of ours, of any major (b377: has the
 * top bit the table keeps for chunk pointers); a classid of no HTB of ours
 * (0.1.0's 2:3, still in the maps while an upgrade builds) is left to the
 * trie, never an entry that reads as a pointer.
 */
static void test_entries(void **state)
{
	struct steer_prefix v[2] = { 0 };
	struct table t = table_new(16);
	struct table_counts c;
	uint8_t a[16] = { [10] = 0xff, [11] = 0xff, [12] = 198, [13] = 19, [14] = 1 };

	(void)state;
	assert_int_equal(xs_tbl_entry(xs_classid(1, 3)), 0x20003);
	assert_int_equal(xs_tbl_classid(0x20003), xs_classid(1, 3));
	assert_true(xs_classid(1, 3) >= XS_TBL_CHILD);
	assert_int_equal(xs_tbl_entry(0x20003), XS_TBL_TRIE);
	assert_int_equal(xs_tbl_entry(0xffff0003), XS_TBL_TRIE);
	memcpy(v[0].prefix.addr, a, 16);
	v[0].prefix.len = 128;
	v[0].customer.classid = xs_classid(1, 3);
	v[1] = v[0];
	v[1].prefix.addr[15] = 1;
	v[1].customer.classid = 0x20003;
	sync_ok(&t, v, 2, &c);
	assert_int_equal(table_find(t.mem, t.nslots, v[0].prefix.addr), xs_classid(1, 3));
	assert_int_equal(table_find(t.mem, t.nslots, v[1].prefix.addr), XS_TBL_TRIE);
	table_free(&t);
}

static void test_pool_full(void **state)
{
	static struct steer_prefix v[MAX_PREFIXES];
	static uint8_t a[4 * MAX_PREFIXES * 2][16];
	struct table t = table_new(8);
	struct table_counts c;
	size_t n, k, i, trie = 0;
	uint32_t got;

	rng_state = 0xf011;
	n = random_list(v, 400);
	sync_ok(&t, v, n, &c);
	assert_int_equal(c.chunks, 8);
	assert_true(c.fallbacks > 0);
	k = probes(v, n, NULL, 0, a);
	for (i = 0; i < k; i++) {
		got = table_find(t.mem, t.nslots, a[i]);
		if (got == XS_TBL_TRIE)
			trie++;
		else
			assert_int_equal(got, lpm(v, n, a[i]));
	}
	assert_true(trie > 0);
	/*
	 * Room again, but only from the next sync on: chunks let go in a run
	 * are not reused by the same run (a program may still read them).
	 */
	sync_ok(&t, v, 3, &c);
	sync_ok(&t, v, 3, &c);
	assert_int_equal(c.fallbacks, 0);
	assert_exact(&t, v, 3);
	table_free(&t);
}

/* Garbage anywhere in the table (not what any sync writes) is repaired. */
static void test_damage(void **state)
{
	static struct steer_prefix v[MAX_PREFIXES];
	struct table t = table_new(1024);
	struct table_counts c;
	uint32_t *e = (uint32_t *)t.mem;
	size_t n, i, entries = t.nslots * XS_TBL_SLOT_ENTRIES;

	rng_state = 0xbad;
	n = random_list(v, 300);
	sync_ok(&t, v, n, &c);
	for (i = 0; i < 5000; i++) {
		size_t at = XS_TBL_V4_ROOT * XS_TBL_SLOT_ENTRIES +
			    rng() % (entries - XS_TBL_V4_ROOT * XS_TBL_SLOT_ENTRIES);

		switch (rng() % 4) {
		case 0:
			e[at] = (uint32_t)rng(); /* anything, pointers out of range too */
			break;
		case 1:
			e[at] = XS_TBL_CHILD | (uint32_t)(rng() % t.nslots) << XS_TBL_SLOT_SHIFT;
			break;
		case 2:
			e[at] = XS_TBL_MISS;
			break;
		default:
			e[at] = XS_TBL_TRIE;
		}
	}
	/* the roots of the prefixes themselves, pointed at the roots */
	for (i = 0; i < 64; i++)
		e[XS_TBL_V4_ROOT * XS_TBL_SLOT_ENTRIES + (198 << 16 | 18 << 8 | i)] =
			XS_TBL_CHILD | XS_TBL_V4_ROOT << XS_TBL_SLOT_SHIFT;
	sync_ok(&t, v, n, &c);
	assert_exact(&t, v, n);
	sync_ok(&t, v, n, &c);
	assert_int_equal(c.writes, 0);
	table_free(&t);
}

static int kill_after, changes;

static void die_at(void *arg)
{
	if (++changes == kill_after)
		_exit(0);
}

static void count_change(void *arg)
{
	changes++;
}

/*
 * From list A to list B, killed after some twenty of the sync's changes
 * spread over all of them: every address answers as A or as B, and the
 * next sync makes it B.
 */
static void test_killed(void **state)
{
	static struct steer_prefix va[MAX_PREFIXES], vb[MAX_PREFIXES];
	static uint8_t a[8 * MAX_PREFIXES * 2][16];
	const struct table_hooks dying = { .changed = die_at },
				 counted = { .changed = count_change };
	struct table t = table_new(2048);
	struct table_counts c;
	int status, total, n;
	size_t na, nb, k, i;
	uint32_t got;
	pid_t pid;

	rng_state = 0xdead;
	na = random_list(va, 200);
	memcpy(vb, va, 100 * sizeof(*va)); /* half the list stays */
	nb = random_list_from(vb, 100, 200);
	k = probes(va, na, vb, nb, a);
	sync_ok(&t, va, na, &c);
	changes = 0;
	assert_int_equal(table_sync(t.mem, t.nslots, vb, nb, &counted, &c), 0);
	total = changes;
	assert_true(total > 20);

	for (n = 0; n < 20; n++) {
		kill_after = 1 + n * (total - 1) / 19;
		sync_ok(&t, va, na, &c);
		assert_exact(&t, va, na);
		changes = 0;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			table_sync(t.mem, t.nslots, vb, nb, &dying, &c);
			_exit(1); /* finished: the kill came too late */
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		for (i = 0; i < k; i++) {
			got = table_find(t.mem, t.nslots, a[i]);
			if (got != lpm(va, na, a[i]) && got != lpm(vb, nb, a[i]))
				fail_msg(
					"killed after %d of %d: address %zu answers %x, neither %x "
					"nor %x",
					kill_after, total, i, got, lpm(va, na, a[i]),
					lpm(vb, nb, a[i]));
		}
		sync_ok(&t, vb, nb, &c);
		assert_exact(&t, vb, nb);
	}
	table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_lists),
		cmocka_unit_test(test_nothing_to_do),
		cmocka_unit_test(test_host_is_one_entry),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_pool_full),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_killed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
