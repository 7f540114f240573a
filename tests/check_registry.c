/*
 * kavro tests - the registry client against the mock registry, in the
 * process (mock://) and over HTTP on loopback, and against a recording
 * front that logs what the client sent (auth headers, paths) and can answer
 * with canned replies (cycles, malformed shapes, 401).
 */
#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "inproc_int.h"
#include "kavro.h"
#include "kavro/mock.h"
#include "mock_int.h"
#include "registry_int.h"
#include "serde_fixture.h"
#include "testutil.h"
#include "common_strbuf_int.h"

/* ---- schemas ---------------------------------------------------------------
 */

static const char schema_a[] =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}";
static const char schema_b[] = /* A plus a field with a default: BACKWARD */
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}]}";
static const char schema_c[] = /* id becomes a string: incompatible */
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}";

/* A subject that needs every kind of escaping: space, '/', non-ASCII. */
static const char subject_odd[] = "orders value/\xce\xb1";
static const char subject_odd_encoded[] = "orders%20value%2F%CE%B1";

static kavro_schema_t *parse_refs(const char *text, kavro_schema_t *const *refs,
                                  size_t count) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.references = refs;
  options.reference_count = count;
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_schema_parse(text, strlen(text), &options, &schema,
                                   &error) == KAVRO_OK,
                "parse: %s", error.text);
  return schema;
}

static kavro_schema_t *parse(const char *text) {
  return parse_refs(text, NULL, 0);
}

/* ---- fixtures --------------------------------------------------------------
 */

static kavro_mock_t *mock;
static const char scope[] = "regtest";

static void mock_setup(void) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new(scope, &mock, &error), KAVRO_OK);
}

static void mock_teardown(void) {
  kavro_mock_destroy(mock);
  mock = NULL;
}

/* A client for @url with extra key/value pairs (NULL-terminated), retrying
 * fast unless a test says otherwise. */
static kavro_registry_t *client(const char *url, ...) {
  static const char *const fast_retries[] = {"retries.wait.ms", "5", NULL};
  const char *settings[35];
  va_list ap;
  va_start(ap, url);
  kt_settings_collect(settings, sizeof(settings) / sizeof(settings[0]),
                      fast_retries, ap);
  va_end(ap);
  return kt_client_settings(url, settings);
}

/* The URL of the mock for transport @which: 0 mock://, 1 HTTP. */
static const char *mock_url(int which) {
  if (which == 0)
    return "mock://regtest";
  if (!kavro_mock_url(mock))
    ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  return kavro_mock_url(mock);
}

static uint64_t served(const char *endpoint) {
  return kavro_mock_request_count(mock, endpoint);
}

static kavro_registry_stats_t stats_of(const kavro_registry_t *reg) {
  kavro_registry_stats_t stats;
  kavro_registry_stats(reg, &stats);
  return stats;
}

static uint64_t total_requests(const kavro_registry_t *reg) {
  kavro_registry_stats_t s = stats_of(reg);
  uint64_t n = 0;
  for (int i = 0; i < KAVRO_REGISTRY_EP_COUNT; i++)
    n += s.requests[i];
  return n;
}

static int64_t elapsed_ms(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000 +
         (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void push_fault(kavro_mock_fault_kind_t kind, const char *path,
                       int status, int code, int retry_after, size_t count) {
  kavro_mock_fault_t fault = {kind, NULL, path, status, code, retry_after};
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, count, NULL), KAVRO_OK);
}

/* A loopback port nothing listens on: bound, then closed. */
static unsigned closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  socklen_t len = sizeof(sin);
  getsockname(fd, (struct sockaddr *)&sin, &len);
  close(fd);
  return ntohs(sin.sin_port);
}

/* ---- counting allocations ----------------------------------------------- */

/* glibc lets a program replace malloc; these count the calls made by the
 * thread that set `counting` and hand the work to glibc's own allocator.
 * Sanitizers bring their own allocator, so there the count is not kept. */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) &&                    \
    !defined(__SANITIZE_THREAD__)
#define COUNTS_ALLOCATIONS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static _Thread_local bool counting;
static _Thread_local unsigned long allocations;

void *malloc(size_t size) {
  allocations += counting;
  return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
  allocations += counting;
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t size) {
  allocations += counting;
  return __libc_realloc(p, size);
}
void free(void *p) { __libc_free(p); }
#else
#define COUNTS_ALLOCATIONS 0
static bool counting;
static unsigned long allocations;
#endif

/* ---- the recording front ------------------------------------------------- */

/* A canned answer for requests whose path starts with `path`. */
typedef struct canned_s {
  const char *path;
  int status;
  const char *body;
  int times; /* answers left; -1: always */
} canned_t;

typedef struct recorder_s {
  pthread_mutex_t lock;
  const char *forward_scope; /* NULL: canned answers or 404 only */
  canned_t canned[8];
  size_t canned_count;
  int requests;
  char path[512];
  char query[256];
  char method[8];
  char authorization[512];
  char content_type[128];
  char body[4096];
  kv_http_server_t *http;
} recorder_t;

static recorder_t recorder = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void copy(char *dst, size_t size, const char *src) {
  snprintf(dst, size, "%s", src ? src : "");
}

static const canned_t *canned_for(recorder_t *r, const char *path) {
  for (size_t i = 0; i < r->canned_count; i++) {
    canned_t *c = &r->canned[i];
    if (c->times != 0 && strncmp(path, c->path, strlen(c->path)) == 0) {
      if (c->times > 0)
        c->times--;
      return c;
    }
  }
  return NULL;
}

static kavro_err_t record(void *opaque, const kv_http_request_t *request,
                          long timeout_ms, kv_http_response_t *response) {
  recorder_t *r = opaque;
  pthread_mutex_lock(&r->lock);
  r->requests++;
  copy(r->path, sizeof(r->path), request->path);
  copy(r->query, sizeof(r->query), request->query);
  copy(r->method, sizeof(r->method), request->method);
  copy(r->authorization, sizeof(r->authorization), request->authorization);
  copy(r->content_type, sizeof(r->content_type), request->content_type);
  snprintf(r->body, sizeof(r->body), "%.*s", (int)request->body_length,
           request->body ? request->body : "");
  const canned_t *c = canned_for(r, request->path);
  canned_t answer = c ? *c : (canned_t){0};
  pthread_mutex_unlock(&r->lock);
  if (!c && r->forward_scope)
    return kv_inproc_send(r->forward_scope, request, timeout_ms, response);
  response->outcome = KV_HTTP_ANSWERED;
  response->status = c ? answer.status : 404;
  response->body =
      strdup(c ? answer.body : "{\"error_code\":404,\"message\":\"no route\"}");
  response->body_length = strlen(response->body);
  snprintf(response->content_type, sizeof(response->content_type), "%s",
           KV_MOCK_CONTENT_TYPE);
  response->retry_after_seconds = -1;
  return KAVRO_OK;
}

/* Start the recorder under mock://rec, forwarding to @forward (may be
 * NULL); with @http also on a loopback port, whose URL goes to @url. */
static void recorder_start(const char *forward, bool http, char *url,
                           size_t url_size) {
  recorder.forward_scope = forward;
  recorder.canned_count = 0;
  recorder.requests = 0;
  ck_assert_int_eq(kv_inproc_register("rec", record, &recorder), KAVRO_OK);
  if (http) {
    ck_assert_int_eq(kv_http_server_start("127.0.0.1", 0, record, &recorder,
                                          &recorder.http, NULL),
                     KAVRO_OK);
    snprintf(url, url_size, "http://127.0.0.1:%u",
             kv_http_server_port(recorder.http));
  } else if (url) {
    snprintf(url, url_size, "mock://rec");
  }
}

static void recorder_stop(void) {
  kv_http_server_stop(recorder.http);
  recorder.http = NULL;
  kv_inproc_unregister("rec");
}

static void recorder_can(const char *path, int status, const char *body,
                         int times) {
  ck_assert_uint_lt(recorder.canned_count, 8);
  recorder.canned[recorder.canned_count++] =
      (canned_t){path, status, body, times};
}

/* ---- every endpoint ------------------------------------------------------ */

/* _i: 0 mock://, 1 HTTP on loopback. */
START_TEST(test_endpoints) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_schema_t *a = parse(schema_a), *b = parse(schema_b),
                 *c = parse(schema_c);
  kavro_error_t error;
  int id_a = 0, id_b = 0, id = 0, version = 0;

  /* register, and again from the cache */
  ck_assert_int_eq(kavro_registry_register(reg, subject_odd, a, NULL, 0, false,
                                           &id_a, &error),
                   KAVRO_OK);
  ck_assert_int_ge(id_a, 1);
  ck_assert_int_eq(
      kavro_registry_register(reg, subject_odd, a, NULL, 0, false, &id, &error),
      KAVRO_OK);
  ck_assert_int_eq(id, id_a);
  ck_assert_uint_eq(served("POST /subjects/{subject}/versions"), 1);

  /* the subject went out percent-encoded */
  kavro_mock_request_t *log = NULL;
  size_t log_count = 0;
  ck_assert_int_eq(kavro_mock_requests(mock, &log, &log_count, NULL), KAVRO_OK);
  ck_assert_uint_ge(log_count, 1);
  char expected[128];
  snprintf(expected, sizeof(expected), "/subjects/%s/versions",
           subject_odd_encoded);
  ck_assert_str_eq(log[0].path, expected);
  kavro_mock_requests_free(log, log_count);

  /* lookup: id and version */
  ck_assert_int_eq(kavro_registry_lookup(reg, subject_odd, a, NULL, 0, false,
                                         &id, &version, &error),
                   KAVRO_OK);
  ck_assert_int_eq(id, id_a);
  ck_assert_int_eq(version, 1);

  /* schema by id: the registering client already knows it */
  kavro_schema_t *got = NULL, *again = NULL;
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, id_a, NULL, &got, &error),
                   KAVRO_OK);
  ck_assert_ptr_eq(got, a);
  kavro_schema_destroy(got);
  ck_assert_uint_eq(served("GET /schemas/ids/{id}"), 0);

  /* another client asks (with the subject hint), parses once, caches */
  kavro_registry_t *fresh = client(mock_url(_i), NULL);
  ck_assert_int_eq(
      kavro_registry_schema_by_id(fresh, id_a, subject_odd, &got, &error),
      KAVRO_OK);
  ck_assert_str_eq(kavro_schema_canonical(got), kavro_schema_canonical(a));
  ck_assert_int_eq(
      kavro_registry_schema_by_id(fresh, id_a, NULL, &again, &error), KAVRO_OK);
  ck_assert_ptr_eq(got, again);
  ck_assert_uint_eq(served("GET /schemas/ids/{id}"), 1);
  kavro_schema_destroy(got);
  kavro_schema_destroy(again);
  kavro_registry_destroy(fresh);

  /* a second version, the latest, a fixed version */
  ck_assert_int_eq(kavro_registry_register(reg, subject_odd, b, NULL, 0, true,
                                           &id_b, &error),
                   KAVRO_OK);
  ck_assert_int_ne(id_b, id_a);
  ck_assert_int_eq(kavro_registry_get_version(reg, subject_odd,
                                              KAVRO_REGISTRY_LATEST, &got, &id,
                                              &version, &error),
                   KAVRO_OK);
  ck_assert_int_eq(id, id_b);
  ck_assert_int_eq(version, 2);
  ck_assert_str_eq(kavro_schema_canonical(got), kavro_schema_canonical(b));
  kavro_schema_destroy(got);
  ck_assert_int_eq(kavro_registry_get_version(reg, subject_odd, 1, &got, &id,
                                              &version, &error),
                   KAVRO_OK);
  ck_assert_int_eq(id, id_a);
  ck_assert_int_eq(version, 1);
  kavro_schema_destroy(got);

  /* versions and subjects */
  int *versions = NULL;
  size_t count = 0;
  ck_assert_int_eq(kavro_registry_versions(reg, subject_odd, false, &versions,
                                           &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 2);
  ck_assert_int_eq(versions[0], 1);
  ck_assert_int_eq(versions[1], 2);
  free(versions);
  char **subjects = NULL;
  ck_assert_int_eq(
      kavro_registry_subjects(reg, false, &subjects, &count, &error), KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  ck_assert_str_eq(subjects[0], subject_odd);
  free(subjects);

  /* levels: global, per subject, defaultToGlobal */
  char level[KAVRO_REGISTRY_NAME_SIZE];
  ck_assert_int_eq(kavro_registry_get_level(reg, NULL, false, level, &error),
                   KAVRO_OK);
  ck_assert_str_eq(level, "BACKWARD");
  ck_assert_int_eq(
      kavro_registry_get_level(reg, subject_odd, false, level, &error),
      KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND);
  ck_assert_int_eq(error.http_status, 404);
  ck_assert_int_eq(
      kavro_registry_get_level(reg, subject_odd, true, level, &error),
      KAVRO_OK);
  ck_assert_str_eq(level, "BACKWARD");
  ck_assert_int_eq(kavro_registry_set_level(reg, subject_odd, "FULL", &error),
                   KAVRO_OK);
  ck_assert_int_eq(
      kavro_registry_get_level(reg, subject_odd, false, level, &error),
      KAVRO_OK);
  ck_assert_str_eq(level, "FULL");
  ck_assert_int_eq(
      kavro_registry_set_level(reg, subject_odd, "SIDEWAYS", &error),
      KAVRO_ERR_INVALID_COMPATIBILITY_LEVEL);
  ck_assert_int_eq(kavro_registry_delete_level(reg, subject_odd, &error),
                   KAVRO_OK);
  ck_assert_int_eq(
      kavro_registry_get_level(reg, subject_odd, false, level, &error),
      KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND);
  ck_assert_int_eq(kavro_registry_set_level(reg, NULL, "FORWARD", &error),
                   KAVRO_OK);
  ck_assert_int_eq(
      kavro_registry_get_level(reg, subject_odd, true, level, &error),
      KAVRO_OK);
  ck_assert_str_eq(level, "FORWARD");
  ck_assert_int_eq(kavro_registry_set_level(reg, NULL, "BACKWARD", &error),
                   KAVRO_OK);

  /* mode */
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error), KAVRO_OK);
  ck_assert_str_eq(mode, "READWRITE");
  ck_assert_int_eq(kavro_registry_set_mode(reg, NULL, "READONLY", &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error), KAVRO_OK);
  ck_assert_str_eq(mode, "READONLY");
  ck_assert_int_eq(kavro_registry_set_mode(reg, NULL, "READWRITE", &error),
                   KAVRO_OK);
  /* a subject's own mode */
  ck_assert_int_eq(kavro_registry_get_mode(reg, "sub/ject", mode, &error),
                   KAVRO_ERR_SUBJECT_MODE_NOT_FOUND);
  ck_assert_int_eq(error.registry_code, 40409);
  ck_assert_int_eq(kavro_registry_set_mode(reg, "sub/ject", "READONLY", &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_mode(reg, "sub/ject", mode, &error), KAVRO_OK);
  ck_assert_str_eq(mode, "READONLY");
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error), KAVRO_OK);
  ck_assert_str_eq(mode, "READWRITE");

  /* the registry's compatibility test, and an incompatible registration */
  bool compatible = true;
  char **messages = NULL;
  ck_assert_int_eq(kavro_registry_test_compatibility(
                       reg, subject_odd, KAVRO_REGISTRY_LATEST, c, NULL, 0,
                       &compatible, &messages, &count, &error),
                   KAVRO_OK);
  ck_assert(!compatible);
  ck_assert_uint_ge(count, 1);
  free(messages);
  ck_assert_int_eq(kavro_registry_test_compatibility(reg, subject_odd, 1, b,
                                                     NULL, 0, &compatible, NULL,
                                                     NULL, &error),
                   KAVRO_OK);
  ck_assert(compatible);
  ck_assert_int_eq(
      kavro_registry_register(reg, subject_odd, c, NULL, 0, false, &id, &error),
      KAVRO_ERR_REGISTRY_INCOMPATIBLE);
  ck_assert_int_eq(error.http_status, 409);
  ck_assert_int_eq(error.registry_code, 409);

  /* deletes: soft, listing with deleted, permanent */
  int deleted = 0;
  ck_assert_int_eq(kavro_registry_delete_version(reg, subject_odd, 2, false,
                                                 &deleted, &error),
                   KAVRO_OK);
  ck_assert_int_eq(deleted, 2);
  ck_assert_int_eq(kavro_registry_versions(reg, subject_odd, true, &versions,
                                           &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 2);
  free(versions);
  ck_assert_int_eq(kavro_registry_versions(reg, subject_odd, false, &versions,
                                           &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  free(versions);
  ck_assert_int_eq(kavro_registry_delete_version(reg, subject_odd, 2, true,
                                                 &deleted, &error),
                   KAVRO_OK);
  ck_assert_int_eq(
      kavro_registry_delete_subject(reg, subject_odd, true, NULL, NULL, &error),
      KAVRO_ERR_SUBJECT_NOT_SOFT_DELETED);
  ck_assert_int_eq(kavro_registry_delete_subject(reg, subject_odd, false,
                                                 &versions, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  ck_assert_int_eq(versions[0], 1);
  free(versions);
  ck_assert_int_eq(
      kavro_registry_delete_subject(reg, subject_odd, true, NULL, NULL, &error),
      KAVRO_OK);
  ck_assert_int_eq(
      kavro_registry_get_version(reg, subject_odd, 1, &got, NULL, NULL, &error),
      KAVRO_ERR_SUBJECT_NOT_FOUND);
  ck_assert_int_eq(error.http_status, 404);
  ck_assert_ptr_null(got);

  /* unknown id */
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, 9999, NULL, &got, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(error.registry_code, 40403);
  ck_assert_ptr_nonnull(strstr(error.text, "/schemas/ids/9999"));
  ck_assert_ptr_nonnull(
      strstr(error.source, _i ? "http://127.0.0.1" : "mock://regtest"));

  kavro_schema_destroy(a);
  kavro_schema_destroy(b);
  kavro_schema_destroy(c);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- references ---------------------------------------------------------- */

static const char ref_l0[] =
    "{\"type\":\"enum\",\"name\":\"Level0\",\"namespace\":\"com.ref\","
    "\"symbols\":[\"A\",\"B\"]}";
static const char ref_l1[] =
    "{\"type\":\"record\",\"name\":\"Level1\",\"namespace\":\"com.ref\","
    "\"fields\":[{\"name\":\"l0\",\"type\":\"com.ref.Level0\"}]}";
static const char ref_l2[] =
    "{\"type\":\"record\",\"name\":\"Level2\",\"namespace\":\"com.ref\","
    "\"fields\":[{\"name\":\"l1\",\"type\":\"com.ref.Level1\"},"
    "{\"name\":\"again\",\"type\":\"com.ref.Level0\"}]}";

/* Level2 uses Level1 (which uses Level0) and Level0 itself: a fresh client
 * fetches each referenced subject/version once and parses the whole. */
START_TEST(test_references_three_levels) {
  kavro_registry_t *writer = client(mock_url(_i), NULL);
  kavro_schema_t *l0 = parse(ref_l0);
  kavro_schema_t *l1 = parse_refs(ref_l1, &l0, 1);
  kavro_schema_t *l01[] = {l1, l0};
  kavro_schema_t *l2 = parse_refs(ref_l2, l01, 2);
  kavro_schema_ref_t r1[] = {{"com.ref.Level0", "ref-l0", 1}};
  kavro_schema_ref_t r2[] = {{"com.ref.Level1", "ref-l1", 1},
                             {"com.ref.Level0", "ref-l0", 1}};
  kavro_error_t error;
  int id0, id1, id2;
  ck_assert_int_eq(kavro_registry_register(writer, "ref-l0", l0, NULL, 0, false,
                                           &id0, &error),
                   KAVRO_OK);
  ck_assert_msg(kavro_registry_register(writer, "ref-l1", l1, r1, 1, false,
                                        &id1, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_msg(kavro_registry_register(writer, "ref-l2", l2, r2, 2, false,
                                        &id2, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_registry_destroy(writer);
  kavro_mock_clear_requests(mock);

  kavro_registry_t *reader = client(mock_url(_i), NULL);
  kavro_schema_t *got = NULL;
  ck_assert_msg(kavro_registry_schema_by_id(reader, id2, NULL, &got, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_str_eq(kavro_schema_name(got), "com.ref.Level2");
  ck_assert_str_eq(kavro_schema_canonical(got), kavro_schema_canonical(l2));
  ck_assert_uint_eq(served("GET /schemas/ids/{id}"), 1);
  ck_assert_uint_eq(served("GET /subjects/{subject}/versions/{version}"), 2);
  /* The referenced schemas are now known by id: no request, same object. */
  kavro_schema_t *got0 = NULL;
  ck_assert_int_eq(kavro_registry_get_version(reader, "ref-l0", 1, &got0, NULL,
                                              NULL, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(served(NULL), 3);
  kavro_schema_destroy(got0);
  kavro_schema_destroy(got);
  /* The references a version was registered with, as recorded: one block,
   * the latest resolved to its number, none for a schema without any. */
  kavro_schema_ref_t *refs = NULL;
  size_t ref_count = 0;
  int number = 0;
  ck_assert_msg(kavro_registry_version_refs(reader, "ref-l2",
                                            KAVRO_REGISTRY_LATEST, &refs,
                                            &ref_count, &number, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(number, 1);
  ck_assert_uint_eq(ref_count, 2);
  for (size_t i = 0; i < 2; i++) {
    ck_assert_str_eq(refs[i].name, r2[i].name);
    ck_assert_str_eq(refs[i].subject, r2[i].subject);
    ck_assert_int_eq(refs[i].version, r2[i].version);
  }
  free(refs);
  ck_assert_int_eq(kavro_registry_version_refs(reader, "ref-l0", 1, &refs,
                                               &ref_count, NULL, &error),
                   KAVRO_OK);
  ck_assert_ptr_null(refs);
  ck_assert_uint_eq(ref_count, 0);
  ck_assert_int_eq(kavro_registry_version_refs(reader, "ref-l0", 9, &refs,
                                               &ref_count, NULL, &error),
                   KAVRO_ERR_VERSION_NOT_FOUND);
  ck_assert_int_eq(kavro_registry_version_refs(reader, "", 1, &refs,
                                               &ref_count, NULL, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_registry_destroy(reader);
  kavro_schema_destroy(l2);
  kavro_schema_destroy(l1);
  kavro_schema_destroy(l0);
}
END_TEST

/* The ids a GUID has, one per context (GET /schemas/guids/{guid}/ids):
 * one schema registered in the default context and in .other; an unknown
 * GUID is 40403. */
START_TEST(test_ids_by_guid) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_schema_t *money = parse("{\"type\":\"record\",\"name\":\"Money\","
                                "\"fields\":[{\"name\":\"cents\","
                                "\"type\":\"long\"}]}");
  kavro_schema_t *filler = parse("\"string\"");
  kavro_error_t error;
  int32_t money_id = 0, filler_id = 0, other_id = 0;
  ck_assert_int_eq(kavro_registry_register(reg, "money", money, NULL, 0, false,
                                           &money_id, &error),
                   KAVRO_OK);
  /* .other's first id goes to another schema, so the ids differ. */
  ck_assert_int_eq(kavro_registry_register(reg, ":.other:filler", filler, NULL,
                                           0, false, &filler_id, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_register(reg, ":.other:money", money, NULL,
                                           0, false, &other_id, &error),
                   KAVRO_OK);
  ck_assert_int_ne(other_id, money_id);
  unsigned char guid[16];
  ck_assert_int_eq(kavro_registry_guid_by_id(reg, money_id, NULL, guid,
                                             &error),
                   KAVRO_OK);
  kavro_context_id_t *ids = NULL;
  size_t count = 0;
  ck_assert_msg(kavro_registry_ids_by_guid(reg, guid, &ids, &count, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_uint_eq(count, 2);
  bool seen_default = false, seen_other = false;
  for (size_t i = 0; i < count; i++) {
    if (strcmp(ids[i].context, ".") == 0)
      seen_default = ids[i].id == money_id;
    else if (strcmp(ids[i].context, ".other") == 0)
      seen_other = ids[i].id == other_id;
  }
  ck_assert(seen_default && seen_other);
  kavro_context_ids_destroy(ids, count);
  unsigned char unknown[16] = {0xde, 0xad};
  ck_assert_int_eq(kavro_registry_ids_by_guid(reg, unknown, &ids, &count,
                                              &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_ptr_null(ids);
  ck_assert_int_eq(kavro_registry_ids_by_guid(reg, NULL, &ids, &count, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_schema_destroy(filler);
  kavro_schema_destroy(money);
  kavro_registry_destroy(reg);
}
END_TEST

/* A registry whose references loop (a -> b -> a) gets an error, not a
 * hang or a stack overflow. */
/* A schema by its GUID: references resolved, cached (one request), an
 * unknown GUID a definite 40403, a malformed reply BAD_RESPONSE. */
START_TEST(test_schema_by_guid) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_schema_t *money = parse("{\"type\":\"record\",\"name\":\"Money\","
                                "\"fields\":[{\"name\":\"cents\","
                                "\"type\":\"long\"}]}");
  kavro_error_t error;
  int money_id = 0, price_id = 0;
  ck_assert_int_eq(kavro_registry_register(reg, "money", money, NULL, 0, false,
                                           &money_id, &error),
                   KAVRO_OK);
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.references = &money;
  options.reference_count = 1;
  static const char price_text[] =
      "{\"type\":\"record\",\"name\":\"Price\",\"fields\":"
      "[{\"name\":\"amount\",\"type\":\"Money\"}]}";
  kavro_schema_t *price = NULL;
  ck_assert_int_eq(kavro_schema_parse(price_text, strlen(price_text), &options,
                                      &price, &error),
                   KAVRO_OK);
  kavro_schema_ref_t ref = {"Money", "money", 1};
  ck_assert_int_eq(kavro_registry_register(reg, "price", price, &ref, 1, false,
                                           &price_id, &error),
                   KAVRO_OK);
  unsigned char guid[16];
  kt_mock_guid(mock, price_id, guid);

  kavro_registry_t *fresh = client(mock_url(_i), NULL);
  kavro_schema_t *got = NULL, *again = NULL;
  ck_assert_msg(kavro_registry_schema_by_guid(fresh, guid, &got, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_str_eq(kavro_schema_canonical(got), kavro_schema_canonical(price));
  ck_assert_int_eq(
      kavro_registry_schema_by_guid(fresh, guid, &again, &error), KAVRO_OK);
  ck_assert_ptr_eq(got, again);
  ck_assert_uint_eq(served("GET /schemas/guids/{guid}"), 1);
  kavro_schema_destroy(got);
  kavro_schema_destroy(again);

  unsigned char unknown[16] = {0xde, 0xad};
  ck_assert_int_eq(kavro_registry_schema_by_guid(fresh, unknown, &got, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(error.registry_code, 40403);
  ck_assert_ptr_null(got);
  kavro_mock_fault_t fault = {KAVRO_MOCK_FAULT_MALFORMED, "GET",
                              "/schemas/guids/", 200, 0, -1};
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 1, NULL), KAVRO_OK);
  unsigned char other[16] = {0xbe, 0xef};
  ck_assert_int_eq(kavro_registry_schema_by_guid(fresh, other, &got, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert_int_eq(kavro_registry_schema_by_guid(NULL, guid, &got, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_registry_destroy(fresh);
  kavro_schema_destroy(price);
  kavro_schema_destroy(money);
  kavro_registry_destroy(reg);
}
END_TEST

/* Data contracts through the client: register and look up with metadata
 * and a rule set, the registry's merged contract in the answer, the latest
 * version with given metadata, and the whole config. */
/* The caches keep each schema's contract: by id, by version and the
 * latest with metadata answer it without a request once known. */
START_TEST(test_contract_caches) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  static const char text[] = "{\"type\":\"record\",\"name\":\"Cash\","
                             "\"fields\":[{\"name\":\"cents\","
                             "\"type\":\"long\"}]}";
  int id = kt_register_contract(
      reg, "cash", text, "{\"properties\":{\"app\":\"a\"}}",
      "{\"domainRules\":[{\"name\":\"enc\",\"type\":\"ENCRYPT\"}]}");
  kavro_error_t error;
  kavro_schema_info_t *info = NULL;
  /* A plain registration whose reply has the contract (the subject's
   * default rule set merged in) makes it known by id at once. */
  char *answer = NULL;
  ck_assert_int_eq(kavro_registry_put_config(
                       reg, "till",
                       "{\"defaultRuleSet\":{\"domainRules\":[{\"name\":"
                       "\"enc\",\"type\":\"ENCRYPT\"}]}}",
                       &answer, &error),
                   KAVRO_OK);
  free(answer);
  kavro_schema_t *till = parse(text);
  int32_t till_id = 0;
  ck_assert_int_eq(kavro_registry_register(reg, "till", till, NULL, 0, false,
                                           &till_id, &error),
                   KAVRO_OK);
  uint64_t before = kt_requests(reg);
  ck_assert_int_eq(kavro_registry_schema_info_by_id(reg, till_id, NULL, &info,
                                                    &error),
                   KAVRO_OK);
  ck_assert_uint_eq(kt_requests(reg), before);
  ck_assert_ptr_nonnull(strstr(kavro_schema_info_rule_set(info), "ENCRYPT"));
  ck_assert_ptr_eq(kavro_schema_info_schema(info), till);
  kavro_schema_info_destroy(info);
  kavro_schema_destroy(till);
  kavro_registry_t *other = client(mock_url(_i), NULL);
  for (int round = 0; round < 2; round++) {
    before = kt_requests(other);
    ck_assert_int_eq(kavro_registry_schema_info_by_id(other, id, NULL, &info,
                                                      &error),
                     KAVRO_OK);
    ck_assert_str_eq(kavro_schema_info_metadata(info),
                     "{\"properties\":{\"app\":\"a\"}}");
    kavro_schema_info_destroy(info);
    ck_assert_int_eq(kavro_registry_version_info(other, "cash",
                                                 KAVRO_REGISTRY_LATEST, &info,
                                                 &error),
                     KAVRO_OK);
    ck_assert_int_eq(kavro_schema_info_id(info), id);
    ck_assert_int_eq(kavro_schema_info_version(info), 1);
    ck_assert_ptr_nonnull(strstr(kavro_schema_info_rule_set(info), "enc"));
    kavro_schema_info_destroy(info);
    const char *key = "app", *value = "a";
    ck_assert_int_eq(kavro_registry_latest_with_metadata(
                         other, "cash", &key, &value, 1, false, &info, &error),
                     KAVRO_OK);
    ck_assert_int_eq(kavro_schema_info_id(info), id);
    kavro_schema_info_destroy(info);
    if (round == 1) /* warm: nothing asked */
      ck_assert_uint_eq(kt_requests(other), before);
  }
  kavro_registry_destroy(other);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(test_contracts) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_schema_t *money = parse("{\"type\":\"record\",\"name\":\"Money\","
                                "\"fields\":[{\"name\":\"cents\","
                                "\"type\":\"long\"}]}");
  kavro_error_t error;
  char *config = NULL;
  ck_assert_msg(kavro_registry_put_config(
                    reg, "money",
                    "{\"overrideMetadata\":{\"properties\":{\"owner\":\"ops\"}}}",
                    &config, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_ptr_nonnull(strstr(config, "\"owner\":\"ops\""));
  free(config);
  kavro_schema_contract_t v1 = {
      "{\"properties\":{\"app\":\"v1\"}}",
      "{\"domainRules\":[{\"name\":\"enc\",\"type\":\"ENCRYPT\"}]}"};
  kavro_schema_info_t *info = NULL;
  ck_assert_msg(kavro_registry_register_contract(reg, "money", money, NULL, 0,
                                                 false, &v1, &info, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  int32_t id1 = kavro_schema_info_id(info);
  ck_assert_int_ge(id1, 1);
  ck_assert_ptr_eq(kavro_schema_info_schema(info), money);
  ck_assert_str_eq(kavro_schema_info_metadata(info),
                   "{\"properties\":{\"app\":\"v1\",\"owner\":\"ops\"}}");
  ck_assert_ptr_nonnull(strstr(kavro_schema_info_rule_set(info), "\"ENCRYPT\""));
  kavro_schema_info_destroy(info);

  /* The same schema with other metadata: another id. */
  kavro_schema_contract_t v2 = {"{\"properties\":{\"app\":\"v2\"}}", NULL};
  ck_assert_int_eq(kavro_registry_register_contract(reg, "money", money, NULL, 0,
                                                    false, &v2, &info, &error),
                   KAVRO_OK);
  ck_assert_int_ne(kavro_schema_info_id(info), id1);
  kavro_schema_info_destroy(info);

  ck_assert_int_eq(kavro_registry_lookup_contract(reg, "money", money, NULL, 0,
                                                  false, &v1, &info, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_schema_info_version(info), 1);
  ck_assert_int_eq(kavro_schema_info_id(info), id1);
  kavro_schema_info_destroy(info);

  const char *keys[] = {"app"}, *values[] = {"v1"};
  ck_assert_int_eq(kavro_registry_latest_with_metadata(
                       reg, "money", keys, values, 1, false, &info, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_schema_info_version(info), 1);
  ck_assert_str_eq(kavro_schema_canonical(kavro_schema_info_schema(info)),
                   kavro_schema_canonical(money));
  ck_assert_ptr_nonnull(kavro_schema_info_rule_set(info));
  kavro_schema_info_destroy(info);
  values[0] = "v9";
  ck_assert_int_eq(kavro_registry_latest_with_metadata(
                       reg, "money", keys, values, 1, false, &info, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(error.registry_code, 40403);
  ck_assert_ptr_null(info);

  /* A rule set the registry refuses: its code. */
  kavro_schema_contract_t bad = {NULL, "{\"domainRules\":[{\"name\":\"x\"}]}"};
  ck_assert_int_ne(kavro_registry_register_contract(reg, "money", money, NULL, 0,
                                                    false, &bad, &info, &error),
                   KAVRO_OK);
  ck_assert_int_eq(error.registry_code, 42210);
  kavro_schema_contract_t not_json = {"[1]", NULL};
  ck_assert_int_eq(kavro_registry_register_contract(reg, "money", money, NULL, 0,
                                                    false, &not_json, &info,
                                                    &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_registry_get_config(reg, "money", false, &config, &error),
                   KAVRO_OK);
  ck_assert_ptr_nonnull(strstr(config, "overrideMetadata"));
  free(config);
  ck_assert_int_eq(kavro_registry_put_config(reg, NULL, "nope", NULL, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_schema_destroy(money);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(test_reference_cycle) {
  recorder_start(NULL, false, NULL, 0);
  recorder_can("/schemas/ids/5", 200,
               "{\"schema\":\"\\\"string\\\"\",\"references\":"
               "[{\"name\":\"x.A\",\"subject\":\"a\",\"version\":1}]}",
               -1);
  recorder_can("/subjects/a/versions/1", 200,
               "{\"subject\":\"a\",\"id\":6,\"version\":1,\"schema\":\"1\","
               "\"references\":[{\"name\":\"x.B\",\"subject\":\"b\","
               "\"version\":1}]}",
               -1);
  recorder_can("/subjects/b/versions/1", 200,
               "{\"subject\":\"b\",\"id\":7,\"version\":1,\"schema\":\"1\","
               "\"references\":[{\"name\":\"x.A\",\"subject\":\"a\","
               "\"version\":1}]}",
               -1);
  kavro_registry_t *reg = client("mock://rec", NULL);
  kavro_schema_t *got = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, 5, NULL, &got, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert_ptr_nonnull(strstr(error.text, "cycle"));
  ck_assert_int_eq(recorder.requests, 3);
  kavro_registry_destroy(reg);
  recorder_stop();
}
END_TEST

/* ---- authentication and credentials ----------------------------------------
 */

static kavro_err_t token_cb(void *opaque, char *token, size_t size,
                            int64_t *expires_at_ms, kavro_error_t *error) {
  int *calls = opaque;
  snprintf(token, size, "tok-%d", ++*calls);
  *expires_at_ms = 0;
  return KAVRO_OK;
}

/* _i: 0 mock://, 1 HTTP. */
START_TEST(test_auth_headers) {
  char url[128];
  recorder_start(scope, _i == 1, url, sizeof(url));
  kavro_error_t error;
  char level[KAVRO_REGISTRY_NAME_SIZE];

  kavro_registry_t *reg =
      client(url, "basic.auth.credentials.source", "USER_INFO",
             "basic.auth.user.info", "alice:s3cret", NULL);
  ck_assert_int_eq(kavro_registry_get_level(reg, NULL, false, level, &error),
                   KAVRO_OK);
  ck_assert_str_eq(recorder.authorization, "Basic YWxpY2U6czNjcmV0");
  kavro_registry_destroy(reg);

  if (_i == 1) { /* user info in the URL, percent-decoded */
    char with_creds[192];
    snprintf(with_creds, sizeof(with_creds), "http://bob:p%%40ss@%s",
             url + strlen("http://"));
    reg = client(with_creds, NULL);
    ck_assert_int_eq(kavro_registry_get_level(reg, NULL, false, level, &error),
                     KAVRO_OK);
    ck_assert_str_eq(recorder.authorization,
                     "Basic Ym9iOnBAc3M="); /* bob:p@ss */
    kavro_registry_destroy(reg);
  }

  reg = client(url, "bearer.auth.token", "static-token",
               "bearer.auth.logical.cluster", "lsrc-1", NULL);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error), KAVRO_OK);
  ck_assert_str_eq(recorder.authorization, "Bearer static-token");
  kavro_registry_destroy(reg);

  /* a callback token, refreshed once after a 401 */
  int calls = 0;
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url", url, NULL),
                   KAVRO_OK);
  kavro_conf_set_bearer_token_cb(conf, token_cb, &calls);
  reg = kavro_registry_new(conf, &error);
  ck_assert_ptr_nonnull(reg);
  recorder_can("/mode", 401, "{\"error_code\":40101,\"message\":\"expired\"}",
               1);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error), KAVRO_OK);
  ck_assert_int_eq(calls, 2);
  ck_assert_str_eq(recorder.authorization, "Bearer tok-2");
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error), KAVRO_OK);
  ck_assert_int_eq(calls, 2); /* the token does not expire */
  kavro_registry_destroy(reg);

  /* the media type on bodies */
  reg = client(url, NULL);
  kavro_schema_t *a = parse(schema_a);
  int id;
  ck_assert_int_eq(
      kavro_registry_register(reg, "s", a, NULL, 0, false, &id, &error),
      KAVRO_OK);
  ck_assert_str_eq(recorder.content_type,
                   "application/vnd.schemaregistry.v1+json");
  ck_assert_str_eq(recorder.method, "POST");
  ck_assert_ptr_nonnull(strstr(recorder.body, "\"schema\""));
  ck_assert_str_eq(recorder.authorization, "");
  /* the subject hint, encoded as a query value */
  kavro_registry_t *fresh = client(url, NULL);
  kavro_schema_t *got = NULL;
  ck_assert_int_eq(
      kavro_registry_schema_by_id(fresh, id, "a&b/c d", &got, &error),
      KAVRO_OK);
  char path[64];
  snprintf(path, sizeof(path), "/schemas/ids/%d", id);
  ck_assert_str_eq(recorder.path, path);
  ck_assert_str_eq(recorder.query, "subject=a%26b/c%20d");
  kavro_schema_destroy(got);
  kavro_registry_destroy(fresh);
  kavro_schema_destroy(a);
  kavro_registry_destroy(reg);
  recorder_stop();
}
END_TEST

static void assert_no_secret(const kavro_error_t *error) {
  char line[2048];
  kavro_error_format(error, line, sizeof(line));
  static const char *const secrets[] = {"s3cret", "alice", "hunter2", "t0ken",
                                        "Kv7q9ZxOauth"};
  for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
    ck_assert_msg(!strstr(line, secrets[i]), "secret in: %s", line);
    ck_assert_msg(!strstr(error->source, secrets[i]), "secret in source");
    ck_assert_msg(!strstr(error->text, secrets[i]), "secret in text");
  }
}

/* Credentials never reach an error: refused connections, registry errors,
 * time-outs, with credentials in the URL, in user info, in a token. */
START_TEST(test_credentials_absent_from_errors) {
  char dead[128];
  snprintf(dead, sizeof(dead), "http://alice:s3cret@127.0.0.1:%u/",
           closed_port());
  kavro_error_t error;
  kavro_schema_t *got = NULL;
  kavro_registry_t *reg = client(dead, "max.retries", "0", NULL);
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, 1, NULL, &got, &error),
                   KAVRO_ERR_TRANSPORT);
  assert_no_secret(&error);
  ck_assert_ptr_nonnull(strstr(error.source, "http://127.0.0.1:"));
  kavro_registry_destroy(reg);

  char live[192];
  snprintf(live, sizeof(live), "http://alice:s3cret@%s",
           mock_url(1) + strlen("http://"));
  reg = client(live, NULL);
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, 77, NULL, &got, &error),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  assert_no_secret(&error);
  kavro_registry_destroy(reg);

  reg = client(mock_url(1), "basic.auth.credentials.source", "USER_INFO",
               "basic.auth.user.info", "alice:hunter2", "request.timeout.ms",
               "100", "max.retries", "0", NULL);
  ck_assert_int_eq(kavro_mock_set_latency(mock, NULL, NULL, 400, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, 1, NULL, &got, &error),
                   KAVRO_ERR_TIMED_OUT);
  assert_no_secret(&error);
  kavro_mock_clear_faults(mock);
  kavro_registry_destroy(reg);

  reg = client("mock://regtest", "bearer.auth.token", "t0ken", NULL);
  ck_assert_int_eq(
      kavro_registry_get_version(reg, "none", 1, &got, NULL, NULL, &error),
      KAVRO_ERR_SUBJECT_NOT_FOUND);
  assert_no_secret(&error);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- failover, retries, time-outs ---------------------------------------- */

START_TEST(test_failover_dead_to_live) {
  char urls[256];
  if (_i == 0)
    snprintf(urls, sizeof(urls), "http://127.0.0.1:%u,%s", closed_port(),
             mock_url(1));
  else
    snprintf(urls, sizeof(urls), "mock://nobody-here, mock://regtest");
  kavro_registry_t *reg = client(urls, "max.retries", "0", NULL);
  char level[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  ck_assert_msg(kavro_registry_get_level(reg, NULL, false, level, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_uint_eq(stats_of(reg).failovers, 1);
  /* The live URL is now preferred: no second failover. */
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error), KAVRO_OK);
  ck_assert_uint_eq(stats_of(reg).failovers, 1);
  kavro_registry_destroy(reg);
}
END_TEST

/* 5xx fails over to the next URL too. */
START_TEST(test_failover_on_5xx) {
  recorder_start(NULL, false, NULL, 0);
  recorder_can("/mode", 503, "{\"error_code\":50003,\"message\":\"down\"}", -1);
  kavro_registry_t *reg =
      client("mock://rec,mock://regtest", "max.retries", "0", NULL);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, NULL), KAVRO_OK);
  ck_assert_int_eq(recorder.requests, 1);
  ck_assert_uint_eq(stats_of(reg).failovers, 1);
  kavro_registry_destroy(reg);
  recorder_stop();
}
END_TEST

START_TEST(test_retry_on_503) {
  kavro_registry_t *reg = client(mock_url(_i), "max.retries", "2", NULL);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/mode", 503, 50001, -1, 2);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error), KAVRO_OK);
  ck_assert_uint_eq(served("GET /mode"), 3);
  ck_assert_uint_eq(stats_of(reg).retries, 2);
  /* More failures than retries: the registry's error comes back. */
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/mode", 503, 50001, -1, 3);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error),
                   KAVRO_ERR_REGISTRY_STORE);
  ck_assert_int_eq(error.http_status, 503);
  ck_assert(kavro_error_is_retriable(&error));
  ck_assert_uint_eq(served("GET /mode"), 6);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(test_retry_after_on_429) {
  kavro_registry_t *reg =
      client(mock_url(_i), "max.retries", "1", "retries.wait.ms", "1", NULL);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/mode", 429, 42901, 1, 1);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, NULL), KAVRO_OK);
  int64_t ms = elapsed_ms(&start);
  ck_assert_msg(ms >= 1000 && ms < 3000, "waited %lld ms", (long long)ms);
  ck_assert_uint_eq(served("GET /mode"), 2);
  ck_assert_uint_eq(stats_of(reg).failovers, 0);
  kavro_registry_destroy(reg);
}
END_TEST

/* Backoff: retries.wait.ms doubled per retry with jitter (half to all of
 * it), bounded by retries.max.wait.ms.  _i: 0 unbounded, 1 capped. */
START_TEST(test_backoff_bounds) {
  kavro_registry_t *reg =
      client(mock_url(0), "max.retries", "2", "retries.wait.ms", "200",
             "retries.max.wait.ms", _i ? "120" : "20000", NULL);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/mode", 503, 50001, -1, 3);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, NULL),
                   KAVRO_ERR_REGISTRY_STORE);
  int64_t ms = elapsed_ms(&start);
  /* unbounded: 100..200 then 200..400; capped: two waits of 60..120 */
  int64_t lo = _i ? 120 : 300, hi = _i ? 240 : 600;
  ck_assert_msg(ms >= lo && ms < hi + 150, "waited %lld ms", (long long)ms);
  ck_assert_uint_eq(stats_of(reg).retries, 2);
  kavro_registry_destroy(reg);
}
END_TEST

static const int no_retry_status[][2] = {
    {404, 40401}, {409, 409}, {422, 42201}, {401, 40101}, {400, 400}};

START_TEST(test_no_retry_on_4xx) {
  kavro_registry_t *reg = client(mock_url(0), "max.retries", "3", NULL);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/mode", no_retry_status[_i][0],
             no_retry_status[_i][1], -1, 1);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error),
                   (kavro_err_t)no_retry_status[_i][1]);
  ck_assert_int_eq(error.http_status, no_retry_status[_i][0]);
  ck_assert_int_eq(error.registry_code, no_retry_status[_i][1]);
  ck_assert_uint_eq(served("GET /mode"), 1);
  ck_assert_uint_eq(stats_of(reg).retries, 0);
  kavro_registry_destroy(reg);
}
END_TEST

/* An incompatible registration as Confluent Platform 8.0.4 and later
 * answer it (409 with error_code 40901; earlier ones send 409 as the code,
 * as the mock does) is reported and classified as the older answer is:
 * permanent, never retried. */
START_TEST(test_incompatible_40901_like_409) {
  kavro_registry_t *reg = client(mock_url(_i), "max.retries", "3", NULL);
  kavro_schema_t *v1 = kt_parse("{\"type\":\"record\",\"name\":\"R\","
                                "\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}");
  kavro_schema_t *bad = kt_parse("{\"type\":\"record\",\"name\":\"R\","
                                 "\"fields\":[{\"name\":\"b\",\"type\":\"int\"}]}");
  int id = 0;
  kavro_error_t old_form, new_form;
  ck_assert_int_eq(kavro_registry_register(reg, "r", v1, NULL, 0, false, &id, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_register(reg, "r", bad, NULL, 0, false, &id,
                                           &old_form),
                   KAVRO_ERR_REGISTRY_INCOMPATIBLE);
  ck_assert_int_eq(old_form.registry_code, 409);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/subjects/r/versions", 409, 40901, -1, 1);
  uint64_t before = served("POST /subjects/{subject}/versions");
  ck_assert_int_eq(kavro_registry_register(reg, "r", bad, NULL, 0, false, &id,
                                           &new_form),
                   KAVRO_ERR_REGISTRY_INCOMPATIBLE_SCHEMA);
  ck_assert_int_eq(new_form.http_status, 409);
  ck_assert_int_eq(new_form.registry_code, 40901);
  ck_assert_int_eq(kavro_error_classify(&new_form), KAVRO_ERROR_CLASS_PERMANENT);
  ck_assert_int_eq(kavro_error_classify(&new_form), kavro_error_classify(&old_form));
  ck_assert(!kavro_error_is_retriable(&new_form));
  ck_assert(!kavro_error_is_retriable(&old_form));
  ck_assert_uint_eq(served("POST /subjects/{subject}/versions"), before + 1);
  kavro_schema_destroy(v1);
  kavro_schema_destroy(bad);
  kavro_registry_destroy(reg);
}
END_TEST

/* The client reaches a registry at an IPv6 address ("http://[::1]:PORT"). */
START_TEST(test_ipv6_registry) {
  if (!kt_ipv6_loopback())
    return;
  kavro_error_t error;
  ck_assert_msg(kavro_mock_listen(mock, "::1", 0, &error) == KAVRO_OK, "%s",
                error.text);
  kavro_registry_t *reg = client(kavro_mock_url(mock), NULL);
  kavro_schema_t *schema = kt_parse("{\"type\":\"fixed\",\"name\":\"F\","
                                    "\"size\":4}");
  int id = 0;
  ck_assert_msg(kavro_registry_register(reg, "v6", schema, NULL, 0, false, &id,
                                        &error) == KAVRO_OK,
                "%s", error.text);
  kavro_schema_t *back = NULL;
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, id, NULL, &back, &error),
                   KAVRO_OK);
  ck_assert_ptr_nonnull(back);
  ck_assert_uint_eq(served("POST /subjects/{subject}/versions"), 1);
  kavro_schema_destroy(back);
  kavro_schema_destroy(schema);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(test_timeout_honoured) {
  kavro_registry_t *reg = client(mock_url(_i), "request.timeout.ms", "150",
                                 "max.retries", "1", NULL);
  ck_assert_int_eq(kavro_mock_set_latency(mock, "GET", "/mode", 1000, NULL),
                   KAVRO_OK);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error),
                   KAVRO_ERR_TIMED_OUT);
  int64_t ms = elapsed_ms(&start);
  ck_assert_msg(ms >= 300 && ms < 900, "took %lld ms", (long long)ms);
  ck_assert_uint_eq(stats_of(reg).retries, 1);
  kavro_mock_clear_faults(mock);
  kavro_registry_destroy(reg);
}
END_TEST

/* A dropped connection is retried like a refused one. */
START_TEST(test_dropped_connection_retried) {
  kavro_registry_t *reg = client(mock_url(_i), "max.retries", "1", NULL);
  push_fault(KAVRO_MOCK_FAULT_DROP, "/mode", 0, 0, -1, 1);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, NULL), KAVRO_OK);
  ck_assert_uint_eq(stats_of(reg).retries, 1);
  kavro_registry_destroy(reg);
}
END_TEST

/* Sequential requests over HTTP share one kept-alive connection. */
START_TEST(test_keep_alive) {
  kavro_registry_t *reg = client(mock_url(1), NULL);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  for (int i = 0; i < 10; i++)
    ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, NULL), KAVRO_OK);
  ck_assert_uint_eq(stats_of(reg).http_attempts, 10);
  ck_assert_uint_eq(stats_of(reg).connections, 1);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- TLS ------------------------------------------------------------------
 */

/* A self-signed certificate for "localhost" only (no IP address), so that
 * https://127.0.0.1 fails host verification. */
typedef struct tls_files_s {
  char key_pem[4096];
  char cert_pem[4096];
  char cert_path[64];
} tls_files_t;

static void pem_of(int (*write)(BIO *, void *), void *object, char *out,
                   size_t size) {
  BIO *bio = BIO_new(BIO_s_mem());
  ck_assert(write(bio, object) == 1);
  char *data = NULL;
  long n = BIO_get_mem_data(bio, &data);
  ck_assert(n > 0 && (size_t)n < size);
  memcpy(out, data, (size_t)n);
  out[n] = '\0';
  BIO_free(bio);
}

static int write_key(BIO *bio, void *key) {
  return PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(BIO *bio, void *cert) {
  return PEM_write_bio_X509(bio, cert);
}

static void make_certificate(tls_files_t *files) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *cert = X509_new();
  ck_assert(key && cert);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)"localhost", -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
  static const char *const exts[][2] = {
      {"subjectAltName", "DNS:localhost"},
      {"basicConstraints", "critical,CA:TRUE"},
      {"keyUsage", "critical,digitalSignature,keyCertSign"}};
  for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
    X509_EXTENSION *ext = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
    ck_assert_ptr_nonnull(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  ck_assert(X509_sign(cert, key, EVP_sha256()) > 0);
  pem_of(write_key, key, files->key_pem, sizeof(files->key_pem));
  pem_of(write_cert, cert, files->cert_pem, sizeof(files->cert_pem));
  snprintf(files->cert_path, sizeof(files->cert_path), "/tmp/kavro-tls-XXXXXX");
  int fd = mkstemp(files->cert_path);
  ck_assert_int_ge(fd, 0);
  ck_assert(write(fd, files->cert_pem, strlen(files->cert_pem)) ==
            (ssize_t)strlen(files->cert_pem));
  close(fd);
  X509_free(cert);
  EVP_PKEY_free(key);
}

static enum MHD_Result tls_answer(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **state) {
  static const char body[] = "{\"mode\":\"READWRITE\"}";
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
  enum MHD_Result result = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return result;
}

/* host, CA file?, identification, client certificate, expected: "ok" or
 * the start of libcurl's reason. */
static const char *const tls_cases[][5] = {
    {"localhost", "ca", "https", "", "ok"},
    {"localhost", "", "https", "", "SSL peer certificate"},   /* unknown CA */
    {"127.0.0.1", "ca", "https", "", "SSL peer certificate"}, /* wrong name */
    {"127.0.0.1", "ca", "none", "", "ok"},                 /* name unchecked */
    {"127.0.0.1", "", "none", "", "SSL peer certificate"}, /* chain checked */
    {"localhost", "ca", "https", "/nonexistent.pem", "Problem with the local"},
};

START_TEST(test_tls_verification) {
  tls_files_t files;
  make_certificate(&files);
  struct MHD_Daemon *daemon = MHD_start_daemon(
      MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
          MHD_USE_THREAD_PER_CONNECTION,
      0, NULL, NULL, tls_answer, NULL, MHD_OPTION_HTTPS_MEM_KEY, files.key_pem,
      MHD_OPTION_HTTPS_MEM_CERT, files.cert_pem, MHD_OPTION_END);
  ck_assert_ptr_nonnull(daemon);
  unsigned port = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
  const char *const *tc = tls_cases[_i];
  char url[128];
  snprintf(url, sizeof(url), "https://%s:%u", tc[0], port);
  kavro_registry_t *reg =
      client(url, "max.retries", "0", "schema.registry.ssl.ca.location",
             tc[1][0] ? files.cert_path : "",
             "schema.registry.ssl.endpoint.identification.algorithm", tc[2],
             "schema.registry.ssl.certificate.location", tc[3], NULL);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  kavro_err_t err = kavro_registry_get_mode(reg, NULL, mode, &error);
  if (strcmp(tc[4], "ok") == 0) {
    ck_assert_msg(err == KAVRO_OK, "%s", error.text);
    ck_assert_str_eq(mode, "READWRITE");
  } else {
    ck_assert_int_eq(err, KAVRO_ERR_TRANSPORT);
    ck_assert_msg(strstr(error.text, tc[4]) != NULL, "%s", error.text);
  }
  kavro_registry_destroy(reg);
  MHD_stop_daemon(daemon);
  unlink(files.cert_path);
}
END_TEST

/* A chunked reply (no Content-Length) larger than the cap is cut off. */
static ssize_t endless_json(void *cls, uint64_t pos, char *buf, size_t max) {
  if (pos >= 8192)
    return MHD_CONTENT_READER_END_OF_STREAM;
  size_t n = max < 64 ? max : 64;
  memset(buf, pos == 0 ? '[' : ' ', n);
  return (ssize_t)n;
}

static enum MHD_Result chunked_answer(void *cls, struct MHD_Connection *c,
                                      const char *url, const char *method,
                                      const char *version, const char *upload,
                                      size_t *upload_size, void **state) {
  struct MHD_Response *r = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, 64, endless_json, NULL, NULL);
  enum MHD_Result result = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return result;
}

START_TEST(test_oversized_chunked_reply) {
  struct MHD_Daemon *daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
      NULL, chunked_answer, NULL, MHD_OPTION_END);
  ck_assert_ptr_nonnull(daemon);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%u",
           MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT)->port);
  kavro_registry_t *reg = client(url, "response.max.bytes", "1024", NULL);
  char **subjects = NULL;
  size_t count = 0;
  kavro_error_t error;
  ck_assert_int_eq(
      kavro_registry_subjects(reg, false, &subjects, &count, &error),
      KAVRO_ERR_BAD_RESPONSE);
  ck_assert_ptr_null(subjects);
  kavro_registry_destroy(reg);
  MHD_stop_daemon(daemon);
}
END_TEST

/* ---- bad replies ------------------------------------------------------------
 */

START_TEST(test_malformed_reply) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  push_fault(KAVRO_MOCK_FAULT_MALFORMED, "/mode", 200, 0, -1, 1);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  /* a non-JSON error body: the HTTP status, no registry code */
  push_fault(KAVRO_MOCK_FAULT_MALFORMED, "/mode", 418, 0, -1, 1);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error),
                   KAVRO_ERR_HTTP);
  ck_assert_int_eq(error.http_status, 418);
  ck_assert_int_eq(error.registry_code, 0);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(test_oversized_reply) {
  /* a schema whose reply is larger than the 1 KiB cap */
  char big[4096];
  int n = snprintf(big, sizeof(big),
                   "{\"type\":\"record\",\"name\":\"Big\",\"fields\":[");
  for (int i = 0; i < 60; i++)
    n += snprintf(big + n, sizeof(big) - (size_t)n,
                  "%s{\"name\":\"field_%02d\",\"type\":\"long\"}", i ? "," : "",
                  i);
  snprintf(big + n, sizeof(big) - (size_t)n, "]}");
  kavro_schema_t *schema = parse(big);
  kavro_registry_t *writer = client(mock_url(_i), NULL);
  int id;
  ck_assert_int_eq(
      kavro_registry_register(writer, "big", schema, NULL, 0, false, &id, NULL),
      KAVRO_OK);
  kavro_registry_t *reader =
      client(mock_url(_i), "response.max.bytes", "1024", NULL);
  kavro_schema_t *got = NULL;
  kavro_error_t error;
  /* No usable answer: retriable, so a consumer keeps the message. */
  ck_assert_int_eq(kavro_registry_schema_by_id(reader, id, NULL, &got, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert(kavro_error_is_retriable(&error));
  ck_assert_ptr_null(got);
  ck_assert_uint_eq(stats_of(reader).retries, 0);
  kavro_registry_destroy(reader);
  kavro_registry_destroy(writer);
  kavro_schema_destroy(schema);
}
END_TEST

/* Replies of the wrong shape: an error each, never a crash. */
static const char *const bad_shapes[][2] = {
    {"/schemas/ids/1", "{\"schema\":5}"},
    {"/schemas/ids/1", "[]"},
    {"/schemas/ids/1",
     "{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"PROTOBUF\"}"},
    {"/schemas/ids/1", "{\"schema\":\"{not json\"}"},
    {"/schemas/ids/1", "{\"schema\":\"\\\"int\\\"\",\"references\":[{}]}"},
    {"/schemas/ids/1", "{\"schema\":\"\\\"int\\\"\",\"references\":7}"},
    {"/schemas/ids/1", "{\"schema\":\"\\\"int\\\"\",\"id\":-4}"},
    {"/schemas/ids/1", "{\"schema\":\"\\\"a\\u0000b\\\"\"}"},
    {"/schemas/ids/1", ""},
};

START_TEST(test_bad_reply_shapes) {
  recorder_start(NULL, false, NULL, 0);
  recorder_can(bad_shapes[_i][0], 200, bad_shapes[_i][1], -1);
  kavro_registry_t *reg = client("mock://rec", NULL);
  kavro_schema_t *got = NULL;
  kavro_error_t error;
  kavro_err_t err = kavro_registry_schema_by_id(reg, 1, NULL, &got, &error);
  ck_assert_msg(err == KAVRO_ERR_BAD_RESPONSE || err == KAVRO_ERR_JSON ||
                    err == KAVRO_ERR_SCHEMA_INVALID,
                "%s: %d %s", bad_shapes[_i][1], err, error.text);
  ck_assert_ptr_null(got);
  /* not cached: a second call asks again */
  kavro_registry_schema_by_id(reg, 1, NULL, &got, NULL);
  ck_assert_int_eq(recorder.requests, 2);
  kavro_registry_destroy(reg);
  recorder_stop();
}
END_TEST

/* ---- caches ----------------------------------------------------------------
 */

typedef struct race_s {
  kavro_registry_t *reg;
  int id;
  pthread_barrier_t *barrier;
  kavro_schema_t *got;
  kavro_err_t err;
} race_t;

static void *resolve_id(void *opaque) {
  race_t *race = opaque;
  pthread_barrier_wait(race->barrier);
  race->err =
      kavro_registry_schema_by_id(race->reg, race->id, NULL, &race->got, NULL);
  return NULL;
}

/* 64 threads miss the same id at once: one request, one schema object. */
START_TEST(test_64_threads_one_request) {
  kavro_schema_t *a = parse(schema_a);
  kavro_registry_t *writer = client(mock_url(_i), NULL);
  int id;
  ck_assert_int_eq(
      kavro_registry_register(writer, "race", a, NULL, 0, false, &id, NULL),
      KAVRO_OK);
  kavro_registry_destroy(writer);
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  /* Latency keeps the first request in flight while the others arrive. */
  ck_assert_int_eq(
      kavro_mock_set_latency(mock, "GET", "/schemas/ids/", 200, NULL),
      KAVRO_OK);
  kavro_mock_clear_requests(mock);
  enum { THREADS = 64 };
  pthread_t threads[THREADS];
  race_t races[THREADS];
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    races[i] = (race_t){reg, id, &barrier, NULL, KAVRO_ERR_INVALID_ARG};
    ck_assert_int_eq(pthread_create(&threads[i], NULL, resolve_id, &races[i]),
                     0);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < THREADS; i++) {
    ck_assert_int_eq(races[i].err, KAVRO_OK);
    ck_assert_ptr_eq(races[i].got, races[0].got);
  }
  for (int i = 0; i < THREADS; i++)
    kavro_schema_destroy(races[i].got);
  ck_assert_uint_eq(served("GET /schemas/ids/{id}"), 1);
  ck_assert_uint_eq(stats_of(reg).requests[KAVRO_REGISTRY_EP_SCHEMA_BY_ID], 1);
  kavro_registry_destroy(reg);
  kavro_schema_destroy(a);
}
END_TEST

/* Waiters share a failed leader's error, and the failure is not cached. */
START_TEST(test_failure_not_cached) {
  kavro_registry_t *reg = client(mock_url(0), "max.retries", "0", NULL);
  kavro_schema_t *a = parse(schema_a);
  int id;
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/subjects/", 500, 50001, -1, 1);
  kavro_error_t error;
  ck_assert_int_eq(
      kavro_registry_register(reg, "s", a, NULL, 0, false, &id, &error),
      KAVRO_ERR_REGISTRY_STORE);
  ck_assert_int_eq(
      kavro_registry_register(reg, "s", a, NULL, 0, false, &id, &error),
      KAVRO_OK);
  ck_assert_uint_eq(served("POST /subjects/{subject}/versions"), 2);
  kavro_schema_destroy(a);
  kavro_registry_destroy(reg);
}
END_TEST

/* One million warm lookups (by id and by subject and schema) make no
 * request at all. */
START_TEST(test_warm_cache_no_requests) {
  kavro_registry_t *reg = client(mock_url(0), NULL);
  kavro_schema_t *a = parse(schema_a);
  int id;
  ck_assert_int_eq(
      kavro_registry_register(reg, "warm", a, NULL, 0, false, &id, NULL),
      KAVRO_OK);
  kavro_schema_t *got = NULL;
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, id, NULL, &got, NULL),
                   KAVRO_OK);
  kavro_schema_destroy(got);
  uint64_t before = served(NULL);
  uint64_t requests = total_requests(reg);
  uint64_t hits = stats_of(reg).cache_hits;
  allocations = 0;
  counting = true;
  for (int i = 0; i < 500000; i++) {
    int again = 0;
    kavro_registry_register(reg, "warm", a, NULL, 0, false, &again, NULL);
    kavro_registry_schema_by_id(reg, id, NULL, &got, NULL);
    if (again != id || !got)
      ck_abort_msg("lookup %d failed", i);
    kavro_schema_destroy(got);
  }
  counting = false;
  if (COUNTS_ALLOCATIONS) /* a warm hit allocates nothing */
    ck_assert_uint_eq(allocations, 0);
  ck_assert_uint_eq(served(NULL), before);
  ck_assert_uint_eq(total_requests(reg), requests);
  ck_assert_uint_eq(stats_of(reg).cache_hits - hits, 1000000);
  /* ... while a miss does (the count is live) */
  kavro_registry_clear_caches(reg);
  counting = true;
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, id, NULL, &got, NULL),
                   KAVRO_OK);
  counting = false;
  kavro_schema_destroy(got);
  if (COUNTS_ALLOCATIONS)
    ck_assert_uint_gt(allocations, 0);
  kavro_schema_destroy(a);
  kavro_registry_destroy(reg);
}
END_TEST

/* The (subject, schema) cache tells schemas apart as the registry does:
 * one that differs only in a default is another schema with another id,
 * while the same schema laid out differently is a cache hit. */
START_TEST(test_cache_keys_on_identity) {
  kavro_registry_t *reg = client(mock_url(0), NULL);
  kavro_schema_t *plain = parse("{\"type\":\"record\",\"name\":\"D\",\"fields\":["
                                "{\"name\":\"n\",\"type\":\"int\"}]}");
  kavro_schema_t *defaulted = parse("{\"type\":\"record\",\"name\":\"D\",\"fields\":["
                                    "{\"name\":\"n\",\"type\":\"int\",\"default\":7}]}");
  kavro_schema_t *spaced = parse("{ \"fields\": [ {\"type\": \"int\", \"name\": \"n\"} ],\n"
                                 "  \"name\": \"D\", \"type\": \"record\" }");
  ck_assert_str_eq(kavro_schema_canonical(plain), kavro_schema_canonical(defaulted));
  int a = 0, b = 0, c = 0;
  ck_assert_int_eq(kavro_registry_register(reg, "ident", plain, NULL, 0, false, &a, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_register(reg, "ident", defaulted, NULL, 0, false, &b, NULL),
                   KAVRO_OK);
  ck_assert_int_ne(a, b);
  uint64_t requests = total_requests(reg);
  ck_assert_int_eq(kavro_registry_register(reg, "ident", spaced, NULL, 0, false, &c, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(c, a);
  ck_assert_uint_eq(total_requests(reg), requests);
  kavro_schema_destroy(plain);
  kavro_schema_destroy(defaulted);
  kavro_schema_destroy(spaced);
  kavro_registry_destroy(reg);
}
END_TEST

/* CLOCK: with room for two, a re-used entry survives and the other goes. */
START_TEST(test_clock_eviction) {
  kavro_registry_t *writer = client(mock_url(0), NULL);
  kavro_schema_t *s[3] = {parse(schema_a), parse(ref_l0), parse("\"string\"")};
  int ids[3];
  const char *const subjects[3] = {"ev0", "ev1", "ev2"};
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(kavro_registry_register(writer, subjects[i], s[i], NULL, 0,
                                             false, &ids[i], NULL),
                     KAVRO_OK);
  kavro_registry_destroy(writer);
  kavro_registry_t *reg = client(mock_url(0), "cache.capacity", "2", NULL);
  kavro_schema_t *got;
  const int order[] = {0, 1, 0, 2}; /* 0 is used again before 2 comes */
  for (size_t i = 0; i < 4; i++) {
    ck_assert_int_eq(
        kavro_registry_schema_by_id(reg, ids[order[i]], NULL, &got, NULL),
        KAVRO_OK);
    kavro_schema_destroy(got);
  }
  uint64_t n = served("GET /schemas/ids/{id}");
  ck_assert_uint_eq(n, 3);
  kavro_registry_schema_by_id(reg, ids[0], NULL, &got, NULL); /* kept */
  kavro_schema_destroy(got);
  ck_assert_uint_eq(served("GET /schemas/ids/{id}"), n);
  kavro_registry_schema_by_id(reg, ids[1], NULL, &got, NULL); /* evicted */
  kavro_schema_destroy(got);
  ck_assert_uint_eq(served("GET /schemas/ids/{id}"), n + 1);
  for (int i = 0; i < 3; i++)
    kavro_schema_destroy(s[i]);
  kavro_registry_destroy(reg);
}
END_TEST

/* The latest version is cached for cache.latest.ttl.sec, then asked
 * again. */
START_TEST(test_latest_ttl) {
  kavro_registry_t *reg =
      client(mock_url(0), "cache.latest.ttl.sec", "1", NULL);
  kavro_registry_t *other = client(mock_url(0), NULL);
  kavro_schema_t *a = parse(schema_a), *b = parse(schema_b);
  int id, version;
  ck_assert_int_eq(
      kavro_registry_register(other, "ttl", a, NULL, 0, false, &id, NULL),
      KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_version(reg, "ttl", KAVRO_REGISTRY_LATEST,
                                              NULL, NULL, &version, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(version, 1);
  ck_assert_int_eq(
      kavro_registry_register(other, "ttl", b, NULL, 0, false, &id, NULL),
      KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_version(reg, "ttl", KAVRO_REGISTRY_LATEST,
                                              NULL, NULL, &version, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(version, 1); /* still cached */
  usleep(1100 * 1000);
  ck_assert_int_eq(kavro_registry_get_version(reg, "ttl", KAVRO_REGISTRY_LATEST,
                                              NULL, NULL, &version, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(version, 2);
  kavro_schema_destroy(a);
  kavro_schema_destroy(b);
  kavro_registry_destroy(other);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- the negative caches ------------------------------------------------ */

/* Wait until the mock has served @endpoint @count times, asking with
 * @ask between looks: an expiry is "eventually", not a timing. */
static void await_served(const char *endpoint, uint64_t count,
                         void (*ask)(kavro_registry_t *), kavro_registry_t *reg) {
  while (served(endpoint) < count) {
    usleep(50 * 1000);
    ask(reg);
  }
  ck_assert_uint_eq(served(endpoint), count);
}

static kavro_err_t ask_id(kavro_registry_t *reg, int id, kavro_error_t *error) {
  kavro_schema_t *got = NULL;
  kavro_err_t err = kavro_registry_schema_by_id(reg, id, NULL, &got, error);
  kavro_schema_destroy(got);
  return err;
}

static void ask_unknown_id(kavro_registry_t *reg) { ask_id(reg, 4242, NULL); }

/* An unknown id costs one request per missing.id.cache.ttl.sec, not one
 * per call, and answers each call with the registry's code; after the
 * TTL it is asked again.  Without the setting every call asks. */
START_TEST(test_missing_id_remembered) {
  const char *ep = "GET /schemas/ids/{id}";
  kavro_registry_t *plain = client(mock_url(_i), NULL);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(ask_id(plain, 4242, NULL), KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_uint_eq(served(ep), 3);
  kavro_registry_destroy(plain);
  kavro_mock_clear_requests(mock);
  kavro_registry_t *reg =
      client(mock_url(_i), "missing.id.cache.ttl.sec", "1", NULL);
  kavro_error_t error;
  for (int i = 0; i < 100; i++) {
    ck_assert_int_eq(ask_id(reg, 4242, &error), KAVRO_ERR_SCHEMA_NOT_FOUND);
    ck_assert_int_eq(error.http_status, 404);
    ck_assert_int_eq(error.registry_code, 40403);
    ck_assert_int_eq(kavro_error_is_retriable(&error), 0);
  }
  ck_assert_uint_eq(served(ep), 1);
  ck_assert_ptr_nonnull(strstr(error.text, "missing.id.cache.ttl.sec"));
  ck_assert_uint_eq(stats_of(reg).requests[KAVRO_REGISTRY_EP_SCHEMA_BY_ID], 1);
  await_served(ep, 2, ask_unknown_id, reg); /* expired: asked again */
  /* Registering through this client makes the id known at once. */
  kavro_schema_t *a = parse(schema_a);
  int id;
  kavro_registry_clear_caches(reg);
  ck_assert_int_eq(ask_id(reg, 1, NULL), KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(
      kavro_registry_register(reg, "known", a, NULL, 0, false, &id, NULL),
      KAVRO_OK);
  ck_assert_int_eq(id, 1);
  ck_assert_int_eq(ask_id(reg, 1, NULL), KAVRO_OK);
  kavro_schema_destroy(a);
  kavro_registry_destroy(reg);
}
END_TEST

/* Only a definite 404 40403 is remembered: a 5xx, a 404 with another
 * code, a dropped connection are asked again on the next call. */
START_TEST(test_missing_transient_not_cached) {
  const char *ep = "GET /schemas/ids/{id}";
  kavro_registry_t *reg = client(mock_url(0), "missing.id.cache.ttl.sec",
                                 "3600", "max.retries", "0", NULL);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/schemas/ids/", 500, 50001, -1, 1);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/schemas/ids/", 404, 40401, -1, 1);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/schemas/ids/", 404, 404, -1, 1);
  push_fault(KAVRO_MOCK_FAULT_ERROR, "/schemas/ids/", 503, 40403, -1, 1);
  push_fault(KAVRO_MOCK_FAULT_MALFORMED, "/schemas/ids/", 404, 0, -1, 1);
  const kavro_err_t expected[] = {KAVRO_ERR_REGISTRY_STORE,
                                  KAVRO_ERR_SUBJECT_NOT_FOUND, 404,
                                  KAVRO_ERR_SCHEMA_NOT_FOUND, KAVRO_ERR_HTTP};
  for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
    ck_assert_int_eq(ask_id(reg, 4242, NULL), expected[i]);
  uint64_t asked = served(ep);
  /* The real answer, now remembered. */
  ck_assert_int_eq(ask_id(reg, 4242, NULL), KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(ask_id(reg, 4242, NULL), KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_uint_eq(stats_of(reg).requests[KAVRO_REGISTRY_EP_SCHEMA_BY_ID],
                    6);
  ck_assert_uint_eq(served(ep), asked + 1);
  kavro_registry_destroy(reg);
}
END_TEST

/* missing.cache.size bounds the remembered ids; CLOCK evicts the one not
 * asked again. */
START_TEST(test_missing_size_bound) {
  const char *ep = "GET /schemas/ids/{id}";
  kavro_registry_t *reg = client(mock_url(0), "missing.id.cache.ttl.sec",
                                 "3600", "missing.cache.size", "2", NULL);
  for (int id = 901; id <= 903; id++)
    ck_assert_int_eq(ask_id(reg, id, NULL), KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_uint_eq(served(ep), 3);
  ck_assert_int_eq(ask_id(reg, 902, NULL), KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_int_eq(ask_id(reg, 903, NULL), KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_uint_eq(served(ep), 3);
  ck_assert_int_eq(ask_id(reg, 901, NULL), KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_uint_eq(served(ep), 4); /* 901 was evicted */
  kavro_registry_destroy(reg);
}
END_TEST

/* Unknown subjects, versions, schemas and GUIDs are remembered for their
 * TTLs; registering under the subject through the client forgets them. */
START_TEST(test_missing_versions_lookups_guids) {
  kavro_registry_t *reg = client(
      mock_url(_i), "missing.version.cache.ttl.sec", "3600",
      "missing.schema.cache.ttl.sec", "3600", "missing.id.cache.ttl.sec",
      "3600", NULL);
  kavro_schema_t *a = parse(schema_a), *b = parse(schema_b);
  int id = 0, version = 0;
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(kavro_registry_get_version(reg, "gone", 1, NULL, NULL,
                                                NULL, NULL),
                     KAVRO_ERR_SUBJECT_NOT_FOUND);
    ck_assert_int_eq(kavro_registry_get_version(reg, "gone",
                                                KAVRO_REGISTRY_LATEST, NULL,
                                                NULL, NULL, NULL),
                     KAVRO_ERR_SUBJECT_NOT_FOUND);
    ck_assert_int_eq(kavro_registry_lookup(reg, "gone", a, NULL, 0, false,
                                           &id, &version, NULL),
                     KAVRO_ERR_SUBJECT_NOT_FOUND);
  }
  ck_assert_uint_eq(served("GET /subjects/{subject}/versions/{version}"), 2);
  ck_assert_uint_eq(served("POST /subjects/{subject}"), 1);
  /* A normalized lookup is another question. */
  ck_assert_int_eq(kavro_registry_lookup(reg, "gone", a, NULL, 0, true, &id,
                                         &version, NULL),
                   KAVRO_ERR_SUBJECT_NOT_FOUND);
  ck_assert_uint_eq(served("POST /subjects/{subject}"), 2);
  ck_assert_int_eq(
      kavro_registry_register(reg, "gone", a, NULL, 0, false, &id, NULL),
      KAVRO_OK);
  ck_assert_int_eq(kavro_registry_lookup(reg, "gone", a, NULL, 0, false, &id,
                                         &version, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_version(reg, "gone", 1, NULL, NULL,
                                              &version, NULL),
                   KAVRO_OK);
  /* Version 2 and schema B under the subject: 40402 and 40403. */
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(kavro_registry_get_version(reg, "gone", 2, NULL, NULL,
                                                NULL, NULL),
                     KAVRO_ERR_VERSION_NOT_FOUND);
    ck_assert_int_eq(kavro_registry_lookup(reg, "gone", b, NULL, 0, false,
                                           &id, &version, NULL),
                     KAVRO_ERR_SCHEMA_NOT_FOUND);
  }
  ck_assert_uint_eq(served("GET /subjects/{subject}/versions/{version}"), 4);
  ck_assert_uint_eq(served("POST /subjects/{subject}"), 4);
  unsigned char guid[16];
  memset(guid, 0x5a, sizeof(guid));
  for (int i = 0; i < 3; i++) {
    kavro_schema_t *got = NULL;
    ck_assert_int_eq(kavro_registry_schema_by_guid(reg, guid, &got, NULL),
                     KAVRO_ERR_SCHEMA_NOT_FOUND);
  }
  ck_assert_uint_eq(served("GET /schemas/guids/{guid}"), 1);
  kavro_schema_destroy(a);
  kavro_schema_destroy(b);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(test_invalid_arguments) {
  kavro_registry_t *reg = client(mock_url(0), NULL);
  kavro_schema_t *got = NULL;
  int id;
  ck_assert_int_eq(kavro_registry_schema_by_id(reg, 0, NULL, &got, NULL),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(
      kavro_registry_register(reg, "", NULL, NULL, 0, false, &id, NULL),
      KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(
      kavro_registry_get_version(reg, "s", 0, &got, NULL, NULL, NULL),
      KAVRO_ERR_INVALID_ARG);
  kavro_schema_t *a = parse(schema_a);
  kavro_schema_ref_t bad = {"x.Y", NULL, 1};
  ck_assert_int_eq(
      kavro_registry_register(reg, "s", a, &bad, 1, false, &id, NULL),
      KAVRO_ERR_INVALID_ARG);
  ck_assert_uint_eq(total_requests(reg), 0);
  kavro_schema_destroy(a);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- path encoding ------------------------------------------------------ */

START_TEST(test_path_segment_encoding) {
  static const char *const cases[][2] = {
      {"a.b-c_d~e", "a.b-c_d~e"},
      {"x/y", "x%2Fy"},
      {"with space", "with%20space"},
      {"100%", "100%25"},
      {"q?h#", "q%3Fh%23"},
      {"\xc3\xa9", "%C3%A9"},
      {"a:b@c!$&'()*+,;=", "a:b@c!$&'()*+,;="},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    kv_strbuf_t sb = KV_STRBUF_INIT;
    kv_strbuf_puts(&sb, "");
    kv_path_segment(&sb, cases[i][0]);
    ck_assert_str_eq(sb.data, cases[i][1]);
    kv_strbuf_free(&sb);
  }
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_query_value(&sb, "a&b=c+d;e/f g");
  ck_assert_str_eq(sb.data, "a%26b%3Dc%2Bd%3Be/f%20g");
  kv_strbuf_free(&sb);
}
END_TEST

/* ---- OAuth, proxy, required auth -------------------------------------------
 */

#define OAUTH_ID "sr-client"
#define OAUTH_SECRET "Sec-Kv7q9ZxOauth/+"

/* A client of the registry at @url with OAuth client credentials from the
 * mock's token endpoint at @issuer (NULL: the mock's), a secret @secret,
 * and extra key/value pairs (NULL-terminated). */
static kavro_registry_t *oauth_client(const char *url, const char *issuer,
                                      const char *secret, ...) {
  char token_url[160];
  if (!issuer) {
    snprintf(token_url, sizeof(token_url), "%s/oauth/token", mock_url(1));
    issuer = token_url;
  }
  const char *first[] = {"retries.wait.ms",
                         "5",
                         "bearer.auth.credentials.source",
                         "OAUTHBEARER",
                         "bearer.auth.issuer.endpoint.url",
                         issuer,
                         "bearer.auth.client.id",
                         OAUTH_ID,
                         "bearer.auth.client.secret",
                         secret,
                         "bearer.auth.scope",
                         "schema_registry read",
                         NULL};
  const char *settings[35];
  va_list ap;
  va_start(ap, secret);
  kt_settings_collect(settings, sizeof(settings) / sizeof(settings[0]), first,
                      ap);
  va_end(ap);
  return kt_client_settings(url, settings);
}

static void serve_tokens(unsigned lifetime_seconds) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_serve_tokens(mock, OAUTH_ID, OAUTH_SECRET,
                                           lifetime_seconds, &error),
                   KAVRO_OK);
  kavro_mock_require_bearer_auth(mock, true);
}

/* _i: the registry over 0 mock://, 1 HTTP (the issuer is HTTP). */
START_TEST(test_oauth_token_used_and_cached) {
  serve_tokens(60);
  char level[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  kavro_registry_t *plain = client(mock_url(_i), NULL);
  ck_assert_int_eq(kavro_registry_get_mode(plain, NULL, level, &error), 401);
  ck_assert_int_eq(error.http_status, 401);
  ck_assert_int_eq(error.registry_code, 401);
  kavro_registry_destroy(plain);

  kavro_registry_t *reg = oauth_client(mock_url(_i), NULL, OAUTH_SECRET, NULL);
  for (int i = 0; i < 3; i++)
    ck_assert_msg(kavro_registry_get_mode(reg, NULL, level, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
  ck_assert_uint_eq(kavro_mock_tokens_issued(mock), 1);
  kavro_registry_destroy(reg);
}
END_TEST

/* A configuration for SASL_OAUTHBEARER_INHERIT at the registry @url, with
 * extra key/value pairs (NULL-terminated). */
static kavro_conf_t *inherit_conf(const char *url, const char *const *extra) {
  kavro_conf_t *conf = kavro_conf_new();
  const char *settings[] = {"schema.registry.url", url, "retries.wait.ms", "5",
                            "bearer.auth.credentials.source",
                            "SASL_OAUTHBEARER_INHERIT", NULL};
  kavro_error_t error;
  for (size_t i = 0; settings[i]; i += 2)
    ck_assert_int_eq(kavro_conf_set(conf, settings[i], settings[i + 1], &error),
                     KAVRO_OK);
  for (size_t i = 0; extra && extra[i]; i += 2)
    ck_assert_int_eq(kavro_conf_set(conf, extra[i], extra[i + 1], &error),
                     KAVRO_OK);
  return conf;
}

/* SASL_OAUTHBEARER_INHERIT: the token endpoint, client and scope the Kafka
 * client's sasl.oauthbearer.* settings hand over; a bearer.auth.* property
 * that is set wins over them.  _i: the registry over 0 mock://, 1 HTTP. */
START_TEST(test_oauth_inherited_from_kafka) {
  serve_tokens(60);
  char token_url[160];
  snprintf(token_url, sizeof(token_url), "%s/oauth/token", mock_url(1));
  kavro_error_t error;
  /* Nothing handed over: no token endpoint. */
  kavro_conf_t *conf = inherit_conf(mock_url(_i), NULL);
  ck_assert_ptr_null(kavro_registry_new(conf, &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
  ck_assert_msg(strstr(error.text, "sasl.oauthbearer.token.endpoint.url"),
                "%s", error.text);
  ck_assert_int_eq(kavro_conf_set_sasl_oauthbearer(conf, token_url, OAUTH_ID,
                                                   NULL, NULL, NULL, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_conf_set_sasl_oauthbearer(
                       conf, token_url, OAUTH_ID, OAUTH_SECRET,
                       "schema_registry read", "pool-7", &error),
                   KAVRO_OK);
  /* The secret is not in the dump; a copy keeps the settings. */
  size_t count;
  char **dump = kavro_conf_dump(conf, &count);
  ck_assert_ptr_nonnull(dump);
  for (size_t i = 0; i < count; i++)
    ck_assert_ptr_null(strstr(dump[i], "Sec-Kv7q9Zx"));
  kavro_conf_dump_free(dump, count);
  kavro_conf_t *copy = kavro_conf_dup(conf);
  kavro_conf_destroy(conf);
  kavro_registry_t *reg = kavro_registry_new(copy, &error);
  ck_assert_msg(reg != NULL, "%s", error.text);
  char level[KAVRO_REGISTRY_NAME_SIZE];
  for (int i = 0; i < 2; i++)
    ck_assert_msg(kavro_registry_get_mode(reg, NULL, level, &error) == KAVRO_OK,
                  "%s", error.text);
  ck_assert_uint_eq(kavro_mock_tokens_issued(mock), 1);
  kavro_registry_destroy(reg);

  /* The registry's own client secret wins: here a wrong one. */
  const char *wrong[] = {"bearer.auth.client.secret", "wrong-Kv7q9Zx", NULL};
  conf = inherit_conf(mock_url(_i), wrong);
  ck_assert_int_eq(kavro_conf_set_sasl_oauthbearer(conf, token_url, OAUTH_ID,
                                                   OAUTH_SECRET, NULL, NULL,
                                                   &error),
                   KAVRO_OK);
  reg = kavro_registry_new(conf, &error);
  ck_assert_ptr_nonnull(reg);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error),
                   KAVRO_ERR_UNAUTHORIZED);
  ck_assert_msg(strstr(error.text, "invalid_client"), "%s", error.text);
  assert_no_secret(&error);
  kavro_registry_destroy(reg);
  ck_assert_uint_eq(kavro_mock_tokens_issued(mock), 1);
}
END_TEST

/* A 401 from the registry fetches one new token; a second 401 is final. */
START_TEST(test_oauth_401_refetches_once) {
  serve_tokens(60);
  char level[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  kavro_registry_t *reg = oauth_client(mock_url(1), NULL, OAUTH_SECRET, NULL);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error), KAVRO_OK);
  ck_assert_uint_eq(kavro_mock_tokens_issued(mock), 1);

  kavro_mock_fault_t fault = {KAVRO_MOCK_FAULT_ERROR, "GET", "/mode", 401,
                              40101, -1};
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 1, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error), KAVRO_OK);
  ck_assert_uint_eq(kavro_mock_tokens_issued(mock), 2);

  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 2, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error),
                   KAVRO_ERR_UNAUTHORIZED);
  ck_assert_uint_eq(kavro_mock_tokens_issued(mock), 3);
  ck_assert(!kavro_error_is_retriable(&error));
  assert_no_secret(&error);
  kavro_registry_destroy(reg);
}
END_TEST

typedef struct oauth_worker_s {
  kavro_registry_t *reg;
  int64_t deadline_ms;
  unsigned calls, failures;
  kavro_error_t error;
} oauth_worker_t;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *oauth_worker(void *arg) {
  oauth_worker_t *w = arg;
  char level[KAVRO_REGISTRY_NAME_SIZE];
  /* bounded by the deadline and by a count */
  while (mono_ms() < w->deadline_ms && w->calls < 100000) {
    kavro_error_t error;
    w->calls++;
    if (kavro_registry_get_mode(w->reg, NULL, level, &error) != KAVRO_OK) {
      if (!w->failures++)
        w->error = error;
    }
  }
  return NULL;
}

/* 32 threads share one token: tokens living 2 s are fetched about once per
 * lifetime (refreshed a fifth of it ahead), never once per thread, and no
 * call fails. */
START_TEST(test_oauth_threads_share_token) {
  /* Under valgrind, whose threads take turns on one core, a request can
   * outlast a fifth of a 2 s lifetime: fewer threads, longer tokens. */
  bool slow = getenv("KAVRO_UNDER_VALGRIND") != NULL;
  enum { MAX_THREADS = 32 };
  const int threads_n = slow ? 8 : MAX_THREADS;
  const int64_t RUN_MS = slow ? 10000 : 5000;
  const unsigned LIFETIME_S = slow ? 4 : 2;
  serve_tokens(LIFETIME_S);
  kavro_registry_t *reg = oauth_client(mock_url(1), NULL, OAUTH_SECRET, NULL);
  oauth_worker_t workers[MAX_THREADS];
  pthread_t threads[MAX_THREADS];
  int64_t start = mono_ms();
  for (int i = 0; i < threads_n; i++) {
    workers[i] = (oauth_worker_t){reg, start + RUN_MS, 0, 0, {0}};
    ck_assert_int_eq(pthread_create(&threads[i], NULL, oauth_worker,
                                    &workers[i]),
                     0);
  }
  unsigned calls = 0;
  for (int i = 0; i < threads_n; i++) {
    pthread_join(threads[i], NULL);
    ck_assert_msg(workers[i].failures == 0, "thread %d: %u failures: %s", i,
                  workers[i].failures, workers[i].error.text);
    calls += workers[i].calls;
  }
  int64_t elapsed = mono_ms() - start;
  uint64_t issued = kavro_mock_tokens_issued(mock);
  /* Every call, up to the deadline, was accepted: tokens covered the
   * whole run ... */
  ck_assert_uint_ge(issued, (uint64_t)(RUN_MS / (LIFETIME_S * 1000)) + 1);
  /* ... and were fetched again only after 80% of their lifetime. */
  ck_assert_msg(issued <= 2 + (uint64_t)elapsed / (LIFETIME_S * 800),
                "%llu tokens in %lld ms for %u calls",
                (unsigned long long)issued, (long long)elapsed, calls);
  kavro_registry_destroy(reg);
}
END_TEST

/* The issuer's failures: classed retriable or not, never quoting the
 * secret.  _i: 0 down, 1 answering 503, 2 refusing the secret, 3 a reply
 * without a token. */
START_TEST(test_oauth_issuer_failures) {
  serve_tokens(60);
  char issuer[160];
  if (_i == 0)
    snprintf(issuer, sizeof(issuer), "http://127.0.0.1:%u/oauth/token",
             closed_port());
  else
    snprintf(issuer, sizeof(issuer), "%s/oauth/token", mock_url(1));
  kavro_mock_fault_t unavailable = {KAVRO_MOCK_FAULT_ERROR, "POST",
                                    "/oauth/token", 503, 50301, -1};
  kavro_mock_fault_t malformed = {KAVRO_MOCK_FAULT_MALFORMED, "POST",
                                  "/oauth/token", 200, 0, -1};
  if (_i == 1)
    ck_assert_int_eq(kavro_mock_push_fault(mock, &unavailable, 1, NULL),
                     KAVRO_OK);
  if (_i == 3)
    ck_assert_int_eq(kavro_mock_push_fault(mock, &malformed, 1, NULL),
                     KAVRO_OK);
  kavro_registry_t *reg = oauth_client(
      mock_url(0), issuer, _i == 2 ? "wrong-Kv7q9ZxOauth" : OAUTH_SECRET, NULL);
  char level[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  kavro_err_t err = kavro_registry_get_mode(reg, NULL, level, &error);
  static const kavro_err_t expected[] = {KAVRO_ERR_TRANSPORT, KAVRO_ERR_HTTP,
                                         KAVRO_ERR_UNAUTHORIZED,
                                         KAVRO_ERR_BAD_RESPONSE};
  ck_assert_msg(err == expected[_i], "%d: %s", err, error.text);
  ck_assert_int_eq(kavro_error_is_retriable(&error), _i != 2);
  ck_assert_msg(strstr(error.text, "token endpoint"), "%s", error.text);
  if (_i == 2)
    ck_assert_msg(strstr(error.text, "invalid_client"), "%s", error.text);
  assert_no_secret(&error);
  ck_assert_uint_eq(served("GET /mode"), 0); /* no token, no request */
  /* the issuer back: the next call fetches */
  kavro_mock_clear_faults(mock);
  if (_i == 1 || _i == 3) {
    ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error),
                     KAVRO_OK);
    ck_assert_uint_eq(kavro_mock_tokens_issued(mock), 1);
  }
  kavro_registry_destroy(reg);
}
END_TEST

/* The claims a token must carry are named by bearer.auth.sub.claim.name
 * and bearer.auth.scope.claim.name.  The mock's tokens carry `scope` only
 * when the client asked for one, so naming `scope` as the subject claim
 * also shows that bearer.auth.scope reaches the token endpoint. */
START_TEST(test_oauth_claim_names) {
  serve_tokens(60);
  char level[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  /* Asked with a scope: the token's "scope" is a non-empty string. */
  kavro_registry_t *reg = oauth_client(mock_url(1), NULL, OAUTH_SECRET,
                                       "bearer.auth.sub.claim.name", "scope",
                                       NULL);
  ck_assert_msg(kavro_registry_get_mode(reg, NULL, level, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_registry_destroy(reg);
  /* Without one, the token has no "scope" claim. */
  reg = oauth_client(mock_url(1), NULL, OAUTH_SECRET, "bearer.auth.scope", "",
                     "bearer.auth.sub.claim.name", "scope", NULL);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert_msg(strstr(error.text, "no \"scope\" claim "
                                   "(bearer.auth.sub.claim.name)"),
                "%s", error.text);
  assert_no_secret(&error);
  kavro_registry_destroy(reg);
  /* A scope claim must be a string or a list of strings: "iat" is a
   * number. */
  reg = oauth_client(mock_url(1), NULL, OAUTH_SECRET,
                     "bearer.auth.scope.claim.name", "iat", NULL);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert_msg(strstr(error.text, "\"iat\" claim is neither a string nor "
                                   "a list of strings"),
                "%s", error.text);
  ck_assert_uint_eq(served("GET /mode"), 1); /* the first client's only */
  kavro_registry_destroy(reg);
}
END_TEST

/* The mock's basic auth: 401 with the registry's error body unless the
 * credentials are right.  _i: 0 mock://, 1 HTTP. */
START_TEST(test_mock_requires_basic_auth) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_require_basic_auth(mock, "alice:s3cret", &error),
                   KAVRO_OK);
  char level[KAVRO_REGISTRY_NAME_SIZE];
  static const char *const user_infos[] = {NULL, "alice:wrong", "alice:s3cret"};
  for (int k = 0; k < 3; k++) {
    kavro_registry_t *reg =
        user_infos[k] ? client(mock_url(_i), "basic.auth.credentials.source",
                               "USER_INFO", "basic.auth.user.info",
                               user_infos[k], NULL)
                      : client(mock_url(_i), NULL);
    kavro_err_t err = kavro_registry_get_mode(reg, NULL, level, &error);
    if (k < 2) {
      ck_assert_int_eq(err, 401);
      ck_assert_int_eq(error.http_status, 401);
      ck_assert_int_eq(error.registry_code, 401);
    } else {
      ck_assert_int_eq(err, KAVRO_OK);
    }
    kavro_registry_destroy(reg);
  }
  ck_assert_int_eq(kavro_mock_require_basic_auth(mock, "no-colon", &error),
                   KAVRO_ERR_INVALID_ARG);
}
END_TEST

/* proxy.host/proxy.port: the request goes to the proxy (the mock, which
 * serves absolute-form targets as a proxy in front of itself would), for
 * a registry whose name does not even resolve; a closed proxy port fails
 * although the registry is up. */
START_TEST(test_proxy) {
  const char *url = mock_url(1);
  char port[16];
  snprintf(port, sizeof(port), "%s", strrchr(url, ':') + 1);
  char level[KAVRO_REGISTRY_NAME_SIZE];
  kavro_error_t error;
  kavro_registry_t *reg = client("http://registry.invalid:8081", "proxy.host",
                                 "127.0.0.1", "proxy.port", port, NULL);
  ck_assert_msg(kavro_registry_get_mode(reg, NULL, level, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_uint_eq(served("GET /mode"), 1);
  kavro_registry_destroy(reg);

  char closed[16];
  snprintf(closed, sizeof(closed), "%u", closed_port());
  reg = client(url, "proxy.host", "127.0.0.1", "proxy.port", closed,
               "max.retries", "0", NULL);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, level, &error),
                   KAVRO_ERR_TRANSPORT);
  ck_assert_uint_eq(served("GET /mode"), 1); /* nothing reached the registry */
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- contexts and associations ------------------------------------------- */

/* Qualified subjects pass through (':' and '.' unencoded, as the path
 * allows them); an id is looked up and cached in its subject's context, so
 * id 1 of ".prod" and id 1 of the default context stay apart. */
START_TEST(test_contexts) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_schema_t *a = parse(schema_a), *b = parse(schema_c);
  int32_t id_a = 0, id_b = 0;
  ck_assert_int_eq(kavro_registry_register(reg, "orders-value", a, NULL, 0,
                                           false, &id_a, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_register(reg, ":.prod:orders-value", b, NULL,
                                           0, false, &id_b, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(id_a, 1);
  ck_assert_int_eq(id_b, 1);
  kavro_mock_request_t *log = NULL;
  size_t count = 0;
  ck_assert_int_eq(kavro_mock_requests(mock, &log, &count, NULL), KAVRO_OK);
  ck_assert_str_eq(log[count - 1].path, "/subjects/:.prod:orders-value/versions");
  kavro_mock_requests_free(log, count);

  /* A second client, whose caches are empty. */
  kavro_registry_t *reader = client(mock_url(_i), NULL);
  kavro_schema_t *got_b = NULL, *got_a = NULL, *again = NULL;
  ck_assert_int_eq(kavro_registry_schema_by_id(reader, 1, ":.prod:x", &got_b,
                                               NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_schema_by_id(reader, 1, NULL, &got_a, NULL),
                   KAVRO_OK);
  ck_assert_str_eq(kavro_schema_canonical(got_b), kavro_schema_canonical(b));
  ck_assert_str_eq(kavro_schema_canonical(got_a), kavro_schema_canonical(a));
  uint64_t before = served("GET /schemas/ids/{id}");
  ck_assert_uint_eq(before, 2);
  ck_assert_int_eq(kavro_registry_schema_by_id(reader, 1, ":.prod:y", &again,
                                               NULL),
                   KAVRO_OK);
  ck_assert_ptr_eq(again, got_b);
  ck_assert_uint_eq(served("GET /schemas/ids/{id}"), before);

  char **contexts = NULL;
  ck_assert_int_eq(kavro_registry_contexts(reader, &contexts, &count, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 2);
  ck_assert_str_eq(contexts[0], ".");
  ck_assert_str_eq(contexts[1], ".prod");
  free(contexts);

  /* A context with subjects is not deleted (42211); an empty one is. */
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_delete_context(reader, ".prod", &error), 42211);
  ck_assert_int_eq(error.http_status, 422);
  ck_assert_int_eq(error.registry_code, 42211);
  ck_assert_int_eq(kavro_registry_delete_context(reader, ".empty", NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_delete_context(reader, "", &error),
                   KAVRO_ERR_INVALID_ARG);

  int32_t id = 0;
  ck_assert_int_eq(kavro_registry_get_version(reader, ":.prod:orders-value", 1,
                                              NULL, &id, NULL, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(id, 1);
  /* Its subject gone for good, the context can be deleted. */
  for (int permanent = 0; permanent < 2; permanent++)
    ck_assert_int_eq(kavro_registry_delete_subject(reader, ":.prod:orders-value",
                                                   permanent, NULL, NULL, NULL),
                     KAVRO_OK);
  ck_assert_int_eq(kavro_registry_delete_context(reader, ":.prod:", NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_contexts(reader, &contexts, &count, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  free(contexts);
  kavro_schema_destroy(got_a);
  kavro_schema_destroy(got_b);
  kavro_schema_destroy(again);
  kavro_schema_destroy(a);
  kavro_schema_destroy(b);
  kavro_registry_destroy(reader);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(test_associations) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_schema_t *a = parse(schema_a);
  ck_assert_int_eq(kavro_registry_register(reg, "orders-value", a, NULL, 0,
                                           false, NULL, NULL),
                   KAVRO_OK);
  kavro_association_spec_t weak = {"orders-value", "value", NULL, NULL};
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_create_associations(reg, "lkc-1", "orders",
                                                      "t-1", &weak, 1, &error),
                   KAVRO_OK);
  kavro_association_t *list = NULL;
  size_t count = 0;
  ck_assert_int_eq(kavro_registry_associations(reg, NULL, "orders", "value",
                                               &list, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  ck_assert_str_eq(list[0].subject, "orders-value");
  ck_assert_str_eq(list[0].resource_namespace, "lkc-1");
  ck_assert_str_eq(list[0].resource_id, "t-1");
  ck_assert_str_eq(list[0].association_type, "value");
  ck_assert_str_eq(list[0].lifecycle, "WEAK");
  ck_assert(!list[0].frozen);
  kavro_associations_destroy(list, count);
  ck_assert_int_eq(kavro_registry_associations(reg, "lkc-1", "orders", "key",
                                               &list, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 0);
  kavro_associations_destroy(list, count);

  kavro_association_spec_t other = {"orders-value", "value", NULL, NULL};
  ck_assert_int_eq(kavro_registry_create_associations(reg, "lkc-1", "orders",
                                                      "t-2", &other, 1, &error),
                   KAVRO_OK);
  weak.subject = ":.lkc-1:orders-key";
  ck_assert_int_eq(kavro_registry_create_associations(reg, "lkc-1", "orders",
                                                      "t-1", &weak, 1, &error),
                   (kavro_err_t)40903);
  ck_assert_int_eq(error.http_status, 409);
  /* One lifecycle per topic: no STRONG key beside a WEAK value. */
  kavro_association_spec_t strong = {NULL, "key", "STRONG", a};
  ck_assert_int_eq(kavro_registry_create_associations(reg, "lkc-1", "orders",
                                                      "t-1", &strong, 1, &error),
                   (kavro_err_t)42212);

  ck_assert_int_eq(kavro_registry_delete_associations(reg, "t-1", "value",
                                                      &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_delete_associations(reg, "t-1", "value",
                                                      &error),
                   (kavro_err_t)40410);
  ck_assert_int_eq(error.http_status, 404);
  /* A STRONG association registers its schema in the namespace's context. */
  ck_assert_int_eq(kavro_registry_create_associations(reg, "lkc-1", "orders",
                                                      "t-1", &strong, 1, &error),
                   KAVRO_OK);
  int32_t id = 0;
  ck_assert_int_eq(kavro_registry_get_version(reg, ":.lkc-1:orders-key", 1,
                                              NULL, &id, NULL, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(id, 1);
  /* The registry lists a STRONG association without "frozen": frozen. */
  ck_assert_int_eq(kavro_registry_associations(reg, "lkc-1", "orders", "key",
                                               &list, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  ck_assert_str_eq(list[0].lifecycle, "STRONG");
  ck_assert(list[0].frozen);
  kavro_associations_destroy(list, count);
  ck_assert_int_eq(kavro_registry_associations(reg, "-", "orders", NULL, &list,
                                               &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 2); /* t-1's key, t-2's value */
  kavro_associations_destroy(list, count);
  /* t-1's key is frozen: it goes only with its subject (cascade); a dry
   * run changes nothing. */
  ck_assert_int_eq(kavro_registry_delete_associations(reg, "t-1", "key", &error),
                   (kavro_err_t)40908);
  ck_assert_int_eq(error.http_status, 409);
  ck_assert_int_eq(kavro_registry_delete_associations_flags(
                       reg, "t-1", "key",
                       KAVRO_ASSOC_CASCADE_LIFECYCLE | KAVRO_ASSOC_DRY_RUN,
                       &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_version(reg, ":.lkc-1:orders-key", 1,
                                              NULL, &id, NULL, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_delete_associations_flags(
                       reg, "t-1", "key", KAVRO_ASSOC_CASCADE_LIFECYCLE, &error),
                   KAVRO_OK);
  int *versions = NULL;
  size_t version_count = 0;
  ck_assert_int_eq(kavro_registry_versions(reg, ":.lkc-1:orders-key", true,
                                           &versions, &version_count, &error),
                   (kavro_err_t)40401);
  free(versions);
  ck_assert_int_eq(kavro_registry_associations(reg, "-", "", NULL, &list,
                                               &count, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_schema_destroy(a);
  kavro_registry_destroy(reg);
}
END_TEST

/* Upserts (PUT /associations/resources/{id}) and dry runs of creates and
 * upserts: a dry run stores nothing, not even a schema it carries. */
START_TEST(test_associations_upsert) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_schema_t *a = parse(schema_a);
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(kavro_registry_register(reg, i ? "other" : "orders-value",
                                             a, NULL, 0, false, NULL, NULL),
                     KAVRO_OK);
  kavro_association_spec_t weak = {"orders-value", "value", NULL, NULL};
  kavro_error_t error;
  kavro_association_t *list = NULL;
  size_t count = 0;
  /* A dry run of a create, before the topic has an id. */
  ck_assert_int_eq(kavro_registry_create_associations_flags(
                       reg, "lkc-1", "orders", NULL, &weak, 1,
                       KAVRO_ASSOC_DRY_RUN, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_create_associations_flags(
                       reg, "lkc-1", "orders", NULL, &weak, 1, 0, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_registry_associations(reg, NULL, "orders", NULL,
                                               &list, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 0);
  kavro_associations_destroy(list, count);

  /* An upsert makes a WEAK association, and again changes nothing. */
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(kavro_registry_upsert_associations(
                         reg, "lkc-1", "orders", "t-1", &weak, 1, 0, &error),
                     KAVRO_OK);
  ck_assert_int_eq(kavro_registry_associations(reg, "lkc-1", "orders", NULL,
                                               &list, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  ck_assert_str_eq(list[0].resource_id, "t-1");
  ck_assert_str_eq(list[0].lifecycle, "WEAK");
  ck_assert(!list[0].frozen);
  kavro_associations_destroy(list, count);
  kavro_association_spec_t other = {"other", "value", NULL, NULL};
  ck_assert_int_eq(kavro_registry_upsert_associations(
                       reg, "lkc-1", "pay", "t-3", &other, 1,
                       KAVRO_ASSOC_DRY_RUN, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_associations(reg, NULL, "pay", NULL, &list,
                                               &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 0);
  kavro_associations_destroy(list, count);

  /* Refused: another subject for t-1's value, a new STRONG association. */
  ck_assert_int_eq(kavro_registry_upsert_associations(
                       reg, "lkc-1", "orders", "t-1", &other, 1, 0, &error),
                   (kavro_err_t)42212);
  ck_assert_int_eq(error.http_status, 422);
  kavro_association_spec_t strong = {NULL, "key", "STRONG", NULL};
  ck_assert_int_eq(kavro_registry_upsert_associations(
                       reg, "lkc-1", "orders", "t-1", &strong, 1,
                       KAVRO_ASSOC_DRY_RUN, &error),
                   (kavro_err_t)42212);
  ck_assert_int_eq(kavro_registry_upsert_associations(
                       reg, "lkc-1", "orders", "", &weak, 1, 0, &error),
                   KAVRO_ERR_INVALID_ARG);

  /* A dry run of a STRONG create registers nothing. */
  strong.schema = a;
  ck_assert_int_eq(kavro_registry_create_associations_flags(
                       reg, "lkc-1", "inv", "t-4", &strong, 1,
                       KAVRO_ASSOC_DRY_RUN, &error),
                   KAVRO_OK);
  int *versions = NULL;
  ck_assert_int_eq(kavro_registry_versions(reg, ":.lkc-1:inv-key", false,
                                           &versions, &count, &error),
                   (kavro_err_t)40401);
  free(versions);
  kavro_schema_destroy(a);
  kavro_registry_destroy(reg);
}
END_TEST

/* The first association of result @r. */
static const kavro_association_t *first_of(const kavro_association_result_t *r) {
  ck_assert_int_eq(r->error_code, 0);
  ck_assert_uint_ge(r->count, 1);
  return &r->associations[0];
}

/* POST /associations:batchGet and :batchMutate: one result per request,
 * in order, each its associations or its own error. */
START_TEST(test_associations_batch) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_schema_t *a = parse(schema_a);
  ck_assert_int_eq(kavro_registry_register(reg, "orders-value", a, NULL, 0,
                                           false, NULL, NULL),
                   KAVRO_OK);
  kavro_association_spec_t weak = {"orders-value", "value", NULL, NULL};
  kavro_association_spec_t strong = {NULL, "key", NULL, a};
  ck_assert_int_eq(kavro_registry_create_associations(reg, "lkc-1", "orders",
                                                      "t-1", &weak, 1, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_create_associations(reg, "lkc-1", "pay",
                                                      "t-2", &strong, 1, NULL),
                   KAVRO_OK);

  kavro_association_query_t queries[] = {
      {"t-1", NULL, NULL, NULL, NULL},
      {NULL, "pay", "lkc-1", "key", "STRONG"},
      {"unknown", NULL, NULL, NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL},
      {"t-2", NULL, NULL, "value", NULL},
      {"t-2", NULL, NULL, NULL, "WEAK"},
  };
  kavro_association_result_t *results = NULL;
  size_t count = 0;
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_batch_get_associations(
                       reg, queries, 6, KAVRO_ASSOC_INCLUDE_SCHEMAS, &results,
                       &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 6);
  const kavro_association_t *got = first_of(&results[0]);
  ck_assert_str_eq(got->subject, "orders-value");
  ck_assert_str_eq(got->resource_name, "orders");
  ck_assert_str_eq(got->resource_id, "t-1");
  ck_assert_ptr_nonnull(results[0].schemas[0]);
  /* The registry leaves "frozen" out for STRONG: frozen all the same. */
  got = first_of(&results[1]);
  ck_assert_str_eq(got->subject, ":.lkc-1:pay-key");
  ck_assert_str_eq(got->resource_id, "t-2");
  ck_assert(got->frozen);
  kavro_schema_t *included = parse(results[1].schemas[0]);
  ck_assert_str_eq(kavro_schema_canonical(included), kavro_schema_canonical(a));
  kavro_schema_destroy(included);
  ck_assert_int_eq(results[2].error_code, 0);
  ck_assert_uint_eq(results[2].count, 0);
  ck_assert_int_eq(results[3].error_code, 500);
  ck_assert_ptr_nonnull(results[3].error_message);
  for (int i = 4; i < 6; i++) { /* t-2 has a STRONG key only */
    ck_assert_int_eq(results[i].error_code, 0);
    ck_assert_uint_eq(results[i].count, 0);
  }
  ck_assert_uint_eq(served("POST /associations:batchGet"), 1);
  kavro_association_results_destroy(results, count);
  ck_assert_int_eq(kavro_registry_batch_get_associations(
                       reg, queries, 0, 0, &results, &count, &error),
                   KAVRO_ERR_INVALID_ARG);

  kavro_association_op_t drop_value = {KAVRO_ASSOC_OP_DELETE, {0}, false};
  kavro_association_op_t drop_key = {KAVRO_ASSOC_OP_DELETE,
                                     {NULL, "key", NULL, NULL}, false};
  kavro_association_op_t create = {KAVRO_ASSOC_OP_CREATE, weak, false};
  kavro_association_mutation_t mutations[] = {
      {"lkc-1", "orders", "t-1", &drop_value, 1},
      {"lkc-1", "pay", "t-2", &drop_key, 1},
      {"lkc-1", "shop", "t-5", &create, 1},
  };
  ck_assert_int_eq(kavro_registry_mutate_associations(reg, mutations, 3, 0,
                                                      &results, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 3);
  ck_assert_int_eq(results[0].error_code, 0);
  ck_assert_uint_eq(results[0].count, 0);
  ck_assert_int_eq(results[1].error_code, 40908); /* frozen */
  ck_assert_uint_eq(results[1].count, 0);
  got = first_of(&results[2]);
  ck_assert_str_eq(got->resource_id, "t-5");
  ck_assert_str_eq(got->lifecycle, "WEAK");
  kavro_association_results_destroy(results, count);

  /* A dry run of the cascade changes nothing. */
  drop_key.cascade_lifecycle = true;
  ck_assert_int_eq(kavro_registry_mutate_associations(
                       reg, &mutations[1], 1, KAVRO_ASSOC_DRY_RUN, &results,
                       &count, &error),
                   KAVRO_OK);
  ck_assert_int_eq(results[0].error_code, 0);
  kavro_association_results_destroy(results, count);
  int32_t id = 0;
  ck_assert_int_eq(kavro_registry_get_version(reg, ":.lkc-1:pay-key", 1, NULL,
                                              &id, NULL, NULL),
                   KAVRO_OK);
  kavro_association_op_t unknown = {(kavro_association_op_type_t)7, {0}, false};
  mutations[0].ops = &unknown;
  ck_assert_int_eq(kavro_registry_mutate_associations(reg, mutations, 1, 0,
                                                      &results, &count, &error),
                   KAVRO_ERR_INVALID_ARG);

  /* A reply that is no batch answer: an error, never a crash. */
  push_fault(KAVRO_MOCK_FAULT_MALFORMED, "/associations:batchGet", 0, 0, 0, 1);
  ck_assert_int_eq(kavro_registry_batch_get_associations(
                       reg, queries, 1, 0, &results, &count, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert_ptr_null(results);
  kavro_schema_destroy(a);
  kavro_registry_destroy(reg);
}
END_TEST

/* Replies that are no list of associations are errors, never a crash. */
START_TEST(test_associations_malformed) {
  kavro_registry_t *reg = client(mock_url(0), NULL);
  kavro_association_t *list = NULL;
  size_t count = 0;
  push_fault(KAVRO_MOCK_FAULT_MALFORMED, "/associations/resources/-/t", 0, 0, 0,
             1);
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_associations(reg, NULL, "t", NULL, &list,
                                               &count, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert_ptr_null(list);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- the DEK registry ---------------------------------------------------- */

static uint64_t attempts(const kavro_registry_t *reg) {
  return stats_of(reg).http_attempts;
}

/* Register the KEK @name (not shared unless @shared) through @reg. */
static kavro_kek_t *register_kek(kavro_registry_t *reg, const char *name,
                                 bool shared) {
  kavro_kek_t kek = {.name = (char *)name,
                     .kms_type = "local-kms",
                     .kms_key_id = "key-1",
                     .kms_props = "{\"b\":\"2\",\"a\":\"1\"}",
                     .doc = "orders",
                     .shared = shared};
  kavro_kek_t *made = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_registry_register_kek(reg, &kek, &made, &error) ==
                    KAVRO_OK,
                "register_kek: %s", error.text);
  return made;
}

static void register_dek(kavro_registry_t *reg, const char *kek,
                         const char *subject, int version, const char *ekm) {
  kavro_error_t error;
  kavro_dek_t *dek = NULL;
  ck_assert_msg(kavro_registry_register_dek(reg, kek, subject, version, NULL,
                                            ekm, &dek, &error) == KAVRO_OK,
                "register_dek: %s", error.text);
  ck_assert_str_eq(dek->kek_name, kek);
  ck_assert_str_eq(dek->subject, subject);
  ck_assert_int_eq(dek->version, version);
  ck_assert_str_eq(dek->algorithm, "AES256_GCM");
  ck_assert_str_eq(dek->encrypted_key_material, ekm);
  ck_assert_ptr_null(dek->key_material);
  ck_assert(!dek->deleted);
  ck_assert_int_gt(dek->ts, 1700000000000LL);
  kavro_dek_destroy(dek);
}

/* The version of the DEK (k1, @subject) at @version, or the error. */
static kavro_err_t dek_version(kavro_registry_t *reg, const char *subject,
                               int version, bool deleted, int *gotp) {
  kavro_dek_t *dek = NULL;
  kavro_err_t err = kavro_registry_get_dek(reg, "k1", subject, version, NULL,
                                           deleted, &dek, NULL);
  *gotp = dek ? dek->version : 0;
  if (dek && deleted)
    ck_assert(dek->deleted || version == KAVRO_DEK_LATEST);
  kavro_dek_destroy(dek);
  return err;
}

START_TEST(test_dek_registry_keks) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_kek_t *kek = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", false, &kek, &error),
                   KAVRO_ERR_KEK_NOT_FOUND);
  ck_assert_int_eq(error.http_status, 404);
  ck_assert_ptr_nonnull(strstr(error.text, "Key 'k1' not found"));
  /* A code the library knows: a definite answer, not retried. */
  ck_assert_str_eq(kavro_err2name(error.code), "KEK_NOT_FOUND");
  ck_assert(!kavro_error_is_retriable(&error));

  kek = register_kek(reg, "k1", false);
  ck_assert_str_eq(kek->name, "k1");
  ck_assert_str_eq(kek->kms_type, "local-kms");
  ck_assert_str_eq(kek->kms_key_id, "key-1");
  ck_assert_str_eq(kek->kms_props, "{\"a\":\"1\",\"b\":\"2\"}");
  ck_assert_str_eq(kek->doc, "orders");
  ck_assert(!kek->shared && !kek->deleted);
  ck_assert_int_gt(kek->ts, 1700000000000LL);
  /* The same KEK again is refused, as by the registry. */
  ck_assert_int_eq(kavro_registry_register_kek(reg, kek, NULL, &error),
                   KAVRO_ERR_KEY_EXISTS);
  ck_assert_int_eq(error.http_status, 409);
  kavro_kek_destroy(kek);

  /* Cached: the second get makes no request. */
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", false, &kek, &error),
                   KAVRO_OK);
  kavro_kek_destroy(kek);
  uint64_t before = attempts(reg), hits = stats_of(reg).cache_hits;
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", false, &kek, &error),
                   KAVRO_OK);
  ck_assert_str_eq(kek->kms_key_id, "key-1");
  kavro_kek_destroy(kek);
  ck_assert_uint_eq(attempts(reg), before);
  ck_assert_uint_eq(stats_of(reg).cache_hits, hits + 1);

  char **names = NULL;
  size_t count = 0;
  ck_assert_int_eq(kavro_registry_kek_names(reg, false, &names, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  ck_assert_str_eq(names[0], "k1");
  free(names);

  /* Soft delete: gone unless asked with deleted; permanent needs it. */
  ck_assert_int_eq(kavro_registry_delete_kek(reg, "k1", true, &error),
                   KAVRO_ERR_KEY_NOT_SOFT_DELETED);
  ck_assert_int_eq(kavro_registry_delete_kek(reg, "k1", false, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", false, &kek, &error),
                   KAVRO_ERR_KEK_NOT_FOUND);
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", true, &kek, &error),
                   KAVRO_OK);
  ck_assert(kek->deleted);
  kavro_kek_destroy(kek);
  ck_assert_int_eq(kavro_registry_kek_names(reg, false, &names, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 0);
  free(names);
  ck_assert_int_eq(kavro_registry_kek_names(reg, true, &names, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  free(names);
  ck_assert_int_eq(kavro_registry_undelete_kek(reg, "k1", &error), KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", false, &kek, &error),
                   KAVRO_OK);
  ck_assert(!kek->deleted);
  kavro_kek_destroy(kek);
  ck_assert_int_eq(kavro_registry_delete_kek(reg, "k1", false, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_delete_kek(reg, "k1", true, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", true, &kek, &error),
                   KAVRO_ERR_KEK_NOT_FOUND);
  ck_assert_int_eq(kavro_registry_undelete_kek(reg, "k1", &error),
                   KAVRO_ERR_KEK_NOT_FOUND);
  /* Invalid names are the registry's 42271. */
  kavro_kek_t bad = {.name = "1bad", .kms_type = "local-kms",
                     .kms_key_id = "x"};
  ck_assert_int_eq(kavro_registry_register_kek(reg, &bad, NULL, &error),
                   KAVRO_ERR_INVALID_KEY);
  ck_assert_int_eq(error.http_status, 422);
  bad.name = "ok";
  bad.kms_props = "[1]";
  ck_assert_int_eq(kavro_registry_register_kek(reg, &bad, NULL, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(test_dek_registry_deks) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_error_t error;
  kavro_dek_t *dek = NULL;
  ck_assert_int_eq(kavro_registry_register_dek(reg, "k1", "orders", 1, NULL,
                                               "AAAA", &dek, &error),
                   KAVRO_ERR_KEK_NOT_FOUND);
  kavro_kek_destroy(register_kek(reg, "k1", false));
  /* No key material under a KEK that is not shared: 42271. */
  ck_assert_int_eq(kavro_registry_register_dek(reg, "k1", "orders", 1, NULL,
                                               NULL, &dek, &error),
                   KAVRO_ERR_INVALID_KEY);
  register_dek(reg, "k1", "orders", 1, "c2VjcmV0LXdyYXBwZWQ=");
  /* The same version again: 409, and its key material is in no error. */
  ck_assert_int_eq(kavro_registry_register_dek(reg, "k1", "orders", 1, NULL,
                                               "c2VjcmV0LW90aGVy", &dek,
                                               &error),
                   KAVRO_ERR_KEY_EXISTS);
  ck_assert_int_eq(error.http_status, 409);
  ck_assert_ptr_null(strstr(error.text, "c2VjcmV0"));
  ck_assert_ptr_null(dek);

  /* The latest is cached, and forgotten by a registration. */
  int version;
  ck_assert_int_eq(dek_version(reg, "orders", KAVRO_DEK_LATEST, false, &version),
                   KAVRO_OK);
  ck_assert_int_eq(version, 1);
  uint64_t before = attempts(reg);
  ck_assert_int_eq(dek_version(reg, "orders", KAVRO_DEK_LATEST, false, &version),
                   KAVRO_OK);
  ck_assert_uint_eq(attempts(reg), before);
  register_dek(reg, "k1", "orders", 2, "c2Vjb25k");
  before = attempts(reg);
  ck_assert_int_eq(dek_version(reg, "orders", KAVRO_DEK_LATEST, false, &version),
                   KAVRO_OK);
  ck_assert_int_eq(version, 2);
  ck_assert_uint_eq(attempts(reg), before + 1);
  /* A fixed version is cached: the registration's answer counts. */
  before = attempts(reg);
  ck_assert_int_eq(dek_version(reg, "orders", 1, false, &version), KAVRO_OK);
  ck_assert_int_eq(version, 1);
  ck_assert_uint_eq(attempts(reg), before);
  /* Another algorithm is another DEK. */
  ck_assert_int_eq(kavro_registry_get_dek(reg, "k1", "orders", 1, "AES128_GCM",
                                          false, &dek, &error),
                   KAVRO_ERR_DEK_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(error.text, "Key 'orders' not found"));
  ck_assert_int_eq(dek_version(reg, "nothing", 1, false, &version),
                   KAVRO_ERR_DEK_NOT_FOUND);

  char **subjects = NULL;
  size_t count = 0;
  ck_assert_int_eq(kavro_registry_dek_subjects(reg, "k1", false, &subjects,
                                               &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 1);
  ck_assert_str_eq(subjects[0], "orders");
  free(subjects);
  int *versions = NULL;
  ck_assert_int_eq(kavro_registry_dek_versions(reg, "k1", "orders", NULL, false,
                                               &versions, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 2);
  ck_assert_int_eq(versions[0], 1);
  ck_assert_int_eq(versions[1], 2);
  free(versions);

  /* A KEK with DEKs is not deleted. */
  ck_assert_int_eq(kavro_registry_delete_kek(reg, "k1", false, &error),
                   KAVRO_ERR_KEY_REFERENCE_EXISTS);
  ck_assert_int_eq(error.http_status, 422);

  /* Delete version 1 (soft): the cached answer is forgotten. */
  ck_assert_int_eq(kavro_registry_delete_dek(reg, "k1", "orders", 1, NULL,
                                             false, &error),
                   KAVRO_OK);
  ck_assert_int_eq(dek_version(reg, "orders", 1, false, &version),
                   KAVRO_ERR_DEK_NOT_FOUND);
  ck_assert_int_eq(dek_version(reg, "orders", 1, true, &version), KAVRO_OK);
  ck_assert_int_eq(kavro_registry_undelete_dek(reg, "k1", "orders", 1, NULL,
                                               &error),
                   KAVRO_OK);
  ck_assert_int_eq(dek_version(reg, "orders", 1, false, &version), KAVRO_OK);
  /* Every version: permanent only after soft. */
  ck_assert_int_eq(kavro_registry_delete_dek(reg, "k1", "orders",
                                             KAVRO_DEK_ALL_VERSIONS, NULL, true,
                                             &error),
                   KAVRO_ERR_KEY_NOT_SOFT_DELETED);
  ck_assert_int_eq(kavro_registry_delete_dek(reg, "k1", "orders",
                                             KAVRO_DEK_ALL_VERSIONS, NULL,
                                             false, &error),
                   KAVRO_OK);
  ck_assert_int_eq(dek_version(reg, "orders", 2, false, &version),
                   KAVRO_ERR_DEK_NOT_FOUND);
  /* The KEK soft-deleted: its DEKs cannot be undeleted. */
  ck_assert_int_eq(kavro_registry_delete_kek(reg, "k1", false, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_undelete_dek(reg, "k1", "orders",
                                               KAVRO_DEK_ALL_VERSIONS, NULL,
                                               &error),
                   KAVRO_ERR_KEY_SOFT_DELETED);
  ck_assert_int_eq(kavro_registry_undelete_kek(reg, "k1", &error), KAVRO_OK);
  ck_assert_int_eq(kavro_registry_delete_dek(reg, "k1", "orders",
                                             KAVRO_DEK_ALL_VERSIONS, NULL, true,
                                             &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_dek_versions(reg, "k1", "orders", NULL, true,
                                               &versions, &count, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(count, 0);
  free(versions);
  ck_assert_int_eq(kavro_registry_get_dek(reg, "k1", "orders", 0, NULL, false,
                                          &dek, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_registry_delete_dek(reg, "k1", "orders",
                                             KAVRO_DEK_LATEST, NULL, false,
                                             &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_registry_destroy(reg);
}
END_TEST

/* A shared KEK's DEK is made by the registry through its KMS; the mock
 * has none and answers as a registry whose KMS fails. */
START_TEST(test_dek_registry_shared_kek) {
  kavro_registry_t *reg = client(mock_url(0), "max.retries", "0", NULL);
  kavro_kek_t *kek = register_kek(reg, "shared1", true);
  ck_assert(kek->shared);
  kavro_kek_destroy(kek);
  kavro_error_t error;
  kavro_dek_t *dek = NULL;
  ck_assert_int_eq(kavro_registry_register_dek(reg, "shared1", "s", 1, NULL,
                                               NULL, &dek, &error),
                   KAVRO_ERR_DEK_GENERATION);
  ck_assert_int_eq(error.http_status, 500);
  ck_assert_ptr_null(dek);
  kavro_registry_destroy(reg);
}
END_TEST

/* A registry older than the subject path answers 405: the client posts to
 * /keks/{kek}/deks instead, as Confluent's clients do. */
START_TEST(test_dek_registry_405_fallback) {
  kavro_registry_t *reg = client(mock_url(_i), NULL);
  kavro_kek_destroy(register_kek(reg, "k1", false));
  kavro_mock_fault_t fault = {KAVRO_MOCK_FAULT_ERROR, "POST",
                              "/dek-registry/v1/keks/k1/deks/", 405, 405, -1};
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 1, NULL), KAVRO_OK);
  register_dek(reg, "k1", "orders value/\xce\xb1", 1, "AAAA");
  ck_assert_uint_eq(
      served("POST /dek-registry/v1/keks/{name}/deks/{subject}"), 1);
  ck_assert_uint_eq(served("POST /dek-registry/v1/keks/{name}/deks"), 1);
  int version;
  ck_assert_int_eq(dek_version(reg, "orders value/\xce\xb1", 1, false,
                               &version),
                   KAVRO_OK);
  /* Any other refusal is not retried on the old path. */
  fault.http_status = 403;
  fault.error_code = 40301;
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 1, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_registry_register_dek(reg, "k1", "x", 1, NULL, "AAAA",
                                               NULL, NULL),
                   KAVRO_ERR_FORBIDDEN);
  ck_assert_uint_eq(served("POST /dek-registry/v1/keks/{name}/deks"), 1);
  kavro_registry_destroy(reg);
}
END_TEST

/* Many threads asking for one DEK make one request, and each gets its
 * own copy. */
typedef struct dek_race_s {
  kavro_registry_t *reg;
  pthread_barrier_t *barrier;
  kavro_dek_t *got;
  kavro_err_t err;
} dek_race_t;

static void *fetch_dek(void *opaque) {
  dek_race_t *race = opaque;
  pthread_barrier_wait(race->barrier);
  race->err = kavro_registry_get_dek(race->reg, "k1", "orders", 1, NULL, false,
                                     &race->got, NULL);
  return NULL;
}

START_TEST(test_dek_registry_threads_one_request) {
  kavro_registry_t *writer = client(mock_url(0), NULL);
  kavro_kek_destroy(register_kek(writer, "k1", false));
  register_dek(writer, "k1", "orders", 1, "AAAA");
  kavro_registry_destroy(writer);
  kavro_registry_t *reg = client(mock_url(0), NULL);
  ck_assert_int_eq(kavro_mock_set_latency(mock, "GET", "/dek-registry/", 200,
                                          NULL),
                   KAVRO_OK);
  kavro_mock_clear_requests(mock);
  enum { THREADS = 16 };
  pthread_t threads[THREADS];
  dek_race_t races[THREADS];
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    races[i] = (dek_race_t){reg, &barrier, NULL, KAVRO_ERR_INVALID_ARG};
    ck_assert_int_eq(pthread_create(&threads[i], NULL, fetch_dek, &races[i]),
                     0);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < THREADS; i++) {
    ck_assert_int_eq(races[i].err, KAVRO_OK);
    ck_assert_str_eq(races[i].got->encrypted_key_material, "AAAA");
    ck_assert(i == 0 || races[i].got != races[0].got);
  }
  for (int i = 0; i < THREADS; i++)
    kavro_dek_destroy(races[i].got);
  ck_assert_uint_eq(
      served("GET /dek-registry/v1/keks/{name}/deks/{subject}/versions/"
             "{version}"),
      1);
  kavro_registry_destroy(reg);
}
END_TEST

/* A reply that is not a KEK is a bad response, and is not cached. */
START_TEST(test_dek_registry_malformed) {
  kavro_registry_t *reg = client(mock_url(0), NULL);
  kavro_kek_destroy(register_kek(reg, "k1", false));
  push_fault(KAVRO_MOCK_FAULT_MALFORMED, "/dek-registry/v1/keks/k1", 0, 0, 0,
             1);
  kavro_kek_t *kek = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", false, &kek, &error),
                   KAVRO_ERR_BAD_RESPONSE);
  ck_assert_ptr_null(kek);
  ck_assert_int_eq(kavro_registry_get_kek(reg, "k1", false, &kek, &error),
                   KAVRO_OK);
  kavro_kek_destroy(kek);
  kavro_registry_destroy(reg);
}
END_TEST

static Suite *registry_suite(void) {
  Suite *s = suite_create("registry");
  TCase *tc = tcase_create("endpoints");
  tcase_add_checked_fixture(tc, mock_setup, mock_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_endpoints, 0, 2);
  tcase_add_loop_test(tc, test_references_three_levels, 0, 2);
  tcase_add_test(tc, test_reference_cycle);
  tcase_add_loop_test(tc, test_schema_by_guid, 0, 2);
  tcase_add_loop_test(tc, test_ids_by_guid, 0, 2);
  tcase_add_loop_test(tc, test_contracts, 0, 2);
  tcase_add_loop_test(tc, test_contract_caches, 0, 2);
  tcase_add_test(tc, test_invalid_arguments);
  tcase_add_test(tc, test_path_segment_encoding);
  suite_add_tcase(s, tc);

  tc = tcase_create("transport");
  tcase_add_checked_fixture(tc, mock_setup, mock_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_auth_headers, 0, 2);
  tcase_add_test(tc, test_credentials_absent_from_errors);
  tcase_add_loop_test(tc, test_failover_dead_to_live, 0, 2);
  tcase_add_test(tc, test_failover_on_5xx);
  tcase_add_loop_test(tc, test_retry_on_503, 0, 2);
  tcase_add_loop_test(tc, test_retry_after_on_429, 0, 2);
  tcase_add_loop_test(tc, test_no_retry_on_4xx, 0,
                      sizeof(no_retry_status) / sizeof(no_retry_status[0]));
  tcase_add_loop_test(tc, test_incompatible_40901_like_409, 0, 2);
  tcase_add_test(tc, test_ipv6_registry);
  tcase_add_loop_test(tc, test_timeout_honoured, 0, 2);
  tcase_add_loop_test(tc, test_dropped_connection_retried, 0, 2);
  tcase_add_test(tc, test_keep_alive);
  tcase_add_loop_test(tc, test_tls_verification, 0,
                      sizeof(tls_cases) / sizeof(tls_cases[0]));
  tcase_add_loop_test(tc, test_malformed_reply, 0, 2);
  tcase_add_loop_test(tc, test_oversized_reply, 0, 2);
  tcase_add_test(tc, test_oversized_chunked_reply);
  tcase_add_loop_test(tc, test_backoff_bounds, 0, 2);
  tcase_add_loop_test(tc, test_bad_reply_shapes, 0,
                      sizeof(bad_shapes) / sizeof(bad_shapes[0]));
  suite_add_tcase(s, tc);

  tc = tcase_create("auth");
  tcase_add_checked_fixture(tc, mock_setup, mock_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_oauth_token_used_and_cached, 0, 2);
  tcase_add_loop_test(tc, test_oauth_inherited_from_kafka, 0, 2);
  tcase_add_test(tc, test_oauth_401_refetches_once);
  tcase_add_test(tc, test_oauth_threads_share_token);
  tcase_add_loop_test(tc, test_oauth_issuer_failures, 0, 4);
  tcase_add_test(tc, test_oauth_claim_names);
  tcase_add_loop_test(tc, test_mock_requires_basic_auth, 0, 2);
  tcase_add_test(tc, test_proxy);
  suite_add_tcase(s, tc);

  tc = tcase_create("caches");
  tcase_add_checked_fixture(tc, mock_setup, mock_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_64_threads_one_request, 0, 2);
  tcase_add_test(tc, test_failure_not_cached);
  tcase_add_test(tc, test_warm_cache_no_requests);
  tcase_add_test(tc, test_cache_keys_on_identity);
  tcase_add_test(tc, test_clock_eviction);
  tcase_add_test(tc, test_latest_ttl);
  tcase_add_loop_test(tc, test_missing_id_remembered, 0, 2);
  tcase_add_test(tc, test_missing_transient_not_cached);
  tcase_add_test(tc, test_missing_size_bound);
  tcase_add_loop_test(tc, test_missing_versions_lookups_guids, 0, 2);
  tcase_add_loop_test(tc, test_contexts, 0, 2);
  tcase_add_loop_test(tc, test_associations, 0, 2);
  tcase_add_test(tc, test_associations_malformed);
  tcase_add_loop_test(tc, test_associations_upsert, 0, 2);
  tcase_add_loop_test(tc, test_associations_batch, 0, 2);
  suite_add_tcase(s, tc);

  tc = tcase_create("dek-registry");
  tcase_add_checked_fixture(tc, mock_setup, mock_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_dek_registry_keks, 0, 2);
  tcase_add_loop_test(tc, test_dek_registry_deks, 0, 2);
  tcase_add_test(tc, test_dek_registry_shared_kek);
  tcase_add_loop_test(tc, test_dek_registry_405_fallback, 0, 2);
  tcase_add_test(tc, test_dek_registry_malformed);
  tcase_add_test(tc, test_dek_registry_threads_one_request);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(registry_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
