/*
 * kavro mock-registry - run kavro's mock Schema Registry as a development
 * registry on a loopback port.
 *
 * The first line of output is the URL it serves, flushed at once, so that
 * a script can start it with port 0 and read where it went.  With --data
 * the store is loaded from FILE at start (when FILE exists) and every
 * change is on disk in FILE before it is answered (kavro_mock_persist()),
 * so that even kill -9 loses nothing answered 200.  SIGINT and SIGTERM
 * stop it cleanly: the
 * signals are blocked before any server thread starts and waited for here,
 * so no handler runs in the middle of a request.  With --tls-cert and
 * --tls-key it serves HTTPS, and with --tls-client-ca it requires client
 * certificates signed by that CA.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include <kavro/mock.h>

static const char usage[] =
    "Usage: kavro mock-registry [--listen ADDR:PORT] [--data FILE]\n"
    "                           [--tls-cert FILE --tls-key FILE\n"
    "                            [--tls-client-ca FILE]]\n"
    "\n"
    "Serve an in-memory Confluent Schema Registry over HTTP (or HTTPS) until\n"
    "SIGINT or SIGTERM.  The first line of output is 'listening on URL'.\n"
    "\n"
    "Options:\n"
    "  -l, --listen ADDR:PORT  IPv4 address and port (default 127.0.0.1:0,\n"
    "                          0 = a free port chosen by the system)\n"
    "  -d, --data FILE         load schemas from FILE at start when it\n"
    "                          exists; write each change to it before\n"
    "                          answering (a change that cannot be written\n"
    "                          is refused with 500)\n"
    "      --tls-cert FILE     serve HTTPS with this PEM certificate (chain)\n"
    "      --tls-key FILE      and this unencrypted PEM private key\n"
    "      --tls-client-ca FILE  require client certificates signed by a CA\n"
    "                          in this PEM file\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 stopped by a signal, 2 usage error or the port or FILE\n"
    "could not be used.\n";

typedef struct options_s {
  char address[64];
  unsigned port;
  const char *data;
  const char *tls_cert;      /* NULL: plain HTTP */
  const char *tls_key;
  const char *tls_client_ca; /* NULL: no client certificates asked */
} options_t;

enum { OPT_TLS_CERT = 256, OPT_TLS_KEY, OPT_TLS_CLIENT_CA };

static int parse_listen(const char *arg, options_t *o) {
  const char *colon = strrchr(arg, ':');
  char *end;
  errno = 0;
  unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
  if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(o->address) ||
      !colon[1] || *end || errno || port > 65535)
    return cli_usage_error("mock-registry",
                           "--listen wants ADDR:PORT (e.g. 127.0.0.1:8081), "
                           "not '%s'",
                           arg);
  memcpy(o->address, arg, (size_t)(colon - arg));
  o->address[colon - arg] = '\0';
  o->port = (unsigned)port;
  return CLI_EXIT_OK;
}

/* -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, options_t *o) {
  static const struct option table[] = {
      {"listen", required_argument, NULL, 'l'},
      {"data", required_argument, NULL, 'd'},
      {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
      {"tls-key", required_argument, NULL, OPT_TLS_KEY},
      {"tls-client-ca", required_argument, NULL, OPT_TLS_CLIENT_CA},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  opterr = 0;
  optind = 1;
  int opt;
  while ((opt = getopt_long(argc, argv, ":l:d:h", table, NULL)) != -1) {
    int status = CLI_EXIT_OK;
    if (opt == 'h') {
      fputs(usage, stdout);
      return cli_finish_output(CLI_EXIT_OK);
    } else if (opt == 'l') {
      status = parse_listen(optarg, o);
    } else if (opt == 'd') {
      o->data = optarg;
    } else if (opt == OPT_TLS_CERT) {
      o->tls_cert = optarg;
    } else if (opt == OPT_TLS_KEY) {
      o->tls_key = optarg;
    } else if (opt == OPT_TLS_CLIENT_CA) {
      o->tls_client_ca = optarg;
    } else {
      status = cli_usage_error("mock-registry", "unknown option or missing "
                                                "value: '%s'",
                               argv[optind - 1]);
    }
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (optind < argc)
    return cli_usage_error("mock-registry", "unexpected argument '%s'",
                           argv[optind]);
  if (!o->tls_cert != !o->tls_key || (o->tls_client_ca && !o->tls_cert))
    return cli_usage_error("mock-registry", "--tls-cert and --tls-key go "
                                            "together, and --tls-client-ca "
                                            "needs them");
  return -1;
}

static void report(const char *what, const kavro_error_t *error) {
  char text[1024];
  cli_print_line("kavro mock-registry: %s: %s", what,
                 kavro_error_format(error, text, sizeof(text)));
}

/* Wait for SIGINT or SIGTERM (blocked in @signals). */
static void wait_for_signal(const sigset_t *signals) {
  int sig;
  while (sigwait(signals, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
    ;
}

static int start(kavro_mock_t *mock, const options_t *o) {
  kavro_error_t error;
  if (o->data && kavro_mock_persist(mock, o->data, &error) != KAVRO_OK) {
    report("cannot keep the registry in its file", &error);
    return CLI_EXIT_USAGE;
  }
  kavro_err_t err =
      o->tls_cert ? kavro_mock_listen_tls(mock, o->address, o->port,
                                          o->tls_cert, o->tls_key,
                                          o->tls_client_ca, &error)
                  : kavro_mock_listen(mock, o->address, o->port, &error);
  if (err != KAVRO_OK) {
    report("cannot listen", &error);
    return CLI_EXIT_USAGE;
  }
  printf("listening on %s\n", kavro_mock_url(mock));
  return cli_finish_output(CLI_EXIT_OK);
}

static int run(int argc, char **argv) {
  options_t o = {.address = "127.0.0.1", .port = 0};
  int status = parse_options(argc, argv, &o);
  if (status >= 0)
    return status;
  /* Blocked before the server's threads exist, so they inherit the mask
   * and only sigtimedwait() below ever takes these signals. */
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  kavro_mock_t *mock;
  kavro_error_t error;
  if (kavro_mock_new(NULL, &mock, &error) != KAVRO_OK) {
    report("cannot start", &error);
    return CLI_EXIT_USAGE;
  }
  status = start(mock, &o);
  if (status == CLI_EXIT_OK)
    wait_for_signal(&signals);
  kavro_mock_destroy(mock);
  return status;
}

const cli_command_t cli_mock_registry = {
    .name = "mock-registry",
    .summary = "serve a mock Schema Registry over HTTP or HTTPS",
    .run = run,
};
