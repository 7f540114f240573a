/*
 * libFuzzer harness: decoding and resolving arbitrary bodies.
 *
 * The first byte of the input picks one of a few fixed (writer, reader)
 * schema pairs; the rest is a body of the writer schema.  It is decoded
 * with the writer alone and through the resolution plan, under tight
 * limits.  Nothing may crash or leak; a refusal must be KAVRO_ERR_DECODE
 * or KAVRO_ERR_LIMIT; and whatever decodes must encode again, decode from
 * its own encoding to the same bytes, and print as JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <kavro.h>

static const char *const pairs[][2] = {
    /* Records: reordered, removed, added with defaults, promoted. */
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
     "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"n\",\"type\":\"int\"},"
     "{\"name\":\"gone\",\"type\":{\"type\":\"map\",\"values\":\"bytes\"}},"
     "{\"name\":\"opt\",\"type\":[\"null\",\"string\"]},"
     "{\"name\":\"xs\",\"type\":{\"type\":\"array\",\"items\":\"float\"}}]}",
     "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
     "{\"name\":\"xs\",\"type\":{\"type\":\"array\",\"items\":\"double\"}},"
     "{\"name\":\"n\",\"type\":\"long\"},{\"name\":\"id\",\"type\":\"bytes\"},"
     "{\"name\":\"opt\",\"type\":\"string\"},"
     "{\"name\":\"extra\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1,2]}]}"},
    /* Recursion through a union. */
    {"{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
     "{\"name\":\"next\",\"type\":[\"null\",\"L\"]}]}",
     "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"L\"]},"
     "{\"name\":\"v\",\"type\":\"double\"},{\"name\":\"w\",\"type\":\"string\",\"default\":\"-\"}]}"},
    /* Unions into unions, one branch without a match. */
    {"[\"null\",\"int\",\"string\",{\"type\":\"map\",\"values\":\"bytes\"}]",
     "[\"string\",\"long\",\"null\"]"},
    /* Enums with a default, fixed with an alias, nested arrays. */
    {"{\"type\":\"record\",\"name\":\"E\",\"fields\":["
     "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"S\",\"symbols\":[\"A\",\"B\",\"C\"]}},"
     "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}},"
     "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":\"boolean\"}}}]}",
     "{\"type\":\"record\",\"name\":\"E\",\"fields\":["
     "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"S\",\"symbols\":[\"C\",\"A\"],\"default\":\"A\"}},"
     "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"G\",\"aliases\":[\"F\"],\"size\":4}},"
     "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":\"boolean\"}}}]}"},
};

#define PAIR_COUNT (sizeof(pairs) / sizeof(pairs[0]))

typedef struct side_s {
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
} side_t;

static struct {
  side_t writer, reader;
  kavro_resolution_t *plan;
} loaded[PAIR_COUNT];
static kavro_decoder_t *decoder;
static kavro_buf_t *first, *second;

static void side_init(side_t *s, const char *text) {
  if (kavro_schema_parse(text, strlen(text), NULL, &s->schema, NULL) ||
      kavro_schema_to_avro(s->schema, &s->avro, NULL) ||
      !(s->iface = avro_generic_class_from_schema(s->avro)) ||
      avro_generic_value_new(s->iface, &s->value))
    abort();
}

static void side_free(side_t *s) {
  avro_value_decref(&s->value);
  avro_value_iface_decref(s->iface);
  avro_schema_decref(s->avro);
  kavro_schema_destroy(s->schema);
}

/* Freed at exit, so that a leak checker sees only what a run leaked. */
static void unload(void) {
  for (size_t i = 0; i < PAIR_COUNT; i++) {
    kavro_resolution_destroy(loaded[i].plan);
    side_free(&loaded[i].writer);
    side_free(&loaded[i].reader);
  }
  kavro_decoder_destroy(decoder);
  kavro_buf_destroy(first);
  kavro_buf_destroy(second);
}

/* Built once, for the life of the process. */
static void load(void) {
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_depth = 32;
  limits.max_collection = 4096;
  limits.max_elements = 65536;
  decoder = kavro_decoder_new(&limits);
  first = kavro_buf_new(0, 0);
  second = kavro_buf_new(0, 0);
  if (!decoder || !first || !second)
    abort();
  for (size_t i = 0; i < PAIR_COUNT; i++) {
    side_init(&loaded[i].writer, pairs[i][0]);
    side_init(&loaded[i].reader, pairs[i][1]);
    if (kavro_resolution_new(loaded[i].writer.schema, loaded[i].reader.schema,
                             &loaded[i].plan, NULL))
      abort();
  }
  atexit(unload);
}

static void expect_refusal(kavro_err_t err) {
  if (err != KAVRO_ERR_DECODE && err != KAVRO_ERR_LIMIT)
    abort();
}

/* A decoded value encodes, and its encoding decodes to the same bytes. */
static void check_value(side_t *s) {
  kavro_buf_reset(first);
  kavro_buf_reset(second);
  if (kavro_encode(s->schema, &s->value, first, NULL) ||
      kavro_decode(decoder, s->schema, kavro_buf_data(first),
                   kavro_buf_length(first), &s->value, NULL, NULL) ||
      kavro_encode(s->schema, &s->value, second, NULL) ||
      kavro_buf_length(first) != kavro_buf_length(second) ||
      memcmp(kavro_buf_data(first), kavro_buf_data(second),
             kavro_buf_length(first)) != 0)
    abort();
  for (unsigned flags = 0; flags <= KAVRO_DATUM_JSON_PLAIN; flags++) {
    char *json = kavro_value_to_json(s->schema, &s->value, flags, NULL);
    if (!json)
      abort();
    if (flags == KAVRO_DATUM_JSON_AVRO &&
        kavro_value_from_json(s->schema, json, strlen(json), &s->value, NULL))
      abort();
    free(json);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!decoder)
    load();
  if (size == 0)
    return 0;
  size_t which = data[0] % PAIR_COUNT;
  const uint8_t *body = data + 1;
  size_t body_size = size - 1, consumed;
  kavro_err_t err = kavro_decode(decoder, loaded[which].writer.schema, body,
                                 body_size, &loaded[which].writer.value,
                                 &consumed, NULL);
  if (err)
    expect_refusal(err);
  else if (consumed > body_size)
    abort();
  else
    check_value(&loaded[which].writer);
  err = kavro_decode_resolved(decoder, loaded[which].plan, body, body_size,
                              &loaded[which].reader.value, &consumed, NULL);
  if (err)
    expect_refusal(err);
  else if (consumed > body_size)
    abort();
  else
    check_value(&loaded[which].reader);
  return 0;
}
