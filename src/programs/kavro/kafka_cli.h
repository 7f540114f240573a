/*
 * kavro (the program) - what `kavro produce` and `kavro consume` share:
 * the Kafka and registry options (-b, -r, -X, --mock-cluster), split
 * between librdkafka's and kavro's configuration, and printing a refusal
 * of the compatibility gate.
 */
#ifndef KAVRO_KAFKA_CLI_H
#define KAVRO_KAFKA_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include <kavro.h>
#include <kavro/kafka.h>

/* The options' lines for a --help text. */
#define KCLI_USAGE                                                             \
  "  -b, --bootstrap-server HOSTS  Kafka brokers (host:port,...)\n"             \
  "  -r, --registry URL      Schema Registry URL\n"                           \
  "  -t, --topic TOPIC       the topic\n"                                      \
  "  -X KEY=VALUE            a setting: kavro's (schema.registry.*,\n"         \
  "                          auto.register.schemas, ...) or librdkafka's;\n"   \
  "                          a key neither knows is an error (repeatable)\n"   \
  "      --mock-cluster N    use an embedded librdkafka mock cluster of N\n"   \
  "                          brokers instead of -b; it lives as long as the\n" \
  "                          command (to try the registry and the gate)\n"

/* Long options every Kafka subcommand takes, for its getopt table. */
#define KCLI_OPT_MOCK 0x100
#define KCLI_LONG_OPTIONS                                                      \
  {"bootstrap-server", required_argument, NULL, 'b'},                          \
      {"registry", required_argument, NULL, 'r'},                              \
      {"topic", required_argument, NULL, 't'},                                 \
      {"mock-cluster", required_argument, NULL, KCLI_OPT_MOCK}
#define KCLI_SHORT_OPTIONS "b:r:t:X:"

typedef struct kcli_s {
  const char *cmd;
  const char *topic;
  bool have_brokers;   /* -b given */
  bool have_registry;  /* -r or -X schema.registry.url given */
  /* Set when librdkafka says every broker is down, cleared by a message
   * (kcli_watch_brokers()): the poll loop alone cannot tell an
   * unreachable cluster from a quiet topic.  Only the polling thread
   * touches it (error events are served by rd_kafka_consumer_poll()). */
  bool brokers_down;
  int mock_brokers;    /* --mock-cluster N, 0 = none */
  rd_kafka_conf_t *kafka_conf; /* librdkafka settings */
  kavro_conf_t *kavro_conf;    /* kavro settings, until kcli_connect() */
  kavro_registry_t *registry;  /* made by kcli_connect() */
  /* The kavro settings for the serializer or deserializer, where rule
   * actions are registered: a copy kcli_connect() keeps. */
  kavro_conf_t *serde_conf;
} kcli_t;

/* Start with empty configurations.  CLI_EXIT_OK or CLI_EXIT_USAGE. */
int kcli_init(kcli_t *k, const char *cmd);

/* Handle one of the shared options (@opt with @arg): returns CLI_EXIT_OK,
 * CLI_EXIT_USAGE (reported), or -1 when @opt is not a shared option. */
int kcli_option(kcli_t *k, int opt, const char *arg);

/* Set a librdkafka property the subcommand needs; errors are reported. */
int kcli_kafka_set(kcli_t *k, const char *key, const char *value);

/* Check that a topic, brokers (or a mock cluster) and a registry were
 * given, and make the registry client, which takes the kavro settings
 * (set them before).  CLI_EXIT_OK or CLI_EXIT_USAGE. */
int kcli_connect(kcli_t *k);

/* As kcli_connect() for a subcommand that needs no registry: check that
 * a topic and brokers (or a mock cluster) were given.  CLI_EXIT_OK or
 * CLI_EXIT_USAGE (reported). */
int kcli_need_kafka(kcli_t *k);

/* Report librdkafka's errors on stderr and keep k->brokers_down: sets the
 * error callback and the opaque of the collected settings, so call it
 * after any rd_kafka_conf_dup() meant for another handle. */
void kcli_watch_brokers(kcli_t *k);

/* After a poll loop: brokers that were down and still answer no metadata
 * request are a broker error (exit 2), not an empty topic. */
bool kcli_brokers_unreachable(kcli_t *k, rd_kafka_t *rk);

/* Option @option's argument @arg as a number from 1 to LONG_MAX into
 * @*out; CLI_EXIT_OK, or CLI_EXIT_USAGE reported. */
int kcli_positive(const char *cmd, const char *option, const char *arg,
                  long *out);

/* A monotonic clock in milliseconds, for --timeout-ms. */
long kcli_now_ms(void);

/* Assign every partition of @topic to the consumer @rk, each from
 * @offset (RD_KAFKA_OFFSET_BEGINNING, RD_KAFKA_OFFSET_STORED, ...), with
 * no group subscription, so that no run waits for a rebalance.  Stores
 * the partition count in @*countp.  CLI_EXIT_OK, or CLI_EXIT_USAGE
 * reported (no such topic, no broker). */
int kcli_assign_all(kcli_t *k, rd_kafka_t *rk, int64_t offset, int *countp);

/* @size bytes as a new JSON string, each byte the code point of its
 * value (the Avro JSON encoding of bytes; ASCII text reads as itself).
 * NULL when memory runs out. */
json_t *kcli_json_bytes(const void *data, size_t size);

/* @text as a new JSON string: itself when it is UTF-8, else as
 * kcli_json_bytes() writes it.  NULL when memory runs out. */
json_t *kcli_json_text(const char *text);

/* Make the rd_kafka_t of @type from the collected settings (consumed).
 * NULL with a message on failure. */
rd_kafka_t *kcli_kafka_new(kcli_t *k, rd_kafka_type_t type);

/* Print @error and, for a refusal of the gate, every incompatibility in
 * @result (may be NULL), on stderr. */
void kcli_print_error(const char *cmd, const kavro_error_t *error,
                      const kavro_compat_result_t *result);

void kcli_free(kcli_t *k);

#endif /* KAVRO_KAFKA_CLI_H */
