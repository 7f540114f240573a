/*
 * kavro - the mock registry over real HTTP (libmicrohttpd).
 *
 * One thread per connection: a request held up by injected latency, or a
 * client that keeps an idle keep-alive connection open, never blocks the
 * others.  The request target is taken raw from MHD's URI log callback,
 * before MHD percent-decodes the path, because the registry's paths must be
 * split on '/' first (a subject may contain %2F).
 *
 * A handler that drops the connection makes the access callback return
 * MHD_NO, on which MHD closes the socket without writing a byte.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "error_int.h"
#include "mock_int.h"
#include "strbuf_int.h"

/* An idle keep-alive connection (each holds a thread) is closed after
 * this long, as a registry behind Jetty closes them after 30 s. */
#define IDLE_TIMEOUT_SECONDS 60u

struct kv_http_server_s {
  struct MHD_Daemon *daemon;
  kv_inproc_handler_fn handler;
  void *opaque;
  unsigned port;
};

/* One request on a connection, from its first line to its completion. */
typedef struct exchange_s {
  char *target;     /* the raw request target: path and query */
  kv_strbuf_t body;
  bool started;     /* the access callback has seen the headers */
  bool too_large;   /* the body passed KV_MOCK_MAX_BODY */
} exchange_t;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  exchange_t *x = calloc(1, sizeof(*x));
  if (x && !(x->target = strdup(uri))) {
    free(x);
    x = NULL;
  }
  return x;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  exchange_t *x = *con_cls;
  if (!x)
    return;
  free(x->target);
  kv_strbuf_free(&x->body);
  free(x);
  *con_cls = NULL;
}

/* Queue @body (malloc'd, taken) with @status and the registry's headers. */
static enum MHD_Result queue(struct MHD_Connection *c, int status, char *body,
                             size_t length, const char *content_type,
                             int retry_after) {
  struct MHD_Response *response =
      MHD_create_response_from_buffer(length, body, MHD_RESPMEM_MUST_FREE);
  if (!response) {
    free(body);
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  if (retry_after >= 0) {
    char seconds[16];
    snprintf(seconds, sizeof(seconds), "%d", retry_after);
    MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
  }
  enum MHD_Result result = MHD_queue_response(c, (unsigned)status, response);
  MHD_destroy_response(response);
  return result;
}

static enum MHD_Result too_large(struct MHD_Connection *c) {
  char *body = strdup("{\"error_code\":413,\"message\":\"Request body too large\"}");
  if (!body)
    return MHD_NO;
  return queue(c, 413, body, strlen(body), KV_MOCK_CONTENT_TYPE, -1);
}

static bool declared_too_large(struct MHD_Connection *c) {
  const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_LENGTH);
  return length && strtoull(length, NULL, 10) > KV_MOCK_MAX_BODY;
}

/* Run the handler on the complete request and queue its answer. */
static enum MHD_Result answer(kv_http_server_t *server, struct MHD_Connection *c,
                              const char *method, exchange_t *x) {
  char *query = strchr(x->target, '?');
  if (query)
    *query++ = '\0';
  kv_http_request_t request = {
      .method = method,
      .path = x->target,
      .query = query,
      .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_CONTENT_TYPE),
      .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION),
      .body = x->body.data,
      .body_length = x->body.length,
  };
  kv_http_response_t response;
  memset(&response, 0, sizeof(response));
  response.retry_after_seconds = -1;
  if (server->handler(server->opaque, &request, 0, &response) != KAVRO_OK ||
      response.outcome != KV_HTTP_ANSWERED) {
    kv_http_response_clear(&response);
    return MHD_NO; /* close without a reply */
  }
  return queue(c, response.status, response.body, response.body_length,
               response.content_type, response.retry_after_seconds);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  (void)url;
  (void)version;
  exchange_t *x = *con_cls;
  if (!x)
    return MHD_NO; /* out of memory in on_uri */
  if (!x->started) {
    x->started = true;
    return declared_too_large(c) ? too_large(c) : MHD_YES;
  }
  if (*upload_data_size) {
    if (x->body.length + *upload_data_size > KV_MOCK_MAX_BODY)
      x->too_large = true;
    else
      kv_strbuf_append(&x->body, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (x->too_large)
    return too_large(c);
  if (kv_strbuf_failed(&x->body))
    return MHD_NO;
  return answer(cls, c, method, x);
}

kavro_err_t kv_http_server_start(const char *address, unsigned port,
                                 kv_inproc_handler_fn handler, void *opaque,
                                 kv_http_server_t **serverp,
                                 kavro_error_t *error) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  if (port > 65535 || inet_pton(AF_INET, address, &sin.sin_addr) != 1)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "'%s:%u' is not an IPv4 address and port", address, port);
  kv_http_server_t *server = calloc(1, sizeof(*server));
  if (!server)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  server->handler = handler;
  server->opaque = opaque;
  server->daemon = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
      (uint16_t)port, NULL, NULL, on_request, server, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&sin, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
      MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_SECONDS, MHD_OPTION_END);
  if (!server->daemon) {
    free(server);
    return kv_error_set(error, KAVRO_ERR_TRANSPORT,
                        "cannot listen on %s:%u", address, port);
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
  server->port = info ? info->port : port;
  *serverp = server;
  return KAVRO_OK;
}

unsigned kv_http_server_port(const kv_http_server_t *server) {
  return server->port;
}

void kv_http_server_stop(kv_http_server_t *server) {
  if (!server)
    return;
  MHD_stop_daemon(server->daemon);
  free(server);
}
