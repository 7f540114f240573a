/*
 * kavro - error codes, their names and texts, and kavro_error_t helpers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "error_int.h"
#include "kavro/version.h"

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
    {KAVRO_ERR_BAD_RESPONSE, "BAD_RESPONSE", "Malformed registry response"},
    {KAVRO_ERR_HTTP, "HTTP", "HTTP error"},
    {KAVRO_ERR_AVRO_C, "AVRO_C", "avro-c error"},
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

int kavro_error_is_retriable(const kavro_error_t *error) {
  if (!error)
    return 0;
  switch (error->code) {
  case KAVRO_ERR_TRANSPORT:
  case KAVRO_ERR_TIMED_OUT:
  case KAVRO_ERR_REGISTRY_STORE:
  case KAVRO_ERR_REGISTRY_TIMEOUT:
  case KAVRO_ERR_REGISTRY_FORWARD:
  case KAVRO_ERR_RATE_LIMITED:
    return 1;
  default:
    return error->http_status >= 500 || error->http_status == 429;
  }
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

void kv_error_clear(kavro_error_t *error) {
  if (!error)
    return;
  memset(error, 0, sizeof(*error));
  error->position = -1;
}

kavro_err_t kv_error_set(kavro_error_t *error, kavro_err_t code,
                         const char *fmt, ...) {
  if (!error)
    return code;
  error->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error->text, sizeof(error->text), fmt, ap);
  va_end(ap);
  return code;
}

static void copy_truncated(char *dst, size_t size, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= size)
    n = size - 1;
  if (n)
    memcpy(dst, src, n);
  dst[n] = '\0';
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
