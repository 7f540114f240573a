/*
 * sr-compat - the configuration file (see config_file.h).
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config_file.h"
#include "config_yaml.h"
#include "git.h"
#include "lint.h"
#include "util.h"

/* The names looked for at the top of the repository.  One of them at most:
 * with two, which one holds the rules would be a guess. */
static const char *const default_names[] = {"sr-compat.json", ".sr-compat.yaml",
                                            ".sr-compat.yml", NULL};

/* "A", "A and B", "A, B and C": the @count names of @found. */
static char *name_list(char *const *found, size_t count) {
  char *list = sc_xstrdup(found[0]);
  for (size_t i = 1; i < count; i++) {
    char *longer = sc_xasprintf("%s%s%s", list, i + 1 < count ? ", " : " and ",
                                found[i]);
    free(list);
    list = longer;
  }
  return list;
}

kavro_err_t sc_config_default(const char *cwd, char **pathp,
                              kavro_error_t *error) {
  char *top = sc_git_toplevel(cwd, NULL);
  char *found[sizeof(default_names) / sizeof(default_names[0])];
  size_t count = 0;
  for (size_t i = 0; default_names[i]; i++) {
    char *path = sc_path_join(top ? top : cwd, default_names[i]);
    if (access(path, F_OK) == 0)
      found[count++] = sc_path_display(cwd, path);
    free(path);
  }
  free(top);
  *pathp = count == 1 ? found[0] : NULL;
  if (count <= 1)
    return KAVRO_OK;
  char *list = name_list(found, count);
  kavro_err_t err = sc_fail(error, KAVRO_ERR_INVALID_ARG, NULL,
                            "more than one configuration file: %s; keep "
                            "one (or choose one with --config)", list);
  free(list);
  for (size_t i = 0; i < count; i++)
    free(found[i]);
  return err;
}

void sc_config_destroy(sc_config_t *config) {
  if (!config)
    return;
  for (size_t i = 0; i < config->rule_count; i++) {
    sc_ignore_rule_t *r = &config->rules[i];
    free(r->kind);
    free(r->path);
    free(r->subject);
    free(r->reason);
  }
  free(config->rules);
  free(config->path);
  free(config->base);
  free(config);
}

/* One reading of a configuration file into its sc_config_t. */
typedef struct loader_s {
  sc_config_t *config;
  json_t *positions;    /* YAML: JSON pointer -> [line, column]; JSON: NULL */
  const char *object;   /* what the format calls an object ... */
  const char *array;    /* ... and an array */
  kavro_error_t *error;
} loader_t;

/* An error in the configuration at JSON pointer @pointer, at its line and
 * column when the format gives them. */
static kavro_err_t bad(const loader_t *l, const char *pointer, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));
static kavro_err_t bad(const loader_t *l, const char *pointer, const char *fmt,
                       ...) {
  if (!l->error)
    return KAVRO_ERR_INVALID_ARG;
  char text[KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  sc_fail(l->error, KAVRO_ERR_INVALID_ARG, l->config->path, "%s", text);
  snprintf(l->error->path, sizeof(l->error->path), "%s", pointer);
  json_t *at = json_object_get(l->positions, pointer);
  if (at) {
    l->error->line = (int)json_integer_value(json_array_get(at, 0));
    l->error->column = (int)json_integer_value(json_array_get(at, 1));
  }
  return KAVRO_ERR_INVALID_ARG;
}

/* Is @kind one a finding can have: an incompatibility kind or a lint rule? */
static bool known_kind(const char *kind) {
  for (int k = KAVRO_INCOMPAT_NAME_MISMATCH; k <= KAVRO_INCOMPAT_MISSING_UNION_BRANCH;
       k++)
    if (strcmp(kind, kavro_incompat_kind_name((kavro_incompat_kind_t)k)) == 0)
      return true;
  return sc_lint_rule_find(kind) >= 0;
}

/* The string member @key of rule @index into @out; absent leaves NULL. */
static kavro_err_t rule_string(const loader_t *l, json_t *rule, size_t index,
                               const char *key, char **out) {
  json_t *value = json_object_get(rule, key);
  if (!value)
    return KAVRO_OK;
  char pointer[64];
  snprintf(pointer, sizeof(pointer), "/ignore/%zu/%s", index, key);
  if (!json_is_string(value) || json_string_length(value) == 0)
    return bad(l, pointer, "must be a non-empty string");
  *out = sc_xstrdup(json_string_value(value));
  return KAVRO_OK;
}

/* Every member of @object at @pointer one of @allowed (a NULL-terminated
 * list, shown in the error as @shown)? */
static kavro_err_t known_members(const loader_t *l, json_t *object,
                                 const char *pointer,
                                 const char *const *allowed, const char *shown) {
  const char *key;
  json_t *value;
  json_object_foreach(object, key, value) {
    if (!sc_str_in(key, allowed)) {
      char *member = sc_pointer_append(pointer, key);
      kavro_err_t err = bad(l, member, "unknown member \"%s\" (%s)", key, shown);
      free(member);
      return err;
    }
  }
  return KAVRO_OK;
}

static kavro_err_t load_rule(const loader_t *l, json_t *rule, size_t index) {
  static const char *const keys[] = {"kind", "path", "subject", "reason", NULL};
  char pointer[64];
  snprintf(pointer, sizeof(pointer), "/ignore/%zu", index);
  if (!json_is_object(rule))
    return bad(l, pointer, "an ignore rule is %s with \"kind\", \"path\", "
               "\"subject\" and \"reason\"", l->object);
  kavro_err_t err = known_members(l, rule, pointer, keys,
                                  "kind, path, subject, reason");
  sc_ignore_rule_t *r = &l->config->rules[index];
  for (size_t k = 0; keys[k] && err == KAVRO_OK; k++) {
    char **field = k == 0 ? &r->kind : k == 1 ? &r->path
                   : k == 2 ? &r->subject : &r->reason;
    err = rule_string(l, rule, index, keys[k], field);
  }
  if (err != KAVRO_OK)
    return err;
  if (!r->kind && !r->path && !r->subject)
    return bad(l, pointer, "a rule needs \"kind\", \"path\" or \"subject\": "
               "this one would ignore every finding");
  if (r->kind && !known_kind(r->kind)) {
    snprintf(pointer, sizeof(pointer), "/ignore/%zu/kind", index);
    err = bad(l, pointer, "unknown kind \"%s\": an incompatibility kind "
              "(TYPE_MISMATCH, ...) or a lint rule id", r->kind);
  }
  return err;
}

static kavro_err_t load_config(const loader_t *l, json_t *root) {
  static const char *const keys[] = {"ignore", NULL};
  if (!json_is_object(root))
    return bad(l, "", "must be %s", l->object);
  kavro_err_t err = known_members(l, root, "", keys, "ignore");
  if (err != KAVRO_OK)
    return err;
  json_t *rules = json_object_get(root, "ignore");
  if (!rules)
    return KAVRO_OK;
  if (!json_is_array(rules))
    return bad(l, "/ignore", "must be %s of rules", l->array);
  sc_config_t *config = l->config;
  config->rule_count = json_array_size(rules);
  config->rules = sc_xcalloc(config->rule_count + 1, sizeof(*config->rules));
  for (size_t i = 0; i < config->rule_count && err == KAVRO_OK; i++)
    err = load_rule(l, json_array_get(rules, i), i);
  return err;
}

/* Is @path a YAML file by its name (.yaml, .yml)?  Anything else is read
 * as JSON, as --config FILE always was. */
static bool yaml_named(const char *path) {
  size_t n = strlen(path);
  return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
         (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

/* The value of the JSON file @path holding @text. */
static json_t *parse_json(const char *path, const char *text, size_t length,
                          kavro_error_t *error) {
  json_error_t jerr;
  json_t *root = json_loadb(text, length, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    sc_fail(error, KAVRO_ERR_JSON, path, "invalid JSON: %s", jerr.text);
    if (error) {
      error->line = jerr.line;
      error->column = jerr.column;
    }
  }
  return root;
}

sc_config_t *sc_config_load(const char *path, kavro_error_t *error) {
  char *text;
  size_t length;
  if (sc_read_file(path, &text, &length, error) != KAVRO_OK)
    return NULL;
  char *real = sc_realpath(path, error);
  if (!real) {
    free(text);
    return NULL;
  }
  sc_config_t *config = sc_xcalloc(1, sizeof(*config));
  config->path = sc_xstrdup(path);
  config->base = sc_path_dirname(real);
  free(real);
  loader_t l = {config, NULL, "a JSON object", "an array", error};
  json_t *root;
  if (yaml_named(path)) {
    /* One model: the YAML becomes the JSON file's value, checked below. */
    root = sc_yaml_load(path, text, length, &l.positions, error);
    l.object = "a mapping";
    l.array = "a sequence";
  } else {
    root = parse_json(path, text, length, error);
  }
  free(text);
  kavro_err_t err = root ? load_config(&l, root)
                         : error ? error->code : KAVRO_ERR_INVALID_ARG;
  json_decref(root);
  json_decref(l.positions);
  if (err != KAVRO_OK) {
    sc_config_destroy(config);
    return NULL;
  }
  return config;
}

/* Does the glob @pattern match @path: the path itself, or a directory
 * above it ("avro/legacy" and "avro/legacy/" match avro/legacy/a.avsc)? */
static bool path_matches(const char *pattern, const char *path) {
  if (fnmatch(pattern, path, 0) == 0)
    return true;
  size_t n = strlen(pattern);
  while (n > 0 && pattern[n - 1] == '/')
    n--;
  char *dir = sc_xasprintf("%.*s/*", (int)n, pattern);
  bool inside = fnmatch(dir, path, 0) == 0;
  free(dir);
  return inside;
}

/* Does @rule ignore @f, a finding of @unit whose file is @path? */
static bool rule_matches(const sc_ignore_rule_t *rule, const sc_unit_t *unit,
                         const char *path, const sc_finding_t *f) {
  if (rule->kind && strcmp(rule->kind, f->kind) != 0)
    return false;
  if (rule->path && !path_matches(rule->path, path))
    return false;
  if (rule->subject &&
      (!unit->subject || fnmatch(rule->subject, unit->subject, 0) != 0))
    return false;
  return true;
}

/* The first rule of @config that ignores @f, or -1. */
static long first_rule(const sc_config_t *config, const sc_unit_t *unit,
                       const char *path, const sc_finding_t *f) {
  for (size_t r = 0; r < config->rule_count; r++)
    if (rule_matches(&config->rules[r], unit, path, f))
      return (long)r;
  return -1;
}

static void apply_unit(const sc_config_t *config, sc_unit_t *unit) {
  if (unit->finding_count == 0)
    return;
  /* Paths in the configuration are relative to its own directory, like
   * the catalog's: the same file matches from any working directory. */
  char *inside = unit->real ? sc_path_relative(config->base, unit->real) : NULL;
  const char *path = inside ? inside : unit->file;
  for (size_t i = 0; i < unit->finding_count;) {
    long r = first_rule(config, unit, path, &unit->findings[i]);
    if (r < 0) {
      i++;
      continue;
    }
    char label[32];
    snprintf(label, sizeof(label), "ignore[%ld]", r);
    sc_unit_ignore_finding(unit, i, config->rules[r].reason, label);
  }
  free(inside);
  if (unit->finding_count == 0 && unit->status == SC_STATUS_FAIL &&
      !sc_unit_has_error(unit))
    unit->status = SC_STATUS_PASS;
}

void sc_config_apply(const sc_config_t *config, sc_report_t *report) {
  for (size_t i = 0; i < report->unit_count; i++)
    apply_unit(config, report->units[i]);
}
