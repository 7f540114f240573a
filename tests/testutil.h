/*
 * kavro tests - shared helpers: conformance vectors and fixture paths.
 */
#ifndef KAVRO_TESTUTIL_H
#define KAVRO_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Path of a conformance file ("compat.jsonl") in a static buffer. */
const char *kt_conformance_path(const char *name);

/* Path of a file relative to the source tree, in a static buffer. */
const char *kt_src_path(const char *relative);

/* Load a JSON Lines file: a JSON array of its objects (new reference).
 * Integers are parsed exactly (JSON_DECODE_INT_AS_REAL is not set).
 * Aborts the test program with a message when the file is missing or a
 * line is not JSON, so that a missing vector file can never pass. */
json_t *kt_load_jsonl(const char *path);

/* Read a whole file into a NUL-terminated malloc'd buffer; NULL on error. */
char *kt_read_file(const char *path, size_t *length);

/* Decode lowercase/uppercase hex into a malloc'd buffer; NULL on bad hex. */
unsigned char *kt_hex_decode(const char *hex, size_t *length);

/* Encode bytes as lowercase hex into a malloc'd string. */
char *kt_hex_encode(const unsigned char *data, size_t length);

/* Whether this machine can bind the IPv6 loopback address (::1): a test
 * of listening on IPv6 passes without doing anything where it cannot. */
bool kt_ipv6_loopback(void);

#endif /* KAVRO_TESTUTIL_H */
