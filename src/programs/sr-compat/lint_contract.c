/*
 * sr-compat lint --rule-set - a data contract's rule set, checked by the
 * library (kavro_rule_set_check()) against the schema it goes with, and
 * reported as lint findings against the rule set's own file: a rule id per
 * kind of problem, the JSON pointer and the line and column in that file,
 * and a one-line fix.
 */
#include <stdio.h>
#include <stdlib.h>

#include "command.h"
#include "lint.h"
#include "util.h"

/* The lint rule of each kavro_rule_problem_t, and its fix. */
static const struct {
  sc_lint_rule_t rule;
  const char *fix;
} problems[] = {
    [KAVRO_RULE_PROBLEM_MALFORMED] =
        {SC_LINT_RULE_MALFORMED,
         "give it the registry's shape: lists domainRules, migrationRules and "
         "encodingRules of rules with a unique name, a type and string "
         "members (name, doc, kind, mode, type, expr, onSuccess, onFailure), "
         "tags, params and disabled"},
    [KAVRO_RULE_PROBLEM_UNKNOWN_KIND] =
        {SC_LINT_RULE_UNKNOWN_KIND, "use CONDITION or TRANSFORM"},
    [KAVRO_RULE_PROBLEM_UNKNOWN_MODE] =
        {SC_LINT_RULE_UNKNOWN_MODE,
         "use WRITE, READ or WRITEREAD (domain and encoding rules), or "
         "UPGRADE, DOWNGRADE or UPDOWN (migration rules)"},
    [KAVRO_RULE_PROBLEM_NO_EXECUTOR] =
        {SC_LINT_RULE_NO_EXECUTOR,
         "use a type kavro runs (CEL, CEL_FIELD, ENCRYPT), or make sure every client "
         "of the topic registers an executor for it "
         "(kavro_conf_add_rule_executor())"},
    [KAVRO_RULE_PROBLEM_CEL_SYNTAX] =
        {SC_LINT_RULE_CEL_SYNTAX,
         "correct the expression: CEL binds message and now, CEL_FIELD value, "
         "fullName, name, typeName, tags, message and now; a ';' ends a guard "
         "unless the param cel.ignore.guard.separator is \"true\""},
    [KAVRO_RULE_PROBLEM_CEL_UNSUPPORTED] =
        {SC_LINT_RULE_CEL_UNSUPPORTED,
         "write it with what kavro's CEL engine implements (the standard "
         "functions and macros; a transform as a CEL_FIELD rule)"},
    [KAVRO_RULE_PROBLEM_UNKNOWN_TAG] =
        {SC_LINT_RULE_UNKNOWN_TAG,
         "correct the tag, or give it to the field (\"confluent:tags\" in "
         "the schema, or a metadata.tags path with --metadata)"},
    [KAVRO_RULE_PROBLEM_UNKNOWN_ACTION] =
        {SC_LINT_RULE_UNKNOWN_ACTION,
         "use NONE, ERROR or DLQ, or make sure every client of the topic "
         "registers the action (kavro_conf_add_rule_action())"},
    [KAVRO_RULE_PROBLEM_BAD_PARAM] =
        {SC_LINT_RULE_BAD_PARAM,
         "give the rule the parameters its executor needs (ENCRYPT: "
         "encrypt.kek.name, and encrypt.kms.type and encrypt.kms.key.id for "
         "the producer that makes the KEK; encrypt.dek.algorithm AES128_GCM, "
         "AES256_GCM or AES256_SIV; encrypt.dek.expiry.days a number of "
         "days)"},
};

/* A finding of @unit for @f. */
static void add_finding(sc_unit_t *unit, const kavro_rule_finding_t *f) {
  sc_finding_t *finding = sc_unit_add_finding(unit);
  finding->kind = sc_xstrdup(sc_lint_rules[problems[f->kind].rule].id);
  finding->severity = SC_SEVERITY_WARNING;
  finding->message = sc_xstrdup(f->message);
  finding->fix = sc_xstrdup(problems[f->kind].fix);
  finding->pointer = sc_xstrdup(f->location);
  finding->line = f->line;
  finding->column = f->column;
}

void sc_lint_contract(const sc_lint_contract_t *contract,
                      const kavro_schema_t *schema, const bool *enabled,
                      const char *top, sc_report_t *report) {
  sc_unit_t *unit = sc_report_add_unit(report, contract->rule_set_path);
  kavro_error_t error;
  unit->real = sc_realpath(contract->rule_set_path, &error);
  if (top && unit->real)
    unit->annotation_file = sc_path_relative(top, unit->real);
  kavro_rule_check_t *result = NULL;
  kavro_err_t err = kavro_rule_set_check(contract->rule_set, contract->metadata,
                                         schema, NULL, &result, &error);
  if (err != KAVRO_OK) {
    char why[sizeof(error.text)];
    snprintf(why, sizeof(why), "%s", error.text);
    sc_fail(&error, err, contract->rule_set_path, "%s", why);
    sc_unit_fail(unit, SC_STATUS_ERROR, &error);
    return;
  }
  for (size_t i = 0; i < kavro_rule_check_count(result); i++) {
    const kavro_rule_finding_t *f = kavro_rule_check_get(result, i);
    if ((size_t)f->kind < sizeof(problems) / sizeof(*problems) &&
        enabled[problems[f->kind].rule])
      add_finding(unit, f);
  }
  kavro_rule_check_destroy(result);
  if (unit->finding_count)
    unit->status = SC_STATUS_FAIL;
}
