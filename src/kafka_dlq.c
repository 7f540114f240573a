/*
 * kavro - the dead-letter forwarder (kavro/kafka.h).
 *
 * A message that can never be decoded, or whose handler failed for good,
 * is written to the dead-letter topic byte for byte, its own headers kept,
 * with headers added that say where it came from and why it failed.  The forwarder owns its producer so that
 * it can wait for exactly its own message to be acknowledged: the caller
 * stores the poison message's offset only once the copy is safe.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavro.h"
#include "kavro/kafka.h"

#include "common_error_int.h"
#include "kafka_int.h"

/* How long one poll waits for the acknowledgement of a forward. */
#define KV_DLQ_POLL_MS 100
/* How long destroy flushes what is in flight. */
#define KV_DLQ_FLUSH_MS 10000

struct kavro_kafka_dlq_s {
  rd_kafka_t *rk;
  char *topic;
  uint64_t count;
};

/* The outcome of one forward, set by the delivery report. */
typedef struct kv_dlq_ack_s {
  bool done;
  rd_kafka_resp_err_t err;
} kv_dlq_ack_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
  (void)rk;
  (void)opaque;
  kv_dlq_ack_t *ack = m->_private;
  if (ack) {
    ack->err = m->err;
    ack->done = true;
  }
}

kavro_kafka_dlq_t *kavro_kafka_dlq_new(rd_kafka_conf_t *conf, const char *topic,
                                       kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf || !topic || !*topic) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                 "a dead-letter forwarder needs a configuration and a topic");
    return NULL;
  }
  kavro_kafka_dlq_t *dlq = calloc(1, sizeof *dlq);
  char *name = strdup(topic);
  if (!dlq || !name) {
    free(dlq);
    free(name);
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char errstr[512];
  dlq->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!dlq->rk) {
    free(dlq);
    free(name);
    kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                 "dead-letter producer: %s", errstr);
    return NULL;
  }
  dlq->topic = name;
  return dlq;
}

void kavro_kafka_dlq_destroy(kavro_kafka_dlq_t *dlq) {
  if (!dlq)
    return;
  rd_kafka_flush(dlq->rk, KV_DLQ_FLUSH_MS);
  rd_kafka_destroy(dlq->rk);
  free(dlq->topic);
  free(dlq);
}

const char *kavro_kafka_dlq_topic(const kavro_kafka_dlq_t *dlq) {
  return dlq ? dlq->topic : NULL;
}

uint64_t kavro_kafka_dlq_count(const kavro_kafka_dlq_t *dlq) {
  return dlq ? dlq->count : 0;
}

static rd_kafka_resp_err_t add_text(rd_kafka_headers_t *headers,
                                    const char *name, const char *value) {
  return rd_kafka_header_add(headers, name, -1, value, -1);
}

static rd_kafka_resp_err_t add_number(rd_kafka_headers_t *headers,
                                      const char *name, int64_t value) {
  char text[24];
  snprintf(text, sizeof text, "%" PRId64, value);
  return add_text(headers, name, text);
}

/* Why a message is forwarded: the headers that say so. */
typedef struct kv_dlq_why_s {
  const char *part;        /* "key", "value"; NULL: none (a handler) */
  const kavro_error_t *cause;
  const char *error_class; /* KAVRO_DLQ_HEADER_ERROR_CLASS */
  int tries;               /* KAVRO_DLQ_HEADER_RETRIES; 0: none */
  const kavro_schema_id_t *schema_id; /* NULL or NONE: none */
} kv_dlq_why_t;

/* The message's own headers (copied) and the origin and error headers. */
static rd_kafka_headers_t *dlq_headers(const rd_kafka_message_t *m,
                                       const kv_dlq_why_t *why) {
  const kavro_error_t *cause = why->cause;
  const kavro_schema_id_t *schema_id = why->schema_id;
  rd_kafka_headers_t *own = NULL;
  rd_kafka_headers_t *h =
      rd_kafka_message_headers(m, &own) == RD_KAFKA_RESP_ERR_NO_ERROR
          ? rd_kafka_headers_copy(own)
          : rd_kafka_headers_new(11);
  if (!h)
    return NULL;
  rd_kafka_timestamp_type_t ts_type;
  int64_t ts = rd_kafka_message_timestamp(m, &ts_type);
  char message[KAVRO_ERROR_TEXT_LENGTH + KAVRO_ERROR_SOURCE_LENGTH +
               KAVRO_ERROR_PATH_LENGTH + 64];
  kavro_error_format(cause, message, sizeof message);
  rd_kafka_resp_err_t err = add_text(h, KAVRO_DLQ_HEADER_TOPIC,
                                     rd_kafka_topic_name(m->rkt));
  if (!err)
    err = add_number(h, KAVRO_DLQ_HEADER_PARTITION, m->partition);
  if (!err)
    err = add_number(h, KAVRO_DLQ_HEADER_OFFSET, m->offset);
  if (!err && ts_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
    err = add_number(h, KAVRO_DLQ_HEADER_TIMESTAMP, ts);
  if (!err && why->part)
    err = add_text(h, KAVRO_DLQ_HEADER_PART, why->part);
  if (!err)
    err = add_number(h, KAVRO_DLQ_HEADER_ERROR_CODE, cause->code);
  if (!err)
    err = add_text(h, KAVRO_DLQ_HEADER_ERROR_NAME, kavro_err2name(cause->code));
  if (!err)
    err = add_text(h, KAVRO_DLQ_HEADER_ERROR_MESSAGE, message);
  if (!err)
    err = add_text(h, KAVRO_DLQ_HEADER_ERROR_CLASS, why->error_class);
  if (!err && why->tries > 0)
    err = add_number(h, KAVRO_DLQ_HEADER_RETRIES, why->tries);
  if (!err && schema_id && schema_id->kind != KAVRO_SCHEMA_ID_NONE) {
    char id[KAVRO_SCHEMA_ID_STRING_SIZE];
    err = add_text(h, KAVRO_DLQ_HEADER_SCHEMA_ID,
                   kavro_schema_id_format(schema_id, id, sizeof id));
  }
  if (err) {
    rd_kafka_headers_destroy(h);
    return NULL;
  }
  return h;
}

/* The reason label of kavro_dlq_forwards_total: the decoding error's name,
 * or what the handler's failure was (a refusal, or its tries spent). */
static const char *dlq_reason(const kv_dlq_why_t *why) {
  if (why->part)
    return kavro_err2name(why->cause->code);
  return why->cause->code == KAVRO_ERR_RULE ? "HANDLER" : "HANDLER_RETRIES";
}

/* Poll until the delivery report of @ack arrives or @timeout_ms pass. */
static void wait_ack(rd_kafka_t *rk, const kv_dlq_ack_t *ack, int timeout_ms) {
  for (int waited = 0; !ack->done && waited < timeout_ms;
       waited += KV_DLQ_POLL_MS)
    rd_kafka_poll(rk, KV_DLQ_POLL_MS);
}

/* Write @message with the headers @why gives and wait up to @timeout_ms
 * for its acknowledgement. */
static kavro_err_t forward(kavro_kafka_dlq_t *dlq,
                           const rd_kafka_message_t *message,
                           const kv_dlq_why_t *why, int timeout_ms,
                           kavro_error_t *error) {
  rd_kafka_headers_t *headers = dlq_headers(message, why);
  if (!headers)
    return kv_error_set(error, KAVRO_ERR_NOMEM,
                        "out of memory building dead-letter headers");
  kv_dlq_ack_t ack = {false, RD_KAFKA_RESP_ERR_NO_ERROR};
  rd_kafka_resp_err_t kerr = rd_kafka_producev(
      dlq->rk, RD_KAFKA_V_TOPIC(dlq->topic),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(message->key, message->key_len),
      RD_KAFKA_V_VALUE(message->payload, message->len),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(&ack), RD_KAFKA_V_END);
  if (kerr) {
    rd_kafka_headers_destroy(headers);
    return kv_error_set(error, KAVRO_ERR_TRANSPORT,
                        "dead-letter topic %s refused the message: %s",
                        dlq->topic, rd_kafka_err2str(kerr));
  }
  wait_ack(dlq->rk, &ack, timeout_ms);
  if (!ack.done) {
    /* The report will still come, and would write into a dead frame:
     * wait it out (bounded by message.timeout.ms) before returning. */
    rd_kafka_flush(dlq->rk, -1);
    return kv_error_set(error, KAVRO_ERR_TIMED_OUT,
                        "dead-letter topic %s did not acknowledge within %d ms",
                        dlq->topic, timeout_ms);
  }
  if (ack.err)
    return kv_error_set(error, KAVRO_ERR_TRANSPORT,
                        "dead-letter topic %s: %s", dlq->topic,
                        rd_kafka_err2str(ack.err));
  dlq->count++;
  kv_kafka_metrics_forwarded(message, dlq_reason(why));
  return KAVRO_OK;
}

static bool forward_args_ok(const kavro_kafka_dlq_t *dlq,
                            const rd_kafka_message_t *message, int timeout_ms) {
  return dlq && message && !message->err && message->rkt && timeout_ms >= 0;
}

kavro_err_t kavro_kafka_dlq_forward(kavro_kafka_dlq_t *dlq,
                                    const rd_kafka_message_t *message,
                                    bool is_key, const kavro_error_t *cause,
                                    const kavro_schema_id_t *schema_id,
                                    int timeout_ms, kavro_error_t *error) {
  kv_error_clear(error);
  if (!forward_args_ok(dlq, message, timeout_ms))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "forward needs a forwarder, a data message and a "
                        "time-out that is not negative");
  kavro_error_class_t cls = kavro_error_classify(cause);
  if (cls != KAVRO_ERROR_CLASS_PERMANENT)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "only a permanent failure goes to the dead-letter "
                        "topic; this one is %s: read the message again",
                        kavro_error_class_name(cls));
  kv_dlq_why_t why = {is_key ? "key" : "value", cause,
                      kavro_error_class_name(cls), 0, schema_id};
  return forward(dlq, message, &why, timeout_ms, error);
}

kavro_err_t kavro_kafka_dlq_forward_handler(
    kavro_kafka_dlq_t *dlq, const rd_kafka_message_t *message,
    kavro_error_class_t cls, const char *reason, int tries,
    const kavro_schema_id_t *schema_id, int timeout_ms, kavro_error_t *error) {
  kv_error_clear(error);
  if (!forward_args_ok(dlq, message, timeout_ms) || tries < 1 ||
      (cls != KAVRO_ERROR_CLASS_PERMANENT && cls != KAVRO_ERROR_CLASS_TRANSIENT))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a handler's forward needs a forwarder, a data "
                        "message, a permanent or transient failure, one try "
                        "or more and a time-out that is not negative");
  /* A permanent failure is the message's fault (a business rule); a
   * transient one that kept failing ran out of the configured tries. */
  kavro_error_t cause;
  kv_error_clear(&cause);
  if (cls == KAVRO_ERROR_CLASS_PERMANENT)
    kv_error_set(&cause, KAVRO_ERR_RULE, "the handler refused the message: %s",
                 reason ? reason : "no reason given");
  else
    kv_error_set(&cause, KAVRO_ERR_LIMIT, "the handler failed %d time%s: %s",
                 tries, tries == 1 ? "" : "s",
                 reason ? reason : "no reason given");
  kv_dlq_why_t why = {NULL, &cause, KAVRO_DLQ_ERROR_CLASS_HANDLER, tries,
                      schema_id};
  return forward(dlq, message, &why, timeout_ms, error);
}
