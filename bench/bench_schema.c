/*
 * kavro bench - the schema model and the wire frame.
 *
 * Generates a large schema (1,000 fields in 81 records, with enums, fixed,
 * arrays, maps, unions and logical types) and measures, per iteration,
 * parse + validation + canonical form + the three fingerprints; and per
 * message, unframing and framing.
 *
 * Then shows that validation is linear in the size of a schema: an enum of
 * n symbols, a record of n fields and a union of n named types are parsed
 * for n = 10,000, 100,000 and 1,000,000.  A check that compares each member
 * with the ones before it takes 10,000 times as long for 1,000,000 members
 * as for 10,000, and 100 times as long as for 100,000; a linear one 100 and
 * 10 times.  A 10,000-member schema fits in the caches and a larger one
 * does not, which costs a linear parse two to three times per member on
 * its own: hence the goals of 4 for 1M against 10k and 2 for 1M against
 * 100k, where both sizes are past the caches.
 *
 * Prints a table for people and one machine line per figure:
 *
 *   FIGURE <name> <value> <unit>
 *   RATIO schema_<shape>_1m_vs_100x_10k <measured> 4.0
 *   RATIO schema_<shape>_1m_vs_10x_100k <measured> 2.0
 *
 * Built and run by `make bench`, never by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>

#include "bench_util.h"

/* The generated schema: GROUPS records of LEAVES fields and one nested
 * record of SUB_FIELDS fields each, under one top-level record. */
#define GROUPS 40
#define LEAVES 20
#define SUB_FIELDS 4
#define FIELD_TOTAL (GROUPS * (LEAVES + 1 + SUB_FIELDS))

/* How long each measurement runs at least, in seconds. */
#define MIN_SECONDS 1.0

/* ---- building the schema text ---------------------------------------- */

/* The leaf field types, in turn: every kind of type a real event uses. */
static void put_leaf(kb_text_t *t, int group, int leaf) {
  kb_put(t,
         "{\"name\": \"f%d_%d\", \"doc\": \"field %d of group %d\", \"type\": ",
         group, leaf, leaf, group);
  switch (leaf % 10) {
  case 0:
    kb_put(t, "\"string\"");
    break;
  case 1:
    kb_put(t, "{\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}");
    break;
  case 2:
    kb_put(t, "[\"null\", \"string\"], \"default\": null");
    break;
  case 3:
    if (leaf == 3)
      kb_put(t,
             "{\"type\": \"enum\", \"name\": \"Status%d\", \"symbols\": "
             "[\"NEW\", \"OPEN\", \"DONE\", \"FAILED\"], \"default\": \"NEW\"}",
             group);
    else
      kb_put(t, "\"Status%d\"", group);
    break;
  case 4:
    kb_put(t, "{\"type\": \"array\", \"items\": \"int\"}, \"default\": []");
    break;
  case 5:
    kb_put(t, "{\"type\": \"map\", \"values\": \"double\"}");
    break;
  case 6:
    kb_put(t, "{\"type\": \"bytes\", \"logicalType\": \"decimal\", "
              "\"precision\": 12, \"scale\": 2}");
    break;
  case 7:
    if (leaf == 7)
      kb_put(t, "{\"type\": \"fixed\", \"name\": \"Id%d\", \"size\": 16}",
             group);
    else
      kb_put(t, "\"Id%d\"", group);
    break;
  case 8:
    kb_put(t, "\"int\", \"default\": 0, \"aliases\": [\"old%d_%d\"]", group,
           leaf);
    break;
  default:
    kb_put(t, "[\"null\", \"long\", \"string\"], \"default\": null");
  }
  kb_put(t, "}");
}

static void put_group(kb_text_t *t, int group) {
  kb_put(t,
         "{\"name\": \"g%d\", \"type\": {\"type\": \"record\", \"name\": "
         "\"Group%d\", \"fields\": [",
         group, group);
  for (int leaf = 0; leaf < LEAVES; leaf++) {
    put_leaf(t, group, leaf);
    kb_put(t, ",\n");
  }
  kb_put(t,
         "{\"name\": \"sub\", \"type\": {\"type\": \"record\", \"name\": "
         "\"Sub%d\", \"namespace\": \"com.bench.sub\", \"fields\": [",
         group);
  for (int f = 0; f < SUB_FIELDS; f++)
    kb_put(t, "%s{\"name\": \"s%d\", \"type\": \"%s\"}", f ? ", " : "", f,
           f % 2 ? "long" : "string");
  kb_put(t, "]}}]}}");
}

static char *make_schema(size_t *length) {
  kb_text_t t = {NULL, 0, 0};
  kb_put(&t, "{\"type\": \"record\", \"name\": \"Big\", \"namespace\": "
             "\"com.bench\", \"doc\": \"generated\", \"fields\": [\n");
  for (int g = 0; g < GROUPS; g++) {
    put_group(&t, g);
    kb_put(&t, g + 1 < GROUPS ? ",\n" : "\n");
  }
  kb_put(&t, "]}\n");
  *length = t.length;
  return t.data;
}

/* ---- timing ----------------------------------------------------------- */

typedef struct measure_s {
  const char *name;
  const char *unit; /* of the per-operation figure */
  double scale;     /* seconds to that unit */
  double per_op;    /* filled in */
  double ops_per_s; /* filled in */
} measure_t;

/* Run @op in batches of @batch until MIN_SECONDS have passed. */
static void measure(measure_t *m, kb_batch_fn op, void *ctx, size_t batch) {
  double ns = kb_ns_per_op(op, ctx, batch, MIN_SECONDS);
  m->per_op = ns / 1e9 * m->scale;
  m->ops_per_s = 1e9 / ns;
}

/* ---- the operations ---------------------------------------------------- */

typedef struct schema_ctx_s {
  const char *text;
  size_t length;
  size_t canonical_length;
} schema_ctx_t;

static void parse_schema(void *ctx, size_t batch) {
  schema_ctx_t *c = ctx;
  for (size_t i = 0; i < batch; i++) {
    kavro_schema_t *schema;
    kavro_error_t error;
    if (kavro_schema_parse(c->text, c->length, NULL, &schema, &error) !=
        KAVRO_OK)
      kb_die("parse", &error);
    unsigned char md5[16], sha256[32];
    c->canonical_length = strlen(kavro_schema_canonical(schema));
    volatile uint64_t rabin = kavro_schema_rabin(schema);
    (void)rabin;
    if (kavro_schema_fingerprint(schema, KAVRO_FINGERPRINT_MD5, md5,
                                 sizeof(md5)) != KAVRO_OK ||
        kavro_schema_fingerprint(schema, KAVRO_FINGERPRINT_SHA256, sha256,
                                 sizeof(sha256)) != KAVRO_OK)
      kb_die("fingerprint", NULL);
    kavro_schema_destroy(schema);
  }
}

/* ---- validation scales linearly ---------------------------------------- */

/* One shape of large schema: writes the text of one with @n members. */
typedef struct shape_s {
  const char *name;
  void (*write)(kb_text_t *t, size_t n);
} shape_t;

/* The default names the last symbol, so that it is looked up too. */
static void write_enum(kb_text_t *t, size_t n) {
  kb_put(t, "{\"type\": \"enum\", \"name\": \"E\", \"symbols\": [");
  for (size_t i = 0; i < n; i++)
    kb_put(t, "%s\"S%zu\"", i ? ", " : "", i);
  kb_put(t, "], \"default\": \"S%zu\"}", n - 1);
}

static void write_record(kb_text_t *t, size_t n) {
  kb_put(t, "{\"type\": \"record\", \"name\": \"R\", \"fields\": [");
  for (size_t i = 0; i < n; i++)
    kb_put(t, "%s{\"name\": \"f%zu\", \"type\": \"int\"}", i ? ", " : "", i);
  kb_put(t, "]}");
}

/* Each branch defines a named type: a lookup of its name, a registration,
 * and a check against the other branches. */
static void write_named_union(kb_text_t *t, size_t n) {
  kb_put(t, "[");
  for (size_t i = 0; i < n; i++)
    kb_put(t, "%s{\"type\": \"fixed\", \"name\": \"F%zu\", \"size\": 1}",
           i ? ", " : "", i);
  kb_put(t, "]");
}

static const shape_t shapes[] = {
    {"enum_symbols", write_enum},
    {"record_fields", write_record},
    {"named_types", write_named_union},
};

#define SHAPE_COUNT (sizeof(shapes) / sizeof(shapes[0]))
#define SMALL_N 10000u
#define MEDIUM_N 100000u
#define LARGE_N 1000000u
/* Runs of the 10,000-member schema per timing, and timings kept the best
 * of: enough for milliseconds of work per timing. */
#define SMALL_RUNS 10
#define SMALL_ROUNDS 5

/* CPU seconds to parse @text @runs times, the best of @rounds timings: the
 * thread's CPU clock leaves out time spent waiting for a core. */
static double parse_seconds(const kb_text_t *text, int runs, int rounds) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.max_size = text->length; /* the largest exceed the default */
  double best = 0;
  for (int round = 0; round < rounds; round++) {
    double start = kb_thread_now();
    for (int run = 0; run < runs; run++) {
      kavro_schema_t *schema;
      kavro_error_t error;
      if (kavro_schema_parse(text->data, text->length, &options, &schema,
                             &error) != KAVRO_OK)
        kb_die("parse a large schema", &error);
      kavro_schema_destroy(schema);
    }
    double seconds = (kb_thread_now() - start) / runs;
    if (round == 0 || seconds < best)
      best = seconds;
  }
  return best;
}

static double shape_seconds(const shape_t *shape, size_t n, int runs,
                            int rounds) {
  kb_text_t text = {NULL, 0, 0};
  shape->write(&text, n);
  double seconds = parse_seconds(&text, runs, rounds);
  free(text.data);
  return seconds;
}

/* The machine lines of one shape: a figure per size, then the ratios. */
static void report_shape(const char *shape, const double seconds[3],
                         double vs_small, double vs_medium) {
  const size_t sizes[] = {SMALL_N, MEDIUM_N, LARGE_N};
  char name[96];
  for (size_t k = 0; k < 3; k++) {
    snprintf(name, sizeof(name), "schema_%s_%zuk", shape, sizes[k] / 1000);
    kb_figure(name, 3, seconds[k] * 1e3, "ms");
  }
  snprintf(name, sizeof(name), "schema_%s_1m_vs_100x_10k", shape);
  kb_ratio(name, 2, vs_small, "4.0");
  snprintf(name, sizeof(name), "schema_%s_1m_vs_10x_100k", shape);
  kb_ratio(name, 2, vs_medium, "2.0");
}

/* Time each shape at the three sizes.  The large sizes are timed twice:
 * the first run also pays for the pages the allocator takes from the
 * system, which says nothing about the parser. */
static void measure_scaling(void) {
  printf("%-16s %10s %10s %10s %12s %12s\n", "validation of", "10k (ms)",
         "100k (ms)", "1M (ms)", "1M/100x10k", "1M/10x100k");
  for (size_t i = 0; i < SHAPE_COUNT; i++) {
    const shape_t *shape = &shapes[i];
    double seconds[3] = {
        shape_seconds(shape, SMALL_N, SMALL_RUNS, SMALL_ROUNDS),
        shape_seconds(shape, MEDIUM_N, 1, 2),
        shape_seconds(shape, LARGE_N, 1, 2),
    };
    double vs_small = seconds[2] / (100.0 * seconds[0]);
    double vs_medium = seconds[2] / (10.0 * seconds[1]);
    printf("%-16s %10.2f %10.2f %10.2f %12.2f %12.2f\n", shape->name,
           seconds[0] * 1e3, seconds[1] * 1e3, seconds[2] * 1e3, vs_small,
           vs_medium);
    report_shape(shape->name, seconds, vs_small, vs_medium);
  }
}

#define FRAME_COUNT 1024
#define BODY_SIZE 120

typedef struct wire_ctx_s {
  unsigned char frames[FRAME_COUNT][KAVRO_WIRE_PREFIX_SIZE + BODY_SIZE];
  size_t sizes[FRAME_COUNT];
  unsigned char out[KAVRO_WIRE_MAX_ID_SIZE + BODY_SIZE];
  volatile size_t sink; /* keeps the results alive */
} wire_ctx_t;

static void build_frames(wire_ctx_t *w) {
  for (size_t i = 0; i < FRAME_COUNT; i++) {
    unsigned char body[BODY_SIZE];
    size_t body_size = 16 + i % (BODY_SIZE - 16);
    for (size_t b = 0; b < body_size; b++)
      body[b] = (unsigned char)(i + b);
    kavro_schema_id_t id = kavro_schema_id_int((int32_t)(1 + i % 50));
    if (kavro_wire_frame(&id, body, body_size, w->frames[i],
                         sizeof(w->frames[i]), &w->sizes[i], NULL) != KAVRO_OK)
      kb_die("frame", NULL);
  }
}

static void unframe_messages(void *ctx, size_t batch) {
  wire_ctx_t *w = ctx;
  size_t total = 0;
  for (size_t i = 0; i < batch; i++) {
    kavro_wire_frame_t frame;
    size_t k = i % FRAME_COUNT;
    if (kavro_wire_unframe(w->frames[k], w->sizes[k], &frame, NULL) != KAVRO_OK)
      kb_die("unframe", NULL);
    total += frame.body_size + frame.id.id;
  }
  w->sink = total;
}

static void frame_messages(void *ctx, size_t batch) {
  wire_ctx_t *w = ctx;
  size_t total = 0;
  for (size_t i = 0; i < batch; i++) {
    size_t k = i % FRAME_COUNT, length;
    kavro_schema_id_t id = kavro_schema_id_int((int32_t)k);
    if (kavro_wire_frame(&id, w->frames[k] + KAVRO_WIRE_PREFIX_SIZE,
                         w->sizes[k] - KAVRO_WIRE_PREFIX_SIZE, w->out,
                         sizeof(w->out), &length, NULL) != KAVRO_OK)
      kb_die("frame", NULL);
    total += length + w->out[length - 1];
  }
  w->sink = total;
}

int main(void) {
  schema_ctx_t sc = {NULL, 0, 0};
  char *text = make_schema(&sc.length);
  sc.text = text;
  static wire_ctx_t wire;
  build_frames(&wire);

  measure_t schema = {"schema_parse_canonical_fingerprints", "us", 1e6, 0, 0};
  measure_t unframe = {"wire_unframe", "ns", 1e9, 0, 0};
  measure_t frame = {"wire_frame_120b_body", "ns", 1e9, 0, 0};
  measure(&schema, parse_schema, &sc, 4);
  measure(&unframe, unframe_messages, &wire, 1u << 20);
  measure(&frame, frame_messages, &wire, 1u << 20);
  double mb_per_s = (double)sc.length * schema.ops_per_s / 1e6;

  printf("kavro %s bench: schema of %d fields in %d records, %zu bytes of "
         "JSON, canonical form %zu bytes\n\n",
         kavro_version_str(), FIELD_TOTAL, 1 + 2 * GROUPS, sc.length,
         sc.canonical_length);
  printf("%-38s %14s %16s\n", "operation", "time per op", "ops per second");
  const measure_t *all[] = {&schema, &unframe, &frame};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    printf("%-38s %11.1f %-2s %16.0f\n", all[i]->name, all[i]->per_op,
           all[i]->unit, all[i]->ops_per_s);
  printf("%-38s %11.1f MB/s\n\n", "schema text parsed", mb_per_s);

  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    kb_figure(all[i]->name, 3, all[i]->per_op, all[i]->unit);
  kb_figure("schema_parse_throughput", 2, mb_per_s, "MB/s");
  kb_figure("schema_fields", 0, FIELD_TOTAL, "fields");
  printf("\n");
  measure_scaling();
  free(text);
  return EXIT_SUCCESS;
}
