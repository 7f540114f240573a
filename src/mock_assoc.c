/*
 * kavro - the mock registry's topic-subject associations, as Confluent
 * Platform 8.1+ and Confluent Cloud serve them under /associations.
 *
 * An association links a resource (a Kafka topic: its name, namespace
 * (the Kafka cluster id) and id) to a subject, as the topic's "key" or
 * "value" subject.  It is WEAK (it names an existing subject) or STRONG
 * (created with the topic and its schema, frozen, named
 * ":.NAMESPACE:NAME-TYPE").  The rules kept here are the registry's:
 *
 *  - POST /associations checks the request (42212), refuses a second
 *    association of a type for a resource unless it is the same one
 *    (40903), a WEAK association to a subject without a live version
 *    (40907), a STRONG one to a subject another association names (40904)
 *    and a WEAK one to a subject that has a STRONG one (40905); a schema
 *    given with an association is registered under its subject first;
 *  - GET /associations/resources/{namespace}/{name}, .../{id} and
 *    /associations/subjects/{subject} list associations (namespace "-"
 *    and name "-" match any), filtered by resourceType (default "topic"),
 *    associationType (repeatable) and lifecycle, paged by offset and limit;
 *  - DELETE /associations/resources/{id} removes them: 204, or 40410;
 *    40908 for a frozen one, unless cascadeLifecycle=true, which deletes
 *    a STRONG association's subject too; dryRun=true only checks.
 *
 * Associations live in the store (kv_store_with_assocs()), so they are in
 * its file and a change that cannot be written is undone.  Not served:
 * PUT (upsert), the batch endpoints, and dryRun on POST.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common_context_int.h"
#include "common_strbuf_int.h"
#include "mock_int.h"

/* Associations one request may carry; a resource has two at most. */
#define MAX_REQUEST_ASSOCIATIONS 2u
#define TOPIC "topic"

/* ---- the table ---------------------------------------------------------- */

static void assoc_free(kv_assoc_t *a) {
  free(a->subject);
  free(a->resource_name);
  free(a->resource_namespace);
  free(a->resource_id);
  free(a->resource_type);
  free(a->association_type);
  memset(a, 0, sizeof(*a));
}

void kv_assocs_clear(kv_assocs_t *assocs) {
  for (size_t i = 0; i < assocs->count; i++)
    assoc_free(&assocs->items[i]);
  free(assocs->items);
  memset(assocs, 0, sizeof(*assocs));
}

static bool assoc_copy(kv_assoc_t *to, const kv_assoc_t *from) {
  *to = *from;
  to->subject = strdup(from->subject);
  to->resource_name = strdup(from->resource_name);
  to->resource_namespace = strdup(from->resource_namespace);
  to->resource_id = strdup(from->resource_id);
  to->resource_type = strdup(from->resource_type);
  to->association_type = strdup(from->association_type);
  if (to->subject && to->resource_name && to->resource_namespace &&
      to->resource_id && to->resource_type && to->association_type)
    return true;
  assoc_free(to);
  return false;
}

/* Append a copy of @a.  False on OOM. */
static bool assocs_add(kv_assocs_t *assocs, const kv_assoc_t *a) {
  if (assocs->count == assocs->capacity) {
    size_t grown = assocs->capacity ? assocs->capacity * 2 : 8;
    kv_assoc_t *bigger = realloc(assocs->items, grown * sizeof(*bigger));
    if (!bigger)
      return false;
    assocs->items = bigger;
    assocs->capacity = grown;
  }
  if (!assoc_copy(&assocs->items[assocs->count], a))
    return false;
  assocs->count++;
  return true;
}

bool kv_assocs_copy(kv_assocs_t *to, const kv_assocs_t *from) {
  memset(to, 0, sizeof(*to));
  for (size_t i = 0; i < from->count; i++)
    if (!assocs_add(to, &from->items[i])) {
      kv_assocs_clear(to);
      return false;
    }
  return true;
}

static const char *lifecycle_name(const kv_assoc_t *a) {
  return a->strong ? "STRONG" : "WEAK";
}

static json_t *assoc_json(const kv_assoc_t *a) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "subject",
                   a->subject, "resourceName", a->resource_name,
                   "resourceNamespace", a->resource_namespace, "resourceId",
                   a->resource_id, "resourceType", a->resource_type,
                   "associationType", a->association_type, "lifecycle",
                   lifecycle_name(a), "frozen", a->frozen);
}

json_t *kv_assocs_dump(const kv_assocs_t *assocs) {
  json_t *array = json_array();
  for (size_t i = 0; array && i < assocs->count; i++)
    if (json_array_append_new(array, assoc_json(&assocs->items[i]))) {
      json_decref(array);
      return NULL;
    }
  return array;
}

const char *kv_assocs_load(kv_assocs_t *assocs, const json_t *array) {
  size_t i;
  const json_t *item;
  json_array_foreach(array, i, item) {
    const char *lifecycle;
    int frozen;
    kv_assoc_t a = {0};
    if (json_unpack((json_t *)item, "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
                    "subject", &a.subject, "resourceName", &a.resource_name,
                    "resourceNamespace", &a.resource_namespace, "resourceId",
                    &a.resource_id, "resourceType", &a.resource_type,
                    "associationType", &a.association_type, "lifecycle",
                    &lifecycle, "frozen", &frozen) ||
        (strcmp(lifecycle, "STRONG") && strcmp(lifecycle, "WEAK")))
      return "an association without its members";
    a.strong = strcmp(lifecycle, "STRONG") == 0;
    a.frozen = frozen != 0;
    if (!assocs_add(assocs, &a))
      return "out of memory";
  }
  return NULL;
}

/* ---- query parameters ---------------------------------------------------- */

/* The query's parameters, decoded: what the listing endpoints filter by. */
typedef struct filter_s {
  char *resource_type;     /* "topic" when absent */
  bool types[2];           /* [0] key, [1] value; both false: any */
  bool any_type;
  char *lifecycle;         /* NULL: any */
  long offset, limit;      /* limit < 0: no limit */
} filter_t;

/* Call @fn for each name=value of @query, decoded. */
static bool each_param(const char *query,
                       bool (*fn)(void *ctx, const char *name,
                                  const char *value),
                       void *ctx) {
  for (const char *p = query; p && *p;) {
    const char *amp = strchr(p, '&');
    size_t length = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', length);
    kv_strbuf_t name = KV_STRBUF_INIT, value = KV_STRBUF_INIT;
    kv_strbuf_put_percent_decoded(&name, p, eq ? (size_t)(eq - p) : length, true);
    kv_strbuf_puts(&value, "");
    if (eq)
      kv_strbuf_put_percent_decoded(&value, eq + 1, length - (size_t)(eq - p) - 1,
                                    true);
    bool ok = !kv_strbuf_failed(&name) && !kv_strbuf_failed(&value) &&
              fn(ctx, name.data, value.data);
    kv_strbuf_free(&name);
    kv_strbuf_free(&value);
    if (!ok)
      return false;
    p = amp ? amp + 1 : NULL;
  }
  return true;
}

static bool filter_param(void *ctx, const char *name, const char *value) {
  filter_t *f = ctx;
  char **text = strcmp(name, "resourceType") == 0 ? &f->resource_type
                : strcmp(name, "lifecycle") == 0  ? &f->lifecycle
                                                  : NULL;
  if (text) {
    free(*text);
    return (*text = *value ? strdup(value) : NULL) != NULL || !*value;
  }
  if (strcmp(name, "associationType") == 0) {
    f->any_type = false;
    if (strcmp(value, "key") == 0)
      f->types[0] = true;
    else if (strcmp(value, "value") == 0)
      f->types[1] = true;
    return true;
  }
  long *number = strcmp(name, "offset") == 0  ? &f->offset
                 : strcmp(name, "limit") == 0 ? &f->limit
                                              : NULL;
  if (number) {
    char *end;
    long n = strtol(value, &end, 10);
    if (*value && !*end)
      *number = n;
  }
  return true;
}

static bool read_filter(const char *query, filter_t *f) {
  memset(f, 0, sizeof(*f));
  f->any_type = true;
  f->limit = -1;
  return each_param(query, filter_param, f);
}

static void filter_clear(filter_t *f) {
  free(f->resource_type);
  free(f->lifecycle);
}

static bool filter_keeps(const filter_t *f, const kv_assoc_t *a) {
  const char *type = f->resource_type ? f->resource_type : TOPIC;
  if (strcmp(a->resource_type, type) != 0)
    return false;
  if (f->lifecycle && strcasecmp(f->lifecycle, lifecycle_name(a)) != 0)
    return false;
  return f->any_type || f->types[strcmp(a->association_type, "value") == 0];
}

/* ---- listing ------------------------------------------------------------- */

/* What a listing matches besides the filter. */
typedef struct match_s {
  const char *subject;   /* by subject, or NULL */
  const char *id;        /* by resource id, or NULL */
  const char *name;      /* by resource name ("-": any), or NULL */
  const char *namespace_; /* with @name ("-": any) */
} match_t;

static bool wildcard_is(const char *pattern, const char *text) {
  return strcmp(pattern, "-") == 0 || strcmp(pattern, text) == 0;
}

static bool match_keeps(const match_t *m, const kv_assoc_t *a) {
  if (m->subject)
    return strcmp(a->subject, m->subject) == 0;
  if (m->id)
    return strcmp(a->resource_id, m->id) == 0;
  return wildcard_is(m->name, a->resource_name) &&
         wildcard_is(m->namespace_, a->resource_namespace);
}

/* The registry lists by its key: name, namespace, type, association type,
 * subject. */
static int compare_assocs(const void *x, const void *y) {
  const kv_assoc_t *a = *(const kv_assoc_t *const *)x;
  const kv_assoc_t *b = *(const kv_assoc_t *const *)y;
  int c = strcmp(a->resource_name, b->resource_name);
  if (!c)
    c = strcmp(a->resource_namespace, b->resource_namespace);
  if (!c)
    c = strcmp(a->resource_type, b->resource_type);
  if (!c)
    c = strcmp(a->association_type, b->association_type);
  return c ? c : strcmp(a->subject, b->subject);
}

typedef struct listing_s {
  match_t match;
  filter_t filter;
} listing_t;

static bool list_locked(kv_store_t *store, kv_assocs_t *assocs, void *opaque,
                        kv_reply_t *reply) {
  const listing_t *l = opaque;
  const kv_assoc_t **kept = calloc(assocs->count + 1, sizeof(*kept));
  json_t *array = kept ? json_array() : NULL;
  size_t n = 0;
  for (size_t i = 0; array && i < assocs->count; i++)
    if (match_keeps(&l->match, &assocs->items[i]) &&
        filter_keeps(&l->filter, &assocs->items[i]))
      kept[n++] = &assocs->items[i];
  if (n)
    qsort(kept, n, sizeof(*kept), compare_assocs);
  size_t from = l->filter.offset > 0 ? (size_t)l->filter.offset : 0;
  for (size_t i = from; array && i < n; i++) {
    if (l->filter.limit >= 0 && i - from >= (size_t)l->filter.limit)
      break;
    if (json_array_append_new(array, assoc_json(kept[i]))) {
      json_decref(array);
      array = NULL;
    }
  }
  free(kept);
  kv_reply_json(reply, array);
  return false;
}

/* ---- creating ------------------------------------------------------------ */

static void invalid(kv_reply_t *reply, const char *property, const char *detail) {
  kv_reply_error(reply, 42212,
                 "The association specified an invalid value for property: "
                 "'%s', detail: %s",
                 property, detail);
}

/* One association of a create request, defaults applied. */
typedef struct wanted_s {
  kv_assoc_t assoc;       /* strings borrowed from the request, or owned */
  char *default_subject;  /* owned: ":.NAMESPACE:NAME-TYPE" */
  const json_t *schema;   /* the registration body, or NULL */
} wanted_t;

typedef struct request_s {
  const char *name, *namespace_, *id, *type;
  wanted_t wanted[MAX_REQUEST_ASSOCIATIONS];
  size_t count;
} request_t;

static void request_clear(request_t *r) {
  for (size_t i = 0; i < r->count; i++)
    free(r->wanted[i].default_subject);
  memset(r, 0, sizeof(*r));
}

/* A non-empty string member @key of @body, or NULL. */
static const char *text_member(const json_t *body, const char *key) {
  const char *s = json_string_value(json_object_get(body, key));
  return s && *s ? s : NULL;
}

/* Read one association of the request as the registry's
 * AssociationCreateOrUpdateInfo.validate() and applyDefaults() do. */
static bool read_wanted(const request_t *r, const json_t *info, wanted_t *w,
                        kv_reply_t *reply) {
  kv_assoc_t *a = &w->assoc;
  const json_t *frozen = json_object_get(info, "frozen");
  const char *lifecycle = text_member(info, "lifecycle");
  w->schema = json_object_get(info, "schema");
  if (json_is_null(w->schema))
    w->schema = NULL;
  if (w->schema && !json_is_object(w->schema)) {
    invalid(reply, "schema", "must be an object");
    return false;
  }
  if (lifecycle && strcmp(lifecycle, "STRONG") && strcmp(lifecycle, "WEAK")) {
    invalid(reply, "lifecycle", "must be STRONG or WEAK");
    return false;
  }
  if (w->schema && lifecycle && strcmp(lifecycle, "WEAK") == 0) {
    invalid(reply, "lifecycle", "cannot be WEAK when schema is provided");
    return false;
  }
  a->strong = w->schema ? true : lifecycle && strcmp(lifecycle, "STRONG") == 0;
  if (frozen && !json_is_null(frozen) &&
      (!json_is_boolean(frozen) || json_is_true(frozen) != a->strong)) {
    invalid(reply, "frozen", a->strong ? "association with lifecycle of STRONG "
                                         "cannot be frozen=false"
                                       : "association with lifecycle of WEAK "
                                         "cannot be frozen=true");
    return false;
  }
  a->frozen = a->strong;
  a->association_type = (char *)text_member(info, "associationType");
  if (!a->association_type)
    a->association_type = "value";
  if (strcmp(a->association_type, "key") && strcmp(a->association_type, "value")) {
    invalid(reply, "associationType", "must be either 'key' or 'value'");
    return false;
  }
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_printf(&sb, ":.%s:%s-%s", r->namespace_, r->name, a->association_type);
  if (!(w->default_subject = kv_strbuf_steal(&sb))) {
    kv_reply_error(reply, 50001, "Out of memory");
    return false;
  }
  a->subject = (char *)text_member(info, "subject");
  if (!a->subject)
    a->subject = w->default_subject;
  if (a->frozen && strcmp(a->subject, w->default_subject)) {
    kv_reply_error(reply, 42212,
                   "The association specified an invalid value for property: "
                   "'subject', detail: frozen associations must use subject "
                   "'%s'",
                   w->default_subject);
    return false;
  }
  if (!a->strong && strcmp(a->subject, w->default_subject) == 0) {
    kv_reply_error(reply, 42212,
                   "The association specified an invalid value for property: "
                   "'subject', detail: WEAK associations cannot use subject "
                   "'%s'",
                   w->default_subject);
    return false;
  }
  a->resource_name = (char *)r->name;
  a->resource_namespace = (char *)r->namespace_;
  a->resource_id = (char *)r->id;
  a->resource_type = (char *)r->type;
  return true;
}

/* Read a POST /associations body into @r (borrowing from @body). */
static bool read_request(const json_t *body, request_t *r, kv_reply_t *reply) {
  memset(r, 0, sizeof(*r));
  r->name = text_member(body, "resourceName");
  r->namespace_ = text_member(body, "resourceNamespace");
  r->id = text_member(body, "resourceId");
  r->type = text_member(body, "resourceType");
  const json_t *list = json_object_get(body, "associations");
  const char *missing = !r->name        ? "resourceName"
                        : !r->namespace_ ? "resourceNamespace"
                        : !r->id         ? "resourceId"
                                         : NULL;
  if (missing) {
    invalid(reply, missing, "cannot be null or empty");
    return false;
  }
  if (r->type && strcmp(r->type, TOPIC)) {
    invalid(reply, "resourceType", "must be 'topic'");
    return false;
  }
  r->type = TOPIC;
  if (!json_is_array(list) || json_array_size(list) == 0 ||
      json_array_size(list) > MAX_REQUEST_ASSOCIATIONS) {
    invalid(reply, "associations", "cannot be null or empty, and holds one "
                                   "association per type");
    return false;
  }
  for (size_t i = 0; i < json_array_size(list); i++) {
    wanted_t *w = &r->wanted[r->count++];
    if (!json_is_object(json_array_get(list, i))) {
      invalid(reply, "associations", "must be objects");
      return false;
    }
    if (!read_wanted(r, json_array_get(list, i), w, reply))
      return false;
    if (i == 1 && strcmp(r->wanted[0].assoc.association_type,
                         w->assoc.association_type) == 0) {
      kv_reply_error(reply, 42212,
                     "The association specified an invalid value for "
                     "property: 'associationType', detail: may only appear "
                     "once per request, but '%s' appears more than once",
                     w->assoc.association_type);
      return false;
    }
  }
  return true;
}

static const kv_assoc_t *existing(const kv_assocs_t *assocs, const request_t *r,
                                  const char *type) {
  for (size_t i = 0; i < assocs->count; i++) {
    const kv_assoc_t *a = &assocs->items[i];
    if (strcmp(a->resource_id, r->id) == 0 &&
        strcmp(a->resource_type, r->type) == 0 &&
        strcmp(a->association_type, type) == 0)
      return a;
  }
  return NULL;
}

/* Whether an association other than one of @r's resource names @subject
 * (only STRONG ones when @strong_only). */
static bool subject_taken(const kv_assocs_t *assocs, const request_t *r,
                          const char *subject, bool strong_only) {
  for (size_t i = 0; i < assocs->count; i++) {
    const kv_assoc_t *a = &assocs->items[i];
    if (strcmp(a->subject, subject) == 0 && strcmp(a->resource_id, r->id) != 0 &&
        (a->strong || !strong_only))
      return true;
  }
  return false;
}

/* The checks that read the store; @skip[i] is set for an association
 * that exists as asked (an idempotent retry). */
static bool check_locked(kv_store_t *store, const kv_assocs_t *assocs,
                         const request_t *r, bool registered, bool skip[],
                         kv_reply_t *reply) {
  for (size_t i = 0; i < r->count; i++) {
    const kv_assoc_t *want = &r->wanted[i].assoc;
    const kv_assoc_t *old = existing(assocs, r, want->association_type);
    skip[i] = old && strcmp(old->subject, want->subject) == 0 &&
              old->strong == want->strong && old->frozen == want->frozen;
    if (old && !skip[i]) {
      kv_reply_error(reply, 40903,
                     "An association of type '%s' already exists for "
                     "resource '%s'",
                     want->association_type, r->name);
      return false;
    }
    if (skip[i])
      continue;
    if ((!r->wanted[i].schema || registered) &&
        !kv_store_subject_live_locked(store, want->subject)) {
      kv_reply_error(reply, 40907,
                     "No active (non-deleted) version exists for subject '%s'",
                     want->subject);
      return false;
    }
    if (want->strong && subject_taken(assocs, r, want->subject, false)) {
      kv_reply_error(reply, 40904, "An association already exists for "
                                   "subject '%s'",
                     want->subject);
      return false;
    }
    if (!want->strong && subject_taken(assocs, r, want->subject, true)) {
      kv_reply_error(reply, 40905, "A strong association already exists for "
                                   "subject '%s'",
                     want->subject);
      return false;
    }
  }
  return true;
}

static json_t *create_answer(const request_t *r) {
  json_t *list = json_array();
  for (size_t i = 0; list && i < r->count; i++) {
    const kv_assoc_t *a = &r->wanted[i].assoc;
    if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "subject",
                                              a->subject, "associationType",
                                              a->association_type, "lifecycle",
                                              lifecycle_name(a), "frozen",
                                              a->frozen))) {
      json_decref(list);
      return NULL;
    }
  }
  return json_pack("{s:s, s:s, s:s, s:s, s:o}", "resourceName", r->name,
                   "resourceNamespace", r->namespace_, "resourceId", r->id,
                   "resourceType", r->type, "associations", list);
}

typedef struct creating_s {
  const request_t *request;
  bool registered; /* the schemas given were registered */
} creating_t;

static bool check_only(kv_store_t *store, kv_assocs_t *assocs, void *opaque,
                       kv_reply_t *reply) {
  const creating_t *c = opaque;
  bool skip[MAX_REQUEST_ASSOCIATIONS];
  check_locked(store, assocs, c->request, false, skip, reply);
  return false;
}

static bool create_locked(kv_store_t *store, kv_assocs_t *assocs, void *opaque,
                          kv_reply_t *reply) {
  const creating_t *c = opaque;
  const request_t *r = c->request;
  bool skip[MAX_REQUEST_ASSOCIATIONS];
  if (!check_locked(store, assocs, r, c->registered, skip, reply))
    return false;
  size_t before = assocs->count;
  for (size_t i = 0; i < r->count; i++) {
    if (!skip[i] && !assocs_add(assocs, &r->wanted[i].assoc)) {
      while (assocs->count > before)
        assoc_free(&assocs->items[--assocs->count]);
      kv_reply_error(reply, 50001, "Error in the backend data store: out of "
                                   "memory");
      return false;
    }
  }
  kv_reply_json(reply, create_answer(r));
  return assocs->count > before;
}

/* Register the schemas the request carries under their subjects.  False
 * with @reply set when one is refused. */
static bool register_schemas(kv_store_t *store, const request_t *r,
                             kv_reply_t *reply) {
  for (size_t i = 0; i < r->count; i++) {
    if (!r->wanted[i].schema)
      continue;
    kv_store_register(store, r->wanted[i].assoc.subject, r->wanted[i].schema,
                      false, reply);
    if (reply->error_code)
      return false;
    kv_reply_clear(reply);
  }
  return true;
}

static void create(kv_store_t *store, const json_t *body, kv_reply_t *reply) {
  request_t r;
  if (read_request(body, &r, reply)) {
    creating_t c = {&r, false};
    /* Checked before any schema is registered, and again with the
     * schemas in place. */
    kv_store_with_assocs(store, false, check_only, &c, reply);
    if (!reply->error_code && register_schemas(store, &r, reply)) {
      c.registered = true;
      kv_store_with_assocs(store, true, create_locked, &c, reply);
    }
  }
  request_clear(&r);
}

/* ---- deleting ------------------------------------------------------------ */

typedef struct deleting_s {
  const char *id;
  filter_t filter;
  bool cascade; /* cascadeLifecycle: a STRONG association's subject too */
  bool dry_run; /* dryRun: check only */
} deleting_t;

static bool deleting_param(void *ctx, const char *name, const char *value) {
  deleting_t *d = ctx;
  bool *flag = strcmp(name, "cascadeLifecycle") == 0 ? &d->cascade
               : strcmp(name, "dryRun") == 0         ? &d->dry_run
                                                     : NULL;
  if (flag)
    *flag = strcasecmp(value, "true") == 0;
  return true;
}

static bool deleted_by(const deleting_t *d, const kv_assoc_t *a) {
  return strcmp(a->resource_id, d->id) == 0 && filter_keeps(&d->filter, a);
}

/* What deleteAssociations() checks of each association first
 * (checkDeleteAssociation()): its subject not read-only (42205), and a
 * frozen one only with cascadeLifecycle (40908). */
static bool may_delete(const kv_store_t *store, const deleting_t *d,
                       const kv_assoc_t *a, kv_reply_t *reply) {
  if (kv_store_read_only_locked(store, a->subject)) {
    kv_reply_error(reply, 42205, "Subject %s is in read-only mode", a->subject);
    return false;
  }
  if (a->frozen && !d->cascade) {
    kv_reply_error(reply, 40908,
                   "The association of type  '%s' is frozen for subject '%s'",
                   a->association_type, a->subject);
    return false;
  }
  return true;
}

/* DELETE /associations/resources/{id}: 40410 when none matches; each
 * checked, then (unless dryRun) removed, and with cascadeLifecycle the
 * subject of a STRONG one deleted soft and then for good (not in IMPORT
 * mode).  A subject that cannot be deleted (42206) fails the request and
 * the whole change is undone (kv_store_with_assocs()). */
static bool delete_locked(kv_store_t *store, kv_assocs_t *assocs, void *opaque,
                          kv_reply_t *reply) {
  const deleting_t *d = opaque;
  size_t matched = 0;
  for (size_t i = 0; i < assocs->count; i++) {
    if (!deleted_by(d, &assocs->items[i]))
      continue;
    matched++;
    if (!may_delete(store, d, &assocs->items[i], reply))
      return false;
  }
  if (!matched) {
    kv_reply_error(reply, 40410, "Association for '%s' not found.", d->id);
    return false;
  }
  if (d->dry_run) {
    kv_reply_no_content(reply);
    return false;
  }
  size_t kept = 0, count = assocs->count;
  bool failed = false;
  for (size_t i = 0; i < count; i++) {
    kv_assoc_t *a = &assocs->items[i];
    if (!deleted_by(d, a)) {
      assocs->items[kept++] = *a;
      continue;
    }
    if (!failed && d->cascade && a->strong &&
        !kv_store_import_mode_locked(store, a->subject))
      failed = !kv_store_delete_subject_locked(store, a->subject, reply);
    assoc_free(a);
  }
  assocs->count = kept;
  if (failed)
    return false;
  kv_reply_no_content(reply);
  return true;
}

/* ---- the endpoints ------------------------------------------------------- */

void kv_assoc_serve(kv_store_t *store, const kv_route_t *route,
                    const kv_http_request_t *request, kv_reply_t *reply) {
  if (route->endpoint == KV_EP_CREATE_ASSOCIATION) {
    json_error_t jerr;
    json_t *body = json_loadb(request->body ? request->body : "",
                              request->body_length, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(body))
      kv_reply_error(reply, 400, "Unrecognized request body: %s",
                     body ? "not a JSON object" : jerr.text);
    else
      create(store, body, reply);
    json_decref(body);
    return;
  }
  listing_t l = {{0}, {0}};
  if (!read_filter(request->query, &l.filter)) {
    kv_reply_error(reply, 50001, "Out of memory");
  } else if (route->endpoint == KV_EP_DELETE_ASSOCIATIONS) {
    deleting_t d = {route->id, l.filter, false, false};
    each_param(request->query, deleting_param, &d);
    kv_store_with_assocs(store, true, delete_locked, &d, reply);
  } else {
    if (route->endpoint == KV_EP_ASSOCIATIONS_BY_SUBJECT)
      l.match.subject = route->subject;
    else if (route->endpoint == KV_EP_ASSOCIATIONS_BY_RESOURCE_ID)
      l.match.id = route->id;
    else {
      l.match.name = route->id;
      l.match.namespace_ = route->resource_namespace;
    }
    kv_store_with_assocs(store, false, list_locked, &l, reply);
  }
  filter_clear(&l.filter);
}
