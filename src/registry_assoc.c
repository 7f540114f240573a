/*
 * kavro - the registry client's contexts and topic-subject associations:
 * GET /contexts and the /associations endpoints of Confluent Platform 8.1+
 * and Confluent Cloud.  Nothing here is cached: the serializers'
 * AssociatedNameStrategy keeps its own answers.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "common_strbuf_int.h"
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

/* A copy of the string member @key of @object ("" when absent); NULL when
 * it is not a string or memory ran out (*@bad says which). */
static char *member_copy(const json_t *object, const char *key, bool *bad) {
  const json_t *value = json_object_get(object, key);
  if (value && !json_is_string(value)) {
    *bad = true;
    return NULL;
  }
  return strdup(value ? json_string_value(value) : "");
}

/* One association of a reply; false when it is not one (or OOM). */
static bool read_association(const json_t *item, kavro_association_t *a,
                             bool *bad) {
  if (!json_is_object(item) ||
      !json_is_string(json_object_get(item, "subject"))) {
    *bad = true;
    return false;
  }
  a->subject = member_copy(item, "subject", bad);
  a->resource_name = member_copy(item, "resourceName", bad);
  a->resource_namespace = member_copy(item, "resourceNamespace", bad);
  a->resource_id = member_copy(item, "resourceId", bad);
  a->resource_type = member_copy(item, "resourceType", bad);
  a->association_type = member_copy(item, "associationType", bad);
  a->lifecycle = member_copy(item, "lifecycle", bad);
  a->frozen = json_is_true(json_object_get(item, "frozen"));
  return a->subject && a->resource_name && a->resource_namespace &&
         a->resource_id && a->resource_type && a->association_type &&
         a->lifecycle;
}

/* Parse a list of associations. */
static kavro_err_t answer_associations(const char *body, size_t length,
                                       kavro_association_t **listp,
                                       size_t *countp, kavro_error_t *error) {
  json_error_t jerr;
  json_t *root = json_loadb(body, length, 0, &jerr);
  if (!json_is_array(root) || json_array_size(root) > MAX_ASSOCIATIONS) {
    json_decref(root);
    return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                        "malformed registry reply: not a list of at most %u "
                        "associations",
                        MAX_ASSOCIATIONS);
  }
  size_t n = json_array_size(root);
  kavro_association_t *list = calloc(n ? n : 1, sizeof(*list));
  bool bad = false;
  size_t done = 0;
  while (list && done < n &&
         read_association(json_array_get(root, done), &list[done], &bad))
    done++;
  json_decref(root);
  if (!list || done < n) {
    kavro_associations_destroy(list, done < n ? done + 1 : done);
    return bad ? kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                              "malformed registry reply: an association "
                              "without a subject or with a member not a "
                              "string")
               : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  *listp = list;
  *countp = n;
  return KAVRO_OK;
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

/* Add @spec to the request's "associations" array. */
static bool add_spec(json_t *array, const kavro_association_spec_t *spec) {
  json_t *info = json_object();
  bool ok = info != NULL;
  if (ok && spec->subject)
    ok = json_object_set_new(info, "subject", json_string(spec->subject)) == 0;
  if (ok && spec->association_type)
    ok = json_object_set_new(info, "associationType",
                             json_string(spec->association_type)) == 0;
  if (ok && spec->lifecycle)
    ok = json_object_set_new(info, "lifecycle", json_string(spec->lifecycle)) == 0;
  if (ok && spec->schema)
    ok = json_object_set_new(info, "schema",
                             json_pack("{s:s, s:s}", "schemaType", "AVRO",
                                       "schema", kavro_schema_text(spec->schema))) == 0;
  if (!ok) {
    json_decref(info);
    return false;
  }
  return json_array_append_new(array, info) == 0;
}

kavro_err_t kavro_registry_create_associations(
    kavro_registry_t *reg, const char *namespace_, const char *name,
    const char *resource_id, const kavro_association_spec_t *specs,
    size_t count, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !namespace_ || !name || !resource_id || (!specs && count))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  json_t *array = json_array();
  bool ok = array != NULL;
  for (size_t i = 0; ok && i < count; i++)
    ok = add_spec(array, &specs[i]);
  json_t *root = ok ? json_pack("{s:s, s:s, s:s, s:s, s:O}", "resourceName", name,
                                "resourceNamespace", namespace_, "resourceId",
                                resource_id, "resourceType", "topic",
                                "associations", array)
                    : NULL;
  char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(root);
  json_decref(array);
  if (!body)
    return kv_error_set(error, KAVRO_ERR_NOMEM,
                        "out of memory, or a string not UTF-8");
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, "/associations");
  kv_http_response_t response;
  kavro_err_t err = request(reg, KAVRO_REGISTRY_EP_ASSOCIATIONS, "POST", &path,
                            NULL, body, &response, error);
  kv_strbuf_free(&path);
  free(body);
  if (err == KAVRO_OK)
    kv_http_response_clear(&response);
  return err;
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
