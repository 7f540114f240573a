/*
 * kavro - running a compiled rule set over a message (rules_int.h), as
 * Java's AbstractKafkaSchemaSerDe.executeRules() does: each rule's
 * executor, then its onSuccess or onFailure action; field executors over
 * the fields whose tags meet the rule's (AvroSchema.transformMessage());
 * and migrations between versions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "rules_model_int.h"

/* Most versions a migration walks through. */
#define KV_MIGRATION_MAX_VERSIONS 1000

static const kavro_rule_executor_t *executor_of(const kv_rule_t *r) {
  return r->executor->data;
}

/* ---- actions ------------------------------------------------------------------ */

/* The failure of a rule after @action: what the ERROR action reports,
 * and any action that gave no reason of its own. */
static kavro_err_t rule_error(const kavro_rule_ctx_t *ctx, const char *path,
                              const kavro_error_t *cause, const char *action,
                              kavro_error_t *error) {
  const kv_rule_t *r = ctx->rule;
  kv_error_set(error, KAVRO_ERR_RULE,
               "rule \"%.100s\" (%s, %.32s) failed on %s at %.200s, action "
               "%.64s: %.300s",
               r->name, kavro_rule_kind_name(r->kind), r->type,
               kavro_rule_mode_name(ctx->set->list.mode),
               *path ? path : "the message", action,
               cause && *cause->text ? cause->text : "no reason given");
  kv_error_set_path(error, path);
  kv_error_set_source(error, kavro_rule_ctx_subject(ctx));
  return KAVRO_ERR_RULE;
}

/* Run the action @action (this direction's, "" unset: the default
 * @fallback, NULL for none) after the rule of @ctx. */
static kavro_err_t run_action(kavro_rule_ctx_t *ctx, const char *action,
                              const char *fallback, const avro_value_t *message,
                              const char *path, const kavro_error_t *cause,
                              kavro_error_t *error) {
  const kv_rule_t *r = ctx->rule;
  const char *name = *action ? action : NULL;
  if (!name)
    name = fallback;
  if (!name || strcmp(name, "NONE") == 0)
    return KAVRO_OK;
  if (strcmp(name, "ERROR") == 0)
    return rule_error(ctx, path, cause, name, error);
  const kv_conf_plugin_t *p = kv_rules_action(ctx->set->engine, name);
  if (!p)
    return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                        "rule \"%.100s\" names the action %.64s, which is "
                        "not registered",
                        r->name, name);
  const kv_action_reg_t *reg = p->data;
  kavro_rule_ctx_t actx = *ctx;
  actx.plugin = p;
  actx.config_prefix = "rule.actions";
  kv_error_clear(error);
  kavro_err_t err = reg->cb(reg->opaque, &actx, message, cause, error);
  if (err != KAVRO_OK && error) {
    if (error->code == KAVRO_OK || !*error->text)
      rule_error(ctx, path, cause, name, error);
    error->code = err;
    if (!*error->path)
      kv_error_set_path(error, path);
    if (!*error->source)
      kv_error_set_source(error, kavro_rule_ctx_subject(ctx));
  }
  return err;
}

/* The cause of a condition that came out false (Java's
 * RuleConditionException). */
static void condition_failed(const kv_rule_t *r, kavro_error_t *cause) {
  if (r->expr)
    kv_error_set(cause, KAVRO_ERR_RULE, "Expr failed: '%.300s'", r->expr);
  else
    kv_error_set(cause, KAVRO_ERR_RULE, "Condition failed: '%.100s'", r->name);
}

/* The action after a rule ran: onSuccess, or onFailure when it failed
 * (@failed, with @cause). */
static kavro_err_t after_rule(kavro_rule_ctx_t *ctx, bool failed,
                              const avro_value_t *message, const char *path,
                              kavro_error_t *cause, kavro_error_t *error) {
  if (!failed)
    return run_action(ctx, ctx->rule->on_success, NULL, message, path, NULL,
                      error);
  if (!*cause->text)
    condition_failed(ctx->rule, cause);
  return run_action(ctx, ctx->rule->on_failure, "ERROR", message, path, cause,
                    error);
}

/* ---- field executors -------------------------------------------------------- */

/* One step of the walk's path: a field's or map key's name, or an array
 * index when @name is NULL.  Rendered as text only for a failure. */
typedef struct kv_step_s {
  const char *name;
  size_t index;
} kv_step_t;

/* Steps kept; deeper ones are walked but left out of a failure's path. */
#define KV_WALK_STEPS 64

typedef struct kv_walk_s {
  kavro_rule_ctx_t *ctx;
  const kavro_rule_executor_t *x;
  kavro_error_t *cause;
  kavro_err_t err; /* the executor's failure */
  bool passed;
  size_t depth;
  kv_step_t steps[KV_WALK_STEPS];
  char *failed_at; /* the path of the failure (KAVRO_ERROR_PATH_LENGTH) */
} kv_walk_t;

/* A field as the walk hands it down: the executor's view, and what its
 * full name is made of, made only when an executor is called. */
typedef struct kv_walk_field_s {
  kavro_rule_field_t field;
  const char *record; /* the record's full name */
  char full_name[512];
} kv_walk_field_t;

static const char *type_name(const kv_node_t *node) {
  switch (node->type) {
  case KAVRO_NULL:
    return "NULL";
  case KAVRO_BOOLEAN:
    return "BOOLEAN";
  case KAVRO_INT:
    return "INT";
  case KAVRO_LONG:
    return "LONG";
  case KAVRO_FLOAT:
    return "FLOAT";
  case KAVRO_DOUBLE:
    return "DOUBLE";
  case KAVRO_BYTES:
    return "BYTES";
  case KAVRO_STRING:
    return "STRING";
  case KAVRO_RECORD:
    return "RECORD";
  case KAVRO_ENUM:
    return "ENUM";
  case KAVRO_ARRAY:
    return "ARRAY";
  case KAVRO_MAP:
    return "MAP";
  case KAVRO_UNION:
    return "COMBINED";
  case KAVRO_FIXED:
    return "FIXED";
  }
  return "NULL";
}

static bool is_primitive(const kv_node_t *node) {
  return node->type <= KAVRO_STRING;
}

bool kv_rule_meets(const char *const *tags, size_t n, const kv_rule_t *r) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < r->tag_count; j++)
      if (strcmp(tags[i], r->tags[j]) == 0)
        return true;
  return false;
}

static void step_push(kv_walk_t *w, const char *name, size_t index) {
  if (w->depth < KV_WALK_STEPS)
    w->steps[w->depth] = (kv_step_t){name, index};
  w->depth++;
}

static void step_pop(kv_walk_t *w) { w->depth--; }

/* The walk's path as a JSON pointer ('~' as ~0, '/' as ~1) into @out
 * (KAVRO_ERROR_PATH_LENGTH bytes, cut where it does not fit). */
static void render_path(const kv_walk_t *w, char *out) {
  size_t n = 0, room = KAVRO_ERROR_PATH_LENGTH - 1;
  size_t steps = w->depth < KV_WALK_STEPS ? w->depth : KV_WALK_STEPS;
  for (size_t i = 0; i < steps && n < room; i++) {
    char index[24];
    const char *s = w->steps[i].name;
    if (!s) {
      snprintf(index, sizeof(index), "%zu", w->steps[i].index);
      s = index;
    }
    out[n++] = '/';
    for (; *s && n + 2 <= room; s++) {
      if (*s == '~' || *s == '/') {
        out[n++] = '~';
        out[n++] = *s == '~' ? '0' : '1';
      } else {
        out[n++] = *s;
      }
    }
  }
  out[n] = '\0';
}

static void walk(kv_walk_t *w, const kv_node_t *node, avro_value_t *value,
                 kv_walk_field_t *field, bool in_collection);

static void walk_record(kv_walk_t *w, const kv_node_t *node,
                        avro_value_t *value, kv_walk_field_t *outer) {
  const kv_rule_t *r = w->ctx->rule;
  for (size_t i = 0; i < node->field_count && !w->err && w->passed; i++) {
    const kv_field_t *f = &node->fields[i];
    avro_value_t child;
    if (avro_value_get_by_index(value, i, &child, NULL) != 0)
      continue;
    const kv_field_tags_t *ft = kv_ruleset_field_tags(w->ctx->set, f);
    const char *const *tags = ft ? ft->tags : NULL;
    size_t tag_count = ft ? ft->count : 0;
    /* Member by member: an initializer would clear full_name. */
    kv_walk_field_t mine;
    mine.field = (kavro_rule_field_t){f->name, NULL, type_name(f->type), tags,
                                      tag_count, value};
    mine.record = node->fullname;
    /* Java's enterField(): a primitive field whose tags miss the rule's
     * gets no context of its own; the enclosing field's stays current. */
    bool own = !is_primitive(f->type) || !r->tag_count ||
               kv_rule_meets(tags, tag_count, r);
    step_push(w, f->name, 0);
    walk(w, f->type, &child, own ? &mine : outer, false);
    step_pop(w);
  }
}

static void walk_items(kv_walk_t *w, const kv_node_t *node,
                       avro_value_t *value, kv_walk_field_t *field) {
  size_t n = 0;
  avro_value_get_size(value, &n);
  for (size_t i = 0; i < n && !w->err && w->passed; i++) {
    avro_value_t item;
    const char *key = NULL;
    if (avro_value_get_by_index(value, i, &item, &key) != 0)
      continue;
    step_push(w, node->type == KAVRO_MAP ? key : NULL, i);
    walk(w, node->items, &item, field, true);
    step_pop(w);
  }
}

/* "RECORD.FIELD" into @wf's buffer (cut to fit): without printf, which
 * would cost as much as the rest of the walk. */
static const char *full_name(kv_walk_field_t *wf) {
  size_t room = sizeof(wf->full_name) - 1;
  size_t r = strlen(wf->record), f = strlen(wf->field.name);
  if (r > room)
    r = room;
  memcpy(wf->full_name, wf->record, r);
  size_t n = r;
  if (n < room)
    wf->full_name[n++] = '.';
  if (f > room - n)
    f = room - n;
  memcpy(wf->full_name + n, wf->field.name, f);
  wf->full_name[n + f] = '\0';
  return wf->full_name;
}

static void walk_leaf(kv_walk_t *w, const kv_node_t *node, avro_value_t *value,
                      kv_walk_field_t *wf, bool in_collection) {
  const kv_rule_t *r = w->ctx->rule;
  kavro_rule_field_t *field = wf ? &wf->field : NULL;
  if (!field ||
      (r->tag_count && !kv_rule_meets(field->tags, field->tag_count, r)))
    return;
  field->type_name = type_name(node);
  if (!field->full_name)
    field->full_name = full_name(wf);
  bool passed = true;
  kavro_err_t err = w->x->execute_field(w->x->opaque, w->ctx, field, value,
                                        &passed, w->cause);
  /* A failed condition on an array item or map value is lost in Java's
   * walk (the list of verdicts is not FALSE): kept so. */
  if (err != KAVRO_OK)
    w->err = err;
  else if (r->kind == KAVRO_RULE_CONDITION && !passed && !in_collection)
    w->passed = false;
  if (w->err != KAVRO_OK || !w->passed)
    render_path(w, w->failed_at);
}

static void walk(kv_walk_t *w, const kv_node_t *node, avro_value_t *value,
                 kv_walk_field_t *field, bool in_collection) {
  if (field)
    field->field.type_name = type_name(node);
  switch (node->type) {
  case KAVRO_RECORD:
    walk_record(w, node, value, field);
    return;
  case KAVRO_ARRAY:
  case KAVRO_MAP:
    walk_items(w, node, value, field);
    return;
  case KAVRO_UNION: {
    int d = -1;
    avro_value_t branch;
    if (avro_value_get_discriminant(value, &d) != 0 || d < 0 ||
        (size_t)d >= node->branch_count ||
        avro_value_get_current_branch(value, &branch) != 0)
      return;
    walk(w, node->branches[d], &branch, field, in_collection);
    return;
  }
  default:
    walk_leaf(w, node, value, field, in_collection);
  }
}

/* ---- running ------------------------------------------------------------------- */

/* Field by field: an initializer would clear the lookup scratch on every
 * message. */
void kv_rule_ctx_init(kavro_rule_ctx_t *ctx, const kv_ruleset_t *set,
                      const kv_rule_t *r, const kv_rule_call_t *call) {
  ctx->set = set;
  ctx->rule = r;
  ctx->call = call;
  ctx->plugin = r->executor;
  ctx->config_prefix = "rule.executors";
  ctx->config_key[0] = '\0';
}

const kavro_header_t *kv_rule_replay_header(const kv_rule_call_t *call) {
  const kavro_record_t *record = call->record;
  for (size_t i = record && record->headers ? record->header_count : 0;
       i-- > 0;) {
    const kavro_header_t *h = &record->headers[i];
    if (h->name && strcmp(h->name, KAVRO_RULE_HEADER_NAME) == 0)
      return h;
  }
  return NULL;
}

bool kv_rule_replayed(const kavro_header_t *replay, const kv_rule_t *r) {
  if (!replay || !replay->value || !r->name)
    return false;
  size_t n = strlen(r->name);
  return replay->size == n && memcmp(replay->value, r->name, n) == 0;
}

/* Run the field executor of @ctx->rule over @message; true when it
 * failed, with the path of the failure in @failed_at. */
static bool run_fields(kavro_rule_ctx_t *ctx, avro_value_t *message,
                       kavro_error_t *cause,
                       char failed_at[KAVRO_ERROR_PATH_LENGTH]) {
  const kv_rule_t *r = ctx->rule;
  kv_walk_t w;
  w.ctx = ctx;
  w.x = executor_of(r);
  w.cause = cause;
  w.err = KAVRO_OK;
  w.passed = true;
  w.depth = 0;
  w.failed_at = failed_at;
  failed_at[0] = '\0';
  walk(&w, kv_schema_root(ctx->set->schema), message, NULL, false);
  if (w.err != KAVRO_OK && !*cause->text)
    kv_error_set(cause, w.err, "the %s executor failed", r->type);
  return w.err != KAVRO_OK || !w.passed;
}

/* Run rule @ctx->rule over @message: its executor, then its action. */
static kavro_err_t run_rule(kavro_rule_ctx_t *ctx, avro_value_t *message,
                            kavro_error_t *error) {
  const kv_rule_t *r = ctx->rule;
  const kavro_rule_executor_t *x = executor_of(r);
  kavro_error_t cause;
  kv_error_clear(&cause);
  bool failed = false;
  char path[KAVRO_ERROR_PATH_LENGTH];
  path[0] = '\0';
  if (r->shadowed) {
    /* Java's FieldRuleExecutor returns the message as it is: a success. */
  } else if (x->execute_field) {
    failed = run_fields(ctx, message, &cause, path);
  } else {
    bool passed = true;
    kavro_err_t err = x->execute(x->opaque, ctx, message, &passed, &cause);
    failed = err != KAVRO_OK || (r->kind == KAVRO_RULE_CONDITION && !passed);
    if (err != KAVRO_OK && !*cause.text)
      kv_error_set(&cause, err, "the %s executor failed", r->type);
    /* The executor's path of the value at fault (a CEL transform's). */
    if (failed)
      snprintf(path, sizeof path, "%s", cause.path);
  }
  return after_rule(ctx, failed, message, path, &cause, error);
}

kavro_err_t kv_ruleset_run(const kv_ruleset_t *set, const kv_rule_call_t *call,
                           avro_value_t *message, kavro_error_t *error) {
  if (!set)
    return KAVRO_OK;
  if (set->refusal) {
    if (error)
      *error = *set->refusal;
    return set->refusal->code;
  }
  const kavro_header_t *replay = kv_rule_replay_header(call);
  for (size_t i = 0; i < set->list.count; i++) {
    if (kv_rule_replayed(replay, &set->list.rules[i]))
      continue;
    kavro_rule_ctx_t ctx;
    kv_rule_ctx_init(&ctx, set, &set->list.rules[i], call);
    kavro_err_t err = run_rule(&ctx, message, error);
    if (err != KAVRO_OK)
      return err;
  }
  return KAVRO_OK;
}

/* ---- encoding rules ---------------------------------------------------------------- */

kavro_err_t kv_ruleset_run_payload(const kv_ruleset_t *set,
                                   const kv_rule_call_t *call,
                                   const unsigned char *in, size_t size,
                                   kavro_buf_t *bufs[2],
                                   const unsigned char **outp,
                                   size_t *out_sizep, kavro_error_t *error) {
  *outp = in;
  *out_sizep = size;
  if (!set)
    return KAVRO_OK;
  if (set->refusal) {
    if (error)
      *error = *set->refusal;
    return set->refusal->code;
  }
  const kavro_header_t *replay = kv_rule_replay_header(call);
  for (size_t i = 0; i < set->encoding.count; i++) {
    const kv_rule_t *r = &set->encoding.rules[i];
    if (kv_rule_replayed(replay, r))
      continue;
    /* The rule's context sees the payload it runs over (a DLQ action
     * sends it). */
    kv_rule_call_t payload_call = *call;
    payload_call.payload = *outp;
    payload_call.payload_size = *out_sizep;
    kavro_rule_ctx_t ctx;
    kv_rule_ctx_init(&ctx, set, r, &payload_call);
    /* Each rule writes the buffer the one before did not. */
    kavro_buf_t *dst = bufs[i % 2];
    kavro_error_t cause;
    kv_error_clear(&cause);
    kavro_err_t err = kv_builtin_of(r->executor)->payload(&ctx, *outp,
                                                          *out_sizep, dst,
                                                          &cause);
    if (err != KAVRO_OK && !*cause.text)
      kv_error_set(&cause, err, "the %s executor failed", r->type);
    kavro_err_t verdict = after_rule(&ctx, err != KAVRO_OK, NULL, "", &cause,
                                     error);
    if (verdict != KAVRO_OK)
      return verdict;
    if (err == KAVRO_OK) {
      *outp = kavro_buf_data(dst);
      *out_sizep = kavro_buf_length(dst);
    }
  }
  return KAVRO_OK;
}

/* ---- migrations ------------------------------------------------------------------ */

void kv_migration_destroy(kv_migration_t *mig) {
  if (!mig)
    return;
  for (size_t i = 0; i < mig->count; i++)
    kv_ruleset_destroy(mig->steps[i]);
  free(mig->steps);
  free(mig);
}

static void infos_free(kavro_schema_info_t **infos, size_t n) {
  for (size_t i = 0; i < n; i++)
    kavro_schema_info_destroy(infos[i]);
  free(infos);
}

/* The migration steps between the versions @infos (oldest first). */
static kavro_err_t make_steps(const kv_rules_t *engine, const char *subject,
                              kavro_schema_info_t **infos, size_t n,
                              kavro_rule_mode_t mode, kv_migration_t *mig,
                              kavro_error_t *error) {
  if (!(mig->steps = calloc(n, sizeof(*mig->steps))))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  for (size_t i = 1; i < n; i++) {
    kavro_schema_t *previous = kavro_schema_info_schema(infos[i - 1]);
    kavro_schema_t *current = kavro_schema_info_schema(infos[i]);
    char what[KAVRO_ERROR_SOURCE_LENGTH];
    snprintf(what, sizeof(what), "version %d of subject %.180s",
             kavro_schema_info_version(infos[i]), subject);
    kv_ruleset_t *step = NULL;
    /* Java's Migration: an upgrade runs the newer version's rules into
     * it; a downgrade runs them (reversed) from it into the older. */
    kavro_err_t err =
        mode == KAVRO_RULE_UPGRADE
            ? kv_ruleset_make(engine, infos[i], NULL, previous, subject, mode,
                              what, &step, error)
            : kv_ruleset_make(engine, infos[i], previous, current, subject,
                              mode, what, &step, error);
    if (err != KAVRO_OK)
      return err;
    if (step)
      mig->steps[mig->count++] = step;
  }
  if (mode == KAVRO_RULE_DOWNGRADE)
    for (size_t i = 0, j = mig->count; i + 1 < j; i++, j--) {
      kv_ruleset_t *t = mig->steps[i];
      mig->steps[i] = mig->steps[j - 1];
      mig->steps[j - 1] = t;
    }
  return KAVRO_OK;
}

kavro_err_t kv_migration_new(const kv_rules_t *rules,
                             kavro_registry_t *registry, const char *subject,
                             const kavro_schema_info_t *writer_info,
                             const kavro_schema_info_t *reader_info,
                             kv_migration_t **migp, kavro_error_t *error) {
  *migp = NULL;
  int reader_version = kavro_schema_info_version(reader_info);
  /* The writer's version under the subject: its schema and contract
   * looked up there (the contract tells versions of one schema apart). */
  kavro_schema_contract_t contract = {kavro_schema_info_metadata(writer_info),
                                      kavro_schema_info_rule_set(writer_info)};
  kavro_schema_info_t *found = NULL;
  kavro_err_t err = kavro_registry_lookup_contract(
      registry, subject, kavro_schema_info_schema(writer_info), NULL, 0, false,
      &contract, &found, error);
  int writer_version = found ? kavro_schema_info_version(found) : 0;
  kavro_schema_info_destroy(found);
  if (err != KAVRO_OK)
    return err;
  if (!reader_version || !writer_version || writer_version == reader_version)
    return KAVRO_OK;
  kavro_rule_mode_t mode = writer_version < reader_version
                               ? KAVRO_RULE_UPGRADE
                               : KAVRO_RULE_DOWNGRADE;
  int first = mode == KAVRO_RULE_UPGRADE ? writer_version : reader_version;
  int last = mode == KAVRO_RULE_UPGRADE ? reader_version : writer_version;
  if (last - first >= KV_MIGRATION_MAX_VERSIONS)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "a migration from version %d to %d of %s walks more "
                        "than %d versions",
                        writer_version, reader_version, subject,
                        KV_MIGRATION_MAX_VERSIONS);
  size_t n = (size_t)(last - first) + 1;
  kavro_schema_info_t **infos = calloc(n, sizeof(*infos));
  if (!infos)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n && err == KAVRO_OK; i++)
    err = kavro_registry_version_info(registry, subject, first + (int)i,
                                      &infos[i], error);
  kv_migration_t *mig = err == KAVRO_OK ? calloc(1, sizeof(*mig)) : NULL;
  if (err == KAVRO_OK && !mig)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  if (err == KAVRO_OK)
    err = make_steps(rules, subject, infos, n, mode, mig, error);
  infos_free(infos, n);
  if (err != KAVRO_OK || !mig->count) {
    kv_migration_destroy(mig);
    return err;
  }
  *migp = mig;
  return KAVRO_OK;
}

/* One migration rule over *@jsonp. */
static kavro_err_t migrate_rule(kavro_rule_ctx_t *ctx, char **jsonp,
                                kavro_error_t *error) {
  const kv_rule_t *r = ctx->rule;
  const kavro_rule_executor_t *x = executor_of(r);
  kavro_error_t cause;
  kv_error_clear(&cause);
  bool passed = true;
  char *result = NULL;
  kavro_err_t err = x->migrate(x->opaque, ctx, *jsonp, &result, &passed, &cause);
  bool failed = err != KAVRO_OK;
  if (err != KAVRO_OK && !*cause.text)
    kv_error_set(&cause, err, "the %s executor failed", r->type);
  if (!failed && r->kind == KAVRO_RULE_TRANSFORM) {
    if (result) {
      free(*jsonp);
      *jsonp = result;
      result = NULL;
    } else {
      failed = true;
      kv_error_set(&cause, KAVRO_ERR_RULE, "the %s executor gave no message",
                   r->type);
    }
  } else if (!failed && r->kind == KAVRO_RULE_CONDITION) {
    failed = !passed;
  }
  free(result);
  return after_rule(ctx, failed, NULL, "", &cause, error);
}

kavro_err_t kv_migration_run(const kv_migration_t *mig,
                             const kv_rule_call_t *call, char **jsonp,
                             kavro_error_t *error) {
  for (size_t s = 0; mig && s < mig->count; s++) {
    const kv_ruleset_t *set = mig->steps[s];
    if (set->refusal) {
      if (error)
        *error = *set->refusal;
      return set->refusal->code;
    }
    const kavro_header_t *replay = kv_rule_replay_header(call);
    for (size_t i = 0; i < set->list.count; i++) {
      if (kv_rule_replayed(replay, &set->list.rules[i]))
        continue;
      kavro_rule_ctx_t ctx;
      kv_rule_ctx_init(&ctx, set, &set->list.rules[i], call);
      kavro_err_t err = migrate_rule(&ctx, jsonp, error);
      if (err != KAVRO_OK)
        return err;
    }
  }
  return KAVRO_OK;
}
