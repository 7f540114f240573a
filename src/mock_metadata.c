/*
 * kavro - the mock registry's data contracts: schema metadata and rule
 * sets as the Schema Registry reads, validates, normalizes and merges them.
 *
 * Everything here is JSON in and JSON out (jansson); the store keeps what
 * these functions return and never looks inside but through them.
 *
 * Normal forms, so that two registrations that mean the same contract get
 * the same schema id and every answer shows the contract one way:
 *  - metadata: {"tags": {path: [sorted, unique]}, "properties": {k: v},
 *    "sensitive": [sorted, unique]}, members that are empty left out (the
 *    registry keeps them sorted: SortedMap and SortedSet);
 *  - a rule: "name", "kind" (TRANSFORM when absent), "mode" (WRITEREAD when
 *    absent), "type", "disabled" always; "doc", "tags" (sorted, unique),
 *    "params", "expr", "onSuccess", "onFailure" when given;
 *  - a rule set: "migrationRules", "domainRules", "encodingRules" when not
 *    empty, "enableAt" when given.
 * Keys are sorted when the store writes a contract as text (JSON_SORT_KEYS).
 */
#include <stdlib.h>
#include <string.h>

#include "mock_int.h"

/* Bounds on what one contract may hold; the request body is bounded too. */
#define MAX_RULES 1000u
#define RULE_NAME_MAX 256u

/* ---- shapes ------------------------------------------------------------ */

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool malformed(kv_reply_t *reply, const char *what) {
  kv_reply_error(reply, 422, "Unrecognized request body: %s", what);
  return false;
}

/* A sorted array of the unique strings of @array (an array of strings, or
 * NULL), or NULL when it holds something else (or on OOM: @oom set). */
static json_t *sorted_strings(const json_t *array, bool *oom) {
  json_t *set = json_object(); /* jansson objects dedupe; dumped sorted */
  json_t *out = json_array();
  size_t i;
  const json_t *item;
  bool ok = set && out;
  json_array_foreach(array, i, item) {
    if (!ok)
      break;
    if (!json_is_string(item) ||
        strlen(json_string_value(item)) != json_string_length(item)) {
      json_decref(set);
      json_decref(out);
      return NULL;
    }
    ok = json_object_set(set, json_string_value(item), json_null()) == 0;
  }
  size_t n = ok ? json_object_size(set) : 0;
  const char **keys = calloc(n + 1, sizeof(*keys));
  ok = ok && keys;
  const char *key;
  json_t *value;
  size_t k = 0;
  json_object_foreach(set, key, value) {
    if (ok)
      keys[k++] = key;
  }
  if (ok && k)
    qsort(keys, k, sizeof(*keys), compare_strings);
  for (size_t j = 0; ok && j < k; j++)
    ok = json_array_append_new(out, json_string(keys[j])) == 0;
  free(keys);
  json_decref(set);
  if (!ok) {
    json_decref(out);
    *oom = true;
    return NULL;
  }
  return out;
}

/* Whether @object is an object whose members are all strings. */
static bool string_map(const json_t *object) {
  if (!json_is_object(object))
    return false;
  const char *key;
  const json_t *value;
  json_object_foreach((json_t *)object, key, value) {
    if (!json_is_string(value) ||
        strlen(json_string_value(value)) != json_string_length(value))
      return false;
  }
  return true;
}

static bool present(const json_t *v) { return v && !json_is_null(v); }

/* Set @name of @out to @value (stolen) unless it is empty. */
static bool set_unless_empty(json_t *out, const char *name, json_t *value) {
  if (!value)
    return false;
  if ((json_is_object(value) && json_object_size(value) == 0) ||
      (json_is_array(value) && json_array_size(value) == 0)) {
    json_decref(value);
    return true;
  }
  return json_object_set_new(out, name, value) == 0;
}

/* ---- metadata ------------------------------------------------------------ */

static json_t *normal_tags(const json_t *tags, bool *oom) {
  json_t *out = json_object();
  const char *path;
  const json_t *list;
  json_object_foreach((json_t *)tags, path, list) {
    if (!out)
      break;
    json_t *sorted = json_is_array(list) ? sorted_strings(list, oom) : NULL;
    if (!sorted || json_object_set_new(out, path, sorted)) {
      json_decref(out);
      return NULL;
    }
  }
  if (!out)
    *oom = true;
  return out;
}

bool kv_contract_read_metadata(const json_t *value, json_t **outp,
                               kv_reply_t *reply) {
  *outp = NULL;
  if (!present(value))
    return true;
  const json_t *tags = json_object_get(value, "tags");
  const json_t *props = json_object_get(value, "properties");
  const json_t *sensitive = json_object_get(value, "sensitive");
  if (!json_is_object(value) || (present(tags) && !json_is_object(tags)) ||
      (present(props) && !string_map(props)) ||
      (present(sensitive) && !json_is_array(sensitive)))
    return malformed(reply, "\"metadata\" must be an object of \"tags\", "
                            "\"properties\" (strings) and \"sensitive\"");
  bool oom = false;
  json_t *out = json_object();
  bool ok = out != NULL;
  if (ok && present(tags)) {
    json_t *t = normal_tags(tags, &oom);
    ok = t && set_unless_empty(out, "tags", t);
  }
  if (ok && present(props))
    ok = set_unless_empty(out, "properties", json_deep_copy(props));
  if (ok && present(sensitive)) {
    json_t *s = sorted_strings(sensitive, &oom);
    ok = s && set_unless_empty(out, "sensitive", s);
  }
  if (!ok) {
    json_decref(out);
    if (oom || !out)
      kv_reply_error(reply, 50001, "Out of memory");
    else
      malformed(reply, "metadata tags must be arrays of strings, sensitive "
                       "an array of strings");
    return false;
  }
  *outp = out;
  return true;
}

/* Members of @a and @b, @b's winning (Metadata.merge() of a map). */
static json_t *merge_maps(const json_t *a, const json_t *b) {
  if (!a || json_object_size(a) == 0)
    return b ? json_deep_copy(b) : NULL;
  json_t *out = json_deep_copy(a);
  if (out && b && json_object_update(out, (json_t *)b)) {
    json_decref(out);
    return NULL;
  }
  return out;
}

static json_t *union_strings(const json_t *a, const json_t *b) {
  json_t *both = json_array();
  if (!both || (a && json_array_extend(both, (json_t *)a)) ||
      (b && json_array_extend(both, (json_t *)b))) {
    json_decref(both);
    return NULL;
  }
  bool oom = false;
  json_t *out = sorted_strings(both, &oom);
  json_decref(both);
  return out;
}

bool kv_metadata_merge(const json_t *old, const json_t *new_, json_t **outp) {
  *outp = NULL;
  if (!old || !new_) {
    const json_t *one = old ? old : new_;
    *outp = one ? json_incref((json_t *)one) : NULL;
    return true;
  }
  json_t *out = json_object();
  bool ok = out != NULL;
  static const char *const maps[] = {"tags", "properties"};
  for (size_t i = 0; ok && i < 2; i++) {
    json_t *m = merge_maps(json_object_get(old, maps[i]),
                           json_object_get(new_, maps[i]));
    ok = !m || set_unless_empty(out, maps[i], m);
  }
  if (ok && (json_object_get(old, "sensitive") || json_object_get(new_, "sensitive"))) {
    json_t *s = union_strings(json_object_get(old, "sensitive"),
                              json_object_get(new_, "sensitive"));
    ok = s && set_unless_empty(out, "sensitive", s);
  }
  if (!ok) {
    json_decref(out);
    return false;
  }
  *outp = out;
  return true;
}

const char *kv_metadata_property(const json_t *metadata, const char *name) {
  return json_string_value(
      json_object_get(json_object_get(metadata, "properties"), name));
}

bool kv_metadata_matches(const json_t *metadata, const json_t *wanted) {
  const char *key;
  const json_t *value;
  json_object_foreach((json_t *)wanted, key, value) {
    const char *have = kv_metadata_property(metadata, key);
    if (!have || strcmp(have, json_string_value(value)) != 0)
      return false;
  }
  return metadata != NULL;
}

/* ---- rules --------------------------------------------------------------- */

static const char *const rule_kinds[] = {"TRANSFORM", "CONDITION", NULL};
static const char *const rule_modes[] = {"UPGRADE", "DOWNGRADE", "UPDOWN",
                                         "WRITE",   "READ",      "WRITEREAD",
                                         NULL};

static bool one_of(const char *text, const char *const *names) {
  for (size_t i = 0; names[i]; i++)
    if (strcmp(text, names[i]) == 0)
      return true;
  return false;
}

/* Rule.validateName(): a letter or '_' first, then letters, digits, '_'
 * and '-'.  Bytes of multibyte UTF-8 count as letters (Java's isLetter()
 * accepts letters of every script). */
static const char *name_problem(const char *name) {
  size_t length = strlen(name);
  if (length == 0)
    return "Empty rule name";
  if (length > RULE_NAME_MAX)
    return "Rule name too long";
  unsigned char c = (unsigned char)name[0];
  bool letter = (c | 0x20u) >= 'a' && (c | 0x20u) <= 'z';
  if (!(letter || c == '_' || c >= 0x80u))
    return "Illegal initial character in rule name: ";
  for (const unsigned char *p = (const unsigned char *)name + 1; *p; p++) {
    letter = ((*p | 0x20u) >= 'a' && (*p | 0x20u) <= 'z') ||
             (*p >= '0' && *p <= '9') || *p >= 0x80u;
    if (!(letter || *p == '_' || *p == '-'))
      return "Illegal character in rule name: ";
  }
  return NULL;
}

static bool invalid_rule(kv_reply_t *reply, const char *message,
                         const char *name) {
  kv_reply_error(reply, 42210, "%s%s", message, name ? name : "");
  return false;
}

static const char *const rule_strings[] = {"name", "doc", "kind", "mode",
                                           "type", "expr", "onSuccess",
                                           "onFailure", NULL};

/* The normal form of one rule, or NULL with @reply set. */
static json_t *normal_rule(const json_t *rule, kv_reply_t *reply) {
  if (!json_is_object(rule)) {
    malformed(reply, "a rule must be an object");
    return NULL;
  }
  for (size_t i = 0; rule_strings[i]; i++) {
    const json_t *v = json_object_get(rule, rule_strings[i]);
    if (present(v) && !json_is_string(v)) {
      kv_reply_error(reply, 422, "Unrecognized request body: rule member "
                                 "\"%s\" must be a string", rule_strings[i]);
      return NULL;
    }
  }
  const char *kind = json_string_value(json_object_get(rule, "kind"));
  const char *mode = json_string_value(json_object_get(rule, "mode"));
  const json_t *tags = json_object_get(rule, "tags");
  const json_t *params = json_object_get(rule, "params");
  const json_t *disabled = json_object_get(rule, "disabled");
  if ((kind && !one_of(kind, rule_kinds)) || (mode && !one_of(mode, rule_modes)) ||
      (present(tags) && !json_is_array(tags)) ||
      (present(params) && !string_map(params)) ||
      (present(disabled) && !json_is_boolean(disabled))) {
    malformed(reply, "a rule has an unknown kind or mode, or tags, params or "
                     "disabled of the wrong type");
    return NULL;
  }
  const char *name = json_string_value(json_object_get(rule, "name"));
  const char *problem = name ? name_problem(name) : "Missing rule name";
  if (problem) {
    invalid_rule(reply, problem, problem[strlen(problem) - 1] == ' ' ? name : NULL);
    return NULL;
  }
  if (!json_string_value(json_object_get(rule, "type"))) {
    invalid_rule(reply, "Missing rule type", NULL);
    return NULL;
  }
  bool oom = false;
  json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", name, "kind",
                          kind ? kind : "TRANSFORM", "mode",
                          mode ? mode : "WRITEREAD", "type",
                          json_string_value(json_object_get(rule, "type")),
                          "disabled", json_is_true(disabled));
  static const char *const optional[] = {"doc", "expr", "onSuccess",
                                         "onFailure", NULL};
  bool ok = out != NULL;
  for (size_t i = 0; ok && optional[i]; i++) {
    const json_t *v = json_object_get(rule, optional[i]);
    if (present(v))
      ok = json_object_set(out, optional[i], (json_t *)v) == 0;
  }
  if (ok && present(tags)) {
    json_t *t = sorted_strings(tags, &oom);
    ok = t && set_unless_empty(out, "tags", t);
  }
  if (ok && present(params))
    ok = set_unless_empty(out, "params", json_deep_copy(params));
  if (!ok) {
    json_decref(out);
    if (oom || !out)
      kv_reply_error(reply, 50001, "Out of memory");
    else
      malformed(reply, "rule tags must be strings");
    return NULL;
  }
  /* Rule.validateAction(): "a,b" only where a mode has two directions. */
  const char *m = json_string_value(json_object_get(out, "mode"));
  if (strcmp(m, "WRITEREAD") != 0 && strcmp(m, "UPDOWN") != 0) {
    const char *actions[] = {json_string_value(json_object_get(out, "onSuccess")),
                             json_string_value(json_object_get(out, "onFailure"))};
    for (size_t i = 0; i < 2; i++)
      if (actions[i] && strchr(actions[i], ',')) {
        json_decref(out);
        invalid_rule(reply, "Multiple actions only valid with WRITEREAD and "
                            "UPDOWN", NULL);
        return NULL;
      }
  }
  return out;
}

/* The three lists of a rule set and the modes their rules may have. */
static const struct {
  const char *member;
  const char *const modes[4];
  const char *refusal;
} rule_lists[] = {
    {"migrationRules", {"UPGRADE", "DOWNGRADE", "UPDOWN", NULL},
     "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN"},
    {"domainRules", {"WRITE", "READ", "WRITEREAD", NULL},
     "Domain rules can only be WRITE, READ, WRITEREAD"},
    {"encodingRules", {"WRITE", "READ", "WRITEREAD", NULL},
     "Encoding rules can only be WRITE, READ, WRITEREAD"},
};

/* Normalize the list @i of @value into @out, checking names against
 * @names (every name of the set, unique: RuleSet.validate()). */
static bool read_rule_list(const json_t *value, size_t i, json_t *names,
                           json_t *out, kv_reply_t *reply) {
  const json_t *list = json_object_get(value, rule_lists[i].member);
  if (!present(list))
    return true;
  if (!json_is_array(list) || json_array_size(list) > MAX_RULES)
    return malformed(reply, "rule lists must be arrays of at most 1000 rules");
  json_t *normal = json_array();
  if (!normal) {
    kv_reply_error(reply, 50001, "Out of memory");
    return false;
  }
  size_t j;
  const json_t *rule;
  json_array_foreach(list, j, rule) {
    json_t *r = normal_rule(rule, reply);
    if (!r) {
      json_decref(normal);
      return false;
    }
    const char *name = json_string_value(json_object_get(r, "name"));
    const char *mode = json_string_value(json_object_get(r, "mode"));
    const char *problem = json_object_get(names, name)
                              ? "Found rule with duplicate name '"
                          : !one_of(mode, rule_lists[i].modes) ? rule_lists[i].refusal
                                                               : NULL;
    if (problem) {
      bool duplicate = problem[strlen(problem) - 1] == '\'';
      kv_reply_error(reply, 42210, "%s%s%s", problem, duplicate ? name : "",
                     duplicate ? "'" : "");
      json_decref(r);
      json_decref(normal);
      return false;
    }
    if (json_object_set(names, name, json_null()) ||
        json_array_append_new(normal, r)) {
      json_decref(normal);
      kv_reply_error(reply, 50001, "Out of memory");
      return false;
    }
  }
  if (!set_unless_empty(out, rule_lists[i].member, normal)) {
    kv_reply_error(reply, 50001, "Out of memory");
    return false;
  }
  return true;
}

bool kv_contract_read_rule_set(const json_t *value, json_t **outp,
                               kv_reply_t *reply) {
  *outp = NULL;
  if (!present(value))
    return true;
  const json_t *enable_at = json_object_get(value, "enableAt");
  if (!json_is_object(value) || (present(enable_at) && !json_is_string(enable_at)))
    return malformed(reply, "\"ruleSet\" must be an object of rule lists");
  json_t *out = json_object();
  json_t *names = json_object();
  bool ok = out && names;
  if (!ok)
    kv_reply_error(reply, 50001, "Out of memory");
  for (size_t i = 0; ok && i < 3; i++)
    ok = read_rule_list(value, i, names, out, reply);
  if (ok && present(enable_at) &&
      json_object_set(out, "enableAt", (json_t *)enable_at)) {
    kv_reply_error(reply, 50001, "Out of memory");
    ok = false;
  }
  json_decref(names);
  if (!ok) {
    json_decref(out);
    return false;
  }
  *outp = out;
  return true;
}

/* RuleSet.merge() of one list: @b's rules, after @a's whose names @b
 * does not use. */
static json_t *merge_rules(const json_t *a, const json_t *b) {
  if (!a || json_array_size(a) == 0)
    return b ? json_incref((json_t *)b) : NULL;
  if (!b || json_array_size(b) == 0)
    return json_incref((json_t *)a);
  json_t *out = json_array();
  size_t i, j;
  const json_t *ra, *rb;
  json_array_foreach(a, i, ra) {
    bool replaced = false;
    json_array_foreach(b, j, rb) {
      replaced = replaced || json_equal(json_object_get(ra, "name"),
                                        json_object_get(rb, "name"));
    }
    if (out && !replaced && json_array_append(out, (json_t *)ra)) {
      json_decref(out);
      out = NULL;
    }
  }
  if (out && json_array_extend(out, (json_t *)b)) {
    json_decref(out);
    out = NULL;
  }
  return out;
}

bool kv_rule_set_merge(const json_t *old, const json_t *new_, json_t **outp) {
  *outp = NULL;
  if (!old || !new_) {
    const json_t *one = old ? old : new_;
    *outp = one ? json_incref((json_t *)one) : NULL;
    return true;
  }
  json_t *out = json_object();
  bool ok = out != NULL;
  for (size_t i = 0; ok && i < 3; i++) {
    const char *member = rule_lists[i].member;
    json_t *merged = merge_rules(json_object_get(old, member),
                                 json_object_get(new_, member));
    if (merged)
      ok = set_unless_empty(out, member, merged);
    else
      ok = !json_object_get(old, member) && !json_object_get(new_, member);
  }
  const json_t *enable_at = json_object_get(new_, "enableAt");
  if (!enable_at)
    enable_at = json_object_get(old, "enableAt");
  if (ok && enable_at)
    ok = json_object_set(out, "enableAt", (json_t *)enable_at) == 0;
  if (!ok) {
    json_decref(out);
    return false;
  }
  *outp = out;
  return true;
}

/* ---- configuration -------------------------------------------------------- */

/* The config members beside the level, in the order they are listed. */
static const char *const contract_members[] = {
    "normalize", "compatibilityGroup", "defaultMetadata", "overrideMetadata",
    "defaultRuleSet", "overrideRuleSet", NULL};

bool kv_contract_config_present(const json_t *body) {
  for (size_t i = 0; contract_members[i]; i++)
    if (json_object_get(body, contract_members[i]))
      return true;
  return false;
}

/* Read member @name of a PUT /config body: NULL (absent: keep), json null
 * (remove) or the normal form.  False with @reply set. */
static bool read_config_member(const json_t *body, const char *name,
                               json_t **valuep, kv_reply_t *reply) {
  const json_t *v = json_object_get(body, name);
  *valuep = NULL;
  if (!v)
    return true;
  if (json_is_null(v)) {
    *valuep = json_null();
    return true;
  }
  if (strcmp(name, "normalize") == 0 ? !json_is_boolean(v)
      : strcmp(name, "compatibilityGroup") == 0 ? !json_is_string(v)
                                                : false)
    return malformed(reply, "\"normalize\" must be a boolean, "
                            "\"compatibilityGroup\" a string");
  if (json_is_boolean(v) || json_is_string(v)) {
    *valuep = json_incref((json_t *)v);
    return true;
  }
  bool metadata = strstr(name, "Metadata") != NULL;
  return metadata ? kv_contract_read_metadata(v, valuep, reply)
                  : kv_contract_read_rule_set(v, valuep, reply);
}

bool kv_contract_config_update(const json_t *old, const json_t *body,
                               json_t **outp, kv_reply_t *reply) {
  *outp = NULL;
  json_t *out = old ? json_deep_copy(old) : json_object();
  if (!out) {
    kv_reply_error(reply, 50001, "Out of memory");
    return false;
  }
  for (size_t i = 0; contract_members[i]; i++) {
    json_t *value;
    if (!read_config_member(body, contract_members[i], &value, reply)) {
      json_decref(out);
      return false;
    }
    if (json_is_null(value))
      json_object_del(out, contract_members[i]);
    else if (value && json_object_set_new(out, contract_members[i], value)) {
      json_decref(out);
      kv_reply_error(reply, 50001, "Out of memory");
      return false;
    }
  }
  *outp = out;
  return true;
}
