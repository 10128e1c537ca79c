// SPDX-License-Identifier: GPL-2.0-only
/*
 * rate_parse on arbitrary text, and the round trip both ways: what parses
 * prints as something that parses to the same rate, and every rate prints
 * as something that parses back to it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/rate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], buf[RATE_BUFSZ];
	uint64_t bps, back, raw = 0;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!rate_parse(text, &bps)) {
		if (bps < 8)
			__builtin_trap();
		rate_format(bps, buf, sizeof(buf));
		if (rate_parse(buf, &back) || back != bps)
			__builtin_trap();
	}

	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	if (raw >= 8) {
		rate_format(raw, buf, sizeof(buf));
		if (rate_parse(buf, &back) || back != raw)
			__builtin_trap();
	}
	return 0;
}
