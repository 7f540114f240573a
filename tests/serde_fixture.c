/*
 * kavro tests - the serializer/deserializer fixture (see serde_fixture.h).
 */
#include "serde_fixture.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

kavro_mock_t *kt_mock;

/* The mock's name, for its mock:// URL. */
static char mock_name_url[128];

void kt_mock_start(const char *name) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new(name, &kt_mock, &error), KAVRO_OK);
  snprintf(mock_name_url, sizeof(mock_name_url), "mock://%s", name);
}

void kt_mock_stop(void) {
  kavro_mock_destroy(kt_mock);
  kt_mock = NULL;
}

const char *kt_mock_url(int which) {
  if (which == 0)
    return mock_name_url;
  if (!kavro_mock_url(kt_mock))
    ck_assert_int_eq(kavro_mock_listen(kt_mock, NULL, 0, NULL), KAVRO_OK);
  return kavro_mock_url(kt_mock);
}

kavro_registry_t *kt_client(const char *url, ...) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url", url, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "max.retries", "0", NULL), KAVRO_OK);
  va_list ap;
  va_start(ap, url);
  for (const char *key; (key = va_arg(ap, const char *));) {
    const char *value = va_arg(ap, const char *);
    ck_assert_msg(kavro_conf_set(conf, key, value, &error) == KAVRO_OK, "%s",
                  error.text);
  }
  va_end(ap);
  kavro_registry_t *reg = kavro_registry_new(conf, &error);
  ck_assert_msg(reg != NULL, "registry_new: %s", error.text);
  return reg;
}

kavro_schema_t *kt_parse(const char *text) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_schema_parse(text, strlen(text), NULL, &schema, &error) ==
                    KAVRO_OK,
                "parse: %s", error.text);
  return schema;
}

void kt_value_init(kt_value_t *v, const kavro_schema_t *schema,
                   const char *json) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_to_avro(schema, &v->avro, &error), KAVRO_OK);
  v->iface = avro_generic_class_from_schema(v->avro);
  ck_assert_ptr_nonnull(v->iface);
  ck_assert_int_eq(avro_generic_value_new(v->iface, &v->value), 0);
  ck_assert_msg(kavro_value_from_json(schema, json, strlen(json), &v->value,
                                      &error) == KAVRO_OK,
                "from_json: %s", error.text);
}

void kt_value_free(kt_value_t *v) {
  avro_value_decref(&v->value);
  avro_value_iface_decref(v->iface);
  avro_schema_decref(v->avro);
}
