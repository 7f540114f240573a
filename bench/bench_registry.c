/*
 * kavro bench - warm-cache lookups of the registry client.
 *
 * Against an in-process mock registry, after one request has warmed each
 * cache, measures the time of one lookup by id (kavro_registry_schema_by_id:
 * a new schema reference, released at once) and by subject and schema
 * (kavro_registry_register answered from the cache), with one thread and
 * with two threads looking up the same key at once.  Prints a table for
 * people and machine lines:
 *
 *   FIGURE <name> <value> <unit>
 *   RATIO <name> <measured> <goal>    (measured must not exceed goal)
 *
 * The ratios compare two threads with one: a warm hit takes only the
 * calling thread's own slot lock, so a second thread should not slow the
 * first.  Built and run by `make bench`, never by `make check`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>
#include <kavro/mock.h>

#include "bench_util.h"

#define LOOKUPS 2000000

static const char schema_text[] =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}]}";

typedef struct bench_s {
  kavro_registry_t *reg;
  kavro_schema_t *schema;
  int id;
  bool by_id;
  pthread_barrier_t *start;
  double ns; /* per lookup, measured by this thread */
} bench_t;

static void *run(void *opaque) {
  bench_t *b = opaque;
  if (b->start)
    pthread_barrier_wait(b->start);
  /* CPU time of this thread: on a shared machine, time spent waiting for a
   * core is not the lookup's; cache-line contention still counts. */
  double t0 = kb_thread_now();
  for (int i = 0; i < LOOKUPS; i++) {
    if (b->by_id) {
      kavro_schema_t *got = NULL;
      if (kavro_registry_schema_by_id(b->reg, b->id, NULL, &got, NULL) !=
          KAVRO_OK)
        abort();
      kavro_schema_destroy(got);
    } else {
      int id = 0;
      if (kavro_registry_register(b->reg, "bench-value", b->schema, NULL, 0,
                                  false, &id, NULL) != KAVRO_OK ||
          id != b->id)
        abort();
    }
  }
  b->ns = (kb_thread_now() - t0) * 1e9 / LOOKUPS;
  return NULL;
}

/* Per-lookup time with @threads threads at once (the mean of theirs). */
static double measure(bench_t *proto, int threads) {
  pthread_t tids[2];
  bench_t runs[2];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads);
  for (int i = 0; i < threads; i++) {
    runs[i] = *proto;
    runs[i].start = &start;
    if (pthread_create(&tids[i], NULL, run, &runs[i]) != 0)
      abort();
  }
  double sum = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(tids[i], NULL);
    sum += runs[i].ns;
  }
  pthread_barrier_destroy(&start);
  return sum / threads;
}

int main(void) {
  kavro_mock_t *mock = NULL;
  kavro_error_t error;
  if (kavro_mock_new("bench", &mock, &error) != KAVRO_OK)
    kb_die("mock", &error);
  kavro_conf_t *conf = kavro_conf_new();
  kavro_conf_set(conf, "schema.registry.url", "mock://bench", NULL);
  kavro_registry_t *reg = kavro_registry_new(conf, &error);
  kavro_schema_t *schema = NULL;
  if (!reg || kavro_schema_parse(schema_text, strlen(schema_text), NULL,
                                 &schema, &error) != KAVRO_OK)
    kb_die("set-up", &error);
  bench_t proto = {reg, schema, 0, false, NULL, 0};
  if (kavro_registry_register(reg, "bench-value", schema, NULL, 0, false,
                              &proto.id, &error) != KAVRO_OK)
    kb_die("register", &error);
  uint64_t served = kavro_mock_request_count(mock, NULL);

  proto.by_id = false;
  double subject_1 = measure(&proto, 1), subject_2 = measure(&proto, 2);
  proto.by_id = true;
  double id_1 = measure(&proto, 1), id_2 = measure(&proto, 2);
  /* Warming by id takes at most one request (none when registering has
   * already taught the cache the id); nothing else may have gone out. */
  uint64_t made = kavro_mock_request_count(mock, NULL) - served;
  if (made > 1) {
    fprintf(stderr,
            "bench_registry: warm lookups made %llu requests, at most 1 "
            "expected\n",
            (unsigned long long)made);
    return 1;
  }

  printf("%-34s %10s %10s\n", "warm-cache lookup", "1 thread", "2 threads");
  printf("%-34s %8.1f ns %8.1f ns\n", "by id (schema reference)", id_1, id_2);
  printf("%-34s %8.1f ns %8.1f ns\n", "by subject and schema", subject_1,
         subject_2);
  kb_figure("registry_lookup_by_id_1t", 1, id_1, "ns");
  kb_figure("registry_lookup_by_id_2t", 1, id_2, "ns");
  kb_figure("registry_lookup_by_schema_1t", 1, subject_1, "ns");
  kb_figure("registry_lookup_by_schema_2t", 1, subject_2, "ns");
  kb_ratio("registry_lookup_by_schema_2t_vs_1t", 2, subject_2 / subject_1,
           "1.50");
  kb_ratio("registry_lookup_by_id_2t_vs_1t", 2, id_2 / id_1, "3.00");

  kavro_schema_destroy(schema);
  kavro_registry_destroy(reg);
  kavro_mock_destroy(mock);
  return 0;
}
