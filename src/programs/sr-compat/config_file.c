/*
 * sr-compat - the configuration file (see config.h).
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config_file.h"
#include "git.h"
#include "lint.h"
#include "util.h"

char *sc_config_default(const char *cwd) {
  char *top = sc_git_toplevel(cwd, NULL);
  char *path = sc_path_join(top ? top : cwd, SC_CONFIG_FILE);
  free(top);
  if (access(path, F_OK) != 0) {
    free(path);
    return NULL;
  }
  char *shown = sc_path_display(cwd, path);
  free(path);
  return shown;
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

/* An error in the configuration at JSON pointer @pointer. */
static kavro_err_t bad(const sc_config_t *config, const char *pointer,
                       kavro_error_t *error, const char *text) {
  sc_fail(error, KAVRO_ERR_INVALID_ARG, config->path, "%s", text);
  if (error)
    snprintf(error->path, sizeof(error->path), "%s", pointer);
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
static kavro_err_t rule_string(const sc_config_t *config, json_t *rule,
                               size_t index, const char *key, char **out,
                               kavro_error_t *error) {
  json_t *value = json_object_get(rule, key);
  if (!value)
    return KAVRO_OK;
  char pointer[64];
  snprintf(pointer, sizeof(pointer), "/ignore/%zu/%s", index, key);
  if (!json_is_string(value) || json_string_length(value) == 0)
    return bad(config, pointer, error, "must be a non-empty string");
  *out = sc_xstrdup(json_string_value(value));
  return KAVRO_OK;
}

static kavro_err_t load_rule(sc_config_t *config, json_t *rule, size_t index,
                             kavro_error_t *error) {
  static const char *const keys[] = {"kind", "path", "subject", "reason", NULL};
  char pointer[64];
  snprintf(pointer, sizeof(pointer), "/ignore/%zu", index);
  if (!json_is_object(rule))
    return bad(config, pointer, error,
               "an ignore rule is an object with \"kind\", \"path\", "
               "\"subject\" and \"reason\"");
  const char *key;
  json_t *value;
  json_object_foreach(rule, key, value) {
    if (!sc_str_in(key, keys)) {
      char *text = sc_xasprintf("unknown member \"%s\" (kind, path, subject, "
                                "reason)", key);
      kavro_err_t err = bad(config, pointer, error, text);
      free(text);
      return err;
    }
  }
  sc_ignore_rule_t *r = &config->rules[index];
  kavro_err_t err = KAVRO_OK;
  for (size_t k = 0; keys[k] && err == KAVRO_OK; k++) {
    char **field = k == 0 ? &r->kind : k == 1 ? &r->path
                   : k == 2 ? &r->subject : &r->reason;
    err = rule_string(config, rule, index, keys[k], field, error);
  }
  if (err != KAVRO_OK)
    return err;
  if (!r->kind && !r->path && !r->subject)
    return bad(config, pointer, error,
               "a rule needs \"kind\", \"path\" or \"subject\": this one "
               "would ignore every finding");
  if (r->kind && !known_kind(r->kind)) {
    char *text = sc_xasprintf("unknown kind \"%s\": an incompatibility kind "
                              "(TYPE_MISMATCH, ...) or a lint rule id", r->kind);
    snprintf(pointer, sizeof(pointer), "/ignore/%zu/kind", index);
    err = bad(config, pointer, error, text);
    free(text);
  }
  return err;
}

static kavro_err_t load_config(sc_config_t *config, json_t *root,
                               kavro_error_t *error) {
  if (!json_is_object(root))
    return bad(config, "", error, "must be a JSON object");
  const char *key;
  json_t *value;
  json_object_foreach(root, key, value) {
    if (strcmp(key, "ignore") != 0) {
      char *text = sc_xasprintf("unknown member \"%s\" (ignore)", key);
      kavro_err_t err = bad(config, "", error, text);
      free(text);
      return err;
    }
  }
  json_t *rules = json_object_get(root, "ignore");
  if (!rules)
    return KAVRO_OK;
  if (!json_is_array(rules))
    return bad(config, "/ignore", error, "must be an array of rules");
  config->rule_count = json_array_size(rules);
  config->rules = sc_xcalloc(config->rule_count + 1, sizeof(*config->rules));
  for (size_t i = 0; i < config->rule_count; i++) {
    kavro_err_t err = load_rule(config, json_array_get(rules, i), i, error);
    if (err != KAVRO_OK)
      return err;
  }
  return KAVRO_OK;
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
  json_error_t jerr;
  json_t *root = json_loadb(text, length, JSON_REJECT_DUPLICATES, &jerr);
  free(text);
  kavro_err_t err;
  if (!root) {
    err = sc_fail(error, KAVRO_ERR_JSON, path, "invalid JSON: %s", jerr.text);
    if (error) {
      error->line = jerr.line;
      error->column = jerr.column;
    }
  } else {
    err = load_config(config, root, error);
    json_decref(root);
  }
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
