// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "common/log.h"

static enum log_level current_level = LOG_LEVEL_INFO;
static log_sink_fn current_sink;

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

void xs_vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > current_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (current_sink) {
		current_sink(level, msg);
		return;
	}
	fprintf(stderr, "xshaper: %s%s", level == LOG_LEVEL_WARN ? "warning: " : "", msg);
}

void xs_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xs_vlog(level, fmt, ap);
	va_end(ap);
}
