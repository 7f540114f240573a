/*
 * kavro bench - end to end over Kafka: ServiceOrderCreated events (the
 * catalog's generated record) produced through the producer helper
 * (kavro_kafka_produce() with a typed record, and with the same event as
 * an avro-c generic value) into librdkafka's mock cluster, and consumed
 * through the consumer helper decoding into typed records
 * (kavro_kafka_consumer_poll() and _done(), which stores each offset),
 * with its default settings and reading ids from prefixes alone
 * (value.schema.id.deserializer=prefix); each against librdkafka alone
 * moving the very same frame bytes.  The
 * ratios are what kavro adds to a service's Kafka path.
 *
 * The events are bench_typed's pool (sample_order.h): message i of a
 * round is pool event i % KB_POOL_SIZE on every path, with that event's
 * partition key, so that string lengths, the boolean and the optional
 * field vary as in real traffic and no path gets one event's branches
 * predicted.  At start-up every pool event's frame from the typed
 * serializer is checked byte for byte against the hand-written limit's
 * and the generic path's; the plain path sends those frames, encoded
 * once.  The consume topic holds the pool's frames in order, MESSAGES of
 * them, and both consume paths read all of it.
 *
 * Fair by construction: one producer handle (the one that owns the mock
 * cluster) serves both produce paths, so settings, connection, topic,
 * partition, key, payload bytes, flags (RD_KAFKA_MSG_F_COPY), the call
 * that enqueues (rd_kafka_produceva()) and message count are the same,
 * and each round ends with a flush.  Both consume
 * paths use consumers made the same way, read the same messages from the
 * start of one partition and store each offset once the message is
 * handled: the helper's at-least-once rule, kept by hand on the plain side
 * with librdkafka's cheapest store.  A consume round is timed from its
 * first message to its last, which leaves out the consumer's start
 * (connection, metadata, offset lookup) and the writer schema's one lookup
 * by id.  Rounds alternate the two paths, each going first in turn; the
 * table shows each path's median and a ratio is the median of the ratios
 * within a round: the machine is shared, and one round disturbed by a
 * neighbour should not decide.  The registry is kavro's mock, in the
 * process; after the first message no request reaches it.
 *
 * Output: a table, then machine lines (measured must not exceed goal)
 *   FIGURE <name> <value> <unit>
 *   RATIO e2e_produce_typed_vs_plain <measured> 1.05
 *   RATIO e2e_produce_generic_vs_plain <measured> 1.15
 *   RATIO e2e_produce_limit_vs_plain <measured>
 *   RATIO e2e_consume_typed_vs_plain <measured> 1.15
 *   RATIO e2e_consume_typed_prefix_vs_plain <measured>
 *   RATIO e2e_produce_encrypt_two_pii_vs_none <measured> 3.0
 *
 * The last compares two more produce paths through a second producer
 * helper: the ServiceOrderCreated with its customer (pii_order.h) as a
 * generic value, to a topic whose schema has no rules and to one whose
 * contract encrypts the customer's email and phone (the ENCRYPT rule,
 * AES256_GCM, the local KMS; the DEK made and unwrapped in the warm-up,
 * no registry or KMS request after it).  These two send one sample event
 * (pii_order.h's), not the pool: they measure the rule's cost against the
 * same message without it, which a single event shows as well.
 *
 * Built and run by `make bench`, never by `make check`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kavro.h>
#include <kavro/kafka.h>
#include <kavro/mock.h>
#include <librdkafka/rdkafka_mock.h>

#include "bench_util.h"
#include "catalog.h"
#include "pii_order.h"
#include "sample_order.h"

/* Messages per round: enough that a round lasts tens of milliseconds, well
 * above the clock's and the scheduler's grain, few enough that the whole
 * program stays within seconds on a busy two-core machine, and that the
 * consume topic stays within the 5 MB a mock partition keeps. */
#define MESSAGES 20000
/* Measured rounds of each path (odd, so that the median is one of them):
 * on a shared machine one round in three or four is disturbed. */
#define ROUNDS 21
/* Upper bound on a flush or on waiting for a round's messages, so that a
 * broken cluster ends the program instead of hanging it. */
#define WAIT_MS 30000

/* Produce rounds write to the catalog's topic for the event; the consume
 * rounds read a topic that holds exactly MESSAGES events, so that neither
 * consumer fetches anything it will not read. */
#define PRODUCE_TOPIC "projects.service_order.created"
#define CONSUME_TOPIC "bench.service_order.created"
#define PII_PLAIN_TOPIC "bench.customer.plain"
#define PII_ENCRYPT_TOPIC "bench.customer.encrypted"

/* Room for a pool event's frame and partition key: the pool's longest
 * need less than half of it (a frame that does not fit ends the
 * program). */
#define FRAME_MAX 256
#define KEY_MAX 64

/* The paths: the helper with a typed record, librdkafka with the helper's
 * frame, and (producing only) the hand-written limit's encoder
 * (service_order_limit.h) in front of librdkafka: the least any encoder
 * of this record can add; the helper with the event as a generic value
 * (each pool event filled once: what is measured is its serializing, as
 * for the typed record). */
enum { TYPED, PLAIN, LIMIT, GENERIC, PII_PLAIN, PII_ENCRYPT, PATHS };
/* Consuming, the third path is the helper reading ids from prefixes
 * alone (value.schema.id.deserializer=prefix): no header parse. */
enum { TYPED_PREFIX = LIMIT };

typedef struct bench_s {
  kavro_mock_t *mock;
  kavro_registry_t *producer_registry;
  kavro_registry_t *consumer_registry; /* its own cache, as in real life */
  rd_kafka_t *host;                    /* the producer owning the cluster */
  const char *bootstraps;
  kavro_kafka_producer_t *producer;
  /* The PII paths' helper: its serializer takes the latest version (with
   * its contract) and knows the local KMS's secret. */
  kavro_kafka_producer_t *pii_producer;
  kb_pii_order_t pii;
  char pii_key[KEY_MAX]; /* the sample event's, for the PII paths */
  size_t pii_key_size;
  /* The pool, in the form each path takes it: generated records, the
   * limit's structs, avro-c generic values of the event's schema, and
   * the frames the helper makes of them; each event's partition key (the
   * catalog's). */
  service_order_created_t orders[KB_POOL_SIZE];
  limit_order_t limits[KB_POOL_SIZE];
  avro_value_t values[KB_POOL_SIZE];
  unsigned char frames[KB_POOL_SIZE][FRAME_MAX];
  size_t frame_sizes[KB_POOL_SIZE];
  char keys[KB_POOL_SIZE][KEY_MAX];
  size_t key_sizes[KB_POOL_SIZE];
  kavro_schema_t *order_schema;
  avro_schema_t order_avro;
  avro_value_iface_t *order_iface;
  uint32_t schema_id; /* the frames' */
} bench_t;

/* One round of one path: wall seconds; CPU seconds of the calling thread
 * (the application's share); CPU seconds of the process (every thread:
 * the application, librdkafka's and the mock broker's). */
typedef struct round_s {
  double wall, thread, process;
} round_t;

/* CPU seconds of every thread of the process. */
static double process_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void die_kafka(const char *what, const char *why) {
  fprintf(stderr, "bench_e2e: %s: %s\n", what, why);
  exit(EXIT_FAILURE);
}

static void conf_set(rd_kafka_conf_t *conf, const char *key,
                     const char *value) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK)
    die_kafka(key, errstr);
}

/* ---- the events ---------------------------------------------------------- */

/* @v's partition key into @key; returns its length. */
static size_t partition_key(const service_order_created_t *v,
                            char key[KEY_MAX]) {
  size_t size = service_order_created_partition_key(v, key, KEY_MAX);
  if (size >= KEY_MAX)
    die_kafka("partition key", "too long");
  return size;
}

/* The pool bench_typed measures, so that the two benches' figures meet,
 * in every form but the frames (which need the helper's serializer). */
static void fill_pool(bench_t *b) {
  kavro_error_t error;
  const char *text = service_order_created_type.schema_text;
  if (kavro_schema_parse(text, strlen(text), NULL, &b->order_schema, &error) ||
      kavro_schema_to_avro(b->order_schema, &b->order_avro, &error))
    kb_die("the event's schema", &error);
  if (!(b->order_iface = avro_generic_class_from_schema(b->order_avro)))
    kb_die("the event's avro-c class", NULL);
  kb_order_pool(b->orders);
  for (unsigned i = 0; i < KB_POOL_SIZE; i++) {
    kb_limit_order(&b->limits[i], &b->orders[i]);
    if (avro_generic_value_new(b->order_iface, &b->values[i]) ||
        kb_avro_order(&b->values[i], &b->orders[i]))
      kb_die("a pool event as a generic value", NULL);
    b->key_sizes[i] = partition_key(&b->orders[i], b->keys[i]);
  }
  service_order_created_t sample;
  kb_sample_order(&sample);
  b->pii_key_size = partition_key(&sample, b->pii_key);
}

/* ---- the environment: mock registry, mock cluster ------------------------ */

static kavro_registry_t *registry_new(void) {
  kavro_error_t error;
  kavro_conf_t *conf = kavro_conf_new();
  kavro_registry_t *registry = NULL;
  if (!conf ||
      kavro_conf_set(conf, "schema.registry.url", "mock://benche2e", &error) ||
      !(registry = kavro_registry_new(conf, &error)))
    kb_die("registry", conf ? &error : NULL);
  return registry;
}

/* The PII paths: their topics, their subjects (bare, and with the
 * encrypting contract), their helper. */
static void pii_setup(bench_t *b, rd_kafka_mock_cluster_t *cluster) {
  kavro_error_t error;
  if (rd_kafka_mock_topic_create(cluster, PII_PLAIN_TOPIC, 1, 1) ||
      rd_kafka_mock_topic_create(cluster, PII_ENCRYPT_TOPIC, 1, 1))
    die_kafka("mock cluster", "cannot create the PII topics");
  kb_pii_order_init(&b->pii);
  kb_pii_order_register(b->producer_registry, PII_PLAIN_TOPIC "-value",
                        false);
  kb_pii_order_register(b->producer_registry, PII_ENCRYPT_TOPIC "-value",
                        true);
  kavro_conf_t *conf = kavro_conf_new();
  if (!conf ||
      kavro_conf_set(conf, "auto.register.schemas", "false", &error) ||
      kavro_conf_set(conf, "use.latest.version", "true", &error) ||
      kavro_conf_set(conf, "rule.executors._default_.param.secret",
                     KB_PII_SECRET, &error) ||
      !(b->pii_producer = kavro_kafka_producer_new(
            b->host, b->producer_registry, conf, 0, &error)))
    kb_die("the PII paths' producer helper", conf ? &error : NULL);
  kavro_conf_destroy(conf);
}

static _Noreturn void die_frame(const char *path, unsigned i) {
  fprintf(stderr,
          "bench_e2e: pool event %u: the %s frame is not the typed "
          "record's bytes\n",
          i, path);
  exit(EXIT_FAILURE);
}

static bool frame_is(const bench_t *b, unsigned i, const void *data,
                     size_t size) {
  return size == b->frame_sizes[i] && memcmp(data, b->frames[i], size) == 0;
}

/* The plain path's frames: the typed serializer's, over the helper's own
 * serializer, so the bytes are those the helper sends (the mock registry
 * gives a schema the same id under every subject). */
static void make_frames(bench_t *b) {
  kavro_error_t error;
  kavro_typed_serializer_t *ts = kavro_typed_serializer_new(
      kavro_kafka_producer_serializer(b->producer), &error);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  if (!ts || !out)
    kb_die("frame", ts ? NULL : &error);
  for (unsigned i = 0; i < KB_POOL_SIZE; i++) {
    kavro_buf_reset(out);
    if (kavro_typed_serialize(ts, PRODUCE_TOPIC, false,
                              &service_order_created_type, &b->orders[i], out,
                              &error))
      kb_die("frame", &error);
    if (kavro_buf_length(out) > FRAME_MAX)
      die_kafka("frame", "longer than FRAME_MAX");
    b->frame_sizes[i] = kavro_buf_length(out);
    memcpy(b->frames[i], kavro_buf_data(out), b->frame_sizes[i]);
  }
  const unsigned char *f = b->frames[0];
  b->schema_id = (uint32_t)f[1] << 24 | (uint32_t)f[2] << 16 |
                 (uint32_t)f[3] << 8 | f[4];
  kavro_buf_destroy(out);
  kavro_typed_serializer_destroy(ts);
}

/* Every path sends the plain path's bytes: for every pool event, the
 * limit's encoder and the helper's serializer of the generic value write
 * the frame the typed serializer wrote. */
static void check_frames(const bench_t *b) {
  kavro_error_t error;
  kavro_buf_t *out = kavro_buf_new(0, 0);
  if (!out)
    kb_die("the frames' check", NULL);
  for (unsigned i = 0; i < KB_POOL_SIZE; i++) {
    unsigned char frame[FRAME_MAX];
    size_t size = limit_encode(&b->limits[i], b->schema_id, frame, sizeof frame);
    if (!frame_is(b, i, frame, size))
      die_frame("limit's", i);
    kavro_buf_reset(out);
    if (kavro_serializer_serialize(
            kavro_kafka_producer_serializer(b->producer), PRODUCE_TOPIC, false,
            b->order_schema, &b->values[i], out, &error))
      kb_die("the generic frame", &error);
    if (!frame_is(b, i, kavro_buf_data(out), kavro_buf_length(out)))
      die_frame("generic value's", i);
  }
  kavro_buf_destroy(out);
}

static void setup(bench_t *b) {
  kavro_error_t error;
  if (kavro_mock_new("benche2e", &b->mock, &error))
    kb_die("mock registry", &error);
  b->producer_registry = registry_new();
  b->consumer_registry = registry_new();

  /* Batching as librdkafka ships it, spelled out so that a change of
   * defaults shows here; a queue that a round never fills, so that neither
   * path ever waits for room. */
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "test.mock.num.brokers", "1");
  conf_set(conf, "log_level", "3");
  conf_set(conf, "socket.nagle.disable", "true"); /* see consumer_new() */
  conf_set(conf, "linger.ms", "5");
  conf_set(conf, "batch.num.messages", "10000");
  conf_set(conf, "queue.buffering.max.messages", "100000");
  char errstr[256];
  if (!(b->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr)))
    die_kafka("producer", errstr);
  rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(b->host);
  if (!cluster)
    die_kafka("mock cluster", "none");
  b->bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  if (rd_kafka_mock_topic_create(cluster, PRODUCE_TOPIC, 1, 1) ||
      rd_kafka_mock_topic_create(cluster, CONSUME_TOPIC, 1, 1))
    die_kafka("mock cluster", "cannot create the topics");

  /* No waiting on a full queue: the plain path does not wait either. */
  if (!(b->producer = kavro_kafka_producer_new(b->host, b->producer_registry,
                                               NULL, 0, &error)))
    kb_die("producer helper", &error);
  pii_setup(b, cluster);

  make_frames(b);
  check_frames(b);
}

static void teardown(bench_t *b) {
  kavro_kafka_producer_destroy(b->producer);
  kavro_kafka_producer_destroy(b->pii_producer);
  kb_pii_order_free(&b->pii);
  rd_kafka_flush(b->host, WAIT_MS);
  rd_kafka_destroy(b->host);
  kavro_registry_destroy(b->producer_registry);
  kavro_registry_destroy(b->consumer_registry);
  kavro_mock_destroy(b->mock);
  for (unsigned i = 0; i < KB_POOL_SIZE; i++)
    avro_value_decref(&b->values[i]);
  avro_value_iface_decref(b->order_iface);
  avro_schema_decref(b->order_avro);
  kavro_schema_destroy(b->order_schema);
}

/* ---- producing ----------------------------------------------------------- */

/* A record to @topic, partition 0; its key and value are the caller's to
 * set. */
static kavro_kafka_record_t record_to(const char *topic) {
  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = topic;
  record.partition = 0;
  return record;
}

static void helper_send(kavro_kafka_producer_t *producer,
                        const kavro_kafka_record_t *record) {
  kavro_error_t error;
  if (kavro_kafka_produce(producer, record, NULL, &error))
    kb_die("produce through the helper", &error);
}

/* MESSAGES events of the pool through the helper, as typed records (@path
 * TYPED) or as generic values. */
static void produce_helper(bench_t *b, const char *topic, int path) {
  kavro_kafka_record_t record = record_to(topic);
  for (unsigned i = 0; i < MESSAGES; i++) {
    unsigned e = i % KB_POOL_SIZE;
    record.key = b->keys[e];
    record.key_size = b->key_sizes[e];
    if (path == TYPED) {
      record.value_type = &service_order_created_type;
      record.value_record = &b->orders[e];
    } else {
      record.value_schema = b->order_schema;
      record.value = &b->values[e];
    }
    helper_send(b->producer, &record);
  }
}

/* @frame, copied, with pool event @e's key through librdkafka alone, by
 * the call the helper makes (rd_kafka_produceva(), the parts as an
 * array: cheaper than rd_kafka_producev()'s walk of its arguments), so
 * that the ratio is what kavro adds, not a choice between the two. */
static void plain_send(const bench_t *b, const char *topic, unsigned e,
                       const void *frame, size_t size) {
  rd_kafka_vu_t vus[5];
  vus[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[0].u.cstr = topic;
  vus[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  vus[1].u.i32 = 0;
  vus[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[2].u.i = RD_KAFKA_MSG_F_COPY;
  vus[3].vtype = RD_KAFKA_VTYPE_KEY;
  vus[3].u.mem.ptr = (void *)b->keys[e];
  vus[3].u.mem.size = b->key_sizes[e];
  vus[4].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[4].u.mem.ptr = (void *)frame;
  vus[4].u.mem.size = size;
  rd_kafka_error_t *refused = rd_kafka_produceva(b->host, vus, 5);
  if (refused)
    die_kafka("produce with librdkafka", rd_kafka_error_string(refused));
}

/* MESSAGES frames of the pool, encoded before, in pool order. */
static void produce_plain(bench_t *b, const char *topic) {
  for (unsigned i = 0; i < MESSAGES; i++) {
    unsigned e = i % KB_POOL_SIZE;
    plain_send(b, topic, e, b->frames[e], b->frame_sizes[e]);
  }
}

static void produce_limit(bench_t *b, const char *topic) {
  unsigned char frame[FRAME_MAX];
  for (unsigned i = 0; i < MESSAGES; i++) {
    unsigned e = i % KB_POOL_SIZE;
    size_t size = limit_encode(&b->limits[e], b->schema_id, frame, sizeof frame);
    if (!size)
      die_kafka("the limit's encoder", "the frame does not fit");
    plain_send(b, topic, e, frame, size);
  }
}

/* The sample event with its customer, MESSAGES times, through the PII
 * paths' helper. */
static void produce_pii(bench_t *b, const char *topic) {
  kavro_kafka_record_t record = record_to(topic);
  record.key = b->pii_key;
  record.key_size = b->pii_key_size;
  record.value_schema = b->pii.schema;
  record.value = &b->pii.value;
  for (unsigned i = 0; i < MESSAGES; i++)
    helper_send(b->pii_producer, &record);
}

/* MESSAGES events on @path, until the broker has acknowledged them all. */
static round_t produce_round(bench_t *b, int path) {
  double wall = kb_now(), thread = kb_thread_now(), process = process_now();
  if (path == TYPED || path == GENERIC)
    produce_helper(b, PRODUCE_TOPIC, path);
  else if (path == LIMIT)
    produce_limit(b, PRODUCE_TOPIC);
  else if (path == PII_PLAIN)
    produce_pii(b, PII_PLAIN_TOPIC);
  else if (path == PII_ENCRYPT)
    produce_pii(b, PII_ENCRYPT_TOPIC);
  else
    produce_plain(b, PRODUCE_TOPIC);
  rd_kafka_resp_err_t kerr = rd_kafka_flush(b->host, WAIT_MS);
  round_t r = {kb_now() - wall, kb_thread_now() - thread,
               process_now() - process};
  if (kerr)
    die_kafka("flush", rd_kafka_err2str(kerr));
  return r;
}

/* ---- consuming ----------------------------------------------------------- */

/* A consumer of CONSUME_TOPIC's one partition from its start, storing
 * offsets itself (which the helper requires, and both paths share). */
static rd_kafka_t *consumer_new(const bench_t *b) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", b->bootstraps);
  conf_set(conf, "group.id", "bench_e2e");
  conf_set(conf, "enable.auto.commit", "false");
  conf_set(conf, "enable.auto.offset.store", "false");
  conf_set(conf, "log_level", "3");
  /* Over loopback, Nagle's algorithm meeting delayed acknowledgements adds
   * 40 ms to a request now and then, which would decide a round. */
  conf_set(conf, "socket.nagle.disable", "true");
  char errstr[256];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk)
    die_kafka("consumer", errstr);
  rd_kafka_poll_set_consumer(rk);
  /* The partition's leader known before the assignment: assigned without
   * one, librdkafka queries the start offset only when a 500 ms retry timer
   * fires, and every round would idle for it. */
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, CONSUME_TOPIC, NULL);
  const struct rd_kafka_metadata *metadata = NULL;
  rd_kafka_resp_err_t kerr =
      rkt ? rd_kafka_metadata(rk, 0, rkt, &metadata, WAIT_MS)
          : rd_kafka_last_error();
  if (metadata)
    rd_kafka_metadata_destroy(metadata);
  if (rkt)
    rd_kafka_topic_destroy(rkt);
  if (kerr)
    die_kafka("consumer metadata", rd_kafka_err2str(kerr));
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, CONSUME_TOPIC, 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  kerr = rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (kerr)
    die_kafka("assign", rd_kafka_err2str(kerr));
  return rk;
}

static void consumer_close(rd_kafka_t *rk) {
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

/* The timed part of a consume round begins once its first message is
 * handled (see the top of the file); @got counts messages handled. */
typedef struct consume_clock_s {
  int got;
  double wall, thread, process;
  double deadline;
} consume_clock_t;

static void clock_message(consume_clock_t *c) {
  if (c->got++ == 0) {
    c->wall = kb_now();
    c->thread = kb_thread_now();
    c->process = process_now();
  }
}

static void clock_idle(const consume_clock_t *c) {
  if (kb_now() > c->deadline)
    die_kafka("consume", "the messages did not all arrive in time");
}

static round_t clock_round(const consume_clock_t *c) {
  return (round_t){kb_now() - c->wall, kb_thread_now() - c->thread,
                   process_now() - c->process};
}

/* The pool event @m carries: the consume topic holds the pool in order
 * from offset 0. */
static unsigned pool_entry(const rd_kafka_message_t *m) {
  return (unsigned)((uint64_t)m->offset % KB_POOL_SIZE);
}

/* @prefix_only: the helper reads ids from prefixes alone. */
static round_t consume_typed(bench_t *b, bool prefix_only) {
  rd_kafka_t *rk = consumer_new(b);
  kavro_error_t error;
  kavro_conf_t *conf = kavro_conf_dup(kavro_registry_conf(b->consumer_registry));
  if (!conf || (prefix_only && kavro_conf_set(conf,
                                              "value.schema.id.deserializer",
                                              "prefix", &error)))
    kb_die("consumer helper settings", conf ? &error : NULL);
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, b->consumer_registry, conf, NULL, NULL, 0, &error);
  kavro_conf_destroy(conf);
  if (!consumer ||
      kavro_kafka_consumer_set_type(consumer, CONSUME_TOPIC,
                                    &service_order_created_type, &error))
    kb_die("consumer helper", &error);
  consume_clock_t c = {0, 0, 0, 0, kb_now() + WAIT_MS / 1e3};
  while (c.got < MESSAGES) {
    kavro_kafka_polled_t polled;
    if (kavro_kafka_consumer_poll(consumer, 100, &polled, &error))
      kb_die("poll through the helper", &error);
    if (!polled.message) {
      clock_idle(&c);
      continue;
    }
    /* The whole record once, untimed; then a field, as an application
     * reads what it consumes.  The message at offset k is pool event
     * k % KB_POOL_SIZE (see main()). */
    const service_order_created_t *v = polled.record;
    const service_order_created_t *want =
        &b->orders[pool_entry(polled.message)];
    if (!v || (c.got == 0 ? !service_order_created_equal(v, want)
                          : v->estimated_duration_min !=
                                want->estimated_duration_min))
      die_kafka("consume through the helper", "not the event produced");
    if (kavro_kafka_consumer_done(consumer, &polled, &error))
      kb_die("done", &error);
    clock_message(&c);
  }
  round_t r = clock_round(&c);
  kavro_kafka_consumer_destroy(consumer);
  consumer_close(rk);
  return r;
}

static round_t consume_plain(bench_t *b) {
  rd_kafka_t *rk = consumer_new(b);
  consume_clock_t c = {0, 0, 0, 0, kb_now() + WAIT_MS / 1e3};
  while (c.got < MESSAGES) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) {
      clock_idle(&c);
      continue;
    }
    if (m->err)
      die_kafka("consume with librdkafka", rd_kafka_message_errstr(m));
    /* The whole frame once, untimed: the helper's bytes are the plain
     * path's; then its size, as an application looks at what it got. */
    unsigned e = pool_entry(m);
    if (c.got == 0 ? !frame_is(b, e, m->payload, m->len)
                   : m->len != b->frame_sizes[e])
      die_kafka("consume with librdkafka", "not the frame produced");
    rd_kafka_resp_err_t kerr =
        rd_kafka_offset_store(m->rkt, m->partition, m->offset);
    rd_kafka_message_destroy(m);
    if (kerr)
      die_kafka("offset store", rd_kafka_err2str(kerr));
    clock_message(&c);
  }
  round_t r = clock_round(&c);
  consumer_close(rk);
  return r;
}

/* ---- medians ------------------------------------------------------------- */

enum { WALL, THREAD, PROCESS, CLOCKS };

static double round_seconds(const round_t *r, int clock) {
  return clock == WALL ? r->wall : clock == THREAD ? r->thread : r->process;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of ROUNDS rounds' seconds on @clock. */
static double median(const round_t *rounds, int clock) {
  double v[ROUNDS];
  for (int i = 0; i < ROUNDS; i++)
    v[i] = round_seconds(&rounds[i], clock);
  qsort(v, ROUNDS, sizeof *v, compare_doubles);
  return v[ROUNDS / 2];
}

/* The median over ROUNDS rounds of @a's wall time over @b's in the same
 * round: a neighbour that slows one round slows both of its paths, so the
 * within-round ratio stays fair where a ratio of medians taken from
 * different rounds would not. */
static double median_ratio(const round_t *a, const round_t *b) {
  double v[ROUNDS];
  for (int i = 0; i < ROUNDS; i++)
    v[i] = a[i].wall / b[i].wall;
  qsort(v, ROUNDS, sizeof *v, compare_doubles);
  return v[ROUNDS / 2];
}

/* ---- main ---------------------------------------------------------------- */

/* The mean size of the pool's frames, which a round sends in turn. */
static double mean_frame_size(const bench_t *b) {
  size_t sum = 0;
  for (unsigned i = 0; i < KB_POOL_SIZE; i++)
    sum += b->frame_sizes[i];
  return (double)sum / KB_POOL_SIZE;
}

static bench_t bench;

int main(void) {
  bench_t *b = &bench;
  fill_pool(b);
  setup(b);

  /* Warm-up, untimed: the first produce registers the schema and fetches
   * the topic's metadata; the consume topic gets the pool's frames (the
   * helper's bytes, checked in setup()) in order, MESSAGES of them. */
  for (int path = 0; path < PATHS; path++)
    produce_round(b, path);
  produce_plain(b, CONSUME_TOPIC);
  if (rd_kafka_flush(b->host, WAIT_MS))
    die_kafka("flush", "the consume topic was not acknowledged");
  consume_typed(b, false);
  consume_typed(b, true);
  consume_plain(b);

  enum { PRODUCE, CONSUME, SIDES };
  /* Consuming has no limit path (decoding is measured by bench_typed):
   * its third is the helper reading prefixes alone. */
  static const int side_paths[SIDES] = {PATHS, TYPED_PREFIX + 1};
  round_t rounds[SIDES][PATHS][ROUNDS];
  for (int side = 0; side < SIDES; side++)
    for (int i = 0; i < ROUNDS; i++)
      for (int k = 0; k < side_paths[side]; k++) {
        /* each path goes first in turn */
        int path = (i + k) % side_paths[side];
        rounds[side][path][i] =
            side == PRODUCE ? produce_round(b, path)
            : path == PLAIN ? consume_plain(b)
                            : consume_typed(b, path == TYPED_PREFIX);
      }
  double frame_size = mean_frame_size(b);
  teardown(b);

  /* Nanoseconds per message: a produce round times MESSAGES messages, a
   * consume round the MESSAGES - 1 after its first. */
  double ns[SIDES][PATHS][CLOCKS];
  for (int side = 0; side < SIDES; side++)
    for (int path = 0; path < side_paths[side]; path++)
      for (int clock = 0; clock < CLOCKS; clock++)
        ns[side][path][clock] = median(rounds[side][path], clock) * 1e9 /
                                (side == PRODUCE ? MESSAGES : MESSAGES - 1);

  static const char *const sides[SIDES] = {"produce", "consume"};
  static const char *const paths[SIDES][PATHS] = {
      {"typed", "plain", "limit", "generic", "pii_plain", "pii_encrypt"},
      {"typed", "plain", "typed_prefix", NULL, NULL, NULL}};
  static const char *const rows[SIDES][PATHS] = {
      {"produce: helper, typed record", "produce: librdkafka, same frame",
       "produce: hand-written encoder, librdkafka",
       "produce: helper, generic value",
       "produce: helper, with customer, no rules",
       "produce: helper, customer encrypted"},
      {"consume: helper, typed record", "consume: librdkafka, same frame",
       "consume: helper, ids from prefixes", NULL, NULL, NULL}};
  static const char *const suffixes[CLOCKS] = {"", "_thread", "_cpu"};
  printf("ServiceOrderCreated over librdkafka's mock cluster: %d messages "
         "a round (a pool of %d events, %.0f bytes on average), medians of "
         "%d rounds\n",
         MESSAGES, KB_POOL_SIZE, frame_size, ROUNDS);
  printf("  %-40s %10s %10s %10s\n", "ns per message", "wall", "app CPU",
         "all CPU");
  for (int side = 0; side < SIDES; side++)
    for (int path = 0; path < side_paths[side]; path++)
      printf("  %-40s %10.1f %10.1f %10.1f\n", rows[side][path],
             ns[side][path][WALL], ns[side][path][THREAD],
             ns[side][path][PROCESS]);
  printf("\n");

  for (int side = 0; side < SIDES; side++)
    for (int path = 0; path < side_paths[side]; path++)
      for (int clock = 0; clock < CLOCKS; clock++) {
        char name[64];
        snprintf(name, sizeof name, "e2e_%s_%s%s_ns", sides[side],
                 paths[side][path], suffixes[clock]);
        kb_figure(name, 1, ns[side][path][clock], "ns");
      }
  /* Producing, the helper adds the typed serializer's warm path (a cached
   * id, the frame, a body of about 100 bytes: a few hundred nanoseconds at
   * most, bench_typed) to librdkafka's copy, batching and round trip to
   * the broker: it should all but vanish. */
  kb_ratio("e2e_produce_typed_vs_plain", 2,
           median_ratio(rounds[PRODUCE][TYPED], rounds[PRODUCE][PLAIN]),
           "1.05");
  /* The generic value through the same helper: the serializer's cached
   * id, the frame, avro-c's value walked by kavro's encoder. */
  kb_ratio("e2e_produce_generic_vs_plain", 2,
           median_ratio(rounds[PRODUCE][GENERIC], rounds[PRODUCE][PLAIN]),
           "1.15");
  /* What the best possible encoder adds: the floor under the typed
   * line. */
  kb_ratio("e2e_produce_limit_vs_plain", 2,
           median_ratio(rounds[PRODUCE][LIMIT], rounds[PRODUCE][PLAIN]),
           NULL);
  /* Consuming, decoding is real work that the plain path does not do:
   * six strings, a timestamp, an int, a boolean and an optional string
   * into a struct, small beside librdkafka's own cost per message (fetch,
   * parse, queue, offset store, free); the helper's bookkeeping (the
   * schema id's lookup, the arena, the offset store, as the plain path
   * stores it) should add little more. */
  kb_ratio("e2e_consume_typed_vs_plain", 2,
           median_ratio(rounds[CONSUME][TYPED], rounds[CONSUME][PLAIN]),
           "1.15");
  /* The same, for topics whose producers all write prefixes: librdkafka
   * no longer parses each message's (absent) headers for a schema id. */
  kb_ratio("e2e_consume_typed_prefix_vs_plain", 2,
           median_ratio(rounds[CONSUME][TYPED_PREFIX], rounds[CONSUME][PLAIN]),
           NULL);
  /* Two fields encrypted: two AES-GCM passes, their base64, the message
   * read back and written again, on top of a produce. */
  kb_ratio("e2e_produce_encrypt_two_pii_vs_none", 2,
           median_ratio(rounds[PRODUCE][PII_ENCRYPT],
                        rounds[PRODUCE][PII_PLAIN]),
           "3.0");
  return 0;
}
