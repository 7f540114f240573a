/*
 * kavro - the schema model as an avro-c schema, for avro-c's generic value
 * API.
 *
 * Built with avro-c's constructors rather than by handing our JSON to
 * avro_schema_from_json_length(): avro-c 1.11's parser refuses valid
 * schemas ("error" records, an enum without symbols, an empty union, a
 * default string holding a NUL character), resolves a short name only in
 * the enclosing namespace (never in the null namespace, where the parser
 * and Java also look), and would parse the text a second time.  The
 * constructors take the full names the model has already resolved.
 *
 * The result has the shape avro-c's own parser gives the same schema, so
 * avro_schema_equal() holds between the two: a named type is built at its
 * first occurrence in depth-first order and every later occurrence is an
 * avro-c link to it.  avro-c 1.11 has no logical types; a logical type is
 * its underlying type there.
 *
 * avro-c 1.11's links do not hold a reference to their target (that is
 * what lets a recursive avro-c schema be freed at all), so a link is valid
 * only while the schema containing its target lives: the whole returned
 * schema, as with avro-c's own parser.
 */
#include <stdlib.h>
#include <string.h>

#include <avro.h>

#include "config.h"
#include "common_error_int.h"
#include "schema_int.h"

typedef struct avro_builder_s {
  json_t *index;        /* full name -> position in named */
  avro_schema_t *named; /* named types built so far, borrowed from the tree */
  size_t named_count, named_capacity;
  kavro_error_t *error;
  kavro_err_t err;
} avro_builder_t;

static avro_schema_t build(avro_builder_t *b, const kv_node_t *node);

static avro_schema_t fail(avro_builder_t *b, kavro_err_t code,
                          const kv_node_t *node, const char *what) {
  if (b->err)
    return NULL;
  b->err = kv_error_set(b->error, code, "%s: %s", what,
                        code == KAVRO_ERR_AVRO_C ? avro_strerror()
                                                 : "out of memory");
  if (node->path)
    kv_error_set_path(b->error, node->path);
  return NULL;
}

/* The avro-c schema already built for @node's name, or NULL. */
static avro_schema_t find_built(avro_builder_t *b, const kv_node_t *node) {
  json_t *pos = json_object_get(b->index, node->fullname);
  return pos ? b->named[json_integer_value(pos)] : NULL;
}

/* Remember @schema as the avro-c form of @node; false when out of memory. */
static bool remember(avro_builder_t *b, const kv_node_t *node,
                     avro_schema_t schema) {
  if (b->named_count == b->named_capacity) {
    size_t cap = b->named_capacity ? b->named_capacity * 2 : 16;
    avro_schema_t *p = realloc(b->named, cap * sizeof(*p));
    if (!p)
      return false;
    b->named = p;
    b->named_capacity = cap;
  }
  if (json_object_set_new(b->index, node->fullname,
                          json_integer((json_int_t)b->named_count)) != 0)
    return false;
  b->named[b->named_count++] = schema;
  return true;
}

static bool add_fields(avro_builder_t *b, const kv_node_t *node,
                       avro_schema_t record) {
  for (size_t i = 0; i < node->field_count; i++) {
    avro_schema_t type = build(b, node->fields[i].type);
    if (!type)
      return false;
    int rc = avro_schema_record_field_append(record, node->fields[i].name, type);
    avro_schema_decref(type);
    if (rc != 0) {
      fail(b, KAVRO_ERR_AVRO_C, node, "cannot add a record field");
      return false;
    }
  }
  return true;
}

static bool add_symbols(avro_builder_t *b, const kv_node_t *node,
                        avro_schema_t enumeration) {
  for (size_t i = 0; i < node->symbol_count; i++) {
    if (avro_schema_enum_symbol_append(enumeration, node->symbols[i]) != 0) {
      fail(b, KAVRO_ERR_AVRO_C, node, "cannot add an enum symbol");
      return false;
    }
  }
  return true;
}

static avro_schema_t new_named(const kv_node_t *node) {
  switch (node->type) {
  case KAVRO_RECORD:
    return avro_schema_record(node->name, node->space);
  case KAVRO_ENUM:
    return avro_schema_enum_ns(node->name, node->space);
  default:
    return avro_schema_fixed_ns(node->name, node->space, (int64_t)node->size);
  }
}

/* A record, enum or fixed type: built at its first occurrence, a link at
 * every later one. */
static avro_schema_t build_named(avro_builder_t *b, const kv_node_t *node) {
  avro_schema_t built = find_built(b, node);
  if (built) {
    avro_schema_t link = avro_schema_link(built);
    return link ? link
                : fail(b, KAVRO_ERR_AVRO_C, node, "cannot link to a named type");
  }
  avro_schema_t schema = new_named(node);
  if (!schema)
    return fail(b, KAVRO_ERR_AVRO_C, node, "cannot create a named type");
  /* Remembered before the body, so that a recursive use inside it links. */
  if (!remember(b, node, schema)) {
    avro_schema_decref(schema);
    return fail(b, KAVRO_ERR_NOMEM, node, "cannot index a named type");
  }
  bool ok = node->type == KAVRO_RECORD ? add_fields(b, node, schema)
            : node->type == KAVRO_ENUM ? add_symbols(b, node, schema)
                                       : true;
  if (!ok) {
    avro_schema_decref(schema);
    return NULL;
  }
  return schema;
}

static avro_schema_t build_union(avro_builder_t *b, const kv_node_t *node) {
  avro_schema_t u = avro_schema_union();
  if (!u)
    return fail(b, KAVRO_ERR_AVRO_C, node, "cannot create a union");
  for (size_t i = 0; i < node->branch_count; i++) {
    avro_schema_t branch = build(b, node->branches[i]);
    if (!branch) {
      avro_schema_decref(u);
      return NULL;
    }
    int rc = avro_schema_union_append(u, branch);
    avro_schema_decref(branch);
    if (rc != 0) {
      avro_schema_decref(u);
      return fail(b, KAVRO_ERR_AVRO_C, node, "cannot add a union branch");
    }
  }
  return u;
}

static avro_schema_t build_container(avro_builder_t *b, const kv_node_t *node) {
  avro_schema_t inner = build(b, node->items);
  if (!inner)
    return NULL;
  avro_schema_t schema = node->type == KAVRO_ARRAY ? avro_schema_array(inner)
                                                   : avro_schema_map(inner);
  avro_schema_decref(inner);
  if (!schema)
    return fail(b, KAVRO_ERR_AVRO_C, node, "cannot create an array or map");
  return schema;
}

static avro_schema_t build_primitive(kavro_type_t type) {
  switch (type) {
  case KAVRO_NULL: return avro_schema_null();
  case KAVRO_BOOLEAN: return avro_schema_boolean();
  case KAVRO_INT: return avro_schema_int();
  case KAVRO_LONG: return avro_schema_long();
  case KAVRO_FLOAT: return avro_schema_float();
  case KAVRO_DOUBLE: return avro_schema_double();
  case KAVRO_BYTES: return avro_schema_bytes();
  default: return avro_schema_string();
  }
}

/* Recursion follows the nesting of the text, which the parser bounds;
 * cycles end at build_named. */
static avro_schema_t build(avro_builder_t *b, const kv_node_t *node) {
  switch (node->type) {
  case KAVRO_RECORD:
  case KAVRO_ENUM:
  case KAVRO_FIXED:
    return build_named(b, node);
  case KAVRO_UNION:
    return build_union(b, node);
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    return build_container(b, node);
  default:
    return build_primitive(node->type);
  }
}

#define INLINE_RECORD_DEPTH 4096u

/* The bytes of fixed data a generic value of @node holds from the start:
 * avro-c allocates a record's fields, and a fixed's whole size, when the
 * value is made, before any body is read; a union's, array's or map's
 * contents come later, one datum at a time.  False when the sum passes
 * @bound (or the records nest without end). */
static bool inline_fixed_within(const kv_node_t *node, size_t bound,
                                unsigned depth, size_t *total) {
  if (node->type == KAVRO_FIXED) {
    if (node->size > bound - *total)
      return false;
    *total += node->size;
    return true;
  }
  if (node->type != KAVRO_RECORD)
    return true;
  /* Deeper than any schema the parser lets through: a record that holds
   * itself through record fields alone, which has no finite value. */
  if (depth >= INLINE_RECORD_DEPTH)
    return false;
  for (size_t i = 0; i < node->field_count; i++)
    if (!inline_fixed_within(node->fields[i].type, bound, depth + 1, total))
      return false;
  return true;
}

kavro_err_t kavro_schema_to_avro(const kavro_schema_t *schema,
                                 struct avro_obj_t **out,
                                 kavro_error_t *error) {
  kv_error_clear(error);
  if (out)
    *out = NULL;
  if (!schema || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "schema and out are required");
  /* A schema of many large fixed fields, each within the parse limit,
   * would still cost their sum for a three-byte body: bound the sum. */
  size_t inline_bytes = 0;
  if (!inline_fixed_within(schema->root, KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE,
                           0, &inline_bytes))
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "a value of this schema holds more than %u bytes of "
                        "fixed data before anything is read",
                        (unsigned)KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE);
  avro_builder_t b = {json_object(), NULL, 0, 0, error, KAVRO_OK};
  if (!b.index)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  *out = build(&b, schema->root);
  json_decref(b.index);
  free(b.named);
  if (!*out)
    return b.err ? b.err
                 : kv_error_set(error, KAVRO_ERR_AVRO_C,
                                "avro-c could not build the schema");
  return KAVRO_OK;
}
