/*
 * kavro - internals of the codec part: the output buffer behind
 * kavro_buf_t and the writes of the Avro primitives into it, and the
 * completion of decode limits given with fields left 0.  The primitives
 * themselves are in kavro/codec.h.
 */
#ifndef KAVRO_CODEC_INT_H
#define KAVRO_CODEC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kavro/codec.h"

/* ---- output ---------------------------------------------------------------- */

struct kavro_buf_s {
  unsigned char *data;
  size_t length;
  size_t capacity;
  size_t max_size;
  bool fixed;      /* caller's memory: never grown nor freed */
};

/* A buffer over the caller's @size bytes at @dst. */
static inline kavro_buf_t kv_buf_over(void *dst, size_t size) {
  kavro_buf_t b = {dst, 0, size, size, true};
  return b;
}

/* Make room for @extra more bytes: KAVRO_OK, KAVRO_ERR_LIMIT (bound or
 * caller's buffer too small) or KAVRO_ERR_NOMEM. */
kavro_err_t kv_buf_grow(kavro_buf_t *buf, size_t extra);

static inline kavro_err_t kv_buf_reserve(kavro_buf_t *buf, size_t extra) {
  return extra <= buf->capacity - buf->length ? KAVRO_OK
                                              : kv_buf_grow(buf, extra);
}

/* The primitives below assume the room has been reserved. */
static inline void kv_put_long(kavro_buf_t *buf, int64_t value) {
  buf->length = (size_t)(kavro_put_varint(buf->data + buf->length, value) -
                         buf->data);
}

static inline void kv_put_bytes(kavro_buf_t *buf, const void *data,
                                size_t length) {
  if (length)
    memcpy(buf->data + buf->length, data, length);
  buf->length += length;
}

/* Reserve and write a zig-zag varint. */
kavro_err_t kv_write_long(kavro_buf_t *buf, int64_t value);
/* Reserve and write a length-prefixed byte string. */
kavro_err_t kv_write_bytes(kavro_buf_t *buf, const void *data, size_t length);

/* ---- the cursor ------------------------------------------------------------- */

/* The defaults, complete. */
extern const kavro_decode_limits_t kv_default_limits;

/* kavro_cursor_init(), inline for the library's own decoders, which set
 * up a cursor per message. */
static inline void kv_cursor_setup(kavro_cursor_t *c, const void *data,
                                   size_t size,
                                   const kavro_decode_limits_t *limits,
                                   kavro_error_t *error) {
  c->start = c->p = data;
  c->end = data ? c->start + size : c->start;
  c->limits = limits ? limits : &kv_default_limits;
  c->error = error;
  c->depth = 0;
  c->elements = 0;
  c->max_length = c->limits->max_length;
  c->max_depth = c->limits->max_depth;
}

/* ---- limits ---------------------------------------------------------------- */

/* @given (NULL: none) with every field it leaves 0, or is too old to
 * hold, set to its default, into @out. */
void kv_limits_complete(const kavro_decode_limits_t *given,
                        kavro_decode_limits_t *out);

/* Length of the valid UTF-8 sequence at @s (@n bytes left), 0 when the
 * byte there does not start one (overlong forms and surrogates are not
 * valid). */
size_t kv_utf8_sequence(const unsigned char *s, size_t n);

#endif /* KAVRO_CODEC_INT_H */
