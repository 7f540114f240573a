/*
 * kavro - what the files of the kafka part share (src/kafka*.c), and the
 * pure pieces of the consumer's failure policy the tests reach directly.
 */
#ifndef KAVRO_KAFKA_INT_H
#define KAVRO_KAFKA_INT_H

#include <stdint.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

/* The monotonic clock in nanoseconds: the policy's waits and the metrics'
 * processing times read the same clock. */
static inline int64_t kv_kafka_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Jitter of a backoff, in percent either side (librdkafka's, KIP-580). */
#define KV_KAFKA_JITTER_PERCENT 20

/*
 * The wait, in milliseconds, before a message that has failed @failures
 * times (1: once) is tried again: @base_ms doubled for each failure after
 * the first, capped at @max_ms, then moved by a jitter of up to
 * KV_KAFKA_JITTER_PERCENT either side that @random picks, and capped at
 * @max_ms again.  @base_ms >= 1 and @max_ms >= @base_ms (the configuration
 * is checked before).  Pure: the same arguments give the same wait.
 */
int64_t kv_kafka_backoff_ms(int64_t base_ms, int64_t max_ms, unsigned failures,
                            uint32_t random);

/* ---- metrics (kafka_metrics.c) ----------------------------------------- */

/* A consumer helper's series per topic and the messages it is timing.
 * One thread at a time, as the helper. */
typedef struct kv_kafka_metrics_s kv_kafka_metrics_t;

/* NULL without memory (then nothing is counted: every call takes NULL). */
kv_kafka_metrics_t *kv_kafka_metrics_new(void);
void kv_kafka_metrics_destroy(kv_kafka_metrics_t *km);
/* @message is handed to the application now. */
void kv_kafka_metrics_handed(kv_kafka_metrics_t *km,
                             const rd_kafka_message_t *message);
/* The application is done with @message (or failed it): the time since
 * it was handed out goes to kavro_processing_duration_seconds. */
void kv_kafka_metrics_finished(kv_kafka_metrics_t *km,
                               const rd_kafka_message_t *message);
/* @message will be handed out again after a transient handler failure. */
void kv_kafka_metrics_retried(kv_kafka_metrics_t *km,
                              const rd_kafka_message_t *message);
/* @message was forwarded to a dead-letter topic (and acknowledged) for
 * @reason: an error's name (kavro_err2name()), or HANDLER / HANDLER_RETRIES
 * for a handler's failure.  Takes the metrics' lock: a forward's path. */
void kv_kafka_metrics_forwarded(const rd_kafka_message_t *message,
                                const char *reason);

#endif /* KAVRO_KAFKA_INT_H */
