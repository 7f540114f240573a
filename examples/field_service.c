/*
 * The field-service examples' shared half: environment, catalog, events.
 * It uses kavro's public API and the code `kavro gen` generated from the
 * catalog only, as any service would.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "field_service.h"
/* After rdkafka.h, which field_service.h brings. */
#include <librdkafka/rdkafka_mock.h>

#ifndef FS_AVRO_DIR
#define FS_AVRO_DIR "avro"
#endif

#define FS_PARTITIONS 3
/* 2023-11-14T22:13:20Z: events are stamped from here on. */
#define FS_EPOCH_MS INT64_C(1700000000000)

static const char usage[] =
    "Usage: %s [--bootstrap HOSTS] [--registry URL] [--events N] [--avro DIR]\n"
    "\n"
    "  --bootstrap HOSTS  Kafka brokers (default $KAFKA_BOOTSTRAP; neither:\n"
    "                     an embedded librdkafka mock cluster)\n"
    "  --registry URL     Schema Registry (default $SCHEMA_REGISTRY_URL;\n"
    "                     neither: kavro's mock registry on loopback)\n"
    "  --events N         events per topic (default 1000)\n"
    "  --avro DIR         the schema catalog (default " FS_AVRO_DIR ")\n";

/* ---- events ----------------------------------------------------------- */

/* Event @i's text @slot, printf-style; the record points at it. */
static kavro_str_t text(fs_event_t *e, int slot, const char *fmt, long i) {
  snprintf(e->text[slot], FS_TEXT_SIZE, fmt, i);
  return kavro_str(e->text[slot]);
}

/* A UUID per (topic, event): the id consumers deduplicate on. */
static kavro_str_t event_id(fs_event_t *e, int topic, long i) {
  snprintf(e->text[0], FS_TEXT_SIZE, "00000000-0000-4000-8%03x-%012lx",
           (unsigned)topic, (unsigned long)i);
  return kavro_str(e->text[0]);
}

static void make_order(long i, fs_event_t *e) {
  static const char *const countries[] = {"FR", "ES", "IT", "PT"};
  service_order_created_t *v = &e->as.order;
  service_order_created_init(v);
  v->event_id = event_id(e, 0, i);
  v->event_timestamp = FS_EPOCH_MS + i * 1000;
  v->service_order_id = text(e, 1, "SO-%06ld", i);
  v->project_id = text(e, 2, "PRJ-%05ld", i / 4);
  v->service_type = kavro_str("installation");
  v->country_code = kavro_str(countries[i % 4]);
  v->bu_code = text(e, 3, "BU%ld", i % 3);
  v->estimated_duration_min = (int32_t)(30 + i % 180);
  v->requires_confirmation_tv = i % 3 == 0;
  v->has_depends_on_order_id = i % 5 == 4;
  if (v->has_depends_on_order_id)
    v->depends_on_order_id = text(e, 4, "SO-%06ld", i - 1);
}

static void make_outcome(long i, fs_event_t *e) {
  tv_outcome_recorded_t *v = &e->as.outcome;
  tv_outcome_recorded_init(v);
  v->event_id = event_id(e, 1, i);
  v->event_timestamp = FS_EPOCH_MS + i * 1000;
  v->tv_service_order_id = text(e, 1, "SO-%06ld", i);
  v->outcome = (projects_tv_outcome_t)(i % 3);
  v->has_modifications = v->outcome == PROJECTS_TV_OUTCOME_YES_BUT;
  if (v->has_modifications) {
    e->modification.description = kavro_str("extra socket");
    e->modification.has_extra_duration_min = true;
    e->modification.extra_duration_min = 20;
    v->modifications.count = 1;
    v->modifications.items = &e->modification;
  }
  v->recorded_by = text(e, 2, "tech-%03ld", i % 40);
}

static void make_checkin(long i, fs_event_t *e) {
  checkin_completed_t *v = &e->as.checkin;
  checkin_completed_init(v);
  v->event_id = event_id(e, 2, i);
  v->event_timestamp = FS_EPOCH_MS + i * 1000;
  v->execution_id = text(e, 1, "EX-%06ld", i);
  v->service_order_id = text(e, 2, "SO-%06ld", i);
  v->team_id = text(e, 3, "TEAM-%02ld", i % 12);
  v->checked_in_at = FS_EPOCH_MS + i * 1000 - 500;
  v->gps.lat = 43.0 + (double)(i % 500) / 100.0;
  v->gps.lng = -1.0 + (double)(i % 700) / 100.0;
}

/* The generated functions take their own types; the table takes any. */
static size_t order_key(const void *r, char *buf, size_t size) {
  return service_order_created_partition_key(r, buf, size);
}
static size_t outcome_key(const void *r, char *buf, size_t size) {
  return tv_outcome_recorded_partition_key(r, buf, size);
}
static size_t checkin_key(const void *r, char *buf, size_t size) {
  return checkin_completed_partition_key(r, buf, size);
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

const fs_topic_t fs_topics[FS_TOPIC_COUNT] = {
    {"projects.service_order.created", &service_order_created_type,
     make_order, order_key, order_id},
    {"projects.tv_outcome.recorded", &tv_outcome_recorded_type, make_outcome,
     outcome_key, outcome_id},
    {"execution.checkin.completed", &checkin_completed_type, make_checkin,
     checkin_key, checkin_id},
};

/* ---- environment ------------------------------------------------------ */

static int fail(const fs_env_t *env, const char *what,
                const kavro_error_t *error) {
  char line[1024];
  fprintf(stderr, "%s: %s: %s\n", env->program, what,
          error ? kavro_error_format(error, line, sizeof line) : "failed");
  return 2;
}

static int parse_args(fs_env_t *env, int argc, char **argv) {
  static const struct option options[] = {
      {"bootstrap", required_argument, NULL, 'b'},
      {"registry", required_argument, NULL, 'r'},
      {"events", required_argument, NULL, 'n'},
      {"avro", required_argument, NULL, 'a'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *bootstrap = getenv("KAFKA_BOOTSTRAP");
  const char *registry = getenv("SCHEMA_REGISTRY_URL");
  env->avro_dir = FS_AVRO_DIR;
  env->per_topic = 1000;
  int opt;
  char *end;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (opt) {
    case 'b': bootstrap = optarg; break;
    case 'r': registry = optarg; break;
    case 'a': env->avro_dir = optarg; break;
    case 'n':
      env->per_topic = strtol(optarg, &end, 10);
      if (*end || env->per_topic < 1 || env->per_topic > 10000000)
        return fail(env, "--events wants 1 to 10000000", NULL);
      break;
    case 'h':
      printf(usage, env->program);
      return -1;
    default:
      fprintf(stderr, usage, env->program);
      return 2;
    }
  }
  snprintf(env->bootstrap, sizeof env->bootstrap, "%s",
           bootstrap && *bootstrap ? bootstrap : "");
  snprintf(env->registry_url, sizeof env->registry_url, "%s",
           registry && *registry ? registry : "");
  return 0;
}

/* An embedded librdkafka mock cluster, its topics made with 3 partitions
 * so that the partition keys spread the events. */
static int start_cluster(fs_env_t *env) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  char errstr[256];
  if (rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK ||
      !(env->cluster_host =
            rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
    rd_kafka_conf_destroy(conf);
    fprintf(stderr, "%s: mock cluster: %s\n", env->program, errstr);
    return 2;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(env->cluster_host);
  snprintf(env->bootstrap, sizeof env->bootstrap, "%s",
           rd_kafka_mock_cluster_bootstraps(cluster));
  for (int t = 0; t < FS_TOPIC_COUNT; t++)
    rd_kafka_mock_topic_create(cluster, fs_topics[t].name, FS_PARTITIONS, 1);
  fprintf(stderr, "%s: embedded Kafka (librdkafka mock cluster) at %s\n",
          env->program, env->bootstrap);
  return 0;
}

static int start_registry(fs_env_t *env) {
  kavro_error_t error;
  if (kavro_mock_new(NULL, &env->mock, &error) != KAVRO_OK ||
      kavro_mock_listen(env->mock, NULL, 0, &error) != KAVRO_OK)
    return fail(env, "mock registry", &error);
  snprintf(env->registry_url, sizeof env->registry_url, "%s",
           kavro_mock_url(env->mock));
  fprintf(stderr, "%s: embedded Schema Registry (kavro mock) at %s\n",
          env->program, env->registry_url);
  return 0;
}

static int connect_registry(fs_env_t *env) {
  kavro_error_t error;
  kavro_conf_t *conf = kavro_conf_new();
  if (!conf)
    return fail(env, "configuration", NULL);
  if (kavro_conf_set(conf, "schema.registry.url", env->registry_url, &error) !=
          KAVRO_OK ||
      !(env->registry = kavro_registry_new(conf, &error))) {
    kavro_conf_destroy(conf);
    return fail(env, "registry", &error);
  }
  return 0;
}

static json_t *load_catalog(const fs_env_t *env) {
  char path[1024];
  snprintf(path, sizeof path, "%s/catalog.json", env->avro_dir);
  json_error_t jerror;
  json_t *catalog = json_load_file(path, 0, &jerror);
  if (!catalog)
    fprintf(stderr, "%s: %s:%d: %s\n", env->program, path, jerror.line,
            jerror.text);
  return catalog;
}

int fs_env_open(fs_env_t *env, const char *program, int argc, char **argv) {
  memset(env, 0, sizeof *env);
  env->program = program;
  int status = parse_args(env, argc, argv);
  if (status == 0 && !*env->bootstrap)
    status = start_cluster(env);
  if (status == 0 && !*env->registry_url)
    status = start_registry(env);
  if (status == 0)
    status = connect_registry(env);
  return status;
}

void fs_env_close(fs_env_t *env) {
  kavro_registry_destroy(env->registry);
  if (env->cluster_host)
    rd_kafka_destroy(env->cluster_host);
  kavro_mock_destroy(env->mock);
}

bool fs_env_embedded_kafka(const fs_env_t *env) {
  return env->cluster_host != NULL;
}

rd_kafka_conf_t *fs_kafka_conf(const fs_env_t *env) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  char errstr[256];
  rd_kafka_conf_set(conf, "bootstrap.servers", env->bootstrap, errstr,
                    sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  return conf;
}

int fs_topic_index(const char *topic) {
  for (int t = 0; t < FS_TOPIC_COUNT; t++)
    if (strcmp(fs_topics[t].name, topic) == 0)
      return t;
  return -1;
}

/* ---- registering the catalog ----------------------------------------- */

/* A shared type of the catalog, registered once under its own subject. */
typedef struct fs_shared_s {
  char *file;
  kavro_schema_t *schema;
  kavro_schema_ref_t ref;
} fs_shared_t;

typedef struct fs_catalog_s {
  fs_shared_t shared[64];
  size_t shared_count;
  int subjects;
} fs_catalog_t;

/* Register the shared file of reference @r (once) and return it. */
static fs_shared_t *register_shared(fs_env_t *env, fs_catalog_t *c, json_t *r) {
  const char *file = json_is_string(r) ? json_string_value(r)
                                       : json_string_value(json_object_get(r, "file"));
  for (size_t i = 0; file && i < c->shared_count; i++)
    if (strcmp(c->shared[i].file, file) == 0)
      return &c->shared[i];
  if (!file || c->shared_count == sizeof c->shared / sizeof *c->shared)
    return NULL;
  fs_shared_t *s = &c->shared[c->shared_count];
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", env->avro_dir, file);
  kavro_error_t error;
  if (kavro_schema_parse_file(path, NULL, &s->schema, &error) != KAVRO_OK) {
    fail(env, path, &error);
    return NULL;
  }
  s->file = strdup(file);
  s->ref.name = kavro_schema_name(s->schema);
  /* Subject of a shared type: the catalog's, else its full name. */
  const char *subject = json_string_value(json_object_get(r, "subject"));
  s->ref.subject = subject ? subject : s->ref.name;
  c->shared_count++;
  if (!s->file ||
      kavro_registry_register(env->registry, s->ref.subject, s->schema, NULL, 0,
                              false, NULL, &error) != KAVRO_OK ||
      kavro_registry_lookup(env->registry, s->ref.subject, s->schema, NULL, 0,
                            false, NULL, &s->ref.version, &error) != KAVRO_OK) {
    fail(env, s->ref.subject, &error);
    return NULL;
  }
  c->subjects++;
  return s;
}

static int register_topic(fs_env_t *env, fs_catalog_t *c, const char *topic,
                          json_t *entry) {
  json_t *refs = json_object_get(entry, "references");
  size_t count = json_array_size(refs);
  kavro_schema_t *deps[16];
  kavro_schema_ref_t ref_list[16];
  if (count > 16)
    return fail(env, topic, NULL);
  for (size_t i = 0; i < count; i++) {
    fs_shared_t *s = register_shared(env, c, json_array_get(refs, i));
    if (!s)
      return 1;
    deps[i] = s->schema;
    ref_list[i] = s->ref;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", env->avro_dir,
           json_string_value(json_object_get(entry, "file")));
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.references = deps;
  options.reference_count = count;
  kavro_schema_t *schema;
  kavro_error_t error;
  if (kavro_schema_parse_file(path, &options, &schema, &error) != KAVRO_OK)
    return fail(env, path, &error);
  char subject[KAVRO_SUBJECT_MAX];
  const char *named = json_string_value(json_object_get(entry, "subject"));
  snprintf(subject, sizeof subject, "%s", named ? named : "");
  if (!named)
    snprintf(subject, sizeof subject, "%s-value", topic);
  kavro_err_t err = kavro_registry_register(env->registry, subject, schema,
                                            ref_list, count, false, NULL, &error);
  kavro_schema_destroy(schema);
  if (err != KAVRO_OK)
    return fail(env, subject, &error);
  c->subjects++;
  return 0;
}

int fs_register_catalog(fs_env_t *env, int *subjects) {
  json_t *catalog = load_catalog(env);
  if (!catalog)
    return 1;
  fs_catalog_t *c = calloc(1, sizeof *c);
  int status = c ? 0 : 1;
  kavro_error_t error;
  const char *level = json_string_value(json_object_get(catalog, "level"));
  if (status == 0 && kavro_registry_set_level(env->registry, NULL,
                                              level ? level : "BACKWARD",
                                              &error) != KAVRO_OK)
    status = fail(env, "setting the level", &error);
  const char *topic;
  json_t *entry;
  json_object_foreach(json_object_get(catalog, "topics"), topic, entry) {
    if (status == 0)
      status = register_topic(env, c, topic, entry);
  }
  for (size_t i = 0; c && i < c->shared_count; i++) {
    free(c->shared[i].file);
    kavro_schema_destroy(c->shared[i].schema);
  }
  if (subjects && c)
    *subjects = c->subjects;
  free(c);
  json_decref(catalog);
  return status ? 1 : 0;
}

/* ---- producing -------------------------------------------------------- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
  (void)rk;
  long *failed = opaque;
  if (m->err) {
    (*failed)++;
    fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
  }
}

/* Event @i of topic @t: make it, key it, produce it. */
static int produce_event(fs_env_t *env, kavro_kafka_producer_t *producer,
                         int t, long i) {
  const fs_topic_t *topic = &fs_topics[t];
  fs_event_t event;
  char key[256];
  topic->make(i, &event);
  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = topic->name;
  record.key = key;
  record.key_size = topic->key(&event.as, key, sizeof key);
  if (record.key_size >= sizeof key) {
    fprintf(stderr, "%s: %s: partition key too long\n", env->program,
            topic->name);
    return 1;
  }
  record.value_type = topic->type;
  record.value_record = &event.as;
  kavro_error_t error;
  if (kavro_kafka_produce(producer, &record, NULL, &error) != KAVRO_OK)
    return fail(env, topic->name, &error);
  return 0;
}

int fs_produce(fs_env_t *env, long resend_every, long sent[FS_TOPIC_COUNT]) {
  long failed = 0;
  rd_kafka_conf_t *conf = fs_kafka_conf(env);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &failed);
  char errstr[256];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    fprintf(stderr, "%s: producer: %s\n", env->program, errstr);
    return 1;
  }
  kavro_error_t error;
  kavro_kafka_producer_t *producer =
      kavro_kafka_producer_new(rk, env->registry, NULL, 30000, &error);
  int status = producer ? 0 : fail(env, "producer", &error);
  for (int t = 0; status == 0 && t < FS_TOPIC_COUNT; t++) {
    sent[t] = 0;
    for (long i = 0; status == 0 && i < env->per_topic; i++) {
      status = produce_event(env, producer, t, i);
      sent[t]++;
      /* A retry after a lost acknowledgement sends the event again. */
      if (status == 0 && resend_every && i % resend_every == resend_every - 1) {
        status = produce_event(env, producer, t, i);
        sent[t]++;
      }
      rd_kafka_poll(rk, 0);
    }
  }
  rd_kafka_flush(rk, 30000);
  if (status == 0 && (failed || rd_kafka_outq_len(rk) > 0)) {
    fprintf(stderr, "%s: %ld events not delivered\n", env->program,
            failed + rd_kafka_outq_len(rk));
    status = 1;
  }
  kavro_kafka_producer_destroy(producer);
  rd_kafka_destroy(rk);
  return status ? 1 : 0;
}
