/*
 * kavro - OAuth 2.0 client credentials for the registry client
 * (`bearer.auth.credentials.source` OAUTHBEARER, or SASL_OAUTHBEARER_INHERIT
 * with the Kafka client's sasl.oauthbearer.* settings where the
 * bearer.auth.* ones are empty), as Confluent's Java
 * client asks for them: a POST of `grant_type=client_credentials` (and
 * `scope` when set) to `bearer.auth.issuer.endpoint.url`, with the client
 * id and secret, each percent-encoded, as HTTP basic auth.  The reply's
 * `access_token` is the token; it expires at the JWT's `exp` claim or
 * after the reply's `expires_in`, whichever comes first.  A JWT must name
 * its subject (`bearer.auth.sub.claim.name`), as the Java client's
 * validator demands.
 *
 * kv_oauth_fetch() is the token source behind the transport's token cache
 * (registry_http.c), the same cache a CUSTOM callback feeds: caching,
 * refresh ahead of expiry, one fetch at a time and the refetch after a 401
 * live there.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common_conf_int.h"
#include "common_error_int.h"
#include "common_text_int.h"
#include "common_strbuf_int.h"
#include "registry_int.h"

/* Bound on the token endpoint's reply. */
#define OAUTH_MAX_REPLY (1024u * 1024u)

struct kv_oauth_s {
  kv_transport_t *transport;
  char *url;
  char *authorization; /* "Authorization: Basic ..." */
  char *secret;        /* to mask in the issuer's words */
  char *body;          /* the form: grant_type and scope */
  char *scope_claim;
  char *sub_claim;
};

/* "Authorization: Basic BASE64(ENC(ID):ENC(SECRET))", as the Java client
 * (Kafka's HttpAccessTokenRetriever) sends it. */
static char *client_authorization(const char *id, const char *secret) {
  kv_strbuf_t user_info = KV_STRBUF_INIT;
  kv_form_value(&user_info, id);
  kv_strbuf_putc(&user_info, ':');
  kv_form_value(&user_info, secret);
  char *b64 = kv_strbuf_failed(&user_info)
                  ? NULL
                  : kv_base64(user_info.data, user_info.length);
  if (user_info.data)
    memset(user_info.data, 0, user_info.capacity);
  kv_strbuf_free(&user_info);
  char *line = b64 ? malloc(strlen(b64) + sizeof("Authorization: Basic "))
                   : NULL;
  if (line)
    sprintf(line, "Authorization: Basic %s", b64);
  kv_free_secret(b64);
  return line;
}

static char *grant_form(const char *scope) {
  kv_strbuf_t form = KV_STRBUF_INIT;
  kv_strbuf_puts(&form, "grant_type=client_credentials");
  if (*scope) {
    kv_strbuf_puts(&form, "&scope=");
    kv_form_value(&form, scope);
  }
  return kv_strbuf_steal(&form);
}

const char *kv_oauth_setting(const kavro_conf_t *conf, const char *key,
                             kv_sasl_oauth_t inherited) {
  const char *own = kv_conf_str(conf, key);
  const char *kafka = kv_conf_sasl_oauth(conf, inherited);
  bool inherit = strcmp(kv_conf_str(conf, "bearer.auth.credentials.source"),
                        "SASL_OAUTHBEARER_INHERIT") == 0;
  return *own || !inherit || !kafka ? own : kafka;
}

kavro_err_t kv_oauth_new(const kavro_conf_t *conf, kv_transport_t *transport,
                         kv_oauth_t **oauthp, kavro_error_t *error) {
  *oauthp = NULL;
  const char *source = kv_conf_str(conf, "bearer.auth.credentials.source");
  const char *url = kv_oauth_setting(conf, "bearer.auth.issuer.endpoint.url",
                                     KV_SASL_OAUTH_URL);
  const char *id =
      kv_oauth_setting(conf, "bearer.auth.client.id", KV_SASL_OAUTH_CLIENT_ID);
  const char *secret = kv_oauth_setting(conf, "bearer.auth.client.secret",
                                        KV_SASL_OAUTH_CLIENT_SECRET);
  const char *scope =
      kv_oauth_setting(conf, "bearer.auth.scope", KV_SASL_OAUTH_SCOPE);
  if (strncasecmp(url, "http://", 7) != 0 &&
      strncasecmp(url, "https://", 8) != 0)
    return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                        "bearer.auth.credentials.source is %s but the token "
                        "endpoint (bearer.auth.issuer.endpoint.url%s) is not "
                        "an http:// or https:// URL",
                        source,
                        strcmp(source, "OAUTHBEARER") == 0
                            ? ""
                            : ", or the Kafka client's "
                              "sasl.oauthbearer.token.endpoint.url");
  if (!*id || !*secret)
    return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                        "bearer.auth.credentials.source is %s but the client "
                        "id or secret (bearer.auth.client.id, "
                        "bearer.auth.client.secret%s) is empty",
                        source,
                        strcmp(source, "OAUTHBEARER") == 0
                            ? ""
                            : ", or the Kafka client's "
                              "sasl.oauthbearer.client.id and .client.secret");
  kv_oauth_t *o = calloc(1, sizeof(*o));
  if (!o)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  o->transport = transport;
  o->url = strdup(url);
  o->authorization = client_authorization(id, secret);
  o->secret = strdup(secret);
  o->body = grant_form(scope);
  o->scope_claim = strdup(kv_conf_str(conf, "bearer.auth.scope.claim.name"));
  o->sub_claim = strdup(kv_conf_str(conf, "bearer.auth.sub.claim.name"));
  if (!o->url || !o->authorization || !o->secret || !o->body ||
      !o->scope_claim || !o->sub_claim) {
    kv_oauth_destroy(o);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  *oauthp = o;
  return KAVRO_OK;
}

void kv_oauth_destroy(kv_oauth_t *o) {
  if (!o)
    return;
  free(o->url);
  kv_free_secret(o->authorization);
  kv_free_secret(o->secret);
  free(o->body);
  free(o->scope_claim);
  free(o->sub_claim);
  free(o);
}

void kv_oauth_scrub(const kv_oauth_t *o, char *text) {
  if (o)
    kv_mask_secret_forms(text, o->secret);
}

/* ---- the reply ---------------------------------------------------------- */

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The JSON object in the base64url text @b64 (@length bytes), or NULL. */
static json_t *base64url_json(const char *b64, size_t length) {
  if (length == 0 || length > KAVRO_BEARER_TOKEN_MAX)
    return NULL;
  char *std = malloc(length + 4);
  unsigned char *raw = malloc(length + 4);
  json_t *json = NULL;
  if (std && raw) {
    for (size_t i = 0; i < length; i++)
      std[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
    size_t padded = length;
    while (padded % 4)
      std[padded++] = '=';
    int n = EVP_DecodeBlock(raw, (unsigned char *)std, (int)padded);
    if (n >= 0) {
      size_t used = (size_t)n - (padded - length); /* less the padding */
      json = json_loadb((const char *)raw, used, JSON_REJECT_DUPLICATES, NULL);
      if (json && !json_is_object(json)) {
        json_decref(json);
        json = NULL;
      }
    }
  }
  free(std);
  free(raw);
  return json;
}

/* A scope claim is a string or an array of strings. */
static bool scope_claim_ok(const json_t *claim) {
  if (!claim || json_is_string(claim))
    return true;
  if (!json_is_array(claim))
    return false;
  size_t i;
  json_t *item;
  json_array_foreach(claim, i, item) if (!json_is_string(item)) return false;
  return true;
}

/* When @token is a JWT (three base64url parts, the middle one a JSON
 * object), check its claims as the Java client does and lower @*expiresp
 * to its `exp`.  Tokens of another shape are opaque: left alone. */
static kavro_err_t check_jwt(const kv_oauth_t *o, const char *token,
                             int64_t *expiresp, kavro_error_t *error) {
  const char *dot1 = strchr(token, '.');
  const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  if (!dot2 || strchr(dot2 + 1, '.'))
    return KAVRO_OK;
  json_t *claims = base64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  if (!claims)
    return KAVRO_OK;
  kavro_err_t err = KAVRO_OK;
  json_t *exp = json_object_get(claims, "exp");
  const json_t *sub = json_object_get(claims, o->sub_claim);
  if (exp && (!json_is_number(exp) || json_number_value(exp) <= 0 ||
              json_number_value(exp) > 1e11))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "the access token's \"exp\" claim is not a time");
  else if (!json_is_string(sub) || !*json_string_value(sub))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "the access token has no \"%.64s\" claim "
                       "(bearer.auth.sub.claim.name)",
                       o->sub_claim);
  else if (!scope_claim_ok(json_object_get(claims, o->scope_claim)))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "the access token's \"%.64s\" claim is neither a "
                       "string nor a list of strings "
                       "(bearer.auth.scope.claim.name)",
                       o->scope_claim);
  if (err == KAVRO_OK && exp) {
    int64_t exp_ms = (int64_t)(json_number_value(exp) * 1000);
    if (!*expiresp || exp_ms < *expiresp)
      *expiresp = exp_ms;
  }
  json_decref(claims);
  return err;
}

/* A token travels in a header: visible ASCII only. */
static bool token_chars_ok(const char *token) {
  for (const unsigned char *p = (const unsigned char *)token; *p; p++)
    if (*p < 0x21 || *p > 0x7e)
      return false;
  return true;
}

/* Take the token and its expiry out of a 2xx reply. */
static kavro_err_t read_token(const kv_oauth_t *o,
                              const kv_http_response_t *response, char *token,
                              size_t size, int64_t *expiresp,
                              kavro_error_t *error) {
  json_t *reply = json_loadb(response->body, response->body_length, 0, NULL);
  json_t *access = json_object_get(reply, "access_token");
  json_t *expires_in = json_object_get(reply, "expires_in");
  kavro_err_t err = KAVRO_OK;
  if (!json_is_string(access) || !*json_string_value(access))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "the reply has no \"access_token\"");
  else if (strlen(json_string_value(access)) >= size)
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "the access token is longer than %zu bytes",
                       size - 1);
  else if (!token_chars_ok(json_string_value(access)))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "the access token holds characters a header cannot "
                       "carry");
  else if (expires_in && (!json_is_number(expires_in) ||
                          json_number_value(expires_in) < 0 ||
                          json_number_value(expires_in) > 1e9))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "\"expires_in\" is not a number of seconds");
  if (err == KAVRO_OK) {
    *expiresp = expires_in ? wall_ms() + (int64_t)(json_number_value(
                                              expires_in) * 1000)
                           : 0;
    err = check_jwt(o, json_string_value(access), expiresp, error);
  }
  if (err == KAVRO_OK)
    strcpy(token, json_string_value(access));
  json_decref(reply);
  return err;
}

/* A refusal in words: the status, and the issuer's `error` and
 * `error_description` (RFC 6749 5.2) when it gave them. */
static kavro_err_t refusal(const kv_oauth_t *o,
                           const kv_http_response_t *response,
                           kavro_error_t *error) {
  int status = response->status;
  kavro_err_t code = status == 403               ? KAVRO_ERR_FORBIDDEN
                     : status == 400 || status == 401 ? KAVRO_ERR_UNAUTHORIZED
                                                      : KAVRO_ERR_HTTP;
  json_t *reply = json_loadb(response->body, response->body_length, 0, NULL);
  const char *what = json_string_value(json_object_get(reply, "error"));
  const char *why =
      json_string_value(json_object_get(reply, "error_description"));
  kv_error_set(error, code, "HTTP status %d%s%.64s%s%.200s", status,
               what ? ": " : "", what ? what : "", why ? ": " : "",
               why ? why : "");
  json_decref(reply);
  if (error) {
    error->http_status = status;
    kv_oauth_scrub(o, error->text);
  }
  return code;
}

/* ---- the request -------------------------------------------------------- */

static struct curl_slist *grant_headers(const kv_oauth_t *o) {
  static const char *const fixed[] = {
      "Content-Type: application/x-www-form-urlencoded",
      "Accept: application/json", "Expect:"};
  struct curl_slist *h = curl_slist_append(NULL, o->authorization);
  for (size_t i = 0; h && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
    struct curl_slist *more = curl_slist_append(h, fixed[i]);
    if (!more) {
      curl_slist_free_all(h);
      return NULL;
    }
    h = more;
  }
  return h;
}

kavro_err_t kv_oauth_fetch(void *opaque, char *token, size_t size,
                           int64_t *expires_at_ms, kavro_error_t *error) {
  kv_oauth_t *o = opaque;
  CURL *curl = curl_easy_init();
  struct curl_slist *headers = curl ? grant_headers(o) : NULL;
  kv_http_response_t response = {0};
  kavro_err_t err = KAVRO_OK;
  if (!headers) {
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  } else {
    curl_easy_setopt(curl, CURLOPT_URL, o->url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, o->body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    err = kv_curl_perform(o->transport, curl, OAUTH_MAX_REPLY, &response,
                          error);
  }
  if (err == KAVRO_OK && (response.status < 200 || response.status > 299))
    err = refusal(o, &response, error);
  else if (err == KAVRO_OK)
    err = read_token(o, &response, token, size, expires_at_ms, error);
  if (err != KAVRO_OK && err != KAVRO_ERR_NOMEM) {
    char text[KAVRO_ERROR_TEXT_LENGTH];
    snprintf(text, sizeof(text), "%s", error ? error->text : "");
    kv_error_set(error, err, "OAuth token endpoint %s: %s", o->url, text);
    if (error)
      kv_oauth_scrub(o, error->text);
  }
  if (response.body)
    memset(response.body, 0, response.body_length); /* it held a token */
  kv_http_response_clear(&response);
  curl_slist_free_all(headers);
  if (curl)
    curl_easy_cleanup(curl);
  return err;
}
