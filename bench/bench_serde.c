/*
 * kavro bench - the value codec and schema resolution.
 *
 * One service-order event (strings, numbers, an enum, a nullable field, an
 * array of strings, a map, an array of records: its collections name its
 * decode ratio, generic_decode_vs_avroc_collections) is encoded and decoded
 * as an avro-c generic value, by kavro and by avro-c's own
 * avro_value_write/avro_value_read (its reader reused), and
 * read through a resolution plan into a later version of its schema (fields
 * reordered, one removed, three added with defaults, int widened to long,
 * an enum symbol added).  Allocations are counted by wrapping malloc.
 * Prints a table for people and machine lines:
 *
 *   FIGURE <name> <value> <unit>
 *   RATIO <name> <measured> <goal>    (measured must not exceed goal)
 *   COUNT <name> <measured> <goal>
 *
 * Built and run by `make bench`, never by `make check`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <kavro.h>

#include "bench_alloc.h"
#include "bench_util.h"

/* ---- the schemas and the event -------------------------------------------------------------- */

static const char *writer_text =
    "{\"type\":\"record\",\"name\":\"ServiceOrder\",\"namespace\":\"bench\",\"fields\":["
    "{\"name\":\"event_id\",\"type\":\"string\"},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"order_id\",\"type\":\"string\"},"
    "{\"name\":\"project_id\",\"type\":\"string\"},"
    "{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"Status\","
    "\"symbols\":[\"NEW\",\"PLANNED\",\"DONE\"]}},"
    "{\"name\":\"duration\",\"type\":\"int\"},"
    "{\"name\":\"price\",\"type\":\"double\"},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
    "{\"name\":\"lines\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","
    "\"name\":\"Line\",\"fields\":[{\"name\":\"sku\",\"type\":\"string\"},"
    "{\"name\":\"qty\",\"type\":\"int\"},{\"name\":\"amount\",\"type\":\"double\"}]}}},"
    "{\"name\":\"legacy\",\"type\":\"string\"}]}";

static const char *reader_text =
    "{\"type\":\"record\",\"name\":\"ServiceOrder\",\"namespace\":\"bench\",\"fields\":["
    "{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"Status\","
    "\"symbols\":[\"NEW\",\"PLANNED\",\"DONE\",\"CANCELLED\"]}},"
    "{\"name\":\"event_id\",\"type\":\"string\"},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"order_id\",\"type\":\"string\"},"
    "{\"name\":\"project_id\",\"type\":\"string\"},"
    "{\"name\":\"duration\",\"type\":\"long\"},"
    "{\"name\":\"price\",\"type\":\"double\"},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
    "{\"name\":\"lines\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","
    "\"name\":\"Line\",\"fields\":[{\"name\":\"sku\",\"type\":\"string\"},"
    "{\"name\":\"qty\",\"type\":\"int\"},{\"name\":\"amount\",\"type\":\"double\"},"
    "{\"name\":\"discount\",\"type\":\"double\",\"default\":0.0}]}}},"
    "{\"name\":\"channel\",\"type\":\"string\",\"default\":\"web\"},"
    "{\"name\":\"priority\",\"type\":\"int\",\"default\":0}]}";

static const char *event_json =
    "{\"event_id\":\"6f1c2d3e-0000-4000-8000-000000000002\",\"ts\":1710408413589,"
    "\"order_id\":\"SO-2001\",\"project_id\":\"PRJ-1001\",\"status\":\"PLANNED\","
    "\"duration\":240,\"price\":1249.5,\"note\":{\"string\":\"call before arrival\"},"
    "\"tags\":[\"kitchen\",\"install\",\"fr\",\"priority\"],"
    "\"attrs\":{\"store\":\"LM-59\",\"team\":\"TEAM-3\",\"zone\":\"north\"},"
    "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":2,\"amount\":199.9},"
    "{\"sku\":\"SKU-22\",\"qty\":1,\"amount\":850.0},"
    "{\"sku\":\"SKU-333\",\"qty\":4,\"amount\":49.9}],"
    "\"legacy\":\"unused by readers of v2\"}";

/* How long each measurement runs at least, in seconds, and how often it is
 * repeated (the best round counts: the machine is shared). */
#define MIN_SECONDS 0.4
#define ROUNDS 3

typedef struct subject_s {
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
} subject_t;

static void subject_init(subject_t *s, const char *text) {
  kavro_error_t error;
  if (kavro_schema_parse(text, strlen(text), NULL, &s->schema, &error) ||
      kavro_schema_to_avro(s->schema, &s->avro, &error))
    kb_die("schema", &error);
  s->iface = avro_generic_class_from_schema(s->avro);
  if (!s->iface || avro_generic_value_new(s->iface, &s->value))
    kb_die("avro-c value", NULL);
}

static void subject_free(subject_t *s) {
  avro_value_decref(&s->value);
  avro_value_iface_decref(s->iface);
  avro_schema_decref(s->avro);
  kavro_schema_destroy(s->schema);
}

/* ---- timing ----------------------------------------------------------------------------------- */

typedef struct bench_s {
  subject_t writer, reader;
  kavro_resolution_t *plan;
  kavro_decoder_t *decoder;
  kavro_buf_t *out;
  char avro_buf[4096];
  avro_writer_t avro_writer;
  avro_reader_t avro_reader;
  unsigned char body[4096];
  size_t body_size;
} bench_t;

static void kavro_encode_op(void *ctx) {
  bench_t *b = ctx;
  kavro_buf_reset(b->out);
  if (kavro_encode(b->writer.schema, &b->writer.value, b->out, NULL))
    kb_die("kavro_encode", NULL);
}

static void avroc_encode_op(void *ctx) {
  bench_t *b = ctx;
  avro_writer_reset(b->avro_writer);
  if (avro_value_write(b->avro_writer, &b->writer.value))
    kb_die("avro_value_write", NULL);
}

static void kavro_decode_op(void *ctx) {
  bench_t *b = ctx;
  if (kavro_decode(b->decoder, b->writer.schema, b->body, b->body_size,
                   &b->writer.value, NULL, NULL))
    kb_die("kavro_decode", NULL);
}

/* avro-c at its best: its reader reused, not made for each message. */
static void avroc_decode_op(void *ctx) {
  bench_t *b = ctx;
  avro_reader_memory_set_source(b->avro_reader, (const char *)b->body,
                                (int64_t)b->body_size);
  avro_value_reset(&b->writer.value);
  if (avro_value_read(b->avro_reader, &b->writer.value))
    kb_die("avro_value_read", NULL);
}

static void kavro_resolve_op(void *ctx) {
  bench_t *b = ctx;
  if (kavro_decode_resolved(b->decoder, b->plan, b->body, b->body_size,
                            &b->reader.value, NULL, NULL))
    kb_die("kavro_decode_resolved", NULL);
}

/* Allocations per call of @op once it is warm. */
static double allocations_per_call(bench_t *b, kb_call_fn op) {
  enum { CALLS = 10000 };
  return (double)kb_allocations_in_calls(op, b, 1, CALLS) / CALLS;
}

static void setup(bench_t *b) {
  kavro_error_t error;
  subject_init(&b->writer, writer_text);
  subject_init(&b->reader, reader_text);
  if (kavro_value_from_json(b->writer.schema, event_json, strlen(event_json),
                            &b->writer.value, &error))
    kb_die("event", &error);
  if (kavro_resolution_new(b->writer.schema, b->reader.schema, &b->plan, &error))
    kb_die("resolution", &error);
  b->decoder = kavro_decoder_new(NULL);
  b->out = kavro_buf_new(0, 0);
  b->avro_writer = avro_writer_memory(b->avro_buf, sizeof(b->avro_buf));
  b->avro_reader = avro_reader_memory((const char *)b->body, 0);
  if (!b->decoder || !b->out || !b->avro_writer || !b->avro_reader)
    kb_die("setup", NULL);
  if (kavro_encode_to(b->writer.schema, &b->writer.value, b->body,
                      sizeof(b->body), &b->body_size, &error))
    kb_die("encode", &error);
  /* Both encoders must agree before their speed means anything. */
  avroc_encode_op(b);
  if ((size_t)avro_writer_tell(b->avro_writer) != b->body_size ||
      memcmp(b->avro_buf, b->body, b->body_size) != 0)
    kb_die("kavro and avro-c encode differently", NULL);
}

static void teardown(bench_t *b) {
  avro_writer_free(b->avro_writer);
  avro_reader_free(b->avro_reader);
  kavro_buf_destroy(b->out);
  kavro_decoder_destroy(b->decoder);
  kavro_resolution_destroy(b->plan);
  subject_free(&b->reader);
  subject_free(&b->writer);
}

int main(void) {
  static bench_t b;
  setup(&b);
  struct {
    const char *name;
    kb_call_fn op;
    double ns;
  } ops[] = {
      {"encode_kavro", kavro_encode_op, 0},
      {"encode_avroc", avroc_encode_op, 0},
      {"decode_kavro", kavro_decode_op, 0},
      {"decode_avroc", avroc_decode_op, 0},
      {"decode_resolved_kavro", kavro_resolve_op, 0},
  };
  size_t n = sizeof(ops) / sizeof(ops[0]);
  for (size_t i = 0; i < n; i++)
    ops[i].ns = kb_best_ns_per_call(ops[i].op, &b, ROUNDS, MIN_SECONDS);
  double encode_allocs = allocations_per_call(&b, kavro_encode_op);
  double decode_allocs = allocations_per_call(&b, kavro_decode_op);
  double resolve_allocs = allocations_per_call(&b, kavro_resolve_op);
  double avroc_decode_allocs = allocations_per_call(&b, avroc_decode_op);

  printf("kavro serde bench: one %zu-byte service-order event, best of %d "
         "rounds of %.1f s\n\n", b.body_size, ROUNDS, MIN_SECONDS);
  printf("%-26s %12s %16s\n", "operation", "ns per op", "ops per second");
  for (size_t i = 0; i < n; i++)
    printf("%-26s %12.1f %16.0f\n", ops[i].name, ops[i].ns, 1e9 / ops[i].ns);
  printf("\n%-26s %12s\n", "allocations per message", "warm");
  printf("%-26s %12.2f\n%-26s %12.2f\n%-26s %12.2f\n%-26s %12.2f\n\n",
         "encode_kavro", encode_allocs, "decode_kavro", decode_allocs,
         "decode_resolved_kavro", resolve_allocs, "decode_avroc", avroc_decode_allocs);

  for (size_t i = 0; i < n; i++)
    kb_figure(ops[i].name, 1, ops[i].ns, "ns");
  kb_figure("decode_kavro_allocs", 2, decode_allocs, "allocations");
  kb_figure("decode_avroc_allocs", 2, avroc_decode_allocs, "allocations");
  kb_ratio("generic_encode_vs_avroc", 2, ops[0].ns / ops[1].ns, "1.10");
  /* bench_typed's generic_decode_vs_avroc lines are on the catalog's
   * records; this one is on this file's, with its collections. */
  kb_ratio("generic_decode_vs_avroc_collections", 2, ops[2].ns / ops[3].ns,
           "1.10");
  kb_ratio("resolve_vs_same_schema_decode", 2, ops[4].ns / ops[2].ns, "2.0");
  kb_count("warm_encode_allocs", encode_allocs, "0");
  teardown(&b);
  return 0;
}
