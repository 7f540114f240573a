/*
 * kavro dlq inspect - print every message of a dead-letter topic with
 * where it came from and why it is there, and a count per reason.
 *
 * It reads the topic from the beginning with partitions assigned (no
 * group subscription, so no rebalance to wait for) in a throwaway group
 * of its own, and commits nothing: inspecting never moves anyone's
 * offsets.  It stops at the end of the topic, after --max-messages, or
 * when nothing came for --timeout-ms.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dlq.h"
#include "kafka_cli.h"

#define POLL_MS 200
#define DEFAULT_TIMEOUT_MS 5000
/* How often the progress line on a terminal is redrawn. */
#define PROGRESS_MS 500
/* Distinct reasons counted one by one; the rest are counted together, so
 * that a topic of all-different reasons cannot grow the table without
 * bound. */
#define MAX_REASONS 1000
#define OTHER_REASONS "(other reasons)"

const char dlq_inspect_usage[] =
    "Usage: kavro dlq inspect -b HOSTS -t DLQ_TOPIC [--registry URL]\n"
    "                         [--format text|json] [--max-messages N]\n"
    "                         [--timeout-ms MS] [-X K=V]...\n"
    "\n"
    "Print every message of the dead-letter topic DLQ_TOPIC, from its\n"
    "beginning, with its origin topic/partition/offset, error class, code,\n"
    "reason and handler retries (from its headers), and its value as Avro\n"
    "JSON when --registry can decode it; then a count per reason.  Commits\n"
    "no offset.  A message of the DLQ rule action has no origin partition\n"
    "or offset: -1 in text, null in JSON.\n"
    "  text: DLQ_TOPIC/PARTITION/OFFSET from TOPIC/PARTITION/OFFSET\n"
    "        class=CLASS code=CODE [retries=N] reason=REASON\n"
    "        [  value: JSON]   (and at the end the counts per reason)\n"
    "  json: one object per line with topic, partition, offset, timestamp,\n"
    "        key, origin_topic, origin_partition, origin_offset,\n"
    "        origin_timestamp, error_class, error_code, reason, [retries],\n"
    "        [rule], [value]; the counts per reason go to stderr\n"
    "\n"
    "Options:\n"
    "  -b, --bootstrap-server HOSTS  Kafka brokers (host:port,...)\n"
    "  -t, --topic DLQ_TOPIC   the dead-letter topic\n"
    "  -r, --registry URL      Schema Registry URL, to decode values\n"
    "  -X KEY=VALUE            a kavro or librdkafka setting (repeatable)\n"
    "      --format FORMAT     text (default) or json\n"
    "      --max-messages N    stop after N messages\n"
    "      --timeout-ms MS     stop when no message came for MS\n"
    "                          milliseconds (default 5000); it stops at\n"
    "                          the end of the topic anyway\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 done, 2 usage or connection error.\n";

enum { OPT_FORMAT = 0x300, OPT_MAX_MESSAGES, OPT_TIMEOUT };

typedef struct options_s {
  bool json;
  long max_messages; /* 0: no limit */
  long timeout_ms;
} options_t;

typedef struct reason_count_s {
  char *reason;
  long count;
} reason_count_t;

/* What a run has seen. */
typedef struct inspect_s {
  kcli_t k;
  options_t o;
  rd_kafka_t *rk;
  kavro_deserializer_t *deserializer; /* NULL without --registry */
  reason_count_t *reasons;
  size_t reason_count;
  long messages;
  bool *at_end; /* per partition: at its end since its last message */
  int partitions;
  bool progress; /* stderr is a terminal */
  long progress_ms;
} inspect_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int parse_options(int argc, char **argv, inspect_t *in) {
  static const struct option table[] = {
      {"bootstrap-server", required_argument, NULL, 'b'},
      {"topic", required_argument, NULL, 't'},
      {"registry", required_argument, NULL, 'r'},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"max-messages", required_argument, NULL, OPT_MAX_MESSAGES},
      {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  opterr = 0;
  optind = 1;
  int opt;
  while ((opt = getopt_long(argc, argv, ":b:t:r:X:h", table, NULL)) != -1) {
    int status = CLI_EXIT_OK;
    switch (opt) {
    case 'h':
      fputs(dlq_inspect_usage, stdout);
      return cli_finish_output(CLI_EXIT_OK) == CLI_EXIT_OK ? -2
                                                           : CLI_EXIT_USAGE;
    case OPT_FORMAT:
      if (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0)
        in->o.json = optarg[0] == 'j';
      else
        status = cli_usage_error(in->k.cmd, "--format wants text or json, "
                                            "not '%s'",
                                 optarg);
      break;
    case OPT_MAX_MESSAGES:
      status = kcli_positive(in->k.cmd, "--max-messages", optarg,
                             &in->o.max_messages);
      break;
    case OPT_TIMEOUT:
      status = kcli_positive(in->k.cmd, "--timeout-ms", optarg,
                             &in->o.timeout_ms);
      break;
    case '?':
    case ':':
      return cli_usage_error(in->k.cmd, "bad option '%s'", argv[optind - 1]);
    default:
      status = kcli_option(&in->k, opt, optarg);
    }
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (optind < argc)
    return cli_usage_error(in->k.cmd, "unexpected operand '%s'",
                           argv[optind]);
  return kcli_need_kafka(&in->k);
}

/* ---- the counts per reason ------------------------------------------- */

static void count_reason(inspect_t *in, const char *reason) {
  for (size_t i = 0; i < in->reason_count; i++)
    if (strcmp(in->reasons[i].reason, reason) == 0) {
      in->reasons[i].count++;
      return;
    }
  if (in->reason_count == MAX_REASONS) {
    count_reason(in, OTHER_REASONS);
    return;
  }
  reason_count_t *grown =
      realloc(in->reasons, (in->reason_count + 1) * sizeof *grown);
  char *copy = strdup(reason);
  if (!grown || !copy) {
    free(copy);
    if (grown)
      in->reasons = grown;
    return; /* the summary misses it; the message itself was printed */
  }
  in->reasons = grown;
  in->reasons[in->reason_count].reason = copy;
  in->reasons[in->reason_count].count = 1;
  in->reason_count++;
}

static int by_count(const void *a, const void *b) {
  const reason_count_t *x = a, *y = b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return strcmp(x->reason, y->reason);
}

/* "N messages in TOPIC, by reason:" and a line per reason, most first. */
static void print_summary(inspect_t *in, FILE *out) {
  qsort(in->reasons, in->reason_count, sizeof *in->reasons, by_count);
  fprintf(out, "%ld message%s in %s%s\n", in->messages,
          cli_plural_s((unsigned long)in->messages), in->k.topic,
          in->reason_count ? ", by reason:" : "");
  for (size_t i = 0; i < in->reason_count; i++) {
    char *shown = kavro_text_printable(in->reasons[i].reason,
                                       KAVRO_TEXT_ESCAPE_CONTROLS);
    fprintf(out, "%8ld  %s\n", in->reasons[i].count,
            shown ? shown : "(out of memory)");
    free(shown);
  }
}

/* ---- one message ----------------------------------------------------- */

/* The value as Avro JSON (malloc'd), or NULL when it cannot be decoded
 * (or there is no registry to decode it with). */
static char *decoded_value(inspect_t *in, const rd_kafka_message_t *m) {
  if (!in->deserializer || !m->payload)
    return NULL;
  kavro_deserialized_t d;
  kavro_error_t error;
  if (kavro_kafka_decode(in->deserializer, m, false, &d, &error) != KAVRO_OK ||
      !d.value)
    return NULL;
  return kavro_value_to_json(d.schema, d.value, KAVRO_DATUM_JSON_AVRO, &error);
}

static void print_text(const rd_kafka_message_t *m, const dlq_entry_t *e,
                       const char *value) {
  char retries[32] = "";
  if (e->retries >= 0)
    snprintf(retries, sizeof retries, " retries=%ld", e->retries);
  char *line = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&line, &size);
  if (!f)
    return;
  fprintf(f, "%s/%d/%lld from %s/%d/%lld class=%s code=%s%s reason=%s",
          rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
          e->origin_topic[0] ? e->origin_topic : "-", (int)e->origin_partition,
          (long long)e->origin_offset, e->error_class, e->error_code, retries,
          e->reason);
  fclose(f);
  /* Header texts are the sender's: never let them drive the terminal. */
  char *shown = line ? kavro_text_printable(line, KAVRO_TEXT_ESCAPE_CONTROLS)
                     : NULL;
  puts(shown ? shown : "(out of memory)");
  free(shown);
  free(line);
  if (value)
    printf("  value: %s\n", value);
}

/* @number, or null when it is negative (not known). */
static json_t *json_known(long long number) {
  return number < 0 ? json_null() : json_integer(number);
}

static json_t *entry_json(const rd_kafka_message_t *m, const dlq_entry_t *e) {
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "topic", kcli_json_text(rd_kafka_topic_name(m->rkt)));
  json_object_set_new(o, "partition", json_integer(m->partition));
  json_object_set_new(o, "offset", json_integer(m->offset));
  json_object_set_new(o, "timestamp", json_known(e->timestamp));
  json_object_set_new(o, "key", m->key ? kcli_json_bytes(m->key, m->key_len)
                                       : json_null());
  json_object_set_new(o, "origin_topic", e->origin_topic[0]
                                             ? kcli_json_text(e->origin_topic)
                                             : json_null());
  json_object_set_new(o, "origin_partition", json_known(e->origin_partition));
  json_object_set_new(o, "origin_offset", json_known(e->origin_offset));
  json_object_set_new(o, "origin_timestamp", json_known(e->origin_timestamp));
  json_object_set_new(o, "error_class", kcli_json_text(e->error_class));
  json_object_set_new(o, "error_code", kcli_json_text(e->error_code));
  json_object_set_new(o, "reason", kcli_json_text(e->reason));
  if (e->retries >= 0)
    json_object_set_new(o, "retries", json_integer(e->retries));
  if (e->from_rule)
    json_object_set_new(o, "rule", kcli_json_text(e->rule));
  return o;
}

/* One object per line; the value is spliced in as kavro wrote it, so
 * that its numbers keep kavro's round-trip text. */
static void print_json(const rd_kafka_message_t *m, const dlq_entry_t *e,
                       const char *value) {
  json_t *o = entry_json(m, e);
  char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(o);
  if (!text) {
    cli_print_line("kavro dlq inspect: out of memory");
    return;
  }
  size_t length = strlen(text);
  if (value)
    printf("%.*s,\"value\":%s}\n", (int)(length - 1), text, value);
  else
    printf("%s\n", text);
  free(text);
}

static void show_message(inspect_t *in, const rd_kafka_message_t *m) {
  dlq_entry_t e;
  dlq_entry_read(m, &e);
  char *value = decoded_value(in, m);
  if (in->o.json)
    print_json(m, &e, value);
  else
    print_text(m, &e, value);
  free(value);
  count_reason(in, e.reason);
  in->messages++;
}

/* ---- the run --------------------------------------------------------- */

static void show_progress(inspect_t *in, bool last) {
  if (!in->progress)
    return;
  long now = kcli_now_ms();
  if (!last && now - in->progress_ms < PROGRESS_MS)
    return;
  in->progress_ms = now;
  if (last)
    fputs("\r\033[K", stderr);
  else
    fprintf(stderr, "\rkavro dlq inspect: %ld message%s read", in->messages,
            cli_plural_s((unsigned long)in->messages));
  fflush(stderr);
}

static bool all_at_end(const inspect_t *in) {
  for (int i = 0; i < in->partitions; i++)
    if (!in->at_end[i])
      return false;
  return true;
}

static void mark_end(inspect_t *in, int32_t partition, bool at_end) {
  if (partition >= 0 && partition < in->partitions)
    in->at_end[partition] = at_end;
}

static int read_all(inspect_t *in) {
  long last_ms = kcli_now_ms();
  while (!stop_requested) {
    if (in->o.max_messages && in->messages >= in->o.max_messages)
      break;
    if (kcli_now_ms() - last_ms >= in->o.timeout_ms || all_at_end(in))
      break;
    rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, POLL_MS);
    if (!m)
      continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      mark_end(in, m->partition, true);
    } else if (m->err) {
      cli_print_line("kavro dlq inspect: %s", rd_kafka_message_errstr(m));
    } else {
      in->k.brokers_down = false;
      mark_end(in, m->partition, false);
      show_message(in, m);
      last_ms = kcli_now_ms();
      show_progress(in, false);
    }
    rd_kafka_message_destroy(m);
  }
  show_progress(in, true);
  if (!stop_requested && kcli_brokers_unreachable(&in->k, in->rk)) {
    cli_print_line("kavro dlq inspect: no broker could be reached");
    return CLI_EXIT_USAGE;
  }
  print_summary(in, in->o.json ? stderr : stdout);
  return CLI_EXIT_OK;
}

/* The consumer: a throwaway group, nothing stored or committed, and an
 * event at each partition's end. */
static int consumer_settings(inspect_t *in) {
  char group[64];
  snprintf(group, sizeof group, "kavro-dlq-inspect-%ld", (long)getpid());
  static const char *const settings[][2] = {
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
  };
  int status = kcli_kafka_set(&in->k, "group.id", group);
  for (size_t i = 0; status == CLI_EXIT_OK && i < 3; i++)
    status = kcli_kafka_set(&in->k, settings[i][0], settings[i][1]);
  return status;
}

static int setup(inspect_t *in) {
  int status = consumer_settings(in);
  if (status == CLI_EXIT_OK && in->k.have_registry)
    status = kcli_connect(&in->k);
  if (status != CLI_EXIT_OK)
    return status;
  kavro_error_t error;
  if (in->k.registry &&
      !(in->deserializer = kavro_deserializer_new(in->k.registry,
                                                  in->k.serde_conf, NULL,
                                                  &error))) {
    kcli_print_error(in->k.cmd, &error, NULL);
    return CLI_EXIT_USAGE;
  }
  kcli_watch_brokers(&in->k);
  if (!(in->rk = kcli_kafka_new(&in->k, RD_KAFKA_CONSUMER)))
    return CLI_EXIT_USAGE;
  rd_kafka_poll_set_consumer(in->rk);
  status = kcli_assign_all(&in->k, in->rk, RD_KAFKA_OFFSET_BEGINNING,
                           &in->partitions);
  if (status != CLI_EXIT_OK)
    return status;
  in->at_end = calloc((size_t)in->partitions + 1, sizeof *in->at_end);
  if (!in->at_end) {
    cli_print_line("kavro dlq inspect: out of memory");
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

static void inspect_free(inspect_t *in) {
  for (size_t i = 0; i < in->reason_count; i++)
    free(in->reasons[i].reason);
  free(in->reasons);
  free(in->at_end);
  kavro_deserializer_destroy(in->deserializer);
  if (in->rk) {
    rd_kafka_consumer_close(in->rk);
    rd_kafka_destroy(in->rk);
  }
  kcli_free(&in->k);
}

int dlq_inspect_run(int argc, char **argv) {
  inspect_t in;
  memset(&in, 0, sizeof in);
  in.o.timeout_ms = DEFAULT_TIMEOUT_MS;
  in.progress = isatty(STDERR_FILENO);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int status = kcli_init(&in.k, "dlq inspect");
  if (status == CLI_EXIT_OK)
    status = parse_options(argc, argv, &in);
  if (status == CLI_EXIT_OK)
    status = setup(&in);
  if (status == CLI_EXIT_OK)
    status = read_all(&in);
  inspect_free(&in);
  return status == -2 ? CLI_EXIT_OK : cli_finish_output(status);
}
