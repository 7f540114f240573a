/*
 * kavro tests - the mock Schema Registry: every endpoint, in the process
 * (mock://) and over HTTP on loopback (libcurl as a plain client), the
 * registry's rules (ids, versions, deletes, levels, references), fault
 * injection, concurrency and the JSON file.
 *
 * Endpoint tests are loop tests: iteration 0 goes through the in-process
 * seam, iteration 1 through HTTP, so both paths answer the same way.
 */
#include <check.h>
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "inproc_int.h"
#include "mock_int.h"
#include "common_strbuf_int.h"
#include "legacy_schemas.h"
#include "serde_fixture.h"
#include "testutil.h"

#define SCOPE "check-mock"

/* ---- fixture and transports ------------------------------------------- */

static kavro_mock_t *mock;
static int over_http; /* the loop index: 0 in-process, 1 HTTP */

static void setup(void) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, &error), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, &error), KAVRO_OK);
}

static void teardown(void) {
  kavro_mock_destroy(mock);
  mock = NULL;
}

typedef struct answer_s {
  kv_http_outcome_t outcome; /* DROPPED also for a refused connection */
  int status;
  char *body;
  json_t *json;              /* the body parsed, or NULL */
  int error_code;            /* the body's error_code, or 0 */
  char content_type[128];
  int retry_after;           /* -1 when absent */
  CURLcode curl_code;
  double seconds;
} answer_t;

static void answer_free(answer_t *a) {
  free(a->body);
  json_decref(a->json);
  memset(a, 0, sizeof(*a));
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void parse_body(answer_t *a) {
  a->json = a->body ? json_loads(a->body, JSON_DECODE_ANY, NULL) : NULL;
  json_t *code = json_is_object(a->json) ? json_object_get(a->json, "error_code") : NULL;
  a->error_code = code ? (int)json_integer_value(code) : 0;
}

static answer_t call_inproc(const char *method, const char *target,
                            const char *body, long timeout_ms) {
  char *path = strdup(target);
  char *query = strchr(path, '?');
  if (query)
    *query++ = '\0';
  kv_http_request_t request = {.method = method,
                               .path = path,
                               .query = query,
                               .content_type = body ? KV_MOCK_CONTENT_TYPE : NULL,
                               .body = body,
                               .body_length = body ? strlen(body) : 0};
  kv_http_response_t response;
  answer_t a = {.retry_after = -1};
  double start = now_seconds();
  ck_assert_int_eq(kv_inproc_send(SCOPE, &request, timeout_ms, &response), KAVRO_OK);
  a.seconds = now_seconds() - start;
  a.outcome = response.outcome;
  a.status = response.status;
  a.body = response.body;
  response.body = NULL;
  snprintf(a.content_type, sizeof(a.content_type), "%s", response.content_type);
  a.retry_after = response.retry_after_seconds;
  kv_http_response_clear(&response);
  free(path);
  parse_body(&a);
  return a;
}

typedef struct sink_s {
  char *data;
  size_t length;
} sink_t;

static size_t on_data(char *data, size_t size, size_t n, void *userdata) {
  sink_t *sink = userdata;
  char *bigger = realloc(sink->data, sink->length + size * n + 1);
  ck_assert_ptr_nonnull(bigger);
  memcpy(bigger + sink->length, data, size * n);
  sink->length += size * n;
  bigger[sink->length] = '\0';
  sink->data = bigger;
  return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata) {
  answer_t *a = userdata;
  size_t length = size * n;
  if (length > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
    a->retry_after = atoi(data + 12);
  return length;
}

/* Send over HTTP with @headers (NULL: a Content-Type when there is a
 * body) on @curl (NULL: a new handle). */
static answer_t call_http_with(CURL *curl, const char *method, const char *target,
                               const char *body, size_t body_length,
                               struct curl_slist *headers) {
  const char *base = kavro_mock_url(mock);
  char *url = malloc(strlen(base) + strlen(target) + 1);
  strcpy(url, base);
  strcat(url, target);
  CURL *own = curl ? NULL : curl_easy_init();
  CURL *h = curl ? curl : own;
  struct curl_slist *default_headers = NULL;
  if (!headers && body)
    default_headers = curl_slist_append(NULL, "Content-Type: " KV_MOCK_CONTENT_TYPE);
  answer_t a = {.retry_after = -1};
  sink_t sink = {NULL, 0};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers ? headers : default_headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
  if (body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
  } else {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, strcmp(method, "GET") == 0 ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  }
  double start = now_seconds();
  a.curl_code = curl_easy_perform(h);
  a.seconds = now_seconds() - start;
  if (a.curl_code == CURLE_OK) {
    long status = 0;
    char *type = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
    a.outcome = KV_HTTP_ANSWERED;
    a.status = (int)status;
    snprintf(a.content_type, sizeof(a.content_type), "%s", type ? type : "");
    a.body = sink.data ? sink.data : strdup("");
  } else {
    a.outcome = KV_HTTP_DROPPED;
    free(sink.data);
  }
  curl_slist_free_all(default_headers);
  curl_easy_cleanup(own);
  free(url);
  parse_body(&a);
  return a;
}

static answer_t call(const char *method, const char *target, const char *body) {
  if (over_http)
    return call_http_with(NULL, method, target, body, body ? strlen(body) : 0, NULL);
  return call_inproc(method, target, body, 0);
}

/* Call and check the status (and, for errors, the registry code). */
static answer_t expect(const char *method, const char *target, const char *body,
                       int status, int error_code) {
  answer_t a = call(method, target, body);
  ck_assert_msg(a.outcome == KV_HTTP_ANSWERED, "%s %s: no answer", method, target);
  ck_assert_msg(a.status == status && a.error_code == error_code,
                "%s %s: got %d/%d (%s), want %d/%d", method, target, a.status,
                a.error_code, a.body, status, error_code);
  ck_assert_str_eq(a.content_type, KV_MOCK_CONTENT_TYPE);
  return a;
}

static void expect_done(const char *method, const char *target, const char *body,
                        int status, int error_code) {
  answer_t a = expect(method, target, body, status, error_code);
  answer_free(&a);
}

/* The body {"schema": @schema[, "references": @refs]} as text. */
static char *schema_body(const char *schema, const char *refs) {
  json_t *body = json_pack("{s:s}", "schema", schema);
  if (refs)
    json_object_set_new(body, "references", json_loads(refs, 0, NULL));
  char *text = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  return text;
}

static int register_ok(const char *subject_path, const char *schema,
                       const char *refs) {
  char target[512], *body = schema_body(schema, refs);
  snprintf(target, sizeof(target), "/subjects/%s/versions", subject_path);
  answer_t a = expect("POST", target, body, 200, 0);
  int id = (int)json_integer_value(json_object_get(a.json, "id"));
  ck_assert_int_ge(id, 1);
  answer_free(&a);
  free(body);
  return id;
}

static void register_fails(const char *subject_path, const char *schema,
                           const char *refs, int status, int error_code) {
  char target[512], *body = schema_body(schema, refs);
  snprintf(target, sizeof(target), "/subjects/%s/versions", subject_path);
  expect_done("POST", target, body, status, error_code);
  free(body);
}

/* POST @schema to /subjects/@subject_path/versions with "id" @id and
 * "version" @version (0: none), expecting @status and @error_code. */
static void import_expect(const char *subject_path, const char *schema, int id,
                          int version, int status, int error_code) {
  char target[512];
  json_t *body = json_pack("{s:s}", "schema", schema);
  if (id)
    json_object_set_new(body, "id", json_integer(id));
  if (version)
    json_object_set_new(body, "version", json_integer(version));
  char *text = json_dumps(body, JSON_COMPACT);
  snprintf(target, sizeof(target), "/subjects/%s/versions", subject_path);
  answer_t a = expect("POST", target, text, status, error_code);
  if (!error_code)
    ck_assert_int_eq(json_integer_value(json_object_get(a.json, "id")), id);
  answer_free(&a);
  free(text);
  json_decref(body);
}

/* The JSON answer of a GET that must succeed. */
static json_t *get_json(const char *target) {
  answer_t a = expect("GET", target, NULL, 200, 0);
  json_t *json = json_incref(a.json);
  answer_free(&a);
  return json;
}

/* Whether GET @target answers @expected (JSON text, compared as JSON). */
static void get_equals(const char *target, const char *expected) {
  json_t *got = get_json(target), *want = json_loads(expected, JSON_DECODE_ANY, NULL);
  ck_assert_ptr_nonnull(want);
  char *text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
  ck_assert_msg(json_equal(got, want), "GET %s: got %s, want %s", target, text,
                expected);
  free(text);
  json_decref(got);
  json_decref(want);
}

static const char *field_int(const json_t *json, const char *name) {
  static char text[32];
  snprintf(text, sizeof(text), "%lld",
           (long long)json_integer_value(json_object_get(json, name)));
  return text;
}

/* ---- schemas ----------------------------------------------------------- */

#define ORDER_V1 \
  "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\"," \
  "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}"
/* ORDER_V1 as a person might format it. */
#define ORDER_V1_PRETTY                                                     \
  "{\n  \"namespace\": \"com.acme\",\n  \"type\": \"record\",\n"            \
  "  \"name\": \"Order\",\n  \"fields\": [ { \"type\": \"string\", "        \
  "\"name\": \"id\" } ]\n}"
#define ORDER_V2 \
  "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\"," \
  "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}," \
  "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}]}"
/* A field without a default: breaks BACKWARD against ORDER_V1/V2. */
#define ORDER_BAD \
  "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\"," \
  "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}," \
  "{\"name\":\"customer\",\"type\":\"string\"}]}"
/* ORDER_V2 with "note" required: BACKWARD against V2, not against V1. */
#define ORDER_V3_STRICT \
  "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\"," \
  "\"fields\":[{\"name\":\"id\",\"type\":\"string\"}," \
  "{\"name\":\"note\",\"type\":\"string\"}]}"
/* ORDER_V1 without its field: breaks FORWARD. */
#define ORDER_EMPTY \
  "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\"," \
  "\"fields\":[]}"

#define MONEY \
  "{\"type\":\"record\",\"name\":\"Money\",\"namespace\":\"com.acme\"," \
  "\"fields\":[{\"name\":\"cents\",\"type\":\"long\"}]}"
#define PRICE \
  "{\"type\":\"record\",\"name\":\"Price\",\"namespace\":\"com.acme\"," \
  "\"fields\":[{\"name\":\"amount\",\"type\":\"com.acme.Money\"}]}"
#define INVOICE \
  "{\"type\":\"record\",\"name\":\"Invoice\",\"namespace\":\"com.acme\"," \
  "\"fields\":[{\"name\":\"price\",\"type\":\"com.acme.Price\"}," \
  "{\"name\":\"paid\",\"type\":\"com.acme.Money\"}]}"
#define MONEY_REF "[{\"name\":\"com.acme.Money\",\"subject\":\"money\",\"version\":1}]"
#define PRICE_REF "[{\"name\":\"com.acme.Price\",\"subject\":\"price\",\"version\":1}]"

/* ---- the endpoints ----------------------------------------------------- */

START_TEST(test_root_and_types) {
  over_http = _i;
  get_equals("/", "{}");
  get_equals("/schemas/types", "[\"AVRO\"]");
  get_equals("/subjects", "[]");
  get_equals("/config", "{\"compatibilityLevel\":\"BACKWARD\"}");
  get_equals("/mode", "{\"mode\":\"READWRITE\"}");
  expect_done("GET", "/nowhere", NULL, 404, 404);
  expect_done("GET", "/schemas/ids/1/elsewhere", NULL, 404, 404);
  expect_done("PUT", "/subjects", "{}", 405, 405);
  expect_done("DELETE", "/schemas/types", NULL, 405, 405);
}
END_TEST

START_TEST(test_ids_and_versions) {
  over_http = _i;
  int id1 = register_ok("orders-value", ORDER_V1, NULL);
  ck_assert_int_eq(id1, 1);
  /* The same schema, formatted differently, under another subject. */
  ck_assert_int_eq(register_ok("other-value", ORDER_V1_PRETTY, NULL), id1);
  int id2 = register_ok("orders-value", ORDER_V2, NULL);
  ck_assert_int_eq(id2, 2);
  /* Registering again is idempotent: no new version. */
  ck_assert_int_eq(register_ok("orders-value", ORDER_V1, NULL), id1);
  ck_assert_int_eq(register_ok("orders-value", ORDER_V2, NULL), id2);

  get_equals("/subjects", "[\"orders-value\",\"other-value\"]");
  get_equals("/subjects/orders-value/versions", "[1,2]");
  get_equals("/subjects/other-value/versions", "[1]");
  get_equals("/schemas/ids/1/versions",
             "[{\"subject\":\"orders-value\",\"version\":1},"
             "{\"subject\":\"other-value\",\"version\":1}]");
  get_equals("/schemas/ids/1/subjects", "[\"orders-value\",\"other-value\"]");

  json_t *latest = get_json("/subjects/orders-value/versions/latest");
  ck_assert_str_eq(json_string_value(json_object_get(latest, "subject")), "orders-value");
  ck_assert_str_eq(field_int(latest, "version"), "2");
  ck_assert_str_eq(field_int(latest, "id"), "2");
  ck_assert_ptr_null(json_object_get(latest, "references"));
  ck_assert_ptr_null(json_object_get(latest, "schemaType"));
  const char *served = json_string_value(json_object_get(latest, "schema"));
  ck_assert_ptr_nonnull(served);
  ck_assert_ptr_nonnull(strstr(served, "\"note\""));

  json_t *by_id = get_json("/schemas/ids/1?subject=orders-value");
  json_t *v1 = get_json("/subjects/orders-value/versions/1");
  ck_assert_str_eq(json_string_value(json_object_get(by_id, "schema")),
                   json_string_value(json_object_get(v1, "schema")));
  /* The raw schema endpoints answer with the schema itself. */
  json_t *raw = get_json("/subjects/orders-value/versions/1/schema");
  json_t *raw_by_id = get_json("/schemas/ids/1/schema");
  json_t *original = json_loads(ORDER_V1, 0, NULL);
  ck_assert(json_equal(raw, raw_by_id));
  ck_assert_str_eq(json_string_value(json_object_get(raw, "name")), "Order");
  ck_assert(json_equal(json_object_get(raw, "fields"), json_object_get(original, "fields")));
  json_decref(original);
  json_decref(raw);
  json_decref(raw_by_id);
  json_decref(v1);
  json_decref(by_id);
  json_decref(latest);
  json_t *minus_one = get_json("/subjects/orders-value/versions/-1");
  ck_assert_str_eq(field_int(minus_one, "version"), "2");
  json_decref(minus_one);
}
END_TEST

START_TEST(test_read_errors) {
  over_http = _i;
  register_ok("orders-value", ORDER_V1, NULL);
  expect_done("GET", "/subjects/nobody/versions", NULL, 404, 40401);
  expect_done("GET", "/subjects/nobody/versions/1", NULL, 404, 40401);
  expect_done("GET", "/subjects/orders-value/versions/7", NULL, 404, 40402);
  expect_done("GET", "/subjects/orders-value/versions/abc", NULL, 422, 42202);
  expect_done("GET", "/subjects/orders-value/versions/0", NULL, 422, 42202);
  expect_done("GET", "/subjects/orders-value/versions/2147483648", NULL, 422, 42202);
  expect_done("GET", "/schemas/ids/99", NULL, 404, 40403);
  expect_done("GET", "/schemas/ids/x", NULL, 404, 40403);
  expect_done("GET", "/schemas/ids/99/versions", NULL, 404, 40403);
}
END_TEST

START_TEST(test_invalid_registrations) {
  over_http = _i;
  register_fails("s", "{\"type\":\"nope\"}", NULL, 422, 42201);
  register_fails("s", "not json", NULL, 422, 42201);
  expect_done("POST", "/subjects/s/versions", "{\"schema\":", 400, 400);
  expect_done("POST", "/subjects/s/versions", "[1]", 422, 422);
  expect_done("POST", "/subjects/s/versions", "{}", 422, 42201);
  expect_done("POST", "/subjects/s/versions",
              "{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"PROTOBUF\"}", 422, 42201);
  /* Python sends schemaType AVRO with references. */
  expect_done("POST", "/subjects/s/versions",
              "{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"AVRO\",\"references\":[]}",
              200, 0);
  register_fails("t", PRICE, NULL, 422, 42201); /* Money unknown */
  register_fails("t", PRICE, MONEY_REF, 422, 42201); /* no subject money */
  register_fails("t", PRICE, "[{\"name\":\"x\"}]", 422, 42201);
  get_equals("/subjects", "[\"s\"]");
}
END_TEST

START_TEST(test_lookup) {
  over_http = _i;
  int id = register_ok("orders-value", ORDER_V1, NULL);
  register_ok("orders-value", ORDER_V2, NULL);
  char *pretty = schema_body(ORDER_V1_PRETTY, NULL);
  answer_t a = expect("POST", "/subjects/orders-value", pretty, 200, 0);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "subject")), "orders-value");
  ck_assert_int_eq(json_integer_value(json_object_get(a.json, "version")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(a.json, "id")), id);
  ck_assert(json_is_string(json_object_get(a.json, "schema")));
  answer_free(&a);
  char *bad = schema_body(ORDER_BAD, NULL);
  expect_done("POST", "/subjects/orders-value", bad, 404, 40403);
  expect_done("POST", "/subjects/nobody", pretty, 404, 40401);
  /* A soft-deleted version is found only with deleted=true. */
  expect_done("DELETE", "/subjects/orders-value/versions/1", NULL, 200, 0);
  expect_done("POST", "/subjects/orders-value", pretty, 404, 40403);
  expect_done("POST", "/subjects/orders-value?deleted=true", pretty, 200, 0);
  /* A subject soft-deleted as a whole is not found without deleted=true
   * (40401, as hasSubjects() answers), its versions are with it.  The
   * registry has no other parameter for this: lookupDeletedSchema is the
   * Java name of "deleted". */
  expect_done("DELETE", "/subjects/orders-value", NULL, 200, 0);
  expect_done("POST", "/subjects/orders-value", pretty, 404, 40401);
  answer_t found = expect("POST", "/subjects/orders-value?deleted=true", pretty,
                          200, 0);
  ck_assert_int_eq(json_integer_value(json_object_get(found.json, "version")), 1);
  answer_free(&found);
  expect_done("POST", "/subjects/orders-value?lookupDeletedSchema=true", pretty,
              404, 40401);
  free(bad);
  free(pretty);
}
END_TEST

/* A schema the specification forbids, held from long ago (a stored file
 * loaded): the mock serves it, finds it on lookup and checks against it,
 * as a registry reads the schemas it holds; registering it anew, or
 * testing it as a new version, is refused, as for any new schema. */
START_TEST(test_legacy_schema_held) {
  over_http = _i;
  const char *text = kt_legacy[0].text;
  kt_mock_hold(mock, "old-value", &text, 1);
  answer_t a = expect("GET", "/schemas/ids/1", NULL, 200, 0);
  ck_assert_ptr_nonnull(
      strstr(json_string_value(json_object_get(a.json, "schema")),
             "\"default\":\"true\""));
  answer_free(&a);
  char *body = schema_body(text, NULL);
  a = expect("POST", "/subjects/old-value", body, 200, 0);
  ck_assert_int_eq(json_integer_value(json_object_get(a.json, "id")), 1);
  answer_free(&a);
  expect_done("POST", "/subjects/old-value/versions", body, 422, 42201);
  expect_done("POST", "/subjects/other-value/versions", body, 422, 42201);
  expect_done("POST", "/compatibility/subjects/old-value/versions/latest", body,
              422, 42201);
  char *next = schema_body(kt_legacy_v1, NULL);
  a = expect("POST", "/compatibility/subjects/old-value/versions/latest", next,
             200, 0);
  ck_assert(json_is_true(json_object_get(a.json, "is_compatible")));
  answer_free(&a);
  ck_assert_int_ge(register_ok("old-value", kt_legacy_v1, NULL), 2);
  free(next);
  free(body);
}
END_TEST

START_TEST(test_delete_version_rules) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  register_ok("s", ORDER_V2, NULL);
  expect_done("DELETE", "/subjects/s/versions/1?permanent=true", NULL, 404, 40407);
  answer_t a = expect("DELETE", "/subjects/s/versions/1", NULL, 200, 0);
  ck_assert_str_eq(a.body, "1");
  answer_free(&a);
  expect_done("DELETE", "/subjects/s/versions/1", NULL, 404, 40406);
  get_equals("/subjects/s/versions", "[2]");
  get_equals("/subjects/s/versions?deleted=true", "[1,2]");
  expect_done("GET", "/subjects/s/versions/1", NULL, 404, 40402);
  expect_done("GET", "/subjects/s/versions/1?deleted=true", NULL, 200, 0);
  /* A soft-deleted version's id still resolves. */
  expect_done("GET", "/schemas/ids/1", NULL, 200, 0);
  get_equals("/schemas/ids/1/versions", "[]");
  get_equals("/schemas/ids/1/versions?deleted=true",
             "[{\"subject\":\"s\",\"version\":1}]");
  expect_done("DELETE", "/subjects/s/versions/1?permanent=true", NULL, 200, 0);
  expect_done("GET", "/subjects/s/versions/1?deleted=true", NULL, 404, 40402);
  expect_done("GET", "/schemas/ids/1", NULL, 404, 40403);
  expect_done("DELETE", "/subjects/s/versions/9", NULL, 404, 40402);
  expect_done("DELETE", "/subjects/nobody/versions/1", NULL, 404, 40401);
  expect_done("DELETE", "/subjects/s/versions/x", NULL, 422, 42202);
  /* "latest" is the newest version. */
  a = expect("DELETE", "/subjects/s/versions/latest", NULL, 200, 0);
  ck_assert_str_eq(a.body, "2");
  answer_free(&a);
}
END_TEST

START_TEST(test_delete_subject_rules) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  register_ok("s", ORDER_V2, NULL);
  register_ok("keep", ORDER_V1, NULL);
  expect_done("DELETE", "/subjects/s?permanent=true", NULL, 404, 40405);
  get_equals("/subjects/s/versions", "[1,2]");
  answer_t a = expect("DELETE", "/subjects/s", NULL, 200, 0);
  ck_assert_str_eq(a.body, "[1,2]");
  answer_free(&a);
  expect_done("DELETE", "/subjects/s", NULL, 404, 40404);
  get_equals("/subjects", "[\"keep\"]");
  get_equals("/subjects?deleted=true", "[\"keep\",\"s\"]");
  expect_done("GET", "/subjects/s/versions", NULL, 404, 40401);
  get_equals("/subjects/s/versions?deleted=true", "[1,2]");
  a = expect("DELETE", "/subjects/s?permanent=true", NULL, 200, 0);
  ck_assert_str_eq(a.body, "[1,2]");
  answer_free(&a);
  get_equals("/subjects?deleted=true", "[\"keep\"]");
  expect_done("DELETE", "/subjects/s", NULL, 404, 40401);
  /* Back from nothing: version 1 again, and the old id for the old schema. */
  ck_assert_int_eq(register_ok("s", ORDER_V2, NULL), 2);
  get_equals("/subjects/s/versions", "[1]");
}
END_TEST

/* A soft-deleted version registered again (Confluent Platform 6.2 and
 * later): the schema keeps its id and gets the next version, and the
 * soft-deleted version with that id is gone, ?deleted=true included. */
START_TEST(test_reregister_after_soft_delete) {
  over_http = _i;
  int id = register_ok("s", ORDER_V1, NULL);
  register_ok("s", ORDER_V2, NULL);
  expect_done("DELETE", "/subjects/s/versions/1", NULL, 200, 0);
  ck_assert_int_eq(register_ok("s", ORDER_V1, NULL), id);
  get_equals("/subjects/s/versions", "[2,3]");
  get_equals("/subjects/s/versions?deleted=true", "[2,3]");
  expect_done("GET", "/subjects/s/versions/1?deleted=true", NULL, 404, 40402);
  get_equals("/schemas/ids/1/versions?deleted=true",
             "[{\"subject\":\"s\",\"version\":3}]");
  json_t *v = get_json("/subjects/s/versions/3");
  ck_assert_int_eq(json_integer_value(json_object_get(v, "id")), id);
  json_decref(v);
  /* The same after the whole subject was soft-deleted. */
  expect_done("DELETE", "/subjects/s", NULL, 200, 0);
  ck_assert_int_eq(register_ok("s", ORDER_V2, NULL), 2);
  get_equals("/subjects/s/versions", "[4]");
  get_equals("/subjects/s/versions?deleted=true", "[3,4]");
  char *body = schema_body(ORDER_V1, NULL);
  expect_done("POST", "/subjects/s?deleted=true", body, 200, 0);
  free(body);
}
END_TEST

static void set_level(const char *subject, const char *level) {
  char target[256], body[128];
  snprintf(target, sizeof(target), subject ? "/config/%s" : "/config",
           subject ? subject : "");
  snprintf(body, sizeof(body), "{\"compatibility\":\"%s\"}", level);
  answer_t a = expect("PUT", target, body, 200, 0);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "compatibility")), level);
  answer_free(&a);
}

START_TEST(test_backward_refusal) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  char *bad = schema_body(ORDER_BAD, NULL);
  answer_t a = expect("POST", "/subjects/s/versions", bad, 409, 409);
  const char *message = json_string_value(json_object_get(a.json, "message"));
  ck_assert_ptr_nonnull(strstr(message, "incompatible"));
  ck_assert_ptr_nonnull(strstr(message, "customer"));
  ck_assert_ptr_nonnull(strstr(message, "READER_FIELD_MISSING_DEFAULT_VALUE"));
  ck_assert_ptr_nonnull(strstr(message, "BACKWARD"));
  answer_free(&a);
  get_equals("/subjects/s/versions", "[1]");
  register_ok("s", ORDER_V2, NULL);
  /* The refused schema is fine under NONE, and elsewhere. */
  set_level("s", "NONE");
  register_ok("s", ORDER_BAD, NULL);
  register_ok("fresh", ORDER_BAD, NULL);
  free(bad);
}
END_TEST

START_TEST(test_other_levels) {
  over_http = _i;
  /* FORWARD: the old schema must read the new one. */
  set_level("fwd", "FORWARD");
  register_ok("fwd", ORDER_V1, NULL);
  register_fails("fwd", ORDER_EMPTY, NULL, 409, 409);
  register_ok("fwd", ORDER_BAD, NULL); /* the old reader ignores "customer" */
  /* FULL: both ways. */
  set_level("full", "FULL");
  register_ok("full", ORDER_V1, NULL);
  register_fails("full", ORDER_BAD, NULL, 409, 409);
  register_fails("full", ORDER_EMPTY, NULL, 409, 409);
  register_ok("full", ORDER_V2, NULL);
  /* BACKWARD checks the latest only; BACKWARD_TRANSITIVE every version. */
  register_ok("bt", ORDER_V1, NULL);
  register_ok("bt", ORDER_V2, NULL);
  set_level("bt", "BACKWARD_TRANSITIVE");
  register_fails("bt", ORDER_V3_STRICT, NULL, 409, 409);
  set_level("bt", "BACKWARD");
  register_ok("bt", ORDER_V3_STRICT, NULL);
  /* The global level applies to subjects without one. */
  set_level(NULL, "FORWARD_TRANSITIVE");
  register_ok("g", ORDER_V1, NULL);
  register_fails("g", ORDER_EMPTY, NULL, 409, 409);
  /* Soft-deleted versions no longer count. */
  expect_done("DELETE", "/subjects/g/versions/1", NULL, 200, 0);
  register_ok("g", ORDER_EMPTY, NULL);
  get_equals("/subjects/g/versions?deleted=true", "[1,2]");
}
END_TEST

START_TEST(test_config) {
  over_http = _i;
  set_level(NULL, "FULL");
  get_equals("/config", "{\"compatibilityLevel\":\"FULL\"}");
  expect_done("PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}", 422, 42203);
  expect_done("PUT", "/config", "{}", 422, 42203);
  expect_done("GET", "/config/s", NULL, 404, 40408);
  get_equals("/config/s?defaultToGlobal=true", "{\"compatibilityLevel\":\"FULL\"}");
  /* Lower case is accepted and answered in upper case. */
  expect_done("PUT", "/config/s", "{\"compatibility\":\"none\"}", 200, 0);
  get_equals("/config/s", "{\"compatibilityLevel\":\"NONE\"}");
  get_equals("/subjects", "[]"); /* a level alone makes no subject */
  get_equals("/config/s?defaultToGlobal=true", "{\"compatibilityLevel\":\"NONE\"}");
  answer_t a = expect("DELETE", "/config/s", NULL, 200, 0);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "compatibilityLevel")), "NONE");
  answer_free(&a);
  expect_done("GET", "/config/s", NULL, 404, 40408);
  expect_done("DELETE", "/config/s", NULL, 404, 40401);
  a = expect("DELETE", "/config", NULL, 200, 0);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "compatibilityLevel")), "FULL");
  answer_free(&a);
  get_equals("/config", "{\"compatibilityLevel\":\"BACKWARD\"}");
}
END_TEST

START_TEST(test_mode) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  expect_done("PUT", "/mode", "{\"mode\":\"READONLY\"}", 200, 0);
  get_equals("/mode", "{\"mode\":\"READONLY\"}");
  register_fails("s", ORDER_V2, NULL, 422, 42205);
  expect_done("DELETE", "/subjects/s", NULL, 422, 42205);
  expect_done("DELETE", "/subjects/s/versions/1", NULL, 422, 42205);
  expect_done("GET", "/subjects/s/versions/1", NULL, 200, 0);
  expect_done("PUT", "/mode", "{\"mode\":\"SOMETIMES\"}", 422, 42204);
  /* IMPORT takes schemas with their ids only, and skips the
   * compatibility check. */
  expect_done("PUT", "/mode", "{\"mode\":\"IMPORT\"}", 200, 0);
  register_fails("s", ORDER_BAD, NULL, 422, 42205);
  import_expect("s", ORDER_BAD, 7, 0, 200, 0);
  expect_done("PUT", "/mode", "{\"mode\":\"READWRITE\"}", 200, 0);
  register_ok("s", ORDER_V2, NULL);
  get_equals("/subjects/s/versions", "[1,2,3]");
}
END_TEST

/* A subject's own mode wins over the global one, for that subject only. */
START_TEST(test_subject_mode) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  expect_done("GET", "/mode/s", NULL, 404, 40409);
  get_equals("/mode/s?defaultToGlobal=true", "{\"mode\":\"READWRITE\"}");
  expect_done("PUT", "/mode/s", "{\"mode\":\"READONLY\"}", 200, 0);
  get_equals("/mode/s", "{\"mode\":\"READONLY\"}");
  get_equals("/mode", "{\"mode\":\"READWRITE\"}");
  register_fails("s", ORDER_V2, NULL, 422, 42205);
  register_ok("t", ORDER_V2, NULL);
  expect_done("PUT", "/mode/t", "{\"mode\":\"SOMETIMES\"}", 422, 42204);
  /* IMPORT on one subject skips its compatibility check only. */
  expect_done("PUT", "/mode/t", "{\"mode\":\"IMPORT\"}", 200, 0);
  import_expect("t", ORDER_BAD, 9, 0, 200, 0);
  import_expect("u", ORDER_BAD, 9, 0, 422, 42205);
  expect_done("DELETE", "/mode/s", NULL, 200, 0);
  expect_done("DELETE", "/mode/s", NULL, 404, 40401);
  register_ok("s", ORDER_V2, NULL);
  /* A mode alone keeps a subject known to /mode. */
  expect_done("PUT", "/mode/empty", "{\"mode\":\"READONLY\"}", 200, 0);
  get_equals("/mode/empty", "{\"mode\":\"READONLY\"}");
  expect_done("DELETE", "/mode/empty", NULL, 200, 0);
  expect_done("GET", "/mode/empty", NULL, 404, 40409);
}
END_TEST

static void expect_compat(const char *target, const char *schema, bool compatible) {
  char *body = schema_body(schema, NULL);
  answer_t a = expect("POST", target, body, 200, 0);
  ck_assert_msg(json_is_boolean(json_object_get(a.json, "is_compatible")) &&
                    json_is_true(json_object_get(a.json, "is_compatible")) == compatible,
                "POST %s: %s", target, a.body);
  json_t *messages = json_object_get(a.json, "messages");
  if (strstr(target, "verbose=true")) {
    ck_assert(json_is_array(messages));
    ck_assert_int_eq(json_array_size(messages) > 0, !compatible);
  } else {
    ck_assert_ptr_null(messages);
  }
  answer_free(&a);
  free(body);
}

START_TEST(test_compatibility_endpoint) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  register_ok("s", ORDER_V2, NULL);
  expect_compat("/compatibility/subjects/s/versions/latest", ORDER_BAD, false);
  expect_compat("/compatibility/subjects/s/versions/latest?verbose=true", ORDER_BAD, false);
  expect_compat("/compatibility/subjects/s/versions/latest?verbose=true", ORDER_V2, true);
  expect_compat("/compatibility/subjects/s/versions/latest", ORDER_V3_STRICT, true);
  expect_compat("/compatibility/subjects/s/versions/1", ORDER_V3_STRICT, false);
  /* Without a version: what registering would check. */
  set_level("s", "BACKWARD_TRANSITIVE");
  expect_compat("/compatibility/subjects/s/versions", ORDER_V3_STRICT, false);
  expect_compat("/compatibility/subjects/s/versions/2", ORDER_V3_STRICT, true);
  /* Nothing to compare with: compatible. */
  expect_compat("/compatibility/subjects/nobody/versions/latest", ORDER_BAD, true);
  char *body = schema_body(ORDER_V1, NULL);
  expect_done("POST", "/compatibility/subjects/s/versions/9", body, 404, 40402);
  expect_done("POST", "/compatibility/subjects/s/versions/x", body, 422, 42202);
  free(body);
  body = schema_body("{\"type\":\"nope\"}", NULL);
  expect_done("POST", "/compatibility/subjects/s/versions/latest", body, 422, 42201);
  answer_t a = expect("POST", "/compatibility/subjects/s/versions/latest?verbose=true",
                      body, 200, 0);
  ck_assert(json_is_false(json_object_get(a.json, "is_compatible")));
  ck_assert_int_eq(json_array_size(json_object_get(a.json, "messages")), 1);
  answer_free(&a);
  free(body);
}
END_TEST

START_TEST(test_subject_names) {
  over_http = _i;
  /* "a/b c.ü" percent-encoded, '/' as %2F. */
  int id = register_ok("a%2Fb%20c.%C3%BC", ORDER_V1, NULL);
  get_equals("/subjects", "[\"a/b c.\\u00fc\"]");
  json_t *v = get_json("/subjects/a%2Fb%20c.%C3%BC/versions/1");
  ck_assert_str_eq(json_string_value(json_object_get(v, "subject")), "a/b c.\xc3\xbc");
  json_decref(v);
  /* Sent with a bare slash, as Python's test_compatibility does. */
  expect_compat("/compatibility/subjects/a/b%20c.%C3%BC/versions/latest", ORDER_V2, true);
  expect_compat("/compatibility/subjects/a/b%20c.%C3%BC/versions/latest", ORDER_BAD, false);
  get_equals("/subjects/a/b%20c.%C3%BC/versions", "[1]");
  /* A subject that is itself named like a route word. */
  ck_assert_int_eq(register_ok("versions", ORDER_V1, NULL), id);
  get_equals("/subjects/versions/versions", "[1]");
  /* %2F in one subject is not a path separator. */
  ck_assert_int_eq(register_ok("x%2Fversions", ORDER_V1, NULL), id);
  get_equals("/subjects/x%2Fversions/versions", "[1]");
  /* A stray '%' is kept as it is; %00 is not decoded. */
  register_ok("p%zz", ORDER_V1, NULL);
  register_ok("n%00", ORDER_V1, NULL);
  get_equals("/subjects", "[\"a/b c.\\u00fc\",\"n%00\",\"p%zz\",\"versions\",\"x/versions\"]");
}
END_TEST

START_TEST(test_references) {
  over_http = _i;
  int money = register_ok("money", MONEY, NULL);
  int price = register_ok("price", PRICE, MONEY_REF);
  /* Invoice uses Price (by reference) and Money (through Price's). */
  int invoice = register_ok("invoice", INVOICE, PRICE_REF);
  ck_assert_int_eq(money, 1);
  ck_assert_int_eq(price, 2);
  ck_assert_int_eq(invoice, 3);
  json_t *v = get_json("/subjects/invoice/versions/1");
  json_t *want = json_loads(PRICE_REF, 0, NULL);
  ck_assert(json_equal(json_object_get(v, "references"), want));
  /* Referenced types are written by name, not inlined. */
  const char *text = json_string_value(json_object_get(v, "schema"));
  ck_assert_ptr_null(strstr(text, "cents"));
  ck_assert_ptr_null(strstr(text, "amount"));
  json_decref(v);
  json_t *by_id = get_json("/schemas/ids/3");
  ck_assert(json_equal(json_object_get(by_id, "references"), want));
  json_decref(by_id);
  json_decref(want);
  /* The same text with the same references is the same schema. */
  ck_assert_int_eq(register_ok("invoice2", INVOICE, PRICE_REF), invoice);
  char *body = schema_body(INVOICE, PRICE_REF);
  expect_done("POST", "/subjects/invoice", body, 200, 0);
  free(body);
  /* A referenced version cannot be deleted. */
  expect_done("DELETE", "/subjects/price/versions/1", NULL, 422, 42206);
  expect_done("DELETE", "/subjects/money", NULL, 422, 42206);
  /* A new Money version is checked with the references of its users
   * unchanged: they keep version 1. */
  register_ok("money", "{\"type\":\"record\",\"name\":\"Money\",\"namespace\":"
                       "\"com.acme\",\"fields\":[{\"name\":\"cents\",\"type\":"
                       "\"long\"},{\"name\":\"ccy\",\"type\":\"string\","
                       "\"default\":\"EUR\"}]}",
              NULL);
  /* Once its users are gone for good, it can go. */
  expect_done("DELETE", "/subjects/invoice", NULL, 200, 0);
  expect_done("DELETE", "/subjects/invoice2", NULL, 200, 0);
  expect_done("DELETE", "/subjects/price/versions/1", NULL, 200, 0);
  expect_done("DELETE", "/subjects/price/versions/1?permanent=true", NULL, 422, 42206);
  expect_done("DELETE", "/subjects/invoice?permanent=true", NULL, 200, 0);
  expect_done("DELETE", "/subjects/invoice2?permanent=true", NULL, 200, 0);
  expect_done("DELETE", "/subjects/price/versions/1?permanent=true", NULL, 200, 0);
}
END_TEST

/* GET .../versions/{version}/referencedby: the ids of the schemas whose
 * references name that version, as SubjectVersionsResource answers. */
START_TEST(test_referenced_by) {
  over_http = _i;
  register_ok("money", MONEY, NULL);                /* id 1 */
  register_ok("price", PRICE, MONEY_REF);           /* id 2 */
  register_ok("invoice", INVOICE, PRICE_REF);       /* id 3 */
  register_ok("invoice2", INVOICE, PRICE_REF);      /* id 3 again */
  int other = register_ok("cost", "{\"type\":\"record\",\"name\":\"Cost\","
                                  "\"fields\":[{\"name\":\"m\",\"type\":"
                                  "\"com.acme.Money\"}]}",
                          MONEY_REF);
  get_equals("/subjects/money/versions/1/referencedby", "[2,4]");
  ck_assert_int_eq(other, 4);
  get_equals("/subjects/money/versions/latest/referencedby", "[2,4]");
  get_equals("/subjects/price/versions/1/referencedby", "[3]");
  get_equals("/subjects/invoice/versions/1/referencedby", "[]");
  /* offset and limit page the ids; a limit out of [1, 1000] is 1000. */
  get_equals("/subjects/money/versions/1/referencedby?offset=1", "[4]");
  get_equals("/subjects/money/versions/1/referencedby?limit=1", "[2]");
  get_equals("/subjects/money/versions/1/referencedby?limit=0", "[2,4]");
  get_equals("/subjects/money/versions/1/referencedby?offset=5", "[]");
  expect_done("GET", "/subjects/money/versions/1/referencedby?offset=x", NULL,
              404, 404);
  expect_done("GET", "/subjects/money/versions/1/referencedby?offset=-1", NULL,
              500, 500);
  /* A referrer whose versions are all soft-deleted shows with deleted=true. */
  expect_done("DELETE", "/subjects/cost", NULL, 200, 0);
  get_equals("/subjects/money/versions/1/referencedby", "[2]");
  get_equals("/subjects/money/versions/1/referencedby?deleted=true", "[2,4]");
  /* A soft-deleted version is still found (the registry reads it with
   * deleted=true); one deleted for good, or never registered, is not. */
  register_ok("plain", ORDER_V1, NULL);
  register_ok("plain", ORDER_V2, NULL);
  expect_done("DELETE", "/subjects/plain/versions/1", NULL, 200, 0);
  get_equals("/subjects/plain/versions/1/referencedby", "[]");
  expect_done("GET", "/subjects/plain/versions/7/referencedby", NULL, 404, 40402);
  expect_done("GET", "/subjects/nobody/versions/1/referencedby", NULL, 404, 40401);
  expect_done("GET", "/subjects/plain/versions/x/referencedby", NULL, 422, 42202);
  expect_done("POST", "/subjects/plain/versions/1/referencedby", "{}", 405, 405);
  /* The route is one of its own, counted under its name. */
  ck_assert_uint_ge(kavro_mock_request_count(
                        mock, "GET /subjects/{subject}/versions/{version}/referencedby"),
                    1);
}
END_TEST

/* INVOICE with its references written inline, as Java's
 * Schema.toString() writes it: each named type in full at its first use. */
#define INVOICE_RESOLVED                                                      \
  "{\"type\":\"record\",\"name\":\"Invoice\",\"namespace\":\"com.acme\","     \
  "\"fields\":[{\"name\":\"price\",\"type\":{\"type\":\"record\",\"name\":"    \
  "\"Price\",\"fields\":[{\"name\":\"amount\",\"type\":{\"type\":\"record\","   \
  "\"name\":\"Money\",\"fields\":[{\"name\":\"cents\",\"type\":\"long\"}]}}]}},"  \
  "{\"name\":\"paid\",\"type\":\"Money\"}]}"

/* The "schema" member of GET @target, checked to be @want. */
static void schema_member_is(const char *target, const char *want) {
  json_t *got = get_json(target);
  ck_assert_msg(json_is_string(json_object_get(got, "schema")), "%s", target);
  ck_assert_str_eq(json_string_value(json_object_get(got, "schema")), want);
  json_t *refs = json_loads(PRICE_REF, 0, NULL);
  ck_assert(json_equal(json_object_get(got, "references"), refs));
  json_decref(refs);
  json_decref(got);
}

/* ?format=resolved on the answers that hold schema text: the referenced
 * types inline, "references" still there (SchemasResource and
 * SubjectVersionsResource set only the text); any other format is the
 * stored text, as AvroSchema.formattedString() answers it. */
START_TEST(test_format_resolved) {
  over_http = _i;
  register_ok("money", MONEY, NULL);
  register_ok("price", PRICE, MONEY_REF);
  int invoice = register_ok("invoice", INVOICE, PRICE_REF);
  json_t *stored = get_json("/subjects/invoice/versions/1");
  const char *text = json_string_value(json_object_get(stored, "schema"));
  const char *guid = json_string_value(json_object_get(stored, "guid"));
  char target[256];
  snprintf(target, sizeof(target), "/schemas/ids/%d?format=resolved", invoice);
  schema_member_is(target, INVOICE_RESOLVED);
  schema_member_is("/subjects/invoice/versions/1?format=resolved", INVOICE_RESOLVED);
  schema_member_is("/subjects/invoice/versions/latest?format=RESOLVED",
                   INVOICE_RESOLVED);
  snprintf(target, sizeof(target), "/schemas/guids/%s?format=resolved", guid);
  schema_member_is(target, INVOICE_RESOLVED);
  answer_t a = expect("GET", "/subjects/invoice/versions/1/schema?format=resolved",
                      NULL, 200, 0);
  ck_assert_str_eq(a.body, INVOICE_RESOLVED);
  answer_free(&a);
  snprintf(target, sizeof(target), "/schemas/ids/%d/schema?format=resolved", invoice);
  a = expect("GET", target, NULL, 200, 0);
  ck_assert_str_eq(a.body, INVOICE_RESOLVED);
  answer_free(&a);
  char *body = schema_body(INVOICE, PRICE_REF);
  a = expect("POST", "/subjects/invoice?format=resolved", body, 200, 0);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "schema")),
                   INVOICE_RESOLVED);
  answer_free(&a);
  free(body);
  /* The resolved text stands alone. */
  kavro_schema_t *alone = NULL;
  ck_assert_int_eq(kavro_schema_parse(INVOICE_RESOLVED, strlen(INVOICE_RESOLVED),
                                      NULL, &alone, NULL),
                   KAVRO_OK);
  kavro_schema_destroy(alone);
  /* Other formats, known to other schema types or to none, change nothing. */
  schema_member_is("/subjects/invoice/versions/1?format=default", text);
  schema_member_is("/subjects/invoice/versions/1?format=serialized", text);
  schema_member_is("/subjects/invoice/versions/1?format=nonsense", text);
  /* A schema without references is its stored text either way. */
  a = expect("GET", "/subjects/money/versions/1/schema?format=resolved", NULL,
             200, 0);
  ck_assert_str_eq(a.body, MONEY);
  answer_free(&a);
  json_decref(stored);
}
END_TEST

/* Odd paths, queries and bodies get an answer, never a crash. */
START_TEST(test_hostile_requests) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  static const struct {
    const char *method, *target, *body;
  } cases[] = {
      {"GET", "//", NULL},
      {"GET", "/subjects//versions", NULL},
      {"GET", "/subjects/%", NULL},
      {"GET", "/subjects/%2/versions", NULL},
      {"GET", "/subjects/s/versions/%31", NULL},
      {"GET", "/subjects/s/versions/+1", NULL},
      {"GET", "/subjects/s/versions/1%00", NULL},
      {"GET", "/schemas/ids/-1", NULL},
      {"GET", "/schemas/ids/99999999999999999999999", NULL},
      {"GET", "/subjects?deleted", NULL},
      {"GET", "/subjects?=&&deleted=&deleted=TRUE", NULL},
      {"POST", "/subjects/s/versions", "null"},
      {"POST", "/subjects/s/versions", "{\"schema\":1}"},
      {"POST", "/subjects/s/versions", "{\"schema\":\"\\\"int\\\"\",\"references\":{}}"},
      {"POST", "/subjects/s/versions",
       "{\"schema\":\"\\\"int\\\"\",\"references\":[{\"name\":\"a\","
       "\"subject\":\"s\",\"version\":0}]}"},
      {"POST", "/subjects/s/versions", "{\"schema\":\"[[[[[[[[[[[[[[[[[[[[\"}"},
      {"POST", "/subjects/s", ""},
      {"PUT", "/config", "{\"compatibility\":7}"},
      {"PUT", "/mode", "[]"},
      {"POST", "/compatibility/subjects/s", "{}"},
      {"POST", "/compatibility/subjects/versions/1", "{}"},
      {"DELETE", "/config/", NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    answer_t a = call(cases[i].method, cases[i].target, cases[i].body);
    ck_assert_msg(a.outcome == KV_HTTP_ANSWERED && a.status >= 200 && a.status < 600,
                  "%s %s: no answer", cases[i].method, cases[i].target);
    ck_assert_msg(a.json != NULL, "%s %s: not JSON: %s", cases[i].method,
                  cases[i].target, a.body);
    answer_free(&a);
  }
  /* A path of many segments. */
  char *deep = malloc(4 * 1000 + 16);
  strcpy(deep, "/subjects");
  for (int i = 0; i < 1000; i++)
    strcat(deep, "/a");
  expect_done("GET", deep, NULL, 404, 404);
  free(deep);
  get_equals("/subjects/s/versions", "[1]");
}
END_TEST

/* Node's @kafkajs/confluent-schema-registry register(): GET the subject's
 * level (404 40408 the first time), POST the schema, PUT the level; with
 * its headers: Content-Type on every request, no Accept, keep-alive, basic
 * auth. */
START_TEST(test_node_sequence) {
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, "Content-Type: " KV_MOCK_CONTENT_TYPE);
  headers = curl_slist_append(headers, "Accept:");
  headers = curl_slist_append(headers, "Connection: keep-alive");
  headers = curl_slist_append(headers, "Authorization: Basic dXNlcjpwYXNz");
  CURL *curl = curl_easy_init();
  char *body = schema_body(ORDER_V1, NULL);
  for (int round = 0; round < 2; round++) {
    answer_t a = call_http_with(curl, "GET", "/config/field.orders-value", NULL, 0, headers);
    if (round == 0) {
      ck_assert_int_eq(a.status, 404);
      ck_assert_int_eq(a.error_code, 40408);
    } else {
      ck_assert_int_eq(a.status, 200);
      ck_assert_str_eq(json_string_value(json_object_get(a.json, "compatibilityLevel")),
                       "BACKWARD");
    }
    answer_free(&a);
    a = call_http_with(curl, "POST", "/subjects/field.orders-value/versions", body,
                       strlen(body), headers);
    ck_assert_int_eq(a.status, 200);
    ck_assert(json_is_integer(json_object_get(a.json, "id")));
    ck_assert_int_eq(json_integer_value(json_object_get(a.json, "id")), 1);
    answer_free(&a);
    const char *put = "{\"compatibility\":\"BACKWARD\"}";
    a = call_http_with(curl, "PUT", "/config/field.orders-value", put, strlen(put), headers);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(a.content_type, KV_MOCK_CONTENT_TYPE);
    answer_free(&a);
  }
  /* Six requests on one kept-alive connection. */
  long connects = -1;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  ck_assert_int_eq(connects, 0);
  ck_assert_int_eq(kavro_mock_request_count(mock, "POST /subjects/{subject}/versions"), 2);
  free(body);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
}
END_TEST

/* ---- faults ------------------------------------------------------------ */

START_TEST(test_fault_errors) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  kavro_mock_fault_t fault = {.kind = KAVRO_MOCK_FAULT_ERROR,
                              .method = "GET",
                              .path_prefix = "/schemas/ids/",
                              .http_status = 503,
                              .error_code = 50001,
                              .retry_after_seconds = 2};
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 2, NULL), KAVRO_OK);
  fault.http_status = 429;
  fault.error_code = 0;
  fault.retry_after_seconds = -1;
  fault.method = NULL;
  fault.path_prefix = "/subjects/s/";
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 1, NULL), KAVRO_OK);
  /* Other paths and methods are served. */
  expect_done("GET", "/subjects", NULL, 200, 0);
  for (int i = 0; i < 2; i++) {
    answer_t a = expect("GET", "/schemas/ids/1", NULL, 503, 50001);
    ck_assert_int_eq(a.retry_after, 2);
    answer_free(&a);
  }
  expect_done("GET", "/schemas/ids/1", NULL, 200, 0);
  answer_t a = expect("GET", "/subjects/s/versions/1", NULL, 429, 429);
  ck_assert_int_eq(a.retry_after, -1);
  answer_free(&a);
  expect_done("GET", "/subjects/s/versions/1", NULL, 200, 0);
  fault.http_status = 99;
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 1, NULL), KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 0, NULL), KAVRO_ERR_INVALID_ARG);
  /* Cleared faults no longer fire. */
  fault.http_status = 500;
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 5, NULL), KAVRO_OK);
  kavro_mock_clear_faults(mock);
  expect_done("GET", "/subjects/s/versions/1", NULL, 200, 0);
}
END_TEST

START_TEST(test_fault_drop_and_malformed) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  kavro_mock_fault_t drop = {.kind = KAVRO_MOCK_FAULT_DROP, .method = "POST"};
  ck_assert_int_eq(kavro_mock_push_fault(mock, &drop, 1, NULL), KAVRO_OK);
  expect_done("GET", "/subjects", NULL, 200, 0);
  char *body = schema_body(ORDER_V2, NULL);
  answer_t a = call("POST", "/subjects/s/versions", body);
  ck_assert_int_eq(a.outcome, KV_HTTP_DROPPED);
  if (over_http)
    ck_assert_int_eq(a.curl_code, CURLE_GOT_NOTHING);
  answer_free(&a);
  /* The dropped registration never happened. */
  get_equals("/subjects/s/versions", "[1]");

  kavro_mock_fault_t malformed = {.kind = KAVRO_MOCK_FAULT_MALFORMED};
  ck_assert_int_eq(kavro_mock_push_fault(mock, &malformed, 1, NULL), KAVRO_OK);
  a = call("GET", "/schemas/ids/1", NULL);
  ck_assert_int_eq(a.status, 200);
  ck_assert_ptr_nonnull(a.body);
  ck_assert_ptr_null(a.json);
  answer_free(&a);
  malformed.http_status = 500;
  ck_assert_int_eq(kavro_mock_push_fault(mock, &malformed, 1, NULL), KAVRO_OK);
  a = call("GET", "/schemas/ids/1", NULL);
  ck_assert_int_eq(a.status, 500);
  ck_assert_ptr_null(a.json);
  answer_free(&a);
  expect_done("GET", "/schemas/ids/1", NULL, 200, 0);
  free(body);
}
END_TEST

START_TEST(test_latency) {
  over_http = _i;
  ck_assert_int_eq(kavro_mock_set_latency(mock, "GET", "/subjects", 300, NULL), KAVRO_OK);
  answer_t a = expect("GET", "/subjects", NULL, 200, 0);
  ck_assert_msg(a.seconds >= 0.29, "took %.3f s", a.seconds);
  answer_free(&a);
  a = expect("GET", "/config", NULL, 200, 0);
  ck_assert_msg(a.seconds < 0.25, "took %.3f s", a.seconds);
  answer_free(&a);
  if (!over_http) {
    /* A client's time-out ends the wait as a time-out. */
    a = call_inproc("GET", "/subjects", NULL, 100);
    ck_assert_int_eq(a.outcome, KV_HTTP_TIMED_OUT);
    ck_assert_msg(a.seconds < 0.25, "took %.3f s", a.seconds);
    answer_free(&a);
  }
  ck_assert_int_eq(kavro_mock_set_latency(mock, "GET", "/subjects", 0, NULL), KAVRO_OK);
  a = expect("GET", "/subjects", NULL, 200, 0);
  ck_assert_msg(a.seconds < 0.25, "took %.3f s", a.seconds);
  answer_free(&a);
}
END_TEST

static void *slow_request(void *arg) {
  answer_t *a = arg;
  *a = call_http_with(NULL, "GET", "/subjects", NULL, 0, NULL);
  return NULL;
}

/* A delayed request holds up no other connection. */
START_TEST(test_latency_does_not_block) {
  ck_assert_int_eq(kavro_mock_set_latency(mock, NULL, "/subjects", 800, NULL), KAVRO_OK);
  pthread_t thread;
  answer_t slow;
  double start = now_seconds();
  pthread_create(&thread, NULL, slow_request, &slow);
  usleep(100000);
  answer_t fast = call_http_with(NULL, "GET", "/config", NULL, 0, NULL);
  double fast_done = now_seconds() - start;
  pthread_join(thread, NULL);
  ck_assert_int_eq(fast.status, 200);
  ck_assert_int_eq(slow.status, 200);
  ck_assert_msg(fast_done < 0.6, "the fast request waited %.3f s", fast_done);
  ck_assert_msg(slow.seconds >= 0.79, "the slow one took %.3f s", slow.seconds);
  answer_free(&fast);
  answer_free(&slow);
}
END_TEST

START_TEST(test_down_and_up) {
  register_ok("s", ORDER_V1, NULL);
  const char *url = kavro_mock_url(mock);
  char before[96];
  snprintf(before, sizeof(before), "%s", url);
  ck_assert_int_eq(kavro_mock_set_down(mock, true, NULL), KAVRO_OK);
  answer_t a = call_http_with(NULL, "GET", "/subjects", NULL, 0, NULL);
  ck_assert_int_eq(a.outcome, KV_HTTP_DROPPED);
  ck_assert_int_eq(a.curl_code, CURLE_COULDNT_CONNECT);
  answer_free(&a);
  a = call_inproc("GET", "/subjects", NULL, 0);
  ck_assert_int_eq(a.outcome, KV_HTTP_DROPPED);
  answer_free(&a);
  ck_assert_int_eq(kavro_mock_set_down(mock, false, NULL), KAVRO_OK);
  ck_assert_str_eq(kavro_mock_url(mock), before);
  /* The port is the mock's alone: a second server cannot bind it. */
  kavro_mock_t *twin;
  ck_assert_int_eq(kavro_mock_new(NULL, &twin, NULL), KAVRO_OK);
  unsigned port = (unsigned)atoi(strrchr(before, ':') + 1);
  ck_assert_int_eq(kavro_mock_listen(twin, "127.0.0.1", port, NULL), KAVRO_ERR_TRANSPORT);
  kavro_mock_destroy(twin);
  over_http = 1;
  get_equals("/subjects", "[\"s\"]");
  over_http = 0;
  get_equals("/subjects", "[\"s\"]");
}
END_TEST

START_TEST(test_body_limit) {
  size_t length = KV_MOCK_MAX_BODY + 1;
  char *big = malloc(length);
  memset(big, ' ', length);
  answer_t a = call_http_with(NULL, "POST", "/subjects/s/versions", big, length, NULL);
  ck_assert_int_eq(a.status, 413);
  answer_free(&a);
  free(big);
  over_http = 1;
  get_equals("/subjects", "[]");
}
END_TEST

/* ---- counters, log, scopes --------------------------------------------- */

START_TEST(test_counters_and_log) {
  over_http = _i;
  register_ok("s", ORDER_V1, NULL);
  register_fails("s", ORDER_BAD, NULL, 409, 409);
  expect_done("GET", "/schemas/ids/1", NULL, 200, 0);
  expect_done("GET", "/nowhere", NULL, 404, 404);
  ck_assert_int_eq(kavro_mock_request_count(mock, NULL), 4);
  ck_assert_int_eq(kavro_mock_request_count(mock, "POST /subjects/{subject}/versions"), 2);
  ck_assert_int_eq(kavro_mock_request_count(mock, "GET /schemas/ids/{id}"), 1);
  ck_assert_int_eq(kavro_mock_request_count(mock, "GET /subjects"), 0);
  ck_assert_int_eq(kavro_mock_request_count(mock, "no such endpoint"), 0);
  kavro_mock_request_t *log;
  size_t n;
  ck_assert_int_eq(kavro_mock_requests(mock, &log, &n, NULL), KAVRO_OK);
  ck_assert_int_eq(n, 4);
  ck_assert_str_eq(log[0].method, "POST");
  ck_assert_str_eq(log[0].path, "/subjects/s/versions");
  ck_assert_str_eq(log[0].endpoint, "POST /subjects/{subject}/versions");
  ck_assert_int_eq(log[0].status, 200);
  ck_assert_int_eq(log[1].status, 409);
  ck_assert_int_eq(log[1].error_code, 409);
  ck_assert_str_eq(log[2].path, "/schemas/ids/1");
  ck_assert_str_eq(log[3].endpoint, "");
  ck_assert_int_eq(log[3].status, 404);
  kavro_mock_requests_free(log, n);
  kavro_mock_clear_requests(mock);
  ck_assert_int_eq(kavro_mock_request_count(mock, NULL), 0);
  ck_assert_int_eq(kavro_mock_requests(mock, &log, &n, NULL), KAVRO_OK);
  ck_assert_int_eq(n, 0);
  kavro_mock_requests_free(log, n);
}
END_TEST

START_TEST(test_scopes) {
  kavro_mock_t *twin = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new(SCOPE, &twin, &error), KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_null(twin);
  ck_assert_str_eq(kavro_mock_scope(mock), SCOPE);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, &error), KAVRO_ERR_INVALID_ARG);
  /* Two scopes are two registries. */
  ck_assert_int_eq(kavro_mock_new("other-scope", &twin, &error), KAVRO_OK);
  register_ok("s", ORDER_V1, NULL);
  kv_http_request_t request = {.method = "GET", .path = "/subjects"};
  kv_http_response_t response;
  ck_assert_int_eq(kv_inproc_send("other-scope", &request, 0, &response), KAVRO_OK);
  ck_assert_str_eq(response.body, "[]");
  kv_http_response_clear(&response);
  kavro_mock_destroy(twin);
  ck_assert_int_eq(kv_inproc_send("other-scope", &request, 0, &response),
                   KAVRO_ERR_TRANSPORT);
  /* A mock without a scope is reachable over HTTP only. */
  ck_assert_int_eq(kavro_mock_new(NULL, &twin, &error), KAVRO_OK);
  ck_assert_ptr_null(kavro_mock_scope(twin));
  ck_assert_ptr_null(kavro_mock_url(twin));
  ck_assert_int_eq(kavro_mock_listen(twin, "not-an-address", 0, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_mock_destroy(twin);
  kavro_mock_destroy(NULL);
}
END_TEST

/* ---- concurrency ------------------------------------------------------- */

#define WORKERS 8
#define ROUNDS 25

typedef struct worker_s {
  int index;
  int http;
  int shared_id; /* the id the shared schema got in this thread */
  int failures;
} worker_t;

/* A schema of its own for round @r of worker @w. */
static char *own_schema(int w, int r) {
  char *text = malloc(256);
  snprintf(text, 256,
           "{\"type\":\"record\",\"name\":\"W%d\",\"fields\":[{\"name\":\"f%d\","
           "\"type\":\"int\",\"default\":%d}]}",
           w, r, r);
  return text;
}

static answer_t worker_call(worker_t *w, CURL *curl, const char *method,
                            const char *target, const char *body) {
  if (w->http)
    return call_http_with(curl, method, target, body, body ? strlen(body) : 0, NULL);
  return call_inproc(method, target, body, 0);
}

static void *worker(void *arg) {
  worker_t *w = arg;
  CURL *curl = curl_easy_init();
  char *shared = schema_body(ORDER_V1, NULL);
  for (int r = 0; r < ROUNDS; r++) {
    char target[128];
    answer_t a = worker_call(w, curl, "POST", "/subjects/shared/versions", shared);
    int id = (int)json_integer_value(json_object_get(a.json, "id"));
    if (a.status != 200 || (w->shared_id && id != w->shared_id))
      w->failures++;
    w->shared_id = id;
    answer_free(&a);
    char *schema = own_schema(w->index, r), *body = schema_body(schema, NULL);
    snprintf(target, sizeof(target), "/subjects/worker-%d/versions", w->index);
    a = worker_call(w, curl, "POST", target, body);
    if (a.status != 200)
      w->failures++;
    answer_free(&a);
    snprintf(target, sizeof(target), "/subjects/worker-%d", w->index);
    a = worker_call(w, curl, "POST", target, body);
    if (a.status != 200 || json_integer_value(json_object_get(a.json, "version")) != r + 1)
      w->failures++;
    answer_free(&a);
    a = worker_call(w, curl, "GET", "/schemas/ids/1", NULL);
    if (a.status != 200)
      w->failures++;
    answer_free(&a);
    free(body);
    free(schema);
  }
  free(shared);
  curl_easy_cleanup(curl);
  return NULL;
}

/* Half the workers over HTTP, half in the process, all at once. */
START_TEST(test_concurrency) {
  /* The first registration fixes the shared schema's id at 1. */
  over_http = 0;
  ck_assert_int_eq(register_ok("shared", ORDER_V1, NULL), 1);
  pthread_t threads[WORKERS];
  worker_t workers[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    workers[i] = (worker_t){.index = i, .http = i % 2};
    pthread_create(&threads[i], NULL, worker, &workers[i]);
  }
  for (int i = 0; i < WORKERS; i++) {
    pthread_join(threads[i], NULL);
    ck_assert_int_eq(workers[i].failures, 0);
    ck_assert_int_eq(workers[i].shared_id, 1);
  }
  get_equals("/subjects/shared/versions", "[1]");
  json_t *v = get_json("/subjects/worker-3/versions");
  ck_assert_int_eq(json_array_size(v), ROUNDS);
  json_decref(v);
  ck_assert_int_eq(kavro_mock_request_count(mock, "POST /subjects/{subject}/versions"),
                   1 + WORKERS * ROUNDS * 2);
  /* Every id from 1 to the last is in use, none twice. */
  json_t *last = get_json("/subjects/worker-0/versions/latest");
  ck_assert_int_eq(json_integer_value(json_object_get(last, "id")) <= 1 + WORKERS * ROUNDS, 1);
  json_decref(last);
  char target[64];
  snprintf(target, sizeof(target), "/schemas/ids/%d", 1 + WORKERS * ROUNDS);
  expect_done("GET", target, NULL, 200, 0);
  snprintf(target, sizeof(target), "/schemas/ids/%d", 2 + WORKERS * ROUNDS);
  expect_done("GET", target, NULL, 404, 40403);
}
END_TEST

/* ---- the JSON file ----------------------------------------------------- */

static char *temp_path(const char *name) {
  char *path = malloc(256);
  snprintf(path, 256, "%s/kavro-check-mock-%ld-%s", P_tmpdir, (long)getpid(), name);
  return path;
}

/* Everything a client could see of the store, as one JSON value. */
static json_t *snapshot(void) {
  json_t *all = json_object();
  json_object_set_new(all, "subjects", get_json("/subjects?deleted=true"));
  json_object_set_new(all, "config", get_json("/config"));
  json_object_set_new(all, "mode", get_json("/mode"));
  json_object_set_new(all, "money", get_json("/subjects/money/versions?deleted=true"));
  json_object_set_new(all, "price1", get_json("/subjects/price/versions/1"));
  json_object_set_new(all, "s1", get_json("/subjects/s/versions/1?deleted=true"));
  json_object_set_new(all, "s2", get_json("/subjects/s/versions/2"));
  json_object_set_new(all, "level", get_json("/config/s"));
  json_object_set_new(all, "s_mode", get_json("/mode/s"));
  json_object_set_new(all, "id3", get_json("/schemas/ids/3"));
  return all;
}

START_TEST(test_save_and_load) {
  over_http = 0;
  register_ok("money", MONEY, NULL);
  register_ok("price", PRICE, MONEY_REF);
  register_ok("s", ORDER_V1, NULL);
  register_ok("s", ORDER_V2, NULL);
  expect_done("DELETE", "/subjects/s/versions/1", NULL, 200, 0);
  set_level("s", "FULL");
  set_level(NULL, "NONE");
  expect_done("PUT", "/mode/s", "{\"mode\":\"READONLY\"}", 200, 0);
  expect_done("PUT", "/mode", "{\"mode\":\"IMPORT\"}", 200, 0);
  json_t *before = snapshot();
  char *path = temp_path("store.json");
  uint64_t changes = kavro_mock_change_count(mock);
  ck_assert_int_eq(kavro_mock_save(mock, path, NULL), KAVRO_OK);

  /* Into a fresh mock under the same scope. */
  kavro_mock_destroy(mock);
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_load(mock, path, &error), KAVRO_OK);
  ck_assert_int_ne(kavro_mock_change_count(mock), 0);
  json_t *after = snapshot();
  char *b = json_dumps(before, JSON_SORT_KEYS), *a = json_dumps(after, JSON_SORT_KEYS);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
  /* Ids continue after the loaded ones; references still resolve. */
  expect_done("PUT", "/mode", "{\"mode\":\"READWRITE\"}", 200, 0);
  ck_assert_int_eq(register_ok("invoice", INVOICE, PRICE_REF), 5);
  ck_assert_int_eq(register_ok("again", ORDER_V1, NULL), 3);
  (void)changes;

  /* A bad file leaves the store as it was. */
  char *bad = temp_path("bad.json");
  FILE *f = fopen(bad, "w");
  fputs("{\"format\":\"kavro-mock-registry\",\"version\":1}", f);
  fclose(f);
  ck_assert_int_eq(kavro_mock_load(mock, bad, &error), KAVRO_ERR_BAD_RESPONSE);
  f = fopen(bad, "w");
  fputs("{not json", f);
  fclose(f);
  ck_assert_int_eq(kavro_mock_load(mock, bad, &error), KAVRO_ERR_JSON);
  f = fopen(bad, "w");
  fputs("{\"format\":\"kavro-mock-registry\",\"version\":1,"
        "\"compatibilityLevel\":\"NONE\",\"mode\":\"READWRITE\","
        "\"schemas\":[{\"id\":1,\"schema\":\"\\\"int\\\"\"}],"
        "\"subjects\":[{\"subject\":\"x\",\"versions\":[{\"version\":1,\"id\":2}]}]}",
        f);
  fclose(f);
  ck_assert_int_eq(kavro_mock_load(mock, bad, &error), KAVRO_ERR_BAD_RESPONSE);
  f = fopen(bad, "w");
  fputs("{\"format\":\"kavro-mock-registry\",\"version\":1,"
        "\"compatibilityLevel\":\"NONE\",\"mode\":\"READWRITE\","
        "\"schemas\":[{\"id\":1,\"schema\":\"{\\\"type\\\":\\\"nope\\\"}\"}],"
        "\"subjects\":[]}",
        f);
  fclose(f);
  ck_assert_int_eq(kavro_mock_load(mock, bad, &error), KAVRO_ERR_INVALID_SCHEMA);
  remove(bad);
  ck_assert_int_eq(kavro_mock_load(mock, bad, &error), KAVRO_ERR_IO);
  get_equals("/subjects/invoice/versions", "[1]");
  remove(path);
  free(path);
  free(bad);
  json_decref(before);
  json_decref(after);
}
END_TEST

/* One GUID per schema content: a random v4 UUID, the same under every
 * subject, in the register, by-id and version answers; by GUID the schema
 * and its ids; an unknown or malformed GUID is 40403. */
START_TEST(test_guids) {
  over_http = _i;
  char *body = schema_body(ORDER_V1, NULL);
  answer_t a = expect("POST", "/subjects/g1/versions", body, 200, 0);
  char guid[64];
  snprintf(guid, sizeof(guid), "%s",
           json_string_value(json_object_get(a.json, "guid")));
  int id = (int)json_integer_value(json_object_get(a.json, "id"));
  answer_free(&a);
  free(body);
  kavro_schema_id_t parsed;
  ck_assert_int_eq(kavro_schema_id_parse(guid, &parsed, NULL), KAVRO_OK);
  ck_assert_int_eq(parsed.kind, KAVRO_SCHEMA_ID_GUID);
  ck_assert_int_eq(guid[14], '4'); /* version 4 */
  ck_assert(strchr("89ab", guid[19]) != NULL); /* RFC variant */
  /* Pretty-printed under another subject: the same content, same GUID. */
  body = schema_body(ORDER_V1_PRETTY, NULL);
  a = expect("POST", "/subjects/g2/versions", body, 200, 0);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "guid")), guid);
  answer_free(&a);
  free(body);
  body = schema_body(ORDER_V2, NULL);
  a = expect("POST", "/subjects/g3/versions", body, 200, 0);
  ck_assert_str_ne(json_string_value(json_object_get(a.json, "guid")), guid);
  answer_free(&a);
  free(body);
  char target[128];
  snprintf(target, sizeof(target), "/schemas/ids/%d", id);
  json_t *by_id = get_json(target);
  ck_assert_str_eq(json_string_value(json_object_get(by_id, "guid")), guid);
  json_t *version = get_json("/subjects/g2/versions/1");
  ck_assert_str_eq(json_string_value(json_object_get(version, "guid")), guid);
  json_decref(version);
  /* By GUID, in either case: the by-id answer. */
  for (char *p = guid; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  snprintf(target, sizeof(target), "/schemas/guids/%s", guid);
  json_t *by_guid = get_json(target);
  ck_assert(json_equal(by_guid, by_id));
  json_decref(by_guid);
  json_decref(by_id);
  char ids[64];
  snprintf(ids, sizeof(ids), "[{\"context\":\".\",\"id\":%d}]", id);
  snprintf(target, sizeof(target), "/schemas/guids/%s/ids", guid);
  get_equals(target, ids);
  expect_done("GET", "/schemas/guids/00000000-0000-4000-8000-000000000000",
              NULL, 404, 40403);
  expect_done("GET", "/schemas/guids/not-a-guid/ids", NULL, 404, 40403);
  ck_assert_uint_eq(kavro_mock_request_count(mock, "GET /schemas/guids/{guid}"),
                    2);
  ck_assert_uint_eq(
      kavro_mock_request_count(mock, "GET /schemas/guids/{guid}/ids"), 2);
}
END_TEST

/* GUIDs survive a save and a load; a file written before schemas had
 * GUIDs still loads, and its schemas get GUIDs that the next save keeps. */
START_TEST(test_guids_saved) {
  over_http = 0;
  register_ok("g", ORDER_V1, NULL);
  json_t *before = get_json("/schemas/ids/1");
  char *path = temp_path("guids.json");
  ck_assert_int_eq(kavro_mock_save(mock, path, NULL), KAVRO_OK);
  kavro_mock_destroy(mock);
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, NULL), KAVRO_OK);
  kavro_error_t error;
  ck_assert_msg(kavro_mock_load(mock, path, &error) == KAVRO_OK, "%s",
                error.text);
  json_t *after = get_json("/schemas/ids/1");
  ck_assert(json_equal(before, after));
  json_decref(after);
  /* The same file without its GUIDs. */
  json_t *file = json_load_file(path, 0, NULL);
  size_t i;
  json_t *schema;
  json_array_foreach(json_object_get(file, "schemas"), i, schema)
    json_object_del(schema, "guid");
  ck_assert_int_eq(json_dump_file(file, path, 0), 0);
  json_decref(file);
  ck_assert_msg(kavro_mock_load(mock, path, &error) == KAVRO_OK, "%s",
                error.text);
  json_t *fresh = get_json("/schemas/ids/1");
  const char *guid = json_string_value(json_object_get(fresh, "guid"));
  ck_assert_ptr_nonnull(guid);
  ck_assert_int_eq(kavro_mock_save(mock, path, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_load(mock, path, NULL), KAVRO_OK);
  after = get_json("/schemas/ids/1");
  ck_assert_str_eq(json_string_value(json_object_get(after, "guid")), guid);
  json_decref(after);
  json_decref(fresh);
  json_decref(before);
  remove(path);
  free(path);
}
END_TEST

/* ---- names, durability, failed writes ----------------------------------- */

/* A subject that is not UTF-8 is refused (42208), not stored where it
 * would make every listing and every save fail; a message quoting such
 * bytes still has a JSON body. */
START_TEST(test_invalid_subject) {
  over_http = _i;
  register_fails("bad%FF", ORDER_V1, NULL, 422, 42208);
  expect_done("PUT", "/config/bad%C3", "{\"compatibility\":\"NONE\"}", 422, 42208);
  expect_done("PUT", "/mode/bad%FE", "{\"mode\":\"READONLY\"}", 422, 42208);
  expect_done("POST", "/compatibility/subjects/%FF/versions/latest",
              "{\"schema\":\"\\\"int\\\"\"}", 422, 42208);
  get_equals("/subjects", "[]");
  register_ok("s", ORDER_V1, NULL);
  expect_done("GET", "/subjects/s/versions/%FF", NULL, 422, 42202);
  expect_done("GET", "/schemas/ids/%FF%FE", NULL, 404, 40403);
  get_equals("/subjects", "[\"s\"]");
}
END_TEST

static char *temp_path(const char *name);

/* The subjects of the registry saved in @path, as JSON text. */
static char *subjects_in_file(const char *path) {
  kavro_mock_t *reader;
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new("check-mock-reader", &reader, &error), KAVRO_OK);
  ck_assert_msg(kavro_mock_load(reader, path, &error) == KAVRO_OK, "%s", error.text);
  kv_http_request_t request = {.method = "GET", .path = "/subjects"};
  kv_http_response_t response;
  ck_assert_int_eq(kv_inproc_send("check-mock-reader", &request, 0, &response),
                   KAVRO_OK);
  char *subjects = strdup(response.body);
  kv_http_response_clear(&response);
  kavro_mock_destroy(reader);
  return subjects;
}

static void file_has_subjects(const char *path, const char *expected) {
  char *subjects = subjects_in_file(path);
  ck_assert_str_eq(subjects, expected);
  free(subjects);
}

/* After a refused name, registrations go on reaching the file. */
START_TEST(test_invalid_subject_persisted) {
  over_http = _i;
  char *path = temp_path("names.json");
  remove(path);
  ck_assert_int_eq(kavro_mock_persist(mock, path, NULL), KAVRO_OK);
  register_fails("bad%FF", ORDER_V1, NULL, 422, 42208);
  register_ok("later", ORDER_V1, NULL);
  file_has_subjects(path, "[\"later\"]");
  remove(path);
  free(path);
}
END_TEST

/* Every answered change is in the file before the answer: a process
 * killed right after a 200 loses nothing. */
START_TEST(test_durable_before_answer) {
  char *path = temp_path("durable.json");
  remove(path);
  pid_t child = fork();
  ck_assert_int_ge(child, 0);
  if (child == 0) {
    kavro_mock_t *doomed;
    if (kavro_mock_new("check-mock-doomed", &doomed, NULL) != KAVRO_OK ||
        kavro_mock_persist(doomed, path, NULL) != KAVRO_OK)
      _exit(1);
    char *body = schema_body(ORDER_V1, NULL);
    kv_http_request_t request = {.method = "POST",
                                 .path = "/subjects/kept/versions",
                                 .body = body,
                                 .body_length = strlen(body)};
    kv_http_response_t response;
    if (kv_inproc_send("check-mock-doomed", &request, 0, &response) != KAVRO_OK ||
        response.status != 200)
      _exit(2);
    raise(SIGKILL);
  }
  int status;
  ck_assert_int_eq(waitpid(child, &status, 0), child);
  ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                "the child did not get its 200 (status %d)", status);
  file_has_subjects(path, "[\"kept\"]");
  /* In this process too: each change is there without a save. */
  ck_assert_int_eq(kavro_mock_persist(mock, path, NULL), KAVRO_OK);
  over_http = 1;
  register_ok("more", ORDER_V1, NULL);
  file_has_subjects(path, "[\"kept\",\"more\"]");
  expect_done("DELETE", "/subjects/kept", NULL, 200, 0);
  file_has_subjects(path, "[\"more\"]");
  remove(path);
  free(path);
}
END_TEST

/* Run @fn with stderr going to a file; returns what it wrote. */
static char *stderr_of(void (*fn)(void)) {
  char *path = temp_path("stderr.txt");
  fflush(stderr);
  int saved = dup(2);
  FILE *f = fopen(path, "w+");
  ck_assert_ptr_nonnull(f);
  dup2(fileno(f), 2);
  fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  fclose(f);
  char *text = kt_read_file(path, NULL);
  remove(path);
  free(path);
  return text;
}

static void register_refused_by_disk(void) {
  register_fails("refused", ORDER_V1, NULL, 500, 50001);
}

/* A change that cannot be written is undone and answered 500, said on
 * stderr, and the file is written again once it can be. */
START_TEST(test_unwritable_file) {
  over_http = 0;
  char *path = temp_path("unwritable.json");
  remove(path);
  ck_assert_int_eq(kavro_mock_persist(mock, path, NULL), KAVRO_OK);
  register_ok("a", ORDER_V1, NULL);
  /* A directory where the file goes: rename() fails, for root too. */
  ck_assert_int_eq(remove(path), 0);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  char *said = stderr_of(register_refused_by_disk);
  ck_assert_msg(said && strstr(said, path), "stderr: %s", said ? said : "(none)");
  free(said);
  get_equals("/subjects", "[\"a\"]");
  /* Once the file can be written, a request after the delay writes it. */
  ck_assert_int_eq(rmdir(path), 0);
  usleep(300000);
  get_equals("/subjects", "[\"a\"]");
  file_has_subjects(path, "[\"a\"]");
  register_ok("b", ORDER_V1, NULL);
  file_has_subjects(path, "[\"a\",\"b\"]");
  remove(path);
  free(path);
}
END_TEST

/* The body of kv_store_* replies, as JSON text. */
static char *reply_text(const kv_reply_t *reply) {
  kv_http_response_t response = {0};
  ck_assert_int_eq(kv_reply_to_response(reply, &response), KAVRO_OK);
  return response.body;
}

static void store_register(kv_store_t *store, const char *subject, int status) {
  json_t *body = json_pack("{s:s}", "schema", ORDER_V1);
  kv_reply_t reply = {0};
  kv_store_register(store, subject, body, false, &reply);
  char *text = reply_text(&reply);
  ck_assert_msg(reply.status == status, "%s: %d %s", subject, reply.status, text);
  free(text);
  kv_reply_clear(&reply);
  json_decref(body);
}

static void store_has_subject(kv_store_t *store, const char *subject, bool has) {
  kv_reply_t reply = {0};
  kv_store_versions(store, subject, false, &reply);
  ck_assert_int_eq(reply.status, has ? 200 : 404);
  kv_reply_clear(&reply);
}

/* A store that already holds a subject it cannot write (one that came in
 * before names were checked) still saves everything else, names what it
 * left out, and keeps saving later changes. */
START_TEST(test_save_skips_unwritable_subject) {
  kv_store_t *store = kv_store_new();
  store_register(store, "bad\xff", 200);
  store_register(store, "good", 200);
  char *path = temp_path("skip.json"), *kept = temp_path("kept.json");
  kavro_error_t error;
  ck_assert_int_eq(kv_store_save(store, path, &error), KAVRO_ERR_IO);
  ck_assert_msg(strstr(error.text, "bad\\xff"), "%s", error.text);
  file_has_subjects(path, "[\"good\"]");
  remove(kept);
  ck_assert_int_eq(kv_store_persist(store, kept, &error), KAVRO_OK);
  store_register(store, "later", 200);
  /* A change that would add another such subject is not saved: undone. */
  store_register(store, "worse\xfe", 500);
  store_has_subject(store, "worse\xfe", false);
  file_has_subjects(kept, "[\"good\",\"later\"]");
  kv_store_free(store);
  remove(path);
  remove(kept);
  free(path);
  free(kept);
}
END_TEST

typedef struct checking_s {
  kv_store_t *store;
  json_t *body;
  atomic_bool in_check, answered;
  int status;
} checking_t;

/* The check hook: hold the registration in its check until the other
 * thread has been answered. */
static void hold_check(void *opaque) {
  checking_t *c = opaque;
  atomic_store(&c->in_check, true);
  while (!atomic_load(&c->answered))
    sched_yield();
}

static void *register_held(void *arg) {
  checking_t *c = arg;
  kv_reply_t reply = {0};
  kv_store_register(c->store, "s", c->body, false, &reply);
  c->status = reply.status;
  kv_reply_clear(&reply);
  return NULL;
}

/* A request is answered while a registration is in its compatibility
 * check (a big schema's check can be long).  Were the check to hold the
 * store's lock, the request would wait for the check, which waits for the
 * request: the test would hang until Check's time-out. */
START_TEST(test_check_runs_unlocked) {
  kv_store_t *store = kv_store_new();
  checking_t c = {.store = store, .body = json_pack("{s:s}", "schema", ORDER_V1)};
  register_held(&c);
  ck_assert_int_eq(c.status, 200);
  json_decref(c.body);
  c.body = json_pack("{s:s}", "schema", ORDER_V2);
  kv_store_set_check_hook(store, hold_check, &c);
  pthread_t thread;
  pthread_create(&thread, NULL, register_held, &c);
  while (!atomic_load(&c.in_check))
    sched_yield();
  kv_reply_t reply = {0};
  kv_store_versions(store, "s", false, &reply);
  ck_assert_int_eq(reply.status, 200);
  kv_reply_clear(&reply);
  atomic_store(&c.answered, true);
  pthread_join(thread, NULL);
  ck_assert_int_eq(c.status, 200);
  json_decref(c.body);
  kv_store_free(store);
}
END_TEST

/* ---- normalize ------------------------------------------------------------ */

static char *schema_at(const char *target);

/* Two spellings of one schema: aliases and properties in another order,
 * an empty doc. */
#define SPELLING_A \
  "{\"type\":\"record\",\"name\":\"N\",\"doc\":\"\",\"aliases\":[\"Q\",\"P\"]," \
  "\"x-b\":1,\"x-a\":2,\"fields\":[{\"name\":\"f\",\"type\":\"int\"}]}"
#define SPELLING_B \
  "{\"type\":\"record\",\"name\":\"N\",\"aliases\":[\"P\",\"Q\"],\"x-a\":2," \
  "\"x-b\":1,\"fields\":[{\"name\":\"f\",\"type\":\"int\"}]}"

/* normalize=true (the query parameter, or the config in the subject's
 * scope) gives two spellings of one schema one id, and stores the
 * normalized form; without it they are two schemas. */
START_TEST(test_normalize) {
  over_http = _i;
  ck_assert_int_eq(register_ok("plain", SPELLING_A, NULL), 1);
  ck_assert_int_eq(register_ok("plain", SPELLING_B, NULL), 2);

  /* Normalized, A is B as written (id 2). */
  char *a = schema_body(SPELLING_A, NULL), *b = schema_body(SPELLING_B, NULL);
  answer_t r = expect("POST", "/subjects/n/versions?normalize=true", a, 200, 0);
  ck_assert_str_eq(field_int(r.json, "id"), "2");
  answer_free(&r);
  r = expect("POST", "/subjects/n/versions?normalize=true", b, 200, 0);
  ck_assert_str_eq(field_int(r.json, "id"), "2");
  answer_free(&r);
  get_equals("/subjects/n/versions", "[1]");
  r = expect("POST", "/subjects/n?normalize=true", b, 200, 0);
  ck_assert_str_eq(field_int(r.json, "id"), "2");
  answer_free(&r);
  expect_done("POST", "/subjects/n", a, 404, 40403);
  char *text = schema_at("/schemas/ids/2");
  ck_assert_ptr_nonnull(strstr(text, "\"aliases\":[\"P\",\"Q\"]"));
  ck_assert_ptr_nonnull(strstr(text, "\"x-a\":2,\"x-b\":1"));
  ck_assert_ptr_null(strstr(text, "\"doc\""));
  free(text);

  /* The config, the subject's own or its context's. */
  expect_done("PUT", "/config/c", "{\"normalize\":true}", 200, 0);
  ck_assert_int_eq(register_ok("c", SPELLING_A, NULL), 2);
  ck_assert_int_eq(register_ok("c", SPELLING_B, NULL), 2);
  get_equals("/subjects/c/versions", "[1]");
  expect_done("PUT", "/config/:.x:", "{\"normalize\":true}", 200, 0);
  ck_assert_int_eq(register_ok(":.x:c", SPELLING_B, NULL), 1);
  ck_assert_int_eq(register_ok(":.x:c", SPELLING_A, NULL), 1);
  free(a);
  free(b);
}
END_TEST

/* ---- the token endpoint ---------------------------------------------------- */

/* The client authenticates with HTTP basic auth or with client_id and
 * client_secret in the form (RFC 6749 2.3.1), not both. */
START_TEST(test_token_endpoint_form_credentials) {
  over_http = _i;
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_serve_tokens(mock, "cid", "c/secret+1", 60, &error),
                   KAVRO_OK);
  answer_t a = expect("POST", "/oauth/token",
                      "grant_type=client_credentials&client_id=cid&"
                      "client_secret=c%2Fsecret%2B1",
                      200, 0);
  ck_assert_ptr_nonnull(json_string_value(json_object_get(a.json, "access_token")));
  answer_free(&a);
  ck_assert_uint_eq(kavro_mock_tokens_issued(mock), 1);
  a = expect("POST", "/oauth/token",
             "grant_type=client_credentials&client_id=cid&client_secret=nope",
             401, 0);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "error")),
                   "invalid_client");
  answer_free(&a);
  expect_done("POST", "/oauth/token",
              "grant_type=client_credentials&client_id=cid", 401, 0);
  expect_done("POST", "/oauth/token", "grant_type=client_credentials", 401, 0);
  if (over_http) {
    /* Basic auth alone is good; with form credentials too, 400. */
    struct curl_slist *headers = curl_slist_append(
        NULL, "Authorization: Basic Y2lkOmMlMkZzZWNyZXQlMkIx"); /* cid:c%2Fsecret%2B1 */
    const char *grant = "grant_type=client_credentials";
    a = call_http_with(NULL, "POST", "/oauth/token", grant, strlen(grant),
                       headers);
    ck_assert_int_eq(a.status, 200);
    answer_free(&a);
    const char *both = "grant_type=client_credentials&client_id=cid&"
                       "client_secret=c%2Fsecret%2B1";
    a = call_http_with(NULL, "POST", "/oauth/token", both, strlen(both),
                       headers);
    ck_assert_int_eq(a.status, 400);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "error")),
                     "invalid_request");
    answer_free(&a);
    curl_slist_free_all(headers);
  }
  ck_assert_uint_eq(kavro_mock_tokens_issued(mock), over_http ? 2 : 1);
}
END_TEST

/* ---- contexts ------------------------------------------------------------ */

/* The "schema" member of GET @target. */
static char *schema_at(const char *target) {
  json_t *json = get_json(target);
  char *text = strdup(json_string_value(json_object_get(json, "schema")));
  json_decref(json);
  return text;
}

/* Each context has ids of its own from 1; the same schema gets an id in
 * each; ?subject= looks an id up in the subject's context (an unqualified
 * subject in the default context first, then in the contexts that have
 * it); GET /contexts lists "." first, then the others sorted. */
START_TEST(test_contexts) {
  over_http = _i;
  get_equals("/contexts", "[\".\"]");
  ck_assert_int_eq(register_ok("orders-value", ORDER_V1, NULL), 1);
  ck_assert_int_eq(register_ok(":.prod:orders-value", ORDER_V1, NULL), 1);
  ck_assert_int_eq(register_ok(":.prod:orders-value", ORDER_V2, NULL), 2);
  ck_assert_int_eq(register_ok("money", MONEY, NULL), 2);
  ck_assert_int_eq(register_ok(":.staging:x", ORDER_V2, NULL), 1);
  ck_assert_int_eq(register_ok(":.staging:y", ORDER_BAD, NULL), 2);
  ck_assert_int_eq(register_ok(":.staging:z", ORDER_EMPTY, NULL), 3);
  /* ":.:name" is the default context's "name". */
  ck_assert_int_eq(register_ok(":.:orders-value", ORDER_V1, NULL), 1);
  get_equals("/subjects/:.:orders-value/versions", "[1]");
  get_equals("/contexts", "[\".\", \".prod\", \".staging\"]");

  char *money = schema_at("/schemas/ids/2");
  char *v2 = schema_at("/schemas/ids/2?subject=%3A.prod%3Aorders-value");
  ck_assert_ptr_nonnull(strstr(money, "Money"));
  ck_assert_ptr_nonnull(strstr(v2, "note"));
  free(money);
  free(v2);
  expect_done("GET", "/schemas/ids/3?subject=:.prod:orders-value", NULL, 404,
              40403);
  expect_done("GET", "/schemas/ids/3", NULL, 404, 40403);
  char *empty = schema_at("/schemas/ids/3?subject=z");
  ck_assert_ptr_nonnull(strstr(empty, "\"fields\":[]"));
  free(empty);
  get_equals("/schemas/ids/2/subjects?subject=:.prod:x",
             "[\":.prod:orders-value\"]");

  get_equals("/subjects", "[\":.prod:orders-value\", \":.staging:x\", "
                          "\":.staging:y\", \":.staging:z\", \"money\", "
                          "\"orders-value\"]");
  get_equals("/subjects?subjectPrefix=:.staging:", "[\":.staging:x\", "
                                                  "\":.staging:y\", "
                                                  "\":.staging:z\"]");
  get_equals("/subjects?subjectPrefix=%3A*%3Ao",
             "[\":.prod:orders-value\", \"orders-value\"]");
  get_equals("/subjects?subjectPrefix=mo", "[\"money\"]");

  /* Lookups answer in the subject's context. */
  char *body = schema_body(ORDER_V2, NULL);
  answer_t a = expect("POST", "/subjects/:.prod:orders-value", body, 200, 0);
  ck_assert_str_eq(field_int(a.json, "id"), "2");
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "subject")),
                   ":.prod:orders-value");
  answer_free(&a);
  free(body);

  /* One GUID for one content, with its id in each context. */
  json_t *v1 = get_json("/subjects/orders-value/versions/1");
  json_t *p1 = get_json("/subjects/:.prod:orders-value/versions/1");
  const char *guid = json_string_value(json_object_get(v1, "guid"));
  ck_assert_str_eq(guid, json_string_value(json_object_get(p1, "guid")));
  char target[128];
  snprintf(target, sizeof(target), "/schemas/guids/%s/ids", guid);
  get_equals(target, "[{\"context\":\".\",\"id\":1},"
                     "{\"context\":\".prod\",\"id\":1}]");
  json_decref(v1);
  json_decref(p1);
}
END_TEST

/* A subject of a context takes its level, mode and config from the
 * context (":.ctx:") when it sets none itself, then from ":.__GLOBAL:",
 * then the registry's defaults -- the default context's global config is
 * not its scope (InMemoryCache.config()). */
START_TEST(test_context_settings) {
  over_http = _i;
  expect_done("PUT", "/config", "{\"compatibility\":\"NONE\"}", 200, 0);
  register_ok(":.prod:o", ORDER_V1, NULL);
  /* BACKWARD, the default, not the default context's NONE. */
  register_fails(":.prod:o", ORDER_BAD, NULL, 409, 409);
  get_equals("/config/:.prod:o?defaultToGlobal=true",
             "{\"compatibilityLevel\":\"BACKWARD\"}");
  expect_done("PUT", "/config/:.__GLOBAL:", "{\"compatibility\":\"FORWARD\"}",
              200, 0);
  get_equals("/config/:.prod:o?defaultToGlobal=true",
             "{\"compatibilityLevel\":\"FORWARD\"}");
  expect_done("PUT", "/config/:.prod:",
              "{\"compatibility\":\"NONE\",\"normalize\":true}", 200, 0);
  get_equals("/config/:.prod:o?defaultToGlobal=true",
             "{\"compatibilityLevel\":\"NONE\",\"normalize\":true}");
  expect_done("GET", "/config/:.prod:o", NULL, 404, 40408);
  ck_assert_int_eq(register_ok(":.prod:o", ORDER_BAD, NULL), 2);
  /* The subject's own level wins over its context's. */
  expect_done("PUT", "/config/:.prod:o", "{\"compatibility\":\"BACKWARD\"}",
              200, 0);
  register_fails(":.prod:o", ORDER_V3_STRICT, NULL, 409, 409);
  /* Another context is not in .prod's scope; the default context keeps
   * its own global level. */
  get_equals("/config/:.dev:o?defaultToGlobal=true",
             "{\"compatibilityLevel\":\"FORWARD\"}");
  get_equals("/config/o?defaultToGlobal=true",
             "{\"compatibilityLevel\":\"NONE\"}");

  /* Mode: the context's, then ":.__GLOBAL:"'s. */
  expect_done("PUT", "/mode/:.prod:", "{\"mode\":\"READONLY\"}", 200, 0);
  get_equals("/mode/:.prod:o?defaultToGlobal=true", "{\"mode\":\"READONLY\"}");
  register_fails(":.prod:p", ORDER_V1, NULL, 422, 42205);
  get_equals("/mode/:.dev:o?defaultToGlobal=true", "{\"mode\":\"READWRITE\"}");
  expect_done("PUT", "/mode/:.__GLOBAL:", "{\"mode\":\"READONLY\"}", 200, 0);
  register_fails(":.dev:o", ORDER_V1, NULL, 422, 42205);
  ck_assert_int_eq(register_ok("o", ORDER_V1, NULL), 1);
  expect_done("DELETE", "/mode/:.prod:", NULL, 200, 0);
  get_equals("/mode/:.prod:o?defaultToGlobal=true", "{\"mode\":\"READONLY\"}");
}
END_TEST

/* A reference to an unqualified subject, from a schema of a context, names
 * the subject of that context (qualifySubjectWithParent()); deleting the
 * referenced version is refused there, not in the default context. */
START_TEST(test_context_references) {
  over_http = _i;
  register_ok("money", ORDER_V1, NULL); /* the default context's: no Money */
  ck_assert_int_eq(register_ok(":.prod:money", MONEY, NULL), 1);
  ck_assert_int_eq(register_ok(":.prod:price", PRICE, MONEY_REF), 2);
  expect_done("DELETE", "/subjects/:.prod:money/versions/1", NULL, 422, 42206);
  expect_done("DELETE", "/subjects/money/versions/1", NULL, 200, 0);
  /* In the default context, "money" names the default context's subject. */
  register_fails("price", PRICE, MONEY_REF, 422, 42201);
  /* A qualified reference is taken as it is. */
  const char *refs = "[{\"name\":\"com.acme.Money\",\"subject\":"
                     "\":.prod:money\",\"version\":1}]";
  ck_assert_int_eq(register_ok("price", PRICE, refs), 2);
}
END_TEST

/* DELETE /contexts/{context}: 42211 while a subject of it has a version
 * (soft-deleted ones count), else 204 and the context is no longer listed,
 * until a version is registered in it again; its ids are not given out
 * again.  GET /contexts filters by contextPrefix and pages by offset and
 * limit. */
START_TEST(test_delete_context) {
  over_http = _i;
  register_ok(":.prod:o", ORDER_V1, NULL);
  register_ok(":.staging:o", ORDER_V1, NULL);
  register_ok(":.stale:o", ORDER_V1, NULL);
  get_equals("/contexts", "[\".\", \".prod\", \".staging\", \".stale\"]");
  get_equals("/contexts?contextPrefix=.sta", "[\".staging\", \".stale\"]");
  get_equals("/contexts?offset=1&limit=2", "[\".prod\", \".staging\"]");
  get_equals("/contexts?contextPrefix=.sta&offset=1", "[\".stale\"]");
  get_equals("/contexts?limit=0", "[]");
  expect_done("GET", "/contexts?offset=x", NULL, 404, 404);

  expect_done("DELETE", "/contexts/.prod", NULL, 422, 42211);
  expect_done("DELETE", "/subjects/:.prod:o", NULL, 200, 0);
  expect_done("DELETE", "/contexts/.prod", NULL, 422, 42211);
  expect_done("DELETE", "/subjects/:.prod:o?permanent=true", NULL, 200, 0);
  answer_t a = expect("DELETE", "/contexts/.prod", NULL, 204, 0);
  ck_assert_str_eq(a.body, "");
  answer_free(&a);
  get_equals("/contexts", "[\".\", \".staging\", \".stale\"]");
  /* ":.ctx:" names it too; a context never used is deleted as well. */
  expect_done("DELETE", "/subjects/:.stale:o", NULL, 200, 0);
  expect_done("DELETE", "/subjects/:.stale:o?permanent=true", NULL, 200, 0);
  expect_done("DELETE", "/contexts/%3A.stale%3A", NULL, 204, 0);
  expect_done("DELETE", "/contexts/.never", NULL, 204, 0);
  get_equals("/contexts", "[\".\", \".staging\"]");
  expect_done("DELETE", "/contexts/.a:b", NULL, 422, 42208);
  expect_done("GET", "/contexts/.prod", NULL, 405, 405);

  /* Registered again: listed, and the old id is not given out again. */
  ck_assert_int_eq(register_ok(":.prod:o", ORDER_V2, NULL), 2);
  get_equals("/contexts", "[\".\", \".prod\", \".staging\"]");
}
END_TEST

/* A deleted context stays deleted across a save and a load. */
START_TEST(test_delete_context_saved) {
  register_ok(":.prod:o", ORDER_V1, NULL);
  expect_done("DELETE", "/subjects/:.prod:o", NULL, 200, 0);
  expect_done("DELETE", "/subjects/:.prod:o?permanent=true", NULL, 200, 0);
  expect_done("DELETE", "/contexts/.prod", NULL, 204, 0);
  char *path = temp_path("deleted-contexts.json");
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_save(mock, path, &error), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_load(mock, path, &error), KAVRO_OK);
  get_equals("/contexts", "[\".\"]");
  register_ok(":.prod:o", ORDER_V2, NULL);
  get_equals("/contexts", "[\".\", \".prod\"]");
  unlink(path);
  free(path);
}
END_TEST

/* Contexts survive a save and a load: the schemas keep their ids in their
 * contexts, and new ones continue each context's ids. */
START_TEST(test_contexts_saved) {
  over_http = 0;
  register_ok("a", ORDER_V1, NULL);
  register_ok("b", MONEY, NULL);
  register_ok(":.prod:a", MONEY, NULL);
  register_ok(":.prod:b", ORDER_V2, NULL);
  json_t *before = json_pack("{s:o, s:o, s:o}", "contexts", get_json("/contexts"),
                             "id2", get_json("/schemas/ids/2?subject=:.prod:a"),
                             "subjects", get_json("/subjects"));
  char *path = temp_path("contexts.json");
  ck_assert_int_eq(kavro_mock_save(mock, path, NULL), KAVRO_OK);
  kavro_mock_destroy(mock);
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, NULL), KAVRO_OK);
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_load(mock, path, &error), KAVRO_OK);
  json_t *after = json_pack("{s:o, s:o, s:o}", "contexts", get_json("/contexts"),
                            "id2", get_json("/schemas/ids/2?subject=:.prod:a"),
                            "subjects", get_json("/subjects"));
  ck_assert(json_equal(before, after));
  ck_assert_int_eq(register_ok(":.prod:c", ORDER_EMPTY, NULL), 3);
  ck_assert_int_eq(register_ok("c", ORDER_EMPTY, NULL), 3);
  /* A file whose context schema names a context with a colon is refused. */
  FILE *f = fopen(path, "w");
  fputs("{\"format\":\"kavro-mock-registry\",\"version\":1,"
        "\"compatibilityLevel\":\"NONE\",\"mode\":\"READWRITE\","
        "\"schemas\":[{\"id\":1,\"context\":\".a:b\",\"schema\":\"\\\"int\\\"\"}],"
        "\"subjects\":[]}",
        f);
  fclose(f);
  ck_assert_int_eq(kavro_mock_load(mock, path, &error), KAVRO_ERR_BAD_RESPONSE);
  remove(path);
  free(path);
  json_decref(before);
  json_decref(after);
}
END_TEST

/* ---- associations -------------------------------------------------------- */

#define ASSOC_WEAK                                                           \
  "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","            \
  "\"resourceId\":\"t-1\",\"associations\":[{\"subject\":\"orders-value\"}]}"

/* The answer to a WEAK association of orders-value with topic t-1. */
#define ORDERS_WEAK                                                          \
  "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","            \
  "\"resourceId\":\"t-1\",\"resourceType\":\"topic\",\"associations\":"    \
  "[{\"subject\":\"orders-value\",\"associationType\":\"value\","         \
  "\"lifecycle\":\"WEAK\"}]}"

/* @json is the JSON text @expected (members in any order). */
static void json_is(const json_t *json, const char *expected) {
  json_t *want = json_loads(expected, 0, NULL);
  ck_assert_ptr_nonnull(want);
  char *got = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  ck_assert_msg(json_equal(json, want), "got %s, want %s",
                got ? got : "(none)", expected);
  free(got);
  json_decref(want);
}

START_TEST(test_associations) {
  over_http = _i;
  /* A WEAK association needs a subject with a live version. */
  expect_done("POST", "/associations", ASSOC_WEAK, 409, 40907);
  register_ok("orders-value", ORDER_V1, NULL);
  answer_t a = expect("POST", "/associations", ASSOC_WEAK, 200, 0);
  json_is(a.json, ORDERS_WEAK);
  answer_free(&a);
  /* The same again is no change (and writes nothing, so the answer lists
   * none); another subject for the type is 40903. */
  a = expect("POST", "/associations", ASSOC_WEAK, 200, 0);
  ck_assert_ptr_null(json_object_get(a.json, "associations"));
  answer_free(&a);
  register_ok("other", ORDER_V1, NULL);
  expect_done("POST", "/associations",
              "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
              "\"resourceId\":\"t-1\",\"associations\":[{\"subject\":\"other\"}]}",
              409, 40903);

  const char *one = "[{\"subject\":\"orders-value\",\"resourceName\":\"orders\","
                    "\"resourceNamespace\":\"lkc-1\",\"resourceId\":\"t-1\","
                    "\"resourceType\":\"topic\",\"associationType\":\"value\","
                    "\"lifecycle\":\"WEAK\"}]";
  get_equals("/associations/resources/-/orders", one);
  get_equals("/associations/resources/lkc-1/orders?resourceType=topic&"
             "associationType=value",
             one);
  get_equals("/associations/resources/-/orders?associationType=key", "[]");
  get_equals("/associations/resources/lkc-2/orders", "[]");
  get_equals("/associations/resources/-/-", one);
  get_equals("/associations/resources/t-1", one);
  get_equals("/associations/subjects/orders-value", one);
  get_equals("/associations/resources/-/orders?offset=1", "[]");

  /* A STRONG association with its schema: registered under the default
   * subject, in the namespace's context. */
  char *schema = schema_body(ORDER_V1, NULL);
  char body[1024];
  snprintf(body, sizeof(body),
           "{\"resourceName\":\"pay\",\"resourceNamespace\":\"lkc-1\","
           "\"resourceId\":\"t-2\",\"associations\":[{\"associationType\":"
           "\"key\",\"schema\":%s}]}",
           schema);
  free(schema);
  a = expect("POST", "/associations", body, 200, 0);
  json_t *made = json_array_get(json_object_get(a.json, "associations"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(made, "subject")),
                   ":.lkc-1:pay-key");
  ck_assert_str_eq(json_string_value(json_object_get(made, "lifecycle")),
                   "STRONG");
  /* "frozen" is left out where it is the lifecycle's default; the
   * schema registered for the association comes with it. */
  ck_assert_ptr_null(json_object_get(made, "frozen"));
  ck_assert_int_eq(json_integer_value(json_object_get(
                       json_object_get(made, "schema"), "version")),
                   1);
  answer_free(&a);
  get_equals("/subjects/:.lkc-1:pay-key/versions", "[1]");
  get_equals("/contexts", "[\".\", \".lkc-1\"]");
  /* A WEAK association to a subject with a STRONG one is refused. */
  expect_done("POST", "/associations",
              "{\"resourceName\":\"x\",\"resourceNamespace\":\"lkc-1\","
              "\"resourceId\":\"t-3\",\"associations\":[{\"subject\":"
              "\":.lkc-1:pay-key\"}]}",
              409, 40905);

  /* Requests the registry refuses as invalid (42212). */
  const char *invalid[] = {
      "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
      "\"associations\":[{\"subject\":\"orders-value\"}]}",
      "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
      "\"resourceId\":\"t-9\",\"associations\":[]}",
      "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
      "\"resourceId\":\"t-9\",\"resourceType\":\"table\",\"associations\":"
      "[{\"subject\":\"orders-value\"}]}",
      "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
      "\"resourceId\":\"t-9\",\"associations\":[{\"subject\":\"orders-value\","
      "\"associationType\":\"both\"}]}",
      "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
      "\"resourceId\":\"t-9\",\"associations\":[{\"subject\":\"orders-value\","
      "\"frozen\":true}]}",
      "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
      "\"resourceId\":\"t-9\",\"associations\":[{}]}",
      "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
      "\"resourceId\":\"t-9\",\"associations\":[{\"subject\":\"a\"},"
      "{\"subject\":\"b\"}]}",
  };
  for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
    expect_done("POST", "/associations", invalid[i], 422, 42212);
  expect_done("POST", "/associations", "[1]", 400, 400);

  expect_done("DELETE", "/associations/resources/t-1?associationType=key",
              NULL, 404, 40410);
  a = expect("DELETE", "/associations/resources/t-1", NULL, 204, 0);
  answer_free(&a);
  expect_done("DELETE", "/associations/resources/t-1", NULL, 404, 40410);
  get_equals("/associations/resources/-/orders", "[]");
  expect_done("PATCH", "/associations/resources/t-1", "{}", 405, 405);
}
END_TEST

/* Create the STRONG key association of topic @name (id @id) in
 * namespace lkc-1, with @schema registered under ":.lkc-1:@name-key". */
static void strong_association(const char *name, const char *id,
                               const char *schema_text) {
  char *schema = schema_body(schema_text, NULL);
  char body[1024];
  snprintf(body, sizeof(body),
           "{\"resourceName\":\"%s\",\"resourceNamespace\":\"lkc-1\","
           "\"resourceId\":\"%s\",\"associations\":[{\"associationType\":"
           "\"key\",\"schema\":%s}]}",
           name, id, schema);
  free(schema);
  expect_done("POST", "/associations", body, 200, 0);
}

/* DELETE /associations/resources/{id}: a frozen (STRONG) association only
 * with cascadeLifecycle=true, which deletes its subject too; dryRun=true
 * checks and changes nothing; a read-only subject is refused; a subject
 * that cannot be deleted fails the request and nothing changes. */
START_TEST(test_associations_delete) {
  over_http = _i;
  strong_association("pay", "t-2", MONEY);
  expect_done("DELETE", "/associations/resources/t-2", NULL, 409, 40908);
  expect_done("DELETE", "/associations/resources/t-2?dryRun=true", NULL, 409,
              40908);
  answer_t a = expect("DELETE",
                      "/associations/resources/t-2?cascadeLifecycle=true&"
                      "dryRun=true",
                      NULL, 204, 0);
  answer_free(&a);
  get_equals("/subjects/:.lkc-1:pay-key/versions", "[1]");
  json_t *kept = get_json("/associations/resources/t-2");
  ck_assert_int_eq(json_array_size(kept), 1);
  json_decref(kept);

  /* A version referencing the subject: the cascade fails, nothing goes. */
  const char *refs = "[{\"name\":\"com.acme.Money\",\"subject\":"
                     "\":.lkc-1:pay-key\",\"version\":1}]";
  register_ok(":.lkc-1:price", PRICE, refs);
  expect_done("DELETE", "/associations/resources/t-2?cascadeLifecycle=true",
              NULL, 422, 42206);
  get_equals("/subjects/:.lkc-1:pay-key/versions", "[1]");
  json_t *left = get_json("/associations/resources/t-2");
  ck_assert_int_eq(json_array_size(left), 1);
  json_decref(left);
  expect_done("DELETE", "/subjects/:.lkc-1:price", NULL, 200, 0);
  expect_done("DELETE", "/subjects/:.lkc-1:price?permanent=true", NULL, 200, 0);

  /* Read-only: refused. */
  expect_done("PUT", "/mode/:.lkc-1:pay-key", "{\"mode\":\"READONLY\"}", 200,
              0);
  expect_done("DELETE", "/associations/resources/t-2?cascadeLifecycle=true",
              NULL, 422, 42205);
  expect_done("DELETE", "/mode/:.lkc-1:pay-key", NULL, 200, 0);

  a = expect("DELETE", "/associations/resources/t-2?cascadeLifecycle=true",
             NULL, 204, 0);
  answer_free(&a);
  expect_done("GET", "/subjects/:.lkc-1:pay-key/versions?deleted=true", NULL,
              404, 40401);
  expect_done("DELETE", "/associations/resources/t-2", NULL, 404, 40410);
}
END_TEST

/* Associations are in the file, and a load brings them back. */
START_TEST(test_associations_saved) {
  over_http = 0;
  register_ok("orders-value", ORDER_V1, NULL);
  expect_done("POST", "/associations", ASSOC_WEAK, 200, 0);
  json_t *before = get_json("/associations/resources/-/orders");
  char *path = temp_path("associations.json");
  ck_assert_int_eq(kavro_mock_save(mock, path, NULL), KAVRO_OK);
  kavro_mock_destroy(mock);
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_load(mock, path, NULL), KAVRO_OK);
  json_t *after = get_json("/associations/resources/-/orders");
  ck_assert(json_equal(before, after));
  ck_assert_int_eq(json_array_size(after), 1);
  remove(path);
  free(path);
  json_decref(before);
  json_decref(after);
}
END_TEST

/* The request body of resource @name (namespace lkc-1, id @id; NULL: none)
 * with @associations (JSON text), into @body. */
static void assoc_request(char *body, size_t size, const char *name,
                          const char *id, const char *associations) {
  char id_member[64] = "";
  if (id)
    snprintf(id_member, sizeof(id_member), "\"resourceId\":\"%s\",", id);
  snprintf(body, size,
           "{\"resourceName\":\"%s\",\"resourceNamespace\":\"lkc-1\",%s"
           "\"associations\":%s}",
           name, id_member, associations);
}

/* PUT /associations/resources/{id}: creates a WEAK association for a
 * topic or leaves one as it is; the registry's rules for an upsert. */
START_TEST(test_associations_upsert) {
  over_http = _i;
  register_ok("orders-value", ORDER_V1, NULL);
  register_ok("other", ORDER_V1, NULL);
  char body[1024];
  assoc_request(body, sizeof(body), "orders", NULL,
                "[{\"subject\":\"orders-value\"}]");
  answer_t a = expect("PUT", "/associations/resources/t-1", body, 200, 0);
  json_is(a.json, ORDERS_WEAK);
  answer_free(&a);
  json_t *list = get_json("/associations/resources/t-1");
  ck_assert_int_eq(json_array_size(list), 1);
  json_decref(list);
  /* The same again, or with the subject left out: no change. */
  a = expect("PUT", "/associations/resources/t-1", body, 200, 0);
  ck_assert_ptr_null(json_object_get(a.json, "associations"));
  answer_free(&a);
  assoc_request(body, sizeof(body), "orders", "t-1",
                "[{\"lifecycle\":\"WEAK\"}]");
  expect_done("PUT", "/associations/resources/t-1", body, 200, 0);

  /* A dry run stores nothing. */
  assoc_request(body, sizeof(body), "pay", NULL, "[{\"subject\":\"other\"}]");
  a = expect("PUT", "/associations/resources/t-3?dryRun=true", body, 200, 0);
  ck_assert_ptr_null(json_object_get(a.json, "associations"));
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "resourceId")),
                   "t-3");
  answer_free(&a);
  get_equals("/associations/resources/t-3", "[]");

  /* Refused (42212): another resource id in the body than in the path, a
   * changed subject, a STRONG or a schema-carrying new association (only
   * a create with the topic makes those), a WEAK one without a subject,
   * frozen for a WEAK one, an update that asks for nothing. */
  const char *refused[][2] = {
      {"t-9", "[{\"subject\":\"orders-value\"}]"},
      {NULL, "[{\"subject\":\"other\"}]"},
      {NULL, "[{\"associationType\":\"key\",\"lifecycle\":\"STRONG\"}]"},
      {NULL, "[{\"associationType\":\"key\",\"schema\":{\"schema\":\"\\\"int\\\"\"}}]"},
      {NULL, "[{\"associationType\":\"key\"}]"},
      {NULL, "[{\"frozen\":true}]"},
      {NULL, "[{\"subject\":\"orders-value\",\"frozen\":false,"
             "\"associationType\":\"key\",\"lifecycle\":\"WEAK\"},"
             "{\"subject\":\"other\",\"associationType\":\"key\"}]"},
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    assoc_request(body, sizeof(body), "orders", refused[i][0], refused[i][1]);
    expect_done("PUT", "/associations/resources/t-1", body, 422, 42212);
  }
  list = get_json("/associations/resources/t-1");
  ck_assert_int_eq(json_array_size(list), 1);
  json_decref(list);
  /* A WEAK association to a subject a STRONG one holds: 40905. */
  strong_association("pay", "t-2", MONEY);
  assoc_request(body, sizeof(body), "x", NULL,
                "[{\"subject\":\":.lkc-1:pay-key\"}]");
  expect_done("PUT", "/associations/resources/t-7", body, 409, 40905);
  get_equals("/associations/resources/t-7", "[]");
}
END_TEST

/* POST /associations?dryRun=true checks everything a create checks (the
 * resource id may be missing: the topic may not exist yet) and stores
 * nothing, not even the schema it carries. */
START_TEST(test_associations_dry_run) {
  over_http = _i;
  char body[1024];
  assoc_request(body, sizeof(body), "orders", NULL,
                "[{\"subject\":\"orders-value\"}]");
  expect_done("POST", "/associations?dryRun=true", body, 409, 40907);
  expect_done("POST", "/associations", body, 422, 42212);
  register_ok("orders-value", ORDER_V1, NULL);
  answer_t a = expect("POST", "/associations?dryRun=true", body, 200, 0);
  get_equals("/associations/resources/-/orders", "[]");
  json_is(a.json, "{\"resourceName\":\"orders\",\"resourceNamespace\":"
                  "\"lkc-1\",\"resourceType\":\"topic\"}");
  answer_free(&a);

  char *schema = schema_body(MONEY, NULL), associations[512];
  snprintf(associations, sizeof(associations),
           "[{\"associationType\":\"key\",\"schema\":%s}]", schema);
  free(schema);
  assoc_request(body, sizeof(body), "pay", "t-2", associations);
  expect_done("POST", "/associations?dryRun=TRUE", body, 200, 0);
  expect_done("GET", "/subjects/:.lkc-1:pay-key/versions", NULL, 404, 40401);
  get_equals("/associations/resources/t-2", "[]");
  /* An invalid schema is found without being registered. */
  assoc_request(body, sizeof(body), "pay", "t-2",
                "[{\"associationType\":\"key\",\"schema\":{\"schema\":"
                "\"{\\\"type\\\":\\\"nope\\\"}\"}}]");
  expect_done("POST", "/associations?dryRun=true", body, 422, 42201);
  /* The refusals of a create hold in a dry run. */
  assoc_request(body, sizeof(body), "orders", NULL, "[{\"lifecycle\":\"WEAK\"}]");
  expect_done("POST", "/associations?dryRun=true", body, 422, 42212);
  assoc_request(body, sizeof(body), "ord ers", NULL,
                "[{\"subject\":\"orders-value\"}]");
  expect_done("POST", "/associations?dryRun=true", body, 422, 42212);
  /* With dryRun=false it is stored. */
  assoc_request(body, sizeof(body), "orders", "t-1",
                "[{\"subject\":\"orders-value\"}]");
  expect_done("POST", "/associations?dryRun=false", body, 200, 0);
  json_t *list = get_json("/associations/resources/t-1");
  ck_assert_int_eq(json_array_size(list), 1);
  json_decref(list);

  /* One lifecycle per resource: no STRONG key beside t-1's WEAK value. */
  schema = schema_body(MONEY, NULL);
  snprintf(associations, sizeof(associations),
           "[{\"associationType\":\"key\",\"schema\":%s}]", schema);
  free(schema);
  assoc_request(body, sizeof(body), "orders", "t-1", associations);
  expect_done("POST", "/associations?dryRun=true", body, 422, 42212);
  expect_done("POST", "/associations", body, 422, 42212);
  /* A frozen association starts its subject: one that holds another
   * schema is refused, one whose version 1 is the schema given is not. */
  register_ok(":.lkc-1:shop-key", ORDER_V1, NULL);
  assoc_request(body, sizeof(body), "shop", "t-6", associations);
  expect_done("POST", "/associations?dryRun=true", body, 422, 42212);
  expect_done("POST", "/associations", body, 422, 42212);
  get_equals("/subjects/:.lkc-1:shop-key/versions", "[1]");
  strong_association("shop", "t-6", ORDER_V1);
  /* A STRONG association's subject is nobody's dependency (42206). */
  register_ok(":.lkc-1:bank-key", MONEY, NULL);
  register_ok(":.lkc-1:price", PRICE,
              "[{\"name\":\"com.acme.Money\",\"subject\":"
              "\":.lkc-1:bank-key\",\"version\":1}]");
  schema = schema_body(MONEY, NULL);
  snprintf(associations, sizeof(associations),
           "[{\"associationType\":\"key\",\"schema\":%s}]", schema);
  free(schema);
  assoc_request(body, sizeof(body), "bank", "t-8", associations);
  expect_done("POST", "/associations?dryRun=true", body, 422, 42206);
  expect_done("POST", "/associations", body, 422, 42206);
  get_equals("/associations/resources/t-8", "[]");
}
END_TEST

/* The @i-th result of a batch answer, and its "result" or "error" @member. */
static json_t *batch_member(const answer_t *a, size_t i, const char *member) {
  return json_object_get(
      json_array_get(json_object_get(a->json, "results"), i), member);
}

static int batch_error_code(const answer_t *a, size_t i) {
  return (int)json_integer_value(
      json_object_get(batch_member(a, i, "error"), "error_code"));
}

/* POST /associations:batchGet answers 207, one result per query: by id or
 * by name and namespace, filtered; with includeSchemas=true each
 * association carries its subject's latest schema. */
START_TEST(test_associations_batch_get) {
  over_http = _i;
  register_ok("orders-value", ORDER_V1, NULL);
  expect_done("POST", "/associations", ASSOC_WEAK, 200, 0);
  strong_association("pay", "t-2", MONEY);
  const char *queries =
      "{\"requests\":[{\"resourceId\":\"t-1\"},{\"resourceId\":\"t-2\","
      "\"associationTypes\":[\"key\"]},{\"resourceId\":\"unknown\"},"
      "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\"},"
      "{\"resourceId\":\"t-1\",\"lifecycle\":\"STRONG\"},"
      "{\"resourceName\":\"orders\"},{}]}";
  answer_t a = expect("POST", "/associations:batchGet", queries, 207, 0);
  json_is(batch_member(&a, 0, "result"), ORDERS_WEAK);
  json_is(batch_member(&a, 3, "result"), ORDERS_WEAK);
  json_t *strong = json_array_get(
      json_object_get(batch_member(&a, 1, "result"), "associations"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(strong, "lifecycle")),
                   "STRONG");
  ck_assert_ptr_null(json_object_get(strong, "schema"));
  json_is(batch_member(&a, 2, "result"),
          "{\"resourceId\":\"unknown\",\"resourceType\":\"topic\"}");
  ck_assert_ptr_null(
      json_object_get(batch_member(&a, 4, "result"), "associations"));
  ck_assert_int_eq(batch_error_code(&a, 5), 500);
  ck_assert_int_eq(batch_error_code(&a, 6), 500);
  ck_assert_ptr_null(batch_member(&a, 6, "result"));
  answer_free(&a);

  a = expect("POST", "/associations:batchGet?includeSchemas=true",
             "{\"requests\":[{\"resourceId\":\"t-2\"}]}", 207, 0);
  json_t *schema = json_object_get(
      json_array_get(json_object_get(batch_member(&a, 0, "result"),
                                     "associations"),
                     0),
      "schema");
  ck_assert_str_eq(json_string_value(json_object_get(schema, "subject")),
                   ":.lkc-1:pay-key");
  ck_assert_int_eq(json_integer_value(json_object_get(schema, "version")), 1);
  answer_free(&a);
  expect_done("POST", "/associations:batchGet", "{\"requests\":[]}", 422, 42212);
  expect_done("POST", "/associations:batchGet", "{}", 422, 42212);
  expect_done("POST", "/associations:batchGet", "[]", 400, 400);
  expect_done("GET", "/associations:batchGet", NULL, 405, 405);
}
END_TEST

/* POST /associations:batchMutate: per resource, CREATE, UPSERT and
 * DELETE ops applied in order; each request its own result; an error
 * stops that request only. */
START_TEST(test_associations_batch_mutate) {
  over_http = _i;
  register_ok("orders-value", ORDER_V1, NULL);
  register_ok("other", ORDER_V1, NULL);
  char *schema = schema_body(MONEY, NULL), body[4096];
  snprintf(body, sizeof(body),
           "{\"requests\":["
           "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
           "\"resourceId\":\"t-1\",\"associations\":[{\"opType\":\"CREATE\","
           "\"subject\":\"orders-value\"}]},"
           "{\"resourceName\":\"pay\",\"resourceNamespace\":\"lkc-1\","
           "\"resourceId\":\"t-2\",\"associations\":[{\"opType\":\"CREATE\","
           "\"associationType\":\"key\",\"schema\":%s}]},"
           "{\"resourceName\":\"bad\",\"resourceNamespace\":\"lkc-1\","
           "\"associations\":[{\"opType\":\"CREATE\",\"subject\":\"other\"}]},"
           "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
           "\"resourceId\":\"t-1\",\"associations\":[{\"opType\":\"UPSERT\","
           "\"subject\":\"orders-value\"},{\"opType\":\"DELETE\"}]},"
           "{\"resourceName\":\"orders\",\"resourceNamespace\":\"lkc-1\","
           "\"resourceId\":\"t-1\",\"associations\":[{\"opType\":\"CREATE\","
           "\"subject\":\"other\"}]}]}",
           schema);
  free(schema);
  answer_t a = expect("POST", "/associations:batchMutate", body, 207, 0);
  json_t *made = json_object_get(batch_member(&a, 0, "result"), "associations");
  ck_assert_int_eq(json_array_size(made), 1);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(made, 0),
                                                     "subject")),
                   "orders-value");
  made = json_array_get(
      json_object_get(batch_member(&a, 1, "result"), "associations"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(made, "lifecycle")),
                   "STRONG");
  ck_assert_ptr_nonnull(json_object_get(made, "schema"));
  ck_assert_int_eq(batch_error_code(&a, 2), 42212); /* no resource id */
  ck_assert_int_eq(batch_error_code(&a, 3), 42212); /* "value" twice */
  ck_assert_int_eq(batch_error_code(&a, 4), 40903);
  answer_free(&a);
  get_equals("/subjects/:.lkc-1:pay-key/versions", "[1]");
  json_t *list = get_json("/associations/resources/t-1");
  ck_assert_int_eq(json_array_size(list), 1);
  json_decref(list);

  /* DELETE: a frozen association only with cascadeLifecycle; a dry run
   * changes nothing. */
  const char *del = "{\"requests\":[{\"resourceName\":\"pay\","
                    "\"resourceNamespace\":\"lkc-1\",\"resourceId\":\"t-2\","
                    "\"associations\":[{\"opType\":\"DELETE\","
                    "\"associationType\":\"key\"%s}]}]}";
  snprintf(body, sizeof(body), del, "");
  a = expect("POST", "/associations:batchMutate", body, 207, 0);
  ck_assert_int_eq(batch_error_code(&a, 0), 40908);
  answer_free(&a);
  snprintf(body, sizeof(body), del, ",\"cascadeLifecycle\":true");
  a = expect("POST", "/associations:batchMutate?dryRun=true", body, 207, 0);
  ck_assert_ptr_nonnull(batch_member(&a, 0, "result"));
  answer_free(&a);
  get_equals("/subjects/:.lkc-1:pay-key/versions", "[1]");
  a = expect("POST", "/associations:batchMutate", body, 207, 0);
  ck_assert_ptr_null(
      json_object_get(batch_member(&a, 0, "result"), "associations"));
  answer_free(&a);
  get_equals("/associations/resources/t-2", "[]");
  expect_done("GET", "/subjects/:.lkc-1:pay-key/versions", NULL, 404, 40401);

  /* A dry run CREATE stores nothing; a body the registry cannot read. */
  a = expect("POST", "/associations:batchMutate?dryRun=true",
             "{\"requests\":[{\"resourceName\":\"inv\",\"resourceNamespace\":"
             "\"lkc-1\",\"associations\":[{\"opType\":\"CREATE\","
             "\"subject\":\"other\"}]}]}",
             207, 0);
  ck_assert_ptr_nonnull(batch_member(&a, 0, "result"));
  answer_free(&a);
  get_equals("/associations/resources/-/inv", "[]");
  expect_done("POST", "/associations:batchMutate",
              "{\"requests\":[{\"resourceName\":\"inv\",\"associations\":"
              "[{\"opType\":\"MOVE\"}]}]}",
              400, 400);
  expect_done("POST", "/associations:batchMutate", "{\"requests\":[]}", 422,
              42212);
}
END_TEST

/* ---- data contracts: metadata and rule sets ----------------------------- */

/* POST @body (JSON text) to /subjects/@subject/versions; the answer. */
static json_t *register_body(const char *subject, const char *body) {
  char target[256];
  snprintf(target, sizeof(target), "/subjects/%s/versions", subject);
  answer_t a = expect("POST", target, body, 200, 0);
  json_t *json = json_incref(a.json);
  answer_free(&a);
  return json;
}

/* {"schema": @schema} with the members of @extra (JSON object text). */
static char *contract_body(const char *schema, const char *extra) {
  json_t *body = json_loads(extra, 0, NULL);
  ck_assert_ptr_nonnull(body);
  json_object_set_new(body, "schema", json_string(schema));
  char *text = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  return text;
}

static void member_equals(const json_t *json, const char *member,
                          const char *expected) {
  json_t *want = json_loads(expected, 0, NULL);
  ck_assert_ptr_nonnull(want);
  char *got = json_dumps(json_object_get(json, member), JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_msg(json_equal(json_object_get(json, member), want), "%s: got %s, want %s",
                member, got ? got : "(none)", expected);
  free(got);
  json_decref(want);
}

#define META_A "{\"properties\":{\"app\":\"v1\"},\"tags\":{\"$.id\":[\"PII\",\"KEY\",\"PII\"]}}"
#define RULES_A "{\"domainRules\":[{\"name\":\"checkId\",\"type\":\"CEL\"," \
  "\"expr\":\"message.id != ''\"}]}"
/* RULES_A as the registry keeps it. */
#define RULES_A_NORMAL "{\"domainRules\":[{\"name\":\"checkId\",\"kind\":\"TRANSFORM\"," \
  "\"mode\":\"WRITEREAD\",\"type\":\"CEL\",\"expr\":\"message.id != ''\"," \
  "\"disabled\":false}]}"

/* Metadata and rule sets are stored, normalized and returned by every
 * answer that shows a schema; they are part of its identity. */
START_TEST(test_contract_roundtrip) {
  over_http = _i;
  char *body = contract_body(ORDER_V1, "{\"metadata\":" META_A ",\"ruleSet\":" RULES_A "}");
  json_t *reg = register_body("s", body);
  member_equals(reg, "metadata",
                "{\"properties\":{\"app\":\"v1\"},\"tags\":{\"$.id\":[\"KEY\",\"PII\"]}}");
  member_equals(reg, "ruleSet", RULES_A_NORMAL);
  int id = (int)json_integer_value(json_object_get(reg, "id"));
  json_t *v1 = get_json("/subjects/s/versions/1");
  member_equals(v1, "ruleSet", RULES_A_NORMAL);
  member_equals(v1, "metadata", "{\"properties\":{\"app\":\"v1\"},\"tags\":{\"$.id\":[\"KEY\",\"PII\"]}}");
  char target[64];
  snprintf(target, sizeof(target), "/schemas/ids/%d", id);
  json_t *by_id = get_json(target);
  member_equals(by_id, "ruleSet", RULES_A_NORMAL);
  /* The same registration again: the same id; a lookup finds it. */
  json_t *again = register_body("s", body);
  ck_assert_int_eq(json_integer_value(json_object_get(again, "id")), id);
  answer_t a = expect("POST", "/subjects/s", body, 200, 0);
  ck_assert_int_eq(json_integer_value(json_object_get(a.json, "version")), 1);
  answer_free(&a);
  /* Only the metadata differs: another schema, another id and version. */
  char *other = contract_body(ORDER_V1, "{\"metadata\":{\"properties\":{\"app\":\"v2\"}}}");
  json_t *second = register_body("s", other);
  ck_assert_int_ne(json_integer_value(json_object_get(second, "id")), id);
  /* It kept the rule set of the version before it. */
  member_equals(second, "ruleSet", RULES_A_NORMAL);
  get_equals("/subjects/s/versions", "[1,2]");
  /* A lookup without a contract finds the schema with the latest one. */
  char *plain = schema_body(ORDER_V1, NULL);
  a = expect("POST", "/subjects/s", plain, 200, 0);
  ck_assert_int_eq(json_integer_value(json_object_get(a.json, "version")), 2);
  answer_free(&a);
  /* Without any contract, a schema keeps its old answer shape. */
  register_ok("plain", ORDER_V2, NULL);
  json_t *p1 = get_json("/subjects/plain/versions/1");
  ck_assert_ptr_null(json_object_get(p1, "metadata"));
  ck_assert_ptr_null(json_object_get(p1, "ruleSet"));
  json_decref(p1);
  free(plain);
  free(other);
  free(body);
  json_decref(reg);
  json_decref(v1);
  json_decref(by_id);
  json_decref(again);
  json_decref(second);
}
END_TEST

/* Rule sets the registry refuses (RuleSet.validate()) get 42210; contracts
 * of the wrong shape 422; nothing is registered. */
START_TEST(test_contract_errors) {
  over_http = _i;
  static const char *const refused[] = {
      "{\"domainRules\":[{\"name\":\"a\",\"type\":\"CEL\"},{\"name\":\"a\",\"type\":\"CEL\"}]}",
      "{\"domainRules\":[{\"name\":\"a\",\"type\":\"CEL\",\"mode\":\"UPGRADE\"}]}",
      "{\"migrationRules\":[{\"name\":\"a\",\"type\":\"JSONATA\",\"mode\":\"WRITE\"}]}",
      "{\"domainRules\":[{\"name\":\"a\"}]}",
      "{\"domainRules\":[{\"type\":\"CEL\"}]}",
      "{\"domainRules\":[{\"name\":\"1a\",\"type\":\"CEL\"}]}",
      "{\"domainRules\":[{\"name\":\"a b\",\"type\":\"CEL\"}]}",
      "{\"domainRules\":[{\"name\":\"a\",\"type\":\"CEL\",\"mode\":\"WRITE\","
      "\"onFailure\":\"ERROR,NONE\"}]}",
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    char extra[512];
    snprintf(extra, sizeof(extra), "{\"ruleSet\":%s}", refused[i]);
    char *body = contract_body(ORDER_V1, extra);
    expect_done("POST", "/subjects/s/versions", body, 422, 42210);
    free(body);
  }
  static const char *const malformed[] = {
      "{\"metadata\":{\"properties\":{\"a\":1}}}",
      "{\"metadata\":[]}",
      "{\"metadata\":{\"tags\":{\"x\":\"PII\"}}}",
      "{\"ruleSet\":{\"domainRules\":[{\"name\":\"a\",\"type\":\"CEL\",\"kind\":\"NOPE\"}]}}",
      "{\"ruleSet\":{\"domainRules\":{}}}",
  };
  for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
    char *body = contract_body(ORDER_V1, malformed[i]);
    expect_done("POST", "/subjects/s/versions", body, 422, 422);
    free(body);
  }
  expect_done("PUT", "/config/s",
              "{\"defaultRuleSet\":{\"domainRules\":[{\"name\":\"a\"}]}}", 422, 42210);
  expect_done("PUT", "/config", "{\"normalize\":\"yes\"}", 422, 422);
  expect_done("GET", "/subjects/s/versions", NULL, 404, 40401);
  expect_done("GET", "/config/s", NULL, 404, 40408);
}
END_TEST

/* GET /subjects/{s}/metadata: the latest version whose metadata has every
 * property asked for. */
START_TEST(test_latest_with_metadata) {
  over_http = _i;
  const char *schemas[] = {ORDER_V1, ORDER_V2, ORDER_V2};
  const char *metadata[] = {
      "{\"metadata\":{\"properties\":{\"app\":\"v1\",\"team\":\"a\"}}}",
      "{\"metadata\":{\"properties\":{\"app\":\"v2\",\"team\":\"a\"}}}",
      "{\"metadata\":{\"properties\":{\"app\":\"v1\",\"team\":\"b\"}}}"};
  for (int i = 0; i < 3; i++) {
    char *body = contract_body(schemas[i], metadata[i]);
    json_decref(register_body("s", body));
    free(body);
  }
  json_t *v = get_json("/subjects/s/metadata?key=app&value=v1");
  ck_assert_int_eq(json_integer_value(json_object_get(v, "version")), 3);
  json_decref(v);
  v = get_json("/subjects/s/metadata?key=app&value=v1&key=team&value=a");
  ck_assert_int_eq(json_integer_value(json_object_get(v, "version")), 1);
  member_equals(v, "metadata", "{\"properties\":{\"app\":\"v1\",\"team\":\"a\"}}");
  json_decref(v);
  v = get_json("/subjects/s/metadata?key=app&value=v2");
  ck_assert_int_eq(json_integer_value(json_object_get(v, "version")), 2);
  json_decref(v);
  expect_done("GET", "/subjects/s/metadata?key=app&value=v9", NULL, 404, 40403);
  expect_done("GET", "/subjects/none/metadata?key=app&value=v1", NULL, 404, 40401);
  /* A soft-deleted version is found only with deleted=true. */
  expect_done("DELETE", "/subjects/s/versions/2", NULL, 200, 0);
  expect_done("GET", "/subjects/s/metadata?key=app&value=v2", NULL, 404, 40403);
  v = get_json("/subjects/s/metadata?key=app&value=v2&deleted=true");
  ck_assert_int_eq(json_integer_value(json_object_get(v, "version")), 2);
  json_decref(v);
}
END_TEST

/* The config's default and override metadata and rule sets are merged
 * into every registration: default, then the posted (or the previous
 * version's) contract, then the override. */
START_TEST(test_contract_config_merge) {
  over_http = _i;
  const char *config =
      "{\"defaultMetadata\":{\"properties\":{\"owner\":\"ops\",\"tier\":\"1\"}},"
      "\"overrideMetadata\":{\"properties\":{\"tier\":\"2\"},\"sensitive\":[\"ssn\"]},"
      "\"defaultRuleSet\":{\"domainRules\":[{\"name\":\"d\",\"type\":\"CEL\"},"
      "{\"name\":\"shared\",\"type\":\"CEL\",\"expr\":\"default\"}]},"
      "\"overrideRuleSet\":{\"domainRules\":[{\"name\":\"o\",\"type\":\"ENCRYPT\"}]}}";
  answer_t a = expect("PUT", "/config/s", config, 200, 0);
  member_equals(a.json, "defaultMetadata",
                "{\"properties\":{\"owner\":\"ops\",\"tier\":\"1\"}}");
  ck_assert_ptr_null(json_object_get(a.json, "compatibility"));
  answer_free(&a);
  json_t *got = get_json("/config/s");
  member_equals(got, "overrideMetadata",
                "{\"properties\":{\"tier\":\"2\"},\"sensitive\":[\"ssn\"]}");
  ck_assert_ptr_null(json_object_get(got, "compatibilityLevel"));
  json_decref(got);
  char *body = contract_body(ORDER_V1,
                             "{\"metadata\":{\"properties\":{\"owner\":\"me\"}},"
                             "\"ruleSet\":{\"domainRules\":[{\"name\":\"shared\","
                             "\"type\":\"CEL\",\"expr\":\"mine\"}]}}");
  json_t *reg = register_body("s", body);
  member_equals(reg, "metadata",
                "{\"properties\":{\"owner\":\"me\",\"tier\":\"2\"},\"sensitive\":[\"ssn\"]}");
  json_t *rules = json_object_get(json_object_get(reg, "ruleSet"), "domainRules");
  ck_assert_int_eq(json_array_size(rules), 3);
  const char *order[] = {"d", "shared", "o"};
  for (size_t i = 0; i < 3; i++)
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rules, i), "name")),
                     order[i]);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rules, 1), "expr")),
                   "mine");
  /* The next version, posted without a contract, inherits this one's. */
  char *plain = schema_body(ORDER_V2, NULL);
  json_t *next = register_body("s", plain);
  char *inherited = json_dumps(json_object_get(reg, "metadata"), 0);
  member_equals(next, "metadata", inherited);
  free(inherited);
  ck_assert_int_eq(json_array_size(json_object_get(
                       json_object_get(next, "ruleSet"), "domainRules")), 3);
  /* null removes a member; absent keeps it. */
  expect_done("PUT", "/config/s", "{\"overrideMetadata\":null,\"compatibility\":\"NONE\"}",
              200, 0);
  got = get_json("/config/s");
  ck_assert_ptr_null(json_object_get(got, "overrideMetadata"));
  ck_assert_ptr_nonnull(json_object_get(got, "defaultMetadata"));
  ck_assert_str_eq(json_string_value(json_object_get(got, "compatibilityLevel")), "NONE");
  json_decref(got);
  /* A global default reaches a subject without a config of its own. */
  expect_done("PUT", "/config", "{\"defaultMetadata\":{\"properties\":{\"g\":\"1\"}}}",
              200, 0);
  json_t *other = register_body("other", plain);
  member_equals(other, "metadata", "{\"properties\":{\"g\":\"1\"}}");
  got = get_json("/config/other?defaultToGlobal=true");
  member_equals(got, "defaultMetadata", "{\"properties\":{\"g\":\"1\"}}");
  json_decref(got);
  expect_done("DELETE", "/config", NULL, 200, 0);
  got = get_json("/config");
  ck_assert_ptr_null(json_object_get(got, "defaultMetadata"));
  json_decref(got);
  free(body);
  free(plain);
  json_decref(reg);
  json_decref(next);
  json_decref(other);
}
END_TEST

/* With a compatibilityGroup, a registration is checked only against the
 * versions whose metadata has its value of that property. */
START_TEST(test_compatibility_group) {
  over_http = _i;
  expect_done("PUT", "/config/s", "{\"compatibilityGroup\":\"major\"}", 200, 0);
  get_equals("/config/s", "{\"compatibilityGroup\":\"major\"}");
  char *v1 = contract_body(ORDER_V1, "{\"metadata\":{\"properties\":{\"major\":\"1\"}}}");
  char *bad1 = contract_body(ORDER_BAD, "{\"metadata\":{\"properties\":{\"major\":\"1\"}}}");
  char *bad2 = contract_body(ORDER_BAD, "{\"metadata\":{\"properties\":{\"major\":\"2\"}}}");
  json_decref(register_body("s", v1));
  expect_done("POST", "/subjects/s/versions", bad1, 409, 409);
  json_decref(register_body("s", bad2));
  /* Without the group the same break is refused. */
  expect_done("PUT", "/config/t", "{\"compatibility\":\"BACKWARD\"}", 200, 0);
  json_decref(register_body("t", v1));
  expect_done("POST", "/subjects/t/versions", bad2, 409, 409);
  free(v1);
  free(bad1);
  free(bad2);
}
END_TEST

/* Contracts and config members survive a save and a load. */
START_TEST(test_contract_saved) {
  over_http = 0;
  expect_done("PUT", "/config", "{\"compatibilityGroup\":\"major\",\"normalize\":true}",
              200, 0);
  expect_done("PUT", "/config/s", "{\"defaultRuleSet\":" RULES_A "}", 200, 0);
  char *body = contract_body(ORDER_V1, "{\"metadata\":" META_A "}");
  json_t *reg = register_body("s", body);
  json_t *before = json_pack("{s:o, s:o, s:o}", "v1", get_json("/subjects/s/versions/1"),
                             "config", get_json("/config"), "s", get_json("/config/s"));
  char *path = temp_path("contracts.json");
  ck_assert_int_eq(kavro_mock_save(mock, path, NULL), KAVRO_OK);
  kavro_mock_destroy(mock);
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, NULL), KAVRO_OK);
  kavro_error_t error;
  ck_assert_msg(kavro_mock_load(mock, path, &error) == KAVRO_OK, "%s", error.text);
  json_t *after = json_pack("{s:o, s:o, s:o}", "v1", get_json("/subjects/s/versions/1"),
                            "config", get_json("/config"), "s", get_json("/config/s"));
  char *b = json_dumps(before, JSON_SORT_KEYS), *a = json_dumps(after, JSON_SORT_KEYS);
  ck_assert_str_eq(a, b);
  member_equals(json_object_get(after, "v1"), "ruleSet", RULES_A_NORMAL);
  /* The loaded schema keeps its identity: registering it again is a no-op. */
  json_t *again = register_body("s", body);
  ck_assert_int_eq(json_integer_value(json_object_get(again, "id")),
                   json_integer_value(json_object_get(reg, "id")));
  get_equals("/subjects/s/versions", "[1]");
  remove(path);
  free(path);
  free(a);
  free(b);
  free(body);
  json_decref(reg);
  json_decref(again);
  json_decref(before);
  json_decref(after);
}
END_TEST

/* ---- the DEK registry ------------------------------------------------------ */

#define DEK_V1 "/dek-registry/v1"
#define KEK_K1                                                               \
  "{\"name\":\"k1\",\"kmsType\":\"aws\",\"kmsKeyId\":"                       \
  "\"arn:aws:kms:us-east-1:1:key/x\",\"kmsProps\":{\"b\":\"2\"},"            \
  "\"shared\":false}"

/* The answer of @method @target, without its "ts" (checked to be epoch
 * milliseconds), as JSON text @expected. */
static void answer_is(const char *method, const char *target, const char *body,
                      const char *expected) {
  answer_t a = expect(method, target, body, 200, 0);
  json_t *ts = json_object_get(a.json, "ts");
  ck_assert_msg(json_is_integer(ts) && json_integer_value(ts) > 1700000000000LL,
                "%s %s: no ts in %s", method, target, a.body);
  json_object_del(a.json, "ts");
  json_is(a.json, expected);
  answer_free(&a);
}

/* The error message of @method @target, which must fail with @status and
 * @code. */
static void error_is(const char *method, const char *target, const char *body,
                     int status, int code, const char *message) {
  answer_t a = expect(method, target, body, status, code);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "message")),
                   message);
  answer_free(&a);
}

START_TEST(test_dek_registry_keks) {
  over_http = _i;
  get_equals(DEK_V1 "/keks", "[]");
  error_is("GET", DEK_V1 "/keks/k1", NULL, 404, 40470, "Key 'k1' not found");
  /* The kmsType normalized, kmsProps kept, doc absent, no "deleted". */
  const char *k1 = "{\"name\":\"k1\",\"kmsType\":\"aws-kms\",\"kmsKeyId\":"
                   "\"arn:aws:kms:us-east-1:1:key/x\",\"kmsProps\":"
                   "{\"b\":\"2\"},\"shared\":false}";
  answer_is("POST", DEK_V1 "/keks", KEK_K1, k1);
  answer_is("GET", DEK_V1 "/keks/k1", NULL, k1);
  /* Even the same KEK again is a conflict. */
  error_is("POST", DEK_V1 "/keks", KEK_K1, 409, 40971,
           "Key 'k1' already exists; use a different value");
  error_is("POST", DEK_V1 "/keks",
           "{\"name\":\"1x\",\"kmsType\":\"t\",\"kmsKeyId\":\"i\"}", 422, 42271,
           "Invalid or missing value for field 'name' of key");
  error_is("POST", DEK_V1 "/keks", "{\"name\":\"k2\",\"kmsType\":\"t\"}", 422,
           42271, "Invalid or missing value for field 'kmsKeyId' of key");
  error_is("POST", DEK_V1 "/keks", "{\"name\":\"k2\",\"kmsKeyId\":\"i\"}", 422,
           42271, "Invalid or missing value for field 'kmsType' of key");
  expect_done("POST", DEK_V1 "/keks",
              "{\"name\":\"k2\",\"kmsType\":\"aws-kms\",\"kmsKeyId\":\"i\"}",
              422, 42271);
  expect_done("POST", DEK_V1 "/keks", "{\"name\":3}", 422, 422);
  expect_done("POST", DEK_V1 "/keks", "not json", 400, 400);
  /* Testing a shared KEK needs the KMS the mock does not have. */
  expect_done("POST", DEK_V1 "/keks?testSharing=true",
              "{\"name\":\"k2\",\"kmsType\":\"t\",\"kmsKeyId\":\"i\","
              "\"shared\":true}",
              500, 500);
  error_is("POST", DEK_V1 "/keks/k1/test", NULL, 422, 42271,
           "Invalid or missing value for field 'shared' of key");
  expect_done("POST", DEK_V1 "/keks/nokek/test", NULL, 404, 40470);
  error_is("GET", DEK_V1 "/keks/1bad", NULL, 422, 42271,
           "Invalid or missing value for field 'name' of key");
  expect_done("PATCH", DEK_V1 "/keks", "{}", 405, 405);

  /* PUT changes what it names. */
  answer_is("PUT", DEK_V1 "/keks/k1", "{\"doc\":\"d\",\"kmsProps\":{}}",
            "{\"name\":\"k1\",\"kmsType\":\"aws-kms\",\"kmsKeyId\":"
            "\"arn:aws:kms:us-east-1:1:key/x\",\"kmsProps\":{},\"doc\":\"d\","
            "\"shared\":false}");
  expect_done("PUT", DEK_V1 "/keks/nokek", "{}", 404, 40470);

  /* Soft delete, undelete, and a permanent delete after the soft one. */
  error_is("DELETE", DEK_V1 "/keks/k1?permanent=true", NULL, 404, 40471,
           "Key 'k1' was not deleted first before being permanently deleted");
  expect_done("DELETE", DEK_V1 "/keks/k1", NULL, 204, 0);
  expect_done("GET", DEK_V1 "/keks/k1", NULL, 404, 40470);
  answer_t a = expect("GET", DEK_V1 "/keks/k1?deleted=true", NULL, 200, 0);
  ck_assert(json_is_true(json_object_get(a.json, "deleted")));
  answer_free(&a);
  get_equals(DEK_V1 "/keks", "[]");
  get_equals(DEK_V1 "/keks?deleted=true", "[\"k1\"]");
  expect_done("POST", DEK_V1 "/keks/k1/undelete", NULL, 204, 0);
  get_equals(DEK_V1 "/keks", "[\"k1\"]");
  /* Creating an equivalent soft-deleted KEK undeletes it. */
  expect_done("DELETE", DEK_V1 "/keks/k1", NULL, 204, 0);
  answer_is("POST", DEK_V1 "/keks", "{\"name\":\"k1\",\"kmsType\":\"aws-kms\","
            "\"kmsKeyId\":\"arn:aws:kms:us-east-1:1:key/x\",\"kmsProps\":{},"
            "\"doc\":\"d\"}",
            "{\"name\":\"k1\",\"kmsType\":\"aws-kms\",\"kmsKeyId\":"
            "\"arn:aws:kms:us-east-1:1:key/x\",\"kmsProps\":{},\"doc\":\"d\","
            "\"shared\":false}");
  expect_done("DELETE", DEK_V1 "/keks/k1", NULL, 204, 0);
  expect_done("DELETE", DEK_V1 "/keks/k1?permanent=true", NULL, 204, 0);
  expect_done("GET", DEK_V1 "/keks/k1?deleted=true", NULL, 404, 40470);
  expect_done("DELETE", DEK_V1 "/keks/k1", NULL, 404, 40470);
}
END_TEST

START_TEST(test_dek_registry_deks) {
  over_http = _i;
  expect_done("POST", DEK_V1 "/keks", KEK_K1, 200, 0);
  const char *s1v1 = "{\"kekName\":\"k1\",\"subject\":\"s1\",\"version\":1,"
                     "\"algorithm\":\"AES256_GCM\",\"encryptedKeyMaterial\":"
                     "\"AAAA\"}";
  answer_is("POST", DEK_V1 "/keks/k1/deks/s1", "{\"encryptedKeyMaterial\":"
            "\"AAAA\"}", s1v1);
  error_is("POST", DEK_V1 "/keks/k1/deks/s1", "{\"encryptedKeyMaterial\":"
           "\"AAAA\",\"version\":1}", 409, 40971,
           "Key 's1' already exists; use a different value");
  /* The older path takes the subject from the body. */
  answer_is("POST", DEK_V1 "/keks/k1/deks", "{\"subject\":\"s2\",\"version\":2,"
            "\"algorithm\":\"AES128_GCM\",\"encryptedKeyMaterial\":\"BBBB\"}",
            "{\"kekName\":\"k1\",\"subject\":\"s2\",\"version\":2,\"algorithm\":"
            "\"AES128_GCM\",\"encryptedKeyMaterial\":\"BBBB\"}");
  error_is("POST", DEK_V1 "/keks/k1/deks/s3", "{}", 422, 42271,
           "Invalid or missing value for field 'encryptedKeyMaterial' of key");
  expect_done("POST", DEK_V1 "/keks/k1/deks", "{\"encryptedKeyMaterial\":\"A\"}",
              422, 42271);
  error_is("POST", DEK_V1 "/keks/nokek/deks/s1", "{\"encryptedKeyMaterial\":"
           "\"AAAA\"}", 404, 40470, "Key 'nokek' not found");
  expect_done("POST", DEK_V1 "/keks/k1/deks/s1", "{\"algorithm\":\"DES\"}", 422,
              422);

  get_equals(DEK_V1 "/keks/k1/deks", "[\"s1\",\"s2\"]");
  get_equals(DEK_V1 "/keks/k1/deks?offset=1", "[\"s2\"]");
  get_equals(DEK_V1 "/keks/k1/deks?limit=1", "[\"s1\"]");
  get_equals(DEK_V1 "/keks?subjectPrefix=x&subjectPrefix=s2", "[\"k1\"]");
  get_equals(DEK_V1 "/keks?subjectPrefix=x", "[]");
  answer_is("GET", DEK_V1 "/keks/k1/deks/s1", NULL, s1v1);
  answer_is("GET", DEK_V1 "/keks/k1/deks/s1/versions/1", NULL, s1v1);
  answer_is("POST", DEK_V1 "/keks/k1/deks/s1", "{\"version\":3,"
            "\"encryptedKeyMaterial\":\"CCCC\"}",
            "{\"kekName\":\"k1\",\"subject\":\"s1\",\"version\":3,"
            "\"algorithm\":\"AES256_GCM\",\"encryptedKeyMaterial\":\"CCCC\"}");
  get_equals(DEK_V1 "/keks/k1/deks/s1/versions", "[1,3]");
  answer_t a = expect("GET", DEK_V1 "/keks/k1/deks/s1/versions/latest", NULL,
                      200, 0);
  ck_assert_int_eq(json_integer_value(json_object_get(a.json, "version")), 3);
  answer_free(&a);
  a = expect("GET", DEK_V1 "/keks/k1/deks/s1/versions/-1", NULL, 200, 0);
  ck_assert_int_eq(json_integer_value(json_object_get(a.json, "version")), 3);
  answer_free(&a);
  expect_done("GET", DEK_V1 "/keks/k1/deks/s1/versions/abc", NULL, 422, 42202);
  error_is("GET", DEK_V1 "/keks/k1/deks/s1/versions/1?algorithm=AES128_GCM",
           NULL, 404, 40470, "Key 's1' not found");
  expect_done("GET", DEK_V1 "/keks/k1/deks/s1/versions/1?algorithm=DES", NULL,
              404, 404);
  get_equals(DEK_V1 "/keks/k1/deks/s2/versions?algorithm=AES128_GCM", "[2]");

  /* A KEK with DEKs stays; a DEK is deleted soft first. */
  error_is("DELETE", DEK_V1 "/keks/k1", NULL, 422, 42272,
           "One or more references exist to the key 'k1'");
  expect_done("DELETE", DEK_V1 "/keks/k1/deks/s1/versions/1?permanent=true",
              NULL, 404, 40471);
  /* "latest" is looked up, then nothing is deleted, as by the registry. */
  expect_done("DELETE", DEK_V1 "/keks/k1/deks/s1/versions/latest", NULL, 204,
              0);
  get_equals(DEK_V1 "/keks/k1/deks/s1/versions", "[1,3]");
  expect_done("DELETE", DEK_V1 "/keks/k1/deks/s1/versions/1", NULL, 204, 0);
  expect_done("GET", DEK_V1 "/keks/k1/deks/s1/versions/1", NULL, 404, 40470);
  a = expect("GET", DEK_V1 "/keks/k1/deks/s1/versions/1?deleted=true", NULL,
             200, 0);
  ck_assert(json_is_true(json_object_get(a.json, "deleted")));
  answer_free(&a);
  get_equals(DEK_V1 "/keks/k1/deks/s1/versions", "[3]");
  get_equals(DEK_V1 "/keks/k1/deks/s1/versions?deleted=true", "[1,3]");
  expect_done("POST", DEK_V1 "/keks/k1/deks/s1/versions/1/undelete", NULL, 204,
              0);
  answer_is("GET", DEK_V1 "/keks/k1/deks/s1/versions/1", NULL, s1v1);

  /* Every version; then the KEK, which has only soft-deleted DEKs. */
  expect_done("DELETE", DEK_V1 "/keks/k1/deks/s1", NULL, 204, 0);
  expect_done("DELETE", DEK_V1 "/keks/k1/deks/s2?algorithm=AES128_GCM", NULL,
              204, 0);
  get_equals(DEK_V1 "/keks/k1/deks", "[]");
  expect_done("DELETE", DEK_V1 "/keks/k1", NULL, 204, 0);
  error_is("POST", DEK_V1 "/keks/k1/deks/s1/undelete", NULL, 404, 40472,
           "Key 'k1' must be undeleted first");
  /* For good: soft-deleted DEKs keep a KEK from a permanent delete. */
  expect_done("DELETE", DEK_V1 "/keks/k1?permanent=true", NULL, 422, 42272);
  expect_done("DELETE", DEK_V1 "/keks/k1/deks/s1?permanent=true", NULL, 204, 0);
  expect_done("DELETE",
              DEK_V1 "/keks/k1/deks/s2?algorithm=AES128_GCM&permanent=true",
              NULL, 204, 0);
  expect_done("DELETE", DEK_V1 "/keks/k1?permanent=true", NULL, 204, 0);
  expect_done("GET", DEK_V1 "/keks/k1/deks?deleted=true", NULL, 404, 40470);
}
END_TEST

/* A shared KEK's DEKs are made and unwrapped by the registry's KMS: the
 * mock has none, and answers as a registry whose KMS fails. */
START_TEST(test_dek_registry_shared_kek) {
  over_http = _i;
  expect_done("POST", DEK_V1 "/keks",
              "{\"name\":\"sk\",\"kmsType\":\"local-kms\",\"kmsKeyId\":\"i\","
              "\"shared\":true}",
              200, 0);
  error_is("POST", DEK_V1 "/keks/sk/test", NULL, 500, 50070,
           "Could not generate encrypted dek for __TEST: this mock registry "
           "reaches no KMS");
  error_is("POST", DEK_V1 "/keks/sk/deks/s", "{}", 500, 50070,
           "Could not generate encrypted dek for s: this mock registry "
           "reaches no KMS");
  expect_done("POST", DEK_V1 "/keks/sk/deks/s", "{\"encryptedKeyMaterial\":"
              "\"AAAA\"}", 500, 50070);
  get_equals(DEK_V1 "/keks/sk/deks", "[]");
  /* A subject being imported keeps the wrapped key it is given unchecked;
   * handing it out still needs the KMS. */
  expect_done("PUT", "/mode/s", "{\"mode\":\"IMPORT\"}", 200, 0);
  expect_done("POST", DEK_V1 "/keks/sk/deks/s", "{\"encryptedKeyMaterial\":"
              "\"AAAA\"}", 200, 0);
  get_equals(DEK_V1 "/keks/sk/deks/s/versions", "[1]");
  error_is("GET", DEK_V1 "/keks/sk/deks/s", NULL, 500, 50070,
           "Could not generate raw dek for s: this mock registry reaches no "
           "KMS");
}
END_TEST

/* The error message of @method @target with @body. */
static void error_message_is(const char *method, const char *target,
                             const char *body, int status, int code,
                             const char *message) {
  answer_t a = expect(method, target, body, status, code);
  ck_assert_str_eq(json_string_value(json_object_get(a.json, "message")), message);
  answer_free(&a);
}

#define MONEY_AT_5 "[{\"name\":\"com.acme.Money\",\"subject\":\"imp\",\"version\":5}]"

/* IMPORT mode with the ids and versions of another registry, as
 * KafkaSchemaRegistry.register() takes them; kept in the file (a schema
 * may reference one with a higher id). */
START_TEST(test_import_ids) {
  over_http = 0;
  expect_done("PUT", "/mode", "{\"mode\":\"IMPORT\"}", 200, 0);
  import_expect("imp", MONEY, 100, 5, 200, 0);
  get_equals("/subjects/imp/versions", "[5]");
  json_t *v = get_json("/subjects/imp/versions/5");
  ck_assert_int_eq(json_integer_value(json_object_get(v, "id")), 100);
  const char *guid = json_string_value(json_object_get(v, "guid"));
  /* The same again is what is there. */
  import_expect("imp", MONEY, 100, 5, 200, 0);
  get_equals("/subjects/imp/versions", "[5]");
  /* An id another schema has is refused. */
  char *other = schema_body(ORDER_V1, NULL);
  json_t *body = json_loads(other, 0, NULL);
  json_object_set_new(body, "id", json_integer(100));
  char *text = json_dumps(body, JSON_COMPACT);
  error_message_is("POST", "/subjects/imp/versions", text, 422, 42205,
                   "Overwrite new schema with id 100 is not permitted.");
  /* Versions below, and without a version the next one. */
  import_expect("imp", ORDER_V1, 50, 2, 200, 0);
  get_equals("/subjects/imp/versions", "[2,5]");
  import_expect("imp", ORDER_V2, 51, 0, 200, 0);
  get_equals("/subjects/imp/versions", "[2,5,6]");
  /* The same schema under another id: a second id, the same GUID. */
  import_expect("again", MONEY, 101, 1, 200, 0);
  json_t *again = get_json("/schemas/ids/101");
  ck_assert_str_eq(json_string_value(json_object_get(again, "guid")), guid);
  json_decref(again);
  /* No id in IMPORT mode (but a schema the subject has is answered as
   * it is), an id outside it. */
  expect_done("POST", "/subjects/imp/versions", other, 200, 0);
  char *bad = schema_body(ORDER_BAD, NULL);
  error_message_is("POST", "/subjects/imp/versions", bad, 422, 42205,
                   "Subject imp is not in read-write mode");
  free(bad);
  expect_done("PUT", "/mode/rw", "{\"mode\":\"READWRITE\"}", 200, 0);
  error_message_is("POST", "/subjects/rw/versions", text, 422, 42205,
                   "Subject rw is not in import mode");
  /* A version outside IMPORT mode must be the next one. */
  json_object_del(body, "id");
  json_object_set_new(body, "version", json_integer(2));
  free(text);
  text = json_dumps(body, JSON_COMPACT);
  error_message_is("POST", "/subjects/rw/versions", text, 422, 42201,
                   "Version is not one more than previous version");
  json_object_set_new(body, "version", json_integer(1));
  free(text);
  text = json_dumps(body, JSON_COMPACT);
  expect_done("POST", "/subjects/rw/versions", text, 200, 0);
  /* New ids go on after the highest imported one. */
  expect_done("PUT", "/mode/fresh", "{\"mode\":\"READWRITE\"}", 200, 0);
  ck_assert_int_eq(register_ok("fresh", "\"string\"", NULL), 102);
  /* Malformed members. */
  expect_done("POST", "/subjects/imp/versions",
              "{\"schema\":\"\\\"int\\\"\",\"id\":\"7\"}", 422, 422);
  expect_done("POST", "/subjects/imp/versions",
              "{\"schema\":\"\\\"int\\\"\",\"id\":0}", 422, 42201);
  expect_done("POST", "/subjects/imp/versions",
              "{\"schema\":\"\\\"int\\\"\",\"id\":99999999999}", 422, 42201);
  /* A referrer with a lower id than what it references, saved and
   * loaded. */
  char *price = schema_body(PRICE, MONEY_AT_5);
  json_t *price_body = json_loads(price, 0, NULL);
  json_object_set_new(price_body, "id", json_integer(3));
  char *price_text = json_dumps(price_body, JSON_COMPACT);
  expect_done("POST", "/subjects/price/versions", price_text, 200, 0);
  get_equals("/subjects/imp/versions/5/referencedby", "[3]");
  char *path = temp_path("import.json");
  ck_assert_int_eq(kavro_mock_save(mock, path, NULL), KAVRO_OK);
  kavro_mock_destroy(mock);
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, NULL), KAVRO_OK);
  kavro_error_t error;
  ck_assert_msg(kavro_mock_load(mock, path, &error) == KAVRO_OK, "%s", error.text);
  get_equals("/subjects/imp/versions", "[2,5,6]");
  json_t *loaded = get_json("/subjects/imp/versions/5");
  ck_assert(json_equal(loaded, v));
  json_decref(loaded);
  get_equals("/subjects/imp/versions/5/referencedby", "[3]");
  ck_assert_int_eq(register_ok("fresh", "\"bytes\"", NULL), 103);
  unlink(path);
  free(path);
  free(price_text);
  json_decref(price_body);
  free(price);
  free(text);
  json_decref(body);
  free(other);
  json_decref(v);
}
END_TEST

/* The mock listens on IPv6 too: its URL has the address in brackets, and
 * curl reaches it there. */
START_TEST(test_listen_ipv6) {
  kavro_error_t error;
  kavro_mock_destroy(mock);
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, &error), KAVRO_OK);
  /* Brackets belong to URLs, not to the address. */
  ck_assert_int_eq(kavro_mock_listen(mock, "[::1]", 0, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_mock_listen(mock, "::1::2::3", 0, &error),
                   KAVRO_ERR_INVALID_ARG);
  if (!kt_ipv6_loopback())
    return;
  ck_assert_msg(kavro_mock_listen(mock, "::1", 0, &error) == KAVRO_OK, "%s",
                error.text);
  const char *url = kavro_mock_url(mock);
  ck_assert_msg(strncmp(url, "http://[::1]:", 13) == 0, "%s", url);
  ck_assert_int_gt(atoi(url + 13), 0);
  over_http = 1;
  register_ok("s", ORDER_V1, NULL);
  get_equals("/subjects", "[\"s\"]");
  /* The wildcard address, with a port of the system's choosing. */
  kavro_mock_t *any;
  ck_assert_int_eq(kavro_mock_new("check-mock-any", &any, &error), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(any, "::", 0, &error), KAVRO_OK);
  ck_assert_msg(strncmp(kavro_mock_url(any), "http://[::]:", 12) == 0, "%s",
                kavro_mock_url(any));
  kavro_mock_destroy(any);
}
END_TEST

/* A subject sent with '/' encoded stays one subject. */
START_TEST(test_dek_registry_subject_encoding) {
  over_http = _i;
  expect_done("POST", DEK_V1 "/keks", KEK_K1, 200, 0);
  answer_is("POST", DEK_V1 "/keks/k1/deks/a%2Fb%20c",
            "{\"encryptedKeyMaterial\":\"AAAA\"}",
            "{\"kekName\":\"k1\",\"subject\":\"a/b c\",\"version\":1,"
            "\"algorithm\":\"AES256_GCM\",\"encryptedKeyMaterial\":\"AAAA\"}");
  get_equals(DEK_V1 "/keks/k1/deks", "[\"a/b c\"]");
  expect_done("GET", DEK_V1 "/keks/k1/deks/a%01b/versions/1", NULL, 422, 42271);
}
END_TEST

/* KEKs and DEKs go to the store's file with every change and come back
 * from it as they were; a file naming a DEK of no KEK is refused. */
START_TEST(test_dek_registry_saved) {
  over_http = 0;
  char *path = temp_path("deks.json");
  remove(path);
  ck_assert_int_eq(kavro_mock_persist(mock, path, NULL), KAVRO_OK);
  expect_done("POST", DEK_V1 "/keks", KEK_K1, 200, 0);
  expect_done("POST", DEK_V1 "/keks/k1/deks/s1",
              "{\"encryptedKeyMaterial\":\"AAAA\"}", 200, 0);
  expect_done("DELETE", DEK_V1 "/keks/k1/deks/s1", NULL, 204, 0);
  json_t *kek = get_json(DEK_V1 "/keks/k1");
  json_t *dek = get_json(DEK_V1 "/keks/k1/deks/s1/versions/1?deleted=true");
  kavro_mock_destroy(mock);
  ck_assert_int_eq(kavro_mock_new(SCOPE, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_load(mock, path, NULL), KAVRO_OK);
  json_t *kek_after = get_json(DEK_V1 "/keks/k1");
  json_t *dek_after =
      get_json(DEK_V1 "/keks/k1/deks/s1/versions/1?deleted=true");
  ck_assert(json_equal(kek, kek_after));
  ck_assert(json_equal(dek, dek_after));
  ck_assert(json_is_true(json_object_get(dek_after, "deleted")));
  json_decref(kek);
  json_decref(dek);
  json_decref(kek_after);
  json_decref(dek_after);

  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("{\"format\":\"kavro-mock-registry\",\"version\":1,"
        "\"compatibilityLevel\":\"BACKWARD\",\"mode\":\"READWRITE\","
        "\"schemas\":[],"
        "\"subjects\":[],\"dekRegistry\":{\"keks\":[],\"deks\":[{"
        "\"kekName\":\"k9\",\"subject\":\"s\",\"version\":1,"
        "\"algorithm\":\"AES256_GCM\",\"encryptedKeyMaterial\":\"A\"}]}}",
        f);
  fclose(f);
  kavro_error_t error;
  ck_assert_int_ne(kavro_mock_load(mock, path, &error), KAVRO_OK);
  ck_assert_msg(strstr(error.text, "dekRegistry"), "%s", error.text);
  get_equals(DEK_V1 "/keks", "[\"k1\"]"); /* the store as it was */
  remove(path);
  free(path);
}
END_TEST

static Suite *mock_suite(void) {
  Suite *s = suite_create("mock");
  TCase *tc = tcase_create("endpoints");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_root_and_types, 0, 2);
  tcase_add_loop_test(tc, test_ids_and_versions, 0, 2);
  tcase_add_loop_test(tc, test_read_errors, 0, 2);
  tcase_add_loop_test(tc, test_invalid_registrations, 0, 2);
  tcase_add_loop_test(tc, test_lookup, 0, 2);
  tcase_add_loop_test(tc, test_legacy_schema_held, 0, 2);
  tcase_add_loop_test(tc, test_delete_version_rules, 0, 2);
  tcase_add_loop_test(tc, test_delete_subject_rules, 0, 2);
  tcase_add_loop_test(tc, test_reregister_after_soft_delete, 0, 2);
  tcase_add_loop_test(tc, test_backward_refusal, 0, 2);
  tcase_add_loop_test(tc, test_other_levels, 0, 2);
  tcase_add_loop_test(tc, test_config, 0, 2);
  tcase_add_loop_test(tc, test_mode, 0, 2);
  tcase_add_loop_test(tc, test_subject_mode, 0, 2);
  tcase_add_loop_test(tc, test_compatibility_endpoint, 0, 2);
  tcase_add_loop_test(tc, test_subject_names, 0, 2);
  tcase_add_loop_test(tc, test_references, 0, 2);
  tcase_add_loop_test(tc, test_referenced_by, 0, 2);
  tcase_add_loop_test(tc, test_format_resolved, 0, 2);
  tcase_add_loop_test(tc, test_hostile_requests, 0, 2);
  tcase_add_test(tc, test_node_sequence);
  suite_add_tcase(s, tc);

  tc = tcase_create("faults");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_fault_errors, 0, 2);
  tcase_add_loop_test(tc, test_fault_drop_and_malformed, 0, 2);
  tcase_add_loop_test(tc, test_latency, 0, 2);
  tcase_add_test(tc, test_latency_does_not_block);
  tcase_add_test(tc, test_down_and_up);
  tcase_add_test(tc, test_body_limit);
  tcase_add_test(tc, test_listen_ipv6);
  suite_add_tcase(s, tc);

  tc = tcase_create("mock");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_counters_and_log, 0, 2);
  tcase_add_test(tc, test_scopes);
  tcase_add_test(tc, test_concurrency);
  tcase_add_test(tc, test_save_and_load);
  tcase_add_test(tc, test_import_ids);
  tcase_add_loop_test(tc, test_guids, 0, 2);
  tcase_add_test(tc, test_guids_saved);
  tcase_add_loop_test(tc, test_invalid_subject, 0, 2);
  tcase_add_loop_test(tc, test_invalid_subject_persisted, 0, 2);
  tcase_add_test(tc, test_durable_before_answer);
  tcase_add_test(tc, test_unwritable_file);
  tcase_add_test(tc, test_save_skips_unwritable_subject);
  tcase_add_test(tc, test_check_runs_unlocked);
  tcase_add_loop_test(tc, test_token_endpoint_form_credentials, 0, 2);
  tcase_add_loop_test(tc, test_normalize, 0, 2);
  tcase_add_loop_test(tc, test_contexts, 0, 2);
  tcase_add_loop_test(tc, test_context_settings, 0, 2);
  tcase_add_loop_test(tc, test_context_references, 0, 2);
  tcase_add_loop_test(tc, test_delete_context, 0, 2);
  tcase_add_test(tc, test_delete_context_saved);
  tcase_add_test(tc, test_contexts_saved);
  tcase_add_loop_test(tc, test_associations, 0, 2);
  tcase_add_loop_test(tc, test_associations_delete, 0, 2);
  tcase_add_test(tc, test_associations_saved);
  tcase_add_loop_test(tc, test_associations_upsert, 0, 2);
  tcase_add_loop_test(tc, test_associations_dry_run, 0, 2);
  tcase_add_loop_test(tc, test_associations_batch_get, 0, 2);
  tcase_add_loop_test(tc, test_associations_batch_mutate, 0, 2);
  suite_add_tcase(s, tc);

  tc = tcase_create("contracts");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_contract_roundtrip, 0, 2);
  tcase_add_loop_test(tc, test_contract_errors, 0, 2);
  tcase_add_loop_test(tc, test_latest_with_metadata, 0, 2);
  tcase_add_loop_test(tc, test_contract_config_merge, 0, 2);
  tcase_add_loop_test(tc, test_compatibility_group, 0, 2);
  tcase_add_test(tc, test_contract_saved);
  suite_add_tcase(s, tc);

  tc = tcase_create("dek-registry");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_dek_registry_keks, 0, 2);
  tcase_add_loop_test(tc, test_dek_registry_deks, 0, 2);
  tcase_add_loop_test(tc, test_dek_registry_shared_kek, 0, 2);
  tcase_add_loop_test(tc, test_dek_registry_subject_encoding, 0, 2);
  tcase_add_test(tc, test_dek_registry_saved);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  curl_global_init(CURL_GLOBAL_ALL);
  SRunner *runner = srunner_create(mock_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  curl_global_cleanup();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
