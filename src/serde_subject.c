/*
 * kavro - subject name strategies: how a serializer names the subject a
 * schema is registered under, as the Confluent clients name it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "common_conf_int.h"
#include "common_context_int.h"
#include "common_error_int.h"
#include "serde_serializer_int.h"

static const struct {
  kavro_subject_strategy_t strategy;
  const char *name;
} strategy_names[] = {
    {KAVRO_SUBJECT_TOPIC, "TopicNameStrategy"},
    {KAVRO_SUBJECT_RECORD, "RecordNameStrategy"},
    {KAVRO_SUBJECT_TOPIC_RECORD, "TopicRecordNameStrategy"},
    {KAVRO_SUBJECT_ASSOCIATED, "AssociatedNameStrategy"},
};

#define STRATEGY_COUNT (sizeof(strategy_names) / sizeof(strategy_names[0]))

kavro_err_t kavro_subject_strategy_parse(const char *name,
                                         kavro_subject_strategy_t *strategy) {
  if (!name || !strategy)
    return KAVRO_ERR_INVALID_ARG;
  /* Java configurations name the class; its simple name is what counts. */
  const char *dot = strrchr(name, '.');
  const char *simple = dot ? dot + 1 : name;
  for (size_t i = 0; i < STRATEGY_COUNT; i++)
    if (strcasecmp(simple, strategy_names[i].name) == 0) {
      *strategy = strategy_names[i].strategy;
      return KAVRO_OK;
    }
  return KAVRO_ERR_INVALID_ARG;
}

const char *kavro_subject_strategy_name(kavro_subject_strategy_t strategy) {
  for (size_t i = 0; i < STRATEGY_COUNT; i++)
    if (strategy_names[i].strategy == strategy)
      return strategy_names[i].name;
  return strategy == KAVRO_SUBJECT_CUSTOM ? "custom" : "unknown";
}

/* The schema's full name when it is a named type, else NULL. */
static const char *record_name(const kavro_schema_t *schema) {
  if (!schema)
    return NULL;
  switch (kavro_schema_type(schema)) {
  case KAVRO_RECORD:
  case KAVRO_ENUM:
  case KAVRO_FIXED:
    return kavro_schema_name(schema);
  default:
    return NULL;
  }
}

kavro_err_t kavro_subject_name(kavro_subject_strategy_t strategy,
                               const char *topic, bool is_key,
                               const kavro_schema_t *schema, char *buf,
                               size_t size, kavro_error_t *error) {
  kv_error_clear(error);
  if (!buf || size == 0)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no output buffer");
  buf[0] = '\0';
  bool needs_topic = strategy == KAVRO_SUBJECT_TOPIC ||
                     strategy == KAVRO_SUBJECT_TOPIC_RECORD;
  bool needs_name = strategy == KAVRO_SUBJECT_RECORD ||
                    strategy == KAVRO_SUBJECT_TOPIC_RECORD;
  if (!needs_topic && !needs_name)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "%s cannot be computed without a %s",
                        kavro_subject_strategy_name(strategy),
                        strategy == KAVRO_SUBJECT_ASSOCIATED ? "registry"
                                                             : "callback");
  if (needs_topic && (!topic || !*topic))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "%s needs a topic", kavro_subject_strategy_name(strategy));
  const char *name = record_name(schema);
  if (needs_name && !name)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "%s needs a named schema (record, enum or fixed), "
                        "not %s",
                        kavro_subject_strategy_name(strategy),
                        schema ? kavro_schema_name(schema) : "none");
  int n;
  if (strategy == KAVRO_SUBJECT_TOPIC)
    n = snprintf(buf, size, "%s-%s", topic, is_key ? "key" : "value");
  else if (strategy == KAVRO_SUBJECT_RECORD)
    n = snprintf(buf, size, "%s", name);
  else
    n = snprintf(buf, size, "%s-%s", topic, name);
  if (n < 0 || (size_t)n >= size) {
    buf[0] = '\0';
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "subject name longer than %zu bytes", size - 1);
  }
  return KAVRO_OK;
}

/* ---- configured naming, shared by the serializer and deserializer ------ */

/* The configured strategy of one side into @namer. */
static kavro_err_t namer_strategy(kv_namer_t *namer, const kavro_conf_t *conf,
                                  bool is_key, kavro_error_t *error) {
  const char *side = kv_conf_str(conf, is_key ? "key.subject.name.strategy"
                                              : "value.subject.name.strategy");
  const char *name = *side ? side : kv_conf_str(conf, "subject.name.strategy");
  namer->cb = NULL;
  namer->opaque = NULL;
  if (kavro_subject_strategy_parse(name, &namer->strategy) != KAVRO_OK)
    return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                        "unknown subject name strategy '%s'", name);
  return KAVRO_OK;
}

/* AssociatedNameStrategy's settings, as Java's subject.name.strategy.*
 * configuration names them. */
static void namer_associated_conf(kv_namer_t *namer, const kavro_conf_t *conf) {
  static const struct {
    const char *name;
    kavro_subject_strategy_t strategy;
  } fallbacks[] = {{"TOPIC", KAVRO_SUBJECT_TOPIC},
                   {"RECORD", KAVRO_SUBJECT_RECORD},
                   {"TOPIC_RECORD", KAVRO_SUBJECT_TOPIC_RECORD}};
  const char *fallback = kv_conf_str(conf, "subject.name.strategy.fallback.type");
  namer->fallback = KAVRO_SUBJECT_TOPIC;
  namer->no_fallback = strcasecmp(fallback, "NONE") == 0;
  for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++)
    if (strcasecmp(fallback, fallbacks[i].name) == 0)
      namer->fallback = fallbacks[i].strategy;
  namer->cluster_id = kv_conf_str(conf, "subject.name.strategy.kafka.cluster.id");
  int64_t secs = kv_conf_int(conf, "subject.name.strategy.cache.expiry.secs");
  namer->cache.capacity =
      (size_t)kv_conf_int(conf, "subject.name.strategy.cache.size");
  namer->cache.expiry_ms = secs < 0 ? -1 : secs * 1000;
}

kavro_err_t kv_namer_init(kv_namer_t *namer, const kavro_conf_t *conf,
                          bool is_key, kavro_error_t *error) {
  memset(namer, 0, sizeof(*namer));
  namer_associated_conf(namer, conf);
  return namer_strategy(namer, conf, is_key, error);
}

void kv_namer_attach(kv_namer_t *namer, kavro_registry_t *registry) {
  namer->registry = registry;
}

void kv_namer_set_cb(kv_namer_t *namer, const kavro_conf_t *conf, bool is_key,
                     kavro_subject_name_cb_t cb, void *opaque) {
  namer->generation++;
  if (cb) {
    namer->strategy = KAVRO_SUBJECT_CUSTOM;
    namer->cb = cb;
    namer->opaque = opaque;
  } else if (namer_strategy(namer, conf, is_key, NULL) != KAVRO_OK) {
    namer->strategy = KAVRO_SUBJECT_TOPIC;
  }
}

kavro_err_t kv_namer_context(const kv_namer_t *namer, const char *topic,
                             char *buf, kavro_error_t *error) {
  buf[0] = '\0';
  if (!namer->context_cb)
    return KAVRO_OK;
  char context[KAVRO_SUBJECT_MAX] = "";
  kavro_err_t err = namer->context_cb(namer->context_opaque, topic, context,
                                      sizeof(context), error);
  if (err != KAVRO_OK) {
    if (!error || !error->text[0])
      return kv_error_set(error, err, "context name callback failed (%s)",
                          kavro_err2name(err));
    error->code = err;
    return err;
  }
  if (!memchr(context, '\0', sizeof(context)) ||
      !kv_context_prefix(context, buf, KAVRO_SUBJECT_MAX)) {
    buf[0] = '\0';
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "context name callback gave an unterminated name, or "
                        "one with a ':' inside");
  }
  return KAVRO_OK;
}

/* The subject of the strategy, before any context. */
static kavro_err_t base_subject(kv_namer_t *namer, const char *topic,
                                bool is_key, const kavro_schema_t *schema,
                                char *buf, kavro_error_t *error);

/* Whether the subject just named for a topic without a schema is what
 * naming it again gives while the namer's generation holds: the topic's
 * own (TopicNameStrategy), or an AssociatedNameStrategy answer its cache
 * keeps for good.  A callback may answer otherwise each time; an answer
 * that expires or was not kept is asked again. */
static bool subject_stands(const kv_namer_t *namer) {
  if (namer->context_cb)
    return false;
  if (namer->strategy == KAVRO_SUBJECT_TOPIC)
    return true;
  return namer->strategy == KAVRO_SUBJECT_ASSOCIATED &&
         namer->cache.expiry_ms < 0 && namer->cache.last_kept;
}

/* Remember @r's subject as named for @topic and @is_key now; left
 * unremembered when the topic cannot be copied. */
static void recent_keep(kv_namer_recent_t *r, uint64_t generation,
                        const char *topic, bool is_key) {
  size_t size = strlen(topic) + 1;
  if (size > r->topic_size) {
    char *copy = realloc(r->topic, size);
    if (!copy)
      return;
    r->topic = copy;
    r->topic_size = size;
  }
  memcpy(r->topic, topic, size);
  r->is_key = is_key;
  r->generation = generation;
  r->valid = true;
}

kavro_err_t kv_namer_topic_subject(kv_namer_t *namer, const char *topic,
                                   bool is_key, const char **subjectp,
                                   bool *in_contextp, kavro_error_t *error) {
  kv_namer_recent_t *r = &namer->recent;
  *subjectp = r->subject;
  if (kv_namer_recent(namer, topic, is_key)) {
    *in_contextp = r->in_context;
    return KAVRO_OK;
  }
  r->valid = false;
  kavro_err_t err =
      kv_namer_subject(namer, topic, is_key, NULL, r->subject, error);
  r->in_context = err == KAVRO_OK && kv_subject_in_context(r->subject);
  *in_contextp = r->in_context;
  if (err == KAVRO_OK && topic && subject_stands(namer))
    recent_keep(r, namer->generation, topic, is_key);
  return err;
}

kavro_err_t kv_namer_subject(kv_namer_t *namer, const char *topic,
                             bool is_key, const kavro_schema_t *schema,
                             char *buf, kavro_error_t *error) {
  kv_error_clear(error);
  char prefix[KAVRO_SUBJECT_MAX];
  kavro_err_t err = kv_namer_context(namer, topic, prefix, error);
  if (err == KAVRO_OK)
    err = base_subject(namer, topic, is_key, schema, buf, error);
  if (err != KAVRO_OK || !prefix[0])
    return err;
  size_t p = strlen(prefix), n = strlen(buf);
  if (p + n >= KAVRO_SUBJECT_MAX) {
    buf[0] = '\0';
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "subject name longer than %d bytes with its context",
                        KAVRO_SUBJECT_MAX - 1);
  }
  memmove(buf + p, buf, n + 1);
  memcpy(buf, prefix, p);
  return KAVRO_OK;
}

static kavro_err_t base_subject(kv_namer_t *namer, const char *topic,
                                bool is_key, const kavro_schema_t *schema,
                                char *buf, kavro_error_t *error) {
  if (namer->strategy == KAVRO_SUBJECT_ASSOCIATED)
    return kv_namer_associated(namer, topic, is_key, schema, buf, error);
  if (namer->strategy != KAVRO_SUBJECT_CUSTOM)
    return kavro_subject_name(namer->strategy, topic, is_key, schema, buf,
                              KAVRO_SUBJECT_MAX, error);
  kv_error_clear(error);
  buf[0] = '\0';
  kavro_err_t err = namer->cb(namer->opaque, topic, is_key, schema, buf,
                              KAVRO_SUBJECT_MAX, error);
  if (err != KAVRO_OK) {
    buf[0] = '\0';
    if (!error || !error->text[0])
      return kv_error_set(error, err, "subject name callback failed (%s)",
                          kavro_err2name(err));
    error->code = err;
    return err;
  }
  if (!memchr(buf, '\0', KAVRO_SUBJECT_MAX) || !buf[0]) {
    buf[0] = '\0';
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "subject name callback gave an empty or unterminated "
                        "name");
  }
  return KAVRO_OK;
}

bool kv_registry_absent(kavro_err_t err) {
  return err == KAVRO_ERR_SUBJECT_NOT_FOUND ||
         err == KAVRO_ERR_VERSION_NOT_FOUND ||
         err == KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND;
}

/* ---- use.latest.with.metadata ------------------------------------------ */

/* The next CSV field of @*p into @out (at most @size bytes with the NUL):
 * ' quotes, '' in quotes is one '.  False when it does not fit or a quote
 * is not closed. */
static bool csv_field(const char **p, char *out, size_t size) {
  size_t n = 0;
  bool quoted = false;
  const char *s = *p;
  for (; *s && (quoted || *s != ','); s++) {
    if (*s == '\'') {
      if (quoted && s[1] == '\'') {
        s++;
      } else {
        quoted = !quoted;
        continue;
      }
    }
    if (n + 1 >= size)
      return false;
    out[n++] = *s;
  }
  out[n] = '\0';
  *p = *s ? s + 1 : s;
  return !quoted;
}

void kv_metadata_want_clear(kv_metadata_want_t *want) {
  for (size_t i = 0; i < want->count; i++) {
    free(want->keys[i]);
    free(want->values[i]);
  }
  free(want->text);
  kv_metadata_query_destroy(want->query);
  memset(want, 0, sizeof(*want));
}

kavro_err_t kv_metadata_want_init(kv_metadata_want_t *want,
                                  const kavro_conf_t *conf,
                                  kavro_error_t *error) {
  memset(want, 0, sizeof(*want));
  const char *text = kv_conf_str(conf, "use.latest.with.metadata");
  if (!text || !*text)
    return KAVRO_OK;
  size_t size = strlen(text) + 1;
  char *field = malloc(size);
  if (!field || !(want->text = strdup(text))) {
    free(field);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  kavro_err_t err = KAVRO_OK;
  for (const char *p = text; err == KAVRO_OK && *p;) {
    char *eq = NULL;
    if (!csv_field(&p, field, size) || !(eq = strchr(field, '=')) ||
        eq == field)
      err = kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                         "use.latest.with.metadata: '%s' is not "
                         "key=value[,key=value...]",
                         text);
    else if (want->count == KV_METADATA_MAX_PAIRS)
      err = kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                         "use.latest.with.metadata: more than %d properties",
                         KV_METADATA_MAX_PAIRS);
    else if (!(want->keys[want->count] = strndup(field, (size_t)(eq - field))) ||
             !(want->values[want->count] = strdup(eq + 1))) {
      free(want->keys[want->count]);
      err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    } else {
      want->count++;
    }
  }
  free(field);
  if (err == KAVRO_OK && want->count == 0)
    err = kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                       "use.latest.with.metadata: '%s' names no property",
                       text);
  if (err == KAVRO_OK)
    err = kv_metadata_query_new((const char *const *)want->keys,
                                (const char *const *)want->values, want->count,
                                false, &want->query, error);
  if (err != KAVRO_OK)
    kv_metadata_want_clear(want);
  return err;
}

kavro_err_t kv_metadata_latest(kavro_registry_t *registry,
                               const kv_metadata_want_t *want,
                               const char *subject, kavro_schema_t **schemap,
                               kavro_schema_info_t **infop,
                               kavro_error_t *error) {
  kavro_err_t err = kv_registry_latest_with_metadata_prepared(
      registry, subject, want->query, schemap, infop, error);
  if ((err == KAVRO_ERR_SCHEMA_NOT_FOUND || err == KAVRO_ERR_SUBJECT_NOT_FOUND) &&
      error) {
    char cause[KAVRO_ERROR_TEXT_LENGTH];
    snprintf(cause, sizeof(cause), "%s", error->text);
    kv_error_set(error, err,
                 "no version of subject %s has the metadata %s "
                 "(use.latest.with.metadata): %s",
                 subject, want->text, cause);
  }
  return err;
}
