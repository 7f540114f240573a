/*
 * kavro - a mock Schema Registry for tests and development.
 *
 * A kavro_mock_t is an in-memory Schema Registry: subjects, versions,
 * globally numbered schema ids (the same schema gets the same id under any
 * subject), compatibility levels enforced with kavro's own compat engine,
 * soft and permanent deletes, schema references.  It is reached in two
 * ways, both served by the same store:
 *
 *  - in the process, through `mock://SCOPE` URLs: every kavro client in the
 *    process that names SCOPE talks to it, without sockets;
 *  - over real HTTP on a loopback address (kavro_mock_listen()), speaking
 *    the registry's REST API closely enough for the official clients.
 *
 * For tests it injects faults (error replies, dropped connections,
 * malformed bodies, latency, a registry that is down) and keeps counters
 * and a log of the requests it served.
 *
 * This header is a test and development surface: it is NOT covered by
 * kavro's ABI promise and may change between minor versions.  Include
 * <kavro.h> first.
 *
 * Thread safety: every function may be called from any thread while other
 * threads use the mock (directly, through clients, or over HTTP), except
 * kavro_mock_destroy(), which must be the last call on a mock.
 */
#ifndef KAVRO_MOCK_H
#define KAVRO_MOCK_H

#ifndef KAVRO_H
#error "include <kavro.h> before <kavro/mock.h>"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A mock Schema Registry.  Opaque. */
typedef struct kavro_mock_s kavro_mock_t;

/**
 * @name Life cycle
 * @{
 */

/**
 * Create an empty registry (global level BACKWARD, mode READWRITE).  When
 * @p scope is not NULL the registry also answers `mock://SCOPE` URLs in
 * this process; KAVRO_ERR_INVALID_ARG if another mock holds that scope.
 * The scope is copied.  On success stores the new mock in @p *mockp.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_new(const char *scope, kavro_mock_t **mockp,
                                        kavro_error_t *error);

/**
 * Stop serving (HTTP and `mock://`), waiting for requests in progress, and
 * free the mock.  NULL-safe.
 */
KAVRO_EXPORT void kavro_mock_destroy(kavro_mock_t *mock);

/** The scope given to kavro_mock_new(), or NULL.  Owned by the mock. */
KAVRO_EXPORT const char *kavro_mock_scope(const kavro_mock_t *mock);

/**
 * Serve the registry over HTTP on @p address (a dotted IPv4 address, or
 * an IPv6 address without brackets such as "::1"; NULL means 127.0.0.1)
 * and @p port (0: chosen by the system).  The URL of an IPv6 address has
 * it in brackets ("http://[::1]:41234").  Each connection
 * gets its own thread, so slow (latency-injected) requests do not hold up
 * others; request bodies over 16 MiB get 413.  KAVRO_ERR_INVALID_ARG if the
 * mock already listens or the address is neither IPv4 nor IPv6,
 * KAVRO_ERR_TRANSPORT if the socket cannot be bound.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_listen(kavro_mock_t *mock,
                                           const char *address,
                                           unsigned port,
                                           kavro_error_t *error);

/**
 * As kavro_mock_listen(), over HTTPS: the server presents the certificate
 * (chain) in the PEM file @p cert_file with the unencrypted PEM private
 * key in @p key_file.  When @p client_ca_file (PEM) is not NULL, every
 * client must present a certificate signed by one of its CAs: the TLS
 * handshake fails for a client without one, and a connection whose
 * certificate does not verify is closed before any request is served.
 * The files are read here (each at most 1 MiB) and may be removed
 * afterwards.  The URL is "https://ADDRESS:PORT".  KAVRO_ERR_IO or
 * KAVRO_ERR_LIMIT for a file that cannot be read, KAVRO_ERR_INVALID_ARG
 * as kavro_mock_listen() and when libmicrohttpd lacks TLS support,
 * KAVRO_ERR_TRANSPORT when the port cannot be bound or GnuTLS refuses the
 * certificate, key or CA.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_listen_tls(
    kavro_mock_t *mock, const char *address, unsigned port,
    const char *cert_file, const char *key_file, const char *client_ca_file,
    kavro_error_t *error);

/**
 * The base URL of the HTTP server ("http://127.0.0.1:41234", or
 * "https://..." after kavro_mock_listen_tls()), or NULL
 * when not listening.  Owned by the mock, valid until it is destroyed.
 */
KAVRO_EXPORT const char *kavro_mock_url(const kavro_mock_t *mock);
/** @} */

/**
 * @name Persistence
 * @{
 */

/**
 * Write every schema, subject, version (soft-deleted ones included),
 * compatibility level, the mode, the associations and the DEK registry's
 * KEKs and DEKs to the JSON file @p path: to a
 * temporary file in the same directory, flushed to disk (fsync), renamed
 * over @p path, and the directory flushed, so that a crash leaves the old
 * file or the new one, whole.  KAVRO_ERR_IO on failure, and also when a
 * subject had to be left out because its name is not UTF-8 (the file then
 * holds everything else; the error names what is missing).
 */
KAVRO_EXPORT kavro_err_t kavro_mock_save(kavro_mock_t *mock, const char *path,
                                         kavro_error_t *error);

/**
 * Replace the store with the one saved in @p path.  The ids, versions and
 * levels are those saved; every schema is parsed again.  With a file of
 * its own (kavro_mock_persist()), the store loaded is written to it before
 * it serves.  On failure
 * (KAVRO_ERR_IO, KAVRO_ERR_JSON, KAVRO_ERR_BAD_RESPONSE for a file of the
 * wrong shape, KAVRO_ERR_INVALID_SCHEMA) the store is left as it was.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_load(kavro_mock_t *mock, const char *path,
                                         kavro_error_t *error);

/**
 * Keep the registry in the JSON file @p path (copied): load it now when it
 * exists (as kavro_mock_load()), write it at once, and from then on write
 * it (as kavro_mock_save()) after every change and before the request that
 * made the change is answered, so that a registration answered 200 is on
 * disk even if the process is killed right after.  A change that cannot
 * be written is undone and answered 500 with error_code 50001: what the
 * registry said it stored is on disk, what it refused is nowhere.  A write
 * that failed, or that had to leave a subject out, is reported on stderr
 * and made again at the next change, or by the first request after a
 * delay (0.1 s, doubling after each failure up to 10 s), and at
 * kavro_mock_destroy().
 *
 * KAVRO_ERR_INVALID_ARG when the mock already has a file; otherwise the
 * errors of kavro_mock_load(), or KAVRO_ERR_IO when the file cannot be
 * written (the mock is then left as it was, without a file).
 */
KAVRO_EXPORT kavro_err_t kavro_mock_persist(kavro_mock_t *mock,
                                            const char *path,
                                            kavro_error_t *error);

/**
 * A number that grows each time the store changes (a registration, a
 * delete, a level or mode change, a load), to know when to save again.
 */
KAVRO_EXPORT uint64_t kavro_mock_change_count(kavro_mock_t *mock);
/** @} */

/**
 * @name Fault injection
 *
 * Faults and latency match requests by method ("GET", NULL for any) and by
 * the start of the path as the client sent it (percent-encoded, without
 * the query; NULL or "" for any), e.g. "/schemas/ids/".
 * @{
 */

/** What an injected fault does to a request. */
typedef enum kavro_mock_fault_kind_e {
  /** Answer with http_status and a registry error body carrying
   *  error_code, and a Retry-After header when retry_after_seconds >= 0. */
  KAVRO_MOCK_FAULT_ERROR,
  /** Close the connection without a reply. */
  KAVRO_MOCK_FAULT_DROP,
  /** Answer with http_status (200 when 0) and a body that is not JSON. */
  KAVRO_MOCK_FAULT_MALFORMED
} kavro_mock_fault_kind_t;

/** A fault to inject.  Strings are copied by kavro_mock_push_fault(). */
typedef struct kavro_mock_fault_s {
  kavro_mock_fault_kind_t kind;
  const char *method;       /**< NULL: any method */
  const char *path_prefix;  /**< NULL or "": any path */
  int http_status;          /**< ERROR: e.g. 503; MALFORMED: 0 = 200 */
  int error_code;           /**< ERROR: the body's error_code, e.g. 50001 */
  int retry_after_seconds;  /**< ERROR: Retry-After value, -1 = none */
} kavro_mock_fault_t;

/**
 * Make the next @p count requests that match @p fault end as it says,
 * instead of being served.  Faults pushed earlier are used first; a
 * request that matches none is served normally.
 * KAVRO_ERR_INVALID_ARG for a status outside 100..599.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_push_fault(kavro_mock_t *mock,
                                               const kavro_mock_fault_t *fault,
                                               size_t count,
                                               kavro_error_t *error);

/** Bytes of a kavro_mock_push_fault_message() message kept. */
#define KAVRO_MOCK_FAULT_MESSAGE_MAX 1023

/**
 * As kavro_mock_push_fault(), but an ERROR fault's body carries
 * @p message (copied, at most KAVRO_MOCK_FAULT_MESSAGE_MAX bytes) instead
 * of a message naming the status and code: the words of a registry or
 * proxy, for tests of what clients do with them (a quoted request header,
 * control characters).  A NULL @p message is the default one.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_push_fault_message(
    kavro_mock_t *mock, const kavro_mock_fault_t *fault, size_t count,
    const char *message, kavro_error_t *error);

/**
 * Delay every request matching @p method and @p path_prefix by @p delay_ms
 * before it is handled (the first matching rule counts).  A delay of 0
 * removes the rule with that method and prefix.  Delays sleep in the
 * thread serving that request only.  A `mock://` client's time-out ends
 * the delay as a time-out.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_set_latency(kavro_mock_t *mock,
                                                const char *method,
                                                const char *path_prefix,
                                                unsigned delay_ms,
                                                kavro_error_t *error);

/** Remove every pending fault and latency rule. */
KAVRO_EXPORT void kavro_mock_clear_faults(kavro_mock_t *mock);

/**
 * Take the registry down (@p down true) or bring it back: while down, the
 * HTTP port refuses connections and `mock://` requests fail as a dropped
 * connection.  The store is kept.  Bringing it up binds the same port
 * again; KAVRO_ERR_TRANSPORT if that fails.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_set_down(kavro_mock_t *mock, bool down,
                                             kavro_error_t *error);
/** @} */

/**
 * @name Authentication
 *
 * The registry can require credentials the way a secured registry does:
 * a request without them, or with wrong ones, is answered 401 with
 * `{"error_code": 401, "message": "Unauthorized"}`.  When both basic and
 * bearer auth are required, either one passes.  The token endpoint is
 * never behind them.
 * @{
 */

/**
 * Require HTTP basic auth with @p user_info ("USER:PASSWORD", copied);
 * NULL stops requiring it.  KAVRO_ERR_INVALID_ARG without a ':'.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_require_basic_auth(kavro_mock_t *mock,
                                                       const char *user_info,
                                                       kavro_error_t *error);

/** Require (or stop requiring) a bearer token issued by this mock's token
 *  endpoint and not yet expired. */
KAVRO_EXPORT void kavro_mock_require_bearer_auth(kavro_mock_t *mock,
                                                 bool required);

/**
 * Serve an OAuth 2.0 token endpoint at `POST /oauth/token` (the
 * client-credentials grant, over HTTP and `mock://` alike): it answers
 * `{"access_token", "token_type": "Bearer", "expires_in"}` with a fresh
 * unsigned JWT (claims `sub`, `scope` as asked, `iat`, `exp`) that the
 * registry accepts for @p lifetime_seconds (1 .. 86400; 0 stops serving).
 * When @p client_id is not NULL the client must authenticate with it and
 * @p client_secret (copied) as HTTP basic auth, each part percent-encoded,
 * or as the form fields `client_id` and `client_secret` (RFC 6749 2.3.1),
 * or gets 401 `invalid_client` (both ways at once: 400
 * `invalid_request`); a grant type other than
 * client_credentials gets 400 `unsupported_grant_type`.  The last 1024
 * tokens issued are remembered.  Faults and latency apply to the endpoint
 * like to any other path.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_serve_tokens(kavro_mock_t *mock,
                                                 const char *client_id,
                                                 const char *client_secret,
                                                 unsigned lifetime_seconds,
                                                 kavro_error_t *error);

/** Tokens issued by the token endpoint so far (not reset by
 *  kavro_mock_clear_requests()). */
KAVRO_EXPORT uint64_t kavro_mock_tokens_issued(kavro_mock_t *mock);
/** @} */

/**
 * @name Counters and the request log
 * @{
 */

/** One request, as the mock saw it. */
typedef struct kavro_mock_request_s {
  char method[8];
  char *path;           /**< as sent, percent-encoded, without the query */
  const char *endpoint; /**< "GET /schemas/ids/{id}", static; "" unknown */
  int status;           /**< HTTP status answered; 0 when dropped */
  int error_code;       /**< the error body's error_code, 0 when none */
} kavro_mock_request_t;

/**
 * Number of requests received for @p endpoint, named as the registry's
 * documentation names it ("POST /subjects/{subject}/versions",
 * "GET /schemas/ids/{id}", ...), or for all endpoints when @p endpoint is
 * NULL.  Faulted and dropped requests count.
 */
KAVRO_EXPORT uint64_t kavro_mock_request_count(kavro_mock_t *mock,
                                               const char *endpoint);

/**
 * A copy of the request log, oldest first (the last 65536 requests).
 * Stores a new array in @p *requestsp (free it with
 * kavro_mock_requests_free()) and its length in @p *countp.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_requests(kavro_mock_t *mock,
                                             kavro_mock_request_t **requestsp,
                                             size_t *countp,
                                             kavro_error_t *error);

/** Free an array from kavro_mock_requests().  NULL-safe. */
KAVRO_EXPORT void kavro_mock_requests_free(kavro_mock_request_t *requests,
                                           size_t count);

/** Empty the request log and reset every counter. */
KAVRO_EXPORT void kavro_mock_clear_requests(kavro_mock_t *mock);
/** @} */

/**
 * @name The registry's KMS
 *
 * A KEK registered with `shared: true` is one the registry itself can use
 * through a KMS it reaches: it makes that KEK's DEKs, hands their key
 * material out with each DEK (so that clients need no KMS of their own),
 * and tests the sharing (`POST /keks/{name}/test`, `?testSharing=true`).
 * The mock makes no key of its own: it does those through the callbacks
 * given here, and without them answers as the registry answers when its
 * KMS fails (error code 50070; 500 for a test of the sharing).
 * @{
 */

/** The registry's KMS: both callbacks are required. */
typedef struct kavro_mock_kms_s {
  /**
   * Make a new DEK for @p algorithm ("AES256_GCM", "AES128_GCM" or
   * "AES256_SIV") under the KMS key @p key_url (the KEK's `TYPE://KEY-ID`):
   * its key material as the registry hands it out (base64 of the key's
   * Tink proto, as the clients' own DEKs hold it) in a malloc()'d
   * @p *key_materialp, which the mock wipes before it frees it, and the
   * key wrapped by the KMS key (base64) in a malloc()'d @p *wrappedp,
   * which the mock keeps as the DEK's encryptedKeyMaterial.
   */
  kavro_err_t (*generate)(void *opaque, const char *key_url,
                          const char *algorithm, char **key_materialp,
                          char **wrappedp, kavro_error_t *error);
  /** Unwrap @p wrapped (base64, from generate() or from a client's own
   *  KMS) with @p key_url into a malloc()'d @p *key_materialp (base64),
   *  which the mock wipes before it frees it. */
  kavro_err_t (*unwrap)(void *opaque, const char *key_url,
                        const char *algorithm, const char *wrapped,
                        char **key_materialp, kavro_error_t *error);
  /** Handed to the callbacks; kept alive by the caller while the mock
   *  has the KMS. */
  void *opaque;
} kavro_mock_kms_t;

/**
 * Give the mock the registry's KMS @p kms (copied), or take it away
 * (NULL).  The callbacks run on the thread serving a request, under the
 * mock's lock: they must not call the mock.  Returns KAVRO_ERR_INVALID_ARG
 * when a callback is missing.  The key material a reply carries passes
 * through the mock's JSON and reply buffers, which are not wiped: the mock
 * is a test surface, never to be handed real keys.
 */
KAVRO_EXPORT kavro_err_t kavro_mock_set_kms(kavro_mock_t *mock,
                                            const kavro_mock_kms_t *kms,
                                            kavro_error_t *error);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_MOCK_H */
