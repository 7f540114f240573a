/*
 * kavro - the registry client's transport: one request with retries,
 * failover, time-outs, authentication and a bound on the reply.
 *
 * A request tries the URLs of `schema.registry.url` in turn, starting with
 * the one that answered last; a connection error, a time-out or a 5xx moves
 * to the next URL (a failover).  When every URL failed that way, or the
 * registry answered 429, the request is retried after a backoff
 * (`retries.wait.ms` doubled per retry, with jitter, at most
 * `retries.max.wait.ms`, or the 429's Retry-After), at most `max.retries`
 * times.  Other 4xx replies end the request at once.
 *
 * Connections: libcurl easy handles are kept in a pool; a request borrows
 * one, so each handle is used by one thread at a time and keeps its
 * connections alive between requests (keep-alive).  `mock://SCOPE` URLs go
 * to the in-process handler of SCOPE instead (inproc_int.h).
 *
 * Credentials: they live in memory only as the ready Authorization header
 * value; URLs are stored and printed without user info.
 */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common_conf_int.h"
#include "config.h"
#include "common_error_int.h"
#include "registry_int.h"
#include "common_strbuf_int.h"
#include "common_text_int.h"

static const char media_type[] = "application/vnd.schemaregistry.v1+json";
static const char accept_header[] =
    "Accept: application/vnd.schemaregistry.v1+json, "
    "application/vnd.schemaregistry+json, application/json";

typedef struct kv_url_s {
  char *base;       /* without credentials and trailing '/' */
  char *mock_scope; /* for mock:// URLs, else NULL */
  char *basic_auth; /* "Basic ..." from the URL's user info, or NULL */
} kv_url_t;

/* The bearer token shared by every thread of a client.  One thread at a
 * time fetches (`fetching`); the others wait on `fetched`, or go on with
 * the current token while it is still valid.  A request answered 401
 * names the generation of the token it carried, so that only the first of
 * many such requests fetches again. */
typedef struct kv_token_cache_s {
  pthread_mutex_t lock;
  pthread_cond_t fetched;
  bool fetching;
  char *auth;          /* "Bearer TOKEN", or NULL before the first fetch */
  uint64_t generation; /* of `auth`: 1, 2, ... */
  int64_t expires_ms;  /* wall clock; 0: never */
  int64_t refresh_ms;  /* wall clock to fetch again at; 0: never */
  int64_t buffer_ms;   /* bearer.auth.cache.expiry.buffer.seconds */
  uint64_t fetches;    /* fetches finished, for waiters */
  kavro_err_t last_err; /* of the last fetch */
  kavro_error_t last_error;
} kv_token_cache_t;

struct kv_transport_s {
  kv_url_t *urls;
  size_t url_count;
  atomic_size_t preferred; /* the URL that answered last */
  kv_stats_t *stats;

  char *static_auth; /* "Basic ..." or "Bearer ..." or NULL */
  bool url_auth;     /* basic auth from each URL's user info */
  kavro_bearer_token_cb_t bearer_cb; /* CUSTOM's, or kv_oauth_fetch() */
  void *bearer_opaque;
  kv_oauth_t *oauth; /* OAUTHBEARER's token endpoint, or NULL */
  kv_token_cache_t bearer;
  char *cluster_header;      /* "target-sr-cluster: ..." or NULL */
  char *pool_id_header;      /* "Confluent-Identity-Pool-Id: ..." or NULL */

  const char *ca, *cert, *key, *key_password;
  bool verify_host;
  char *proxy; /* "HOST:PORT" or "HOST", NULL: libcurl's default */
  long timeout_ms, connect_timeout_ms;
  int max_retries;
  long wait_ms, max_wait_ms;
  size_t max_bytes;

  pthread_mutex_t pool_lock;
  CURL **pool;
  size_t pool_count, pool_capacity;
};

/* What one attempt on one URL came to. */
typedef enum kv_attempt_e {
  ATTEMPT_OK,           /* a 2xx reply */
  ATTEMPT_FAILOVER,     /* connection error, time-out, 5xx: try another URL */
  ATTEMPT_THROTTLED,    /* 429: wait and retry the same way */
  ATTEMPT_UNAUTHORIZED, /* 401 with a refreshable token */
  ATTEMPT_FINAL         /* any other failure: give up */
} kv_attempt_t;

/* ---- set-up ------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static char *basic_header(const char *user_info, size_t length) {
  char *b64 = kv_base64(user_info, length);
  char *out = b64 ? malloc(sizeof("Basic ") + strlen(b64)) : NULL;
  if (out)
    sprintf(out, "Basic %s", b64);
  kv_free_secret(b64);
  return out;
}

/* A transport failure in words.  curl's detail is left out when it holds
 * an '@', the one sign it might quote user info. */
static kavro_err_t transport_error(CURLcode rc, const char *detail,
                                   kavro_error_t *error) {
  size_t n = strlen(detail);
  while (n && (detail[n - 1] == '\n' || detail[n - 1] == '\r'))
    n--;
  if (n == 0 || memchr(detail, '@', n))
    return kv_error_set(error, KAVRO_ERR_TRANSPORT, "%s", curl_easy_strerror(rc));
  return kv_error_set(error, KAVRO_ERR_TRANSPORT, "%s: %.*s",
                      curl_easy_strerror(rc), (int)n, detail);
}

/* Fill @url from one item of the URL list (@item, @len bytes). */
static kavro_err_t url_init(kv_url_t *url, const char *item, size_t len,
                            kavro_error_t *error) {
  char *raw = strndup(item, len);
  if (!raw)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  const char *host = strstr(raw, "://") + 3;
  const char *at = kv_url_user_info_end(host, host + strlen(host));
  if (at) {
    kv_strbuf_t decoded = KV_STRBUF_INIT;
    kv_strbuf_put_percent_decoded(&decoded, host, (size_t)(at - host), false);
    if (!kv_strbuf_failed(&decoded))
      url->basic_auth = basic_header(decoded.data ? decoded.data : "", decoded.length);
    /* The user info is a credential: wipe it before the memory is reused. */
    if (decoded.data)
      memset(decoded.data, 0, decoded.capacity);
    kv_strbuf_free(&decoded);
    if (!url->basic_auth) {
      free(raw);
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    }
  }
  url->base = kv_url_strip_credentials(raw);
  memset(raw, 0, len);
  free(raw);
  if (!url->base)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  size_t blen = strlen(url->base);
  while (blen && url->base[blen - 1] == '/')
    url->base[--blen] = '\0';
  if (strncasecmp(url->base, "mock://", 7) == 0) {
    const char *scope = url->base + 7;
    url->mock_scope = strndup(scope, strcspn(scope, "/?#"));
    if (!url->mock_scope)
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  return KAVRO_OK;
}

static kavro_err_t urls_init(kv_transport_t *t, const char *list,
                             kavro_error_t *error) {
  size_t n = 1;
  for (const char *p = list; *p; p++)
    n += *p == ',';
  t->urls = calloc(n, sizeof(kv_url_t));
  if (!t->urls)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    const char *item = p;
    while (len && (*item == ' ' || *item == '\t')) {
      item++;
      len--;
    }
    while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
      len--;
    kavro_err_t err = url_init(&t->urls[t->url_count++], item, len, error);
    if (err != KAVRO_OK)
      return err;
    p += strcspn(p, ",");
    if (*p == ',')
      p++;
  }
  return KAVRO_OK;
}

static char *header_line(const char *name, const char *value) {
  if (!*value)
    return NULL;
  size_t len = strlen(name) + strlen(value) + 3;
  char *out = malloc(len);
  if (out)
    snprintf(out, len, "%s: %s", name, value);
  return out;
}

static kavro_err_t conf_error(kavro_error_t *error, const char *what) {
  return kv_error_set(error, KAVRO_ERR_CONF_INVALID, "%s", what);
}

/* "Basic BASE64(USER:PASSWORD)" into @t->static_auth. */
static kavro_err_t static_basic(kv_transport_t *t, const char *user,
                                const char *password, kavro_error_t *error) {
  size_t length = strlen(user) + 1 + strlen(password);
  char *user_info = malloc(length + 1);
  if (user_info) {
    snprintf(user_info, length + 1, "%s:%s", user, password);
    t->static_auth = basic_header(user_info, length);
    memset(user_info, 0, length);
    free(user_info);
  }
  return t->static_auth ? KAVRO_OK
                        : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

/* Basic auth from basic.auth.credentials.source: USER_INFO, SASL_INHERIT,
 * or URL (each URL's own user info). */
static kavro_err_t basic_init(kv_transport_t *t, const kavro_conf_t *conf,
                              bool url_creds, kavro_error_t *error) {
  const char *source = kv_conf_str(conf, "basic.auth.credentials.source");
  const char *user_info = kv_conf_str(conf, "basic.auth.user.info");
  if (*user_info && strcmp(source, "USER_INFO") != 0)
    return conf_error(error, "basic.auth.user.info is set but "
                             "basic.auth.credentials.source is not USER_INFO");
  if (strcmp(source, "USER_INFO") == 0) {
    if (!*user_info)
      return conf_error(error, "basic.auth.credentials.source is USER_INFO "
                               "but basic.auth.user.info is empty");
    t->static_auth = basic_header(user_info, strlen(user_info));
    if (!t->static_auth)
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  } else if (strcmp(source, "SASL_INHERIT") == 0) {
    const char *password;
    const char *user = kv_conf_sasl_credentials(conf, &password);
    if (!user)
      return conf_error(error, "basic.auth.credentials.source is "
                               "SASL_INHERIT but no SASL credentials were "
                               "handed over (kavro_kafka_conf_inherit_sasl())");
    return static_basic(t, user, password, error);
  }
  t->url_auth = strcmp(source, "URL") == 0 && url_creds;
  return KAVRO_OK;
}

/* Bearer auth from bearer.auth.credentials.source. */
static kavro_err_t bearer_init(kv_transport_t *t, const kavro_conf_t *conf,
                               kavro_error_t *error) {
  const char *source = kv_conf_str(conf, "bearer.auth.credentials.source");
  const char *token = kv_conf_str(conf, "bearer.auth.token");
  t->bearer.buffer_ms =
      kv_conf_int(conf, "bearer.auth.cache.expiry.buffer.seconds") * 1000;
  if (strcmp(source, "CUSTOM") == 0) {
    t->bearer_cb = kv_conf_bearer_cb(conf, &t->bearer_opaque);
    if (!t->bearer_cb)
      return conf_error(error, "bearer.auth.credentials.source is CUSTOM but "
                               "no token callback is set");
  } else if (strcmp(source, "OAUTHBEARER") == 0 ||
             strcmp(source, "SASL_OAUTHBEARER_INHERIT") == 0) {
    kavro_err_t err = kv_oauth_new(conf, t, &t->oauth, error);
    if (err != KAVRO_OK)
      return err;
    t->bearer_cb = kv_oauth_fetch;
    t->bearer_opaque = t->oauth;
  } else if (*token) {
    t->static_auth = malloc(strlen(token) + sizeof("Bearer "));
    if (!t->static_auth)
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    sprintf(t->static_auth, "Bearer %s", token);
  }
  const char *cluster = kv_conf_str(conf, "bearer.auth.logical.cluster");
  const char *pool = kv_oauth_setting(conf, "bearer.auth.identity.pool.id",
                                      KV_SASL_OAUTH_POOL_ID);
  t->cluster_header = header_line("target-sr-cluster", cluster);
  t->pool_id_header = header_line("Confluent-Identity-Pool-Id", pool);
  if ((*cluster && !t->cluster_header) || (*pool && !t->pool_id_header))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  return KAVRO_OK;
}

/* Work out the Authorization header from the auth properties, refusing
 * combinations that would make the choice ambiguous. */
static kavro_err_t auth_init(kv_transport_t *t, const kavro_conf_t *conf,
                             kavro_error_t *error) {
  const char *basic_source = kv_conf_str(conf, "basic.auth.credentials.source");
  const char *bearer_source =
      kv_conf_str(conf, "bearer.auth.credentials.source");
  bool url_creds = false;
  for (size_t i = 0; i < t->url_count; i++)
    url_creds |= t->urls[i].basic_auth != NULL;
  bool bearer = strcmp(bearer_source, "STATIC_TOKEN") != 0 ||
                *kv_conf_str(conf, "bearer.auth.token");
  bool basic = *kv_conf_str(conf, "basic.auth.user.info") || url_creds ||
               strcmp(basic_source, "SASL_INHERIT") == 0;
  if (bearer && basic)
    return conf_error(error, "both bearer and basic auth are configured");
  return bearer ? bearer_init(t, conf, error)
                : basic_init(t, conf, url_creds, error);
}

/* proxy.host and proxy.port as libcurl's "HOST:PORT". */
static kavro_err_t proxy_init(kv_transport_t *t, const kavro_conf_t *conf,
                              kavro_error_t *error) {
  const char *host = kv_conf_str(conf, "proxy.host");
  int64_t port = kv_conf_int(conf, "proxy.port");
  if (!*host)
    return port < 0 ? KAVRO_OK
                    : conf_error(error, "proxy.port is set but proxy.host "
                                        "is empty");
  size_t size = strlen(host) + 16;
  t->proxy = malloc(size);
  if (!t->proxy)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  if (port < 0)
    snprintf(t->proxy, size, "%s", host);
  else
    snprintf(t->proxy, size, "%s:%d", host, (int)port);
  return KAVRO_OK;
}

kavro_err_t kv_transport_new(const kavro_conf_t *conf, kv_stats_t *stats,
                             kv_transport_t **transportp,
                             kavro_error_t *error) {
  *transportp = NULL;
  const char *urls = kv_conf_str(conf, "schema.registry.url");
  if (!*urls)
    return conf_error(error, "schema.registry.url is not set");
  pthread_once(&curl_once, curl_init_once);
  kv_transport_t *t = calloc(1, sizeof(*t));
  if (!t)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  pthread_mutex_init(&t->bearer.lock, NULL);
  pthread_cond_init(&t->bearer.fetched, NULL);
  pthread_mutex_init(&t->pool_lock, NULL);
  t->stats = stats;
  t->ca = kv_conf_str(conf, "schema.registry.ssl.ca.location");
  t->cert = kv_conf_str(conf, "schema.registry.ssl.certificate.location");
  t->key = kv_conf_str(conf, "schema.registry.ssl.key.location");
  t->key_password = kv_conf_str(conf, "schema.registry.ssl.key.password");
  t->verify_host = strcmp(kv_conf_str(conf, "schema.registry.ssl.endpoint."
                                            "identification.algorithm"),
                          "https") == 0;
  t->timeout_ms = (long)kv_conf_int(conf, "request.timeout.ms");
  t->connect_timeout_ms = (long)kv_conf_int(conf, "connection.timeout.ms");
  t->max_retries = (int)kv_conf_int(conf, "max.retries");
  t->wait_ms = (long)kv_conf_int(conf, "retries.wait.ms");
  t->max_wait_ms = (long)kv_conf_int(conf, "retries.max.wait.ms");
  t->max_bytes = (size_t)kv_conf_int(conf, "response.max.bytes");
  kavro_err_t err = urls_init(t, urls, error);
  if (err == KAVRO_OK)
    err = proxy_init(t, conf, error);
  if (err == KAVRO_OK)
    err = auth_init(t, conf, error);
  if (err != KAVRO_OK) {
    kv_transport_destroy(t);
    return err;
  }
  *transportp = t;
  return KAVRO_OK;
}

void kv_free_secret(char *s) {
  if (s) {
    /* Not memset(): a store just before free() may be optimised away. */
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

void kv_transport_destroy(kv_transport_t *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->url_count; i++) {
    free(t->urls[i].base);
    free(t->urls[i].mock_scope);
    kv_free_secret(t->urls[i].basic_auth);
  }
  free(t->urls);
  kv_free_secret(t->static_auth);
  kv_free_secret(t->bearer.auth);
  kv_oauth_destroy(t->oauth);
  free(t->proxy);
  free(t->cluster_header);
  free(t->pool_id_header);
  for (size_t i = 0; i < t->pool_count; i++)
    curl_easy_cleanup(t->pool[i]);
  free(t->pool);
  pthread_mutex_destroy(&t->pool_lock);
  pthread_cond_destroy(&t->bearer.fetched);
  pthread_mutex_destroy(&t->bearer.lock);
  free(t);
}

/* ---- authentication ----------------------------------------------------- */

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Call the token source (the CUSTOM callback or the OAuth token
 * endpoint) without the cache's lock: "Bearer TOKEN" into @*authp. */
static kavro_err_t fetch_token(kv_transport_t *t, char **authp,
                               int64_t *expiresp, kavro_error_t *error) {
  *authp = NULL;
  *expiresp = 0;
  char *token = calloc(1, KAVRO_BEARER_TOKEN_MAX);
  if (!token)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_error_t cb_error;
  kv_error_clear(&cb_error);
  kavro_err_t err = t->bearer_cb(t->bearer_opaque, token,
                                 KAVRO_BEARER_TOKEN_MAX, expiresp, &cb_error);
  if (err != KAVRO_OK && t->oauth) {
    if (error)
      *error = cb_error; /* already says what and where */
  } else if (err != KAVRO_OK) {
    kv_error_set(error, err, "bearer token callback failed: %s",
                 cb_error.text[0] ? cb_error.text : kavro_err2str(err));
    if (error)
      error->http_status = cb_error.http_status;
  } else if (!memchr(token, '\0', KAVRO_BEARER_TOKEN_MAX) || !*token) {
    err = kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                       "bearer token callback gave no token");
  } else if (!(*authp = malloc(strlen(token) + sizeof("Bearer ")))) {
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  } else {
    sprintf(*authp, "Bearer %s", token);
  }
  memset(token, 0, KAVRO_BEARER_TOKEN_MAX);
  free(token);
  return err;
}

/* When a token expiring at @expires_ms, fetched at @now_ms, is fetched
 * again: bearer.auth.cache.expiry.buffer.seconds ahead, but no more than
 * a fifth of its lifetime, so that short-lived tokens are still used. */
static int64_t refresh_time(const kv_token_cache_t *c, int64_t now_ms,
                            int64_t expires_ms) {
  if (!expires_ms)
    return 0;
  int64_t lifetime = expires_ms - now_ms;
  int64_t margin = lifetime > 0 ? lifetime / 5 : 0;
  if (margin > c->buffer_ms)
    margin = c->buffer_ms;
  return expires_ms - margin;
}

/* Store the outcome of this thread's fetch and wake the waiters.  Takes
 * and needs `lock`. */
static void token_fetched(kv_token_cache_t *c, kavro_err_t err, char *auth,
                          int64_t expires_ms, const kavro_error_t *error) {
  c->fetching = false;
  c->fetches++;
  c->last_err = err;
  if (err == KAVRO_OK) {
    kv_free_secret(c->auth);
    c->auth = auth;
    c->generation++;
    c->expires_ms = expires_ms;
    c->refresh_ms = refresh_time(c, wall_ms(), expires_ms);
  } else if (error) {
    c->last_error = *error;
  } else {
    kv_error_clear(&c->last_error);
    c->last_error.code = err;
  }
  pthread_cond_broadcast(&c->fetched);
}

/* A copy of the current token header into @out (caller frees) and its
 * generation into @*generationp.  Fetches one first when there is none,
 * it is due for refresh, or it is of generation @stale (a 401 answered
 * it; 0: none).  One thread fetches at a time: the others wait for its
 * result (its error too), or keep using a token that has not expired. */
static kavro_err_t bearer_header(kv_transport_t *t, uint64_t stale, char **out,
                                 uint64_t *generationp, kavro_error_t *error) {
  kv_token_cache_t *c = &t->bearer;
  *out = NULL;
  pthread_mutex_lock(&c->lock);
  for (;;) {
    int64_t now = wall_ms();
    bool valid = c->auth && (!c->expires_ms || now < c->expires_ms) &&
                 c->generation != stale;
    bool due = !valid || (c->refresh_ms && now >= c->refresh_ms);
    if (valid && (!due || c->fetching))
      break;
    if (!c->fetching) {
      c->fetching = true;
      pthread_mutex_unlock(&c->lock);
      char *auth;
      int64_t expires;
      kavro_err_t err = fetch_token(t, &auth, &expires, error);
      pthread_mutex_lock(&c->lock);
      token_fetched(c, err, auth, expires, error);
      if (err != KAVRO_OK) {
        pthread_mutex_unlock(&c->lock);
        return err;
      }
      break;
    }
    uint64_t seen = c->fetches;
    while (c->fetching)
      pthread_cond_wait(&c->fetched, &c->lock);
    if (c->fetches != seen && c->last_err != KAVRO_OK) {
      kavro_err_t err = c->last_err;
      if (error)
        *error = c->last_error;
      pthread_mutex_unlock(&c->lock);
      return err;
    }
  }
  *out = strdup(c->auth);
  *generationp = c->generation;
  pthread_mutex_unlock(&c->lock);
  return *out ? KAVRO_OK
              : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

/* ---- one attempt -------------------------------------------------------- */

typedef struct kv_sink_s {
  kv_http_response_t *response;
  size_t max_bytes;
  bool too_big;
  kv_strbuf_t body;
} kv_sink_t;

/* Room in @sb for @extra more bytes, grown by moving to a new block and
 * wiping the old one: a reply may carry a DEK's key material, which
 * realloc() would leave behind in freed memory. */
static bool reserve_wiping(kv_strbuf_t *sb, size_t extra) {
  size_t need = sb->length + extra + 1;
  if (need <= sb->capacity)
    return true;
  size_t cap = sb->capacity ? sb->capacity : 1024;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *grown = malloc(cap);
  if (!grown) {
    sb->failed = true;
    return false;
  }
  if (sb->data) {
    memcpy(grown, sb->data, sb->length + 1);
    OPENSSL_cleanse(sb->data, sb->capacity);
    free(sb->data);
  }
  sb->data = grown;
  sb->capacity = cap;
  return true;
}

/* Let a reply body go that is not handed over, wiped like one that is. */
static void drop_body(kv_strbuf_t *sb) {
  if (sb->data)
    OPENSSL_cleanse(sb->data, sb->capacity);
  kv_strbuf_free(sb);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *opaque) {
  kv_sink_t *sink = opaque;
  size_t n = size * nmemb;
  if (n > sink->max_bytes - sink->body.length) {
    sink->too_big = true;
    return 0; /* aborts the transfer */
  }
  if (reserve_wiping(&sink->body, n))
    kv_strbuf_append(&sink->body, data, n);
  return kv_strbuf_failed(&sink->body) ? 0 : n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *opaque) {
  kv_sink_t *sink = opaque;
  size_t n = size * nmemb;
  char line[160];
  if (n >= sizeof(line))
    return n;
  memcpy(line, data, n);
  line[n] = '\0';
  line[strcspn(line, "\r\n")] = '\0';
  if (strncasecmp(line, "HTTP/", 5) == 0) {
    sink->response->retry_after_seconds = -1; /* a new response begins */
  } else if (strncasecmp(line, "Retry-After:", 12) == 0) {
    char *end;
    long v = strtol(line + 12, &end, 10);
    if (end != line + 12 && v >= 0 && v <= 86400)
      sink->response->retry_after_seconds = (int)v;
  }
  return n;
}

static CURL *pool_take(kv_transport_t *t) {
  CURL *curl = NULL;
  pthread_mutex_lock(&t->pool_lock);
  if (t->pool_count)
    curl = t->pool[--t->pool_count];
  pthread_mutex_unlock(&t->pool_lock);
  if (curl)
    curl_easy_reset(curl); /* options only: live connections are kept */
  else
    curl = curl_easy_init();
  return curl;
}

static void pool_give(kv_transport_t *t, CURL *curl) {
  pthread_mutex_lock(&t->pool_lock);
  if (t->pool_count == t->pool_capacity) {
    size_t cap = t->pool_capacity ? 2 * t->pool_capacity : 8;
    CURL **grown = realloc(t->pool, cap * sizeof(CURL *));
    if (grown) {
      t->pool = grown;
      t->pool_capacity = cap;
    }
  }
  if (t->pool_count < t->pool_capacity) {
    t->pool[t->pool_count++] = curl;
    curl = NULL;
  }
  pthread_mutex_unlock(&t->pool_lock);
  if (curl)
    curl_easy_cleanup(curl);
}

/* Append @line (NULL: nothing) to @h; on failure clear @ok and keep @h. */
static struct curl_slist *add_header(struct curl_slist *h, const char *line,
                                     bool *ok) {
  if (!*ok || !line)
    return h;
  struct curl_slist *more = curl_slist_append(h, line);
  if (!more)
    *ok = false;
  return more ? more : h;
}

static struct curl_slist *request_headers(const kv_transport_t *t,
                                          const kv_call_t *call,
                                          const char *auth) {
  bool ok = true;
  struct curl_slist *h = add_header(NULL, accept_header, &ok);
  /* An empty Expect: no "100-continue" round trip before a POST body. */
  h = add_header(h, "Expect:", &ok);
  if (call->body)
    h = add_header(h, "Content-Type: application/vnd.schemaregistry.v1+json",
                   &ok);
  if (auth) {
    char *line = header_line("Authorization", auth);
    ok = ok && line;
    h = add_header(h, line, &ok);
    kv_free_secret(line);
  }
  h = add_header(h, t->cluster_header, &ok);
  h = add_header(h, t->pool_id_header, &ok);
  if (!ok) {
    curl_slist_free_all(h);
    return NULL;
  }
  return h;
}

static void set_tls(const kv_transport_t *t, CURL *curl) {
  if (*t->ca)
    curl_easy_setopt(curl, CURLOPT_CAINFO, t->ca);
  if (*t->cert)
    curl_easy_setopt(curl, CURLOPT_SSLCERT, t->cert);
  if (*t->key)
    curl_easy_setopt(curl, CURLOPT_SSLKEY, t->key);
  if (*t->key_password)
    curl_easy_setopt(curl, CURLOPT_KEYPASSWD, t->key_password);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, t->verify_host ? 2L : 0L);
}

kavro_err_t kv_curl_perform(kv_transport_t *t, void *curl, size_t max_bytes,
                            kv_http_response_t *response,
                            kavro_error_t *error) {
  kv_sink_t sink = {response, max_bytes, false, KV_STRBUF_INIT};
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, t->timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
  /* Refuses a declared Content-Length over the cap before any body comes;
   * on_body enforces the cap on chunked replies. */
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
  if (t->proxy)
    curl_easy_setopt(curl, CURLOPT_PROXY, t->proxy);
  set_tls(t, curl);
  /* curl's own detail names the cause ("SSL certificate problem: unable
   * to get local issuer certificate"), where curl_easy_strerror() only
   * names the class. */
  char detail[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  response->retry_after_seconds = -1;
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL); /* detail is ours */
  long status = 0, connects = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  atomic_fetch_add_explicit(&t->stats->connections, (uint_fast64_t)connects,
                            memory_order_relaxed);

  kavro_err_t err = KAVRO_OK;
  if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "reply larger than %zu bytes", max_bytes);
  else if (rc == CURLE_OPERATION_TIMEDOUT)
    err = kv_error_set(error, KAVRO_ERR_TIMED_OUT, "no reply within %ld ms",
                       t->timeout_ms);
  else if (rc == CURLE_OK && kv_strbuf_failed(&sink.body))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  else if (rc != CURLE_OK)
    err = transport_error(rc, detail, error);
  if (err != KAVRO_OK) {
    drop_body(&sink.body);
    return err;
  }
  response->outcome = KV_HTTP_ANSWERED;
  response->status = (int)status;
  response->body_length = sink.body.length;
  response->body = sink.body.data ? kv_strbuf_steal(&sink.body) : strdup("");
  return response->body ? KAVRO_OK
                        : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

static kavro_err_t curl_attempt(kv_transport_t *t, const kv_url_t *url,
                                const kv_call_t *call, const char *auth,
                                kv_http_response_t *response,
                                kavro_error_t *error) {
  kv_strbuf_t target = KV_STRBUF_INIT;
  kv_strbuf_printf(&target, "%s%s%s%s", url->base, call->path,
                   call->query ? "?" : "", call->query ? call->query : "");
  CURL *curl = pool_take(t);
  struct curl_slist *headers = curl ? request_headers(t, call, auth) : NULL;
  if (kv_strbuf_failed(&target) || !curl || !headers) {
    kv_strbuf_free(&target);
    curl_slist_free_all(headers);
    if (curl)
      curl_easy_cleanup(curl);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  curl_easy_setopt(curl, CURLOPT_URL, target.data);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call->method);
  if (call->body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(call->body));
  } else if (strcmp(call->method, "GET") != 0) {
    /* A bodiless DELETE still says Content-Length: 0. */
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  kavro_err_t err = kv_curl_perform(t, curl, t->max_bytes, response, error);
  curl_slist_free_all(headers);
  kv_strbuf_free(&target);
  pool_give(t, curl);
  if (err == KAVRO_ERR_BAD_RESPONSE)
    kv_error_set(error, err, "reply larger than response.max.bytes (%zu)",
                 t->max_bytes);
  return err;
}

static kavro_err_t mock_attempt(kv_transport_t *t, const kv_url_t *url,
                                const kv_call_t *call, const char *auth,
                                kv_http_response_t *response,
                                kavro_error_t *error) {
  kv_http_request_t request = {
      .method = call->method,
      .path = call->path,
      .query = call->query,
      .content_type = call->body ? media_type : NULL,
      .authorization = auth,
      .body = call->body,
      .body_length = call->body ? strlen(call->body) : 0,
  };
  response->retry_after_seconds = -1;
  kavro_err_t err =
      kv_inproc_send(url->mock_scope, &request, t->timeout_ms, response);
  if (err == KAVRO_ERR_TRANSPORT)
    return kv_error_set(error, err, "no mock registry has scope \"%s\"",
                        url->mock_scope);
  if (err != KAVRO_OK)
    return kv_error_set(error, err, "mock registry failed: %s",
                        kavro_err2str(err));
  if (response->outcome == KV_HTTP_DROPPED)
    return kv_error_set(error, KAVRO_ERR_TRANSPORT,
                        "connection closed without a reply");
  if (response->outcome == KV_HTTP_TIMED_OUT)
    return kv_error_set(error, KAVRO_ERR_TIMED_OUT, "no reply within %ld ms",
                        t->timeout_ms);
  if (response->body_length > t->max_bytes)
    return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                        "reply larger than response.max.bytes (%zu)",
                        t->max_bytes);
  return KAVRO_OK;
}

/* Turn a non-2xx reply into @error: the registry's error_code when the body
 * carries one, else KAVRO_ERR_HTTP.  The registry's message is scrubbed
 * of the credentials sent: some registries and proxies quote the request
 * headers back. */
static kavro_err_t reply_error(kv_transport_t *t,
                               const kv_http_response_t *response,
                               kavro_error_t *error) {
  int code = 0;
  char *message = NULL;
  if (error)
    error->http_status = response->status;
  if (kv_answer_error(response->body, response->body_length, &code,
                      &message)) {
    if (message)
      kv_transport_scrub(t, message);
    if (error)
      error->registry_code = code;
    kv_error_set(error, (kavro_err_t)code, "%d %s", code,
                 message ? message : "");
    free(message);
    return (kavro_err_t)code;
  }
  return kv_error_set(error, KAVRO_ERR_HTTP, "HTTP status %d",
                      response->status);
}

static kv_attempt_t classify(kavro_err_t err, const kv_http_response_t *r,
                             bool refreshable) {
  if (err == KAVRO_ERR_TRANSPORT || err == KAVRO_ERR_TIMED_OUT)
    return ATTEMPT_FAILOVER;
  if (err != KAVRO_OK)
    return ATTEMPT_FINAL;
  if (r->status >= 200 && r->status < 300)
    return ATTEMPT_OK;
  if (r->status >= 500)
    return ATTEMPT_FAILOVER;
  if (r->status == 429)
    return ATTEMPT_THROTTLED;
  if (r->status == 401 && refreshable)
    return ATTEMPT_UNAUTHORIZED;
  return ATTEMPT_FINAL;
}

/* The endpoint label of the metrics (KV_EP_UNCOUNTED: the DEK
 * registry's). */
static const char *endpoint_name(kavro_registry_endpoint_t endpoint) {
  static const char *const names[KAVRO_REGISTRY_EP_COUNT] = {
      [KAVRO_REGISTRY_EP_REGISTER] = "register",
      [KAVRO_REGISTRY_EP_LOOKUP] = "lookup",
      [KAVRO_REGISTRY_EP_SCHEMA_BY_ID] = "schema_by_id",
      [KAVRO_REGISTRY_EP_VERSION] = "version",
      [KAVRO_REGISTRY_EP_VERSIONS] = "versions",
      [KAVRO_REGISTRY_EP_SUBJECTS] = "subjects",
      [KAVRO_REGISTRY_EP_DELETE_SUBJECT] = "delete_subject",
      [KAVRO_REGISTRY_EP_DELETE_VERSION] = "delete_version",
      [KAVRO_REGISTRY_EP_CONFIG] = "config",
      [KAVRO_REGISTRY_EP_MODE] = "mode",
      [KAVRO_REGISTRY_EP_COMPATIBILITY] = "compatibility",
      [KAVRO_REGISTRY_EP_SCHEMA_BY_GUID] = "schema_by_guid",
      [KAVRO_REGISTRY_EP_CONTEXTS] = "contexts",
      [KAVRO_REGISTRY_EP_ASSOCIATIONS] = "associations",
  };
  return endpoint < KAVRO_REGISTRY_EP_COUNT ? names[endpoint] : "dek";
}

/* One HTTP exchange in the metrics: by endpoint and status ("error" when
 * nothing came back), and its time.  Network-bound: the lookups cost
 * nothing beside it. */
static void count_exchange(const kv_call_t *call, kavro_err_t err,
                           const kv_http_response_t *response,
                           const struct timespec *start) {
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  const char *endpoint = endpoint_name(call->endpoint);
  char status[16] = "error";
  if (err == KAVRO_OK && response->status > 0)
    snprintf(status, sizeof(status), "%d", response->status);
  kv_metric_inc(kv_metric(KV_M_REGISTRY_REQUESTS, endpoint, status));
  kavro_metric_observe(kv_metric(KV_M_REGISTRY_DURATION, endpoint),
                       (double)(end.tv_sec - start->tv_sec) +
                           (double)(end.tv_nsec - start->tv_nsec) / 1e9);
}

/* One attempt on URL @index; @error gets what failed.  With a refreshable
 * token, @*generation names the token sent; on entry, a non-zero one is a
 * token a 401 refused. */
static kv_attempt_t attempt(kv_transport_t *t, size_t index,
                            const kv_call_t *call, uint64_t *generation,
                            kv_http_response_t *response,
                            kavro_error_t *error) {
  const kv_url_t *url = &t->urls[index];
  kv_http_response_clear(response);
  kv_error_clear(error);
  char *auth = NULL;
  kavro_err_t err = KAVRO_OK;
  if (t->bearer_cb)
    err = bearer_header(t, *generation, &auth, generation, error);
  else if (t->url_auth)
    auth = url->basic_auth ? strdup(url->basic_auth) : NULL;
  else if (t->static_auth)
    auth = strdup(t->static_auth);
  if (err != KAVRO_OK)
    return ATTEMPT_FINAL;
  kv_stat_add(&t->stats->http_attempts);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  err = url->mock_scope ? mock_attempt(t, url, call, auth, response, error)
                        : curl_attempt(t, url, call, auth, response, error);
  count_exchange(call, err, response, &start);
  kv_free_secret(auth);
  kv_attempt_t outcome = classify(err, response, t->bearer_cb != NULL);
  if (err == KAVRO_OK && outcome != ATTEMPT_OK)
    reply_error(t, response, error);
  return outcome;
}

/* Try each URL once, from the preferred one on. */
static kv_attempt_t round_of_urls(kv_transport_t *t, const kv_call_t *call,
                                  kv_http_response_t *response,
                                  kavro_error_t *error, size_t *urlp) {
  size_t first = atomic_load(&t->preferred);
  kv_attempt_t outcome = ATTEMPT_FINAL;
  for (size_t k = 0; k < t->url_count; k++) {
    size_t index = (first + k) % t->url_count;
    if (k > 0)
      kv_stat_add(&t->stats->failovers);
    *urlp = index;
    uint64_t generation = 0;
    outcome = attempt(t, index, call, &generation, response, error);
    if (outcome == ATTEMPT_UNAUTHORIZED)
      outcome = attempt(t, index, call, &generation, response, error);
    if (outcome == ATTEMPT_UNAUTHORIZED)
      outcome = ATTEMPT_FINAL;
    if (outcome != ATTEMPT_FAILOVER) {
      if (outcome == ATTEMPT_OK)
        atomic_store(&t->preferred, index);
      break;
    }
  }
  return outcome;
}

static unsigned jitter_seed(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned)ts.tv_nsec ^ (unsigned)kv_thread_slot() * 2654435761u;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* The wait before retry number @retry (0-based). */
static long backoff_ms(const kv_transport_t *t, int retry, int retry_after,
                       unsigned *seed) {
  if (retry_after >= 0) {
    long ms = (long)retry_after * 1000;
    return ms < t->max_wait_ms ? ms : t->max_wait_ms;
  }
  long wait = t->wait_ms;
  for (int i = 0; i < retry && wait < t->max_wait_ms; i++)
    wait *= 2;
  if (wait > t->max_wait_ms)
    wait = t->max_wait_ms;
  /* Jitter in [wait/2, wait] spreads clients that failed together. */
  long half = wait / 2;
  return half + (half ? (long)(rand_r(seed) % (unsigned)(half + 1)) : 0);
}

kavro_err_t kv_transport_call(kv_transport_t *t, const kv_call_t *call,
                              kv_http_response_t *response,
                              kavro_error_t *error) {
  kavro_error_t local;
  kavro_error_t *e = error ? error : &local;
  memset(response, 0, sizeof(*response));
  response->retry_after_seconds = -1;
  if (call->endpoint < KAVRO_REGISTRY_EP_COUNT)
    kv_stat_add(&t->stats->requests[call->endpoint]);
  unsigned seed = jitter_seed();
  size_t url = 0;
  kv_attempt_t outcome = ATTEMPT_FINAL;
  for (int retry = 0;; retry++) {
    outcome = round_of_urls(t, call, response, e, &url);
    if (outcome == ATTEMPT_OK || outcome == ATTEMPT_FINAL ||
        retry >= t->max_retries)
      break;
    kv_stat_add(&t->stats->retries);
    sleep_ms(backoff_ms(
        t, retry,
        outcome == ATTEMPT_THROTTLED ? response->retry_after_seconds : -1,
        &seed));
  }
  if (outcome == ATTEMPT_OK)
    return KAVRO_OK;
  kv_stat_add(&t->stats->errors);
  kv_http_response_clear(response);
  /* Say where and what: the URL (no credentials) and the request. */
  char text[KAVRO_ERROR_TEXT_LENGTH];
  snprintf(text, sizeof(text), "%s", e->text);
  kv_error_set(e, e->code, "%s %s%s%s: %s", call->method, call->path,
               call->query ? "?" : "", call->query ? call->query : "", text);
  kv_error_set_source(e, t->urls[url].base);
  kv_transport_scrub_error(t, e);
  return e->code;
}

/* ---- paths -------------------------------------------------------------- */

/* Append @s with every byte outside the unreserved set and @keep
 * percent-encoded. */
static void percent_encode(kv_strbuf_t *sb, const char *s, const char *keep) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || strchr("-._~", *p) || strchr(keep, *p))
      kv_strbuf_putc(sb, (char)*p);
    else
      kv_strbuf_printf(sb, "%%%02X", *p);
  }
}

void kv_path_segment(kv_strbuf_t *sb, const char *s) {
  /* RFC 3986 pchar: sub-delims, ':' and '@' stay as they are; '/', '?',
   * '#', '%', space, controls and non-ASCII bytes are encoded. */
  percent_encode(sb, s, "!$&'()*+,;=:@");
}

void kv_form_value(kv_strbuf_t *sb, const char *s) { percent_encode(sb, s, ""); }

void kv_query_value(kv_strbuf_t *sb, const char *s) {
  /* As a path segment, but '&', '=', '+' and ';' would split or change
   * the query as servers parse it. */
  percent_encode(sb, s, "!$'()*,:@/");
}

/* ---- credentials in registry text ---------------------------------------- */

/* Mask every occurrence of @secret in @text in place, matched without case
 * (percent-encodings differ in the case of their hex digits). */
static void mask_secret(char *text, const char *secret) {
  size_t length = strlen(secret);
  if (length == 0)
    return;
  for (char *p = text; *p;) {
    if (strncasecmp(p, secret, length) == 0) {
      memset(p, '*', length);
      p += length;
    } else {
      p++;
    }
  }
}

void kv_mask_secret_forms(char *text, const char *secret) {
  mask_secret(text, secret);
  kv_strbuf_t encoded = KV_STRBUF_INIT;
  percent_encode(&encoded, secret, "");
  if (encoded.data && !kv_strbuf_failed(&encoded)) {
    mask_secret(text, encoded.data);
    memset(encoded.data, 0, encoded.length);
  }
  kv_strbuf_free(&encoded);
}

/* Mask what Authorization value @auth ("Basic B64" or "Bearer TOKEN")
 * carries: the token, and for basic auth the decoded USER:PASSWORD and the
 * password alone. */
static void mask_authorization(char *text, const char *auth) {
  const char *token = auth ? strchr(auth, ' ') : NULL;
  if (!token)
    return;
  token++;
  kv_mask_secret_forms(text, token);
  if (strncmp(auth, "Basic ", 6) != 0)
    return;
  size_t length = strlen(token);
  unsigned char *user_info = calloc(1, length / 4 * 3 + 4);
  if (!user_info)
    return;
  if (EVP_DecodeBlock(user_info, (const unsigned char *)token, (int)length) >
      0) {
    kv_mask_secret_forms(text, (const char *)user_info);
    const char *password = strchr((const char *)user_info, ':');
    if (password)
      kv_mask_secret_forms(text, password + 1);
  }
  memset(user_info, 0, length / 4 * 3 + 4);
  free(user_info);
}

void kv_transport_scrub(kv_transport_t *t, char *text) {
  mask_authorization(text, t->static_auth);
  for (size_t i = 0; i < t->url_count; i++)
    mask_authorization(text, t->urls[i].basic_auth);
  pthread_mutex_lock(&t->bearer.lock);
  mask_authorization(text, t->bearer.auth);
  pthread_mutex_unlock(&t->bearer.lock);
  kv_oauth_scrub(t->oauth, text);
}

void kv_transport_scrub_error(kv_transport_t *t, kavro_error_t *error) {
  if (!error)
    return;
  kv_transport_scrub(t, error->text);
  kv_transport_scrub(t, error->source);
  kv_transport_scrub(t, error->path);
}
