/*
 * kavro - process-wide metrics: counters, gauges and histograms with
 * labels, exposed as Prometheus text and as a statistics JSON document.
 *
 * One registry per process, as Prometheus client libraries keep a default
 * registry: every kavro client of the process counts into it (the
 * serializer and deserializer per topic, the registry client per endpoint
 * and cache, the mock registry per request), and the application may add
 * series of its own.  doc/STATISTICS.md lists every metric kavro keeps and
 * every field of the JSON document.
 *
 * The warm path does not look anything up: a part resolves the series it
 * counts into once (when it meets a topic, endpoint or cache for the first
 * time), keeps the pointer, and then only adds to it with relaxed atomic
 * operations: no lock, no allocation.
 *
 * Thread safety: every function here may be called from any thread at any
 * time.  Series live as long as the process (they are never freed, so a
 * kavro_metric_t pointer stays valid after the client that made it is
 * destroyed).
 */
#ifndef KAVRO_METRICS_H
#define KAVRO_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "kavro/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name Series
 * @{
 */

/** What a family of series measures, as Prometheus types it. */
typedef enum kavro_metric_type_e {
  KAVRO_METRIC_COUNTER,  /**< a count that only goes up (name ends _total) */
  KAVRO_METRIC_GAUGE,    /**< a value that goes up and down */
  KAVRO_METRIC_HISTOGRAM /**< observations counted in fixed buckets */
} kavro_metric_type_t;

/** One series: a family's name with one value per label. */
typedef struct kavro_metric_s kavro_metric_t;

/** Most labels a family has. */
#define KAVRO_METRIC_MAX_LABELS 8
/** Most bucket bounds of a histogram (+Inf not counted). */
#define KAVRO_METRIC_MAX_BOUNDS 32
/** Most series a family holds; past it kavro_metrics_series() fails with
 *  KAVRO_ERR_LIMIT (a label fed from unbounded input cannot exhaust
 *  memory). */
#define KAVRO_METRIC_MAX_SERIES 10000
/** Longest label value, in bytes. */
#define KAVRO_METRIC_MAX_VALUE 1024

/**
 * The series of family @p name with @p label_values, made on first use.
 *
 * The family is made by its first call: @p type, @p help (one line of
 * text), @p label_count label names (@p label_names; Prometheus rules:
 * `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, not `le`) and, for a
 * histogram, @p bound_count increasing finite bucket bounds (@p bounds;
 * NULL with 0: Prometheus' default 0.005 .. 10 seconds).  Later calls must
 * give the same type, labels and bounds (the help text of the first call
 * stays), else KAVRO_ERR_INVALID_ARG.  @p name follows Prometheus rules
 * (`[a-zA-Z_:][a-zA-Z0-9_:]*`); a counter's should end in `_total`.
 * Label values are any UTF-8 text up to KAVRO_METRIC_MAX_VALUE bytes
 * (copied; escaped on output).
 *
 * Takes the registry's lock: call it once per series and keep the
 * pointer, not once per event.  Returns the series (owned by the
 * registry, valid for the life of the process), or NULL with @p error set
 * (KAVRO_ERR_INVALID_ARG, KAVRO_ERR_LIMIT, KAVRO_ERR_NOMEM).
 */
KAVRO_EXPORT kavro_metric_t *kavro_metrics_series(
    kavro_metric_type_t type, const char *name, const char *help,
    size_t label_count, const char *const *label_names,
    const char *const *label_values, const double *bounds, size_t bound_count,
    kavro_error_t *error);

/** Add @p n to a counter (relaxed atomic add: no lock, no allocation).
 *  NULL-safe; does nothing on a series of another type. */
KAVRO_EXPORT void kavro_metric_add(kavro_metric_t *metric, uint64_t n);

/** Set a gauge to @p value.  NULL-safe; nothing on another type. */
KAVRO_EXPORT void kavro_metric_set(kavro_metric_t *metric, double value);

/** Add @p delta (may be negative) to a gauge.  NULL-safe. */
KAVRO_EXPORT void kavro_metric_gauge_add(kavro_metric_t *metric,
                                         double delta);

/** Count @p value (seconds, for a `_seconds` histogram) in a histogram's
 *  bucket, sum and count.  Lock-free.  NULL-safe; NaN is ignored. */
KAVRO_EXPORT void kavro_metric_observe(kavro_metric_t *metric, double value);

/** A counter's total, a gauge's value, or a histogram's count of
 *  observations (0 for NULL). */
KAVRO_EXPORT double kavro_metric_value(const kavro_metric_t *metric);

/**
 * The series of `kavro_processing_duration_seconds` for @p topic: the
 * time the application took over a consumed message, from the moment the
 * consumer helper (or the application's own loop) handed it out to the
 * moment it was done, observed with kavro_metric_observe().  The seed
 * dashboard's p95/p99 panel reads it.  The kafka part's consumer helper
 * (kavro_kafka_consumer_poll() to kavro_kafka_consumer_done() or
 * kavro_kafka_consumer_fail()) feeds it; an application with a loop of its
 * own feeds it itself.
 * NULL (and @p error set) as for kavro_metrics_series().
 */
KAVRO_EXPORT kavro_metric_t *kavro_metrics_processing(const char *topic,
                                                      kavro_error_t *error);
/** @} */

/**
 * @name Exposition
 * @{
 */

/**
 * Write every family in the Prometheus text exposition format 0.0.4
 * (`# HELP` and `# TYPE` lines, counters with their `_total` names,
 * histograms as `_bucket{le=".."}`, `_sum` and `_count`; label values
 * escaped) into @p buf, with snprintf() semantics: at most @p size bytes,
 * always NUL-terminated when @p size > 0, cut at the end when it does not
 * fit.  @p needed (may be NULL) gets the size the whole text needs, NUL
 * included.  Returns KAVRO_OK when it fit, KAVRO_ERR_LIMIT when it was cut
 * (call again with a buffer of at least *@p needed bytes; leave some room:
 * series may appear in between), KAVRO_ERR_INVALID_ARG for a NULL @p buf
 * with @p size > 0, KAVRO_ERR_NOMEM.  @p buf NULL with @p size 0 only
 * measures.  Serve it as `text/plain; version=0.0.4`.
 */
KAVRO_EXPORT kavro_err_t kavro_metrics_prometheus(char *buf, size_t size,
                                                  size_t *needed);

/**
 * The statistics JSON document (doc/STATISTICS.md): every family and
 * series with its values, a timestamp and the process' uptime.  A new
 * NUL-terminated string the caller frees with free(), or NULL when out of
 * memory.  The same text the statistics callback receives
 * (kavro_conf_set_stats_cb()).
 */
KAVRO_EXPORT char *kavro_metrics_json(void);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* KAVRO_METRICS_H */
