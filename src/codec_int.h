/*
 * kavro - internals shared by the value codec (codec.c), the resolution
 * program (resolve.c) and the JSON encoding (avro_json.c): the output
 * buffer, the bounded input cursor and the Avro binary primitives.
 */
#ifndef KAVRO_CODEC_INT_H
#define KAVRO_CODEC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "kavro/serde.h"
#include "schema_int.h"

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
  uint64_t z = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
  unsigned char *p = buf->data + buf->length;
  while (z > 0x7f) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  buf->length = (size_t)(p - buf->data);
}

static inline void kv_put_bytes(kavro_buf_t *buf, const void *data,
                                size_t length) {
  if (length)
    memcpy(buf->data + buf->length, data, length);
  buf->length += length;
}

#define KV_MAX_VARINT 10

/* Bytes of the zig-zag varint of @value. */
static inline size_t kv_long_size(int64_t value) {
  uint64_t z = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
  size_t n = 1;
  while (z > 0x7f) {
    z >>= 7;
    n++;
  }
  return n;
}

/* Reserve and write a zig-zag varint. */
kavro_err_t kv_write_long(kavro_buf_t *buf, int64_t value);
/* Reserve and write a length-prefixed byte string. */
kavro_err_t kv_write_bytes(kavro_buf_t *buf, const void *data, size_t length);

/* ---- input ----------------------------------------------------------------- */

struct kavro_decoder_s {
  kavro_decode_limits_t limits;
  kavro_buf_t scratch;  /* owned memory: strings and map keys + NUL */
};

/* One decoding pass over an untrusted body. */
typedef struct kv_reader_s {
  const unsigned char *start, *p, *end;
  kavro_decoder_t *decoder;
  unsigned depth;
  size_t elements;      /* array items and map entries so far */
  kavro_error_t *error;
} kv_reader_t;

/* Fail at the current offset: KAVRO_ERR_DECODE with "at byte N: ...". */
kavro_err_t kv_read_fail(kv_reader_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fail because a limit was passed (KAVRO_ERR_LIMIT). */
kavro_err_t kv_read_limit(kv_reader_t *r, const char *what, size_t bound);

/* Fail because avro-c refused a value operation. */
kavro_err_t kv_value_fail(kavro_error_t *error, kavro_err_t code,
                          const char *what);

/* KAVRO_OK for avro-c's status 0, else the failure: KAVRO_ERR_NOMEM for
 * ENOMEM, KAVRO_ERR_ENCODE (a value of another shape) for the rest. */
kavro_err_t kv_value_status(kavro_error_t *error, int rc, const char *what);

kavro_err_t kv_read_long(kv_reader_t *r, int64_t *out);
kavro_err_t kv_read_int(kv_reader_t *r, int32_t *out);
kavro_err_t kv_read_boolean(kv_reader_t *r, int *out);
kavro_err_t kv_read_float(kv_reader_t *r, float *out);
kavro_err_t kv_read_double(kv_reader_t *r, double *out);
/* A length-prefixed run: points into the body, checked against its end. */
kavro_err_t kv_read_run(kv_reader_t *r, const unsigned char **data,
                        size_t *length);
/* As kv_read_run, copied NUL-terminated into the decoder's scratch. */
kavro_err_t kv_read_cstring(kv_reader_t *r, const char **str, size_t *length);
/* Copy @length bytes into the scratch, NUL-terminated. */
kavro_err_t kv_stage(kv_reader_t *r, const void *data, size_t length,
                     const char **out);

/* Enter / leave a nested record, array, map or union (depth bound). */
kavro_err_t kv_read_enter(kv_reader_t *r);
static inline void kv_read_leave(kv_reader_t *r) { r->depth--; }

/* Read the item count of the next array or map block (0 at the end),
 * checking the limits; @item is the item type, to bound the count by the
 * bytes left when every item takes at least one byte.  @seen counts the
 * items of this collection read so far (start it at 0): the collection
 * bound covers all of its blocks. */
kavro_err_t kv_read_block(kv_reader_t *r, const kv_node_t *item, size_t *seen,
                          size_t *count);

/* Length of the valid UTF-8 sequence at @s (@n bytes left), 0 when the
 * byte there does not start one (overlong forms and surrogates are not
 * valid). */
size_t kv_utf8_sequence(const unsigned char *s, size_t n);

/* KAVRO_ERR_ENCODE unless record value @v has @node's number of fields. */
kavro_err_t kv_check_record(const kv_node_t *node, const avro_value_t *v,
                            kavro_error_t *error);

/* Can a datum of @node take zero bytes? */
bool kv_node_may_be_empty(const kv_node_t *node);

/* ---- node-driven codec (codec.c) ------------------------------------------- */

kavro_err_t kv_encode_node(kavro_buf_t *out, const kv_node_t *node,
                           const avro_value_t *value, unsigned depth,
                           kavro_error_t *error);
kavro_err_t kv_decode_node(kv_reader_t *r, const kv_node_t *node,
                           avro_value_t *value);
kavro_err_t kv_skip_node(kv_reader_t *r, const kv_node_t *node);

/* Decode one item of a collection (or one datum) into @value. */
typedef kavro_err_t (*kv_item_fn)(kv_reader_t *r, const void *arg,
                                  avro_value_t *value);

/* Read the blocks of array or map @node (the writer's), decoding each item
 * with @item(@arg) into a new element of @value. */
kavro_err_t kv_decode_collection(kv_reader_t *r, const kv_node_t *node,
                                 kv_item_fn item, const void *arg,
                                 avro_value_t *value);

/* Read the branch index of union @node, checked against its branches. */
kavro_err_t kv_read_branch(kv_reader_t *r, const kv_node_t *node,
                           size_t *index);

/* Start a pass over @data with @decoder (never NULL here). */
void kv_reader_init(kv_reader_t *r, kavro_decoder_t *decoder,
                    const void *data, size_t size, kavro_error_t *error);

/* Run @pass on a reader over @data with @decoder or a temporary one,
 * after resetting @value; checks trailing bytes when @consumed is NULL. */
kavro_err_t kv_decode_pass(kavro_decoder_t *decoder, kv_item_fn pass,
                           const void *arg, const void *data, size_t size,
                           avro_value_t *value, size_t *consumed,
                           kavro_error_t *error);

/* ---- JSON (avro_json.c) ---------------------------------------------------- */

typedef enum kv_json_mode_e {
  KV_JSON_AVRO,     /* the spec's JSON encoding: unions as {"type": v} */
  KV_JSON_DEFAULT   /* a field default: a union is its first branch */
} kv_json_mode_t;

/* Append the binary encoding of JSON datum @json of @node to @out.
 * Errors are KAVRO_ERR_DECODE with the JSON pointer in @error. */
kavro_err_t kv_json_encode(const kv_node_t *node, const json_t *json,
                           kv_json_mode_t mode, kavro_buf_t *out,
                           kavro_error_t *error);

#endif /* KAVRO_CODEC_INT_H */
