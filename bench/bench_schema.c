/*
 * kavro bench - the schema model and the wire frame.
 *
 * Generates a large schema (1,000 fields in 81 records, with enums, fixed,
 * arrays, maps, unions and logical types) and measures, per iteration,
 * parse + validation + canonical form + the three fingerprints; and per
 * message, unframing and framing.  Prints a table for people and one
 * machine line per figure:
 *
 *   FIGURE <name> <value> <unit>
 *
 * (RATIO/COUNT lines against goals join these once goals are set.)
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
    kavro_schema_id_t id = kavro_schema_id_int((uint32_t)(1 + i % 50));
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
    kavro_schema_id_t id = kavro_schema_id_int((uint32_t)k);
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
  free(text);
  return EXIT_SUCCESS;
}
