/*
 * sr-compat check - compare each schema file with its previous version
 * under a compatibility level, and say exactly where a change breaks the
 * consumers.
 *
 * Files are handled in dependency order.  A previous version is parsed
 * with the previous versions of the files it references, so a change in a
 * shared type shows up in every schema that uses it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "source.h"
#include "subcommands.h"
#include "util.h"

static const char check_help[] =
    "Usage: sr-compat check [OPTIONS] --against-git REF [FILE...]\n"
    "       sr-compat check [OPTIONS] --against-dir DIR [FILE...]\n"
    "       sr-compat check [OPTIONS] --against OLD NEW\n"
    "\n"
    "Check that each schema FILE can replace its previous version without\n"
    "breaking the producers and consumers of its subject.\n"
    "\n"
    "Previous versions (exactly one of):\n"
    "  --against-git REF  the file as it is at git commit, branch or tag REF\n"
    "                     (its path relative to the top of the work tree);\n"
    "                     a file that did not exist at REF is new\n"
    "  --against-dir DIR  DIR/PATH for the FILE at PATH (relative to the\n"
    "                     current directory); a file missing there is new\n"
    "  --against OLD      OLD is the version consumers already read, NEW the\n"
    "                     candidate\n"
    "\n"
    "Options:\n"
    "  --level LEVEL      NONE, BACKWARD (the default), BACKWARD_TRANSITIVE,\n"
    "                     FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE;\n"
    "                     overrides the levels of the catalog\n"
    "  --catalog FILE     the catalog of topics, subjects, levels and\n"
    "                     references (default: avro/catalog.json at the top of\n"
    "                     the repository, when it exists; see doc/catalog.md)\n"
    "  --no-catalog       ignore the default catalog\n"
    "  --format FORMAT    text (default), json, junit or github\n"
    "  -h, --help         show this help\n"
    "\n"
    "Levels: under BACKWARD the new schema must read data written with the\n"
    "previous one (the new schema is the reader); under FORWARD the previous\n"
    "schema must read data written with the new one; FULL is both.  The\n"
    "_TRANSITIVE forms check every previous version, the others the latest.\n"
    "\n"
    "With a catalog, each file is checked under the level of its topic,\n"
    "after the files it references, which are parsed first.  Without FILE\n"
    "arguments every topic of the catalog is checked.\n"
    "\n"
    "Formats: text for people; json for machines (fields documented in\n"
    "doc/sr-compat.md); junit, JUnit XML for CI test reports; github,\n"
    "workflow annotations on the line of the offending element of the new\n"
    "schema (::error file=PATH,line=N,col=M,title=...::MESSAGE).\n"
    "\n"
    "Exit status: 0 compatible (or new), 1 incompatible or invalid schema,\n"
    "2 usage, I/O or git error.\n";

/* What the source knows about one file's previous versions. */
typedef struct history_s {
  sc_status_t status;      /* PASS: has versions; NEW; INVALID; ERROR */
  kavro_error_t error;
  sc_versions_t versions;
  kavro_schema_t **schemas; /* versions.count of them when PASS */
} history_t;

typedef struct checker_s {
  const sc_common_t *common;
  sc_fileset_t *set;
  sc_source_t *source;
  bool has_level;           /* --level given */
  kavro_compat_level_t level;
  history_t *histories;     /* indexed like set->files */
  sc_report_t *report;
  char *top;                /* for annotation paths, NULL when none */
} checker_t;

/* The schemas @file's previous versions are parsed with: for each file it
 * references, the latest previous version of that file when there is a
 * valid one, else its current version. */
static kavro_schema_t **previous_refs(const checker_t *c, const sc_file_t *file) {
  kavro_schema_t **refs = sc_xcalloc(file->ref_count, sizeof(*refs));
  for (size_t i = 0; i < file->ref_count; i++) {
    const sc_file_t *ref = file->refs[i];
    const history_t *h = &c->histories[ref->index];
    refs[i] = h->status == SC_STATUS_PASS && h->schemas
                  ? h->schemas[h->versions.count - 1]
                  : ref->schema;
  }
  return refs;
}

static void load_history(checker_t *c, const sc_file_t *file) {
  history_t *h = &c->histories[file->index];
  sc_target_t target = {file->path, file->real, file->subject};
  if (c->source->previous(c->source, &target, &h->versions, &h->error) !=
      KAVRO_OK) {
    h->status = SC_STATUS_ERROR;
    return;
  }
  if (h->versions.count == 0) {
    h->status = SC_STATUS_NEW;
    return;
  }
  kavro_schema_t **refs = previous_refs(c, file);
  h->schemas = sc_xcalloc(h->versions.count, sizeof(*h->schemas));
  h->status = SC_STATUS_PASS;
  for (size_t i = 0; i < h->versions.count; i++) {
    const sc_version_t *v = &h->versions.items[i];
    if (sc_fileset_parse(file, v->text, v->length, v->label, refs,
                         &h->schemas[i], &h->error) != KAVRO_OK) {
      h->status = h->error.code == KAVRO_ERR_NOMEM ? SC_STATUS_ERROR
                                                   : SC_STATUS_INVALID;
      break;
    }
  }
  free(refs);
}

static void history_free(history_t *h) {
  for (size_t i = 0; h->schemas && i < h->versions.count; i++)
    kavro_schema_destroy(h->schemas[i]);
  free(h->schemas);
  sc_versions_clear(&h->versions);
}

static void add_finding(sc_unit_t *unit, const kavro_schema_t *candidate,
                        const kavro_incompat_t *inc) {
  sc_finding_t *f = sc_unit_add_finding(unit);
  f->kind = sc_xstrdup(kavro_incompat_kind_name(inc->kind));
  f->severity = SC_SEVERITY_ERROR;
  f->message = sc_xstrdup(inc->message ? inc->message : "");
  f->reader_location = sc_xstrdup(inc->reader_location ? inc->reader_location : "");
  f->writer_location = sc_xstrdup(inc->writer_location ? inc->writer_location : "");
  f->role = inc->role == KAVRO_COMPAT_PREVIOUS_READS ? SC_ROLE_PREVIOUS_READS
                                                      : SC_ROLE_CANDIDATE_READS;
  /* The place to show is in the new schema: where it reads, or where it
   * writes. */
  f->pointer = sc_xstrdup(f->role == SC_ROLE_CANDIDATE_READS
                              ? f->reader_location : f->writer_location);
  f->previous_index = inc->previous_index < unit->previous_count
                          ? inc->previous_index : unit->previous_count - 1;
  kavro_schema_locate(candidate, f->pointer, &f->line, &f->column);
}

static void compare(sc_unit_t *unit, const sc_file_t *file, const history_t *h,
                    kavro_compat_level_t level) {
  unit->previous = sc_xcalloc(h->versions.count, sizeof(*unit->previous));
  for (size_t i = 0; i < h->versions.count; i++)
    unit->previous[i] = sc_xstrdup(h->versions.items[i].label);
  unit->previous_count = h->versions.count;
  kavro_compat_result_t *result;
  kavro_error_t error;
  if (kavro_compat_check_level(level, file->schema, h->schemas,
                               h->versions.count, &result, &error) != KAVRO_OK) {
    snprintf(error.source, sizeof(error.source), "%s", file->path);
    sc_unit_fail(unit, SC_STATUS_ERROR, &error);
    return;
  }
  size_t n = kavro_compat_result_count(result);
  for (size_t i = 0; i < n; i++)
    add_finding(unit, file->schema, kavro_compat_result_get(result, i));
  unit->status = kavro_compat_result_is_compatible(result) ? SC_STATUS_PASS
                                                           : SC_STATUS_FAIL;
  kavro_compat_result_destroy(result);
}

static kavro_compat_level_t level_of(const checker_t *c, const sc_topic_t *topic) {
  if (c->has_level)
    return c->level;
  if (topic && topic->has_level)
    return topic->level;
  if (c->set->has_level)
    return c->set->level;
  return KAVRO_COMPAT_BACKWARD;
}

static void check_unit(checker_t *c, const sc_file_t *file,
                       const sc_topic_t *topic) {
  sc_unit_t *unit = sc_command_add_unit(c->report, c->top, file);
  const char *subject = topic ? topic->subject : file->subject;
  unit->topic = topic ? sc_xstrdup(topic->name) : NULL;
  unit->subject = subject ? sc_xstrdup(subject) : NULL;
  kavro_compat_level_t level = level_of(c, topic);
  unit->level = kavro_compat_level_name(level);
  unit->against = sc_xstrdup(c->source->description);
  if (!file->schema) {
    sc_unit_fail(unit, file->error.code == KAVRO_ERR_IO ? SC_STATUS_ERROR
                                                        : SC_STATUS_INVALID,
                 &file->error);
    return;
  }
  const history_t *h = &c->histories[file->index];
  if (h->status == SC_STATUS_ERROR || h->status == SC_STATUS_INVALID)
    sc_unit_fail(unit, h->status, &h->error);
  else if (h->status == SC_STATUS_NEW)
    unit->status = SC_STATUS_NEW;
  else
    compare(unit, file, h, level);
}

static void check_file(checker_t *c, const sc_file_t *file) {
  if (file->schema)
    load_history(c, file);
  if (!file->requested)
    return;
  const sc_topic_t **topics = sc_xcalloc(c->set->topic_count, sizeof(*topics));
  size_t n = sc_fileset_topics_of(c->set, file, topics);
  if (n == 0)
    check_unit(c, file, NULL);
  for (size_t i = 0; i < n; i++)
    check_unit(c, file, topics[i]);
  free(topics);
}

static int run_check(checker_t *c) {
  c->histories = sc_xcalloc(c->set->file_count, sizeof(*c->histories));
  c->top = sc_command_repo_top(c->common, c->set);
  for (size_t i = 0; i < c->set->file_count; i++)
    if (c->set->files[i]->needed)
      check_file(c, c->set->files[i]);
  int status = sc_command_finish(c->common, c->report);
  for (size_t i = 0; i < c->set->file_count; i++)
    history_free(&c->histories[i]);
  free(c->histories);
  free(c->top);
  return status;
}

enum { OPT_LEVEL = SC_OPT_COMMAND_FIRST, OPT_GIT, OPT_DIR, OPT_PAIR };

typedef struct check_args_s {
  sc_common_t common;
  const char *level;
  int source_opt;           /* OPT_GIT, OPT_DIR, OPT_PAIR; 0 none */
  const char *source_arg;
} check_args_t;

/* Parse the options; returns -1 to go on, else the exit status. */
static int parse_args(check_args_t *a, int argc, char **argv) {
  static const struct option options[] = {
      {"level", required_argument, NULL, OPT_LEVEL},
      {"against-git", required_argument, NULL, OPT_GIT},
      {"against-dir", required_argument, NULL, OPT_DIR},
      {"against", required_argument, NULL, OPT_PAIR},
      SC_COMMON_LONG_OPTIONS,
      {NULL, 0, NULL, 0}};
  int opt;
  optind = 0; /* glibc: start over, whatever parsed argv before */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    if (opt == 'h') {
      fputs(check_help, stdout);
      return SC_EXIT_OK;
    }
    if (opt == '?')
      return sc_usage_error("check", "unknown option or missing argument: %s",
                            argv[optind - 1]);
    int common = sc_common_option(&a->common, opt, optarg);
    if (common >= 0) {
      if (common != SC_EXIT_OK)
        return common;
    } else if (opt == OPT_LEVEL) {
      a->level = optarg;
    } else {
      if (a->source_opt)
        return sc_usage_error("check", "give one of --against-git, "
                                       "--against-dir and --against");
      a->source_opt = opt;
      a->source_arg = optarg;
    }
  }
  if (!a->source_opt)
    return sc_usage_error("check", "say what to compare with: --against-git "
                                   "REF, --against-dir DIR or --against OLD");
  if (a->source_opt == OPT_PAIR && argc - optind != 1)
    return sc_usage_error("check", "--against OLD takes exactly one NEW file");
  return -1;
}

static kavro_err_t make_source(const check_args_t *a, const char *cwd,
                               char **files, sc_source_t **sourcep,
                               kavro_error_t *error) {
  switch (a->source_opt) {
  case OPT_GIT:
    return sc_source_git_new(cwd, a->source_arg, sourcep, error);
  case OPT_DIR:
    return sc_source_dir_new(cwd, a->source_arg, sourcep, error);
  default:
    return sc_source_pair_new(a->source_arg, files[0], sourcep, error);
  }
}

int sc_cmd_check(int argc, char **argv) {
  check_args_t a = {0};
  sc_common_init(&a.common, "check");
  int status = parse_args(&a, argc, argv);
  if (status >= 0)
    return status;
  checker_t c = {.common = &a.common};
  if (a.level) {
    if (kavro_compat_level_parse(a.level, &c.level) != KAVRO_OK)
      return sc_usage_error("check", "unknown compatibility level \"%s\"",
                            a.level);
    c.has_level = true;
  }
  kavro_error_t error;
  c.set = sc_command_fileset(&a.common, argv + optind, argc - optind, &error);
  if (!c.set)
    return sc_report_error(&error);
  if (make_source(&a, c.set->cwd, argv + optind, &c.source, &error) != KAVRO_OK) {
    sc_fileset_destroy(c.set);
    return sc_report_error(&error);
  }
  c.report = sc_report_new("check");
  status = run_check(&c);
  sc_report_destroy(c.report);
  sc_source_destroy(c.source);
  sc_fileset_destroy(c.set);
  return status;
}
