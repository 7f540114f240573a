/*
 * kavro - the Avro JSON encoding (Avro 1.11, "JSON Encoding") both ways,
 * field defaults in binary form, and the plain datum JSON of the
 * conformance vectors.
 *
 * JSON is read into the binary encoding, driven by the schema model, and
 * from there into a value by the codec: one path fills values, whether the
 * data came as bytes or as JSON, and the same code turns a field default
 * into the bytes a resolution plan copies into every datum that needs it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "serde_value_int.h"
#include "common_error_int.h"
#include "common_strbuf_int.h"
#include "common_text_int.h"

/* ---- JSON to binary -------------------------------------------------------------- */

typedef struct json_in_s {
  kv_json_mode_t mode;
  kavro_buf_t *out;
  kavro_error_t *error;
  char path[KAVRO_ERROR_PATH_LENGTH];
  size_t path_length;
} json_in_t;

static kavro_err_t encode_json(json_in_t *in, const kv_node_t *node,
                               const json_t *json, unsigned depth);

static size_t in_push_index(json_in_t *in, size_t index) {
  size_t mark = in->path_length;
  int n = snprintf(in->path + mark, sizeof(in->path) - mark, "/%zu", index);
  if (n > 0)
    in->path_length = mark + (size_t)n < sizeof(in->path) ? mark + (size_t)n
                                                          : sizeof(in->path) - 1;
  return mark;
}

/* A JSON pointer step for a member name: '~' and '/' escaped. */
static size_t in_push_name(json_in_t *in, const char *name) {
  size_t mark = in->path_length;
  size_t room = sizeof(in->path) - 1;
  if (in->path_length < room)
    in->path[in->path_length++] = '/';
  for (const char *c = name; *c && in->path_length + 2 <= room; c++) {
    if (*c == '~' || *c == '/') {
      in->path[in->path_length++] = '~';
      in->path[in->path_length++] = *c == '~' ? '0' : '1';
    } else {
      in->path[in->path_length++] = *c;
    }
  }
  in->path[in->path_length] = '\0';
  return mark;
}

static void in_pop(json_in_t *in, size_t mark) {
  in->path_length = mark;
  in->path[mark] = '\0';
}

static kavro_err_t in_fail(json_in_t *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static kavro_err_t in_fail(json_in_t *in, const char *fmt, ...) {
  char text[KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  kv_error_set(in->error, KAVRO_ERR_DECODE, "%s", text);
  kv_error_set_path(in->error, in->path_length ? in->path : "/");
  return KAVRO_ERR_DECODE;
}

static kavro_err_t in_out(json_in_t *in, kavro_err_t err) {
  if (err == KAVRO_ERR_NOMEM)
    return kv_error_set(in->error, err, "out of memory");
  if (err)
    return kv_error_set(in->error, err, "encoded datum does not fit the buffer");
  return KAVRO_OK;
}

static kavro_err_t put_raw(json_in_t *in, const void *data, size_t n) {
  kavro_err_t err = kv_buf_reserve(in->out, n);
  if (!err)
    kv_put_bytes(in->out, data, n);
  return in_out(in, err);
}

/* Decode one UTF-8 sequence of a (valid, jansson-checked) string. */
static uint32_t next_code_point(const unsigned char **s) {
  const unsigned char *p = *s;
  uint32_t cp;
  if (p[0] < 0x80) {
    cp = p[0];
    *s = p + 1;
  } else if ((p[0] >> 5) == 6) {
    cp = ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu);
    *s = p + 2;
  } else if ((p[0] >> 4) == 14) {
    cp = ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
    *s = p + 3;
  } else {
    cp = 0x110000; /* anything in four bytes is above 255 */
    *s = p + 4;
  }
  return cp;
}

/* Bytes and fixed: a string whose code points 0-255 are the bytes. */
static kavro_err_t encode_code_points(json_in_t *in, const kv_node_t *node,
                                      const json_t *json) {
  if (!json_is_string(json))
    return in_fail(in, "expected a string of code points 0-255 for %s",
                   kavro_type_name(node->type));
  size_t n = json_string_length(json);
  const unsigned char *s = (const unsigned char *)json_string_value(json);
  const unsigned char *end = s + n;
  kavro_err_t err = kv_buf_reserve(in->out, KAVRO_MAX_VARINT + n);
  if (err)
    return in_out(in, err);
  size_t mark = in->out->length, count = 0;
  unsigned char *bytes = in->out->data + mark + KAVRO_MAX_VARINT;
  while (s < end) {
    uint32_t cp = next_code_point(&s);
    if (cp > 255)
      return in_fail(in, "%s holds a code point above 255",
                     kavro_type_name(node->type));
    bytes[count++] = (unsigned char)cp;
  }
  if (node->type == KAVRO_FIXED) {
    if (count != node->size)
      return in_fail(in, "fixed %s needs a string of exactly its size",
                     node->fullname);
    memmove(in->out->data + mark, bytes, count);
    in->out->length = mark + count;
    return KAVRO_OK;
  }
  kv_put_long(in->out, (int64_t)count);
  memmove(in->out->data + in->out->length, bytes, count);
  in->out->length += count;
  return KAVRO_OK;
}

static kavro_err_t encode_number(json_in_t *in, const kv_node_t *node,
                                 const json_t *json) {
  double d;
  if (json_is_number(json)) {
    d = json_number_value(json);
  } else if (in->mode == KV_JSON_AVRO && json_is_string(json) &&
             (!strcmp(json_string_value(json), "NaN") ||
              !strcmp(json_string_value(json), "Infinity") ||
              !strcmp(json_string_value(json), "-Infinity"))) {
    const char *s = json_string_value(json);
    d = s[0] == 'N' ? NAN : s[0] == '-' ? -INFINITY : INFINITY;
  } else {
    return in_fail(in, "expected a number for %s", kavro_type_name(node->type));
  }
  if (node->type == KAVRO_FLOAT) {
    float f = (float)d;
    return put_raw(in, &f, sizeof(f));
  }
  return put_raw(in, &d, sizeof(d));
}

static kavro_err_t encode_primitive(json_in_t *in, const kv_node_t *node,
                                    const json_t *json) {
  switch (node->type) {
  case KAVRO_NULL:
    return json_is_null(json) ? KAVRO_OK : in_fail(in, "expected null");
  case KAVRO_BOOLEAN:
    if (!json_is_boolean(json))
      return in_fail(in, "expected true or false");
    return put_raw(in, json_is_true(json) ? "\1" : "\0", 1);
  case KAVRO_INT:
  case KAVRO_LONG: {
    if (!json_is_integer(json))
      return in_fail(in, "expected an integer for %s", kavro_type_name(node->type));
    json_int_t v = json_integer_value(json);
    if (node->type == KAVRO_INT && (v < INT32_MIN || v > INT32_MAX))
      return in_fail(in, "integer is outside the 32-bit range");
    return in_out(in, kv_write_long(in->out, (int64_t)v));
  }
  case KAVRO_FLOAT:
  case KAVRO_DOUBLE:
    return encode_number(in, node, json);
  case KAVRO_STRING:
    if (!json_is_string(json))
      return in_fail(in, "expected a string");
    return in_out(in, kv_write_bytes(in->out, json_string_value(json),
                                     json_string_length(json)));
  default:
    return encode_code_points(in, node, json);
  }
}

static kavro_err_t encode_enum(json_in_t *in, const kv_node_t *node,
                               const json_t *json) {
  const char *s = json_string_value(json);
  long i = s ? kv_enum_symbol(node, s) : -1;
  if (i >= 0)
    return in_out(in, kv_write_long(in->out, (int64_t)i));
  return in_fail(in, "expected a symbol of enum %s", node->fullname);
}

static kavro_err_t encode_array(json_in_t *in, const kv_node_t *node,
                                const json_t *json, unsigned depth) {
  if (!json_is_array(json))
    return in_fail(in, "expected an array");
  size_t n = json_array_size(json);
  kavro_err_t err = KAVRO_OK;
  if (n && (err = in_out(in, kv_write_long(in->out, (int64_t)n))))
    return err;
  for (size_t i = 0; i < n && !err; i++) {
    size_t mark = in_push_index(in, i);
    err = encode_json(in, node->items, json_array_get(json, i), depth + 1);
    if (!err)
      in_pop(in, mark);
  }
  return err ? err : in_out(in, kv_write_long(in->out, 0));
}

static kavro_err_t encode_map(json_in_t *in, const kv_node_t *node,
                              const json_t *json, unsigned depth) {
  if (!json_is_object(json))
    return in_fail(in, "expected an object");
  size_t n = json_object_size(json);
  kavro_err_t err = KAVRO_OK;
  if (n && (err = in_out(in, kv_write_long(in->out, (int64_t)n))))
    return err;
  const char *key;
  json_t *item;
  json_object_foreach((json_t *)json, key, item) {
    size_t mark = in_push_name(in, key);
    if ((err = in_out(in, kv_write_bytes(in->out, key, strlen(key)))) ||
        (err = encode_json(in, node->items, item, depth + 1)))
      return err;
    in_pop(in, mark);
  }
  return in_out(in, kv_write_long(in->out, 0));
}

static kavro_err_t encode_record(json_in_t *in, const kv_node_t *node,
                                 const json_t *json, unsigned depth) {
  if (!json_is_object(json))
    return in_fail(in, "expected an object for record %s", node->fullname);
  const char *key;
  json_t *item;
  json_object_foreach((json_t *)json, key, item) {
    if (!kv_record_field(node, key)) {
      in_push_name(in, key);
      return in_fail(in, "record %s has no such field", node->fullname);
    }
  }
  for (size_t i = 0; i < node->field_count; i++) {
    const kv_field_t *f = &node->fields[i];
    const json_t *v = json_object_get(json, f->name);
    size_t mark = in_push_name(in, f->name);
    kavro_err_t err;
    if (v) {
      err = encode_json(in, f->type, v, depth + 1);
    } else if (f->default_defect) {
      err = in_fail(in, "field is missing and its default cannot be used: %s",
                    f->default_defect);
    } else if (f->default_value) {
      /* A default is written in the default convention, whatever the
       * datum's own. */
      kv_json_mode_t mode = in->mode;
      in->mode = KV_JSON_DEFAULT;
      err = encode_json(in, f->type, f->default_value, depth + 1);
      in->mode = mode;
    } else {
      err = in_fail(in, "field is missing and has no default");
    }
    if (err)
      return err;
    in_pop(in, mark);
  }
  return KAVRO_OK;
}

/* The name a union branch goes by in the JSON encoding. */
static const char *branch_label(const kv_node_t *branch) {
  return kv_type_is_named(branch->type) ? branch->fullname
                                        : kavro_type_name(branch->type);
}

static long find_branch(const kv_node_t *node, const char *label) {
  for (size_t i = 0; i < node->branch_count; i++) {
    const kv_node_t *b = node->branches[i];
    if (strcmp(branch_label(b), label) == 0 ||
        (kv_type_is_named(b->type) && strcmp(b->name, label) == 0))
      return (long)i;
  }
  return -1;
}

/* Which branch a union datum takes, and the JSON of its value. */
static kavro_err_t pick_json_branch(json_in_t *in, const kv_node_t *node,
                                    const json_t *json, long *index,
                                    const json_t **value, const char **label) {
  *value = json;
  *label = NULL;
  if (in->mode == KV_JSON_DEFAULT) {
    *index = 0;
    return KAVRO_OK;
  }
  if (json_is_null(json)) {
    *index = find_branch(node, "null");
    return *index < 0 ? in_fail(in, "the union has no null branch")
                      : KAVRO_OK;
  }
  if (!json_is_object(json) || json_object_size(json) != 1)
    return in_fail(in, "expected null or {\"type\": value} for a union");
  void *member = json_object_iter((json_t *)json);
  *label = json_object_iter_key(member);
  *value = json_object_iter_value(member);
  *index = find_branch(node, *label);
  return *index < 0 ? in_fail(in, "the union has no branch %s", *label)
                    : KAVRO_OK;
}

static kavro_err_t encode_union(json_in_t *in, const kv_node_t *node,
                                const json_t *json, unsigned depth) {
  if (node->branch_count == 0)
    return in_fail(in, "an empty union has no values");
  long i = 0;
  const json_t *value = json;
  const char *label = NULL;
  kavro_err_t err = pick_json_branch(in, node, json, &i, &value, &label);
  if (err)
    return err;
  size_t mark = label ? in_push_name(in, label) : in->path_length;
  if ((err = in_out(in, kv_write_long(in->out, i))) ||
      (err = encode_json(in, node->branches[i], value, depth + 1)))
    return err;
  in_pop(in, mark);
  return KAVRO_OK;
}

static kavro_err_t encode_json(json_in_t *in, const kv_node_t *node,
                               const json_t *json, unsigned depth) {
  if (depth > 2 * KAVRO_DECODE_DEFAULT_MAX_DEPTH)
    return in_fail(in, "datum nests deeper than the limit");
  switch (node->type) {
  case KAVRO_RECORD:
    return encode_record(in, node, json, depth);
  case KAVRO_ENUM:
    return encode_enum(in, node, json);
  case KAVRO_ARRAY:
    return encode_array(in, node, json, depth);
  case KAVRO_MAP:
    return encode_map(in, node, json, depth);
  case KAVRO_UNION:
    return encode_union(in, node, json, depth);
  default:
    return encode_primitive(in, node, json);
  }
}

kavro_err_t kv_json_encode(const kv_node_t *node, const json_t *json,
                           kv_json_mode_t mode, kavro_buf_t *out,
                           kavro_error_t *error) {
  json_in_t in = {mode, out, error, "", 0};
  size_t mark = out->length;
  kavro_err_t err = encode_json(&in, node, json, 0);
  if (err)
    out->length = mark;
  return err;
}

static kavro_err_t parse_datum(const char *text, size_t length, json_t **out,
                               kavro_error_t *error) {
  json_error_t jerr;
  *out = json_loadb(text, length, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  if (*out)
    return KAVRO_OK;
  /* jansson gives no text only when it ran out of memory. */
  if (!jerr.text[0])
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory parsing JSON");
  kv_error_set(error, KAVRO_ERR_JSON, "%s", jerr.text);
  if (error) {
    error->line = jerr.line;
    error->column = jerr.column;
    error->position = jerr.position;
  }
  return KAVRO_ERR_JSON;
}

kavro_err_t kavro_json_to_binary(const kavro_schema_t *schema, const char *text,
                                 size_t length, kavro_buf_t *out,
                                 kavro_error_t *error) {
  kv_error_clear(error);
  if (!schema || !text || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "schema, text and out are required");
  json_t *json;
  kavro_err_t err = parse_datum(text, length, &json, error);
  if (err)
    return err;
  err = kv_json_encode(schema->root, json, KV_JSON_AVRO, out, error);
  json_decref(json);
  return err;
}

kavro_err_t kavro_value_from_json(const kavro_schema_t *schema,
                                  const char *text, size_t length,
                                  struct avro_value *value,
                                  kavro_error_t *error) {
  kavro_buf_t *bytes = kavro_buf_new(0, 0);
  if (!bytes)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = kavro_json_to_binary(schema, text, length, bytes, error);
  if (!err)
    err = kavro_decode(NULL, schema, bytes->data, bytes->length, value, NULL,
                       error);
  kavro_buf_destroy(bytes);
  return err;
}

/* ---- values to JSON ---------------------------------------------------------------- */

typedef struct json_out_s {
  kv_strbuf_t sb;
  unsigned flags;
  kavro_error_t *error;
} json_out_t;

static kavro_err_t write_value(json_out_t *o, const kv_node_t *node,
                               const avro_value_t *v, unsigned depth);

static kavro_err_t out_fail(json_out_t *o, int rc, const char *what) {
  return kv_value_status(o->error, rc, what);
}

static bool plain(const json_out_t *o) {
  return (o->flags & KAVRO_DATUM_JSON_PLAIN) != 0;
}

/* A JSON string literal of @n bytes that may hold NUL.  Avro strings are
 * UTF-8, but a body can say anything: a byte that does not start a valid
 * sequence is written as U+FFFD, so that the text is always valid JSON. */
static void put_string(kv_strbuf_t *sb, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  kv_strbuf_putc(sb, '"');
  for (size_t i = 0; i < n;) {
    unsigned char c = u[i];
    size_t len = kv_utf8_sequence(u + i, n - i);
    if (len == 0) {
      kv_strbuf_puts(sb, "\\ufffd");
      i++;
      continue;
    }
    if (c == '"' || c == '\\') {
      kv_strbuf_putc(sb, '\\');
      kv_strbuf_putc(sb, (char)c);
    } else if (c < 0x20) {
      kv_strbuf_printf(sb, "\\u%04x", c);
    } else {
      kv_strbuf_append(sb, s + i, len);
    }
    i += len;
  }
  kv_strbuf_putc(sb, '"');
}

/* Bytes as code points 0-255; every byte that is not printable ASCII as a
 * \u escape, which keeps the text ASCII and exact. */
static void put_code_points(kv_strbuf_t *sb, const unsigned char *b, size_t n) {
  kv_strbuf_putc(sb, '"');
  for (size_t i = 0; i < n; i++) {
    if (b[i] < 0x20 || b[i] >= 0x7f || b[i] == '"' || b[i] == '\\')
      kv_strbuf_printf(sb, "\\u%04x", b[i]);
    else
      kv_strbuf_putc(sb, (char)b[i]);
  }
  kv_strbuf_putc(sb, '"');
}

static void put_hex(kv_strbuf_t *sb, const unsigned char *b, size_t n) {
  kv_strbuf_puts(sb, "{\"$bytes\": \"");
  for (size_t i = 0; i < n; i++)
    kv_strbuf_printf(sb, "%02x", b[i]);
  kv_strbuf_puts(sb, "\"}");
}

static void put_bytes(json_out_t *o, const void *data, size_t n) {
  if (plain(o))
    put_hex(&o->sb, data, n);
  else
    put_code_points(&o->sb, data, n);
}

/* Non-finite values as the spec's strings (or the vectors' tagged form);
 * the rest as kv_format_real() writes them. */
static void put_real(json_out_t *o, double d, bool as_float) {
  if (!isfinite(d)) {
    const char *name = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    kv_strbuf_printf(&o->sb, plain(o) ? "{\"$float\": \"%s\"}" : "\"%s\"", name);
    return;
  }
  char text[KV_REAL_TEXT_SIZE];
  kv_strbuf_append(&o->sb, text, kv_format_real(text, d, as_float));
}

static kavro_err_t write_scalar(json_out_t *o, const kv_node_t *node,
                                const avro_value_t *v) {
  int rc = 0;
  switch (node->type) {
  case KAVRO_NULL:
    if (!(rc = avro_value_get_null(v)))
      kv_strbuf_puts(&o->sb, "null");
    break;
  case KAVRO_BOOLEAN: {
    int b = 0;
    if (!(rc = avro_value_get_boolean(v, &b)))
      kv_strbuf_puts(&o->sb, b ? "true" : "false");
    break;
  }
  case KAVRO_INT: {
    int32_t i = 0;
    if (!(rc = avro_value_get_int(v, &i)))
      kv_strbuf_printf(&o->sb, "%ld", (long)i);
    break;
  }
  case KAVRO_LONG: {
    int64_t l = 0;
    if (!(rc = avro_value_get_long(v, &l)))
      kv_strbuf_printf(&o->sb, "%lld", (long long)l);
    break;
  }
  case KAVRO_FLOAT: {
    float f = 0;
    /* The plain convention writes the double a float widens to. */
    if (!(rc = avro_value_get_float(v, &f)))
      put_real(o, f, !plain(o));
    break;
  }
  default: {
    double d = 0;
    if (!(rc = avro_value_get_double(v, &d)))
      put_real(o, d, false);
    break;
  }
  }
  return rc ? out_fail(o, rc, kavro_type_name(node->type)) : KAVRO_OK;
}

static kavro_err_t write_run(json_out_t *o, const kv_node_t *node,
                             const avro_value_t *v) {
  const void *data = NULL;
  size_t size = 0;
  int rc, i = 0;
  switch (node->type) {
  case KAVRO_BYTES:
    if (!(rc = avro_value_get_bytes(v, &data, &size)))
      put_bytes(o, data, size);
    break;
  case KAVRO_FIXED:
    if (!(rc = avro_value_get_fixed(v, &data, &size)))
      put_bytes(o, data, size);
    break;
  case KAVRO_STRING: {
    const char *s = NULL;
    if (!(rc = avro_value_get_string(v, &s, &size)))
      put_string(&o->sb, s, size ? size - 1 : 0);
    break;
  }
  default:
    if (!(rc = avro_value_get_enum(v, &i))) {
      if (i < 0 || (size_t)i >= node->symbol_count)
        return kv_error_set(o->error, KAVRO_ERR_ENCODE,
                            "enum %s has no symbol %d", node->fullname, i);
      put_string(&o->sb, node->symbols[i], strlen(node->symbols[i]));
    }
  }
  return rc ? out_fail(o, rc, kavro_type_name(node->type)) : KAVRO_OK;
}

static kavro_err_t write_members(json_out_t *o, const kv_node_t *node,
                                 const avro_value_t *v, unsigned depth) {
  size_t count = 0;
  int rc = node->type == KAVRO_RECORD ? 0 : avro_value_get_size(v, &count);
  if (rc)
    return out_fail(o, rc, kavro_type_name(node->type));
  if (node->type == KAVRO_RECORD)
    count = node->field_count;
  bool is_array = node->type == KAVRO_ARRAY;
  kv_strbuf_putc(&o->sb, is_array ? '[' : '{');
  for (size_t i = 0; i < count; i++) {
    avro_value_t child;
    const char *key = NULL;
    if ((rc = avro_value_get_by_index(v, i, &child, &key)))
      return out_fail(o, rc, "a member");
    if (i)
      kv_strbuf_puts(&o->sb, ", ");
    const kv_node_t *type = node->type == KAVRO_RECORD ? node->fields[i].type
                                                       : node->items;
    if (node->type == KAVRO_RECORD)
      key = node->fields[i].name;
    if (!is_array) {
      put_string(&o->sb, key, strlen(key));
      kv_strbuf_puts(&o->sb, ": ");
    }
    kavro_err_t err = write_value(o, type, &child, depth + 1);
    if (err)
      return err;
  }
  kv_strbuf_putc(&o->sb, is_array ? ']' : '}');
  return KAVRO_OK;
}

static kavro_err_t write_union(json_out_t *o, const kv_node_t *node,
                               const avro_value_t *v, unsigned depth) {
  int disc = -1;
  avro_value_t branch;
  int rc = avro_value_get_discriminant(v, &disc);
  if (rc)
    return out_fail(o, rc, "a union");
  if (disc < 0 || (size_t)disc >= node->branch_count)
    return kv_error_set(o->error, KAVRO_ERR_ENCODE,
                        "union has no branch selected (discriminant %d)", disc);
  if ((rc = avro_value_get_current_branch(v, &branch)))
    return out_fail(o, rc, "a union branch");
  const kv_node_t *b = node->branches[disc];
  if (plain(o) || b->type == KAVRO_NULL)
    return write_value(o, b, &branch, depth + 1);
  kv_strbuf_putc(&o->sb, '{');
  put_string(&o->sb, branch_label(b), strlen(branch_label(b)));
  kv_strbuf_puts(&o->sb, ": ");
  kavro_err_t err = write_value(o, b, &branch, depth + 1);
  kv_strbuf_putc(&o->sb, '}');
  return err;
}

static kavro_err_t write_value(json_out_t *o, const kv_node_t *node,
                               const avro_value_t *v, unsigned depth) {
  if (depth > KAVRO_DECODE_DEFAULT_MAX_DEPTH)
    return kv_error_set(o->error, KAVRO_ERR_LIMIT,
                        "value nests deeper than %u levels",
                        KAVRO_DECODE_DEFAULT_MAX_DEPTH);
  switch (node->type) {
  case KAVRO_RECORD:
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    return write_members(o, node, v, depth);
  case KAVRO_UNION:
    return write_union(o, node, v, depth);
  case KAVRO_BYTES:
  case KAVRO_STRING:
  case KAVRO_FIXED:
  case KAVRO_ENUM:
    return write_run(o, node, v);
  default:
    return write_scalar(o, node, v);
  }
}

char *kavro_value_to_json(const kavro_schema_t *schema,
                          const struct avro_value *value, unsigned flags,
                          kavro_error_t *error) {
  kv_error_clear(error);
  if (!schema || !value) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "schema and value are required");
    return NULL;
  }
  json_out_t o = {KV_STRBUF_INIT, flags, error};
  if (write_value(&o, schema->root, value, 0) != KAVRO_OK) {
    kv_strbuf_free(&o.sb);
    return NULL;
  }
  char *text = kv_strbuf_steal(&o.sb);
  if (!text)
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory writing JSON");
  return text;
}
