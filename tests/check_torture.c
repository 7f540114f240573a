/*
 * kavro tests - allocation failure, in the manner of curl's torture runs:
 * each operation is run once to count its allocations, then again with
 * the first allocation failing, then the second, and so on until a run
 * meets no failure.  Every run must end in an error with its details (or,
 * where the code can do without the memory, in the very result of the
 * normal run), free every block it made, and not crash.
 *
 * The operations: the schema parser and its output and conversion, the
 * Avro JSON datum reader, the generic decoder and resolver, the typed
 * decoder and typed resolver of generated code, the cold path of the
 * serializer and deserializer against an in-process mock registry, and
 * the registry client's reply parsers.  Failures reach jansson, avro-c
 * and glibc too: tests/alloc_fail.c replaces malloc for the whole process.
 *
 * Skipped (exit 77) under a sanitizer or valgrind, which own malloc.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <avro.h>
#include <check.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <jansson.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_fail.h"
#include "evo1_visit.h"
#include "evo2_visit.h"
#include "kavro.h"
#include "kavro/mock.h"
#include "kavro/typed.h"
#include "registry_int.h"
#include "serde_fixture.h"
#include "testutil.h"
#include "work_order.h"

/* ---- the driver --------------------------------------------------------- */

/* One operation under torture.  prepare (may be NULL) and settle run with
 * the allocator disarmed; run is the operation itself.  settle checks and
 * releases what prepare and run made, and returns a digest of the result
 * when @err is KAVRO_OK (0 otherwise), to compare with the normal run's. */
typedef struct torture_op_s {
  const char *name;
  void (*prepare)(void);
  kavro_err_t (*run)(kavro_error_t *error);
  uint64_t (*settle)(kavro_err_t err);
} torture_op_t;

typedef struct attempt_s {
  kavro_err_t err;
  kavro_error_t error;
  bool injected;
  unsigned long allocations;
  uint64_t digest;
  long leaked;
} attempt_t;

/* What a crash handler prints: which operation, which allocation. */
static char crash_note[256];

static void report_crash(int sig) {
  ssize_t written = write(STDERR_FILENO, crash_note, strlen(crash_note));
  (void)written;
  raise(sig); /* the default action again: SA_RESETHAND */
}

static void catch_crashes(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = report_crash;
  sa.sa_flags = (int)SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  const int signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
  for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
    sigaction(signals[i], &sa, NULL);
}

/* Run @op once with allocation @nth failing (0: none). */
static void attempt(const torture_op_t *op, unsigned long nth, attempt_t *a) {
  snprintf(crash_note, sizeof(crash_note),
           "torture: %s crashed with allocation %lu failing\n", op->name, nth);
  /* The metrics' series, made at a first failure of a kind, are the
   * process' for good, as libcurl's global state is: not leaks. */
  long live = kt_alloc_live() - kv_metrics_blocks();
  if (op->prepare)
    op->prepare();
  memset(&a->error, 0, sizeof(a->error));
  kt_alloc_fail_arm(nth);
  a->err = op->run(&a->error);
  a->allocations = kt_alloc_fail_count();
  a->injected = kt_alloc_fail_disarm();
  a->digest = op->settle(a->err);
  a->leaked = kt_alloc_live() - kv_metrics_blocks() - live;
}

static void torture(const torture_op_t *op) {
  catch_crashes();
  /* A first run unmeasured, so that what a library sets up once per
   * process or thread (libcurl's global state) is not taken for a leak. */
  attempt_t normal;
  attempt(op, 0, &normal);
  attempt(op, 0, &normal);
  ck_assert_msg(normal.err == KAVRO_OK, "%s: %s", op->name, normal.error.text);
  ck_assert_msg(normal.leaked == 0, "%s: %ld blocks leaked without failure",
                op->name, normal.leaked);
  unsigned long nth, nomem = 0;
  for (nth = 1;; nth++) {
    attempt_t a;
    attempt(op, nth, &a);
    ck_assert_msg(a.leaked == 0, "%s: allocation %lu failing: %ld blocks leaked",
                  op->name, nth, a.leaked);
    if (!a.injected) {
      ck_assert_msg(a.err == KAVRO_OK && a.digest == normal.digest,
                    "%s: %lu allocations: not the normal result", op->name,
                    nth - 1);
      break;
    }
    if (a.err == KAVRO_OK) {
      ck_assert_msg(a.digest == normal.digest,
                    "%s: allocation %lu failing: success with another result",
                    op->name, nth);
      continue;
    }
    ck_assert_msg(a.error.code == a.err && a.error.text[0] != '\0',
                  "%s: allocation %lu failing: %s without its details",
                  op->name, nth, kavro_err2name(a.err));
    nomem += a.err == KAVRO_ERR_NOMEM;
  }
  printf("torture: %s: %lu allocations, each failed in turn (%lu NOMEM)\n",
         op->name, nth - 1, nomem);
}

/* ---- jansson's parser and writer -------------------------------------------- */

/* jansson 2.14 ignores some failures to grow a buffer.  Its lexer drops
 * what strbuffer_append_byte() returns (lex_save()): a string loses
 * characters and the parse succeeds with the wrong text, or the scan for
 * the closing quote runs past the buffer and crashes.  Its writer drops
 * what dump_string() returns for an object's key: json_dumps() gives
 * {":"BACKWARD"} for {"compatibilityLevel":"BACKWARD"}.  So of the
 * allocations json_loadb() and json_dumps() make, only the first, their
 * buffer itself, whose failure jansson does check, is made to fail; the
 * others are spared.  kavro's own calls bind to these definitions. */
typedef json_t *json_loadb_fn(const char *, size_t, size_t, json_error_t *);
typedef char *json_dumps_fn(const json_t *, size_t);

json_t *json_loadb(const char *buffer, size_t length, size_t flags,
                   json_error_t *error) {
  static json_loadb_fn *jansson_loadb;
  if (!jansson_loadb)
    *(void **)&jansson_loadb = dlsym(RTLD_NEXT, "json_loadb");
  kt_alloc_fail_spare_after(1);
  json_t *root = jansson_loadb(buffer, length, flags, error);
  kt_alloc_fail_spare_end();
  return root;
}

char *json_dumps(const json_t *json, size_t flags) {
  static json_dumps_fn *jansson_dumps;
  if (!jansson_dumps)
    *(void **)&jansson_dumps = dlsym(RTLD_NEXT, "json_dumps");
  kt_alloc_fail_spare_after(1);
  char *text = jansson_dumps(json, flags);
  kt_alloc_fail_spare_end();
  return text;
}

/* ---- avro-c ----------------------------------------------------------------- */

/* avro-c 1.11 does not check many of its allocations: avro_strdup()
 * copies into the NULL it got (every record, enum, fixed and field name),
 * and its hash tables (st.c, under records, enums and maps, and generic
 * map values) write through a table that was never allocated.  avro-c
 * makes every allocation through the allocator set here, which spares
 * them; kavro's own allocations around avro-c still fail. */
static void *avro_spared_allocator(void *user_data, void *ptr, size_t osize,
                                   size_t nsize) {
  (void)user_data;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  kt_alloc_fail_spare_after(0);
  void *block = realloc(ptr, nsize);
  kt_alloc_fail_spare_end();
  return block;
}

/* ---- inputs, made once per test ----------------------------------------- */

/* A work order of tests/gen/work_order.avsc in the Avro JSON encoding. */
static const char order_datum_json[] =
    "{\"id\":\"WO-1\",\"created_at\":1700000000123,\"due\":19700,"
    "\"urgent\":true,\"weight\":2.5,\"price\":\"\\u0001\\u0086\\u00a0\","
    "\"checksum\":\"0123456789abcdef\",\"state\":\"cancelled\","
    "\"site\":{\"lat\":52.2,\"lng\":21.0},"
    "\"steps\":[{\"seq\":1,\"label\":\"measure\",\"minutes\":{\"int\":30}},"
    "{\"seq\":2,\"label\":\"install\",\"minutes\":null}],"
    "\"tags\":{\"crew\":\"alpha\",\"van\":\"7\"},"
    "\"note\":{\"string\":\"za\\u017c\\u00f3\\u0142\\u0107\"},"
    "\"backup_site\":{\"com.example.gen.Site\":{\"lat\":-1.0,\"lng\":-2.0}},"
    "\"payload\":{\"array\":[\"\\u0001\\u0086\",\"\"]},\"default\":-7}";

/* A visit of tests/gen/evolution_v1.avsc, read as version 2. */
static const char visit_v1_json[] =
    "{\"id\":\"V-9\",\"minutes\":42,\"outcome\":\"LATER\","
    "\"note\":{\"string\":\"gate code 4411\"},\"legacy\":\"x\"}";

/* A record whose field types are named types of a referenced schema. */
static const char site_text[] =
    "{\"type\":\"record\",\"name\":\"Site\",\"namespace\":\"com.example.gen\","
    "\"fields\":[{\"name\":\"lat\",\"type\":\"double\"},"
    "{\"name\":\"lng\",\"type\":\"double\"}]}";
static const char trip_text[] =
    "{\"type\":\"record\",\"name\":\"Trip\",\"namespace\":\"com.example.gen\","
    "\"aliases\":[\"Journey\"],\"fields\":["
    "{\"name\":\"from\",\"type\":\"Site\"},"
    "{\"name\":\"to\",\"type\":[\"null\",\"com.example.gen.Site\"],"
    "\"default\":null},"
    "{\"name\":\"at\",\"type\":{\"type\":\"long\","
    "\"logicalType\":\"timestamp-micros\"},\"doc\":\"departure\"}]}";

/* An avro-c class of a kavro schema, and a value of it made afresh for
 * every run (a value keeps the memory of its datum between resets). */
typedef struct avro_holder_s {
  avro_schema_t schema;
  avro_value_iface_t *iface;
  avro_value_t value;
} avro_holder_t;

static char *work_order_text;
static size_t work_order_length;
static char work_order_path[4096];
static kavro_schema_t *order_schema, *visit_v1, *visit_v2, *site_reference;
static avro_holder_t work_order_value, visit_v2_value;
static kavro_buf_t *work_order_body, *visit_v1_body;

static kavro_schema_t *parse_or_fail(const char *text) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_schema_parse(text, strlen(text), NULL, &schema,
                                   &error) == KAVRO_OK,
                "%s", error.text);
  return schema;
}

static void holder_init(avro_holder_t *h, const kavro_schema_t *schema) {
  ck_assert_int_eq(kavro_schema_to_avro(schema, &h->schema, NULL), KAVRO_OK);
  h->iface = avro_generic_class_from_schema(h->schema);
  ck_assert_ptr_nonnull(h->iface);
}

static void holder_free(avro_holder_t *h) {
  avro_value_iface_decref(h->iface);
  avro_schema_decref(h->schema);
}

static kavro_buf_t *binary_or_fail(const kavro_schema_t *schema,
                                   const char *json) {
  kavro_buf_t *buf = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_msg(kavro_json_to_binary(schema, json, strlen(json), buf,
                                     &error) == KAVRO_OK,
                "%s", error.text);
  return buf;
}

static void inputs_setup(void) {
  /* OpenSSL makes a thread's error queue on first use and keeps it until
   * the thread ends: made now, it is not taken for a leak of the first
   * digest that fails. */
  ERR_clear_error();
  snprintf(work_order_path, sizeof(work_order_path), "%s",
           kt_src_path("tests/gen/work_order.avsc"));
  work_order_text = kt_read_file(work_order_path, &work_order_length);
  ck_assert_ptr_nonnull(work_order_text);
  order_schema = parse_or_fail(work_order_text);
  visit_v1 = parse_or_fail(evo1_visit_type.schema_text);
  visit_v2 = parse_or_fail(evo2_visit_type.schema_text);
  site_reference = parse_or_fail(site_text);
  holder_init(&work_order_value, order_schema);
  holder_init(&visit_v2_value, visit_v2);
  work_order_body = binary_or_fail(order_schema, order_datum_json);
  visit_v1_body = binary_or_fail(visit_v1, visit_v1_json);
}

static void inputs_teardown(void) {
  kavro_buf_destroy(visit_v1_body);
  kavro_buf_destroy(work_order_body);
  holder_free(&visit_v2_value);
  holder_free(&work_order_value);
  kavro_schema_destroy(site_reference);
  kavro_schema_destroy(visit_v2);
  kavro_schema_destroy(visit_v1);
  kavro_schema_destroy(order_schema);
  free(work_order_text);
}

/* ---- digests ------------------------------------------------------------ */

static uint64_t text_digest(const char *text) {
  return text ? kavro_rabin(text, strlen(text)) : 0;
}

static uint64_t buf_digest(const kavro_buf_t *buf) {
  return kavro_rabin(kavro_buf_data(buf), kavro_buf_length(buf));
}

/* The schema with every attribute, and its canonical form. */
static uint64_t schema_digest(const kavro_schema_t *schema) {
  char *json = kavro_schema_to_json(schema, KAVRO_JSON_COMPACT);
  ck_assert_ptr_nonnull(json);
  uint64_t digest = text_digest(json) ^ text_digest(kavro_schema_canonical(schema));
  free(json);
  return digest;
}

static uint64_t value_digest(const kavro_schema_t *schema,
                             const avro_value_t *value) {
  char *json = kavro_value_to_json(schema, value, KAVRO_DATUM_JSON_AVRO, NULL);
  ck_assert_ptr_nonnull(json);
  uint64_t digest = text_digest(json);
  free(json);
  return digest;
}

static uint64_t typed_digest(const kavro_typed_type_t *type, const void *value) {
  kavro_buf_t *buf = kavro_buf_new(0, 0);
  ck_assert_int_eq(kavro_typed_to_json(type, value, buf, NULL), KAVRO_OK);
  uint64_t digest = buf_digest(buf);
  kavro_buf_destroy(buf);
  return digest;
}

/* Fill @error for a function that only returns NULL when out of memory. */
static kavro_err_t out_of_memory(kavro_error_t *error, const char *what) {
  error->code = KAVRO_ERR_NOMEM;
  snprintf(error->text, sizeof(error->text), "%s: out of memory", what);
  return KAVRO_ERR_NOMEM;
}

/* ---- schema ------------------------------------------------------------- */

static kavro_schema_t *parsed;

static uint64_t settle_parsed(kavro_err_t err) {
  ck_assert(err == KAVRO_OK || parsed == NULL);
  uint64_t digest = err == KAVRO_OK ? schema_digest(parsed) : 0;
  kavro_schema_destroy(parsed);
  parsed = NULL;
  return digest;
}

static kavro_err_t run_schema_parse(kavro_error_t *error) {
  return kavro_schema_parse(work_order_text, work_order_length, NULL, &parsed,
                            error);
}

static kavro_err_t run_schema_parse_file(kavro_error_t *error) {
  return kavro_schema_parse_file(work_order_path, NULL, &parsed, error);
}

static kavro_err_t run_schema_parse_references(kavro_error_t *error) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.source = "trip.avsc";
  options.references = &site_reference;
  options.reference_count = 1;
  return kavro_schema_parse(trip_text, strlen(trip_text), &options, &parsed,
                            error);
}

static char *schema_json;

static kavro_err_t run_schema_to_json(kavro_error_t *error) {
  schema_json = kavro_schema_to_json(order_schema, KAVRO_JSON_PRETTY);
  return schema_json ? KAVRO_OK : out_of_memory(error, "kavro_schema_to_json");
}

static uint64_t settle_schema_json(kavro_err_t err) {
  uint64_t digest = text_digest(schema_json);
  free(schema_json);
  schema_json = NULL;
  return digest;
}

static avro_schema_t converted;

static kavro_err_t run_schema_to_avro(kavro_error_t *error) {
  return kavro_schema_to_avro(order_schema, &converted, error);
}

static uint64_t settle_schema_avro(kavro_err_t err) {
  if (err != KAVRO_OK)
    return 0;
  uint64_t digest = avro_schema_equal(converted, work_order_value.schema) ? 1 : 2;
  avro_schema_decref(converted);
  converted = NULL;
  return digest;
}

static const torture_op_t schema_ops[] = {
    {"kavro_schema_parse", NULL, run_schema_parse, settle_parsed},
    {"kavro_schema_parse_file", NULL, run_schema_parse_file, settle_parsed},
    {"kavro_schema_parse with references", NULL, run_schema_parse_references,
     settle_parsed},
    {"kavro_schema_to_json", NULL, run_schema_to_json, settle_schema_json},
    {"kavro_schema_to_avro", NULL, run_schema_to_avro, settle_schema_avro},
};

START_TEST(schema_under_allocation_failure) { torture(&schema_ops[_i]); }
END_TEST

/* ---- Avro JSON datums and decoding ---------------------------------------- */

static void new_value(avro_holder_t *h) {
  ck_assert_int_eq(avro_generic_value_new(h->iface, &h->value), 0);
}

static uint64_t settle_value(avro_holder_t *h, const kavro_schema_t *schema,
                             kavro_err_t err) {
  uint64_t digest = err == KAVRO_OK ? value_digest(schema, &h->value) : 0;
  avro_value_decref(&h->value);
  return digest;
}

static void new_order_value(void) { new_value(&work_order_value); }

static uint64_t settle_work_order_value(kavro_err_t err) {
  return settle_value(&work_order_value, order_schema, err);
}

static void new_visit_value(void) { new_value(&visit_v2_value); }

static uint64_t settle_visit_v2_value(kavro_err_t err) {
  return settle_value(&visit_v2_value, visit_v2, err);
}

static kavro_err_t run_value_from_json(kavro_error_t *error) {
  return kavro_value_from_json(order_schema, order_datum_json,
                               strlen(order_datum_json),
                               &work_order_value.value, error);
}

static kavro_buf_t *binary;

static kavro_err_t run_json_to_binary(kavro_error_t *error) {
  binary = kavro_buf_new(0, 0);
  if (!binary)
    return out_of_memory(error, "kavro_buf_new");
  return kavro_json_to_binary(order_schema, order_datum_json,
                              strlen(order_datum_json), binary, error);
}

static uint64_t settle_binary(kavro_err_t err) {
  uint64_t digest = err == KAVRO_OK ? buf_digest(binary) : 0;
  kavro_buf_destroy(binary);
  binary = NULL;
  return digest;
}

/* With a NULL decoder: the temporary one is made under torture too. */
static kavro_err_t run_decode(kavro_error_t *error) {
  return kavro_decode(NULL, order_schema, kavro_buf_data(work_order_body),
                      kavro_buf_length(work_order_body),
                      &work_order_value.value, NULL, error);
}

static kavro_err_t run_decode_with_decoder(kavro_error_t *error) {
  kavro_decoder_t *decoder = kavro_decoder_new(NULL);
  if (!decoder)
    return out_of_memory(error, "kavro_decoder_new");
  kavro_err_t err = kavro_decode(decoder, order_schema,
                                 kavro_buf_data(work_order_body),
                                 kavro_buf_length(work_order_body),
                                 &work_order_value.value, NULL, error);
  kavro_decoder_destroy(decoder);
  return err;
}

static kavro_err_t run_decode_resolved(kavro_error_t *error) {
  kavro_resolution_t *plan = NULL;
  kavro_err_t err = kavro_resolution_new(visit_v1, visit_v2, &plan, error);
  if (err != KAVRO_OK) {
    ck_assert_ptr_null(plan);
    return err;
  }
  err = kavro_decode_resolved(NULL, plan, kavro_buf_data(visit_v1_body),
                              kavro_buf_length(visit_v1_body),
                              &visit_v2_value.value, NULL, error);
  kavro_resolution_destroy(plan);
  return err;
}

static const torture_op_t datum_ops[] = {
    {"kavro_value_from_json", new_order_value, run_value_from_json,
     settle_work_order_value},
    {"kavro_json_to_binary", NULL, run_json_to_binary, settle_binary},
    {"kavro_decode", new_order_value, run_decode, settle_work_order_value},
    {"kavro_decode with a decoder", new_order_value, run_decode_with_decoder,
     settle_work_order_value},
    {"kavro_resolution_new and kavro_decode_resolved", new_visit_value,
     run_decode_resolved, settle_visit_v2_value},
};

START_TEST(datum_under_allocation_failure) { torture(&datum_ops[_i]); }
END_TEST

/* ---- typed records ------------------------------------------------------ */

static work_order_t *typed_order;

static kavro_err_t run_typed_decode_new(kavro_error_t *error) {
  typed_order = work_order_decode_new(kavro_buf_data(work_order_body),
                                      kavro_buf_length(work_order_body), error);
  return typed_order ? KAVRO_OK : error->code;
}

static uint64_t settle_typed_order(kavro_err_t err) {
  uint64_t digest =
      err == KAVRO_OK ? typed_digest(&work_order_type, typed_order) : 0;
  work_order_free(typed_order);
  typed_order = NULL;
  return digest;
}

/* Decoded into an arena: a work order or, through the resolver, a visit
 * of version 2. */
static kavro_arena_t *arena;
static kavro_typed_resolver_t *resolver;
static work_order_t arena_order;
static evo2_visit_t typed_visit;

static kavro_err_t run_typed_decode_arena(kavro_error_t *error) {
  arena = kavro_arena_new(64, 0); /* small: the arena must grow */
  if (!arena)
    return out_of_memory(error, "kavro_arena_new");
  return work_order_decode(kavro_buf_data(work_order_body),
                           kavro_buf_length(work_order_body), arena,
                           &arena_order, error);
}

static kavro_err_t run_typed_decode_from(kavro_error_t *error) {
  arena = kavro_arena_new(0, 0);
  resolver = kavro_typed_resolver_new(NULL);
  if (!arena || !resolver)
    return out_of_memory(error, "kavro_arena_new, kavro_typed_resolver_new");
  return kavro_typed_decode_from(resolver, &evo2_visit_type, visit_v1,
                                 kavro_buf_data(visit_v1_body),
                                 kavro_buf_length(visit_v1_body), arena,
                                 &typed_visit, error);
}

static uint64_t settle_typed_arena(const kavro_typed_type_t *type,
                                   const void *value, kavro_err_t err) {
  uint64_t digest = err == KAVRO_OK ? typed_digest(type, value) : 0;
  kavro_typed_resolver_destroy(resolver);
  kavro_arena_destroy(arena);
  resolver = NULL;
  arena = NULL;
  return digest;
}

static uint64_t settle_typed_order_arena(kavro_err_t err) {
  return settle_typed_arena(&work_order_type, &arena_order, err);
}

static uint64_t settle_typed_visit(kavro_err_t err) {
  return settle_typed_arena(&evo2_visit_type, &typed_visit, err);
}

static const torture_op_t typed_ops[] = {
    {"work_order_decode_new", NULL, run_typed_decode_new, settle_typed_order},
    {"work_order_decode into an arena", NULL, run_typed_decode_arena,
     settle_typed_order_arena},
    {"kavro_typed_decode_from", NULL, run_typed_decode_from,
     settle_typed_visit},
};

START_TEST(typed_under_allocation_failure) { torture(&typed_ops[_i]); }
END_TEST

/* ---- the serializer's and deserializer's cold path ------------------------ */

/* A fresh mock registry and clients for every run, so that each run is a
 * first serialization: subject, gate, registration, caches. */
static kavro_mock_t *mock;
static kavro_registry_t *client;
static kavro_serializer_t *serializer;
static kavro_deserializer_t *deserializer;
static kavro_buf_t *frame;
static kavro_deserialized_t message;

static void prepare_serializer(void) {
  ck_assert_int_eq(kavro_mock_new("torture", &mock, NULL), KAVRO_OK);
  client = kt_client("mock://torture", NULL);
  serializer = kavro_serializer_new(client, NULL, NULL);
  ck_assert_ptr_nonnull(serializer);
  frame = kavro_buf_new(0, 0);
  new_order_value();
  ck_assert_int_eq(kavro_value_from_json(order_schema, order_datum_json,
                                         strlen(order_datum_json),
                                         &work_order_value.value, NULL),
                   KAVRO_OK);
}

static kavro_err_t serialize_order(kavro_error_t *error) {
  return kavro_serializer_serialize(serializer, "orders", false,
                                    order_schema, &work_order_value.value,
                                    frame, error);
}

/* The frame of the first schema a mock registry registers: id 1. */
static void check_order_frame(void) {
  static const unsigned char head[5] = {0, 0, 0, 0, 1};
  size_t body = kavro_buf_length(work_order_body);
  const unsigned char *f = kavro_buf_data(frame);
  ck_assert_uint_eq(kavro_buf_length(frame), sizeof(head) + body);
  ck_assert_msg(memcmp(f, head, sizeof(head)) == 0,
                "frame head %02x %02x%02x%02x%02x", f[0], f[1], f[2], f[3],
                f[4]);
  ck_assert(memcmp(kavro_buf_data(frame) + sizeof(head),
                   kavro_buf_data(work_order_body), body) == 0);
}

/* After a failure the serializer must not have kept half a cache entry:
 * the next call, with memory, gives the right frame. */
static uint64_t settle_serializer(kavro_err_t err) {
  if (err != KAVRO_OK) {
    kavro_error_t error;
    ck_assert_msg(serialize_order(&error) == KAVRO_OK, "%s", error.text);
  }
  check_order_frame();
  uint64_t digest = err == KAVRO_OK ? buf_digest(frame) : 0;
  kavro_buf_destroy(frame);
  avro_value_decref(&work_order_value.value);
  kavro_serializer_destroy(serializer);
  kavro_registry_destroy(client);
  kavro_mock_destroy(mock);
  return digest;
}

/* The frame is made with a client of its own, so that the deserializer's
 * client has to fetch the writer schema by id. */
static void prepare_deserializer(void) {
  prepare_serializer();
  kavro_error_t error;
  ck_assert_msg(serialize_order(&error) == KAVRO_OK, "%s", error.text);
  avro_value_decref(&work_order_value.value);
  kavro_serializer_destroy(serializer);
  kavro_registry_destroy(client);
  client = kt_client("mock://torture", NULL);
  deserializer = kavro_deserializer_new(client, NULL, NULL, NULL);
  ck_assert_ptr_nonnull(deserializer);
}

static kavro_err_t deserialize_order(kavro_error_t *error) {
  return kavro_deserializer_deserialize(deserializer, "orders", false, NULL, 0,
                                        kavro_buf_data(frame),
                                        kavro_buf_length(frame), &message,
                                        error);
}

static uint64_t settle_deserializer(kavro_err_t err) {
  if (err != KAVRO_OK) {
    kavro_error_t error;
    ck_assert_msg(deserialize_order(&error) == KAVRO_OK, "%s", error.text);
  }
  ck_assert_int_eq(message.writer_id.id, 1);
  uint64_t digest = value_digest(message.schema, message.value);
  ck_assert(kavro_schema_rabin(message.schema) ==
            kavro_schema_rabin(order_schema));
  kavro_deserializer_destroy(deserializer);
  kavro_buf_destroy(frame);
  kavro_registry_destroy(client);
  kavro_mock_destroy(mock);
  return err == KAVRO_OK ? digest : 0;
}

/* A warm producer that encrypts PII fields (AES-SIV: the same bytes for
 * the same key), where the body is rewritten in one pass: a failure there
 * leaves the message to the generic path, whose frame is the same. */
static const char pii_text[] =
    "{\"type\":\"record\",\"name\":\"Pii\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"email\",\"type\":\"string\",\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"phones\",\"type\":{\"type\":\"array\",\"items\":"
    "[\"null\",\"string\"]},\"confluent:tags\":[\"PII\"]}]}";
static const char pii_rules[] =
    "{\"domainRules\":[{\"name\":\"e\",\"kind\":\"TRANSFORM\",\"mode\":"
    "\"WRITEREAD\",\"type\":\"ENCRYPT\",\"tags\":[\"PII\"],\"params\":{"
    "\"encrypt.kek.name\":\"kek\",\"encrypt.kms.type\":\"local-kms\","
    "\"encrypt.kms.key.id\":\"k\",\"encrypt.dek.algorithm\":\"AES256_SIV\"}}]}";
static kavro_schema_t *pii_schema;
static kt_value_t pii_value;
static unsigned char *pii_first; /* the warm op's first frame */
static size_t pii_first_size;

static void prepare_encrypting(void) {
  ck_assert_int_eq(kavro_mock_new("torture", &mock, NULL), KAVRO_OK);
  client = kt_client("mock://torture", NULL);
  kt_register_contract(client, "pii-value", pii_text, NULL, pii_rules);
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "auto.register.schemas", "false",
                                  NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "use.latest.version", "true", NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf,
                                  "rule.executors._default_.param.secret",
                                  "torture", NULL), KAVRO_OK);
  serializer = kavro_serializer_new(client, conf, NULL);
  kavro_conf_destroy(conf);
  ck_assert_ptr_nonnull(serializer);
  frame = kavro_buf_new(0, 0);
  pii_schema = kt_parse(pii_text);
  kt_value_from_json(&pii_value, pii_schema,
                     "{\"id\":1,\"email\":\"ada@example.com\",\"phones\":"
                     "[null,{\"string\":\"+44 1\"},{\"string\":\"\"}]}");
}

static kavro_err_t serialize_pii(kavro_error_t *error) {
  return kavro_serializer_serialize(serializer, "pii", false, pii_schema,
                                    &pii_value.value, frame, error);
}

static void prepare_warm_encrypting(void) {
  prepare_encrypting();
  kavro_error_t error;
  ck_assert_msg(serialize_pii(&error) == KAVRO_OK, "%s", error.text);
  pii_first_size = kavro_buf_length(frame);
  pii_first = malloc(pii_first_size);
  ck_assert_ptr_nonnull(pii_first);
  memcpy(pii_first, kavro_buf_data(frame), pii_first_size);
}

/* After a failure the next message, with memory, is encrypted; either
 * way the frame is the first message's.  The key is new each run: the
 * digest is of the frame's length. */
static uint64_t settle_encrypting(kavro_err_t err) {
  kavro_error_t error;
  if (err != KAVRO_OK)
    ck_assert_msg(serialize_pii(&error) == KAVRO_OK, "%s", error.text);
  ck_assert(kavro_buf_length(frame) == pii_first_size &&
            memcmp(kavro_buf_data(frame), pii_first, pii_first_size) == 0);
  uint64_t digest = err == KAVRO_OK ? kavro_buf_length(frame) : 0;
  free(pii_first);
  kavro_buf_destroy(frame);
  kt_value_free(&pii_value);
  kavro_schema_destroy(pii_schema);
  kavro_serializer_destroy(serializer);
  kavro_registry_destroy(client);
  kavro_mock_destroy(mock);
  return digest;
}

static const torture_op_t serde_ops[] = {
    {"first kavro_serializer_serialize", prepare_serializer, serialize_order,
     settle_serializer},
    {"first kavro_deserializer_deserialize", prepare_deserializer,
     deserialize_order, settle_deserializer},
    {"warm encrypting kavro_serializer_serialize", prepare_warm_encrypting,
     serialize_pii, settle_encrypting},
};

START_TEST(serde_under_allocation_failure) { torture(&serde_ops[_i]); }
END_TEST

/* ---- registry replies ----------------------------------------------------- */

static const char schema_reply[] =
    "{\"subject\":\"trip-value\",\"id\":7,\"version\":2,\"schema\":"
    "\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Trip\\\","
    "\\\"fields\\\":[{\\\"name\\\":\\\"from\\\",\\\"type\\\":\\\"Site\\\"}]}\","
    "\"references\":[{\"name\":\"Site\",\"subject\":\"site-value\","
    "\"version\":1},{\"name\":\"Crew\",\"subject\":\"crew-value\","
    "\"version\":3}]}";

static kv_answer_schema_t answer;

static kavro_err_t run_schema_reply(kavro_error_t *error) {
  return kv_answer_schema(schema_reply, strlen(schema_reply), true, &answer,
                          error);
}

static uint64_t settle_schema_reply(kavro_err_t err) {
  char text[1024] = "";
  if (err == KAVRO_OK) {
    ck_assert_uint_eq(answer.ref_count, 2);
    snprintf(text, sizeof(text), "%s %d %d %s %s %s %d %s %s %d",
             answer.subject, answer.id, answer.version, answer.schema,
             answer.refs[0].name, answer.refs[0].subject,
             answer.refs[0].version, answer.refs[1].name,
             answer.refs[1].subject, answer.refs[1].version);
  } else {
    ck_assert(answer.subject == NULL && answer.schema == NULL &&
              answer.refs == NULL && answer.ref_count == 0);
  }
  kv_answer_schema_clear(&answer);
  return err == KAVRO_OK ? text_digest(text) : 0;
}

/* The smaller replies, one after the other; the first failure ends the
 * run. */
static int *versions;
static size_t version_count;
static char **subjects;
static size_t subject_count;
static char **messages;
static size_t message_count;
static char level[KAVRO_REGISTRY_NAME_SIZE];
static char *error_message;
static int answered_id, error_code;
static bool compatible;

#define REPLY(text) text, strlen(text)

static kavro_err_t run_small_replies(kavro_error_t *error) {
  kavro_err_t err;
  if ((err = kv_answer_id(REPLY("{\"id\":12}"), &answered_id, NULL, NULL,
                           error)) ||
      (err = kv_answer_int_array(REPLY("[1,2,5]"), &versions, &version_count,
                                 error)) ||
      (err = kv_answer_string_array(REPLY("[\"a-value\",\"b-key\"]"),
                                    &subjects, &subject_count, error)) ||
      (err = kv_answer_name(REPLY("{\"compatibility\":\"FULL_TRANSITIVE\"}"),
                            "compatibilityLevel", "compatibility", level,
                            error)) ||
      (err = kv_answer_compatibility(
           REPLY("{\"is_compatible\":false,\"messages\":[\"m1\",\"m2\"]}"),
           &compatible, &messages, &message_count, error)))
    return err;
  if (!kv_answer_error(REPLY("{\"error_code\":40401,\"message\":\"Subject "
                             "'x' not found.\"}"),
                       &error_code, &error_message)) {
    error->code = KAVRO_ERR_BAD_RESPONSE;
    snprintf(error->text, sizeof(error->text), "error body not recognised");
    return KAVRO_ERR_BAD_RESPONSE;
  }
  /* The code without its message: how the parser says memory ran out. */
  return error_message ? KAVRO_OK : out_of_memory(error, "kv_answer_error");
}

static uint64_t settle_small_replies(kavro_err_t err) {
  char text[512] = "";
  if (err == KAVRO_OK) {
    ck_assert_uint_eq(version_count, 3);
    ck_assert_uint_eq(subject_count, 2);
    ck_assert_uint_eq(message_count, 2);
    ck_assert_ptr_nonnull(error_message);
    snprintf(text, sizeof(text), "%d %d %d %d %s %s %s %d %s %s %d %s",
             answered_id, versions[0], versions[1], versions[2], subjects[0],
             subjects[1], level, compatible, messages[0], messages[1],
             error_code, error_message);
  }
  free(versions);
  free(subjects);
  free(messages);
  free(error_message);
  versions = NULL;
  subjects = messages = NULL;
  error_message = NULL;
  version_count = subject_count = message_count = 0;
  return err == KAVRO_OK ? text_digest(text) : 0;
}

/* A shared KEK's DEK: its key material taken out of the reply, escapes
 * undone, before jansson parses the rest. */
static kavro_dek_t *answered_dek;

static kavro_err_t run_dek_reply(kavro_error_t *error) {
  return kv_answer_dek(
      REPLY("{\"kekName\":\"kek1\",\"subject\":\"s-value\",\"version\":2,"
            "\"encryptedKeyMaterial\":\"d3JhcHBlZA==\","
            "\"keyMaterial\":\"AAEC\\/w==\",\"ts\":17}"),
      &answered_dek, error);
}

static uint64_t settle_dek_reply(kavro_err_t err) {
  char text[256] = "";
  if (err == KAVRO_OK)
    snprintf(text, sizeof(text), "%s %s %d %s %s %s", answered_dek->kek_name,
             answered_dek->subject, answered_dek->version,
             answered_dek->algorithm, answered_dek->encrypted_key_material,
             answered_dek->key_material);
  else
    ck_assert_ptr_null(answered_dek);
  kavro_dek_destroy(answered_dek);
  answered_dek = NULL;
  return err == KAVRO_OK ? text_digest(text) : 0;
}

static const torture_op_t reply_ops[] = {
    {"kv_answer_schema", NULL, run_schema_reply, settle_schema_reply},
    {"kv_answer_id, _int_array, _string_array, _name, _compatibility, "
     "_error",
     NULL, run_small_replies, settle_small_replies},
    {"kv_answer_dek with key material", NULL, run_dek_reply,
     settle_dek_reply},
};

START_TEST(replies_under_allocation_failure) { torture(&reply_ops[_i]); }
END_TEST

/* ---- the allocator itself ------------------------------------------------- */

/* Without this, a build where the shared libraries do not see the
 * replacement would pass every torture test without failing anything in
 * them. */
START_TEST(failure_reaches_every_library) {
  long live = kt_alloc_live();
  kt_alloc_fail_arm(1);
  char *copy = strdup("glibc");
  ck_assert(kt_alloc_fail_disarm());
  kt_alloc_fail_arm(1);
  json_t *string = json_string("jansson");
  ck_assert(kt_alloc_fail_disarm());
  kt_alloc_fail_arm(1);
  struct curl_slist *list = curl_slist_append(NULL, "libcurl");
  ck_assert(kt_alloc_fail_disarm());
  ck_assert_ptr_null(copy);
  ck_assert_ptr_null(string);
  ck_assert_ptr_null(list);
  ck_assert_int_eq(kt_alloc_live(), live);

  kt_alloc_fail_arm(2);
  copy = strdup("glibc");
  ck_assert(!kt_alloc_fail_disarm());
  ck_assert_uint_eq(kt_alloc_fail_count(), 1);
  ck_assert_int_eq(kt_alloc_live(), live + 1);
  free(copy);
  ck_assert_int_eq(kt_alloc_live(), live);
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *torture_case(const char *name, const TTest *test, int ops) {
  TCase *tc = tcase_create(name);
  tcase_add_checked_fixture(tc, inputs_setup, inputs_teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test, 0, ops);
  return tc;
}

static Suite *torture_suite(void) {
  Suite *s = suite_create("torture");
  TCase *tc = tcase_create("allocator");
  tcase_add_test(tc, failure_reaches_every_library);
  suite_add_tcase(s, tc);
  suite_add_tcase(s, torture_case("schema", schema_under_allocation_failure,
                                  COUNT(schema_ops)));
  suite_add_tcase(s, torture_case("datum", datum_under_allocation_failure,
                                  COUNT(datum_ops)));
  suite_add_tcase(s, torture_case("typed", typed_under_allocation_failure,
                                  COUNT(typed_ops)));
  suite_add_tcase(s, torture_case("serde", serde_under_allocation_failure,
                                  COUNT(serde_ops)));
  suite_add_tcase(s, torture_case("replies", replies_under_allocation_failure,
                                  COUNT(reply_ops)));
  return s;
}

int main(void) {
  const char *unavailable = kt_alloc_fail_unavailable();
  if (unavailable) {
    printf("SKIP: check_torture: %s\n", unavailable);
    return 77; /* automake's "skipped" */
  }
  avro_set_allocator(avro_spared_allocator, NULL);
  SRunner *sr = srunner_create(torture_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
