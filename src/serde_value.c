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
#include <string.h>

#include "serde_value_int.h"
#include "common_error_int.h"
#include "common_inline_int.h"

/* ---- errors ----------------------------------------------------------------- */

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
  kv_cursor_setup(&r->c, data, size, &decoder->limits, error);
  r->decoder = decoder;
}

/* Copy @length bytes into the decoder's scratch, NUL-terminated (avro-c
 * wants C strings).  Inlined: every string of a datum comes here. */
static KV_ALWAYS_INLINE kavro_err_t stage(kv_reader_t *r, const void *data,
                                          size_t length, const char **out) {
  kavro_buf_t *s = &r->decoder->scratch;
  s->length = 0;
  if (kv_buf_reserve(s, length + 1) != KAVRO_OK)
    return kv_error_set(r->c.error, KAVRO_ERR_NOMEM, "out of memory staging a string");
  kavro_copy(s->data, data, length);
  s->data[length] = '\0';
  *out = (const char *)s->data;
  return KAVRO_OK;
}

/* As kavro_cursor_run(), staged. */
static KV_ALWAYS_INLINE kavro_err_t read_cstring(kv_reader_t *r,
                                                 const char **str,
                                                 size_t *length) {
  const unsigned char *data = NULL;
  kavro_err_t err = kavro_cursor_run(&r->c, &data, length);
  return err ? err : stage(r, data, *length, str);
}

/* The walk below @depth records deep: a record that holds itself through
 * record fields alone has no finite datum, so the bound only ends it. */
static bool may_be_empty(const kv_node_t *node, unsigned depth) {
  switch (node->type) {
  case KAVRO_NULL:
    return true;
  case KAVRO_FIXED:
    return node->size == 0;
  case KAVRO_RECORD:
    /* Stops at the first field that takes a byte, usually the first. */
    for (size_t i = 0; i < node->field_count; i++)
      if (depth >= KAVRO_DECODE_DEFAULT_MAX_DEPTH ||
          !may_be_empty(node->fields[i].type, depth + 1))
        return false;
    return true;
  default:
    return false;
  }
}

/* The rule `kavro gen` follows too, so that a count is bounded by the
 * bytes left on both paths alike. */
bool kv_node_may_be_empty(const kv_node_t *node) {
  return may_be_empty(node, 0);
}

kavro_err_t kv_read_block(kv_reader_t *r, const kv_node_t *item,
                          size_t *seen, size_t *count) {
  return kavro_cursor_block(&r->c, seen, count, kv_node_may_be_empty(item));
}



/* ---- encoding ---------------------------------------------------------------- */

static kavro_err_t out_status(kavro_error_t *error, kavro_err_t err) {
  if (err == KAVRO_ERR_LIMIT)
    return kv_error_set(error, err, "encoded value does not fit the buffer");
  if (err == KAVRO_ERR_NOMEM)
    return kv_error_set(error, err, "out of memory growing the buffer");
  return err;
}


/* A float (4 bytes) or a double (8), little-endian, through the codec's
 * writes: a float widened to double and back is the same float. */
static kavro_err_t write_real(kavro_buf_t *out, double value, bool as_float) {
  kavro_err_t err = kv_buf_reserve(out, as_float ? 4 : 8);
  if (err)
    return err;
  unsigned char *p = out->data + out->length;
  unsigned char *end = as_float ? kavro_put_float(p, (float)value)
                                : kavro_put_double(p, value);
  out->length += (size_t)(end - p);
  return KAVRO_OK;
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
    return out_status(error, write_real(out, f, true));
  }
  default: {
    double d = 0;
    if ((rc = avro_value_get_double(v, &d)))
      return kv_value_status(error, rc, "a double");
    return out_status(error, write_real(out, d, false));
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
  return kv_value_status(r->c.error, rc, what);
}

static kavro_err_t decode_scalar(kv_reader_t *r, const kv_node_t *node,
                                 avro_value_t *v) {
  kavro_err_t err;
  switch (node->type) {
  case KAVRO_NULL:
    return set_status(r, avro_value_set_null(v), "a null");
  case KAVRO_BOOLEAN: {
    bool b = false;
    return (err = kavro_cursor_bool(&r->c, &b)) ? err
           : set_status(r, avro_value_set_boolean(v, b), "a boolean");
  }
  case KAVRO_INT: {
    int32_t i = 0;
    return (err = kavro_cursor_int(&r->c, &i)) ? err
           : set_status(r, avro_value_set_int(v, i), "an int");
  }
  case KAVRO_LONG: {
    int64_t l = 0;
    return (err = kavro_cursor_long(&r->c, &l)) ? err
           : set_status(r, avro_value_set_long(v, l), "a long");
  }
  case KAVRO_FLOAT: {
    float f = 0;
    return (err = kavro_cursor_float(&r->c, &f)) ? err
           : set_status(r, avro_value_set_float(v, f), "a float");
  }
  default: {
    double d = 0;
    return (err = kavro_cursor_double(&r->c, &d)) ? err
           : set_status(r, avro_value_set_double(v, d), "a double");
  }
  }
}

static kavro_err_t decode_run(kv_reader_t *r, const kv_node_t *node,
                              avro_value_t *v) {
  const unsigned char *data = NULL;
  size_t length = 0;
  kavro_err_t err;
  switch (node->type) {
  case KAVRO_BYTES:
    if ((err = kavro_cursor_run(&r->c, &data, &length)))
      return err;
    return set_status(r, avro_value_set_bytes(v, (void *)data, length), "bytes");
  case KAVRO_STRING: {
    const char *s = NULL;
    if ((err = read_cstring(r, &s, &length)))
      return err;
    return set_status(r, avro_value_set_string_len(v, s, length + 1), "a string");
  }
  case KAVRO_FIXED:
    if ((err = kavro_cursor_fixed(&r->c, &data, node->size, node->fullname)))
      return err;
    return set_status(r, avro_value_set_fixed(v, (void *)data, node->size),
                      "a fixed");
  default: {
    uint32_t i = 0;
    if ((err = kavro_cursor_symbol(&r->c, &i, (uint32_t)node->symbol_count,
                                   node->fullname)))
      return err;
    return set_status(r, avro_value_set_enum(v, (int)i), "an enum");
  }
  }
}

/* How many items of the array @v the datum's items are read into in
 * place, the first block's @count known: all it holds when the datum has
 * at least as many, none (the array emptied) otherwise.  avro-c frees
 * what an item holds when its array is emptied, and has no way to drop
 * only the last items; most arrays come in one block, whose count is the
 * whole datum's. */
static kavro_err_t items_in_place(kv_reader_t *r, avro_value_t *v,
                                  size_t count, size_t *in_place) {
  size_t held = 0;
  int rc = avro_value_get_size(v, &held);
  if (!rc && count < held)
    rc = avro_value_reset(v);
  if (rc)
    return set_status(r, rc, "an array");
  *in_place = count < held ? 0 : held;
  return KAVRO_OK;
}

/* A map's entries are replaced, not read in place: avro-c cannot take a
 * key out of a map. */
kavro_err_t kv_decode_collection(kv_reader_t *r, const kv_node_t *node,
                                 kv_item_fn item, const void *arg,
                                 avro_value_t *v) {
  kavro_err_t err;
  size_t count, seen = 0, in_place = 0, n = 0;
  bool first = true;
  int reset = node->type == KAVRO_MAP ? avro_value_reset(v) : 0;
  if (reset)
    return set_status(r, reset, "a map");
  while (!(err = kv_read_block(r, node->items, &seen, &count)) && count > 0) {
    if (first && node->type == KAVRO_ARRAY &&
        (err = items_in_place(r, v, count, &in_place)))
      return err;
    first = false;
    for (size_t i = 0; i < count; i++, n++) {
      avro_value_t child;
      int rc, is_new = 1;
      if (node->type == KAVRO_ARRAY) {
        rc = n < in_place ? avro_value_get_by_index(v, n, &child, NULL)
                          : avro_value_append(v, &child, NULL);
      } else {
        const char *key = NULL;
        size_t key_length = 0;
        if ((err = read_cstring(r, &key, &key_length)))
          return err;
        /* avro-c keys are C strings: one with a NUL would be cut short,
         * and merged with another it then equals. */
        if (memchr(key, 0, key_length))
          return kavro_cursor_fail(&r->c, "map key has a NUL byte, which a "
                                          "generic value cannot hold");
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
  /* An empty datum: the array's old items go. */
  if (!err && first && node->type == KAVRO_ARRAY)
    err = items_in_place(r, v, 0, &in_place);
  return err;
}

static kavro_err_t decode_item(kv_reader_t *r, const void *node,
                               avro_value_t *v) {
  return kv_decode_node(r, node, v);
}

static kavro_err_t decode_record(kv_reader_t *r, const kv_node_t *node,
                                 avro_value_t *v) {
  kavro_err_t err = kv_check_record(node, v, r->c.error);
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
  uint32_t d = 0;
  kavro_err_t err =
      kavro_cursor_branch(&r->c, &d, (uint32_t)node->branch_count);
  *index = d;
  return err;
}

static kavro_err_t decode_union(kv_reader_t *r, const kv_node_t *node,
                                avro_value_t *v) {
  size_t d = 0;
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
    if ((err = kavro_cursor_enter(&r->c)))
      return err;
    err = node->type == KAVRO_RECORD  ? decode_record(r, node, value)
          : node->type == KAVRO_UNION ? decode_union(r, node, value)
                                      : kv_decode_collection(r, node, decode_item,
                                                             node->items, value);
    kavro_cursor_leave(&r->c);
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
      const unsigned char *key = NULL;
      size_t key_length = 0;
      if (node->type == KAVRO_MAP && (err = kavro_cursor_run(&r->c, &key, &key_length)))
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
  const unsigned char *data = NULL;
  size_t length = 0;
  union {
    int32_t i;
    uint32_t u;
    int64_t l;
    bool b;
    double d;
    float f;
  } scratch = {0};
  kavro_err_t err;
  switch (node->type) {
  case KAVRO_NULL:
    return KAVRO_OK;
  case KAVRO_BOOLEAN:
    return kavro_cursor_bool(&r->c, &scratch.b);
  case KAVRO_INT:
    return kavro_cursor_int(&r->c, &scratch.i);
  case KAVRO_LONG:
    return kavro_cursor_long(&r->c, &scratch.l);
  case KAVRO_FLOAT:
    return kavro_cursor_float(&r->c, &scratch.f);
  case KAVRO_DOUBLE:
    return kavro_cursor_double(&r->c, &scratch.d);
  case KAVRO_BYTES:
  case KAVRO_STRING:
    return kavro_cursor_run(&r->c, &data, &length);
  case KAVRO_FIXED:
    return kavro_cursor_fixed(&r->c, &data, node->size, node->fullname);
  case KAVRO_ENUM:
    return kavro_cursor_symbol(&r->c, &scratch.u, (uint32_t)node->symbol_count,
                               node->fullname);
  default:
    if ((err = kavro_cursor_enter(&r->c)))
      return err;
    err = skip_nested(r, node);
    kavro_cursor_leave(&r->c);
    return err;
  }
}

/* ---- decoder objects and the public entry points ------------------------------ */

static void decoder_setup(kavro_decoder_t *d, const kavro_decode_limits_t *limits) {
  kv_limits_complete(limits, &d->limits);
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
  /* The datum is read over what @value held, in place: a record's fields,
   * a union's branch while it stays the same and an array's items are
   * set again, not freed and made anew (kv_decode_collection()). */
  kavro_err_t err = pass(&r, arg, value);
  if (!err && consumed)
    *consumed = (size_t)(r.c.p - r.c.start);
  else if (!err && r.c.p != r.c.end)
    err = kavro_cursor_trailing(&r.c);
  /* What a failed read leaves is the datum's start over the old one's
   * rest: only the start is kept. */
  if (err)
    avro_value_reset(value);
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
