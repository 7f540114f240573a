/*
 * kavro - the serializer and the deserializer: avro-c generic values to and
 * from Confluent-framed Kafka messages, with the Schema Registry behind
 * them.
 *
 * The serializer names the subject (a subject name strategy), runs the
 * compatibility gate, registers or looks the schema up, encodes the value
 * and frames it: 0x00 | id | body, or, with `value.schema.id.serializer`
 * (`key.schema.id.serializer`) set to header, the bare body with the
 * schema's GUID in a record header for the caller to send (see
 * kavro_serializer_serialize_message()).  After the first message of a schema
 * for a (topic, key-or-value) pair, the same call is the warm path: no
 * registry request, no lock, no allocation (the frame goes into the
 * caller's kavro_buf_t, which keeps its memory, or the caller's bytes).
 *
 * The deserializer unframes, finds the writer schema by id (its own cache,
 * then the registry client's cache, then the registry), and decodes,
 * resolving writer to reader when a reader schema applies.
 *
 * Settings, read from a kavro_conf_t when the object is made (property
 * names as the Confluent clients name them; doc/CONFIGURATION.md):
 *   auto.register.schemas, use.latest.version, use.latest.with.metadata,
 *   latest.compatibility.strict, normalize.schemas, use.schema.id,
 *   use.schema.guid, id.compatibility.strict, key.schema.id.serializer,
 *   value.schema.id.serializer, subject.name.strategy,
 *   key.subject.name.strategy, value.subject.name.strategy, and the data
 *   contract rules' rule.executors.*, rule.actions.*, dlq.topic,
 *   dlq.auto.flush with the executors and actions registered in the conf
 *   (kavro/rules.h).  A schema's rule set runs on write and on read:
 *   KAVRO_ERR_RULE when a rule refuses a message, KAVRO_ERR_UNSUPPORTED
 *   when a rule that applies has no executor.
 * The deserializer has no schema-id setting: it always reads the header
 * first and the prefix when there is no header, as Confluent's default
 * (DualSchemaIdDeserializer) does.
 *
 * Thread safety: a kavro_serializer_t or kavro_deserializer_t is used by one
 * thread at a time (it is the per-thread state that lets the warm path take
 * no lock); make one per producing or consuming thread.  The
 * kavro_registry_t they share is thread-safe, so its caches are shared by
 * all of them.  The subject-name functions keep no state.
 */
#ifndef KAVRO_SERIALIZER_H
#define KAVRO_SERIALIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kavro/common.h>
#include <kavro/compat.h>
#include <kavro/conf.h>
#include <kavro/registry.h>
#include <kavro/schema.h>
#include <kavro/serde.h>
#include <kavro/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

struct avro_value;

/**
 * @name Subject name strategies
 * @{
 */

/** How a subject is named for a topic and a schema. */
typedef enum kavro_subject_strategy_e {
  KAVRO_SUBJECT_TOPIC = 0,    /**< TopicNameStrategy: "TOPIC-key"/"TOPIC-value" */
  KAVRO_SUBJECT_RECORD,       /**< RecordNameStrategy: the record's full name */
  KAVRO_SUBJECT_TOPIC_RECORD, /**< TopicRecordNameStrategy: "TOPIC-FULLNAME" */
  KAVRO_SUBJECT_CUSTOM,       /**< a kavro_subject_name_cb_t */
  /** AssociatedNameStrategy: the subject the registry associates with the
   *  topic (GET /associations/resources/{namespace}/{topic}), else the
   *  `subject.name.strategy.fallback.type` strategy; needs a registry, so
   *  kavro_subject_name() cannot compute it. */
  KAVRO_SUBJECT_ASSOCIATED
} kavro_subject_strategy_t;

/** Longest subject name kavro handles, NUL included. */
#define KAVRO_SUBJECT_MAX 512

/**
 * Parse a strategy as the Confluent clients name it in configuration:
 * "TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy"
 * (case-insensitive; a Java package prefix such as
 * "io.confluent.kafka.serializers.subject." is accepted).
 * KAVRO_ERR_INVALID_ARG when unknown.
 */
KAVRO_EXPORT kavro_err_t kavro_subject_strategy_parse(
    const char *name, kavro_subject_strategy_t *strategy);

/** The strategy's Confluent name ("TopicNameStrategy").  Static. */
KAVRO_EXPORT const char *kavro_subject_strategy_name(
    kavro_subject_strategy_t strategy);

/**
 * The subject for @p topic as a key (@p is_key) or a value with @p schema,
 * by one of the three built-in strategies, written into @p buf (@p size
 * bytes, NUL included).  The record strategies need a named schema
 * (record, enum or fixed): KAVRO_ERR_INVALID_ARG otherwise; the topic
 * strategies need a topic.  KAVRO_ERR_LIMIT when the name does not fit.
 * Reentrant.
 */
KAVRO_EXPORT kavro_err_t kavro_subject_name(kavro_subject_strategy_t strategy,
                                            const char *topic, bool is_key,
                                            const kavro_schema_t *schema,
                                            char *buf, size_t size,
                                            kavro_error_t *error);

/**
 * A user's subject name strategy: write the subject for @p topic (may be
 * NULL), @p is_key and @p schema into @p subject (@p size bytes, NUL
 * included) and return KAVRO_OK; any other return fails the call that
 * needed the name, with @p error (when the callback filled it).  Called on
 * the cold path only (once per schema, topic and key-or-value), from the
 * thread that uses the serializer or deserializer.
 */
typedef kavro_err_t (*kavro_subject_name_cb_t)(void *opaque, const char *topic,
                                               bool is_key,
                                               const kavro_schema_t *schema,
                                               char *subject, size_t size,
                                               kavro_error_t *error);

/**
 * A context name strategy, as Java's `context.name.strategy` class: write
 * the schema context of @p topic (".ctx", "ctx" or ":.ctx:"; "" for the
 * default context) into @p context (@p size bytes, NUL included) and
 * return KAVRO_OK; any other return fails the call that needed it.  The
 * subject the strategy names is then put in that context (":.ctx:" is
 * put before it), where its ids live.  Called on the cold path of the
 * serializer, and by the deserializer for each (topic, key or value) it
 * meets, from the thread that uses it.
 */
typedef kavro_err_t (*kavro_context_name_cb_t)(void *opaque, const char *topic,
                                               char *context, size_t size,
                                               kavro_error_t *error);
/** @} */

/**
 * @name Error classes
 * @{
 */

/** What a consumer (or producer) should do about a failure. */
typedef enum kavro_error_class_e {
  KAVRO_ERROR_CLASS_NONE = 0,  /**< no error */
  /** May succeed later: the registry gave no usable answer (see
   *  kavro_error_is_retriable()).  Retry; do not skip the message. */
  KAVRO_ERROR_CLASS_TRANSIENT,
  /** Will fail again: a malformed frame or body, an id the registry does
   *  not know, an incompatible schema, a value that does not fit, a data
   *  contract rule the message breaks (KAVRO_ERR_RULE).  A consumer skips
   *  the message (to a dead-letter queue). */
  KAVRO_ERROR_CLASS_PERMANENT,
  /** A problem of this process, not of the message: out of memory, a bad
   *  argument or configuration, credentials the registry refuses (401,
   *  403), a valid message this version cannot handle
   *  (KAVRO_ERR_UNSUPPORTED).  Neither retry blindly nor skip. */
  KAVRO_ERROR_CLASS_LOCAL
} kavro_error_class_t;

/** The class of @p error (NULL or code KAVRO_OK: NONE).  TRANSIENT exactly
 *  when kavro_error_is_retriable() is true. */
KAVRO_EXPORT kavro_error_class_t kavro_error_classify(const kavro_error_t *error);

/** "none", "transient", "permanent", "local".  Static. */
KAVRO_EXPORT const char *kavro_error_class_name(kavro_error_class_t cls);
/** @} */

/**
 * @name The compatibility gate's rules
 *
 * What a new schema of a subject is judged against, as the registry has
 * it: the serializer's gate and `sr-compat check --registry` both use
 * these, so that they judge alike.
 * @{
 */

/**
 * The level that governs @p subject: its own, else the registry's global
 * one, else BACKWARD (the registry's default when it says nothing).
 * KAVRO_ERR_BAD_RESPONSE for a level kavro does not know; the registry's
 * errors.
 */
KAVRO_EXPORT kavro_err_t kavro_subject_level(kavro_registry_t *registry,
                                             const char *subject,
                                             kavro_compat_level_t *level,
                                             kavro_error_t *error);

/** Versions of a subject: parallel arrays, oldest first.  Clear with
 *  kavro_subject_versions_clear(). */
typedef struct kavro_subject_versions_s {
  size_t count;
  kavro_schema_t **schemas; /**< a reference each */
  int *numbers;             /**< their version numbers */
} kavro_subject_versions_t;

/**
 * The versions of @p subject a new schema is checked against under
 * @p level: none for NONE, the latest, or every one for a _TRANSITIVE
 * level; none when the registry does not know the subject.  @p out is
 * filled (and must be cleared) on success, empty on failure.
 */
KAVRO_EXPORT kavro_err_t kavro_subject_previous(
    kavro_registry_t *registry, const char *subject,
    kavro_compat_level_t level, kavro_subject_versions_t *out,
    kavro_error_t *error);

/** Append @p schema (a new reference is kept) as version @p number.
 *  KAVRO_ERR_NOMEM, leaving @p versions as it was. */
KAVRO_EXPORT kavro_err_t kavro_subject_versions_add(
    kavro_subject_versions_t *versions, kavro_schema_t *schema, int number);

/** Release the schemas and arrays of @p versions and zero it.  NULL-safe. */
KAVRO_EXPORT void kavro_subject_versions_clear(
    kavro_subject_versions_t *versions);
/** @} */

/**
 * @name Serializer
 * @{
 */

/** A serializer.  Opaque; one thread at a time. */
typedef struct kavro_serializer_s kavro_serializer_t;

/**
 * A serializer that talks to @p registry (borrowed: it must outlive the
 * serializer) with the settings of @p conf (copied: the caller keeps and
 * frees @p conf; NULL: the registry's own configuration).  Returns NULL with @p error filled
 * (KAVRO_ERR_INVALID_ARG, KAVRO_ERR_CONF_INVALID, KAVRO_ERR_NOMEM).  Free
 * with kavro_serializer_destroy().
 */
KAVRO_EXPORT kavro_serializer_t *kavro_serializer_new(kavro_registry_t *registry,
                                                      const kavro_conf_t *conf,
                                                      kavro_error_t *error);

/** Free @p serializer and its caches.  NULL-safe. */
KAVRO_EXPORT void kavro_serializer_destroy(kavro_serializer_t *serializer);

/**
 * Name subjects with @p cb (and @p opaque, borrowed) instead of the
 * configured strategy, for keys (@p is_key) or values.  A NULL @p cb goes
 * back to the configured strategy.  Call before the first message.
 */
KAVRO_EXPORT void kavro_serializer_set_subject_name_cb(
    kavro_serializer_t *serializer, bool is_key, kavro_subject_name_cb_t cb,
    void *opaque);

/**
 * Put subjects (keys' and values') in the context @p cb names (with
 * @p opaque, borrowed) instead of the default context (Java's
 * NullContextNameStrategy, `context.name.strategy`'s only built-in value).
 * A NULL @p cb goes back to the default context.  Call before the first
 * message.
 */
KAVRO_EXPORT void kavro_serializer_set_context_name_cb(
    kavro_serializer_t *serializer, kavro_context_name_cb_t cb, void *opaque);

/**
 * Make @p schema ready for @p topic as a key or a value, without a
 * message: name the subject, run the compatibility gate, register or look
 * up (or take `use.schema.id`, `use.schema.guid` or the latest version),
 * and, when the id goes in a header, find the schema's GUID, and cache the
 * outcome, so that the next serialization of @p schema for the pair is
 * warm.  Stores the schema's integer id in @p *idp (may be NULL; 0 when
 * only its GUID is known: `use.schema.guid` with the id in a header).
 * @p schema is borrowed; the serializer keeps its own reference.
 *
 * The gate: unless the schema is already registered under the subject, the
 * subject's level is read (BACKWARD when the registry has none) and the
 * schema is checked locally against the latest version, or every version
 * for a _TRANSITIVE level, before anything is registered.  An incompatible
 * schema gives KAVRO_ERR_INCOMPATIBLE, @p error's text the first
 * incompatibility (and how many there are), and the whole list through
 * kavro_serializer_last_incompatibility(); nothing is registered.  The
 * verdict is cached per (subject, schema fingerprint).
 *
 * `use.schema.guid` names the schema by its GUID
 * (kavro_registry_schema_by_guid()) and is checked as `use.schema.id` is
 * (`id.compatibility.strict`); a GUID the registry does not know is
 * KAVRO_ERR_SCHEMA_NOT_FOUND (permanent).  With the id in a prefix, the
 * frames carry the id that schema has under the subject (looked up).
 *
 * Other errors: the registry's (KAVRO_ERR_SCHEMA_NOT_FOUND when
 * `auto.register.schemas` is false and the schema is not registered,
 * KAVRO_ERR_TRANSPORT when the registry is down and nothing is cached, ...),
 * KAVRO_ERR_INVALID_ARG when the strategy cannot name the subject,
 * KAVRO_ERR_UNSUPPORTED when the id goes in a header and the registry
 * gives no GUIDs (before Confluent Platform 8).
 */
KAVRO_EXPORT kavro_err_t kavro_serializer_prepare(kavro_serializer_t *serializer,
                                                  const char *topic, bool is_key,
                                                  kavro_schema_t *schema,
                                                  int32_t *idp,
                                                  kavro_error_t *error);

/**
 * Where the schema id of a message goes, as the serializer's
 * `key.schema.id.serializer` / `value.schema.id.serializer` says: before
 * the body (PREFIX), or in a record header (HEADER).  Exactly one of
 * @c prefix and @c header_name is set (neither for a tombstone).  The
 * pointers are borrowed from the serializer: valid, unchanged, until it
 * is destroyed, so a caller may keep them.
 */
typedef struct kavro_serializer_framing_s {
  kavro_wire_format_t format; /**< where the id goes */
  /** The id the message carries: the integer id (PREFIX) or the
   *  schema's GUID (HEADER); kind NONE for a tombstone. */
  kavro_schema_id_t id;
  /** PREFIX: the bytes before the body (0x00 and the 4-byte id); NULL
   *  otherwise. */
  const unsigned char *prefix;
  size_t prefix_size; /**< KAVRO_WIRE_PREFIX_SIZE, or 0 */
  /** HEADER: the header to add to the record, KAVRO_WIRE_VALUE_HEADER or
   *  KAVRO_WIRE_KEY_HEADER (static); NULL otherwise. */
  const char *header_name;
  /** HEADER: the header's value, 0x01 and the 16-byte GUID, as
   *  kavro_wire_unframe_dual() reads it; NULL otherwise. */
  const unsigned char *header_value;
  size_t header_size; /**< KAVRO_WIRE_MAX_ID_SIZE, or 0 */
} kavro_serializer_framing_t;

/**
 * As kavro_serializer_prepare(), and store in @p framing how every
 * message of @p schema for the pair carries its id: the prefix to write
 * before the body, or the header to send with it.  For encoders that
 * write the body themselves, such as typed records (kavro/typed.h): every
 * serializer setting (subject strategy, `auto.register.schemas`,
 * `use.latest.version`, `use.schema.id`, `use.schema.guid`, the gate, the
 * id's place) applies to them as to generic values, and the body must be
 * written with @p schema.  The warm path (the pair seen before) makes no
 * registry request, takes no lock and allocates nothing.  Errors as
 * kavro_serializer_prepare().
 */
KAVRO_EXPORT kavro_err_t kavro_serializer_framing(
    kavro_serializer_t *serializer, const char *topic, bool is_key,
    kavro_schema_t *schema, kavro_serializer_framing_t *framing,
    kavro_error_t *error);

/**
 * As kavro_serializer_framing(), for the prefix alone: copy the frame
 * prefix the serializer writes before every body of @p schema for the
 * pair (the magic byte and the 4-byte id: KAVRO_WIRE_PREFIX_SIZE bytes)
 * into @p prefix.  When the id goes in a header for this side
 * (`key.`/`value.schema.id.serializer` is header) there is no prefix:
 * KAVRO_ERR_INVALID_ARG.  Errors otherwise as kavro_serializer_prepare().
 */
KAVRO_EXPORT kavro_err_t kavro_serializer_prefix(
    kavro_serializer_t *serializer, const char *topic, bool is_key,
    kavro_schema_t *schema, unsigned char prefix[KAVRO_WIRE_PREFIX_SIZE],
    kavro_error_t *error);

/**
 * Serialize @p value, an avro-c generic value of @p schema (see serde.h),
 * for @p topic as a key (@p is_key) or a value: @p out is emptied and then
 * holds the whole frame (0x00 | 4-byte id | Avro body).  The first call
 * for a (schema, topic, key-or-value) does what kavro_serializer_prepare()
 * does, with its errors; later calls make no registry request, take no
 * lock and allocate nothing once @p out has grown to the message size.
 *
 * The rule set of the schema the frame's id names is judged for writing
 * (doc/API.md, Errors): a rule that applies and cannot be executed is
 * KAVRO_ERR_UNSUPPORTED, nothing written.
 *
 * A @p schema with defects only a lenient parse accepts
 * (kavro_schema_relaxed_count() > 0: schemas a registry may hold) is
 * KAVRO_ERR_SCHEMA_INVALID naming the first, before any request: data is
 * produced with schemas the specification allows, as registration
 * requires.
 *
 * With `use.latest.version` (or `use.schema.id`, or
 * `use.latest.with.metadata`, which comes first and checks no
 * compatibility) the frame carries the id of the subject's latest version
 * (or that id, or the latest version with that metadata), and @p value is encoded
 * with @p schema, which must then be that same schema (same canonical
 * form), since a body is always written with the schema its id names.
 * Otherwise: KAVRO_ERR_INCOMPATIBLE, as the gate refuses, when
 * `latest.compatibility.strict` (`id.compatibility.strict`) is set and the
 * target schema cannot read @p schema's data; else KAVRO_ERR_ENCODE.  The
 * id is taken on the first call and kept.
 *
 * A tombstone: when @p value is NULL nothing is framed, @p out is left
 * empty (length 0, which no frame has) and KAVRO_OK is returned without
 * touching the registry; @p schema may be NULL then.  Produce a NULL
 * payload.
 *
 * Encoding errors as kavro_encode() (KAVRO_ERR_ENCODE, KAVRO_ERR_LIMIT);
 * on failure @p out is empty.  When the id of this side goes in a header
 * (`key.`/`value.schema.id.serializer` is header), this call, which hands
 * out no header, refuses with KAVRO_ERR_INVALID_ARG rather than produce a
 * body nobody can read: use kavro_serializer_serialize_message().
 */
KAVRO_EXPORT kavro_err_t kavro_serializer_serialize(
    kavro_serializer_t *serializer, const char *topic, bool is_key,
    kavro_schema_t *schema, const struct avro_value *value, kavro_buf_t *out,
    kavro_error_t *error);

/**
 * As kavro_serializer_serialize(), with the id wherever the serializer's
 * settings put it: @p out holds the payload to produce (the prefix and the
 * body, or the bare body) and @p framing says where the id went; when
 * @p framing->header_name is set, send the header it names with
 * @p framing->header_value as its value (rd_kafka_header_add()), else
 * the payload is the whole message.  Prefix or header, keys or values,
 * generic values or typed records (kavro_typed_serialize_message()): one
 * path, one cache.  The warm path makes no request, takes no lock and
 * allocates nothing.  A tombstone (@p value NULL) leaves @p out empty and
 * @p framing zeroed.  Errors as kavro_serializer_serialize(); on failure
 * @p out is empty and @p framing zeroed.
 */
KAVRO_EXPORT kavro_err_t kavro_serializer_serialize_message(
    kavro_serializer_t *serializer, const char *topic, bool is_key,
    kavro_schema_t *schema, const struct avro_value *value, kavro_buf_t *out,
    kavro_serializer_framing_t *framing, kavro_error_t *error);

/**
 * As kavro_serializer_serialize(), into the caller's @p size bytes at
 * @p dst; stores the frame's length in @p *written (0 for a tombstone).
 * KAVRO_ERR_LIMIT when the frame does not fit.  Prefix framing only, as
 * kavro_serializer_serialize().
 */
KAVRO_EXPORT kavro_err_t kavro_serializer_serialize_to(
    kavro_serializer_t *serializer, const char *topic, bool is_key,
    kavro_schema_t *schema, const struct avro_value *value, void *dst,
    size_t size, size_t *written, kavro_error_t *error);

/**
 * The incompatibilities of the last call refused with
 * KAVRO_ERR_INCOMPATIBLE, or NULL when the last call was not refused by the
 * gate.  Borrowed: valid until the next call on @p serializer.
 */
KAVRO_EXPORT const kavro_compat_result_t *kavro_serializer_last_incompatibility(
    const kavro_serializer_t *serializer);

/**
 * The subject the last call (successful or not) worked on, or "" when it
 * did not get that far.  Borrowed: valid until the next call.
 */
KAVRO_EXPORT const char *kavro_serializer_last_subject(
    const kavro_serializer_t *serializer);

/**
 * The record the messages serialized next belong to (@p record borrowed:
 * it must stay valid, and is read, by every call until the next
 * kavro_serializer_set_record(); NULL: none, the default).  Its key and
 * headers are what the data contract rules see (kavro_rule_ctx_key(),
 * kavro_rule_ctx_header()): the DLQ rule action sends them with the
 * refused message, as Java's DlqAction sends the record's key and
 * headers, and a rule named in its last `__rule.name` header is not run
 * (KAVRO_RULE_HEADER_NAME).  A rule action that dead-letters the message
 * sets @p record->dead_lettered.  The Kafka producer helper sets it for
 * each record it produces.  Not thread-safe: call it from the thread that
 * uses the serializer, as every call on it.
 */
KAVRO_EXPORT void kavro_serializer_set_record(kavro_serializer_t *serializer,
                                              kavro_record_t *record);
/** @} */

/**
 * @name Deserializer
 * @{
 */

/** A deserializer.  Opaque; one thread at a time. */
typedef struct kavro_deserializer_s kavro_deserializer_t;

/**
 * A deserializer that talks to @p registry (borrowed) with the settings of
 * @p conf (copied; NULL: the registry's configuration) and the decode
 * @p limits (copied; NULL: the defaults).  A reader schema applies, in this
 * order: one given with kavro_deserializer_set_reader(); the schema of
 * `use.schema.id` when set; the subject's latest version whose metadata
 * has the properties of `use.latest.with.metadata`; the subject's latest
 * version with `use.latest.version`; otherwise data is read with its
 * writer schema.  The rule sets of the writer schema and of a reader
 * chosen from the registry are judged for reading (doc/API.md, Errors):
 * a rule that applies and cannot be executed is KAVRO_ERR_UNSUPPORTED.
 * Returns NULL with @p error filled.  Free with
 * kavro_deserializer_destroy().
 */
KAVRO_EXPORT kavro_deserializer_t *kavro_deserializer_new(
    kavro_registry_t *registry, const kavro_conf_t *conf,
    const kavro_decode_limits_t *limits, kavro_error_t *error);

/** Free @p deserializer, its caches and the values it handed out.
 *  NULL-safe. */
KAVRO_EXPORT void kavro_deserializer_destroy(kavro_deserializer_t *deserializer);

/**
 * Read every message of keys (@p is_key) or values as @p reader (the
 * deserializer keeps a reference; NULL: back to the configured source).
 * The plan from each writer schema to @p reader is built once and cached.
 */
KAVRO_EXPORT void kavro_deserializer_set_reader(kavro_deserializer_t *deserializer,
                                                bool is_key,
                                                kavro_schema_t *reader);

/** Name subjects (for `use.latest.version`) with @p cb, as for the
 *  serializer.  NULL: the configured strategy. */
KAVRO_EXPORT void kavro_deserializer_set_subject_name_cb(
    kavro_deserializer_t *deserializer, bool is_key,
    kavro_subject_name_cb_t cb, void *opaque);

/** Put subjects in the context @p cb names, as for the serializer: the
 *  writer's id is then looked up in that context (GET /schemas/ids/{id}
 *  ?subject=:.ctx:SUBJECT).  NULL: the default context. */
KAVRO_EXPORT void kavro_deserializer_set_context_name_cb(
    kavro_deserializer_t *deserializer, kavro_context_name_cb_t cb,
    void *opaque);

/**
 * The record the messages deserialized next came in, as for the
 * serializer (kavro_serializer_set_record(): borrowed until the next
 * call, NULL: none): a rule named in the record's last `__rule.name`
 * header, which the DLQ rule action gave it, is not run again, as the
 * Confluent deserializers skip it; the DLQ rule action sends the record's
 * key and headers with the payload.  kavro_kafka_decode() and the Kafka
 * consumer helper set it for each message.  Not thread-safe: call it from
 * the thread that uses the deserializer.
 */
KAVRO_EXPORT void kavro_deserializer_set_record(
    kavro_deserializer_t *deserializer, kavro_record_t *record);

/** A decoded message.  Every pointer is borrowed from the deserializer and
 *  valid until its next call or its destruction. */
typedef struct kavro_deserialized_s {
  const struct avro_value *value; /**< the datum; NULL for a tombstone */
  const kavro_schema_t *schema;   /**< schema of @c value (reader or writer) */
  const kavro_schema_t *writer;   /**< the writer schema */
  kavro_schema_id_t writer_id;    /**< the id the message carried */
  kavro_wire_format_t format;     /**< where the id was found */
  bool resolved;                  /**< read through a resolution plan */
} kavro_deserialized_t;

/**
 * Decode one message of @p topic (may be NULL unless a subject must be
 * named), a key (@p is_key) or a value: @p payload (@p size bytes) with
 * the schema-id header's value @p header_value (@p header_size bytes; NULL
 * when the message has no such header), as kavro_wire_unframe_dual() takes
 * them apart; with `key.schema.id.deserializer` (keys) or
 * `value.schema.id.deserializer` (values) set to `prefix`, @p header_value
 * is not looked at and the id must be in the prefix.  A NULL @p payload is
 * a tombstone: @p out->value is NULL and KAVRO_OK is returned.
 *
 * Errors, to be read with kavro_error_classify(): a malformed frame
 * (KAVRO_ERR_WIRE_SHORT, KAVRO_ERR_WIRE_MAGIC), body (KAVRO_ERR_DECODE,
 * KAVRO_ERR_LIMIT) or an id the registry confirms it does not know
 * (KAVRO_ERR_SCHEMA_NOT_FOUND from a 404 with error code 40403) are
 * permanent; any failure to get an answer from the registry (not reached,
 * timed out, 5xx, 429, a reply that is not a registry answer) is transient.
 * A writer named by GUID (in the prefix or the header) is looked up with
 * kavro_registry_schema_by_guid() and read like one named by an integer
 * id, with the same error classes.  A writer the reader
 * can never read gives KAVRO_ERR_INCOMPATIBLE (permanent).  On failure every field of @p out is
 * zero except @p out->writer_id and @p out->format, which are set whenever
 * the id could be read (for a dead-letter header).
 */
KAVRO_EXPORT kavro_err_t kavro_deserializer_deserialize(
    kavro_deserializer_t *deserializer, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserialized_t *out, kavro_error_t *error);

/**
 * A message taken apart but not decoded, for decoders of their own (typed
 * records): the writer schema its id names and the reader schema the
 * deserializer's settings choose.
 */
typedef struct kavro_deserializer_frame_s {
  kavro_schema_id_t writer_id;   /**< the id the message carried */
  kavro_wire_format_t format;    /**< where the id was found */
  /** The writer schema; borrowed, valid until the deserializer is
   *  destroyed. */
  const kavro_schema_t *writer;
  /** The reader schema that applies (see kavro_deserializer_new()), or
   *  NULL when data is read with its writer schema.  A reference: release
   *  it with kavro_schema_destroy(). */
  kavro_schema_t *reader;
  const unsigned char *body;     /**< the Avro body, inside the payload */
  size_t body_size;              /**< its length in bytes */
} kavro_deserializer_frame_t;

/**
 * Take the message @p payload (@p size bytes; @p header_value as for
 * kavro_deserializer_deserialize()) apart as kavro_deserializer_deserialize()
 * does before decoding: unframe it, find the writer schema by its id and
 * the reader schema that applies, with the same settings, caches and
 * errors.  @p payload must not be NULL (a tombstone has no frame).  On
 * failure @p out is zeroed except @p out->writer_id and @p out->format,
 * set whenever the id could be read.  When the schema the message is read
 * as has data contract rules to run on read (kavro/rules.h), or a
 * migration applies, the caller's own decoding would skip them: refused
 * with the rule set's refusal or KAVRO_ERR_UNSUPPORTED (use
 * kavro_deserializer_deserialize() or kavro_typed_deserialize(), which
 * run them).
 */
KAVRO_EXPORT kavro_err_t kavro_deserializer_unframe(
    kavro_deserializer_t *deserializer, const char *topic, bool is_key,
    const void *header_value, size_t header_size, const void *payload,
    size_t size, kavro_deserializer_frame_t *out, kavro_error_t *error);

/** The decode limits @p deserializer was made with.  Borrowed: valid until
 *  it is destroyed. */
KAVRO_EXPORT const kavro_decode_limits_t *kavro_deserializer_limits(
    const kavro_deserializer_t *deserializer);

/**
 * Decode the prefix-framed message at the start of @p data (@p size bytes)
 * when more may follow it, as in a stream of concatenated frames (what
 * `kavro encode --registry` writes): as kavro_deserializer_deserialize()
 * without a header, except that bytes after the message are not an error;
 * stores the bytes the message took (prefix and body) in @p *consumed.
 */
KAVRO_EXPORT kavro_err_t kavro_deserializer_deserialize_next(
    kavro_deserializer_t *deserializer, const char *topic, bool is_key,
    const void *data, size_t size, kavro_deserialized_t *out,
    size_t *consumed, kavro_error_t *error);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_SERIALIZER_H */
