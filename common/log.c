// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"

/* Longer messages are cut (at a character) and marked so. */
#define LOG_MAX 1024
#define LOG_CUT " [cut]"

static enum log_level current_level = LOG_LEVEL_INFO;
static log_sink_fn current_sink;

/* The progress line: how wide it is on the terminal (0: not drawn), when it was drawn. */
static struct {
	size_t width;
	double drawn;
	bool stale; /* a message cleared it: draw at the next call */
} progress;

static void progress_clear(void);

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_set_sink(log_sink_fn sink)
{
	current_sink = sink;
}

/* Leave out a UTF-8 character that a cut at len split. */
static size_t cut_at_char(const char *s, size_t len)
{
	size_t k = len;

	while (k && len - k < 3 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k && (unsigned char)s[k - 1] >= 0xc0 &&
	    !text_utf8_len((const unsigned char *)s + k - 1, len - k + 1))
		return k - 1;
	return len;
}

/*
 * Write one message of len bytes (at most LOG_MAX; cut: it was longer),
 * escaped: text from a customer list or a command line can neither drive
 * the terminal nor start a line of its own. The one trailing newline is
 * the message's own and stays.
 */
static void emit(enum log_level level, const char *raw, size_t len, bool cut)
{
	char msg[TEXT_ESCAPE_MAX * LOG_MAX + sizeof(LOG_CUT) + 2];
	bool nl = len && raw[len - 1] == '\n';
	size_t n;

	if (nl)
		len--;
	else if (cut)
		len = cut_at_char(raw, len);
	text_escape(msg, sizeof(msg), raw, len);
	n = strlen(msg);
	if (cut) {
		memcpy(msg + n, LOG_CUT, sizeof(LOG_CUT) - 1);
		n += sizeof(LOG_CUT) - 1;
	}
	if (nl || cut)
		msg[n++] = '\n';
	msg[n] = '\0';
	if (current_sink) {
		current_sink(level, msg);
		return;
	}
	progress_clear();
	fprintf(stderr, "xshaper: %s%s", level == LOG_LEVEL_WARN ? "warning: " : "", msg);
}

void xs_vlog(enum log_level level, const char *fmt, va_list ap)
{
	char raw[LOG_MAX + 1];
	int r;

	if (level > current_level)
		return;
	r = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (r < 0)
		return;
	emit(level, raw, strlen(raw), (size_t)r > LOG_MAX);
}

void xs_vlog_lines(enum log_level level, const char *fmt, va_list ap)
{
	char *text, *p, *eol;
	size_t len;

	if (level > current_level)
		return;
	if (vasprintf(&text, fmt, ap) < 0)
		return;
	for (p = text; *p; p += len) {
		eol = strchr(p, '\n');
		len = eol ? (size_t)(eol - p) + 1 : strlen(p);
		if (len > LOG_MAX)
			emit(level, p, LOG_MAX, true);
		else
			emit(level, p, len, false);
	}
	free(text);
}

void xs_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xs_vlog(level, fmt, ap);
	va_end(ap);
}

bool log_shown_take(struct log_shown *s, unsigned int line)
{
	if (s->n < LOG_SHOWN_MAX) {
		s->n++;
		return true;
	}
	if (line && (!s->first || line < s->first))
		s->first = line;
	if (line > s->last)
		s->last = line;
	s->more++;
	return false;
}

void log_shown_flush(const struct log_shown *s, const char *file, enum log_level level,
		     const char *what)
{
	if (!s->more)
		return;
	if (s->last)
		xs_log(level, "%s: %u more %s (lines %u-%u) not shown\n", file, s->more, what,
		       s->first, s->last);
	else
		xs_log(level, "%s: %u more %s not shown\n", file, s->more, what);
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Blank the line in place: spaces rather than an escape, for any terminal. */
static void progress_clear(void)
{
	if (!progress.width)
		return;
	fprintf(stderr, "\r%*s\r", (int)progress.width, "");
	fflush(stderr);
	progress.width = 0;
	progress.stale = true;
}

void log_progress(const char *fmt, ...)
{
	char line[160];
	double t = monotonic();
	va_list ap;
	size_t len;

	if (current_level < LOG_LEVEL_INFO || !isatty(STDERR_FILENO))
		return;
	if (progress.width && !progress.stale && t - progress.drawn < 1.0 / LOG_PROGRESS_HZ)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	len = strlen(line);
	/* a shorter line than the last leaves none of it behind */
	fprintf(stderr, "\r%s%*s", line, progress.width > len ? (int)(progress.width - len) : 0,
		"");
	fflush(stderr);
	progress.width = len > progress.width ? len : progress.width;
	progress.drawn = t;
	progress.stale = false;
}

void log_progress_end(void)
{
	progress_clear();
	progress.stale = false;
}
