// SPDX-License-Identifier: GPL-2.0-only
/*
 * Text on its way to a terminal or a log: control characters and bytes
 * that are not UTF-8 come out as escapes that say which bytes were there,
 * valid UTF-8 passes untouched, and every message goes through it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/text.h"
#include "unit/helpers.h"

static void expect_escape(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t done;

	done = text_escape(out, sizeof(out), in, len);
	if (done != len || strcmp(out, want))
		fail_msg("escape of %zu bytes: \"%s\" (%zu consumed), want \"%s\"", len, out, done,
			 want);
}

#define ESCAPE(in, want) expect_escape(in, sizeof(in) - 1, want)

static void test_c0_and_del(void **state)
{
	/* the window title and clear-screen sequences of the issue */
	ESCAPE("\x1b]0;PWNED\x07\x1b[2J", "\\x1b]0;PWNED\\x07\\x1b[2J");
	ESCAPE("a\nreload: 1 added\n", "a\\nreload: 1 added\\n");
	ESCAPE("\r\t", "\\r\\t");
	ESCAPE("\x01\x1f\x7f", "\\x01\\x1f\\x7f");
	ESCAPE("nul\0byte", "nul\\x00byte");
	ESCAPE(" ~", " ~");
}

static void test_backslash(void **state)
{
	/* so that an escape in the output was one in the input */
	ESCAPE("a\\b", "a\\\\b");
	ESCAPE("\\x1b", "\\\\x1b");
}

static void test_c1_as_utf8(void **state)
{
	ESCAPE("\xc2\x80", "\\u0080");
	ESCAPE("\xc2\x85", "\\u0085"); /* NEL */
	ESCAPE("\xc2\x9b[2J", "\\u009b[2J"); /* CSI */
	ESCAPE("\xc2\x9f", "\\u009f");
	/* U+00A0 on is printable */
	ESCAPE("\xc2\xa0\xc2\xbf", "\xc2\xa0\xc2\xbf");
}

static void test_invalid_bytes(void **state)
{
	/* a raw C1 byte, as a Latin-1 terminal would take it */
	ESCAPE("\x9b[2J", "\\x9b[2J");
	ESCAPE("\x80", "\\x80");
	ESCAPE("caf\xe9", "caf\\xe9"); /* Latin-1 */
	ESCAPE("\xc0\xaf", "\\xc0\\xaf"); /* overlong '/' */
	ESCAPE("\xed\xa0\x80", "\\xed\\xa0\\x80"); /* a surrogate */
	ESCAPE("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	ESCAPE("\xe6\x9d", "\\xe6\\x9d"); /* cut short */
	ESCAPE("\xe6\x9dx", "\\xe6\\x9dx");
	ESCAPE("\xff\xfe", "\\xff\\xfe");
}

static void test_utf8_untouched(void **state)
{
	ESCAPE("M\xc3\xbcller", "M\xc3\xbcller");
	ESCAPE("\xe6\x9d\xb1\xe4\xba\xac", "\xe6\x9d\xb1\xe4\xba\xac"); /* 東京 */
	ESCAPE("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* U+1F600 */
	ESCAPE("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	ESCAPE("", "");
}

static void test_cut_whole(void **state)
{
	char out[16];

	/* an escape, or a character, that does not fit is left out whole */
	assert_int_equal(text_escape(out, 5, "\x1b\x1b", 2), 1);
	assert_string_equal(out, "\\x1b");
	assert_int_equal(text_escape(out, 4, "\x1b", 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(text_escape(out, 6, "\xe6\x9d\xb1\xe4\xba\xac", 6), 3);
	assert_string_equal(out, "\xe6\x9d\xb1");
	assert_int_equal(text_escape(out, 7, "\xc2\x85", 2), 2);
	assert_int_equal(text_escape(out, 6, "\xc2\x85", 2), 0);
	assert_int_equal(text_escape(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
	assert_int_equal(text_escape(out, 0, "abc", 3), 0);
}

static int hexval(char c)
{
	return c >= 'a' ? c - 'a' + 10 : c - '0';
}

/* The inverse of text_escape, to show that the output is unambiguous. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		switch (s[1]) {
		case '\\':
			out[n++] = '\\';
			s += 2;
			break;
		case 'n':
			out[n++] = '\n';
			s += 2;
			break;
		case 'r':
			out[n++] = '\r';
			s += 2;
			break;
		case 't':
			out[n++] = '\t';
			s += 2;
			break;
		case 'x':
			out[n++] = (char)(hexval(s[2]) << 4 | hexval(s[3]));
			s += 4;
			break;
		case 'u':
			/* U+0080..U+009F in UTF-8 */
			out[n++] = (char)0xc2;
			out[n++] = (char)(hexval(s[4]) << 4 | hexval(s[5]));
			s += 6;
			break;
		default:
			fail_msg("stray backslash in \"%s\"", s);
		}
	}
	return n;
}

static void test_random_round_trip(void **state)
{
	char in[64], out[TEXT_ESCAPE_MAX * sizeof(in) + 1], back[sizeof(in)];
	unsigned int i;
	size_t len, olen, j, k;

	rng_state = 10;
	for (i = 0; i < 100000; i++) {
		len = rng() % sizeof(in);
		for (j = 0; j < len; j++) {
			/* mostly the bytes that matter: controls, C1 leads, UTF-8 */
			static const char pick[] = "a\x1b\x07\n\\\xc2\x85\x9b\xe6\x9d\xb1\x7f";

			in[j] = rng() % 2 ? pick[rng() % (sizeof(pick) - 1)] : (char)rng();
		}
		/* 4 bytes a byte is always enough */
		assert_int_equal(text_escape(out, sizeof(out), in, len), len);
		/* nothing a terminal acts on is left */
		olen = strlen(out);
		for (k = 0; k < olen; k++) {
			unsigned char c = (unsigned char)out[k];
			size_t n = text_utf8_len((const unsigned char *)out + k, olen - k);

			if (c < 0x20 || c == 0x7f || !n ||
			    (n == 2 && c == 0xc2 && (unsigned char)out[k + 1] < 0xa0))
				fail_msg("round %u: byte 0x%02x left raw at %zu of \"%s\"", i, c, k,
					 out);
			k += n - 1;
		}
		assert_int_equal(unescape(out, back), len);
		assert_memory_equal(back, in, len);
	}
}

static void test_fputs(void **state)
{
	char *buf = NULL, in[1000];
	size_t size = 0, i;
	FILE *f;

	/* longer than one internal buffer, with escapes across its edges */
	for (i = 0; i < sizeof(in) - 1; i++)
		in[i] = i % 7 ? 'a' : '\x1b';
	in[sizeof(in) - 1] = '\0';
	f = open_memstream(&buf, &size);
	assert_non_null(f);
	text_fputs(in, f);
	fclose(f);
	assert_int_equal(size, 999 + 143 * 3);
	assert_null(strchr(buf, '\x1b'));
	assert_int_equal(strncmp(buf, "\\x1baaaaaa\\x1b", 14), 0);
	free(buf);
}

/* --- the logger --------------------------------------------------------- */

static void test_log_escapes_messages(void **state)
{
	capture_begin();
	/* a quoted CSV field with a newline cannot forge a line of its own */
	pr_err("c.csv:2: id '%s' is not a whole number\n", "1\nreload: 9 added");
	assert_string_equal(capture_msg(LOG_LEVEL_ERR, 0),
			    "c.csv:2: id '1\\nreload: 9 added' is not a whole number\n");
	pr_warn("name %s\n", "\x1b]0;PWNED\x07\x1b[2J");
	assert_string_equal(capture_msg(LOG_LEVEL_WARN, 0), "name \\x1b]0;PWNED\\x07\\x1b[2J\n");
	/* only the one trailing newline is the message's own */
	pr_info("two\n\n");
	assert_string_equal(capture_msg(LOG_LEVEL_INFO, 0), "two\\n\n");
	pr_info("no newline");
	assert_string_equal(capture_msg(LOG_LEVEL_INFO, 1), "no newline");
	pr_info("M\xc3\xbcller \xe6\x9d\xb1\xe4\xba\xac\n");
	assert_string_equal(capture_msg(LOG_LEVEL_INFO, 2),
			    "M\xc3\xbcller \xe6\x9d\xb1\xe4\xba\xac\n");
	capture_end();
}

static void test_log_bounded(void **state)
{
	char big[3000];
	const char *m;

	memset(big, '\x1b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_begin();
	pr_err("%s\n", big);
	m = capture_msg(LOG_LEVEL_ERR, 0);
	/* 1024 bytes, each escaped to 4, and the mark */
	assert_int_equal(strlen(m), 1024 * 4 + strlen(" [cut]\n"));
	assert_string_equal(m + 1024 * 4, " [cut]\n");
	/* a cut leaves out a character it would split */
	memset(big, 'a', 1023);
	memcpy(big + 1023, "\xe6\x9d\xb1", 4);
	pr_err("%s\n", big);
	m = capture_msg(LOG_LEVEL_ERR, 1);
	assert_int_equal(strlen(m), 1023 + strlen(" [cut]\n"));
	assert_null(strchr(m, '\\'));
	capture_end();
}

static void lines(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xs_vlog_lines(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

static void test_log_lines(void **state)
{
	capture_begin();
	lines("-- BEGIN --\n%s-- END --\n", "0: r0 = 1\n\x1b\n");
	assert_int_equal(capture_count(LOG_LEVEL_INFO), 4);
	assert_string_equal(capture_msg(LOG_LEVEL_INFO, 0), "-- BEGIN --\n");
	assert_string_equal(capture_msg(LOG_LEVEL_INFO, 1), "0: r0 = 1\n");
	assert_string_equal(capture_msg(LOG_LEVEL_INFO, 2), "\\x1b\n");
	assert_string_equal(capture_msg(LOG_LEVEL_INFO, 3), "-- END --\n");
	capture_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_c1_as_utf8),
		cmocka_unit_test(test_invalid_bytes),
		cmocka_unit_test(test_utf8_untouched),
		cmocka_unit_test(test_cut_whole),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_fputs),
		cmocka_unit_test(test_log_escapes_messages),
		cmocka_unit_test(test_log_bounded),
		cmocka_unit_test(test_log_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
