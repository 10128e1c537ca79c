// SPDX-License-Identifier: GPL-2.0-only
/*
 * The customer list: a CSV file (RFC 4180 quoting) with a header row that
 * names the columns, in one of two formats: xshaper's own (one row, one
 * customer) or LibreQoS's ShapedDevices.csv (one row per device; the rows
 * of one Circuit ID are one customer). Everything is validated before
 * anything is used, and every bad row is reported, sorted by line, so that
 * an operator fixes the whole file in one pass (up to MAX_ERRORS of them;
 * the rest are counted); one bad row refuses the whole list, because a list
 * applied half-way would move customers that did not change. Once a row is
 * bad, the list being built is let go: the checks across rows need only
 * what struct row keeps (id, line, rates, node) and the prefixes, so a file
 * of a million bad rows costs little more than its size.
 *
 * Cross-row checks are sorts, not pairwise comparisons: rows of one id are
 * neighbours once sorted by id (duplicates in xshaper's format, one
 * circuit's devices in LibreQoS's), and equal or nested prefixes are found
 * in one sweep over the prefixes sorted by address (see check_prefixes()),
 * so 100k customers validate in milliseconds.
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
#include "common/text.h"
#include "conf/customers.h"
#include "conf/input.h"
#include "conf/network.h"
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
/*
 * customer.info is for a status line: enough to recognise a circuit's
 * devices, not a copy of the billing system. Longer ends in "...".
 */
#define INFO_MAX 256
/*
 * The guaranteed rate of a circuit when the file has no Min column:
 * LibreQoS's own smallest Min was 1 Mbit/s for years, and a floor rather
 * than the Max keeps the sum of the guarantees near the link's capacity.
 */
#define LIBREQOS_DEFAULT_MIN 1000000ULL

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

/* --- formats ------------------------------------------------------------ */

/* What a row says, whichever format names it. */
enum field {
	F_ID,
	F_NAME,
	F_PARENT,
	F_PREFIXES, /* xshaper: every address in one field */
	F_IPV4, /* LibreQoS: in two */
	F_IPV6,
	F_DOWN_RATE,
	F_DOWN_CEIL,
	F_UP_RATE,
	F_UP_CEIL,
	F_DEVICE_ID,
	F_DEVICE_NAME,
	F_MAC,
	F_COMMENT,
	NFIELDS,
};

struct column {
	enum field field;
	const char *name; /* as the format's documentation writes it */
	bool required;
};

struct format {
	const char *noun; /* what one customer is called in messages */
	const struct column *columns;
	size_t ncolumns;
	const char *columns_text; /* for a header that lacks a column */
	const char *rate_hint;
	const char *seps; /* between the addresses of one field */
	/* the rows of one id are one customer, not duplicates */
	bool merge;
	/* header names compared by letters and digits only (loose_name()) */
	bool loose_names;
};

static const struct column xshaper_columns[] = {
	{ F_ID, "id", true },
	{ F_NAME, "name", false },
	{ F_PREFIXES, "prefixes", true },
	{ F_DOWN_RATE, "down_rate", true },
	{ F_DOWN_CEIL, "down_ceil", true },
	{ F_UP_RATE, "up_rate", true },
	{ F_UP_CEIL, "up_ceil", true },
	{ F_PARENT, "parent", false },
};

/*
 * ShapedDevices.csv as LibreQoS writes it, 13 to 16 columns over its
 * versions (Parent Node ID, Anchor Node ID and sqm came later): those, and
 * any other column, are ignored. The Min columns are optional here, where
 * LibreQoS requires them; without them a circuit is guaranteed
 * LIBREQOS_DEFAULT_MIN.
 */
static const struct column libreqos_columns[] = {
	{ F_ID, "Circuit ID", true },
	{ F_NAME, "Circuit Name", false },
	{ F_DEVICE_ID, "Device ID", false },
	{ F_DEVICE_NAME, "Device Name", false },
	{ F_PARENT, "Parent Node", false },
	{ F_MAC, "MAC", false },
	{ F_IPV4, "IPv4", false },
	{ F_IPV6, "IPv6", false },
	{ F_DOWN_RATE, "Download Min Mbps", false },
	{ F_UP_RATE, "Upload Min Mbps", false },
	{ F_DOWN_CEIL, "Download Max Mbps", true },
	{ F_UP_CEIL, "Upload Max Mbps", true },
	{ F_COMMENT, "Comment", false },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct format xshaper_format = {
	.noun = "customer",
	.columns = xshaper_columns,
	.ncolumns = ARRAY_SIZE(xshaper_columns),
	.columns_text = "required: id, prefixes, down_rate, down_ceil, up_rate, up_ceil; "
			"optional: name, parent",
	.rate_hint = "a rate such as 50mbit or 1.5gbit; a bare number is Mbit/s",
	.seps = " \t\r\n;",
};

static const struct format libreqos_format = {
	.noun = "circuit",
	.columns = libreqos_columns,
	.ncolumns = ARRAY_SIZE(libreqos_columns),
	.columns_text = "LibreQoS's ShapedDevices.csv; required: Circuit ID, IPv4 or IPv6, "
			"Download Max Mbps, Upload Max Mbps",
	.rate_hint = "Mbit/s, such as 100 or 12.5",
	/* "198.18.1.1, 198.18.1.0/30", as spreadsheets quote a list */
	.seps = " \t\r\n;,",
	.merge = true,
	.loose_names = true,
};

static const enum field rate_fields[XS_DIRS] = { [XS_LAN] = F_DOWN_RATE, [XS_WAN] = F_UP_RATE };
static const enum field ceil_fields[XS_DIRS] = { [XS_LAN] = F_DOWN_CEIL, [XS_WAN] = F_UP_CEIL };

/*
 * A ShapedDevices.csv header name as it is matched: lowercase letters and
 * digits only, so that "Circuit ID", "circuit_id" and "CircuitID", as
 * exports and hand edits write it, are one name.
 */
static void loose_name(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++) {
		char ch = *s;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			out[n++] = ch;
	}
	out[n] = '\0';
}

static bool column_matches(const struct format *fmt, const char *text, const char *name)
{
	char a[64], b[64];

	if (!fmt->loose_names)
		return !strcasecmp(text, name);
	loose_name(text, a, sizeof(a));
	loose_name(name, b, sizeof(b));
	return !strcmp(a, b);
}

/* --- ids ---------------------------------------------------------------- */

#define STR_(x) #x
#define STR(x)	STR_(x)

/*
 * Why s cannot be a customer id, or NULL. Ids end up in terminals, logs,
 * JSON and Prometheus labels: text, short, and nothing that any of them
 * would have to guess at.
 */
static const char *id_problem(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strnlen(s, CUSTOMER_ID_MAX + 1), i, n;

	if (!len)
		return "is empty";
	if (len > CUSTOMER_ID_MAX)
		return "is longer than " STR(CUSTOMER_ID_MAX) " bytes";
	for (i = 0; i < len; i += n) {
		n = text_utf8_len(u + i, len - i);
		if (!n)
			return "is not valid UTF-8";
		/* C0, DEL, and the C1 controls U+0080..U+009F */
		if ((n == 1 && (u[i] < 0x20 || u[i] == 0x7f)) ||
		    (n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0))
			return "holds a control character";
	}
	if (s[0] == ' ' || s[len - 1] == ' ')
		return "begins or ends with a blank";
	return NULL;
}

int customer_id_check(const char *s)
{
	if (!s)
		return -EINVAL;
	if (strnlen(s, CUSTOMER_ID_MAX + 1) > CUSTOMER_ID_MAX)
		return -ENAMETOOLONG;
	return id_problem(s) ? -EINVAL : 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * Numbered customers list as operators count them (9 before 10), which a
 * byte order would not give; the length of the digits after the leading
 * zeros orders them by value without converting, so no id is too large.
 */
static int id_cmp_general(const char *a, const char *b)
{
	bool da = all_digits(a), db = all_digits(b);
	size_t za, zb, la, lb;
	int r;

	if (da != db)
		return da ? -1 : 1;
	if (!da) {
		r = strcmp(a, b);
		return r < 0 ? -1 : r > 0;
	}
	za = strspn(a, "0");
	zb = strspn(b, "0");
	la = strlen(a + za);
	lb = strlen(b + zb);
	if (la != lb)
		return la < lb ? -1 : 1;
	r = memcmp(a + za, b + zb, la);
	if (r)
		return r < 0 ? -1 : 1;
	/* the same number: the fewer leading zeros first */
	return za < zb ? -1 : za > zb;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The order of id_cmp_general in one pass over both ids, for the sorts and
 * look-ups that compare ids millions of times in a reload. Two ids of
 * digits are walked side by side past their leading zeros, keeping the
 * first digit that differs: the one that ends first is the smaller number,
 * and an id of digits that ends while the other goes on comes first
 * whatever the rest of the other is (a smaller number, or a digits-only id
 * before one with other bytes). Ids that begin with something other than a
 * digit are both not digits-only: their bytes decide. Anything else (a
 * non-digit after digits) takes the general way.
 */
int customer_id_cmp(const char *a, const char *b)
{
	const char *p = a, *q = b;
	int first = 0;

	if (!is_digit(*p) && !is_digit(*q) && *p && *q) {
		int r = strcmp(a, b);

		return r < 0 ? -1 : r > 0;
	}
	if (!is_digit(*p) || !is_digit(*q))
		return id_cmp_general(a, b);
	while (*p == '0')
		p++;
	while (*q == '0')
		q++;
	for (;; p++, q++) {
		if (!*p || !*q)
			break;
		if (!is_digit(*p) || !is_digit(*q))
			return id_cmp_general(a, b);
		if (!first && *p != *q)
			first = *p < *q ? -1 : 1;
	}
	if (*p)
		return 1;
	if (*q)
		return -1;
	if (first)
		return first;
	/* the same number: the fewer leading zeros first */
	return (p - a) < (q - b) ? -1 : (p - a) > (q - b);
}

/* s for a message: whole, or its first bytes (whole characters) and "..." */
static const char *shorten(const char *s, char *buf, size_t len)
{
	size_t n = strnlen(s, len);

	if (n < len)
		return s;
	n = len - 4;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return buf;
}

/* --- info --------------------------------------------------------------- */

/* Text of at most INFO_MAX bytes; what does not fit is cut and marked "...". */
struct info {
	char s[INFO_MAX + 1];
	size_t len;
	bool cut;
};

static void info_add(struct info *in, const char *s)
{
	size_t n = strlen(s), room = INFO_MAX - in->len;

	if (n > room) {
		n = room;
		in->cut = true;
	}
	memcpy(in->s + in->len, s, n);
	in->len += n;
	in->s[in->len] = '\0';
}

static const char *info_end(struct info *in)
{
	size_t cut = INFO_MAX - 3;

	if (!in->cut)
		return in->s;
	/* never half a UTF-8 character */
	while (cut && ((unsigned char)in->s[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(in->s + cut, "...", 4);
	in->len = cut + 3;
	return in->s;
}

/* --- rows --------------------------------------------------------------- */

/*
 * What the checks across rows need of every row with a good id; kept after
 * the list is refused, so that every duplicate and conflict is reported.
 */
struct row {
	uint32_t id; /* offset of its id in parser.ids */
	uint32_t line;
	/* index of its customer's first row: LibreQoS's rows of one circuit share it */
	uint32_t owner;
	uint32_t naddrs; /* addresses written, good or bad */
	int node; /* its parent; NETWORK_NONE: none, or one that is not a node (reported) */
	bool parent; /* it names a parent, a node or not */
	bool dup; /* first row: a prefix of its customer is listed twice (LibreQoS: kept once) */
	uint64_t rate[XS_DIRS], ceil[XS_DIRS]; /* bit/s; 0: not a rate (reported) */
};

/* A prefix and its row. */
struct prefix_ref {
	struct prefix p;
	uint32_t row;
};

struct parser {
	const char *name;
	const struct xs_config *cfg;
	const struct network *net;
	const struct format *fmt;
	struct diags diags;
	struct csv csv;
	int col[NFIELDS]; /* field index of each, -1: absent */
	const char *label[NFIELDS]; /* its column's name in the format, for messages */
	unsigned int nfields, header_line;
	/*
	 * While no row is bad, v[i] is what rows[i] gives its customer (name,
	 * info, prefixes); the rest comes when the rows are grouped. After
	 * the first error v is freed and no longer kept, since it will be
	 * refused.
	 */
	struct customer *v;
	size_t n, cap;
	bool refused;
	struct row *rows;
	size_t nrows, rowcap;
	char *ids; /* every row's id and its NUL, one after the other */
	size_t idlen, idcap;
	uint32_t *by_id; /* rows by id, then line */
	struct prefix_ref *refs;
	size_t nrefs, refcap;
	struct prefix *tmp; /* one row's prefixes */
	size_t ntmp, tmpcap;
};

/* Field f of the current row: "" when the header has no such column or the row ends before it. */
static const char *field(const struct parser *ps, enum field f)
{
	int i = ps->col[f];

	if (i < 0 || (unsigned int)i >= ps->csv.nfields)
		return "";
	return csv_field(&ps->csv, (unsigned int)i);
}

static const char *row_id(const struct parser *ps, const struct row *r)
{
	return ps->ids + r->id;
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

static int tmp_add(struct parser *ps, const struct prefix *p)
{
	if (grow((void **)&ps->tmp, &ps->tmpcap, ps->ntmp + 1, sizeof(*ps->tmp)))
		return -ENOMEM;
	ps->tmp[ps->ntmp++] = *p;
	return 0;
}

/*
 * The addresses of field s, separated by the format's separators, added to
 * ps->tmp; each one written counted in *naddrs, good or bad. 0 or -ENOMEM.
 */
static int parse_prefixes(struct parser *ps, const char *s, unsigned int line, const char *who,
			  uint32_t *naddrs)
{
	const char *seps = ps->fmt->seps;

	s += strspn(s, seps);
	while (*s) {
		size_t n = strcspn(s, seps);
		char tok[INET6_ADDRSTRLEN + 8], buf[PREFIX_TEXT_LEN];
		const char *why = "not an IPv4 or IPv6 address";
		char refused[256];
		struct prefix p;
		bool host_bits, v6;

		(*naddrs)++;
		if (n >= sizeof(tok)) {
			diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%sprefix '%.40s...': %s", who, s,
				 why);
		} else {
			memcpy(tok, s, n);
			tok[n] = '\0';
			if (prefix_parse_reason(tok, &p, &host_bits, &v6, &why)) {
				diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%sprefix '%s': %s", who,
					 tok, why);
			} else if (prefix_refused(&p, v6, refused, sizeof(refused))) {
				diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%sprefix '%s': %s", who,
					 tok, refused);
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
	return 0;
}

/* Field f as a rate into *out (0 when it is not one, reported). */
static void parse_rate(struct parser *ps, enum field f, unsigned int line, const char *who,
		       uint64_t *out)
{
	const char *s = field(ps, f);
	const char *why = "not a rate";

	if (!rate_parse_reason(s, out, &why))
		return;
	*out = 0;
	if (!*s)
		diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%s%s is empty (%s)", who, ps->label[f],
			 ps->fmt->rate_hint);
	else
		diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%s%s '%s': %s (%s)", who, ps->label[f],
			 s, why, ps->fmt->rate_hint);
}

/* The rate and ceil a role shapes of a row, against each other and the link's capacity. */
static void check_rates(struct parser *ps, const struct row *r, const char *who, enum xs_dir dir)
{
	const char *d = role_direction(dir), *role = role_name(dir);
	char a[RATE_BUFSZ], b[RATE_BUFSZ];
	uint64_t rate = r->rate[dir], ceil = r->ceil[dir], cap;

	if (!rate || !ceil)
		return; /* not a rate: reported */
	if (rate > ceil)
		diag_add(&ps->diags, LOG_LEVEL_ERR, r->line,
			 "%s%s %s is more than %s %s; the guaranteed rate cannot exceed the "
			 "ceiling",
			 who, ps->label[rate_fields[dir]], rate_format(rate, a, sizeof(a)),
			 ps->label[ceil_fields[dir]], rate_format(ceil, b, sizeof(b)));
	cap = ps->cfg ? config_capacity(ps->cfg, dir) : 0;
	if (ps->cfg && ceil > cap)
		diag_add(&ps->diags, LOG_LEVEL_ERR, r->line,
			 "%s%s %s is more than [shaping] %s_capacity %s (%s is shaped on %s)", who,
			 ps->label[ceil_fields[dir]], rate_format(ceil, a, sizeof(a)), role,
			 rate_format(cap, b, sizeof(b)), d, role);
}

/* Its parent's node into r->node; a name that is not a node is an error of its row. */
static void find_parent(struct parser *ps, struct row *r, const char *parent, const char *who)
{
	const struct network *net = ps->net;
	char shown[NETWORK_NAME_MAX + 8];

	r->parent = true;
	if (net && net->n)
		r->node = network_find(net, parent);
	if (r->node != NETWORK_NONE)
		return;
	parent = shorten(parent, shown, sizeof(shown));
	if (net && net->file[0])
		diag_add(&ps->diags, LOG_LEVEL_ERR, r->line,
			 "%s%s '%s' is not a node of the network file %s", who, ps->label[F_PARENT],
			 parent, net->file);
	else if (net && net->n)
		diag_add(&ps->diags, LOG_LEVEL_ERR, r->line,
			 "%s%s '%s' is not a node of the network", who, ps->label[F_PARENT],
			 parent);
	else
		diag_add(&ps->diags, LOG_LEVEL_ERR, r->line,
			 "%s%s '%s' is not a node: there is no [network] file", who,
			 ps->label[F_PARENT], parent);
}

/* A LibreQoS row's device, for display: "router-1 (aa:bb:cc:dd:ee:ff, roof mount)". */
static char *device_info(const struct parser *ps)
{
	const char *dev = field(ps, F_DEVICE_NAME), *mac = field(ps, F_MAC);
	const char *comment = field(ps, F_COMMENT);
	struct info in;

	in.len = 0;
	in.cut = false;
	in.s[0] = '\0';
	if (!*dev)
		dev = field(ps, F_DEVICE_ID);
	info_add(&in, dev);
	if (*mac || *comment) {
		if (*dev)
			info_add(&in, " (");
		info_add(&in, mac);
		if (*mac && *comment)
			info_add(&in, ", ");
		info_add(&in, comment);
		if (*dev)
			info_add(&in, ")");
	}
	return strdup(info_end(&in));
}

static void customer_release(struct customer *c)
{
	free(c->id);
	free(c->name);
	free(c->parent);
	free(c->info);
	free(c->prefixes);
	memset(c, 0, sizeof(*c));
}

static void customers_drop(struct parser *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		customer_release(&ps->v[i]);
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
	ps->refused = true;
}

static int parse_row(struct parser *ps, unsigned int line)
{
	const struct format *fmt = ps->fmt;
	const char *id = field(ps, F_ID), *parent = field(ps, F_PARENT), *bad_id;
	struct row row = { .line = line, .node = NETWORK_NONE };
	struct customer c = { .line = line, .node = NETWORK_NONE };
	char who[CUSTOMER_ID_MAX + 16] = "", shown[48];
	size_t i, idsize;
	enum xs_dir dir;
	int err;

	ps->ntmp = 0;
	bad_id = id_problem(id);
	if (!bad_id)
		snprintf(who, sizeof(who), "%s %s: ", fmt->noun, id);
	else if (*id)
		diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%s '%s' %s", ps->label[F_ID],
			 shorten(id, shown, sizeof(shown)), bad_id);
	else
		diag_add(&ps->diags, LOG_LEVEL_ERR, line, "%s %s", ps->label[F_ID], bad_id);

	if (fmt->merge) {
		err = parse_prefixes(ps, field(ps, F_IPV4), line, who, &row.naddrs);
		if (!err)
			err = parse_prefixes(ps, field(ps, F_IPV6), line, who, &row.naddrs);
	} else {
		err = parse_prefixes(ps, field(ps, F_PREFIXES), line, who, &row.naddrs);
		if (!err && !row.naddrs)
			diag_add(&ps->diags, LOG_LEVEL_ERR, line,
				 "%sno prefixes; list one or more addresses or CIDR prefixes "
				 "separated by spaces or ';'",
				 who);
	}
	if (err)
		return err;

	for_each_role(i, dir) {
		bool min = ps->col[rate_fields[dir]] >= 0;

		if (min)
			parse_rate(ps, rate_fields[dir], line, who, &row.rate[dir]);
		parse_rate(ps, ceil_fields[dir], line, who, &row.ceil[dir]);
		if (!min)
			row.rate[dir] = row.ceil[dir] < LIBREQOS_DEFAULT_MIN ? row.ceil[dir]
									     : LIBREQOS_DEFAULT_MIN;
	}
	for_each_role(i, dir)
		check_rates(ps, &row, who, dir);
	if (*parent)
		find_parent(ps, &row, parent, who);

	/* a row without a good id takes part in no check across rows */
	if (bad_id)
		return 0;
	idsize = strlen(id) + 1;
	if (grow((void **)&ps->rows, &ps->rowcap, ps->nrows + 1, sizeof(*ps->rows)) ||
	    grow((void **)&ps->ids, &ps->idcap, ps->idlen + idsize, 1) ||
	    grow((void **)&ps->refs, &ps->refcap, ps->nrefs + ps->ntmp, sizeof(*ps->refs)))
		return -ENOMEM;
	row.id = (uint32_t)ps->idlen;
	memcpy(ps->ids + ps->idlen, id, idsize);
	ps->idlen += idsize;
	row.owner = (uint32_t)ps->nrows;
	for (i = 0; i < ps->ntmp; i++)
		ps->refs[ps->nrefs++] = (struct prefix_ref){ ps->tmp[i], (uint32_t)ps->nrows };
	ps->rows[ps->nrows++] = row;
	/* a list with an error is refused: only the checks need its rows */
	if (ps->diags.errors) {
		if (!ps->refused)
			customers_drop(ps);
		return 0;
	}

	if (grow((void **)&ps->v, &ps->cap, ps->n + 1, sizeof(*ps->v)))
		return -ENOMEM;
	c.name = strdup(field(ps, F_NAME));
	c.info = fmt->merge ? device_info(ps) : strdup("");
	if (ps->ntmp)
		c.prefixes = malloc(ps->ntmp * sizeof(*c.prefixes));
	if (!c.name || !c.info || (ps->ntmp && !c.prefixes)) {
		customer_release(&c);
		return -ENOMEM;
	}
	if (ps->ntmp)
		memcpy(c.prefixes, ps->tmp, ps->ntmp * sizeof(*c.prefixes));
	c.nprefixes = (unsigned int)ps->ntmp;
	ps->v[ps->n++] = c;
	return 0;
}

static bool header_names(const struct parser *ps, const char *loose)
{
	char buf[64];
	unsigned int i;

	for (i = 0; i < ps->csv.nfields; i++) {
		loose_name(csv_field(&ps->csv, i), buf, sizeof(buf));
		if (!strcmp(buf, loose))
			return true;
	}
	return false;
}

static int parse_header(struct parser *ps, unsigned int line)
{
	enum customers_format want = ps->cfg ? ps->cfg->customers_format : CUSTOMERS_AUTO;
	bool libreqos = header_names(ps, "circuitid");
	const struct format *fmt;
	const char *hint = "";
	unsigned int i, missing = 0;
	size_t k;

	if (want == CUSTOMERS_AUTO)
		want = libreqos ? CUSTOMERS_LIBREQOS : CUSTOMERS_XSHAPER;
	fmt = ps->fmt = want == CUSTOMERS_LIBREQOS ? &libreqos_format : &xshaper_format;
	if (!fmt->merge && libreqos)
		hint = "; this header is LibreQoS's ShapedDevices.csv: set [customers] format = "
		       "libreqos (or auto)";
	for (k = 0; k < NFIELDS; k++) {
		ps->col[k] = -1;
		ps->label[k] = "";
	}
	for (k = 0; k < fmt->ncolumns; k++)
		ps->label[fmt->columns[k].field] = fmt->columns[k].name;
	for (i = 0; i < ps->csv.nfields; i++) {
		const char *f = csv_field(&ps->csv, i);

		for (k = 0; k < fmt->ncolumns; k++) {
			const struct column *col = &fmt->columns[k];

			if (!column_matches(fmt, f, col->name))
				continue;
			if (ps->col[col->field] >= 0)
				diag_add(&ps->diags, LOG_LEVEL_ERR, line,
					 "the header names column '%s' twice (fields %d and %u)",
					 col->name, ps->col[col->field] + 1, i + 1);
			else
				ps->col[col->field] = (int)i;
		}
	}
	for (k = 0; k < fmt->ncolumns; k++) {
		const struct column *col = &fmt->columns[k];

		if (!col->required || ps->col[col->field] >= 0)
			continue;
		diag_add(&ps->diags, LOG_LEVEL_ERR, line,
			 "the header has no '%s' column; the first row must name the columns "
			 "(%s)%s",
			 col->name, fmt->columns_text, hint);
		missing++;
	}
	if (fmt->merge && ps->col[F_IPV4] < 0 && ps->col[F_IPV6] < 0) {
		diag_add(&ps->diags, LOG_LEVEL_ERR, line,
			 "the header has neither an 'IPv4' nor an 'IPv6' column; the first row "
			 "must name the columns (%s)",
			 fmt->columns_text);
		missing++;
	}
	ps->nfields = ps->csv.nfields;
	ps->header_line = line;
	return missing ? -EINVAL : 0;
}

/* --- across rows -------------------------------------------------------- */

static int by_id_cmp(const void *a, const void *b, void *arg)
{
	const struct parser *ps = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = customer_id_cmp(row_id(ps, &ps->rows[x]), row_id(ps, &ps->rows[y]));

	if (r)
		return r;
	/* rows are kept in line order */
	return x < y ? -1 : x > y;
}

static bool rates_known(const struct row *r)
{
	return r->rate[XS_LAN] && r->ceil[XS_LAN] && r->rate[XS_WAN] && r->ceil[XS_WAN];
}

static bool rates_equal(const struct row *a, const struct row *b)
{
	return !memcmp(a->rate, b->rate, sizeof(a->rate)) &&
	       !memcmp(a->ceil, b->ceil, sizeof(a->ceil));
}

/* "down 10mbit/50mbit, up 5mbit/20mbit" (min/max) */
static const char *rates_text(const struct row *r, char *buf, size_t len)
{
	char a[RATE_BUFSZ], b[RATE_BUFSZ], c[RATE_BUFSZ], d[RATE_BUFSZ];

	snprintf(buf, len, "down %s/%s, up %s/%s", rate_format(r->rate[XS_LAN], a, sizeof(a)),
		 rate_format(r->ceil[XS_LAN], b, sizeof(b)),
		 rate_format(r->rate[XS_WAN], c, sizeof(c)),
		 rate_format(r->ceil[XS_WAN], d, sizeof(d)));
	return buf;
}

/*
 * The rows g[0..n) of one LibreQoS circuit (by line): one customer, whose
 * rates are its first row's and whose parent is the first one named.
 */
static void check_circuit(struct parser *ps, const uint32_t *g, size_t n, const char *who)
{
	const struct network *net = ps->net;
	struct row *f = &ps->rows[g[0]], *p = NULL;
	char a[4 * RATE_BUFSZ + 16], b[4 * RATE_BUFSZ + 16];
	uint64_t naddrs = 0;
	size_t k;

	for (k = 0; k < n; k++) {
		struct row *r = &ps->rows[g[k]];

		r->owner = g[0];
		naddrs += r->naddrs;
		if (!p && r->parent)
			p = r;
	}
	if (!naddrs)
		diag_add(&ps->diags, LOG_LEVEL_ERR, f->line,
			 "%sno IPv4 or IPv6 address%s; list one or more addresses or CIDR "
			 "prefixes, separated by commas",
			 who, n > 1 ? " on any of its rows" : "");
	for (k = 1; k < n; k++) {
		struct row *r = &ps->rows[g[k]];

		if (p && p->node != NETWORK_NONE && r->node != NETWORK_NONE && r->node != p->node)
			diag_add(&ps->diags, LOG_LEVEL_ERR, r->line,
				 "%s%s '%s' differs from '%s' on line %u", who, ps->label[F_PARENT],
				 net->v[r->node].name, net->v[p->node].name, p->line);
		if (rates_known(f) && rates_known(r) && !rates_equal(f, r))
			diag_add(&ps->diags, LOG_LEVEL_WARN, r->line,
				 "%smin/max rates (%s) differ from line %u's (%s), which the "
				 "circuit gets",
				 who, rates_text(r, a, sizeof(a)), f->line,
				 rates_text(f, b, sizeof(b)));
	}
	if (p) {
		f->parent = true;
		f->node = p->node;
	}
}

/*
 * A customer's class hangs from its node's class, or, for a virtual node,
 * from its nearest real ancestor's. A class never gets more than its
 * parent's ceil, so a ceil above that node's cap would promise what the
 * tree cannot give and skew every sum made of ceils: as LibreQoS does, it
 * is lowered to the cap (and a rate above it too), and said so; billing
 * data often sells more than an access point carries.
 */
static void cap_rates(struct parser *ps, struct row *r, const char *who)
{
	const struct node *node;
	char a[RATE_BUFSZ], b[RATE_BUFSZ];
	enum xs_dir dir;
	size_t i;
	int up;

	if (r->node == NETWORK_NONE)
		return;
	up = ps->net->v[r->node].real;
	if (up == NETWORK_NONE)
		return; /* the root class: the link's capacity, checked per row */
	node = &ps->net->v[up];
	for_each_role(i, dir) {
		uint64_t cap = node->cap[dir];

		/* a bad rate, a rate above the ceil, a ceil above the link: errors already */
		if (!cap || !r->rate[dir] || !r->ceil[dir] || r->rate[dir] > r->ceil[dir] ||
		    (ps->cfg && r->ceil[dir] > config_capacity(ps->cfg, dir)))
			continue;
		if (r->ceil[dir] > cap) {
			diag_add(&ps->diags, LOG_LEVEL_WARN, r->line,
				 "%s%s ceil %s is above node '%s' (%s): capped", who,
				 role_direction(dir), rate_format(r->ceil[dir], a, sizeof(a)),
				 node->name, rate_format(cap, b, sizeof(b)));
			r->ceil[dir] = cap;
		}
		if (r->rate[dir] > cap) {
			diag_add(&ps->diags, LOG_LEVEL_WARN, r->line,
				 "%s%s rate %s is above node '%s' (%s): capped", who,
				 role_direction(dir), rate_format(r->rate[dir], a, sizeof(a)),
				 node->name, rate_format(cap, b, sizeof(b)));
			r->rate[dir] = cap;
		}
	}
}

/*
 * Rows sorted by id: in xshaper's format a second row of an id is a
 * duplicate; in LibreQoS's the rows of a circuit become one customer. Then
 * each customer's rates are capped to its node.
 */
static int check_rows(struct parser *ps)
{
	char who[CUSTOMER_ID_MAX + 16];
	size_t i, j, k;

	if (!ps->nrows)
		return 0;
	ps->by_id = malloc(ps->nrows * sizeof(*ps->by_id));
	if (!ps->by_id)
		return -ENOMEM;
	for (i = 0; i < ps->nrows; i++)
		ps->by_id[i] = (uint32_t)i;
	/* lists are mostly written in id order: then one compare a row, not a sort's n log n */
	for (i = 1; i < ps->nrows && by_id_cmp(&ps->by_id[i - 1], &ps->by_id[i], ps) < 0; i++)
		;
	if (i < ps->nrows)
		qsort_r(ps->by_id, ps->nrows, sizeof(*ps->by_id), by_id_cmp, ps);
	for (i = 0; i < ps->nrows; i = j) {
		struct row *f = &ps->rows[ps->by_id[i]];
		const char *id = row_id(ps, f);

		for (j = i + 1; j < ps->nrows && !strcmp(row_id(ps, &ps->rows[ps->by_id[j]]), id);
		     j++)
			;
		snprintf(who, sizeof(who), "%s %s: ", ps->fmt->noun, id);
		if (ps->fmt->merge) {
			check_circuit(ps, ps->by_id + i, j - i, who);
			cap_rates(ps, f, who);
			continue;
		}
		for (k = i; k < j; k++) {
			struct row *r = &ps->rows[ps->by_id[k]];

			if (k > i)
				diag_add(&ps->diags, LOG_LEVEL_ERR, r->line,
					 "customer id %s is already used on line %u", id, f->line);
			cap_rates(ps, r, who);
		}
	}
	return 0;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct prefix_ref *x = a, *y = b;
	int r = prefix_cmp(&x->p, &y->p);

	if (r)
		return r;
	return x->row < y->row ? -1 : x->row > y->row;
}

/*
 * Prefixes are nested or disjoint, never partly overlapping. Sorted by
 * (network, length), every prefix comes right after the prefixes containing
 * it, so a stack of the prefixes still "open" at the current address holds,
 * on top, the most specific one containing the current prefix. Equal
 * prefixes end up next to each other. O(n log n) for the sort, O(n) after.
 * Prefixes of one customer (one row, or one circuit's rows) may nest.
 */
static void check_prefixes(struct parser *ps)
{
	struct prefix_ref *refs = ps->refs, *stack[130];
	size_t i, n = ps->nrefs, depth = 0;
	const char *noun = ps->fmt->noun;
	char a[PREFIX_TEXT_LEN], b[PREFIX_TEXT_LEN];

	if (n)
		qsort(refs, n, sizeof(*refs), ref_cmp);
	for (i = 0; i < n; i++) {
		struct prefix_ref *cur = &refs[i], *top;
		struct row *cr = &ps->rows[cur->row], *tr;

		while (depth && !prefix_contains(&stack[depth - 1]->p, &cur->p))
			depth--;
		top = depth ? stack[depth - 1] : NULL;
		tr = top ? &ps->rows[top->row] : NULL;
		if (top && top->p.len == cur->p.len) {
			prefix_format(&cur->p, a, sizeof(a));
			if (tr->owner != cr->owner)
				diag_add(&ps->diags, LOG_LEVEL_ERR, cr->line,
					 "%s %s: prefix %s is also claimed by %s %s on line %u",
					 noun, row_id(ps, cr), a, noun, row_id(ps, tr), tr->line);
			else if (!ps->fmt->merge)
				diag_add(&ps->diags, LOG_LEVEL_ERR, cr->line,
					 "%s %s: prefix %s is listed twice", noun, row_id(ps, cr),
					 a);
			else if (tr == cr)
				diag_add(&ps->diags, LOG_LEVEL_WARN, cr->line,
					 "%s %s: prefix %s is listed twice; it is used once", noun,
					 row_id(ps, cr), a);
			else
				diag_add(&ps->diags, LOG_LEVEL_WARN, cr->line,
					 "%s %s: prefix %s is also listed on line %u; it is used "
					 "once",
					 noun, row_id(ps, cr), a, tr->line);
			if (tr->owner == cr->owner)
				ps->rows[cr->owner].dup = true;
			continue;
		}
		if (top && tr->owner != cr->owner)
			diag_add(&ps->diags, LOG_LEVEL_WARN, cr->line,
				 "%s %s: prefix %s lies inside %s of %s %s on line %u; its "
				 "addresses go to %s %s (the more specific prefix wins)",
				 noun, row_id(ps, cr), prefix_format(&cur->p, a, sizeof(a)),
				 prefix_format(&top->p, b, sizeof(b)), noun, row_id(ps, tr),
				 tr->line, noun, row_id(ps, cr));
		/* lengths strictly grow up the stack, so it never holds more than 129 */
		stack[depth++] = cur;
	}
}

/* --- the list ----------------------------------------------------------- */

/* The rows rest[0..n) of a circuit into its first row's customer c. */
static int merge_rows(struct parser *ps, struct customer *c, const uint32_t *rest, size_t n)
{
	size_t total = c->nprefixes, k;
	struct prefix *p;
	struct info in;
	char *info;

	for (k = 0; k < n; k++)
		total += ps->v[rest[k]].nprefixes;
	if (total > c->nprefixes) {
		p = realloc(c->prefixes, total * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->prefixes = p;
	}
	in.len = 0;
	in.cut = false;
	in.s[0] = '\0';
	info_add(&in, c->info);
	for (k = 0; k < n; k++) {
		struct customer *o = &ps->v[rest[k]];

		if (o->nprefixes)
			memcpy(c->prefixes + c->nprefixes, o->prefixes,
			       o->nprefixes * sizeof(*o->prefixes));
		c->nprefixes += o->nprefixes;
		if (*o->info) {
			if (in.len)
				info_add(&in, "; ");
			info_add(&in, o->info);
		}
		/* the first name written, as the first rates and the first parent */
		if (!*c->name && *o->name) {
			char *t = c->name;

			c->name = o->name;
			o->name = t;
		}
		customer_release(o);
	}
	info = strdup(info_end(&in));
	if (!info)
		return -ENOMEM;
	free(c->info);
	c->info = info;
	return 0;
}

struct indexed_prefix {
	struct prefix p;
	uint32_t i;
};

static int indexed_cmp(const void *a, const void *b)
{
	const struct indexed_prefix *x = a, *y = b;
	int r = prefix_cmp(&x->p, &y->p);

	if (r)
		return r;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Each prefix of c once (the duplicates were reported), in the order first written. */
static int dedupe_prefixes(struct customer *c)
{
	struct indexed_prefix *s = malloc(c->nprefixes * sizeof(*s));
	bool *keep = calloc(c->nprefixes, sizeof(*keep));
	unsigned int i, n = 0;

	if (!s || !keep) {
		free(s);
		free(keep);
		return -ENOMEM;
	}
	for (i = 0; i < c->nprefixes; i++)
		s[i] = (struct indexed_prefix){ c->prefixes[i], i };
	qsort(s, c->nprefixes, sizeof(*s), indexed_cmp);
	for (i = 0; i < c->nprefixes; i++)
		if (!i || prefix_cmp(&s[i].p, &s[i - 1].p))
			keep[s[i].i] = true;
	for (i = 0; i < c->nprefixes; i++)
		if (keep[i])
			c->prefixes[n++] = c->prefixes[i];
	c->nprefixes = n;
	free(s);
	free(keep);
	return 0;
}

/* The customers of a valid list, one per id, in id order, into out. */
static int build_list(struct parser *ps, struct customer_list *out)
{
	struct customer *v = malloc((ps->nrows ? ps->nrows : 1) * sizeof(*v));
	size_t i, j, m = 0;
	unsigned int k;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < ps->nrows; i = j) {
		uint32_t first = ps->by_id[i];
		const struct row *f = &ps->rows[first];
		struct customer *c = &ps->v[first];

		for (j = i + 1; j < ps->nrows && ps->rows[ps->by_id[j]].owner == first; j++)
			;
		if (j - i > 1 && merge_rows(ps, c, ps->by_id + i + 1, j - i - 1))
			goto fail;
		if (f->dup && dedupe_prefixes(c))
			goto fail;
		c->id = strdup(row_id(ps, f));
		if (f->node != NETWORK_NONE)
			c->parent = strdup(ps->net->v[f->node].name);
		if (!c->id || (f->node != NETWORK_NONE && !c->parent))
			goto fail;
		c->node = f->node;
		c->down_rate = f->rate[XS_LAN];
		c->down_ceil = f->ceil[XS_LAN];
		c->up_rate = f->rate[XS_WAN];
		c->up_ceil = f->ceil[XS_WAN];
		for (k = 0; k < c->nprefixes; k++) {
			if (prefix_is_v4(&c->prefixes[k]))
				out->nprefixes_v4++;
			else
				out->nprefixes_v6++;
		}
		v[m++] = *c;
		memset(c, 0, sizeof(*c));
	}
	out->v = v;
	out->n = m;
	return 0;
fail:
	for (i = 0; i < m; i++)
		customer_release(&v[i]);
	free(v);
	out->nprefixes_v4 = out->nprefixes_v6 = 0;
	return -ENOMEM;
}

static void parser_free(struct parser *ps)
{
	customers_drop(ps);
	free(ps->rows);
	free(ps->ids);
	free(ps->by_id);
	free(ps->refs);
	free(ps->tmp);
	free(ps->csv.buf);
	free(ps->csv.off);
}

/*
 * LibreQoS writes Comment (and sqm) unquoted, so a comma in a comment makes
 * a row longer than the header; LibreQoS itself reads the fields it needs
 * by position and so takes such a row. So does xshaper, when every column
 * it reads comes before the last column of the header: the extra fields
 * then shift only what is shown (or ignored), never an id, an address, a
 * rate or a parent.
 */
static bool extra_fields_harmless(const struct parser *ps)
{
	int last = -1, k;

	for (k = 0; k < NFIELDS; k++)
		if (k != F_COMMENT && ps->col[k] > last)
			last = ps->col[k];
	return last < (int)ps->nfields - 1;
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
		/* LibreQoS's own files leave trailing empty fields out */
		if (ps->fmt->merge && ps->csv.nfields > ps->nfields && extra_fields_harmless(ps)) {
			diag_add(&ps->diags, LOG_LEVEL_WARN, line,
				 "%u fields, but the header on line %u has %u: taken as a comma "
				 "in the last columns (Comment, sqm), which are only shown; the "
				 "fields past the header's are ignored",
				 ps->csv.nfields, ps->header_line, ps->nfields);
		} else if (ps->fmt->merge ? ps->csv.nfields > ps->nfields
					  : ps->csv.nfields != ps->nfields) {
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
	err = check_rows(ps);
	if (err)
		return err;
	check_prefixes(ps);
	return 0;
}

int customers_parse(const char *name, const char *buf, size_t len, const struct xs_config *cfg,
		    const struct network *net, struct customer_list *out)
{
	struct parser ps = { .name = name, .cfg = cfg, .net = net };
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
	if (!err)
		err = build_list(&ps, out);
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

int customers_load(const char *path, const struct xs_config *cfg, const struct network *net,
		   struct customer_list *out)
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
	err = customers_parse(path, buf, len, cfg, net, out);
	free(buf);
	return err;
}

void customers_free(struct customer_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++)
		customer_release(&list->v[i]);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

static int find_cmp(const void *key, const void *elem)
{
	return customer_id_cmp(key, ((const struct customer *)elem)->id);
}

const struct customer *customers_find(const struct customer_list *list, const char *id)
{
	if (!list || !list->n || !id)
		return NULL;
	return bsearch(id, list->v, list->n, sizeof(list->v[0]), find_cmp);
}
