/*
 * kavro - checking a rule set before it is registered
 * (kavro_rule_set_check()): every problem the serializer's compiler
 * (rules_model.c) or the registry would meet, all of them rather than the
 * first, each placed in the rule set's text.
 *
 * The rules are read with the compiler's own pieces (modes, the sides of
 * "A,B" actions, the executor lookup, the fields' tags), and CEL is
 * compiled by the engine the built-in executors run, split into guard and
 * body as they split it and then prepared by them, so that what the check
 * accepts the run accepts.  The registry's own refusals (names, modes per
 * list, "A,B" on a rule of one direction) are Confluent's RuleSet and
 * Rule validation, as the mock registry applies it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common_error_int.h"
#include "common_json_locate_int.h"
#include "rules_cel_int.h"
#include "rules_model_int.h"

/* Rules per list read (more is a malformed rule set, as compiled). */
#define CHECK_RULES_MAX 1024

struct kavro_rule_check_s {
  kavro_rule_finding_t *items;
  size_t count, capacity;
};

/* A rule list and the modes the registry lets its rules have. */
typedef struct rule_list_s {
  const char *member;
  kavro_rule_mode_t modes[3];
  const char *allowed;
  bool encoding; /* over the payload bytes: ENCRYPT_PAYLOAD only */
} rule_list_t;

static const rule_list_t rule_lists[] = {
    {"domainRules",
     {KAVRO_RULE_WRITE, KAVRO_RULE_READ, KAVRO_RULE_WRITEREAD},
     "WRITE, READ or WRITEREAD",
     false},
    {"migrationRules",
     {KAVRO_RULE_UPGRADE, KAVRO_RULE_DOWNGRADE, KAVRO_RULE_UPDOWN},
     "UPGRADE, DOWNGRADE or UPDOWN",
     false},
    {"encodingRules",
     {KAVRO_RULE_WRITE, KAVRO_RULE_READ, KAVRO_RULE_WRITEREAD},
     "WRITE, READ or WRITEREAD",
     true},
};

/* The members a rule has (Confluent's Rule). */
static const char *const rule_members[] = {
    "name", "doc", "kind", "mode", "type", "tags", "params", "expr",
    "onSuccess", "onFailure", "disabled", NULL};

typedef struct checker_s {
  kavro_rule_check_t *result;
  const char *text; /* the rule set as given, for positions */
  size_t length;
  kv_ruleset_t *set; /* scratch: engine, metadata, schema and field tags */
  json_t *field_tags; /* every tag a field has, as a set; NULL: unchecked */
  json_t *names;      /* the rule names met, as a set */
  bool nomem;
} checker_t;

static const char *const problem_names[] = {
    "MALFORMED",   "UNKNOWN_KIND",    "UNKNOWN_MODE", "NO_EXECUTOR",
    "CEL_SYNTAX",  "CEL_UNSUPPORTED", "UNKNOWN_TAG",  "UNKNOWN_ACTION",
    "BAD_PARAM"};

const char *kavro_rule_problem_name(kavro_rule_problem_t kind) {
  return (unsigned)kind < sizeof(problem_names) / sizeof(*problem_names)
             ? problem_names[kind]
             : "UNKNOWN";
}

/* ---- the result ---------------------------------------------------------- */

size_t kavro_rule_check_count(const kavro_rule_check_t *result) {
  return result ? result->count : 0;
}

const kavro_rule_finding_t *
kavro_rule_check_get(const kavro_rule_check_t *result, size_t i) {
  return result && i < result->count ? &result->items[i] : NULL;
}

void kavro_rule_check_destroy(kavro_rule_check_t *result) {
  if (!result)
    return;
  for (size_t i = 0; i < result->count; i++) {
    free((char *)result->items[i].rule_name);
    free((char *)result->items[i].location);
    free((char *)result->items[i].message);
  }
  free(result->items);
  free(result);
}

/* Add a finding of @kind about rule @rule at @pointer. */
static void finding(checker_t *c, kavro_rule_problem_t kind, const char *rule,
                    const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void finding(checker_t *c, kavro_rule_problem_t kind, const char *rule,
                    const char *pointer, const char *fmt, ...) {
  kavro_rule_check_t *result = c->result;
  if (c->nomem)
    return;
  if (result->count == result->capacity) {
    size_t capacity = result->capacity ? 2 * result->capacity : 8;
    kavro_rule_finding_t *grown =
        realloc(result->items, capacity * sizeof(*grown));
    if (!grown) {
      c->nomem = true;
      return;
    }
    result->items = grown;
    result->capacity = capacity;
  }
  char message[2 * KAVRO_ERROR_TEXT_LENGTH];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof(message), fmt, ap);
  va_end(ap);
  kv_json_pos_t pos = {0, 0, 0};
  kv_json_locate_key(c->text, c->length, pointer, &pos);
  kavro_rule_finding_t f = {kind, strdup(rule), strdup(pointer),
                            strdup(message), pos.line, pos.column};
  if (!f.rule_name || !f.location || !f.message) {
    free((char *)f.rule_name);
    free((char *)f.location);
    free((char *)f.message);
    c->nomem = true;
    return;
  }
  result->items[result->count++] = f;
}

/* @base, '/' and @key as a JSON pointer token into @buf, truncated to
 * fit. */
static void pointer_to(char *buf, size_t size, const char *base,
                       const char *key) {
  size_t n = (size_t)snprintf(buf, size, "%s", base);
  kv_json_pointer_push(buf, size, n < size ? n : size - 1, key, strlen(key));
}

/* Remember @key in the set @set; false when out of memory. */
static bool set_add(checker_t *c, json_t *set, const char *key) {
  if (json_object_set_new(set, key, json_null()) != 0)
    c->nomem = true;
  return !c->nomem;
}

/* ---- the fields' tags ---------------------------------------------------- */

/* Every tag a field of the schema has, into c->field_tags: the compiler's
 * own walk (confluent:tags and the metadata's tags paths). */
static void collect_field_tags(checker_t *c) {
  kv_ruleset_t *set = c->set;
  if (!set->schema)
    return;
  if (!kv_ruleset_compile_tags(set) || !(c->field_tags = json_object())) {
    c->nomem = true;
    return;
  }
  for (size_t i = 0; i < set->field_tag_count; i++)
    for (size_t k = 0; k < set->field_tags[i].count; k++)
      if (!set_add(c, c->field_tags, set->field_tags[i].tags[k]))
        return;
}

/* ---- one rule ------------------------------------------------------------ */

/* Every member of @rule is one a rule has, and of its type. */
static void check_members(checker_t *c, const json_t *rule, const char *name,
                          const char *at) {
  static const char *const strings[] = {"name", "doc", "kind", "mode",
                                        "type", "expr", "onSuccess",
                                        "onFailure", NULL};
  char pointer[KAVRO_ERROR_PATH_LENGTH];
  const char *key;
  const json_t *value;
  json_object_foreach((json_t *)rule, key, value) {
    bool known = false, string = false;
    for (size_t i = 0; rule_members[i]; i++)
      known = known || strcmp(key, rule_members[i]) == 0;
    for (size_t i = 0; strings[i]; i++)
      string = string || strcmp(key, strings[i]) == 0;
    pointer_to(pointer, sizeof(pointer), at, key);
    const char *problem = NULL;
    if (!known)
      problem = "is not a member of a rule, which has name, doc, kind, "
                "mode, type, tags, params, expr, onSuccess, onFailure and "
                "disabled: the registry drops it";
    else if (json_is_null(value))
      continue;
    else if (string && !json_is_string(value))
      problem = "must be a string";
    else if (strcmp(key, "disabled") == 0 && !json_is_boolean(value))
      problem = "must be true or false";
    else if (strcmp(key, "tags") == 0 && !json_is_array(value))
      problem = "must be an array of strings";
    else if (strcmp(key, "params") == 0 && !json_is_object(value))
      problem = "must be an object of strings";
    if (problem)
      finding(c, KAVRO_RULE_PROBLEM_MALFORMED, name, pointer,
              "rule \"%.100s\": \"%.64s\" %s", name, key, problem);
  }
  const char *param;
  json_object_foreach(json_object_get(rule, "params"), param, value) {
    if (!json_is_string(value)) {
      char params[KAVRO_ERROR_PATH_LENGTH];
      snprintf(params, sizeof(params), "%s/params", at);
      pointer_to(pointer, sizeof(pointer), params, param);
      finding(c, KAVRO_RULE_PROBLEM_MALFORMED, name, pointer,
              "rule \"%.100s\": parameter \"%.64s\" must be a string", name,
              param);
    }
  }
}

/* The name: present, and no other rule's. */
static void check_name(checker_t *c, const json_t *rule, const char *name,
                       const char *at) {
  char pointer[KAVRO_ERROR_PATH_LENGTH];
  snprintf(pointer, sizeof(pointer), "%s/name", at);
  if (!*name) {
    finding(c, KAVRO_RULE_PROBLEM_MALFORMED, name,
            json_object_get(rule, "name") ? pointer : at,
            "a rule without a name: the registry refuses it (42210)");
  } else if (json_object_get(c->names, name)) {
    finding(c, KAVRO_RULE_PROBLEM_MALFORMED, name, pointer,
            "two rules are named \"%.100s\": the registry refuses a rule "
            "set with duplicate names (42210)",
            name);
  } else {
    set_add(c, c->names, name);
  }
}

/* The mode (-1 when unknown), and in @allowed whether its list allows
 * it. */
static int check_mode(checker_t *c, const rule_list_t *list, const char *name,
                      const char *mode, const char *at, bool *allowed) {
  char pointer[KAVRO_ERROR_PATH_LENGTH];
  snprintf(pointer, sizeof(pointer), "%s/mode", at);
  int m = mode ? kv_rule_mode_parse(mode) : KAVRO_RULE_WRITEREAD;
  if (m < 0) {
    finding(c, KAVRO_RULE_PROBLEM_UNKNOWN_MODE, name, pointer,
            "rule \"%.100s\": unknown mode \"%.64s\" (WRITE, READ, "
            "WRITEREAD, UPGRADE, DOWNGRADE or UPDOWN): the schema is refused",
            name, mode);
    return -1;
  }
  *allowed = false;
  for (size_t i = 0; i < 3; i++)
    *allowed = *allowed || list->modes[i] == (kavro_rule_mode_t)m;
  if (!*allowed)
    finding(c, KAVRO_RULE_PROBLEM_MALFORMED, name, mode ? pointer : at,
            "rule \"%.100s\": mode %s is not allowed in %s, whose rules are "
            "%s: the registry refuses it (42210)",
            name, kavro_rule_mode_name((kavro_rule_mode_t)m), list->member,
            list->allowed);
  return m;
}

/* The directions a rule of @mode runs in (one or two), into @dirs. */
static size_t directions(kavro_rule_mode_t mode, kavro_rule_mode_t dirs[2]) {
  if (mode == KAVRO_RULE_WRITEREAD || mode == KAVRO_RULE_UPDOWN) {
    bool write = mode == KAVRO_RULE_WRITEREAD;
    dirs[0] = write ? KAVRO_RULE_WRITE : KAVRO_RULE_UPGRADE;
    dirs[1] = write ? KAVRO_RULE_READ : KAVRO_RULE_DOWNGRADE;
    return 2;
  }
  dirs[0] = dirs[1] = mode;
  return 1;
}

/* Whether an action of that name runs: NONE and ERROR (built in, as
 * written), DLQ (kavro_kafka_dlq_action_add()) or one registered. */
static bool known_action(const checker_t *c, const char *action) {
  return strcmp(action, "NONE") == 0 || strcmp(action, "ERROR") == 0 ||
         strcasecmp(action, "DLQ") == 0 ||
         kv_rules_action(c->set->engine, action) != NULL;
}

static void check_action(checker_t *c, const char *name, const char *at,
                         const char *member, const char *action,
                         kavro_rule_mode_t mode) {
  if (!action)
    return;
  char pointer[KAVRO_ERROR_PATH_LENGTH];
  snprintf(pointer, sizeof(pointer), "%s/%s", at, member);
  kavro_rule_mode_t dirs[2];
  size_t n = directions(mode, dirs);
  if (n == 1 && strchr(action, ',')) {
    finding(c, KAVRO_RULE_PROBLEM_MALFORMED, name, pointer,
            "rule \"%.100s\": two actions (\"%.100s\") are only for "
            "WRITEREAD and UPDOWN rules: the registry refuses it (42210)",
            name, action);
    return;
  }
  bool two = strchr(action, ',') != NULL; /* "A,B": say which side */
  char sides[2][KV_RULE_ACTION_MAX];
  for (size_t i = 0; i < n; i++) {
    if (!kv_rule_action_side(action, mode, dirs[i], sides[i],
                             sizeof(sides[i]))) {
      finding(c, KAVRO_RULE_PROBLEM_UNKNOWN_ACTION, name, pointer,
              "rule \"%.100s\": %s names an action longer than any "
              "(%d bytes at most)",
              name, member, KV_RULE_ACTION_MAX - 1);
      return;
    }
    if (!*sides[i] || known_action(c, sides[i]) ||
        (i == 1 && strcmp(sides[0], sides[1]) == 0))
      continue;
    bool miscased = strcasecmp(sides[i], "NONE") == 0 ||
                    strcasecmp(sides[i], "ERROR") == 0;
    finding(c, KAVRO_RULE_PROBLEM_UNKNOWN_ACTION, name, pointer,
            "rule \"%.100s\": %s action \"%.64s\"%s%s is none of NONE, "
            "ERROR, DLQ and the registered actions%s: the message fails "
            "with it",
            name, member, sides[i], two ? " on " : "",
            two ? kavro_rule_mode_name(dirs[i]) : "",
            miscased ? " (NONE and ERROR are upper case)" : "");
  }
}

/* Whether every side of onFailure @action is NONE: a rule that cannot
 * run is then skipped, not the schema refused. */
static bool failure_passes(const char *action, kavro_rule_mode_t mode) {
  kavro_rule_mode_t dirs[2];
  size_t n = directions(mode, dirs);
  char side[KV_RULE_ACTION_MAX];
  for (size_t i = 0; i < n; i++)
    if (!kv_rule_action_side(action, mode, dirs[i], side, sizeof(side)) ||
        strcmp(side, "NONE") != 0)
      return false;
  return true;
}

/* The executor of @r; the built-in one, or NULL (a user's, or none,
 * which is a finding). */
static const kv_builtin_t *check_executor(checker_t *c, const rule_list_t *list,
                                          const kv_rule_t *r,
                                          const char *on_failure,
                                          const char *at) {
  char pointer[KAVRO_ERROR_PATH_LENGTH];
  snprintf(pointer, sizeof(pointer), "%s/type", at);
  const char *outcome = failure_passes(on_failure, r->mode)
                            ? "with onFailure NONE it never runs"
                            : "a schema with this rule set is refused";
  const kv_conf_plugin_t *p =
      kv_rules_executor(c->set->engine, r->type, "", r->name);
  if (list->encoding) {
    const kv_builtin_t *b = p ? kv_builtin_of(p) : NULL;
    if (b && b->payload)
      return b;
    finding(c, KAVRO_RULE_PROBLEM_NO_EXECUTOR, r->name, pointer,
            "rule \"%.100s\" (%.32s): kavro does not run this encoding "
            "rule (over the payload bytes it runs ENCRYPT_PAYLOAD only): %s",
            r->name, r->type, outcome);
    return NULL;
  }
  kavro_rule_mode_t dirs[2];
  directions(r->mode, dirs);
  if (p && kv_rule_executor_fits(p, dirs[0]))
    return kv_builtin_of(p);
  bool migration = dirs[0] == KAVRO_RULE_UPGRADE ||
                   dirs[0] == KAVRO_RULE_DOWNGRADE;
  finding(c, KAVRO_RULE_PROBLEM_NO_EXECUTOR, r->name, pointer,
          "rule \"%.100s\": no executor for type %.32s%s: %s", r->name,
          r->type,
          migration ? " (a migration rule needs one registered with "
                      "kavro_conf_add_rule_executor())"
                    : " (built in: CEL, CEL_FIELD, ENCRYPT)",
          outcome);
  return NULL;
}

/* Compile @part of @r's expression as the built-in @b does; true when it
 * is a finding. */
static bool check_cel_part(checker_t *c, const kv_builtin_t *b,
                           const kv_rule_t *r, const char *pointer,
                           bool is_guard, const char *what,
                           const kv_cel_part_t *part) {
  kv_cel_program_t *program = NULL;
  kavro_error_t why;
  kv_error_clear(&why);
  kavro_err_t err = kv_cel_compile_len(part->text, part->length, b->vars,
                                       b->nvars, &program, &why);
  kv_cel_program_destroy(program);
  if (err == KAVRO_OK)
    return false;
  if (err == KAVRO_ERR_NOMEM) {
    c->nomem = true;
    return true;
  }
  if (err == KAVRO_ERR_INVALID_ARG)
    finding(c, KAVRO_RULE_PROBLEM_CEL_SYNTAX, r->name, pointer,
            "rule \"%.100s\" (%.32s): %s does not parse%s: %.400s", r->name,
            r->type, what,
            is_guard ? ", so the rule never runs"
                     : ", so the rule fails on every message",
            why.text);
  else
    finding(c, KAVRO_RULE_PROBLEM_CEL_UNSUPPORTED, r->name, pointer,
            "rule \"%.100s\" (%.32s): %s is refused by kavro's CEL engine, "
            "so a schema with this rule set is refused: %.400s",
            r->name, r->type, what, why.text);
  return true;
}

/* The parameters of a rule whose built-in executor checks them
 * (ENCRYPT's). */
static void check_params(checker_t *c, const kv_builtin_t *b, kv_rule_t *r,
                         const json_t *rule, const char *at) {
  kavro_error_t why;
  kv_error_clear(&why);
  char pointer[KAVRO_ERROR_PATH_LENGTH];
  snprintf(pointer, sizeof(pointer), "%s/params", at);
  if (!b->check(c->set, r, &why))
    finding(c, KAVRO_RULE_PROBLEM_BAD_PARAM, r->name,
            json_is_object(json_object_get(rule, "params")) ? pointer : at,
            "rule \"%.100s\" (%.32s) fails on every message: %.400s",
            r->name, r->type, why.text);
}

/* The expression of a CEL or CEL_FIELD rule: guard and body compile, and
 * the executor prepares the rule (which refuses what it cannot run, such
 * as an extension function it lacks). */
static void check_cel(checker_t *c, const kv_builtin_t *b, kv_rule_t *r,
                      bool kind_known, const char *at) {
  char pointer[KAVRO_ERROR_PATH_LENGTH];
  snprintf(pointer, sizeof(pointer), "%s/expr", at);
  if (!r->expr) {
    finding(c, KAVRO_RULE_PROBLEM_CEL_SYNTAX, r->name, at,
            "rule \"%.100s\" (%.32s) has no expr, so it fails on every "
            "message",
            r->name, r->type);
    return;
  }
  kv_cel_part_t guard, body;
  kv_cel_rule_split(c->set, r, &guard, &body);
  /* One finding per expression: a body after a broken guard is not
   * looked at. */
  if (guard.text &&
      check_cel_part(c, b, r, pointer, true, "the guard", &guard))
    return;
  if (check_cel_part(c, b, r, pointer, false,
                     body.offset ? "the expression after the guard's ';'"
                                 : "the expression",
                     &body) ||
      !kind_known)
    return;
  kavro_error_t verdict;
  kv_error_clear(&verdict);
  kavro_err_t err = b->prepare(c->set, r, &verdict);
  if (r->release)
    r->release(r->prepared);
  r->prepared = NULL;
  r->release = NULL;
  if (err == KAVRO_ERR_NOMEM)
    c->nomem = true;
  else if (err != KAVRO_OK)
    finding(c, KAVRO_RULE_PROBLEM_CEL_UNSUPPORTED, r->name, pointer,
            "%s; a schema with this rule set is refused", verdict.text);
}

/* The tags: strings, each one a field has. */
static void check_tags(checker_t *c, const json_t *tags, const char *name,
                       const char *at) {
  if (!json_is_array(tags))
    return; /* absent, or a finding of check_members() */
  char pointer[KAVRO_ERROR_PATH_LENGTH];
  size_t i;
  const json_t *tag;
  json_array_foreach(tags, i, tag) {
    snprintf(pointer, sizeof(pointer), "%s/tags/%zu", at, i);
    if (!json_is_string(tag))
      finding(c, KAVRO_RULE_PROBLEM_MALFORMED, name, pointer,
              "rule \"%.100s\": a tag must be a string", name);
    else if (c->field_tags &&
             !json_object_get(c->field_tags, json_string_value(tag)))
      finding(c, KAVRO_RULE_PROBLEM_UNKNOWN_TAG, name, pointer,
              "rule \"%.100s\": no field of the schema has tag \"%.100s\" "
              "(neither in its \"confluent:tags\" nor through a "
              "metadata.tags path), so the rule applies to no field",
              name, json_string_value(tag));
  }
}

/* A string member, NULL when absent or of another type (a finding of
 * check_members()). */
static const char *string_member(const json_t *rule, const char *key) {
  return json_string_value(json_object_get(rule, key));
}

static void check_rule(checker_t *c, const rule_list_t *list, size_t index,
                       const json_t *rule) {
  char at[64];
  snprintf(at, sizeof(at), "/%s/%zu", list->member, index);
  if (!json_is_object(rule)) {
    finding(c, KAVRO_RULE_PROBLEM_MALFORMED, "", at,
            "a rule of %s is not a JSON object", list->member);
    return;
  }
  kv_rule_t r = {0};
  r.name = string_member(rule, "name");
  r.name = r.name ? r.name : "";
  r.type = string_member(rule, "type");
  r.expr = string_member(rule, "expr");
  r.params = json_object_get(rule, "params");
  r.params = json_is_object(r.params) ? r.params : NULL;
  check_members(c, rule, r.name, at);
  check_name(c, rule, r.name, at);
  check_tags(c, json_object_get(rule, "tags"), r.name, at);
  const char *kind = string_member(rule, "kind");
  bool kind_known = !kind || strcmp(kind, "CONDITION") == 0 ||
                    strcmp(kind, "TRANSFORM") == 0;
  if (!kind_known) {
    char pointer[KAVRO_ERROR_PATH_LENGTH];
    snprintf(pointer, sizeof(pointer), "%s/kind", at);
    finding(c, KAVRO_RULE_PROBLEM_UNKNOWN_KIND, r.name, pointer,
            "rule \"%.100s\": unknown kind \"%.64s\" (CONDITION or "
            "TRANSFORM): the schema is refused",
            r.name, kind);
  }
  r.kind = kind && strcmp(kind, "CONDITION") == 0 ? KAVRO_RULE_CONDITION
                                                   : KAVRO_RULE_TRANSFORM;
  bool allowed = false;
  int mode =
      check_mode(c, list, r.name, string_member(rule, "mode"), at, &allowed);
  if (mode < 0)
    return; /* actions and executors depend on it */
  r.mode = (kavro_rule_mode_t)mode;
  const char *on_failure = string_member(rule, "onFailure");
  check_action(c, r.name, at, "onSuccess", string_member(rule, "onSuccess"),
               r.mode);
  check_action(c, r.name, at, "onFailure", on_failure, r.mode);
  if (!r.type || !*r.type) {
    finding(c, KAVRO_RULE_PROBLEM_MALFORMED, r.name, at,
            "rule \"%.100s\" has no type: the registry refuses it (42210)",
            r.name);
    return;
  }
  if (!allowed)
    return; /* the registry refuses it: what would run it is moot */
  const kv_builtin_t *builtin = check_executor(c, list, &r, on_failure, at);
  const json_t *expr = json_object_get(rule, "expr");
  if (builtin && builtin->vars &&
      (!expr || json_is_string(expr) || json_is_null(expr)))
    check_cel(c, builtin, &r, kind_known, at);
  else if (builtin && builtin->check)
    check_params(c, builtin, &r, rule, at);
}

/* ---- the rule set -------------------------------------------------------- */

static void check_lists(checker_t *c) {
  const json_t *rule_set = c->set->rule_set;
  const char *key;
  const json_t *value;
  json_object_foreach((json_t *)rule_set, key, value) {
    bool known = false;
    for (size_t i = 0; i < sizeof(rule_lists) / sizeof(*rule_lists); i++)
      known = known || strcmp(key, rule_lists[i].member) == 0;
    if (!known) {
      char pointer[KAVRO_ERROR_PATH_LENGTH];
      pointer_to(pointer, sizeof(pointer), "", key);
      finding(c, KAVRO_RULE_PROBLEM_MALFORMED, "", pointer,
              "\"%.64s\" is not a rule list (domainRules, migrationRules, "
              "encodingRules): its rules never run",
              key);
    }
  }
  for (size_t i = 0; i < sizeof(rule_lists) / sizeof(*rule_lists); i++) {
    const rule_list_t *list = &rule_lists[i];
    const json_t *rules = json_object_get(rule_set, list->member);
    char pointer[KAVRO_ERROR_PATH_LENGTH];
    snprintf(pointer, sizeof(pointer), "/%s", list->member);
    if (!rules || json_is_null(rules))
      continue;
    if (!json_is_array(rules) || json_array_size(rules) > CHECK_RULES_MAX) {
      finding(c, KAVRO_RULE_PROBLEM_MALFORMED, "", pointer,
              "%s is not an array of at most %d rules: the schema is "
              "refused",
              list->member, CHECK_RULES_MAX);
      continue;
    }
    size_t index;
    const json_t *rule;
    json_array_foreach(rules, index, rule) check_rule(c, list, index, rule);
  }
}

/* Parse the JSON object @text (@what names it in errors) into *@out. */
static kavro_err_t parse_object(const char *text, const char *what,
                                json_t **out, kavro_error_t *error) {
  json_error_t jerr;
  *out = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
  if (!*out) {
    kv_error_set(error, KAVRO_ERR_JSON, "the %s is not valid JSON: %s", what,
                 jerr.text);
    error->line = jerr.line;
    error->column = jerr.column;
    error->position = jerr.position;
    return KAVRO_ERR_JSON;
  }
  if (!json_is_object(*out)) {
    json_decref(*out);
    *out = NULL;
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the %s is not a JSON object", what);
  }
  return KAVRO_OK;
}

/* The scratch rule set the rules are read in: @conf's engine, the parsed
 * rule set and metadata, the schema. */
static kavro_err_t scratch_set(const kavro_conf_t *conf, const char *rule_set,
                               const char *metadata,
                               const kavro_schema_t *schema,
                               kv_ruleset_t **setp, kavro_error_t *error) {
  kv_ruleset_t *set = calloc(1, sizeof(*set));
  *setp = set;
  if (!set || !(set->engine = kv_rules_new(conf, NULL, error)))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = parse_object(rule_set, "rule set", &set->rule_set, error);
  if (err == KAVRO_OK && metadata)
    err = parse_object(metadata, "metadata", &set->metadata, error);
  /* A reference, as every rule set holds its schema. */
  set->schema = kavro_schema_dup((kavro_schema_t *)schema);
  return err;
}

static void scratch_destroy(kv_ruleset_t *set) {
  if (!set)
    return;
  kv_rules_destroy((kv_rules_t *)set->engine);
  kv_ruleset_destroy(set);
}

kavro_err_t kavro_rule_set_check(const char *rule_set, const char *metadata,
                                 const kavro_schema_t *schema,
                                 const kavro_conf_t *conf,
                                 kavro_rule_check_t **resultp,
                                 kavro_error_t *error) {
  kv_error_clear(error);
  if (resultp)
    *resultp = NULL;
  if (!rule_set || !resultp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a rule set and a result pointer are required");
  kavro_conf_t *own = conf ? NULL : kavro_conf_new();
  if (!conf && !own)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  checker_t c = {.text = rule_set, .length = strlen(rule_set)};
  kavro_err_t err =
      scratch_set(conf ? conf : own, rule_set, metadata, schema, &c.set, error);
  if (err == KAVRO_OK) {
    c.result = calloc(1, sizeof(*c.result));
    c.names = json_object();
    c.nomem = !c.result || !c.names;
    if (!c.nomem)
      collect_field_tags(&c);
    if (!c.nomem)
      check_lists(&c);
    if (c.nomem)
      err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  if (err == KAVRO_OK)
    *resultp = c.result;
  else
    kavro_rule_check_destroy(c.result);
  json_decref(c.names);
  json_decref(c.field_tags);
  scratch_destroy(c.set);
  kavro_conf_destroy(own);
  return err;
}
