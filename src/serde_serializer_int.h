/*
 * kavro - what the serializer (serializer.c) and the deserializer
 * (deserializer.c) share: subject naming as configured, and the schema
 * fingerprint that keys their caches.
 */
#ifndef KAVRO_SERIALIZER_INT_H
#define KAVRO_SERIALIZER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common_metrics_int.h"
#include "kavro/registry.h"
#include "kavro/serializer.h"
#include "registry_serde_int.h"

/* AssociatedNameStrategy's answers (serde_assoc.c): (topic, schema
 * fingerprint) -> subject, at most @capacity, the oldest out first. */
typedef struct kv_assoc_answer_s kv_assoc_answer_t;
typedef struct kv_assoc_cache_s {
  kv_assoc_answer_t **answers; /* a ring of @capacity slots */
  size_t capacity, next;
  /* The answers by their question's hash, chained through them: a
   * deserializer asks for every message, over many topics perhaps. */
  kv_assoc_answer_t **buckets;
  size_t bucket_mask;          /* the bucket count less one (a power of 2) */
  const kv_assoc_answer_t *last; /* the latest found or kept: tried first */
  int64_t expiry_ms;           /* -1: never */
  /* Whether the latest answer kv_namer_associated() gave is one kept:
   * asked again, the cache gives it (until it expires or goes). */
  bool last_kept;
} kv_assoc_cache_t;

/* The subject a namer named last for a topic without a schema
 * (kv_namer_topic_subject()), and what it stands on. */
typedef struct kv_namer_recent_s {
  bool valid;          /* to be given again while @generation holds */
  bool is_key;
  bool in_context;     /* @subject is in a context other than the default */
  uint64_t generation; /* the namer's when it was named */
  char *topic;         /* @topic_size bytes kept, the name in front */
  size_t topic_size;
  char subject[KAVRO_SUBJECT_MAX];
} kv_namer_recent_t;

/* How one side (keys or values) names its subjects. */
typedef struct kv_namer_s {
  kavro_subject_strategy_t strategy;
  kavro_subject_name_cb_t cb; /* set: KAVRO_SUBJECT_CUSTOM */
  void *opaque;
  /* KAVRO_SUBJECT_ASSOCIATED: the registry asked, the namespace (the
   * conf's string, "" for any), the strategy when there is no
   * association (@no_fallback: none) and the answers kept. */
  kavro_registry_t *registry;
  const char *cluster_id;
  kavro_subject_strategy_t fallback;
  bool no_fallback;
  kv_assoc_cache_t cache;
  /* The context every subject is put in (context.name.strategy); NULL:
   * the default context. */
  kavro_context_name_cb_t context_cb;
  void *context_opaque;
  /* Changes whenever what the namer answers may change: an answer kept
   * or let go, a subject callback set or removed. */
  uint64_t generation;
  kv_namer_recent_t recent;
} kv_namer_t;

/* The strategy for keys (@is_key) or values from @conf: the
 * `key.`/`value.subject.name.strategy` property when set, else
 * `subject.name.strategy`. */
kavro_err_t kv_namer_init(kv_namer_t *namer, const kavro_conf_t *conf,
                          bool is_key, kavro_error_t *error);

/* Let @namer ask @registry (borrowed) for associations. */
void kv_namer_attach(kv_namer_t *namer, kavro_registry_t *registry);

/* Free what @namer keeps (its answers). */
void kv_namer_clear(kv_namer_t *namer);

/* Whether the subject depends on the schema (the record strategies, a
 * callback, or AssociatedNameStrategy falling back to one), as Java's
 * SubjectNameStrategy.usesSchema(). */
static inline bool kv_namer_uses_schema(const kv_namer_t *namer) {
  kavro_subject_strategy_t s = namer->strategy;
  if (s == KAVRO_SUBJECT_ASSOCIATED)
    s = namer->no_fallback ? KAVRO_SUBJECT_TOPIC : namer->fallback;
  return s != KAVRO_SUBJECT_TOPIC;
}

/* The subject of @topic as AssociatedNameStrategy names it into @buf
 * (serde_assoc.c). */
kavro_err_t kv_namer_associated(kv_namer_t *namer, const char *topic,
                                bool is_key, const kavro_schema_t *schema,
                                char *buf, kavro_error_t *error);

/* The prefix ":.ctx:" of the context @namer puts subjects of @topic in,
 * or "" (the default context), into @buf (KAVRO_SUBJECT_MAX bytes). */
kavro_err_t kv_namer_context(const kv_namer_t *namer, const char *topic,
                             char *buf, kavro_error_t *error);

/* Install (@cb not NULL) or remove a user callback. */
void kv_namer_set_cb(kv_namer_t *namer, const kavro_conf_t *conf, bool is_key,
                     kavro_subject_name_cb_t cb, void *opaque);

/* The subject kv_namer_subject() names for @topic and @is_key without a
 * schema, in *@subjectp (the namer's: valid until its next use), and
 * whether it is in a context other than the default in *@in_contextp.
 * Given again without naming it anew for as long as naming it is sure to
 * give the same: for TopicNameStrategy, and for AssociatedNameStrategy
 * while its answer is kept without expiry and no answer came or went.
 * Callbacks (of subjects or contexts) are called every time.  @error is
 * left as it is when the subject is given again. */
kavro_err_t kv_namer_topic_subject(kv_namer_t *namer, const char *topic,
                                   bool is_key, const char **subjectp,
                                   bool *in_contextp, kavro_error_t *error);

/* The subject kv_namer_topic_subject() would give again for @topic and
 * @is_key without naming it anew, or NULL: a message's worth of checks,
 * inline for the deserializer's warm path. */
static inline const kv_namer_recent_t *
kv_namer_recent(const kv_namer_t *namer, const char *topic, bool is_key) {
  const kv_namer_recent_t *r = &namer->recent;
  return r->valid && r->generation == namer->generation &&
                 r->is_key == is_key && !namer->context_cb && topic &&
                 strcmp(r->topic, topic) == 0
             ? r
             : NULL;
}

/* The subject for @topic, @is_key and @schema into @buf (KAVRO_SUBJECT_MAX
 * bytes).  A callback that fails without a message gets one. */
kavro_err_t kv_namer_subject(kv_namer_t *namer, const char *topic,
                             bool is_key, const kavro_schema_t *schema,
                             char *buf, kavro_error_t *error);

/* @framing (NULL: none asked for) says nothing: a tombstone's, or a
 * failure's.  A framed message has its entry's framing copied whole, so
 * the serializers clear it only on these paths. */
static inline void kv_framing_clear(kavro_serializer_framing_t *framing) {
  if (framing)
    memset(framing, 0, sizeof(*framing));
}

/* KAVRO_ERR_INVALID_ARG: a call that hands out no header was made for
 * keys (@is_key) or values whose schema id goes in a header. */
kavro_err_t kv_serializer_header_refused(bool is_key, kavro_error_t *error);

/* The warm-path entry of (@topic, @is_key, @schema) when the schema has
 * rules to run on write, else NULL (typed_serde.c asks once per kind). */
const void *kv_serializer_rules_entry(kavro_serializer_t *ser,
                                      const char *topic, bool is_key,
                                      kavro_schema_t *schema);

/* Run the rules of @entry over the body @out holds after @prefix_size
 * bytes (a typed record's encoding): decoded into a generic value, the
 * rules run, and encoded again in its place when they may change it. */
kavro_err_t kv_serializer_rules_apply(kavro_serializer_t *ser,
                                      const void *entry, const char *topic,
                                      kavro_buf_t *out, size_t prefix_size,
                                      kavro_error_t *error);

/* Completes the record kavro_deserializer_set_record() gave (with @ctx):
 * the consumer helper hands a record whose headers librdkafka has not
 * parsed yet, and parses them only when rules are about to see them. */
typedef kavro_err_t (*kv_record_loader_t)(void *ctx, kavro_error_t *error);

/* Run @load (with @ctx) before rules next see the record, once; until the
 * next kavro_deserializer_set_record(), which forgets it. */
void kv_deserializer_set_record_loader(kavro_deserializer_t *des,
                                       kv_record_loader_t load, void *ctx);

/* Whether @des reads a schema id from a record header before the prefix,
 * for keys (@is_key) or values: `dual`, not `prefix`. */
bool kv_deserializer_reads_id_headers(const kavro_deserializer_t *des,
                                      bool is_key);

/* As kavro_deserializer_unframe(), for typed records: when the schema
 * read as has rules (or a migration) to run, the body is decoded into a
 * generic value, the rules run, and @out points at its encoding again
 * (writer: the schema read as; valid until the next call). */
kavro_err_t kv_deserializer_typed_frame(
    kavro_deserializer_t *des, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserializer_frame_t *out, kavro_error_t *error);

/* True when the registry says the subject or its level does not exist:
 * the registry has nothing to say, which is not a failure. */
bool kv_registry_absent(kavro_err_t err);

/* `use.latest.with.metadata`: the metadata properties a version must
 * have, parsed once per serializer or deserializer. */
#define KV_METADATA_MAX_PAIRS 64

typedef struct kv_metadata_want_s {
  size_t count; /* 0: the setting is off */
  char *keys[KV_METADATA_MAX_PAIRS];
  char *values[KV_METADATA_MAX_PAIRS];
  char *text; /* as configured, for errors */
  kv_metadata_query_t *query; /* the registry's question, prepared once */
} kv_metadata_want_t;

/* Parse `use.latest.with.metadata` of @conf ("k1=v1,k2=v2", CSV with ' as
 * the quote character, as Confluent's Java client reads it) into @want.
 * KAVRO_ERR_CONF_INVALID for an entry without '=' or an empty key. */
kavro_err_t kv_metadata_want_init(kv_metadata_want_t *want,
                                  const kavro_conf_t *conf,
                                  kavro_error_t *error);
void kv_metadata_want_clear(kv_metadata_want_t *want);

/* The latest version of @subject with @want's metadata (cached by the
 * registry client as the latest version is): its schema (a new reference)
 * in @*schemap and its info in @*infop, each when not NULL (with @infop
 * NULL a cached answer allocates nothing); an absent one reported as
 * such, with its original code. */
kavro_err_t kv_metadata_latest(kavro_registry_t *registry,
                               const kv_metadata_want_t *want,
                               const char *subject, kavro_schema_t **schemap,
                               kavro_schema_info_t **infop,
                               kavro_error_t *error);

/* ---- metrics (serde_deserializer.c) -------------------------------------- */

/* A topic's counters of one direction, resolved once on the cold path:
 * the warm path adds through them without a lock or a lookup. */
typedef struct kv_serde_counters_s {
  kv_stripe_t *ok;    /* of {topic, "ok"}; NULL: not counted */
  kv_stripe_t *bytes; /* of {topic} */
} kv_serde_counters_t;

/* Resolve @counters for @topic (NULL: "") in @id's family
 * (KV_M_SERIALIZED or KV_M_DESERIALIZED, bytes in the family after). */
void kv_serde_counters_init(kv_serde_counters_t *counters, kv_metric_id_t id,
                            const char *topic);

/* One message of @size bytes done. */
static inline void kv_serde_counted(const kv_serde_counters_t *counters,
                                    size_t size) {
  unsigned s = kv_metric_stripe();
  kv_stripes_add(counters->ok, s, 1);
  kv_stripes_add(counters->bytes, s, size);
}

/* One message of @topic failed with @err (details in @error when it holds
 * them): its topic's error outcome and the error's class and code. */
void kv_serde_count_failure(kv_metric_id_t id, const char *topic,
                            kavro_err_t err, const kavro_error_t *error);

#endif /* KAVRO_SERIALIZER_INT_H */
