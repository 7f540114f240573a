/*
 * kavro - the resolution program: how data of a writer schema is read into
 * a value of a reader schema, compiled once per (writer, reader) pair.
 *
 * A plan is a graph of kv_plan_t, one per (writer node, reader node) pair
 * met while matching the two schemas; a recursive pair points back at its
 * own plan, so recursive schemas are cycles here too.  Everything a datum
 * needs is decided when the plan is built: field positions, the writer
 * fields to skip, the reader fields to fill and their defaults already in
 * binary form, enum symbol maps, union branch choices.  Reading a datum
 * only follows the plan.
 */
#ifndef KAVRO_RESOLVE_INT_H
#define KAVRO_RESOLVE_INT_H

#include "serde_value_int.h"

typedef enum kv_op_e {
  KV_OP_DIRECT,        /* writer and reader agree: decode the writer node */
  KV_OP_PROMOTE,       /* a primitive read as a wider or sibling one */
  KV_OP_RECORD,
  KV_OP_ENUM,
  KV_OP_COLLECTION,    /* array or map with resolved items */
  KV_OP_WRITER_UNION,  /* the datum chooses a writer branch */
  KV_OP_READER_UNION   /* a writer non-union into one reader branch */
} kv_op_t;

typedef struct kv_plan_s kv_plan_t;

/* One writer field, in writer order. */
typedef struct kv_step_s {
  const kv_node_t *writer_type;
  const kv_plan_t *plan;      /* NULL: the reader has no such field, skip */
  size_t reader_index;
} kv_step_t;

/* A reader field the writer lacks, filled from its default. */
typedef struct kv_fill_s {
  size_t reader_index;
  const kv_node_t *reader_type;
  unsigned char *bytes;       /* the default in the binary encoding */
  size_t length;
} kv_fill_t;

struct kv_plan_s {
  kv_op_t op;
  bool failed;                /* building it failed (see resolve.c) */
  const kv_node_t *writer, *reader;

  kv_step_t *steps;           /* record */
  size_t step_count;
  kv_fill_t *fills;
  size_t fill_count;

  long *symbol_map;           /* enum: writer index -> reader index, -1 */

  const kv_plan_t *items;     /* collection */

  const kv_plan_t **branches; /* writer union, per writer branch; NULL when
                                 the branch has no match in the reader */

  size_t reader_branch;       /* reader union */
  const kv_plan_t *inner;
};

struct kavro_resolution_s {
  kavro_schema_t *writer, *reader;  /* owned references */
  const kv_plan_t *root;
  kv_plan_t **plans;                /* every plan, owned */
  size_t plan_count, plan_capacity;
};

/* Why reader enum @r cannot hold a symbol it lacks, as two strings for
 * "%s%s" in a datum's error: no default, or one a lenient parse kept
 * though it is no symbol (never used). */
static inline const char *kv_enum_default_state(const kv_node_t *r) {
  return r->enum_default_defect ? "whose default cannot be used: "
                                : "which has no default";
}

static inline const char *kv_enum_default_defect(const kv_node_t *r) {
  return r->enum_default_defect ? r->enum_default_defect : "";
}

/* Read one datum of the plan's writer into @value (of its reader). */
kavro_err_t kv_plan_run(kv_reader_t *r, const kv_plan_t *plan,
                        avro_value_t *value);

#endif /* KAVRO_RESOLVE_INT_H */
