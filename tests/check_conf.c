/*
 * kavro tests - configuration: every property with a valid and an invalid
 * value, unknown keys, defaults, dumps without secrets, the generated
 * doc/CONFIGURATION.md, and what kavro_registry_new() refuses.
 *
 * Set KAVRO_UPDATE_DOCS=1 to rewrite doc/CONFIGURATION.md from the table.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavro.h"
#include "testutil.h"

typedef struct conf_case_s {
  const char *key;
  const char *valid;   /* accepted */
  const char *stored;  /* what kavro_conf_get() returns after `valid` */
  const char *invalid; /* refused with CONF_INVALID, NULL: none exists */
} conf_case_t;

static const conf_case_t cases[] = {
    {"schema.registry.url", "http://a:8081, https://b",
     "http://a:8081, https://b", "ftp://a"},
    {"basic.auth.credentials.source", "sasl_inherit", "SASL_INHERIT",
     "JAAS"},
    {"basic.auth.user.info", "u:p", "u:p", "no-colon"},
    {"bearer.auth.credentials.source", "sasl_oauthbearer_inherit",
     "SASL_OAUTHBEARER_INHERIT", "SASL_INHERIT"},
    {"bearer.auth.token", "tok", "tok", NULL},
    {"bearer.auth.issuer.endpoint.url", "http://idp/token",
     "http://idp/token", NULL},
    {"bearer.auth.client.id", "cid", "cid", NULL},
    {"bearer.auth.client.secret", "cs", "cs", NULL},
    {"bearer.auth.scope", "sr.read sr.write", "sr.read sr.write", NULL},
    {"bearer.auth.scope.claim.name", "scp", "scp", NULL},
    {"bearer.auth.sub.claim.name", "client_id", "client_id", NULL},
    {"bearer.auth.cache.expiry.buffer.seconds", "60", "60", "-1"},
    {"bearer.auth.logical.cluster", "lsrc-1", "lsrc-1", NULL},
    {"bearer.auth.identity.pool.id", "pool-1", "pool-1", NULL},
    {"schema.registry.ssl.ca.location", "/etc/ca.pem", "/etc/ca.pem", NULL},
    {"schema.registry.ssl.certificate.location", "/c.pem", "/c.pem", NULL},
    {"schema.registry.ssl.key.location", "/k.pem", "/k.pem", NULL},
    {"schema.registry.ssl.key.password", "pw", "pw", NULL},
    {"schema.registry.ssl.endpoint.identification.algorithm", "NONE", "none",
     "sometimes"},
    {"proxy.host", "proxy.local", "proxy.local", NULL},
    {"proxy.port", "3128", "3128", "65536"},
    {"request.timeout.ms", "500", "500", "0"},
    {"connection.timeout.ms", "250", "250", "-5"},
    {"max.retries", "5", "5", "101"},
    {"retries.wait.ms", "10", "10", "ten"},
    {"retries.max.wait.ms", "100", "100", "1e3"},
    {"response.max.bytes", "4096", "4096", "12"},
    {"cache.capacity", "10", "10", "0"},
    {"cache.latest.ttl.sec", "-1", "-1", "-2"},
    {"cache.level.ttl.sec", "0", "0", ""},
    {"missing.id.cache.ttl.sec", "60", "60", "-1"},
    {"missing.version.cache.ttl.sec", "1", "1", "31536001"},
    {"missing.schema.cache.ttl.sec", "0", "0", "1.5"},
    {"missing.cache.size", "2", "2", "0"},
    {"auto.register.schemas", "FALSE", "false", "no"},
    {"use.latest.version", "true", "true", "1"},
    {"use.latest.with.metadata", "app=a,'k,1'=v", "app=a,'k,1'=v", NULL},
    {"latest.compatibility.strict", "false", "false", "yes"},
    {"normalize.schemas", "true", "true", "maybe"},
    {"use.schema.id", "42", "42", "-7"},
    {"use.schema.guid", "0A1B2C3D-0000-4000-8000-00000000000F",
     "0A1B2C3D-0000-4000-8000-00000000000F", "0a1b2c3d"},
    {"id.compatibility.strict", "false", "false", "off"},
    {"key.schema.id.serializer", "HEADER", "header", "io.confluent.kafka."
     "serializers.schema.id.HeaderSchemaIdSerializer"},
    {"value.schema.id.serializer", "prefix", "prefix", "dual"},
    {"key.schema.id.deserializer", "PREFIX", "prefix", "io.confluent.kafka."
     "serializers.schema.id.PrefixSchemaIdDeserializer"},
    {"value.schema.id.deserializer", "dual", "dual", "header"},
    {"subject.name.strategy", "recordnamestrategy", "RecordNameStrategy",
     "Topic"},
    {"key.subject.name.strategy", "TopicRecordNameStrategy",
     "TopicRecordNameStrategy", "io.confluent.Custom"},
    {"value.subject.name.strategy", "associatednamestrategy",
     "AssociatedNameStrategy", ""},
    {"subject.name.strategy.kafka.cluster.id", "lkc-1", "lkc-1", NULL},
    {"subject.name.strategy.fallback.type", "record", "RECORD", "ASSOCIATED"},
    {"subject.name.strategy.cache.size", "10", "10", "0"},
    {"subject.name.strategy.cache.expiry.secs", "60", "60", "-2"},
    {"context.name.strategy", "nullcontextnamestrategy",
     "NullContextNameStrategy", "FixedContextNameStrategy"},
    {"rule.executors.<name>.param.<param>", "x", "x", NULL},
    {"rule.executors.<name>.onSuccess", "NONE", "NONE", NULL},
    {"rule.executors.<name>.onFailure", "DLQ,ERROR", "DLQ,ERROR", NULL},
    {"rule.executors.<name>.disabled", "TRUE", "true", "yes"},
    {"rule.actions.<name>.param.<param>", "y", "y", NULL},
    {"dlq.topic", "orders.dlq", "orders.dlq", NULL},
    {"dlq.auto.flush", "true", "true", "always"},
    {"consumer.max.retries", "0", "0", "1001"},
    {"consumer.retry.backoff.ms", "5", "5", "0"},
    {"consumer.retry.backoff.max.ms", "50", "50", "300001"},
    {"statistics.interval.ms", "60000", "60000", "-1"},
};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static const conf_case_t *case_for(const char *key) {
  for (size_t i = 0; i < CASE_COUNT; i++)
    if (strcmp(cases[i].key, key) == 0)
      return &cases[i];
  return NULL;
}

static char *get(const kavro_conf_t *conf, const char *key) {
  size_t size = 0;
  ck_assert_int_eq(kavro_conf_get(conf, key, NULL, &size), KAVRO_OK);
  char *buf = malloc(size);
  ck_assert_ptr_nonnull(buf);
  ck_assert_int_eq(kavro_conf_get(conf, key, buf, &size), KAVRO_OK);
  return buf;
}

/* Every property of the table has a case here: a new property without a
 * test fails this. */
START_TEST(test_every_property_has_a_case) {
  kavro_conf_t *conf = kavro_conf_new();
  size_t count = 0;
  char **dump = kavro_conf_dump(conf, &count);
  ck_assert_ptr_nonnull(dump);
  ck_assert_uint_eq(count, 2 * CASE_COUNT);
  for (size_t i = 0; i < count; i += 2)
    ck_assert_msg(case_for(dump[i]) != NULL, "no test case for %s", dump[i]);
  kavro_conf_dump_free(dump, count);
  kavro_conf_destroy(conf);
}
END_TEST

START_TEST(test_valid_value) {
  const conf_case_t *c = &cases[_i];
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, c->key, c->valid, &error), KAVRO_OK);
  char *value = get(conf, c->key);
  ck_assert_str_eq(value, c->stored);
  free(value);
  kavro_conf_destroy(conf);
}
END_TEST

START_TEST(test_invalid_value) {
  const conf_case_t *c = &cases[_i];
  if (!c->invalid)
    return; /* free-form strings: every value is valid */
  kavro_conf_t *conf = kavro_conf_new();
  char *before = get(conf, c->key);
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, c->key, c->invalid, &error),
                   KAVRO_ERR_CONF_INVALID);
  ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
  ck_assert_msg(strstr(error.text, c->key) != NULL, "%s", error.text);
  char *after = get(conf, c->key);
  ck_assert_str_eq(before, after); /* a refused value changes nothing */
  free(before);
  free(after);
  kavro_conf_destroy(conf);
}
END_TEST

START_TEST(test_unknown_key) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(
      kavro_conf_set(conf, "schema.registry.urls", "http://x", &error),
      KAVRO_ERR_CONF_UNKNOWN);
  ck_assert_ptr_nonnull(strstr(error.text, "schema.registry.urls"));
  ck_assert_int_eq(kavro_conf_set(conf, "", "x", NULL), KAVRO_ERR_CONF_UNKNOWN);
  size_t size = 8;
  char buf[8];
  ck_assert_int_eq(kavro_conf_get(conf, "nope", buf, &size),
                   KAVRO_ERR_CONF_UNKNOWN);
  kavro_conf_destroy(conf);
}
END_TEST

START_TEST(test_defaults_and_reset) {
  kavro_conf_t *conf = kavro_conf_new();
  static const char *const defaults[][2] = {
      {"basic.auth.credentials.source", "URL"},
      {"max.retries", "2"},
      {"retries.wait.ms", "1000"},
      {"retries.max.wait.ms", "20000"},
      {"cache.capacity", "1000"},
      {"cache.latest.ttl.sec", "-1"},
      {"auto.register.schemas", "true"},
      {"use.latest.version", "false"},
      {"latest.compatibility.strict", "true"},
      {"use.schema.id", "-1"},
      {"subject.name.strategy", "AssociatedNameStrategy"},
      {"subject.name.strategy.fallback.type", "TOPIC"},
      {"subject.name.strategy.cache.size", "1000"},
      {"subject.name.strategy.cache.expiry.secs", "-1"},
      {"context.name.strategy", "NullContextNameStrategy"},
      {"schema.registry.ssl.endpoint.identification.algorithm", "https"},
      {"schema.registry.url", ""},
  };
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
    char *v = get(conf, defaults[i][0]);
    ck_assert_str_eq(v, defaults[i][1]);
    free(v);
  }
  ck_assert_int_eq(kavro_conf_set(conf, "max.retries", "7", NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "max.retries", NULL, NULL), KAVRO_OK);
  char *v = get(conf, "max.retries");
  ck_assert_str_eq(v, "2");
  free(v);
  kavro_conf_destroy(conf);
}
END_TEST

START_TEST(test_get_buffer_too_small) {
  kavro_conf_t *conf = kavro_conf_new();
  char buf[4] = "xyz";
  size_t size = sizeof(buf);
  ck_assert_int_eq(kavro_conf_get(conf, "retries.max.wait.ms", buf, &size),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_uint_eq(size, 6);
  ck_assert_str_eq(buf, "xyz");
  kavro_conf_destroy(conf);
}
END_TEST

START_TEST(test_dup_is_deep) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "max.retries", "9", NULL), KAVRO_OK);
  kavro_conf_t *copy = kavro_conf_dup(conf);
  ck_assert_int_eq(kavro_conf_set(conf, "max.retries", "1", NULL), KAVRO_OK);
  kavro_conf_destroy(conf);
  char *v = get(copy, "max.retries");
  ck_assert_str_eq(v, "9");
  free(v);
  kavro_conf_destroy(copy);
}
END_TEST

/* A property with placeholders takes every key that fills them: kept,
 * copied, dumped (secret-looking ones masked), removed; a key that fills
 * none is unknown. */
START_TEST(test_pattern_keys) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, "rule.executors.mask.param.kms.password",
                                  "s3cret", &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "rule.executors._CEL_.disabled", "TRUE",
                                  &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "rule.executors.x", "1", &error),
                   KAVRO_ERR_CONF_UNKNOWN);
  ck_assert_int_eq(kavro_conf_set(conf, "rule.executors..disabled", "true",
                                  &error),
                   KAVRO_ERR_CONF_UNKNOWN);
  kavro_conf_t *copy = kavro_conf_dup(conf);
  char *v = get(copy, "rule.executors._CEL_.disabled");
  ck_assert_str_eq(v, "true");
  free(v);
  v = get(copy, "rule.executors.other.onFailure"); /* unset: the default */
  ck_assert_str_eq(v, "");
  free(v);
  size_t count = 0;
  char **dump = kavro_conf_dump(copy, &count);
  ck_assert_uint_eq(count, 2 * CASE_COUNT + 4);
  bool found = false;
  for (size_t i = 0; i < count; i++)
    ck_assert_ptr_null(strstr(dump[i], "s3cret"));
  for (size_t i = 0; i < count; i += 2)
    found |= strcmp(dump[i], "rule.executors.mask.param.kms.password") == 0 &&
             strcmp(dump[i + 1], "[redacted]") == 0;
  ck_assert(found);
  kavro_conf_dump_free(dump, count);
  ck_assert_int_eq(kavro_conf_set(copy, "rule.executors._CEL_.disabled", NULL,
                                  &error),
                   KAVRO_OK);
  dump = kavro_conf_dump(copy, &count);
  ck_assert_uint_eq(count, 2 * CASE_COUNT + 2);
  kavro_conf_dump_free(dump, count);
  kavro_conf_destroy(copy);
  kavro_conf_destroy(conf);
}
END_TEST

/* A dump may be logged: secrets and URL credentials never show. */
START_TEST(test_dump_hides_secrets) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url",
                                  "http://alice:s3cret@a:1/x,mock://m", NULL),
                   KAVRO_OK);
  ck_assert_int_eq(
      kavro_conf_set(conf, "basic.auth.user.info", "bob:hunter2", NULL),
      KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "bearer.auth.token", "tok3n", NULL),
                   KAVRO_OK);
  ck_assert_int_eq(
      kavro_conf_set(conf, "schema.registry.ssl.key.password", "keypw", NULL),
      KAVRO_OK);
  size_t count = 0;
  char **dump = kavro_conf_dump(conf, &count);
  ck_assert_ptr_nonnull(dump);
  bool saw_url = false;
  for (size_t i = 0; i < count; i++) {
    ck_assert_ptr_null(strstr(dump[i], "s3cret"));
    ck_assert_ptr_null(strstr(dump[i], "alice"));
    ck_assert_ptr_null(strstr(dump[i], "hunter2"));
    ck_assert_ptr_null(strstr(dump[i], "tok3n"));
    ck_assert_ptr_null(strstr(dump[i], "keypw"));
    if (i % 2 == 0 && strcmp(dump[i], "schema.registry.url") == 0) {
      ck_assert_str_eq(dump[i + 1], "http://a:1/x,mock://m");
      saw_url = true;
    }
    if (i % 2 == 0 && strcmp(dump[i], "bearer.auth.token") == 0)
      ck_assert_str_eq(dump[i + 1], "[redacted]");
  }
  ck_assert(saw_url);
  kavro_conf_dump_free(dump, count);
  kavro_conf_destroy(conf);
}
END_TEST

/* An invalid secret is not echoed in the error. */
START_TEST(test_invalid_secret_not_echoed) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, "basic.auth.user.info",
                                  "hunter2-without-colon", &error),
                   KAVRO_ERR_CONF_INVALID);
  ck_assert_ptr_null(strstr(error.text, "hunter2"));
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url",
                                  "ftp://alice:s3cret@x", &error),
                   KAVRO_ERR_CONF_INVALID);
  ck_assert_ptr_null(strstr(error.text, "s3cret"));
  /* user info but no host */
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url",
                                  "http://alice:s3cret@/subjects", &error),
                   KAVRO_ERR_CONF_INVALID);
  ck_assert_ptr_null(strstr(error.text, "s3cret"));
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url",
                                  "http://alice:s3cret@host:1/a@b", &error),
                   KAVRO_OK);
  kavro_conf_destroy(conf);
}
END_TEST

static kavro_err_t token_cb(void *opaque, char *token, size_t size,
                            int64_t *expires_at_ms, kavro_error_t *error) {
  snprintf(token, size, "%s", (const char *)opaque);
  *expires_at_ms = 0;
  return KAVRO_OK;
}

START_TEST(test_bearer_callback_sets_custom) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_conf_set_bearer_token_cb(conf, token_cb, "t");
  char *v = get(conf, "bearer.auth.credentials.source");
  ck_assert_str_eq(v, "CUSTOM");
  free(v);
  kavro_conf_set_bearer_token_cb(conf, NULL, NULL);
  v = get(conf, "bearer.auth.credentials.source");
  ck_assert_str_eq(v, "STATIC_TOKEN");
  free(v);
  kavro_conf_destroy(conf);
}
END_TEST

/* What kavro_registry_new() refuses (key/value pairs set in order, on top
 * of a valid URL unless the first pair clears it); the conf stays the
 * caller's. */
static const char *const refused[][6] = {
    {"schema.registry.url", NULL},
    {"basic.auth.credentials.source", "USER_INFO"},
    {"basic.auth.user.info", "u:p"},
    {"basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info",
     "u:p", "bearer.auth.token", "t"},
    {"bearer.auth.credentials.source", "CUSTOM"},
    {"schema.registry.url", "http://u:p@127.0.0.1:1", "bearer.auth.token", "t"},
    /* SASL_INHERIT without credentials handed over */
    {"basic.auth.credentials.source", "SASL_INHERIT"},
    /* OAUTHBEARER without an issuer, with one that is not HTTP, without a
     * secret */
    {"bearer.auth.credentials.source", "OAUTHBEARER", "bearer.auth.client.id",
     "c", "bearer.auth.client.secret", "s"},
    {"bearer.auth.credentials.source", "OAUTHBEARER",
     "bearer.auth.issuer.endpoint.url", "ftp://idp/token",
     "bearer.auth.client.id", "c"},
    {"bearer.auth.credentials.source", "OAUTHBEARER",
     "bearer.auth.issuer.endpoint.url", "http://127.0.0.1:1/token",
     "bearer.auth.client.id", "c"},
    {"proxy.port", "3128"},
};

START_TEST(test_registry_new_refuses) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(
      kavro_conf_set(conf, "schema.registry.url", "http://127.0.0.1:1", NULL),
      KAVRO_OK);
  for (int i = 0; i < 6 && refused[_i][i]; i += 2)
    ck_assert_int_eq(
        kavro_conf_set(conf, refused[_i][i], refused[_i][i + 1], NULL),
        KAVRO_OK);
  kavro_error_t error;
  ck_assert_ptr_null(kavro_registry_new(conf, &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
  kavro_conf_destroy(conf); /* still ours: no double free, no leak */
}
END_TEST

START_TEST(test_registry_new_takes_conf) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url",
                                  "http://u:p@127.0.0.1:1", NULL),
                   KAVRO_OK);
  kavro_registry_t *reg = kavro_registry_new(conf, NULL);
  ck_assert_ptr_nonnull(reg);
  ck_assert_ptr_eq(kavro_registry_conf(reg), conf);
  kavro_registry_destroy(reg); /* frees conf */
}
END_TEST

/* doc/CONFIGURATION.md is generated from the table and must be fresh. */
START_TEST(test_configuration_doc_fresh) {
  char *doc = kavro_conf_properties_markdown();
  ck_assert_ptr_nonnull(doc);
  const char *path = kt_src_path("doc/CONFIGURATION.md");
  if (getenv("KAVRO_UPDATE_DOCS")) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(doc, f);
    fclose(f);
  }
  size_t length = 0;
  char *committed = kt_read_file(path, &length);
  ck_assert_msg(committed != NULL, "cannot read %s", path);
  ck_assert_msg(strcmp(doc, committed) == 0,
                "%s is stale: run KAVRO_UPDATE_DOCS=1 tests/check_conf", path);
  for (size_t i = 0; i < CASE_COUNT; i++)
    ck_assert_ptr_nonnull(strstr(doc, cases[i].key));
  free(committed);
  free(doc);
}
END_TEST

static Suite *conf_suite(void) {
  Suite *s = suite_create("conf");
  TCase *tc = tcase_create("conf");
  tcase_add_test(tc, test_every_property_has_a_case);
  tcase_add_loop_test(tc, test_valid_value, 0, CASE_COUNT);
  tcase_add_loop_test(tc, test_invalid_value, 0, CASE_COUNT);
  tcase_add_test(tc, test_unknown_key);
  tcase_add_test(tc, test_defaults_and_reset);
  tcase_add_test(tc, test_get_buffer_too_small);
  tcase_add_test(tc, test_dup_is_deep);
  tcase_add_test(tc, test_dump_hides_secrets);
  tcase_add_test(tc, test_pattern_keys);
  tcase_add_test(tc, test_invalid_secret_not_echoed);
  tcase_add_test(tc, test_bearer_callback_sets_custom);
  tcase_add_loop_test(tc, test_registry_new_refuses, 0,
                      sizeof(refused) / sizeof(refused[0]));
  tcase_add_test(tc, test_registry_new_takes_conf);
  tcase_add_test(tc, test_configuration_doc_fresh);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(conf_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
