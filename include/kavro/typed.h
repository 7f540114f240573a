/*
 * kavro - typed records: C structs generated from .avsc files by
 * `kavro gen`, encoded and decoded with straight-line code (one call per
 * field, no schema walking, no generic values), on the same serializer,
 * deserializer and codec as generic values.  What an application calls:
 *
 *  - kavro_str_t, kavro_bytes_t, kavro_decimal_t: the member types of
 *    strings, bytes and decimals (pointer + length);
 *  - kavro_arena_t: where a decoded record's strings, bytes, arrays and
 *    maps live, so that freeing a decoded record is one call;
 *  - kavro_typed_type_t: what generated code says about each type, and
 *    the entry points that take one: encode, decode, decode through a
 *    resolution program when the writer's schema is another one, JSON;
 *  - the typed serializer and deserializer, layers over kavro_serializer_t
 *    and kavro_deserializer_t.
 *
 * What generated code calls (the writer, the reader and their inline
 * primitives) is in kavro/typed_gen.h, apart: it is the ABI of generated
 * code, versioned by KAVRO_TYPED_ABI_VERSION, not an application API.
 *
 * Errors: the entry points write @p error only when they fail (clearing
 * a kavro_error_t costs more than encoding a small record).
 *
 * Thread safety: a kavro_typed_type_t is immutable.  An arena is one
 * thread's at a time.  A kavro_typed_resolver_t may be used by any number
 * of threads at once (its cache takes a lock only when a new writer
 * schema is met; lookups take a read lock).  A typed serializer or
 * deserializer is one thread's at a time, like the one it sits on.
 */
#ifndef KAVRO_TYPED_H
#define KAVRO_TYPED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kavro/common.h>
#include <kavro/schema.h>
#include <kavro/serde.h>
#include <kavro/serializer.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name Member types
 * A decoded record points into its arena; a record built for encoding
 * points wherever its builder likes (the encoder only reads).
 * @{
 */

/** An Avro string: UTF-8, not necessarily NUL-terminated when built by
 *  hand; a decoded one is NUL-terminated (data[length] == 0). */
typedef struct kavro_str_s {
  const char *data;
  size_t length;
} kavro_str_t;

/** Avro bytes. */
typedef struct kavro_bytes_s {
  const unsigned char *data;
  size_t length;
} kavro_bytes_t;

/** A decimal on bytes: the unscaled value, two's complement big-endian,
 *  and the schema's scale (set by the decoder; the encoder refuses a
 *  value whose scale differs from the schema's). */
typedef struct kavro_decimal_s {
  const unsigned char *unscaled;
  size_t length;
  int32_t scale;
} kavro_decimal_t;

/** A string from a C string literal or NUL-terminated text. */
static inline kavro_str_t kavro_str(const char *text) {
  kavro_str_t s = {text, text ? strlen(text) : 0};
  return s;
}
/** @} */

/**
 * @name Arena
 * A chain of blocks that allocations are carved from.  Reset keeps the
 * largest block, so a warm arena decodes a message without calling
 * malloc.
 * @{
 */

/** An arena.  Opaque. */
typedef struct kavro_arena_s kavro_arena_t;

/**
 * A new arena whose first block holds @p block_size bytes (0: 4 KiB),
 * allocated on first use, and which refuses to hold more than @p max_size
 * bytes in all (0: KAVRO_BUF_DEFAULT_MAX_SIZE).  NULL when out of memory.
 * Free it with kavro_arena_destroy().
 */
KAVRO_EXPORT kavro_arena_t *kavro_arena_new(size_t block_size, size_t max_size);

/** Free @p arena and everything allocated from it.  NULL-safe. */
KAVRO_EXPORT void kavro_arena_destroy(kavro_arena_t *arena);

/** Forget every allocation, keeping the largest block for reuse.  Records
 *  decoded into the arena are invalid afterwards. */
KAVRO_EXPORT void kavro_arena_reset(kavro_arena_t *arena);

/** @p size zeroed bytes aligned for any type, or NULL (out of memory, or
 *  past the arena's bound).  Freed with the arena. */
KAVRO_EXPORT void *kavro_arena_alloc(kavro_arena_t *arena, size_t size);

/** Bytes handed out since the last reset. */
KAVRO_EXPORT size_t kavro_arena_used(const kavro_arena_t *arena);
/** @} */

/**
 * @name Generated types
 * @{
 */

struct kavro_writer_s;
struct kavro_reader_s;

/** What generated code says about one type.  One const object per type;
 *  its functions are generated code's (see typed_gen.h). */
typedef struct kavro_typed_type_s {
  const char *name;          /**< the Avro full name ("int" for a primitive) */
  const char *schema_text;   /**< the type as a schema, self-contained */
  uint64_t rabin;            /**< CRC-64-AVRO of its canonical form */
  size_t size;               /**< sizeof the C type */
  void (*init)(void *value);
  kavro_err_t (*write)(struct kavro_writer_s *w, const void *value);
  kavro_err_t (*read)(struct kavro_reader_s *r, void *value);
  bool (*equal)(const void *a, const void *b);
  kavro_err_t (*json)(struct kavro_writer_s *w, const void *value);
} kavro_typed_type_t;

/** A schema a generated file was made for: a catalog topic or a file
 *  given to `kavro gen`. */
typedef struct kavro_typed_root_s {
  const char *topic;      /**< NULL outside a catalog */
  const char *subject;    /**< NULL outside a catalog */
  const char *file;       /**< the schema file: its path in the catalog,
                               or its base name outside one */
  const kavro_typed_type_t *type;
  /** The partition key from the catalog's template (NULL: none): writes
   *  at most @p size bytes with a NUL, returns the key's full length. */
  size_t (*partition_key)(const void *value, char *buf, size_t size);
} kavro_typed_root_t;

/**
 * Append the binary encoding of @p value (a @p type) to @p out.  Allocates
 * only when @p out must grow.  On failure @p out is as it was.
 */
KAVRO_EXPORT kavro_err_t kavro_typed_encode(const kavro_typed_type_t *type,
                                            const void *value, kavro_buf_t *out,
                                            kavro_error_t *error);

/**
 * Decode one datum of @p type's own schema from @p size bytes at @p data
 * into @p value (initialised first); strings, bytes, arrays, maps and
 * records behind pointers are allocated from @p arena, and live until it
 * is reset or destroyed (strings and bytes point into one copy of the
 * body there, each with a NUL after it, when the arena's block has room
 * for it; else each is copied on its own).  @p limits NULL: the defaults.
 * Bytes left after the datum are an error.  On failure @p value holds a
 * partial datum whose memory is in @p arena.
 */
KAVRO_EXPORT kavro_err_t kavro_typed_decode(const kavro_typed_type_t *type,
                                            const void *data, size_t size,
                                            kavro_arena_t *arena,
                                            const kavro_decode_limits_t *limits,
                                            void *value, kavro_error_t *error);

/**
 * As kavro_typed_decode(), into a new value that owns its memory (one
 * arena, one malloc for a message of ordinary size): free it with
 * kavro_typed_free().  NULL on failure, with @p error filled.
 */
KAVRO_EXPORT void *kavro_typed_decode_new(const kavro_typed_type_t *type,
                                          const void *data, size_t size,
                                          const kavro_decode_limits_t *limits,
                                          kavro_error_t *error);

/** Free a value made by kavro_typed_decode_new() and everything it holds.
 *  NULL-safe. */
KAVRO_EXPORT void kavro_typed_free(void *value);

/**
 * @p value as JSON text in the Avro JSON encoding, exactly as
 * kavro_value_to_json(KAVRO_DATUM_JSON_AVRO) writes the same datum, appended
 * to @p out (no NUL).
 */
KAVRO_EXPORT kavro_err_t kavro_typed_to_json(const kavro_typed_type_t *type,
                                             const void *value,
                                             kavro_buf_t *out,
                                             kavro_error_t *error);
/** @} */

/**
 * @name Reading data of another writer schema
 *
 * A resolver keeps, per (writer schema fingerprint, type), the resolution
 * program from the writer's schema to the type's own, built on first use.
 * Reading runs the program to turn the writer's bytes into the type's own
 * encoding (defaults, promotions, enum defaults, aliases and union
 * matching, by the rules and with the results of kavro_decode_resolved()),
 * then the generated decoder.  When the writer's fingerprint is the
 * type's own, the generated decoder runs on the bytes directly.
 * @{
 */

typedef struct kavro_typed_resolver_s kavro_typed_resolver_t;

/** A new resolver with an empty cache and @p limits (NULL: defaults).
 *  NULL when out of memory.  Free with kavro_typed_resolver_destroy(). */
KAVRO_EXPORT kavro_typed_resolver_t *
kavro_typed_resolver_new(const kavro_decode_limits_t *limits);

/** Free @p resolver and its programs.  NULL-safe; no call may be running. */
KAVRO_EXPORT void kavro_typed_resolver_destroy(kavro_typed_resolver_t *resolver);

/**
 * Decode the datum at @p data, written with @p writer, into @p value of
 * @p type; memory as for kavro_typed_decode().  Returns
 * KAVRO_ERR_INCOMPATIBLE when @p writer's data can never be read as
 * @p type, KAVRO_ERR_DECODE for a bad body or a writer branch or symbol the
 * type cannot take.  @p writer is borrowed; the cache keeps its own
 * reference.
 */
KAVRO_EXPORT kavro_err_t kavro_typed_decode_from(kavro_typed_resolver_t *resolver,
                                                 const kavro_typed_type_t *type,
                                                 kavro_schema_t *writer,
                                                 const void *data, size_t size,
                                                 kavro_arena_t *arena,
                                                 void *value,
                                                 kavro_error_t *error);
/** @} */

/**
 * @name Typed serializer and deserializer
 *
 * Typed records on the one serializer and deserializer: every setting of
 * theirs (subject strategy, compatibility gate, `auto.register.schemas`,
 * `use.latest.version`, `use.schema.id`, reader schemas, decode limits)
 * holds for typed records as for generic values.  A struct in, a framed
 * message out: the serializer says how the type's messages carry their
 * schema id, a prefix before the body or a header beside it
 * (kavro_serializer_framing(): the first message of a (topic, key or
 * value, type) does everything; later ones only look it up in a small
 * table, take no lock and allocate nothing).  A framed message in, a
 * struct out: the deserializer finds the writer schema and the reader
 * (kavro_deserializer_unframe()), and the type's own decoder or a cached
 * resolution program reads the body.  A type's schema is registered as
 * its self-contained text (named types written in full, no schema
 * references).
 * @{
 */

struct kavro_serializer_s;
struct kavro_deserializer_s;

/** A typed serializer.  Opaque; one thread at a time. */
typedef struct kavro_typed_serializer_s kavro_typed_serializer_t;

/**
 * A typed serializer over @p serializer (borrowed: it must outlive it).
 * NULL with @p error filled when out of memory or @p serializer is NULL.
 * Free with kavro_typed_serializer_destroy().
 */
KAVRO_EXPORT kavro_typed_serializer_t *
kavro_typed_serializer_new(struct kavro_serializer_s *serializer,
                           kavro_error_t *error);

/** Free @p ts and its cache.  NULL-safe. */
KAVRO_EXPORT void kavro_typed_serializer_destroy(kavro_typed_serializer_t *ts);

/**
 * Frame @p value (a @p type) for @p topic as a key (@p is_key) or a
 * value: @p out is emptied and then holds the prefix the serializer gives
 * the type's schema (kavro_serializer_prefix(), with its errors:
 * KAVRO_ERR_INCOMPATIBLE from the gate, KAVRO_ERR_ENCODE when
 * `use.latest.version` or `use.schema.id` names another schema, ...) and
 * the body.  A NULL @p value is a tombstone: @p out is left empty and
 * KAVRO_OK returned.  When the serializer puts this side's id in a header
 * (`key.`/`value.schema.id.serializer` is header), this call, which hands
 * out no header, refuses with KAVRO_ERR_INVALID_ARG: use
 * kavro_typed_serialize_message().
 */
KAVRO_EXPORT kavro_err_t kavro_typed_serialize(kavro_typed_serializer_t *ts,
                                               const char *topic, bool is_key,
                                               const kavro_typed_type_t *type,
                                               const void *value,
                                               kavro_buf_t *out,
                                               kavro_error_t *error);

/**
 * As kavro_typed_serialize(), with the id wherever the serializer's
 * settings put it, as kavro_serializer_serialize_message() does for
 * generic values: @p out holds the payload (prefix and body, or the bare
 * body) and @p framing says where the id went (send the header it names,
 * when it names one).  Its pointers are the serializer's, valid until it
 * is destroyed.  The warm path takes no lock and allocates nothing once
 * @p out has grown.  A tombstone leaves @p out empty and @p framing zeroed.
 */
KAVRO_EXPORT kavro_err_t kavro_typed_serialize_message(
    kavro_typed_serializer_t *ts, const char *topic, bool is_key,
    const kavro_typed_type_t *type, const void *value, kavro_buf_t *out,
    kavro_serializer_framing_t *framing, kavro_error_t *error);

/** A typed deserializer.  Opaque; one thread at a time. */
typedef struct kavro_typed_deserializer_s kavro_typed_deserializer_t;

/**
 * A typed deserializer over @p deserializer (borrowed: it must outlive
 * it), under its decode limits.  NULL with @p error filled.  Free with
 * kavro_typed_deserializer_destroy().
 */
KAVRO_EXPORT kavro_typed_deserializer_t *
kavro_typed_deserializer_new(struct kavro_deserializer_s *deserializer,
                             kavro_error_t *error);

/** Free @p td and its programs.  NULL-safe. */
KAVRO_EXPORT void kavro_typed_deserializer_destroy(kavro_typed_deserializer_t *td);

/**
 * Decode the message @p payload (@p size bytes; its schema id in front of
 * it, or in the header value @p header_value of @p header_size bytes, as
 * kavro_wire_unframe_dual() reads them, unless the deserializer reads the
 * prefix alone: kavro_deserializer_deserialize()) of @p topic (a key when
 * @p is_key)
 * into @p value of @p type, with memory from @p arena.  Stores the
 * writer's id in @p writer_id (may be NULL).  A NULL @p payload is a
 * tombstone: @p value is initialised and KAVRO_OK returned.  Errors:
 * kavro_deserializer_unframe()'s (the frame's, the registry's,
 * KAVRO_ERR_UNSUPPORTED for a GUID id), KAVRO_ERR_INVALID_ARG when the
 * deserializer's reader schema is not the type's, KAVRO_ERR_INCOMPATIBLE,
 * and the body's as kavro_typed_decode_from().
 */
KAVRO_EXPORT kavro_err_t kavro_typed_deserialize(
    kavro_typed_deserializer_t *td, const char *topic, bool is_key,
    const kavro_typed_type_t *type, const void *header_value,
    size_t header_size, const void *payload, size_t size,
    kavro_arena_t *arena, void *value, kavro_schema_id_t *writer_id,
    kavro_error_t *error);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_TYPED_H */
