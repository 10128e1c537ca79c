// SPDX-License-Identifier: GPL-2.0-only
/*
 * The prefix maps: making them equal to the customer list (steer_sync),
 * reading them back (steer_snapshot_read, steer_lookup).
 *
 * Every prefix is in the LPM trie xs_prefixes, the source of truth, which
 * the programs ask only where the lookup table xs_table says so (its pool
 * ran out); the table holds the same answers expanded for a fast walk
 * (steer/table.c). A sync orders its writes so that no packet ever meets a
 * state that is neither the old list nor the new one:
 *
 *   1. write new and changed trie entries (overwrites are atomic per
 *      entry: a changed prefix is never absent);
 *   2. bring the table to the new list (children before the entries that
 *      point at them, each entry one atomic store);
 *   3. delete the trie entries no longer listed;
 *   4. remove cpumap entries of CPUs no configuration or customer uses.
 *
 * The trie, as the run read it once (struct steer_snapshot), is diffed
 * against the wanted set, and the table rebuilt from that set and compared
 * with what is live, so a run that was killed halfway is repaired by the
 * next.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/crashpoint.h"
#include "common/handle.h"
#include "common/log.h"
#include "common/prefix.h"
#include "steer/internal.h"
#include "steer/table.h"

/* entries per batch syscall when reading */
#define BATCH 4096
/* and when writing */
#define CHUNK 256

int steer_prefix_cmp(const void *a, const void *b)
{
	return prefix_cmp(&((const struct steer_prefix *)a)->prefix,
			  &((const struct steer_prefix *)b)->prefix);
}

static int grow(struct steer_prefix **v, size_t *cap, size_t need)
{
	struct steer_prefix *tmp;
	size_t c = *cap ? *cap : 1024;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	tmp = realloc(*v, c * sizeof(**v));
	if (!tmp)
		return -ENOMEM;
	*v = tmp;
	*cap = c;
	return 0;
}

static bool batch_unsupported(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUP ||
	       err == -524 /* ENOTSUPP */;
}

/* Every entry of the trie, by get_next_key; for kernels without batches. */
static int trie_dump_iter(int fd, struct steer_prefix **v, size_t *n, size_t *cap)
{
	struct xs_lpm_key key, next;
	bool first = true;
	int err;

	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		err = grow(v, cap, *n + 1);
		if (err)
			return err;
		if (bpf_map_lookup_elem(fd, &key, &(*v)[*n].customer))
			continue; /* deleted meanwhile */
		prefix_from_key(&key, &(*v)[*n].prefix);
		(*n)++;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Every entry of the trie, in batches where the kernel can (not sorted). */
static int trie_dump(int fd, struct steer_prefix **out, size_t *nout)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(struct bpf_map_batch_opts) };
	struct xs_lpm_key *keys = NULL;
	struct xs_customer *vals = NULL;
	size_t cap = 0, i;
	char in[64], next[64];
	bool first = true;
	__u32 count;
	int err;

	*out = NULL;
	*nout = 0;
	keys = malloc(BATCH * sizeof(*keys));
	vals = malloc(BATCH * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : in, next, keys, vals, &count, &opts);
		if (err && err != -ENOENT && count == 0) {
			if (first && batch_unsupported(err))
				err = trie_dump_iter(fd, out, nout, &cap);
			break;
		}
		if (grow(out, &cap, *nout + count)) {
			err = -ENOMEM;
			goto out;
		}
		for (i = 0; i < count; i++) {
			prefix_from_key(&keys[i], &(*out)[*nout + i].prefix);
			(*out)[*nout + i].customer = vals[i];
		}
		*nout += count;
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		if (err)
			break;
		memcpy(in, next, sizeof(in));
		first = false;
	}
out:
	free(keys);
	free(vals);
	if (err) {
		pr_err("%s: reading the map failed: %s\n", steer_map_names[MAP_PREFIXES],
		       strerror(-err));
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	return err;
}

/* Write (insert or overwrite) or delete entries, in batches where the kernel can. */
static int trie_apply(int fd, const struct steer_prefix *v, size_t n, bool del)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(struct bpf_map_batch_opts),
					   .elem_flags = del ? 0 : BPF_ANY };
	struct xs_lpm_key keys[CHUNK];
	struct xs_customer vals[CHUNK];
	bool batch = true;
	size_t i, c = 0;
	char text[PREFIX_TEXT_LEN];
	__u32 count = 0;
	int err;

	for (i = 0; i < n; i += c) {
		for (c = 0; i + c < n && c < CHUNK; c++) {
			prefix_to_key(&v[i + c].prefix, &keys[c]);
			vals[c] = v[i + c].customer;
		}
		if (batch) {
			count = c;
			err = del ? bpf_map_delete_batch(fd, keys, &count, &opts)
				  : bpf_map_update_batch(fd, keys, vals, &count, &opts);
			if (!err) {
				crashpoint();
				continue;
			}
			if (!(count == 0 && batch_unsupported(err)) && !(del && err == -ENOENT))
				goto fail;
			/* unsupported, or an entry already gone: one by one */
			batch = del && err == -ENOENT;
		}
		for (count = 0; count < c; count++) {
			err = del ? bpf_map_delete_elem(fd, &keys[count])
				  : bpf_map_update_elem(fd, &keys[count], &vals[count], BPF_ANY);
			if (err && !(del && errno == ENOENT)) {
				err = -errno;
				goto fail;
			}
			crashpoint();
		}
	}
	return 0;
fail:
	pr_err("%s: %s prefix %s failed: %s%s\n", steer_map_names[MAP_PREFIXES],
	       del ? "deleting" : "writing",
	       prefix_format(&v[i + (count < c ? count : 0)].prefix, text, sizeof(text)),
	       strerror(-err), err == -E2BIG || err == -ENOSPC ? " (map full)" : "");
	return err;
}

static __u32 trie_id(struct steer *steer, __u32 *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(steer->fd[MAP_PREFIXES], &info, &len))
		return 0;
	if (max_entries)
		*max_entries = info.max_entries;
	return info.id;
}

int steer_snapshot_read(struct steer *steer, struct steer_snapshot *snap)
{
	int err;

	memset(snap, 0, sizeof(*snap));
	snap->map_id = trie_id(steer, NULL);
	err = trie_dump(steer->fd[MAP_PREFIXES], &snap->v, &snap->n);
	if (err)
		return err;
	if (snap->n)
		qsort(snap->v, snap->n, sizeof(*snap->v), steer_prefix_cmp);
	return 0;
}

void steer_snapshot_free(struct steer_snapshot *snap)
{
	if (!snap)
		return;
	free(snap->v);
	memset(snap, 0, sizeof(*snap));
}

/*
 * Merge two sets sorted by prefix: what to write into the map (new or
 * changed), what to delete, and the counts.
 */
static int diff(const struct steer_prefix *want, size_t nwant, const struct steer_prefix *have,
		size_t nhave, struct steer_prefix **put, size_t *nput, struct steer_prefix **del,
		size_t *ndel, struct steer_counts *counts)
{
	size_t i = 0, j = 0, capp = 0, capd = 0;
	int c;

	*put = *del = NULL;
	*nput = *ndel = 0;
	memset(counts, 0, sizeof(*counts));
	while (i < nwant || j < nhave) {
		if (i == nwant)
			c = 1;
		else if (j == nhave)
			c = -1;
		else
			c = steer_prefix_cmp(&want[i], &have[j]);
		if (c < 0 || (c == 0 && memcmp(&want[i].customer, &have[j].customer,
					       sizeof(want[i].customer)))) {
			if (grow(put, &capp, *nput + 1))
				return -ENOMEM;
			(*put)[(*nput)++] = want[i];
			if (c < 0)
				counts->added++;
			else
				counts->updated++;
		} else if (c > 0) {
			if (grow(del, &capd, *ndel + 1))
				return -ENOMEM;
			(*del)[(*ndel)++] = have[j];
			counts->deleted++;
		} else {
			counts->unchanged++;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return 0;
}

int steer_wanted(const struct plan *plan, struct steer_prefix **out, size_t *nout)
{
	const struct customer_list *list = plan->list;
	struct steer_prefix *v = NULL;
	size_t n = 0, cap = 0, i, j;
	char text[PREFIX_TEXT_LEN], why[256];
	int err = 0;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < list->n; i++) {
		const struct customer *c = &list->v[i];
		const struct plan_class *a = plan_customer(plan, i);

		if (a->minor < XS_FIRST_MINOR || a->minor > XS_MAX_MINOR || a->txq >= XS_MAX_TXQS ||
		    a->cpu >= XS_MAX_CPUS) {
			pr_err("customer %s: plan gives cpu %u txq %u minor %u, out of range; "
			       "nothing changed\n",
			       c->id, a->cpu, a->txq, a->minor);
			err = -EINVAL;
			goto out;
		}
		if (grow(&v, &cap, n + c->nprefixes)) {
			err = -ENOMEM;
			goto out;
		}
		for (j = 0; j < c->nprefixes; j++) {
			struct steer_prefix *e = &v[n++];

			if (c->prefixes[j].len > 128) {
				pr_err("customer %s: prefix length %u > 128\n", c->id,
				       c->prefixes[j].len);
				err = -EINVAL;
				goto out;
			}
			/* the list refuses these; a caller that built its own must too */
			if (prefix_refused(&c->prefixes[j], false, why, sizeof(why))) {
				pr_err("customer %s: prefix %s: %s; nothing changed\n", c->id,
				       prefix_format(&c->prefixes[j], text, sizeof(text)), why);
				err = -EINVAL;
				goto out;
			}
			e->prefix = c->prefixes[j];
			prefix_mask(&e->prefix);
			e->customer =
				(struct xs_customer){ .cpu = a->cpu,
						      .txq = a->txq,
						      .classid = xs_classid(a->txq, a->minor) };
			e->owner = (uint32_t)i;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), steer_prefix_cmp);
	for (i = 1; i < n; i++) {
		if (steer_prefix_cmp(&v[i - 1], &v[i]) == 0) {
			pr_err("prefix %s is claimed by customers %s and %s; nothing changed\n",
			       prefix_format(&v[i].prefix, text, sizeof(text)),
			       list->v[v[i - 1].owner].id, list->v[v[i].owner].id);
			err = -EINVAL;
			goto out;
		}
	}
out:
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* cpumap entries of CPUs neither configured nor used by a customer go. */
static int prune_cpumap(struct steer *steer, const struct xs_settings *s,
			const struct steer_prefix *v, size_t n)
{
	struct bpf_cpumap_val val;
	bool *used;
	__u32 cpu;
	size_t i;
	int err = 0;

	used = calloc(steer->possible_cpus, sizeof(*used));
	if (!used)
		return -ENOMEM;
	for (i = 0; i < s->ncpus && i < XS_MAX_CPUS; i++)
		if (s->cpus[i] < steer->possible_cpus)
			used[s->cpus[i]] = true;
	for (i = 0; i < n; i++)
		if (v[i].customer.cpu < steer->possible_cpus)
			used[v[i].customer.cpu] = true;
	for (cpu = 0; cpu < steer->possible_cpus; cpu++) {
		if (used[cpu] || bpf_map_lookup_elem(steer->fd[MAP_CPUMAP], &cpu, &val))
			continue;
		if (bpf_map_delete_elem(steer->fd[MAP_CPUMAP], &cpu) && errno != ENOENT) {
			err = -errno;
			pr_err("cpumap: removing CPU %u failed: %s\n", cpu, strerror(-err));
			break;
		}
		pr_debug("cpumap: CPU %u no longer used, removed\n", cpu);
	}
	free(used);
	return err;
}

/*
 * An RCU grace period: programs that started before have finished. The
 * kernel waits for one on every update of a map-in-map, so that user space
 * knows no program still sees the old inner map; a throwaway one serves.
 */
static int grace(void *arg)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer = -1, err = 0;
	__u32 zero = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, sizeof(__u32), sizeof(__u32), 1, NULL);
	if (inner >= 0) {
		opts.inner_map_fd = inner;
		outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, sizeof(__u32),
				       sizeof(__u32), 1, &opts);
	}
	if (inner < 0 || outer < 0 || bpf_map_update_elem(outer, &zero, &inner, BPF_ANY)) {
		err = -errno;
		pr_err("xs_table: waiting for the programs to leave freed chunks failed: %s\n",
		       strerror(-err));
	}
	if (outer >= 0)
		close(outer);
	if (inner >= 0)
		close(inner);
	return err;
}

static void table_changed(void *arg)
{
	crashpoint();
}

static int table_write(struct steer *steer, const struct steer_prefix *want, size_t nwant,
		       struct steer_counts *counts, bool partial)
{
	struct table_hooks hooks = { .grace = grace, .changed = table_changed };
	struct table_counts tc;
	int err;

	err = steer_table_map(steer);
	if (err)
		return err;
	err = table_sync(steer->table, steer->table_slots, want, nwant, &hooks, &tc);
	/*
	 * Chunks this run let go are not reused by it; when they are what the
	 * pool lacked, a second pass (after a grace period) takes them.
	 */
	if (!err && tc.fallbacks && tc.released)
		err = table_sync(steer->table, steer->table_slots, want, nwant, &hooks, &tc);
	if (err) {
		if (err == -ENOMEM)
			pr_err("xs_table: out of memory building the lookup table\n");
		return err;
	}
	pr_debug("xs_table: %zu of %zu chunks in use, %zu new, %zu released, %zu entries "
		 "written\n",
		 tc.chunks, tc.capacity, tc.created, tc.released, tc.writes);
	if (tc.fallbacks && !partial) /* the full sync that follows says it */
		pr_warn("xs_table: its %zu chunks ([system] lookup_memory = %zuK) are all in use; "
			"%zu entries ask the LPM trie instead, which is slower. Raise "
			"lookup_memory (it applies after 'xshaper stop' and 'start')\n",
			tc.capacity, tc.capacity * sizeof(struct xs_tbl_slot) / 1024, tc.fallbacks);
	counts->table_chunks = tc.chunks;
	counts->table_capacity = tc.capacity;
	counts->table_fallbacks = tc.fallbacks;
	return 0;
}

int steer_sync(struct steer *steer, const struct steer_snapshot *live, const struct plan *plan,
	       struct steer_counts *counts)
{
	struct steer_prefix *want = NULL, *put = NULL, *del = NULL;
	struct steer_snapshot now = {};
	size_t nwant, nput, ndel;
	__u32 zero = 0, max_entries = 0, id;
	struct steer_counts c;
	struct xs_settings s;
	int fd = steer->fd[MAP_PREFIXES];
	int err;

	err = steer_wanted(plan, &want, &nwant);
	if (err)
		return err;
	id = trie_id(steer, &max_entries);
	if (id && nwant > max_entries) {
		pr_err("%zu prefixes exceed the %u xshaper can steer; nothing changed\n", nwant,
		       max_entries);
		err = -ENOSPC;
		goto out;
	}
	/* a snapshot of the maps a start replaced says nothing about these */
	if (!live || !id || live->map_id != id) {
		err = steer_snapshot_read(steer, &now);
		live = &now;
	}
	if (!err)
		err = diff(want, nwant, live->v, live->n, &put, &nput, &del, &ndel, &c);
	if (!err && bpf_map_lookup_elem(steer->fd[MAP_SETTINGS], &zero, &s))
		err = -errno;
	if (err)
		goto out;

	err = trie_apply(fd, put, nput, false);
	if (!err)
		err = table_write(steer, want, nwant, &c, false);
	if (!err)
		err = trie_apply(fd, del, ndel, true);
	if (!err)
		err = prune_cpumap(steer, &s, want, nwant);
	if (!err)
		err = steer_monitor_prune(steer, want, nwant);
	if (err)
		goto out;
	pr_debug("prefixes: %zu added, %zu updated, %zu deleted, %zu unchanged\n", c.added,
		 c.updated, c.deleted, c.unchanged);
	if (counts)
		*counts = c;
out:
	steer_snapshot_free(&now);
	free(want);
	free(put);
	free(del);
	return err;
}

int steer_sync_done(struct steer *steer, struct steer_snapshot *live, const struct plan *plan,
		    const bool *txq_done)
{
	struct steer_prefix *want = NULL, *put = NULL, *now = NULL;
	size_t nwant, nput = 0, n = 0, i = 0, j = 0;
	__u32 max_entries = 0, id;
	struct steer_counts c = {};
	int err, cmp;

	err = steer_wanted(plan, &want, &nwant);
	if (err)
		return err;
	id = trie_id(steer, &max_entries);
	/* a snapshot of the maps a start replaced says nothing about these */
	if (!id || live->map_id != id) {
		steer_snapshot_free(live);
		err = steer_snapshot_read(steer, live);
		if (err)
			goto out;
	}
	put = malloc((nwant + 1) * sizeof(*put));
	now = malloc((nwant + live->n + 1) * sizeof(*now));
	if (!put || !now) {
		err = -ENOMEM;
		goto out;
	}
	/* what the maps hold, with the prefixes of the customers of done trees as wanted */
	while (i < nwant || j < live->n) {
		cmp = i == nwant ? 1 : j == live->n ? -1 : steer_prefix_cmp(&want[i], &live->v[j]);
		if (cmp <= 0 && txq_done[want[i].customer.txq]) {
			if (cmp < 0 || memcmp(&want[i].customer, &live->v[j].customer,
					      sizeof(want[i].customer)))
				put[nput++] = want[i];
			now[n++] = want[i];
		} else if (cmp >= 0) {
			now[n++] = live->v[j];
		}
		if (cmp <= 0)
			i++;
		if (cmp >= 0)
			j++;
	}
	if (!nput)
		goto out;
	if (id && n > max_entries) {
		pr_debug("prefixes: %zu old and new together exceed the %u the trie holds; the "
			 "customers wait for the full sync\n",
			 n, max_entries);
		goto out;
	}
	err = trie_apply(steer->fd[MAP_PREFIXES], put, nput, false);
	if (!err)
		err = table_write(steer, now, n, &c, true);
	if (err)
		goto out;
	pr_debug("prefixes: %zu written as their trees came up\n", nput);
	free(live->v);
	live->v = now;
	live->n = n;
	now = NULL;
out:
	free(want);
	free(put);
	free(now);
	return err;
}

struct live_class {
	struct prefix prefix;
	uint32_t classid, cpu;
};

int steer_snapshot_placements(const struct steer_snapshot *snap, const struct customer_list *list,
			      struct placements *out)
{
	struct placement *v;
	size_t i, j, n = 0;

	memset(out, 0, sizeof(*out));
	if (!snap->n || !list->n)
		return 0;
	v = calloc(list->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < list->n; i++) {
		const struct customer *c = &list->v[i];
		const struct steer_prefix *e = NULL;
		bool one = c->nprefixes > 0 && c->node == NETWORK_NONE;

		for (j = 0; one && j < c->nprefixes; j++) {
			struct steer_prefix key = { .prefix = c->prefixes[j] };
			const struct steer_prefix *f;

			prefix_mask(&key.prefix);
			f = bsearch(&key, snap->v, snap->n, sizeof(*snap->v), steer_prefix_cmp);
			if (!f || (e && f->customer.classid != e->customer.classid))
				one = false;
			e = f;
		}
		if (!one)
			continue;
		v[n] = (struct placement){ .kind = PLAN_CUSTOMER,
					   .cpu = e->customer.cpu,
					   .txq = xs_classid_txq(e->customer.classid),
					   .minor = xs_handle_minor(e->customer.classid) };
		v[n].id = strdup(c->id);
		v[n].name = strdup("");
		if (!v[n].id || !v[n].name) {
			out->v = v;
			out->n = n + 1;
			placements_free(out);
			return -ENOMEM;
		}
		n++;
	}
	/* the list is sorted by id, and so are these */
	out->v = v;
	out->n = n;
	return 0;
}

int steer_table_usage(struct steer *steer, struct steer_table_usage *usage)
{
	struct table_counts c;
	int err;

	memset(usage, 0, sizeof(*usage));
	err = steer_table_map(steer);
	if (err)
		return err;
	table_usage(steer->table, steer->table_slots, &c);
	usage->chunks = c.chunks;
	usage->capacity = c.capacity;
	usage->fallbacks = c.fallbacks;
	return 0;
}

/* An address as the lookup command takes it: blanks around it, no length. */
static int parse_address(const char *text, struct prefix *addr)
{
	char buf[PREFIX_TEXT_LEN];
	size_t len;

	text += strspn(text, " \t");
	len = strcspn(text, " \t\n");
	if (len == 0 || len >= sizeof(buf) || memchr(text, '/', len))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return prefix_parse(buf, addr);
}

int steer_lookup(struct steer *steer, const char *address, struct steer_match *match)
{
	struct steer_snapshot snap;
	struct prefix addr, found;
	struct xs_lpm_key key;
	struct xs_customer val;
	struct xs_settings s;
	char classid[HANDLE_TEXT_LEN];
	__u32 zero = 0, table = XS_TBL_TRIE;
	size_t i;
	int err;

	memset(match, 0, sizeof(*match));
	if (parse_address(address, &addr)) {
		pr_err("'%s': not an IPv4 or IPv6 address\n", address);
		return -EINVAL;
	}
	prefix_format(&addr, match->address_text, sizeof(match->address_text));
	match->address_text[strcspn(match->address_text, "/")] = '\0';
	if (bpf_map_lookup_elem(steer->fd[MAP_SETTINGS], &zero, &s) == 0)
		match->unknown = s.unknown;

	/* what the programs find, and where */
	if (steer_table_map(steer) == 0) {
		table = table_find(steer->table, steer->table_slots, addr.addr);
		match->via_trie = table == XS_TBL_TRIE;
	}
	prefix_to_key(&addr, &key);
	if (bpf_map_lookup_elem(steer->fd[MAP_PREFIXES], &key, &val)) {
		if (table != XS_TBL_MISS && table != XS_TBL_TRIE)
			pr_warn("%s: xs_table maps %s to class %s, but no prefix does; a "
				"reload repairs the table\n",
				steer->bpffs, match->address_text,
				handle_text(table, classid, sizeof(classid)));
		return 0;
	}
	if (table != XS_TBL_TRIE && table != val.classid)
		pr_warn("%s: xs_table and %s disagree about %s; a reload repairs them\n",
			steer->bpffs, steer_map_names[MAP_PREFIXES], match->address_text);

	/*
	 * The trie does not say which prefix matched: the longest that holds
	 * the address as bits (the trie matches whatever the family).
	 */
	err = steer_snapshot_read(steer, &snap);
	if (err)
		return err;
	found = addr;
	found.len = 0;
	for (i = 0; i < snap.n; i++)
		if (prefix_covers(&snap.v[i].prefix, &addr) && snap.v[i].prefix.len >= found.len &&
		    !memcmp(&snap.v[i].customer, &val, sizeof(val)))
			found = snap.v[i].prefix;
	steer_snapshot_free(&snap);
	prefix_mask(&found);
	match->known = true;
	match->customer = val;
	match->minor = xs_handle_minor(val.classid);
	handle_text(val.classid, match->classid_text, sizeof(match->classid_text));
	match->prefix = found;
	prefix_format(&found, match->prefix_text, sizeof(match->prefix_text));
	return 0;
}
