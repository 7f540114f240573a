/*
 * soak - the fault-injection soak.
 *
 * A producer thread and a consumer thread move typed events of the catalog
 * (the records `kavro gen` generates from avro/catalog.json) through
 * kavro's Kafka helpers, over a librdkafka mock cluster and the HTTP mock
 * registry, both on loopback, while the main thread injects faults on a
 * schedule: bursts of 503 and 500, 429 with Retry-After, latency spikes
 * (some past the client's time-out), dropped connections, a registry
 * restart that keeps its data (save, destroy, new, load, listen on the
 * same port), a registry that is down, a broker that is down, and poison
 * messages produced raw (garbage, unknown schema ids, truncated and
 * too-short frames).  Each fault phase starts by emptying the registry
 * clients' caches and rebuilding the producer and consumer helpers, so
 * that the faults meet real registry requests rather than warm caches.
 *
 * It then asserts, and exits 1 when any fails:
 *  - every event produced was consumed (lost = 0); repeats only as
 *    at-least-once delivery allows, each one found by its event_id and
 *    equal to what was sent;
 *  - each event decoded is the event sent under its event_id and carries
 *    the schema id registered for its topic;
 *  - every poison message is in the dead-letter topic, byte for byte,
 *    with headers naming its origin topic, partition and offset, its
 *    error, and the schema id when one could be read;
 *  - nothing else is in the dead-letter topic (transient failures never
 *    are);
 *  - the resident set size at the end is within --rss-slack-mb of the
 *    size after the warm-up phase.
 *
 * The mock cluster runs in a child process, so that the messages it keeps
 * do not count in the resident set measured here.
 *
 * Usage: soak [--seconds N] [--messages N] [--rss-slack-mb N] [--verbose]
 * The defaults are the short run `make check` does.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kavro.h>
#include <kavro/kafka.h>
#include <kavro/mock.h>
/* After rdkafka.h, which kavro/kafka.h brings. */
#include <librdkafka/rdkafka_mock.h>

#include "catalog.h"

#define TOPIC_COUNT 3
#define PARTITIONS 3
#define BROKERS 3
#define DOWN_BROKER 2
#define DLQ_TOPIC "soak.dead-letter"
/* Every poison message carries its index in this header, so that the
 * dead-letter topic can be matched against what was sent. */
#define POISON_HEADER "soak.poison"
#define POISON_PER_KIND 2
#define POISON_MAX 4096
#define POISON_BYTES 256
/* An unknown schema id: far above any the mock hands out. */
#define UNKNOWN_ID_BASE 0x7ff00000
/* Every RESEND_EVERY-th event is produced twice, as a producer retry after
 * a lost acknowledgement would: the consumer must see the repeat and
 * recognise it by its event_id. */
#define RESEND_EVERY 97
#define MAX_OUTSTANDING 2000
#define DRAIN_LIMIT_MS 30000L
/* The registry clients' time-out, and a delay past it. */
#define REQUEST_TIMEOUT_MS "2000"
#define SLOW_ID_LOOKUP_MS 2500
#define SPIKE_MS 300
#define VIOLATIONS_SHOWN 20
#define RSS_CYCLES_KEPT 512
/* AddressSanitizer keeps freed memory in quarantine (256 MiB by default),
 * so the resident set grows by design under it: the sizes are measured
 * and shown, but not held to the bound. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_BOUND_HELD false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_BOUND_HELD false
#endif
#endif
#ifndef RSS_BOUND_HELD
#define RSS_BOUND_HELD true
#endif

/* 2023-11-14T22:13:20Z: events are stamped from here on. */
#define EPOCH_MS INT64_C(1700000000000)

/* ---- options ---------------------------------------------------------- */

typedef struct options_s {
  long seconds;      /* length of the fault schedule */
  long messages;     /* distinct events to produce, over all topics */
  long rss_slack_mb; /* allowed growth of the resident set */
  bool verbose;      /* print every transient failure and each phase */
} options_t;

static const char usage[] =
    "Usage: %s [--seconds N] [--messages N] [--rss-slack-mb N] [--verbose]\n"
    "\n"
    "  --seconds N       length of the fault schedule (default 20)\n"
    "  --messages N      distinct events produced (default 3000)\n"
    "  --rss-slack-mb N  allowed growth of the resident set from the end of\n"
    "                    the warm-up to the end of the run (default 16)\n"
    "  --verbose         print each fault phase and transient failure\n";

/* ---- events ----------------------------------------------------------- */

#define EVENT_TEXTS 4
#define TEXT_SIZE 40

/* One event of any topic, with room for the strings its record points at. */
typedef struct event_s {
  union {
    service_order_created_t order;
    tv_outcome_recorded_t outcome;
    checkin_completed_t checkin;
  } as;
  modification_t modification;
  char text[EVENT_TEXTS][TEXT_SIZE];
} event_t;

typedef struct topic_s {
  const char *name;
  const kavro_typed_type_t *type;
  /* Event @g (a global index: its topic is g % TOPIC_COUNT) into @e. */
  void (*make)(int64_t g, event_t *e);
  kavro_str_t (*event_id)(const void *record);
} topic_t;

static kavro_str_t text(event_t *e, int slot, const char *fmt, int64_t n) {
  snprintf(e->text[slot], TEXT_SIZE, fmt, n);
  return kavro_str(e->text[slot]);
}

/* "00000000-0000-4000-8TTT-GGGGGGGGGGGG": topic T, global index G. */
#define EVENT_ID_PREFIX "00000000-0000-4000-8"
#define EVENT_ID_LENGTH 36

static kavro_str_t event_id(event_t *e, int64_t g) {
  snprintf(e->text[0], TEXT_SIZE, EVENT_ID_PREFIX "%03x-%012" PRIx64,
           (unsigned)(g % TOPIC_COUNT), (uint64_t)g);
  return kavro_str(e->text[0]);
}

/* The topic and global index an event id names; false when it is not
 * one of this program's. */
static bool parse_event_id(kavro_str_t id, int *topic, int64_t *g) {
  char copy[EVENT_ID_LENGTH + 1];
  size_t prefix = strlen(EVENT_ID_PREFIX);
  if (id.length != EVENT_ID_LENGTH ||
      memcmp(id.data, EVENT_ID_PREFIX, prefix) != 0)
    return false;
  memcpy(copy, id.data, EVENT_ID_LENGTH);
  copy[EVENT_ID_LENGTH] = '\0';
  char *end;
  unsigned long t = strtoul(copy + prefix, &end, 16);
  if (end != copy + prefix + 3 || *end != '-')
    return false;
  unsigned long long n = strtoull(end + 1, &end, 16);
  if (*end || n > INT64_MAX)
    return false;
  *topic = (int)t;
  *g = (int64_t)n;
  return true;
}

static void make_order(int64_t g, event_t *e) {
  static const char *const countries[] = {"FR", "ES", "IT", "PT", "PL"};
  service_order_created_t *v = &e->as.order;
  service_order_created_init(v);
  v->event_id = event_id(e, g);
  v->event_timestamp = EPOCH_MS + g * 250;
  v->service_order_id = text(e, 1, "SO-%08" PRId64, g);
  v->project_id = text(e, 2, "PRJ-%06" PRId64, g / 7);
  v->service_type = kavro_str(g % 2 ? "installation" : "technical_visit");
  v->country_code = kavro_str(countries[g % 5]);
  v->bu_code = text(e, 3, "BU%" PRId64, g % 4);
  v->estimated_duration_min = (int32_t)(15 + g % 240);
  v->requires_confirmation_tv = g % 4 == 1;
  v->has_depends_on_order_id = g % 6 == 3;
  if (v->has_depends_on_order_id)
    v->depends_on_order_id = kavro_str("SO-00000000");
}

static void make_outcome(int64_t g, event_t *e) {
  tv_outcome_recorded_t *v = &e->as.outcome;
  tv_outcome_recorded_init(v);
  v->event_id = event_id(e, g);
  v->event_timestamp = EPOCH_MS + g * 250;
  v->tv_service_order_id = text(e, 1, "SO-%08" PRId64, g);
  v->has_linked_installation_order_id = g % 5 == 2;
  if (v->has_linked_installation_order_id)
    v->linked_installation_order_id = text(e, 2, "SO-%08" PRId64, g + 1);
  v->outcome = (projects_tv_outcome_t)(g % PROJECTS_TV_OUTCOME_SYMBOL_COUNT);
  v->has_modifications = v->outcome == PROJECTS_TV_OUTCOME_YES_BUT;
  if (v->has_modifications) {
    modification_init(&e->modification);
    e->modification.description = kavro_str("second socket");
    e->modification.has_extra_duration_min = g % 2 == 0;
    e->modification.extra_duration_min = (int32_t)(g % 90);
    v->modifications.count = 1;
    v->modifications.items = &e->modification;
  }
  v->recorded_by = text(e, 3, "tech-%04" PRId64, g % 64);
}

static void make_checkin(int64_t g, event_t *e) {
  checkin_completed_t *v = &e->as.checkin;
  checkin_completed_init(v);
  v->event_id = event_id(e, g);
  v->event_timestamp = EPOCH_MS + g * 250;
  v->execution_id = text(e, 1, "EX-%08" PRId64, g);
  v->service_order_id = text(e, 2, "SO-%08" PRId64, g);
  v->team_id = text(e, 3, "TEAM-%02" PRId64, g % 16);
  v->checked_in_at = EPOCH_MS + g * 250 - 1000;
  v->gps.lat = 40.0 + (double)(g % 900) / 100.0;
  v->gps.lng = -4.0 + (double)(g % 1100) / 100.0;
}

static kavro_str_t order_id(const void *r) {
  return ((const service_order_created_t *)r)->event_id;
}
static kavro_str_t outcome_id(const void *r) {
  return ((const tv_outcome_recorded_t *)r)->event_id;
}
static kavro_str_t checkin_id(const void *r) {
  return ((const checkin_completed_t *)r)->event_id;
}

static const topic_t topics[TOPIC_COUNT] = {
    {"projects.service_order.created", &service_order_created_type, make_order,
     order_id},
    {"projects.tv_outcome.recorded", &tv_outcome_recorded_type, make_outcome,
     outcome_id},
    {"execution.checkin.completed", &checkin_completed_type, make_checkin,
     checkin_id},
};

static int topic_index(const char *name) {
  for (int t = 0; t < TOPIC_COUNT; t++)
    if (strcmp(topics[t].name, name) == 0)
      return t;
  return -1;
}

/* ---- faults ----------------------------------------------------------- */

typedef enum fault_e {
  FAULT_5XX,
  FAULT_429,
  FAULT_LATENCY,
  FAULT_DROP,
  FAULT_RESTART,
  FAULT_REGISTRY_DOWN,
  FAULT_BROKER_DOWN,
  FAULT_POISON,
  FAULT_COUNT
} fault_t;

static const char *const fault_names[FAULT_COUNT] = {
    "500/503 burst",    "429 Retry-After", "latency spike", "dropped conns",
    "registry restart", "registry down",   "broker down",   "poison batch"};

/* Replies of the mock that show a fault was met, from its request log. */
typedef struct fault_hits_s {
  uint64_t status_5xx;
  uint64_t status_429;
  uint64_t dropped;
  uint64_t requests;
} fault_hits_t;

typedef enum poison_kind_e {
  POISON_GARBAGE,    /* not a frame: no magic byte */
  POISON_UNKNOWN_ID, /* a good frame naming an id the registry never gave */
  POISON_TRUNCATED,  /* a real event's frame cut in half */
  POISON_SHORT,      /* shorter than the frame's header */
  POISON_KINDS
} poison_kind_t;

static const char *const poison_names[POISON_KINDS] = {"garbage", "unknown id",
                                                       "truncated", "short"};

/* One poison message: what was sent, where it landed, what the
 * dead-letter topic must say about it. */
typedef struct poison_s {
  poison_kind_t kind;
  int topic;
  unsigned char bytes[POISON_BYTES];
  size_t size;
  kavro_err_t expected; /* the error the consumer must give */
  bool has_id;          /* the schema id could be read */
  int32_t id;
  bool delivered;
  bool resend; /* its delivery failed: produce it again */
  int32_t partition;
  int64_t offset;
  int dead_lettered; /* times found in the dead-letter topic */
} poison_t;

/* ---- the run's state --------------------------------------------------- */

typedef struct cluster_s {
  pid_t pid;
  int command; /* to the child */
  int reply;   /* from the child */
  char bootstraps[256];
} cluster_t;

typedef struct soak_s {
  options_t options;
  cluster_t cluster;
  kavro_mock_t *mock;
  unsigned registry_port;
  char registry_url[64];
  char save_dir[64];
  char save_path[128];
  /* Separate clients, as a producing and a consuming service would have. */
  kavro_registry_t *producer_registry;
  kavro_registry_t *consumer_registry;
  int32_t ids[TOPIC_COUNT]; /* the schema id of each topic's values */
  long start_ms;

  /* The schedule: bumped at each fault phase, seen by both threads. */
  atomic_uint generation;
  atomic_int poison_wanted; /* batches asked for and not yet produced */
  atomic_bool stop;         /* give up: a fatal violation or the deadline */
  atomic_bool producer_done;
  atomic_bool schedule_done; /* no more faults (poison batches) will come */

  /* Producer thread (read by others through the atomics only). */
  unsigned char *delivered; /* per event: copies acknowledged (saturating) */
  int64_t *retry;           /* events whose delivery failed */
  size_t retry_count;
  size_t retry_capacity; /* each event at most twice in flight */
  atomic_long delivered_count;
  atomic_long copies_delivered; /* resends and redeliveries included */
  long resends;
  long delivery_failures; /* delivery reports with an error */
  long producer_transient;
  long producer_rebuilds;
  poison_t *poison;
  long poison_count;
  atomic_long poison_delivered;

  /* Consumer thread. */
  unsigned char *received; /* per event: times consumed (saturating) */
  atomic_long distinct;
  atomic_long received_total;
  long consumer_transient;
  long consumer_timeouts;    /* of which: the registry timed out */
  long consumer_replies;     /* an error reply (5xx, 429) */
  long consumer_unreachable; /* refused, dropped, or Kafka's own error */
  long consumer_rebuilds;
  atomic_long dead_lettered;

  /* Main thread. */
  long faults[FAULT_COUNT];
  fault_hits_t hits;
  long rss_warm_kb, rss_end_kb, rss_max_kb, rss_first_cycle_kb;
  long rss_cycle_kb[RSS_CYCLES_KEPT]; /* at the end of each fault cycle */
  long rss_cycles;
  long poison_dlq_repeats;
  long dlq_read;   /* messages in the dead-letter topic */
  long dlq_poison; /* distinct poison messages found there */
  long dlq_others; /* anything else found there: a broken promise */

  pthread_mutex_t lock; /* violations */
  long violations;
} soak_t;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static long elapsed_ms(const soak_t *s) { return now_ms() - s->start_ms; }

/* Record a broken promise; the first few are printed. */
static void violation(soak_t *s, const char *fmt, ...) {
  pthread_mutex_lock(&s->lock);
  if (s->violations++ < VIOLATIONS_SHOWN) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "soak: VIOLATION at %.1f s: ", elapsed_ms(s) / 1000.0);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
  }
  pthread_mutex_unlock(&s->lock);
}

static const char *describe(const kavro_error_t *error, char *buf,
                            size_t size) {
  return kavro_error_format(error, buf, size);
}

/* The resident set size in KiB, from /proc/self/status (0 if unknown). */
static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
      break;
  if (f)
    fclose(f);
  return kb;
}

/* ---- the mock cluster, in a child process ----------------------------- */

/* The child: a mock cluster with the topics made, its bootstrap list
 * written to @reply, then broker commands from @command ("D" or "U" and a
 * broker id), each answered with one byte, until @command ends. */
static void cluster_child(int command, int reply) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  char errstr[256], count[8];
  snprintf(count, sizeof count, "%d", BROKERS);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *rk = NULL;
  if (rd_kafka_conf_set(conf, "test.mock.num.brokers", count, errstr,
                        sizeof errstr) == RD_KAFKA_CONF_OK &&
      rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr) ==
          RD_KAFKA_CONF_OK)
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "soak: mock cluster: %s\n", errstr);
    _exit(2);
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(rk);
  for (int t = 0; t < TOPIC_COUNT; t++)
    rd_kafka_mock_topic_create(cluster, topics[t].name, PARTITIONS, 1);
  rd_kafka_mock_topic_create(cluster, DLQ_TOPIC, PARTITIONS, 1);
  dprintf(reply, "%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  unsigned char op[2];
  while (read(command, op, 2) == 2) {
    rd_kafka_resp_err_t err =
        op[0] == 'D' ? rd_kafka_mock_broker_set_down(cluster, op[1])
                     : rd_kafka_mock_broker_set_up(cluster, op[1]);
    unsigned char answer = err ? 'E' : 'K';
    if (write(reply, &answer, 1) != 1)
      break;
  }
  rd_kafka_destroy(rk);
  _exit(0);
}

static int cluster_start(cluster_t *c) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0)
    return -1;
  c->pid = fork();
  if (c->pid < 0)
    return -1;
  if (c->pid == 0) {
    close(to_child[1]);
    close(from_child[0]);
    cluster_child(to_child[0], from_child[1]);
  }
  close(to_child[0]);
  close(from_child[1]);
  c->command = to_child[1];
  c->reply = from_child[0];
  size_t n = 0;
  char ch;
  while (n + 1 < sizeof c->bootstraps && read(c->reply, &ch, 1) == 1 &&
         ch != '\n')
    c->bootstraps[n++] = ch;
  c->bootstraps[n] = '\0';
  return n ? 0 : -1;
}

/* Take broker @id down or bring it up; false when the child refused. */
static bool cluster_broker(cluster_t *c, int id, bool down) {
  unsigned char op[2] = {down ? 'D' : 'U', (unsigned char)id};
  unsigned char answer = 0;
  return write(c->command, op, 2) == 2 && read(c->reply, &answer, 1) == 1 &&
         answer == 'K';
}

static void cluster_stop(cluster_t *c) {
  if (c->pid <= 0)
    return;
  close(c->command);
  close(c->reply);
  waitpid(c->pid, NULL, 0);
  c->pid = 0;
}

/* ---- the registry ------------------------------------------------------ */

static kavro_registry_t *registry_client(const soak_t *s,
                                         kavro_error_t *error) {
  static const char *const settings[][2] = {
      {"request.timeout.ms", REQUEST_TIMEOUT_MS},
      {"connection.timeout.ms", "1000"},
      {"max.retries", "1"},
      {"retries.wait.ms", "50"},
      {"retries.max.wait.ms", "1500"}};
  kavro_conf_t *conf = kavro_conf_new();
  kavro_err_t err =
      conf ? kavro_conf_set(conf, "schema.registry.url", s->registry_url, error)
           : KAVRO_ERR_NOMEM;
  for (size_t i = 0; err == KAVRO_OK && i < sizeof settings / sizeof *settings;
       i++)
    err = kavro_conf_set(conf, settings[i][0], settings[i][1], error);
  kavro_registry_t *registry =
      err == KAVRO_OK ? kavro_registry_new(conf, error) : NULL;
  if (!registry)
    kavro_conf_destroy(conf);
  return registry;
}

/* Fold the mock's request log into the fault tally and empty it. */
static void tally_requests(soak_t *s) {
  kavro_mock_request_t *requests;
  size_t count;
  if (kavro_mock_requests(s->mock, &requests, &count, NULL) != KAVRO_OK)
    return;
  for (size_t i = 0; i < count; i++) {
    int status = requests[i].status;
    s->hits.requests++;
    s->hits.status_5xx += status >= 500 && status <= 599;
    s->hits.status_429 += status == 429;
    s->hits.dropped += status == 0;
  }
  kavro_mock_requests_free(requests, count);
  kavro_mock_clear_requests(s->mock);
}

/* Listen on the registry's port, which a restart must keep: clients hold
 * its URL.  The port may take a moment to be free again. */
static kavro_err_t listen_on_port(soak_t *s, kavro_error_t *error) {
  kavro_err_t err = KAVRO_ERR_TRANSPORT;
  for (int attempt = 0; attempt < 50 && err != KAVRO_OK; attempt++) {
    err = kavro_mock_listen(s->mock, NULL, s->registry_port, error);
    if (err != KAVRO_OK)
      sleep_ms(100);
  }
  return err;
}

static int registry_start(soak_t *s) {
  kavro_error_t error;
  char line[512];
  if (kavro_mock_new(NULL, &s->mock, &error) != KAVRO_OK ||
      kavro_mock_listen(s->mock, NULL, 0, &error) != KAVRO_OK) {
    fprintf(stderr, "soak: mock registry: %s\n",
            describe(&error, line, sizeof line));
    return -1;
  }
  snprintf(s->registry_url, sizeof s->registry_url, "%s",
           kavro_mock_url(s->mock));
  const char *colon = strrchr(s->registry_url, ':');
  s->registry_port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
  snprintf(s->save_dir, sizeof s->save_dir, "/tmp/kavro-soak-XXXXXX");
  if (!mkdtemp(s->save_dir)) {
    perror("soak: mkdtemp");
    return -1;
  }
  snprintf(s->save_path, sizeof s->save_path, "%s/registry.json", s->save_dir);
  return 0;
}

/* A restart that keeps the data: save, stop, start empty, load, listen on
 * the same port.  Clients see refused connections in between. */
static void registry_restart(soak_t *s, long down_ms) {
  kavro_error_t error;
  char line[512];
  tally_requests(s);
  if (kavro_mock_save(s->mock, s->save_path, &error) != KAVRO_OK) {
    violation(s, "registry save: %s", describe(&error, line, sizeof line));
    return;
  }
  kavro_mock_destroy(s->mock);
  s->mock = NULL;
  sleep_ms(down_ms);
  if (kavro_mock_new(NULL, &s->mock, &error) != KAVRO_OK ||
      kavro_mock_load(s->mock, s->save_path, &error) != KAVRO_OK ||
      listen_on_port(s, &error) != KAVRO_OK) {
    violation(s, "registry restart: %s", describe(&error, line, sizeof line));
    atomic_store(&s->stop, true);
  }
}

static void registry_stop(soak_t *s) {
  kavro_mock_destroy(s->mock);
  s->mock = NULL;
  if (*s->save_path) {
    unlink(s->save_path);
    rmdir(s->save_dir);
  }
}

/* The schema id each topic's values are framed with, registered now
 * (before any fault) the way the producer helper will find it. */
static int register_topics(soak_t *s) {
  kavro_error_t error;
  char line[512];
  kavro_serializer_t *serializer =
      kavro_serializer_new(s->producer_registry, NULL, &error);
  int status = serializer ? 0 : -1;
  for (int t = 0; status == 0 && t < TOPIC_COUNT; t++) {
    kavro_schema_t *schema = NULL;
    int32_t id = -1;
    const char *schema_text = topics[t].type->schema_text;
    if (kavro_schema_parse(schema_text, strlen(schema_text), NULL, &schema,
                           &error) != KAVRO_OK ||
        kavro_serializer_prepare(serializer, topics[t].name, false, schema, &id,
                                 &error) != KAVRO_OK)
      status = -1;
    s->ids[t] = id;
    kavro_schema_destroy(schema);
  }
  if (status != 0)
    fprintf(stderr, "soak: registering: %s\n",
            describe(&error, line, sizeof line));
  kavro_serializer_destroy(serializer);
  return status;
}

/* ---- Kafka clients ----------------------------------------------------- */

/* A librdkafka configuration for the cluster with the settings of @pairs
 * (key, value, ..., NULL), or NULL after printing why. */
static rd_kafka_conf_t *kafka_conf(const soak_t *s, const char *const *pairs) {
  static const char *const common[] = {"log_level",
                                       "2",
                                       "reconnect.backoff.max.ms",
                                       "500",
                                       "topic.metadata.refresh.interval.ms",
                                       "2000",
                                       NULL};
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  char errstr[256];
  bool ok = rd_kafka_conf_set(conf, "bootstrap.servers", s->cluster.bootstraps,
                              errstr, sizeof errstr) == RD_KAFKA_CONF_OK;
  for (const char *const *p = common; ok && *p; p += 2)
    ok = rd_kafka_conf_set(conf, p[0], p[1], errstr, sizeof errstr) ==
         RD_KAFKA_CONF_OK;
  for (const char *const *p = pairs; ok && p && *p; p += 2)
    ok = rd_kafka_conf_set(conf, p[0], p[1], errstr, sizeof errstr) ==
         RD_KAFKA_CONF_OK;
  if (!ok) {
    fprintf(stderr, "soak: kafka configuration: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  return conf;
}

static rd_kafka_t *kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
  char errstr[256];
  rd_kafka_t *rk =
      conf ? rd_kafka_new(type, conf, errstr, sizeof errstr) : NULL;
  if (conf && !rk) {
    fprintf(stderr, "soak: rd_kafka_new: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
  }
  return rk;
}

/* The text of header @name of @m into @buf; false when it is absent. */
static bool header_text(const rd_kafka_message_t *m, const char *name,
                        char *buf, size_t size) {
  rd_kafka_headers_t *headers = NULL;
  const void *value;
  size_t length;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last(headers, name, &value, &length) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      !value || length >= size)
    return false;
  memcpy(buf, value, length);
  buf[length] = '\0';
  return true;
}

/* ---- the producer thread ----------------------------------------------- */

/* Delivery reports: events (opaque g + 1) and poison (opaque -(p + 1)). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
  (void)rk;
  soak_t *s = opaque;
  intptr_t tag = (intptr_t)m->_private;
  if (tag < 0) {
    poison_t *p = &s->poison[-tag - 1];
    p->resend = m->err != RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!p->resend && !p->delivered) {
      p->delivered = true;
      p->partition = m->partition;
      p->offset = m->offset;
      atomic_fetch_add(&s->poison_delivered, 1);
    }
    return;
  }
  int64_t g = (int64_t)tag - 1;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    atomic_fetch_add(&s->copies_delivered, 1);
    if (s->delivered[g] == 0)
      atomic_fetch_add(&s->delivered_count, 1);
    if (s->delivered[g] < UINT8_MAX)
      s->delivered[g]++;
    return;
  }
  s->delivery_failures++;
  if (s->options.verbose)
    fprintf(stderr, "soak: %.1f s: delivery of event %" PRId64 ": %s\n",
            elapsed_ms(s) / 1000.0, g, rd_kafka_err2str(m->err));
  if (s->delivered[g] == 0 && s->retry_count < s->retry_capacity)
    s->retry[s->retry_count++] = g; /* produced again: at least once */
}

/* The next event to produce, or -1: failed deliveries first, then new
 * events at the pace that spreads them over most of the schedule. */
static int64_t next_event(soak_t *s, rd_kafka_t *rk, int64_t *next) {
  if (s->retry_count)
    return s->retry[--s->retry_count];
  if (*next >= s->options.messages || rd_kafka_outq_len(rk) > MAX_OUTSTANDING)
    return -1;
  /* Spread over the schedule, so that every fault meets new events. */
  double span = 0.95 * (double)s->options.seconds * 1000.0;
  double allowed = (double)s->options.messages * (double)elapsed_ms(s) / span;
  return (double)*next < allowed ? (*next)++ : -1;
}

typedef enum outcome_e { SENT, RETRY_LATER, FATAL } outcome_t;

static outcome_t produce_event(soak_t *s, kavro_kafka_producer_t *producer,
                               int64_t g) {
  const topic_t *topic = &topics[g % TOPIC_COUNT];
  event_t e;
  topic->make(g, &e);
  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = topic->name;
  record.key = e.text[1]; /* the order or execution id: a stable key */
  record.key_size = strlen(e.text[1]);
  record.value_type = topic->type;
  record.value_record = &e.as;
  record.opaque = (void *)(intptr_t)(g + 1);
  kavro_error_t error;
  if (kavro_kafka_produce(producer, &record, NULL, &error) == KAVRO_OK)
    return SENT;
  char line[512];
  if (kavro_error_classify(&error) == KAVRO_ERROR_CLASS_TRANSIENT) {
    s->producer_transient++;
    if (s->options.verbose)
      fprintf(stderr, "soak: %.1f s: producer: %s\n", elapsed_ms(s) / 1000.0,
              describe(&error, line, sizeof line));
    return RETRY_LATER;
  }
  violation(s, "producing event %" PRId64 ": %s", g,
            describe(&error, line, sizeof line));
  return FATAL;
}

/* Fill poison message @p of @kind for topic @t; false (after saying why)
 * when the frame could not be made. */
static bool make_poison(soak_t *s, poison_t *p, long index, poison_kind_t kind,
                        int t) {
  memset(p, 0, sizeof *p);
  p->kind = kind;
  p->topic = t;
  p->offset = -1;
  if (kind == POISON_GARBAGE) {
    p->size = (size_t)snprintf((char *)p->bytes, sizeof p->bytes,
                               "not a frame: poison %ld", index);
    p->expected = KAVRO_ERR_WIRE_MAGIC;
    return true;
  }
  if (kind == POISON_SHORT) {
    p->size = 3; /* 0x00 and two bytes of an id */
    p->expected = KAVRO_ERR_WIRE_SHORT;
    return true;
  }
  /* A real frame of an event numbered past the run's (so that one
   * decoded by mistake is caught), with an unknown id or cut short. */
  event_t e;
  topics[t].make(s->options.messages + index, &e);
  p->has_id = true;
  p->id =
      kind == POISON_UNKNOWN_ID ? UNKNOWN_ID_BASE + (int32_t)index : s->ids[t];
  kavro_schema_id_t id = kavro_schema_id_int(p->id);
  size_t length = 0;
  kavro_error_t error;
  kavro_buf_t *body = kavro_buf_new(256, 0);
  kavro_err_t err =
      body ? kavro_typed_encode(topics[t].type, &e.as, body, &error)
           : KAVRO_ERR_NOMEM;
  if (err == KAVRO_OK)
    err = kavro_wire_frame(&id, kavro_buf_data(body), kavro_buf_length(body),
                           p->bytes, sizeof p->bytes, &length, &error);
  kavro_buf_destroy(body);
  if (err != KAVRO_OK) {
    violation(s, "making poison %ld: %s", index, kavro_err2name(err));
    return false;
  }
  /* Half the body: a proper prefix of a datum never decodes. */
  size_t header = kavro_wire_id_size(&id);
  p->size = kind == POISON_TRUNCATED ? header + (length - header) / 2 : length;
  p->expected =
      kind == POISON_UNKNOWN_ID ? KAVRO_ERR_SCHEMA_NOT_FOUND : KAVRO_ERR_DECODE;
  return true;
}

static void send_poison(soak_t *s, rd_kafka_t *rk, long index) {
  poison_t *p = &s->poison[index];
  char tag[24];
  snprintf(tag, sizeof tag, "%ld", index);
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk, RD_KAFKA_V_TOPIC(topics[p->topic].name),
      RD_KAFKA_V_VALUE(p->bytes, p->size),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER(POISON_HEADER, tag, -1),
      RD_KAFKA_V_OPAQUE((void *)(intptr_t) - (index + 1)), RD_KAFKA_V_END);
  p->resend = err != RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* A batch of each kind of poison, spread over the topics. */
static void produce_poison(soak_t *s, rd_kafka_t *rk) {
  for (int k = 0; k < POISON_KINDS; k++)
    for (int n = 0; n < POISON_PER_KIND && s->poison_count < POISON_MAX; n++) {
      long index = s->poison_count;
      if (!make_poison(s, &s->poison[index], index, (poison_kind_t)k,
                       (int)(index % TOPIC_COUNT))) {
        atomic_store(&s->stop, true);
        return;
      }
      s->poison_count++;
      send_poison(s, rk, index);
    }
}

static void resend_failed_poison(soak_t *s, rd_kafka_t *rk) {
  for (long i = 0; i < s->poison_count; i++)
    if (s->poison[i].resend && !s->poison[i].delivered)
      send_poison(s, rk, i);
}

/* Done when the schedule has ended (it may still ask for poison) and
 * everything asked for was acknowledged. */
static bool producer_finished(soak_t *s, rd_kafka_t *rk, int64_t next) {
  return atomic_load(&s->schedule_done) && next >= s->options.messages &&
         s->retry_count == 0 && rd_kafka_outq_len(rk) == 0 &&
         atomic_load(&s->delivered_count) == s->options.messages &&
         atomic_load(&s->poison_delivered) == s->poison_count &&
         atomic_load(&s->poison_wanted) == 0;
}

/* Rebuild the producer helper, so that its serializer starts cold and
 * asks the registry again (the schedule emptied the client's caches). */
static kavro_kafka_producer_t *rebuild_producer(soak_t *s, rd_kafka_t *rk,
                                                kavro_kafka_producer_t *old) {
  kavro_kafka_producer_destroy(old);
  kavro_error_t error;
  kavro_kafka_producer_t *producer =
      kavro_kafka_producer_new(rk, s->producer_registry, NULL, 1000, &error);
  if (!producer) {
    char line[512];
    violation(s, "producer helper: %s", describe(&error, line, sizeof line));
    atomic_store(&s->stop, true);
  }
  s->producer_rebuilds++;
  return producer;
}

static void produce_loop(soak_t *s, rd_kafka_t *rk) {
  kavro_kafka_producer_t *producer = NULL;
  unsigned generation = atomic_load(&s->generation) - 1;
  int64_t next = 0;
  int64_t resend_at = -1; /* the event whose resend is due, or -1 */
  while (!atomic_load(&s->stop) &&
         (resend_at >= 0 || !producer_finished(s, rk, next))) {
    if (generation != atomic_load(&s->generation)) {
      generation = atomic_load(&s->generation);
      if (!(producer = rebuild_producer(s, rk, producer)))
        break;
    }
    for (; atomic_load(&s->poison_wanted) > 0;
         atomic_fetch_sub(&s->poison_wanted, 1))
      produce_poison(s, rk);
    resend_failed_poison(s, rk);
    int64_t g = resend_at >= 0 ? resend_at : next_event(s, rk, &next);
    outcome_t outcome = g >= 0 ? produce_event(s, producer, g) : SENT;
    if (outcome == FATAL) {
      atomic_store(&s->stop, true);
      break;
    }
    if (outcome == RETRY_LATER) {
      if (g != resend_at && s->retry_count < s->retry_capacity)
        s->retry[s->retry_count++] = g;
      sleep_ms(20);
    } else if (g >= 0 && g == resend_at) {
      s->resends++;
      resend_at = -1;
    } else if (g > 0 && g % RESEND_EVERY == 0) {
      resend_at = g;
    }
    rd_kafka_poll(rk, g >= 0 ? 0 : 10);
  }
  kavro_kafka_producer_destroy(producer);
}

static void *producer_main(void *arg) {
  soak_t *s = arg;
  static const char *const settings[] = {
      "enable.idempotence", "true",   "linger.ms", "5",
      "message.timeout.ms", "120000", NULL};
  rd_kafka_conf_t *conf = kafka_conf(s, settings);
  if (conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, s);
  }
  rd_kafka_t *rk = kafka_new(RD_KAFKA_PRODUCER, conf);
  if (!rk) {
    violation(s, "no producer");
    atomic_store(&s->stop, true);
    return NULL;
  }
  produce_loop(s, rk);
  rd_kafka_flush(rk, 10000);
  rd_kafka_destroy(rk);
  atomic_store(&s->producer_done, true);
  return NULL;
}

/* ---- the consumer thread ----------------------------------------------- */

/* Check a decoded event against the one sent under its event_id. */
static void check_event(soak_t *s, const kavro_kafka_polled_t *p) {
  const char *name = rd_kafka_topic_name(p->message->rkt);
  int t = topic_index(name);
  if (t < 0 || !p->record) {
    violation(s, "%s: a message that is not an event of this run", name);
    return;
  }
  const kavro_schema_id_t *id = &p->value.writer_id;
  if (id->kind != KAVRO_SCHEMA_ID_INT || id->id != s->ids[t])
    violation(s,
              "%s offset %" PRId64 ": framed with schema id %" PRId32
              ", the topic's is %" PRId32,
              name, p->message->offset, id->id, s->ids[t]);
  kavro_str_t event_id_text = topics[t].event_id(p->record);
  int id_topic;
  int64_t g;
  if (!parse_event_id(event_id_text, &id_topic, &g) || id_topic != t || g < 0 ||
      g >= s->options.messages) {
    violation(s, "%s offset %" PRId64 ": event_id %.*s was never sent there",
              name, p->message->offset, (int)event_id_text.length,
              event_id_text.data);
    return;
  }
  event_t sent;
  topics[t].make(g, &sent);
  if (!topics[t].type->equal(p->record, &sent.as))
    violation(s, "event %" PRId64 " decoded differs from the event sent", g);
  atomic_fetch_add(&s->received_total, 1);
  if (s->received[g] == 0)
    atomic_fetch_add(&s->distinct, 1);
  if (s->received[g] < UINT8_MAX)
    s->received[g]++;
}

static kavro_kafka_consumer_t *rebuild_consumer(soak_t *s, rd_kafka_t *rk,
                                                kavro_kafka_dlq_t *dlq,
                                                kavro_kafka_consumer_t *old) {
  kavro_kafka_consumer_destroy(old);
  kavro_error_t error;
  kavro_kafka_consumer_t *consumer = kavro_kafka_consumer_new(
      rk, s->consumer_registry, NULL, NULL, dlq, 0, &error);
  for (int t = 0; consumer && t < TOPIC_COUNT; t++)
    if (kavro_kafka_consumer_set_type(consumer, topics[t].name, topics[t].type,
                                      &error) != KAVRO_OK) {
      kavro_kafka_consumer_destroy(consumer);
      consumer = NULL;
    }
  if (!consumer) {
    char line[512];
    violation(s, "consumer helper: %s", describe(&error, line, sizeof line));
    atomic_store(&s->stop, true);
  }
  s->consumer_rebuilds++;
  return consumer;
}

/* Every copy produced was seen, and as many dead-letter forwards as
 * poison messages were made (the dead-letter scan checks which). */
static bool consumer_finished(soak_t *s) {
  return atomic_load(&s->producer_done) &&
         atomic_load(&s->distinct) >= atomic_load(&s->delivered_count) &&
         atomic_load(&s->received_total) >= atomic_load(&s->copies_delivered) &&
         atomic_load(&s->dead_lettered) >= atomic_load(&s->poison_delivered);
}

/* A failed poll: transient failures are retried by the helper (the
 * message comes again); anything else breaks a promise. */
static void poll_failed(soak_t *s, const kavro_error_t *error) {
  kavro_error_class_t cls = kavro_error_classify(error);
  char line[512];
  if (cls == KAVRO_ERROR_CLASS_TRANSIENT && s->options.verbose)
    fprintf(stderr, "soak: %.1f s: consumer: %s\n", elapsed_ms(s) / 1000.0,
            describe(error, line, sizeof line));
  if (cls == KAVRO_ERROR_CLASS_TRANSIENT) {
    s->consumer_transient++;
    if (error->code == KAVRO_ERR_TIMED_OUT)
      s->consumer_timeouts++;
    else if (error->http_status != 0)
      s->consumer_replies++;
    else
      s->consumer_unreachable++;
    sleep_ms(50);
    return;
  }
  violation(s, "consumer poll (%s): %s", kavro_error_class_name(cls),
            describe(error, line, sizeof line));
}

static void consume_loop(soak_t *s, rd_kafka_t *rk, kavro_kafka_dlq_t *dlq) {
  kavro_kafka_consumer_t *consumer = NULL;
  unsigned generation = atomic_load(&s->generation) - 1;
  while (!atomic_load(&s->stop) && !consumer_finished(s)) {
    if (generation != atomic_load(&s->generation)) {
      generation = atomic_load(&s->generation);
      if (!(consumer = rebuild_consumer(s, rk, dlq, consumer)))
        break;
    }
    kavro_kafka_polled_t polled;
    kavro_error_t error;
    kavro_err_t err = kavro_kafka_consumer_poll(consumer, 100, &polled, &error);
    if (polled.dead_lettered)
      atomic_fetch_add(&s->dead_lettered, 1);
    if (err == KAVRO_OK && polled.message)
      check_event(s, &polled);
    else if (err != KAVRO_OK)
      poll_failed(s, &error);
    kavro_kafka_consumer_done(consumer, &polled, NULL);
  }
  kavro_kafka_consumer_destroy(consumer);
}

static void *consumer_main(void *arg) {
  soak_t *s = arg;
  static const char *const settings[] = {"group.id",
                                         "kavro-soak",
                                         "auto.offset.reset",
                                         "earliest",
                                         "enable.auto.offset.store",
                                         "false",
                                         "queued.max.messages.kbytes",
                                         "2048",
                                         "session.timeout.ms",
                                         "6000",
                                         "heartbeat.interval.ms",
                                         "1000",
                                         NULL};
  kavro_error_t error;
  rd_kafka_conf_t *dlq_conf = kafka_conf(s, NULL);
  kavro_kafka_dlq_t *dlq =
      dlq_conf ? kavro_kafka_dlq_new(dlq_conf, DLQ_TOPIC, &error) : NULL;
  if (dlq_conf && !dlq)
    rd_kafka_conf_destroy(dlq_conf);
  rd_kafka_t *rk =
      dlq ? kafka_new(RD_KAFKA_CONSUMER, kafka_conf(s, settings)) : NULL;
  if (rk) {
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new(TOPIC_COUNT);
    for (int t = 0; t < TOPIC_COUNT; t++)
      rd_kafka_topic_partition_list_add(list, topics[t].name,
                                        RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    consume_loop(s, rk, dlq);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  } else {
    violation(s, "no consumer or dead-letter forwarder");
    atomic_store(&s->stop, true);
  }
  kavro_kafka_dlq_destroy(dlq);
  return NULL;
}

/* ---- the dead-letter topic --------------------------------------------- */

static bool header_is(const rd_kafka_message_t *m, const char *name,
                      const char *expected) {
  char value[512];
  return header_text(m, name, value, sizeof value) &&
         strcmp(value, expected) == 0;
}

/* The dead-letter headers of @m as "name=value ..." in @buf. */
static const char *dead_letter_headers(const rd_kafka_message_t *m, char *buf,
                                       size_t size) {
  static const char *const names[] = {
      KAVRO_DLQ_HEADER_TOPIC,        KAVRO_DLQ_HEADER_PARTITION,
      KAVRO_DLQ_HEADER_OFFSET,       KAVRO_DLQ_HEADER_PART,
      KAVRO_DLQ_HEADER_ERROR_CODE,   KAVRO_DLQ_HEADER_SCHEMA_ID,
      KAVRO_DLQ_HEADER_ERROR_MESSAGE};
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof *names && used < size; i++) {
    char value[256];
    if (!header_text(m, names[i], value, sizeof value))
      snprintf(value, sizeof value, "(none)");
    int n = snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "",
                     names[i], value);
    used += n > 0 ? (size_t)n : 0;
  }
  return buf;
}

/* A dead-lettered message against the poison message it must be. */
static void check_dead_letter(soak_t *s, const rd_kafka_message_t *m) {
  char tag[32], text[1024];
  char *end;
  s->dlq_read++;
  if (!header_text(m, POISON_HEADER, tag, sizeof tag)) {
    s->dlq_others++;
    dead_letter_headers(m, text, sizeof text);
    violation(s,
              "dead-letter offset %" PRId64 " is not a poison message: a "
              "good message was dead-lettered (%s)",
              m->offset, text);
    return;
  }
  long index = strtol(tag, &end, 10);
  if (*end || index < 0 || index >= s->poison_count) {
    violation(s, "dead-letter message with an unknown poison tag %s", tag);
    return;
  }
  poison_t *p = &s->poison[index];
  p->dead_lettered++;
  char partition[16], offset[32], code[16], id[16];
  snprintf(partition, sizeof partition, "%" PRId32, p->partition);
  snprintf(offset, sizeof offset, "%" PRId64, p->offset);
  snprintf(code, sizeof code, "%d", (int)p->expected);
  snprintf(id, sizeof id, "%" PRId32, p->id);
  bool has_id = header_text(m, KAVRO_DLQ_HEADER_SCHEMA_ID, text, sizeof text);
  if (!header_is(m, KAVRO_DLQ_HEADER_TOPIC, topics[p->topic].name) ||
      !header_is(m, KAVRO_DLQ_HEADER_PARTITION, partition) ||
      !header_is(m, KAVRO_DLQ_HEADER_OFFSET, offset) ||
      !header_is(m, KAVRO_DLQ_HEADER_PART, "value") ||
      !header_is(m, KAVRO_DLQ_HEADER_ERROR_CODE, code) ||
      !header_text(m, KAVRO_DLQ_HEADER_ERROR_MESSAGE, text, sizeof text) ||
      has_id != p->has_id ||
      (p->has_id && !header_is(m, KAVRO_DLQ_HEADER_SCHEMA_ID, id)))
    violation(s,
              "poison %ld (%s, %s [%s] @%s): dead-letter headers do not "
              "say where it came from and why (want error %s, schema id "
              "%s); got: %s",
              index, poison_names[p->kind], topics[p->topic].name, partition,
              offset, kavro_err2name(p->expected), p->has_id ? id : "none",
              dead_letter_headers(m, text, sizeof text));
  if (m->len != p->size || memcmp(m->payload, p->bytes, p->size) != 0)
    violation(s, "poison %ld: dead-lettered bytes differ from those sent",
              index);
}

/* Read the whole dead-letter topic and match it against the poison sent:
 * each poison message there at least once, nothing else there. */
static void check_dead_letters(soak_t *s) {
  static const char *const settings[] = {
      "group.id", "kavro-soak-dead-letters", "enable.auto.commit",
      "false",    "enable.partition.eof",    "true",
      NULL};
  rd_kafka_t *rk = kafka_new(RD_KAFKA_CONSUMER, kafka_conf(s, settings));
  if (!rk) {
    violation(s, "no dead-letter reader");
    return;
  }
  rd_kafka_topic_partition_list_t *list =
      rd_kafka_topic_partition_list_new(PARTITIONS);
  for (int i = 0; i < PARTITIONS; i++)
    rd_kafka_topic_partition_list_add(list, DLQ_TOPIC, i)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  int ended = 0;
  long deadline = now_ms() + 20000;
  while (ended < PARTITIONS && now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
    if (!m)
      continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
      ended++;
    else if (!m->err)
      check_dead_letter(s, m);
    rd_kafka_message_destroy(m);
  }
  if (ended < PARTITIONS)
    violation(s, "the dead-letter topic could not be read to its end");
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  for (long i = 0; i < s->poison_count; i++) {
    if (s->poison[i].dead_lettered == 0)
      violation(s, "poison %ld (%s) is not in the dead-letter topic", i,
                poison_names[s->poison[i].kind]);
    else {
      s->dlq_poison++;
      s->poison_dlq_repeats += s->poison[i].dead_lettered - 1;
    }
  }
}

/* ---- the schedule ------------------------------------------------------ */

/* Push @count of @fault; a mock that refuses it ends the run. */
static void push_fault(soak_t *s, const kavro_mock_fault_t *fault,
                       size_t count) {
  kavro_error_t error;
  char line[512];
  if (kavro_mock_push_fault(s->mock, fault, count, &error) != KAVRO_OK) {
    violation(s, "injecting a fault: %s", describe(&error, line, sizeof line));
    atomic_store(&s->stop, true);
  }
}

static void set_latency(soak_t *s, const char *method, const char *prefix,
                        unsigned delay_ms) {
  kavro_error_t error;
  char line[512];
  if (kavro_mock_set_latency(s->mock, method, prefix, delay_ms, &error) !=
      KAVRO_OK) {
    violation(s, "setting latency: %s", describe(&error, line, sizeof line));
    atomic_store(&s->stop, true);
  }
}

/* Start fault @f; the registry clients' caches are emptied and the
 * helpers rebuilt first, so that the fault meets real requests. */
static void fault_begin(soak_t *s, fault_t f, long phase_ms) {
  kavro_registry_clear_caches(s->producer_registry);
  kavro_registry_clear_caches(s->consumer_registry);
  atomic_fetch_add(&s->generation, 1);
  s->faults[f]++;
  kavro_mock_fault_t fault = {
      KAVRO_MOCK_FAULT_ERROR, NULL, NULL, 503, 50003, -1};
  kavro_error_t error;
  switch (f) {
  case FAULT_5XX:
    push_fault(s, &fault, 3);
    fault.http_status = 500;
    fault.error_code = 50001;
    push_fault(s, &fault, 3);
    break;
  case FAULT_429:
    fault.http_status = 429;
    fault.error_code = 42901;
    fault.retry_after_seconds = 1;
    push_fault(s, &fault, 3);
    break;
  case FAULT_LATENCY: /* id lookups past the time-out, the rest slowed */
    set_latency(s, "GET", "/schemas/ids/", SLOW_ID_LOOKUP_MS);
    set_latency(s, NULL, NULL, SPIKE_MS);
    break;
  case FAULT_DROP:
    fault.kind = KAVRO_MOCK_FAULT_DROP;
    push_fault(s, &fault, 4);
    break;
  case FAULT_RESTART:
    registry_restart(s, phase_ms / 4);
    break;
  case FAULT_REGISTRY_DOWN:
    if (kavro_mock_set_down(s->mock, true, &error) != KAVRO_OK)
      violation(s, "taking the registry down failed");
    break;
  case FAULT_BROKER_DOWN:
    if (!cluster_broker(&s->cluster, DOWN_BROKER, true))
      violation(s, "taking broker %d down failed", DOWN_BROKER);
    break;
  case FAULT_POISON:
    atomic_fetch_add(&s->poison_wanted, 1);
    break;
  case FAULT_COUNT:
    break;
  }
}

/* End fault @f: undo what lasts, drop faults no request met. */
static void fault_end(soak_t *s, fault_t f) {
  kavro_error_t error;
  char line[512];
  if (f == FAULT_REGISTRY_DOWN &&
      kavro_mock_set_down(s->mock, false, &error) != KAVRO_OK) {
    violation(s, "bringing the registry up: %s",
              describe(&error, line, sizeof line));
    atomic_store(&s->stop, true);
  }
  if (f == FAULT_BROKER_DOWN &&
      !cluster_broker(&s->cluster, DOWN_BROKER, false))
    violation(s, "bringing broker %d up failed", DOWN_BROKER);
  kavro_mock_clear_faults(s->mock);
  tally_requests(s);
}

static void sample_rss(soak_t *s) {
  long kb = rss_kb();
  if (kb > s->rss_max_kb)
    s->rss_max_kb = kb;
}

static void run_schedule(soak_t *s) {
  long total = s->options.seconds * 1000L;
  long warm_up = total / 10 > 2000 ? total / 10 : 2000;
  long phase = (total - warm_up) / FAULT_COUNT;
  phase = phase < 1000 ? 1000 : phase > 2500 ? 2500 : phase;
  long phases = (total - warm_up) / phase;
  sleep_ms(warm_up);
  s->rss_warm_kb = rss_kb();
  sample_rss(s);
  for (long k = 0; !atomic_load(&s->stop) && k < phases; k++) {
    fault_t f = (fault_t)(k % FAULT_COUNT);
    long begin = now_ms();
    if (s->options.verbose)
      fprintf(stderr, "soak: %.1f s: %s\n", elapsed_ms(s) / 1000.0,
              fault_names[f]);
    fault_begin(s, f, phase);
    long left = phase - (now_ms() - begin);
    sleep_ms(left > 0 ? left : 0);
    fault_end(s, f);
    sample_rss(s);
    if (k % FAULT_COUNT == FAULT_COUNT - 1 && s->rss_cycles < RSS_CYCLES_KEPT)
      s->rss_cycle_kb[s->rss_cycles++] = rss_kb();
  }
  s->rss_first_cycle_kb = s->rss_cycles ? s->rss_cycle_kb[0] : 0;
}

/* After the schedule: wait for both threads to finish their work, giving
 * up after DRAIN_LIMIT_MS (what is still missing then is lost). */
static void drain(soak_t *s, pthread_t producer, pthread_t consumer) {
  long deadline = now_ms() + DRAIN_LIMIT_MS;
  while (now_ms() < deadline && !atomic_load(&s->stop) &&
         !(atomic_load(&s->producer_done) && consumer_finished(s)))
    sleep_ms(100);
  if (!(atomic_load(&s->producer_done) && consumer_finished(s)))
    violation(s, "not drained %ld s after the schedule ended",
              DRAIN_LIMIT_MS / 1000);
  s->rss_end_kb = rss_kb(); /* clients still up: the run's working set */
  sample_rss(s);
  atomic_store(&s->stop, true);
  pthread_join(producer, NULL);
  pthread_join(consumer, NULL);
}

/* ---- the verdict ------------------------------------------------------- */

/* Events acknowledged but never consumed. */
static long count_lost(const soak_t *s) {
  long lost = 0;
  for (long g = 0; g < s->options.messages; g++)
    lost += s->delivered[g] && !s->received[g];
  return lost;
}

/* Copies acknowledged by the broker but not consumed: every copy has an
 * offset of its own, which an at-least-once consumer reads. */
static long count_missing_copies(const soak_t *s) {
  long missing = 0;
  for (long g = 0; g < s->options.messages; g++)
    if (s->received[g] < s->delivered[g] && s->delivered[g] < UINT8_MAX)
      missing += s->delivered[g] - s->received[g];
  return missing;
}

static void check_totals(soak_t *s, long lost) {
  long produced = atomic_load(&s->delivered_count);
  if (produced != s->options.messages)
    violation(s, "%ld of %ld events were acknowledged by the broker", produced,
              s->options.messages);
  if (lost)
    violation(s, "%ld events produced were never consumed", lost);
  long poison_asked = s->faults[FAULT_POISON] * POISON_KINDS * POISON_PER_KIND;
  if (s->poison_count < (poison_asked < POISON_MAX ? poison_asked : POISON_MAX))
    violation(s, "%ld poison messages asked for, %ld produced", poison_asked,
              s->poison_count);
  long missing = count_missing_copies(s);
  if (missing)
    violation(s,
              "%ld copies of events (resends) were acknowledged but "
              "never consumed",
              missing);
  long slack_kb = s->options.rss_slack_mb * 1024;
  if (RSS_BOUND_HELD && s->rss_end_kb > s->rss_warm_kb + slack_kb)
    violation(s, "resident set grew from %ld KiB to %ld KiB (bound +%ld KiB)",
              s->rss_warm_kb, s->rss_end_kb, slack_kb);
}

static void print_registry_stats(const char *who, const kavro_registry_t *r) {
  kavro_registry_stats_t st;
  kavro_registry_stats(r, &st);
  printf("registry %-9s %" PRIu64 " HTTP attempts, %" PRIu64
         " retries, %" PRIu64 " requests failed in the end, %" PRIu64
         " connections\n",
         who, st.http_attempts, st.retries, st.errors, st.connections);
}

static void print_summary(const soak_t *s, long lost, long run_ms) {
  long distinct = atomic_load(&s->distinct);
  long received = atomic_load(&s->received_total);
  printf("soak: %ld s schedule, %.1f s run; typed records (kavro gen) of %d "
         "catalog topics\n",
         s->options.seconds, run_ms / 1000.0, TOPIC_COUNT);
  printf("produced       %ld events (+%ld resent on purpose; %ld copies "
         "acknowledged, %ld delivery failures), %ld poison\n",
         atomic_load(&s->delivered_count), s->resends,
         atomic_load(&s->copies_delivered), s->delivery_failures,
         s->poison_count);
  printf("consumed       %ld distinct, %ld received, %ld duplicates "
         "(all found by event_id)\n",
         distinct, received, received - distinct);
  long kinds[POISON_KINDS] = {0};
  for (long i = 0; i < s->poison_count; i++)
    kinds[s->poison[i].kind]++;
  printf("poison         %ld garbage, %ld unknown id, %ld truncated, %ld "
         "short\n",
         kinds[POISON_GARBAGE], kinds[POISON_UNKNOWN_ID],
         kinds[POISON_TRUNCATED], kinds[POISON_SHORT]);
  printf("dead-letter    %ld messages: %ld of %ld poison (%ld forwarded "
         "again), %ld others\n",
         s->dlq_read, s->dlq_poison, s->poison_count, s->poison_dlq_repeats,
         s->dlq_others);
  printf("lost           %ld\n", lost);
  printf("faults        ");
  for (int f = 0; f < FAULT_COUNT; f++)
    printf(" %s %ld%s", fault_names[f], s->faults[f],
           f + 1 < FAULT_COUNT ? "," : "\n");
  printf("fault replies  %" PRIu64 " of %" PRIu64 " registry requests: %" PRIu64
         " 5xx, %" PRIu64 " 429, %" PRIu64 " dropped\n",
         s->hits.status_5xx + s->hits.status_429 + s->hits.dropped,
         s->hits.requests, s->hits.status_5xx, s->hits.status_429,
         s->hits.dropped);
  print_registry_stats("producer", s->producer_registry);
  print_registry_stats("consumer", s->consumer_registry);
  printf("transient      producer %ld, consumer %ld (%ld time-outs, %ld error "
         "replies, %ld unreachable); helpers rebuilt %ld + %ld times\n",
         s->producer_transient, s->consumer_transient, s->consumer_timeouts,
         s->consumer_replies, s->consumer_unreachable, s->producer_rebuilds,
         s->consumer_rebuilds);
  printf("rss            warm-up %.1f MiB, after first cycle %.1f MiB, end "
         "%.1f MiB, max %.1f MiB (bound: warm-up + %ld MiB%s)\n",
         s->rss_warm_kb / 1024.0, s->rss_first_cycle_kb / 1024.0,
         s->rss_end_kb / 1024.0, s->rss_max_kb / 1024.0,
         s->options.rss_slack_mb,
         RSS_BOUND_HELD ? "" : ", not held under AddressSanitizer");
  printf("rss per cycle ");
  for (long c = 0; c < s->rss_cycles; c++)
    printf(" %.1f", s->rss_cycle_kb[c] / 1024.0);
  printf("%s\n", s->rss_cycles ? " MiB" : " (no whole cycle)");
  printf("%s: %ld violations\n", s->violations ? "FAILED" : "OK",
         s->violations);
}

/* ---- main -------------------------------------------------------------- */

/* A whole number from @low to @high in @text, else -1. */
static long bounded(const char *text, long low, long high) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  return errno || end == text || *end || value < low || value > high ? -1
                                                                     : value;
}

static int parse_options(options_t *o, int argc, char **argv) {
  static const struct option longs[] = {
      {"seconds", required_argument, NULL, 's'},
      {"messages", required_argument, NULL, 'm'},
      {"rss-slack-mb", required_argument, NULL, 'r'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  o->seconds = 20;
  o->messages = 3000;
  o->rss_slack_mb = 16;
  int opt;
  while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
    if (opt == 'v') {
      o->verbose = true;
      continue;
    }
    long *target = opt == 's'   ? &o->seconds
                   : opt == 'm' ? &o->messages
                   : opt == 'r' ? &o->rss_slack_mb
                                : NULL;
    long low = opt == 's' ? 10 : 1;
    long high = opt == 's' ? 86400 : opt == 'm' ? 100000000 : 65536;
    if (target && (*target = bounded(optarg, low, high)) >= 0)
      continue;
    if (target)
      fprintf(stderr, "%s: --%s wants %ld to %ld\n", argv[0],
              opt == 's'   ? "seconds"
              : opt == 'm' ? "messages"
                           : "rss-slack-mb",
              low, high);
    fprintf(opt == 'h' ? stdout : stderr, usage, argv[0]);
    return opt == 'h' ? -1 : 2;
  }
  if (optind == argc)
    return 0;
  fprintf(stderr, usage, argv[0]);
  return 2;
}

static int setup(soak_t *s) {
  kavro_error_t error;
  char line[512];
  s->delivered = calloc((size_t)s->options.messages, 1);
  s->received = calloc((size_t)s->options.messages, 1);
  s->retry_capacity = 2 * (size_t)s->options.messages + 16;
  s->retry = calloc(s->retry_capacity, sizeof *s->retry);
  s->poison = calloc(POISON_MAX, sizeof *s->poison);
  if (!s->delivered || !s->received || !s->retry || !s->poison)
    return -1;
  if (registry_start(s) != 0)
    return -1;
  if (!(s->producer_registry = registry_client(s, &error)) ||
      !(s->consumer_registry = registry_client(s, &error))) {
    fprintf(stderr, "soak: registry client: %s\n",
            describe(&error, line, sizeof line));
    return -1;
  }
  return register_topics(s);
}

static void teardown(soak_t *s) {
  kavro_registry_destroy(s->producer_registry);
  kavro_registry_destroy(s->consumer_registry);
  registry_stop(s);
  cluster_stop(&s->cluster);
  free(s->delivered);
  free(s->received);
  free(s->retry);
  free(s->poison);
  pthread_mutex_destroy(&s->lock);
}

int main(int argc, char **argv) {
  static soak_t soak; /* large; zeroed */
  soak_t *s = &soak;
  int status = parse_options(&s->options, argc, argv);
  if (status != 0)
    return status < 0 ? 0 : status;
  pthread_mutex_init(&s->lock, NULL);
  /* Fork before any thread exists: the cluster's child is single-threaded
   * at birth. */
  if (cluster_start(&s->cluster) != 0 || setup(s) != 0) {
    fprintf(stderr, "soak: setup failed\n");
    teardown(s);
    return 2;
  }
  s->start_ms = now_ms();
  pthread_t producer, consumer;
  if (pthread_create(&producer, NULL, producer_main, s) != 0) {
    teardown(s);
    return 2;
  }
  if (pthread_create(&consumer, NULL, consumer_main, s) != 0) {
    atomic_store(&s->stop, true);
    pthread_join(producer, NULL);
    teardown(s);
    return 2;
  }
  run_schedule(s);
  atomic_store(&s->schedule_done, true);
  drain(s, producer, consumer);
  long run_ms = elapsed_ms(s);
  check_dead_letters(s);
  long lost = count_lost(s);
  check_totals(s, lost);
  print_summary(s, lost, run_ms);
  teardown(s);
  return s->violations ? 1 : 0;
}
