/*
 * kavro - the mock registry object: the store behind the REST handler,
 * with fault injection, latency, the down switch, counters and the request
 * log wrapped around it, served in the process (mock://SCOPE) and over
 * HTTP.
 *
 * Locks: `lock` guards faults, latency rules, the down flag, counters and
 * the log, and is never held while a request sleeps or the store works.
 * `server_lock` serializes starting and stopping the HTTP server, which
 * waits for the connections' threads, which take `lock`: so `lock` is never
 * held while taking `server_lock`.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common_error_int.h"
#include "mock_int.h"

/* Requests the log keeps (the oldest are forgotten first). */
#define LOG_CAPACITY 65536u

/* The body a MALFORMED fault answers with: JSON cut short. */
static const char malformed_body[] = "{\"schema\":\"{\\\"type\\\": \\\"rec";

typedef struct match_s {
  char *method; /* NULL: any */
  char *prefix; /* NULL: any */
} match_t;

typedef struct fault_s {
  match_t match;
  kavro_mock_fault_kind_t kind;
  int http_status;
  int error_code;
  int retry_after;
  /* Kept in place, not pointed to: a plan copies its fault and uses the
   * copy after the fault has been removed. */
  char message[KAVRO_MOCK_FAULT_MESSAGE_MAX + 1]; /* "": the default */
  size_t remaining;
} fault_t;

typedef struct latency_s {
  match_t match;
  unsigned delay_ms;
} latency_t;

struct kavro_mock_s {
  kv_store_t *store;
  kv_mock_auth_t *auth;
  char *scope;

  pthread_mutex_t lock;
  fault_t *faults;
  size_t fault_count, fault_capacity;
  latency_t *latencies;
  size_t latency_count, latency_capacity;
  bool down;
  uint64_t counts[KV_EP_COUNT];
  uint64_t total;
  kavro_mock_request_t *log; /* ring of LOG_CAPACITY, allocated on use */
  size_t log_first, log_count;

  pthread_mutex_t server_lock;
  kv_http_server_t *server;
  char address[64];
  unsigned port;
  char url[96];
  bool has_url;
  kv_http_tls_t *tls; /* NULL: plain HTTP */
};

/* ---- matching ---------------------------------------------------------- */

static bool match_init(match_t *m, const char *method, const char *prefix) {
  m->method = method ? strdup(method) : NULL;
  m->prefix = prefix && *prefix ? strdup(prefix) : NULL;
  return (!method || m->method) && (!prefix || !*prefix || m->prefix);
}

static void match_free(match_t *m) {
  free(m->method);
  free(m->prefix);
}

static bool same_text(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static bool matches(const match_t *m, const kv_http_request_t *request) {
  if (m->method && strcmp(m->method, request->method) != 0)
    return false;
  return !m->prefix || strncmp(request->path, m->prefix, strlen(m->prefix)) == 0;
}

/* ---- what happens to a request ----------------------------------------- */

typedef struct plan_s {
  bool down;
  unsigned delay_ms;
  bool faulted;
  fault_t fault; /* a copy; its match is not owned */
} plan_t;

/* Count @request and decide its fate (takes `lock`). */
static void make_plan(kavro_mock_t *mock, const kv_http_request_t *request,
                      kv_endpoint_t endpoint, plan_t *plan) {
  memset(plan, 0, sizeof(*plan));
  pthread_mutex_lock(&mock->lock);
  mock->counts[endpoint]++;
  mock->total++;
  plan->down = mock->down;
  for (size_t i = 0; i < mock->latency_count; i++) {
    if (matches(&mock->latencies[i].match, request)) {
      plan->delay_ms = mock->latencies[i].delay_ms;
      break;
    }
  }
  for (size_t i = 0; !plan->down && i < mock->fault_count; i++) {
    fault_t *f = &mock->faults[i];
    if (!matches(&f->match, request))
      continue;
    plan->faulted = true;
    plan->fault = *f;
    if (--f->remaining == 0) {
      match_free(&f->match);
      memmove(f, f + 1, (mock->fault_count - i - 1) * sizeof(*f));
      mock->fault_count--;
    }
    break;
  }
  pthread_mutex_unlock(&mock->lock);
}

static void log_request(kavro_mock_t *mock, const kv_http_request_t *request,
                        kv_endpoint_t endpoint,
                        const kv_http_response_t *response, int error_code) {
  char *path = strdup(request->path);
  pthread_mutex_lock(&mock->lock);
  if (!mock->log)
    mock->log = calloc(LOG_CAPACITY, sizeof(*mock->log));
  if (mock->log && path) {
    if (mock->log_count == LOG_CAPACITY) {
      free(mock->log[mock->log_first].path);
      mock->log_first = (mock->log_first + 1) % LOG_CAPACITY;
      mock->log_count--;
    }
    kavro_mock_request_t *entry =
        &mock->log[(mock->log_first + mock->log_count++) % LOG_CAPACITY];
    snprintf(entry->method, sizeof(entry->method), "%s", request->method);
    entry->path = path;
    path = NULL;
    entry->endpoint = kv_endpoint_name(endpoint);
    entry->status = response->outcome == KV_HTTP_ANSWERED ? response->status : 0;
    entry->error_code = error_code;
  }
  pthread_mutex_unlock(&mock->lock);
  free(path);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* Answer with the injected @fault. */
static kavro_err_t apply_fault(const fault_t *fault, kv_http_response_t *response,
                               int *error_code) {
  if (fault->kind == KAVRO_MOCK_FAULT_DROP) {
    response->outcome = KV_HTTP_DROPPED;
    return KAVRO_OK;
  }
  kv_reply_t reply = {0};
  kavro_err_t err;
  if (fault->kind == KAVRO_MOCK_FAULT_MALFORMED) {
    reply.raw = strdup(malformed_body);
    reply.status = fault->http_status ? fault->http_status : 200;
    err = reply.raw ? kv_reply_to_response(&reply, response) : KAVRO_ERR_NOMEM;
  } else {
    *error_code = fault->error_code ? fault->error_code : fault->http_status;
    if (fault->message[0])
      kv_reply_error(&reply, *error_code, "%s", fault->message);
    else
      kv_reply_error(&reply, *error_code, "Injected fault: %d %d",
                     fault->http_status, *error_code);
    reply.status = fault->http_status;
    err = kv_reply_to_response(&reply, response);
    response->retry_after_seconds = fault->retry_after;
  }
  kv_reply_clear(&reply);
  return err;
}

static kavro_err_t serve(kavro_mock_t *mock, const kv_route_t *route,
                         const kv_http_request_t *request,
                         kv_http_response_t *response, int *error_code) {
  kv_reply_t reply = {0};
  kv_store_retry_save(mock->store);
  if (route->endpoint == KV_EP_OAUTH_TOKEN && kv_mock_auth_serving(mock->auth))
    kv_mock_auth_token(mock->auth, request, &reply);
  else if (route->endpoint != KV_EP_OAUTH_TOKEN &&
           !kv_mock_auth_allows(mock->auth, request->authorization))
    kv_reply_error(&reply, 401, "Unauthorized");
  else
    kv_rest_serve(mock->store, route, request, &reply);
  *error_code = reply.error_code;
  kavro_err_t err = kv_reply_to_response(&reply, response);
  kv_reply_clear(&reply);
  return err;
}

/* The handler behind mock:// and HTTP (kv_inproc_handler_fn). */
static kavro_err_t handle(void *opaque, const kv_http_request_t *request,
                          long timeout_ms, kv_http_response_t *response) {
  kavro_mock_t *mock = opaque;
  memset(response, 0, sizeof(*response));
  response->retry_after_seconds = -1;
  /* A request without a method or path matches nothing: 404. */
  kv_http_request_t checked = *request;
  if (!checked.method)
    checked.method = "";
  if (!checked.path)
    checked.path = "";
  request = &checked;
  kv_route_t route;
  if (kv_route_find(request->method, request->path, &route) != KAVRO_OK) {
    kv_route_clear(&route);
    return KAVRO_ERR_NOMEM;
  }
  plan_t plan;
  make_plan(mock, request, route.endpoint, &plan);
  int error_code = 0;
  kavro_err_t err = KAVRO_OK;
  if (plan.delay_ms && timeout_ms > 0 && plan.delay_ms >= timeout_ms) {
    sleep_ms((unsigned)timeout_ms);
    response->outcome = KV_HTTP_TIMED_OUT;
  } else {
    sleep_ms(plan.delay_ms);
    if (plan.down)
      response->outcome = KV_HTTP_DROPPED;
    else if (plan.faulted)
      err = apply_fault(&plan.fault, response, &error_code);
    else
      err = serve(mock, &route, request, response, &error_code);
  }
  if (err == KAVRO_OK)
    log_request(mock, request, route.endpoint, response, error_code);
  kv_route_clear(&route);
  return err;
}

/* ---- life cycle -------------------------------------------------------- */

KAVRO_EXPORT kavro_err_t kavro_mock_new(const char *scope, kavro_mock_t **mockp,
                                        kavro_error_t *error) {
  kv_error_clear(error);
  if (!mockp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "mockp is NULL");
  *mockp = NULL;
  kavro_mock_t *mock = calloc(1, sizeof(*mock));
  if (!mock || !(mock->store = kv_store_new()) ||
      !(mock->auth = kv_mock_auth_new()) ||
      (scope && !(mock->scope = strdup(scope)))) {
    if (mock) {
      kv_store_free(mock->store);
      kv_mock_auth_free(mock->auth);
    }
    free(mock);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  pthread_mutex_init(&mock->lock, NULL);
  pthread_mutex_init(&mock->server_lock, NULL);
  kavro_err_t err = scope ? kv_inproc_register(scope, handle, mock) : KAVRO_OK;
  if (err != KAVRO_OK) {
    free(mock->scope);
    mock->scope = NULL;
    kavro_mock_destroy(mock);
    return kv_error_set(error, err, "mock scope '%s' is already in use", scope);
  }
  *mockp = mock;
  return KAVRO_OK;
}

KAVRO_EXPORT void kavro_mock_destroy(kavro_mock_t *mock) {
  if (!mock)
    return;
  if (mock->scope)
    kv_inproc_unregister(mock->scope);
  kv_http_server_stop(mock->server);
  kv_http_tls_free(mock->tls);
  kavro_mock_clear_faults(mock);
  kavro_mock_clear_requests(mock);
  free(mock->faults);
  free(mock->latencies);
  free(mock->log);
  kv_store_free(mock->store);
  kv_mock_auth_free(mock->auth);
  pthread_mutex_destroy(&mock->lock);
  pthread_mutex_destroy(&mock->server_lock);
  free(mock->scope);
  free(mock);
}

KAVRO_EXPORT const char *kavro_mock_scope(const kavro_mock_t *mock) {
  return mock ? mock->scope : NULL;
}

/* ---- HTTP -------------------------------------------------------------- */

/* Listen on @address:@port, over HTTPS when @tls (taken, also on
 * failure) is not NULL. */
static kavro_err_t listen_on(kavro_mock_t *mock, const char *address,
                             unsigned port, kv_http_tls_t *tls,
                             kavro_error_t *error) {
  if (!address)
    address = "127.0.0.1";
  pthread_mutex_lock(&mock->server_lock);
  kavro_err_t err;
  if (mock->has_url || strlen(address) >= sizeof(mock->address)) {
    err = kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                       mock->has_url ? "the mock already listens on %s"
                                     : "address too long: %s",
                       mock->has_url ? mock->url : address);
  } else {
    err = kv_http_server_start_tls(address, port, tls, handle, mock,
                                   &mock->server, error);
  }
  if (err == KAVRO_OK) {
    snprintf(mock->address, sizeof(mock->address), "%s", address);
    mock->port = kv_http_server_port(mock->server);
    char where[KV_HTTP_HOST_PORT_SIZE];
    kv_http_host_port(where, sizeof(where), address, mock->port);
    snprintf(mock->url, sizeof(mock->url), "%s://%s", tls ? "https" : "http",
             where);
    mock->has_url = true;
    mock->tls = tls;
  } else {
    kv_http_tls_free(tls);
  }
  pthread_mutex_unlock(&mock->server_lock);
  return err;
}

KAVRO_EXPORT kavro_err_t kavro_mock_listen(kavro_mock_t *mock,
                                           const char *address, unsigned port,
                                           kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "mock is NULL");
  return listen_on(mock, address, port, NULL, error);
}

KAVRO_EXPORT kavro_err_t kavro_mock_listen_tls(
    kavro_mock_t *mock, const char *address, unsigned port,
    const char *cert_file, const char *key_file, const char *client_ca_file,
    kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "mock is NULL");
  kv_http_tls_t *tls;
  kavro_err_t err =
      kv_http_tls_load(cert_file, key_file, client_ca_file, &tls, error);
  return err == KAVRO_OK ? listen_on(mock, address, port, tls, error) : err;
}

KAVRO_EXPORT const char *kavro_mock_url(const kavro_mock_t *mock) {
  return mock && mock->has_url ? mock->url : NULL;
}

KAVRO_EXPORT kavro_err_t kavro_mock_set_down(kavro_mock_t *mock, bool down,
                                             kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "mock is NULL");
  kavro_err_t err = KAVRO_OK;
  pthread_mutex_lock(&mock->server_lock);
  if (down) {
    pthread_mutex_lock(&mock->lock);
    mock->down = true;
    pthread_mutex_unlock(&mock->lock);
    kv_http_server_stop(mock->server);
    mock->server = NULL;
  } else {
    if (mock->has_url && !mock->server)
      err = kv_http_server_start_tls(mock->address, mock->port, mock->tls,
                                     handle, mock, &mock->server, error);
    if (err == KAVRO_OK) {
      pthread_mutex_lock(&mock->lock);
      mock->down = false;
      pthread_mutex_unlock(&mock->lock);
    }
  }
  pthread_mutex_unlock(&mock->server_lock);
  return err;
}

/* ---- persistence ------------------------------------------------------- */

KAVRO_EXPORT kavro_err_t kavro_mock_save(kavro_mock_t *mock, const char *path,
                                         kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock || !path)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "mock or path is NULL");
  return kv_store_save(mock->store, path, error);
}

KAVRO_EXPORT kavro_err_t kavro_mock_persist(kavro_mock_t *mock,
                                            const char *path,
                                            kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock || !path)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "mock or path is NULL");
  return kv_store_persist(mock->store, path, error);
}

KAVRO_EXPORT kavro_err_t kavro_mock_load(kavro_mock_t *mock, const char *path,
                                         kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock || !path)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "mock or path is NULL");
  return kv_store_load(mock->store, path, error);
}

KAVRO_EXPORT uint64_t kavro_mock_change_count(kavro_mock_t *mock) {
  return mock ? kv_store_change_count(mock->store) : 0;
}

/* ---- faults ------------------------------------------------------------ */

KAVRO_EXPORT kavro_err_t kavro_mock_push_fault(kavro_mock_t *mock,
                                               const kavro_mock_fault_t *fault,
                                               size_t count,
                                               kavro_error_t *error) {
  return kavro_mock_push_fault_message(mock, fault, count, NULL, error);
}

KAVRO_EXPORT kavro_err_t kavro_mock_push_fault_message(
    kavro_mock_t *mock, const kavro_mock_fault_t *fault, size_t count,
    const char *message, kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock || !fault || count == 0)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "mock, fault and a count above 0 are needed");
  bool status_needed = fault->kind == KAVRO_MOCK_FAULT_ERROR ||
                       fault->http_status != 0;
  if (fault->kind > KAVRO_MOCK_FAULT_MALFORMED ||
      (status_needed && (fault->http_status < 100 || fault->http_status > 599)))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "HTTP status %d is not in 100..599", fault->http_status);
  fault_t f = {.kind = fault->kind,
               .http_status = fault->http_status,
               .error_code = fault->error_code,
               .retry_after = fault->retry_after_seconds,
               .remaining = count};
  snprintf(f.message, sizeof(f.message), "%s", message ? message : "");
  if (!match_init(&f.match, fault->method, fault->path_prefix)) {
    match_free(&f.match);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  pthread_mutex_lock(&mock->lock);
  bool ok = mock->fault_count < mock->fault_capacity;
  if (!ok) {
    size_t grown = mock->fault_capacity ? mock->fault_capacity * 2 : 8;
    fault_t *bigger = realloc(mock->faults, grown * sizeof(*bigger));
    if ((ok = bigger != NULL)) {
      mock->faults = bigger;
      mock->fault_capacity = grown;
    }
  }
  if (ok)
    mock->faults[mock->fault_count++] = f;
  pthread_mutex_unlock(&mock->lock);
  if (!ok) {
    match_free(&f.match);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  return KAVRO_OK;
}

/* Remove latency rule @i (lock held). */
static void remove_latency(kavro_mock_t *mock, size_t i) {
  match_free(&mock->latencies[i].match);
  memmove(&mock->latencies[i], &mock->latencies[i + 1],
          (mock->latency_count - i - 1) * sizeof(latency_t));
  mock->latency_count--;
}

KAVRO_EXPORT kavro_err_t kavro_mock_set_latency(kavro_mock_t *mock,
                                                const char *method,
                                                const char *path_prefix,
                                                unsigned delay_ms,
                                                kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "mock is NULL");
  latency_t rule = {.delay_ms = delay_ms};
  if (!match_init(&rule.match, method, path_prefix)) {
    match_free(&rule.match);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  pthread_mutex_lock(&mock->lock);
  for (size_t i = 0; i < mock->latency_count; i++) {
    if (same_text(mock->latencies[i].match.method, rule.match.method) &&
        same_text(mock->latencies[i].match.prefix, rule.match.prefix)) {
      remove_latency(mock, i);
      break;
    }
  }
  bool ok = delay_ms == 0 || mock->latency_count < mock->latency_capacity;
  if (!ok) {
    size_t grown = mock->latency_capacity ? mock->latency_capacity * 2 : 8;
    latency_t *bigger = realloc(mock->latencies, grown * sizeof(*bigger));
    if ((ok = bigger != NULL)) {
      mock->latencies = bigger;
      mock->latency_capacity = grown;
    }
  }
  bool kept = ok && delay_ms > 0;
  if (kept)
    mock->latencies[mock->latency_count++] = rule;
  pthread_mutex_unlock(&mock->lock);
  if (!kept)
    match_free(&rule.match);
  return ok ? KAVRO_OK : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

KAVRO_EXPORT void kavro_mock_clear_faults(kavro_mock_t *mock) {
  if (!mock)
    return;
  pthread_mutex_lock(&mock->lock);
  for (size_t i = 0; i < mock->fault_count; i++)
    match_free(&mock->faults[i].match);
  mock->fault_count = 0;
  while (mock->latency_count > 0)
    remove_latency(mock, mock->latency_count - 1);
  pthread_mutex_unlock(&mock->lock);
}

/* ---- counters and log -------------------------------------------------- */

KAVRO_EXPORT uint64_t kavro_mock_request_count(kavro_mock_t *mock,
                                               const char *endpoint) {
  if (!mock)
    return 0;
  uint64_t count = 0;
  pthread_mutex_lock(&mock->lock);
  if (!endpoint) {
    count = mock->total;
  } else {
    for (int e = KV_EP_UNKNOWN + 1; e < KV_EP_COUNT; e++)
      if (strcmp(kv_endpoint_name((kv_endpoint_t)e), endpoint) == 0)
        count = mock->counts[e];
  }
  pthread_mutex_unlock(&mock->lock);
  return count;
}

KAVRO_EXPORT kavro_err_t kavro_mock_requests(kavro_mock_t *mock,
                                             kavro_mock_request_t **requestsp,
                                             size_t *countp,
                                             kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock || !requestsp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  *requestsp = NULL;
  *countp = 0;
  pthread_mutex_lock(&mock->lock);
  size_t n = mock->log_count;
  kavro_mock_request_t *copy = calloc(n ? n : 1, sizeof(*copy));
  size_t done = 0;
  for (; copy && done < n; done++) {
    const kavro_mock_request_t *r = &mock->log[(mock->log_first + done) % LOG_CAPACITY];
    copy[done] = *r;
    if (!(copy[done].path = strdup(r->path)))
      break;
  }
  pthread_mutex_unlock(&mock->lock);
  if (!copy || done < n) {
    kavro_mock_requests_free(copy, done);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  *requestsp = copy;
  *countp = n;
  return KAVRO_OK;
}

KAVRO_EXPORT void kavro_mock_requests_free(kavro_mock_request_t *requests,
                                           size_t count) {
  for (size_t i = 0; requests && i < count; i++)
    free(requests[i].path);
  free(requests);
}

KAVRO_EXPORT void kavro_mock_clear_requests(kavro_mock_t *mock) {
  if (!mock)
    return;
  pthread_mutex_lock(&mock->lock);
  for (size_t i = 0; i < mock->log_count; i++)
    free(mock->log[(mock->log_first + i) % LOG_CAPACITY].path);
  mock->log_first = mock->log_count = 0;
  memset(mock->counts, 0, sizeof(mock->counts));
  mock->total = 0;
  pthread_mutex_unlock(&mock->lock);
}

/* ---- the registry's KMS ------------------------------------------------ */

KAVRO_EXPORT kavro_err_t kavro_mock_set_kms(kavro_mock_t *mock,
                                            const kavro_mock_kms_t *kms,
                                            kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock || (kms && (!kms->generate || !kms->unwrap)))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a mock and both KMS callbacks are required");
  kv_store_set_dek_kms(mock->store, kms);
  return KAVRO_OK;
}

/* ---- authentication ---------------------------------------------------- */

KAVRO_EXPORT kavro_err_t kavro_mock_require_basic_auth(kavro_mock_t *mock,
                                                       const char *user_info,
                                                       kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock || (user_info && !strchr(user_info, ':')))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "basic auth wants USER:PASSWORD");
  kavro_err_t err = kv_mock_auth_basic(mock->auth, user_info);
  return err == KAVRO_OK ? err : kv_error_set(error, err, "out of memory");
}

KAVRO_EXPORT void kavro_mock_require_bearer_auth(kavro_mock_t *mock,
                                                 bool required) {
  if (mock)
    kv_mock_auth_bearer(mock->auth, required);
}

KAVRO_EXPORT kavro_err_t kavro_mock_serve_tokens(kavro_mock_t *mock,
                                                 const char *client_id,
                                                 const char *client_secret,
                                                 unsigned lifetime_seconds,
                                                 kavro_error_t *error) {
  kv_error_clear(error);
  if (!mock || lifetime_seconds > 86400)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a token lifetime is at most 86400 seconds");
  kavro_err_t err = kv_mock_auth_serve_tokens(mock->auth, client_id,
                                              client_secret, lifetime_seconds);
  return err == KAVRO_OK ? err : kv_error_set(error, err, "out of memory");
}

KAVRO_EXPORT uint64_t kavro_mock_tokens_issued(kavro_mock_t *mock) {
  return mock ? kv_mock_auth_tokens_issued(mock->auth) : 0;
}
