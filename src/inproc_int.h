/*
 * kavro - the in-process HTTP seam between the registry client and the mock
 * registry.
 *
 * A `mock://SCOPE` URL names a handler registered here under SCOPE.  The
 * registry client sends such requests to the handler instead of libcurl;
 * the mock registry registers one handler per scope, and serves the very
 * same handler over real HTTP.  The table lives in the registry part (the
 * lower one), so the client never includes the mock: the mock plugs in.
 *
 * Thread safety: all functions may be called from any thread; a handler
 * may be called concurrently from many threads.
 */
#ifndef KAVRO_INPROC_INT_H
#define KAVRO_INPROC_INT_H

#include <stddef.h>

#include "kavro/common.h"

typedef struct kv_http_request_s {
  const char *method;        /* "GET", "POST", "PUT", "DELETE" */
  const char *path;          /* raw path, percent-encoded, no query */
  const char *query;         /* raw query string without '?', or NULL */
  const char *content_type;  /* or NULL */
  const char *authorization; /* the Authorization header, or NULL */
  const char *body;          /* may be NULL when body_length is 0 */
  size_t body_length;
} kv_http_request_t;

/* How a request ended, from the client's point of view. */
typedef enum kv_http_outcome_e {
  KV_HTTP_ANSWERED = 0,   /* status and body are set */
  KV_HTTP_DROPPED,        /* the connection closed without a reply */
  KV_HTTP_TIMED_OUT       /* no reply within the caller's time-out */
} kv_http_outcome_t;

typedef struct kv_http_response_s {
  kv_http_outcome_t outcome;
  int status;
  char *body;                /* malloc'd, owned by the receiver of the struct */
  size_t body_length;
  char content_type[96];
  int retry_after_seconds;   /* Retry-After header, -1 when absent */
} kv_http_response_t;

/* Serve @request into @response (status, body).  @timeout_ms is the
 * caller's time-out (0: none), so that injected latency can end as a
 * time-out without sleeping past it.  Returns KAVRO_OK, or KAVRO_ERR_NOMEM. */
typedef kavro_err_t (*kv_inproc_handler_fn)(void *opaque,
                                            const kv_http_request_t *request,
                                            long timeout_ms,
                                            kv_http_response_t *response);

/* Register @handler for @scope.  KAVRO_ERR_INVALID_ARG if the scope is
 * taken. */
kavro_err_t kv_inproc_register(const char *scope, kv_inproc_handler_fn handler,
                               void *opaque);

/* Remove @scope.  Waits until no call into its handler is running, so the
 * caller may free the handler's state right after. */
void kv_inproc_unregister(const char *scope);

/* Send @request to the handler of @scope.  KAVRO_ERR_TRANSPORT when no
 * handler has that scope (like a refused connection). */
kavro_err_t kv_inproc_send(const char *scope, const kv_http_request_t *request,
                           long timeout_ms, kv_http_response_t *response);

void kv_http_response_clear(kv_http_response_t *response);

#endif /* KAVRO_INPROC_INT_H */
