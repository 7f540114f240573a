/*
 * kavro gen - the model: the types of the schemas to generate, walked from
 * their JSON (the library has validated every schema before; the walk
 * only resolves names as the specification says), C names, and each top
 * type's self-contained schema text with its fingerprint.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "gen_util.h"

/* ---- building the model ---------------------------------------------------- */

gen_t *gen_new(const char *prefix) {
  gen_t *g = gen_xcalloc(1, sizeof(*g));
  g->prefix = gen_xstrdup(prefix ? prefix : "");
  g->upper_prefix = gen_upper(g->prefix);
  return g;
}

static void free_type(gen_type_t *t) {
  free(t->fullname);
  free(t->space);
  free(t->doc);
  json_decref(t->def);
  for (size_t i = 0; i < t->field_count; i++) {
    free(t->fields[i].name);
    free(t->fields[i].cname);
    free(t->fields[i].doc);
  }
  free(t->fields);
  for (size_t i = 0; i < t->symbol_count; i++) {
    free(t->symbols[i]);
    if (t->symbol_cnames)
      free(t->symbol_cnames[i]);
  }
  free(t->symbols);
  free(t->symbol_cnames);
  free(t->branches);
  free(t->cname);
  free(t);
}

void gen_free(gen_t *g) {
  if (!g)
    return;
  for (size_t i = 0; i < g->type_count; i++)
    free_type(g->types[i]);
  free(g->types);
  free(g->named);
  for (size_t i = 0; i < g->root_count; i++) {
    gen_root_t *r = &g->roots[i];
    free(r->name);
    free(r->topic);
    free(r->subject);
    free(r->key);
    free(r->file);
  }
  free(g->roots);
  for (size_t i = 0; i < g->top_count; i++) {
    free(g->tops[i].cname);
    free(g->tops[i].schema_text);
  }
  free(g->tops);
  for (size_t i = 0; i < g->source_count; i++)
    free(g->sources[i]);
  free(g->sources);
  free(g->prefix);
  free(g->upper_prefix);
  free(g);
}

static gen_type_t *new_type(gen_t *g, kavro_type_t type) {
  gen_type_t *t = gen_xcalloc(1, sizeof(*t));
  t->type = type;
  GEN_PUSH(g->types, g->type_count, g->type_capacity, t);
  return t;
}

static int primitive_type(const char *name) {
  static const char *const names[] = {"null",  "boolean", "int",   "long",
                                      "float", "double",  "bytes", "string"};
  for (int i = 0; i < 8; i++)
    if (strcmp(name, names[i]) == 0)
      return i;   /* KAVRO_NULL ... KAVRO_STRING, in this order */
  return -1;
}

static gen_type_t *find_named(const gen_t *g, const char *fullname) {
  for (size_t i = 0; i < g->named_count; i++)
    if (strcmp(g->named[i]->fullname, fullname) == 0)
      return g->named[i];
  return NULL;
}

/* A name as written, in namespace @space, made full. */
static char *full_name(const char *name, const char *space) {
  if (strchr(name, '.') || !space)
    return gen_xstrdup(name);
  return gen_strf("%s.%s", space, name);
}

/* The type a name refers to: in the enclosing namespace, else the null
 * namespace (as the library resolves it). */
static gen_type_t *resolve_ref(const gen_t *g, const char *name,
                               const char *space) {
  char *full = full_name(name, space);
  gen_type_t *t = find_named(g, full);
  free(full);
  return t ? t : find_named(g, name);
}

static const char *str_member(const json_t *obj, const char *key) {
  return json_string_value(json_object_get(obj, key));
}

static gen_type_t *walk(gen_t *g, json_t *j, const char *space);

/* The full name and namespace a named definition @def declares. */
static void def_names(const json_t *def, const char *space, char **fullname,
                      char **ns) {
  const char *name = str_member(def, "name");
  const json_t *declared = json_object_get(def, "namespace");
  const char *dot = strrchr(name, '.');
  if (dot) {
    *ns = gen_strndup(name, (size_t)(dot - name));
  } else if (declared) {
    const char *d = json_string_value(declared);
    *ns = d && *d ? gen_xstrdup(d) : NULL;
  } else {
    *ns = space ? gen_xstrdup(space) : NULL;
  }
  *fullname = dot ? gen_xstrdup(name) : full_name(name, *ns);
}

static bool walk_fields(gen_t *g, gen_type_t *t, json_t *def) {
  json_t *fields = json_object_get(def, "fields");
  t->field_count = json_array_size(fields);
  t->fields = gen_xcalloc(t->field_count ? t->field_count : 1,
                          sizeof(*t->fields));
  for (size_t i = 0; i < t->field_count; i++) {
    json_t *f = json_array_get(fields, i);
    gen_field_t *field = &t->fields[i];
    field->name = gen_xstrdup(str_member(f, "name"));
    field->cname = gen_c_identifier(field->name);
    if (str_member(f, "doc"))
      field->doc = gen_xstrdup(str_member(f, "doc"));
    if (!(field->type = walk(g, json_object_get(f, "type"), t->space)))
      return false;
  }
  return true;
}

static gen_type_t *walk_named(gen_t *g, json_t *def, const char *kind,
                              const char *space) {
  char *fullname, *ns;
  def_names(def, space, &fullname, &ns);
  gen_type_t *t = find_named(g, fullname);
  if (t) {  /* defined by a schema walked before: the same type */
    free(fullname);
    free(ns);
    return t;
  }
  kavro_type_t type = strcmp(kind, "enum") == 0    ? KAVRO_ENUM
                      : strcmp(kind, "fixed") == 0 ? KAVRO_FIXED
                                                   : KAVRO_RECORD;
  t = new_type(g, type);
  t->fullname = fullname;
  t->space = ns;
  t->def = json_incref(def);
  if (str_member(def, "doc"))
    t->doc = gen_xstrdup(str_member(def, "doc"));
  GEN_PUSH(g->named, g->named_count, g->named_capacity, t);
  if (type == KAVRO_RECORD)
    return walk_fields(g, t, def) ? t : NULL;
  if (type == KAVRO_FIXED) {
    t->size = (size_t)json_integer_value(json_object_get(def, "size"));
    t->logical = str_member(def, "logicalType");  /* for comments only */
    json_t *scale = json_object_get(def, "scale");
    t->scale = json_is_integer(scale) ? (int)json_integer_value(scale) : 0;
    return t;
  }
  json_t *symbols = json_object_get(def, "symbols");
  t->symbol_count = json_array_size(symbols);
  t->symbols = gen_xcalloc(t->symbol_count ? t->symbol_count : 1,
                           sizeof(*t->symbols));
  for (size_t i = 0; i < t->symbol_count; i++)
    t->symbols[i] = gen_xstrdup(json_string_value(json_array_get(symbols, i)));
  return t;
}

/* A primitive written as an object: bytes may be a decimal. */
static gen_type_t *walk_primitive(gen_t *g, json_t *obj, int type) {
  gen_type_t *t = new_type(g, (kavro_type_t)type);
  const char *logical = str_member(obj, "logicalType");
  if (!logical)
    return t;
  t->logical = logical;
  json_t *precision = json_object_get(obj, "precision");
  json_t *scale = json_object_get(obj, "scale");
  if (type == KAVRO_BYTES && strcmp(logical, "decimal") == 0 &&
      json_is_integer(precision) && json_integer_value(precision) > 0 &&
      (!scale || (json_is_integer(scale) && json_integer_value(scale) >= 0 &&
                  json_integer_value(scale) <= json_integer_value(precision)))) {
    t->decimal = true;
    t->scale = scale ? (int)json_integer_value(scale) : 0;
  }
  return t;
}

static gen_type_t *walk_object(gen_t *g, json_t *obj, const char *space) {
  json_t *type = json_object_get(obj, "type");
  if (!json_is_string(type))
    return walk(g, type, space);
  const char *kind = json_string_value(type);
  int prim = primitive_type(kind);
  if (prim >= 0)
    return walk_primitive(g, obj, prim);
  if (!strcmp(kind, "record") || !strcmp(kind, "error") ||
      !strcmp(kind, "enum") || !strcmp(kind, "fixed"))
    return walk_named(g, obj, kind, space);
  if (!strcmp(kind, "array") || !strcmp(kind, "map")) {
    bool array = kind[0] == 'a';
    gen_type_t *t = new_type(g, array ? KAVRO_ARRAY : KAVRO_MAP);
    t->items = walk(g, json_object_get(obj, array ? "items" : "values"), space);
    return t->items ? t : NULL;
  }
  return walk(g, type, space);  /* {"type": "SomeName"} */
}

static gen_type_t *walk(gen_t *g, json_t *j, const char *space) {
  if (json_is_array(j)) {
    gen_type_t *t = new_type(g, KAVRO_UNION);
    t->branch_count = json_array_size(j);
    t->branches = gen_xcalloc(t->branch_count ? t->branch_count : 1,
                              sizeof(*t->branches));
    for (size_t i = 0; i < t->branch_count; i++)
      if (!(t->branches[i] = walk(g, json_array_get(j, i), space)))
        return NULL;
    return t;
  }
  if (json_is_object(j))
    return walk_object(g, j, space);
  const char *name = json_string_value(j);
  if (!name) {
    fprintf(stderr, "kavro gen: a type is neither a name, an object nor a "
                    "union\n");
    return NULL;
  }
  int prim = primitive_type(name);
  if (prim >= 0)
    return new_type(g, (kavro_type_t)prim);
  gen_type_t *t = resolve_ref(g, name, space);
  if (!t)
    fprintf(stderr, "kavro gen: type %s is not defined\n", name);
  return t;
}

bool gen_add_schema(gen_t *g, const char *text, const char *source,
                    gen_type_t **root) {
  for (size_t i = 0; source && i < g->source_count; i++)
    if (strcmp(g->sources[i], source) == 0) {
      if (root)
        *root = NULL;
      return true;
    }
  json_error_t jerr;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
  if (!j) {
    fprintf(stderr, "kavro gen: %s: %s\n", source ? source : "schema",
            jerr.text);
    return false;
  }
  gen_type_t *t = walk(g, j, NULL);
  if (t && !t->fullname && !t->def)
    t->def = json_incref(j);   /* an unnamed root: kept for its text */
  json_decref(j);
  if (!t)
    return false;
  if (source)
    GEN_PUSH(g->sources, g->source_count, g->source_capacity,
             gen_xstrdup(source));
  if (root)
    *root = t;
  return true;
}

bool gen_add_root(gen_t *g, gen_type_t *type, const char *name,
                  const char *topic, const char *subject, const char *key,
                  const char *file) {
  if (type->type != KAVRO_RECORD && !name) {
    fprintf(stderr, "kavro gen: a schema that is not a record needs --name\n");
    return false;
  }
  gen_root_t r = {type,
                  name ? gen_xstrdup(name) : NULL,
                  topic ? gen_xstrdup(topic) : NULL,
                  subject ? gen_xstrdup(subject) : NULL,
                  key ? gen_xstrdup(key) : NULL,
                  file ? gen_xstrdup(file) : NULL,
                  0};
  size_t capacity = g->root_capacity;
  GEN_PUSH(g->roots, g->root_count, capacity, r);
  g->root_capacity = capacity;
  return true;
}

/* ---- self-contained schema text --------------------------------------------
 * A top type's schema as the library would hold it without references:
 * every named type written in full at its first use (the registry's
 * references inlined), with its full name, so that it reads the same
 * wherever it lands.  Its canonical form is that of the original. */

static json_t *expand(const gen_t *g, json_t *j, const char *space,
                      json_t *written);

static json_t *expand_def(const gen_t *g, gen_type_t *t, json_t *written) {
  json_object_set_new(written, t->fullname, json_true());
  json_t *def = json_copy(t->def);
  json_object_set_new(def, "name", json_string(t->fullname));
  if (t->space)
    json_object_del(def, "namespace");
  else
    json_object_set_new(def, "namespace", json_string(""));
  json_t *fields = json_object_get(t->def, "fields");
  if (t->type == KAVRO_RECORD) {
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(fields); i++) {
      json_t *f = json_copy(json_array_get(fields, i));
      json_object_set_new(f, "type", expand(g, json_object_get(f, "type"),
                                            t->space, written));
      json_array_append_new(out, f);
    }
    json_object_set_new(def, "fields", out);
  }
  return def;
}

static json_t *expand_name(const gen_t *g, const char *name, const char *space,
                           json_t *written) {
  if (primitive_type(name) >= 0)
    return json_string(name);
  gen_type_t *t = resolve_ref(g, name, space);
  if (json_object_get(written, t->fullname))
    return json_string(t->fullname);
  return expand_def(g, t, written);
}

static json_t *expand(const gen_t *g, json_t *j, const char *space,
                      json_t *written) {
  if (json_is_string(j))
    return expand_name(g, json_string_value(j), space, written);
  if (json_is_array(j)) {
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(j); i++)
      json_array_append_new(out, expand(g, json_array_get(j, i), space, written));
    return out;
  }
  json_t *type = json_object_get(j, "type");
  const char *kind = json_string_value(type);
  if (!kind)
    return expand(g, type, space, written);
  if (!strcmp(kind, "record") || !strcmp(kind, "error") ||
      !strcmp(kind, "enum") || !strcmp(kind, "fixed")) {
    char *fullname, *ns;
    def_names(j, space, &fullname, &ns);
    gen_type_t *t = find_named(g, fullname);
    free(fullname);
    free(ns);
    return expand_def(g, t, written);
  }
  json_t *out = json_copy(j);
  const char *member = !strcmp(kind, "array") ? "items"
                       : !strcmp(kind, "map") ? "values"
                                              : NULL;
  if (member)
    json_object_set_new(out, member, expand(g, json_object_get(j, member),
                                            space, written));
  else if (primitive_type(kind) < 0) {  /* {"type": "SomeName"} */
    json_decref(out);
    return expand_name(g, kind, space, written);
  }
  return out;
}

/* A type as JSON text a walk can start from: a named type by its
 * definition; an unnamed root by the text it came from. */
char *gen_schema_text(gen_t *g, gen_type_t *type) {
  json_t *written = json_object();
  json_t *j = expand_def(g, type, written);
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
  json_decref(j);
  json_decref(written);
  if (!text)
    gen_oom();
  return text;
}

/* ---- naming ---------------------------------------------------------------- */

static bool check_unique(const gen_t *g, const char *cname, const char *what) {
  size_t seen = 0;
  for (size_t i = 0; i < g->named_count; i++)
    seen += strcmp(g->named[i]->cname, cname) == 0;
  for (size_t i = 0; i < g->root_count; i++)
    seen += g->roots[i].name && g->roots[i].type->type != KAVRO_RECORD &&
            strcmp(g->roots[i].name, cname + strlen(g->prefix)) == 0;
  if (seen <= 1)
    return true;
  fprintf(stderr, "kavro gen: two types are both called %s in C (%s); "
                  "generate them in separate runs with --prefix\n",
          cname, what);
  return false;
}

static void name_symbols(gen_type_t *t) {
  char *upper = gen_upper(t->cname);
  t->symbol_cnames = gen_xcalloc(t->symbol_count ? t->symbol_count : 1,
                                 sizeof(char *));
  for (size_t i = 0; i < t->symbol_count; i++) {
    char *sym = gen_upper(t->symbols[i]);
    bool clash = false;
    for (size_t k = 0; k < t->symbol_count && !clash; k++) {
      char *other = gen_upper(t->symbols[k]);
      clash = k != i && strcmp(sym, other) == 0;
      free(other);
    }
    t->symbol_cnames[i] = gen_strf("%s_%s", upper, clash ? t->symbols[i] : sym);
    free(sym);
  }
  free(upper);
}

/* Name the helper types of the arrays, maps and unions inside @t. */
static void name_helpers(gen_type_t *t, const char *base, bool field_level) {
  size_t value_branch;
  switch (t->type) {
  case KAVRO_ARRAY:
  case KAVRO_MAP: {
    t->cname = gen_xstrdup(base);
    char *inner = gen_strf("%s_%s", base, t->type == KAVRO_ARRAY ? "items"
                                                                  : "values");
    name_helpers(t->items, inner, false);
    free(inner);
    return;
  }
  case KAVRO_UNION:
    if (field_level && gen_is_nullable(t, &value_branch)) {
      name_helpers(t->branches[value_branch], base, false);
      return;
    }
    t->cname = gen_xstrdup(base);
    for (size_t i = 0; i < t->branch_count; i++) {
      char *inner = gen_strf("%s_b%zu", base, i);
      name_helpers(t->branches[i], inner, false);
      free(inner);
    }
    return;
  default:
    return;
  }
}

static void add_top(gen_t *g, const char *cname, gen_type_t *type, bool alias) {
  g->tops = realloc(g->tops, (g->top_count + 1) * sizeof(*g->tops));
  if (!g->tops)
    gen_oom();
  g->tops[g->top_count++] = (gen_top_t){gen_xstrdup(cname), type, alias, NULL, 0};
}

/* The fingerprint of @text as the library computes it. */
static bool fingerprint(const char *cname, const char *text, uint64_t *rabin) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  if (kavro_schema_parse(text, strlen(text), NULL, &schema, &error) != KAVRO_OK) {
    char buf[1024];
    fprintf(stderr, "kavro gen: the schema text made for %s does not parse: "
                    "%s\n",
            cname, kavro_error_format(&error, buf, sizeof(buf)));
    return false;
  }
  *rabin = kavro_schema_rabin(schema);
  kavro_schema_destroy(schema);
  return true;
}

/* A root's self-contained text: a named root by its definition, another
 * by walking the JSON it came from again (its named types in full). */
static char *root_text(gen_t *g, gen_type_t *type) {
  if (type->fullname)
    return gen_schema_text(g, type);
  json_t *written = json_object();
  json_t *out = expand(g, type->def, NULL, written);
  char *text = json_dumps(out, JSON_INDENT(2) | JSON_ENCODE_ANY);
  json_decref(out);
  json_decref(written);
  if (!text)
    gen_oom();
  return text;
}

static bool name_tops(gen_t *g) {
  for (size_t i = 0; i < g->named_count; i++)
    if (g->named[i]->type == KAVRO_RECORD)
      add_top(g, g->named[i]->cname, g->named[i], false);
  for (size_t i = 0; i < g->root_count; i++) {
    gen_root_t *r = &g->roots[i];
    if (r->type->type == KAVRO_RECORD) {
      for (size_t k = 0; k < g->top_count; k++)
        if (g->tops[k].type == r->type)
          r->top = k;
      continue;
    }
    char *cname = gen_strf("%s%s", g->prefix, r->name);
    r->top = g->top_count;
    add_top(g, cname, r->type, true);
    name_helpers(r->type, cname, false);
    free(cname);
  }
  for (size_t i = 0; i < g->top_count; i++) {
    gen_top_t *t = &g->tops[i];
    t->schema_text = t->alias ? root_text(g, t->type)
                              : gen_schema_text(g, t->type);
    if (!fingerprint(t->cname, t->schema_text, &t->rabin))
      return false;
  }
  return true;
}

static const char *short_of(const char *fullname) {
  const char *dot = strrchr(fullname, '.');
  return dot ? dot + 1 : fullname;
}

/* The C name of @t: its short name, or, when another type has the same
 * short name, the last part of its namespace and its short name. */
static char *type_cname(const gen_t *g, const gen_type_t *t) {
  const char *name = short_of(t->fullname);
  bool shared = false;
  for (size_t i = 0; i < g->named_count && !shared; i++)
    shared = g->named[i] != t &&
             strcmp(short_of(g->named[i]->fullname), name) == 0;
  char *qualified = shared && t->space
                        ? gen_strf("%s_%s", short_of(t->space), name)
                        : gen_xstrdup(name);
  char *snake = gen_snake(qualified);
  char *cname = gen_strf("%s%s", g->prefix, snake);
  free(snake);
  free(qualified);
  return cname;
}

bool gen_finish(gen_t *g) {
  for (size_t i = 0; i < g->named_count; i++)
    g->named[i]->cname = type_cname(g, g->named[i]);
  for (size_t i = 0; i < g->named_count; i++) {
    gen_type_t *t = g->named[i];
    if (!check_unique(g, t->cname, t->fullname))
      return false;
    if (t->type == KAVRO_ENUM)
      name_symbols(t);
    for (size_t f = 0; f < t->field_count; f++) {
      char *base = gen_strf("%s_%s", t->cname, t->fields[f].cname);
      name_helpers(t->fields[f].type, base, true);
      free(base);
    }
  }
  if (!name_tops(g))
    return false;
  for (size_t i = 0; i < g->root_count; i++)
    if (!gen_check_key(&g->roots[i]))
      return false;
  return true;
}
