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
 *  - POST /associations (create) and PUT /associations/resources/{id}
 *    (create or update: "upsert") check the request (42212), refuse a
 *    second association of a type for a resource on create unless it is
 *    the same one (40903), a change to a frozen one on upsert (40908), a
 *    WEAK association to a subject without a live version (40907), a
 *    STRONG one to a subject another association names (40904), a WEAK
 *    one to a subject that has a STRONG one (40905), two lifecycles on one
 *    resource (42212) and a frozen one to a subject that holds other
 *    schemas (42212); a schema given with
 *    an association (create only) is registered under its subject first;
 *    dryRun=true checks all of it, the schema's validity and compatibility
 *    included, and stores nothing;
 *  - GET /associations/resources/{namespace}/{name}, .../{id} and
 *    /associations/subjects/{subject} list associations (namespace "-"
 *    and name "-" match any), filtered by resourceType (default "topic"),
 *    associationType (repeatable) and lifecycle, paged by offset and limit;
 *  - DELETE /associations/resources/{id} removes them: 204, or 40410;
 *    40908 for a frozen one, unless cascadeLifecycle=true, which deletes
 *    a STRONG association's subject too; dryRun=true only checks;
 *  - POST /associations:batchGet and /associations:batchMutate answer 207
 *    with one result or error per request.
 *
 * Associations live in the store (kv_store_with_assocs()), so they are in
 * its file and a change that cannot be written is undone.  Not kept from
 * the registry: the refusal of a STRONG association to a subject that a
 * schema of the same request references (one already registered that
 * references it is refused, 42206).
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
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

/* An Association as the registry lists it: "frozen" left out where it is
 * the lifecycle's default (the file keeps it). */
static json_t *listed_json(const kv_assoc_t *a) {
  json_t *item = assoc_json(a);
  if (item && a->frozen == a->strong)
    json_object_del(item, "frozen");
  return item;
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

/* The flags of the query: cascadeLifecycle, dryRun, includeSchemas
 * ("true" in any case, as Jersey reads a boolean; anything else false). */
typedef struct flags_s {
  bool cascade, dry_run, include_schemas;
} flags_t;

static bool flag_param(void *ctx, const char *name, const char *value) {
  flags_t *f = ctx;
  bool *flag = strcmp(name, "cascadeLifecycle") == 0 ? &f->cascade
               : strcmp(name, "dryRun") == 0         ? &f->dry_run
               : strcmp(name, "includeSchemas") == 0 ? &f->include_schemas
                                                     : NULL;
  if (flag)
    *flag = strcasecmp(value, "true") == 0;
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

/* The associations @l matches, sorted as the registry lists them: a block
 * of *@countp pointers into @assocs (free() it); NULL on OOM. */
static const kv_assoc_t **collect(const kv_assocs_t *assocs, const listing_t *l,
                                  size_t *countp) {
  const kv_assoc_t **kept = calloc(assocs->count + 1, sizeof(*kept));
  size_t n = 0;
  for (size_t i = 0; kept && i < assocs->count; i++)
    if (match_keeps(&l->match, &assocs->items[i]) &&
        filter_keeps(&l->filter, &assocs->items[i]))
      kept[n++] = &assocs->items[i];
  if (n)
    qsort(kept, n, sizeof(*kept), compare_assocs);
  *countp = n;
  return kept;
}

static bool list_locked(kv_store_t *store, kv_assocs_t *assocs, void *opaque,
                        kv_reply_t *reply) {
  (void)store;
  const listing_t *l = opaque;
  size_t n = 0;
  const kv_assoc_t **kept = collect(assocs, l, &n);
  json_t *array = kept ? json_array() : NULL;
  size_t from = l->filter.offset > 0 ? (size_t)l->filter.offset : 0;
  for (size_t i = from; array && i < n; i++) {
    if (l->filter.limit >= 0 && i - from >= (size_t)l->filter.limit)
      break;
    if (json_array_append_new(array, listed_json(kept[i]))) {
      json_decref(array);
      array = NULL;
    }
  }
  free(kept);
  kv_reply_json(reply, array);
  return false;
}

/* ---- creating and updating ---------------------------------------------- */

static void invalid(kv_reply_t *reply, const char *property, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

/* The registry's 42212 (RestInvalidAssociationException). */
static void invalid(kv_reply_t *reply, const char *property, const char *fmt,
                    ...) {
  char detail[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof(detail), fmt, ap);
  va_end(ap);
  kv_reply_error(reply, 42212,
                 "The association specified an invalid value for property: "
                 "'%s', detail: %s",
                 property, detail);
}

typedef enum lifecycle_e {
  LIFECYCLE_UNSET,
  LIFECYCLE_WEAK,
  LIFECYCLE_STRONG
} lifecycle_t;

static const char *lifecycle_text(lifecycle_t l) {
  return l == LIFECYCLE_STRONG ? "STRONG" : "WEAK";
}

/* One association of a create or upsert request: what it asks (members
 * left out stay unset, as the registry's AssociationCreateOrUpdateInfo
 * keeps them null), and what it comes to once read against the store. */
typedef struct wanted_s {
  const char *subject; /* borrowed from the request, or the default */
  const char *type;    /* "key" or "value" */
  lifecycle_t lifecycle;
  int frozen;             /* -1: not given */
  const json_t *schema;   /* the registration body, or NULL */
  bool normalize;
  char *default_subject; /* owned: ":.NAMESPACE:NAME-TYPE" */
  kv_assoc_t assoc;      /* resolved; strings borrowed */
  bool skip;             /* it exists as asked (an idempotent retry) */
  json_t *registered;    /* the schema registered for it, or NULL */
} wanted_t;

typedef struct request_s {
  const char *name, *namespace_, *id, *type;
  wanted_t wanted[MAX_REQUEST_ASSOCIATIONS];
  size_t count;
  bool create;  /* POST /associations (a CREATE run), else an upsert */
  bool dry_run; /* dryRun=true: check only */
} request_t;

static void request_free(request_t *r) {
  for (size_t i = 0; r && i < r->count; i++) {
    free(r->wanted[i].default_subject);
    json_decref(r->wanted[i].registered);
  }
  free(r);
}

/* A non-empty string member @key of @body, or NULL. */
static const char *text_member(const json_t *body, const char *key) {
  const char *s = json_string_value(json_object_get(body, key));
  return s && *s ? s : NULL;
}

static bool has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return true;
  return false;
}

/* The members of @info as given (RestValidation.checkSubject() for the
 * subject). */
static bool read_members(const json_t *info, wanted_t *w, kv_reply_t *reply) {
  const json_t *subject = json_object_get(info, "subject");
  const json_t *frozen = json_object_get(info, "frozen");
  const json_t *given = json_object_get(info, "lifecycle");
  const char *lifecycle = text_member(info, "lifecycle");
  w->schema = json_object_get(info, "schema");
  if (json_is_null(w->schema))
    w->schema = NULL;
  w->normalize = json_is_true(json_object_get(info, "normalize"));
  w->subject = json_string_value(subject);
  w->frozen = json_is_boolean(frozen) ? json_is_true(frozen) : -1;
  w->lifecycle = !lifecycle                         ? LIFECYCLE_UNSET
                 : strcmp(lifecycle, "STRONG") == 0 ? LIFECYCLE_STRONG
                                                    : LIFECYCLE_WEAK;
  if (subject && !json_is_null(subject) &&
      (!w->subject || !*w->subject || has_control(w->subject)))
    invalid(reply, "subject", "must not be empty");
  else if (w->schema && !json_is_object(w->schema))
    invalid(reply, "schema", "must be an object");
  else if ((given && !json_is_null(given) && !json_is_string(given)) ||
           (lifecycle && strcmp(lifecycle, "STRONG") &&
            strcmp(lifecycle, "WEAK")))
    invalid(reply, "lifecycle", "must be STRONG or WEAK");
  else if (frozen && !json_is_null(frozen) && w->frozen < 0)
    invalid(reply, "frozen", "must be a boolean");
  else
    return true;
  return false;
}

/* AssociationCreateOrUpdateInfo.applyDefaults(): for an association that
 * does not exist yet.  A schema means a frozen STRONG one, which only a
 * create makes; otherwise WEAK unless asked; frozen follows the
 * lifecycle. */
static bool apply_defaults(wanted_t *w, bool create, kv_reply_t *reply) {
  if (!create && w->schema) {
    invalid(reply, "schema",
            "cannot be provided when adding an association to an existing "
            "topic; an association with a schema must be created with the "
            "topic");
    return false;
  }
  if (w->schema && w->lifecycle == LIFECYCLE_WEAK) {
    invalid(reply, "lifecycle", "cannot be WEAK when schema is provided");
    return false;
  }
  if (w->schema && w->frozen == 0) {
    invalid(reply, "frozen", "cannot be false when a schema is provided");
    return false;
  }
  if (w->schema)
    w->lifecycle = LIFECYCLE_STRONG;
  else if (w->lifecycle == LIFECYCLE_UNSET)
    w->lifecycle = LIFECYCLE_WEAK;
  int desired = w->lifecycle == LIFECYCLE_STRONG;
  if (w->frozen >= 0 && w->frozen != desired) {
    invalid(reply, "frozen",
            "association with lifecycle of %s cannot be "
            "frozen=%s",
            lifecycle_text(w->lifecycle), w->frozen ? "true" : "false");
    return false;
  }
  w->frozen = desired;
  return true;
}

/* What a create asks of its subject (AssociationCreateOrUpdateRequest.
 * validate()): the default one when none is given; a frozen association
 * uses it, a WEAK one may not. */
static bool check_create_subject(wanted_t *w, kv_reply_t *reply) {
  if (!w->subject)
    w->subject = w->default_subject;
  if (w->frozen == 1 && strcmp(w->subject, w->default_subject)) {
    invalid(reply, "subject", "frozen associations must use subject '%s'",
            w->default_subject);
    return false;
  }
  if (w->lifecycle == LIFECYCLE_WEAK &&
      !strcmp(w->subject, w->default_subject)) {
    invalid(reply, "subject", "WEAK associations cannot use subject '%s'",
            w->default_subject);
    return false;
  }
  return true;
}

/* Read one association of the request as the registry's
 * AssociationCreateOrUpdateInfo.validate() does, without the store. */
static bool read_wanted(const request_t *r, const json_t *info, wanted_t *w,
                        kv_reply_t *reply) {
  if (!read_members(info, w, reply))
    return false;
  if (r->create && !apply_defaults(w, true, reply))
    return false;
  const json_t *type = json_object_get(info, "associationType");
  w->type = text_member(info, "associationType");
  if ((type && !json_is_null(type) && !json_is_string(type)) ||
      (w->type && strcmp(w->type, "key") && strcmp(w->type, "value"))) {
    invalid(reply, "associationType", "must be either 'key' or 'value'");
    return false;
  }
  if (!w->type)
    w->type = "value";
  if (w->lifecycle == LIFECYCLE_WEAK) {
    if (w->schema) {
      invalid(reply, "lifecycle", "cannot be WEAK when schema is provided");
      return false;
    }
    if (w->frozen == 1) {
      invalid(reply, "frozen",
              "association with lifecycle of WEAK cannot be "
              "frozen");
      return false;
    }
    if (r->create && !w->subject) {
      invalid(reply, "subject", "must be provided for WEAK associations");
      return false;
    }
  }
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_printf(&sb, ":.%s:%s-%s", r->namespace_, r->name, w->type);
  if (!(w->default_subject = kv_strbuf_steal(&sb))) {
    kv_reply_error(reply, 50001, "Out of memory");
    return false;
  }
  return !r->create || check_create_subject(w, reply);
}

/* RestValidation.checkName(): 1 to 256 letters, digits, '_' or '-'. */
static bool check_name(const char *name, const char *property,
                       kv_reply_t *reply) {
  if (!name) {
    invalid(reply, property, "cannot be null or empty");
    return false;
  }
  if (strlen(name) > 256) {
    invalid(reply, property, "exceeds max length of 256");
    return false;
  }
  for (const char *p = name; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' ||
          (unsigned char)*p >= 0x80)) {
      invalid(reply, property, "illegal character '%c'", *p);
      return false;
    }
  return true;
}

/* The resource members of a request (borrowed from @body), checked as
 * AssociationCreateOrUpdateRequest.validate() and AssociationOpRequest.
 * validate() check them: a name and a namespace, an id unless
 * @dry_run (a topic being validated may have none yet), type "topic". */
static bool read_resource(const json_t *body, bool dry_run, request_t *r,
                          kv_reply_t *reply) {
  r->name = text_member(body, "resourceName");
  r->namespace_ = text_member(body, "resourceNamespace");
  r->id = text_member(body, "resourceId");
  r->type = text_member(body, "resourceType");
  if (!check_name(r->name, "resourceName", reply) ||
      !check_name(r->namespace_, "resourceNamespace", reply))
    return false;
  if (!dry_run && !r->id) {
    invalid(reply, "resourceId", "cannot be null or empty");
    return false;
  }
  if (r->type && strcmp(r->type, TOPIC)) {
    invalid(reply, "resourceType", "must be '" TOPIC "'");
    return false;
  }
  r->type = TOPIC;
  const json_t *list = json_object_get(body, "associations");
  if (!json_is_array(list) || json_array_size(list) == 0) {
    invalid(reply, "associations", "cannot be null or empty");
    return false;
  }
  return true;
}

static void duplicate_type(kv_reply_t *reply, const char *type) {
  invalid(reply, "associationType",
          "may only appear once per request, but '%s' appears more than once",
          type);
}

static request_t *request_read(const json_t *body, bool create, bool dry_run,
                               kv_reply_t *reply) {
  request_t *r = calloc(1, sizeof(*r));
  if (!r) {
    kv_reply_error(reply, 50001, "Out of memory");
    return NULL;
  }
  r->create = create;
  r->dry_run = dry_run;
  const json_t *list = json_object_get(body, "associations");
  bool ok = read_resource(body, dry_run, r, reply);
  for (size_t i = 0; ok && i < json_array_size(list); i++) {
    const json_t *info = json_array_get(list, i);
    if (!json_is_object(info)) {
      invalid(reply, "associations", "must be objects");
      ok = false;
    } else if (r->count == MAX_REQUEST_ASSOCIATIONS) {
      /* Two types only: a third repeats one. */
      const char *type = text_member(info, "associationType");
      duplicate_type(reply, type ? type : "value");
      ok = false;
    } else {
      wanted_t *w = &r->wanted[r->count++];
      ok = read_wanted(r, info, w, reply);
      if (ok && i == 1 && strcmp(r->wanted[0].type, w->type) == 0) {
        duplicate_type(reply, w->type);
        ok = false;
      }
    }
  }
  if (!ok) {
    request_free(r);
    return NULL;
  }
  return r;
}

/* ---- ... against the store ---- */

/* The resource the request names: by its id, or, in a dry run without
 * one, the resource of that name and namespace (the registry takes the
 * one updated last; the mock, the first it holds). */
static const char *resource_id(const kv_assocs_t *assocs, const request_t *r) {
  if (r->id || !r->create || !r->dry_run)
    return r->id;
  for (size_t i = 0; i < assocs->count; i++) {
    const kv_assoc_t *a = &assocs->items[i];
    if (!strcmp(a->resource_name, r->name) &&
        !strcmp(a->resource_namespace, r->namespace_) &&
        !strcmp(a->resource_type, r->type))
      return a->resource_id;
  }
  return NULL;
}

static kv_assoc_t *existing(kv_assocs_t *assocs, const char *id,
                            const char *resource_type, const char *type) {
  for (size_t i = 0; id && i < assocs->count; i++) {
    kv_assoc_t *a = &assocs->items[i];
    if (strcmp(a->resource_id, id) == 0 &&
        strcmp(a->resource_type, resource_type) == 0 &&
        strcmp(a->association_type, type) == 0)
      return a;
  }
  return NULL;
}

/* Whether an association of another resource than @id names @subject
 * (only STRONG ones when @strong_only). */
static bool subject_taken(const kv_assocs_t *assocs, const char *id,
                          const char *subject, bool strong_only) {
  for (size_t i = 0; i < assocs->count; i++) {
    const kv_assoc_t *a = &assocs->items[i];
    if (strcmp(a->subject, subject) == 0 &&
        (!id || strcmp(a->resource_id, id) != 0) && (a->strong || !strong_only))
      return true;
  }
  return false;
}

/* The rules on a new association (@w, its lifecycle @strong) that need
 * the store: an upsert makes no STRONG one, a create no frozen one
 * without its schema (a subject in IMPORT mode excepted: cluster linking
 * replicates them). */
static bool check_new(const kv_store_t *store, const request_t *r,
                      const wanted_t *w, const char *subject, bool strong,
                      kv_reply_t *reply) {
  bool import = kv_store_import_mode_locked(store, subject);
  if (!r->create && strong && !import) {
    invalid(reply, "lifecycle",
            "cannot be STRONG when creating an association; STRONG "
            "associations must be created with the topic");
    return false;
  }
  if (r->create && w->frozen == 1 && !w->schema && !import) {
    invalid(reply, "schema",
            "schema must be provided when creating a frozen association");
    return false;
  }
  return true;
}

/* The rules on changing @old as @w asks (an upsert): a lifecycle or a
 * schema to change, the same subject, no WEAK one on the default subject,
 * the same frozen flag, and nothing frozen (40908). */
static bool check_update(const wanted_t *w, const kv_assoc_t *old,
                         kv_reply_t *reply) {
  if (w->lifecycle == LIFECYCLE_UNSET && !w->schema)
    invalid(reply, "lifecycle",
            "at least lifecycle or schema must be provided for update");
  else if (w->subject && strcmp(old->subject, w->subject))
    invalid(reply, "subject",
            "subject of association cannot be changed from '%s' to '%s'",
            old->subject, w->subject);
  else if (old->strong && w->lifecycle == LIFECYCLE_WEAK &&
           !strcmp(old->subject, w->default_subject))
    invalid(reply, "lifecycle",
            "cannot change to WEAK when subject matches default format '%s'",
            w->default_subject);
  else if (w->frozen >= 0 && w->frozen != old->frozen)
    invalid(reply, "frozen",
            "frozen attribute of association cannot be changed");
  else if (old->frozen)
    kv_reply_error(reply, 40908,
                   "The association of type  '%s' is frozen for subject '%s'",
                   old->association_type, old->subject);
  else
    return true;
  return false;
}

/* The subject, lifecycle and frozen flag @w comes to, given @old (the
 * association of its type the resource has, or NULL), checked as the
 * registry's createOrUpdateAssociation() checks them. */
static bool resolve(const kv_store_t *store, const request_t *r, wanted_t *w,
                    const kv_assoc_t *old, kv_reply_t *reply) {
  if (!old && !r->create && !apply_defaults(w, false, reply))
    return false;
  const char *subject = w->subject                         ? w->subject
                        : old                              ? old->subject
                        : w->lifecycle == LIFECYCLE_STRONG ? w->default_subject
                                                           : NULL;
  if (!subject) {
    invalid(reply, "subject", "must be provided for WEAK associations");
    return false;
  }
  bool strong = w->lifecycle != LIFECYCLE_UNSET
                    ? w->lifecycle == LIFECYCLE_STRONG
                    : old->strong; /* unset only for an upsert with @old */
  bool is_default = strcmp(subject, w->default_subject) == 0;
  if (!strong && (w->schema || is_default)) {
    if (w->schema)
      invalid(reply, "lifecycle", "cannot be WEAK when schema is provided");
    else
      invalid(reply, "subject", "WEAK associations cannot use subject '%s'",
              w->default_subject);
    return false;
  }
  bool is_frozen = old ? old->frozen : w->frozen == 1;
  bool frozen = w->frozen >= 0 ? w->frozen == 1 : is_frozen;
  if (frozen != strong) {
    invalid(reply, "frozen",
            "association with lifecycle of %s cannot be "
            "frozen=%s",
            strong ? "STRONG" : "WEAK", frozen ? "true" : "false");
    return false;
  }
  if (is_frozen && !is_default) {
    invalid(reply, "subject", "frozen associations must use subject '%s'",
            w->default_subject);
    return false;
  }
  w->skip = old && !strcmp(old->subject, subject) &&
            (w->lifecycle == LIFECYCLE_UNSET || strong == old->strong) &&
            (w->frozen < 0 || frozen == old->frozen);
  if (old && !w->skip && r->create) {
    kv_reply_error(reply, 40903,
                   "An association of type '%s' already exists for resource "
                   "'%s'",
                   w->type, old->resource_name);
    return false;
  }
  if (old ? !w->skip && !check_update(w, old, reply)
          : !check_new(store, r, w, subject, strong, reply))
    return false;
  w->assoc =
      (kv_assoc_t){(char *)subject, (char *)r->name, (char *)r->namespace_,
                   (char *)r->id,   (char *)r->type, (char *)w->type,
                   strong,          frozen};
  return true;
}

/* What the registry checks of the subject of @w: no schema for one in
 * IMPORT mode, a live version unless a schema comes with it (or was
 * @registered), a STRONG association only to a subject no other resource
 * names (40904) and no schema references (42206: a topic-owned subject
 * is nobody's dependency), a WEAK one not to a subject with a STRONG one
 * (40905). */
static bool check_subject(const kv_store_t *store, const kv_assocs_t *assocs,
                          const char *id, const wanted_t *w, bool registered,
                          kv_reply_t *reply) {
  const char *subject = w->assoc.subject;
  if (w->schema && kv_store_import_mode_locked(store, subject))
    invalid(reply, "schema",
            "cannot be provided while subject '%s' is in IMPORT mode",
            subject);
  else if ((!w->schema || registered) &&
           !kv_store_subject_live_locked(store, subject))
    kv_reply_error(reply, 40907,
                   "No active (non-deleted) version exists for subject '%s'",
                   subject);
  else if (w->assoc.strong && subject_taken(assocs, id, subject, false))
    kv_reply_error(reply, 40904,
                   "An association already exists for subject '%s'", subject);
  else if (w->assoc.strong &&
           kv_store_subject_referenced_locked(store, subject))
    kv_reply_error(reply, 42206,
                   "One or more references exist to the schema %s.", subject);
  else if (!w->assoc.strong && subject_taken(assocs, id, subject, true))
    kv_reply_error(reply, 40905,
                   "A strong association already exists for subject '%s'",
                   subject);
  else
    return true;
  return false;
}

/* One lifecycle per resource across its association types (the
 * registry's checkUniformLifecycle()): for each type the request's, or
 * the stored one where the request leaves it as it is; named in the
 * order the registry names them, the stored ones first. */
static bool check_uniform(const kv_assocs_t *assocs, const char *id,
                          const request_t *r, kv_reply_t *reply) {
  const char *type[2];
  bool strong[2];
  size_t n = 0;
  for (size_t i = 0; i < assocs->count + r->count; i++) {
    bool stored = i < assocs->count;
    const kv_assoc_t *a = stored ? &assocs->items[i] : NULL;
    const wanted_t *w = stored ? NULL : &r->wanted[i - assocs->count];
    if (stored ? !id || strcmp(a->resource_id, id) ||
                     strcmp(a->resource_type, r->type)
               : w->lifecycle == LIFECYCLE_UNSET)
      continue;
    const char *t = stored ? a->association_type : w->type;
    size_t at = 0;
    while (at < n && strcmp(type[at], t))
      at++;
    if (at == 2) /* a third type: none is stored or let through */
      continue;
    if (at == n)
      type[n++] = t;
    strong[at] = stored ? a->strong : w->lifecycle == LIFECYCLE_STRONG;
  }
  if (n < 2 || strong[0] == strong[1])
    return true;
  invalid(reply, "lifecycle",
          "all associations for a resource must have the "
          "same lifecycle, but got %s=%s, %s=%s",
          type[0], strong[0] ? "STRONG" : "WEAK", type[1],
          strong[1] ? "STRONG" : "WEAK");
  return false;
}

/* Every check of the request that reads the store. */
static bool check_locked(kv_store_t *store, kv_assocs_t *assocs, request_t *r,
                         bool registered, kv_reply_t *reply) {
  const char *id = resource_id(assocs, r);
  for (size_t i = 0; i < r->count; i++) {
    wanted_t *w = &r->wanted[i];
    if (!resolve(store, r, w, existing(assocs, id, r->type, w->type), reply))
      return false;
  }
  if (!check_uniform(assocs, id, r, reply))
    return false;
  for (size_t i = 0; i < r->count; i++)
    if (!r->wanted[i].skip &&
        !check_subject(store, assocs, id, &r->wanted[i], registered, reply))
      return false;
  return true;
}

/* AssociationInfo: "frozen" is left out when it is the lifecycle's
 * default, which the rules above make it always. */
static json_t *info_json(const kv_assoc_t *a, const json_t *schema) {
  json_t *info =
      json_pack("{s:s, s:s, s:s}", "subject", a->subject, "associationType",
                a->association_type, "lifecycle", lifecycle_name(a));
  if (info && schema && json_object_set(info, "schema", (json_t *)schema)) {
    json_decref(info);
    return NULL;
  }
  return info;
}

/* AssociationResponse: the resource and @infos (stolen), the members
 * null or empty left out. */
static json_t *response_json(const char *name, const char *namespace_,
                             const char *id, const char *type, json_t *infos) {
  const char *keys[] = {"resourceName", "resourceNamespace", "resourceId",
                        "resourceType"};
  const char *values[] = {name, namespace_, id, type};
  json_t *response = infos ? json_object() : NULL;
  bool ok = response != NULL;
  for (size_t i = 0; ok && i < sizeof(keys) / sizeof(keys[0]); i++)
    if (values[i])
      ok = json_object_set_new(response, keys[i], json_string(values[i])) == 0;
  if (ok && json_array_size(infos))
    ok = json_object_set(response, "associations", infos) == 0;
  json_decref(infos);
  if (!ok) {
    json_decref(response);
    return NULL;
  }
  return response;
}

/* The answer to a create or upsert: the associations it wrote, each with
 * the schema registered for it; none for a dry run. */
static json_t *request_answer(const request_t *r) {
  json_t *infos = json_array();
  for (size_t i = 0; infos && !r->dry_run && i < r->count; i++) {
    const wanted_t *w = &r->wanted[i];
    if (!w->skip &&
        json_array_append_new(infos, info_json(&w->assoc, w->registered))) {
      json_decref(infos);
      infos = NULL;
    }
  }
  return response_json(r->name, r->namespace_, r->id, r->type, infos);
}

static bool check_only(kv_store_t *store, kv_assocs_t *assocs, void *opaque,
                       kv_reply_t *reply) {
  check_locked(store, assocs, opaque, false, reply);
  return false;
}

/* Add the associations @r asks for, or change them.  On failure the
 * store undoes the whole change (kv_store_with_assocs()). */
static bool apply_locked(kv_store_t *store, kv_assocs_t *assocs, void *opaque,
                         kv_reply_t *reply) {
  request_t *r = opaque;
  if (!check_locked(store, assocs, r, true, reply))
    return false;
  bool changed = false;
  for (size_t i = 0; i < r->count; i++) {
    const kv_assoc_t *want = &r->wanted[i].assoc;
    if (r->wanted[i].skip)
      continue;
    kv_assoc_t *old = existing(assocs, r->id, r->type, want->association_type);
    if (old) {
      old->strong = want->strong;
      old->frozen = want->frozen;
    } else if (!assocs_add(assocs, want)) {
      kv_reply_error(reply, 50001, "Error in the backend data store: out of "
                                   "memory");
      return false;
    }
    changed = true;
  }
  kv_reply_json(reply, request_answer(r));
  return changed;
}

/* Register the schemas the request carries under their subjects, keeping
 * each as the registry lists it.  False with @reply set when one is
 * refused. */
static bool register_schemas(kv_store_t *store, request_t *r,
                             kv_reply_t *reply) {
  for (size_t i = 0; i < r->count; i++) {
    wanted_t *w = &r->wanted[i];
    if (!w->schema || w->skip || !w->subject)
      continue;
    /* A schema comes only with a new association: its subject is the
     * request's own. */
    kv_store_register(store, w->subject, w->schema, w->normalize, reply);
    if (!reply->error_code)
      kv_store_get_version(store, w->subject, "latest", false, false, reply);
    if (reply->error_code)
      return false;
    w->registered = reply->json;
    reply->json = NULL;
    kv_reply_clear(reply);
  }
  return true;
}

/* A dry run checks the schemas as a registration would: valid, and
 * compatible with the subject's versions. */
static bool test_schemas(kv_store_t *store, const request_t *r,
                         kv_reply_t *reply) {
  for (size_t i = 0; i < r->count; i++) {
    const wanted_t *w = &r->wanted[i];
    if (!w->schema || w->skip || !w->subject)
      continue;
    kv_store_test_compat(store, w->subject, NULL, w->schema, false,
                         w->normalize, reply);
    if (reply->error_code)
      return false;
    if (!json_is_true(json_object_get(reply->json, "is_compatible"))) {
      kv_reply_error(reply, 409,
                     "Schema being registered is incompatible with an "
                     "earlier schema for subject \"%s\"",
                     w->subject);
      return false;
    }
    kv_reply_clear(reply);
  }
  return true;
}

/* Whether the schema of @w may start its subject: the registry creates a
 * frozen association only with a subject that holds no version yet, or
 * only that schema as version 1.  False with @reply set otherwise. */
static bool frozen_subject_free(kv_store_t *store, const wanted_t *w,
                                kv_reply_t *reply) {
  kv_reply_t latest = {0}, found = {0};
  kv_store_get_version(store, w->subject, "latest", false, false, &latest);
  bool taken = !latest.error_code &&
               json_integer_value(json_object_get(latest.json, "version")) != 1;
  if (!latest.error_code && !taken)
    kv_store_lookup(store, w->subject, w->schema, false, w->normalize, &found);
  kv_reply_clear(&latest);
  if (found.error_code && found.error_code != 40403 &&
      found.error_code != 40401)
    kv_reply_error(reply, found.error_code, "%s", found.message);
  else if (taken || found.error_code)
    invalid(reply, "frozen",
            "cannot create a frozen association when schemas "
            "already exist in the subject");
  kv_reply_clear(&found);
  return !reply->error_code;
}

static void request_apply(kv_store_t *store, request_t *r, kv_reply_t *reply) {
  /* Checked before any schema is registered, and again with the schemas
   * in place. */
  kv_store_with_assocs(store, false, check_only, r, reply);
  for (size_t i = 0; !reply->error_code && r->create && i < r->count; i++)
    if (!r->wanted[i].skip && r->wanted[i].assoc.frozen && r->wanted[i].schema)
      frozen_subject_free(store, &r->wanted[i], reply);
  if (reply->error_code)
    return;
  if (r->dry_run) {
    if (test_schemas(store, r, reply))
      kv_reply_json(reply, request_answer(r));
    return;
  }
  if (register_schemas(store, r, reply))
    kv_store_with_assocs(store, true, apply_locked, r, reply);
}

/* POST /associations, PUT /associations/resources/{@path_id}: the body's
 * resourceId, when it has one, must be the path's. */
static void create_or_update(kv_store_t *store, json_t *body,
                             const char *path_id, bool dry_run,
                             kv_reply_t *reply) {
  if (path_id) {
    const json_t *id = json_object_get(body, "resourceId");
    if (!id || json_is_null(id)) {
      json_object_set_new(body, "resourceId", json_string(path_id));
    } else if (!json_is_string(id) || strcmp(json_string_value(id), path_id)) {
      invalid(reply, "resourceId",
              "Resource ID in the path parameter does not match the resource "
              "ID in the request body");
      return;
    }
  }
  request_t *r = request_read(body, !path_id, dry_run, reply);
  if (r)
    request_apply(store, r, reply);
  request_free(r);
}

/* ---- deleting ------------------------------------------------------------ */

typedef struct deleting_s {
  const char *id;
  filter_t filter;
  flags_t flags; /* cascadeLifecycle: a STRONG association's subject too;
                    dryRun: check only */
  bool none_ok;  /* a batch's DELETE: none there is no error */
} deleting_t;

static bool deleted_by(const deleting_t *d, const kv_assoc_t *a) {
  return d->id && strcmp(a->resource_id, d->id) == 0 &&
         filter_keeps(&d->filter, a);
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
  if (a->frozen && !d->flags.cascade) {
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
  if (!matched && !d->none_ok) {
    kv_reply_error(reply, 40410, "Association for '%s' not found.", d->id);
    return false;
  }
  if (d->flags.dry_run || !matched) {
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
    if (!failed && d->flags.cascade && a->strong &&
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

/* ---- the batch endpoints -------------------------------------------------
 *
 * POST /associations:batchGet and POST /associations:batchMutate answer
 * 207 with {"results": [...]}, one per request: {"result":
 * AssociationResponse} or {"error": {"error_code", "message"}}.  A batch
 * without requests is refused whole (42212). */

/* {"error": {"error_code": @code, "message": ...}} */
static json_t *error_result(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static json_t *error_result(int code, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof(message), fmt, ap);
  va_end(ap);
  return json_pack("{s:{s:i, s:s}}", "error", "error_code", code, "message",
                   message);
}

/* The result of a request whose answer is @response (stolen), or whose
 * @reply is an error. */
static json_t *batch_result(json_t *response, const kv_reply_t *reply) {
  if (reply && reply->error_code)
    return error_result(reply->error_code, "%s", reply->message);
  return response ? json_pack("{s:o}", "result", response) : NULL;
}

/* Answer @results (stolen) with 207. */
static void reply_results(kv_reply_t *reply, json_t *results) {
  kv_reply_json(reply, results ? json_pack("{s:o}", "results", results) : NULL);
  if (!reply->error_code)
    reply->status = 207;
}

/* The "requests" of a batch body; NULL with @reply set when it has none. */
static const json_t *batch_requests(const json_t *body, kv_reply_t *reply) {
  const json_t *requests = json_object_get(body, "requests");
  if (json_is_array(requests) && json_array_size(requests))
    return requests;
  invalid(reply, "requests", "cannot be null or empty");
  return NULL;
}

/* The AssociationResponse of the associations @kept (@n of them) of the
 * resource named by @name, @namespace_ and @id (NULL: the first
 * association's); an error when they are not of one resource. */
static json_t *kept_response(const kv_assoc_t **kept, size_t n,
                             const char *name, const char *namespace_,
                             const char *id, const char *type) {
  name = name ? name : n ? kept[0]->resource_name : NULL;
  namespace_ = namespace_ ? namespace_ : n ? kept[0]->resource_namespace : NULL;
  id = id ? id : n ? kept[0]->resource_id : NULL;
  json_t *infos = json_array();
  for (size_t i = 0; infos && i < n; i++) {
    const kv_assoc_t *a = kept[i];
    if (strcmp(a->resource_name, name) ||
        strcmp(a->resource_namespace, namespace_) ||
        strcmp(a->resource_id, id) || strcmp(a->resource_type, type)) {
      json_decref(infos);
      return error_result(500, "Error while getting associations: All "
                               "associations must have the same resourceName, "
                               "resourceNamespace, resourceId, and "
                               "resourceType.");
    }
    if (json_array_append_new(infos, info_json(a, NULL))) {
      json_decref(infos);
      infos = NULL;
    }
  }
  return batch_result(response_json(name, namespace_, id, type, infos), NULL);
}

/* Copy the members of an AssociationGetRequest into a filter as the
 * query parameters of a listing would give them. */
static bool query_filter(const json_t *query, filter_t *f) {
  memset(f, 0, sizeof(*f));
  f->any_type = true;
  f->limit = -1;
  const char *type = text_member(query, "resourceType");
  const char *lifecycle = text_member(query, "lifecycle");
  bool ok = (!type || filter_param(f, "resourceType", type)) &&
            (!lifecycle || filter_param(f, "lifecycle", lifecycle));
  size_t i;
  const json_t *item;
  json_array_foreach(json_object_get(query, "associationTypes"), i,
                     item) if (ok && json_is_string(item)) ok =
      filter_param(f, "associationType", json_string_value(item));
  return ok;
}

/* One AssociationGetRequest: by resourceId, or by resourceName and
 * resourceNamespace; the registry's result, or the error it gives (its
 * catch-all: 500). */
static json_t *get_one(const kv_assocs_t *assocs, const json_t *query) {
  const char *name = text_member(query, "resourceName");
  const char *namespace_ = text_member(query, "resourceNamespace");
  const char *id = text_member(query, "resourceId");
  if (!id && !name)
    return error_result(500, "Error while getting associations: property: "
                             "resourceId; detail: either resourceId or "
                             "resourceName must be specified");
  if (name && !namespace_)
    return error_result(500, "Error while getting associations: property: "
                             "resourceNamespace; detail: resourceNamespace is "
                             "required when resourceName is specified");
  listing_t l = {{NULL, id, id ? NULL : name, namespace_}, {0}};
  json_t *result = NULL;
  size_t n = 0;
  const kv_assoc_t **kept =
      query_filter(query, &l.filter) ? collect(assocs, &l, &n) : NULL;
  if (kept)
    result =
        kept_response(kept, n, name, namespace_, id,
                      l.filter.resource_type ? l.filter.resource_type : TOPIC);
  free(kept);
  filter_clear(&l.filter);
  return result;
}

typedef struct batch_get_s {
  const json_t *requests;
  json_t *results;
} batch_get_t;

static bool batch_get_locked(kv_store_t *store, kv_assocs_t *assocs,
                             void *opaque, kv_reply_t *reply) {
  (void)store;
  (void)reply;
  batch_get_t *b = opaque;
  size_t i;
  const json_t *query;
  json_array_foreach(b->requests, i, query) {
    if (json_array_append_new(b->results, get_one(assocs, query))) {
      json_decref(b->results);
      b->results = NULL;
      break;
    }
  }
  return false;
}

/* With includeSchemas=true each association carries the latest version
 * of its subject (read after the associations, outside their lock). */
static void add_schemas(kv_store_t *store, json_t *results) {
  size_t i, j;
  json_t *result, *info;
  json_array_foreach(results, i, result) {
    json_t *infos =
        json_object_get(json_object_get(result, "result"), "associations");
    json_array_foreach(infos, j, info) {
      kv_reply_t latest = {0};
      kv_store_get_version(store,
                           json_string_value(json_object_get(info, "subject")),
                           "latest", false, false, &latest);
      if (!latest.error_code)
        json_object_set(info, "schema", latest.json);
      kv_reply_clear(&latest);
    }
  }
}

static void batch_get(kv_store_t *store, const json_t *body, const flags_t *f,
                      kv_reply_t *reply) {
  batch_get_t b = {batch_requests(body, reply), json_array()};
  if (b.requests)
    kv_store_with_assocs(store, false, batch_get_locked, &b, reply);
  if (b.requests && f->include_schemas)
    add_schemas(store, b.results);
  if (b.requests)
    reply_results(reply, b.results);
  else
    json_decref(b.results);
}

/* The op types of AssociationOp, by its "opType". */
static const char *op_type(const json_t *op) {
  const char *type = json_string_value(json_object_get(op, "opType"));
  return type && (!strcmp(type, "CREATE") || !strcmp(type, "UPSERT") ||
                  !strcmp(type, "DELETE"))
             ? type
             : NULL;
}

/* Whether every op of every request of @requests has a known opType: the
 * registry cannot read the body otherwise. */
static bool ops_known(const json_t *requests) {
  size_t i, j;
  const json_t *request, *op;
  json_array_foreach(requests, i, request) {
    if (!json_is_object(request))
      return false;
    json_array_foreach(json_object_get(request, "associations"), j,
                       op) if (!json_is_object(op) ||
                               !op_type(op)) return false;
  }
  return true;
}

/* A request of a batchMutate, read: its runs of adjacent CREATE or
 * UPSERT ops (each applied as one create-or-update request, as the
 * registry does) and its DELETE ops, in order. */
typedef struct step_s {
  json_t *body; /* a run's request body, or NULL for a DELETE */
  request_t *run;
  const char *type; /* a DELETE's association type */
  bool cascade;
} step_t;

typedef struct mutation_s {
  request_t resource; /* the request's resource (no associations) */
  step_t steps[MAX_REQUEST_ASSOCIATIONS];
  size_t count;
  bool dry_run;
} mutation_t;

static void mutation_clear(mutation_t *m) {
  for (size_t i = 0; i < m->count; i++) {
    json_decref(m->steps[i].body);
    request_free(m->steps[i].run);
  }
}

/* The association type @op names ("value" when none); NULL when it names
 * another. */
static const char *op_association_type(const json_t *op) {
  const char *type = text_member(op, "associationType");
  if (!type)
    return "value";
  return !strcmp(type, "key") || !strcmp(type, "value") ? type : NULL;
}

/* Read one run of ops, [@from, @to) of @ops, as a request of its own. */
static bool read_run(const json_t *request, const json_t *ops, size_t from,
                     size_t to, mutation_t *m, kv_reply_t *reply) {
  step_t *s = &m->steps[m->count++];
  json_t *run = json_array();
  for (size_t i = from; run && i < to; i++)
    if (json_array_append(run, json_array_get(ops, i))) {
      json_decref(run);
      run = NULL;
    }
  s->body = run ? json_copy((json_t *)request) : NULL;
  if (!s->body || json_object_set_new(s->body, "associations", run)) {
    kv_reply_error(reply, 50001, "Out of memory");
    return false;
  }
  bool create = !strcmp(op_type(json_array_get(ops, from)), "CREATE");
  s->run = request_read(s->body, create, m->dry_run, reply);
  return s->run != NULL;
}

/* AssociationOpRequest.validate(): the resource, each op, each
 * association type once; then the runs read. */
static bool read_mutation(const json_t *request, mutation_t *m,
                          kv_reply_t *reply) {
  const json_t *ops = json_object_get(request, "associations");
  if (!read_resource(request, m->dry_run, &m->resource, reply))
    return false;
  const char *seen = NULL;
  for (size_t i = 0; i < json_array_size(ops); i++) {
    const char *type = op_association_type(json_array_get(ops, i));
    if (!type) {
      invalid(reply, "associationType", "must be either 'key' or 'value'");
      return false;
    }
    if (i >= MAX_REQUEST_ASSOCIATIONS || (seen && !strcmp(seen, type))) {
      duplicate_type(reply, type);
      return false;
    }
    seen = type;
  }
  for (size_t i = 0, end; i < json_array_size(ops); i = end) {
    const json_t *op = json_array_get(ops, i);
    const char *kind = op_type(op);
    end = i + 1;
    if (!strcmp(kind, "DELETE")) {
      m->steps[m->count++] =
          (step_t){NULL, NULL, op_association_type(op),
                   json_is_true(json_object_get(op, "cascadeLifecycle"))};
      continue;
    }
    while (end < json_array_size(ops) &&
           !strcmp(op_type(json_array_get(ops, end)), kind))
      end++;
    if (!read_run(request, ops, i, end, m, reply))
      return false;
  }
  return true;
}

/* Apply the steps of @m in order; an error stops them (the steps done
 * stay done, as in the registry). */
static bool apply_mutation(kv_store_t *store, mutation_t *m,
                           kv_reply_t *reply) {
  for (size_t i = 0; i < m->count; i++) {
    step_t *s = &m->steps[i];
    if (s->run) {
      request_apply(store, s->run, reply);
    } else {
      deleting_t d = {
          m->resource.id, {0}, {s->cascade, m->dry_run, false}, true};
      read_filter(NULL, &d.filter);
      filter_param(&d.filter, "associationType", s->type);
      kv_store_with_assocs(store, true, delete_locked, &d, reply);
      filter_clear(&d.filter);
    }
    if (reply->error_code)
      return false;
    kv_reply_clear(reply);
  }
  return true;
}

/* The schema a run of @m registered for association type @type, or NULL. */
static const json_t *registered_for(const mutation_t *m, const char *type) {
  for (size_t i = 0; i < m->count; i++)
    for (size_t j = 0; m->steps[i].run && j < m->steps[i].run->count; j++) {
      const wanted_t *w = &m->steps[i].run->wanted[j];
      if (w->registered && !strcmp(w->type, type))
        return w->registered;
    }
  return NULL;
}

typedef struct mutated_s {
  const mutation_t *mutation;
  json_t *infos;
} mutated_t;

/* The resource's associations after the mutation, with the schemas it
 * registered. */
static bool mutated_locked(kv_store_t *store, kv_assocs_t *assocs, void *opaque,
                           kv_reply_t *reply) {
  (void)store;
  (void)reply;
  mutated_t *out = opaque;
  const request_t *r = &out->mutation->resource;
  listing_t l = {{NULL, r->id, NULL, NULL}, {0}};
  read_filter(NULL, &l.filter);
  size_t n = 0;
  const kv_assoc_t **kept = collect(assocs, &l, &n);
  out->infos = kept ? json_array() : NULL;
  for (size_t i = 0; out->infos && i < n; i++)
    if (json_array_append_new(
            out->infos,
            info_json(kept[i], registered_for(out->mutation,
                                              kept[i]->association_type)))) {
      json_decref(out->infos);
      out->infos = NULL;
    }
  free(kept);
  filter_clear(&l.filter);
  return false;
}

/* One request of a batchMutate: its result. */
static json_t *mutate_one(kv_store_t *store, const json_t *request,
                          bool dry_run) {
  mutation_t m = {.dry_run = dry_run};
  kv_reply_t reply = {0};
  json_t *result = NULL;
  if (read_mutation(request, &m, &reply) && apply_mutation(store, &m, &reply)) {
    const request_t *r = &m.resource;
    mutated_t out = {&m, json_array()};
    if (!dry_run) {
      json_decref(out.infos);
      kv_store_with_assocs(store, false, mutated_locked, &out, &reply);
    }
    result = batch_result(
        response_json(r->name, r->namespace_, r->id, r->type, out.infos), NULL);
  } else {
    result = batch_result(NULL, &reply);
  }
  mutation_clear(&m);
  kv_reply_clear(&reply);
  return result;
}

static void batch_mutate(kv_store_t *store, const json_t *body,
                         const flags_t *f, kv_reply_t *reply) {
  const json_t *requests = batch_requests(body, reply);
  if (!requests)
    return;
  if (!ops_known(requests)) {
    kv_reply_error(reply, 400,
                   "Unrecognized request body: an association "
                   "op without a known opType");
    return;
  }
  json_t *results = json_array();
  size_t i;
  const json_t *request;
  json_array_foreach(requests, i, request) {
    if (results && json_array_append_new(
                       results, mutate_one(store, request, f->dry_run))) {
      json_decref(results);
      results = NULL;
    }
  }
  reply_results(reply, results);
}

/* ---- the endpoints ------------------------------------------------------- */

/* The JSON object of the request's body, or NULL with @reply set. */
static json_t *body_object(const kv_http_request_t *request,
                           kv_reply_t *reply) {
  json_error_t jerr;
  json_t *body =
      json_loadb(request->body ? request->body : "", request->body_length,
                 JSON_REJECT_DUPLICATES, &jerr);
  if (json_is_object(body))
    return body;
  kv_reply_error(reply, 400, "Unrecognized request body: %s",
                 body ? "not a JSON object" : jerr.text);
  json_decref(body);
  return NULL;
}

static void serve_with_body(kv_store_t *store, const kv_route_t *route,
                            const kv_http_request_t *request, const flags_t *f,
                            kv_reply_t *reply) {
  json_t *body = body_object(request, reply);
  if (!body)
    return;
  if (route->endpoint == KV_EP_ASSOCIATIONS_BATCH_GET)
    batch_get(store, body, f, reply);
  else if (route->endpoint == KV_EP_ASSOCIATIONS_BATCH_MUTATE)
    batch_mutate(store, body, f, reply);
  else
    create_or_update(store, body,
                     route->endpoint == KV_EP_UPSERT_ASSOCIATION ? route->id
                                                                 : NULL,
                     f->dry_run, reply);
  json_decref(body);
}

void kv_assoc_serve(kv_store_t *store, const kv_route_t *route,
                    const kv_http_request_t *request, kv_reply_t *reply) {
  flags_t f = {false, false, false};
  each_param(request->query, flag_param, &f);
  if (route->endpoint == KV_EP_CREATE_ASSOCIATION ||
      route->endpoint == KV_EP_UPSERT_ASSOCIATION ||
      route->endpoint == KV_EP_ASSOCIATIONS_BATCH_GET ||
      route->endpoint == KV_EP_ASSOCIATIONS_BATCH_MUTATE) {
    serve_with_body(store, route, request, &f, reply);
    return;
  }
  listing_t l = {{0}, {0}};
  if (!read_filter(request->query, &l.filter)) {
    kv_reply_error(reply, 50001, "Out of memory");
  } else if (route->endpoint == KV_EP_DELETE_ASSOCIATIONS) {
    deleting_t d = {route->id, l.filter, f, false};
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
