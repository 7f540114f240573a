/*
 * kavro - the deserializer: frame -> writer schema by id -> (resolution
 * plan ->) avro-c generic value; and the classes of errors that tell a
 * consumer whether to retry or skip.
 *
 * Per deserializer (one thread) it keeps: writer schemas by id (an
 * integer id or a GUID, looked up by the registry endpoint of its kind), one
 * reusable generic value per schema it decodes into, and the resolution
 * plans by (writer id, reader schema).  After the first message of a
 * writer id nothing is looked up in the registry unless the reader is the
 * subject's latest version (`use.latest.version`) or its latest with given
 * metadata (`use.latest.with.metadata`), which the registry client's cache
 * answers.  The rule set of the schema a message is read as (the reader
 * the registry chose, else the writer: Java's target) is compiled once per
 * schema (rules_int.h) and run over every message, or its refusal
 * reported; between a writer and a latest reader of other versions, the
 * migration rules of the versions between them run first.
 */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde_value_int.h"
#include "common_conf_int.h"
#include "config.h"
#include "common_error_int.h"
#include "common_context_int.h"
#include "serde_serializer_int.h"
#include "common_inline_int.h"
#include "rules_int.h"
#include "wire_int.h"

/* A writer schema by its id. */
typedef struct kv_writer_s {
  struct kv_writer_s *next;
  kavro_schema_id_t id;
  kavro_schema_t *schema;
  char *context; /* the context of a qualified subject; NULL: default */
  kv_ruleset_t *rules; /* its rules for reading; NULL: none */
} kv_writer_t;

/* The reader last chosen from the registry for a side (use.latest.version,
 * use.latest.with.metadata) and its rule set's verdict, judged once per
 * schema object the registry client's cache hands out. */
typedef struct kv_latest_s {
  kavro_schema_t *schema; /* a reference, or NULL */
  kv_ruleset_t *rules;    /* NULL: none */
  kavro_schema_info_t *info; /* its version, for migrations */
} kv_latest_t;

/* The migration from a writer to a latest reader, found once per pair
 * (the schemas are matched by address: the caches keep them). */
typedef struct kv_migrate_s {
  struct kv_migrate_s *next;
  const kavro_schema_t *writer;
  kavro_schema_t *reader; /* a reference */
  kv_migration_t *migration; /* NULL: none */
} kv_migrate_t;

/* What the message being read runs: the target's rules and a migration. */
typedef struct kv_pending_s {
  const kv_ruleset_t *rules;
  const kv_migration_t *migration;
} kv_pending_t;

/* A topic's counters, the one of the previous message first. */
typedef struct kv_topic_s {
  struct kv_topic_s *next;
  kv_serde_counters_t counters;
  char name[];
} kv_topic_t;

/* Topics a deserializer keeps counters for; messages of further topics
 * are counted only in the totals of kavro_deserializer_t-less failures. */
#define KV_TOPICS_MAX 1024

/* A reusable value to decode into, per schema object. */
typedef struct kv_slot_s {
  struct kv_slot_s *next;
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
} kv_slot_t;

/* How data of a writer id is read as a reader: a plan, or NULL when the
 * two are one schema (plain decoding). */
typedef struct kv_plan_s {
  struct kv_plan_s *next;
  kavro_schema_id_t writer_id;
  const kavro_schema_t *writer; /* ids repeat across contexts */
  const kavro_schema_t *reader;
  kavro_resolution_t *plan;
} kv_plan_t;

struct kavro_deserializer_s {
  kavro_registry_t *registry;
  kavro_conf_t *own_conf;
  const kavro_conf_t *conf;
  bool use_latest;
  int64_t use_schema_id;
  kavro_schema_t *readers[2]; /* [is_key], set by the caller */
  kv_namer_t namers[2];
  kv_metadata_want_t metadata; /* use.latest.with.metadata */
  kv_latest_t latest[2];       /* [is_key] */
  kv_rules_t *rules;           /* the conf's executors and actions */
  kv_migrate_t *migrations;
  kv_pending_t pending;        /* set by unframe() */
  kavro_buf_t *body;           /* typed records through rules */
  kavro_buf_t *payload[2];     /* encoding rules' results */
  kavro_decoder_t *decoder;
  kv_writer_t *writers;
  kv_writer_t *last_writer; /* the previous message's: tried first */
  kv_slot_t *slots;
  kv_plan_t *plans;
  kv_topic_t *topics; /* the previous message's first */
  size_t topic_count;
  kavro_record_t *record; /* kavro_deserializer_set_record(): the rules' */
  /* Completes @record before rules see it (kv_deserializer_set_record_
   * loader()); NULL: nothing to complete, or done. */
  kv_record_loader_t load_record;
  void *load_ctx;
  /* [is_key]: a schema-id header is read before the prefix (`dual`), or
   * never (`prefix`): `key.`/`value.schema.id.deserializer`. */
  bool id_headers[2];
  char context[KAVRO_SUBJECT_MAX]; /* id_subject()'s, when it names one */
};

/* ---- error classes ------------------------------------------------------- */

kavro_error_class_t kavro_error_classify(const kavro_error_t *error) {
  if (!error || error->code == KAVRO_OK)
    return KAVRO_ERROR_CLASS_NONE;
  if (kavro_error_is_retriable(error))
    return KAVRO_ERROR_CLASS_TRANSIENT;
  /* Refused credentials are this process's to fix: skipping the message
   * would lose it, and retrying as is fails again. */
  if (error->http_status == 401 || error->http_status == 403)
    return KAVRO_ERROR_CLASS_LOCAL;
  /* KAVRO_ERR_RULE, a business rule the message breaks, is permanent: it
   * goes to the dead-letter queue at once. */
  switch (error->code) {
  case KAVRO_ERR_NOMEM:
  case KAVRO_ERR_INVALID_ARG:
  case KAVRO_ERR_IO:
  case KAVRO_ERR_CONF_UNKNOWN:
  case KAVRO_ERR_CONF_INVALID:
  case KAVRO_ERR_AVRO_C:
  case KAVRO_ERR_UNSUPPORTED:
    return KAVRO_ERROR_CLASS_LOCAL;
  default:
    return KAVRO_ERROR_CLASS_PERMANENT;
  }
}

/* ---- metrics --------------------------------------------------------------- */

void kv_serde_counters_init(kv_serde_counters_t *counters, kv_metric_id_t id,
                            const char *topic) {
  const char *t = topic ? topic : "";
  counters->ok = kv_metric_stripes(kv_metric(id, t, "ok"));
  counters->bytes = kv_metric_stripes(kv_metric(id + 1, t));
}

void kv_serde_count_failure(kv_metric_id_t id, const char *topic,
                            kavro_err_t err, const kavro_error_t *error) {
  kv_metric_inc(kv_metric(id, topic ? topic : "", "error"));
  /* Without details (the caller asked for none) the class follows from
   * the code alone. */
  kavro_error_t bare;
  if (!error || error->code != err) {
    kv_error_clear(&bare);
    bare.code = err;
    error = &bare;
  }
  kv_metric_error(id == KV_M_SERIALIZED ? "serialize" : "deserialize",
                  kavro_error_class_name(kavro_error_classify(error)), err);
}

/* The counters of topic @t when it is not the previous message's: found
 * (and moved to the front) or made. */
static const kv_serde_counters_t *
other_topic_counters(kavro_deserializer_t *des, const char *t) {
  kv_topic_t **link = &des->topics;
  while (*link && strcmp((*link)->name, t) != 0)
    link = &(*link)->next;
  kv_topic_t *found = *link;
  if (found) {
    *link = found->next;
  } else {
    size_t size = strlen(t) + 1;
    if (des->topic_count >= KV_TOPICS_MAX ||
        !(found = malloc(sizeof(*found) + size)))
      return NULL;
    memcpy(found->name, t, size);
    kv_serde_counters_init(&found->counters, KV_M_DESERIALIZED, t);
    des->topic_count++;
  }
  found->next = des->topics;
  des->topics = found;
  return &found->counters;
}

/* The counters of @topic: a run of messages of one topic costs one
 * comparison each. */
static inline const kv_serde_counters_t *
topic_counters(kavro_deserializer_t *des, const char *topic) {
  const char *t = topic ? topic : "";
  const kv_topic_t *first = des->topics;
  if (first && strcmp(first->name, t) == 0)
    return &first->counters;
  return other_topic_counters(des, t);
}

/* @err's message of @size bytes counted for @topic.  Returns @err. */
static inline kavro_err_t counted(kavro_deserializer_t *des, const char *topic,
                           size_t size, kavro_err_t err,
                           const kavro_error_t *error) {
  if (err != KAVRO_OK) {
    kv_serde_count_failure(KV_M_DESERIALIZED, topic, err, error);
    return err;
  }
  const kv_serde_counters_t *counters = topic_counters(des, topic);
  if (counters)
    kv_serde_counted(counters, size);
  return err;
}

const char *kavro_error_class_name(kavro_error_class_t cls) {
  switch (cls) {
  case KAVRO_ERROR_CLASS_NONE:
    return "none";
  case KAVRO_ERROR_CLASS_TRANSIENT:
    return "transient";
  case KAVRO_ERROR_CLASS_PERMANENT:
    return "permanent";
  case KAVRO_ERROR_CLASS_LOCAL:
    return "local";
  }
  return "unknown";
}

/* ---- life cycle ---------------------------------------------------------- */

kavro_deserializer_t *kavro_deserializer_new(kavro_registry_t *registry,
                                             const kavro_conf_t *conf,
                                             const kavro_decode_limits_t *limits,
                                             kavro_error_t *error) {
  kv_error_clear(error);
  if (!registry) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no registry client");
    return NULL;
  }
  kavro_deserializer_t *des = calloc(1, sizeof(*des));
  if (!des || !(des->decoder = kavro_decoder_new(limits)) ||
      (conf && !(des->own_conf = kavro_conf_dup(conf)))) {
    kavro_deserializer_destroy(des);
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  des->registry = registry;
  des->conf = conf ? des->own_conf : kavro_registry_conf(registry);
  des->use_latest = kv_conf_bool(des->conf, "use.latest.version");
  des->use_schema_id = kv_conf_int(des->conf, "use.schema.id");
  if (!(des->rules = kv_rules_new(des->conf, des->registry, error)) ||
      kv_metadata_want_init(&des->metadata, des->conf, error) != KAVRO_OK) {
    kavro_deserializer_destroy(des);
    return NULL;
  }
  for (int side = 0; side < 2; side++) {
    if (kv_namer_init(&des->namers[side], des->conf, side, error) != KAVRO_OK) {
      kavro_deserializer_destroy(des);
      return NULL;
    }
    kv_namer_attach(&des->namers[side], registry);
    des->id_headers[side] =
        strcmp(kv_conf_str(des->conf, side ? "key.schema.id.deserializer"
                                           : "value.schema.id.deserializer"),
               "prefix") != 0;
  }
  return des;
}

static void plans_free(kavro_deserializer_t *des) {
  for (kv_plan_t *p = des->plans, *next; p; p = next) {
    next = p->next;
    kavro_resolution_destroy(p->plan);
    free(p);
  }
  des->plans = NULL;
}

void kavro_deserializer_destroy(kavro_deserializer_t *des) {
  if (!des)
    return;
  plans_free(des);
  for (kv_slot_t *s = des->slots, *next; s; s = next) {
    next = s->next;
    avro_value_decref(&s->value);
    avro_value_iface_decref(s->iface);
    avro_schema_decref(s->avro);
    kavro_schema_destroy(s->schema);
    free(s);
  }
  for (kv_writer_t *w = des->writers, *next; w; w = next) {
    next = w->next;
    kavro_schema_destroy(w->schema);
    free(w->context);
    kv_ruleset_destroy(w->rules);
    free(w);
  }
  for (kv_topic_t *t = des->topics, *next; t; t = next) {
    next = t->next;
    free(t);
  }
  for (kv_migrate_t *m = des->migrations, *next; m; m = next) {
    next = m->next;
    kavro_schema_destroy(m->reader);
    kv_migration_destroy(m->migration);
    free(m);
  }
  for (int side = 0; side < 2; side++) {
    kavro_schema_destroy(des->latest[side].schema);
    kv_ruleset_destroy(des->latest[side].rules);
    kavro_schema_info_destroy(des->latest[side].info);
  }
  kv_rules_destroy(des->rules);
  kavro_buf_destroy(des->body);
  kavro_buf_destroy(des->payload[0]);
  kavro_buf_destroy(des->payload[1]);
  kv_metadata_want_clear(&des->metadata);
  kv_namer_clear(&des->namers[0]);
  kv_namer_clear(&des->namers[1]);
  kavro_schema_destroy(des->readers[0]);
  kavro_schema_destroy(des->readers[1]);
  kavro_decoder_destroy(des->decoder);
  kavro_conf_destroy(des->own_conf);
  free(des);
}

void kavro_deserializer_set_reader(kavro_deserializer_t *des, bool is_key,
                                   kavro_schema_t *reader) {
  if (!des)
    return;
  kavro_schema_t *old = des->readers[is_key];
  des->readers[is_key] = kavro_schema_dup(reader);
  /* Plans are keyed by the reader's address: drop those of the old one
   * before its address can be reused. */
  if (old)
    plans_free(des);
  kavro_schema_destroy(old);
}

void kavro_deserializer_set_subject_name_cb(kavro_deserializer_t *des,
                                            bool is_key,
                                            kavro_subject_name_cb_t cb,
                                            void *opaque) {
  if (des)
    kv_namer_set_cb(&des->namers[is_key], des->conf, is_key, cb, opaque);
}

void kavro_deserializer_set_record(kavro_deserializer_t *des,
                                   kavro_record_t *record) {
  if (!des)
    return;
  des->record = record;
  des->load_record = NULL;
}

void kv_deserializer_set_record_loader(kavro_deserializer_t *des,
                                       kv_record_loader_t load, void *ctx) {
  des->load_record = load;
  des->load_ctx = ctx;
}

bool kv_deserializer_reads_id_headers(const kavro_deserializer_t *des,
                                      bool is_key) {
  return des->id_headers[is_key];
}

/* The record complete before the rules see it: its loader run, once. */
static kavro_err_t rules_record(kavro_deserializer_t *des,
                                kavro_error_t *error) {
  kv_record_loader_t load = des->load_record;
  des->load_record = NULL;
  return load ? load(des->load_ctx, error) : KAVRO_OK;
}

void kavro_deserializer_set_context_name_cb(kavro_deserializer_t *des,
                                            kavro_context_name_cb_t cb,
                                            void *opaque) {
  for (int side = 0; des && side < 2; side++) {
    des->namers[side].context_cb = cb;
    des->namers[side].context_opaque = opaque;
  }
}

/* ---- caches ---------------------------------------------------------------- */

/* kavro_schema_id_equal() without a call for integer ids. */
static inline bool same_id(const kavro_schema_id_t *a,
                           const kavro_schema_id_t *b) {
  if (a->kind == KAVRO_SCHEMA_ID_INT && b->kind == KAVRO_SCHEMA_ID_INT)
    return a->id == b->id;
  return kavro_schema_id_equal(a, b);
}

/* Whether @w is the writer @id names in the context of @subject. */
static inline bool writer_is(const kv_writer_t *w, const kavro_schema_id_t *id,
                             const char *subject) {
  if (!same_id(&w->id, id))
    return false;
  if (id->kind == KAVRO_SCHEMA_ID_GUID || !subject)
    return !w->context;
  kv_subject_parts_t parts;
  kv_subject_split(subject, &parts);
  return w->context && strlen(w->context) == parts.context_length &&
         memcmp(w->context, parts.context, parts.context_length) == 0;
}

/* Compile the rule set of @info for reading (@what names the schema,
 * @subject the subject its rules see). */
static kavro_err_t compile_read(kavro_deserializer_t *des,
                                const kavro_schema_info_t *info,
                                const char *subject, const char *what,
                                kv_ruleset_t **rulesp, kavro_error_t *error) {
  return kv_ruleset_compile(des->rules, info, subject ? subject : "",
                            KV_RULE_READ, what, rulesp, error);
}

/* The registry's schema and contract for the writer id @id: an integer id
 * (asked under @subject, which names its context) or a GUID. */
static kavro_err_t writer_info(kavro_deserializer_t *des,
                               const kavro_schema_id_t *id,
                               const char *subject,
                               kavro_schema_info_t **infop,
                               kavro_error_t *error) {
  return id->kind == KAVRO_SCHEMA_ID_GUID
             ? kavro_registry_schema_info_by_guid(des->registry, id->guid,
                                                  infop, error)
             : kavro_registry_schema_info_by_id(des->registry, id->id,
                                                subject, infop, error);
}

/* The writer of @id in the context of @subject (NULL: the default
 * context): kept, else from the registry (whose own cache comes first),
 * with its rule set compiled for reading once.  Kept writers live as long
 * as the deserializer. */
static kavro_err_t writer_entry(kavro_deserializer_t *des,
                                const kavro_schema_id_t *id,
                                const char *subject, kv_writer_t **wp,
                                kavro_error_t *error) {
  for (kv_writer_t *w = des->writers; w; w = w->next)
    if (writer_is(w, id, subject)) {
      *wp = w;
      return KAVRO_OK;
    }
  if (id->kind == KAVRO_SCHEMA_ID_INT && id->id <= 0)
    return kv_error_set(error, KAVRO_ERR_SCHEMA_NOT_FOUND,
                        "schema id %ld is not a registry id", (long)id->id);
  kv_writer_t *w = calloc(1, sizeof(*w));
  if (!w)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_schema_info_t *info = NULL;
  kavro_err_t err = writer_info(des, id, subject, &info, error);
  if (err == KAVRO_OK && id->kind == KAVRO_SCHEMA_ID_INT && subject) {
    kv_subject_parts_t parts;
    kv_subject_split(subject, &parts);
    if (!(w->context = strndup(parts.context, parts.context_length)))
      err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  if (err == KAVRO_OK) {
    char text[KAVRO_SCHEMA_ID_STRING_SIZE], what[64];
    snprintf(what, sizeof(what), "schema %s",
             kavro_schema_id_format(id, text, sizeof(text)));
    err = compile_read(des, info, subject, what, &w->rules, error);
  }
  if (err != KAVRO_OK) {
    kavro_schema_info_destroy(info);
    free(w->context);
    free(w);
    return err;
  }
  w->schema = kavro_schema_dup(kavro_schema_info_schema(info));
  kavro_schema_info_destroy(info);
  w->id = *id;
  w->next = des->writers;
  des->writers = w;
  *wp = w;
  return KAVRO_OK;
}

/* writer_entry()'s schema in *@schemap and rule set in *@rulesp. */
static kavro_err_t writer_for(kavro_deserializer_t *des,
                              const kavro_schema_id_t *id, const char *subject,
                              kavro_schema_t **schemap,
                              const kv_ruleset_t **rulesp,
                              kavro_error_t *error) {
  kv_writer_t *w;
  kavro_err_t err = writer_entry(des, id, subject, &w, error);
  if (err == KAVRO_OK) {
    *schemap = w->schema;
    *rulesp = w->rules;
  }
  return err;
}

/* The writer of a message: mostly the previous message's, found without
 * a walk.  Writers are never let go before the deserializer, so the one
 * remembered is always alive. */
static inline kavro_err_t message_writer(kavro_deserializer_t *des,
                                         const kavro_schema_id_t *id,
                                         const char *subject,
                                         const kv_writer_t **wp,
                                         kavro_error_t *error) {
  kv_writer_t *w = des->last_writer;
  if (w && writer_is(w, id, subject)) {
    *wp = w;
    return KAVRO_OK;
  }
  kavro_err_t err = writer_entry(des, id, subject, &w, error);
  if (err == KAVRO_OK)
    *wp = des->last_writer = w;
  return err;
}

/* The reusable value of @schema, made at its first use. */
static kavro_err_t slot_for(kavro_deserializer_t *des, kavro_schema_t *schema,
                            kv_slot_t **slotp, kavro_error_t *error) {
  for (kv_slot_t *s = des->slots; s; s = s->next)
    if (s->schema == schema) {
      *slotp = s;
      return KAVRO_OK;
    }
  kv_slot_t *s = calloc(1, sizeof(*s));
  if (!s)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = kavro_schema_to_avro(schema, &s->avro, error);
  if (err != KAVRO_OK) {
    free(s);
    return err;
  }
  if (!(s->iface = avro_generic_class_from_schema(s->avro)) ||
      avro_generic_value_new(s->iface, &s->value) != 0) {
    avro_value_iface_decref(s->iface);
    avro_schema_decref(s->avro);
    free(s);
    return kv_error_set(error, KAVRO_ERR_AVRO_C, "avro-c: %s", avro_strerror());
  }
  s->schema = kavro_schema_dup(schema);
  s->next = des->slots;
  des->slots = s;
  *slotp = s;
  return KAVRO_OK;
}

/* The plan from writer @id to @reader (NULL: the same schema), built once.
 * The plan keeps its own references to both schemas. */
static kavro_err_t plan_for(kavro_deserializer_t *des,
                            const kavro_schema_id_t *id, kavro_schema_t *writer,
                            kavro_schema_t *reader, kavro_resolution_t **planp,
                            kavro_error_t *error) {
  for (kv_plan_t *p = des->plans; p; p = p->next)
    if (kavro_schema_id_equal(&p->writer_id, id) && p->writer == writer &&
        p->reader == reader) {
      *planp = p->plan;
      return KAVRO_OK;
    }
  kv_plan_t *p = calloc(1, sizeof(*p));
  if (!p)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  if (strcmp(kavro_schema_canonical(writer), kavro_schema_canonical(reader))) {
    kavro_err_t err = kavro_resolution_new(writer, reader, &p->plan, error);
    if (err != KAVRO_OK) {
      free(p);
      return err;
    }
  }
  p->writer_id = *id;
  p->writer = writer;
  p->reader = reader;
  p->next = des->plans;
  des->plans = p;
  *planp = p->plan;
  return KAVRO_OK;
}

/* Keep @info, the side's reader from the registry, with its rules
 * compiled, unless it is the schema kept last time. */
static kavro_err_t keep_latest(kavro_deserializer_t *des, kv_latest_t *latest,
                               kavro_schema_info_t **infop,
                               const char *subject, kavro_error_t *error) {
  kavro_schema_info_t *info = *infop;
  kavro_schema_t *schema = kavro_schema_info_schema(info);
  if (latest->schema == schema)
    return KAVRO_OK;
  char what[KAVRO_ERROR_SOURCE_LENGTH];
  snprintf(what, sizeof(what), "schema id %d of subject %.180s",
           (int)kavro_schema_info_id(info), subject);
  kv_ruleset_t *rules;
  kavro_err_t err = compile_read(des, info, subject, what, &rules, error);
  if (err != KAVRO_OK)
    return err;
  kavro_schema_destroy(latest->schema);
  kv_ruleset_destroy(latest->rules);
  kavro_schema_info_destroy(latest->info);
  latest->schema = kavro_schema_dup(schema);
  latest->rules = rules;
  latest->info = info;
  *infop = NULL;
  return KAVRO_OK;
}

/* The reader the registry chooses for @subject: the latest version with
 * the metadata (use.latest.with.metadata, first, as in Java) or the latest
 * version.  Both come from the registry client's cache on the warm path;
 * the rules are judged again only when the schema changed. */
static kavro_err_t latest_reader(kavro_deserializer_t *des, bool is_key,
                                 const char *subject, kavro_schema_t **readerp,
                                 kavro_error_t *error) {
  kv_latest_t *latest = &des->latest[is_key];
  kavro_schema_info_t *info = NULL;
  kavro_schema_t *schema = NULL;
  kavro_err_t err =
      des->metadata.count
          ? kv_metadata_latest(des->registry, &des->metadata, subject,
                               &schema, NULL, error)
          : kavro_registry_get_version(des->registry, subject,
                                       KAVRO_REGISTRY_LATEST, &schema, NULL,
                                       NULL, error);
  if (err == KAVRO_OK && schema == latest->schema) {
    *readerp = schema; /* compiled: no copy of the contract needed */
    des->pending.rules = latest->rules;
    return KAVRO_OK;
  }
  kavro_schema_destroy(schema);
  if (err != KAVRO_OK)
    return err;
  /* A new latest version (or the first): its contract, to judge. */
  err = des->metadata.count
            ? kv_metadata_latest(des->registry, &des->metadata, subject, NULL,
                                 &info, error)
            : kavro_registry_version_info(des->registry, subject,
                                          KAVRO_REGISTRY_LATEST, &info, error);
  if (err == KAVRO_OK)
    err = keep_latest(des, latest, &info, subject, error);
  if (err == KAVRO_OK) {
    *readerp = kavro_schema_dup(latest->schema);
    des->pending.rules = latest->rules;
  }
  kavro_schema_info_destroy(info);
  return err;
}

/* The migration from @writer to the side's latest reader, found once per
 * pair.  A writer that is no version of @subject has none. */
static kavro_err_t migration_for(kavro_deserializer_t *des, bool is_key,
                                 const char *subject,
                                 const kavro_schema_id_t *id,
                                 kavro_schema_t *writer,
                                 kavro_error_t *error) {
  kv_latest_t *latest = &des->latest[is_key];
  if (!latest->info ||
      strcmp(kavro_schema_canonical(writer),
             kavro_schema_canonical(latest->schema)) == 0)
    return KAVRO_OK;
  for (kv_migrate_t *m = des->migrations; m; m = m->next)
    if (m->writer == writer && m->reader == latest->schema) {
      des->pending.migration = m->migration;
      return KAVRO_OK;
    }
  kv_migrate_t *m = calloc(1, sizeof(*m));
  if (!m)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_schema_info_t *info = NULL;
  kavro_err_t err = writer_info(des, id, subject, &info, error);
  if (err == KAVRO_OK)
    err = kv_migration_new(des->rules, des->registry, subject, info,
                           latest->info, &m->migration, error);
  kavro_schema_info_destroy(info);
  /* A writer that is no version of the subject (registered elsewhere,
   * or with other metadata) has no path of versions to migrate along. */
  if (kv_registry_absent(err) || err == KAVRO_ERR_SCHEMA_NOT_FOUND) {
    kv_error_clear(error);
    err = KAVRO_OK;
  }
  if (err != KAVRO_OK) {
    free(m);
    return err;
  }
  m->writer = writer;
  m->reader = kavro_schema_dup(latest->schema);
  m->next = des->migrations;
  des->migrations = m;
  des->pending.migration = m->migration;
  return KAVRO_OK;
}

/* reader_for() when the registry chooses the reader: the schema of
 * use.schema.id, or the subject's latest (with metadata). */
static KV_NOINLINE kavro_err_t
registry_reader(kavro_deserializer_t *des, const char *topic, bool is_key,
                const kavro_schema_id_t *id, kavro_schema_t *writer,
                kavro_schema_t **readerp, kavro_error_t *error) {
  if (des->use_schema_id >= 0) {
    kavro_schema_t *schema;
    kavro_schema_id_t pinned =
        kavro_schema_id_int((int32_t)des->use_schema_id);
    kavro_err_t err =
        writer_for(des, &pinned, NULL, &schema, &des->pending.rules, error);
    if (err == KAVRO_OK)
      *readerp = kavro_schema_dup(schema);
    return err;
  }
  char subject[KAVRO_SUBJECT_MAX];
  kavro_err_t err = kv_namer_subject(&des->namers[is_key], topic, is_key,
                                     writer, subject, error);
  if (err == KAVRO_OK)
    err = latest_reader(des, is_key, subject, readerp, error);
  if (err == KAVRO_OK)
    err = migration_for(des, is_key, subject, id, writer, error);
  return err;
}

/* The reader that applies, or NULL: read with the writer schema.  A
 * reference is stored in @*readerp (the caller destroys it). */
static inline kavro_err_t reader_for(kavro_deserializer_t *des,
                                     const char *topic, bool is_key,
                                     const kavro_schema_id_t *id,
                                     kavro_schema_t *writer,
                                     kavro_schema_t **readerp,
                                     kavro_error_t *error) {
  *readerp = NULL;
  if (des->readers[is_key]) {
    *readerp = kavro_schema_dup(des->readers[is_key]);
    return KAVRO_OK;
  }
  if (des->use_schema_id < 0 && !des->use_latest && !des->metadata.count)
    return KAVRO_OK;
  return registry_reader(des, topic, is_key, id, writer, readerp, error);
}

/* id_subject() when the namer has no subject to give again: named anew,
 * or only its context when the strategy depends on the schema.  The hint
 * points into the namer or the deserializer. */
static KV_NOINLINE kavro_err_t
id_subject_named(kavro_deserializer_t *des, kv_namer_t *namer,
                 const char *topic, bool is_key, const char **hintp,
                 kavro_error_t *error) {
  if (!kv_namer_uses_schema(namer)) {
    const char *subject;
    bool in_context;
    kavro_err_t err = kv_namer_topic_subject(namer, topic, is_key, &subject,
                                             &in_context, error);
    if (err == KAVRO_OK && in_context)
      *hintp = subject;
    return err;
  }
  kavro_err_t err = kv_namer_context(namer, topic, des->context, error);
  if (err == KAVRO_OK && kv_subject_in_context(des->context))
    *hintp = des->context;
  return err;
}

/* The subject in whose context the writer's id is looked up, as Java's
 * deserializer names it: the subject when the strategy does not depend on
 * the schema, else its context alone; *@hintp NULL for the default
 * context (an unqualified subject, or no topic).  Only a context callback
 * or AssociatedNameStrategy can name another context.  A run of messages
 * of one topic gets the subject the namer remembers (kv_namer_recent()). */
static inline kavro_err_t id_subject(kavro_deserializer_t *des,
                                     const char *topic, bool is_key,
                                     const char **hintp,
                                     kavro_error_t *error) {
  kv_namer_t *namer = &des->namers[is_key];
  *hintp = NULL;
  if (!topic || !*topic ||
      (!namer->context_cb && namer->strategy != KAVRO_SUBJECT_ASSOCIATED))
    return KAVRO_OK;
  const kv_namer_recent_t *recent =
      kv_namer_uses_schema(namer) ? NULL
                                  : kv_namer_recent(namer, topic, is_key);
  if (!recent)
    return id_subject_named(des, namer, topic, is_key, hintp, error);
  if (recent->in_context)
    *hintp = recent->subject;
  return KAVRO_OK;
}

/* The subject the rules of a message see (Java's: the one the strategy
 * names).  A caller that names no topic (a program decoding frames alone)
 * may have a strategy that needs one: the rules then see the subject
 * their rule set was compiled under. */
static kavro_err_t rules_subject(kavro_deserializer_t *des, const char *topic,
                                 bool is_key, const kavro_schema_t *writer,
                                 char *subject, kavro_error_t *error) {
  kavro_err_t err = kv_namer_subject(&des->namers[is_key], topic, is_key,
                                     writer, subject, error);
  if (err != KAVRO_OK && (!topic || !*topic)) {
    subject[0] = '\0';
    kv_error_clear(error);
    return KAVRO_OK;
  }
  return err;
}

/* ---- decoding ---------------------------------------------------------------- */

/* Unframe @payload and find its writer schema and the reader that
 * applies: the part of deserializing every decoder shares, typed records'
 * included.  @out->reader is a reference for the caller. */
static KV_ALWAYS_INLINE kavro_err_t
unframe(kavro_deserializer_t *des, const char *topic, bool is_key,
        const void *header_value, size_t header_size, const void *payload,
        size_t size, kavro_deserializer_frame_t *out, kavro_error_t *error) {
  memset(out, 0, sizeof(*out));
  kavro_wire_frame_t frame;
  kavro_err_t err = KAVRO_OK;
  if (!des->id_headers[is_key])
    header_value = NULL; /* `prefix`: the id is in the prefix or nowhere */
  /* The commonest frame is read in place; kavro_wire_unframe_dual()
   * judges the others. */
  kv_error_clear(error);
  if (header_value || !kv_wire_unframe_int_prefix(payload, size, &frame))
    err = kavro_wire_unframe_dual(header_value, header_size, payload, size,
                                  &frame, error);
  if (err != KAVRO_OK)
    return err;
  out->writer_id = frame.id;
  out->format = frame.format;
  const char *hint = NULL;
  err = id_subject(des, topic, is_key, &hint, error);
  if (err != KAVRO_OK)
    return err;
  const kv_writer_t *w;
  memset(&des->pending, 0, sizeof(des->pending));
  err = message_writer(des, &frame.id, hint, &w, error);
  if (err != KAVRO_OK)
    return err;
  des->pending.rules = w->rules;
  err = reader_for(des, topic, is_key, &frame.id, w->schema, &out->reader,
                   error);
  if (err != KAVRO_OK)
    return err;
  out->writer = w->schema;
  out->body = frame.body;
  out->body_size = frame.body_size;
  return KAVRO_OK;
}

/* Decode the body @f locates into the slot of @target, through @plan
 * when not NULL; with @consumed, bytes may follow the datum. */
static kavro_err_t decode_into(kavro_deserializer_t *des,
                               kavro_schema_t *writer, kavro_schema_t *target,
                               kavro_resolution_t *plan, const void *body,
                               size_t body_size, kv_slot_t **slotp,
                               size_t *consumed, kavro_error_t *error) {
  kavro_err_t err = slot_for(des, target, slotp, error);
  if (err == KAVRO_OK)
    err = plan ? kavro_decode_resolved(des->decoder, plan, body, body_size,
                                       &(*slotp)->value, consumed, error)
               : kavro_decode(des->decoder, writer, body, body_size,
                              &(*slotp)->value, consumed, error);
  return err;
}

/* The buffer typed records and rules re-encode into, made at first use. */
static kavro_err_t body_buf(kavro_deserializer_t *des, kavro_error_t *error) {
  if (!des->body && !(des->body = kavro_buf_new(0, 0)))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_buf_reset(des->body);
  return KAVRO_OK;
}

/* A migration (kv_migration_run()): the writer's value, as JSON, through
 * the migration rules, read back as the reader's. */
static kavro_err_t decode_migrated(kavro_deserializer_t *des,
                                   const kavro_deserializer_frame_t *f,
                                   const kv_rule_call_t *call,
                                   kv_slot_t **slotp, size_t *consumed,
                                   kavro_error_t *error) {
  kavro_schema_t *writer = (kavro_schema_t *)f->writer;
  kv_slot_t *ws;
  kavro_err_t err = decode_into(des, writer, writer, NULL, f->body,
                                f->body_size, &ws, consumed, error);
  if (err != KAVRO_OK)
    return err;
  char *json = kavro_value_to_json(writer, &ws->value, KAVRO_DATUM_JSON_AVRO,
                                   error);
  if (!json)
    return error ? error->code : KAVRO_ERR_ENCODE;
  err = kv_migration_run(des->pending.migration, call, &json, error);
  if (err == KAVRO_OK)
    err = slot_for(des, f->reader, slotp, error);
  if (err == KAVRO_OK)
    err = kavro_value_from_json(f->reader, json, strlen(json),
                                &(*slotp)->value, error);
  free(json);
  return err;
}

/* Rules of the writer and a reader the caller set (no registry reader):
 * the rules run over the writer's value, which is then encoded and read
 * as the reader. */
static kavro_err_t decode_detour(kavro_deserializer_t *des,
                                 const kavro_deserializer_frame_t *f,
                                 kavro_resolution_t *plan,
                                 const kv_rule_call_t *call, kv_slot_t **slotp,
                                 size_t *consumed, kavro_error_t *error) {
  kavro_schema_t *writer = (kavro_schema_t *)f->writer;
  kv_slot_t *ws;
  kavro_err_t err = decode_into(des, writer, writer, NULL, f->body,
                                f->body_size, &ws, consumed, error);
  if (err == KAVRO_OK)
    err = kv_ruleset_run(des->pending.rules, call, &ws->value, error);
  if (err == KAVRO_OK)
    err = body_buf(des, error);
  if (err == KAVRO_OK)
    err = kavro_encode(writer, &ws->value, des->body, error);
  if (err == KAVRO_OK)
    err = decode_into(des, writer, f->reader, plan, kavro_buf_data(des->body),
                      kavro_buf_length(des->body), slotp, NULL, error);
  return err;
}

/* The body of @f as the writer's encoding rules give it back (in reverse
 * order: a decryption), in @g, a copy of @f. */
static kavro_err_t open_payload(kavro_deserializer_t *des,
                                const kavro_deserializer_frame_t *f,
                                const kv_rule_call_t *call,
                                kavro_deserializer_frame_t *g,
                                kavro_error_t *error) {
  for (int i = 0; i < 2; i++)
    if (!des->payload[i] && !(des->payload[i] = kavro_buf_new(0, 0)))
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  *g = *f;
  const unsigned char *body;
  kavro_err_t err = kv_ruleset_run_payload(des->pending.rules, call, f->body,
                                           f->body_size, des->payload, &body,
                                           &g->body_size, error);
  g->body = body;
  return err;
}

/* Decode the body @f locates and run the rules of the schema it is read
 * as; with @consumed, bytes may follow the datum. */
static kavro_err_t decode_body(kavro_deserializer_t *des,
                               const kavro_deserializer_frame_t *f,
                               const kv_rule_call_t *call,
                               kavro_deserialized_t *out, size_t *consumed,
                               kavro_error_t *error) {
  /* The writer table owns the writer: the cast gives the caches the
   * non-const schema they key on. */
  kavro_schema_t *writer = (kavro_schema_t *)f->writer;
  kavro_resolution_t *plan = NULL;
  kavro_err_t err = KAVRO_OK;
  kavro_deserializer_frame_t opened;
  if (kv_ruleset_encodes(des->pending.rules)) {
    /* The whole payload is what the encoding rules wrote. */
    if ((err = open_payload(des, f, call, &opened, error)) != KAVRO_OK)
      return err;
    if (consumed)
      *consumed = f->body_size;
    consumed = NULL;
    f = &opened;
  }
  bool migrates = des->pending.migration && f->reader;
  /* A migration reads the writer as it is and the result as the reader:
   * no resolution between the two, which it may not allow. */
  if (f->reader && !migrates)
    err = plan_for(des, &f->writer_id, writer, f->reader, &plan, error);
  kavro_schema_t *target = plan ? f->reader : writer;
  const kv_ruleset_t *rules = des->pending.rules;
  kv_slot_t *slot = NULL;
  if (err != KAVRO_OK)
    return err;
  if (migrates) {
    err = decode_migrated(des, f, call, &slot, consumed, error);
    target = f->reader;
  } else if (rules && kv_ruleset_schema(rules) != target && plan) {
    err = decode_detour(des, f, plan, call, &slot, consumed, error);
    rules = NULL; /* ran */
  } else {
    err = decode_into(des, writer, target, plan, f->body, f->body_size, &slot,
                      consumed, error);
  }
  if (err == KAVRO_OK && rules)
    err = kv_ruleset_run(rules, call, &slot->value, error);
  if (err != KAVRO_OK)
    return err;
  out->value = &slot->value;
  out->schema = slot->schema;
  out->writer = writer;
  out->resolved = plan != NULL || target != writer;
  return KAVRO_OK;
}

/* Whether the message unframe() found has rules or a migration to run. */
static bool pending_work(const kavro_deserializer_t *des) {
  return des->pending.rules || des->pending.migration;
}

/* Unframe (@header_value NULL: from the prefix) and decode. */
static kavro_err_t deserialize(kavro_deserializer_t *des, const char *topic,
                               bool is_key, const void *header_value,
                               size_t header_size, const void *payload,
                               size_t size, kavro_deserialized_t *out,
                               size_t *consumed, kavro_error_t *error) {
  if (out)
    memset(out, 0, sizeof(*out));
  if (!des || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "deserializer and out are required");
  if (!payload)
    return KAVRO_OK; /* a tombstone */
  kavro_deserializer_frame_t f;
  kavro_err_t err = unframe(des, topic, is_key, header_value, header_size,
                            payload, size, &f, error);
  out->writer_id = f.writer_id;
  out->format = f.format;
  char subject[KAVRO_SUBJECT_MAX] = "";
  if (err == KAVRO_OK && pending_work(des))
    err = rules_subject(des, topic, is_key, f.writer, subject, error);
  if (err == KAVRO_OK && pending_work(des))
    err = rules_record(des, error);
  kv_rule_call_t call = {topic ? topic : "", is_key, payload, size, subject,
                         des->record};
  if (err == KAVRO_OK)
    err = decode_body(des, &f, &call, out, consumed, error);
  /* The slot and the writer table hold references that outlive the
   * reader's: the pointers handed out stay valid until the next call. */
  kavro_schema_destroy(f.reader);
  if (err != KAVRO_OK) {
    out->value = NULL;
    out->schema = out->writer = NULL;
    out->resolved = false;
  } else if (consumed) {
    *consumed += (size_t)(f.body - (const unsigned char *)payload);
  }
  return counted(des, topic, consumed ? *consumed : size, err, error);
}

/* unframe() for a caller: the frame emptied (but its id and format) on
 * failure. */
static KV_ALWAYS_INLINE kavro_err_t unframe_for_caller(
    kavro_deserializer_t *des, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserializer_frame_t *out, kavro_error_t *error) {
  if (!out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "out is required");
  if (!des || !payload) {
    memset(out, 0, sizeof(*out));
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a deserializer and a payload are required");
  }
  return unframe(des, topic, is_key, header_value, header_size, payload, size,
                 out, error);
}

static kavro_err_t frame_failed(kavro_deserializer_frame_t *out,
                                kavro_err_t err) {
  kavro_schema_destroy(out->reader);
  kavro_schema_id_t id = out->writer_id;
  kavro_wire_format_t format = out->format;
  memset(out, 0, sizeof(*out));
  out->writer_id = id;
  out->format = format;
  return err;
}

kavro_err_t kavro_deserializer_unframe(
    kavro_deserializer_t *des, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserializer_frame_t *out, kavro_error_t *error) {
  kavro_err_t err = unframe_for_caller(des, topic, is_key, header_value,
                                       header_size, payload, size, out, error);
  if (err == KAVRO_OK && pending_work(des)) {
    /* A caller that decodes the body itself would skip the rules: fail
     * closed. */
    const kavro_error_t *refusal = kv_ruleset_refusal(des->pending.rules);
    if (refusal) {
      if (error)
        *error = *refusal;
      err = refusal->code;
    } else {
      err = kv_error_set(error, KAVRO_ERR_UNSUPPORTED,
                         "the schema these messages are read as has data "
                         "contract rules to run on read, which decoding the "
                         "body apart would skip: use "
                         "kavro_deserializer_deserialize() or "
                         "kavro_typed_deserialize()");
    }
  }
  if (des && payload && out)
    counted(des, topic, size, err, error);
  return err == KAVRO_OK || !out ? err : frame_failed(out, err);
}

/* typed_frame() for a message with rules or a migration to run: they run
 * over a generic value, and the typed record is read from its encoding
 * afterwards. */
static KV_NOINLINE kavro_err_t
typed_frame_ruled(kavro_deserializer_t *des, const char *topic, bool is_key,
                  const void *payload, size_t size,
                  kavro_deserializer_frame_t *out, kavro_error_t *error) {
  char subject[KAVRO_SUBJECT_MAX] = "";
  kavro_err_t err =
      rules_subject(des, topic, is_key, out->writer, subject, error);
  if (err == KAVRO_OK)
    err = rules_record(des, error);
  kv_rule_call_t call = {topic ? topic : "", is_key, payload, size, subject,
                         des->record};
  kavro_deserialized_t msg;
  memset(&msg, 0, sizeof(msg));
  if (err == KAVRO_OK)
    err = decode_body(des, out, &call, &msg, NULL, error);
  if (err == KAVRO_OK)
    err = body_buf(des, error);
  if (err == KAVRO_OK)
    err = kavro_encode(msg.schema, msg.value, des->body, error);
  if (err != KAVRO_OK)
    return frame_failed(out, err);
  out->writer = msg.schema;
  out->body = kavro_buf_data(des->body);
  out->body_size = kavro_buf_length(des->body);
  return KAVRO_OK;
}

static KV_ALWAYS_INLINE kavro_err_t typed_frame(
    kavro_deserializer_t *des, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserializer_frame_t *out, kavro_error_t *error) {
  kavro_err_t err = unframe_for_caller(des, topic, is_key, header_value,
                                       header_size, payload, size, out, error);
  if (err == KAVRO_OK && pending_work(des))
    return typed_frame_ruled(des, topic, is_key, payload, size, out, error);
  return err == KAVRO_OK || !out ? err : frame_failed(out, err);
}

kavro_err_t kv_deserializer_typed_frame(
    kavro_deserializer_t *des, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserializer_frame_t *out, kavro_error_t *error) {
  kavro_err_t err = typed_frame(des, topic, is_key, header_value, header_size,
                                payload, size, out, error);
  return des && payload && out ? counted(des, topic, size, err, error) : err;
}

const kavro_decode_limits_t *kavro_deserializer_limits(
    const kavro_deserializer_t *des) {
  return des ? &des->decoder->limits : NULL;
}

kavro_err_t kavro_deserializer_deserialize(
    kavro_deserializer_t *des, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserialized_t *out, kavro_error_t *error) {
  return deserialize(des, topic, is_key, header_value, header_size, payload,
                     size, out, NULL, error);
}

kavro_err_t kavro_deserializer_deserialize_next(
    kavro_deserializer_t *des, const char *topic, bool is_key,
    const void *data, size_t size, kavro_deserialized_t *out,
    size_t *consumed, kavro_error_t *error) {
  size_t taken = 0;
  if (consumed)
    *consumed = 0;
  if (!data || !consumed)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "data and consumed are required");
  kavro_err_t err =
      deserialize(des, topic, is_key, NULL, 0, data, size, out, &taken, error);
  if (err == KAVRO_OK)
    *consumed = taken;
  return err;
}
