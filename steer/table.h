/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lookup table of the programs (layout in bpf/xshaper.h): building it
 * from the prefixes and writing only what differs into the live memory.
 * Pure code on a plain array, so that unit tests run it without a kernel;
 * steer/sync.c hands it the mmap of the BPF map.
 */
#ifndef XSHAPER_STEER_TABLE_H
#define XSHAPER_STEER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/xshaper.h"
#include "steer/steer.h"

struct table_hooks {
	/*
	 * Called once before the first write into a chunk that an earlier run
	 * unlinked: programs that read it before must have finished.
	 */
	int (*grace)(void *arg);
	/* after each change the programs can see (crash tests kill here) */
	void (*changed)(void *arg);
	void *arg;
};

struct table_counts {
	size_t chunks; /* in use (after a sync) */
	size_t capacity; /* the pool */
	size_t created; /* chunks filled and linked by this sync */
	size_t released; /* chunks no longer linked after this sync */
	size_t writes; /* entries written */
	size_t fallbacks; /* entries left to the trie: the pool ran out */
};

/* Slots in a table of bytes (a BPF array of struct xs_tbl_slot). */
static inline size_t table_slots(size_t chunks)
{
	return XS_TBL_FIRST_CHUNK + chunks;
}

/*
 * Make the table mem of nslots slots answer every address as an LPM trie
 * of the n entries would: the customer.classid of the longest prefix
 * containing it (v need not be sorted, nor its prefixes normalised). Only
 * entries that differ are written, children before the entries that point
 * at them. -ENOMEM when user memory runs out (the table is untouched or
 * in a state the next sync repairs); a pool too small for the prefixes is
 * no error: the entries that did not fit say XS_TBL_TRIE (counts).
 */
int table_sync(struct xs_tbl_slot *mem, size_t nslots, const struct steer_prefix *v, size_t n,
	       const struct table_hooks *hooks, struct table_counts *counts);

/* The chunks a table of v needs (what table_sync would use), or -ENOMEM. */
long table_chunks_needed(const struct steer_prefix *v, size_t n);

/* What the programs would find for addr: a classid, XS_TBL_MISS or XS_TBL_TRIE. */
uint32_t table_find(const struct xs_tbl_slot *mem, size_t nslots, const uint8_t addr[16]);

/* Chunks in use and entries left to the trie, as table_sync counts them. */
void table_usage(const struct xs_tbl_slot *mem, size_t nslots, struct table_counts *counts);

#endif /* XSHAPER_STEER_TABLE_H */
