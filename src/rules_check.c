/*
 * kavro - whether a schema's rule set lets data be written or read by a
 * build without rule executors (see rules_int.h).
 */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "common_error_int.h"
#include "rules_int.h"

static kavro_err_t malformed(const char *what, const char *why,
                             kavro_error_t *error) {
  kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
               "the rule set of %s is malformed: %s", what, why);
  kv_error_set_source(error, what);
  return KAVRO_ERR_BAD_RESPONSE;
}

/* A string member, or NULL when absent; @bad set when it is no string. */
static const char *member(const json_t *rule, const char *name, bool *bad) {
  const json_t *v = json_object_get(rule, name);
  if (v && !json_is_string(v) && !json_is_null(v))
    *bad = true;
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Whether a rule of @mode applies to @dir; -1 for an unknown mode. */
static int mode_applies(const char *mode, kv_rule_dir_t dir) {
  static const char *const known[] = {"UPGRADE", "DOWNGRADE", "UPDOWN", NULL};
  if (strcmp(mode, "WRITEREAD") == 0)
    return 1;
  if (strcmp(mode, dir == KV_RULE_WRITE ? "WRITE" : "READ") == 0)
    return 1;
  if (strcmp(mode, dir == KV_RULE_WRITE ? "READ" : "WRITE") == 0)
    return 0;
  for (int i = 0; known[i]; i++)
    if (strcmp(mode, known[i]) == 0)
      return 0;
  return -1;
}

/* Whether the onFailure action of a rule of @mode passes for @dir: Java's
 * getRuleActionName() takes one side of "A,B" for WRITEREAD; an unset
 * action is ERROR. */
static bool action_passes(const char *action, const char *mode,
                          kv_rule_dir_t dir) {
  if (!action)
    return false;
  const char *comma = strchr(action, ',');
  if (comma && strcmp(mode, "WRITEREAD") == 0) {
    if (dir == KV_RULE_WRITE)
      return (size_t)(comma - action) == 4 && strncmp(action, "NONE", 4) == 0;
    action = comma + 1;
  }
  return strcmp(action, "NONE") == 0;
}

/* Judge one rule.  KAVRO_OK when it is skipped or its action passes. */
static kavro_err_t judge_rule(const json_t *rule, kv_rule_dir_t dir,
                              const char *what, kavro_error_t *error) {
  if (!json_is_object(rule))
    return malformed(what, "a rule is not an object", error);
  bool bad = false;
  const char *name = member(rule, "name", &bad);
  const char *kind = member(rule, "kind", &bad);
  const char *mode = member(rule, "mode", &bad);
  const char *type = member(rule, "type", &bad);
  const char *on_failure = member(rule, "onFailure", &bad);
  const json_t *disabled = json_object_get(rule, "disabled");
  if (bad || (disabled && !json_is_boolean(disabled) && !json_is_null(disabled)))
    return malformed(what, "a rule member has the wrong type", error);
  if (json_is_true(disabled))
    return KAVRO_OK;
  /* A rule's defaults, as Java's Rule has them. */
  mode = mode ? mode : "WRITEREAD";
  kind = kind ? kind : "TRANSFORM";
  int applies = mode_applies(mode, dir);
  if (applies < 0)
    return malformed(what, "a rule has an unknown mode", error);
  if (!applies || action_passes(on_failure, mode, dir))
    return KAVRO_OK;
  kv_error_set(error, KAVRO_ERR_UNSUPPORTED,
               "rule \"%.100s\" (%.32s, %.32s) cannot be executed: no "
               "executor for type %.32s",
               name ? name : "", kind, type ? type : "",
               type ? type : "");
  kv_error_set_source(error, what);
  return KAVRO_ERR_UNSUPPORTED;
}

/* Judge the rules of @rule_set's member @list, in order or in reverse. */
static kavro_err_t judge_list(const json_t *rule_set, const char *list,
                              kv_rule_dir_t dir, const char *what,
                              kavro_error_t *error) {
  const json_t *rules = json_object_get(rule_set, list);
  if (!rules || json_is_null(rules))
    return KAVRO_OK;
  if (!json_is_array(rules))
    return malformed(what, "a rule list is not an array", error);
  size_t n = json_array_size(rules);
  for (size_t i = 0; i < n; i++) {
    size_t at = dir == KV_RULE_READ ? n - 1 - i : i;
    kavro_err_t err = judge_rule(json_array_get(rules, at), dir, what, error);
    if (err != KAVRO_OK)
      return err;
  }
  return KAVRO_OK;
}

kavro_err_t kv_rules_check(const char *rule_set, kv_rule_dir_t dir,
                           const char *what, kavro_error_t *error) {
  if (!rule_set)
    return KAVRO_OK;
  json_t *root = json_loads(rule_set, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(root)) {
    json_decref(root);
    return malformed(what, "not a JSON object", error);
  }
  /* Java writes the domain rules, then encodes; it decodes first, then
   * reads the domain rules. */
  const char *first = dir == KV_RULE_WRITE ? "domainRules" : "encodingRules";
  const char *second = dir == KV_RULE_WRITE ? "encodingRules" : "domainRules";
  kavro_err_t err = judge_list(root, first, dir, what, error);
  if (err == KAVRO_OK)
    err = judge_list(root, second, dir, what, error);
  json_decref(root);
  return err;
}
