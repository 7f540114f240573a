/*
 * kavro - compiling a schema's rule set (rules_int.h): once per schema and
 * direction, never per message.
 *
 * The rules that apply are picked as Java's executeRules() picks them
 * (mode, `disabled` and its `rule.executors.*.disabled` overrides), put in
 * the order they run (read: reversed), and resolved: executor, the
 * actions for this direction (one side of "A,B"), and the tags of every
 * field of the schema (its `confluent:tags` and the metadata's `tags`
 * paths) for field executors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common_error_int.h"
#include "common_metrics_int.h"
#include "rules_model_int.h"

/* Longest rule list compiled (more is a malformed rule set). */
#define KV_RULES_MAX 1024

const char *kavro_rule_kind_name(kavro_rule_kind_t kind) {
  return kind == KAVRO_RULE_CONDITION ? "CONDITION" : "TRANSFORM";
}

static const char *const mode_names[] = {"WRITE",   "READ",      "WRITEREAD",
                                         "UPGRADE", "DOWNGRADE", "UPDOWN"};

const char *kavro_rule_mode_name(kavro_rule_mode_t mode) {
  return (unsigned)mode < 6 ? mode_names[mode] : "UNKNOWN";
}

/* ---- the engine ---------------------------------------------------------- */

kv_rules_t *kv_rules_new(const kavro_conf_t *conf, kavro_registry_t *registry,
                         kavro_error_t *error) {
  kv_rules_t *rules = calloc(1, sizeof(*rules));
  if (!rules) {
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  rules->conf = conf;
  rules->registry = registry;
  return rules;
}

void kv_rules_destroy(kv_rules_t *rules) { free(rules); }

static const kv_builtin_t *const builtins[] = {
    &kv_cel_builtin, &kv_cel_field_builtin, &kv_encrypt_builtin,
    &kv_encrypt_payload_builtin};

const kv_builtin_t *kv_builtin_executor(const char *type) {
  for (size_t i = 0; i < sizeof(builtins) / sizeof(*builtins); i++)
    if (strcasecmp(builtins[i]->plugin.type, type) == 0)
      return builtins[i];
  return NULL;
}

const kv_builtin_t *kv_builtin_of(const kv_conf_plugin_t *plugin) {
  for (size_t i = 0; i < sizeof(builtins) / sizeof(*builtins); i++)
    if (plugin == &builtins[i]->plugin)
      return builtins[i];
  return NULL;
}

static bool named(const kv_conf_plugin_t *p, const char *name) {
  return p->name && strcmp(p->name, name) == 0;
}

const kv_conf_plugin_t *kv_rules_executor(const kv_rules_t *engine,
                                          const char *type,
                                          const char *subject,
                                          const char *rule_name) {
  size_t count;
  const kv_conf_plugin_t *plugins = kv_conf_plugins(engine->conf, &count);
  const kv_conf_plugin_t *first = NULL, *by_rule = NULL;
  char qualified[KAVRO_ERROR_TEXT_LENGTH];
  snprintf(qualified, sizeof(qualified), "%s:%s", subject, rule_name);
  for (size_t i = 0; i < count; i++) {
    const kv_conf_plugin_t *p = &plugins[i];
    if (p->kind != KV_PLUGIN_EXECUTOR || strcasecmp(p->type, type) != 0)
      continue;
    if (named(p, qualified))
      return p;
    if (!by_rule && named(p, rule_name))
      by_rule = p;
    if (!first)
      first = p;
  }
  if (by_rule || first)
    return by_rule ? by_rule : first;
  /* A user's executor for CEL or CEL_FIELD takes the place of kavro's. */
  const kv_builtin_t *builtin = kv_builtin_executor(type);
  return builtin ? &builtin->plugin : NULL;
}

const kv_conf_plugin_t *kv_rules_action(const kv_rules_t *engine,
                                        const char *type) {
  size_t count;
  const kv_conf_plugin_t *plugins = kv_conf_plugins(engine->conf, &count);
  for (size_t i = 0; i < count; i++)
    if (plugins[i].kind == KV_PLUGIN_ACTION &&
        strcasecmp(plugins[i].type, type) == 0)
      return &plugins[i];
  return NULL;
}

/* `rule.executors.<name>.<suffix>` for the rule's name, then `_TYPE_`,
 * then `_default_` (Java's getOnSuccess(), getOnFailure(), isDisabled()). */
static const char *rule_override(const kv_rules_t *engine, const char *name,
                                 const char *type, const char *suffix) {
  char key[KAVRO_ERROR_TEXT_LENGTH];
  const char *value;
  snprintf(key, sizeof(key), "rule.executors.%s.%s", name, suffix);
  if ((value = kv_conf_pattern_value(engine->conf, key)))
    return value;
  snprintf(key, sizeof(key), "rule.executors._%s_.%s", type, suffix);
  if ((value = kv_conf_pattern_value(engine->conf, key)))
    return value;
  snprintf(key, sizeof(key), "rule.executors._default_.%s", suffix);
  return kv_conf_pattern_value(engine->conf, key);
}

/* ---- rule sets ------------------------------------------------------------- */

/* Free what @r owns (not @r). */
static void rule_clear(kv_rule_t *r) {
  free(r->tags);
  if (r->release)
    r->release(r->prepared);
}

void kv_ruleset_destroy(kv_ruleset_t *set) {
  if (!set)
    return;
  for (size_t i = 0; i < set->list.count; i++)
    rule_clear(&set->list.rules[i]);
  free(set->list.rules);
  for (size_t i = 0; i < set->encoding.count; i++)
    rule_clear(&set->encoding.rules[i]);
  free(set->encoding.rules);
  for (size_t i = 0; i < set->field_tag_count; i++)
    free(set->field_tags[i].tags);
  free(set->field_tags);
  json_decref(set->rule_set);
  json_decref(set->metadata);
  kavro_schema_destroy(set->schema);
  kavro_schema_destroy(set->source);
  free(set->subject);
  free(set->refusal);
  kv_rewrite_destroy(set->rewrite);
  free(set);
}

const kavro_error_t *kv_ruleset_refusal(const kv_ruleset_t *set) {
  return set ? set->refusal : NULL;
}

kavro_schema_t *kv_ruleset_schema(const kv_ruleset_t *set) {
  return set->schema;
}

bool kv_ruleset_transforms(const kv_ruleset_t *set) {
  return set && set->transforms;
}

bool kv_ruleset_domain(const kv_ruleset_t *set) {
  return set && (set->list.count || set->refusal);
}

bool kv_ruleset_encodes(const kv_ruleset_t *set) {
  return set && (set->encoding.count || set->refusal);
}

/* Keep @err (set in @verdict) as the set's refusal. */
static kavro_err_t refuse(kv_ruleset_t *set, const kavro_error_t *verdict,
                          kavro_error_t *error) {
  if (!(set->refusal = malloc(sizeof(*verdict))))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  *set->refusal = *verdict;
  return KAVRO_OK;
}

static kavro_err_t malformed(kavro_error_t *verdict, const char *what,
                             const char *why) {
  kv_error_set(verdict, KAVRO_ERR_BAD_RESPONSE,
               "the rule set of %s is malformed: %s", what, why);
  kv_error_set_source(verdict, what);
  return KAVRO_ERR_BAD_RESPONSE;
}

/* A string member, or NULL when absent; @bad set when it is no string. */
static const char *member(const json_t *rule, const char *name, bool *bad) {
  const json_t *v = json_object_get(rule, name);
  if (v && !json_is_string(v) && !json_is_null(v))
    *bad = true;
  return json_is_string(v) ? json_string_value(v) : NULL;
}

int kv_rule_mode_parse(const char *text) {
  for (int i = 0; i < 6; i++)
    if (strcmp(text, mode_names[i]) == 0)
      return i;
  return -1;
}

/* Whether a rule of @rule_mode runs when rules run as @mode. */
static bool mode_applies(kavro_rule_mode_t rule_mode, kavro_rule_mode_t mode) {
  if (rule_mode == KAVRO_RULE_WRITEREAD)
    return mode == KAVRO_RULE_WRITE || mode == KAVRO_RULE_READ;
  if (rule_mode == KAVRO_RULE_UPDOWN)
    return mode == KAVRO_RULE_UPGRADE || mode == KAVRO_RULE_DOWNGRADE;
  return rule_mode == mode;
}

bool kv_rule_action_side(const char *action, kavro_rule_mode_t rule_mode,
                         kavro_rule_mode_t mode, char *buf, size_t size) {
  const char *from = action ? action : "";
  size_t len = strlen(from);
  const char *comma = strchr(from, ',');
  if (comma &&
      (rule_mode == KAVRO_RULE_WRITEREAD || rule_mode == KAVRO_RULE_UPDOWN)) {
    bool second = mode == KAVRO_RULE_READ || mode == KAVRO_RULE_DOWNGRADE;
    from = second ? comma + 1 : from;
    len = second ? strcspn(from, ",") : (size_t)(comma - action);
  }
  if (len >= size)
    return false;
  memcpy(buf, from, len);
  buf[len] = '\0';
  return true;
}

/* The tags of a rule, into an array of its JSON's strings. */
static bool rule_tags(const json_t *rule, kv_rule_t *r, bool *bad) {
  const json_t *tags = json_object_get(rule, "tags");
  if (!tags || json_is_null(tags))
    return true;
  if (!json_is_array(tags) || json_array_size(tags) > KV_RULES_MAX) {
    *bad = true;
    return true;
  }
  size_t n = json_array_size(tags);
  if (!n)
    return true;
  if (!(r->tags = calloc(n, sizeof(*r->tags))))
    return false;
  for (size_t i = 0; i < n; i++) {
    const json_t *t = json_array_get(tags, i);
    if (!json_is_string(t)) {
      *bad = true;
      return true;
    }
    r->tags[r->tag_count++] = json_string_value(t);
  }
  return true;
}

static bool same_tags(const kv_rule_t *a, const kv_rule_t *b) {
  if (a->tag_count != b->tag_count)
    return false;
  for (size_t i = 0; i < a->tag_count; i++) {
    bool found = false;
    for (size_t j = 0; j < b->tag_count && !found; j++)
      found = strcmp(a->tags[i], b->tags[j]) == 0;
    if (!found)
      return false;
  }
  return true;
}

/* Java's FieldRuleExecutor.areTransformsWithSameTags(). */
static bool transforms_with_same_tags(const kv_rule_t *a, const kv_rule_t *b) {
  return a->tag_count > 0 && a->kind == KAVRO_RULE_TRANSFORM &&
         b->kind == a->kind && b->mode == a->mode &&
         strcmp(a->type, b->type) == 0 && same_tags(a, b);
}

/* A verdict on a rule that cannot run: its onFailure action decides. */
static kavro_err_t unexecutable(const kv_rule_t *r, const char *why,
                                const char *what, kavro_error_t *verdict) {
  kv_error_set(verdict, KAVRO_ERR_UNSUPPORTED,
               "rule \"%.100s\" (%s, %.32s) cannot be executed: %s",
               r->name, kavro_rule_kind_name(r->kind), r->type, why);
  kv_error_set_source(verdict, what);
  return KAVRO_ERR_UNSUPPORTED;
}

bool kv_rule_executor_fits(const kv_conf_plugin_t *p, kavro_rule_mode_t mode) {
  const kavro_rule_executor_t *x = p->data;
  if (mode == KAVRO_RULE_UPGRADE || mode == KAVRO_RULE_DOWNGRADE)
    return x->migrate != NULL;
  return x->execute || x->execute_field;
}

typedef struct kv_compile_s {
  kv_ruleset_t *set;
  kavro_rule_mode_t mode;
  const char *what;
  bool encoding; /* encodingRules: over the payload bytes */
  kavro_error_t *verdict;
} kv_compile_t;

/* Parse @rule; *@keep false when it does not apply.  A non-OK return is
 * the verdict (in c->verdict) or, for KAVRO_ERR_NOMEM, a failure. */
static kavro_err_t compile_rule(kv_compile_t *c, const json_t *rule,
                                kv_rule_t *r, bool *keep) {
  const kv_rules_t *engine = c->set->engine;
  *keep = false;
  if (!json_is_object(rule))
    return malformed(c->verdict, c->what, "a rule is not an object");
  bool bad = false;
  r->name = member(rule, "name", &bad);
  r->type = member(rule, "type", &bad);
  r->expr = member(rule, "expr", &bad);
  const char *kind = member(rule, "kind", &bad);
  const char *mode = member(rule, "mode", &bad);
  const char *on_success = member(rule, "onSuccess", &bad);
  const char *on_failure = member(rule, "onFailure", &bad);
  const json_t *disabled = json_object_get(rule, "disabled");
  r->params = json_object_get(rule, "params");
  if (!rule_tags(rule, r, &bad))
    return kv_error_set(c->verdict, KAVRO_ERR_NOMEM, "out of memory");
  if (bad || (disabled && !json_is_boolean(disabled) && !json_is_null(disabled)) ||
      (r->params && !json_is_object(r->params) && !json_is_null(r->params)))
    return malformed(c->verdict, c->what, "a rule member has the wrong type");
  if (!json_is_object(r->params))
    r->params = NULL;
  r->name = r->name ? r->name : "";
  r->type = r->type ? r->type : "";
  /* A rule's defaults, as Java's Rule has them. */
  int m = mode ? kv_rule_mode_parse(mode) : KAVRO_RULE_WRITEREAD;
  if (m < 0)
    return malformed(c->verdict, c->what, "a rule has an unknown mode");
  r->mode = (kavro_rule_mode_t)m;
  if (kind && strcmp(kind, "CONDITION") && strcmp(kind, "TRANSFORM"))
    return malformed(c->verdict, c->what, "a rule has an unknown kind");
  r->kind = kind && strcmp(kind, "CONDITION") == 0 ? KAVRO_RULE_CONDITION
                                                    : KAVRO_RULE_TRANSFORM;
  const char *off = rule_override(engine, r->name, r->type, "disabled");
  bool is_disabled = off ? strcmp(off, "true") == 0 : json_is_true(disabled);
  if (is_disabled || !mode_applies(r->mode, c->mode))
    return KAVRO_OK;
  const char *s = rule_override(engine, r->name, r->type, "onSuccess");
  const char *f = rule_override(engine, r->name, r->type, "onFailure");
  if (!kv_rule_action_side(s ? s : on_success, r->mode, c->mode,
                           r->on_success, sizeof(r->on_success)) ||
      !kv_rule_action_side(f ? f : on_failure, r->mode, c->mode,
                           r->on_failure, sizeof(r->on_failure)))
    return malformed(c->verdict, c->what, "an action name is too long");
  *keep = true;
  bool failure_passes = strcmp(r->on_failure, "NONE") == 0;
  r->executor = kv_rules_executor(engine, r->type, c->set->subject, r->name);
  if (c->encoding) {
    /* Over the payload bytes: only a built-in executor that runs there. */
    const kv_builtin_t *b = r->executor ? kv_builtin_of(r->executor) : NULL;
    if (b && b->payload)
      return b->prepare(c->set, r, c->verdict);
    r->executor = NULL;
    return failure_passes
               ? (*keep = false, KAVRO_OK)
               : unexecutable(r, "an encoding rule runs over the payload "
                                 "bytes, where kavro runs ENCRYPT_PAYLOAD "
                                 "only",
                              c->what, c->verdict);
  }
  if (r->executor && !kv_rule_executor_fits(r->executor, c->mode))
    r->executor = NULL;
  if (!r->executor && !failure_passes) {
    char why[160];
    snprintf(why, sizeof(why), "no executor for type %.32s%s", r->type,
             c->mode == KAVRO_RULE_UPGRADE || c->mode == KAVRO_RULE_DOWNGRADE
                 ? " (a migration rule needs one registered with "
                   "kavro_conf_add_rule_executor())"
                 : "");
    return unexecutable(r, why, c->what, c->verdict);
  }
  if (!r->executor) {
    *keep = false; /* onFailure NONE: what Java does, nothing */
    return KAVRO_OK;
  }
  const kv_builtin_t *builtin = kv_builtin_of(r->executor);
  return builtin ? builtin->prepare(c->set, r, c->verdict) : KAVRO_OK;
}

/* Compile the rule list @member of the rule set into @c->set->list (its
 * encoding list for encodingRules), appended, in the order they run
 * (reversed for READ and DOWNGRADE). */
static kavro_err_t compile_list(kv_compile_t *c, const char *member_name,
                                bool reverse) {
  const json_t *rules = json_object_get(c->set->rule_set, member_name);
  if (!rules || json_is_null(rules))
    return KAVRO_OK;
  if (!json_is_array(rules) || json_array_size(rules) > KV_RULES_MAX)
    return malformed(c->verdict, c->what, "a rule list is not an array");
  size_t n = json_array_size(rules);
  kv_rule_list_t *list = c->encoding ? &c->set->encoding : &c->set->list;
  kv_rule_t *grown = realloc(list->rules, (list->count + n + 1) * sizeof(*grown));
  if (!grown)
    return kv_error_set(c->verdict, KAVRO_ERR_NOMEM, "out of memory");
  list->rules = grown;
  size_t base = list->count;
  for (size_t i = 0; i < n; i++) {
    kv_rule_t r = {0};
    bool keep;
    kavro_err_t err = compile_rule(c, json_array_get(rules, i), &r, &keep);
    if (err != KAVRO_OK || !keep) {
      rule_clear(&r);
      if (err != KAVRO_OK)
        return err;
      continue;
    }
    /* In the rule set's order, a field transform whose tags an earlier
     * one of its type has is not run (FieldRuleExecutor.transform()). */
    for (size_t j = base; j < list->count && !r.shadowed; j++)
      r.shadowed = r.executor &&
                   ((const kavro_rule_executor_t *)r.executor->data)
                       ->execute_field &&
                   transforms_with_same_tags(&r, &list->rules[j]);
    c->set->transforms |= r.kind == KAVRO_RULE_TRANSFORM && !c->encoding;
    list->rules[list->count++] = r;
  }
  if (reverse)
    for (size_t i = base, j = list->count; i + 1 < j; i++, j--) {
      kv_rule_t t = list->rules[i];
      list->rules[i] = list->rules[j - 1];
      list->rules[j - 1] = t;
    }
  return KAVRO_OK;
}

/* ---- field tags -------------------------------------------------------------- */

/* Java's WildcardMatcher: `**` any run, `*` any run without '.', `?` one
 * character but '.', `\\` takes the next character as it is ("**.*" is
 * "**").  Matched token by token over a row of the string's positions, so
 * that a pattern from the registry costs its length times the name's,
 * whatever its stars. */
static bool wildcard(const char *p, const char *s) {
  size_t n = strlen(s);
  bool *row = calloc(2 * (n + 1), sizeof(*row));
  if (!row)
    return false;
  bool *old = row, *cur = row + n + 1;
  old[0] = true; /* the empty pattern matches the empty prefix */
  while (*p) {
    enum { LIT, ONE, STAR, DSTAR } kind = LIT;
    char c = *p++;
    if (c == '*' && *p == '*') {
      kind = DSTAR;
      p++;
      if (p[0] == '.' && p[1] == '*' && p[2] != '*')
        p += 2;
    } else if (c == '*') {
      kind = STAR;
    } else if (c == '?') {
      kind = ONE;
    } else if (c == '\\' && *p) {
      c = *p++;
    }
    for (size_t j = 0; j <= n; j++) {
      bool prev = j > 0 && old[j - 1];
      char at = j > 0 ? s[j - 1] : '\0';
      switch (kind) {
      case DSTAR:
        cur[j] = old[j] || (j > 0 && cur[j - 1]);
        break;
      case STAR:
        cur[j] = old[j] || (j > 0 && cur[j - 1] && at != '.');
        break;
      case ONE:
        cur[j] = prev && at != '.';
        break;
      case LIT:
        cur[j] = prev && at == c;
        break;
      }
    }
    bool *t = old;
    old = cur;
    cur = t;
  }
  bool matched = old[n];
  free(row);
  return matched;
}

static bool has_tag(const char **tags, size_t n, const char *tag) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(tags[i], tag) == 0)
      return true;
  return false;
}

/* Append the strings of JSON array @array to @tags (no duplicates). */
static bool add_tags(const char ***tags, size_t *n, const json_t *array) {
  size_t more = json_is_array(array) ? json_array_size(array) : 0;
  if (!more)
    return true;
  const char **grown = realloc(*tags, (*n + more) * sizeof(*grown));
  if (!grown)
    return false;
  *tags = grown;
  for (size_t i = 0; i < more; i++) {
    const json_t *t = json_array_get(array, i);
    if (json_is_string(t) && !has_tag(grown, *n, json_string_value(t)))
      grown[(*n)++] = json_string_value(t);
  }
  return true;
}

typedef struct kv_tag_walk_s {
  kv_ruleset_t *set;
  const json_t *paths; /* metadata.tags, or NULL */
  const kv_node_t **seen;
  size_t seen_count;
  bool failed;
} kv_tag_walk_t;

static void tag_node(kv_tag_walk_t *w, const kv_node_t *node);

static void tag_field(kv_tag_walk_t *w, const kv_node_t *record,
                      const kv_field_t *f) {
  const char **tags = NULL;
  size_t n = 0;
  bool ok = add_tags(&tags, &n, json_object_get(f->props, "confluent:tags"));
  if (ok && w->paths) {
    char full[KAVRO_ERROR_TEXT_LENGTH];
    snprintf(full, sizeof(full), "%s.%s", record->fullname, f->name);
    const char *path;
    const json_t *list;
    json_object_foreach((json_t *)w->paths, path, list) if (
        ok && wildcard(path, full)) ok = add_tags(&tags, &n, list);
  }
  kv_ruleset_t *set = w->set;
  kv_field_tags_t *grown = ok && n ? realloc(set->field_tags,
                                             (set->field_tag_count + 1) *
                                                 sizeof(*grown))
                                   : NULL;
  if (!ok || (n && !grown)) {
    free(tags);
    w->failed = true;
    return;
  }
  if (n) {
    set->field_tags = grown;
    grown[set->field_tag_count++] = (kv_field_tags_t){f, tags, n};
  } else {
    free(tags);
  }
}

static void tag_node(kv_tag_walk_t *w, const kv_node_t *node) {
  if (!node || w->failed)
    return;
  switch (node->type) {
  case KAVRO_RECORD: {
    for (size_t i = 0; i < w->seen_count; i++)
      if (w->seen[i] == node)
        return;
    const kv_node_t **grown =
        realloc(w->seen, (w->seen_count + 1) * sizeof(*grown));
    if (!grown) {
      w->failed = true;
      return;
    }
    w->seen = grown;
    grown[w->seen_count++] = node;
    for (size_t i = 0; i < node->field_count; i++) {
      tag_field(w, node, &node->fields[i]);
      tag_node(w, node->fields[i].type);
    }
    return;
  }
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    tag_node(w, node->items);
    return;
  case KAVRO_UNION:
    for (size_t i = 0; i < node->branch_count; i++)
      tag_node(w, node->branches[i]);
    return;
  default:
    return;
  }
}

static int by_field(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const kv_field_tags_t *)a)->field;
  uintptr_t y = (uintptr_t)((const kv_field_tags_t *)b)->field;
  return x < y ? -1 : x > y;
}

const kv_field_tags_t *kv_ruleset_field_tags(const kv_ruleset_t *set,
                                             const kv_field_t *field) {
  kv_field_tags_t key = {field, NULL, 0};
  if (!set->field_tag_count)
    return NULL;
  return bsearch(&key, set->field_tags, set->field_tag_count,
                 sizeof(key), by_field);
}

bool kv_ruleset_compile_tags(kv_ruleset_t *set) {
  kv_tag_walk_t w = {set, NULL, NULL, 0, false};
  const json_t *paths = json_object_get(set->metadata, "tags");
  w.paths = json_is_object(paths) ? paths : NULL;
  tag_node(&w, kv_schema_root(set->schema));
  free(w.seen);
  if (!w.failed && set->field_tag_count)
    qsort(set->field_tags, set->field_tag_count, sizeof(*set->field_tags),
          by_field);
  return !w.failed;
}

/* ---- compiling -------------------------------------------------------------- */

static kavro_err_t compile_phases(kv_compile_t *c) {
  kavro_err_t err = KAVRO_OK;
  switch (c->mode) {
  case KAVRO_RULE_WRITE:
    /* Java runs the domain rules, encodes, then the encoding rules. */
    err = compile_list(c, "domainRules", false);
    c->encoding = true;
    if (err == KAVRO_OK)
      err = compile_list(c, "encodingRules", false);
    break;
  case KAVRO_RULE_READ:
    /* ... and on read decodes with the encoding rules first. */
    c->encoding = true;
    err = compile_list(c, "encodingRules", true);
    c->encoding = false;
    if (err == KAVRO_OK)
      err = compile_list(c, "domainRules", true);
    break;
  default:
    err = compile_list(c, "migrationRules", c->mode == KAVRO_RULE_DOWNGRADE);
  }
  c->encoding = false;
  return err;
}

kavro_err_t kv_ruleset_make(const kv_rules_t *engine,
                            const kavro_schema_info_t *info,
                            kavro_schema_t *target, kavro_schema_t *source,
                            const char *subject,
                            kavro_rule_mode_t mode, const char *what,
                            kv_ruleset_t **setp, kavro_error_t *error) {
  *setp = NULL;
  const char *text = kavro_schema_info_rule_set(info);
  if (!text)
    return KAVRO_OK;
  kv_ruleset_t *set = calloc(1, sizeof(*set));
  if (!set || !(set->subject = strdup(subject ? subject : ""))) {
    free(set);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  set->engine = engine;
  set->list.mode = mode;
  set->encoding.mode = mode;
  set->schema =
      kavro_schema_dup(target ? target : kavro_schema_info_schema(info));
  set->source = source ? kavro_schema_dup(source) : NULL;
  const char *meta = kavro_schema_info_metadata(info);
  set->metadata = meta ? json_loads(meta, 0, NULL) : NULL;
  set->rule_set = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
  kavro_error_t verdict;
  kv_error_clear(&verdict);
  kv_compile_t c = {set, mode, what, false, &verdict};
  kavro_err_t err = json_is_object(set->rule_set)
                        ? compile_phases(&c)
                        : malformed(&verdict, what, "not a JSON object");
  if (err == KAVRO_OK && set->list.count && !kv_ruleset_compile_tags(set))
    err = kv_error_set(&verdict, KAVRO_ERR_NOMEM, "out of memory");
  if (err == KAVRO_OK && set->list.count)
    err = kv_rewrite_compile(set, &verdict);
  if (err == KAVRO_ERR_NOMEM) {
    kv_ruleset_destroy(set);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  if (err != KAVRO_OK) {
    if (refuse(set, &verdict, error) != KAVRO_OK) {
      kv_ruleset_destroy(set);
      return KAVRO_ERR_NOMEM;
    }
  } else if (!set->list.count && !set->encoding.count) {
    kv_ruleset_destroy(set); /* nothing to run: no rule set at all */
    return KAVRO_OK;
  }
  kv_metric_count(KV_M_RULE_SETS_COMPILED);
  *setp = set;
  return KAVRO_OK;
}

kavro_err_t kv_ruleset_compile(const kv_rules_t *rules,
                               const kavro_schema_info_t *info,
                               const char *subject, kv_rule_dir_t dir,
                               const char *what, kv_ruleset_t **setp,
                               kavro_error_t *error) {
  return kv_ruleset_make(rules, info, NULL, NULL, subject,
                         dir == KV_RULE_WRITE ? KAVRO_RULE_WRITE
                                              : KAVRO_RULE_READ,
                         what, setp, error);
}
