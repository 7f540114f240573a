/*
 * kavro tests - the serializer/deserializer fixture (see serde_fixture.h).
 */
#include "serde_fixture.h"

#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

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

void kt_settings_collect(const char **out, size_t capacity,
                         const char *const *first, va_list ap) {
  size_t n = 0;
  for (; first && first[n]; n++) {
    ck_assert_uint_lt(n + 1, capacity);
    out[n] = first[n];
  }
  for (const char *item; (item = va_arg(ap, const char *));) {
    ck_assert_uint_lt(n + 2, capacity);
    out[n++] = item;
    out[n++] = va_arg(ap, const char *);
  }
  out[n] = NULL;
}

kavro_registry_t *kt_client_settings(const char *url,
                                     const char *const *settings) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url", url, &error),
                   KAVRO_OK);
  for (size_t i = 0; settings && settings[i]; i += 2)
    ck_assert_msg(kavro_conf_set(conf, settings[i], settings[i + 1], &error) ==
                      KAVRO_OK,
                  "%s: %s", settings[i], error.text);
  kavro_registry_t *reg = kavro_registry_new(conf, &error);
  ck_assert_msg(reg != NULL, "registry_new: %s", error.text);
  return reg;
}

kavro_registry_t *kt_client(const char *url, ...) {
  static const char *const no_retries[] = {"max.retries", "0", NULL};
  const char *settings[35];
  va_list ap;
  va_start(ap, url);
  kt_settings_collect(settings, sizeof(settings) / sizeof(settings[0]),
                      no_retries, ap);
  va_end(ap);
  return kt_client_settings(url, settings);
}

void kt_mock_guid(kavro_mock_t *mock, int id, unsigned char guid[16]) {
  char path[256];
  snprintf(path, sizeof(path), "%s/kavro-fixture-guid-%ld.json", P_tmpdir,
           (long)getpid());
  kavro_error_t error;
  ck_assert_msg(kavro_mock_save(mock, path, &error) == KAVRO_OK, "save: %s",
                error.text);
  json_t *root = json_load_file(path, 0, NULL);
  unlink(path);
  ck_assert_ptr_nonnull(root);
  const char *text = NULL;
  size_t i;
  json_t *schema;
  json_array_foreach(json_object_get(root, "schemas"), i, schema)
    if (json_integer_value(json_object_get(schema, "id")) == id)
      text = json_string_value(json_object_get(schema, "guid"));
  ck_assert_msg(text != NULL, "the mock has no GUID for id %d", id);
  kavro_schema_id_t parsed;
  ck_assert_int_eq(kavro_schema_id_parse(text, &parsed, NULL), KAVRO_OK);
  ck_assert_int_eq(parsed.kind, KAVRO_SCHEMA_ID_GUID);
  memcpy(guid, parsed.guid, 16);
  json_decref(root);
}

void kt_mock_hold(kavro_mock_t *mock, const char *subject,
                  const char *const *texts, size_t count) {
  json_t *schemas = json_array(), *versions = json_array();
  for (size_t i = 0; i < count; i++) {
    json_array_append_new(schemas, json_pack("{s:i, s:s}", "id", (int)i + 1,
                                             "schema", texts[i]));
    json_array_append_new(versions, json_pack("{s:i, s:i}", "version",
                                              (int)i + 1, "id", (int)i + 1));
  }
  json_t *root = json_pack(
      "{s:s, s:i, s:s, s:s, s:o, s:[{s:s, s:o}]}", "format",
      "kavro-mock-registry", "version", 1, "compatibilityLevel", "BACKWARD",
      "mode", "READWRITE", "schemas", schemas, "subjects", "subject", subject,
      "versions", versions);
  ck_assert_ptr_nonnull(root);
  char path[256];
  snprintf(path, sizeof(path), "%s/kavro-fixture-hold-%ld.json", P_tmpdir,
           (long)getpid());
  ck_assert_int_eq(json_dump_file(root, path, 0), 0);
  json_decref(root);
  kavro_error_t error;
  kavro_err_t err = kavro_mock_load(mock, path, &error);
  unlink(path);
  ck_assert_msg(err == KAVRO_OK, "load: %s", error.text);
}

unsigned char *kt_frame_hex(int id, const char *body_hex, size_t *length) {
  size_t body_length;
  unsigned char *body = kt_hex_decode(body_hex, &body_length);
  ck_assert_ptr_nonnull(body);
  unsigned char *frame = malloc(body_length + 5);
  ck_assert_ptr_nonnull(frame);
  frame[0] = 0;
  for (int i = 0; i < 4; i++)
    frame[1 + i] = (unsigned char)((unsigned)id >> (24 - 8 * i));
  memcpy(frame + 5, body, body_length);
  free(body);
  *length = body_length + 5;
  return frame;
}

json_t *kt_frame_plain(const char *text, const kavro_buf_t *frame) {
  kavro_schema_t *schema = kt_parse(text);
  kavro_decoder_t *decoder = kavro_decoder_new(NULL);
  kt_value_t v;
  kt_value_init(&v, schema);
  kavro_error_t error;
  ck_assert_msg(kavro_decode(decoder, schema, kavro_buf_data(frame) + 5,
                             kavro_buf_length(frame) - 5, &v.value, NULL,
                             &error) == KAVRO_OK,
                "%s", error.text);
  json_t *plain = kt_value_plain(schema, &v.value);
  kt_value_free(&v);
  kavro_decoder_destroy(decoder);
  kavro_schema_destroy(schema);
  return plain;
}

kavro_schema_t *kt_parse(const char *text) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_schema_parse(text, strlen(text), NULL, &schema, &error) ==
                    KAVRO_OK,
                "parse: %s", error.text);
  return schema;
}

int kt_register_contract(kavro_registry_t *reg, const char *subject,
                         const char *text, const char *metadata,
                         const char *rule_set) {
  kavro_schema_t *schema = kt_parse(text);
  kavro_schema_contract_t contract = {metadata, rule_set};
  kavro_schema_info_t *info = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_registry_register_contract(reg, subject, schema, NULL, 0,
                                                 false, &contract, &info,
                                                 &error) == KAVRO_OK,
                "register_contract: %s", error.text);
  int id = kavro_schema_info_id(info);
  kavro_schema_info_destroy(info);
  kavro_schema_destroy(schema);
  return id;
}

uint64_t kt_requests(const kavro_registry_t *reg) {
  kavro_registry_stats_t stats;
  kavro_registry_stats(reg, &stats);
  uint64_t total = 0;
  for (int i = 0; i < KAVRO_REGISTRY_EP_COUNT; i++)
    total += stats.requests[i];
  return total;
}

const char *kt_unexecutable_rule_set(const char *mode,
                                     const char *on_failure, bool disabled) {
  static char text[512];
  char action[64] = "";
  if (on_failure)
    snprintf(action, sizeof(action), ",\"onFailure\":\"%s\"", on_failure);
  snprintf(text, sizeof(text),
           "{\"domainRules\":[{\"name\":\"checkSsn\",\"kind\":"
           "\"CONDITION\",\"type\":\"JSONATA\",\"mode\":\"%s\","
           "\"expr\":\"id > 0\",\"disabled\":%s%s}]}",
           mode, disabled ? "true" : "false", action);
  return text;
}
