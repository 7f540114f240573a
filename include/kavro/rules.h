/*
 * kavro - data contract rules: the executors and actions that run a
 * schema's rule set when a message is written or read.
 *
 * A schema registered with a `ruleSet` ({"domainRules": [...],
 * "migrationRules": [...], "encodingRules": [...]}) carries rules that
 * every serializer and deserializer of the schema runs, as Confluent's
 * Java serializers do (AbstractKafkaSchemaSerDe.executeRules()): on write
 * the rules of mode WRITE and WRITEREAD, in order; on read those of mode
 * READ and WRITEREAD, in reverse order; a migration's UPGRADE, DOWNGRADE
 * and UPDOWN rules when a consumer reads a version written by another
 * (`use.latest.version`, `use.latest.with.metadata`).  A rule names its
 * `type`; kavro looks up the executor registered for that type and runs
 * it: a CONDITION says whether the message passes, a TRANSFORM changes it
 * (a transform on write changes the bytes written, on read the value
 * handed out).  The rule's `onSuccess` or `onFailure` action then runs:
 * NONE, ERROR (the call fails with KAVRO_ERR_RULE naming the rule and the
 * message path) or one registered here (DLQ: kavro_kafka_dlq_action_add()
 * in <kavro/kafka.h>).  A rule that a message's record names in its last
 * `__rule.name` header (KAVRO_RULE_HEADER_NAME: the message came back from
 * a dead-letter topic that rule's DLQ action wrote) is not run for that
 * message, as the Confluent clients skip it.
 *
 * Executors and actions are registered in the kavro_conf_t a serializer or
 * deserializer is made with (kavro_serializer_new(),
 * kavro_deserializer_new()), in the style of librdkafka's interceptors:
 * a table of callbacks and an opaque pointer.  A rule whose type has no
 * executor refuses the schema (KAVRO_ERR_UNSUPPORTED naming the rule, its
 * kind and type) unless its onFailure action is NONE: a contract is never
 * silently bypassed.
 *
 * Three shapes of executor, one per callback of kavro_rule_executor_t:
 *  - `execute`: a condition or transform over the whole message (Java's
 *    RuleExecutor; a CEL executor);
 *  - `execute_field`: called for each field whose tags meet the rule's
 *    tags (Java's FieldRuleExecutor; CEL_FIELD, masking, encryption).  A
 *    field's tags are its `confluent:tags` property and the tags the
 *    schema's metadata (`metadata.tags`) gives to paths matching its full
 *    name (`*` any run without a dot, `**` any run, `?` one character);
 *  - `migrate`: a migration rule (JSONATA), over the message's Avro JSON
 *    text as Java runs migrations over JSON.
 * The per-message work is only the callbacks': the rule set is compiled
 * once per schema (when a serializer or deserializer first meets it) and
 * never parsed again.
 *
 * Thread safety: callbacks are called from the thread that uses the
 * serializer or deserializer, one at a time per serializer or
 * deserializer; an opaque shared by several of them must be thread-safe.
 * A kavro_rule_ctx_t and what its accessors return are valid during the
 * callback only.
 */
#ifndef KAVRO_RULES_H
#define KAVRO_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include <kavro/common.h>
#include <kavro/conf.h>
#include <kavro/schema.h>

#ifdef __cplusplus
extern "C" {
#endif

struct avro_value;

/**
 * @name Rules
 * @{
 */

/** A rule's `kind` (Java's RuleKind).  Unset: TRANSFORM. */
typedef enum kavro_rule_kind_e {
  KAVRO_RULE_CONDITION = 0,
  KAVRO_RULE_TRANSFORM
} kavro_rule_kind_t;

/** A rule's `mode`, and the mode a rule is run in (Java's RuleMode).
 *  Unset: WRITEREAD. */
typedef enum kavro_rule_mode_e {
  KAVRO_RULE_WRITE = 0,
  KAVRO_RULE_READ,
  KAVRO_RULE_WRITEREAD,
  KAVRO_RULE_UPGRADE,
  KAVRO_RULE_DOWNGRADE,
  KAVRO_RULE_UPDOWN
} kavro_rule_mode_t;

/** "CONDITION", "TRANSFORM".  Static. */
KAVRO_EXPORT const char *kavro_rule_kind_name(kavro_rule_kind_t kind);

/** "WRITE", "READ", "WRITEREAD", "UPGRADE", "DOWNGRADE", "UPDOWN".
 *  Static. */
KAVRO_EXPORT const char *kavro_rule_mode_name(kavro_rule_mode_t mode);
/** @} */

/**
 * @name The rule context
 *
 * What an executor or action is told about the rule it runs and the
 * message it runs on.  Strings are borrowed for the callback's duration.
 * @{
 */

/** Opaque; valid during one callback. */
typedef struct kavro_rule_ctx_s kavro_rule_ctx_t;

/** The rule's `name` (borrowed for the callback). */
KAVRO_EXPORT const char *kavro_rule_ctx_rule_name(const kavro_rule_ctx_t *ctx);
/** The rule's `kind`. */
KAVRO_EXPORT kavro_rule_kind_t kavro_rule_ctx_kind(const kavro_rule_ctx_t *ctx);
/** The rule's own `mode` (WRITEREAD for a rule that runs both ways). */
KAVRO_EXPORT kavro_rule_mode_t
kavro_rule_ctx_rule_mode(const kavro_rule_ctx_t *ctx);
/** The mode the rule runs in now: WRITE, READ, UPGRADE or DOWNGRADE. */
KAVRO_EXPORT kavro_rule_mode_t kavro_rule_ctx_mode(const kavro_rule_ctx_t *ctx);
/** The rule's `type` ("CEL", "JSONATA", a user's); borrowed for the
 *  callback. */
KAVRO_EXPORT const char *kavro_rule_ctx_type(const kavro_rule_ctx_t *ctx);
/** The rule's `expr` (borrowed for the callback), or NULL when it has
 *  none. */
KAVRO_EXPORT const char *kavro_rule_ctx_expr(const kavro_rule_ctx_t *ctx);
/** How many `tags` the rule has. */
KAVRO_EXPORT size_t kavro_rule_ctx_tag_count(const kavro_rule_ctx_t *ctx);
/** The rule's tag @p i (< kavro_rule_ctx_tag_count()), borrowed for the
 *  callback; else NULL. */
KAVRO_EXPORT const char *kavro_rule_ctx_tag(const kavro_rule_ctx_t *ctx,
                                            size_t i);
/**
 * The rule's parameter @p name (its `params`), else the property of that
 * name in the schema's metadata (`metadata.properties`), else NULL: Java's
 * RuleContext.getParameter().  Borrowed for the callback.
 */
KAVRO_EXPORT const char *kavro_rule_ctx_param(const kavro_rule_ctx_t *ctx,
                                              const char *name);
/**
 * The configuration parameter @p name of the executor or action that
 * runs: `rule.executors.<name>.param.<param>` (the name it was registered
 * under), else `rule.executors._TYPE_.param.<param>`, else
 * `rule.executors._default_.param.<param>` (`rule.actions.` for an
 * action), else the serializer's own property @p name when the table has
 * one and it is set (`dlq.topic`); NULL when none is set.
 */
KAVRO_EXPORT const char *kavro_rule_ctx_config(const kavro_rule_ctx_t *ctx,
                                               const char *name);
/** The subject of the schema (borrowed for the callback). */
KAVRO_EXPORT const char *kavro_rule_ctx_subject(const kavro_rule_ctx_t *ctx);
/** The topic ("" when the call named none); borrowed for the callback. */
KAVRO_EXPORT const char *kavro_rule_ctx_topic(const kavro_rule_ctx_t *ctx);
/** Whether the message is a key. */
KAVRO_EXPORT bool kavro_rule_ctx_is_key(const kavro_rule_ctx_t *ctx);
/** The schema of the message the rule runs on (Java's target); borrowed:
 *  kavro_schema_dup() it to keep it. */
KAVRO_EXPORT const kavro_schema_t *
kavro_rule_ctx_schema(const kavro_rule_ctx_t *ctx);
/** The schema migrated from (a migration's source); otherwise the same
 *  as kavro_rule_ctx_schema(). */
KAVRO_EXPORT const kavro_schema_t *
kavro_rule_ctx_source(const kavro_rule_ctx_t *ctx);
/**
 * The message as it arrived, on read: the payload handed to the
 * deserializer (frame included), @p *sizep its size.  NULL on write,
 * where the message is the value the action is given.  Borrowed for the
 * callback.
 */
KAVRO_EXPORT const void *kavro_rule_ctx_payload(const kavro_rule_ctx_t *ctx,
                                                size_t *sizep);
/**
 * The key of the record the message travels in, as the caller handed it
 * (kavro_serializer_set_record(), kavro_deserializer_set_record()), with
 * @p *sizep its size (may be NULL); NULL when it handed none (for a
 * message that is itself a key being serialized, the key is the message).
 * Borrowed for the callback.
 */
KAVRO_EXPORT const void *kavro_rule_ctx_key(const kavro_rule_ctx_t *ctx,
                                            size_t *sizep);
/** How many headers the record of the message has (0 when the caller
 *  handed no record). */
KAVRO_EXPORT size_t kavro_rule_ctx_header_count(const kavro_rule_ctx_t *ctx);
/** The record's header @p i (< kavro_rule_ctx_header_count()) in the
 *  record's order, else NULL.  Borrowed for the callback. */
KAVRO_EXPORT const kavro_header_t *
kavro_rule_ctx_header(const kavro_rule_ctx_t *ctx, size_t i);
/**
 * Say that the action sent the message to a dead-letter topic: the caller
 * that handed in the record sees its @c dead_lettered set and does not
 * send the message there again (the Kafka consumer helper's failure
 * policy).  Does nothing without a record.
 */
KAVRO_EXPORT void kavro_rule_ctx_set_dead_lettered(const kavro_rule_ctx_t *ctx);

/**
 * @name The headers of a message the DLQ action sends
 *
 * Java's DlqAction names: the rule, the mode it ran in, the subject, the
 * topic and, when there was one, the exception's message.  A message
 * whose last KAVRO_RULE_HEADER_NAME header names a rule is read (and
 * written) without that rule, as the Confluent clients do for a message
 * replayed from a DLQ: it failed once already.
 * @{
 */
#define KAVRO_RULE_HEADER_NAME "__rule.name"
#define KAVRO_RULE_HEADER_MODE "__rule.mode"
#define KAVRO_RULE_HEADER_SUBJECT "__rule.subject"
#define KAVRO_RULE_HEADER_TOPIC "__rule.topic"
#define KAVRO_RULE_HEADER_EXCEPTION "__rule.exception"
/** @} */
/** @} */

/**
 * @name Executors
 * @{
 */

/** A field a field executor is called for (Java's FieldContext). */
typedef struct kavro_rule_field_s {
  const char *name;      /**< the field's name */
  const char *full_name; /**< the record's full name, '.', the field's */
  /** The type of the value: "RECORD", "ENUM", "ARRAY", "MAP", "COMBINED"
   *  (a union), "FIXED", "STRING", "BYTES", "INT", "LONG", "FLOAT",
   *  "DOUBLE", "BOOLEAN", "NULL" (for a union, its branch's). */
  const char *type_name;
  const char *const *tags; /**< the field's tags */
  size_t tag_count;
  const struct avro_value *message; /**< the record that holds the field */
} kavro_rule_field_t;

/**
 * An executor: one of the three callbacks, the others NULL.  Each returns
 * KAVRO_OK and, for a CONDITION rule, sets @p *passed (true on entry);
 * any other return is the rule's failure (Java's RuleException), with
 * @p error saying why, and runs its onFailure action.
 */
typedef struct kavro_rule_executor_s {
  /**
   * A rule over the whole message: a CONDITION sets @p *passed and leaves
   * @p message alone; a TRANSFORM changes @p message (a generic value of
   * kavro_rule_ctx_schema()) in place.
   */
  kavro_err_t (*execute)(void *opaque, const kavro_rule_ctx_t *ctx,
                         struct avro_value *message, bool *passed,
                         kavro_error_t *error);
  /**
   * A rule per field: called for each primitive value (a union's branch,
   * an array's item or a map's value reached through the field included)
   * of each field whose tags meet the rule's tags, or of every field when
   * the rule has none.  A TRANSFORM may set @p value (a new value of the
   * same type).  As in Java, a condition that fails for an item of an
   * array or a map value does not fail the rule.
   */
  kavro_err_t (*execute_field)(void *opaque, const kavro_rule_ctx_t *ctx,
                               const kavro_rule_field_t *field,
                               struct avro_value *value, bool *passed,
                               kavro_error_t *error);
  /**
   * A migration rule: @p json is the message in the Avro JSON encoding of
   * kavro_rule_ctx_source(); a TRANSFORM stores in @p *result a new
   * NUL-terminated string (malloc(); kavro frees it) holding the message
   * in the Avro JSON encoding of kavro_rule_ctx_schema(); a CONDITION sets
   * @p *passed.
   */
  kavro_err_t (*migrate)(void *opaque, const kavro_rule_ctx_t *ctx,
                         const char *json, char **result, bool *passed,
                         kavro_error_t *error);
  /** Handed to the callbacks; owned by the caller, who keeps it alive as
   *  long as any serializer or deserializer made with the conf. */
  void *opaque;
} kavro_rule_executor_t;

/**
 * Register @p executor (copied) for rules of type @p type (matched
 * without case) under @p name (NULL: @p type), which its configuration
 * parameters are named by (`rule.executors.<name>.param.*`).  When several
 * are registered for a type, a rule gets the one registered as
 * "SUBJECT:RULE-NAME", else the one registered as its rule name, else the
 * first (Java's getRuleObject()).  Returns KAVRO_ERR_INVALID_ARG unless
 * exactly one callback is set; KAVRO_ERR_NOMEM.  The conf keeps the
 * registration through kavro_conf_dup().  Not thread-safe (a conf is
 * filled by one thread).
 */
KAVRO_EXPORT kavro_err_t kavro_conf_add_rule_executor(
    kavro_conf_t *conf, const char *type, const char *name,
    const kavro_rule_executor_t *executor, kavro_error_t *error);
/** @} */

/**
 * @name Actions
 * @{
 */

/**
 * A rule action (Java's RuleAction), run after a rule with the name in
 * its onSuccess or onFailure: @p message is the message (after the rule,
 * for a transform), @p cause the rule's failure (NULL on success).
 * Returning KAVRO_OK lets the call go on; any other return fails it with
 * @p error (code KAVRO_ERR_RULE for a refusal; the DLQ action does so
 * after dead-lettering the message).
 */
typedef kavro_err_t (*kavro_rule_action_cb_t)(void *opaque,
                                              const kavro_rule_ctx_t *ctx,
                                              const struct avro_value *message,
                                              const kavro_error_t *cause,
                                              kavro_error_t *error);

/**
 * Register @p cb as the action named @p type (upper case as rules name
 * it; ERROR and NONE are built in and cannot be replaced:
 * KAVRO_ERR_INVALID_ARG).  An action a rule names that is not registered
 * fails the call (KAVRO_ERR_CONF_INVALID), as in Java.  Registered for
 * every serializer and deserializer made with @p conf (or a copy).  Not
 * thread-safe.
 */
KAVRO_EXPORT kavro_err_t kavro_conf_add_rule_action(kavro_conf_t *conf,
                                                    const char *type,
                                                    kavro_rule_action_cb_t cb,
                                                    void *opaque,
                                                    kavro_error_t *error);
/** @} */

/**
 * @name Field-level encryption: KMS drivers
 *
 * The built-in ENCRYPT executor (Confluent's FieldEncryptionExecutor)
 * encrypts the fields its rule's tags select with a data-encryption key
 * (DEK) from the DEK registry, wrapped there by the key-encryption key
 * (KEK) the rule names (`encrypt.kek.name`), which lives in a KMS.  A KMS
 * driver wraps and unwraps DEKs with such a key; kavro has the local KMS
 * built in (`local-kms`: a key derived from a secret, as the peers derive
 * it), and a program plugs AWS, GCP, Azure or Vault in here without kavro
 * linking their SDKs.
 * @{
 */

/** A KMS driver: the callbacks run only when a DEK is created or first
 *  read (never per message), from any thread that serializes. */
typedef struct kavro_kms_driver_s {
  /**
   * Wrap @p size bytes of @p key (a DEK: key material, never to be
   * logged) with the KMS key @p key_url (`TYPE://KEY-ID`, as the peers
   * name it: "aws-kms://arn:aws:kms:..."): store the result in a
   * malloc()'d @p *outp of @p *outsizep bytes (kavro frees it).  @p ctx
   * gives the rule's parameters and the executor's configuration
   * (kavro_rule_ctx_param(), kavro_rule_ctx_config()): credentials live
   * there.
   */
  kavro_err_t (*encrypt)(void *opaque, const kavro_rule_ctx_t *ctx,
                         const char *key_url, const unsigned char *key,
                         size_t size, unsigned char **outp, size_t *outsizep,
                         kavro_error_t *error);
  /** Unwrap what encrypt() wrapped: the key goes into a malloc()'d
   *  @p *outp, which kavro cleanses before it frees it. */
  kavro_err_t (*decrypt)(void *opaque, const kavro_rule_ctx_t *ctx,
                         const char *key_url, const unsigned char *wrapped,
                         size_t size, unsigned char **outp, size_t *outsizep,
                         kavro_error_t *error);
  /** Handed to the callbacks; kept alive by the caller as long as any
   *  serializer or deserializer made with the conf. */
  void *opaque;
} kavro_kms_driver_t;

/**
 * Register @p driver (copied) for KEKs of `kmsType` @p kms_type ("aws-kms",
 * "gcp-kms", "azure-kms", "hcvault", or "local-kms" to replace the built-in
 * one).  A KEK whose type has no driver fails the rule with its name.
 * Returns KAVRO_ERR_INVALID_ARG without both callbacks; KAVRO_ERR_NOMEM.
 * Not thread-safe (a conf is filled by one thread).
 */
KAVRO_EXPORT kavro_err_t kavro_conf_add_kms_driver(
    kavro_conf_t *conf, const char *kms_type, const kavro_kms_driver_t *driver,
    kavro_error_t *error);
/** @} */

/**
 * @name Checking a rule set
 *
 * What a rule set would do before it is registered: kavro_rule_set_check()
 * reads it as the serializer and deserializer compile it (and as the
 * registry validates it) and lists every problem found, where
 * compiling stops at the first one and refuses the schema.  CI tools
 * (`sr-compat lint`) report the findings against the rule set's file.
 * @{
 */

/** What is wrong with a rule. */
typedef enum kavro_rule_problem_e {
  /** Not the shape the registry takes: a rule list or a rule that is not
   *  an array or an object, a member of the wrong type, one the registry
   *  does not know and drops (a misspelt "expression" or "domainrules"),
   *  a rule without a name or a type, two rules of one name, a mode its
   *  list does not allow (domain and encoding rules: WRITE, READ,
   *  WRITEREAD; migration rules: UPGRADE, DOWNGRADE, UPDOWN), "A,B"
   *  actions on a rule of one direction. */
  KAVRO_RULE_PROBLEM_MALFORMED = 0,
  /** A `kind` other than CONDITION and TRANSFORM. */
  KAVRO_RULE_PROBLEM_UNKNOWN_KIND,
  /** A `mode` other than WRITE, READ, WRITEREAD, UPGRADE, DOWNGRADE and
   *  UPDOWN. */
  KAVRO_RULE_PROBLEM_UNKNOWN_MODE,
  /** A `type` no executor runs: neither built in (CEL, CEL_FIELD,
   *  ENCRYPT) nor registered in the conf with one that fits the rule (a
   *  migration needs `migrate`); also an encoding rule of another type
   *  than ENCRYPT_PAYLOAD, the one kavro runs over the payload bytes.
   *  The schema is refused unless the rule's onFailure is NONE, which
   *  makes the rule a no-op. */
  KAVRO_RULE_PROBLEM_NO_EXECUTOR,
  /** A CEL or CEL_FIELD expression, or its guard, that does not parse or
   *  uses a variable the executor does not bind (CEL: `message`, `now`;
   *  CEL_FIELD: `value`, `fullName`, `name`, `typeName`, `tags`,
   *  `message`, `now`).  A body that does not parse fails the rule on
   *  every message; a guard, makes the rule never run. */
  KAVRO_RULE_PROBLEM_CEL_SYNTAX,
  /** A CEL or CEL_FIELD rule kavro's CEL engine refuses (a construct it
   *  does not implement, such as an extension function): the schema is
   *  refused. */
  KAVRO_RULE_PROBLEM_CEL_UNSUPPORTED,
  /** A rule tag no field of the schema has: neither in a field's
   *  `confluent:tags` nor given to a field by a `metadata.tags` path. */
  KAVRO_RULE_PROBLEM_UNKNOWN_TAG,
  /** An onSuccess or onFailure action (either side of "A,B") other than
   *  NONE, ERROR, DLQ and the actions registered in the conf. */
  KAVRO_RULE_PROBLEM_UNKNOWN_ACTION,
  /** A parameter a built-in executor cannot run with, so that the rule
   *  fails on every message: an ENCRYPT rule without `encrypt.kek.name`,
   *  with an `encrypt.dek.algorithm` other than AES128_GCM, AES256_GCM
   *  and AES256_SIV, an `encrypt.dek.expiry.days` that is not a
   *  non-negative number, or of kind CONDITION. */
  KAVRO_RULE_PROBLEM_BAD_PARAM
} kavro_rule_problem_t;

/** "MALFORMED", "UNKNOWN_KIND", ...  Static storage; "UNKNOWN" for a
 *  value out of range. */
KAVRO_EXPORT const char *kavro_rule_problem_name(kavro_rule_problem_t kind);

/** One problem.  Pointers are valid as long as the result lives. */
typedef struct kavro_rule_finding_s {
  kavro_rule_problem_t kind;
  const char *rule_name; /**< the rule's name, "" when none (or the set) */
  /** JSON pointer into the rule set: "/domainRules/2/expr", "" the set. */
  const char *location;
  const char *message; /**< for a person: names the rule and the cause */
  int line;   /**< 1-based line of @c location in the rule set text */
  int column; /**< 1-based column (bytes) there */
} kavro_rule_finding_t;

/** The findings of a check.  Opaque; one thread at a time. */
typedef struct kavro_rule_check_s kavro_rule_check_t;

/**
 * Check the rule set @p rule_set (JSON text of the object the registry
 * takes as `ruleSet`) of a schema with @p metadata (JSON text of
 * `metadata`, or NULL) and @p schema (NULL: tags are not checked),
 * against the executors and actions registered in @p conf (NULL: the
 * built-in ones): every rule of every list, disabled ones too (enabling
 * one must not break the contract).  Stores a new result in @p *resultp
 * (free with kavro_rule_check_destroy()), in the order of the rule set;
 * returns KAVRO_OK whatever it found.  KAVRO_ERR_JSON (with line and
 * column) for text that is not JSON or holds a key twice,
 * KAVRO_ERR_INVALID_ARG for JSON that is not an object or a NULL
 * argument, KAVRO_ERR_NOMEM.  Reads @p schema and @p conf only;
 * thread-safe as long as no thread changes @p conf.
 */
KAVRO_EXPORT kavro_err_t kavro_rule_set_check(const char *rule_set,
                                              const char *metadata,
                                              const kavro_schema_t *schema,
                                              const kavro_conf_t *conf,
                                              kavro_rule_check_t **resultp,
                                              kavro_error_t *error);

/** How many findings (0: the rule set is sound). */
KAVRO_EXPORT size_t kavro_rule_check_count(const kavro_rule_check_t *result);

/** Finding @p i (< count), borrowed from the result; NULL past the end. */
KAVRO_EXPORT const kavro_rule_finding_t *
kavro_rule_check_get(const kavro_rule_check_t *result, size_t i);

/** Free a result.  NULL-safe. */
KAVRO_EXPORT void kavro_rule_check_destroy(kavro_rule_check_t *result);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_RULES_H */
