/*
 * field_service_producer - produce field-service events (service orders
 * created, technical-visit outcomes, technician check-ins) with kavro, as
 * the typed records `kavro gen` generates from the catalog.
 *
 * It registers the whole schema catalog (avro/catalog.json) under the
 * catalog's compatibility level, then produces --events events to each of
 * its three topics, keyed by the catalog's partition-key templates.  Every
 * tenth event is sent twice, as a producer retry after a lost
 * acknowledgement would: consumers deduplicate on event_id.
 *
 *   KAFKA_BOOTSTRAP=localhost:9092 SCHEMA_REGISTRY_URL=http://localhost:8081 \
 *     ./field_service_producer --events 1000
 *
 * With neither variable set, it runs against an embedded librdkafka mock
 * cluster and kavro's mock registry, which end with the process.
 */
#include <stdio.h>

#include "field_service.h"

/* Every RESEND_EVERY-th event is sent twice. */
#define RESEND_EVERY 10

int main(int argc, char **argv) {
  fs_env_t env;
  int status = fs_env_open(&env, "field_service_producer", argc, argv);
  int subjects = 0;
  if (status == 0)
    status = fs_register_catalog(&env, &subjects);
  long sent[FS_TOPIC_COUNT] = {0};
  if (status == 0) {
    printf("registered %d subjects of the catalog at %s\n", subjects,
           env.registry_url);
    status = fs_produce(&env, RESEND_EVERY, sent);
  }
  if (status == 0) {
    printf("%-36s %10s %12s\n", "topic", "events", "sent (+resends)");
    for (int t = 0; t < FS_TOPIC_COUNT; t++)
      printf("%-36s %10ld %12ld\n", fs_topics[t].name, env.per_topic, sent[t]);
  }
  fs_env_close(&env);
  return status < 0 ? 0 : status;
}
