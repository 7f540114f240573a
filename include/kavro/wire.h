/*
 * kavro - the wire frame: how a Kafka message says which schema wrote it.
 *
 * Two places can carry the schema id, and Confluent's clients (Schema
 * Registry serializers 8.x, confluent-kafka-go/-python/-dotnet/-javascript)
 * read both:
 *
 *  - the payload prefix, the classic Confluent wire format:
 *      0x00 | 4-byte big-endian schema id | Avro body
 *    (a GUID may also stand in the prefix: 0x01 | 16-byte GUID | body);
 *  - a Kafka record header named "__value_schema_id" (or "__key_schema_id"
 *    for keys) whose value is 0x01 | 16-byte GUID, the payload then being
 *    the bare Avro body.
 *
 * The first byte of an encoded id is its version ("magic byte"): 0x00 for
 * an integer id, 0x01 for a GUID.  A consumer looks at the header first and
 * falls back to the prefix (Confluent's DualSchemaIdDeserializer).
 *
 * Nothing here allocates or copies a body: framing writes into a buffer the
 * caller provides, unframing returns a pointer into the caller's payload.
 *
 * Thread safety: every function here is reentrant and keeps no state; call
 * them from any thread.  kavro_schema_id_t and kavro_wire_frame_t are plain
 * structs owned by their caller.
 */
#ifndef KAVRO_WIRE_H
#define KAVRO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kavro/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name Constants of the wire format
 * @{
 */
#define KAVRO_WIRE_MAGIC_ID 0x00   /**< version byte of an integer id */
#define KAVRO_WIRE_MAGIC_GUID 0x01 /**< version byte of a GUID */
#define KAVRO_WIRE_ID_SIZE 4       /**< bytes of an integer id */
#define KAVRO_WIRE_GUID_SIZE 16    /**< bytes of a GUID */
/** Bytes of the classic prefix: magic byte and 4-byte id. */
#define KAVRO_WIRE_PREFIX_SIZE (1 + KAVRO_WIRE_ID_SIZE)
/** Bytes of the longest encoded id (magic byte and GUID). */
#define KAVRO_WIRE_MAX_ID_SIZE (1 + KAVRO_WIRE_GUID_SIZE)
/** Header that carries the schema id of a record's key. */
#define KAVRO_WIRE_KEY_HEADER "__key_schema_id"
/** Header that carries the schema id of a record's value. */
#define KAVRO_WIRE_VALUE_HEADER "__value_schema_id"
/** Size of a buffer that holds any id as text, NUL included. */
#define KAVRO_SCHEMA_ID_STRING_SIZE 37
/** @} */

/**
 * @name Schema ids
 * @{
 */

/** What kind of identifier a kavro_schema_id_t holds. */
typedef enum kavro_schema_id_kind_e {
  KAVRO_SCHEMA_ID_NONE = 0, /**< no id (a zeroed struct) */
  KAVRO_SCHEMA_ID_INT = 1,  /**< the registry's integer id */
  KAVRO_SCHEMA_ID_GUID = 2  /**< the registry's 16-byte schema GUID */
} kavro_schema_id_kind_t;

/**
 * A schema identifier as a registry hands it out: an integer id or a GUID.
 * Only the member that @c kind names is meaningful.  The GUID is kept in
 * its wire (and text) byte order: guid[0] is the first two hex digits of
 * "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
 */
typedef struct kavro_schema_id_s {
  kavro_schema_id_kind_t kind;
  int32_t id;                               /**< when kind is INT; the
                                                 registry's are 1 ..
                                                 INT32_MAX */
  unsigned char guid[KAVRO_WIRE_GUID_SIZE]; /**< when kind is GUID */
} kavro_schema_id_t;

/** An integer schema id.  Schema ids are int32_t across the API, as the
 *  registry's protocol has them; a frame's four bytes are read as the
 *  Java clients read them (two's complement), so that an id no registry
 *  hands out (0, negative) is seen as such. */
KAVRO_EXPORT kavro_schema_id_t kavro_schema_id_int(int32_t id);

/** A GUID schema id; copies the 16 bytes at @p guid. */
KAVRO_EXPORT kavro_schema_id_t kavro_schema_id_guid(const unsigned char *guid);

/** True when @p a and @p b are the same id (same kind and value). */
KAVRO_EXPORT bool kavro_schema_id_equal(const kavro_schema_id_t *a,
                                        const kavro_schema_id_t *b);

/**
 * Write @p id as text into @p buf (@p size bytes, NUL included): decimal
 * for an integer id, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in lowercase
 * for a GUID, "" for none.  KAVRO_SCHEMA_ID_STRING_SIZE bytes always
 * suffice; a smaller buffer gets a truncated, NUL-terminated text.
 * Returns @p buf.
 */
KAVRO_EXPORT char *kavro_schema_id_format(const kavro_schema_id_t *id,
                                          char *buf, size_t size);

/**
 * Read an id from @p text: a decimal integer from 0 to 2147483647, or a
 * GUID in the 8-4-4-4-12 hex form (either case).  Returns KAVRO_OK, or
 * KAVRO_ERR_INVALID_ARG (and leaves @p *id untouched) when the text is
 * neither.
 */
KAVRO_EXPORT kavro_err_t kavro_schema_id_parse(const char *text,
                                               kavro_schema_id_t *id,
                                               kavro_error_t *error);
/** @} */

/**
 * @name Framing (producer side)
 *
 * Both functions write into a buffer the caller owns, so that a producer
 * can reuse one buffer for every message.  When @p size is too small they
 * write nothing, store the number of bytes needed in @p *length and return
 * KAVRO_ERR_INVALID_ARG; call again with a buffer that large.
 * @{
 */

/** Bytes that @p id takes encoded: 5 for an integer id, 17 for a GUID,
 *  0 for an id of no known kind. */
KAVRO_EXPORT size_t kavro_wire_id_size(const kavro_schema_id_t *id);

/**
 * Encode @p id (version byte and id) into @p buf.  This is the payload
 * prefix to put before a body, and, for a GUID, the value of the
 * KAVRO_WIRE_VALUE_HEADER / KAVRO_WIRE_KEY_HEADER header when the id
 * travels in a header.  Stores the bytes written in @p *length.
 * Returns KAVRO_ERR_INVALID_ARG for an id of no known kind.
 */
KAVRO_EXPORT kavro_err_t kavro_wire_write_id(const kavro_schema_id_t *id,
                                             void *buf, size_t size,
                                             size_t *length,
                                             kavro_error_t *error);

/**
 * Write a whole prefix frame: the encoded @p id followed by a copy of
 * @p body (@p body_size bytes; @p body may be NULL when @p body_size is 0).
 * Stores the frame's size in @p *length.  The body may overlap @p buf
 * (it is moved, not copied); a producer that encodes its body in place
 * writes the id with kavro_wire_write_id() and the body after it instead,
 * and saves the move.
 */
KAVRO_EXPORT kavro_err_t kavro_wire_frame(const kavro_schema_id_t *id,
                                          const void *body, size_t body_size,
                                          void *buf, size_t size,
                                          size_t *length, kavro_error_t *error);
/** @} */

/**
 * @name Unframing (consumer side)
 * @{
 */

/** Where a message carried its schema id. */
typedef enum kavro_wire_format_e {
  KAVRO_WIRE_FORMAT_PREFIX = 0, /**< in front of the body, in the payload */
  KAVRO_WIRE_FORMAT_HEADER = 1  /**< in a record header; payload = body */
} kavro_wire_format_t;

/** A message taken apart.  The body points into the caller's payload. */
typedef struct kavro_wire_frame_s {
  kavro_wire_format_t format; /**< where the id was found */
  kavro_schema_id_t id;       /**< the writer schema's id */
  const unsigned char *body;  /**< borrowed: lives as long as the payload */
  size_t body_size;           /**< bytes of the body (may be 0) */
} kavro_wire_frame_t;

/**
 * Read an encoded id (version byte and id) from the start of @p data
 * (@p size bytes) and store the bytes it took in @p *consumed (may be
 * NULL).  Returns KAVRO_ERR_WIRE_SHORT when @p data ends before the id
 * does (an empty buffer included) and KAVRO_ERR_WIRE_MAGIC when the first
 * byte is neither 0x00 nor 0x01; @p error's position is the offset of the
 * fault.
 */
KAVRO_EXPORT kavro_err_t kavro_wire_read_id(const void *data, size_t size,
                                            kavro_schema_id_t *id,
                                            size_t *consumed,
                                            kavro_error_t *error);

/**
 * Take apart a payload that carries its id as a prefix.  On success fills
 * @p frame (format PREFIX, body = what follows the id, never copied).
 * Errors as kavro_wire_read_id(); @p frame is zeroed on failure.
 */
KAVRO_EXPORT kavro_err_t kavro_wire_unframe(const void *payload, size_t size,
                                            kavro_wire_frame_t *frame,
                                            kavro_error_t *error);

/**
 * Take apart a message as Confluent's DualSchemaIdDeserializer does: when
 * @p header_value is not NULL (the value of the KAVRO_WIRE_VALUE_HEADER or
 * KAVRO_WIRE_KEY_HEADER header, @p header_size bytes), the id is read from
 * it and the whole payload is the body (format HEADER); bytes after the id
 * in the header are ignored, as Confluent's clients ignore them.  When
 * @p header_value is NULL (no such header, or a header with a null value),
 * this is kavro_wire_unframe().  A header that is present but malformed is
 * an error (KAVRO_ERR_WIRE_SHORT / KAVRO_ERR_WIRE_MAGIC, with the source
 * "header"), never a silent fall-back to the payload.
 */
KAVRO_EXPORT kavro_err_t kavro_wire_unframe_dual(
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_wire_frame_t *frame, kavro_error_t *error);

/** The header name for a key (@p is_key true) or a value.  Static. */
KAVRO_EXPORT const char *kavro_wire_header_name(bool is_key);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_WIRE_H */
