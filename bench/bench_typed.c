/*
 * kavro bench - typed records: generated code for ServiceOrderCreated
 * (the catalog, generated into the build tree) against the real limit
 * (service_order_limit.h: straight-line code for exactly this record) and
 * against avro-c's generic value, filled field by field and written (what
 * C users have today).  Encoders and decoders cycle through a pool of
 * KB_POOL_SIZE varied events, so that branches are not all predicted; a
 * start-up check proves every encoder writes the same frames.  Cases run
 * in interleaved rounds and a ratio is the median of the ratios within a
 * round.  Also:
 * decoding through a resolution program against same-schema decoding;
 * and a record with an array of 20 nested records (tests/gen/work_order).
 * The resolution ratio is the commonest evolution (a field appended with a
 * default); a writer with the fields reordered is a FIGURE beside it.
 *
 * Output: a table, then machine lines
 *   FIGURE <name> <value> <unit>
 *   RATIO <name> <measured> <goal>    (measured must not exceed goal,
 *     except avroc_fill_write_vs_typed_encode: a speed-up that must reach it)
 *   COUNT <name> <measured> <goal>
 * Allocations are counted by wrapping malloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "bench_alloc.h"
#include "bench_util.h"
#include "catalog.h"
#include "sample_order.h"
#include "kavro.h"
#include "kavro/mock.h"
#include "kavro/registry.h"
#include "kavro/serde.h"
#include "kavro/serializer.h"
#include "kavro/typed.h"
#include "service_order_limit.h"
#include "work_order.h"

/* ---- the data -------------------------------------------------------------- */

#define SCHEMA_ID 1u
#define ROUNDS 3
#define FRAME_MAX 256

typedef struct bench_s {
  kavro_mock_t *mock;
  kavro_registry_t *registry;
  kavro_serializer_t *serializer;
  kavro_typed_serializer_t *ts;
  service_order_created_t order; /* the sample: resolution, allocations */
  /* The pool, as generated structs, as the limit's, and framed. */
  service_order_created_t orders[KB_POOL_SIZE];
  limit_order_t limits[KB_POOL_SIZE];
  unsigned char frames[KB_POOL_SIZE][FRAME_MAX];
  size_t frame_sizes[KB_POOL_SIZE];
  unsigned next; /* the pool entry of the next call */
  kavro_buf_t *out;
  kavro_arena_t *arena;
  unsigned char frame[FRAME_MAX];
  /* avro-c */
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
  avro_writer_t writer;
  char avro_buf[512];
  /* resolution: the same event written without its last field */
  kavro_schema_t *old_schema;
  kavro_typed_resolver_t *resolver;
  unsigned char old_body[512];
  size_t old_size;
  /* resolution through the general transcoder: fields in reverse order */
  kavro_schema_t *reversed_schema;
  unsigned char reversed_body[512];
  size_t reversed_size;
  /* nested */
  work_order_t work;
  step_t steps[20];
  unsigned char work_body[2048];
  size_t work_size;
} bench_t;

static void fill_orders(bench_t *b) {
  kb_sample_order(&b->order);
  kb_order_pool(b->orders);
  for (size_t i = 0; i < KB_POOL_SIZE; i++) {
    kb_limit_order(&b->limits[i], &b->orders[i]);
    b->frame_sizes[i] =
        limit_encode(&b->limits[i], SCHEMA_ID, b->frames[i], FRAME_MAX);
    if (!b->frame_sizes[i])
      kb_die("limit encode", NULL);
  }
}

/* The pool entry of this call: every call takes the next one. */
static inline unsigned pool_next(bench_t *b) {
  return b->next++ % KB_POOL_SIZE;
}

static void fill_work(bench_t *b) {
  work_order_t *w = &b->work;
  work_order_init(w);
  w->id = kavro_str("WO-77");
  w->created_at = 1710408413589;
  w->state = STATE_DONE;
  w->site = (site_t){50.6, 3.06};
  static const unsigned char price[] = {0x01, 0xe2, 0x40};
  w->price = (kavro_decimal_t){price, sizeof(price), 2};
  for (int i = 0; i < 20; i++)
    b->steps[i] = (step_t){i, kavro_str("install the worktop"), i % 2 == 0, 15};
  w->steps.count = 20;
  w->steps.items = b->steps;
}

/* ---- operations ------------------------------------------------------------ */

static const unsigned char frame_header[5] = {0, 0, 0, 0, SCHEMA_ID};

/* A mock registry in the process: the serializer's first message registers
 * the schema (id 1 in a fresh mock), later ones never ask again. */
static void setup_serializer(bench_t *b) {
  kavro_error_t error;
  kavro_conf_t *conf = kavro_conf_new();
  if (kavro_mock_new("benchtyped", &b->mock, &error) ||
      kavro_conf_set(conf, "schema.registry.url", "mock://benchtyped", &error) ||
      !(b->registry = kavro_registry_new(conf, &error)) ||
      !(b->serializer = kavro_serializer_new(b->registry, NULL, &error)) ||
      !(b->ts = kavro_typed_serializer_new(b->serializer, &error)))
    kb_die("serializer", &error);
}

/* The typed serializer, warm: id from its table, frame, body. */
static void typed_encode_op(void *ctx) {
  bench_t *b = ctx;
  if (kavro_typed_serialize(b->ts, "projects.service_order.created", false,
                            &service_order_created_type,
                            &b->orders[pool_next(b)], b->out, NULL))
    kb_die("typed serialize", NULL);
}

/* The generated encoder alone: frame header and body through a writer. */
static void typed_body_op(void *ctx) {
  bench_t *b = ctx;
  kavro_writer_t w;
  kavro_buf_reset(b->out);
  kavro_writer_begin(&w, b->out, NULL);
  kavro_err_t err = kavro_w_raw(&w, frame_header, 5);
  if (!err)
    err = service_order_created_write(&w, &b->orders[pool_next(b)]);
  if (kavro_writer_end(&w, err))
    kb_die("typed encode", NULL);
}

static void limit_encode_op(void *ctx) {
  bench_t *b = ctx;
  if (!limit_encode(&b->limits[pool_next(b)], SCHEMA_ID, b->frame,
                    sizeof(b->frame)))
    kb_die("limit encode", NULL);
}

/* What a C user of avro-c writes today: set every field, then write. */
static void avroc_fill_write_op(void *ctx) {
  bench_t *b = ctx;
  const service_order_created_t *v = &b->orders[pool_next(b)];
  avro_value_t f, branch;
  avro_value_t *r = &b->value;
  avro_value_reset(r);
#define SET_STR(i, s)                                                          \
  (avro_value_get_by_index(r, i, &f, NULL) ||                                  \
   avro_value_set_string_len(&f, (s).data, (s).length + 1))
  int rc = SET_STR(0, v->event_id) ||
           avro_value_get_by_index(r, 1, &f, NULL) ||
           avro_value_set_long(&f, v->event_timestamp) ||
           SET_STR(2, v->service_order_id) || SET_STR(3, v->project_id) ||
           SET_STR(4, v->service_type) || SET_STR(5, v->country_code) ||
           SET_STR(6, v->bu_code) || avro_value_get_by_index(r, 7, &f, NULL) ||
           avro_value_set_int(&f, v->estimated_duration_min) ||
           avro_value_get_by_index(r, 8, &f, NULL) ||
           avro_value_set_boolean(&f, v->requires_confirmation_tv) ||
           avro_value_get_by_index(r, 9, &f, NULL) ||
           (v->has_depends_on_order_id
                ? avro_value_set_branch(&f, 1, &branch) ||
                      avro_value_set_string_len(
                          &branch, v->depends_on_order_id.data,
                          v->depends_on_order_id.length + 1)
                : avro_value_set_branch(&f, 0, &branch) ||
                      avro_value_set_null(&branch));
#undef SET_STR
  avro_writer_reset(b->writer);
  if (rc || avro_write(b->writer, (void *)frame_header, 5) ||
      avro_value_write(b->writer, r))
    kb_die("avro-c fill and write", NULL);
}

static void typed_decode_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  service_order_created_t v;
  kavro_arena_reset(b->arena);
  if (b->frame_sizes[i] < 5 || b->frames[i][0] != 0 ||
      kavro_typed_decode(&service_order_created_type, b->frames[i] + 5,
                         b->frame_sizes[i] - 5, b->arena, NULL, &v, NULL))
    kb_die("typed decode", NULL);
}

static void typed_decode_new_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  service_order_created_t *v = service_order_created_decode_new(
      b->frames[i] + 5, b->frame_sizes[i] - 5, NULL);
  if (!v)
    kb_die("typed decode_new", NULL);
  service_order_created_free(v);
}

static void limit_decode_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  limit_order_t v;
  if (!limit_decode(b->frames[i], b->frame_sizes[i], SCHEMA_ID, &v))
    kb_die("limit decode", NULL);
}

static void typed_resolve_op(void *ctx) {
  bench_t *b = ctx;
  service_order_created_t v;
  kavro_arena_reset(b->arena);
  if (kavro_typed_decode_from(b->resolver, &service_order_created_type,
                              b->old_schema, b->old_body, b->old_size, b->arena,
                              &v, NULL))
    kb_die("typed resolved decode", NULL);
}

static void typed_resolve_general_op(void *ctx) {
  bench_t *b = ctx;
  service_order_created_t v;
  kavro_arena_reset(b->arena);
  if (kavro_typed_decode_from(b->resolver, &service_order_created_type,
                              b->reversed_schema, b->reversed_body,
                              b->reversed_size, b->arena, &v, NULL))
    kb_die("typed resolved decode (reordered)", NULL);
}

static void nested_encode_op(void *ctx) {
  bench_t *b = ctx;
  kavro_buf_reset(b->out);
  if (work_order_encode(&b->work, b->out, NULL))
    kb_die("nested encode", NULL);
}

static void nested_decode_op(void *ctx) {
  bench_t *b = ctx;
  work_order_t v;
  kavro_arena_reset(b->arena);
  if (work_order_decode(b->work_body, b->work_size, b->arena, &v, NULL))
    kb_die("nested decode", NULL);
}

/* ---- counting allocations ---------------------------------------------- */

/* Allocations per call of @op once it is warm. */
static double allocations_per_call(bench_t *b, kb_call_fn op) {
  enum { WARM = 10, CALLS = 1000 };
  return (double)kb_allocations_in_calls(op, b, WARM, CALLS) / CALLS;
}

/* ---- setup ------------------------------------------------------------------- */

static void setup_avroc(bench_t *b) {
  kavro_error_t error;
  const char *text = service_order_created_type.schema_text;
  if (kavro_schema_parse(text, strlen(text), NULL, &b->schema, &error) ||
      kavro_schema_to_avro(b->schema, &b->avro, &error))
    kb_die("schema", &error);
  b->iface = avro_generic_class_from_schema(b->avro);
  if (!b->iface || avro_generic_value_new(b->iface, &b->value))
    kb_die("avro-c value", NULL);
  b->writer = avro_writer_memory(b->avro_buf, sizeof(b->avro_buf));
}

/* The previous version of the event: no depends_on_order_id.  Its bytes are
 * the new encoding without the last one (the union's null branch). */
static void setup_resolution(bench_t *b) {
  kavro_error_t error;
  const char *text = service_order_created_type.schema_text;
  json_t *j = json_loads(text, 0, NULL);
  json_t *fields = json_object_get(j, "fields");
  json_array_remove(fields, json_array_size(fields) - 1);
  char *old = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!old || kavro_schema_parse(old, strlen(old), NULL, &b->old_schema, &error))
    kb_die("old schema", &error);
  free(old);
  service_order_created_t v = b->order;
  v.has_depends_on_order_id = false;
  kavro_buf_reset(b->out);
  if (service_order_created_encode(&v, b->out, &error))
    kb_die("encode", &error);
  b->old_size = kavro_buf_length(b->out) - 1;
  memcpy(b->old_body, kavro_buf_data(b->out), b->old_size);
  if (!(b->resolver = kavro_typed_resolver_new(NULL)))
    kb_die("resolver", NULL);
  /* The same event from a writer that lists the fields the other way
   * round: written from its Avro JSON with that schema. */
  j = json_loads(text, 0, NULL);
  fields = json_object_get(j, "fields");
  json_t *reversed = json_array();
  for (size_t i = json_array_size(fields); i-- > 0;)
    json_array_append(reversed, json_array_get(fields, i));
  json_object_set_new(j, "fields", reversed);
  char *rtext = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!rtext || kavro_schema_parse(rtext, strlen(rtext), NULL,
                                   &b->reversed_schema, &error))
    kb_die("reversed schema", &error);
  free(rtext);
  kavro_buf_reset(b->out);
  if (service_order_created_to_json(&b->order, b->out, &error))
    kb_die("json", &error);
  char json[1024];
  size_t n = kavro_buf_length(b->out);
  memcpy(json, kavro_buf_data(b->out), n);
  kavro_buf_reset(b->out);
  if (kavro_json_to_binary(b->reversed_schema, json, n, b->out, &error))
    kb_die("reversed body", &error);
  b->reversed_size = kavro_buf_length(b->out);
  memcpy(b->reversed_body, kavro_buf_data(b->out), b->reversed_size);
}

static bench_t bench;

/* The generic codec on the nested record, for comparison. */
static kavro_schema_t *work_schema;
static avro_schema_t work_avro;
static avro_value_iface_t *work_iface;
static avro_value_t work_value;

static void generic_nested_op(void *ctx) {
  bench_t *b = ctx;
  if (kavro_decode(NULL, work_schema, b->work_body, b->work_size, &work_value,
                   NULL, NULL))
    kb_die("generic nested decode", NULL);
}

static void nested_generic_setup(void) {
  kavro_error_t error;
  const char *text = work_order_type.schema_text;
  if (kavro_schema_parse(text, strlen(text), NULL, &work_schema, &error) ||
      kavro_schema_to_avro(work_schema, &work_avro, &error))
    kb_die("work order schema", &error);
  work_iface = avro_generic_class_from_schema(work_avro);
  if (!work_iface || avro_generic_value_new(work_iface, &work_value))
    kb_die("avro-c value", NULL);
}

/* Every encoder writes the limit's frame for every event of the pool. */
static void check_same_frames(bench_t *b) {
  for (unsigned i = 0; i < KB_POOL_SIZE; i++) {
    b->next = i;
    typed_encode_op(b);
    if (kavro_buf_length(b->out) != b->frame_sizes[i] ||
        memcmp(kavro_buf_data(b->out), b->frames[i], b->frame_sizes[i]) != 0)
      kb_die("the typed and the limit's frames differ", NULL);
    b->next = i;
    avroc_fill_write_op(b);
    if ((size_t)avro_writer_tell(b->writer) != b->frame_sizes[i] ||
        memcmp(b->avro_buf, b->frames[i], b->frame_sizes[i]) != 0)
      kb_die("avro-c's and the limit's frames differ", NULL);
  }
  b->next = 0;
}

enum {
  TYPED_ENCODE, TYPED_BODY, LIMIT_ENCODE, AVROC_ENCODE, TYPED_DECODE,
  TYPED_DECODE_NEW, LIMIT_DECODE, TYPED_RESOLVE, TYPED_RESOLVE_REORDERED,
  NESTED_ENCODE, NESTED_DECODE, GENERIC_NESTED, CASE_COUNT
};

static kb_case_t cases[CASE_COUNT] = {
    [TYPED_ENCODE] = {"typed serializer (encode + frame)", typed_encode_op, {0}},
    [TYPED_BODY] = {"generated encoder + frame, no registry", typed_body_op, {0}},
    [LIMIT_ENCODE] = {"the limit: encode + frame", limit_encode_op, {0}},
    [AVROC_ENCODE] = {"avro-c fill + write", avroc_fill_write_op, {0}},
    [TYPED_DECODE] = {"typed decode (arena reused)", typed_decode_op, {0}},
    [TYPED_DECODE_NEW] = {"typed decode_new + free", typed_decode_new_op, {0}},
    [LIMIT_DECODE] = {"the limit: decode (string views)", limit_decode_op, {0}},
    [TYPED_RESOLVE] = {"typed decode via resolution", typed_resolve_op, {0}},
    [TYPED_RESOLVE_REORDERED] = {"  the same, fields reordered",
                                 typed_resolve_general_op, {0}},
    [NESTED_ENCODE] = {"typed encode", nested_encode_op, {0}},
    [NESTED_DECODE] = {"typed decode", nested_decode_op, {0}},
    [GENERIC_NESTED] = {"generic kavro_decode (avro-c value)", generic_nested_op,
                        {0}},
};

static double median_ns(int which) {
  return kb_case_median(&cases[which], ROUNDS);
}

static double ratio(int a, int b) {
  return kb_median_ratio(&cases[a], &cases[b], ROUNDS);
}

static void print_table(const bench_t *b) {
  printf("ServiceOrderCreated, a pool of %d events           ns/message\n",
         KB_POOL_SIZE);
  for (int i = TYPED_ENCODE; i <= TYPED_RESOLVE_REORDERED; i++)
    printf("  %-44s %10.1f\n", cases[i].name, median_ns(i));
  printf("WorkOrder with 20 nested records, %zu bytes\n", b->work_size);
  for (int i = NESTED_ENCODE; i <= GENERIC_NESTED; i++)
    printf("  %-44s %10.1f\n", cases[i].name, median_ns(i));
}

int main(void) {
  bench_t *b = &bench;
  kavro_error_t error;
  fill_orders(b);
  fill_work(b);
  if (!(b->out = kavro_buf_new(4096, 0)) || !(b->arena = kavro_arena_new(0, 0)))
    kb_die("setup", NULL);
  setup_serializer(b);
  setup_avroc(b);
  check_same_frames(b);
  setup_resolution(b);
  kavro_buf_reset(b->out);
  if (work_order_encode(&b->work, b->out, &error))
    kb_die("work order", &error);
  b->work_size = kavro_buf_length(b->out);
  memcpy(b->work_body, kavro_buf_data(b->out), b->work_size);
  nested_generic_setup();

  kb_rounds(cases, CASE_COUNT, b, ROUNDS, kb_case_seconds(1.0));
  double enc_allocs = allocations_per_call(b, typed_encode_op);
  double dec_allocs = allocations_per_call(b, typed_decode_op);
  double dec_new_allocs = allocations_per_call(b, typed_decode_new_op);
  double res_allocs = allocations_per_call(b, typed_resolve_op);

  print_table(b);
  printf("allocations per message (warm): encode %.2f, decode %.2f, "
         "decode_new %.2f, resolved decode %.2f\n\n",
         enc_allocs, dec_allocs, dec_new_allocs, res_allocs);

  kb_figure("typed_encode_ns", 1, median_ns(TYPED_ENCODE), "ns");
  kb_figure("typed_body_encode_ns", 1, median_ns(TYPED_BODY), "ns");
  kb_figure("limit_encode_ns", 1, median_ns(LIMIT_ENCODE), "ns");
  kb_figure("avroc_fill_write_ns", 1, median_ns(AVROC_ENCODE), "ns");
  kb_figure("typed_decode_ns", 1, median_ns(TYPED_DECODE), "ns");
  kb_figure("limit_decode_ns", 1, median_ns(LIMIT_DECODE), "ns");
  kb_figure("typed_resolve_ns", 1, median_ns(TYPED_RESOLVE), "ns");
  kb_figure("typed_resolve_reordered_ns", 1, median_ns(TYPED_RESOLVE_REORDERED),
            "ns");
  kb_figure("typed_encode_nested20_ns", 1, median_ns(NESTED_ENCODE), "ns");
  kb_figure("typed_decode_nested20_ns", 1, median_ns(NESTED_DECODE), "ns");
  kb_figure("generic_decode_nested20_ns", 1, median_ns(GENERIC_NESTED), "ns");
  kb_ratio("typed_encode_vs_limit", 2, ratio(TYPED_ENCODE, LIMIT_ENCODE), "1.2");
  kb_ratio("avroc_fill_write_vs_typed_encode", 2,
           ratio(AVROC_ENCODE, TYPED_ENCODE), "5.0");
  kb_ratio("typed_decode_vs_limit", 2, ratio(TYPED_DECODE, LIMIT_DECODE), "1.3");
  kb_ratio("typed_resolve_vs_decode", 2, ratio(TYPED_RESOLVE, TYPED_DECODE),
           "2.0");
  kb_count("typed_encode_allocs", enc_allocs, "0");
  kb_count("typed_decode_allocs", dec_new_allocs, "1");
  return 0;
}
