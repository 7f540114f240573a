/*
 * kavro bench - the pieces every hand-written limit is made of
 * (service_order_limit.h, pyxis_order_limit.h): the framing header, varints,
 * strings copied inline and read as views, each bound checked as the
 * fastest careful C checks it.  All inline: a limit is straight-line code
 * for exactly its record, and calls would only hide that.
 *
 * Writers take a pointer into a buffer the caller has already sized (one
 * capacity check per message) and return the position after what they
 * wrote.  Readers take a limit_in_t and return false on bytes that break a
 * rule (varint overflow, a length past the end, an int out of range).
 */
#ifndef KAVRO_BENCH_LIMIT_CODEC_H
#define KAVRO_BENCH_LIMIT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A string: its bytes, not NUL-terminated. */
typedef struct limit_str_s {
  const char *data;
  size_t length;
} limit_str_t;

/* The longest varint of a 64-bit value. */
#define LIMIT_VARINT_MAX 10
/* The framing header: magic byte and big-endian schema id. */
#define LIMIT_HEADER_SIZE 5

/* ---- writing ------------------------------------------------------------ */

static inline unsigned char *limit_put_header(unsigned char *p,
                                              uint32_t schema_id) {
  uint32_t id_be = __builtin_bswap32(schema_id);
  p[0] = 0;
  memcpy(p + 1, &id_be, 4);
  return p + LIMIT_HEADER_SIZE;
}

static inline unsigned char *limit_put_varint(unsigned char *p, uint64_t z) {
  while (z > 0x7f) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}

static inline unsigned char *limit_put_long(unsigned char *p, int64_t value) {
  return limit_put_varint(p,
                          ((uint64_t)value << 1) ^ (uint64_t)(value >> 63));
}

/* A non-negative value below 64 (a union branch, an enum symbol): its
 * zigzag varint is one byte. */
static inline unsigned char *limit_put_small(unsigned char *p,
                                             unsigned value) {
  *p = (unsigned char)(value << 1);
  return p + 1;
}

/* @n bytes of @s to @p: two overlapping moves of one width cover any
 * length from that width to twice it, without a call or a loop. */
static inline void limit_copy_short(unsigned char *p, const char *s,
                                    size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t head, tail;
    memcpy(&head, s, 8);
    memcpy(&tail, s + n - 8, 8);
    memcpy(p, &head, 8);
    memcpy(p + n - 8, &tail, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t head, tail;
    memcpy(&head, s, 4);
    memcpy(&tail, s + n - 4, 4);
    memcpy(p, &head, 4);
    memcpy(p + n - 4, &tail, 4);
  } else if (n > 16) {
    memcpy(p, s, n);
  } else {
    for (size_t i = 0; i < n; i++)
      p[i] = (unsigned char)s[i];
  }
}

static inline unsigned char *limit_put_str(unsigned char *p, limit_str_t s) {
  if (s.length < 64)
    *p++ = (unsigned char)(s.length << 1); /* one-byte length */
  else
    p = limit_put_long(p, (int64_t)s.length);
  limit_copy_short(p, s.data, s.length);
  return p + s.length;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct limit_in_s {
  const unsigned char *p, *end;
} limit_in_t;

/* The body of a frame of @size bytes at @data carrying @schema_id, or
 * false when the magic byte or the id is wrong. */
static inline bool limit_get_header(const unsigned char *data, size_t size,
                                    uint32_t schema_id, limit_in_t *in) {
  uint32_t id_be;
  if (size < LIMIT_HEADER_SIZE || data[0] != 0)
    return false;
  memcpy(&id_be, data + 1, 4);
  if (__builtin_bswap32(id_be) != schema_id)
    return false;
  *in = (limit_in_t){data + LIMIT_HEADER_SIZE, data + size};
  return true;
}

static inline bool limit_get_long(limit_in_t *in, int64_t *out) {
  uint64_t z = 0;
  for (unsigned shift = 0; shift < 64 && in->p < in->end; shift += 7) {
    unsigned char b = *in->p++;
    /* The tenth byte holds the top bit only. */
    if (shift == 63 && b > 1)
      return false;
    z |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      return true;
    }
  }
  return false;
}

static inline bool limit_get_int(limit_in_t *in, int32_t *out) {
  int64_t l;
  if (!limit_get_long(in, &l) || l < INT32_MIN || l > INT32_MAX)
    return false;
  *out = (int32_t)l;
  return true;
}

/* A value below @count written as one byte (a union branch, an enum
 * symbol). */
static inline bool limit_get_small(limit_in_t *in, unsigned count,
                                   unsigned *out) {
  if (in->p == in->end || (*in->p & 1) || *in->p >> 1 >= count)
    return false;
  *out = *in->p++ >> 1;
  return true;
}

/* A string as a view into the input. */
static inline bool limit_get_str(limit_in_t *in, limit_str_t *s) {
  int64_t n;
  if (in->p < in->end && *in->p < 0x80) { /* one-byte length */
    n = (int64_t)(*in->p >> 1) ^ -(int64_t)(*in->p & 1);
    in->p++;
  } else if (!limit_get_long(in, &n)) {
    return false;
  }
  if (n < 0 || n > in->end - in->p)
    return false;
  s->data = (const char *)in->p;
  s->length = (size_t)n;
  in->p += n;
  return true;
}

/* The item count of an array or map block (0: the end); a negative count
 * is followed by the block's size in bytes, which must fit in what is
 * left. */
static inline bool limit_get_block(limit_in_t *in, uint64_t *count) {
  int64_t n, bytes;
  if (!limit_get_long(in, &n))
    return false;
  if (n < 0) {
    if (n == INT64_MIN || !limit_get_long(in, &bytes) || bytes < 0 ||
        bytes > in->end - in->p)
      return false;
    n = -n;
  }
  *count = (uint64_t)n;
  return true;
}

#endif
