/*
 * kavro - Kafka glue: the producer helper, message decoding and the
 * consumer helper (kavro/kafka.h).  The dead-letter forwarder is dlq.c.
 *
 * The consumer helper's whole job is the at-least-once rule: an offset is
 * stored only for a message that is finished (handled by the application
 * or safe in the dead-letter topic).  A message that failed for a reason
 * that may pass (the registry is down) is not skipped: the partition is
 * sought back to it, which also makes librdkafka drop the messages after
 * it that were already fetched, so none of them can be handled, and
 * committed, before it.
 */
#include <stdlib.h>
#include <string.h>

#include <avro.h>

#include "kavro.h"
#include "kavro/kafka.h"

#include "common_error_int.h"

/* How long a seek back to an undecoded message may take. */
#define KV_SEEK_TIMEOUT_MS 10000
/* How long a forward to the dead-letter topic waits for its ack. */
#define KV_DLQ_ACK_TIMEOUT_MS 30000
/* How long one poll waits while the producer queue is full. */
#define KV_QUEUE_FULL_POLL_MS 50

/* ---- producing -------------------------------------------------------- */

struct kavro_kafka_producer_s {
  rd_kafka_t *rk;
  kavro_serializer_t *serializer;
  kavro_buf_t *key_buf;
  kavro_buf_t *value_buf;
  int queue_full_wait_ms;
  kavro_typed_serializer_t *typed; /* typed records, over the serializer */
};

void kavro_kafka_record_init(kavro_kafka_record_t *record) {
  memset(record, 0, sizeof *record);
  record->partition = RD_KAFKA_PARTITION_UA;
}

kavro_kafka_producer_t *kavro_kafka_producer_new(rd_kafka_t *rk,
                                                 kavro_registry_t *registry,
                                                 const kavro_conf_t *conf,
                                                 int queue_full_wait_ms,
                                                 kavro_error_t *error) {
  kv_error_clear(error);
  if (!rk || !registry || queue_full_wait_ms < 0) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                 "a producer helper needs an rd_kafka_t, a registry and a "
                 "wait that is not negative");
    return NULL;
  }
  kavro_kafka_producer_t *p = calloc(1, sizeof *p);
  if (!p) {
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  p->rk = rk;
  p->queue_full_wait_ms = queue_full_wait_ms;
  p->key_buf = kavro_buf_new(0, 0);
  p->value_buf = kavro_buf_new(0, 0);
  if (!p->key_buf || !p->value_buf) {
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    kavro_kafka_producer_destroy(p);
    return NULL;
  }
  p->serializer = kavro_serializer_new(registry, conf, error);
  if (p->serializer)
    p->typed = kavro_typed_serializer_new(p->serializer, error);
  if (!p->typed) {
    kavro_kafka_producer_destroy(p);
    return NULL;
  }
  return p;
}

void kavro_kafka_producer_destroy(kavro_kafka_producer_t *producer) {
  if (!producer)
    return;
  kavro_typed_serializer_destroy(producer->typed);
  kavro_serializer_destroy(producer->serializer);
  kavro_buf_destroy(producer->key_buf);
  kavro_buf_destroy(producer->value_buf);
  free(producer);
}

kavro_serializer_t *kavro_kafka_producer_serializer(kavro_kafka_producer_t *producer) {
  return producer ? producer->serializer : NULL;
}

static kavro_err_t kafka_refused(rd_kafka_resp_err_t kerr,
                                 rd_kafka_resp_err_t *kafka_errp,
                                 const char *topic, kavro_error_t *error) {
  if (kafka_errp)
    *kafka_errp = kerr;
  kavro_err_t code = kerr == RD_KAFKA_RESP_ERR__QUEUE_FULL
                         ? KAVRO_ERR_TRANSPORT
                         : KAVRO_ERR_INVALID_ARG;
  return kv_error_set(error, code, "librdkafka refused the message for %s: %s",
                      topic, rd_kafka_err2str(kerr));
}

/* Enqueue the serialized message; librdkafka copies key and payload. */
static rd_kafka_resp_err_t enqueue(kavro_kafka_producer_t *p,
                                   const kavro_kafka_record_t *r,
                                   const void *key, size_t key_size,
                                   rd_kafka_headers_t *headers) {
  bool tombstone = r->value_type ? !r->value_record : !r->value;
  const void *payload = tombstone ? NULL : kavro_buf_data(p->value_buf);
  size_t payload_size = tombstone ? 0 : kavro_buf_length(p->value_buf);
  return rd_kafka_producev(
      p->rk, RD_KAFKA_V_TOPIC(r->topic), RD_KAFKA_V_PARTITION(r->partition),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY((void *)key, key_size),
      RD_KAFKA_V_VALUE((void *)payload, payload_size),
      RD_KAFKA_V_TIMESTAMP(r->timestamp), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(r->opaque), RD_KAFKA_V_END);
}

/* Enqueue, polling for delivery reports while the queue is full, for up
 * to the helper's wait.  @headers are librdkafka's once it accepts them. */
static rd_kafka_resp_err_t enqueue_waiting(kavro_kafka_producer_t *p,
                                           const kavro_kafka_record_t *r,
                                           const void *key, size_t key_size,
                                           rd_kafka_headers_t *headers) {
  int waited = 0;
  for (;;) {
    rd_kafka_resp_err_t kerr = enqueue(p, r, key, key_size, headers);
    if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL || waited >= p->queue_full_wait_ms)
      return kerr;
    rd_kafka_poll(p->rk, KV_QUEUE_FULL_POLL_MS);
    waited += KV_QUEUE_FULL_POLL_MS;
  }
}

/* The record's headers and, for each of @framings (@count) that puts its
 * id in a header, that header, in a new list for librdkafka (NULL when
 * there are none). */
static kavro_err_t message_headers(const kavro_kafka_record_t *r,
                                   const kavro_serializer_framing_t *framings,
                                   size_t count, rd_kafka_headers_t **out,
                                   kavro_error_t *error) {
  size_t extra = 0;
  for (size_t i = 0; i < count; i++)
    extra += framings[i].header_name != NULL;
  *out = NULL;
  if (!r->headers && !extra)
    return KAVRO_OK;
  rd_kafka_headers_t *headers = r->headers ? rd_kafka_headers_copy(r->headers)
                                           : rd_kafka_headers_new(extra);
  if (!headers)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    const kavro_serializer_framing_t *f = &framings[i];
    if (f->header_name &&
        rd_kafka_header_add(headers, f->header_name, -1, f->header_value,
                            (ssize_t)f->header_size) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(headers);
      return kv_error_set(error, KAVRO_ERR_NOMEM,
                          "cannot add the %s header", f->header_name);
    }
  }
  *out = headers;
  return KAVRO_OK;
}

kavro_err_t kavro_kafka_produce(kavro_kafka_producer_t *producer,
                                const kavro_kafka_record_t *record,
                                rd_kafka_resp_err_t *kafka_errp,
                                kavro_error_t *error) {
  kv_error_clear(error);
  if (kafka_errp)
    *kafka_errp = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (!producer || !record || !record->topic)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "produce needs a helper and a record with a topic");
  if (record->key_schema && !record->key_value)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a record with a key schema needs a key value");
  const void *key = record->key;
  size_t key_size = record->key ? record->key_size : 0;
  /* [0] the key's, [1] the value's: a prefix, or a header to send. */
  kavro_serializer_framing_t framings[2] = {{0}};
  kavro_err_t err;
  if (record->key_schema) {
    err = kavro_serializer_serialize_message(
        producer->serializer, record->topic, true, record->key_schema,
        record->key_value, producer->key_buf, &framings[0], error);
    if (err != KAVRO_OK)
      return err;
    key = kavro_buf_data(producer->key_buf);
    key_size = kavro_buf_length(producer->key_buf);
  }
  if (record->value_type)
    err = kavro_typed_serialize_message(
        producer->typed, record->topic, false, record->value_type,
        record->value_record, producer->value_buf, &framings[1], error);
  else
    err = kavro_serializer_serialize_message(
        producer->serializer, record->topic, false, record->value_schema,
        record->value, producer->value_buf, &framings[1], error);
  if (err != KAVRO_OK)
    return err;

  rd_kafka_headers_t *headers;
  err = message_headers(record, framings, 2, &headers, error);
  if (err != KAVRO_OK)
    return err;
  rd_kafka_resp_err_t kerr =
      enqueue_waiting(producer, record, key, key_size, headers);
  if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
    /* Refused: the headers are still ours. */
    if (headers)
      rd_kafka_headers_destroy(headers);
    return kafka_refused(kerr, kafka_errp, record->topic, error);
  }
  return KAVRO_OK;
}

/* ---- partition keys --------------------------------------------------- */

/* Append @n bytes at @text to the key; false when they do not fit. */
static bool key_append(char *buf, size_t size, size_t *used, const char *text,
                       size_t n) {
  if (n >= size - *used)
    return false;
  memcpy(buf + *used, text, n);
  *used += n;
  buf[*used] = '\0';
  return true;
}

/* The text of field @name (@name_length bytes) of @record into the key. */
static kavro_err_t key_field(const avro_value_t *record, const char *name,
                             size_t name_length, char *buf, size_t size,
                             size_t *used, kavro_error_t *error) {
  char field_name[256];
  if (name_length == 0 || name_length >= sizeof field_name)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a key placeholder names no field, or too long a one");
  memcpy(field_name, name, name_length);
  field_name[name_length] = '\0';
  avro_value_t field;
  if (avro_value_get_by_name(record, field_name, &field, NULL) != 0)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the key names field \"%s\", which the record lacks",
                        field_name);
  char number[32];
  const char *text = number;
  /* avro-c's getters may leave their outputs unset on failure. */
  size_t n = 0;
  int32_t i32 = 0;
  int64_t i64 = 0;
  int symbol = 0;
  switch (avro_value_get_type(&field)) {
  case AVRO_STRING:
    avro_value_get_string(&field, &text, &n);
    n = n ? n - 1 : 0; /* avro-c counts the NUL */
    break;
  case AVRO_INT32:
    avro_value_get_int(&field, &i32);
    n = (size_t)snprintf(number, sizeof number, "%d", (int)i32);
    break;
  case AVRO_INT64:
    avro_value_get_long(&field, &i64);
    n = (size_t)snprintf(number, sizeof number, "%lld", (long long)i64);
    break;
  case AVRO_ENUM:
    avro_value_get_enum(&field, &symbol);
    text = avro_schema_enum_get(avro_value_get_schema(&field), symbol);
    if (!text)
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "key field \"%s\" holds no valid symbol",
                          field_name);
    n = strlen(text);
    break;
  default:
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "key field \"%s\" is not a string, int, long or enum",
                        field_name);
  }
  if (!key_append(buf, size, used, text, n))
    return kv_error_set(error, KAVRO_ERR_LIMIT, "the key does not fit");
  return KAVRO_OK;
}

kavro_err_t kavro_kafka_partition_key(const char *key_template,
                                      const avro_value_t *record, char *buf,
                                      size_t size, size_t *lengthp,
                                      kavro_error_t *error) {
  kv_error_clear(error);
  if (!key_template || !record || !buf || size == 0)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a key needs a template, a record and a buffer");
  size_t used = 0;
  buf[0] = '\0';
  for (const char *p = key_template; *p;) {
    const char *open = strchr(p, '{');
    const char *close_early = strchr(p, '}');
    if (close_early && (!open || close_early < open))
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "key template \"%s\": '}' without '{'", key_template);
    size_t literal = open ? (size_t)(open - p) : strlen(p);
    if (!key_append(buf, size, &used, p, literal))
      return kv_error_set(error, KAVRO_ERR_LIMIT, "the key does not fit");
    if (!open)
      break;
    const char *close = strchr(open + 1, '}');
    const char *nested = strchr(open + 1, '{');
    if (!close || (nested && nested < close))
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "key template \"%s\": unbalanced braces",
                          key_template);
    kavro_err_t err = key_field(record, open + 1, (size_t)(close - open - 1),
                                buf, size, &used, error);
    if (err != KAVRO_OK)
      return err;
    p = close + 1;
  }
  if (lengthp)
    *lengthp = used;
  return KAVRO_OK;
}

/* ---- decoding one message -------------------------------------------- */

/* The value of @m's schema-id header for keys or values, or NULL. */
static const void *id_header(const rd_kafka_message_t *m, bool is_key,
                             size_t *sizep) {
  rd_kafka_headers_t *headers = NULL;
  const void *value = NULL;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last(headers, kavro_wire_header_name(is_key), &value,
                               sizep) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return NULL;
  return value;
}

kavro_err_t kavro_kafka_decode(kavro_deserializer_t *deserializer,
                               const rd_kafka_message_t *message, bool is_key,
                               kavro_deserialized_t *out, kavro_error_t *error) {
  kv_error_clear(error);
  if (out)
    memset(out, 0, sizeof *out);
  if (!deserializer || !message || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "decode needs a deserializer, a message and an output");
  if (message->err)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the message is a Kafka error, not data: %s",
                        rd_kafka_err2str(message->err));
  size_t header_size = 0;
  const void *header_value = id_header(message, is_key, &header_size);
  const void *payload = is_key ? message->key : message->payload;
  size_t size = is_key ? message->key_len : message->len;
  const char *topic = message->rkt ? rd_kafka_topic_name(message->rkt) : NULL;
  return kavro_deserializer_deserialize(deserializer, topic, is_key,
                                        header_value, header_size, payload,
                                        size, out, error);
}

kavro_err_t kavro_kafka_decode_typed(kavro_typed_deserializer_t *deserializer,
                                     const rd_kafka_message_t *message,
                                     const kavro_typed_type_t *type,
                                     kavro_arena_t *arena, void *record,
                                     kavro_schema_id_t *idp,
                                     kavro_error_t *error) {
  kv_error_clear(error);
  if (idp)
    memset(idp, 0, sizeof *idp);
  if (!deserializer || !message || !type || !arena || !record)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "typed decode needs a deserializer, a message, a "
                        "type, an arena and a record");
  if (message->err)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the message is a Kafka error, not data: %s",
                        rd_kafka_err2str(message->err));
  size_t header_size = 0;
  const void *header = id_header(message, false, &header_size);
  const char *topic = message->rkt ? rd_kafka_topic_name(message->rkt) : NULL;
  return kavro_typed_deserialize(deserializer, topic, false, type, header,
                                 header_size, message->payload, message->len,
                                 arena, record, idp, error);
}

/* ---- consuming -------------------------------------------------------- */

/* A topic whose values decode into a generated type (topic NULL: any). */
typedef struct kv_topic_type_s {
  char *topic;
  const kavro_typed_type_t *type;
} kv_topic_type_t;

struct kavro_kafka_consumer_s {
  rd_kafka_t *rk;
  kavro_registry_t *registry;
  kavro_deserializer_t *keys;
  kavro_deserializer_t *values;
  kavro_kafka_dlq_t *dlq;
  unsigned flags;
  kv_topic_type_t *types;
  size_t type_count;
  /* Typed values, over @values: made with the first type. */
  kavro_typed_deserializer_t *typed;
  kavro_arena_t *arena;              /* typed records; reset every poll */
};

/* ---- registry credentials ---------------------------------------------- */

/* @key of @kafka_conf into a new string ("" when unset); NULL on OOM. */
static char *kafka_conf_value(const rd_kafka_conf_t *kafka_conf,
                              const char *key) {
  size_t size = 0;
  if (rd_kafka_conf_get(kafka_conf, key, NULL, &size) != RD_KAFKA_CONF_OK ||
      size == 0)
    return strdup("");
  char *value = malloc(size);
  if (value &&
      rd_kafka_conf_get(kafka_conf, key, value, &size) != RD_KAFKA_CONF_OK)
    value[0] = '\0';
  return value;
}

static void free_wiped(char *s) {
  if (s)
    memset(s, 0, strlen(s));
  free(s);
}

/* The value of @key in librdkafka's `sasl.oauthbearer.extensions`
 * ("k1=v1,k2=v2"), as a new string; NULL when absent or on OOM. */
static char *extension_value(const char *extensions, const char *key) {
  size_t key_length = strlen(key);
  for (const char *p = extensions; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t length = comma ? (size_t)(comma - p) : strlen(p);
    if (length > key_length && p[key_length] == '=' &&
        strncmp(p, key, key_length) == 0)
      return strndup(p + key_length + 1, length - key_length - 1);
    p = comma ? comma + 1 : NULL;
  }
  return NULL;
}

/* Hand over the `sasl.oauthbearer.*` (OIDC) settings of @kafka_conf when
 * it names a client id; *@found tells whether it did. */
static kavro_err_t inherit_oauthbearer(kavro_conf_t *conf,
                                       const rd_kafka_conf_t *kafka_conf,
                                       bool *found, kavro_error_t *error) {
  static const char *const keys[] = {
      "sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.client.id",
      "sasl.oauthbearer.client.secret", "sasl.oauthbearer.scope",
      "sasl.oauthbearer.extensions"};
  enum { N = sizeof(keys) / sizeof(keys[0]) };
  char *v[N];
  bool ok = true;
  for (size_t i = 0; i < N; i++)
    ok &= (v[i] = kafka_conf_value(kafka_conf, keys[i])) != NULL;
  char *pool = ok ? extension_value(v[4], "identityPoolId") : NULL;
  kavro_err_t err = KAVRO_OK;
  *found = ok && *v[1];
  if (!ok)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  else if (*found)
    err = kavro_conf_set_sasl_oauthbearer(conf, v[0], v[1], v[2],
                                          *v[3] ? v[3] : NULL, pool, error);
  for (size_t i = 0; i < N; i++)
    free_wiped(v[i]);
  free(pool);
  return err;
}

kavro_err_t kavro_kafka_conf_inherit_sasl(kavro_conf_t *conf,
                                          const rd_kafka_conf_t *kafka_conf,
                                          kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf || !kafka_conf)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a registry and a Kafka configuration are needed");
  bool oauth = false;
  kavro_err_t err = inherit_oauthbearer(conf, kafka_conf, &oauth, error);
  if (err != KAVRO_OK)
    return err;
  char *user = kafka_conf_value(kafka_conf, "sasl.username");
  char *password = kafka_conf_value(kafka_conf, "sasl.password");
  if (!user || !password)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  else if (*user)
    err = kavro_conf_set_sasl_credentials(conf, user, password, error);
  else if (!oauth)
    err = kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                       "the Kafka configuration has no sasl.username nor "
                       "sasl.oauthbearer.client.id to inherit");
  free_wiped(user);
  free_wiped(password);
  return err;
}

/* The helper stores offsets itself; librdkafka must not store them when a
 * message is handed out, or a commit could pass an unhandled message. */
static kavro_err_t check_offset_store(rd_kafka_t *rk, kavro_error_t *error) {
  char value[16];
  size_t size = sizeof value;
  if (rd_kafka_conf_get(rd_kafka_conf(rk), "enable.auto.offset.store", value,
                        &size) != RD_KAFKA_CONF_OK ||
      strcmp(value, "false") != 0)
    return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                        "the consumer must be made with "
                        "enable.auto.offset.store=false: the helper stores "
                        "each offset once its message is handled");
  return KAVRO_OK;
}

kavro_kafka_consumer_t *kavro_kafka_consumer_new(
    rd_kafka_t *rk, kavro_registry_t *registry, const kavro_conf_t *conf,
    const kavro_decode_limits_t *limits, kavro_kafka_dlq_t *dlq,
    unsigned flags, kavro_error_t *error) {
  kv_error_clear(error);
  if (!rk || !registry || (flags & ~KAVRO_KAFKA_KEY_AVRO)) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                 "a consumer helper needs an rd_kafka_t, a registry and "
                 "known flags");
    return NULL;
  }
  if (check_offset_store(rk, error) != KAVRO_OK)
    return NULL;
  kavro_kafka_consumer_t *c = calloc(1, sizeof *c);
  if (!c) {
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  c->rk = rk;
  c->registry = registry;
  c->dlq = dlq;
  c->flags = flags;
  c->keys = kavro_deserializer_new(registry, conf, limits, error);
  c->values = c->keys ? kavro_deserializer_new(registry, conf, limits, error)
                      : NULL;
  if (!c->values) {
    kavro_kafka_consumer_destroy(c);
    return NULL;
  }
  return c;
}

void kavro_kafka_consumer_destroy(kavro_kafka_consumer_t *consumer) {
  if (!consumer)
    return;
  kavro_deserializer_destroy(consumer->keys);
  kavro_deserializer_destroy(consumer->values);
  for (size_t i = 0; i < consumer->type_count; i++)
    free(consumer->types[i].topic);
  free(consumer->types);
  kavro_typed_deserializer_destroy(consumer->typed);
  kavro_arena_destroy(consumer->arena);
  free(consumer);
}

kavro_deserializer_t *kavro_kafka_consumer_deserializer(
    kavro_kafka_consumer_t *consumer, bool is_key) {
  if (!consumer)
    return NULL;
  return is_key ? consumer->keys : consumer->values;
}

kavro_err_t kavro_kafka_consumer_set_type(kavro_kafka_consumer_t *consumer,
                                          const char *topic,
                                          const kavro_typed_type_t *type,
                                          kavro_error_t *error) {
  kv_error_clear(error);
  if (!consumer || !type)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a typed topic needs a consumer and a type");
  if (!consumer->typed &&
      !(consumer->typed =
            kavro_typed_deserializer_new(consumer->values, error)))
    return error ? error->code : KAVRO_ERR_NOMEM;
  if (!consumer->arena)
    consumer->arena = kavro_arena_new(0, 0);
  char *name = topic ? strdup(topic) : NULL;
  kv_topic_type_t *grown = realloc(consumer->types, (consumer->type_count + 1) *
                                                        sizeof *grown);
  if (grown)
    consumer->types = grown;
  if (!consumer->arena || !grown || (topic && !name)) {
    free(name);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  consumer->types[consumer->type_count].topic = name;
  consumer->types[consumer->type_count++].type = type;
  return KAVRO_OK;
}

/* The type @topic's values decode into: its own, else the catch-all, else
 * NULL (generic values). */
static const kavro_typed_type_t *type_for(const kavro_kafka_consumer_t *c,
                                          const char *topic) {
  const kavro_typed_type_t *any = NULL;
  for (size_t i = 0; i < c->type_count; i++) {
    if (!c->types[i].topic)
      any = c->types[i].type;
    else if (strcmp(c->types[i].topic, topic) == 0)
      return c->types[i].type;
  }
  return any;
}

/* Decode @m's value as @type into a record in the arena. */
static kavro_err_t decode_record(kavro_kafka_consumer_t *c,
                                 const rd_kafka_message_t *m,
                                 const kavro_typed_type_t *type,
                                 kavro_kafka_polled_t *out,
                                 kavro_error_t *error) {
  out->record_type = type;
  if (!m->payload)
    return KAVRO_OK; /* a tombstone: no record */
  void *record = kavro_arena_alloc(c->arena, type->size);
  if (!record)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = kavro_kafka_decode_typed(c->typed, m, type, c->arena,
                                             record, &out->value.writer_id,
                                             error);
  /* Where the id was read: the header when there is one (a malformed one
   * is an error, never skipped for the prefix), else the prefix. */
  size_t header_size;
  if (out->value.writer_id.kind != KAVRO_SCHEMA_ID_NONE)
    out->value.format = id_header(m, false, &header_size)
                            ? KAVRO_WIRE_FORMAT_HEADER
                            : KAVRO_WIRE_FORMAT_PREFIX;
  if (err == KAVRO_OK)
    out->record = record;
  return err;
}

/* Point the message's partition back at the message, so that it is
 * fetched again, and the messages after it (already fetched) with it. */
static kavro_err_t seek_back(rd_kafka_t *rk, const rd_kafka_message_t *m,
                             kavro_error_t *error) {
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
  if (!list)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  rd_kafka_topic_partition_list_add(list, rd_kafka_topic_name(m->rkt),
                                    m->partition)
      ->offset = m->offset;
  rd_kafka_error_t *kerror = rd_kafka_seek_partitions(rk, list, KV_SEEK_TIMEOUT_MS);
  rd_kafka_resp_err_t part_err = list->elems[0].err;
  rd_kafka_topic_partition_list_destroy(list);
  if (kerror || part_err) {
    kavro_err_t code = kv_error_set(
        error, KAVRO_ERR_TRANSPORT,
        "could not seek back to the undecoded message: %s",
        kerror ? rd_kafka_error_string(kerror) : rd_kafka_err2str(part_err));
    rd_kafka_error_destroy(kerror);
    return code;
  }
  return KAVRO_OK;
}

/* Store @m's offset + 1: the message is finished. */
/* Store the offset after @m's, on the message's own topic handle: no
 * partition list to build per message (librdkafka stores offset + 1). */
static kavro_err_t store_offset(const rd_kafka_message_t *m,
                                kavro_error_t *error) {
  rd_kafka_resp_err_t kerr = rd_kafka_offset_store(m->rkt, m->partition,
                                                   m->offset);
  if (kerr)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "could not store the offset of %s [%d] @ %lld: %s",
                        rd_kafka_topic_name(m->rkt), (int)m->partition,
                        (long long)m->offset, rd_kafka_err2str(kerr));
  return KAVRO_OK;
}

static void polled_clear(kavro_kafka_polled_t *out) {
  memset(out, 0, sizeof *out);
}

/* A message whose key or value failed with @err (@error): forward it when
 * the failure is permanent and there is a forwarder; seek back to it when
 * the failure may pass; hand it out when permanent without a forwarder. */
static kavro_err_t undecodable(kavro_kafka_consumer_t *c,
                               rd_kafka_message_t *m, bool is_key,
                               const kavro_deserialized_t *partial,
                               kavro_err_t err, kavro_error_t *error,
                               kavro_kafka_polled_t *out) {
  if (kavro_error_classify(error) != KAVRO_ERROR_CLASS_PERMANENT) {
    kavro_error_t seek_error;
    kv_error_clear(&seek_error); /* every field read once it is copied */
    if (seek_back(c->rk, m, &seek_error) != KAVRO_OK)
      *error = seek_error;
    rd_kafka_message_destroy(m);
    return error->code;
  }
  if (!c->dlq) {
    out->message = m;
    return err;
  }
  kavro_error_t forward_error;
  kv_error_clear(&forward_error);
  kavro_err_t ferr = kavro_kafka_dlq_forward(c->dlq, m, is_key, error,
                                             &partial->writer_id,
                                             KV_DLQ_ACK_TIMEOUT_MS,
                                             &forward_error);
  if (ferr == KAVRO_OK)
    ferr = store_offset(m, &forward_error);
  if (ferr != KAVRO_OK) {
    /* Not safe in the dead-letter topic: read it again later. */
    seek_back(c->rk, m, NULL);
    rd_kafka_message_destroy(m);
    *error = forward_error;
    return ferr;
  }
  rd_kafka_message_destroy(m);
  polled_clear(out);
  out->dead_lettered = true;
  kv_error_clear(error);
  return KAVRO_OK;
}

/* A message with an error instead of data: an end of partition, or a
 * consumer error event, reported as a transport error. */
static kavro_err_t kafka_event(rd_kafka_message_t *m, kavro_kafka_polled_t *out,
                               kavro_error_t *error) {
  rd_kafka_resp_err_t kerr = m->err;
  char text[256];
  snprintf(text, sizeof text, "%s", rd_kafka_message_errstr(m));
  rd_kafka_message_destroy(m);
  if (kerr == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    out->partition_eof = true;
    return KAVRO_OK;
  }
  return kv_error_set(error, KAVRO_ERR_TRANSPORT, "consumer: %s", text);
}

kavro_err_t kavro_kafka_consumer_poll(kavro_kafka_consumer_t *consumer,
                                      int timeout_ms, kavro_kafka_polled_t *out,
                                      kavro_error_t *error) {
  /* The error's class decides between skipping and reading again, so it
   * is needed even when the caller does not want it. */
  kavro_error_t own_error;
  if (!error)
    error = &own_error;
  kv_error_clear(error);
  if (!out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "poll needs an output");
  polled_clear(out);
  if (!consumer)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "poll needs a consumer");
  if (consumer->arena)
    kavro_arena_reset(consumer->arena); /* the last poll's records end */
  rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer->rk, timeout_ms);
  if (!m)
    return KAVRO_OK;
  if (m->err)
    return kafka_event(m, out, error);
  kavro_err_t err;
  if (consumer->flags & KAVRO_KAFKA_KEY_AVRO) {
    err = kavro_kafka_decode(consumer->keys, m, true, &out->key, error);
    if (err != KAVRO_OK)
      return undecodable(consumer, m, true, &out->key, err, error, out);
  }
  const kavro_typed_type_t *type =
      consumer->type_count ? type_for(consumer, rd_kafka_topic_name(m->rkt))
                           : NULL;
  if (type)
    err = decode_record(consumer, m, type, out, error);
  else
    err = kavro_kafka_decode(consumer->values, m, false, &out->value, error);
  if (err != KAVRO_OK)
    return undecodable(consumer, m, false, &out->value, err, error, out);
  out->message = m;
  return KAVRO_OK;
}

kavro_err_t kavro_kafka_consumer_done(kavro_kafka_consumer_t *consumer,
                                      kavro_kafka_polled_t *polled,
                                      kavro_error_t *error) {
  kv_error_clear(error);
  if (!consumer || !polled)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "done needs a consumer and what it polled");
  if (!polled->message)
    return KAVRO_OK;
  kavro_err_t err = store_offset(polled->message, error);
  rd_kafka_message_destroy(polled->message);
  polled_clear(polled);
  return err;
}
