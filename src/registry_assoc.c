/*
 * kavro - the registry client's contexts and topic-subject associations:
 * GET /contexts and the /associations endpoints of Confluent Platform 8.1+
 * and Confluent Cloud: list, create (with dryRun), upsert, delete, and the
 * batch get and mutate; and the ids a schema GUID has per context.
 * Nothing here is cached: the serializers' AssociatedNameStrategy keeps
 * its own answers.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "common_strbuf_int.h"
#include "common_text_int.h"
#include "registry_int.h"
#include "schema_int.h"

/* Bound on the associations one reply may list. */
#define MAX_ASSOCIATIONS 100000u

static kavro_err_t request(kavro_registry_t *reg, kavro_registry_endpoint_t ep,
                           const char *method, kv_strbuf_t *path,
                           kv_strbuf_t *query, const char *body,
                           kv_http_response_t *response, kavro_error_t *error) {
  if (kv_strbuf_failed(path) || (query && kv_strbuf_failed(query)))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kv_call_t c = {ep, method, path->data,
                 query && query->length ? query->data : NULL, body};
  return kv_transport_call(kv_registry_transport(reg), &c, response, error);
}

kavro_err_t kavro_registry_contexts(kavro_registry_t *reg, char ***contextsp,
                                    size_t *countp, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !contextsp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  *contextsp = NULL;
  *countp = 0;
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/contexts");
  kv_http_response_t response;
  kavro_err_t err = request(reg, KAVRO_REGISTRY_EP_CONTEXTS, "GET", &path,
                            NULL, NULL, &response, error);
  kv_strbuf_free(&path);
  if (err == KAVRO_OK) {
    err = kv_answer_string_array(response.body, response.body_length,
                                 contextsp, countp, error);
    kv_http_response_clear(&response);
  }
  return err;
}

void kavro_context_ids_destroy(kavro_context_id_t *ids, size_t count) {
  for (size_t i = 0; ids && i < count; i++)
    free(ids[i].context);
  free(ids);
}

/* The reply of GET /schemas/guids/{guid}/ids: [{"context", "id"}...]. */
static kavro_err_t read_context_ids(const char *body, size_t length,
                                    kavro_context_id_t **idsp, size_t *countp,
                                    kavro_error_t *error) {
  json_t *root = json_loadb(body, length, JSON_REJECT_DUPLICATES, NULL);
  size_t count = json_is_array(root) ? json_array_size(root) : 0;
  bool ok = json_is_array(root) && count <= MAX_ASSOCIATIONS;
  kavro_context_id_t *ids = ok ? calloc(count ? count : 1, sizeof(*ids)) : NULL;
  bool nomem = ok && !ids;
  for (size_t i = 0; ids && ok && i < count; i++) {
    json_t *item = json_array_get(root, i);
    json_t *context = json_object_get(item, "context");
    json_t *id = json_object_get(item, "id");
    ok = json_is_string(context) && json_is_integer(id) &&
         json_integer_value(id) >= 1 && json_integer_value(id) <= INT32_MAX;
    if (ok && !(ids[i].context = strdup(json_string_value(context))))
      ok = !(nomem = true);
    if (ok)
      ids[i].id = (int32_t)json_integer_value(id);
  }
  json_decref(root);
  if (!ok || nomem) {
    kavro_context_ids_destroy(ids, count);
    return nomem ? kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory")
                 : kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                                "malformed registry reply: not a list of "
                                "context ids");
  }
  *idsp = ids;
  *countp = count;
  return KAVRO_OK;
}

kavro_err_t kavro_registry_ids_by_guid(kavro_registry_t *reg,
                                       const unsigned char guid[16],
                                       kavro_context_id_t **idsp,
                                       size_t *countp, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !guid || !idsp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  *idsp = NULL;
  *countp = 0;
  char text[KV_GUID_TEXT_SIZE];
  kv_guid_format(guid, text);
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_printf(&path, "/schemas/guids/%s/ids", text);
  kv_http_response_t response;
  kavro_err_t err = request(reg, KV_EP_UNCOUNTED, "GET", &path, NULL, NULL,
                            &response, error);
  kv_strbuf_free(&path);
  if (err == KAVRO_OK) {
    err = read_context_ids(response.body, response.body_length, idsp, countp,
                           error);
    kv_http_response_clear(&response);
  }
  return err;
}

kavro_err_t kavro_registry_delete_context(kavro_registry_t *reg,
                                          const char *context,
                                          kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !context || !*context)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or empty context");
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/contexts/");
  kv_path_segment(&path, context);
  kv_http_response_t response;
  kavro_err_t err = request(reg, KAVRO_REGISTRY_EP_CONTEXTS, "DELETE", &path,
                            NULL, NULL, &response, error);
  kv_strbuf_free(&path);
  if (err == KAVRO_OK)
    kv_http_response_clear(&response);
  return err;
}

/* ---- associations -------------------------------------------------------- */

static void association_clear(kavro_association_t *a) {
  free(a->subject);
  free(a->resource_name);
  free(a->resource_namespace);
  free(a->resource_id);
  free(a->resource_type);
  free(a->association_type);
  free(a->lifecycle);
}

void kavro_associations_destroy(kavro_association_t *list, size_t count) {
  for (size_t i = 0; list && i < count; i++)
    association_clear(&list[i]);
  free(list);
}

/* A copy of the string member @key of @object, or of @parent when @object
 * has none ("" when neither has it); NULL when it is not a string or
 * memory ran out (*@bad says which). */
static char *member_copy(const json_t *object, const json_t *parent,
                         const char *key, bool *bad) {
  const json_t *value = json_object_get(object, key);
  if (!value)
    value = json_object_get(parent, key);
  if (value && !json_is_string(value)) {
    *bad = true;
    return NULL;
  }
  return strdup(value ? json_string_value(value) : "");
}

/* One association of a reply: a listed Association, or an AssociationInfo
 * of a batch result whose resource members are its @parent's; false when
 * it is not one (or OOM).  A registry leaves "frozen" out where it is the
 * lifecycle's default: frozen for STRONG. */
static bool read_association(const json_t *item, const json_t *parent,
                             kavro_association_t *a, bool *bad) {
  if (!json_is_object(item) ||
      !json_is_string(json_object_get(item, "subject"))) {
    *bad = true;
    return false;
  }
  a->subject = member_copy(item, NULL, "subject", bad);
  a->resource_name = member_copy(item, parent, "resourceName", bad);
  a->resource_namespace = member_copy(item, parent, "resourceNamespace", bad);
  a->resource_id = member_copy(item, parent, "resourceId", bad);
  a->resource_type = member_copy(item, parent, "resourceType", bad);
  a->association_type = member_copy(item, NULL, "associationType", bad);
  a->lifecycle = member_copy(item, NULL, "lifecycle", bad);
  const json_t *frozen = json_object_get(item, "frozen");
  a->frozen = frozen ? json_is_true(frozen)
                     : a->lifecycle && strcmp(a->lifecycle, "STRONG") == 0;
  return a->subject && a->resource_name && a->resource_namespace &&
         a->resource_id && a->resource_type && a->association_type &&
         a->lifecycle;
}

static kavro_err_t malformed(kavro_error_t *error, bool bad) {
  return bad ? kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                            "malformed registry reply: an association "
                            "without a subject or with a member not a "
                            "string")
             : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

/* Read the associations of @array (NULL: none), each of @parent's
 * resource (NULL: its own). */
static kavro_err_t read_associations(const json_t *array, const json_t *parent,
                                     kavro_association_t **listp,
                                     size_t *countp, kavro_error_t *error) {
  if ((array && !json_is_array(array)) ||
      json_array_size(array) > MAX_ASSOCIATIONS)
    return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                        "malformed registry reply: not a list of at most %u "
                        "associations",
                        MAX_ASSOCIATIONS);
  size_t n = json_array_size(array);
  kavro_association_t *list = calloc(n ? n : 1, sizeof(*list));
  bool bad = false;
  size_t done = 0;
  while (
      list && done < n &&
      read_association(json_array_get(array, done), parent, &list[done], &bad))
    done++;
  if (!list || done < n) {
    kavro_associations_destroy(list, done < n ? done + 1 : done);
    return malformed(error, bad);
  }
  *listp = list;
  *countp = n;
  return KAVRO_OK;
}

/* Parse a list of associations. */
static kavro_err_t answer_associations(const char *body, size_t length,
                                       kavro_association_t **listp,
                                       size_t *countp, kavro_error_t *error) {
  json_error_t jerr;
  json_t *root = json_loadb(body, length, 0, &jerr);
  kavro_err_t err =
      json_is_array(root)
          ? read_associations(root, NULL, listp, countp, error)
          : kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                         "malformed registry reply: not a list of at most %u "
                         "associations",
                         MAX_ASSOCIATIONS);
  json_decref(root);
  return err;
}

kavro_err_t kavro_registry_associations(kavro_registry_t *reg,
                                        const char *namespace_,
                                        const char *name,
                                        const char *association_type,
                                        kavro_association_t **listp,
                                        size_t *countp, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !name || !*name || !listp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or empty resource name");
  *listp = NULL;
  *countp = 0;
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/associations/resources/");
  kv_path_segment(&path, namespace_ && *namespace_ ? namespace_ : "-");
  kv_strbuf_putc(&path, '/');
  kv_path_segment(&path, name);
  kv_strbuf_puts(&query, "resourceType=topic");
  if (association_type) {
    kv_strbuf_puts(&query, "&associationType=");
    kv_query_value(&query, association_type);
  }
  kv_http_response_t response;
  kavro_err_t err = request(reg, KAVRO_REGISTRY_EP_ASSOCIATIONS, "GET", &path,
                            &query, NULL, &response, error);
  kv_strbuf_free(&path);
  kv_strbuf_free(&query);
  if (err == KAVRO_OK) {
    err = answer_associations(response.body, response.body_length, listp,
                              countp, error);
    kv_http_response_clear(&response);
  }
  return err;
}

/* @spec as the registry's AssociationCreateOrUpdateInfo: the members
 * given, and a schema as a registration body.  NULL on OOM. */
static json_t *spec_json(const kavro_association_spec_t *spec) {
  json_t *info = json_object();
  bool ok = info != NULL;
  if (ok && spec->subject)
    ok = json_object_set_new(info, "subject", json_string(spec->subject)) == 0;
  if (ok && spec->association_type)
    ok = json_object_set_new(info, "associationType",
                             json_string(spec->association_type)) == 0;
  if (ok && spec->lifecycle)
    ok = json_object_set_new(info, "lifecycle",
                             json_string(spec->lifecycle)) == 0;
  if (ok && spec->schema)
    ok = json_object_set_new(info, "schema",
                             json_pack("{s:s, s:s}", "schemaType", "AVRO",
                                       "schema",
                                       kavro_schema_text(spec->schema))) == 0;
  if (!ok) {
    json_decref(info);
    return NULL;
  }
  return info;
}

/* The request body of a resource: its members (@resource_id NULL: none)
 * and @associations (stolen).  NULL on OOM or a string not UTF-8. */
static json_t *resource_json(const char *namespace_, const char *name,
                             const char *resource_id, json_t *associations) {
  json_t *root =
      associations ? json_pack("{s:s, s:s, s:s, s:O}", "resourceName", name,
                               "resourceNamespace", namespace_, "resourceType",
                               "topic", "associations", associations)
                   : NULL;
  if (root && resource_id &&
      json_object_set_new(root, "resourceId", json_string(resource_id))) {
    json_decref(root);
    root = NULL;
  }
  json_decref(associations);
  return root;
}

/* The specs as the "associations" of a request.  NULL on OOM. */
static json_t *specs_json(const kavro_association_spec_t *specs, size_t count) {
  json_t *array = json_array();
  for (size_t i = 0; array && i < count; i++)
    if (json_array_append_new(array, spec_json(&specs[i]))) {
      json_decref(array);
      array = NULL;
    }
  return array;
}

/* Send @root (stolen) to @path with @method (and `dryRun=true` with
 * KAVRO_ASSOC_DRY_RUN, `includeSchemas=true` with
 * KAVRO_ASSOC_INCLUDE_SCHEMAS).  On KAVRO_OK with @response NULL the
 * reply is dropped, else it is kept for the caller. */
static kavro_err_t send_json(kavro_registry_t *reg, const char *method,
                             kv_strbuf_t *path, unsigned flags, json_t *root,
                             kv_http_response_t *response,
                             kavro_error_t *error) {
  char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(root);
  if (!body) {
    kv_strbuf_free(path);
    return kv_error_set(error, KAVRO_ERR_NOMEM,
                        "out of memory, or a string not UTF-8");
  }
  kv_strbuf_t query = KV_STRBUF_INIT;
  if (flags & KAVRO_ASSOC_DRY_RUN)
    kv_strbuf_puts(&query, "dryRun=true");
  if (flags & KAVRO_ASSOC_INCLUDE_SCHEMAS)
    kv_strbuf_puts(&query, query.length ? "&includeSchemas=true"
                                        : "includeSchemas=true");
  kv_http_response_t dropped;
  kavro_err_t err =
      request(reg, KAVRO_REGISTRY_EP_ASSOCIATIONS, method, path, &query, body,
              response ? response : &dropped, error);
  if (err == KAVRO_OK && !response)
    kv_http_response_clear(&dropped);
  kv_strbuf_free(path);
  kv_strbuf_free(&query);
  free(body);
  return err;
}

kavro_err_t kavro_registry_create_associations(
    kavro_registry_t *reg, const char *namespace_, const char *name,
    const char *resource_id, const kavro_association_spec_t *specs,
    size_t count, kavro_error_t *error) {
  if (!resource_id) {
    kv_error_clear(error);
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  }
  return kavro_registry_create_associations_flags(
      reg, namespace_, name, resource_id, specs, count, 0, error);
}

kavro_err_t kavro_registry_create_associations_flags(
    kavro_registry_t *reg, const char *namespace_, const char *name,
    const char *resource_id, const kavro_association_spec_t *specs,
    size_t count, unsigned flags, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !namespace_ || !name || (!specs && count) ||
      (!resource_id && !(flags & KAVRO_ASSOC_DRY_RUN)))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/associations");
  return send_json(
      reg, "POST", &path, flags & KAVRO_ASSOC_DRY_RUN,
      resource_json(namespace_, name, resource_id, specs_json(specs, count)),
      NULL, error);
}

kavro_err_t kavro_registry_upsert_associations(
    kavro_registry_t *reg, const char *namespace_, const char *name,
    const char *resource_id, const kavro_association_spec_t *specs,
    size_t count, unsigned flags, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !namespace_ || !name || !resource_id || !*resource_id ||
      (!specs && count))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or empty resource id");
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/associations/resources/");
  kv_path_segment(&path, resource_id);
  return send_json(
      reg, "PUT", &path, flags & KAVRO_ASSOC_DRY_RUN,
      resource_json(namespace_, name, resource_id, specs_json(specs, count)),
      NULL, error);
}

kavro_err_t kavro_registry_delete_associations(kavro_registry_t *reg,
                                               const char *resource_id,
                                               const char *association_type,
                                               kavro_error_t *error) {
  return kavro_registry_delete_associations_flags(reg, resource_id,
                                                  association_type, 0, error);
}

kavro_err_t kavro_registry_delete_associations_flags(
    kavro_registry_t *reg, const char *resource_id,
    const char *association_type, unsigned flags, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !resource_id || !*resource_id)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or empty resource id");
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/associations/resources/");
  kv_path_segment(&path, resource_id);
  kv_strbuf_puts(&query, "resourceType=topic");
  if (association_type) {
    kv_strbuf_puts(&query, "&associationType=");
    kv_query_value(&query, association_type);
  }
  if (flags & KAVRO_ASSOC_CASCADE_LIFECYCLE)
    kv_strbuf_puts(&query, "&cascadeLifecycle=true");
  if (flags & KAVRO_ASSOC_DRY_RUN)
    kv_strbuf_puts(&query, "&dryRun=true");
  kv_http_response_t response;
  kavro_err_t err = request(reg, KAVRO_REGISTRY_EP_ASSOCIATIONS, "DELETE",
                            &path, &query, NULL, &response, error);
  kv_strbuf_free(&path);
  kv_strbuf_free(&query);
  if (err == KAVRO_OK)
    kv_http_response_clear(&response);
  return err;
}

/* ---- batches ------------------------------------------------------------- */

void kavro_association_results_destroy(kavro_association_result_t *results,
                                       size_t count) {
  for (size_t i = 0; results && i < count; i++) {
    kavro_association_result_t *r = &results[i];
    for (size_t j = 0; r->schemas && j < r->count; j++)
      free(r->schemas[j]);
    free(r->schemas);
    kavro_associations_destroy(r->associations, r->count);
    free(r->error_message);
  }
  free(results);
}

/* The schema texts of the AssociationInfos of @infos (NULL where one has
 * none), into r->schemas. */
static bool read_schemas(const json_t *infos, kavro_association_result_t *r) {
  r->schemas = calloc(r->count ? r->count : 1, sizeof(*r->schemas));
  for (size_t i = 0; r->schemas && i < r->count; i++) {
    const char *text = json_string_value(json_object_get(
        json_object_get(json_array_get(infos, i), "schema"), "schema"));
    if (text && !(r->schemas[i] = strdup(text)))
      return false;
  }
  return r->schemas != NULL;
}

/* One AssociationResult: {"error": {"error_code", "message"}} or
 * {"result": AssociationResponse}. */
static kavro_err_t read_result(const json_t *item,
                               kavro_association_result_t *r,
                               kavro_error_t *error) {
  const json_t *failed = json_object_get(item, "error");
  const json_t *result = json_object_get(item, "result");
  if (json_is_object(failed)) {
    const char *message = json_string_value(json_object_get(failed, "message"));
    json_int_t code = json_integer_value(json_object_get(failed, "error_code"));
    r->error_code = code > 0 && code < INT32_MAX ? (int)code : -1;
    r->error_message = strdup(message ? message : "");
    return r->error_message
               ? KAVRO_OK
               : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  if (!json_is_object(result))
    return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                        "malformed registry reply: a batch result without "
                        "its result or error");
  const json_t *infos = json_object_get(result, "associations");
  kavro_err_t err =
      read_associations(infos, result, &r->associations, &r->count, error);
  if (err == KAVRO_OK && !read_schemas(infos, r))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  return err;
}

/* Parse an AssociationBatchResponse: {"results": [...]}, one per request
 * (@expected of them). */
static kavro_err_t answer_results(const kv_http_response_t *response,
                                  size_t expected,
                                  kavro_association_result_t **resultsp,
                                  size_t *countp, kavro_error_t *error) {
  json_error_t jerr;
  json_t *root = json_loadb(response->body, response->body_length, 0, &jerr);
  const json_t *items = json_object_get(root, "results");
  size_t n = json_array_size(items);
  kavro_association_result_t *results =
      json_is_array(items) && n == expected
          ? calloc(n ? n : 1, sizeof(*results))
          : NULL;
  kavro_err_t err = results ? KAVRO_OK
                    : json_is_array(items) && n == expected
                        ? kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory")
                        : kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                                       "malformed registry reply: not a list "
                                       "of %zu batch results",
                                       expected);
  for (size_t i = 0; err == KAVRO_OK && i < n; i++)
    err = read_result(json_array_get(items, i), &results[i], error);
  json_decref(root);
  if (err != KAVRO_OK) {
    kavro_association_results_destroy(results, n);
    return err;
  }
  *resultsp = results;
  *countp = n;
  return KAVRO_OK;
}

/* POST @path with @root (stolen), and read the batch's results. */
static kavro_err_t batch_call(kavro_registry_t *reg, const char *path_text,
                              unsigned flags, json_t *root, size_t expected,
                              kavro_association_result_t **resultsp,
                              size_t *countp, kavro_error_t *error) {
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, path_text);
  kv_http_response_t response;
  kavro_err_t err =
      send_json(reg, "POST", &path, flags, root, &response, error);
  if (err == KAVRO_OK) {
    err = answer_results(&response, expected, resultsp, countp, error);
    kv_http_response_clear(&response);
  }
  return err;
}

/* Set the string member @key of @object to @value unless it is NULL. */
static bool set_text(json_t *object, const char *key, const char *value) {
  return !value || json_object_set_new(object, key, json_string(value)) == 0;
}

/* An AssociationGetRequest.  NULL on OOM. */
static json_t *query_json(const kavro_association_query_t *q) {
  json_t *item = json_pack("{s:s}", "resourceType", "topic");
  bool ok = item && set_text(item, "resourceId", q->resource_id) &&
            set_text(item, "resourceName", q->resource_name) &&
            set_text(item, "resourceNamespace", q->resource_namespace) &&
            set_text(item, "lifecycle", q->lifecycle);
  if (ok && q->association_type)
    ok = json_object_set_new(item, "associationTypes",
                             json_pack("[s]", q->association_type)) == 0;
  if (!ok) {
    json_decref(item);
    return NULL;
  }
  return item;
}

/* A batch body {"requests": [...]}: @count items made by @make from the
 * @size-byte elements of @items.  NULL on OOM. */
static json_t *batch_json(const void *items, size_t size, size_t count,
                          json_t *(*make)(const void *item)) {
  json_t *requests = json_array();
  for (size_t i = 0; requests && i < count; i++)
    if (json_array_append_new(requests, make((const char *)items + i * size))) {
      json_decref(requests);
      requests = NULL;
    }
  return requests ? json_pack("{s:o}", "requests", requests) : NULL;
}

static json_t *make_query(const void *item) { return query_json(item); }

kavro_err_t kavro_registry_batch_get_associations(
    kavro_registry_t *reg, const kavro_association_query_t *queries,
    size_t count, unsigned flags, kavro_association_result_t **resultsp,
    size_t *countp, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !queries || !count || !resultsp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or no query");
  *resultsp = NULL;
  *countp = 0;
  return batch_call(reg, "/associations:batchGet",
                    flags & KAVRO_ASSOC_INCLUDE_SCHEMAS,
                    batch_json(queries, sizeof(*queries), count, make_query),
                    count, resultsp, countp, error);
}

static const char *const op_names[] = {"CREATE", "UPSERT", "DELETE"};

/* An AssociationOp: a create or upsert's spec, or a delete's type and
 * cascade.  NULL on OOM. */
static json_t *op_json(const kavro_association_op_t *op) {
  json_t *item =
      op->type == KAVRO_ASSOC_OP_DELETE ? json_object() : spec_json(&op->spec);
  bool ok = item && set_text(item, "opType", op_names[op->type]);
  if (ok && op->type == KAVRO_ASSOC_OP_DELETE) {
    ok = set_text(item, "associationType", op->spec.association_type);
    if (ok && op->cascade_lifecycle)
      ok = json_object_set_new(item, "cascadeLifecycle", json_true()) == 0;
  }
  if (!ok) {
    json_decref(item);
    return NULL;
  }
  return item;
}

/* An AssociationOpRequest.  NULL on OOM. */
static json_t *make_mutation(const void *item) {
  const kavro_association_mutation_t *m = item;
  json_t *ops = json_array();
  for (size_t i = 0; ops && i < m->count; i++)
    if (json_array_append_new(ops, op_json(&m->ops[i]))) {
      json_decref(ops);
      ops = NULL;
    }
  return resource_json(m->resource_namespace, m->resource_name, m->resource_id,
                       ops);
}

/* Whether each mutation names its resource and has ops of known types. */
static bool mutations_valid(const kavro_association_mutation_t *mutations,
                            size_t count) {
  for (size_t i = 0; i < count; i++) {
    const kavro_association_mutation_t *m = &mutations[i];
    if (!m->resource_namespace || !m->resource_name || (!m->ops && m->count))
      return false;
    for (size_t j = 0; j < m->count; j++)
      if ((unsigned)m->ops[j].type > KAVRO_ASSOC_OP_DELETE)
        return false;
  }
  return true;
}

kavro_err_t kavro_registry_mutate_associations(
    kavro_registry_t *reg, const kavro_association_mutation_t *mutations,
    size_t count, unsigned flags, kavro_association_result_t **resultsp,
    size_t *countp, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !mutations || !count || !resultsp || !countp ||
      !mutations_valid(mutations, count))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or no mutation");
  *resultsp = NULL;
  *countp = 0;
  return batch_call(
      reg, "/associations:batchMutate", flags & KAVRO_ASSOC_DRY_RUN,
      batch_json(mutations, sizeof(*mutations), count, make_mutation), count,
      resultsp, countp, error);
}
