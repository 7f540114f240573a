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
 * answers.  The rule sets of the writer and of such a reader are judged
 * once per schema (rules_int.h): a refusal is kept and reported for every
 * message of that schema.
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
#include "rules_int.h"

/* A writer schema by its id. */
typedef struct kv_writer_s {
  struct kv_writer_s *next;
  kavro_schema_id_t id;
  kavro_schema_t *schema;
  char *context; /* the context of a qualified subject; NULL: default */
  kavro_error_t *refusal; /* its rule set's verdict on reading; NULL: pass */
} kv_writer_t;

/* The reader last chosen from the registry for a side (use.latest.version,
 * use.latest.with.metadata) and its rule set's verdict, judged once per
 * schema object the registry client's cache hands out. */
typedef struct kv_latest_s {
  kavro_schema_t *schema; /* a reference, or NULL */
  kavro_error_t *refusal; /* NULL: pass */
} kv_latest_t;

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
  kavro_decoder_t *decoder;
  kv_writer_t *writers;
  kv_slot_t *slots;
  kv_plan_t *plans;
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
  if (kv_metadata_want_init(&des->metadata, des->conf, error) != KAVRO_OK) {
    kavro_deserializer_destroy(des);
    return NULL;
  }
  for (int side = 0; side < 2; side++) {
    if (kv_namer_init(&des->namers[side], des->conf, side, error) != KAVRO_OK) {
      kavro_deserializer_destroy(des);
      return NULL;
    }
    kv_namer_attach(&des->namers[side], registry);
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
    free(w->refusal);
    free(w);
  }
  for (int side = 0; side < 2; side++) {
    kavro_schema_destroy(des->latest[side].schema);
    free(des->latest[side].refusal);
  }
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

void kavro_deserializer_set_context_name_cb(kavro_deserializer_t *des,
                                            kavro_context_name_cb_t cb,
                                            void *opaque) {
  for (int side = 0; des && side < 2; side++) {
    des->namers[side].context_cb = cb;
    des->namers[side].context_opaque = opaque;
  }
}

/* ---- caches ---------------------------------------------------------------- */

/* Whether @w is the writer @id names in the context of @subject. */
static bool writer_is(const kv_writer_t *w, const kavro_schema_id_t *id,
                      const char *subject) {
  if (!kavro_schema_id_equal(&w->id, id))
    return false;
  if (id->kind == KAVRO_SCHEMA_ID_GUID || !subject)
    return !w->context;
  kv_subject_parts_t parts;
  kv_subject_split(subject, &parts);
  return w->context && strlen(w->context) == parts.context_length &&
         memcmp(w->context, parts.context, parts.context_length) == 0;
}

/* Judge the rule set of @info for reading (@what names the schema):
 * KAVRO_OK with @*refusalp the error to report for every message (a copy,
 * NULL when the rules pass); an error only when memory ran out. */
static kavro_err_t judge_read(const kavro_schema_info_t *info,
                              const char *what, kavro_error_t **refusalp,
                              kavro_error_t *error) {
  *refusalp = NULL;
  kavro_error_t verdict;
  kv_error_clear(&verdict);
  if (kv_rules_check(kavro_schema_info_rule_set(info), KV_RULE_READ, what,
                     &verdict) == KAVRO_OK)
    return KAVRO_OK;
  if (!(*refusalp = malloc(sizeof(verdict))))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  **refusalp = verdict;
  return KAVRO_OK;
}

/* @refusal (may be NULL: KAVRO_OK) reported in @error. */
static kavro_err_t refuse(const kavro_error_t *refusal, kavro_error_t *error) {
  if (!refusal)
    return KAVRO_OK;
  if (error)
    *error = *refusal;
  return refusal->code;
}

/* The writer schema of @id in the context of @subject (NULL: the default
 * context): kept, else from the registry (whose own cache comes first),
 * with its rule set judged for reading once.  A writer whose rules refuse
 * reading is kept, and refused for every message. */
static kavro_err_t writer_for(kavro_deserializer_t *des,
                              const kavro_schema_id_t *id, const char *subject,
                              kavro_schema_t **schemap, kavro_error_t *error) {
  for (kv_writer_t *w = des->writers; w; w = w->next)
    if (writer_is(w, id, subject)) {
      *schemap = w->schema;
      return refuse(w->refusal, error);
    }
  if (id->kind == KAVRO_SCHEMA_ID_INT && id->id <= 0)
    return kv_error_set(error, KAVRO_ERR_SCHEMA_NOT_FOUND,
                        "schema id %ld is not a registry id", (long)id->id);
  kv_writer_t *w = calloc(1, sizeof(*w));
  if (!w)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_schema_info_t *info = NULL;
  kavro_err_t err =
      id->kind == KAVRO_SCHEMA_ID_GUID
          ? kavro_registry_schema_info_by_guid(des->registry, id->guid, &info,
                                               error)
          : kavro_registry_schema_info_by_id(des->registry, id->id, subject,
                                             &info, error);
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
    err = judge_read(info, what, &w->refusal, error);
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
  *schemap = w->schema;
  return refuse(w->refusal, error);
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

/* Judge @info, the side's reader from the registry, unless it is the
 * schema judged last time. */
static kavro_err_t judge_latest(kv_latest_t *latest,
                                const kavro_schema_info_t *info,
                                const char *subject, kavro_error_t *error) {
  kavro_schema_t *schema = kavro_schema_info_schema(info);
  if (latest->schema == schema)
    return KAVRO_OK;
  char what[KAVRO_ERROR_SOURCE_LENGTH];
  snprintf(what, sizeof(what), "schema id %d of subject %.180s",
           (int)kavro_schema_info_id(info), subject);
  kavro_error_t *refusal;
  kavro_err_t err = judge_read(info, what, &refusal, error);
  if (err != KAVRO_OK)
    return err;
  kavro_schema_destroy(latest->schema);
  free(latest->refusal);
  latest->schema = kavro_schema_dup(schema);
  latest->refusal = refusal;
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
    *readerp = schema; /* judged: no copy of the contract needed */
    return refuse(latest->refusal, error);
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
    err = judge_latest(latest, info, subject, error);
  if (err == KAVRO_OK) {
    *readerp = kavro_schema_dup(kavro_schema_info_schema(info));
    err = refuse(latest->refusal, error);
  }
  kavro_schema_info_destroy(info);
  return err;
}

/* The reader that applies, or NULL: read with the writer schema.  A
 * reference is stored in @*readerp (the caller destroys it). */
static kavro_err_t reader_for(kavro_deserializer_t *des, const char *topic,
                              bool is_key, kavro_schema_t *writer,
                              kavro_schema_t **readerp, kavro_error_t *error) {
  *readerp = NULL;
  if (des->readers[is_key]) {
    *readerp = kavro_schema_dup(des->readers[is_key]);
    return KAVRO_OK;
  }
  if (des->use_schema_id >= 0) {
    kavro_schema_t *schema;
    kavro_schema_id_t id = kavro_schema_id_int((int32_t)des->use_schema_id);
    kavro_err_t err = writer_for(des, &id, NULL, &schema, error);
    if (err == KAVRO_OK)
      *readerp = kavro_schema_dup(schema);
    return err;
  }
  if (!des->use_latest && !des->metadata.count)
    return KAVRO_OK;
  char subject[KAVRO_SUBJECT_MAX];
  kavro_err_t err = kv_namer_subject(&des->namers[is_key], topic, is_key,
                                     writer, subject, error);
  if (err == KAVRO_OK)
    err = latest_reader(des, is_key, subject, readerp, error);
  return err;
}

/* The subject in whose context the writer's id is looked up, as Java's
 * deserializer names it: the subject when the strategy does not depend on
 * the schema, else its context alone; *@hintp NULL for the default
 * context (an unqualified subject, or no topic).  Only a context callback
 * or AssociatedNameStrategy can name another context. */
static kavro_err_t id_subject(kavro_deserializer_t *des, const char *topic,
                              bool is_key, char *buf, const char **hintp,
                              kavro_error_t *error) {
  kv_namer_t *namer = &des->namers[is_key];
  *hintp = NULL;
  if (!topic || !*topic ||
      (!namer->context_cb && namer->strategy != KAVRO_SUBJECT_ASSOCIATED))
    return KAVRO_OK;
  kavro_err_t err =
      kv_namer_uses_schema(namer)
          ? kv_namer_context(namer, topic, buf, error)
          : kv_namer_subject(namer, topic, is_key, NULL, buf, error);
  if (err == KAVRO_OK && kv_subject_in_context(buf))
    *hintp = buf;
  return err;
}

/* ---- decoding ---------------------------------------------------------------- */

/* Unframe @payload and find its writer schema and the reader that
 * applies: the part of deserializing every decoder shares, typed records'
 * included.  @out->reader is a reference for the caller. */
static kavro_err_t unframe(kavro_deserializer_t *des, const char *topic,
                           bool is_key, const void *header_value,
                           size_t header_size, const void *payload,
                           size_t size, kavro_deserializer_frame_t *out,
                           kavro_error_t *error) {
  memset(out, 0, sizeof(*out));
  kavro_wire_frame_t frame;
  kavro_err_t err = kavro_wire_unframe_dual(header_value, header_size, payload,
                                            size, &frame, error);
  if (err != KAVRO_OK)
    return err;
  out->writer_id = frame.id;
  out->format = frame.format;
  char subject[KAVRO_SUBJECT_MAX];
  const char *hint = NULL;
  err = id_subject(des, topic, is_key, subject, &hint, error);
  if (err != KAVRO_OK)
    return err;
  kavro_schema_t *writer;
  err = writer_for(des, &frame.id, hint, &writer, error);
  if (err == KAVRO_OK)
    err = reader_for(des, topic, is_key, writer, &out->reader, error);
  if (err != KAVRO_OK)
    return err;
  out->writer = writer;
  out->body = frame.body;
  out->body_size = frame.body_size;
  return KAVRO_OK;
}

/* Decode the body @f locates; with @consumed, bytes may follow the datum. */
static kavro_err_t decode_body(kavro_deserializer_t *des,
                               const kavro_deserializer_frame_t *f,
                               kavro_deserialized_t *out, size_t *consumed,
                               kavro_error_t *error) {
  /* The writer table owns the writer: the cast gives the caches the
   * non-const schema they key on. */
  kavro_schema_t *writer = (kavro_schema_t *)f->writer;
  kavro_resolution_t *plan = NULL;
  kavro_err_t err = KAVRO_OK;
  if (f->reader)
    err = plan_for(des, &f->writer_id, writer, f->reader, &plan, error);
  kavro_schema_t *target = plan ? f->reader : writer;
  kv_slot_t *slot = NULL;
  if (err == KAVRO_OK)
    err = slot_for(des, target, &slot, error);
  if (err == KAVRO_OK)
    err = plan ? kavro_decode_resolved(des->decoder, plan, f->body,
                                       f->body_size, &slot->value, consumed,
                                       error)
               : kavro_decode(des->decoder, writer, f->body, f->body_size,
                              &slot->value, consumed, error);
  if (err != KAVRO_OK)
    return err;
  out->value = &slot->value;
  out->schema = slot->schema;
  out->writer = writer;
  out->resolved = plan != NULL;
  return KAVRO_OK;
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
  if (err == KAVRO_OK)
    err = decode_body(des, &f, out, consumed, error);
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
  return err;
}

kavro_err_t kavro_deserializer_unframe(
    kavro_deserializer_t *des, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserializer_frame_t *out, kavro_error_t *error) {
  if (!out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "out is required");
  memset(out, 0, sizeof(*out));
  if (!des || !payload)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a deserializer and a payload are required");
  kavro_err_t err = unframe(des, topic, is_key, header_value, header_size,
                            payload, size, out, error);
  if (err != KAVRO_OK) {
    kavro_schema_destroy(out->reader);
    kavro_schema_id_t id = out->writer_id;
    kavro_wire_format_t format = out->format;
    memset(out, 0, sizeof(*out));
    out->writer_id = id;
    out->format = format;
  }
  return err;
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
