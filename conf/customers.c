// SPDX-License-Identifier: GPL-2.0-only
/*
 * The customer list: a CSV file (RFC 4180 quoting) with a header row that
 * names the columns. Everything is validated before anything is used, and
 * every bad row is reported, sorted by line, so that an operator fixes the
 * whole file in one pass (up to MAX_ERRORS of them; the rest are counted);
 * one bad row refuses the whole list, because a list applied half-way would
 * move customers that did not change. Once a row is bad, the list being
 * built is let go: the checks across rows need only ids, lines and
 * prefixes, so a file of a million bad rows costs little more than its size.
 *
 * Cross-row checks are sorts, not pairwise comparisons: duplicate ids are
 * neighbours once sorted by id, and equal or nested prefixes are found in one
 * sweep over the prefixes sorted by address (see check_prefixes()), so 100k
 * customers validate in milliseconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "conf/customers.h"
#include "conf/input.h"
#include "conf/rate.h"

/*
 * One record (a line, or several when a quoted field holds newlines) may be
 * this long. Real rows are under a kilobyte; the limit keeps a runaway quote
 * or a binary file from becoming one huge field.
 */
#define CSV_MAX_RECORD (64 * 1024)
/*
 * Larger is not a customer list; refuse it before reading it into memory.
 * A million customers of about 100 bytes a row is 100 MiB.
 */
#define LIST_MAX_SIZE (256UL << 20)
/*
 * Shown a file: the errors of the lowest lines, then a count of the rest
 * and their lines. One bad column in a generated million-row list must
 * give a screenful, not a line a row; the list is refused either way.
 */
#define MAX_ERRORS 100
/*
 * Warnings do not refuse the list, and one sloppy /8 can nest a hundred
 * thousand prefixes: show this many, then count the rest.
 */
#define MAX_WARNINGS 1000

enum column {
	COL_ID,
	COL_NAME,
	COL_PREFIXES,
	COL_DOWN_RATE,
	COL_DOWN_CEIL,
	COL_UP_RATE,
	COL_UP_CEIL,
	NCOLS,
};

static const char *const column_names[NCOLS] = {
	[COL_ID] = "id",
	[COL_NAME] = "name",
	[COL_PREFIXES] = "prefixes",
	[COL_DOWN_RATE] = "down_rate",
	[COL_DOWN_CEIL] = "down_ceil",
	[COL_UP_RATE] = "up_rate",
	[COL_UP_CEIL] = "up_ceil",
};

#define REQUIRED_COLUMNS "id, prefixes, down_rate, down_ceil, up_rate, up_ceil"
#define RATE_HINT	 "a rate such as 50mbit or 1.5gbit; a bare number is Mbit/s"

/*
 * Messages are collected and printed sorted by line at the end: the checks
 * run in passes (rows, then ids, then prefixes), the operator reads top down.
 * Only the first MAX_ERRORS errors and MAX_WARNINGS warnings by line are
 * kept, each set in a heap whose top is its last by line: memory stays
 * bounded however many rows are bad, and a message that would not be
 * shown is not even formatted.
 */
struct diag {
	unsigned int line;
	unsigned int seq;
	enum log_level level;
	char *msg;
};

struct diag_heap {
	struct diag *v;
	size_t n, max;
	size_t dropped; /* counted, not shown */
	unsigned int first, last; /* their lines */
};

struct diags {
	const char *name;
	struct diag_heap err, warn;
	unsigned int seq;
	size_t errors, warnings;
	bool oom;
};

/* a is printed after b */
static bool diag_after(const struct diag *a, unsigned int line, unsigned int seq)
{
	return a->line != line ? a->line > line : a->seq > seq;
}

static void diag_drop(struct diag_heap *h, unsigned int line)
{
	if (!h->dropped++ || line < h->first)
		h->first = line;
	if (line > h->last)
		h->last = line;
}

static void heap_down(struct diag_heap *h, size_t i)
{
	struct diag t;
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			return;
		if (c + 1 < h->n && diag_after(&h->v[c + 1], h->v[c].line, h->v[c].seq))
			c++;
		if (!diag_after(&h->v[c], h->v[i].line, h->v[i].seq))
			return;
		t = h->v[i];
		h->v[i] = h->v[c];
		h->v[c] = t;
		i = c;
	}
}

static void heap_up(struct diag_heap *h, size_t i)
{
	struct diag t;

	while (i && diag_after(&h->v[i], h->v[(i - 1) / 2].line, h->v[(i - 1) / 2].seq)) {
		t = h->v[i];
		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

__attribute__((format(printf, 4, 5))) static void diag_add(struct diags *d, enum log_level level,
							   unsigned int line, const char *fmt, ...)
{
	struct diag_heap *h = level == LOG_LEVEL_ERR ? &d->err : &d->warn;
	unsigned int seq = d->seq++;
	char *text = NULL, *msg = NULL;
	va_list ap;
	int r;

	if (level == LOG_LEVEL_ERR)
		d->errors++;
	else
		d->warnings++;
	if (!h->v) {
		h->max = level == LOG_LEVEL_ERR ? MAX_ERRORS : MAX_WARNINGS;
		h->v = malloc(h->max * sizeof(*h->v));
		if (!h->v)
			goto oom;
	}
	/* full: it replaces the last one shown, or is not shown itself */
	if (h->n == h->max && !diag_after(&h->v[0], line, seq)) {
		diag_drop(h, line);
		return;
	}
	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0)
		goto oom;
	if (line)
		r = asprintf(&msg, "%s:%u: %s\n", d->name, line, text);
	else
		r = asprintf(&msg, "%s: %s\n", d->name, text);
	free(text);
	if (r < 0)
		goto oom;
	if (h->n == h->max) {
		diag_drop(h, h->v[0].line);
		free(h->v[0].msg);
		h->v[0] = (struct diag){ line, seq, level, msg };
		heap_down(h, 0);
		return;
	}
	h->v[h->n] = (struct diag){ line, seq, level, msg };
	heap_up(h, h->n++);
	return;
oom:
	d->oom = true;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void diag_flush(struct diags *d)
{
	struct diag *all;
	size_t i, n = d->err.n + d->warn.n;

	all = malloc((n ? n : 1) * sizeof(*all));
	if (all) {
		if (d->err.n)
			memcpy(all, d->err.v, d->err.n * sizeof(*all));
		if (d->warn.n)
			memcpy(all + d->err.n, d->warn.v, d->warn.n * sizeof(*all));
		qsort(all, n, sizeof(*all), diag_cmp);
		for (i = 0; i < n; i++)
			xs_log(all[i].level, "%s", all[i].msg);
	} else {
		d->oom = true;
	}
	for (i = 0; i < d->err.n; i++)
		free(d->err.v[i].msg);
	for (i = 0; i < d->warn.n; i++)
		free(d->warn.v[i].msg);
	free(all);
	if (d->warn.dropped)
		pr_warn("%s: %zu more warnings not shown\n", d->name, d->warn.dropped);
	if (d->err.dropped)
		pr_err("%s: %zu more errors (lines %u-%u) not shown\n", d->name, d->err.dropped,
		       d->err.first, d->err.last);
	if (d->oom)
		pr_err("%s: out of memory while reporting problems; some are not shown\n", d->name);
	free(d->err.v);
	free(d->warn.v);
	memset(&d->err, 0, sizeof(d->err));
	memset(&d->warn, 0, sizeof(d->warn));
}

/* --- CSV ---------------------------------------------------------------- */

struct csv {
	const char *p, *end;
	unsigned int line; /* where the next record starts */
	char *buf; /* the current record's fields, each NUL-terminated */
	size_t len;
	size_t *off; /* start of each field in buf */
	unsigned int nfields, cap;
};

enum record {
	REC_EOF,
	REC_SKIP, /* blank or comment */
	REC_ROW,
	REC_BAD, /* reported */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A record stores at most one byte more than it consumes (the NUL of its
 * last field when the file ends without a newline), so a buffer of
 * CSV_MAX_RECORD + 1 holds any record that is not refused as too long.
 */
static void csv_put(struct csv *c, char ch)
{
	/* past the limit the record is refused; keep scanning, stop storing */
	if (c->len <= CSV_MAX_RECORD)
		c->buf[c->len++] = ch;
}

static int csv_field_start(struct csv *c)
{
	if (c->nfields == c->cap) {
		unsigned int ncap = c->cap ? c->cap * 2 : 16;
		size_t *off = realloc(c->off, ncap * sizeof(*off));

		if (!off)
			return -ENOMEM;
		c->off = off;
		c->cap = ncap;
	}
	c->off[c->nfields++] = c->len;
	return 0;
}

static const char *csv_field(const struct csv *c, unsigned int i)
{
	return c->buf + c->off[i];
}

/*
 * Read one record. Quoted fields may hold commas, newlines and "" for a
 * quote. Blanks around fields are dropped (people type "a, b"), and so is the
 * CR of CRLF. A malformed field is remembered and the record is still read to
 * its end, so that the next record starts where it should.
 */
static enum record csv_next(struct csv *c, struct diags *d, unsigned int *linep, int *err)
{
	const char *p = c->p, *end = c->end, *start = c->p, *q;
	const char *why = NULL;
	unsigned int i;
	bool empty = true;

	*err = 0;
	if (p >= end)
		return REC_EOF;
	*linep = c->line;
	c->nfields = 0;
	c->len = 0;

	for (q = p; q < end && is_blank(*q); q++)
		;
	if (q < end && *q == '#') {
		q = memchr(q, '\n', (size_t)(end - q));
		c->p = q ? q + 1 : end;
		c->line++;
		return REC_SKIP;
	}

	for (;;) {
		size_t field = c->len;

		*err = csv_field_start(c);
		if (*err)
			return REC_BAD;
		while (p < end && is_blank(*p))
			p++;
		if (p < end && *p == '"') {
			for (p++;; p++) {
				if (p >= end) {
					diag_add(d, LOG_LEVEL_ERR, *linep,
						 "a quoted field is not closed: a '\"' is missing");
					c->p = end;
					return REC_BAD;
				}
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						csv_put(c, '"');
						p++;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\n')
					c->line++;
				if (!*p && !why)
					why = "contains a NUL byte; is this a text file?";
				csv_put(c, *p);
			}
			while (p < end && (is_blank(*p) || *p == '\r'))
				p++;
			if (p < end && *p != ',' && *p != '\n' && !why)
				why = "text after a closing quote; inside a quoted field write a "
				      "quote as \"\"";
		}
		/* unquoted, or the junk after a closing quote that was reported */
		while (p < end && *p != ',' && *p != '\n') {
			if (*p == '"' && !why)
				why = "a quote inside an unquoted field; quote the whole field and "
				      "write the quote as \"\"";
			if (!*p && !why)
				why = "contains a NUL byte; is this a text file?";
			csv_put(c, *p++);
		}
		while (c->len > field &&
		       (is_blank(c->buf[c->len - 1]) || c->buf[c->len - 1] == '\r'))
			c->len--;
		csv_put(c, '\0');
		if (p >= end)
			break;
		if (*p++ == '\n') {
			c->line++;
			break;
		}
	}
	c->p = p;
	if ((size_t)(p - start) > CSV_MAX_RECORD) {
		diag_add(d, LOG_LEVEL_ERR, *linep,
			 "the row is longer than %d bytes; is this a customer list?",
			 CSV_MAX_RECORD);
		return REC_BAD;
	}
	if (why) {
		diag_add(d, LOG_LEVEL_ERR, *linep, "%s", why);
		return REC_BAD;
	}
	/* blank lines, and spreadsheets' all-empty rows such as ",,,," */
	for (i = 0; i < c->nfields; i++)
		if (*csv_field(c, i))
			empty = false;
	return empty ? REC_SKIP : REC_ROW;
}

/* --- rows --------------------------------------------------------------- */

/* A row, for the id check: sorted by id, a duplicate is a neighbour. */
struct row_ref {
	uint32_t id;
	uint32_t line;
};

/* A prefix and its row, for the prefix check (line tells the rows apart). */
struct prefix_ref {
	struct prefix p;
	uint32_t id;
	uint32_t line;
};

struct parser {
	const char *name;
	const struct xs_config *cfg;
	struct diags diags;
	struct csv csv;
	int col[NCOLS]; /* field index of each column, -1: absent */
	unsigned int nfields, header_line;
	/*
	 * The list to return, while it may still be valid: after the first
	 * error it is freed and no longer kept, since it will be refused.
	 */
	struct customer *v;
	size_t n, cap;
	bool refused;
	/* what the id and prefix checks need of every row that has an id */
	struct row_ref *rows;
	size_t nrows, rowcap;
	struct prefix_ref *refs;
	size_t nrefs, refcap;
	struct prefix *tmp; /* one row's prefixes */
	size_t ntmp, tmpcap;
};

int customer_id_parse(const char *s, uint32_t *id)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (!v)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

static int tmp_add(struct parser *ps, const struct prefix *p)
{
	if (ps->ntmp == ps->tmpcap) {
		size_t ncap = ps->tmpcap ? ps->tmpcap * 2 : 8;
		struct prefix *v = realloc(ps->tmp, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ps->tmp = v;
		ps->tmpcap = ncap;
	}
	ps->tmp[ps->ntmp++] = *p;
	return 0;
}

/* Space- or ';'-separated prefixes into ps->tmp, each bad one counted in *bad: 0 or -ENOMEM. */
static int parse_prefixes(struct parser *ps, const char *s, unsigned int line, const char *who,
			  int *bad)
{
	const char *seps = " \t\r\n;";

	ps->ntmp = 0;
	s += strspn(s, seps);
	while (*s) {
		size_t n = strcspn(s, seps);
		char tok[INET6_ADDRSTRLEN + 8], buf[PREFIX_TEXT_LEN];
		const char *why = "not an IPv4 or IPv6 address";
		char refused[256];
		struct prefix p;
		bool host_bits, v6;

		if (n >= sizeof(tok)) {
			diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%sprefix '%.40s...': %s", who, s,
				 why);
			(*bad)++;
		} else {
			memcpy(tok, s, n);
			tok[n] = '\0';
			if (prefix_parse_reason(tok, &p, &host_bits, &v6, &why)) {
				diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%sprefix '%s': %s", who,
					 tok, why);
				(*bad)++;
			} else if (prefix_refused(&p, v6, refused, sizeof(refused))) {
				diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%sprefix '%s': %s", who,
					 tok, refused);
				(*bad)++;
			} else {
				if (host_bits)
					diag_add(&ps->diags, LOG_LEVEL_WARN, line,
						 "%sprefix '%s' has host bits set; using %s", who,
						 tok, prefix_format(&p, buf, sizeof(buf)));
				if (tmp_add(ps, &p))
					return -ENOMEM;
			}
		}
		s += n;
		s += strspn(s, seps);
	}
	if (!ps->ntmp && !*bad) {
		diag_add(&ps->diags, LOG_LEVEL_ERR, line,
			 "%sno prefixes; list one or more addresses or CIDR prefixes separated by "
			 "spaces or ';'",
			 who);
		(*bad)++;
	}
	return 0;
}

static int parse_rate_field(struct parser *ps, enum column col, unsigned int line, const char *who,
			    uint64_t *out)
{
	const char *s = csv_field(&ps->csv, (unsigned int)ps->col[col]);
	const char *why = "not a rate";

	if (!rate_parse_reason(s, out, &why))
		return 0;
	if (!*s)
		diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%s%s is empty (%s)", who,
			 column_names[col], RATE_HINT);
	else
		diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%s%s '%s': %s (%s)", who,
			 column_names[col], s, why, RATE_HINT);
	return -EINVAL;
}

/* The rate and ceil a role shapes of a customer, against each other and its capacity. */
static void check_rates(struct parser *ps, unsigned int line, const char *who,
			const struct customer *c, enum xs_dir dir)
{
	const char *d = role_direction(dir), *role = role_name(dir);
	char a[RATE_BUFSZ], b[RATE_BUFSZ];
	uint64_t rate, ceil, cap;

	customer_rates(c, dir, &rate, &ceil);
	if (!rate || !ceil)
		return; /* not a rate: reported */
	if (rate > ceil)
		diag_add(&ps->diags, LOG_LEVEL_ERR, line,
			 "%s%s_rate %s is more than %s_ceil %s; the guaranteed rate cannot exceed "
			 "the ceiling",
			 who, d, rate_format(rate, a, sizeof(a)), d,
			 rate_format(ceil, b, sizeof(b)));
	cap = ps->cfg ? config_capacity(ps->cfg, dir) : 0;
	if (ps->cfg && ceil > cap)
		diag_add(&ps->diags, LOG_LEVEL_ERR, line,
			 "%s%s_ceil %s is more than [shaping] %s_capacity %s (%s is shaped on %s)",
			 who, d, rate_format(ceil, a, sizeof(a)), role,
			 rate_format(cap, b, sizeof(b)), d, role);
}

/* Room for need elements of size in *v (capacity *cap), doubling. */
static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 1024;
	void *nv;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static void customers_drop(struct parser *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].prefixes);
	}
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
	ps->refused = true;
}

static int parse_row(struct parser *ps, unsigned int line)
{
	struct customer c = { .line = line };
	const char *id = csv_field(&ps->csv, (unsigned int)ps->col[COL_ID]);
	char who[32] = "";
	int bad = 0, err;
	enum xs_dir dir;
	size_t i;

	if (customer_id_parse(id, &c.id)) {
		if (*id)
			diag_add(&ps->diags, LOG_LEVEL_ERR, line,
				 "id '%s' is not a whole number from 1 to 4294967295", id);
		else
			diag_add(&ps->diags, LOG_LEVEL_ERR, line, "id is empty");
		bad++;
	} else {
		snprintf(who, sizeof(who), "customer %u: ", c.id);
	}

	err = parse_prefixes(ps, csv_field(&ps->csv, (unsigned int)ps->col[COL_PREFIXES]), line,
			     who, &bad);
	if (err)
		return err;

	bad += !!parse_rate_field(ps, COL_DOWN_RATE, line, who, &c.down_rate);
	bad += !!parse_rate_field(ps, COL_DOWN_CEIL, line, who, &c.down_ceil);
	bad += !!parse_rate_field(ps, COL_UP_RATE, line, who, &c.up_rate);
	bad += !!parse_rate_field(ps, COL_UP_CEIL, line, who, &c.up_ceil);
	for_each_role(i, dir)
		check_rates(ps, line, who, &c, dir);

	/*
	 * A row with a bad id cannot take part in the id and prefix checks;
	 * any other row does, even with bad rates, so that its duplicates and
	 * overlaps are reported in the same run.
	 */
	if (c.id == 0 || (bad && !ps->ntmp))
		return 0;
	if (grow((void **)&ps->rows, &ps->rowcap, ps->nrows + 1, sizeof(*ps->rows)) ||
	    grow((void **)&ps->refs, &ps->refcap, ps->nrefs + ps->ntmp, sizeof(*ps->refs)))
		return -ENOMEM;
	ps->rows[ps->nrows++] = (struct row_ref){ c.id, line };
	for (i = 0; i < ps->ntmp; i++)
		ps->refs[ps->nrefs++] = (struct prefix_ref){ ps->tmp[i], c.id, line };
	/* a list with an error is refused: only the checks need its rows */
	if (ps->diags.errors) {
		if (!ps->refused)
			customers_drop(ps);
		return 0;
	}

	if (ps->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 1024;
		struct customer *v = realloc(ps->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ps->v = v;
		ps->cap = ncap;
	}
	c.name = strdup(
		ps->col[COL_NAME] >= 0 ? csv_field(&ps->csv, (unsigned int)ps->col[COL_NAME]) : "");
	c.prefixes = malloc(ps->ntmp * sizeof(*c.prefixes));
	if (!c.name || !c.prefixes) {
		free(c.name);
		free(c.prefixes);
		return -ENOMEM;
	}
	memcpy(c.prefixes, ps->tmp, ps->ntmp * sizeof(*c.prefixes));
	c.nprefixes = (unsigned int)ps->ntmp;
	ps->v[ps->n++] = c;
	return 0;
}

static int parse_header(struct parser *ps, unsigned int line)
{
	unsigned int i, missing = 0;
	int k;

	for (k = 0; k < NCOLS; k++)
		ps->col[k] = -1;
	for (i = 0; i < ps->csv.nfields; i++) {
		const char *f = csv_field(&ps->csv, i);

		for (k = 0; k < NCOLS; k++) {
			if (strcasecmp(f, column_names[k]))
				continue;
			if (ps->col[k] >= 0)
				diag_add(&ps->diags, LOG_LEVEL_ERR, line,
					 "the header names column '%s' twice (fields %d and %u)",
					 column_names[k], ps->col[k] + 1, i + 1);
			else
				ps->col[k] = (int)i;
		}
	}
	for (k = 0; k < NCOLS; k++) {
		if (k == COL_NAME || ps->col[k] >= 0)
			continue;
		diag_add(&ps->diags, LOG_LEVEL_ERR, line,
			 "the header has no '%s' column; the first row must name the columns "
			 "(required: " REQUIRED_COLUMNS "; optional: name)",
			 column_names[k]);
		missing++;
	}
	ps->nfields = ps->csv.nfields;
	ps->header_line = line;
	return missing ? -EINVAL : 0;
}

static int customer_cmp(const void *a, const void *b)
{
	const struct customer *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row_ref *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void check_ids(struct parser *ps)
{
	size_t i, first = 0;

	if (ps->nrows)
		qsort(ps->rows, ps->nrows, sizeof(ps->rows[0]), row_cmp);
	for (i = 1; i < ps->nrows; i++) {
		if (ps->rows[i].id != ps->rows[first].id) {
			first = i;
			continue;
		}
		diag_add(&ps->diags, LOG_LEVEL_ERR, ps->rows[i].line,
			 "customer id %u is already used on line %u", ps->rows[i].id,
			 ps->rows[first].line);
	}
}

static int ref_cmp(const void *a, const void *b)
{
	const struct prefix_ref *x = a, *y = b;
	int r = prefix_cmp(&x->p, &y->p);

	if (r)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Prefixes are nested or disjoint, never partly overlapping. Sorted by
 * (network, length), every prefix comes right after the prefixes containing
 * it, so a stack of the prefixes still "open" at the current address holds,
 * on top, the most specific one containing the current prefix. Equal
 * prefixes end up next to each other. O(n log n) for the sort, O(n) after.
 */
static void check_prefixes(struct parser *ps)
{
	struct prefix_ref *refs = ps->refs, *stack[130];
	size_t i, n = ps->nrefs, depth = 0;
	char a[PREFIX_TEXT_LEN], b[PREFIX_TEXT_LEN];

	if (n)
		qsort(refs, n, sizeof(*refs), ref_cmp);
	for (i = 0; i < n; i++) {
		struct prefix_ref *cur = &refs[i], *top;

		while (depth && !prefix_contains(&stack[depth - 1]->p, &cur->p))
			depth--;
		top = depth ? stack[depth - 1] : NULL;
		if (top && top->p.len == cur->p.len) {
			if (top->line == cur->line)
				diag_add(&ps->diags, LOG_LEVEL_ERR, cur->line,
					 "customer %u: prefix %s is listed twice", cur->id,
					 prefix_format(&cur->p, a, sizeof(a)));
			else
				diag_add(&ps->diags, LOG_LEVEL_ERR, cur->line,
					 "customer %u: prefix %s is also claimed by customer %u on "
					 "line %u",
					 cur->id, prefix_format(&cur->p, a, sizeof(a)), top->id,
					 top->line);
			continue;
		}
		if (top && top->line != cur->line)
			diag_add(&ps->diags, LOG_LEVEL_WARN, cur->line,
				 "customer %u: prefix %s lies inside %s of customer %u on line %u; "
				 "its addresses go to customer %u (the more specific prefix wins)",
				 cur->id, prefix_format(&cur->p, a, sizeof(a)),
				 prefix_format(&top->p, b, sizeof(b)), top->id, top->line, cur->id);
		/* lengths strictly grow up the stack, so it never holds more than 129 */
		stack[depth++] = cur;
	}
}

static void parser_free(struct parser *ps)
{
	customers_drop(ps);
	free(ps->rows);
	free(ps->refs);
	free(ps->tmp);
	free(ps->csv.buf);
	free(ps->csv.off);
}

static int parse_all(struct parser *ps)
{
	enum record r;
	unsigned int line;
	bool header = false;
	int err;

	while ((r = csv_next(&ps->csv, &ps->diags, &line, &err)) != REC_EOF) {
		if (err)
			return err;
		if (r == REC_SKIP)
			continue;
		if (!header) {
			/* without the header no row can be read */
			if (r == REC_BAD)
				return -EINVAL;
			if (parse_header(ps, line))
				return -EINVAL;
			header = true;
			continue;
		}
		if (r == REC_BAD)
			continue;
		if (ps->csv.nfields != ps->nfields) {
			diag_add(&ps->diags, LOG_LEVEL_ERR, line,
				 "%u fields, but the header on line %u has %u; quote fields that "
				 "contain commas",
				 ps->csv.nfields, ps->header_line, ps->nfields);
			continue;
		}
		err = parse_row(ps, line);
		if (err)
			return err;
	}
	if (!header) {
		diag_add(&ps->diags, LOG_LEVEL_ERR, 0,
			 "no header row; the first row must name the columns, e.g. "
			 "id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil");
		return -EINVAL;
	}
	if (ps->n)
		qsort(ps->v, ps->n, sizeof(ps->v[0]), customer_cmp);
	check_ids(ps);
	check_prefixes(ps);
	return 0;
}

int customers_parse(const char *name, const char *buf, size_t len, const struct xs_config *cfg,
		    struct customer_list *out)
{
	struct parser ps = { .name = name, .cfg = cfg };
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	ps.diags.name = name;
	if (!buf) {
		buf = "";
		len = 0;
	}
	/* spreadsheets on Windows save UTF-8 with a byte order mark */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	ps.csv.p = buf;
	ps.csv.end = buf + len;
	ps.csv.line = 1;
	ps.csv.buf = malloc(CSV_MAX_RECORD + 1);
	if (!ps.csv.buf) {
		err = -ENOMEM;
		goto out;
	}

	err = parse_all(&ps);
	if (!err && (ps.diags.errors || ps.diags.oom))
		err = -EINVAL;
	if (err)
		goto out;

	out->v = ps.v;
	out->n = ps.n;
	for (i = 0; i < ps.n; i++) {
		unsigned int k;

		for (k = 0; k < ps.v[i].nprefixes; k++) {
			if (prefix_is_v4(&ps.v[i].prefixes[k]))
				out->nprefixes_v4++;
			else
				out->nprefixes_v6++;
		}
	}
	ps.v = NULL;
	ps.n = 0;
out:
	diag_flush(&ps.diags);
	if (err == -EINVAL)
		pr_err("%s: %zu problem%s found; the customer list was not used\n", name,
		       ps.diags.errors, ps.diags.errors == 1 ? "" : "s");
	else if (err == -ENOMEM)
		pr_err("%s: out of memory reading the customer list\n", name);
	parser_free(&ps);
	return err;
}

int customers_load(const char *path, const struct xs_config *cfg, struct customer_list *out)
{
	static const struct input_kind kind = {
		.what = "the customer list",
		.hint = "check [customers] file",
		.max_size = LIST_MAX_SIZE,
		.max_text = "256 MiB",
	};
	char *buf;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	err = input_load(path, &kind, &buf, &len);
	if (err)
		return err;
	err = customers_parse(path, buf, len, cfg, out);
	free(buf);
	return err;
}

void customers_free(struct customer_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++) {
		free(list->v[i].name);
		free(list->v[i].prefixes);
	}
	free(list->v);
	memset(list, 0, sizeof(*list));
}

_Static_assert(offsetof(struct customer, id) == 0, "id first");

int customer_id_cmp(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key, other = *(const uint32_t *)elem;

	return id < other ? -1 : id > other;
}

const struct customer *customers_find(const struct customer_list *list, uint32_t id)
{
	if (!list || !list->n)
		return NULL;
	return bsearch(&id, list->v, list->n, sizeof(list->v[0]), customer_id_cmp);
}
