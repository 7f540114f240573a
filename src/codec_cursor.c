/*
 * kavro - the decode cursor's out-of-line half: its set-up, the slow
 * paths of the inline reads in kavro/codec.h, the collection block, and
 * the one place each decoding failure gets its text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "codec_int.h"
#include "common_error_int.h"

void kavro_decode_limits_init(kavro_decode_limits_t *limits) {
  if (!limits)
    return;
  limits->struct_size = sizeof(*limits);
  limits->max_depth = KAVRO_DECODE_DEFAULT_MAX_DEPTH;
  limits->max_collection = KAVRO_DECODE_DEFAULT_MAX_COLLECTION;
  limits->max_elements = KAVRO_DECODE_DEFAULT_MAX_ELEMENTS;
  limits->max_length = KAVRO_DECODE_DEFAULT_MAX_LENGTH;
}

/* Whether the caller's limits struct is new enough to hold @member. */
#define LIMITS_HAVE(limits, member)                                          \
  ((limits)->struct_size >= offsetof(kavro_decode_limits_t, member) +        \
                                sizeof((limits)->member))

void kv_limits_complete(const kavro_decode_limits_t *given,
                        kavro_decode_limits_t *out) {
  kavro_decode_limits_init(out);
  if (!given)
    return;
  if (given->max_depth)
    out->max_depth = given->max_depth;
  if (given->max_collection)
    out->max_collection = given->max_collection;
  if (given->max_elements)
    out->max_elements = given->max_elements;
  if (LIMITS_HAVE(given, max_length) && given->max_length)
    out->max_length = given->max_length;
}

const kavro_decode_limits_t kv_default_limits = {
    sizeof(kavro_decode_limits_t), KAVRO_DECODE_DEFAULT_MAX_DEPTH,
    KAVRO_DECODE_DEFAULT_MAX_COLLECTION, KAVRO_DECODE_DEFAULT_MAX_ELEMENTS,
    KAVRO_DECODE_DEFAULT_MAX_LENGTH};

void kavro_cursor_init(kavro_cursor_t *c, const void *data, size_t size,
                       const kavro_decode_limits_t *limits,
                       kavro_error_t *error) {
  kv_cursor_setup(c, data, size, limits, error);
}

kavro_err_t kavro_cursor_fail(kavro_cursor_t *c, const char *fmt, ...) {
  char text[KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  return kv_error_set(c->error, KAVRO_ERR_DECODE, "at byte %zu: %s",
                      (size_t)(c->p - c->start), text);
}

kavro_err_t kavro_cursor_limit(kavro_cursor_t *c, const char *what,
                               size_t bound) {
  return kv_error_set(c->error, KAVRO_ERR_LIMIT,
                      "at byte %zu: %s exceeds the limit of %zu",
                      (size_t)(c->p - c->start), what, bound);
}

kavro_err_t kavro_cursor_trailing(kavro_cursor_t *c) {
  return kavro_cursor_fail(c, "%zu trailing bytes after the datum",
                           kavro_cursor_left(c));
}

/* Near the end of the body fewer than KAVRO_MAX_VARINT bytes are left, so
 * kavro_varint_scan() may not look ahead: read byte by byte, with the fast
 * path's verdicts (a tenth byte above 1 is too long a number). */
kavro_err_t kavro_cursor_long_slow(kavro_cursor_t *c, int64_t *out) {
  uint64_t z = 0;
  const unsigned char *p = c->p;
  for (unsigned i = 0; i < KAVRO_MAX_VARINT; i++) {
    if (p == c->end)
      return kavro_cursor_fail(c, "body ends inside a number");
    unsigned char b = *p++;
    if (i == KAVRO_MAX_VARINT - 1 && b > 1)
      break;
    z |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      c->p = p;
      *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      return KAVRO_OK;
    }
  }
  return kavro_cursor_fail(c, "number is longer than 64 bits");
}

kavro_err_t kavro_cursor_bad_run(kavro_cursor_t *c, int64_t n) {
  if (n < 0)
    return kavro_cursor_fail(c, "length %lld is negative", (long long)n);
  if ((uint64_t)n > kavro_cursor_left(c))
    return kavro_cursor_fail(c, "length %lld is more than the %zu bytes left",
                             (long long)n, kavro_cursor_left(c));
  return kavro_cursor_limit(c, "string or bytes length", c->max_length);
}

kavro_err_t kavro_cursor_block(kavro_cursor_t *c, size_t *seen, size_t *count,
                               bool item_may_be_empty) {
  int64_t n;
  KAVRO_TRY(kavro_cursor_long(c, &n));
  if (n < 0) {
    /* A negative count is followed by the block's size in bytes. */
    int64_t bytes;
    if (n == INT64_MIN)
      return kavro_cursor_fail(c, "block count is out of range");
    n = -n;
    KAVRO_TRY(kavro_cursor_long(c, &bytes));
    if (bytes < 0 || (uint64_t)bytes > kavro_cursor_left(c))
      return kavro_cursor_fail(c, "block size %lld does not fit the %zu "
                               "bytes left", (long long)bytes,
                               kavro_cursor_left(c));
  }
  const kavro_decode_limits_t *lim = c->limits;
  /* The bound is on the whole collection, whatever its split in blocks. */
  if ((uint64_t)n > lim->max_collection - *seen)
    return kavro_cursor_limit(c, "collection size", lim->max_collection);
  if ((uint64_t)n > lim->max_elements - c->elements)
    return kavro_cursor_limit(c, "number of collection items",
                              lim->max_elements);
  if (!item_may_be_empty && (uint64_t)n > kavro_cursor_left(c))
    return kavro_cursor_fail(c, "count %lld is more than the %zu bytes left",
                             (long long)n, kavro_cursor_left(c));
  c->elements += (size_t)n;
  *seen += (size_t)n;
  *count = (size_t)n;
  return KAVRO_OK;
}

size_t kv_utf8_sequence(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 && c <= 0xf4 ? 4 : 0;
  if (len == 0 || len > n || (len == 2 && c < 0xc2))
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
  for (size_t i = 1; i < len; i++)
    cp = (cp << 6) | (s[i] & 0x3fu);
  static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}
