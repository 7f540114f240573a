/*
 * kavro tests - checking a rule set before it is registered
 * (kavro_rule_set_check() in kavro/rules.h): each kind of finding with its
 * rule, JSON pointer and position in the text, a sound rule set without
 * any, the guard syntax, tags from the schema and from metadata paths,
 * executors and actions registered in a conf, and refused input.
 *
 * Expected positions come from searching the rule set's text, not from
 * the library's JSON locator.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum_util.h"
#include "kavro.h"
#include "serde_fixture.h"

/* An order: a CEL_FIELD rule reaches `customer.email` (tagged PII in the
 * schema) and `customer.phone` (tagged by metadata paths, when given). */
static const char order_schema[] =
    "{\"type\": \"record\", \"name\": \"Order\", \"namespace\": \"shop\","
    " \"fields\": ["
    "  {\"name\": \"id\", \"type\": \"string\"},"
    "  {\"name\": \"amount\", \"type\": \"double\"},"
    "  {\"name\": \"note\", \"type\": \"string\"},"
    "  {\"name\": \"customer\", \"type\": {\"type\": \"record\","
    "   \"name\": \"Customer\", \"fields\": ["
    "    {\"name\": \"email\", \"type\": \"string\","
    "     \"confluent:tags\": [\"PII\"]},"
    "    {\"name\": \"phone\", \"type\": [\"null\", \"string\"]}]}}]}";

static kavro_schema_t *order(void) {
  kavro_schema_t *schema = NULL;
  ck_assert_int_eq(kavro_schema_parse(order_schema, strlen(order_schema), NULL,
                                      &schema, NULL),
                   KAVRO_OK);
  return schema;
}

/* Check @rule_set (with @metadata, may be NULL) against the order with
 * @conf (may be NULL); must succeed. */
static kavro_rule_check_t *check_with(const char *rule_set,
                                      const char *metadata,
                                      const kavro_conf_t *conf) {
  kavro_schema_t *schema = order();
  kavro_rule_check_t *result = NULL;
  kavro_error_t error;
  kavro_err_t err =
      kavro_rule_set_check(rule_set, metadata, schema, conf, &result, &error);
  ck_assert_msg(err == KAVRO_OK, "check failed: %s", error.text);
  ck_assert_ptr_nonnull(result);
  kavro_schema_destroy(schema);
  return result;
}

/* The findings as "KIND location rule" lines, for messages. */
static char *describe(const kavro_rule_check_t *result) {
  static char text[4096];
  text[0] = '\0';
  for (size_t i = 0; i < kavro_rule_check_count(result); i++) {
    const kavro_rule_finding_t *f = kavro_rule_check_get(result, i);
    size_t n = strlen(text);
    snprintf(text + n, sizeof(text) - n, "%s %s [%s] %s\n",
             kavro_rule_problem_name(f->kind), f->location, f->rule_name,
             f->message);
  }
  return text;
}

/* 1-based line and column of the first @needle in @text. */
static void position_of(const char *text, const char *needle, int *line,
                        int *column) {
  const char *at = strstr(text, needle);
  ck_assert_msg(at != NULL, "no %s in the text", needle);
  *line = 1;
  const char *start = text;
  for (const char *p = text; p < at; p++)
    if (*p == '\n') {
      (*line)++;
      start = p + 1;
    }
  *column = (int)(at - start) + 1;
}

/* ---- a sound rule set ------------------------------------------------------- */

/* Every kind of rule kavro runs, with a guard, tags from the schema and
 * from the metadata, "A,B" actions and DLQ: nothing to report. */
static const char sound_set[] =
    "{\"domainRules\": [\n"
    "  {\"name\": \"positiveAmount\", \"kind\": \"CONDITION\",\n"
    "   \"mode\": \"WRITE\", \"type\": \"CEL\",\n"
    "   \"expr\": \"message.amount >= 0.0\", \"onFailure\": \"DLQ\"},\n"
    "  {\"name\": \"sameOrder\", \"kind\": \"TRANSFORM\",\n"
    "   \"mode\": \"WRITE\", \"type\": \"CEL\", \"expr\": \"message\"},\n"
    "  {\"name\": \"maskPii\", \"kind\": \"TRANSFORM\", \"mode\": \"WRITEREAD\",\n"
    "   \"type\": \"CEL_FIELD\", \"tags\": [\"PII\", \"CONTACT\"],\n"
    "   \"expr\": \"typeName == 'STRING' ; value.startsWith('x') ? value : 'x'\",\n"
    "   \"onSuccess\": \"NONE,NONE\", \"onFailure\": \"ERROR,NONE\"},\n"
    "  {\"name\": \"emailShape\", \"kind\": \"CONDITION\", \"type\": \"CEL_FIELD\",\n"
    "   \"tags\": [\"PII\"], \"disabled\": true, \"params\": {\"a\": \"b\"},\n"
    "   \"doc\": \"an e-mail\",\n"
    "   \"expr\": \"name != 'email' || value.matches('^[^@]+@[^@]+$')\"},\n"
    "  {\"name\": \"encryptPii\", \"kind\": \"TRANSFORM\", \"mode\": \"WRITEREAD\",\n"
    "   \"type\": \"ENCRYPT\", \"tags\": [\"PII\"], \"params\": {\n"
    "    \"encrypt.kek.name\": \"shop\", \"encrypt.kms.type\": \"local-kms\",\n"
    "    \"encrypt.kms.key.id\": \"k1\", \"encrypt.dek.algorithm\": \"AES256_SIV\",\n"
    "    \"encrypt.dek.expiry.days\": \"90\"}}\n"
    "]}\n";
static const char contact_metadata[] =
    "{\"tags\": {\"shop.Customer.phone\": [\"CONTACT\"]}}";

START_TEST(test_sound_rule_set) {
  kavro_rule_check_t *result = check_with(sound_set, contact_metadata, NULL);
  ck_assert_msg(kavro_rule_check_count(result) == 0, "findings:\n%s",
                describe(result));
  ck_assert_ptr_null(kavro_rule_check_get(result, 0));
  kavro_rule_check_destroy(result);
}
END_TEST

/* ---- one finding of each kind ------------------------------------------------ */

static const struct {
  const char *rule; /* one rule of domainRules, unless @set is given */
  const char *set;  /* a whole rule set, NULL: {"domainRules": [@rule]} */
  kavro_rule_problem_t kind;
  const char *location;
  const char *needle;  /* where it must be placed ("" for the rule) */
  const char *says;    /* in the message */
} one_finding[] = {
    {"{\"name\": \"r\", \"kind\": \"CONDTION\", \"type\": \"CEL\",\n"
     " \"expr\": \"true\"}",
     NULL, KAVRO_RULE_PROBLEM_UNKNOWN_KIND, "/domainRules/0/kind",
     "\"kind\"", "unknown kind \"CONDTION\""},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"mode\": \"WRITEONLY\",\n"
     " \"type\": \"CEL\", \"expr\": \"true\"}",
     NULL, KAVRO_RULE_PROBLEM_UNKNOWN_MODE, "/domainRules/0/mode",
     "\"mode\"", "unknown mode \"WRITEONLY\""},
    {"{\"name\": \"r\", \"kind\": \"TRANSFORM\", \"type\": \"JSONATA\",\n"
     " \"expr\": \"$\"}",
     NULL, KAVRO_RULE_PROBLEM_NO_EXECUTOR, "/domainRules/0/type", "\"type\"",
     "no executor for type JSONATA"},
    {NULL,
     "{\"migrationRules\": [\n"
     "  {\"name\": \"up\", \"kind\": \"TRANSFORM\", \"mode\": \"UPGRADE\",\n"
     "   \"type\": \"JSONATA\", \"expr\": \"$\", \"onFailure\": \"NONE\"}]}",
     KAVRO_RULE_PROBLEM_NO_EXECUTOR, "/migrationRules/0/type", "\"type\"",
     "with onFailure NONE it never runs"},
    {NULL,
     "{\"encodingRules\": [\n"
     "  {\"name\": \"enc\", \"kind\": \"TRANSFORM\", \"mode\": \"WRITEREAD\",\n"
     "   \"type\": \"CEL\", \"expr\": \"true\"}]}",
     KAVRO_RULE_PROBLEM_NO_EXECUTOR, "/encodingRules/0/type", "\"type\"",
     "does not run this encoding rule"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"expr\": \"message.amount >=\"}",
     NULL, KAVRO_RULE_PROBLEM_CEL_SYNTAX, "/domainRules/0/expr", "\"expr\"",
     "fails on every message"},
    /* `value` is CEL_FIELD's, not CEL's. */
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"expr\": \"value > 0\"}",
     NULL, KAVRO_RULE_PROBLEM_CEL_SYNTAX, "/domainRules/0/expr", "\"expr\"",
     "value"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL_FIELD\",\n"
     " \"expr\": \"name == ; value != ''\"}",
     NULL, KAVRO_RULE_PROBLEM_CEL_SYNTAX, "/domainRules/0/expr", "\"expr\"",
     "the guard does not parse, so the rule never runs"},
    /* Without the parameter, "a;b" splits into a guard and a body. */
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"expr\": \"message.note != 'a;b'\"}",
     NULL, KAVRO_RULE_PROBLEM_CEL_SYNTAX, "/domainRules/0/expr", "\"expr\"",
     "guard"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"expr\": \"message.?note == 'x'\"}",
     NULL, KAVRO_RULE_PROBLEM_CEL_UNSUPPORTED, "/domainRules/0/expr",
     "\"expr\"", "refused by kavro's CEL engine"},
    {"{\"name\": \"r\", \"kind\": \"TRANSFORM\", \"type\": \"CEL_FIELD\",\n"
     " \"tags\": [\"PII\", \"PIII\"], \"expr\": \"value\"}",
     NULL, KAVRO_RULE_PROBLEM_UNKNOWN_TAG, "/domainRules/0/tags/1",
     "\"PIII\"", "no field of the schema has tag \"PIII\""},
    /* ENCRYPT's parameters, as its executor reads them. */
    {"{\"name\": \"r\", \"kind\": \"TRANSFORM\", \"type\": \"ENCRYPT\",\n"
     " \"tags\": [\"PII\"], \"params\": {\"encrypt.kms.type\": \"local-kms\"}}",
     NULL, KAVRO_RULE_PROBLEM_BAD_PARAM, "/domainRules/0/params",
     "\"params\"", "no kek name found"},
    {"{\"name\": \"r\", \"kind\": \"TRANSFORM\", \"type\": \"ENCRYPT\",\n"
     " \"tags\": [\"PII\"], \"params\": {\"encrypt.kek.name\": \"k\",\n"
     " \"encrypt.dek.expiry.days\": \"-3\"}}",
     NULL, KAVRO_RULE_PROBLEM_BAD_PARAM, "/domainRules/0/params",
     "\"params\"", "negative expiry days"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"ENCRYPT\",\n"
     " \"tags\": [\"PII\"]}",
     NULL, KAVRO_RULE_PROBLEM_BAD_PARAM, "/domainRules/0", "{\"name\": \"r\"",
     "transforms, not conditions"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"expr\": \"true\", \"onFailure\": \"DLQ2\"}",
     NULL, KAVRO_RULE_PROBLEM_UNKNOWN_ACTION, "/domainRules/0/onFailure",
     "\"onFailure\"", "\"DLQ2\""},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"expr\": \"true\", \"onSuccess\": \"none\"}",
     NULL, KAVRO_RULE_PROBLEM_UNKNOWN_ACTION, "/domainRules/0/onSuccess",
     "\"onSuccess\"", "upper case"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"mode\": \"WRITEREAD\",\n"
     " \"type\": \"CEL\", \"expr\": \"true\", \"onFailure\": \"ERROR,DEAD\"}",
     NULL, KAVRO_RULE_PROBLEM_UNKNOWN_ACTION, "/domainRules/0/onFailure",
     "\"onFailure\"", "\"DEAD\" on READ"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"mode\": \"WRITE\",\n"
     " \"type\": \"CEL\", \"expr\": \"true\", \"onFailure\": \"ERROR,NONE\"}",
     NULL, KAVRO_RULE_PROBLEM_MALFORMED, "/domainRules/0/onFailure",
     "\"onFailure\"", "only for WRITEREAD and UPDOWN"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"mode\": \"UPGRADE\",\n"
     " \"type\": \"CEL\", \"expr\": \"true\"}",
     NULL, KAVRO_RULE_PROBLEM_MALFORMED, "/domainRules/0/mode", "\"mode\"",
     "not allowed in domainRules"},
    {"{\"kind\": \"CONDITION\", \"type\": \"CEL\", \"expr\": \"true\"}", NULL,
     KAVRO_RULE_PROBLEM_MALFORMED, "/domainRules/0", "{\"kind\"",
     "without a name"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"expr\": \"true\"}", NULL,
     KAVRO_RULE_PROBLEM_MALFORMED, "/domainRules/0", "{\"name\"",
     "has no type"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"expression\": \"true\", \"expr\": \"true\"}",
     NULL, KAVRO_RULE_PROBLEM_MALFORMED, "/domainRules/0/expression",
     "\"expression\"", "not a member of a rule"},
    /* A member's name is a JSON pointer token: '/' and '~' escaped. */
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"a/b~c\": 1, \"expr\": \"true\"}",
     NULL, KAVRO_RULE_PROBLEM_MALFORMED, "/domainRules/0/a~1b~0c",
     "\"a/b~c\"", "not a member of a rule"},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     " \"expr\": 42}",
     NULL, KAVRO_RULE_PROBLEM_MALFORMED, "/domainRules/0/expr", "\"expr\"",
     "must be a string"},
    {NULL,
     "{\"domainRules\": [\n"
     "  {\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     "   \"expr\": \"true\"},\n"
     "  {\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
     "   \"expr\": \"false\"}]}",
     KAVRO_RULE_PROBLEM_MALFORMED, "/domainRules/1/name", "\"name\": \"r\", "
     "\"kind\": \"CONDITION\", \"type\": \"CEL\",\n   \"expr\": \"false\"",
     "two rules are named \"r\""},
    {NULL, "{\"domainrules\": []}", KAVRO_RULE_PROBLEM_MALFORMED,
     "/domainrules", "\"domainrules\"", "never run"},
    {NULL, "{\"domainRules\": {}}", KAVRO_RULE_PROBLEM_MALFORMED,
     "/domainRules", "\"domainRules\"", "not an array"},
    {NULL, "{\"domainRules\": [\"r\"]}", KAVRO_RULE_PROBLEM_MALFORMED,
     "/domainRules/0", "\"r\"", "not a JSON object"},
};

START_TEST(test_one_finding) {
  char text[1024];
  if (one_finding[_i].set)
    snprintf(text, sizeof(text), "%s", one_finding[_i].set);
  else
    snprintf(text, sizeof(text), "{\"domainRules\": [\n  %s\n]}\n",
             one_finding[_i].rule);
  kavro_rule_check_t *result = check_with(text, NULL, NULL);
  ck_assert_msg(kavro_rule_check_count(result) == 1,
                "case %d: %zu findings:\n%s", _i,
                kavro_rule_check_count(result), describe(result));
  const kavro_rule_finding_t *f = kavro_rule_check_get(result, 0);
  ck_assert_msg(f->kind == one_finding[_i].kind, "case %d: %s", _i,
                describe(result));
  ck_assert_str_eq(f->location, one_finding[_i].location);
  ck_assert_msg(strstr(f->message, one_finding[_i].says) != NULL,
                "case %d: \"%s\" not in: %s", _i, one_finding[_i].says,
                f->message);
  int line, column;
  position_of(text, one_finding[_i].needle, &line, &column);
  ck_assert_int_eq(f->line, line);
  ck_assert_int_eq(f->column, column);
  const char *name = strstr(text, "\"name\": \"r\"") ? "r"
                     : strstr(text, "\"up\"")        ? "up"
                     : strstr(text, "\"enc\"")       ? "enc"
                                                     : "";
  ck_assert_str_eq(f->rule_name, name);
  kavro_rule_check_destroy(result);
}
END_TEST

/* Every problem of a rule set is reported, in the order of the text, not
 * only the first as compiling does. */
START_TEST(test_every_finding) {
  const char *text =
      "{\"domainRules\": [\n"
      "  {\"name\": \"a\", \"kind\": \"SOMETIMES\", \"type\": \"CEL\",\n"
      "   \"expr\": \"true\", \"onFailure\": \"PANIC\", \"tags\": [\"X\"]},\n"
      "  {\"name\": \"b\", \"kind\": \"CONDITION\", \"type\": \"CEL\",\n"
      "   \"expr\": \"(\"}],\n"
      " \"migrationRules\": [\n"
      "  {\"name\": \"c\", \"kind\": \"TRANSFORM\", \"mode\": \"UPGRADE\",\n"
      "   \"type\": \"JSONATA\", \"expr\": \"$\"}]}";
  kavro_rule_check_t *result = check_with(text, NULL, NULL);
  static const struct {
    kavro_rule_problem_t kind;
    const char *location, *rule;
  } expected[] = {
      {KAVRO_RULE_PROBLEM_UNKNOWN_TAG, "/domainRules/0/tags/0", "a"},
      {KAVRO_RULE_PROBLEM_UNKNOWN_KIND, "/domainRules/0/kind", "a"},
      {KAVRO_RULE_PROBLEM_UNKNOWN_ACTION, "/domainRules/0/onFailure", "a"},
      {KAVRO_RULE_PROBLEM_CEL_SYNTAX, "/domainRules/1/expr", "b"},
      {KAVRO_RULE_PROBLEM_NO_EXECUTOR, "/migrationRules/0/type", "c"},
  };
  size_t n = sizeof(expected) / sizeof(*expected);
  ck_assert_msg(kavro_rule_check_count(result) == n, "findings:\n%s",
                describe(result));
  for (size_t i = 0; i < n; i++) {
    const kavro_rule_finding_t *f = kavro_rule_check_get(result, i);
    ck_assert_msg(f->kind == expected[i].kind, "finding %zu:\n%s", i,
                  describe(result));
    ck_assert_str_eq(f->location, expected[i].location);
    ck_assert_str_eq(f->rule_name, expected[i].rule);
  }
  ck_assert_str_eq(kavro_rule_problem_name(KAVRO_RULE_PROBLEM_UNKNOWN_TAG),
                   "UNKNOWN_TAG");
  ck_assert_str_eq(kavro_rule_problem_name((kavro_rule_problem_t)99),
                   "UNKNOWN");
  kavro_rule_check_destroy(result);
}
END_TEST

/* ---- the guard --------------------------------------------------------------- */

/* `cel.ignore.guard.separator`, as a rule parameter or a metadata
 * property, makes ';' part of the expression. */
START_TEST(test_guard_separator_ignored) {
  const char *param =
      "{\"domainRules\": [{\"name\": \"r\", \"kind\": \"CONDITION\",\n"
      " \"type\": \"CEL\", \"expr\": \"message.note != 'a;b'\",\n"
      " \"params\": {\"cel.ignore.guard.separator\": \"true\"}}]}";
  kavro_rule_check_t *result = check_with(param, NULL, NULL);
  ck_assert_msg(kavro_rule_check_count(result) == 0, "%s", describe(result));
  kavro_rule_check_destroy(result);
  const char *plain =
      "{\"domainRules\": [{\"name\": \"r\", \"kind\": \"CONDITION\",\n"
      " \"type\": \"CEL\", \"expr\": \"message.note != 'a;b'\"}]}";
  result = check_with(plain, "{\"properties\": "
                             "{\"cel.ignore.guard.separator\": \"true\"}}",
                      NULL);
  ck_assert_msg(kavro_rule_check_count(result) == 0, "%s", describe(result));
  kavro_rule_check_destroy(result);
  /* A body that does not parse after a sound guard is reported as the
   * body's. */
  const char *body =
      "{\"domainRules\": [{\"name\": \"r\", \"kind\": \"CONDITION\",\n"
      " \"type\": \"CEL\", \"expr\": \"true; message.note ==\"}]}";
  result = check_with(body, NULL, NULL);
  ck_assert_uint_eq(kavro_rule_check_count(result), 1);
  const kavro_rule_finding_t *f = kavro_rule_check_get(result, 0);
  ck_assert_int_eq(f->kind, KAVRO_RULE_PROBLEM_CEL_SYNTAX);
  ck_assert_ptr_nonnull(strstr(f->message, "after the guard"));
  kavro_rule_check_destroy(result);
}
END_TEST

/* ---- tags --------------------------------------------------------------------- */

/* A tag only metadata paths give is a field's; without them, not; and
 * without a schema, tags are not checked. */
START_TEST(test_tags_from_metadata) {
  const char *text =
      "{\"domainRules\": [{\"name\": \"mask\", \"kind\": \"TRANSFORM\",\n"
      " \"type\": \"CEL_FIELD\", \"tags\": [\"CONTACT\"], \"expr\": \"value\"}]}";
  kavro_rule_check_t *result =
      check_with(text, "{\"tags\": {\"**.phone\": [\"CONTACT\"]}}", NULL);
  ck_assert_msg(kavro_rule_check_count(result) == 0, "%s", describe(result));
  kavro_rule_check_destroy(result);
  /* A path that reaches no field gives no tag. */
  result = check_with(text, "{\"tags\": {\"shop.Order.phone\": [\"CONTACT\"]}}",
                      NULL);
  ck_assert_uint_eq(kavro_rule_check_count(result), 1);
  ck_assert_int_eq(kavro_rule_check_get(result, 0)->kind,
                   KAVRO_RULE_PROBLEM_UNKNOWN_TAG);
  kavro_rule_check_destroy(result);
  kavro_rule_check_t *unchecked = NULL;
  ck_assert_int_eq(kavro_rule_set_check(text, NULL, NULL, NULL, &unchecked,
                                        NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(kavro_rule_check_count(unchecked), 0);
  kavro_rule_check_destroy(unchecked);
}
END_TEST

/* ---- what a conf registers ------------------------------------------------------- */

static kavro_err_t migrate_stub(void *opaque, const kavro_rule_ctx_t *ctx,
                                const char *json, char **result, bool *passed,
                                kavro_error_t *error) {
  (void)opaque, (void)ctx, (void)json, (void)result, (void)passed,
      (void)error;
  return KAVRO_OK;
}

static kavro_err_t execute_stub(void *opaque, const kavro_rule_ctx_t *ctx,
                                struct avro_value *message, bool *passed,
                                kavro_error_t *error) {
  (void)opaque, (void)ctx, (void)message, (void)passed, (void)error;
  return KAVRO_OK;
}

static kavro_err_t action_stub(void *opaque, const kavro_rule_ctx_t *ctx,
                               const struct avro_value *message,
                               const kavro_error_t *cause,
                               kavro_error_t *error) {
  (void)opaque, (void)ctx, (void)message, (void)cause, (void)error;
  return KAVRO_OK;
}

/* Executors and actions registered in the conf count; an executor that
 * does not fit the rule (a message executor for a migration) does not. */
START_TEST(test_registered_executors_and_actions) {
  const char *text =
      "{\"migrationRules\": [\n"
      "  {\"name\": \"up\", \"kind\": \"TRANSFORM\", \"mode\": \"UPGRADE\",\n"
      "   \"type\": \"JSONATA\", \"expr\": \"$\", \"onFailure\": \"AUDIT\"},\n"
      "  {\"name\": \"down\", \"kind\": \"TRANSFORM\", \"mode\": \"DOWNGRADE\",\n"
      "   \"type\": \"SCRIPT\", \"expr\": \"$\"}],\n"
      " \"domainRules\": [\n"
      "  {\"name\": \"own\", \"kind\": \"CONDITION\", \"type\": \"SCRIPT\",\n"
      "   \"expr\": \"anything at all (\", \"onFailure\": \"audit\"}]}";
  kavro_conf_t *conf = kavro_conf_new();
  kavro_rule_executor_t migrator = {.migrate = migrate_stub};
  kavro_rule_executor_t script = {.execute = execute_stub};
  ck_assert_int_eq(kavro_conf_add_rule_executor(conf, "JSONATA", NULL,
                                                &migrator, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_add_rule_executor(conf, "SCRIPT", NULL, &script,
                                                NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_add_rule_action(conf, "AUDIT", action_stub,
                                              NULL, NULL),
                   KAVRO_OK);
  kavro_rule_check_t *result = check_with(text, NULL, conf);
  ck_assert_msg(kavro_rule_check_count(result) == 1, "%s", describe(result));
  const kavro_rule_finding_t *f = kavro_rule_check_get(result, 0);
  ck_assert_int_eq(f->kind, KAVRO_RULE_PROBLEM_NO_EXECUTOR);
  ck_assert_str_eq(f->location, "/migrationRules/1/type");
  ck_assert_str_eq(f->rule_name, "down");
  kavro_rule_check_destroy(result);
  /* Without the conf, the same rules lack their executors and action. */
  result = check_with(text, NULL, NULL);
  ck_assert_msg(kavro_rule_check_count(result) == 5, "%s", describe(result));
  kavro_rule_check_destroy(result);
  kavro_conf_destroy(conf);
}
END_TEST

/* ---- refused input ------------------------------------------------------------------ */

START_TEST(test_refused_input) {
  kavro_rule_check_t *result = (kavro_rule_check_t *)1;
  kavro_error_t error;
  ck_assert_int_eq(kavro_rule_set_check("{\"domainRules\": [\n  {,]}", NULL,
                                        NULL, NULL, &result, &error),
                   KAVRO_ERR_JSON);
  ck_assert_ptr_null(result);
  ck_assert_int_eq(error.line, 2);
  ck_assert_ptr_nonnull(strstr(error.text, "rule set"));
  ck_assert_int_eq(kavro_rule_set_check("{\"domainRules\": [], "
                                        "\"domainRules\": []}",
                                        NULL, NULL, NULL, &result, &error),
                   KAVRO_ERR_JSON);
  ck_assert_int_eq(kavro_rule_set_check("[]", NULL, NULL, NULL, &result,
                                        &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(error.text, "not a JSON object"));
  ck_assert_int_eq(kavro_rule_set_check("{}", "[1]", NULL, NULL, &result,
                                        &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(error.text, "metadata"));
  ck_assert_int_eq(kavro_rule_set_check(NULL, NULL, NULL, NULL, &result,
                                        &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_rule_set_check("{}", NULL, NULL, NULL, NULL, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_null(result);
  /* An empty rule set is sound. */
  ck_assert_int_eq(kavro_rule_set_check("{}", NULL, NULL, NULL, &result,
                                        &error),
                   KAVRO_OK);
  ck_assert_uint_eq(kavro_rule_check_count(result), 0);
  kavro_rule_check_destroy(result);
  kavro_rule_check_destroy(NULL);
  ck_assert_uint_eq(kavro_rule_check_count(NULL), 0);
}
END_TEST

/* ---- the check and the serializer agree ----------------------------------- */

/* Rule sets the check finds a refusal in, or none: the serializer refuses
 * exactly those (KAVRO_ERR_UNSUPPORTED, when it compiles the rule set). */
static const struct {
  const char *rule; /* one domain rule */
  bool refused;
} verdicts[] = {
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\","
     " \"expr\": \"message.amount >= 0.0\"}",
     false},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"CEL\","
     " \"expr\": \"message.?note == 'x'\"}",
     true},
    {"{\"name\": \"r\", \"kind\": \"TRANSFORM\", \"type\": \"CEL\","
     " \"expr\": \"message\"}",
     false},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"JSONATA\","
     " \"expr\": \"$\"}",
     true},
    {"{\"name\": \"r\", \"kind\": \"CONDITION\", \"type\": \"JSONATA\","
     " \"expr\": \"$\", \"onFailure\": \"NONE\"}",
     false},
};

START_TEST(test_agrees_with_serializer) {
  char text[512];
  snprintf(text, sizeof(text), "{\"domainRules\": [%s]}", verdicts[_i].rule);
  kavro_rule_check_t *result = check_with(text, NULL, NULL);
  bool refusal = false;
  for (size_t i = 0; i < kavro_rule_check_count(result); i++) {
    const kavro_rule_finding_t *f = kavro_rule_check_get(result, i);
    refusal = refusal || f->kind == KAVRO_RULE_PROBLEM_CEL_UNSUPPORTED ||
              (f->kind == KAVRO_RULE_PROBLEM_NO_EXECUTOR &&
               strstr(f->message, "never runs") == NULL);
  }
  ck_assert_msg(refusal == verdicts[_i].refused, "case %d:\n%s", _i,
                describe(result));
  kavro_rule_check_destroy(result);

  kt_mock_start("rules_check");
  kavro_registry_t *reg = kt_client(kt_mock_url(0), NULL);
  kt_register_contract(reg, "orders-value", order_schema, NULL, text);
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "auto.register.schemas", "false",
                                  NULL),
                   KAVRO_OK);
  kavro_error_t error;
  kavro_serializer_t *ser = kavro_serializer_new(reg, conf, &error);
  ck_assert_msg(ser != NULL, "%s", error.text);
  kavro_conf_destroy(conf); /* copied */
  kavro_schema_t *schema = order();
  kt_value_t v;
  kt_value_from_json(&v, schema,
                     "{\"id\": \"o-1\", \"amount\": 1.5, \"note\": \"n\","
                     " \"customer\": {\"email\": \"a@b.c\","
                     " \"phone\": null}}");
  kavro_buf_t *out = kavro_buf_new(0, 0);
  kavro_err_t err = kavro_serializer_serialize(ser, "orders", false, schema,
                                               &v.value, out, &error);
  ck_assert_msg(err == (verdicts[_i].refused ? KAVRO_ERR_UNSUPPORTED
                                             : KAVRO_OK),
                "case %d: %s: %s", _i, kavro_err2name(err), error.text);
  kavro_buf_destroy(out);
  kt_value_free(&v);
  kavro_schema_destroy(schema);
  kavro_serializer_destroy(ser);
  kavro_registry_destroy(reg);
  kt_mock_stop();
}
END_TEST

static Suite *rules_check_suite(void) {
  Suite *s = suite_create("rules_check");
  TCase *t = tcase_create("check");
  tcase_add_test(t, test_sound_rule_set);
  tcase_add_loop_test(t, test_one_finding, 0,
                      (int)(sizeof(one_finding) / sizeof(*one_finding)));
  tcase_add_test(t, test_every_finding);
  tcase_add_test(t, test_guard_separator_ignored);
  tcase_add_test(t, test_tags_from_metadata);
  tcase_add_test(t, test_registered_executors_and_actions);
  tcase_add_test(t, test_refused_input);
  tcase_add_loop_test(t, test_agrees_with_serializer, 0,
                      (int)(sizeof(verdicts) / sizeof(*verdicts)));
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(rules_check_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
