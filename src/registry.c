/*
 * kavro - the Schema Registry client: endpoints, schema references and the
 * use of the caches (see registry_int.h for how the part is split).
 *
 * Every cached lookup goes through cached(): a hit answers from the cache;
 * a miss joins the key's in-flight request, so that concurrent misses for
 * one key make one request.  A successful answer is cached; so is, for
 * the missing.*.cache.ttl.sec settings' time, a definite "not found" (a
 * 404 with the error code that says the key itself does not exist), in a
 * negative cache asked only after the positive one missed.  Transient
 * failures are never cached.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_conf_int.h"
#include "common_context_int.h"
#include "config.h"
#include "common_error_int.h"
#include "registry_int.h"
#include "schema_int.h"
#include "common_strbuf_int.h"

/* A negative cache: keys the registry said do not exist, remembered for
 * a while so that a stream of frames with an unknown id costs a request
 * per id and TTL, not one per frame. */
typedef struct kv_missing_s {
  kv_cache_t *cache; /* NULL: not remembered (a TTL of 0) */
  int64_t ttl_ms;
  const char *setting; /* the TTL's configuration key, for error texts */
} kv_missing_t;

struct kavro_registry_s {
  kv_stats_t stats; /* first: aligned with the structure */
  kavro_conf_t *conf;
  kv_stats_timer_t *stats_timer; /* statistics.interval.ms; NULL: none */
  kv_transport_t *transport;
  kv_cache_t *by_id;      /* (context or "", id) -> schema */
  kv_cache_t *by_guid;    /* (GUID text, 0) -> schema */
  kv_cache_t *by_schema;  /* (subject, 0, fingerprint) -> id, version */
  kv_cache_t *by_version; /* (subject, version) -> schema, id */
  kv_cache_t *latest;     /* (subject, 0) -> schema, id, version; TTL */
  kv_cache_t *levels;     /* (subject or "", defaultToGlobal) -> level; TTL */
  kv_cache_t *keks;       /* (name, deleted) -> KEK reply; TTL */
  kv_cache_t *deks;       /* (kek/subject/algorithm, version and deleted) ->
                             DEK reply; the latest with a TTL */
  int64_t latest_ttl_ms;  /* -1: no expiry, 0: not cached */
  int64_t level_ttl_ms;
  kv_missing_t missing_id;      /* (context, id), as in by_id */
  kv_missing_t missing_guid;    /* (GUID text, 0) */
  kv_missing_t missing_version; /* (subject, version; 0 the latest) */
  kv_missing_t missing_schema;  /* lookups, keyed as in by_schema */
};

/* A (subject, version) being resolved, linked up the C stack to find
 * reference cycles. */
typedef struct kv_ref_stack_s {
  const char *subject;
  int version;
  const struct kv_ref_stack_s *up;
  int depth;
} kv_ref_stack_t;

/* ---- life cycle -----------------------------------------------------------
 */

static int64_t ttl_ms(int64_t seconds) {
  return seconds < 0 ? -1 : seconds * 1000;
}

/* The negative cache whose TTL is @setting: no table when the TTL is 0,
 * so that an unused one costs neither memory nor a look on a miss.  False
 * when out of memory. */
static bool missing_init(const kavro_conf_t *conf, const char *setting,
                         const char *name, kv_missing_t *missing) {
  missing->ttl_ms = kv_conf_int(conf, setting) * 1000;
  missing->setting = setting;
  if (missing->ttl_ms == 0)
    return true;
  missing->cache =
      kv_cache_new((size_t)kv_conf_int(conf, "missing.cache.size"), name);
  return missing->cache != NULL;
}

static void missing_clear(kv_missing_t *missing) {
  if (missing->cache)
    kv_cache_clear(missing->cache);
}

/* @key exists now (this client registered it): forget its "not found". */
static void missing_forget(kv_missing_t *missing, const kv_cache_key_t *key) {
  if (missing->cache)
    kv_cache_remove(missing->cache, key);
}

static void missing_forget_str(kv_missing_t *missing, const char *str) {
  if (missing->cache)
    kv_cache_remove_str(missing->cache, str);
}

kavro_registry_t *kavro_registry_new(kavro_conf_t *conf, kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL configuration");
    return NULL;
  }
  size_t size = (sizeof(kavro_registry_t) + 63) / 64 * 64;
  kavro_registry_t *reg = aligned_alloc(64, size);
  if (!reg) {
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  memset(reg, 0, size);
  if (kv_transport_new(conf, &reg->stats, &reg->transport, error) != KAVRO_OK) {
    free(reg);
    return NULL;
  }
  size_t capacity = (size_t)kv_conf_int(conf, "cache.capacity");
  kv_cache_t **caches[] = {&reg->by_id,      &reg->by_guid, &reg->by_schema,
                           &reg->by_version, &reg->latest,  &reg->levels,
                           &reg->keks,       &reg->deks};
  static const char *const names[] = {"schema_by_id", "schema_by_guid",
                                      "schema_lookup", "version", "latest",
                                      "level",        "kek",    "dek"};
  for (size_t i = 0; i < sizeof(caches) / sizeof(caches[0]); i++)
    if (!(*caches[i] = kv_cache_new(capacity, names[i]))) {
      kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
      kavro_registry_destroy(reg); /* conf not attached yet: not freed */
      return NULL;
    }
  if (!missing_init(conf, "missing.id.cache.ttl.sec", "missing_id",
                    &reg->missing_id) ||
      !missing_init(conf, "missing.id.cache.ttl.sec", "missing_guid",
                    &reg->missing_guid) ||
      !missing_init(conf, "missing.version.cache.ttl.sec", "missing_version",
                    &reg->missing_version) ||
      !missing_init(conf, "missing.schema.cache.ttl.sec", "missing_schema",
                    &reg->missing_schema)) {
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    kavro_registry_destroy(reg);
    return NULL;
  }
  reg->latest_ttl_ms = ttl_ms(kv_conf_int(conf, "cache.latest.ttl.sec"));
  reg->level_ttl_ms = ttl_ms(kv_conf_int(conf, "cache.level.ttl.sec"));
  if (kv_stats_timer_start(conf, &reg->stats_timer, error) != KAVRO_OK) {
    kavro_registry_destroy(reg); /* conf not attached yet: not freed */
    return NULL;
  }
  reg->conf = conf;
  return reg;
}

void kavro_registry_destroy(kavro_registry_t *reg) {
  if (!reg)
    return;
  kv_stats_timer_stop(reg->stats_timer);
  kv_cache_destroy(reg->by_id);
  kv_cache_destroy(reg->by_guid);
  kv_cache_destroy(reg->by_schema);
  kv_cache_destroy(reg->by_version);
  kv_cache_destroy(reg->latest);
  kv_cache_destroy(reg->levels);
  kv_cache_destroy(reg->keks);
  kv_cache_destroy(reg->deks);
  kv_cache_destroy(reg->missing_id.cache);
  kv_cache_destroy(reg->missing_guid.cache);
  kv_cache_destroy(reg->missing_version.cache);
  kv_cache_destroy(reg->missing_schema.cache);
  kv_transport_destroy(reg->transport);
  kavro_conf_destroy(reg->conf);
  free(reg);
}

const kavro_conf_t *kavro_registry_conf(const kavro_registry_t *reg) {
  return reg ? reg->conf : NULL;
}

void kavro_registry_stats(const kavro_registry_t *reg,
                          kavro_registry_stats_t *stats) {
  if (!reg || !stats)
    return;
  memset(stats, 0, sizeof(*stats));
  const kv_stats_t *s = &reg->stats;
  for (int i = 0; i < KV_SLOTS; i++) {
    stats->cache_hits += atomic_load(&s->slots[i].hits);
    stats->cache_misses += atomic_load(&s->slots[i].misses);
  }
  for (int i = 0; i < KAVRO_REGISTRY_EP_COUNT; i++)
    stats->requests[i] = atomic_load(&s->requests[i]);
  stats->http_attempts = atomic_load(&s->http_attempts);
  stats->retries = atomic_load(&s->retries);
  stats->failovers = atomic_load(&s->failovers);
  stats->connections = atomic_load(&s->connections);
  stats->errors = atomic_load(&s->errors);
}

void kavro_registry_clear_caches(kavro_registry_t *reg) {
  if (!reg)
    return;
  kv_cache_clear(reg->by_id);
  kv_cache_clear(reg->by_guid);
  kv_cache_clear(reg->by_schema);
  kv_cache_clear(reg->by_version);
  kv_cache_clear(reg->latest);
  kv_cache_clear(reg->levels);
  kv_cache_clear(reg->keks);
  kv_cache_clear(reg->deks);
  missing_clear(&reg->missing_id);
  missing_clear(&reg->missing_guid);
  missing_clear(&reg->missing_version);
  missing_clear(&reg->missing_schema);
}

/* Forget what the caches know about @subject (not its ids: an id keeps
 * naming the same schema). */
static void forget_subject(kavro_registry_t *reg, const char *subject) {
  kv_cache_remove_str(reg->by_schema, subject);
  kv_cache_remove_str(reg->by_version, subject);
  kv_cache_remove_str(reg->latest, subject);
  kv_cache_remove_str(reg->levels, subject);
}

/* The id space of @subject (NULL: none) as a by_id key string in @buf
 * (KV_ID_SPACE_SIZE bytes): "" for the default context, ".ctx" for a
 * subject ":.ctx:name", since each context numbers its schemas itself.
 * False when the context's name does not fit. */
#define KV_ID_SPACE_SIZE 256
static bool id_space(const char *subject, char *buf) {
  buf[0] = '\0';
  if (!subject || !kv_subject_in_context(subject))
    return true;
  kv_subject_parts_t parts;
  kv_subject_split(subject, &parts);
  if (parts.context_length >= KV_ID_SPACE_SIZE)
    return false;
  memcpy(buf, parts.context, parts.context_length);
  buf[parts.context_length] = '\0';
  return true;
}

kv_transport_t *kv_registry_transport(kavro_registry_t *reg) {
  return reg->transport;
}

/* ---- the cache protocol ------------------------------------------------- */


/* Whether a cached value answers the question (NULL: any value does). */
typedef bool (*kv_usable_fn)(const kv_cache_value_t *value);

static bool cache_get(kv_cache_t *cache, const kv_cache_key_t *key, int64_t now,
                      kv_usable_fn usable, kv_cache_value_t *out) {
  if (!kv_cache_get(cache, key, now, out))
    return false;
  if (!usable || usable(out))
    return true;
  kv_cache_value_clear(out);
  return false;
}

/* The "not found" remembered for @key in @missing (NULL: none), into
 * @*errp and @error: true when there is one. */
static bool missing_get(const kv_missing_t *missing, const kv_cache_key_t *key,
                        kavro_err_t *errp, kavro_error_t *error) {
  kv_cache_value_t value = {0};
  if (!missing || !missing->cache ||
      !kv_cache_get(missing->cache, key, kv_now_ms(), &value))
    return false;
  kavro_err_t code = (kavro_err_t)value.missing_code;
  kv_error_set(error, code,
               "%d %s (the registry's earlier answer, remembered for %s = "
               "%lld)",
               value.missing_code, kavro_err2str(code), missing->setting,
               (long long)(missing->ttl_ms / 1000));
  if (error) {
    error->http_status = 404;
    error->registry_code = value.missing_code;
  }
  *errp = code;
  return true;
}

static void missing_put(const kv_missing_t *missing, const kv_cache_key_t *key,
                        int code) {
  if (!missing || !missing->cache)
    return;
  kv_cache_value_t value = {.missing_code = code};
  kv_cache_put(missing->cache, key, &value, kv_now_ms() + missing->ttl_ms);
}

/* Mark @out when @err is the registry's definite answer that what the
 * call asked for does not exist: a 404 with error code @code or @alt.
 * Returns @err. */
static kavro_err_t note_missing(kavro_err_t err, const kavro_error_t *error,
                                kv_cache_value_t *out, kavro_err_t code,
                                kavro_err_t alt) {
  if ((err == code || err == alt) && error && error->http_status == 404)
    out->missing_code = err;
  return err;
}

/* Answer @key from @cache, or fetch it (once for all concurrent callers)
 * and cache it for @ttl (-1: no expiry, 0: not cached).  With @missing
 * (may be NULL), a "not found" the fetch marked is remembered there, and
 * answers later calls until it expires. */
static kavro_err_t cached(kavro_registry_t *reg, kv_cache_t *cache,
                          const kv_missing_t *missing,
                          const kv_cache_key_t *key, int64_t ttl,
                          kv_usable_fn usable, kv_fetch_fn fetch,
                          const void *args, kv_cache_value_t *out,
                          kavro_error_t *error) {
  int64_t now = ttl > 0 ? kv_now_ms() : 0;
  kv_stat_slot_t *stat = &reg->stats.slots[kv_thread_slot()];
  kavro_err_t err;
  if (ttl != 0 && cache_get(cache, key, now, usable, out)) {
    kv_stat_add(&stat->hits);
    kv_cache_count(cache, true);
    return KAVRO_OK;
  }
  if (missing_get(missing, key, &err, error)) {
    kv_stat_add(&stat->hits);
    kv_cache_count(missing->cache, true);
    return err;
  }
  kv_stat_add(&stat->misses);
  kv_cache_count(cache, false);
  for (;;) {
    bool leader;
    kv_flight_t *flight = kv_flight_join(cache, key, &leader);
    if (!flight)
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    if (!leader) {
      err = kv_flight_wait(cache, flight, error);
      if (err != KAVRO_OK || ttl == 0)
        return err != KAVRO_OK ? err : fetch(reg, args, out, error);
      if (cache_get(cache, key, now, usable, out))
        return KAVRO_OK;
      continue; /* evicted meanwhile: fetch it ourselves */
    }
    kavro_error_t local;
    kv_error_clear(&local);
    /* A flight that ended between our miss and our join left its answer. */
    if (ttl != 0 && cache_get(cache, key, now, usable, out)) {
      err = KAVRO_OK;
    } else if (!missing_get(missing, key, &err, &local)) {
      err = fetch(reg, args, out, &local);
      if (err == KAVRO_OK && ttl != 0)
        kv_cache_put(cache, key, out, ttl > 0 ? kv_now_ms() + ttl : 0);
      else if (err != KAVRO_OK && out->missing_code == (int)err)
        missing_put(missing, key, out->missing_code);
    }
    kv_flight_finish(cache, flight, err, &local);
    if (error && err != KAVRO_OK)
      *error = local;
    return err;
  }
}

/* ---- requests -------------------------------------------------------------
 */

static kavro_err_t call(kavro_registry_t *reg, kavro_registry_endpoint_t ep,
                        const char *method, kv_strbuf_t *path,
                        const char *query, const char *body,
                        kv_http_response_t *response, kavro_error_t *error) {
  if (kv_strbuf_failed(path))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kv_call_t c = {ep, method, path->data, query, body};
  return kv_transport_call(reg->transport, &c, response, error);
}

/* "/subjects/{subject}" followed by @suffix (printf-style). */
static void subject_path(kv_strbuf_t *sb, const char *prefix,
                         const char *subject, const char *suffix) {
  kv_strbuf_puts(sb, prefix);
  kv_path_segment(sb, subject);
  kv_strbuf_puts(sb, suffix);
}

static void version_segment(kv_strbuf_t *sb, int version) {
  if (version == KAVRO_REGISTRY_LATEST)
    kv_strbuf_puts(sb, "latest");
  else
    kv_strbuf_printf(sb, "%d", version);
}

/* The JSON body {"schema", "references"} into @*bodyp (caller frees). */
static kavro_err_t schema_body(const kavro_schema_t *schema,
                               const kavro_schema_ref_t *refs, size_t ref_count,
                               char **bodyp, kavro_error_t *error) {
  json_t *root = json_object();
  json_t *array = ref_count ? json_array() : NULL;
  bool ok = root && (!ref_count || array) &&
            json_object_set_new(root, "schema",
                                json_string(kavro_schema_text(schema))) == 0;
  for (size_t i = 0; ok && i < ref_count; i++) {
    const kavro_schema_ref_t *r = &refs[i];
    if (!r->name || !r->subject || r->version < 1) {
      json_decref(root);
      json_decref(array);
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "reference %zu lacks a name, subject or version "
                          ">= 1",
                          i);
    }
    ok = json_array_append_new(array, json_pack("{s:s, s:s, s:i}", "name",
                                                r->name, "subject", r->subject,
                                                "version", r->version)) == 0;
  }
  if (ok && array)
    ok = json_object_set_new(root, "references", json_incref(array)) == 0;
  char *text = ok ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(array);
  json_decref(root);
  if (!text)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  *bodyp = text;
  return KAVRO_OK;
}

/* ---- schemas and their references --------------------------------------- */

static kavro_err_t version_schema(kavro_registry_t *reg, const char *subject,
                                  int version, const kv_ref_stack_t *stack,
                                  kv_cache_value_t *out, kavro_error_t *error);

/* Parse @reply's schema with its references resolved.  @label names the
 * schema in errors ("id 7", "subject x version 2"). */
static kavro_err_t parse_with_refs(kavro_registry_t *reg,
                                   const kv_answer_schema_t *reply,
                                   const kv_ref_stack_t *stack,
                                   const char *label, kavro_schema_t **out,
                                   kavro_error_t *error) {
  kavro_schema_t **refs = NULL;
  kavro_err_t err = KAVRO_OK;
  if (reply->ref_count &&
      !(refs = calloc(reply->ref_count, sizeof(kavro_schema_t *))))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; err == KAVRO_OK && i < reply->ref_count; i++) {
    kv_cache_value_t v = {0};
    err = version_schema(reg, reply->refs[i].subject, reply->refs[i].version,
                         stack, &v, error);
    refs[i] = v.schema;
    kv_contract_unref(v.contract);
  }
  if (err == KAVRO_OK) {
    kavro_parse_options_t options;
    kavro_parse_options_init(&options);
    options.source = label;
    options.references = refs;
    options.reference_count = reply->ref_count;
    /* A schema the registry holds is read as the registry reads it: it
     * may predate the rules a new one must pass, and the messages written
     * with it are valid all the same. */
    options.lenient = true;
    err = kavro_schema_parse(reply->schema, strlen(reply->schema), &options,
                             out, error);
    if (err != KAVRO_OK) /* the registry's schema text, quoted */
      kv_transport_scrub_error(reg->transport, error);
  }
  for (size_t i = 0; i < reply->ref_count; i++)
    kavro_schema_destroy(refs[i]);
  free(refs);
  return err;
}

/* The contract a schema reply carries into @out, which then knows it. */
static kavro_err_t read_contract(kavro_registry_t *reg,
                                 const kv_http_response_t *response,
                                 kv_cache_value_t *out, kavro_error_t *error) {
  kv_contract_unref(out->contract);
  out->contract = NULL;
  kavro_err_t err = kv_contract_read(response->body, response->body_length,
                                     &out->contract, error);
  if (err != KAVRO_OK) /* may quote the registry's text */
    kv_transport_scrub_error(reg->transport, error);
  out->has_contract = err == KAVRO_OK;
  return err;
}

/* GET @path?@query (a schema by id or by GUID): the schema, parsed with
 * its references into @out->schema.  @guid (may be NULL) is the GUID asked
 * for, which a reply that names one must name.  @label as for
 * parse_with_refs(). */
static kavro_err_t fetch_schema_at(kavro_registry_t *reg,
                                   kavro_registry_endpoint_t ep,
                                   kv_strbuf_t *path, const kv_strbuf_t *query,
                                   const unsigned char *guid, const char *label,
                                   kv_cache_value_t *out,
                                   kavro_error_t *error) {
  kv_http_response_t response;
  kavro_err_t err = kv_strbuf_failed(query)
                        ? kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory")
                        : call(reg, ep, "GET", path, query->data, NULL,
                               &response, error);
  if (err != KAVRO_OK)
    return note_missing(err, error, out, KAVRO_ERR_SCHEMA_NOT_FOUND,
                        KAVRO_ERR_SCHEMA_NOT_FOUND);
  kv_answer_schema_t reply;
  err = kv_answer_schema(response.body, response.body_length, false, &reply,
                         error);
  if (err == KAVRO_OK)
    err = read_contract(reg, &response, out, error);
  kv_http_response_clear(&response);
  if (err != KAVRO_OK) {
    kv_answer_schema_clear(&reply);
    return err;
  }
  if (guid && reply.has_guid && memcmp(reply.guid, guid, KV_GUID_SIZE) != 0)
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "malformed registry reply: %s answered with another "
                       "GUID",
                       label);
  else
    err = parse_with_refs(reg, &reply, NULL, label, &out->schema, error);
  if (err == KAVRO_OK && (guid || reply.has_guid)) {
    out->has_guid = true;
    memcpy(out->guid, guid ? guid : reply.guid, KV_GUID_SIZE);
  }
  kv_answer_schema_clear(&reply);
  if (err != KAVRO_OK)
    kv_cache_value_clear(out);
  return err;
}

typedef struct kv_id_args_s {
  int id;
  const char *subject_hint;
} kv_id_args_t;

static kavro_err_t fetch_by_id(kavro_registry_t *reg, const void *opaque,
                               kv_cache_value_t *out, kavro_error_t *error) {
  const kv_id_args_t *args = opaque;
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  kv_strbuf_printf(&path, "/schemas/ids/%d", args->id);
  if (args->subject_hint) {
    kv_strbuf_puts(&query, "subject=");
    kv_query_value(&query, args->subject_hint);
  }
  char label[48];
  snprintf(label, sizeof(label), "registry schema id %d", args->id);
  out->id = args->id;
  kavro_err_t err = fetch_schema_at(reg, KAVRO_REGISTRY_EP_SCHEMA_BY_ID, &path,
                                    &query, NULL, label, out, error);
  kv_strbuf_free(&path);
  kv_strbuf_free(&query);
  return err;
}

static kavro_err_t fetch_by_guid(kavro_registry_t *reg, const void *opaque,
                                 kv_cache_value_t *out, kavro_error_t *error) {
  const unsigned char *guid = opaque;
  char text[KV_GUID_TEXT_SIZE];
  kv_guid_format(guid, text);
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  kv_strbuf_printf(&path, "/schemas/guids/%s", text);
  char label[64];
  snprintf(label, sizeof(label), "registry schema GUID %s", text);
  kavro_err_t err = fetch_schema_at(reg, KAVRO_REGISTRY_EP_SCHEMA_BY_GUID,
                                    &path, &query, guid, label, out, error);
  kv_strbuf_free(&path);
  kv_strbuf_free(&query);
  return err;
}

kavro_err_t kavro_registry_schema_by_guid(kavro_registry_t *reg,
                                          const unsigned char guid[16],
                                          kavro_schema_t **schemap,
                                          kavro_error_t *error) {
  kv_error_clear(error);
  if (schemap)
    *schemap = NULL;
  if (!reg || !guid || !schemap)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  char text[KV_GUID_TEXT_SIZE];
  kv_guid_format(guid, text);
  kv_cache_key_t key = {text, 0, NULL};
  kv_cache_value_t value = {0};
  kavro_err_t err = cached(reg, reg->by_guid, &reg->missing_guid, &key, -1,
                           NULL, fetch_by_guid, guid, &value, error);
  *schemap = value.schema;
  kv_contract_unref(value.contract);
  return err;
}

/* The cached entry of @id in the context of @subject_hint, fetched when
 * missing or not @usable (NULL: any entry will do). */
static kavro_err_t id_value(kavro_registry_t *reg, int32_t id,
                            const char *subject_hint, kv_usable_fn usable,
                            kv_cache_value_t *value, kavro_error_t *error) {
  if (id < 1)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "id below 1");
  kv_id_args_t args = {id, subject_hint};
  char space[KV_ID_SPACE_SIZE];
  if (!id_space(subject_hint, space))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the context of the subject is too long");
  kv_cache_key_t key = {space, id, NULL};
  return cached(reg, reg->by_id, &reg->missing_id, &key, -1, usable,
                fetch_by_id, &args, value, error);
}

kavro_err_t kavro_registry_schema_by_id(kavro_registry_t *reg, int32_t id,
                                        const char *subject_hint,
                                        kavro_schema_t **schemap,
                                        kavro_error_t *error) {
  kv_error_clear(error);
  if (schemap)
    *schemap = NULL;
  if (!reg || !schemap)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  kv_cache_value_t value = {0};
  kavro_err_t err = id_value(reg, id, subject_hint, NULL, &value, error);
  *schemap = value.schema;
  kv_contract_unref(value.contract);
  return err;
}

static bool has_guid(const kv_cache_value_t *value) { return value->has_guid; }

kavro_err_t kavro_registry_guid_by_id(kavro_registry_t *reg, int32_t id,
                                      const char *subject_hint,
                                      unsigned char guid[16],
                                      kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !guid)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  kv_cache_value_t value = {0};
  /* An entry without a GUID (from a registration's answer before CP 8,
   * or a reply by version) is asked again: the reply by id may have it. */
  kavro_err_t err = id_value(reg, id, subject_hint, has_guid, &value, error);
  if (err == KAVRO_OK && !value.has_guid)
    err = kv_error_set(error, KAVRO_ERR_UNSUPPORTED,
                       "the registry gives no GUID for schema id %d (GUIDs "
                       "come with Confluent Platform 8 and later)",
                       (int)id);
  if (err == KAVRO_OK)
    memcpy(guid, value.guid, KV_GUID_SIZE);
  kv_cache_value_clear(&value);
  return err;
}

/* GET /subjects/{s}/versions/{v} without the caches: the reply, parsed
 * (reusing the schema of a known id), into @out. */
static kavro_err_t fetch_version(kavro_registry_t *reg, const char *subject,
                                 int version, const kv_ref_stack_t *stack,
                                 kv_cache_value_t *out, kavro_error_t *error) {
  kv_strbuf_t path = KV_STRBUF_INIT;
  subject_path(&path, "/subjects/", subject, "/versions/");
  version_segment(&path, version);
  kv_http_response_t response;
  kavro_err_t err = call(reg, KAVRO_REGISTRY_EP_VERSION, "GET", &path, NULL,
                         NULL, &response, error);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK)
    return note_missing(err, error, out, KAVRO_ERR_SUBJECT_NOT_FOUND,
                        KAVRO_ERR_VERSION_NOT_FOUND);
  kv_answer_schema_t reply;
  err = kv_answer_schema(response.body, response.body_length, true, &reply,
                         error);
  if (err == KAVRO_OK)
    err = read_contract(reg, &response, out, error);
  kv_http_response_clear(&response);
  if (err != KAVRO_OK) {
    kv_answer_schema_clear(&reply);
    return err;
  }
  out->id = reply.id;
  out->version = reply.version;
  out->has_guid = reply.has_guid;
  memcpy(out->guid, reply.guid, KV_GUID_SIZE);
  /* A context too long for a key string is fetched, never cached. */
  char space[KV_ID_SPACE_SIZE];
  bool keyed = id_space(subject, space);
  kv_cache_key_t id_key = {space, reply.id, NULL};
  kv_cache_value_t known = {0};
  if (keyed && kv_cache_get(reg->by_id, &id_key, 0, &known)) {
    out->schema = known.schema; /* one schema object per id */
    known.schema = NULL;
    /* the id learns its contract, or its GUID */
    if (!known.has_contract || (out->has_guid && !known.has_guid))
      kv_cache_put(reg->by_id, &id_key, out, 0);
    kv_cache_value_clear(&known);
  } else {
    char label[KAVRO_ERROR_SOURCE_LENGTH];
    snprintf(label, sizeof(label), "registry subject %.180s version %d",
             subject, reply.version);
    kv_ref_stack_t here = {subject, reply.version, stack,
                           stack ? stack->depth + 1 : 1};
    err = parse_with_refs(reg, &reply, &here, label, &out->schema, error);
    if (err == KAVRO_OK && keyed)
      kv_cache_put(reg->by_id, &id_key, out, 0);
  }
  kv_answer_schema_clear(&reply);
  if (err != KAVRO_OK)
    kv_cache_value_clear(out);
  return err;
}

/* A referenced (subject, version): from the cache, or fetched directly.
 * Not through an in-flight entry: two threads resolving a reference cycle
 * from opposite ends would wait for each other. */
static kavro_err_t version_schema(kavro_registry_t *reg, const char *subject,
                                  int version, const kv_ref_stack_t *stack,
                                  kv_cache_value_t *out, kavro_error_t *error) {
  for (const kv_ref_stack_t *s = stack; s; s = s->up)
    if (s->version == version && strcmp(s->subject, subject) == 0)
      return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                          "schema references form a cycle through subject "
                          "%.200s version %d",
                          subject, version);
  if (stack && stack->depth >= KV_MAX_REFERENCE_DEPTH)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "schema references nest deeper than %d",
                        KV_MAX_REFERENCE_DEPTH);
  kv_cache_key_t key = {subject, version, NULL};
  if (kv_cache_get(reg->by_version, &key, 0, out))
    return KAVRO_OK;
  kavro_err_t err = fetch_version(reg, subject, version, stack, out, error);
  if (err == KAVRO_OK)
    kv_cache_put(reg->by_version, &key, out, 0);
  return err;
}

typedef struct kv_version_args_s {
  const char *subject;
  int version;
} kv_version_args_t;

static kavro_err_t fetch_version_top(kavro_registry_t *reg, const void *opaque,
                                     kv_cache_value_t *out,
                                     kavro_error_t *error) {
  const kv_version_args_t *args = opaque;
  kavro_err_t err =
      fetch_version(reg, args->subject, args->version, NULL, out, error);
  /* The latest is also version N: remember it under its number too. */
  if (err == KAVRO_OK && args->version == KAVRO_REGISTRY_LATEST) {
    kv_cache_key_t key = {args->subject, out->version, NULL};
    kv_cache_put(reg->by_version, &key, out, 0);
  }
  return err;
}

static bool valid_subject(const char *subject) { return subject && *subject; }

/* Whether a cached value knows its schema's contract. */
static bool knows_contract(const kv_cache_value_t *value) {
  return value->has_contract;
}

/* A version of @subject (or its latest) from the caches or the registry. */
static kavro_err_t version_value(kavro_registry_t *reg, const char *subject,
                                 int version, kv_usable_fn usable,
                                 kv_cache_value_t *value,
                                 kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !valid_subject(subject) ||
      (version < 1 && version != KAVRO_REGISTRY_LATEST))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL or empty argument, or version below 1");
  bool latest = version == KAVRO_REGISTRY_LATEST;
  kv_version_args_t args = {subject, version};
  kv_cache_key_t key = {subject, latest ? 0 : version, NULL};
  return cached(reg, latest ? reg->latest : reg->by_version,
                &reg->missing_version, &key, latest ? reg->latest_ttl_ms : -1,
                usable, fetch_version_top, &args, value, error);
}

/* The info of a cache lookup's @value (cleared) when @err is KAVRO_OK. */
static kavro_err_t info_of(kavro_err_t err, kv_cache_value_t *value,
                           kavro_schema_info_t **infop, kavro_error_t *error) {
  if (err == KAVRO_OK)
    err = kv_schema_info_from(value, infop, error);
  kv_cache_value_clear(value);
  return err;
}

kavro_err_t kavro_registry_version_info(kavro_registry_t *reg,
                                        const char *subject, int version,
                                        kavro_schema_info_t **infop,
                                        kavro_error_t *error) {
  if (infop)
    *infop = NULL;
  if (!infop)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  kv_cache_value_t value = {0};
  kavro_err_t err =
      version_value(reg, subject, version, knows_contract, &value, error);
  return info_of(err, &value, infop, error);
}

kavro_err_t kavro_registry_schema_info_by_id(kavro_registry_t *reg, int32_t id,
                                             const char *subject_hint,
                                             kavro_schema_info_t **infop,
                                             kavro_error_t *error) {
  kv_error_clear(error);
  if (infop)
    *infop = NULL;
  if (!reg || !infop)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  kv_cache_value_t value = {0};
  kavro_err_t err =
      id_value(reg, id, subject_hint, knows_contract, &value, error);
  return info_of(err, &value, infop, error);
}

kavro_err_t kavro_registry_schema_info_by_guid(kavro_registry_t *reg,
                                               const unsigned char guid[16],
                                               kavro_schema_info_t **infop,
                                               kavro_error_t *error) {
  kv_error_clear(error);
  if (infop)
    *infop = NULL;
  if (!reg || !guid || !infop)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  char text[KV_GUID_TEXT_SIZE];
  kv_guid_format(guid, text);
  kv_cache_key_t key = {text, 0, NULL};
  kv_cache_value_t value = {0};
  kavro_err_t err = cached(reg, reg->by_guid, &reg->missing_guid, &key, -1,
                           knows_contract, fetch_by_guid, guid, &value, error);
  return info_of(err, &value, infop, error);
}

kavro_err_t kavro_registry_get_version(kavro_registry_t *reg,
                                       const char *subject, int version,
                                       kavro_schema_t **schemap, int32_t *idp,
                                       int *versionp, kavro_error_t *error) {
  if (schemap)
    *schemap = NULL;
  kv_cache_value_t value = {0};
  kavro_err_t err = version_value(reg, subject, version, NULL, &value, error);
  if (err != KAVRO_OK)
    return err;
  kv_contract_unref(value.contract);
  if (idp)
    *idp = value.id;
  if (versionp)
    *versionp = value.version;
  if (schemap)
    *schemap = value.schema;
  else
    kavro_schema_destroy(value.schema);
  return KAVRO_OK;
}

/* @count references of a reply in one block: the array, then the strings. */
static kavro_schema_ref_t *pack_refs(const kv_answer_ref_t *refs,
                                     size_t count) {
  size_t size = count * sizeof(kavro_schema_ref_t);
  for (size_t i = 0; i < count; i++)
    size += strlen(refs[i].name) + strlen(refs[i].subject) + 2;
  kavro_schema_ref_t *out = malloc(size);
  if (!out)
    return NULL;
  char *p = (char *)(out + count);
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(refs[i].name) + 1, m = strlen(refs[i].subject) + 1;
    out[i].name = memcpy(p, refs[i].name, n);
    out[i].subject = memcpy(p + n, refs[i].subject, m);
    out[i].version = refs[i].version;
    p += n + m;
  }
  return out;
}

kavro_err_t kavro_registry_version_refs(kavro_registry_t *reg,
                                        const char *subject, int version,
                                        kavro_schema_ref_t **refsp,
                                        size_t *countp, int *versionp,
                                        kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !valid_subject(subject) || !refsp || !countp ||
      (version < 1 && version != KAVRO_REGISTRY_LATEST))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL or empty argument, or version below 1");
  *refsp = NULL;
  *countp = 0;
  kv_strbuf_t path = KV_STRBUF_INIT;
  subject_path(&path, "/subjects/", subject, "/versions/");
  version_segment(&path, version);
  kv_http_response_t response;
  kavro_err_t err = call(reg, KAVRO_REGISTRY_EP_VERSION, "GET", &path, NULL,
                         NULL, &response, error);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK)
    return err;
  kv_answer_schema_t reply;
  err = kv_answer_schema(response.body, response.body_length, true, &reply,
                         error);
  kv_http_response_clear(&response);
  if (err != KAVRO_OK)
    return err;
  if (reply.ref_count && !(*refsp = pack_refs(reply.refs, reply.ref_count)))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  else
    *countp = reply.ref_count;
  if (err == KAVRO_OK && versionp)
    *versionp = reply.version;
  kv_answer_schema_clear(&reply);
  return err;
}

/* ---- register and look up ---------------------------------------------- */

typedef struct kv_schema_args_s {
  const char *subject;
  const kavro_schema_t *schema;
  const kavro_schema_ref_t *refs;
  size_t ref_count;
  bool normalize;
} kv_schema_args_t;

static kavro_err_t post_schema(kavro_registry_t *reg,
                               kavro_registry_endpoint_t ep,
                               const kv_schema_args_t *args,
                               kv_http_response_t *response,
                               kavro_error_t *error) {
  char *body = NULL;
  kavro_err_t err =
      schema_body(args->schema, args->refs, args->ref_count, &body, error);
  if (err != KAVRO_OK)
    return err;
  kv_strbuf_t path = KV_STRBUF_INIT;
  subject_path(&path, "/subjects/", args->subject,
               ep == KAVRO_REGISTRY_EP_REGISTER ? "/versions" : "");
  err = call(reg, ep, "POST", &path, args->normalize ? "normalize=true" : NULL,
             body, response, error);
  kv_strbuf_free(&path);
  free(body);
  return err;
}

/* The caller's schema now has a known id in the context of @subject (and,
 * from Confluent Platform 8 on, a GUID and the contract the registry gave
 * it: @answer's, @response's): later lookups by that id there (a consumer
 * in the same process, a serializer that puts GUIDs in headers) answer
 * from the cache instead of a request.  An entry learns what it lacked.
 * The cast only lets the cache take a reference; schemas are immutable. */
static void remember_id(kavro_registry_t *reg, const char *subject,
                        const kv_cache_value_t *answer,
                        const kavro_schema_t *schema,
                        const kv_http_response_t *response,
                        bool contract_known) {
  char space[KV_ID_SPACE_SIZE];
  if (!id_space(subject, space))
    return;
  kv_cache_key_t key = {space, answer->id, NULL};
  kv_cache_value_t known = {0};
  if (kv_cache_get(reg->by_id, &key, 0, &known)) {
    bool learns = (contract_known && !known.has_contract) ||
                  (answer->has_guid && !known.has_guid);
    kv_cache_value_clear(&known);
    if (!learns)
      return;
  }
  known.id = answer->id;
  known.has_guid = answer->has_guid;
  memcpy(known.guid, answer->guid, KV_GUID_SIZE);
  /* A contract that cannot be read stays unknown: asked for by id. */
  if (contract_known)
    (void)read_contract(reg, response, &known, NULL);
  known.schema = (kavro_schema_t *)schema;
  kv_cache_put(reg->by_id, &key, &known, 0);
  known.schema = NULL;
  kv_cache_value_clear(&known);
  missing_forget(&reg->missing_id, &key);
}

static kavro_err_t fetch_register(kavro_registry_t *reg, const void *opaque,
                                  kv_cache_value_t *out, kavro_error_t *error) {
  const kv_schema_args_t *args = opaque;
  kv_http_response_t response;
  kavro_err_t err =
      post_schema(reg, KAVRO_REGISTRY_EP_REGISTER, args, &response, error);
  if (err != KAVRO_OK)
    return err;
  err = kv_answer_id(response.body, response.body_length, &out->id,
                     &out->has_guid, out->guid, error);
  if (err == KAVRO_OK) {
    /* A reply with the GUID (Confluent Platform 8, the mock) has the
     * contract the registry merged in; an older one says nothing of it. */
    remember_id(reg, args->subject, out, args->schema, &response,
                out->has_guid);
    /* A new version may now be the latest, and what was missing under
     * the subject may exist now. */
    kv_cache_remove_str(reg->latest, args->subject);
    missing_forget_str(&reg->missing_version, args->subject);
    missing_forget_str(&reg->missing_schema, args->subject);
  }
  kv_http_response_clear(&response);
  return err;
}

static kavro_err_t fetch_lookup(kavro_registry_t *reg, const void *opaque,
                                kv_cache_value_t *out, kavro_error_t *error) {
  const kv_schema_args_t *args = opaque;
  kv_http_response_t response;
  kavro_err_t err =
      post_schema(reg, KAVRO_REGISTRY_EP_LOOKUP, args, &response, error);
  if (err != KAVRO_OK)
    return note_missing(err, error, out, KAVRO_ERR_SCHEMA_NOT_FOUND,
                        KAVRO_ERR_SUBJECT_NOT_FOUND);
  kv_answer_schema_t reply;
  err = kv_answer_schema(response.body, response.body_length, true, &reply,
                         error);
  if (err == KAVRO_OK) {
    out->id = reply.id;
    out->version = reply.version;
    out->has_guid = reply.has_guid;
    memcpy(out->guid, reply.guid, KV_GUID_SIZE);
    kv_answer_schema_clear(&reply);
    remember_id(reg, args->subject, out, args->schema, &response, true);
  }
  kv_http_response_clear(&response);
  return err;
}

static bool has_version(const kv_cache_value_t *value) {
  return value->version > 0;
}

static kavro_err_t schema_call(kavro_registry_t *reg,
                               const kv_schema_args_t *args, bool lookup,
                               kv_cache_value_t *value, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !valid_subject(args->subject) || !args->schema ||
      (args->ref_count && !args->refs))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  /* Keyed on identity, not the canonical fingerprint: schemas that differ
   * only in a default are different schemas to the registry.  Lookups and
   * registrations have keys of their own, so that a registration never
   * waits on a concurrent lookup's flight and takes its "not found";
   * a normalized lookup may find what a plain one does not. */
  kv_cache_key_t key = {args->subject, lookup ? (args->normalize ? 2 : 0) : 1,
                        kv_schema_identity(args->schema)};
  return cached(reg, reg->by_schema, lookup ? &reg->missing_schema : NULL,
                &key, -1, lookup ? has_version : NULL,
                lookup ? fetch_lookup : fetch_register, args, value, error);
}

kavro_err_t kavro_registry_register(kavro_registry_t *reg, const char *subject,
                                    const kavro_schema_t *schema,
                                    const kavro_schema_ref_t *refs,
                                    size_t ref_count, bool normalize, int32_t *idp,
                                    kavro_error_t *error) {
  kv_schema_args_t args = {subject, schema, refs, ref_count, normalize};
  kv_cache_value_t value = {0};
  kavro_err_t err = schema_call(reg, &args, false, &value, error);
  if (err == KAVRO_OK && idp)
    *idp = value.id;
  return err;
}

kavro_err_t kavro_registry_lookup(kavro_registry_t *reg, const char *subject,
                                  const kavro_schema_t *schema,
                                  const kavro_schema_ref_t *refs,
                                  size_t ref_count, bool normalize, int32_t *idp,
                                  int *versionp, kavro_error_t *error) {
  kv_schema_args_t args = {subject, schema, refs, ref_count, normalize};
  kv_cache_value_t value = {0};
  kavro_err_t err = schema_call(reg, &args, true, &value, error);
  if (err != KAVRO_OK)
    return err;
  if (idp)
    *idp = value.id;
  if (versionp)
    *versionp = value.version;
  return KAVRO_OK;
}

/* ---- listings and deletes ------------------------------------------------ */

kavro_err_t kavro_registry_versions(kavro_registry_t *reg, const char *subject,
                                    bool deleted, int **versionsp,
                                    size_t *countp, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !valid_subject(subject) || !versionsp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  *versionsp = NULL;
  *countp = 0;
  kv_strbuf_t path = KV_STRBUF_INIT;
  subject_path(&path, "/subjects/", subject, "/versions");
  kv_http_response_t response;
  kavro_err_t err =
      call(reg, KAVRO_REGISTRY_EP_VERSIONS, "GET", &path,
           deleted ? "deleted=true" : NULL, NULL, &response, error);
  kv_strbuf_free(&path);
  if (err == KAVRO_OK) {
    err = kv_answer_int_array(response.body, response.body_length, versionsp,
                              countp, error);
    kv_http_response_clear(&response);
  }
  return err;
}

kavro_err_t kavro_registry_subjects(kavro_registry_t *reg, bool deleted,
                                    char ***subjectsp, size_t *countp,
                                    kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !subjectsp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  *subjectsp = NULL;
  *countp = 0;
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/subjects");
  kv_http_response_t response;
  kavro_err_t err =
      call(reg, KAVRO_REGISTRY_EP_SUBJECTS, "GET", &path,
           deleted ? "deleted=true" : NULL, NULL, &response, error);
  kv_strbuf_free(&path);
  if (err == KAVRO_OK) {
    err = kv_answer_string_array(response.body, response.body_length, subjectsp,
                                 countp, error);
    kv_http_response_clear(&response);
  }
  return err;
}

kavro_err_t kavro_registry_delete_subject(kavro_registry_t *reg,
                                          const char *subject, bool permanent,
                                          int **versionsp, size_t *countp,
                                          kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !valid_subject(subject))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  kv_strbuf_t path = KV_STRBUF_INIT;
  subject_path(&path, "/subjects/", subject, "");
  kv_http_response_t response;
  kavro_err_t err =
      call(reg, KAVRO_REGISTRY_EP_DELETE_SUBJECT, "DELETE", &path,
           permanent ? "permanent=true" : NULL, NULL, &response, error);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK)
    return err;
  forget_subject(reg, subject);
  int *versions = NULL;
  size_t count = 0;
  err = kv_answer_int_array(response.body, response.body_length, &versions,
                            &count, error);
  kv_http_response_clear(&response);
  if (err == KAVRO_OK && versionsp) {
    *versionsp = versions;
    versions = NULL;
  }
  if (err == KAVRO_OK && countp)
    *countp = count;
  free(versions);
  return err;
}

kavro_err_t kavro_registry_delete_version(kavro_registry_t *reg,
                                          const char *subject, int version,
                                          bool permanent, int *deletedp,
                                          kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !valid_subject(subject) ||
      (version < 1 && version != KAVRO_REGISTRY_LATEST))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL or empty argument, or version below 1");
  kv_strbuf_t path = KV_STRBUF_INIT;
  subject_path(&path, "/subjects/", subject, "/versions/");
  version_segment(&path, version);
  kv_http_response_t response;
  kavro_err_t err =
      call(reg, KAVRO_REGISTRY_EP_DELETE_VERSION, "DELETE", &path,
           permanent ? "permanent=true" : NULL, NULL, &response, error);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK)
    return err;
  forget_subject(reg, subject);
  int deleted = 0;
  err = kv_answer_int(response.body, response.body_length, &deleted, error);
  kv_http_response_clear(&response);
  if (err == KAVRO_OK && deletedp)
    *deletedp = deleted;
  return err;
}

/* ---- config and mode ----------------------------------------------------- */

/* "/config" or "/config/{subject}". */
static void scoped_path(kv_strbuf_t *sb, const char *root,
                        const char *subject) {
  kv_strbuf_puts(sb, root);
  if (subject) {
    kv_strbuf_putc(sb, '/');
    kv_path_segment(sb, subject);
  }
}

typedef struct kv_level_args_s {
  const char *subject;
  bool default_to_global;
} kv_level_args_t;

static kavro_err_t fetch_level(kavro_registry_t *reg, const void *opaque,
                               kv_cache_value_t *out, kavro_error_t *error) {
  const kv_level_args_t *args = opaque;
  kv_strbuf_t path = KV_STRBUF_INIT;
  scoped_path(&path, "/config", args->subject);
  kv_http_response_t response;
  kavro_err_t err =
      call(reg, KAVRO_REGISTRY_EP_CONFIG, "GET", &path,
           args->default_to_global ? "defaultToGlobal=true" : NULL, NULL,
           &response, error);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK)
    return err;
  err = kv_answer_name(response.body, response.body_length,
                       "compatibilityLevel", "compatibility", out->name, error);
  kv_http_response_clear(&response);
  return err;
}

static bool valid_scope(const char *subject) { return !subject || *subject; }

kavro_err_t kavro_registry_get_level(kavro_registry_t *reg, const char *subject,
                                     bool default_to_global, char *level,
                                     kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !level || !valid_scope(subject))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  kv_level_args_t args = {subject, default_to_global};
  kv_cache_key_t key = {subject ? subject : "", default_to_global, NULL};
  kv_cache_value_t value = {0};
  kavro_err_t err = cached(reg, reg->levels, NULL, &key, reg->level_ttl_ms,
                           NULL, fetch_level, &args, &value, error);
  if (err == KAVRO_OK)
    strcpy(level, value.name);
  return err;
}

/* PUT {"@member": @value} to @root[/subject]; the reply must echo a name. */
static kavro_err_t put_name(kavro_registry_t *reg, kavro_registry_endpoint_t ep,
                            const char *root, const char *subject,
                            const char *member, const char *value,
                            kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !value || !valid_scope(subject))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  json_t *body_json = json_pack("{s:s}", member, value);
  char *body = body_json ? json_dumps(body_json, JSON_COMPACT) : NULL;
  json_decref(body_json);
  if (!body)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kv_strbuf_t path = KV_STRBUF_INIT;
  scoped_path(&path, root, subject);
  kv_http_response_t response;
  kavro_err_t err = call(reg, ep, "PUT", &path, NULL, body, &response, error);
  kv_strbuf_free(&path);
  free(body);
  if (err != KAVRO_OK)
    return err;
  char echoed[KAVRO_REGISTRY_NAME_SIZE];
  err = kv_answer_name(response.body, response.body_length, member, NULL,
                       echoed, error);
  kv_http_response_clear(&response);
  return err;
}

static void forget_levels(kavro_registry_t *reg, const char *subject) {
  /* A global change reaches every subject that defaults to it. */
  if (subject)
    kv_cache_remove_str(reg->levels, subject);
  else
    kv_cache_clear(reg->levels);
}

kavro_err_t kavro_registry_set_level(kavro_registry_t *reg, const char *subject,
                                     const char *level, kavro_error_t *error) {
  kavro_err_t err = put_name(reg, KAVRO_REGISTRY_EP_CONFIG, "/config", subject,
                             "compatibility", level, error);
  if (err == KAVRO_OK)
    forget_levels(reg, subject);
  return err;
}

kavro_err_t kavro_registry_delete_level(kavro_registry_t *reg,
                                        const char *subject,
                                        kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !valid_subject(subject))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  kv_strbuf_t path = KV_STRBUF_INIT;
  scoped_path(&path, "/config", subject);
  kv_http_response_t response;
  kavro_err_t err = call(reg, KAVRO_REGISTRY_EP_CONFIG, "DELETE", &path, NULL,
                         NULL, &response, error);
  kv_strbuf_free(&path);
  if (err == KAVRO_OK) {
    kv_http_response_clear(&response);
    forget_levels(reg, subject);
  }
  return err;
}

kavro_err_t kavro_registry_get_mode(kavro_registry_t *reg, const char *subject,
                                    char *mode, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !mode || !valid_scope(subject))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  kv_strbuf_t path = KV_STRBUF_INIT;
  scoped_path(&path, "/mode", subject);
  kv_http_response_t response;
  kavro_err_t err = call(reg, KAVRO_REGISTRY_EP_MODE, "GET", &path, NULL, NULL,
                         &response, error);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK)
    return err;
  err = kv_answer_name(response.body, response.body_length, "mode", NULL, mode,
                       error);
  kv_http_response_clear(&response);
  return err;
}

kavro_err_t kavro_registry_set_mode(kavro_registry_t *reg, const char *subject,
                                    const char *mode, kavro_error_t *error) {
  return put_name(reg, KAVRO_REGISTRY_EP_MODE, "/mode", subject, "mode", mode,
                  error);
}

/* ---- the registry's own compatibility test ------------------------------ */

kavro_err_t kavro_registry_test_compatibility(
    kavro_registry_t *reg, const char *subject, int version,
    const kavro_schema_t *schema, const kavro_schema_ref_t *refs,
    size_t ref_count, bool *compatiblep, char ***messagesp, size_t *countp,
    kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !valid_subject(subject) || !schema || !compatiblep ||
      (messagesp && !countp) || (ref_count && !refs) ||
      (version < 1 && version != KAVRO_REGISTRY_LATEST))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL or empty argument, or version below 1");
  char *body = NULL;
  kavro_err_t err = schema_body(schema, refs, ref_count, &body, error);
  if (err != KAVRO_OK)
    return err;
  kv_strbuf_t path = KV_STRBUF_INIT;
  subject_path(&path, "/compatibility/subjects/", subject, "/versions/");
  version_segment(&path, version);
  kv_http_response_t response;
  err = call(reg, KAVRO_REGISTRY_EP_COMPATIBILITY, "POST", &path,
             "verbose=true", body, &response, error);
  kv_strbuf_free(&path);
  free(body);
  if (err != KAVRO_OK)
    return err;
  err = kv_answer_compatibility(response.body, response.body_length,
                                compatiblep, messagesp, countp, error);
  kv_http_response_clear(&response);
  for (size_t i = 0; err == KAVRO_OK && messagesp && i < *countp; i++)
    kv_transport_scrub(reg->transport, (*messagesp)[i]);
  return err;
}

/* ---- for registry_contract.c --------------------------------------------- */

kavro_err_t kv_registry_call(kavro_registry_t *reg,
                             kavro_registry_endpoint_t ep, const char *method,
                             kv_strbuf_t *path, const char *query,
                             const char *body, kv_http_response_t *response,
                             kavro_error_t *error) {
  return call(reg, ep, method, path, query, body, response, error);
}

kavro_err_t kv_registry_schema_body(const kavro_schema_t *schema,
                                    const kavro_schema_ref_t *refs,
                                    size_t ref_count, char **bodyp,
                                    kavro_error_t *error) {
  return schema_body(schema, refs, ref_count, bodyp, error);
}

kavro_err_t kv_registry_parse_schema(kavro_registry_t *reg,
                                     const kv_answer_schema_t *reply,
                                     const char *label, kavro_schema_t **out,
                                     kavro_error_t *error) {
  return parse_with_refs(reg, reply, NULL, label, out, error);
}

kavro_err_t kv_registry_cached_latest(kavro_registry_t *reg,
                                      const kv_cache_key_t *key,
                                      kv_fetch_fn fetch, const void *args,
                                      kv_cache_value_t *out,
                                      kavro_error_t *error) {
  return cached(reg, reg->latest, NULL, key, reg->latest_ttl_ms, NULL, fetch,
                args, out, error);
}

void kv_registry_forget_latest(kavro_registry_t *reg, const char *subject) {
  kv_cache_remove_str(reg->latest, subject);
}

void kv_registry_forget_levels(kavro_registry_t *reg, const char *subject) {
  forget_levels(reg, subject);
}

/* ---- for registry_dek.c -------------------------------------------------- */

static kv_cache_t *key_cache(kavro_registry_t *reg, kv_key_cache_t which) {
  return which == KV_KEK_CACHE ? reg->keks : reg->deks;
}

kavro_err_t kv_registry_cached_key(kavro_registry_t *reg, kv_key_cache_t which,
                                   const kv_cache_key_t *key, bool mutable_,
                                   kv_fetch_fn fetch, const void *args,
                                   kv_cache_value_t *out,
                                   kavro_error_t *error) {
  return cached(reg, key_cache(reg, which), NULL, key,
                mutable_ ? reg->latest_ttl_ms : -1, NULL, fetch, args, out,
                error);
}

void kv_registry_key_put(kavro_registry_t *reg, kv_key_cache_t which,
                         const kv_cache_key_t *key,
                         const kv_cache_value_t *value) {
  kv_cache_put(key_cache(reg, which), key, value, 0);
}

void kv_registry_key_forget(kavro_registry_t *reg, kv_key_cache_t which,
                            const kv_cache_key_t *key, bool every_num) {
  if (every_num)
    kv_cache_remove_str(key_cache(reg, which), key->str);
  else
    kv_cache_remove(key_cache(reg, which), key);
}
