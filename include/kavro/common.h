/*
 * kavro - common definitions: export macro, error codes and the error
 * detail structure every fallible function fills in.
 *
 * Error style, used everywhere in kavro: a function that can fail returns a
 * kavro_err_t and takes a caller-owned `kavro_error_t *error` as its last
 * argument (NULL when the caller does not want details).  The structure
 * lives on the caller's stack, like jansson's json_error_t: nothing to free.
 * Credentials never appear in any text kavro writes there.
 *
 * Thread safety: every function in this header may be called from any
 * thread at any time (they read static tables or only the arguments).  A
 * kavro_error_t belongs to its caller; give each thread its own.
 */
#ifndef KAVRO_COMMON_H
#define KAVRO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define KAVRO_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define KAVRO_EXPORT __attribute__((visibility("default")))
#else
#define KAVRO_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name Error codes
 *
 * Library errors are negative.  Errors reported by a Schema Registry are
 * positive and equal to the registry's own `error_code` (40401, 409, ...),
 * so a registry answer maps to a kavro_err_t without a table.
 * @{
 */
typedef enum kavro_err_e {
  KAVRO_OK = 0,

  /* Library errors. */
  KAVRO_ERR_INVALID_ARG = -1,      /**< a NULL or out-of-range argument */
  KAVRO_ERR_NOMEM = -2,            /**< an allocation failed */
  KAVRO_ERR_IO = -3,               /**< reading or writing a file failed */
  KAVRO_ERR_JSON = -4,             /**< text is not valid JSON */
  KAVRO_ERR_SCHEMA_INVALID = -5,   /**< JSON is not a valid Avro schema */
  KAVRO_ERR_LIMIT = -6,            /**< input exceeds a configured bound */
  KAVRO_ERR_WIRE_SHORT = -7,       /**< frame shorter than its header */
  KAVRO_ERR_WIRE_MAGIC = -8,       /**< frame has an unknown magic byte */
  KAVRO_ERR_INCOMPATIBLE = -9,     /**< schema breaks the compatibility rule */
  KAVRO_ERR_CONF_UNKNOWN = -10,    /**< unknown configuration key */
  KAVRO_ERR_CONF_INVALID = -11,    /**< invalid configuration value */
  KAVRO_ERR_ENCODE = -12,          /**< a value does not fit its schema */
  KAVRO_ERR_DECODE = -13,          /**< a body cannot be decoded */
  KAVRO_ERR_NOT_FOUND = -14,       /**< a named thing does not exist */
  KAVRO_ERR_TRANSPORT = -15,       /**< the registry could not be reached */
  KAVRO_ERR_TIMED_OUT = -16,       /**< a request ran out of time */
  KAVRO_ERR_BAD_RESPONSE = -17,    /**< the registry's reply is not a usable
                                        answer: not JSON, the wrong shape, or
                                        over response.max.bytes */
  KAVRO_ERR_HTTP = -18,            /**< an HTTP error without registry code */
  KAVRO_ERR_AVRO_C = -19,          /**< avro-c reported an error */
  KAVRO_ERR_UNSUPPORTED = -20,     /**< valid input this version cannot
                                        handle yet */
  KAVRO_ERR_RULE = -21,            /**< a data contract rule refused the
                                        message (kavro/rules.h) */

  /* Registry errors: the registry's error_code. */
  KAVRO_ERR_REGISTRY_INCOMPATIBLE = 409,
  KAVRO_ERR_UNAUTHORIZED = 40101,
  KAVRO_ERR_FORBIDDEN = 40301,
  KAVRO_ERR_SUBJECT_NOT_FOUND = 40401,
  KAVRO_ERR_VERSION_NOT_FOUND = 40402,
  KAVRO_ERR_SCHEMA_NOT_FOUND = 40403,
  KAVRO_ERR_SUBJECT_SOFT_DELETED = 40404,
  KAVRO_ERR_SUBJECT_NOT_SOFT_DELETED = 40405,
  KAVRO_ERR_SCHEMA_VERSION_SOFT_DELETED = 40406,
  KAVRO_ERR_VERSION_NOT_SOFT_DELETED = 40407,
  KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND = 40408,
  KAVRO_ERR_SUBJECT_MODE_NOT_FOUND = 40409,
  KAVRO_ERR_REGISTRY_INCOMPATIBLE_SCHEMA = 40901,
  KAVRO_ERR_INVALID_SCHEMA = 42201,
  KAVRO_ERR_INVALID_VERSION = 42202,
  KAVRO_ERR_INVALID_COMPATIBILITY_LEVEL = 42203,
  KAVRO_ERR_INVALID_MODE = 42204,
  KAVRO_ERR_RATE_LIMITED = 42901,
  KAVRO_ERR_REGISTRY_STORE = 50001,
  KAVRO_ERR_REGISTRY_TIMEOUT = 50002,
  KAVRO_ERR_REGISTRY_FORWARD = 50003,
  /* The DEK registry's codes (/dek-registry/v1, DekRegistryErrors). */
  /** A KEK, or a DEK, not found: the registry answers 40470 for both
   *  ("Key 'NAME' not found", NAME the KEK's name or the DEK's subject). */
  KAVRO_ERR_KEK_NOT_FOUND = 40470,
  /** The same code: a DEK not found (the registry has no code of its own
   *  for it; 40471 means KAVRO_ERR_KEY_NOT_SOFT_DELETED). */
  KAVRO_ERR_DEK_NOT_FOUND = KAVRO_ERR_KEK_NOT_FOUND,
  KAVRO_ERR_KEY_NOT_SOFT_DELETED = 40471, /**< permanent delete first needs
                                               a soft delete */
  KAVRO_ERR_KEY_SOFT_DELETED = 40472,     /**< the KEK must be undeleted
                                               first */
  KAVRO_ERR_KEY_EXISTS = 40971,           /**< that KEK, or DEK version,
                                               already exists */
  KAVRO_ERR_TOO_MANY_KEYS = 40972,
  KAVRO_ERR_DEK_GENERATION_FORBIDDEN = 40370, /**< the KMS refused the
                                                   registry (shared KEK) */
  KAVRO_ERR_INVALID_KEY = 42271,          /**< invalid or missing field of a
                                               key */
  KAVRO_ERR_KEY_REFERENCE_EXISTS = 42272, /**< a KEK still has DEKs */
  KAVRO_ERR_DEK_GENERATION = 50070        /**< the registry could not make
                                               or unwrap a shared KEK's DEK
                                               (its KMS failed) */
} kavro_err_t;

/** Human-readable description of @p err.  Static storage; never NULL. */
KAVRO_EXPORT const char *kavro_err2str(kavro_err_t err);

/** The enum name of @p err without its prefix ("SCHEMA_INVALID").  Static. */
KAVRO_EXPORT const char *kavro_err2name(kavro_err_t err);
/** @} */

/**
 * @name Error details
 * @{
 */
#define KAVRO_ERROR_TEXT_LENGTH 512
#define KAVRO_ERROR_SOURCE_LENGTH 256
#define KAVRO_ERROR_PATH_LENGTH 256

/**
 * Details of a failure, filled by the function that failed.  Caller-owned;
 * nothing inside needs freeing.  Fields that do not apply are 0 or empty.
 */
typedef struct kavro_error_s {
  kavro_err_t code;      /**< the same value the function returned */
  int line;              /**< 1-based line in the source text, 0 unknown */
  int column;            /**< 1-based column (in bytes), 0 unknown */
  long position;         /**< byte offset in the source text, -1 unknown */
  int http_status;       /**< HTTP status of a registry reply, 0 none */
  int registry_code;     /**< registry `error_code`, 0 none */
  char source[KAVRO_ERROR_SOURCE_LENGTH]; /**< file name or URL, "" none */
  char path[KAVRO_ERROR_PATH_LENGTH];     /**< JSON pointer, "" none */
  char text[KAVRO_ERROR_TEXT_LENGTH];     /**< what went wrong */
} kavro_error_t;

/**
 * True when retrying the same call later may succeed: the registry gave no
 * usable answer, whatever its shape (not reached, timed out, a 5xx or 429,
 * a reply that is not JSON or not of the expected shape, a redirect, an
 * HTTP error without a registry error code or with a code the registry
 * protocol does not define, a reply over response.max.bytes).  False for
 * errors that will repeat: bad input, a definite registry answer (an
 * unknown id confirmed by 404 with error code 40403, an incompatible
 * schema), credentials refused (401, 403).
 */
KAVRO_EXPORT int kavro_error_is_retriable(const kavro_error_t *error);

/**
 * Format @p error as one line: "source:line:column: path: text" with the
 * parts that are known.  Writes at most @p size bytes including the NUL and
 * returns @p buf.
 */
KAVRO_EXPORT char *kavro_error_format(const kavro_error_t *error, char *buf,
                                      size_t size);
/** @} */

/**
 * @name Printable text
 *
 * What kavro itself applies to every text it puts into a kavro_error_t,
 * offered to programs for the text they print from other sources (command
 * lines, file names, registry replies): no credentials, and nothing a
 * terminal or a CI log would take as a command.
 * @{
 */

/** Remove the user info of every URL: "scheme://" up to the last '@'
 *  before a blank (or the end) becomes "scheme://[redacted]@".  The last
 *  '@', because a password may hold '/', '?', '#' or '@' unencoded. */
#define KAVRO_TEXT_REDACT_URLS 0x1u
/** Write control characters (C0, DEL, and C1 in UTF-8) as C escapes: a
 *  line feed as backslash-n, CR and tab likewise, ESC as backslash-x1b,
 *  U+009B as backslash-u009b. */
#define KAVRO_TEXT_ESCAPE_CONTROLS 0x2u
/** With KAVRO_TEXT_ESCAPE_CONTROLS: keep line feeds as they are, for a
 *  caller that encodes line breaks its own way. */
#define KAVRO_TEXT_KEEP_NEWLINES 0x4u

/**
 * A copy of @p text made printable as the KAVRO_TEXT_* bits of @p flags
 * say.  New string owned by the caller: free() it.  NULL when @p text is
 * NULL or memory runs out.
 */
KAVRO_EXPORT char *kavro_text_printable(const char *text, unsigned flags);
/** @} */

/**
 * @name The record a message travels in
 *
 * A Kafka record's key and headers, for a serializer or deserializer that
 * is handed them (kavro_serializer_set_record(),
 * kavro_deserializer_set_record()) so that data contract rules see them
 * (kavro_rule_ctx_key(), kavro_rule_ctx_header()): the DLQ rule action
 * sends them along, and a rule named in a `__rule.name` header is not run
 * again (kavro/rules.h).  No librdkafka type, so that parts without Kafka
 * can take them.
 * @{
 */

/** One record header: its name (NUL-terminated) and value bytes (NULL
 *  for a header without a value).  All borrowed. */
typedef struct kavro_header_s {
  const char *name;
  const void *value;
  size_t size;
} kavro_header_t;

/** The record of a message.  Every pointer is borrowed from the caller. */
typedef struct kavro_record_s {
  /** The record's key bytes as they travel (NULL: no key, or not known
   *  yet, as when the key itself is being serialized). */
  const void *key;
  size_t key_size;
  /** Its headers in their order (NULL when @c header_count is 0). */
  const kavro_header_t *headers;
  size_t header_count;
  /** Set to true (never back) by a rule action that sent the message to
   *  a dead-letter topic itself (the DLQ action): the caller's own
   *  dead-letter path must not send it a second time.  The caller
   *  clears it. */
  bool dead_lettered;
} kavro_record_t;
/** @} */

/** Run-time version, as the KAVRO_VERSION number. */
KAVRO_EXPORT int kavro_version(void);
/** Run-time version as text ("0.1.0").  Static storage. */
KAVRO_EXPORT const char *kavro_version_str(void);

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_COMMON_H */
