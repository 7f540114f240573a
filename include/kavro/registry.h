/*
 * kavro - the Schema Registry client and its caches.
 *
 * A kavro_registry_t speaks the Confluent Schema Registry REST API
 * (media type application/vnd.schemaregistry.v1+json) over libcurl, or to
 * the in-process mock for `mock://SCOPE` URLs.  It fails over across the
 * URLs of `schema.registry.url`, retries with bounded exponential backoff
 * and jitter, reuses connections, and answers repeated questions from
 * bounded caches without touching the network:
 *
 *   id -> schema, GUID -> schema, (subject, schema) -> id and version,
 *   (subject, version) -> schema, subject -> latest (TTL),
 *   subject -> compatibility level (TTL).
 *
 * Schemas handed out are shared, immutable kavro_schema_t objects: a schema
 * is parsed once per client.  Schemas with references are parsed with their
 * referenced schemas, fetched (recursively, each once) by subject and
 * version.
 *
 * Errors: a registry error reply gives its `error_code` as the kavro_err_t
 * (KAVRO_ERR_SUBJECT_NOT_FOUND, ...), with error->http_status,
 * error->registry_code, the registry's message, and error->source naming the
 * URL (without credentials) and the request.  Transport failures give
 * KAVRO_ERR_TRANSPORT or KAVRO_ERR_TIMED_OUT, oversized replies
 * KAVRO_ERR_LIMIT, malformed replies KAVRO_ERR_BAD_RESPONSE.
 *
 * Thread safety: a kavro_registry_t is safe to share between threads; every
 * function below may be called concurrently on one client, except
 * kavro_registry_destroy(), which must be the last call.  Concurrent misses
 * for the same cache key make one request; the other callers wait for it.
 */
#ifndef KAVRO_REGISTRY_H
#define KAVRO_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kavro/common.h>
#include <kavro/conf.h>
#include <kavro/schema.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A Schema Registry client.  Opaque. */
typedef struct kavro_registry_s kavro_registry_t;

/** Version number meaning "the latest version". */
#define KAVRO_REGISTRY_LATEST (-1)

/** Size of a buffer that holds a compatibility level or a mode, NUL
 *  included ("FORWARD_TRANSITIVE", "READWRITE"). */
#define KAVRO_REGISTRY_NAME_SIZE 32

/**
 * @name Life cycle
 * @{
 */

/**
 * Create a client from @p conf.  On success the client takes @p conf (do
 * not use or free it afterwards); on failure (NULL returned, @p error
 * filled: KAVRO_ERR_CONF_INVALID for a missing URL or conflicting auth
 * settings, KAVRO_ERR_NOMEM) @p conf still belongs to the caller.
 */
KAVRO_EXPORT kavro_registry_t *kavro_registry_new(kavro_conf_t *conf,
                                                  kavro_error_t *error);

/** Free @p registry, its caches and its connections.  Schemas handed out
 *  stay valid (they are reference-counted).  NULL-safe. */
KAVRO_EXPORT void kavro_registry_destroy(kavro_registry_t *registry);

/** The client's configuration (read-only, owned by the client). */
KAVRO_EXPORT const kavro_conf_t *
kavro_registry_conf(const kavro_registry_t *registry);
/** @} */

/**
 * @name Schemas
 * @{
 */

/** A reference from a schema to a named type registered elsewhere. */
typedef struct kavro_schema_ref_s {
  const char *name;    /**< full name of the referenced type */
  const char *subject; /**< subject it is registered under */
  int version;         /**< its version there */
} kavro_schema_ref_t;

/**
 * Register @p schema under @p subject (POST /subjects/{subject}/versions),
 * with @p refs (@p ref_count entries, may be 0) and the `normalize` option,
 * and store its global id in @p *idp.  Registering a schema already
 * registered under the subject returns its id.  The answer is cached
 * (subject and schema fingerprint to id, and id to @p schema, of which the
 * cache keeps a reference), so repeating the call, or asking for the id,
 * makes no request.  @p schema is borrowed.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_register(
    kavro_registry_t *registry, const char *subject,
    const kavro_schema_t *schema, const kavro_schema_ref_t *refs,
    size_t ref_count, bool normalize, int32_t *idp, kavro_error_t *error);

/**
 * Is @p schema registered under @p subject (POST /subjects/{subject})?
 * Stores its id and version (either pointer may be NULL); a schema not
 * registered gives KAVRO_ERR_SCHEMA_NOT_FOUND (or SUBJECT_NOT_FOUND).
 * Cached like kavro_registry_register().
 */
KAVRO_EXPORT kavro_err_t kavro_registry_lookup(kavro_registry_t *registry,
                                               const char *subject,
                                               const kavro_schema_t *schema,
                                               const kavro_schema_ref_t *refs,
                                               size_t ref_count, bool normalize,
                                               int32_t *idp, int *versionp,
                                               kavro_error_t *error);

/**
 * The schema with global id @p id (GET /schemas/ids/{id}), with
 * @p subject_hint (may be NULL) passed as the `subject` query parameter.
 * Stores a new reference in @p *schemap (kavro_schema_destroy() it).
 * Cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_schema_by_id(kavro_registry_t *registry,
                                                     int32_t id,
                                                     const char *subject_hint,
                                                     kavro_schema_t **schemap,
                                                     kavro_error_t *error);

/**
 * The schema whose GUID is @p guid (GET /schemas/guids/{guid}): the
 * identity Confluent Platform 8 and Confluent Cloud registries give each
 * schema content, the same under every subject.  @p guid is the 16 bytes
 * in text order (as kavro_schema_id_t holds them; borrowed for the call).
 * Stores a new reference in @p *schemap (kavro_schema_destroy() it);
 * references are resolved as kavro_registry_schema_by_id() resolves them.
 * A GUID the registry does not know is KAVRO_ERR_SCHEMA_NOT_FOUND (40403);
 * a reply that is no schema, or names another GUID, KAVRO_ERR_BAD_RESPONSE.
 * Cached for the client's life; concurrent misses for one GUID make one
 * request.  Thread safe, like every call on a client.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_schema_by_guid(
    kavro_registry_t *registry, const unsigned char guid[16],
    kavro_schema_t **schemap, kavro_error_t *error);

/**
 * The GUID of the schema with global id @p id, into @p guid (16 bytes in
 * text order, as kavro_schema_id_t holds them): the id a message carries
 * in its `__value_schema_id` / `__key_schema_id` header.  Registering or
 * looking a schema up caches its GUID when the registry's answer has one
 * (Confluent Platform 8 and later), so that this call then makes no
 * request; otherwise it asks GET /schemas/ids/{id} (with @p subject_hint,
 * may be NULL, as for kavro_registry_schema_by_id()) and caches the
 * answer.  A registry that gives no GUID: KAVRO_ERR_UNSUPPORTED; the
 * registry's errors as kavro_registry_schema_by_id().  Thread safe.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_guid_by_id(kavro_registry_t *registry,
                                                   int32_t id,
                                                   const char *subject_hint,
                                                   unsigned char guid[16],
                                                   kavro_error_t *error);

/**
 * Version @p version of @p subject (GET /subjects/{subject}/versions/{v});
 * KAVRO_REGISTRY_LATEST for the latest, cached for `cache.latest.ttl.sec`.
 * Stores a new schema reference in @p *schemap and the id and version
 * (each output may be NULL).  Fixed versions are cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_get_version(
    kavro_registry_t *registry, const char *subject, int version,
    kavro_schema_t **schemap, int32_t *idp, int *versionp,
    kavro_error_t *error);

/**
 * The references {name, subject, version} version @p version of @p subject
 * (KAVRO_REGISTRY_LATEST allowed) was registered with, as the registry
 * records them (GET /subjects/{subject}/versions/{v}; not cached): what a
 * tool needs to copy a subject with its references, the schema itself
 * coming from kavro_registry_get_version() (kavro_schema_text() is the
 * registry's text).  Stores in @p *refsp one malloc'd block holding the
 * array and its strings (free the whole with one free(); NULL when there
 * are none), its length in @p *countp, and the version number (the
 * latest's, for KAVRO_REGISTRY_LATEST) in @p *versionp (may be NULL).
 * Thread safe, like every call on a client.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_version_refs(
    kavro_registry_t *registry, const char *subject, int version,
    kavro_schema_ref_t **refsp, size_t *countp, int *versionp,
    kavro_error_t *error);

/**
 * The versions of @p subject (GET /subjects/{subject}/versions), soft-deleted
 * ones too when @p deleted.  Stores a malloc'd array in @p *versionsp (caller
 * frees with free()) and its length in @p *countp.  Not cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_versions(kavro_registry_t *registry,
                                                 const char *subject,
                                                 bool deleted, int **versionsp,
                                                 size_t *countp,
                                                 kavro_error_t *error);

/**
 * All subjects (GET /subjects), soft-deleted ones too when @p deleted.
 * Stores in @p *subjectsp one malloc'd block holding the array and its
 * strings (free the whole with one free()) and its length in @p *countp.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_subjects(kavro_registry_t *registry,
                                                 bool deleted,
                                                 char ***subjectsp,
                                                 size_t *countp,
                                                 kavro_error_t *error);

/**
 * Delete @p subject (DELETE /subjects/{subject}, `?permanent=true` when
 * @p permanent; a permanent delete needs a soft delete first).  Stores the
 * deleted versions as kavro_registry_versions() does (both outputs may be
 * NULL).  Drops the subject from the caches.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_delete_subject(
    kavro_registry_t *registry, const char *subject, bool permanent,
    int **versionsp, size_t *countp, kavro_error_t *error);

/**
 * Delete version @p version of @p subject (KAVRO_REGISTRY_LATEST allowed)
 * (DELETE /subjects/{subject}/versions/{v}[?permanent=true]).  Stores the
 * deleted version number in @p *deletedp (may be NULL).
 */
KAVRO_EXPORT kavro_err_t kavro_registry_delete_version(
    kavro_registry_t *registry, const char *subject, int version,
    bool permanent, int *deletedp, kavro_error_t *error);
/** @} */

/**
 * @name Compatibility level, mode and the registry's compatibility test
 *
 * Levels and modes are text ("BACKWARD", "READWRITE") in buffers of
 * KAVRO_REGISTRY_NAME_SIZE bytes.  A NULL @p subject means the global
 * setting.
 * @{
 */

/**
 * The compatibility level (GET /config[/{subject}]).  With
 * @p default_to_global, a subject without its own level gets the global one
 * (`?defaultToGlobal=true`); without it such a subject gives
 * KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND.  Cached for `cache.level.ttl.sec`.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_get_level(kavro_registry_t *registry,
                                                  const char *subject,
                                                  bool default_to_global,
                                                  char *level,
                                                  kavro_error_t *error);

/** Set the level (PUT /config[/{subject}]).  @p level is one of NONE,
 *  BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,
 *  FULL_TRANSITIVE. */
KAVRO_EXPORT kavro_err_t kavro_registry_set_level(kavro_registry_t *registry,
                                                  const char *subject,
                                                  const char *level,
                                                  kavro_error_t *error);

/** Remove a subject's own level (DELETE /config/{subject}). */
KAVRO_EXPORT kavro_err_t kavro_registry_delete_level(kavro_registry_t *registry,
                                                     const char *subject,
                                                     kavro_error_t *error);

/** The mode (GET /mode[/{subject}]): READWRITE, READONLY, IMPORT. */
KAVRO_EXPORT kavro_err_t kavro_registry_get_mode(kavro_registry_t *registry,
                                                 const char *subject,
                                                 char *mode,
                                                 kavro_error_t *error);

/** Set the mode (PUT /mode[/{subject}]). */
KAVRO_EXPORT kavro_err_t kavro_registry_set_mode(kavro_registry_t *registry,
                                                 const char *subject,
                                                 const char *mode,
                                                 kavro_error_t *error);

/**
 * Ask the registry whether @p schema is compatible with version @p version
 * of @p subject (KAVRO_REGISTRY_LATEST allowed) under the subject's level
 * (POST /compatibility/subjects/{subject}/versions/{v}?verbose=true).
 * Stores the verdict in @p *compatiblep and, when @p messagesp is not NULL,
 * the registry's messages as kavro_registry_subjects() stores subjects
 * (one block; free()).
 */
KAVRO_EXPORT kavro_err_t kavro_registry_test_compatibility(
    kavro_registry_t *registry, const char *subject, int version,
    const kavro_schema_t *schema, const kavro_schema_ref_t *refs,
    size_t ref_count, bool *compatiblep, char ***messagesp, size_t *countp,
    kavro_error_t *error);
/** @} */

/**
 * @name Contexts and topic-subject associations
 *
 * A schema context is a namespace of subjects and ids inside one registry:
 * the subject ":.ctx:orders-value" lives in context ".ctx", whose ids
 * count from 1 independently of the default context "." (unqualified
 * subjects).  Pass qualified subjects to every function of this header
 * as they are; kavro_registry_schema_by_id() with a qualified
 * @p subject_hint finds the id in that subject's context (an id without a
 * hint, or with an unqualified one, is the default context's), and its
 * cache keeps the contexts apart.
 *
 * An association (Confluent Platform 8.1+, Confluent Cloud) links a
 * resource, a Kafka topic, to the subject of its keys or of its values;
 * the AssociatedNameStrategy of the serializers asks for it.
 * @{
 */

/**
 * The registry's contexts (GET /contexts): "." first, then the others.
 * Stores them as kavro_registry_subjects() stores subjects (one block;
 * free()).  Not cached.  A registry without contexts answers 404
 * (the registry's code, or KAVRO_ERR_HTTP; error->http_status 404).
 */
KAVRO_EXPORT kavro_err_t kavro_registry_contexts(kavro_registry_t *registry,
                                                 char ***contextsp,
                                                 size_t *countp,
                                                 kavro_error_t *error);

/** The id a schema has in one context. */
typedef struct kavro_context_id_s {
  char *context; /**< "." for the default context; owned by the array */
  int32_t id;
} kavro_context_id_t;

/**
 * The ids the schema of GUID @p guid (16 bytes) has, one per context it is
 * registered in (GET /schemas/guids/{guid}/ids), into @p *idsp (free with
 * kavro_context_ids_destroy()) and @p *countp.  Not cached.  An unknown
 * GUID is the registry's 40403 (KAVRO_ERR_SCHEMA_NOT_FOUND).  Thread-safe.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_ids_by_guid(kavro_registry_t *registry,
                                                    const unsigned char guid[16],
                                                    kavro_context_id_t **idsp,
                                                    size_t *countp,
                                                    kavro_error_t *error);

/** Free @p count ids from kavro_registry_ids_by_guid() (NULL-safe). */
KAVRO_EXPORT void kavro_context_ids_destroy(kavro_context_id_t *ids,
                                           size_t count);

/**
 * Delete the context @p context (".ctx"; "ctx" and ":.ctx:" name it too:
 * DELETE /contexts/{context}).  The registry refuses a context that still
 * has subjects, soft-deleted ones included (422, error code 42211): delete
 * them permanently first.  Its schemas keep their ids.  Thread safe.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_delete_context(kavro_registry_t *registry,
                                                       const char *context,
                                                       kavro_error_t *error);

/** An association between a resource and a subject, as the registry
 *  lists it.  Every string is owned by the array that holds it. */
typedef struct kavro_association_s {
  char *subject;            /**< the associated subject */
  char *resource_name;      /**< the topic */
  char *resource_namespace; /**< the Kafka cluster id */
  char *resource_id;        /**< the topic's id */
  char *resource_type;      /**< "topic" */
  char *association_type;   /**< "key" or "value" */
  char *lifecycle;          /**< "STRONG" or "WEAK" */
  bool frozen;              /**< STRONG associations are */
} kavro_association_t;

/** Free @p count associations of @p list and the array (NULL-safe). */
KAVRO_EXPORT void kavro_associations_destroy(kavro_association_t *list,
                                             size_t count);

/**
 * The associations of the resource @p name in @p namespace_ (GET
 * /associations/resources/{namespace}/{name}?resourceType=topic
 * [&associationType=T]).  @p namespace_ NULL or "-" matches any namespace;
 * @p association_type "key", "value" or NULL for both.  Stores a new array
 * in @p *listp (kavro_associations_destroy() it) and its length in
 * @p *countp; none is an empty array.  Not cached (the serializer's
 * AssociatedNameStrategy caches its answers).  A registry without the
 * endpoint answers 404.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_associations(
    kavro_registry_t *registry, const char *namespace_, const char *name,
    const char *association_type, kavro_association_t **listp,
    size_t *countp, kavro_error_t *error);

/** One association of a kavro_registry_create_associations() request. */
typedef struct kavro_association_spec_s {
  const char *subject;          /**< NULL: ":.NAMESPACE:NAME-TYPE" */
  const char *association_type; /**< "key", "value"; NULL: "value" */
  const char *lifecycle;        /**< "STRONG", "WEAK"; NULL: the registry's
                                     default (STRONG with a schema) */
  const kavro_schema_t *schema; /**< registered under the subject first;
                                     NULL: none (the subject must exist) */
} kavro_association_spec_t;

/**
 * Associate the topic @p name (cluster @p namespace_, topic id
 * @p resource_id) with subjects (POST /associations): @p count specs, one
 * per association type.  The registry refuses a second association of a
 * type (the registry's code 40903, HTTP 409, as the kavro_err_t), a
 * subject without a live version (40907) and an invalid request (42212).  Borrowed
 * arguments; nothing cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_create_associations(
    kavro_registry_t *registry, const char *namespace_, const char *name,
    const char *resource_id, const kavro_association_spec_t *specs,
    size_t count, kavro_error_t *error);

/** Flag of the association calls: `dryRun=true`, the registry checks
 *  the request as it would apply it (the schemas given included: valid
 *  and compatible) and stores nothing. */
#define KAVRO_ASSOC_DRY_RUN 0x2u
/** Flag of kavro_registry_batch_get_associations(): each association
 *  comes with the latest schema of its subject (`includeSchemas=true`). */
#define KAVRO_ASSOC_INCLUDE_SCHEMAS 0x4u

/**
 * As kavro_registry_create_associations(), with @p flags: with
 * KAVRO_ASSOC_DRY_RUN nothing is stored, and @p resource_id may be NULL
 * (a topic checked before it exists; the registry then compares with the
 * resource of that name).  Its refusals are a create's, dry run or not.
 * Thread safe; nothing cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_create_associations_flags(
    kavro_registry_t *registry, const char *namespace_, const char *name,
    const char *resource_id, const kavro_association_spec_t *specs,
    size_t count, unsigned flags, kavro_error_t *error);

/**
 * Create or update associations of the topic @p name (cluster
 * @p namespace_, topic id @p resource_id): PUT
 * /associations/resources/{resource_id} (the registry's "upsert"), with
 * KAVRO_ASSOC_DRY_RUN in @p flags or 0.  A spec's NULL subject or
 * lifecycle keeps the existing association's; a new one is WEAK and
 * needs its subject.  An association that exists as asked is left as it
 * is.  The registry refuses (42212, HTTP 422) a schema in a spec, a new
 * STRONG association (those come only with a create), a changed subject
 * or frozen flag, an update that asks for nothing; (40908) a change to a
 * frozen association; (40907, 40905) as kavro_registry_create_associations().
 * Borrowed arguments; thread safe; nothing cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_upsert_associations(
    kavro_registry_t *registry, const char *namespace_, const char *name,
    const char *resource_id, const kavro_association_spec_t *specs,
    size_t count, unsigned flags, kavro_error_t *error);

/**
 * Delete the associations of the resource @p resource_id (DELETE
 * /associations/resources/{id}[?associationType=T]), of type
 * @p association_type ("key", "value") or all (NULL).  None there:
 * the registry's 40410.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_delete_associations(
    kavro_registry_t *registry, const char *resource_id,
    const char *association_type, kavro_error_t *error);

/** Flags of kavro_registry_delete_associations_flags(). */
#define KAVRO_ASSOC_CASCADE_LIFECYCLE 0x1u /**< `cascadeLifecycle=true`: a
    frozen (STRONG) association may go, and its subject is deleted (soft,
    then for good) with it */
/* KAVRO_ASSOC_DRY_RUN (above): the registry checks the deletion and
 * changes nothing. */

/**
 * As kavro_registry_delete_associations(), with @p flags
 * (KAVRO_ASSOC_*).  Without KAVRO_ASSOC_CASCADE_LIFECYCLE a frozen
 * association is refused (40908); a read-only subject is refused (42205);
 * a subject the cascade cannot delete (42206: a version is referenced)
 * fails the request.  Thread safe; nothing cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_delete_associations_flags(
    kavro_registry_t *registry, const char *resource_id,
    const char *association_type, unsigned flags, kavro_error_t *error);

/** One query of kavro_registry_batch_get_associations(): a topic by its
 *  id, or by its name and namespace. */
typedef struct kavro_association_query_s {
  const char *resource_id;        /**< the topic's id, or NULL: by name */
  const char *resource_name;      /**< the topic (needs the namespace) */
  const char *resource_namespace; /**< its cluster id ("-": any) */
  const char *association_type;   /**< "key", "value"; NULL: both */
  const char *lifecycle;          /**< "STRONG", "WEAK"; NULL: both */
} kavro_association_query_t;

/** The kinds of kavro_association_op_t. */
typedef enum kavro_association_op_type_e {
  KAVRO_ASSOC_OP_CREATE, /**< as kavro_registry_create_associations() */
  KAVRO_ASSOC_OP_UPSERT, /**< as kavro_registry_upsert_associations() */
  KAVRO_ASSOC_OP_DELETE  /**< as kavro_registry_delete_associations() */
} kavro_association_op_type_t;

/** One operation of a kavro_association_mutation_t. */
typedef struct kavro_association_op_s {
  kavro_association_op_type_t type;
  kavro_association_spec_t spec; /**< CREATE, UPSERT: the association;
                                      DELETE: only its association_type
                                      (NULL: "value") */
  bool cascade_lifecycle;        /**< DELETE: cascadeLifecycle, as
                                      KAVRO_ASSOC_CASCADE_LIFECYCLE */
} kavro_association_op_t;

/** The operations of kavro_registry_mutate_associations() on one topic. */
typedef struct kavro_association_mutation_s {
  const char *resource_namespace; /**< the cluster id */
  const char *resource_name;      /**< the topic */
  const char *resource_id;        /**< the topic's id (NULL: only in a
                                       dry run) */
  const kavro_association_op_t *ops; /**< applied in order */
  size_t count;
} kavro_association_mutation_t;

/** The registry's answer to one request of a batch: the topic's
 *  associations, or the error that request met. */
typedef struct kavro_association_result_s {
  int error_code;        /**< 0, or the registry's code (42212, 40903 ...) */
  char *error_message;   /**< the registry's message; NULL when none */
  kavro_association_t *associations; /**< resource members filled from the
                                          result ("" when it has none) */
  size_t count;          /**< of associations (0 for an error) */
  char **schemas;        /**< @c count schema texts, one per association:
                              the registered or included schema, or NULL */
} kavro_association_result_t;

/** Free @p count results of @p results and the array (NULL-safe). */
KAVRO_EXPORT void
kavro_association_results_destroy(kavro_association_result_t *results,
                                  size_t count);

/**
 * Look up the associations of @p count topics in one request (POST
 * /associations:batchGet), with KAVRO_ASSOC_INCLUDE_SCHEMAS in @p flags or
 * 0.  On KAVRO_OK @p *resultsp holds @p count results in the order of
 * @p queries (kavro_association_results_destroy() them): an unknown topic
 * has none, a query the registry cannot answer (no id and no name, a
 * name without a namespace) carries its error (500).  The call fails as a
 * whole only when the request does (an empty batch is KAVRO_ERR_INVALID_ARG
 * here; the registry's answer is 42212).  Thread safe; nothing cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_batch_get_associations(
    kavro_registry_t *registry, const kavro_association_query_t *queries,
    size_t count, unsigned flags, kavro_association_result_t **resultsp,
    size_t *countp, kavro_error_t *error);

/**
 * Apply the operations of @p count topics in one request (POST
 * /associations:batchMutate), with KAVRO_ASSOC_DRY_RUN in @p flags or 0.
 * Each topic's operations run in order, adjacent CREATEs (or UPSERTs) as
 * one request, an association type at most once per topic; the first that
 * fails stops that topic (what ran before it stays) and its result
 * carries the error the single call would give (42212, 40903, 40908 ...).
 * A topic's result lists all its associations afterwards (none in a dry
 * run) with the schemas registered for them.  Results as
 * kavro_registry_batch_get_associations().  KAVRO_ERR_INVALID_ARG for a
 * mutation without namespace or name, or an unknown op type.  Thread
 * safe; nothing cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_mutate_associations(
    kavro_registry_t *registry, const kavro_association_mutation_t *mutations,
    size_t count, unsigned flags, kavro_association_result_t **resultsp,
    size_t *countp, kavro_error_t *error);
/** @} */

/**
 * @name Data contracts: schema metadata and rule sets
 *
 * A registered schema may carry `metadata` ({"tags", "properties",
 * "sensitive"}) and a `ruleSet` ({"migrationRules", "domainRules",
 * "encodingRules"}), given at registration or added by the subject's
 * config (`defaultMetadata`, `overrideMetadata`, `defaultRuleSet`,
 * `overrideRuleSet`) or inherited from the previous version.  A schema
 * that differs only in them is another schema with its own id.  They
 * travel as JSON text.  Registrations, lookups with a contract and config
 * calls are not cached; the info calls below answer from the caches the
 * schema calls fill, which keep each schema's contract.
 * @{
 */

/** A registered schema with its id, version and data contract.  Opaque,
 *  immutable; free with kavro_schema_info_destroy(). */
typedef struct kavro_schema_info_s kavro_schema_info_t;

/** The schema (borrowed: valid while @p info lives; kavro_schema_dup() it
 *  to keep it longer). */
KAVRO_EXPORT kavro_schema_t *
kavro_schema_info_schema(const kavro_schema_info_t *info);
/** The global id. */
KAVRO_EXPORT int32_t kavro_schema_info_id(const kavro_schema_info_t *info);
/** The version under the subject asked about, 0 when the reply gave none. */
KAVRO_EXPORT int kavro_schema_info_version(const kavro_schema_info_t *info);
/** The metadata as compact JSON text with sorted keys, or NULL when the
 *  schema has none.  Owned by @p info. */
KAVRO_EXPORT const char *
kavro_schema_info_metadata(const kavro_schema_info_t *info);
/** The rule set as compact JSON text with sorted keys, or NULL when the
 *  schema has none.  Owned by @p info. */
KAVRO_EXPORT const char *
kavro_schema_info_rule_set(const kavro_schema_info_t *info);
/** Free @p info.  NULL-safe. */
KAVRO_EXPORT void kavro_schema_info_destroy(kavro_schema_info_t *info);

/** The contract sent with a registration or a lookup: JSON object texts,
 *  either may be NULL (not sent).  Borrowed for the call. */
typedef struct kavro_schema_contract_s {
  const char *metadata; /**< {"tags", "properties", "sensitive"} */
  const char *rule_set; /**< {"migrationRules", "domainRules", ...} */
} kavro_schema_contract_t;

/**
 * As kavro_registry_register(), sending @p contract (may be NULL) with the
 * schema; stores in @p *infop what the registry registered: the id, and
 * the version and contract when the reply carries them (Confluent
 * Platform 8 and the mock answer with the contract after the config's
 * defaults and overrides were merged in).  The schema in the info is
 * @p schema.  KAVRO_ERR_INVALID_ARG for contract text that is not a JSON
 * object; the registry's 42210 for a rule set it refuses.  Not cached
 * (the registration also drops the subject's cached latest version).
 */
KAVRO_EXPORT kavro_err_t kavro_registry_register_contract(
    kavro_registry_t *registry, const char *subject,
    const kavro_schema_t *schema, const kavro_schema_ref_t *refs,
    size_t ref_count, bool normalize, const kavro_schema_contract_t *contract,
    kavro_schema_info_t **infop, kavro_error_t *error);

/**
 * As kavro_registry_lookup() (POST /subjects/{subject}), sending
 * @p contract (may be NULL); stores the version found, with its contract,
 * in @p *infop.  Not cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_lookup_contract(
    kavro_registry_t *registry, const char *subject,
    const kavro_schema_t *schema, const kavro_schema_ref_t *refs,
    size_t ref_count, bool normalize, const kavro_schema_contract_t *contract,
    kavro_schema_info_t **infop, kavro_error_t *error);

/**
 * The schema of global id @p id with its contract: as
 * kavro_registry_schema_by_id(), from the same cache (which keeps the
 * contract the registry answered with; an id this client registered
 * against a registry whose reply does not carry the contract is asked for
 * once).  The caller owns @p *infop.  Version 0 in the info.  Thread-safe.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_schema_info_by_id(
    kavro_registry_t *registry, int32_t id, const char *subject_hint,
    kavro_schema_info_t **infop, kavro_error_t *error);

/** As kavro_registry_schema_info_by_id(), by GUID
 *  (kavro_registry_schema_by_guid()'s cache).  Thread-safe. */
KAVRO_EXPORT kavro_err_t kavro_registry_schema_info_by_guid(
    kavro_registry_t *registry, const unsigned char guid[16],
    kavro_schema_info_t **infop, kavro_error_t *error);

/**
 * Version @p version (or KAVRO_REGISTRY_LATEST) of @p subject with its id
 * and contract: as kavro_registry_get_version(), from the same caches (the
 * latest for `cache.latest.ttl.sec`).  The caller owns @p *infop.
 * Thread-safe.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_version_info(
    kavro_registry_t *registry, const char *subject, int version,
    kavro_schema_info_t **infop, kavro_error_t *error);

/**
 * The latest version of @p subject whose metadata has every property
 * @p keys[i] = @p values[i] (@p count pairs; GET
 * /subjects/{subject}/metadata?key=..&value=..), soft-deleted versions too
 * when @p deleted.  Stores a new info in @p *infop, which the caller owns
 * (kavro_schema_info_destroy() it).  KAVRO_ERR_SUBJECT_NOT_FOUND (40401) or
 * KAVRO_ERR_SCHEMA_NOT_FOUND (40403, no version matches).  Cached as the
 * latest version is (`cache.latest.ttl.sec`, per subject and question;
 * a registration under the subject through this client forgets it).
 * Thread-safe.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_latest_with_metadata(
    kavro_registry_t *registry, const char *subject, const char *const *keys,
    const char *const *values, size_t count, bool deleted,
    kavro_schema_info_t **infop, kavro_error_t *error);

/**
 * The whole config (GET /config[/{subject}][?defaultToGlobal=true]) as
 * JSON text in @p *jsonp (malloc'd; free()): `compatibilityLevel`,
 * `normalize`, `compatibilityGroup`, `defaultMetadata`,
 * `overrideMetadata`, `defaultRuleSet`, `overrideRuleSet`, as the
 * registry answers.  Not cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_get_config(kavro_registry_t *registry,
                                                   const char *subject,
                                                   bool default_to_global,
                                                   char **jsonp,
                                                   kavro_error_t *error);

/**
 * Update the config (PUT /config[/{subject}]) with the members of
 * @p json (a JSON object text: a member absent keeps its value, null
 * removes it).  The registry's answer (the config) is stored in
 * @p *answerp when not NULL (malloc'd; free()).  Drops the cached levels
 * it may change.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_put_config(kavro_registry_t *registry,
                                                   const char *subject,
                                                   const char *json,
                                                   char **answerp,
                                                   kavro_error_t *error);
/** @} */

/**
 * @name The DEK registry (client-side field-level encryption)
 *
 * Key-encryption keys (KEKs) name a key in a KMS; data-encryption keys
 * (DEKs) are kept wrapped by a KEK, per subject, algorithm and version
 * (`/dek-registry/v1/...` on the registry's URLs).  The answers are
 * cached as the schema answers are: the same key asked again makes no
 * request (a KEK, and a DEK's latest version, @c -1, for
 * `cache.latest.ttl.sec`; a registration through this client forgets the
 * latest DEK).  No error text and no log line holds key material.  Each call hands the
 * caller a copy it owns.  Thread-safe.  The structs are allocated by the
 * library, which may add members at their end: never allocate one.
 * @{
 */

/** A KEK as the DEK registry keeps it. */
typedef struct kavro_kek_s {
  char *name;
  char *kms_type;   /**< "local-kms", "aws-kms", "azure-kms", "gcp-kms",
                         "hcvault" ... */
  char *kms_key_id; /**< the key in that KMS */
  char *kms_props;  /**< JSON object text (sorted keys), or NULL */
  char *doc;        /**< or NULL */
  bool shared;      /**< the registry itself makes and unwraps the DEKs
                         (it has access to the KMS): DEKs carry their
                         key material */
  bool deleted;     /**< soft-deleted */
  int64_t ts;       /**< last change, milliseconds since the epoch */
} kavro_kek_t;

/** A DEK as the DEK registry keeps it. */
typedef struct kavro_dek_s {
  char *kek_name;
  char *subject;
  int version;                  /**< 1, 2, ... */
  char *algorithm;              /**< "AES128_GCM", "AES256_GCM",
                                     "AES256_SIV" */
  char *encrypted_key_material; /**< base64 of the wrapped key, or NULL */
  char *key_material;           /**< base64 of the key (a shared KEK's DEK
                                     only), or NULL */
  bool deleted;                 /**< soft-deleted */
  int64_t ts;                   /**< creation, milliseconds since the epoch
                                     (what `encrypt.dek.expiry.days`
                                     counts from) */
} kavro_dek_t;

/** The latest version, for kavro_registry_get_dek(). */
#define KAVRO_DEK_LATEST (-1)

/** Free @p kek and its strings (NULL-safe). */
KAVRO_EXPORT void kavro_kek_destroy(kavro_kek_t *kek);
/** Free @p dek, its key material cleansed first (NULL-safe). */
KAVRO_EXPORT void kavro_dek_destroy(kavro_dek_t *dek);

/**
 * The KEK @p name (GET /dek-registry/v1/keks/{name}?deleted=...), a
 * soft-deleted one too when @p deleted.  Stores a new KEK in @p *kekp,
 * which the caller owns (free it with kavro_kek_destroy()).  Not there: KAVRO_ERR_KEK_NOT_FOUND (the registry's 40470, HTTP 404).
 * Cached by (name, deleted) for `cache.latest.ttl.sec`.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_get_kek(kavro_registry_t *registry,
                                                const char *name, bool deleted,
                                                kavro_kek_t **kekp,
                                                kavro_error_t *error);

/**
 * Register the KEK @p kek (its name, kms_type, kms_key_id, kms_props,
 * doc and shared; POST /dek-registry/v1/keks) and store what the
 * registry answers in @p *kekp (may be NULL; a new KEK the caller frees
 * with kavro_kek_destroy()).  Nothing of @p kek is kept.  One of that
 * name already there, even an identical one: KAVRO_ERR_KEY_EXISTS (the
 * registry's 40971, HTTP 409), unless that one is soft-deleted and
 * identical, which undeletes it.  Forgets the KEK's cached answers.  A shared KEK may be refused with KAVRO_ERR_DEK_GENERATION
 * when the registry cannot reach its KMS.  Missing or invalid fields:
 * KAVRO_ERR_INVALID_KEY (42271).
 */
KAVRO_EXPORT kavro_err_t kavro_registry_register_kek(kavro_registry_t *registry,
                                                     const kavro_kek_t *kek,
                                                     kavro_kek_t **kekp,
                                                     kavro_error_t *error);

/**
 * Version @p version (or KAVRO_DEK_LATEST) of the DEK of @p subject under
 * the KEK @p kek_name for @p algorithm (GET
 * /dek-registry/v1/keks/{kek}/deks/{subject}/versions/{version}
 * ?algorithm=...&deleted=...), a soft-deleted one too when @p deleted.
 * A NULL @p algorithm is "AES256_GCM", the registry's default.  Stores a
 * new DEK in @p *dekp, which the caller owns (free it with
 * kavro_dek_destroy()).  Not there: KAVRO_ERR_DEK_NOT_FOUND, which is the
 * same code as KAVRO_ERR_KEK_NOT_FOUND (the registry answers 40470 for
 * both; its message names the subject or the KEK).  A fixed version is
 * cached for the client's life (until deleted through it); the latest
 * for `cache.latest.ttl.sec`.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_get_dek(
    kavro_registry_t *registry, const char *kek_name, const char *subject,
    int version, const char *algorithm, bool deleted, kavro_dek_t **dekp,
    kavro_error_t *error);

/**
 * Register version @p version of the DEK of @p subject under @p kek_name
 * for @p algorithm, wrapped as @p encrypted_key_material (base64; NULL
 * under a shared KEK: the registry makes the key).  POST
 * /dek-registry/v1/keks/{kek}/deks/{subject}, or the older POST
 * /dek-registry/v1/keks/{kek}/deks when the registry answers 405.  Stores
 * the registry's answer in @p *dekp (may be NULL; a new DEK the caller
 * frees with kavro_dek_destroy()).  A NULL @p algorithm
 * is "AES256_GCM"; @p version 0 is 1, the registry's default.  That
 * version already there: KAVRO_ERR_KEY_EXISTS (the registry's 40971, HTTP
 * 409).  No such KEK: KAVRO_ERR_KEK_NOT_FOUND.  No key material under a
 * KEK that is not shared: KAVRO_ERR_INVALID_KEY.  Under a shared KEK the
 * registry needs its KMS: KAVRO_ERR_DEK_GENERATION (500) or
 * KAVRO_ERR_DEK_GENERATION_FORBIDDEN (403) when it cannot use it.
 * Forgets the cached latest DEK of (kek, subject, algorithm).
 */
KAVRO_EXPORT kavro_err_t kavro_registry_register_dek(
    kavro_registry_t *registry, const char *kek_name, const char *subject,
    int version, const char *algorithm, const char *encrypted_key_material,
    kavro_dek_t **dekp, kavro_error_t *error);

/**
 * The names of the KEKs (GET /dek-registry/v1/keks?deleted=...),
 * soft-deleted ones too when @p deleted.  Stores them as
 * kavro_registry_subjects() stores subjects (one malloc'd block: free()
 * it).  Not cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_kek_names(kavro_registry_t *registry,
                                                  bool deleted, char ***namesp,
                                                  size_t *countp,
                                                  kavro_error_t *error);

/**
 * The subjects that have DEKs under the KEK @p kek_name (GET
 * /dek-registry/v1/keks/{kek}/deks?deleted=...), sorted, stored as
 * kavro_registry_kek_names() stores names (one malloc'd block the caller
 * frees with free()).  Not cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_dek_subjects(
    kavro_registry_t *registry, const char *kek_name, bool deleted,
    char ***subjectsp, size_t *countp, kavro_error_t *error);

/**
 * The versions of the DEK of @p subject under @p kek_name for
 * @p algorithm (NULL: "AES256_GCM") (GET
 * /dek-registry/v1/keks/{kek}/deks/{subject}/versions?algorithm=...&deleted=...).
 * Stores a malloc'd array in @p *versionsp (free() it) and its length in
 * @p *countp.  Not cached.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_dek_versions(
    kavro_registry_t *registry, const char *kek_name, const char *subject,
    const char *algorithm, bool deleted, int **versionsp, size_t *countp,
    kavro_error_t *error);

/**
 * Delete the KEK @p name (DELETE /dek-registry/v1/keks/{name}
 * [?permanent=true]): soft, or for good when @p permanent (which needs the
 * soft delete first: KAVRO_ERR_KEY_NOT_SOFT_DELETED).  A KEK with DEKs
 * (not soft-deleted ones, or any for a permanent delete):
 * KAVRO_ERR_KEY_REFERENCE_EXISTS.  Forgets the KEK's cached answers.
 */
KAVRO_EXPORT kavro_err_t kavro_registry_delete_kek(kavro_registry_t *registry,
                                                   const char *name,
                                                   bool permanent,
                                                   kavro_error_t *error);

/** Undelete the soft-deleted KEK @p name (POST
 *  /dek-registry/v1/keks/{name}/undelete).  Forgets its cached answers. */
KAVRO_EXPORT kavro_err_t kavro_registry_undelete_kek(kavro_registry_t *registry,
                                                     const char *name,
                                                     kavro_error_t *error);

/** Every version, for kavro_registry_delete_dek() and
 *  kavro_registry_undelete_dek(). */
#define KAVRO_DEK_ALL_VERSIONS 0

/**
 * Delete version @p version (>= 1; not KAVRO_DEK_LATEST, which the
 * registry accepts and then deletes nothing) of the DEK of
 * @p subject under @p kek_name for @p algorithm (NULL: "AES256_GCM"), or
 * every version with KAVRO_DEK_ALL_VERSIONS (DELETE
 * /dek-registry/v1/keks/{kek}/deks/{subject}[/versions/{v}]
 * ?algorithm=...[&permanent=true]): soft, or for good when @p permanent
 * (which needs the soft delete first).  Forgets the cached answers of
 * (kek, subject, algorithm).
 */
KAVRO_EXPORT kavro_err_t kavro_registry_delete_dek(
    kavro_registry_t *registry, const char *kek_name, const char *subject,
    int version, const char *algorithm, bool permanent, kavro_error_t *error);

/**
 * Undelete version @p version (>= 1, or every version with
 * KAVRO_DEK_ALL_VERSIONS) of a soft-deleted DEK (POST
 * /dek-registry/v1/keks/{kek}/deks/{subject}[/versions/{v}]/undelete
 * ?algorithm=...).  The KEK soft-deleted: KAVRO_ERR_KEY_SOFT_DELETED.
 * Forgets the cached answers of (kek, subject, algorithm).
 */
KAVRO_EXPORT kavro_err_t kavro_registry_undelete_dek(
    kavro_registry_t *registry, const char *kek_name, const char *subject,
    int version, const char *algorithm, kavro_error_t *error);
/** @} */

/**
 * @name Counters
 * @{
 */

/** The endpoints, for per-endpoint request counters.  The DEK registry's
 *  requests have none (they count in the totals only). */
typedef enum kavro_registry_endpoint_e {
  KAVRO_REGISTRY_EP_REGISTER,       /**< POST /subjects/{s}/versions */
  KAVRO_REGISTRY_EP_LOOKUP,         /**< POST /subjects/{s} */
  KAVRO_REGISTRY_EP_SCHEMA_BY_ID,   /**< GET /schemas/ids/{id} */
  KAVRO_REGISTRY_EP_VERSION,        /**< GET /subjects/{s}/versions/{v} */
  KAVRO_REGISTRY_EP_VERSIONS,       /**< GET /subjects/{s}/versions */
  KAVRO_REGISTRY_EP_SUBJECTS,       /**< GET /subjects */
  KAVRO_REGISTRY_EP_DELETE_SUBJECT, /**< DELETE /subjects/{s} */
  KAVRO_REGISTRY_EP_DELETE_VERSION, /**< DELETE /subjects/{s}/versions/{v} */
  KAVRO_REGISTRY_EP_CONFIG,         /**< GET, PUT, DELETE /config[/{s}] */
  KAVRO_REGISTRY_EP_MODE,           /**< GET, PUT /mode[/{s}] */
  KAVRO_REGISTRY_EP_COMPATIBILITY,  /**< POST /compatibility/... */
  KAVRO_REGISTRY_EP_SCHEMA_BY_GUID, /**< GET /schemas/guids/{guid} */
  KAVRO_REGISTRY_EP_CONTEXTS,       /**< GET /contexts, DELETE /contexts/{c} */
  KAVRO_REGISTRY_EP_ASSOCIATIONS,   /**< /associations... */
  KAVRO_REGISTRY_EP_COUNT
} kavro_registry_endpoint_t;

/** Counters since the client was created.  Each request counts once, its
 *  retries and failovers apart. */
typedef struct kavro_registry_stats_s {
  uint64_t requests[KAVRO_REGISTRY_EP_COUNT]; /**< calls that went out */
  uint64_t http_attempts; /**< HTTP exchanges, retries and failovers included */
  uint64_t cache_hits;   /**< answered from a cache, a remembered "not
                              found" (missing.*.cache.ttl.sec) included */
  uint64_t cache_misses;
  uint64_t retries;     /**< attempts repeated after a backoff */
  uint64_t failovers;   /**< moves to the next URL of the list */
  uint64_t connections; /**< HTTP connections opened (keep-alive reuses) */
  uint64_t errors;      /**< requests that failed in the end */
} kavro_registry_stats_t;

/** Copy the counters into @p stats.  Safe while other threads work; each
 *  counter is read atomically, the set is not a snapshot. */
KAVRO_EXPORT void kavro_registry_stats(const kavro_registry_t *registry,
                                       kavro_registry_stats_t *stats);

/** Empty every cache, the negative ones included (the next lookups go
 *  to the registry). */
KAVRO_EXPORT void kavro_registry_clear_caches(kavro_registry_t *registry);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_REGISTRY_H */
