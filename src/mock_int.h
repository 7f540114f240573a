/*
 * kavro - internals of the mock Schema Registry.
 *
 * Three layers, one file each:
 *  - mock_store.c: the registry itself (subjects, versions, ids, levels,
 *    mode), its rules and its JSON file; every operation answers with a
 *    kv_reply_t, status and body as the registry would send them;
 *    mock_file.c replaces that file durably;
 *  - mock_rest.c: the REST surface: splits the path, decodes subjects and
 *    query parameters, picks the endpoint and calls the store;
 *  - mock.c: the public object: fault injection, latency, counters and the
 *    request log around the REST handler, which it registers for mock://
 *    and hands to mock_http.c, the libmicrohttpd server.
 */
#ifndef KAVRO_MOCK_INT_H
#define KAVRO_MOCK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <kavro.h>
#include <kavro/mock.h>

#include "inproc_int.h"

/* The registry's media type, on every reply. */
#define KV_MOCK_CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

/* Bound on a request body (over HTTP: larger bodies get 413). */
#define KV_MOCK_MAX_BODY (16u * 1024u * 1024u)

/* ---- replies ---------------------------------------------------------- */

/* What the registry answers: a JSON body, a raw body (the /schema
 * endpoints answer with the schema text itself), or an error. */
typedef struct kv_reply_s {
  int status;
  int error_code;   /* 0 on success */
  json_t *json;     /* success body, owned; NULL when raw or an error */
  char *raw;        /* raw success body, owned (malloc) */
  char message[1024]; /* the error message */
  /* Set by the REST layer before the store answers: schema text with the
   * named types of its references written in full (`?format=resolved`). */
  bool resolved;
} kv_reply_t;

/* Set @reply to the registry error @code with a printf-style message; the
 * HTTP status follows from the code (40401 -> 404, 42201 -> 422, ...). */
void kv_reply_error(kv_reply_t *reply, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set @reply to 200 with @json (stolen; NULL means out of memory, which
 * becomes a 500 50001). */
void kv_reply_json(kv_reply_t *reply, json_t *json);

/* Set @reply to 204 with an empty body (OOM: a 500 50001). */
void kv_reply_no_content(kv_reply_t *reply);

void kv_reply_clear(kv_reply_t *reply);

/* The HTTP status of registry error @code. */
int kv_reply_status_of(int code);

/* ---- the store (mock_store.c) ----------------------------------------- */

typedef struct kv_store_s kv_store_t;

kv_store_t *kv_store_new(void);
void kv_store_free(kv_store_t *store);

/* What GET /schemas/ids/{id}[/...] or /schemas/guids/{guid}[/ids] asks
 * for. */
typedef enum kv_id_view_e {
  KV_ID_SCHEMA,   /* {"guid", "schema"[, "references"]} */
  KV_ID_RAW,      /* the schema text */
  KV_ID_VERSIONS, /* [{"subject", "version"}] */
  KV_ID_SUBJECTS, /* ["subject"] */
  KV_ID_IDS       /* [{"context", "id"}] */
} kv_id_view_t;

/* The operations, one per endpoint.  @version is the path text ("3",
 * "latest", "-1"), validated here.  With @normalize (`?normalize=true`),
 * or the config "normalize" in the subject's scope, a posted schema is
 * normalized (KAVRO_JSON_NORMALIZED, its references sorted) before it is
 * looked up or given an id, as the registry does.  Thread safe: each
 * takes the store's lock. */
void kv_store_register(kv_store_t *store, const char *subject,
                       const json_t *body, bool normalize, kv_reply_t *reply);
void kv_store_lookup(kv_store_t *store, const char *subject,
                     const json_t *body, bool deleted, bool normalize,
                     kv_reply_t *reply);
void kv_store_versions(kv_store_t *store, const char *subject, bool deleted,
                       kv_reply_t *reply);
void kv_store_get_version(kv_store_t *store, const char *subject,
                          const char *version, bool deleted, bool raw,
                          kv_reply_t *reply);
/* The latest version of @subject whose metadata has every property of
 * @wanted ({key: value}); 40401 when the subject has no version to show,
 * 40403 when none matches. */
void kv_store_latest_with_metadata(kv_store_t *store, const char *subject,
                                   const json_t *wanted, bool deleted,
                                   kv_reply_t *reply);
void kv_store_by_id(kv_store_t *store, const char *id, kv_id_view_t view,
                    bool deleted, kv_reply_t *reply);
/* GET /subjects/{subject}/versions/{version}/referencedby: the ids of the
 * schemas whose references name that version, ascending, each once; a
 * referrer counts when one of its versions is live (or soft-deleted, with
 * @deleted).  The version itself is found even when soft-deleted, as the
 * registry finds it (40401 for a subject without versions, 40402). */
void kv_store_referenced_by(kv_store_t *store, const char *subject,
                            const char *version, bool deleted,
                            kv_reply_t *reply);
/* As kv_store_by_id() for the schema whose GUID is @guid (text form,
 * either case); 40403 when no schema has it. */
void kv_store_by_guid(kv_store_t *store, const char *guid, kv_id_view_t view,
                      bool deleted, kv_reply_t *reply);
void kv_store_subjects(kv_store_t *store, bool deleted, kv_reply_t *reply);

/* ---- the DEK registry (mock_dek.c) ----------------------------------- */

/* A scope's KEKs and DEKs, kept by its store. */
typedef struct kv_deks_s kv_deks_t;
kv_deks_t *kv_deks_new(void);
void kv_deks_free(kv_deks_t *deks);
/* A deep copy; NULL on OOM. */
kv_deks_t *kv_deks_dup(const kv_deks_t *deks);
/* The file's "dekRegistry" object ({} when there is no key); NULL on
 * OOM. */
json_t *kv_deks_dump(const kv_deks_t *deks);
/* Replace @deks with the file's @value; NULL, or what is wrong with it. */
const char *kv_deks_load(kv_deks_t *deks, const json_t *value);

/* Run @fn on the store's DEK registry under its lock.  With @change, as a
 * change (kv_store_with_assocs()): when @fn returns true the store is
 * written to its file before @reply goes out, and undone with a 500 when
 * it cannot be. */
typedef bool (*kv_deks_fn)(kv_store_t *store, kv_deks_t *deks, void *opaque,
                           kv_reply_t *reply);
void kv_store_with_deks(kv_store_t *store, bool change, kv_deks_fn fn,
                        void *opaque, kv_reply_t *reply);

/* ---- contexts ---------------------------------------------------------
 *
 * A qualified subject ":.ctx:name" lives in context ".ctx", with ids of
 * its own from 1; unqualified subjects live in the default context ".". */

/* As kv_store_by_id() for a request naming @subject (`?subject=`; NULL:
 * none): the id is looked up in the subject's context; for an unqualified
 * subject in the default context first, then in the contexts that have
 * ":.ctx:@subject" with that id, as the registry does. */
void kv_store_by_id_in(kv_store_t *store, const char *id, const char *subject,
                       kv_id_view_t view, bool deleted, kv_reply_t *reply);
/* GET /subjects?subjectPrefix=@prefix: the subjects whose qualified name
 * starts with @prefix; ":*:" (and NULL) stands for every context. */
void kv_store_subjects_prefixed(kv_store_t *store, const char *prefix,
                                bool deleted, kv_reply_t *reply);
/* GET /contexts: "." first, then the other contexts, sorted. */
void kv_store_contexts(kv_store_t *store, kv_reply_t *reply);
/* DELETE /contexts/{context} (".ctx", "ctx" or ":.ctx:"): 204 when no
 * subject of it has a version (soft-deleted ones count), else 42211; the
 * context is no longer listed until a version is registered in it again,
 * and its schemas keep their ids. */
void kv_store_delete_context(kv_store_t *store, const char *context,
                             kv_reply_t *reply);

/* ---- associations (mock_assoc.c) ---------------------------------------- */

/* A topic-subject association; every string owned. */
typedef struct kv_assoc_s {
  char *subject;
  char *resource_name;
  char *resource_namespace;
  char *resource_id;
  char *resource_type;
  char *association_type; /* "key" or "value" */
  bool strong;            /* lifecycle STRONG, else WEAK */
  bool frozen;
} kv_assoc_t;

/* The store's associations. */
typedef struct kv_assocs_s {
  kv_assoc_t *items;
  size_t count, capacity;
} kv_assocs_t;

void kv_assocs_clear(kv_assocs_t *assocs);
/* Copy @from into @to (which is overwritten).  False on OOM (@to empty). */
bool kv_assocs_copy(kv_assocs_t *to, const kv_assocs_t *from);
/* The file's "associations" array; NULL on OOM. */
json_t *kv_assocs_dump(const kv_assocs_t *assocs);
/* Add the file's @array to @assocs; NULL, or what is wrong with it. */
const char *kv_assocs_load(kv_assocs_t *assocs, const json_t *array);

/* Run @fn on the store's associations under its lock.  With @change, as a
 * change: when @fn returns true (it changed them) the store is written to
 * its file before @reply goes out, and undone with a 500 when it cannot
 * be. */
typedef bool (*kv_assoc_fn)(kv_store_t *store, kv_assocs_t *assocs,
                            void *opaque, kv_reply_t *reply);
void kv_store_with_assocs(kv_store_t *store, bool change, kv_assoc_fn fn,
                          void *opaque, kv_reply_t *reply);
/* Whether subject @name has a live version (the lock held, from a
 * kv_assoc_fn). */
bool kv_store_subject_live_locked(const kv_store_t *store, const char *name);

/* A version in a path, as the registry reads it: 1 .. 2^31-1, "latest"
 * or -1 (both stored as -1); false when it is none of these (or NULL). */
bool kv_mock_parse_version(const char *text, int *number);
/* Whether subject @name is read-only (READONLY or READONLY_OVERRIDE), or
 * in IMPORT mode, in its scope (the lock held). */
bool kv_store_read_only_locked(const kv_store_t *store, const char *name);
bool kv_store_import_mode_locked(const kv_store_t *store, const char *name);
/* Whether a version of another subject, soft-deleted or not, references a
 * version of subject @name (the lock held). */
bool kv_store_subject_referenced_locked(const kv_store_t *store,
                                        const char *name);
/* Delete subject @name soft, when it has a live version, then for good
 * (the lock held, from a changing kv_assoc_fn).  False with @reply set
 * (42206 when a version is referenced...); a kv_assoc_fn that returns
 * false with an error has its whole change undone. */
bool kv_store_delete_subject_locked(kv_store_t *store, const char *name,
                                    kv_reply_t *reply);
void kv_store_delete_subject(kv_store_t *store, const char *subject,
                             bool permanent, kv_reply_t *reply);
void kv_store_delete_version(kv_store_t *store, const char *subject,
                             const char *version, bool permanent,
                             kv_reply_t *reply);
/* @subject NULL: the global level. */
void kv_store_get_config(kv_store_t *store, const char *subject,
                         bool default_to_global, kv_reply_t *reply);
void kv_store_put_config(kv_store_t *store, const char *subject,
                         const json_t *body, kv_reply_t *reply);
void kv_store_delete_config(kv_store_t *store, const char *subject,
                            kv_reply_t *reply);
/* The global mode (@subject NULL) or a subject's own; a subject without
 * one answers 40409 unless @default_to_global. */
void kv_store_get_mode(kv_store_t *store, const char *subject,
                       bool default_to_global, kv_reply_t *reply);
void kv_store_delete_mode(kv_store_t *store, const char *subject,
                          kv_reply_t *reply);
void kv_store_put_mode(kv_store_t *store, const char *subject, const json_t *body,
                       kv_reply_t *reply);
/* @version NULL: against the versions the subject's level names. */
void kv_store_test_compat(kv_store_t *store, const char *subject,
                          const char *version, const json_t *body,
                          bool verbose, bool normalize, kv_reply_t *reply);

uint64_t kv_store_change_count(kv_store_t *store);
/* Write the store to @path (kv_file_replace()).  A subject whose name is
 * not UTF-8 cannot be written: the file holds everything else and the
 * answer is KAVRO_ERR_IO naming what was left out. */
kavro_err_t kv_store_save(kv_store_t *store, const char *path,
                          kavro_error_t *error);
/* Replace the store with the file @path; with a file of its own (below),
 * the store loaded is written to it first, and stays as it was if that
 * fails. */
kavro_err_t kv_store_load(kv_store_t *store, const char *path,
                          kavro_error_t *error);
/* Keep the store in the file @path from now on: load it when it exists,
 * write it at once, then write it after every change before the change is
 * answered.  A change that cannot be written is undone and answered 500
 * 50001.  A write that failed or left a subject out is reported on stderr
 * and made again at the next change, or at kv_store_retry_save() once a
 * delay has passed (0.1 s, doubling up to 10 s).  KAVRO_ERR_INVALID_ARG
 * when the store already has a file; else as kv_store_load(), or
 * KAVRO_ERR_IO when the file cannot be written. */
kavro_err_t kv_store_persist(kv_store_t *store, const char *path,
                             kavro_error_t *error);
/* Write the store again if its last write failed and the delay is over. */
void kv_store_retry_save(kv_store_t *store);

/* The registry's KMS for shared KEKs (kavro_mock_set_kms(); NULL:
 * none), copied; and the one in use, with the store's lock held. */
void kv_store_set_dek_kms(kv_store_t *store, const kavro_mock_kms_t *kms);
const kavro_mock_kms_t *kv_store_dek_kms_locked(const kv_store_t *store);

/* Called by each registration, without the lock, just before its
 * compatibility check: how tests see that the check holds up no other
 * request.  Set it before the store is shared. */
typedef void (*kv_store_check_hook_fn)(void *opaque);
void kv_store_set_check_hook(kv_store_t *store, kv_store_check_hook_fn hook,
                             void *opaque);

/* Replace @path with @length bytes of @data so that a crash at any point
 * leaves the old file or the new one whole, and the new one survives once
 * this returns KAVRO_OK: a temporary file in the same directory, fsync(),
 * rename() over @path, fsync() of the directory (mock_file.c). */
kavro_err_t kv_file_replace(const char *path, const char *data, size_t length,
                            kavro_error_t *error);

/* ---- data contracts (mock_metadata.c) --------------------------------- */

/* Read a "metadata" or "ruleSet" value (of a registration, a lookup or a
 * config) into *@outp in its normal form (a new reference), NULL when
 * absent or null.  False with @reply set: 422 for a value of the wrong
 * shape, 42210 for a rule set the registry refuses (RuleSet.validate()). */
bool kv_contract_read_metadata(const json_t *value, json_t **outp,
                               kv_reply_t *reply);
bool kv_contract_read_rule_set(const json_t *value, json_t **outp,
                               kv_reply_t *reply);

/* The registry's merges (Metadata.mergeMetadata(), RuleSet.mergeRuleSets()):
 * @new_ wins where both say something.  Either may be NULL; *@outp is a
 * new reference or NULL when both are.  False on OOM. */
bool kv_metadata_merge(const json_t *old, const json_t *new_, json_t **outp);
bool kv_rule_set_merge(const json_t *old, const json_t *new_, json_t **outp);

/* The property @name of @metadata (NULL-safe), or NULL. */
const char *kv_metadata_property(const json_t *metadata, const char *name);

/* Whether @metadata has every property of @wanted ({key: value}). */
bool kv_metadata_matches(const json_t *metadata, const json_t *wanted);

/* Whether a PUT /config body names a member beside the level. */
bool kv_contract_config_present(const json_t *body);

/* @old (the config members beside the level; may be NULL) updated by a PUT
 * /config @body as the registry updates a config: a member absent keeps
 * its value, null removes it, anything else replaces it.  *@outp is a new
 * object.  False with @reply set. */
bool kv_contract_config_update(const json_t *old, const json_t *body,
                               json_t **outp, kv_reply_t *reply);

/* ---- the REST surface (mock_rest.c) ----------------------------------- */

/* The endpoints, for routing and counting. */
typedef enum kv_endpoint_e {
  KV_EP_UNKNOWN = 0,
  KV_EP_ROOT,
  KV_EP_SCHEMA_TYPES,
  KV_EP_SCHEMA_BY_ID,
  KV_EP_SCHEMA_BY_ID_RAW,
  KV_EP_SCHEMA_ID_VERSIONS,
  KV_EP_SCHEMA_ID_SUBJECTS,
  KV_EP_SUBJECTS,
  KV_EP_LOOKUP,
  KV_EP_DELETE_SUBJECT,
  KV_EP_VERSIONS,
  KV_EP_REGISTER,
  KV_EP_GET_VERSION,
  KV_EP_GET_VERSION_SCHEMA,
  KV_EP_DELETE_VERSION,
  KV_EP_GET_CONFIG,
  KV_EP_PUT_CONFIG,
  KV_EP_DELETE_CONFIG,
  KV_EP_GET_SUBJECT_CONFIG,
  KV_EP_PUT_SUBJECT_CONFIG,
  KV_EP_DELETE_SUBJECT_CONFIG,
  KV_EP_GET_MODE,
  KV_EP_PUT_MODE,
  KV_EP_GET_SUBJECT_MODE,
  KV_EP_PUT_SUBJECT_MODE,
  KV_EP_DELETE_SUBJECT_MODE,
  KV_EP_COMPAT_VERSION,
  KV_EP_COMPAT_SUBJECT,
  KV_EP_SCHEMA_BY_GUID,
  KV_EP_SCHEMA_GUID_IDS,
  KV_EP_OAUTH_TOKEN, /* the test token endpoint (mock_auth.c) */
  KV_EP_CONTEXTS,
  KV_EP_DELETE_CONTEXT,
  KV_EP_CREATE_ASSOCIATION,
  KV_EP_ASSOCIATIONS_BY_RESOURCE_NAME,
  KV_EP_ASSOCIATIONS_BY_RESOURCE_ID,
  KV_EP_ASSOCIATIONS_BY_SUBJECT,
  KV_EP_DELETE_ASSOCIATIONS,
  KV_EP_UPSERT_ASSOCIATION,
  KV_EP_ASSOCIATIONS_BATCH_GET,
  KV_EP_ASSOCIATIONS_BATCH_MUTATE,
  KV_EP_SUBJECT_METADATA,
  KV_EP_REFERENCED_BY,
  /* The DEK registry (/dek-registry/v1/keks..., mock_dek.c). */
  KV_EP_KEKS,
  KV_EP_CREATE_KEK,
  KV_EP_GET_KEK,
  KV_EP_UPDATE_KEK,
  KV_EP_DELETE_KEK,
  KV_EP_UNDELETE_KEK,
  KV_EP_TEST_KEK,
  KV_EP_DEK_SUBJECTS,
  KV_EP_CREATE_DEK_OLD,
  KV_EP_GET_DEK,
  KV_EP_CREATE_DEK,
  KV_EP_DELETE_DEK,
  KV_EP_UNDELETE_DEK,
  KV_EP_DEK_VERSIONS,
  KV_EP_GET_DEK_VERSION,
  KV_EP_DELETE_DEK_VERSION,
  KV_EP_UNDELETE_DEK_VERSION,
  KV_EP_COUNT
} kv_endpoint_t;

#define KV_EP_DEK_FIRST KV_EP_KEKS
#define KV_EP_DEK_LAST KV_EP_UNDELETE_DEK_VERSION

/* "GET /schemas/ids/{id}", or "" for KV_EP_UNKNOWN.  Static. */
const char *kv_endpoint_name(kv_endpoint_t endpoint);

/* A request taken apart: its endpoint and the decoded path parameters. */
typedef struct kv_route_s {
  kv_endpoint_t endpoint;
  int not_found_status;  /* KV_EP_UNKNOWN: 404 (no such path) or 405 */
  char *subject;         /* decoded, owned; NULL when none */
  char *version;         /* decoded, owned */
  char *id;              /* decoded, owned: an id or a GUID, an
                            association's resource id or name, or a KEK's
                            name */
  char *resource_namespace; /* decoded, owned: an association's */
} kv_route_t;

/* Find the endpoint of @method and raw @path.  KAVRO_ERR_NOMEM or
 * KAVRO_OK (an unknown path is KV_EP_UNKNOWN, not an error). */
kavro_err_t kv_route_find(const char *method, const char *path,
                          kv_route_t *route);
void kv_route_clear(kv_route_t *route);

/* Serve @route of @request from @store into @reply. */
void kv_rest_serve(kv_store_t *store, const kv_route_t *route,
                   const kv_http_request_t *request, kv_reply_t *reply);

/* Serve the /associations endpoints of @route (mock_assoc.c). */
void kv_assoc_serve(kv_store_t *store, const kv_route_t *route,
                    const kv_http_request_t *request, kv_reply_t *reply);

/* The DEK registry's endpoints of @route (mock_dek.c). */
bool kv_dek_endpoint(kv_endpoint_t endpoint);
void kv_dek_serve(kv_store_t *store, const kv_route_t *route,
                  const kv_http_request_t *request, kv_reply_t *reply);

/* Whether the query parameter @name of @query is "true" (any case). */
bool kv_query_flag(const char *query, const char *name);
/* The decoded value of the query parameter @name (a new string), or NULL
 * when absent or out of memory. */
char *kv_query_text(const char *query, const char *name);
/* Every value of the query parameter @name, decoded, in order: a new
 * array of strings (a value not UTF-8 left out), or NULL on OOM. */
json_t *kv_query_texts(const char *query, const char *name);
/* A request's body as a JSON object (a new reference), or NULL with
 * @reply set: 400 when it is not JSON, 422 when not an object. */
json_t *kv_rest_read_body(const kv_http_request_t *request, kv_reply_t *reply);

/* Turn @reply into the HTTP response: body text, status, content type.
 * KAVRO_ERR_NOMEM when the body cannot be written. */
kavro_err_t kv_reply_to_response(const kv_reply_t *reply,
                                 kv_http_response_t *response);

/* ---- authentication (mock_auth.c) ------------------------------------ */

/* What the registry requires of a request's Authorization, and the test
 * token endpoint.  Thread safe (its own lock). */
typedef struct kv_mock_auth_s kv_mock_auth_t;

kv_mock_auth_t *kv_mock_auth_new(void);
void kv_mock_auth_free(kv_mock_auth_t *auth);

/* Require basic auth with @user_info ("USER:PASSWORD"; NULL: not). */
kavro_err_t kv_mock_auth_basic(kv_mock_auth_t *auth, const char *user_info);
/* Require a bearer token issued by the token endpoint (or not). */
void kv_mock_auth_bearer(kv_mock_auth_t *auth, bool required);
/* Serve POST /oauth/token with tokens living @lifetime_seconds (0: stop
 * serving), to the client @client_id / @client_secret (NULL id: any). */
kavro_err_t kv_mock_auth_serve_tokens(kv_mock_auth_t *auth,
                                      const char *client_id,
                                      const char *client_secret,
                                      unsigned lifetime_seconds);
bool kv_mock_auth_serving(kv_mock_auth_t *auth);
uint64_t kv_mock_auth_tokens_issued(kv_mock_auth_t *auth);

/* Whether a request with @authorization (NULL: none) may be served. */
bool kv_mock_auth_allows(kv_mock_auth_t *auth, const char *authorization);

/* Answer the token endpoint: a token, or an OAuth error (400, 401). */
void kv_mock_auth_token(kv_mock_auth_t *auth, const kv_http_request_t *request,
                        kv_reply_t *reply);

/* ---- the HTTP server (mock_http.c) ------------------------------------ */

typedef struct kv_http_server_s kv_http_server_t;

/* Serve @handler(@opaque, ...) on @address (IPv4, or IPv6 without
 * brackets) and @port.  The bound port is in kv_http_server_port(). */
kavro_err_t kv_http_server_start(const char *address, unsigned port,
                                 kv_inproc_handler_fn handler, void *opaque,
                                 kv_http_server_t **serverp,
                                 kavro_error_t *error);
/* The certificate, key and optional client CA of an HTTPS server, read
 * from PEM files (each at most 1 MiB; the key unencrypted).  With a client
 * CA, clients must present a certificate it signed.  KAVRO_ERR_IO,
 * KAVRO_ERR_LIMIT, KAVRO_ERR_INVALID_ARG (no file named, or a
 * libmicrohttpd without TLS), KAVRO_ERR_NOMEM. */
typedef struct kv_http_tls_s kv_http_tls_t;
kavro_err_t kv_http_tls_load(const char *cert_file, const char *key_file,
                             const char *client_ca_file, kv_http_tls_t **tlsp,
                             kavro_error_t *error);
/* NULL-safe; wipes the key. */
void kv_http_tls_free(kv_http_tls_t *tls);

/* As kv_http_server_start(), over HTTPS with @tls (borrowed: it must
 * outlive the server), or plain HTTP when @tls is NULL. */
kavro_err_t kv_http_server_start_tls(const char *address, unsigned port,
                                     const kv_http_tls_t *tls,
                                     kv_inproc_handler_fn handler,
                                     void *opaque, kv_http_server_t **serverp,
                                     kavro_error_t *error);
unsigned kv_http_server_port(const kv_http_server_t *server);
/* "@address:@port" as a URL writes it, an IPv6 address in brackets
 * ("[::1]:8081"); cut to @size. */
#define KV_HTTP_HOST_PORT_SIZE 80
void kv_http_host_port(char *buf, size_t size, const char *address,
                       unsigned port);
/* Stop accepting, wait for the connections' threads, free.  NULL-safe. */
void kv_http_server_stop(kv_http_server_t *server);

#endif /* KAVRO_MOCK_INT_H */
