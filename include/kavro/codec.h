/*
 * kavro - the Avro binary primitives, once: zig-zag varints, IEEE floats
 * little-endian, length-prefixed runs, enum symbols and union branches,
 * collection blocks, the decode limits and the error each failure gets.
 *
 * The generic value codec (serde.h) and the code `kavro gen` writes
 * (typed.h, typed_gen.h) read and write through these and nothing else,
 * so that a body gets the same verdict, the same limits and the same
 * error text on either path.
 *
 * Inline where it is a hot path.  The cursor and the functions taking one
 * are part of the ABI of generated code (see typed_gen.h and its
 * KAVRO_TYPED_ABI_VERSION); applications call the entry points of serde.h
 * and typed.h instead.
 *
 * Thread safety: every function touches only its arguments; a cursor, like
 * a buffer, is one thread's at a time.
 */
#ifndef KAVRO_CODEC_H
#define KAVRO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kavro/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The primitives below are the inner loop of every encoder and decoder:
 * inlined even where the compiler would weigh a record's dozen calls as
 * too much code. */
#if defined(__GNUC__) || defined(__clang__)
#define KAVRO_INLINE static inline __attribute__((always_inline))
#define KAVRO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KAVRO_INLINE static inline
#define KAVRO_PRINTF(f, a)
#endif

/** Return from the calling function when @p expr fails. */
#define KAVRO_TRY(expr)                                                        \
  do {                                                                         \
    kavro_err_t kavro_try_err_ = (expr);                                       \
    if (kavro_try_err_ != KAVRO_OK)                                            \
      return kavro_try_err_;                                                   \
  } while (0)

/** The longest zig-zag varint: ten bytes carry 64 bits. */
#define KAVRO_MAX_VARINT 10

/**
 * @name Output buffer
 *
 * A growable byte buffer that keeps its memory across messages: reset it
 * and encode again, and once it has grown to the largest message it never
 * allocates again.
 * @{
 */

/** A reusable output buffer.  Opaque. */
typedef struct kavro_buf_s kavro_buf_t;

/** Default bound on a buffer's size (64 MiB). */
#define KAVRO_BUF_DEFAULT_MAX_SIZE (64u * 1024u * 1024u)

/**
 * A new empty buffer with room for @p capacity bytes (0: allocate on first
 * use) that refuses to grow past @p max_size bytes (0: the default), with
 * KAVRO_ERR_LIMIT.  Returns NULL when out of memory.  The caller frees it
 * with kavro_buf_destroy().
 */
KAVRO_EXPORT kavro_buf_t *kavro_buf_new(size_t capacity, size_t max_size);

/** Free @p buf and its memory.  NULL-safe. */
KAVRO_EXPORT void kavro_buf_destroy(kavro_buf_t *buf);

/** Empty @p buf, keeping its memory. */
KAVRO_EXPORT void kavro_buf_reset(kavro_buf_t *buf);

/** The bytes in @p buf.  Valid until the next call that changes @p buf. */
KAVRO_EXPORT const unsigned char *kavro_buf_data(const kavro_buf_t *buf);

/** Number of bytes in @p buf. */
KAVRO_EXPORT size_t kavro_buf_length(const kavro_buf_t *buf);
/** @} */

/**
 * @name Decode limits
 *
 * A body is untrusted: every length is checked against the bytes left
 * before anything is copied or allocated, negative lengths are refused,
 * and nesting depth, collection sizes and string lengths are bounded.
 * @{
 */

#define KAVRO_DECODE_DEFAULT_MAX_DEPTH 128u
/** Default bound on the items of one array or map. */
#define KAVRO_DECODE_DEFAULT_MAX_COLLECTION (1u << 24)
/** Default bound on the array items and map entries of one datum. */
#define KAVRO_DECODE_DEFAULT_MAX_ELEMENTS (1u << 26)
/** Default bound on the bytes of one string, bytes value or map key. */
#define KAVRO_DECODE_DEFAULT_MAX_LENGTH (64u << 20)

/** Decode limits.  Initialise with kavro_decode_limits_init(); a field
 *  left 0 takes its default. */
typedef struct kavro_decode_limits_s {
  size_t struct_size;     /**< set by kavro_decode_limits_init() */
  unsigned max_depth;     /**< records, arrays, maps, unions nested */
  size_t max_collection;  /**< items of one array or entries of one map,
                               over all its blocks */
  size_t max_elements;    /**< items and entries of one datum, in total */
  size_t max_length;      /**< bytes of one string, bytes value or map key
                               (added in 0.1; read only when struct_size
                               covers it) */
} kavro_decode_limits_t;

/** Fill @p limits with the defaults. */
KAVRO_EXPORT void kavro_decode_limits_init(kavro_decode_limits_t *limits);
/** @} */

/**
 * @name Writing
 * Each writes at @p p, where the caller has reserved the room, and returns
 * the end of what it wrote.
 * @{
 */

/** Bytes of the zig-zag varint of @p value. */
KAVRO_INLINE size_t kavro_varint_size(int64_t value) {
  uint64_t z = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
  size_t n = 1;
  while (z > 0x7f) {
    z >>= 7;
    n++;
  }
  return n;
}

/** The varint of @p z, already in zig-zag form. */
KAVRO_INLINE unsigned char *kavro_put_zigzag(unsigned char *p, uint64_t z) {
  while (z > 0x7f) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}

/** The zig-zag varint of @p value (an int or a long). */
KAVRO_INLINE unsigned char *kavro_put_varint(unsigned char *p, int64_t value) {
  return kavro_put_zigzag(p, ((uint64_t)value << 1) ^ (uint64_t)(value >> 63));
}

/** Copy @p n bytes of @p data to @p p.  Most strings of an event are
 *  short (codes, ids): up to 16 bytes the copy is two overlapping moves of
 *  one width, which cover any length from that width to twice it, with no
 *  call and no loop; longer ones go to memcpy(). */
KAVRO_INLINE void kavro_copy(unsigned char *p, const void *data, size_t n) {
  const unsigned char *s = (const unsigned char *)data;
  if (n > 16) {
    memcpy(p, s, n);
  } else if (n >= 8) {
    uint64_t head, tail;
    memcpy(&head, s, 8);
    memcpy(&tail, s + n - 8, 8);
    memcpy(p, &head, 8);
    memcpy(p + n - 8, &tail, 8);
  } else if (n >= 4) {
    uint32_t head, tail;
    memcpy(&head, s, 4);
    memcpy(&tail, s + n - 4, 4);
    memcpy(p, &head, 4);
    memcpy(p + n - 4, &tail, 4);
  } else if (n) { /* 1 to 3 bytes: first, middle, last */
    p[0] = s[0];
    p[n / 2] = s[n / 2];
    p[n - 1] = s[n - 1];
  }
}

KAVRO_INLINE unsigned char *kavro_put_raw(unsigned char *p, const void *data,
                                          size_t n) {
  kavro_copy(p, data, n);
  return p + n;
}

KAVRO_INLINE unsigned char *kavro_put_bool(unsigned char *p, bool value) {
  *p = (unsigned char)(value ? 1 : 0);
  return p + 1;
}

/** The low @p n bytes of @p bits, least significant first (Avro's floats
 *  and doubles, whatever the host's byte order). */
KAVRO_INLINE unsigned char *kavro_put_le(unsigned char *p, uint64_t bits,
                                         unsigned n) {
  for (unsigned i = 0; i < n; i++)
    p[i] = (unsigned char)(bits >> (8 * i));
  return p + n;
}

KAVRO_INLINE unsigned char *kavro_put_float(unsigned char *p, float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return kavro_put_le(p, bits, 4);
}

KAVRO_INLINE unsigned char *kavro_put_double(unsigned char *p, double value) {
  uint64_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return kavro_put_le(p, bits, 8);
}
/** @} */

/**
 * @name Reading
 * A cursor over one untrusted body.  Every read checks the bytes left and
 * fails with KAVRO_ERR_DECODE ("at byte N: what was wrong") or, past a
 * decode limit, KAVRO_ERR_LIMIT ("at byte N: WHAT exceeds the limit of
 * M"); counts are bounded by the limits, and by the bytes left when an
 * item takes at least one byte, before anything is allocated.
 * @{
 */
typedef struct kavro_cursor_s {
  const unsigned char *start;  /**< the body's first byte */
  const unsigned char *p;      /**< the next byte */
  const unsigned char *end;    /**< one past the body */
  /** The limits, every field set: kept by the decoder that owns the
   *  cursor, so that the cursor's layout does not depend on the limits'
   *  (which grow by struct_size). */
  const kavro_decode_limits_t *limits;
  kavro_error_t *error;        /**< where a failure is told; may be NULL */
  unsigned depth;              /**< records, arrays, maps, unions entered */
  size_t elements;             /**< array items and map entries so far */
  /** The two limits the inline reads test, copied from @c limits so that
   *  a string or a nested value costs no extra load. */
  size_t max_length;
  unsigned max_depth;
} kavro_cursor_t;

/**
 * Start reading the @p size bytes at @p data under @p limits, which must
 * stay valid while the cursor is used.  NULL @p limits: the defaults.
 * Limits given with fields left 0 are completed by the decoders (see
 * kavro_decoder_new()), not here.
 */
KAVRO_EXPORT void kavro_cursor_init(kavro_cursor_t *c, const void *data,
                                    size_t size,
                                    const kavro_decode_limits_t *limits,
                                    kavro_error_t *error);

/** Fail at the cursor: KAVRO_ERR_DECODE, "at byte N: " and @p fmt. */
KAVRO_EXPORT kavro_err_t kavro_cursor_fail(kavro_cursor_t *c, const char *fmt,
                                           ...) KAVRO_PRINTF(2, 3);

/** Fail at the cursor: KAVRO_ERR_LIMIT, "@p what exceeds the limit of
 *  @p bound". */
KAVRO_EXPORT kavro_err_t kavro_cursor_limit(kavro_cursor_t *c,
                                            const char *what, size_t bound);

/** Fail because bytes are left after a datum that must fill the body:
 *  KAVRO_ERR_DECODE. */
KAVRO_EXPORT kavro_err_t kavro_cursor_trailing(kavro_cursor_t *c);

/** The slow path of kavro_cursor_long(): a varint near the end of the
 *  body, or one longer than 64 bits, each with its own error. */
KAVRO_EXPORT kavro_err_t kavro_cursor_long_slow(kavro_cursor_t *c,
                                                int64_t *out);

/** Bytes left in the body. */
KAVRO_INLINE size_t kavro_cursor_left(const kavro_cursor_t *c) {
  return (size_t)(c->end - c->p);
}

/** The seven-bit groups of the @p n (1 to 8) bytes in @p w, first byte
 *  lowest, packed together: three steps of pairing instead of a step a
 *  byte. */
KAVRO_INLINE uint64_t kavro_varint_pack(uint64_t w, unsigned n) {
  if (n < 8)
    w &= ((uint64_t)1 << (8 * n)) - 1;
  w &= 0x7f7f7f7f7f7f7f7fu;
  w = (w & 0x007f007f007f007fu) | ((w & 0x7f007f007f007f00u) >> 1);
  w = (w & 0x00003fff00003fffu) | ((w & 0x3fff00003fff0000u) >> 2);
  return (w & 0x000000000fffffffu) | ((w & 0x0fffffff00000000u) >> 4);
}

/** The varint at @p p, which must have KAVRO_MAX_VARINT bytes readable:
 *  its zig-zag value in @p *z and its length, or 0 when it is longer than
 *  64 bits. */
KAVRO_INLINE size_t kavro_varint_scan(const unsigned char *p, uint64_t *z) {
  uint64_t w;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(&w, p, 8);   /* one load: compilers do not fuse the loop below */
#else
  w = 0;
  for (unsigned i = 0; i < 8; i++)   /* first byte lowest */
    w |= (uint64_t)p[i] << (8 * i);
#endif
  uint64_t ends = ~w & 0x8080808080808080u;   /* bytes without a next */
  if (ends) {
#if defined(__GNUC__) || defined(__clang__)
    unsigned n = (unsigned)__builtin_ctzll(ends) / 8 + 1;
#else
    unsigned n = 1;
    while (!(ends & ((uint64_t)0x80 << (8 * (n - 1)))))
      n++;
#endif
    *z = kavro_varint_pack(w, n);
    return n;
  }
  /* Nine or ten bytes: the tenth may only carry the top bit of 64. */
  uint64_t v = kavro_varint_pack(w, 8);
  if (!(p[8] & 0x80)) {
    *z = v | (uint64_t)p[8] << 56;
    return 9;
  }
  if (p[9] > 1)
    return 0;
  *z = v | (uint64_t)(p[8] & 0x7f) << 56 | (uint64_t)p[9] << 63;
  return 10;
}

/** The varint at @p p, with @p left bytes readable, read without a loop:
 *  its length, its zig-zag value in @p *z; 0 when the quick way cannot
 *  tell, near the end of the body or for a varint longer than 64 bits
 *  (kavro_cursor_long_slow() then says which). */
KAVRO_INLINE size_t kavro_varint_quick(const unsigned char *p, size_t left,
                                       uint64_t *z) {
  if (left && p[0] < 0x80) {   /* most lengths, indexes, small numbers */
    *z = p[0];
    return 1;
  }
  if (left >= 2 && p[1] < 0x80) {   /* up to 8191: ints, counts */
    *z = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
    return 2;
  }
  return left >= KAVRO_MAX_VARINT ? kavro_varint_scan(p, z) : 0;
}

/** A zig-zag varint: a long, or an int before its range is checked. */
KAVRO_INLINE kavro_err_t kavro_cursor_long(kavro_cursor_t *c, int64_t *out) {
  uint64_t z;
  size_t n = kavro_varint_quick(c->p, kavro_cursor_left(c), &z);
  if (!n)
    return kavro_cursor_long_slow(c, out);
  c->p += n;
  *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_cursor_int(kavro_cursor_t *c, int32_t *out) {
  int64_t v;
  KAVRO_TRY(kavro_cursor_long(c, &v));
  if (v < INT32_MIN || v > INT32_MAX)
    return kavro_cursor_fail(c, "int %lld is outside the 32-bit range",
                             (long long)v);
  *out = (int32_t)v;
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_cursor_bool(kavro_cursor_t *c, bool *out) {
  if (c->p == c->end)
    return kavro_cursor_fail(c, "body ends before a boolean");
  if (*c->p > 1)
    return kavro_cursor_fail(c, "boolean byte is %u, not 0 or 1", *c->p);
  *out = *c->p++ != 0;
  return KAVRO_OK;
}

/** @p n bytes, least significant first; @p what names the value. */
/** The @p n (at most 8) bytes at @p p, least significant first: a float's
 *  or a double's bits, whatever the host's byte order. */
KAVRO_INLINE uint64_t kavro_le_bits(const unsigned char *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

KAVRO_INLINE kavro_err_t kavro_cursor_le(kavro_cursor_t *c, uint64_t *bits,
                                         unsigned n, const char *what) {
  if (kavro_cursor_left(c) < n)
    return kavro_cursor_fail(c, "body ends inside a %s", what);
  *bits = kavro_le_bits(c->p, n);
  c->p += n;
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_cursor_float(kavro_cursor_t *c, float *out) {
  uint64_t bits = 0;
  KAVRO_TRY(kavro_cursor_le(c, &bits, 4, "float"));
  uint32_t b32 = (uint32_t)bits;
  memcpy(out, &b32, sizeof(*out));
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_cursor_double(kavro_cursor_t *c, double *out) {
  uint64_t bits = 0;
  KAVRO_TRY(kavro_cursor_le(c, &bits, 8, "double"));
  memcpy(out, &bits, sizeof(*out));
  return KAVRO_OK;
}

/** The slow path of kavro_cursor_run(): says what is wrong with @p n. */
KAVRO_EXPORT kavro_err_t kavro_cursor_bad_run(kavro_cursor_t *c, int64_t n);

/** A length-prefixed run (string, bytes, map key): @p *data points into
 *  the body, past which the cursor moves. */
KAVRO_INLINE kavro_err_t kavro_cursor_run(kavro_cursor_t *c,
                                          const unsigned char **data,
                                          size_t *n) {
  int64_t length;
  KAVRO_TRY(kavro_cursor_long(c, &length));
  /* One test for the three ways a length can be wrong: negative (huge as
   * unsigned), past the body, past the limit. */
  if ((uint64_t)length > kavro_cursor_left(c) ||
      (uint64_t)length > c->max_length)
    return kavro_cursor_bad_run(c, length);
  *data = c->p;
  *n = (size_t)length;
  c->p += length;
  return KAVRO_OK;
}

/** The @p n bytes of a fixed named @p name. */
KAVRO_INLINE kavro_err_t kavro_cursor_fixed(kavro_cursor_t *c,
                                            const unsigned char **data,
                                            size_t n, const char *name) {
  if (kavro_cursor_left(c) < n)
    return kavro_cursor_fail(c, "body ends inside fixed %s", name);
  *data = c->p;
  c->p += n;
  return KAVRO_OK;
}

/** The symbol index of an enum named @p name of @p count symbols. */
KAVRO_INLINE kavro_err_t kavro_cursor_symbol(kavro_cursor_t *c,
                                             uint32_t *out, uint32_t count,
                                             const char *name) {
  int64_t v;
  KAVRO_TRY(kavro_cursor_long(c, &v));
  if (v < 0 || v >= (int64_t)count)
    return kavro_cursor_fail(c, "enum %s has no symbol %lld", name,
                             (long long)v);
  *out = (uint32_t)v;
  return KAVRO_OK;
}

/** The branch index of a union of @p count branches. */
KAVRO_INLINE kavro_err_t kavro_cursor_branch(kavro_cursor_t *c, uint32_t *out,
                                             uint32_t count) {
  int64_t v;
  KAVRO_TRY(kavro_cursor_long(c, &v));
  if (v < 0 || v >= (int64_t)count)
    return kavro_cursor_fail(c, "union branch %lld does not exist (%u "
                             "branches)", (long long)v, (unsigned)count);
  *out = (uint32_t)v;
  return KAVRO_OK;
}

/** Enter a nested record, array, map or union (the depth bound). */
KAVRO_INLINE kavro_err_t kavro_cursor_enter(kavro_cursor_t *c) {
  if (c->depth >= c->max_depth)
    return kavro_cursor_limit(c, "nesting depth", c->max_depth);
  c->depth++;
  return KAVRO_OK;
}

KAVRO_INLINE void kavro_cursor_leave(kavro_cursor_t *c) { c->depth--; }

/**
 * The item count of the next block of an array or map, 0 at its end.  A
 * block with a byte size is accepted.  @p seen counts the items of this
 * collection read so far (start it at 0): the collection bound covers all
 * of its blocks, whatever their split.  @p item_may_be_empty: an item can
 * take zero bytes, so the count is not bounded by the bytes left.
 */
KAVRO_EXPORT kavro_err_t kavro_cursor_block(kavro_cursor_t *c, size_t *seen,
                                            size_t *count,
                                            bool item_may_be_empty);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_CODEC_H */
