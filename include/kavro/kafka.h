/*
 * kavro - Kafka glue: producing and consuming Avro records with librdkafka.
 *
 * This header is NOT included by <kavro.h>: it includes
 * <librdkafka/rdkafka.h>, and a program that only handles schemas or
 * frames should not need librdkafka's headers to build.  Include it after
 * <kavro.h>; link with librdkafka (`pkg-config --libs rdkafka`).
 *
 * Three pieces:
 *
 *  - a producer helper (kavro_kafka_producer_t) that serializes a record's
 *    key and value with a kavro_serializer_t and hands them, with the
 *    record's headers, to rd_kafka_producev();
 *  - a consumer helper (kavro_kafka_consumer_t) that polls an
 *    rd_kafka_t consumer, decodes each message's key and value with
 *    kavro_deserializer_t, and keeps the at-least-once promise: an offset
 *    is stored only for a message the application has finished with or
 *    that went to the dead-letter topic; a message that failed for a
 *    transient reason (the registry is down, or the application's handler
 *    says so with kavro_kafka_consumer_fail()) is tried again in place
 *    after a backoff, its partition waiting meanwhile, never skipped;
 *  - a dead-letter forwarder (kavro_kafka_dlq_t) that writes a message that
 *    can never be decoded, or whose handler failed for good, to a
 *    dead-letter topic unchanged, with headers saying where it came from
 *    and why it failed.
 *
 * Values are avro-c generic values, or the typed records that `kavro gen`
 * generates (kavro/typed.h): a record names its kavro_typed_type_t, and a
 * consumer is told which type each topic's values decode into.
 *
 * kavro_kafka_decode() and kavro_kafka_decode_typed() are the stateless
 * core of the consumer helper, for applications with their own poll loop.
 *
 * Thread safety: a producer helper, consumer helper or forwarder is used
 * by one thread at a time (each owns a serializer or deserializers, which
 * are per-thread).  The rd_kafka_t handles they borrow are librdkafka's and
 * thread-safe as librdkafka says.  kavro_kafka_decode() is as thread-safe
 * as the deserializer it is given.
 */
#ifndef KAVRO_KAFKA_H
#define KAVRO_KAFKA_H

#ifndef KAVRO_H
#error "include <kavro.h> before <kavro/kafka.h>"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include <kavro/typed.h>

#ifdef __cplusplus
extern "C" {
#endif

struct avro_value;

/**
 * @name Producing
 * @{
 */

/** One record to produce.  Fill it after kavro_kafka_record_init(). */
typedef struct kavro_kafka_record_s {
  const char *topic;     /**< required */
  int32_t partition;     /**< RD_KAFKA_PARTITION_UA: the partitioner */
  /** An Avro key: its schema and value (both set), serialized as a key
   *  (subject TOPIC-key by default).  NULL: the key is @c key below. */
  kavro_schema_t *key_schema;
  const struct avro_value *key_value;
  /** A plain key (a partition key text), used as is when @c key_schema is
   *  NULL; NULL: no key.  Borrowed; librdkafka copies it. */
  const void *key;
  size_t key_size;
  /** The value's schema and value; a NULL @c value is a tombstone (a
   *  NULL payload), and @c value_schema may then be NULL. */
  kavro_schema_t *value_schema;
  const struct avro_value *value;
  /** Or a typed record (code from `kavro gen`): when @c value_type is set,
   *  @c value_record of that type is the value (NULL: a tombstone), and
   *  @c value_schema and @c value are not used.  It is framed by
   *  kavro_typed_serialize() over the helper's serializer: the type's own
   *  schema is what the compatibility gate checks and the registry holds. */
  const kavro_typed_type_t *value_type;
  const void *value_record;
  /** Headers to send (borrowed; copied), NULL: none. */
  const rd_kafka_headers_t *headers;
  int64_t timestamp;     /**< milliseconds since the epoch; 0: now */
  void *opaque;          /**< the delivery report's per-message opaque */
} kavro_kafka_record_t;

/** Zero @p record and set its partition to RD_KAFKA_PARTITION_UA. */
KAVRO_EXPORT void kavro_kafka_record_init(kavro_kafka_record_t *record);

/** A producer helper.  Opaque; one thread at a time. */
typedef struct kavro_kafka_producer_s kavro_kafka_producer_t;

/**
 * A producer helper that produces with @p rk (a producer, borrowed: it
 * must outlive the helper; the application polls it for delivery reports
 * and flushes it) and serializes with a serializer of its own, made from
 * @p registry (borrowed) and @p conf (read now; NULL: the registry's
 * configuration).  When librdkafka's queue is full, kavro_kafka_produce()
 * polls @p rk and tries again for up to @p queue_full_wait_ms
 * milliseconds (0: it returns at once).  Returns NULL with @p error filled
 * (KAVRO_ERR_INVALID_ARG, KAVRO_ERR_CONF_INVALID, KAVRO_ERR_NOMEM).  Free
 * with kavro_kafka_producer_destroy().
 */
KAVRO_EXPORT kavro_kafka_producer_t *
kavro_kafka_producer_new(rd_kafka_t *rk, kavro_registry_t *registry,
                         const kavro_conf_t *conf, int queue_full_wait_ms,
                         kavro_error_t *error);

/** Free @p producer (not its rd_kafka_t).  NULL-safe. */
KAVRO_EXPORT void kavro_kafka_producer_destroy(kavro_kafka_producer_t *producer);

/**
 * The helper's serializer (borrowed, owned by @p producer): for
 * kavro_serializer_prepare() before the first message, a subject name
 * callback, or kavro_serializer_last_incompatibility() after a refusal.
 */
KAVRO_EXPORT kavro_serializer_t *
kavro_kafka_producer_serializer(kavro_kafka_producer_t *producer);

/**
 * Serialize @p record's key (when it is Avro) and value and enqueue the
 * message with rd_kafka_producev() (librdkafka copies the bytes; the
 * helper keeps its buffers for the next record).  Where the schema ids go
 * is the serializer's `key.schema.id.serializer` /
 * `value.schema.id.serializer`: in the payload's prefix, or in a
 * `__key_schema_id` / `__value_schema_id` header added after the
 * record's own headers (kavro_serializer_serialize_message()), for
 * generic values and typed records alike.  The data contract rules see
 * the record (kavro_serializer_set_record()): its key (once serialized,
 * for an Avro key) and its own headers, which the DLQ rule action sends
 * along.  Serialization errors are
 * the serializer's (KAVRO_ERR_INCOMPATIBLE when the compatibility gate
 * refuses the schema, with kavro_serializer_last_incompatibility() set;
 * KAVRO_ERR_TRANSPORT when the registry cannot be reached and nothing is
 * cached; KAVRO_ERR_ENCODE ...): nothing is produced then.  When
 * librdkafka refuses the message, returns KAVRO_ERR_TRANSPORT for a queue
 * that stayed full (retry later) and KAVRO_ERR_INVALID_ARG otherwise (an
 * unknown topic or partition, a message too large), with librdkafka's
 * error in @p *kafka_errp (may be NULL; RD_KAFKA_RESP_ERR_NO_ERROR when
 * the failure was kavro's) and its text in @p error.
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_produce(kavro_kafka_producer_t *producer,
                                             const kavro_kafka_record_t *record,
                                             rd_kafka_resp_err_t *kafka_errp,
                                             kavro_error_t *error);

/**
 * Fill the partition-key @p key_template (text with `{field}`
 * placeholders, as avro/catalog.json writes them:
 * "{country_code}_{service_order_id}") from the top-level fields of
 * @p record, an avro-c record value, into @p buf (@p size bytes, NUL
 * included) and store the key's length in @p *lengthp (may be NULL).
 * A field must be a string, an int, a long or an enum (its symbol);
 * anything else, a missing field, or unbalanced braces give
 * KAVRO_ERR_INVALID_ARG naming the culprit; KAVRO_ERR_LIMIT when the key
 * does not fit.  Reentrant.
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_partition_key(const char *key_template,
                                                   const struct avro_value *record,
                                                   char *buf, size_t size,
                                                   size_t *lengthp,
                                                   kavro_error_t *error);
/** @} */

/**
 * @name Decoding one message
 * @{
 */

/**
 * Decode the key (@p is_key) or the value of @p message with
 * @p deserializer, taking the schema id from the message's
 * `__key_schema_id` / `__value_schema_id` header when it has one, else
 * from the payload's prefix (as Confluent's DualSchemaIdDeserializer
 * does).  A NULL key or payload is a tombstone: @p out->value is NULL.
 * The data contract rules see the message's key and headers
 * (kavro_deserializer_set_record(), set for the call and cleared after
 * it): the DLQ rule action sends them along, and a rule named in the
 * last `__rule.name` header is not run.
 * @p out's pointers are borrowed from @p deserializer (valid until its
 * next call).  Errors and their classes are those of
 * kavro_deserializer_deserialize(); KAVRO_ERR_INVALID_ARG when
 * @p message carries a Kafka error instead of data.
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_decode(kavro_deserializer_t *deserializer,
                                            const rd_kafka_message_t *message,
                                            bool is_key,
                                            kavro_deserialized_t *out,
                                            kavro_error_t *error);

/**
 * Decode the value of @p message into @p record, a @p type, with
 * @p deserializer (kavro_typed_deserialize(): the writer schema the
 * message names, in its `__value_schema_id` header or its payload's
 * prefix, found by id through the registry's cache, and read through a
 * resolution program when it is not the type's own).  Strings, arrays and
 * maps live in @p arena.  Stores the writer id in @p *idp (may be NULL)
 * as soon as it is read, also on failure.  A tombstone (NULL payload)
 * leaves @p record initialised and returns KAVRO_OK.  Errors and their
 * classes are kavro_typed_deserialize()'s: the frame's (KAVRO_ERR_WIRE_*),
 * the registry's (KAVRO_ERR_SCHEMA_NOT_FOUND permanent,
 * KAVRO_ERR_TRANSPORT transient), KAVRO_ERR_INCOMPATIBLE, KAVRO_ERR_DECODE;
 * KAVRO_ERR_INVALID_ARG when @p message carries a Kafka error.  Thread
 * safety: that of the deserializer and arena (one thread).
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_decode_typed(
    kavro_typed_deserializer_t *deserializer, const rd_kafka_message_t *message,
    const kavro_typed_type_t *type, kavro_arena_t *arena, void *record,
    kavro_schema_id_t *idp, kavro_error_t *error);
/** @} */

/**
 * @name Dead-letter forwarder
 *
 * A message forwarded keeps its key, value and headers byte for byte and
 * gains these headers (values as UTF-8 text, numbers in decimal):
 * @{
 */
#define KAVRO_DLQ_HEADER_TOPIC "kavro.dlq.topic"         /**< origin topic */
#define KAVRO_DLQ_HEADER_PARTITION "kavro.dlq.partition" /**< origin partition */
#define KAVRO_DLQ_HEADER_OFFSET "kavro.dlq.offset"       /**< origin offset */
/** Origin timestamp in milliseconds; absent when the message had none. */
#define KAVRO_DLQ_HEADER_TIMESTAMP "kavro.dlq.timestamp"
/** "key" or "value": the part that could not be decoded (absent when the
 *  handler failed). */
#define KAVRO_DLQ_HEADER_PART "kavro.dlq.part"
/** The kavro_err_t in decimal ("-13"). */
#define KAVRO_DLQ_HEADER_ERROR_CODE "kavro.dlq.error.code"
/** The error's name (kavro_err2name(): "DECODE"). */
#define KAVRO_DLQ_HEADER_ERROR_NAME "kavro.dlq.error.name"
/** The error as kavro_error_format() writes it. */
#define KAVRO_DLQ_HEADER_ERROR_MESSAGE "kavro.dlq.error.message"
/** The writer schema id, when it could be read (kavro_schema_id_format()). */
#define KAVRO_DLQ_HEADER_SCHEMA_ID "kavro.dlq.schema.id"
/** Why the message is there: the class of the decode failure
 *  (kavro_error_class_name(): "permanent"), or
 *  KAVRO_DLQ_ERROR_CLASS_HANDLER when the application's handler failed on a
 *  message that decoded (kavro_kafka_dlq_forward_handler()). */
#define KAVRO_DLQ_HEADER_ERROR_CLASS "kavro.dlq.error.class"
/** The value of KAVRO_DLQ_HEADER_ERROR_CLASS for a handler failure. */
#define KAVRO_DLQ_ERROR_CLASS_HANDLER "handler"
/** For a handler failure only: how many times the handler failed on the
 *  message, the first try included (decimal: "4" after three retries). */
#define KAVRO_DLQ_HEADER_RETRIES "kavro.dlq.retries"

/**
 * Hand the SASL credentials of the Kafka client configuration @p kafka_conf
 * (its `sasl.username` and `sasl.password`, read with rd_kafka_conf_get())
 * to the registry configuration @p conf, for
 * `basic.auth.credentials.source=SASL_INHERIT`: the registry client made
 * from @p conf then sends them as HTTP basic auth, as Confluent's clients
 * do.  Its OAUTHBEARER (OIDC) settings, when it names a
 * `sasl.oauthbearer.client.id`, are handed over too, for
 * `bearer.auth.credentials.source=SASL_OAUTHBEARER_INHERIT`
 * (kavro_conf_set_sasl_oauthbearer(): the token endpoint, client id and
 * secret, scope, and the `identityPoolId` of `sasl.oauthbearer.extensions`;
 * a librdkafka built without OIDC support has none).  Call it before
 * kavro_registry_new(); with an rd_kafka_t, pass rd_kafka_conf(rk).  Both
 * configurations are only read and copied from.  Returns KAVRO_OK,
 * KAVRO_ERR_INVALID_ARG for a NULL argument, KAVRO_ERR_CONF_INVALID when
 * @p kafka_conf has neither a `sasl.username` nor a
 * `sasl.oauthbearer.client.id` (or a user name HTTP basic auth cannot
 * carry), KAVRO_ERR_NOMEM.  The values are never put in @p error.
 */
KAVRO_EXPORT kavro_err_t
kavro_kafka_conf_inherit_sasl(kavro_conf_t *conf,
                              const rd_kafka_conf_t *kafka_conf,
                              kavro_error_t *error);

/** A dead-letter forwarder.  Opaque; one thread at a time. */
typedef struct kavro_kafka_dlq_s kavro_kafka_dlq_t;

/**
 * A forwarder that writes to @p topic (copied) with a producer of its own
 * made from @p conf (librdkafka settings: at least bootstrap.servers).
 * It takes @p conf on success only (like rd_kafka_new()) and sets its
 * delivery report callback, so that a forward can wait for its message
 * to be acknowledged.  Returns NULL with @p error filled
 * (KAVRO_ERR_INVALID_ARG, KAVRO_ERR_CONF_INVALID with librdkafka's text,
 * KAVRO_ERR_NOMEM).  Free with kavro_kafka_dlq_destroy().
 */
KAVRO_EXPORT kavro_kafka_dlq_t *kavro_kafka_dlq_new(rd_kafka_conf_t *conf,
                                                    const char *topic,
                                                    kavro_error_t *error);

/** Flush what is in flight (up to 10 s) and free @p dlq.  NULL-safe. */
KAVRO_EXPORT void kavro_kafka_dlq_destroy(kavro_kafka_dlq_t *dlq);

/** The dead-letter topic.  Owned by @p dlq. */
KAVRO_EXPORT const char *kavro_kafka_dlq_topic(const kavro_kafka_dlq_t *dlq);

/** Messages forwarded and acknowledged since @p dlq was made. */
KAVRO_EXPORT uint64_t kavro_kafka_dlq_count(const kavro_kafka_dlq_t *dlq);

/**
 * Forward @p message, whose key (@p is_key) or value failed to decode
 * with @p cause, to the dead-letter topic, and wait up to @p timeout_ms
 * for the broker to acknowledge it, so that the caller may then store the
 * message's offset.  @p schema_id (may be NULL or of kind NONE) is the
 * writer id the message carried.  Only a permanent failure may be
 * forwarded (kavro_error_classify(cause) is PERMANENT): anything else is
 * refused with KAVRO_ERR_INVALID_ARG, because a transient failure will
 * pass if the message is read again.  KAVRO_ERR_TRANSPORT (with
 * librdkafka's text) when the message was refused or failed, and
 * KAVRO_ERR_TIMED_OUT when it was not acknowledged in time: then do not
 * store its offset.
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_dlq_forward(kavro_kafka_dlq_t *dlq,
                                                 const rd_kafka_message_t *message,
                                                 bool is_key,
                                                 const kavro_error_t *cause,
                                                 const kavro_schema_id_t *schema_id,
                                                 int timeout_ms,
                                                 kavro_error_t *error);

/**
 * Forward @p message, which decoded but whose handler failed, to the
 * dead-letter topic and wait up to @p timeout_ms for its acknowledgement,
 * as kavro_kafka_dlq_forward() does.  @p cls is the class of the
 * handler's last failure: KAVRO_ERROR_CLASS_PERMANENT (the message broke
 * a business rule: it went at once; KAVRO_DLQ_HEADER_ERROR_CODE says
 * KAVRO_ERR_RULE) or KAVRO_ERROR_CLASS_TRANSIENT (its retries are spent:
 * KAVRO_ERR_LIMIT).  @p reason (may be NULL; copied, made printable) is the
 * handler's text, written to KAVRO_DLQ_HEADER_ERROR_MESSAGE; @p tries
 * (at least 1) goes to KAVRO_DLQ_HEADER_RETRIES; KAVRO_DLQ_HEADER_ERROR_CLASS
 * is KAVRO_DLQ_ERROR_CLASS_HANDLER; KAVRO_DLQ_HEADER_PART is absent (no
 * part failed to decode); @p schema_id (may be NULL) is the writer id the
 * message was decoded with.  Errors: KAVRO_ERR_INVALID_ARG for another
 * class or fewer than one try, else as kavro_kafka_dlq_forward().
 * kavro_kafka_consumer_fail() calls it; an application with its own poll
 * loop may too.
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_dlq_forward_handler(
    kavro_kafka_dlq_t *dlq, const rd_kafka_message_t *message,
    kavro_error_class_t cls, const char *reason, int tries,
    const kavro_schema_id_t *schema_id, int timeout_ms, kavro_error_t *error);
/** @} */

/**
 * @name The DLQ rule action
 * @{
 */

/**
 * Register the `DLQ` rule action (Java's DlqAction) in @p conf
 * (kavro/rules.h), producing with @p producer (borrowed: it must outlive
 * every serializer and deserializer made with @p conf).  A rule whose
 * onSuccess or onFailure says DLQ writes the message to the topic
 * `dlq.topic` names (a `rule.actions.DLQ.param.dlq.topic` parameter,
 * else the conf's `dlq.topic`, else the rule's `dlq.topic` parameter or
 * the schema's metadata property of that name), as Java's action does:
 * the key and headers of the record the message travels in (as the
 * caller handed it: kavro_serializer_set_record(),
 * kavro_deserializer_set_record(); the Kafka helpers do), then the
 * headers `__rule.name`, `__rule.mode`, `__rule.subject`, `__rule.topic`
 * and, when the rule failed, `__rule.exception` (the failure's text)
 * (KAVRO_RULE_HEADER_NAME ...); with `dlq.auto.flush` true it waits for
 * the producer's flush (up to 10 s).  The value is the payload as
 * received on read and the value's Avro JSON encoding on write; for a
 * rule on a key, the message is the key and no value is sent.  A message
 * flushed (`dlq.auto.flush` true) marks the record dead-lettered
 * (kavro_rule_ctx_set_dead_lettered()), so that the consumer helper
 * stores its offset; one only queued does not, since it could still be
 * lost, and the consumer helper then treats the record as any permanent
 * failure (its forwarder, or the application).  A delivery the brokers
 * refuse once flushed reaches the producer's delivery report callback.
 * The call then fails with KAVRO_ERR_RULE naming the rule, whose class is
 * permanent (kavro_error_classify()).  A message that could not be
 * produced is reported in that error's text (Java only logs it).  Returns KAVRO_ERR_INVALID_ARG, KAVRO_ERR_NOMEM.
 * Not thread-safe (a conf is filled by one thread); the action itself is
 * as thread-safe as rd_kafka_producev().
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_dlq_action_add(kavro_conf_t *conf,
                                                    rd_kafka_t *producer,
                                                    kavro_error_t *error);
/** @} */

/**
 * @name Consuming
 * @{
 */

/** Keys of the consumed topics are Avro (decode them); otherwise they are
 *  left as bytes. */
#define KAVRO_KAFKA_KEY_AVRO 0x1u

/** A consumer helper.  Opaque; one thread at a time. */
typedef struct kavro_kafka_consumer_s kavro_kafka_consumer_t;

/**
 * A consumer helper over @p rk (a subscribed or assigned consumer,
 * borrowed) that decodes with two deserializers of its own (keys and
 * values) made from @p registry (borrowed), @p conf (read now; NULL: the
 * registry's) and @p limits (copied; NULL: defaults), and forwards
 * messages that can never be decoded to @p dlq (borrowed; NULL: such a
 * message is handed to the application with its error).  @p flags:
 * KAVRO_KAFKA_KEY_AVRO or 0.
 *
 * @p rk must have `enable.auto.offset.store=false` (KAVRO_ERR_CONF_INVALID
 * otherwise): the helper stores an offset only when a message is done, so
 * that auto-commit (or rd_kafka_commit()) never passes a message that was
 * not handled.  Free with kavro_kafka_consumer_destroy().
 *
 * The failure policy reads `consumer.max.retries`,
 * `consumer.retry.backoff.ms` and `consumer.retry.backoff.max.ms` from
 * @p conf (or the registry's): KAVRO_ERR_CONF_INVALID when the largest
 * backoff is below the first.
 */
KAVRO_EXPORT kavro_kafka_consumer_t *kavro_kafka_consumer_new(
    rd_kafka_t *rk, kavro_registry_t *registry, const kavro_conf_t *conf,
    const kavro_decode_limits_t *limits, kavro_kafka_dlq_t *dlq,
    unsigned flags, kavro_error_t *error);

/**
 * Free @p consumer (not its rd_kafka_t, not the forwarder).  NULL-safe.
 * Messages it holds for another try are dropped, their partitions resumed
 * and sought back to them, so that @p rk, if the application goes on
 * with it, reads them again.
 */
KAVRO_EXPORT void kavro_kafka_consumer_destroy(kavro_kafka_consumer_t *consumer);

/** The deserializer of keys (@p is_key) or values (borrowed, owned by
 *  @p consumer), e.g. to give it a reader schema. */
KAVRO_EXPORT kavro_deserializer_t *
kavro_kafka_consumer_deserializer(kavro_kafka_consumer_t *consumer,
                                  bool is_key);

/**
 * Decode the values of @p topic (copied; NULL: of every topic without a
 * type of its own) into typed records of @p type (borrowed: generated
 * code's const object) instead of generic values.  Writer schemas other
 * than the type's own are read through a resolution program, built once
 * per writer (a kavro_typed_deserializer_t of the helper's).  Call before
 * polling.  KAVRO_ERR_NOMEM, or KAVRO_ERR_INVALID_ARG without a consumer
 * or type.
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_consumer_set_type(
    kavro_kafka_consumer_t *consumer, const char *topic,
    const kavro_typed_type_t *type, kavro_error_t *error);

/** What kavro_kafka_consumer_poll() got. */
typedef struct kavro_kafka_polled_s {
  /** The message, decoded (or, without a forwarder, undecodable); NULL when
   *  there is none.  Owned by the helper until kavro_kafka_consumer_done(). */
  rd_kafka_message_t *message;
  kavro_deserialized_t key;   /**< decoded key (value NULL: none or bytes) */
  /** The decoded generic value (value NULL: a tombstone, or a typed
   *  topic); for a typed topic only writer_id and format are set. */
  kavro_deserialized_t value;
  /** For a topic with a type: the decoded record (NULL: a tombstone) and
   *  its type.  In the helper's arena, valid until the next poll. */
  void *record;
  const kavro_typed_type_t *record_type;
  bool partition_eof;   /**< a partition's end was reached (no message) */
  bool dead_lettered;   /**< a message went to the dead-letter topic */
} kavro_kafka_polled_t;

/**
 * Poll @p consumer's rd_kafka_t for up to @p timeout_ms and decode what
 * comes.  Returns:
 *
 *  - KAVRO_OK with @p out->message set: a decoded record; call
 *    kavro_kafka_consumer_done() when finished with it;
 *  - KAVRO_OK without a message: nothing arrived, a partition ended
 *    (@p out->partition_eof), a message (undecodable, or one whose
 *    forward had failed and was tried again) was forwarded to the
 *    dead-letter topic and its offset stored (@p out->dead_lettered), or
 *    a message kept for another try was dropped because a rebalance gave
 *    its partition to another consumer, which reads it;
 *  - a transient error (kavro_error_classify(@p error) is TRANSIENT: the
 *    registry could not be reached), or a local one (LOCAL: credentials
 *    the registry refuses, out of memory): the helper keeps the
 *    message and pauses its partition, and decodes it again once
 *    `consumer.retry.backoff.ms` (doubled per failure, up to
 *    `consumer.retry.backoff.max.ms`, with jitter) has passed: no need to
 *    back off before polling again.  Meanwhile polls hand out the other
 *    partitions' messages, or return KAVRO_OK without one, and the error
 *    again each time a try fails.  Such a message never goes to the
 *    dead-letter topic, and no offset past it is stored;
 *  - a data contract rule's refusal (KAVRO_ERR_RULE) with
 *    @p out->dead_lettered set and no message: the rule's action (DLQ)
 *    sent the message to its own dead-letter topic; its offset is
 *    stored, and the helper's forwarder does not send it again;
 *  - a permanent error without a forwarder: @p out->message is the
 *    undecodable message; call kavro_kafka_consumer_done() to skip it;
 *  - KAVRO_ERR_TRANSPORT with librdkafka's text for a consumer error
 *    event, or when the forwarder could not write (the helper keeps the
 *    message, its partition paused, and forwards it again after a
 *    backoff); local errors (KAVRO_ERR_NOMEM, ...).
 *
 * A message tried again (after kavro_kafka_consumer_fail() or a transient
 * decode failure) comes from a later poll once its backoff has passed,
 * decoded anew; the poll waits no longer than @p timeout_ms, and no longer
 * than the first backoff to end.  The helper keeps a partition's order
 * for an application that finishes each message (done or fail) before it
 * polls the next one, the usual loop.
 *
 * The key, value and record are borrowed from the helper (its
 * deserializers and arena): valid until the next poll.
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_consumer_poll(kavro_kafka_consumer_t *consumer,
                                                   int timeout_ms,
                                                   kavro_kafka_polled_t *out,
                                                   kavro_error_t *error);

/**
 * Finish with @p polled's message: store its offset + 1 for the next
 * commit and free it.  Does nothing when there is no message.
 * KAVRO_ERR_INVALID_ARG with librdkafka's text when the offset cannot be
 * stored (the partition was revoked).
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_consumer_done(kavro_kafka_consumer_t *consumer,
                                                   kavro_kafka_polled_t *polled,
                                                   kavro_error_t *error);

/**
 * Report that the application's handler failed on @p polled's message,
 * instead of kavro_kafka_consumer_done().  @p cls says what to do:
 *
 *  - KAVRO_ERROR_CLASS_TRANSIENT (a dependency is down, a lock timed out):
 *    the message is tried again in place.  The helper keeps it, pauses its
 *    partition (later messages of the partition are not handed out, no
 *    offset past it is stored) and hands it again, decoded anew, from a
 *    poll after the backoff (`consumer.retry.backoff.ms` doubled per
 *    failure up to `consumer.retry.backoff.max.ms`, jitter -20% to +20%).
 *    Once the handler has failed `consumer.max.retries` + 1 times, the
 *    message goes to the dead-letter topic as below.
 *  - KAVRO_ERROR_CLASS_PERMANENT (it breaks a business rule): the message
 *    goes to the dead-letter topic at once.
 *
 * A message dead-lettered is written by kavro_kafka_dlq_forward_handler()
 * with @p reason (may be NULL; copied), the number of tries
 * (KAVRO_DLQ_HEADER_RETRIES) and the class "handler"; then its offset is
 * stored, its partition resumed, and @p polled->dead_lettered set.  Returns
 * KAVRO_OK when the message was taken for another try or dead-lettered; in
 * both cases @p polled's message is the helper's again (NULL in @p polled).
 *
 * Errors: KAVRO_ERR_INVALID_ARG for no message or another class (the
 * message stays in @p polled), or when the partition is no longer this
 * consumer's (the message is dropped: its new owner reads it);
 * KAVRO_ERR_LIMIT when the message is to be dead-lettered but the helper
 * has no forwarder: @p polled keeps the message for the application,
 * which must deal with it (log it, store it elsewhere) and then call
 * kavro_kafka_consumer_done() to skip it; its partition stays paused until
 * then.  KAVRO_ERR_TRANSPORT or KAVRO_ERR_TIMED_OUT when the forwarder
 * could not write: the helper keeps the message and forwards it again
 * from a later poll, after a backoff (that poll says dead_lettered).
 * KAVRO_ERR_NOMEM (the message stays in @p polled).
 */
KAVRO_EXPORT kavro_err_t kavro_kafka_consumer_fail(kavro_kafka_consumer_t *consumer,
                                                   kavro_kafka_polled_t *polled,
                                                   kavro_error_class_t cls,
                                                   const char *reason,
                                                   kavro_error_t *error);

/** What kavro_kafka_consumer_count() counts, since the helper was made. */
typedef enum kavro_kafka_count_e {
  /** Handler failures (transient) that led to another try. */
  KAVRO_KAFKA_COUNT_HANDLER_RETRIES = 0,
  /** Messages dead-lettered at once for a permanent handler failure. */
  KAVRO_KAFKA_COUNT_HANDLER_PERMANENT,
  /** Messages dead-lettered once their handler retries were spent. */
  KAVRO_KAFKA_COUNT_HANDLER_EXHAUSTED,
  /** Decode failures that may pass (the registry) waited out: one per
   *  failed try. */
  KAVRO_KAFKA_COUNT_DECODE_RETRIES,
  /** Messages dead-lettered for a permanent decode failure. */
  KAVRO_KAFKA_COUNT_DECODE_DEAD_LETTERED,
  /** Messages due for the dead-letter topic handed to the application for
   *  lack of a forwarder (a permanent decode failure, or KAVRO_ERR_LIMIT
   *  from kavro_kafka_consumer_fail()). */
  KAVRO_KAFKA_COUNT_UNFORWARDED,
  /** Forwards to the dead-letter topic that failed (and were tried
   *  again). */
  KAVRO_KAFKA_COUNT_DLQ_ERRORS
} kavro_kafka_count_t;

/** The counter @p which of @p consumer (0 for NULL or an unknown one),
 *  for metrics.  From the thread that uses the helper. */
KAVRO_EXPORT uint64_t kavro_kafka_consumer_count(const kavro_kafka_consumer_t *consumer,
                                                 kavro_kafka_count_t which);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_KAFKA_H */
