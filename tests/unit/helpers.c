// SPDX-License-Identifier: GPL-2.0-only
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit/helpers.h"

struct captured {
	enum log_level level;
	char *msg;
};

/* ends the needles of capture_matching(); a NULL there is not portable */
const char capture_end_mark[] = "";

static struct captured *cap_v;
static size_t cap_n, cap_size;
static enum log_level saved_level;

static void capture_clear(void)
{
	size_t i;

	for (i = 0; i < cap_n; i++)
		free(cap_v[i].msg);
	free(cap_v);
	cap_v = NULL;
	cap_n = cap_size = 0;
}

static void capture_sink(enum log_level level, const char *msg)
{
	if (cap_n == cap_size) {
		size_t n = cap_size ? cap_size * 2 : 64;
		struct captured *v = realloc(cap_v, n * sizeof(*v));

		if (!v)
			abort();
		cap_v = v;
		cap_size = n;
	}
	cap_v[cap_n].level = level;
	cap_v[cap_n].msg = strdup(msg);
	if (!cap_v[cap_n].msg)
		abort();
	cap_n++;
}

void capture_begin(void)
{
	capture_clear();
	saved_level = log_get_level();
	log_set_level(LOG_LEVEL_DEBUG);
	log_set_sink(capture_sink);
}

void capture_end(void)
{
	log_set_sink(NULL);
	log_set_level(saved_level);
	capture_clear();
}

size_t capture_count(enum log_level level)
{
	size_t i, n = 0;

	for (i = 0; i < cap_n; i++)
		n += cap_v[i].level == level;
	return n;
}

size_t capture_matching_all(enum log_level level, ...)
{
	size_t i, n = 0;

	for (i = 0; i < cap_n; i++) {
		const char *needle;
		bool all = cap_v[i].level == level;
		va_list ap;

		va_start(ap, level);
		while (all && (needle = va_arg(ap, const char *)) != capture_end_mark)
			all = strstr(cap_v[i].msg, needle) != NULL;
		va_end(ap);
		n += all;
	}
	return n;
}

const char *capture_msg(enum log_level level, size_t i)
{
	size_t k;

	for (k = 0; k < cap_n; k++)
		if (cap_v[k].level == level && !i--)
			return cap_v[k].msg;
	return NULL;
}

void capture_dump(void)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	size_t i;

	for (i = 0; i < cap_n; i++)
		fprintf(stderr, "  [%s] %s", names[cap_v[i].level], cap_v[i].msg);
}

char *scratch_dir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&path, "%s/xshaper-test.XXXXXX", base) < 0)
		abort();
	if (!mkdtemp(path))
		abort();
	return path;
}

char *scratch_file(const char *dir, const char *name, const char *content, size_t len)
{
	char *path;
	FILE *f;

	if (len == (size_t)-1)
		len = strlen(content);
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "w");
	if (!f || fwrite(content, 1, len, f) != len || fclose(f))
		abort();
	return path;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void scratch_remove(char *dir)
{
	if (dir)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

uint64_t rng_state = 1;

uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

bool addr_in(const uint8_t *net, unsigned int len, const uint8_t *a)
{
	unsigned int i;

	for (i = 0; i < len && i < 128; i++)
		if ((net[i / 8] ^ a[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool addr_step(uint8_t *a, int d)
{
	int i;

	for (i = 15; i >= 0; i--) {
		a[i] += d;
		if (a[i] != (d > 0 ? 0x00 : 0xff))
			return true;
	}
	return false;
}
