/*
 * kavro - the schema model written back as JSON, every attribute kept.
 *
 * The output is the schema a person would have written: doc, aliases,
 * defaults, a non-default order, logical types and custom properties are
 * all there, a namespace is written only where it differs from the
 * enclosing one, and named types defined in referenced schemas are written
 * by name, as the Schema Registry stores a schema with references.  Parsing
 * the output again (with the same references) gives the same canonical
 * form.
 *
 * Numbers in defaults and properties are written as the shortest text that
 * reads back to the same double, and 64-bit integers in full, so that no
 * value changes on the way through.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "schema_int.h"
#include "common_strbuf_int.h"
#include "common_text_int.h"

/* ---- a small JSON emitter: compact or two-space indentation ------------ */

typedef struct json_writer_s {
  kv_strbuf_t out;
  const kavro_schema_t *schema;
  json_t *written;  /* full names of named types already written in full */
  bool pretty;
  bool normalized;  /* KAVRO_JSON_NORMALIZED */
  bool resolved;    /* KV_JSON_RESOLVED */
  bool first;       /* the next member is the first of its container */
  unsigned depth;
  bool failed;      /* out of memory outside the buffer */
} json_writer_t;

static void newline(json_writer_t *w) {
  if (!w->pretty)
    return;
  kv_strbuf_putc(&w->out, '\n');
  for (unsigned i = 0; i < w->depth; i++)
    kv_strbuf_puts(&w->out, "  ");
}

static void open_container(json_writer_t *w, char bracket) {
  kv_strbuf_putc(&w->out, bracket);
  w->depth++;
  w->first = true;
}

static void close_container(json_writer_t *w, char bracket) {
  w->depth--;
  if (!w->first)
    newline(w);
  kv_strbuf_putc(&w->out, bracket);
  w->first = false;
}

/* Start the next element of an array, or the next member of an object. */
static void next_item(json_writer_t *w) {
  if (!w->first)
    kv_strbuf_putc(&w->out, ',');
  w->first = false;
  newline(w);
}

static void put_key(json_writer_t *w, const char *key) {
  next_item(w);
  kv_strbuf_put_json_string(&w->out, key);
  kv_strbuf_puts(&w->out, w->pretty ? ": " : ":");
}

static void put_string_member(json_writer_t *w, const char *key,
                              const char *value) {
  put_key(w, key);
  kv_strbuf_put_json_string(&w->out, value);
}

/* ---- JSON values (defaults, properties) ------------------------------------ */

/* As Java's Avro writes a real (Jackson: Double.toString()), so that the
 * text is the registry's. */
static void put_real(json_writer_t *w, double value) {
  char text[KV_REAL_TEXT_SIZE];
  kv_strbuf_append(&w->out, text, kv_format_java_real(text, value));
}

/* Strings in values may hold NUL characters (the parser allows them
 * there), so jansson, which knows their length, escapes them. */
static void put_string_value(json_writer_t *w, const json_t *value) {
  char *text = json_dumps(value, JSON_ENCODE_ANY);
  if (!text) {
    w->failed = true;
    return;
  }
  kv_strbuf_puts(&w->out, text);
  free(text);
}

static void put_value(json_writer_t *w, const json_t *value);

static void put_object_members(json_writer_t *w, const json_t *object) {
  const char *key;
  json_t *member;
  json_object_foreach((json_t *)object, key, member) {
    put_key(w, key);
    put_value(w, member);
  }
}

/* Default values and properties are bounded by jansson's own parse depth
 * limit, so recursing over them is safe. */
static void put_value(json_writer_t *w, const json_t *value) {
  switch (json_typeof(value)) {
  case JSON_OBJECT:
    open_container(w, '{');
    put_object_members(w, value);
    close_container(w, '}');
    break;
  case JSON_ARRAY:
    open_container(w, '[');
    for (size_t i = 0; i < json_array_size(value); i++) {
      next_item(w);
      put_value(w, json_array_get(value, i));
    }
    close_container(w, ']');
    break;
  case JSON_STRING:
    put_string_value(w, value);
    break;
  case JSON_INTEGER:
    kv_strbuf_printf(&w->out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
    break;
  case JSON_REAL:
    put_real(w, json_real_value(value));
    break;
  case JSON_TRUE:
    kv_strbuf_puts(&w->out, "true");
    break;
  case JSON_FALSE:
    kv_strbuf_puts(&w->out, "false");
    break;
  case JSON_NULL:
    kv_strbuf_puts(&w->out, "null");
    break;
  }
}

/* ---- schema members ---------------------------------------------------------- */

static void put_node(json_writer_t *w, const kv_node_t *node, const char *space);

static bool same_space(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A reference by name: the short name when it resolves in the enclosing
 * namespace @space, else the full name. */
/* A short name that is a primitive's (a type "com.acme.string" a lenient
 * parse accepted) would read back as the primitive: it goes in full. */
static void put_reference(json_writer_t *w, const kv_node_t *node,
                          const char *space) {
  bool short_name = same_space(node->space, space) &&
                    kv_primitive_from_name(node->name) < 0;
  kv_strbuf_put_json_string(&w->out, short_name ? node->name : node->fullname);
}

static int compare_texts(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* @texts (@count) in the order written: as given, or sorted when
 * normalizing.  A new array (free()); NULL on OOM. */
static const char **written_order(const json_writer_t *w,
                                  const char *const *texts, size_t count) {
  const char **order = malloc((count ? count : 1) * sizeof(*order));
  if (!order)
    return NULL;
  if (count)
    memcpy(order, texts, count * sizeof(*order));
  if (w->normalized && count)
    qsort(order, count, sizeof(*order), compare_texts);
  return order;
}

/* Aliases are kept as full names; one in the type's own namespace is
 * written short, as it usually was in the text. */
static void put_aliases(json_writer_t *w, char *const *aliases, size_t count,
                        const char *space) {
  if (count == 0)
    return;
  const char **order = written_order(w, (const char *const *)aliases, count);
  if (!order) {
    w->failed = true;
    return;
  }
  size_t prefix = space ? strlen(space) : 0;
  put_key(w, "aliases");
  open_container(w, '[');
  for (size_t i = 0; i < count; i++) {
    const char *alias = order[i];
    if (space && strncmp(alias, space, prefix) == 0 && alias[prefix] == '.' &&
        !strchr(alias + prefix + 1, '.'))
      alias += prefix + 1;
    next_item(w);
    kv_strbuf_put_json_string(&w->out, alias);
  }
  close_container(w, ']');
  free(order);
}

static void put_doc(json_writer_t *w, const char *doc) {
  if (doc)
    put_string_member(w, "doc", doc);
}

/* A decimal's scale is written unless normalizing drops it for being 0
 * (the registry's AvroSchemaUtils.setLogicalProps()). */
static bool scale_written(const json_writer_t *w, const kv_node_t *node) {
  return !w->normalized || node->scale != 0;
}

/* logicalType and its parameters; an ignored (invalid) logical type is in
 * the properties, as the text had it. */
static void put_logical(json_writer_t *w, const kv_node_t *node) {
  const char *name = kv_logical_name(node->logical);
  if (!name)
    return;
  put_string_member(w, "logicalType", name);
  if (node->logical == KAVRO_LOGICAL_DECIMAL) {
    put_key(w, "precision");
    kv_strbuf_printf(&w->out, "%d", node->precision);
    if (scale_written(w, node)) {
      put_key(w, "scale");
      kv_strbuf_printf(&w->out, "%d", node->scale);
    }
  }
}

/* Whether put_logical() already wrote attribute @key of @node (NULL: a
 * field, which has no logical type). */
static bool written_by_logical(const json_writer_t *w, const kv_node_t *node,
                               const char *key) {
  if (!node || node->logical == KAVRO_LOGICAL_NONE)
    return false;
  if (strcmp(key, "logicalType") == 0)
    return true;
  return node->logical == KAVRO_LOGICAL_DECIMAL &&
         (strcmp(key, "precision") == 0 ||
          (strcmp(key, "scale") == 0 && scale_written(w, node)));
}

/* Properties in their order or, normalizing, sorted by name; those
 * put_logical() wrote for @node are left out. */
static void put_props(json_writer_t *w, const json_t *props,
                      const kv_node_t *node) {
  size_t count = json_object_size(props), i = 0;
  if (count == 0)
    return;
  if (!w->normalized) {
    put_object_members(w, props);
    return;
  }
  const char **names = malloc(count * sizeof(*names));
  if (!names) {
    w->failed = true;
    return;
  }
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)props, key, value) {
    if (!written_by_logical(w, node, key))
      names[i++] = key;
  }
  count = i;
  qsort(names, count, sizeof(*names), compare_texts);
  for (i = 0; i < count; i++) {
    put_key(w, names[i]);
    put_value(w, json_object_get(props, names[i]));
  }
  free(names);
}

/* A type's attributes past its structure.  Java's Avro keeps a logicalType
 * and its parameters among the properties, in the text's order; the
 * registry's normalization writes the logical type first, then the rest
 * sorted by name. */
static void put_attributes(json_writer_t *w, const kv_node_t *node) {
  if (!w->normalized && node->text_props) {
    put_object_members(w, node->text_props);
    return;
  }
  put_logical(w, node);
  put_props(w, node->text_props ? node->text_props : node->props, node);
}

static const char *order_name(kv_order_t order) {
  return order == KV_ORDER_DESCENDING ? "descending" : "ignore";
}

static void put_field(json_writer_t *w, const kv_field_t *field,
                      const char *space) {
  next_item(w);
  open_container(w, '{');
  put_string_member(w, "name", field->name);
  put_key(w, "type");
  put_node(w, field->type, space);
  put_doc(w, field->doc);
  if (field->default_value) {
    put_key(w, "default");
    put_value(w, field->default_value);
  }
  if (field->order != KV_ORDER_ASCENDING)
    put_string_member(w, "order", order_name(field->order));
  put_aliases(w, field->aliases, field->alias_count, NULL);
  put_props(w, field->props, NULL);
  close_container(w, '}');
}

/* The members that only records, enums and fixed types have. */
static void put_named_body(json_writer_t *w, const kv_node_t *node) {
  const char *space = node->space;
  if (node->type == KAVRO_RECORD) {
    put_key(w, "fields");
    open_container(w, '[');
    for (size_t i = 0; i < node->field_count; i++)
      put_field(w, &node->fields[i], space);
    close_container(w, ']');
  } else if (node->type == KAVRO_ENUM) {
    put_key(w, "symbols");
    open_container(w, '[');
    for (size_t i = 0; i < node->symbol_count; i++) {
      next_item(w);
      kv_strbuf_put_json_string(&w->out, node->symbols[i]);
    }
    close_container(w, ']');
    if (node->enum_default >= 0)
      put_string_member(w, "default", node->symbols[node->enum_default]);
    else if (node->bad_enum_default) {
      put_key(w, "default");
      put_value(w, node->bad_enum_default);
    }
  } else {
    put_key(w, "size");
    kv_strbuf_printf(&w->out, "%zu", node->size);
  }
}

/* A record, enum or fixed type.  Written in full at its definition, the
 * first occurrence in depth-first order; by name everywhere else and,
 * unless resolved, always when a referenced schema defines it.  The
 * members come in the order Java's Avro writes them (Schema.toString(),
 * and so the registry's schema text): aliases last. */
static void put_named(json_writer_t *w, const kv_node_t *node,
                      const char *space) {
  if ((node->owner != w->schema && !w->resolved) ||
      json_object_get(w->written, node->fullname)) {
    put_reference(w, node, space);
    return;
  }
  if (json_object_set_new(w->written, node->fullname, json_true()) != 0)
    w->failed = true;
  open_container(w, '{');
  put_string_member(w, "type", node->is_error ? "error"
                                              : kavro_type_name(node->type));
  put_string_member(w, "name", node->name);
  if (!same_space(node->space, space))
    put_string_member(w, "namespace", node->space ? node->space : "");
  /* Normalizing, an empty doc of a named type is none (the registry's
   * AvroSchemaUtils.setComplexProps()). */
  if (!(w->normalized && node->doc && !*node->doc))
    put_doc(w, node->doc);
  put_named_body(w, node);
  put_attributes(w, node);
  put_aliases(w, node->aliases, node->alias_count, node->space);
  close_container(w, '}');
}

static void put_union(json_writer_t *w, const kv_node_t *node,
                      const char *space) {
  open_container(w, '[');
  for (size_t i = 0; i < node->branch_count; i++) {
    next_item(w);
    put_node(w, node->branches[i], space);
  }
  close_container(w, ']');
}

/* An array, a map, or a primitive with attributes. */
static void put_unnamed_object(json_writer_t *w, const kv_node_t *node,
                               const char *space) {
  open_container(w, '{');
  put_string_member(w, "type", kavro_type_name(node->type));
  if (node->type == KAVRO_ARRAY || node->type == KAVRO_MAP) {
    put_key(w, node->type == KAVRO_ARRAY ? "items" : "values");
    put_node(w, node->items, space);
  }
  put_attributes(w, node);
  close_container(w, '}');
}

/* @space is the enclosing namespace (NULL: the null namespace).  Recursion
 * follows the nesting of the text, which the parser bounds; cycles end at
 * put_named. */
static void put_node(json_writer_t *w, const kv_node_t *node,
                     const char *space) {
  if (kv_type_is_named(node->type))
    put_named(w, node, space);
  else if (node->type == KAVRO_UNION)
    put_union(w, node, space);
  else if (kv_type_is_primitive(node->type) &&
           node->logical == KAVRO_LOGICAL_NONE &&
           (!node->props || json_object_size(node->props) == 0))
    kv_strbuf_put_json_string(&w->out, kavro_type_name(node->type));
  else
    put_unnamed_object(w, node, space);
}

char *kavro_schema_to_json(const kavro_schema_t *schema, unsigned flags) {
  if (!schema)
    return NULL;
  json_writer_t w = {KV_STRBUF_INIT,
                     schema,
                     json_object(),
                     (flags & KAVRO_JSON_PRETTY) != 0,
                     (flags & KAVRO_JSON_NORMALIZED) != 0,
                     (flags & KV_JSON_RESOLVED) != 0,
                     true,
                     0,
                     false};
  if (!w.written)
    return NULL;
  put_node(&w, schema->root, NULL);
  json_decref(w.written);
  if (w.failed) {
    kv_strbuf_free(&w.out);
    return NULL;
  }
  return kv_strbuf_steal(&w.out);
}
