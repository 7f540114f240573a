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
#include <time.h>

#include <avro.h>
#include <kavro.h>
#include <kavro/mock.h>

/* ---- counting allocations ------------------------------------------------ */

/* glibc's own entry points: the replacements below count every allocation
 * of the process (avro-c's included); they are exported so that the
 * shared libraries bind to them. */
#define COUNTED __attribute__((visibility("default")))
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static size_t allocations;

COUNTED void *malloc(size_t size) {
  allocations++;
  return __libc_malloc(size);
}

COUNTED void *calloc(size_t n, size_t size) {
  allocations++;
  return __libc_calloc(n, size);
}

COUNTED void *realloc(void *p, size_t size) {
  allocations++;
  return __libc_realloc(p, size);
}

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

static void die(const char *what, const kavro_error_t *error) {
  fprintf(stderr, "bench_serializer: %s: %s\n", what,
          error ? error->text : avro_strerror());
  exit(1);
}

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

typedef void (*op_fn)(bench_t *b);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nanoseconds per call of @op, the best of ROUNDS rounds (the machine is
 * shared). */
static double measure(bench_t *b, op_fn op) {
  double best = 0;
  for (int round = 0; round < ROUNDS; round++) {
    size_t calls = 0, batch = 1000;
    double start = now(), elapsed;
    do {
      for (size_t i = 0; i < batch; i++)
        op(b);
      calls += batch;
      elapsed = now() - start;
    } while (elapsed < MIN_SECONDS);
    double per = elapsed * 1e9 / (double)calls;
    if (round == 0 || per < best)
      best = per;
  }
  return best;
}

static void serialize_op(bench_t *b) {
  if (kavro_serializer_serialize(b->serializer, TOPIC, false, b->writer,
                                 &b->value, b->out, NULL))
    die("serialize", NULL);
}

static void avroc_write_op(bench_t *b) {
  avro_writer_reset(b->avro_writer);
  if (avro_value_write(b->avro_writer, &b->value))
    die("avro_value_write", NULL);
}

static void deserialize(kavro_deserializer_t *des, bench_t *b) {
  kavro_deserialized_t msg;
  if (kavro_deserializer_deserialize(des, TOPIC, false, NULL, 0, b->frame,
                                     b->frame_size, &msg, NULL))
    die("deserialize", NULL);
}

static void deserialize_same_op(bench_t *b) { deserialize(b->same, b); }

static void deserialize_resolved_op(bench_t *b) {
  deserialize(b->resolving, b);
}

#define ALLOC_CALLS 10000

/* Allocations made by ALLOC_CALLS warm calls of @op (not averaged, so
 * that a single one shows). */
static size_t allocations_in_calls(bench_t *b, op_fn op) {
  op(b);
  size_t before = allocations;
  for (int i = 0; i < ALLOC_CALLS; i++)
    op(b);
  return allocations - before;
}

static kavro_schema_t *parse(const char *text) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  if (kavro_schema_parse(text, strlen(text), NULL, &schema, &error))
    die("schema", &error);
  return schema;
}

static void setup(bench_t *b) {
  kavro_error_t error;
  if (kavro_mock_new("bench-serializer", &b->mock, &error))
    die("mock", &error);
  kavro_conf_t *conf = kavro_conf_new();
  if (!conf ||
      kavro_conf_set(conf, "schema.registry.url", "mock://bench-serializer",
                     &error) ||
      !(b->registry = kavro_registry_new(conf, &error)))
    die("registry", &error);
  b->writer = parse(writer_text);
  b->reader = parse(reader_text);
  if (kavro_schema_to_avro(b->writer, &b->avro, &error))
    die("avro schema", &error);
  b->iface = avro_generic_class_from_schema(b->avro);
  if (!b->iface || avro_generic_value_new(b->iface, &b->value))
    die("avro-c value", NULL);
  if (kavro_value_from_json(b->writer, event_json, strlen(event_json),
                            &b->value, &error))
    die("event", &error);
  if (!(b->serializer = kavro_serializer_new(b->registry, NULL, &error)) ||
      !(b->same = kavro_deserializer_new(b->registry, NULL, NULL, &error)) ||
      !(b->resolving =
            kavro_deserializer_new(b->registry, NULL, NULL, &error)))
    die("serializer", &error);
  kavro_deserializer_set_reader(b->resolving, false, b->reader);
  b->out = kavro_buf_new(0, 0);
  b->avro_writer = avro_writer_memory(b->avro_buf, sizeof(b->avro_buf));
  if (!b->out || !b->avro_writer)
    die("setup", NULL);
  if (kavro_serializer_serialize_to(b->serializer, TOPIC, false, b->writer,
                                    &b->value, b->frame, sizeof(b->frame),
                                    &b->frame_size, &error))
    die("first serialization", &error);
  /* The body must be what avro-c writes before speeds mean anything. */
  avroc_write_op(b);
  if ((size_t)avro_writer_tell(b->avro_writer) + KAVRO_WIRE_PREFIX_SIZE !=
          b->frame_size ||
      memcmp(b->avro_buf, b->frame + KAVRO_WIRE_PREFIX_SIZE,
             b->frame_size - KAVRO_WIRE_PREFIX_SIZE) != 0)
    die("kavro and avro-c encode differently", NULL);
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
  double serialize_ns = measure(&b, serialize_op);
  double avroc_ns = measure(&b, avroc_write_op);
  double same_ns = measure(&b, deserialize_same_op);
  double resolved_ns = measure(&b, deserialize_resolved_op);
  size_t serialize_allocs = allocations_in_calls(&b, serialize_op);
  size_t same_allocs = allocations_in_calls(&b, deserialize_same_op);
  size_t resolved_allocs = allocations_in_calls(&b, deserialize_resolved_op);
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

  printf("FIGURE serialize_frame_ns %.1f ns\n", serialize_ns);
  printf("FIGURE avroc_write_ns %.1f ns\n", avroc_ns);
  printf("FIGURE deserialize_same_ns %.1f ns\n", same_ns);
  printf("FIGURE deserialize_resolved_ns %.1f ns\n", resolved_ns);
  printf("FIGURE warm_registry_requests %llu count\n",
         (unsigned long long)warm_requests);
  printf("RATIO serialize_frame_vs_avroc_write %.2f 1.10\n",
         serialize_ns / avroc_ns);
  printf("RATIO deserialize_resolved_vs_same %.2f 2.0\n",
         resolved_ns / same_ns);
  printf("COUNT warm_serialize_allocs %zu 0\n", serialize_allocs);
  teardown(&b);
  return 0;
}
