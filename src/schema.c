/*
 * kavro - schema objects: life cycle, accessors and the lookups every part
 * uses (named types by full name, record fields by name).
 *
 * Parsing itself lives in schema_parse.c; canonical form and fingerprints
 * in schema_canonical.c; JSON output in schema_json.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "common_error_int.h"
#include "common_json_locate_int.h"
#include "schema_int.h"
#include "common_strbuf_int.h"

static const char *const type_names[] = {
    [KAVRO_NULL] = "null",     [KAVRO_BOOLEAN] = "boolean",
    [KAVRO_INT] = "int",       [KAVRO_LONG] = "long",
    [KAVRO_FLOAT] = "float",   [KAVRO_DOUBLE] = "double",
    [KAVRO_BYTES] = "bytes",   [KAVRO_STRING] = "string",
    [KAVRO_RECORD] = "record", [KAVRO_ENUM] = "enum",
    [KAVRO_ARRAY] = "array",   [KAVRO_MAP] = "map",
    [KAVRO_UNION] = "union",   [KAVRO_FIXED] = "fixed",
};

const char *kavro_type_name(kavro_type_t type) {
  if ((unsigned)type >= sizeof(type_names) / sizeof(type_names[0]))
    return "unknown";
  return type_names[type];
}

int kv_primitive_from_name(const char *name) {
  for (int t = KAVRO_NULL; t <= KAVRO_STRING; t++)
    if (strcmp(name, type_names[t]) == 0)
      return t;
  return -1;
}

static const char *const logical_names[] = {
    [KAVRO_LOGICAL_NONE] = NULL,
    [KAVRO_LOGICAL_DECIMAL] = "decimal",
    [KAVRO_LOGICAL_UUID] = "uuid",
    [KAVRO_LOGICAL_DATE] = "date",
    [KAVRO_LOGICAL_TIME_MILLIS] = "time-millis",
    [KAVRO_LOGICAL_TIME_MICROS] = "time-micros",
    [KAVRO_LOGICAL_TIMESTAMP_MILLIS] = "timestamp-millis",
    [KAVRO_LOGICAL_TIMESTAMP_MICROS] = "timestamp-micros",
    [KAVRO_LOGICAL_LOCAL_TIMESTAMP_MILLIS] = "local-timestamp-millis",
    [KAVRO_LOGICAL_LOCAL_TIMESTAMP_MICROS] = "local-timestamp-micros",
    [KAVRO_LOGICAL_DURATION] = "duration",
    [KAVRO_LOGICAL_TIMESTAMP_NANOS] = "timestamp-nanos",
    [KAVRO_LOGICAL_LOCAL_TIMESTAMP_NANOS] = "local-timestamp-nanos",
    [KAVRO_LOGICAL_BIG_DECIMAL] = "big-decimal",
};

const char *kv_logical_name(kavro_logical_t logical) {
  if ((unsigned)logical >= sizeof(logical_names) / sizeof(logical_names[0]))
    return NULL;
  return logical_names[logical];
}

void kavro_parse_options_init(kavro_parse_options_t *options) {
  if (!options)
    return;
  memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->max_size = KAVRO_SCHEMA_DEFAULT_MAX_SIZE;
  options->max_depth = KAVRO_SCHEMA_DEFAULT_MAX_DEPTH;
  options->max_fixed_size = KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE;
}

/* ---- open-addressed string indexes ------------------------------------ */

uint32_t kv_hash_string(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 16777619u;
  }
  return h;
}

/* A table at most half full for @count keys. */
static size_t slots_for(size_t count) {
  size_t n = 8;
  while (n < count * 2)
    n *= 2;
  return n;
}

bool kv_index_init(kv_index_t *index, size_t count) {
  *index = (kv_index_t){NULL, 0};
  if (count > KV_INDEX_MAX_KEYS)
    return false;
  size_t n = slots_for(count);
  if (!(index->slots = calloc(n, sizeof(*index->slots))))
    return false;
  index->slot_count = n;
  return true;
}

void kv_index_free(kv_index_t *index) {
  free(index->slots);
  *index = (kv_index_t){NULL, 0};
}

long kv_index_find(const kv_index_t *index, const void *items,
                   kv_key_of_fn key_of, const char *key) {
  if (index->slot_count == 0)
    return -1;
  size_t mask = index->slot_count - 1;
  for (size_t s = kv_hash_string(key) & mask;; s = (s + 1) & mask) {
    uint32_t slot = index->slots[s];
    if (slot == 0)
      return -1;
    if (strcmp(key_of(items, slot - 1), key) == 0)
      return (long)(slot - 1);
  }
}

void kv_index_put(kv_index_t *index, const char *key, size_t position) {
  size_t mask = index->slot_count - 1;
  size_t s = kv_hash_string(key) & mask;
  while (index->slots[s] != 0)
    s = (s + 1) & mask;
  index->slots[s] = (uint32_t)(position + 1);
}

/* Make room for key number @count of @items, whose first @count - 1 are
 * in @index already: the table doubles, so adding n keys costs O(n). */
static bool index_grow(kv_index_t *index, const void *items, size_t count,
                       kv_key_of_fn key_of) {
  if (count * 2 <= index->slot_count)
    return true;
  kv_index_t bigger;
  if (!kv_index_init(&bigger, count))
    return false;
  for (size_t i = 0; i + 1 < count; i++)
    kv_index_put(&bigger, key_of(items, i), i);
  kv_index_free(index);
  *index = bigger;
  return true;
}

const char *kv_field_key(const void *fields, size_t i) {
  return ((const kv_field_t *)fields)[i].name;
}

const char *kv_symbol_key(const void *symbols, size_t i) {
  return ((char *const *)symbols)[i];
}

const char *kv_named_key(const void *nodes, size_t i) {
  return ((kv_node_t *const *)nodes)[i]->fullname;
}

const kv_field_t *kv_record_field(const kv_node_t *record, const char *name) {
  long i = kv_index_find(&record->field_index, record->fields, kv_field_key,
                         name);
  return i < 0 ? NULL : &record->fields[i];
}

long kv_enum_symbol(const kv_node_t *enumeration, const char *symbol) {
  return kv_index_find(&enumeration->symbol_index, enumeration->symbols,
                       kv_symbol_key, symbol);
}

/* Append @node to the growable array @nodes and to its @index. */
static bool append_indexed(kv_node_t ***nodes, size_t *count, size_t *capacity,
                           kv_index_t *index, kv_node_t *node) {
  if (*count == *capacity) {
    size_t cap = *capacity ? *capacity * 2 : 8;
    kv_node_t **p = realloc(*nodes, cap * sizeof(*p));
    if (!p)
      return false;
    *nodes = p;
    *capacity = cap;
  }
  (*nodes)[*count] = node;
  if (!index_grow(index, *nodes, *count + 1, kv_named_key))
    return false;
  kv_index_put(index, node->fullname, *count);
  (*count)++;
  return true;
}

bool kv_schema_add_named(kavro_schema_t *schema, kv_node_t *node) {
  return append_indexed(&schema->named, &schema->named_count,
                        &schema->named_capacity, &schema->named_index, node);
}

/* Add the named types @nodes to @schema's visible ones, except names
 * already there: an earlier definition hides a later one. */
static bool add_visible(kavro_schema_t *schema, kv_node_t *const *nodes,
                        size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (kv_index_find(&schema->visible_index, schema->visible, kv_named_key,
                      nodes[i]->fullname) >= 0)
      continue;
    if (!append_indexed(&schema->visible, &schema->visible_count,
                        &schema->visible_capacity, &schema->visible_index,
                        nodes[i]))
      return false;
  }
  return true;
}

/* A reference's own definitions come before those its references make
 * visible to it, in reference order: the order in which a depth-first
 * search through the references would meet them.  Each reference has its
 * own visible set already, so nothing is visited twice however the
 * references share schemas among themselves. */
bool kv_schema_index_references(kavro_schema_t *schema) {
  for (size_t r = 0; r < schema->reference_count; r++) {
    const kavro_schema_t *ref = schema->references[r];
    if (!add_visible(schema, ref->named, ref->named_count) ||
        !add_visible(schema, ref->visible, ref->visible_count))
      return false;
  }
  return true;
}

const kv_node_t *kv_schema_find_named(const kavro_schema_t *schema,
                                      const char *fullname) {
  long i = kv_index_find(&schema->named_index, schema->named, kv_named_key,
                         fullname);
  if (i >= 0)
    return schema->named[i];
  i = kv_index_find(&schema->visible_index, schema->visible, kv_named_key,
                    fullname);
  return i >= 0 ? schema->visible[i] : NULL;
}

bool kv_schema_adopt_node(kavro_schema_t *schema, kv_node_t *node) {
  if (schema->node_count == schema->node_capacity) {
    size_t cap = schema->node_capacity ? schema->node_capacity * 2 : 16;
    kv_node_t **p = realloc(schema->nodes, cap * sizeof(*p));
    if (!p)
      return false;
    schema->nodes = p;
    schema->node_capacity = cap;
  }
  schema->nodes[schema->node_count++] = node;
  return true;
}

/* ---- life cycle ---------------------------------------------------------- */

static void free_strings(char **strings, size_t count) {
  for (size_t i = 0; i < count; i++)
    free(strings[i]);
  free(strings);
}

static void free_field(kv_field_t *field) {
  free(field->name);
  json_decref(field->default_value);
  free(field->default_defect);
  free_strings(field->aliases, field->alias_count);
  free(field->doc);
  json_decref(field->props);
}

static void free_node(kv_node_t *node) {
  json_decref(node->props);
  json_decref(node->text_props);
  free(node->fullname);
  free(node->space);
  free_strings(node->aliases, node->alias_count);
  free(node->doc);
  free(node->path);
  for (size_t i = 0; i < node->field_count; i++)
    free_field(&node->fields[i]);
  free(node->fields);
  kv_index_free(&node->field_index);
  free_strings(node->symbols, node->symbol_count);
  json_decref(node->bad_enum_default);
  free(node->enum_default_defect);
  kv_index_free(&node->symbol_index);
  free(node->branches);
  free(node);
}

kavro_schema_t *kavro_schema_dup(kavro_schema_t *schema) {
  if (schema)
    atomic_fetch_add_explicit(&schema->refcount, 1, memory_order_relaxed);
  return schema;
}

void kavro_schema_destroy(kavro_schema_t *schema) {
  if (!schema)
    return;
  if (atomic_fetch_sub_explicit(&schema->refcount, 1, memory_order_acq_rel) != 1)
    return;
  for (size_t i = 0; i < schema->node_count; i++)
    free_node(schema->nodes[i]);
  free(schema->nodes);
  free(schema->named);
  kv_index_free(&schema->named_index);
  free(schema->visible);
  kv_index_free(&schema->visible_index);
  for (size_t i = 0; i < schema->reference_count; i++)
    kavro_schema_destroy(schema->references[i]);
  free(schema->references);
  free_strings(schema->warnings, schema->warning_count);
  free(schema->relaxed);
  free(schema->canonical);
  free(schema->text);
  free(schema->source);
  free(schema);
}

/* ---- accessors ------------------------------------------------------------ */

size_t kavro_schema_warning_count(const kavro_schema_t *schema) {
  return schema ? schema->warning_count : 0;
}

const char *kavro_schema_warning(const kavro_schema_t *schema, size_t i) {
  if (!schema || i >= schema->warning_count)
    return NULL;
  return schema->warnings[i];
}

size_t kavro_schema_relaxed_count(const kavro_schema_t *schema) {
  return schema ? schema->relaxed_count : 0;
}

const char *kavro_schema_relaxed(const kavro_schema_t *schema, size_t i) {
  if (!schema || i >= schema->relaxed_count)
    return NULL;
  return schema->warnings[schema->relaxed[i]];
}

kavro_type_t kavro_schema_type(const kavro_schema_t *schema) {
  return schema->root->type;
}

const char *kavro_schema_name(const kavro_schema_t *schema) {
  const kv_node_t *root = schema->root;
  return kv_type_is_named(root->type) ? root->fullname
                                      : kavro_type_name(root->type);
}

const char *kavro_schema_text(const kavro_schema_t *schema) {
  return schema->text;
}

bool kavro_schema_locate(const kavro_schema_t *schema, const char *pointer,
                         int *line, int *column) {
  kv_json_pos_t pos = {1, 1, 0};
  bool found = schema && pointer &&
               kv_json_locate_key(schema->text, schema->text_length, pointer,
                                  &pos);
  if (line)
    *line = pos.line;
  if (column)
    *column = pos.column;
  return found;
}

/* ---- files ----------------------------------------------------------------- */

/* Read at most @max bytes of @path; a larger file is a LIMIT error, so a
 * hostile file cannot make us allocate without bound. */
static kavro_err_t read_file_bounded(const char *path, size_t max, char **textp,
                                     size_t *lengthp, kavro_error_t *error) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return kv_error_set(error, KAVRO_ERR_IO, "cannot open: %s", strerror(errno));
  kv_strbuf_t sb = KV_STRBUF_INIT;
  char chunk[65536];
  size_t n;
  kavro_err_t err = KAVRO_OK;
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if (sb.length + n > max) {
      err = kv_error_set(error, KAVRO_ERR_LIMIT,
                         "file is larger than the limit of %zu bytes", max);
      break;
    }
    kv_strbuf_append(&sb, chunk, n);
  }
  if (!err && ferror(f))
    err = kv_error_set(error, KAVRO_ERR_IO, "read error: %s", strerror(errno));
  fclose(f);
  if (!err && kv_strbuf_failed(&sb))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory reading file");
  if (err) {
    kv_strbuf_free(&sb);
    return err;
  }
  *lengthp = sb.length;
  *textp = kv_strbuf_steal(&sb);
  return *textp ? KAVRO_OK
                : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

kavro_err_t kavro_schema_parse_file(const char *path,
                                    const kavro_parse_options_t *options,
                                    kavro_schema_t **schemap,
                                    kavro_error_t *error) {
  kv_error_clear(error);
  if (schemap)
    *schemap = NULL;
  if (!path || !schemap)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "path and schemap are required");
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  if (options)
    memcpy(&opts, options,
           options->struct_size < sizeof(opts) ? options->struct_size : sizeof(opts));
  opts.struct_size = sizeof(opts);
  if (!opts.source)
    opts.source = path;
  if (!opts.max_size)
    opts.max_size = KAVRO_SCHEMA_DEFAULT_MAX_SIZE;

  char *text;
  size_t length;
  kavro_err_t err = read_file_bounded(path, opts.max_size, &text, &length, error);
  if (err) {
    kv_error_set_source(error, opts.source);
    return err;
  }
  err = kavro_schema_parse(text, length, &opts, schemap, error);
  free(text);
  return err;
}
