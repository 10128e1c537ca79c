/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XSHAPER_TEXT_H
#define XSHAPER_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Text from the operator's files and the command line (a customer's name,
 * a CSV field, an interface name) on its way to a terminal or a log.
 * Control characters in it must not reach either raw: ESC sequences retitle
 * or clear a terminal, a newline forges a log line of its own. Everything
 * that is not printable is written as an escape that says exactly which
 * bytes were there:
 *
 *   \\          a backslash, so that the output reads back unambiguously
 *   \n \r \t    newline, carriage return, tab
 *   \xHH        any other C0 control (0x00-0x1f), DEL (0x7f), and every
 *               byte that is not part of a valid UTF-8 sequence (a stray
 *               0x80-0x9f, Latin-1 text, overlong forms, surrogates)
 *   \u0080 ..   the C1 controls U+0080..U+009F, which are valid UTF-8
 *   \u009f      (0xc2 0x80..0x9f) but controls all the same
 *
 * Printable ASCII and valid UTF-8 from U+00A0 up ("Müller", "東京") pass
 * through untouched. JSON and Prometheus output have their own escaping
 * (cmd/report.c) and do not use this.
 */

/* The longest escape of one input byte ("\xHH"): 4 * len + 1 always fits. */
#define TEXT_ESCAPE_MAX 4

/*
 * Escape len bytes of src into dst (size bytes, NUL-terminated). An escape
 * or a UTF-8 character that does not fit whole is left out, and so is the
 * rest. Returns the number of bytes of src that were written; len when
 * all of it fit.
 */
size_t text_escape(char *dst, size_t size, const char *src, size_t len);

/* Write the string s to f, escaped. */
void text_fputs(const char *s, FILE *f);

/*
 * Length of the valid UTF-8 sequence at s (1 for ASCII, 2..4), 0 when the
 * first of the avail bytes there do not start one (avail > 0).
 */
size_t text_utf8_len(const unsigned char *s, size_t avail);

#endif /* XSHAPER_TEXT_H */
