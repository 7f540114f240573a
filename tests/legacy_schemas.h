/*
 * kavro tests - schemas a Schema Registry holds though the Avro 1.11
 * specification forbids them (accepted by older registries, or with
 * default validation off): one per defect a lenient parse relaxes, each
 * with where the defect is, what the warning says, and one message
 * written with it.
 */
#ifndef KAVRO_TESTS_LEGACY_SCHEMAS_H
#define KAVRO_TESTS_LEGACY_SCHEMAS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kt_legacy_s {
  const char *name;     /* the defect, for messages */
  const char *text;     /* a record Legacy: "id" (long) and "x" */
  const char *pointer;  /* JSON pointer of the defect */
  const char *says;     /* in the warning (and in the strict error) */
  bool field_default;   /* the defect is x's default: a reader of a writer
                           without x needs it */
  bool rewritten_away;  /* a registry stores a schema as its parser writes
                           it back, which drops this defect (no null
                           namespace, one value per key) */
  const char *body_hex; /* a body written with it: id 7 and an x */
  const char *json;     /* that body as Avro JSON */
} kt_legacy_t;

extern const kt_legacy_t kt_legacy[];
extern const size_t kt_legacy_count;

/* The version before every legacy schema: "id" alone, valid.  The body of
 * id 7 is "0e". */
extern const char kt_legacy_v1[];

#endif
