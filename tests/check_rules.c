/*
 * kavro tests - data contract rules (kavro/rules.h): rule sets registered
 * in the mock registry, executors and actions registered through the
 * public API, run by the one serializer and deserializer for generic
 * values and typed records; the DLQ action over librdkafka's mock cluster.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum_util.h"
#include "evo1_visit.h"
#include "kavro.h"
#include "kavro/kafka.h"
#include <librdkafka/rdkafka_mock.h>
#include "serde_fixture.h"

#define TOPIC "visits"
#define SUBJECT "visits-value"

/* The evolution fixture's Visit, its note tagged PII inline. */
static const char visit_text[] =
    "{\"type\":\"record\",\"name\":\"Visit\",\"namespace\":"
    "\"com.example.evolution\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},"
    "{\"name\":\"minutes\",\"type\":\"int\"},"
    "{\"name\":\"outcome\",\"type\":{\"type\":\"enum\",\"name\":\"Outcome\","
    "\"symbols\":[\"YES\",\"NO\",\"LATER\"]}},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null,"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"legacy\",\"type\":\"string\"}]}";

static const char visit_ok[] =
    "{\"id\":\"v-1\",\"minutes\":30,\"outcome\":\"YES\","
    "\"note\":{\"string\":\"call 555-0100\"},\"legacy\":\"old\"}";
static const char visit_negative[] =
    "{\"id\":\"v-2\",\"minutes\":-5,\"outcome\":\"NO\",\"note\":null,"
    "\"legacy\":\"old\"}";

/* ---- executors and actions the tests register ------------------------------- */

/* What the test executors saw. */
static struct {
  int calls;
  char trace[256]; /* rule names, in the order they ran */
  char last_param[64], last_config[64], last_subject[64];
  char field_full_name[128], field_type[16];
  int field_calls;
  int action_calls;
  char action_cause[256];
} seen;

static void trace(const kavro_rule_ctx_t *ctx) {
  seen.calls++;
  size_t n = strlen(seen.trace);
  snprintf(seen.trace + n, sizeof(seen.trace) - n, "%s%s", n ? "," : "",
           kavro_rule_ctx_rule_name(ctx));
}

/* A condition: `minutes` is not negative.  Records what the context
 * says. */
static kavro_err_t minutes_ok(void *opaque, const kavro_rule_ctx_t *ctx,
                              avro_value_t *message, bool *passed,
                              kavro_error_t *error) {
  (void)opaque;
  (void)error;
  trace(ctx);
  const char *param = kavro_rule_ctx_param(ctx, "owner");
  const char *config = kavro_rule_ctx_config(ctx, "region");
  snprintf(seen.last_param, sizeof(seen.last_param), "%s", param ? param : "");
  snprintf(seen.last_config, sizeof(seen.last_config), "%s",
           config ? config : "");
  snprintf(seen.last_subject, sizeof(seen.last_subject), "%s",
           kavro_rule_ctx_subject(ctx));
  avro_value_t field;
  int32_t minutes = 0;
  ck_assert_int_eq(avro_value_get_by_name(message, "minutes", &field, NULL), 0);
  ck_assert_int_eq(avro_value_get_int(&field, &minutes), 0);
  *passed = minutes >= 0;
  return KAVRO_OK;
}

/* A transform: `legacy` becomes the rule's name (message-wide). */
static kavro_err_t stamp_legacy(void *opaque, const kavro_rule_ctx_t *ctx,
                                avro_value_t *message, bool *passed,
                                kavro_error_t *error) {
  (void)opaque;
  (void)passed;
  (void)error;
  trace(ctx);
  avro_value_t field;
  ck_assert_int_eq(avro_value_get_by_name(message, "legacy", &field, NULL), 0);
  const char *old = NULL;
  size_t size = 0;
  avro_value_get_string(&field, &old, &size);
  char text[1024];
  snprintf(text, sizeof(text), "%.500s+%.500s", old,
           kavro_rule_ctx_rule_name(ctx));
  ck_assert_int_eq(avro_value_set_string(&field, text), 0);
  return KAVRO_OK;
}

/* A field transform: a string field becomes "***". */
static kavro_err_t mask(void *opaque, const kavro_rule_ctx_t *ctx,
                        const kavro_rule_field_t *field, avro_value_t *value,
                        bool *passed, kavro_error_t *error) {
  (void)opaque;
  (void)ctx;
  (void)passed;
  (void)error;
  seen.field_calls++;
  snprintf(seen.field_full_name, sizeof(seen.field_full_name), "%s",
           field->full_name);
  snprintf(seen.field_type, sizeof(seen.field_type), "%s", field->type_name);
  ck_assert_ptr_nonnull(field->message);
  if (strcmp(field->type_name, "STRING") == 0)
    ck_assert_int_eq(avro_value_set_string(value, "***"), 0);
  return KAVRO_OK;
}

/* A field condition: a string field holds no digit. */
static kavro_err_t no_digits(void *opaque, const kavro_rule_ctx_t *ctx,
                             const kavro_rule_field_t *field,
                             avro_value_t *value, bool *passed,
                             kavro_error_t *error) {
  (void)opaque;
  (void)ctx;
  (void)error;
  seen.field_calls++;
  if (strcmp(field->type_name, "STRING") != 0)
    return KAVRO_OK;
  const char *s = NULL;
  size_t size = 0;
  avro_value_get_string(value, &s, &size);
  *passed = strpbrk(s, "0123456789") == NULL;
  return KAVRO_OK;
}

/* An executor that fails (Java's RuleException). */
static kavro_err_t broken(void *opaque, const kavro_rule_ctx_t *ctx,
                          avro_value_t *message, bool *passed,
                          kavro_error_t *error) {
  (void)opaque;
  (void)ctx;
  (void)message;
  (void)passed;
  error->code = KAVRO_ERR_INVALID_ARG;
  snprintf(error->text, sizeof(error->text), "the executor broke");
  return KAVRO_ERR_INVALID_ARG;
}

/* A user action: counts, keeps the cause, lets the call go on. */
static kavro_err_t count_action(void *opaque, const kavro_rule_ctx_t *ctx,
                                const struct avro_value *message,
                                const kavro_error_t *cause,
                                kavro_error_t *error) {
  (void)opaque;
  (void)ctx;
  (void)error;
  ck_assert_ptr_nonnull(message);
  seen.action_calls++;
  snprintf(seen.action_cause, sizeof(seen.action_cause), "%.200s",
           cause ? cause->text : "");
  return KAVRO_OK;
}

static void add_executor(kavro_conf_t *conf, const char *type,
                         const char *name, const kavro_rule_executor_t *x) {
  kavro_error_t error;
  ck_assert_msg(kavro_conf_add_rule_executor(conf, type, name, x, &error) ==
                    KAVRO_OK,
                "%s", error.text);
}

/* A conf with the test executors: COND (minutes_ok), STAMP (stamp_legacy),
 * MASK (mask), DIGITS (no_digits), BROKEN, and the COUNT action. */
static kavro_conf_t *rules_conf(void) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_rule_executor_t cond = {.execute = minutes_ok};
  kavro_rule_executor_t stamp = {.execute = stamp_legacy};
  kavro_rule_executor_t masker = {.execute_field = mask};
  kavro_rule_executor_t digits = {.execute_field = no_digits};
  kavro_rule_executor_t fail = {.execute = broken};
  add_executor(conf, "COND", NULL, &cond);
  add_executor(conf, "STAMP", NULL, &stamp);
  add_executor(conf, "MASK", NULL, &masker);
  add_executor(conf, "DIGITS", NULL, &digits);
  add_executor(conf, "BROKEN", NULL, &fail);
  kavro_error_t error;
  ck_assert_int_eq(
      kavro_conf_add_rule_action(conf, "COUNT", count_action, NULL, &error),
      KAVRO_OK);
  return conf;
}

static void conf_set(kavro_conf_t *conf, const char *key, const char *value) {
  kavro_error_t error;
  ck_assert_msg(kavro_conf_set(conf, key, value, &error) == KAVRO_OK, "%s: %s",
                key, error.text);
}

/* ---- fixtures ------------------------------------------------------------------ */

static kavro_registry_t *reg;

static void setup(void) {
  kt_mock_start("rules");
  reg = kt_client(kt_mock_url(0), NULL);
  memset(&seen, 0, sizeof(seen));
}

static void teardown(void) {
  kavro_registry_destroy(reg);
  kt_mock_stop();
}

/* Register the Visit under SUBJECT with @metadata and @rules (JSON). */
static int register_visit(const char *metadata, const char *rules) {
  return kt_register_contract(reg, SUBJECT, visit_text, metadata, rules);
}

static kavro_serializer_t *serializer_with(kavro_conf_t *conf) {
  kavro_error_t error;
  conf_set(conf, "auto.register.schemas", "false");
  kavro_serializer_t *ser = kavro_serializer_new(reg, conf, &error);
  ck_assert_msg(ser != NULL, "%s", error.text);
  return ser;
}

static kavro_deserializer_t *deserializer_with(kavro_conf_t *conf) {
  kavro_error_t error;
  kavro_deserializer_t *des = kavro_deserializer_new(reg, conf, NULL, &error);
  ck_assert_msg(des != NULL, "%s", error.text);
  return des;
}

/* Serialize the datum @json of the Visit into @out. */
static kavro_err_t write_visit(kavro_serializer_t *ser, const char *json,
                               kavro_buf_t *out, kavro_error_t *error) {
  kavro_schema_t *schema = kt_parse(visit_text);
  kt_value_t v;
  kt_value_from_json(&v, schema, json);
  kavro_err_t err = kavro_serializer_serialize(ser, TOPIC, false, schema,
                                               &v.value, out, error);
  /* The caller's value is never changed by a transform. */
  char *after = kavro_value_to_json(schema, &v.value, KAVRO_DATUM_JSON_AVRO,
                                    NULL);
  json_t *a = json_loads(after, 0, NULL), *b = json_loads(json, 0, NULL);
  ck_assert_msg(json_equal(a, b), "the caller's value changed: %s", after);
  json_decref(a);
  json_decref(b);
  free(after);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
  return err;
}

/* Read @frame back; the value's member @field as a string into @buf. */
static kavro_err_t read_visit(kavro_deserializer_t *des, const kavro_buf_t *frame,
                              const char *field, char *buf, size_t size,
                              kavro_error_t *error) {
  kavro_deserialized_t msg;
  kavro_err_t err = kavro_deserializer_deserialize(
      des, TOPIC, false, NULL, 0, kavro_buf_data(frame),
      kavro_buf_length(frame), &msg, error);
  if (err != KAVRO_OK || !field)
    return err;
  json_t *plain = kt_value_plain(msg.schema, msg.value);
  const json_t *v = json_object_get(plain, field);
  snprintf(buf, size, "%s", json_is_string(v) ? json_string_value(v) : "");
  json_decref(plain);
  return KAVRO_OK;
}

/* The frame's body as the plain registry client reads it, as plain JSON
 * (no rules: a deserializer without executors would refuse). */
static json_t *frame_plain(const kavro_buf_t *frame) {
  return kt_frame_plain(visit_text, frame);
}

/* The string member @field of the frame's body, "" when not a string. */
static void frame_field(const kavro_buf_t *frame, const char *field, char *buf,
                        size_t size) {
  json_t *plain = frame_plain(frame);
  const json_t *f = json_object_get(plain, field);
  snprintf(buf, size, "%s", json_is_string(f) ? json_string_value(f) : "");
  json_decref(plain);
}

/* One rule as JSON. */
static const char *rule(char *buf, size_t size, const char *name,
                        const char *kind, const char *mode, const char *type,
                        const char *extra) {
  snprintf(buf, size,
           "{\"name\":\"%s\",\"kind\":\"%s\",\"mode\":\"%s\",\"type\":\"%s\"%s%s}",
           name, kind, mode, type, extra ? "," : "", extra ? extra : "");
  return buf;
}

static char *domain_rules(char *buf, size_t size, const char *r1,
                          const char *r2, const char *r3) {
  snprintf(buf, size, "{\"domainRules\":[%s%s%s%s%s]}", r1, r2 ? "," : "",
           r2 ? r2 : "", r3 ? "," : "", r3 ? r3 : "");
  return buf;
}

/* ---- conditions ------------------------------------------------------------------ */

/* A WRITE condition passes a good value and refuses a bad one with
 * KAVRO_ERR_RULE (class permanent) naming the rule; the rule set is
 * compiled once: the warm path makes no request. */
START_TEST(condition_on_write) {
  char r[256], rs[512];
  register_visit("{\"properties\":{\"owner\":\"field-ops\"}}",
                 domain_rules(rs, sizeof(rs),
                              rule(r, sizeof(r), "minutesNotNegative",
                                   "CONDITION", "WRITE", "COND",
                                   "\"params\":{\"unit\":\"min\"}"),
                              NULL, NULL));
  kavro_conf_t *conf = rules_conf();
  conf_set(conf, "rule.executors._default_.param.region", "eu");
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_msg(write_visit(ser, visit_ok, out, &error) == KAVRO_OK, "%s",
                error.text);
  ck_assert_uint_gt(kavro_buf_length(out), 5);
  ck_assert_str_eq(seen.last_param, "field-ops"); /* metadata property */
  ck_assert_str_eq(seen.last_config, "eu");
  ck_assert_str_eq(seen.last_subject, SUBJECT);
  uint64_t before = kt_requests(reg);
  ck_assert_int_eq(write_visit(ser, visit_negative, out, &error),
                   KAVRO_ERR_RULE);
  ck_assert_uint_eq(kt_requests(reg), before);
  ck_assert_msg(strstr(error.text, "rule \"minutesNotNegative\" (CONDITION, "
                                   "COND) failed on WRITE"),
                "%s", error.text);
  ck_assert_msg(strstr(error.text, "Condition failed"), "%s", error.text);
  ck_assert_str_eq(error.source, SUBJECT);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  ck_assert_uint_eq(kavro_buf_length(out), 0);
  ck_assert_int_eq(seen.calls, 2);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* A named executor's parameter wins over the type's and the default. */
START_TEST(executor_config_precedence) {
  char r[256], rs[512];
  register_visit(NULL, domain_rules(rs, sizeof(rs),
                                    rule(r, sizeof(r), "check", "CONDITION",
                                         "WRITE", "COND",
                                         "\"params\":{\"owner\":\"rule\"}"),
                                    NULL, NULL));
  kavro_conf_t *conf = kavro_conf_new();
  kavro_rule_executor_t cond = {.execute = minutes_ok};
  add_executor(conf, "COND", "mine", &cond);
  conf_set(conf, "rule.executors._default_.param.region", "default");
  conf_set(conf, "rule.executors._COND_.param.region", "type");
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error), KAVRO_OK);
  ck_assert_str_eq(seen.last_config, "type");
  ck_assert_str_eq(seen.last_param, "rule"); /* the rule's params first */
  kavro_serializer_destroy(ser);
  conf_set(conf, "rule.executors.mine.param.region", "named");
  ser = serializer_with(conf);
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error), KAVRO_OK);
  ck_assert_str_eq(seen.last_config, "named");
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* ---- transforms --------------------------------------------------------------------- */

/* A WRITE transform changes the bytes written (not the caller's value);
 * a READ transform changes the value handed out; rules run in order on
 * write and in reverse order on read. */
START_TEST(transforms_and_order) {
  char r1[256], r2[256], r3[256], r4[256], rs[4 * 256 + 64];
  rule(r1, sizeof(r1), "a", "TRANSFORM", "WRITE", "STAMP", NULL);
  rule(r2, sizeof(r2), "b", "TRANSFORM", "WRITEREAD", "STAMP", NULL);
  rule(r3, sizeof(r3), "c", "TRANSFORM", "READ", "STAMP", NULL);
  /* An UPGRADE rule runs in migrations only. */
  snprintf(rs, sizeof(rs),
           "{\"domainRules\":[%s,%s,%s],\"migrationRules\":[%s]}", r1, r2,
           r3, rule(r4, sizeof(r4), "d", "TRANSFORM", "UPGRADE", "STAMP", NULL));
  register_visit(NULL, rs);
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_deserializer_t *des = deserializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_msg(write_visit(ser, visit_ok, out, &error) == KAVRO_OK, "%s",
                error.text);
  char text[128];
  frame_field(out, "legacy", text, sizeof(text));
  ck_assert_str_eq(text, "old+a+b");
  ck_assert_str_eq(seen.trace, "a,b");
  seen.trace[0] = '\0';
  ck_assert_msg(read_visit(des, out, "legacy", text, sizeof(text), &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_str_eq(text, "old+a+b+c+b");
  ck_assert_str_eq(seen.trace, "c,b");
  kavro_buf_destroy(out);
  kavro_deserializer_destroy(des);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* Disabled rules are skipped, by the rule or by
 * rule.executors.<name>.disabled (which wins both ways). */
START_TEST(disabled_rules) {
  char r1[256], r2[256], rs[1024];
  rule(r1, sizeof(r1), "off", "TRANSFORM", "WRITE", "STAMP",
       "\"disabled\":true");
  rule(r2, sizeof(r2), "on", "TRANSFORM", "WRITE", "STAMP", NULL);
  register_visit(NULL, domain_rules(rs, sizeof(rs), r1, r2, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error), KAVRO_OK);
  ck_assert_str_eq(seen.trace, "on");
  kavro_serializer_destroy(ser);
  seen.trace[0] = '\0';
  conf_set(conf, "rule.executors.off.disabled", "false");
  conf_set(conf, "rule.executors.on.disabled", "true");
  ser = serializer_with(conf);
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error), KAVRO_OK);
  ck_assert_str_eq(seen.trace, "off");
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* ---- actions --------------------------------------------------------------------------- */

/* onSuccess and onFailure run user actions (the cause handed over);
 * a WRITEREAD rule's "A,B" takes A on write and B on read; NONE lets a
 * failed rule pass; an executor's own failure is a rule failure too; an
 * action no one registered fails the call. */
START_TEST(actions) {
  char r1[256], r2[256], rs[1024];
  rule(r1, sizeof(r1), "check", "CONDITION", "WRITEREAD", "COND",
       "\"onSuccess\":\"COUNT\",\"onFailure\":\"NONE,ERROR\"");
  rule(r2, sizeof(r2), "flaky", "CONDITION", "WRITE", "BROKEN",
       "\"onFailure\":\"COUNT\"");
  register_visit(NULL, domain_rules(rs, sizeof(rs), r1, r2, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_deserializer_t *des = deserializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  /* good: check succeeds (COUNT), flaky fails (COUNT, with its cause) */
  ck_assert_msg(write_visit(ser, visit_ok, out, &error) == KAVRO_OK, "%s",
                error.text);
  ck_assert_int_eq(seen.action_calls, 2);
  ck_assert_str_eq(seen.action_cause, "the executor broke");
  /* bad: on write the failure's action is NONE */
  ck_assert_msg(write_visit(ser, visit_negative, out, &error) == KAVRO_OK,
                "%s", error.text);
  /* ... and on read ERROR */
  ck_assert_int_eq(read_visit(des, out, NULL, NULL, 0, &error),
                   KAVRO_ERR_RULE);
  ck_assert_ptr_nonnull(strstr(error.text, "rule \"check\""));
  ck_assert_ptr_nonnull(strstr(error.text, "on READ"));
  kavro_deserializer_destroy(des);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
  /* An action nobody registered. */
  conf = rules_conf();
  conf_set(conf, "rule.executors.check.onSuccess", "AUDIT");
  ser = serializer_with(conf);
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error),
                   KAVRO_ERR_CONF_INVALID);
  ck_assert_ptr_nonnull(strstr(error.text, "AUDIT"));
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* Registration refuses what cannot work. */
START_TEST(registration_refused) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  kavro_rule_executor_t two = {.execute = minutes_ok, .execute_field = mask};
  kavro_rule_executor_t none = {0};
  ck_assert_int_eq(kavro_conf_add_rule_executor(conf, "X", NULL, &two, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_conf_add_rule_executor(conf, "X", NULL, &none, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(
      kavro_conf_add_rule_action(conf, "ERROR", count_action, NULL, &error),
      KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_conf_set(conf, "rule.executors.x.nonsense", "1",
                                  &error),
                   KAVRO_ERR_CONF_UNKNOWN);
  ck_assert_int_eq(kavro_conf_set(conf, "rule.executors.x.disabled", "maybe",
                                  &error),
                   KAVRO_ERR_CONF_INVALID);
  kavro_conf_destroy(conf);
}
END_TEST

/* ---- field executors ---------------------------------------------------------------- */

/* A field transform runs on the fields whose tags meet the rule's: the
 * note by its `confluent:tags`, the legacy field by a `metadata.tags`
 * path; the id, untagged, stays. */
START_TEST(field_transform_by_tags) {
  char r[256], rs[512];
  register_visit("{\"tags\":{\"com.example.evolution.Visit.leg*\":[\"PII\"]}}",
                 domain_rules(rs, sizeof(rs),
                              rule(r, sizeof(r), "maskPii", "TRANSFORM",
                                   "WRITE", "MASK", "\"tags\":[\"PII\"]"),
                              NULL, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_msg(write_visit(ser, visit_ok, out, &error) == KAVRO_OK, "%s",
                error.text);
  char text[128];
  frame_field(out, "legacy", text, sizeof(text));
  ck_assert_str_eq(text, "***");
  frame_field(out, "id", text, sizeof(text));
  ck_assert_str_eq(text, "v-1");
  kavro_schema_t *schema = kt_parse(visit_text);
  kavro_decoder_t *decoder = kavro_decoder_new(NULL);
  kt_value_t v;
  kt_value_init(&v, schema);
  ck_assert_int_eq(kavro_decode(decoder, schema, kavro_buf_data(out) + 5,
                                kavro_buf_length(out) - 5, &v.value, NULL,
                                &error),
                   KAVRO_OK);
  char *json = kavro_value_to_json(schema, &v.value, KAVRO_DATUM_JSON_AVRO,
                                   NULL);
  ck_assert_msg(strstr(json, "\"note\": {\"string\": \"***\"}"), "%s", json);
  free(json);
  ck_assert_int_eq(seen.field_calls, 2);
  ck_assert_str_eq(seen.field_full_name, "com.example.evolution.Visit.legacy");
  ck_assert_str_eq(seen.field_type, "STRING");
  kt_value_free(&v);
  kavro_decoder_destroy(decoder);
  kavro_schema_destroy(schema);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* Two field transforms of one type with equal tags: only the first runs
 * (Java's FieldRuleExecutor); a rule without tags reaches every field. */
START_TEST(field_transforms_same_tags) {
  char r1[256], r2[256], rs[1024];
  rule(r1, sizeof(r1), "mask1", "TRANSFORM", "WRITE", "MASK",
       "\"tags\":[\"PII\"]");
  rule(r2, sizeof(r2), "mask2", "TRANSFORM", "WRITE", "MASK",
       "\"tags\":[\"PII\"]");
  register_visit(NULL, domain_rules(rs, sizeof(rs), r1, r2, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error), KAVRO_OK);
  ck_assert_int_eq(seen.field_calls, 1); /* the note, once */
  kavro_serializer_destroy(ser);
  kavro_buf_destroy(out);
  kavro_conf_destroy(conf);
}
END_TEST

/* A field condition that fails names the field's path; one on a field
 * without the rule's tags is not asked. */
START_TEST(field_condition_path) {
  char r[256], rs[512];
  register_visit(NULL, domain_rules(rs, sizeof(rs),
                                    rule(r, sizeof(r), "noPhoneNumbers",
                                         "CONDITION", "WRITE", "DIGITS",
                                         "\"tags\":[\"PII\"]"),
                                    NULL, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error), KAVRO_ERR_RULE);
  ck_assert_str_eq(error.path, "/note");
  ck_assert_msg(strstr(error.text, "noPhoneNumbers") &&
                    strstr(error.text, "/note"),
                "%s", error.text);
  /* The id "v-2" holds a digit but carries no PII tag; the note is null. */
  ck_assert_msg(write_visit(ser, visit_negative, out, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST


/* Fields reached through arrays, maps and nested records: a transform
 * runs on each item; a tag on a record field reaches its untagged
 * primitive fields (Java's enterField() keeps the enclosing context); a
 * failed condition on an array item does not fail the rule (as in Java)
 * while one on a nested record's field does. */
static const char crew_text[] =
    "{\"type\":\"record\",\"name\":\"Crew\",\"namespace\":\"fs\","
    "\"fields\":["
    "{\"name\":\"phones\",\"type\":{\"type\":\"array\",\"items\":"
    "\"string\"},\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"emails\",\"type\":{\"type\":\"map\",\"values\":"
    "\"string\"},\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"lead\",\"type\":{\"type\":\"record\",\"name\":"
    "\"Person\",\"fields\":[{\"name\":\"phone\",\"type\":\"string\"}]},"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"code\",\"type\":\"string\"}]}";

static kavro_err_t write_crew(kavro_serializer_t *ser, const char *json,
                              kavro_buf_t *out, json_t **plainp,
                              kavro_error_t *error) {
  kavro_schema_t *schema = kt_parse(crew_text);
  kt_value_t v;
  kt_value_from_json(&v, schema, json);
  kavro_err_t err = kavro_serializer_serialize(ser, "crews", false, schema,
                                               &v.value, out, error);
  if (err == KAVRO_OK && plainp) {
    kavro_decoder_t *decoder = kavro_decoder_new(NULL);
    kt_value_t back;
    kt_value_init(&back, schema);
    ck_assert_int_eq(kavro_decode(decoder, schema, kavro_buf_data(out) + 5,
                                  kavro_buf_length(out) - 5, &back.value,
                                  NULL, error),
                     KAVRO_OK);
    *plainp = kt_value_plain(schema, &back.value);
    kt_value_free(&back);
    kavro_decoder_destroy(decoder);
  }
  kt_value_free(&v);
  kavro_schema_destroy(schema);
  return err;
}

START_TEST(fields_in_collections) {
  static const char crew[] =
      "{\"phones\":[\"555-1\",\"555-2\"],\"emails\":{\"a\":\"x@y\"},"
      "\"lead\":{\"phone\":\"555-3\"},\"code\":\"c1\"}";
  char r[256], rs[512];
  kt_register_contract(reg, "crews-value", crew_text, NULL,
                       domain_rules(rs, sizeof(rs),
                                    rule(r, sizeof(r), "maskPii", "TRANSFORM",
                                         "WRITE", "MASK", "\"tags\":[\"PII\"]"),
                                    NULL, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  json_t *plain = NULL;
  ck_assert_msg(write_crew(ser, crew, out, &plain, &error) == KAVRO_OK, "%s",
                error.text);
  char *text = json_dumps(plain, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_str_eq(text, "{\"code\":\"c1\",\"emails\":{\"a\":\"***\"},"
                         "\"lead\":{\"phone\":\"***\"},\"phones\":"
                         "[\"***\",\"***\"]}");
  free(text);
  json_decref(plain);
  ck_assert_int_eq(seen.field_calls, 4);
  /* the lead's context: Person.phone has no tag of its own */
  ck_assert_str_eq(seen.field_full_name, "fs.Crew.lead");
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);

  kt_register_contract(reg, "crews-value", crew_text, NULL,
                       domain_rules(rs, sizeof(rs),
                                    rule(r, sizeof(r), "noDigits", "CONDITION",
                                         "WRITE", "DIGITS", "\"tags\":[\"PII\"]"),
                                    NULL, NULL));
  conf = rules_conf();
  conf_set(conf, "use.latest.version", "true"); /* the version just made */
  ser = serializer_with(conf);
  static const char listed[] =
      "{\"phones\":[\"555-1\"],\"emails\":{},\"lead\":{\"phone\":\"none\"},"
      "\"code\":\"c1\"}";
  ck_assert_msg(write_crew(ser, listed, out, NULL, &error) == KAVRO_OK, "%s",
                error.text);
  ck_assert_int_eq(write_crew(ser, crew, out, NULL, &error), KAVRO_ERR_RULE);
  ck_assert_str_eq(error.path, "/lead/phone");
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* metadata.tags paths as Java's WildcardMatcher reads them: `**` crosses
 * dots, `*` does not, `?` is one character. */
START_TEST(metadata_tag_wildcards) {
  static const char crew[] =
      "{\"phones\":[\"555-1\"],\"emails\":{\"a\":\"x@y\"},"
      "\"lead\":{\"phone\":\"555-3\"},\"code\":\"c1\"}";
  char r[256], rs[512];
  kt_register_contract(
      reg, "crews-value", crew_text,
      "{\"tags\":{\"**.phone\":[\"T\"],\"fs.*\":[\"T\"],"
      "\"fs.Crew.c?de\":[\"T\"]}}",
      domain_rules(rs, sizeof(rs),
                   rule(r, sizeof(r), "maskT", "TRANSFORM", "WRITE", "MASK",
                        "\"tags\":[\"T\"]"),
                   NULL, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  json_t *plain = NULL;
  ck_assert_msg(write_crew(ser, crew, out, &plain, &error) == KAVRO_OK, "%s",
                error.text);
  char *text = json_dumps(plain, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_str_eq(text, "{\"code\":\"***\",\"emails\":{\"a\":\"x@y\"},"
                         "\"lead\":{\"phone\":\"***\"},\"phones\":"
                         "[\"555-1\"]}");
  free(text);
  json_decref(plain);
  ck_assert_int_eq(seen.field_calls, 2);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* ---- refusals --------------------------------------------------------------------------- */

/* A rule whose type has no executor still refuses (naming rule, kind and
 * type), on write and on read, unless its onFailure is NONE; an encoding
 * rule refuses. */
START_TEST(unexecutable_refused) {
  char r[256], rs[512];
  register_visit(NULL, domain_rules(rs, sizeof(rs),
                                    rule(r, sizeof(r), "checkSsn", "CONDITION",
                                         "WRITEREAD", "JSONATA",
                                         "\"expr\":\"$\""),
                                    NULL, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error),
                   KAVRO_ERR_UNSUPPORTED);
  ck_assert_msg(strstr(error.text, "rule \"checkSsn\" (CONDITION, JSONATA) "
                                   "cannot be executed: no executor for type "
                                   "JSONATA"),
                "%s", error.text);
  kavro_serializer_destroy(ser);
  conf_set(conf, "rule.executors._JSONATA_.onFailure", "NONE");
  ser = serializer_with(conf);
  ck_assert_msg(write_visit(ser, visit_ok, out, &error) == KAVRO_OK, "%s",
                error.text);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
  /* Read: a deserializer without that override refuses the frame, and
   * kavro_deserializer_unframe() too. */
  conf = rules_conf();
  kavro_deserializer_t *des = deserializer_with(conf);
  ck_assert_int_eq(read_visit(des, out, NULL, NULL, 0, &error),
                   KAVRO_ERR_UNSUPPORTED);
  kavro_deserializer_frame_t f;
  ck_assert_int_eq(kavro_deserializer_unframe(des, TOPIC, false, NULL, 0,
                                              kavro_buf_data(out),
                                              kavro_buf_length(out), &f,
                                              &error),
                   KAVRO_ERR_UNSUPPORTED);
  ck_assert_ptr_null(f.reader);
  kavro_deserializer_destroy(des);
  kavro_conf_destroy(conf);
  kavro_buf_destroy(out);
}
END_TEST

START_TEST(encoding_rule_refused) {
  register_visit(NULL, "{\"encodingRules\":[{\"name\":\"enc\",\"kind\":"
                       "\"TRANSFORM\",\"mode\":\"WRITEREAD\",\"type\":"
                       "\"STAMP\"}]}");
  kavro_conf_t *conf = rules_conf();
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error),
                   KAVRO_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(error.text, "encoding rule"));
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

/* ---- typed records ---------------------------------------------------------------------- */

static kavro_str_t str(const char *s) {
  return (kavro_str_t){s, strlen(s)};
}

/* Typed records run the same rules: a field transform (metadata tags:
 * the type's schema has no inline tags) changes the bytes written; a READ
 * condition refuses a typed read; a READ transform changes the record. */
/* A typed serializer and deserializer over the conf @conf (taken). */
typedef struct typed_case_s {
  kavro_conf_t *conf;
  kavro_serializer_t *ser;
  kavro_deserializer_t *des;
  kavro_typed_serializer_t *ts;
  kavro_typed_deserializer_t *td;
  kavro_buf_t *out;
  kavro_arena_t *arena;
} typed_case_t;

static void typed_open(typed_case_t *c, kavro_conf_t *conf) {
  kavro_error_t error;
  c->conf = conf;
  c->ser = serializer_with(conf);
  c->des = deserializer_with(conf);
  c->ts = kavro_typed_serializer_new(c->ser, &error);
  c->td = kavro_typed_deserializer_new(c->des, &error);
  ck_assert(c->ts && c->td);
  c->out = kavro_buf_new(0, 0);
  c->arena = kavro_arena_new(0, 0);
}

static void typed_close(typed_case_t *c) {
  kavro_arena_destroy(c->arena);
  kavro_buf_destroy(c->out);
  kavro_typed_deserializer_destroy(c->td);
  kavro_typed_serializer_destroy(c->ts);
  kavro_deserializer_destroy(c->des);
  kavro_serializer_destroy(c->ser);
  kavro_conf_destroy(c->conf);
}

START_TEST(typed_records) {
  char r1[256], r2[256], r3[256], rs[1024];
  rule(r1, sizeof(r1), "maskNote", "TRANSFORM", "WRITE", "MASK",
       "\"tags\":[\"PII\"]");
  rule(r2, sizeof(r2), "stampOnRead", "TRANSFORM", "READ", "STAMP", NULL);
  rule(r3, sizeof(r3), "minutesOnRead", "CONDITION", "READ", "COND", NULL);
  kt_register_contract(
      reg, SUBJECT, evo1_visit_type.schema_text,
      "{\"tags\":{\"com.example.evolution.Visit.note\":[\"PII\"]}}",
      domain_rules(rs, sizeof(rs), r1, r2, r3));
  typed_case_t c;
  typed_open(&c, rules_conf());
  kavro_typed_serializer_t *ts = c.ts;
  kavro_typed_deserializer_t *td = c.td;
  kavro_buf_t *out = c.out;
  kavro_arena_t *arena = c.arena;
  kavro_error_t error;
  evo1_visit_t visit = {str("t-1"), 12, EVO1_OUTCOME_LATER, true,
                        str("call 555"), str("old")};
  for (int round = 0; round < 2; round++) {
    ck_assert_msg(kavro_typed_serialize(ts, TOPIC, false, &evo1_visit_type,
                                        &visit, out, &error) == KAVRO_OK,
                  "%s", error.text);
    ck_assert_int_eq(seen.field_calls, round + 1);
  }
  ck_assert_str_eq(visit.note.data, "call 555"); /* the caller's record */
  evo1_visit_t back;
  ck_assert_msg(kavro_typed_deserialize(td, TOPIC, false, &evo1_visit_type,
                                        NULL, 0, kavro_buf_data(out),
                                        kavro_buf_length(out), arena, &back,
                                        NULL, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq((int)back.note.length, 3);
  ck_assert_int_eq(memcmp(back.note.data, "***", 3), 0);
  ck_assert_int_eq((int)back.legacy.length, 15);
  ck_assert_int_eq(memcmp(back.legacy.data, "old+stampOnRead", 15), 0);
  ck_assert_str_eq(seen.trace, "minutesOnRead,stampOnRead");
  /* A negative duration is refused on read. */
  visit.minutes = -1;
  ck_assert_int_eq(kavro_typed_serialize(ts, TOPIC, false, &evo1_visit_type,
                                         &visit, out, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_typed_deserialize(td, TOPIC, false, &evo1_visit_type,
                                           NULL, 0, kavro_buf_data(out),
                                           kavro_buf_length(out), arena, &back,
                                           NULL, &error),
                   KAVRO_ERR_RULE);
  ck_assert_ptr_nonnull(strstr(error.text, "minutesOnRead"));
  typed_close(&c);
}
END_TEST

/* Field encryption on typed records: the same serializer and deserializer
 * as generic values, so the ENCRYPT rule seals the note on the way out
 * and opens it on the way in. */
START_TEST(typed_records_encrypted) {
  kt_register_contract(
      reg, SUBJECT, evo1_visit_type.schema_text,
      "{\"tags\":{\"com.example.evolution.Visit.note\":[\"PII\"]}}",
      "{\"domainRules\":[{\"name\":\"sealNote\",\"kind\":\"TRANSFORM\","
      "\"mode\":\"WRITEREAD\",\"type\":\"ENCRYPT\",\"tags\":[\"PII\"],"
      "\"params\":{\"encrypt.kek.name\":\"visits\",\"encrypt.kms.type\":"
      "\"local-kms\",\"encrypt.kms.key.id\":\"k\"}}]}");
  kavro_conf_t *conf = kavro_conf_new();
  conf_set(conf, "rule.executors._default_.param.secret", "typed-secret");
  typed_case_t c;
  typed_open(&c, conf);
  kavro_error_t error;
  evo1_visit_t visit = {str("t-1"), 12, EVO1_OUTCOME_LATER, true,
                        str("call 555"), str("old")};
  ck_assert_msg(kavro_typed_serialize(c.ts, TOPIC, false, &evo1_visit_type,
                                      &visit, c.out, &error) == KAVRO_OK,
                "%s", error.text);
  char note[256];
  frame_field(c.out, "note", note, sizeof(note));
  ck_assert_msg(strlen(note) > 24 && strstr(note, "555") == NULL, "%s", note);
  evo1_visit_t back;
  ck_assert_msg(kavro_typed_deserialize(c.td, TOPIC, false, &evo1_visit_type,
                                        NULL, 0, kavro_buf_data(c.out),
                                        kavro_buf_length(c.out), c.arena,
                                        &back, NULL, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq((int)back.note.length, 8);
  ck_assert_int_eq(memcmp(back.note.data, "call 555", 8), 0);
  typed_close(&c);
}
END_TEST

/* Warm, a typed record's body is rewritten in one pass: under AES-SIV the
 * frames equal the first one, written on the generic path while the key
 * was fetched, and read back. */
START_TEST(typed_records_encrypted_warm) {
  kt_register_contract(
      reg, SUBJECT, evo1_visit_type.schema_text,
      "{\"tags\":{\"com.example.evolution.Visit.note\":[\"PII\"],"
      "\"com.example.evolution.Visit.legacy\":[\"PII\"]}}",
      "{\"domainRules\":[{\"name\":\"sealNote\",\"kind\":\"TRANSFORM\","
      "\"mode\":\"WRITEREAD\",\"type\":\"ENCRYPT\",\"tags\":[\"PII\"],"
      "\"params\":{\"encrypt.kek.name\":\"visits\",\"encrypt.kms.type\":"
      "\"local-kms\",\"encrypt.kms.key.id\":\"k\","
      "\"encrypt.dek.algorithm\":\"AES256_SIV\"}}]}");
  kavro_conf_t *conf = kavro_conf_new();
  conf_set(conf, "rule.executors._default_.param.secret", "typed-secret");
  typed_case_t c;
  typed_open(&c, conf);
  kavro_error_t error;
  evo1_visit_t visit = {str("t-1"), 12, EVO1_OUTCOME_LATER, true,
                        str("call 555"), str("")};
  kavro_buf_t *first = kavro_buf_new(0, 0);
  for (int round = 0; round < 3; round++) {
    kavro_buf_t *out = round ? c.out : first;
    ck_assert_msg(kavro_typed_serialize(c.ts, TOPIC, false, &evo1_visit_type,
                                        &visit, out, &error) == KAVRO_OK,
                  "%s", error.text);
    ck_assert(kavro_buf_length(out) == kavro_buf_length(first) &&
              memcmp(kavro_buf_data(out), kavro_buf_data(first),
                     kavro_buf_length(out)) == 0);
    evo1_visit_t back;
    ck_assert_msg(kavro_typed_deserialize(c.td, TOPIC, false,
                                          &evo1_visit_type, NULL, 0,
                                          kavro_buf_data(out),
                                          kavro_buf_length(out), c.arena,
                                          &back, NULL, &error) == KAVRO_OK,
                  "%s", error.text);
    ck_assert_int_eq((int)back.note.length, 8);
    ck_assert_int_eq(memcmp(back.note.data, "call 555", 8), 0);
    ck_assert_int_eq((int)back.legacy.length, 0);
  }
  kavro_buf_destroy(first);
  typed_close(&c);
}
END_TEST

/* ---- migrations ---------------------------------------------------------------------------- */

static const char mig_v1[] =
    "{\"type\":\"record\",\"name\":\"Job\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"mins\",\"type\":"
    "\"int\"}]}";
static const char mig_v2[] =
    "{\"type\":\"record\",\"name\":\"Job\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"minutes\",\"type\":"
    "\"int\",\"default\":0}]}";

/* A JSONATA stand-in: renames `mins` to `minutes` (UPGRADE) or back. */
static kavro_err_t rename_field(void *opaque, const kavro_rule_ctx_t *ctx,
                                const char *json, char **result, bool *passed,
                                kavro_error_t *error) {
  (void)opaque;
  (void)passed;
  (void)error;
  trace(ctx);
  bool up = kavro_rule_ctx_mode(ctx) == KAVRO_RULE_UPGRADE;
  json_t *doc = json_loads(json, 0, NULL);
  ck_assert_ptr_nonnull(doc);
  const char *from = up ? "mins" : "minutes", *to = up ? "minutes" : "mins";
  json_object_set(doc, to, json_object_get(doc, from));
  json_object_del(doc, from);
  *result = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  return KAVRO_OK;
}

/* A consumer reading v1 data as the latest version (v2) runs v2's
 * UPGRADE migration rule: refused without an executor, run with one. */
START_TEST(migration_rules) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_put_config(reg, "jobs-value",
                                             "{\"compatibility\":\"NONE\"}",
                                             NULL, &error),
                   KAVRO_OK);
  kt_register_contract(reg, "jobs-value", mig_v1, NULL, NULL);
  kavro_conf_t *plain = kavro_conf_new();
  kavro_serializer_t *ser = serializer_with(plain);
  kavro_schema_t *v1 = kt_parse(mig_v1);
  kt_value_t v;
  kt_value_from_json(&v, v1, "{\"id\":\"j-1\",\"mins\":42}");
  kavro_buf_t *out = kavro_buf_new(0, 0);
  ck_assert_msg(kavro_serializer_serialize(ser, "jobs", false, v1, &v.value,
                                           out, &error) == KAVRO_OK,
                "%s", error.text);
  kt_register_contract(reg, "jobs-value", mig_v2, NULL,
                       "{\"migrationRules\":[{\"name\":\"renameMins\","
                       "\"kind\":\"TRANSFORM\",\"mode\":\"UPGRADE\","
                       "\"type\":\"JSONATA\",\"expr\":\"$merge(...)\"}]}");
  kavro_conf_t *conf = kavro_conf_new();
  conf_set(conf, "use.latest.version", "true");
  kavro_deserializer_t *des = deserializer_with(conf);
  kavro_deserialized_t msg;
  ck_assert_int_eq(kavro_deserializer_deserialize(
                       des, "jobs", false, NULL, 0, kavro_buf_data(out),
                       kavro_buf_length(out), &msg, &error),
                   KAVRO_ERR_UNSUPPORTED);
  ck_assert_msg(strstr(error.text, "renameMins") &&
                    strstr(error.text, "migration"),
                "%s", error.text);
  kavro_deserializer_destroy(des);
  kavro_rule_executor_t jsonata = {.migrate = rename_field};
  add_executor(conf, "JSONATA", NULL, &jsonata);
  des = deserializer_with(conf);
  ck_assert_msg(kavro_deserializer_deserialize(
                    des, "jobs", false, NULL, 0, kavro_buf_data(out),
                    kavro_buf_length(out), &msg, &error) == KAVRO_OK,
                "%s", error.text);
  json_t *plain_value = kt_value_plain(msg.schema, msg.value);
  ck_assert_int_eq(json_integer_value(json_object_get(plain_value, "minutes")),
                   42);
  json_decref(plain_value);
  ck_assert_str_eq(seen.trace, "renameMins");
  kavro_deserializer_destroy(des);
  kavro_conf_destroy(conf);
  kt_value_free(&v);
  kavro_schema_destroy(v1);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(plain);
}
END_TEST


/* A consumer reading v2 data as v1 (chosen by use.latest.with.metadata)
 * runs v2's DOWNGRADE rule, from v2 into v1. */
START_TEST(migration_downgrade) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_put_config(reg, "jobs-value",
                                             "{\"compatibility\":\"NONE\"}",
                                             NULL, &error),
                   KAVRO_OK);
  kt_register_contract(reg, "jobs-value", mig_v1,
                       "{\"properties\":{\"major\":\"1\"}}", NULL);
  kt_register_contract(reg, "jobs-value", mig_v2,
                       "{\"properties\":{\"major\":\"2\"}}",
                       "{\"migrationRules\":[{\"name\":\"renameBack\","
                       "\"kind\":\"TRANSFORM\",\"mode\":\"DOWNGRADE\","
                       "\"type\":\"JSONATA\"}]}");
  kavro_conf_t *wconf = kavro_conf_new();
  conf_set(wconf, "use.latest.version", "true");
  kavro_serializer_t *ser = serializer_with(wconf);
  kavro_schema_t *v2 = kt_parse(mig_v2);
  kt_value_t v;
  kt_value_from_json(&v, v2, "{\"id\":\"j-2\",\"minutes\":7}");
  kavro_buf_t *out = kavro_buf_new(0, 0);
  ck_assert_msg(kavro_serializer_serialize(ser, "jobs", false, v2, &v.value,
                                           out, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_conf_t *conf = kavro_conf_new();
  conf_set(conf, "use.latest.with.metadata", "major=1");
  kavro_rule_executor_t jsonata = {.migrate = rename_field};
  add_executor(conf, "JSONATA", NULL, &jsonata);
  kavro_deserializer_t *des = deserializer_with(conf);
  kavro_deserialized_t msg;
  ck_assert_msg(kavro_deserializer_deserialize(
                    des, "jobs", false, NULL, 0, kavro_buf_data(out),
                    kavro_buf_length(out), &msg, &error) == KAVRO_OK,
                "%s", error.text);
  json_t *plain = kt_value_plain(msg.schema, msg.value);
  ck_assert_int_eq(json_integer_value(json_object_get(plain, "mins")), 7);
  json_decref(plain);
  ck_assert_str_eq(seen.trace, "renameBack");
  kavro_deserializer_destroy(des);
  kavro_conf_destroy(conf);
  kt_value_free(&v);
  kavro_schema_destroy(v2);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(wconf);
}
END_TEST

/* ---- the DLQ action over librdkafka's mock cluster ------------------------------------ */

static rd_kafka_t *kafka_new(rd_kafka_type_t type, const char *bootstraps,
                             const char *const *settings) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  char errstr[256];
  const char *base[] = {"log_level", "3", NULL};
  for (const char *const *kv = base; *kv; kv += 2)
    rd_kafka_conf_set(conf, kv[0], kv[1], errstr, sizeof(errstr));
  if (bootstraps)
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr,
                      sizeof(errstr));
  for (const char *const *kv = settings; kv && *kv; kv += 2)
    ck_assert_int_eq(rd_kafka_conf_set(conf, kv[0], kv[1], errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
  rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
  ck_assert_msg(rk != NULL, "%s", errstr);
  return rk;
}

static char *header(rd_kafka_headers_t *headers, const char *name) {
  const void *value;
  size_t size;
  if (rd_kafka_header_get_last(headers, name, &value, &size))
    return strdup("(none)");
  return strndup(value, size);
}

/* A record the serde is handed: key "k-7", one header of its own. */
static const kavro_header_t record_headers[] = {{"trace", "t-1", 3}};

static kavro_record_t record_new(void) {
  kavro_record_t record = {"k-7", 3, record_headers, 1, false};
  return record;
}

/* A rule with onFailure DLQ writes the refused message to `dlq.topic`
 * with the record's key and headers and Java's headers after them, then
 * the call fails naming the rule (class permanent) and says it
 * dead-lettered the message; on read, the payload as it came goes there. */
START_TEST(dlq_action) {
  const char *mock_settings[] = {"test.mock.num.brokers", "1", NULL};
  rd_kafka_t *host = kafka_new(RD_KAFKA_PRODUCER, NULL, mock_settings);
  rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(host);
  const char *bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  ck_assert_int_eq(rd_kafka_mock_topic_create(cluster, "visits.dlq", 1, 1), 0);
  rd_kafka_t *producer = kafka_new(RD_KAFKA_PRODUCER, bootstraps, NULL);
  char r[256], rs[512];
  register_visit(NULL, domain_rules(rs, sizeof(rs),
                                    rule(r, sizeof(r), "minutesNotNegative",
                                         "CONDITION", "WRITEREAD", "COND",
                                         "\"onFailure\":\"DLQ\""),
                                    NULL, NULL));
  kavro_conf_t *conf = rules_conf();
  kavro_error_t error;
  conf_set(conf, "dlq.topic", "visits.dlq");
  conf_set(conf, "dlq.auto.flush", "true");
  ck_assert_int_eq(kavro_kafka_dlq_action_add(conf, producer, &error),
                   KAVRO_OK);
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_record_t record = record_new();
  kavro_serializer_set_record(ser, &record);
  ck_assert_int_eq(write_visit(ser, visit_negative, out, &error),
                   KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "rule \"minutesNotNegative\" failed, "
                                   "action DLQ: the message went to topic "
                                   "visits.dlq"),
                "%s", error.text);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  ck_assert(record.dead_lettered);
  kavro_serializer_set_record(ser, NULL);
  /* Read: a frame written before the rule set (by hand) goes as it is. */
  kavro_conf_t *none = kavro_conf_new();
  conf_set(none, "rule.executors._default_.disabled", "true");
  kavro_serializer_t *lax = serializer_with(none);
  ck_assert_int_eq(write_visit(lax, visit_negative, out, &error), KAVRO_OK);
  kavro_deserializer_t *des = deserializer_with(conf);
  record = record_new();
  kavro_deserializer_set_record(des, &record);
  ck_assert_int_eq(read_visit(des, out, NULL, NULL, 0, &error),
                   KAVRO_ERR_RULE);
  ck_assert(record.dead_lettered);
  /* Without a record: sent without key or headers of its own. */
  kavro_deserializer_set_record(des, NULL);
  ck_assert_int_eq(read_visit(des, out, NULL, NULL, 0, &error),
                   KAVRO_ERR_RULE);
  /* Not flushed: queued only, so not dead-lettered (a consumer must not
   * store the offset of a record whose dead letter may still be lost). */
  ck_assert_int_eq(rd_kafka_mock_topic_create(cluster, "visits.queued", 1, 1),
                   0);
  kavro_conf_t *queued = rules_conf();
  conf_set(queued, "dlq.topic", "visits.queued");
  ck_assert_int_eq(kavro_kafka_dlq_action_add(queued, producer, &error),
                   KAVRO_OK);
  kavro_deserializer_t *queued_des = deserializer_with(queued);
  record = record_new();
  kavro_deserializer_set_record(queued_des, &record);
  ck_assert_int_eq(read_visit(queued_des, out, NULL, NULL, 0, &error),
                   KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "the message went to topic visits.queued"),
                "%s", error.text);
  ck_assert(!record.dead_lettered);
  kavro_deserializer_destroy(queued_des);
  kavro_conf_destroy(queued);

  const char *consumer_settings[] = {"group.id", "rules-dlq",
                                     "auto.offset.reset", "earliest", NULL};
  rd_kafka_t *consumer =
      kafka_new(RD_KAFKA_CONSUMER, bootstraps, consumer_settings);
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t *topics =
      rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "visits.dlq",
                                    RD_KAFKA_PARTITION_UA);
  ck_assert_int_eq(rd_kafka_subscribe(consumer, topics), 0);
  rd_kafka_topic_partition_list_destroy(topics);
  int got = 0;
  for (int tries = 0; got < 3 && tries < 300; tries++) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 100);
    if (!m)
      continue;
    if (m->err) {
      rd_kafka_message_destroy(m);
      continue;
    }
    rd_kafka_headers_t *headers = NULL;
    ck_assert_int_eq(rd_kafka_message_headers(m, &headers), 0);
    char *name = header(headers, "__rule.name");
    char *mode = header(headers, "__rule.mode");
    char *subject = header(headers, "__rule.subject");
    char *topic = header(headers, "__rule.topic");
    char *exception = header(headers, "__rule.exception");
    ck_assert_str_eq(name, "minutesNotNegative");
    ck_assert_str_eq(mode, got == 0 ? "WRITE" : "READ");
    /* The record's key and headers, the rule's headers after them. */
    const char *first_name;
    const void *first_value;
    size_t first_size;
    ck_assert_int_eq(rd_kafka_header_get_all(headers, 0, &first_name,
                                             &first_value, &first_size),
                     0);
    if (got < 2) {
      ck_assert_int_eq(m->key_len, 3);
      ck_assert_int_eq(memcmp(m->key, "k-7", 3), 0);
      ck_assert_str_eq(first_name, "trace");
      ck_assert_int_eq(first_size, 3);
      ck_assert_int_eq(memcmp(first_value, "t-1", 3), 0);
      ck_assert_int_eq(rd_kafka_header_cnt(headers), 6);
    } else {
      ck_assert_ptr_null(m->key);
      ck_assert_str_eq(first_name, "__rule.name");
      ck_assert_int_eq(rd_kafka_header_cnt(headers), 5);
    }
    ck_assert_str_eq(subject, SUBJECT);
    ck_assert_str_eq(topic, TOPIC);
    ck_assert_str_eq(exception, "Condition failed: 'minutesNotNegative'");
    if (got == 0) /* the value's Avro JSON */
      ck_assert_ptr_nonnull(strstr((const char *)m->payload, "\"v-2\""));
    else /* the payload as it came */
      ck_assert_int_eq(memcmp(m->payload, kavro_buf_data(out), m->len), 0);
    free(name);
    free(mode);
    free(subject);
    free(topic);
    free(exception);
    rd_kafka_message_destroy(m);
    got++;
  }
  ck_assert_int_eq(got, 3);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  kavro_deserializer_destroy(des);
  kavro_serializer_destroy(lax);
  kavro_conf_destroy(none);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
  rd_kafka_destroy(producer);
  rd_kafka_destroy(host);
}
END_TEST

/* Read @frame as a message of a record whose headers are @names and
 * @values (@n of them, in order). */
static kavro_err_t read_with_headers(kavro_deserializer_t *des,
                                     const kavro_buf_t *frame,
                                     const char *const *names,
                                     const char *const *values, size_t n,
                                     kavro_error_t *error) {
  kavro_header_t headers[4];
  ck_assert_uint_le(n, 4);
  for (size_t i = 0; i < n; i++)
    headers[i] = (kavro_header_t){names[i], values[i], strlen(values[i])};
  kavro_record_t record = {NULL, 0, headers, n, false};
  kavro_deserializer_set_record(des, &record);
  kavro_err_t err = read_visit(des, frame, NULL, NULL, 0, error);
  kavro_deserializer_set_record(des, NULL);
  return err;
}

/* A message whose last `__rule.name` header names a rule (it came from a
 * DLQ that rule wrote) is read without that rule, as the Confluent
 * deserializers do; the rule still runs for any other name, when the
 * header is not the last of its name, and without a record.  The same
 * on write. */
START_TEST(dlq_replay_skips_rule) {
  char r[256], rs[512];
  register_visit(NULL, domain_rules(rs, sizeof(rs),
                                    rule(r, sizeof(r), "minutesNotNegative",
                                         "CONDITION", "WRITEREAD", "COND",
                                         NULL),
                                    NULL, NULL));
  kavro_conf_t *none = kavro_conf_new();
  conf_set(none, "rule.executors._default_.disabled", "true");
  kavro_serializer_t *lax = serializer_with(none);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_visit(lax, visit_negative, frame, &error), KAVRO_OK);
  kavro_conf_t *conf = rules_conf();
  kavro_deserializer_t *des = deserializer_with(conf);
  const char *name[] = {KAVRO_RULE_HEADER_NAME, KAVRO_RULE_HEADER_NAME};
  const char *skip[] = {"minutesNotNegative"};
  ck_assert_msg(read_with_headers(des, frame, name, skip, 1, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  const char *other[] = {"minutesNotNegativ"};
  ck_assert_int_eq(read_with_headers(des, frame, name, other, 1, &error),
                   KAVRO_ERR_RULE);
  const char *older[] = {"minutesNotNegative", "another"};
  ck_assert_int_eq(read_with_headers(des, frame, name, older, 2, &error),
                   KAVRO_ERR_RULE);
  const char *newer[] = {"another", "minutesNotNegative"};
  ck_assert_int_eq(read_with_headers(des, frame, name, newer, 2, &error),
                   KAVRO_OK);
  const char *trace_name[] = {"trace"};
  ck_assert_int_eq(read_with_headers(des, frame, trace_name, skip, 1, &error),
                   KAVRO_ERR_RULE);
  ck_assert_int_eq(read_visit(des, frame, NULL, NULL, 0, &error),
                   KAVRO_ERR_RULE);
  /* Write: a record carrying the header is written past the rule. */
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_header_t header = {KAVRO_RULE_HEADER_NAME, "minutesNotNegative", 18};
  kavro_record_t record = {NULL, 0, &header, 1, false};
  kavro_serializer_set_record(ser, &record);
  ck_assert_msg(write_visit(ser, visit_negative, frame, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_serializer_set_record(ser, NULL);
  ck_assert_int_eq(write_visit(ser, visit_negative, frame, &error),
                   KAVRO_ERR_RULE);
  kavro_serializer_destroy(ser);
  kavro_deserializer_destroy(des);
  kavro_conf_destroy(conf);
  kavro_buf_destroy(frame);
  kavro_serializer_destroy(lax);
  kavro_conf_destroy(none);
}
END_TEST

/* ---- the built-in CEL executors ------------------------------------------------ */

/* Register the Visit with one rule of @type and @expr (and @tag, @params:
 * a JSON object, when not NULL) under SUBJECT. */
static void register_cel(const char *name, const char *kind, const char *mode,
                         const char *type, const char *expr, const char *tag,
                         const char *params) {
  json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", name, "kind", kind,
                        "mode", mode, "type", type, "expr", expr);
  if (tag)
    json_object_set_new(r, "tags", json_pack("[s]", tag));
  if (params)
    json_object_set_new(r, "params", json_loads(params, 0, NULL));
  json_t *set = json_pack("{s:[o]}", "domainRules", r);
  char *text = json_dumps(set, JSON_COMPACT);
  register_visit(NULL, text);
  free(text);
  json_decref(set);
}

/* A CEL test's state: a conf without executors of its own (the built-in
 * ones run), a serializer made with it, and a frame buffer. */
typedef struct cel_case_s {
  kavro_conf_t *conf;
  kavro_serializer_t *ser;
  kavro_buf_t *out;
  kavro_error_t error;
} cel_case_t;

static void cel_open(cel_case_t *c) {
  c->conf = kavro_conf_new();
  c->ser = serializer_with(c->conf);
  c->out = kavro_buf_new(0, 0);
}

/* Register a next version of the Visit with one rule (register_cel()'s
 * arguments), and serialize with the subject's latest version from now
 * on. */
static void cel_next_version(cel_case_t *c, const char *name,
                             const char *kind, const char *type,
                             const char *expr, const char *tag,
                             const char *params) {
  register_cel(name, kind, "WRITE", type, expr, tag, params);
  conf_set(c->conf, "use.latest.version", "true");
  kavro_serializer_destroy(c->ser);
  c->ser = serializer_with(c->conf);
}

/* Serialize the Visit @json. */
static kavro_err_t cel_write(cel_case_t *c, const char *json) {
  return write_visit(c->ser, json, c->out, &c->error);
}

static void cel_close(cel_case_t *c) {
  kavro_buf_destroy(c->out);
  kavro_serializer_destroy(c->ser);
  kavro_conf_destroy(c->conf);
}

/* A CEL condition over the message: true passes, false refuses with
 * Java's cause naming the expression; compiled once (no request and no
 * new compile on the warm path). */
START_TEST(cel_condition) {
  register_cel("minutesNotNegative", "CONDITION", "WRITE", "CEL",
               "message.minutes >= 0 && message.outcome in ['YES', 'NO']",
               NULL, NULL);
  cel_case_t c;
  cel_open(&c);
  ck_assert_msg(cel_write(&c, visit_ok) == KAVRO_OK, "%s", c.error.text);
  uint64_t before = kt_requests(reg);
  ck_assert_int_eq(cel_write(&c, visit_negative), KAVRO_ERR_RULE);
  ck_assert_uint_eq(kt_requests(reg), before);
  ck_assert_msg(strstr(c.error.text, "rule \"minutesNotNegative\" "
                                     "(CONDITION, CEL) failed on WRITE") &&
                    strstr(c.error.text,
                           "Expr failed: 'message.minutes >= 0"),
                "%s", c.error.text);
  ck_assert_uint_eq(kavro_buf_length(c.out), 0);
  /* A result that is not a bool fails a CEL condition, as in Java. */
  cel_next_version(&c, "notBool", "CONDITION", "CEL", "message.id", NULL,
                   NULL);
  ck_assert_int_eq(cel_write(&c, visit_ok), KAVRO_ERR_RULE);
  cel_close(&c);
}
END_TEST

/* A READ condition runs in the deserializer only. */
START_TEST(cel_read_condition) {
  register_cel("minutesOnRead", "CONDITION", "READ", "CEL",
               "message.minutes >= 0", NULL, NULL);
  cel_case_t c;
  cel_open(&c);
  kavro_deserializer_t *des = deserializer_with(c.conf);
  kavro_buf_t *good = kavro_buf_new(0, 0);
  ck_assert_int_eq(write_visit(c.ser, visit_ok, good, &c.error), KAVRO_OK);
  ck_assert_int_eq(cel_write(&c, visit_negative), KAVRO_OK);
  ck_assert_int_eq(read_visit(des, good, NULL, NULL, 0, &c.error), KAVRO_OK);
  ck_assert_int_eq(read_visit(des, c.out, NULL, NULL, 0, &c.error),
                   KAVRO_ERR_RULE);
  ck_assert_msg(strstr(c.error.text, "failed on READ"), "%s", c.error.text);
  kavro_buf_destroy(good);
  kavro_deserializer_destroy(des);
  cel_close(&c);
}
END_TEST

/* The guard before ';' decides whether the body runs; with
 * cel.ignore.guard.separator the whole text is the expression (here one
 * that does not parse: every message fails the rule). */
START_TEST(cel_guard) {
  static const char expr[] = "message.outcome == 'NO'; message.minutes > 0";
  register_cel("laterOnly", "CONDITION", "WRITE", "CEL", expr, NULL, NULL);
  cel_case_t c;
  cel_open(&c);
  ck_assert_int_eq(cel_write(&c, visit_ok), KAVRO_OK);
  ck_assert_int_eq(cel_write(&c, visit_negative), KAVRO_ERR_RULE);
  cel_next_version(&c, "laterOnly", "CONDITION", "CEL", expr, NULL,
                   "{\"cel.ignore.guard.separator\":\"true\"}");
  ck_assert_int_eq(cel_write(&c, visit_ok), KAVRO_ERR_RULE);
  ck_assert_msg(strstr(c.error.text, "laterOnly"), "%s", c.error.text);
  cel_close(&c);
}
END_TEST

/* An expression that does not parse fails the rule per message, as Java's
 * compile error does: its onFailure action decides (NONE lets it pass). */
START_TEST(cel_syntax_error) {
  register_cel("broken", "CONDITION", "WRITE", "CEL", "message.minutes >=",
               NULL, NULL);
  cel_case_t c;
  cel_open(&c);
  ck_assert_int_eq(cel_write(&c, visit_ok), KAVRO_ERR_RULE);
  ck_assert_msg(strstr(c.error.text, "rule \"broken\""), "%s", c.error.text);
  kavro_serializer_destroy(c.ser);
  conf_set(c.conf, "rule.executors._CEL_.onFailure", "NONE");
  c.ser = serializer_with(c.conf);
  ck_assert_msg(cel_write(&c, visit_ok) == KAVRO_OK, "%s", c.error.text);
  cel_close(&c);
}
END_TEST

/* What the engine does not implement refuses the schema when it is first
 * met (never a verdict): an extension function. */
START_TEST(cel_unsupported_refused) {
  register_cel("upper", "CONDITION", "WRITE", "CEL",
               "math.greatest([size(message.id), 1]) == 3", NULL, NULL);
  cel_case_t c;
  cel_open(&c);
  ck_assert_int_eq(cel_write(&c, visit_ok), KAVRO_ERR_UNSUPPORTED);
  ck_assert_msg(strstr(c.error.text, "rule \"upper\" (CONDITION, CEL) "
                                     "cannot be executed") &&
                    strstr(c.error.text, "greatest"),
                "%s", c.error.text);
  cel_close(&c);
}
END_TEST

/* The frame @c wrote is the Visit @json. */
static void cel_wrote(const cel_case_t *c, const char *json) {
  json_t *plain = frame_plain(c->out), *want = json_loads(json, 0, NULL);
  char *got = json_dumps(plain, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_msg(json_equal(plain, want), "wrote %s", got);
  free(got);
  json_decref(want);
  json_decref(plain);
}

/* A CEL transform's result becomes the message written (Java's
 * CelExecutor and AvroResultWriter): `message` as it is, a map as the
 * record (a field it lacks from its default, other keys ignored); a
 * result that does not fit fails the rule at the path of the value at
 * fault, and onFailure decides. */
START_TEST(cel_message_transform) {
  register_cel("same", "TRANSFORM", "WRITE", "CEL", "message", NULL, NULL);
  cel_case_t c;
  cel_open(&c);
  ck_assert_msg(cel_write(&c, visit_ok) == KAVRO_OK, "%s", c.error.text);
  cel_wrote(&c, "{\"id\":\"v-1\",\"minutes\":30,\"outcome\":\"YES\","
                "\"note\":\"call 555-0100\",\"legacy\":\"old\"}");
  cel_next_version(&c, "rework", "TRANSFORM", "CEL",
                   "message.outcome == 'YES' ; {'id': message.id.upperAscii(), "
                   "'minutes': message.minutes + 15, 'outcome': 'LATER', "
                   "'legacy': message.legacy, 'audit': true}",
                   NULL, NULL);
  ck_assert_msg(cel_write(&c, visit_ok) == KAVRO_OK, "%s", c.error.text);
  cel_wrote(&c, "{\"id\":\"V-1\",\"minutes\":45,\"outcome\":\"LATER\","
                "\"note\":null,\"legacy\":\"old\"}");
  /* The guard false: the message as it is. */
  ck_assert_msg(cel_write(&c, visit_negative) == KAVRO_OK, "%s",
                c.error.text);
  cel_wrote(&c, "{\"id\":\"v-2\",\"minutes\":-5,\"outcome\":\"NO\","
                "\"note\":null,\"legacy\":\"old\"}");
  cel_next_version(&c, "noLegacy", "TRANSFORM", "CEL",
                   "{'id': message.id, 'minutes': 1, 'outcome': 'NO'}", NULL,
                   NULL);
  ck_assert_int_eq(cel_write(&c, visit_ok), KAVRO_ERR_RULE);
  ck_assert_str_eq(c.error.path, "/legacy");
  ck_assert_msg(strstr(c.error.text, "rule \"noLegacy\" (TRANSFORM, CEL) "
                                     "failed on WRITE at /legacy") &&
                    strstr(c.error.text, "no field \"legacy\""),
                "%s", c.error.text);
  cel_next_version(&c, "badMinutes", "TRANSFORM", "CEL",
                   "{'id': message.id, 'minutes': 'many', 'outcome': 'NO', "
                   "'legacy': ''}",
                   NULL, NULL);
  ck_assert_int_eq(cel_write(&c, visit_ok), KAVRO_ERR_RULE);
  ck_assert_str_eq(c.error.path, "/minutes");
  ck_assert_msg(strstr(c.error.text, "string does not fit the Avro type int"),
                "%s", c.error.text);
  /* onFailure NONE: the message goes out as it was. */
  kavro_serializer_destroy(c.ser);
  conf_set(c.conf, "rule.executors._CEL_.onFailure", "NONE");
  c.ser = serializer_with(c.conf);
  ck_assert_msg(cel_write(&c, visit_ok) == KAVRO_OK, "%s", c.error.text);
  cel_wrote(&c, "{\"id\":\"v-1\",\"minutes\":30,\"outcome\":\"YES\","
                "\"note\":\"call 555-0100\",\"legacy\":\"old\"}");
  cel_close(&c);
}
END_TEST

/* A READ transform changes the message the deserializer hands back. */
START_TEST(cel_message_transform_read) {
  register_cel("redact", "TRANSFORM", "READ", "CEL",
               "{'id': message.id, 'minutes': 0, 'outcome': message.outcome, "
               "'legacy': 'read'}",
               NULL, NULL);
  cel_case_t c;
  cel_open(&c);
  kavro_deserializer_t *des = deserializer_with(c.conf);
  ck_assert_msg(cel_write(&c, visit_ok) == KAVRO_OK, "%s", c.error.text);
  cel_wrote(&c, "{\"id\":\"v-1\",\"minutes\":30,\"outcome\":\"YES\","
                "\"note\":\"call 555-0100\",\"legacy\":\"old\"}");
  char legacy[32];
  ck_assert_msg(read_visit(des, c.out, "legacy", legacy, sizeof legacy,
                           &c.error) == KAVRO_OK,
                "%s", c.error.text);
  ck_assert_str_eq(legacy, "read");
  kavro_deserializer_destroy(des);
  cel_close(&c);
}
END_TEST

/* CEL_FIELD binds name, fullName, typeName, tags, value and the record
 * that holds the field; it fails on false only, at the field's path. */
START_TEST(cel_field_condition) {
  register_cel("noteBindings", "CONDITION", "WRITE", "CEL_FIELD",
               "name == 'note' && fullName == 'com.example.evolution.Visit."
               "note' && 'PII' in tags && message.id == 'v-1' && "
               "(typeName == 'NULL' || !value.matches('[0-9]'))",
               "PII", NULL);
  cel_case_t c;
  cel_open(&c);
  static const char plain_note[] =
      "{\"id\":\"v-1\",\"minutes\":30,\"outcome\":\"YES\","
      "\"note\":{\"string\":\"call back\"},\"legacy\":\"old\"}";
  ck_assert_msg(cel_write(&c, plain_note) == KAVRO_OK, "%s", c.error.text);
  ck_assert_int_eq(cel_write(&c, visit_ok), KAVRO_ERR_RULE);
  ck_assert_str_eq(c.error.path, "/note");
  /* v-2's note is null: typeName NULL, but message.id is not v-1. */
  ck_assert_int_eq(cel_write(&c, visit_negative), KAVRO_ERR_RULE);
  /* A result that is not a bool passes a field condition, as in Java. */
  cel_next_version(&c, "notBool", "CONDITION", "CEL_FIELD", "name", "PII",
                   NULL);
  ck_assert_msg(cel_write(&c, visit_ok) == KAVRO_OK, "%s", c.error.text);
  cel_close(&c);
}
END_TEST

/* CEL_FIELD transforms change the bytes written: the PII note masked, an
 * untagged rule guarded to int fields doubling the minutes; enum fields
 * are not CEL_FIELD's (Java: primitive types only). */
START_TEST(cel_field_transform) {
  json_t *set = json_pack(
      "{s:[{s:s,s:s,s:s,s:s,s:s,s:[s]},{s:s,s:s,s:s,s:s,s:s}]}",
      "domainRules", "name", "maskPii", "kind", "TRANSFORM", "mode", "WRITE",
      "type", "CEL_FIELD", "expr", "typeName == 'STRING' ; 'XXX'", "tags",
      "PII", "name", "double", "kind", "TRANSFORM", "mode", "WRITE", "type",
      "CEL_FIELD", "expr", "typeName == 'INT' || typeName == 'ENUM' ; "
      "value * 2");
  char *text = json_dumps(set, JSON_COMPACT);
  register_visit(NULL, text);
  free(text);
  json_decref(set);
  cel_case_t c;
  cel_open(&c);
  ck_assert_msg(cel_write(&c, visit_ok) == KAVRO_OK, "%s", c.error.text);
  json_t *plain = frame_plain(c.out);
  char *got = json_dumps(plain, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_str_eq(got, "{\"id\":\"v-1\",\"legacy\":\"old\",\"minutes\":60,"
                        "\"note\":\"XXX\",\"outcome\":\"YES\"}");
  free(got);
  json_decref(plain);
  cel_close(&c);
}
END_TEST

/* A user's executor registered for CEL takes the built-in one's place. */
START_TEST(cel_user_executor_wins) {
  register_cel("minutes", "CONDITION", "WRITE", "CEL", "false", NULL, NULL);
  kavro_conf_t *conf = kavro_conf_new();
  kavro_rule_executor_t cond = {.execute = minutes_ok};
  add_executor(conf, "CEL", NULL, &cond);
  kavro_serializer_t *ser = serializer_with(conf);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_visit(ser, visit_ok, out, &error), KAVRO_OK);
  ck_assert_int_eq(seen.calls, 1);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
}
END_TEST

static Suite *rules_suite(void) {
  Suite *s = suite_create("rules");
  TCase *tc = tcase_create("rules");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, condition_on_write);
  tcase_add_test(tc, executor_config_precedence);
  tcase_add_test(tc, transforms_and_order);
  tcase_add_test(tc, disabled_rules);
  tcase_add_test(tc, actions);
  tcase_add_test(tc, registration_refused);
  tcase_add_test(tc, field_transform_by_tags);
  tcase_add_test(tc, field_transforms_same_tags);
  tcase_add_test(tc, field_condition_path);
  tcase_add_test(tc, fields_in_collections);
  tcase_add_test(tc, metadata_tag_wildcards);
  tcase_add_test(tc, unexecutable_refused);
  tcase_add_test(tc, encoding_rule_refused);
  tcase_add_test(tc, typed_records);
  tcase_add_test(tc, typed_records_encrypted);
  tcase_add_test(tc, typed_records_encrypted_warm);
  tcase_add_test(tc, migration_rules);
  tcase_add_test(tc, migration_downgrade);
  tcase_add_test(tc, dlq_action);
  tcase_add_test(tc, dlq_replay_skips_rule);
  suite_add_tcase(s, tc);
  tc = tcase_create("cel");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, cel_condition);
  tcase_add_test(tc, cel_read_condition);
  tcase_add_test(tc, cel_guard);
  tcase_add_test(tc, cel_syntax_error);
  tcase_add_test(tc, cel_unsupported_refused);
  tcase_add_test(tc, cel_message_transform);
  tcase_add_test(tc, cel_message_transform_read);
  tcase_add_test(tc, cel_field_condition);
  tcase_add_test(tc, cel_field_transform);
  tcase_add_test(tc, cel_user_executor_wins);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(rules_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
