/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_LOG_H
#define XSHAPER_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Messages above this level are dropped; default LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/*
 * Where messages go; default writes "xshaper: " + message to stderr.
 * Tests install their own sink to assert on what was reported.
 * NULL restores the default. The sink gets the message as it is written:
 * control characters escaped (common/text.h), one trailing newline, at
 * most 1024 bytes before escaping (a longer one is cut and ends in
 * " [cut]").
 */
typedef void (*log_sink_fn)(enum log_level level, const char *msg);
void log_set_sink(log_sink_fn sink);

void xs_log(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void xs_vlog(enum log_level level, const char *fmt, va_list ap);
/*
 * For text that is several lines by design (libbpf's verifier log): each
 * line a message of its own. Never for text from the operator's files.
 */
void xs_vlog_lines(enum log_level level, const char *fmt, va_list ap);

/*
 * A bound on the messages of one kind about one input file: the first
 * LOG_SHOWN_MAX are shown, the rest counted with the lines they were on,
 * and log_shown_flush says how many were not shown (the input is refused
 * or taken either way).
 */
#define LOG_SHOWN_MAX 100

struct log_shown {
	unsigned int n;
	unsigned int more, first, last; /* not shown, and their lines (0: not known) */
};

/* Whether to show a message about line (0: not known); counted either way. */
bool log_shown_take(struct log_shown *s, unsigned int line);
/* "FILE: N more WHAT (lines A-B) not shown", when some were not. */
void log_shown_flush(const struct log_shown *s, const char *file, enum log_level level,
		     const char *what);

/*
 * A progress line for a long run at a terminal, on stderr, redrawn in place
 * ("\rbuilding trees: 5/16, classes 31250/200000"): drawn at the first call,
 * then at most LOG_PROGRESS_HZ times a second. Nothing at all when stderr
 * is not a terminal (cron, a pipe, a file) or the level is below
 * LOG_LEVEL_INFO (-q). A message logged meanwhile clears the line first;
 * the next call draws it again. log_progress_end clears it for good (the
 * summary line follows), and does nothing when none was drawn.
 */
#define LOG_PROGRESS_HZ 4
void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_progress_end(void);

#define pr_err(...)   xs_log(LOG_LEVEL_ERR, __VA_ARGS__)
#define pr_warn(...)  xs_log(LOG_LEVEL_WARN, __VA_ARGS__)
#define pr_info(...)  xs_log(LOG_LEVEL_INFO, __VA_ARGS__)
#define pr_debug(...) xs_log(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* XSHAPER_LOG_H */
