/*
 * kavro (the program) - `--metrics-listen ADDR:PORT`: the library's
 * metrics (kavro_metrics_prometheus()) served at GET /metrics for a
 * Prometheus server to scrape, by `kavro consume` and `kavro
 * mock-registry`.
 */
#ifndef KAVRO_CLI_METRICS_HTTP_H
#define KAVRO_CLI_METRICS_HTTP_H

/* Room for the address part of ADDR:PORT. */
#define CLI_ADDRESS_SIZE 64

/* Read @arg, the value of @option of subcommand @cmd, as IPv4ADDR:PORT or
 * [IPv6ADDR]:PORT into @address (CLI_ADDRESS_SIZE bytes, without the
 * brackets) and @port (0: any free port).
 * CLI_EXIT_OK, or CLI_EXIT_USAGE with the message printed. */
int cli_parse_address(const char *cmd, const char *option, const char *arg,
                      char *address, unsigned *port);

typedef struct cli_metrics_s cli_metrics_t;

/* Serve the metrics on @address:@port from a thread of its own (started
 * here: block signals first if the caller waits for them) and print
 * "metrics on http://ADDR:PORT/metrics" on stdout, the real port when 0
 * was given, flushed.  NULL with a message on stderr when it cannot
 * listen. */
cli_metrics_t *cli_metrics_start(const char *cmd, const char *address,
                                 unsigned port);

/* Stop serving (NULL-safe). */
void cli_metrics_stop(cli_metrics_t *metrics);

#endif /* KAVRO_CLI_METRICS_HTTP_H */
