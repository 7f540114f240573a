/*
 * kavro - the ABI of generated code: what the C that `kavro gen` writes
 * calls, and nothing an application needs (applications include
 * kavro/typed.h).  Generated headers include this one and refuse to
 * compile against another KAVRO_TYPED_ABI_VERSION: regenerate them with
 * the kavro gen of the kavro they are built with.
 *
 *  - kavro_writer_t and the kavro_w_*() primitives: appending to a
 *    kavro_buf_t through the codec's writes (kavro/codec.h), inline
 *    because they are the hot path;
 *  - kavro_reader_t and the kavro_r_*() primitives: the codec's cursor
 *    over an untrusted body, copying into an arena;
 *  - kavro_scan_t and the kavro_scan_*() primitives: a run of fields read
 *    with the position in a local, which gives way to the kavro_r_*()
 *    calls at anything out of the common;
 *  - equality and partition-key helpers.
 *
 * Thread safety: a writer or reader is one thread's at a time; the
 * functions touch only their arguments.
 */
#ifndef KAVRO_TYPED_GEN_H
#define KAVRO_TYPED_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kavro/codec.h>
#include <kavro/typed.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this ABI: the layouts of kavro_writer_t and
 *  kavro_reader_t and the primitives' signatures.  Generated code checks
 *  it at compile time. */
#define KAVRO_TYPED_ABI_VERSION 2

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

/** A run's length and bytes, in room reserved by kavro_w_reserve_run()
 *  (so @p n fits a varint and its zig-zag form is a shift).  Without
 *  data, nothing is copied and a non-zero @p n is noted in @p check. */
KAVRO_INLINE unsigned char *kavro_put_run(unsigned char *p, const void *data,
                                           size_t n, kavro_run_check_t *check) {
  p = kavro_put_zigzag(p, (uint64_t)n << 1);
  if (data)
    kavro_copy(p, data, n);
  else
    check->holes |= n;
  return p + n;
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
 * The codec's cursor over one untrusted body (kavro/codec.h: every read
 * checked, the decode limits honoured, one error text per failure, the
 * same as the generic decoder's), with an arena for what a record points
 * to.
 * @{
 */
typedef struct kavro_reader_s {
  kavro_cursor_t c;
  kavro_arena_t *arena;
  /** The free part of the arena's current block, lent to the reader so
   *  that copying a string takes no call; given back by
   *  kavro_reader_finish(). */
  unsigned char *heap, *heap_end;
  /** A copy of the body in the arena, made at its first string or bytes
   *  (NULL until then, and for a body too large for the lent memory),
   *  which every run read points into. */
  unsigned char *body_copy;
} kavro_reader_t;

/** Alignment of every allocation from an arena. */
#define KAVRO_ARENA_ALIGN _Alignof(max_align_t)

/** Start reading @p size bytes at @p data, allocating from @p arena, under
 *  @p limits (complete, as a decoder keeps them, and valid while the
 *  reader is used; NULL: the defaults).  End with kavro_reader_finish(). */
KAVRO_EXPORT void kavro_reader_init(kavro_reader_t *r, const void *data,
                                    size_t size, kavro_arena_t *arena,
                                    const kavro_decode_limits_t *limits,
                                    kavro_error_t *error);

/** Give the arena back what the reader did not use. */
KAVRO_EXPORT void kavro_reader_finish(kavro_reader_t *r);

KAVRO_INLINE kavro_err_t kavro_r_long(kavro_reader_t *r, int64_t *out) {
  return kavro_cursor_long(&r->c, out);
}

KAVRO_INLINE kavro_err_t kavro_r_int(kavro_reader_t *r, int32_t *out) {
  return kavro_cursor_int(&r->c, out);
}

KAVRO_INLINE kavro_err_t kavro_r_bool(kavro_reader_t *r, bool *out) {
  return kavro_cursor_bool(&r->c, out);
}

KAVRO_INLINE kavro_err_t kavro_r_float(kavro_reader_t *r, float *out) {
  return kavro_cursor_float(&r->c, out);
}

KAVRO_INLINE kavro_err_t kavro_r_double(kavro_reader_t *r, double *out) {
  return kavro_cursor_double(&r->c, out);
}

/** kavro_r_run() when the lent memory is short: the copy comes from a new
 *  block of the arena. */
KAVRO_EXPORT kavro_err_t kavro_r_copy_slow(kavro_reader_t *r,
                                           const unsigned char *src,
                                           size_t n,
                                           const unsigned char **data);

/** kavro_r_run() while the body has no copy: copies the body into the
 *  lent memory, or, when it does not fit there, this run alone.  @p *data
 *  points into the arena, as every run read does. */
KAVRO_EXPORT kavro_err_t kavro_r_run_first(kavro_reader_t *r,
                                           const unsigned char *src,
                                           size_t n,
                                           const unsigned char **data);

/** A length-prefixed run, in the arena with a NUL after it.  Runs point
 *  into one copy of the body rather than being copied one by one: the
 *  byte after a run, where its NUL goes, is the start of the next value
 *  or the end, never part of another run, since every run comes after its
 *  own length; and the body itself is read, not the copy. */
KAVRO_INLINE kavro_err_t kavro_r_run(kavro_reader_t *r,
                                      const unsigned char **data, size_t *n) {
  const unsigned char *src = NULL;
  KAVRO_TRY(kavro_cursor_run(&r->c, &src, n));
  if (!r->body_copy)
    return kavro_r_run_first(r, src, *n, data);
  unsigned char *copy = r->body_copy + (src - r->c.start);
  copy[*n] = 0;
  *data = copy;
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

/** @p n bytes of the fixed named @p name into @p dst. */
KAVRO_INLINE kavro_err_t kavro_r_fixed(kavro_reader_t *r, void *dst, size_t n,
                                        const char *name) {
  const unsigned char *data = NULL;
  KAVRO_TRY(kavro_cursor_fixed(&r->c, &data, n, name));
  memcpy(dst, data, n);
  return KAVRO_OK;
}

/** A symbol of the enum named @p name, of @p count symbols. */
KAVRO_INLINE kavro_err_t kavro_r_symbol(kavro_reader_t *r, uint32_t *out,
                                         uint32_t count, const char *name) {
  return kavro_cursor_symbol(&r->c, out, count, name);
}

/** A branch of a union of @p count branches. */
KAVRO_INLINE kavro_err_t kavro_r_branch(kavro_reader_t *r, uint32_t *out,
                                         uint32_t count) {
  return kavro_cursor_branch(&r->c, out, count);
}

/** Enter a nested record, array, map or union (the depth bound). */
KAVRO_INLINE kavro_err_t kavro_r_enter(kavro_reader_t *r) {
  return kavro_cursor_enter(&r->c);
}
KAVRO_INLINE void kavro_r_leave(kavro_reader_t *r) { kavro_cursor_leave(&r->c); }

/** The item count of the next array or map block, 0 at the end, as
 *  kavro_cursor_block() (@p seen: this collection's items so far). */
KAVRO_INLINE kavro_err_t kavro_r_block(kavro_reader_t *r, size_t *seen,
                                        size_t *count, bool item_may_be_empty) {
  return kavro_cursor_block(&r->c, seen, count, item_may_be_empty);
}

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
 * @name Scanning
 * A run of a record's fields (any but records, arrays, maps and unions
 * other than a null and one of those) read with the position in a local,
 * which the compiler keeps in a register: only the encodings every
 * writer uses (a length of one or two bytes, a varint that ends before
 * the body does) and only values within every bound.  A scan never
 * fails: at anything else it stops, the reader is left at the run's
 * start, and the caller reads the run again with the kavro_r_*() calls,
 * which give that body its verdict and text.  What a stopped scan stored
 * the calls store again, from the same bytes.
 * @{
 */
typedef struct kavro_scan_s {
  const unsigned char *p, *end;
  const unsigned char *start;   /**< the body's start, for the copy */
  unsigned char *copy;          /**< the body's copy (kavro_reader_t) */
  size_t max_length;
} kavro_scan_t;

/** The body's copy in the arena (kavro_reader_t's body_copy), made now
 *  if it is not yet; NULL when the memory lent to @p r cannot hold it.
 *  The copy is the arena's, freed or reused with it. */
KAVRO_EXPORT unsigned char *kavro_r_body_copy(kavro_reader_t *r);

/** Start a scan at @p r's position; false when it cannot run: strings or
 *  bytes among the fields (@p runs) and no room for the body's copy, or
 *  null unions among them (@p unions) and no depth left to enter one. */
KAVRO_INLINE bool kavro_scan_begin(kavro_reader_t *r, kavro_scan_t *s,
                                   bool runs, bool unions) {
  if (unions && r->c.depth >= r->c.max_depth)
    return false;
  s->copy = r->body_copy;
  if (runs && !s->copy && !(s->copy = kavro_r_body_copy(r)))
    return false;
  s->p = r->c.p;
  s->end = r->c.end;
  s->start = r->c.start;
  s->max_length = r->c.max_length;
  return true;
}

/** The scan's end: the reader goes on after the run. */
KAVRO_INLINE void kavro_scan_end(kavro_reader_t *r, const kavro_scan_t *s) {
  r->c.p = s->p;
}

/** A zig-zag varint's unsigned form, read the quick way
 *  (kavro_varint_quick()). */
KAVRO_INLINE bool kavro_scan_zigzag(kavro_scan_t *s, uint64_t *z) {
  size_t n = kavro_varint_quick(s->p, (size_t)(s->end - s->p), z);
  s->p += n;
  return n != 0;
}

KAVRO_INLINE bool kavro_scan_long(kavro_scan_t *s, int64_t *out) {
  uint64_t z;
  if (!kavro_scan_zigzag(s, &z))
    return false;
  *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
  return true;
}

KAVRO_INLINE bool kavro_scan_int(kavro_scan_t *s, int32_t *out) {
  int64_t v;
  if (!kavro_scan_long(s, &v) || v < INT32_MIN || v > INT32_MAX)
    return false;
  *out = (int32_t)v;
  return true;
}

/** A value below @p count: an enum's symbol, a union's branch. */
KAVRO_INLINE bool kavro_scan_index(kavro_scan_t *s, uint32_t *out,
                                   uint32_t count) {
  uint64_t z;
  if (!kavro_scan_zigzag(s, &z) || (z & 1) || (z >> 1) >= count)
    return false;
  *out = (uint32_t)(z >> 1);
  return true;
}

KAVRO_INLINE bool kavro_scan_bool(kavro_scan_t *s, bool *out) {
  if (s->p == s->end || *s->p > 1)
    return false;
  *out = *s->p++ != 0;
  return true;
}

/** A string's or bytes' run: its place in the body's copy, a NUL after
 *  it (see kavro_r_run()). */
KAVRO_INLINE bool kavro_scan_run(kavro_scan_t *s, const unsigned char **data,
                                 size_t *n) {
  uint64_t z;
  if (!kavro_scan_zigzag(s, &z) || (z & 1) ||
      (z >> 1) > (uint64_t)(s->end - s->p) || (z >> 1) > s->max_length)
    return false;
  size_t length = (size_t)(z >> 1);
  unsigned char *copy = s->copy + (s->p - s->start);
  copy[length] = 0;
  *data = copy;
  *n = length;
  s->p += length;
  return true;
}

KAVRO_INLINE bool kavro_scan_string(kavro_scan_t *s, kavro_str_t *out) {
  const unsigned char *data;
  if (!kavro_scan_run(s, &data, &out->length))
    return false;
  out->data = (const char *)data;
  return true;
}

KAVRO_INLINE bool kavro_scan_bytes(kavro_scan_t *s, kavro_bytes_t *out) {
  return kavro_scan_run(s, &out->data, &out->length);
}

KAVRO_INLINE bool kavro_scan_decimal(kavro_scan_t *s, kavro_decimal_t *out,
                                     int32_t scale) {
  out->scale = scale;
  return kavro_scan_run(s, &out->unscaled, &out->length);
}

KAVRO_INLINE bool kavro_scan_float(kavro_scan_t *s, float *out) {
  if (s->end - s->p < 4)
    return false;
  uint32_t bits = (uint32_t)kavro_le_bits(s->p, 4);
  memcpy(out, &bits, sizeof(*out));
  s->p += 4;
  return true;
}

KAVRO_INLINE bool kavro_scan_double(kavro_scan_t *s, double *out) {
  if (s->end - s->p < 8)
    return false;
  uint64_t bits = kavro_le_bits(s->p, 8);
  memcpy(out, &bits, sizeof(*out));
  s->p += 8;
  return true;
}

/** The @p n bytes of a fixed into @p dst. */
KAVRO_INLINE bool kavro_scan_fixed(kavro_scan_t *s, void *dst, size_t n) {
  if ((size_t)(s->end - s->p) < n)
    return false;
  memcpy(dst, s->p, n);
  s->p += n;
  return true;
}
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

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_TYPED_GEN_H */
