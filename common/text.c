// SPDX-License-Identifier: GPL-2.0-only
#include <stdint.h>
#include <string.h>

#include "common/text.h"

size_t text_utf8_len(const unsigned char *s, size_t avail)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF are not UTF-8 */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * The escape of the character of n bytes at s into esc (room for 7), and
 * its length; 0 when the character stands for itself. n is 1 for a byte
 * that is not valid UTF-8.
 */
static size_t escape_char(const unsigned char *s, size_t n, char *esc)
{
	static const char hex[] = "0123456789abcdef";

	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
		memcpy(esc, "\\u00", 4);
		esc[4] = hex[s[1] >> 4];
		esc[5] = hex[s[1] & 0xf];
		return 6;
	}
	if (n != 1)
		return 0;
	switch (s[0]) {
	case '\\':
		memcpy(esc, "\\\\", 2);
		return 2;
	case '\n':
		memcpy(esc, "\\n", 2);
		return 2;
	case '\r':
		memcpy(esc, "\\r", 2);
		return 2;
	case '\t':
		memcpy(esc, "\\t", 2);
		return 2;
	}
	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 0;
	memcpy(esc, "\\x", 2);
	esc[2] = hex[s[0] >> 4];
	esc[3] = hex[s[0] & 0xf];
	return 4;
}

size_t text_escape(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n, k;
	const char *out;
	char esc[8];

	if (!size)
		return 0;
	while (i < len) {
		n = text_utf8_len(s + i, len - i);
		if (!n)
			n = 1;
		k = escape_char(s + i, n, esc);
		out = k ? esc : src + i;
		if (!k)
			k = n;
		if (k >= size - o)
			break;
		memcpy(dst + o, out, k);
		o += k;
		i += n;
	}
	dst[o] = '\0';
	return i;
}

void text_fputs(const char *s, FILE *f)
{
	size_t len = strlen(s), done;
	char buf[256];

	while (len) {
		done = text_escape(buf, sizeof(buf), s, len);
		fputs(buf, f);
		s += done;
		len -= done;
	}
}
