/*
 * kavro - internals of the value codec (serde_value.c), the resolution
 * program (resolve.c) and the JSON encoding (avro_json.c): the decoder
 * object and the reader over a body, driven by the schema model's nodes.
 * Every primitive read goes through the cursor of kavro/codec.h.
 */
#ifndef KAVRO_SERDE_VALUE_INT_H
#define KAVRO_SERDE_VALUE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "codec_int.h"
#include "kavro/serde.h"
#include "schema_int.h"

/* ---- input ----------------------------------------------------------------- */

struct kavro_decoder_s {
  kavro_decode_limits_t limits;
  kavro_buf_t scratch;  /* owned memory: strings and map keys + NUL */
};

/* One decoding pass over an untrusted body: the codec's cursor, under the
 * decoder's limits, and the decoder's scratch for strings. */
typedef struct kv_reader_s {
  kavro_cursor_t c;
  kavro_decoder_t *decoder;
} kv_reader_t;

/* Fail because avro-c refused a value operation. */
kavro_err_t kv_value_fail(kavro_error_t *error, kavro_err_t code,
                          const char *what);

/* KAVRO_OK for avro-c's status 0, else the failure: KAVRO_ERR_NOMEM for
 * ENOMEM, KAVRO_ERR_ENCODE (a value of another shape) for the rest. */
kavro_err_t kv_value_status(kavro_error_t *error, int rc, const char *what);

/* The item count of the next block of array or map @node's items (0 at
 * the end): kavro_cursor_block() with what @item says of empty items. */
kavro_err_t kv_read_block(kv_reader_t *r, const kv_node_t *item, size_t *seen,
                          size_t *count);


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

#endif /* KAVRO_SERDE_VALUE_INT_H */
