/*
 * kavro - data contract rules as the serializer and deserializer run them
 * (the public side: kavro/rules.h).
 *
 * A serializer or deserializer makes one kv_rules_t from its conf: the
 * executors and actions registered there and the rule properties.  When
 * it first meets a schema it compiles the schema's rule set for its
 * direction into a kv_ruleset_t (the rules that apply, in the order Java
 * runs them, each with its executor, actions and field tags resolved), or
 * nothing when no rule applies: the warm path without rules stays as it
 * was.  A rule set that cannot be executed (a rule without an executor
 * whose onFailure is not NONE, an encoding rule, a malformed rule set) is
 * compiled into a refusal reported for every message of the schema.
 */
#ifndef KAVRO_RULES_INT_H
#define KAVRO_RULES_INT_H

#include <avro.h>
#include <stdbool.h>

#include "kavro/codec.h"
#include "kavro/common.h"
#include "kavro/conf.h"
#include "kavro/registry.h"
#include "kavro/rules.h"

/* The direction a rule set is compiled for (Java's RuleMode of
 * AbstractKafkaSchemaSerDe.executeRules()). */
typedef enum kv_rule_dir_e { KV_RULE_WRITE, KV_RULE_READ } kv_rule_dir_t;

typedef struct kv_rules_s kv_rules_t;
typedef struct kv_ruleset_s kv_ruleset_t;
typedef struct kv_migration_s kv_migration_t;

/* The executors, actions and rule properties of @conf, and @registry (may
 * be NULL: no rule that needs one runs), where the ENCRYPT executor finds
 * its keys; both borrowed: they must outlive the result.  NULL when out of
 * memory. */
kv_rules_t *kv_rules_new(const kavro_conf_t *conf, kavro_registry_t *registry,
                         kavro_error_t *error);
void kv_rules_destroy(kv_rules_t *rules);

/*
 * Compile the rule set of @info (its ruleSet and metadata) for @dir under
 * @subject; @what names the schema in errors.  *@setp is NULL when no rule
 * applies.  Fails only when memory runs out: a rule set that cannot run is
 * compiled into a refusal (kv_ruleset_run() reports it).
 */
kavro_err_t kv_ruleset_compile(const kv_rules_t *rules,
                               const kavro_schema_info_t *info,
                               const char *subject, kv_rule_dir_t dir,
                               const char *what, kv_ruleset_t **setp,
                               kavro_error_t *error);
void kv_ruleset_destroy(kv_ruleset_t *set);

/* The refusal of @set (NULL: it runs). */
const kavro_error_t *kv_ruleset_refusal(const kv_ruleset_t *set);

/* The schema @set runs over. */
kavro_schema_t *kv_ruleset_schema(const kv_ruleset_t *set);

/* Whether running @set may change the message (a domain transform
 * applies). */
bool kv_ruleset_transforms(const kv_ruleset_t *set);

/* Whether @set has domain rules (or a refusal) to run over the message,
 * and whether it has encoding rules (or a refusal) to run over the
 * payload bytes. */
bool kv_ruleset_domain(const kv_ruleset_t *set);
bool kv_ruleset_encodes(const kv_ruleset_t *set);

/* What a call is about, beyond the rule set. */
typedef struct kv_rule_call_s {
  const char *topic; /* "" for none */
  bool is_key;
  const void *payload; /* on read: the payload as received */
  size_t payload_size;
  const char *subject; /* the call's subject; NULL or "": the set's */
  /* The record the message travels in, as the caller handed it (NULL:
   * none): its key and headers for the actions, its `__rule.name` header
   * for the rule not to run again, its flag for an action that
   * dead-lettered the message. */
  kavro_record_t *record;
} kv_rule_call_t;

/*
 * Run @set (may be NULL: KAVRO_OK) over @message, a generic value of the
 * schema the set was compiled for: its refusal, or each rule and its
 * action.  KAVRO_ERR_RULE (or what an action returned) when the message
 * is refused.
 */
kavro_err_t kv_ruleset_run(const kv_ruleset_t *set, const kv_rule_call_t *call,
                           avro_value_t *message, kavro_error_t *error);

/*
 * Run @set's domain rules over the @size bytes of @body, a message
 * encoded with the set's schema by kavro's encoders, in one pass: the
 * message they make, encoded, into @out (emptied first).  Only for rule
 * sets compiled for it (a single field-level ENCRYPT transform on WRITE:
 * rules_rewrite.c) and while its key is at hand.  False when it did not
 * run (@out holds nothing to use): kv_ruleset_run() over the decoded
 * message then gives the result and the verdict, failures included.
 * Where it runs, its bytes are kv_ruleset_run()'s, encoded.
 */
bool kv_ruleset_rewrite(const kv_ruleset_t *set, const kv_rule_call_t *call,
                        const unsigned char *body, size_t size,
                        kavro_buf_t *out);

/*
 * Run the encoding rules of @set (may be NULL) over @size bytes of @in,
 * the payload after encoding (WRITE) or before decoding (READ): each
 * rule's result in one of @bufs (two buffers the caller keeps), the last
 * one's in *@outp, *@out_sizep (@in itself when no rule ran).  Errors as
 * kv_ruleset_run().
 */
kavro_err_t kv_ruleset_run_payload(const kv_ruleset_t *set,
                                   const kv_rule_call_t *call,
                                   const unsigned char *in, size_t size,
                                   kavro_buf_t *bufs[2],
                                   const unsigned char **outp,
                                   size_t *out_sizep, kavro_error_t *error);

/*
 * The migration from @writer_info (its schema and contract, registered
 * under @subject) to @reader_info
 * (a version of @subject), as Java's getMigrations(): *@migp NULL when the
 * versions are equal or no version between them has migration rules for
 * the direction.  Otherwise compiled like a rule set (refused when a rule
 * has no executor).
 */
kavro_err_t kv_migration_new(const kv_rules_t *rules,
                             kavro_registry_t *registry, const char *subject,
                             const kavro_schema_info_t *writer_info,
                             const kavro_schema_info_t *reader_info,
                             kv_migration_t **migp, kavro_error_t *error);
void kv_migration_destroy(kv_migration_t *mig);

/*
 * Run @mig over *@jsonp, the message in the Avro JSON encoding of the
 * writer schema (a string from malloc()), which is replaced by the
 * message in the reader's: Java's migrations run over JSON too.  The
 * caller turns values into JSON and back (the serde part's job).
 */
kavro_err_t kv_migration_run(const kv_migration_t *mig,
                             const kv_rule_call_t *call, char **jsonp,
                             kavro_error_t *error);

#endif /* KAVRO_RULES_INT_H */
