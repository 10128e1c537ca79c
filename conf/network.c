// SPDX-License-Identifier: GPL-2.0-only
/*
 * The network file: LibreQoS's network.json, an object of nodes keyed by
 * name, each with its capacity and an object of children of the same shape.
 *
 * jansson parses and validates the JSON, but keeps no positions for the
 * values it returns, and a message about a node should say where it is
 * written. So the text is walked a second time, in step with jansson's
 * tree: jansson (2.14, Debian 12) iterates an object's members in the order
 * they were written (tests/unit/test_network.c holds it to that) and, with
 * JSON_REJECT_DUPLICATES, holds every one of them, so the n-th member of an
 * object in the text is the n-th of jansson's. The walk only needs to find
 * keys and skip values in text that jansson has already found to be valid
 * JSON; should the two ever disagree on a key, positions are dropped
 * (messages then name the file alone) rather than made up.
 *
 * The walk keeps its own stack, and the checks run over the nodes in a
 * flat loop: the file decides how deeply it nests (jansson stops at
 * JSON_PARSER_MAX_DEPTH, 2048), so nothing here recurses.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/text.h"
#include "conf/input.h"
#include "conf/network.h"
#include "conf/rate.h"

/* An ISP's site tree is some kilobytes; anything this large is the wrong file. */
#define NETWORK_MAX_SIZE (64 * 1024 * 1024)
/* 10 Tbit/s: more than any link, less than what a cap in bit/s can hold */
#define NETWORK_MAX_MBPS 1e7
/* The smallest rate HTB is given anywhere (conf/rate.h refuses less). */
#define NETWORK_MIN_BPS 8
/* HTB's TC_HTB_MAXDEPTH, which the uapi headers do not export */
#define HTB_MAX_DEPTH 8
_Static_assert(NETWORK_MAX_DEPTH + 2 == HTB_MAX_DEPTH, "the root and leaf classes take two");
/* The path of a node in a message: enough for any path worth reading. */
#define PATH_SHOWN 1024

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

/* The keys of a node this file reads; everything else is LibreQoS's or the operator's. */
enum member {
	M_DOWN,
	M_UP,
	M_CHILDREN,
	M_VIRTUAL,
	M_TYPE,
	M_ID,
	M_COUNT,
};

static const char *const member_keys[M_COUNT] = {
	[M_DOWN] = "downloadBandwidthMbps",
	[M_UP] = "uploadBandwidthMbps",
	[M_CHILDREN] = "children",
	[M_VIRTUAL] = "virtual",
	[M_TYPE] = "type",
	[M_ID] = "id",
};

/* Download is shaped on lan egress, upload on wan egress. */
static const enum member rate_member[XS_DIRS] = {
	[XS_LAN] = M_DOWN,
	[XS_WAN] = M_UP,
};

static const char *const dir_word[XS_DIRS] = {
	[XS_LAN] = "download",
	[XS_WAN] = "upload",
};

static const char *const capacity_key[XS_DIRS] = {
	[XS_LAN] = "lan_capacity",
	[XS_WAN] = "wan_capacity",
};

/* line 0: not known */
struct pos {
	unsigned int line, column;
};

/* What the walk of the text found for one node, beside jansson's value. */
struct raw {
	json_t *val; /* borrowed from the parsed document */
	struct pos value; /* where the node's value starts */
	struct pos member[M_COUNT]; /* where each member's value starts */
};

struct parse_ctx {
	const char *name; /* the file, for messages */
	const struct xs_config *cfg;
	struct network *net;
	struct raw *raw; /* parallel to net->v */
	size_t cap; /* of net->v and raw */
	unsigned int errors;
	struct log_shown errors_shown, warnings_shown;
};

/* --- messages ------------------------------------------------------------ */

/* The longest prefix of s, at most max bytes, that does not split a UTF-8 character. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/*
 * "FILE:LINE:COLUMN: node 'NAME': " and the message. The log escapes what
 * the name holds; a name too long to be one is cut.
 */
__attribute__((format(printf, 5, 0))) static void node_vlog(struct parse_ctx *ctx,
							    enum log_level level, struct pos at,
							    const char *node, const char *fmt,
							    va_list ap)
{
	size_t len = strlen(node), cut = utf8_prefix(node, len, NETWORK_NAME_MAX);
	char where[64] = "", msg[PATH_SHOWN * 2];

	if (at.line)
		snprintf(where, sizeof(where), ":%u:%u", at.line, at.column);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	xs_log(level, "%s%s: node '%.*s%s': %s\n", ctx->name, where, (int)cut, node,
	       cut < len ? "..." : "", msg);
}

__attribute__((format(printf, 4, 5))) static void node_err(struct parse_ctx *ctx, struct pos at,
							   const char *node, const char *fmt, ...)
{
	va_list ap;

	ctx->errors++;
	if (!log_shown_take(&ctx->errors_shown, at.line))
		return;
	va_start(ap, fmt);
	node_vlog(ctx, LOG_LEVEL_ERR, at, node, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void node_warn(struct parse_ctx *ctx, struct pos at,
							    const char *node, const char *fmt, ...)
{
	va_list ap;

	if (!log_shown_take(&ctx->warnings_shown, at.line))
		return;
	va_start(ap, fmt);
	node_vlog(ctx, LOG_LEVEL_WARN, at, node, fmt, ap);
	va_end(ap);
}

/* A message about the file as a whole, at a position when there is one. */
__attribute__((format(printf, 3, 4))) static void file_err(struct parse_ctx *ctx, struct pos at,
							   const char *fmt, ...)
{
	char where[64] = "", msg[768];
	va_list ap;

	ctx->errors++;
	if (at.line)
		snprintf(where, sizeof(where), ":%u:%u", at.line, at.column);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("%s%s: %s\n", ctx->name, where, msg);
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

/* --- the text, walked in step with jansson --------------------------------- */

/*
 * Columns count characters, not bytes, from 1, as jansson's own do: a
 * byte that continues a UTF-8 sequence does not move the column.
 */
struct scan {
	const unsigned char *p, *end;
	struct pos at; /* of *p */
	bool lost; /* out of step with jansson: no positions from here on */
};

static void scan_step(struct scan *s)
{
	unsigned char b;

	if (s->p >= s->end) {
		s->lost = true;
		return;
	}
	b = *s->p++;
	if (b == '\n') {
		s->at.line++;
		s->at.column = 1;
	} else if ((b & 0xc0) != 0x80) {
		s->at.column++;
	}
}

static void scan_ws(struct scan *s)
{
	while (!s->lost && s->p < s->end &&
	       (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		scan_step(s);
}

static struct pos scan_pos(const struct scan *s)
{
	return s->lost ? (struct pos){ 0, 0 } : s->at;
}

static void scan_expect(struct scan *s, unsigned char c)
{
	scan_ws(s);
	if (s->lost || s->p >= s->end || *s->p != c)
		s->lost = true;
	else
		scan_step(s);
}

/*
 * Past the string at s->p. key: what jansson decoded there, checked when
 * the text holds no escape (an escaped key is taken on trust).
 */
static void scan_string(struct scan *s, const char *key)
{
	const unsigned char *start;
	bool escaped = false;

	if (s->lost || s->p >= s->end || *s->p != '"') {
		s->lost = true;
		return;
	}
	scan_step(s);
	start = s->p;
	while (!s->lost && s->p < s->end && *s->p != '"') {
		if (*s->p == '\\') {
			escaped = true;
			scan_step(s);
		}
		scan_step(s);
	}
	if (s->lost || s->p >= s->end) {
		s->lost = true;
		return;
	}
	if (key && !escaped &&
	    (strlen(key) != (size_t)(s->p - start) || memcmp(key, start, (size_t)(s->p - start))))
		s->lost = true;
	scan_step(s);
}

/* Past one value of any kind, however deeply it nests. */
static void scan_value(struct scan *s)
{
	const unsigned char *start;
	size_t depth = 0;

	scan_ws(s);
	do {
		if (s->lost || s->p >= s->end) {
			s->lost = true;
			return;
		}
		switch (*s->p) {
		case '"':
			scan_string(s, NULL);
			break;
		case '{':
		case '[':
			depth++;
			scan_step(s);
			break;
		case '}':
		case ']':
			if (!depth) {
				s->lost = true;
				return;
			}
			depth--;
			scan_step(s);
			break;
		default:
			/* a number, true, false, null, or blanks and commas inside */
			start = s->p;
			while (!s->lost && s->p < s->end && *s->p && !strchr("\"{}[]", *s->p) &&
			       (depth || !strchr(", \t\r\n", *s->p)))
				scan_step(s);
			if (s->p == start)
				s->lost = true;
		}
	} while (depth);
}

/* Past a member's key and colon: where the key starts. */
static struct pos scan_key(struct scan *s, const char *key)
{
	struct pos at;

	scan_ws(s);
	at = scan_pos(s);
	scan_string(s, key);
	scan_expect(s, ':');
	scan_ws(s);
	return at;
}

/* After a member's value: the comma before the next one, if any. */
static void scan_next(struct scan *s)
{
	scan_ws(s);
	if (!s->lost && s->p < s->end && *s->p == ',')
		scan_step(s);
}

/* --- the walk: every node, parent-first, in the order written --------------- */

/* One object being walked: an object of nodes, or the members of one node. */
struct frame {
	json_t *obj;
	void *iter;
	int node; /* of nodes: the node they are children of (NETWORK_NONE: top); else the node */
	bool nodes;
};

static int add_node(struct parse_ctx *ctx, const char *name, json_t *val, int parent, struct pos at,
		    struct pos value)
{
	struct network *net = ctx->net;
	struct node *nd;
	struct raw *r;

	if (net->n == ctx->cap) {
		size_t ncap = ctx->cap ? ctx->cap * 2 : 16;
		struct node *v = realloc(net->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		net->v = v;
		r = realloc(ctx->raw, ncap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		ctx->raw = r;
		ctx->cap = ncap;
	}
	if (net->n >= INT32_MAX)
		return -E2BIG;
	nd = &net->v[net->n];
	memset(nd, 0, sizeof(*nd));
	nd->parent = parent;
	nd->up = nd->real = NETWORK_NONE;
	nd->line = at.line;
	nd->column = at.column;
	nd->name = strdup(name);
	if (!nd->name)
		return -ENOMEM;
	net->n++;
	r = &ctx->raw[net->n - 1];
	memset(r, 0, sizeof(*r));
	r->val = val;
	r->value = value;
	return 0;
}

static int member_of(const char *key)
{
	int m;

	for (m = 0; m < M_COUNT; m++)
		if (!strcmp(key, member_keys[m]))
			return m;
	return -1;
}

static int push(struct frame **stack, size_t *n, size_t *cap, json_t *obj, int node, bool nodes)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct frame *v = realloc(*stack, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		*stack = v;
		*cap = ncap;
	}
	(*stack)[(*n)++] = (struct frame){ obj, json_object_iter(obj), node, nodes };
	return 0;
}

/*
 * Collect the nodes of the top-level object, and of each node's children
 * object, into net->v: each node right before its children, siblings in
 * the order written, so a parent always comes first.
 */
static int walk(struct parse_ctx *ctx, json_t *top, struct scan *s)
{
	struct frame *stack = NULL, *f;
	size_t n = 0, cap = 0;
	int err, m;

	err = push(&stack, &n, &cap, top, NETWORK_NONE, true);
	scan_expect(s, '{');
	while (!err && n) {
		const char *key;
		struct pos at, value;
		json_t *val;

		f = &stack[n - 1];
		if (!f->iter) {
			scan_expect(s, '}');
			scan_next(s);
			n--;
			continue;
		}
		key = json_object_iter_key(f->iter);
		val = json_object_iter_value(f->iter);
		f->iter = json_object_iter_next(f->obj, f->iter);
		at = scan_key(s, key);
		value = scan_pos(s);
		if (f->nodes) {
			err = add_node(ctx, key, val, f->node, at, value);
			if (err || !json_is_object(val))
				goto skip;
			err = push(&stack, &n, &cap, val, (int)ctx->net->n - 1, false);
			scan_expect(s, '{');
			continue;
		}
		m = member_of(key);
		if (m >= 0)
			ctx->raw[f->node].member[m] = value;
		if (m == M_CHILDREN && json_is_object(val)) {
			err = push(&stack, &n, &cap, val, f->node, true);
			scan_expect(s, '{');
			continue;
		}
	skip:
		scan_value(s);
		scan_next(s);
	}
	free(stack);
	return err;
}

/* --- each node ------------------------------------------------------------ */

/* 1..NETWORK_NAME_MAX bytes of valid UTF-8, no control character, no blank at an end */
static const char *name_refused(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name), i, k;

	if (!len)
		return "the name is empty";
	if (len > NETWORK_NAME_MAX)
		return "the name is longer than " STRINGIFY(NETWORK_NAME_MAX) " bytes";
	if (p[0] == ' ' || p[0] == '\t' || p[len - 1] == ' ' || p[len - 1] == '\t')
		return "the name starts or ends with a blank";
	for (i = 0; i < len; i += k) {
		k = text_utf8_len(p + i, len - i);
		if (!k)
			return "the name is not valid UTF-8";
		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && p[i + 1] < 0xa0))
			return "the name holds a control character";
	}
	return NULL;
}

/*
 * A node's rate in Mbit/s (a number, or a string of one, decimals allowed)
 * into bit/s; absent, null and 0 are 0: the parent's.
 */
static int rate_of(const json_t *v, uint64_t *bps, char *why, size_t len)
{
	const char *text;
	double mbps;
	int shown;

	*bps = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0) {
			snprintf(why, len, "%lld is negative", (long long)i);
			return -EINVAL;
		}
		if ((double)i > NETWORK_MAX_MBPS) {
			snprintf(why, len, "%lld is more than 10000000 Mbit/s", (long long)i);
			return -EINVAL;
		}
		mbps = (double)i;
	} else if (json_is_real(v)) {
		mbps = json_real_value(v);
	} else if (json_is_string(v)) {
		char *end;

		text = json_string_value(v);
		shown = (int)utf8_prefix(text, strlen(text), 64);
		/* strtod would take "nan", "inf" and hex too: only digits, '.', exponents */
		if (!*text || text[strspn(text, "0123456789.eE+-")]) {
			snprintf(why, len, "'%.*s' is not a number of Mbit/s", shown, text);
			return -EINVAL;
		}
		errno = 0;
		mbps = strtod(text, &end);
		if (*end || end == text || errno == ERANGE) {
			snprintf(why, len, "'%.*s' is not a number of Mbit/s", shown, text);
			return -EINVAL;
		}
	} else {
		snprintf(why, len, "%s, not a number of Mbit/s", json_kind(v));
		return -EINVAL;
	}
	if (!isfinite(mbps) || mbps > NETWORK_MAX_MBPS) {
		snprintf(why, len, "%g is more than 10000000 Mbit/s", mbps);
		return -EINVAL;
	}
	if (mbps < 0) {
		snprintf(why, len, "%g is negative", mbps);
		return -EINVAL;
	}
	*bps = (uint64_t)(mbps * 1e6 + 0.5);
	if (mbps > 0 && *bps < NETWORK_MIN_BPS) {
		snprintf(why, len, "%g Mbit/s is below %d bit/s; 0 means the parent's", mbps,
			 NETWORK_MIN_BPS);
		return -EINVAL;
	}
	return 0;
}

/* An informative string member: a string, or for "id" a number; absent and null: "". */
static int text_of(const json_t *v, bool number_too, char **out)
{
	char buf[64];

	if (!v || json_is_null(v))
		*out = strdup("");
	else if (json_is_string(v))
		*out = strdup(json_string_value(v));
	else if (number_too && json_is_number(v)) {
		if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		else
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		*out = strdup(buf);
	} else {
		return -EINVAL;
	}
	return *out ? 0 : -ENOMEM;
}

/* Where a member's value is written, or the node when it is not. */
static struct pos member_pos(const struct parse_ctx *ctx, size_t i, enum member m)
{
	const struct raw *r = &ctx->raw[i];

	return r->member[m].line ? r->member[m]
				 : (struct pos){ ctx->net->v[i].line, ctx->net->v[i].column };
}

static struct pos node_pos(const struct node *nd)
{
	return (struct pos){ nd->line, nd->column };
}

/* What the node's object says about itself; the caps come after. */
static int read_members(struct parse_ctx *ctx, size_t i, uint64_t *own)
{
	struct node *nd = &ctx->net->v[i];
	json_t *obj = ctx->raw[i].val, *v;
	char why[160];
	int err, d;

	own[XS_WAN] = own[XS_LAN] = 0;
	if (!json_is_object(obj)) {
		node_err(ctx, ctx->raw[i].value.line ? ctx->raw[i].value : node_pos(nd), nd->name,
			 "%s, not an object; write a node as { \"downloadBandwidthMbps\": ..., "
			 "\"children\": { ... } }",
			 json_kind(obj));
		nd->type = strdup("");
		nd->ext_id = strdup("");
		return nd->type && nd->ext_id ? 0 : -ENOMEM;
	}
	err = text_of(json_object_get(obj, "type"), false, &nd->type);
	if (err == -EINVAL) {
		node_err(ctx, member_pos(ctx, i, M_TYPE), nd->name, "type is %s, not a string",
			 json_kind(json_object_get(obj, "type")));
		nd->type = strdup("");
	}
	err = text_of(json_object_get(obj, "id"), true, &nd->ext_id);
	if (err == -EINVAL) {
		node_err(ctx, member_pos(ctx, i, M_ID), nd->name,
			 "id is %s, not a string or a number",
			 json_kind(json_object_get(obj, "id")));
		nd->ext_id = strdup("");
	}
	if (!nd->type || !nd->ext_id)
		return -ENOMEM;
	v = json_object_get(obj, "virtual");
	if (json_is_boolean(v))
		nd->virtual = json_is_true(v);
	else if (v && !json_is_null(v))
		node_err(ctx, member_pos(ctx, i, M_VIRTUAL), nd->name,
			 "virtual is %s; write true or false", json_kind(v));
	/* LibreQoS also takes a node of type "virtual" as one */
	if (!strcasecmp(nd->type, "virtual"))
		nd->virtual = true;
	v = json_object_get(obj, "children");
	if (v && !json_is_null(v) && !json_is_object(v))
		node_err(ctx, member_pos(ctx, i, M_CHILDREN), nd->name,
			 "children is %s, not an object of nodes keyed by name", json_kind(v));
	for (d = 0; d < XS_DIRS; d++) {
		enum member m = rate_member[d];

		if (rate_of(json_object_get(obj, member_keys[m]), &own[d], why, sizeof(why)))
			node_err(ctx, member_pos(ctx, i, m), nd->name, "%s: %s", member_keys[m],
				 why);
	}
	return 0;
}

static void check_depth(struct parse_ctx *ctx, size_t i)
{
	struct node *nd = &ctx->net->v[i];
	char path[PATH_SHOWN];

	/* its descendants are deeper still, but the path to fix is the same */
	if (nd->virtual || nd->depth != NETWORK_MAX_DEPTH + 1)
		return;
	network_path(ctx->net, (int)i, path, sizeof(path));
	node_err(ctx, node_pos(nd), nd->name,
		 "path %s is %u nodes deep; HTB nests %d classes, so at most %d nodes (virtual "
		 "nodes do not count)",
		 path, nd->depth, HTB_MAX_DEPTH, NETWORK_MAX_DEPTH);
}

/*
 * Own or inherited, then bounded by the real node above (or the link):
 * a virtual node has no class, so it bounds nothing, and its own cap,
 * computed all the same, is only shown.
 */
static void set_caps(struct parse_ctx *ctx, size_t i, const uint64_t *own)
{
	struct node *nd = &ctx->net->v[i];
	const struct node *parent = nd->parent == NETWORK_NONE ? NULL : &ctx->net->v[nd->parent];
	const struct node *above = nd->up == NETWORK_NONE ? NULL : &ctx->net->v[nd->up];
	char a[RATE_BUFSZ], b[RATE_BUFSZ];
	int d;

	for (d = 0; d < XS_DIRS; d++) {
		uint64_t link = config_capacity(ctx->cfg, (enum xs_dir)d);
		uint64_t bound = above ? above->cap[d] : link;
		uint64_t cap = own[d] ? own[d] : parent ? parent->cap[d] : link;

		if (own[d] > bound) {
			rate_format(own[d], a, sizeof(a));
			rate_format(bound, b, sizeof(b));
			if (!above)
				node_warn(ctx, member_pos(ctx, i, rate_member[d]), nd->name,
					  "%s %s is above %s (%s): capped", dir_word[d], a,
					  capacity_key[d], b);
			else if (above == parent)
				node_warn(ctx, member_pos(ctx, i, rate_member[d]), nd->name,
					  "%s %s is above its parent '%s' (%s): capped",
					  dir_word[d], a, above->name, b);
			else
				node_warn(ctx, member_pos(ctx, i, rate_member[d]), nd->name,
					  "%s %s is above '%s' (%s), the nearest real node above "
					  "it: capped",
					  dir_word[d], a, above->name, b);
		}
		nd->cap[d] = cap < bound ? cap : bound;
	}
}

static int settle(struct parse_ctx *ctx)
{
	struct network *net = ctx->net;
	uint64_t own[XS_DIRS];
	const char *why;
	size_t i;
	int err;

	for (i = 0; i < net->n; i++) {
		struct node *nd = &net->v[i];
		/* the nearest real node above: a virtual one records its own */
		int above = nd->parent == NETWORK_NONE ? NETWORK_NONE : net->v[nd->parent].real;

		why = name_refused(nd->name);
		if (why)
			node_err(ctx, node_pos(nd), nd->name,
				 "%s; a name is 1 to %d bytes of text without control characters "
				 "or blanks at either end",
				 why, NETWORK_NAME_MAX);
		err = read_members(ctx, i, own);
		if (err)
			return err;
		nd->up = above;
		if (nd->virtual) {
			nd->real = above;
			nd->depth = 0;
		} else {
			nd->real = (int)i;
			nd->depth = above == NETWORK_NONE ? 1 : net->v[above].depth + 1;
			net->nreal++;
		}
		check_depth(ctx, i);
		set_caps(ctx, i, own);
	}
	return 0;
}

static int by_name_cmp(const void *a, const void *b, void *arg)
{
	const struct node *v = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(v[x].name, v[y].name);

	return r ? r : x < y ? -1 : x > y;
}

/* Sort the index by name; a name used twice is an error at its second node. */
static int index_names(struct parse_ctx *ctx)
{
	struct network *net = ctx->net;
	char first[PATH_SHOWN], again[PATH_SHOWN];
	size_t i, head;

	net->by_name = malloc((net->n ? net->n : 1) * sizeof(*net->by_name));
	if (!net->by_name)
		return -ENOMEM;
	for (i = 0; i < net->n; i++)
		net->by_name[i] = (uint32_t)i;
	qsort_r(net->by_name, net->n, sizeof(*net->by_name), by_name_cmp, net->v);
	/* each later use names the first, the one written highest in the file */
	for (i = 1, head = 0; i < net->n; i++) {
		const struct node *a = &net->v[net->by_name[head]];
		const struct node *b = &net->v[net->by_name[i]];

		if (strcmp(a->name, b->name)) {
			head = i;
			continue;
		}
		network_path(net, (int)net->by_name[head], first, sizeof(first));
		network_path(net, (int)net->by_name[i], again, sizeof(again));
		if (a->line)
			node_err(ctx, node_pos(b), b->name,
				 "%s: the name is already used by %s at %u:%u; names must be "
				 "unique across the tree",
				 again, first, a->line, a->column);
		else
			node_err(ctx, node_pos(b), b->name,
				 "%s: the name is already used by %s; names must be unique "
				 "across the tree",
				 again, first);
	}
	return 0;
}

/* --- the interface ---------------------------------------------------------- */

/*
 * jansson's message, at its line and column. Its text quotes the input
 * (the log escapes it), but names no token longer than 20 bytes: "duplicate
 * object key" alone, for a site called "Tower 3 North Sector B". Such a
 * key ends right before jansson's position; its opening quote is the first
 * one before that which no backslash escapes.
 */
static void json_error(const char *name, const char *buf, size_t len, const json_error_t *jerr)
{
	size_t end = jerr->position > 0 ? (size_t)jerr->position : 0, k, slashes;

	if (!strcmp(jerr->text, "duplicate object key") && end >= 2 && end <= len &&
	    buf[end - 1] == '"') {
		for (k = end - 1; k-- > 0;) {
			if (buf[k] != '"')
				continue;
			for (slashes = 0; slashes < k && buf[k - 1 - slashes] == '\\'; slashes++)
				;
			if (slashes % 2)
				continue;
			pr_err("%s:%d:%d: duplicate object key near '%.*s%s'\n", name, jerr->line,
			       jerr->column, (int)utf8_prefix(buf + k, end - k, PATH_SHOWN),
			       buf + k, end - k > PATH_SHOWN ? "..." : "");
			return;
		}
	}
	pr_err("%s:%d:%d: %s\n", name, jerr->line, jerr->column, jerr->text);
}

void network_free(struct network *net)
{
	size_t i;

	for (i = 0; i < net->n; i++) {
		free(net->v[i].name);
		free(net->v[i].type);
		free(net->v[i].ext_id);
	}
	free(net->v);
	free(net->by_name);
	memset(net, 0, sizeof(*net));
}

int network_parse(const char *name, const char *buf, size_t len, const struct xs_config *cfg,
		  struct network *out)
{
	struct parse_ctx ctx = { .name = name, .cfg = cfg, .net = out };
	struct scan s = { .at = { 1, 1 } };
	json_error_t jerr;
	const char *nul;
	json_t *top;
	int err = 0;

	memset(out, 0, sizeof(*out));
	/* editors on Windows write a BOM; it is not JSON, and no column either */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	s.p = (const unsigned char *)buf;
	s.end = s.p + len;
	/*
	 * No JSON holds a NUL byte, but jansson 2.14 drops one that follows a
	 * number ("1\0,") instead of refusing it: the text would no longer be
	 * what jansson read.
	 */
	nul = memchr(buf, '\0', len);
	if (nul) {
		while (s.p < (const unsigned char *)nul)
			scan_step(&s);
		file_err(&ctx, s.at, "NUL byte; is this a text file?");
		return -EINVAL;
	}
	scan_ws(&s);
	if (s.p == s.end) {
		pr_err("%s: empty; a network file is one JSON object of nodes, {} for none "
		       "(or leave [network] file unset)\n",
		       name);
		return -EINVAL;
	}
	top = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!top) {
		json_error(name, buf, len, &jerr);
		return -EINVAL;
	}
	if (!json_is_object(top)) {
		file_err(&ctx, scan_pos(&s),
			 "the top level is %s; a network file is one object of nodes keyed by "
			 "name: { \"Site\": { \"downloadBandwidthMbps\": 1000, ... } }",
			 json_kind(top));
		err = -EINVAL;
		goto out;
	}
	err = walk(&ctx, top, &s);
	if (!err)
		err = settle(&ctx);
	if (!err)
		err = index_names(&ctx);
	if (err == -ENOMEM)
		pr_err("%s: out of memory reading the network file\n", name);
	else if (err == -E2BIG)
		pr_err("%s: more than %d nodes; this is not a network file\n", name, INT32_MAX);
	else if (ctx.errors)
		err = -EINVAL;
	log_shown_flush(&ctx.errors_shown, name, LOG_LEVEL_ERR, "errors");
	log_shown_flush(&ctx.warnings_shown, name, LOG_LEVEL_WARN, "warnings");
out:
	free(ctx.raw);
	json_decref(top);
	if (err) {
		network_free(out);
		return err;
	}
	snprintf(out->file, sizeof(out->file), "%s", name);
	return 0;
}

int network_load(const char *path, const struct xs_config *cfg, struct network *out)
{
	static const struct input_kind kind = {
		.what = "the network file",
		.hint = "set [network] file to a network.json, or leave it unset for no hierarchy",
		.max_size = NETWORK_MAX_SIZE,
		.max_text = "64 MiB",
	};
	char *buf = NULL;
	size_t len = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!path || !*path)
		return 0;
	err = input_load(path, &kind, &buf, &len);
	if (err)
		return err; /* reported */
	err = network_parse(path, buf, len, cfg, out);
	free(buf);
	return err;
}

static int find_cmp(const void *key, const void *elem, void *arg)
{
	const struct node *v = arg;

	return strcmp(key, v[*(const uint32_t *)elem].name);
}

int network_find(const struct network *net, const char *name)
{
	size_t lo = 0, hi = net->n;

	/* bsearch has no context argument; this is it, written out */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = find_cmp(name, &net->by_name[mid], net->v);

		if (!r)
			return (int)net->by_name[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NETWORK_NONE;
}

size_t network_path(const struct network *net, int i, char *buf, size_t len)
{
	size_t total = 0, off = 0, levels = 0, k, step;
	bool full = false;
	int j;

	buf[0] = '\0';
	if (i < 0 || (size_t)i >= net->n)
		return 0;
	for (j = i; j != NETWORK_NONE; j = net->v[j].parent)
		levels++;
	/*
	 * From the top down: the ancestor k levels above i, for k from the
	 * top. Quadratic in the depth, which a message can afford, and no
	 * memory to allocate on the way to reporting an error.
	 */
	for (k = levels; k-- > 0;) {
		const char *piece[2] = { k + 1 < levels ? " / " : "", NULL };
		int p;

		for (j = i, step = 0; step < k; step++)
			j = net->v[j].parent;
		piece[1] = net->v[j].name;
		for (p = 0; p < 2; p++) {
			size_t n = strlen(piece[p]), fit;

			total += n;
			if (full)
				continue;
			fit = utf8_prefix(piece[p], n, len - 1 - off);
			memcpy(buf + off, piece[p], fit);
			off += fit;
			buf[off] = '\0';
			full = fit < n;
		}
	}
	return total;
}
