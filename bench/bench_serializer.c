/*
 * kavro bench - the serializer and deserializer on their warm paths.
 *
 * A field-service check-in event is serialized as an avro-c generic value
 * through a warm kavro_serializer_t (subject cache, compatibility gate
 * passed, id known: framing and the encoding) and, for comparison, written
 * by avro-c's own avro_value_write of the same value.  The framed message
 * is then deserialized by a warm kavro_deserializer_t with the writer's
 * schema and resolved to a later version (a field removed, three added
 * with defaults, int widened to long).  The registry is kavro's mock, in
 * the process; after warm-up no request reaches it.  Allocations are
 * counted by replacing malloc for the whole process.
 *
 * Machine lines (measured must not exceed goal):
 *   FIGURE <name> <value> <unit>
 *   RATIO serialize_frame_vs_avroc_write <measured> 1.10
 *   RATIO deserialize_resolved_vs_same <measured> 2.0
 *   COUNT warm_serialize_allocs <measured> 0
 *
 * Built and run by `make bench`, never by `make check`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <kavro.h>
#include <kavro/mock.h>

#include "bench_alloc.h"
#include "bench_util.h"

/* ---- the schemas and the event ------------------------------------------ */

#define CHECKIN_HEAD                                                           \
  "{\"type\":\"record\",\"name\":\"CheckIn\",\"namespace\":\"fieldservice\"," \
  "\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"},"                  \
  "{\"name\":\"ts\",\"type\":{\"type\":\"long\","                             \
  "\"logicalType\":\"timestamp-millis\"}},"                                   \
  "{\"name\":\"technician_id\",\"type\":\"string\"},"                         \
  "{\"name\":\"order_id\",\"type\":\"string\"},"                              \
  "{\"name\":\"lat\",\"type\":\"double\"},"                                   \
  "{\"name\":\"lon\",\"type\":\"double\"},"                                   \
  "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\","         \
  "\"symbols\":[\"ARRIVE\",\"LEAVE\",\"PAUSE\"]}},"                           \
  "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null},"

static const char writer_text[] =
    CHECKIN_HEAD "{\"name\":\"minutes\",\"type\":\"int\"},"
                 "{\"name\":\"photos\",\"type\":{\"type\":\"array\","
                 "\"items\":\"string\"}},"
                 "{\"name\":\"legacy_code\",\"type\":\"string\"}]}";

static const char reader_text[] =
    CHECKIN_HEAD "{\"name\":\"minutes\",\"type\":\"long\"},"
                 "{\"name\":\"photos\",\"type\":{\"type\":\"array\","
                 "\"items\":\"string\"}},"
                 "{\"name\":\"source\",\"type\":\"string\","
                 "\"default\":\"app\"},"
                 "{\"name\":\"battery\",\"type\":[\"null\",\"int\"],"
                 "\"default\":null},"
                 "{\"name\":\"verified\",\"type\":\"boolean\","
                 "\"default\":false}]}";

static const char event_json[] =
    "{\"event_id\":\"6f1c2b9e-6a59-4c1a-9a53-2b1f0f7c9d10\","
    "\"ts\":1763888400000,\"technician_id\":\"tech-0042\","
    "\"order_id\":\"SO-2026-000731\",\"lat\":52.5200066,\"lon\":13.404954,"
    "\"kind\":\"ARRIVE\",\"note\":{\"string\":\"gate code 4711\"},"
    "\"minutes\":95,\"photos\":[\"s3://bucket/a.jpg\",\"s3://bucket/b.jpg\"],"
    "\"legacy_code\":\"X17\"}";

#define TOPIC "field.checkins"
#define MIN_SECONDS 0.4
#define ROUNDS 3

typedef struct bench_s {
  kavro_mock_t *mock;
  kavro_registry_t *registry;
  kavro_schema_t *writer, *reader;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
  kavro_serializer_t *serializer;
  kavro_deserializer_t *same, *resolving;
  kavro_buf_t *out;
  char avro_buf[4096];
  avro_writer_t avro_writer;
  unsigned char frame[4096];
  size_t frame_size;
} bench_t;

static void serialize_op(void *ctx) {
  bench_t *b = ctx;
  if (kavro_serializer_serialize(b->serializer, TOPIC, false, b->writer,
                                 &b->value, b->out, NULL))
    kb_die("serialize", NULL);
}

static void avroc_write_op(void *ctx) {
  bench_t *b = ctx;
  avro_writer_reset(b->avro_writer);
  if (avro_value_write(b->avro_writer, &b->value))
    kb_die("avro_value_write", NULL);
}

static void deserialize(kavro_deserializer_t *des, bench_t *b) {
  kavro_deserialized_t msg;
  if (kavro_deserializer_deserialize(des, TOPIC, false, NULL, 0, b->frame,
                                     b->frame_size, &msg, NULL))
    kb_die("deserialize", NULL);
}

static void deserialize_same_op(void *ctx) {
  bench_t *b = ctx;
  deserialize(b->same, b);
}

static void deserialize_resolved_op(void *ctx) {
  bench_t *b = ctx;
  deserialize(b->resolving, b);
}

/* Allocations are counted over ALLOC_CALLS warm calls (not averaged, so
 * that a single one shows). */
#define ALLOC_CALLS 10000

static kavro_schema_t *parse(const char *text) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  if (kavro_schema_parse(text, strlen(text), NULL, &schema, &error))
    kb_die("schema", &error);
  return schema;
}

static void setup(bench_t *b) {
  kavro_error_t error;
  if (kavro_mock_new("bench-serializer", &b->mock, &error))
    kb_die("mock", &error);
  kavro_conf_t *conf = kavro_conf_new();
  if (!conf ||
      kavro_conf_set(conf, "schema.registry.url", "mock://bench-serializer",
                     &error) ||
      !(b->registry = kavro_registry_new(conf, &error)))
    kb_die("registry", &error);
  b->writer = parse(writer_text);
  b->reader = parse(reader_text);
  if (kavro_schema_to_avro(b->writer, &b->avro, &error))
    kb_die("avro schema", &error);
  b->iface = avro_generic_class_from_schema(b->avro);
  if (!b->iface || avro_generic_value_new(b->iface, &b->value))
    kb_die("avro-c value", NULL);
  if (kavro_value_from_json(b->writer, event_json, strlen(event_json),
                            &b->value, &error))
    kb_die("event", &error);
  if (!(b->serializer = kavro_serializer_new(b->registry, NULL, &error)) ||
      !(b->same = kavro_deserializer_new(b->registry, NULL, NULL, &error)) ||
      !(b->resolving =
            kavro_deserializer_new(b->registry, NULL, NULL, &error)))
    kb_die("serializer", &error);
  kavro_deserializer_set_reader(b->resolving, false, b->reader);
  b->out = kavro_buf_new(0, 0);
  b->avro_writer = avro_writer_memory(b->avro_buf, sizeof(b->avro_buf));
  if (!b->out || !b->avro_writer)
    kb_die("setup", NULL);
  if (kavro_serializer_serialize_to(b->serializer, TOPIC, false, b->writer,
                                    &b->value, b->frame, sizeof(b->frame),
                                    &b->frame_size, &error))
    kb_die("first serialization", &error);
  /* The body must be what avro-c writes before speeds mean anything. */
  avroc_write_op(b);
  if ((size_t)avro_writer_tell(b->avro_writer) + KAVRO_WIRE_PREFIX_SIZE !=
          b->frame_size ||
      memcmp(b->avro_buf, b->frame + KAVRO_WIRE_PREFIX_SIZE,
             b->frame_size - KAVRO_WIRE_PREFIX_SIZE) != 0)
    kb_die("kavro and avro-c encode differently", NULL);
  deserialize_same_op(b);
  deserialize_resolved_op(b);
}

static void teardown(bench_t *b) {
  avro_writer_free(b->avro_writer);
  kavro_buf_destroy(b->out);
  kavro_deserializer_destroy(b->same);
  kavro_deserializer_destroy(b->resolving);
  kavro_serializer_destroy(b->serializer);
  avro_value_decref(&b->value);
  avro_value_iface_decref(b->iface);
  avro_schema_decref(b->avro);
  kavro_schema_destroy(b->writer);
  kavro_schema_destroy(b->reader);
  kavro_registry_destroy(b->registry);
  kavro_mock_destroy(b->mock);
}

int main(void) {
  bench_t b;
  memset(&b, 0, sizeof(b));
  setup(&b);
  uint64_t requests = kavro_mock_request_count(b.mock, NULL);
  double serialize_ns =
      kb_best_ns_per_call(serialize_op, &b, ROUNDS, MIN_SECONDS);
  double avroc_ns =
      kb_best_ns_per_call(avroc_write_op, &b, ROUNDS, MIN_SECONDS);
  double same_ns =
      kb_best_ns_per_call(deserialize_same_op, &b, ROUNDS, MIN_SECONDS);
  double resolved_ns =
      kb_best_ns_per_call(deserialize_resolved_op, &b, ROUNDS, MIN_SECONDS);
  size_t serialize_allocs =
      kb_allocations_in_calls(serialize_op, &b, 1, ALLOC_CALLS);
  size_t same_allocs =
      kb_allocations_in_calls(deserialize_same_op, &b, 1, ALLOC_CALLS);
  size_t resolved_allocs =
      kb_allocations_in_calls(deserialize_resolved_op, &b, 1, ALLOC_CALLS);
  uint64_t warm_requests = kavro_mock_request_count(b.mock, NULL) - requests;

  printf("kavro serializer bench: check-in event, %zu-byte frame\n\n",
         b.frame_size);
  printf("%-44s %10s %16s\n", "operation", "ns/call", "allocs/10k calls");
  printf("%-44s %10.1f %16zu\n", "serialize + frame (warm serializer)",
         serialize_ns, serialize_allocs);
  printf("%-44s %10.1f %16s\n", "avro-c avro_value_write (same value)",
         avroc_ns, "-");
  printf("%-44s %10.1f %16zu\n", "deserialize, same schema", same_ns,
         same_allocs);
  printf("%-44s %10.1f %16zu\n", "deserialize, resolved to v2", resolved_ns,
         resolved_allocs);
  printf("registry requests during the warm runs: %llu\n\n",
         (unsigned long long)warm_requests);

  kb_figure("serialize_frame_ns", 1, serialize_ns, "ns");
  kb_figure("avroc_write_ns", 1, avroc_ns, "ns");
  kb_figure("deserialize_same_ns", 1, same_ns, "ns");
  kb_figure("deserialize_resolved_ns", 1, resolved_ns, "ns");
  kb_figure("warm_registry_requests", 0, (double)warm_requests, "count");
  kb_ratio("serialize_frame_vs_avroc_write", 2, serialize_ns / avroc_ns,
           "1.10");
  kb_ratio("deserialize_resolved_vs_same", 2, resolved_ns / same_ns, "2.0");
  kb_count("warm_serialize_allocs", serialize_allocs, "0");
  teardown(&b);
  return 0;
}
