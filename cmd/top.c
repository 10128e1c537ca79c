// SPDX-License-Identifier: GPL-2.0-only
/*
 * xshaper top: customers and nodes by their current rate, refreshed every
 * second. The rate of a class is its bytes between two reads of the view
 * (as stats --interval); --once prints one frame, measured over a second,
 * as plain text without curses.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/enumval.h"
#include "common/log.h"
#include "common/text.h"
#include "conf/config.h"
#include "conf/rate.h"
#include "cmd/commands.h"
#include "cmd/stats.h"

enum top_sort {
	SORT_RATE,
	SORT_NAME,
	SORT_DROPS,
};

static const struct enum_val top_sorts[] = {
	{ "rate", SORT_RATE },
	{ "name", SORT_NAME },
	{ "drops", SORT_DROPS },
	{ NULL, 0 },
};

/* One line of the view: a customer or a node, both directions. */
struct top_row {
	const struct placement *pl;
	const struct class_stats *down, *up; /* NULL when the class is missing */
	uint64_t now; /* bit/s, down + up */
	uint64_t drops; /* since the class was made, down + up */
	unsigned int pct; /* of plan: the direction nearest its ceil */
	/* customers: the TCP monitor over the frame's interval */
	double p50[XS_DIRS]; /* ms; < 0: no sample */
	uint64_t retransmits; /* down + up */
};

struct top_frame {
	struct stats_view v;
	struct top_row *rows;
	size_t n;
	bool started;
};

#define TOP_LINE (CUSTOMER_ID_MAX * 4 + 160) /* an id escaped, and the rest */

static const char *row_name(const struct top_row *r)
{
	return r->pl->kind == PLAN_NODE ? "(node)" : r->pl->name;
}

static int row_cmp(const struct top_row *a, const struct top_row *b, enum top_sort sort)
{
	int c;

	if (sort == SORT_RATE && a->now != b->now)
		return a->now < b->now ? 1 : -1;
	if (sort == SORT_DROPS && a->drops != b->drops)
		return a->drops < b->drops ? 1 : -1;
	c = sort == SORT_NAME ? strcmp(row_name(a), row_name(b)) : 0;
	return c ? c : strcmp(a->pl->id, b->pl->id);
}

static enum top_sort sort_by;

static int row_qsort(const void *a, const void *b)
{
	return row_cmp(a, b, sort_by);
}

static unsigned int percent(const struct class_stats *s)
{
	return s && s->ceil ? (unsigned int)(s->bps * 100 / s->ceil) : 0;
}

/* The RTT p50 per side and the retransmits of a row since then (NULL: the view's own). */
static void add_monitor(struct top_row *r, const struct top_frame *fr,
			const struct stats_view *then)
{
	uint32_t classid = xs_classid(r->pl->txq, r->pl->minor);
	const struct steer_monitor *now, *was;
	struct xs_monitor d = {};
	unsigned int k;
	enum xs_dir side;

	if (!then)
		then = &fr->v;
	now = steer_monitor_find(fr->v.mon_now, fr->v.nmon_now, classid);
	was = then == &fr->v ? steer_monitor_find(then->mon_then, then->nmon_then, classid)
			     : steer_monitor_find(then->mon_now, then->nmon_now, classid);
	if (now && r->pl->kind == PLAN_CUSTOMER)
		steer_monitor_delta(&now->m, was ? &was->m : NULL, &d);
	for_each_role(k, side)
		if (steer_rtt_quantile_ms(&d, side, 0.5, &r->p50[side]))
			r->p50[side] = -1;
	r->retransmits = d.retransmits[XS_LAN] + d.retransmits[XS_WAN];
}

static void add_row(struct top_frame *fr, const struct stats_view *then, const struct placement *pl)
{
	uint32_t classid = xs_classid(pl->txq, pl->minor);
	struct top_row *r = &fr->rows[fr->n++];
	unsigned int up;

	r->pl = pl;
	r->down = stats_find_class(&fr->v.is[XS_LAN], classid);
	r->up = stats_find_class(&fr->v.is[XS_WAN], classid);
	r->now = (r->down ? r->down->bps : 0) + (r->up ? r->up->bps : 0);
	r->drops = (r->down ? r->down->drops : 0) + (r->up ? r->up->drops : 0);
	r->pct = percent(r->down);
	up = percent(r->up);
	if (up > r->pct)
		r->pct = up;
	add_monitor(r, fr, then);
}

static void frame_free(struct top_frame *fr)
{
	stats_view_free(&fr->v);
	free(fr->rows);
	memset(fr, 0, sizeof(*fr));
}

/*
 * A frame from a fresh read of the view, rates against prev (read msec
 * earlier) or, without prev, over interval seconds. 0, -ENOENT when
 * xshaper is not started (fr->started false), or -errno.
 */
static int frame_read(const struct xs_config *cfg, const struct top_frame *prev, unsigned long msec,
		      unsigned int interval, struct top_frame *fr)
{
	unsigned int k;
	enum xs_dir d;
	size_t i;
	int err;

	memset(fr, 0, sizeof(*fr));
	err = stats_view_read(cfg, interval, true, &fr->v);
	if (err)
		return err;
	fr->started = true;
	if (prev && prev->started)
		for_each_role(k, d)
			stats_rates(&prev->v.is[d], &fr->v.is[d], msec);
	fr->rows = calloc(fr->v.n + fr->v.nnodes + 1, sizeof(*fr->rows));
	if (!fr->rows)
		return -ENOMEM;
	for (i = 0; i < fr->v.n; i++)
		add_row(fr, prev && prev->started ? &prev->v : NULL, fr->v.customers[i]);
	for (i = 0; i < fr->v.nnodes; i++)
		add_row(fr, NULL, fr->v.nodes[i]);
	return 0;
}

static void frame_sort(struct top_frame *fr, enum top_sort sort)
{
	sort_by = sort;
	qsort(fr->rows, fr->n, sizeof(*fr->rows), row_qsort);
}

/* A rate to three significant digits, as rate_parse reads it: "12.3mbit". */
static const char *short_rate(uint64_t bps, char *buf, size_t len)
{
	uint64_t p = 1;

	while (bps / p >= 1000)
		p *= 10;
	bps = (bps + p / 2) / p * p;
	return bps ? rate_format(bps, buf, len) : "0";
}

static const char *class_rate(const struct class_stats *s, bool ceil, char *buf, size_t len)
{
	if (!s)
		return "-";
	return short_rate(ceil ? s->ceil : s->bps, buf, len);
}

/* An RTT for its column: "6.3ms", "-" without a sample */
static const char *rtt_text(double ms, char *buf, size_t len)
{
	if (ms < 0)
		return "-";
	snprintf(buf, len, ms < 10 ? "%.1fms" : "%.0fms", ms);
	return buf;
}

static void frame_header(char *buf, size_t len)
{
	snprintf(buf, len, "%-10s %-16s %10s %10s %10s %10s %6s %10s %8s %8s %7s", "id", "name",
		 "down", "plan", "up", "plan", "%plan", "drops", "lan p50", "wan p50", "retr");
}

static void frame_line(const struct top_row *r, char *buf, size_t len)
{
	char id[CUSTOMER_ID_MAX * 4 + 1], name[17], a[RATE_BUFSZ], b[RATE_BUFSZ], c[RATE_BUFSZ],
		d[RATE_BUFSZ], e[16], f[16];
	const char *n = row_name(r);

	text_escape(id, sizeof(id), r->pl->id, strlen(r->pl->id));
	/* the column holds 16 bytes: cut at a whole character or escape */
	text_escape(name, sizeof(name), n, strlen(n));
	snprintf(buf, len, "%-10s %-16s %10s %10s %10s %10s %5u%% %10" PRIu64 " %8s %8s %7" PRIu64,
		 id, name, class_rate(r->down, false, a, sizeof(a)),
		 class_rate(r->down, true, b, sizeof(b)), class_rate(r->up, false, c, sizeof(c)),
		 class_rate(r->up, true, d, sizeof(d)), r->pct, r->drops,
		 rtt_text(r->p50[XS_LAN], e, sizeof(e)), rtt_text(r->p50[XS_WAN], f, sizeof(f)),
		 r->retransmits);
}

static int top_once(const struct xs_config *cfg, enum top_sort sort)
{
	struct top_frame fr;
	char line[TOP_LINE];
	size_t i;
	int err;

	err = frame_read(cfg, NULL, 0, 1, &fr);
	if (err == -ENOENT)
		pr_err("top: xshaper is not started\n");
	if (!err) {
		frame_sort(&fr, sort);
		frame_header(line, sizeof(line));
		printf("%s\n", line);
		for (i = 0; i < fr.n; i++) {
			frame_line(&fr.rows[i], line, sizeof(line));
			printf("%s\n", line);
		}
	}
	frame_free(&fr);
	return err ? XS_EXIT_SYSTEM : XS_EXIT_OK;
}

static void draw(const struct top_frame *fr, enum top_sort sort)
{
	char line[TOP_LINE];
	int y, rows = LINES;
	size_t i;

	erase();
	mvprintw(0, 0,
		 "xshaper top: %zu customers, %zu nodes; by %-5s  [r]ate [n]ame [d]rops [q]uit",
		 fr->v.n, fr->v.nnodes, enum_name(top_sorts, sort));
	if (!fr->started) {
		mvprintw(2, 0, "xshaper is not started");
	} else {
		frame_header(line, sizeof(line));
		attron(A_REVERSE);
		mvaddnstr(2, 0, line, COLS);
		attroff(A_REVERSE);
		for (i = 0, y = 3; i < fr->n && y < rows; i++, y++) {
			frame_line(&fr->rows[i], line, sizeof(line));
			mvaddnstr(y, 0, line, COLS);
		}
	}
	refresh();
}

static uint64_t now_msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Keys until the next second is due: false when q was pressed. */
static bool wait_keys(uint64_t due, enum top_sort *sort, struct top_frame *fr)
{
	uint64_t t;
	int ch;

	while ((t = now_msec()) < due) {
		timeout((int)(due - t));
		ch = getch();
		if (ch == 'q' || ch == 'Q')
			return false;
		if (ch == 'r' || ch == 'n' || ch == 'd') {
			*sort = ch == 'r' ? SORT_RATE : ch == 'n' ? SORT_NAME : SORT_DROPS;
			frame_sort(fr, *sort);
			draw(fr, *sort);
		}
	}
	return true;
}

static int top_live(const struct xs_config *cfg, enum top_sort sort)
{
	struct top_frame prev = {}, fr;
	uint64_t t0, t1;
	int err = 0;

	if (!initscr()) {
		pr_err("top: cannot start the terminal; try --once\n");
		return XS_EXIT_SYSTEM;
	}
	cbreak();
	noecho();
	curs_set(0);
	t0 = now_msec();
	err = frame_read(cfg, NULL, 0, 0, &prev);
	for (;;) {
		if (err && err != -ENOENT)
			break;
		draw(&prev, sort);
		if (!wait_keys(t0 + 1000, &sort, &prev))
			break;
		t1 = now_msec();
		err = frame_read(cfg, &prev, (unsigned long)(t1 - t0), 0, &fr);
		frame_sort(&fr, sort);
		frame_free(&prev);
		prev = fr;
		t0 = t1;
	}
	endwin();
	frame_free(&prev);
	if (err && err != -ENOENT) {
		pr_err("top: cannot read the counters: %s\n", strerror(-err));
		return XS_EXIT_SYSTEM;
	}
	return XS_EXIT_OK;
}

int cmd_top(const char *config, int argc, char **argv)
{
	static const struct option options[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "sort", required_argument, NULL, 's' },
		{},
	};
	unsigned int sort = SORT_RATE;
	struct xs_config cfg;
	bool once = false;
	char names[32];
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			once = true;
			break;
		case 's':
			if (enum_value(top_sorts, optarg, &sort)) {
				pr_err("top: --sort '%s': one of %s\n", optarg,
				       enum_names(top_sorts, names, sizeof(names)));
				return XS_EXIT_INVALID;
			}
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc)
		goto usage;
	if (load_config(config, &cfg))
		return XS_EXIT_INVALID;
	setlocale(LC_ALL, "");
	return once ? top_once(&cfg, sort) : top_live(&cfg, sort);
usage:
	pr_err("usage: xshaper top [--once] [--sort rate|name|drops]\n");
	return XS_EXIT_INVALID;
}
