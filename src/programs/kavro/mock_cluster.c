/*
 * kavro mock-cluster - run librdkafka's mock cluster as a program, so
 * that other processes (kavro produce -b, consume -b, dlq, tests) share
 * one embedded Kafka, as `kavro mock-registry` serves one registry.
 *
 * The first line of output is "bootstrap HOST:PORT[,HOST:PORT...]",
 * flushed at once.  SIGINT and SIGTERM stop it (exit 0): they are blocked
 * before librdkafka starts a thread, so every thread inherits the mask and
 * only sigwait() here takes them.
 *
 * librdkafka 2.0 (Debian 12) binds every mock broker to 127.0.0.1 on a
 * port the system chooses, and offers no call to choose the address
 * (rd_kafka_mock_broker_set_host() and listener settings do not exist in
 * rdkafka_mock.h there): --listen accepts 127.0.0.1 alone and says so for
 * anything else, rather than pretend.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kafka_cli.h"
#include <librdkafka/rdkafka_mock.h>

#define MAX_BROKERS 16
/* The only address librdkafka 2.0's mock brokers listen on. */
#define MOCK_HOST "127.0.0.1"

static const char usage[] =
    "Usage: kavro mock-cluster [--brokers N] [--listen HOST]\n"
    "\n"
    "Run an embedded Kafka cluster (librdkafka's mock cluster) until SIGINT\n"
    "or SIGTERM, for other processes to share.  The first line of output is\n"
    "'bootstrap HOST:PORT[,HOST:PORT...]', the value for -b.  Topics are\n"
    "created when first produced to; transactions and consumer groups work.\n"
    "Nothing is kept after it stops.\n"
    "\n"
    "Options:\n"
    "  -n, --brokers N         number of brokers, 1 to 16 (default 1)\n"
    "  -l, --listen HOST       the address the brokers listen on: only\n"
    "                          127.0.0.1 (the default), the one librdkafka's\n"
    "                          mock cluster can use\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 stopped by a signal, 2 usage error or the cluster could\n"
    "not be started.\n";

/* -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, long *brokers) {
  static const struct option table[] = {
      {"brokers", required_argument, NULL, 'n'},
      {"listen", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  opterr = 0;
  optind = 1;
  int opt;
  while ((opt = getopt_long(argc, argv, ":n:l:h", table, NULL)) != -1) {
    int status = CLI_EXIT_OK;
    if (opt == 'h') {
      fputs(usage, stdout);
      return cli_finish_output(CLI_EXIT_OK);
    } else if (opt == 'n') {
      status = kcli_positive("mock-cluster", "--brokers", optarg, brokers);
      if (status == CLI_EXIT_OK && *brokers > MAX_BROKERS)
        status = cli_usage_error("mock-cluster", "--brokers wants 1 to %d",
                                 MAX_BROKERS);
    } else if (opt == 'l') {
      if (strcmp(optarg, MOCK_HOST) != 0)
        status = cli_usage_error(
            "mock-cluster",
            "--listen: librdkafka's mock cluster binds its brokers to "
            MOCK_HOST " only; '%s' cannot be used",
            optarg);
    } else {
      status = cli_usage_error("mock-cluster",
                               "unknown option or missing value: '%s'",
                               argv[optind - 1]);
    }
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (optind < argc)
    return cli_usage_error("mock-cluster", "unexpected argument '%s'",
                           argv[optind]);
  return -1;
}

/* The handle that owns the cluster: a producer that never produces. */
static rd_kafka_t *host_new(void) {
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* Its complaint of having no bootstrap.servers is noise here. */
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    cli_print_line("kavro mock-cluster: %s", errstr);
    return NULL;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    cli_print_line("kavro mock-cluster: %s", errstr);
  }
  return rk;
}

static void wait_for_signal(const sigset_t *signals) {
  int sig;
  while (sigwait(signals, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
    ;
}

static int run(int argc, char **argv) {
  long brokers = 1;
  int status = parse_options(argc, argv, &brokers);
  if (status >= 0)
    return status;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  rd_kafka_t *host = host_new();
  if (!host)
    return CLI_EXIT_USAGE;
  rd_kafka_mock_cluster_t *cluster =
      rd_kafka_mock_cluster_new(host, (int)brokers);
  if (!cluster) {
    cli_print_line("kavro mock-cluster: the mock cluster could not be "
                   "started");
    rd_kafka_destroy(host);
    return CLI_EXIT_USAGE;
  }
  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  status = cli_finish_output(CLI_EXIT_OK);
  if (status == CLI_EXIT_OK)
    wait_for_signal(&signals);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return status;
}

const cli_command_t cli_mock_cluster = {
    .name = "mock-cluster",
    .summary = "run an embedded Kafka cluster for other processes",
    .run = run,
};
