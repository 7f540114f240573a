/*
 * kavro produce - read Avro JSON records, one per line, and produce them
 * to a topic as Confluent-framed Avro: the C counterpart of Confluent's
 * kafka-avro-console-producer.
 *
 * The value schema comes from a file (registered, or found, under the
 * topic's subject, through the compatibility gate), from a subject's
 * latest version, or from a schema id.  A key is optional: the text of a
 * field of the value (--key-field, a partition key), or an Avro key in
 * front of each line (--key-schema, "KEY<TAB>VALUE" as the Confluent
 * producer's parse.key).  A line that fails (not JSON, a datum the
 * schema refuses, a refusal of the gate, a registry error) is reported
 * with its number; by default it stops the run, as it always has, and
 * --on-error=continue goes on with the next line instead.  Either way the
 * exit status says that a line failed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>

#include "cli.h"
#include "kafka_cli.h"

/* Longest input line, a bound on what one record may take. */
#define MAX_LINE (4u * 1024u * 1024u)

static const char usage[] =
    "Usage: kavro produce -t TOPIC (-b HOSTS | --mock-cluster N) -r URL\n"
    "                     (--schema FILE | --subject S | --schema-id N)\n"
    "                     [--key-field NAME | --key-schema FILE] [-X K=V]...\n"
    "                     [--on-error stop|continue]\n"
    "\n"
    "Read Avro JSON records from standard input, one per line, and produce\n"
    "them to TOPIC, serialized with the Schema Registry (subject TOPIC-value\n"
    "by default).  A schema the subject's compatibility level refuses is\n"
    "refused before anything is registered or produced, with every reason.\n"
    "The schema's data contract rules run on each record: a record a rule\n"
    "refuses is reported (rule, action, path) and not produced; with the\n"
    "DLQ action it goes to the topic -X dlq.topic=TOPIC names.\n"
    "\n"
    "Options:\n" KCLI_USAGE
    "      --schema FILE       the value schema (.avsc)\n"
    "      --subject S         the value schema: S's latest version\n"
    "      --schema-id N       the value schema: registry id N\n"
    "      --key-field NAME    key each record with the text of its field NAME\n"
    "                          (a string, int, long or enum field)\n"
    "      --key-schema FILE   lines are KEY<separator>VALUE, KEY an Avro JSON\n"
    "                          datum of FILE's schema\n"
    "      --key-separator S   the separator for --key-schema (default TAB)\n"
    "      --on-error WHAT     after a line that fails (reported with its\n"
    "                          number): stop (the default) or continue\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 every line delivered, 1 a line or schema refused or a\n"
    "record not delivered, 2 usage or connection error (the worst of the\n"
    "lines' with --on-error continue).\n";

enum {
  OPT_SCHEMA = 0x200,
  OPT_SUBJECT,
  OPT_SCHEMA_ID,
  OPT_KEY_FIELD,
  OPT_KEY_SCHEMA,
  OPT_KEY_SEPARATOR,
  OPT_ON_ERROR
};

static const struct option long_options[] = {
    KCLI_LONG_OPTIONS,
    {"schema", required_argument, NULL, OPT_SCHEMA},
    {"subject", required_argument, NULL, OPT_SUBJECT},
    {"schema-id", required_argument, NULL, OPT_SCHEMA_ID},
    {"key-field", required_argument, NULL, OPT_KEY_FIELD},
    {"key-schema", required_argument, NULL, OPT_KEY_SCHEMA},
    {"key-separator", required_argument, NULL, OPT_KEY_SEPARATOR},
    {"on-error", required_argument, NULL, OPT_ON_ERROR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct options_s {
  const char *schema_file;
  const char *subject;
  const char *schema_id;
  const char *key_field;
  const char *key_schema_file;
  const char *key_separator;
  bool keep_going; /* --on-error continue */
} options_t;

/* A schema with a reusable avro-c generic value of it. */
typedef struct datum_s {
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
  bool has_value;
} datum_t;

typedef struct delivery_s {
  const char *topic; /* the records'; others are dead letters */
  unsigned long delivered;
  unsigned long failed;
  unsigned long dead_letters; /* sent by a rule's DLQ action */
} delivery_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
  (void)rk;
  delivery_t *d = opaque;
  if (m->err) {
    d->failed++;
    fprintf(stderr, "kavro produce: not delivered: %s\n",
            rd_kafka_err2str(m->err));
  } else if (strcmp(rd_kafka_topic_name(m->rkt), d->topic) != 0) {
    d->dead_letters++;
  } else {
    d->delivered++;
  }
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
    case OPT_SCHEMA: o->schema_file = optarg; break;
    case OPT_SUBJECT: o->subject = optarg; break;
    case OPT_SCHEMA_ID: o->schema_id = optarg; break;
    case OPT_KEY_FIELD: o->key_field = optarg; break;
    case OPT_KEY_SCHEMA: o->key_schema_file = optarg; break;
    case OPT_KEY_SEPARATOR: o->key_separator = optarg; break;
    case OPT_ON_ERROR:
      if (strcmp(optarg, "stop") != 0 && strcmp(optarg, "continue") != 0)
        return cli_usage_error("produce", "--on-error wants stop or continue");
      o->keep_going = strcmp(optarg, "continue") == 0;
      break;
    case '?':
    case ':':
      return cli_usage_error("produce", "bad option '%s'", argv[optind - 1]);
    default:
      status = kcli_option(k, opt, optarg);
    }
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (optind < argc)
    return cli_usage_error("produce", "unexpected operand '%s'", argv[optind]);
  int sources = !!o->schema_file + !!o->subject + !!o->schema_id;
  if (sources != 1)
    return cli_usage_error("produce", "give exactly one of --schema, "
                                      "--subject and --schema-id");
  if (o->key_field && o->key_schema_file)
    return cli_usage_error("produce", "--key-field and --key-schema exclude "
                                      "each other");
  if (o->key_schema_file && o->schema_id)
    return cli_usage_error("produce", "--schema-id names the value's schema "
                                      "and cannot serve an Avro key");
  if (o->key_separator && !*o->key_separator)
    return cli_usage_error("produce", "--key-separator cannot be empty");
  return CLI_EXIT_OK;
}

static int datum_make(datum_t *d, kavro_schema_t *schema) {
  kavro_error_t error;
  d->schema = schema;
  if (kavro_schema_to_avro(schema, &d->avro, &error) != KAVRO_OK) {
    cli_print_line("kavro produce: %s", error.text);
    return CLI_EXIT_USAGE;
  }
  d->iface = avro_generic_class_from_schema(d->avro);
  if (!d->iface || avro_generic_value_new(d->iface, &d->value) != 0) {
    fprintf(stderr, "kavro produce: avro-c: %s\n", avro_strerror());
    return CLI_EXIT_USAGE;
  }
  d->has_value = true;
  return CLI_EXIT_OK;
}

static void datum_free(datum_t *d) {
  if (d->has_value)
    avro_value_decref(&d->value);
  if (d->iface)
    avro_value_iface_decref(d->iface);
  if (d->avro)
    avro_schema_decref(d->avro);
  kavro_schema_destroy(d->schema);
}

static int load_file(const char *path, kavro_schema_t **schemap) {
  kavro_error_t error;
  if (kavro_schema_parse_file(path, NULL, schemap, &error) == KAVRO_OK)
    return CLI_EXIT_OK;
  kcli_print_error("produce", &error, NULL);
  return error.code == KAVRO_ERR_IO ? CLI_EXIT_USAGE : CLI_EXIT_INVALID;
}

/* Every value goes to subject @opaque (--subject). */
static kavro_err_t name_subject(void *opaque, const char *topic, bool is_key,
                                const kavro_schema_t *schema, char *subject,
                                size_t size, kavro_error_t *error) {
  (void)topic;
  (void)is_key;
  (void)schema;
  int n = snprintf(subject, size, "%s", (const char *)opaque);
  if (n < 0 || (size_t)n >= size) {
    if (error)
      error->code = KAVRO_ERR_LIMIT;
    return KAVRO_ERR_LIMIT;
  }
  return KAVRO_OK;
}

/* The settings a schema source implies, before the registry client is
 * made: a subject's latest version is used, never registered; an id is
 * the Confluent `use.schema.id`. */
static int source_settings(kcli_t *k, const options_t *o) {
  kavro_error_t error;
  kavro_err_t err = KAVRO_OK;
  if (o->subject) {
    err = kavro_conf_set(k->kavro_conf, "use.latest.version", "true", &error);
    if (err == KAVRO_OK)
      err = kavro_conf_set(k->kavro_conf, "auto.register.schemas", "false",
                           &error);
  } else if (o->schema_id) {
    err = kavro_conf_set(k->kavro_conf, "use.schema.id", o->schema_id, &error);
  }
  if (err != KAVRO_OK)
    return cli_usage_error("produce", "%s", error.text);
  return CLI_EXIT_OK;
}

static int fetch_schema(kcli_t *k, const options_t *o, kavro_schema_t **schemap) {
  if (o->schema_file)
    return load_file(o->schema_file, schemap);
  kavro_error_t error;
  kavro_err_t err;
  if (o->subject) {
    err = kavro_registry_get_version(k->registry, o->subject,
                                     KAVRO_REGISTRY_LATEST, schemap, NULL,
                                     NULL, &error);
  } else {
    char *end;
    errno = 0;
    long id = strtol(o->schema_id, &end, 10);
    err = (*end || errno || id < 0 || id > 2147483647)
              ? KAVRO_ERR_INVALID_ARG
              : kavro_registry_schema_by_id(k->registry, (int)id, NULL, schemap,
                                            &error);
    if (err == KAVRO_ERR_INVALID_ARG && *end)
      return cli_usage_error("produce", "--schema-id wants a number");
  }
  if (err == KAVRO_OK)
    return CLI_EXIT_OK;
  kcli_print_error("produce", &error, NULL);
  return cli_exit_status_of(&error);
}

/* Read one line of at most MAX_LINE bytes into @line (grown as needed).
 * Returns its length without the newline, -1 at the end, -2 too long. */
static long read_line(FILE *in, char **line, size_t *capacity) {
  size_t length = 0;
  int c;
  while ((c = getc(in)) != EOF && c != '\n') {
    if (length + 1 >= *capacity) {
      if (*capacity >= MAX_LINE)
        return -2;
      size_t grown = *capacity ? *capacity * 2 : 4096;
      char *p = realloc(*line, grown);
      if (!p)
        return -2;
      *line = p;
      *capacity = grown;
    }
    (*line)[length++] = (char)c;
  }
  if (c == EOF && length == 0)
    return -1;
  if (!*line && !(*line = malloc(*capacity = 1)))
    return -2;
  (*line)[length] = '\0';
  return (long)length;
}

static void skip_rest_of_line(FILE *in) {
  int c;
  while ((c = getc(in)) != EOF && c != '\n')
    ;
}

typedef struct run_s {
  kcli_t *k;
  const options_t *o;
  kavro_kafka_producer_t *producer;
  datum_t value;
  datum_t key;
  char *key_template; /* "{FIELD}" for --key-field */
  unsigned long lines;
  unsigned long failed_lines;
} run_t;

/* "kavro produce: line N: REASON", then for a refusal of the gate every
 * incompatibility. */
static int refused(run_t *r, const kavro_error_t *error) {
  char where[64];
  snprintf(where, sizeof where, "produce: line %lu", r->lines);
  kcli_print_error(
      where, error,
      error->code == KAVRO_ERR_INCOMPATIBLE
          ? kavro_serializer_last_incompatibility(
                kavro_kafka_producer_serializer(r->producer))
          : NULL);
  return cli_exit_status_of(error);
}

/* Parse one line (KEY<sep>VALUE with --key-schema) and produce it. */
static int produce_line(run_t *r, char *line, size_t length) {
  kavro_error_t error;
  kavro_kafka_record_t record;
  kavro_kafka_record_init(&record);
  record.topic = r->k->topic;
  char *value_text = line;
  if (r->o->key_schema_file) {
    const char *sep = r->o->key_separator ? r->o->key_separator : "\t";
    char *at = strstr(line, sep);
    if (!at) {
      fprintf(stderr, "kavro produce: line %lu: no key separator\n", r->lines);
      return CLI_EXIT_INVALID;
    }
    *at = '\0';
    value_text = at + strlen(sep);
    if (kavro_value_from_json(r->key.schema, line, strlen(line), &r->key.value,
                              &error) != KAVRO_OK)
      return refused(r, &error);
    record.key_schema = r->key.schema;
    record.key_value = &r->key.value;
  }
  size_t value_length = length - (size_t)(value_text - line);
  if (kavro_value_from_json(r->value.schema, value_text, value_length,
                            &r->value.value, &error) != KAVRO_OK)
    return refused(r, &error);
  record.value_schema = r->value.schema;
  record.value = &r->value.value;
  char key[1024];
  if (r->key_template) {
    if (kavro_kafka_partition_key(r->key_template, &r->value.value, key,
                                  sizeof key, &record.key_size,
                                  &error) != KAVRO_OK)
      return refused(r, &error);
    record.key = key;
  }
  rd_kafka_resp_err_t kerr;
  if (kavro_kafka_produce(r->producer, &record, &kerr, &error) != KAVRO_OK)
    return refused(r, &error);
  return CLI_EXIT_OK;
}

/* Every line of stdin, until the end, or the first line that fails
 * unless --on-error continue.  The worst status of the lines. */
static int produce_all(run_t *r, rd_kafka_t *rk) {
  char *line = NULL;
  size_t capacity = 0;
  long length;
  int status = CLI_EXIT_OK;
  while ((status == CLI_EXIT_OK || r->o->keep_going) &&
         (length = read_line(stdin, &line, &capacity)) != -1) {
    r->lines++;
    int line_status = CLI_EXIT_OK;
    if (length == -2) {
      fprintf(stderr, "kavro produce: line %lu: longer than %u bytes\n",
              r->lines, MAX_LINE);
      line_status = CLI_EXIT_INVALID;
      skip_rest_of_line(stdin); /* its tail is not the next line */
    } else if (length > 0) {
      line_status = produce_line(r, line, (size_t)length);
    }
    if (line_status != CLI_EXIT_OK)
      r->failed_lines++;
    status = cli_worse(status, line_status);
    rd_kafka_poll(rk, 0);
  }
  free(line);
  return status;
}

static int setup(run_t *r, rd_kafka_t **rkp, delivery_t *delivery) {
  kcli_t *k = r->k;
  int status = source_settings(k, r->o);
  if (status == CLI_EXIT_OK)
    status = kcli_connect(k);
  if (status == CLI_EXIT_OK && r->o->key_schema_file) {
    kavro_schema_t *key = NULL;
    status = load_file(r->o->key_schema_file, &key);
    if (status == CLI_EXIT_OK)
      status = datum_make(&r->key, key);
  }
  kavro_schema_t *value = NULL;
  if (status == CLI_EXIT_OK)
    status = fetch_schema(k, r->o, &value);
  if (status == CLI_EXIT_OK)
    status = datum_make(&r->value, value);
  if (status != CLI_EXIT_OK)
    return status;
  rd_kafka_conf_set_dr_msg_cb(k->kafka_conf, on_delivery);
  rd_kafka_conf_set_opaque(k->kafka_conf, delivery);
  if (!(*rkp = kcli_kafka_new(k, RD_KAFKA_PRODUCER)))
    return CLI_EXIT_USAGE;
  kavro_error_t error;
  /* A rule whose action is DLQ sends the refused record to dlq.topic
   * through this same producer. */
  if (kavro_kafka_dlq_action_add(k->serde_conf, *rkp, &error) == KAVRO_OK)
    r->producer =
        kavro_kafka_producer_new(*rkp, k->registry, k->serde_conf, 30000,
                                 &error);
  if (!r->producer) {
    kcli_print_error("produce", &error, NULL);
    return CLI_EXIT_USAGE;
  }
  if (r->o->key_field) {
    size_t n = strlen(r->o->key_field) + 3;
    if (!(r->key_template = malloc(n)))
      return CLI_EXIT_USAGE;
    snprintf(r->key_template, n, "{%s}", r->o->key_field);
  }
  if (r->o->subject)
    kavro_serializer_set_subject_name_cb(
        kavro_kafka_producer_serializer(r->producer), false, name_subject,
        (void *)r->o->subject);
  return CLI_EXIT_OK;
}

static int run(int argc, char **argv) {
  kcli_t k;
  options_t o = {0};
  run_t r = {.k = &k, .o = &o};
  delivery_t delivery = {.topic = ""};
  rd_kafka_t *rk = NULL;
  int status = kcli_init(&k, "produce");
  if (status == CLI_EXIT_OK)
    status = parse_options(argc, argv, &k, &o);
  if (status == CLI_EXIT_OK) {
    delivery.topic = k.topic;
    status = setup(&r, &rk, &delivery);
  }
  if (status == CLI_EXIT_OK)
    status = produce_all(&r, rk);
  if (rk) {
    rd_kafka_flush(rk, 30000);
    unsigned long lost = (unsigned long)rd_kafka_outq_len(rk) + delivery.failed;
    if (status != -2)
      fprintf(stderr, "kavro produce: %lu record%s delivered to %s%s\n",
              delivery.delivered, cli_plural_s(delivery.delivered), k.topic,
              lost ? ", some NOT delivered" : "");
    if (delivery.dead_letters)
      fprintf(stderr, "kavro produce: %lu refused record%s sent to the "
                      "dead letter topic\n",
              delivery.dead_letters, cli_plural_s(delivery.dead_letters));
    if (r.failed_lines && o.keep_going)
      fprintf(stderr, "kavro produce: %lu of %lu line%s failed\n",
              r.failed_lines, r.lines, cli_plural_s(r.lines));
    else if (r.failed_lines)
      fprintf(stderr, "kavro produce: stopped at line %lu, which failed "
                      "(--on-error continue goes on)\n", r.lines);
    if (lost && status == CLI_EXIT_OK)
      status = CLI_EXIT_INVALID;
  }
  kavro_kafka_producer_destroy(r.producer);
  if (rk)
    rd_kafka_destroy(rk);
  datum_free(&r.key);
  datum_free(&r.value);
  free(r.key_template);
  kcli_free(&k);
  return status == -2 ? CLI_EXIT_OK : cli_finish_output(status);
}

const cli_command_t cli_produce = {
    "produce", "produce Avro JSON lines to a Kafka topic through the registry",
    run};
