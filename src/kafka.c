/*
 * kavro - Kafka glue: the producer helper, message decoding and the
 * consumer helper (kavro/kafka.h).  The dead-letter forwarder is dlq.c.
 *
 * The consumer helper's whole job is the at-least-once rule: an offset is
 * stored only for a message that is finished (handled by the application
 * or safe in the dead-letter topic).  A message that failed for a reason
 * that may pass (the registry is down, the handler said so) is not
 * skipped: the helper keeps it and pauses its partition, which also makes
 * librdkafka drop the messages after it that were already fetched (a
 * pause is a version barrier), so none of them can be handled, and
 * committed, before it.  After a backoff the helper hands it out again;
 * once it is finished the partition is resumed, and librdkafka fetches
 * on from the offset after it (the position it handed out last).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <avro.h>

#include "kavro.h"
#include "kavro/kafka.h"

#include "common_conf_int.h"
#include "common_error_int.h"
#include "kafka_int.h"
#include "serde_serializer_int.h"
#include "typed_int.h"

/* How long a seek back to an undecoded message may take. */
#define KV_SEEK_TIMEOUT_MS 10000
/* How long a forward to the dead-letter topic waits for its ack. */
#define KV_DLQ_ACK_TIMEOUT_MS 30000
/* How long one poll waits while the producer queue is full. */
#define KV_QUEUE_FULL_POLL_MS 50

/* ---- the record the rules see ----------------------------------------- */

/* Headers a record view holds without allocating. */
#define KV_RECORD_INLINE_HEADERS 8

/* A Kafka record as the serializer and deserializer hand it to the rules
 * (kavro_record_t): its key and headers, borrowed from the message. */
typedef struct kv_record_view_s {
  kavro_record_t record;
  kavro_header_t inline_headers[KV_RECORD_INLINE_HEADERS];
  kavro_header_t *heap; /* more headers than the inline ones */
} kv_record_view_t;

/* Room a producer or consumer helper keeps for records with more headers
 * than a view holds inline: grown once, reused for every message after. */
typedef struct kv_header_room_s {
  kavro_header_t *items;
  size_t capacity;
} kv_header_room_t;

/* Where @n headers go: @v's own, @room's (grown when short), or a block of
 * @v's own without a room; NULL without memory. */
static kavro_header_t *view_headers(kv_record_view_t *v, kv_header_room_t *room,
                                    size_t n) {
  if (n <= KV_RECORD_INLINE_HEADERS)
    return v->inline_headers;
  if (!room)
    return v->heap = calloc(n, sizeof(kavro_header_t));
  if (room->capacity < n) {
    kavro_header_t *grown = realloc(room->items, n * sizeof(*grown));
    if (!grown)
      return NULL;
    room->items = grown;
    room->capacity = n;
  }
  return room->items;
}

/* Give @v's record @headers (NULL: none), those past the inline ones in
 * @room (NULL: a block of its own).  Fails only without memory. */
static kavro_err_t record_view_headers(kv_record_view_t *v,
                                       const rd_kafka_headers_t *headers,
                                       kv_header_room_t *room,
                                       kavro_error_t *error) {
  size_t n = headers ? rd_kafka_header_cnt(headers) : 0;
  if (!n)
    return KAVRO_OK;
  kavro_header_t *items = view_headers(v, room, n);
  if (!items)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *name = NULL;
    const void *value = NULL;
    size_t size = 0;
    rd_kafka_header_get_all(headers, i, &name, &value, &size);
    items[i] = (kavro_header_t){name, value, size};
  }
  v->record.headers = items;
  v->record.header_count = n;
  return KAVRO_OK;
}

/* Start @v with @key (@key_size bytes; NULL: none) and no headers
 * (record_view_headers() adds them).  Free with record_view_free(). */
static void record_view_init(kv_record_view_t *v, const void *key,
                             size_t key_size) {
  memset(&v->record, 0, sizeof v->record);
  v->heap = NULL;
  v->record.key = key;
  v->record.key_size = key ? key_size : 0;
}

static inline void record_view_free(kv_record_view_t *v) {
  if (v->heap)
    free(v->heap);
}

/* A consumed message's headers, asked of librdkafka only when a decode
 * needs them (a schema id that may be in one, rules that see the record)
 * and then once: librdkafka parses a consumed message's headers again at
 * each call when there are none (it keeps only a list it found entries
 * in), which costs a few allocations. */
typedef struct kv_message_headers_s {
  const rd_kafka_message_t *message;
  bool asked;
  const rd_kafka_headers_t *headers; /* once asked; NULL: none */
} kv_message_headers_t;

static void message_headers_init(kv_message_headers_t *h,
                                 const rd_kafka_message_t *m) {
  h->message = m;
  h->asked = false;
  h->headers = NULL;
}

static const rd_kafka_headers_t *message_headers_get(kv_message_headers_t *h) {
  if (!h->asked) {
    rd_kafka_headers_t *headers = NULL;
    if (rd_kafka_message_headers(h->message, &headers) ==
        RD_KAFKA_RESP_ERR_NO_ERROR)
      h->headers = headers;
    h->asked = true;
  }
  return h->headers;
}

/* ---- producing -------------------------------------------------------- */

struct kavro_kafka_producer_s {
  rd_kafka_t *rk;
  kavro_serializer_t *serializer;
  kavro_buf_t *key_buf;
  kavro_buf_t *value_buf;
  int queue_full_wait_ms;
  kavro_typed_serializer_t *typed; /* typed records, over the serializer */
  kv_header_room_t header_room; /* records with many headers */
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
  free(producer->header_room.items);
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

/* Enqueue the serialized message; librdkafka copies key and payload.
 * The message's parts are handed over as an array holding only what the
 * record sets: librdkafka takes a step for each, timestamp 0, no headers
 * and no opaque included. */
static rd_kafka_resp_err_t enqueue(kavro_kafka_producer_t *p,
                                   const kavro_kafka_record_t *r,
                                   const void *key, size_t key_size,
                                   rd_kafka_headers_t *headers) {
  bool tombstone = r->value_type ? !r->value_record : !r->value;
  rd_kafka_vu_t vus[8];
  size_t n = 0;
  vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[n++].u.cstr = r->topic;
  vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  vus[n++].u.i32 = r->partition;
  vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
  vus[n].vtype = RD_KAFKA_VTYPE_KEY;
  vus[n].u.mem.ptr = (void *)key;
  vus[n++].u.mem.size = key_size;
  vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[n].u.mem.ptr = tombstone ? NULL : (void *)kavro_buf_data(p->value_buf);
  vus[n++].u.mem.size = tombstone ? 0 : kavro_buf_length(p->value_buf);
  if (r->timestamp) {
    vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vus[n++].u.i64 = r->timestamp;
  }
  if (headers) {
    vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
    vus[n++].u.headers = headers;
  }
  if (r->opaque) {
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[n++].u.ptr = r->opaque;
  }
  rd_kafka_error_t *refused = rd_kafka_produceva(p->rk, vus, n);
  if (!refused)
    return RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_resp_err_t kerr = rd_kafka_error_code(refused);
  rd_kafka_error_destroy(refused);
  return kerr;
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

/* Serialize @r's key (when Avro) and value, the rules seeing the record
 * (its key, once known, and its own headers); the key to send in
 * *@keyp, *@key_sizep. */
static kavro_err_t serialize_record(kavro_kafka_producer_t *p,
                                    const kavro_kafka_record_t *r,
                                    kavro_serializer_framing_t framings[2],
                                    const void **keyp, size_t *key_sizep,
                                    kavro_error_t *error) {
  kv_record_view_t view;
  record_view_init(&view, NULL, 0);
  kavro_err_t err =
      record_view_headers(&view, r->headers, &p->header_room, error);
  if (err != KAVRO_OK)
    return err;
  kavro_serializer_set_record(p->serializer, &view.record);
  *keyp = r->key;
  *key_sizep = r->key ? r->key_size : 0;
  if (r->key_schema) {
    err = kavro_serializer_serialize_message(p->serializer, r->topic, true,
                                             r->key_schema, r->key_value,
                                             p->key_buf, &framings[0], error);
    *keyp = kavro_buf_data(p->key_buf);
    *key_sizep = kavro_buf_length(p->key_buf);
  }
  view.record.key = *keyp;
  view.record.key_size = *key_sizep;
  if (err == KAVRO_OK && r->value_type)
    err = kavro_typed_serialize_message(p->typed, r->topic, false,
                                        r->value_type, r->value_record,
                                        p->value_buf, &framings[1], error);
  else if (err == KAVRO_OK)
    err = kavro_serializer_serialize_message(
        p->serializer, r->topic, false, r->value_schema, r->value,
        p->value_buf, &framings[1], error);
  kavro_serializer_set_record(p->serializer, NULL);
  record_view_free(&view);
  return err;
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
  /* [0] the key's, [1] the value's: a prefix, or a header to send.  The
   * serializers fill what they frame; a raw key has no header. */
  kavro_serializer_framing_t framings[2];
  framings[0].header_name = NULL;
  const void *key;
  size_t key_size;
  kavro_err_t err = serialize_record(producer, record, framings, &key,
                                     &key_size, error);
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

/* The value of the schema-id header for keys or values among a message's
 * @headers (NULL: none), or NULL. */
static const void *id_header(const rd_kafka_headers_t *headers, bool is_key,
                             size_t *sizep) {
  const void *value = NULL;
  if (!headers ||
      rd_kafka_header_get_last(headers, kavro_wire_header_name(is_key), &value,
                               sizep) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return NULL;
  return value;
}

/* The check every decode makes first: the message is data. */
static kavro_err_t message_is_data(const rd_kafka_message_t *m,
                                   kavro_error_t *error) {
  if (!m->err)
    return KAVRO_OK;
  return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                      "the message is a Kafka error, not data: %s",
                      rd_kafka_err2str(m->err));
}

/* A decode's record, as the deserializer hands it to the rules: its key
 * at once, its headers only when the rules are about to see them. */
typedef struct kv_consumed_record_s {
  kv_record_view_t view;
  kv_message_headers_t *headers;
  kv_header_room_t *room;
} kv_consumed_record_t;

/* The deserializer's loader (kv_record_loader_t): the headers, now. */
static kavro_err_t consumed_record_load(void *ctx, kavro_error_t *error) {
  kv_consumed_record_t *r = ctx;
  return record_view_headers(&r->view, message_headers_get(r->headers),
                             r->room, error);
}

/* Check that @m is data, then hand @des its record (@r: its key, and its
 * @headers, those past a view's inline ones in @room) for the call to
 * come (kavro_deserializer_set_record()). */
static kavro_err_t record_begin(kavro_deserializer_t *des,
                                const rd_kafka_message_t *m,
                                kv_message_headers_t *headers,
                                kv_header_room_t *room,
                                kv_consumed_record_t *r,
                                kavro_error_t *error) {
  kavro_err_t err = message_is_data(m, error);
  if (err != KAVRO_OK)
    return err;
  r->headers = headers;
  r->room = room;
  record_view_init(&r->view, m->key, m->key_len);
  kavro_deserializer_set_record(des, &r->view.record);
  kv_deserializer_set_record_loader(des, consumed_record_load, r);
  return KAVRO_OK;
}

/* Take the record back from @des (its loader with it); whether a rule
 * action sent the message to a dead-letter topic. */
static bool record_end(kavro_deserializer_t *des, kv_consumed_record_t *r) {
  kavro_deserializer_set_record(des, NULL);
  bool dead_lettered = r->view.record.dead_lettered;
  record_view_free(&r->view);
  return dead_lettered;
}

/* The schema-id header @des would read for a key or value of @m (its
 * @headers), or NULL: none, or @des reads the prefix alone. */
static const void *id_header_for(const kavro_deserializer_t *des,
                                 kv_message_headers_t *headers, bool is_key,
                                 size_t *sizep) {
  *sizep = 0;
  if (!kv_deserializer_reads_id_headers(des, is_key))
    return NULL;
  return id_header(message_headers_get(headers), is_key, sizep);
}

/* kavro_kafka_decode(), @m's @headers looked up as needed; *@dead_letteredp
 * set when a rule action sent the message to a dead-letter topic. */
static kavro_err_t decode_message(kavro_deserializer_t *des,
                                  const rd_kafka_message_t *m,
                                  kv_message_headers_t *headers, bool is_key,
                                  kavro_deserialized_t *out,
                                  kv_header_room_t *room,
                                  bool *dead_letteredp, kavro_error_t *error) {
  *dead_letteredp = false;
  if (out)
    memset(out, 0, sizeof *out);
  if (!des || !m || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "decode needs a deserializer, a message and an output");
  kv_consumed_record_t record;
  kavro_err_t err = record_begin(des, m, headers, room, &record, error);
  if (err != KAVRO_OK)
    return err;
  size_t header_size;
  const void *header_value = id_header_for(des, headers, is_key, &header_size);
  const void *payload = is_key ? m->key : m->payload;
  size_t size = is_key ? m->key_len : m->len;
  const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
  err = kavro_deserializer_deserialize(des, topic, is_key, header_value,
                                       header_size, payload, size, out, error);
  *dead_letteredp = record_end(des, &record);
  return err;
}

kavro_err_t kavro_kafka_decode(kavro_deserializer_t *deserializer,
                               const rd_kafka_message_t *message, bool is_key,
                               kavro_deserialized_t *out, kavro_error_t *error) {
  bool dead_lettered;
  kv_message_headers_t headers;
  message_headers_init(&headers, message);
  kv_error_clear(error);
  return decode_message(deserializer, message, &headers, is_key, out, NULL,
                        &dead_lettered, error);
}

/* kavro_kafka_decode_typed(), with @headers and *@dead_letteredp as
 * decode_message(). */
static kavro_err_t decode_typed_message(
    kavro_typed_deserializer_t *td, const rd_kafka_message_t *m,
    kv_message_headers_t *headers, const kavro_typed_type_t *type,
    kavro_arena_t *arena, void *value, kavro_schema_id_t *idp,
    kv_header_room_t *room, bool *dead_letteredp, kavro_error_t *error) {
  *dead_letteredp = false;
  if (idp)
    memset(idp, 0, sizeof *idp);
  if (!td || !m || !type || !arena || !value)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "typed decode needs a deserializer, a message, a "
                        "type, an arena and a record");
  kavro_deserializer_t *des = kv_typed_deserializer_base(td);
  kv_consumed_record_t record;
  kavro_err_t err = record_begin(des, m, headers, room, &record, error);
  if (err != KAVRO_OK)
    return err;
  size_t header_size;
  const void *header = id_header_for(des, headers, false, &header_size);
  const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
  err = kavro_typed_deserialize(td, topic, false, type, header, header_size,
                                m->payload, m->len, arena, value, idp, error);
  *dead_letteredp = record_end(des, &record);
  return err;
}

kavro_err_t kavro_kafka_decode_typed(kavro_typed_deserializer_t *deserializer,
                                     const rd_kafka_message_t *message,
                                     const kavro_typed_type_t *type,
                                     kavro_arena_t *arena, void *record,
                                     kavro_schema_id_t *idp,
                                     kavro_error_t *error) {
  bool dead_lettered;
  kv_message_headers_t headers;
  message_headers_init(&headers, message);
  kv_error_clear(error);
  return decode_typed_message(deserializer, message, &headers,
                              type, arena, record, idp, NULL, &dead_lettered,
                              error);
}

/* ---- consuming -------------------------------------------------------- */

/* A topic whose values decode into a generated type (topic NULL: any). */
typedef struct kv_topic_type_s {
  char *topic;
  const kavro_typed_type_t *type;
} kv_topic_type_t;

/* Why a message goes to the dead-letter topic. */
typedef struct kv_why_s {
  bool by_handler;       /* else its decoding failed */
  bool is_key;           /* decoding: the part that failed */
  kavro_error_class_t handler_class; /* the handler's last failure */
  int tries;             /* the handler's failures */
  kavro_error_t cause;   /* decoding: the error; handler: its reason */
  kavro_schema_id_t schema_id;
} kv_why_t;

/* What a message tried again waits for. */
typedef enum kv_retry_wait_e {
  KV_RETRY_HANDED,  /* nothing: the application has it */
  KV_RETRY_DELIVER, /* its backoff, then decoded and handed out again */
  KV_RETRY_FORWARD  /* its backoff, then forwarded to the dead-letter topic */
} kv_retry_wait_t;

/* A message tried again in place, its partition paused meanwhile: one at
 * most per partition, since nothing after it is handed out. */
typedef struct kv_retry_s {
  char *topic;
  int32_t partition;
  int64_t offset;
  kv_retry_wait_t wait;
  rd_kafka_message_t *held; /* the helper's while it waits; else NULL */
  int64_t due_ms;           /* monotonic */
  unsigned failures;        /* of any kind: the backoff's exponent */
  int handler_failures;     /* kavro_kafka_consumer_fail() calls */
  bool paused;              /* by the helper, to be resumed by it */
  kv_why_t why;             /* KV_RETRY_FORWARD */
} kv_retry_t;

#define KV_COUNT_KINDS (KAVRO_KAFKA_COUNT_DLQ_ERRORS + 1)

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
  /* The failure policy: consumer.* of the configuration. */
  int max_retries;
  int64_t backoff_ms, backoff_max_ms;
  uint32_t jitter_state; /* xorshift32, never 0 */
  kv_retry_t *retries;   /* messages tried again, one per partition */
  size_t retry_count;
  uint64_t counts[KV_COUNT_KINDS];
  kv_kafka_metrics_t *metrics; /* processing time, retries per topic */
  kv_header_room_t header_room; /* records with many headers */
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

/* The failure policy's settings, from @conf. */
static kavro_err_t policy_init(kavro_kafka_consumer_t *c,
                               const kavro_conf_t *conf, kavro_error_t *error) {
  c->max_retries = (int)kv_conf_int(conf, "consumer.max.retries");
  c->backoff_ms = kv_conf_int(conf, "consumer.retry.backoff.ms");
  c->backoff_max_ms = kv_conf_int(conf, "consumer.retry.backoff.max.ms");
  if (c->backoff_max_ms < c->backoff_ms)
    return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                        "consumer.retry.backoff.max.ms (%lld) is below "
                        "consumer.retry.backoff.ms (%lld): the longest wait "
                        "cannot be shorter than the first",
                        (long long)c->backoff_max_ms,
                        (long long)c->backoff_ms);
  /* Jitter spreads the retries of consumers that failed together; it
   * needs no more than a seed that differs between them. */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  c->jitter_state = ((uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)c) | 1u;
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
  c->metrics = kv_kafka_metrics_new();
  c->keys = kavro_deserializer_new(registry, conf, limits, error);
  c->values = c->keys ? kavro_deserializer_new(registry, conf, limits, error)
                      : NULL;
  if (!c->values ||
      policy_init(c, conf ? conf : kavro_registry_conf(registry), error) !=
          KAVRO_OK) {
    kavro_kafka_consumer_destroy(c);
    return NULL;
  }
  return c;
}

static void retries_release(kavro_kafka_consumer_t *c);

void kavro_kafka_consumer_destroy(kavro_kafka_consumer_t *consumer) {
  if (!consumer)
    return;
  retries_release(consumer);
  kavro_deserializer_destroy(consumer->keys);
  kavro_deserializer_destroy(consumer->values);
  for (size_t i = 0; i < consumer->type_count; i++)
    free(consumer->types[i].topic);
  free(consumer->types);
  kavro_typed_deserializer_destroy(consumer->typed);
  kavro_arena_destroy(consumer->arena);
  kv_kafka_metrics_destroy(consumer->metrics);
  free(consumer->header_room.items);
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

/* Decode @m's value (its @headers given) as @type into a record in the
 * arena. */
static kavro_err_t decode_record(kavro_kafka_consumer_t *c,
                                 const rd_kafka_message_t *m,
                                 kv_message_headers_t *headers,
                                 const kavro_typed_type_t *type,
                                 kavro_kafka_polled_t *out,
                                 bool *dead_letteredp, kavro_error_t *error) {
  out->record_type = type;
  if (!m->payload)
    return KAVRO_OK; /* a tombstone: no record */
  /* Not zeroed: the decode initialises it. */
  void *record = kv_arena_take(c->arena, type->size);
  if (!record)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = decode_typed_message(c->typed, m, headers, type, c->arena,
                                         record, &out->value.writer_id,
                                         &c->header_room, dead_letteredp,
                                         error);
  /* Where the id was read: the header when there is one that the
   * deserializer reads (a malformed one is an error, never skipped for the
   * prefix), else the prefix. */
  size_t header_size;
  if (out->value.writer_id.kind != KAVRO_SCHEMA_ID_NONE)
    out->value.format =
        id_header_for(kv_typed_deserializer_base(c->typed), headers, false,
                      &header_size)
            ? KAVRO_WIRE_FORMAT_HEADER
            : KAVRO_WIRE_FORMAT_PREFIX;
  if (err == KAVRO_OK)
    out->record = record;
  return err;
}

/* Point @topic [@partition] at @offset, so that librdkafka fetches from
 * there (dropping what it had fetched after it). */
static kavro_err_t seek_partition(rd_kafka_t *rk, const char *topic,
                                  int32_t partition, int64_t offset,
                                  kavro_error_t *error) {
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
  if (!list)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  rd_kafka_topic_partition_list_add(list, topic, partition)->offset = offset;
  rd_kafka_error_t *kerror = rd_kafka_seek_partitions(rk, list, KV_SEEK_TIMEOUT_MS);
  rd_kafka_resp_err_t part_err = list->elems[0].err;
  rd_kafka_topic_partition_list_destroy(list);
  if (kerror || part_err) {
    kavro_err_t code = kv_error_set(
        error, KAVRO_ERR_TRANSPORT,
        "could not seek back to the unfinished message: %s",
        kerror ? rd_kafka_error_string(kerror) : rd_kafka_err2str(part_err));
    rd_kafka_error_destroy(kerror);
    return code;
  }
  return KAVRO_OK;
}

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

/* ---- the failure policy: messages tried again in place ---------------- */

int64_t kv_kafka_backoff_ms(int64_t base_ms, int64_t max_ms, unsigned failures,
                            uint32_t random) {
  int64_t wait = base_ms;
  for (unsigned i = 1; i < failures && wait < max_ms; i++)
    wait *= 2;
  if (wait > max_ms)
    wait = max_ms;
  int64_t percent = 100 - KV_KAFKA_JITTER_PERCENT +
                    (int64_t)(random % (2 * KV_KAFKA_JITTER_PERCENT + 1));
  wait = wait * percent / 100;
  return wait < max_ms ? wait : max_ms;
}

static int64_t monotonic_ms(void) {
  return kv_kafka_monotonic_ns() / 1000000;
}

static uint32_t next_random(kavro_kafka_consumer_t *c) {
  uint32_t x = c->jitter_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return c->jitter_state = x;
}

static rd_kafka_resp_err_t set_paused(rd_kafka_t *rk, const char *topic,
                                      int32_t partition, bool pause) {
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic, partition);
  rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(rk, list)
                                  : rd_kafka_resume_partitions(rk, list);
  if (!err)
    err = list->elems[0].err;
  rd_kafka_topic_partition_list_destroy(list);
  return err;
}

/* The entry of @m's partition, or NULL. */
static kv_retry_t *retry_find(kavro_kafka_consumer_t *c,
                              const rd_kafka_message_t *m) {
  const char *topic = rd_kafka_topic_name(m->rkt);
  for (size_t i = 0; i < c->retry_count; i++)
    if (c->retries[i].partition == m->partition &&
        strcmp(c->retries[i].topic, topic) == 0)
      return &c->retries[i];
  return NULL;
}

/* The entry of @m: its partition's, made when there is none, started
 * afresh when it was another message's.  NULL when out of memory. */
static kv_retry_t *retry_entry(kavro_kafka_consumer_t *c,
                               const rd_kafka_message_t *m) {
  kv_retry_t *r = retry_find(c, m);
  if (r && r->offset == m->offset)
    return r;
  if (r) {
    if (r->held)
      rd_kafka_message_destroy(r->held);
    char *topic = r->topic;
    bool paused = r->paused;
    memset(r, 0, sizeof *r);
    r->topic = topic;
    r->paused = paused;
  } else {
    kv_retry_t *grown =
        realloc(c->retries, (c->retry_count + 1) * sizeof *grown);
    if (!grown)
      return NULL;
    c->retries = grown;
    r = &grown[c->retry_count];
    memset(r, 0, sizeof *r);
    if (!(r->topic = strdup(rd_kafka_topic_name(m->rkt))))
      return NULL;
    c->retry_count++;
  }
  r->partition = m->partition;
  r->offset = m->offset;
  r->wait = KV_RETRY_HANDED;
  return r;
}

/* Forget @r, resuming its partition when the helper paused it: librdkafka
 * fetches on from the offset after the last message it handed out. */
static void retry_remove(kavro_kafka_consumer_t *c, kv_retry_t *r) {
  if (r->paused)
    set_paused(c->rk, r->topic, r->partition, false);
  if (r->held)
    rd_kafka_message_destroy(r->held);
  free(r->topic);
  *r = c->retries[--c->retry_count];
}

/* @m is finished (done, or dead-lettered): forget its entry. */
static void retry_finish(kavro_kafka_consumer_t *c,
                         const rd_kafka_message_t *m) {
  kv_retry_t *r = c->retry_count ? retry_find(c, m) : NULL;
  if (r && r->offset == m->offset)
    retry_remove(c, r);
}

/* Keep @m in @r until its backoff has passed, then do @wait, its
 * partition paused so that nothing after it is handed out.  False when
 * the partition is no longer this consumer's: @m is dropped, its new
 * owner reads it. */
static bool retry_hold(kavro_kafka_consumer_t *c, kv_retry_t *r,
                       rd_kafka_message_t *m, kv_retry_wait_t wait) {
  r->held = m;
  r->wait = wait;
  r->failures++;
  r->due_ms = monotonic_ms() + kv_kafka_backoff_ms(c->backoff_ms,
                                                   c->backoff_max_ms,
                                                   r->failures,
                                                   next_random(c));
  if (!r->paused) {
    if (set_paused(c->rk, r->topic, r->partition, true)) {
      retry_remove(c, r);
      return false;
    }
    r->paused = true;
  }
  return true;
}

/* Keep @m for another try (@wait, for the reason @why when forwarding).
 * Without memory for that, seek back to it: librdkafka fetches it again
 * (at once, with no backoff), and the messages after it with it. */
static void hold(kavro_kafka_consumer_t *c, rd_kafka_message_t *m,
                 kv_retry_wait_t wait, const kv_why_t *why) {
  kv_why_t reason;
  if (why)
    reason = *why; /* @why may live in the entries, which may move */
  kv_retry_t *r = retry_entry(c, m);
  if (!r) {
    seek_partition(c->rk, rd_kafka_topic_name(m->rkt), m->partition,
                   m->offset, NULL);
    rd_kafka_message_destroy(m);
    return;
  }
  if (why)
    r->why = reason;
  retry_hold(c, r, m, wait);
}

/* The held entry whose backoff ended first, when one has by @now. */
static kv_retry_t *retry_due(kavro_kafka_consumer_t *c, int64_t now) {
  kv_retry_t *first = NULL;
  for (size_t i = 0; i < c->retry_count; i++) {
    kv_retry_t *r = &c->retries[i];
    if (r->held && r->due_ms <= now && (!first || r->due_ms < first->due_ms))
      first = r;
  }
  return first;
}

/* How long a poll may wait for librdkafka: @timeout_ms (negative: no
 * end), and no longer than the first backoff to end. */
static int poll_wait_ms(const kavro_kafka_consumer_t *c, int64_t now,
                        int timeout_ms) {
  int64_t wait = timeout_ms;
  for (size_t i = 0; i < c->retry_count; i++) {
    const kv_retry_t *r = &c->retries[i];
    int64_t left = r->due_ms > now ? r->due_ms - now : 0;
    if (r->held && (wait < 0 || left < wait))
      wait = left;
  }
  return (int)wait;
}

/* Whether @r's partition is still assigned to the consumer (a rebalance
 * may have given it to another, which reads the message itself). */
static bool still_assigned(rd_kafka_t *rk, const kv_retry_t *r) {
  rd_kafka_topic_partition_list_t *assigned = NULL;
  if (rd_kafka_assignment(rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return true; /* cannot tell: keep the message */
  bool found = rd_kafka_topic_partition_list_find(assigned, r->topic,
                                                  r->partition) != NULL;
  rd_kafka_topic_partition_list_destroy(assigned);
  return found;
}

/* The destroyed helper's unfinished messages: resume their partitions and
 * point them back at the messages, for whoever reads on with the
 * rd_kafka_t. */
static void retries_release(kavro_kafka_consumer_t *c) {
  while (c->retry_count) {
    kv_retry_t *r = &c->retries[c->retry_count - 1];
    const char *topic = r->topic;
    int32_t partition = r->partition;
    int64_t offset = r->offset;
    char *name = strdup(topic);
    retry_remove(c, r);
    if (name)
      seek_partition(c->rk, name, partition, offset, NULL);
    free(name);
  }
  free(c->retries);
}

/* ---- dead letters ------------------------------------------------------- */

static kavro_kafka_count_t dead_letter_kind(const kv_why_t *why) {
  if (!why->by_handler)
    return KAVRO_KAFKA_COUNT_DECODE_DEAD_LETTERED;
  return why->handler_class == KAVRO_ERROR_CLASS_PERMANENT
             ? KAVRO_KAFKA_COUNT_HANDLER_PERMANENT
             : KAVRO_KAFKA_COUNT_HANDLER_EXHAUSTED;
}

/* Forward @m to the dead-letter topic for the reason @why, then store its
 * offset: the helper is done with @m, and @out says dead_lettered.  When
 * the forwarder cannot write, keep @m and forward it again after a
 * backoff. */
static kavro_err_t dead_letter(kavro_kafka_consumer_t *c,
                               rd_kafka_message_t *m, const kv_why_t *why,
                               kavro_kafka_polled_t *out,
                               kavro_error_t *error) {
  kavro_error_t forward_error;
  kv_error_clear(&forward_error);
  kavro_err_t err =
      why->by_handler
          ? kavro_kafka_dlq_forward_handler(
                c->dlq, m, why->handler_class, why->cause.text, why->tries,
                &why->schema_id, KV_DLQ_ACK_TIMEOUT_MS, &forward_error)
          : kavro_kafka_dlq_forward(c->dlq, m, why->is_key, &why->cause,
                                    &why->schema_id, KV_DLQ_ACK_TIMEOUT_MS,
                                    &forward_error);
  polled_clear(out);
  if (err != KAVRO_OK) {
    c->counts[KAVRO_KAFKA_COUNT_DLQ_ERRORS]++;
    hold(c, m, KV_RETRY_FORWARD, why);
    *error = forward_error;
    return err;
  }
  c->counts[dead_letter_kind(why)]++;
  /* Safe in the dead-letter topic: should the offset not be stored (the
   * partition was revoked), the new owner forwards it once more. */
  err = store_offset(m, &forward_error);
  retry_finish(c, m);
  rd_kafka_message_destroy(m);
  out->dead_lettered = true;
  *error = forward_error;
  return err;
}

/* A message a rule's action (DLQ) sent to a dead-letter topic while it
 * was decoded: done with, its offset stored, never forwarded again; the
 * poll reports the rule's refusal, @err. */
static kavro_err_t dead_lettered_by_rule(kavro_kafka_consumer_t *c,
                                         rd_kafka_message_t *m,
                                         kavro_err_t err,
                                         kavro_kafka_polled_t *out) {
  c->counts[KAVRO_KAFKA_COUNT_DECODE_DEAD_LETTERED]++;
  kv_kafka_metrics_forwarded(m, kavro_err2name(err));
  polled_clear(out);
  kavro_error_t store_error;
  store_offset(m, &store_error); /* revoked: its new owner reads it */
  retry_finish(c, m);
  rd_kafka_message_destroy(m);
  out->dead_lettered = true;
  return err;
}

/* A message whose key or value failed with @err (@error): done with when
 * a rule's action dead-lettered it (@by_rule); keep it for another try
 * when the failure may pass; forward it when it is permanent and there is
 * a forwarder; hand it out when permanent without one. */
static kavro_err_t undecodable(kavro_kafka_consumer_t *c,
                               rd_kafka_message_t *m, bool is_key,
                               const kavro_deserialized_t *partial,
                               bool by_rule, kavro_err_t err,
                               kavro_error_t *error,
                               kavro_kafka_polled_t *out) {
  if (by_rule)
    return dead_lettered_by_rule(c, m, err, out);
  if (kavro_error_classify(error) != KAVRO_ERROR_CLASS_PERMANENT) {
    c->counts[KAVRO_KAFKA_COUNT_DECODE_RETRIES]++;
    hold(c, m, KV_RETRY_DELIVER, NULL);
    polled_clear(out);
    return err;
  }
  if (!c->dlq) {
    c->counts[KAVRO_KAFKA_COUNT_UNFORWARDED]++;
    out->message = m;
    return err;
  }
  kv_why_t why;
  memset(&why, 0, sizeof why);
  why.is_key = is_key;
  why.cause = *error;
  why.schema_id = partial->writer_id;
  return dead_letter(c, m, &why, out, error);
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

/* Decode @m and hand it out (or deal with its failure). */
static kavro_err_t deliver(kavro_kafka_consumer_t *c, rd_kafka_message_t *m,
                           kavro_kafka_polled_t *out, kavro_error_t *error) {
  kavro_err_t err;
  bool by_rule; /* a rule's action dead-lettered it */
  kv_message_headers_t headers; /* asked once at most, for key and value */
  message_headers_init(&headers, m);
  if (c->flags & KAVRO_KAFKA_KEY_AVRO) {
    err = decode_message(c->keys, m, &headers, true, &out->key,
                         &c->header_room, &by_rule, error);
    if (err != KAVRO_OK)
      return undecodable(c, m, true, &out->key, by_rule, err, error, out);
  }
  const kavro_typed_type_t *type =
      c->type_count ? type_for(c, rd_kafka_topic_name(m->rkt)) : NULL;
  if (type)
    err = decode_record(c, m, &headers, type, out, &by_rule, error);
  else
    err = decode_message(c->values, m, &headers, false, &out->value,
                         &c->header_room, &by_rule, error);
  if (err != KAVRO_OK)
    return undecodable(c, m, false, &out->value, by_rule, err, error, out);
  out->message = m;
  kv_kafka_metrics_handed(c->metrics, m);
  return KAVRO_OK;
}

/* The backoff of @r has passed: hand its message out again, or forward it. */
static kavro_err_t retry_run(kavro_kafka_consumer_t *c, kv_retry_t *r,
                             kavro_kafka_polled_t *out, kavro_error_t *error) {
  if (!still_assigned(c->rk, r)) {
    retry_remove(c, r);
    return KAVRO_OK;
  }
  rd_kafka_message_t *m = r->held;
  r->held = NULL;
  if (r->wait == KV_RETRY_FORWARD)
    return dead_letter(c, m, &r->why, out, error);
  r->wait = KV_RETRY_HANDED;
  return deliver(c, m, out, error);
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
  /* The clock is read only while messages wait out a backoff: a read
   * costs tens of nanoseconds, and most polls have none waiting. */
  int64_t now = consumer->retry_count ? monotonic_ms() : 0;
  kv_retry_t *due = retry_due(consumer, now);
  if (due)
    return retry_run(consumer, due, out, error);
  /* librdkafka is polled while messages wait, so that it serves its
   * events and max.poll.interval.ms does not run out. */
  rd_kafka_message_t *m = rd_kafka_consumer_poll(
      consumer->rk, poll_wait_ms(consumer, now, timeout_ms));
  if (!m) {
    due = consumer->retry_count ? retry_due(consumer, monotonic_ms()) : NULL;
    return due ? retry_run(consumer, due, out, error) : KAVRO_OK;
  }
  if (m->err)
    return kafka_event(m, out, error);
  /* A paused partition gives nothing: a message from one the helper
   * holds a message of was sought or assigned anew (a rebalance), and
   * what the helper held is no longer next. */
  kv_retry_t *stale = consumer->retry_count ? retry_find(consumer, m) : NULL;
  if (stale)
    retry_remove(consumer, stale);
  return deliver(consumer, m, out, error);
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
  kv_kafka_metrics_finished(consumer->metrics, polled->message);
  kavro_err_t err = store_offset(polled->message, error);
  retry_finish(consumer, polled->message);
  rd_kafka_message_destroy(polled->message);
  polled_clear(polled);
  return err;
}

kavro_err_t kavro_kafka_consumer_fail(kavro_kafka_consumer_t *consumer,
                                      kavro_kafka_polled_t *polled,
                                      kavro_error_class_t cls,
                                      const char *reason,
                                      kavro_error_t *error) {
  kv_error_clear(error);
  if (!consumer || !polled || !polled->message)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "fail needs a consumer and a polled message");
  if (cls != KAVRO_ERROR_CLASS_TRANSIENT && cls != KAVRO_ERROR_CLASS_PERMANENT)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a handler failure is transient (try again) or "
                        "permanent (dead-letter), not %s",
                        kavro_error_class_name(cls));
  rd_kafka_message_t *m = polled->message;
  kv_kafka_metrics_finished(consumer->metrics, m);
  kv_retry_t *r = retry_entry(consumer, m);
  if (!r)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  int tries = ++r->handler_failures;
  if (cls == KAVRO_ERROR_CLASS_TRANSIENT && tries <= consumer->max_retries) {
    consumer->counts[KAVRO_KAFKA_COUNT_HANDLER_RETRIES]++;
    kv_kafka_metrics_retried(consumer->metrics, m);
    polled_clear(polled);
    if (!retry_hold(consumer, r, m, KV_RETRY_DELIVER))
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "the message's partition is no longer assigned to "
                          "this consumer: its new owner reads it");
    return KAVRO_OK;
  }
  kv_why_t why;
  memset(&why, 0, sizeof why);
  why.by_handler = true;
  why.handler_class = cls;
  why.tries = tries;
  why.schema_id = polled->value.writer_id;
  snprintf(why.cause.text, sizeof why.cause.text, "%s",
           reason ? reason : "no reason given");
  if (!consumer->dlq) {
    consumer->counts[KAVRO_KAFKA_COUNT_UNFORWARDED]++;
    return kv_error_set(
        error, KAVRO_ERR_LIMIT,
        "%s [%d] @ %lld: the handler failed %d time%s (%s: %.200s) and "
        "there is no dead-letter forwarder: the message is the "
        "application's; kavro_kafka_consumer_done() skips it",
        rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
        tries, tries == 1 ? "" : "s", kavro_error_class_name(cls),
        why.cause.text);
  }
  return dead_letter(consumer, m, &why, polled, error);
}

uint64_t kavro_kafka_consumer_count(const kavro_kafka_consumer_t *consumer,
                                    kavro_kafka_count_t which) {
  if (!consumer || (unsigned)which >= KV_COUNT_KINDS)
    return 0;
  return consumer->counts[which];
}
