/*
 * kavro consume - print the Avro records of a topic as JSON lines: the C
 * counterpart of Confluent's kafka-avro-console-consumer.
 *
 * Each record is one line: topic, partition, offset, timestamp, key,
 * writer schema id and the value in the Avro JSON encoding (resolved to
 * --reader when given).  A message that can never be decoded goes to the
 * --dlq topic, or is reported on stderr and skipped; one that failed
 * because the registry cannot be reached is read again, never skipped.
 * A message a data contract rule refuses with the DLQ action goes to the
 * rule's dlq.topic (the frame as it came, its key and headers), through a
 * producer of the consume command's own, and not to --dlq a second time.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <avro.h>
#include <jansson.h>

#include "cli.h"
#include "kafka_cli.h"
#include "metrics_http.h"

#include <librdkafka/rdkafka_mock.h> /* after rdkafka.h */

#define POLL_MS 200

static const char usage[] =
    "Usage: kavro consume -t TOPIC (-b HOSTS | --mock-cluster N) -r URL\n"
    "                     [--from-beginning] [--max-messages N]\n"
    "                     [--timeout-ms MS] [--group G] [--reader FILE]\n"
    "                     [--key-avro] [--dlq TOPIC] [-X K=V]...\n"
    "                     [--metrics-listen ADDR:PORT]\n"
    "\n"
    "Print the records of TOPIC as JSON lines:\n"
    "  {\"topic\":..,\"partition\":..,\"offset\":..,\"timestamp\":..,\"key\":..,\n"
    "   \"schema_id\":..,\"value\":<Avro JSON>}\n"
    "Offsets are committed only for records printed (or dead-lettered).\n"
    "The schema's data contract rules run on each record: a record a rule\n"
    "refuses is reported (rule, action, path) and not printed; with the\n"
    "DLQ action it goes to the topic -X dlq.topic=TOPIC names (flushed\n"
    "before its offset is stored), never to --dlq as well.\n"
    "\n"
    "Options:\n" KCLI_USAGE
    "      --from-beginning    start at the earliest offset when the group\n"
    "                          has none (default: the latest)\n"
    "      --max-messages N    stop after N records\n"
    "      --timeout-ms MS     stop when no record came for MS milliseconds\n"
    "      --group G           consumer group (default kavro-consume-PID)\n"
    "      --reader FILE       read values as this schema (resolution)\n"
    "      --key-avro          keys are Avro too (default: text)\n"
    "      --dlq TOPIC         send messages that can never be decoded to\n"
    "                          TOPIC (default: report and skip them)\n"
    "      --metrics-listen ADDR:PORT  serve Prometheus metrics at\n"
    "                          http://ADDR:PORT/metrics (0 = a free port);\n"
    "                          the first line of output is then\n"
    "                          'metrics on URL', before any record\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 done, 1 some message could not be decoded and was not\n"
    "dead-lettered, or a rule refused one, 2 usage or connection error.\n";

enum {
  OPT_FROM_BEGINNING = 0x200,
  OPT_MAX_MESSAGES,
  OPT_TIMEOUT,
  OPT_GROUP,
  OPT_READER,
  OPT_KEY_AVRO,
  OPT_DLQ,
  OPT_METRICS_LISTEN
};

static const struct option long_options[] = {
    KCLI_LONG_OPTIONS,
    {"from-beginning", no_argument, NULL, OPT_FROM_BEGINNING},
    {"max-messages", required_argument, NULL, OPT_MAX_MESSAGES},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"group", required_argument, NULL, OPT_GROUP},
    {"reader", required_argument, NULL, OPT_READER},
    {"key-avro", no_argument, NULL, OPT_KEY_AVRO},
    {"dlq", required_argument, NULL, OPT_DLQ},
    {"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct options_s {
  bool from_beginning;
  long max_messages; /* 0: no limit */
  long timeout_ms;   /* 0: no limit */
  const char *group;
  const char *reader;
  bool key_avro;
  const char *dlq;
  char metrics_address[CLI_ADDRESS_SIZE]; /* "": no metrics server */
  unsigned metrics_port;
} options_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int parse_options(int argc, char **argv, kcli_t *k, options_t *o) {
  opterr = 0;
  optind = 1;
  int opt, status;
  while ((opt = getopt_long(argc, argv, KCLI_SHORT_OPTIONS "h", long_options,
                            NULL)) != -1) {
    status = CLI_EXIT_OK;
    switch (opt) {
    case 'h':
      fputs(usage, stdout);
      return cli_finish_output(CLI_EXIT_OK) == CLI_EXIT_OK ? -2 : CLI_EXIT_USAGE;
    case OPT_FROM_BEGINNING: o->from_beginning = true; break;
    case OPT_MAX_MESSAGES:
      status = kcli_positive("consume", "--max-messages", optarg,
                              &o->max_messages);
      break;
    case OPT_TIMEOUT:
      status = kcli_positive("consume", "--timeout-ms", optarg,
                              &o->timeout_ms);
      break;
    case OPT_GROUP: o->group = optarg; break;
    case OPT_READER: o->reader = optarg; break;
    case OPT_KEY_AVRO: o->key_avro = true; break;
    case OPT_DLQ: o->dlq = optarg; break;
    case OPT_METRICS_LISTEN:
      status = cli_parse_address("consume", "--metrics-listen", optarg,
                                 o->metrics_address, &o->metrics_port);
      break;
    case '?':
    case ':':
      return cli_usage_error("consume", "bad option '%s'", argv[optind - 1]);
    default:
      status = kcli_option(k, opt, optarg);
    }
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (optind < argc)
    return cli_usage_error("consume", "unexpected operand '%s'", argv[optind]);
  return CLI_EXIT_OK;
}

/* The consumer's own settings: a group, where to start, and offsets
 * stored by kavro's helper only. */
static int consumer_settings(kcli_t *k, const options_t *o) {
  kcli_watch_brokers(k);
  char group[64];
  if (!o->group)
    snprintf(group, sizeof group, "kavro-consume-%ld", (long)getpid());
  int status = kcli_kafka_set(k, "group.id", o->group ? o->group : group);
  if (status == CLI_EXIT_OK)
    status = kcli_kafka_set(k, "auto.offset.reset",
                            o->from_beginning ? "earliest" : "latest");
  if (status == CLI_EXIT_OK)
    status = kcli_kafka_set(k, "enable.auto.offset.store", "false");
  return status;
}

/* A raw key as a JSON string (kcli_json_bytes()). */
static void print_raw_key(const unsigned char *key, size_t size) {
  json_t *s = kcli_json_bytes(key, size);
  char *dumped = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
  fputs(dumped ? dumped : "null", stdout);
  free(dumped);
  json_decref(s);
}

static void print_datum(const kavro_deserialized_t *d) {
  if (!d->value) {
    fputs("null", stdout);
    return;
  }
  kavro_error_t error;
  char *json = kavro_value_to_json(d->schema, d->value, KAVRO_DATUM_JSON_AVRO,
                                   &error);
  fputs(json ? json : "null", stdout);
  free(json);
}

static void print_record(const kavro_kafka_polled_t *p, bool key_avro) {
  const rd_kafka_message_t *m = p->message;
  rd_kafka_timestamp_type_t ts_type;
  int64_t ts = rd_kafka_message_timestamp(m, &ts_type);
  json_t *topic = json_string(rd_kafka_topic_name(m->rkt));
  char *topic_json = topic ? json_dumps(topic, JSON_ENCODE_ANY) : NULL;
  printf("{\"topic\":%s,\"partition\":%d,\"offset\":%lld,\"timestamp\":",
         topic_json ? topic_json : "null", (int)m->partition,
         (long long)m->offset);
  free(topic_json);
  json_decref(topic);
  if (ts_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
    fputs("null", stdout);
  else
    printf("%lld", (long long)ts);
  fputs(",\"key\":", stdout);
  if (key_avro)
    print_datum(&p->key);
  else if (m->key)
    print_raw_key(m->key, m->key_len);
  else
    fputs("null", stdout);
  char id[KAVRO_SCHEMA_ID_STRING_SIZE];
  if (p->value.writer_id.kind == KAVRO_SCHEMA_ID_INT)
    printf(",\"schema_id\":%s,\"value\":",
           kavro_schema_id_format(&p->value.writer_id, id, sizeof id));
  else if (p->value.writer_id.kind == KAVRO_SCHEMA_ID_GUID)
    printf(",\"schema_id\":\"%s\",\"value\":",
           kavro_schema_id_format(&p->value.writer_id, id, sizeof id));
  else
    fputs(",\"schema_id\":null,\"value\":", stdout);
  print_datum(&p->value);
  fputs("}\n", stdout);
}

typedef struct counts_s {
  long printed;
  long dead_lettered;
  long skipped;
  long refused; /* by a rule whose DLQ action dead-lettered them */
  long not_delivered; /* of those, the ones the brokers did not take */
} counts_t;

/* One poll: print, count, or deal with the failure.  Returns false when
 * the run must stop on a local error. */
static bool consume_one(kcli_t *k, kavro_kafka_consumer_t *c,
                        const options_t *o, counts_t *n, long *last_ms) {
  kavro_kafka_polled_t p;
  kavro_error_t error;
  kavro_err_t err = kavro_kafka_consumer_poll(c, POLL_MS, &p, &error);
  if (p.dead_lettered) {
    n->dead_lettered++;
    /* Dead-lettered with an error: a rule refused it, and its DLQ action
     * sent it (reported below). */
    if (err != KAVRO_OK)
      n->refused++;
    *last_ms = kcli_now_ms();
  }
  if (p.message)
    k->brokers_down = false; /* a broker answered */
  if (err == KAVRO_OK && p.message) {
    print_record(&p, o->key_avro);
    n->printed++;
    *last_ms = kcli_now_ms();
  } else if (err != KAVRO_OK) {
    kcli_print_error("consume", &error, NULL);
    switch (kavro_error_classify(&error)) {
    case KAVRO_ERROR_CLASS_PERMANENT:
      if (p.message) { /* no dead-letter topic: skip it */
        n->skipped++;
        *last_ms = kcli_now_ms();
      }
      break;
    case KAVRO_ERROR_CLASS_TRANSIENT:
      /* The helper keeps the message and backs off itself
       * (consumer.retry.backoff.ms, settable with -X). */
      break;
    default:
      return false;
    }
  }
  kavro_kafka_consumer_done(c, &p, NULL);
  return true;
}

static int consume_all(kcli_t *k, const options_t *o, rd_kafka_t *rk,
                       kavro_kafka_consumer_t *c, counts_t *n) {
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, k->topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t kerr = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (kerr) {
    fprintf(stderr, "kavro consume: subscribe: %s\n", rd_kafka_err2str(kerr));
    return CLI_EXIT_USAGE;
  }
  long last_ms = kcli_now_ms();
  while (!stop_requested) {
    if (o->max_messages && n->printed >= o->max_messages)
      break;
    if (o->timeout_ms && kcli_now_ms() - last_ms >= o->timeout_ms)
      break;
    if (!consume_one(k, c, o, n, &last_ms))
      return CLI_EXIT_USAGE;
    fflush(stdout);
  }
  if (!stop_requested && kcli_brokers_unreachable(k, rk)) {
    fprintf(stderr, "kavro consume: no broker could be reached\n");
    return CLI_EXIT_USAGE;
  }
  return n->skipped || n->refused ? CLI_EXIT_INVALID : CLI_EXIT_OK;
}

/* The settings of a producer of dead letters to @brokers, logging at
 * @log_level: only the brokers carry over from the consumer's.  NULL
 * (reported) on failure. */
static rd_kafka_conf_t *producer_conf(const char *brokers, const char *what,
                                      const char *log_level) {
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (!conf ||
      rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", log_level, errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK) {
    fprintf(stderr, "kavro consume: cannot configure the %s producer\n",
            what);
    if (conf)
      rd_kafka_conf_destroy(conf);
    return NULL;
  }
  return conf;
}

static kavro_kafka_dlq_t *make_dlq(kcli_t *k, const char *topic) {
  char brokers[1024];
  size_t size = sizeof brokers;
  kavro_error_t error;
  rd_kafka_conf_t *conf =
      rd_kafka_conf_get(k->kafka_conf, "bootstrap.servers", brokers, &size) ==
              RD_KAFKA_CONF_OK
          ? producer_conf(brokers, "--dlq", "3")
          : NULL;
  if (!conf)
    return NULL;
  kavro_kafka_dlq_t *dlq = kavro_kafka_dlq_new(conf, topic, &error);
  if (!dlq) {
    kcli_print_error("consume", &error, NULL);
    rd_kafka_conf_destroy(conf);
  }
  return dlq;
}

static void ignore_kafka_error(rd_kafka_t *rk, int err, const char *reason,
                               void *opaque) {
  (void)rk;
  (void)err;
  (void)reason;
  (void)opaque;
}

/* A dead letter of the DLQ rule action the brokers did not take: counted
 * in the counts_t the producer's opaque points to, and said. */
static void on_rule_dlq_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                                 void *opaque) {
  (void)rk;
  if (!m->err)
    return;
  ((counts_t *)opaque)->not_delivered++;
  fprintf(stderr, "kavro consume: a dead letter to %s NOT delivered: %s\n",
          rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

/* The producer of the DLQ rule action, to the brokers @rk reads from
 * (its own mock cluster's with --mock-cluster), registered in the
 * settings the consumer helper's deserializers are made from.  Each dead
 * letter is flushed (delivered, or its failure counted in @n) before the
 * helper stores the message's offset (dlq.auto.flush). */
static int rule_dlq_setup(kcli_t *k, rd_kafka_t *rk, counts_t *n,
                          rd_kafka_t **producerp) {
  char brokers[1024];
  size_t size = sizeof brokers;
  rd_kafka_mock_cluster_t *mock = rd_kafka_handle_mock_cluster(rk);
  if (mock)
    snprintf(brokers, sizeof brokers, "%s",
             rd_kafka_mock_cluster_bootstraps(mock));
  else if (rd_kafka_conf_get(rd_kafka_conf(rk), "bootstrap.servers", brokers,
                             &size) != RD_KAFKA_CONF_OK)
    brokers[0] = '\0';
  /* Quiet: the consumer reports brokers down, and a dead letter not sent
   * fails its message, which the action reports (dlq.auto.flush). */
  rd_kafka_conf_t *conf = producer_conf(brokers, "DLQ rule action", "2");
  if (conf) {
    rd_kafka_conf_set_error_cb(conf, ignore_kafka_error);
    rd_kafka_conf_set_dr_msg_cb(conf, on_rule_dlq_delivery);
    rd_kafka_conf_set_opaque(conf, n);
  }
  char errstr[256];
  if (conf && !(*producerp = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                          sizeof errstr))) {
    fprintf(stderr, "kavro consume: DLQ rule action producer: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
  }
  if (!*producerp)
    return CLI_EXIT_USAGE;
  kavro_error_t error;
  if (kavro_conf_set(k->serde_conf, "dlq.auto.flush", "true", &error) !=
          KAVRO_OK ||
      kavro_kafka_dlq_action_add(k->serde_conf, *producerp, &error) !=
          KAVRO_OK) {
    kcli_print_error("consume", &error, NULL);
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

static int setup(kcli_t *k, const options_t *o, counts_t *n,
                 rd_kafka_t **rkp, rd_kafka_t **rule_dlqp,
                 kavro_kafka_dlq_t **dlqp, kavro_kafka_consumer_t **cp) {
  int status = consumer_settings(k, o);
  if (status == CLI_EXIT_OK)
    status = kcli_connect(k);
  if (status != CLI_EXIT_OK)
    return status;
  if (o->dlq && k->mock_brokers)
    return cli_usage_error("consume", "--dlq needs real brokers (-b)");
  if (o->dlq && !(*dlqp = make_dlq(k, o->dlq)))
    return CLI_EXIT_USAGE;
  kavro_schema_t *reader = NULL;
  kavro_error_t error;
  if (o->reader &&
      kavro_schema_parse_file(o->reader, NULL, &reader, &error) != KAVRO_OK) {
    kcli_print_error("consume", &error, NULL);
    return CLI_EXIT_USAGE;
  }
  if (!(*rkp = kcli_kafka_new(k, RD_KAFKA_CONSUMER))) {
    kavro_schema_destroy(reader);
    return CLI_EXIT_USAGE;
  }
  rd_kafka_poll_set_consumer(*rkp);
  if ((status = rule_dlq_setup(k, *rkp, n, rule_dlqp)) != CLI_EXIT_OK) {
    kavro_schema_destroy(reader);
    return status;
  }
  *cp = kavro_kafka_consumer_new(*rkp, k->registry, k->serde_conf, NULL, *dlqp,
                                 o->key_avro ? KAVRO_KAFKA_KEY_AVRO : 0, &error);
  if (*cp && reader)
    kavro_deserializer_set_reader(kavro_kafka_consumer_deserializer(*cp, false),
                                  false, reader);
  kavro_schema_destroy(reader);
  if (!*cp) {
    kcli_print_error("consume", &error, NULL);
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

static int run(int argc, char **argv) {
  kcli_t k;
  options_t o = {0};
  counts_t n = {0, 0, 0, 0, 0};
  rd_kafka_t *rk = NULL;
  rd_kafka_t *rule_dlq = NULL; /* the DLQ rule action's producer */
  kavro_kafka_dlq_t *dlq = NULL;
  kavro_kafka_consumer_t *consumer = NULL;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int status = kcli_init(&k, "consume");
  if (status == CLI_EXIT_OK)
    status = parse_options(argc, argv, &k, &o);
  cli_metrics_t *metrics = NULL;
  if (status == CLI_EXIT_OK && o.metrics_address[0] &&
      !(metrics = cli_metrics_start("consume", o.metrics_address,
                                    o.metrics_port)))
    status = CLI_EXIT_USAGE;
  if (status == CLI_EXIT_OK)
    status = setup(&k, &o, &n, &rk, &rule_dlq, &dlq, &consumer);
  if (status == CLI_EXIT_OK) {
    status = consume_all(&k, &o, rk, consumer, &n);
    fprintf(stderr,
            "kavro consume: %ld record%s printed, %ld dead-lettered, %ld "
            "skipped\n",
            n.printed, cli_plural_s((unsigned long)n.printed), n.dead_lettered,
            n.skipped);
    if (n.refused)
      fprintf(stderr,
              "kavro consume: %ld refused record%s sent to the dead letter "
              "topic%s\n",
              n.refused, cli_plural_s((unsigned long)n.refused),
              n.not_delivered ? ", some NOT delivered" : "");
  }
  kavro_kafka_consumer_destroy(consumer);
  if (rk) {
    rd_kafka_consumer_close(rk); /* commits the stored offsets */
    rd_kafka_destroy(rk);
  }
  kavro_kafka_dlq_destroy(dlq);
  if (rule_dlq)
    rd_kafka_destroy(rule_dlq); /* every dead letter was flushed */
  cli_metrics_stop(metrics);
  kcli_free(&k);
  return status == -2 ? CLI_EXIT_OK : cli_finish_output(status);
}

const cli_command_t cli_consume = {
    "consume", "print the Avro records of a Kafka topic as JSON lines", run};
