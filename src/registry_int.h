/*
 * kavro - internals of the registry client, split by concern:
 *
 *   registry.c        the public API: endpoints, references, cache use
 *   registry_http.c   transport: libcurl or mock://, auth, TLS, retries,
 *                     failover, time-outs, the response size cap
 *   registry_reply.c  parsers of the registry's JSON replies (fuzzed)
 *   registry_cache.c  bounded caches, per-key in-flight requests, the
 *                     per-thread counter slots
 */
#ifndef KAVRO_REGISTRY_INT_H
#define KAVRO_REGISTRY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common_conf_int.h"
#include "common_metrics_int.h"
#include "common_text_int.h"
#include "inproc_int.h"
#include "kavro/conf.h"
#include "kavro/registry.h"

/* ---- per-thread slots and counters (registry_cache.c) ------------------- */

/* Threads are spread over this many slots (a thread keeps its slot for
 * life).  Hot-path counters and cache read locks live per slot, so threads
 * on different slots never write the same cache line. */
#define KV_SLOTS 64

/* This thread's slot, assigned round-robin at its first call. */
unsigned kv_thread_slot(void);

typedef struct kv_stat_slot_s {
  atomic_uint_fast64_t hits;
  atomic_uint_fast64_t misses;
  char pad[64 - 2 * sizeof(atomic_uint_fast64_t)];
} kv_stat_slot_t;

typedef struct kv_stats_s {
  kv_stat_slot_t slots[KV_SLOTS]; /* cache hits and misses, per slot */
  atomic_uint_fast64_t requests[KAVRO_REGISTRY_EP_COUNT];
  atomic_uint_fast64_t http_attempts;
  atomic_uint_fast64_t retries;
  atomic_uint_fast64_t failovers;
  atomic_uint_fast64_t connections;
  atomic_uint_fast64_t errors;
} kv_stats_t;

static inline void kv_stat_add(atomic_uint_fast64_t *counter) {
  atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* Monotonic clock in milliseconds. */
int64_t kv_now_ms(void);

/* ---- caches (registry_cache.c) ------------------------------------------ */

/* A cache key: a string (subject, may be empty), a number (id, version,
 * flag) and optionally a SHA-256 schema fingerprint.  Borrowed for the
 * call; entries copy it. */
typedef struct kv_cache_key_s {
  const char *str;
  int64_t num;
  const unsigned char *fp; /* 32 bytes, or NULL */
} kv_cache_key_t;

#define KV_FP_SIZE 32

/* A schema's data contract as the registry answered it: compact JSON texts
 * (NULL: absent).  Immutable and shared by reference between cache entries
 * and the values read from them (registry_contract.c). */
typedef struct kv_contract_s {
  atomic_int refs;
  char *metadata;
  char *rule_set;
} kv_contract_t;

/* Another reference to @contract (NULL-safe); allocates nothing. */
kv_contract_t *kv_contract_ref(kv_contract_t *contract);
void kv_contract_unref(kv_contract_t *contract);

/* The "metadata" and "ruleSet" members of a reply @body into a new
 * contract (NULL when it has neither).  KAVRO_ERR_BAD_RESPONSE when either
 * is not an object. */
kavro_err_t kv_contract_read(const char *body, size_t length,
                             kv_contract_t **contractp, kavro_error_t *error);

/* Whether the reply @body is an object with member @name. */
bool kv_reply_has(const char *body, size_t length, const char *name);

/* Immutable text shared by reference between cache entries and the values
 * read from them: a DEK registry reply.  Wiped when the last reference
 * goes, since a shared KEK's DEK carries its key material. */
typedef struct kv_blob_s {
  atomic_int refs;
  size_t length;
  char text[]; /* NUL-terminated */
} kv_blob_t;

/* A new blob holding @length bytes of @text; NULL on OOM. */
kv_blob_t *kv_blob_new(const char *text, size_t length);
kv_blob_t *kv_blob_ref(kv_blob_t *blob);
void kv_blob_unref(kv_blob_t *blob);

typedef struct kv_cache_value_s {
  kavro_schema_t *schema; /* a reference, or NULL */
  kv_contract_t *contract; /* a reference, or NULL */
  bool has_contract;       /* the contract is known (NULL: none) */
  int id;
  int version;                         /* 0: unknown */
  char name[KAVRO_REGISTRY_NAME_SIZE]; /* a level */
  bool has_guid;                       /* the schema's GUID is known */
  unsigned char guid[KV_GUID_SIZE];    /* when has_guid */
  kv_blob_t *blob;                     /* a reference, or NULL */
  /* Set by a fetch that the registry answered with a definite "not
   * found" for the key itself (404 with this error_code); the only field
   * of an entry in a negative cache. */
  int missing_code;
} kv_cache_value_t;

typedef struct kv_cache_s kv_cache_t;

/* A cache of at most @capacity entries, counted in the metrics as @name
 * (static text).  NULL when out of memory. */
kv_cache_t *kv_cache_new(size_t capacity, const char *name);

/* Count a lookup of @cache in its metrics: answered (@hit) or not.
 * Lock-free; NULL-safe. */
void kv_cache_count(kv_cache_t *cache, bool hit);
void kv_cache_destroy(kv_cache_t *cache);

/* Look @key up.  On a hit copies the value into @out (with a new schema
 * reference) and returns true.  Entries whose expiry is at or before
 * @now_ms (when the entry has one) are misses.  Allocates nothing; takes
 * only this thread's slot lock. */
bool kv_cache_get(kv_cache_t *cache, const kv_cache_key_t *key, int64_t now_ms,
                  kv_cache_value_t *out);

/* Insert or replace @key's value (the schema reference is duplicated),
 * expiring at @expires_ms (0: never), evicting by the CLOCK rule when
 * full.  KAVRO_ERR_NOMEM when the key cannot be copied (nothing cached). */
kavro_err_t kv_cache_put(kv_cache_t *cache, const kv_cache_key_t *key,
                         const kv_cache_value_t *value, int64_t expires_ms);

/* Remove @key's entry, if any. */
void kv_cache_remove(kv_cache_t *cache, const kv_cache_key_t *key);

/* Remove every entry whose string is @str. */
void kv_cache_remove_str(kv_cache_t *cache, const char *str);
void kv_cache_clear(kv_cache_t *cache);

void kv_cache_value_clear(kv_cache_value_t *value);

/* ---- in-flight requests, one per key (registry_cache.c) ----------------- */

typedef struct kv_flight_s kv_flight_t;

/* Join the request in flight for @key in @cache's flight table, or start
 * one.  Sets @*leader: the leader makes the request and calls
 * kv_flight_finish(); others call kv_flight_wait().  NULL on OOM. */
kv_flight_t *kv_flight_join(kv_cache_t *cache, const kv_cache_key_t *key,
                            bool *leader);

/* The leader's result: wake the waiters and release the leader's share. */
void kv_flight_finish(kv_cache_t *cache, kv_flight_t *flight, kavro_err_t err,
                      const kavro_error_t *error);

/* Wait for the leader; returns its result (and copies its error details
 * into @error), releasing this waiter's share. */
kavro_err_t kv_flight_wait(kv_cache_t *cache, kv_flight_t *flight,
                           kavro_error_t *error);

/* ---- replies (registry_reply.c) ----------------------------------------- */

/* Bound on references in one reply and on the nesting of references. */
#define KV_MAX_REFERENCES 1024
#define KV_MAX_REFERENCE_DEPTH 32

typedef struct kv_answer_ref_s {
  char *name;
  char *subject;
  int version;
} kv_answer_ref_t;

/* A schema reply: /schemas/ids/{id} or /schemas/guids/{guid} (no
 * subject, id, version), a version or a lookup (all four); any of them
 * with the schema's GUID from Confluent Platform 8 on. */
typedef struct kv_answer_schema_s {
  char *subject; /* NULL when absent */
  int id;        /* 0 when absent */
  int version;   /* 0 when absent */
  bool has_guid;
  unsigned char guid[KV_GUID_SIZE]; /* when has_guid */
  char *schema;
  kv_answer_ref_t *refs;
  size_t ref_count;
} kv_answer_schema_t;

/* Parse a schema reply.  With @full, subject, id and version are
 * required; "guid", when present, must be a GUID.  Only AVRO schemas are accepted (schemaType absent or "AVRO").
 * KAVRO_ERR_BAD_RESPONSE on any other shape. */
kavro_err_t kv_answer_schema(const char *body, size_t length, bool full,
                             kv_answer_schema_t *out, kavro_error_t *error);
void kv_answer_schema_clear(kv_answer_schema_t *reply);

/* {"id": N[, "guid": G]} with N >= 1: a registration's answer.  The GUID
 * (Confluent Platform 8 on) goes to @guid with @*has_guidp set when both
 * are not NULL; a "guid" that is not a GUID is a bad reply either way. */
kavro_err_t kv_answer_id(const char *body, size_t length, int *idp,
                         bool *has_guidp, unsigned char *guid,
                         kavro_error_t *error);

/* A bare integer (the deleted version). */
kavro_err_t kv_answer_int(const char *body, size_t length, int *valuep,
                          kavro_error_t *error);

/* [1, 2, 3] into a malloc'd array. */
kavro_err_t kv_answer_int_array(const char *body, size_t length, int **valuesp,
                                size_t *countp, kavro_error_t *error);

/* ["a", "b"] into one malloc'd block (array and strings). */
kavro_err_t kv_answer_string_array(const char *body, size_t length,
                                   char ***stringsp, size_t *countp,
                                   kavro_error_t *error);

/* An object whose member @key (or @alt_key, may be NULL) is a short
 * upper-case name (a level or a mode) copied into @name. */
kavro_err_t kv_answer_name(const char *body, size_t length, const char *key,
                           const char *alt_key, char *name,
                           kavro_error_t *error);

/* {"is_compatible": B[, "messages": [...]]}. */
kavro_err_t kv_answer_compatibility(const char *body, size_t length,
                                    bool *compatiblep, char ***messagesp,
                                    size_t *countp, kavro_error_t *error);

/* A Kek reply of the DEK registry (name, kmsType and kmsKeyId required)
 * into a new KEK, or a Dek reply (kekName, subject, version >= 1) into a
 * new DEK (algorithm AES256_GCM when absent); with @kekp / @dekp NULL the
 * reply is only checked.  KAVRO_ERR_BAD_RESPONSE on any other shape
 * (registry_dek.c). */
kavro_err_t kv_answer_kek(const char *body, size_t length, kavro_kek_t **kekp,
                          kavro_error_t *error);
kavro_err_t kv_answer_dek(const char *body, size_t length, kavro_dek_t **dekp,
                          kavro_error_t *error);

/* How kv_answer_dek() keeps a shared KEK's key material out of jansson,
 * whose copies (the lexer's buffers, the string value) are freed without
 * being wiped: the top-level member "keyMaterial" is found in the raw
 * reply, its text copied out, and jansson parses the reply without it.
 *
 * kv_json_member_string() finds the string value of the top-level member
 * @name of the JSON object @text (@length bytes, any escapes in the member
 * name undone), reading no byte outside it: KV_MEMBER_STRING with the
 * bytes between its quotes at @*offsetp, @*sizep long; KV_MEMBER_ABSENT
 * when there is none, or its value is not a string (null, a number...);
 * KV_MEMBER_MALFORMED when a string does not end, holds a raw control
 * character, the nesting does not balance, or the member comes twice. */
typedef enum kv_member_scan_e {
  KV_MEMBER_ABSENT,
  KV_MEMBER_STRING,
  KV_MEMBER_MALFORMED
} kv_member_scan_t;
kv_member_scan_t kv_json_member_string(const char *text, size_t length,
                                       const char *name, size_t *offsetp,
                                       size_t *sizep);

/* The JSON string contents @raw (@size bytes) with its escapes undone, as
 * a new string for kv_free_secret(); the raw bytes are copied as they
 * are.  NULL when an escape is invalid or stands for NUL or a character
 * beyond ASCII, which base64 text never holds (@*nomem false), or when
 * memory ran out (@*nomem true). */
char *kv_json_unescape_ascii(const char *raw, size_t size, bool *nomem);

/* An error body {"error_code": N, "message": "..."}: true with both set
 * when it is one (the message a new string, NULL when memory ran out),
 * false otherwise. */
bool kv_answer_error(const char *body, size_t length, int *codep,
                     char **messagep);

/* ---- transport (registry_http.c) ---------------------------------------- */

typedef struct kv_transport_s kv_transport_t;

/* The endpoint of a call counted in no per-endpoint counter (the DEK
 * registry's: kavro_registry_endpoint_t sizes a caller's struct). */
#define KV_EP_UNCOUNTED KAVRO_REGISTRY_EP_COUNT

typedef struct kv_call_s {
  kavro_registry_endpoint_t endpoint; /* or KV_EP_UNCOUNTED */
  const char *method;
  const char *path;  /* percent-encoded, starts with '/' */
  const char *query; /* without '?', or NULL */
  const char *body;  /* JSON, or NULL */
} kv_call_t;

/* Transport for @conf (borrowed for the transport's life).  Fills @error
 * with KAVRO_ERR_CONF_INVALID for a missing URL or conflicting auth. */
kavro_err_t kv_transport_new(const kavro_conf_t *conf, kv_stats_t *stats,
                             kv_transport_t **transportp, kavro_error_t *error);
void kv_transport_destroy(kv_transport_t *transport);

/* Make @call with retries and failover.  On KAVRO_OK @response holds a
 * 2xx reply (kv_http_response_clear() it); otherwise @error says what
 * failed, where, with the registry's code and message when it gave
 * them. */
kavro_err_t kv_transport_call(kv_transport_t *transport, const kv_call_t *call,
                              kv_http_response_t *response,
                              kavro_error_t *error);

/* Mask in @text, in place, every credential @transport sends (tokens, the
 * base64 of USER:PASSWORD, USER:PASSWORD and the password, raw and
 * percent-encoded): for text the registry wrote, which may quote the
 * request.  Takes the bearer lock. */
void kv_transport_scrub(kv_transport_t *transport, char *text);

/* kv_transport_scrub() on @error's text, source and path (NULL-safe). */
void kv_transport_scrub_error(kv_transport_t *transport, kavro_error_t *error);

/* Mask @secret in @text, in place, as it is and percent-encoded (matched
 * without case). */
void kv_mask_secret_forms(char *text, const char *secret);

/* Wipe and free @s (NULL-safe): for credentials. */
void kv_free_secret(char *s);

/* Perform @curl (URL, method, headers and body set by the caller) with
 * the transport's time-outs, TLS settings and proxy, keeping at most
 * @max_bytes of reply into @response (status and body).  On failure
 * @error says what failed: KAVRO_ERR_TRANSPORT, KAVRO_ERR_TIMED_OUT,
 * KAVRO_ERR_BAD_RESPONSE (too big), KAVRO_ERR_NOMEM. */
kavro_err_t kv_curl_perform(kv_transport_t *transport, void *curl,
                            size_t max_bytes, kv_http_response_t *response,
                            kavro_error_t *error);

/* Append @s percent-encoded with only RFC 3986 unreserved bytes kept. */
struct kv_strbuf_s;
void kv_form_value(struct kv_strbuf_s *sb, const char *s);

/* ---- OAuth client credentials (registry_oauth.c) ------------------------ */

typedef struct kv_oauth_s kv_oauth_t;

/* The bearer.auth.* property @key of @conf; with SASL_OAUTHBEARER_INHERIT
 * and @key empty, the Kafka client's setting @inherited when handed over
 * (the registry's own settings win, as in Java's
 * SaslOauthCredentialProvider).  Borrowed; never NULL. */
const char *kv_oauth_setting(const kavro_conf_t *conf, const char *key,
                             kv_sasl_oauth_t inherited);

/* The token endpoint of @conf's bearer.auth.issuer.endpoint.url (or the
 * inherited one, kv_oauth_setting()), asked
 * through @transport's curl settings (borrowed for the oauth's life).
 * KAVRO_ERR_CONF_INVALID when the URL, client id or secret is missing or
 * the URL is not http(s). */
kavro_err_t kv_oauth_new(const kavro_conf_t *conf, kv_transport_t *transport,
                         kv_oauth_t **oauthp, kavro_error_t *error);
void kv_oauth_destroy(kv_oauth_t *oauth);

/* A kavro_bearer_token_cb_t: asks the token endpoint (client-credentials
 * grant) for a token.  Errors: KAVRO_ERR_TRANSPORT or KAVRO_ERR_TIMED_OUT
 * (not reached), KAVRO_ERR_HTTP (5xx, 429: retriable),
 * KAVRO_ERR_UNAUTHORIZED or KAVRO_ERR_FORBIDDEN (the issuer refused the
 * client: 400, 401, 403), KAVRO_ERR_BAD_RESPONSE (no usable token).  The
 * text never holds the secret nor a token. */
kavro_err_t kv_oauth_fetch(void *opaque, char *token, size_t size,
                           int64_t *expires_at_ms, kavro_error_t *error);

/* Mask the client secret in @text (NULL @oauth: nothing). */
void kv_oauth_scrub(const kv_oauth_t *oauth, char *text);

/* The client's transport, for the endpoints served outside registry.c
 * (registry_assoc.c). */
kv_transport_t *kv_registry_transport(kavro_registry_t *reg);

/* Append @s percent-encoded as one path segment (RFC 3986 pchar kept). */
struct kv_strbuf_s;
void kv_path_segment(struct kv_strbuf_s *sb, const char *s);

/* Append @s percent-encoded as a query parameter value. */
void kv_query_value(struct kv_strbuf_s *sb, const char *s);

/* ---- what registry_contract.c borrows of registry.c --------------------- */

/* A request (@path percent-encoded; KAVRO_ERR_NOMEM when it failed to
 * build), as every endpoint makes it. */
kavro_err_t kv_registry_call(kavro_registry_t *reg,
                             kavro_registry_endpoint_t ep, const char *method,
                             struct kv_strbuf_s *path, const char *query,
                             const char *body, kv_http_response_t *response,
                             kavro_error_t *error);

/* The body {"schema"[, "references"]} of a registration or lookup. */
kavro_err_t kv_registry_schema_body(const kavro_schema_t *schema,
                                    const kavro_schema_ref_t *refs,
                                    size_t ref_count, char **bodyp,
                                    kavro_error_t *error);

/* Parse the schema of @reply with its references resolved (fetched and
 * cached as for kavro_registry_get_version()); @label names it in errors. */
kavro_err_t kv_registry_parse_schema(kavro_registry_t *reg,
                                     const kv_answer_schema_t *reply,
                                     const char *label, kavro_schema_t **out,
                                     kavro_error_t *error);

/* A new info from a cache value (its id, version, schema and contract). */
kavro_err_t kv_schema_info_from(const kv_cache_value_t *value,
                                kavro_schema_info_t **infop,
                                kavro_error_t *error);

/* How a cache miss is answered: a request, parsed into @out. */
typedef kavro_err_t (*kv_fetch_fn)(kavro_registry_t *reg, const void *args,
                                   kv_cache_value_t *out, kavro_error_t *error);

/* @key answered from the latest-version cache (cache.latest.ttl.sec), or
 * by @fetch (one request in flight per key).  @key's string must be the
 * subject, so that a registration under it forgets the answer. */
kavro_err_t kv_registry_cached_latest(kavro_registry_t *reg,
                                      const kv_cache_key_t *key,
                                      kv_fetch_fn fetch, const void *args,
                                      kv_cache_value_t *out,
                                      kavro_error_t *error);

/* Drop the cached latest version of @subject (a registration moved it). */
void kv_registry_forget_latest(kavro_registry_t *reg, const char *subject);

/* Drop the cached levels a config change of @subject (NULL: global) may
 * change. */
void kv_registry_forget_levels(kavro_registry_t *reg, const char *subject);

/* ---- what registry_dek.c borrows of registry.c -------------------------- */

/* The DEK registry's caches: KEKs by (name, deleted), DEKs by (kek,
 * subject and algorithm, version and deleted). */
typedef enum kv_key_cache_e { KV_KEK_CACHE, KV_DEK_CACHE } kv_key_cache_t;

/* @key answered from the cache @which, or by @fetch (one request in flight
 * per key); kept until evicted or forgotten, or for cache.latest.ttl.sec
 * when @mutable (a KEK, a DEK's latest version). */
kavro_err_t kv_registry_cached_key(kavro_registry_t *reg, kv_key_cache_t which,
                                   const kv_cache_key_t *key, bool mutable_,
                                   kv_fetch_fn fetch, const void *args,
                                   kv_cache_value_t *out, kavro_error_t *error);

/* Put @value under @key in @which (an answer of a registration). */
void kv_registry_key_put(kavro_registry_t *reg, kv_key_cache_t which,
                         const kv_cache_key_t *key,
                         const kv_cache_value_t *value);

/* Forget @key, or with @every_num every entry of @key's string. */
void kv_registry_key_forget(kavro_registry_t *reg, kv_key_cache_t which,
                            const kv_cache_key_t *key, bool every_num);

#endif /* KAVRO_REGISTRY_INT_H */
