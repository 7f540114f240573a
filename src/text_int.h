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

#endif /* KAVRO_TEXT_INT_H */
