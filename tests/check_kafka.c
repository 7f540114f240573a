/*
 * End-to-end tests of the Kafka glue (kavro/kafka.h): librdkafka's mock
 * cluster for Kafka, kavro's mock registry served over real HTTP for the
 * Schema Registry, producers and consumers made with the helpers.
 *
 * Consumers are given their partitions with rd_kafka_assign() rather than
 * a group subscription, so that no test waits for a rebalance; offsets are
 * still committed to the group, which is what the outage test checks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <avro.h>
#include <jansson.h>

#include "kavro.h"
#include "kavro/kafka.h"
#include "kavro/mock.h"
#include <librdkafka/rdkafka_mock.h>

#include "common_metrics_int.h"
#include "kafka_int.h" /* the backoff, a pure function */

/* Typed records from `kavro gen` of tests/gen/evolution_v1.avsc and
 * evolution_v2.avsc (generated in the build tree), */
#include "evo1_visit.h"
#include "evo2_visit.h"
/* And of the topic catalog, avro/catalog.json: every event type. */
#include "catalog.h"
#include "proc_util.h"
#include "random_datum.h"
#include "serde_fixture.h"

#define PARTITIONS 3
/* Upper bound on any one wait for messages, so a broken test ends. */
#define WAIT_MS 15000

static const char reading_v1[] =
    "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"t.kafka\","
    "\"fields\":[{\"name\":\"seq\",\"type\":\"long\"},"
    "{\"name\":\"sensor\",\"type\":\"string\"}]}";

/* v1 plus fields with defaults: BACKWARD compatible with v1. */
static const char reading_v2[] =
    "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"t.kafka\","
    "\"fields\":[{\"name\":\"seq\",\"type\":\"long\"},"
    "{\"name\":\"sensor\",\"type\":\"string\"},"
    "{\"name\":\"unit\",\"type\":\"string\",\"default\":\"celsius\"},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"},"
    "\"default\":[\"none\"]},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}";

static const char key_schema_text[] =
    "{\"type\":\"record\",\"name\":\"ReadingKey\",\"namespace\":\"t.kafka\","
    "\"fields\":[{\"name\":\"sensor\",\"type\":\"string\"}]}";

/* ---- the environment: mock registry, mock cluster ---------------------- */

typedef struct env_s {
  kavro_mock_t *mock;
  rd_kafka_t *host;  /* the producer that owns the mock cluster */
  const char *bootstraps;
  kavro_registry_t *producer_registry;
  kavro_registry_t *consumer_registry; /* its own cache, as in real life */
  kavro_kafka_producer_t *producer;
} env_t;

/* A client of @mock that fails fast when the registry is down (no retry,
 * a short time-out); @max_reply: its response.max.bytes, NULL default. */
static kavro_registry_t *registry_capped(const kavro_mock_t *mock,
                                         const char *max_reply) {
  return kt_client(kavro_mock_url(mock), "request.timeout.ms", "2000",
                   max_reply ? "response.max.bytes" : NULL, max_reply, NULL);
}

static kavro_registry_t *registry_for(const kavro_mock_t *mock) {
  return registry_capped(mock, NULL);
}

static void conf_set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char errstr[256];
  ck_assert_msg(rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) ==
                    RD_KAFKA_CONF_OK,
                "%s: %s", key, errstr);
}

static void env_init(env_t *env) {
  memset(env, 0, sizeof *env);
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new(NULL, &env->mock, &error), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(env->mock, NULL, 0, &error), KAVRO_OK);

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "test.mock.num.brokers", "1");
  conf_set(conf, "log_level", "3");
  char errstr[256];
  env->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  ck_assert_msg(env->host != NULL, "%s", errstr);
  rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(env->host);
  ck_assert_ptr_nonnull(cluster);
  env->bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  const char *topics[] = {"readings", "poison", "poison.dlq", "outage",
                          "faults", "faults.dlq", "guids", "guids.dlq",
                          "headers", "headers.typed", "bad.stop",
                          "bad.continue", "bad.default", "story", "story.dlq",
                          "retry", "retry.dlq", "ruled", "ruled.dlq",
                          "ruled.failed"};
  for (size_t i = 0; i < sizeof topics / sizeof *topics; i++)
    ck_assert_int_eq(rd_kafka_mock_topic_create(cluster, topics[i], PARTITIONS, 1),
                     RD_KAFKA_RESP_ERR_NO_ERROR);

  env->producer_registry = registry_for(env->mock);
  env->consumer_registry = registry_for(env->mock);
  env->producer = kavro_kafka_producer_new(env->host, env->producer_registry,
                                           NULL, 5000, &error);
  ck_assert_msg(env->producer != NULL, "%s", error.text);
}

static void env_fini(env_t *env) {
  kavro_kafka_producer_destroy(env->producer);
  rd_kafka_flush(env->host, 10000);
  rd_kafka_destroy(env->host);
  kavro_registry_destroy(env->producer_registry);
  kavro_registry_destroy(env->consumer_registry);
  kavro_mock_destroy(env->mock);
}

static void flush(env_t *env) {
  ck_assert_int_eq(rd_kafka_flush(env->host, WAIT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* A dead-letter forwarder to @topic on the mock cluster. */
static kavro_kafka_dlq_t *dlq_new(const env_t *env, const char *topic) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", env->bootstraps);
  conf_set(conf, "log_level", "3");
  kavro_error_t error;
  kavro_kafka_dlq_t *dlq = kavro_kafka_dlq_new(conf, topic, &error);
  ck_assert_msg(dlq != NULL, "%s", error.text);
  return dlq;
}

/* A consumer of the first @partitions partitions of each of @topics from
 * the start, offsets stored by the helper only. */
static rd_kafka_t *consumer_of(const env_t *env, const char *const *topics,
                               size_t topic_count, int partitions,
                               const char *group) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", env->bootstraps);
  conf_set(conf, "group.id", group);
  conf_set(conf, "enable.auto.commit", "false");
  conf_set(conf, "enable.auto.offset.store", "false");
  conf_set(conf, "log_level", "3");
  char errstr[256];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  ck_assert_msg(rk != NULL, "%s", errstr);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *parts =
      rd_kafka_topic_partition_list_new((int)topic_count * partitions);
  for (size_t t = 0; t < topic_count; t++)
    for (int p = 0; p < partitions; p++)
      rd_kafka_topic_partition_list_add(parts, topics[t], p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
  ck_assert_int_eq(rd_kafka_assign(rk, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(parts);
  return rk;
}

/* A consumer of every partition of @topic (one of env_init()'s). */
static rd_kafka_t *consumer_new(const env_t *env, const char *topic,
                                const char *group) {
  return consumer_of(env, &topic, 1, PARTITIONS, group);
}

static void consumer_close(rd_kafka_t *rk) {
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Commit what @rk stored and return the offset committed for @topic
 * [@partition] (negative: none). */
static int64_t committed(rd_kafka_t *rk, const char *topic, int32_t partition) {
  rd_kafka_commit(rk, NULL, 0); /* "no offset" when nothing was stored */
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, topic, partition);
  ck_assert_int_eq(rd_kafka_committed(rk, parts, WAIT_MS), 0);
  int64_t offset = parts->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(parts);
  return offset;
}

/* Read up to @n messages of the partitions of @topic, handing each to
 * @check with its rank (a consumer closes only once its messages are
 * freed); returns how many came. */
static int read_messages(const env_t *env, const char *topic, const char *group,
                         int n, void (*check)(rd_kafka_message_t *, int, void *),
                         void *arg) {
  rd_kafka_t *rk = consumer_new(env, topic, group);
  int got = 0;
  long deadline = now_ms() + WAIT_MS;
  while (got < n && now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (m && !m->err)
      check(m, got++, arg);
    if (m)
      rd_kafka_message_destroy(m);
  }
  consumer_close(rk);
  return got;
}

/* How many messages the partitions of @topic hold. */
static int64_t topic_size(env_t *env, const char *topic) {
  int64_t total = 0;
  for (int32_t p = 0; p < PARTITIONS; p++) {
    int64_t low, high;
    ck_assert_int_eq(rd_kafka_query_watermark_offsets(env->host, topic, p,
                                                      &low, &high, WAIT_MS),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    total += high - low;
  }
  return total;
}

/* ---- values ------------------------------------------------------------ */

/* A schema with an avro-c generic value of it. */
typedef struct datum_s {
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
} datum_t;

static void datum_init(datum_t *d, const char *schema_text) {
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_parse(schema_text, strlen(schema_text), NULL,
                                      &d->schema, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_schema_to_avro(d->schema, &d->avro, &error), KAVRO_OK);
  d->iface = avro_generic_class_from_schema(d->avro);
  ck_assert_ptr_nonnull(d->iface);
  ck_assert_int_eq(avro_generic_value_new(d->iface, &d->value), 0);
}

static void datum_fini(datum_t *d) {
  avro_value_decref(&d->value);
  avro_value_iface_decref(d->iface);
  avro_schema_decref(d->avro);
  kavro_schema_destroy(d->schema);
}

static void datum_set_json(datum_t *d, const char *json) {
  kavro_error_t error;
  ck_assert_msg(kavro_value_from_json(d->schema, json, strlen(json), &d->value,
                                      &error) == KAVRO_OK,
                "%s: %s", json, error.text);
}

static void reading_set(datum_t *d, long seq) {
  char json[128];
  snprintf(json, sizeof json, "{\"seq\": %ld, \"sensor\": \"s%ld\"}", seq,
           seq % 7);
  datum_set_json(d, json);
}

/* Reading @seq to @partition of @topic (RD_KAFKA_PARTITION_UA: by key). */
static void produce_reading_at(env_t *env, const char *topic,
                               int32_t partition, datum_t *d, long seq) {
  reading_set(d, seq);
  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = topic;
  record.partition = partition;
  char key[16];
  snprintf(key, sizeof key, "s%ld", seq % 7);
  record.key = key;
  record.key_size = strlen(key);
  record.value_schema = d->schema;
  record.value = &d->value;
  kavro_error_t error;
  rd_kafka_resp_err_t kerr;
  ck_assert_msg(kavro_kafka_produce(env->producer, &record, &kerr, &error) ==
                    KAVRO_OK,
                "produce %ld: %s", seq, error.text);
}

static void produce_reading(env_t *env, const char *topic, datum_t *d, long seq) {
  produce_reading_at(env, topic, RD_KAFKA_PARTITION_UA, d, seq);
}

static void produce_raw(env_t *env, const char *topic, int32_t partition,
                        const void *payload, size_t size,
                        rd_kafka_headers_t *headers) {
  ck_assert_int_eq(rd_kafka_producev(env->host, RD_KAFKA_V_TOPIC(topic),
                                     RD_KAFKA_V_PARTITION(partition),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_KEY("raw", 3),
                                     RD_KAFKA_V_VALUE((void *)payload, size),
                                     RD_KAFKA_V_HEADERS(headers),
                                     RD_KAFKA_V_END),
                   RD_KAFKA_RESP_ERR_NO_ERROR);
}

static long field_long(const avro_value_t *record, const char *name) {
  avro_value_t field;
  ck_assert_int_eq(avro_value_get_by_name(record, name, &field, NULL), 0);
  int64_t v;
  ck_assert_int_eq(avro_value_get_long(&field, &v), 0);
  return (long)v;
}

static const char *field_string(const avro_value_t *record, const char *name) {
  avro_value_t field;
  ck_assert_int_eq(avro_value_get_by_name(record, name, &field, NULL), 0);
  const char *s;
  size_t size;
  ck_assert_int_eq(avro_value_get_string(&field, &s, &size), 0);
  return s;
}

/* Mark seq numbers seen; fail on one out of range or seen twice. */
static void see(unsigned char *seen, long n, long seq) {
  ck_assert_msg(seq >= 0 && seq < n, "seq %ld out of range", seq);
  ck_assert_msg(!seen[seq], "seq %ld delivered twice", seq);
  seen[seq] = 1;
}

/* ---- tests ------------------------------------------------------------- */

/* N records with Avro keys and values over 3 partitions: every one comes
 * back, once, with its key, and the schema ids are those registered. */
START_TEST(test_none_lost) {
  enum { N = 1000 };
  env_t env;
  env_init(&env);
  datum_t value, key;
  datum_init(&value, reading_v1);
  datum_init(&key, key_schema_text);
  kavro_error_t error;
  for (long i = 0; i < N; i++) {
    reading_set(&value, i);
    char json[64];
    snprintf(json, sizeof json, "{\"sensor\": \"s%ld\"}", i % 7);
    datum_set_json(&key, json);
    kavro_kafka_record_t record;
    kavro_kafka_record_init(&record);
    record.topic = "readings";
    record.key_schema = key.schema;
    record.key_value = &key.value;
    record.value_schema = value.schema;
    record.value = &value.value;
    ck_assert_msg(kavro_kafka_produce(env.producer, &record, NULL, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
  }
  flush(&env);

  rd_kafka_t *rk = consumer_new(&env, "readings", "none-lost");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, NULL, KAVRO_KAFKA_KEY_AVRO, &error);
  ck_assert_msg(consumer != NULL, "%s", error.text);
  unsigned char seen[N] = {0};
  long got = 0, deadline = now_ms() + WAIT_MS;
  while (got < N && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_msg(kavro_kafka_consumer_poll(consumer, 100, &polled, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
    if (!polled.message)
      continue;
    long seq = field_long(polled.value.value, "seq");
    see(seen, N, seq);
    char want[16];
    snprintf(want, sizeof want, "s%ld", seq % 7);
    ck_assert_str_eq(field_string(polled.key.value, "sensor"), want);
    ck_assert_int_eq(polled.value.writer_id.kind, KAVRO_SCHEMA_ID_INT);
    ck_assert(!polled.value.resolved);
    ck_assert_int_eq(kavro_kafka_consumer_done(consumer, &polled, &error),
                     KAVRO_OK);
    got++;
  }
  ck_assert_int_eq(got, N);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  datum_fini(&key);
  datum_fini(&value);
  env_fini(&env);
}
END_TEST

/* Written with v1, read as v2: the added fields take their defaults. */
START_TEST(test_evolution) {
  enum { N = 50 };
  env_t env;
  env_init(&env);
  datum_t v1;
  datum_init(&v1, reading_v1);
  for (long i = 0; i < N; i++)
    produce_reading(&env, "readings", &v1, i);
  flush(&env);

  kavro_schema_t *v2;
  kavro_error_t error;
  ck_assert_int_eq(kavro_schema_parse(reading_v2, strlen(reading_v2), NULL, &v2,
                                      &error),
                   KAVRO_OK);
  rd_kafka_t *rk = consumer_new(&env, "readings", "evolution");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, NULL, 0, &error);
  ck_assert_ptr_nonnull(consumer);
  kavro_deserializer_set_reader(kavro_kafka_consumer_deserializer(consumer, false),
                                false, v2);
  unsigned char seen[N] = {0};
  long got = 0, deadline = now_ms() + WAIT_MS;
  while (got < N && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_int_eq(kavro_kafka_consumer_poll(consumer, 100, &polled, &error),
                     KAVRO_OK);
    if (!polled.message)
      continue;
    const avro_value_t *v = polled.value.value;
    ck_assert(polled.value.resolved);
    ck_assert_ptr_eq(polled.value.schema, v2);
    see(seen, N, field_long(v, "seq"));
    ck_assert_str_eq(field_string(v, "unit"), "celsius");
    avro_value_t tags, tag, note, branch;
    ck_assert_int_eq(avro_value_get_by_name(v, "tags", &tags, NULL), 0);
    size_t count;
    ck_assert_int_eq(avro_value_get_size(&tags, &count), 0);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(avro_value_get_by_index(&tags, 0, &tag, NULL), 0);
    const char *s;
    size_t size;
    ck_assert_int_eq(avro_value_get_string(&tag, &s, &size), 0);
    ck_assert_str_eq(s, "none");
    ck_assert_int_eq(avro_value_get_by_name(v, "note", &note, NULL), 0);
    ck_assert_int_eq(avro_value_get_current_branch(&note, &branch), 0);
    ck_assert_int_eq(avro_value_get_type(&branch), AVRO_NULL);
    kavro_kafka_consumer_done(consumer, &polled, NULL);
    got++;
  }
  ck_assert_int_eq(got, N);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  kavro_schema_destroy(v2);
  datum_fini(&v1);
  env_fini(&env);
}
END_TEST

/* The value of header @name in @headers as text (static buffer), or NULL. */
static const char *header_text(rd_kafka_headers_t *headers, const char *name) {
  static char text[1024];
  const void *value;
  size_t size;
  if (rd_kafka_header_get_last(headers, name, &value, &size))
    return NULL;
  ck_assert_uint_lt(size, sizeof text);
  memcpy(text, value, size);
  text[size] = '\0';
  return text;
}

/* What the poison test sends to partition 0, in order. */
static const unsigned char bad_magic[] = {'h', 'e', 'l', 'l', 'o'};
static const unsigned char unknown_id[] = {0, 0, 0, 0x03, 0xe7, 2, 'x'};
static const unsigned char too_short[] = {0, 0, 0};

static void check_dead_letter(const rd_kafka_message_t *m, long want_offset,
                              const char *want_name, const char *want_id,
                              const void *payload, size_t size) {
  ck_assert_uint_eq(m->len, size);
  ck_assert(memcmp(m->payload, payload, size) == 0);
  ck_assert_uint_eq(m->key_len, 3);
  ck_assert(memcmp(m->key, "raw", 3) == 0);
  rd_kafka_headers_t *h;
  ck_assert_int_eq(rd_kafka_message_headers(m, &h), RD_KAFKA_RESP_ERR_NO_ERROR);
  ck_assert_str_eq(header_text(h, "trace"), "t-1");
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_TOPIC), "poison");
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_PARTITION), "0");
  char offset[24];
  snprintf(offset, sizeof offset, "%ld", want_offset);
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_OFFSET), offset);
  ck_assert_ptr_nonnull(header_text(h, KAVRO_DLQ_HEADER_TIMESTAMP));
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_PART), "value");
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_ERROR_NAME), want_name);
  const char *code = header_text(h, KAVRO_DLQ_HEADER_ERROR_CODE);
  ck_assert(code && strtol(code, NULL, 10) != 0);
  const char *message = header_text(h, KAVRO_DLQ_HEADER_ERROR_MESSAGE);
  ck_assert(message && *message);
  const char *id = header_text(h, KAVRO_DLQ_HEADER_SCHEMA_ID);
  if (want_id)
    ck_assert_str_eq(id, want_id);
  else
    ck_assert_ptr_null(id);
  /* A decode failure: its class, and no handler's tries. */
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_ERROR_CLASS), "permanent");
  ck_assert_ptr_null(header_text(h, KAVRO_DLQ_HEADER_RETRIES));
}

/* What the poison test sends to partition 0 between good readings. */
static const struct {
  const unsigned char *payload;
  size_t size;
  const char *name; /* the error, as its dead letter names it */
  const char *id;   /* the writer id it names, NULL: none */
  long offset;
} poison[] = {{bad_magic, sizeof bad_magic, "WIRE_MAGIC", NULL, 1},
              {unknown_id, sizeof unknown_id, "SCHEMA_NOT_FOUND", "999", 3},
              {too_short, sizeof too_short, "WIRE_SHORT", NULL, 5}};

static void check_poison_letter(rd_kafka_message_t *m, int rank, void *arg) {
  (void)arg;
  check_dead_letter(m, poison[rank].offset, poison[rank].name, poison[rank].id,
                    poison[rank].payload, poison[rank].size);
}

/* Three messages that can never be decoded, between good ones: the good
 * ones are handed out, the bad ones land in the dead-letter topic unchanged
 * with their origin and error, and every offset is stored. */
START_TEST(test_poison_to_dlq) {
  env_t env;
  env_init(&env);
  datum_t v1;
  datum_init(&v1, reading_v1);
  kavro_error_t error;
  /* Partition 0: good, bad magic, good, unknown id, too short, good. */
  for (int i = 0; i < 3; i++) {
    reading_set(&v1, i);
    kavro_kafka_record_t record;
    kavro_kafka_record_init(&record);
    record.topic = "poison";
    record.partition = 0;
    record.value_schema = v1.schema;
    record.value = &v1.value;
    ck_assert_int_eq(kavro_kafka_produce(env.producer, &record, NULL, &error),
                     KAVRO_OK);
    flush(&env); /* keep the order on the partition */
    rd_kafka_headers_t *h = rd_kafka_headers_new(1);
    rd_kafka_header_add(h, "trace", -1, "t-1", -1);
    produce_raw(&env, "poison", 0, poison[i].payload, poison[i].size, h);
    flush(&env);
  }

  kavro_kafka_dlq_t *dlq = dlq_new(&env, "poison.dlq");
  rd_kafka_t *rk = consumer_new(&env, "poison", "poison");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, dlq, 0, &error);
  ck_assert_ptr_nonnull(consumer);
  long good = 0, dead = 0, deadline = now_ms() + WAIT_MS;
  while (good + dead < 6 && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_msg(kavro_kafka_consumer_poll(consumer, 100, &polled, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
    dead += polled.dead_lettered;
    if (polled.message) {
      ck_assert_int_eq(field_long(polled.value.value, "seq"), good);
      good++;
      kavro_kafka_consumer_done(consumer, &polled, NULL);
    }
  }
  ck_assert_int_eq(good, 3);
  ck_assert_int_eq(dead, 3);
  ck_assert_uint_eq(kavro_kafka_dlq_count(dlq), 3);
  /* Every offset of partition 0 is stored: commit says 6. */
  ck_assert_int_eq(committed(rk, "poison", 0), 6);
  ck_assert_uint_eq(kavro_kafka_consumer_count(
                        consumer, KAVRO_KAFKA_COUNT_DECODE_DEAD_LETTERED),
                    3);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  kavro_kafka_dlq_destroy(dlq);

  /* The dead-letter topic, read plainly: one partition gets them all,
   * as they are keyed alike. */
  ck_assert_int_eq(read_messages(&env, "poison.dlq", "dlq-reader", 3,
                                 check_poison_letter, NULL),
                   3);
  datum_fini(&v1);
  env_fini(&env);
}
END_TEST

/* Without a forwarder, an undecodable message is handed out with its
 * permanent error; done() skips it, and the next message follows. */
START_TEST(test_poison_without_dlq) {
  env_t env;
  env_init(&env);
  datum_t v1;
  datum_init(&v1, reading_v1);
  produce_raw(&env, "poison", 1, bad_magic, sizeof bad_magic, NULL);
  flush(&env);
  reading_set(&v1, 7);
  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = "poison";
  record.partition = 1;
  record.value_schema = v1.schema;
  record.value = &v1.value;
  kavro_error_t error;
  ck_assert_int_eq(kavro_kafka_produce(env.producer, &record, NULL, &error),
                   KAVRO_OK);
  flush(&env);

  rd_kafka_t *rk = consumer_new(&env, "poison", "no-dlq");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, NULL, 0, &error);
  ck_assert_ptr_nonnull(consumer);
  int bad = 0, good = 0;
  long deadline = now_ms() + WAIT_MS;
  while (bad + good < 2 && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    /* No error structure: the helper must still see that the failure is
     * permanent and hand the message out, not read it again forever. */
    kavro_err_t err = kavro_kafka_consumer_poll(consumer, 100, &polled, NULL);
    if (!polled.message)
      continue;
    if (err != KAVRO_OK) {
      ck_assert_int_eq(err, KAVRO_ERR_WIRE_MAGIC);
      ck_assert_int_eq(polled.message->offset, 0);
      ck_assert_ptr_null(polled.value.value);
      bad++;
    } else {
      ck_assert_int_eq(bad, 1);
      ck_assert_int_eq(field_long(polled.value.value, "seq"), 7);
      good++;
    }
    ck_assert_int_eq(kavro_kafka_consumer_done(consumer, &polled, NULL),
                     KAVRO_OK);
    ck_assert_ptr_null(polled.message);
  }
  ck_assert_int_eq(bad, 1);
  ck_assert_int_eq(good, 1);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  datum_fini(&v1);
  env_fini(&env);
}
END_TEST

/* The registry goes down between a first batch written with v1 and a
 * second written with v2 (an id the consumer has never seen): the consumer
 * gets transient errors, stores nothing past the first undecoded message,
 * and reads everything once the registry is back. */
START_TEST(test_registry_outage) {
  enum { HALF = 60, N = 2 * HALF };
  env_t env;
  env_init(&env);
  datum_t v1, v2;
  datum_init(&v1, reading_v1);
  datum_init(&v2, reading_v2);
  for (long i = 0; i < HALF; i++)
    produce_reading(&env, "outage", &v1, i);
  flush(&env);

  kavro_error_t error;
  rd_kafka_t *rk = consumer_new(&env, "outage", "outage");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, NULL, 0, &error);
  ck_assert_ptr_nonnull(consumer);
  unsigned char seen[N] = {0};
  long got = 0, deadline = now_ms() + WAIT_MS;
  while (got < HALF && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_int_eq(kavro_kafka_consumer_poll(consumer, 100, &polled, &error),
                     KAVRO_OK);
    if (!polled.message)
      continue;
    see(seen, N, field_long(polled.value.value, "seq"));
    kavro_kafka_consumer_done(consumer, &polled, NULL);
    got++;
  }
  ck_assert_int_eq(got, HALF);
  ck_assert_int_eq(rd_kafka_commit(rk, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

  for (long i = HALF; i < N; i++)
    produce_reading(&env, "outage", &v2, i);
  flush(&env);
  ck_assert_int_eq(kavro_mock_set_down(env.mock, true, &error), KAVRO_OK);

  /* While down: only transient errors, nothing handed out. */
  int transient = 0;
  deadline = now_ms() + WAIT_MS;
  while (transient < 3 && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    kavro_err_t err = kavro_kafka_consumer_poll(consumer, 100, &polled, &error);
    ck_assert_ptr_null(polled.message);
    if (err != KAVRO_OK) {
      ck_assert_int_eq(kavro_error_classify(&error), KAVRO_ERROR_CLASS_TRANSIENT);
      transient++;
    }
  }
  ck_assert_int_ge(transient, 3);
  /* Nothing past the undecoded messages is committed: the committed
   * offsets still add up to the first half. */
  rd_kafka_commit(rk, NULL, 0);
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
  for (int p = 0; p < PARTITIONS; p++)
    rd_kafka_topic_partition_list_add(parts, "outage", p);
  ck_assert_int_eq(rd_kafka_committed(rk, parts, WAIT_MS), 0);
  long committed = 0;
  for (int p = 0; p < PARTITIONS; p++)
    committed += parts->elems[p].offset > 0 ? parts->elems[p].offset : 0;
  ck_assert_int_eq(committed, HALF);

  ck_assert_int_eq(kavro_mock_set_down(env.mock, false, &error), KAVRO_OK);
  deadline = now_ms() + WAIT_MS;
  while (got < N && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    kavro_err_t err = kavro_kafka_consumer_poll(consumer, 100, &polled, &error);
    ck_assert_msg(err == KAVRO_OK ||
                      kavro_error_classify(&error) == KAVRO_ERROR_CLASS_TRANSIENT,
                  "%s", error.text);
    if (!polled.message)
      continue;
    long seq = field_long(polled.value.value, "seq");
    ck_assert_int_ge(seq, HALF);
    see(seen, N, seq);
    kavro_kafka_consumer_done(consumer, &polled, NULL);
    got++;
  }
  ck_assert_int_eq(got, N);
  ck_assert_int_eq(rd_kafka_commit(rk, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  ck_assert_int_eq(rd_kafka_committed(rk, parts, WAIT_MS), 0);
  committed = 0;
  for (int p = 0; p < PARTITIONS; p++)
    committed += parts->elems[p].offset;
  ck_assert_int_eq(committed, N);
  rd_kafka_topic_partition_list_destroy(parts);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  datum_fini(&v2);
  datum_fini(&v1);
  env_fini(&env);
}
END_TEST

/* ---- the failure policy: handler failures, retries, dead letters ------- */

/* A consumer configuration with the failure policy's settings. */
static kavro_conf_t *policy_conf(const char *max_retries,
                                 const char *backoff_ms,
                                 const char *backoff_max_ms) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, "consumer.max.retries", max_retries,
                                  &error), KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "consumer.retry.backoff.ms",
                                  backoff_ms, &error), KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "consumer.retry.backoff.max.ms",
                                  backoff_max_ms, &error), KAVRO_OK);
  return conf;
}

/* The readings of topic "retry": @count per partition of @partitions
 * (partition p holds seq 10p, 10p+1, ...), and a consumer of them with
 * @conf and @dlq. */
static kavro_kafka_consumer_t *retry_setup(env_t *env, int partitions,
                                           int count, const kavro_conf_t *conf,
                                           kavro_kafka_dlq_t *dlq,
                                           rd_kafka_t **rkp) {
  datum_t v1;
  datum_init(&v1, reading_v1);
  for (int p = 0; p < partitions; p++)
    for (int i = 0; i < count; i++)
      produce_reading_at(env, "retry", p, &v1, 10L * p + i);
  flush(env);
  datum_fini(&v1);
  const char *topic = "retry";
  *rkp = consumer_of(env, &topic, 1, partitions, "retry");
  kavro_error_t error;
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      *rkp, env->consumer_registry, conf, NULL, dlq, 0, &error);
  ck_assert_msg(consumer != NULL, "%s", error.text);
  return consumer;
}

/* What the handler does: the reading @seq fails @times times (-1: every
 * time) with @cls. */
typedef struct plan_s {
  long seq;
  kavro_error_class_t cls;
  int times;
} plan_t;

#define SEQ_MAX 32 /* partitions 0 to 2 hold seq 0-9, 10-19, 20-29 */

/* What the handler saw. */
typedef struct handled_s {
  long order[4 * SEQ_MAX]; /* seq of each message handed out, in order */
  int handed;
  int finished;      /* done, dead-lettered or reported */
  int dead_lettered;
  int reported;      /* KAVRO_ERR_LIMIT: no forwarder, done() skipped it */
} handled_t;

static const plan_t *plan_for(const plan_t *plans, size_t count, long seq) {
  for (size_t i = 0; i < count; i++)
    if (plans[i].seq == seq)
      return &plans[i];
  return NULL;
}

/* Report the handler's failure on @polled as @plan says. */
static void handler_fails(kavro_kafka_consumer_t *consumer,
                          kavro_kafka_polled_t *polled, const plan_t *plan,
                          handled_t *h) {
  char reason[64];
  snprintf(reason, sizeof reason, "stock service refused reading %ld",
           plan->seq);
  kavro_error_t error;
  kavro_err_t err = kavro_kafka_consumer_fail(consumer, polled, plan->cls,
                                              reason, &error);
  if (err == KAVRO_ERR_LIMIT) {
    /* No forwarder: the message is handed back, never skipped silently. */
    ck_assert_ptr_nonnull(polled->message);
    ck_assert_ptr_nonnull(strstr(error.text, "no dead-letter forwarder"));
    ck_assert_int_eq(kavro_kafka_consumer_done(consumer, polled, &error),
                     KAVRO_OK);
    h->reported++;
    h->finished++;
    return;
  }
  ck_assert_msg(err == KAVRO_OK, "fail: %s", error.text);
  ck_assert_ptr_null(polled->message);
  if (polled->dead_lettered) {
    h->dead_lettered++;
    h->finished++;
  }
}

/* Poll until @want messages are finished, the handler failing as @plans
 * say and succeeding otherwise. */
static void handle_readings(kavro_kafka_consumer_t *consumer,
                            const plan_t *plans, size_t plan_count, int want,
                            handled_t *h) {
  memset(h, 0, sizeof *h);
  int failures[SEQ_MAX] = {0};
  long deadline = now_ms() + WAIT_MS;
  while (h->finished < want && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    kavro_error_t error;
    ck_assert_msg(kavro_kafka_consumer_poll(consumer, 100, &polled, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
    if (!polled.message)
      continue;
    long seq = field_long(polled.value.value, "seq");
    ck_assert(seq >= 0 && seq < SEQ_MAX);
    ck_assert(h->handed < 4 * SEQ_MAX);
    h->order[h->handed++] = seq;
    const plan_t *plan = plan_for(plans, plan_count, seq);
    if (plan && (plan->times < 0 || failures[seq] < plan->times)) {
      failures[seq]++;
      handler_fails(consumer, &polled, plan, h);
      continue;
    }
    ck_assert_int_eq(kavro_kafka_consumer_done(consumer, &polled, &error),
                     KAVRO_OK);
    h->finished++;
  }
  ck_assert_int_eq(h->finished, want);
}

/* The seqs of partition @partition (10p .. 10p+9) that @h saw, in order,
 * as text: "0 1 1 2". */
static const char *order_of(const handled_t *h, int partition) {
  static char text[4 * SEQ_MAX * 4];
  size_t n = 0;
  text[0] = '\0';
  for (int i = 0; i < h->handed; i++)
    if (h->order[i] / 10 == partition)
      n += (size_t)snprintf(text + n, sizeof text - n, "%s%ld", n ? " " : "",
                            h->order[i]);
  return text;
}

static uint64_t count_of(const kavro_kafka_consumer_t *consumer,
                         kavro_kafka_count_t which) {
  return kavro_kafka_consumer_count(consumer, which);
}

/* The dead letter of a handler failure: origin, class "handler", tries,
 * the reason, and no part (the message decoded).  Partition 0's spent its
 * retries (3 tries), partition 1's failed permanently (1). */
static void check_handler_letter(rd_kafka_message_t *m, int rank, void *arg) {
  (void)rank;
  (void)arg;
  rd_kafka_headers_t *h;
  ck_assert_int_eq(rd_kafka_message_headers(m, &h), RD_KAFKA_RESP_ERR_NO_ERROR);
  bool exhausted = strcmp(header_text(h, KAVRO_DLQ_HEADER_PARTITION), "0") == 0;
  const char *tries = exhausted ? "3" : "1";
  const char *name = exhausted ? "LIMIT" : "RULE";
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_TOPIC), "retry");
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_OFFSET), "1");
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_ERROR_CLASS), "handler");
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_RETRIES), tries);
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_ERROR_NAME), name);
  ck_assert_ptr_nonnull(strstr(header_text(h, KAVRO_DLQ_HEADER_ERROR_MESSAGE),
                               "stock service refused reading"));
  ck_assert_str_eq(header_text(h, KAVRO_DLQ_HEADER_SCHEMA_ID), "1");
  ck_assert_ptr_null(header_text(h, KAVRO_DLQ_HEADER_PART));
  ck_assert_uint_gt(m->len, 5); /* the frame, unchanged */
  ck_assert_int_eq(((const unsigned char *)m->payload)[0], 0);
}

/* With consumer.max.retries 2, three readings per partition, the middle
 * one's handler failing:
 *  - partition 0, transiently every time: handed 3 times in place, then
 *    to the dead-letter topic;
 *  - partition 1, permanently: to the dead-letter topic at once;
 *  - partition 2, transiently twice: handed again in place and handled
 *    the third time, never dead-lettered.
 * Each partition's later reading comes only after, none is skipped, and
 * every offset is committed. */
/* A series of the kafka part's metrics, now (one label: @reason NULL). */
static double metric_now(kv_metric_id_t id, const char *topic,
                         const char *reason) {
  return kavro_metric_value(reason ? kv_metric(id, topic, reason)
                                   : kv_metric(id, topic));
}

START_TEST(test_handler_failures) {
  env_t env;
  env_init(&env);
  kavro_kafka_dlq_t *dlq = dlq_new(&env, "retry.dlq");
  kavro_conf_t *conf = policy_conf("2", "1", "4");
  rd_kafka_t *rk;
  kavro_kafka_consumer_t *consumer = retry_setup(&env, 3, 3, conf, dlq, &rk);
  const double metrics_before[] = {
      metric_now(KV_M_HANDLER_RETRIES, "retry", NULL),
      metric_now(KV_M_DLQ_FORWARDS, "retry", "HANDLER"),
      metric_now(KV_M_DLQ_FORWARDS, "retry", "HANDLER_RETRIES"),
      metric_now(KV_M_PROCESSING_DURATION, "retry", NULL)};
  const plan_t plans[] = {{1, KAVRO_ERROR_CLASS_TRANSIENT, -1},
                          {11, KAVRO_ERROR_CLASS_PERMANENT, -1},
                          {21, KAVRO_ERROR_CLASS_TRANSIENT, 2}};
  handled_t h;
  handle_readings(consumer, plans, 3, 9, &h);
  ck_assert_str_eq(order_of(&h, 0), "0 1 1 1 2");
  ck_assert_str_eq(order_of(&h, 1), "10 11 12");
  ck_assert_str_eq(order_of(&h, 2), "20 21 21 21 22");
  ck_assert_int_eq(h.dead_lettered, 2);
  ck_assert_uint_eq(count_of(consumer, KAVRO_KAFKA_COUNT_HANDLER_RETRIES), 4);
  ck_assert_uint_eq(count_of(consumer, KAVRO_KAFKA_COUNT_HANDLER_EXHAUSTED), 1);
  ck_assert_uint_eq(count_of(consumer, KAVRO_KAFKA_COUNT_HANDLER_PERMANENT), 1);
  ck_assert_uint_eq(kavro_kafka_dlq_count(dlq), 2);
  for (int p = 0; p < 3; p++)
    ck_assert_int_eq(committed(rk, "retry", p), 3);
  /* The same in the process' metrics (deltas: the suite may run in one
   * process): 13 hand-outs, each done or failed, timed. */
  ck_assert_double_eq(metric_now(KV_M_HANDLER_RETRIES, "retry", NULL) -
                          metrics_before[0], 4);
  ck_assert_double_eq(metric_now(KV_M_DLQ_FORWARDS, "retry", "HANDLER") -
                          metrics_before[1], 1);
  ck_assert_double_eq(metric_now(KV_M_DLQ_FORWARDS, "retry",
                                 "HANDLER_RETRIES") - metrics_before[2], 1);
  ck_assert_double_eq(metric_now(KV_M_PROCESSING_DURATION, "retry", NULL) -
                          metrics_before[3], 13);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  kavro_kafka_dlq_destroy(dlq);

  ck_assert_int_eq(read_messages(&env, "retry.dlq", "dlq-reader", 2,
                                 check_handler_letter, NULL),
                   2);
  kavro_conf_destroy(conf);
  env_fini(&env);
}
END_TEST

/* Without a forwarder, with consumer.max.retries 0: the first failure
 * spends the retries, and the message is handed back to the application
 * (KAVRO_ERR_LIMIT), which skips it with done(); the next one follows.
 * Then what the helper refuses. */
START_TEST(test_handler_exhausted_without_dlq) {
  env_t env;
  env_init(&env);
  kavro_conf_t *conf = policy_conf("0", "1", "1");
  rd_kafka_t *rk;
  kavro_kafka_consumer_t *consumer = retry_setup(&env, 1, 3, conf, NULL, &rk);
  const plan_t plans[] = {{1, KAVRO_ERROR_CLASS_TRANSIENT, -1}};
  handled_t h;
  handle_readings(consumer, plans, 1, 3, &h);
  ck_assert_str_eq(order_of(&h, 0), "0 1 2");
  ck_assert_int_eq(h.reported, 1);
  ck_assert_uint_eq(count_of(consumer, KAVRO_KAFKA_COUNT_UNFORWARDED), 1);
  ck_assert_uint_eq(count_of(consumer, KAVRO_KAFKA_COUNT_HANDLER_RETRIES), 0);
  ck_assert_int_eq(committed(rk, "retry", 0), 3);

  /* What the helper refuses: a longest backoff below the first; a fail()
   * without a message, or with a class that says neither retry nor
   * dead-letter (the message stays the caller's). */
  kavro_conf_t *bad = policy_conf("3", "500", "100");
  kavro_error_t error;
  ck_assert_ptr_null(kavro_kafka_consumer_new(rk, env.consumer_registry, bad,
                                              NULL, NULL, 0, &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
  ck_assert_ptr_nonnull(strstr(error.text, "consumer.retry.backoff.max.ms"));
  kavro_conf_destroy(bad);
  kavro_kafka_polled_t polled;
  memset(&polled, 0, sizeof polled);
  ck_assert_int_eq(kavro_kafka_consumer_fail(consumer, &polled,
                                             KAVRO_ERROR_CLASS_TRANSIENT, "x",
                                             &error),
                   KAVRO_ERR_INVALID_ARG);
  rd_kafka_message_t message;
  memset(&message, 0, sizeof message);
  polled.message = &message;
  ck_assert_int_eq(kavro_kafka_consumer_fail(consumer, &polled,
                                             KAVRO_ERROR_CLASS_LOCAL, "x",
                                             &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_eq(polled.message, &message);
  ck_assert_uint_eq(count_of(consumer, (kavro_kafka_count_t)99), 0);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  kavro_conf_destroy(conf);
  env_fini(&env);
}
END_TEST

/* The registry answers 503 to the first lookups of the writer schema: the
 * first reading cannot be decoded yet.  With a forwarder and
 * consumer.max.retries 0 it is still never dead-lettered: the helper backs
 * off and decodes it again until the registry answers, then hands out
 * every reading in order, and nothing is committed before that.  A helper
 * destroyed while it holds the reading leaves the rd_kafka_t at it: the
 * next helper made on it reads it. */
START_TEST(test_transient_decode_never_dlq) {
  enum { FAULTS = 4 };
  env_t env;
  env_init(&env);
  kavro_kafka_dlq_t *dlq = dlq_new(&env, "retry.dlq");
  kavro_conf_t *conf = policy_conf("0", "1", "8");
  kavro_error_t error;
  const kavro_mock_fault_t fault = {.kind = KAVRO_MOCK_FAULT_ERROR,
                                    .method = "GET",
                                    .path_prefix = "/schemas/ids/",
                                    .http_status = 503,
                                    .error_code = 50003,
                                    .retry_after_seconds = -1};
  ck_assert_int_eq(kavro_mock_push_fault(env.mock, &fault, FAULTS, &error),
                   KAVRO_OK);
  rd_kafka_t *rk;
  kavro_kafka_consumer_t *consumer = retry_setup(&env, 1, 3, conf, dlq, &rk);
  int transient = 0;
  long next = 0, deadline = now_ms() + WAIT_MS;
  while (next < 3 && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    kavro_err_t err = kavro_kafka_consumer_poll(consumer, 100, &polled, &error);
    ck_assert(!polled.dead_lettered);
    if (err != KAVRO_OK) {
      ck_assert_ptr_null(polled.message);
      ck_assert_int_eq(kavro_error_classify(&error),
                       KAVRO_ERROR_CLASS_TRANSIENT);
      ck_assert_int_lt(committed(rk, "retry", 0), 0);
      if (++transient == 1) {
        kavro_kafka_consumer_destroy(consumer);
        consumer = kavro_kafka_consumer_new(rk, env.consumer_registry, conf,
                                            NULL, dlq, 0, &error);
        ck_assert_ptr_nonnull(consumer);
      }
      continue;
    }
    if (!polled.message)
      continue;
    ck_assert_int_eq(field_long(polled.value.value, "seq"), next++);
    kavro_kafka_consumer_done(consumer, &polled, NULL);
  }
  ck_assert_int_eq(next, 3);
  ck_assert_int_eq(transient, FAULTS);
  ck_assert_uint_eq(count_of(consumer, KAVRO_KAFKA_COUNT_DECODE_RETRIES),
                    FAULTS - 1); /* the first helper saw the first */
  ck_assert_uint_eq(kavro_kafka_dlq_count(dlq), 0);
  ck_assert_int_eq(committed(rk, "retry", 0), 3);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  kavro_conf_destroy(conf);
  kavro_kafka_dlq_destroy(dlq);
  env_fini(&env);
}
END_TEST

/* The backoff: doubled per failure from the base, capped, and moved by a
 * jitter within 20% either side, never past the cap. */
START_TEST(test_backoff) {
  /* random % 41 == 20 is no jitter; 0 is -20%, 40 is +20%. */
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 1, 20), 100);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 2, 20), 200);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 4, 20), 800);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 5, 20), 1000);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 4000000000u, 20), 1000);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 1, 0), 80);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 1, 40), 120);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 4, 40), 960);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 5, 40), 1000);
  ck_assert_int_eq(kv_kafka_backoff_ms(100, 1000, 5, 0), 800);
  ck_assert_int_eq(kv_kafka_backoff_ms(5, 5, 3, 40), 5);
  ck_assert_int_eq(kv_kafka_backoff_ms(300000, 300000, 1, 40), 300000);
  for (unsigned failures = 1; failures <= 12; failures++) {
    int64_t plain = kv_kafka_backoff_ms(100, 30000, failures, 20);
    int64_t low = plain, high = plain;
    for (uint32_t random = 0; random < 1000; random += 7) {
      int64_t wait = kv_kafka_backoff_ms(100, 30000, failures, random * 2654435761u);
      ck_assert_int_ge(wait, plain * 8 / 10);
      ck_assert_int_le(wait, plain * 12 / 10);
      ck_assert_int_le(wait, 30000);
      low = wait < low ? wait : low;
      high = wait > high ? wait : high;
    }
    ck_assert_int_lt(low, high); /* the jitter moves it */
  }
}
END_TEST

/* The rules the helpers enforce on their callers. */
START_TEST(test_misuse_refused) {
  env_t env;
  env_init(&env);
  kavro_error_t error;
  /* A consumer that lets librdkafka store offsets is refused. */
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", env.bootstraps);
  conf_set(conf, "group.id", "misuse");
  char errstr[256];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  ck_assert_ptr_nonnull(rk);
  ck_assert_ptr_null(kavro_kafka_consumer_new(rk, env.consumer_registry, NULL,
                                              NULL, NULL, 0, &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
  rd_kafka_destroy(rk);

  /* A transient failure is never dead-lettered. */
  kavro_kafka_dlq_t *dlq = dlq_new(&env, "poison.dlq");
  rd_kafka_message_t fake;
  memset(&fake, 0, sizeof fake);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(env.host, "poison", NULL);
  fake.rkt = rkt;
  kavro_error_t cause;
  memset(&cause, 0, sizeof cause);
  cause.code = KAVRO_ERR_TRANSPORT;
  ck_assert_int_eq(kavro_kafka_dlq_forward(dlq, &fake, false, &cause, NULL,
                                           1000, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_uint_eq(kavro_kafka_dlq_count(dlq), 0);
  /* A handler's forward: a transient or permanent class, one try or more. */
  ck_assert_int_eq(kavro_kafka_dlq_forward_handler(
                       dlq, &fake, KAVRO_ERROR_CLASS_LOCAL, "x", 1, NULL, 1000,
                       &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_kafka_dlq_forward_handler(
                       dlq, &fake, KAVRO_ERROR_CLASS_PERMANENT, "x", 0, NULL,
                       1000, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_uint_eq(kavro_kafka_dlq_count(dlq), 0);
  rd_kafka_topic_destroy(rkt);
  kavro_kafka_dlq_destroy(dlq);

  /* The failure policy's settings: out of range, not a number (the
   * longest backoff below the first: test_handler_exhausted_without_dlq). */
  kavro_conf_t *policy = kavro_conf_new();
  const char *const bad[][2] = {{"consumer.max.retries", "-1"},
                                {"consumer.max.retries", "three"},
                                {"consumer.retry.backoff.ms", "0"},
                                {"consumer.retry.backoff.max.ms", "300001"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(kavro_conf_set(policy, bad[i][0], bad[i][1], &error),
                     KAVRO_ERR_CONF_INVALID);
    ck_assert_ptr_nonnull(strstr(error.text, bad[i][0]));
  }
  kavro_conf_destroy(policy);

  /* A tombstone is produced as a NULL payload. */
  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = "readings";
  record.key = "k";
  record.key_size = 1;
  ck_assert_int_eq(kavro_kafka_produce(env.producer, &record, NULL, &error),
                   KAVRO_OK);
  env_fini(&env);
}
END_TEST

/* Typed records: written as evo1 (generated from evolution_v1.avsc), read
 * as evo2 (v2: a field renamed by alias, a promotion, added fields with
 * defaults, an enum symbol gone to its default), tombstones kept, and a
 * frame naming an unknown id dead-lettered. */
START_TEST(test_typed_evolution) {
  enum { N = 30 };
  env_t env;
  env_init(&env);
  kavro_error_t error;
  char id[N][16];
  for (int i = 0; i <= N; i++) {
    evo1_visit_t v;
    evo1_visit_init(&v);
    kavro_kafka_record_t record;
    kavro_kafka_record_init(&record);
    record.topic = "readings";
    record.partition = 0;
    record.value_type = &evo1_visit_type;
    if (i < N) { /* the last one is a tombstone */
      snprintf(id[i], sizeof id[i], "V-%d", i);
      v.id = kavro_str(id[i]);
      v.minutes = 10 * i;
      v.outcome = (evo1_outcome_t)(i % 3);
      v.legacy = kavro_str("old");
      record.value_record = &v;
    }
    ck_assert_msg(kavro_kafka_produce(env.producer, &record, NULL, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
  }
  flush(&env);
  /* A frame naming an id the registry does not know: dead-lettered. */
  produce_raw(&env, "readings", 0, unknown_id, sizeof unknown_id, NULL);
  flush(&env);

  kavro_kafka_dlq_t *dlq = dlq_new(&env, "poison.dlq");
  rd_kafka_t *rk = consumer_new(&env, "readings", "typed");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, dlq, 0, &error);
  ck_assert_ptr_nonnull(consumer);
  ck_assert_int_eq(kavro_kafka_consumer_set_type(consumer, "readings",
                                                 &evo2_visit_type, &error),
                   KAVRO_OK);
  int got = 0, dead = 0;
  bool tombstone = false;
  long deadline = now_ms() + WAIT_MS;
  while (got + tombstone + dead < N + 2 && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_msg(kavro_kafka_consumer_poll(consumer, 100, &polled, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
    dead += polled.dead_lettered;
    if (!polled.message)
      continue;
    ck_assert_ptr_eq(polled.record_type, &evo2_visit_type);
    ck_assert_ptr_null(polled.value.value);
    if (!polled.message->payload) {
      ck_assert_ptr_null(polled.record);
      tombstone = true;
    } else {
      const evo2_visit_t *v = polled.record;
      ck_assert_int_eq(polled.message->offset, got);
      ck_assert_str_eq(v->visit_id.data, id[got]);
      ck_assert_int_eq(v->minutes, 10 * got);
      /* YES, NO, LATER: LATER is gone from v2, read as its default. */
      const evo2_outcome_t want[] = {EVO2_OUTCOME_YES, EVO2_OUTCOME_NO,
                                     EVO2_OUTCOME_UNKNOWN};
      ck_assert_int_eq(v->outcome, want[got % 3]);
      ck_assert(!v->has_note);
      ck_assert(v->rating == 4.5);
      ck_assert_uint_eq(v->crew.count, 1);
      ck_assert_str_eq(v->crew.items[0].data, "alpha");
      ck_assert_int_eq(polled.value.writer_id.kind, KAVRO_SCHEMA_ID_INT);
      got++;
    }
    kavro_kafka_consumer_done(consumer, &polled, NULL);
  }
  ck_assert_int_eq(got, N);
  ck_assert(tombstone);
  ck_assert_int_eq(dead, 1);
  ck_assert_uint_eq(kavro_kafka_dlq_count(dlq), 1);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  kavro_kafka_dlq_destroy(dlq);
  env_fini(&env);
}
END_TEST

/* ---- every catalog event over Kafka ------------------------------------ */

/* Messages produced per catalog event type. */
#define CATALOG_MESSAGES 4

/* What was produced to one catalog topic, kept to compare with what comes
 * back: the values (random datums of the event's schema, decoded into its
 * struct, in @arena) and their partition keys. */
typedef struct catalog_sent_s {
  kavro_arena_t *arena;
  void *values[CATALOG_MESSAGES];
  char keys[CATALOG_MESSAGES][256];
  size_t key_sizes[CATALOG_MESSAGES];
  bool received[CATALOG_MESSAGES];
} catalog_sent_t;

/* A value of @root's event drawn from @state into @sent's arena, produced
 * with the typed serializer to partition 0 of its topic, keyed by the
 * catalog's partition key. */
static void produce_catalog_event(env_t *env, const kavro_typed_root_t *root,
                                  const kavro_schema_t *schema,
                                  catalog_sent_t *sent, int n,
                                  uint32_t *state) {
  kavro_error_t error;
  kavro_buf_t *body = kavro_buf_new(0, 0);
  ck_assert_ptr_nonnull(body);
  kt_random_datum(schema, body, state);
  void *value = kavro_arena_alloc(sent->arena, root->type->size);
  ck_assert_ptr_nonnull(value);
  ck_assert_msg(kavro_typed_decode(root->type, kavro_buf_data(body),
                                   kavro_buf_length(body), sent->arena, NULL,
                                   value, &error) == KAVRO_OK,
                "%s: %s", root->topic, error.text);
  kavro_buf_destroy(body);
  sent->values[n] = value;

  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = root->topic;
  record.partition = 0;
  if (root->partition_key) {
    sent->key_sizes[n] =
        root->partition_key(value, sent->keys[n], sizeof sent->keys[n]);
    ck_assert_uint_lt(sent->key_sizes[n], sizeof sent->keys[n]);
    record.key = sent->keys[n];
    record.key_size = sent->key_sizes[n];
  }
  record.value_type = root->type;
  record.value_record = value;
  ck_assert_msg(kavro_kafka_produce(env->producer, &record, NULL, &error) ==
                    KAVRO_OK,
                "%s: %s", root->topic, error.text);
}

/* A consumed catalog message: the record of its topic's type, equal to
 * the value produced at its offset, under the same key. */
static void check_catalog_message(const kavro_kafka_polled_t *polled,
                                  catalog_sent_t *sent) {
  const rd_kafka_message_t *m = polled->message;
  const char *topic = rd_kafka_topic_name(m->rkt);
  size_t t = 0;
  while (t < CATALOG_ROOT_COUNT && strcmp(catalog_roots[t].topic, topic) != 0)
    t++;
  ck_assert_msg(t < CATALOG_ROOT_COUNT, "a message on %s", topic);
  const kavro_typed_root_t *root = &catalog_roots[t];
  ck_assert_int_eq(m->partition, 0);
  ck_assert_int_ge(m->offset, 0);
  ck_assert_int_lt(m->offset, CATALOG_MESSAGES);
  int n = (int)m->offset;
  ck_assert_msg(!sent[t].received[n], "%s offset %d came twice", topic, n);
  sent[t].received[n] = true;
  ck_assert_ptr_eq(polled->record_type, root->type);
  ck_assert_ptr_nonnull(polled->record);
  ck_assert_int_eq(polled->value.writer_id.kind, KAVRO_SCHEMA_ID_INT);
  ck_assert_msg(root->type->equal(sent[t].values[n], polled->record),
                "%s offset %d: decoded record differs from the one produced",
                topic, n);
  ck_assert_uint_eq(m->key_len, sent[t].key_sizes[n]);
  if (m->key_len)
    ck_assert_mem_eq(m->key, sent[t].keys[n], m->key_len);
}

/* Every event type of the catalog: a struct in, through the typed
 * serializer (registered under its subject in the HTTP mock registry),
 * the mock cluster and a consumer helper with the topic's type, the same
 * struct out. */
START_TEST(test_catalog_over_kafka) {
  env_t env;
  env_init(&env);
  rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(env.host);
  ck_assert_uint_gt(CATALOG_ROOT_COUNT, 20);
  catalog_sent_t *sent = calloc(CATALOG_ROOT_COUNT, sizeof *sent);
  const char *topics[CATALOG_ROOT_COUNT];
  kavro_schema_t *schemas[CATALOG_ROOT_COUNT];
  uint32_t states[CATALOG_ROOT_COUNT];
  ck_assert_ptr_nonnull(sent);
  kavro_error_t error;
  for (size_t t = 0; t < CATALOG_ROOT_COUNT; t++) {
    const kavro_typed_root_t *root = &catalog_roots[t];
    topics[t] = root->topic;
    ck_assert_int_eq(rd_kafka_mock_topic_create(cluster, root->topic, 1, 1),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_msg(kavro_schema_parse(root->type->schema_text,
                                     strlen(root->type->schema_text), NULL,
                                     &schemas[t], &error) == KAVRO_OK,
                  "%s: %s", root->topic, error.text);
    sent[t].arena = kavro_arena_new(0, 0);
    ck_assert_ptr_nonnull(sent[t].arena);
    states[t] = 2654435761u * (uint32_t)(t + 1);
  }
  /* Round after round of one message of each type, as a service producing
   * many kinds of event does: the serializer's table is searched, not just
   * its previous entry. */
  for (int n = 0; n < CATALOG_MESSAGES; n++)
    for (size_t t = 0; t < CATALOG_ROOT_COUNT; t++)
      produce_catalog_event(&env, &catalog_roots[t], schemas[t], &sent[t], n,
                            &states[t]);
  flush(&env);
  for (size_t t = 0; t < CATALOG_ROOT_COUNT; t++)
    kavro_schema_destroy(schemas[t]);

  rd_kafka_t *rk = consumer_of(&env, topics, CATALOG_ROOT_COUNT, 1, "catalog");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, NULL, 0, &error);
  ck_assert_msg(consumer != NULL, "%s", error.text);
  for (size_t t = 0; t < CATALOG_ROOT_COUNT; t++)
    ck_assert_int_eq(kavro_kafka_consumer_set_type(consumer, topics[t],
                                                   catalog_roots[t].type,
                                                   &error),
                     KAVRO_OK);
  size_t got = 0;
  long deadline = now_ms() + WAIT_MS;
  while (got < CATALOG_ROOT_COUNT * CATALOG_MESSAGES && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_msg(kavro_kafka_consumer_poll(consumer, 100, &polled, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
    ck_assert(!polled.dead_lettered);
    if (!polled.message)
      continue;
    check_catalog_message(&polled, sent);
    got++;
    ck_assert_int_eq(kavro_kafka_consumer_done(consumer, &polled, &error),
                     KAVRO_OK);
  }
  ck_assert_uint_eq(got, CATALOG_ROOT_COUNT * CATALOG_MESSAGES);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  for (size_t t = 0; t < CATALOG_ROOT_COUNT; t++)
    kavro_arena_destroy(sent[t].arena);
  free(sent);
  env_fini(&env);
}
END_TEST

/* ---- the kavro produce / consume programs ------------------------------- */

#ifdef KAVRO_BIN
/* Write @schema_text to a temporary file; returns its path (static). */
static const char *schema_file(const char *schema_text) {
  static char path[] = "/tmp/check_kafka_XXXXXX.avsc";
  memcpy(path + strlen(path) - 11, "XXXXXX", 6);
  int fd = mkstemps(path, 5);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  fputs(schema_text, f);
  fclose(f);
  return path;
}

/* `kavro produce` reads JSON lines with keys from a field; `kavro consume`
 * prints them back as JSON lines with key, partition, offset, schema id. */
START_TEST(test_cli_round_trip) {
  enum { N = 20 };
  env_t env;
  env_init(&env);
  const char *path = schema_file(reading_v1);
  char command[2048];
  snprintf(command, sizeof command,
           "%s produce -b %s -r %s -t readings --schema %s --key-field sensor "
           "-X linger.ms=1 2>/dev/null",
           KAVRO_BIN, env.bootstraps, kavro_mock_url(env.mock), path);
  FILE *in = popen(command, "w");
  ck_assert_ptr_nonnull(in);
  for (int i = 0; i < N; i++)
    fprintf(in, "{\"seq\": %d, \"sensor\": \"s%d\"}\n", i, i % 4);
  ck_assert_int_eq(pclose(in), 0);
  unlink(path);

  snprintf(command, sizeof command,
           "%s consume -b %s -r %s -t readings --from-beginning "
           "--max-messages %d --timeout-ms 20000 --group cli 2>/dev/null",
           KAVRO_BIN, env.bootstraps, kavro_mock_url(env.mock), N);
  FILE *out = popen(command, "r");
  ck_assert_ptr_nonnull(out);
  unsigned char seen[N] = {0};
  char line[4096];
  int lines = 0;
  while (fgets(line, sizeof line, out)) {
    json_error_t jerror;
    json_t *record = json_loads(line, 0, &jerror);
    ck_assert_msg(record != NULL, "not JSON: %s", line);
    json_t *value = json_object_get(record, "value");
    long seq = (long)json_integer_value(json_object_get(value, "seq"));
    see(seen, N, seq);
    char want[16];
    snprintf(want, sizeof want, "s%ld", seq % 4);
    ck_assert_str_eq(json_string_value(json_object_get(record, "key")), want);
    ck_assert_str_eq(json_string_value(json_object_get(value, "sensor")), want);
    ck_assert_str_eq(json_string_value(json_object_get(record, "topic")),
                     "readings");
    ck_assert(json_integer_value(json_object_get(record, "schema_id")) > 0);
    ck_assert(json_is_integer(json_object_get(record, "partition")));
    ck_assert(json_is_integer(json_object_get(record, "offset")));
    json_decref(record);
    lines++;
  }
  ck_assert_int_eq(pclose(out), 0);
  ck_assert_int_eq(lines, N);

  /* -X reaches the consumer's deserializer: with use.latest.version the
   * records read as the subject's latest version, v2, defaults filled. */
  kavro_schema_t *v2 = NULL;
  kavro_error_t error;
  int32_t v2_id = 0;
  ck_assert_int_eq(kavro_schema_parse(reading_v2, strlen(reading_v2), NULL,
                                      &v2, &error),
                   KAVRO_OK);
  ck_assert_msg(kavro_registry_register(env.consumer_registry,
                                        "readings-value", v2, NULL, 0, false,
                                        &v2_id, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_schema_destroy(v2);
  snprintf(command, sizeof command,
           "%s consume -b %s -r %s -t readings --from-beginning "
           "--max-messages 1 --timeout-ms 20000 --group cli-latest "
           "-X use.latest.version=true 2>/dev/null",
           KAVRO_BIN, env.bootstraps, kavro_mock_url(env.mock));
  out = popen(command, "r");
  ck_assert_ptr_nonnull(out);
  ck_assert_ptr_nonnull(fgets(line, sizeof line, out));
  ck_assert_int_eq(pclose(out), 0);
  json_t *latest = json_loads(line, 0, NULL);
  ck_assert_msg(latest != NULL, "not JSON: %s", line);
  json_t *latest_value = json_object_get(latest, "value");
  ck_assert_str_eq(json_string_value(json_object_get(latest_value, "unit")),
                   "celsius");
  ck_assert_int_ne(json_integer_value(json_object_get(latest, "schema_id")),
                   v2_id); /* written with v1 */
  json_decref(latest);

  /* A schema the subject's level refuses: exit 1, nothing produced. */
  path = schema_file("{\"type\":\"record\",\"name\":\"Reading\","
                     "\"namespace\":\"t.kafka\",\"fields\":["
                     "{\"name\":\"seq\",\"type\":\"long\"},"
                     "{\"name\":\"site\",\"type\":\"string\"}]}");
  snprintf(command, sizeof command,
           "echo '{\"seq\": 1, \"site\": \"x\"}' | %s produce -b %s -r %s "
           "-t readings --schema %s 2>/dev/null",
           KAVRO_BIN, env.bootstraps, kavro_mock_url(env.mock), path);
  int status = system(command);
  unlink(path);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  /* An -X key neither kavro nor librdkafka knows: a usage error. */
  snprintf(command, sizeof command,
           "%s consume -b %s -r %s -t readings -X no.such.key=1 2>/dev/null",
           KAVRO_BIN, env.bootstraps, kavro_mock_url(env.mock));
  status = system(command);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  env_fini(&env);
}
END_TEST

/* `kavro produce` with lines that fail among good ones: a line that is
 * not JSON, a datum the schema refuses.  Each is reported on stderr with
 * its number; --on-error stop (the default) ends the run at the first,
 * --on-error continue goes on; either way the exit status is 1, and what
 * `kavro consume` reads back is exactly the good lines produced. */
typedef struct bad_lines_case_s {
  const char *flag; /* --on-error's value, NULL: none given */
  const char *topic;
  long delivered;   /* the seqs 0 .. delivered - 1 */
} bad_lines_case_t;

static const bad_lines_case_t bad_lines_cases[] = {
    {NULL, "bad.default", 1},
    {"stop", "bad.stop", 1},
    {"continue", "bad.continue", 3},
};

START_TEST(test_cli_produce_bad_lines) {
  const bad_lines_case_t *c = &bad_lines_cases[_i];
  env_t env;
  env_init(&env);
  char dir[] = "/tmp/check_kafka_cli_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char schema[64], in[64];
  snprintf(schema, sizeof schema, "%s", schema_file(reading_v1));
  snprintf(in, sizeof in, "%s/lines.in", dir);
  kt_write_file(in, "{\"seq\": 0, \"sensor\": \"a\"}\n"
                    "not json\n"
                    "{\"seq\": 1, \"sensor\": \"b\"}\n"
                    "{\"seq\": \"two\", \"sensor\": \"c\"}\n"
                    "{\"seq\": 2, \"sensor\": \"d\"}\n");
  char flag[32];
  snprintf(flag, sizeof flag, "--on-error=%s", c->flag ? c->flag : "stop");
  const char *produce[] = {KAVRO_BIN, "produce", "-b", env.bootstraps, "-r",
                           kavro_mock_url(env.mock), "-t", c->topic,
                           "--schema", schema, "-X", "linger.ms=1",
                           c->flag ? flag : NULL, NULL};
  kt_run_t r = kt_run(dir, in, produce);
  ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
  ck_assert_msg(strstr(r.err, "kavro produce: line 2: ") != NULL, "%s", r.err);
  bool keep_going = c->delivered == 3;
  ck_assert_msg((strstr(r.err, "kavro produce: line 4: /seq") != NULL) ==
                    keep_going, "%s", r.err);
  char summary[128];
  snprintf(summary, sizeof summary, "kavro produce: %ld record%s delivered to %s\n",
           c->delivered, c->delivered == 1 ? "" : "s", c->topic);
  ck_assert_msg(strstr(r.err, summary) != NULL, "%s", r.err);
  ck_assert_msg(strstr(r.err, keep_going
                                  ? "kavro produce: 2 of 5 lines failed\n"
                                  : "kavro produce: stopped at line 2") != NULL,
                "%s", r.err);
  kt_run_free(&r);
  unlink(schema);

  /* The topic holds as many messages as good lines were produced, and
   * those are the good lines. */
  long held = 0;
  for (int p = 0; p < PARTITIONS; p++) {
    int64_t low, high;
    ck_assert_int_eq(rd_kafka_query_watermark_offsets(env.host, c->topic, p,
                                                      &low, &high, WAIT_MS),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    held += (long)(high - low);
  }
  ck_assert_int_eq(held, c->delivered);
  char max[16];
  snprintf(max, sizeof max, "%ld", c->delivered);
  const char *consume[] = {KAVRO_BIN, "consume", "-b", env.bootstraps, "-r",
                           kavro_mock_url(env.mock), "-t", c->topic,
                           "--from-beginning", "--max-messages", max,
                           "--timeout-ms", "20000", "--group", c->topic, NULL};
  r = kt_run(dir, NULL, consume);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  unsigned char seen[3] = {0};
  long lines = 0;
  for (char *line = r.out; *line; lines++) {
    char *end = strchr(line, '\n');
    ck_assert_ptr_nonnull(end);
    json_error_t jerror;
    json_t *record = json_loadb(line, (size_t)(end - line), 0, &jerror);
    ck_assert_msg(record != NULL, "not JSON: %s", line);
    json_t *value = json_object_get(record, "value");
    see(seen, c->delivered, (long)json_integer_value(json_object_get(value, "seq")));
    json_decref(record);
    line = end + 1;
  }
  ck_assert_int_eq(lines, c->delivered);
  kt_run_free(&r);
  unlink(in);
  ck_assert_int_eq(rmdir(dir), 0);
  env_fini(&env);
}
END_TEST

/* Avro keys (--key-schema, --key-avro), a reader schema (--reader), and a
 * poison message sent to --dlq while the good ones print. */
START_TEST(test_cli_keys_reader_dlq) {
  enum { N = 5 };
  env_t env;
  env_init(&env);
  char key_path[64], value_path[64], reader_path[64];
  snprintf(key_path, sizeof key_path, "%s", schema_file(key_schema_text));
  snprintf(value_path, sizeof value_path, "%s", schema_file(reading_v1));
  snprintf(reader_path, sizeof reader_path, "%s", schema_file(reading_v2));
  char command[2048];
  snprintf(command, sizeof command,
           "%s produce -b %s -r %s -t poison --schema %s --key-schema %s "
           "-X linger.ms=1 2>/dev/null",
           KAVRO_BIN, env.bootstraps, kavro_mock_url(env.mock), value_path,
           key_path);
  FILE *in = popen(command, "w");
  ck_assert_ptr_nonnull(in);
  for (int i = 0; i < N; i++)
    fprintf(in, "{\"sensor\": \"k%d\"}\t{\"seq\": %d, \"sensor\": \"s\"}\n",
            i, i);
  ck_assert_int_eq(pclose(in), 0);
  produce_raw(&env, "poison", 0, bad_magic, sizeof bad_magic, NULL);
  flush(&env);

  snprintf(command, sizeof command,
           "%s consume -b %s -r %s -t poison --from-beginning --key-avro "
           "--reader %s --dlq poison.dlq --timeout-ms 5000 --group cli-keys "
           "2>/dev/null",
           KAVRO_BIN, env.bootstraps, kavro_mock_url(env.mock), reader_path);
  FILE *out = popen(command, "r");
  ck_assert_ptr_nonnull(out);
  char line[4096];
  int lines = 0;
  while (fgets(line, sizeof line, out)) {
    json_error_t jerror;
    json_t *record = json_loads(line, 0, &jerror);
    ck_assert_msg(record != NULL, "not JSON: %s", line);
    json_t *value = json_object_get(record, "value");
    long seq = (long)json_integer_value(json_object_get(value, "seq"));
    char want[16];
    snprintf(want, sizeof want, "k%ld", seq);
    json_t *key = json_object_get(record, "key");
    ck_assert_str_eq(json_string_value(json_object_get(key, "sensor")), want);
    ck_assert_str_eq(json_string_value(json_object_get(value, "unit")),
                     "celsius");
    json_decref(record);
    lines++;
  }
  /* The poison message went to the dead-letter topic: exit 0. */
  ck_assert_int_eq(pclose(out), 0);
  ck_assert_int_eq(lines, N);
  unlink(key_path);
  unlink(value_path);
  unlink(reader_path);

  rd_kafka_t *dlq_rk = consumer_new(&env, "poison.dlq", "cli-dlq-reader");
  int dead = 0;
  long deadline = now_ms() + WAIT_MS;
  while (dead < 1 && now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(dlq_rk, 100);
    if (!m)
      continue;
    if (!m->err) {
      ck_assert_uint_eq(m->len, sizeof bad_magic);
      dead++;
    }
    rd_kafka_message_destroy(m);
  }
  ck_assert_int_eq(dead, 1);
  consumer_close(dlq_rk);
  env_fini(&env);
}
END_TEST

/* ---- kavro mock-cluster, kavro dlq inspect / replay --------------------- */

/* `kavro ARGS...` run to completion (standard input from /dev/null). */
static kt_run_t kavro_run(const char *dir, const char *const *args) {
  static const char *const lead[] = {KAVRO_BIN, NULL};
  return kt_run_args(dir, NULL, lead, args);
}

/* Lines of @text that contain @needle. */
static int lines_with(const char *text, const char *needle) {
  int count = 0;
  for (const char *line = text; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t length = end ? (size_t)(end - line) : strlen(line);
    const char *hit = strstr(line, needle);
    if (hit && hit < line + length)
      count++;
    line = end ? end + 1 : NULL;
  }
  return count;
}

/* The last line of @text (without its newline), in a static buffer. */
static const char *last_line(const char *text) {
  static char line[256];
  size_t length = strlen(text);
  while (length && text[length - 1] == '\n')
    length--;
  size_t start = length;
  while (start && text[start - 1] != '\n')
    start--;
  snprintf(line, sizeof line, "%.*s", (int)(length - start), text + start);
  return line;
}

/* A producer, consumer and mock-cluster's life: a cluster of 2 brokers as
 * a program of its own, used by two other processes; SIGTERM ends it with
 * 0; --listen anything but 127.0.0.1 and --brokers 17 are usage errors. */
START_TEST(test_cli_mock_cluster) {
  enum { N = 3 };
  char dir[] = "/tmp/check_kafka_mc_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  kt_server_t server;
  const char *start[] = {KAVRO_BIN, "mock-cluster", "--brokers", "2", NULL};
  ck_assert(kt_server_start_prefix(&server, dir, start, "bootstrap "));
  ck_assert_msg(strchr(server.url, ',') != NULL, "two brokers: %s",
                server.url);
  kavro_mock_t *mock;
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, &error), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, &error), KAVRO_OK);
  char schema[64];
  snprintf(schema, sizeof schema, "%s", schema_file(reading_v1));
  const char *in = kt_work_path(dir, "lines.in");
  kt_write_file(in, "{\"seq\": 0, \"sensor\": \"a\"}\n"
                    "{\"seq\": 1, \"sensor\": \"b\"}\n"
                    "{\"seq\": 2, \"sensor\": \"c\"}\n");
  const char *produce[] = {KAVRO_BIN, "produce", "-b", server.url, "-r",
                           kavro_mock_url(mock), "-t", "shared",
                           "--schema", schema, "-X", "linger.ms=1", NULL};
  kt_run_t r = kt_run(dir, in, produce);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  kt_run_free(&r);
  const char *consume[] = {"consume", "-b", server.url, "-r",
                           kavro_mock_url(mock), "-t", "shared",
                           "--from-beginning", "--max-messages", "3",
                           "--timeout-ms", "20000", "--group", "shared",
                           NULL};
  r = kavro_run(dir, consume);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_int_eq(lines_with(r.out, "\"topic\":\"shared\""), N);
  ck_assert_int_eq(lines_with(r.out, "\"sensor\": \"b\""), 1);
  kt_run_free(&r);
  r = kt_server_stop(&server);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  kt_run_free(&r);

  const char *elsewhere[] = {"mock-cluster", "--listen", "0.0.0.0", NULL};
  r = kavro_run(dir, elsewhere);
  ck_assert_int_eq(r.status, 2);
  ck_assert_msg(strstr(r.err, "127.0.0.1 only") != NULL, "%s", r.err);
  kt_run_free(&r);
  const char *too_many[] = {"mock-cluster", "--brokers", "17", NULL};
  r = kavro_run(dir, too_many);
  ck_assert_int_eq(r.status, 2);
  kt_run_free(&r);
  kavro_mock_destroy(mock);
  unlink(schema);
  unlink(in);
  unlink(server.err_path);
  rmdir(dir);
}
END_TEST

/* A frame of reading_v1 {seq, sensor "s"} under schema id 1. */
static size_t reading_frame(long seq, unsigned char *frame) {
  static const unsigned char head[] = {0, 0, 0, 0, 1};
  memcpy(frame, head, sizeof head);
  size_t n = sizeof head;
  uint64_t zigzag = ((uint64_t)seq << 1) ^ (uint64_t)(seq < 0 ? -1 : 0);
  do {
    frame[n++] = (unsigned char)((zigzag & 0x7f) | (zigzag > 0x7f ? 0x80 : 0));
    zigzag >>= 7;
  } while (zigzag);
  frame[n++] = 2; /* "s" */
  frame[n++] = 's';
  return n;
}

/* Headers from NULL-terminated name, value pairs. */
static rd_kafka_headers_t *headers_of(const char *const *pairs) {
  rd_kafka_headers_t *h = rd_kafka_headers_new(8);
  for (size_t i = 0; pairs[i]; i += 2)
    rd_kafka_header_add(h, pairs[i], -1, pairs[i + 1], -1);
  return h;
}

/* The dead-letter messages no forwarder of `kavro consume` writes: one of
 * the DLQ rule action (seq 100), one of a handler that gave up after 3
 * tries, with the headers the forwarder is gaining (seq 101), and one
 * with no headers at all (seq 102). */
static void produce_other_dead(env_t *env) {
  static const char *const rule[] = {
      "__rule.name", "big_seq", "__rule.mode", "READ", "__rule.subject",
      "story-value", "__rule.topic", "story", "__rule.exception",
      "seq 100 breaks rule big_seq", "trace", "t-100", NULL};
  static const char *const handler[] = {
      "kavro.dlq.topic", "story", "kavro.dlq.partition", "1",
      "kavro.dlq.offset", "42", "kavro.dlq.error.code", "-13",
      "kavro.dlq.error.class", "handler", "kavro.dlq.retries", "3",
      "kavro.dlq.error.message", "handler said no", NULL};
  unsigned char frame[16];
  produce_raw(env, "story.dlq", 0, frame, reading_frame(100, frame),
              headers_of(rule));
  produce_raw(env, "story.dlq", 1, frame, reading_frame(101, frame),
              headers_of(handler));
  produce_raw(env, "story.dlq", 2, frame, reading_frame(102, frame), NULL);
  flush(env);
}

/* The JSON line of @out whose value of @field is the string @want. */
static json_t *json_line_with(const char *out, const char *field,
                              const char *want) {
  for (const char *line = out; *line;) {
    const char *end = strchr(line, '\n');
    ck_assert_ptr_nonnull(end);
    json_error_t jerror;
    json_t *o = json_loadb(line, (size_t)(end - line), 0, &jerror);
    ck_assert_msg(o != NULL, "not JSON: %.*s", (int)(end - line), line);
    const char *got = json_string_value(json_object_get(o, field));
    if (got && strcmp(got, want) == 0)
      return o;
    json_decref(o);
    line = end + 1;
  }
  ck_abort_msg("no line with %s %s in %s", field, want, out);
  return NULL;
}

/* Every line of `kavro dlq inspect --format json`: the forwarded ones
 * (5, their values decoded when @decoded), the rule's and the handler's. */
static void check_inspect_json(const char *out, bool decoded) {
  int lines = 0;
  for (const char *c = out; (c = strchr(c, '\n')); c++)
    lines++;
  ck_assert_int_eq(lines, 8);
  ck_assert_int_eq(lines_with(out, "\"error_code\":\"SCHEMA_NOT_FOUND\""), 5);
  ck_assert_int_eq(lines_with(out, "\"value\":"), decoded ? 8 : 0);
  json_t *o = json_line_with(out, "error_code", "SCHEMA_NOT_FOUND");
  ck_assert_str_eq(json_string_value(json_object_get(o, "topic")), "story.dlq");
  ck_assert_str_eq(json_string_value(json_object_get(o, "origin_topic")), "story");
  ck_assert(json_is_integer(json_object_get(o, "partition")));
  ck_assert(json_is_integer(json_object_get(o, "offset")));
  ck_assert(json_integer_value(json_object_get(o, "origin_partition")) >= 0);
  ck_assert(json_integer_value(json_object_get(o, "origin_offset")) >= 0);
  ck_assert(json_is_integer(json_object_get(o, "origin_timestamp")));
  ck_assert_str_eq(json_string_value(json_object_get(o, "error_class")),
                   "permanent");
  ck_assert_msg(strstr(json_string_value(json_object_get(o, "reason")),
                       "40403") != NULL, "%s", out);
  ck_assert_ptr_null(json_object_get(o, "retries"));
  json_decref(o);
  o = json_line_with(out, "error_code", "RULE");
  ck_assert_str_eq(json_string_value(json_object_get(o, "error_class")),
                   "permanent");
  ck_assert_str_eq(json_string_value(json_object_get(o, "origin_topic")), "story");
  ck_assert(json_is_null(json_object_get(o, "origin_partition")));
  ck_assert(json_is_null(json_object_get(o, "origin_offset")));
  ck_assert_str_eq(json_string_value(json_object_get(o, "reason")),
                   "seq 100 breaks rule big_seq");
  ck_assert_str_eq(json_string_value(json_object_get(o, "rule")), "big_seq");
  if (decoded)
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(o, "value"), "seq")), 100);
  json_decref(o);
  o = json_line_with(out, "error_class", "handler");
  ck_assert_int_eq(json_integer_value(json_object_get(o, "retries")), 3);
  ck_assert_int_eq(json_integer_value(json_object_get(o, "origin_partition")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(o, "origin_offset")), 42);
  ck_assert_str_eq(json_string_value(json_object_get(o, "error_code")), "DECODE");
  json_decref(o);
  o = json_line_with(out, "error_class", "unknown");
  ck_assert(json_is_null(json_object_get(o, "origin_topic")));
  json_decref(o);
}

/* ---- kavro consume and the DLQ rule action ------------------------------ */

/* A dead letter of the DLQ rule action: key @key, the record's own
 * header "trace" first, then the rule's headers (rule seqNotNegative on
 * topic "ruled", in @mode). */
static rd_kafka_headers_t *expect_rule_dead_letter(const rd_kafka_message_t *m,
                                                   const char *key,
                                                   const char *mode) {
  ck_assert_uint_eq(m->key_len, strlen(key));
  ck_assert_int_eq(memcmp(m->key, key, m->key_len), 0);
  rd_kafka_headers_t *h = NULL;
  ck_assert_int_eq(rd_kafka_message_headers(m, &h), 0);
  const char *name;
  const void *value;
  size_t size;
  ck_assert_int_eq(rd_kafka_header_get_all(h, 0, &name, &value, &size), 0);
  ck_assert_str_eq(name, "trace");
  ck_assert_str_eq(header_text(h, KAVRO_RULE_HEADER_NAME), "seqNotNegative");
  ck_assert_str_eq(header_text(h, KAVRO_RULE_HEADER_MODE), mode);
  ck_assert_str_eq(header_text(h, KAVRO_RULE_HEADER_TOPIC), "ruled");
  return h;
}

/* What the consume run below sent to ruled.dlq: the refused frame as it
 * came, its key and its own header, then the rule's headers. */
static void check_rule_dead_letter(rd_kafka_message_t *m, int rank,
                                   void *arg) {
  (void)rank;
  const unsigned char *frame = arg;
  unsigned char want[32];
  size_t n = reading_frame(-5, want);
  ck_assert_uint_eq(m->len, n);
  ck_assert_int_eq(memcmp(m->payload, want, n), 0);
  ck_assert(memcmp(frame, want, n) == 0);
  rd_kafka_headers_t *h = expect_rule_dead_letter(m, "raw", "READ");
  ck_assert_str_eq(header_text(h, "trace"), "t-9");
  ck_assert_str_eq(header_text(h, KAVRO_RULE_HEADER_SUBJECT), "ruled-value");
  ck_assert_ptr_nonnull(
      strstr(header_text(h, KAVRO_RULE_HEADER_EXCEPTION), "seq >= 0"));
}

/* What went to the --dlq topic: the undecodable message alone. */
static void check_policy_dead_letter(rd_kafka_message_t *m, int rank,
                                     void *arg) {
  (void)rank;
  (void)arg;
  ck_assert_uint_eq(m->len, sizeof bad_magic);
  ck_assert_int_eq(memcmp(m->payload, bad_magic, sizeof bad_magic), 0);
}

/* `kavro consume` runs the schema's READ rules: a message a rule refuses
 * with onFailure DLQ prints nothing, goes to dlq.topic (its frame, key
 * and headers, and Java's `__rule.*` headers), is named with its rule and
 * action on stderr, and is not forwarded to --dlq as well, which still
 * takes the undecodable message; a message whose `__rule.name` header
 * names the rule (replayed from the DLQ) is read past it; exit 1. */
START_TEST(test_cli_consume_rule_dlq) {
  env_t env;
  env_init(&env);
  ck_assert_int_eq(
      kt_register_contract(
          env.producer_registry, "ruled-value", reading_v1, NULL,
          "{\"domainRules\":[{\"name\":\"seqNotNegative\",\"kind\":"
          "\"CONDITION\",\"mode\":\"READ\",\"type\":\"CEL\",\"expr\":"
          "\"message.seq >= 0\",\"onFailure\":\"DLQ\"}]}"),
      1);
  unsigned char frame[32], refused[32];
  produce_raw(&env, "ruled", 0, frame, reading_frame(1, frame), NULL);
  const char *trace[] = {"trace", "t-9", NULL};
  produce_raw(&env, "ruled", 0, refused, reading_frame(-5, refused),
              headers_of(trace));
  produce_raw(&env, "ruled", 0, bad_magic, sizeof bad_magic, NULL);
  const char *replayed[] = {"trace", "t-8", KAVRO_RULE_HEADER_NAME,
                            "seqNotNegative", NULL};
  produce_raw(&env, "ruled", 0, frame, reading_frame(-6, frame),
              headers_of(replayed));
  produce_raw(&env, "ruled", 0, frame, reading_frame(2, frame), NULL);
  flush(&env);

  /* The second round reads ids from prefixes alone: librdkafka is asked
   * for a message's headers only when the rule's action needs them, and
   * the dead letter still carries them. */
  const char *args[] = {"consume", "-b", env.bootstraps, "-r",
                        kavro_mock_url(env.mock), "-t", "ruled",
                        "--from-beginning", "--dlq", "ruled.failed", "-X",
                        "dlq.topic=ruled.dlq", "--max-messages", "3",
                        "--timeout-ms", "8000", "--group", "cli-rules",
                        _i ? "-X" : NULL, "value.schema.id.deserializer=prefix",
                        NULL};
  char dir[] = "/tmp/check_kafka_rules_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  kt_run_t r = kavro_run(dir, args);
  ck_assert_int_eq(rmdir(dir), 0);
  ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
  long seqs[3];
  int lines = 0;
  for (char *line = r.out; *line && lines < 4;) {
    char *end = strchr(line, '\n');
    ck_assert_ptr_nonnull(end);
    *end = '\0';
    json_t *record = json_loads(line, 0, NULL);
    ck_assert_msg(record != NULL, "not JSON: %s", line);
    json_t *value = json_object_get(record, "value");
    ck_assert_int_lt(lines, 3);
    seqs[lines++] = (long)json_integer_value(json_object_get(value, "seq"));
    json_decref(record);
    line = end + 1;
  }
  ck_assert_int_eq(lines, 3);
  ck_assert_int_eq(seqs[0], 1);
  ck_assert_int_eq(seqs[1], -6);
  ck_assert_int_eq(seqs[2], 2);
  ck_assert_msg(strstr(r.err, "rule \"seqNotNegative\" failed, action DLQ: "
                              "the message went to topic ruled.dlq"),
                "%s", r.err);
  ck_assert_msg(strstr(r.err, "3 records printed, 2 dead-lettered, 0 "
                              "skipped"),
                "%s", r.err);
  ck_assert_msg(strstr(r.err, "kavro consume: 1 refused record sent to the "
                              "dead letter topic\n"),
                "%s", r.err);
  kt_run_free(&r);
  /* One message in each: nothing sent twice. */
  ck_assert_int_eq(topic_size(&env, "ruled.dlq"), 1);
  ck_assert_int_eq(topic_size(&env, "ruled.failed"), 1);
  ck_assert_int_eq(read_messages(&env, "ruled.dlq", "rule-dlq-reader", 1,
                                 check_rule_dead_letter, refused),
                   1);
  ck_assert_int_eq(read_messages(&env, "ruled.failed", "policy-dlq-reader", 1,
                                 check_policy_dead_letter, NULL),
                   1);
  env_fini(&env);
}
END_TEST

/* `kavro dlq replay ARGS... -b BROKERS -t story.dlq` with @extra. */
static kt_run_t replay(const env_t *env, const char *dir,
                       const char *const *extra) {
  const char *args[24] = {"dlq", "replay", "-b", env->bootstraps, "-t",
                          "story.dlq", "--timeout-ms", "3000"};
  size_t n = 8;
  for (size_t i = 0; extra[i]; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  return kavro_run(dir, args);
}

/* Run `kavro dlq replay` with @extra; expect exit 0 and the last line
 * @summary. */
static void replay_expect(const env_t *env, const char *dir,
                          const char *const *extra, const char *summary) {
  kt_run_t r = replay(env, dir, extra);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_msg(strcmp(last_line(r.out), summary) == 0, "'%s' not '%s': %s",
                last_line(r.out), summary, r.err);
  kt_run_free(&r);
}

/* Run `kavro dlq replay` with @extra; expect exit 2 and @message. */
static void replay_refused(const env_t *env, const char *dir,
                           const char *const *extra, const char *message) {
  kt_run_t r = replay(env, dir, extra);
  ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
  ck_assert_msg(strstr(r.err, message) != NULL, "%s", r.err);
  kt_run_free(&r);
}

/* Read back every message of "story" (raw): seqs of those replayed (with
 * a kavro.replay header) into @replayed, and fail on a header the
 * dead-letter topic added. */
static int read_replayed(const env_t *env, unsigned char *replayed) {
  long held = 0;
  for (int p = 0; p < PARTITIONS; p++) {
    int64_t low, high;
    ck_assert_int_eq(rd_kafka_query_watermark_offsets(env->host, "story", p,
                                                      &low, &high, WAIT_MS),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    held += (long)(high - low);
  }
  rd_kafka_t *rk = consumer_new(env, "story", "story-raw");
  int count = 0;
  long got = 0;
  long deadline = now_ms() + WAIT_MS;
  while (got < held && now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m)
      continue;
    if (!m->err)
      got++;
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t size;
    if (!m->err && rd_kafka_message_headers(m, &h) == 0 &&
        rd_kafka_header_get_last(h, "kavro.replay", &v, &size) == 0) {
      ck_assert(size > strlen("story.dlq/") &&
                memcmp(v, "story.dlq/", strlen("story.dlq/")) == 0);
      const char *name;
      for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &v, &size) == 0;
           i++)
        ck_assert_msg(strncmp(name, "kavro.dlq.", 10) != 0 &&
                          strncmp(name, "__rule.", 7) != 0,
                      "header %s kept", name);
      const unsigned char *p = m->payload;
      long seq = p[5] & 0x7f;
      if (p[5] & 0x80)
        seq |= (long)(p[6] & 0x7f) << 7;
      seq >>= 1;
      ck_assert_msg(seq < 128 && !replayed[seq], "seq %ld replayed twice", seq);
      replayed[seq] = 1;
      if (seq == 100) { /* the rule's: its key and own header kept */
        ck_assert(m->key_len == 3 && memcmp(m->key, "raw", 3) == 0);
        ck_assert_int_eq(rd_kafka_header_get_last(h, "trace", &v, &size), 0);
        ck_assert(size == 5 && memcmp(v, "t-100", 5) == 0);
        ck_assert_int_eq(rd_kafka_header_get_last(h, "kavro.replay", &v, &size),
                         0);
        ck_assert(size == 13 && memcmp(v, "story.dlq/0/", 12) == 0);
      }
      count++;
    }
    rd_kafka_message_destroy(m);
  }
  consumer_close(rk);
  ck_assert_int_eq(got, held);
  return count;
}

/* The whole dead-letter story: messages whose schema id the consumer's
 * registry does not know are dead-lettered by `kavro consume --dlq`
 * (with one of the DLQ rule action, one of a handler, one without
 * headers beside them), inspected in text and JSON, then the schema is
 * registered, and `kavro dlq replay` sends them back, first a part and
 * then the rest: the application's group then reads each once, a third
 * replay sends nothing, and selection and bad input behave. */
START_TEST(test_cli_dlq_story) {
  enum { N = 5 };
  env_t env;
  env_init(&env);
  char dir[] = "/tmp/check_kafka_dlq_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char schema[64];
  snprintf(schema, sizeof schema, "%s", schema_file(reading_v1));
  const char *in = kt_work_path(dir, "lines.in");
  kt_write_file(in, "{\"seq\": 0, \"sensor\": \"s\"}\n{\"seq\": 1, \"sensor\": \"s\"}\n"
                    "{\"seq\": 2, \"sensor\": \"s\"}\n{\"seq\": 3, \"sensor\": \"s\"}\n"
                    "{\"seq\": 4, \"sensor\": \"s\"}\n");
  /* The writer's registry (mock://, in the producer) gives id 1. */
  const char *produce[] = {KAVRO_BIN, "produce", "-b", env.bootstraps, "-r",
                           "mock://writer", "-t", "story", "--schema", schema,
                           "-X", "linger.ms=1", NULL};
  kt_run_t r = kt_run(dir, in, produce);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  kt_run_free(&r);
  const char *url = kavro_mock_url(env.mock);
  const char *consume[] = {"consume", "-b", env.bootstraps, "-r", url, "-t",
                           "story", "--from-beginning", "--dlq", "story.dlq",
                           "--timeout-ms", "6000", "--group", "story-app",
                           NULL};
  r = kavro_run(dir, consume);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_msg(strstr(r.err, "0 records printed, 5 dead-lettered") != NULL,
                "%s", r.err);
  kt_run_free(&r);
  produce_other_dead(&env);

  const char *text[] = {"dlq", "inspect", "-b", env.bootstraps, "-t",
                        "story.dlq", NULL};
  r = kavro_run(dir, text);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_int_eq(lines_with(r.out, " from story/"), 7);
  ck_assert_int_eq(lines_with(r.out, " from -/-1/-1 class=unknown"), 1);
  ck_assert_int_eq(lines_with(r.out, "class=permanent code=SCHEMA_NOT_FOUND "
                                     "reason="), N);
  ck_assert_int_eq(lines_with(r.out, " from story/-1/-1 class=permanent "
                                     "code=RULE reason=seq 100 breaks"), 1);
  ck_assert_int_eq(lines_with(r.out, " from story/1/42 class=handler "
                                     "code=DECODE retries=3 reason=handler "
                                     "said no"), 1);
  ck_assert_msg(strstr(r.out, "8 messages in story.dlq, by reason:\n"
                              "       5  http") != NULL, "%s", r.out);
  ck_assert_int_eq(lines_with(r.out, "  value: "), 0);
  kt_run_free(&r);
  const char *json[] = {"dlq", "inspect", "-b", env.bootstraps, "-t",
                        "story.dlq", "--format", "json", "-r", url, NULL};
  r = kavro_run(dir, json);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  check_inspect_json(r.out, false);
  ck_assert_msg(strstr(r.err, "8 messages in story.dlq") != NULL, "%s", r.err);
  kt_run_free(&r);
  const char *two[] = {"dlq", "inspect", "-b", env.bootstraps, "-t",
                       "story.dlq", "--format", "json", "--max-messages", "2",
                       NULL};
  r = kavro_run(dir, two);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_int_eq(lines_with(r.out, "\"topic\":\"story.dlq\""), 2);
  ck_assert_msg(strstr(r.err, "2 messages in story.dlq") != NULL, "%s", r.err);
  kt_run_free(&r);

  /* The fix: the consumer's registry gets the schema, as id 1. */
  datum_t v1;
  datum_init(&v1, reading_v1);
  int32_t id;
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_register(env.producer_registry,
                                           "story-value", v1.schema, NULL, 0,
                                           false, &id, &error), KAVRO_OK);
  ck_assert_int_eq(id, 1);
  datum_fini(&v1);
  r = kavro_run(dir, json);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  check_inspect_json(r.out, true);
  kt_run_free(&r);

  /* Bad input: exit 2, a clear message, nothing replayed. */
  replay_refused(&env, dir, (const char *[]){"--reason", "(", NULL}, "--reason '(': ");
  replay_refused(&env, dir, (const char *[]){"--since", "yesterday", NULL},
                 "--since wants a time");
  replay_refused(&env, dir, (const char *[]){"--until", "2026-13-01T00:00:00Z", NULL},
                 "--until wants a time");
  const char *no_topic[] = {"dlq", "replay", "-b", env.bootstraps, NULL};
  r = kavro_run(dir, no_topic);
  ck_assert_int_eq(r.status, 2);
  ck_assert_msg(strstr(r.err, "a topic is needed (-t TOPIC)") != NULL, "%s", r.err);
  kt_run_free(&r);

  /* Selection, dry: nothing sent or committed. */
  r = replay(&env, dir, (const char *[]){"--dry-run", "--reason", "not found$", NULL});
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_int_eq(lines_with(r.out, "would replay story.dlq/"), N);
  ck_assert_int_eq(lines_with(r.out, " to story: "), N);
  ck_assert_str_eq(last_line(r.out), "replayed 5, skipped 3");
  kt_run_free(&r);
  replay_expect(&env, dir, (const char *[]){"--dry-run", "--since",
                                            "2100-01-01T00:00:00Z", NULL},
                "replayed 0, skipped 8");
  replay_expect(&env, dir, (const char *[]){"--dry-run", "--until",
                                            "2000-01-01T00:00:00.5+01:00", NULL},
                "replayed 0, skipped 8");
  replay_expect(&env, dir, (const char *[]){"--dry-run", "--since", "1000",
                                            "--until", "4102444800000", NULL},
                "replayed 7, skipped 1");
  r = replay(&env, dir, (const char *[]){"--dry-run", "--to", "story.other", NULL});
  ck_assert_int_eq(lines_with(r.out, " to story.other: "), 8);
  ck_assert_str_eq(last_line(r.out), "replayed 8, skipped 0");
  kt_run_free(&r);

  /* Replayed in two runs, as if the first had been stopped after 3
   * messages; a third finds nothing left. */
  r = replay(&env, dir, (const char *[]){"--max-messages", "3", NULL});
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  long first_replayed, first_skipped;
  ck_assert_int_eq(sscanf(last_line(r.out), "replayed %ld, skipped %ld",
                          &first_replayed, &first_skipped), 2);
  ck_assert_int_eq(first_replayed + first_skipped, 3);
  kt_run_free(&r);
  r = replay(&env, dir, (const char *[]){NULL});
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  char summary[64];
  snprintf(summary, sizeof summary, "replayed %ld, skipped %ld",
           7 - first_replayed, 1 - first_skipped);
  ck_assert_str_eq(last_line(r.out), summary);
  ck_assert_int_eq(lines_with(r.err, "skipped: no origin topic"),
                   (int)(1 - first_skipped));
  kt_run_free(&r);
  replay_expect(&env, dir, (const char *[]){NULL}, "replayed 0, skipped 0");

  /* Read with the schema now known, the topic holds each original and
   * each record replayed once (librdkafka 2.0's mock cluster answers no
   * LeaveGroup, so the application's own group could not rejoin before
   * its old member's session times out: a group of its own reads all). */
  const char *again[] = {"consume", "-b", env.bootstraps, "-r", url, "-t",
                         "story", "--from-beginning", "--max-messages", "12",
                         "--timeout-ms", "20000", "--group", "story-check",
                         NULL};
  r = kavro_run(dir, again);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_msg(lines_with(r.out, "\"topic\":\"story\"") == 12, "%s%s",
                r.out, r.err);
  for (int seq = 0; seq < N; seq++) {
    char want[32];
    snprintf(want, sizeof want, "\"value\":{\"seq\": %d,", seq);
    ck_assert_msg(lines_with(r.out, want) == 2, "seq %d: %s", seq, r.out);
  }
  ck_assert_int_eq(lines_with(r.out, "\"value\":{\"seq\": 100,"), 1);
  ck_assert_int_eq(lines_with(r.out, "\"value\":{\"seq\": 101,"), 1);
  kt_run_free(&r);
  /* Every message: the 7 replayed carry kavro.replay, and each is there
   * once. */
  unsigned char replayed[128] = {0};
  ck_assert_int_eq(read_replayed(&env, replayed), 7);
  for (int seq = 0; seq < N; seq++)
    ck_assert(replayed[seq]);
  ck_assert(replayed[100] && replayed[101] && !replayed[102]);

  unlink(schema);
  unlink(in);
  rmdir(dir);
  env_fini(&env);
}
END_TEST
#endif

/* Partition keys from catalog templates: every field kind, every error. */
START_TEST(test_partition_key) {
  datum_t d;
  datum_init(&d,
             "{\"type\":\"record\",\"name\":\"K\",\"fields\":["
             "{\"name\":\"country\",\"type\":\"string\"},"
             "{\"name\":\"n\",\"type\":\"int\"},"
             "{\"name\":\"l\",\"type\":\"long\"},"
             "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
             "\"symbols\":[\"A\",\"B\"]}},"
             "{\"name\":\"d\",\"type\":\"double\"}]}");
  datum_set_json(&d, "{\"country\": \"FR\", \"n\": -7, \"l\": "
                     "9007199254740993, \"e\": \"B\", \"d\": 1.5}");
  char key[64];
  size_t length;
  kavro_error_t error;
  ck_assert_int_eq(kavro_kafka_partition_key("{country}_{n}", &d.value, key,
                                             sizeof key, &length, &error),
                   KAVRO_OK);
  ck_assert_str_eq(key, "FR_-7");
  ck_assert_uint_eq(length, 5);
  ck_assert_int_eq(kavro_kafka_partition_key("k:{l}/{e}", &d.value, key,
                                             sizeof key, &length, &error),
                   KAVRO_OK);
  ck_assert_str_eq(key, "k:9007199254740993/B");
  ck_assert_int_eq(kavro_kafka_partition_key("plain", &d.value, key, sizeof key,
                                             &length, &error),
                   KAVRO_OK);
  ck_assert_str_eq(key, "plain");
  const char *bad[] = {"{missing}", "{d}", "{country", "country}", "{}",
                       "{a{b}}"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(kavro_kafka_partition_key(bad[i], &d.value, key,
                                               sizeof key, &length, &error),
                     KAVRO_ERR_INVALID_ARG);
    ck_assert(error.text[0] != '\0');
  }
  ck_assert_int_eq(kavro_kafka_partition_key("{country}_{l}", &d.value, key, 8,
                                             &length, &error),
                   KAVRO_ERR_LIMIT);
  datum_fini(&d);
}
END_TEST

/* ---- registry faults never cost a message ------------------------------ */

#define FAULTED 12

/* Committed offsets of @group on every partition of "faults", summed. */
static long committed_faults(const env_t *env, const char *group) {
  rd_kafka_t *rk = consumer_new(env, "faults", group);
  rd_kafka_topic_partition_list_t *parts =
      rd_kafka_topic_partition_list_new(PARTITIONS);
  for (int p = 0; p < PARTITIONS; p++)
    rd_kafka_topic_partition_list_add(parts, "faults", p);
  ck_assert_int_eq(rd_kafka_committed(rk, parts, WAIT_MS), 0);
  long committed = 0;
  for (int p = 0; p < PARTITIONS; p++)
    committed += parts->elems[p].offset > 0 ? parts->elems[p].offset : 0;
  rd_kafka_topic_partition_list_destroy(parts);
  consumer_close(rk);
  return committed;
}

/* Poll @consumer while the registry misbehaves: every failure is
 * transient, nothing is handed out or dead-lettered, and a commit finds
 * no offset stored. */
static void poll_through_fault(rd_kafka_t *rk, kavro_kafka_consumer_t *consumer,
                               const char *what) {
  int transient = 0;
  long deadline = now_ms() + WAIT_MS;
  while (transient < 3 && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    kavro_error_t error;
    kavro_err_t err = kavro_kafka_consumer_poll(consumer, 100, &polled, &error);
    ck_assert_msg(!polled.message, "%s: a message was handed out", what);
    ck_assert_msg(!polled.dead_lettered, "%s: a valid message was "
                  "dead-lettered (%s)", what, error.text);
    if (err == KAVRO_OK)
      continue;
    ck_assert_msg(kavro_error_classify(&error) == KAVRO_ERROR_CLASS_TRANSIENT,
                  "%s: %s is %s", what, error.text,
                  kavro_error_class_name(kavro_error_classify(&error)));
    transient++;
  }
  ck_assert_msg(transient >= 3, "%s: no failure seen", what);
  rd_kafka_commit(rk, NULL, 0);
}

/* Read all FAULTED readings with @registry, each once. */
static void read_all_faulted(const env_t *env, const char *group,
                             kavro_registry_t *registry) {
  rd_kafka_t *rk = consumer_new(env, "faults", group);
  kavro_error_t error;
  kavro_kafka_consumer_t *consumer =
      kavro_kafka_consumer_new(rk, registry, NULL, NULL, NULL, 0, &error);
  ck_assert_ptr_nonnull(consumer);
  unsigned char seen[FAULTED] = {0};
  long got = 0, deadline = now_ms() + WAIT_MS;
  while (got < FAULTED && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_msg(kavro_kafka_consumer_poll(consumer, 100, &polled, &error) ==
                      KAVRO_OK, "%s", error.text);
    if (!polled.message)
      continue;
    see(seen, FAULTED, field_long(polled.value.value, "seq"));
    kavro_kafka_consumer_done(consumer, &polled, NULL);
    got++;
  }
  ck_assert_int_eq(got, FAULTED);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
}

/* A registry that gives no usable answer says nothing about the message,
 * whatever the shape of its failure: a 200 whose body is not JSON, a
 * redirect, a proxy's page, an error code the protocol does not define,
 * a reply over response.max.bytes.  With a dead-letter forwarder in place,
 * nothing is dead-lettered, nothing is committed, and every message comes
 * through once the registry answers. */
START_TEST(test_registry_faults_keep_messages) {
  env_t env;
  env_init(&env);
  /* A reading whose registry reply is over 1 KiB, for the capped client. */
  char padded[2048];
  snprintf(padded, sizeof padded,
           "{\"type\":\"record\",\"name\":\"Reading\","
           "\"namespace\":\"t.kafka\",\"doc\":\"%01200d\","
           "\"fields\":[{\"name\":\"seq\",\"type\":\"long\"},"
           "{\"name\":\"sensor\",\"type\":\"string\"}]}", 0);
  datum_t v;
  datum_init(&v, padded);
  for (long i = 0; i < FAULTED; i++)
    produce_reading(&env, "faults", &v, i);
  flush(&env);
  kavro_error_t error;
  kavro_kafka_dlq_t *dlq = dlq_new(&env, "faults.dlq");

  static const struct {
    const char *what;
    kavro_mock_fault_t fault;
  } faults[] = {
      {"200 not JSON",
       {.kind = KAVRO_MOCK_FAULT_MALFORMED, .method = "GET",
        .path_prefix = "/schemas/ids/", .retry_after_seconds = -1}},
      {"302 redirect",
       {.kind = KAVRO_MOCK_FAULT_MALFORMED, .method = "GET",
        .path_prefix = "/schemas/ids/", .http_status = 302,
        .retry_after_seconds = -1}},
      {"404 page",
       {.kind = KAVRO_MOCK_FAULT_MALFORMED, .method = "GET",
        .path_prefix = "/schemas/ids/", .http_status = 404,
        .retry_after_seconds = -1}},
      {"404 code 404",
       {.kind = KAVRO_MOCK_FAULT_ERROR, .method = "GET",
        .path_prefix = "/schemas/ids/", .http_status = 404,
        .error_code = 404, .retry_after_seconds = -1}},
      {"400 code 400",
       {.kind = KAVRO_MOCK_FAULT_ERROR, .method = "GET",
        .path_prefix = "/schemas/ids/", .http_status = 400,
        .error_code = 400, .retry_after_seconds = -1}},
  };
  for (size_t i = 0; i <= sizeof faults / sizeof *faults; i++) {
    bool oversize = i == sizeof faults / sizeof *faults;
    const char *what = oversize ? "over response.max.bytes" : faults[i].what;
    char group[32];
    snprintf(group, sizeof group, "faults-%zu", i);
    kavro_registry_t *registry = registry_capped(env.mock,
                                                 oversize ? "1024" : NULL);
    if (!oversize)
      ck_assert_int_eq(kavro_mock_push_fault(env.mock, &faults[i].fault,
                                             100000, &error),
                       KAVRO_OK);
    rd_kafka_t *rk = consumer_new(&env, "faults", group);
    kavro_kafka_consumer_t *consumer =
        kavro_kafka_consumer_new(rk, registry, NULL, NULL, dlq, 0, &error);
    ck_assert_ptr_nonnull(consumer);
    poll_through_fault(rk, consumer, what);
    kavro_kafka_consumer_destroy(consumer);
    consumer_close(rk);
    kavro_registry_destroy(registry);
    kavro_mock_clear_faults(env.mock);
    ck_assert_msg(committed_faults(&env, group) == 0, "%s: offsets committed",
                  what);
    read_all_faulted(&env, group, env.consumer_registry);
  }
  ck_assert_uint_eq(kavro_kafka_dlq_count(dlq), 0);
  kavro_kafka_dlq_destroy(dlq);
  datum_fini(&v);
  env_fini(&env);
}
END_TEST

/* A message that names its writer schema by GUID, in the value's schema-id
 * header with the body unframed as Confluent's header serializer writes
 * it, or in a 0x01 prefix: consumed and decoded, never dead-lettered. */
START_TEST(test_guid_writer_ids) {
  env_t env;
  env_init(&env);
  datum_t v1;
  datum_init(&v1, reading_v1);
  kavro_error_t error;
  int32_t id = 0;
  ck_assert_int_eq(kavro_registry_register(env.producer_registry,
                                           "guids-value", v1.schema, NULL, 0,
                                           false, &id, &error),
                   KAVRO_OK);
  unsigned char guid[KAVRO_WIRE_GUID_SIZE];
  kt_mock_guid(env.mock, id, guid);
  kavro_schema_id_t sid = kavro_schema_id_guid(guid);
  unsigned char header[KAVRO_WIRE_MAX_ID_SIZE], frame[256];
  size_t header_size = 0, frame_size = 0;
  ck_assert_int_eq(kavro_wire_write_id(&sid, header, sizeof header,
                                       &header_size, &error),
                   KAVRO_OK);
  kavro_buf_t *body = kavro_buf_new(0, 0);
  for (long seq = 0; seq < 2; seq++) {
    reading_set(&v1, seq);
    kavro_buf_reset(body);
    ck_assert_int_eq(kavro_encode(v1.schema, &v1.value, body, &error),
                     KAVRO_OK);
    if (seq == 0) { /* the id in the header, the body alone */
      rd_kafka_headers_t *h = rd_kafka_headers_new(1);
      rd_kafka_header_add(h, kavro_wire_header_name(false), -1, header,
                          (ssize_t)header_size);
      produce_raw(&env, "guids", 0, kavro_buf_data(body),
                  kavro_buf_length(body), h);
    } else { /* the id in the prefix */
      ck_assert_int_eq(kavro_wire_frame(&sid, kavro_buf_data(body),
                                        kavro_buf_length(body), frame,
                                        sizeof frame, &frame_size, &error),
                       KAVRO_OK);
      produce_raw(&env, "guids", 0, frame, frame_size, NULL);
    }
    flush(&env);
  }
  kavro_buf_destroy(body);
  kavro_kafka_dlq_t *dlq = dlq_new(&env, "guids.dlq");
  rd_kafka_t *rk = consumer_new(&env, "guids", "guids");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, dlq, 0, &error);
  ck_assert_ptr_nonnull(consumer);
  long got = 0, deadline = now_ms() + WAIT_MS;
  while (got < 2 && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_msg(kavro_kafka_consumer_poll(consumer, 100, &polled, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
    ck_assert(!polled.dead_lettered);
    if (!polled.message)
      continue;
    ck_assert_int_eq(field_long(polled.value.value, "seq"), got);
    ck_assert_int_eq(polled.value.writer_id.kind, KAVRO_SCHEMA_ID_GUID);
    ck_assert_int_eq(polled.value.format, got == 0 ? KAVRO_WIRE_FORMAT_HEADER
                                                   : KAVRO_WIRE_FORMAT_PREFIX);
    kavro_kafka_consumer_done(consumer, &polled, NULL);
    got++;
  }
  ck_assert_int_eq(got, 2);
  ck_assert_uint_eq(kavro_kafka_dlq_count(dlq), 0);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  kavro_kafka_dlq_destroy(dlq);
  datum_fini(&v1);
  env_fini(&env);
}
END_TEST

/* SASL_INHERIT: the registry client sends the Kafka client's
 * sasl.username and sasl.password as basic auth, handed over from the
 * librdkafka configuration; they never reach an error text. */
START_TEST(test_sasl_inherit) {
  kt_mock_start("sasl_inherit");
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_require_basic_auth(kt_mock, "kuser:Kpw-q9Zx/Leak",
                                                 &error),
                   KAVRO_OK);
  char errstr[256];
  rd_kafka_conf_t *kafka_conf = rd_kafka_conf_new();
  ck_assert_int_eq(rd_kafka_conf_set(kafka_conf, "sasl.username", "kuser",
                                     errstr, sizeof(errstr)),
                   RD_KAFKA_CONF_OK);
  ck_assert_int_eq(rd_kafka_conf_set(kafka_conf, "sasl.password",
                                     "Kpw-q9Zx/Leak", errstr, sizeof(errstr)),
                   RD_KAFKA_CONF_OK);

  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url",
                                  kt_mock_url(0), NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "basic.auth.credentials.source",
                                  "SASL_INHERIT", NULL),
                   KAVRO_OK);
  kavro_conf_t *copy = kavro_conf_dup(conf); /* before: nothing to inherit */
  ck_assert_ptr_null(kavro_registry_new(copy, &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
  kavro_conf_destroy(copy);

  ck_assert_int_eq(kavro_kafka_conf_inherit_sasl(conf, kafka_conf, &error),
                   KAVRO_OK);
  copy = kavro_conf_dup(conf); /* the credentials come along */
  kavro_registry_t *reg = kavro_registry_new(copy, &error);
  ck_assert_ptr_nonnull(reg);
  char mode[KAVRO_REGISTRY_NAME_SIZE];
  ck_assert_msg(kavro_registry_get_mode(reg, NULL, mode, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_registry_destroy(reg);

  /* the wrong password: refused, and not quoted */
  ck_assert_int_eq(rd_kafka_conf_set(kafka_conf, "sasl.password",
                                     "Wrong-q9Zx/Leak", errstr, sizeof(errstr)),
                   RD_KAFKA_CONF_OK);
  ck_assert_int_eq(kavro_kafka_conf_inherit_sasl(conf, kafka_conf, &error),
                   KAVRO_OK);
  reg = kavro_registry_new(conf, &error);
  ck_assert_ptr_nonnull(reg);
  ck_assert_int_eq(kavro_registry_get_mode(reg, NULL, mode, &error), 401);
  char text[2048];
  kavro_error_format(&error, text, sizeof(text));
  ck_assert_msg(!strstr(text, "q9Zx"), "%s", text);
  kavro_registry_destroy(reg);

  /* a Kafka configuration without SASL user */
  rd_kafka_conf_t *bare = rd_kafka_conf_new();
  conf = kavro_conf_new();
  ck_assert_int_eq(kavro_kafka_conf_inherit_sasl(conf, bare, &error),
                   KAVRO_ERR_CONF_INVALID);
  kavro_conf_destroy(conf);
  rd_kafka_conf_destroy(bare);
  rd_kafka_conf_destroy(kafka_conf);
  kt_mock_stop();
}
END_TEST

/* The header a message carries under @name must be 0x01 and @guid. */
static void expect_id_header(const rd_kafka_message_t *m, const char *name,
                             const unsigned char *guid) {
  rd_kafka_headers_t *headers = NULL;
  ck_assert_int_eq(rd_kafka_message_headers(m, &headers),
                   RD_KAFKA_RESP_ERR_NO_ERROR);
  const void *value;
  size_t size;
  ck_assert_int_eq(rd_kafka_header_get_last(headers, name, &value, &size),
                   RD_KAFKA_RESP_ERR_NO_ERROR);
  ck_assert_uint_eq(size, KAVRO_WIRE_MAX_ID_SIZE);
  ck_assert_uint_eq(((const unsigned char *)value)[0], KAVRO_WIRE_MAGIC_GUID);
  ck_assert_mem_eq((const unsigned char *)value + 1, guid, 16);
}

/* key.schema.id.serializer and value.schema.id.serializer = header: the
 * producer helper sends the bodies bare and the GUIDs in __key_schema_id
 * and __value_schema_id, beside the record's own headers, for a generic
 * value and a typed record; the consumer helper reads them back. */
/* The records' creation time: the record's own, as set. */
#define HEADERS_TIMESTAMP 1700000000123

START_TEST(test_ids_in_headers) {
  env_t env;
  env_init(&env);
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, "key.schema.id.serializer", "header",
                                  &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "value.schema.id.serializer",
                                  "header", &error),
                   KAVRO_OK);
  kavro_kafka_producer_t *producer = kavro_kafka_producer_new(
      env.host, env.producer_registry, conf, 5000, &error);
  kavro_conf_destroy(conf);
  ck_assert_msg(producer != NULL, "%s", error.text);
  datum_t key, value;
  datum_init(&key, key_schema_text);
  datum_init(&value, reading_v1);
  datum_set_json(&key, "{\"sensor\": \"s1\"}");
  reading_set(&value, 1);
  evo1_visit_t visit;
  evo1_visit_init(&visit);
  visit.id = kavro_str("V-1");
  visit.minutes = 7;
  visit.legacy = kavro_str("old");
  rd_kafka_headers_t *own = rd_kafka_headers_new(1);
  rd_kafka_header_add(own, "trace", -1, "t-1", 3);
  for (int typed = 0; typed < 2; typed++) {
    kavro_kafka_record_t record;
    kavro_kafka_record_init(&record);
    record.topic = typed ? "headers.typed" : "headers";
    record.partition = 0;
    record.key_schema = key.schema;
    record.key_value = &key.value;
    if (typed) {
      record.value_type = &evo1_visit_type;
      record.value_record = &visit;
    } else {
      record.value_schema = value.schema;
      record.value = &value.value;
    }
    record.headers = own;
    record.timestamp = HEADERS_TIMESTAMP + typed;
    ck_assert_msg(kavro_kafka_produce(producer, &record, NULL, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
  }
  rd_kafka_headers_destroy(own);
  flush(&env);
  kavro_kafka_producer_destroy(producer);

  /* The GUIDs the registry gave the three schemas. */
  unsigned char key_guid[16], value_guid[16], visit_guid[16];
  int32_t id;
  ck_assert_int_eq(kavro_registry_lookup(env.producer_registry, "headers-key",
                                         key.schema, NULL, 0, false, &id,
                                         NULL, &error),
                   KAVRO_OK);
  kt_mock_guid(env.mock, id, key_guid);
  ck_assert_int_eq(kavro_registry_lookup(env.producer_registry,
                                         "headers-value", value.schema, NULL,
                                         0, false, &id, NULL, &error),
                   KAVRO_OK);
  kt_mock_guid(env.mock, id, value_guid);
  kavro_schema_t *visit_schema = NULL;
  ck_assert_int_eq(kavro_schema_parse(evo1_visit_type.schema_text,
                                      strlen(evo1_visit_type.schema_text),
                                      NULL, &visit_schema, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_registry_lookup(env.producer_registry,
                                         "headers.typed-value", visit_schema,
                                         NULL, 0, false, &id, NULL, &error),
                   KAVRO_OK);
  kt_mock_guid(env.mock, id, visit_guid);
  kavro_schema_destroy(visit_schema);

  const char *topics[] = {"headers", "headers.typed"};
  rd_kafka_t *rk = consumer_of(&env, topics, 2, 1, "headers");
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, env.consumer_registry, NULL, NULL, NULL, KAVRO_KAFKA_KEY_AVRO,
      &error);
  ck_assert_ptr_nonnull(consumer);
  ck_assert_int_eq(kavro_kafka_consumer_set_type(consumer, "headers.typed",
                                                 &evo1_visit_type, &error),
                   KAVRO_OK);
  kavro_buf_t *body = kavro_buf_new(0, 0);
  ck_assert_int_eq(kavro_encode(value.schema, &value.value, body, &error),
                   KAVRO_OK);
  int got = 0;
  long deadline = now_ms() + WAIT_MS;
  while (got < 2 && now_ms() < deadline) {
    kavro_kafka_polled_t polled;
    ck_assert_msg(kavro_kafka_consumer_poll(consumer, 100, &polled, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
    if (!polled.message)
      continue;
    const rd_kafka_message_t *m = polled.message;
    bool typed = strcmp(rd_kafka_topic_name(m->rkt), "headers.typed") == 0;
    expect_id_header(m, KAVRO_WIRE_KEY_HEADER, key_guid);
    expect_id_header(m, KAVRO_WIRE_VALUE_HEADER,
                     typed ? visit_guid : value_guid);
    rd_kafka_headers_t *headers = NULL;
    rd_kafka_message_headers(m, &headers);
    ck_assert_str_eq(header_text(headers, "trace"), "t-1");
    rd_kafka_timestamp_type_t tstype;
    ck_assert_int_eq(rd_kafka_message_timestamp(m, &tstype),
                     HEADERS_TIMESTAMP + typed);
    ck_assert_int_eq(tstype, RD_KAFKA_TIMESTAMP_CREATE_TIME);
    ck_assert_int_eq(polled.key.format, KAVRO_WIRE_FORMAT_HEADER);
    ck_assert_int_eq(polled.key.writer_id.kind, KAVRO_SCHEMA_ID_GUID);
    ck_assert_str_eq(field_string(polled.key.value, "sensor"), "s1");
    ck_assert_int_eq(polled.value.format, KAVRO_WIRE_FORMAT_HEADER);
    ck_assert_int_eq(polled.value.writer_id.kind, KAVRO_SCHEMA_ID_GUID);
    if (typed) {
      const evo1_visit_t *v = polled.record;
      ck_assert_ptr_nonnull(v);
      ck_assert_str_eq(v->id.data, "V-1");
      ck_assert_int_eq(v->minutes, 7);
    } else {
      /* The payload is the bare body. */
      ck_assert_uint_eq(m->len, kavro_buf_length(body));
      ck_assert_mem_eq(m->payload, kavro_buf_data(body), m->len);
      ck_assert_int_eq(field_long(polled.value.value, "seq"), 1);
    }
    kavro_kafka_consumer_done(consumer, &polled, NULL);
    got++;
  }
  ck_assert_int_eq(got, 2);
  kavro_buf_destroy(body);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  datum_fini(&key);
  datum_fini(&value);
  env_fini(&env);
}
END_TEST

/* What the producer helper's DLQ rule action sent: the record's key and
 * header, then the rule's, and the value's Avro JSON. */
static void check_produced_dead_letter(rd_kafka_message_t *m, int rank,
                                       void *arg) {
  (void)rank;
  (void)arg;
  expect_rule_dead_letter(m, "k-1", "WRITE");
  char *json = strndup(m->payload, m->len);
  json_t *v = json_loads(json, 0, NULL);
  ck_assert_msg(v != NULL, "not JSON: %s", json);
  ck_assert_int_eq(json_integer_value(json_object_get(v, "seq")), -5);
  json_decref(v);
  free(json);
}

/* More headers than a record view holds inline (kafka.c). */
#define MANY_HEADERS 12

/* A dead letter of a record with MANY_HEADERS headers "h" = "v0".."v11":
 * all of them, in order, then the rule's five. */
static void check_many_headers(rd_kafka_message_t *m, int rank, void *arg) {
  (void)rank;
  (void)arg;
  rd_kafka_headers_t *h = NULL;
  ck_assert_int_eq(rd_kafka_message_headers(m, &h), 0);
  ck_assert_uint_eq(rd_kafka_header_cnt(h), MANY_HEADERS + 5);
  for (int i = 0; i < MANY_HEADERS; i++) {
    const char *name;
    const void *value;
    size_t size;
    char want[16];
    snprintf(want, sizeof want, "v%d", i);
    ck_assert_int_eq(rd_kafka_header_get_all(h, (size_t)i, &name, &value,
                                             &size),
                     0);
    ck_assert_str_eq(name, "h");
    ck_assert_uint_eq(size, strlen(want));
    ck_assert_int_eq(memcmp(value, want, size), 0);
  }
  ck_assert_str_eq(header_text(h, KAVRO_RULE_HEADER_NAME), "seqNotNegative");
}

/* The producer helper hands each record to the rules: a value a WRITE
 * rule refuses with the DLQ action goes to dlq.topic with the record's
 * key and headers, as Java's DlqAction sends them, and not to its
 * topic. */
START_TEST(test_produce_rule_dlq_record) {
  env_t env;
  env_init(&env);
  ck_assert_int_eq(
      kt_register_contract(
          env.producer_registry, "ruled-value", reading_v1, NULL,
          "{\"domainRules\":[{\"name\":\"seqNotNegative\",\"kind\":"
          "\"CONDITION\",\"mode\":\"WRITE\",\"type\":\"CEL\",\"expr\":"
          "\"message.seq >= 0\",\"onFailure\":\"DLQ\"}]}"),
      1);
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  const char *settings[] = {"dlq.topic", "ruled.dlq", "dlq.auto.flush",
                            "true", "use.latest.version", "true",
                            "auto.register.schemas", "false", NULL};
  for (const char *const *kv = settings; *kv; kv += 2)
    ck_assert_int_eq(kavro_conf_set(conf, kv[0], kv[1], &error), KAVRO_OK);
  ck_assert_int_eq(kavro_kafka_dlq_action_add(conf, env.host, &error),
                   KAVRO_OK);
  kavro_kafka_producer_t *producer = kavro_kafka_producer_new(
      env.host, env.producer_registry, conf, 5000, &error);
  ck_assert_msg(producer != NULL, "%s", error.text);
  datum_t d;
  datum_init(&d, reading_v1);
  datum_set_json(&d, "{\"seq\": -5, \"sensor\": \"s\"}");
  const char *trace[] = {"trace", "t-1", NULL};
  rd_kafka_headers_t *headers = headers_of(trace);
  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = "ruled";
  record.key = "k-1";
  record.key_size = 3;
  record.value_schema = d.schema;
  record.value = &d.value;
  record.headers = headers;
  ck_assert_int_eq(kavro_kafka_produce(producer, &record, NULL, &error),
                   KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "action DLQ: the message went to topic "
                                   "ruled.dlq"),
                "%s", error.text);
  datum_set_json(&d, "{\"seq\": 5, \"sensor\": \"s\"}");
  ck_assert_msg(kavro_kafka_produce(producer, &record, NULL, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  flush(&env);
  ck_assert_int_eq(topic_size(&env, "ruled"), 1);
  ck_assert_int_eq(topic_size(&env, "ruled.dlq"), 1);
  ck_assert_int_eq(read_messages(&env, "ruled.dlq", "rule-dlq-reader", 1,
                                 check_produced_dead_letter, NULL),
                   1);
  rd_kafka_headers_destroy(headers);

  /* A record with more headers than a view holds inline, twice (the
   * helper's room, grown once, serves the second): every header goes to
   * the dead-letter topic, in order, before the rule's. */
  ck_assert_int_eq(kavro_conf_set(conf, "dlq.topic", "ruled.many", &error),
                   KAVRO_OK);
  kavro_kafka_producer_t *many = kavro_kafka_producer_new(
      env.host, env.producer_registry, conf, 5000, &error);
  ck_assert_msg(many != NULL, "%s", error.text);
  record.headers = headers = rd_kafka_headers_new(MANY_HEADERS);
  for (int i = 0; i < MANY_HEADERS; i++) {
    char value[16];
    snprintf(value, sizeof value, "v%d", i);
    rd_kafka_header_add(headers, "h", -1, value, -1);
  }
  datum_set_json(&d, "{\"seq\": -6, \"sensor\": \"s\"}");
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(kavro_kafka_produce(many, &record, NULL, &error),
                     KAVRO_ERR_RULE);
  flush(&env);
  ck_assert_int_eq(read_messages(&env, "ruled.many", "rule-many-reader", 2,
                                 check_many_headers, NULL),
                   2);
  rd_kafka_headers_destroy(headers);
  kavro_kafka_producer_destroy(many);
  datum_fini(&d);
  kavro_kafka_producer_destroy(producer);
  kavro_conf_destroy(conf);
  env_fini(&env);
}
END_TEST

/* The programs' cases mostly wait on the mock cluster's group joins and on
 * the programs' time-outs.  Tagged, `make check` runs them in test
 * programs of their own (tests/kafka_programs.sh, kafka_operating.sh:
 * CK_INCLUDE_TAGS), beside this one, which leaves them out
 * (CK_EXCLUDE_TAGS=programs-apart, set by Makefile.am); run by hand, this
 * program runs every case. */
#define APART "programs-apart"

static Suite *kafka_suite(void) {
  Suite *s = suite_create("kafka");
  TCase *tc = tcase_create("end-to-end");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_none_lost);
  tcase_add_test(tc, test_evolution);
  tcase_add_test(tc, test_poison_to_dlq);
  tcase_add_test(tc, test_poison_without_dlq);
  tcase_add_test(tc, test_registry_outage);
  tcase_add_test(tc, test_registry_faults_keep_messages);
  tcase_add_test(tc, test_guid_writer_ids);
  tcase_add_test(tc, test_ids_in_headers);
  tcase_add_test(tc, test_misuse_refused);
  tcase_add_test(tc, test_typed_evolution);
  tcase_add_test(tc, test_produce_rule_dlq_record);
  suite_add_tcase(s, tc);
  TCase *policy = tcase_create("failure-policy");
  tcase_set_timeout(policy, 30);
  tcase_add_test(policy, test_handler_failures);
  tcase_add_test(policy, test_handler_exhausted_without_dlq);
  tcase_add_test(policy, test_transient_decode_never_dlq);
  suite_add_tcase(s, policy);
  TCase *catalog = tcase_create("catalog");
  tcase_set_timeout(catalog, 30);
  tcase_add_test(catalog, test_catalog_over_kafka);
  suite_add_tcase(s, catalog);
#ifdef KAVRO_BIN
  TCase *cli = tcase_create("programs");
  tcase_set_tags(cli, APART " programs");
  tcase_set_timeout(cli, 30);
  tcase_add_test(cli, test_cli_round_trip);
  tcase_add_test(cli, test_cli_keys_reader_dlq);
  tcase_add_loop_test(cli, test_cli_consume_rule_dlq, 0, 2);
  tcase_add_loop_test(cli, test_cli_produce_bad_lines, 0,
                      sizeof bad_lines_cases / sizeof *bad_lines_cases);
  suite_add_tcase(s, cli);
  TCase *ops = tcase_create("operating");
  tcase_set_tags(ops, APART " operating");
  tcase_set_timeout(ops, 90);
  tcase_add_test(ops, test_cli_mock_cluster);
  tcase_add_test(ops, test_cli_dlq_story);
  suite_add_tcase(s, ops);
#endif
  TCase *keys = tcase_create("keys");
  tcase_add_test(keys, test_partition_key);
  tcase_add_test(keys, test_backoff);
  tcase_add_test(keys, test_sasl_inherit);
  suite_add_tcase(s, keys);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(kafka_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
