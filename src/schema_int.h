/*
 * kavro - internal schema model, shared by every part built on `schema`
 * (canonical form, JSON output, avro-c conversion, compat, serde, typed).
 *
 * A parsed schema is a graph of kv_node_t.  Every occurrence of a type in
 * the text gets its own node, except references by name: a name resolves to
 * the node of the named type's definition, so recursive schemas are cycles
 * and a named type used twice is one node.  All nodes are owned by the
 * schema that defines them (owner); a schema that uses types from a
 * referenced schema points into that schema's nodes and holds a reference to
 * it, so those nodes live as long as it does.
 *
 * After kavro_schema_parse() returns, nothing here is ever written again:
 * any number of threads may read it.
 */
#ifndef KAVRO_SCHEMA_INT_H
#define KAVRO_SCHEMA_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kavro/schema.h"

typedef struct kv_node_s kv_node_t;

/* An open-addressed index from strings to positions in an array its owner
 * keeps: a slot holds position + 1 (0 = empty).  At most half full, so a
 * lookup probes a slot or two whatever the number of keys: every name,
 * field and symbol check stays linear in the size of the schema. */
typedef struct kv_index_s {
  uint32_t *slots;
  size_t slot_count;        /* power of two, 0 when empty */
} kv_index_t;

/* Most keys one index holds (positions are stored in 32 bits). */
#define KV_INDEX_MAX_KEYS ((size_t)1 << 30)

typedef enum kv_order_e {
  KV_ORDER_ASCENDING = 0,
  KV_ORDER_DESCENDING,
  KV_ORDER_IGNORE
} kv_order_t;

typedef struct kv_field_s {
  char *name;
  kv_node_t *type;
  json_t *default_value;   /* validated against type; NULL when none */
  char *default_defect;    /* why default_value does not fit the type (a
                              lenient parse kept it), NULL when it fits:
                              such a default is never used */
  char **aliases;          /* field aliases (plain names) */
  size_t alias_count;
  char *doc;               /* NULL when none */
  kv_order_t order;
  json_t *props;           /* other attributes, NULL when none */
  size_t index;            /* position in the record */
} kv_field_t;

struct kv_node_s {
  kavro_type_t type;
  kavro_logical_t logical;  /* KAVRO_LOGICAL_NONE when absent or invalid */
  int precision, scale;     /* decimal only */
  json_t *props;            /* attributes the model does not keep in a
                               member (custom properties, an ignored
                               logicalType and its parameters); NULL none.
                               A valid logicalType lives in `logical` (and
                               precision/scale), not here. */
  json_t *text_props;       /* with a valid logicalType: props and the
                               logical attributes together, in the text's
                               order, for JSON output in the layout Java's
                               Avro writes (a logicalType is a property
                               there); NULL otherwise */

  /* Named types (record, enum, fixed). */
  char *fullname;           /* "com.acme.Order" */
  const char *name;         /* last component, points into fullname */
  char *space;              /* namespace, NULL for the null namespace */
  char **aliases;           /* full names */
  size_t alias_count;
  char *doc;
  const kavro_schema_t *owner; /* schema whose text defines this type */
  char *path;               /* JSON pointer of the definition in owner */
  bool is_error;            /* declared with "type": "error" */

  /* Record. */
  kv_field_t *fields;
  size_t field_count;
  kv_index_t field_index;   /* field names */
  size_t required_field_count; /* fields without a default */
  bool defining;            /* fields still being parsed: a default of
                               this record cannot be checked yet */

  /* Enum. */
  char **symbols;
  size_t symbol_count;
  kv_index_t symbol_index;
  long enum_default;        /* symbol index, -1 when none */
  json_t *bad_enum_default; /* a "default" that is no symbol (lenient
                               parse), kept for output; NULL when none */
  char *enum_default_defect; /* why, when bad_enum_default is set */

  /* Fixed. */
  size_t size;

  /* Array items or map values. */
  kv_node_t *items;

  /* Union. */
  kv_node_t **branches;
  size_t branch_count;
};

struct kavro_schema_s {
  atomic_int refcount;
  char *text;               /* NUL-terminated copy of the source text */
  size_t text_length;
  char *source;             /* name for messages, NULL when none */
  kv_node_t *root;

  kv_node_t **nodes;        /* every node this schema owns */
  size_t node_count, node_capacity;

  kv_node_t **named;        /* named types this schema defines, in order */
  size_t named_count, named_capacity;
  kv_index_t named_index;

  /* Named types the references define, each name once (the first in
   * depth-first reference order), so that a lookup costs one probe however
   * many schemas the references reach. */
  kv_node_t **visible;
  size_t visible_count, visible_capacity;
  kv_index_t visible_index;

  kavro_schema_t **references; /* schemas whose types it uses (owned refs) */
  size_t reference_count;

  char **warnings;
  size_t warning_count;
  size_t *relaxed;          /* positions among the warnings of the
                               defects a lenient parse accepted */
  size_t relaxed_count;

  char *canonical;          /* Parsing Canonical Form */
  size_t canonical_length;
  uint64_t rabin;
  unsigned char md5[16];
  unsigned char sha256[32];
  unsigned char identity[32]; /* SHA-256 of the compact JSON output: equal
                                 exactly when a registry would call the two
                                 schemas the same (see kv_schema_identity) */
};

static inline bool kv_type_is_named(kavro_type_t t) {
  return t == KAVRO_RECORD || t == KAVRO_ENUM || t == KAVRO_FIXED;
}

static inline bool kv_type_is_primitive(kavro_type_t t) {
  return t <= KAVRO_STRING;
}

/* A kavro_schema_to_json() flag outside the public ones: the named types
 * that references define are written in full at their first use, as in
 * the text of the registry's `?format=resolved` (Java's
 * Schema.toString() of a schema parsed with its references), instead of
 * by name. */
#define KV_JSON_RESOLVED 0x100u

static inline const kv_node_t *kv_schema_root(const kavro_schema_t *schema) {
  return schema->root;
}

/* Reads the key of item @i of an indexed array. */
typedef const char *(*kv_key_of_fn)(const void *items, size_t i);

/* Size @index for @count keys; false when out of memory or @count is more
 * than KV_INDEX_MAX_KEYS. */
bool kv_index_init(kv_index_t *index, size_t count);

void kv_index_free(kv_index_t *index);

/* The position of @key in @items, or -1. */
long kv_index_find(const kv_index_t *index, const void *items,
                   kv_key_of_fn key_of, const char *key);

/* Record that @key is at @position; the index was sized for it. */
void kv_index_put(kv_index_t *index, const char *key, size_t position);

/* Key readers for the arrays of the model. */
const char *kv_field_key(const void *fields, size_t i);
const char *kv_symbol_key(const void *symbols, size_t i);
const char *kv_named_key(const void *nodes, size_t i);

/* The record field called @name, or NULL.  O(1). */
const kv_field_t *kv_record_field(const kv_node_t *record, const char *name);

/* The position of @symbol among @enumeration's symbols, or -1.  O(1). */
long kv_enum_symbol(const kv_node_t *enumeration, const char *symbol);

/* The named type @fullname visible in @schema (its own definitions, then
 * those of its references), or NULL. */
const kv_node_t *kv_schema_find_named(const kavro_schema_t *schema,
                                      const char *fullname);

/* The primitive type called @name ("int"), or -1. */
int kv_primitive_from_name(const char *name);

/* Logical type name ("timestamp-millis"), NULL for NONE. */
const char *kv_logical_name(kavro_logical_t logical);

/* Hash used by the name and field indexes (FNV-1a). */
uint32_t kv_hash_string(const char *s);

/* Add @node to @schema's nodes (which then owns it); false on OOM. */
bool kv_schema_adopt_node(kavro_schema_t *schema, kv_node_t *node);

/* Register a named type definition; false on OOM.  The caller has checked
 * that the name is not yet visible. */
bool kv_schema_add_named(kavro_schema_t *schema, kv_node_t *node);

/* Gather the named types of @schema's references into its visible index
 * (parse time, before any lookup); false on OOM. */
bool kv_schema_index_references(kavro_schema_t *schema);

/* 32 bytes that tell schemas apart the way a Schema Registry does: by
 * every attribute (defaults, aliases, doc, properties), not by the
 * canonical form, yet not by whitespace or key order either.  Key caches
 * of registered schemas on it. */
static inline const unsigned char *kv_schema_identity(const kavro_schema_t *schema) {
  return schema->identity;
}

/* Compute the canonical form, fingerprints and identity into @schema
 * (parse time). */
kavro_err_t kv_schema_finish_canonical(kavro_schema_t *schema,
                                       kavro_error_t *error);

#endif /* KAVRO_SCHEMA_INT_H */
