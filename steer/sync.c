// SPDX-License-Identifier: GPL-2.0-only
/*
 * The prefix maps: making them equal to the customer list (steer_sync),
 * reading them back (steer_read_assignments, steer_lookup).
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
 * The trie is diffed against the wanted set and the table rebuilt from
 * it and compared with what is live, so a run that was killed halfway is
 * repaired by the next.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/crashpoint.h"
#include "common/log.h"
#include "steer/internal.h"
#include "steer/table.h"

/* entries per batch syscall when reading */
#define BATCH 4096

struct entry {
	struct xs_lpm_key key;
	struct xs_customer val;
};

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct entry *)a)->key, &((const struct entry *)b)->key,
		      sizeof(struct xs_lpm_key));
}

static bool key_is_v4(const struct xs_lpm_key *k)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };

	return k->prefixlen >= 96 && memcmp(k->addr, mapped, sizeof(mapped)) == 0;
}

static void key_mask(struct xs_lpm_key *k)
{
	unsigned int i, bits;

	for (i = 0; i < 16; i++) {
		bits = k->prefixlen > 8 * i ? k->prefixlen - 8 * i : 0;
		if (bits < 8)
			k->addr[i] &= (__u8)(0xff00 >> bits);
	}
}

static const char *key_format(const struct xs_lpm_key *k, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (key_is_v4(k)) {
		inet_ntop(AF_INET, k->addr + 12, addr, sizeof(addr));
		snprintf(buf, len, "%s/%u", addr, k->prefixlen - 96);
	} else {
		inet_ntop(AF_INET6, k->addr, addr, sizeof(addr));
		snprintf(buf, len, "%s/%u", addr, k->prefixlen);
	}
	return buf;
}

static int grow(struct entry **v, size_t *cap, size_t need)
{
	struct entry *tmp;
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

/* A prefix map (the trie): struct xs_lpm_key to struct xs_customer. */
struct pmap {
	int fd;
	const char *name;
};

/* Every entry of a prefix map, by get_next_key; for kernels without batches. */
static int dump_iter(const struct pmap *m, struct entry **v, size_t *n, size_t *cap)
{
	struct xs_lpm_key key, next;
	bool first = true;
	int err;

	while (bpf_map_get_next_key(m->fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		err = grow(v, cap, *n + 1);
		if (err)
			return err;
		if (bpf_map_lookup_elem(m->fd, &key, &(*v)[*n].val))
			continue; /* deleted meanwhile */
		(*v)[*n].key = key;
		(*n)++;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Append every entry of a prefix map to *out (not sorted). */
static int map_dump(const struct pmap *m, struct entry **out, size_t *nout, size_t *capout)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(struct bpf_map_batch_opts) };
	size_t ksz = sizeof(struct xs_lpm_key), chunk = BATCH, i;
	struct xs_customer *vals = NULL;
	char *keys = NULL, in[64], next[64];
	bool first = true;
	__u32 count;
	int err;

	keys = malloc(chunk * ksz);
	vals = malloc(chunk * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = chunk;
		err = bpf_map_lookup_batch(m->fd, first ? NULL : in, next, keys, vals, &count,
					   &opts);
		if (err && err != -ENOENT && count == 0) {
			if (err == -ENOSPC) {
				/* a hash bucket holds more than chunk entries */
				void *k, *w;

				chunk *= 2;
				k = realloc(keys, chunk * ksz);
				if (k)
					keys = k;
				w = realloc(vals, chunk * sizeof(*vals));
				if (w)
					vals = w;
				if (!k || !w) {
					err = -ENOMEM;
					goto out;
				}
				continue;
			}
			if (first && batch_unsupported(err))
				err = dump_iter(m, out, nout, capout);
			break;
		}
		if (grow(out, capout, *nout + count)) {
			err = -ENOMEM;
			goto out;
		}
		for (i = 0; i < count; i++) {
			memcpy(&(*out)[*nout + i].key, keys + i * ksz, ksz);
			(*out)[*nout + i].val = vals[i];
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
	if (err)
		pr_err("%s: reading the map failed: %s\n", m->name, strerror(-err));
	return err;
}

/* Every entry of a prefix map, sorted by key. */
static int maps_dump(const struct pmap *m, struct entry **out, size_t *nout)
{
	size_t n = 0, cap = 0;
	struct entry *v = NULL;
	int err;

	err = map_dump(m, &v, &n, &cap);
	if (err) {
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), entry_cmp);
	*out = v;
	*nout = n;
	return 0;
}

#define CHUNK 256

/* Write (insert or overwrite) or delete entries, in batches where the kernel can. */
static int maps_apply(const struct pmap *m, const struct entry *v, size_t n, bool del)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(struct bpf_map_batch_opts),
					   .elem_flags = del ? 0 : BPF_ANY };
	struct xs_lpm_key keys[CHUNK];
	struct xs_customer vals[CHUNK];
	bool batch = true;
	size_t i, c = 0;
	char text[64];
	__u32 count = 0;
	int err;

	for (i = 0; i < n; i += c) {
		for (c = 0; i + c < n && c < CHUNK; c++) {
			keys[c] = v[i + c].key;
			vals[c] = v[i + c].val;
		}
		if (batch) {
			count = c;
			err = del ? bpf_map_delete_batch(m->fd, keys, &count, &opts)
				  : bpf_map_update_batch(m->fd, keys, vals, &count, &opts);
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
			err = del ? bpf_map_delete_elem(m->fd, &keys[count])
				  : bpf_map_update_elem(m->fd, &keys[count], &vals[count], BPF_ANY);
			if (err && !(del && errno == ENOENT)) {
				err = -errno;
				goto fail;
			}
			crashpoint();
		}
	}
	return 0;
fail:
	pr_err("%s: %s prefix %s failed: %s%s\n", m->name, del ? "deleting" : "writing",
	       key_format(&keys[count < c ? count : 0], text, sizeof(text)), strerror(-err),
	       err == -E2BIG || err == -ENOSPC ? " (map full)" : "");
	return err;
}

/*
 * Merge two sorted sets: what to write into the map (new or changed), what
 * to delete, and the counts.
 */
static int diff(const struct entry *want, size_t nwant, const struct entry *have, size_t nhave,
		struct entry **put, size_t *nput, struct entry **del, size_t *ndel,
		struct steer_counts *counts)
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
			c = entry_cmp(&want[i], &have[j]);
		if (c < 0 || (c == 0 && memcmp(&want[i].val, &have[j].val, sizeof(want[i].val)))) {
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

static int assignment_cmp(const void *a, const void *b)
{
	const struct assignment *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/* The wanted entries: every prefix of every customer, sorted, checked. */
static int build_wanted(const struct customer_list *list, const struct plan *plan,
			struct entry **out, size_t *nout)
{
	struct assignment *byid = NULL, probe = { 0 };
	const struct assignment *a;
	struct entry *v = NULL;
	size_t n = 0, cap = 0, i, j;
	char text[64], why[256];
	int err = 0;

	*out = NULL;
	*nout = 0;
	if (plan->n) {
		byid = malloc(plan->n * sizeof(*byid));
		if (!byid)
			return -ENOMEM;
		memcpy(byid, plan->v, plan->n * sizeof(*byid));
		qsort(byid, plan->n, sizeof(*byid), assignment_cmp);
	}
	for (i = 0; i < list->n; i++) {
		const struct customer *c = &list->v[i];

		probe.id = c->id;
		a = plan->n ? bsearch(&probe, byid, plan->n, sizeof(*byid), assignment_cmp) : NULL;
		if (!a) {
			pr_err("customer %u has no CPU, queue and class in the plan; nothing "
			       "changed\n",
			       c->id);
			err = -EINVAL;
			goto out;
		}
		if (a->minor < XS_FIRST_MINOR || a->minor > XS_MAX_MINOR || a->txq >= XS_MAX_TXQS ||
		    a->cpu >= XS_MAX_CPUS) {
			pr_err("customer %u: plan gives cpu %u txq %u minor %u, out of range; "
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
			struct entry *e = &v[n++];

			memset(e, 0, sizeof(*e));
			if (c->prefixes[j].len > 128) {
				pr_err("customer %u: prefix length %u > 128\n", c->id,
				       c->prefixes[j].len);
				err = -EINVAL;
				goto out;
			}
			/* the list refuses these; a caller that built its own must too */
			if (prefix_refused(&c->prefixes[j], false, why, sizeof(why))) {
				pr_err("customer %u: prefix %s: %s; nothing changed\n", c->id,
				       prefix_format(&c->prefixes[j], text, sizeof(text)), why);
				err = -EINVAL;
				goto out;
			}
			e->key.prefixlen = c->prefixes[j].len;
			memcpy(e->key.addr, c->prefixes[j].addr, 16);
			key_mask(&e->key);
			e->val.id = c->id;
			e->val.cpu = a->cpu;
			e->val.txq = a->txq;
			e->val.classid = xs_classid(a->txq, a->minor);
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), entry_cmp);
	for (i = 1; i < n; i++) {
		if (entry_cmp(&v[i - 1], &v[i]) == 0) {
			pr_err("prefix %s is claimed by customers %u and %u; nothing changed\n",
			       key_format(&v[i].key, text, sizeof(text)), v[i - 1].val.id,
			       v[i].val.id);
			err = -EINVAL;
			goto out;
		}
	}
out:
	free(byid);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* cpumap entries of CPUs neither configured nor used by a customer go. */
static int prune_cpumap(struct steer *steer, const struct xs_settings *s, const struct entry *v,
			size_t n)
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
		if (v[i].val.cpu < steer->possible_cpus)
			used[v[i].val.cpu] = true;
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

static void trie_map(struct steer *steer, struct pmap *m)
{
	m->fd = steer->fd[MAP_PREFIXES];
	m->name = steer_map_names[MAP_PREFIXES];
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

static int table_write(struct steer *steer, const struct entry *want, size_t nwant,
		       struct steer_counts *counts)
{
	struct table_hooks hooks = { .grace = grace, .changed = table_changed };
	struct table_prefix *v;
	struct table_counts tc;
	size_t i;
	int err;

	err = steer_table_map(steer);
	if (err)
		return err;
	v = malloc((nwant ? nwant : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < nwant; i++) {
		memcpy(v[i].addr, want[i].key.addr, sizeof(v[i].addr));
		v[i].len = want[i].key.prefixlen;
		v[i].classid = want[i].val.classid;
	}
	err = table_sync(steer->table, steer->table_slots, v, nwant, &hooks, &tc);
	/*
	 * Chunks this run let go are not reused by it; when they are what the
	 * pool lacked, a second pass (after a grace period) takes them.
	 */
	if (!err && tc.fallbacks && tc.released)
		err = table_sync(steer->table, steer->table_slots, v, nwant, &hooks, &tc);
	free(v);
	if (err) {
		if (err == -ENOMEM)
			pr_err("xs_table: out of memory building the lookup table\n");
		return err;
	}
	pr_debug("xs_table: %zu of %zu chunks in use, %zu new, %zu released, %zu entries "
		 "written\n",
		 tc.chunks, tc.capacity, tc.created, tc.released, tc.writes);
	if (tc.fallbacks)
		pr_warn("xs_table: its %zu chunks ([system] lookup_memory = %zuK) are all in use; "
			"%zu entries ask the LPM trie instead, which is slower. Raise "
			"lookup_memory (it applies after 'xshaper stop' and 'start')\n",
			tc.capacity, tc.capacity * sizeof(struct xs_tbl_slot) / 1024, tc.fallbacks);
	counts->table_chunks = tc.chunks;
	counts->table_capacity = tc.capacity;
	counts->table_fallbacks = tc.fallbacks;
	return 0;
}

int steer_sync(struct steer *steer, const struct customer_list *list, const struct plan *plan,
	       struct steer_counts *counts)
{
	struct entry *want = NULL, *trie = NULL, *put = NULL, *del = NULL;
	size_t nwant, ntrie = 0, nput, ndel;
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info), zero = 0;
	struct steer_counts c;
	struct xs_settings s;
	struct pmap tm;
	int err;

	trie_map(steer, &tm);
	err = build_wanted(list, plan, &want, &nwant);
	if (err)
		return err;
	if (bpf_obj_get_info_by_fd(steer->fd[MAP_PREFIXES], &info, &info_len) == 0 &&
	    nwant > info.max_entries) {
		pr_err("%zu prefixes exceed the %u xshaper can steer; nothing changed\n", nwant,
		       info.max_entries);
		err = -ENOSPC;
		goto out;
	}
	err = maps_dump(&tm, &trie, &ntrie);
	if (!err)
		err = diff(want, nwant, trie, ntrie, &put, &nput, &del, &ndel, &c);
	if (!err && bpf_map_lookup_elem(steer->fd[MAP_SETTINGS], &zero, &s))
		err = -errno;
	if (err)
		goto out;

	err = maps_apply(&tm, put, nput, false);
	if (!err)
		err = table_write(steer, want, nwant, &c);
	if (!err)
		err = maps_apply(&tm, del, ndel, true);
	if (!err)
		err = prune_cpumap(steer, &s, want, nwant);
	if (err)
		goto out;
	pr_debug("prefixes: %zu added, %zu updated, %zu deleted, %zu unchanged\n", c.added,
		 c.updated, c.deleted, c.unchanged);
	if (counts)
		*counts = c;
out:
	free(want);
	free(trie);
	free(put);
	free(del);
	return err;
}

int steer_read_assignments(struct steer *steer, struct assignment **out, size_t *nout)
{
	struct assignment *a = NULL;
	struct entry *v = NULL;
	size_t n = 0, i, k = 0;
	int err;

	struct pmap tm;

	*out = NULL;
	*nout = 0;
	trie_map(steer, &tm);
	err = maps_dump(&tm, &v, &n);
	if (err || !n)
		goto out;
	a = malloc(n * sizeof(*a));
	if (!a) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		a[i].id = v[i].val.id;
		a[i].cpu = v[i].val.cpu;
		a[i].txq = v[i].val.txq;
		a[i].minor = v[i].val.classid & 0xffff;
	}
	/*
	 * One per customer. A run killed while moving a customer may leave its
	 * prefixes disagreeing; any of them is a fine hint for the plan.
	 */
	qsort(a, n, sizeof(*a), assignment_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || a[k - 1].id != a[i].id)
			a[k++] = a[i];
	*out = a;
	*nout = k;
out:
	free(v);
	return err;
}

int steer_read_prefixes(struct steer *steer, struct steer_prefix **out, size_t *nout)
{
	struct steer_prefix *p = NULL;
	struct entry *v = NULL;
	struct pmap tm;
	size_t n = 0, i;
	int err;

	*out = NULL;
	*nout = 0;
	trie_map(steer, &tm);
	err = maps_dump(&tm, &v, &n);
	if (err || !n)
		goto out;
	p = malloc(n * sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		memcpy(p[i].prefix.addr, v[i].key.addr, sizeof(p[i].prefix.addr));
		p[i].prefix.len = v[i].key.prefixlen;
		p[i].customer = v[i].val;
	}
	*out = p;
	*nout = n;
out:
	free(v);
	return err;
}

static int parse_address(const char *text, struct xs_lpm_key *key)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in_addr a4;
	size_t len;

	while (*text == ' ' || *text == '\t')
		text++;
	len = strcspn(text, " \t\n");
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(key, 0, sizeof(*key));
	key->prefixlen = 128;
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
		memcpy(key->addr + 12, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, key->addr) == 1)
		return 0;
	return -EINVAL;
}

static bool key_contains(const struct xs_lpm_key *p, const struct xs_lpm_key *addr)
{
	struct xs_lpm_key m = *addr;

	m.prefixlen = p->prefixlen;
	key_mask(&m);
	return memcmp(m.addr, p->addr, 16) == 0;
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

int steer_lookup(struct steer *steer, const char *address, struct steer_match *match)
{
	struct xs_lpm_key key, found;
	struct xs_customer val;
	struct entry *v = NULL;
	struct xs_settings s;
	struct pmap tm;
	char text[64];
	size_t n = 0, i;
	__u32 zero = 0, table = XS_TBL_TRIE;
	int err;

	memset(match, 0, sizeof(*match));
	if (parse_address(address, &key)) {
		pr_err("'%s': not an IPv4 or IPv6 address\n", address);
		return -EINVAL;
	}
	key_format(&key, text, sizeof(text));
	text[strcspn(text, "/")] = '\0';
	snprintf(match->address_text, sizeof(match->address_text), "%s", text);
	if (bpf_map_lookup_elem(steer->fd[MAP_SETTINGS], &zero, &s) == 0)
		match->unknown = s.unknown;

	/* what the programs find, and where */
	if (steer_table_map(steer) == 0) {
		table = table_find(steer->table, steer->table_slots, key.addr);
		match->via_trie = table == XS_TBL_TRIE;
	}
	if (bpf_map_lookup_elem(steer->fd[MAP_PREFIXES], &key, &val)) {
		if (table != XS_TBL_MISS && table != XS_TBL_TRIE)
			pr_warn("%s: xs_table maps %s to class %x:%x, but no prefix does; a "
				"reload repairs the table\n",
				steer->bpffs, match->address_text, table >> 16, table & 0xffff);
		return 0;
	}
	if (table != XS_TBL_TRIE && table != val.classid)
		pr_warn("%s: xs_table and %s disagree about %s; a reload repairs them\n",
			steer->bpffs, steer_map_names[MAP_PREFIXES], match->address_text);

	/* the trie does not say which prefix matched: the longest that contains it */
	trie_map(steer, &tm);
	err = maps_dump(&tm, &v, &n);
	if (err)
		return err;
	found = key;
	found.prefixlen = 0;
	for (i = 0; i < n; i++)
		if (key_contains(&v[i].key, &key) && v[i].key.prefixlen >= found.prefixlen &&
		    !memcmp(&v[i].val, &val, sizeof(val)))
			found = v[i].key;
	free(v);
	key_mask(&found);
	match->known = true;
	match->customer = val;
	match->minor = val.classid & 0xffff;
	snprintf(match->classid_text, sizeof(match->classid_text), "%x:%x", val.classid >> 16,
		 match->minor);
	match->prefix.len = found.prefixlen;
	memcpy(match->prefix.addr, found.addr, 16);
	key_format(&found, match->prefix_text, sizeof(match->prefix_text));
	return 0;
}
