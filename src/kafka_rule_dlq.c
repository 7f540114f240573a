/*
 * kavro - the DLQ rule action (kavro/kafka.h): Java's DlqAction, over
 * librdkafka, registered through the public action API (kavro/rules.h),
 * so that the rules part never needs Kafka.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavro.h"
#include "kavro/kafka.h"

#include "common_error_int.h"

/* How long `dlq.auto.flush` waits. */
#define KV_RULE_DLQ_FLUSH_MS 10000

/* The topic the action writes to, as Java's run() looks it up. */
static const char *dlq_topic(const kavro_rule_ctx_t *ctx) {
  const char *topic = kavro_rule_ctx_config(ctx, "dlq.topic");
  if (!topic || !*topic)
    topic = kavro_rule_ctx_param(ctx, "dlq.topic");
  return topic && *topic ? topic : NULL;
}

static void add_header(rd_kafka_headers_t *headers, const char *name,
                       const char *value) {
  rd_kafka_header_add(headers, name, -1, value ? value : "",
                      value ? -1 : 0);
}

/* The record's own headers, in their order, then the ones Java's
 * populateHeaders() adds: a replayed message that fails again keeps the
 * first failure's and its last `__rule.name` is the newest. */
static rd_kafka_headers_t *rule_headers(const kavro_rule_ctx_t *ctx,
                                        const kavro_error_t *cause) {
  size_t own = kavro_rule_ctx_header_count(ctx);
  rd_kafka_headers_t *headers = rd_kafka_headers_new(own + 5);
  for (size_t i = 0; i < own; i++) {
    const kavro_header_t *h = kavro_rule_ctx_header(ctx, i);
    rd_kafka_header_add(headers, h->name, -1, h->value, (ssize_t)h->size);
  }
  add_header(headers, KAVRO_RULE_HEADER_NAME, kavro_rule_ctx_rule_name(ctx));
  add_header(headers, KAVRO_RULE_HEADER_MODE,
             kavro_rule_mode_name(kavro_rule_ctx_mode(ctx)));
  add_header(headers, KAVRO_RULE_HEADER_SUBJECT, kavro_rule_ctx_subject(ctx));
  add_header(headers, KAVRO_RULE_HEADER_TOPIC, kavro_rule_ctx_topic(ctx));
  if (cause)
    add_header(headers, KAVRO_RULE_HEADER_EXCEPTION, cause->text);
  return headers;
}

/* The key and the value the action sends (Java's originalKey() and
 * originalValue()); NULL for none. */
typedef struct kv_dlq_record_s {
  const void *key, *value;
  size_t key_size, value_size;
} kv_dlq_record_t;

/* Fill @out: the message is the payload as it arrived on read, its Avro
 * JSON on write (Java's toJson()), in *@jsonp to be freed; it is the key
 * when the rule ran on a key, and there is then no value; else the key is
 * the record's.  NULL, or why the message cannot be sent. */

static const char *dlq_record(const kavro_rule_ctx_t *ctx,
                              const struct avro_value *message,
                              kv_dlq_record_t *out, char **jsonp) {
  size_t size = 0;
  const void *bytes = kavro_rule_ctx_payload(ctx, &size);
  *jsonp = NULL;
  if (!bytes && message) {
    *jsonp = kavro_value_to_json(kavro_rule_ctx_schema(ctx), message,
                                 KAVRO_DATUM_JSON_AVRO, NULL);
    if (!*jsonp)
      return "the message could not be written as JSON";
    bytes = *jsonp;
    size = strlen(*jsonp);
  }
  memset(out, 0, sizeof *out);
  if (kavro_rule_ctx_is_key(ctx)) {
    out->key = bytes;
    out->key_size = size;
  } else {
    out->key = kavro_rule_ctx_key(ctx, &out->key_size);
    out->value = bytes;
    out->value_size = size;
  }
  return NULL;
}

/* Produce the message to @topic; a librdkafka error's name, or NULL. */
static const char *produce(rd_kafka_t *producer, const char *topic,
                           const kavro_rule_ctx_t *ctx,
                           const struct avro_value *message,
                           const kavro_error_t *cause, bool flush) {
  kv_dlq_record_t record;
  char *json;
  const char *failed = dlq_record(ctx, message, &record, &json);
  if (failed)
    return failed;
  rd_kafka_headers_t *headers = rule_headers(ctx, cause);
  rd_kafka_resp_err_t err = rd_kafka_producev(
      producer, RD_KAFKA_V_TOPIC(topic),
      RD_KAFKA_V_KEY((void *)record.key, record.key_size),
      RD_KAFKA_V_VALUE((void *)record.value, record.value_size),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_END);
  free(json);
  if (err) {
    rd_kafka_headers_destroy(headers); /* not taken on failure */
    return rd_kafka_err2str(err);
  }
  if (flush &&
      (err = rd_kafka_flush(producer, KV_RULE_DLQ_FLUSH_MS)) != 0)
    return rd_kafka_err2str(err);
  return NULL;
}

static kavro_err_t dlq_run(void *opaque, const kavro_rule_ctx_t *ctx,
                           const struct avro_value *message,
                           const kavro_error_t *cause, kavro_error_t *error) {
  const char *name = kavro_rule_ctx_rule_name(ctx);
  const char *topic = dlq_topic(ctx);
  if (!topic)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "rule \"%.100s\" failed, action DLQ: could not send "
                        "to DLQ as no topic is configured",
                        name);
  const char *flush_setting = kavro_rule_ctx_config(ctx, "dlq.auto.flush");
  bool flush = flush_setting && strcmp(flush_setting, "true") == 0;
  const char *failed = produce(opaque, topic, ctx, message, cause, flush);
  if (failed)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "rule \"%.100s\" failed, action DLQ: the message "
                        "could not be sent to topic %.200s: %.200s",
                        name, topic, failed);
  /* Only a flushed dead letter lets a consumer store the record's offset:
   * one still queued dies with the process. */
  if (flush)
    kavro_rule_ctx_set_dead_lettered(ctx);
  return kv_error_set(error, KAVRO_ERR_RULE,
                      "rule \"%.100s\" failed, action DLQ: the message went "
                      "to topic %.200s%s%.300s",
                      name, topic, cause ? ": " : "",
                      cause ? cause->text : "");
}

kavro_err_t kavro_kafka_dlq_action_add(kavro_conf_t *conf,
                                       rd_kafka_t *producer,
                                       kavro_error_t *error) {
  if (!producer)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no producer");
  return kavro_conf_add_rule_action(conf, "DLQ", dlq_run, producer, error);
}
