/*
 * kavro - parse and validate an Avro schema (Avro 1.11 specification,
 * with the logical types of 1.12).
 *
 * jansson turns the text into a JSON tree; this file turns the tree into
 * kv_node_t objects, checking every rule of the specification on the way,
 * and reports the first violation with the JSON pointer of the element at
 * fault (turned into a line and column of the text at the end).
 *
 * Where the specification and the reference implementations differ, the
 * specification wins: field names and aliases must be valid names, defaults
 * must match their type (a union's default its first branch), a namespace
 * must be a string.  A logical type that does not fit its underlying type
 * is ignored with a warning, as the specification requires.
 *
 * A lenient parse (kavro_parse_options_t.lenient) reads a schema as a
 * Schema Registry reads one it already holds: the few defects registries
 * are known to hold (relax()) become warnings, and an invalid default is
 * kept, marked with its defect, so that no resolution ever uses it.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "common_error_int.h"
#include "common_json_locate_int.h"
#include "common_metrics_int.h"
#include "schema_int.h"
#include "common_strbuf_int.h"

/* Most defects one lenient parse accepts. */
#define KV_MAX_RELAXED 1000

typedef struct parser_s {
  kavro_schema_t *schema;
  kavro_error_t *error;
  kv_strbuf_t path;       /* JSON pointer of the element being parsed */
  unsigned max_depth;
  size_t max_fixed_size;
  bool lenient;           /* accept what a registry holds (see relax()) */
  bool failed;
  kavro_err_t code;       /* of the first failure */
} parser_t;

/* ---- errors and paths ----------------------------------------------------- */

static kv_node_t *fail(parser_t *p, kavro_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first error only: later ones are consequences of it. */
static kv_node_t *fail(parser_t *p, kavro_err_t code, const char *fmt, ...) {
  if (p->failed)
    return NULL;
  p->failed = true;
  p->code = code;
  if (p->error) {
    p->error->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error->text, sizeof(p->error->text), fmt, ap);
    va_end(ap);
    kv_error_set_path(p->error, p->path.length ? p->path.data : "/");
  }
  return NULL;
}

static kv_node_t *fail_nomem(parser_t *p) {
  return fail(p, KAVRO_ERR_NOMEM, "out of memory");
}

static size_t path_push(parser_t *p, const char *segment) {
  size_t mark = p->path.length;
  kv_strbuf_putc(&p->path, '/');
  /* JSON pointer escaping (RFC 6901): '~' as ~0, '/' as ~1. */
  for (const char *c = segment; *c; c++) {
    if (*c == '~')
      kv_strbuf_puts(&p->path, "~0");
    else if (*c == '/')
      kv_strbuf_puts(&p->path, "~1");
    else
      kv_strbuf_putc(&p->path, *c);
  }
  return mark;
}

static size_t path_push_index(parser_t *p, size_t index) {
  size_t mark = p->path.length;
  kv_strbuf_printf(&p->path, "/%zu", index);
  return mark;
}

static void path_pop(parser_t *p, size_t mark) {
  p->path.length = mark;
  if (p->path.data)
    p->path.data[mark] = '\0';
}

/* Add "@at: @text" to the schema's warnings (@at NULL: the current
 * path). */
static bool add_warning(parser_t *p, const char *at, const char *text) {
  kavro_schema_t *s = p->schema;
  if (!at)
    at = p->path.length ? p->path.data : "/";
  kv_strbuf_t sb = KV_STRBUF_INIT;
  kv_strbuf_printf(&sb, "%s: %s", *at ? at : "/", text);
  char *msg = kv_strbuf_steal(&sb);
  char **w = msg ? realloc(s->warnings, (s->warning_count + 1) * sizeof(*w)) : NULL;
  if (!w) {
    free(msg);
    fail_nomem(p);
    return false;
  }
  w[s->warning_count++] = msg;
  s->warnings = w;
  return true;
}

static bool warn(parser_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool warn(parser_t *p, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  return add_warning(p, NULL, text);
}

/* The warning that says a lenient parse accepted @defect at @at (NULL:
 * the current path), with what it made of it. */
static bool relaxed(parser_t *p, const char *at, const char *defect,
                    const char *outcome) {
  char text[KAVRO_ERROR_TEXT_LENGTH + 160];
  snprintf(text, sizeof(text), "%s; accepted as a registry does: %s", defect,
           outcome);
  kavro_schema_t *s = p->schema;
  /* Each costs a warning: hostile text full of repeated keys must not
   * cost ten times its size. */
  if (s->relaxed_count >= KV_MAX_RELAXED) {
    fail(p, KAVRO_ERR_LIMIT, "more than %d defects to accept leniently",
         KV_MAX_RELAXED);
    return false;
  }
  size_t *r = realloc(s->relaxed, (s->relaxed_count + 1) * sizeof(*r));
  if (!r) {
    fail_nomem(p);
    return false;
  }
  s->relaxed = r;
  if (!add_warning(p, at, text))
    return false;
  r[s->relaxed_count++] = s->warning_count - 1;
  return true;
}

static bool relax(parser_t *p, const char *outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A defect that the 1.11 specification forbids but Schema Registries hold
 * (older versions accepted it, or default validation was off).  Strictly,
 * an error; leniently, a warning naming it, and the parse goes on with
 * @outcome (what the schema is read as).  True when the parse goes on. */
static bool relax(parser_t *p, const char *outcome, const char *fmt, ...) {
  char text[KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  if (!p->lenient) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "%s", text);
    return false;
  }
  return relaxed(p, NULL, text, outcome);
}

/* ---- names ------------------------------------------------------------------ */

static bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

/* [A-Za-z_][A-Za-z0-9_]* over @length bytes. */
static bool valid_name_n(const char *s, size_t length) {
  if (length == 0 || !is_name_start(s[0]))
    return false;
  for (size_t i = 1; i < length; i++)
    if (!is_name_char(s[i]))
      return false;
  return true;
}

static bool valid_name(const char *s) { return valid_name_n(s, strlen(s)); }

/* Names separated by dots, each valid. */
static bool valid_dotted(const char *s) {
  for (;;) {
    const char *dot = strchr(s, '.');
    size_t n = dot ? (size_t)(dot - s) : strlen(s);
    if (!valid_name_n(s, n))
      return false;
    if (!dot)
      return true;
    s = dot + 1;
  }
}

/* The full name of @name in namespace @space (NULL: null namespace). */
static char *make_fullname(const char *name, const char *space) {
  if (strchr(name, '.') || !space || !*space)
    return strdup(name);
  size_t a = strlen(space), b = strlen(name);
  char *full = malloc(a + b + 2);
  if (full) {
    memcpy(full, space, a);
    full[a] = '.';
    memcpy(full + a + 1, name, b + 1);
  }
  return full;
}

/* Strings held in the tree are rejected when they embed a NUL, since the
 * model keeps C strings. */
static const char *plain_string(json_t *j) {
  if (!json_is_string(j) || strlen(json_string_value(j)) != json_string_length(j))
    return NULL;
  return json_string_value(j);
}

/* ---- nodes -------------------------------------------------------------------- */

static kv_node_t *new_node(parser_t *p, kavro_type_t type) {
  kv_node_t *n = calloc(1, sizeof(*n));
  if (!n || !kv_schema_adopt_node(p->schema, n)) {
    free(n);
    return fail_nomem(p);
  }
  n->type = type;
  n->enum_default = -1;
  return n;
}

/* The members of a record, enum or union are indexed by position in 32
 * bits; the text size bound keeps counts far below this, unless a caller
 * raises it to gigabytes. */
static bool check_member_count(parser_t *p, size_t count, const char *what) {
  if (count <= KV_INDEX_MAX_KEYS)
    return true;
  fail(p, KAVRO_ERR_LIMIT, "%zu %s, more than the limit of %zu", count, what,
       KV_INDEX_MAX_KEYS);
  return false;
}

static bool new_index(parser_t *p, kv_index_t *index, size_t count) {
  if (kv_index_init(index, count))
    return true;
  fail_nomem(p);
  return false;
}

/* Keep every attribute of @obj not in @known (NULL-terminated) in
 * node->props, so JSON output and lint can see custom properties. */
static bool keep_props(parser_t *p, json_t **propsp, json_t *obj,
                       const char *const *known) {
  const char *key;
  json_t *value;
  json_object_foreach(obj, key, value) {
    bool is_known = false;
    for (const char *const *k = known; *k && !is_known; k++)
      is_known = strcmp(key, *k) == 0;
    if (is_known)
      continue;
    if (!*propsp && !(*propsp = json_object())) {
      fail_nomem(p);
      return false;
    }
    if (json_object_set(*propsp, key, value) != 0) {
      fail_nomem(p);
      return false;
    }
  }
  return true;
}

static bool resolve_name_ref(parser_t *p, const char *name, const char *space,
                             const kv_node_t **out) {
  char *full = make_fullname(name, space);
  if (!full) {
    fail_nomem(p);
    return false;
  }
  const kv_node_t *n = kv_schema_find_named(p->schema, full);
  /* A short name that is not in the enclosing namespace may name a type in
   * the null namespace, as the Java implementation resolves it. */
  if (!n && !strchr(name, '.'))
    n = kv_schema_find_named(p->schema, name);
  free(full);
  *out = n;
  return true;
}

static kv_node_t *parse_type(parser_t *p, json_t *j, const char *space,
                             unsigned depth);

/* A type given by name: a primitive, or a named type defined earlier (in
 * this schema or a referenced one). */
static kv_node_t *parse_type_name(parser_t *p, const char *name,
                                  const char *space) {
  int prim = kv_primitive_from_name(name);
  if (prim >= 0)
    return new_node(p, (kavro_type_t)prim);
  const kv_node_t *named;
  if (!resolve_name_ref(p, name, space, &named))
    return NULL;
  if (!named) {
    if (!valid_dotted(name))
      return fail(p, KAVRO_ERR_SCHEMA_INVALID,
                  "\"%s\" is not a type: not a primitive and not a valid name",
                  name);
    char *full = make_fullname(name, space);
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "type \"%s\" is not defined (looked for %s); define it before use or "
         "pass the schema that defines it as a reference",
         name, full ? full : name);
    free(full);
    return NULL;
  }
  return (kv_node_t *)named;
}

/* ---- logical types -------------------------------------------------------------- */

typedef struct logical_rule_s {
  const char *name;
  kavro_logical_t logical;
  kavro_type_t on;          /* underlying type it annotates */
  kavro_type_t also_on;     /* a second allowed type, or on again */
} logical_rule_t;

static const logical_rule_t logical_rules[] = {
    {"decimal", KAVRO_LOGICAL_DECIMAL, KAVRO_BYTES, KAVRO_FIXED},
    {"uuid", KAVRO_LOGICAL_UUID, KAVRO_STRING, KAVRO_FIXED},
    {"date", KAVRO_LOGICAL_DATE, KAVRO_INT, KAVRO_INT},
    {"time-millis", KAVRO_LOGICAL_TIME_MILLIS, KAVRO_INT, KAVRO_INT},
    {"time-micros", KAVRO_LOGICAL_TIME_MICROS, KAVRO_LONG, KAVRO_LONG},
    {"timestamp-millis", KAVRO_LOGICAL_TIMESTAMP_MILLIS, KAVRO_LONG, KAVRO_LONG},
    {"timestamp-micros", KAVRO_LOGICAL_TIMESTAMP_MICROS, KAVRO_LONG, KAVRO_LONG},
    {"local-timestamp-millis", KAVRO_LOGICAL_LOCAL_TIMESTAMP_MILLIS, KAVRO_LONG,
     KAVRO_LONG},
    {"local-timestamp-micros", KAVRO_LOGICAL_LOCAL_TIMESTAMP_MICROS, KAVRO_LONG,
     KAVRO_LONG},
    {"duration", KAVRO_LOGICAL_DURATION, KAVRO_FIXED, KAVRO_FIXED},
    /* Avro 1.12 */
    {"timestamp-nanos", KAVRO_LOGICAL_TIMESTAMP_NANOS, KAVRO_LONG, KAVRO_LONG},
    {"local-timestamp-nanos", KAVRO_LOGICAL_LOCAL_TIMESTAMP_NANOS, KAVRO_LONG,
     KAVRO_LONG},
    {"big-decimal", KAVRO_LOGICAL_BIG_DECIMAL, KAVRO_BYTES, KAVRO_BYTES},
};

/* Largest decimal precision a fixed of @size bytes holds:
 * floor(log10(2^(8*size-1) - 1)). */
static long max_fixed_precision(size_t size) {
  if (size == 0)
    return 0;
  if (size > 128)
    return LONG_MAX;
  return (long)floor(log10(pow(2.0, 8.0 * (double)size - 1.0) - 1.0));
}

/* Why the decimal parameters of @obj do not fit @node, or NULL if they do;
 * sets precision and scale. */
static const char *check_decimal(kv_node_t *node, json_t *obj) {
  json_t *jp = json_object_get(obj, "precision");
  json_t *js = json_object_get(obj, "scale");
  if (!json_is_integer(jp) || json_integer_value(jp) <= 0 ||
      json_integer_value(jp) > INT_MAX)
    return "decimal needs a positive integer \"precision\"";
  long long precision = json_integer_value(jp), scale = 0;
  if (js) {
    if (!json_is_integer(js) || json_integer_value(js) < 0)
      return "decimal \"scale\" must be a non-negative integer";
    scale = json_integer_value(js);
  }
  if (scale > precision)
    return "decimal \"scale\" is larger than its \"precision\"";
  if (node->type == KAVRO_FIXED && precision > max_fixed_precision(node->size))
    return "decimal \"precision\" does not fit in the fixed size";
  node->precision = (int)precision;
  node->scale = (int)scale;
  return NULL;
}

/* Apply the logicalType attribute of @obj to @node.  An invalid one is
 * ignored (the node stays its underlying type) with a warning; it then
 * stays among the node's props so that JSON output keeps it. */
static bool apply_logical(parser_t *p, kv_node_t *node, json_t *obj,
                          bool *consumed) {
  *consumed = false;
  json_t *jl = json_object_get(obj, "logicalType");
  if (!jl)
    return true;
  const char *name = plain_string(jl);
  if (!name)
    return warn(p, "ignored logicalType: not a string");
  const logical_rule_t *rule = NULL;
  for (size_t i = 0; i < sizeof(logical_rules) / sizeof(logical_rules[0]); i++)
    if (strcmp(logical_rules[i].name, name) == 0)
      rule = &logical_rules[i];
  if (!rule)
    return warn(p, "ignored unknown logicalType \"%s\"", name);
  if (node->type != rule->on && node->type != rule->also_on)
    return warn(p, "ignored logicalType \"%s\": not allowed on %s", name,
                kavro_type_name(node->type));
  const char *why = NULL;
  if (rule->logical == KAVRO_LOGICAL_DECIMAL)
    why = check_decimal(node, obj);
  else if (rule->logical == KAVRO_LOGICAL_DURATION && node->size != 12)
    why = "duration needs a fixed of size 12";
  else if (rule->logical == KAVRO_LOGICAL_UUID && node->type == KAVRO_FIXED &&
           node->size != 16)
    why = "uuid on a fixed needs size 16";
  if (why)
    return warn(p, "ignored logicalType \"%s\": %s", name, why);
  node->logical = rule->logical;
  *consumed = true;
  return true;
}

/* Keep props after logical types are settled: a valid logicalType (and the
 * decimal parameters) are modelled; anything else is a property. */
static bool finish_props(parser_t *p, kv_node_t *node, json_t *obj,
                         const char *const *known) {
  bool consumed;
  if (!apply_logical(p, node, obj, &consumed))
    return false;
  if (!keep_props(p, &node->props, obj, known))
    return false;
  if (consumed && node->props) {
    /* The attributes in the text's order stay for JSON output; the model
     * keeps the logical ones in members. */
    node->text_props = node->props;
    if (!(node->props = json_copy(node->text_props))) {
      fail_nomem(p);
      return false;
    }
    json_object_del(node->props, "logicalType");
    if (node->logical == KAVRO_LOGICAL_DECIMAL) {
      json_object_del(node->props, "precision");
      json_object_del(node->props, "scale");
    }
    if (json_object_size(node->props) == 0) {
      json_decref(node->props);
      node->props = NULL;
    }
  }
  return true;
}

/* ---- defaults ---------------------------------------------------------------------- */

/* Decode one UTF-8 code point; -1 on malformed input. */
static long utf8_next(const unsigned char **sp, const unsigned char *end) {
  const unsigned char *s = *sp;
  unsigned c = *s;
  int extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
              : (c & 0xf8) == 0xf0 ? 3 : -1;
  if (extra < 0 || end - s <= extra)
    return -1;
  long cp = extra == 0 ? c : (long)(c & (0x3fu >> extra));
  for (int i = 1; i <= extra; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return -1;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  *sp = s + extra + 1;
  return cp;
}

/* Bytes and fixed defaults are strings whose code points 0-255 stand for
 * the byte values.  Returns the byte count, or -1 when a code point is
 * above 255. */
static long latin1_length(json_t *j) {
  const unsigned char *s = (const unsigned char *)json_string_value(j);
  const unsigned char *end = s + json_string_length(j);
  long n = 0;
  while (s < end) {
    long cp = utf8_next(&s, end);
    if (cp < 0 || cp > 255)
      return -1;
    n++;
  }
  return n;
}

static bool check_default(parser_t *p, const kv_node_t *type, json_t *value,
                          unsigned depth);
static void explain_union_default(parser_t *p);

/* The first field of @record without a default that @value lacks. */
static const kv_field_t *first_missing_field(const kv_node_t *record,
                                             json_t *value) {
  for (size_t i = 0; i < record->field_count; i++) {
    const kv_field_t *f = &record->fields[i];
    if (!f->default_value && !json_object_get(value, f->name))
      return f;
  }
  return NULL;
}

/* Walks the members of the value rather than the fields of the type, so
 * that a default costs its own size: a record of many fields, each with a
 * default, used as the type of many fields whose default is {} would
 * otherwise cost fields times uses.  Members that are no field are
 * ignored, as the Java implementation does. */
static bool check_record_default(parser_t *p, const kv_node_t *type,
                                 json_t *value, unsigned depth) {
  if (type->defining) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "default for record %s given inside the definition of %s: its "
         "fields are not all known yet", type->fullname, type->fullname);
    return false;
  }
  if (!json_is_object(value)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "default for record %s must be a JSON object", type->fullname);
    return false;
  }
  size_t required_present = 0;
  const char *key;
  json_t *member;
  json_object_foreach(value, key, member) {
    const kv_field_t *f = kv_record_field(type, key);
    if (!f)
      continue;
    if (!check_default(p, f->type, member, depth + 1))
      return false;
    required_present += !f->default_value;
  }
  if (required_present < type->required_field_count) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "default for record %s lacks field \"%s\", which has no default",
         type->fullname, first_missing_field(type, value)->name);
    return false;
  }
  return true;
}

static bool check_collection_default(parser_t *p, const kv_node_t *type,
                                     json_t *value, unsigned depth) {
  if (type->type == KAVRO_ARRAY) {
    if (!json_is_array(value)) {
      fail(p, KAVRO_ERR_SCHEMA_INVALID, "default for an array must be a JSON array");
      return false;
    }
    size_t i;
    json_t *item;
    json_array_foreach(value, i, item) {
      if (!check_default(p, type->items, item, depth + 1))
        return false;
    }
    return true;
  }
  if (!json_is_object(value)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "default for a map must be a JSON object");
    return false;
  }
  const char *key;
  json_t *item;
  json_object_foreach(value, key, item) {
    if (!check_default(p, type->items, item, depth + 1))
      return false;
  }
  return true;
}

static bool default_mismatch(parser_t *p, const kv_node_t *type,
                             const char *expected) {
  fail(p, KAVRO_ERR_SCHEMA_INVALID, "default for %s must be %s",
       kv_type_is_named(type->type) ? type->fullname : kavro_type_name(type->type),
       expected);
  return false;
}

/* Is @value a valid default for @type (Avro 1.11, "Complex Types: Records",
 * the table of default value JSON types)?  @depth bounds recursion through
 * recursive types with deeply nested defaults. */
static bool check_default(parser_t *p, const kv_node_t *type, json_t *value,
                          unsigned depth) {
  if (depth > p->max_depth * 4) {
    fail(p, KAVRO_ERR_LIMIT, "default value nested deeper than %u levels",
         p->max_depth * 4);
    return false;
  }
  switch (type->type) {
  case KAVRO_NULL:
    return json_is_null(value) || default_mismatch(p, type, "null");
  case KAVRO_BOOLEAN:
    return json_is_boolean(value) || default_mismatch(p, type, "true or false");
  case KAVRO_INT:
    return (json_is_integer(value) && json_integer_value(value) >= INT32_MIN &&
            json_integer_value(value) <= INT32_MAX) ||
           default_mismatch(p, type, "an integer in the 32-bit range");
  case KAVRO_LONG:
    return json_is_integer(value) || default_mismatch(p, type, "an integer");
  case KAVRO_FLOAT:
  case KAVRO_DOUBLE:
    return json_is_number(value) || default_mismatch(p, type, "a number");
  case KAVRO_STRING:
    return json_is_string(value) || default_mismatch(p, type, "a string");
  case KAVRO_BYTES:
    return (json_is_string(value) && latin1_length(value) >= 0) ||
           default_mismatch(p, type,
                            "a string of code points 0-255 (one per byte)");
  case KAVRO_FIXED:
    if (json_is_string(value) && latin1_length(value) == (long)type->size)
      return true;
    {
      char want[96];
      snprintf(want, sizeof(want),
               "a string of %zu code points 0-255 (one per byte)", type->size);
      return default_mismatch(p, type, want);
    }
  case KAVRO_ENUM: {
    const char *symbol = plain_string(value);
    return (symbol && kv_enum_symbol(type, symbol) >= 0) ||
           default_mismatch(p, type, "one of its symbols");
  }
  case KAVRO_RECORD:
    return check_record_default(p, type, value, depth);
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    return check_collection_default(p, type, value, depth);
  case KAVRO_UNION:
    /* 1.11: a union's default corresponds to its first branch. */
    if (type->branch_count == 0)
      return default_mismatch(p, type, "absent: an empty union has no values");
    if (check_default(p, type->branches[0], value, depth + 1))
      return true;
    explain_union_default(p);
    return false;
  }
  return false;
}

/* A union default that another branch would hold is the usual mistake
 * (["string","null"] with null): say which rule refused it. */
static void explain_union_default(parser_t *p) {
  if (!p->error || p->code != KAVRO_ERR_SCHEMA_INVALID)
    return;
  char inner[KAVRO_ERROR_TEXT_LENGTH];
  memcpy(inner, p->error->text, sizeof(inner));
  snprintf(p->error->text, sizeof(p->error->text),
           "a union's default is a value of its first branch: %.400s", inner);
}

/* ---- named types ---------------------------------------------------------------------- */

static bool parse_aliases(parser_t *p, json_t *obj, const char *space,
                          bool qualify, char ***outp, size_t *countp) {
  json_t *ja = json_object_get(obj, "aliases");
  if (!ja)
    return true;
  size_t mark = path_push(p, "aliases");
  if (!json_is_array(ja)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "\"aliases\" must be an array of names");
    return false;
  }
  size_t n = json_array_size(ja);
  char **out = calloc(n ? n : 1, sizeof(*out));
  if (!out) {
    fail_nomem(p);
    return false;
  }
  *outp = out;
  for (size_t i = 0; i < n; i++) {
    size_t m = path_push_index(p, i);
    const char *a = plain_string(json_array_get(ja, i));
    bool ok = a && (qualify ? valid_dotted(a) : valid_name(a));
    if (!ok) {
      fail(p, KAVRO_ERR_SCHEMA_INVALID, "alias %s%s%s is not a valid %s",
           a ? "\"" : "", a ? a : "(not a string)", a ? "\"" : "",
           qualify ? "name" : "field name");
      return false;
    }
    out[i] = qualify ? make_fullname(a, space) : strdup(a);
    if (!out[i]) {
      fail_nomem(p);
      return false;
    }
    *countp = i + 1;
    path_pop(p, m);
  }
  path_pop(p, mark);
  return true;
}

static bool parse_doc(parser_t *p, json_t *obj, char **docp) {
  json_t *jd = json_object_get(obj, "doc");
  if (!jd)
    return true;
  const char *doc = plain_string(jd);
  if (!doc) {
    size_t mark = path_push(p, "doc");
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "\"doc\" must be a string");
    path_pop(p, mark);
    return false;
  }
  if (!(*docp = strdup(doc))) {
    fail_nomem(p);
    return false;
  }
  return true;
}

/* The name, namespace, aliases and doc of a record, enum or fixed, and its
 * registration, so that the definition's own body may refer to it. */
static bool define_named(parser_t *p, kv_node_t *node, json_t *obj,
                         const char *enclosing_space) {
  json_t *jn = json_object_get(obj, "name");
  json_t *js = json_object_get(obj, "namespace");
  const char *name = plain_string(jn);
  size_t mark = path_push(p, "name");
  if (!name || !*name) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "a %s needs a non-empty \"name\"",
         kavro_type_name(node->type));
    return false;
  }
  if (!valid_dotted(name)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "\"%s\" is not a valid name: each dot-separated part must match "
         "[A-Za-z_][A-Za-z0-9_]*", name);
    return false;
  }
  path_pop(p, mark);
  const char *space = enclosing_space;
  if (js && !strchr(name, '.')) {
    mark = path_push(p, "namespace");
    const char *given = plain_string(js);
    if (!given) {
      /* Java reads a namespace that is no string as absent. */
      if (!relax(p, "read as if absent",
                 "\"namespace\" must be a string of dot-separated names, "
                 "not %s", json_is_null(js) ? "null" : "another JSON type"))
        return false;
    } else {
      if (*given && !valid_dotted(given) &&
          !relax(p, "kept as written",
                 "\"namespace\" must be a string of dot-separated names, "
                 "not \"%.200s\"", given))
        return false;
      space = given;
    }
    path_pop(p, mark);
  }
  node->fullname = make_fullname(name, space);
  if (!node->fullname) {
    fail_nomem(p);
    return false;
  }
  const char *dot = strrchr(node->fullname, '.');
  node->name = dot ? dot + 1 : node->fullname;
  if (dot && !(node->space = strndup(node->fullname, (size_t)(dot - node->fullname)))) {
    fail_nomem(p);
    return false;
  }
  mark = path_push(p, "name");
  /* Java and Python refuse only a full name that is a primitive's: in a
   * namespace, the type is reached by its full name. */
  if (kv_primitive_from_name(node->name) >= 0 &&
      (!node->space ||
       !relax(p, "the type is reached by its full name only",
              "\"%s\" is a primitive type name and cannot name a %s, not "
              "even in a namespace (%s)", node->name,
              kavro_type_name(node->type), node->fullname))) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "\"%s\" is a primitive type name and cannot name a %s", node->name,
         kavro_type_name(node->type));
    return false;
  }
  if (kv_schema_find_named(p->schema, node->fullname)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "%s is defined twice",
         node->fullname);
    return false;
  }
  path_pop(p, mark);
  node->owner = p->schema;
  node->path = strdup(p->path.length ? p->path.data : "");
  if (!node->path || !kv_schema_add_named(p->schema, node)) {
    fail_nomem(p);
    return false;
  }
  return parse_aliases(p, obj, node->space, true, &node->aliases,
                       &node->alias_count) &&
         parse_doc(p, obj, &node->doc);
}

/* ---- records ------------------------------------------------------------------------------ */

static const char *const field_attrs[] = {"name", "type", "default", "doc",
                                          "aliases", "order", NULL};

static bool parse_order(parser_t *p, json_t *jf, kv_field_t *f) {
  json_t *jo = json_object_get(jf, "order");
  if (!jo)
    return true;
  const char *o = plain_string(jo);
  static const char *const orders[] = {"ascending", "descending", "ignore"};
  for (int i = 0; o && i < 3; i++)
    if (strcmp(o, orders[i]) == 0) {
      f->order = (kv_order_t)i;
      return true;
    }
  size_t mark = path_push(p, "order");
  fail(p, KAVRO_ERR_SCHEMA_INVALID,
       "\"order\" must be \"ascending\", \"descending\" or \"ignore\"");
  path_pop(p, mark);
  return false;
}

/* The name of field @f of @rec, checked and indexed: a name an earlier
 * field has is refused here, at the second field. */
static bool parse_field_name(parser_t *p, kv_node_t *rec, json_t *jf,
                             kv_field_t *f) {
  const char *name = plain_string(json_object_get(jf, "name"));
  size_t mark = path_push(p, "name");
  if (!name || !valid_name(name)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "field %s%s%s is not a valid field name ([A-Za-z_][A-Za-z0-9_]*)",
         name ? "\"" : "", name ? name : "name missing or not a string",
         name ? "\"" : "");
    return false;
  }
  if (kv_record_field(rec, name)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "field \"%s\" appears twice in %s",
         name, rec->fullname);
    return false;
  }
  path_pop(p, mark);
  if (!(f->name = strdup(name))) {
    fail_nomem(p);
    return false;
  }
  kv_index_put(&rec->field_index, f->name, f->index);
  return true;
}

/* Check the default @value of field @f.  Leniently, a default that does
 * not fit is kept with its defect in f->default_defect (a warning says
 * so); running out of memory or a limit still fails. */
static bool check_field_default(parser_t *p, kv_field_t *f, json_t *value) {
  if (!p->lenient)
    return check_default(p, f->type, value, 0);
  kavro_error_t *caller = p->error, probe;
  if (caller)
    probe = *caller;
  else
    kv_error_clear(&probe);
  p->error = &probe;
  bool ok = check_default(p, f->type, value, 0);
  p->error = caller;
  if (ok)
    return true;
  if (p->code != KAVRO_ERR_SCHEMA_INVALID) {
    if (caller)
      *caller = probe;
    return false;
  }
  p->failed = false;
  if (!(f->default_defect = strdup(probe.text))) {
    fail_nomem(p);
    return false;
  }
  return relaxed(p, probe.path, probe.text,
                 "kept, but a read that needs it fails");
}

static bool parse_field(parser_t *p, kv_node_t *rec, json_t *jf, size_t index,
                        unsigned depth) {
  kv_field_t *f = &rec->fields[index];
  f->index = index;
  if (!json_is_object(jf)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "a field must be a JSON object");
    return false;
  }
  if (!parse_field_name(p, rec, jf, f))
    return false;
  json_t *jt = json_object_get(jf, "type");
  size_t mark = path_push(p, "type");
  if (!jt) {
    path_pop(p, mark);
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "field \"%s\" has no \"type\"", f->name);
    return false;
  }
  f->type = parse_type(p, jt, rec->space, depth + 1);
  path_pop(p, mark);
  if (!f->type)
    return false;
  json_t *jd = json_object_get(jf, "default");
  if (jd) {
    mark = path_push(p, "default");
    bool ok = check_field_default(p, f, jd);
    path_pop(p, mark);
    if (!ok)
      return false;
    f->default_value = json_incref(jd);
  } else {
    rec->required_field_count++;
  }
  /* Legal, but almost always a mistake: the attribute belongs inside the
   * type, and as a field property no reader applies it. */
  if (json_object_get(jf, "logicalType") &&
      !warn(p, "logicalType on field \"%s\" is a plain field property and is "
               "ignored; write it inside the type: {\"type\": {\"type\": \"%s\", "
               "\"logicalType\": ...}}",
            f->name, kavro_type_name(f->type->type)))
    return false;
  return parse_order(p, jf, f) &&
         parse_aliases(p, jf, NULL, false, &f->aliases, &f->alias_count) &&
         parse_doc(p, jf, &f->doc) && keep_props(p, &f->props, jf, field_attrs);
}

static const char *const record_attrs[] = {"type", "name", "namespace", "doc",
                                           "aliases", "fields", NULL};

static kv_node_t *parse_record(parser_t *p, json_t *obj, const char *space,
                               unsigned depth) {
  kv_node_t *rec = new_node(p, KAVRO_RECORD);
  if (!rec)
    return NULL;
  rec->is_error = strcmp(json_string_value(json_object_get(obj, "type")), "error") == 0;
  if (!define_named(p, rec, obj, space))
    return NULL;
  json_t *jfields = json_object_get(obj, "fields");
  size_t mark = path_push(p, "fields");
  if (!json_is_array(jfields))
    return fail(p, KAVRO_ERR_SCHEMA_INVALID,
                "record %s needs a \"fields\" array", rec->fullname);
  size_t n = json_array_size(jfields);
  if (!check_member_count(p, n, "fields") ||
      !new_index(p, &rec->field_index, n))
    return NULL;
  if (n && !(rec->fields = calloc(n, sizeof(*rec->fields))))
    return fail_nomem(p);
  rec->defining = true;
  for (size_t i = 0; i < n; i++) {
    size_t m = path_push_index(p, i);
    rec->field_count = i + 1; /* so a failure frees what was built */
    if (!parse_field(p, rec, json_array_get(jfields, i), i, depth))
      return NULL;
    path_pop(p, m);
  }
  rec->defining = false;
  path_pop(p, mark);
  return finish_props(p, rec, obj, record_attrs) ? rec : NULL;
}

/* ---- enums and fixed ------------------------------------------------------------------------ */

static bool parse_symbols(parser_t *p, kv_node_t *en, json_t *obj) {
  json_t *js = json_object_get(obj, "symbols");
  size_t mark = path_push(p, "symbols");
  if (!json_is_array(js)) {
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "enum %s needs a \"symbols\" array",
         en->fullname);
    return false;
  }
  size_t n = json_array_size(js);
  if (!check_member_count(p, n, "symbols") ||
      !new_index(p, &en->symbol_index, n))
    return false;
  if (n && !(en->symbols = calloc(n, sizeof(*en->symbols)))) {
    fail_nomem(p);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    size_t m = path_push_index(p, i);
    const char *sym = plain_string(json_array_get(js, i));
    if (!sym || !valid_name(sym)) {
      fail(p, KAVRO_ERR_SCHEMA_INVALID,
           "enum symbol %s%s%s is not a valid name", sym ? "\"" : "",
           sym ? sym : "(not a string)", sym ? "\"" : "");
      return false;
    }
    if (kv_enum_symbol(en, sym) >= 0) {
      fail(p, KAVRO_ERR_SCHEMA_INVALID, "enum symbol \"%s\" appears twice", sym);
      return false;
    }
    if (!(en->symbols[i] = strdup(sym))) {
      fail_nomem(p);
      return false;
    }
    en->symbol_count = i + 1;
    kv_index_put(&en->symbol_index, en->symbols[i], i);
    path_pop(p, m);
  }
  path_pop(p, mark);
  return true;
}

static bool parse_enum_default(parser_t *p, kv_node_t *en, json_t *obj) {
  json_t *jd = json_object_get(obj, "default");
  if (!jd)
    return true;
  const char *d = plain_string(jd);
  if (d && (en->enum_default = kv_enum_symbol(en, d)) >= 0)
    return true;
  en->enum_default = -1;
  char defect[KAVRO_ERROR_TEXT_LENGTH];
  snprintf(defect, sizeof(defect),
           "enum default %s%.200s%s is not one of the symbols of %.200s",
           d ? "\"" : "", d ? d : "(not a string)", d ? "\"" : "", en->fullname);
  size_t mark = path_push(p, "default");
  bool ok = relax(p, "kept, but a read that needs it fails", "%s", defect);
  path_pop(p, mark);
  if (!ok)
    return false;
  en->bad_enum_default = json_incref(jd);
  if (!(en->enum_default_defect = strdup(defect))) {
    fail_nomem(p);
    return false;
  }
  return true;
}

static const char *const enum_attrs[] = {"type", "name", "namespace", "doc",
                                         "aliases", "symbols", "default", NULL};

static kv_node_t *parse_enum(parser_t *p, json_t *obj, const char *space) {
  kv_node_t *en = new_node(p, KAVRO_ENUM);
  if (!en || !define_named(p, en, obj, space) || !parse_symbols(p, en, obj) ||
      !parse_enum_default(p, en, obj) || !finish_props(p, en, obj, enum_attrs))
    return NULL;
  return en;
}

static const char *const fixed_attrs[] = {"type", "name", "namespace", "doc",
                                          "aliases", "size", NULL};

static kv_node_t *parse_fixed(parser_t *p, json_t *obj, const char *space) {
  kv_node_t *fx = new_node(p, KAVRO_FIXED);
  if (!fx || !define_named(p, fx, obj, space))
    return NULL;
  json_t *js = json_object_get(obj, "size");
  if (!json_is_integer(js) || json_integer_value(js) < 0 ||
      json_integer_value(js) > INT32_MAX) {
    size_t mark = path_push(p, "size");
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "fixed %s needs a \"size\": an integer from 0 to 2147483647",
         fx->fullname);
    path_pop(p, mark);
    return NULL;
  }
  fx->size = (size_t)json_integer_value(js);
  /* Every value of the type holds that many bytes, and avro-c's generic
   * values allocate them before reading a byte of the body. */
  if (fx->size > p->max_fixed_size) {
    size_t mark = path_push(p, "size");
    fail(p, KAVRO_ERR_LIMIT,
         "fixed %s has a size of %zu bytes, larger than the limit of %zu",
         fx->fullname, fx->size, p->max_fixed_size);
    path_pop(p, mark);
    return NULL;
  }
  return finish_props(p, fx, obj, fixed_attrs) ? fx : NULL;
}

/* ---- arrays, maps, unions --------------------------------------------------------------------- */

static kv_node_t *parse_collection(parser_t *p, json_t *obj, kavro_type_t type,
                                   const char *space, unsigned depth) {
  const char *key = type == KAVRO_ARRAY ? "items" : "values";
  kv_node_t *node = new_node(p, type);
  if (!node)
    return NULL;
  json_t *ji = json_object_get(obj, key);
  if (!ji)
    return fail(p, KAVRO_ERR_SCHEMA_INVALID, "%s needs \"%s\"",
                kavro_type_name(type), key);
  size_t mark = path_push(p, key);
  node->items = parse_type(p, ji, space, depth + 1);
  path_pop(p, mark);
  const char *const attrs[] = {"type", key, NULL};
  if (!node->items || !finish_props(p, node, obj, attrs))
    return NULL;
  return node;
}

/* Two branches of one union may not be of the same unnamed type, nor the
 * same named type.  The branches met so far, by type for unnamed types and
 * by full name for named ones, so that the check is linear in the number
 * of branches. */
typedef struct branches_seen_s {
  size_t by_type[KAVRO_FIXED + 1]; /* first branch of each type, or SIZE_MAX */
  kv_index_t named;                /* full names, positions in the union */
} branches_seen_t;

/* The earlier branch of union @u of the same kind as @b, or -1. */
static long same_kind_branch(const branches_seen_t *seen, const kv_node_t *u,
                             const kv_node_t *b) {
  if (kv_type_is_named(b->type))
    return kv_index_find(&seen->named, u->branches, kv_named_key, b->fullname);
  return seen->by_type[b->type] == SIZE_MAX ? -1 : (long)seen->by_type[b->type];
}

static void remember_branch(branches_seen_t *seen, const kv_node_t *b,
                            size_t i) {
  if (kv_type_is_named(b->type))
    kv_index_put(&seen->named, b->fullname, i);
  else
    seen->by_type[b->type] = i;
}

static bool parse_branches(parser_t *p, kv_node_t *u, json_t *arr,
                           const char *space, unsigned depth,
                           branches_seen_t *seen) {
  for (size_t i = 0; i < json_array_size(arr); i++) {
    size_t mark = path_push_index(p, i);
    /* Checked on the parsed node, not the JSON: {"type": [...]} is a union
     * too. */
    kv_node_t *b = parse_type(p, json_array_get(arr, i), space, depth + 1);
    if (!b)
      return false;
    if (b->type == KAVRO_UNION) {
      fail(p, KAVRO_ERR_SCHEMA_INVALID,
           "a union may not contain a union directly");
      return false;
    }
    long k = same_kind_branch(seen, u, b);
    if (k >= 0) {
      fail(p, KAVRO_ERR_SCHEMA_INVALID,
           "union has two branches of type %s (branches %ld and %zu)",
           kv_type_is_named(b->type) ? b->fullname : kavro_type_name(b->type),
           k, i);
      return false;
    }
    u->branches[i] = b;
    u->branch_count = i + 1;
    remember_branch(seen, b, i);
    path_pop(p, mark);
  }
  return true;
}

static kv_node_t *parse_union(parser_t *p, json_t *arr, const char *space,
                              unsigned depth) {
  kv_node_t *u = new_node(p, KAVRO_UNION);
  if (!u)
    return NULL;
  size_t n = json_array_size(arr);
  branches_seen_t seen;
  for (size_t t = 0; t <= KAVRO_FIXED; t++)
    seen.by_type[t] = SIZE_MAX;
  if (!check_member_count(p, n, "union branches") ||
      !new_index(p, &seen.named, n))
    return NULL;
  bool ok = true;
  if (n && !(u->branches = calloc(n, sizeof(*u->branches)))) {
    fail_nomem(p);
    ok = false;
  }
  ok = ok && parse_branches(p, u, arr, space, depth, &seen);
  kv_index_free(&seen.named);
  return ok ? u : NULL;
}

/* ---- dispatch --------------------------------------------------------------------------------- */

static kv_node_t *parse_primitive_object(parser_t *p, json_t *obj,
                                         kavro_type_t type) {
  static const char *const attrs[] = {"type", NULL};
  kv_node_t *node = new_node(p, type);
  if (!node || !finish_props(p, node, obj, attrs))
    return NULL;
  return node;
}

static kv_node_t *parse_object(parser_t *p, json_t *obj, const char *space,
                               unsigned depth) {
  json_t *jt = json_object_get(obj, "type");
  if (!jt)
    return fail(p, KAVRO_ERR_SCHEMA_INVALID, "a schema object needs \"type\"");
  if (json_is_object(jt)) {
    /* The "type" of a schema object names a type; only a field's "type"
     * may be a whole schema.  Java and Python refuse this too. */
    size_t mark = path_push(p, "type");
    fail(p, KAVRO_ERR_SCHEMA_INVALID,
         "the \"type\" of a schema object must name a type (a string), not "
         "be a schema object; only a field's \"type\" may be a schema");
    path_pop(p, mark);
    return NULL;
  }
  if (json_is_array(jt)) {
    /* {"type": [...]} wraps a union; the wrapper's other attributes have
     * nowhere to go, so only a bare wrapper is allowed. */
    size_t mark = path_push(p, "type");
    kv_node_t *n = parse_type(p, jt, space, depth + 1);
    path_pop(p, mark);
    if (n && json_object_size(obj) != 1)
      return fail(p, KAVRO_ERR_SCHEMA_INVALID,
                  "a schema object whose \"type\" is a union may have no "
                  "other attributes");
    return n;
  }
  const char *type = plain_string(jt);
  if (!type) {
    size_t mark = path_push(p, "type");
    fail(p, KAVRO_ERR_SCHEMA_INVALID, "\"type\" must be a string or an array");
    path_pop(p, mark);
    return NULL;
  }
  int prim = kv_primitive_from_name(type);
  if (prim >= 0)
    return parse_primitive_object(p, obj, (kavro_type_t)prim);
  if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0)
    return parse_record(p, obj, space, depth);
  if (strcmp(type, "enum") == 0)
    return parse_enum(p, obj, space);
  if (strcmp(type, "fixed") == 0)
    return parse_fixed(p, obj, space);
  if (strcmp(type, "array") == 0)
    return parse_collection(p, obj, KAVRO_ARRAY, space, depth);
  if (strcmp(type, "map") == 0)
    return parse_collection(p, obj, KAVRO_MAP, space, depth);
  /* {"type": "com.acme.Named"}: a reference in object form. */
  size_t mark = path_push(p, "type");
  kv_node_t *n = parse_type_name(p, type, space);
  path_pop(p, mark);
  return n;
}

static kv_node_t *parse_type(parser_t *p, json_t *j, const char *space,
                             unsigned depth) {
  if (depth > p->max_depth)
    return fail(p, KAVRO_ERR_LIMIT, "types nested deeper than %u levels",
                p->max_depth);
  if (json_is_string(j)) {
    const char *name = plain_string(j);
    if (!name)
      return fail(p, KAVRO_ERR_SCHEMA_INVALID, "type name contains a NUL");
    return parse_type_name(p, name, space);
  }
  if (json_is_array(j))
    return parse_union(p, j, space, depth);
  if (json_is_object(j))
    return parse_object(p, j, space, depth);
  return fail(p, KAVRO_ERR_SCHEMA_INVALID,
              "a schema must be a type name, an object or an array");
}

/* ---- entry point ------------------------------------------------------------------------------- */

static kavro_schema_t *schema_alloc(const char *text, size_t length,
                                    const kavro_parse_options_t *opts) {
  kavro_schema_t *s = calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  atomic_init(&s->refcount, 1);
  s->text = malloc(length + 1);
  if (s->text) {
    memcpy(s->text, text, length);
    s->text[length] = '\0';
    s->text_length = length;
  }
  if (opts->source)
    s->source = strdup(opts->source);
  if (opts->reference_count)
    s->references = calloc(opts->reference_count, sizeof(*s->references));
  if (!s->text || (opts->source && !s->source) ||
      (opts->reference_count && !s->references)) {
    kavro_schema_destroy(s);
    return NULL;
  }
  for (size_t i = 0; i < opts->reference_count; i++)
    if (opts->references[i])
      s->references[s->reference_count++] = kavro_schema_dup(opts->references[i]);
  if (!kv_schema_index_references(s)) {
    kavro_schema_destroy(s);
    return NULL;
  }
  return s;
}

/* Turn the error's JSON pointer (or jansson's position) into a line and
 * column of the text, only now that we know there is an error. */
static void locate_error(const kavro_schema_t *s, kavro_error_t *error) {
  if (!error || error->line > 0)
    return;
  kv_json_pos_t pos;
  kv_json_locate_key(s->text, s->text_length, error->path, &pos);
  error->line = pos.line;
  error->column = pos.column;
  error->position = pos.offset;
}

/* The text as JSON.  A key given twice in an object is an error, except
 * when @lenient: then *@duplicatesp says there are some (the last value
 * of each is used, as Jackson does), and the parse goes on. */
static kavro_err_t parse_json(const char *text, size_t length, bool lenient,
                              json_t **rootp, bool *duplicatesp,
                              kavro_error_t *error) {
  json_error_t jerr;
  size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
  *duplicatesp = false;
  *rootp = json_loadb(text, length, flags | JSON_REJECT_DUPLICATES, &jerr);
  if (!*rootp && lenient && json_error_code(&jerr) == json_error_duplicate_key) {
    *duplicatesp = true;
    *rootp = json_loadb(text, length, flags, &jerr);
  }
  if (*rootp)
    return KAVRO_OK;
  /* jansson gives no text only when it ran out of memory. */
  if (!jerr.text[0])
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory parsing JSON");
  kv_error_set(error, KAVRO_ERR_JSON, "invalid JSON: %s", jerr.text);
  if (error) {
    error->line = jerr.line > 0 ? jerr.line : 1;
    error->column = jerr.column > 0 ? jerr.column : 1;
    error->position = jerr.position;
  }
  return KAVRO_ERR_JSON;
}

static bool warn_duplicate(void *opaque, const char *pointer,
                           const char *key) {
  parser_t *p = opaque;
  char defect[KAVRO_ERROR_TEXT_LENGTH];
  snprintf(defect, sizeof(defect), "key \"%.200s\" appears twice in one "
           "JSON object", key);
  return relaxed(p, pointer, defect, "the last value is used");
}

/* One warning per repeated key, at its second occurrence. */
static void warn_duplicates(parser_t *p) {
  const kavro_schema_t *s = p->schema;
  if (!kv_json_duplicate_keys(s->text, s->text_length, warn_duplicate, p))
    fail_nomem(p);
}

static void options_with_defaults(const kavro_parse_options_t *in,
                                  kavro_parse_options_t *out) {
  kavro_parse_options_init(out);
  if (in)
    memcpy(out, in, in->struct_size && in->struct_size < sizeof(*out)
                        ? in->struct_size : sizeof(*out));
  out->struct_size = sizeof(*out);
  if (!out->max_size)
    out->max_size = KAVRO_SCHEMA_DEFAULT_MAX_SIZE;
  if (!out->max_depth)
    out->max_depth = KAVRO_SCHEMA_DEFAULT_MAX_DEPTH;
  if (!out->max_fixed_size)
    out->max_fixed_size = KAVRO_SCHEMA_DEFAULT_MAX_FIXED_SIZE;
}

kavro_err_t kavro_schema_parse(const char *text, size_t length,
                               const kavro_parse_options_t *options,
                               kavro_schema_t **schemap, kavro_error_t *error) {
  kv_error_clear(error);
  if (schemap)
    *schemap = NULL;
  if (!text || !schemap)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "text and schemap are required");
  kavro_parse_options_t opts;
  options_with_defaults(options, &opts);
  kv_error_set_source(error, opts.source);
  if (length > opts.max_size)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "schema text is %zu bytes, larger than the limit of %zu",
                        length, opts.max_size);
  json_t *root;
  bool duplicates;
  kavro_err_t err = parse_json(text, length, opts.lenient, &root, &duplicates,
                               error);
  if (err)
    return err;
  kavro_schema_t *s = schema_alloc(text, length, &opts);
  if (!s) {
    json_decref(root);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  parser_t p = {.schema = s, .error = error, .max_depth = opts.max_depth,
                .max_fixed_size = opts.max_fixed_size,
                .lenient = opts.lenient};
  if (duplicates)
    warn_duplicates(&p);
  s->root = p.failed ? NULL : parse_type(&p, root, NULL, 0);
  json_decref(root);
  if (s->root && kv_strbuf_failed(&p.path))
    fail_nomem(&p);
  kv_strbuf_free(&p.path);
  if (!p.failed && (err = kv_schema_finish_canonical(s, error)) != KAVRO_OK) {
    p.failed = true;
    p.code = err;
  }
  if (p.failed) {
    locate_error(s, error);
    kavro_schema_destroy(s);
    return p.code;
  }
  *schemap = s;
  kv_metric_count(KV_M_SCHEMAS_COMPILED);
  return KAVRO_OK;
}
