/*
 * kavro tests - the process-wide metrics (kavro/metrics.h): known traffic
 * through the mock registry (over HTTP), the serializer and the
 * deserializer counted exactly (messages, bytes, errors by class and
 * code, registry requests by endpoint and status, cache hits and misses,
 * mock requests, schemas and rule sets compiled); counts from several
 * threads; the Prometheus text (escaping, histograms, a buffer too
 * small); declarations refused; the statistics callback and its JSON.
 *
 * The metrics are process-wide and every suite's tests may run in one
 * process (CK_FORK=no): each test uses topics of its own or compares
 * counts before and after.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common_metrics_int.h"
#include "kavro.h"
#include "serde_fixture.h"

static const char order_text[] =
    "{\"type\":\"record\",\"name\":\"MetricsOrder\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"long\"},{\"name\":\"note\",\"type\":\"string\"}]}";

static void mock_setup(void) { kt_mock_start("metricstest"); }

/* The value of kavro family @id's series with the label values that
 * follow (as many as it has labels). */
static double metric_of(kv_metric_id_t id, ...) {
  const char *v[3] = {NULL, NULL, NULL};
  va_list ap;
  va_start(ap, id);
  for (int i = 0; i < 3; i++)
    v[i] = va_arg(ap, const char *);
  va_end(ap);
  return kavro_metric_value(kv_metric(id, v[0], v[1], v[2]));
}

#define metric(...) metric_of(__VA_ARGS__, NULL, NULL, NULL)

/* Every series of a family in the statistics JSON, as [labels, value]. */
static json_t *stats_family(json_t *doc, const char *name) {
  size_t i;
  json_t *family;
  json_array_foreach(json_object_get(doc, "metrics"), i, family)
    if (strcmp(json_string_value(json_object_get(family, "name")), name) == 0)
      return json_object_get(family, "series");
  return NULL;
}

/* The sum of the values of family @name's series whose label @label is
 * @value (NULL: every series), read from a fresh statistics document. */
static double stats_sum(const char *name, const char *label,
                        const char *value) {
  char *text = kavro_metrics_json();
  ck_assert_ptr_nonnull(text);
  json_t *doc = json_loads(text, 0, NULL);
  ck_assert_ptr_nonnull(doc);
  free(text);
  double sum = 0;
  size_t i;
  json_t *series;
  json_array_foreach(stats_family(doc, name), i, series) {
    const char *have =
        label ? json_string_value(
                    json_object_get(json_object_get(series, "labels"), label))
              : NULL;
    if (!label || (have && strcmp(have, value) == 0))
      sum += json_number_value(json_object_get(series, "value"));
  }
  json_decref(doc);
  return sum;
}

static const char *endpoint_names[KAVRO_REGISTRY_EP_COUNT] = {
    "register",       "lookup",        "schema_by_id",   "version",
    "versions",       "subjects",      "delete_subject", "delete_version",
    "config",         "mode",          "compatibility",  "schema_by_guid",
    "contexts",       "associations"};

static size_t serialize(kavro_serializer_t *ser, const char *topic,
                        kavro_schema_t *schema, long n, kavro_buf_t *out) {
  kt_value_t v;
  char datum[64];
  snprintf(datum, sizeof(datum), "{\"n\":%ld,\"note\":\"x%ld\"}", n, n);
  kt_value_from_json(&v, schema, datum);
  kavro_error_t error;
  kavro_err_t err =
      kavro_serializer_serialize(ser, topic, false, schema, &v.value, out,
                                 &error);
  ck_assert_msg(err == KAVRO_OK, "%s", error.text);
  kt_value_free(&v);
  return kavro_buf_length(out);
}

/* ---- known traffic ----------------------------------------------------------- */

START_TEST(serde_traffic_counted) {
  const char *topic = "metrics.traffic";
  kavro_registry_t *reg = kt_client(kt_mock_url(1), NULL);
  kavro_registry_stats_t before, after;
  kavro_registry_stats(reg, &before);
  double requests_before = stats_sum("kavro_registry_requests_total", NULL,
                                     NULL);
  double mock_before = stats_sum("kavro_mock_registry_requests_total", NULL,
                                 NULL);
  double lookups_before[KAVRO_REGISTRY_EP_COUNT];
  for (int e = 0; e < KAVRO_REGISTRY_EP_COUNT; e++)
    lookups_before[e] =
        stats_sum("kavro_registry_requests_total", "endpoint",
                  endpoint_names[e]);
  double parsed = metric(KV_M_SCHEMAS_COMPILED);
  kavro_schema_t *schema = kt_parse(order_text);
  ck_assert_double_eq(metric(KV_M_SCHEMAS_COMPILED), parsed + 1);

  kavro_serializer_t *ser = kavro_serializer_new(reg, NULL, NULL);
  kavro_deserializer_t *des = kavro_deserializer_new(reg, NULL, NULL, NULL);
  ck_assert_ptr_nonnull(ser);
  ck_assert_ptr_nonnull(des);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  size_t bytes = 0;
  enum { N = 7 };
  for (long i = 0; i < N; i++) {
    bytes += serialize(ser, topic, schema, i, out);
    kavro_deserialized_t msg;
    ck_assert_int_eq(kavro_deserializer_deserialize(
                         des, topic, false, NULL, 0, kavro_buf_data(out),
                         kavro_buf_length(out), &msg, NULL),
                     KAVRO_OK);
  }
  ck_assert_double_eq(metric(KV_M_SERIALIZED, topic, "ok"), N);
  ck_assert_double_eq(metric(KV_M_SERIALIZED_BYTES, topic), (double)bytes);
  ck_assert_double_eq(metric(KV_M_DESERIALIZED, topic, "ok"), N);
  ck_assert_double_eq(metric(KV_M_DESERIALIZED_BYTES, topic), (double)bytes);
  ck_assert_double_eq(metric(KV_M_SERIALIZED, topic, "error"), 0);

  /* A wrong magic byte (permanent, no request) and an unknown id (the
   * registry's 404, permanent), each counted once by class and code. */
  double magic = metric(KV_M_SERDE_ERRORS, "deserialize", "permanent",
                        "WIRE_MAGIC");
  double unknown = metric(KV_M_SERDE_ERRORS, "deserialize", "permanent",
                          kavro_err2name(KAVRO_ERR_SCHEMA_NOT_FOUND));
  double not_found = stats_sum("kavro_registry_requests_total", "status",
                               "404");
  const unsigned char bad_magic[] = {7, 0, 0, 0, 1, 2};
  const unsigned char bad_id[] = {0, 0, 0, 0x3, 0xe7, 2};
  kavro_deserialized_t msg;
  kavro_error_t error;
  ck_assert_int_eq(kavro_deserializer_deserialize(des, topic, false, NULL, 0,
                                                  bad_magic, sizeof(bad_magic),
                                                  &msg, &error),
                   KAVRO_ERR_WIRE_MAGIC);
  ck_assert_int_eq(kavro_deserializer_deserialize(des, topic, false, NULL, 0,
                                                  bad_id, sizeof(bad_id), &msg,
                                                  NULL),
                   KAVRO_ERR_SCHEMA_NOT_FOUND);
  ck_assert_double_eq(metric(KV_M_DESERIALIZED, topic, "error"), 2);
  ck_assert_double_eq(metric(KV_M_DESERIALIZED, topic, "ok"), N);
  ck_assert_double_eq(metric(KV_M_SERDE_ERRORS, "deserialize", "permanent",
                             "WIRE_MAGIC"),
                      magic + 1);
  ck_assert_double_eq(
      metric(KV_M_SERDE_ERRORS, "deserialize", "permanent",
             kavro_err2name(KAVRO_ERR_SCHEMA_NOT_FOUND)),
      unknown + 1);
  ck_assert_double_eq(
      stats_sum("kavro_registry_requests_total", "status", "404"),
      not_found + 1);

  /* The client's own counters agree, endpoint by endpoint, and the mock
   * answered each exchange (the client never retries here). */
  kavro_registry_stats(reg, &after);
  double sent = 0;
  for (int e = 0; e < KAVRO_REGISTRY_EP_COUNT; e++) {
    double delta = stats_sum("kavro_registry_requests_total", "endpoint",
                             endpoint_names[e]) -
                   lookups_before[e];
    ck_assert_double_eq(delta,
                        (double)(after.requests[e] - before.requests[e]));
    sent += delta;
  }
  ck_assert_double_gt(sent, 0);
  ck_assert_double_eq(
      stats_sum("kavro_registry_requests_total", NULL, NULL) - requests_before,
      sent);
  ck_assert_double_eq(
      stats_sum("kavro_mock_registry_requests_total", NULL, NULL) - mock_before,
      sent);
  kavro_buf_destroy(out);
  kavro_deserializer_destroy(des);
  kavro_serializer_destroy(ser);
  kavro_schema_destroy(schema);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(cache_hits_counted) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_schema_t *schema = kt_parse(order_text);
  int32_t id = 0;
  ck_assert_int_eq(kavro_registry_register(reg, "metrics.cache-value", schema,
                                           NULL, 0, false, &id, NULL),
                   KAVRO_OK);
  kavro_registry_clear_caches(reg);
  double hits = metric(KV_M_CACHE_HITS, "schema_by_id");
  double misses = metric(KV_M_CACHE_MISSES, "schema_by_id");
  for (int i = 0; i < 3; i++) {
    kavro_schema_t *got = NULL;
    ck_assert_int_eq(kavro_registry_schema_by_id(reg, id, NULL, &got, NULL),
                     KAVRO_OK);
    kavro_schema_destroy(got);
  }
  ck_assert_double_eq(metric(KV_M_CACHE_MISSES, "schema_by_id"), misses + 1);
  ck_assert_double_eq(metric(KV_M_CACHE_HITS, "schema_by_id"), hits + 2);
  kavro_schema_destroy(schema);
  kavro_registry_destroy(reg);
}
END_TEST

START_TEST(rule_sets_counted) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kt_register_contract(reg, "metrics.rules-value", order_text, NULL,
                       "{\"domainRules\":[{\"name\":\"positive\","
                       "\"kind\":\"CONDITION\",\"mode\":\"WRITE\","
                       "\"type\":\"CEL\",\"expr\":\"message.n >= 0\"}]}");
  kavro_conf_t *conf = kavro_conf_new();
  kavro_conf_set(conf, "use.latest.version", "true", NULL);
  kavro_conf_set(conf, "auto.register.schemas", "false", NULL);
  kavro_serializer_t *ser = kavro_serializer_new(reg, conf, NULL);
  ck_assert_ptr_nonnull(ser);
  kavro_schema_t *schema = kt_parse(order_text);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  double compiled = metric(KV_M_RULE_SETS_COMPILED);
  serialize(ser, "metrics.rules", schema, 1, out);
  serialize(ser, "metrics.rules", schema, 2, out);
  ck_assert_double_eq(metric(KV_M_RULE_SETS_COMPILED), compiled + 1);
  /* A message the rule refuses: a permanent error, counted by its code. */
  double refused = metric(KV_M_SERDE_ERRORS, "serialize", "permanent", "RULE");
  kt_value_t v;
  kt_value_from_json(&v, schema, "{\"n\":-1,\"note\":\"\"}");
  ck_assert_int_eq(kavro_serializer_serialize(ser, "metrics.rules", false,
                                              schema, &v.value, out, NULL),
                   KAVRO_ERR_RULE);
  kt_value_free(&v);
  ck_assert_double_eq(metric(KV_M_SERIALIZED, "metrics.rules", "ok"), 2);
  ck_assert_double_eq(metric(KV_M_SERIALIZED, "metrics.rules", "error"), 1);
  ck_assert_double_eq(
      metric(KV_M_SERDE_ERRORS, "serialize", "permanent", "RULE"),
      refused + 1);
  kavro_buf_destroy(out);
  kavro_schema_destroy(schema);
  kavro_serializer_destroy(ser);
  kavro_conf_destroy(conf);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- several threads --------------------------------------------------------- */

enum { THREADS = 4, PER_THREAD = 500 };

typedef struct worker_s {
  kavro_registry_t *reg;
  kavro_schema_t *schema;
  size_t bytes;
} worker_t;

static void *work(void *arg) {
  worker_t *w = arg;
  kavro_serializer_t *ser = kavro_serializer_new(w->reg, NULL, NULL);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kt_value_t v;
  kt_value_from_json(&v, w->schema, "{\"n\":5,\"note\":\"threads\"}");
  for (int i = 0; i < PER_THREAD; i++)
    if (kavro_serializer_serialize(ser, "metrics.threads", false, w->schema,
                                   &v.value, out, NULL) == KAVRO_OK)
      w->bytes += kavro_buf_length(out);
  kt_value_free(&v);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  return NULL;
}

START_TEST(threads_counted_exactly) {
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kavro_schema_t *schema = kt_parse(order_text);
  worker_t workers[THREADS];
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    workers[i] = (worker_t){reg, schema, 0};
    ck_assert_int_eq(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
  }
  size_t bytes = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    bytes += workers[i].bytes;
  }
  ck_assert_double_eq(metric(KV_M_SERIALIZED, "metrics.threads", "ok"),
                      THREADS * PER_THREAD);
  ck_assert_double_eq(metric(KV_M_SERIALIZED, "metrics.threads", "error"), 0);
  ck_assert_double_eq(metric(KV_M_SERIALIZED_BYTES, "metrics.threads"),
                      (double)bytes);
  kavro_schema_destroy(schema);
  kavro_registry_destroy(reg);
}
END_TEST

/* ---- exposition -------------------------------------------------------------- */

/* The whole Prometheus text, in a new string. */
static char *prometheus_text(void) {
  size_t needed = 0;
  ck_assert_int_eq(kavro_metrics_prometheus(NULL, 0, &needed), KAVRO_OK);
  size_t size = needed + 4096; /* room for series made in between */
  char *text = malloc(size);
  ck_assert_int_eq(kavro_metrics_prometheus(text, size, &needed), KAVRO_OK);
  ck_assert_uint_eq(strlen(text) + 1, needed);
  return text;
}

START_TEST(prometheus_escapes_labels_and_help) {
  const char *labels[] = {"who"};
  const char *values[] = {"a\"b\\c\nd"};
  kavro_metric_t *m = kavro_metrics_series(
      KAVRO_METRIC_COUNTER, "kt_escapes_total", "Help with \\ and\nnewline",
      1, labels, values, NULL, 0, NULL);
  ck_assert_ptr_nonnull(m);
  kavro_metric_add(m, 3);
  char *text = prometheus_text();
  ck_assert_ptr_nonnull(
      strstr(text, "# HELP kt_escapes_total Help with \\\\ and\\nnewline\n"
                   "# TYPE kt_escapes_total counter\n"));
  ck_assert_ptr_nonnull(
      strstr(text, "\nkt_escapes_total{who=\"a\\\"b\\\\c\\nd\"} 3\n"));
  /* kavro's own families are listed before any series exists. */
  ck_assert_ptr_nonnull(strstr(text, "# TYPE kavro_dlq_forwards_total counter"));
  ck_assert_ptr_nonnull(
      strstr(text, "# TYPE kavro_processing_duration_seconds histogram"));
  free(text);
}
END_TEST

START_TEST(prometheus_histogram_and_gauge) {
  const double bounds[] = {0.01, 0.1, 1};
  const char *labels[] = {"kind"};
  const char *values[] = {"h"};
  kavro_metric_t *h = kavro_metrics_series(
      KAVRO_METRIC_HISTOGRAM, "kt_wait_seconds", "Waits.", 1, labels, values,
      bounds, 3, NULL);
  kavro_metric_t *g = kavro_metrics_series(KAVRO_METRIC_GAUGE, "kt_level",
                                           "A level.", 0, NULL, NULL, NULL, 0,
                                           NULL);
  ck_assert_ptr_nonnull(h);
  ck_assert_ptr_nonnull(g);
  kavro_metric_observe(h, 0.003);
  kavro_metric_observe(h, 0.2);
  kavro_metric_observe(h, 20);
  kavro_metric_observe(h, NAN); /* ignored */
  kavro_metric_set(g, 2.5);
  kavro_metric_gauge_add(g, -1);
  ck_assert_double_eq(kavro_metric_value(h), 3);
  ck_assert_double_eq(kavro_metric_value(g), 1.5);
  char *text = prometheus_text();
  ck_assert_ptr_nonnull(strstr(
      text, "# TYPE kt_wait_seconds histogram\n"
            "kt_wait_seconds_bucket{kind=\"h\",le=\"0.01\"} 1\n"
            "kt_wait_seconds_bucket{kind=\"h\",le=\"0.1\"} 1\n"
            "kt_wait_seconds_bucket{kind=\"h\",le=\"1.0\"} 2\n"
            "kt_wait_seconds_bucket{kind=\"h\",le=\"+Inf\"} 3\n"
            "kt_wait_seconds_sum{kind=\"h\"} "));
  const char *sum = strstr(text, "kt_wait_seconds_sum{kind=\"h\"} ");
  ck_assert_double_eq(strtod(strchr(sum, ' ') + 1, NULL), 0.003 + 0.2 + 20);
  ck_assert_ptr_nonnull(strstr(text, "\nkt_wait_seconds_count{kind=\"h\"} 3\n"));
  ck_assert_ptr_nonnull(strstr(text, "\nkt_level 1.5\n"));
  free(text);
}
END_TEST

START_TEST(prometheus_buffer_too_small) {
  size_t needed = 0;
  ck_assert_int_eq(kavro_metrics_prometheus(NULL, 0, &needed), KAVRO_OK);
  ck_assert_uint_gt(needed, 100);
  char small[10];
  memset(small, 'x', sizeof(small));
  size_t again = 0;
  ck_assert_int_eq(kavro_metrics_prometheus(small, sizeof(small), &again),
                   KAVRO_ERR_LIMIT);
  ck_assert_uint_eq(again, needed);
  ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
  ck_assert_int_eq(strncmp(small, "# HELP ", 7), 0);
  char *full = malloc(needed);
  ck_assert_int_eq(kavro_metrics_prometheus(full, needed, &again), KAVRO_OK);
  ck_assert_uint_eq(strlen(full) + 1, needed);
  ck_assert_int_eq(strncmp(full, small, sizeof(small) - 1), 0);
  free(full);
  ck_assert_int_eq(kavro_metrics_prometheus(NULL, 5, NULL),
                   KAVRO_ERR_INVALID_ARG);
}
END_TEST

START_TEST(declarations_refused) {
  kavro_error_t error;
  const char *good[] = {"topic"};
  const char *v[] = {"t"};
  const char *reserved[] = {"__name"};
  const char *le[] = {"le"};
#define REFUSED(type, name, n, labels, bounds, count, expected)                  \
  do {                                                                       \
    ck_assert_ptr_null(kavro_metrics_series(type, name, "h", n, labels, v,   \
                                            bounds, count, &error));         \
    ck_assert_int_eq(error.code, expected);                                  \
  } while (0)
  REFUSED(KAVRO_METRIC_COUNTER, "1st_total", 0, NULL, NULL, 0,
          KAVRO_ERR_INVALID_ARG);
  REFUSED(KAVRO_METRIC_COUNTER, "kt a", 0, NULL, NULL, 0,
          KAVRO_ERR_INVALID_ARG);
  REFUSED(KAVRO_METRIC_COUNTER, "kt_x_total", 1, reserved, NULL, 0,
          KAVRO_ERR_INVALID_ARG);
  REFUSED(KAVRO_METRIC_HISTOGRAM, "kt_x_seconds", 1, le, NULL, 0,
          KAVRO_ERR_INVALID_ARG);
  const double unordered[] = {1, 0.5};
  REFUSED(KAVRO_METRIC_HISTOGRAM, "kt_x_seconds", 1, good, unordered, 2,
          KAVRO_ERR_INVALID_ARG);
  /* Declared once as a counter: another type or other labels refused. */
  ck_assert_ptr_nonnull(kavro_metrics_series(KAVRO_METRIC_COUNTER,
                                             "kt_once_total", "h", 1, good, v,
                                             NULL, 0, &error));
  REFUSED(KAVRO_METRIC_GAUGE, "kt_once_total", 1, good, NULL, 0,
          KAVRO_ERR_INVALID_ARG);
  REFUSED(KAVRO_METRIC_COUNTER, "kt_once_total", 0, NULL, NULL, 0,
          KAVRO_ERR_INVALID_ARG);
  REFUSED(KAVRO_METRIC_COUNTER, "kavro_serialized_messages_total", 1, good,
          NULL, 0, KAVRO_ERR_INVALID_ARG);
  /* A label value past the bound. */
  char *longer = malloc(KAVRO_METRIC_MAX_VALUE + 2);
  memset(longer, 'a', KAVRO_METRIC_MAX_VALUE + 1);
  longer[KAVRO_METRIC_MAX_VALUE + 1] = '\0';
  const char *lv[] = {longer};
  ck_assert_ptr_null(kavro_metrics_series(KAVRO_METRIC_COUNTER,
                                          "kt_once_total", "h", 1, good, lv,
                                          NULL, 0, &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_LIMIT);
  free(longer);
  /* Counting through NULL does nothing. */
  kavro_metric_add(NULL, 1);
  kavro_metric_observe(NULL, 1);
  kavro_metric_set(NULL, 1);
  ck_assert_double_eq(kavro_metric_value(NULL), 0);
#undef REFUSED
}
END_TEST

START_TEST(processing_histogram) {
  kavro_metric_t *m = kavro_metrics_processing("metrics.handled", NULL);
  ck_assert_ptr_nonnull(m);
  ck_assert_ptr_eq(m, kavro_metrics_processing("metrics.handled", NULL));
  kavro_metric_observe(m, 0.0004);
  kavro_metric_observe(m, 0.002);
  ck_assert_double_eq(kavro_metric_value(m), 2);
  char *text = prometheus_text();
  ck_assert_ptr_nonnull(strstr(text, "kavro_processing_duration_seconds_bucket"
                                     "{topic=\"metrics.handled\",le=\"0.0005\"}"
                                     " 1\n"));
  free(text);
  ck_assert_ptr_null(kavro_metrics_processing(NULL, NULL));
}
END_TEST

/* ---- the statistics document ------------------------------------------------- */

typedef struct stats_seen_s {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int calls;
  char *json; /* the last document */
} stats_seen_t;

static void on_stats(void *opaque, const char *json, size_t length) {
  stats_seen_t *seen = opaque;
  ck_assert_uint_eq(strlen(json), length);
  pthread_mutex_lock(&seen->mutex);
  free(seen->json);
  seen->json = strdup(json);
  seen->calls++;
  pthread_cond_signal(&seen->cond);
  pthread_mutex_unlock(&seen->mutex);
}

START_TEST(stats_callback_document) {
  stats_seen_t seen = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
                       NULL};
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url", kt_mock_url(0),
                                  NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "statistics.interval.ms", "5", NULL),
                   KAVRO_OK);
  kavro_conf_set_stats_cb(conf, on_stats, &seen);
  /* Some traffic first, so that the document has numbers to check. */
  kavro_registry_t *reg = kavro_registry_new(conf, NULL);
  ck_assert_ptr_nonnull(reg);
  kavro_serializer_t *ser = kavro_serializer_new(reg, NULL, NULL);
  kavro_schema_t *schema = kt_parse(order_text);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  size_t bytes = serialize(ser, "metrics.stats", schema, 1, out);
  bytes += serialize(ser, "metrics.stats", schema, 2, out);
  kavro_metric_t *gauge = kavro_metrics_series(
      KAVRO_METRIC_GAUGE, "kt_tenth", "A tenth.", 0, NULL, NULL, NULL, 0,
      NULL);
  kavro_metric_set(gauge, 0.1);
  /* Wait for a document made after the traffic (no deadline: the test
   * case's time-out ends a run where none comes). */
  pthread_mutex_lock(&seen.mutex);
  int after = seen.calls;
  while (seen.calls < after + 2)
    pthread_cond_wait(&seen.cond, &seen.mutex);
  pthread_mutex_unlock(&seen.mutex);
  kavro_registry_destroy(reg); /* stops the callbacks */
  int calls = seen.calls;

  json_error_t jerr;
  json_t *doc = json_loads(seen.json, 0, &jerr);
  ck_assert_msg(doc != NULL, "%s", jerr.text);
  ck_assert_str_eq(json_string_value(json_object_get(doc, "name")), "kavro");
  ck_assert(json_is_integer(json_object_get(doc, "ts")));
  ck_assert(json_is_integer(json_object_get(doc, "time")));
  json_t *series;
  size_t i;
  int found = 0;
  json_array_foreach(stats_family(doc, "kavro_serialized_messages_total"), i,
                     series) {
    json_t *labels = json_object_get(series, "labels");
    if (strcmp(json_string_value(json_object_get(labels, "topic")),
               "metrics.stats") == 0 &&
        strcmp(json_string_value(json_object_get(labels, "outcome")), "ok") ==
            0) {
      ck_assert_int_eq(json_integer_value(json_object_get(series, "value")), 2);
      found++;
    }
  }
  ck_assert_int_eq(found, 1);
  json_array_foreach(stats_family(doc, "kavro_serialized_bytes_total"), i,
                     series)
    if (strcmp(json_string_value(json_object_get(
                   json_object_get(series, "labels"), "topic")),
               "metrics.stats") == 0)
      ck_assert_int_eq(json_integer_value(json_object_get(series, "value")),
                       (json_int_t)bytes);
  /* Numbers read back to the same value. */
  series = json_array_get(stats_family(doc, "kt_tenth"), 0);
  ck_assert(json_real_value(json_object_get(series, "value")) == 0.1);
  json_t *hist = json_array_get(
      stats_family(doc, "kavro_registry_request_duration_seconds"), 0);
  ck_assert_ptr_nonnull(hist);
  ck_assert(json_is_integer(json_object_get(hist, "count")));
  json_decref(doc);

  /* Once the client is gone, no more calls. */
  kavro_metric_set(gauge, 0.2);
  struct timespec pause = {0, 20 * 1000000};
  nanosleep(&pause, NULL);
  ck_assert_int_eq(seen.calls, calls);
  free(seen.json);
  kavro_buf_destroy(out);
  kavro_schema_destroy(schema);
  kavro_serializer_destroy(ser);
}
END_TEST

START_TEST(stats_interval_validated) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "statistics.interval.ms", "-1", NULL),
                   KAVRO_ERR_CONF_INVALID);
  /* An interval without a callback starts nothing. */
  ck_assert_int_eq(kavro_conf_set(conf, "statistics.interval.ms", "1", NULL),
                   KAVRO_OK);
  kv_stats_timer_t *timer = (kv_stats_timer_t *)&timer;
  ck_assert_int_eq(kv_stats_timer_start(conf, &timer, NULL), KAVRO_OK);
  ck_assert_ptr_null(timer);
  kavro_conf_destroy(conf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("metrics");
  tcase_add_checked_fixture(tc, mock_setup, kt_mock_stop);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, serde_traffic_counted);
  tcase_add_test(tc, cache_hits_counted);
  tcase_add_test(tc, rule_sets_counted);
  tcase_add_test(tc, threads_counted_exactly);
  tcase_add_test(tc, prometheus_escapes_labels_and_help);
  tcase_add_test(tc, prometheus_histogram_and_gauge);
  tcase_add_test(tc, prometheus_buffer_too_small);
  tcase_add_test(tc, declarations_refused);
  tcase_add_test(tc, processing_histogram);
  tcase_add_test(tc, stats_callback_document);
  tcase_add_test(tc, stats_interval_validated);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
