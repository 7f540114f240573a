/*
 * kavro - the schema model: parse and validate Avro schemas (Avro 1.11, and
 * the logical types of 1.12), Parsing Canonical Form, fingerprints, JSON
 * output, conversion to avro-c.
 *
 * A kavro_schema_t is immutable once parsed and reference-counted, so one
 * parsed schema is shared by caches, serializers and threads without copies.
 *
 * Thread safety: every function here may be called concurrently on the same
 * schema (schemas are read-only after parsing; the reference count is
 * atomic).  kavro_parse_options_t is a plain struct owned by its caller.
 */
#ifndef KAVRO_SCHEMA_H
#define KAVRO_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kavro/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed, validated Avro schema.  Opaque, reference-counted. */
typedef struct kavro_schema_s kavro_schema_t;

/** The Avro types. */
typedef enum kavro_type_e {
  KAVRO_NULL,
  KAVRO_BOOLEAN,
  KAVRO_INT,
  KAVRO_LONG,
  KAVRO_FLOAT,
  KAVRO_DOUBLE,
  KAVRO_BYTES,
  KAVRO_STRING,
  KAVRO_RECORD,
  KAVRO_ENUM,
  KAVRO_ARRAY,
  KAVRO_MAP,
  KAVRO_UNION,
  KAVRO_FIXED
} kavro_type_t;

/** Logical types recognised on their underlying types (Avro 1.12's set).
 *  The values are ABI: new ones are appended.  kavro/logical.h converts
 *  their values to C types and text. */
typedef enum kavro_logical_e {
  KAVRO_LOGICAL_NONE,
  KAVRO_LOGICAL_DECIMAL,
  KAVRO_LOGICAL_UUID,
  KAVRO_LOGICAL_DATE,
  KAVRO_LOGICAL_TIME_MILLIS,
  KAVRO_LOGICAL_TIME_MICROS,
  KAVRO_LOGICAL_TIMESTAMP_MILLIS,
  KAVRO_LOGICAL_TIMESTAMP_MICROS,
  KAVRO_LOGICAL_LOCAL_TIMESTAMP_MILLIS,
  KAVRO_LOGICAL_LOCAL_TIMESTAMP_MICROS,
  KAVRO_LOGICAL_DURATION,
  /* Avro 1.12; appended, so the values above keep their numbers. */
  KAVRO_LOGICAL_TIMESTAMP_NANOS,
  KAVRO_LOGICAL_LOCAL_TIMESTAMP_NANOS,
  KAVRO_LOGICAL_BIG_DECIMAL
} kavro_logical_t;

/** Name of a type ("record", "int", ...).  Static storage. */
KAVRO_EXPORT const char *kavro_type_name(kavro_type_t type);

/**
 * @name Parsing
 * @{
 */

/** Default bound on schema text size, in bytes (16 MiB). */
#define KAVRO_SCHEMA_DEFAULT_MAX_SIZE (16u * 1024u * 1024u)
/** Default bound on type nesting depth (records, arrays, maps, unions). */
#define KAVRO_SCHEMA_DEFAULT_MAX_DEPTH 64u
/** Default bound on the "size" of a fixed type, in bytes (64 MiB, the
 *  default bound on one bytes value when decoding,
 *  KAVRO_DECODE_DEFAULT_MAX_LENGTH). */
#define KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE (64u << 20)

/**
 * Options for kavro_schema_parse().  Initialise with
 * kavro_parse_options_init() so that fields added later get defaults.
 * Pointers in it are borrowed for the duration of the call only.
 */
typedef struct kavro_parse_options_s {
  size_t struct_size;     /**< set by kavro_parse_options_init() */
  const char *source;     /**< name for error messages (a file name) */
  /** Schemas whose named types this schema may use (registry references).
   *  Their own references are visible too.  The parsed schema keeps a
   *  reference to each one given, so they live at least as long as it. */
  kavro_schema_t *const *references;
  size_t reference_count;
  size_t max_size;        /**< bound on text size; 0 = default */
  unsigned max_depth;     /**< bound on nesting depth; 0 = default */
  /** Bound on the "size" of a fixed type; 0 = default.  Every value of a
   *  fixed holds that many bytes, which avro-c's generic values allocate
   *  up front, so a larger one is refused with KAVRO_ERR_LIMIT.  (Added
   *  in 0.1; read only when struct_size covers it.) */
  size_t max_fixed_size;
  /** Read the schema as a Schema Registry reads one it already holds
   *  (false = strict, the default).  Registries hold schemas the 1.11
   *  specification forbids, accepted by older versions or with default
   *  validation off; refusing them would refuse valid messages written
   *  with them.  With this set, these defects are accepted, each with a
   *  warning (kavro_schema_warning()) that names it and its JSON pointer,
   *  and counted by kavro_schema_relaxed_count():
   *   - a field default that does not match the field's type (a boolean
   *     default "true", an int default "5", a record default missing a
   *     field, a union default that matches a branch other than the
   *     first, or none);
   *   - an enum "default" that is not one of its symbols;
   *   - a "namespace" that is null or not a string (read as absent), or
   *     not dot-separated names (kept as written);
   *   - a named type whose name is a primitive type name in a namespace
   *     ("com.acme.string"; a bare "string" stays an error);
   *   - a key given twice in one JSON object (the last value is used, as
   *     Jackson and jansson do).
   *  An invalid default is kept as written (JSON output and identity keep
   *  it) but never used: a resolution that needs it fails with an error
   *  naming the field and the defect; the canonical form has no defaults,
   *  so it and the fingerprints are unaffected.  Schemas being registered
   *  or produced should be parsed strictly.  (Added in 0.1; read only when
   *  struct_size covers it.) */
  bool lenient;
} kavro_parse_options_t;

/** Fill @p options with defaults. */
KAVRO_EXPORT void kavro_parse_options_init(kavro_parse_options_t *options);

/**
 * Parse and validate the schema in @p text (@p length bytes, need not be
 * NUL-terminated).  @p options may be NULL for defaults.
 *
 * On success stores a new reference in @p *schemap (release it with
 * kavro_schema_destroy()) and returns KAVRO_OK.  On failure returns
 * KAVRO_ERR_JSON (not JSON), KAVRO_ERR_SCHEMA_INVALID (JSON, but not a valid
 * schema), KAVRO_ERR_LIMIT (too large, too deep, or a fixed larger than
 * max_fixed_size) or KAVRO_ERR_NOMEM, sets
 * @p *schemap to NULL, and fills @p error with the line, column and JSON
 * pointer of the offending element.
 */
KAVRO_EXPORT kavro_err_t kavro_schema_parse(const char *text, size_t length,
                                            const kavro_parse_options_t *options,
                                            kavro_schema_t **schemap,
                                            kavro_error_t *error);

/**
 * As kavro_schema_parse(), reading the file at @p path.  The file name is
 * the error source unless options->source says otherwise.  Returns
 * KAVRO_ERR_IO when the file cannot be read.
 */
KAVRO_EXPORT kavro_err_t kavro_schema_parse_file(const char *path,
                                                 const kavro_parse_options_t *options,
                                                 kavro_schema_t **schemap,
                                                 kavro_error_t *error);

/** Take another reference to @p schema and return it.  NULL-safe. */
KAVRO_EXPORT kavro_schema_t *kavro_schema_dup(kavro_schema_t *schema);

/** Drop one reference; the last one frees the schema.  NULL-safe. */
KAVRO_EXPORT void kavro_schema_destroy(kavro_schema_t *schema);

/** Number of warnings the parse produced (e.g. an ignored logical type). */
KAVRO_EXPORT size_t kavro_schema_warning_count(const kavro_schema_t *schema);

/** Warning @p i as "path: text".  Valid as long as the schema lives. */
KAVRO_EXPORT const char *kavro_schema_warning(const kavro_schema_t *schema,
                                              size_t i);

/**
 * Number of specification defects a lenient parse
 * (kavro_parse_options_t.lenient) accepted in @p schema; 0 for a schema
 * that is valid by the 1.11 specification (every strict parse).  Each one
 * is also among the warnings, as "path: text".  NULL-safe.
 */
KAVRO_EXPORT size_t kavro_schema_relaxed_count(const kavro_schema_t *schema);

/** Relaxed defect @p i (below kavro_schema_relaxed_count()) as its warning,
 *  "path: text"; NULL when out of range.  Valid as long as the schema
 *  lives. */
KAVRO_EXPORT const char *kavro_schema_relaxed(const kavro_schema_t *schema,
                                              size_t i);
/** @} */

/**
 * @name Inspection
 * @{
 */

/** Type of the top-level schema. */
KAVRO_EXPORT kavro_type_t kavro_schema_type(const kavro_schema_t *schema);

/** Full name of a top-level named type ("com.acme.Order"), else the type
 *  name ("int", "union").  Valid as long as the schema lives. */
KAVRO_EXPORT const char *kavro_schema_name(const kavro_schema_t *schema);

/** The text the schema was parsed from (NUL-terminated).  Valid as long as
 *  the schema lives. */
KAVRO_EXPORT const char *kavro_schema_text(const kavro_schema_t *schema);

/**
 * Where the element at JSON pointer @p pointer ("/fields/3/type") stands in
 * kavro_schema_text(): 1-based @p line and @p column (bytes).  For a member
 * of an object the position is that of its key, where a person looks.
 * Returns true when found; false when the pointer leads nowhere, with the
 * position of the deepest element on its way.  Either output may be NULL.
 */
KAVRO_EXPORT bool kavro_schema_locate(const kavro_schema_t *schema,
                                      const char *pointer, int *line,
                                      int *column);
/** @} */

/**
 * @name Canonical form and fingerprints
 *
 * Computed once at parse time; these calls only read.  Named types that
 * come from references are written in full at their first use, as in the
 * schema they stand for.
 * @{
 */

/** Parsing Canonical Form.  Valid as long as the schema lives. */
KAVRO_EXPORT const char *kavro_schema_canonical(const kavro_schema_t *schema);

/** CRC-64-AVRO (Rabin) fingerprint of the canonical form. */
KAVRO_EXPORT uint64_t kavro_schema_rabin(const kavro_schema_t *schema);

typedef enum kavro_fingerprint_e {
  KAVRO_FINGERPRINT_RABIN,  /**< 8 bytes, little-endian (Avro's byte order) */
  KAVRO_FINGERPRINT_MD5,    /**< 16 bytes */
  KAVRO_FINGERPRINT_SHA256  /**< 32 bytes */
} kavro_fingerprint_t;

/** Size in bytes of a fingerprint of kind @p kind. */
KAVRO_EXPORT size_t kavro_fingerprint_size(kavro_fingerprint_t kind);

/**
 * Write the fingerprint of kind @p kind into @p out (at least
 * kavro_fingerprint_size() bytes).  Returns KAVRO_ERR_INVALID_ARG when
 * @p size is too small.
 */
KAVRO_EXPORT kavro_err_t kavro_schema_fingerprint(const kavro_schema_t *schema,
                                                  kavro_fingerprint_t kind,
                                                  unsigned char *out,
                                                  size_t size);

/** Compute CRC-64-AVRO of arbitrary bytes. */
KAVRO_EXPORT uint64_t kavro_rabin(const void *data, size_t length);
/** @} */

/**
 * @name Output and conversion
 * @{
 */

/** Flags for kavro_schema_to_json(). */
#define KAVRO_JSON_COMPACT 0x0u /**< one line, no spaces */
#define KAVRO_JSON_PRETTY 0x1u  /**< two-space indentation */
/** The Schema Registry's normalized form (`normalize=true`, Java's
 *  AvroSchema.normalize()): aliases and custom properties sorted (after a
 *  logical type, whose decimal scale is left out when 0), the empty doc
 *  of a named type left out, so that two spellings of one schema are
 *  written alike.  Combines with either of the above. */
#define KAVRO_JSON_NORMALIZED 0x2u

/**
 * The schema as JSON with every attribute kept (doc, aliases, defaults,
 * custom properties), laid out as Java's Avro writes a schema (and so as
 * the Schema Registry returns it): members in Java's order (a named
 * type's aliases last, a logicalType among the properties where the text
 * had it), reals as Java's Double.toString() writes them ("100.0",
 * "1.0E-4").  Named types from references are written by name.
 * Returns a new string the caller frees with free(), or NULL when out of
 * memory.
 */
KAVRO_EXPORT char *kavro_schema_to_json(const kavro_schema_t *schema,
                                        unsigned flags);

struct avro_obj_t;

/**
 * The schema as an avro-c schema (for avro-c's generic value API).  Stores
 * a new avro-c reference in @p *out (release with avro_schema_decref()).
 * The type is `struct avro_obj_t *`, avro-c's avro_schema_t, so that this
 * header does not require avro.h.  A named type is defined at its first
 * use and linked (avro_schema_link()) at later ones, as avro-c's parser
 * does; avro-c's links hold no reference, so keep the returned schema alive
 * as long as any part of it is used.  avro-c 1.11 has no logical types:
 * each becomes its underlying type.  Returns KAVRO_ERR_AVRO_C or
 * KAVRO_ERR_NOMEM when avro-c fails.
 */
KAVRO_EXPORT kavro_err_t kavro_schema_to_avro(const kavro_schema_t *schema,
                                              struct avro_obj_t **out,
                                              kavro_error_t *error);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_SCHEMA_H */
