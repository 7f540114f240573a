/*
 * kavro (the program) - the metrics over HTTP (metrics_http.h), with
 * libmicrohttpd: GET (or HEAD) /metrics answers the Prometheus text
 * exposition format 0.0.4; any other path is 404, any other method on it
 * 405.  One internal thread serves every connection: a scrape is a few
 * kilobytes made in microseconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "metrics_http.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct cli_metrics_s {
  struct MHD_Daemon *daemon;
};

int cli_parse_address(const char *cmd, const char *option, const char *arg,
                      char *address, unsigned *port) {
  /* An IPv6 address comes in brackets, as in a URL: "[::1]:8081". */
  bool bracketed = arg[0] == '[';
  const char *close = bracketed ? strchr(arg, ']') : NULL;
  const char *colon = bracketed ? (close && close[1] == ':' ? close + 1 : NULL)
                                : strchr(arg, ':');
  const char *start = bracketed ? arg + 1 : arg;
  const char *stop = bracketed ? close : colon;
  char *end;
  errno = 0;
  unsigned long n = colon ? strtoul(colon + 1, &end, 10) : 0;
  if (!colon || (!bracketed && strchr(colon + 1, ':')) || stop == start ||
      (size_t)(stop - start) >= CLI_ADDRESS_SIZE || !colon[1] || *end ||
      errno || n > 65535)
    return cli_usage_error(cmd,
                           "%s wants ADDR:PORT (e.g. 127.0.0.1:8081, or "
                           "[::1]:8081 for IPv6), not '%s'",
                           option, arg);
  memcpy(address, start, (size_t)(stop - start));
  address[stop - start] = '\0';
  *port = (unsigned)n;
  return CLI_EXIT_OK;
}

/* The exposition text in a new string, its length in @*length. */
static char *exposition(size_t *length) {
  size_t needed = 0;
  if (kavro_metrics_prometheus(NULL, 0, &needed) != KAVRO_OK)
    return NULL;
  /* Series may appear between measuring and writing: grow and try again. */
  for (int tries = 0; tries < 4; tries++) {
    size_t size = needed + needed / 4 + 256;
    char *text = malloc(size);
    if (!text)
      return NULL;
    kavro_err_t err = kavro_metrics_prometheus(text, size, &needed);
    if (err == KAVRO_OK) {
      *length = needed - 1;
      return text;
    }
    free(text);
    if (err != KAVRO_ERR_LIMIT)
      return NULL;
  }
  return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             char *body, size_t length,
                             const char *content_type) {
  struct MHD_Response *response =
      MHD_create_response_from_buffer(length, body, MHD_RESPMEM_MUST_FREE);
  if (!response) {
    free(body);
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                          content_type);
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result result = MHD_queue_response(c, status, response);
  MHD_destroy_response(response);
  return result;
}

static enum MHD_Result text_reply(struct MHD_Connection *c, unsigned status,
                                  const char *text) {
  char *body = strdup(text);
  return body ? reply(c, status, body, strlen(body), "text/plain")
              : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **state) {
  (void)cls, (void)version, (void)upload;
  /* The first call only announces the request; answer on the second, once
   * any body (ignored) has been read. */
  static int announced;
  if (!*state) {
    *state = &announced;
    return MHD_YES;
  }
  if (*upload_size) {
    *upload_size = 0;
    return MHD_YES;
  }
  if (strcmp(url, "/metrics") != 0)
    return text_reply(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return text_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");
  size_t length = 0;
  char *text = exposition(&length);
  if (!text)
    return text_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
  return reply(c, MHD_HTTP_OK, text, length, CONTENT_TYPE);
}

cli_metrics_t *cli_metrics_start(const char *cmd, const char *address,
                                 unsigned port) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, address, &sin.sin_addr) != 1) {
    cli_print_line("kavro %s: --metrics-listen: '%s' is not an IPv4 address",
                   cmd, address);
    return NULL;
  }
  cli_metrics_t *m = calloc(1, sizeof(*m));
  if (!m) {
    cli_print_line("kavro %s: out of memory", cmd);
    return NULL;
  }
  m->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, on_request,
      NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
      MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (!m->daemon) {
    cli_print_line("kavro %s: --metrics-listen: cannot listen on %s:%u", cmd,
                   address, port);
    free(m);
    return NULL;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
  printf("metrics on http://%s:%u/metrics\n", address,
         info ? (unsigned)info->port : port);
  fflush(stdout);
  return m;
}

void cli_metrics_stop(cli_metrics_t *m) {
  if (!m)
    return;
  MHD_stop_daemon(m->daemon);
  free(m);
}
