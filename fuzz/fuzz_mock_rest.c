/*
 * libFuzzer harness: the mock registry's REST surface, in the process,
 * without sockets.
 *
 * An input is up to MAX_REQUESTS requests separated by NUL bytes, each
 * "METHOD TARGET\n" followed by the body (TARGET is the path, with an
 * optional "?query").  They run in order against one fresh store, so that
 * later requests meet what earlier ones registered.  Every request gets an
 * answer (a status in 200..599 and a JSON body unless the endpoint answers
 * with raw schema text), and after each one the store still lists its
 * subjects: a name that got in but cannot be written as JSON would break
 * that listing, and with it every save.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mock_int.h"

#define MAX_REQUESTS 8

static void check_answer(const kv_reply_t *reply) {
  kv_http_response_t response = {0};
  kavro_err_t err = kv_reply_to_response(reply, &response);
  if (err == KAVRO_ERR_NOMEM)
    return;
  if (err != KAVRO_OK || response.status < 200 || response.status > 599)
    abort();
  if (!reply->raw) {
    json_t *body = json_loadb(response.body, response.body_length,
                              JSON_DECODE_ANY, NULL);
    if (!body)
      abort();
    json_decref(body);
  }
  kv_http_response_clear(&response);
}

static void serve(kv_store_t *store, const char *method, const char *path,
                  const char *query, const char *body, size_t body_length) {
  kv_route_t route;
  if (kv_route_find(method, path, &route) == KAVRO_OK) {
    kv_http_request_t request = {.method = method,
                                 .path = path,
                                 .query = query,
                                 .body = body,
                                 .body_length = body_length};
    kv_reply_t reply = {0};
    kv_rest_serve(store, &route, &request, &reply);
    check_answer(&reply);
    kv_reply_clear(&reply);
  }
  kv_route_clear(&route);
}

/* Serve one "METHOD TARGET\nBODY" request (NUL-terminated text). */
static void serve_text(kv_store_t *store, char *text, size_t length) {
  char *line_end = memchr(text, '\n', length);
  char *body = line_end ? line_end + 1 : text + length;
  if (line_end)
    *line_end = '\0';
  char *space = strchr(text, ' ');
  if (!space)
    return;
  *space = '\0';
  char *path = space + 1, *query = strchr(path, '?');
  if (query)
    *query++ = '\0';
  serve(store, text, path, query, body, (size_t)(text + length - body));
}

static void subjects_still_listed(kv_store_t *store) {
  kv_reply_t reply = {0};
  kv_store_subjects(store, true, &reply);
  if (reply.status != 200)
    abort();
  check_answer(&reply);
  kv_reply_clear(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size + 1);
  kv_store_t *store = kv_store_new();
  if (!copy || !store) {
    free(copy);
    kv_store_free(store);
    return 0;
  }
  memcpy(copy, data, size);
  copy[size] = '\0';
  char *next = copy, *end = copy + size;
  for (int n = 0; n < MAX_REQUESTS && next <= end; n++) {
    size_t length = strlen(next);
    serve_text(store, next, length);
    subjects_still_listed(store);
    next += length + 1;
  }
  kv_store_free(store);
  free(copy);
  return 0;
}
