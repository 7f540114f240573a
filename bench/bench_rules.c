/*
 * kavro bench - data contract rules on the warm produce path.
 *
 * A ServiceOrderCreated (the catalog's record) is serialized by one warm
 * kavro_serializer_t to two topics whose subjects hold the same schema:
 * one without rules, one whose rule set has a single CEL condition, the
 * catalog's own need: a valid country code
 * (`message.country_code.matches('^[A-Z]{2}$')`).  Both as an avro-c
 * generic value (the rule reads the value in place) and as the generated
 * typed record (the serializer reads the body it wrote back into a
 * generic value for the rule).  The catalog's event carries no personal
 * data; the ServiceOrderCreated the platform's contracts encrypt carries
 * its customer inline (as Confluent's JavaScript client writes it in
 * tests/interop/js/contract_lib.mjs): one topic writes it without rules,
 * another with an ENCRYPT rule over the customer's email and phone
 * (tagged PII by the metadata; AES256_GCM, the KEK's type local-kms).
 * The rule set is compiled when the serializer first meets the schema,
 * the DEK made and unwrapped then; after warm-up no request may reach the
 * registry (kavro's mock, in the process) or the KMS: both are counted
 * (the KMS is a counting stand-in registered for local-kms) and the
 * bench fails when either moved.  Cases run in interleaved rounds; a
 * ratio is the median of the ratios within a round.
 *
 * Machine lines (measured must not exceed goal):
 *   FIGURE <name> <value> <unit>
 *   RATIO produce_one_cel_condition_vs_none <measured> 2.0
 *   RATIO typed_produce_one_cel_condition_vs_none <measured>
 *   RATIO serialize_encrypt_two_pii_vs_none <measured> 3.0
 *   COUNT warm_cel_produce_allocs <measured> 0
 *   COUNT warm_cel_typed_produce_allocs <measured> 0
 *   COUNT warm_encrypt_produce_allocs_per_message <measured> 0
 *   COUNT warm_encrypt_registry_requests <measured> 0
 *   COUNT warm_encrypt_kms_calls <measured> 0
 * Allocations are counted by wrapping malloc.
 *
 * Built and run by `make bench`, never by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>

#include "bench_alloc.h"
#include "bench_util.h"
#include "catalog.h"
#include "pii_order.h"
#include "sample_order.h"
#include "kavro.h"
#include "kavro/mock.h"

#define ROUNDS 5
#define WARM 1000
#define CALLS 20000

#define PLAIN_TOPIC "orders.plain"
#define CEL_TOPIC "orders.checked"
#define PII_PLAIN_TOPIC "orders.customer.plain"
#define ENCRYPT_TOPIC "orders.customer.encrypted"

static const char country_rule_set[] =
    "{\"domainRules\":[{\"name\":\"validCountryCode\",\"kind\":"
    "\"CONDITION\",\"mode\":\"WRITE\",\"type\":\"CEL\",\"expr\":"
    "\"message.country_code.matches('^[A-Z]{2}$')\"}]}";

typedef struct bench_s {
  kavro_mock_t *mock;
  kavro_registry_t *registry;
  kavro_serializer_t *serializer;
  kavro_typed_serializer_t *typed;
  kavro_schema_t *schema;
  service_order_created_t order;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value; /* the order as a generic value */
  kb_pii_order_t pii; /* the order with its customer */
  kavro_buf_t *out;
} bench_t;

static bench_t bench;

/* Calls of the KMS: made when a DEK is created or first unwrapped, never
 * on the warm path. */
static unsigned long kms_calls;

/* The KMS stand-in: counts, and wraps by XOR (the DEK's wrapping is not
 * what is measured). */
static kavro_err_t counting_kms(void *opaque, const kavro_rule_ctx_t *ctx,
                                const char *key_url, const unsigned char *in,
                                size_t size, unsigned char **outp,
                                size_t *outsizep, kavro_error_t *error) {
  kms_calls++;
  if (!(*outp = malloc(size ? size : 1))) {
    error->code = KAVRO_ERR_NOMEM;
    snprintf(error->text, sizeof(error->text), "out of memory");
    return error->code;
  }
  for (size_t i = 0; i < size; i++)
    (*outp)[i] = in[i] ^ 0x5a;
  *outsizep = size;
  return KAVRO_OK;
}

/* Register the catalog's record under @topic's subject with @rule_set
 * (NULL: none). */
static void register_for(bench_t *b, const char *topic, const char *rule_set) {
  char subject[128];
  snprintf(subject, sizeof(subject), "%s-value", topic);
  kavro_schema_contract_t contract = {NULL, rule_set};
  kavro_schema_info_t *info = NULL;
  kavro_error_t error;
  if (kavro_registry_register_contract(b->registry, subject, b->schema, NULL,
                                       0, false, &contract, &info, &error))
    kb_die("register", &error);
  kavro_schema_info_destroy(info);
}

static void setup(bench_t *b) {
  kavro_error_t error;
  /* The registry takes its conf; the serializer copies its own. */
  kavro_conf_t *registry_conf = kavro_conf_new(), *conf = kavro_conf_new();
  if (kavro_mock_new("benchrules", &b->mock, &error) ||
      kavro_conf_set(registry_conf, "schema.registry.url", "mock://benchrules",
                     &error) ||
      !(b->registry = kavro_registry_new(registry_conf, &error)) ||
      kavro_conf_set(conf, "auto.register.schemas", "false", &error) ||
      kavro_conf_set(conf, "rule.executors._default_.param.secret",
                     KB_PII_SECRET, &error) ||
      kavro_conf_add_kms_driver(conf, "local-kms",
                                &(kavro_kms_driver_t){counting_kms,
                                                      counting_kms, NULL},
                                &error) ||
      !(b->serializer = kavro_serializer_new(b->registry, conf, &error)) ||
      !(b->typed = kavro_typed_serializer_new(b->serializer, &error)) ||
      kavro_schema_parse(service_order_created_type.schema_text,
                         strlen(service_order_created_type.schema_text), NULL,
                         &b->schema, &error) ||
      kavro_schema_to_avro(b->schema, &b->avro, &error))
    kb_die("setup", &error);
  kavro_conf_destroy(conf);
  register_for(b, PLAIN_TOPIC, NULL);
  register_for(b, CEL_TOPIC, country_rule_set);

  kb_pii_order_init(&b->pii);
  kb_pii_order_register(b->registry, PII_PLAIN_TOPIC "-value", false);
  kb_pii_order_register(b->registry, ENCRYPT_TOPIC "-value", true);

  /* The sample event as a generic value: its typed encoding, decoded. */
  kb_sample_order(&b->order);
  kavro_decoder_t *decoder = kavro_decoder_new(NULL);
  if (!(b->out = kavro_buf_new(512, 0)) || !decoder ||
      !(b->iface = avro_generic_class_from_schema(b->avro)) ||
      avro_generic_value_new(b->iface, &b->value) ||
      kavro_typed_encode(&service_order_created_type, &b->order, b->out,
                         &error) ||
      kavro_decode(decoder, b->schema, kavro_buf_data(b->out),
                   kavro_buf_length(b->out), &b->value, NULL, &error))
    kb_die("the sample event", &error);
  kavro_decoder_destroy(decoder);
}

static void generic_op(bench_t *b, const char *topic) {
  kavro_error_t error;
  if (kavro_serializer_serialize(b->serializer, topic, false, b->schema,
                                 &b->value, b->out, &error))
    kb_die("serialize", &error);
}

static void typed_op(bench_t *b, const char *topic) {
  kavro_error_t error;
  if (kavro_typed_serialize(b->typed, topic, false,
                            &service_order_created_type, &b->order, b->out,
                            &error))
    kb_die("typed serialize", &error);
}

static void generic_plain_op(void *ctx) { generic_op(ctx, PLAIN_TOPIC); }
static void generic_cel_op(void *ctx) { generic_op(ctx, CEL_TOPIC); }
static void typed_plain_op(void *ctx) { typed_op(ctx, PLAIN_TOPIC); }
static void typed_cel_op(void *ctx) { typed_op(ctx, CEL_TOPIC); }
static void pii_op(bench_t *b, const char *topic) {
  kavro_error_t error;
  if (kavro_serializer_serialize(b->serializer, topic, false, b->pii.schema,
                                 &b->pii.value, b->out, &error))
    kb_die("serialize", &error);
}

static void pii_plain_op(void *ctx) { pii_op(ctx, PII_PLAIN_TOPIC); }
static void pii_encrypt_op(void *ctx) { pii_op(ctx, ENCRYPT_TOPIC); }

enum {
  GENERIC_PLAIN,
  GENERIC_CEL,
  TYPED_PLAIN,
  TYPED_CEL,
  PII_PLAIN,
  PII_ENCRYPT,
  CASE_COUNT
};

static kb_case_t cases[CASE_COUNT] = {
    [GENERIC_PLAIN] = {"produce, generic value, no rules", generic_plain_op,
                       {0}},
    [GENERIC_CEL] = {"produce, generic value, one CEL condition",
                     generic_cel_op,
                     {0}},
    [TYPED_PLAIN] = {"produce, typed record, no rules", typed_plain_op, {0}},
    [TYPED_CEL] = {"produce, typed record, one CEL condition", typed_cel_op,
                   {0}},
    [PII_PLAIN] = {"produce with customer, generic value, no rules",
                   pii_plain_op,
                   {0}},
    [PII_ENCRYPT] = {"produce with customer, email and phone encrypted",
                     pii_encrypt_op,
                     {0}},
};

int main(void) {
  bench_t *b = &bench;
  setup(b);
  /* The first call of each meets the schema: lookup, rule set compiled. */
  for (int i = 0; i < CASE_COUNT; i++)
    cases[i].op(b);
  uint64_t requests = kavro_mock_request_count(b->mock, NULL);
  unsigned long kms_warm = kms_calls;
  kb_rounds(cases, CASE_COUNT, b, ROUNDS, kb_case_seconds(0.5));
  size_t generic_allocs =
      kb_allocations_in_calls(generic_cel_op, b, WARM, CALLS);
  size_t typed_allocs = kb_allocations_in_calls(typed_cel_op, b, WARM, CALLS);
  size_t encrypt_allocs =
      kb_allocations_in_calls(pii_encrypt_op, b, WARM, CALLS);
  requests = kavro_mock_request_count(b->mock, NULL) - requests;
  kms_warm = kms_calls - kms_warm;

  printf("ServiceOrderCreated, warm serializer, medians of %d rounds\n",
         ROUNDS);
  printf("  %-48s %10s\n", "ns per message", "median");
  for (int i = 0; i < CASE_COUNT; i++)
    printf("  %-48s %10.1f\n", cases[i].name,
           kb_case_median(&cases[i], ROUNDS));
  printf("allocations in %d warm calls: generic %zu, typed %zu, "
         "encrypting %zu\n\n",
         CALLS, generic_allocs, typed_allocs, encrypt_allocs);

  kb_figure("produce_no_rules_ns", 1, kb_case_median(&cases[GENERIC_PLAIN],
                                                     ROUNDS), "ns");
  kb_figure("produce_one_cel_condition_ns", 1,
            kb_case_median(&cases[GENERIC_CEL], ROUNDS), "ns");
  kb_figure("typed_produce_one_cel_condition_ns", 1,
            kb_case_median(&cases[TYPED_CEL], ROUNDS), "ns");
  kb_ratio("produce_one_cel_condition_vs_none", 2,
           kb_median_ratio(&cases[GENERIC_CEL], &cases[GENERIC_PLAIN], ROUNDS),
           "2.0");
  /* Typed records pay for reading their body back into a generic value,
   * what the rule is run over: no goal of its own. */
  kb_ratio("typed_produce_one_cel_condition_vs_none", 2,
           kb_median_ratio(&cases[TYPED_CEL], &cases[TYPED_PLAIN], ROUNDS),
           NULL);
  kb_figure("serialize_encrypt_two_pii_ns", 1,
            kb_case_median(&cases[PII_ENCRYPT], ROUNDS), "ns");
  /* The serializer alone, the same value with and without the rule: the
   * goal is the one asked of field encryption.  The body is rewritten in
   * one pass (rules_rewrite.c); what the rule adds is mostly the two AEAD
   * passes through OpenSSL's EVP layer, the rest the walk over the body
   * and the base64 of the ciphertexts.  bench_e2e's
   * e2e_produce_encrypt_two_pii_vs_none has the same goal for a produce
   * through librdkafka. */
  kb_ratio("serialize_encrypt_two_pii_vs_none", 2,
           kb_median_ratio(&cases[PII_ENCRYPT], &cases[PII_PLAIN], ROUNDS),
           "3.0");
  kb_count("warm_cel_produce_allocs", (double)generic_allocs, "0");
  kb_count("warm_cel_typed_produce_allocs", (double)typed_allocs, "0");
  /* The body is rewritten into a buffer the serializer keeps, GCM
   * contexts are kept per key and IVs drawn in bulk: none. */
  kb_count("warm_encrypt_produce_allocs_per_message",
           (double)encrypt_allocs / CALLS, "0");
  kb_count("warm_encrypt_registry_requests", (double)requests, "0");
  kb_count("warm_encrypt_kms_calls", (double)kms_warm, "0");
  /* The stand-in made and unwrapped the DEK in the warm-up: the count
   * above is of the KMS the rule uses. */
  if (kms_calls == 0) {
    fprintf(stderr, "bench_rules: the KMS stand-in was never called\n");
    return 1;
  }
  if (requests || kms_warm) {
    fprintf(stderr, "bench_rules: the warm path made %llu registry "
                    "requests and %lu KMS calls\n",
            (unsigned long long)requests, kms_warm);
    return 1;
  }

  kb_pii_order_free(&b->pii);
  avro_value_decref(&b->value);
  avro_value_iface_decref(b->iface);
  avro_schema_decref(b->avro);
  kavro_buf_destroy(b->out);
  kavro_schema_destroy(b->schema);
  kavro_typed_serializer_destroy(b->typed);
  kavro_serializer_destroy(b->serializer);
  kavro_registry_destroy(b->registry);
  kavro_mock_destroy(b->mock);
  return 0;
}
