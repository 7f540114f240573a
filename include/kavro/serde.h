/*
 * kavro - the value codec: Avro binary encoding and decoding of avro-c
 * generic values (avro_value_t), schema resolution (reading data written
 * with one schema through another, defaults included), decode limits, and
 * the Avro JSON encoding.
 *
 * Every function here is driven by a kavro_schema_t.  The avro_value_t
 * given to it must be an avro-c generic value of the same schema, as made
 * by avro_generic_class_from_schema() on the result of
 * kavro_schema_to_avro().  A value of another schema is refused with
 * KAVRO_ERR_ENCODE wherever the difference shows (a type, a record's field
 * count, a fixed size, a union or enum index).  Logical types are their
 * underlying types here, as in avro-c.
 *
 * Thread safety: kavro_resolution_t is immutable once built and may be
 * used by any number of threads at once.  kavro_buf_t and kavro_decoder_t
 * are scratch state: one thread at a time each.  The avro_value_t passed
 * in belongs to the caller and is not locked.
 */
#ifndef KAVRO_SERDE_H
#define KAVRO_SERDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kavro/codec.h>
#include <kavro/common.h>
#include <kavro/schema.h>

#ifdef __cplusplus
extern "C" {
#endif

struct avro_value;

/**
 * @name Binary encoding
 * @{
 */

/**
 * Append the Avro binary encoding of @p value (a value of @p schema) to
 * @p out.  Allocates nothing unless @p out must grow.  On failure @p out
 * holds what it held before.  Returns KAVRO_ERR_ENCODE when the value does
 * not fit the schema (an unset union, a fixed of the wrong size, a value
 * of another schema), KAVRO_ERR_LIMIT when the buffer would pass its bound
 * or the value nests deeper than KAVRO_DECODE_DEFAULT_MAX_DEPTH,
 * KAVRO_ERR_NOMEM.
 */
KAVRO_EXPORT kavro_err_t kavro_encode(const kavro_schema_t *schema,
                                      const struct avro_value *value,
                                      kavro_buf_t *out, kavro_error_t *error);

/**
 * As kavro_encode(), into the caller's @p size bytes at @p dst; never
 * allocates.  Stores the number of bytes written in @p *written.  Returns
 * KAVRO_ERR_LIMIT when the encoding does not fit.
 */
KAVRO_EXPORT kavro_err_t kavro_encode_to(const kavro_schema_t *schema,
                                         const struct avro_value *value,
                                         void *dst, size_t size,
                                         size_t *written,
                                         kavro_error_t *error);
/** @} */

/**
 * @name Decoding and decode limits
 *
 * A body is untrusted: every length is checked against the bytes left
 * before anything is allocated, negative lengths are refused, and nesting
 * depth and collection sizes are bounded.  A body that breaks a rule gives
 * KAVRO_ERR_DECODE with the byte offset and what was wrong.  Decoding
 * stops at the end of one datum and reports how many bytes it consumed, so
 * that the caller can refuse trailing bytes.
 * @{
 */

/**
 * Decoding scratch state: the limits and a staging buffer for strings
 * (avro-c wants them NUL-terminated), kept across messages so that a warm
 * decoder allocates nothing of its own.  One thread at a time.
 */
typedef struct kavro_decoder_s kavro_decoder_t;

/**
 * A new decoder with @p limits (copied; NULL for the defaults).  Returns
 * NULL when out of memory.  Free it with kavro_decoder_destroy().
 */
KAVRO_EXPORT kavro_decoder_t *kavro_decoder_new(const kavro_decode_limits_t *limits);

/** Free @p decoder.  NULL-safe. */
KAVRO_EXPORT void kavro_decoder_destroy(kavro_decoder_t *decoder);

/**
 * Decode one datum of @p schema from the @p size bytes at @p data into
 * @p value (a value of @p schema).  The datum is read over what @p value
 * held, reusing its memory: a value kept from message to message is
 * decoded into without allocating, but for a union's branch that changes
 * or an array that shrinks.  @p decoder may be NULL: a temporary one with
 * the default limits is used.  Stores the bytes read in @p *consumed (NULL
 * allowed; then trailing bytes are an error).  Returns KAVRO_ERR_DECODE
 * for a bad body (or a map key with a NUL byte, which a generic value
 * cannot hold), KAVRO_ERR_LIMIT when a limit is passed, KAVRO_ERR_ENCODE
 * when @p value is not of @p schema, KAVRO_ERR_NOMEM.  On failure @p value
 * is reset.
 */
KAVRO_EXPORT kavro_err_t kavro_decode(kavro_decoder_t *decoder,
                                      const kavro_schema_t *schema,
                                      const void *data, size_t size,
                                      struct avro_value *value,
                                      size_t *consumed, kavro_error_t *error);
/** @} */

/**
 * @name Schema resolution
 *
 * A resolution is the compiled plan for reading data written with one
 * schema (the writer's) into a value of another (the reader's), by the
 * Avro 1.11 rules: fields matched by name or reader field alias, writer
 * fields the reader lacks skipped, reader fields the writer lacks filled
 * from their defaults; named types matched by unqualified name or a reader
 * alias; int, long and float promoted to wider numbers, string and bytes
 * to each other; enum symbols mapped by name, an unknown one to the reader
 * enum's default; unions matched branch by branch (a reader union takes
 * the first branch of the writer's type, else the first it promotes to).
 * Build it once per (writer, reader) pair and keep it.
 * @{
 */

/** A compiled resolution plan.  Opaque, immutable, thread-safe. */
typedef struct kavro_resolution_s kavro_resolution_t;

/**
 * Build the plan from @p writer to @p reader (the same schema is allowed).
 * Keeps a reference to both schemas.  Stores a new plan in @p *out (free
 * with kavro_resolution_destroy()).  Returns KAVRO_ERR_INCOMPATIBLE, with
 * the reader path (JSON pointer) and the reason in @p error, when data of
 * @p writer can never be read as @p reader.  A writer union branch that
 * has no match in the reader is not an error here: a datum that uses it
 * fails when it is read.
 */
KAVRO_EXPORT kavro_err_t kavro_resolution_new(kavro_schema_t *writer,
                                              kavro_schema_t *reader,
                                              kavro_resolution_t **out,
                                              kavro_error_t *error);

/** Free @p resolution.  NULL-safe. */
KAVRO_EXPORT void kavro_resolution_destroy(kavro_resolution_t *resolution);

/**
 * Decode one datum written with the plan's writer schema from the @p size
 * bytes at @p data into @p value, a value of the plan's reader schema
 * (read over in place, as kavro_decode() does).  @p decoder, @p consumed
 * and the errors are as for kavro_decode(); a datum that takes a writer union branch or enum symbol
 * the reader cannot accept gives KAVRO_ERR_DECODE.
 */
KAVRO_EXPORT kavro_err_t kavro_decode_resolved(kavro_decoder_t *decoder,
                                               const kavro_resolution_t *resolution,
                                               const void *data, size_t size,
                                               struct avro_value *value,
                                               size_t *consumed,
                                               kavro_error_t *error);
/** @} */

/**
 * @name JSON
 *
 * KAVRO_DATUM_JSON_AVRO is the Avro specification's JSON encoding: a
 * union that is not null as {"type": value} keyed by the branch's type
 * name (a named type by its full name), bytes and fixed as strings whose
 * code points 0-255 are the bytes.  Non-finite floats are the strings
 * "NaN", "Infinity" and "-Infinity".
 *
 * KAVRO_DATUM_JSON_PLAIN (output only) is the convention of kavro's
 * conformance vectors, for tests and logs: a union as its bare value,
 * bytes and fixed as {"$bytes": "<hex>"}, non-finite floats as
 * {"$float": "NaN"}, and a float as the double it widens to.
 *
 * Numbers are written as the shortest text that reads back to the same
 * value (a float in the Avro encoding as its float value), integers in
 * full.
 * @{
 */
#define KAVRO_DATUM_JSON_AVRO 0x0u
#define KAVRO_DATUM_JSON_PLAIN 0x1u

/**
 * @p value (a value of @p schema) as JSON text in the convention @p flags
 * names.  Returns a new NUL-terminated string the caller frees with
 * free(), or NULL with @p error filled (KAVRO_ERR_ENCODE, KAVRO_ERR_NOMEM).
 */
KAVRO_EXPORT char *kavro_value_to_json(const kavro_schema_t *schema,
                                       const struct avro_value *value,
                                       unsigned flags, kavro_error_t *error);

/**
 * Read the Avro JSON encoding of one datum of @p schema from @p text
 * (@p length bytes) into @p value (reset first).  A record field that is
 * absent takes its default.  Returns KAVRO_ERR_JSON for text that is not
 * JSON, KAVRO_ERR_DECODE (with the JSON pointer of the culprit) for JSON
 * that does not fit the schema, KAVRO_ERR_NOMEM.
 */
KAVRO_EXPORT kavro_err_t kavro_value_from_json(const kavro_schema_t *schema,
                                               const char *text, size_t length,
                                               struct avro_value *value,
                                               kavro_error_t *error);

/**
 * Append the binary encoding of the Avro JSON datum @p text to @p out,
 * without an avro_value_t (for tools that turn JSON lines into bodies).
 * Errors as for kavro_value_from_json().
 */
KAVRO_EXPORT kavro_err_t kavro_json_to_binary(const kavro_schema_t *schema,
                                              const char *text, size_t length,
                                              kavro_buf_t *out,
                                              kavro_error_t *error);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_SERDE_H */
