/*
 * kavro tests - the serializer against the mock registry (mock:// and
 * HTTP): subject name strategies, auto-register and use.latest.version,
 * the compatibility gate under every kind of level (also while the
 * registry is down), the warm path (no request, no allocation),
 * tombstones, and where the schema id goes (a prefix, or the GUID in a
 * header; use.schema.guid) for generic values and typed records alike.
 *
 * The program is linked with --wrap=malloc/calloc/realloc and installs a
 * counting avro-c allocator, so that allocations by kavro's code and by
 * avro-c are counted.
 */
#include <avro.h>
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evo1_visit.h"
#include "kavro.h"
#include "kavro/mock.h"
#include "legacy_schemas.h"
#include "serde_fixture.h"

/* ---- allocation counting -------------------------------------------------- */

static atomic_ulong allocations;

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *ptr, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *ptr, size_t size);

void *__wrap_malloc(size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __real_calloc(count, size);
}

void *__wrap_realloc(void *ptr, size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __real_realloc(ptr, size);
}

static void *avro_counting_allocator(void *user_data, void *ptr, size_t osize,
                                     size_t nsize) {
  (void)user_data;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize); /* counted by the wrapper */
}

/* ---- schemas and values ----------------------------------------------------- */

#define ORDER_HEAD                                                             \
  "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","       \
  "\"fields\":[{\"name\":\"id\",\"type\":\"long\"}"

static const char v1_text[] =
    ORDER_HEAD ",{\"name\":\"note\",\"type\":\"string\"}]}";
/* v1 plus a defaulted field: compatible every way. */
static const char v2_text[] =
    ORDER_HEAD ",{\"name\":\"note\",\"type\":\"string\"},"
               "{\"name\":\"qty\",\"type\":\"int\",\"default\":1}]}";
/* A field without default added: a v1 body cannot be read (BACKWARD). */
static const char no_backward_text[] =
    ORDER_HEAD ",{\"name\":\"note\",\"type\":\"string\"},"
               "{\"name\":\"qty\",\"type\":\"int\"}]}";
/* `note` removed: v1 readers lack it (FORWARD). */
static const char no_forward_text[] = ORDER_HEAD "]}";
/* `note` retyped to int with a default: reads a body without `note`. */
static const char note_int_text[] =
    ORDER_HEAD ",{\"name\":\"note\",\"type\":\"int\",\"default\":0}]}";
static const char key_text[] = "\"string\"";

/* ---- fixtures ----------------------------------------------------------------- */

static void mock_setup(void) { kt_mock_start("sertest"); }

static kavro_serializer_t *serializer(kavro_registry_t *reg) {
  kavro_error_t error;
  kavro_serializer_t *ser = kavro_serializer_new(reg, NULL, &error);
  ck_assert_msg(ser != NULL, "serializer_new: %s", error.text);
  return ser;
}

/* The id in a frame, checking its shape. */
static int frame_id(const kavro_buf_t *buf) {
  kavro_wire_frame_t frame;
  ck_assert_int_eq(kavro_wire_unframe(kavro_buf_data(buf),
                                      kavro_buf_length(buf), &frame, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(frame.id.kind, KAVRO_SCHEMA_ID_INT);
  return (int)frame.id.id;
}

/* The id the registry holds for @subject's latest version, 0 if none. */
static int latest_id(kavro_registry_t *reg, const char *subject) {
  kavro_registry_clear_caches(reg);
  int id = 0;
  kavro_schema_t *schema = NULL;
  if (kavro_registry_get_version(reg, subject, KAVRO_REGISTRY_LATEST, &schema,
                                 &id, NULL, NULL) != KAVRO_OK)
    return 0;
  kavro_schema_destroy(schema);
  return id;
}

static size_t version_count(kavro_registry_t *reg, const char *subject) {
  int *versions = NULL;
  size_t count = 0;
  kavro_registry_versions(reg, subject, false, &versions, &count, NULL);
  free(versions);
  return count;
}

static int register_text(kavro_registry_t *reg, const char *subject,
                         const char *text) {
  kavro_schema_t *schema = kt_parse(text);
  int id = 0;
  kavro_error_t error;
  ck_assert_msg(kavro_registry_register(reg, subject, schema, NULL, 0, false,
                                        &id, &error) == KAVRO_OK,
                "register: %s", error.text);
  kavro_schema_destroy(schema);
  return id;
}

/* Serialize @json of @text for topic "orders"; returns the error code and
 * leaves the frame in @out. */
static kavro_err_t serialize_text(kavro_serializer_t *ser, const char *text,
                                  const char *json, kavro_buf_t *out,
                                  kavro_error_t *error) {
  kavro_schema_t *schema = kt_parse(text);
  kt_value_t v;
  kt_value_from_json(&v, schema, json);
  kavro_err_t err =
      kavro_serializer_serialize(ser, "orders", false, schema, &v.value, out,
                                 error);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
  return err;
}

static const char v1_datum[] = "{\"id\": 7, \"note\": \"hello\"}";
static const char v2_datum[] = "{\"id\": 7, \"note\": \"hello\", \"qty\": 3}";

/* ---- subject name strategies ------------------------------------------------- */

START_TEST(strategy_names) {
  kavro_schema_t *order = kt_parse(v1_text);
  kavro_schema_t *str = kt_parse(key_text);
  char buf[KAVRO_SUBJECT_MAX];
  kavro_error_t error;
  ck_assert_int_eq(kavro_subject_name(KAVRO_SUBJECT_TOPIC, "orders", false,
                                      order, buf, sizeof(buf), &error),
                   KAVRO_OK);
  ck_assert_str_eq(buf, "orders-value");
  ck_assert_int_eq(kavro_subject_name(KAVRO_SUBJECT_TOPIC, "orders", true, str,
                                      buf, sizeof(buf), &error),
                   KAVRO_OK);
  ck_assert_str_eq(buf, "orders-key");
  ck_assert_int_eq(kavro_subject_name(KAVRO_SUBJECT_RECORD, NULL, false, order,
                                      buf, sizeof(buf), &error),
                   KAVRO_OK);
  ck_assert_str_eq(buf, "com.acme.Order");
  ck_assert_int_eq(kavro_subject_name(KAVRO_SUBJECT_TOPIC_RECORD, "orders",
                                      false, order, buf, sizeof(buf), &error),
                   KAVRO_OK);
  ck_assert_str_eq(buf, "orders-com.acme.Order");
  /* A record strategy needs a named type; a topic strategy a topic. */
  ck_assert_int_eq(kavro_subject_name(KAVRO_SUBJECT_RECORD, "orders", true,
                                      str, buf, sizeof(buf), &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(error.text, "named schema"));
  ck_assert_int_eq(kavro_subject_name(KAVRO_SUBJECT_TOPIC, NULL, true, str,
                                      buf, sizeof(buf), &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_subject_name(KAVRO_SUBJECT_TOPIC, "orders", false,
                                      order, buf, 8, &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_str_eq(buf, "");
  kavro_subject_strategy_t s;
  ck_assert_int_eq(kavro_subject_strategy_parse(
                       "io.confluent.kafka.serializers.subject."
                       "TopicRecordNameStrategy",
                       &s),
                   KAVRO_OK);
  ck_assert_int_eq(s, KAVRO_SUBJECT_TOPIC_RECORD);
  ck_assert_int_eq(kavro_subject_strategy_parse("recordnamestrategy", &s),
                   KAVRO_OK);
  ck_assert_int_eq(s, KAVRO_SUBJECT_RECORD);
  ck_assert_int_eq(kavro_subject_strategy_parse("Nope", &s),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_str_eq(kavro_subject_strategy_name(KAVRO_SUBJECT_TOPIC),
                   "TopicNameStrategy");
  kavro_schema_destroy(order);
  kavro_schema_destroy(str);
}
END_TEST

/* Each configured strategy registers under the subject it names, for keys
 * and values, in the process and over HTTP. */
START_TEST(strategy_registers) {
  static const struct {
    const char *key, *value, *subject;
  } cases[] = {
      {"subject.name.strategy", "TopicNameStrategy", "orders-value"},
      {"subject.name.strategy", "RecordNameStrategy", "com.acme.Order"},
      {"subject.name.strategy", "TopicRecordNameStrategy",
       "orders-com.acme.Order"},
      {"value.subject.name.strategy", "RecordNameStrategy", "com.acme.Order"},
      {"key.subject.name.strategy", "RecordNameStrategy", "orders-value"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    kavro_registry_t *reg =
        kt_client(kt_mock_url(_i), cases[i].key, cases[i].value, NULL);
    kavro_serializer_t *ser = serializer(reg);
    kavro_buf_t *out = kavro_buf_new(0, 0);
    kavro_error_t error;
    ck_assert_msg(serialize_text(ser, v1_text, v1_datum, out, &error) ==
                      KAVRO_OK,
                  "case %zu: %s", i, error.text);
    ck_assert_int_eq(frame_id(out), latest_id(reg, cases[i].subject));
    ck_assert_str_eq(kavro_serializer_last_subject(ser), cases[i].subject);
    kavro_buf_destroy(out);
    kavro_serializer_destroy(ser);
    kavro_registry_destroy(reg);
  }
}
END_TEST

static kavro_err_t subject_from_opaque(void *opaque, const char *topic,
                                       bool is_key,
                                       const kavro_schema_t *schema,
                                       char *subject, size_t size,
                                       kavro_error_t *error) {
  (void)schema;
  (void)error;
  snprintf(subject, size, "%s.%s.%s", (const char *)opaque, topic,
           is_key ? "k" : "v");
  return KAVRO_OK;
}

static kavro_err_t subject_refused(void *opaque, const char *topic,
                                   bool is_key, const kavro_schema_t *schema,
                                   char *subject, size_t size,
                                   kavro_error_t *error) {
  (void)opaque, (void)topic, (void)is_key, (void)schema, (void)subject,
      (void)size, (void)error;
  return KAVRO_ERR_NOT_FOUND;
}

START_TEST(strategy_callback) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_serializer_set_subject_name_cb(ser, false, subject_from_opaque,
                                       (void *)"team");
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(frame_id(out), latest_id(reg, "team.orders.v"));
  /* Keys keep the configured strategy. */
  kavro_schema_t *key = kt_parse(key_text);
  kt_value_t v;
  kt_value_from_json(&v, key, "\"k1\"");
  ck_assert_int_eq(kavro_serializer_serialize(ser, "orders", true, key,
                                              &v.value, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(frame_id(out), latest_id(reg, "orders-key"));
  /* A failing callback fails the call, with a message. */
  kavro_serializer_set_subject_name_cb(ser, true, subject_refused, NULL);
  ck_assert_int_eq(kavro_serializer_serialize(ser, "other", true, key,
                                              &v.value, out, &error),
                   KAVRO_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(error.text, "callback"));
  ck_assert_uint_eq(kavro_buf_length(out), 0);
  kt_value_free(&v);
  kavro_schema_destroy(key);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- registration settings ---------------------------------------------------- */

START_TEST(auto_register_off) {
  kavro_registry_t *reg =
      kt_client(kt_mock_url(_i), "auto.register.schemas", "false", NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  kavro_err_t err = serialize_text(ser, v1_text, v1_datum, out, &error);
  ck_assert_msg(err == KAVRO_ERR_SUBJECT_NOT_FOUND ||
                    err == KAVRO_ERR_SCHEMA_NOT_FOUND,
                "%s", error.text);
  ck_assert_uint_eq(kavro_buf_length(out), 0);
  ck_assert_uint_eq(
      kavro_mock_request_count(kt_mock, "POST /subjects/{subject}/versions"),
      0);
  /* Once registered by someone else, it is found. */
  int id = register_text(reg, "orders-value", v1_text);
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(frame_id(out), id);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(auto_register_on) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  int id1 = frame_id(out);
  ck_assert_int_eq(id1, latest_id(reg, "orders-value"));
  ck_assert_int_eq(serialize_text(ser, v2_text, v2_datum, out, &error),
                   KAVRO_OK);
  ck_assert_int_ne(frame_id(out), id1);
  ck_assert_uint_eq(version_count(reg, "orders-value"), 2);
  /* The body after the prefix is the value's encoding. */
  kavro_schema_t *v2 = kt_parse(v2_text);
  kt_value_t v;
  kt_value_from_json(&v, v2, "{\"id\": 0, \"note\": \"\"}");
  ck_assert_int_eq(kavro_decode(NULL, v2, kavro_buf_data(out) + 5,
                                kavro_buf_length(out) - 5, &v.value, NULL,
                                &error),
                   KAVRO_OK);
  char *json = kavro_value_to_json(v2, &v.value, KAVRO_DATUM_JSON_AVRO, NULL);
  ck_assert_str_eq(json, "{\"id\": 7, \"note\": \"hello\", \"qty\": 3}");
  free(json);
  kt_value_free(&v);
  kavro_schema_destroy(v2);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* A schema with defects only a lenient parse accepts (a registry may
 * hold such schemas) is refused for producing, before any request. */
START_TEST(lenient_schema_refused) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.lenient = true;
  for (size_t i = 0; i < kt_legacy_count; i++) {
    const kt_legacy_t *legacy = &kt_legacy[i];
    kavro_schema_t *schema = NULL;
    kavro_error_t error;
    ck_assert_msg(kavro_schema_parse(legacy->text, strlen(legacy->text),
                                     &options, &schema, &error) == KAVRO_OK,
                  "%s: %s", legacy->name, error.text);
    ck_assert_uint_gt(kavro_schema_relaxed_count(schema), 0);
    kt_value_t value;
    kt_value_from_json(&value, schema, legacy->json);
    ck_assert_int_eq(kavro_serializer_serialize(ser, "legacy", false, schema,
                                                &value.value, out, &error),
                     KAVRO_ERR_SCHEMA_INVALID);
    ck_assert_msg(strstr(error.text, legacy->says) &&
                      strstr(error.text, "no producer may write with"),
                  "%s: %s", legacy->name, error.text);
    kt_value_free(&value);
    kavro_schema_destroy(schema);
  }
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, "POST /subjects/{subject}/versions"), 0);
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, "POST /subjects/{subject}"), 0);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(use_latest_version) {
  kavro_registry_t *reg =
      kt_client(kt_mock_url(_i), "use.latest.version", "true",
                "auto.register.schemas", "false", NULL);
  register_text(reg, "orders-value", v1_text);
  int id2 = register_text(reg, "orders-value", v2_text);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v2_text, v2_datum, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(frame_id(out), id2);
  /* v1 data cannot be framed with v2's id; the latest can read v1, so
   * this is not a compatibility refusal but a mismatch. */
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_ERR_ENCODE);
  ck_assert_ptr_nonnull(strstr(error.text, "latest version"));
  /* A schema the latest cannot read is refused with the list. */
  ck_assert_int_eq(serialize_text(ser, note_int_text,
                                  "{\"id\": 1, \"note\": 2}", out, &error),
                   KAVRO_ERR_INCOMPATIBLE);
  ck_assert_ptr_nonnull(kavro_serializer_last_incompatibility(ser));
  ck_assert_uint_eq(version_count(reg, "orders-value"), 2);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(use_schema_id) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  int id1 = register_text(reg, "elsewhere", v1_text);
  kavro_registry_destroy(reg);
  char text[16];
  snprintf(text, sizeof(text), "%d", id1);
  reg = kt_client(kt_mock_url(0), "use.schema.id", text, NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(frame_id(out), id1);
  ck_assert_int_eq(
      kavro_mock_request_count(kt_mock, "POST /subjects/{subject}/versions"),
      1);
  ck_assert_int_eq(serialize_text(ser, v2_text, v2_datum, out, &error),
                   KAVRO_ERR_ENCODE);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- the gate ------------------------------------------------------------- */

static void set_level(kavro_registry_t *reg, const char *subject,
                      const char *level) {
  kavro_error_t error;
  ck_assert_msg(kavro_registry_set_level(reg, subject, level, &error) ==
                    KAVRO_OK,
                "set_level: %s", error.text);
}

/* Expect @text to be refused under @level after v1, with @kind first and
 * nothing registered; and @ok_text to pass. */
static void expect_refusal(const char *level, const char *text,
                           const char *json, kavro_incompat_kind_t kind,
                           const char *ok_text, const char *ok_json) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  set_level(reg, "orders-value", level);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  uint64_t registrations =
      kavro_mock_request_count(kt_mock, "POST /subjects/{subject}/versions");
  ck_assert_int_eq(serialize_text(ser, text, json, out, &error),
                   KAVRO_ERR_INCOMPATIBLE);
  ck_assert_uint_eq(kavro_buf_length(out), 0);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  ck_assert_msg(strstr(error.text, "orders-value") &&
                    strstr(error.text, kavro_incompat_kind_name(kind)),
                "%s: %s", level, error.text);
  const kavro_compat_result_t *result =
      kavro_serializer_last_incompatibility(ser);
  ck_assert_ptr_nonnull(result);
  ck_assert_uint_ge(kavro_compat_result_count(result), 1);
  ck_assert_int_eq(kavro_compat_result_get(result, 0)->kind, kind);
  ck_assert_uint_eq(
      kavro_mock_request_count(kt_mock, "POST /subjects/{subject}/versions"),
      registrations);
  ck_assert_uint_eq(version_count(reg, "orders-value"), 1);
  /* The verdict is kept: asking again makes no request. */
  uint64_t requests = kavro_mock_request_count(kt_mock, NULL);
  ck_assert_int_eq(serialize_text(ser, text, json, out, &error),
                   KAVRO_ERR_INCOMPATIBLE);
  ck_assert_ptr_nonnull(kavro_serializer_last_incompatibility(ser));
  ck_assert_uint_le(kavro_mock_request_count(kt_mock, NULL), requests + 1);
  if (ok_text) {
    ck_assert_msg(serialize_text(ser, ok_text, ok_json, out, &error) ==
                      KAVRO_OK,
                  "%s: %s", level, error.text);
    ck_assert_ptr_null(kavro_serializer_last_incompatibility(ser));
    ck_assert_uint_eq(version_count(reg, "orders-value"), 2);
  }
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}

START_TEST(gate_backward) {
  expect_refusal("BACKWARD", no_backward_text,
                 "{\"id\": 1, \"note\": \"x\", \"qty\": 2}",
                 KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE,
                 no_forward_text, "{\"id\": 1}");
}
END_TEST

START_TEST(gate_forward) {
  expect_refusal("FORWARD", no_forward_text, "{\"id\": 1}",
                 KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE,
                 no_backward_text, "{\"id\": 1, \"note\": \"x\", \"qty\": 2}");
}
END_TEST

START_TEST(gate_full) {
  expect_refusal("FULL", no_backward_text,
                 "{\"id\": 1, \"note\": \"x\", \"qty\": 2}",
                 KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE, v2_text,
                 v2_datum);
  kt_mock_stop();
  mock_setup();
  expect_refusal("FULL", no_forward_text, "{\"id\": 1}",
                 KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE, NULL, NULL);
}
END_TEST

/* v1 {id, note:string}, v2 {id}, candidate {id, note:int = 0}: compatible
 * with v2 (BACKWARD passes), not with v1 (BACKWARD_TRANSITIVE refuses). */
static void transitive_case(const char *level, kavro_err_t expected) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  set_level(reg, "orders-value", level);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  ck_assert_msg(serialize_text(ser, no_forward_text, "{\"id\": 1}", out,
                               &error) == KAVRO_OK,
                "%s: %s", level, error.text);
  ck_assert_msg(serialize_text(ser, note_int_text, "{\"id\": 1, \"note\": 2}",
                               out, &error) == expected,
                "%s: %s", level, error.text);
  if (expected == KAVRO_ERR_INCOMPATIBLE) {
    const kavro_compat_result_t *r = kavro_serializer_last_incompatibility(ser);
    ck_assert_ptr_nonnull(r);
    const kavro_incompat_t *first = kavro_compat_result_get(r, 0);
    ck_assert_int_eq(first->kind, KAVRO_INCOMPAT_TYPE_MISMATCH);
    ck_assert_uint_eq(first->previous_index, 0); /* v1, the oldest */
    ck_assert_uint_eq(version_count(reg, "orders-value"), 2);
  }
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}

START_TEST(gate_transitive) {
  transitive_case("BACKWARD_TRANSITIVE", KAVRO_ERR_INCOMPATIBLE);
  kt_mock_stop();
  mock_setup();
  /* The same chain under the plain level: only v2 counts. */
  transitive_case("BACKWARD", KAVRO_OK);
}
END_TEST

/* The registry says nothing about the level: BACKWARD. */
START_TEST(gate_default_backward) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  kavro_mock_fault_t fault = {KAVRO_MOCK_FAULT_ERROR, "GET", "/config", 404,
                              40401, -1};
  ck_assert_int_eq(kavro_mock_push_fault(kt_mock, &fault, 10, NULL), KAVRO_OK);
  ck_assert_int_eq(serialize_text(ser, no_backward_text,
                                  "{\"id\": 1, \"note\": \"x\", \"qty\": 2}",
                                  out, &error),
                   KAVRO_ERR_INCOMPATIBLE);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* While the registry is down: warm schemas still serialize, an
 * incompatible schema is still refused as such (from what was fetched
 * before), and a compatible new one fails as transient. */
START_TEST(gate_while_down) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  set_level(reg, "orders-value", _i ? "BACKWARD_TRANSITIVE" : "FULL");
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  /* Learn the subject's state through a refusal, then go down. */
  ck_assert_int_eq(serialize_text(ser, no_backward_text,
                                  "{\"id\": 1, \"note\": \"x\", \"qty\": 2}",
                                  out, &error),
                   KAVRO_ERR_INCOMPATIBLE);
  kavro_schema_t *v1 = kt_parse(v1_text);
  kt_value_t v;
  kt_value_from_json(&v, v1, v1_datum);
  ck_assert_int_eq(kavro_serializer_prepare(ser, "orders", false, v1, NULL,
                                            &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_mock_set_down(kt_mock, true, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_serializer_serialize(ser, "orders", false, v1,
                                              &v.value, out, &error),
                   KAVRO_OK);
  ck_assert_uint_gt(kavro_buf_length(out), 5);
  kavro_registry_clear_caches(reg);
  ck_assert_int_eq(serialize_text(ser, note_int_text,
                                  "{\"id\": 1, \"note\": 2}", out, &error),
                   KAVRO_ERR_INCOMPATIBLE);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  kavro_err_t err = serialize_text(ser, v2_text, v2_datum, out, &error);
  ck_assert_msg(err == KAVRO_ERR_TRANSPORT || err == KAVRO_ERR_TIMED_OUT,
                "%s", error.text);
  ck_assert(kavro_error_is_retriable(&error));
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_TRANSIENT);
  ck_assert_int_eq(kavro_mock_set_down(kt_mock, false, NULL), KAVRO_OK);
  ck_assert_int_eq(serialize_text(ser, v2_text, v2_datum, out, &error),
                   KAVRO_OK);
  kt_value_free(&v);
  kavro_schema_destroy(v1);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* A new serializer on a client whose caches hold the level and the latest
 * version judges while the registry is down.  With TopicNameStrategy: the
 * default, AssociatedNameStrategy, must reach the registry once to learn
 * the topic's association. */
START_TEST(gate_down_from_client_cache) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), "subject.name.strategy",
                                    "TopicNameStrategy", NULL);
  register_text(reg, "orders-value", v1_text);
  kavro_schema_t *latest = NULL;
  char level[KAVRO_REGISTRY_NAME_SIZE];
  kavro_registry_clear_caches(reg);
  ck_assert_int_eq(kavro_registry_get_version(reg, "orders-value",
                                              KAVRO_REGISTRY_LATEST, &latest,
                                              NULL, NULL, NULL),
                   KAVRO_OK);
  kavro_schema_destroy(latest);
  ck_assert_int_eq(kavro_registry_get_level(reg, "orders-value", true, level,
                                            NULL),
                   KAVRO_OK);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_set_down(kt_mock, true, NULL), KAVRO_OK);
  ck_assert_int_eq(serialize_text(ser, no_backward_text,
                                  "{\"id\": 1, \"note\": \"x\", \"qty\": 2}",
                                  out, &error),
                   KAVRO_ERR_INCOMPATIBLE);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- the warm path -------------------------------------------------------- */

#define WARM_ROUNDS 100000

START_TEST(warm_no_requests) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_schema_t *v1 = kt_parse(v1_text);
  kavro_schema_t *key = kt_parse(key_text);
  kt_value_t v, k;
  kt_value_from_json(&v, v1, v1_datum);
  kt_value_from_json(&k, key, "\"order-7\"");
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(kavro_serializer_serialize(ser, "orders", false, v1,
                                              &v.value, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_serializer_serialize(ser, "orders", true, key,
                                              &k.value, out, &error),
                   KAVRO_OK);
  uint64_t served = kavro_mock_request_count(kt_mock, NULL);
  kavro_registry_stats_t before, after;
  kavro_registry_stats(reg, &before);
  for (int i = 0; i < WARM_ROUNDS; i++) {
    ck_assert(kavro_serializer_serialize(ser, "orders", false, v1, &v.value,
                                         out, NULL) == KAVRO_OK);
    ck_assert(kavro_serializer_serialize(ser, "orders", true, key, &k.value,
                                         out, NULL) == KAVRO_OK);
  }
  kavro_registry_stats(reg, &after);
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, NULL), served);
  ck_assert_uint_eq(after.cache_hits + after.cache_misses,
                    before.cache_hits + before.cache_misses);
  kt_value_free(&v);
  kt_value_free(&k);
  kavro_schema_destroy(v1);
  kavro_schema_destroy(key);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* The warm path tries the previous message's entry first: a message of
 * another kind (topic, side or schema) never gets it, in whatever order
 * the kinds come, and the topic is read from the caller's text, never
 * recognised by its address (one buffer names every topic here). */
START_TEST(warm_entries_by_kind) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_schema_t *v1 = kt_parse(v1_text), *v2 = kt_parse(v2_text),
                 *key = kt_parse(key_text);
  kt_value_t v1_value, v2_value, key_value;
  kt_value_from_json(&v1_value, v1, v1_datum);
  kt_value_from_json(&v2_value, v2, v2_datum);
  kt_value_from_json(&key_value, key, "\"order-7\"");
  struct {
    const char *topic;
    bool is_key;
    kavro_schema_t *schema;
    kt_value_t *value;
    const char *subject;
    int id; /* learnt on the first pass */
  } kinds[] = {
      {"orders", false, v1, &v1_value, "orders-value", 0},
      {"orders", true, key, &key_value, "orders-key", 0},
      {"audit", false, v1, &v1_value, "audit-value", 0},
      {"orders", false, v2, &v2_value, "orders-value", 0},
  };
  enum { KINDS = sizeof(kinds) / sizeof(kinds[0]) };
  kavro_buf_t *out = kavro_buf_new(0, 0);
  char topic[16];
  kavro_error_t error;
  for (int n = 0; n < KINDS + 2 * KINDS * KINDS; n++) {
    /* each kind once, then every kind after every other */
    int step = n - KINDS;
    int i = n < KINDS ? n
            : step % 2 ? (step / 2) % KINDS
                       : (step / 2) / KINDS;
    strcpy(topic, kinds[i].topic);
    ck_assert_msg(kavro_serializer_serialize(ser, topic, kinds[i].is_key,
                                             kinds[i].schema,
                                             &kinds[i].value->value, out,
                                             &error) == KAVRO_OK,
                  "%s", error.text);
    ck_assert_str_eq(kavro_serializer_last_subject(ser), kinds[i].subject);
    if (n < KINDS)
      kinds[i].id = frame_id(out);
    ck_assert_int_eq(frame_id(out), kinds[i].id);
  }
  /* Each kind has its own id: a crossed entry would have shown. */
  ck_assert_int_ne(kinds[0].id, kinds[1].id);
  ck_assert_int_ne(kinds[0].id, kinds[3].id);
  ck_assert_int_eq(kinds[0].id, kinds[2].id); /* one schema, one id */
  kt_value_free(&v1_value);
  kt_value_free(&v2_value);
  kt_value_free(&key_value);
  kavro_schema_destroy(v1);
  kavro_schema_destroy(v2);
  kavro_schema_destroy(key);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(warm_no_allocations) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_schema_t *v2 = kt_parse(v2_text);
  kt_value_t v;
  kt_value_from_json(&v, v2, v2_datum);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  unsigned char frame[256];
  size_t written;
  kavro_error_t error;
  ck_assert_int_eq(kavro_serializer_serialize(ser, "orders", false, v2,
                                              &v.value, out, &error),
                   KAVRO_OK);
  unsigned long before = atomic_load(&allocations);
  for (int i = 0; i < 1000; i++) {
    kavro_serializer_serialize(ser, "orders", false, v2, &v.value, out, NULL);
    kavro_serializer_serialize_to(ser, "orders", false, v2, &v.value, frame,
                                  sizeof(frame), &written, NULL);
  }
  unsigned long used = atomic_load(&allocations) - before;
  ck_assert_uint_eq(used, 0);
  ck_assert_uint_eq(written, kavro_buf_length(out));
  ck_assert_mem_eq(frame, kavro_buf_data(out), written);
  /* The counter does count: a cold call allocates. */
  before = atomic_load(&allocations);
  ck_assert_int_eq(kavro_serializer_serialize(ser, "other", false, v2,
                                              &v.value, out, &error),
                   KAVRO_OK);
  ck_assert_uint_gt(atomic_load(&allocations) - before, 0);
  kt_value_free(&v);
  kavro_schema_destroy(v2);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* One serializer per thread on a shared client: every thread frames with
 * the one id, and the subject gets one version. */
#define THREADS 4

typedef struct worker_s {
  kavro_registry_t *reg;
  kavro_schema_t *schema;
  int id;
  int failures;
  char first_failure[600];
} worker_t;

static void *worker_run(void *arg) {
  worker_t *w = arg;
  kavro_serializer_t *ser = kavro_serializer_new(w->reg, NULL, NULL);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kt_value_t v;
  kt_value_from_json(&v, w->schema, v1_datum);
  for (int i = 0; i < 10000; i++) {
    kavro_error_t error;
    if (kavro_serializer_serialize(ser, "orders", false, w->schema, &v.value,
                                   out, &error) != KAVRO_OK) {
      if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof(w->first_failure), "call %d: %s: %s",
                 i, kavro_err2name(error.code), error.text);
      continue;
    }
    kavro_wire_frame_t frame;
    if (kavro_wire_unframe(kavro_buf_data(out), kavro_buf_length(out), &frame,
                           NULL) != KAVRO_OK ||
        (w->id && (int)frame.id.id != w->id))
      w->failures++;
    w->id = (int)frame.id.id;
  }
  kt_value_free(&v);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  return NULL;
}

START_TEST(threads_share_a_client) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_schema_t *v1 = kt_parse(v1_text);
  worker_t workers[THREADS];
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    workers[i] = (worker_t){reg, v1, 0, 0, ""};
    ck_assert_int_eq(pthread_create(&threads[i], NULL, worker_run,
                                    &workers[i]),
                     0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    ck_assert_msg(workers[i].failures == 0, "worker %d: %d failures, first: %s", i,
                  workers[i].failures, workers[i].first_failure);
    ck_assert_int_eq(workers[i].id, workers[0].id);
  }
  ck_assert_int_eq(workers[0].id, latest_id(reg, "orders-value"));
  ck_assert_uint_eq(version_count(reg, "orders-value"), 1);
  kavro_schema_destroy(v1);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(serialize_to_limits) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_schema_t *v1 = kt_parse(v1_text);
  kt_value_t v;
  kt_value_from_json(&v, v1, v1_datum);
  unsigned char frame[64];
  size_t written = 99;
  kavro_error_t error;
  ck_assert_int_eq(kavro_serializer_serialize_to(ser, "orders", false, v1,
                                                 &v.value, frame, 8, &written,
                                                 &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_uint_eq(written, 0);
  ck_assert_ptr_nonnull(strstr(error.text, "does not fit"));
  ck_assert_int_eq(kavro_serializer_serialize_to(ser, "orders", false, v1,
                                                 &v.value, frame,
                                                 sizeof(frame), &written,
                                                 &error),
                   KAVRO_OK);
  ck_assert_uint_eq(written, 5 + 1 + 1 + 5); /* prefix, 7, "hello" */
  /* A value of another schema is refused, with the encoder's reason. */
  kavro_schema_t *key = kt_parse(key_text);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  ck_assert_int_eq(kavro_serializer_serialize(ser, "strings", false, key,
                                              &v.value, out, &error),
                   KAVRO_ERR_ENCODE);
  ck_assert_uint_eq(kavro_buf_length(out), 0);
  ck_assert_str_ne(error.text, "");
  kavro_buf_destroy(out);
  kavro_schema_destroy(key);
  kt_value_free(&v);
  kavro_schema_destroy(v1);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(tombstone) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  ck_assert_uint_gt(kavro_buf_length(out), 0);
  uint64_t served = kavro_mock_request_count(kt_mock, NULL);
  ck_assert_int_eq(kavro_serializer_serialize(ser, "tombstones", false, NULL,
                                              NULL, out, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(kavro_buf_length(out), 0);
  unsigned char frame[16];
  size_t written = 99;
  ck_assert_int_eq(kavro_serializer_serialize_to(ser, "tombstones", true, NULL,
                                                 NULL, frame, sizeof(frame),
                                                 &written, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(written, 0);
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, NULL), served);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(error_classes) {
  kavro_error_t e = {0};
  ck_assert_int_eq(kavro_error_classify(NULL), KAVRO_ERROR_CLASS_NONE);
  ck_assert_int_eq(kavro_error_classify(&e), KAVRO_ERROR_CLASS_NONE);
  /* Every code, as it reaches a caller.  A registry's error_code travels
   * with its HTTP status; only a definite answer about the message may
   * make it permanent, and any failure to get an answer is transient. */
  enum { T = KAVRO_ERROR_CLASS_TRANSIENT,
         P = KAVRO_ERROR_CLASS_PERMANENT, L = KAVRO_ERROR_CLASS_LOCAL };
  static const struct {
    kavro_err_t code;
    int status;
    int registry_code;
    int cls;
  } cases[] = {
      /* No usable answer from the registry, whatever its shape. */
      {KAVRO_ERR_TRANSPORT, 0, 0, T},
      {KAVRO_ERR_TIMED_OUT, 0, 0, T},
      {KAVRO_ERR_BAD_RESPONSE, 200, 0, T},  /* not JSON, wrong shape */
      {KAVRO_ERR_BAD_RESPONSE, 0, 0, T},    /* over response.max.bytes */
      {KAVRO_ERR_HTTP, 302, 0, T},          /* a redirect */
      {KAVRO_ERR_HTTP, 404, 0, T},          /* a proxy's page */
      {KAVRO_ERR_HTTP, 400, 0, T},
      {KAVRO_ERR_HTTP, 503, 0, T},
      {(kavro_err_t)404, 404, 404, T},      /* status echoed as code */
      {(kavro_err_t)40499, 404, 40499, T},  /* a code no registry defines */
      {KAVRO_ERR_REGISTRY_STORE, 500, 50001, T},
      {KAVRO_ERR_REGISTRY_TIMEOUT, 500, 50002, T},
      {KAVRO_ERR_REGISTRY_FORWARD, 500, 50003, T},
      {KAVRO_ERR_RATE_LIMITED, 429, 42901, T},
      {KAVRO_ERR_SCHEMA_NOT_FOUND, 500, 40403, T}, /* not a definite 404 */
      {KAVRO_ERR_DEK_GENERATION, 500, 50070, T}, /* the registry's KMS */
      /* Definite answers and bad input. */
      {KAVRO_ERR_SCHEMA_NOT_FOUND, 404, 40403, P},
      {KAVRO_ERR_SCHEMA_NOT_FOUND, 0, 0, P}, /* id 0: not a registry id */
      {KAVRO_ERR_SUBJECT_NOT_FOUND, 404, 40401, P},
      {KAVRO_ERR_VERSION_NOT_FOUND, 404, 40402, P},
      {KAVRO_ERR_SUBJECT_SOFT_DELETED, 404, 40404, P},
      {KAVRO_ERR_SUBJECT_NOT_SOFT_DELETED, 404, 40405, P},
      {KAVRO_ERR_SCHEMA_VERSION_SOFT_DELETED, 404, 40406, P},
      {KAVRO_ERR_VERSION_NOT_SOFT_DELETED, 404, 40407, P},
      {KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND, 404, 40408, P},
      {KAVRO_ERR_SUBJECT_MODE_NOT_FOUND, 404, 40409, P},
      {KAVRO_ERR_REGISTRY_INCOMPATIBLE, 409, 409, P},
      {KAVRO_ERR_REGISTRY_INCOMPATIBLE_SCHEMA, 409, 40901, P},
      {KAVRO_ERR_INVALID_SCHEMA, 422, 42201, P},
      {KAVRO_ERR_INVALID_VERSION, 422, 42202, P},
      {KAVRO_ERR_INVALID_COMPATIBILITY_LEVEL, 422, 42203, P},
      {KAVRO_ERR_INVALID_MODE, 422, 42204, P},
      /* The DEK registry's (KAVRO_ERR_DEK_NOT_FOUND is the same code). */
      {KAVRO_ERR_KEK_NOT_FOUND, 404, 40470, P},
      {KAVRO_ERR_KEY_NOT_SOFT_DELETED, 404, 40471, P},
      {KAVRO_ERR_KEY_SOFT_DELETED, 404, 40472, P},
      {KAVRO_ERR_KEY_EXISTS, 409, 40971, P},
      {KAVRO_ERR_TOO_MANY_KEYS, 409, 40972, P},
      {KAVRO_ERR_INVALID_KEY, 422, 42271, P},
      {KAVRO_ERR_KEY_REFERENCE_EXISTS, 422, 42272, P},
      {KAVRO_ERR_JSON, 0, 0, P},
      {KAVRO_ERR_SCHEMA_INVALID, 0, 0, P},
      {KAVRO_ERR_LIMIT, 0, 0, P},
      {KAVRO_ERR_WIRE_SHORT, 0, 0, P},
      {KAVRO_ERR_WIRE_MAGIC, 0, 0, P},
      {KAVRO_ERR_INCOMPATIBLE, 0, 0, P},
      {KAVRO_ERR_ENCODE, 0, 0, P},
      {KAVRO_ERR_DECODE, 0, 0, P},
      {KAVRO_ERR_NOT_FOUND, 0, 0, P},
      {KAVRO_ERR_RULE, 0, 0, P}, /* a business rule: to the DLQ at once */
      /* This process's to fix. */
      {KAVRO_ERR_NOMEM, 0, 0, L},
      {KAVRO_ERR_INVALID_ARG, 0, 0, L},
      {KAVRO_ERR_IO, 0, 0, L},
      {KAVRO_ERR_CONF_UNKNOWN, 0, 0, L},
      {KAVRO_ERR_CONF_INVALID, 0, 0, L},
      {KAVRO_ERR_AVRO_C, 0, 0, L},
      {KAVRO_ERR_UNSUPPORTED, 0, 0, L}, /* a GUID id, for now */
      {KAVRO_ERR_HTTP, 401, 0, L},
      {KAVRO_ERR_HTTP, 403, 0, L},
      {KAVRO_ERR_UNAUTHORIZED, 401, 40101, L},
      {KAVRO_ERR_FORBIDDEN, 403, 40301, L},
      {KAVRO_ERR_DEK_GENERATION_FORBIDDEN, 403, 40370, L}, /* KMS refused */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    e.code = cases[i].code;
    e.http_status = cases[i].status;
    e.registry_code = cases[i].registry_code;
    ck_assert_msg((int)kavro_error_classify(&e) == cases[i].cls,
                  "case %zu: %s (%d) is %s", i, kavro_err2name(e.code),
                  e.http_status,
                  kavro_error_class_name(kavro_error_classify(&e)));
    ck_assert_int_eq(kavro_error_is_retriable(&e), cases[i].cls == T);
  }
  /* The table leaves no code out: a new code must be given its class. */
  for (int code = -100; code < 60000; code++) {
    if (code == KAVRO_OK || !strcmp(kavro_err2name((kavro_err_t)code),
                                    "UNKNOWN"))
      continue;
    size_t i = 0;
    while (i < sizeof(cases) / sizeof(cases[0]) && (int)cases[i].code != code)
      i++;
    ck_assert_msg(i < sizeof(cases) / sizeof(cases[0]), "%s has no class case",
                  kavro_err2name((kavro_err_t)code));
  }
  ck_assert_str_eq(kavro_error_class_name(KAVRO_ERROR_CLASS_TRANSIENT),
                   "transient");
}
END_TEST

START_TEST(bad_arguments) {
  kavro_error_t error;
  ck_assert_ptr_null(kavro_serializer_new(NULL, NULL, &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_INVALID_ARG);
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "value.subject.name.strategy",
                                  "NoSuchStrategy", NULL),
                   KAVRO_ERR_CONF_INVALID);
  kavro_conf_destroy(conf);
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_schema_t *v1 = kt_parse(v1_text);
  ck_assert_int_eq(kavro_serializer_prepare(ser, "orders", false, NULL, NULL,
                                            &error),
                   KAVRO_ERR_INVALID_ARG);
  int id = 0;
  ck_assert_int_eq(kavro_serializer_prepare(ser, "orders", false, v1, &id,
                                            &error),
                   KAVRO_OK);
  ck_assert_int_eq(id, latest_id(reg, "orders-value"));
  ck_assert_int_eq(kavro_serializer_prepare(ser, NULL, false, v1, &id, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(error.text, "topic"));
  kavro_schema_destroy(v1);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
  kavro_serializer_destroy(NULL);
}
END_TEST

/* ---- where the schema id goes: prefix or header -------------------------- */

/* The evolution fixture's Visit as a generic value and as a typed record,
 * on one serializer: the framing cases run over both (_i: 0 generic, 1
 * typed) and must not tell them apart. */
typedef struct visit_s {
  kavro_registry_t *reg;
  kavro_serializer_t *ser;
  kavro_typed_serializer_t *ts;
  kavro_schema_t *schema;
  kt_value_t value;
  evo1_visit_t record;
} visit_t;

static const char visit_json[] =
    "{\"id\": \"V-1\", \"minutes\": 7, \"outcome\": \"NO\", "
    "\"note\": {\"string\": \"late\"}, \"legacy\": \"x\"}";

/* A visit stack on a client of the mock with the settings @... (key,
 * value, ..., NULL). */
static void visit_open(visit_t *v, ...) {
  const char *settings[40];
  va_list ap;
  va_start(ap, v);
  kt_settings_collect(settings, 40, NULL, ap);
  va_end(ap);
  v->reg = kt_client_settings(kt_mock_url(0), settings);
  v->ser = serializer(v->reg);
  kavro_error_t error;
  v->ts = kavro_typed_serializer_new(v->ser, &error);
  ck_assert_ptr_nonnull(v->ts);
  v->schema = kt_parse(evo1_visit_type.schema_text);
  kt_value_from_json(&v->value, v->schema, visit_json);
  evo1_visit_init(&v->record);
  v->record.id = kavro_str("V-1");
  v->record.minutes = 7;
  v->record.outcome = EVO1_OUTCOME_NO;
  v->record.note = kavro_str("late");
  v->record.has_note = true;
  v->record.legacy = kavro_str("x");
}

static void visit_close(visit_t *v) {
  kt_value_free(&v->value);
  kavro_schema_destroy(v->schema);
  kavro_typed_serializer_destroy(v->ts);
  kavro_serializer_destroy(v->ser);
  kavro_registry_destroy(v->reg);
}

/* Serialize the visit for topic "visits", generic or @typed, as a key or
 * a value; a NULL @framing makes the prefix-only call. */
static kavro_err_t visit_serialize(visit_t *v, bool typed, bool is_key,
                                   kavro_buf_t *out,
                                   kavro_serializer_framing_t *framing,
                                   kavro_error_t *error) {
  if (typed)
    return framing ? kavro_typed_serialize_message(v->ts, "visits", is_key,
                                                   &evo1_visit_type,
                                                   &v->record, out, framing,
                                                   error)
                   : kavro_typed_serialize(v->ts, "visits", is_key,
                                           &evo1_visit_type, &v->record, out,
                                           error);
  return framing ? kavro_serializer_serialize_message(
                       v->ser, "visits", is_key, v->schema, &v->value.value,
                       out, framing, error)
                 : kavro_serializer_serialize(v->ser, "visits", is_key,
                                              v->schema, &v->value.value, out,
                                              error);
}

/* The visit's bare Avro body. */
static kavro_buf_t *visit_body(const visit_t *v) {
  kavro_buf_t *body = kavro_buf_new(0, 0);
  ck_assert_int_eq(kavro_encode(v->schema, &v->value.value, body, NULL),
                   KAVRO_OK);
  return body;
}

/* The id @subject gives the visit's schema. */
static int visit_id(visit_t *v, const char *subject) {
  int id = 0;
  kavro_error_t error;
  ck_assert_msg(kavro_registry_lookup(v->reg, subject, v->schema, NULL, 0,
                                      false, &id, NULL, &error) == KAVRO_OK,
                "lookup %s: %s", subject, error.text);
  return id;
}

/* Expect @framing to put the GUID @guid in @side's header and @out to be
 * the bare @body. */
static void expect_header(const kavro_serializer_framing_t *framing,
                          bool is_key, const unsigned char *guid,
                          const kavro_buf_t *out, const kavro_buf_t *body) {
  ck_assert_int_eq(framing->format, KAVRO_WIRE_FORMAT_HEADER);
  ck_assert_str_eq(framing->header_name,
                   is_key ? "__key_schema_id" : "__value_schema_id");
  ck_assert_ptr_null(framing->prefix);
  ck_assert_uint_eq(framing->prefix_size, 0);
  ck_assert_uint_eq(framing->header_size, 17);
  ck_assert_uint_eq(framing->header_value[0], 0x01);
  ck_assert_mem_eq(framing->header_value + 1, guid, 16);
  ck_assert_int_eq(framing->id.kind, KAVRO_SCHEMA_ID_GUID);
  ck_assert_mem_eq(framing->id.guid, guid, 16);
  ck_assert_uint_eq(kavro_buf_length(out), kavro_buf_length(body));
  ck_assert_mem_eq(kavro_buf_data(out), kavro_buf_data(body),
                   kavro_buf_length(body));
}

START_TEST(id_in_header) {
  bool typed = _i;
  visit_t v;
  visit_open(&v, "value.schema.id.serializer", "header",
             "key.schema.id.serializer", "header", NULL);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_buf_t *body = visit_body(&v);
  kavro_serializer_framing_t framing;
  kavro_error_t error;
  unsigned char guid[16];
  for (int is_key = 0; is_key < 2; is_key++) {
    ck_assert_msg(visit_serialize(&v, typed, is_key, out, &framing, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
    kt_mock_guid(kt_mock, visit_id(&v, is_key ? "visits-key" : "visits-value"),
                 guid);
    expect_header(&framing, is_key, guid, out, body);
    /* A call that hands out no header refuses rather than lose the id. */
    ck_assert_int_eq(visit_serialize(&v, typed, is_key, out, NULL, &error),
                     KAVRO_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(error.text, framing.header_name));
    ck_assert_uint_eq(kavro_buf_length(out), 0);
  }
  unsigned char prefix[KAVRO_WIRE_PREFIX_SIZE];
  ck_assert_int_eq(kavro_serializer_prefix(v.ser, "visits", false, v.schema,
                                           prefix, &error),
                   KAVRO_ERR_INVALID_ARG);
  /* The consumer's side reads it back from the header. */
  kavro_deserializer_t *des = kavro_deserializer_new(v.reg, NULL, NULL, &error);
  kavro_deserialized_t msg;
  ck_assert_int_eq(visit_serialize(&v, typed, false, out, &framing, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_deserializer_deserialize(
                       des, "visits", false, framing.header_value,
                       framing.header_size, kavro_buf_data(out),
                       kavro_buf_length(out), &msg, &error),
                   KAVRO_OK);
  ck_assert_int_eq(msg.format, KAVRO_WIRE_FORMAT_HEADER);
  char *json = kavro_value_to_json(msg.schema, msg.value,
                                   KAVRO_DATUM_JSON_AVRO, NULL);
  ck_assert_str_eq(json, visit_json);
  free(json);
  kavro_deserializer_destroy(des);
  /* Warm: no request, no cache look-up, no allocation. */
  uint64_t served = kavro_mock_request_count(kt_mock, NULL);
  kavro_registry_stats_t before, after;
  kavro_registry_stats(v.reg, &before);
  unsigned long allocated = atomic_load(&allocations);
  int failures = 0; /* counted, not asserted: Check's asserts allocate */
  for (int i = 0; i < 1000; i++)
    for (int is_key = 0; is_key < 2; is_key++)
      failures += visit_serialize(&v, typed, is_key, out, &framing, NULL) !=
                  KAVRO_OK;
  ck_assert_uint_eq(atomic_load(&allocations), allocated);
  ck_assert_int_eq(failures, 0);
  kavro_registry_stats(v.reg, &after);
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, NULL), served);
  ck_assert_uint_eq(after.cache_hits + after.cache_misses,
                    before.cache_hits + before.cache_misses);
  expect_header(&framing, true, guid, out, body);
  kavro_buf_destroy(body);
  kavro_buf_destroy(out);
  visit_close(&v);
}
END_TEST

/* The default is unchanged: 0x00, the id, the body; no header. */
START_TEST(id_in_prefix_by_default) {
  bool typed = _i;
  visit_t v;
  visit_open(&v, NULL);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_buf_t *framed = kavro_buf_new(0, 0);
  kavro_buf_t *body = visit_body(&v);
  kavro_serializer_framing_t framing;
  kavro_error_t error;
  ck_assert_msg(visit_serialize(&v, typed, false, out, &framing, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  int id = visit_id(&v, "visits-value");
  ck_assert_int_eq(framing.format, KAVRO_WIRE_FORMAT_PREFIX);
  ck_assert_ptr_null(framing.header_name);
  ck_assert_ptr_null(framing.header_value);
  ck_assert_uint_eq(framing.header_size, 0);
  ck_assert_uint_eq(framing.prefix_size, KAVRO_WIRE_PREFIX_SIZE);
  ck_assert_int_eq(framing.id.kind, KAVRO_SCHEMA_ID_INT);
  ck_assert_int_eq(framing.id.id, id);
  ck_assert_int_eq(frame_id(out), id);
  ck_assert_uint_eq(kavro_buf_length(out),
                    KAVRO_WIRE_PREFIX_SIZE + kavro_buf_length(body));
  ck_assert_mem_eq(kavro_buf_data(out), framing.prefix, KAVRO_WIRE_PREFIX_SIZE);
  ck_assert_mem_eq(kavro_buf_data(out) + KAVRO_WIRE_PREFIX_SIZE,
                   kavro_buf_data(body), kavro_buf_length(body));
  /* The prefix-only call gives the same bytes. */
  ck_assert_int_eq(visit_serialize(&v, typed, false, framed, NULL, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(kavro_buf_length(framed), kavro_buf_length(out));
  ck_assert_mem_eq(kavro_buf_data(framed), kavro_buf_data(out),
                   kavro_buf_length(out));
  kavro_buf_destroy(body);
  kavro_buf_destroy(framed);
  kavro_buf_destroy(out);
  visit_close(&v);
}
END_TEST

/* use.schema.guid names the schema; nothing is registered under the
 * topic's subject.  With the id in a prefix, the frames carry the id the
 * schema has under the subject. */
START_TEST(use_schema_guid) {
  bool typed = _i;
  visit_t v;
  visit_open(&v, NULL);
  int id = 0;
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_register(v.reg, "elsewhere", v.schema, NULL,
                                           0, false, &id, &error),
                   KAVRO_OK);
  visit_close(&v);
  unsigned char guid[16];
  kt_mock_guid(kt_mock, id, guid);
  kavro_schema_id_t sid = kavro_schema_id_guid(guid);
  char text[KAVRO_SCHEMA_ID_STRING_SIZE];
  kavro_schema_id_format(&sid, text, sizeof(text));
  visit_open(&v, "use.schema.guid", text, "auto.register.schemas", "false",
             "value.schema.id.serializer", "header", NULL);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_buf_t *body = visit_body(&v);
  kavro_serializer_framing_t framing;
  uint64_t registered =
      kavro_mock_request_count(kt_mock, "POST /subjects/{subject}/versions");
  ck_assert_msg(visit_serialize(&v, typed, false, out, &framing, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  expect_header(&framing, false, guid, out, body);
  ck_assert_uint_eq(
      kavro_mock_request_count(kt_mock, "POST /subjects/{subject}/versions"),
      registered);
  int32_t prepared = -1;
  ck_assert_int_eq(kavro_serializer_prepare(v.ser, "visits", false, v.schema,
                                            &prepared, &error),
                   KAVRO_OK);
  ck_assert_int_eq(prepared, 0); /* only the GUID is known */
  visit_close(&v);
  /* In a prefix: the id under the subject, once it is registered there. */
  visit_open(&v, "use.schema.guid", text, "auto.register.schemas", "false",
             NULL);
  kavro_err_t err = visit_serialize(&v, typed, false, out, &framing, &error);
  ck_assert_msg(err == KAVRO_ERR_SCHEMA_NOT_FOUND ||
                    err == KAVRO_ERR_SUBJECT_NOT_FOUND,
                "%s", error.text);
  ck_assert_ptr_nonnull(strstr(error.text, "use.schema.guid"));
  ck_assert_int_eq(kavro_registry_register(v.reg, "visits-value", v.schema,
                                           NULL, 0, false, &id, &error),
                   KAVRO_OK);
  ck_assert_msg(visit_serialize(&v, typed, false, out, &framing, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(frame_id(out), id);
  visit_close(&v);
  /* A GUID the registry does not know: permanent. */
  visit_open(&v, "use.schema.guid", "0a1b2c3d-0000-4000-8000-00000000000f",
             "value.schema.id.serializer", "header", NULL);
  ck_assert_int_eq(visit_serialize(&v, typed, false, out, &framing, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  ck_assert_uint_eq(kavro_buf_length(out), 0);
  ck_assert_ptr_null(framing.header_name);
  visit_close(&v);
  kavro_buf_destroy(body);
  kavro_buf_destroy(out);
}
END_TEST

/* use.schema.guid is checked as use.schema.id is: another schema is
 * refused, as incompatible when it cannot read the data and
 * id.compatibility.strict is on. */
START_TEST(use_schema_guid_strict) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  int note_int = register_text(reg, "elsewhere-a", note_int_text);
  int v2 = register_text(reg, "elsewhere-b", v2_text);
  kavro_registry_destroy(reg);
  unsigned char guid[16];
  char text[KAVRO_SCHEMA_ID_STRING_SIZE];
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  const struct {
    int id;
    kavro_err_t expected;
  } cases[] = {{note_int, KAVRO_ERR_INCOMPATIBLE}, {v2, KAVRO_ERR_ENCODE}};
  for (size_t i = 0; i < 2; i++) {
    kt_mock_guid(kt_mock, cases[i].id, guid);
    kavro_schema_id_t sid = kavro_schema_id_guid(guid);
    kavro_schema_id_format(&sid, text, sizeof(text));
    reg = kt_client(kt_mock_url(0), "use.schema.guid", text, NULL);
    kavro_serializer_t *ser = serializer(reg);
    ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                     cases[i].expected);
    ck_assert_ptr_nonnull(strstr(error.text, "use.schema.guid"));
    kavro_serializer_destroy(ser);
    kavro_registry_destroy(reg);
  }
  kavro_buf_destroy(out);
}
END_TEST

/* ---- contexts and associations ------------------------------------------------ */

static const char assoc_endpoint[] =
    "GET /associations/resources/{namespace}/{name}";

static kavro_err_t context_from_opaque(void *opaque, const char *topic,
                                       char *context, size_t size,
                                       kavro_error_t *error) {
  (void)topic, (void)error;
  snprintf(context, size, "%s", (const char *)opaque);
  return KAVRO_OK;
}

static kavro_err_t context_refused(void *opaque, const char *topic,
                                   char *context, size_t size,
                                   kavro_error_t *error) {
  (void)opaque, (void)topic, (void)context, (void)size, (void)error;
  return KAVRO_ERR_NOT_FOUND;
}

/* A context name callback puts the subject in its context, whose ids are
 * its own: the schema gets id 1 there although the default context has an
 * id 1 already. */
START_TEST(context_strategy) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  ck_assert_int_eq(register_text(reg, "elsewhere", key_text), 1);
  ck_assert_int_eq(register_text(reg, "other", no_forward_text), 2);
  kavro_serializer_t *ser = serializer(reg);
  kavro_serializer_set_context_name_cb(ser, context_from_opaque, "prod");
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error), KAVRO_OK);
  ck_assert_str_eq(kavro_serializer_last_subject(ser), ":.prod:orders-value");
  ck_assert_int_eq(frame_id(out), 1);
  ck_assert_int_eq(latest_id(reg, ":.prod:orders-value"), 1);
  ck_assert_uint_eq(version_count(reg, "orders-value"), 0);
  /* ":.prod:" and ".prod" name the context too; NULL goes back to none. */
  kavro_serializer_destroy(ser);
  ser = serializer(reg);
  kavro_serializer_set_context_name_cb(ser, context_from_opaque, ":.prod:");
  kavro_buf_reset(out);
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error), KAVRO_OK);
  ck_assert_str_eq(kavro_serializer_last_subject(ser), ":.prod:orders-value");
  kavro_serializer_destroy(ser);
  ser = serializer(reg);
  kavro_serializer_set_context_name_cb(ser, context_from_opaque, "a:b");
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_serializer_set_context_name_cb(ser, context_refused, NULL);
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_ERR_NOT_FOUND);
  kavro_serializer_set_context_name_cb(ser, NULL, NULL);
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error), KAVRO_OK);
  ck_assert_str_eq(kavro_serializer_last_subject(ser), "orders-value");
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

/* Serialize v1 for "orders" with a new serializer on @reg; the subject it
 * named goes into @subject. */
static kavro_err_t serialize_once(kavro_registry_t *reg, char *subject,
                                  size_t size, kavro_error_t *error) {
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_err_t err = serialize_text(ser, v1_text, v1_datum, out, error);
  snprintf(subject, size, "%s", kavro_serializer_last_subject(ser));
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  return err;
}

/* AssociatedNameStrategy: no association -> the topic strategy's subject;
 * one answer per topic (the topic fallback does not depend on the schema),
 * so N serializations ask once; the associated subject when there is
 * one. */
START_TEST(associated_strategy) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), "subject.name.strategy",
                                    "AssociatedNameStrategy", NULL);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  for (int i = 0; i < 5; i++) {
    kavro_buf_reset(out);
    ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                     KAVRO_OK);
    ck_assert_str_eq(kavro_serializer_last_subject(ser), "orders-value");
  }
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, assoc_endpoint), 1);
  /* A new schema of the topic asks nothing more: with the topic fallback
   * the answer does not depend on the schema (Java's and JavaScript's
   * caches key it by schema too, and ask again). */
  kavro_buf_reset(out);
  ck_assert_int_eq(serialize_text(ser, v2_text, v2_datum, out, &error), KAVRO_OK);
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, assoc_endpoint), 1);
  kavro_serializer_destroy(ser);

  register_text(reg, "orders-contract", v1_text);
  kavro_association_spec_t spec = {"orders-contract", "value", NULL, NULL};
  ck_assert_int_eq(kavro_registry_create_associations(reg, "lkc-1", "orders",
                                                      "t-1", &spec, 1, &error),
                   KAVRO_OK);
  char subject[KAVRO_SUBJECT_MAX];
  ck_assert_int_eq(serialize_once(reg, subject, sizeof(subject), &error),
                   KAVRO_OK);
  ck_assert_str_eq(subject, "orders-contract");
  ck_assert_uint_eq(version_count(reg, "orders-contract"), 1);
  /* Keys have no association: TopicNameStrategy. */
  ser = serializer(reg);
  kavro_schema_t *key = kt_parse(key_text);
  ck_assert_int_eq(kavro_serializer_prepare(ser, "orders", true, key, NULL,
                                            &error),
                   KAVRO_OK);
  ck_assert_str_eq(kavro_serializer_last_subject(ser), "orders-key");
  kavro_schema_destroy(key);
  kavro_serializer_destroy(ser);
  kavro_buf_destroy(out);
  kavro_registry_destroy(reg);
}
END_TEST

/* A registry without the associations endpoint answers 404: the topic
 * strategy's subject.  Other failures fail the call. */
START_TEST(associated_fallback_on_404) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), "subject.name.strategy",
                                    "AssociatedNameStrategy", NULL);
  kavro_mock_fault_t fault = {KAVRO_MOCK_FAULT_ERROR, "GET",
                              "/associations/resources/-/orders", 404, 404, -1};
  ck_assert_int_eq(kavro_mock_push_fault(kt_mock, &fault, 1, NULL), KAVRO_OK);
  char subject[KAVRO_SUBJECT_MAX];
  kavro_error_t error;
  ck_assert_int_eq(serialize_once(reg, subject, sizeof(subject), &error),
                   KAVRO_OK);
  ck_assert_str_eq(subject, "orders-value");
  fault.http_status = 403;
  fault.error_code = 40301;
  ck_assert_int_eq(kavro_mock_push_fault(kt_mock, &fault, 1, NULL), KAVRO_OK);
  ck_assert_int_eq(serialize_once(reg, subject, sizeof(subject), &error),
                   (kavro_err_t)40301);
  kavro_registry_destroy(reg);
}
END_TEST

/* The cluster id is the namespace asked for; two associations for the
 * topic are an error; fallback NONE makes no association an error. */
START_TEST(associated_settings) {
  kavro_registry_t *admin = kt_client(kt_mock_url(0), NULL);
  register_text(admin, "a-subject", v1_text);
  register_text(admin, "b-subject", v1_text);
  kavro_association_spec_t a = {"a-subject", NULL, NULL, NULL};
  kavro_association_spec_t b = {"b-subject", NULL, NULL, NULL};
  ck_assert_int_eq(kavro_registry_create_associations(admin, "lkc-a", "orders",
                                                      "t-a", &a, 1, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_create_associations(admin, "lkc-b", "orders",
                                                      "t-b", &b, 1, NULL),
                   KAVRO_OK);
  char subject[KAVRO_SUBJECT_MAX];
  kavro_error_t error;
  kavro_registry_t *any = kt_client(kt_mock_url(0), "subject.name.strategy",
                                    "AssociatedNameStrategy", NULL);
  ck_assert_int_eq(serialize_once(any, subject, sizeof(subject), &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(error.text, "multiple associated subjects"));
  kavro_registry_t *b_only = kt_client(
      kt_mock_url(0), "subject.name.strategy", "AssociatedNameStrategy",
      "subject.name.strategy.kafka.cluster.id", "lkc-b", NULL);
  ck_assert_int_eq(serialize_once(b_only, subject, sizeof(subject), &error),
                   KAVRO_OK);
  ck_assert_str_eq(subject, "b-subject");
  kavro_registry_t *none = kt_client(
      kt_mock_url(0), "subject.name.strategy", "AssociatedNameStrategy",
      "subject.name.strategy.kafka.cluster.id", "lkc-c",
      "subject.name.strategy.fallback.type", "NONE", NULL);
  ck_assert_int_eq(serialize_once(none, subject, sizeof(subject), &error),
                   KAVRO_ERR_NOT_FOUND);
  kavro_registry_t *record = kt_client(
      kt_mock_url(0), "subject.name.strategy", "AssociatedNameStrategy",
      "subject.name.strategy.kafka.cluster.id", "lkc-c",
      "subject.name.strategy.fallback.type", "RECORD", NULL);
  ck_assert_int_eq(serialize_once(record, subject, sizeof(subject), &error),
                   KAVRO_OK);
  ck_assert_str_eq(subject, "com.acme.Order");
  ck_assert_int_eq(kavro_subject_name(KAVRO_SUBJECT_ASSOCIATED, "orders", false,
                                      NULL, subject, sizeof(subject), &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_registry_destroy(record);
  kavro_registry_destroy(none);
  kavro_registry_destroy(b_only);
  kavro_registry_destroy(any);
  kavro_registry_destroy(admin);
}
END_TEST


/* ---- data contracts ------------------------------------------------------ */

static const char meta_a[] = "{\"properties\":{\"app\":\"a\"}}";
static const char meta_b[] = "{\"properties\":{\"app\":\"b\"}}";

/* use.latest.with.metadata writes with the matching version, not the
 * latest, before use.latest.version; the answer is cached. */
START_TEST(latest_with_metadata) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  int id1 = kt_register_contract(reg, "orders-value", v1_text, meta_a, NULL);
  int id2 = kt_register_contract(reg, "orders-value", v2_text, meta_b, NULL);
  ck_assert_int_ne(id1, id2);
  /* TopicNameStrategy: a new serializer names the subject without asking
   * (the default, AssociatedNameStrategy, asks each serializer's first
   * time). */
  kavro_registry_t *meta_reg =
      kt_client(kt_mock_url(_i), "use.latest.with.metadata", "app=a",
                "use.latest.version", "true", "auto.register.schemas",
                "false", "subject.name.strategy", "TopicNameStrategy", NULL);
  kavro_serializer_t *ser = serializer(meta_reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_msg(serialize_text(ser, v1_text, v1_datum, out, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(frame_id(out), id1);
  /* The warm path asks nothing; a new serializer on the same client is
   * answered from its cache. */
  uint64_t before = kt_requests(meta_reg);
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  kavro_serializer_t *again = serializer(meta_reg);
  ck_assert_int_eq(serialize_text(again, v1_text, v1_datum, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(frame_id(out), id1);
  ck_assert_uint_eq(kt_requests(meta_reg), before);
  kavro_serializer_destroy(again);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(meta_reg);
  /* The other version for the other value. */
  meta_reg = kt_client(kt_mock_url(_i), "use.latest.with.metadata",
                       "'app'=b", NULL);
  ser = serializer(meta_reg);
  ck_assert_int_eq(serialize_text(ser, v2_text, v2_datum, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(frame_id(out), id2);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(meta_reg);
  /* No version has it: a clear error, nothing registered. */
  meta_reg = kt_client(kt_mock_url(_i), "use.latest.with.metadata", "app=zzz",
                       NULL);
  ser = serializer(meta_reg);
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_msg(strstr(error.text, "app=zzz") &&
                    strstr(error.text, "use.latest.with.metadata"),
                "%s", error.text);
  ck_assert_uint_eq(version_count(reg, "orders-value"), 2);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(meta_reg);
  kavro_buf_destroy(out);
  kavro_registry_destroy(reg);
}
END_TEST

/* Allocations of @count warm reads of @frame by a new deserializer on
 * @reg (the first read, cold, not counted). */
static unsigned long warm_read_allocations(kavro_registry_t *reg,
                                           const kavro_buf_t *frame,
                                           int count) {
  kavro_error_t error;
  kavro_deserializer_t *des = kavro_deserializer_new(reg, NULL, NULL, &error);
  ck_assert_msg(des != NULL, "%s", error.text);
  kavro_deserialized_t msg;
  ck_assert_msg(kavro_deserializer_deserialize(
                    des, "orders", false, NULL, 0, kavro_buf_data(frame),
                    kavro_buf_length(frame), &msg, &error) == KAVRO_OK,
                "%s", error.text);
  int failures = 0; /* counted, not asserted: Check's asserts allocate */
  unsigned long before = atomic_load(&allocations);
  for (int i = 0; i < count; i++)
    failures += kavro_deserializer_deserialize(
                    des, "orders", false, NULL, 0, kavro_buf_data(frame),
                    kavro_buf_length(frame), &msg, NULL) != KAVRO_OK;
  unsigned long used = atomic_load(&allocations) - before;
  ck_assert_int_eq(failures, 0);
  kavro_deserializer_destroy(des);
  return used;
}

/* The reader chosen by use.latest.with.metadata costs a warm read no
 * allocation more than the writer schema does: the question is prepared
 * once, and the contract is judged again only when the version changes. */
START_TEST(latest_with_metadata_warm_read) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kt_register_contract(reg, "orders-value", v1_text, meta_a, NULL);
  kt_register_contract(reg, "orders-value", v2_text, meta_b, NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  kavro_error_t error;
  kavro_serializer_t *ser = serializer(reg);
  ck_assert_msg(serialize_text(ser, v1_text, v1_datum, frame, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  kavro_registry_t *meta_reg = kt_client(kt_mock_url(_i),
                                         "use.latest.with.metadata", "app=a",
                                         NULL);
  unsigned long plain = warm_read_allocations(reg, frame, 100);
  ck_assert_uint_eq(warm_read_allocations(meta_reg, frame, 100), plain);
  kavro_registry_destroy(meta_reg);
  kavro_serializer_destroy(ser);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(latest_with_metadata_bad_setting) {
  static const char *const bad[] = {"app", "=a", "app=a,'b=c", ""};
  for (size_t i = 0; i < 3; i++) {
    kavro_registry_t *reg =
        kt_client(kt_mock_url(0), "use.latest.with.metadata", bad[i], NULL);
    kavro_error_t error;
    ck_assert_ptr_null(kavro_serializer_new(reg, NULL, &error));
    ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
    ck_assert_ptr_nonnull(strstr(error.text, "use.latest.with.metadata"));
    ck_assert_ptr_null(kavro_deserializer_new(reg, NULL, NULL, &error));
    ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
    kavro_registry_destroy(reg);
  }
}
END_TEST

/* Rules on the write path, by the schema written with: a rule set (mode,
 * onFailure, disabled) and whether serializing passes. */
static const struct {
  const char *mode;
  const char *on_failure;
  bool disabled;
  bool passes;
} rule_cases[] = {
    {"WRITE", NULL, false, false},      {"WRITE", "ERROR", false, false},
    {"WRITEREAD", "DLQ", false, false}, {"WRITE", "NONE", false, true},
    {"WRITE", "ERROR", true, true},     {"READ", NULL, false, true},
    {"WRITEREAD", "NONE,ERROR", false, true},
    {"WRITEREAD", "ERROR,NONE", false, false},
};
#define RULE_CASES (int)(sizeof(rule_cases) / sizeof(rule_cases[0]))

static void expect_rule_verdict(kavro_registry_t *ser_reg, int c, int id) {
  kavro_serializer_t *ser = serializer(ser_reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  kavro_err_t err = serialize_text(ser, v1_text, v1_datum, out, &error);
  if (rule_cases[c].passes) {
    ck_assert_msg(err == KAVRO_OK, "case %d: %s", c, error.text);
    ck_assert_int_eq(frame_id(out), id);
  } else {
    ck_assert_int_eq(err, KAVRO_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(error.text, "rule \"checkSsn\" (CONDITION, "
                                     "JSONATA) cannot be executed: no "
                                     "executor for type JSONATA"),
                  "case %d: %s", c, error.text);
    ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_LOCAL);
    ck_assert_uint_eq(kavro_buf_length(out), 0);
    /* Judged once: refused again without a request. */
    uint64_t before = kt_requests(ser_reg);
    ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                     KAVRO_ERR_UNSUPPORTED);
    ck_assert_uint_eq(kt_requests(ser_reg), before);
  }
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
}

START_TEST(rules_on_latest) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  int id = kt_register_contract(
      reg, "orders-value", v1_text, NULL,
      kt_unexecutable_rule_set(rule_cases[_i].mode, rule_cases[_i].on_failure,
                      rule_cases[_i].disabled));
  kavro_registry_t *ser_reg =
      kt_client(kt_mock_url(0), "use.latest.version", "true",
                "auto.register.schemas", "false", NULL);
  expect_rule_verdict(ser_reg, _i, id);
  kavro_registry_destroy(ser_reg);
  /* use.schema.id names the same schema. */
  char text[16];
  snprintf(text, sizeof(text), "%d", id);
  ser_reg = kt_client(kt_mock_url(0), "use.schema.id", text, NULL);
  expect_rule_verdict(ser_reg, _i, id);
  kavro_registry_destroy(ser_reg);
  kavro_registry_destroy(reg);
}
END_TEST

/* A schema registered by the serializer gets the subject's default rule
 * set from the registry: the rule it merged in is judged. */
START_TEST(rules_merged_on_register) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  char config[640];
  snprintf(config, sizeof(config), "{\"defaultRuleSet\":%s}",
           kt_unexecutable_rule_set("WRITE", "ERROR", false));
  kavro_error_t error;
  ck_assert_msg(kavro_registry_put_config(reg, "orders-value", config, NULL,
                                          &error) == KAVRO_OK,
                "%s", error.text);
  kavro_serializer_t *ser = serializer(reg);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  ck_assert_int_eq(serialize_text(ser, v1_text, v1_datum, out, &error),
                   KAVRO_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(error.text, "checkSsn"));
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
}
END_TEST

static Suite *serializer_suite(void) {
  Suite *s = suite_create("serializer");
  TCase *tc = tcase_create("strategies");
  tcase_add_checked_fixture(tc, mock_setup, kt_mock_stop);
  tcase_add_test(tc, strategy_names);
  tcase_add_loop_test(tc, strategy_registers, 0, 2);
  tcase_add_test(tc, strategy_callback);
  tcase_add_loop_test(tc, context_strategy, 0, 2);
  tcase_add_loop_test(tc, associated_strategy, 0, 2);
  tcase_add_loop_test(tc, associated_fallback_on_404, 0, 2);
  tcase_add_test(tc, associated_settings);
  suite_add_tcase(s, tc);

  tc = tcase_create("registration");
  tcase_add_checked_fixture(tc, mock_setup, kt_mock_stop);
  tcase_add_loop_test(tc, auto_register_off, 0, 2);
  tcase_add_loop_test(tc, auto_register_on, 0, 2);
  tcase_add_loop_test(tc, lenient_schema_refused, 0, 2);
  tcase_add_loop_test(tc, use_latest_version, 0, 2);
  tcase_add_test(tc, use_schema_id);
  tcase_add_test(tc, bad_arguments);
  tcase_add_loop_test(tc, latest_with_metadata, 0, 2);
  tcase_add_loop_test(tc, latest_with_metadata_warm_read, 0, 2);
  tcase_add_test(tc, latest_with_metadata_bad_setting);
  tcase_add_loop_test(tc, rules_on_latest, 0, RULE_CASES);
  tcase_add_loop_test(tc, rules_merged_on_register, 0, 2);
  suite_add_tcase(s, tc);

  tc = tcase_create("gate");
  tcase_add_checked_fixture(tc, mock_setup, kt_mock_stop);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, gate_backward);
  tcase_add_test(tc, gate_forward);
  tcase_add_test(tc, gate_full);
  tcase_add_test(tc, gate_transitive);
  tcase_add_test(tc, gate_default_backward);
  tcase_add_loop_test(tc, gate_while_down, 0, 2);
  tcase_add_test(tc, gate_down_from_client_cache);
  suite_add_tcase(s, tc);

  tc = tcase_create("warm");
  tcase_add_checked_fixture(tc, mock_setup, kt_mock_stop);
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, warm_no_requests, 0, 2);
  tcase_add_test(tc, warm_entries_by_kind);
  tcase_add_test(tc, warm_no_allocations);
  tcase_add_test(tc, threads_share_a_client);
  tcase_add_test(tc, serialize_to_limits);
  tcase_add_test(tc, tombstone);
  tcase_add_test(tc, error_classes);
  suite_add_tcase(s, tc);

  tc = tcase_create("framing");
  tcase_add_checked_fixture(tc, mock_setup, kt_mock_stop);
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, id_in_header, 0, 2);
  tcase_add_loop_test(tc, id_in_prefix_by_default, 0, 2);
  tcase_add_loop_test(tc, use_schema_guid, 0, 2);
  tcase_add_test(tc, use_schema_guid_strict);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  avro_set_allocator(avro_counting_allocator, NULL);
  SRunner *sr = srunner_create(serializer_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
