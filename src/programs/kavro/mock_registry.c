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
 * certificates signed by that CA.  --basic-auth and --oauth make it
 * require credentials (kavro_mock_require_basic_auth(), a bearer token
 * from its own token endpoint); they are set before it listens, so no
 * request is ever served without them, and they are never printed.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "metrics_http.h"
#include <kavro/mock.h>

static const char usage[] =
    "Usage: kavro mock-registry [--listen ADDR:PORT] [--data FILE]\n"
    "                           [--tls-cert FILE --tls-key FILE\n"
    "                            [--tls-client-ca FILE]]\n"
    "                           [--basic-auth USER:PASSWORD]\n"
    "                           [--oauth CLIENT_ID:SECRET[:LIFETIME]]\n"
    "                           [--metrics-listen ADDR:PORT]\n"
    "\n"
    "Serve an in-memory Confluent Schema Registry over HTTP (or HTTPS) until\n"
    "SIGINT or SIGTERM.  The first line of output is 'listening on URL'.\n"
    "\n"
    "Options:\n"
    "  -l, --listen ADDR:PORT  IPv4 address and port, or [IPv6 address]:PORT\n"
    "                          (default 127.0.0.1:0, 0 = a free port chosen\n"
    "                          by the system)\n"
    "  -d, --data FILE         load schemas from FILE at start when it\n"
    "                          exists; write each change to it before\n"
    "                          answering (a change that cannot be written\n"
    "                          is refused with 500)\n"
    "      --tls-cert FILE     serve HTTPS with this PEM certificate (chain)\n"
    "      --tls-key FILE      and this unencrypted PEM private key\n"
    "      --tls-client-ca FILE  require client certificates signed by a CA\n"
    "                          in this PEM file\n"
    "      --basic-auth USER:PASSWORD  require HTTP basic auth (else 401)\n"
    "      --oauth CLIENT_ID:SECRET[:LIFETIME]  serve POST /oauth/token\n"
    "                          (client credentials) issuing tokens valid\n"
    "                          LIFETIME seconds (1..86400, default 3600),\n"
    "                          and require one of them (else 401)\n"
    "      --metrics-listen ADDR:PORT  serve Prometheus metrics at\n"
    "                          http://ADDR:PORT/metrics (0 = a free port);\n"
    "                          the second line of output is then\n"
    "                          'metrics on URL'\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 stopped by a signal, 2 usage error or the port or FILE\n"
    "could not be used.\n";

typedef struct options_s {
  char address[CLI_ADDRESS_SIZE];
  unsigned port;
  char metrics_address[CLI_ADDRESS_SIZE]; /* "": no metrics server */
  unsigned metrics_port;
  const char *data;
  const char *tls_cert;      /* NULL: plain HTTP */
  const char *tls_key;
  const char *tls_client_ca; /* NULL: no client certificates asked */
  const char *basic_auth;    /* "USER:PASSWORD"; NULL: none required */
  char *oauth_client_id;     /* malloc'd; NULL: no token endpoint */
  char *oauth_secret;        /* malloc'd with oauth_client_id */
  unsigned oauth_lifetime;
} options_t;

enum {
  OPT_TLS_CERT = 256,
  OPT_TLS_KEY,
  OPT_TLS_CLIENT_CA,
  OPT_BASIC_AUTH,
  OPT_OAUTH,
  OPT_METRICS_LISTEN
};

/* Default lifetime of the tokens --oauth issues, and the longest the
 * mock's token endpoint accepts (kavro_mock_serve_tokens()). */
#define OAUTH_LIFETIME_DEFAULT 3600u
#define OAUTH_LIFETIME_MAX 86400u

static void options_free(options_t *o) {
  free(o->oauth_client_id);
  free(o->oauth_secret);
}

/* The messages below never quote the value: it holds a secret. */
static int parse_basic_auth(const char *arg, options_t *o) {
  if (!strchr(arg, ':'))
    return cli_usage_error("mock-registry",
                           "--basic-auth wants USER:PASSWORD");
  o->basic_auth = arg;
  return CLI_EXIT_OK;
}

/* Whether @text is decimal digits alone (a lifetime, checked later). */
static bool all_digits(const char *text) {
  size_t n = strspn(text, "0123456789");
  return n > 0 && text[n] == '\0';
}

/* CLIENT_ID:SECRET[:LIFETIME]: the id ends at the first ':', and a last
 * ':' followed by digits alone gives the lifetime (so a secret that ends
 * in ":DIGITS" must be followed by the lifetime). */
static int parse_oauth(const char *arg, options_t *o) {
  const char *colon = strchr(arg, ':');
  if (!colon || colon == arg)
    return cli_usage_error("mock-registry",
                           "--oauth wants CLIENT_ID:SECRET[:LIFETIME]");
  const char *secret = colon + 1;
  const char *last = strrchr(secret, ':');
  size_t secret_length = strlen(secret);
  unsigned long lifetime = OAUTH_LIFETIME_DEFAULT;
  if (last && all_digits(last + 1)) {
    secret_length = (size_t)(last - secret);
    lifetime = strtoul(last + 1, NULL, 10);
    if (lifetime < 1 || lifetime > OAUTH_LIFETIME_MAX)
      return cli_usage_error("mock-registry",
                             "--oauth: the token lifetime must be 1 to %u "
                             "seconds",
                             OAUTH_LIFETIME_MAX);
  }
  free(o->oauth_client_id);
  free(o->oauth_secret);
  o->oauth_client_id = strndup(arg, (size_t)(colon - arg));
  o->oauth_secret = strndup(secret, secret_length);
  o->oauth_lifetime = (unsigned)lifetime;
  if (!o->oauth_client_id || !o->oauth_secret) {
    cli_print_line("kavro mock-registry: out of memory");
    return CLI_EXIT_USAGE;
  }
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
      {"basic-auth", required_argument, NULL, OPT_BASIC_AUTH},
      {"oauth", required_argument, NULL, OPT_OAUTH},
      {"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
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
      status = cli_parse_address("mock-registry", "--listen", optarg,
                                 o->address, &o->port);
    } else if (opt == 'd') {
      o->data = optarg;
    } else if (opt == OPT_TLS_CERT) {
      o->tls_cert = optarg;
    } else if (opt == OPT_TLS_KEY) {
      o->tls_key = optarg;
    } else if (opt == OPT_TLS_CLIENT_CA) {
      o->tls_client_ca = optarg;
    } else if (opt == OPT_BASIC_AUTH) {
      status = parse_basic_auth(optarg, o);
    } else if (opt == OPT_OAUTH) {
      status = parse_oauth(optarg, o);
    } else if (opt == OPT_METRICS_LISTEN) {
      status = cli_parse_address("mock-registry", "--metrics-listen", optarg,
                                 o->metrics_address, &o->metrics_port);
    } else {
      /* Up to an '=' only: a mistyped --basic-auth=USER:PASSWORD must
       * not print the password. */
      const char *word = argv[optind - 1];
      status = cli_usage_error("mock-registry", "unknown option or missing "
                                                "value: '%.*s'",
                               (int)strcspn(word, "="), word);
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

/* Require the credentials of @o; before listening, so that no request is
 * served without them. */
static kavro_err_t require_auth(kavro_mock_t *mock, const options_t *o,
                                kavro_error_t *error) {
  if (o->basic_auth &&
      kavro_mock_require_basic_auth(mock, o->basic_auth, error) != KAVRO_OK)
    return error->code;
  if (o->oauth_client_id) {
    if (kavro_mock_serve_tokens(mock, o->oauth_client_id, o->oauth_secret,
                                o->oauth_lifetime, error) != KAVRO_OK)
      return error->code;
    kavro_mock_require_bearer_auth(mock, true);
  }
  return KAVRO_OK;
}

static int start(kavro_mock_t *mock, const options_t *o,
                 cli_metrics_t **metricsp) {
  kavro_error_t error;
  if (o->data && kavro_mock_persist(mock, o->data, &error) != KAVRO_OK) {
    report("cannot keep the registry in its file", &error);
    return CLI_EXIT_USAGE;
  }
  if (require_auth(mock, o, &error) != KAVRO_OK) {
    report("cannot require credentials", &error);
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
  fflush(stdout);
  if (o->metrics_address[0] &&
      !(*metricsp = cli_metrics_start("mock-registry", o->metrics_address,
                                      o->metrics_port)))
    return CLI_EXIT_USAGE;
  return cli_finish_output(CLI_EXIT_OK);
}

static int run(int argc, char **argv) {
  options_t o = {.address = "127.0.0.1", .port = 0};
  int status = parse_options(argc, argv, &o);
  if (status >= 0) {
    options_free(&o);
    return status;
  }
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
    options_free(&o);
    return CLI_EXIT_USAGE;
  }
  cli_metrics_t *metrics = NULL;
  status = start(mock, &o, &metrics);
  if (status == CLI_EXIT_OK)
    wait_for_signal(&signals);
  cli_metrics_stop(metrics);
  kavro_mock_destroy(mock);
  options_free(&o);
  return status;
}

const cli_command_t cli_mock_registry = {
    .name = "mock-registry",
    .summary = "serve a mock Schema Registry over HTTP or HTTPS",
    .run = run,
};
