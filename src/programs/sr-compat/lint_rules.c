/*
 * sr-compat lint - the rules that read a schema as written (see lint.h).
 *
 * The walk follows the structure the Avro specification gives a schema:
 * unions are arrays, records have fields, arrays have items, maps values.
 * It runs whether or not the schema is valid, so a mistake that also makes
 * the schema invalid (a null default with "null" not first) still gets its
 * fix.  Anything shaped unexpectedly is left to the parser to report.
 */
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "util.h"

const sc_lint_rule_info_t sc_lint_rules[SC_LINT_RULE_COUNT] = {
    [SC_LINT_LOGICAL_TYPE_ON_FIELD] =
        {"logical-type-on-field", true,
         "a logicalType written on the field, where Avro ignores it, instead "
         "of inside its type"},
    [SC_LINT_NULLABLE_WITHOUT_DEFAULT] =
        {"nullable-without-default", true,
         "a nullable union field without \"default\": null"},
    [SC_LINT_NULL_NOT_FIRST] =
        {"null-not-first", true,
         "a nullable union whose default is null but whose first branch is "
         "not \"null\""},
    [SC_LINT_ENUM_WITHOUT_DEFAULT] =
        {"enum-without-default", true,
         "an enum without a default: adding a symbol later breaks old readers"},
    [SC_LINT_UNPORTABLE_NAME] =
        {"unportable-name", true,
         "a field, type or symbol name that Java, C or Python code "
         "generation cannot use as written"},
    [SC_LINT_MISSING_DOC] =
        {"missing-doc", false, "a top-level record without \"doc\""},
    [SC_LINT_DUPLICATE_TYPE] =
        {"duplicate-type", true,
         "the same named type defined in two files instead of referenced"},
    [SC_LINT_SCHEMA_WARNING] =
        {"schema-warning", true,
         "an attribute the parser ignores (such as an invalid logicalType)"},
    [SC_LINT_INVALID_DISABLE] =
        {"invalid-disable", true,
         "a \"" SC_LINT_DISABLE_PROPERTY "\" property that is not a list of "
         "rule ids"},
    [SC_LINT_RULE_MALFORMED] =
        {"rule-malformed", true,
         "--rule-set: a rule set or rule the registry refuses or drops (no "
         "name or type, a duplicate name, a member of the wrong type or "
         "unknown, a mode its list does not allow)"},
    [SC_LINT_RULE_UNKNOWN_KIND] =
        {"rule-unknown-kind", true,
         "--rule-set: a rule kind other than CONDITION and TRANSFORM"},
    [SC_LINT_RULE_UNKNOWN_MODE] =
        {"rule-unknown-mode", true,
         "--rule-set: a rule mode other than WRITE, READ, WRITEREAD, "
         "UPGRADE, DOWNGRADE and UPDOWN"},
    [SC_LINT_RULE_NO_EXECUTOR] =
        {"rule-no-executor", true,
         "--rule-set: a rule type kavro has no executor for (built in: CEL, "
         "CEL_FIELD, ENCRYPT), or an encoding rule other than "
         "ENCRYPT_PAYLOAD"},
    [SC_LINT_RULE_CEL_SYNTAX] =
        {"rule-cel-syntax", true,
         "--rule-set: a CEL or CEL_FIELD expression (or guard) that does not "
         "parse or uses a variable the rule does not have"},
    [SC_LINT_RULE_CEL_UNSUPPORTED] =
        {"rule-cel-unsupported", true,
         "--rule-set: a CEL or CEL_FIELD rule kavro's CEL engine refuses"},
    [SC_LINT_RULE_UNKNOWN_TAG] =
        {"rule-unknown-tag", true,
         "--rule-set: a rule tag that no field of the schema has"},
    [SC_LINT_RULE_UNKNOWN_ACTION] =
        {"rule-unknown-action", true,
         "--rule-set: an onSuccess or onFailure action other than NONE, "
         "ERROR and DLQ"},
    [SC_LINT_RULE_BAD_PARAM] =
        {"rule-bad-param", true,
         "--rule-set: a parameter a built-in executor cannot run with (an "
         "ENCRYPT rule without encrypt.kek.name, an unknown "
         "encrypt.dek.algorithm, a bad encrypt.dek.expiry.days)"},
};

int sc_lint_rule_find(const char *id) {
  for (int i = 0; i < SC_LINT_RULE_COUNT; i++)
    if (strcmp(id, sc_lint_rules[i].id) == 0)
      return i;
  return -1;
}

void sc_lint_hit(sc_lint_hits_t *hits, sc_lint_rule_t rule, char *pointer,
                 char *message, char *fix) {
  SC_GROW(hits->items, hits->count, hits->capacity);
  hits->items[hits->count++] = (sc_lint_hit_t){rule, pointer, message, fix};
}

void sc_lint_hits_clear(sc_lint_hits_t *hits) {
  for (size_t i = 0; i < hits->count; i++) {
    free(hits->items[i].pointer);
    free(hits->items[i].message);
    free(hits->items[i].fix);
  }
  free(hits->items);
  *hits = (sc_lint_hits_t){0};
}

void sc_lint_defs_clear(sc_lint_defs_t *defs) {
  for (size_t i = 0; i < defs->count; i++) {
    free(defs->items[i].fullname);
    free(defs->items[i].pointer);
  }
  free(defs->items);
  *defs = (sc_lint_defs_t){0};
}

/* ---- silencing ---------------------------------------------------------- */

static bool disable_lists(json_t *obj, const char *id) {
  json_t *list = json_is_object(obj)
                     ? json_object_get(obj, SC_LINT_DISABLE_PROPERTY) : NULL;
  size_t i;
  json_t *item;
  json_array_foreach(list, i, item) {
    if (json_is_string(item) && strcmp(json_string_value(item), id) == 0)
      return true;
  }
  return false;
}

/* The next reference token of @pointer (RFC 6901, "~1" is '/', "~0" '~')
 * into @token; returns the rest of the pointer. */
static const char *next_token(const char *pointer, char *token, size_t size) {
  size_t n = 0;
  const char *p = pointer + 1;
  for (; *p && *p != '/'; p++) {
    char c = *p;
    if (c == '~' && (p[1] == '0' || p[1] == '1'))
      c = *++p == '0' ? '~' : '/';
    if (n + 1 < size)
      token[n++] = c;
  }
  token[n] = '\0';
  return p;
}

bool sc_lint_disabled_at(json_t *root, const char *pointer, const char *id) {
  json_t *node = root;
  char token[256];
  while (node) {
    if (disable_lists(node, id))
      return true;
    if (*pointer != '/')
      return false;
    pointer = next_token(pointer, token, sizeof(token));
    if (json_is_object(node)) {
      node = json_object_get(node, token);
    } else if (json_is_array(node)) {
      char *end;
      unsigned long index = strtoul(token, &end, 10);
      node = *token && !*end ? json_array_get(node, index) : NULL;
    } else {
      node = NULL;
    }
  }
  return false;
}

/* ---- the walk ----------------------------------------------------------- */

/* Deeper than this the parser has refused the schema anyway. */
#define MAX_WALK_DEPTH 256

typedef struct walker_s {
  sc_lint_hits_t *hits;
  sc_lint_defs_t *defs;
} walker_t;

static void walk_type(walker_t *w, json_t *type, const char *pointer,
                      const char *space, unsigned depth);

static const char *string_of(json_t *obj, const char *key) {
  json_t *value = json_object_get(obj, key);
  return json_is_string(value) ? json_string_value(value) : NULL;
}

static void check_disable_property(walker_t *w, json_t *obj,
                                   const char *pointer) {
  json_t *list = json_object_get(obj, SC_LINT_DISABLE_PROPERTY);
  if (!list)
    return;
  const char *problem = NULL;
  const char *unknown = NULL;
  size_t i;
  json_t *item;
  if (!json_is_array(list))
    problem = "is not an array";
  json_array_foreach(list, i, item) {
    if (!json_is_string(item))
      problem = "holds something other than a string";
    else if (!unknown && sc_lint_rule_find(json_string_value(item)) < 0)
      unknown = json_string_value(item);
  }
  if (!problem && !unknown)
    return;
  char *message = problem
      ? sc_xasprintf("\"%s\" %s", SC_LINT_DISABLE_PROPERTY, problem)
      : sc_xasprintf("\"%s\" names \"%s\", which is not a lint rule",
                     SC_LINT_DISABLE_PROPERTY, unknown);
  sc_lint_hit(w->hits, SC_LINT_INVALID_DISABLE,
              sc_xasprintf("%s/%s", pointer, SC_LINT_DISABLE_PROPERTY), message,
              sc_xstrdup("make it a list of rule ids, such as "
                         "[\"enum-without-default\"] (sr-compat lint --help "
                         "lists them)"));
}

/* A portable name close to @name: without its leading underscores, and
 * with a suffix when what is left is reserved or empty. */
static char *suggest_name(const char *name) {
  while (*name == '_')
    name++;
  char *problem = *name ? sc_lint_name_problem(name) : NULL;
  char *suggestion = *name && !problem ? sc_xstrdup(name)
                                       : sc_xasprintf("%s_value", name);
  free(problem);
  return suggestion;
}

/* How to rename something called @name, by what it is. */
static char *rename_fix(const char *what, const char *name) {
  if (!sc_lint_valid_name(name))
    return sc_xasprintf("rename the %s using only A-Z, a-z, 0-9 and _, not "
                        "starting with a digit", what);
  if (strcmp(what, "field") == 0) {
    char *suggestion = suggest_name(name);
    char *fix = sc_xasprintf("rename the field (for example `%s`) and list "
                             "`%s` in its \"aliases\" so readers still match "
                             "old data", suggestion, name);
    free(suggestion);
    return fix;
  }
  if (strcmp(what, "type") == 0)
    return sc_xstrdup("rename the type and list its old full name in its "
                      "\"aliases\"");
  if (strcmp(what, "namespace part") == 0)
    return sc_xstrdup("choose a namespace without it");
  return sc_xstrdup("rename the symbol before the schema is published: "
                    "symbols have no aliases, so a later rename breaks "
                    "readers");
}

static void check_name(walker_t *w, const char *what, const char *name,
                       const char *pointer) {
  char *problem = sc_lint_name_problem(name);
  if (!problem)
    return;
  sc_lint_hit(w->hits, SC_LINT_UNPORTABLE_NAME, sc_xstrdup(pointer),
              sc_xasprintf("%s `%s` %s", what, name, problem),
              rename_fix(what, name));
  free(problem);
}

/* Check each dot-separated part of @dotted. */
static void check_dotted(walker_t *w, const char *what, const char *dotted,
                         const char *pointer) {
  char *copy = sc_xstrdup(dotted);
  for (char *part = copy, *dot; part; part = dot ? dot + 1 : NULL) {
    dot = strchr(part, '.');
    if (dot)
      *dot = '\0';
    check_name(w, what, part, pointer);
  }
  free(copy);
}

/* Record a named type's definition; returns the namespace its nested types
 * inherit (a new string, NULL for the null namespace).  Avro 1.11: a dotted
 * name is a full name; otherwise "namespace" when present (empty: the null
 * namespace); otherwise the enclosing namespace. */
static char *define_named(walker_t *w, json_t *obj, const char *pointer,
                          const char *enclosing) {
  const char *name = string_of(obj, "name");
  const char *given = string_of(obj, "namespace");
  if (!name)
    return enclosing ? sc_xstrdup(enclosing) : NULL;
  char *at = sc_xasprintf("%s/name", pointer);
  const char *dot = strrchr(name, '.');
  char *space;
  if (dot) {
    space = sc_xasprintf("%.*s", (int)(dot - name), name);
    check_dotted(w, "namespace part", space, at);
    check_name(w, "type", dot + 1, at);
  } else {
    if (given) {
      char *ns_at = sc_xasprintf("%s/namespace", pointer);
      if (*given)
        check_dotted(w, "namespace part", given, ns_at);
      free(ns_at);
    }
    const char *s = given ? given : enclosing;
    space = s && *s ? sc_xstrdup(s) : NULL;
    check_name(w, "type", name, at);
  }
  free(at);
  const char *base = dot ? dot + 1 : name;
  SC_GROW(w->defs->items, w->defs->count, w->defs->capacity);
  w->defs->items[w->defs->count++] = (sc_lint_def_t){
      space ? sc_xasprintf("%s.%s", space, base) : sc_xstrdup(base),
      sc_xstrdup(pointer)};
  return space;
}

/* The index of the null branch of union @u, or -1. */
static long null_branch(json_t *u) {
  size_t i;
  json_t *branch;
  json_array_foreach(u, i, branch) {
    const char *name = json_is_object(branch) ? string_of(branch, "type")
                                              : json_string_value(branch);
    if (name && strcmp(name, "null") == 0)
      return (long)i;
  }
  return -1;
}

/* `"type": {"type": "long", "logicalType": "timestamp-millis"}` when the
 * field's type is a primitive named by a string, else general advice. */
static char *logical_type_fix(json_t *field) {
  const char *type = string_of(field, "type");
  const char *logical = string_of(field, "logicalType");
  if (type && logical)
    return sc_xasprintf("write \"type\": {\"type\": \"%s\", \"logicalType\": "
                        "\"%s\"} and drop the field's \"logicalType\"",
                        type, logical);
  return sc_xstrdup("move \"logicalType\" (and its parameters) into the "
                    "type it annotates");
}

static void check_field_rules(walker_t *w, json_t *field, const char *name,
                              const char *pointer) {
  if (json_object_get(field, "logicalType")) {
    const char *type = string_of(field, "type");
    sc_lint_hit(w->hits, SC_LINT_LOGICAL_TYPE_ON_FIELD,
                sc_xasprintf("%s/logicalType", pointer),
                type ? sc_xasprintf("field `%s` has \"logicalType\" on the "
                                    "field, where Avro ignores it: the value "
                                    "stays a plain %s", name, type)
                     : sc_xasprintf("field `%s` has \"logicalType\" on the "
                                    "field, where Avro ignores it", name),
                logical_type_fix(field));
  }
  json_t *type = json_object_get(field, "type");
  long null_at = json_is_array(type) ? null_branch(type) : -1;
  if (null_at < 0)
    return;
  json_t *def = json_object_get(field, "default");
  if (!def)
    sc_lint_hit(w->hits, SC_LINT_NULLABLE_WITHOUT_DEFAULT, sc_xstrdup(pointer),
                sc_xasprintf("nullable field `%s` has no default, so it can "
                             "never be added or removed compatibly", name),
                sc_xstrdup(null_at == 0
                               ? "add \"default\": null"
                               : "add \"default\": null and make \"null\" the "
                                 "first branch of the union"));
  else if (json_is_null(def) && null_at != 0)
    sc_lint_hit(w->hits, SC_LINT_NULL_NOT_FIRST,
                sc_xasprintf("%s/default", pointer),
                sc_xasprintf("field `%s` defaults to null but \"null\" is "
                             "branch %ld of its union: Avro takes a union's "
                             "default from the first branch", name, null_at),
                sc_xstrdup("make \"null\" the first branch of the union"));
}

static void walk_fields(walker_t *w, json_t *record, const char *pointer,
                        const char *space, unsigned depth) {
  size_t i;
  json_t *field;
  json_array_foreach(json_object_get(record, "fields"), i, field) {
    if (!json_is_object(field))
      continue;
    char *at = sc_xasprintf("%s/fields/%zu", pointer, i);
    check_disable_property(w, field, at);
    const char *name = string_of(field, "name");
    if (name) {
      char *name_at = sc_xasprintf("%s/name", at);
      check_name(w, "field", name, name_at);
      free(name_at);
      check_field_rules(w, field, name, at);
    }
    char *type_at = sc_xasprintf("%s/type", at);
    walk_type(w, json_object_get(field, "type"), type_at, space, depth + 1);
    free(type_at);
    free(at);
  }
}

static void walk_record(walker_t *w, json_t *record, const char *pointer,
                        const char *enclosing, unsigned depth) {
  char *space = define_named(w, record, pointer, enclosing);
  const char *doc = string_of(record, "doc");
  if (depth == 0 && (!doc || !*doc))
    sc_lint_hit(w->hits, SC_LINT_MISSING_DOC,
                sc_xasprintf("%s/name", pointer),
                sc_xasprintf("record `%s` has no \"doc\"",
                             string_of(record, "name") ? string_of(record, "name")
                                                       : "?"),
                sc_xstrdup("add \"doc\": one sentence on what one record "
                           "means and who produces it"));
  walk_fields(w, record, pointer, space, depth);
  free(space);
}

/* A symbol readers can fall back to, if the enum has an obvious one. */
static const char *fallback_symbol(json_t *symbols) {
  static const char *const usual[] = {"UNKNOWN", "UNSPECIFIED", "OTHER", NULL};
  size_t i;
  json_t *symbol;
  json_array_foreach(symbols, i, symbol) {
    if (json_is_string(symbol) && sc_str_in(json_string_value(symbol), usual))
      return json_string_value(symbol);
  }
  return NULL;
}

static void walk_enum(walker_t *w, json_t *en, const char *pointer,
                      const char *enclosing) {
  free(define_named(w, en, pointer, enclosing));
  json_t *symbols = json_object_get(en, "symbols");
  size_t i;
  json_t *symbol;
  json_array_foreach(symbols, i, symbol) {
    if (!json_is_string(symbol))
      continue;
    char *at = sc_xasprintf("%s/symbols/%zu", pointer, i);
    check_name(w, "enum symbol", json_string_value(symbol), at);
    free(at);
  }
  if (json_object_get(en, "default"))
    return;
  const char *fallback = fallback_symbol(symbols);
  sc_lint_hit(w->hits, SC_LINT_ENUM_WITHOUT_DEFAULT,
              sc_xasprintf("%s/name", pointer),
              sc_xasprintf("enum `%s` has no default: readers that do not "
                           "know a symbol added later fail on it",
                           string_of(en, "name") ? string_of(en, "name") : "?"),
              fallback ? sc_xasprintf("add \"default\": \"%s\"", fallback)
                       : sc_xstrdup("add a symbol such as \"UNKNOWN\" and "
                                    "\"default\": \"UNKNOWN\""));
}

static void walk_object(walker_t *w, json_t *obj, const char *pointer,
                        const char *space, unsigned depth) {
  check_disable_property(w, obj, pointer);
  const char *type = string_of(obj, "type");
  char *at = NULL;
  if (!type)
    return;
  if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0) {
    walk_record(w, obj, pointer, space, depth);
  } else if (strcmp(type, "enum") == 0) {
    walk_enum(w, obj, pointer, space);
  } else if (strcmp(type, "fixed") == 0) {
    free(define_named(w, obj, pointer, space));
  } else if (strcmp(type, "array") == 0) {
    at = sc_xasprintf("%s/items", pointer);
    walk_type(w, json_object_get(obj, "items"), at, space, depth + 1);
  } else if (strcmp(type, "map") == 0) {
    at = sc_xasprintf("%s/values", pointer);
    walk_type(w, json_object_get(obj, "values"), at, space, depth + 1);
  }
  free(at);
}

static void walk_type(walker_t *w, json_t *type, const char *pointer,
                      const char *space, unsigned depth) {
  if (!type || depth > MAX_WALK_DEPTH)
    return;
  if (json_is_object(type)) {
    walk_object(w, type, pointer, space, depth);
  } else if (json_is_array(type)) {
    size_t i;
    json_t *branch;
    json_array_foreach(type, i, branch) {
      char *at = sc_xasprintf("%s/%zu", pointer, i);
      walk_type(w, branch, at, space, depth + 1);
      free(at);
    }
  }
}

void sc_lint_walk(json_t *root, sc_lint_hits_t *hits, sc_lint_defs_t *defs) {
  walker_t w = {hits, defs};
  walk_type(&w, root, "", NULL, 0);
}
