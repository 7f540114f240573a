/*
 * kavro - what the files of the kafka part share (src/kafka*.c), and the
 * pure pieces of the consumer's failure policy the tests reach directly.
 */
#ifndef KAVRO_KAFKA_INT_H
#define KAVRO_KAFKA_INT_H

#include <stdint.h>

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

#endif /* KAVRO_KAFKA_INT_H */
