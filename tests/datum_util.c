/*
 * kavro tests - serde test helpers (see datum_util.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum_util.h"

#include <check.h>

kavro_schema_t *kt_schema_from_json(const json_t *schema, kavro_error_t *error) {
  char *text = json_dumps(schema, JSON_ENCODE_ANY | JSON_COMPACT);
  kavro_schema_t *s = NULL;
  if (text)
    kavro_schema_parse(text, strlen(text), NULL, &s, error);
  free(text);
  return s;
}

void kt_value_init(kt_value_t *v, const kavro_schema_t *schema) {
  kavro_error_t error;
  if (kavro_schema_to_avro(schema, &v->schema, &error) != KAVRO_OK) {
    fprintf(stderr, "kavro_schema_to_avro: %s\n", error.text);
    abort();
  }
  v->iface = avro_generic_class_from_schema(v->schema);
  if (!v->iface || avro_generic_value_new(v->iface, &v->value) != 0) {
    fprintf(stderr, "avro-c: %s\n", avro_strerror());
    abort();
  }
}

void kt_value_from_json(kt_value_t *v, const kavro_schema_t *schema,
                        const char *json) {
  kt_value_init(v, schema);
  kavro_error_t error;
  ck_assert_msg(kavro_value_from_json(schema, json, strlen(json), &v->value,
                                      &error) == KAVRO_OK,
                "from_json: %s", error.text);
}

void kt_value_free(kt_value_t *v) {
  avro_value_decref(&v->value);
  avro_value_iface_decref(v->iface);
  avro_schema_decref(v->schema);
}

json_t *kt_value_plain(const kavro_schema_t *schema, const avro_value_t *value) {
  kavro_error_t error;
  char *text = kavro_value_to_json(schema, value, KAVRO_DATUM_JSON_PLAIN, &error);
  if (!text) {
    fprintf(stderr, "kavro_value_to_json: %s\n", error.text);
    abort();
  }
  json_error_t jerr;
  json_t *json = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  if (!json) {
    fprintf(stderr, "plain JSON does not parse (%s): %s\n", jerr.text, text);
    abort();
  }
  free(text);
  return json;
}

static bool differ(char *why, size_t size, const char *path, const char *what) {
  snprintf(why, size, "%s: %s", *path ? path : "/", what);
  return false;
}

static bool numbers_equal(const json_t *a, const json_t *b) {
  if (json_is_integer(a) && json_is_integer(b))
    return json_integer_value(a) == json_integer_value(b);
  double x = json_number_value(a), y = json_number_value(b);
  if (json_is_real(a) && json_is_real(b))
    return memcmp(&x, &y, sizeof(x)) == 0;
  return x == y;
}

/* Hex in either case, as the same bytes. */
static bool tagged_equal(const json_t *a, const json_t *b) {
  const char *x = json_string_value(json_object_get(a, "$bytes"));
  const char *y = json_string_value(json_object_get(b, "$bytes"));
  if (!x || !y || strlen(x) != strlen(y))
    return false;
  for (; *x; x++, y++)
    if (tolower((unsigned char)*x) != tolower((unsigned char)*y))
      return false;
  return true;
}

static bool equal_at(const json_t *a, const json_t *b, char *path,
                     size_t path_length, char *why, size_t size);

static bool objects_equal(const json_t *a, const json_t *b, char *path,
                          size_t len, char *why, size_t size) {
  if (json_object_get(a, "$bytes") && json_object_size(a) == 1)
    return tagged_equal(a, b) || differ(why, size, path, "bytes differ");
  if (json_object_size(a) != json_object_size(b))
    return differ(why, size, path, "objects have different keys");
  const char *key;
  json_t *item;
  json_object_foreach((json_t *)a, key, item) {
    json_t *other = json_object_get(b, key);
    if (!other)
      return differ(why, size, path, "a key is missing");
    snprintf(path + len, 512 - len, "/%s", key);
    if (!equal_at(item, other, path, strlen(path), why, size))
      return false;
  }
  path[len] = '\0';
  return true;
}

static bool equal_at(const json_t *a, const json_t *b, char *path,
                     size_t len, char *why, size_t size) {
  if (json_is_number(a) && json_is_number(b))
    return numbers_equal(a, b) || differ(why, size, path, "numbers differ");
  if (json_typeof(a) != json_typeof(b))
    return differ(why, size, path, "types differ");
  if (json_is_object(a))
    return objects_equal(a, b, path, len, why, size);
  if (json_is_array(a)) {
    if (json_array_size(a) != json_array_size(b))
      return differ(why, size, path, "array lengths differ");
    for (size_t i = 0; i < json_array_size(a); i++) {
      snprintf(path + len, 512 - len, "/%zu", i);
      if (!equal_at(json_array_get(a, i), json_array_get(b, i), path,
                    strlen(path), why, size))
        return false;
    }
    path[len] = '\0';
    return true;
  }
  return json_equal((json_t *)a, (json_t *)b) || differ(why, size, path, "values differ");
}

bool kt_datum_equal(const json_t *expected, const json_t *actual, char *why,
                    size_t why_size) {
  char path[512] = "";
  return equal_at(expected, actual, path, 0, why, why_size);
}
