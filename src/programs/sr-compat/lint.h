/*
 * sr-compat lint - the rules and their pieces.  The rules that look at how
 * a schema is written (a logicalType beside a field, a union without a
 * default) read the JSON as written, with jansson; the parsed schema adds
 * its own warnings and the line and column of every finding.
 */
#ifndef SR_COMPAT_LINT_H
#define SR_COMPAT_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <kavro.h>

#include "report.h"

typedef enum sc_lint_rule_e {
  SC_LINT_LOGICAL_TYPE_ON_FIELD,
  SC_LINT_NULLABLE_WITHOUT_DEFAULT,
  SC_LINT_NULL_NOT_FIRST,
  SC_LINT_ENUM_WITHOUT_DEFAULT,
  SC_LINT_UNPORTABLE_NAME,
  SC_LINT_MISSING_DOC,
  SC_LINT_DUPLICATE_TYPE,
  SC_LINT_SCHEMA_WARNING,
  SC_LINT_INVALID_DISABLE,
  /* A data contract's rule set (--rule-set), one per
   * kavro_rule_problem_t, in its order. */
  SC_LINT_RULE_MALFORMED,
  SC_LINT_RULE_UNKNOWN_KIND,
  SC_LINT_RULE_UNKNOWN_MODE,
  SC_LINT_RULE_NO_EXECUTOR,
  SC_LINT_RULE_CEL_SYNTAX,
  SC_LINT_RULE_CEL_UNSUPPORTED,
  SC_LINT_RULE_UNKNOWN_TAG,
  SC_LINT_RULE_UNKNOWN_ACTION,
  SC_LINT_RULE_BAD_PARAM,
  SC_LINT_RULE_COUNT
} sc_lint_rule_t;

typedef struct sc_lint_rule_info_s {
  const char *id;       /* what --disable and "sr-compat.disable" name */
  bool on_by_default;
  const char *summary;  /* one line, for --help */
} sc_lint_rule_info_t;

extern const sc_lint_rule_info_t sc_lint_rules[SC_LINT_RULE_COUNT];

/* The rule called @id, or -1. */
int sc_lint_rule_find(const char *id);

/* The in-schema property that silences rules for an object and what it
 * contains. */
#define SC_LINT_DISABLE_PROPERTY "sr-compat.disable"

/* One finding before it is placed on a line. */
typedef struct sc_lint_hit_s {
  sc_lint_rule_t rule;
  char *pointer;
  char *message;
  char *fix;
} sc_lint_hit_t;

typedef struct sc_lint_hits_s {
  sc_lint_hit_t *items;
  size_t count, capacity;
} sc_lint_hits_t;

/* Append a hit; takes ownership of the three strings. */
void sc_lint_hit(sc_lint_hits_t *hits, sc_lint_rule_t rule, char *pointer,
                 char *message, char *fix);
void sc_lint_hits_clear(sc_lint_hits_t *hits);

/* A named type a file defines. */
typedef struct sc_lint_def_s {
  char *fullname;
  char *pointer;        /* of its definition */
} sc_lint_def_t;

typedef struct sc_lint_defs_s {
  sc_lint_def_t *items;
  size_t count, capacity;
} sc_lint_defs_t;

void sc_lint_defs_clear(sc_lint_defs_t *defs);

/* Walk the schema JSON @root as written: add hits for the structural rules
 * and collect the named types it defines, with their full names as Avro's
 * namespace rules make them. */
void sc_lint_walk(json_t *root, sc_lint_hits_t *hits, sc_lint_defs_t *defs);

/* Why @name (one dot-free part of a name, a field name or an enum symbol)
 * would not survive code generation in other languages: a new sentence
 * fragment ("is a reserved word in Java and Python"), or NULL when it is
 * portable. */
char *sc_lint_name_problem(const char *name);

/* Is @name a valid Avro name part, [A-Za-z_][A-Za-z0-9_]*? */
bool sc_lint_valid_name(const char *name);

/* Is the rule @id silenced by a "sr-compat.disable" property on an object
 * on the way from @root to @pointer? */
bool sc_lint_disabled_at(json_t *root, const char *pointer, const char *id);

/* The data contract a run lints: --rule-set and --metadata, read and
 * checked to be JSON objects. */
typedef struct sc_lint_contract_s {
  const char *rule_set_path; /* as given; NULL: no contract to lint */
  const char *metadata_path; /* NULL: none */
  char *rule_set, *metadata; /* their text */
} sc_lint_contract_t;

/* Lint @contract's rule set for @schema (NULL when it does not parse:
 * tags are then not checked) with kavro_rule_set_check(): a unit of
 * @report for the rule set's file, each finding of an @enabled rule with
 * its fix and its place in the file (@top: the repository's top, for
 * annotations; NULL none). */
void sc_lint_contract(const sc_lint_contract_t *contract,
                      const kavro_schema_t *schema, const bool *enabled,
                      const char *top, sc_report_t *report);

#endif /* SR_COMPAT_LINT_H */
