/*
 * kavro - small text helpers shared by parts that read URLs, ids and hex.
 */
#ifndef KAVRO_TEXT_INT_H
#define KAVRO_TEXT_INT_H

/* The value of hex digit @c (either case), or -1. */
static inline int kv_hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

#include <stdbool.h>
#include <stddef.h>

/* Room kv_format_real() needs, NUL included. */
#define KV_REAL_TEXT_SIZE 64

/* Write finite @d into @out (KV_REAL_TEXT_SIZE bytes) as the shortest text
 * that reads back to it (to its float value when @as_float): the fewest
 * significant digits that round-trip, without an exponent from 1e-4 up to
 * 1e16 as Python's repr does, always with a '.' or an exponent so that it
 * reads back as a real, and with '.' whatever the locale.  Returns the
 * length.  DESIGN.md's rule for every number kavro prints. */
size_t kv_format_real(char *out, double d, bool as_float);

#endif /* KAVRO_TEXT_INT_H */
