/*
 * kavro - the registry client's DEK registry (/dek-registry/v1): KEKs and
 * DEKs for client-side field-level encryption, as Confluent's DEK
 * registry serves them.
 *
 * Answers are cached as reply texts (kv_blob_t, wiped when the last
 * reference goes) and parsed into a new KEK or DEK for each caller, so
 * that a caller owns its copy and the cache never hands out memory it
 * may free.  Key material is never put into an error text or a log line.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "common_strbuf_int.h"
#include "registry_int.h"

#define DEK_PATH "/dek-registry/v1/keks"

/* The registry's algorithm when a request names none (DekFormat). */
#define DEFAULT_ALGORITHM "AES256_GCM"

/* ---- blobs --------------------------------------------------------------- */

kv_blob_t *kv_blob_new(const char *text, size_t length) {
  kv_blob_t *blob = malloc(sizeof(*blob) + length + 1);
  if (!blob)
    return NULL;
  atomic_init(&blob->refs, 1);
  blob->length = length;
  memcpy(blob->text, text, length);
  blob->text[length] = '\0';
  return blob;
}

kv_blob_t *kv_blob_ref(kv_blob_t *blob) {
  if (blob)
    atomic_fetch_add_explicit(&blob->refs, 1, memory_order_relaxed);
  return blob;
}

void kv_blob_unref(kv_blob_t *blob) {
  if (!blob || atomic_fetch_sub_explicit(&blob->refs, 1,
                                         memory_order_acq_rel) != 1)
    return;
  OPENSSL_cleanse(blob->text, blob->length);
  free(blob);
}

/* ---- the structs --------------------------------------------------------- */

void kavro_kek_destroy(kavro_kek_t *kek) {
  if (!kek)
    return;
  free(kek->name);
  free(kek->kms_type);
  free(kek->kms_key_id);
  free(kek->kms_props);
  free(kek->doc);
  free(kek);
}

void kavro_dek_destroy(kavro_dek_t *dek) {
  if (!dek)
    return;
  free(dek->kek_name);
  free(dek->subject);
  free(dek->algorithm);
  kv_free_secret(dek->encrypted_key_material);
  kv_free_secret(dek->key_material);
  free(dek);
}

/* ---- key material, kept from jansson ------------------------------------ */

/* The closing quote of the JSON string opening at @p, or NULL when it
 * does not close before @end or holds a raw control character.  Escapes
 * are only stepped over here; those of the strings read are checked when
 * they are undone, the others by jansson. */
static const char *string_close(const char *p, const char *end) {
  for (p++; p < end; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"')
      return p;
    if (c < 0x20 || (c == '\\' && ++p == end))
      return NULL;
  }
  return NULL;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The escape at @p (after its backslash; @end bounds it) undone into
 * @*outp, which is set to a byte over 0x7f for a \u escape beyond ASCII;
 * the bytes it took, 0 when it is invalid or stands for NUL. */
static size_t unescape_one(const char *p, const char *end,
                           unsigned char *outp) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  const char *simple = p < end && *p ? strchr(from, *p) : NULL;
  if (simple) {
    *outp = (unsigned char)to[simple - from];
    return 1;
  }
  if (end - p < 5 || *p != 'u')
    return 0;
  unsigned code = 0;
  for (int i = 1; i <= 4; i++) {
    int d = hex_digit(p[i]);
    if (d < 0)
      return 0;
    code = code << 4 | (unsigned)d;
  }
  *outp = code > 0x7f ? 0xff : (unsigned char)code;
  return code ? 5 : 0;
}

/* Whether the JSON string contents @raw (@size bytes) spell @name once
 * their escapes are undone. */
static bool string_is(const char *raw, size_t size, const char *name) {
  const char *p = raw, *end = raw + size;
  for (; p < end; name++) {
    unsigned char c = (unsigned char)*p++;
    if (c == '\\') {
      size_t used = unescape_one(p, end, &c);
      if (!used)
        return false;
      p += used;
    }
    if (!*name || c != (unsigned char)*name)
      return false;
  }
  return !*name;
}

char *kv_json_unescape_ascii(const char *raw, size_t size, bool *nomem) {
  /* An escape never decodes to more bytes than it is written with. */
  char *out = malloc(size + 1);
  *nomem = out == NULL;
  const char *p = raw, *end = raw + size;
  size_t n = 0;
  while (out && p < end) {
    unsigned char c = (unsigned char)*p++;
    if (c == '\\') {
      size_t used = unescape_one(p, end, &c);
      if (!used || c > 0x7f) {
        out[n] = '\0';
        kv_free_secret(out);
        return NULL;
      }
      p += used;
    }
    out[n++] = (char)c;
  }
  if (out)
    out[n] = '\0';
  return out;
}

/* Where kv_json_member_string() stands between a member's name and its
 * value. */
typedef enum { AWAY, AFTER_NAME, AFTER_COLON } member_state_t;

kv_member_scan_t kv_json_member_string(const char *text, size_t length,
                                       const char *name, size_t *offsetp,
                                       size_t *sizep) {
  const char *p = text, *end = text + length;
  size_t depth = 0;
  bool in_object = false, want_name = false, found = false;
  member_state_t state = AWAY;
  for (; p < end; p++) {
    char c = *p;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    if (c == '"') {
      const char *close = string_close(p, end);
      if (!close)
        return KV_MEMBER_MALFORMED;
      size_t size = (size_t)(close - p - 1);
      if (want_name) {
        state = string_is(p + 1, size, name) ? AFTER_NAME : AWAY;
      } else {
        if (state == AFTER_COLON) {
          if (found)
            return KV_MEMBER_MALFORMED;
          found = true;
          *offsetp = (size_t)(p + 1 - text);
          *sizep = size;
        }
        state = AWAY;
      }
      want_name = false;
      p = close;
      continue;
    }
    if (c == ':' && depth == 1 && state == AFTER_NAME) {
      state = AFTER_COLON;
      continue;
    }
    state = AWAY;
    if (c == '{' || c == '[') {
      if (depth++ == 0)
        in_object = want_name = c == '{';
      else
        want_name = false;
    } else if (c == '}' || c == ']') {
      if (depth-- == 0)
        return KV_MEMBER_MALFORMED;
      want_name = false;
    } else if (c == ',') {
      want_name = depth == 1 && in_object;
    }
  }
  if (depth != 0)
    return KV_MEMBER_MALFORMED;
  return found ? KV_MEMBER_STRING : KV_MEMBER_ABSENT;
}

/* The reply @text without the contents of its top-level "keyMaterial"
 * string, into @*maskedp (NULL when it has none; free() it) and
 * @*maskedlengthp, and those contents unescaped into @*secretp (for
 * kv_free_secret()).  The secret bytes are never copied but into
 * @*secretp.  False when the reply is malformed or memory ran out
 * (@*nomem). */
static bool take_key_material(const char *text, size_t length, char **maskedp,
                              size_t *maskedlengthp, char **secretp,
                              bool *nomem) {
  size_t offset = 0, size = 0;
  *maskedp = *secretp = NULL;
  switch (kv_json_member_string(text, length, "keyMaterial", &offset,
                                &size)) {
  case KV_MEMBER_ABSENT:
    return true;
  case KV_MEMBER_MALFORMED:
    return false;
  case KV_MEMBER_STRING:
    break;
  }
  *secretp = kv_json_unescape_ascii(text + offset, size, nomem);
  if (!*secretp)
    return false;
  *maskedlengthp = length - size;
  *maskedp = malloc(*maskedlengthp + 1);
  if (!*maskedp) {
    *nomem = true;
    kv_free_secret(*secretp);
    *secretp = NULL;
    return false;
  }
  memcpy(*maskedp, text, offset);
  memcpy(*maskedp + offset, text + offset + size, length - offset - size);
  (*maskedp)[*maskedlengthp] = '\0';
  return true;
}

/* ---- replies ------------------------------------------------------------- */

/* A copy of the string member @key of @object into @*outp (NULL when
 * absent or null).  False when it is another type, is required and
 * absent, or memory ran out (@*nomem). */
static bool member_text(const json_t *object, const char *key, bool required,
                        char **outp, bool *nomem) {
  const json_t *value = json_object_get(object, key);
  *outp = NULL;
  if (!value || json_is_null(value))
    return !required;
  if (!json_is_string(value))
    return false;
  *outp = strdup(json_string_value(value));
  *nomem = *outp == NULL;
  return *outp != NULL;
}

/* The boolean member @key (false when absent); false for another type. */
static bool member_flag(const json_t *object, const char *key, bool *outp) {
  const json_t *value = json_object_get(object, key);
  *outp = json_is_true(value);
  return !value || json_is_null(value) || json_is_boolean(value);
}

/* The integer member @key (0 when absent); false for another type. */
static bool member_int64(const json_t *object, const char *key,
                         int64_t *outp) {
  const json_t *value = json_object_get(object, key);
  *outp = json_is_integer(value) ? (int64_t)json_integer_value(value) : 0;
  return !value || json_is_null(value) || json_is_integer(value);
}

/* kmsProps: an object of strings, as sorted compact text (NULL when
 * absent). */
static bool member_props(const json_t *object, char **outp, bool *nomem) {
  const json_t *props = json_object_get(object, "kmsProps");
  *outp = NULL;
  if (!props || json_is_null(props))
    return true;
  if (!json_is_object(props))
    return false;
  const char *name;
  const json_t *value;
  json_object_foreach((json_t *)props, name, value) {
    if (!json_is_string(value))
      return false;
  }
  *outp = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS);
  *nomem = *outp == NULL;
  return *outp != NULL;
}

static kavro_err_t malformed(kavro_error_t *error, bool nomem,
                             const char *what) {
  return nomem ? kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory")
               : kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                              "malformed DEK registry reply: not a %s", what);
}

static json_t *load_object(const char *text, size_t length) {
  json_error_t jerr;
  json_t *root = json_loadb(text, length, 0, &jerr);
  if (root && !json_is_object(root)) {
    json_decref(root);
    return NULL;
  }
  return root;
}

kavro_err_t kv_answer_kek(const char *text, size_t length, kavro_kek_t **kekp,
                          kavro_error_t *error) {
  json_t *root = load_object(text, length);
  kavro_kek_t *kek = calloc(1, sizeof(*kek));
  bool nomem = kek == NULL;
  bool ok = root && kek &&
            member_text(root, "name", true, &kek->name, &nomem) &&
            member_text(root, "kmsType", true, &kek->kms_type, &nomem) &&
            member_text(root, "kmsKeyId", true, &kek->kms_key_id, &nomem) &&
            member_props(root, &kek->kms_props, &nomem) &&
            member_text(root, "doc", false, &kek->doc, &nomem) &&
            member_flag(root, "shared", &kek->shared) &&
            member_flag(root, "deleted", &kek->deleted) &&
            member_int64(root, "ts", &kek->ts);
  json_decref(root);
  if (!ok || !kekp) {
    kavro_kek_destroy(kek);
    return ok ? KAVRO_OK : malformed(error, nomem, "KEK");
  }
  *kekp = kek;
  return KAVRO_OK;
}

/* The members of a Dek reply into @dek, but for the key material. */
static bool dek_members(const json_t *root, kavro_dek_t *dek, bool *nomem) {
  int64_t version = 0;
  bool ok = member_text(root, "kekName", true, &dek->kek_name, nomem) &&
            member_text(root, "subject", true, &dek->subject, nomem) &&
            member_int64(root, "version", &version) && version >= 1 &&
            version <= INT32_MAX &&
            member_text(root, "algorithm", false, &dek->algorithm, nomem) &&
            member_text(root, "encryptedKeyMaterial", false,
                        &dek->encrypted_key_material, nomem) &&
            member_flag(root, "deleted", &dek->deleted) &&
            member_int64(root, "ts", &dek->ts);
  dek->version = (int)version;
  if (ok && !dek->algorithm && !(dek->algorithm = strdup(DEFAULT_ALGORITHM)))
    ok = !(*nomem = true);
  return ok;
}

/* The key material, when present, is taken from the raw reply
 * (take_key_material()); jansson parses the rest, and only checks that
 * a keyMaterial it sees (null then) has a type allowed. */
kavro_err_t kv_answer_dek(const char *text, size_t length, kavro_dek_t **dekp,
                          kavro_error_t *error) {
  kavro_dek_t *dek = calloc(1, sizeof(*dek));
  bool nomem = dek == NULL;
  char *masked = NULL, *secret = NULL;
  size_t masked_length = 0;
  bool ok = dek && take_key_material(text, length, &masked, &masked_length,
                                     &secret, &nomem);
  json_t *root = ok ? load_object(masked ? masked : text,
                                  masked ? masked_length : length)
                    : NULL;
  free(masked);
  char *seen = NULL;
  ok = root && dek_members(root, dek, &nomem) &&
       member_text(root, "keyMaterial", false, &seen, &nomem);
  json_decref(root);
  free(seen); /* "" when the secret was taken out, else NULL */
  if (dek)
    dek->key_material = secret;
  else
    kv_free_secret(secret);
  if (!ok || !dekp) {
    kavro_dek_destroy(dek);
    return ok ? KAVRO_OK : malformed(error, nomem, "DEK");
  }
  *dekp = dek;
  return KAVRO_OK;
}

typedef kavro_err_t (*read_fn)(const char *text, size_t length, void *outp,
                               kavro_error_t *error);

static kavro_err_t read_kek_any(const char *text, size_t length, void *outp,
                                kavro_error_t *error) {
  return kv_answer_kek(text, length, outp, error);
}

static kavro_err_t read_dek_any(const char *text, size_t length, void *outp,
                                kavro_error_t *error) {
  return kv_answer_dek(text, length, outp, error);
}

/* ---- requests ------------------------------------------------------------ */

/* Make a request; the reply body is wiped when it is let go
 * (response_release()), since a DEK's may hold key material. */
static kavro_err_t request(kavro_registry_t *reg, const char *method,
                           kv_strbuf_t *path, kv_strbuf_t *query,
                           const char *body, kv_http_response_t *response,
                           kavro_error_t *error) {
  if (kv_strbuf_failed(path) || (query && kv_strbuf_failed(query)))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kv_call_t c = {KV_EP_UNCOUNTED, method, path->data,
                 query && query->length ? query->data : NULL, body};
  return kv_transport_call(kv_registry_transport(reg), &c, response, error);
}

static void response_release(kv_http_response_t *response) {
  if (response->body)
    OPENSSL_cleanse(response->body, response->body_length);
  kv_http_response_clear(response);
}

/* DEK_PATH "/{kek}" */
static void kek_path(kv_strbuf_t *sb, const char *kek_name) {
  kv_strbuf_puts(sb, DEK_PATH "/");
  kv_path_segment(sb, kek_name);
}

/* DEK_PATH "/{kek}/deks/{subject}" */
static void dek_path(kv_strbuf_t *sb, const char *kek_name,
                     const char *subject) {
  kek_path(sb, kek_name);
  kv_strbuf_puts(sb, "/deks/");
  kv_path_segment(sb, subject);
}

static void version_suffix(kv_strbuf_t *sb, int version) {
  if (version != KAVRO_DEK_ALL_VERSIONS)
    kv_strbuf_printf(sb, "/versions/%d", version);
}

static const char *algorithm_or_default(const char *algorithm) {
  return algorithm && *algorithm ? algorithm : DEFAULT_ALGORITHM;
}

/* What a cache miss asks: the request and how its reply is checked. */
typedef struct fetch_args_s {
  kv_strbuf_t *path;
  kv_strbuf_t *query;
  read_fn read;
} fetch_args_t;

/* A kv_fetch_fn: GET the path, check the reply, keep its text. */
static kavro_err_t fetch_reply(kavro_registry_t *reg, const void *opaque,
                               kv_cache_value_t *out, kavro_error_t *error) {
  const fetch_args_t *args = opaque;
  kv_http_response_t response;
  kavro_err_t err =
      request(reg, "GET", args->path, args->query, NULL, &response, error);
  if (err != KAVRO_OK)
    return err;
  err = args->read(response.body, response.body_length, NULL, error);
  if (err == KAVRO_OK &&
      !(out->blob = kv_blob_new(response.body, response.body_length)))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  response_release(&response);
  return err;
}

/* Answer @key from the cache @which or by a GET of @path and @query, into
 * a new struct in @outp made by @read. */
static kavro_err_t cached_get(kavro_registry_t *reg, kv_key_cache_t which,
                              const kv_cache_key_t *key, bool mutable_,
                              kv_strbuf_t *path, kv_strbuf_t *query,
                              read_fn read, void *outp, kavro_error_t *error) {
  kavro_err_t err;
  if (kv_strbuf_failed(path) || kv_strbuf_failed(query) || !key->str)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  else {
    fetch_args_t args = {path, query, read};
    kv_cache_value_t value = {0};
    err = kv_registry_cached_key(reg, which, key, mutable_, fetch_reply,
                                 &args, &value, error);
    if (err == KAVRO_OK)
      err = value.blob ? read(value.blob->text, value.blob->length, outp,
                              error)
                       : kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                                      "no DEK registry reply");
    kv_cache_value_clear(&value);
  }
  kv_strbuf_free(path);
  kv_strbuf_free(query);
  return err;
}

/* The DEK cache's key string of (kek, subject, algorithm): each part
 * percent-encoded, so '/' separates them unambiguously.  NULL on OOM. */
static char *dek_key_text(const char *kek_name, const char *subject,
                          const char *algorithm) {
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_path_segment(&sb, kek_name);
  kv_strbuf_putc(&sb, '/');
  kv_path_segment(&sb, subject);
  kv_strbuf_putc(&sb, '/');
  kv_path_segment(&sb, algorithm);
  return kv_strbuf_steal(&sb);
}

/* The DEK cache's number of (version, deleted). */
static int64_t dek_key_num(int version, bool deleted) {
  return (int64_t)version * 2 + (deleted ? 1 : 0);
}

/* ---- KEKs ---------------------------------------------------------------- */

kavro_err_t kavro_registry_get_kek(kavro_registry_t *reg, const char *name,
                                   bool deleted, kavro_kek_t **kekp,
                                   kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !name || !*name || !kekp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or empty KEK name");
  *kekp = NULL;
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  kek_path(&path, name);
  kv_strbuf_printf(&query, "deleted=%s", deleted ? "true" : "false");
  kv_cache_key_t key = {name, deleted, NULL};
  return cached_get(reg, KV_KEK_CACHE, &key, true, &path, &query,
                    read_kek_any, kekp, error);
}

/* The body of a KEK's registration (CreateKekRequest) into @*bodyp.
 * KAVRO_ERR_INVALID_ARG when kms_props is not a JSON object. */
static kavro_err_t kek_body(const kavro_kek_t *kek, char **bodyp,
                            kavro_error_t *error) {
  json_error_t jerr;
  json_t *props = kek->kms_props ? json_loads(kek->kms_props, 0, &jerr) : NULL;
  if (kek->kms_props && !json_is_object(props)) {
    json_decref(props);
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "kms_props is not a JSON object");
  }
  json_t *root = json_pack("{s:s, s:s, s:s, s:b}", "name", kek->name,
                           "kmsType", kek->kms_type, "kmsKeyId",
                           kek->kms_key_id, "shared", kek->shared);
  bool ok = root != NULL;
  if (ok && props)
    ok = json_object_set(root, "kmsProps", props) == 0;
  if (ok && kek->doc)
    ok = json_object_set_new(root, "doc", json_string(kek->doc)) == 0;
  *bodyp = ok ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(props);
  json_decref(root);
  return *bodyp ? KAVRO_OK
                : kv_error_set(error, KAVRO_ERR_NOMEM,
                               "out of memory, or a string not UTF-8");
}

/* Forget every cached answer about the KEK @name. */
static void forget_kek(kavro_registry_t *reg, const char *name) {
  kv_cache_key_t key = {name, 0, NULL};
  kv_registry_key_forget(reg, KV_KEK_CACHE, &key, true);
}

kavro_err_t kavro_registry_register_kek(kavro_registry_t *reg,
                                        const kavro_kek_t *kek,
                                        kavro_kek_t **kekp,
                                        kavro_error_t *error) {
  kv_error_clear(error);
  if (kekp)
    *kekp = NULL;
  if (!reg || !kek || !kek->name || !*kek->name || !kek->kms_type ||
      !kek->kms_key_id)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument, or a KEK without name, kms_type or "
                        "kms_key_id");
  char *body = NULL;
  kavro_err_t err = kek_body(kek, &body, error);
  if (err != KAVRO_OK)
    return err;
  kv_strbuf_t path = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, DEK_PATH);
  kv_http_response_t response;
  err = request(reg, "POST", &path, NULL, body, &response, error);
  kv_strbuf_free(&path);
  free(body);
  if (err != KAVRO_OK)
    return err;
  forget_kek(reg, kek->name);
  err = kv_answer_kek(response.body, response.body_length, kekp, error);
  response_release(&response);
  return err;
}

/* A request whose reply is dropped (a delete or an undelete). */
static kavro_err_t request_only(kavro_registry_t *reg, const char *method,
                                kv_strbuf_t *path, kv_strbuf_t *query,
                                kavro_error_t *error) {
  kv_http_response_t response;
  kavro_err_t err = request(reg, method, path, query, NULL, &response, error);
  if (err == KAVRO_OK)
    response_release(&response);
  kv_strbuf_free(path);
  if (query)
    kv_strbuf_free(query);
  return err;
}

kavro_err_t kavro_registry_delete_kek(kavro_registry_t *reg, const char *name,
                                      bool permanent, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !name || !*name)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or empty KEK name");
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  kek_path(&path, name);
  if (permanent)
    kv_strbuf_puts(&query, "permanent=true");
  kavro_err_t err = request_only(reg, "DELETE", &path, &query, error);
  forget_kek(reg, name);
  return err;
}

kavro_err_t kavro_registry_undelete_kek(kavro_registry_t *reg,
                                        const char *name,
                                        kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !name || !*name)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or empty KEK name");
  kv_strbuf_t path = KV_STRBUF_INIT;
  kek_path(&path, name);
  kv_strbuf_puts(&path, "/undelete");
  kavro_err_t err = request_only(reg, "POST", &path, NULL, error);
  forget_kek(reg, name);
  return err;
}

/* A GET of a list: strings, or integers when @versions. */
static kavro_err_t get_list(kavro_registry_t *reg, kv_strbuf_t *path,
                            kv_strbuf_t *query, char ***stringsp,
                            int **versionsp, size_t *countp,
                            kavro_error_t *error) {
  kv_http_response_t response;
  kavro_err_t err = request(reg, "GET", path, query, NULL, &response, error);
  kv_strbuf_free(path);
  kv_strbuf_free(query);
  if (err != KAVRO_OK)
    return err;
  err = stringsp ? kv_answer_string_array(response.body, response.body_length,
                                          stringsp, countp, error)
                 : kv_answer_int_array(response.body, response.body_length,
                                       versionsp, countp, error);
  response_release(&response);
  return err;
}

kavro_err_t kavro_registry_kek_names(kavro_registry_t *reg, bool deleted,
                                     char ***namesp, size_t *countp,
                                     kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !namesp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  *namesp = NULL;
  *countp = 0;
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  kv_strbuf_puts(&path, DEK_PATH);
  kv_strbuf_printf(&query, "deleted=%s", deleted ? "true" : "false");
  return get_list(reg, &path, &query, namesp, NULL, countp, error);
}

kavro_err_t kavro_registry_dek_subjects(kavro_registry_t *reg,
                                        const char *kek_name, bool deleted,
                                        char ***subjectsp, size_t *countp,
                                        kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !kek_name || !*kek_name || !subjectsp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument or empty KEK name");
  *subjectsp = NULL;
  *countp = 0;
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  kek_path(&path, kek_name);
  kv_strbuf_puts(&path, "/deks");
  kv_strbuf_printf(&query, "deleted=%s", deleted ? "true" : "false");
  return get_list(reg, &path, &query, subjectsp, NULL, countp, error);
}

/* ---- DEKs ---------------------------------------------------------------- */

/* Whether the arguments name a DEK: a KEK, a subject. */
static bool names_dek(const char *kek_name, const char *subject) {
  return kek_name && *kek_name && subject && *subject;
}

kavro_err_t kavro_registry_dek_versions(kavro_registry_t *reg,
                                        const char *kek_name,
                                        const char *subject,
                                        const char *algorithm, bool deleted,
                                        int **versionsp, size_t *countp,
                                        kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !names_dek(kek_name, subject) || !versionsp || !countp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument, or an empty KEK name or subject");
  *versionsp = NULL;
  *countp = 0;
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  dek_path(&path, kek_name, subject);
  kv_strbuf_puts(&path, "/versions");
  kv_strbuf_puts(&query, "algorithm=");
  kv_query_value(&query, algorithm_or_default(algorithm));
  kv_strbuf_printf(&query, "&deleted=%s", deleted ? "true" : "false");
  return get_list(reg, &path, &query, NULL, versionsp, countp, error);
}

kavro_err_t kavro_registry_get_dek(kavro_registry_t *reg, const char *kek_name,
                                   const char *subject, int version,
                                   const char *algorithm, bool deleted,
                                   kavro_dek_t **dekp, kavro_error_t *error) {
  kv_error_clear(error);
  if (!reg || !names_dek(kek_name, subject) || !dekp ||
      (version < 1 && version != KAVRO_DEK_LATEST))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument, an empty KEK name or subject, or a "
                        "version neither >= 1 nor KAVRO_DEK_LATEST");
  *dekp = NULL;
  algorithm = algorithm_or_default(algorithm);
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  dek_path(&path, kek_name, subject);
  kv_strbuf_printf(&path, "/versions/%d", version);
  kv_strbuf_puts(&query, "algorithm=");
  kv_query_value(&query, algorithm);
  kv_strbuf_printf(&query, "&deleted=%s", deleted ? "true" : "false");
  char *text = dek_key_text(kek_name, subject, algorithm);
  kv_cache_key_t key = {text, dek_key_num(version, deleted), NULL};
  kavro_err_t err =
      cached_get(reg, KV_DEK_CACHE, &key, version == KAVRO_DEK_LATEST, &path,
                 &query, read_dek_any, dekp, error);
  free(text);
  return err;
}

/* The body of a DEK's registration (CreateDekRequest).  NULL on OOM or a
 * string not UTF-8. */
static char *dek_body(const char *subject, int version, const char *algorithm,
                      const char *encrypted_key_material) {
  json_t *root = json_pack("{s:s, s:i, s:s}", "subject", subject, "version",
                           version, "algorithm", algorithm);
  if (root && encrypted_key_material &&
      json_object_set_new(root, "encryptedKeyMaterial",
                          json_string(encrypted_key_material))) {
    json_decref(root);
    root = NULL;
  }
  char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(root);
  return body;
}

/* POST @body to the DEK's path, or to the older path without the subject
 * when the registry answers 405 (as Confluent's clients do). */
static kavro_err_t post_dek(kavro_registry_t *reg, const char *kek_name,
                            const char *subject, const char *body,
                            kv_http_response_t *response,
                            kavro_error_t *error) {
  kavro_error_t local;
  kv_error_clear(&local);
  kv_strbuf_t path = KV_STRBUF_INIT;
  dek_path(&path, kek_name, subject);
  kavro_err_t err = request(reg, "POST", &path, NULL, body, response, &local);
  kv_strbuf_free(&path);
  if (err != KAVRO_OK && local.http_status == 405) {
    kv_error_clear(&local);
    kek_path(&path, kek_name);
    kv_strbuf_puts(&path, "/deks");
    err = request(reg, "POST", &path, NULL, body, response, &local);
    kv_strbuf_free(&path);
  }
  if (error && err != KAVRO_OK)
    *error = local;
  return err;
}

/* Forget the cached answers of (kek, subject, algorithm): every version
 * with @every, else only the latest. */
static void forget_dek(kavro_registry_t *reg, const char *text, bool every) {
  if (!text)
    return;
  kv_cache_key_t key = {text, 0, NULL};
  if (every) {
    kv_registry_key_forget(reg, KV_DEK_CACHE, &key, true);
    return;
  }
  for (int deleted = 0; deleted < 2; deleted++) {
    key.num = dek_key_num(KAVRO_DEK_LATEST, deleted);
    kv_registry_key_forget(reg, KV_DEK_CACHE, &key, false);
  }
}

/* The registration's answer @response into @*dekp (may be NULL), and
 * into the cache under @text as the DEK's (version, not deleted). */
static kavro_err_t keep_dek(kavro_registry_t *reg, const char *text,
                            const kv_http_response_t *response,
                            kavro_dek_t **dekp, kavro_error_t *error) {
  kavro_dek_t *dek = NULL;
  kavro_err_t err =
      kv_answer_dek(response->body, response->body_length, &dek, error);
  if (err != KAVRO_OK)
    return err;
  kv_cache_value_t value = {0};
  if (text && !dek->deleted &&
      (value.blob = kv_blob_new(response->body, response->body_length))) {
    kv_cache_key_t key = {text, dek_key_num(dek->version, false), NULL};
    kv_registry_key_put(reg, KV_DEK_CACHE, &key, &value);
  }
  kv_cache_value_clear(&value);
  if (dekp)
    *dekp = dek;
  else
    kavro_dek_destroy(dek);
  return KAVRO_OK;
}

kavro_err_t kavro_registry_register_dek(
    kavro_registry_t *reg, const char *kek_name, const char *subject,
    int version, const char *algorithm, const char *encrypted_key_material,
    kavro_dek_t **dekp, kavro_error_t *error) {
  kv_error_clear(error);
  if (dekp)
    *dekp = NULL;
  if (version == 0)
    version = 1;
  if (!reg || !names_dek(kek_name, subject) || version < 1)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument, an empty KEK name or subject, or a "
                        "version below 1");
  algorithm = algorithm_or_default(algorithm);
  char *body = dek_body(subject, version, algorithm, encrypted_key_material);
  if (!body)
    return kv_error_set(error, KAVRO_ERR_NOMEM,
                        "out of memory, or a string not UTF-8");
  kv_http_response_t response;
  kavro_err_t err = post_dek(reg, kek_name, subject, body, &response, error);
  kv_free_secret(body);
  char *text = dek_key_text(kek_name, subject, algorithm);
  /* A 409 too: the latest this client knows may be behind the registry's. */
  forget_dek(reg, text, false);
  if (err == KAVRO_OK) {
    err = keep_dek(reg, text, &response, dekp, error);
    response_release(&response);
  }
  free(text);
  return err;
}

/* A delete or an undelete of a DEK's versions: @path gets the version
 * (none for all) and @suffix; the cached answers are forgotten. */
static kavro_err_t change_dek(kavro_registry_t *reg, const char *method,
                              const char *kek_name, const char *subject,
                              int version, const char *algorithm,
                              const char *suffix, bool permanent,
                              kavro_error_t *error) {
  kv_error_clear(error);
  /* Not KAVRO_DEK_LATEST: the registry finds the latest, then changes
   * the key stored under version -1, which is none. */
  if (!reg || !names_dek(kek_name, subject) ||
      (version < 1 && version != KAVRO_DEK_ALL_VERSIONS))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "NULL argument, an empty KEK name or subject, or a "
                        "version neither >= 1 nor KAVRO_DEK_ALL_VERSIONS");
  algorithm = algorithm_or_default(algorithm);
  kv_strbuf_t path = KV_STRBUF_INIT, query = KV_STRBUF_INIT;
  dek_path(&path, kek_name, subject);
  version_suffix(&path, version);
  kv_strbuf_puts(&path, suffix);
  kv_strbuf_puts(&query, "algorithm=");
  kv_query_value(&query, algorithm);
  if (permanent)
    kv_strbuf_puts(&query, "&permanent=true");
  kavro_err_t err = request_only(reg, method, &path, &query, error);
  char *text = dek_key_text(kek_name, subject, algorithm);
  forget_dek(reg, text, true);
  free(text);
  return err;
}

kavro_err_t kavro_registry_delete_dek(kavro_registry_t *reg,
                                      const char *kek_name,
                                      const char *subject, int version,
                                      const char *algorithm, bool permanent,
                                      kavro_error_t *error) {
  return change_dek(reg, "DELETE", kek_name, subject, version, algorithm, "",
                    permanent, error);
}

kavro_err_t kavro_registry_undelete_dek(kavro_registry_t *reg,
                                        const char *kek_name,
                                        const char *subject, int version,
                                        const char *algorithm,
                                        kavro_error_t *error) {
  return change_dek(reg, "POST", kek_name, subject, version, algorithm,
                    "/undelete", false, error);
}
