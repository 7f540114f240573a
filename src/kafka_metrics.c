/*
 * kavro - what the kafka part counts into the process' metrics
 * (common_metrics_int.h): the application's processing time of each
 * consumed message, the handler's retries, and the dead-letter forwards.
 *
 * A consumer helper finds a topic's series when it meets the topic (the
 * cold path) and keeps them in a list with the last topic first, as the
 * deserializer does, so that a run of messages of one topic costs one
 * comparison each.  The processing time is the time between poll handing
 * a message out and done() (or fail()) for it; the helper remembers the
 * last few messages it handed out, because an application may hold more
 * than one at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "kavro.h"
#include "kavro/kafka.h"

#include "common_metrics_int.h"
#include "kafka_int.h"

/* Topics a helper keeps series for; messages of further topics are not
 * timed (their forwards are counted all the same). */
#define KV_KAFKA_TOPICS_MAX 1024
/* Messages handed out and not yet finished that are timed at once. */
#define KV_KAFKA_HANDED 8

typedef struct kv_kafka_topic_s {
  struct kv_kafka_topic_s *next;
  kavro_metric_t *processing; /* histogram, seconds */
  kavro_metric_t *retries;    /* counter */
  char name[];
} kv_kafka_topic_t;

typedef struct kv_handed_s {
  const rd_kafka_message_t *message;
  kavro_metric_t *processing;
  int64_t ns; /* monotonic, when handed out */
} kv_handed_t;

struct kv_kafka_metrics_s {
  kv_kafka_topic_t *topics; /* the last topic met first */
  size_t topic_count;
  kv_handed_t handed[KV_KAFKA_HANDED];
  unsigned next_handed;
};

kv_kafka_metrics_t *kv_kafka_metrics_new(void) {
  return calloc(1, sizeof(kv_kafka_metrics_t));
}

void kv_kafka_metrics_destroy(kv_kafka_metrics_t *km) {
  if (!km)
    return;
  for (kv_kafka_topic_t *t = km->topics, *next; t; t = next) {
    next = t->next;
    free(t);
  }
  free(km);
}

/* The series of @topic met for the first time, or again after others:
 * found or made, and put first (NULL past the bound or without memory:
 * not counted). */
static kv_kafka_topic_t *other_topic(kv_kafka_metrics_t *km,
                                     const char *topic) {
  kv_kafka_topic_t **link = &km->topics;
  while (*link && strcmp((*link)->name, topic) != 0)
    link = &(*link)->next;
  kv_kafka_topic_t *found = *link;
  if (found) {
    *link = found->next;
  } else {
    size_t size = strlen(topic) + 1;
    if (km->topic_count >= KV_KAFKA_TOPICS_MAX ||
        !(found = malloc(sizeof(*found) + size)))
      return NULL;
    memcpy(found->name, topic, size);
    found->processing = kv_metric(KV_M_PROCESSING_DURATION, topic);
    found->retries = kv_metric(KV_M_HANDLER_RETRIES, topic);
    km->topic_count++;
  }
  found->next = km->topics;
  km->topics = found;
  return found;
}

/* The series of @message's topic: one comparison for a run of messages
 * of one topic. */
static kv_kafka_topic_t *topic_of(kv_kafka_metrics_t *km,
                                  const rd_kafka_message_t *message) {
  const char *topic = rd_kafka_topic_name(message->rkt);
  kv_kafka_topic_t *first = km->topics;
  if (first && strcmp(first->name, topic) == 0)
    return first;
  return other_topic(km, topic);
}

void kv_kafka_metrics_handed(kv_kafka_metrics_t *km,
                             const rd_kafka_message_t *message) {
  const kv_kafka_topic_t *t = km ? topic_of(km, message) : NULL;
  if (!t)
    return;
  kv_handed_t *h = &km->handed[km->next_handed++ % KV_KAFKA_HANDED];
  h->message = message;
  h->processing = t->processing;
  h->ns = kv_kafka_monotonic_ns();
}

void kv_kafka_metrics_finished(kv_kafka_metrics_t *km,
                               const rd_kafka_message_t *message) {
  if (!km)
    return;
  /* The latest first: most applications finish a message before they
   * poll the next. */
  for (unsigned back = 1; back <= KV_KAFKA_HANDED; back++) {
    kv_handed_t *h = &km->handed[(km->next_handed - back) % KV_KAFKA_HANDED];
    if (h->message != message)
      continue;
    kavro_metric_observe(h->processing,
                         (double)(kv_kafka_monotonic_ns() - h->ns) / 1e9);
    h->message = NULL;
    return;
  }
}

void kv_kafka_metrics_retried(kv_kafka_metrics_t *km,
                              const rd_kafka_message_t *message) {
  const kv_kafka_topic_t *t = km ? topic_of(km, message) : NULL;
  if (t)
    kv_metric_inc(t->retries);
}

void kv_kafka_metrics_forwarded(const rd_kafka_message_t *message,
                                const char *reason) {
  kv_metric_inc(kv_metric(KV_M_DLQ_FORWARDS,
                          rd_kafka_topic_name(message->rkt), reason));
}
