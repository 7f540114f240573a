/*
 * kavro tests - the fixture the serializer and deserializer suites share:
 * a mock registry, registry clients for it, parsed schemas and avro-c
 * values built from Avro JSON.  Every helper fails the running Check test
 * when a step fails.  Not thread-safe: one test at a time per process.
 */
#ifndef KAVRO_TESTS_SERDE_FIXTURE_H
#define KAVRO_TESTS_SERDE_FIXTURE_H

#include <avro.h>

#include "kavro.h"
#include "kavro/mock.h"

/* The mock registry of the running test, NULL between tests. */
extern kavro_mock_t *kt_mock;

/* Start the mock registry under @name (reachable as mock://@name); called
 * from a suite's checked fixture. */
void kt_mock_start(const char *name);

/* Destroy the mock registry; usable as a checked-fixture teardown. */
void kt_mock_stop(void);

/* The mock's URL: @which 0 is mock://NAME, 1 HTTP on loopback (the mock
 * starts listening on first use). */
const char *kt_mock_url(int which);

/* A registry client for @url that never retries, with extra configuration
 * key/value pairs ending with NULL.  The caller destroys it. */
kavro_registry_t *kt_client(const char *url, ...);

/* @text parsed as a schema; the caller destroys it. */
kavro_schema_t *kt_parse(const char *text);

/* An avro-c value of a schema holding an Avro JSON datum. */
typedef struct kt_value_s {
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
} kt_value_t;

/* Fill @v with the datum @json of @schema; release it with kt_value_free. */
void kt_value_init(kt_value_t *v, const kavro_schema_t *schema,
                   const char *json);

void kt_value_free(kt_value_t *v);

#endif
