/*
 * kavro bench - typed records: generated code for ServiceOrderCreated
 * (the catalog, generated into the build tree) against a hand-written
 * encoder and decoder (the practical limit) and against avro-c's generic
 * value, filled field by field and written (what C users have today);
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
#include "service_order_hand.h"
#include "work_order.h"

/* ---- the data -------------------------------------------------------------- */

#define SCHEMA_ID 1u
#define MIN_SECONDS 0.3
#define ROUNDS 3

typedef struct bench_s {
  kavro_mock_t *mock;
  kavro_registry_t *registry;
  kavro_serializer_t *serializer;
  kavro_typed_serializer_t *ts;
  service_order_created_t order;
  hand_order_t hand;
  kavro_buf_t *out;
  kavro_arena_t *arena;
  unsigned char frame[512];
  size_t frame_size;
  char scratch[512];
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

static void fill_order(bench_t *b) {
  service_order_created_t *v = &b->order;
  kb_sample_order(v);
  hand_order_t *h = &b->hand;
#define COPY(f) h->f = (hand_str_t){v->f.data, v->f.length}
  COPY(event_id);
  COPY(service_order_id);
  COPY(project_id);
  COPY(service_type);
  COPY(country_code);
  COPY(bu_code);
  COPY(depends_on_order_id);
#undef COPY
  h->event_timestamp = v->event_timestamp;
  h->estimated_duration_min = v->estimated_duration_min;
  h->requires_confirmation_tv = v->requires_confirmation_tv;
  h->has_depends_on_order_id = v->has_depends_on_order_id;
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
                            &service_order_created_type, &b->order, b->out,
                            NULL))
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
    err = service_order_created_write(&w, &b->order);
  if (kavro_writer_end(&w, err))
    kb_die("typed encode", NULL);
}

static void hand_encode_op(void *ctx) {
  bench_t *b = ctx;
  if (!hand_encode(&b->hand, SCHEMA_ID, b->frame, sizeof(b->frame)))
    kb_die("hand encode", NULL);
}

/* What a C user of avro-c writes today: set every field, then write. */
static void avroc_fill_write_op(void *ctx) {
  bench_t *b = ctx;
  const service_order_created_t *v = &b->order;
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
           avro_value_set_branch(&f, 1, &branch) ||
           avro_value_set_string_len(&branch, v->depends_on_order_id.data,
                                     v->depends_on_order_id.length + 1);
#undef SET_STR
  avro_writer_reset(b->writer);
  if (rc || avro_write(b->writer, (void *)frame_header, 5) ||
      avro_value_write(b->writer, r))
    kb_die("avro-c fill and write", NULL);
}

static void typed_decode_op(void *ctx) {
  bench_t *b = ctx;
  service_order_created_t v;
  kavro_arena_reset(b->arena);
  if (b->frame_size < 5 || b->frame[0] != 0 ||
      kavro_typed_decode(&service_order_created_type, b->frame + 5,
                         b->frame_size - 5, b->arena, NULL, &v, NULL))
    kb_die("typed decode", NULL);
}

static void typed_decode_new_op(void *ctx) {
  bench_t *b = ctx;
  service_order_created_t *v = service_order_created_decode_new(
      b->frame + 5, b->frame_size - 5, NULL);
  if (!v)
    kb_die("typed decode_new", NULL);
  service_order_created_free(v);
}

static void hand_decode_op(void *ctx) {
  bench_t *b = ctx;
  hand_order_t v;
  if (!hand_decode(b->frame, b->frame_size, &v, b->scratch, sizeof(b->scratch)))
    kb_die("hand decode", NULL);
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

/* ---- timing ---------------------------------------------------------------- */

/* Nanoseconds per call of @op, the best of ROUNDS rounds. */
static double measure(bench_t *b, kb_call_fn op) {
  return kb_best_ns_per_call(op, b, ROUNDS, MIN_SECONDS);
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

int main(void) {
  bench_t *b = &bench;
  kavro_error_t error;
  fill_order(b);
  fill_work(b);
  if (!(b->out = kavro_buf_new(4096, 0)) || !(b->arena = kavro_arena_new(0, 0)))
    kb_die("setup", NULL);
  b->frame_size = hand_encode(&b->hand, SCHEMA_ID, b->frame, sizeof(b->frame));
  setup_serializer(b);
  typed_encode_op(b);
  if (kavro_buf_length(b->out) != b->frame_size ||
      memcmp(kavro_buf_data(b->out), b->frame, b->frame_size) != 0)
    kb_die("typed and hand-written encodings differ", NULL);
  setup_avroc(b);
  setup_resolution(b);
  kavro_buf_reset(b->out);
  if (work_order_encode(&b->work, b->out, &error))
    kb_die("work order", &error);
  b->work_size = kavro_buf_length(b->out);
  memcpy(b->work_body, kavro_buf_data(b->out), b->work_size);
  nested_generic_setup();

  double typed_enc = measure(b, typed_encode_op);
  double typed_body = measure(b, typed_body_op);
  double hand_enc = measure(b, hand_encode_op);
  double avroc_enc = measure(b, avroc_fill_write_op);
  double typed_dec = measure(b, typed_decode_op);
  double typed_dec_new = measure(b, typed_decode_new_op);
  double hand_dec = measure(b, hand_decode_op);
  double typed_res = measure(b, typed_resolve_op);
  double typed_res_general = measure(b, typed_resolve_general_op);
  double nested_enc = measure(b, nested_encode_op);
  double nested_dec = measure(b, nested_decode_op);
  double nested_gen = measure(b, generic_nested_op);
  double enc_allocs = allocations_per_call(b, typed_encode_op);
  double dec_allocs = allocations_per_call(b, typed_decode_op);
  double dec_new_allocs = allocations_per_call(b, typed_decode_new_op);
  double res_allocs = allocations_per_call(b, typed_resolve_op);

  printf("ServiceOrderCreated, %zu-byte frame          ns/message\n",
         b->frame_size);
  printf("  %-40s %10.1f\n", "typed serializer (encode + frame)", typed_enc);
  printf("  %-40s %10.1f\n", "generated encoder + frame, no registry",
         typed_body);
  printf("  %-40s %10.1f\n", "hand-written encode + frame", hand_enc);
  printf("  %-40s %10.1f\n", "avro-c fill + write", avroc_enc);
  printf("  %-40s %10.1f\n", "typed decode (arena reused)", typed_dec);
  printf("  %-40s %10.1f\n", "typed decode_new + free", typed_dec_new);
  printf("  %-40s %10.1f\n", "hand-written decode", hand_dec);
  printf("  %-40s %10.1f\n", "typed decode via resolution", typed_res);
  printf("  %-40s %10.1f\n", "  the same, fields reordered", typed_res_general);
  printf("WorkOrder with 20 nested records, %zu bytes\n", b->work_size);
  printf("  %-40s %10.1f\n", "typed encode", nested_enc);
  printf("  %-40s %10.1f\n", "typed decode", nested_dec);
  printf("  %-40s %10.1f\n", "generic kavro_decode (avro-c value)", nested_gen);
  printf("allocations per message (warm): encode %.2f, decode %.2f, "
         "decode_new %.2f, resolved decode %.2f\n\n",
         enc_allocs, dec_allocs, dec_new_allocs, res_allocs);

  kb_figure("typed_encode_ns", 1, typed_enc, "ns");
  kb_figure("typed_body_encode_ns", 1, typed_body, "ns");
  kb_figure("hand_encode_ns", 1, hand_enc, "ns");
  kb_figure("avroc_fill_write_ns", 1, avroc_enc, "ns");
  kb_figure("typed_decode_ns", 1, typed_dec, "ns");
  kb_figure("hand_decode_ns", 1, hand_dec, "ns");
  kb_figure("typed_resolve_ns", 1, typed_res, "ns");
  kb_figure("typed_resolve_reordered_ns", 1, typed_res_general, "ns");
  kb_figure("typed_encode_nested20_ns", 1, nested_enc, "ns");
  kb_figure("typed_decode_nested20_ns", 1, nested_dec, "ns");
  kb_figure("generic_decode_nested20_ns", 1, nested_gen, "ns");
  kb_ratio("typed_encode_vs_hand", 2, typed_enc / hand_enc, "1.3");
  kb_ratio("avroc_fill_write_vs_typed_encode", 2, avroc_enc / typed_enc, "5.0");
  kb_ratio("typed_decode_vs_hand", 2, typed_dec / hand_dec, "1.5");
  kb_ratio("typed_resolve_vs_decode", 2, typed_res / typed_dec, "2.0");
  kb_count("typed_encode_allocs", enc_allocs, "0");
  kb_count("typed_decode_allocs", dec_new_allocs, "1");
  return 0;
}
