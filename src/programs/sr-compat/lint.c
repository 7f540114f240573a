/*
 * sr-compat lint - warnings for schemas that are legal Avro but break
 * evolution or intent, each with a rule id, a location and a one-line fix.
 *
 * Rules are silenced for a run with --disable ID, or in the schema with a
 * "sr-compat.disable": ["ID", ...] property on any schema or field object,
 * which covers that object and everything inside it.
 *
 * With --rule-set (and --metadata), the data contract of the one schema
 * FILE is linted too, as a unit of its own (lint_contract.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "command.h"
#include "lint.h"
#include "subcommands.h"
#include "util.h"

static const char lint_help[] =
    "Usage: sr-compat lint [OPTIONS] [FILE...]\n"
    "\n"
    "Warn about schemas that are valid Avro but break evolution or intent.\n"
    "Each warning has a rule id, a location (file:line:column and the JSON\n"
    "pointer) and a one-line fix.  Without FILE arguments, every schema of\n"
    "the catalog is linted; catalog references are parsed first.\n"
    "\n"
    "Options:\n"
    "  --rule-set FILE    also lint this rule set (the JSON object the\n"
    "                     registry takes as \"ruleSet\") of the one schema\n"
    "                     FILE: kinds, modes, executors, CEL, tags, actions\n"
    "  --metadata FILE    its metadata (\"metadata\"), whose tags paths give\n"
    "                     fields tags\n"
    "  --disable ID       do not apply rule ID (repeatable)\n"
    "  --enable ID        apply rule ID, also one that is off by default\n"
    "                     (repeatable)\n"
    "  --catalog FILE     the catalog (default: avro/catalog.json at the top\n"
    "                     of the repository, when it exists)\n"
    "  --no-catalog       ignore the default catalog\n"
    "  --format FORMAT    text (default), json, junit, github, gitlab,\n"
    "                     markdown or msvs\n"
    SC_COMMON_FILTER_HELP
    "  -h, --help         show this help\n"
    "\n"
    "In a schema, \"" SC_LINT_DISABLE_PROPERTY "\": [\"ID\", ...] on a record,\n"
    "field or other type object silences those rules for it and everything\n"
    "inside it.\n"
    "\n"
    "Rules (default state in brackets):\n";

static const char lint_help_tail[] =
    "\n"
    "Exit status: 0 no warnings, 1 warnings or an invalid schema, 2 usage or\n"
    "I/O error.\n";

static void print_help(void) {
  fputs(lint_help, stdout);
  for (int i = 0; i < SC_LINT_RULE_COUNT; i++)
    printf("  %-25s [%s] %s\n", sc_lint_rules[i].id,
           sc_lint_rules[i].on_by_default ? "on" : "off",
           sc_lint_rules[i].summary);
  fputs(lint_help_tail, stdout);
}

typedef struct linter_s {
  const sc_common_t *common;
  sc_fileset_t *set;
  bool enabled[SC_LINT_RULE_COUNT];
  json_t **raw;             /* the JSON as written, per file; NULL if none */
  sc_lint_hits_t *hits;     /* per file */
  sc_lint_defs_t *defs;     /* per file */
  sc_report_t *report;
  char *top;
  sc_lint_contract_t contract; /* --rule-set, --metadata */
} linter_t;

/* "file:line:col" of a definition, for a message about another file. */
static char *where(const sc_file_t *file, const char *pointer) {
  int line, column;
  if (file->schema && kavro_schema_locate(file->schema, pointer, &line, &column))
    return sc_xasprintf("%s:%d:%d", file->path, line, column);
  return sc_xasprintf("%s (at %s)", file->path, pointer);
}

/* Full name -> [[file index, definition index], ...], to find a named type
 * defined in more than one file without comparing every pair. */
static json_t *index_definitions(const linter_t *l) {
  json_t *by_name = sc_xjson(json_object());
  for (size_t f = 0; f < l->set->file_count; f++) {
    for (size_t d = 0; d < l->defs[f].count; d++) {
      const char *name = l->defs[f].items[d].fullname;
      json_t *list = json_object_get(by_name, name);
      if (!list) {
        list = sc_xjson(json_array());
        if (json_object_set_new(by_name, name, list) != 0)
          sc_xjson(NULL);
      }
      json_t *entry = sc_xjson(json_pack("[II]", (json_int_t)f, (json_int_t)d));
      if (json_array_append_new(list, entry) != 0)
        sc_xjson(NULL);
    }
  }
  return by_name;
}

static void find_duplicates(linter_t *l) {
  json_t *by_name = index_definitions(l);
  for (size_t f = 0; f < l->set->file_count; f++) {
    for (size_t d = 0; d < l->defs[f].count; d++) {
      const sc_lint_def_t *def = &l->defs[f].items[d];
      size_t i;
      json_t *entry;
      json_array_foreach(json_object_get(by_name, def->fullname), i, entry) {
        size_t other = (size_t)json_integer_value(json_array_get(entry, 0));
        if (other == f)
          continue;
        const sc_lint_def_t *there =
            &l->defs[other].items[json_integer_value(json_array_get(entry, 1))];
        char *there_name = sc_xasprintf("%s/name", there->pointer);
        char *place = where(l->set->files[other], there_name);
        free(there_name);
        sc_lint_hit(&l->hits[f], SC_LINT_DUPLICATE_TYPE,
                    sc_xasprintf("%s/name", def->pointer),
                    sc_xasprintf("type `%s` is also defined in %s; two "
                                 "definitions drift apart", def->fullname, place),
                    sc_xasprintf("define it in one file and list that file in "
                                 "the catalog \"references\" of the others"));
        free(place);
        break;
      }
    }
  }
  json_decref(by_name);
}

/* The parser's warnings ("pointer: text") as hits. */
static void add_schema_warnings(const sc_file_t *file, sc_lint_hits_t *hits) {
  size_t n = file->schema ? kavro_schema_warning_count(file->schema) : 0;
  for (size_t i = 0; i < n; i++) {
    const char *warning = kavro_schema_warning(file->schema, i);
    const char *colon = warning[0] == '/' ? strstr(warning, ": ") : NULL;
    sc_lint_hit(hits, SC_LINT_SCHEMA_WARNING,
                colon ? sc_xasprintf("%.*s", (int)(colon - warning), warning)
                      : sc_xstrdup(""),
                sc_xstrdup(colon ? colon + 2 : warning),
                sc_xstrdup("correct the attribute or remove it: as written, "
                           "Avro ignores it"));
  }
}

static void analyse(linter_t *l) {
  for (size_t f = 0; f < l->set->file_count; f++) {
    const sc_file_t *file = l->set->files[f];
    if (!file->needed || !file->text)
      continue;
    l->raw[f] = json_loadb(file->text, file->length, 0, NULL);
    if (l->raw[f])
      sc_lint_walk(l->raw[f], &l->hits[f], &l->defs[f]);
    add_schema_warnings(file, &l->hits[f]);
  }
  find_duplicates(l);
}

/* Line and column of @pointer in @file; for a file that does not parse,
 * known only when the parser failed on that very element. */
static void locate(const sc_file_t *file, const char *pointer, int *line,
                   int *column) {
  if (file->schema) {
    kavro_schema_locate(file->schema, pointer, line, column);
  } else if (strcmp(file->error.path, pointer) == 0) {
    *line = file->error.line;
    *column = file->error.column;
  }
}

static void lint_unit(linter_t *l, size_t f) {
  const sc_file_t *file = l->set->files[f];
  sc_unit_t *unit = sc_command_add_unit(l->report, l->top, file);
  if (!file->schema)
    sc_unit_fail(unit, file->text ? SC_STATUS_INVALID : SC_STATUS_ERROR,
                 &file->error);
  for (size_t i = 0; i < l->hits[f].count; i++) {
    sc_lint_hit_t *hit = &l->hits[f].items[i];
    const char *id = sc_lint_rules[hit->rule].id;
    if (!l->enabled[hit->rule] ||
        (l->raw[f] && sc_lint_disabled_at(l->raw[f], hit->pointer, id)))
      continue;
    sc_finding_t *finding = sc_unit_add_finding(unit);
    finding->kind = sc_xstrdup(id);
    finding->severity = SC_SEVERITY_WARNING;
    finding->message = hit->message;
    finding->fix = hit->fix;
    finding->pointer = hit->pointer;
    hit->message = hit->fix = hit->pointer = NULL;
    locate(file, finding->pointer, &finding->line, &finding->column);
  }
  if (file->schema && unit->finding_count)
    unit->status = SC_STATUS_FAIL;
}

static int run_lint(linter_t *l) {
  size_t n = l->set->file_count;
  l->raw = sc_xcalloc(n, sizeof(*l->raw));
  l->hits = sc_xcalloc(n, sizeof(*l->hits));
  l->defs = sc_xcalloc(n, sizeof(*l->defs));
  l->top = sc_command_repo_top(l->common, l->set);
  analyse(l);
  const kavro_schema_t *linted = NULL;
  for (size_t f = 0; f < n; f++)
    if (l->set->files[f]->requested) {
      lint_unit(l, f);
      linted = l->set->files[f]->schema;
    }
  if (l->contract.rule_set_path)
    sc_lint_contract(&l->contract, linted, l->enabled, l->top, l->report);
  int status = sc_command_finish(l->common, l->report);
  for (size_t f = 0; f < n; f++) {
    json_decref(l->raw[f]);
    sc_lint_hits_clear(&l->hits[f]);
    sc_lint_defs_clear(&l->defs[f]);
  }
  free(l->raw);
  free(l->hits);
  free(l->defs);
  free(l->top);
  return status;
}

enum {
  OPT_DISABLE = SC_OPT_COMMAND_FIRST,
  OPT_ENABLE,
  OPT_RULE_SET,
  OPT_METADATA
};

/* --rule-set and --metadata: with one FILE, and files that hold JSON
 * objects; returns -1 to go on, else the exit status. */
static int contract_args(sc_lint_contract_t *contract, int files) {
  if (!contract->rule_set_path)
    return contract->metadata_path
               ? sc_usage_error("lint", "--metadata goes with --rule-set")
               : -1;
  if (files != 1)
    return sc_usage_error("lint", "--rule-set goes with exactly one schema "
                                  "FILE, the one whose fields its tags name");
  kavro_error_t error;
  if (sc_read_json_object(contract->rule_set_path, "rule set",
                          &contract->rule_set, &error) != KAVRO_OK ||
      (contract->metadata_path &&
       sc_read_json_object(contract->metadata_path, "metadata",
                           &contract->metadata, &error) != KAVRO_OK))
    return sc_report_error(&error);
  return -1;
}

/* Parse the options into @common, @enabled and @contract; returns -1 to
 * go on, else the exit status. */
static int parse_args(sc_common_t *common, bool *enabled,
                      sc_lint_contract_t *contract, int argc, char **argv) {
  static const struct option options[] = {
      {"disable", required_argument, NULL, OPT_DISABLE},
      {"enable", required_argument, NULL, OPT_ENABLE},
      {"rule-set", required_argument, NULL, OPT_RULE_SET},
      {"metadata", required_argument, NULL, OPT_METADATA},
      SC_COMMON_LONG_OPTIONS,
      {NULL, 0, NULL, 0}};
  for (int i = 0; i < SC_LINT_RULE_COUNT; i++)
    enabled[i] = sc_lint_rules[i].on_by_default;
  int opt;
  optind = 0; /* glibc: start over, whatever parsed argv before */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    if (opt == 'h') {
      print_help();
      return SC_EXIT_OK;
    }
    if (opt == '?')
      return sc_usage_error("lint", "unknown option or missing argument: %s",
                            argv[optind - 1]);
    int common_status = sc_common_option(common, opt, optarg);
    if (common_status >= 0) {
      if (common_status != SC_EXIT_OK)
        return common_status;
      continue;
    }
    if (opt == OPT_RULE_SET || opt == OPT_METADATA) {
      *(opt == OPT_RULE_SET ? &contract->rule_set_path
                            : &contract->metadata_path) = optarg;
      continue;
    }
    int rule = sc_lint_rule_find(optarg);
    if (rule < 0)
      return sc_usage_error("lint", "unknown rule \"%s\" (--help lists them)",
                            optarg);
    enabled[rule] = opt == OPT_ENABLE;
  }
  return contract_args(contract, argc - optind);
}

int sc_cmd_lint(int argc, char **argv) {
  sc_common_t common;
  sc_common_init(&common, "lint");
  linter_t l = {.common = &common};
  int status = parse_args(&common, l.enabled, &l.contract, argc, argv);
  if (status < 0) {
    kavro_error_t error;
    l.set = sc_command_fileset(&common, argv + optind, argc - optind, &error);
    if (l.set) {
      l.report = sc_report_new("lint");
      status = run_lint(&l);
      sc_report_destroy(l.report);
      sc_fileset_destroy(l.set);
    } else {
      status = sc_report_error(&error);
    }
  }
  sc_common_clear(&common); /* the configuration file's rules too */
  free(l.contract.rule_set);
  free(l.contract.metadata);
  return status;
}
