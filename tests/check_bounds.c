/*
 * kavro tests - every configurable bound on hostile input, exactly at its
 * limit (accepted) and one past it (a clear error, nothing allocated for
 * the excess, no crash):
 *
 *  - registry replies: `response.max.bytes`, over HTTP and mock://;
 *  - schema text size, type nesting depth and the size of a fixed
 *    (kavro_parse_options_t);
 *  - decoding (kavro_decode_limits_t): nesting depth, items of one block,
 *    items of one datum; string and bytes lengths against the bytes left;
 *  - the mock registry's request body cap (413);
 *  - the line length of `kavro encode` and `kavro decode --hex`.
 */
#include <check.h>
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h" /* CLI_MAX_LINE */
#include "datum_util.h"
#include "inproc_int.h"
#include "kavro.h"
#include "kavro/mock.h"
#include "mock_int.h"
#include "proc_util.h"

/* ---- registry replies: response.max.bytes ------------------------------ */

/* Answers every request with a JSON list of one subject, exactly *opaque
 * bytes long. */
static kavro_err_t sized_reply(void *opaque, const kv_http_request_t *request,
                               long timeout_ms, kv_http_response_t *response) {
  (void)request;
  (void)timeout_ms;
  size_t size = *(const size_t *)opaque;
  char *body = malloc(size + 1);
  if (!body)
    return KAVRO_ERR_NOMEM;
  memset(body, 'a', size);
  memcpy(body, "[\"", 2);
  memcpy(body + size - 2, "\"]", 2);
  body[size] = '\0';
  response->outcome = KV_HTTP_ANSWERED;
  response->status = 200;
  response->body = body;
  response->body_length = size;
  snprintf(response->content_type, sizeof(response->content_type), "%s",
           KV_MOCK_CONTENT_TYPE);
  return KAVRO_OK;
}

/* GET /subjects from @url with response.max.bytes @cap. */
static kavro_err_t subjects_with_cap(const char *url, const char *cap,
                                     kavro_error_t *error) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_ptr_nonnull(conf);
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url", url, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "response.max.bytes", cap, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "max.retries", "0", NULL), KAVRO_OK);
  kavro_registry_t *registry = kavro_registry_new(conf, error);
  ck_assert_ptr_nonnull(registry);
  char **subjects = NULL;
  size_t count = 0;
  kavro_err_t err =
      kavro_registry_subjects(registry, false, &subjects, &count, error);
  if (err == KAVRO_OK)
    ck_assert_uint_eq(count, 1);
  free(subjects);
  kavro_registry_destroy(registry);
  return err;
}

/* At the cap and one byte past it, through @url served from @size. */
static void check_reply_cap(const char *url, size_t *size, size_t cap) {
  char cap_text[32];
  snprintf(cap_text, sizeof(cap_text), "%zu", cap);
  kavro_error_t error;
  *size = cap;
  ck_assert_msg(subjects_with_cap(url, cap_text, &error) == KAVRO_OK,
                "%s at %zu: %s", url, cap, error.text);
  *size = cap + 1;
  /* An oversized reply is no answer: retriable, never a verdict. */
  ck_assert_int_eq(subjects_with_cap(url, cap_text, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert(kavro_error_is_retriable(&error));
  ck_assert_msg(strstr(error.text, "response.max.bytes") != NULL, "%s",
                error.text);
}

START_TEST(test_response_max_bytes) {
  static size_t size;
  kv_http_server_t *server;
  ck_assert_int_eq(kv_http_server_start("127.0.0.1", 0, sized_reply, &size,
                                        &server, NULL),
                   KAVRO_OK);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%u",
           kv_http_server_port(server));
  ck_assert_int_eq(kv_inproc_register("bounds", sized_reply, &size), KAVRO_OK);
  const size_t caps[] = {1024, 65536};
  for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
    check_reply_cap(url, &size, caps[i]);
    check_reply_cap("mock://bounds", &size, caps[i]);
  }
  kv_inproc_unregister("bounds");
  kv_http_server_stop(server);
}
END_TEST

START_TEST(test_response_max_bytes_range) {
  /* The setting's own range: 1024 .. 1 GiB. */
  const char *const values[][2] = {{"1023", "no"}, {"1024", "yes"},
                                   {"1073741824", "yes"},
                                   {"1073741825", "no"}};
  kavro_conf_t *conf = kavro_conf_new();
  for (size_t i = 0; i < 4; i++) {
    kavro_error_t error;
    kavro_err_t err =
        kavro_conf_set(conf, "response.max.bytes", values[i][0], &error);
    ck_assert_msg((err == KAVRO_OK) == (values[i][1][0] == 'y'), "%s: %s",
                  values[i][0], kavro_err2name(err));
  }
  kavro_conf_destroy(conf);
}
END_TEST

/* ---- schema text size and nesting depth -------------------------------- */

/* `"string"` padded with spaces to exactly @size bytes. */
static char *padded_schema(size_t size) {
  char *text = malloc(size);
  ck_assert_ptr_nonnull(text);
  memset(text, ' ', size);
  memcpy(text, "\"string\"", 8);
  return text;
}

static kavro_err_t parse_sized(size_t size, size_t max_size,
                               kavro_error_t *error) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.max_size = max_size;
  char *text = padded_schema(size);
  kavro_schema_t *schema = NULL;
  kavro_err_t err = kavro_schema_parse(text, size, &options, &schema, error);
  kavro_schema_destroy(schema);
  free(text);
  return err;
}

START_TEST(test_schema_size) {
  kavro_error_t error;
  ck_assert_int_eq(parse_sized(4096, 4096, &error), KAVRO_OK);
  ck_assert_int_eq(parse_sized(4097, 4096, &error), KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "4096"));
  /* The default (0 in the options). */
  ck_assert_int_eq(parse_sized(KAVRO_SCHEMA_DEFAULT_MAX_SIZE, 0, &error),
                   KAVRO_OK);
  ck_assert_int_eq(parse_sized(KAVRO_SCHEMA_DEFAULT_MAX_SIZE + 1, 0, &error),
                   KAVRO_ERR_LIMIT);
}
END_TEST

START_TEST(test_schema_file_size) {
  char path[] = "/tmp/kavro-check-bounds-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  char *text = padded_schema(4097);
  ck_assert_int_eq(write(fd, text, 4096), 4096);
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.max_size = 4096;
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_parse_file(path, &options, &schema, &error),
                   KAVRO_OK);
  kavro_schema_destroy(schema);
  ck_assert_int_eq(write(fd, text + 4096, 1), 1);
  ck_assert_int_eq(kavro_schema_parse_file(path, &options, &schema, &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_ptr_null(schema);
  close(fd);
  unlink(path);
  free(text);
}
END_TEST

/* @levels arrays nested around "int": {"type":"array","items": ...}. */
static char *nested_arrays(unsigned levels) {
  static const char open[] = "{\"type\":\"array\",\"items\":";
  size_t size = levels * (sizeof(open) - 1) + 5 + levels + 1;
  char *text = malloc(size);
  ck_assert_ptr_nonnull(text);
  char *p = text;
  for (unsigned i = 0; i < levels; i++)
    p += sprintf(p, "%s", open);
  p += sprintf(p, "\"int\"");
  for (unsigned i = 0; i < levels; i++)
    *p++ = '}';
  *p = '\0';
  return text;
}

/* Parse @levels nested arrays with max_depth @max_depth (0: default). */
static kavro_err_t parse_nested(unsigned levels, unsigned max_depth,
                                kavro_schema_t **schemap,
                                kavro_error_t *error) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.max_depth = max_depth;
  char *text = nested_arrays(levels);
  kavro_schema_t *schema = NULL;
  kavro_err_t err =
      kavro_schema_parse(text, strlen(text), &options, &schema, error);
  free(text);
  if (schemap)
    *schemap = schema;
  else
    kavro_schema_destroy(schema);
  return err;
}

START_TEST(test_schema_depth) {
  kavro_error_t error;
  ck_assert_int_eq(parse_nested(10, 10, NULL, &error), KAVRO_OK);
  ck_assert_int_eq(parse_nested(11, 10, NULL, &error), KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "nested deeper than 10"));
  ck_assert_int_eq(parse_nested(KAVRO_SCHEMA_DEFAULT_MAX_DEPTH, 0, NULL, &error),
                   KAVRO_OK);
  ck_assert_int_eq(
      parse_nested(KAVRO_SCHEMA_DEFAULT_MAX_DEPTH + 1, 0, NULL, &error),
      KAVRO_ERR_LIMIT);
}
END_TEST

/* A fixed of @size bytes parsed with max_fixed_size @max (0: default). */
static kavro_err_t parse_fixed(unsigned long long size, size_t max,
                               kavro_error_t *error) {
  char text[128];
  snprintf(text, sizeof(text),
           "{\"type\": \"fixed\", \"name\": \"F\", \"size\": %llu}", size);
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.max_fixed_size = max;
  kavro_schema_t *schema = NULL;
  kavro_err_t err =
      kavro_schema_parse(text, strlen(text), &options, &schema, error);
  kavro_schema_destroy(schema);
  return err;
}

/* Every value of a fixed holds its declared size, which avro-c's generic
 * values allocate before reading the body: a fixed of 2^31 - 1 bytes made a
 * 3-byte body cost 2 GB.  Such a size is refused when the schema is parsed. */
START_TEST(test_schema_fixed_size) {
  kavro_error_t error;
  ck_assert_int_eq(parse_fixed(16, 16, &error), KAVRO_OK);
  ck_assert_int_eq(parse_fixed(17, 16, &error), KAVRO_ERR_LIMIT);
  ck_assert_str_eq(error.path, "/size");
  ck_assert_str_eq(error.text, "fixed F has a size of 17 bytes, larger than "
                               "the limit of 16");
  ck_assert_int_eq(parse_fixed(KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE, 0, &error),
                   KAVRO_OK);
  ck_assert_int_eq(
      parse_fixed(KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE + 1ull, 0, &error),
      KAVRO_ERR_LIMIT);
  ck_assert_int_eq(parse_fixed(2147483647, 0, &error), KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "2147483647"));
  /* The default is the decoder's bound on one bytes value. */
  ck_assert_uint_eq(KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE,
                    KAVRO_DECODE_DEFAULT_MAX_LENGTH);
}
END_TEST

/* ---- decode limits ------------------------------------------------------ */

static kavro_schema_t *parse_text(const char *text) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_schema_parse(text, strlen(text), NULL, &schema,
                                   &error) == KAVRO_OK,
                "%s", error.text);
  return schema;
}

/* A generic value holds its fixed fields from the start: many large fixed
 * fields, each within the parse limit, must not reach avro-c, or a
 * three-byte body would cost their sum.  The sum is bounded like one. */
START_TEST(test_inline_fixed_bytes) {
  char text[512];
  unsigned half = KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE / 2;
  static const char shape[] =
      "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
      "{\"name\":\"a\",\"type\":{\"type\":\"fixed\",\"name\":\"F\","
      "\"size\":%u}},{\"name\":\"b\",\"type\":{\"type\":\"record\","
      "\"name\":\"S\",\"fields\":[{\"name\":\"c\",\"type\":\"F\"},"
      "{\"name\":\"d\",\"type\":{\"type\":\"fixed\",\"name\":\"G\","
      "\"size\":%u}}]}},{\"name\":\"e\",\"type\":{\"type\":\"array\","
      "\"items\":\"F\"}}]}";
  kavro_error_t error;
  avro_schema_t avro = NULL;
  /* Two halves and one byte inline (the array's items come later). */
  snprintf(text, sizeof(text), shape, half / 2, half + 1);
  kavro_schema_t *schema = parse_text(text);
  ck_assert_int_eq(kavro_schema_to_avro(schema, &avro, &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_ptr_null(avro);
  ck_assert_ptr_nonnull(strstr(error.text, "fixed data"));
  kavro_schema_destroy(schema);
  /* Exactly the bound. */
  snprintf(text, sizeof(text), shape, half / 2, half);
  schema = parse_text(text);
  ck_assert_int_eq(kavro_schema_to_avro(schema, &avro, &error), KAVRO_OK);
  avro_schema_decref(avro);
  kavro_schema_destroy(schema);
}
END_TEST

/* Decode @size bytes of @body as @schema with @limits (NULL: defaults),
 * directly and through a resolution to the same schema; both must give
 * the same answer, which is returned. */
static kavro_err_t decode_with(kavro_schema_t *schema,
                               const kavro_decode_limits_t *limits,
                               const unsigned char *body, size_t size,
                               kavro_error_t *error) {
  kavro_decoder_t *decoder = kavro_decoder_new(limits);
  ck_assert_ptr_nonnull(decoder);
  kt_value_t v;
  kt_value_init(&v, schema);
  kavro_err_t err = kavro_decode(decoder, schema, body, size, &v.value, NULL,
                                 error);
  kavro_resolution_t *plan = NULL;
  ck_assert_int_eq(kavro_resolution_new(schema, schema, &plan, NULL), KAVRO_OK);
  kavro_error_t resolved_error;
  kavro_err_t resolved = kavro_decode_resolved(decoder, plan, body, size,
                                               &v.value, NULL, &resolved_error);
  ck_assert_msg(resolved == err, "resolved: %s (%s), direct: %s",
                kavro_err2name(resolved), resolved_error.text,
                kavro_err2name(err));
  kavro_resolution_destroy(plan);
  kt_value_free(&v);
  kavro_decoder_destroy(decoder);
  return err;
}

/* Append the zig-zag varint of @n to @p; returns the new end. */
static unsigned char *put_long(unsigned char *p, int64_t n) {
  uint64_t z = ((uint64_t)n << 1) ^ (uint64_t)(n >> 63);
  while (z >= 0x80) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}

/* An array of ints: one block of @count zeros. */
static unsigned char *int_block(size_t count, size_t *size) {
  unsigned char *body = calloc(count + 12, 1);
  ck_assert_ptr_nonnull(body);
  unsigned char *p = put_long(body, (int64_t)count);
  p += count; /* the items: int 0, one zero byte each */
  *p++ = 0;   /* the end of the array */
  *size = (size_t)(p - body);
  return body;
}

START_TEST(test_decode_collection) {
  kavro_schema_t *schema = parse_text("{\"type\":\"array\",\"items\":\"int\"}");
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_collection = 1000;
  kavro_error_t error;
  size_t size;
  unsigned char *body = int_block(1000, &size);
  ck_assert_int_eq(decode_with(schema, &limits, body, size, &error), KAVRO_OK);
  free(body);
  body = int_block(1001, &size);
  ck_assert_int_eq(decode_with(schema, &limits, body, size, &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "collection size"));
  free(body);
  /* The default, passed by a count alone: refused before any item is
   * looked for or allocated. */
  unsigned char count_only[12];
  unsigned char *end =
      put_long(count_only, (int64_t)KAVRO_DECODE_DEFAULT_MAX_COLLECTION + 1);
  ck_assert_int_eq(decode_with(schema, NULL, count_only,
                               (size_t)(end - count_only), &error),
                   KAVRO_ERR_LIMIT);
  kavro_schema_destroy(schema);
}
END_TEST

/* The collection bound covers all blocks of one array: two blocks of 600
 * are 1200 items, past a bound of 1000; two of 500 are at it. */
static unsigned char *two_blocks(size_t each, size_t *size) {
  unsigned char *body = calloc(2 * each + 24, 1);
  ck_assert_ptr_nonnull(body);
  unsigned char *p = put_long(body, (int64_t)each);
  p += each;
  p = put_long(p, (int64_t)each);
  p += each;
  *p++ = 0;
  *size = (size_t)(p - body);
  return body;
}

START_TEST(test_decode_collection_blocks) {
  kavro_schema_t *schema = parse_text("{\"type\":\"array\",\"items\":\"int\"}");
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_collection = 1000;
  kavro_error_t error;
  size_t size;
  unsigned char *body = two_blocks(500, &size);
  ck_assert_int_eq(decode_with(schema, &limits, body, size, &error), KAVRO_OK);
  free(body);
  body = two_blocks(600, &size);
  ck_assert_int_eq(decode_with(schema, &limits, body, size, &error), KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "collection size"));
  free(body);
  kavro_schema_destroy(schema);
}
END_TEST

/* A string of @length 'x' bytes. */
static unsigned char *string_body(size_t length, size_t *size) {
  unsigned char *body = malloc(length + 12);
  ck_assert_ptr_nonnull(body);
  unsigned char *p = put_long(body, (int64_t)length);
  memset(p, 'x', length);
  *size = (size_t)(p - body) + length;
  return body;
}

START_TEST(test_decode_string_length) {
  kavro_schema_t *schema = parse_text("\"string\"");
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  ck_assert_uint_eq(limits.max_length, KAVRO_DECODE_DEFAULT_MAX_LENGTH);
  limits.max_length = 4096;
  kavro_error_t error;
  size_t size;
  unsigned char *body = string_body(4096, &size);
  ck_assert_int_eq(decode_with(schema, &limits, body, size, &error), KAVRO_OK);
  free(body);
  body = string_body(4097, &size);
  ck_assert_int_eq(decode_with(schema, &limits, body, size, &error), KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "string or bytes length"));
  /* A caller built against limits without max_length keeps the default. */
  kavro_decode_limits_t old = limits;
  old.struct_size = offsetof(kavro_decode_limits_t, max_length);
  ck_assert_int_eq(decode_with(schema, &old, body, size, &error), KAVRO_OK);
  free(body);
  kavro_schema_destroy(schema);
}
END_TEST

/* An array of arrays of ints: one outer item holding @inner zeros. */
static unsigned char *nested_block(size_t inner, size_t *size) {
  unsigned char *body = calloc(inner + 24, 1);
  ck_assert_ptr_nonnull(body);
  unsigned char *p = put_long(body, 1);
  p = put_long(p, (int64_t)inner);
  p += inner;
  *p++ = 0; /* end of the inner array */
  *p++ = 0; /* end of the outer array */
  *size = (size_t)(p - body);
  return body;
}

START_TEST(test_decode_elements) {
  kavro_schema_t *schema = parse_text(
      "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":\"int\"}}");
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_elements = 500; /* the outer item counts: 1 + 499 */
  kavro_error_t error;
  size_t size;
  unsigned char *body = nested_block(499, &size);
  ck_assert_int_eq(decode_with(schema, &limits, body, size, &error), KAVRO_OK);
  free(body);
  body = nested_block(500, &size);
  ck_assert_int_eq(decode_with(schema, &limits, body, size, &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "number of collection items"));
  free(body);
  kavro_schema_destroy(schema);
}
END_TEST

/* A body of @levels nested arrays, each holding the next, the innermost
 * empty. */
static unsigned char *deep_body(unsigned levels, size_t *size) {
  unsigned char *body = malloc(2 * (size_t)levels);
  ck_assert_ptr_nonnull(body);
  unsigned char *p = body;
  for (unsigned i = 1; i < levels; i++)
    *p++ = 2; /* a block of one item */
  *p++ = 0;   /* the innermost array is empty */
  for (unsigned i = 1; i < levels; i++)
    *p++ = 0; /* the end of each enclosing array */
  *size = (size_t)(p - body);
  return body;
}

/* @levels nested arrays decoded with max_depth @max_depth (0: default). */
static kavro_err_t decode_deep(unsigned levels, unsigned max_depth,
                               kavro_error_t *error) {
  kavro_schema_t *schema;
  ck_assert_int_eq(parse_nested(levels, levels + 1, &schema, NULL), KAVRO_OK);
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  if (max_depth)
    limits.max_depth = max_depth;
  size_t size;
  unsigned char *body = deep_body(levels, &size);
  kavro_err_t err = decode_with(schema, &limits, body, size, error);
  free(body);
  kavro_schema_destroy(schema);
  return err;
}

START_TEST(test_decode_depth) {
  kavro_error_t error;
  ck_assert_int_eq(decode_deep(8, 8, &error), KAVRO_OK);
  ck_assert_int_eq(decode_deep(9, 8, &error), KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(error.text, "nesting depth"));
  ck_assert_int_eq(decode_deep(KAVRO_DECODE_DEFAULT_MAX_DEPTH, 0, &error),
                   KAVRO_OK);
  ck_assert_int_eq(decode_deep(KAVRO_DECODE_DEFAULT_MAX_DEPTH + 1, 0, &error),
                   KAVRO_ERR_LIMIT);
}
END_TEST

/* kavro_decode_limits_t has no length bound for strings and bytes: a
 * declared length is checked against the bytes left (codec.c,
 * kv_read_run()), so the body's own size is the bound.  Exactly the bytes
 * left is accepted; one more, or an absurd length, is refused without
 * allocating it. */
START_TEST(test_decode_lengths) {
  const char *const types[] = {"\"string\"", "\"bytes\""};
  for (size_t t = 0; t < 2; t++) {
    kavro_schema_t *schema = parse_text(types[t]);
    unsigned char body[64];
    memset(body, 'a', sizeof(body));
    kavro_error_t error;
    unsigned char *p = put_long(body, 40);
    size_t size = (size_t)(p - body) + 40;
    ck_assert_int_eq(decode_with(schema, NULL, body, size, &error), KAVRO_OK);
    ck_assert_int_eq(decode_with(schema, NULL, body, size - 1, &error),
                     KAVRO_ERR_DECODE);
    ck_assert_ptr_nonnull(strstr(error.text, "bytes left"));
    p = put_long(body, INT64_MAX / 2);
    ck_assert_int_eq(decode_with(schema, NULL, body, (size_t)(p - body) + 8,
                                 &error),
                     KAVRO_ERR_DECODE);
    p = put_long(body, -1);
    ck_assert_int_eq(decode_with(schema, NULL, body, (size_t)(p - body) + 8,
                                 &error),
                     KAVRO_ERR_DECODE);
    kavro_schema_destroy(schema);
  }
}
END_TEST

/* ---- the mock's request body cap ---------------------------------------- */

typedef struct upload_s {
  const char *data;
  size_t left;
} upload_t;

static size_t read_upload(char *buf, size_t size, size_t nitems, void *opaque) {
  upload_t *u = opaque;
  size_t n = size * nitems < u->left ? size * nitems : u->left;
  memcpy(buf, u->data, n);
  u->data += n;
  u->left -= n;
  return n;
}

static size_t ignore_body(char *data, size_t size, size_t nmemb, void *opaque) {
  (void)data;
  (void)opaque;
  return size * nmemb;
}

/* POST a registration body of exactly @size bytes (chunked when @chunked)
 * and return the HTTP status. */
static long post_sized(const char *url, size_t size, bool chunked) {
  static const char json[] = "{\"schema\":\"\\\"string\\\"\"}";
  char *body = malloc(size);
  ck_assert_ptr_nonnull(body);
  memset(body, ' ', size);
  memcpy(body, json, sizeof(json) - 1);
  CURL *curl = curl_easy_init();
  ck_assert_ptr_nonnull(curl);
  char target[128];
  snprintf(target, sizeof(target), "%s/subjects/big-value/versions", url);
  struct curl_slist *headers = curl_slist_append(
      NULL, "Content-Type: application/vnd.schemaregistry.v1+json");
  headers = curl_slist_append(headers, "Expect:");
  if (chunked)
    headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
  upload_t upload = {body, size};
  curl_easy_setopt(curl, CURLOPT_URL, target);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  if (chunked) {
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  } else {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ignore_body);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  free(body);
  /* The server may answer 413 and close while the body is still going. */
  ck_assert_msg(rc == CURLE_OK || status == 413, "curl: %s",
                curl_easy_strerror(rc));
  return status;
}

START_TEST(test_mock_body_cap) {
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  for (int chunked = 0; chunked < 2; chunked++) {
    ck_assert_int_eq(post_sized(kavro_mock_url(mock), KV_MOCK_MAX_BODY, chunked),
                     200);
    ck_assert_int_eq(
        post_sized(kavro_mock_url(mock), KV_MOCK_MAX_BODY + 1, chunked), 413);
  }
  kavro_mock_destroy(mock);
}
END_TEST

/* ---- the programs' line length ------------------------------------------ */

static const char kavro_bin[] = KAVRO_BIN;

/* A file holding one line of @length bytes: spaces, then @datum (which
 * both commands read past leading white space). */
static void write_input(const char *path, size_t length, const char *datum) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  char spaces[65536];
  memset(spaces, ' ', sizeof(spaces));
  for (size_t left = length - strlen(datum); left;) {
    size_t n = left < sizeof(spaces) ? left : sizeof(spaces);
    ck_assert_uint_eq(fwrite(spaces, 1, n, f), n);
    left -= n;
  }
  fprintf(f, "%s\n", datum);
  ck_assert_int_eq(fclose(f), 0);
}

/* The longest line is CLI_MAX_LINE - 1 bytes (the buffer of CLI_MAX_LINE
 * keeps its NUL): a line that long is read whole, one byte more stops the
 * run with exit status 2. */
static void check_line_bound(const char *workdir, const char *const *argv,
                             const char *line, const char *expected) {
  char input[4200];
  snprintf(input, sizeof(input), "%s/input", workdir);
  write_input(input, CLI_MAX_LINE - 1, line);
  kt_run_t run = kt_run(workdir, input, argv);
  ck_assert_msg(run.status == 0, "%s at the bound: exit %d: %s", argv[1],
                run.status, run.err);
  ck_assert_str_eq(run.out, expected);
  kt_run_free(&run);
  write_input(input, CLI_MAX_LINE, line);
  run = kt_run(workdir, input, argv);
  ck_assert_int_eq(run.status, 2);
  ck_assert_msg(strstr(run.err, "line 1: unreadable or longer than") != NULL,
                "%s", run.err);
  ck_assert_uint_eq(run.out_length, 0);
  kt_run_free(&run);
  unlink(input);
}

START_TEST(test_cli_line_length) {
  char workdir[] = "/tmp/kavro-check-bounds-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(workdir));
  char schema[4200];
  snprintf(schema, sizeof(schema), "%s/long.avsc", workdir);
  FILE *f = fopen(schema, "w");
  ck_assert_ptr_nonnull(f);
  fputs("\"long\"", f);
  ck_assert_int_eq(fclose(f), 0);
  check_line_bound(workdir,
                   (const char *const[]){kavro_bin, "encode", "--schema",
                                         schema, "--hex", NULL},
                   "21", "2a\n");
  check_line_bound(workdir,
                   (const char *const[]){kavro_bin, "decode", "--writer",
                                         schema, "--hex", NULL},
                   "2a", "21\n");
  unlink(schema);
  rmdir(workdir);
}
END_TEST

static Suite *bounds_suite(void) {
  Suite *s = suite_create("bounds");
  TCase *tc = tcase_create("bounds");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_response_max_bytes);
  tcase_add_test(tc, test_response_max_bytes_range);
  tcase_add_test(tc, test_schema_size);
  tcase_add_test(tc, test_schema_file_size);
  tcase_add_test(tc, test_schema_depth);
  tcase_add_test(tc, test_schema_fixed_size);
  tcase_add_test(tc, test_inline_fixed_bytes);
  tcase_add_test(tc, test_decode_collection);
  tcase_add_test(tc, test_decode_collection_blocks);
  tcase_add_test(tc, test_decode_string_length);
  tcase_add_test(tc, test_decode_elements);
  tcase_add_test(tc, test_decode_depth);
  tcase_add_test(tc, test_decode_lengths);
  tcase_add_test(tc, test_mock_body_cap);
  tcase_add_test(tc, test_cli_line_length);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  SRunner *sr = srunner_create(bounds_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  curl_global_cleanup();
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
