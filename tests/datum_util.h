/*
 * kavro tests - helpers for the serde tests: schemas from vector JSON,
 * avro-c values of a kavro schema, and comparison of datums written in
 * the conformance vectors' plain JSON convention.
 */
#ifndef KAVRO_DATUM_UTIL_H
#define KAVRO_DATUM_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <avro.h>
#include <jansson.h>

#include "kavro.h"

/* Parse the schema given as a JSON value in a vector; NULL (with @error
 * filled) when kavro refuses it. */
kavro_schema_t *kt_schema_from_json(const json_t *schema, kavro_error_t *error);

/* An avro-c generic value of a kavro schema, with what keeps it alive. */
typedef struct kt_value_s {
  avro_schema_t schema;
  avro_value_iface_t *iface;
  avro_value_t value;
} kt_value_t;

/* Make @v a new value of @schema; aborts the test when avro-c fails. */
void kt_value_init(kt_value_t *v, const kavro_schema_t *schema);
/* As kt_value_init, holding the Avro JSON datum @json; the running Check
 * test fails when the datum does not fit. */
void kt_value_from_json(kt_value_t *v, const kavro_schema_t *schema,
                        const char *json);
void kt_value_free(kt_value_t *v);

/* Compare two datums in the plain convention: numbers by value (5 equals
 * 5.0), reals bit for bit (so 0.0 differs from -0.0), objects without
 * regard to key order.  On a difference, writes where into @why. */
bool kt_datum_equal(const json_t *expected, const json_t *actual, char *why,
                    size_t why_size);

/* The value as a plain-convention JSON value (new reference); aborts the
 * test when the value cannot be written. */
json_t *kt_value_plain(const kavro_schema_t *schema, const avro_value_t *value);

#endif /* KAVRO_DATUM_UTIL_H */
