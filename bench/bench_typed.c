/*
 * kavro bench - typed records: generated code against the real limit, on
 * a small record and a big one, both from the catalog (generated into the
 * build tree):
 *   - ServiceOrderCreated (seven strings, a timestamp, an int, a boolean,
 *     an optional string) against service_order_limit.h, and against
 *     avro-c's generic value filled field by field and written (what C
 *     users have today);
 *   - PyxisOrderCreated (fourteen strings, an enum, an optional string and
 *     20 products a message) against pyxis_order_limit.h.
 * A limit is straight-line code for exactly its record, of the kind the
 * fastest careful C uses.  Encoding is the typed serializer, warm (the id
 * from its table, the frame, the body) against the limit's encoder;
 * decoding is kavro_typed_decode() into a reused arena against the
 * limit's decoder (string views); both check the frame's magic byte and
 * schema id.  Every case cycles through a pool of KB_POOL_SIZE varied
 * events (sample_order.h, sample_pyxis.h: splitmix64 from a fixed seed),
 * so that branches are not all predicted; a start-up check proves every
 * encoder writes the limit's frames and the typed decoder reads them back.
 *
 * Also measured, each on the same pool:
 *   - decoding through a resolution program against same-schema decoding:
 *     a writer without the last, defaulted field (the commonest evolution:
 *     the reader adds a field and drops none), and a writer with the
 *     fields in reverse order;
 *   - the generic codec: kavro_decode() into a reused avro-c generic value
 *     against avro-c's own avro_value_read() into a reused value (reader
 *     reused too), from the same body bytes, on both records, and its
 *     allocations per message;
 *   - a record with an array of 20 nested records (tests/gen/work_order).
 *
 * Cases run in interleaved rounds (KAVRO_BENCH_SECONDS per case and round,
 * 1 s by default) and a ratio is the median of the ratios within a round.
 * `make bench` prints callgrind's instructions per call of the measured
 * operations beside the times (bench/instructions.sh).
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
#include "kavro.h"
#include "kavro/mock.h"
#include "kavro/registry.h"
#include "kavro/serde.h"
#include "kavro/serializer.h"
#include "kavro/typed.h"
#include "sample_order.h"
#include "sample_pyxis.h"
#include "work_order.h"

/* ---- the data -------------------------------------------------------------- */

#define SCHEMA_ID 1u
#define ROUNDS 3
#define FRAME_MAX 256
#define BIG_FRAME_MAX 2048
#define SMALL_TOPIC "projects.service_order.created"
#define BIG_TOPIC "sales.pyxis.order.created"

/* A record's schema as kavro's and avro-c's, and generic values of it:
 * one filled and written, one kavro_decode() reuses, one avro-c's
 * avro_value_read() reuses (each decoder keeps its own, as an application
 * would, so that neither finds the other's buffers). */
typedef struct generic_s {
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value, decoded, read;
} generic_t;

typedef struct bench_s {
  kavro_mock_t *mock;
  kavro_registry_t *registry;
  kavro_serializer_t *serializer;
  kavro_typed_serializer_t *ts;
  /* The small pool, as generated structs, as the limit's, and framed. */
  service_order_created_t orders[KB_POOL_SIZE];
  limit_order_t limits[KB_POOL_SIZE];
  unsigned char frames[KB_POOL_SIZE][FRAME_MAX];
  size_t frame_sizes[KB_POOL_SIZE];
  /* The big pool, the same ways; its id is the one the mock registry
   * gives its schema. */
  pyxis_order_created_t pyxis[KB_POOL_SIZE];
  limit_pyxis_t pyxis_limits[KB_POOL_SIZE];
  limit_product_t pyxis_limit_products[KB_POOL_SIZE][KB_PYXIS_PRODUCTS];
  unsigned char pyxis_frames[KB_POOL_SIZE][BIG_FRAME_MAX];
  size_t pyxis_frame_sizes[KB_POOL_SIZE];
  uint32_t pyxis_id;
  unsigned next; /* the pool entry of the next call */
  kavro_buf_t *out;
  kavro_arena_t *arena;
  unsigned char frame[BIG_FRAME_MAX];
  limit_product_t decoded_products[64]; /* the big limit decoder's room */
  /* avro-c, filled and written */
  generic_t small;
  avro_writer_t writer;
  char avro_buf[512];
  /* generic decoding: kavro's decoder, avro-c's reader, reused */
  kavro_decoder_t *decoder;
  avro_reader_t reader;
  generic_t big;
  /* resolution: each pool event written without its last field, and
   * written with the fields in reverse order */
  kavro_schema_t *old_schema;
  kavro_typed_resolver_t *resolver;
  unsigned char old_bodies[KB_POOL_SIZE][FRAME_MAX];
  size_t old_sizes[KB_POOL_SIZE];
  kavro_schema_t *reversed_schema;
  unsigned char reversed_bodies[KB_POOL_SIZE][FRAME_MAX];
  size_t reversed_sizes[KB_POOL_SIZE];
  /* nested */
  work_order_t work;
  step_t steps[20];
  unsigned char work_body[2048];
  size_t work_size;
  generic_t work_generic;
} bench_t;

/* The pool entry of this call: every call takes the next one. */
static inline unsigned pool_next(bench_t *b) {
  return b->next++ % KB_POOL_SIZE;
}

static void fill_orders(bench_t *b) {
  kb_order_pool(b->orders);
  for (size_t i = 0; i < KB_POOL_SIZE; i++) {
    kb_limit_order(&b->limits[i], &b->orders[i]);
    b->frame_sizes[i] =
        limit_encode(&b->limits[i], SCHEMA_ID, b->frames[i], FRAME_MAX);
    if (!b->frame_sizes[i])
      kb_die("limit encode", NULL);
  }
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

/* Every measured operation is one call through a pointer, named *_op:
 * bench/instructions.sh counts their instructions by those names, so
 * set-up and checks never call an *_op (the first message of a type, which
 * registers its schema, would count as one more call of it). */

static const unsigned char frame_header[5] = {0, 0, 0, 0, SCHEMA_ID};

/* A mock registry in the process: the serializer's first message of a
 * type registers its schema, later ones never ask again. */
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
static void typed_encode(bench_t *b, unsigned i) {
  if (kavro_typed_serialize(b->ts, SMALL_TOPIC, false,
                            &service_order_created_type, &b->orders[i], b->out,
                            NULL))
    kb_die("typed serialize", NULL);
}

static void typed_encode_op(void *ctx) {
  bench_t *b = ctx;
  typed_encode(b, pool_next(b));
}

static void typed_encode_big(bench_t *b, unsigned i) {
  if (kavro_typed_serialize(b->ts, BIG_TOPIC, false, &pyxis_order_created_type,
                            &b->pyxis[i], b->out, NULL))
    kb_die("typed serialize (big)", NULL);
}

static void typed_encode_big_op(void *ctx) {
  bench_t *b = ctx;
  typed_encode_big(b, pool_next(b));
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

static void limit_encode_big_op(void *ctx) {
  bench_t *b = ctx;
  if (!limit_pyxis_encode(&b->pyxis_limits[pool_next(b)], b->pyxis_id,
                          b->frame, sizeof(b->frame)))
    kb_die("limit encode (big)", NULL);
}

/* What a C user of avro-c writes today: set every field, then write. */
static void avroc_fill_write(bench_t *b, unsigned i) {
  int rc = kb_avro_order(&b->small.value, &b->orders[i]);
  avro_writer_reset(b->writer);
  if (rc || avro_write(b->writer, (void *)frame_header, 5) ||
      avro_value_write(b->writer, &b->small.value))
    kb_die("avro-c fill and write", NULL);
}

static void avroc_fill_write_op(void *ctx) {
  bench_t *b = ctx;
  avroc_fill_write(b, pool_next(b));
}

/* A typed decode of the body of a frame of @size bytes at @frame carrying
 * @schema_id: the header checked as the limits check it. */
static void typed_decode_frame(const kavro_typed_type_t *type,
                               const unsigned char *frame, size_t size,
                               uint32_t schema_id, kavro_arena_t *arena,
                               void *value) {
  limit_in_t body;
  kavro_arena_reset(arena);
  if (!limit_get_header(frame, size, schema_id, &body) ||
      kavro_typed_decode(type, body.p, (size_t)(body.end - body.p), arena,
                         NULL, value, NULL))
    kb_die("typed decode", NULL);
}

static void typed_decode_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  service_order_created_t v;
  typed_decode_frame(&service_order_created_type, b->frames[i],
                     b->frame_sizes[i], SCHEMA_ID, b->arena, &v);
}

static void typed_decode_big_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  pyxis_order_created_t v;
  typed_decode_frame(&pyxis_order_created_type, b->pyxis_frames[i],
                     b->pyxis_frame_sizes[i], b->pyxis_id, b->arena, &v);
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

static void limit_decode_big_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  limit_pyxis_t v;
  if (!limit_pyxis_decode(b->pyxis_frames[i], b->pyxis_frame_sizes[i],
                          b->pyxis_id, &v, b->decoded_products,
                          sizeof(b->decoded_products) /
                              sizeof(b->decoded_products[0])))
    kb_die("limit decode (big)", NULL);
}

/* The reader adds a defaulted field and drops none. */
static void typed_resolve_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  service_order_created_t v;
  kavro_arena_reset(b->arena);
  if (kavro_typed_decode_from(b->resolver, &service_order_created_type,
                              b->old_schema, b->old_bodies[i], b->old_sizes[i],
                              b->arena, &v, NULL))
    kb_die("typed resolved decode", NULL);
}

/* The writer lists the fields the other way round. */
static void typed_resolve_reorder_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  service_order_created_t v;
  kavro_arena_reset(b->arena);
  if (kavro_typed_decode_from(b->resolver, &service_order_created_type,
                              b->reversed_schema, b->reversed_bodies[i],
                              b->reversed_sizes[i], b->arena, &v, NULL))
    kb_die("typed resolved decode (reordered)", NULL);
}

/* kavro_decode() of a frame's body into @g's reused value. */
static void generic_decode_frame(bench_t *b, generic_t *g,
                                 const unsigned char *frame, size_t size) {
  if (kavro_decode(b->decoder, g->schema, frame + 5, size - 5, &g->decoded,
                   NULL, NULL))
    kb_die("generic decode", NULL);
}

/* avro-c's avro_value_read() of the same body into the same value, the
 * reader reused (the value reset first, as kavro_decode() does). */
static void avroc_decode_frame(bench_t *b, generic_t *g,
                               const unsigned char *frame, size_t size) {
  avro_reader_memory_set_source(b->reader, (const char *)frame + 5,
                                (int64_t)size - 5);
  avro_value_reset(&g->read);
  if (avro_value_read(b->reader, &g->read))
    kb_die("avro-c decode", NULL);
}

static void generic_decode_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  generic_decode_frame(b, &b->small, b->frames[i], b->frame_sizes[i]);
}

static void avroc_decode_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  avroc_decode_frame(b, &b->small, b->frames[i], b->frame_sizes[i]);
}

static void generic_decode_big_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  generic_decode_frame(b, &b->big, b->pyxis_frames[i], b->pyxis_frame_sizes[i]);
}

static void avroc_decode_big_op(void *ctx) {
  bench_t *b = ctx;
  unsigned i = pool_next(b);
  avroc_decode_frame(b, &b->big, b->pyxis_frames[i], b->pyxis_frame_sizes[i]);
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

/* The generic codec on the nested record, for comparison. */
static void generic_nested_op(void *ctx) {
  bench_t *b = ctx;
  if (kavro_decode(b->decoder, b->work_generic.schema, b->work_body,
                   b->work_size, &b->work_generic.decoded, NULL, NULL))
    kb_die("generic nested decode", NULL);
}

/* ---- counting allocations ---------------------------------------------- */

/* Allocations per call of @op once it is warm: once through the pool, so
 * that every buffer kept from message to message has met the longest
 * values. */
static double allocations_per_call(bench_t *b, kb_call_fn op) {
  enum { WARM = KB_POOL_SIZE, CALLS = 4 * KB_POOL_SIZE };
  return (double)kb_allocations_in_calls(op, b, WARM, CALLS) / CALLS;
}

/* @per rounded up to a whole number: a COUNT line of 0 means none at
 * all, never one allocation every few calls. */
static double whole(double per) {
  double truncated = (double)(size_t)per;
  return per > truncated ? truncated + 1 : truncated;
}

/* ---- setup ------------------------------------------------------------------- */

static void generic_init(generic_t *g, const kavro_typed_type_t *type) {
  kavro_error_t error;
  const char *text = type->schema_text;
  if (kavro_schema_parse(text, strlen(text), NULL, &g->schema, &error) ||
      kavro_schema_to_avro(g->schema, &g->avro, &error))
    kb_die("schema", &error);
  g->iface = avro_generic_class_from_schema(g->avro);
  if (!g->iface || avro_generic_value_new(g->iface, &g->value) ||
      avro_generic_value_new(g->iface, &g->decoded) ||
      avro_generic_value_new(g->iface, &g->read))
    kb_die("avro-c value", NULL);
}

static void setup_avroc(bench_t *b) {
  generic_init(&b->small, &service_order_created_type);
  generic_init(&b->big, &pyxis_order_created_type);
  generic_init(&b->work_generic, &work_order_type);
  b->writer = avro_writer_memory(b->avro_buf, sizeof(b->avro_buf));
  b->reader = avro_reader_memory((const char *)b->frames[0], 0);
  if (!b->writer || !b->reader || !(b->decoder = kavro_decoder_new(NULL)))
    kb_die("avro-c writer and reader, kavro decoder", NULL);
}

/* The schema id of the typed serializer's last frame. */
static uint32_t out_id(const bench_t *b) {
  const unsigned char *f = kavro_buf_data(b->out);
  return (uint32_t)f[1] << 24 | (uint32_t)f[2] << 16 | (uint32_t)f[3] << 8 |
         f[4];
}

/* The first messages register the schemas: the small record's first (id
 * SCHEMA_ID in a fresh mock), then the big one's, whose pool the limit
 * then frames with the id it got. */
static void fill_pyxis(bench_t *b) {
  kb_pyxis_pool(b->pyxis);
  typed_encode(b, 0);
  if (out_id(b) != SCHEMA_ID)
    kb_die("the small record's schema id", NULL);
  typed_encode_big(b, 0);
  b->pyxis_id = out_id(b);
  for (size_t i = 0; i < KB_POOL_SIZE; i++) {
    kb_limit_pyxis(&b->pyxis_limits[i], b->pyxis_limit_products[i],
                   &b->pyxis[i]);
    b->pyxis_frame_sizes[i] = limit_pyxis_encode(
        &b->pyxis_limits[i], b->pyxis_id, b->pyxis_frames[i], BIG_FRAME_MAX);
    if (!b->pyxis_frame_sizes[i])
      kb_die("limit encode (big)", NULL);
  }
}

/* ServiceOrderCreated's schema with its fields changed by @edit. */
static kavro_schema_t *edited_schema(void (*edit)(json_t *fields)) {
  kavro_error_t error;
  kavro_schema_t *schema;
  json_t *j = json_loads(service_order_created_type.schema_text, 0, NULL);
  if (!j)
    kb_die("schema JSON", NULL);
  edit(json_object_get(j, "fields"));
  char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!text || kavro_schema_parse(text, strlen(text), NULL, &schema, &error))
    kb_die("edited schema", &error);
  free(text);
  return schema;
}

/* The previous version of the event: no depends_on_order_id (a union
 * with a null default). */
static void drop_last_field(json_t *fields) {
  json_array_remove(fields, json_array_size(fields) - 1);
}

static void reverse_fields(json_t *fields) {
  for (size_t i = 0, n = json_array_size(fields); i < n / 2; i++) {
    json_t *a = json_incref(json_array_get(fields, i));
    json_array_set(fields, i, json_array_get(fields, n - 1 - i));
    json_array_set_new(fields, n - 1 - i, a);
  }
}

/* Copy @out's bytes, less @drop at the end, to @dst (room for @room). */
static size_t take_body(const kavro_buf_t *out, size_t drop,
                        unsigned char *dst, size_t room) {
  size_t n = kavro_buf_length(out) - drop;
  if (n > room)
    kb_die("body too long", NULL);
  memcpy(dst, kavro_buf_data(out), n);
  return n;
}

/* Every pool event as the two older writers wrote it: without its last
 * field (the new encoding without its last byte, the union's null
 * branch), and with the fields reversed (written from its Avro JSON). */
static void setup_resolution(bench_t *b) {
  kavro_error_t error;
  b->old_schema = edited_schema(drop_last_field);
  b->reversed_schema = edited_schema(reverse_fields);
  if (!(b->resolver = kavro_typed_resolver_new(NULL)))
    kb_die("resolver", NULL);
  kavro_buf_t *json = kavro_buf_new(0, 0);
  if (!json)
    kb_die("setup", NULL);
  for (size_t i = 0; i < KB_POOL_SIZE; i++) {
    service_order_created_t v = b->orders[i];
    v.has_depends_on_order_id = false;
    kavro_buf_reset(b->out);
    if (service_order_created_encode(&v, b->out, &error))
      kb_die("encode", &error);
    b->old_sizes[i] = take_body(b->out, 1, b->old_bodies[i], FRAME_MAX);
    kavro_buf_reset(json);
    kavro_buf_reset(b->out);
    if (service_order_created_to_json(&b->orders[i], json, &error) ||
        kavro_json_to_binary(b->reversed_schema,
                             (const char *)kavro_buf_data(json),
                             kavro_buf_length(json), b->out, &error))
      kb_die("reversed body", &error);
    b->reversed_sizes[i] = take_body(b->out, 0, b->reversed_bodies[i],
                                     FRAME_MAX);
  }
  kavro_buf_destroy(json);
}

static void setup_work(bench_t *b) {
  kavro_error_t error;
  fill_work(b);
  kavro_buf_reset(b->out);
  if (work_order_encode(&b->work, b->out, &error))
    kb_die("work order", &error);
  b->work_size = take_body(b->out, 0, b->work_body, sizeof(b->work_body));
}

/* Does the typed serializer's output match @frame of @size bytes? */
static bool out_is(const bench_t *b, const unsigned char *frame, size_t size) {
  return kavro_buf_length(b->out) == size &&
         memcmp(kavro_buf_data(b->out), frame, size) == 0;
}

/* Every encoder writes the limit's frame for every event of the pool, and
 * the typed decoder reads each back as the event. */
static void check_same_frames(bench_t *b) {
  for (unsigned i = 0; i < KB_POOL_SIZE; i++) {
    typed_encode(b, i);
    if (!out_is(b, b->frames[i], b->frame_sizes[i]))
      kb_die("the typed and the limit's frames differ", NULL);
    avroc_fill_write(b, i);
    if ((size_t)avro_writer_tell(b->writer) != b->frame_sizes[i] ||
        memcmp(b->avro_buf, b->frames[i], b->frame_sizes[i]) != 0)
      kb_die("avro-c's and the limit's frames differ", NULL);
    typed_encode_big(b, i);
    if (!out_is(b, b->pyxis_frames[i], b->pyxis_frame_sizes[i]))
      kb_die("the typed and the limit's frames differ (big)", NULL);
    service_order_created_t order;
    pyxis_order_created_t pyxis;
    typed_decode_frame(&service_order_created_type, b->frames[i],
                       b->frame_sizes[i], SCHEMA_ID, b->arena, &order);
    if (!service_order_created_equal(&order, &b->orders[i]))
      kb_die("a frame decodes to another event", NULL);
    typed_decode_frame(&pyxis_order_created_type, b->pyxis_frames[i],
                       b->pyxis_frame_sizes[i], b->pyxis_id, b->arena, &pyxis);
    if (!pyxis_order_created_equal(&pyxis, &b->pyxis[i]))
      kb_die("a frame decodes to another event (big)", NULL);
  }
}

/* The limits' decoders read every frame of their encoders whole: what
 * they read writes the same frame again. */
static void check_limit_decoders(bench_t *b) {
  for (unsigned i = 0; i < KB_POOL_SIZE; i++) {
    limit_order_t order;
    limit_pyxis_t pyxis;
    if (!limit_decode(b->frames[i], b->frame_sizes[i], SCHEMA_ID, &order) ||
        limit_encode(&order, SCHEMA_ID, b->frame, sizeof(b->frame)) !=
            b->frame_sizes[i] ||
        memcmp(b->frame, b->frames[i], b->frame_sizes[i]) != 0)
      kb_die("the limit's decoder misreads a frame", NULL);
    if (!limit_pyxis_decode(b->pyxis_frames[i], b->pyxis_frame_sizes[i],
                            b->pyxis_id, &pyxis, b->decoded_products,
                            KB_PYXIS_PRODUCTS) ||
        limit_pyxis_encode(&pyxis, b->pyxis_id, b->frame, sizeof(b->frame)) !=
            b->pyxis_frame_sizes[i] ||
        memcmp(b->frame, b->pyxis_frames[i], b->pyxis_frame_sizes[i]) != 0)
      kb_die("the limit's decoder misreads a frame (big)", NULL);
  }
}

/* ---- the cases ------------------------------------------------------------- */

enum {
  TYPED_ENCODE, TYPED_BODY, LIMIT_ENCODE, AVROC_ENCODE, TYPED_DECODE,
  TYPED_DECODE_NEW, LIMIT_DECODE, TYPED_RESOLVE, TYPED_RESOLVE_REORDER,
  GENERIC_DECODE, AVROC_DECODE,
  TYPED_ENCODE_BIG, LIMIT_ENCODE_BIG, TYPED_DECODE_BIG, LIMIT_DECODE_BIG,
  GENERIC_DECODE_BIG, AVROC_DECODE_BIG,
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
    [TYPED_RESOLVE] = {"typed decode via resolution (field added)",
                       typed_resolve_op, {0}},
    [TYPED_RESOLVE_REORDER] = {"  the same, fields reordered",
                               typed_resolve_reorder_op, {0}},
    [GENERIC_DECODE] = {"generic kavro_decode (avro-c value)",
                        generic_decode_op, {0}},
    [AVROC_DECODE] = {"avro-c avro_value_read", avroc_decode_op, {0}},
    [TYPED_ENCODE_BIG] = {"typed serializer (encode + frame)",
                          typed_encode_big_op, {0}},
    [LIMIT_ENCODE_BIG] = {"the limit: encode + frame", limit_encode_big_op,
                          {0}},
    [TYPED_DECODE_BIG] = {"typed decode (arena reused)", typed_decode_big_op,
                          {0}},
    [LIMIT_DECODE_BIG] = {"the limit: decode (string views)",
                          limit_decode_big_op, {0}},
    [GENERIC_DECODE_BIG] = {"generic kavro_decode (avro-c value)",
                            generic_decode_big_op, {0}},
    [AVROC_DECODE_BIG] = {"avro-c avro_value_read", avroc_decode_big_op, {0}},
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

static void print_cases(int first, int last) {
  for (int i = first; i <= last; i++)
    printf("  %-44s %10.1f\n", cases[i].name, median_ns(i));
}

/* The mean of @sizes over the pool. */
static double mean_size(const size_t sizes[KB_POOL_SIZE]) {
  size_t sum = 0;
  for (size_t i = 0; i < KB_POOL_SIZE; i++)
    sum += sizes[i];
  return (double)sum / KB_POOL_SIZE;
}

static void print_table(const bench_t *b) {
  printf("ServiceOrderCreated, a pool of %d events, %.0f bytes on average"
         "   ns/message\n",
         KB_POOL_SIZE, mean_size(b->frame_sizes));
  print_cases(TYPED_ENCODE, AVROC_DECODE);
  printf("PyxisOrderCreated, %d products each, %.0f bytes on average\n",
         KB_PYXIS_PRODUCTS, mean_size(b->pyxis_frame_sizes));
  print_cases(TYPED_ENCODE_BIG, AVROC_DECODE_BIG);
  printf("WorkOrder with 20 nested records, %zu bytes\n", b->work_size);
  print_cases(NESTED_ENCODE, GENERIC_NESTED);
}

static bench_t bench;

int main(void) {
  bench_t *b = &bench;
  fill_orders(b);
  if (!(b->out = kavro_buf_new(4096, 0)) || !(b->arena = kavro_arena_new(0, 0)))
    kb_die("setup", NULL);
  setup_serializer(b);
  fill_pyxis(b);
  setup_avroc(b);
  check_same_frames(b);
  check_limit_decoders(b);
  setup_resolution(b);
  setup_work(b);

  kb_rounds(cases, CASE_COUNT, b, ROUNDS, kb_case_seconds(1.0));
  double enc_allocs = allocations_per_call(b, typed_encode_op);
  double dec_allocs = allocations_per_call(b, typed_decode_op);
  double dec_new_allocs = allocations_per_call(b, typed_decode_new_op);
  double res_allocs = allocations_per_call(b, typed_resolve_op);
  double generic_allocs = allocations_per_call(b, generic_decode_op);
  double generic_big_allocs = allocations_per_call(b, generic_decode_big_op);
  double avroc_allocs = allocations_per_call(b, avroc_decode_op);
  double avroc_big_allocs = allocations_per_call(b, avroc_decode_big_op);

  print_table(b);
  printf("allocations per message (warm): encode %.2f, decode %.2f, "
         "decode_new %.2f, resolved decode %.2f;\n"
         "  generic decode %.2f (big %.2f), avro-c decode %.2f (big %.2f)\n\n",
         enc_allocs, dec_allocs, dec_new_allocs, res_allocs, generic_allocs,
         generic_big_allocs, avroc_allocs, avroc_big_allocs);

  static const struct {
    const char *name;
    int which;
  } figures[] = {
      {"typed_encode_ns", TYPED_ENCODE},
      {"typed_body_encode_ns", TYPED_BODY},
      {"limit_encode_ns", LIMIT_ENCODE},
      {"avroc_fill_write_ns", AVROC_ENCODE},
      {"typed_decode_ns", TYPED_DECODE},
      {"limit_decode_ns", LIMIT_DECODE},
      {"typed_resolve_ns", TYPED_RESOLVE},
      {"typed_resolve_reordered_ns", TYPED_RESOLVE_REORDER},
      {"generic_decode_ns", GENERIC_DECODE},
      {"avroc_decode_ns", AVROC_DECODE},
      {"typed_encode_big_ns", TYPED_ENCODE_BIG},
      {"limit_encode_big_ns", LIMIT_ENCODE_BIG},
      {"typed_decode_big_ns", TYPED_DECODE_BIG},
      {"limit_decode_big_ns", LIMIT_DECODE_BIG},
      {"generic_decode_big_ns", GENERIC_DECODE_BIG},
      {"avroc_decode_big_ns", AVROC_DECODE_BIG},
      {"typed_encode_nested20_ns", NESTED_ENCODE},
      {"typed_decode_nested20_ns", NESTED_DECODE},
      {"generic_decode_nested20_ns", GENERIC_NESTED},
  };
  for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
    kb_figure(figures[i].name, 1, median_ns(figures[i].which), "ns");
  kb_ratio("typed_encode_vs_limit", 2, ratio(TYPED_ENCODE, LIMIT_ENCODE), "1.2");
  kb_ratio("typed_encode_vs_limit_big", 2,
           ratio(TYPED_ENCODE_BIG, LIMIT_ENCODE_BIG), "1.3");
  kb_ratio("avroc_fill_write_vs_typed_encode", 2,
           ratio(AVROC_ENCODE, TYPED_ENCODE), "5.0");
  kb_ratio("typed_decode_vs_limit", 2, ratio(TYPED_DECODE, LIMIT_DECODE), "1.3");
  kb_ratio("typed_decode_vs_limit_big", 2,
           ratio(TYPED_DECODE_BIG, LIMIT_DECODE_BIG), "1.4");
  kb_ratio("typed_resolve_add_field_vs_decode", 2,
           ratio(TYPED_RESOLVE, TYPED_DECODE), "1.5");
  kb_ratio("typed_resolve_reorder_vs_decode", 2,
           ratio(TYPED_RESOLVE_REORDER, TYPED_DECODE), "2.0");
  kb_ratio("generic_decode_vs_avroc", 2, ratio(GENERIC_DECODE, AVROC_DECODE),
           "0.4");
  kb_ratio("generic_decode_vs_avroc_big", 2,
           ratio(GENERIC_DECODE_BIG, AVROC_DECODE_BIG), "0.4");
  kb_count("typed_encode_allocs", whole(enc_allocs), "0");
  kb_count("typed_decode_allocs", whole(dec_new_allocs), "1");
  kb_count("generic_decode_allocs", whole(generic_allocs), "0");
  kb_count("generic_decode_allocs_big", whole(generic_big_allocs), "0");
  return 0;
}
