/*
 * kavro - the executors kavro has built in: CEL (a condition over the
 * whole message) and CEL_FIELD (a condition or a transform per field), as
 * Confluent's CelExecutor and CelFieldExecutor run them, on kavro's CEL
 * engine (rules_cel_int.h).
 *
 * Each rule's expression is compiled when its rule set is (prepare()),
 * never per message.  As in Java, an expression may start with a guard:
 * the text before its first ';' (unless the rule's parameter
 * `cel.ignore.guard.separator` is "true").  The body runs only when the
 * guard yields true; otherwise a condition passes and a transform leaves
 * the value as it is; a guard that fails to compile or to evaluate counts
 * as false.
 *
 * A CEL transform's result becomes the message (kv_cel_eval_to_message:
 * Java's AvroResultWriter); a result that does not fit the schema fails
 * the rule, naming the path of the value at fault, and leaves the message
 * as it was.
 *
 * Verdicts are Java's: a CEL condition passes when the expression yields
 * true (anything else fails the rule); a CEL_FIELD condition fails when it
 * yields false (an error fails the rule, any other value passes), and runs
 * only on primitive fields (STRING, BYTES, INT, LONG, FLOAT, DOUBLE,
 * BOOLEAN, NULL), as every CEL_FIELD rule does.  An expression that does
 * not parse fails the rule on each message it is evaluated for, with the
 * parser's message, as Java's compile error does; one the engine refuses
 * (KAVRO_ERR_UNSUPPORTED) refuses the whole rule set when it is compiled,
 * since no verdict of kavro's could be trusted then.
 *
 * The variables are the peers': `message` (the record; for CEL_FIELD the
 * record that holds the field), and for CEL_FIELD `value`, `name`,
 * `fullName`, `typeName` and `tags`; `now`, the time of the evaluation,
 * as Java's executor binds it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common_error_int.h"
#include "rules_cel_int.h"
#include "rules_model_int.h"

/* Java's CelExecutor.CEL_IGNORE_GUARD_SEPARATOR. */
#define IGNORE_GUARD_PARAM "cel.ignore.guard.separator"

/* What prepare() compiled for one rule. */
typedef struct cel_rule_s {
  kv_cel_program_t *guard; /* NULL: none, or one that never passes */
  bool guard_broken;       /* a guard that does not parse: never passes */
  kv_cel_program_t *body;
  kavro_error_t *broken; /* the body's syntax error, reported per message */
  kv_cel_scratch_t *scratch;
  bool reads_now; /* the guard or the body reads `now` */
  /* A whole-message transform's result, before it becomes the message:
   * a value of @result_iface's schema, made on the first message and
   * used by the thread that uses @scratch. */
  avro_value_iface_t *result_iface;
  avro_value_t result;
} cel_rule_t;

/* The variables of each executor, in the order of their bindings. */
static const char *const message_vars[] = {"message", "now"};
enum { MSG_MESSAGE, MSG_NOW, MSG_VARS };
static const char *const field_vars[] = {"value",    "fullName", "name",
                                         "typeName", "tags",     "message",
                                         "now"};
enum {
  FIELD_VALUE,
  FIELD_FULL_NAME,
  FIELD_NAME,
  FIELD_TYPE_NAME,
  FIELD_TAGS,
  FIELD_MESSAGE,
  FIELD_NOW,
  FIELD_VARS
};

/* ---- compiling ---------------------------------------------------------- */

static void cel_rule_release(void *prepared) {
  cel_rule_t *cr = prepared;
  if (!cr)
    return;
  kv_cel_program_destroy(cr->guard);
  kv_cel_program_destroy(cr->body);
  free(cr->broken);
  kv_cel_scratch_destroy(cr->scratch);
  if (cr->result_iface) {
    avro_value_decref(&cr->result);
    avro_value_iface_decref(cr->result_iface);
  }
  free(cr);
}

static bool only_blanks(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\0' || !strchr(" \t\r\n\f\v", s[i]))
      return false;
  return true;
}

/* Compile @n bytes of @text; a syntax error (KAVRO_ERR_INVALID_ARG) is no
 * failure here: *@program stays NULL and @error holds it. */
static kavro_err_t compile_part(const char *text, size_t n,
                                const char *const *vars, size_t nvars,
                                kv_cel_program_t **program,
                                kavro_error_t *error) {
  kavro_err_t err = kv_cel_compile_len(text, n, vars, nvars, program, error);
  return err == KAVRO_ERR_INVALID_ARG ? KAVRO_OK : err;
}

/* The verdict that refuses the rule set: the engine cannot run @r. */
static kavro_err_t refuse_rule(const kv_ruleset_t *set, const kv_rule_t *r,
                               const kavro_error_t *why,
                               kavro_error_t *verdict) {
  kv_error_set(verdict, why->code == KAVRO_ERR_NOMEM ? KAVRO_ERR_NOMEM
                                                     : KAVRO_ERR_UNSUPPORTED,
               "rule \"%.100s\" (%s, %.32s) cannot be executed: %.400s",
               r->name, kavro_rule_kind_name(r->kind), r->type, why->text);
  kv_error_set_source(verdict, set->subject);
  return verdict->code;
}

void kv_cel_rule_split(const kv_ruleset_t *set, const kv_rule_t *r,
                       kv_cel_part_t *guard, kv_cel_part_t *body) {
  const char *expr = r->expr ? r->expr : "";
  kavro_rule_ctx_t ctx = {.set = set, .rule = r};
  const char *ignore = kavro_rule_ctx_param(&ctx, IGNORE_GUARD_PARAM);
  const char *semicolon =
      ignore && strcasecmp(ignore, "true") == 0 ? NULL : strchr(expr, ';');
  *guard = (kv_cel_part_t){NULL, 0, 0};
  *body = (kv_cel_part_t){expr, strlen(expr), 0};
  if (!semicolon)
    return;
  size_t guard_length = (size_t)(semicolon - expr);
  if (!only_blanks(expr, guard_length))
    *guard = (kv_cel_part_t){expr, guard_length, 0};
  *body = (kv_cel_part_t){semicolon + 1, body->length - guard_length - 1,
                          guard_length + 1};
}

static kavro_err_t prepare(const kv_ruleset_t *set, kv_rule_t *r,
                           const char *const *vars, size_t nvars,
                           kavro_error_t *verdict) {
  cel_rule_t *cr = calloc(1, sizeof(*cr));
  if (!cr || !(cr->scratch = kv_cel_scratch_new())) {
    free(cr);
    return kv_error_set(verdict, KAVRO_ERR_NOMEM, "out of memory");
  }
  r->prepared = cr;
  r->release = cel_rule_release;
  kv_cel_part_t guard, body;
  kv_cel_rule_split(set, r, &guard, &body);
  kavro_error_t why;
  kv_error_clear(&why);
  kavro_err_t err = KAVRO_OK;
  if (guard.text) {
    err = compile_part(guard.text, guard.length, vars, nvars, &cr->guard,
                       &why);
    cr->guard_broken = err == KAVRO_OK && !cr->guard;
  }
  if (err == KAVRO_OK) {
    kv_error_clear(&why);
    err = compile_part(body.text, body.length, vars, nvars, &cr->body, &why);
    if (err == KAVRO_OK && !cr->body) {
      if ((cr->broken = malloc(sizeof(*cr->broken))))
        *cr->broken = why;
      else
        err = kv_error_set(&why, KAVRO_ERR_NOMEM, "out of memory");
    }
  }
  if (err != KAVRO_OK)
    return refuse_rule(set, r, &why, verdict);
  /* `now` is the last variable of both lists. */
  int now = (int)nvars - 1;
  cr->reads_now = (cr->guard && kv_cel_program_uses(cr->guard, now)) ||
                  (cr->body && kv_cel_program_uses(cr->body, now));
  return KAVRO_OK;
}

static kavro_err_t prepare_message(const kv_ruleset_t *set, kv_rule_t *r,
                                   kavro_error_t *verdict) {
  return prepare(set, r, message_vars, MSG_VARS, verdict);
}

static kavro_err_t prepare_field(const kv_ruleset_t *set, kv_rule_t *r,
                                 kavro_error_t *verdict) {
  return prepare(set, r, field_vars, FIELD_VARS, verdict);
}

/* ---- evaluating --------------------------------------------------------- */

/* `now`, read from the clock only for a rule that uses it. */
static kv_cel_binding_t now_binding(const cel_rule_t *cr) {
  if (!cr->reads_now)
    return (kv_cel_binding_t){.kind = KV_CEL_BIND_NONE};
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (kv_cel_binding_t){.kind = KV_CEL_BIND_TIMESTAMP,
                            .sec = (int64_t)ts.tv_sec,
                            .nsec = (int32_t)ts.tv_nsec};
}

/* Whether the body is to run: no guard, or one that yields true. */
static bool guard_passes(const cel_rule_t *cr,
                         const kv_cel_binding_t *bindings) {
  if (cr->guard_broken)
    return false;
  if (!cr->guard)
    return true;
  kavro_error_t ignored;
  kv_cel_truth_t truth;
  return kv_cel_eval_truth(cr->guard, cr->scratch, bindings, &truth,
                           &ignored) == KAVRO_OK &&
         truth == KV_CEL_TRUTH_TRUE;
}

/* The body's syntax error, as the rule's failure. */
static kavro_err_t report_broken(const cel_rule_t *cr, kavro_error_t *error) {
  if (error)
    *error = *cr->broken;
  return cr->broken->code;
}

/* The value a whole-message transform writes its result into, of
 * @message's schema. */
static avro_value_t *result_value(cel_rule_t *cr, const avro_value_t *message,
                                  kavro_error_t *error) {
  avro_schema_t schema = avro_value_get_schema(message);
  if (cr->result_iface && avro_value_get_schema(&cr->result) == schema)
    return &cr->result;
  if (cr->result_iface) {
    avro_value_decref(&cr->result);
    avro_value_iface_decref(cr->result_iface);
  }
  cr->result_iface = avro_generic_class_from_schema(schema);
  if (cr->result_iface &&
      avro_generic_value_new(cr->result_iface, &cr->result) == 0)
    return &cr->result;
  avro_value_iface_decref(cr->result_iface);
  cr->result_iface = NULL;
  kv_error_set(error, KAVRO_ERR_AVRO_C, "CEL: avro-c: %s", avro_strerror());
  return NULL;
}

/* A TRANSFORM's result becomes the message (Java's CelExecutor with
 * AvroResultWriter). */
static kavro_err_t transform_message(cel_rule_t *cr,
                                     const kavro_rule_ctx_t *ctx,
                                     const kv_cel_binding_t *bindings,
                                     avro_value_t *message,
                                     kavro_error_t *error) {
  avro_value_t *result = result_value(cr, message, error);
  if (!result)
    return KAVRO_ERR_AVRO_C;
  return kv_cel_eval_to_message(cr->body, cr->scratch, bindings,
                                kv_schema_root(ctx->set->schema), message,
                                result, error);
}

static kavro_err_t cel_execute(void *opaque, const kavro_rule_ctx_t *ctx,
                               avro_value_t *message, bool *passed,
                               kavro_error_t *error) {
  (void)opaque;
  cel_rule_t *cr = ctx->rule->prepared;
  kv_cel_binding_t bindings[MSG_VARS] = {
      [MSG_MESSAGE] = {.kind = KV_CEL_BIND_AVRO, .avro = message},
      [MSG_NOW] = now_binding(cr)};
  if (!guard_passes(cr, bindings))
    return KAVRO_OK;
  if (cr->broken)
    return report_broken(cr, error);
  if (ctx->rule->kind == KAVRO_RULE_TRANSFORM)
    return transform_message(cr, ctx, bindings, message, error);
  kv_cel_truth_t truth;
  kavro_err_t err =
      kv_cel_eval_truth(cr->body, cr->scratch, bindings, &truth, error);
  if (err == KAVRO_OK)
    *passed = truth == KV_CEL_TRUTH_TRUE;
  return err;
}

/* Java's RuleContext.Type.isPrimitive(): CEL_FIELD's domain. */
static bool primitive_type(const char *type_name) {
  static const char *const primitives[] = {"STRING", "BYTES",  "INT",
                                           "LONG",   "FLOAT",  "DOUBLE",
                                           "BOOLEAN", "NULL"};
  for (size_t i = 0; i < sizeof(primitives) / sizeof(*primitives); i++)
    if (strcmp(type_name, primitives[i]) == 0)
      return true;
  return false;
}

static kavro_err_t cel_execute_field(void *opaque, const kavro_rule_ctx_t *ctx,
                                     const kavro_rule_field_t *field,
                                     avro_value_t *value, bool *passed,
                                     kavro_error_t *error) {
  (void)opaque;
  if (!primitive_type(field->type_name))
    return KAVRO_OK;
  const cel_rule_t *cr = ctx->rule->prepared;
  kv_cel_binding_t bindings[FIELD_VARS] = {
      [FIELD_VALUE] = {.kind = KV_CEL_BIND_AVRO, .avro = value},
      [FIELD_FULL_NAME] = {.kind = KV_CEL_BIND_STRING,
                           .str = field->full_name},
      [FIELD_NAME] = {.kind = KV_CEL_BIND_STRING, .str = field->name},
      [FIELD_TYPE_NAME] = {.kind = KV_CEL_BIND_STRING,
                           .str = field->type_name},
      [FIELD_TAGS] = {.kind = KV_CEL_BIND_STRINGS,
                      .strs = field->tags,
                      .nstrs = field->tag_count},
      [FIELD_MESSAGE] = {.kind = KV_CEL_BIND_AVRO, .avro = field->message},
      [FIELD_NOW] = now_binding(cr)};
  if (!guard_passes(cr, bindings))
    return KAVRO_OK;
  if (cr->broken)
    return report_broken(cr, error);
  if (ctx->rule->kind == KAVRO_RULE_TRANSFORM)
    return kv_cel_eval_to_avro(cr->body, cr->scratch, bindings, value, error);
  kv_cel_truth_t truth;
  kavro_err_t err =
      kv_cel_eval_truth(cr->body, cr->scratch, bindings, &truth, error);
  if (err == KAVRO_OK)
    *passed = truth != KV_CEL_TRUTH_FALSE;
  return err;
}

/* ---- the executors ------------------------------------------------------ */

const kv_builtin_t kv_cel_builtin = {
    {KV_PLUGIN_EXECUTOR, "CEL", NULL, (void *)&kv_cel_builtin.executor,
     sizeof(kavro_rule_executor_t)},
    {cel_execute, NULL, NULL, NULL},
    prepare_message,
    message_vars,
    MSG_VARS,
    NULL,
    NULL};

const kv_builtin_t kv_cel_field_builtin = {
    {KV_PLUGIN_EXECUTOR, "CEL_FIELD", NULL,
     (void *)&kv_cel_field_builtin.executor, sizeof(kavro_rule_executor_t)},
    {NULL, cel_execute_field, NULL, NULL},
    prepare_field,
    field_vars,
    FIELD_VARS,
    NULL,
    NULL};
