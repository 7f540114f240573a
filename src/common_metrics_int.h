/*
 * kavro - the metrics every part counts into (common_metrics.c).
 *
 * kavro's own families are declared once, in common_metrics.c's catalog
 * (kv_metric_id_t below names them), so that the exposition lists each
 * of them from the start (with no series yet) and doc/STATISTICS.md has
 * one list to follow.  A part resolves a series with kv_metric() on its
 * cold path (a topic, an endpoint, a cache met for the first time), keeps
 * the pointer, and counts through it with kv_metric_inc()/kv_metric_add():
 * adds to the stripe of the counter this thread owns, so threads counting
 * into one series neither fight over one cache line nor lock the bus.
 */
#ifndef KAVRO_METRICS_INT_H
#define KAVRO_METRICS_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kavro/common.h"
#include "kavro/conf.h"
#include "kavro/metrics.h"

/* kavro's families (their names, labels and help: common_metrics.c). */
typedef enum kv_metric_id_e {
  KV_M_SERIALIZED,          /* {topic, outcome} */
  KV_M_SERIALIZED_BYTES,    /* {topic} */
  KV_M_DESERIALIZED,        /* {topic, outcome} */
  KV_M_DESERIALIZED_BYTES,  /* {topic} */
  KV_M_SERDE_ERRORS,        /* {operation, class, code} */
  KV_M_REGISTRY_REQUESTS,   /* {endpoint, status} */
  KV_M_REGISTRY_DURATION,   /* {endpoint}, histogram */
  KV_M_CACHE_HITS,          /* {cache} */
  KV_M_CACHE_MISSES,        /* {cache} */
  KV_M_CACHE_EVICTIONS,     /* {cache} */
  KV_M_SCHEMAS_COMPILED,    /* {} */
  KV_M_RULE_SETS_COMPILED,  /* {} */
  KV_M_MOCK_REQUESTS,       /* {method, status} */
  KV_M_DLQ_FORWARDS,        /* {topic, reason}: the kafka part's */
  KV_M_HANDLER_RETRIES,     /* {topic}: the kafka part's */
  KV_M_PROCESSING_DURATION, /* {topic}, histogram: the kafka part's */
  KV_M_COUNT
} kv_metric_id_t;

/* Counters are striped.  A thread claims a stripe of its own at its first
 * count and gives it back when it ends; while it owns it no other thread
 * writes there, so a count is a plain load and store (no locked
 * instruction: the serializer's warm path counts twice per message).
 * Threads beyond KV_METRIC_OWNED_STRIPES alive at once share the last
 * stripe, with atomic adds.  A read sums them all. */
#define KV_METRIC_OWNED_STRIPES 8
#define KV_METRIC_STRIPES (KV_METRIC_OWNED_STRIPES + 1)

typedef struct kv_stripe_s {
  atomic_uint_fast64_t n;
  char pad[64 - sizeof(atomic_uint_fast64_t)];
} kv_stripe_t;

/* The part of a series the warm path touches (the rest is private to
 * common_metrics.c, after it). */
typedef struct kv_metric_head_s {
  kavro_metric_type_t type;
  kv_stripe_t *stripes; /* counters: KV_METRIC_STRIPES, 64-byte aligned */
} kv_metric_head_t;

/* This thread's stripe, claimed at its first count (1 + its index; 0
 * before the first count). */
unsigned kv_metric_stripe_slow(void);
extern _Thread_local unsigned kv_metric_stripe_tls
    __attribute__((tls_model("initial-exec")));

/* This thread's stripe index. */
static inline unsigned kv_metric_stripe(void) {
  unsigned s = kv_metric_stripe_tls;
  return (s ? s : kv_metric_stripe_slow()) - 1;
}

/* The stripes of a counter, for a warm path that keeps them rather than
 * the series (one indirection less); NULL for NULL or another type. */
static inline kv_stripe_t *kv_metric_stripes(kavro_metric_t *metric) {
  return metric ? ((const kv_metric_head_t *)metric)->stripes : NULL;
}

/* Add @n to stripe @s of @stripes (NULL: nothing); @s is the calling
 * thread's kv_metric_stripe(). */
static inline void kv_stripes_add(kv_stripe_t *stripes, unsigned s,
                                  uint64_t n) {
  if (!stripes)
    return;
  atomic_uint_fast64_t *cell = &stripes[s].n;
  if (s < KV_METRIC_OWNED_STRIPES) /* ours alone: readers see whole values */
    atomic_store_explicit(
        cell, atomic_load_explicit(cell, memory_order_relaxed) + n,
        memory_order_relaxed);
  else
    atomic_fetch_add_explicit(cell, n, memory_order_relaxed);
}

static inline void kv_metric_add(kavro_metric_t *metric, uint64_t n) {
  kv_stripe_t *stripes = kv_metric_stripes(metric);
  if (stripes)
    kv_stripes_add(stripes, kv_metric_stripe(), n);
}

static inline void kv_metric_inc(kavro_metric_t *metric) {
  kv_metric_add(metric, 1);
}

/* The series of kavro family @id with its label values (as many as the
 * family has labels, in the catalog's order).  Takes the registry's lock:
 * for cold paths.  NULL when out of memory or past the family's bound on
 * series (counting through NULL does nothing). */
kavro_metric_t *kv_metric(kv_metric_id_t id, ...);

/* Count one in family @id, which has no labels (its series found once).
 * Lock-free after the first call. */
void kv_metric_count(kv_metric_id_t id);

/* Count one failure of @operation ("serialize", "deserialize") of @code
 * in @cls ("transient", "permanent", "local").  Takes the lock: for error
 * paths. */
void kv_metric_error(const char *operation, const char *cls, kavro_err_t code);

/* The heap blocks the registry holds (it only grows): tests that count
 * leaks leave them out. */
long kv_metrics_blocks(void);

/* The statistics timer: calls @cb with the JSON document every
 * @interval_ms on a thread of its own, until kv_stats_timer_stop(). */
typedef struct kv_stats_timer_s kv_stats_timer_t;

/* A timer for @conf's `statistics.interval.ms` and statistics callback
 * in @*timerp: NULL when either is unset (nothing to do).  @error says
 * why the thread cannot start. */
kavro_err_t kv_stats_timer_start(const kavro_conf_t *conf,
                                 kv_stats_timer_t **timerp,
                                 kavro_error_t *error);

/* Stop the timer and join its thread (NULL-safe).  The callback is not
 * called again once this returns. */
void kv_stats_timer_stop(kv_stats_timer_t *timer);

#endif /* KAVRO_METRICS_INT_H */
