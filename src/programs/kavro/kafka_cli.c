/*
 * kavro (the program) - the options `kavro produce` and `kavro consume`
 * share.  A -X setting goes to kavro when kavro knows the key and to
 * librdkafka otherwise; a key neither knows is an error, as both
 * libraries make unknown keys errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kafka_cli.h"

int kcli_init(kcli_t *k, const char *cmd) {
  memset(k, 0, sizeof *k);
  k->cmd = cmd;
  k->kafka_conf = rd_kafka_conf_new();
  k->kavro_conf = kavro_conf_new();
  if (!k->kafka_conf || !k->kavro_conf) {
    fprintf(stderr, "kavro %s: out of memory\n", cmd);
    return CLI_EXIT_USAGE;
  }
  /* librdkafka's own log lines would interleave with the records. */
  return kcli_kafka_set(k, "log_level", "3");
}

int kcli_kafka_set(kcli_t *k, const char *key, const char *value) {
  char errstr[512];
  if (rd_kafka_conf_set(k->kafka_conf, key, value, errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK)
    return cli_usage_error(k->cmd, "%s", errstr);
  return CLI_EXIT_OK;
}

/* -X KEY=VALUE: kavro's key, else librdkafka's. */
static int set_property(kcli_t *k, const char *arg) {
  char key[256];
  kavro_error_t error;
  int status = cli_conf_setting(k->cmd, k->kavro_conf, arg, key, sizeof key,
                                &error);
  if (status == CLI_EXIT_OK && strcmp(key, "schema.registry.url") == 0)
    k->have_registry = true;
  if (status != CLI_SETTING_UNKNOWN)
    return status;
  const char *value = strchr(arg, '=') + 1;
  char errstr[512];
  rd_kafka_conf_res_t res =
      rd_kafka_conf_set(k->kafka_conf, key, value, errstr, sizeof errstr);
  /* kavro's message names as much of the key as is safe to show. */
  if (res == RD_KAFKA_CONF_UNKNOWN)
    return cli_usage_error(k->cmd, "-X: %s, nor a librdkafka setting",
                           error.text);
  /* librdkafka's message quotes the value. */
  if (res != RD_KAFKA_CONF_OK && kavro_conf_is_secret(key))
    return cli_usage_error(k->cmd, "-X %s: invalid value (not shown: a "
                                   "secret)", key);
  if (res != RD_KAFKA_CONF_OK)
    return cli_usage_error(k->cmd, "-X %s: %s", key, errstr);
  if (strcmp(key, "bootstrap.servers") == 0)
    k->have_brokers = true;
  return CLI_EXIT_OK;
}

int kcli_option(kcli_t *k, int opt, const char *arg) {
  kavro_error_t error;
  char *end;
  long n;
  switch (opt) {
  case 'b':
    k->have_brokers = true;
    return kcli_kafka_set(k, "bootstrap.servers", arg);
  case 'r':
    if (kavro_conf_set(k->kavro_conf, "schema.registry.url", arg, &error) !=
        KAVRO_OK)
      return cli_usage_error(k->cmd, "--registry: %s", error.text);
    k->have_registry = true;
    return CLI_EXIT_OK;
  case 't':
    k->topic = arg;
    return CLI_EXIT_OK;
  case 'X':
    return set_property(k, arg);
  case KCLI_OPT_MOCK:
    n = strtol(arg, &end, 10);
    if (*end || n < 1 || n > 16)
      return cli_usage_error(k->cmd, "--mock-cluster wants 1 to 16 brokers");
    k->mock_brokers = (int)n;
    return kcli_kafka_set(k, "test.mock.num.brokers", arg);
  default:
    return -1;
  }
}

/* The mock registries the registry URL (-r, -X schema.registry.url)
 * names with mock://SCOPE. */
static int mocks_for_registry(kcli_t *k) {
  size_t size = 0;
  if (kavro_conf_get(k->kavro_conf, "schema.registry.url", NULL, &size) !=
      KAVRO_OK)
    return CLI_EXIT_OK;
  char *urls = malloc(size);
  if (!urls) {
    fprintf(stderr, "kavro %s: out of memory\n", k->cmd);
    return CLI_EXIT_USAGE;
  }
  int status = CLI_EXIT_OK;
  if (kavro_conf_get(k->kavro_conf, "schema.registry.url", urls, &size) ==
      KAVRO_OK)
    status = cli_mocks_for_urls(k->cmd, urls);
  free(urls);
  return status;
}

/* A topic and brokers; @hint says how brokers may be given. */
static int need_topic_and_brokers(kcli_t *k, const char *hint) {
  if (!k->topic)
    return cli_usage_error(k->cmd, "a topic is needed (-t TOPIC)");
  if (!k->have_brokers && !k->mock_brokers)
    return cli_usage_error(k->cmd, "brokers are needed (%s)", hint);
  return CLI_EXIT_OK;
}

int kcli_need_kafka(kcli_t *k) {
  return need_topic_and_brokers(k, "-b HOSTS");
}

int kcli_connect(kcli_t *k) {
  int need = need_topic_and_brokers(k, "-b HOSTS or --mock-cluster N");
  if (need != CLI_EXIT_OK)
    return need;
  if (!k->have_registry)
    return cli_usage_error(k->cmd, "a registry is needed (-r URL)");
  int status = mocks_for_registry(k);
  if (status != CLI_EXIT_OK)
    return status;
  kavro_error_t error;
  if (!(k->serde_conf = kavro_conf_dup(k->kavro_conf))) {
    cli_print_line("kavro %s: out of memory", k->cmd);
    return CLI_EXIT_USAGE;
  }
  k->registry = kavro_registry_new(k->kavro_conf, &error);
  if (!k->registry) {
    cli_print_line("kavro %s: registry: %s", k->cmd, error.text);
    return CLI_EXIT_USAGE;
  }
  /* The client took the configuration; serializers read it from there. */
  k->kavro_conf = NULL;
  return CLI_EXIT_OK;
}

rd_kafka_t *kcli_kafka_new(kcli_t *k, rd_kafka_type_t type) {
  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(type, k->kafka_conf, errstr, sizeof errstr);
  if (!rk) {
    cli_print_line("kavro %s: %s", k->cmd, errstr);
    return NULL;
  }
  k->kafka_conf = NULL; /* librdkafka's now */
  return rk;
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason,
                           void *opaque) {
  (void)rk;
  kcli_t *k = opaque;
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
    k->brokers_down = true;
  cli_print_line("kavro %s: %s", k->cmd, reason);
}

void kcli_watch_brokers(kcli_t *k) {
  rd_kafka_conf_set_error_cb(k->kafka_conf, on_kafka_error);
  rd_kafka_conf_set_opaque(k->kafka_conf, k);
}

/* How long the last look for a broker waits, after all were down. */
#define BROKER_CHECK_MS 2000

bool kcli_brokers_unreachable(kcli_t *k, rd_kafka_t *rk) {
  if (!k->brokers_down)
    return false;
  const struct rd_kafka_metadata *md = NULL;
  if (rd_kafka_metadata(rk, 0, NULL, &md, BROKER_CHECK_MS) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(md);
    return false;
  }
  return true;
}

int kcli_positive(const char *cmd, const char *option, const char *arg,
                  long *out) {
  char *end;
  errno = 0;
  long n = strtol(arg, &end, 10);
  if (end == arg || *end || errno || n < 1)
    return cli_usage_error(cmd, "%s wants a positive number", option);
  *out = n;
  return CLI_EXIT_OK;
}

long kcli_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* How long to wait for the topic's metadata. */
#define METADATA_MS 10000

int kcli_assign_all(kcli_t *k, rd_kafka_t *rk, int64_t offset, int *countp) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, k->topic, NULL);
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t err =
      rkt ? rd_kafka_metadata(rk, 0, rkt, &md, METADATA_MS)
          : rd_kafka_last_error();
  if (rkt)
    rd_kafka_topic_destroy(rkt);
  if (!err && (md->topic_cnt != 1 || md->topics[0].err))
    err = md->topic_cnt == 1 ? md->topics[0].err
                             : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  if (err) {
    cli_print_line("kavro %s: topic %s: %s", k->cmd, k->topic,
                   rd_kafka_err2str(err));
    if (md)
      rd_kafka_metadata_destroy(md);
    return CLI_EXIT_USAGE;
  }
  int count = md->topics[0].partition_cnt;
  rd_kafka_topic_partition_list_t *list =
      rd_kafka_topic_partition_list_new(count);
  for (int i = 0; i < count; i++)
    rd_kafka_topic_partition_list_add(list, k->topic,
                                      md->topics[0].partitions[i].id)
        ->offset = offset;
  rd_kafka_metadata_destroy(md);
  err = rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) {
    cli_print_line("kavro %s: assign: %s", k->cmd, rd_kafka_err2str(err));
    return CLI_EXIT_USAGE;
  }
  *countp = count;
  return CLI_EXIT_OK;
}

json_t *kcli_json_bytes(const void *data, size_t size) {
  const unsigned char *bytes = data;
  char *text = malloc(2 * size + 1);
  if (!text)
    return NULL;
  size_t n = 0;
  for (size_t i = 0; i < size; i++) {
    if (bytes[i] < 0x80) {
      text[n++] = (char)bytes[i];
    } else {
      text[n++] = (char)(0xc0 | (bytes[i] >> 6));
      text[n++] = (char)(0x80 | (bytes[i] & 0x3f));
    }
  }
  json_t *s = json_stringn(text, n);
  free(text);
  return s;
}

json_t *kcli_json_text(const char *text) {
  json_t *s = json_string(text);
  return s ? s : kcli_json_bytes(text, strlen(text));
}

void kcli_print_error(const char *cmd, const kavro_error_t *error,
                      const kavro_compat_result_t *result) {
  char line[KAVRO_ERROR_TEXT_LENGTH + KAVRO_ERROR_SOURCE_LENGTH + 64];
  cli_print_line("kavro %s: %s", cmd,
                 kavro_error_format(error, line, sizeof line));
  size_t count = result ? kavro_compat_result_count(result) : 0;
  for (size_t i = 0; i < count; i++) {
    const kavro_incompat_t *inc = kavro_compat_result_get(result, i);
    cli_print_line("  %s at %s: %s", kavro_incompat_kind_name(inc->kind),
                   inc->reader_location, inc->message);
  }
}

void kcli_free(kcli_t *k) {
  kavro_registry_destroy(k->registry);
  kavro_conf_destroy(k->kavro_conf);
  kavro_conf_destroy(k->serde_conf);
  if (k->kafka_conf)
    rd_kafka_conf_destroy(k->kafka_conf);
  memset(k, 0, sizeof *k);
}
