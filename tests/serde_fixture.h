/*
 * kavro tests - the fixture the serializer and deserializer suites share:
 * a mock registry, registry clients for it, parsed schemas and avro-c
 * values built from Avro JSON.  Every helper fails the running Check test
 * when a step fails.  Not thread-safe: one test at a time per process.
 */
#ifndef KAVRO_TESTS_SERDE_FIXTURE_H
#define KAVRO_TESTS_SERDE_FIXTURE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#include "datum_util.h"
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

/* A registry client for @url with the configuration key/value pairs of
 * @settings (key, value, ..., NULL; NULL for none).  The caller destroys
 * it. */
kavro_registry_t *kt_client_settings(const char *url,
                                     const char *const *settings);

/* A registry client for @url that never retries, with extra configuration
 * key/value pairs ending with NULL (at most 16 pairs).  The caller
 * destroys it. */
kavro_registry_t *kt_client(const char *url, ...);

/* Collect the key/value pairs of @ap (ending with a NULL key) after the
 * @first ones (NULL-terminated, may be NULL) into @out, which holds
 * @capacity pointers and is NULL-terminated; fails the test when they do
 * not fit. */
void kt_settings_collect(const char **out, size_t capacity,
                         const char *const *first, va_list ap);

/* The GUID @mock gave the schema of id @id, read from a copy of its
 * store saved to a temporary file: a source independent of the registry
 * client's kavro_registry_guid_by_id(). */
void kt_mock_guid(kavro_mock_t *mock, int id, unsigned char guid[16]);

/* Make @mock hold @count schemas as a registry holds what it accepted
 * long ago: versions 1..@count of @subject, ids 1..@count, loaded from a
 * store file, so that schemas the mock would refuse to register (it
 * registers only what is valid today) can be held.  @mock must be
 * empty. */
void kt_mock_hold(kavro_mock_t *mock, const char *subject,
                  const char *const *texts, size_t count);

/* A frame: magic byte, @id, and the body given as hex; *@length is set.
 * The caller frees it. */
unsigned char *kt_frame_hex(int id, const char *body_hex, size_t *length);

/* @text parsed as a schema; the caller destroys it. */
kavro_schema_t *kt_parse(const char *text);

/* The body of @frame (5-byte prefix) decoded with the schema @text, no
 * rule run: the datum as it travels, as plain JSON (kt_value_plain()). */
json_t *kt_frame_plain(const char *text, const kavro_buf_t *frame);

/* Register @text under @subject with the contract @metadata and
 * @rule_set (JSON object texts, either may be NULL); returns its id. */
int kt_register_contract(kavro_registry_t *reg, const char *subject,
                         const char *text, const char *metadata,
                         const char *rule_set);

/* The requests @reg sent, over every endpoint. */
uint64_t kt_requests(const kavro_registry_t *reg);

/* A rule set of one domain rule named "checkSsn" (CONDITION, JSONATA: a
 * type kavro has no executor for) with @mode, @on_failure (NULL: unset)
 * and @disabled, in a static buffer. */
const char *kt_unexecutable_rule_set(const char *mode,
                                     const char *on_failure, bool disabled);

#endif
