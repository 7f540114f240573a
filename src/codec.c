/*
 * kavro - Avro binary encoding and decoding of avro-c generic values,
 * driven by kavro's schema model rather than by the value's avro-c schema:
 * the model says what to expect, the value only supplies or receives the
 * data.
 *
 * Decoding reads an untrusted body.  Every read goes through the bounded
 * cursor below: a length is compared with the bytes left before anything
 * is copied or allocated, varints longer than ten bytes and negative
 * lengths are refused, and the nesting depth and the number of collection
 * items are bounded by the decoder's limits.  avro-c's generic values
 * allocate as they grow, so bounding the counts is what bounds memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec_int.h"
#include "error_int.h"

/* ---- errors ----------------------------------------------------------------- */

kavro_err_t kv_read_fail(kv_reader_t *r, const char *fmt, ...) {
  char text[KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  return kv_error_set(r->error, KAVRO_ERR_DECODE, "at byte %zu: %s",
                      (size_t)(r->p - r->start), text);
}

kavro_err_t kv_read_limit(kv_reader_t *r, const char *what, size_t bound) {
  return kv_error_set(r->error, KAVRO_ERR_LIMIT,
                      "at byte %zu: %s exceeds the limit of %zu",
                      (size_t)(r->p - r->start), what, bound);
}

kavro_err_t kv_value_fail(kavro_error_t *error, kavro_err_t code,
                          const char *what) {
  if (code == KAVRO_ERR_NOMEM)
    return kv_error_set(error, code, "out of memory %s", what);
  return kv_error_set(error, code, "avro-c refused %s: %s", what,
                      avro_strerror());
}

/* avro-c returns errno values; ENOMEM is the one that is not the caller's
 * mistake. */
kavro_err_t kv_value_status(kavro_error_t *error, int rc, const char *what) {
  if (rc == 0)
    return KAVRO_OK;
  return kv_value_fail(error, rc == ENOMEM ? KAVRO_ERR_NOMEM : KAVRO_ERR_ENCODE,
                       what);
}

/* ---- input primitives ------------------------------------------------------- */

void kv_reader_init(kv_reader_t *r, kavro_decoder_t *decoder,
                    const void *data, size_t size, kavro_error_t *error) {
  r->start = r->p = data;
  r->end = r->start + size;
  r->decoder = decoder;
  r->depth = 0;
  r->elements = 0;
  r->error = error;
}

kavro_err_t kv_read_long(kv_reader_t *r, int64_t *out) {
  uint64_t z = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (r->p == r->end)
      return kv_read_fail(r, "body ends inside a number");
    unsigned char b = *r->p++;
    /* The tenth byte may only carry the top bit of 64. */
    if (shift == 63 && b > 1)
      return kv_read_fail(r, "number is longer than 64 bits");
    z |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      return KAVRO_OK;
    }
  }
  return kv_read_fail(r, "number is longer than 64 bits");
}

kavro_err_t kv_read_int(kv_reader_t *r, int32_t *out) {
  int64_t v;
  kavro_err_t err = kv_read_long(r, &v);
  if (err)
    return err;
  if (v < INT32_MIN || v > INT32_MAX)
    return kv_read_fail(r, "int %lld is outside the 32-bit range", (long long)v);
  *out = (int32_t)v;
  return KAVRO_OK;
}

kavro_err_t kv_read_boolean(kv_reader_t *r, int *out) {
  if (r->p == r->end)
    return kv_read_fail(r, "body ends before a boolean");
  if (*r->p > 1)
    return kv_read_fail(r, "boolean byte is %u, not 0 or 1", *r->p);
  *out = *r->p++;
  return KAVRO_OK;
}

static kavro_err_t read_exact(kv_reader_t *r, void *out, size_t n,
                              const char *what) {
  if ((size_t)(r->end - r->p) < n)
    return kv_read_fail(r, "body ends inside a %s", what);
  memcpy(out, r->p, n);
  r->p += n;
  return KAVRO_OK;
}

/* Avro writes floats little-endian; so does every host kavro builds on, and
 * configure would have to say otherwise for a big-endian one. */
kavro_err_t kv_read_float(kv_reader_t *r, float *out) {
  return read_exact(r, out, sizeof(*out), "float");
}

kavro_err_t kv_read_double(kv_reader_t *r, double *out) {
  return read_exact(r, out, sizeof(*out), "double");
}

kavro_err_t kv_read_run(kv_reader_t *r, const unsigned char **data,
                        size_t *length) {
  int64_t n;
  kavro_err_t err = kv_read_long(r, &n);
  if (err)
    return err;
  if (n < 0)
    return kv_read_fail(r, "length %lld is negative", (long long)n);
  if ((uint64_t)n > (uint64_t)(r->end - r->p))
    return kv_read_fail(r, "length %lld is more than the %zu bytes left",
                        (long long)n, (size_t)(r->end - r->p));
  if ((uint64_t)n > r->decoder->limits.max_length)
    return kv_read_limit(r, "string or bytes length", r->decoder->limits.max_length);
  *data = r->p;
  *length = (size_t)n;
  r->p += n;
  return KAVRO_OK;
}

kavro_err_t kv_stage(kv_reader_t *r, const void *data, size_t length,
                     const char **out) {
  kavro_buf_t *s = &r->decoder->scratch;
  s->length = 0;
  if (kv_buf_reserve(s, length + 1) != KAVRO_OK)
    return kv_error_set(r->error, KAVRO_ERR_NOMEM, "out of memory staging a string");
  kv_put_bytes(s, data, length);
  s->data[s->length] = '\0';
  *out = (const char *)s->data;
  return KAVRO_OK;
}

kavro_err_t kv_read_cstring(kv_reader_t *r, const char **str, size_t *length) {
  const unsigned char *data;
  kavro_err_t err = kv_read_run(r, &data, length);
  return err ? err : kv_stage(r, data, *length, str);
}

kavro_err_t kv_read_enter(kv_reader_t *r) {
  if (r->depth >= r->decoder->limits.max_depth)
    return kv_read_limit(r, "nesting depth", r->decoder->limits.max_depth);
  r->depth++;
  return KAVRO_OK;
}

bool kv_node_may_be_empty(const kv_node_t *node) {
  switch (node->type) {
  case KAVRO_NULL:
  case KAVRO_RECORD:   /* all its fields might be empty; not worth a walk */
    return true;
  case KAVRO_FIXED:
    return node->size == 0;
  default:
    return false;
  }
}

kavro_err_t kv_read_block(kv_reader_t *r, const kv_node_t *item,
                          size_t *seen, size_t *count) {
  int64_t n;
  kavro_err_t err = kv_read_long(r, &n);
  if (err)
    return err;
  if (n < 0) {
    /* A negative count is followed by the block's size in bytes. */
    int64_t bytes;
    if (n == INT64_MIN)
      return kv_read_fail(r, "block count is out of range");
    n = -n;
    if ((err = kv_read_long(r, &bytes)))
      return err;
    if (bytes < 0 || (uint64_t)bytes > (uint64_t)(r->end - r->p))
      return kv_read_fail(r, "block size %lld does not fit the %zu bytes left",
                          (long long)bytes, (size_t)(r->end - r->p));
  }
  const kavro_decode_limits_t *lim = &r->decoder->limits;
  /* The bound is on the whole collection, whatever its split in blocks. */
  if ((uint64_t)n > lim->max_collection - *seen)
    return kv_read_limit(r, "collection size", lim->max_collection);
  if ((uint64_t)n > lim->max_elements - r->elements)
    return kv_read_limit(r, "number of collection items", lim->max_elements);
  if (!kv_node_may_be_empty(item) && (uint64_t)n > (uint64_t)(r->end - r->p))
    return kv_read_fail(r, "count %lld is more than the %zu bytes left",
                        (long long)n, (size_t)(r->end - r->p));
  r->elements += (size_t)n;
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


/* ---- encoding ---------------------------------------------------------------- */

static kavro_err_t out_status(kavro_error_t *error, kavro_err_t err) {
  if (err == KAVRO_ERR_LIMIT)
    return kv_error_set(error, err, "encoded value does not fit the buffer");
  if (err == KAVRO_ERR_NOMEM)
    return kv_error_set(error, err, "out of memory growing the buffer");
  return err;
}

static kavro_err_t encode_scalar(kavro_buf_t *out, const kv_node_t *node,
                                 const avro_value_t *v, kavro_error_t *error) {
  int rc;
  switch (node->type) {
  case KAVRO_NULL:
    return kv_value_status(error, avro_value_get_null(v), "a null");
  case KAVRO_BOOLEAN: {
    int b = 0;
    if ((rc = avro_value_get_boolean(v, &b)))
      return kv_value_status(error, rc, "a boolean");
    unsigned char byte = b != 0;
    kavro_err_t err = kv_buf_reserve(out, 1);
    if (!err)
      kv_put_bytes(out, &byte, 1);
    return out_status(error, err);
  }
  case KAVRO_INT: {
    int32_t i = 0;
    if ((rc = avro_value_get_int(v, &i)))
      return kv_value_status(error, rc, "an int");
    return out_status(error, kv_write_long(out, i));
  }
  case KAVRO_LONG: {
    int64_t l = 0;
    if ((rc = avro_value_get_long(v, &l)))
      return kv_value_status(error, rc, "a long");
    return out_status(error, kv_write_long(out, l));
  }
  case KAVRO_FLOAT: {
    float f = 0;
    if ((rc = avro_value_get_float(v, &f)))
      return kv_value_status(error, rc, "a float");
    kavro_err_t err = kv_buf_reserve(out, sizeof(f));
    if (!err)
      kv_put_bytes(out, &f, sizeof(f));
    return out_status(error, err);
  }
  default: {
    double d = 0;
    if ((rc = avro_value_get_double(v, &d)))
      return kv_value_status(error, rc, "a double");
    kavro_err_t err = kv_buf_reserve(out, sizeof(d));
    if (!err)
      kv_put_bytes(out, &d, sizeof(d));
    return out_status(error, err);
  }
  }
}

static kavro_err_t encode_run(kavro_buf_t *out, const kv_node_t *node,
                              const avro_value_t *v, kavro_error_t *error) {
  const void *data = NULL;
  size_t size = 0;
  int rc;
  switch (node->type) {
  case KAVRO_BYTES:
    if ((rc = avro_value_get_bytes(v, &data, &size)))
      return kv_value_status(error, rc, "bytes");
    return out_status(error, kv_write_bytes(out, data, size));
  case KAVRO_STRING: {
    const char *s = NULL;
    /* avro-c counts the NUL terminator in a string's size. */
    if ((rc = avro_value_get_string(v, &s, &size)))
      return kv_value_status(error, rc, "a string");
    return out_status(error, kv_write_bytes(out, s, size ? size - 1 : 0));
  }
  case KAVRO_FIXED: {
    if ((rc = avro_value_get_fixed(v, &data, &size)))
      return kv_value_status(error, rc, "a fixed");
    if (size != node->size)
      return kv_error_set(error, KAVRO_ERR_ENCODE,
                          "fixed %s holds %zu bytes, not %zu", node->fullname,
                          size, node->size);
    kavro_err_t err = kv_buf_reserve(out, size);
    if (!err)
      kv_put_bytes(out, data, size);
    return out_status(error, err);
  }
  default: { /* enum */
    int i = 0;
    if ((rc = avro_value_get_enum(v, &i)))
      return kv_value_status(error, rc, "an enum");
    if (i < 0 || (size_t)i >= node->symbol_count)
      return kv_error_set(error, KAVRO_ERR_ENCODE,
                          "enum %s has no symbol %d", node->fullname, i);
    return out_status(error, kv_write_long(out, i));
  }
  }
}

/* Arrays and maps: one block with every item, then the empty block. */
static kavro_err_t encode_collection(kavro_buf_t *out, const kv_node_t *node,
                                     const avro_value_t *v, unsigned depth,
                                     kavro_error_t *error) {
  size_t count = 0;
  int rc = avro_value_get_size(v, &count);
  if (rc)
    return kv_value_status(error, rc, "an array or map");
  kavro_err_t err;
  if (count > 0 && (err = out_status(error, kv_write_long(out, (int64_t)count))))
    return err;
  for (size_t i = 0; i < count; i++) {
    avro_value_t child;
    const char *key = NULL;
    if ((rc = avro_value_get_by_index(v, i, &child, &key)))
      return kv_value_status(error, rc, "a collection item");
    if (node->type == KAVRO_MAP &&
        (err = out_status(error, kv_write_bytes(out, key, strlen(key)))))
      return err;
    if ((err = kv_encode_node(out, node->items, &child, depth + 1, error)))
      return err;
  }
  return out_status(error, kv_write_long(out, 0));
}

/* A record value with another number of fields is of another schema. */
kavro_err_t kv_check_record(const kv_node_t *node, const avro_value_t *v,
                            kavro_error_t *error) {
  size_t count = 0;
  int rc = avro_value_get_size(v, &count);
  if (rc)
    return kv_value_status(error, rc, "a record");
  if (count != node->field_count)
    return kv_error_set(error, KAVRO_ERR_ENCODE,
                        "value has %zu fields where record %s has %zu", count,
                        node->fullname, node->field_count);
  return KAVRO_OK;
}

static kavro_err_t encode_record(kavro_buf_t *out, const kv_node_t *node,
                                 const avro_value_t *v, unsigned depth,
                                 kavro_error_t *error) {
  kavro_err_t err = kv_check_record(node, v, error);
  if (err)
    return err;
  for (size_t i = 0; i < node->field_count; i++) {
    avro_value_t child;
    int rc = avro_value_get_by_index(v, i, &child, NULL);
    if (rc)
      return kv_value_status(error, rc, "a record field");
    if ((err = kv_encode_node(out, node->fields[i].type, &child, depth + 1,
                              error)))
      return err;
  }
  return KAVRO_OK;
}

static kavro_err_t encode_union(kavro_buf_t *out, const kv_node_t *node,
                                const avro_value_t *v, unsigned depth,
                                kavro_error_t *error) {
  int disc = -1;
  avro_value_t branch;
  int rc = avro_value_get_discriminant(v, &disc);
  if (rc)
    return kv_value_status(error, rc, "a union");
  if (disc < 0 || (size_t)disc >= node->branch_count)
    return kv_error_set(error, KAVRO_ERR_ENCODE,
                        "union has no branch selected (discriminant %d)", disc);
  if ((rc = avro_value_get_current_branch(v, &branch)))
    return kv_value_status(error, rc, "a union branch");
  kavro_err_t err = out_status(error, kv_write_long(out, disc));
  return err ? err
             : kv_encode_node(out, node->branches[disc], &branch, depth + 1,
                              error);
}

kavro_err_t kv_encode_node(kavro_buf_t *out, const kv_node_t *node,
                           const avro_value_t *value, unsigned depth,
                           kavro_error_t *error) {
  if (depth > KAVRO_DECODE_DEFAULT_MAX_DEPTH)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "value nests deeper than %u levels",
                        KAVRO_DECODE_DEFAULT_MAX_DEPTH);
  switch (node->type) {
  case KAVRO_RECORD:
    return encode_record(out, node, value, depth, error);
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    return encode_collection(out, node, value, depth, error);
  case KAVRO_UNION:
    return encode_union(out, node, value, depth, error);
  case KAVRO_BYTES:
  case KAVRO_STRING:
  case KAVRO_FIXED:
  case KAVRO_ENUM:
    return encode_run(out, node, value, error);
  default:
    return encode_scalar(out, node, value, error);
  }
}

kavro_err_t kavro_encode(const kavro_schema_t *schema,
                         const struct avro_value *value, kavro_buf_t *out,
                         kavro_error_t *error) {
  kv_error_clear(error);
  if (!schema || !value || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "schema, value and out are required");
  size_t mark = out->length;
  kavro_err_t err = kv_encode_node(out, schema->root, value, 0, error);
  if (err)
    out->length = mark;
  return err;
}

kavro_err_t kavro_encode_to(const kavro_schema_t *schema,
                            const struct avro_value *value, void *dst,
                            size_t size, size_t *written,
                            kavro_error_t *error) {
  if (written)
    *written = 0;
  if (!dst && size)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "dst is NULL");
  kavro_buf_t buf = kv_buf_over(dst, size);
  kavro_err_t err = kavro_encode(schema, value, &buf, error);
  if (!err && written)
    *written = buf.length;
  return err;
}

/* ---- decoding ---------------------------------------------------------------- */

static kavro_err_t set_status(kv_reader_t *r, int rc, const char *what) {
  return kv_value_status(r->error, rc, what);
}

static kavro_err_t decode_scalar(kv_reader_t *r, const kv_node_t *node,
                                 avro_value_t *v) {
  kavro_err_t err;
  switch (node->type) {
  case KAVRO_NULL:
    return set_status(r, avro_value_set_null(v), "a null");
  case KAVRO_BOOLEAN: {
    int b;
    return (err = kv_read_boolean(r, &b)) ? err
           : set_status(r, avro_value_set_boolean(v, b), "a boolean");
  }
  case KAVRO_INT: {
    int32_t i;
    return (err = kv_read_int(r, &i)) ? err
           : set_status(r, avro_value_set_int(v, i), "an int");
  }
  case KAVRO_LONG: {
    int64_t l;
    return (err = kv_read_long(r, &l)) ? err
           : set_status(r, avro_value_set_long(v, l), "a long");
  }
  case KAVRO_FLOAT: {
    float f;
    return (err = kv_read_float(r, &f)) ? err
           : set_status(r, avro_value_set_float(v, f), "a float");
  }
  default: {
    double d;
    return (err = kv_read_double(r, &d)) ? err
           : set_status(r, avro_value_set_double(v, d), "a double");
  }
  }
}

static kavro_err_t decode_run(kv_reader_t *r, const kv_node_t *node,
                              avro_value_t *v) {
  const unsigned char *data;
  size_t length;
  kavro_err_t err;
  switch (node->type) {
  case KAVRO_BYTES:
    if ((err = kv_read_run(r, &data, &length)))
      return err;
    return set_status(r, avro_value_set_bytes(v, (void *)data, length), "bytes");
  case KAVRO_STRING: {
    const char *s;
    if ((err = kv_read_cstring(r, &s, &length)))
      return err;
    return set_status(r, avro_value_set_string_len(v, s, length + 1), "a string");
  }
  case KAVRO_FIXED:
    if ((size_t)(r->end - r->p) < node->size)
      return kv_read_fail(r, "body ends inside fixed %s", node->fullname);
    data = r->p;
    r->p += node->size;
    return set_status(r, avro_value_set_fixed(v, (void *)data, node->size),
                      "a fixed");
  default: {
    int32_t i = 0;
    if ((err = kv_read_int(r, &i)))
      return err;
    if (i < 0 || (size_t)i >= node->symbol_count)
      return kv_read_fail(r, "enum %s has no symbol %d", node->fullname, i);
    return set_status(r, avro_value_set_enum(v, i), "an enum");
  }
  }
}

kavro_err_t kv_decode_collection(kv_reader_t *r, const kv_node_t *node,
                                 kv_item_fn item, const void *arg,
                                 avro_value_t *v) {
  kavro_err_t err;
  size_t count, seen = 0;
  while (!(err = kv_read_block(r, node->items, &seen, &count)) && count > 0) {
    for (size_t i = 0; i < count; i++) {
      avro_value_t child;
      int rc, is_new = 1;
      if (node->type == KAVRO_ARRAY) {
        rc = avro_value_append(v, &child, NULL);
      } else {
        const char *key;
        size_t key_length;
        if ((err = kv_read_cstring(r, &key, &key_length)))
          return err;
        rc = avro_value_add(v, key, &child, NULL, &is_new);
      }
      if (rc)
        return set_status(r, rc, "a collection item");
      /* A repeated map key: the last one wins, as in Java. */
      if (!is_new && (rc = avro_value_reset(&child)))
        return set_status(r, rc, "a repeated map entry");
      if ((err = item(r, arg, &child)))
        return err;
    }
  }
  return err;
}

static kavro_err_t decode_item(kv_reader_t *r, const void *node,
                               avro_value_t *v) {
  return kv_decode_node(r, node, v);
}

static kavro_err_t decode_record(kv_reader_t *r, const kv_node_t *node,
                                 avro_value_t *v) {
  kavro_err_t err = kv_check_record(node, v, r->error);
  if (err)
    return err;
  for (size_t i = 0; i < node->field_count; i++) {
    avro_value_t child;
    int rc = avro_value_get_by_index(v, i, &child, NULL);
    if (rc)
      return set_status(r, rc, "a record field");
    if ((err = kv_decode_node(r, node->fields[i].type, &child)))
      return err;
  }
  return KAVRO_OK;
}

kavro_err_t kv_read_branch(kv_reader_t *r, const kv_node_t *node,
                           size_t *index) {
  int64_t d;
  kavro_err_t err = kv_read_long(r, &d);
  if (err)
    return err;
  if (d < 0 || (uint64_t)d >= node->branch_count)
    return kv_read_fail(r, "union branch %lld does not exist (%zu branches)",
                        (long long)d, node->branch_count);
  *index = (size_t)d;
  return KAVRO_OK;
}

static kavro_err_t decode_union(kv_reader_t *r, const kv_node_t *node,
                                avro_value_t *v) {
  size_t d;
  avro_value_t branch;
  kavro_err_t err = kv_read_branch(r, node, &d);
  if (err)
    return err;
  int rc = avro_value_set_branch(v, (int)d, &branch);
  if (rc)
    return set_status(r, rc, "a union branch");
  return kv_decode_node(r, node->branches[d], &branch);
}

kavro_err_t kv_decode_node(kv_reader_t *r, const kv_node_t *node,
                           avro_value_t *value) {
  kavro_err_t err;
  switch (node->type) {
  case KAVRO_RECORD:
  case KAVRO_ARRAY:
  case KAVRO_MAP:
  case KAVRO_UNION:
    if ((err = kv_read_enter(r)))
      return err;
    err = node->type == KAVRO_RECORD  ? decode_record(r, node, value)
          : node->type == KAVRO_UNION ? decode_union(r, node, value)
                                      : kv_decode_collection(r, node, decode_item,
                                                             node->items, value);
    kv_read_leave(r);
    return err;
  case KAVRO_BYTES:
  case KAVRO_STRING:
  case KAVRO_FIXED:
  case KAVRO_ENUM:
    return decode_run(r, node, value);
  default:
    return decode_scalar(r, node, value);
  }
}

/* ---- skipping ---------------------------------------------------------------- */

static kavro_err_t skip_collection(kv_reader_t *r, const kv_node_t *node) {
  kavro_err_t err;
  size_t count, seen = 0;
  while (!(err = kv_read_block(r, node->items, &seen, &count)) && count > 0) {
    for (size_t i = 0; i < count; i++) {
      const unsigned char *key;
      size_t key_length;
      if (node->type == KAVRO_MAP && (err = kv_read_run(r, &key, &key_length)))
        return err;
      if ((err = kv_skip_node(r, node->items)))
        return err;
    }
  }
  return err;
}

static kavro_err_t skip_nested(kv_reader_t *r, const kv_node_t *node) {
  kavro_err_t err = KAVRO_OK;
  if (node->type == KAVRO_RECORD) {
    for (size_t i = 0; i < node->field_count && !err; i++)
      err = kv_skip_node(r, node->fields[i].type);
    return err;
  }
  if (node->type == KAVRO_UNION) {
    size_t d = 0;
    return (err = kv_read_branch(r, node, &d)) ? err
                                            : kv_skip_node(r, node->branches[d]);
  }
  return skip_collection(r, node);
}

kavro_err_t kv_skip_node(kv_reader_t *r, const kv_node_t *node) {
  const unsigned char *data;
  size_t length;
  union {
    int32_t i;
    int64_t l;
    int b;
    double d;
    float f;
  } scratch = {0};
  kavro_err_t err;
  switch (node->type) {
  case KAVRO_NULL:
    return KAVRO_OK;
  case KAVRO_BOOLEAN:
    return kv_read_boolean(r, &scratch.b);
  case KAVRO_INT:
    return kv_read_int(r, &scratch.i);
  case KAVRO_LONG:
    return kv_read_long(r, &scratch.l);
  case KAVRO_FLOAT:
    return kv_read_float(r, &scratch.f);
  case KAVRO_DOUBLE:
    return kv_read_double(r, &scratch.d);
  case KAVRO_BYTES:
  case KAVRO_STRING:
    return kv_read_run(r, &data, &length);
  case KAVRO_FIXED:
    if ((size_t)(r->end - r->p) < node->size)
      return kv_read_fail(r, "body ends inside fixed %s", node->fullname);
    r->p += node->size;
    return KAVRO_OK;
  case KAVRO_ENUM:
    if ((err = kv_read_int(r, &scratch.i)))
      return err;
    if (scratch.i < 0 || (size_t)scratch.i >= node->symbol_count)
      return kv_read_fail(r, "enum %s has no symbol %d", node->fullname,
                          scratch.i);
    return KAVRO_OK;
  default:
    if ((err = kv_read_enter(r)))
      return err;
    err = skip_nested(r, node);
    kv_read_leave(r);
    return err;
  }
}

/* ---- decoder objects and the public entry points ------------------------------ */

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

static void decoder_setup(kavro_decoder_t *d, const kavro_decode_limits_t *limits) {
  kavro_decode_limits_init(&d->limits);
  if (limits) {
    if (limits->max_depth)
      d->limits.max_depth = limits->max_depth;
    if (limits->max_collection)
      d->limits.max_collection = limits->max_collection;
    if (limits->max_elements)
      d->limits.max_elements = limits->max_elements;
    if (LIMITS_HAVE(limits, max_length) && limits->max_length)
      d->limits.max_length = limits->max_length;
  }
  d->scratch = (kavro_buf_t){NULL, 0, 0, SIZE_MAX / 2, false};
}

kavro_decoder_t *kavro_decoder_new(const kavro_decode_limits_t *limits) {
  kavro_decoder_t *d = malloc(sizeof(*d));
  if (d)
    decoder_setup(d, limits);
  return d;
}

void kavro_decoder_destroy(kavro_decoder_t *decoder) {
  if (!decoder)
    return;
  free(decoder->scratch.data);
  free(decoder);
}

kavro_err_t kv_decode_pass(kavro_decoder_t *decoder, kv_item_fn pass,
                           const void *arg, const void *data, size_t size,
                           avro_value_t *value, size_t *consumed,
                           kavro_error_t *error) {
  if (consumed)
    *consumed = 0;
  if (!value || (!data && size))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "value and data are required");
  kavro_decoder_t temporary;
  if (!decoder) {
    decoder_setup(&temporary, NULL);
    decoder = &temporary;
  }
  kv_reader_t r;
  kv_reader_init(&r, decoder, data ? data : "", size, error);
  int rc = avro_value_reset(value);
  kavro_err_t err = rc ? kv_value_status(error, rc, "to reset the value")
                       : pass(&r, arg, value);
  if (!err && consumed)
    *consumed = (size_t)(r.p - r.start);
  else if (!err && r.p != r.end)
    err = kv_error_set(error, KAVRO_ERR_DECODE,
                       "%zu trailing bytes after the datum (%zu bytes)",
                       (size_t)(r.end - r.p), (size_t)(r.p - r.start));
  if (decoder == &temporary)
    free(temporary.scratch.data);
  return err;
}

kavro_err_t kavro_decode(kavro_decoder_t *decoder, const kavro_schema_t *schema,
                         const void *data, size_t size,
                         struct avro_value *value, size_t *consumed,
                         kavro_error_t *error) {
  kv_error_clear(error);
  if (!schema)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "schema is required");
  return kv_decode_pass(decoder, decode_item, schema->root, data, size,
                        value, consumed, error);
}
