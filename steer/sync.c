// SPDX-License-Identifier: GPL-2.0-only
/*
 * The prefix maps: making them equal to the customer list (steer_sync),
 * reading them back (steer_read_assignments, steer_lookup).
 *
 * The same entries are in the LPM trie xs_prefixes, the source of truth,
 * and in its exact-match mirror, xs_hash_short and xs_hash_long (split by
 * key size, see xs_exact_kind), which the programs probe at the prefix
 * lengths published in xs_settings (bpf/classify.h).
 * A sync orders its writes so that no packet ever meets a state that is
 * neither the old list nor the new one:
 *
 *   1. write new and changed entries, trie then hash (overwrites are
 *      atomic per entry: a changed prefix is never absent);
 *   2. publish the prefix lengths of the new list: a length appears only
 *      now that all its entries are in the hash, and a length that goes
 *      away is withdrawn before its entries are deleted;
 *   3. delete the entries no longer listed, trie and hash;
 *   4. remove cpumap entries of CPUs no configuration or customer uses.
 *
 * Each map is diffed on its own against the wanted set, so a run that was
 * killed halfway, leaving the two maps different, is repaired by the next.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/crashpoint.h"
#include "common/log.h"
#include "steer/internal.h"

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
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUP || err == -524 /* ENOTSUPP */;
}

/*
 * A prefix map: the trie and xs_hash_long take struct xs_lpm_key,
 * xs_hash_short takes struct xs_short_key. Entries are handled as
 * xs_lpm_key everywhere else and converted at the map.
 */
struct pmap {
	int fd;
	const char *name;
	bool short_keys;
};

union pkey {
	struct xs_lpm_key l;
	struct xs_short_key s;
};

static int exact_kind(const struct xs_lpm_key *k)
{
	return xs_exact_kind(k->prefixlen, key_is_v4(k));
}

static void key_put(const struct pmap *m, const struct xs_lpm_key *k, union pkey *out)
{
	memset(out, 0, sizeof(*out));
	if (!m->short_keys) {
		out->l = *k;
		return;
	}
	out->s.prefixlen = k->prefixlen;
	memcpy(out->s.net, k->addr + (exact_kind(k) == XS_EXACT_SHORT_HI ? 0 : 8), 8);
}

static void key_get(const struct pmap *m, const union pkey *in, struct xs_lpm_key *k)
{
	if (!m->short_keys) {
		*k = in->l;
		return;
	}
	memset(k, 0, sizeof(*k));
	k->prefixlen = in->s.prefixlen;
	/* up to /64 the network is in words 0-1; past it only IPv4 is short */
	memcpy(k->addr + (in->s.prefixlen <= 64 ? 0 : 8), in->s.net, 8);
}

/* Every entry of a prefix map, by get_next_key; for kernels without batches. */
static int dump_iter(const struct pmap *m, struct entry **v, size_t *n, size_t *cap)
{
	union pkey key, next;
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
		key_get(m, &key, &(*v)[*n].key);
		(*n)++;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Append every entry of a prefix map to *out (not sorted). */
static int map_dump(const struct pmap *m, struct entry **out, size_t *nout, size_t *capout)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(struct bpf_map_batch_opts) };
	size_t ksz = m->short_keys ? sizeof(struct xs_short_key) : sizeof(struct xs_lpm_key);
	size_t chunk = BATCH, i;
	struct xs_customer *vals = NULL;
	char *keys = NULL, in[64], next[64];
	union pkey key;
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
			memset(&key, 0, sizeof(key));
			memcpy(&key, keys + i * ksz, ksz);
			key_get(m, &key, &(*out)[*nout + i].key);
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

/* Every entry of some prefix maps together, sorted by key. */
static int maps_dump(const struct pmap *maps, int nmaps, struct entry **out, size_t *nout)
{
	size_t n = 0, cap = 0;
	struct entry *v = NULL;
	int i, err;

	for (i = 0; i < nmaps; i++) {
		err = map_dump(&maps[i], &v, &n, &cap);
		if (err) {
			free(v);
			return err;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), entry_cmp);
	*out = v;
	*nout = n;
	return 0;
}

/* The map of maps[] (trie, or the two exact-match maps) that holds k. */
static const struct pmap *map_for(const struct pmap *maps, int nmaps, const struct xs_lpm_key *k)
{
	bool want_short = nmaps > 1 && exact_kind(k) != XS_EXACT_LONG;
	int i;

	for (i = 0; i < nmaps; i++)
		if (maps[i].short_keys == want_short)
			return &maps[i];
	return &maps[0];
}

#define CHUNK 256

/*
 * Write (insert or overwrite) or delete entries, each in the map of maps[]
 * that holds it, in batches where the kernel can.
 */
static int maps_apply(const struct pmap *maps, int nmaps, const struct entry *v, size_t n,
		      bool del)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(struct bpf_map_batch_opts),
					   .elem_flags = del ? 0 : BPF_ANY };
	union pkey keys[CHUNK];
	struct xs_customer vals[CHUNK];
	const struct pmap *m;
	size_t i, j, c, ksz;
	bool batch = true;
	char text[64];
	__u32 count;
	int mi, err;

	for (mi = 0; mi < nmaps; mi++) {
		m = &maps[mi];
		ksz = m->short_keys ? sizeof(struct xs_short_key) : sizeof(struct xs_lpm_key);
		for (i = 0; i < n; i += c) {
			/* a run of entries for this map, packed at key size */
			char packed[CHUNK * sizeof(union pkey)];

			for (c = 0, j = i; j < n && c < CHUNK; j++) {
				if (map_for(maps, nmaps, &v[j].key) != m)
					continue;
				key_put(m, &v[j].key, &keys[c]);
				memcpy(packed + c * ksz, &keys[c], ksz);
				vals[c++] = v[j].val;
			}
			i = j - c; /* so that i += c lands on j */
			if (!c)
				break;
			if (batch) {
				count = c;
				err = del ? bpf_map_delete_batch(m->fd, packed, &count, &opts)
					  : bpf_map_update_batch(m->fd, packed, vals, &count, &opts);
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
					  : bpf_map_update_elem(m->fd, &keys[count], &vals[count],
								BPF_ANY);
				if (err && !(del && errno == ENOENT)) {
					err = -errno;
					goto fail;
				}
				crashpoint();
			}
		}
	}
	return 0;
fail:
	{
		struct xs_lpm_key k;

		key_get(m, &keys[count < c ? count : 0], &k);
		pr_err("%s: %s prefix %s failed: %s%s\n", m->name, del ? "deleting" : "writing",
		       key_format(&k, text, sizeof(text)), strerror(-err),
		       err == -E2BIG || err == -ENOSPC ? " (map full)" : "");
	}
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
	char text[64];
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

static void lens_of(const struct entry *v, size_t n, __u64 v4[XS_LEN_WORDS],
		    __u64 v6[XS_LEN_WORDS])
{
	size_t i;
	__u32 len;

	memset(v4, 0, XS_LEN_WORDS * sizeof(__u64));
	memset(v6, 0, XS_LEN_WORDS * sizeof(__u64));
	for (i = 0; i < n; i++) {
		len = v[i].key.prefixlen;
		if (key_is_v4(&v[i].key))
			v4[len / 64] |= 1ULL << (len % 64);
		else
			v6[len / 64] |= 1ULL << (len % 64);
	}
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
	m->short_keys = false;
}

static void exact_maps(struct steer *steer, struct pmap m[2])
{
	m[0].fd = steer->fd[MAP_HASH_SHORT];
	m[0].name = steer_map_names[MAP_HASH_SHORT];
	m[0].short_keys = true;
	m[1].fd = steer->fd[MAP_HASH_LONG];
	m[1].name = steer_map_names[MAP_HASH_LONG];
	m[1].short_keys = false;
}

int steer_sync(struct steer *steer, const struct customer_list *list, const struct plan *plan,
	       struct steer_counts *counts)
{
	struct entry *want = NULL, *trie = NULL, *hash = NULL;
	struct entry *put_t = NULL, *del_t = NULL, *put_h = NULL, *del_h = NULL;
	size_t nwant, ntrie = 0, nhash = 0, nput_t, ndel_t, nput_h, ndel_h;
	struct steer_counts c, hc;
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info), zero = 0;
	struct pmap tm, em[2];
	struct xs_settings s;
	int err;

	trie_map(steer, &tm);
	exact_maps(steer, em);
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
	err = maps_dump(&tm, 1, &trie, &ntrie);
	if (!err)
		err = maps_dump(em, 2, &hash, &nhash);
	if (!err)
		err = diff(want, nwant, trie, ntrie, &put_t, &nput_t, &del_t, &ndel_t, &c);
	if (!err)
		err = diff(want, nwant, hash, nhash, &put_h, &nput_h, &del_h, &ndel_h, &hc);
	if (!err && bpf_map_lookup_elem(steer->fd[MAP_SETTINGS], &zero, &s))
		err = -errno;
	if (err)
		goto out;

	err = maps_apply(&tm, 1, put_t, nput_t, false);
	if (!err)
		err = maps_apply(em, 2, put_h, nput_h, false);
	if (err)
		goto out;
	lens_of(want, nwant, s.lens_v4, s.lens_v6);
	if (bpf_map_update_elem(steer->fd[MAP_SETTINGS], &zero, &s, BPF_EXIST)) {
		err = -errno;
		pr_err("xs_settings: publishing prefix lengths failed: %s\n", strerror(-err));
		goto out;
	}
	err = maps_apply(&tm, 1, del_t, ndel_t, true);
	if (!err)
		err = maps_apply(em, 2, del_h, ndel_h, true);
	if (!err)
		err = prune_cpumap(steer, &s, want, nwant);
	if (err)
		goto out;
	if (nput_h != nput_t || ndel_h != ndel_t)
		pr_info("the exact-match maps were out of step with %s (%zu written, %zu "
			"deleted); repaired\n",
			tm.name, nput_h, ndel_h);
	pr_debug("prefixes: %zu added, %zu updated, %zu deleted, %zu unchanged\n", c.added,
		 c.updated, c.deleted, c.unchanged);
	if (counts)
		*counts = c;
out:
	free(want);
	free(trie);
	free(hash);
	free(put_t);
	free(del_t);
	free(put_h);
	free(del_h);
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
	err = maps_dump(&tm, 1, &v, &n);
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
	err = maps_dump(&tm, 1, &v, &n);
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

int steer_lookup(struct steer *steer, const char *address, struct steer_match *match)
{
	struct xs_customer trie_val, hash_val;
	struct xs_lpm_key key, probe, found;
	bool in_trie, in_hash = false;
	struct pmap tm, em[2];
	char text[64];
	struct entry *v = NULL;
	struct xs_settings s;
	size_t n = 0, i;
	__u32 zero = 0;
	int len, err;

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

	/* the trie answers which customer, as the programs' fallback would */
	in_trie = bpf_map_lookup_elem(steer->fd[MAP_PREFIXES], &key, &trie_val) == 0;
	/* the exact-match maps tell which prefix: the longest length there */
	exact_maps(steer, em);
	for (len = 128; len >= 0 && !in_hash; len--) {
		const struct pmap *m;
		union pkey pk;

		probe = key;
		probe.prefixlen = len;
		key_mask(&probe);
		m = map_for(em, 2, &probe);
		key_put(m, &probe, &pk);
		if (bpf_map_lookup_elem(m->fd, &pk, &hash_val) == 0) {
			in_hash = true;
			found = probe;
		}
	}
	if (!in_trie && !in_hash)
		return 0;
	if (in_trie && (!in_hash || memcmp(&trie_val, &hash_val, sizeof(trie_val)))) {
		/* the maps disagree (a sync died halfway): find the trie's prefix */
		pr_warn("%s: %s and the exact-match maps disagree about %s; a reload repairs "
			"them\n",
			steer->bpffs, steer_map_names[MAP_PREFIXES], match->address_text);
		trie_map(steer, &tm);
		err = maps_dump(&tm, 1, &v, &n);
		if (err)
			return err;
		in_hash = false;
		for (i = 0; i < n; i++) {
			if (key_contains(&v[i].key, &key) &&
			    (!in_hash || v[i].key.prefixlen > found.prefixlen)) {
				found = v[i].key;
				in_hash = true;
			}
		}
		free(v);
		if (!in_hash)
			found = key; /* the trie matched, yet no prefix contains it */
		hash_val = trie_val;
	}
	match->known = true;
	match->customer = hash_val;
	match->minor = hash_val.classid & 0xffff;
	snprintf(match->classid_text, sizeof(match->classid_text), "%x:%x",
		 hash_val.classid >> 16, match->minor);
	match->prefix.len = found.prefixlen;
	memcpy(match->prefix.addr, found.addr, 16);
	key_format(&found, match->prefix_text, sizeof(match->prefix_text));
	return 0;
}
