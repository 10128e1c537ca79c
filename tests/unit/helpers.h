/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the unit tests: capture what the code logs, and scratch
 * directories that are removed again.
 */
#ifndef XSHAPER_TEST_HELPERS_H
#define XSHAPER_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

/* Route every message (debug included) into memory until capture_end(). */
void capture_begin(void);
void capture_end(void);
/* Messages of exactly this level captured so far. */
size_t capture_count(enum log_level level);
/* How many messages of this level contain every one of the needles. */
#define capture_matching(level, ...) capture_matching_all(level, __VA_ARGS__, capture_end_mark)
extern const char capture_end_mark[];
size_t capture_matching_all(enum log_level level, ...);
/* The i-th captured message of this level, NULL past the end. */
const char *capture_msg(enum log_level level, size_t i);
/* Print what was captured to stderr, for a failing test's log. */
void capture_dump(void);

/* A fresh directory under $TMPDIR or /tmp; free with scratch_remove(). */
char *scratch_dir(void);
/* Write content (len bytes, or strlen when len is (size_t)-1) to dir/name. */
char *scratch_file(const char *dir, const char *name, const char *content, size_t len);
/* Remove the directory and everything in it, and free the path. */
void scratch_remove(char *dir);

/* xorshift64: the same numbers for the same seed, everywhere */
extern uint64_t rng_state;
uint64_t rng(void);

/* Addresses as 16 bytes, IPv4 mapped: is a inside net/len? */
bool addr_in(const uint8_t *net, unsigned int len, const uint8_t *a);
/* a + d (d = -1 or 1) in 128 bits; false when it wraps */
bool addr_step(uint8_t *a, int d);

#endif /* XSHAPER_TEST_HELPERS_H */
