/*
 * kavro - the registry client's data contracts: schema metadata and rule
 * sets sent with registrations and lookups and read from replies, the
 * latest version with given metadata, and the whole config.
 *
 * Contracts are JSON; the client hands them on as compact text with sorted
 * keys, which the rules part (and any caller) parses as it needs.  Replies
 * are untrusted: a contract that is not an object is a malformed reply.
 */
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "common_strbuf_int.h"
#include "registry_int.h"
#include "registry_serde_int.h"

struct kavro_schema_info_s {
  kavro_schema_t *schema;
  int32_t id;
  int version;
  char *metadata; /* compact, sorted JSON text, or NULL */
  char *rule_set;
};

kavro_schema_t *kavro_schema_info_schema(const kavro_schema_info_t *info) {
  return info ? info->schema : NULL;
}

int32_t kavro_schema_info_id(const kavro_schema_info_t *info) {
  return info ? info->id : 0;
}

int kavro_schema_info_version(const kavro_schema_info_t *info) {
  return info ? info->version : 0;
}

const char *kavro_schema_info_metadata(const kavro_schema_info_t *info) {
  return info ? info->metadata : NULL;
}

const char *kavro_schema_info_rule_set(const kavro_schema_info_t *info) {
  return info ? info->rule_set : NULL;
}

void kavro_schema_info_destroy(kavro_schema_info_t *info) {
  if (!info)
    return;
  kavro_schema_destroy(info->schema);
  free(info->metadata);
  free(info->rule_set);
  free(info);
}

/* ---- replies ------------------------------------------------------------- */

/* Member @name of @root as sorted compact text in *@textp (NULL when
 * absent or null).  KAVRO_ERR_BAD_RESPONSE when it is not an object. */
static kavro_err_t contract_text(const json_t *root, const char *name,
                                 char **textp, kavro_error_t *error) {
  const json_t *value = json_object_get(root, name);
  *textp = NULL;
  if (!value || json_is_null(value))
    return KAVRO_OK;
  if (!json_is_object(value))
    return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                        "malformed registry reply: \"%s\" is not an object",
                        name);
  *textp = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
  return *textp ? KAVRO_OK
                : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

/* The contract of the reply @body into @info. */
static kavro_err_t read_contract(const kv_http_response_t *response,
                                 kavro_schema_info_t *info,
                                 kavro_error_t *error) {
  json_error_t jerr;
  json_t *root = json_loadb(response->body ? response->body : "",
                            response->body_length, JSON_REJECT_DUPLICATES, &jerr);
  if (!root || !json_is_object(root)) {
    json_decref(root);
    return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                        "malformed registry reply: not a JSON object");
  }
  kavro_err_t err = contract_text(root, "metadata", &info->metadata, error);
  if (err == KAVRO_OK)
    err = contract_text(root, "ruleSet", &info->rule_set, error);
  json_decref(root);
  return err;
}

/* A version reply (lookup, /metadata): the schema parsed with its
 * references, id, version and contract. */
static kavro_err_t version_info(kavro_registry_t *reg,
                                const kv_http_response_t *response,
                                const char *subject, kavro_schema_info_t *info,
                                kavro_error_t *error) {
  kv_answer_schema_t reply;
  kavro_err_t err = kv_answer_schema(response->body, response->body_length,
                                     true, &reply, error);
  if (err != KAVRO_OK)
    return err;
  info->id = reply.id;
  info->version = reply.version;
  char label[KAVRO_ERROR_SOURCE_LENGTH];
  snprintf(label, sizeof(label), "registry subject %.180s version %d", subject,
           reply.version);
  err = kv_registry_parse_schema(reg, &reply, label, &info->schema, error);
  kv_answer_schema_clear(&reply);
  return err == KAVRO_OK ? read_contract(response, info, error) : err;
}

/* ---- contracts kept by the caches ------------------------------------- */

kv_contract_t *kv_contract_ref(kv_contract_t *contract) {
  if (contract)
    atomic_fetch_add_explicit(&contract->refs, 1, memory_order_relaxed);
  return contract;
}

void kv_contract_unref(kv_contract_t *contract) {
  if (!contract ||
      atomic_fetch_sub_explicit(&contract->refs, 1, memory_order_acq_rel) != 1)
    return;
  free(contract->metadata);
  free(contract->rule_set);
  free(contract);
}

kavro_err_t kv_contract_read(const char *body, size_t length,
                             kv_contract_t **contractp, kavro_error_t *error) {
  kv_http_response_t response = {0};
  response.body = (char *)body;
  response.body_length = length;
  kavro_schema_info_t parts = {0};
  *contractp = NULL;
  kavro_err_t err = read_contract(&response, &parts, error);
  if (err != KAVRO_OK || (!parts.metadata && !parts.rule_set))
    return err;
  kv_contract_t *contract = calloc(1, sizeof(*contract));
  if (!contract) {
    free(parts.metadata);
    free(parts.rule_set);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  atomic_init(&contract->refs, 1);
  contract->metadata = parts.metadata;
  contract->rule_set = parts.rule_set;
  *contractp = contract;
  return KAVRO_OK;
}

bool kv_reply_has(const char *body, size_t length, const char *name) {
  json_t *root = json_loadb(body ? body : "", length, 0, NULL);
  bool has = json_is_object(root) && json_object_get(root, name);
  json_decref(root);
  return has;
}

static char *dup_or_null(const char *text, bool *failed) {
  char *copy = text ? strdup(text) : NULL;
  if (text && !copy)
    *failed = true;
  return copy;
}

kavro_err_t kv_schema_info_from(const kv_cache_value_t *value,
                                kavro_schema_info_t **infop,
                                kavro_error_t *error) {
  kavro_schema_info_t *info = calloc(1, sizeof(*info));
  bool failed = !info;
  if (info && value->contract) {
    info->metadata = dup_or_null(value->contract->metadata, &failed);
    info->rule_set = dup_or_null(value->contract->rule_set, &failed);
  }
  if (failed) {
    kavro_schema_info_destroy(info);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  info->schema = kavro_schema_dup(value->schema);
  info->id = value->id;
  info->version = value->version;
  *infop = info;
  return KAVRO_OK;
}

/* ---- requests ------------------------------------------------------------ */

/* Parse @text (a JSON object) into member @name of @body. */
static kavro_err_t add_member(json_t *body, const char *name, const char *text,
                              kavro_error_t *error) {
  if (!text)
    return KAVRO_OK;
  json_error_t jerr;
  json_t *value = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object(value)) {
    json_decref(value);
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the %s is not a JSON object", name);
  }
  return json_object_set_new(body, name, value) == 0
             ? KAVRO_OK
             : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

/* The body of a registration or lookup with @contract. */
static kavro_err_t contract_body(const kavro_schema_t *schema,
                                 const kavro_schema_ref_t *refs,
                                 size_t ref_count,
                                 const kavro_schema_contract_t *contract,
                                 char **bodyp, kavro_error_t *error) {
  char *plain = NULL;
  kavro_err_t err = kv_registry_schema_body(schema, refs, ref_count, &plain, error);
  if (err != KAVRO_OK || !contract)
    return *bodyp = plain, err;
  json_t *body = json_loads(plain, 0, NULL);
  free(plain);
  if (!body)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  err = add_member(body, "metadata", contract->metadata, error);
  if (err == KAVRO_OK)
    err = add_member(body, "ruleSet", contract->rule_set, error);
  if (err == KAVRO_OK && !(*bodyp = json_dumps(body, JSON_COMPACT)))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  json_decref(body);
  return err;
}

static bool valid_name(const char *subject) { return subject && *subject; }

static kavro_err_t post_contract(kavro_registry_t *reg, bool lookup,
                                 const char *subject,
                                 const kavro_schema_t *schema,
                                 const kavro_schema_ref_t *refs,
                                 size_t ref_count, bool normalize,
                                 const kavro_schema_contract_t *contract,
                                 kavro_schema_info_t **infop,
                                 kavro_error_t *error) {
  kv_error_clear(error);
  if (infop)
    *infop = NULL;
  if (!reg || !valid_name(subject) || !schema || !infop ||
      (ref_count && !refs))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  char *body = NULL;
  kavro_err_t err = contract_body(schema, refs, ref_count, contract, &body, error);
  kavro_schema_info_t *info = calloc(1, sizeof(*info));
  if (err == KAVRO_OK && !info)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/subjects/");
  kv_path_segment(&path, subject);
  kv_strbuf_puts(&path, lookup ? "" : "/versions");
  kv_http_response_t response;
  if (err == KAVRO_OK)
    err = kv_registry_call(reg, lookup ? KAVRO_REGISTRY_EP_LOOKUP
                                       : KAVRO_REGISTRY_EP_REGISTER,
                           "POST", &path, normalize ? "normalize=true" : NULL,
                           body, &response, error);
  kv_strbuf_free(&path);
  free(body);
  if (err == KAVRO_OK) {
    if (lookup) {
      err = version_info(reg, &response, subject, info, error);
    } else {
      int id = 0;
      err = kv_answer_id(response.body, response.body_length, &id, NULL, NULL,
                         error);
      info->id = id;
      if (err == KAVRO_OK)
        err = read_contract(&response, info, error);
      if (err == KAVRO_OK) {
        json_t *root = json_loadb(response.body, response.body_length, 0, NULL);
        json_int_t version = json_integer_value(json_object_get(root, "version"));
        info->version = version > 0 && version <= INT32_MAX ? (int)version : 0;
        json_decref(root);
        info->schema = kavro_schema_dup((kavro_schema_t *)schema);
        kv_registry_forget_latest(reg, subject);
      }
    }
    kv_http_response_clear(&response);
  }
  if (err != KAVRO_OK) {
    kavro_schema_info_destroy(info);
    return err;
  }
  *infop = info;
  return KAVRO_OK;
}

kavro_err_t kavro_registry_register_contract(
    kavro_registry_t *reg, const char *subject, const kavro_schema_t *schema,
    const kavro_schema_ref_t *refs, size_t ref_count, bool normalize,
    const kavro_schema_contract_t *contract, kavro_schema_info_t **infop,
    kavro_error_t *error) {
  return post_contract(reg, false, subject, schema, refs, ref_count, normalize,
                       contract, infop, error);
}

kavro_err_t kavro_registry_lookup_contract(
    kavro_registry_t *reg, const char *subject, const kavro_schema_t *schema,
    const kavro_schema_ref_t *refs, size_t ref_count, bool normalize,
    const kavro_schema_contract_t *contract, kavro_schema_info_t **infop,
    kavro_error_t *error) {
  return post_contract(reg, true, subject, schema, refs, ref_count, normalize,
                       contract, infop, error);
}

/* A latest-with-metadata question, prepared once (kv_metadata_query_new()):
 * a warm lookup then builds no string and allocates nothing. */
struct kv_metadata_query_s {
  char *query; /* "key=..&value=..", with "deleted=true" first when asked */
  /* The cache key's digest of @query: each question is cached as the
   * latest version is, keyed by the subject and it (number -1). */
  unsigned char digest[SHA256_DIGEST_LENGTH];
};

kavro_err_t kv_metadata_query_new(const char *const *keys,
                                  const char *const *values, size_t count,
                                  bool deleted, kv_metadata_query_t **qp,
                                  kavro_error_t *error) {
  *qp = NULL;
  if (count && (!keys || !values))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL keys or values");
  kv_strbuf_t query = KV_STRBUF_INIT;
  kv_strbuf_puts(&query, deleted ? "deleted=true" : "");
  for (size_t i = 0; i < count; i++) {
    if (!keys[i] || !values[i]) {
      kv_strbuf_free(&query);
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL key or value");
    }
    kv_strbuf_puts(&query, query.length ? "&key=" : "key=");
    kv_query_value(&query, keys[i]);
    kv_strbuf_puts(&query, "&value=");
    kv_query_value(&query, values[i]);
  }
  kv_metadata_query_t *q = calloc(1, sizeof(*q));
  if (q)
    q->query = kv_strbuf_steal(&query); /* "" for an empty question */
  kv_strbuf_free(&query);
  if (!q || !q->query) {
    kv_metadata_query_destroy(q);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  SHA256((const unsigned char *)q->query, strlen(q->query), q->digest);
  *qp = q;
  return KAVRO_OK;
}

void kv_metadata_query_destroy(kv_metadata_query_t *q) {
  if (!q)
    return;
  free(q->query);
  free(q);
}

typedef struct kv_metadata_args_s {
  const char *subject;
  const char *query; /* NULL: none */
} kv_metadata_args_t;

/* GET /subjects/{s}/metadata?..: the version into @out.  The path is
 * built here, on a miss, so that a hit builds nothing. */
static kavro_err_t fetch_metadata(kavro_registry_t *reg, const void *opaque,
                                  kv_cache_value_t *out, kavro_error_t *error) {
  const kv_metadata_args_t *args = opaque;
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/subjects/");
  kv_path_segment(&path, args->subject);
  kv_strbuf_puts(&path, "/metadata");
  if (kv_strbuf_failed(&path)) {
    kv_strbuf_free(&path);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  kv_http_response_t response;
  kavro_err_t err = kv_registry_call(reg, KAVRO_REGISTRY_EP_VERSION, "GET",
                                     &path, args->query, NULL, &response,
                                     error);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK)
    return err;
  kavro_schema_info_t info = {0};
  err = version_info(reg, &response, args->subject, &info, error);
  kv_http_response_clear(&response);
  kv_contract_t *contract = NULL;
  if (err == KAVRO_OK && (info.metadata || info.rule_set)) {
    if (!(contract = calloc(1, sizeof(*contract))))
      err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    else {
      atomic_init(&contract->refs, 1);
      contract->metadata = info.metadata;
      contract->rule_set = info.rule_set;
      info.metadata = info.rule_set = NULL;
    }
  }
  if (err == KAVRO_OK) {
    out->schema = info.schema;
    out->id = info.id;
    out->version = info.version;
    out->contract = contract;
    out->has_contract = true;
  } else {
    kavro_schema_destroy(info.schema);
  }
  free(info.metadata);
  free(info.rule_set);
  return err;
}

kavro_err_t kv_registry_latest_with_metadata_prepared(
    kavro_registry_t *reg, const char *subject, const kv_metadata_query_t *q,
    kavro_schema_t **schemap, kavro_schema_info_t **infop,
    kavro_error_t *error) {
  kv_cache_key_t key = {subject, -1, q->digest};
  kv_metadata_args_t args = {subject, q->query[0] ? q->query : NULL};
  kv_cache_value_t value = {0};
  kavro_err_t err = kv_registry_cached_latest(reg, &key, fetch_metadata, &args,
                                              &value, error);
  if (err == KAVRO_OK && infop)
    err = kv_schema_info_from(&value, infop, error);
  if (err == KAVRO_OK && schemap) {
    *schemap = value.schema; /* the reference moves to the caller */
    value.schema = NULL;
  }
  kv_cache_value_clear(&value);
  return err;
}

kavro_err_t kavro_registry_latest_with_metadata(
    kavro_registry_t *reg, const char *subject, const char *const *keys,
    const char *const *values, size_t count, bool deleted,
    kavro_schema_info_t **infop, kavro_error_t *error) {
  kv_error_clear(error);
  if (infop)
    *infop = NULL;
  if (!reg || !valid_name(subject) || !infop)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  kv_metadata_query_t *q;
  kavro_err_t err =
      kv_metadata_query_new(keys, values, count, deleted, &q, error);
  if (err == KAVRO_OK)
    err = kv_registry_latest_with_metadata_prepared(reg, subject, q, NULL,
                                                    infop, error);
  kv_metadata_query_destroy(q);
  return err;
}

/* ---- the config ---------------------------------------------------------- */

/* The reply as JSON object text in *@textp (a copy). */
static kavro_err_t object_text(const kv_http_response_t *response, char **textp,
                               kavro_error_t *error) {
  json_t *root = json_loadb(response->body ? response->body : "",
                            response->body_length, JSON_REJECT_DUPLICATES, NULL);
  kavro_err_t err = KAVRO_OK;
  if (!json_is_object(root))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "malformed registry reply: the config is not an object");
  else if (!(*textp = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS)))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  json_decref(root);
  return err;
}

static void config_path(kv_strbuf_t *path, const char *subject) {
  kv_strbuf_puts(path, "/config");
  if (subject) {
    kv_strbuf_putc(path, '/');
    kv_path_segment(path, subject);
  }
}

kavro_err_t kavro_registry_get_config(kavro_registry_t *reg,
                                      const char *subject,
                                      bool default_to_global, char **jsonp,
                                      kavro_error_t *error) {
  kv_error_clear(error);
  if (jsonp)
    *jsonp = NULL;
  if (!reg || !jsonp || (subject && !*subject))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  kv_strbuf_t path = KV_STRBUF_INIT;
  config_path(&path, subject);
  kv_http_response_t response;
  kavro_err_t err = kv_registry_call(
      reg, KAVRO_REGISTRY_EP_CONFIG, "GET", &path,
      default_to_global ? "defaultToGlobal=true" : NULL, NULL, &response, error);
  kv_strbuf_free(&path);
  if (err == KAVRO_OK) {
    err = object_text(&response, jsonp, error);
    kv_http_response_clear(&response);
  }
  return err;
}

kavro_err_t kavro_registry_put_config(kavro_registry_t *reg,
                                      const char *subject, const char *json,
                                      char **answerp, kavro_error_t *error) {
  kv_error_clear(error);
  if (answerp)
    *answerp = NULL;
  if (!reg || !json || (subject && !*subject))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL or empty argument");
  json_t *body = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
  bool object = json_is_object(body);
  json_decref(body);
  if (!object)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the config is not a JSON object");
  kv_strbuf_t path = KV_STRBUF_INIT;
  config_path(&path, subject);
  kv_http_response_t response;
  kavro_err_t err = kv_registry_call(reg, KAVRO_REGISTRY_EP_CONFIG, "PUT", &path,
                                     NULL, json, &response, error);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK)
    return err;
  kv_registry_forget_levels(reg, subject);
  char *answer = NULL;
  err = object_text(&response, &answer, error);
  kv_http_response_clear(&response);
  if (err == KAVRO_OK && answerp)
    *answerp = answer;
  else
    free(answer);
  return err;
}
