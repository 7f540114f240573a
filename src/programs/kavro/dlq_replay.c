/*
 * kavro dlq replay - send the messages of a dead-letter topic back to the
 * topics they came from (or --to), once the reason they failed is fixed.
 *
 * Each message goes back unchanged: key, value and the headers it had,
 * less the ones the dead-letter topic added (kavro.dlq.*, __rule.*), plus
 * one, kavro.replay, naming the dead-letter message it came from.
 *
 * Nothing is sent twice: the run reads the dead-letter topic in a
 * consumer group of its own and commits what it read in the same Kafka
 * transaction as what it produced (rd_kafka_send_offsets_to_transaction),
 * so that a run that stops anywhere leaves either both or neither, and
 * the next run starts after the last batch committed.  Consumers of the
 * origin topic see a replayed message once when they read committed data
 * (isolation.level=read_committed, librdkafka's default).
 *
 * Partitions are assigned (offsets from the group's commits), not
 * subscribed, so no run waits for a rebalance; two runs of one group at
 * once would fence each other's transactions rather than share the work.
 */
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dlq.h"
#include "kafka_cli.h"

#define POLL_MS 200
#define DEFAULT_TIMEOUT_MS 5000
/* Messages read per transaction: larger batches commit less often; a
 * failed batch is read again whole. */
#define BATCH_MAX 500
/* Bound on each transactional call (init, send offsets, commit). */
#define TXN_TIMEOUT_MS 30000
#define GROUP_PREFIX "kavro-dlq-replay-"

const char dlq_replay_usage[] =
    "Usage: kavro dlq replay -b HOSTS -t DLQ_TOPIC [--reason REGEX]\n"
    "                        [--since TIME] [--until TIME] [--to TOPIC]\n"
    "                        [--dry-run] [--group ID] [--timeout-ms MS]\n"
    "                        [--max-messages N] [-X K=V]...\n"
    "\n"
    "Produce the messages of DLQ_TOPIC again, unchanged (key, value, their\n"
    "own headers), to the topic each came from or to --to, with a header\n"
    "kavro.replay = DLQ_TOPIC/PARTITION/OFFSET; the headers the dead-letter\n"
    "topic added (kavro.dlq.*, __rule.*) are dropped.  What was read is\n"
    "committed in group ID in the same transaction as what was produced,\n"
    "so a run resumes after the last one and never sends a message twice.\n"
    "Messages not selected are skipped and committed as read.  The last\n"
    "line of output is 'replayed N, skipped M'.\n"
    "\n"
    "Options:\n"
    "  -b, --bootstrap-server HOSTS  Kafka brokers (host:port,...)\n"
    "  -t, --topic DLQ_TOPIC   the dead-letter topic\n"
    "  -X KEY=VALUE            a librdkafka setting (repeatable)\n"
    "      --reason REGEX      only messages whose reason matches REGEX\n"
    "                          (POSIX extended)\n"
    "      --since TIME        only messages from TIME on, and\n"
    "      --until TIME        before TIME: RFC 3339 (2026-12-07T10:00:00Z)\n"
    "                          or milliseconds since the epoch, compared with\n"
    "                          the origin timestamp (kavro.dlq.timestamp),\n"
    "                          else the dead-letter message's own\n"
    "      --to TOPIC          send to TOPIC rather than the origin topic\n"
    "      --dry-run           print what would be replayed ('would replay\n"
    "                          DLQ/PARTITION/OFFSET to TOPIC: REASON'); send\n"
    "                          and commit nothing (N then counts those)\n"
    "      --group ID          the consumer group that keeps the progress\n"
    "                          (default kavro-dlq-replay-DLQ_TOPIC); the\n"
    "                          transactional.id is ID too\n"
    "      --timeout-ms MS     stop when no message came for MS milliseconds\n"
    "                          (default 5000); it stops at the end of the\n"
    "                          topic anyway\n"
    "      --max-messages N    stop after reading N messages (committed)\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 done, 2 usage, connection or transaction error (what\n"
    "the failed transaction held is neither sent nor committed).\n";

enum {
  OPT_REASON = 0x400,
  OPT_SINCE,
  OPT_UNTIL,
  OPT_TO,
  OPT_DRY_RUN,
  OPT_GROUP,
  OPT_TIMEOUT,
  OPT_MAX_MESSAGES
};

typedef struct options_s {
  const char *reason; /* NULL: every reason */
  regex_t reason_re;
  bool have_since, have_until;
  int64_t since, until;
  const char *to;
  bool dry_run;
  const char *group;
  long timeout_ms;
  long max_messages; /* 0: no limit */
} options_t;

typedef struct replay_s {
  kcli_t k;
  options_t o;
  char *group;              /* o.group or the default, malloc'd */
  rd_kafka_t *consumer;
  rd_kafka_t *producer;     /* NULL with --dry-run */
  /* The batch: the offsets to commit with it, and what it did. */
  rd_kafka_topic_partition_list_t *offsets;
  long batch_read, batch_replayed, batch_skipped;
  bool in_transaction;
  long read, replayed, skipped; /* committed (or, dry, seen) */
  bool *at_end;
  int partitions;
} replay_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int option_value(replay_t *r, int opt, const char *arg) {
  options_t *o = &r->o;
  const char *cmd = r->k.cmd;
  switch (opt) {
  case OPT_REASON: {
    regex_t re;
    int rc = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
      char text[256];
      regerror(rc, &re, text, sizeof text);
      return cli_usage_error(cmd, "--reason '%s': %s", arg, text);
    }
    if (o->reason) /* the last --reason given counts */
      regfree(&o->reason_re);
    o->reason_re = re;
    o->reason = arg;
    return CLI_EXIT_OK;
  }
  case OPT_SINCE:
    o->have_since = true;
    return dlq_parse_time(cmd, "--since", arg, &o->since);
  case OPT_UNTIL:
    o->have_until = true;
    return dlq_parse_time(cmd, "--until", arg, &o->until);
  case OPT_TO: o->to = arg; return CLI_EXIT_OK;
  case OPT_DRY_RUN: o->dry_run = true; return CLI_EXIT_OK;
  case OPT_GROUP: o->group = arg; return CLI_EXIT_OK;
  case OPT_TIMEOUT:
    return kcli_positive(cmd, "--timeout-ms", arg, &o->timeout_ms);
  case OPT_MAX_MESSAGES:
    return kcli_positive(cmd, "--max-messages", arg, &o->max_messages);
  default:
    return kcli_option(&r->k, opt, arg);
  }
}

static int parse_options(int argc, char **argv, replay_t *r) {
  static const struct option table[] = {
      {"bootstrap-server", required_argument, NULL, 'b'},
      {"topic", required_argument, NULL, 't'},
      {"reason", required_argument, NULL, OPT_REASON},
      {"since", required_argument, NULL, OPT_SINCE},
      {"until", required_argument, NULL, OPT_UNTIL},
      {"to", required_argument, NULL, OPT_TO},
      {"dry-run", no_argument, NULL, OPT_DRY_RUN},
      {"group", required_argument, NULL, OPT_GROUP},
      {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
      {"max-messages", required_argument, NULL, OPT_MAX_MESSAGES},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  opterr = 0;
  optind = 1;
  int opt;
  while ((opt = getopt_long(argc, argv, ":b:t:X:h", table, NULL)) != -1) {
    if (opt == 'h') {
      fputs(dlq_replay_usage, stdout);
      return cli_finish_output(CLI_EXIT_OK) == CLI_EXIT_OK ? -2
                                                           : CLI_EXIT_USAGE;
    }
    if (opt == '?' || opt == ':')
      return cli_usage_error(r->k.cmd, "bad option '%s'", argv[optind - 1]);
    int status = option_value(r, opt, optarg);
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (optind < argc)
    return cli_usage_error(r->k.cmd, "unexpected operand '%s'", argv[optind]);
  if (r->o.have_since && r->o.have_until && r->o.until <= r->o.since)
    return cli_usage_error(r->k.cmd, "--until must be after --since");
  return kcli_need_kafka(&r->k);
}

/* ---- choosing -------------------------------------------------------- */

/* The topic @e goes back to, or NULL (reported) when it has none. */
static const char *target_of(const replay_t *r, const rd_kafka_message_t *m,
                             const dlq_entry_t *e) {
  if (r->o.to)
    return r->o.to;
  if (e->origin_topic[0])
    return e->origin_topic;
  cli_print_line("kavro dlq replay: %s/%d/%lld: skipped: no origin topic in "
                 "its headers (give --to TOPIC)",
                 rd_kafka_topic_name(m->rkt), (int)m->partition,
                 (long long)m->offset);
  return NULL;
}

static bool selected(const replay_t *r, const dlq_entry_t *e) {
  if (r->o.reason && regexec(&r->o.reason_re, e->reason, 0, NULL, 0) != 0)
    return false;
  int64_t t = dlq_entry_time(e);
  if ((r->o.have_since || r->o.have_until) && t < 0)
    return false;
  if (r->o.have_since && t < r->o.since)
    return false;
  return !(r->o.have_until && t >= r->o.until);
}

/* ---- producing ------------------------------------------------------- */

/* @m's own headers, without those the dead-letter topic added, plus
 * kavro.replay.  NULL when memory runs out. */
static rd_kafka_headers_t *replay_headers(const rd_kafka_message_t *m) {
  rd_kafka_headers_t *from = NULL;
  rd_kafka_message_headers(m, &from);
  rd_kafka_headers_t *h =
      rd_kafka_headers_new(from ? rd_kafka_header_cnt(from) + 1 : 1);
  if (!h)
    return NULL;
  const char *name;
  const void *value;
  size_t size;
  for (size_t i = 0;
       from && rd_kafka_header_get_all(from, i, &name, &value, &size) ==
                   RD_KAFKA_RESP_ERR_NO_ERROR;
       i++)
    if (!dlq_header_is_added(name))
      rd_kafka_header_add(h, name, -1, value, (ssize_t)size);
  char origin[512];
  snprintf(origin, sizeof origin, "%s/%d/%lld", rd_kafka_topic_name(m->rkt),
           (int)m->partition, (long long)m->offset);
  rd_kafka_header_add(h, DLQ_HEADER_REPLAY, -1, origin, -1);
  return h;
}

static bool produce_again(replay_t *r, const rd_kafka_message_t *m,
                          const char *topic) {
  rd_kafka_headers_t *h = replay_headers(m);
  if (!h) {
    cli_print_line("kavro dlq replay: out of memory");
    return false;
  }
  rd_kafka_resp_err_t err = rd_kafka_producev(
      r->producer, RD_KAFKA_V_TOPIC(topic),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(m->key, m->key_len),
      RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_HEADERS(h),
      RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(h);
    cli_print_line("kavro dlq replay: to %s: %s", topic,
                   rd_kafka_err2str(err));
    return false;
  }
  return true;
}

/* ---- the transaction ------------------------------------------------- */

/* Abort the open transaction: nothing of the batch is sent or
 * committed, and the next run reads it again. */
static void batch_abort(replay_t *r) {
  if (!r->in_transaction)
    return;
  rd_kafka_error_t *error =
      rd_kafka_abort_transaction(r->producer, TXN_TIMEOUT_MS);
  if (error) {
    cli_print_line("kavro dlq replay: abort transaction: %s",
                   rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
  r->in_transaction = false;
}

/* Report @error of @what, abort the transaction when it must be, and
 * free @error; false.  (A fatal error needs no abort: the producer can
 * do nothing more, and the broker drops the transaction.) */
static bool txn_failed(replay_t *r, const char *what, rd_kafka_error_t *error) {
  cli_print_line("kavro dlq replay: %s: %s", what, rd_kafka_error_string(error));
  if (rd_kafka_error_txn_requires_abort(error))
    batch_abort(r);
  else
    r->in_transaction = false;
  rd_kafka_error_destroy(error);
  return false;
}

static bool batch_begin(replay_t *r) {
  if (r->o.dry_run || r->in_transaction)
    return true;
  rd_kafka_error_t *error = rd_kafka_begin_transaction(r->producer);
  if (error)
    return txn_failed(r, "begin transaction", error);
  r->in_transaction = true;
  return true;
}

/* The same offsets again, committed by the consumer once the transaction
 * has: a broker stores them with the transaction already, and this
 * changes nothing there; librdkafka's mock cluster (2.0, and later
 * versions alike) acknowledges TxnOffsetCommit without storing the
 * offsets, so without this a run on it would start over each time.  If
 * it fails, the transaction still holds: say so and go on. */
static void commit_plainly(replay_t *r) {
  rd_kafka_resp_err_t err = rd_kafka_commit(r->consumer, r->offsets, 0);
  if (err)
    cli_print_line("kavro dlq replay: committing the offsets again after "
                   "the transaction: %s",
                   rd_kafka_err2str(err));
}

/* Commit what the batch produced with the offsets after what it read. */
static bool batch_commit(replay_t *r) {
  if (!r->batch_read)
    return true;
  if (!r->o.dry_run) {
    rd_kafka_consumer_group_metadata_t *cgmd =
        rd_kafka_consumer_group_metadata(r->consumer);
    rd_kafka_error_t *error = rd_kafka_send_offsets_to_transaction(
        r->producer, r->offsets, cgmd, TXN_TIMEOUT_MS);
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    if (error)
      return txn_failed(r, "commit the offsets read", error);
    if ((error = rd_kafka_commit_transaction(r->producer, TXN_TIMEOUT_MS)))
      return txn_failed(r, "commit transaction", error);
    r->in_transaction = false;
    commit_plainly(r);
  }
  r->read += r->batch_read;
  r->replayed += r->batch_replayed;
  r->skipped += r->batch_skipped;
  r->batch_read = r->batch_replayed = r->batch_skipped = 0;
  rd_kafka_topic_partition_list_destroy(r->offsets);
  r->offsets = rd_kafka_topic_partition_list_new(r->partitions);
  return r->offsets != NULL;
}

/* ---- one message ----------------------------------------------------- */

static bool handle(replay_t *r, const rd_kafka_message_t *m) {
  if (!batch_begin(r))
    return false;
  dlq_entry_t e;
  dlq_entry_read(m, &e);
  const char *topic = selected(r, &e) ? target_of(r, m, &e) : NULL;
  if (topic && r->o.dry_run) {
    char *line = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&line, &size);
    if (f) {
      fprintf(f, "would replay %s/%d/%lld to %s: %s",
              rd_kafka_topic_name(m->rkt), (int)m->partition,
              (long long)m->offset, topic, e.reason);
      fclose(f);
    }
    char *shown =
        line ? kavro_text_printable(line, KAVRO_TEXT_ESCAPE_CONTROLS) : NULL;
    puts(shown ? shown : "(out of memory)");
    free(shown);
    free(line);
  } else if (topic && !produce_again(r, m, topic)) {
    return false;
  }
  if (topic)
    r->batch_replayed++;
  else
    r->batch_skipped++;
  r->batch_read++;
  rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
      r->offsets, rd_kafka_topic_name(m->rkt), m->partition);
  if (!p)
    p = rd_kafka_topic_partition_list_add(r->offsets,
                                          rd_kafka_topic_name(m->rkt),
                                          m->partition);
  p->offset = m->offset + 1;
  return r->batch_read < BATCH_MAX || batch_commit(r);
}

/* ---- the run --------------------------------------------------------- */

static bool all_at_end(const replay_t *r) {
  for (int i = 0; i < r->partitions; i++)
    if (!r->at_end[i])
      return false;
  return true;
}

static void mark_end(replay_t *r, int32_t partition, bool at_end) {
  if (partition >= 0 && partition < r->partitions)
    r->at_end[partition] = at_end;
}

static bool limit_reached(const replay_t *r) {
  return r->o.max_messages && r->read + r->batch_read >= r->o.max_messages;
}

static int replay_all(replay_t *r) {
  long last_ms = kcli_now_ms();
  bool ok = true;
  while (ok && !stop_requested && !limit_reached(r) && !all_at_end(r) &&
         kcli_now_ms() - last_ms < r->o.timeout_ms) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(r->consumer, POLL_MS);
    if (!m) {
      ok = batch_commit(r); /* a quiet moment: keep what is done */
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      mark_end(r, m->partition, true);
    } else if (m->err) {
      cli_print_line("kavro dlq replay: %s", rd_kafka_message_errstr(m));
    } else {
      r->k.brokers_down = false;
      mark_end(r, m->partition, false);
      ok = handle(r, m);
      last_ms = kcli_now_ms();
    }
    rd_kafka_message_destroy(m);
  }
  if (ok)
    ok = batch_commit(r);
  else
    batch_abort(r);
  printf("replayed %ld, skipped %ld\n", r->replayed, r->skipped);
  if (!ok)
    return CLI_EXIT_USAGE;
  if (!stop_requested && kcli_brokers_unreachable(&r->k, r->consumer)) {
    cli_print_line("kavro dlq replay: no broker could be reached");
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

/* The transactional producer, with the -X settings the consumer gets too:
 * made before the consumer's own settings are added. */
static int producer_new(replay_t *r) {
  rd_kafka_conf_t *conf = rd_kafka_conf_dup(r->k.kafka_conf);
  char errstr[512];
  if (!conf ||
      rd_kafka_conf_set(conf, "transactional.id", r->group, errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK) {
    if (conf)
      rd_kafka_conf_destroy(conf);
    cli_print_line("kavro dlq replay: cannot configure the producer");
    return CLI_EXIT_USAGE;
  }
  if (!(r->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                   sizeof errstr))) {
    rd_kafka_conf_destroy(conf);
    cli_print_line("kavro dlq replay: %s", errstr);
    return CLI_EXIT_USAGE;
  }
  rd_kafka_error_t *error =
      rd_kafka_init_transactions(r->producer, TXN_TIMEOUT_MS);
  if (error) {
    cli_print_line("kavro dlq replay: init transactions: %s",
                   rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

/* The consumer: the group's committed offsets (else the beginning),
 * committed data only, nothing committed but by the transactions. */
static int consumer_new(replay_t *r) {
  static const char *const settings[][2] = {
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      {"isolation.level", "read_committed"},
  };
  int status = kcli_kafka_set(&r->k, "group.id", r->group);
  for (size_t i = 0; status == CLI_EXIT_OK && i < 5; i++)
    status = kcli_kafka_set(&r->k, settings[i][0], settings[i][1]);
  if (status != CLI_EXIT_OK)
    return status;
  kcli_watch_brokers(&r->k);
  if (!(r->consumer = kcli_kafka_new(&r->k, RD_KAFKA_CONSUMER)))
    return CLI_EXIT_USAGE;
  rd_kafka_poll_set_consumer(r->consumer);
  return kcli_assign_all(&r->k, r->consumer, RD_KAFKA_OFFSET_STORED,
                         &r->partitions);
}

static int setup(replay_t *r) {
  if (r->o.group) {
    r->group = strdup(r->o.group);
  } else if ((r->group = malloc(strlen(GROUP_PREFIX) + strlen(r->k.topic) + 1))) {
    strcpy(r->group, GROUP_PREFIX);
    strcat(r->group, r->k.topic);
  }
  if (!r->group) {
    cli_print_line("kavro dlq replay: out of memory");
    return CLI_EXIT_USAGE;
  }
  int status = r->o.dry_run ? CLI_EXIT_OK : producer_new(r);
  if (status == CLI_EXIT_OK)
    status = consumer_new(r);
  if (status != CLI_EXIT_OK)
    return status;
  r->at_end = calloc((size_t)r->partitions + 1, sizeof *r->at_end);
  r->offsets = rd_kafka_topic_partition_list_new(r->partitions);
  if (!r->at_end || !r->offsets) {
    cli_print_line("kavro dlq replay: out of memory");
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

static void replay_free(replay_t *r) {
  if (r->o.reason)
    regfree(&r->o.reason_re);
  if (r->offsets)
    rd_kafka_topic_partition_list_destroy(r->offsets);
  free(r->at_end);
  if (r->consumer) {
    rd_kafka_consumer_close(r->consumer);
    rd_kafka_destroy(r->consumer);
  }
  if (r->producer)
    rd_kafka_destroy(r->producer);
  free(r->group);
  kcli_free(&r->k);
}

int dlq_replay_run(int argc, char **argv) {
  replay_t r;
  memset(&r, 0, sizeof r);
  r.o.timeout_ms = DEFAULT_TIMEOUT_MS;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int status = kcli_init(&r.k, "dlq replay");
  if (status == CLI_EXIT_OK)
    status = parse_options(argc, argv, &r);
  if (status == CLI_EXIT_OK)
    status = setup(&r);
  if (status == CLI_EXIT_OK)
    status = replay_all(&r);
  replay_free(&r);
  return status == -2 ? CLI_EXIT_OK : cli_finish_output(status);
}
