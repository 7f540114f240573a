/*
 * field_service_consumer - consume the field-service events with kavro,
 * as the typed records `kavro gen` generates from the catalog, exactly
 * once in effect: Kafka delivers at least once (a producer retry
 * or a consumer restart repeats events), so the consumer skips an event
 * whose event_id it has already handled, remembering the last
 * SEEN_CAPACITY ids (a bounded set: memory does not grow with the topic).
 *
 * It stops when it has handled --events distinct events per topic, or when
 * nothing came for IDLE_MS, and prints per topic what it received, the
 * duplicates it skipped and whether any event is missing (exit 1 then).
 * Offsets are stored only for handled events (kavro's consumer helper), so
 * a restart never skips one; an event that can never be decoded goes to
 * the dead-letter topic fsm.dead-letter.
 *
 * With KAFKA_BOOTSTRAP unset it runs on an embedded librdkafka mock
 * cluster, which nothing outside this process can write to: it then runs
 * the producer's part first (catalog registration, events with resends).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "field_service.h"

#define SEEN_CAPACITY 65536u
#define IDLE_MS 15000L
#define RESEND_EVERY 10
#define DLQ_TOPIC "fsm.dead-letter"
#define EVENT_ID_MAX 64

/* ---- the bounded set of event ids seen -------------------------------- */

/* A hash set of the last SEEN_CAPACITY ids: a ring of entries, the oldest
 * replaced first, chained from 2 * SEEN_CAPACITY buckets. */
typedef struct seen_entry_s {
  char id[EVENT_ID_MAX];
  uint32_t next;   /* next entry in the bucket, NONE at the end */
  uint32_t bucket; /* bucket it is chained from, NONE when unused */
} seen_entry_t;

#define NONE UINT32_MAX
#define BUCKETS (2u * SEEN_CAPACITY)

typedef struct seen_s {
  seen_entry_t *entries;
  uint32_t *heads;
  uint32_t oldest; /* ring position replaced next */
} seen_t;

static int seen_init(seen_t *s) {
  s->entries = malloc(SEEN_CAPACITY * sizeof *s->entries);
  s->heads = malloc(BUCKETS * sizeof *s->heads);
  if (!s->entries || !s->heads)
    return -1;
  for (uint32_t i = 0; i < SEEN_CAPACITY; i++)
    s->entries[i].bucket = NONE;
  for (uint32_t i = 0; i < BUCKETS; i++)
    s->heads[i] = NONE;
  s->oldest = 0;
  return 0;
}

static void seen_free(seen_t *s) {
  free(s->entries);
  free(s->heads);
}

static uint32_t hash(const char *id) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *id; id++)
    h = (h ^ (unsigned char)*id) * 16777619u;
  return h % BUCKETS;
}

/* Unchain entry @e from its bucket. */
static void seen_unlink(seen_t *s, uint32_t e) {
  uint32_t *link = &s->heads[s->entries[e].bucket];
  while (*link != e)
    link = &s->entries[*link].next;
  *link = s->entries[e].next;
}

/* Add @id; false when it was already there (a duplicate). */
static bool seen_add(seen_t *s, const char *id) {
  uint32_t b = hash(id);
  for (uint32_t e = s->heads[b]; e != NONE; e = s->entries[e].next)
    if (strcmp(s->entries[e].id, id) == 0)
      return false;
  uint32_t e = s->oldest;
  s->oldest = (s->oldest + 1) % SEEN_CAPACITY;
  if (s->entries[e].bucket != NONE)
    seen_unlink(s, e);
  snprintf(s->entries[e].id, EVENT_ID_MAX, "%s", id);
  s->entries[e].bucket = b;
  s->entries[e].next = s->heads[b];
  s->heads[b] = e;
  return true;
}

/* ---- consuming -------------------------------------------------------- */

typedef struct tally_s {
  long expected[FS_TOPIC_COUNT]; /* messages sent, when known; else 0 */
  long received[FS_TOPIC_COUNT];
  long duplicates[FS_TOPIC_COUNT];
  long handled[FS_TOPIC_COUNT];
  long dead_lettered;
} tally_t;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static rd_kafka_t *subscribe(const fs_env_t *env) {
  rd_kafka_conf_t *conf = fs_kafka_conf(env);
  char errstr[256];
  if (rd_kafka_conf_set(conf, "group.id", "field-service-example", errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "field_service_consumer: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "field_service_consumer: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *topics =
      rd_kafka_topic_partition_list_new(FS_TOPIC_COUNT);
  for (int t = 0; t < FS_TOPIC_COUNT; t++)
    rd_kafka_topic_partition_list_add(topics, fs_topics[t].name,
                                      RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  return rk;
}

/* Handle one decoded event: count it, or skip it as a duplicate. */
static void handle(const kavro_kafka_polled_t *p, seen_t *seen, tally_t *tally) {
  int t = fs_topic_index(rd_kafka_topic_name(p->message->rkt));
  if (t < 0 || !p->record)
    return; /* not ours, or a tombstone */
  kavro_str_t id = fs_topics[t].event_id(p->record);
  tally->received[t]++;
  /* A decoded string is NUL-terminated (kavro/typed.h). */
  if (seen_add(seen, id.data))
    tally->handled[t]++;
  else
    tally->duplicates[t]++;
}

/* Done when every event was handled and, when this process produced
 * them, every resend was seen too (so the duplicate counts are whole). */
static bool all_handled(const fs_env_t *env, const tally_t *tally) {
  for (int t = 0; t < FS_TOPIC_COUNT; t++)
    if (tally->handled[t] < env->per_topic ||
        tally->received[t] < tally->expected[t])
      return false;
  return true;
}

static int consume(fs_env_t *env, kavro_kafka_consumer_t *consumer,
                   seen_t *seen, tally_t *tally) {
  long last = now_ms();
  while (!all_handled(env, tally) && now_ms() - last < IDLE_MS) {
    kavro_kafka_polled_t p;
    kavro_error_t error;
    kavro_err_t err = kavro_kafka_consumer_poll(consumer, 200, &p, &error);
    if (p.dead_lettered) {
      tally->dead_lettered++;
      last = now_ms();
    }
    if (err == KAVRO_OK && p.message) {
      handle(&p, seen, tally);
      last = now_ms();
    } else if (err != KAVRO_OK) {
      char line[1024];
      fprintf(stderr, "field_service_consumer: %s\n",
              kavro_error_format(&error, line, sizeof line));
      /* A transient failure needs nothing here: the helper keeps the event
       * and decodes it again after its backoff (consumer.retry.backoff.ms). */
      if (kavro_error_classify(&error) == KAVRO_ERROR_CLASS_LOCAL)
        return 2;
    }
    kavro_kafka_consumer_done(consumer, &p, NULL);
  }
  return 0;
}

static int report(const fs_env_t *env, const tally_t *tally) {
  int lost = 0;
  printf("%-36s %9s %11s %8s %8s\n", "topic", "received", "duplicates",
         "handled", "missing");
  for (int t = 0; t < FS_TOPIC_COUNT; t++) {
    long missing = env->per_topic - tally->handled[t];
    printf("%-36s %9ld %11ld %8ld %8ld\n", fs_topics[t].name,
           tally->received[t], tally->duplicates[t], tally->handled[t],
           missing > 0 ? missing : 0);
    lost |= missing > 0;
  }
  printf("dead-lettered: %ld\n%s\n", tally->dead_lettered,
         lost ? "SOME EVENTS ARE MISSING" : "none lost");
  return lost ? 1 : 0;
}

static int produce_first(fs_env_t *env, long sent[FS_TOPIC_COUNT]) {
  int subjects = 0;
  fprintf(stderr, "field_service_consumer: embedded Kafka: producing the "
                  "events first\n");
  int status = fs_register_catalog(env, &subjects);
  if (status == 0) {
    printf("registered %d subjects of the catalog\n", subjects);
    status = fs_produce(env, RESEND_EVERY, sent);
  }
  if (status == 0)
    for (int t = 0; t < FS_TOPIC_COUNT; t++)
      printf("produced %ld events (with resends) to %s\n", sent[t],
             fs_topics[t].name);
  return status;
}

static int run(fs_env_t *env, const long sent[FS_TOPIC_COUNT]) {
  seen_t seen;
  tally_t tally;
  memset(&tally, 0, sizeof tally);
  memcpy(tally.expected, sent, sizeof tally.expected);
  if (seen_init(&seen) != 0) {
    seen_free(&seen);
    return 2;
  }
  kavro_error_t error;
  rd_kafka_conf_t *dlq_conf = fs_kafka_conf(env);
  kavro_kafka_dlq_t *dlq = kavro_kafka_dlq_new(dlq_conf, DLQ_TOPIC, &error);
  if (!dlq)
    rd_kafka_conf_destroy(dlq_conf);
  rd_kafka_t *rk = dlq ? subscribe(env) : NULL;
  kavro_kafka_consumer_t *consumer =
      rk ? kavro_kafka_consumer_new(rk, env->registry, NULL, NULL, dlq, 0,
                                    &error)
         : NULL;
  /* Each topic's values decode into its generated type; a writer schema
   * other than the type's own (an older or newer version) is resolved. */
  for (int t = 0; consumer && t < FS_TOPIC_COUNT; t++)
    if (kavro_kafka_consumer_set_type(consumer, fs_topics[t].name,
                                      fs_topics[t].type, &error) != KAVRO_OK) {
      kavro_kafka_consumer_destroy(consumer);
      consumer = NULL;
    }
  int status = 2;
  if (consumer) {
    long start = now_ms();
    status = consume(env, consumer, &seen, &tally);
    if (status == 0) {
      status = report(env, &tally);
      printf("consumed in %.1f s\n", (double)(now_ms() - start) / 1000.0);
    }
  } else {
    char line[1024];
    fprintf(stderr, "field_service_consumer: %s\n",
            kavro_error_format(&error, line, sizeof line));
  }
  kavro_kafka_consumer_destroy(consumer);
  if (rk) {
    rd_kafka_consumer_close(rk); /* commits the stored offsets */
    rd_kafka_destroy(rk);
  }
  kavro_kafka_dlq_destroy(dlq);
  seen_free(&seen);
  return status;
}

int main(int argc, char **argv) {
  fs_env_t env;
  long sent[FS_TOPIC_COUNT] = {0};
  int status = fs_env_open(&env, "field_service_consumer", argc, argv);
  if (status == 0 && fs_env_embedded_kafka(&env))
    status = produce_first(&env, sent);
  if (status == 0)
    status = run(&env, sent);
  fs_env_close(&env);
  return status < 0 ? 0 : status;
}
