// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lookup table: a multibit trie, 24 bits at the IPv4 root, 16 at the
 * IPv6 root and 8 bits a level below, with every prefix expanded into the
 * entries it covers.
 *
 * Why not the kernel's LPM trie or a hash: both are helper calls (with
 * retpolines, ~10 ns each on the machines measured) and the trie walks
 * one node per bit of depth (~100 ns at 100k prefixes). A lookup in a
 * BPF array is a bounds check and a load, so the walk here is one or two
 * loads for IPv4 (as in DPDK's DIR-24-8) and costs about what parsing the
 * headers costs. The price is memory: 64 MiB for the IPv4 root, and 1 KiB
 * chunks from a pool ([system] lookup_memory): one per /24 that holds
 * prefixes longer than /24, one per byte boundary an IPv6 prefix crosses
 * past its first 16 bits.
 *
 * Each entry holds the answer for all its addresses: the class (xs_tbl_entry) of the
 * longest prefix that covers the whole entry, or a pointer to a chunk for
 * the next byte when longer prefixes split it (their parent's answer is
 * copied into the chunk's other entries). The lookup is therefore a walk
 * to the first entry that is not a pointer.
 *
 * Writing it hitless: user space builds the wanted table in memory and
 * compares it with the live one position by position. Chunks that exist
 * at the same position are updated in place, entry by entry (each entry
 * is one aligned 32-bit store, so a packet sees either answer, both
 * valid while a reload runs). New chunks are filled completely before the
 * entry that points at them is written. A chunk that is no longer pointed
 * at is not reused in the same run (a program may still be reading it),
 * and the next run waits for an RCU grace period (the hook) before it
 * fills any chunk that was free when it started. A run killed anywhere
 * leaves only complete chunks linked; the next run rebuilds from the
 * prefixes and repairs everything else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/prefix.h"
#include "steer/table.h"

_Static_assert(sizeof(struct xs_tbl_head) <= XS_TBL_V4_ROOT * sizeof(struct xs_tbl_slot),
	       "the head of the table overlaps the IPv4 root");

#define CHUNK_BITS  8
#define CHUNK_WIDTH XS_TBL_SLOT_ENTRIES

/* A prefix as one of the two tables sees it. */
struct tin {
	uint8_t a[16]; /* the bits the table indexes, from bit 0 */
	uint32_t len; /* prefix length within the table */
	uint32_t rank; /* length in the full address: the longer wins */
	uint32_t entry; /* xs_tbl_entry of the classid */
};

enum { SLOT_FREE, SLOT_LINKED, SLOT_KEPT };

struct build {
	struct xs_tbl_slot *mem;
	size_t nslots;
	uint8_t *state; /* per slot; chunks only */
	size_t next; /* no free slot below */
	unsigned int bits; /* address bits of the table being built: 32 or 128 */
	bool graced;
	int err;
	const struct table_hooks *hooks;
	struct table_counts *counts;
};

static int tin_cmp(const void *x, const void *y)
{
	const struct tin *p = x, *q = y;
	int c = memcmp(p->a, q->a, sizeof(p->a));

	if (c)
		return c;
	return p->rank < q->rank ? -1 : p->rank > q->rank;
}

/* Bits start .. start + n - 1 of a (both multiples of 8, n at most 24). */
static size_t bits_at(const uint8_t *a, unsigned int start, unsigned int n)
{
	size_t v = 0;
	unsigned int i;

	for (i = start / 8; i < (start + n) / 8; i++)
		v = v << 8 | a[i];
	return v;
}

/*
 * want[] of the node whose index bits are start .. end - 1: inherited,
 * then each prefix of v from min_len to end long over the entries it
 * covers. v is sorted by address, then length: a prefix comes before
 * every prefix nested in it, so painting in this order lets the longest
 * win.
 */
static void paint(uint32_t *want, unsigned int start, unsigned int end, unsigned int min_len,
		  uint32_t inherited, const struct tin *v, size_t n)
{
	size_t width = (size_t)1 << (end - start), i, j, lo, cnt;

	for (i = 0; i < width; i++)
		want[i] = inherited;
	for (j = 0; j < n; j++) {
		if (v[j].len < min_len || v[j].len > end)
			continue;
		cnt = (size_t)1 << (end - v[j].len);
		lo = bits_at(v[j].a, start, end - start) & ~(cnt - 1);
		for (i = lo; i < lo + cnt; i++)
			want[i] = v[j].entry;
	}
}

/* A root: slots in a row, indexed as one array. */
static uint32_t *root_of(const struct xs_tbl_slot *mem, size_t slot)
{
	return (uint32_t *)(uintptr_t)mem[slot].e;
}

static size_t child_slot(uint32_t e)
{
	return (e & XS_TBL_OFFSET_MASK) >> XS_TBL_SLOT_SHIFT;
}

static bool is_child(uint32_t e)
{
	return (e & XS_TBL_CHILD) && !(e & ~(XS_TBL_CHILD | XS_TBL_OFFSET_MASK));
}

static void changed(struct build *b)
{
	if (b->hooks && b->hooks->changed)
		b->hooks->changed(b->hooks->arg);
}

static void mark(struct build *b, const uint32_t *e, size_t width, unsigned int end)
{
	uint32_t any = 0;
	size_t i, s;

	for (i = 0; i < width; i++) {
		/* a slot without pointers in one pass: the roots are mostly that */
		if (i % CHUNK_WIDTH == 0) {
			for (s = any = 0; s < CHUNK_WIDTH; s++)
				any |= e[i + s];
			if (!(any & XS_TBL_CHILD)) {
				i += CHUNK_WIDTH - 1;
				continue;
			}
		}
		if (!is_child(e[i]))
			continue;
		s = child_slot(e[i]);
		/* a pointer anywhere else is damage: that entry gets rewritten */
		if (end >= b->bits || s < XS_TBL_FIRST_CHUNK || s >= b->nslots ||
		    b->state[s] != SLOT_FREE)
			continue;
		b->state[s] = SLOT_LINKED;
		mark(b, b->mem[s].e, CHUNK_WIDTH, end + CHUNK_BITS);
	}
}

/* A chunk free since before this run, or 0 when the pool is empty. */
static size_t alloc(struct build *b)
{
	int err;

	while (b->next < b->nslots && b->state[b->next] != SLOT_FREE)
		b->next++;
	if (b->next >= b->nslots)
		return 0; /* full: no grace period needed either */
	if (!b->graced) {
		err = b->hooks && b->hooks->grace ? b->hooks->grace(b->hooks->arg) : 0;
		if (err) {
			b->err = err;
			return 0;
		}
		b->graced = true;
	}
	b->state[b->next] = SLOT_KEPT;
	return b->next++;
}

/* Write want into live entries e; new: nobody reads e yet. */
static void store(struct build *b, uint32_t *e, const uint32_t *want, size_t width, bool fresh)
{
	size_t i, slot_writes = 0;

	for (i = 0; i < width; i++) {
		if (fresh || e[i] != want[i]) {
			__atomic_store_n(&e[i], want[i], __ATOMIC_RELEASE);
			slot_writes++;
		}
		/* one change a slot: the unit a crash test may stop after */
		if ((i + 1) % CHUNK_WIDTH == 0 && slot_writes) {
			b->counts->writes += slot_writes;
			if (!fresh)
				changed(b);
			slot_writes = 0;
		}
	}
}

static uint32_t child(struct build *b, unsigned int start, uint32_t old, uint32_t inherited,
		      const struct tin *v, size_t n);

/*
 * The wanted entries of the node (a byte) whose index bits start at start,
 * given the live entries cur (NULL for a new node) and the answer
 * inherited from above. v: the prefixes inside the node, sorted; children
 * are built and written on the way.
 */
static void node(struct build *b, unsigned int start, const uint32_t *cur, uint32_t *want,
		 uint32_t inherited, const struct tin *v, size_t n)
{
	unsigned int end = start + CHUNK_BITS;
	size_t i, j, k;
	bool deeper;

	/* shorter prefixes are in inherited; longer ones in the children */
	paint(want, start, end, start + 1, inherited, v, n);
	for (j = 0; j < n; j = k) {
		i = v[j].a[start / 8];
		deeper = false;
		for (k = j; k < n && v[k].a[start / 8] == i; k++)
			deeper |= v[k].len > end;
		if (deeper)
			want[i] = child(b, end, cur ? cur[i] : XS_TBL_MISS, want[i], v + j, k - j);
	}
}

/* The entry that points at the chunk of v (at bit start): built and written. */
static uint32_t child(struct build *b, unsigned int start, uint32_t old, uint32_t inherited,
		      const struct tin *v, size_t n)
{
	uint32_t want[CHUNK_WIDTH];
	size_t slot = child_slot(old);
	bool reuse;

	if (b->err)
		return old;
	reuse = is_child(old) && slot >= XS_TBL_FIRST_CHUNK && slot < b->nslots &&
		b->state[slot] == SLOT_LINKED;
	if (reuse) {
		b->state[slot] = SLOT_KEPT;
	} else {
		slot = alloc(b);
		if (!slot) {
			if (b->err)
				return old;
			b->counts->fallbacks++;
			return XS_TBL_TRIE;
		}
	}
	node(b, start, reuse ? b->mem[slot].e : NULL, want, inherited, v, n);
	if (b->err)
		return old;
	store(b, b->mem[slot].e, want, CHUNK_WIDTH, !reuse);
	if (!reuse)
		b->counts->created++;
	return XS_TBL_CHILD | (uint32_t)slot << XS_TBL_SLOT_SHIFT;
}

static bool slot_is(const uint32_t *e, uint32_t x)
{
	uint32_t d = 0;
	size_t i;

	for (i = 0; i < CHUNK_WIDTH; i++)
		d |= e[i] ^ x;
	return !d;
}

/*
 * A root of root_bits: its top root_bits - 8 bits pick a slot, which is a
 * node of its own (the next 8 bits) that is always there. Slots no prefix
 * reaches are checked with one pass each, so that a sync costs little
 * more than reading the root when few slots change.
 */
static int build_table(struct build *b, size_t root, unsigned int root_bits, unsigned int bits,
		       struct tin *v, size_t n)
{
	unsigned int hi = root_bits - CHUNK_BITS;
	size_t slots = (size_t)1 << hi, s, j, k;
	uint32_t want[CHUNK_WIDTH], *inherit, *cur;

	inherit = malloc(slots * sizeof(*inherit));
	if (!inherit)
		return -ENOMEM;
	if (n)
		qsort(v, n, sizeof(*v), tin_cmp);
	b->bits = bits;
	/* the prefixes of whole slots */
	paint(inherit, 0, hi, 0, XS_TBL_MISS, v, n);
	for (s = 0, j = 0; s < slots && !b->err; s++, j = k) {
		for (k = j; k < n && bits_at(v[k].a, 0, hi) == s; k++)
			;
		cur = b->mem[root + s].e;
		if (j == k && slot_is(cur, inherit[s]))
			continue;
		node(b, hi, cur, want, inherit[s], v + j, k - j);
		if (!b->err)
			store(b, cur, want, CHUNK_WIDTH, false);
	}
	free(inherit);
	return b->err;
}

static void mark_all(struct build *b)
{
	b->bits = 32;
	mark(b, root_of(b->mem, XS_TBL_V4_ROOT), (size_t)1 << XS_TBL_V4_ROOT_BITS,
	     XS_TBL_V4_ROOT_BITS);
	b->bits = 128;
	mark(b, root_of(b->mem, XS_TBL_V6_ROOT), (size_t)1 << XS_TBL_V6_ROOT_BITS,
	     XS_TBL_V6_ROOT_BITS);
}

/* The prefixes as the IPv4 and the IPv6 table see them (unsorted). */
static int split(const struct steer_prefix *v, size_t n, struct tin **v4, size_t *n4,
		 struct tin **v6, size_t *n6)
{
	struct prefix p;
	struct tin *t;
	size_t i;

	*n4 = *n6 = 0;
	/*
	 * A prefix covering ::ffff:0:0/96 also goes into the IPv4 table, as
	 * the trie would match it for IPv4. steer_sync never hands one over
	 * (prefix_refused()); the table still answers as the trie for any input.
	 */
	*v4 = malloc((n ? n : 1) * sizeof(**v4));
	*v6 = malloc((n ? n : 1) * sizeof(**v6));
	if (!*v4 || !*v6) {
		free(*v4);
		free(*v6);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		p = v[i].prefix;
		if (p.len > 128)
			p.len = 128;
		prefix_mask(&p);
		if (prefix_is_v4(&p)) {
			t = &(*v4)[(*n4)++];
			memset(t, 0, sizeof(*t));
			memcpy(t->a, p.addr + 12, 4);
			t->len = p.len - 96;
		} else {
			t = &(*v6)[(*n6)++];
			memcpy(t->a, p.addr, 16);
			t->len = p.len;
			if (prefix_covers_v4(&p)) {
				/* all of IPv4, below every IPv4 prefix */
				t->rank = p.len;
				t->entry = xs_tbl_entry(v[i].customer.classid);
				t = &(*v4)[(*n4)++];
				memset(t, 0, sizeof(*t));
			}
		}
		t->rank = p.len;
		t->entry = xs_tbl_entry(v[i].customer.classid);
	}
	return 0;
}

int table_sync(struct xs_tbl_slot *mem, size_t nslots, const struct steer_prefix *v, size_t n,
	       const struct table_hooks *hooks, struct table_counts *counts)
{
	struct build b = { .mem = mem,
			   .nslots = nslots,
			   .next = XS_TBL_FIRST_CHUNK,
			   .hooks = hooks,
			   .counts = counts };
	struct tin *v4 = NULL, *v6 = NULL;
	size_t n4, n6, i;
	int err;

	memset(counts, 0, sizeof(*counts));
	if (nslots < XS_TBL_FIRST_CHUNK || nslots > XS_TBL_MAX_SLOTS)
		return -EINVAL;
	counts->capacity = nslots - XS_TBL_FIRST_CHUNK;
	b.state = calloc(nslots, 1);
	if (!b.state)
		return -ENOMEM;
	err = split(v, n, &v4, &n4, &v6, &n6);
	if (err)
		goto out;

	mark_all(&b);
	err = build_table(&b, XS_TBL_V4_ROOT, XS_TBL_V4_ROOT_BITS, 32, v4, n4);
	if (!err)
		err = build_table(&b, XS_TBL_V6_ROOT, XS_TBL_V6_ROOT_BITS, 128, v6, n6);
	for (i = XS_TBL_FIRST_CHUNK; i < nslots; i++) {
		counts->chunks += b.state[i] == SLOT_KEPT;
		counts->released += b.state[i] == SLOT_LINKED;
	}
	free(v4);
	free(v6);
out:
	free(b.state);
	return err;
}

/* Chunks of one table: a distinct network at each chunk level some prefix passes. */
static size_t chunks_of(struct tin *v, size_t n, unsigned int root_bits, unsigned int bits)
{
	unsigned int start;
	size_t i, prev, count = 0;

	if (n)
		qsort(v, n, sizeof(*v), tin_cmp);
	for (start = root_bits; start < bits; start += CHUNK_BITS) {
		prev = n;
		for (i = 0; i < n; i++) {
			if (v[i].len <= start)
				continue;
			if (prev == n || memcmp(v[prev].a, v[i].a, start / 8))
				count++;
			prev = i;
		}
	}
	return count;
}

long table_chunks_needed(const struct steer_prefix *v, size_t n)
{
	struct tin *v4, *v6;
	size_t n4, n6, count;

	if (split(v, n, &v4, &n4, &v6, &n6))
		return -ENOMEM;
	count = chunks_of(v4, n4, XS_TBL_V4_ROOT_BITS, 32) +
		chunks_of(v6, n6, XS_TBL_V6_ROOT_BITS, 128);
	free(v4);
	free(v6);
	return (long)count;
}

uint32_t table_find(const struct xs_tbl_slot *mem, size_t nslots, const uint8_t addr[16])
{
	bool v4 = prefix_addr_is_v4(addr);
	const uint8_t *a = v4 ? addr + 12 : addr;
	size_t bytes = v4 ? 4 : 16, i, slot;
	uint32_t e;

	if (nslots < XS_TBL_FIRST_CHUNK)
		return XS_TBL_TRIE;
	if (v4) {
		e = root_of(mem, XS_TBL_V4_ROOT)[bits_at(a, 0, XS_TBL_V4_ROOT_BITS)];
		i = 3;
	} else {
		e = root_of(mem, XS_TBL_V6_ROOT)[bits_at(a, 0, XS_TBL_V6_ROOT_BITS)];
		i = 2;
	}
	for (; i < bytes && (e & XS_TBL_CHILD); i++) {
		slot = child_slot(e);
		if (slot >= nslots)
			return XS_TBL_TRIE;
		e = mem[slot].e[a[i]];
	}
	if (e & XS_TBL_CHILD)
		return XS_TBL_TRIE;
	return e == XS_TBL_MISS || e == XS_TBL_TRIE ? e : xs_tbl_classid(e);
}

static size_t count_trie(const struct build *b, const uint32_t *e, size_t width)
{
	size_t i, n = 0;

	for (i = 0; i < width; i++) {
		if (e[i] == XS_TBL_TRIE)
			n++;
		else if (is_child(e[i]) && child_slot(e[i]) < b->nslots &&
			 b->state[child_slot(e[i])] == SLOT_LINKED)
			n += count_trie(b, b->mem[child_slot(e[i])].e, CHUNK_WIDTH);
	}
	return n;
}

void table_usage(const struct xs_tbl_slot *mem, size_t nslots, struct table_counts *counts)
{
	struct build b = { .mem = (struct xs_tbl_slot *)mem, .nslots = nslots };
	size_t i;

	memset(counts, 0, sizeof(*counts));
	if (nslots < XS_TBL_FIRST_CHUNK)
		return;
	counts->capacity = nslots - XS_TBL_FIRST_CHUNK;
	b.state = calloc(nslots, 1);
	if (!b.state)
		return;
	mark_all(&b);
	counts->fallbacks =
		count_trie(&b, root_of(mem, XS_TBL_V4_ROOT), (size_t)1 << XS_TBL_V4_ROOT_BITS) +
		count_trie(&b, root_of(mem, XS_TBL_V6_ROOT), (size_t)1 << XS_TBL_V6_ROOT_BITS);
	for (i = XS_TBL_FIRST_CHUNK; i < nslots; i++)
		counts->chunks += b.state[i] == SLOT_LINKED;
	free(b.state);
}
