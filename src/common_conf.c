/*
 * kavro - configuration objects and the property table.
 *
 * The table below is the single source of truth: kavro_conf_set()
 * validates against it, the typed accessors in conf_int.h read through it,
 * kavro_conf_dump() lists it, and doc/CONFIGURATION.md is generated from it
 * (tests/check_conf fails when the committed file is stale).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common_conf_int.h"
#include "config.h"
#include "common_error_int.h"
#include "common_strbuf_int.h"
#include "common_text_int.h"

typedef enum kv_prop_type_e {
  KV_PROP_STRING,
  KV_PROP_SECRET, /* a string never printed */
  KV_PROP_URLS,   /* comma-separated http(s):// or mock:// URLs */
  KV_PROP_INT,
  KV_PROP_BOOL,
  KV_PROP_ENUM /* one of `values`, matched without case */
} kv_prop_type_t;

typedef struct kv_prop_s {
  const char *name;
  kv_prop_type_t type;
  const char *defval;
  int64_t min, max;        /* KV_PROP_INT */
  const char *values;      /* KV_PROP_ENUM: "A|B|C" */
  const char *unsupported; /* KV_PROP_ENUM: values refused, "A|B" */
  const char *doc;
} kv_prop_t;

#define INT_PROP(n, d, lo, hi, doc)                                            \
  { n, KV_PROP_INT, d, lo, hi, NULL, NULL, doc }
#define BOOL_PROP(n, d, doc)                                                   \
  { n, KV_PROP_BOOL, d, 0, 0, NULL, NULL, doc }
#define STR_PROP(n, t, doc)                                                    \
  { n, t, "", 0, 0, NULL, NULL, doc }
#define ENUM_PROP(n, d, v, u, doc)                                             \
  { n, KV_PROP_ENUM, d, 0, 0, v, u, doc }

static const kv_prop_t props[] = {
    /* ---- connection ---- */
    {"schema.registry.url", KV_PROP_URLS, "", 0, 0, NULL, NULL,
     "Comma-separated list of Schema Registry base URLs (`http://`, "
     "`https://`, or `mock://SCOPE` for the in-process mock registry). "
     "Requests go to the first URL that answers; connection errors and 5xx "
     "replies fail over to the next one. Credentials in a URL "
     "(`http://user:pass@host`) are used when "
     "`basic.auth.credentials.source` is URL and are never printed; the "
     "user info ends at the URL's last `@`, so a password may hold `/`, "
     "`?` or `#` unencoded, and an `@` after the host must be written "
     "`%40`."},
    ENUM_PROP("basic.auth.credentials.source", "URL",
              "URL|USER_INFO|SASL_INHERIT", NULL,
              "Where HTTP basic-auth credentials come from: URL (the user "
              "info of `schema.registry.url`), USER_INFO "
              "(`basic.auth.user.info`) or SASL_INHERIT (the Kafka client's "
              "`sasl.username` and `sasl.password`, handed over with "
              "kavro_kafka_conf_inherit_sasl() or "
              "kavro_conf_set_sasl_credentials())."),
    STR_PROP("basic.auth.user.info", KV_PROP_SECRET,
             "`USER:PASSWORD` for HTTP basic auth when "
             "`basic.auth.credentials.source` is USER_INFO. Secret."),
    ENUM_PROP("bearer.auth.credentials.source", "STATIC_TOKEN",
              "STATIC_TOKEN|CUSTOM|OAUTHBEARER|SASL_OAUTHBEARER_INHERIT",
              NULL,
              "Where a bearer token comes from: STATIC_TOKEN "
              "(`bearer.auth.token`, used when set), CUSTOM (the callback "
              "installed with kavro_conf_set_bearer_token_cb()), "
              "OAUTHBEARER (the OAuth 2.0 client-credentials grant at "
              "`bearer.auth.issuer.endpoint.url`) or SASL_OAUTHBEARER_INHERIT "
              "(the same grant with the Kafka client's OAUTHBEARER settings: "
              "`sasl.oauthbearer.token.endpoint.url`, `.client.id`, "
              "`.client.secret`, `.scope` and the `identityPoolId` of "
              "`.extensions`, handed over with kavro_kafka_conf_inherit_sasl() "
              "or kavro_conf_set_sasl_oauthbearer(), each used where the "
              "matching `bearer.auth.*` property is empty). CUSTOM and "
              "OAuth tokens are shared by every thread of a client, fetched by one "
              "thread at a time, refreshed ahead of their expiry (see "
              "`bearer.auth.cache.expiry.buffer.seconds`) and once more when "
              "the registry answers 401. Bearer and basic auth are "
              "exclusive."),
    STR_PROP("bearer.auth.token", KV_PROP_SECRET,
             "Static bearer token sent as `Authorization: Bearer TOKEN`. "
             "Secret."),
    STR_PROP("bearer.auth.issuer.endpoint.url", KV_PROP_STRING,
             "With OAUTHBEARER: the `http://` or `https://` URL of the OAuth "
             "token endpoint, asked with `grant_type=client_credentials` "
             "(the client id and secret as HTTP basic auth). The "
             "`schema.registry.ssl.*`, time-out and proxy settings apply "
             "to it too."),
    STR_PROP("bearer.auth.client.id", KV_PROP_STRING,
             "With OAUTHBEARER: the OAuth client id."),
    STR_PROP("bearer.auth.client.secret", KV_PROP_SECRET,
             "With OAUTHBEARER: the OAuth client secret. Secret."),
    STR_PROP("bearer.auth.scope", KV_PROP_STRING,
             "With OAUTHBEARER: the scope asked for (sent as `scope`), "
             "empty: none."),
    {"bearer.auth.scope.claim.name", KV_PROP_STRING, "scope", 0, 0, NULL,
     NULL,
     "With OAUTHBEARER and a JWT access token: the claim holding the "
     "token's scope, which must be a string or an array of strings when "
     "present."},
    {"bearer.auth.sub.claim.name", KV_PROP_STRING, "sub", 0, 0, NULL, NULL,
     "With OAUTHBEARER and a JWT access token: the claim naming the "
     "token's subject, which the token must carry."},
    INT_PROP("bearer.auth.cache.expiry.buffer.seconds", "300", 0, 86400,
             "CUSTOM and OAUTHBEARER tokens are fetched again this many "
             "seconds before they expire, but no more than a fifth of the "
             "token's lifetime ahead. The expiry is the JWT `exp` claim or "
             "the token endpoint's `expires_in`, whichever comes first."),
    STR_PROP("bearer.auth.logical.cluster", KV_PROP_STRING,
             "With bearer auth: the registry's logical cluster id, sent as "
             "the `target-sr-cluster` header (Confluent Cloud)."),
    STR_PROP("bearer.auth.identity.pool.id", KV_PROP_STRING,
             "With bearer auth: the identity pool id, sent as the "
             "`Confluent-Identity-Pool-Id` header (Confluent Cloud)."),
    /* ---- TLS ---- */
    STR_PROP("schema.registry.ssl.ca.location", KV_PROP_STRING,
             "File of CA certificates (PEM) to verify the registry with. "
             "Empty: the system's CA store."),
    STR_PROP("schema.registry.ssl.certificate.location", KV_PROP_STRING,
             "Client certificate (PEM) for mutual TLS."),
    STR_PROP("schema.registry.ssl.key.location", KV_PROP_STRING,
             "Private key (PEM) of the client certificate."),
    STR_PROP("schema.registry.ssl.key.password", KV_PROP_SECRET,
             "Password of the private key. Secret."),
    ENUM_PROP("schema.registry.ssl.endpoint.identification.algorithm", "https",
              "https|none", NULL,
              "`https` verifies that the registry's certificate names its "
              "host; `none` skips only that check (the chain is always "
              "verified)."),
    /* ---- proxy ---- */
    STR_PROP("proxy.host", KV_PROP_STRING,
             "Host of an HTTP proxy for the registry and the token "
             "endpoint; empty: libcurl's default (the `http_proxy`, "
             "`https_proxy` and `no_proxy` environment variables)."),
    INT_PROP("proxy.port", "-1", -1, 65535,
             "Port of the proxy of `proxy.host`; -1: 1080, libcurl's "
             "default."),
    /* ---- requests ---- */
    INT_PROP("request.timeout.ms", "10000", 1, 3600000,
             "Time-out of one HTTP request, connection included, in "
             "milliseconds."),
    INT_PROP("connection.timeout.ms", "10000", 1, 3600000,
             "Time-out of establishing a connection, in milliseconds."),
    INT_PROP("max.retries", "2", 0, 100,
             "Retries of a request after a connection error, a time-out, a "
             "5xx or a 429 reply (other 4xx replies are never retried). Each "
             "retry tries every URL of the list once."),
    INT_PROP("retries.wait.ms", "1000", 0, 3600000,
             "Wait before the first retry, in milliseconds; doubled for each "
             "further retry, with random jitter (50-100% of the wait)."),
    INT_PROP("retries.max.wait.ms", "20000", 0, 3600000,
             "Upper bound of a wait between retries, in milliseconds, a "
             "`Retry-After` header included."),
    INT_PROP("response.max.bytes", "33554432", 1024, 1073741824,
             "Largest registry response body accepted, in bytes; a larger "
             "one fails the request with KAVRO_ERR_BAD_RESPONSE (retriable)."),
    /* ---- caches ---- */
    INT_PROP("cache.capacity", "1000", 1, 10000000,
             "Entries kept by each cache (id to schema, subject and schema to "
             "id, subject and version to schema, latest versions, levels). "
             "When full, the CLOCK rule evicts an entry not used since the "
             "hand last passed it."),
    INT_PROP("cache.latest.ttl.sec", "-1", -1, 31536000,
             "Seconds a subject's latest version is cached; -1 keeps it until "
             "evicted, 0 disables caching it."),
    INT_PROP("cache.level.ttl.sec", "60", -1, 31536000,
             "Seconds a subject's compatibility level is cached; -1 keeps it "
             "until evicted, 0 disables caching it."),
    INT_PROP("missing.id.cache.ttl.sec", "0", 0, 31536000,
             "Seconds a schema id or GUID the registry answered as unknown "
             "(404, error code 40403) is remembered, so that frames with an "
             "unknown id cost one request per id and period, not one per "
             "frame; 0 remembers nothing. Transient failures are never "
             "remembered."),
    INT_PROP("missing.version.cache.ttl.sec", "0", 0, 31536000,
             "Seconds a subject version (the latest included) the registry "
             "answered as unknown (40401 subject, 40402 version) is "
             "remembered; 0 remembers nothing. Registering under the subject "
             "through the same client forgets it."),
    INT_PROP("missing.schema.cache.ttl.sec", "0", 0, 31536000,
             "Seconds a schema lookup under a subject the registry answered "
             "as not found (40403 schema, 40401 subject) is remembered; 0 "
             "remembers nothing. Registering under the subject through the "
             "same client forgets it."),
    INT_PROP("missing.cache.size", "10000", 1, 10000000,
             "Entries kept by each negative cache (unknown ids, GUIDs, "
             "versions, schema lookups), evicted by the CLOCK rule like "
             "`cache.capacity`; used only when a `missing.*.ttl.sec` is "
             "set."),
    /* ---- serializer and deserializer ---- */
    BOOL_PROP("auto.register.schemas", "true",
              "Serializer: register the schema under its subject when it is "
              "not registered yet."),
    BOOL_PROP("use.latest.version", "false",
              "Serializer: use the subject's latest registered schema instead "
              "of registering; deserializer: read with the latest version. "
              "Set `auto.register.schemas` to false with it."),
    STR_PROP("use.latest.with.metadata", KV_PROP_STRING,
             "Serializer: write with the subject's latest version whose "
             "metadata has these properties (`key1=value1,key2=value2`, CSV "
             "with `'` as the quote character); deserializer: read with it. "
             "Comes before `use.latest.version`; cached for "
             "`cache.latest.ttl.sec`. Empty: off."),
    BOOL_PROP("latest.compatibility.strict", "true",
              "With `use.latest.version`: check that the latest version is "
              "backward compatible with the schema being serialized."),
    BOOL_PROP("normalize.schemas", "false",
              "Ask the registry to normalize schemas when registering and "
              "looking up."),
    INT_PROP("use.schema.id", "-1", -1, 2147483647,
             "Serializer: use this registered schema id instead of looking "
             "the schema up; -1 disables."),
    STR_PROP("use.schema.guid", KV_PROP_STRING,
             "Serializer: use the registered schema with this GUID "
             "(`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`) instead of looking "
             "the schema up, as `use.schema.id` does with an id (which wins "
             "when both are set); empty disables. With the id in a prefix, "
             "the id is that schema's under the subject."),
    BOOL_PROP("id.compatibility.strict", "true",
              "With `use.schema.id` or `use.schema.guid`: check that the "
              "schema they name is backward compatible with the schema being "
              "serialized."),
    ENUM_PROP("key.schema.id.serializer", "prefix", "prefix|header", NULL,
              "Serializer: where a key's schema id goes. `prefix`: before "
              "the body (magic byte 0 and the 4-byte id, the classic "
              "Confluent wire format); `header`: the body alone, and the "
              "schema's GUID in the `__key_schema_id` record header (magic "
              "byte 1 and the 16 bytes), as Confluent's "
              "HeaderSchemaIdSerializer writes it (needs a registry that "
              "gives GUIDs: Confluent Platform 8 or later). Confluent's Java "
              "class names are not accepted: write `prefix` or `header`. "
              "Consumers read both (the header first) unless "
              "`key.schema.id.deserializer` says otherwise."),
    ENUM_PROP("value.schema.id.serializer", "prefix", "prefix|header", NULL,
              "Serializer: where a value's schema id goes, as "
              "`key.schema.id.serializer` says for keys; the header is "
              "`__value_schema_id`."),
    ENUM_PROP("key.schema.id.deserializer", "dual", "dual|prefix", NULL,
              "Deserializer: where a key's schema id is looked for. `dual`: "
              "the `__key_schema_id` record header when the message has one, "
              "else the prefix, as Confluent's DualSchemaIdDeserializer "
              "reads it; `prefix`: the prefix alone, the headers never "
              "looked at, as its PrefixSchemaIdDeserializer reads it (a "
              "consumer of topics whose producers all write prefixes saves "
              "librdkafka's parse of every message's headers; rules that "
              "read headers still get them). Confluent's Java class names "
              "are not accepted: write `dual` or `prefix`."),
    ENUM_PROP("value.schema.id.deserializer", "dual", "dual|prefix", NULL,
              "Deserializer: where a value's schema id is looked for, as "
              "`key.schema.id.deserializer` says for keys; the header is "
              "`__value_schema_id`."),
    ENUM_PROP("subject.name.strategy", "AssociatedNameStrategy",
              "TopicNameStrategy|RecordNameStrategy|TopicRecordNameStrategy|"
              "AssociatedNameStrategy",
              NULL,
              "How the serializer names a subject: `TOPIC-key`/`TOPIC-value`, "
              "the record's full name, `TOPIC-FULLNAME`, or the subject the "
              "registry associates with the topic (`GET /associations/"
              "resources/NAMESPACE/TOPIC`), falling back to "
              "`subject.name.strategy.fallback.type` when there is none or the "
              "registry answers 404. The default, as in Confluent's Java and "
              "JavaScript clients 8.x; it names the subjects TopicNameStrategy "
              "names when the registry has no associations, at the cost of one "
              "request per topic (and serializer) the first time. "
              "TopicNameStrategy needs none: a new serializer still names the "
              "subject, and the compatibility gate still judges a new schema, "
              "while the registry is down."),
    ENUM_PROP("key.subject.name.strategy", "",
              "AssociatedNameStrategy|TopicNameStrategy|RecordNameStrategy|"
              "TopicRecordNameStrategy",
              NULL,
              "Subject name strategy for keys; empty: "
              "`subject.name.strategy`."),
    ENUM_PROP("value.subject.name.strategy", "",
              "AssociatedNameStrategy|TopicNameStrategy|RecordNameStrategy|"
              "TopicRecordNameStrategy",
              NULL,
              "Subject name strategy for values; empty: "
              "`subject.name.strategy`."),
    STR_PROP("subject.name.strategy.kafka.cluster.id", KV_PROP_STRING,
             "AssociatedNameStrategy: the Kafka cluster id, sent as the "
             "resource namespace of the association lookup; empty: `-` (any "
             "namespace)."),
    ENUM_PROP("subject.name.strategy.fallback.type", "TOPIC",
              "TOPIC|RECORD|TOPIC_RECORD|NONE", NULL,
              "AssociatedNameStrategy: the strategy used when the topic has "
              "no association; NONE makes that an error."),
    INT_PROP("subject.name.strategy.cache.size", "1000", 1, 10000000,
             "AssociatedNameStrategy: answers kept per serializer side (topic, "
             "key or value, schema); the oldest goes first when full."),
    INT_PROP("subject.name.strategy.cache.expiry.secs", "-1", -1, 31536000,
             "AssociatedNameStrategy: seconds an answer is kept; -1 keeps it "
             "until evicted."),
    ENUM_PROP("context.name.strategy", "NullContextNameStrategy",
              "NullContextNameStrategy", NULL,
              "The schema context the serializers' subjects live in, as Java's "
              "`context.name.strategy` class computes it from the topic: "
              "NullContextNameStrategy (the default context) is the built-in "
              "one; set a callback with kavro_serializer_set_context_name_cb() "
              "for another. A context `.ctx` prefixes every subject with "
              "`:.ctx:`."),
    /* ---- data contract rules ---- */
    STR_PROP("rule.executors.<name>.param.<param>", KV_PROP_STRING,
             "Serializer and deserializer: parameter `<param>` handed to the "
             "rule executor registered under `<name>` "
             "(kavro_conf_add_rule_executor()); `<name>` `_default_` gives it "
             "to every executor, `_TYPE_` (e.g. `_CEL_`) to those of a rule "
             "type; the named one wins over the type's, which wins over the "
             "default. Executors read it with kavro_rule_ctx_config(). Java's "
             "`rule.executors` list and `rule.executors.<name>.class` name "
             "classes to load: in C an executor is registered with "
             "kavro_conf_add_rule_executor() instead."),
    STR_PROP("rule.executors.<name>.onSuccess", KV_PROP_STRING,
             "Serializer and deserializer: the action run when rule `<name>` "
             "succeeds, instead of the rule's `onSuccess` (`_TYPE_` for the "
             "rules of a type, `_default_` for all; in that order after the "
             "rule's name). `A,B` for a WRITEREAD or UPDOWN rule: A on write "
             "or upgrade, B on read or downgrade."),
    STR_PROP("rule.executors.<name>.onFailure", KV_PROP_STRING,
             "Serializer and deserializer: the action run when rule `<name>` "
             "fails, instead of the rule's `onFailure` (`_TYPE_`, `_default_` "
             "as for `onSuccess`). Unset everywhere: ERROR."),
    BOOL_PROP("rule.executors.<name>.disabled", "false",
              "Serializer and deserializer: skip rule `<name>` (`_TYPE_`, "
              "`_default_` as for `onSuccess`) whatever its `disabled` says. "
              "Unset: the rule's own `disabled`."),
    STR_PROP("rule.actions.<name>.param.<param>", KV_PROP_STRING,
             "Serializer and deserializer: parameter `<param>` handed to the "
             "rule action of type `<name>` (kavro_conf_add_rule_action(); "
             "`_default_` for every action), read with "
             "kavro_rule_ctx_config(). An action also sees the serializer's "
             "own properties (`dlq.topic`), which a parameter overrides."),
    STR_PROP("dlq.topic", KV_PROP_STRING,
             "The DLQ rule action (kavro_kafka_dlq_action_add()): the topic "
             "a message a rule refused is written to, with the headers "
             "`__rule.name`, `__rule.mode`, `__rule.subject`, `__rule.topic` "
             "and `__rule.exception`. Empty: the rule's `dlq.topic` "
             "parameter (or the schema's metadata property of that name)."),
    BOOL_PROP("dlq.auto.flush", "false",
              "The DLQ rule action: wait until the dead-lettered message is "
              "acknowledged before the refused call returns."),
    /* ---- the Kafka consumer helper's failure policy ---- */
    INT_PROP("consumer.max.retries", "3", 0, 1000,
             "Kafka consumer helper: how many times a message whose handler "
             "failed transiently (kavro_kafka_consumer_fail()) is handed "
             "again, in place, before it goes to the dead-letter topic with "
             "the `kavro.dlq.retries` header; meanwhile its partition waits "
             "(no later message of it is handed out, no offset past it is "
             "stored). 0: dead-letter at the first failure. A permanent "
             "handler failure goes at once; a decode failure that may pass "
             "(the registry cannot be reached) never goes, whatever this "
             "says. The default, four tries, holds a partition at most about "
             "0.7 s (plus the handler's own time) at the default backoffs: "
             "a poison message costs little, a hiccup of a dependency gets "
             "three more chances."),
    INT_PROP("consumer.retry.backoff.ms", "100", 1, 300000,
             "Kafka consumer helper: the wait, in milliseconds, before a "
             "message that failed (its handler transiently, or its decoding "
             "for a reason that may pass) is tried again; doubled for each "
             "further failure of the same message up to "
             "`consumer.retry.backoff.max.ms`, with a random jitter of "
             "-20% to +20% (as librdkafka's `retry.backoff.ms`, whose "
             "default and range these are). The helper's poll serves the "
             "other partitions meanwhile and keeps calling "
             "rd_kafka_consumer_poll(), so `max.poll.interval.ms` does not "
             "run out."),
    INT_PROP("consumer.retry.backoff.max.ms", "1000", 1, 300000,
             "Kafka consumer helper: the longest wait, in milliseconds, "
             "between two tries of a message (librdkafka's "
             "`retry.backoff.max.ms`); kavro_kafka_consumer_new() refuses a "
             "value below `consumer.retry.backoff.ms`. It bounds how often "
             "a down registry is asked again too."),
    /* ---- statistics ---- */
    INT_PROP("statistics.interval.ms", "0", 0, 86400000,
             "librdkafka's name: every this many milliseconds the "
             "statistics callback (kavro_conf_set_stats_cb()) receives the "
             "metrics as a JSON document (doc/STATISTICS.md), from a thread "
             "the registry client made from this configuration starts. 0: "
             "never. The metrics themselves are always kept "
             "(kavro_metrics_prometheus(), kavro_metrics_json())."),
};

#define PROP_COUNT (sizeof(props) / sizeof(props[0]))

/* A property of the table whose name holds `<...>` placeholders stands
 * for every key that fills them (each with one character or more); such
 * keys are kept in a list of their own. */
static bool is_pattern(const kv_prop_t *prop) {
  return strchr(prop->name, '<') != NULL;
}

/* Whether @key fills the placeholders of @pattern. */
static bool pattern_matches(const char *pattern, const char *key) {
  if (!*pattern)
    return !*key;
  if (*pattern != '<')
    return *pattern == *key && pattern_matches(pattern + 1, key + 1);
  const char *close = strchr(pattern, '>');
  const char *rest = close ? close + 1 : "";
  for (const char *k = key + 1; k[-1]; k++)
    if (pattern_matches(rest, k))
      return true;
  return false;
}

/* A key of a pattern property and its value. */
typedef struct kv_conf_extra_s {
  char *key, *value;
} kv_conf_extra_t;

/* Longest list of pattern keys a configuration holds. */
#define KV_CONF_EXTRA_MAX 1024

struct kavro_conf_s {
  char *values[PROP_COUNT]; /* NULL: the default */
  kv_conf_extra_t *extras;  /* keys of pattern properties */
  size_t extra_count;
  kv_conf_plugin_t *plugins; /* registered callbacks (rules) */
  size_t plugin_count;
  kavro_bearer_token_cb_t bearer_cb;
  void *bearer_opaque;
  kavro_stats_cb_t stats_cb;
  void *stats_opaque;
  char *sasl_username; /* SASL_INHERIT credentials, NULL: none handed over */
  char *sasl_password;
  /* SASL_OAUTHBEARER_INHERIT settings; all NULL: none handed over */
  char *sasl_oauth[KV_SASL_OAUTH_COUNT];
};

static const char secret_mark[] = "[redacted]";

static const kv_prop_t *prop_find(const char *key, size_t *indexp) {
  for (size_t i = 0; i < PROP_COUNT; i++)
    if (strcmp(props[i].name, key) == 0) {
      *indexp = i;
      return &props[i];
    }
  for (size_t i = 0; i < PROP_COUNT; i++)
    if (is_pattern(&props[i]) && pattern_matches(props[i].name, key)) {
      *indexp = i;
      return &props[i];
    }
  return NULL;
}

static kv_conf_extra_t *extra_find(const kavro_conf_t *conf, const char *key) {
  for (size_t i = 0; i < conf->extra_count; i++)
    if (strcmp(conf->extras[i].key, key) == 0)
      return &conf->extras[i];
  return NULL;
}

/* Free @s after wiping it: values may be credentials. */
static void free_secret(char *s) {
  if (s) {
    memset(s, 0, strlen(s));
    free(s);
  }
}

kavro_conf_t *kavro_conf_new(void) { return calloc(1, sizeof(kavro_conf_t)); }

void kavro_conf_destroy(kavro_conf_t *conf) {
  if (!conf)
    return;
  for (size_t i = 0; i < PROP_COUNT; i++)
    free_secret(conf->values[i]);
  for (size_t i = 0; i < conf->extra_count; i++) {
    free(conf->extras[i].key);
    free_secret(conf->extras[i].value);
  }
  free(conf->extras);
  for (size_t i = 0; i < conf->plugin_count; i++) {
    free(conf->plugins[i].type);
    free(conf->plugins[i].name);
    free(conf->plugins[i].data);
  }
  free(conf->plugins);
  free_secret(conf->sasl_username);
  free_secret(conf->sasl_password);
  for (size_t i = 0; i < KV_SASL_OAUTH_COUNT; i++)
    free_secret(conf->sasl_oauth[i]);
  free(conf);
}

kavro_conf_t *kavro_conf_dup(const kavro_conf_t *conf) {
  if (!conf)
    return NULL;
  kavro_conf_t *copy = kavro_conf_new();
  if (!copy)
    return NULL;
  copy->bearer_cb = conf->bearer_cb;
  copy->bearer_opaque = conf->bearer_opaque;
  copy->stats_cb = conf->stats_cb;
  copy->stats_opaque = conf->stats_opaque;
  char *const *oauth = conf->sasl_oauth;
  if (kavro_conf_set_sasl_credentials(copy, conf->sasl_username,
                                      conf->sasl_password, NULL) != KAVRO_OK ||
      kavro_conf_set_sasl_oauthbearer(
          copy, oauth[KV_SASL_OAUTH_URL], oauth[KV_SASL_OAUTH_CLIENT_ID],
          oauth[KV_SASL_OAUTH_CLIENT_SECRET], oauth[KV_SASL_OAUTH_SCOPE],
          oauth[KV_SASL_OAUTH_POOL_ID], NULL) != KAVRO_OK) {
    kavro_conf_destroy(copy);
    return NULL;
  }
  for (size_t i = 0; i < PROP_COUNT; i++) {
    if (conf->values[i] && !(copy->values[i] = strdup(conf->values[i]))) {
      kavro_conf_destroy(copy);
      return NULL;
    }
  }
  for (size_t i = 0; i < conf->extra_count; i++)
    if (kavro_conf_set(copy, conf->extras[i].key, conf->extras[i].value,
                       NULL) != KAVRO_OK) {
      kavro_conf_destroy(copy);
      return NULL;
    }
  for (size_t i = 0; i < conf->plugin_count; i++) {
    const kv_conf_plugin_t *p = &conf->plugins[i];
    if (kv_conf_plugin_add(copy, p->kind, p->type, p->name, p->data, p->size,
                           NULL) != KAVRO_OK) {
      kavro_conf_destroy(copy);
      return NULL;
    }
  }
  return copy;
}

/* ---- validation -------------------------------------------------------- */

static bool parse_int(const char *text, int64_t *out) {
  if (!*text)
    return false;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || *end)
    return false;
  *out = (int64_t)v;
  return true;
}

static bool parse_bool(const char *text, bool *out) {
  if (strcasecmp(text, "true") == 0)
    *out = true;
  else if (strcasecmp(text, "false") == 0)
    *out = false;
  else
    return false;
  return true;
}

/* Whether @value is one of the '|'-separated @list; when @canon is not
 * NULL, the list's spelling is copied there (enum values are short). */
static bool in_list(const char *list, const char *value, char *canon,
                    size_t canon_size) {
  size_t vlen = strlen(value);
  for (const char *p = list; p && *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == vlen && strncasecmp(p, value, len) == 0) {
      if (canon && len < canon_size) {
        memcpy(canon, p, len);
        canon[len] = '\0';
      }
      return true;
    }
    p = bar ? bar + 1 : NULL;
  }
  return false;
}

/* A known scheme followed by a host: "http://user:pw@" names none. */
static bool url_ok(const char *url, size_t len) {
  static const char *const schemes[] = {"http://", "https://", "mock://"};
  for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
    size_t slen = strlen(schemes[i]);
    if (len <= slen || strncasecmp(url, schemes[i], slen) != 0)
      continue;
    const char *host = url + slen, *end = url + len;
    const char *at = kv_url_user_info_end(host, end);
    if (at)
      host = at + 1;
    return host < end && !strchr("/?#", *host);
  }
  return false;
}

static kavro_err_t check_urls(const kv_prop_t *prop, const char *value,
                              kavro_error_t *error) {
  for (const char *p = value; *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    while (len && (*p == ' ' || *p == '\t')) {
      p++;
      len--;
    }
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
      len--;
    if (!url_ok(p, len))
      /* The URL is not echoed: it may carry credentials. */
      return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                          "%s: every URL must start with http://, https:// "
                          "or mock:// and name a host",
                          prop->name);
    if (!comma)
      break;
    p = comma + 1;
  }
  return KAVRO_OK;
}

/* Validate @value for @prop; on success store its canonical spelling
 * (enum case) in @canon, which is at least as long as @value. */
static kavro_err_t check_value(const kv_prop_t *prop, const char *value,
                               char *canon, kavro_error_t *error) {
  strcpy(canon, value);
  switch (prop->type) {
  case KV_PROP_STRING:
  case KV_PROP_SECRET:
    if (strcmp(prop->name, "basic.auth.user.info") == 0 && *value &&
        !strchr(value, ':'))
      return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                          "%s: expected USER:PASSWORD", prop->name);
    if (strcmp(prop->name, "use.schema.guid") == 0 && *value &&
        !kv_guid_parse(value, (unsigned char[KV_GUID_SIZE]){0}))
      return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                          "%s: \"%.64s\" is not a GUID "
                          "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                          prop->name, value);
    return KAVRO_OK;
  case KV_PROP_URLS:
    return check_urls(prop, value, error);
  case KV_PROP_INT: {
    int64_t v;
    if (!parse_int(value, &v) || v < prop->min || v > prop->max)
      return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                          "%s: \"%s\" is not an integer in [%" PRId64
                          ", %" PRId64 "]",
                          prop->name, value, prop->min, prop->max);
    return KAVRO_OK;
  }
  case KV_PROP_BOOL: {
    bool b;
    if (!parse_bool(value, &b))
      return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                          "%s: \"%s\" is not true or false", prop->name, value);
    strcpy(canon, b ? "true" : "false");
    return KAVRO_OK;
  }
  case KV_PROP_ENUM:
    if (!in_list(prop->values, value, canon, strlen(value) + 1))
      return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                          "%s: \"%s\" is not one of %s", prop->name, value,
                          prop->values);
    if (prop->unsupported && in_list(prop->unsupported, canon, NULL, 0))
      return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                          "%s: %s is not supported by kavro", prop->name,
                          canon);
    return KAVRO_OK;
  }
  return KAVRO_ERR_CONF_INVALID;
}

/* ---- secret names ------------------------------------------------------ */

/* Parts of a key that make it a secret, kavro's or another library's
 * (librdkafka's sasl.password, ssl.key.pem, sasl.oauthbearer.config ...),
 * matched without case. */
static const char *const secret_name_parts[] = {
    "password", "passwd", "secret", "token", "user.info", "userinfo",
    "ssl.key", "sasl.oauthbearer.config", "jaas"};

static bool contains_nocase(const char *s, const char *part) {
  size_t n = strlen(part);
  for (; *s; s++)
    if (strncasecmp(s, part, n) == 0)
      return true;
  return false;
}

int kavro_conf_is_secret(const char *key) {
  if (!key)
    return 0;
  size_t index;
  const kv_prop_t *prop = prop_find(key, &index);
  if (prop && prop->type == KV_PROP_SECRET)
    return 1;
  for (size_t i = 0; i < sizeof(secret_name_parts) / sizeof(*secret_name_parts);
       i++)
    if (contains_nocase(key, secret_name_parts[i]))
      return 1;
  return 0;
}

/* The characters of a key name; a "key" holding others is a mistyped
 * KEY=VALUE pair whose value must not be echoed. */
static const char key_chars[] = "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

/* An unknown key, echoed only as far as it looks like a key name. */
static kavro_err_t unknown_key(const char *key, kavro_error_t *error) {
  size_t name = strspn(key, key_chars);
  if (name > 200)
    name = 200;
  return kv_error_set(error, KAVRO_ERR_CONF_UNKNOWN,
                      "unknown configuration property \"%.*s%s\"%s", (int)name,
                      key, key[name] ? "..." : "",
                      key[name] ? " (the rest is not shown: it may hold a "
                                  "secret)"
                                : "");
}

/* Store @value (taken; NULL: remove) under the pattern key @key. */
static kavro_err_t set_extra(kavro_conf_t *conf, const char *key, char *value,
                             kavro_error_t *error) {
  kv_conf_extra_t *x = extra_find(conf, key);
  if (x) {
    free_secret(x->value);
    if (value) {
      x->value = value;
      return KAVRO_OK;
    }
    free(x->key);
    *x = conf->extras[--conf->extra_count];
    return KAVRO_OK;
  }
  if (!value)
    return KAVRO_OK;
  if (conf->extra_count >= KV_CONF_EXTRA_MAX) {
    free_secret(value);
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "more than %d rule properties", KV_CONF_EXTRA_MAX);
  }
  kv_conf_extra_t *grown =
      realloc(conf->extras, (conf->extra_count + 1) * sizeof(*grown));
  char *k = strdup(key);
  if (!grown || !k) {
    if (grown)
      conf->extras = grown;
    free(k);
    free_secret(value);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  conf->extras = grown;
  grown[conf->extra_count].key = k;
  grown[conf->extra_count].value = value;
  conf->extra_count++;
  return KAVRO_OK;
}

kavro_err_t kavro_conf_set(kavro_conf_t *conf, const char *key,
                           const char *value, kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf || !key)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "NULL argument");
  size_t index;
  const kv_prop_t *prop = prop_find(key, &index);
  if (!prop)
    return unknown_key(key, error);
  if (!value) {
    if (is_pattern(prop))
      return set_extra(conf, key, NULL, error);
    free(conf->values[index]);
    conf->values[index] = NULL;
    return KAVRO_OK;
  }
  char *canon = malloc(strlen(value) + 1);
  if (!canon)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = check_value(prop, value, canon, error);
  if (err != KAVRO_OK) {
    free(canon);
    return err;
  }
  if (is_pattern(prop))
    return set_extra(conf, key, canon, error);
  free(conf->values[index]);
  conf->values[index] = canon;
  return KAVRO_OK;
}

const char *kv_conf_pattern_value(const kavro_conf_t *conf, const char *key) {
  const kv_conf_extra_t *x = conf ? extra_find(conf, key) : NULL;
  return x ? x->value : NULL;
}

const char *kv_conf_lookup(const kavro_conf_t *conf, const char *key) {
  size_t index;
  const kv_prop_t *prop = conf ? prop_find(key, &index) : NULL;
  if (!prop)
    return NULL;
  if (is_pattern(prop))
    return kv_conf_pattern_value(conf, key);
  return conf->values[index];
}

kavro_err_t kv_conf_plugin_add(kavro_conf_t *conf, int kind, const char *type,
                               const char *name, const void *data, size_t size,
                               kavro_error_t *error) {
  if (conf->plugin_count >= KV_CONF_EXTRA_MAX)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "more than %d registrations", KV_CONF_EXTRA_MAX);
  kv_conf_plugin_t *grown = realloc(
      conf->plugins, (conf->plugin_count + 1) * sizeof(*conf->plugins));
  if (!grown)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  conf->plugins = grown;
  kv_conf_plugin_t *p = &grown[conf->plugin_count];
  memset(p, 0, sizeof(*p));
  p->kind = kind;
  p->size = size;
  if (!(p->type = strdup(type)) || (name && !(p->name = strdup(name))) ||
      !(p->data = malloc(size ? size : 1))) {
    free(p->type);
    free(p->name);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  memcpy(p->data, data, size);
  conf->plugin_count++;
  return KAVRO_OK;
}

const kv_conf_plugin_t *kv_conf_plugins(const kavro_conf_t *conf,
                                        size_t *countp) {
  *countp = conf ? conf->plugin_count : 0;
  return conf ? conf->plugins : NULL;
}

static const char *value_of(const kavro_conf_t *conf, size_t index) {
  return conf->values[index] ? conf->values[index] : props[index].defval;
}

kavro_err_t kavro_conf_get(const kavro_conf_t *conf, const char *key, char *buf,
                           size_t *sizep) {
  if (!conf || !key || !sizep)
    return KAVRO_ERR_INVALID_ARG;
  size_t index;
  const kv_prop_t *prop = prop_find(key, &index);
  if (!prop)
    return KAVRO_ERR_CONF_UNKNOWN;
  const char *value = value_of(conf, index);
  if (is_pattern(prop)) {
    const kv_conf_extra_t *x = extra_find(conf, key);
    value = x ? x->value : prop->defval;
  }
  size_t need = strlen(value) + 1;
  size_t have = *sizep;
  *sizep = need;
  if (!buf)
    return KAVRO_OK;
  if (have < need)
    return KAVRO_ERR_INVALID_ARG;
  memcpy(buf, value, need);
  return KAVRO_OK;
}

void kavro_conf_set_bearer_token_cb(kavro_conf_t *conf,
                                    kavro_bearer_token_cb_t cb, void *opaque) {
  if (!conf)
    return;
  conf->bearer_cb = cb;
  conf->bearer_opaque = cb ? opaque : NULL;
  kavro_conf_set(conf, "bearer.auth.credentials.source", cb ? "CUSTOM" : NULL,
                 NULL);
}

void kavro_conf_set_stats_cb(kavro_conf_t *conf, kavro_stats_cb_t cb,
                             void *opaque) {
  if (!conf)
    return;
  conf->stats_cb = cb;
  conf->stats_opaque = cb ? opaque : NULL;
}

kavro_err_t kavro_conf_set_sasl_credentials(kavro_conf_t *conf,
                                            const char *username,
                                            const char *password,
                                            kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf || (!username && password))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a SASL password needs a SASL user name");
  if (username && strchr(username, ':'))
    return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                        "the SASL user name holds a ':', which HTTP basic "
                        "auth cannot carry");
  char *user = username ? strdup(username) : NULL;
  char *pass = username ? strdup(password ? password : "") : NULL;
  if (username && (!user || !pass)) {
    free_secret(user);
    free_secret(pass);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  free_secret(conf->sasl_username);
  free_secret(conf->sasl_password);
  conf->sasl_username = user;
  conf->sasl_password = pass;
  return KAVRO_OK;
}

kavro_err_t kavro_conf_set_sasl_oauthbearer(
    kavro_conf_t *conf, const char *token_endpoint_url, const char *client_id,
    const char *client_secret, const char *scope, const char *identity_pool_id,
    kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf || (client_id && (!token_endpoint_url || !client_secret)))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "an OAUTHBEARER client id needs a token endpoint and "
                        "a client secret");
  const char *given[KV_SASL_OAUTH_COUNT] = {
      [KV_SASL_OAUTH_URL] = token_endpoint_url,
      [KV_SASL_OAUTH_CLIENT_ID] = client_id,
      [KV_SASL_OAUTH_CLIENT_SECRET] = client_secret,
      [KV_SASL_OAUTH_SCOPE] = scope,
      [KV_SASL_OAUTH_POOL_ID] = identity_pool_id};
  char *copy[KV_SASL_OAUTH_COUNT] = {NULL};
  bool ok = true;
  for (size_t i = 0; client_id && i < KV_SASL_OAUTH_COUNT; i++)
    if (given[i] && !(copy[i] = strdup(given[i])))
      ok = false;
  for (size_t i = 0; i < KV_SASL_OAUTH_COUNT; i++) {
    if (ok) {
      free_secret(conf->sasl_oauth[i]);
      conf->sasl_oauth[i] = copy[i];
    } else {
      free_secret(copy[i]);
    }
  }
  return ok ? KAVRO_OK : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

const char *kv_conf_sasl_oauth(const kavro_conf_t *conf, kv_sasl_oauth_t which) {
  return conf->sasl_oauth[which];
}

const char *kv_conf_sasl_credentials(const kavro_conf_t *conf,
                                     const char **passwordp) {
  *passwordp = conf->sasl_password;
  return conf->sasl_username;
}

/* ---- URLs without credentials ------------------------------------------ */

char *kv_url_strip_credentials(const char *url) {
  const char *scheme_end = strstr(url, "://");
  const char *host = scheme_end ? scheme_end + 3 : url;
  const char *at = kv_url_user_info_end(host, host + strlen(host));
  if (!at)
    return strdup(url);
  size_t prefix = (size_t)(host - url);
  size_t rest = strlen(at + 1);
  char *out = malloc(prefix + rest + 1);
  if (!out)
    return NULL;
  memcpy(out, url, prefix);
  memcpy(out + prefix, at + 1, rest + 1);
  return out;
}

/* A printable value: secrets masked, URL lists without credentials.
 * Caller frees. */
static char *printable_value(const kv_prop_t *prop, const char *value) {
  if (prop->type == KV_PROP_SECRET)
    return strdup(*value ? secret_mark : "");
  if (prop->type != KV_PROP_URLS)
    return strdup(value);
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_puts(&sb, "");
  for (const char *p = value; *p;) {
    size_t len = strcspn(p, ",");
    char *one = strndup(p, len);
    char *clean = one ? kv_url_strip_credentials(one) : NULL;
    if (!clean)
      sb.failed = true;
    else
      kv_strbuf_puts(&sb, clean);
    free(one);
    free(clean);
    if (!p[len])
      break;
    kv_strbuf_putc(&sb, ',');
    p += len + 1;
  }
  return kv_strbuf_steal(&sb);
}

char **kavro_conf_dump(const kavro_conf_t *conf, size_t *countp) {
  if (!conf || !countp)
    return NULL;
  size_t total = 2 * (PROP_COUNT + conf->extra_count);
  char **out = calloc(total, sizeof(char *));
  if (!out)
    return NULL;
  for (size_t i = 0; i < PROP_COUNT; i++) {
    out[2 * i] = strdup(props[i].name);
    out[2 * i + 1] = printable_value(&props[i], value_of(conf, i));
    if (!out[2 * i] || !out[2 * i + 1]) {
      kavro_conf_dump_free(out, total);
      return NULL;
    }
  }
  /* The keys set for pattern properties, their values masked when the
   * key names a secret (a KMS password handed to an executor). */
  for (size_t i = 0, at = 2 * PROP_COUNT; i < conf->extra_count; i++, at += 2) {
    const kv_conf_extra_t *x = &conf->extras[i];
    out[at] = strdup(x->key);
    out[at + 1] = strdup(kavro_conf_is_secret(x->key) ? secret_mark : x->value);
    if (!out[at] || !out[at + 1]) {
      kavro_conf_dump_free(out, total);
      return NULL;
    }
  }
  *countp = total;
  return out;
}

void kavro_conf_dump_free(char **dump, size_t count) {
  if (!dump)
    return;
  for (size_t i = 0; i < count; i++)
    free(dump[i]);
  free(dump);
}

/* ---- typed access (conf_int.h) ----------------------------------------- */

/* Index of @key, which must name a property of a type in @types (a bit
 * mask of 1 << kv_prop_type_t). */
static size_t prop_index_typed(const char *key, unsigned types) {
  size_t index;
  const kv_prop_t *prop = prop_find(key, &index);
  if (!prop || !(types & (1u << prop->type))) {
    fprintf(stderr, "kavro: internal error: property %s misused\n", key);
    abort();
  }
  return index;
}

#define TEXT_TYPES                                                             \
  ((1u << KV_PROP_STRING) | (1u << KV_PROP_SECRET) | (1u << KV_PROP_URLS) |    \
   (1u << KV_PROP_ENUM))

const char *kv_conf_str(const kavro_conf_t *conf, const char *key) {
  return value_of(conf, prop_index_typed(key, TEXT_TYPES));
}

int64_t kv_conf_int(const kavro_conf_t *conf, const char *key) {
  int64_t v = 0;
  parse_int(value_of(conf, prop_index_typed(key, 1u << KV_PROP_INT)), &v);
  return v;
}

bool kv_conf_bool(const kavro_conf_t *conf, const char *key) {
  bool b = false;
  parse_bool(value_of(conf, prop_index_typed(key, 1u << KV_PROP_BOOL)), &b);
  return b;
}

kavro_bearer_token_cb_t kv_conf_bearer_cb(const kavro_conf_t *conf,
                                          void **opaquep) {
  *opaquep = conf->bearer_opaque;
  return conf->bearer_cb;
}

kavro_stats_cb_t kv_conf_stats_cb(const kavro_conf_t *conf, void **opaquep) {
  *opaquep = conf->stats_opaque;
  return conf->stats_cb;
}

/* ---- documentation ----------------------------------------------------- */

static const char *type_label(const kv_prop_t *prop) {
  switch (prop->type) {
  case KV_PROP_STRING:
    return "string";
  case KV_PROP_SECRET:
    return "string (secret)";
  case KV_PROP_URLS:
    return "URL list";
  case KV_PROP_INT:
    return "integer";
  case KV_PROP_BOOL:
    return "boolean";
  case KV_PROP_ENUM:
    return "enum";
  }
  return "?";
}

static void doc_range(kv_strbuf_t *sb, const kv_prop_t *prop) {
  if (prop->type == KV_PROP_INT)
    kv_strbuf_printf(sb, "%" PRId64 " .. %" PRId64, prop->min, prop->max);
  else if (prop->type == KV_PROP_BOOL)
    kv_strbuf_puts(sb, "true, false");
  else if (prop->type == KV_PROP_ENUM)
    for (const char *p = prop->values; *p; p++)
      kv_strbuf_puts(sb, *p == '|' ? ", " : (char[]){*p, '\0'});
}

char *kavro_conf_properties_markdown(void) {
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_puts(&sb,
                 "# kavro configuration properties\n\n"
                 "Generated from the property table in `src/common_conf.c` "
                 "(`kavro_conf_properties_markdown()`); do not edit by "
                 "hand. Set them with `kavro_conf_set()`; unknown keys are "
                 "an error.\n\n"
                 "| Property | Type | Range | Default | Description |\n"
                 "|---|---|---|---|---|\n");
  for (size_t i = 0; i < PROP_COUNT; i++) {
    const kv_prop_t *prop = &props[i];
    kv_strbuf_printf(&sb, "| `%s` | %s | ", prop->name, type_label(prop));
    doc_range(&sb, prop);
    kv_strbuf_printf(&sb, " | %s%s%s | %s", *prop->defval ? "`" : "",
                     prop->defval, *prop->defval ? "`" : "", prop->doc);
    if (prop->unsupported) {
      kv_strbuf_puts(&sb, " Refused as unsupported: ");
      doc_range(
          &sb, &(kv_prop_t){.type = KV_PROP_ENUM, .values = prop->unsupported});
      kv_strbuf_putc(&sb, '.');
    }
    kv_strbuf_puts(&sb, " |\n");
  }
  return kv_strbuf_steal(&sb);
}
