/*
 * kavro - typed records: the run-time half of the code `kavro gen` writes.
 *
 * Generated code turns a C struct into the Avro binary encoding and back
 * with straight-line code: one call per field, no schema walking, no
 * generic values.  What it calls lives here:
 *
 *  - kavro_str_t, kavro_bytes_t, kavro_decimal_t: the member types of
 *    strings, bytes and decimals (pointer + length);
 *  - kavro_writer_t and the kavro_w_*() primitives: appending to a
 *    kavro_buf_t (zig-zag varints, IEEE floats little-endian, length-
 *    prefixed runs, JSON text), inline because they are the hot path;
 *  - kavro_reader_t and the kavro_r_*() primitives: reading an untrusted
 *    body, every read checked against the bytes left, the decode limits
 *    of serde.h honoured;
 *  - kavro_arena_t: where a decoded record's strings, bytes, arrays and
 *    maps live, so that freeing a decoded record is one call;
 *  - kavro_typed_type_t: what generated code says about each type (its
 *    schema text and fingerprint, its functions), and the entry points
 *    that take one: encode, decode, decode through a resolution program
 *    when the writer's schema is another one.
 *
 * Errors: the entry points write @p error only when they fail (clearing
 * a kavro_error_t costs more than encoding a small record).
 *
 * Thread safety: a kavro_typed_type_t is immutable.  A writer, reader or
 * arena is one thread's at a time.  A kavro_typed_resolver_t may be used
 * by any number of threads at once (its cache takes a lock only when a
 * new writer schema is met; lookups take a read lock).
 */
#ifndef KAVRO_TYPED_H
#define KAVRO_TYPED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kavro/common.h>
#include <kavro/schema.h>
#include <kavro/serde.h>
#include <kavro/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The primitives below are the generated code's inner loop: inlined even
 * where the compiler would weigh a record's dozen calls as too much code. */
#if defined(__GNUC__) || defined(__clang__)
#define KAVRO_INLINE static inline __attribute__((always_inline))
#else
#define KAVRO_INLINE static inline
#endif

/**
 * @name Member types
 * A decoded record points into its arena; a record built for encoding
 * points wherever its builder likes (the encoder only reads).
 * @{
 */

/** An Avro string: UTF-8, not necessarily NUL-terminated when built by
 *  hand; a decoded one is NUL-terminated (data[length] == 0). */
typedef struct kavro_str_s {
  const char *data;
  size_t length;
} kavro_str_t;

/** Avro bytes. */
typedef struct kavro_bytes_s {
  const unsigned char *data;
  size_t length;
} kavro_bytes_t;

/** A decimal on bytes: the unscaled value, two's complement big-endian,
 *  and the schema's scale (set by the decoder; the encoder refuses a
 *  value whose scale differs from the schema's). */
typedef struct kavro_decimal_s {
  const unsigned char *unscaled;
  size_t length;
  int32_t scale;
} kavro_decimal_t;

/** A string from a C string literal or NUL-terminated text. */
KAVRO_INLINE kavro_str_t kavro_str(const char *text) {
  kavro_str_t s = {text, text ? strlen(text) : 0};
  return s;
}
/** @} */

/**
 * @name Arena
 * A chain of blocks that allocations are carved from.  Reset keeps the
 * largest block, so a warm arena decodes a message without calling
 * malloc.
 * @{
 */

/** An arena.  Opaque. */
typedef struct kavro_arena_s kavro_arena_t;

/**
 * A new arena whose first block holds @p block_size bytes (0: 4 KiB),
 * allocated on first use, and which refuses to hold more than @p max_size
 * bytes in all (0: KAVRO_BUF_DEFAULT_MAX_SIZE).  NULL when out of memory.
 * Free it with kavro_arena_destroy().
 */
KAVRO_EXPORT kavro_arena_t *kavro_arena_new(size_t block_size, size_t max_size);

/** Free @p arena and everything allocated from it.  NULL-safe. */
KAVRO_EXPORT void kavro_arena_destroy(kavro_arena_t *arena);

/** Forget every allocation, keeping the largest block for reuse.  Records
 *  decoded into the arena are invalid afterwards. */
KAVRO_EXPORT void kavro_arena_reset(kavro_arena_t *arena);

/** @p size zeroed bytes aligned for any type, or NULL (out of memory, or
 *  past the arena's bound).  Freed with the arena. */
KAVRO_EXPORT void *kavro_arena_alloc(kavro_arena_t *arena, size_t size);

/** Bytes handed out since the last reset. */
KAVRO_EXPORT size_t kavro_arena_used(const kavro_arena_t *arena);
/** @} */

/**
 * @name Writer
 * A cursor over a kavro_buf_t's spare room.  kavro_writer_begin() points
 * it at the end of the buffer's bytes, the kavro_w_*() calls append (the
 * buffer grows when the room runs out, up to its bound), and
 * kavro_writer_end() makes what was written part of the buffer.  On
 * failure the buffer's length is left as it was before begin.
 * @{
 */
typedef struct kavro_writer_s {
  unsigned char *p;      /**< next byte */
  unsigned char *end;    /**< end of the room */
  kavro_buf_t *buf;
  size_t start;          /**< buffer length at begin */
  unsigned depth;        /**< records of recursive types entered */
  kavro_error_t *error;
} kavro_writer_t;

#define KAVRO_MAX_VARINT 10

/** Start appending to @p buf; errors go to @p error (NULL allowed). */
KAVRO_EXPORT void kavro_writer_begin(kavro_writer_t *w, kavro_buf_t *buf,
                                     kavro_error_t *error);
/** Commit what was written (@p err == KAVRO_OK) or drop it; returns @p err. */
KAVRO_EXPORT kavro_err_t kavro_writer_end(kavro_writer_t *w, kavro_err_t err);
/** The slow path of kavro_w_reserve(): grow the buffer. */
KAVRO_EXPORT kavro_err_t kavro_writer_grow(kavro_writer_t *w, size_t n);
/** Fail with KAVRO_ERR_ENCODE and @p what (a value that breaks its schema). */
KAVRO_EXPORT kavro_err_t kavro_writer_fail(kavro_writer_t *w, const char *what);

/** The slow path of kavro_w_enter(): KAVRO_ERR_LIMIT. */
KAVRO_EXPORT kavro_err_t kavro_writer_too_deep(kavro_writer_t *w);

/** Return from the calling function when @p expr fails. */
#define KAVRO_TRY(expr)                                                        \
  do {                                                                         \
    kavro_err_t kavro_try_err_ = (expr);                                       \
    if (kavro_try_err_ != KAVRO_OK)                                            \
      return kavro_try_err_;                                                   \
  } while (0)

/** Enter a record of a recursive type: a value built by hand may nest
 *  without end (or loop); past KAVRO_DECODE_DEFAULT_MAX_DEPTH levels it is
 *  refused with KAVRO_ERR_LIMIT. */
KAVRO_INLINE kavro_err_t kavro_w_enter(kavro_writer_t *w) {
  if (w->depth >= KAVRO_DECODE_DEFAULT_MAX_DEPTH)
    return kavro_writer_too_deep(w);
  w->depth++;
  return KAVRO_OK;
}
KAVRO_INLINE void kavro_w_leave(kavro_writer_t *w) { w->depth--; }

/** Make room for @p n more bytes. */
KAVRO_INLINE kavro_err_t kavro_w_reserve(kavro_writer_t *w, size_t n) {
  return n <= (size_t)(w->end - w->p) ? KAVRO_OK : kavro_writer_grow(w, n);
}

/** The varint of @p z, already in zig-zag form, at @p p (room reserved);
 *  returns the end. */
KAVRO_INLINE unsigned char *kavro_put_zigzag(unsigned char *p, uint64_t z) {
  while (z > 0x7f) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}

/** The zig-zag varint of @p value at @p p (room reserved); returns the end. */
KAVRO_INLINE unsigned char *kavro_put_varint(unsigned char *p, int64_t value) {
  return kavro_put_zigzag(p, ((uint64_t)value << 1) ^ (uint64_t)(value >> 63));
}

KAVRO_INLINE kavro_err_t kavro_w_long(kavro_writer_t *w, int64_t value) {
  KAVRO_TRY(kavro_w_reserve(w, KAVRO_MAX_VARINT));
  w->p = kavro_put_varint(w->p, value);
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_w_int(kavro_writer_t *w, int32_t value) {
  return kavro_w_long(w, value);
}

KAVRO_INLINE kavro_err_t kavro_w_bool(kavro_writer_t *w, bool value) {
  KAVRO_TRY(kavro_w_reserve(w, 1));
  *w->p++ = (unsigned char)(value ? 1 : 0);
  return KAVRO_OK;
}

/** @p n bytes as they are (no length). */
KAVRO_INLINE kavro_err_t kavro_w_raw(kavro_writer_t *w, const void *data,
                                      size_t n) {
  KAVRO_TRY(kavro_w_reserve(w, n));
  if (n)
    memcpy(w->p, data, n);
  w->p += n;
  return KAVRO_OK;
}

/** The low @p n bytes of @p bits, least significant first. */
KAVRO_INLINE kavro_err_t kavro_w_le(kavro_writer_t *w, uint64_t bits,
                                     unsigned n) {
  KAVRO_TRY(kavro_w_reserve(w, n));
  for (unsigned i = 0; i < n; i++)
    w->p[i] = (unsigned char)(bits >> (8 * i));
  w->p += n;
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_w_float(kavro_writer_t *w, float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return kavro_w_le(w, bits, 4);
}

KAVRO_INLINE kavro_err_t kavro_w_double(kavro_writer_t *w, double value) {
  uint64_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return kavro_w_le(w, bits, 8);
}

/** A length-prefixed run (bytes or string): one check for the room. */
KAVRO_INLINE kavro_err_t kavro_w_run(kavro_writer_t *w, const void *data,
                                      size_t n) {
  if (n > (size_t)INT64_MAX - KAVRO_MAX_VARINT)
    return kavro_writer_fail(w, "a string or bytes value is too long");
  KAVRO_TRY(kavro_w_reserve(w, n + KAVRO_MAX_VARINT));
  w->p = kavro_put_varint(w->p, (int64_t)n);
  if (n)
    memcpy(w->p, data, n);
  w->p += n;
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_w_string(kavro_writer_t *w, kavro_str_t s) {
  if (!s.data && s.length)
    return kavro_writer_fail(w, "a string has a length but no data");
  return kavro_w_run(w, s.data, s.length);
}

KAVRO_INLINE kavro_err_t kavro_w_bytes(kavro_writer_t *w, kavro_bytes_t b) {
  if (!b.data && b.length)
    return kavro_writer_fail(w, "a bytes value has a length but no data");
  return kavro_w_run(w, b.data, b.length);
}

/* Runs of fields of bounded size: generated code adds up the room a run
 * needs, reserves it once and writes with a local cursor, unchecked, as a
 * hand-written encoder would.  The strings and bytes of a run are checked
 * once for the whole run, not one by one: their lengths are added to the
 * room as they are and folded into a kavro_run_check_t, which
 * kavro_w_reserve_run() tests before the run is written; a value with a
 * length but no data is noted as it is put (where its data pointer is
 * tested anyway) and refused by kavro_w_end_run(). */

/** What a run's strings and bytes need checked. */
typedef struct kavro_run_check_s {
  size_t lengths;   /**< the OR of the lengths: at least the longest */
  size_t holes;     /**< non-zero when a value has a length but no data */
} kavro_run_check_t;

/** Account a string or bytes value of @p n bytes in @p check; returns
 *  @p n, the room it takes besides its length's varint. */
KAVRO_INLINE size_t kavro_run_length(kavro_run_check_t *check, size_t n) {
  check->lengths |= n;
  return n;
}

/** Reserve @p room for a run of @p runs strings and bytes accounted in
 *  @p check.  Each length is at most @p check->lengths; when that is at
 *  most SIZE_MAX / 2 / @p runs, the lengths' sum (and the room, whose
 *  bounded part is small) cannot have wrapped and every length fits a
 *  varint.  Longer values are refused (KAVRO_ERR_ENCODE): no buffer could
 *  hold them. */
KAVRO_INLINE kavro_err_t kavro_w_reserve_run(kavro_writer_t *w, size_t room,
                                             const kavro_run_check_t *check,
                                             size_t runs) {
  if (check->lengths > SIZE_MAX / 2 / runs)
    return kavro_writer_grow(w, SIZE_MAX);
  return kavro_w_reserve(w, room);
}

/** End a run written up to @p p: commit it, or refuse it (KAVRO_ERR_ENCODE,
 *  the buffer left as it was) when a value had a length but no data. */
KAVRO_INLINE kavro_err_t kavro_w_end_run(kavro_writer_t *w, unsigned char *p,
                                         const kavro_run_check_t *check) {
  if (check->holes)
    return kavro_writer_grow(w, SIZE_MAX);
  w->p = p;
  return KAVRO_OK;
}

KAVRO_INLINE unsigned char *kavro_put_raw(unsigned char *p, const void *data,
                                           size_t n) {
  if (n)
    memcpy(p, data, n);
  return p + n;
}

/** A run's length and bytes, in room reserved by kavro_w_reserve_run()
 *  (so @p n fits a varint and its zig-zag form is a shift).  Without
 *  data, nothing is copied and a non-zero @p n is noted in @p check. */
KAVRO_INLINE unsigned char *kavro_put_run(unsigned char *p, const void *data,
                                           size_t n, kavro_run_check_t *check) {
  p = kavro_put_zigzag(p, (uint64_t)n << 1);
  if (data)
    memcpy(p, data, n);
  else
    check->holes |= n;
  return p + n;
}

KAVRO_INLINE unsigned char *kavro_put_bool(unsigned char *p, bool value) {
  *p = (unsigned char)(value ? 1 : 0);
  return p + 1;
}

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

/** A decimal on bytes whose schema says @p scale. */
KAVRO_EXPORT kavro_err_t kavro_w_decimal(kavro_writer_t *w, kavro_decimal_t d,
                                         int32_t scale);

/** The count of a non-empty array or map block. */
KAVRO_INLINE kavro_err_t kavro_w_count(kavro_writer_t *w, size_t n) {
  if (n > (size_t)INT64_MAX)
    return kavro_writer_fail(w, "a collection is too large");
  return kavro_w_long(w, (int64_t)n);
}

/* JSON text (the Avro JSON encoding, as kavro_value_to_json() writes it). */

/** @p text as it is. */
KAVRO_INLINE kavro_err_t kavro_w_text(kavro_writer_t *w, const char *text) {
  return kavro_w_raw(w, text, strlen(text));
}
/** A JSON string literal of @p n bytes of UTF-8 (bad sequences as U+FFFD). */
KAVRO_EXPORT kavro_err_t kavro_w_json_string(kavro_writer_t *w,
                                             const char *s, size_t n);
/** Bytes as a JSON string of code points 0-255. */
KAVRO_EXPORT kavro_err_t kavro_w_json_bytes(kavro_writer_t *w,
                                            const void *data, size_t n);
/** An integer in full, in decimal. */
KAVRO_EXPORT kavro_err_t kavro_w_json_long(kavro_writer_t *w, int64_t value);
/** The shortest text that reads back to @p value (to the float when
 *  @p as_float); non-finite values as "NaN", "Infinity", "-Infinity". */
KAVRO_EXPORT kavro_err_t kavro_w_json_real(kavro_writer_t *w, double value,
                                           bool as_float);
/** @} */

/**
 * @name Reader
 * A cursor over one untrusted body.  Every primitive checks the bytes left
 * and fails with KAVRO_ERR_DECODE ("at byte N: ...") or KAVRO_ERR_LIMIT;
 * counts are bounded by the decode limits, and by the bytes left when an
 * item takes at least one byte, before anything is allocated.
 * @{
 */
typedef struct kavro_reader_s {
  const unsigned char *start, *p, *end;
  kavro_arena_t *arena;
  /** The free part of the arena's current block, lent to the reader so
   *  that copying a string takes no call; given back by
   *  kavro_reader_finish(). */
  unsigned char *heap, *heap_end;
  unsigned char *heap_last;   /**< the latest allocation (grown in place) */
  kavro_error_t *error;
  unsigned depth;
  size_t elements;        /**< array items and map entries so far */
  kavro_decode_limits_t limits;
} kavro_reader_t;

/** Alignment of every allocation from an arena. */
#define KAVRO_ARENA_ALIGN _Alignof(max_align_t)

/** Start reading @p size bytes at @p data, allocating from @p arena, with
 *  @p limits (NULL: the defaults).  End with kavro_reader_finish(). */
KAVRO_EXPORT void kavro_reader_init(kavro_reader_t *r, const void *data,
                                    size_t size, kavro_arena_t *arena,
                                    const kavro_decode_limits_t *limits,
                                    kavro_error_t *error);

/** Give the arena back what the reader did not use. */
KAVRO_EXPORT void kavro_reader_finish(kavro_reader_t *r);

/** Fail at the current offset with KAVRO_ERR_DECODE: "at byte N: @p what". */
KAVRO_EXPORT kavro_err_t kavro_reader_fail(kavro_reader_t *r, const char *what);
/** The slow path of kavro_r_long(): near the end of the body. */
KAVRO_EXPORT kavro_err_t kavro_r_long_slow(kavro_reader_t *r, int64_t *out);
/** Bytes left in the body. */
KAVRO_INLINE size_t kavro_r_left(const kavro_reader_t *r) {
  return (size_t)(r->end - r->p);
}

KAVRO_INLINE kavro_err_t kavro_r_long(kavro_reader_t *r, int64_t *out) {
  const unsigned char *p = r->p;
  if (p < r->end && *p < 0x80) {   /* most lengths, indexes, small numbers */
    r->p = p + 1;
    *out = (int64_t)(*p >> 1) ^ -(int64_t)(*p & 1);
    return KAVRO_OK;
  }
  if (kavro_r_left(r) < KAVRO_MAX_VARINT)
    return kavro_r_long_slow(r, out);
  uint64_t z = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    unsigned char b = *p++;
    z |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (shift == 63 && b > 1)
        break;
      r->p = p;
      *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      return KAVRO_OK;
    }
  }
  return kavro_reader_fail(r, "varint is longer than 64 bits");
}

KAVRO_INLINE kavro_err_t kavro_r_int(kavro_reader_t *r, int32_t *out) {
  int64_t v;
  KAVRO_TRY(kavro_r_long(r, &v));
  if (v < INT32_MIN || v > INT32_MAX)
    return kavro_reader_fail(r, "int is out of range");
  *out = (int32_t)v;
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_r_bool(kavro_reader_t *r, bool *out) {
  if (r->p == r->end)
    return kavro_reader_fail(r, "body ends before a boolean");
  if (*r->p > 1)
    return kavro_reader_fail(r, "boolean byte is not 0 or 1");
  *out = *r->p++ != 0;
  return KAVRO_OK;
}

/** @p n bytes, least significant first. */
KAVRO_INLINE kavro_err_t kavro_r_le(kavro_reader_t *r, uint64_t *bits,
                                     unsigned n) {
  if (kavro_r_left(r) < n)
    return kavro_reader_fail(r, "body ends inside a number");
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)r->p[i] << (8 * i);
  r->p += n;
  *bits = v;
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_r_float(kavro_reader_t *r, float *out) {
  uint64_t bits = 0;
  KAVRO_TRY(kavro_r_le(r, &bits, 4));
  uint32_t b32 = (uint32_t)bits;
  memcpy(out, &b32, sizeof(*out));
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_r_double(kavro_reader_t *r, double *out) {
  uint64_t bits = 0;
  KAVRO_TRY(kavro_r_le(r, &bits, 8));
  memcpy(out, &bits, sizeof(*out));
  return KAVRO_OK;
}

/** kavro_r_run() for a bad length, or when the lent memory is short; the
 *  copy lives in the reader's arena. */
KAVRO_EXPORT kavro_err_t kavro_r_run_slow(kavro_reader_t *r, int64_t length,
                                          const unsigned char **data,
                                          size_t *n);

/** A length-prefixed run, copied into the arena with a NUL after it. */
KAVRO_INLINE kavro_err_t kavro_r_run(kavro_reader_t *r,
                                      const unsigned char **data, size_t *n) {
  int64_t length;
  KAVRO_TRY(kavro_r_long(r, &length));
  size_t need = ((size_t)length + KAVRO_ARENA_ALIGN) &
                ~(size_t)(KAVRO_ARENA_ALIGN - 1);
  if (length < 0 || (uint64_t)length > kavro_r_left(r) ||
      need > (size_t)(r->heap_end - r->heap))
    return kavro_r_run_slow(r, length, data, n);
  unsigned char *copy = r->heap;
  memcpy(copy, r->p, (size_t)length);
  copy[length] = 0;
  r->heap_last = copy;
  r->heap += need;
  r->p += length;
  *data = copy;
  *n = (size_t)length;
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_r_string(kavro_reader_t *r, kavro_str_t *out) {
  const unsigned char *data;
  KAVRO_TRY(kavro_r_run(r, &data, &out->length));
  out->data = (const char *)data;
  return KAVRO_OK;
}

KAVRO_INLINE kavro_err_t kavro_r_bytes(kavro_reader_t *r, kavro_bytes_t *out) {
  return kavro_r_run(r, &out->data, &out->length);
}

KAVRO_INLINE kavro_err_t kavro_r_decimal(kavro_reader_t *r,
                                          kavro_decimal_t *out, int32_t scale) {
  out->scale = scale;
  return kavro_r_run(r, &out->unscaled, &out->length);
}

/** @p n bytes of a fixed into @p dst. */
KAVRO_INLINE kavro_err_t kavro_r_fixed(kavro_reader_t *r, void *dst,
                                        size_t n) {
  if (kavro_r_left(r) < n)
    return kavro_reader_fail(r, "body ends inside a fixed");
  memcpy(dst, r->p, n);
  r->p += n;
  return KAVRO_OK;
}

/** An enum symbol or union branch index, below @p count. */
KAVRO_INLINE kavro_err_t kavro_r_index(kavro_reader_t *r, uint32_t *out,
                                        uint32_t count) {
  int64_t v;
  KAVRO_TRY(kavro_r_long(r, &v));
  if (v < 0 || v >= (int64_t)count)
    return kavro_reader_fail(r, "enum symbol or union branch index is out of range");
  *out = (uint32_t)v;
  return KAVRO_OK;
}

/** The slow path of kavro_r_enter(): the depth bound is reached. */
KAVRO_EXPORT kavro_err_t kavro_r_too_deep(kavro_reader_t *r);

/** Enter a nested record, array, map or union (the depth bound). */
KAVRO_INLINE kavro_err_t kavro_r_enter(kavro_reader_t *r) {
  if (r->depth >= r->limits.max_depth)
    return kavro_r_too_deep(r);
  r->depth++;
  return KAVRO_OK;
}
KAVRO_INLINE void kavro_r_leave(kavro_reader_t *r) { r->depth--; }

/**
 * The item count of the next array or map block, 0 at the end.  A block
 * with a byte size is accepted.  @p item_may_be_empty: an item can take
 * zero bytes, so the count is not bounded by the bytes left.
 */
KAVRO_EXPORT kavro_err_t kavro_r_block(kavro_reader_t *r, size_t *count,
                                       bool item_may_be_empty);

/**
 * Make the array at @p *items, holding @p have items of @p item_size
 * bytes, hold @p add more (zeroed), in the arena.
 */
KAVRO_EXPORT kavro_err_t kavro_r_items(kavro_reader_t *r, void **items,
                                       size_t have, size_t add,
                                       size_t item_size);

/** A zeroed @p size bytes from the arena (a record behind a pointer). */
KAVRO_EXPORT kavro_err_t kavro_r_alloc(kavro_reader_t *r, void **out,
                                       size_t size);
/** @} */

/**
 * @name Equality and partition keys (for generated code)
 * Floats compare bit for bit, so NaN equals itself and 0.0 is not -0.0.
 * @{
 */
KAVRO_INLINE bool kavro_eq_run(const void *a, size_t na, const void *b,
                                size_t nb) {
  return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}
KAVRO_INLINE bool kavro_eq_str(kavro_str_t a, kavro_str_t b) {
  return kavro_eq_run(a.data, a.length, b.data, b.length);
}
KAVRO_INLINE bool kavro_eq_bytes(kavro_bytes_t a, kavro_bytes_t b) {
  return kavro_eq_run(a.data, a.length, b.data, b.length);
}
KAVRO_INLINE bool kavro_eq_decimal(kavro_decimal_t a, kavro_decimal_t b) {
  return a.scale == b.scale &&
         kavro_eq_run(a.unscaled, a.length, b.unscaled, b.length);
}
KAVRO_INLINE bool kavro_eq_float(float a, float b) {
  return memcmp(&a, &b, sizeof(a)) == 0;
}
KAVRO_INLINE bool kavro_eq_double(double a, double b) {
  return memcmp(&a, &b, sizeof(a)) == 0;
}

/** Append @p n bytes at @p data to the key in @p buf (@p size bytes) at
 *  @p *at: what fits is written, @p *at counts every byte. */
KAVRO_EXPORT void kavro_key_put(char *buf, size_t size, size_t *at,
                                const void *data, size_t n);
/** Append @p value in decimal. */
KAVRO_EXPORT void kavro_key_long(char *buf, size_t size, size_t *at,
                                 int64_t value);
/** Append symbol @p index of @p symbols (@p count of them); nothing when
 *  out of range. */
KAVRO_EXPORT void kavro_key_symbol(char *buf, size_t size, size_t *at,
                                   const char *const *symbols, size_t count,
                                   uint32_t index);
/** NUL-terminate the key of @p at bytes (truncated when @p size is short). */
KAVRO_EXPORT void kavro_key_end(char *buf, size_t size, size_t at);
/** @} */

/**
 * @name Generated types
 * @{
 */

/** What generated code says about one type.  One const object per type. */
typedef struct kavro_typed_type_s {
  const char *name;          /**< the Avro full name ("int" for a primitive) */
  const char *schema_text;   /**< the type as a schema, self-contained */
  uint64_t rabin;            /**< CRC-64-AVRO of its canonical form */
  size_t size;               /**< sizeof the C type */
  void (*init)(void *value);
  kavro_err_t (*write)(kavro_writer_t *w, const void *value);
  kavro_err_t (*read)(kavro_reader_t *r, void *value);
  bool (*equal)(const void *a, const void *b);
  kavro_err_t (*json)(kavro_writer_t *w, const void *value);
} kavro_typed_type_t;

/** A schema a generated file was made for: a catalog topic or a file
 *  given to `kavro gen`. */
typedef struct kavro_typed_root_s {
  const char *topic;      /**< NULL outside a catalog */
  const char *subject;    /**< NULL outside a catalog */
  const char *file;       /**< the schema file: its path in the catalog,
                               or its base name outside one */
  const kavro_typed_type_t *type;
  /** The partition key from the catalog's template (NULL: none): writes
   *  at most @p size bytes with a NUL, returns the key's full length. */
  size_t (*partition_key)(const void *value, char *buf, size_t size);
} kavro_typed_root_t;

/**
 * Append the binary encoding of @p value (a @p type) to @p out.  Allocates
 * only when @p out must grow.  On failure @p out is as it was.
 */
KAVRO_EXPORT kavro_err_t kavro_typed_encode(const kavro_typed_type_t *type,
                                            const void *value, kavro_buf_t *out,
                                            kavro_error_t *error);

/**
 * Decode one datum of @p type's own schema from @p size bytes at @p data
 * into @p value (initialised first); strings, bytes, arrays, maps and
 * records behind pointers are allocated from @p arena, and live until it
 * is reset or destroyed.  @p limits NULL: the defaults.  Bytes left after
 * the datum are an error.  On failure @p value holds a partial datum
 * whose memory is in @p arena.
 */
KAVRO_EXPORT kavro_err_t kavro_typed_decode(const kavro_typed_type_t *type,
                                            const void *data, size_t size,
                                            kavro_arena_t *arena,
                                            const kavro_decode_limits_t *limits,
                                            void *value, kavro_error_t *error);

/**
 * As kavro_typed_decode(), into a new value that owns its memory (one
 * arena, one malloc for a message of ordinary size): free it with
 * kavro_typed_free().  NULL on failure, with @p error filled.
 */
KAVRO_EXPORT void *kavro_typed_decode_new(const kavro_typed_type_t *type,
                                          const void *data, size_t size,
                                          const kavro_decode_limits_t *limits,
                                          kavro_error_t *error);

/** Free a value made by kavro_typed_decode_new() and everything it holds.
 *  NULL-safe. */
KAVRO_EXPORT void kavro_typed_free(void *value);

/**
 * @p value as JSON text in the Avro JSON encoding, exactly as
 * kavro_value_to_json(KAVRO_DATUM_JSON_AVRO) writes the same datum, appended
 * to @p out (no NUL).
 */
KAVRO_EXPORT kavro_err_t kavro_typed_to_json(const kavro_typed_type_t *type,
                                             const void *value,
                                             kavro_buf_t *out,
                                             kavro_error_t *error);
/** @} */

/**
 * @name Reading data of another writer schema
 *
 * A resolver keeps, per (writer schema fingerprint, type), the resolution
 * program from the writer's schema to the type's own, built on first use.
 * Reading runs the program to turn the writer's bytes into the type's own
 * encoding (defaults, promotions, enum defaults, aliases and union
 * matching, by the rules and with the results of kavro_decode_resolved()),
 * then the generated decoder.  When the writer's fingerprint is the
 * type's own, the generated decoder runs on the bytes directly.
 * @{
 */

typedef struct kavro_typed_resolver_s kavro_typed_resolver_t;

/** A new resolver with an empty cache and @p limits (NULL: defaults).
 *  NULL when out of memory.  Free with kavro_typed_resolver_destroy(). */
KAVRO_EXPORT kavro_typed_resolver_t *
kavro_typed_resolver_new(const kavro_decode_limits_t *limits);

/** Free @p resolver and its programs.  NULL-safe; no call may be running. */
KAVRO_EXPORT void kavro_typed_resolver_destroy(kavro_typed_resolver_t *resolver);

/**
 * Decode the datum at @p data, written with @p writer, into @p value of
 * @p type; memory as for kavro_typed_decode().  Returns
 * KAVRO_ERR_INCOMPATIBLE when @p writer's data can never be read as
 * @p type, KAVRO_ERR_DECODE for a bad body or a writer branch or symbol the
 * type cannot take.  @p writer is borrowed; the cache keeps its own
 * reference.
 */
KAVRO_EXPORT kavro_err_t kavro_typed_decode_from(kavro_typed_resolver_t *resolver,
                                                 const kavro_typed_type_t *type,
                                                 kavro_schema_t *writer,
                                                 const void *data, size_t size,
                                                 kavro_arena_t *arena,
                                                 void *value,
                                                 kavro_error_t *error);
/** @} */

/**
 * @name Typed serializer and deserializer
 *
 * The registry side of typed records: a struct in, a framed message out,
 * through the generic serializer's subject strategy, compatibility gate
 * and registration (kavro_serializer_prepare(): the first message of a
 * (topic, key or value, type) does everything; later ones only look the
 * id up in a small table, take no lock and allocate nothing); and a
 * framed message in, a struct out, the writer schema found by id in the
 * registry (cached) and read through the type's own decoder or a cached
 * resolution program.  A type's schema is registered as its self-contained
 * text (named types written in full, no schema references).
 * @{
 */

struct kavro_serializer_s;
struct kavro_registry_s;

/** A typed serializer.  Opaque; one thread at a time. */
typedef struct kavro_typed_serializer_s kavro_typed_serializer_t;

/**
 * A typed serializer over @p serializer and its @p registry (both
 * borrowed: they must outlive it).  NULL with @p error filled when out of
 * memory or an argument is NULL.  Free with
 * kavro_typed_serializer_destroy().
 */
KAVRO_EXPORT kavro_typed_serializer_t *
kavro_typed_serializer_new(struct kavro_serializer_s *serializer,
                           struct kavro_registry_s *registry,
                           kavro_error_t *error);

/** Free @p ts and its cache.  NULL-safe. */
KAVRO_EXPORT void kavro_typed_serializer_destroy(kavro_typed_serializer_t *ts);

/**
 * Frame @p value (a @p type) for @p topic as a key (@p is_key) or a
 * value: @p out is emptied and then holds 0x00 | 4-byte id | body.  The
 * id is the one kavro_serializer_prepare() gives the type's schema (its
 * errors, KAVRO_ERR_INCOMPATIBLE from the gate among them); when that id
 * names another schema (`use.latest.version`, `use.schema.id`) the body
 * could not be read with it: KAVRO_ERR_ENCODE.  A NULL @p value is a
 * tombstone: @p out is left empty and KAVRO_OK returned.
 */
KAVRO_EXPORT kavro_err_t kavro_typed_serialize(kavro_typed_serializer_t *ts,
                                               const char *topic, bool is_key,
                                               const kavro_typed_type_t *type,
                                               const void *value,
                                               kavro_buf_t *out,
                                               kavro_error_t *error);

/** A typed deserializer.  Opaque; one thread at a time. */
typedef struct kavro_typed_deserializer_s kavro_typed_deserializer_t;

/**
 * A typed deserializer that finds writer schemas in @p registry
 * (borrowed) and decodes under @p limits (copied; NULL: the defaults).
 * NULL with @p error filled.  Free with kavro_typed_deserializer_destroy().
 */
KAVRO_EXPORT kavro_typed_deserializer_t *
kavro_typed_deserializer_new(struct kavro_registry_s *registry,
                             const kavro_decode_limits_t *limits,
                             kavro_error_t *error);

/** Free @p td, its schemas and programs.  NULL-safe. */
KAVRO_EXPORT void kavro_typed_deserializer_destroy(kavro_typed_deserializer_t *td);

/**
 * Decode the message @p payload (@p size bytes; its schema id in front of
 * it, or in the header value @p header_value of @p header_size bytes, as
 * kavro_wire_unframe_dual() reads them) into @p value of @p type, with
 * memory from @p arena.  Stores the writer's id in @p writer_id (may be
 * NULL).  A NULL @p payload is a tombstone: @p value is initialised and
 * KAVRO_OK returned.  Errors: the frame's (KAVRO_ERR_WIRE_SHORT,
 * KAVRO_ERR_WIRE_MAGIC), the registry's (KAVRO_ERR_SCHEMA_NOT_FOUND also
 * for a GUID id), KAVRO_ERR_INCOMPATIBLE, and the body's as
 * kavro_typed_decode_from().
 */
KAVRO_EXPORT kavro_err_t kavro_typed_deserialize(
    kavro_typed_deserializer_t *td, const kavro_typed_type_t *type,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_arena_t *arena, void *value,
    kavro_schema_id_t *writer_id, kavro_error_t *error);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_TYPED_H */
