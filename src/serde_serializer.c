/*
 * kavro - the serializer: subject, compatibility gate, schema id, frame.
 *
 * Two paths.  The cold path runs once per (schema, topic, key-or-value):
 * it names the subject, finds or registers the schema (running the gate
 * first when the schema is new to the subject), judges the rule set of
 * the schema it writes with once (rules_int.h) and stores the encoded id in a
 * table entry: the prefix to put before bodies, or the value of the
 * schema-id header (the GUID) when `key.`/`value.schema.id.serializer` is
 * header.  The warm path is a lookup in that table by the schema
 * object's address, the key flag and the topic text, followed by the
 * encoding: no registry call, no lock (the serializer belongs to one
 * thread), no allocation once the output buffer has grown.  A schema
 * whose rule set has rules for writing keeps them compiled in its entry,
 * with a generic value to transform a copy of the message in; a schema
 * without keeps the warm path as it was.  Each entry keeps its topic's
 * metric series (resolved on the cold path): the warm path counts a
 * message and its bytes with two relaxed atomic adds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde_value_int.h"
#include "common_conf_int.h"
#include "config.h"
#include "common_error_int.h"
#include "common_metrics_int.h"
#include "serde_serializer_int.h"
#include "rules_int.h"

#define INITIAL_BUCKETS 64u

/* A warm-path entry: what a (schema, topic, key-or-value) frames with.
 * Entries never move or go before the serializer does, so the pointers of
 * @framing (into @encoded_id) can be handed out for its life. */
typedef struct kv_hot_s {
  struct kv_hot_s *next;
  kavro_schema_t *schema; /* a reference; matched by address */
  char *topic;            /* "" stands for no topic */
  uint64_t hash;
  bool is_key;
  /* The prefix (0x00 and the id) or the header's value (0x01 and the
   * GUID), as @framing says. */
  unsigned char encoded_id[KAVRO_WIRE_MAX_ID_SIZE];
  kavro_serializer_framing_t framing;
  int id; /* 0: not known (use.schema.guid with the id in a header) */
  kv_serde_counters_t counters; /* the topic's, resolved once */
  kv_ruleset_t *rules; /* NULL: no rule to run */
  /* @rules' schema is encoded as @schema is: the body may be rewritten
   * in one pass (kv_ruleset_rewrite()). */
  bool rewrites;
  /* When @rules may change the message or typed records are written
   * through it: a generic value of the schema (@has_scratch). */
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t scratch;
  bool has_scratch;
  char subject[]; /* the subject the id belongs to */
} kv_hot_t;

/* What the cold path learnt of the schema the frames name: its integer id
 * (0: not known), its GUID (when @has_guid), and its info (schema and
 * contract) as the registry keeps it (owned, or NULL). */
typedef struct kv_found_s {
  int id;
  bool has_guid;
  unsigned char guid[KAVRO_WIRE_GUID_SIZE];
  kavro_schema_info_t *info;
} kv_found_t;

/* The gate's verdict on a schema for a subject.  Never evicted: there are
 * as many as the (subject, schema) pairs the process produces with.  The
 * schema is keyed by its full JSON, not by the canonical form's
 * fingerprint: defaults and aliases, which the canonical form drops,
 * decide compatibility. */
typedef struct kv_verdict_s {
  struct kv_verdict_s *next;
  uint64_t hash;                  /* of the JSON */
  char *json;
  kavro_compat_result_t *refusal; /* NULL: compatible */
  char subject[];
} kv_verdict_t;

/* What the gate last learnt of a subject, to judge new schemas while the
 * registry cannot be reached. */
typedef struct kv_history_s {
  struct kv_history_s *next;
  kavro_compat_level_t level;
  kavro_subject_versions_t previous; /* what the level checks against */
  char subject[];
} kv_history_t;

struct kavro_serializer_s {
  kavro_registry_t *registry;
  const kavro_conf_t *conf; /* the registry's, for kv_namer_set_cb() */
  kavro_conf_t *own_conf;   /* a copy of the caller's, when given */
  bool auto_register;
  bool use_latest;
  bool latest_strict;
  bool normalize;
  bool id_strict;
  int64_t use_schema_id;
  bool use_guid; /* use.schema.guid is set */
  unsigned char use_schema_guid[KAVRO_WIRE_GUID_SIZE];
  kavro_wire_format_t id_formats[2]; /* [is_key]: prefix or header */
  kv_metadata_want_t metadata; /* use.latest.with.metadata */
  kv_namer_t namers[2]; /* [is_key] */
  kv_rules_t *rules;    /* the conf's executors and actions */
  kavro_decoder_t *decoder; /* typed records with rules, made at first use */
  kavro_buf_t *payload[2];  /* encoding rules' results, made at first use */
  kavro_buf_t *rewritten;   /* a body rewritten in one pass, ditto */
  kv_hot_t **buckets;
  size_t bucket_count;
  size_t entry_count;
  /* The previous message's entry (NULL: none yet), tried before the topic
   * is hashed: a run of messages of one kind costs one comparison each.
   * Entries live as long as the serializer. */
  kv_hot_t *last;
  kv_verdict_t *verdicts;
  kv_history_t *histories;
  const kavro_compat_result_t *last_refusal;
  const char *last_subject;
  char subject_scratch[KAVRO_SUBJECT_MAX];
  kavro_record_t *record; /* kavro_serializer_set_record(): the rules' */
};

/* ---- life cycle ---------------------------------------------------------- */

kavro_serializer_t *kavro_serializer_new(kavro_registry_t *registry,
                                         const kavro_conf_t *conf,
                                         kavro_error_t *error) {
  kv_error_clear(error);
  if (!registry) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no registry client");
    return NULL;
  }
  kavro_serializer_t *ser = calloc(1, sizeof(*ser));
  if (!ser || !(ser->buckets = calloc(INITIAL_BUCKETS, sizeof(kv_hot_t *))) ||
      (conf && !(ser->own_conf = kavro_conf_dup(conf)))) {
    kavro_serializer_destroy(ser);
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  ser->registry = registry;
  ser->conf = conf ? ser->own_conf : kavro_registry_conf(registry);
  ser->bucket_count = INITIAL_BUCKETS;
  ser->auto_register = kv_conf_bool(ser->conf, "auto.register.schemas");
  ser->use_latest = kv_conf_bool(ser->conf, "use.latest.version");
  ser->latest_strict = kv_conf_bool(ser->conf, "latest.compatibility.strict");
  ser->normalize = kv_conf_bool(ser->conf, "normalize.schemas");
  ser->id_strict = kv_conf_bool(ser->conf, "id.compatibility.strict");
  ser->use_schema_id = kv_conf_int(ser->conf, "use.schema.id");
  kavro_schema_id_t guid;
  ser->use_guid = kavro_schema_id_parse(kv_conf_str(ser->conf,
                                                    "use.schema.guid"),
                                        &guid, NULL) == KAVRO_OK &&
                  guid.kind == KAVRO_SCHEMA_ID_GUID;
  memcpy(ser->use_schema_guid, guid.guid, sizeof(ser->use_schema_guid));
  ser->last_subject = "";
  if (!(ser->rules = kv_rules_new(ser->conf, ser->registry, error)) ||
      kv_metadata_want_init(&ser->metadata, ser->conf, error) != KAVRO_OK) {
    kavro_serializer_destroy(ser);
    return NULL;
  }
  for (int side = 0; side < 2; side++)
    ser->id_formats[side] =
        strcmp(kv_conf_str(ser->conf, side ? "key.schema.id.serializer"
                                           : "value.schema.id.serializer"),
               "header") == 0
            ? KAVRO_WIRE_FORMAT_HEADER
            : KAVRO_WIRE_FORMAT_PREFIX;
  ser->last_subject = "";
  for (int side = 0; side < 2; side++) {
    if (kv_namer_init(&ser->namers[side], ser->conf, side, error) != KAVRO_OK) {
      kavro_serializer_destroy(ser);
      return NULL;
    }
    kv_namer_attach(&ser->namers[side], registry);
  }
  return ser;
}

static void hot_free(kv_hot_t *e) {
  kavro_schema_destroy(e->schema);
  kv_ruleset_destroy(e->rules);
  if (e->has_scratch) {
    avro_value_decref(&e->scratch);
    avro_value_iface_decref(e->iface);
    avro_schema_decref(e->avro);
  }
  free(e->topic);
  free(e);
}

static void history_free(kv_history_t *h) {
  kavro_subject_versions_clear(&h->previous);
  free(h);
}

void kavro_serializer_destroy(kavro_serializer_t *ser) {
  if (!ser)
    return;
  for (size_t b = 0; ser->buckets && b < ser->bucket_count; b++)
    for (kv_hot_t *e = ser->buckets[b], *next; e; e = next) {
      next = e->next;
      hot_free(e);
    }
  free(ser->buckets);
  for (kv_verdict_t *v = ser->verdicts, *next; v; v = next) {
    next = v->next;
    kavro_compat_result_destroy(v->refusal);
    free(v->json);
    free(v);
  }
  for (kv_history_t *h = ser->histories, *next; h; h = next) {
    next = h->next;
    history_free(h);
  }
  kv_namer_clear(&ser->namers[0]);
  kv_namer_clear(&ser->namers[1]);
  kv_metadata_want_clear(&ser->metadata);
  kv_rules_destroy(ser->rules);
  kavro_decoder_destroy(ser->decoder);
  kavro_buf_destroy(ser->payload[0]);
  kavro_buf_destroy(ser->payload[1]);
  kavro_buf_destroy(ser->rewritten);
  kavro_conf_destroy(ser->own_conf);
  free(ser);
}

void kavro_serializer_set_subject_name_cb(kavro_serializer_t *ser, bool is_key,
                                          kavro_subject_name_cb_t cb,
                                          void *opaque) {
  if (ser)
    kv_namer_set_cb(&ser->namers[is_key], ser->conf, is_key, cb, opaque);
}

void kavro_serializer_set_context_name_cb(kavro_serializer_t *ser,
                                          kavro_context_name_cb_t cb,
                                          void *opaque) {
  for (int side = 0; ser && side < 2; side++) {
    ser->namers[side].context_cb = cb;
    ser->namers[side].context_opaque = opaque;
  }
}

const kavro_compat_result_t *kavro_serializer_last_incompatibility(
    const kavro_serializer_t *ser) {
  return ser ? ser->last_refusal : NULL;
}

const char *kavro_serializer_last_subject(const kavro_serializer_t *ser) {
  return ser ? ser->last_subject : "";
}

void kavro_serializer_set_record(kavro_serializer_t *ser,
                                 kavro_record_t *record) {
  if (ser)
    ser->record = record;
}

/* ---- the warm-path table --------------------------------------------------- */

/* FNV-1a over the topic, mixed with the schema's address and the flag. */
static uint64_t hot_hash(const kavro_schema_t *schema, const char *topic,
                         bool is_key) {
  uint64_t h = 0xcbf29ce484222325u ^ (uint64_t)(uintptr_t)schema ^ is_key;
  for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
    h = (h ^ *p) * 0x100000001b3u;
  return h ^ (h >> 29);
}

static kv_hot_t *hot_find(const kavro_serializer_t *ser,
                          const kavro_schema_t *schema, const char *topic,
                          bool is_key, uint64_t hash) {
  for (kv_hot_t *e = ser->buckets[hash & (ser->bucket_count - 1)]; e;
       e = e->next)
    if (e->hash == hash && e->schema == schema && e->is_key == is_key &&
        strcmp(e->topic, topic) == 0)
      return e;
  return NULL;
}

/* Double the buckets when the table is fuller than one entry per bucket.
 * A failed allocation keeps the old table: longer chains, still correct. */
static void hot_grow(kavro_serializer_t *ser) {
  if (ser->entry_count < ser->bucket_count)
    return;
  size_t count = ser->bucket_count * 2;
  kv_hot_t **buckets = calloc(count, sizeof(*buckets));
  if (!buckets)
    return;
  for (size_t b = 0; b < ser->bucket_count; b++)
    for (kv_hot_t *e = ser->buckets[b], *next; e; e = next) {
      next = e->next;
      e->next = buckets[e->hash & (count - 1)];
      buckets[e->hash & (count - 1)] = e;
    }
  free(ser->buckets);
  ser->buckets = buckets;
  ser->bucket_count = count;
}

/* How @e's messages carry @found's id in @format: the encoded id, and
 * the framing that points at it. */
static void hot_set_framing(kv_hot_t *e, kavro_wire_format_t format,
                            const kv_found_t *found) {
  kavro_serializer_framing_t *f = &e->framing;
  memset(f, 0, sizeof(*f));
  f->format = format;
  f->id = format == KAVRO_WIRE_FORMAT_HEADER
              ? kavro_schema_id_guid(found->guid)
              : kavro_schema_id_int(found->id);
  size_t length = 0;
  kavro_wire_write_id(&f->id, e->encoded_id, sizeof(e->encoded_id), &length,
                      NULL);
  if (format == KAVRO_WIRE_FORMAT_HEADER) {
    f->header_name = kavro_wire_header_name(e->is_key);
    f->header_value = e->encoded_id;
    f->header_size = length;
  } else {
    f->prefix = e->encoded_id;
    f->prefix_size = length;
  }
}

/* The generic value @e transforms copies of messages in. */
static kavro_err_t hot_scratch(kv_hot_t *e, kavro_error_t *error) {
  if (e->has_scratch)
    return KAVRO_OK;
  kavro_err_t err = kavro_schema_to_avro(e->schema, &e->avro, error);
  if (err != KAVRO_OK)
    return err;
  if (!(e->iface = avro_generic_class_from_schema(e->avro)) ||
      avro_generic_value_new(e->iface, &e->scratch) != 0) {
    avro_value_iface_decref(e->iface);
    avro_schema_decref(e->avro);
    return kv_error_set(error, KAVRO_ERR_AVRO_C, "avro-c: %s", avro_strerror());
  }
  e->has_scratch = true;
  return KAVRO_OK;
}

/* Takes @rules, also on failure. */
static kavro_err_t hot_add(kavro_serializer_t *ser, kavro_schema_t *schema,
                           const char *topic, bool is_key, uint64_t hash,
                           const char *subject, const kv_found_t *found,
                           kv_ruleset_t *rules, kv_hot_t **entryp,
                           kavro_error_t *error) {
  size_t subject_size = strlen(subject) + 1;
  kv_hot_t *e = calloc(1, sizeof(*e) + subject_size);
  if (!e || !(e->topic = strdup(topic))) {
    free(e);
    kv_ruleset_destroy(rules);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  e->rules = rules;
  e->rewrites = rules && strcmp(kv_ruleset_schema(rules)->canonical,
                                schema->canonical) == 0;
  memcpy(e->subject, subject, subject_size);
  e->schema = kavro_schema_dup(schema);
  e->hash = hash;
  e->is_key = is_key;
  e->id = found->id;
  kv_serde_counters_init(&e->counters, KV_M_SERIALIZED, topic);
  if (kv_ruleset_transforms(rules)) {
    kavro_err_t err = hot_scratch(e, error);
    if (err != KAVRO_OK) {
      hot_free(e);
      return err;
    }
  }
  hot_set_framing(e, ser->id_formats[is_key], found);
  hot_grow(ser);
  size_t b = hash & (ser->bucket_count - 1);
  e->next = ser->buckets[b];
  ser->buckets[b] = e;
  ser->entry_count++;
  *entryp = e;
  return KAVRO_OK;
}

/* ---- the compatibility gate ----------------------------------------------- */

static kv_history_t *history_find(const kavro_serializer_t *ser,
                                  const char *subject) {
  for (kv_history_t *h = ser->histories; h; h = h->next)
    if (strcmp(h->subject, subject) == 0)
      return h;
  return NULL;
}

/* The subject's level and previous versions from the registry, replacing
 * what was kept; when the registry cannot be reached, what was kept. */
static kavro_err_t load_history(kavro_serializer_t *ser, const char *subject,
                                kv_history_t **hp, kavro_error_t *error) {
  size_t subject_size = strlen(subject) + 1;
  kv_history_t *fresh = calloc(1, sizeof(*fresh) + subject_size);
  if (!fresh)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  memcpy(fresh->subject, subject, subject_size);
  kavro_err_t err = kavro_subject_level(ser->registry, subject, &fresh->level,
                                        error);
  if (err == KAVRO_OK)
    err = kavro_subject_previous(ser->registry, subject, fresh->level,
                                 &fresh->previous, error);
  kv_history_t *kept = history_find(ser, subject);
  if (err != KAVRO_OK) {
    history_free(fresh);
    if (kept && kavro_error_is_retriable(error)) {
      kv_error_clear(error);
      *hp = kept;
      return KAVRO_OK;
    }
    return err;
  }
  kv_history_t **link = &ser->histories;
  while (*link && *link != kept)
    link = &(*link)->next;
  fresh->next = kept ? kept->next : NULL;
  *link = fresh;
  if (kept)
    history_free(kept);
  *hp = fresh;
  return KAVRO_OK;
}

/* A registered schema is the subject's newest version from now on. */
static void history_note_registered(kavro_serializer_t *ser,
                                    const char *subject,
                                    kavro_schema_t *schema) {
  kv_history_t *h = history_find(ser, subject);
  if (!h || h->level == KAVRO_COMPAT_NONE)
    return;
  kavro_subject_versions_t *previous = &h->previous;
  if (!kavro_compat_level_is_transitive(h->level) && previous->count == 1) {
    kavro_schema_destroy(previous->schemas[0]);
    previous->schemas[0] = kavro_schema_dup(schema);
    previous->numbers[0] = 0; /* not known here; the gate reads schemas */
    return;
  }
  /* On failure the registry is asked again next time. */
  (void)kavro_subject_versions_add(previous, schema, 0);
}

static kv_verdict_t *verdict_find(const kavro_serializer_t *ser,
                                  const char *subject, const char *json,
                                  uint64_t hash) {
  for (kv_verdict_t *v = ser->verdicts; v; v = v->next)
    if (v->hash == hash && strcmp(v->json, json) == 0 &&
        strcmp(v->subject, subject) == 0)
      return v;
  return NULL;
}

/* Keep @result (NULL: compatible) as the verdict on @json for @subject;
 * takes @json and @result, also on failure. */
static kv_verdict_t *verdict_add(kavro_serializer_t *ser, const char *subject,
                                 char *json, uint64_t hash,
                                 kavro_compat_result_t *result) {
  size_t subject_size = strlen(subject) + 1;
  kv_verdict_t *v = calloc(1, sizeof(*v) + subject_size);
  if (!v) {
    free(json);
    kavro_compat_result_destroy(result);
    return NULL;
  }
  v->hash = hash;
  v->json = json;
  v->refusal = result;
  memcpy(v->subject, subject, subject_size);
  v->next = ser->verdicts;
  ser->verdicts = v;
  return v;
}

/* The verdict on @schema for @subject, judged by @judge on a miss. */
typedef kavro_err_t (*kv_judge_fn)(kavro_serializer_t *ser, const char *subject,
                                   const kavro_schema_t *schema,
                                   const void *arg,
                                   kavro_compat_result_t **resultp,
                                   kavro_error_t *error);

static kavro_err_t verdict_for(kavro_serializer_t *ser, const char *subject,
                               const kavro_schema_t *schema, kv_judge_fn judge,
                               const void *arg, kv_verdict_t **vp,
                               kavro_error_t *error) {
  char *json = kavro_schema_to_json(schema, KAVRO_JSON_COMPACT);
  if (!json)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  uint64_t hash = kavro_rabin(json, strlen(json));
  kv_verdict_t *v = verdict_find(ser, subject, json, hash);
  if (v) {
    free(json);
    *vp = v;
    return KAVRO_OK;
  }
  kavro_compat_result_t *result = NULL;
  kavro_err_t err = judge(ser, subject, schema, arg, &result, error);
  if (err != KAVRO_OK) {
    free(json);
    return err;
  }
  if (kavro_compat_result_is_compatible(result)) {
    kavro_compat_result_destroy(result);
    result = NULL;
  }
  if (!(*vp = verdict_add(ser, subject, json, hash, result)))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  return KAVRO_OK;
}

/* KAVRO_ERR_INCOMPATIBLE with the first incompatibility as the summary. */
static kavro_err_t refuse(kavro_serializer_t *ser, const char *subject,
                          const char *what,
                          const kavro_compat_result_t *refusal,
                          kavro_error_t *error) {
  ser->last_refusal = refusal;
  size_t count = kavro_compat_result_count(refusal);
  const kavro_incompat_t *first = kavro_compat_result_get(refusal, 0);
  kv_error_set(error, KAVRO_ERR_INCOMPATIBLE,
               "%s is incompatible with subject %s: %s: %s (%zu "
               "incompatibilit%s)",
               what, subject, kavro_incompat_kind_name(first->kind),
               first->message, count, count == 1 ? "y" : "ies");
  kv_error_set_path(error, first->reader_location);
  kv_error_set_source(error, subject);
  return KAVRO_ERR_INCOMPATIBLE;
}

/* Judge @schema under @subject's level against its previous versions. */
static kavro_err_t judge_by_level(kavro_serializer_t *ser, const char *subject,
                                  const kavro_schema_t *schema,
                                  const void *arg,
                                  kavro_compat_result_t **resultp,
                                  kavro_error_t *error) {
  (void)arg;
  kv_history_t *h = NULL;
  kavro_err_t err = load_history(ser, subject, &h, error);
  if (err != KAVRO_OK)
    return err;
  return kavro_compat_check_level(h->level, schema, h->previous.schemas,
                                  h->previous.count, resultp, error);
}

/* Judge whether @arg (a kavro_schema_t) can read data of @schema. */
static kavro_err_t judge_by_target(kavro_serializer_t *ser,
                                   const char *subject,
                                   const kavro_schema_t *schema,
                                   const void *arg,
                                   kavro_compat_result_t **resultp,
                                   kavro_error_t *error) {
  (void)ser;
  (void)subject;
  return kavro_compat_check(arg, schema, resultp, error);
}

/* The gate: KAVRO_OK when @schema may be registered under @subject. */
static kavro_err_t gate(kavro_serializer_t *ser, const char *subject,
                        kavro_schema_t *schema, kavro_error_t *error) {
  kv_verdict_t *v;
  kavro_err_t err =
      verdict_for(ser, subject, schema, judge_by_level, NULL, &v, error);
  if (err != KAVRO_OK)
    return err;
  if (v->refusal)
    return refuse(ser, subject, "the schema", v->refusal, error);
  return KAVRO_OK;
}

/* ---- the cold path ------------------------------------------------------- */

/* Frame @schema's data with @target's id only when both are one schema:
 * a body is always encoded with the schema whose id it carries.  With
 * @strict, a target that cannot read @schema's data is reported as the
 * gate reports. */
static kavro_err_t pin(kavro_serializer_t *ser, const char *subject,
                       kavro_schema_t *schema, kavro_schema_t *target,
                       const char *target_id, bool strict, const char *what,
                       kavro_error_t *error) {
  if (strcmp(kavro_schema_canonical(schema), kavro_schema_canonical(target)) ==
      0)
    return KAVRO_OK;
  if (strict) {
    kv_verdict_t *v;
    kavro_err_t err =
        verdict_for(ser, subject, schema, judge_by_target, target, &v, error);
    if (err != KAVRO_OK)
      return err;
    if (v->refusal)
      return refuse(ser, subject, what, v->refusal, error);
  }
  return kv_error_set(error, KAVRO_ERR_ENCODE,
                      "the value's schema %s differs from %s (id %s) of "
                      "subject %s; a body is encoded with the schema its id "
                      "names",
                      kavro_schema_name(schema), what, target_id, subject);
}

/* The rules of the schema data is written with, compiled once per
 * warm-path entry (*@rulesp NULL when none applies): refused when one
 * applies that cannot be executed. */
static kavro_err_t compile_rules(kavro_serializer_t *ser,
                                 const kavro_schema_info_t *info,
                                 const char *subject, kv_ruleset_t **rulesp,
                                 kavro_error_t *error) {
  char what[KAVRO_ERROR_SOURCE_LENGTH];
  snprintf(what, sizeof(what), "schema id %d of subject %.180s",
           (int)kavro_schema_info_id(info), subject);
  kavro_err_t err = kv_ruleset_compile(ser->rules, info, subject,
                                       KV_RULE_WRITE, what, rulesp, error);
  const kavro_error_t *refusal = kv_ruleset_refusal(*rulesp);
  if (err == KAVRO_OK && refusal) {
    if (error)
      *error = *refusal;
    err = refusal->code;
    kv_ruleset_destroy(*rulesp);
    *rulesp = NULL;
  }
  return err;
}

/* `use.schema.id`, `use.schema.guid`, `use.latest.with.metadata` or
 * `use.latest.version` (Java's order): the schema is given, not looked
 * up; @found->info keeps it. */
static kavro_err_t pinned_id(kavro_serializer_t *ser, const char *subject,
                             kavro_schema_t *schema, kv_found_t *found,
                             kavro_error_t *error) {
  kavro_err_t err;
  bool strict = ser->id_strict;
  const char *what;
  if (ser->use_schema_id >= 0) {
    found->id = (int)ser->use_schema_id;
    err = kavro_registry_schema_info_by_id(ser->registry, found->id, subject,
                                           &found->info, error);
    what = "the schema of use.schema.id";
  } else if (ser->use_guid) {
    found->has_guid = true;
    memcpy(found->guid, ser->use_schema_guid, sizeof(found->guid));
    err = kavro_registry_schema_info_by_guid(ser->registry, found->guid,
                                             &found->info, error);
    what = "the schema of use.schema.guid";
  } else if (ser->metadata.count) {
    err = kv_metadata_latest(ser->registry, &ser->metadata, subject, NULL,
                             &found->info, error);
    strict = false; /* Java checks no compatibility here */
    what = "the latest version with the metadata";
  } else {
    err = kavro_registry_version_info(ser->registry, subject,
                                      KAVRO_REGISTRY_LATEST, &found->info,
                                      error);
    strict = ser->latest_strict;
    what = "the latest version";
  }
  if (err != KAVRO_OK)
    return err;
  /* A GUID names the schema by content: its id under the subject, when a
   * prefix needs one, is found by complete_id(). */
  if (!found->has_guid)
    found->id = kavro_schema_info_id(found->info);
  kavro_schema_id_t given = found->has_guid
                                ? kavro_schema_id_guid(found->guid)
                                : kavro_schema_id_int(found->id);
  char id_text[KAVRO_SCHEMA_ID_STRING_SIZE];
  kavro_schema_id_format(&given, id_text, sizeof(id_text));
  return pin(ser, subject, schema, kavro_schema_info_schema(found->info),
             id_text, strict, what, error);
}

/* The kind of id @format needs when the route found only the other kind:
 * the GUID of an integer id for a header, the id under @subject of the
 * schema of `use.schema.guid` for a prefix. */
static kavro_err_t complete_id(kavro_serializer_t *ser, const char *subject,
                               kavro_wire_format_t format,
                               kavro_schema_t *schema, kv_found_t *found,
                               kavro_error_t *error) {
  if (format == KAVRO_WIRE_FORMAT_HEADER && !found->has_guid) {
    kavro_err_t err = kavro_registry_guid_by_id(ser->registry, found->id,
                                                subject, found->guid, error);
    found->has_guid = err == KAVRO_OK;
    return err;
  }
  if (format == KAVRO_WIRE_FORMAT_PREFIX && found->id == 0) {
    kavro_schema_t *registered =
        found->info ? kavro_schema_info_schema(found->info) : schema;
    kavro_err_t err =
        kavro_registry_lookup(ser->registry, subject, registered, NULL, 0,
                              ser->normalize, &found->id, NULL, error);
    if (err == KAVRO_ERR_SCHEMA_NOT_FOUND || err == KAVRO_ERR_SUBJECT_NOT_FOUND)
      kv_error_set(error, err,
                   "the schema of use.schema.guid is not registered under "
                   "subject %s: a prefix carries the id it has there",
                   subject);
    return err;
  }
  return KAVRO_OK;
}

/* Find the schema under the subject, or gate and register it. */
static kavro_err_t registered_id(kavro_serializer_t *ser, const char *subject,
                                 kavro_schema_t *schema, int32_t *idp,
                                 kavro_error_t *error) {
  kavro_err_t err = kavro_registry_lookup(ser->registry, subject, schema, NULL,
                                          0, ser->normalize, idp, NULL, error);
  if (err == KAVRO_OK)
    return KAVRO_OK;
  bool unregistered = err == KAVRO_ERR_SCHEMA_NOT_FOUND ||
                      err == KAVRO_ERR_SUBJECT_NOT_FOUND;
  if (!ser->auto_register || (!unregistered && !kavro_error_is_retriable(error)))
    return err;
  /* Registering needs the registry; judging may not: an incompatible
   * schema is refused as such even while the registry is away. */
  kavro_error_t lookup_error = {0};
  if (error)
    lookup_error = *error;
  kavro_err_t gate_err = gate(ser, subject, schema, error);
  if (gate_err != KAVRO_OK)
    return gate_err;
  if (!unregistered) {
    if (error)
      *error = lookup_error;
    return err;
  }
  err = kavro_registry_register(ser->registry, subject, schema, NULL, 0,
                                ser->normalize, idp, error);
  if (err == KAVRO_OK)
    history_note_registered(ser, subject, schema);
  return err;
}

static kavro_err_t cold_path(kavro_serializer_t *ser, const char *topic,
                             bool is_key, kavro_schema_t *schema,
                             uint64_t hash, kv_hot_t **entryp,
                             kavro_error_t *error) {
  /* A lenient parse reads what a registry may hold; a schema produced
   * with is held to the specification, as registration is. */
  if (kavro_schema_relaxed_count(schema) > 0)
    return kv_error_set(error, KAVRO_ERR_SCHEMA_INVALID,
                        "the schema breaks the Avro specification (%.300s), "
                        "which a registry may hold but no producer may write "
                        "with",
                        kavro_schema_relaxed(schema, 0));
  char *subject = ser->subject_scratch;
  ser->last_subject = subject;
  kavro_err_t err = kv_namer_subject(&ser->namers[is_key],
                                     *topic ? topic : NULL, is_key, schema,
                                     subject, error);
  if (err != KAVRO_OK)
    return err;
  kv_found_t found = {0};
  if (ser->use_schema_id >= 0 || ser->use_guid || ser->metadata.count ||
      ser->use_latest) {
    err = pinned_id(ser, subject, schema, &found, error);
  } else {
    err = registered_id(ser, subject, schema, &found.id, error);
    /* The registered schema's info: its contract as the registry keeps
     * it, what the config merged in included. */
    if (err == KAVRO_OK)
      err = kavro_registry_schema_info_by_id(ser->registry, found.id, subject,
                                             &found.info, error);
  }
  kv_ruleset_t *rules = NULL;
  if (err == KAVRO_OK)
    err = compile_rules(ser, found.info, subject, &rules, error);
  if (err == KAVRO_OK)
    err = complete_id(ser, subject, ser->id_formats[is_key], schema, &found,
                      error);
  if (err == KAVRO_OK) {
    err = hot_add(ser, schema, topic, is_key, hash, subject, &found, rules,
                  entryp, error);
    rules = NULL;
  }
  kv_ruleset_destroy(rules);
  if (err == KAVRO_OK)
    ser->last_subject = (*entryp)->subject;
  kavro_schema_info_destroy(found.info);
  return err;
}

/* The entry for the triple, made on the cold path when missing. */
static kavro_err_t entry_for(kavro_serializer_t *ser, const char *topic,
                             bool is_key, kavro_schema_t *schema,
                             kv_hot_t **entryp, kavro_error_t *error) {
  const char *t = topic ? topic : "";
  kv_hot_t *e = ser->last;
  ser->last_refusal = NULL;
  if (!e || e->schema != schema || e->is_key != is_key ||
      strcmp(e->topic, t) != 0) {
    uint64_t hash = hot_hash(schema, t, is_key);
    if (!(e = hot_find(ser, schema, t, is_key, hash))) {
      kv_error_clear(error);
      kavro_err_t err = cold_path(ser, t, is_key, schema, hash, &e, error);
      if (err != KAVRO_OK)
        return err;
    }
    ser->last = e;
  }
  ser->last_subject = e->subject;
  *entryp = e;
  return KAVRO_OK;
}

/* ---- public entry points ------------------------------------------------- */

kavro_err_t kavro_serializer_prepare(kavro_serializer_t *ser, const char *topic,
                                     bool is_key, kavro_schema_t *schema,
                                     int32_t *idp, kavro_error_t *error) {
  if (!ser || !schema)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "serializer and schema are required");
  kv_hot_t *e;
  kavro_err_t err = entry_for(ser, topic, is_key, schema, &e, error);
  if (err == KAVRO_OK && idp)
    *idp = e->id;
  return err;
}

kavro_err_t kv_serializer_header_refused(bool is_key, kavro_error_t *error) {
  return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                      "%s.schema.id.serializer is header: the schema id "
                      "travels in the %s header, which this call cannot "
                      "hand out (use the _message variant)",
                      is_key ? "key" : "value",
                      kavro_wire_header_name(is_key));
}

kavro_err_t kavro_serializer_framing(kavro_serializer_t *ser, const char *topic,
                                     bool is_key, kavro_schema_t *schema,
                                     kavro_serializer_framing_t *framing,
                                     kavro_error_t *error) {
  if (!ser || !schema || !framing)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "serializer, schema and framing are required");
  kv_hot_t *e;
  kavro_err_t err = entry_for(ser, topic, is_key, schema, &e, error);
  if (err == KAVRO_OK)
    *framing = e->framing;
  return err;
}

kavro_err_t kavro_serializer_prefix(kavro_serializer_t *ser, const char *topic,
                                    bool is_key, kavro_schema_t *schema,
                                    unsigned char prefix[KAVRO_WIRE_PREFIX_SIZE],
                                    kavro_error_t *error) {
  if (!prefix)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no prefix buffer");
  kavro_serializer_framing_t framing = {0};
  kavro_err_t err =
      kavro_serializer_framing(ser, topic, is_key, schema, &framing, error);
  if (err != KAVRO_OK)
    return err;
  if (framing.header_name)
    return kv_serializer_header_refused(is_key, error);
  memcpy(prefix, framing.prefix, KAVRO_WIRE_PREFIX_SIZE);
  return KAVRO_OK;
}

/* The warm path encodes without error details; after a failure, encode
 * again into a scratch buffer to say what went wrong. */
static kavro_err_t explain_failure(const kavro_schema_t *schema,
                                   const avro_value_t *value,
                                   const kavro_buf_t *out, size_t prefix_size,
                                   kavro_err_t err, kavro_error_t *error) {
  kavro_buf_t *scratch = kavro_buf_new(0, out->max_size);
  if (!scratch)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t again = kavro_encode(schema, value, scratch, error);
  size_t need = kavro_buf_length(scratch) + prefix_size;
  kavro_buf_destroy(scratch);
  if (again != KAVRO_OK)
    return again;
  if (err == KAVRO_ERR_LIMIT)
    return kv_error_set(error, err, "the frame (%zu bytes) does not fit in "
                        "%zu bytes", need, out->max_size);
  return kv_error_set(error, err, "encoding failed");
}

/* Run @e's conditions over the caller's @value, which they only read. */
static kavro_err_t run_conditions(kavro_serializer_t *ser, kv_hot_t *e,
                                  const char *topic, bool is_key,
                                  const avro_value_t *value,
                                  kavro_error_t *error) {
  kv_rule_call_t call = {topic ? topic : "", is_key, NULL, 0, e->subject,
                         ser->record};
  return kv_ruleset_run(e->rules, &call, (avro_value_t *)value, error);
}

/* ---- typed records with rules (serde_serializer_int.h) ------------------- */

const void *kv_serializer_rules_entry(kavro_serializer_t *ser,
                                      const char *topic, bool is_key,
                                      kavro_schema_t *schema) {
  const char *t = topic ? topic : "";
  kv_hot_t *e = hot_find(ser, schema, t, is_key, hot_hash(schema, t, is_key));
  return e && e->rules ? e : NULL;
}

/* The body in @out (after @prefix_size bytes) rewritten by @e's rules in
 * one pass (kv_ruleset_rewrite()); false when they cannot run so, the
 * body left as it was. */
static bool rewrite_body(kavro_serializer_t *ser, kv_hot_t *e,
                         const kv_rule_call_t *call, kavro_buf_t *out,
                         size_t prefix_size) {
  if (!ser->rewritten && !(ser->rewritten = kavro_buf_new(0, 0)))
    return false;
  size_t size = out->length - prefix_size;
  if (!kv_ruleset_rewrite(e->rules, call, out->data + prefix_size, size,
                          ser->rewritten))
    return false;
  size_t n = kavro_buf_length(ser->rewritten);
  if (n > size && kv_buf_reserve(out, n - size) != KAVRO_OK)
    return false; /* the generic path says it does not fit */
  out->length = prefix_size;
  kv_put_bytes(out, kavro_buf_data(ser->rewritten), n);
  return true;
}

/* The domain rules over the body in @out (after @prefix_size bytes):
 * rewritten in one pass where they allow it, else read back into the
 * entry's value and written again when they transform. */
static kavro_err_t rules_on_body(kavro_serializer_t *ser, kv_hot_t *e,
                                 const kv_rule_call_t *call, kavro_buf_t *out,
                                 size_t prefix_size, kavro_error_t *error) {
  if (e->rewrites && rewrite_body(ser, e, call, out, prefix_size))
    return KAVRO_OK;
  if (!ser->decoder && !(ser->decoder = kavro_decoder_new(NULL)))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = hot_scratch(e, error);
  if (err == KAVRO_OK)
    err = kavro_decode(ser->decoder, e->schema, out->data + prefix_size,
                       out->length - prefix_size, &e->scratch, NULL, error);
  if (err == KAVRO_OK)
    err = kv_ruleset_run(e->rules, call, &e->scratch, error);
  if (err == KAVRO_OK && kv_ruleset_transforms(e->rules)) {
    out->length = prefix_size;
    err = kv_encode_node(out, e->schema->root, &e->scratch, 0, error);
  }
  return err;
}

/* The encoding rules over the body in @out, which their result
 * replaces. */
static kavro_err_t rules_on_payload(kavro_serializer_t *ser, kv_hot_t *e,
                                    const kv_rule_call_t *call,
                                    kavro_buf_t *out, size_t prefix_size,
                                    kavro_error_t *error) {
  for (int i = 0; i < 2; i++)
    if (!ser->payload[i] && !(ser->payload[i] = kavro_buf_new(0, 0)))
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  const unsigned char *body = out->data + prefix_size, *result;
  size_t size;
  kavro_err_t err = kv_ruleset_run_payload(e->rules, call, body,
                                           out->length - prefix_size,
                                           ser->payload, &result, &size,
                                           error);
  if (err != KAVRO_OK || result == body)
    return err;
  out->length = prefix_size;
  if ((err = kv_buf_reserve(out, size)) != KAVRO_OK)
    return kv_error_set(error, err, "the payload does not fit the buffer");
  kv_put_bytes(out, result, size);
  return KAVRO_OK;
}

kavro_err_t kv_serializer_rules_apply(kavro_serializer_t *ser,
                                      const void *entry, const char *topic,
                                      kavro_buf_t *out, size_t prefix_size,
                                      kavro_error_t *error) {
  kv_hot_t *e = (kv_hot_t *)entry;
  kv_rule_call_t call = {topic ? topic : "", e->is_key, NULL, 0, e->subject,
                         ser->record};
  kavro_err_t err = KAVRO_OK;
  if (kv_ruleset_domain(e->rules))
    err = rules_on_body(ser, e, &call, out, prefix_size, error);
  if (err == KAVRO_OK && kv_ruleset_encodes(e->rules))
    err = rules_on_payload(ser, e, &call, out, prefix_size, error);
  if (err != KAVRO_OK)
    out->length = 0;
  return err;
}

/* Frame @value into @out (emptied by the caller): the prefix, if the id
 * goes there, then the body; @*entryp gets the entry once known.  The
 * framing goes to @framing; a NULL @framing is a caller that cannot send
 * a header, refused when the id goes in one. */
static kavro_err_t frame_value(kavro_serializer_t *ser, const char *topic,
                               bool is_key, kavro_schema_t *schema,
                               const avro_value_t *value, kavro_buf_t *out,
                               kavro_serializer_framing_t *framing,
                               kv_hot_t **entryp, kavro_error_t *error) {
  kv_hot_t *e;
  kavro_err_t err = entry_for(ser, topic, is_key, schema, &e, error);
  if (err != KAVRO_OK)
    return err;
  *entryp = e;
  const kavro_serializer_framing_t *f = &e->framing;
  if (!framing && f->header_name)
    return kv_serializer_header_refused(is_key, error);
  /* Transforms run over the body, rewritten in one pass or read back
   * into the entry's own value, as typed records' do: the caller's value
   * stays as it was, and the warm path allocates nothing. */
  bool transforms = e->rules && kv_ruleset_transforms(e->rules);
  bool encodes = e->rules && kv_ruleset_encodes(e->rules);
  if (e->rules && !transforms && !encodes &&
      (err = run_conditions(ser, e, topic, is_key, value, error)) != KAVRO_OK)
    return err;
  err = kv_buf_reserve(out, f->prefix_size);
  if (err == KAVRO_OK) {
    if (f->prefix_size)
      kv_put_bytes(out, f->prefix, f->prefix_size);
    /* No error details on the way: clearing them costs as much as a small
     * record.  A failure is encoded again below for its message. */
    err = kv_encode_node(out, schema->root, value, 0, NULL);
  }
  if (err != KAVRO_OK) {
    out->length = 0;
    return explain_failure(schema, value, out, f->prefix_size, err, error);
  }
  if ((transforms || encodes) &&
      (err = kv_serializer_rules_apply(ser, e, topic, out, f->prefix_size,
                                       error)) != KAVRO_OK)
    return err;
  if (framing)
    *framing = *f;
  return KAVRO_OK;
}

/* frame_value(), counted: a message and its bytes in the topic's
 * counters, or a failure with its class and code.  A tombstone counts
 * nothing. */
static kavro_err_t frame_into(kavro_serializer_t *ser, const char *topic,
                              bool is_key, kavro_schema_t *schema,
                              const avro_value_t *value, kavro_buf_t *out,
                              kavro_serializer_framing_t *framing,
                              kavro_error_t *error) {
  out->length = 0;
  if (!value || !ser || !schema) {
    kv_framing_clear(framing);
    return value ? kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                                "serializer and schema are required")
                 : KAVRO_OK; /* a tombstone stays a NULL payload */
  }
  kv_hot_t *e = NULL;
  kavro_err_t err = frame_value(ser, topic, is_key, schema, value, out,
                                framing, &e, error);
  if (err == KAVRO_OK) {
    kv_serde_counted(&e->counters, out->length);
  } else {
    kv_framing_clear(framing);
    kv_serde_count_failure(KV_M_SERIALIZED, topic, err, error);
  }
  return err;
}

kavro_err_t kavro_serializer_serialize(kavro_serializer_t *ser,
                                       const char *topic, bool is_key,
                                       kavro_schema_t *schema,
                                       const struct avro_value *value,
                                       kavro_buf_t *out, kavro_error_t *error) {
  if (!out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no output buffer");
  return frame_into(ser, topic, is_key, schema, value, out, NULL, error);
}

kavro_err_t kavro_serializer_serialize_message(
    kavro_serializer_t *ser, const char *topic, bool is_key,
    kavro_schema_t *schema, const struct avro_value *value, kavro_buf_t *out,
    kavro_serializer_framing_t *framing, kavro_error_t *error) {
  if (!out || !framing)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "an output buffer and a framing are required");
  return frame_into(ser, topic, is_key, schema, value, out, framing, error);
}

kavro_err_t kavro_serializer_serialize_to(kavro_serializer_t *ser,
                                          const char *topic, bool is_key,
                                          kavro_schema_t *schema,
                                          const struct avro_value *value,
                                          void *dst, size_t size,
                                          size_t *written,
                                          kavro_error_t *error) {
  if (written)
    *written = 0;
  if (!dst && size)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "dst is NULL");
  kavro_buf_t buf = kv_buf_over(dst, size);
  kavro_err_t err =
      frame_into(ser, topic, is_key, schema, value, &buf, NULL, error);
  if (err == KAVRO_OK && written)
    *written = buf.length;
  return err;
}
