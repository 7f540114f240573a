/*
 * kavro - parsers of Schema Registry replies.
 *
 * Replies are untrusted input: every parser checks the JSON shape and the
 * ranges of numbers before using them, and reports KAVRO_ERR_BAD_RESPONSE
 * (with what was wrong) instead of guessing.  The body size was already
 * bounded by `response.max.bytes`; counts of array elements are bounded
 * by that too, references by KV_MAX_REFERENCES.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "common_error_int.h"
#include "registry_int.h"
#include "common_text_int.h"

static kavro_err_t bad(kavro_error_t *error, const char *what) {
  return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                      "malformed registry reply: %s", what);
}

/* The reply as JSON, or NULL with the error in @errp and @error. */
static json_t *load(const char *body, size_t length, kavro_err_t *errp,
                    kavro_error_t *error) {
  json_error_t jerr;
  json_t *root = json_loadb(
      body ? body : "", length,
      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (!root && !jerr.text[0])
    /* jansson gives no text only when it ran out of memory. */
    *errp =
        kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory parsing a reply");
  else if (!root)
    /* Only the position: jansson's text quotes the body, which may quote
     * what the client sent. */
    *errp = kv_error_set(
        error, KAVRO_ERR_BAD_RESPONSE,
        "malformed registry reply: not JSON (line %d, column %d)", jerr.line,
        jerr.column);
  return root;
}

/* A JSON integer in [lo, hi]. */
static bool int_in(const json_t *v, json_int_t lo, json_int_t hi, int *out) {
  if (!json_is_integer(v))
    return false;
  json_int_t n = json_integer_value(v);
  if (n < lo || n > hi)
    return false;
  *out = (int)n;
  return true;
}

/* A JSON string without NUL bytes (they would truncate it silently). */
static const char *plain_string(const json_t *v) {
  if (!json_is_string(v))
    return NULL;
  const char *s = json_string_value(v);
  return strlen(s) == json_string_length(v) ? s : NULL;
}

static char *dup_string(const json_t *v) {
  const char *s = plain_string(v);
  return s ? strdup(s) : NULL;
}

void kv_answer_schema_clear(kv_answer_schema_t *reply) {
  if (!reply)
    return;
  free(reply->subject);
  free(reply->schema);
  for (size_t i = 0; i < reply->ref_count; i++) {
    free(reply->refs[i].name);
    free(reply->refs[i].subject);
  }
  free(reply->refs);
  memset(reply, 0, sizeof(*reply));
}

static kavro_err_t parse_refs(const json_t *refs, kv_answer_schema_t *out,
                              kavro_error_t *error) {
  if (!refs || json_is_null(refs))
    return KAVRO_OK;
  if (!json_is_array(refs))
    return bad(error, "\"references\" is not an array");
  size_t n = json_array_size(refs);
  if (n > KV_MAX_REFERENCES)
    return bad(error, "too many references");
  if (n == 0)
    return KAVRO_OK;
  out->refs = calloc(n, sizeof(*out->refs));
  if (!out->refs)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const json_t *ref = json_array_get(refs, i);
    kv_answer_ref_t *r = &out->refs[i];
    out->ref_count = i + 1;
    if (!json_is_object(ref) || !plain_string(json_object_get(ref, "name")) ||
        !plain_string(json_object_get(ref, "subject")) ||
        !int_in(json_object_get(ref, "version"), 1, INT32_MAX, &r->version))
      return bad(error, "a reference lacks name, subject or version");
    r->name = dup_string(json_object_get(ref, "name"));
    r->subject = dup_string(json_object_get(ref, "subject"));
    if (!r->name || !r->subject)
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  return KAVRO_OK;
}

/* The optional "guid" of @root into @guid (@*has_guidp set when there is
 * one); false when it is there but no GUID.  Registries before Confluent
 * Platform 8 send none. */
static bool guid_field(const json_t *root, bool *has_guidp,
                       unsigned char *guid) {
  const json_t *value = json_object_get(root, "guid");
  *has_guidp = false;
  if (!value || json_is_null(value))
    return true;
  if (!plain_string(value) || !kv_guid_parse(json_string_value(value), guid))
    return false;
  *has_guidp = true;
  return true;
}

static kavro_err_t schema_fields(const json_t *root, bool full,
                                 kv_answer_schema_t *out,
                                 kavro_error_t *error) {
  if (!json_is_object(root))
    return bad(error, "expected an object");
  const json_t *type = json_object_get(root, "schemaType");
  if (type && !json_is_null(type) &&
      !(plain_string(type) && strcmp(json_string_value(type), "AVRO") == 0))
    return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                        "registry schema is not an Avro schema");
  if (!plain_string(json_object_get(root, "schema")))
    return bad(error, "no \"schema\" string");
  const json_t *id = json_object_get(root, "id");
  const json_t *version = json_object_get(root, "version");
  const json_t *subject = json_object_get(root, "subject");
  if (full && (!id || !version || !plain_string(subject)))
    return bad(error, "no \"subject\", \"id\" or \"version\"");
  if (id && !int_in(id, 1, INT32_MAX, &out->id))
    return bad(error, "\"id\" is not a positive 32-bit integer");
  if (version && !int_in(version, 1, INT32_MAX, &out->version))
    return bad(error, "\"version\" is not a positive 32-bit integer");
  if (!guid_field(root, &out->has_guid, out->guid))
    return bad(error, "\"guid\" is not a GUID");
  out->schema = dup_string(json_object_get(root, "schema"));
  if (plain_string(subject))
    out->subject = dup_string(subject);
  if (!out->schema || (plain_string(subject) && !out->subject))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  return parse_refs(json_object_get(root, "references"), out, error);
}

kavro_err_t kv_answer_schema(const char *body, size_t length, bool full,
                             kv_answer_schema_t *out, kavro_error_t *error) {
  memset(out, 0, sizeof(*out));
  kavro_err_t err;
  json_t *root = load(body, length, &err, error);
  if (!root)
    return err;
  err = schema_fields(root, full, out, error);
  json_decref(root);
  if (err != KAVRO_OK)
    kv_answer_schema_clear(out);
  return err;
}

kavro_err_t kv_answer_id(const char *body, size_t length, int *idp,
                         bool *has_guidp, unsigned char *guid,
                         kavro_error_t *error) {
  kavro_err_t err;
  json_t *root = load(body, length, &err, error);
  if (!root)
    return err;
  err = KAVRO_OK;
  bool has_guid;
  unsigned char bytes[KV_GUID_SIZE];
  if (!json_is_object(root) ||
      !int_in(json_object_get(root, "id"), 1, INT32_MAX, idp))
    err = bad(error, "no positive \"id\"");
  else if (!guid_field(root, &has_guid, bytes))
    err = bad(error, "\"guid\" is not a GUID");
  else if (has_guidp && guid) {
    *has_guidp = has_guid;
    memcpy(guid, bytes, sizeof(bytes));
  }
  json_decref(root);
  return err;
}

kavro_err_t kv_answer_int(const char *body, size_t length, int *valuep,
                          kavro_error_t *error) {
  kavro_err_t err;
  json_t *root = load(body, length, &err, error);
  if (!root)
    return err;
  err = KAVRO_OK;
  if (!int_in(root, 1, INT32_MAX, valuep))
    err = bad(error, "expected a positive integer");
  json_decref(root);
  return err;
}

static kavro_err_t int_array(const json_t *root, int **valuesp, size_t *countp,
                             kavro_error_t *error) {
  if (!json_is_array(root))
    return bad(error, "expected an array of integers");
  size_t n = json_array_size(root);
  int *values = malloc((n ? n : 1) * sizeof(int));
  if (!values)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++)
    if (!int_in(json_array_get(root, i), 1, INT32_MAX, &values[i])) {
      free(values);
      return bad(error, "expected an array of positive integers");
    }
  *valuesp = values;
  *countp = n;
  return KAVRO_OK;
}

kavro_err_t kv_answer_int_array(const char *body, size_t length, int **valuesp,
                                size_t *countp, kavro_error_t *error) {
  kavro_err_t err;
  json_t *root = load(body, length, &err, error);
  if (!root)
    return err;
  err = int_array(root, valuesp, countp, error);
  json_decref(root);
  return err;
}

/* One block: the pointer array followed by the strings. */
static kavro_err_t string_array(const json_t *root, char ***stringsp,
                                size_t *countp, kavro_error_t *error) {
  if (!json_is_array(root))
    return bad(error, "expected an array of strings");
  size_t n = json_array_size(root);
  size_t bytes = (n + 1) * sizeof(char *);
  for (size_t i = 0; i < n; i++) {
    const char *s = plain_string(json_array_get(root, i));
    if (!s)
      return bad(error, "expected an array of strings");
    bytes += strlen(s) + 1;
  }
  char **block = malloc(bytes);
  if (!block)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  char *text = (char *)(block + n + 1);
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(root, i));
    size_t len = strlen(s) + 1;
    memcpy(text, s, len);
    block[i] = text;
    text += len;
  }
  block[n] = NULL;
  *stringsp = block;
  *countp = n;
  return KAVRO_OK;
}

kavro_err_t kv_answer_string_array(const char *body, size_t length,
                                   char ***stringsp, size_t *countp,
                                   kavro_error_t *error) {
  kavro_err_t err;
  json_t *root = load(body, length, &err, error);
  if (!root)
    return err;
  err = string_array(root, stringsp, countp, error);
  json_decref(root);
  return err;
}

static bool is_name(const char *s) {
  size_t len = strlen(s);
  if (len == 0 || len >= KAVRO_REGISTRY_NAME_SIZE)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
      return false;
  return true;
}

kavro_err_t kv_answer_name(const char *body, size_t length, const char *key,
                           const char *alt_key, char *name,
                           kavro_error_t *error) {
  kavro_err_t err;
  json_t *root = load(body, length, &err, error);
  if (!root)
    return err;
  err = KAVRO_OK;
  const json_t *v = json_is_object(root) ? json_object_get(root, key) : NULL;
  if (!v && alt_key && json_is_object(root))
    v = json_object_get(root, alt_key);
  const char *s = plain_string(v);
  if (!s || !is_name(s))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "malformed registry reply: no \"%s\" name", key);
  else
    strcpy(name, s);
  json_decref(root);
  return err;
}

kavro_err_t kv_answer_compatibility(const char *body, size_t length,
                                    bool *compatiblep, char ***messagesp,
                                    size_t *countp, kavro_error_t *error) {
  kavro_err_t err;
  json_t *root = load(body, length, &err, error);
  if (!root)
    return err;
  err = KAVRO_OK;
  const json_t *verdict =
      json_is_object(root) ? json_object_get(root, "is_compatible") : NULL;
  if (!json_is_boolean(verdict)) {
    err = bad(error, "no boolean \"is_compatible\"");
  } else {
    *compatiblep = json_is_true(verdict);
    if (messagesp) {
      json_t *messages = json_object_get(root, "messages");
      json_t *none = json_array();
      err = none ? string_array(messages ? messages : none, messagesp, countp,
                                error)
                 : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
      json_decref(none);
    }
  }
  json_decref(root);
  return err;
}

bool kv_answer_error(const char *body, size_t length, int *codep,
                     char **messagep) {
  kavro_err_t err;
  json_t *root = load(body, length, &err, NULL);
  if (!root)
    return false;
  bool ok = false;
  const json_t *code =
      json_is_object(root) ? json_object_get(root, "error_code") : NULL;
  if (int_in(code, 1, INT32_MAX, codep)) {
    const char *msg = plain_string(json_object_get(root, "message"));
    *messagep = strdup(msg ? msg : "");
    ok = true;
  }
  json_decref(root);
  return ok;
}
