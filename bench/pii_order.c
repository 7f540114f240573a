/*
 * kavro benches - the ServiceOrderCreated with its customer (pii_order.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "pii_order.h"

/* The schema, and one event. */
static const char pii_schema_text[] =
    "{\"type\":\"record\",\"name\":\"ServiceOrderCreated\",\"namespace\":"
    "\"com.ahs.fsm.events.projects\",\"fields\":["
    "{\"name\":\"event_id\",\"type\":\"string\"},"
    "{\"name\":\"event_timestamp\",\"type\":{\"type\":\"long\","
    "\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"service_order_id\",\"type\":\"string\"},"
    "{\"name\":\"country_code\",\"type\":\"string\"},"
    "{\"name\":\"estimated_duration_min\",\"type\":\"int\"},"
    "{\"name\":\"requires_confirmation_tv\",\"type\":\"boolean\"},"
    "{\"name\":\"depends_on_order_id\",\"type\":[\"null\",\"string\"],"
    "\"default\":null},"
    "{\"name\":\"customer\",\"type\":{\"type\":\"record\",\"name\":"
    "\"CustomerInfo\",\"namespace\":\"com.ahs.fsm.common\",\"fields\":["
    "{\"name\":\"customer_id\",\"type\":\"string\"},"
    "{\"name\":\"name\",\"type\":\"string\"},"
    "{\"name\":\"email\",\"type\":\"string\"},"
    "{\"name\":\"phone\",\"type\":\"string\"}]}},"
    "{\"name\":\"address\",\"type\":{\"type\":\"record\",\"name\":"
    "\"DeliveryAddress\",\"namespace\":\"com.ahs.fsm.common\",\"fields\":["
    "{\"name\":\"street\",\"type\":\"string\"},"
    "{\"name\":\"city\",\"type\":\"string\"},"
    "{\"name\":\"postal_code\",\"type\":\"string\"},"
    "{\"name\":\"country\",\"type\":\"string\"}]}},"
    "{\"name\":\"amount\",\"type\":{\"type\":\"record\",\"name\":"
    "\"Amount\",\"namespace\":\"com.ahs.fsm.common\",\"fields\":["
    "{\"name\":\"value\",\"type\":\"double\"},"
    "{\"name\":\"currency\",\"type\":\"string\"}]}}]}";
static const char pii_event[] =
    "{\"event_id\":\"ev-1\",\"event_timestamp\":1765094400000,"
    "\"service_order_id\":\"SO-1\",\"country_code\":\"FR\","
    "\"estimated_duration_min\":90,\"requires_confirmation_tv\":true,"
    "\"depends_on_order_id\":{\"string\":\"SO-0\"},"
    "\"customer\":{\"customer_id\":\"C-1\",\"name\":\"Zoe Martin\","
    "\"email\":\"zoe.martin@example.fr\",\"phone\":\"+33612345678\"},"
    "\"address\":{\"street\":\"1 rue de la Paix\",\"city\":\"Paris\","
    "\"postal_code\":\"75002\",\"country\":\"FR\"},"
    "\"amount\":{\"value\":129.5,\"currency\":\"EUR\"}}";


/* The customer's email and phone, tagged PII by metadata paths, encrypted
 * as the field-service platform's contracts ask. */
static const char pii_metadata[] =
    "{\"tags\":{\"com.ahs.fsm.common.CustomerInfo.email\":[\"PII\"],"
    "\"com.ahs.fsm.common.CustomerInfo.phone\":[\"PII\"]}}";
static const char encrypt_rule_set[] =
    "{\"domainRules\":[{\"name\":\"encryptPII\",\"kind\":\"TRANSFORM\","
    "\"mode\":\"WRITEREAD\",\"type\":\"ENCRYPT\",\"tags\":[\"PII\"],"
    "\"params\":{\"encrypt.kek.name\":\"bench-kek\",\"encrypt.kms.type\":"
    "\"local-kms\",\"encrypt.kms.key.id\":\"bench-key\"}}]}";

void kb_pii_order_init(kb_pii_order_t *o) {
  kavro_error_t error;
  if (kavro_schema_parse(pii_schema_text, strlen(pii_schema_text), NULL,
                         &o->schema, &error) ||
      kavro_schema_to_avro(o->schema, &o->avro, &error) ||
      !(o->iface = avro_generic_class_from_schema(o->avro)) ||
      avro_generic_value_new(o->iface, &o->value) ||
      kavro_value_from_json(o->schema, pii_event, strlen(pii_event),
                            &o->value, &error))
    kb_die("the event with its customer", &error);
}

void kb_pii_order_free(kb_pii_order_t *o) {
  avro_value_decref(&o->value);
  avro_value_iface_decref(o->iface);
  avro_schema_decref(o->avro);
  kavro_schema_destroy(o->schema);
}

void kb_pii_order_register(kavro_registry_t *registry, const char *subject,
                           bool encrypt) {
  kb_pii_order_t o;
  kb_pii_order_init(&o);
  kavro_schema_contract_t contract = {encrypt ? pii_metadata : NULL,
                                      encrypt ? encrypt_rule_set : NULL};
  kavro_schema_info_t *info = NULL;
  kavro_error_t error;
  if (kavro_registry_register_contract(registry, subject, o.schema, NULL, 0,
                                       false, &contract, &info, &error))
    kb_die("register the event with its customer", &error);
  kavro_schema_info_destroy(info);
  kb_pii_order_free(&o);
}
