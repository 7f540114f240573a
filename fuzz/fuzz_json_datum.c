/*
 * libFuzzer harness: reading Avro JSON datums.
 *
 * The first byte of the input picks one of a few fixed schemas; the rest is
 * JSON text said to be a datum of it, as `kavro encode` reads JSON lines.
 * It is read both into a value (kavro_value_from_json) and straight into
 * binary (kavro_json_to_binary).  Nothing may crash or leak; a refusal must
 * be KAVRO_ERR_JSON, KAVRO_ERR_DECODE or KAVRO_ERR_LIMIT; both readers must
 * agree (same verdict, same bytes); and whatever reads must survive a round
 * trip: printed as Avro JSON and read again it prints the same text and
 * encodes to the bytes the printed text encodes to, and it prints as plain
 * JSON.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <kavro.h>

/* Each schema in parentheses: one literal split over lines, not a missing
 * comma. */
static const char *const schemas[] = {
    /* Every primitive, named types, logical types, defaults. */
    ("{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"fz\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"by\",\"type\":\"bytes\"},{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F4\",\"size\":4}},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Color\","
    "\"symbols\":[\"RED\",\"GREEN\",\"BLUE\"],\"default\":\"RED\"}},"
    "{\"name\":\"dec\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
    "\"precision\":9,\"scale\":2},\"default\":\"\\u0000\"},"
    "{\"name\":\"u\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"},"
    "\"default\":\"00000000-0000-0000-0000-000000000000\"},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":"
    "\"timestamp-millis\"},\"default\":0},"
    "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"},"
    "\"default\":-1},"
    "{\"name\":\"again\",\"type\":\"F4\",\"default\":\"abcd\"}]}"),
    /* A wide union: every kind of branch the spec allows together. */
    ("[\"null\",\"boolean\",\"int\",\"long\",\"float\",\"double\",\"bytes\","
    "\"string\",{\"type\":\"record\",\"name\":\"ns.P\",\"fields\":["
    "{\"name\":\"x\",\"type\":[\"null\",\"P\"],\"default\":null}]},"
    "{\"type\":\"enum\",\"name\":\"ns.E\",\"symbols\":[\"A\",\"B\"]},"
    "{\"type\":\"fixed\",\"name\":\"other.F\",\"size\":2},"
    "{\"type\":\"map\",\"values\":[\"null\",\"double\"]},"
    "{\"type\":\"array\",\"items\":\"bytes\"}]"),
    /* Recursion through a union. */
    ("{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\","
    "\"type\":\"long\"},{\"name\":\"next\",\"type\":[\"null\",\"L\"],"
    "\"default\":null}]}"),
    /* Nested collections. */
    ("{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":{\"type\":"
    "\"map\",\"values\":[\"float\",\"string\"]}}}"),
};

#define SCHEMA_COUNT (sizeof(schemas) / sizeof(schemas[0]))

typedef struct loaded_s {
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
} loaded_t;

static loaded_t loaded[SCHEMA_COUNT];
static kavro_buf_t *direct, *via_value, *reprinted;
static bool ready;

static void load_one(loaded_t *l, const char *text) {
  if (kavro_schema_parse(text, strlen(text), NULL, &l->schema, NULL) ||
      kavro_schema_to_avro(l->schema, &l->avro, NULL) ||
      !(l->iface = avro_generic_class_from_schema(l->avro)) ||
      avro_generic_value_new(l->iface, &l->value))
    abort();
}

/* Freed at exit, so that a leak checker sees only what a run leaked. */
static void unload(void) {
  for (size_t i = 0; i < SCHEMA_COUNT; i++) {
    avro_value_decref(&loaded[i].value);
    avro_value_iface_decref(loaded[i].iface);
    avro_schema_decref(loaded[i].avro);
    kavro_schema_destroy(loaded[i].schema);
  }
  kavro_buf_destroy(direct);
  kavro_buf_destroy(via_value);
  kavro_buf_destroy(reprinted);
}

/* Built once, for the life of the process. */
static void load(void) {
  for (size_t i = 0; i < SCHEMA_COUNT; i++)
    load_one(&loaded[i], schemas[i]);
  direct = kavro_buf_new(0, 0);
  via_value = kavro_buf_new(0, 0);
  reprinted = kavro_buf_new(0, 0);
  if (!direct || !via_value || !reprinted)
    abort();
  ready = true;
  atexit(unload);
}

static bool same_bytes(const kavro_buf_t *a, const kavro_buf_t *b) {
  return kavro_buf_length(a) == kavro_buf_length(b) &&
         memcmp(kavro_buf_data(a), kavro_buf_data(b), kavro_buf_length(a)) ==
             0;
}

static bool is_refusal(kavro_err_t err) {
  return err == KAVRO_ERR_JSON || err == KAVRO_ERR_DECODE ||
         err == KAVRO_ERR_LIMIT;
}

/*
 * The value read from JSON prints as Avro JSON, and that text reads back
 * to a value that prints the same and encodes like the text does (NaN
 * payloads and number spellings settle after one print, so the first
 * print, not the input, is the reference).  Plain JSON must print too.
 */
static void check_round_trip(loaded_t *l) {
  char *printed =
      kavro_value_to_json(l->schema, &l->value, KAVRO_DATUM_JSON_AVRO, NULL);
  char *plain =
      kavro_value_to_json(l->schema, &l->value, KAVRO_DATUM_JSON_PLAIN, NULL);
  if (!printed || !plain)
    abort();
  free(plain);
  kavro_buf_reset(reprinted);
  kavro_buf_reset(via_value);
  if (kavro_value_from_json(l->schema, printed, strlen(printed), &l->value,
                            NULL) ||
      kavro_json_to_binary(l->schema, printed, strlen(printed), reprinted,
                           NULL) ||
      kavro_encode(l->schema, &l->value, via_value, NULL) ||
      !same_bytes(reprinted, via_value))
    abort();
  char *again =
      kavro_value_to_json(l->schema, &l->value, KAVRO_DATUM_JSON_AVRO, NULL);
  if (!again || strcmp(again, printed) != 0)
    abort();
  free(again);
  free(printed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready)
    load();
  if (size == 0)
    return 0;
  loaded_t *l = &loaded[data[0] % SCHEMA_COUNT];
  const char *text = (const char *)data + 1;
  size_t length = size - 1;

  kavro_buf_reset(direct);
  kavro_err_t to_binary =
      kavro_json_to_binary(l->schema, text, length, direct, NULL);
  kavro_err_t to_value =
      kavro_value_from_json(l->schema, text, length, &l->value, NULL);
  if (to_binary && !is_refusal(to_binary))
    abort();
  if (to_value) {
    /* The value reader decodes what the binary reader wrote, under the
     * decoder's depth bound, which JSON nesting alone may pass. */
    if (!is_refusal(to_value) ||
        (!to_binary && to_value != KAVRO_ERR_LIMIT) ||
        (to_binary && to_value != to_binary))
      abort();
    return 0;
  }
  if (to_binary)
    abort();
  /* Both readers accepted: the value encodes to the bytes read directly. */
  kavro_buf_reset(via_value);
  if (kavro_encode(l->schema, &l->value, via_value, NULL) ||
      !same_bytes(direct, via_value))
    abort();
  check_round_trip(l);
  return 0;
}
