/*
 * kavro tests - the deserializer against the mock registry (mock:// and
 * HTTP): same-schema reads, resolution to a reader (given, latest, fixed
 * id), error classes (unknown id permanent, registry down transient),
 * hostile frames, tombstones; the subject and the writer remembered for a
 * run of messages, and what makes them go; and round trips through
 * `kavro encode` and `kavro decode`.
 */
#include <avro.h>
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kavro.h"
#include "kavro/mock.h"
#include "legacy_schemas.h"
#include "serde_fixture.h"
#include "testutil.h"

#define ORDER_HEAD                                                             \
  "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","       \
  "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"                          \
  "{\"name\":\"note\",\"type\":\"string\"}"

static const char v1_text[] = ORDER_HEAD "]}";
/* v1 plus defaulted fields of several types. */
static const char v2_text[] =
    ORDER_HEAD ",{\"name\":\"qty\",\"type\":\"int\",\"default\":1},"
               "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":"
               "\"string\"},\"default\":[\"new\"]},"
               "{\"name\":\"why\",\"type\":[\"null\",\"string\"],"
               "\"default\":null}]}";
/* id as a string: cannot read v1. */
static const char bad_reader_text[] =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}";
static const char v1_datum[] = "{\"id\": 7, \"note\": \"hello\"}";
static const char v2_expected[] = "{\"id\": 7, \"note\": \"hello\", \"qty\": "
                                  "1, \"tags\": [\"new\"], \"why\": null}";

/* ---- fixtures ----------------------------------------------------------------- */

static void mock_setup(void) { kt_mock_start("destest"); }

static kavro_deserializer_t *deserializer(kavro_registry_t *reg) {
  kavro_error_t error;
  kavro_deserializer_t *des = kavro_deserializer_new(reg, NULL, NULL, &error);
  ck_assert_msg(des != NULL, "deserializer_new: %s", error.text);
  return des;
}

/* Frame @json of @text for "orders" values through a serializer on @reg;
 * the frame goes into @out, the id is returned. */
static int produce(kavro_registry_t *reg, const char *text, const char *json,
                   kavro_buf_t *out) {
  kavro_schema_t *schema = kt_parse(text);
  kt_value_t value;
  kt_value_from_json(&value, schema, json);
  kavro_error_t error;
  kavro_serializer_t *ser = kavro_serializer_new(reg, NULL, &error);
  ck_assert_ptr_nonnull(ser);
  int id = 0;
  ck_assert_msg(kavro_serializer_serialize(ser, "orders", false, schema,
                                           &value.value, out,
                                           &error) == KAVRO_OK,
                "serialize: %s", error.text);
  ck_assert_int_eq(kavro_serializer_prepare(ser, "orders", false, schema, &id,
                                            NULL),
                   KAVRO_OK);
  kavro_serializer_destroy(ser);
  kt_value_free(&value);
  kavro_schema_destroy(schema);
  return id;
}

/* Deserialize @frame and return its datum as Avro JSON (caller frees). */
static char *consume(kavro_deserializer_t *des, const kavro_buf_t *frame,
                     kavro_deserialized_t *msg) {
  kavro_error_t error;
  ck_assert_msg(kavro_deserializer_deserialize(
                    des, "orders", false, NULL, 0, kavro_buf_data(frame),
                    kavro_buf_length(frame), msg, &error) == KAVRO_OK,
                "deserialize: %s", error.text);
  ck_assert_ptr_nonnull(msg->value);
  char *json =
      kavro_value_to_json(msg->schema, msg->value, KAVRO_DATUM_JSON_AVRO, NULL);
  ck_assert_ptr_nonnull(json);
  return json;
}

/* ---- reading ------------------------------------------------------------------ */

START_TEST(same_schema) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  int id = produce(reg, v1_text, v1_datum, frame);
  kavro_registry_t *reader_reg = kt_client(kt_mock_url(_i), NULL);
  kavro_deserializer_t *des = deserializer(reader_reg);
  kavro_deserialized_t msg;
  for (int round = 0; round < 3; round++) {
    char *json = consume(des, frame, &msg);
    ck_assert_str_eq(json, v1_datum);
    free(json);
    ck_assert_int_eq(msg.writer_id.kind, KAVRO_SCHEMA_ID_INT);
    ck_assert_int_eq((int)msg.writer_id.id, id);
    ck_assert_int_eq(msg.format, KAVRO_WIRE_FORMAT_PREFIX);
    ck_assert(!msg.resolved);
    ck_assert_ptr_eq(msg.schema, msg.writer);
  }
  /* The writer was fetched once. */
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, "GET /schemas/ids/{id}"),
                    1);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reader_reg);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* Writer v1, reader v2 with added defaulted fields. */
START_TEST(resolved_to_reader) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, frame);
  kavro_deserializer_t *des = deserializer(reg);
  kavro_schema_t *v2 = kt_parse(v2_text);
  kavro_deserializer_set_reader(des, false, v2);
  kavro_deserialized_t msg;
  for (int round = 0; round < 2; round++) {
    char *json = consume(des, frame, &msg);
    ck_assert_str_eq(json, v2_expected);
    free(json);
    ck_assert(msg.resolved);
    ck_assert_ptr_eq(msg.schema, v2);
  }
  /* Keys keep reading with the writer. */
  kavro_error_t error;
  ck_assert_int_eq(kavro_deserializer_deserialize(
                       des, "orders", true, NULL, 0, kavro_buf_data(frame),
                       kavro_buf_length(frame), &msg, &error),
                   KAVRO_OK);
  ck_assert(!msg.resolved);
  /* A reader that cannot read the writer: permanent. */
  kavro_schema_t *bad = kt_parse(bad_reader_text);
  kavro_deserializer_set_reader(des, false, bad);
  ck_assert_int_eq(kavro_deserializer_deserialize(
                       des, "orders", false, NULL, 0, kavro_buf_data(frame),
                       kavro_buf_length(frame), &msg, &error),
                   KAVRO_ERR_INCOMPATIBLE);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  ck_assert_ptr_null(msg.value);
  ck_assert_int_eq(msg.writer_id.kind, KAVRO_SCHEMA_ID_INT);
  kavro_schema_destroy(bad);
  kavro_schema_destroy(v2);
  kavro_deserializer_destroy(des);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(reader_latest_version) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, frame);
  kavro_buf_t *frame2 = kavro_buf_new(0, 0);
  produce(reg, v2_text,
          "{\"id\": 8, \"note\": \"x\", \"qty\": 2, \"tags\": [], \"why\": "
          "{\"string\": \"y\"}}",
          frame2);
  kavro_registry_t *latest_reg =
      kt_client(kt_mock_url(_i), "use.latest.version", "true", NULL);
  kavro_deserializer_t *des = deserializer(latest_reg);
  kavro_deserialized_t msg;
  char *json = consume(des, frame, &msg);
  ck_assert_str_eq(json, v2_expected);
  ck_assert(msg.resolved);
  free(json);
  json = consume(des, frame2, &msg);
  ck_assert(!msg.resolved);
  ck_assert_str_eq(json, "{\"id\": 8, \"note\": \"x\", \"qty\": 2, \"tags\": "
                         "[], \"why\": {\"string\": \"y\"}}");
  free(json);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(latest_reg);
  kavro_buf_destroy(frame);
  kavro_buf_destroy(frame2);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(reader_fixed_id) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, frame);
  kavro_buf_t *frame2 = kavro_buf_new(0, 0);
  int id2 = produce(reg, v2_text,
                    "{\"id\": 1, \"note\": \"\", \"qty\": 2, \"tags\": [], "
                    "\"why\": null}",
                    frame2);
  char text[16];
  snprintf(text, sizeof(text), "%d", id2);
  kavro_registry_t *fixed =
      kt_client(kt_mock_url(0), "use.schema.id", text, NULL);
  kavro_deserializer_t *des = deserializer(fixed);
  kavro_deserialized_t msg;
  char *json = consume(des, frame, &msg);
  ck_assert_str_eq(json, v2_expected);
  free(json);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(fixed);
  kavro_buf_destroy(frame);
  kavro_buf_destroy(frame2);
  kavro_registry_destroy(reg);
}
END_TEST


/* ---- data contracts ---------------------------------------------------------- */

/* use.latest.with.metadata reads into the matching version, not the
 * latest; the warm path asks nothing. */
START_TEST(reader_latest_with_metadata) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  int id1 = kt_register_contract(reg, "orders-value", v1_text,
                                 "{\"properties\":{\"app\":\"a\"}}", NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  ck_assert_int_eq(produce(reg, v1_text, v1_datum, frame), id1);
  kt_register_contract(reg, "orders-value", v2_text,
                       "{\"properties\":{\"app\":\"b\"}}", NULL);
  const char *wants[] = {"app=b", "app=a"};
  for (int w = 0; w < 2; w++) {
    kavro_registry_t *meta_reg = kt_client(
        kt_mock_url(_i), "use.latest.with.metadata", wants[w],
        "use.latest.version", "true", NULL);
    kavro_deserializer_t *des = deserializer(meta_reg);
    kavro_deserialized_t msg;
    char *json = consume(des, frame, &msg);
    ck_assert_str_eq(json, w == 0 ? v2_expected : v1_datum);
    ck_assert(msg.resolved == (w == 0));
    free(json);
    uint64_t before = kt_requests(meta_reg);
    json = consume(des, frame, &msg);
    ck_assert_uint_eq(kt_requests(meta_reg), before);
    free(json);
    kavro_deserializer_destroy(des);
    kavro_registry_destroy(meta_reg);
  }
  kavro_registry_t *meta_reg =
      kt_client(kt_mock_url(_i), "use.latest.with.metadata", "app=zzz", NULL);
  kavro_deserializer_t *des = deserializer(meta_reg);
  kavro_deserialized_t msg;
  kavro_error_t error;
  ck_assert_int_eq(kavro_deserializer_deserialize(
                       des, "orders", false, NULL, 0, kavro_buf_data(frame),
                       kavro_buf_length(frame), &msg, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_msg(strstr(error.text, "app=zzz"), "%s", error.text);
  ck_assert_ptr_null(msg.value);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(meta_reg);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

static kavro_err_t deserialize_frame(kavro_deserializer_t *des,
                                     const kavro_buf_t *frame,
                                     kavro_error_t *error) {
  kavro_deserialized_t msg;
  return kavro_deserializer_deserialize(des, "orders", false, NULL, 0,
                                        kavro_buf_data(frame),
                                        kavro_buf_length(frame), &msg, error);
}

/* A READ rule does not stop writing but stops reading, by the writer
 * schema (the refusal judged once, no request on the warm path); with
 * onFailure NONE, or disabled, it reads. */
START_TEST(read_rule_refused) {
  static const struct {
    const char *on_failure;
    bool disabled;
    bool passes;
  } cases[] = {{NULL, false, false}, {"NONE", false, true}, {"ERROR", true, true}};
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kt_register_contract(reg, "orders-value", v1_text, NULL,
                       kt_unexecutable_rule_set("READ", cases[_i].on_failure,
                                       cases[_i].disabled));
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, frame);
  kavro_registry_t *read_reg = kt_client(kt_mock_url(0), NULL);
  kavro_deserializer_t *des = deserializer(read_reg);
  kavro_error_t error;
  for (int round = 0; round < 2; round++) {
    uint64_t before = kt_requests(read_reg);
    kavro_err_t err = deserialize_frame(des, frame, &error);
    if (round == 1)
      ck_assert_uint_eq(kt_requests(read_reg), before);
    if (cases[_i].passes) {
      ck_assert_msg(err == KAVRO_OK, "%s", error.text);
      continue;
    }
    ck_assert_int_eq(err, KAVRO_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(error.text, "rule \"checkSsn\" (CONDITION, JSONATA) "
                                     "cannot be executed"),
                  "%s", error.text);
    /* Not dropped nor dead-lettered: this build lacks the executor. */
    ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_LOCAL);
  }
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(read_reg);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* The reader chosen by use.latest.version is judged too: v1 data without
 * rules, read into a latest version carrying a READ rule, is refused. */
START_TEST(read_rule_on_latest_reader) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, frame);
  kt_register_contract(reg, "orders-value", v2_text, NULL,
                       kt_unexecutable_rule_set("READ", "ERROR", false));
  kavro_registry_t *plain_reg = kt_client(kt_mock_url(0), NULL);
  kavro_deserializer_t *des = deserializer(plain_reg);
  kavro_error_t error;
  ck_assert_msg(deserialize_frame(des, frame, &error) == KAVRO_OK, "%s",
                error.text);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(plain_reg);
  kavro_registry_t *latest_reg =
      kt_client(kt_mock_url(0), "use.latest.version", "true", NULL);
  des = deserializer(latest_reg);
  for (int round = 0; round < 2; round++) {
    uint64_t before = kt_requests(latest_reg);
    ck_assert_int_eq(deserialize_frame(des, frame, &error),
                     KAVRO_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(error.text, "checkSsn"), "%s", error.text);
    if (round == 1)
      ck_assert_uint_eq(kt_requests(latest_reg), before);
  }
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(latest_reg);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- errors ----------------------------------------------------------------- */

START_TEST(unknown_id_is_permanent) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_deserializer_t *des = deserializer(reg);
  static const unsigned char frame[] = {0, 0, 0, 0, 99, 2, 2};
  kavro_deserialized_t msg;
  kavro_error_t error;
  ck_assert_int_eq(kavro_deserializer_deserialize(des, "orders", false, NULL,
                                                  0, frame, sizeof(frame),
                                                  &msg, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  ck_assert(!kavro_error_is_retriable(&error));
  ck_assert_uint_eq(msg.writer_id.id, 99);
  ck_assert_ptr_null(msg.value);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reg);
}
END_TEST

/* With missing.id.cache.ttl.sec, a stream of frames naming an unknown id
 * costs one request per id and TTL, each frame failing as before; after
 * the TTL the id is asked again (eventually: no timing is asserted). */
START_TEST(unknown_id_remembered) {
  kavro_registry_t *reg =
      kt_client(kt_mock_url(_i), "missing.id.cache.ttl.sec", "1", NULL);
  kavro_deserializer_t *des = deserializer(reg);
  static const unsigned char frame[] = {0, 0, 0, 0, 99, 2, 2};
  const char *ep = "GET /schemas/ids/{id}";
  kavro_deserialized_t msg;
  kavro_error_t error;
  for (int i = 0; i < 200; i++) {
    ck_assert_int_eq(kavro_deserializer_deserialize(des, "orders", false,
                                                    NULL, 0, frame,
                                                    sizeof(frame), &msg,
                                                    &error),
                     KAVRO_ERR_SCHEMA_NOT_FOUND);
    ck_assert_int_eq(kavro_error_classify(&error),
                     KAVRO_ERROR_CLASS_PERMANENT);
  }
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, ep), 1);
  while (kavro_mock_request_count(kt_mock, ep) < 2) {
    usleep(50 * 1000);
    kavro_deserializer_deserialize(des, "orders", false, NULL, 0, frame,
                                   sizeof(frame), &msg, NULL);
  }
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, ep), 2);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(registry_down_is_transient) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, frame);
  kavro_registry_t *cold = kt_client(kt_mock_url(_i), NULL);
  kavro_deserializer_t *des = deserializer(cold);
  ck_assert_int_eq(kavro_mock_set_down(kt_mock, true, NULL), KAVRO_OK);
  kavro_deserialized_t msg;
  kavro_error_t error;
  kavro_err_t err = kavro_deserializer_deserialize(
      des, "orders", false, NULL, 0, kavro_buf_data(frame),
      kavro_buf_length(frame), &msg, &error);
  ck_assert_msg(err == KAVRO_ERR_TRANSPORT || err == KAVRO_ERR_TIMED_OUT,
                "%s", error.text);
  ck_assert(kavro_error_is_retriable(&error));
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_TRANSIENT);
  /* 5xx too. */
  ck_assert_int_eq(kavro_mock_set_down(kt_mock, false, NULL), KAVRO_OK);
  kavro_mock_fault_t fault = {KAVRO_MOCK_FAULT_ERROR, "GET", "/schemas/ids/",
                              503, 50001, -1};
  ck_assert_int_eq(kavro_mock_push_fault(kt_mock, &fault, 1, NULL), KAVRO_OK);
  kavro_deserializer_deserialize(des, "orders", false, NULL, 0,
                                 kavro_buf_data(frame),
                                 kavro_buf_length(frame), &msg, &error);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_TRANSIENT);
  /* Back up: the same message reads. */
  char *json = consume(des, frame, &msg);
  ck_assert_str_eq(json, v1_datum);
  free(json);
  /* Known writers keep reading while the registry is down. */
  ck_assert_int_eq(kavro_mock_set_down(kt_mock, true, NULL), KAVRO_OK);
  json = consume(des, frame, &msg);
  free(json);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(cold);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* The frame of @id's GUID followed by the body of the integer-id frame
 * @frame, into @out (KAVRO_WIRE_MAX_ID_SIZE + body bytes). */
static size_t guid_frame_of(const kavro_buf_t *frame, const unsigned char *guid,
                            unsigned char *out, size_t size) {
  kavro_schema_id_t id = kavro_schema_id_guid(guid);
  size_t length = 0;
  ck_assert_int_eq(kavro_wire_frame(&id, kavro_buf_data(frame) + 5,
                                    kavro_buf_length(frame) - 5, out, size,
                                    &length, NULL),
                   KAVRO_OK);
  return length;
}

/* A writer named by GUID, in the prefix or in a header, reads like one
 * named by its integer id: fetched once, resolved to a reader. */
START_TEST(guid_writer) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  int id = produce(reg, v1_text, v1_datum, frame);
  unsigned char guid[16];
  kt_mock_guid(kt_mock, id, guid);
  unsigned char prefixed[256];
  size_t prefixed_size = guid_frame_of(frame, guid, prefixed, sizeof(prefixed));
  unsigned char header[KAVRO_WIRE_MAX_ID_SIZE];
  size_t header_size = 0;
  kavro_schema_id_t guid_id = kavro_schema_id_guid(guid);
  ck_assert_int_eq(kavro_wire_write_id(&guid_id, header, sizeof(header),
                                       &header_size, NULL),
                   KAVRO_OK);
  kavro_registry_t *cold = kt_client(kt_mock_url(_i), NULL);
  kavro_deserializer_t *des = deserializer(cold);
  kavro_deserialized_t msg;
  kavro_error_t error;
  for (int round = 0; round < 2; round++) {
    const bool in_header = round == 1;
    ck_assert_msg(kavro_deserializer_deserialize(
                      des, "orders", false, in_header ? header : NULL,
                      in_header ? header_size : 0,
                      in_header ? kavro_buf_data(frame) + 5 : prefixed,
                      in_header ? kavro_buf_length(frame) - 5 : prefixed_size,
                      &msg, &error) == KAVRO_OK,
                  "round %d: %s", round, error.text);
    char *json = kavro_value_to_json(msg.schema, msg.value,
                                     KAVRO_DATUM_JSON_AVRO, NULL);
    ck_assert_str_eq(json, v1_datum);
    free(json);
    ck_assert(kavro_schema_id_equal(&msg.writer_id, &guid_id));
    ck_assert_int_eq(msg.format, in_header ? KAVRO_WIRE_FORMAT_HEADER
                                           : KAVRO_WIRE_FORMAT_PREFIX);
  }
  ck_assert_uint_eq(
      kavro_mock_request_count(kt_mock, "GET /schemas/guids/{guid}"), 1);
  /* Resolution plans are keyed by the GUID id as well. */
  kavro_schema_t *v2 = kt_parse(v2_text);
  kavro_deserializer_set_reader(des, false, v2);
  ck_assert_int_eq(kavro_deserializer_deserialize(des, "orders", false, NULL,
                                                  0, prefixed, prefixed_size,
                                                  &msg, &error),
                   KAVRO_OK);
  char *json =
      kavro_value_to_json(msg.schema, msg.value, KAVRO_DATUM_JSON_AVRO, NULL);
  ck_assert_str_eq(json, v2_expected);
  free(json);
  ck_assert(msg.resolved);
  kavro_schema_destroy(v2);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(cold);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* The header naming a fixed type as long as @frame, registered on @reg
 * under "whole-value", into @header; its size.  Its id in @idp. */
static size_t whole_header(kavro_registry_t *reg, const kavro_buf_t *frame,
                           unsigned char header[KAVRO_WIRE_MAX_ID_SIZE],
                           kavro_schema_id_t *idp) {
  char whole_text[128];
  snprintf(whole_text, sizeof whole_text,
           "{\"type\":\"fixed\",\"name\":\"Whole\",\"size\":%zu}",
           kavro_buf_length(frame));
  kavro_schema_t *whole = kt_parse(whole_text);
  int32_t whole_id = 0;
  kavro_error_t error;
  ck_assert_msg(kavro_registry_register(reg, "whole-value", whole, NULL, 0,
                                        false, &whole_id, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_schema_destroy(whole);
  unsigned char guid[16];
  kt_mock_guid(kt_mock, whole_id, guid);
  *idp = kavro_schema_id_guid(guid);
  size_t header_size = 0;
  ck_assert_int_eq(kavro_wire_write_id(idp, header, KAVRO_WIRE_MAX_ID_SIZE,
                                       &header_size, NULL),
                   KAVRO_OK);
  return header_size;
}

/* A message with both an id header and a framed payload is read by the
 * header, as Confluent's dual deserializer reads it: the payload is then
 * the body, magic byte and all.  Here the header names a fixed type as
 * long as the whole payload, so only the header's reading succeeds. */
START_TEST(header_wins_over_prefix) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, frame);
  unsigned char header[KAVRO_WIRE_MAX_ID_SIZE];
  kavro_schema_id_t guid_id;
  size_t header_size = whole_header(reg, frame, header, &guid_id);
  kavro_deserializer_t *des = deserializer(reg);
  kavro_deserialized_t msg;
  kavro_error_t error;
  ck_assert_msg(kavro_deserializer_deserialize(
                    des, "orders", false, header, header_size,
                    kavro_buf_data(frame), kavro_buf_length(frame), &msg,
                    &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(msg.format, KAVRO_WIRE_FORMAT_HEADER);
  ck_assert(kavro_schema_id_equal(&msg.writer_id, &guid_id));
  const void *bytes = NULL;
  size_t size = 0;
  ck_assert_int_eq(avro_value_get_fixed(msg.value, &bytes, &size), 0);
  ck_assert_uint_eq(size, kavro_buf_length(frame));
  ck_assert_mem_eq(bytes, kavro_buf_data(frame), size);
  kavro_deserializer_destroy(des);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* value.schema.id.deserializer=prefix reads the prefix alone, as
 * Confluent's PrefixSchemaIdDeserializer: the message above reads as the
 * record its prefix names, and a bare body with its id in the header
 * alone is a malformed frame.  Keys keep their own setting (dual). */
START_TEST(prefix_deserializer_ignores_header) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  int id = produce(reg, v1_text, v1_datum, frame);
  unsigned char header[KAVRO_WIRE_MAX_ID_SIZE];
  kavro_schema_id_t guid_id;
  size_t header_size = whole_header(reg, frame, header, &guid_id);
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url",
                                  kt_mock_url(_i), &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "value.schema.id.deserializer",
                                  "prefix", &error),
                   KAVRO_OK);
  kavro_deserializer_t *des = kavro_deserializer_new(reg, conf, NULL, &error);
  kavro_conf_destroy(conf);
  ck_assert_msg(des != NULL, "%s", error.text);
  kavro_deserialized_t msg;
  ck_assert_msg(kavro_deserializer_deserialize(
                    des, "orders", false, header, header_size,
                    kavro_buf_data(frame), kavro_buf_length(frame), &msg,
                    &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(msg.format, KAVRO_WIRE_FORMAT_PREFIX);
  ck_assert_int_eq(msg.writer_id.kind, KAVRO_SCHEMA_ID_INT);
  ck_assert_int_eq(msg.writer_id.id, id);
  ck_assert_int_eq(avro_value_get_type(msg.value), AVRO_RECORD);
  /* The body alone, its id in the header: the first byte is no magic. */
  ck_assert_int_ne(kavro_buf_data(frame)[5], 0);
  ck_assert_int_eq(kavro_deserializer_deserialize(
                       des, "orders", false, header, header_size,
                       kavro_buf_data(frame) + 5, kavro_buf_length(frame) - 5,
                       &msg, &error),
                   KAVRO_ERR_WIRE_MAGIC);
  /* Keys: still dual, the header read first. */
  ck_assert_msg(kavro_deserializer_deserialize(
                    des, "orders", true, header, header_size,
                    kavro_buf_data(frame), kavro_buf_length(frame), &msg,
                    &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(msg.format, KAVRO_WIRE_FORMAT_HEADER);
  kavro_deserializer_destroy(des);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* A registry fault while a GUID is looked up is transient; the message
 * reads once the registry answers. */
START_TEST(guid_registry_fault_is_transient) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  int id = produce(reg, v1_text, v1_datum, frame);
  unsigned char guid[16];
  kt_mock_guid(kt_mock, id, guid);
  unsigned char prefixed[256];
  size_t prefixed_size = guid_frame_of(frame, guid, prefixed, sizeof(prefixed));
  kavro_registry_t *cold = kt_client(kt_mock_url(_i), NULL);
  kavro_deserializer_t *des = deserializer(cold);
  kavro_mock_fault_t fault = {KAVRO_MOCK_FAULT_ERROR, "GET", "/schemas/guids/",
                              503, 50001, -1};
  ck_assert_int_eq(kavro_mock_push_fault(kt_mock, &fault, 1, NULL), KAVRO_OK);
  kavro_deserialized_t msg;
  kavro_error_t error;
  ck_assert_int_ne(kavro_deserializer_deserialize(des, "orders", false, NULL,
                                                  0, prefixed, prefixed_size,
                                                  &msg, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_TRANSIENT);
  ck_assert_int_eq(kavro_deserializer_deserialize(des, "orders", false, NULL,
                                                  0, prefixed, prefixed_size,
                                                  &msg, &error),
                   KAVRO_OK);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(cold);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(hostile_frames) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_buf_t *good = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, good);
  kavro_deserializer_t *des = deserializer(reg);
  const unsigned char *g = kavro_buf_data(good);
  unsigned char id[4] = {g[1], g[2], g[3], g[4]};
  static const struct {
    unsigned char bytes[24];
    size_t size;
    kavro_err_t code;
  } cases[] = {
      {{0}, 0, KAVRO_ERR_WIRE_SHORT},
      {{0, 0, 0}, 3, KAVRO_ERR_WIRE_SHORT},
      {{7, 0, 0, 0, 1, 2}, 6, KAVRO_ERR_WIRE_MAGIC},
      {{0, 0xff, 0xff, 0xff, 0xff, 2}, 6, KAVRO_ERR_SCHEMA_NOT_FOUND},
      {{0, 0, 0, 0, 0, 2}, 6, KAVRO_ERR_SCHEMA_NOT_FOUND}, /* id 0 */
  };
  kavro_deserialized_t msg;
  kavro_error_t error;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ck_assert_msg(kavro_deserializer_deserialize(
                      des, "orders", false, NULL, 0, cases[i].bytes,
                      cases[i].size, &msg, &error) == cases[i].code,
                  "case %zu: %s", i, error.text);
    ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
    ck_assert_ptr_null(msg.value);
  }
  /* Bodies of the right id that lie. */
  static const struct {
    unsigned char body[16];
    size_t size;
  } bodies[] = {
      {{0}, 0},                                  /* empty */
      {{0x0e}, 1},                               /* id, then nothing */
      {{0x0e, 0x7f}, 2},                         /* string of -64 bytes */
      {{0x0e, 0xfe, 0xff, 0xff, 0xff, 0x0f}, 6}, /* 2^31 bytes */
      {{0x0e, 0x02, 'a', 'b'}, 4},               /* trailing byte */
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
       11},                                      /* varint too long */
  };
  for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    unsigned char frame[32] = {0, id[0], id[1], id[2], id[3]};
    memcpy(frame + 5, bodies[i].body, bodies[i].size);
    kavro_err_t err = kavro_deserializer_deserialize(
        des, "orders", false, NULL, 0, frame, 5 + bodies[i].size, &msg,
        &error);
    ck_assert_msg(err == KAVRO_ERR_DECODE || err == KAVRO_ERR_LIMIT,
                  "body %zu: %s", i, kavro_err2name(err));
    ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  }
  /* A GUID id the registry does not know, in the prefix or in a header:
   * the registry's 40403 is a definite answer, so the message is at fault
   * (permanent), as for an unknown integer id. */
  static const unsigned char guid_frame[] = {1, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                             10, 11, 12, 13, 14, 15, 16, 0};
  ck_assert_int_eq(kavro_deserializer_deserialize(des, "orders", false, NULL,
                                                  0, guid_frame,
                                                  sizeof(guid_frame), &msg,
                                                  &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(error.registry_code, 40403);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  unsigned char guid_header[17] = {1};
  ck_assert_int_eq(kavro_deserializer_deserialize(
                       des, "orders", false, guid_header, sizeof(guid_header),
                       g + 5, kavro_buf_length(good) - 5, &msg, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(msg.format, KAVRO_WIRE_FORMAT_HEADER);
  ck_assert_int_eq(msg.writer_id.kind, KAVRO_SCHEMA_ID_GUID);
  ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
  /* A header that is present but broken is an error, not a fall-back. */
  static const unsigned char header[] = {1, 2, 3};
  ck_assert_int_eq(kavro_deserializer_deserialize(
                       des, "orders", false, header, sizeof(header), g,
                       kavro_buf_length(good), &msg, &error),
                   KAVRO_ERR_WIRE_SHORT);
  /* Streams: a frame followed by another. */
  unsigned char two[64];
  size_t n = kavro_buf_length(good);
  memcpy(two, g, n);
  memcpy(two + n, g, n);
  size_t consumed = 0;
  ck_assert_int_eq(kavro_deserializer_deserialize_next(
                       des, "orders", false, two, 2 * n, &msg, &consumed,
                       &error),
                   KAVRO_OK);
  ck_assert_uint_eq(consumed, n);
  ck_assert_int_eq(kavro_deserializer_deserialize(des, "orders", false, NULL,
                                                  0, two, 2 * n, &msg, &error),
                   KAVRO_ERR_DECODE);
  kavro_deserializer_destroy(des);
  kavro_buf_destroy(good);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(tombstone) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_deserializer_t *des = deserializer(reg);
  kavro_deserialized_t msg;
  kavro_error_t error;
  ck_assert_int_eq(kavro_deserializer_deserialize(des, "orders", false, NULL,
                                                  0, NULL, 0, &msg, &error),
                   KAVRO_OK);
  ck_assert_ptr_null(msg.value);
  ck_assert_int_eq(msg.writer_id.kind, KAVRO_SCHEMA_ID_NONE);
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, NULL), 0);
  ck_assert_int_eq(kavro_deserializer_deserialize(NULL, "orders", false, NULL,
                                                  0, NULL, 0, &msg, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- the kavro encode / decode programs --------------------------------------- */

static char tmpdir[64];

static void tmp_setup(void) {
  mock_setup();
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/kavro-serde-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void) {
  char command[128];
  snprintf(command, sizeof(command), "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(command), 0);
  kt_mock_stop();
}

static void write_tmp(const char *name, const char *text) {
  char path[128];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static char *read_tmp(const char *name) {
  char path[128];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  char *text = kt_read_file(path, NULL);
  ck_assert_ptr_nonnull(text);
  return text;
}

/* Run `cd TMPDIR && KAVRO ARGS` in a shell; returns the exit status. */
static int kavro(const char *fmt, ...) {
  char args[1024], command[1400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof(args), fmt, ap);
  va_end(ap);
  snprintf(command, sizeof(command), "cd '%s' && %s %s", tmpdir, KAVRO_BIN,
           args);
  int status = system(command);
  ck_assert(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static const char datums[] =
    "{\"id\": 1, \"note\": \"a\"}\n"
    "\n"
    "{\"id\": -2, \"note\": \"\\u00e9\\n\"}\n";

static void write_inputs(void) {
  write_tmp("v1.avsc", v1_text);
  write_tmp("v2.avsc", v2_text);
  write_tmp("bad.avsc", bad_reader_text);
  write_tmp("in.jsonl", datums);
}

START_TEST(cli_round_trip_plain) {
  write_inputs();
  ck_assert_int_eq(kavro("encode --schema v1.avsc in.jsonl > bodies"), 0);
  ck_assert_int_eq(kavro("decode --writer v1.avsc bodies > out.jsonl"), 0);
  char *out = read_tmp("out.jsonl");
  /* Non-ASCII is written as UTF-8, a newline escaped. */
  ck_assert_str_eq(out, "{\"id\": 1, \"note\": \"a\"}\n"
                        "{\"id\": -2, \"note\": \"\xc3\xa9\\u000a\"}\n");
  free(out);
  ck_assert_int_eq(kavro("encode --schema v1.avsc --hex < in.jsonl > hex"), 0);
  char *hex = read_tmp("hex");
  ck_assert_str_eq(hex, "020261\n0306c3a90a\n");
  free(hex);
  ck_assert_int_eq(
      kavro("decode --writer v1.avsc --reader v2.avsc --hex hex > out2"), 0);
  out = read_tmp("out2");
  ck_assert_ptr_nonnull(strstr(out, "\"qty\": 1, \"tags\": [\"new\"]"));
  free(out);
  /* A datum that does not fit, a line that cannot be decoded. */
  write_tmp("bad.jsonl", "{\"id\": 1, \"note\": \"a\"}\n{\"id\": \"x\"}\n");
  ck_assert_int_eq(kavro("encode --schema v1.avsc bad.jsonl > o 2> e"), 1);
  char *err = read_tmp("e");
  ck_assert_ptr_nonnull(strstr(err, "line 2"));
  free(err);
  write_tmp("badhex", "020261\n02\nzz\n");
  ck_assert_int_eq(kavro("decode --writer v1.avsc --hex badhex > o 2> e"), 1);
  err = read_tmp("e");
  ck_assert_ptr_nonnull(strstr(err, "line 2"));
  ck_assert_ptr_nonnull(strstr(err, "line 3"));
  free(err);
  out = read_tmp("o");
  ck_assert_str_eq(out, "{\"id\": 1, \"note\": \"a\"}\n");
  free(out);
  ck_assert_int_eq(kavro("decode --writer v1.avsc --reader bad.avsc hex "
                         "> o 2> e"),
                   1);
  /* Usage errors. */
  ck_assert_int_eq(kavro("encode in.jsonl 2> e"), 2);
  ck_assert_int_eq(kavro("decode --hex hex 2> e"), 2);
  ck_assert_int_eq(kavro("encode --schema v1.avsc --subject s 2> e"), 2);
  ck_assert_int_eq(kavro("decode --writer missing.avsc hex 2> e"), 2);
}
END_TEST

START_TEST(cli_round_trip_registry) {
  write_inputs();
  const char *url = kt_mock_url(1);
  ck_assert_int_eq(kavro("encode --schema v1.avsc --registry %s --subject "
                         "orders-value --hex in.jsonl > frames",
                         url),
                   0);
  char *frames = read_tmp("frames");
  ck_assert_str_eq(frames, "0000000001020261\n00000000010306c3a90a\n");
  free(frames);
  ck_assert_int_eq(kavro("decode --registry %s --hex frames > out", url), 0);
  char *out = read_tmp("out");
  ck_assert_str_eq(out, "{\"id\": 1, \"note\": \"a\"}\n"
                        "{\"id\": -2, \"note\": \"\xc3\xa9\\u000a\"}\n");
  free(out);
  /* Binary stream of frames, by topic, read as v2. */
  ck_assert_int_eq(kavro("encode --schema v1.avsc --registry %s --topic "
                         "orders in.jsonl > stream",
                         url),
                   0);
  ck_assert_int_eq(
      kavro("decode --registry %s --reader v2.avsc stream > out", url), 0);
  out = read_tmp("out");
  ck_assert_ptr_nonnull(strstr(out, "\"id\": -2"));
  ck_assert_ptr_nonnull(strstr(out, "\"tags\": [\"new\"]"));
  free(out);
  /* The gate refuses an incompatible schema: exit 1 with the list. */
  write_tmp("one.jsonl", "{\"id\": \"x\"}\n");
  ck_assert_int_eq(kavro("encode --schema bad.avsc --registry %s --topic "
                         "orders one.jsonl > o 2> e",
                         url),
                   1);
  char *err = read_tmp("e");
  ck_assert_ptr_nonnull(strstr(err, "TYPE_MISMATCH"));
  free(err);
  /* Unknown id: 1; unreachable registry: 2. */
  write_tmp("unknown", "0000000063020261\n");
  ck_assert_int_eq(kavro("decode --registry %s --hex unknown 2> e", url), 1);
  ck_assert_int_eq(kavro("decode --registry http://127.0.0.1:1 -X "
                         "max.retries=0 --hex frames 2> e"),
                   2);
  ck_assert_int_eq(kavro("encode --schema v1.avsc --registry %s --subject s "
                         "-X auto.register.schemas=false in.jsonl > o 2> e",
                         url),
                   2);
}
END_TEST

/* ---- schemas a registry holds though the specification forbids them ------- */

/* Deserialize the frame of @id and @body_hex with @des. */
static kavro_err_t read_frame(kavro_deserializer_t *des, int id,
                              const char *body_hex, kavro_deserialized_t *msg,
                              kavro_error_t *error) {
  size_t length;
  unsigned char *frame = kt_frame_hex(id, body_hex, &length);
  kavro_err_t err = kavro_deserializer_deserialize(des, "orders", false, NULL,
                                                   0, frame, length, msg, error);
  free(frame);
  return err;
}

static char *datum_json(const kavro_deserialized_t *msg) {
  char *json =
      kavro_value_to_json(msg->schema, msg->value, KAVRO_DATUM_JSON_AVRO, NULL);
  ck_assert_ptr_nonnull(json);
  return json;
}

/* Each legacy writer schema, served by the registry: its messages decode
 * (it is read leniently); a reader that needs its invalid default (the
 * latest version, reading a message of the version before, which lacks the
 * field) fails naming the field and the defect; reading its own messages,
 * which need no default, still works. */
START_TEST(legacy_writer_schemas) {
  for (size_t i = 0; i < kt_legacy_count; i++) {
    const kt_legacy_t *c = &kt_legacy[i];
    const char *texts[] = {kt_legacy_v1, c->text};
    kt_mock_hold(kt_mock, "orders-value", texts, 2);
    kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
    kavro_deserializer_t *des = deserializer(reg);
    kavro_deserialized_t msg;
    kavro_error_t error;
    ck_assert_msg(read_frame(des, 2, c->body_hex, &msg, &error) == KAVRO_OK,
                  "%s: %s", c->name, error.text);
    char *json = datum_json(&msg);
    ck_assert_str_eq(json, c->json);
    free(json);
    ck_assert_msg(kavro_schema_relaxed_count(msg.writer) ==
                      (c->rewritten_away ? 0u : 1u),
                  "%s: %s", c->name, kavro_schema_text(msg.writer));

    kavro_registry_t *latest =
        kt_client(kt_mock_url(_i), "use.latest.version", "true", NULL);
    kavro_deserializer_t *by_latest = deserializer(latest);
    kavro_err_t err = read_frame(by_latest, 1, "0e", &msg, &error);
    if (c->field_default) {
      ck_assert_msg(err == KAVRO_ERR_SCHEMA_INVALID, "%s: %s (%s)", c->name,
                    kavro_err2name(err), error.text);
      ck_assert_msg(strstr(error.text, "reader field \"x\"") &&
                        strstr(error.text, "default cannot be used") &&
                        strstr(error.text, c->says),
                    "%s: %s", c->name, error.text);
      ck_assert_str_eq(error.path, "/fields/1");
      ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_PERMANENT);
    } else {
      ck_assert_int_eq(err, KAVRO_ERR_INCOMPATIBLE);
    }
    ck_assert_ptr_null(msg.value);
    ck_assert_msg(read_frame(by_latest, 2, c->body_hex, &msg, &error) ==
                      KAVRO_OK, "%s: %s", c->name, error.text);
    json = datum_json(&msg);
    ck_assert_str_eq(json, c->json);
    free(json);
    kavro_deserializer_destroy(by_latest);
    kavro_registry_destroy(latest);
    kavro_deserializer_destroy(des);
    kavro_registry_destroy(reg);
  }
}
END_TEST

/* A reader enum whose default is no symbol: symbols it has are read, one
 * it lacks fails its message naming the defect, never a made-up symbol. */
START_TEST(legacy_enum_default_never_used) {
  static const char writer[] =
      "{\"type\":\"record\",\"name\":\"Legacy\",\"namespace\":\"com.acme\","
      "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"x\",\"type\":"
      "{\"type\":\"enum\",\"name\":\"Mood\",\"symbols\":[\"HAPPY\",\"SAD\","
      "\"ANGRY\"]}}]}";
  const kt_legacy_t *c = NULL;
  for (size_t i = 0; i < kt_legacy_count; i++)
    if (strstr(kt_legacy[i].text, "\"MEH\""))
      c = &kt_legacy[i];
  ck_assert_ptr_nonnull(c);
  const char *texts[] = {writer, c->text};
  kt_mock_hold(kt_mock, "orders-value", texts, 2);
  kavro_registry_t *latest =
      kt_client(kt_mock_url(_i), "use.latest.version", "true", NULL);
  kavro_deserializer_t *des = deserializer(latest);
  kavro_deserialized_t msg;
  kavro_error_t error;
  ck_assert_int_eq(read_frame(des, 1, "0e02", &msg, &error), KAVRO_OK);
  char *json = datum_json(&msg);
  ck_assert_str_eq(json, "{\"id\": 7, \"x\": \"SAD\"}");
  free(json);
  ck_assert(msg.resolved);
  ck_assert_int_ne(read_frame(des, 1, "0e04", &msg, &error), KAVRO_OK);
  ck_assert_msg(strstr(error.text, "ANGRY") &&
                    strstr(error.text, "default cannot be used") &&
                    strstr(error.text, "\"MEH\""),
                "%s", error.text);
  ck_assert_ptr_null(msg.value);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(latest);
}
END_TEST

/* JSON to binary with a legacy schema: a field given is written; a field
 * left out whose default is invalid is an error naming the defect, not a
 * made-up value. */
START_TEST(legacy_json_encoding) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.lenient = true;
  kavro_schema_t *schema;
  const char *text = kt_legacy[0].text;
  ck_assert_int_eq(kavro_schema_parse(text, strlen(text), &options, &schema,
                                      NULL),
                   KAVRO_OK);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_error_t error;
  const char *full = "{\"id\": 7, \"x\": true}";
  ck_assert_int_eq(kavro_json_to_binary(schema, full, strlen(full), out, &error),
                   KAVRO_OK);
  char *hex = kt_hex_encode(kavro_buf_data(out), kavro_buf_length(out));
  ck_assert_str_eq(hex, kt_legacy[0].body_hex);
  free(hex);
  kavro_buf_reset(out);
  const char *partial = "{\"id\": 7}";
  ck_assert_int_eq(kavro_json_to_binary(schema, partial, strlen(partial), out,
                                        &error),
                   KAVRO_ERR_DECODE);
  ck_assert_msg(strstr(error.text, "default cannot be used") &&
                    strstr(error.text, "true or false"),
                "%s", error.text);
  kavro_buf_destroy(out);
  kavro_schema_destroy(schema);
}
END_TEST

/* ---- contexts and associations ------------------------------------------------ */

static kavro_err_t context_from_opaque(void *opaque, const char *topic,
                                       char *context, size_t size,
                                       kavro_error_t *error) {
  (void)topic, (void)error;
  snprintf(context, size, "%s", (const char *)opaque);
  return KAVRO_OK;
}

/* Frame v1_datum for "orders" values with a serializer set up by @setup. */
static void produce_with(kavro_registry_t *reg, const char *context,
                         kavro_buf_t *out) {
  kavro_schema_t *schema = kt_parse(v1_text);
  kt_value_t value;
  kt_value_from_json(&value, schema, v1_datum);
  kavro_error_t error;
  kavro_serializer_t *ser = kavro_serializer_new(reg, NULL, &error);
  ck_assert_ptr_nonnull(ser);
  if (context)
    kavro_serializer_set_context_name_cb(ser, context_from_opaque,
                                         (void *)context);
  ck_assert_msg(kavro_serializer_serialize(ser, "orders", false, schema,
                                           &value.value, out,
                                           &error) == KAVRO_OK,
                "serialize: %s", error.text);
  kavro_serializer_destroy(ser);
  kt_value_free(&value);
  kavro_schema_destroy(schema);
}

/* Id 1 of context ".prod" is read as such by a deserializer with the same
 * context strategy, while id 1 of the default context is another schema. */
START_TEST(context_writer) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_schema_t *other = kt_parse(bad_reader_text);
  int32_t id = 0;
  ck_assert_int_eq(kavro_registry_register(reg, "x", other, NULL, 0, false, &id,
                                           NULL),
                   KAVRO_OK);
  ck_assert_int_eq(id, 1);
  kavro_schema_destroy(other);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce_with(reg, "prod", frame);
  kavro_registry_t *reader_reg = kt_client(kt_mock_url(_i), NULL);
  kavro_deserializer_t *des = deserializer(reader_reg);
  kavro_deserializer_set_context_name_cb(des, context_from_opaque, ".prod");
  kavro_deserialized_t msg;
  for (int round = 0; round < 3; round++) {
    char *json = consume(des, frame, &msg);
    ck_assert_str_eq(json, v1_datum);
    free(json);
    ck_assert_int_eq((int)msg.writer_id.id, 1);
  }
  ck_assert_uint_eq(kavro_mock_request_count(kt_mock, "GET /schemas/ids/{id}"),
                    1);
  /* Without the context, id 1 is the default context's schema. */
  kavro_deserializer_t *plain = deserializer(reader_reg);
  kavro_error_t error;
  kavro_err_t err = kavro_deserializer_deserialize(
      plain, "orders", false, NULL, 0, kavro_buf_data(frame),
      kavro_buf_length(frame), &msg, &error);
  ck_assert(err != KAVRO_OK ||
            strstr(kavro_schema_canonical(msg.writer), "\"string\"") != NULL);
  kavro_deserializer_destroy(plain);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reader_reg);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* A STRONG association puts the topic's subject in the cluster's context
 * (":.lkc-1:orders-value"): the deserializer's AssociatedNameStrategy
 * finds it, asks once, and reads the writer's id in that context. */
START_TEST(associated_writer) {
  kavro_registry_t *admin = kt_client(kt_mock_url(_i), NULL);
  kavro_schema_t *other = kt_parse(bad_reader_text), *v1 = kt_parse(v1_text);
  ck_assert_int_eq(kavro_registry_register(admin, "x", other, NULL, 0, false,
                                           NULL, NULL),
                   KAVRO_OK);
  kavro_association_spec_t spec = {NULL, "value", "STRONG", v1};
  ck_assert_int_eq(kavro_registry_create_associations(admin, "lkc-1", "orders",
                                                      "t-1", &spec, 1, NULL),
                   KAVRO_OK);
  kavro_registry_t *reg = kt_client(
      kt_mock_url(_i), "subject.name.strategy", "AssociatedNameStrategy",
      "auto.register.schemas", "false", NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce_with(reg, NULL, frame);
  kavro_registry_t *reader_reg = kt_client(kt_mock_url(_i),
                                           "subject.name.strategy",
                                           "AssociatedNameStrategy", NULL);
  kavro_deserializer_t *des = deserializer(reader_reg);
  kavro_mock_clear_requests(kt_mock);
  kavro_deserialized_t msg;
  for (int round = 0; round < 3; round++) {
    char *json = consume(des, frame, &msg);
    ck_assert_str_eq(json, v1_datum);
    free(json);
  }
  ck_assert_uint_eq(kavro_mock_request_count(
                        kt_mock, "GET /associations/resources/{namespace}/{name}"),
                    1);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reader_reg);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
  kavro_schema_destroy(other);
  kavro_schema_destroy(v1);
  kavro_registry_destroy(admin);
}
END_TEST

/* The answers AssociatedNameStrategy keeps: subject.name.strategy.
 * cache.size of them, the oldest replaced first, each topic asked once
 * while its answer is kept; with cache.expiry.secs 0, none is kept. */
static size_t association_requests_for(kavro_deserializer_t *des,
                                       const kavro_buf_t *frame,
                                       const char *const *topics, size_t n) {
  kavro_mock_clear_requests(kt_mock);
  for (size_t i = 0; i < n; i++) {
    kavro_deserialized_t msg;
    kavro_error_t error;
    ck_assert_msg(kavro_deserializer_deserialize(
                      des, topics[i], false, NULL, 0, kavro_buf_data(frame),
                      kavro_buf_length(frame), &msg, &error) == KAVRO_OK,
                  "%s: %s", topics[i], error.text);
  }
  return kavro_mock_request_count(
      kt_mock, "GET /associations/resources/{namespace}/{name}");
}

START_TEST(associated_answers_kept) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  produce(reg, v1_text, v1_datum, frame);
  kavro_registry_t *two = kt_client(
      kt_mock_url(_i), "subject.name.strategy", "AssociatedNameStrategy",
      "subject.name.strategy.cache.size", "2", NULL);
  kavro_deserializer_t *des = deserializer(two);
  /* a, b kept; c replaces a; b still kept; a replaces b; c still kept. */
  static const char *const topics[] = {"a", "b", "a", "b", "c",
                                       "b", "a", "c", "c"};
  ck_assert_uint_eq(association_requests_for(des, frame, topics, 9), 4);
  kavro_deserializer_destroy(des);
  /* Many topics, each met twice in a row and again later: asked once
   * each while they all fit. */
  kavro_registry_t *many = kt_client(kt_mock_url(_i), "subject.name.strategy",
                                     "AssociatedNameStrategy", NULL);
  des = deserializer(many);
  enum { TOPICS = 300 };
  static char names[TOPICS][16];
  const char *order[3 * TOPICS];
  for (size_t i = 0; i < TOPICS; i++) {
    snprintf(names[i], sizeof(names[i]), "topic-%zu", i);
    order[2 * i] = order[2 * i + 1] = order[2 * TOPICS + i] = names[i];
  }
  ck_assert_uint_eq(association_requests_for(des, frame, order, 3 * TOPICS),
                    TOPICS);
  kavro_deserializer_destroy(des);
  kavro_registry_t *none = kt_client(
      kt_mock_url(_i), "subject.name.strategy", "AssociatedNameStrategy",
      "subject.name.strategy.cache.expiry.secs", "0", NULL);
  des = deserializer(none);
  ck_assert_uint_eq(association_requests_for(des, frame, topics, 2), 2);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(none);
  kavro_registry_destroy(many);
  kavro_registry_destroy(two);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- the subject remembered for a run of messages --------------------------- */

/* Id 1 twice: the other schema in the default context, v1 in ".lkc-1",
 * where a STRONG association (resource "t-1") puts the subject of topic
 * "orders"'s values.  @frame carries id 1 and v1_datum. */
typedef struct two_ones_s {
  kavro_registry_t *admin;
  kavro_schema_t *other, *v1;
  kavro_buf_t *frame;
} two_ones_t;

static void two_ones_setup(two_ones_t *w, int i) {
  w->admin = kt_client(kt_mock_url(i), NULL);
  w->other = kt_parse(bad_reader_text);
  w->v1 = kt_parse(v1_text);
  int32_t id = 0;
  ck_assert_int_eq(kavro_registry_register(w->admin, "x", w->other, NULL, 0,
                                           false, &id, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(id, 1);
  kavro_association_spec_t spec = {NULL, "value", "STRONG", w->v1};
  ck_assert_int_eq(kavro_registry_create_associations(
                       w->admin, "lkc-1", "orders", "t-1", &spec, 1, NULL),
                   KAVRO_OK);
  kavro_registry_t *reg = kt_client(kt_mock_url(i), "auto.register.schemas",
                                    "false", NULL);
  w->frame = kavro_buf_new(0, 0);
  produce_with(reg, NULL, w->frame);
  kavro_registry_destroy(reg);
  ck_assert_int_eq(((const unsigned char *)kavro_buf_data(w->frame))[4], 1);
}

static void two_ones_teardown(two_ones_t *w) {
  kavro_buf_destroy(w->frame);
  kavro_schema_destroy(w->other);
  kavro_schema_destroy(w->v1);
  kavro_registry_destroy(w->admin);
}

/* Drop "orders"'s value association, and its subject with it. */
static void two_ones_unassociate(two_ones_t *w) {
  kavro_error_t error;
  ck_assert_msg(kavro_registry_delete_associations_flags(
                    w->admin, "t-1", "value", KAVRO_ASSOC_CASCADE_LIFECYCLE,
                    &error) == KAVRO_OK,
                "delete: %s", error.text);
}

/* Whether @des finds v1 (else the other schema) as the writer of @w's
 * frame on @topic's keys or values. */
static bool reads_v1(kavro_deserializer_t *des, const two_ones_t *w,
                     const char *topic, bool is_key) {
  kavro_deserializer_frame_t f;
  kavro_error_t error;
  ck_assert_msg(kavro_deserializer_unframe(des, topic, is_key, NULL, 0,
                                           kavro_buf_data(w->frame),
                                           kavro_buf_length(w->frame), &f,
                                           &error) == KAVRO_OK,
                "%s: %s", topic, error.text);
  ck_assert_int_eq(error.code, KAVRO_OK);
  ck_assert_int_eq((int)f.writer_id.id, 1);
  kavro_schema_destroy(f.reader);
  const char *canonical = kavro_schema_canonical(f.writer);
  bool v1 = strcmp(canonical, kavro_schema_canonical(w->v1)) == 0;
  ck_assert_msg(v1 || strcmp(canonical, kavro_schema_canonical(w->other)) == 0,
                "%s", canonical);
  return v1;
}

static size_t association_requests(void) {
  return kavro_mock_request_count(
      kt_mock, "GET /associations/resources/{namespace}/{name}");
}

/* The subject a run of messages is read under is the one of their topic
 * and side: alternating topics and sides each find their own context's
 * id 1, runs of each included, and each is asked about once. */
START_TEST(remembered_subject_per_topic_and_side) {
  two_ones_t w;
  two_ones_setup(&w, _i);
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_deserializer_t *des = deserializer(reg);
  kavro_mock_clear_requests(kt_mock);
  static const struct {
    const char *topic;
    bool is_key, v1;
  } runs[] = {{"orders", false, true},  {"orders", false, true},
              {"payments", false, false}, {"orders", false, true},
              {"orders", true, false},  {"orders", true, false},
              {"orders", false, true},  {"payments", false, false},
              {"payments", false, false}, {"orders", false, true}};
  for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
    ck_assert_msg(reads_v1(des, &w, runs[i].topic, runs[i].is_key) ==
                      runs[i].v1,
                  "message %zu", i);
  /* orders' values and keys, payments' values. */
  ck_assert_uint_eq(association_requests(), 3);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reg);
  two_ones_teardown(&w);
}
END_TEST

/* A subject callback that names subjects from the record replaces the
 * association mid-stream, and removing it brings the association back;
 * a context callback is asked for every message, whatever it answered
 * before. */
static kavro_err_t record_subject(void *opaque, const char *topic,
                                  bool is_key, const kavro_schema_t *schema,
                                  char *subject, size_t size,
                                  kavro_error_t *error) {
  (void)opaque, (void)topic, (void)is_key, (void)error;
  snprintf(subject, size, "%s",
           schema ? kavro_schema_name(schema) : "no-record");
  return KAVRO_OK;
}

static kavro_err_t every_other_context(void *opaque, const char *topic,
                                       char *context, size_t size,
                                       kavro_error_t *error) {
  (void)topic, (void)error;
  int *calls = opaque;
  snprintf(context, size, "%s", (*calls)++ % 2 ? "" : ".lkc-1");
  return KAVRO_OK;
}

START_TEST(remembered_subject_follows_callbacks) {
  two_ones_t w;
  two_ones_setup(&w, _i);
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_deserializer_t *des = deserializer(reg);
  ck_assert(reads_v1(des, &w, "orders", false));
  ck_assert(reads_v1(des, &w, "orders", false));
  kavro_deserializer_set_subject_name_cb(des, false, record_subject, NULL);
  ck_assert(!reads_v1(des, &w, "orders", false));
  ck_assert(!reads_v1(des, &w, "orders", false));
  ck_assert(reads_v1(des, &w, "orders", true) == false);
  kavro_deserializer_set_subject_name_cb(des, false, NULL, NULL);
  ck_assert(reads_v1(des, &w, "orders", false));
  ck_assert(reads_v1(des, &w, "orders", false));
  /* A context callback set after a run is asked from the next message
   * on. */
  int calls = 0;
  kavro_deserializer_set_context_name_cb(des, every_other_context, &calls);
  reads_v1(des, &w, "orders", false);
  reads_v1(des, &w, "orders", false);
  ck_assert_int_eq(calls, 2);
  kavro_deserializer_destroy(des);
  /* TopicNameStrategy in the context the callback names: ".lkc-1"
   * (v1), then the default (the other), and so on. */
  kavro_registry_t *topic_reg = kt_client(
      kt_mock_url(_i), "subject.name.strategy", "TopicNameStrategy", NULL);
  des = deserializer(topic_reg);
  calls = 0;
  kavro_deserializer_set_context_name_cb(des, every_other_context, &calls);
  for (int i = 0; i < 6; i++)
    ck_assert_msg(reads_v1(des, &w, "orders", false) == (i % 2 == 0),
                  "message %d", i);
  ck_assert_int_eq(calls, 6);
  kavro_deserializer_set_context_name_cb(des, NULL, NULL);
  ck_assert(!reads_v1(des, &w, "orders", false));
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(topic_reg);
  kavro_registry_destroy(reg);
  two_ones_teardown(&w);
}
END_TEST

/* An association that goes is seen as soon as the answer is no longer
 * kept: at once without keeping (cache.expiry.secs 0), and when another
 * topic's answer took its place (cache.size 1). */
START_TEST(remembered_subject_not_kept) {
  two_ones_t w;
  two_ones_setup(&w, _i);
  kavro_registry_t *reg = kt_client(
      kt_mock_url(_i), "subject.name.strategy.cache.expiry.secs", "0", NULL);
  kavro_deserializer_t *des = deserializer(reg);
  kavro_mock_clear_requests(kt_mock);
  ck_assert(reads_v1(des, &w, "orders", false));
  ck_assert(reads_v1(des, &w, "orders", false));
  ck_assert_uint_eq(association_requests(), 2);
  two_ones_unassociate(&w);
  ck_assert(!reads_v1(des, &w, "orders", false));
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reg);
  two_ones_teardown(&w);
}
END_TEST

START_TEST(remembered_subject_replaced) {
  two_ones_t w;
  two_ones_setup(&w, _i);
  kavro_registry_t *reg = kt_client(
      kt_mock_url(_i), "subject.name.strategy.cache.size", "1", NULL);
  kavro_deserializer_t *des = deserializer(reg);
  kavro_mock_clear_requests(kt_mock);
  ck_assert(reads_v1(des, &w, "orders", false));
  ck_assert(reads_v1(des, &w, "orders", false));
  ck_assert_uint_eq(association_requests(), 1);
  /* Kept: the association's going is not seen yet. */
  two_ones_unassociate(&w);
  ck_assert(reads_v1(des, &w, "orders", false));
  ck_assert(!reads_v1(des, &w, "payments", false));
  ck_assert(!reads_v1(des, &w, "orders", false));
  ck_assert(!reads_v1(des, &w, "orders", false));
  ck_assert_uint_eq(association_requests(), 3);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reg);
  two_ones_teardown(&w);
}
END_TEST

/* The previous message's writer is tried first, and only taken when it
 * is the id's: ids that change mid-stream each read as their own. */
START_TEST(writer_changes_mid_stream) {
  kavro_registry_t *reg = kt_client(kt_mock_url(_i), NULL);
  kavro_buf_t *one = kavro_buf_new(0, 0), *two = kavro_buf_new(0, 0);
  int id1 = produce(reg, v1_text, v1_datum, one);
  int id2 = produce(reg, v2_text,
                    "{\"id\": 8, \"note\": \"hi\", \"qty\": 2, \"tags\": [], "
                    "\"why\": null}",
                    two);
  ck_assert_int_ne(id1, id2);
  kavro_deserializer_t *des = deserializer(reg);
  static const int order[] = {1, 1, 2, 1, 2, 2, 1};
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    kavro_deserialized_t msg;
    char *json = consume(des, order[i] == 1 ? one : two, &msg);
    ck_assert_int_eq((int)msg.writer_id.id, order[i] == 1 ? id1 : id2);
    ck_assert_str_eq(json, order[i] == 1
                               ? v1_datum
                               : "{\"id\": 8, \"note\": \"hi\", \"qty\": 2, "
                                 "\"tags\": [], \"why\": null}");
    free(json);
  }
  kavro_deserializer_destroy(des);
  kavro_buf_destroy(one);
  kavro_buf_destroy(two);
  kavro_registry_destroy(reg);
}
END_TEST

static Suite *deserializer_suite(void) {
  Suite *s = suite_create("deserializer");
  TCase *tc = tcase_create("read");
  tcase_add_checked_fixture(tc, mock_setup, kt_mock_stop);
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, same_schema, 0, 2);
  tcase_add_loop_test(tc, resolved_to_reader, 0, 2);
  tcase_add_loop_test(tc, reader_latest_version, 0, 2);
  tcase_add_test(tc, reader_fixed_id);
  tcase_add_loop_test(tc, legacy_writer_schemas, 0, 2);
  tcase_add_loop_test(tc, legacy_enum_default_never_used, 0, 2);
  tcase_add_test(tc, legacy_json_encoding);
  tcase_add_loop_test(tc, context_writer, 0, 2);
  tcase_add_loop_test(tc, associated_writer, 0, 2);
  tcase_add_loop_test(tc, associated_answers_kept, 0, 2);
  tcase_add_loop_test(tc, remembered_subject_per_topic_and_side, 0, 2);
  tcase_add_loop_test(tc, remembered_subject_follows_callbacks, 0, 2);
  tcase_add_loop_test(tc, remembered_subject_not_kept, 0, 2);
  tcase_add_loop_test(tc, remembered_subject_replaced, 0, 2);
  tcase_add_loop_test(tc, writer_changes_mid_stream, 0, 2);
  tcase_add_loop_test(tc, reader_latest_with_metadata, 0, 2);
  tcase_add_loop_test(tc, read_rule_refused, 0, 3);
  tcase_add_test(tc, read_rule_on_latest_reader);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_add_checked_fixture(tc, mock_setup, kt_mock_stop);
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, unknown_id_is_permanent, 0, 2);
  tcase_add_loop_test(tc, unknown_id_remembered, 0, 2);
  tcase_add_loop_test(tc, registry_down_is_transient, 0, 2);
  tcase_add_test(tc, hostile_frames);
  tcase_add_loop_test(tc, guid_writer, 0, 2);
  tcase_add_loop_test(tc, header_wins_over_prefix, 0, 2);
  tcase_add_loop_test(tc, prefix_deserializer_ignores_header, 0, 2);
  tcase_add_loop_test(tc, guid_registry_fault_is_transient, 0, 2);
  tcase_add_test(tc, tombstone);
  suite_add_tcase(s, tc);

  tc = tcase_create("cli");
  tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, cli_round_trip_plain);
  tcase_add_test(tc, cli_round_trip_registry);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(deserializer_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
