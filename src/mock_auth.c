/*
 * kavro - authentication in the mock registry, for tests of clients'
 * credentials: the registry may require HTTP basic auth (one USER:PASSWORD)
 * or a bearer token, and serves an OAuth 2.0 token endpoint
 * (POST /oauth/token, client-credentials grant) whose tokens it accepts
 * until they expire.
 *
 * Tokens are JWTs with the claims a client checks (sub, scope, exp, iat)
 * and no signature ("alg": "none"): the mock trusts only the tokens it
 * remembers having issued, never what a token says of itself.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common_strbuf_int.h"
#include "common_text_int.h"
#include "mock_int.h"

/* Tokens remembered (the oldest are forgotten first, and then refused). */
#define ISSUED_CAPACITY 1024u

typedef struct issued_s {
  char *token;
  int64_t expires_ms; /* monotonic */
} issued_t;

struct kv_mock_auth_s {
  pthread_mutex_t lock;
  char *basic;          /* the whole "Basic ..." value required, or NULL */
  bool bearer;          /* a token issued here is required */
  bool serving;         /* POST /oauth/token answers */
  char *client_id;      /* required at the token endpoint; NULL: any */
  char *client_secret;
  unsigned lifetime_seconds;
  uint64_t issued_total;
  issued_t issued[ISSUED_CAPACITY];
  size_t issued_next; /* ring position */
};

static int64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

kv_mock_auth_t *kv_mock_auth_new(void) {
  kv_mock_auth_t *auth = calloc(1, sizeof(*auth));
  if (auth)
    pthread_mutex_init(&auth->lock, NULL);
  return auth;
}

void kv_mock_auth_free(kv_mock_auth_t *auth) {
  if (!auth)
    return;
  free(auth->basic);
  free(auth->client_id);
  free(auth->client_secret);
  for (size_t i = 0; i < ISSUED_CAPACITY; i++)
    free(auth->issued[i].token);
  pthread_mutex_destroy(&auth->lock);
  free(auth);
}

/* Replace *@slot by a copy of @value (NULL: none); false on OOM. */
static bool replace(char **slot, char *value, const char *source) {
  if (source && !value)
    return false;
  free(*slot);
  *slot = value;
  return true;
}

kavro_err_t kv_mock_auth_basic(kv_mock_auth_t *auth, const char *user_info) {
  char *b64 = user_info ? kv_base64(user_info, strlen(user_info)) : NULL;
  char *header = b64 ? malloc(strlen(b64) + sizeof("Basic ")) : NULL;
  if (header)
    sprintf(header, "Basic %s", b64);
  free(b64);
  pthread_mutex_lock(&auth->lock);
  bool ok = replace(&auth->basic, header, user_info);
  pthread_mutex_unlock(&auth->lock);
  return ok ? KAVRO_OK : KAVRO_ERR_NOMEM;
}

void kv_mock_auth_bearer(kv_mock_auth_t *auth, bool required) {
  pthread_mutex_lock(&auth->lock);
  auth->bearer = required;
  pthread_mutex_unlock(&auth->lock);
}

kavro_err_t kv_mock_auth_serve_tokens(kv_mock_auth_t *auth,
                                      const char *client_id,
                                      const char *client_secret,
                                      unsigned lifetime_seconds) {
  char *id = client_id ? strdup(client_id) : NULL;
  char *secret = client_id ? strdup(client_secret ? client_secret : "") : NULL;
  if (client_id && (!id || !secret)) {
    free(id);
    free(secret);
    return KAVRO_ERR_NOMEM;
  }
  pthread_mutex_lock(&auth->lock);
  free(auth->client_id);
  free(auth->client_secret);
  auth->client_id = id;
  auth->client_secret = secret;
  auth->lifetime_seconds = lifetime_seconds;
  auth->serving = lifetime_seconds > 0;
  pthread_mutex_unlock(&auth->lock);
  return KAVRO_OK;
}

uint64_t kv_mock_auth_tokens_issued(kv_mock_auth_t *auth) {
  pthread_mutex_lock(&auth->lock);
  uint64_t n = auth->issued_total;
  pthread_mutex_unlock(&auth->lock);
  return n;
}

bool kv_mock_auth_serving(kv_mock_auth_t *auth) {
  pthread_mutex_lock(&auth->lock);
  bool serving = auth->serving;
  pthread_mutex_unlock(&auth->lock);
  return serving;
}

/* Whether @token is one issued here that has not expired.  Needs `lock`. */
static bool token_valid(const kv_mock_auth_t *auth, const char *token) {
  int64_t now = monotonic_ms();
  for (size_t i = 0; i < ISSUED_CAPACITY; i++)
    if (auth->issued[i].token && now < auth->issued[i].expires_ms &&
        strcmp(auth->issued[i].token, token) == 0)
      return true;
  return false;
}

bool kv_mock_auth_allows(kv_mock_auth_t *auth, const char *authorization) {
  pthread_mutex_lock(&auth->lock);
  bool allowed = !auth->basic && !auth->bearer;
  if (!allowed && authorization) {
    if (auth->basic)
      allowed = strcmp(authorization, auth->basic) == 0;
    if (!allowed && auth->bearer && strncmp(authorization, "Bearer ", 7) == 0)
      allowed = token_valid(auth, authorization + 7);
  }
  pthread_mutex_unlock(&auth->lock);
  return allowed;
}

/* ---- the token endpoint ------------------------------------------------- */

/* The percent-decoded value of form field @name in @body, or NULL. */
static char *form_field(const char *body, size_t length, const char *name) {
  size_t name_length = strlen(name);
  const char *end = body + length;
  for (const char *p = body; p < end;) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    if ((size_t)(stop - p) > name_length && p[name_length] == '=' &&
        strncmp(p, name, name_length) == 0) {
      kv_strbuf_t value = KV_STRBUF_INIT;
      kv_strbuf_puts(&value, "");
      const char *v = p + name_length + 1;
      kv_strbuf_put_percent_decoded(&value, v, (size_t)(stop - v), true);
      return kv_strbuf_steal(&value);
    }
    p = stop + 1;
  }
  return NULL;
}

/* Whether @id and @secret (@id_length and @secret_length bytes, decoded)
 * are the configured client's.  Needs `lock`. */
static bool client_is(const kv_mock_auth_t *auth, const char *id,
                      size_t id_length, const char *secret,
                      size_t secret_length) {
  return id_length == strlen(auth->client_id) &&
         memcmp(id, auth->client_id, id_length) == 0 &&
         secret_length == strlen(auth->client_secret) &&
         memcmp(secret, auth->client_secret, secret_length) == 0;
}

/* Whether @authorization is "Basic B64(ENC(ID):ENC(SECRET))" for the
 * configured client (RFC 6749 2.3.1).  Needs `lock`. */
static bool basic_client_ok(const kv_mock_auth_t *auth,
                            const char *authorization) {
  if (strncmp(authorization, "Basic ", 6) != 0)
    return false;
  const char *b64 = authorization + 6;
  size_t length = strlen(b64);
  if (length == 0 || length % 4 || length > 4096)
    return false;
  unsigned char *raw = calloc(1, length);
  bool ok = false;
  if (raw && EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)length) > 0) {
    const char *colon = strchr((char *)raw, ':');
    if (colon) {
      kv_strbuf_t id = KV_STRBUF_INIT, secret = KV_STRBUF_INIT;
      const char *user_info = (const char *)raw;
      kv_strbuf_puts(&id, "");
      kv_strbuf_puts(&secret, "");
      kv_strbuf_put_percent_decoded(&id, user_info,
                                    (size_t)(colon - user_info), true);
      kv_strbuf_put_percent_decoded(&secret, colon + 1, strlen(colon + 1),
                                    true);
      ok = !kv_strbuf_failed(&id) && !kv_strbuf_failed(&secret) &&
           client_is(auth, id.data, id.length, secret.data, secret.length);
      kv_strbuf_free(&id);
      kv_strbuf_free(&secret);
    }
  }
  free(raw);
  return ok;
}

/* How the client authenticates at the token endpoint (RFC 6749 2.3.1):
 * HTTP basic auth, or client_id and client_secret in the form, as real
 * OAuth servers accept both; never both at once (400). */
typedef enum client_auth_e { CLIENT_OK, CLIENT_REFUSED, CLIENT_TWO_WAYS } client_auth_t;

/* Needs `lock`. */
static client_auth_t client_auth(const kv_mock_auth_t *auth,
                                 const char *authorization, const char *form_id,
                                 const char *form_secret) {
  bool in_form = form_id || form_secret;
  if (authorization && in_form)
    return CLIENT_TWO_WAYS;
  if (!auth->client_id)
    return CLIENT_OK;
  if (authorization)
    return basic_client_ok(auth, authorization) ? CLIENT_OK : CLIENT_REFUSED;
  if (form_id && form_secret &&
      client_is(auth, form_id, strlen(form_id), form_secret,
                strlen(form_secret)))
    return CLIENT_OK;
  return CLIENT_REFUSED;
}

static char *base64url_json(json_t *json) {
  char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
  char *b64 = text ? kv_base64(text, strlen(text)) : NULL;
  free(text);
  if (!b64)
    return NULL;
  size_t n = strlen(b64);
  while (n && b64[n - 1] == '=')
    b64[--n] = '\0';
  for (char *p = b64; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return b64;
}

/* A new JWT for @subject and @scope (NULL: none).  Needs `lock`. */
static char *new_token(kv_mock_auth_t *auth, const char *subject,
                       const char *scope) {
  time_t now = time(NULL);
  json_t *header = json_pack("{s:s, s:s}", "alg", "none", "typ", "JWT");
  json_t *claims = json_pack(
      "{s:s, s:I, s:I, s:I}", "sub", subject, "iat", (json_int_t)now, "exp",
      /* a second later than the mock's own expiry: clients go by
       * expires_in, exact to the second, and the earlier of the two */
      (json_int_t)now + auth->lifetime_seconds + 1, "jti",
      (json_int_t)auth->issued_total + 1);
  if (claims && scope)
    json_object_set_new(claims, "scope", json_string(scope));
  char *h = base64url_json(header), *c = base64url_json(claims);
  json_decref(header);
  json_decref(claims);
  char *token = NULL;
  if (h && c && (token = malloc(strlen(h) + strlen(c) + sizeof("..mock"))))
    sprintf(token, "%s.%s.mock", h, c);
  free(h);
  free(c);
  return token;
}

static void oauth_error(kv_reply_t *reply, int status, const char *code,
                        const char *description) {
  kv_reply_json(reply, json_pack("{s:s, s:s}", "error", code,
                                 "error_description", description));
  if (reply->status == 200)
    reply->status = status;
}

void kv_mock_auth_token(kv_mock_auth_t *auth, const kv_http_request_t *request,
                        kv_reply_t *reply) {
  const char *body = request->body ? request->body : "";
  char *grant = form_field(body, request->body_length, "grant_type");
  char *scope = form_field(body, request->body_length, "scope");
  char *id = form_field(body, request->body_length, "client_id");
  char *secret = form_field(body, request->body_length, "client_secret");
  pthread_mutex_lock(&auth->lock);
  client_auth_t client = client_auth(auth, request->authorization, id, secret);
  if (client == CLIENT_TWO_WAYS) {
    oauth_error(reply, 400, "invalid_request",
                "more than one client authentication method");
  } else if (client == CLIENT_REFUSED) {
    oauth_error(reply, 401, "invalid_client", "client authentication failed");
  } else if (!grant || strcmp(grant, "client_credentials") != 0) {
    oauth_error(reply, 400, "unsupported_grant_type",
                "only client_credentials is served");
  } else {
    char *token = new_token(auth, auth->client_id ? auth->client_id
                                                  : "mock-client",
                            scope);
    if (token) {
      issued_t *slot = &auth->issued[auth->issued_next];
      free(slot->token);
      slot->token = token;
      slot->expires_ms =
          monotonic_ms() + (int64_t)auth->lifetime_seconds * 1000;
      auth->issued_next = (auth->issued_next + 1) % ISSUED_CAPACITY;
      auth->issued_total++;
    }
    kv_reply_json(reply, token ? json_pack("{s:s, s:s, s:I}", "access_token",
                                           token, "token_type", "Bearer",
                                           "expires_in",
                                           (json_int_t)auth->lifetime_seconds)
                               : NULL);
  }
  pthread_mutex_unlock(&auth->lock);
  free(grant);
  free(scope);
  free(id);
  if (secret)
    memset(secret, 0, strlen(secret));
  free(secret);
}
