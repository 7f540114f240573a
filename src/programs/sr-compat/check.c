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
#include "confirm.h"
#include "connect.h"
#include "registered.h"
#include "source.h"
#include "subcommands.h"
#include "util.h"

static const char check_help[] =
    "Usage: sr-compat check [OPTIONS] --against-git REF [FILE...]\n"
    "       sr-compat check [OPTIONS] --against-dir DIR [FILE...]\n"
    "       sr-compat check [OPTIONS] --against OLD NEW\n"
    "       sr-compat check [OPTIONS] --against GIT-URL[#branch=B] [FILE...]\n"
    "       sr-compat check [OPTIONS] --against-archive ARCHIVE [FILE...]\n"
    "       sr-compat check [OPTIONS] --registry URL [--confirm] [FILE...]\n"
    "\n"
    "Check that each schema FILE can replace its previous version without\n"
    "breaking the producers and consumers of its subject.\n"
    "\n"
    "Previous versions (exactly one of):\n"
    "  --against-git REF  the file as it is at git commit, branch or tag REF\n"
    "                     (its path relative to the top of the work tree);\n"
    "                     a file that did not exist at REF is new\n"
    "  --against-dir DIR  DIR/PATH for the FILE at PATH (relative to the\n"
    "                     current directory); a file missing there is new.\n"
    "                     A DIR written by 'sr-compat download' is read by\n"
    "                     subject, under the levels the registry had\n"
    "  --against OLD      OLD is the version consumers already read, NEW the\n"
    "                     candidate\n"
    "  --against GIT-URL  the files in a remote repository (https://, ssh://,\n"
    "                     git@host:, file://, or a path ending in .git), at\n"
    "                     its default branch or at #branch=NAME / #tag=NAME;\n"
    "                     cloned with depth 1 into a temporary directory\n"
    "  --against-archive ARCHIVE[#strip_components=N]\n"
    "                     the files in a .tar(.gz|.bz2|.xz|.zst) or .zip of the\n"
    "                     repository, after dropping N leading directories\n"
    "                     from its names; a file missing there is new\n"
    "  --registry URL     the versions registered under each file's subject in\n"
    "                     the Schema Registry at URL (a comma-separated list\n"
    "                     fails over); a subject it does not know is new.\n"
    "                     Without any of these: the registry at\n"
    "                     $SCHEMA_REGISTRY_URL, when that is set\n"
    "\n"
    "Registry options:\n"
    "  --confirm          also ask the registry's own compatibility test and\n"
    "                     report where its verdict differs from kavro's\n"
    "  --on-disagreement MODE\n"
    "                     error (the default): a disagreement fails the run\n"
    "                     with exit status 2; warn: it is reported, kavro's\n"
    "                     verdict decides the exit status\n"
    "  -X KEY=VALUE       a kavro configuration property (time-outs, retries,\n"
    "                     TLS, auth; see doc/CONFIGURATION.md), repeatable.\n"
    "                     Credentials: -X basic.auth.user.info=USER:PASSWORD\n"
    "                     or, kept out of process listings, the environment\n"
    "                     variable SR_COMPAT_BASIC_AUTH=USER:PASSWORD\n"
    "\n"
    "Options:\n"
    "  --level LEVEL      NONE, BACKWARD (the default), BACKWARD_TRANSITIVE,\n"
    "                     FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE;\n"
    "                     overrides the levels of the catalog or the registry\n"
    "  --subject SUBJECT  the registry subject of the one FILE\n"
    "  --topic TOPIC      the same as --subject TOPIC-value (TopicNameStrategy)\n"
    "  --catalog FILE     the catalog of topics, subjects, levels and\n"
    "                     references (default: avro/catalog.json at the top of\n"
    "                     the repository, when it exists; see doc/catalog.md)\n"
    "  --no-catalog       ignore the default catalog\n"
    "  --format FORMAT    text (default), json, junit, github, gitlab,\n"
    "                     markdown or msvs\n"
    SC_COMMON_FILTER_HELP
    "  -h, --help         show this help\n"
    "\n"
    "Levels: under BACKWARD the new schema must read data written with the\n"
    "previous one (the new schema is the reader); under FORWARD the previous\n"
    "schema must read data written with the new one; FULL is both.  The\n"
    "_TRANSITIVE forms check every previous version, the others the latest.\n"
    "\n"
    "With a catalog, each file is checked under the level of its topic,\n"
    "after the files it references, which are parsed first.  Without FILE\n"
    "arguments every topic of the catalog is checked.  Against a registry,\n"
    "each subject is checked under the level the registry has for it (its\n"
    "own, else the global one, else BACKWARD); a referenced file without a\n"
    "subject in the catalog is looked for under the full name of its type.\n"
    "\n"
    "Formats: text for people; json for machines (fields documented in\n"
    "doc/sr-compat.md); junit, JUnit XML for CI test reports; github,\n"
    "workflow annotations on the line of the offending element of the new\n"
    "schema (::error file=PATH,line=N,col=M,title=...::MESSAGE); gitlab, a\n"
    "GitLab Code Quality report; markdown, a pull-request comment; msvs,\n"
    "PATH(LINE,COL) : error KIND : MESSAGE lines as Visual Studio reads them.\n"
    "\n"
    "Exit status: 0 compatible (or new), 1 incompatible or invalid schema,\n"
    "2 usage, I/O, git or registry error, or a disagreement with the\n"
    "registry under --confirm.\n";

/* What the source knows about one file's previous versions. */
typedef struct history_s {
  sc_status_t status;      /* PASS: has versions; NEW; INVALID; ERROR */
  kavro_error_t error;
  sc_versions_t versions;
  kavro_schema_t **schemas; /* versions.count of them when PASS */
} history_t;

/* What to do when the registry's verdict differs from kavro's. */
typedef enum disagreement_e { DISAGREE_ERROR, DISAGREE_WARN } disagreement_t;

typedef struct checker_s {
  const sc_common_t *common;
  sc_fileset_t *set;
  sc_source_t *source;
  bool has_level;           /* --level given */
  kavro_compat_level_t level;
  const char *subject;      /* --subject or --topic: of the one FILE */
  const char *topic;        /* --topic */
  history_t *histories;     /* indexed like set->files; sources by path */
  sc_report_t *report;
  char *top;                /* for annotation paths, NULL when none */
  /* Registry mode */
  kavro_registry_t *registry;
  sc_registered_t *registered; /* --confirm */
  kavro_error_t unreachable;   /* set once the registry could not be
                                  reached: later units fail at once */
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

/* Parse version @i of @h, unless the source already did. */
static kavro_err_t parse_version(const sc_file_t *file, history_t *h, size_t i,
                                 kavro_schema_t *const *refs) {
  const sc_version_t *v = &h->versions.items[i];
  if (v->schema) {
    h->schemas[i] = kavro_schema_dup(v->schema);
    return KAVRO_OK;
  }
  /* A previous version may be one a registry holds though the
   * specification forbids it (versions from the registry source are
   * read so by the client): checking a change against it must work. */
  return sc_fileset_parse(file, v->text, v->length, v->label, refs,
                          SC_READ_LENIENT, &h->schemas[i], &h->error);
}

/* Fetch and parse the previous versions of @target (@file's). */
static void load_history(checker_t *c, const sc_file_t *file,
                         const sc_target_t *target, history_t *h) {
  if (c->source->previous(c->source, target, &h->versions, &h->error) !=
      KAVRO_OK) {
    h->status = SC_STATUS_ERROR;
    return;
  }
  if (h->versions.count == 0) {
    h->status = SC_STATUS_NEW;
    return;
  }
  kavro_schema_t **refs = c->source->by_subject ? NULL : previous_refs(c, file);
  h->schemas = sc_xcalloc(h->versions.count, sizeof(*h->schemas));
  h->status = SC_STATUS_PASS;
  for (size_t i = 0; i < h->versions.count; i++) {
    if (parse_version(file, h, i, refs) != KAVRO_OK) {
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

/* The level the catalog gives, when the source has none of its own. */
static kavro_compat_level_t catalog_level(const checker_t *c,
                                          const sc_topic_t *topic) {
  if (topic && topic->has_level)
    return topic->level;
  if (c->set->has_level)
    return c->set->level;
  return KAVRO_COMPAT_BACKWARD;
}

/* A registry that cannot be reached will not be reached for the next file
 * either: remember the failure rather than wait out every time-out. */
static void note_failure(checker_t *c, const kavro_error_t *error) {
  if (c->registry)
    sc_note_unreachable(&c->unreachable, error);
}

/* The levels of one unit: the one applied (--level, else the registry's,
 * else the catalog's) and the one the source has for the subject. */
static kavro_err_t unit_levels(checker_t *c, const sc_target_t *target,
                               const sc_topic_t *topic,
                               kavro_compat_level_t *applied,
                               kavro_compat_level_t *own,
                               kavro_error_t *error) {
  *own = catalog_level(c, topic);
  if (c->source->level) {
    kavro_err_t err = c->source->level(c->source, target, own, error);
    if (err != KAVRO_OK)
      return err;
  }
  *applied = c->has_level ? c->level : *own;
  return KAVRO_OK;
}

static void confirm_unit(checker_t *c, sc_unit_t *unit, const sc_file_t *file,
                         const sc_target_t *target, const history_t *h,
                         kavro_compat_level_t own) {
  sc_confirm_args_t args = {c->registry, c->registered, file, target->subject,
                            target->level, own, &h->versions};
  sc_confirm(unit, &args);
  if (unit->status == SC_STATUS_ERROR)
    note_failure(c, &unit->error);
}

/* Compare @file with the versions of @target, and confirm when asked. */
static void judge(checker_t *c, sc_unit_t *unit, const sc_file_t *file,
                  const sc_target_t *target, kavro_compat_level_t own) {
  history_t local = {0};
  history_t *h = &local;
  if (c->source->by_subject)
    load_history(c, file, target, &local);
  else
    h = &c->histories[file->index];
  if (h->status == SC_STATUS_ERROR || h->status == SC_STATUS_INVALID) {
    sc_unit_fail(unit, h->status, &h->error);
    note_failure(c, &h->error);
  } else if (h->status == SC_STATUS_NEW) {
    unit->status = SC_STATUS_NEW;
  } else {
    compare(unit, file, h, target->level);
    if (c->registered && unit->status != SC_STATUS_ERROR)
      confirm_unit(c, unit, file, target, h, own);
  }
  history_free(&local);
}

static void check_unit(checker_t *c, const sc_file_t *file,
                       const sc_topic_t *topic) {
  sc_unit_t *unit = sc_command_add_unit(c->report, c->top, file);
  const char *subject = c->subject    ? c->subject
                        : topic       ? topic->subject
                        : c->source->by_subject ? sc_file_subject(file)
                                      : file->subject;
  unit->topic = c->topic ? sc_xstrdup(c->topic)
                : topic  ? sc_xstrdup(topic->name)
                         : NULL;
  unit->subject = subject ? sc_xstrdup(subject) : NULL;
  unit->against = sc_xstrdup(c->source->description);
  sc_target_t target = {file->path, file->real, subject, KAVRO_COMPAT_BACKWARD};
  kavro_compat_level_t own = KAVRO_COMPAT_BACKWARD;
  kavro_error_t error;
  if (c->unreachable.code) {
    sc_unit_fail(unit, SC_STATUS_ERROR, &c->unreachable);
  } else if (!file->schema) {
    sc_unit_fail(unit, file->error.code == KAVRO_ERR_IO ? SC_STATUS_ERROR
                                                        : SC_STATUS_INVALID,
                 &file->error);
  } else if (unit_levels(c, &target, topic, &target.level, &own, &error) !=
             KAVRO_OK) {
    sc_unit_fail(unit, SC_STATUS_ERROR, &error);
    note_failure(c, &error);
  } else {
    unit->level = kavro_compat_level_name(target.level);
    judge(c, unit, file, &target, own);
  }
  if (!unit->level)
    unit->level = kavro_compat_level_name(c->has_level ? c->level
                                                       : catalog_level(c, topic));
}

static void check_file(checker_t *c, const sc_file_t *file) {
  if (file->schema && !c->source->by_subject) {
    sc_target_t target = {file->path, file->real, file->subject,
                          KAVRO_COMPAT_BACKWARD};
    load_history(c, file, &target, &c->histories[file->index]);
  }
  if (!file->requested)
    return;
  if (c->subject) {
    check_unit(c, file, NULL);
    return;
  }
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

enum {
  OPT_LEVEL = SC_OPT_COMMAND_FIRST,
  OPT_GIT,
  OPT_DIR,
  OPT_PAIR,
  OPT_REGISTRY,
  OPT_CONFIRM,
  OPT_DISAGREEMENT,
  OPT_ARCHIVE,
  OPT_REMOTE /* --against with a git URL */
};

typedef struct check_args_s {
  sc_common_t common;
  const char *level;
  int source_opt;           /* OPT_GIT, OPT_DIR, OPT_PAIR, OPT_ARCHIVE,
                               OPT_REGISTRY; 0 none */
  const char *source_arg;
  sc_connect_t connect;
  bool confirm;
  disagreement_t disagreement;
} check_args_t;

static int set_disagreement(check_args_t *a, const char *arg) {
  if (strcmp(arg, "error") == 0)
    a->disagreement = DISAGREE_ERROR;
  else if (strcmp(arg, "warn") == 0)
    a->disagreement = DISAGREE_WARN;
  else
    return sc_usage_error("check", "--on-disagreement takes error or warn, "
                                   "not \"%s\"", arg);
  return SC_EXIT_OK;
}

/* An option of check's own; returns SC_EXIT_OK or a usage error. */
static int command_option(check_args_t *a, int opt, const char *arg) {
  switch (opt) {
  case OPT_LEVEL:
    a->level = arg;
    return SC_EXIT_OK;
  case OPT_CONFIRM:
    a->confirm = true;
    return SC_EXIT_OK;
  case OPT_DISAGREEMENT:
    return set_disagreement(a, arg);
  case OPT_REGISTRY:
    a->connect.url = arg;
    break;
  default:
    break;
  }
  if (a->source_opt)
    return sc_usage_error("check", "give one of --against-git, --against-dir, "
                                   "--against, --against-archive and "
                                   "--registry");
  a->source_opt = opt;
  a->source_arg = arg;
  return SC_EXIT_OK;
}

/* What the options say together; returns -1 to go on, else the status. */
static int check_combination(check_args_t *a, int files) {
  if (!a->source_opt && sc_connect_url(&a->connect))
    a->source_opt = OPT_REGISTRY;
  if (!a->source_opt)
    return sc_usage_error("check", "say what to compare with: --against-git "
                                   "REF, --against-dir DIR, --against OLD, "
                                   "--against URL, --against-archive FILE or "
                                   "--registry URL");
  if (a->source_opt == OPT_PAIR && sc_source_is_git_url(a->source_arg))
    a->source_opt = OPT_REMOTE;
  if (a->source_opt == OPT_PAIR && files != 1)
    return sc_usage_error("check", "--against OLD takes exactly one NEW file");
  if (a->source_opt != OPT_REGISTRY &&
      (a->confirm || a->connect.setting_count))
    return sc_usage_error("check", "--confirm and -X need a registry "
                                   "(--registry URL)");
  if (a->common.subject && files != 1)
    return sc_usage_error("check", "--subject and --topic name the subject of "
                                   "exactly one FILE");
  return -1;
}

/* Parse the options; returns -1 to go on, else the exit status. */
static int parse_args(check_args_t *a, int argc, char **argv) {
  static const struct option options[] = {
      {"level", required_argument, NULL, OPT_LEVEL},
      {"against-git", required_argument, NULL, OPT_GIT},
      {"against-dir", required_argument, NULL, OPT_DIR},
      {"against", required_argument, NULL, OPT_PAIR},
      {"against-archive", required_argument, NULL, OPT_ARCHIVE},
      {"registry", required_argument, NULL, OPT_REGISTRY},
      {"confirm", no_argument, NULL, OPT_CONFIRM},
      {"on-disagreement", required_argument, NULL, OPT_DISAGREEMENT},
      SC_COMMON_LONG_OPTIONS,
      SC_SUBJECT_LONG_OPTIONS,
      {NULL, 0, NULL, 0}};
  int opt;
  optind = 0; /* glibc: start over, whatever parsed argv before */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "hX:", options, NULL)) != -1) {
    if (opt == 'h') {
      fputs(check_help, stdout);
      return SC_EXIT_OK;
    }
    if (opt == '?')
      return sc_usage_error("check", "unknown option or missing argument: %s",
                            argv[optind - 1]);
    if (opt == 'X') {
      sc_connect_add_setting(&a->connect, optarg);
      continue;
    }
    int status = sc_common_option(&a->common, opt, optarg);
    if (status < 0)
      status = command_option(a, opt, optarg);
    if (status != SC_EXIT_OK)
      return status;
  }
  return check_combination(a, argc - optind);
}

static kavro_err_t make_source(const check_args_t *a, checker_t *c,
                               char **files, kavro_error_t *error) {
  switch (a->source_opt) {
  case OPT_GIT:
    return sc_source_git_new(c->set->cwd, a->source_arg, &c->source, error);
  case OPT_DIR:
    /* What `sr-compat download` wrote is answered by subject. */
    if (sc_source_is_download(a->source_arg))
      return sc_source_download_new(a->source_arg, &c->source, error);
    return sc_source_dir_new(c->set->cwd, a->source_arg, &c->source, error);
  case OPT_PAIR:
    return sc_source_pair_new(a->source_arg, files[0], &c->source, error);
  case OPT_REMOTE:
    return sc_source_remote_new(c->set->cwd, a->source_arg, &c->source, error);
  case OPT_ARCHIVE:
    return sc_source_archive_new(c->set->cwd, a->source_arg, &c->source, error);
  default:
    break;
  }
  char *shown;
  c->registry = sc_connect_open(&a->connect, &shown, error);
  if (!c->registry)
    return error->code;
  c->report->registry = shown;
  c->report->disagreement_fails = a->disagreement == DISAGREE_ERROR;
  if (a->confirm)
    c->registered = sc_registered_new(c->registry, c->set, false);
  return sc_source_registry_new(c->registry, shown, &c->source, error);
}

static void checker_free(checker_t *c) {
  if (c->report)
    free((char *)c->report->registry);
  sc_report_destroy(c->report);
  sc_source_destroy(c->source);
  sc_registered_destroy(c->registered);
  kavro_registry_destroy(c->registry);
  sc_fileset_destroy(c->set);
}

static int check(check_args_t *a, int count, char **files) {
  checker_t c = {.common = &a->common,
                 .subject = a->common.subject,
                 .topic = a->common.topic};
  if (a->level) {
    if (kavro_compat_level_parse(a->level, &c.level) != KAVRO_OK)
      return sc_usage_error("check", "unknown compatibility level \"%s\"",
                            a->level);
    c.has_level = true;
  }
  kavro_error_t error;
  c.set = sc_command_fileset(&a->common, files, count, &error);
  if (!c.set)
    return sc_report_error(&error);
  c.report = sc_report_new("check");
  int status = make_source(a, &c, files, &error) == KAVRO_OK
                   ? run_check(&c)
                   : sc_report_error(&error);
  checker_free(&c);
  return status;
}

int sc_cmd_check(int argc, char **argv) {
  check_args_t a = {0};
  sc_common_init(&a.common, "check");
  int status = parse_args(&a, argc, argv);
  if (status < 0)
    status = check(&a, argc - optind, argv + optind);
  sc_common_clear(&a.common);
  sc_connect_clear(&a.connect);
  return status;
}
