/*
 * kavro - the compiled rule model the rules part's files share
 * (rules_model.c compiles, rules_run.c runs, rules_api.c is the public
 * face: registration and the context's accessors).
 */
#ifndef KAVRO_RULES_MODEL_INT_H
#define KAVRO_RULES_MODEL_INT_H

#include <jansson.h>

#include "common_conf_int.h"
#include "rules_int.h"
#include "schema_int.h"

/* The kinds of registration rules keep in a conf (kv_conf_plugin_t). */
enum { KV_PLUGIN_EXECUTOR = 1, KV_PLUGIN_ACTION = 2, KV_PLUGIN_KMS = 3 };

/* A registered action (the data of a KV_PLUGIN_ACTION registration). */
typedef struct kv_action_reg_s {
  kavro_rule_action_cb_t cb;
  void *opaque;
} kv_action_reg_t;

struct kv_rules_s {
  const kavro_conf_t *conf;
  kavro_registry_t *registry; /* NULL: none (the rule-set checker's) */
};

/* The tags of a field, as the rule set's schema and metadata give them. */
typedef struct kv_field_tags_s {
  const kv_field_t *field;
  const char **tags; /* the strings live in the schema's or metadata's JSON */
  size_t count;
} kv_field_tags_t;

/* Longest action name, NUL included. */
#define KV_RULE_ACTION_MAX 64

/* One rule, resolved for a direction. */
typedef struct kv_rule_s {
  const char *name, *type, *expr; /* into the rule set's JSON; expr NULL */
  kavro_rule_kind_t kind;
  kavro_rule_mode_t mode;
  const char **tags;
  size_t tag_count;
  const json_t *params; /* object or NULL */
  /* The actions for this direction (one side of "A,B"); "" unset. */
  char on_success[KV_RULE_ACTION_MAX], on_failure[KV_RULE_ACTION_MAX];
  const kv_conf_plugin_t *executor;    /* NULL: none (onFailure NONE) */
  bool shadowed; /* a field transform an earlier one with its tags hides */
  /* What a built-in executor compiled for the rule (kv_builtin_t), freed
   * with @release. */
  void *prepared;
  void (*release)(void *prepared);
} kv_rule_t;

/* The rules of one schema for one direction or migration step. */
typedef struct kv_rule_list_s {
  kv_rule_t *rules;
  size_t count;
  kavro_rule_mode_t mode; /* what they run as: WRITE, READ, UPGRADE ... */
} kv_rule_list_t;

struct kv_ruleset_s {
  const kv_rules_t *engine;
  json_t *rule_set;       /* the parsed ruleSet (owns the rules' strings) */
  json_t *metadata;       /* the parsed metadata, or NULL */
  kavro_schema_t *schema; /* a reference: the target */
  kavro_schema_t *source; /* a reference: a migration's source, or NULL */
  char *subject;
  kv_rule_list_t list;     /* domain (or migration) rules */
  kv_rule_list_t encoding; /* encoding rules: over the payload bytes */
  kv_field_tags_t *field_tags; /* sorted by field address */
  size_t field_tag_count;
  bool transforms;
  kavro_error_t *refusal; /* NULL: runs */
  struct kv_rewrite_s *rewrite; /* NULL: the message is decoded for the
                                   rules (rules_rewrite.c) */
};

struct kv_migration_s {
  kv_ruleset_t **steps; /* in the order they run */
  size_t count;
  kavro_error_t *refusal;
};

/* What a callback is handed: the rule and the call. */
struct kavro_rule_ctx_s {
  const kv_ruleset_t *set;
  const kv_rule_t *rule;
  const kv_rule_call_t *call;
  /* The registration whose parameters kavro_rule_ctx_config() reads, and
   * its conf prefix ("rule.executors" or "rule.actions"). */
  const kv_conf_plugin_t *plugin;
  const char *config_prefix;
  char config_key[512]; /* scratch for the lookups */
};

/* An executor kavro has built in: registered like a user's, and
 * compiling each of its rules with the rule set. */
typedef struct kv_builtin_s {
  kv_conf_plugin_t plugin; /* its data: &executor */
  kavro_rule_executor_t executor;
  /* Compile @r (setting r->prepared and r->release) for @set; any other
   * return than KAVRO_OK is the verdict refusing the set, in @verdict. */
  kavro_err_t (*prepare)(const kv_ruleset_t *set, kv_rule_t *r,
                         kavro_error_t *verdict);
  /* The CEL variables its expressions may use, in binding order (NULL
   * for an executor without expressions). */
  const char *const *vars;
  size_t nvars;
  /* Whether @r can run at all (its parameters); false with @why when it
   * would fail on every message.  NULL: nothing to check. */
  bool (*check)(const kv_ruleset_t *set, const kv_rule_t *r,
                kavro_error_t *why);
  /* An encoding rule (encodingRules): @size bytes of @in become @out's
   * (emptied first).  NULL: the executor runs no encoding rule. */
  kavro_err_t (*payload)(const kavro_rule_ctx_t *ctx, const unsigned char *in,
                         size_t size, kavro_buf_t *out, kavro_error_t *error);
} kv_builtin_t;

/* A CEL rule's expression as the built-in executors split it (Java's
 * guard: the text before the first ';', unless the rule's parameter
 * `cel.ignore.guard.separator` is "true"): @guard (NULL when there is
 * none or it is blank) and @body, each with its length and its offset in
 * the expression. */
typedef struct kv_cel_part_s {
  const char *text;
  size_t length, offset;
} kv_cel_part_t;
void kv_cel_rule_split(const kv_ruleset_t *set, const kv_rule_t *r,
                       kv_cel_part_t *guard, kv_cel_part_t *body);

/* The built-in executors: CEL and CEL_FIELD (rules_cel_exec.c), ENCRYPT
 * and ENCRYPT_PAYLOAD (rules_encrypt.c). */
extern const kv_builtin_t kv_cel_builtin, kv_cel_field_builtin,
    kv_encrypt_builtin, kv_encrypt_payload_builtin;

/* The clock (milliseconds since the epoch) the ENCRYPT executor ages
 * DEKs by: a test moves it days ahead. */
extern int64_t (*kv_encrypt_clock)(void);

/* The built-in executor for rules of @type (matched without case), NULL
 * when none. */
const kv_builtin_t *kv_builtin_executor(const char *type);

/* The built-in executor @plugin is, NULL when it is a user's. */
const kv_builtin_t *kv_builtin_of(const kv_conf_plugin_t *plugin);

/* Compile the rules of @info's rule set that run as @mode (rules_model.c)
 * over messages of @target (NULL: @info's schema), migrated from @source
 * (NULL: none); used for rule sets and migration steps. */
kavro_err_t kv_ruleset_make(const kv_rules_t *engine,
                            const kavro_schema_info_t *info,
                            kavro_schema_t *target, kavro_schema_t *source,
                            const char *subject,
                            kavro_rule_mode_t mode, const char *what,
                            kv_ruleset_t **setp, kavro_error_t *error);

/* The tags of @field in @set (a sorted lookup), NULL when none. */
const kv_field_tags_t *kv_ruleset_field_tags(const kv_ruleset_t *set,
                                             const kv_field_t *field);

/* The executor registered for a rule of @type named @rule_name under
 * @subject, as Java's getRuleObject() picks it; NULL when none. */
const kv_conf_plugin_t *kv_rules_executor(const kv_rules_t *engine,
                                          const char *type,
                                          const char *subject,
                                          const char *rule_name);

/* The action registered as @type, NULL when none. */
const kv_conf_plugin_t *kv_rules_action(const kv_rules_t *engine,
                                        const char *type);

/* What rules_model.c compiles with, shared with the checker
 * (rules_check.c) so that both read a rule set alike. */

/* The mode called @text ("WRITE" ... "UPDOWN", as written), -1 when
 * there is none of that name. */
int kv_rule_mode_parse(const char *text);

/* The side of "A,B" an action of a WRITEREAD or UPDOWN rule takes when it
 * runs as @mode (Java's getRuleActionName()), into @buf ("" for NULL);
 * false when it does not fit. */
bool kv_rule_action_side(const char *action, kavro_rule_mode_t rule_mode,
                         kavro_rule_mode_t mode, char *buf, size_t size);

/* Whether executor @p fits rules run as @mode: a migration (UPGRADE,
 * DOWNGRADE) needs `migrate`, others one of the two message callbacks. */
bool kv_rule_executor_fits(const kv_conf_plugin_t *p, kavro_rule_mode_t mode);

/* Fill @set->field_tags with the tags of every field of @set->schema
 * (its `confluent:tags`, and the tags @set->metadata's `tags` paths give
 * it); false when out of memory. */
bool kv_ruleset_compile_tags(kv_ruleset_t *set);

/* The context of rule @r of @set for @call (rules_run.c). */
void kv_rule_ctx_init(kavro_rule_ctx_t *ctx, const kv_ruleset_t *set,
                      const kv_rule_t *r, const kv_rule_call_t *call);

/* Whether one of the @n @tags is one of @r's. */
bool kv_rule_meets(const char *const *tags, size_t n, const kv_rule_t *r);

/* The last `__rule.name` header of @call's record (NULL: none): found once
 * per call, then asked of each rule with kv_rule_replayed(). */
const kavro_header_t *kv_rule_replay_header(const kv_rule_call_t *call);

/* Whether @r is the rule @replay names: the message is one that rule sent
 * to a dead-letter topic, read (or written) again, and must not fail on it
 * a second time (Java's skipRule(), the Python client's replay check). */
bool kv_rule_replayed(const kavro_header_t *replay, const kv_rule_t *r);

/* ---- the one-pass rewrite of an encoded message (rules_rewrite.c) ---- */

typedef struct kv_rewrite_s kv_rewrite_t;

/* Set @set->rewrite when its domain rules can run over the encoded
 * message in one pass (kv_ruleset_rewrite()); left NULL otherwise.
 * Fails only when memory runs out. */
kavro_err_t kv_rewrite_compile(kv_ruleset_t *set, kavro_error_t *error);
void kv_rewrite_destroy(kv_rewrite_t *rw);

/* What the ENCRYPT executor lends the rewrite (rules_encrypt.c). */

/* Whether @r is run by kavro's own ENCRYPT executor with parameters it
 * can run with (a user's executor for ENCRYPT is not). */
bool kv_encrypt_rewritable(const kv_rule_t *r);

/* The producer's key of the rule of @ctx when it is published and
 * current, for kv_encrypt_seal_into(); NULL when the rule would have to
 * ask the registry (or make the next version) first. */
const void *kv_encrypt_warm_key(const kavro_rule_ctx_t *ctx);

/* Append to @out the Avro string (@string) or bytes the rule of @ctx
 * writes in place of the @n bytes of @plain, sealed with @key: exactly
 * what it stores in a generic value. */
kavro_err_t kv_encrypt_seal_into(const kavro_rule_ctx_t *ctx, const void *key,
                                 bool string, const unsigned char *plain,
                                 size_t n, kavro_buf_t *out,
                                 kavro_error_t *error);

#endif /* KAVRO_RULES_MODEL_INT_H */
