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
 *
 * Over HTTPS (GnuTLS, through MHD) with a client CA, a client must present
 * a certificate that CA signed: the handshake itself requires one (MHD
 * only asks for it, so each new session is switched to "require" before
 * its handshake), and the access callback verifies it again before
 * serving, so that no request is answered on an unverified session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "common_error_int.h"
#include "common_metrics_int.h"
#include "mock_int.h"
#include "common_strbuf_int.h"

/* An idle keep-alive connection (each holds a thread) is closed after
 * this long, as a registry behind Jetty closes them after 30 s. */
#define IDLE_TIMEOUT_SECONDS 60u

/* Bound on a PEM file given to an HTTPS server (a long chain fits). */
#define MAX_PEM_BYTES (1024u * 1024u)

struct kv_http_tls_s {
  char *cert;      /* PEM: the server's certificate (chain) */
  char *key;       /* PEM: its private key, unencrypted */
  char *client_ca; /* PEM: CAs for client certificates; NULL: none asked */
};

struct kv_http_server_s {
  struct MHD_Daemon *daemon;
  const kv_http_tls_t *tls; /* borrowed; NULL: plain HTTP */
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

/* One request answered, in the metrics: by method (those of HTTP/1.1;
 * any other a client sends is "other", so that clients cannot make
 * series) and status. */
static void count_request(const char *method, int status) {
  static const char *const known[] = {"GET",  "POST",    "PUT",  "DELETE",
                                      "HEAD", "OPTIONS", "PATCH"};
  const char *label = "other";
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (method && strcmp(method, known[i]) == 0)
      label = known[i];
  char text[16];
  snprintf(text, sizeof(text), "%d", status);
  kv_metric_inc(kv_metric(KV_M_MOCK_REQUESTS, label, text));
}

/* Queue @body (malloc'd, taken) with @status and the registry's headers,
 * counted as an answer to @method. */
static enum MHD_Result queue(struct MHD_Connection *c, const char *method,
                             int status, char *body, size_t length,
                             const char *content_type, int retry_after) {
  count_request(method, status);
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

static enum MHD_Result too_large(struct MHD_Connection *c,
                                 const char *method) {
  char *body = strdup("{\"error_code\":413,\"message\":\"Request body too large\"}");
  if (!body)
    return MHD_NO;
  return queue(c, method, 413, body, strlen(body), KV_MOCK_CONTENT_TYPE, -1);
}

/* The Content-Length the client declared, 0 when none. */
static unsigned long long declared_length(struct MHD_Connection *c) {
  const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_LENGTH);
  return length ? strtoull(length, NULL, 10) : 0;
}

/* A body declared larger than the bound is read and dropped up to this
 * size before the 413, so that a client still sending gets the answer
 * rather than a reset connection; a larger one is answered at once. */
#define DISCARD_MAX (4ull * KV_MOCK_MAX_BODY)

/* The path of @target: an absolute-form target ("http://host:port/path",
 * RFC 7230 5.3.2, what clients send to an HTTP proxy) is served as its
 * path, so that the mock stands in for a proxy in front of itself. */
static char *origin_form(char *target) {
  if (strncasecmp(target, "http://", 7) != 0)
    return target;
  char *path = strchr(target + 7, '/');
  if (path)
    return path;
  static char root[] = "/";
  return root;
}

/* Run the handler on the complete request and queue its answer. */
static enum MHD_Result answer(kv_http_server_t *server, struct MHD_Connection *c,
                              const char *method, exchange_t *x) {
  char *query = strchr(x->target, '?');
  if (query)
    *query++ = '\0';
  kv_http_request_t request = {
      .method = method,
      .path = origin_form(x->target),
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
  return queue(c, method, response.status, response.body,
               response.body_length,
               response.content_type, response.retry_after_seconds);
}

/* Does the TLS session of @c carry a client certificate that verifies
 * against the server's client CA?  Always true over plain HTTP or
 * without a client CA. */
static bool client_verified(const kv_http_server_t *server,
                            struct MHD_Connection *c) {
  if (!server->tls || !server->tls->client_ca)
    return true;
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  unsigned status = 0;
  return info && info->tls_session &&
         gnutls_certificate_type_get(info->tls_session) == GNUTLS_CRT_X509 &&
         gnutls_certificate_verify_peers2(info->tls_session, &status) ==
             GNUTLS_E_SUCCESS &&
         status == 0;
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
    if (!client_verified(cls, c))
      return MHD_NO; /* close: no request is served to an unknown client */
    unsigned long long declared = declared_length(c);
    x->too_large = declared > KV_MOCK_MAX_BODY;
    return declared > DISCARD_MAX ? too_large(c, method) : MHD_YES;
  }
  if (*upload_data_size) {
    if (x->too_large || x->body.length + *upload_data_size > KV_MOCK_MAX_BODY)
      x->too_large = true; /* read and dropped */
    else
      kv_strbuf_append(&x->body, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (x->too_large)
    return too_large(c, method);
  if (kv_strbuf_failed(&x->body))
    return MHD_NO;
  return answer(cls, c, method, x);
}

/* Before the handshake of each new HTTPS session: with a client CA,
 * require a client certificate and have GnuTLS verify it in the
 * handshake, so that a client without a good one is refused there. */
static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  (void)socket_context;
  kv_http_server_t *server = cls;
  if (toe != MHD_CONNECTION_NOTIFY_STARTED || !server->tls ||
      !server->tls->client_ca)
    return;
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (!info || !info->tls_session)
    return;
  gnutls_certificate_server_set_request(info->tls_session, GNUTLS_CERT_REQUIRE);
  gnutls_session_set_verify_cert(info->tls_session, NULL, 0);
}

/* Read the PEM file @path (what it is for: @what) into @*textp. */
static kavro_err_t read_pem(const char *path, const char *what, char **textp,
                            kavro_error_t *error) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return kv_error_set(error, KAVRO_ERR_IO, "%s %s: %s", what, path,
                        strerror(errno));
  kv_strbuf_t text = KV_STRBUF_INIT;
  char chunk[4096];
  size_t got;
  while (text.length <= MAX_PEM_BYTES &&
         (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
    kv_strbuf_append(&text, chunk, got);
  bool failed = ferror(f) != 0;
  fclose(f);
  kavro_err_t err = KAVRO_OK;
  if (failed)
    err = kv_error_set(error, KAVRO_ERR_IO, "%s %s: read error", what, path);
  else if (text.length > MAX_PEM_BYTES)
    err = kv_error_set(error, KAVRO_ERR_LIMIT, "%s %s: larger than %u bytes",
                       what, path, MAX_PEM_BYTES);
  else if (kv_strbuf_failed(&text))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  else if (text.length == 0)
    err = kv_error_set(error, KAVRO_ERR_IO, "%s %s: empty file", what, path);
  if (err != KAVRO_OK) {
    kv_strbuf_free(&text);
    return err;
  }
  *textp = kv_strbuf_steal(&text);
  return KAVRO_OK;
}

kavro_err_t kv_http_tls_load(const char *cert_file, const char *key_file,
                             const char *client_ca_file, kv_http_tls_t **tlsp,
                             kavro_error_t *error) {
  if (!cert_file || !key_file)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "HTTPS needs a certificate file and a key file");
  if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "this libmicrohttpd was built without TLS");
  kv_http_tls_t *tls = calloc(1, sizeof(*tls));
  if (!tls)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = read_pem(cert_file, "certificate", &tls->cert, error);
  if (err == KAVRO_OK)
    err = read_pem(key_file, "key", &tls->key, error);
  if (err == KAVRO_OK && client_ca_file)
    err = read_pem(client_ca_file, "client CA", &tls->client_ca, error);
  if (err != KAVRO_OK) {
    kv_http_tls_free(tls);
    return err;
  }
  *tlsp = tls;
  return KAVRO_OK;
}

void kv_http_tls_free(kv_http_tls_t *tls) {
  if (!tls)
    return;
  free(tls->cert);
  if (tls->key) {
    memset(tls->key, 0, strlen(tls->key)); /* a private key */
    free(tls->key);
  }
  free(tls->client_ca);
  free(tls);
}

kavro_err_t kv_http_server_start(const char *address, unsigned port,
                                 kv_inproc_handler_fn handler, void *opaque,
                                 kv_http_server_t **serverp,
                                 kavro_error_t *error) {
  return kv_http_server_start_tls(address, port, NULL, handler, opaque,
                                  serverp, error);
}

void kv_http_host_port(char *buf, size_t size, const char *address,
                       unsigned port) {
  snprintf(buf, size, strchr(address, ':') ? "[%s]:%u" : "%s:%u", address, port);
}

/* The socket address of @address (an IPv4 or IPv6 address, the latter
 * without brackets) and @port.  False when it is neither. */
static bool socket_address(const char *address, unsigned port,
                           struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  if (port > 65535)
    return false;
  if (inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    return true;
  }
  if (inet_pton(AF_INET6, address, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    return true;
  }
  return false;
}

kavro_err_t kv_http_server_start_tls(const char *address, unsigned port,
                                     const kv_http_tls_t *tls,
                                     kv_inproc_handler_fn handler,
                                     void *opaque, kv_http_server_t **serverp,
                                     kavro_error_t *error) {
  struct sockaddr_storage ss;
  if (!socket_address(address, port, &ss))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "'%s' port %u is not an IPv4 or IPv6 address and port",
                        address, port);
  bool ipv6 = ss.ss_family == AF_INET6;
  kv_http_server_t *server = calloc(1, sizeof(*server));
  if (!server)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  server->handler = handler;
  server->opaque = opaque;
  server->tls = tls;
  /* The TLS options, or none: MHD copies the PEM text into GnuTLS when
   * the daemon starts. */
  struct MHD_OptionItem tls_options[4];
  size_t n = 0;
  if (tls) {
    tls_options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                               tls->cert};
    tls_options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                               tls->key};
    if (tls->client_ca)
      tls_options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                                 tls->client_ca};
  }
  tls_options[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  server->daemon = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
          (tls ? MHD_USE_TLS : 0) | (ipv6 ? MHD_USE_IPv6 : 0),
      (uint16_t)port, NULL, NULL, on_request, server, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, server,
      MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_SECONDS, MHD_OPTION_ARRAY,
      tls_options, MHD_OPTION_END);
  if (!server->daemon) {
    free(server);
    char where[KV_HTTP_HOST_PORT_SIZE];
    kv_http_host_port(where, sizeof(where), address, port);
    return kv_error_set(error, KAVRO_ERR_TRANSPORT,
                        tls ? "cannot listen on %s over HTTPS (port in use, "
                              "or a certificate, key or CA GnuTLS refused)"
                            : "cannot listen on %s",
                        where);
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
