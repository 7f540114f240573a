/*
 * kavro - the mock registry's REST surface: from method, path and query
 * to a store operation, and from its reply to an HTTP response.
 *
 * The path is split on '/' before percent-decoding, so a subject sent with
 * '/' as %2F stays one subject.  A subject sent with bare slashes (as
 * Python's test_compatibility does) is found too: the segments after
 * "subjects" up to the fixed tail of the route ("versions", a version,
 * "schema") are the subject, joined again with '/'.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common_context_int.h"
#include "mock_int.h"
#include "common_strbuf_int.h"

/* Path segments a request may have at most; more is an unknown path. */
#define MAX_SEGMENTS 64u

static const char *const endpoint_names[KV_EP_COUNT] = {
    [KV_EP_UNKNOWN] = "",
    [KV_EP_ROOT] = "GET /",
    [KV_EP_SCHEMA_TYPES] = "GET /schemas/types",
    [KV_EP_SCHEMA_BY_ID] = "GET /schemas/ids/{id}",
    [KV_EP_SCHEMA_BY_ID_RAW] = "GET /schemas/ids/{id}/schema",
    [KV_EP_SCHEMA_ID_VERSIONS] = "GET /schemas/ids/{id}/versions",
    [KV_EP_SCHEMA_ID_SUBJECTS] = "GET /schemas/ids/{id}/subjects",
    [KV_EP_SUBJECTS] = "GET /subjects",
    [KV_EP_LOOKUP] = "POST /subjects/{subject}",
    [KV_EP_DELETE_SUBJECT] = "DELETE /subjects/{subject}",
    [KV_EP_VERSIONS] = "GET /subjects/{subject}/versions",
    [KV_EP_REGISTER] = "POST /subjects/{subject}/versions",
    [KV_EP_GET_VERSION] = "GET /subjects/{subject}/versions/{version}",
    [KV_EP_GET_VERSION_SCHEMA] = "GET /subjects/{subject}/versions/{version}/schema",
    [KV_EP_DELETE_VERSION] = "DELETE /subjects/{subject}/versions/{version}",
    [KV_EP_GET_CONFIG] = "GET /config",
    [KV_EP_PUT_CONFIG] = "PUT /config",
    [KV_EP_DELETE_CONFIG] = "DELETE /config",
    [KV_EP_GET_SUBJECT_CONFIG] = "GET /config/{subject}",
    [KV_EP_PUT_SUBJECT_CONFIG] = "PUT /config/{subject}",
    [KV_EP_DELETE_SUBJECT_CONFIG] = "DELETE /config/{subject}",
    [KV_EP_GET_MODE] = "GET /mode",
    [KV_EP_PUT_MODE] = "PUT /mode",
    [KV_EP_GET_SUBJECT_MODE] = "GET /mode/{subject}",
    [KV_EP_PUT_SUBJECT_MODE] = "PUT /mode/{subject}",
    [KV_EP_DELETE_SUBJECT_MODE] = "DELETE /mode/{subject}",
    [KV_EP_COMPAT_VERSION] = "POST /compatibility/subjects/{subject}/versions/{version}",
    [KV_EP_COMPAT_SUBJECT] = "POST /compatibility/subjects/{subject}/versions",
    [KV_EP_SCHEMA_BY_GUID] = "GET /schemas/guids/{guid}",
    [KV_EP_SCHEMA_GUID_IDS] = "GET /schemas/guids/{guid}/ids",
    [KV_EP_OAUTH_TOKEN] = "POST /oauth/token",
    [KV_EP_CONTEXTS] = "GET /contexts",
    [KV_EP_DELETE_CONTEXT] = "DELETE /contexts/{context}",
    [KV_EP_CREATE_ASSOCIATION] = "POST /associations",
    [KV_EP_ASSOCIATIONS_BY_RESOURCE_NAME] =
        "GET /associations/resources/{namespace}/{name}",
    [KV_EP_ASSOCIATIONS_BY_RESOURCE_ID] = "GET /associations/resources/{id}",
    [KV_EP_ASSOCIATIONS_BY_SUBJECT] = "GET /associations/subjects/{subject}",
    [KV_EP_DELETE_ASSOCIATIONS] = "DELETE /associations/resources/{id}",
    [KV_EP_UPSERT_ASSOCIATION] = "PUT /associations/resources/{id}",
    [KV_EP_ASSOCIATIONS_BATCH_GET] = "POST /associations:batchGet",
    [KV_EP_ASSOCIATIONS_BATCH_MUTATE] = "POST /associations:batchMutate",
    [KV_EP_SUBJECT_METADATA] = "GET /subjects/{subject}/metadata",
    [KV_EP_REFERENCED_BY] =
        "GET /subjects/{subject}/versions/{version}/referencedby",
    [KV_EP_KEKS] = "GET /dek-registry/v1/keks",
    [KV_EP_CREATE_KEK] = "POST /dek-registry/v1/keks",
    [KV_EP_GET_KEK] = "GET /dek-registry/v1/keks/{name}",
    [KV_EP_UPDATE_KEK] = "PUT /dek-registry/v1/keks/{name}",
    [KV_EP_DELETE_KEK] = "DELETE /dek-registry/v1/keks/{name}",
    [KV_EP_UNDELETE_KEK] = "POST /dek-registry/v1/keks/{name}/undelete",
    [KV_EP_TEST_KEK] = "POST /dek-registry/v1/keks/{name}/test",
    [KV_EP_DEK_SUBJECTS] = "GET /dek-registry/v1/keks/{name}/deks",
    [KV_EP_CREATE_DEK_OLD] = "POST /dek-registry/v1/keks/{name}/deks",
    [KV_EP_GET_DEK] = "GET /dek-registry/v1/keks/{name}/deks/{subject}",
    [KV_EP_CREATE_DEK] = "POST /dek-registry/v1/keks/{name}/deks/{subject}",
    [KV_EP_DELETE_DEK] = "DELETE /dek-registry/v1/keks/{name}/deks/{subject}",
    [KV_EP_UNDELETE_DEK] =
        "POST /dek-registry/v1/keks/{name}/deks/{subject}/undelete",
    [KV_EP_DEK_VERSIONS] =
        "GET /dek-registry/v1/keks/{name}/deks/{subject}/versions",
    [KV_EP_GET_DEK_VERSION] =
        "GET /dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
    [KV_EP_DELETE_DEK_VERSION] =
        "DELETE /dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}",
    [KV_EP_UNDELETE_DEK_VERSION] =
        "POST /dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}/undelete",
};

const char *kv_endpoint_name(kv_endpoint_t endpoint) {
  return endpoint > KV_EP_UNKNOWN && endpoint < KV_EP_COUNT
             ? endpoint_names[endpoint]
             : "";
}

/* ---- decoding ---------------------------------------------------------- */

/* ---- routing ----------------------------------------------------------- */

typedef struct segments_s {
  const char *start[MAX_SEGMENTS];
  size_t length[MAX_SEGMENTS];
  size_t count;
} segments_t;

/* Split @path ("/a/b/", leading and trailing '/' ignored).  False when it
 * has too many segments. */
static bool split_path(const char *path, segments_t *segs) {
  segs->count = 0;
  const char *p = path;
  while (*p == '/')
    p++;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t length = slash ? (size_t)(slash - p) : strlen(p);
    if (segs->count == MAX_SEGMENTS)
      return false;
    segs->start[segs->count] = p;
    segs->length[segs->count++] = length;
    p += length;
    while (*p == '/')
      p++;
  }
  return true;
}

static bool segment_is(const segments_t *segs, size_t i, const char *word) {
  return i < segs->count && segs->length[i] == strlen(word) &&
         memcmp(segs->start[i], word, segs->length[i]) == 0;
}

/* Decode segments [@from, @to) joined with '/'.  NULL on OOM. */
static char *join_decoded(const segments_t *segs, size_t from, size_t to) {
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_puts(&sb, "");
  for (size_t i = from; i < to; i++) {
    if (i > from)
      kv_strbuf_putc(&sb, '/');
    kv_strbuf_put_percent_decoded(&sb, segs->start[i], segs->length[i], false);
  }
  return kv_strbuf_steal(&sb);
}

typedef struct method_map_s {
  const char *method;
  kv_endpoint_t endpoint;
} method_map_t;

/* The endpoint among @map (up to 3) that serves @method; 405 otherwise. */
static void pick(kv_route_t *route, const char *method, const method_map_t *map,
                 size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (map[i].method && strcmp(map[i].method, method) == 0) {
      route->endpoint = map[i].endpoint;
      return;
    }
  }
  route->not_found_status = 405;
}

/* What follows /versions/{version} in a subject's path. */
typedef enum version_tail_e {
  TAIL_NONE,
  TAIL_SCHEMA,        /* /schema */
  TAIL_REFERENCED_BY  /* /referencedby */
} version_tail_t;

/* /subjects/{subject}[/versions[/{version}[/schema | /referencedby]]],
 * from segment @first (the one after "subjects"). */
static bool route_subject_tail(const segments_t *segs, size_t first,
                               size_t *subject_end, size_t *version_at,
                               version_tail_t *tail, bool *versions_tail) {
  size_t n = segs->count;
  *version_at = 0;
  *tail = TAIL_NONE;
  *versions_tail = false;
  bool schema = n >= 1 && segment_is(segs, n - 1, "schema");
  bool referenced_by = n >= 1 && segment_is(segs, n - 1, "referencedby");
  if (n >= first + 4 && (schema || referenced_by) &&
      segment_is(segs, n - 3, "versions")) {
    *subject_end = n - 3;
    *version_at = n - 2;
    *tail = schema ? TAIL_SCHEMA : TAIL_REFERENCED_BY;
  } else if (n >= first + 3 && segment_is(segs, n - 2, "versions")) {
    *subject_end = n - 2;
    *version_at = n - 1;
  } else if (n >= first + 2 && segment_is(segs, n - 1, "versions")) {
    *subject_end = n - 1;
    *versions_tail = true;
  } else {
    *subject_end = n;
  }
  return *subject_end > first;
}

static kavro_err_t route_subjects(const segments_t *segs, const char *method,
                                  kv_route_t *route) {
  size_t end, version_at;
  version_tail_t tail;
  bool versions_tail;
  if (!route_subject_tail(segs, 1, &end, &version_at, &tail, &versions_tail))
    return KAVRO_OK;
  if (tail != TAIL_NONE) {
    pick(route, method,
         (method_map_t[]){{"GET", tail == TAIL_SCHEMA ? KV_EP_GET_VERSION_SCHEMA
                                                      : KV_EP_REFERENCED_BY}},
         1);
  } else if (version_at) {
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_GET_VERSION},
                          {"DELETE", KV_EP_DELETE_VERSION}},
         2);
  } else if (versions_tail) {
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_VERSIONS}, {"POST", KV_EP_REGISTER}}, 2);
  } else {
    pick(route, method,
         (method_map_t[]){{"POST", KV_EP_LOOKUP},
                          {"DELETE", KV_EP_DELETE_SUBJECT}},
         2);
  }
  if (!(route->subject = join_decoded(segs, 1, end)))
    return KAVRO_ERR_NOMEM;
  if (version_at && !(route->version = join_decoded(segs, version_at, version_at + 1)))
    return KAVRO_ERR_NOMEM;
  return KAVRO_OK;
}

/* /subjects/{subject}/metadata (getLatestWithMetadata). */
static kavro_err_t route_subject_metadata(const segments_t *segs,
                                          const char *method,
                                          kv_route_t *route) {
  pick(route, method, (method_map_t[]){{"GET", KV_EP_SUBJECT_METADATA}}, 1);
  route->subject = join_decoded(segs, 1, segs->count - 1);
  return route->subject ? KAVRO_OK : KAVRO_ERR_NOMEM;
}

static kavro_err_t route_compat(const segments_t *segs, const char *method,
                                kv_route_t *route) {
  size_t end, version_at;
  version_tail_t tail;
  bool versions_tail;
  if (!segment_is(segs, 1, "subjects") ||
      !route_subject_tail(segs, 2, &end, &version_at, &tail, &versions_tail) ||
      tail != TAIL_NONE || (!version_at && !versions_tail))
    return KAVRO_OK;
  pick(route, method,
       (method_map_t[]){{"POST", version_at ? KV_EP_COMPAT_VERSION
                                            : KV_EP_COMPAT_SUBJECT}},
       1);
  if (!(route->subject = join_decoded(segs, 2, end)))
    return KAVRO_ERR_NOMEM;
  if (version_at && !(route->version = join_decoded(segs, version_at, version_at + 1)))
    return KAVRO_ERR_NOMEM;
  return KAVRO_OK;
}

static kavro_err_t route_schemas(const segments_t *segs, const char *method,
                                 kv_route_t *route) {
  if (segs->count == 2 && segment_is(segs, 1, "types")) {
    pick(route, method, (method_map_t[]){{"GET", KV_EP_SCHEMA_TYPES}}, 1);
    return KAVRO_OK;
  }
  bool by_guid = segment_is(segs, 1, "guids");
  if ((!by_guid && !segment_is(segs, 1, "ids")) || segs->count < 3 ||
      segs->count > 4)
    return KAVRO_OK;
  kv_endpoint_t endpoint = by_guid ? KV_EP_SCHEMA_BY_GUID : KV_EP_SCHEMA_BY_ID;
  if (by_guid && segs->count == 4) {
    if (!segment_is(segs, 3, "ids"))
      return KAVRO_OK;
    endpoint = KV_EP_SCHEMA_GUID_IDS;
  } else if (segs->count == 4) {
    if (segment_is(segs, 3, "schema"))
      endpoint = KV_EP_SCHEMA_BY_ID_RAW;
    else if (segment_is(segs, 3, "versions"))
      endpoint = KV_EP_SCHEMA_ID_VERSIONS;
    else if (segment_is(segs, 3, "subjects"))
      endpoint = KV_EP_SCHEMA_ID_SUBJECTS;
    else
      return KAVRO_OK;
  }
  pick(route, method, (method_map_t[]){{"GET", endpoint}}, 1);
  route->id = join_decoded(segs, 2, 3);
  return route->id ? KAVRO_OK : KAVRO_ERR_NOMEM;
}

static kavro_err_t route_config(const segments_t *segs, const char *method,
                                kv_route_t *route) {
  if (segs->count == 1) {
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_GET_CONFIG},
                          {"PUT", KV_EP_PUT_CONFIG},
                          {"DELETE", KV_EP_DELETE_CONFIG}},
         3);
    return KAVRO_OK;
  }
  pick(route, method,
       (method_map_t[]){{"GET", KV_EP_GET_SUBJECT_CONFIG},
                        {"PUT", KV_EP_PUT_SUBJECT_CONFIG},
                        {"DELETE", KV_EP_DELETE_SUBJECT_CONFIG}},
       3);
  route->subject = join_decoded(segs, 1, segs->count);
  return route->subject ? KAVRO_OK : KAVRO_ERR_NOMEM;
}

static kavro_err_t route_mode(const segments_t *segs, const char *method,
                              kv_route_t *route) {
  if (segs->count == 1) {
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_GET_MODE}, {"PUT", KV_EP_PUT_MODE}}, 2);
    return KAVRO_OK;
  }
  pick(route, method,
       (method_map_t[]){{"GET", KV_EP_GET_SUBJECT_MODE},
                        {"PUT", KV_EP_PUT_SUBJECT_MODE},
                        {"DELETE", KV_EP_DELETE_SUBJECT_MODE}},
       3);
  route->subject = join_decoded(segs, 1, segs->count);
  return route->subject ? KAVRO_OK : KAVRO_ERR_NOMEM;
}

/* /contexts, /associations/... and /associations:batchGet|batchMutate */
static kavro_err_t route_contexts_and_associations(const segments_t *segs,
                                                   const char *method,
                                                   kv_route_t *route) {
  if (segment_is(segs, 0, "contexts")) {
    if (segs->count == 1)
      pick(route, method, (method_map_t[]){{"GET", KV_EP_CONTEXTS}}, 1);
    if (segs->count != 2)
      return KAVRO_OK;
    pick(route, method, (method_map_t[]){{"DELETE", KV_EP_DELETE_CONTEXT}}, 1);
    route->id = join_decoded(segs, 1, 2);
    return route->id ? KAVRO_OK : KAVRO_ERR_NOMEM;
  }
  if (segs->count == 1) {
    kv_endpoint_t endpoint = segment_is(segs, 0, "associations:batchGet")
                                 ? KV_EP_ASSOCIATIONS_BATCH_GET
                             : segment_is(segs, 0, "associations:batchMutate")
                                 ? KV_EP_ASSOCIATIONS_BATCH_MUTATE
                                 : KV_EP_CREATE_ASSOCIATION;
    pick(route, method, (method_map_t[]){{"POST", endpoint}}, 1);
    return KAVRO_OK;
  }
  if (!segment_is(segs, 0, "associations"))
    return KAVRO_OK;
  if (segment_is(segs, 1, "subjects") && segs->count >= 3) {
    pick(route, method, (method_map_t[]){{"GET", KV_EP_ASSOCIATIONS_BY_SUBJECT}},
         1);
    route->subject = join_decoded(segs, 2, segs->count);
    return route->subject ? KAVRO_OK : KAVRO_ERR_NOMEM;
  }
  if (!segment_is(segs, 1, "resources") || segs->count < 3 || segs->count > 4)
    return KAVRO_OK;
  if (segs->count == 4) {
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_ASSOCIATIONS_BY_RESOURCE_NAME}}, 1);
    route->resource_namespace = join_decoded(segs, 2, 3);
    route->id = join_decoded(segs, 3, 4);
  } else {
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_ASSOCIATIONS_BY_RESOURCE_ID},
                          {"PUT", KV_EP_UPSERT_ASSOCIATION},
                          {"DELETE", KV_EP_DELETE_ASSOCIATIONS}},
         3);
    route->id = join_decoded(segs, 2, 3);
  }
  return route->id && (segs->count == 3 || route->resource_namespace)
             ? KAVRO_OK
             : KAVRO_ERR_NOMEM;
}

/* /dek-registry/v1/keks[/{name}[/undelete | /test | /deks[/{subject}[/undelete |
 * /versions[/{version}[/undelete]]]]]]: by the number of segments, each
 * parameter one segment (the clients encode '/' in a subject). */
static kavro_err_t route_deks(const segments_t *segs, const char *method,
                              kv_route_t *route) {
  size_t n = segs->count;
  if (n < 3 || !segment_is(segs, 1, "v1") || !segment_is(segs, 2, "keks"))
    return KAVRO_OK;
  bool deks = n >= 5 && segment_is(segs, 4, "deks");
  bool versions = n >= 7 && deks && segment_is(segs, 6, "versions");
  bool undelete = segment_is(segs, n - 1, "undelete");
  if (n == 3)
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_KEKS}, {"POST", KV_EP_CREATE_KEK}}, 2);
  else if (n == 4)
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_GET_KEK},
                          {"PUT", KV_EP_UPDATE_KEK},
                          {"DELETE", KV_EP_DELETE_KEK}},
         3);
  else if (n == 5 && undelete)
    pick(route, method, (method_map_t[]){{"POST", KV_EP_UNDELETE_KEK}}, 1);
  else if (n == 5 && segment_is(segs, 4, "test"))
    pick(route, method, (method_map_t[]){{"POST", KV_EP_TEST_KEK}}, 1);
  else if (n == 5 && deks)
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_DEK_SUBJECTS},
                          {"POST", KV_EP_CREATE_DEK_OLD}},
         2);
  else if (n == 6 && deks)
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_GET_DEK},
                          {"POST", KV_EP_CREATE_DEK},
                          {"DELETE", KV_EP_DELETE_DEK}},
         3);
  else if (n == 7 && deks && undelete)
    pick(route, method, (method_map_t[]){{"POST", KV_EP_UNDELETE_DEK}}, 1);
  else if (n == 7 && versions)
    pick(route, method, (method_map_t[]){{"GET", KV_EP_DEK_VERSIONS}}, 1);
  else if (n == 8 && versions)
    pick(route, method,
         (method_map_t[]){{"GET", KV_EP_GET_DEK_VERSION},
                          {"DELETE", KV_EP_DELETE_DEK_VERSION}},
         2);
  else if (n == 9 && versions && undelete)
    pick(route, method,
         (method_map_t[]){{"POST", KV_EP_UNDELETE_DEK_VERSION}}, 1);
  else
    return KAVRO_OK;
  if (n >= 4 && !(route->id = join_decoded(segs, 3, 4)))
    return KAVRO_ERR_NOMEM;
  if (n >= 6 && deks && !(route->subject = join_decoded(segs, 5, 6)))
    return KAVRO_ERR_NOMEM;
  if (n >= 8 && versions && !(route->version = join_decoded(segs, 7, 8)))
    return KAVRO_ERR_NOMEM;
  return KAVRO_OK;
}

static kavro_err_t route_find(const char *method, const char *path,
                              kv_route_t *route);

/* The registry stores a subject of the default context without its
 * ":.:" prefix: ":.:orders" is "orders". */
static void drop_default_context(char *subject) {
  if (subject && strncmp(subject, ":.:", 3) == 0)
    memmove(subject, subject + 3, strlen(subject + 3) + 1);
}

kavro_err_t kv_route_find(const char *method, const char *path,
                          kv_route_t *route) {
  kavro_err_t err = route_find(method, path, route);
  drop_default_context(route->subject);
  return err;
}

static kavro_err_t route_find(const char *method, const char *path,
                              kv_route_t *route) {
  memset(route, 0, sizeof(*route));
  route->not_found_status = 404;
  segments_t segs;
  if (!split_path(path ? path : "", &segs))
    return KAVRO_OK;
  if (segs.count == 0) {
    pick(route, method, (method_map_t[]){{"GET", KV_EP_ROOT}}, 1);
    return KAVRO_OK;
  }
  if (segment_is(&segs, 0, "subjects")) {
    if (segs.count == 1) {
      pick(route, method, (method_map_t[]){{"GET", KV_EP_SUBJECTS}}, 1);
      return KAVRO_OK;
    }
    if (segs.count >= 3 && segment_is(&segs, segs.count - 1, "metadata"))
      return route_subject_metadata(&segs, method, route);
    return route_subjects(&segs, method, route);
  }
  if (segment_is(&segs, 0, "schemas"))
    return route_schemas(&segs, method, route);
  if (segment_is(&segs, 0, "dek-registry"))
    return route_deks(&segs, method, route);
  if (segment_is(&segs, 0, "config"))
    return route_config(&segs, method, route);
  if (segment_is(&segs, 0, "mode"))
    return route_mode(&segs, method, route);
  if (segment_is(&segs, 0, "compatibility"))
    return route_compat(&segs, method, route);
  if (segs.count == 2 && segment_is(&segs, 0, "oauth") &&
      segment_is(&segs, 1, "token"))
    pick(route, method, (method_map_t[]){{"POST", KV_EP_OAUTH_TOKEN}}, 1);
  if (segment_is(&segs, 0, "contexts") ||
      segment_is(&segs, 0, "associations") ||
      segment_is(&segs, 0, "associations:batchGet") ||
      segment_is(&segs, 0, "associations:batchMutate"))
    return route_contexts_and_associations(&segs, method, route);
  return KAVRO_OK;
}

void kv_route_clear(kv_route_t *route) {
  free(route->subject);
  free(route->version);
  free(route->id);
  free(route->resource_namespace);
  memset(route, 0, sizeof(*route));
}

/* ---- query parameters -------------------------------------------------- */

/* The next query parameter @name at or after @*cursor (a query string):
 * its value, percent-decoded, into @value (emptied first), and @*cursor
 * moved past it.  False when no such parameter is left.  The one walk of
 * a query string that the readers below share. */
static bool next_param(const char **cursor, const char *name,
                       kv_strbuf_t *value) {
  size_t name_length = strlen(name);
  for (const char *p = *cursor; p && *p;) {
    const char *amp = strchr(p, '&');
    size_t length = amp ? (size_t)(amp - p) : strlen(p);
    const char *next = amp ? amp + 1 : NULL;
    if (length > name_length && memcmp(p, name, name_length) == 0 &&
        p[name_length] == '=') {
      kv_strbuf_free(value);
      kv_strbuf_puts(value, "");
      kv_strbuf_put_percent_decoded(value, p + name_length + 1,
                                    length - name_length - 1, true);
      *cursor = next;
      return true;
    }
    p = next;
  }
  *cursor = NULL;
  return false;
}

/* Whether the query parameter @name is "true" (case-insensitive), as the
 * registry reads its boolean parameters. */
bool kv_query_flag(const char *query, const char *name) {
  kv_strbuf_t value = KV_STRBUF_INIT;
  bool yes = next_param(&query, name, &value) && value.data &&
             strcasecmp(value.data, "true") == 0;
  kv_strbuf_free(&value);
  return yes;
}

/* The decoded value of query parameter @name (a new string), or NULL when
 * absent or out of memory. */
char *kv_query_text(const char *query, const char *name) {
  kv_strbuf_t value = KV_STRBUF_INIT;
  if (!next_param(&query, name, &value))
    return NULL;
  return kv_strbuf_steal(&value);
}

json_t *kv_query_texts(const char *query, const char *name) {
  json_t *values = json_array();
  kv_strbuf_t value = KV_STRBUF_INIT;
  while (values && next_param(&query, name, &value)) {
    if (kv_strbuf_failed(&value) ||
        json_array_append_new(values, json_string(value.data))) {
      json_decref(values);
      values = NULL;
    }
  }
  kv_strbuf_free(&value);
  return values;
}

/* GET /schemas/ids/{id}[...]?subject=S: looked up in S's context. */
static void serve_by_id_in(kv_store_t *store, const kv_route_t *route,
                           kv_id_view_t view, const char *query,
                           kv_reply_t *reply) {
  char *subject = kv_query_text(query, "subject");
  drop_default_context(subject);
  kv_store_by_id_in(store, route->id, subject, view, kv_query_flag(query, "deleted"),
                    reply);
  free(subject);
}

static void serve_subjects(kv_store_t *store, const char *query,
                           kv_reply_t *reply) {
  char *prefix = kv_query_text(query, "subjectPrefix");
  kv_store_subjects_prefixed(store, prefix, kv_query_flag(query, "deleted"), reply);
  free(prefix);
}

/* Query parameter @name as an int (@fallback when absent).  False when it
 * is not one: the registry's JAX-RS layer answers that with a 404. */
static bool query_int(const char *query, const char *name, long fallback,
                      long *value) {
  char *text = kv_query_text(query, name);
  char *end = NULL;
  *value = text ? strtol(text, &end, 10) : fallback;
  bool ok = !text || (*text && !*end && *value >= INT_MIN && *value <= INT_MAX);
  free(text);
  return ok;
}

/* GET /contexts?contextPrefix=P&offset=N&limit=M: the contexts starting
 * with P, then N skipped and M at most (a negative M: all), as
 * ContextsResource.listContexts() pages them. */
static void serve_contexts(kv_store_t *store, const char *query,
                           kv_reply_t *reply) {
  long offset, limit;
  if (!query_int(query, "offset", 0, &offset) ||
      !query_int(query, "limit", -1, &limit)) {
    kv_reply_error(reply, 404, "HTTP 404 Not Found");
    return;
  }
  kv_store_contexts(store, reply);
  char *prefix = kv_query_text(query, "contextPrefix");
  json_t *all = reply->json, *page = json_array();
  size_t i, skipped = 0;
  json_t *item;
  json_array_foreach(all, i, item) {
    const char *name = json_string_value(item);
    if (!page || (prefix && strncmp(name, prefix, strlen(prefix)) != 0))
      continue;
    if ((long)skipped++ < offset ||
        (limit >= 0 && (long)json_array_size(page) >= limit))
      continue;
    if (json_array_append(page, item)) {
      json_decref(page);
      page = NULL;
    }
  }
  free(prefix);
  if (!reply->error_code)
    kv_reply_json(reply, page);
  else
    json_decref(page);
}

/* The schema search limit of the registry (schema.search.default.limit
 * and schema.search.max.limit, both 1000 by default). */
#define SCHEMA_SEARCH_LIMIT 1000L

/* GET /subjects/{subject}/versions/{version}/referencedby?offset=N&limit=M:
 * N ids skipped, then M at most; a limit that is not in [1, 1000] is
 * 1000, as normalizeSchemaLimit() makes it.  A negative offset fails in
 * the registry's Stream.skip(), which its exception mapper answers 500. */
static void serve_referenced_by(kv_store_t *store, const kv_route_t *route,
                                const char *query, kv_reply_t *reply) {
  long offset, limit;
  if (!query_int(query, "offset", 0, &offset) ||
      !query_int(query, "limit", -1, &limit)) {
    kv_reply_error(reply, 404, "HTTP 404 Not Found");
    return;
  }
  kv_store_referenced_by(store, route->subject, route->version,
                         kv_query_flag(query, "deleted"), reply);
  if (reply->error_code)
    return;
  if (offset < 0) {
    kv_reply_error(reply, 500, "%ld", offset);
    return;
  }
  if (limit < 1 || limit > SCHEMA_SEARCH_LIMIT)
    limit = SCHEMA_SEARCH_LIMIT;
  json_t *all = reply->json, *page = json_array();
  for (size_t i = (size_t)offset; page && i < json_array_size(all) &&
                                  (long)json_array_size(page) < limit;
       i++) {
    if (json_array_append(page, json_array_get(all, i))) {
      json_decref(page);
      page = NULL;
    }
  }
  kv_reply_json(reply, page);
}

/* The values of every query parameter @name, in order, decoded, as a
 * JSON array of strings; NULL on OOM.  Values that are not UTF-8 are
 * left out (they cannot match a property). */
static json_t *query_values(const char *query, const char *name) {
  json_t *values = json_array();
  kv_strbuf_t value = KV_STRBUF_INIT;
  while (values && next_param(&query, name, &value)) {
    json_t *text = value.data ? json_string(value.data) : NULL;
    if (kv_strbuf_failed(&value) ||
        (text && json_array_append_new(values, text))) {
      json_decref(values);
      values = NULL;
    }
  }
  kv_strbuf_free(&value);
  return values;
}

/* GET /subjects/{subject}/metadata?key=k&value=v...: the keys and values
 * pair up in order, as the registry pairs them (extra ones are ignored). */
static void serve_metadata(kv_store_t *store, const kv_route_t *route,
                           const char *query, kv_reply_t *reply) {
  json_t *keys = query_values(query, "key");
  json_t *values = query_values(query, "value");
  json_t *wanted = json_object();
  bool ok = keys && values && wanted;
  size_t n = ok ? json_array_size(keys) : 0;
  if (ok && json_array_size(values) < n)
    n = json_array_size(values);
  for (size_t i = 0; ok && i < n; i++)
    ok = json_object_set(wanted, json_string_value(json_array_get(keys, i)),
                         json_array_get(values, i)) == 0;
  if (ok)
    kv_store_latest_with_metadata(store, route->subject, wanted,
                                  kv_query_flag(query, "deleted"), reply);
  else
    kv_reply_error(reply, 50001, "Out of memory");
  json_decref(keys);
  json_decref(values);
  json_decref(wanted);
}

/* ---- serving ----------------------------------------------------------- */

/* The request body as a JSON object, or NULL with @reply set. */
json_t *kv_rest_read_body(const kv_http_request_t *request, kv_reply_t *reply) {
  json_error_t jerr;
  json_t *body = request->body_length
                     ? json_loadb(request->body, request->body_length,
                                  JSON_REJECT_DUPLICATES, &jerr)
                     : NULL;
  if (!body) {
    kv_reply_error(reply, 400, "Unrecognized request body: %s",
                   request->body_length ? jerr.text : "empty body");
    return NULL;
  }
  if (!json_is_object(body)) {
    json_decref(body);
    kv_reply_error(reply, 422, "Unrecognized request body: not a JSON object");
    return NULL;
  }
  return body;
}

static void serve_with_body(kv_store_t *store, const kv_route_t *route,
                            const kv_http_request_t *request, kv_reply_t *reply) {
  json_t *body = kv_rest_read_body(request, reply);
  if (!body)
    return;
  const char *q = request->query;
  switch (route->endpoint) {
  case KV_EP_REGISTER:
    kv_store_register(store, route->subject, body, kv_query_flag(q, "normalize"),
                      reply);
    break;
  case KV_EP_LOOKUP:
    kv_store_lookup(store, route->subject, body, kv_query_flag(q, "deleted"),
                    kv_query_flag(q, "normalize"), reply);
    break;
  case KV_EP_PUT_CONFIG:
  case KV_EP_PUT_SUBJECT_CONFIG:
    kv_store_put_config(store, route->subject, body, reply);
    break;
  case KV_EP_PUT_MODE:
  case KV_EP_PUT_SUBJECT_MODE:
    kv_store_put_mode(store, route->subject, body, reply);
    break;
  case KV_EP_COMPAT_VERSION:
  case KV_EP_COMPAT_SUBJECT:
    kv_store_test_compat(store, route->subject, route->version, body,
                         kv_query_flag(q, "verbose"), kv_query_flag(q, "normalize"),
                         reply);
    break;
  default:
    break;
  }
  json_decref(body);
}

static void serve_by_id(kv_store_t *store, const kv_route_t *route,
                        const char *query, kv_reply_t *reply) {
  kv_id_view_t view = KV_ID_SCHEMA;
  if (route->endpoint == KV_EP_SCHEMA_BY_GUID ||
      route->endpoint == KV_EP_SCHEMA_GUID_IDS) {
    kv_store_by_guid(store, route->id,
                     route->endpoint == KV_EP_SCHEMA_GUID_IDS ? KV_ID_IDS
                                                              : KV_ID_SCHEMA,
                     kv_query_flag(query, "deleted"), reply);
    return;
  }
  if (route->endpoint == KV_EP_SCHEMA_BY_ID_RAW)
    view = KV_ID_RAW;
  else if (route->endpoint == KV_EP_SCHEMA_ID_VERSIONS)
    view = KV_ID_VERSIONS;
  else if (route->endpoint == KV_EP_SCHEMA_ID_SUBJECTS)
    view = KV_ID_SUBJECTS;
  serve_by_id_in(store, route, view, query, reply);
}

/* Whether @name can be a subject: text that is UTF-8 (jansson's check),
 * since a subject becomes a JSON string in every answer and in the file,
 * where bytes that are not UTF-8 cannot be written. */
static bool subject_name_valid(const char *name) {
  json_t *probe = json_string(name);
  json_decref(probe);
  return probe != NULL;
}

void kv_rest_serve(kv_store_t *store, const kv_route_t *route,
                   const kv_http_request_t *request, kv_reply_t *reply) {
  const char *q = request->query;
  const char *subject = route->subject;
  if (kv_dek_endpoint(route->endpoint)) { /* its own checks and codes */
    kv_dek_serve(store, route, request, reply);
    return;
  }
  /* Only the answers that hold schema text read it. */
  char *format = kv_query_text(q, "format");
  reply->resolved = format && strcasecmp(format, "resolved") == 0;
  free(format);
  if (subject && !subject_name_valid(subject)) {
    kv_reply_error(reply, 42208, "The specified subject is not valid: its "
                                 "name is not UTF-8");
    return;
  }
  switch (route->endpoint) {
  case KV_EP_OAUTH_TOKEN: /* served by mock.c when tokens are on */
  case KV_EP_UNKNOWN:
    if (route->not_found_status == 405 && route->endpoint == KV_EP_UNKNOWN)
      kv_reply_error(reply, 405, "HTTP 405 Method Not Allowed");
    else
      kv_reply_error(reply, 404, "HTTP 404 Not Found");
    break;
  case KV_EP_ROOT:
    kv_reply_json(reply, json_object());
    break;
  case KV_EP_SCHEMA_TYPES:
    kv_reply_json(reply, json_pack("[s]", "AVRO"));
    break;
  case KV_EP_SCHEMA_BY_ID:
  case KV_EP_SCHEMA_BY_ID_RAW:
  case KV_EP_SCHEMA_ID_VERSIONS:
  case KV_EP_SCHEMA_ID_SUBJECTS:
  case KV_EP_SCHEMA_BY_GUID:
  case KV_EP_SCHEMA_GUID_IDS:
    serve_by_id(store, route, q, reply);
    break;
  case KV_EP_SUBJECTS:
    serve_subjects(store, q, reply);
    break;
  case KV_EP_CONTEXTS:
    serve_contexts(store, q, reply);
    break;
  case KV_EP_DELETE_CONTEXT:
    kv_store_delete_context(store, route->id, reply);
    break;
  case KV_EP_CREATE_ASSOCIATION:
  case KV_EP_ASSOCIATIONS_BY_RESOURCE_NAME:
  case KV_EP_ASSOCIATIONS_BY_RESOURCE_ID:
  case KV_EP_ASSOCIATIONS_BY_SUBJECT:
  case KV_EP_DELETE_ASSOCIATIONS:
  case KV_EP_UPSERT_ASSOCIATION:
  case KV_EP_ASSOCIATIONS_BATCH_GET:
  case KV_EP_ASSOCIATIONS_BATCH_MUTATE:
    kv_assoc_serve(store, route, request, reply);
    break;
  case KV_EP_DELETE_SUBJECT:
    kv_store_delete_subject(store, subject, kv_query_flag(q, "permanent"), reply);
    break;
  case KV_EP_VERSIONS:
    kv_store_versions(store, subject, kv_query_flag(q, "deleted"), reply);
    break;
  case KV_EP_GET_VERSION:
  case KV_EP_GET_VERSION_SCHEMA:
    kv_store_get_version(store, subject, route->version,
                         kv_query_flag(q, "deleted"),
                         route->endpoint == KV_EP_GET_VERSION_SCHEMA, reply);
    break;
  case KV_EP_DELETE_VERSION:
    kv_store_delete_version(store, subject, route->version,
                            kv_query_flag(q, "permanent"), reply);
    break;
  case KV_EP_GET_CONFIG:
  case KV_EP_GET_SUBJECT_CONFIG:
    kv_store_get_config(store, subject, kv_query_flag(q, "defaultToGlobal"), reply);
    break;
  case KV_EP_DELETE_CONFIG:
  case KV_EP_DELETE_SUBJECT_CONFIG:
    kv_store_delete_config(store, subject, reply);
    break;
  case KV_EP_GET_MODE:
  case KV_EP_GET_SUBJECT_MODE:
    kv_store_get_mode(store, subject, kv_query_flag(q, "defaultToGlobal"), reply);
    break;
  case KV_EP_DELETE_SUBJECT_MODE:
    kv_store_delete_mode(store, subject, reply);
    break;
  case KV_EP_SUBJECT_METADATA:
    serve_metadata(store, route, q, reply);
    break;
  case KV_EP_REFERENCED_BY:
    serve_referenced_by(store, route, q, reply);
    break;
  default:
    serve_with_body(store, route, request, reply);
    break;
  }
}

kavro_err_t kv_reply_to_response(const kv_reply_t *reply,
                                 kv_http_response_t *response) {
  char *body;
  if (reply->error_code) {
    json_t *error = json_pack("{s:i, s:s}", "error_code", reply->error_code,
                              "message", reply->message);
    body = error ? json_dumps(error, JSON_COMPACT) : NULL;
    json_decref(error);
  } else if (reply->raw) {
    body = strdup(reply->raw);
  } else {
    body = json_dumps(reply->json, JSON_COMPACT | JSON_ENCODE_ANY);
  }
  if (!body)
    return KAVRO_ERR_NOMEM;
  response->outcome = KV_HTTP_ANSWERED;
  response->status = reply->status;
  response->body = body;
  response->body_length = strlen(body);
  snprintf(response->content_type, sizeof(response->content_type), "%s",
           KV_MOCK_CONTENT_TYPE);
  response->retry_after_seconds = -1;
  return KAVRO_OK;
}
