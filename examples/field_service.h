/*
 * What the field-service producer and consumer examples share: where
 * Kafka and the Schema Registry are (or the embedded ones), the three
 * topics they use, their events as typed records, and registering the
 * catalog.
 *
 * The event types come from `kavro gen --catalog avro/catalog.json`
 * (catalog.h, generated at build time): C structs, their codecs, and each
 * topic's partition-key function built from the catalog's key template.
 *
 * Kafka: KAFKA_BOOTSTRAP or --bootstrap HOSTS; with neither, an embedded
 * librdkafka mock cluster.  Registry: SCHEMA_REGISTRY_URL or --registry
 * URL; with neither, kavro's mock registry served over HTTP on loopback.
 */
#ifndef FIELD_SERVICE_H
#define FIELD_SERVICE_H

#include <stdbool.h>

#include <kavro.h>
#include <kavro/kafka.h>
#include <kavro/mock.h>

#include "catalog.h"

/* The topics the examples produce and consume. */
#define FS_TOPIC_COUNT 3
/* Strings of one event, and the room for each. */
#define FS_EVENT_TEXTS 6
#define FS_TEXT_SIZE 48

/* One event of any of the three topics, with room for its strings (a
 * typed record points at its strings; it does not own them). */
typedef struct fs_event_s {
  union {
    service_order_created_t order;
    tv_outcome_recorded_t outcome;
    checkin_completed_t checkin;
  } as;
  modification_t modification; /* an outcome's modification, when it has one */
  char text[FS_EVENT_TEXTS][FS_TEXT_SIZE];
} fs_event_t;

typedef struct fs_topic_s {
  const char *name;               /* the catalog's topic */
  const kavro_typed_type_t *type; /* its generated value type */
  /* Fill @event with event @i of this topic (the same i, the same event:
   * event ids repeat when a producer sends again). */
  void (*make)(long i, fs_event_t *event);
  /* The partition key of @record (of this topic's type) into @buf; its
   * length.  Generated from the catalog's key template. */
  size_t (*key)(const void *record, char *buf, size_t size);
  /* The event_id consumers deduplicate on. */
  kavro_str_t (*event_id)(const void *record);
} fs_topic_t;

extern const fs_topic_t fs_topics[FS_TOPIC_COUNT];

typedef struct fs_env_s {
  const char *program;
  char bootstrap[512];
  char registry_url[512];
  const char *avro_dir;
  rd_kafka_t *cluster_host; /* owns the embedded mock cluster, or NULL */
  kavro_mock_t *mock;       /* the embedded registry, or NULL */
  kavro_registry_t *registry;
  long per_topic;           /* --events N: events per topic */
} fs_env_t;

/* Read the command line and the environment, start what is embedded,
 * connect to the registry.  Returns 0, -1 after printing --help, or 2
 * after printing why not.  fs_env_close() it in every case. */
int fs_env_open(fs_env_t *env, const char *program, int argc, char **argv);

void fs_env_close(fs_env_t *env);

/* True when Kafka is the embedded mock cluster (nothing else can reach
 * it once this process ends). */
bool fs_env_embedded_kafka(const fs_env_t *env);

/* A librdkafka configuration with the brokers set.  Caller owns it. */
rd_kafka_conf_t *fs_kafka_conf(const fs_env_t *env);

/* Register every topic of avro/catalog.json (its shared types first) at
 * the catalog's level.  Stores the number of subjects registered.
 * Returns 0, or 1 after printing why not. */
int fs_register_catalog(fs_env_t *env, int *subjects);

/* Produce env->per_topic events to each topic, and again every
 * @resend_every-th one (0: none), as a producer retry would; store how
 * many were sent per topic in @sent.  Returns 0 or 1. */
int fs_produce(fs_env_t *env, long resend_every, long sent[FS_TOPIC_COUNT]);

/* The index of @topic in fs_topics, or -1. */
int fs_topic_index(const char *topic);

#endif /* FIELD_SERVICE_H */
