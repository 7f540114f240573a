/*
 * kavro benches - the ServiceOrderCreated the platform's data contracts
 * encrypt: the catalog's event with its customer inline (as Confluent's
 * JavaScript client writes it in tests/interop/js/contract_lib.mjs), one
 * event of it, and the contract that encrypts the customer's email and
 * phone (tagged PII by metadata paths) with the ENCRYPT rule (AES256_GCM,
 * the local KMS).  Shared by bench_rules (the serializer) and bench_e2e
 * (the producer helper over librdkafka).
 */
#ifndef KAVRO_BENCH_PII_ORDER_H
#define KAVRO_BENCH_PII_ORDER_H

#include <stdbool.h>

#include <avro.h>

#include "kavro.h"

/* The local KMS's secret the benches configure
 * (rule.executors._default_.param.secret). */
#define KB_PII_SECRET "bench-secret"

/* The event with its customer, as a parsed schema and a generic value. */
typedef struct kb_pii_order_s {
  kavro_schema_t *schema;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
} kb_pii_order_t;

/* Parse the schema and fill @o with the event; exits on failure. */
void kb_pii_order_init(kb_pii_order_t *o);
void kb_pii_order_free(kb_pii_order_t *o);

/* Register the event's schema under @subject in @registry: with the
 * encrypting contract when @encrypt, else bare.  Exits on failure. */
void kb_pii_order_register(kavro_registry_t *registry, const char *subject,
                           bool encrypt);

#endif
