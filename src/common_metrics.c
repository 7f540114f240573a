/*
 * kavro - the process-wide metrics registry (kavro/metrics.h).
 *
 * Families sit in one list sorted by name, each with its series in the
 * order they were made; a mutex guards both lists, which only grow
 * (nothing is ever freed: a series pointer a part keeps stays valid for
 * the life of the process, whatever client made it).  Values are atomics
 * read without the lock, so counting never waits for a scrape.
 *
 * Counters are striped (common_metrics_int.h) because the serializer of
 * every producing thread adds to its topic's counters: a cache line per
 * thread, written without a locked instruction, rather than one for all.
 * Histograms count each observation in one bucket (not cumulated: one
 * atomic add), cumulated when read; their count is the sum of the
 * buckets, so a reader never sees a count that disagrees with the +Inf
 * bucket.  Sums and gauges are doubles kept as their bits, changed by
 * compare-and-swap.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common_conf_int.h"
#include "common_error_int.h"
#include "common_metrics_int.h"
#include "common_strbuf_int.h"
#include "common_text_int.h"

typedef struct kv_family_s kv_family_t;

struct kavro_metric_s {
  kv_metric_head_t head; /* first: the inline counting functions read it */
  struct kavro_metric_s *next;
  kv_family_t *family;
  atomic_uint_fast64_t bits;     /* a gauge's value; a histogram's sum */
  atomic_uint_fast64_t *buckets; /* a histogram's: bound_count + 1 */
  char *values[];                /* label values, label_count of them */
};

struct kv_family_s {
  kv_family_t *next;
  kavro_metric_type_t type;
  char *name;
  char *help;
  size_t label_count;
  char *labels[KAVRO_METRIC_MAX_LABELS];
  size_t bound_count;
  double bounds[KAVRO_METRIC_MAX_BOUNDS];
  kavro_metric_t *series, **tail;
  size_t series_count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kv_family_t *families; /* sorted by name */
/* Heap blocks the registry holds, for tests that count leaks (the
 * registry only grows: its blocks are the process' for good). */
static atomic_long blocks;

long kv_metrics_blocks(void) { return atomic_load(&blocks); }

/* ---- kavro's own families ------------------------------------------------ */

typedef struct kv_metric_desc_s {
  kavro_metric_type_t type;
  const char *name;
  const char *help;
  size_t label_count;
  const char *labels[3];
  const double *bounds; /* NULL: Prometheus' default buckets */
  size_t bound_count;
} kv_metric_desc_t;

/* Registry requests: from a cached loopback answer to a slow WAN. */
static const double request_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,  0.1,    0.25,  0.5,
                                        1,      2.5,   5,      10,    30};
/* An application's handler: from a counter bump to a minute's work. */
static const double processing_bounds[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
#define BOUNDS(b) b, sizeof(b) / sizeof(b[0])

static const kv_metric_desc_t catalog[KV_M_COUNT] = {
    [KV_M_SERIALIZED] = {KAVRO_METRIC_COUNTER,
                         "kavro_serialized_messages_total",
                         "Messages the serializer was given, by topic and "
                         "outcome (ok, error).",
                         2, {"topic", "outcome"}, NULL, 0},
    [KV_M_SERIALIZED_BYTES] = {KAVRO_METRIC_COUNTER,
                               "kavro_serialized_bytes_total",
                               "Bytes of the frames the serializer wrote "
                               "(prefix and body), by topic.",
                               1, {"topic"}, NULL, 0},
    [KV_M_DESERIALIZED] = {KAVRO_METRIC_COUNTER,
                           "kavro_deserialized_messages_total",
                           "Messages the deserializer was given, by topic "
                           "and outcome (ok, error).",
                           2, {"topic", "outcome"}, NULL, 0},
    [KV_M_DESERIALIZED_BYTES] = {KAVRO_METRIC_COUNTER,
                                 "kavro_deserialized_bytes_total",
                                 "Bytes of the payloads the deserializer "
                                 "read, by topic.",
                                 1, {"topic"}, NULL, 0},
    [KV_M_SERDE_ERRORS] = {KAVRO_METRIC_COUNTER, "kavro_serde_errors_total",
                           "Failed serializations and deserializations, by "
                           "operation, error class (transient, permanent, "
                           "local) and error code name.",
                           3, {"operation", "class", "code"}, NULL, 0},
    [KV_M_REGISTRY_REQUESTS] = {KAVRO_METRIC_COUNTER,
                                "kavro_registry_requests_total",
                                "HTTP exchanges with the Schema Registry, by "
                                "endpoint and HTTP status (\"error\": no "
                                "reply).",
                                2, {"endpoint", "status"}, NULL, 0},
    [KV_M_REGISTRY_DURATION] = {KAVRO_METRIC_HISTOGRAM,
                                "kavro_registry_request_duration_seconds",
                                "Time of an HTTP exchange with the Schema "
                                "Registry, by endpoint.",
                                1, {"endpoint"}, BOUNDS(request_bounds)},
    [KV_M_CACHE_HITS] = {KAVRO_METRIC_COUNTER,
                         "kavro_registry_cache_hits_total",
                         "Registry client cache lookups answered, by cache.",
                         1, {"cache"}, NULL, 0},
    [KV_M_CACHE_MISSES] = {KAVRO_METRIC_COUNTER,
                           "kavro_registry_cache_misses_total",
                           "Registry client cache lookups not answered, by "
                           "cache.",
                           1, {"cache"}, NULL, 0},
    [KV_M_CACHE_EVICTIONS] = {KAVRO_METRIC_COUNTER,
                              "kavro_registry_cache_evictions_total",
                              "Entries a full registry client cache "
                              "evicted, by cache.",
                              1, {"cache"}, NULL, 0},
    [KV_M_SCHEMAS_COMPILED] = {KAVRO_METRIC_COUNTER,
                               "kavro_schemas_compiled_total",
                               "Schemas parsed and validated into kavro's "
                               "schema model.",
                               0, {NULL}, NULL, 0},
    [KV_M_RULE_SETS_COMPILED] = {KAVRO_METRIC_COUNTER,
                                 "kavro_rule_sets_compiled_total",
                                 "Data contract rule sets compiled.",
                                 0, {NULL}, NULL, 0},
    [KV_M_MOCK_REQUESTS] = {KAVRO_METRIC_COUNTER,
                            "kavro_mock_registry_requests_total",
                            "Requests the mock registry's HTTP server "
                            "answered, by method and HTTP status.",
                            2, {"method", "status"}, NULL, 0},
    [KV_M_DLQ_FORWARDS] = {KAVRO_METRIC_COUNTER, "kavro_dlq_forwards_total",
                           "Messages forwarded to a dead-letter topic, by "
                           "source topic and reason.",
                           2, {"topic", "reason"}, NULL, 0},
    [KV_M_HANDLER_RETRIES] = {KAVRO_METRIC_COUNTER,
                              "kavro_handler_retries_total",
                              "Consumed messages handed to the application's "
                              "handler again after a transient failure, by "
                              "topic.",
                              1, {"topic"}, NULL, 0},
    [KV_M_PROCESSING_DURATION] = {KAVRO_METRIC_HISTOGRAM,
                                  "kavro_processing_duration_seconds",
                                  "Time the application took over a consumed "
                                  "message, from being handed it to done, by "
                                  "topic.",
                                  1, {"topic"}, BOUNDS(processing_bounds)},
};

/* Prometheus client libraries' default buckets. */
static const double default_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,    2.5,   5,    10};

/* ---- striping ------------------------------------------------------------ */

_Thread_local unsigned kv_metric_stripe_tls
    __attribute__((tls_model("initial-exec")));

/* Bit i set: owned stripe i is some live thread's. */
static atomic_uint owned_stripes;
/* Gives the thread's stripe back when it ends (its value: 1 + index). */
static pthread_key_t stripe_key;
static pthread_once_t stripe_key_once = PTHREAD_ONCE_INIT;
static bool stripe_key_made;

#define SHARED_STRIPE (KV_METRIC_STRIPES - 1)

static void stripe_release(void *value) {
  unsigned index = (unsigned)(uintptr_t)value - 1;
  /* Counts made after this (other destructors) go to the shared stripe. */
  kv_metric_stripe_tls = SHARED_STRIPE + 1;
  /* Release: the next owner's plain adds start from our last value. */
  atomic_fetch_and_explicit(&owned_stripes, ~(1u << index),
                            memory_order_release);
}

static void stripe_key_make(void) {
  stripe_key_made = pthread_key_create(&stripe_key, stripe_release) == 0;
}

/* A program that unloads the library must not have threads calling
 * stripe_release() into unmapped code when they end. */
__attribute__((destructor)) static void stripe_key_delete(void) {
  if (stripe_key_made)
    pthread_key_delete(stripe_key);
}

/* Claim a free owned stripe: its index, or SHARED_STRIPE when all are
 * taken. */
static unsigned stripe_claim(void) {
  unsigned taken = atomic_load_explicit(&owned_stripes, memory_order_relaxed);
  for (;;) {
    unsigned index = 0;
    while (index < KV_METRIC_OWNED_STRIPES && (taken & (1u << index)))
      index++;
    if (index == KV_METRIC_OWNED_STRIPES)
      return SHARED_STRIPE;
    if (atomic_compare_exchange_weak_explicit(
            &owned_stripes, &taken, taken | (1u << index),
            memory_order_acquire, memory_order_relaxed))
      return index;
  }
}

unsigned kv_metric_stripe_slow(void) {
  unsigned index = SHARED_STRIPE;
  pthread_once(&stripe_key_once, stripe_key_make);
  /* Without the key the stripe could not be given back: share. */
  if (stripe_key_made && (index = stripe_claim()) != SHARED_STRIPE &&
      pthread_setspecific(stripe_key, (void *)(uintptr_t)(index + 1)) != 0) {
    atomic_fetch_and_explicit(&owned_stripes, ~(1u << index),
                              memory_order_relaxed);
    index = SHARED_STRIPE;
  }
  return kv_metric_stripe_tls = index + 1;
}

/* ---- doubles kept as bits --------------------------------------------------- */

static double bits_real(uint64_t bits) {
  double d;
  memcpy(&d, &bits, sizeof(d));
  return d;
}

static uint64_t real_bits(double d) {
  uint64_t bits;
  memcpy(&bits, &d, sizeof(bits));
  return bits;
}

static void real_add(atomic_uint_fast64_t *bits, double delta) {
  uint_fast64_t old = atomic_load_explicit(bits, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(
      bits, &old, real_bits(bits_real(old) + delta), memory_order_relaxed,
      memory_order_relaxed))
    ;
}

/* ---- names ------------------------------------------------------------------ */

static bool name_valid(const char *name, bool colons) {
  if (!name || !*name || (name[0] >= '0' && name[0] <= '9'))
    return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_' || (colons && *p == ':')))
      return false;
  return true;
}

static bool label_name_valid(const char *name) {
  return name_valid(name, false) && strncmp(name, "__", 2) != 0 &&
         strcmp(name, "le") != 0;
}

/* ---- families and series (the lock held) ------------------------------------ */

static kv_family_t *family_find(const char *name) {
  for (kv_family_t *f = families; f; f = f->next)
    if (strcmp(f->name, name) == 0)
      return f;
  return NULL;
}

static void family_free(kv_family_t *f) {
  for (size_t i = 0; i < f->label_count; i++)
    free(f->labels[i]);
  free(f->name);
  free(f->help);
  free(f);
}

static void family_link(kv_family_t *f) {
  kv_family_t **link = &families;
  while (*link && strcmp((*link)->name, f->name) < 0)
    link = &(*link)->next;
  f->next = *link;
  *link = f;
}

/* A new family (not linked), or NULL when out of memory. */
static kv_family_t *family_new(kavro_metric_type_t type, const char *name,
                               const char *help, size_t label_count,
                               const char *const *labels, const double *bounds,
                               size_t bound_count) {
  kv_family_t *f = calloc(1, sizeof(*f));
  if (!f)
    return NULL;
  f->type = type;
  f->tail = &f->series;
  f->name = strdup(name);
  f->help = strdup(help ? help : "");
  bool ok = f->name && f->help;
  for (size_t i = 0; i < label_count && ok; i++, f->label_count++)
    ok = (f->labels[i] = strdup(labels[i])) != NULL;
  if (type == KAVRO_METRIC_HISTOGRAM) {
    if (!bounds) {
      bounds = default_bounds;
      bound_count = sizeof(default_bounds) / sizeof(default_bounds[0]);
    }
    memcpy(f->bounds, bounds, bound_count * sizeof(double));
    f->bound_count = bound_count;
  }
  if (!ok) {
    family_free(f);
    return NULL;
  }
  atomic_fetch_add(&blocks, 3 + (long)f->label_count);
  return f;
}

static kavro_metric_t *series_find(const kv_family_t *f,
                                   const char *const *values) {
  for (kavro_metric_t *m = f->series; m; m = m->next) {
    size_t i = 0;
    while (i < f->label_count && strcmp(m->values[i], values[i]) == 0)
      i++;
    if (i == f->label_count)
      return m;
  }
  return NULL;
}

static void series_free(kavro_metric_t *m, size_t label_count) {
  for (size_t i = 0; i < label_count; i++)
    free(m->values[i]);
  free(m->head.stripes);
  free(m->buckets);
  free(m);
}

static kavro_metric_t *series_new(kv_family_t *f, const char *const *values) {
  kavro_metric_t *m = calloc(1, sizeof(*m) + f->label_count * sizeof(char *));
  if (!m)
    return NULL;
  m->head.type = f->type;
  m->family = f;
  bool ok = true;
  if (f->type == KAVRO_METRIC_COUNTER) {
    size_t size = KV_METRIC_STRIPES * sizeof(kv_stripe_t);
    if ((m->head.stripes = aligned_alloc(64, size)))
      memset(m->head.stripes, 0, size);
    ok = m->head.stripes != NULL;
  } else if (f->type == KAVRO_METRIC_HISTOGRAM) {
    ok = (m->buckets = calloc(f->bound_count + 1, sizeof(*m->buckets)));
  }
  atomic_init(&m->bits, real_bits(0.0));
  for (size_t i = 0; i < f->label_count && ok; i++)
    ok = (m->values[i] = strdup(values[i])) != NULL;
  if (!ok) {
    series_free(m, f->label_count);
    return NULL;
  }
  *f->tail = m;
  f->tail = &m->next;
  f->series_count++;
  atomic_fetch_add(&blocks, 1 + (f->type != KAVRO_METRIC_GAUGE) +
                                (long)f->label_count);
  return m;
}

/* The series of @f with @values, made when missing. */
static kavro_metric_t *series_get(kv_family_t *f, const char *const *values,
                                  kavro_error_t *error) {
  kavro_metric_t *m = series_find(f, values);
  if (m)
    return m;
  for (size_t i = 0; i < f->label_count; i++)
    if (!values[i] || strlen(values[i]) > KAVRO_METRIC_MAX_VALUE) {
      kv_error_set(error, values[i] ? KAVRO_ERR_LIMIT : KAVRO_ERR_INVALID_ARG,
                   "%s: label %s: %s", f->name, f->labels[i],
                   values[i] ? "value too long" : "no value");
      return NULL;
    }
  if (f->series_count >= KAVRO_METRIC_MAX_SERIES) {
    kv_error_set(error, KAVRO_ERR_LIMIT, "%s: more than %d series", f->name,
                 KAVRO_METRIC_MAX_SERIES);
    return NULL;
  }
  if (!(m = series_new(f, values)))
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  return m;
}

/* kavro's families, made at the first use of the registry: listed from the
 * start, with the one series of a family without labels. */
static bool catalog_made;

static void catalog_make(void) {
  if (catalog_made)
    return;
  for (size_t i = 0; i < KV_M_COUNT; i++) {
    const kv_metric_desc_t *d = &catalog[i];
    if (family_find(d->name))
      continue;
    kv_family_t *f = family_new(d->type, d->name, d->help, d->label_count,
                                d->labels, d->bounds, d->bound_count);
    if (!f)
      return; /* out of memory: tried again next time */
    family_link(f);
    if (d->label_count == 0 && !series_get(f, NULL, NULL))
      return;
  }
  catalog_made = true;
}

/* Whether family @f is what a caller declares. */
static bool family_matches(const kv_family_t *f, kavro_metric_type_t type,
                           size_t label_count, const char *const *labels,
                           const double *bounds, size_t bound_count) {
  if (f->type != type || f->label_count != label_count)
    return false;
  for (size_t i = 0; i < label_count; i++)
    if (strcmp(f->labels[i], labels[i]) != 0)
      return false;
  if (type != KAVRO_METRIC_HISTOGRAM)
    return true;
  if (!bounds) {
    bounds = default_bounds;
    bound_count = sizeof(default_bounds) / sizeof(default_bounds[0]);
  }
  return f->bound_count == bound_count &&
         memcmp(f->bounds, bounds, bound_count * sizeof(double)) == 0;
}

static kavro_err_t check_declaration(kavro_metric_type_t type,
                                     const char *name, size_t label_count,
                                     const char *const *labels,
                                     const double *bounds, size_t bound_count,
                                     kavro_error_t *error) {
  if (type > KAVRO_METRIC_HISTOGRAM || !name_valid(name, true))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "not a metric name or type");
  if (label_count > KAVRO_METRIC_MAX_LABELS || (label_count && !labels))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "%s: at most %d labels", name,
                        KAVRO_METRIC_MAX_LABELS);
  for (size_t i = 0; i < label_count; i++)
    if (!label_name_valid(labels[i]))
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "%s: label %zu is not a label name", name, i);
  if (type != KAVRO_METRIC_HISTOGRAM || !bounds)
    return bound_count == 0 || type == KAVRO_METRIC_HISTOGRAM
               ? KAVRO_OK
               : kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                              "%s: bounds for a histogram only", name);
  if (bound_count == 0 || bound_count > KAVRO_METRIC_MAX_BOUNDS)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "%s: 1 to %d bucket bounds", name,
                        KAVRO_METRIC_MAX_BOUNDS);
  for (size_t i = 0; i < bound_count; i++)
    if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "%s: bucket bounds must be finite and increasing",
                          name);
  return KAVRO_OK;
}

kavro_metric_t *kavro_metrics_series(kavro_metric_type_t type,
                                     const char *name, const char *help,
                                     size_t label_count,
                                     const char *const *label_names,
                                     const char *const *label_values,
                                     const double *bounds, size_t bound_count,
                                     kavro_error_t *error) {
  kv_error_clear(error);
  if (check_declaration(type, name, label_count, label_names, bounds,
                        bound_count, error) != KAVRO_OK)
    return NULL;
  if (label_count && !label_values) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "%s: no label values", name);
    return NULL;
  }
  pthread_mutex_lock(&lock);
  catalog_make();
  kavro_metric_t *m = NULL;
  kv_family_t *f = family_find(name);
  if (!f && (f = family_new(type, name, help, label_count, label_names,
                            bounds, bound_count)))
    family_link(f);
  if (!f)
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  else if (!family_matches(f, type, label_count, label_names, bounds,
                           bound_count))
    kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                 "%s: declared before with another type, labels or bounds",
                 name);
  else
    m = series_get(f, label_values, error);
  pthread_mutex_unlock(&lock);
  return m;
}

kavro_metric_t *kv_metric(kv_metric_id_t id, ...) {
  const kv_metric_desc_t *d = &catalog[id];
  const char *values[KAVRO_METRIC_MAX_LABELS];
  va_list ap;
  va_start(ap, id);
  for (size_t i = 0; i < d->label_count; i++)
    values[i] = va_arg(ap, const char *);
  va_end(ap);
  pthread_mutex_lock(&lock);
  catalog_make();
  kv_family_t *f = family_find(d->name);
  kavro_metric_t *m = f ? series_get(f, values, NULL) : NULL;
  pthread_mutex_unlock(&lock);
  return m;
}

void kv_metric_count(kv_metric_id_t id) {
  static _Atomic(kavro_metric_t *) series[KV_M_COUNT];
  kavro_metric_t *m = atomic_load_explicit(&series[id], memory_order_acquire);
  if (!m && (m = kv_metric(id)))
    atomic_store_explicit(&series[id], m, memory_order_release);
  kv_metric_inc(m);
}

void kv_metric_error(const char *operation, const char *cls,
                     kavro_err_t code) {
  kv_metric_inc(kv_metric(KV_M_SERDE_ERRORS, operation, cls,
                          kavro_err2name(code)));
}

kavro_metric_t *kavro_metrics_processing(const char *topic,
                                         kavro_error_t *error) {
  kv_error_clear(error);
  if (!topic) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no topic");
    return NULL;
  }
  const kv_metric_desc_t *d = &catalog[KV_M_PROCESSING_DURATION];
  return kavro_metrics_series(d->type, d->name, d->help, d->label_count,
                              d->labels, &topic, d->bounds, d->bound_count,
                              error);
}

/* ---- counting --------------------------------------------------------------- */

void kavro_metric_add(kavro_metric_t *metric, uint64_t n) {
  kv_metric_add(metric, n);
}

void kavro_metric_set(kavro_metric_t *metric, double value) {
  if (metric && metric->head.type == KAVRO_METRIC_GAUGE)
    atomic_store_explicit(&metric->bits, real_bits(value),
                          memory_order_relaxed);
}

void kavro_metric_gauge_add(kavro_metric_t *metric, double delta) {
  if (metric && metric->head.type == KAVRO_METRIC_GAUGE)
    real_add(&metric->bits, delta);
}

void kavro_metric_observe(kavro_metric_t *metric, double value) {
  if (!metric || metric->head.type != KAVRO_METRIC_HISTOGRAM || isnan(value))
    return;
  const kv_family_t *f = metric->family;
  size_t b = 0;
  while (b < f->bound_count && value > f->bounds[b])
    b++;
  atomic_fetch_add_explicit(&metric->buckets[b], 1, memory_order_relaxed);
  real_add(&metric->bits, value);
}

static uint64_t counter_total(const kavro_metric_t *m) {
  uint64_t total = 0;
  for (size_t i = 0; i < KV_METRIC_STRIPES; i++)
    total += atomic_load_explicit(&m->head.stripes[i].n, memory_order_relaxed);
  return total;
}

/* The cumulated buckets of histogram @m into @cumulated (bound_count + 1);
 * the last is the count. */
static void histogram_read(const kavro_metric_t *m, uint64_t *cumulated) {
  uint64_t total = 0;
  for (size_t b = 0; b <= m->family->bound_count; b++) {
    total += atomic_load_explicit(&m->buckets[b], memory_order_relaxed);
    cumulated[b] = total;
  }
}

double kavro_metric_value(const kavro_metric_t *metric) {
  if (!metric)
    return 0;
  switch (metric->head.type) {
  case KAVRO_METRIC_COUNTER:
    return (double)counter_total(metric);
  case KAVRO_METRIC_GAUGE:
    return bits_real(atomic_load_explicit(
        &((kavro_metric_t *)metric)->bits, memory_order_relaxed));
  case KAVRO_METRIC_HISTOGRAM: {
    uint64_t cumulated[KAVRO_METRIC_MAX_BOUNDS + 1];
    histogram_read(metric, cumulated);
    return (double)cumulated[metric->family->bound_count];
  }
  }
  return 0;
}

/* ---- exposition ------------------------------------------------------------- */

/* A Prometheus float: Go's ParseFloat reads "NaN", "+Inf", "-Inf" and the
 * shortest text that reads back. */
static void put_real(kv_strbuf_t *sb, double d) {
  char text[KV_REAL_TEXT_SIZE];
  if (isnan(d))
    kv_strbuf_puts(sb, "NaN");
  else if (isinf(d))
    kv_strbuf_puts(sb, d > 0 ? "+Inf" : "-Inf");
  else
    kv_strbuf_append(sb, text, kv_format_real(text, d, false));
}

/* @text escaped as the exposition format asks: backslash and newline, and
 * double quotes too inside a label value (@quotes). */
static void put_escaped(kv_strbuf_t *sb, const char *text, bool quotes) {
  for (const char *p = text; *p; p++) {
    if (*p == '\\')
      kv_strbuf_puts(sb, "\\\\");
    else if (*p == '\n')
      kv_strbuf_puts(sb, "\\n");
    else if (*p == '"' && quotes)
      kv_strbuf_puts(sb, "\\\"");
    else
      kv_strbuf_putc(sb, *p);
  }
}

/* `name{l1="v1",...,le="B"}` (@le NULL: no le label). */
static void put_sample_name(kv_strbuf_t *sb, const kavro_metric_t *m,
                            const char *suffix, const char *le) {
  const kv_family_t *f = m->family;
  kv_strbuf_puts(sb, f->name);
  kv_strbuf_puts(sb, suffix);
  if (f->label_count == 0 && !le)
    return;
  kv_strbuf_putc(sb, '{');
  for (size_t i = 0; i < f->label_count; i++) {
    kv_strbuf_printf(sb, "%s%s=\"", i ? "," : "", f->labels[i]);
    put_escaped(sb, m->values[i], true);
    kv_strbuf_putc(sb, '"');
  }
  if (le)
    kv_strbuf_printf(sb, "%sle=\"%s\"", f->label_count ? "," : "", le);
  kv_strbuf_putc(sb, '}');
}

static void put_histogram_text(kv_strbuf_t *sb, const kavro_metric_t *m) {
  const kv_family_t *f = m->family;
  uint64_t cumulated[KAVRO_METRIC_MAX_BOUNDS + 1];
  histogram_read(m, cumulated);
  for (size_t b = 0; b <= f->bound_count; b++) {
    char le[KV_REAL_TEXT_SIZE] = "+Inf";
    if (b < f->bound_count)
      kv_format_real(le, f->bounds[b], false);
    put_sample_name(sb, m, "_bucket", le);
    kv_strbuf_printf(sb, " %" PRIu64 "\n", cumulated[b]);
  }
  put_sample_name(sb, m, "_sum", NULL);
  kv_strbuf_putc(sb, ' ');
  put_real(sb, bits_real(atomic_load(&((kavro_metric_t *)m)->bits)));
  kv_strbuf_putc(sb, '\n');
  put_sample_name(sb, m, "_count", NULL);
  kv_strbuf_printf(sb, " %" PRIu64 "\n", cumulated[f->bound_count]);
}

static const char *type_name(kavro_metric_type_t type) {
  return type == KAVRO_METRIC_COUNTER ? "counter"
         : type == KAVRO_METRIC_GAUGE ? "gauge"
                                      : "histogram";
}

static void put_family_text(kv_strbuf_t *sb, const kv_family_t *f) {
  kv_strbuf_printf(sb, "# HELP %s ", f->name);
  put_escaped(sb, f->help, false);
  kv_strbuf_printf(sb, "\n# TYPE %s %s\n", f->name, type_name(f->type));
  for (const kavro_metric_t *m = f->series; m; m = m->next) {
    if (f->type == KAVRO_METRIC_HISTOGRAM) {
      put_histogram_text(sb, m);
      continue;
    }
    put_sample_name(sb, m, "", NULL);
    kv_strbuf_putc(sb, ' ');
    if (f->type == KAVRO_METRIC_COUNTER)
      kv_strbuf_printf(sb, "%" PRIu64, counter_total(m));
    else
      put_real(sb, kavro_metric_value(m));
    kv_strbuf_putc(sb, '\n');
  }
}

kavro_err_t kavro_metrics_prometheus(char *buf, size_t size, size_t *needed) {
  if (needed)
    *needed = 0;
  if (!buf && size)
    return KAVRO_ERR_INVALID_ARG;
  kv_strbuf_t sb = KV_STRBUF_INIT;
  pthread_mutex_lock(&lock);
  catalog_make();
  for (const kv_family_t *f = families; f; f = f->next)
    put_family_text(&sb, f);
  pthread_mutex_unlock(&lock);
  if (kv_strbuf_failed(&sb)) {
    kv_strbuf_free(&sb);
    return KAVRO_ERR_NOMEM;
  }
  if (needed)
    *needed = sb.length + 1;
  kavro_err_t err = sb.length < size || (!buf && !size) ? KAVRO_OK
                                                        : KAVRO_ERR_LIMIT;
  if (size) {
    size_t n = sb.length < size ? sb.length : size - 1;
    if (n)
      memcpy(buf, sb.data, n);
    buf[n] = '\0';
  }
  kv_strbuf_free(&sb);
  return err;
}

/* ---- the statistics document ----------------------------------------------- */

/* A JSON number for @d (null when not finite: JSON has no NaN). */
static void put_json_real(kv_strbuf_t *sb, double d) {
  if (isfinite(d))
    put_real(sb, d);
  else
    kv_strbuf_puts(sb, "null");
}

static void put_series_json(kv_strbuf_t *sb, const kavro_metric_t *m) {
  const kv_family_t *f = m->family;
  kv_strbuf_puts(sb, "{\"labels\":{");
  for (size_t i = 0; i < f->label_count; i++) {
    if (i)
      kv_strbuf_putc(sb, ',');
    kv_strbuf_put_json_string(sb, f->labels[i]);
    kv_strbuf_putc(sb, ':');
    kv_strbuf_put_json_string(sb, m->values[i]);
  }
  kv_strbuf_puts(sb, "},");
  if (f->type == KAVRO_METRIC_COUNTER) {
    kv_strbuf_printf(sb, "\"value\":%" PRIu64 "}", counter_total(m));
    return;
  }
  if (f->type == KAVRO_METRIC_GAUGE) {
    kv_strbuf_puts(sb, "\"value\":");
    put_json_real(sb, kavro_metric_value(m));
    kv_strbuf_putc(sb, '}');
    return;
  }
  uint64_t cumulated[KAVRO_METRIC_MAX_BOUNDS + 1];
  histogram_read(m, cumulated);
  kv_strbuf_printf(sb, "\"count\":%" PRIu64 ",\"sum\":",
                   cumulated[f->bound_count]);
  put_json_real(sb, bits_real(atomic_load(&((kavro_metric_t *)m)->bits)));
  kv_strbuf_puts(sb, ",\"buckets\":[");
  for (size_t b = 0; b < f->bound_count; b++)
    kv_strbuf_printf(sb, "%s%" PRIu64, b ? "," : "", cumulated[b]);
  kv_strbuf_puts(sb, "]}");
}

static void put_family_json(kv_strbuf_t *sb, const kv_family_t *f) {
  kv_strbuf_puts(sb, "{\"name\":");
  kv_strbuf_put_json_string(sb, f->name);
  kv_strbuf_printf(sb, ",\"type\":\"%s\",\"help\":", type_name(f->type));
  kv_strbuf_put_json_string(sb, f->help);
  kv_strbuf_puts(sb, ",\"labels\":[");
  for (size_t i = 0; i < f->label_count; i++) {
    if (i)
      kv_strbuf_putc(sb, ',');
    kv_strbuf_put_json_string(sb, f->labels[i]);
  }
  kv_strbuf_putc(sb, ']');
  if (f->type == KAVRO_METRIC_HISTOGRAM) {
    kv_strbuf_puts(sb, ",\"bounds\":[");
    for (size_t b = 0; b < f->bound_count; b++) {
      if (b)
        kv_strbuf_putc(sb, ',');
      put_real(sb, f->bounds[b]);
    }
    kv_strbuf_putc(sb, ']');
  }
  kv_strbuf_puts(sb, ",\"series\":[");
  for (const kavro_metric_t *m = f->series; m; m = m->next) {
    put_series_json(sb, m);
    if (m->next)
      kv_strbuf_putc(sb, ',');
  }
  kv_strbuf_puts(sb, "]}");
}

char *kavro_metrics_json(void) {
  struct timespec mono, wall;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &wall);
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_printf(&sb,
                   "{\"name\":\"kavro\",\"type\":\"kavro\",\"ts\":%" PRId64
                   ",\"time\":%" PRId64 ",\"metrics\":[",
                   (int64_t)mono.tv_sec * 1000000 + mono.tv_nsec / 1000,
                   (int64_t)wall.tv_sec);
  pthread_mutex_lock(&lock);
  catalog_make();
  for (const kv_family_t *f = families; f; f = f->next) {
    put_family_json(&sb, f);
    if (f->next)
      kv_strbuf_putc(&sb, ',');
  }
  pthread_mutex_unlock(&lock);
  kv_strbuf_puts(&sb, "]}");
  if (kv_strbuf_failed(&sb)) {
    kv_strbuf_free(&sb);
    return NULL;
  }
  return kv_strbuf_steal(&sb);
}

/* ---- the statistics timer -------------------------------------------------- */

struct kv_stats_timer_s {
  pthread_t thread;
  pthread_mutex_t mutex;
  pthread_cond_t cond; /* on CLOCK_MONOTONIC */
  bool stop;
  int64_t interval_ms;
  kavro_stats_cb_t cb;
  void *opaque;
};

static void *timer_main(void *arg) {
  kv_stats_timer_t *t = arg;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  pthread_mutex_lock(&t->mutex);
  for (;;) {
    int64_t ns = next.tv_nsec + (t->interval_ms % 1000) * 1000000;
    next.tv_sec += t->interval_ms / 1000 + ns / 1000000000;
    next.tv_nsec = ns % 1000000000;
    while (!t->stop &&
           pthread_cond_timedwait(&t->cond, &t->mutex, &next) == 0)
      ;
    if (t->stop)
      break;
    /* The callback runs without the mutex, so that stopping waits for it
     * rather than deadlocking with it. */
    pthread_mutex_unlock(&t->mutex);
    char *json = kavro_metrics_json();
    if (json)
      t->cb(t->opaque, json, strlen(json));
    free(json);
    pthread_mutex_lock(&t->mutex);
  }
  pthread_mutex_unlock(&t->mutex);
  return NULL;
}

kavro_err_t kv_stats_timer_start(const kavro_conf_t *conf,
                                 kv_stats_timer_t **timerp,
                                 kavro_error_t *error) {
  *timerp = NULL;
  void *opaque;
  kavro_stats_cb_t cb = kv_conf_stats_cb(conf, &opaque);
  int64_t interval = kv_conf_int(conf, "statistics.interval.ms");
  if (!cb || interval <= 0)
    return KAVRO_OK;
  kv_stats_timer_t *t = calloc(1, sizeof(*t));
  if (!t)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  t->interval_ms = interval;
  t->cb = cb;
  t->opaque = opaque;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_mutex_init(&t->mutex, NULL);
  pthread_cond_init(&t->cond, &attr);
  pthread_condattr_destroy(&attr);
  int failed = pthread_create(&t->thread, NULL, timer_main, t);
  if (failed) {
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->mutex);
    free(t);
    return kv_error_set(error, KAVRO_ERR_NOMEM,
                        "cannot start the statistics thread: %s",
                        strerror(failed));
  }
  *timerp = t;
  return KAVRO_OK;
}

void kv_stats_timer_stop(kv_stats_timer_t *t) {
  if (!t)
    return;
  pthread_mutex_lock(&t->mutex);
  t->stop = true;
  pthread_cond_signal(&t->cond);
  pthread_mutex_unlock(&t->mutex);
  pthread_join(t->thread, NULL);
  pthread_cond_destroy(&t->cond);
  pthread_mutex_destroy(&t->mutex);
  free(t);
}
