/*
 * kavro tests - the value codec: binary encoding and decoding of avro-c
 * generic values, decode limits against hostile bodies, and the Avro JSON
 * encoding.
 *
 * Conformance: every row of encoding.jsonl is encoded from its datum and
 * must give exactly `hex`, then `hex` is decoded and must give the datum
 * back.  Union rows: the vectors record the branch python chose (the last
 * that accepts the value), so the value is built with the branch index the
 * expected bytes start with.  Logical-type rows: avro-c values have no
 * logical types, so the value is built from, and compared with,
 * `py_decoded_raw` (the underlying type's datum).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum_util.h"
#include "schema_int.h"
#include "testutil.h"

static json_t *encoding_rows;

/* ---- building a value from a plain-convention datum --------------------------- */

static void fill(const kv_node_t *node, const json_t *datum, avro_value_t *v,
                 long branch);

static double datum_real(const json_t *datum) {
  const char *tag = json_string_value(json_object_get(datum, "$float"));
  if (!tag)
    return json_number_value(datum);
  return strcmp(tag, "NaN") == 0 ? NAN : tag[0] == '-' ? -INFINITY : INFINITY;
}

static unsigned char *datum_bytes(const json_t *datum, size_t *n) {
  const char *hex = json_string_value(json_object_get(datum, "$bytes"));
  ck_assert_ptr_nonnull(hex);
  unsigned char *b = kt_hex_decode(hex, n);
  ck_assert_ptr_nonnull(b);
  return b;
}

/* The first branch whose type can hold @datum (nested unions only). */
static long branch_for(const kv_node_t *node, const json_t *datum) {
  for (size_t i = 0; i < node->branch_count; i++) {
    kavro_type_t t = node->branches[i]->type;
    if ((json_is_null(datum) && t == KAVRO_NULL) ||
        (json_is_boolean(datum) && t == KAVRO_BOOLEAN) ||
        (json_is_integer(datum) && (t == KAVRO_INT || t == KAVRO_LONG)) ||
        (json_is_real(datum) && (t == KAVRO_FLOAT || t == KAVRO_DOUBLE)) ||
        (json_is_string(datum) && (t == KAVRO_STRING || t == KAVRO_ENUM)) ||
        (json_is_array(datum) && t == KAVRO_ARRAY) ||
        (json_is_object(datum) && (t == KAVRO_RECORD || t == KAVRO_MAP)))
      return (long)i;
  }
  ck_abort_msg("no union branch holds the datum");
  return -1;
}

static void fill_members(const kv_node_t *node, const json_t *datum,
                         avro_value_t *v) {
  avro_value_t child;
  if (node->type == KAVRO_ARRAY) {
    size_t i;
    json_t *item;
    json_array_foreach(datum, i, item) {
      ck_assert_int_eq(avro_value_append(v, &child, NULL), 0);
      fill(node->items, item, &child, -1);
    }
  } else if (node->type == KAVRO_MAP) {
    const char *key;
    json_t *item;
    json_object_foreach((json_t *)datum, key, item) {
      ck_assert_int_eq(avro_value_add(v, key, &child, NULL, NULL), 0);
      fill(node->items, item, &child, -1);
    }
  } else {
    for (size_t i = 0; i < node->field_count; i++) {
      ck_assert_int_eq(avro_value_get_by_index(v, i, &child, NULL), 0);
      fill(node->fields[i].type,
           json_object_get(datum, node->fields[i].name), &child, -1);
    }
  }
}

static int symbol_index(const kv_node_t *node, const char *symbol) {
  for (size_t i = 0; i < node->symbol_count; i++)
    if (strcmp(node->symbols[i], symbol) == 0)
      return (int)i;
  ck_abort_msg("no symbol %s", symbol);
  return -1;
}

static void fill(const kv_node_t *node, const json_t *datum, avro_value_t *v,
                 long branch) {
  size_t n;
  unsigned char *b;
  avro_value_t child;
  switch (node->type) {
  case KAVRO_NULL: ck_assert_int_eq(avro_value_set_null(v), 0); break;
  case KAVRO_BOOLEAN:
    ck_assert_int_eq(avro_value_set_boolean(v, json_is_true(datum)), 0);
    break;
  case KAVRO_INT:
    ck_assert_int_eq(avro_value_set_int(v, (int32_t)json_integer_value(datum)), 0);
    break;
  case KAVRO_LONG:
    ck_assert_int_eq(avro_value_set_long(v, json_integer_value(datum)), 0);
    break;
  case KAVRO_FLOAT:
    ck_assert_int_eq(avro_value_set_float(v, (float)datum_real(datum)), 0);
    break;
  case KAVRO_DOUBLE:
    ck_assert_int_eq(avro_value_set_double(v, datum_real(datum)), 0);
    break;
  case KAVRO_STRING:
    ck_assert_int_eq(avro_value_set_string_len(v, json_string_value(datum),
                                               json_string_length(datum) + 1), 0);
    break;
  case KAVRO_BYTES:
  case KAVRO_FIXED:
    b = datum_bytes(datum, &n);
    ck_assert_int_eq(node->type == KAVRO_BYTES ? avro_value_set_bytes(v, b, n)
                                               : avro_value_set_fixed(v, b, n), 0);
    free(b);
    break;
  case KAVRO_ENUM:
    ck_assert_int_eq(avro_value_set_enum(v, symbol_index(node, json_string_value(datum))), 0);
    break;
  case KAVRO_UNION:
    if (branch < 0)
      branch = branch_for(node, datum);
    ck_assert_int_eq(avro_value_set_branch(v, (int)branch, &child), 0);
    fill(node->branches[branch], datum, &child, -1);
    break;
  default:
    fill_members(node, datum, v);
  }
}

/* The branch index a union datum's bytes start with. */
static long leading_branch(const unsigned char *bytes, size_t n) {
  uint64_t z = 0;
  for (size_t i = 0; i < n && i < 10; i++) {
    z |= (uint64_t)(bytes[i] & 0x7f) << (7 * i);
    if (!(bytes[i] & 0x80))
      break;
  }
  return (long)((z >> 1) ^ -(z & 1));
}

/* ---- conformance ------------------------------------------------------------------ */

typedef struct vector_s {
  const char *id;
  kavro_schema_t *schema;
  kt_value_t value;
  unsigned char *bytes;
  size_t length;
  const json_t *datum;     /* to build the value from */
  const json_t *decoded;   /* what decoding must give */
} vector_t;

static void vector_open(vector_t *vec, const json_t *row) {
  kavro_error_t error;
  vec->id = json_string_value(json_object_get(row, "id"));
  vec->schema = kt_schema_from_json(json_object_get(row, "schema"), &error);
  ck_assert_msg(vec->schema, "%s: schema refused: %s", vec->id, error.text);
  kt_value_init(&vec->value, vec->schema);
  vec->bytes = kt_hex_decode(json_string_value(json_object_get(row, "hex")),
                             &vec->length);
  ck_assert_ptr_nonnull(vec->bytes);
  const json_t *raw = json_object_get(row, "py_decoded_raw");
  vec->datum = raw ? raw : json_object_get(row, "datum_json");
  vec->decoded = raw ? raw : json_object_get(row, "py_decoded");
  const kv_node_t *root = vec->schema->root;
  fill(root, vec->datum, &vec->value.value,
       root->type == KAVRO_UNION ? leading_branch(vec->bytes, vec->length) : -1);
}

static void vector_close(vector_t *vec) {
  kt_value_free(&vec->value);
  kavro_schema_destroy(vec->schema);
  free(vec->bytes);
}

static void assert_bytes(const char *id, const char *what,
                         const unsigned char *got, size_t got_length,
                         const unsigned char *want, size_t want_length) {
  char *g = kt_hex_encode(got, got_length), *w = kt_hex_encode(want, want_length);
  ck_assert_msg(got_length == want_length &&
                    (want_length == 0 || memcmp(got, want, want_length) == 0),
                "%s: %s gives %s, expected %s", id, what, g, w);
  free(g);
  free(w);
}

static void assert_decodes_to(const vector_t *vec, const avro_value_t *value,
                              const json_t *expected, const char *what) {
  char why[600];
  json_t *plain = kt_value_plain(vec->schema, value);
  ck_assert_msg(kt_datum_equal(expected, plain, why, sizeof(why)),
                "%s: %s: %s", vec->id, what, why);
  json_decref(plain);
}

START_TEST(test_encoding_vector) {
  vector_t vec;
  vector_open(&vec, json_array_get(encoding_rows, (size_t)_i));
  kavro_error_t error;
  kavro_buf_t *out = kavro_buf_new(0, 0);

  /* Encode: exactly the vector's bytes, and avro-c's own. */
  ck_assert_msg(kavro_encode(vec.schema, &vec.value.value, out, &error) == KAVRO_OK,
                "%s: encode: %s", vec.id, error.text);
  assert_bytes(vec.id, "kavro_encode", kavro_buf_data(out), kavro_buf_length(out),
               vec.bytes, vec.length);
  char avroc[8192];
  avro_writer_t writer = avro_writer_memory(avroc, sizeof(avroc));
  ck_assert_int_eq(avro_value_write(writer, &vec.value.value), 0);
  assert_bytes(vec.id, "avro_value_write", (unsigned char *)avroc,
               (size_t)avro_writer_tell(writer), vec.bytes, vec.length);
  avro_writer_free(writer);

  /* Decode: the datum back, every byte consumed. */
  kt_value_t back;
  kt_value_init(&back, vec.schema);
  size_t consumed = 0;
  ck_assert_msg(kavro_decode(NULL, vec.schema, vec.bytes, vec.length, &back.value,
                             &consumed, &error) == KAVRO_OK,
                "%s: decode: %s", vec.id, error.text);
  ck_assert_uint_eq(consumed, vec.length);
  assert_decodes_to(&vec, &back.value, vec.decoded, "decoded datum");
  ck_assert_msg(avro_value_equal(&vec.value.value, &back.value) ||
                    vec.schema->root->type == KAVRO_DOUBLE ||
                    vec.schema->root->type == KAVRO_FLOAT,
                "%s: decoded value differs from the encoded one", vec.id);

  /* Avro JSON: out and back in gives the same bytes. */
  char *json = kavro_value_to_json(vec.schema, &vec.value.value,
                                   KAVRO_DATUM_JSON_AVRO, &error);
  ck_assert_msg(json, "%s: to JSON: %s", vec.id, error.text);
  ck_assert_msg(kavro_value_from_json(vec.schema, json, strlen(json), &back.value,
                                      &error) == KAVRO_OK,
                "%s: from JSON %s: %s", vec.id, json, error.text);
  kavro_buf_reset(out);
  ck_assert_int_eq(kavro_encode(vec.schema, &back.value, out, &error), KAVRO_OK);
  assert_bytes(vec.id, "Avro JSON round trip", kavro_buf_data(out),
               kavro_buf_length(out), vec.bytes, vec.length);
  kavro_buf_reset(out);
  ck_assert_int_eq(kavro_json_to_binary(vec.schema, json, strlen(json), out, &error),
                   KAVRO_OK);
  assert_bytes(vec.id, "kavro_json_to_binary", kavro_buf_data(out),
               kavro_buf_length(out), vec.bytes, vec.length);
  free(json);

  kt_value_free(&back);
  kavro_buf_destroy(out);
  vector_close(&vec);
}
END_TEST

/* The binary encoding is prefix-free: no proper prefix of a datum is a
 * datum, so every truncation must be refused, and a byte more is
 * trailing. */
START_TEST(test_truncated_and_trailing) {
  vector_t vec;
  vector_open(&vec, json_array_get(encoding_rows, (size_t)_i));
  kt_value_t back;
  kt_value_init(&back, vec.schema);
  kavro_error_t error;
  size_t consumed;
  for (size_t n = 0; n < vec.length; n++) {
    kavro_err_t err = kavro_decode(NULL, vec.schema, vec.bytes, n, &back.value,
                                   &consumed, &error);
    ck_assert_msg(err == KAVRO_ERR_DECODE, "%s: prefix of %zu bytes gave %s",
                  vec.id, n, kavro_err2name(err));
  }
  unsigned char *longer = malloc(vec.length + 1);
  memcpy(longer, vec.bytes, vec.length);
  longer[vec.length] = 0;
  ck_assert_int_eq(kavro_decode(NULL, vec.schema, longer, vec.length + 1,
                                &back.value, NULL, &error), KAVRO_ERR_DECODE);
  ck_assert_ptr_nonnull(strstr(error.text, "trailing"));
  ck_assert_int_eq(kavro_decode(NULL, vec.schema, longer, vec.length + 1,
                                &back.value, &consumed, &error), KAVRO_OK);
  ck_assert_uint_eq(consumed, vec.length);
  free(longer);
  kt_value_free(&back);
  vector_close(&vec);
}
END_TEST

/* ---- hostile bodies ------------------------------------------------------------------ */

typedef struct hostile_s {
  const char *schema;
  const char *hex;
  kavro_err_t expected;
  const char *text;   /* a piece of the message */
} hostile_t;

static const hostile_t hostile[] = {
    {"\"string\"", "01", KAVRO_ERR_DECODE, "negative"},
    {"\"bytes\"", "03", KAVRO_ERR_DECODE, "negative"},
    {"\"string\"", "feffffffffffffffff01", KAVRO_ERR_DECODE, "bytes left"},
    {"\"long\"", "ffffffffffffffffffff01", KAVRO_ERR_DECODE, "64 bits"},
    {"\"long\"", "ffffffffffffffffff7f", KAVRO_ERR_DECODE, "64 bits"},
    {"\"int\"", "8080808010", KAVRO_ERR_DECODE, "32-bit"},
    {"\"boolean\"", "02", KAVRO_ERR_DECODE, "boolean"},
    {"[\"null\",\"int\"]", "04", KAVRO_ERR_DECODE, "branch 2"},
    {"[\"null\",\"int\"]", "01", KAVRO_ERR_DECODE, "branch -1"},
    {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "02", KAVRO_ERR_DECODE, "no symbol"},
    {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", "000000", KAVRO_ERR_DECODE, "fixed"},
    /* A million ints promised, two bytes given: refused before any item. */
    {"{\"type\":\"array\",\"items\":\"int\"}", "80897a02", KAVRO_ERR_DECODE, "bytes left"},
    /* Items that take no bytes: bounded by the collection limit. */
    {"{\"type\":\"array\",\"items\":\"null\"}", "80a8d6b90700", KAVRO_ERR_LIMIT, "collection size"},
    {"{\"type\":\"map\",\"values\":\"null\"}", "80808080808002", KAVRO_ERR_LIMIT, "collection size"},
    /* A negative count carries a block size, which must fit. */
    {"{\"type\":\"array\",\"items\":\"int\"}", "03ff0102", KAVRO_ERR_DECODE, "block size"},
    {"{\"type\":\"array\",\"items\":\"int\"}", "ffffffffffffffffff01", KAVRO_ERR_DECODE, "out of range"},
    {"{\"type\":\"map\",\"values\":\"int\"}", "0201", KAVRO_ERR_DECODE, "negative"},
};

START_TEST(test_hostile_body) {
  const hostile_t *h = &hostile[_i];
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_parse(h->schema, strlen(h->schema), NULL, &schema,
                                      &error), KAVRO_OK);
  kt_value_t v;
  kt_value_init(&v, schema);
  size_t n;
  unsigned char *bytes = kt_hex_decode(h->hex, &n);
  kavro_err_t err = kavro_decode(NULL, schema, bytes, n, &v.value, NULL, &error);
  ck_assert_msg(err == h->expected && strstr(error.text, h->text),
                "%s with %s: %s (%s)", h->schema, h->hex, kavro_err2name(err),
                error.text);
  ck_assert_int_eq(error.code, err);
  free(bytes);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

static const char *list_schema =
    "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
    "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}";

/* A linked list @depth nodes deep, in binary. */
static unsigned char *deep_list(size_t depth, size_t *n) {
  unsigned char *b = malloc(depth + 1);
  memset(b, 0x02, depth);
  b[depth] = 0x00;
  *n = depth + 1;
  return b;
}

START_TEST(test_depth_limit) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_parse(list_schema, strlen(list_schema), NULL,
                                      &schema, &error), KAVRO_OK);
  kt_value_t v;
  kt_value_init(&v, schema);
  size_t n;
  unsigned char *bytes = deep_list(100000, &n);
  ck_assert_int_eq(kavro_decode(NULL, schema, bytes, n, &v.value, NULL, &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "depth"));
  free(bytes);

  /* Within the limit it decodes; a tighter limit refuses it. */
  bytes = deep_list(20, &n);
  ck_assert_int_eq(kavro_decode(NULL, schema, bytes, n, &v.value, NULL, &error),
                   KAVRO_OK);
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_depth = 10;
  kavro_decoder_t *dec = kavro_decoder_new(&limits);
  ck_assert_int_eq(kavro_decode(dec, schema, bytes, n, &v.value, NULL, &error),
                   KAVRO_ERR_LIMIT);
  kavro_decoder_destroy(dec);
  free(bytes);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

START_TEST(test_element_limits) {
  const char *text = "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":\"int\"}}";
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_parse(text, strlen(text), NULL, &schema, &error),
                   KAVRO_OK);
  kt_value_t v;
  kt_value_init(&v, schema);
  /* Three arrays of two ints: 3 + 6 = 9 items in all. */
  size_t n;
  unsigned char *bytes = kt_hex_decode("06"
                                       "04020400" "04020400" "04020400"
                                       "00", &n);
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_elements = 8;
  kavro_decoder_t *dec = kavro_decoder_new(&limits);
  ck_assert_int_eq(kavro_decode(dec, schema, bytes, n, &v.value, NULL, &error),
                   KAVRO_ERR_LIMIT);
  kavro_decoder_destroy(dec);
  limits.max_elements = 9;
  limits.max_collection = 2;
  dec = kavro_decoder_new(&limits);
  ck_assert_int_eq(kavro_decode(dec, schema, bytes, n, &v.value, NULL, &error),
                   KAVRO_ERR_LIMIT);
  kavro_decoder_destroy(dec);
  limits.max_collection = 3;
  dec = kavro_decoder_new(&limits);
  ck_assert_int_eq(kavro_decode(dec, schema, bytes, n, &v.value, NULL, &error),
                   KAVRO_OK);
  /* A decoder is reusable: the same body again, same answer. */
  ck_assert_int_eq(kavro_decode(dec, schema, bytes, n, &v.value, NULL, &error),
                   KAVRO_OK);
  size_t outer = 0;
  ck_assert_int_eq(avro_value_get_size(&v.value, &outer), 0);
  ck_assert_uint_eq(outer, 3);
  kavro_decoder_destroy(dec);
  free(bytes);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

/* Blocks with negative counts (and their byte sizes) are valid Avro. */
START_TEST(test_negative_block_count) {
  const char *text = "{\"type\":\"map\",\"values\":\"long\"}";
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_parse(text, strlen(text), NULL, &schema, &error),
                   KAVRO_OK);
  kt_value_t v;
  kt_value_init(&v, schema);
  size_t n;
  /* -2 entries in 6 bytes: "a" -> 1, "b" -> 2; then 0. */
  unsigned char *bytes = kt_hex_decode("030c02610202620400", &n);
  ck_assert_int_eq(kavro_decode(NULL, schema, bytes, n, &v.value, NULL, &error),
                   KAVRO_OK);
  char *json = kavro_value_to_json(schema, &v.value, KAVRO_DATUM_JSON_AVRO, &error);
  ck_assert_str_eq(json, "{\"a\": 1, \"b\": 2}");
  free(json);
  free(bytes);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

/* ---- encoding edges and buffers --------------------------------------------------- */

/* kavro_copy() writes exactly the @n bytes it is given, whatever the
 * width of the moves it uses for that length. */
START_TEST(test_copy_every_short_length) {
  unsigned char src[64], dst[80];
  for (size_t i = 0; i < sizeof(src); i++)
    src[i] = (unsigned char)(i * 7 + 1);
  for (size_t n = 0; n <= sizeof(src); n++) {
    memset(dst, 0xee, sizeof(dst));
    kavro_copy(dst + 8, src, n);
    for (size_t i = 0; i < 8; i++)
      ck_assert_uint_eq(dst[i], 0xee);
    ck_assert_msg(memcmp(dst + 8, src, n) == 0, "length %zu", n);
    for (size_t i = 8 + n; i < sizeof(dst); i++)
      ck_assert_msg(dst[i] == 0xee, "length %zu wrote byte %zu", n, i - 8);
  }
}
END_TEST

/* The varint @bytes (@n of them) read by a loop of its own: the value
 * and true, or false when it is longer than 64 bits or unfinished. */
static bool reference_varint(const unsigned char *bytes, size_t n,
                             int64_t *value, size_t *used) {
  uint64_t z = 0;
  for (size_t i = 0; i < n && i < 10; i++) {
    if (i == 9 && bytes[i] > 1)
      return false;
    z |= (uint64_t)(bytes[i] & 0x7f) << (7 * i);
    if (!(bytes[i] & 0x80)) {
      *value = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      *used = i + 1;
      return true;
    }
  }
  return false;
}

/* @bytes (@n) read by kavro_cursor_long() from a body that ends right
 * after them, and from one with room to spare (the paths it takes near
 * the end and away from it): both agree with the reference. */
static void check_varint(const unsigned char *bytes, size_t n) {
  unsigned char body[32];
  memset(body, 0x55, sizeof(body));
  memcpy(body, bytes, n);
  body[n] = 0x01;   /* what follows, when anything does: a number's end */
  for (int spare = 0; spare < 2; spare++) {
    size_t size = spare ? sizeof(body) : n;
    int64_t want = 0;
    size_t used = 0;
    bool ok = reference_varint(body, size, &want, &used);
    kavro_cursor_t c;
    kavro_error_t error;
    kavro_cursor_init(&c, body, size, NULL, &error);
    int64_t got = 0;
    kavro_err_t err = kavro_cursor_long(&c, &got);
    ck_assert_msg((err == KAVRO_OK) == ok, "%zu bytes, spare %d: %s", n, spare,
                  err ? error.text : "read");
    if (ok) {
      ck_assert_msg(got == want, "%zu bytes: %lld, not %lld", n,
                    (long long)got, (long long)want);
      ck_assert_uint_eq((size_t)(c.p - body), used);
    }
  }
}

/* Every length of varint, canonical or padded with empty groups, every
 * bit width of value, and the malformed ones (unfinished, longer than 64
 * bits), through the one-byte, two-byte, word-at-a-time and near-the-end
 * paths. */
START_TEST(test_varints_every_length) {
  uint64_t seed = 0x9e3779b97f4a7c15u;
  for (int width = 0; width <= 64; width++)
    for (int k = 0; k < 40; k++) {
      seed = seed * 6364136223846793005u + 1442695040888963407u;
      uint64_t z = width == 64 ? seed : seed & (((uint64_t)1 << width) - 1);
      unsigned char bytes[16];
      size_t n = 0;
      do {
        bytes[n++] = (unsigned char)((z & 0x7f) | 0x80);
        z >>= 7;
      } while (z);
      bytes[n - 1] &= 0x7f;
      check_varint(bytes, n);
      /* the same value padded (an empty group, then the end) */
      if (n < 10) {
        bytes[n - 1] |= 0x80;
        bytes[n] = 0;
        check_varint(bytes, n + 1);
        bytes[n - 1] &= 0x7f;
      }
      /* unfinished: the last byte says more follows */
      bytes[n - 1] |= 0x80;
      check_varint(bytes, n);
    }
  /* ten bytes whose last carries more than the top bit; eleven bytes */
  unsigned char wide[11];
  memset(wide, 0xff, sizeof(wide));
  wide[9] = 0x02;
  check_varint(wide, 10);
  wide[9] = 0x81;
  wide[10] = 0x00;
  check_varint(wide, 11);
}
END_TEST

START_TEST(test_buffers) {
  const char *text = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                     "{\"name\":\"s\",\"type\":\"string\"},{\"name\":\"u\",\"type\":[\"null\",\"long\"]}]}";
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_parse(text, strlen(text), NULL, &schema, &error),
                   KAVRO_OK);
  kt_value_t v;
  kt_value_init(&v, schema);
  avro_value_t field, branch;
  avro_value_get_by_index(&v.value, 0, &field, NULL);
  avro_value_set_string(&field, "hello");
  /* An unset union cannot be encoded. */
  kavro_buf_t *buf = kavro_buf_new(0, 0);
  ck_assert_int_eq(kavro_encode(schema, &v.value, buf, &error), KAVRO_ERR_ENCODE);
  ck_assert_uint_eq(kavro_buf_length(buf), 0);
  avro_value_get_by_index(&v.value, 1, &field, NULL);
  avro_value_set_branch(&field, 1, &branch);
  avro_value_set_long(&branch, -3);
  ck_assert_int_eq(kavro_encode(schema, &v.value, buf, &error), KAVRO_OK);
  ck_assert_uint_eq(kavro_buf_length(buf), 8);
  ck_assert_int_eq(memcmp(kavro_buf_data(buf), "\x0ahello\x02\x05", 8), 0);
  /* Appends; reset keeps the memory. */
  ck_assert_int_eq(kavro_encode(schema, &v.value, buf, &error), KAVRO_OK);
  ck_assert_uint_eq(kavro_buf_length(buf), 16);
  const unsigned char *before = kavro_buf_data(buf);
  kavro_buf_reset(buf);
  ck_assert_int_eq(kavro_encode(schema, &v.value, buf, &error), KAVRO_OK);
  ck_assert_ptr_eq(kavro_buf_data(buf), before);
  kavro_buf_destroy(buf);

  /* A caller's buffer: exact fit works, one byte less is a limit. */
  unsigned char small[8];
  size_t written;
  ck_assert_int_eq(kavro_encode_to(schema, &v.value, small, 8, &written, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(written, 8);
  ck_assert_int_eq(kavro_encode_to(schema, &v.value, small, 7, &written, &error),
                   KAVRO_ERR_LIMIT);
  /* A bounded buffer refuses to grow past its bound. */
  buf = kavro_buf_new(0, 4);
  ck_assert_int_eq(kavro_encode(schema, &v.value, buf, &error), KAVRO_ERR_LIMIT);
  kavro_buf_destroy(buf);

  /* A value of another schema is refused, not misread. */
  kavro_schema_t *other = NULL;
  ck_assert_int_eq(kavro_schema_parse("\"int\"", 5, NULL, &other, &error), KAVRO_OK);
  ck_assert_int_eq(kavro_encode_to(other, &v.value, small, 8, &written, &error),
                   KAVRO_ERR_ENCODE);
  kavro_schema_destroy(other);
  const char *narrower = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                         "{\"name\":\"s\",\"type\":\"string\"}]}";
  ck_assert_int_eq(kavro_schema_parse(narrower, strlen(narrower), NULL, &other, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_encode_to(other, &v.value, small, 8, &written, &error),
                   KAVRO_ERR_ENCODE);
  ck_assert_ptr_nonnull(strstr(error.text, "2 fields"));
  ck_assert_int_eq(kavro_decode(NULL, other, "\x02x", 2, &v.value, NULL, &error),
                   KAVRO_ERR_ENCODE);
  kavro_schema_destroy(other);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

/* ---- Avro JSON ------------------------------------------------------------------------- */

static const char *json_schema =
    "{\"type\":\"record\",\"name\":\"J\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"u\",\"type\":[\"null\",\"string\",{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},"
    "{\"type\":\"map\",\"values\":\"float\"}]},"
    "{\"name\":\"b\",\"type\":\"bytes\"},"
    "{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\",\"Y\"]},\"default\":\"Y\"},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":[\"int\",\"null\"]},\"default\":[1,2]}]}";

static kavro_schema_t *parse_or_die(const char *text) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_schema_parse(text, strlen(text), NULL, &schema, &error) == KAVRO_OK,
                "%s", error.text);
  return schema;
}

START_TEST(test_avro_json_round_trip) {
  kavro_schema_t *schema = parse_or_die(json_schema);
  kt_value_t v;
  kt_value_init(&v, schema);
  kavro_error_t error;
  const char *in =
      "{\"u\": {\"t.F\": \"\\u00ff\\u0000\"}, \"b\": \"a\\u0001\\u00e9\", "
      "\"f\": 0.1, \"d\": -0.0, \"l\": -9223372036854775808, "
      "\"e\": \"X\", \"a\": [{\"int\": 7}, null]}";
  ck_assert_msg(kavro_value_from_json(schema, in, strlen(in), &v.value, &error) == KAVRO_OK,
                "%s at %s", error.text, error.path);
  char *out = kavro_value_to_json(schema, &v.value, KAVRO_DATUM_JSON_AVRO, &error);
  ck_assert_str_eq(out, "{\"u\": {\"t.F\": \"\\u00ff\\u0000\"}, \"b\": \"a\\u0001\\u00e9\", "
                        "\"f\": 0.1, \"d\": -0.0, \"l\": -9223372036854775808, "
                        "\"e\": \"X\", \"a\": [{\"int\": 7}, null]}");
  free(out);
  out = kavro_value_to_json(schema, &v.value, KAVRO_DATUM_JSON_PLAIN, &error);
  ck_assert_str_eq(out, "{\"u\": {\"$bytes\": \"ff00\"}, \"b\": {\"$bytes\": \"6101e9\"}, "
                        "\"f\": 0.10000000149011612, \"d\": -0.0, \"l\": -9223372036854775808, "
                        "\"e\": \"X\", \"a\": [7, null]}");
  free(out);

  /* Short names for named branches; absent fields take their defaults;
   * non-finite numbers as strings. */
  const char *short_form =
      "{\"u\": {\"map\": {\"k\": \"NaN\"}}, \"b\": \"\", \"f\": \"-Infinity\", "
      "\"d\": 1e300, \"l\": 0}";
  ck_assert_msg(kavro_value_from_json(schema, short_form, strlen(short_form), &v.value,
                                      &error) == KAVRO_OK, "%s", error.text);
  out = kavro_value_to_json(schema, &v.value, KAVRO_DATUM_JSON_AVRO, &error);
  ck_assert_str_eq(out, "{\"u\": {\"map\": {\"k\": \"NaN\"}}, \"b\": \"\", "
                        "\"f\": \"-Infinity\", \"d\": 1e+300, \"l\": 0, "
                        "\"e\": \"Y\", \"a\": [{\"int\": 1}, {\"int\": 2}]}");
  free(out);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

static const struct {
  const char *json;
  kavro_err_t expected;
  const char *path;
} bad_json[] = {
    {"{\"u\": \"bare\", \"b\": \"\", \"f\": 1, \"d\": 1, \"l\": 1}", KAVRO_ERR_DECODE, "/u"},
    {"{\"u\": {\"int\": 1}, \"b\": \"\", \"f\": 1, \"d\": 1, \"l\": 1}", KAVRO_ERR_DECODE, "/u"},
    {"{\"u\": null, \"b\": \"\\u0100\", \"f\": 1, \"d\": 1, \"l\": 1}", KAVRO_ERR_DECODE, "/b"},
    {"{\"u\": {\"F\": \"x\"}, \"b\": \"\", \"f\": 1, \"d\": 1, \"l\": 1}", KAVRO_ERR_DECODE, "/u/F"},
    {"{\"u\": null, \"b\": \"\", \"f\": 1, \"d\": 1}", KAVRO_ERR_DECODE, "/l"},
    {"{\"u\": null, \"b\": \"\", \"f\": 1, \"d\": 1, \"l\": 1.5}", KAVRO_ERR_DECODE, "/l"},
    {"{\"u\": null, \"b\": \"\", \"f\": 1, \"d\": 1, \"l\": 1, \"zz\": 0}", KAVRO_ERR_DECODE, "/zz"},
    {"{\"u\": null, \"b\": \"\", \"f\": 1, \"d\": 1, \"l\": 1, \"e\": \"Q\"}", KAVRO_ERR_DECODE, "/e"},
    {"{\"u\": null, \"b\": \"\", \"f\": 1, \"d\": 1, \"l\": 1, \"a\": [\"x\"]}", KAVRO_ERR_DECODE, "/a/0"},
    {"{\"u\": null,", KAVRO_ERR_JSON, ""},
};

START_TEST(test_avro_json_errors) {
  kavro_schema_t *schema = parse_or_die(json_schema);
  kt_value_t v;
  kt_value_init(&v, schema);
  kavro_error_t error;
  const char *text = bad_json[_i].json;
  kavro_err_t err = kavro_value_from_json(schema, text, strlen(text), &v.value, &error);
  ck_assert_msg(err == bad_json[_i].expected, "%s: %s (%s)", text,
                kavro_err2name(err), error.text);
  ck_assert_msg(strcmp(error.path, bad_json[_i].path) == 0, "%s: path %s, expected %s",
                text, error.path, bad_json[_i].path);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

/* Shortest round-trip numbers, never %g's six digits. */
START_TEST(test_number_text) {
  kavro_schema_t *schema = parse_or_die(
      "{\"type\":\"array\",\"items\":\"double\"}");
  kt_value_t v;
  kt_value_init(&v, schema);
  kavro_error_t error;
  const char *in = "[0.1, 1.0000001, 123456789.123, 5e-324, 1.7976931348623157e308, 100]";
  ck_assert_int_eq(kavro_value_from_json(schema, in, strlen(in), &v.value, &error),
                   KAVRO_OK);
  char *out = kavro_value_to_json(schema, &v.value, KAVRO_DATUM_JSON_AVRO, &error);
  ck_assert_str_eq(out, "[0.1, 1.0000001, 123456789.123, 5e-324, "
                        "1.7976931348623157e+308, 100.0]");
  free(out);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

/* A body may hold a string that is not UTF-8: its JSON is still JSON. */
START_TEST(test_invalid_utf8_to_json) {
  kavro_schema_t *schema = parse_or_die("{\"type\":\"map\",\"values\":\"string\"}");
  kt_value_t v;
  kt_value_init(&v, schema);
  kavro_error_t error;
  size_t n;
  /* {"k\xe1": "a\xff\"\xe2\x82\xac"} */
  unsigned char *bytes = kt_hex_decode("02046be10c61ff22e282ac00", &n);
  ck_assert_int_eq(kavro_decode(NULL, schema, bytes, n, &v.value, NULL, &error), KAVRO_OK);
  char *out = kavro_value_to_json(schema, &v.value, KAVRO_DATUM_JSON_AVRO, &error);
  ck_assert_str_eq(out, "{\"k\\ufffd\": \"a\\ufffd\\\"\xe2\x82\xac\"}");
  ck_assert_int_eq(kavro_value_from_json(schema, out, strlen(out), &v.value, &error), KAVRO_OK);
  free(out);
  free(bytes);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
}
END_TEST

static Suite *codec_suite(void) {
  Suite *s = suite_create("codec");
  TCase *tc = tcase_create("conformance");
  int rows = (int)json_array_size(encoding_rows);
  tcase_add_loop_test(tc, test_encoding_vector, 0, rows);
  tcase_add_loop_test(tc, test_truncated_and_trailing, 0, rows);
  suite_add_tcase(s, tc);
  tc = tcase_create("hostile");
  tcase_add_loop_test(tc, test_hostile_body, 0,
                      (int)(sizeof(hostile) / sizeof(hostile[0])));
  tcase_add_test(tc, test_depth_limit);
  tcase_add_test(tc, test_element_limits);
  tcase_add_test(tc, test_negative_block_count);
  suite_add_tcase(s, tc);
  tc = tcase_create("api");
  tcase_add_test(tc, test_buffers);
  tcase_add_test(tc, test_copy_every_short_length);
  tcase_add_test(tc, test_varints_every_length);
  tcase_add_test(tc, test_avro_json_round_trip);
  tcase_add_loop_test(tc, test_avro_json_errors, 0,
                      (int)(sizeof(bad_json) / sizeof(bad_json[0])));
  tcase_add_test(tc, test_number_text);
  tcase_add_test(tc, test_invalid_utf8_to_json);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  encoding_rows = kt_load_jsonl(kt_conformance_path("encoding.jsonl"));
  SRunner *sr = srunner_create(codec_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  json_decref(encoding_rows);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
