/*
 * kavro - the in-process seam: a table from scope to handler, for
 * `mock://SCOPE` URLs.
 *
 * A call looks the scope up and marks it busy under the table's lock, then
 * runs the handler without the lock, so handlers of one scope run
 * concurrently.  Unregistering hides the scope at once and waits until its
 * last call has returned, so that the caller may free the handler's state.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "inproc_int.h"

typedef struct scope_s {
  char *name;
  kv_inproc_handler_fn handler;
  void *opaque;
  unsigned calls;    /* calls into the handler running now */
  bool leaving;      /* being unregistered: no new calls */
  struct scope_s *next;
} scope_t;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t calls_done = PTHREAD_COND_INITIALIZER;
static scope_t *table;

static scope_t *find(const char *name) {
  for (scope_t *s = table; s; s = s->next)
    if (!s->leaving && strcmp(s->name, name) == 0)
      return s;
  return NULL;
}

kavro_err_t kv_inproc_register(const char *scope, kv_inproc_handler_fn handler,
                               void *opaque) {
  if (!scope || !handler)
    return KAVRO_ERR_INVALID_ARG;
  scope_t *s = calloc(1, sizeof(*s));
  if (!s || !(s->name = strdup(scope))) {
    free(s);
    return KAVRO_ERR_NOMEM;
  }
  s->handler = handler;
  s->opaque = opaque;
  pthread_mutex_lock(&table_lock);
  kavro_err_t err = KAVRO_OK;
  if (find(scope)) {
    err = KAVRO_ERR_INVALID_ARG;
  } else {
    s->next = table;
    table = s;
  }
  pthread_mutex_unlock(&table_lock);
  if (err != KAVRO_OK) {
    free(s->name);
    free(s);
  }
  return err;
}

void kv_inproc_unregister(const char *scope) {
  pthread_mutex_lock(&table_lock);
  scope_t *s = scope ? find(scope) : NULL;
  if (s) {
    s->leaving = true;
    while (s->calls > 0)
      pthread_cond_wait(&calls_done, &table_lock);
    for (scope_t **p = &table; *p; p = &(*p)->next) {
      if (*p == s) {
        *p = s->next;
        break;
      }
    }
  }
  pthread_mutex_unlock(&table_lock);
  if (s) {
    free(s->name);
    free(s);
  }
}

kavro_err_t kv_inproc_send(const char *scope, const kv_http_request_t *request,
                           long timeout_ms, kv_http_response_t *response) {
  memset(response, 0, sizeof(*response));
  response->retry_after_seconds = -1;
  pthread_mutex_lock(&table_lock);
  scope_t *s = scope ? find(scope) : NULL;
  if (s)
    s->calls++;
  pthread_mutex_unlock(&table_lock);
  if (!s)
    return KAVRO_ERR_TRANSPORT;
  kavro_err_t err = s->handler(s->opaque, request, timeout_ms, response);
  pthread_mutex_lock(&table_lock);
  if (--s->calls == 0 && s->leaving)
    pthread_cond_broadcast(&calls_done);
  pthread_mutex_unlock(&table_lock);
  return err;
}

void kv_http_response_clear(kv_http_response_t *response) {
  if (!response)
    return;
  free(response->body);
  memset(response, 0, sizeof(*response));
  response->retry_after_seconds = -1;
}
