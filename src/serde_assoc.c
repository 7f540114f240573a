/*
 * kavro - AssociatedNameStrategy, the default subject name strategy of
 * Confluent's current Java and JavaScript clients.
 *
 * The subject of a topic's keys or values is the one the registry
 * associates with the topic: GET /associations/resources/{namespace}/
 * {topic}?resourceType=topic&associationType=key|value, the namespace being
 * `subject.name.strategy.kafka.cluster.id` or "-" (any).  One association
 * gives its subject; more than one is an error; none, or a 404 (a registry
 * that has no such endpoint), gives the fallback strategy's subject
 * (`subject.name.strategy.fallback.type`, TopicNameStrategy by default),
 * or an error with NONE.  So with a registry that knows no associations it
 * names the subjects TopicNameStrategy names.
 *
 * Answers, fallbacks included, are kept (`subject.name.strategy.cache.size`
 * of them, for `subject.name.strategy.cache.expiry.secs`); failures are
 * not.  Java keeps them per (topic, schema); kavro per topic alone when
 * the answer cannot depend on the schema (an association, or a fallback
 * that names subjects from the topic), so that a topic costs one request,
 * and a new schema met while the registry is down is still named, and
 * judged by the compatibility gate, as it is with TopicNameStrategy.
 *
 * A deserializer reading a run of messages of one topic does not even
 * look here: its namer gives the subject again (kv_namer_topic_subject())
 * while the answer is kept without expiry, and every answer kept or let
 * go here starts a new generation, after which it looks again.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common_error_int.h"
#include "serde_serializer_int.h"

struct kv_assoc_answer_s {
  char *topic;
  bool has_schema;
  unsigned char fingerprint[32]; /* SHA-256 of the schema, when any */
  uint64_t hash;                 /* the question's (question_hash()) */
  kv_assoc_answer_t *chain;      /* the next answer of its bucket */
  int64_t expires_ms;            /* -1: never */
  char subject[];
};

/* Buckets at most: one per answer up to there (1,024 for the default
 * capacity), about ten answers to a chain at the capacity's bound. */
#define ASSOC_MAX_BUCKETS ((size_t)1 << 20)

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void answer_free(kv_assoc_answer_t *a) {
  if (a)
    free(a->topic);
  free(a);
}

void kv_namer_clear(kv_namer_t *namer) {
  kv_assoc_cache_t *cache = &namer->cache;
  for (size_t i = 0; cache->answers && i < cache->capacity; i++)
    answer_free(cache->answers[i]);
  free(cache->answers);
  free(cache->buckets);
  cache->answers = NULL;
  cache->buckets = NULL;
  cache->last = NULL;
  cache->last_kept = false;
  cache->next = 0;
  free(namer->recent.topic);
  memset(&namer->recent, 0, sizeof(namer->recent));
  namer->generation++;
}

/* The key of a question: the topic and, when the answer may depend on it
 * (kv_namer_uses_schema(): a fallback that names subjects from the
 * record), the schema's fingerprint. */
typedef struct question_s {
  const char *topic;
  bool has_schema;
  unsigned char fingerprint[32];
} question_t;

static void question_make(question_t *q, const kv_namer_t *namer,
                          const char *topic, const kavro_schema_t *schema) {
  if (!kv_namer_uses_schema(namer))
    schema = NULL;
  q->topic = topic;
  q->has_schema = schema != NULL;
  if (schema)
    kavro_schema_fingerprint(schema, KAVRO_FINGERPRINT_SHA256, q->fingerprint,
                             sizeof(q->fingerprint));
}

/* FNV-1a over the question's key. */
static uint64_t question_hash(const question_t *q) {
  uint64_t h = 14695981039346656037u;
  for (const unsigned char *p = (const unsigned char *)q->topic; *p; p++)
    h = (h ^ *p) * 1099511628211u;
  h = (h ^ (q->has_schema ? 1u : 0u)) * 1099511628211u;
  for (size_t i = 0; q->has_schema && i < sizeof(q->fingerprint); i++)
    h = (h ^ q->fingerprint[i]) * 1099511628211u;
  return h;
}

/* Does @a answer @q, and is it still fresh at @now? */
static bool answer_fits(const kv_assoc_answer_t *a, const question_t *q,
                    int64_t now) {
  return a->has_schema == q->has_schema && strcmp(a->topic, q->topic) == 0 &&
         (!q->has_schema ||
          memcmp(a->fingerprint, q->fingerprint, sizeof(a->fingerprint)) == 0) &&
         (a->expires_ms < 0 || a->expires_ms > now);
}

/* The answer kept for @q: the latest one first (a run of messages of one
 * topic), else through its bucket. */
static const kv_assoc_answer_t *cache_find(kv_assoc_cache_t *cache,
                                           const question_t *q) {
  int64_t now = cache->expiry_ms >= 0 ? now_ms() : 0;
  if (cache->last && answer_fits(cache->last, q, now))
    return cache->last;
  if (!cache->buckets)
    return NULL;
  uint64_t h = question_hash(q);
  for (const kv_assoc_answer_t *a = cache->buckets[h & cache->bucket_mask]; a;
       a = a->chain)
    if (a->hash == h && answer_fits(a, q, now))
      return cache->last = a;
  return NULL;
}

/* The ring and the buckets, made at the first answer; false when out of
 * memory. */
static bool cache_ready(kv_assoc_cache_t *cache) {
  if (cache->answers)
    return true;
  size_t buckets = 1;
  while (buckets < cache->capacity && buckets < ASSOC_MAX_BUCKETS)
    buckets *= 2;
  cache->answers = calloc(cache->capacity, sizeof(*cache->answers));
  cache->buckets = calloc(buckets, sizeof(*cache->buckets));
  if (!cache->answers || !cache->buckets) {
    free(cache->answers);
    free(cache->buckets);
    cache->answers = NULL;
    cache->buckets = NULL;
    return false;
  }
  cache->bucket_mask = buckets - 1;
  return true;
}

/* Take @a out of its bucket. */
static void cache_unlink(kv_assoc_cache_t *cache, const kv_assoc_answer_t *a) {
  kv_assoc_answer_t **link = &cache->buckets[a->hash & cache->bucket_mask];
  while (*link && *link != a)
    link = &(*link)->chain;
  if (*link)
    *link = a->chain;
  if (cache->last == a)
    cache->last = NULL;
}

/* Keep @subject as the answer to @q, over the oldest answer when full.
 * An answer that cannot be kept (false) is asked again next time. */
static bool cache_put(kv_assoc_cache_t *cache, const question_t *q,
                      const char *subject) {
  if (!cache_ready(cache))
    return false;
  size_t length = strlen(subject);
  kv_assoc_answer_t *a = malloc(sizeof(*a) + length + 1);
  if (!a || !(a->topic = strdup(q->topic))) {
    free(a);
    return false;
  }
  a->has_schema = q->has_schema;
  memcpy(a->fingerprint, q->fingerprint, sizeof(a->fingerprint));
  a->hash = question_hash(q);
  a->expires_ms = cache->expiry_ms >= 0 ? now_ms() + cache->expiry_ms : -1;
  memcpy(a->subject, subject, length + 1);
  kv_assoc_answer_t *old = cache->answers[cache->next];
  if (old)
    cache_unlink(cache, old);
  answer_free(old);
  kv_assoc_answer_t **bucket = &cache->buckets[a->hash & cache->bucket_mask];
  a->chain = *bucket;
  *bucket = a;
  cache->answers[cache->next] = a;
  cache->next = (cache->next + 1) % cache->capacity;
  cache->last = a;
  return true;
}

/* Ask the registry; *@countp associations, the one subject in @buf. */
static kavro_err_t ask(kv_namer_t *namer, const char *topic, bool is_key,
                       char *buf, size_t *countp, kavro_error_t *error) {
  kavro_association_t *list = NULL;
  *countp = 0;
  kavro_err_t err = kavro_registry_associations(
      namer->registry, *namer->cluster_id ? namer->cluster_id : "-", topic,
      is_key ? "key" : "value", &list, countp, error);
  if (err != KAVRO_OK) {
    /* A registry without associations: as if the topic had none. */
    if (error && error->http_status == 404) {
      kv_error_clear(error);
      return KAVRO_OK;
    }
    return err;
  }
  if (*countp == 1 && strlen(list[0].subject) >= KAVRO_SUBJECT_MAX)
    err = kv_error_set(error, KAVRO_ERR_LIMIT,
                       "the subject associated with topic %.200s is longer "
                       "than %d bytes",
                       topic, KAVRO_SUBJECT_MAX - 1);
  else if (*countp == 1 && !list[0].subject[0])
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "malformed registry reply: an empty associated subject");
  else if (*countp == 1)
    strcpy(buf, list[0].subject);
  kavro_associations_destroy(list, *countp);
  return err;
}

/* The subject of @topic without the cache. */
static kavro_err_t load(kv_namer_t *namer, const char *topic, bool is_key,
                        const kavro_schema_t *schema, char *buf,
                        kavro_error_t *error) {
  size_t count = 0;
  kavro_err_t err = namer->registry
                        ? ask(namer, topic, is_key, buf, &count, error)
                        : KAVRO_OK;
  if (err != KAVRO_OK || count == 1)
    return err;
  if (count > 1)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "multiple associated subjects found for topic %.200s",
                        topic);
  if (namer->no_fallback)
    return kv_error_set(error, KAVRO_ERR_NOT_FOUND,
                        "no associated subject found for topic %.200s", topic);
  return kavro_subject_name(namer->fallback, topic, is_key, schema, buf,
                            KAVRO_SUBJECT_MAX, error);
}

kavro_err_t kv_namer_associated(kv_namer_t *namer, const char *topic,
                                bool is_key, const kavro_schema_t *schema,
                                char *buf, kavro_error_t *error) {
  buf[0] = '\0';
  namer->cache.last_kept = false;
  /* Without a topic there is nothing to ask about. */
  if (!topic || !*topic) {
    if (namer->no_fallback)
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "AssociatedNameStrategy needs a topic");
    return kavro_subject_name(namer->fallback, topic, is_key, schema, buf,
                              KAVRO_SUBJECT_MAX, error);
  }
  question_t q;
  question_make(&q, namer, topic, schema);
  const kv_assoc_answer_t *known = cache_find(&namer->cache, &q);
  if (known) {
    strcpy(buf, known->subject);
    namer->cache.last_kept = true;
    return KAVRO_OK;
  }
  kavro_err_t err = load(namer, topic, is_key, schema, buf, error);
  if (err == KAVRO_OK) {
    /* An answer comes (and perhaps another goes): what was named from
     * the answers before may no longer hold. */
    namer->generation++;
    namer->cache.last_kept = cache_put(&namer->cache, &q, buf);
  } else {
    buf[0] = '\0';
  }
  return err;
}
