/*
 * kavro (the program) - what `kavro produce` and `kavro consume` share:
 * the Kafka and registry options (-b, -r, -X, --mock-cluster), split
 * between librdkafka's and kavro's configuration, and printing a refusal
 * of the compatibility gate.
 */
#ifndef KAVRO_KAFKA_CLI_H
#define KAVRO_KAFKA_CLI_H

#include <stdbool.h>

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

/* Make the rd_kafka_t of @type from the collected settings (consumed).
 * NULL with a message on failure. */
rd_kafka_t *kcli_kafka_new(kcli_t *k, rd_kafka_type_t type);

/* Print @error and, for a refusal of the gate, every incompatibility in
 * @result (may be NULL), on stderr. */
void kcli_print_error(const char *cmd, const kavro_error_t *error,
                      const kavro_compat_result_t *result);

void kcli_free(kcli_t *k);

#endif /* KAVRO_KAFKA_CLI_H */
