/*
 * kavro - error codes, their names and texts, and kavro_error_t helpers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "common_error_int.h"
#include "kavro/version.h"
#include "common_text_int.h"

/* What every text put into a kavro_error_t goes through: error texts
 * quote registry replies, URLs and file names, and are printed as one
 * line by kavro_error_format(). */
#define ERROR_TEXT_FLAGS (KV_TEXT_REDACT_URLS | KV_TEXT_ESCAPE_CONTROLS)

_Static_assert(KAVRO_TEXT_REDACT_URLS == KV_TEXT_REDACT_URLS &&
                   KAVRO_TEXT_ESCAPE_CONTROLS == KV_TEXT_ESCAPE_CONTROLS &&
                   KAVRO_TEXT_KEEP_NEWLINES == KV_TEXT_KEEP_NEWLINES,
               "public and internal text flags differ");

typedef struct err_desc_s {
  kavro_err_t code;
  const char *name;
  const char *text;
} err_desc_t;

static const err_desc_t err_descs[] = {
    {KAVRO_OK, "NO_ERROR", "Success"},
    {KAVRO_ERR_INVALID_ARG, "INVALID_ARG", "Invalid argument"},
    {KAVRO_ERR_NOMEM, "NOMEM", "Out of memory"},
    {KAVRO_ERR_IO, "IO", "I/O error"},
    {KAVRO_ERR_JSON, "JSON", "Invalid JSON"},
    {KAVRO_ERR_SCHEMA_INVALID, "SCHEMA_INVALID", "Invalid Avro schema"},
    {KAVRO_ERR_LIMIT, "LIMIT", "Input exceeds a configured limit"},
    {KAVRO_ERR_WIRE_SHORT, "WIRE_SHORT", "Frame too short"},
    {KAVRO_ERR_WIRE_MAGIC, "WIRE_MAGIC", "Unknown magic byte in frame"},
    {KAVRO_ERR_INCOMPATIBLE, "INCOMPATIBLE", "Schema is incompatible"},
    {KAVRO_ERR_CONF_UNKNOWN, "CONF_UNKNOWN", "Unknown configuration key"},
    {KAVRO_ERR_CONF_INVALID, "CONF_INVALID", "Invalid configuration value"},
    {KAVRO_ERR_ENCODE, "ENCODE", "Value does not match its schema"},
    {KAVRO_ERR_DECODE, "DECODE", "Message body cannot be decoded"},
    {KAVRO_ERR_NOT_FOUND, "NOT_FOUND", "Not found"},
    {KAVRO_ERR_TRANSPORT, "TRANSPORT", "Schema Registry unreachable"},
    {KAVRO_ERR_TIMED_OUT, "TIMED_OUT", "Request timed out"},
    {KAVRO_ERR_BAD_RESPONSE, "BAD_RESPONSE", "Unusable registry response"},
    {KAVRO_ERR_HTTP, "HTTP", "HTTP error"},
    {KAVRO_ERR_AVRO_C, "AVRO_C", "avro-c error"},
    {KAVRO_ERR_UNSUPPORTED, "UNSUPPORTED", "Not supported by this build"},
    {KAVRO_ERR_RULE, "RULE", "Refused by a data contract rule"},
    {KAVRO_ERR_REGISTRY_INCOMPATIBLE, "REGISTRY_INCOMPATIBLE",
     "Registry: schema incompatible"},
    {KAVRO_ERR_UNAUTHORIZED, "UNAUTHORIZED",
     "Registry: credentials missing or rejected"},
    {KAVRO_ERR_FORBIDDEN, "FORBIDDEN",
     "Registry: not allowed for these credentials"},
    {KAVRO_ERR_SUBJECT_NOT_FOUND, "SUBJECT_NOT_FOUND",
     "Registry: subject not found"},
    {KAVRO_ERR_VERSION_NOT_FOUND, "VERSION_NOT_FOUND",
     "Registry: version not found"},
    {KAVRO_ERR_SCHEMA_NOT_FOUND, "SCHEMA_NOT_FOUND",
     "Registry: schema not found"},
    {KAVRO_ERR_SUBJECT_SOFT_DELETED, "SUBJECT_SOFT_DELETED",
     "Registry: subject was soft deleted"},
    {KAVRO_ERR_SUBJECT_NOT_SOFT_DELETED, "SUBJECT_NOT_SOFT_DELETED",
     "Registry: subject must be soft deleted first"},
    {KAVRO_ERR_SCHEMA_VERSION_SOFT_DELETED, "SCHEMA_VERSION_SOFT_DELETED",
     "Registry: version was soft deleted"},
    {KAVRO_ERR_VERSION_NOT_SOFT_DELETED, "VERSION_NOT_SOFT_DELETED",
     "Registry: version must be soft deleted first"},
    {KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND, "SUBJECT_LEVEL_NOT_FOUND",
     "Registry: subject has no compatibility level"},
    {KAVRO_ERR_SUBJECT_MODE_NOT_FOUND, "SUBJECT_MODE_NOT_FOUND",
     "Registry: subject has no mode of its own"},
    {KAVRO_ERR_REGISTRY_INCOMPATIBLE_SCHEMA, "REGISTRY_INCOMPATIBLE_SCHEMA",
     "Registry: schema incompatible"},
    {KAVRO_ERR_INVALID_SCHEMA, "INVALID_SCHEMA", "Registry: invalid schema"},
    {KAVRO_ERR_INVALID_VERSION, "INVALID_VERSION",
     "Registry: invalid version"},
    {KAVRO_ERR_INVALID_COMPATIBILITY_LEVEL, "INVALID_COMPATIBILITY_LEVEL",
     "Registry: invalid compatibility level"},
    {KAVRO_ERR_INVALID_MODE, "INVALID_MODE", "Registry: invalid mode"},
    {KAVRO_ERR_RATE_LIMITED, "RATE_LIMITED", "Registry: too many requests"},
    {KAVRO_ERR_REGISTRY_STORE, "REGISTRY_STORE",
     "Registry: error in the backend store"},
    {KAVRO_ERR_REGISTRY_TIMEOUT, "REGISTRY_TIMEOUT",
     "Registry: operation timed out"},
    {KAVRO_ERR_REGISTRY_FORWARD, "REGISTRY_FORWARD",
     "Registry: error forwarding the request to the leader"},
    {KAVRO_ERR_KEK_NOT_FOUND, "KEK_NOT_FOUND", "Registry: key not found"},
    {KAVRO_ERR_KEY_NOT_SOFT_DELETED, "KEY_NOT_SOFT_DELETED",
     "Registry: key must be soft deleted first"},
    {KAVRO_ERR_KEY_SOFT_DELETED, "KEY_SOFT_DELETED",
     "Registry: key must be undeleted first"},
    {KAVRO_ERR_KEY_EXISTS, "KEY_EXISTS", "Registry: key already exists"},
    {KAVRO_ERR_TOO_MANY_KEYS, "TOO_MANY_KEYS", "Registry: too many keys"},
    {KAVRO_ERR_DEK_GENERATION_FORBIDDEN, "DEK_GENERATION_FORBIDDEN",
     "Registry: the KMS refused to make or unwrap the DEK"},
    {KAVRO_ERR_INVALID_KEY, "INVALID_KEY", "Registry: invalid key"},
    {KAVRO_ERR_KEY_REFERENCE_EXISTS, "KEY_REFERENCE_EXISTS",
     "Registry: the KEK still has DEKs"},
    {KAVRO_ERR_DEK_GENERATION, "DEK_GENERATION",
     "Registry: could not make or unwrap the DEK"},
};

static const err_desc_t *err_desc(kavro_err_t err) {
  for (size_t i = 0; i < sizeof(err_descs) / sizeof(err_descs[0]); i++)
    if (err_descs[i].code == err)
      return &err_descs[i];
  return NULL;
}

const char *kavro_err2str(kavro_err_t err) {
  const err_desc_t *d = err_desc(err);
  return d ? d->text : "Unknown error";
}

const char *kavro_err2name(kavro_err_t err) {
  const err_desc_t *d = err_desc(err);
  return d ? d->name : "UNKNOWN";
}

/* Codes that say the registry gave no usable answer, whatever its shape:
 * nothing reached it, nothing came back in time, what came back is not a
 * registry reply (not JSON, a redirect, a proxy's page, over
 * response.max.bytes), or the registry says it failed itself.  None of them
 * says anything about the message, so none may cost it. */
static int no_registry_answer(kavro_err_t code) {
  switch (code) {
  case KAVRO_ERR_TRANSPORT:
  case KAVRO_ERR_TIMED_OUT:
  case KAVRO_ERR_BAD_RESPONSE:
  case KAVRO_ERR_HTTP:
  case KAVRO_ERR_REGISTRY_STORE:
  case KAVRO_ERR_REGISTRY_TIMEOUT:
  case KAVRO_ERR_REGISTRY_FORWARD:
  case KAVRO_ERR_RATE_LIMITED:
    return 1;
  default:
    return 0;
  }
}

int kavro_error_is_retriable(const kavro_error_t *error) {
  if (!error || error->code == KAVRO_OK)
    return 0;
  /* Refused credentials fail the same way until someone fixes them. */
  if (error->http_status == 401 || error->http_status == 403)
    return 0;
  if (no_registry_answer(error->code))
    return 1;
  if (error->http_status >= 500 || error->http_status == 429)
    return 1;
  /* An error_code the registry protocol does not define (a gateway's, or
   * the HTTP status echoed as error_code, as a registry does for a path it
   * does not serve) is no definite answer either. */
  return error->registry_code != 0 && !err_desc(error->code);
}

char *kavro_error_format(const kavro_error_t *error, char *buf, size_t size) {
  if (!buf || size == 0)
    return buf;
  buf[0] = '\0';
  if (!error)
    return buf;
  size_t off = 0;
#define APPEND(...)                                                          \
  do {                                                                       \
    if (off < size) {                                                        \
      int n_ = snprintf(buf + off, size - off, __VA_ARGS__);                 \
      if (n_ > 0)                                                            \
        off += (size_t)n_;                                                   \
    }                                                                        \
  } while (0)
  if (error->source[0])
    APPEND("%s:", error->source);
  if (error->line > 0)
    APPEND("%d:%d:", error->line, error->column);
  if (off > 0)
    APPEND(" ");
  if (error->path[0])
    APPEND("%s: ", error->path);
  APPEND("%s", error->text[0] ? error->text : kavro_err2str(error->code));
#undef APPEND
  return buf;
}

kavro_err_t kv_error_set(kavro_error_t *error, kavro_err_t code,
                         const char *fmt, ...) {
  if (!error)
    return code;
  error->code = code;
  /* Formatted with room to spare, so that a URL running past the end of
   * error->text is still seen whole, and one cut even here is masked. */
  char formatted[4 * KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(formatted, sizeof(formatted), fmt, ap);
  va_end(ap);
  if (n < 0)
    formatted[0] = '\0';
  unsigned flags = ERROR_TEXT_FLAGS;
  if (n >= (int)sizeof(formatted))
    flags |= KV_TEXT_CUT;
  kv_text_printable(error->text, sizeof(error->text), formatted, flags);
  return code;
}

static void copy_truncated(char *dst, size_t size, const char *src) {
  kv_text_printable(dst, size, src ? src : "", ERROR_TEXT_FLAGS);
}

char *kavro_text_printable(const char *text, unsigned flags) {
  if (!text)
    return NULL;
  flags &= KAVRO_TEXT_REDACT_URLS | KAVRO_TEXT_ESCAPE_CONTROLS |
           KAVRO_TEXT_KEEP_NEWLINES;
  size_t size = kv_text_printable(NULL, 0, text, flags) + 1;
  char *out = malloc(size);
  if (out)
    kv_text_printable(out, size, text, flags);
  return out;
}

void kv_error_set_path(kavro_error_t *error, const char *path) {
  if (error)
    copy_truncated(error->path, sizeof(error->path), path);
}

void kv_error_set_source(kavro_error_t *error, const char *source) {
  if (error)
    copy_truncated(error->source, sizeof(error->source), source);
}

int kavro_version(void) { return KAVRO_VERSION; }

const char *kavro_version_str(void) { return KAVRO_VERSION_STR; }
