/*
 * sr-compat register - register schema files in a Schema Registry, for the
 * merge pipeline: referenced files first, each under its subject, and the
 * schemas that use them with registry references {name, subject, version}
 * to the versions just registered.
 *
 * Idempotent: a schema already registered under its subject (the same
 * text with the same references) is looked up, not registered again, so a
 * second run reports the same versions and ids and creates nothing.
 *
 * With --metadata and --rule-set, the one FILE goes with that data
 * contract (the registry's `metadata` and `ruleSet`): looked up and
 * registered with it, so that the same schema with another contract is a
 * new version.  The files are read and checked before any request.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "connect.h"
#include "registered.h"
#include "source.h"
#include "subcommands.h"
#include "util.h"

static const char register_help[] =
    "Usage: sr-compat register --registry URL [OPTIONS] [FILE...]\n"
    "\n"
    "Register each schema FILE under its subject in the Schema Registry at\n"
    "URL (a comma-separated list fails over; default $SCHEMA_REGISTRY_URL),\n"
    "after the files whose types it uses, which are registered first and\n"
    "referenced as {name, subject, version}.  A schema already registered\n"
    "under its subject is left alone: running twice changes nothing.\n"
    "\n"
    "Subjects: a topic's from the catalog (default TOPIC-value); a shared\n"
    "file's from the catalog reference that names it, else the full name of\n"
    "its type (com.example.common.Address); or --subject / --topic for the\n"
    "one FILE.  Without FILE arguments every file of the catalog.\n"
    "\n"
    "Options:\n"
    "  --registry URL     the Schema Registry\n"
    "  --subject SUBJECT  the subject of the one FILE\n"
    "  --topic TOPIC      the same as --subject TOPIC-value (TopicNameStrategy)\n"
    "  --normalize        let the registry normalize the schemas\n"
    "  --dry-run          change nothing: report which subjects would get a\n"
    "                     new version, which are unchanged and which would be\n"
    "                     refused as incompatible (judged by kavro's engine\n"
    "                     under each subject's level), with reads alone\n"
    "  --metadata FILE    register the one FILE with this metadata (the JSON\n"
    "                     object the registry takes as \"metadata\": tags,\n"
    "                     properties, sensitive)\n"
    "  --rule-set FILE    register the one FILE with this rule set (the JSON\n"
    "                     object the registry takes as \"ruleSet\"); check\n"
    "                     it first with sr-compat lint --rule-set\n"
    "  -X KEY=VALUE       a kavro configuration property (time-outs, retries,\n"
    "                     TLS, auth; see doc/CONFIGURATION.md), repeatable.\n"
    "                     Credentials: -X basic.auth.user.info=USER:PASSWORD\n"
    "                     or, kept out of process listings, the environment\n"
    "                     variable SR_COMPAT_BASIC_AUTH=USER:PASSWORD\n"
    "  --catalog FILE     the catalog (default: avro/catalog.json at the top of\n"
    "                     the repository, when it exists; see doc/catalog.md)\n"
    "  --no-catalog       ignore the default catalog\n"
    "  --format FORMAT    text (default), json, junit, github, gitlab,\n"
    "                     markdown or msvs\n"
    SC_COMMON_FILTER_HELP
    "  -h, --help         show this help\n"
    "\n"
    "Each file is reported with its subject, version and id: \"registered\"\n"
    "(a new version) or \"unchanged\" (already there).\n"
    "\n"
    "Exit status: 0 registered or unchanged, 1 refused as incompatible or\n"
    "invalid schema, 2 usage, I/O or registry error.\n";

typedef struct registrar_s {
  const sc_common_t *common;
  sc_fileset_t *set;
  kavro_registry_t *registry;
  sc_registered_t *registered;
  bool normalize;
  bool dry_run;
  sc_source_t *history;      /* --dry-run: the subjects' versions and levels */
  sc_report_t *report;
  char *top;
  kavro_error_t unreachable; /* once set, later files fail at once */
  /* --metadata, --rule-set: the requested file's contract; NULL none */
  const kavro_schema_contract_t *contract;
} registrar_t;

static bool not_registered(kavro_err_t err) {
  return err == KAVRO_ERR_SCHEMA_NOT_FOUND || err == KAVRO_ERR_SUBJECT_NOT_FOUND;
}

/* Register @file under @subject with @refs and r->contract (looked up
 * with it first, so that a schema already there with that contract is
 * not registered again). */
static kavro_err_t register_contract(registrar_t *r, sc_unit_t *unit,
                                     const sc_file_t *file,
                                     const char *subject,
                                     const kavro_schema_ref_t *refs,
                                     kavro_error_t *error) {
  kavro_schema_info_t *info = NULL;
  kavro_err_t err = kavro_registry_lookup_contract(
      r->registry, subject, file->schema, refs, file->ref_count, r->normalize,
      r->contract, &info, error);
  unit->status = SC_STATUS_PASS;
  if (not_registered(err)) {
    unit->status = SC_STATUS_NEW;
    err = kavro_registry_register_contract(r->registry, subject, file->schema,
                                           refs, file->ref_count, r->normalize,
                                           r->contract, &info, error);
    /* A registry whose reply has no version is asked for it. */
    if (err == KAVRO_OK && kavro_schema_info_version(info) == 0) {
      kavro_schema_info_destroy(info);
      info = NULL;
      err = kavro_registry_lookup_contract(
          r->registry, subject, file->schema, refs, file->ref_count,
          r->normalize, r->contract, &info, error);
    }
  }
  if (err == KAVRO_OK) {
    unit->id = kavro_schema_info_id(info);
    unit->version = kavro_schema_info_version(info);
  }
  kavro_schema_info_destroy(info);
  return err;
}

/* Register @file under @subject with @refs (looked up first, so that a
 * schema already there is not registered again). */
static kavro_err_t register_schema(registrar_t *r, sc_unit_t *unit,
                                   const sc_file_t *file, const char *subject,
                                   const kavro_schema_ref_t *refs,
                                   kavro_error_t *error) {
  kavro_err_t err =
      kavro_registry_lookup(r->registry, subject, file->schema, refs,
                            file->ref_count, r->normalize, &unit->id,
                            &unit->version, error);
  if (err == KAVRO_OK) {
    unit->status = SC_STATUS_PASS;
    return KAVRO_OK;
  }
  if (!not_registered(err))
    return err;
  err = kavro_registry_register(r->registry, subject, file->schema, refs,
                                file->ref_count, r->normalize, &unit->id,
                                error);
  if (err == KAVRO_OK)
    err = kavro_registry_lookup(r->registry, subject, file->schema, refs,
                                file->ref_count, r->normalize, &unit->id,
                                &unit->version, error);
  if (err == KAVRO_OK)
    unit->status = SC_STATUS_NEW;
  return err;
}

/* The version of @versions whose schema is @schema's, by canonical form;
 * NULL when none. */
static const sc_version_t *same_version(const sc_versions_t *versions,
                                        const kavro_schema_t *schema) {
  const char *canonical = kavro_schema_canonical(schema);
  for (size_t i = 0; i < versions->count; i++)
    if (strcmp(kavro_schema_canonical(versions->items[i].schema), canonical) == 0)
      return &versions->items[i];
  return NULL;
}

/* Would the registry refuse @file under @subject's @level, judged by
 * kavro's engine against the versions the level checks? */
static kavro_err_t judge_locally(const sc_file_t *file, const char *subject,
                                 kavro_compat_level_t level,
                                 const sc_versions_t *all, kavro_error_t *error) {
  bool transitive = level == KAVRO_COMPAT_BACKWARD_TRANSITIVE ||
                    level == KAVRO_COMPAT_FORWARD_TRANSITIVE ||
                    level == KAVRO_COMPAT_FULL_TRANSITIVE;
  size_t first = transitive || all->count == 0 ? 0 : all->count - 1;
  size_t n = all->count - first;
  kavro_schema_t **previous = sc_xcalloc(n + 1, sizeof(*previous));
  for (size_t i = 0; i < n; i++)
    previous[i] = all->items[first + i].schema;
  kavro_compat_result_t *result = NULL;
  kavro_err_t err = kavro_compat_check_level(level, file->schema, previous, n,
                                             &result, error);
  free(previous);
  if (err != KAVRO_OK)
    return err;
  if (!kavro_compat_result_is_compatible(result)) {
    const kavro_incompat_t *first_problem = kavro_compat_result_get(result, 0);
    size_t problems = kavro_compat_result_count(result);
    err = sc_fail(error, KAVRO_ERR_REGISTRY_INCOMPATIBLE, file->path,
                  "would be refused: incompatible under %s with %s version %d "
                  "(%zu problem%s; sr-compat check --registry shows them): %s",
                  kavro_compat_level_name(level), subject,
                  all->items[all->count - 1].number, problems,
                  problems == 1 ? "" : "s",
                  first_problem && first_problem->message
                      ? first_problem->message : "");
  }
  kavro_compat_result_destroy(result);
  return err;
}

/* --dry-run: what registering @file under @subject would do, found with
 * reads alone (the subject's versions and level), never a POST: unchanged
 * when a version has the same schema, else refused when kavro's engine
 * finds it incompatible under the subject's level, else a new version. */
static kavro_err_t dry_run_schema(registrar_t *r, sc_unit_t *unit,
                                  const sc_file_t *file, const char *subject,
                                  kavro_error_t *error) {
  sc_target_t target = {file->path, file->real, subject,
                        KAVRO_COMPAT_BACKWARD_TRANSITIVE};
  sc_versions_t all = {0};
  kavro_compat_level_t level = KAVRO_COMPAT_BACKWARD;
  kavro_err_t err = r->history->previous(r->history, &target, &all, error);
  if (err == KAVRO_OK)
    err = r->history->level(r->history, &target, &level, error);
  const sc_version_t *same = err == KAVRO_OK ? same_version(&all, file->schema)
                                             : NULL;
  if (same) {
    unit->status = SC_STATUS_PASS;
    unit->version = same->number;
  } else if (err == KAVRO_OK) {
    err = judge_locally(file, subject, level, &all, error);
    unit->status = SC_STATUS_NEW;
  }
  sc_versions_clear(&all);
  return err;
}

/* How a failure reads: refused as incompatible (1), an invalid schema (1),
 * or an error (2). */
static sc_status_t failure_status(kavro_err_t err) {
  switch (err) {
  case KAVRO_ERR_REGISTRY_INCOMPATIBLE:
  case KAVRO_ERR_REGISTRY_INCOMPATIBLE_SCHEMA:
    return SC_STATUS_FAIL;
  case KAVRO_ERR_INVALID_SCHEMA:
    return SC_STATUS_INVALID;
  default:
    return SC_STATUS_ERROR;
  }
}

static kavro_err_t register_unit(registrar_t *r, sc_unit_t *unit,
                                 const sc_file_t *file, const char *subject,
                                 kavro_error_t *error) {
  if (r->unreachable.code) {
    *error = r->unreachable;
    return error->code;
  }
  if (!file->schema) {
    *error = file->error;
    return error->code;
  }
  if (!subject)
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, file->path,
                   "no registry subject for this file: name one with "
                   "--subject or --topic, or list the file in the catalog");
  if (r->dry_run) {
    kavro_err_t err = dry_run_schema(r, unit, file, subject, error);
    if (err != KAVRO_OK)
      sc_note_unreachable(&r->unreachable, error);
    return err;
  }
  kavro_schema_ref_t *refs = NULL;
  kavro_err_t err = sc_registered_refs(r->registered, file, &refs, error);
  if (err == KAVRO_OK)
    err = r->contract && file->requested
              ? register_contract(r, unit, file, subject, refs, error)
              : register_schema(r, unit, file, subject, refs, error);
  free(refs);
  if (err != KAVRO_OK)
    sc_note_unreachable(&r->unreachable, error);
  return err;
}

static void add_unit(registrar_t *r, const sc_file_t *file, const char *topic,
                     const char *subject) {
  sc_unit_t *unit = sc_command_add_unit(r->report, r->top, file);
  unit->topic = topic ? sc_xstrdup(topic) : NULL;
  unit->subject = subject ? sc_xstrdup(subject) : NULL;
  kavro_error_t error;
  kavro_err_t err = register_unit(r, unit, file, subject, &error);
  if (err != KAVRO_OK) {
    unit->id = unit->version = 0;
    sc_unit_fail(unit, !file->schema && file->error.code != KAVRO_ERR_IO
                           ? SC_STATUS_INVALID
                           : failure_status(err),
                 &error);
    return;
  }
  /* The subject other schemas reference this file under. */
  const char *referenced_as = sc_file_subject(file);
  if (!r->dry_run && referenced_as && strcmp(referenced_as, subject) == 0)
    sc_registered_record(r->registered, file, unit->version);
}

/* Is @subject the subject of one of the @n @topics? */
static bool among_topics(const sc_topic_t *const *topics, size_t n,
                         const char *subject) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(topics[i]->subject, subject) == 0)
      return true;
  return false;
}

/* Every subject @file goes to: --subject, its topics', and the subject
 * other files reference it under. */
static void register_file(registrar_t *r, const sc_file_t *file) {
  if (r->common->subject && file->requested) {
    add_unit(r, file, r->common->topic, r->common->subject);
    return;
  }
  const sc_topic_t **topics = sc_xcalloc(r->set->topic_count, sizeof(*topics));
  size_t n = sc_fileset_topics_of(r->set, file, topics);
  for (size_t i = 0; i < n; i++)
    add_unit(r, file, topics[i]->name, topics[i]->subject);
  const char *referenced_as = sc_file_subject(file);
  if (n == 0 || (file->referenced && referenced_as &&
                 !among_topics(topics, n, referenced_as)))
    add_unit(r, file, NULL, referenced_as);
  free(topics);
}

static int run_register(registrar_t *r) {
  r->top = sc_command_repo_top(r->common, r->set);
  r->registered = sc_registered_new(r->registry, r->set, r->normalize);
  for (size_t i = 0; i < r->set->file_count; i++)
    if (r->set->files[i]->needed)
      register_file(r, r->set->files[i]);
  int status = sc_command_finish(r->common, r->report);
  sc_registered_destroy(r->registered);
  free(r->top);
  return status;
}

enum {
  OPT_REGISTRY = SC_OPT_COMMAND_FIRST,
  OPT_NORMALIZE,
  OPT_DRY_RUN,
  OPT_METADATA,
  OPT_RULE_SET
};

typedef struct register_args_s {
  sc_common_t common;
  sc_connect_t connect;
  bool normalize;
  bool dry_run;
  const char *metadata_path, *rule_set_path; /* --metadata, --rule-set */
  char *metadata, *rule_set;                 /* their text, checked */
} register_args_t;

/* --metadata and --rule-set: with one FILE, not in a dry run, and files
 * that hold JSON objects; returns -1 to go on, else the exit status. */
static int contract_args(register_args_t *a, int files) {
  if (files != 1)
    return sc_usage_error("register", "--metadata and --rule-set go with "
                                      "exactly one FILE");
  if (a->dry_run)
    return sc_usage_error("register", "--dry-run does not judge a data "
                                      "contract: leave out --metadata and "
                                      "--rule-set, or --dry-run");
  kavro_error_t error;
  if ((a->metadata_path &&
       sc_read_json_object(a->metadata_path, "metadata", &a->metadata,
                           &error) != KAVRO_OK) ||
      (a->rule_set_path &&
       sc_read_json_object(a->rule_set_path, "rule set", &a->rule_set,
                           &error) != KAVRO_OK))
    return sc_report_error(&error);
  return -1;
}

/* Parse the options; returns -1 to go on, else the exit status. */
static int parse_args(register_args_t *a, int argc, char **argv) {
  static const struct option options[] = {
      {"registry", required_argument, NULL, OPT_REGISTRY},
      {"normalize", no_argument, NULL, OPT_NORMALIZE},
      {"dry-run", no_argument, NULL, OPT_DRY_RUN},
      {"metadata", required_argument, NULL, OPT_METADATA},
      {"rule-set", required_argument, NULL, OPT_RULE_SET},
      SC_COMMON_LONG_OPTIONS,
      SC_SUBJECT_LONG_OPTIONS,
      {NULL, 0, NULL, 0}};
  int opt;
  optind = 0; /* glibc: start over, whatever parsed argv before */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "hX:", options, NULL)) != -1) {
    if (opt == 'h') {
      fputs(register_help, stdout);
      return SC_EXIT_OK;
    }
    if (opt == '?')
      return sc_usage_error("register", "unknown option or missing argument: %s",
                            argv[optind - 1]);
    int status = sc_common_option(&a->common, opt, optarg);
    if (status > 0)
      return status;
    if (opt == 'X')
      sc_connect_add_setting(&a->connect, optarg);
    else if (opt == OPT_REGISTRY)
      a->connect.url = optarg;
    else if (opt == OPT_NORMALIZE)
      a->normalize = true;
    else if (opt == OPT_DRY_RUN)
      a->dry_run = true;
    else if (opt == OPT_METADATA)
      a->metadata_path = optarg;
    else if (opt == OPT_RULE_SET)
      a->rule_set_path = optarg;
  }
  if (!sc_connect_url(&a->connect))
    return sc_usage_error("register", "say where to register: --registry URL "
                                      "(or " SC_ENV_REGISTRY_URL ")");
  if (a->common.subject && argc - optind != 1)
    return sc_usage_error("register", "--subject and --topic name the subject "
                                      "of exactly one FILE");
  if (a->metadata_path || a->rule_set_path)
    return contract_args(a, argc - optind);
  return -1;
}

static int register_files(register_args_t *a, int count, char **files) {
  kavro_schema_contract_t contract = {a->metadata, a->rule_set};
  registrar_t r = {.common = &a->common, .normalize = a->normalize,
                   .dry_run = a->dry_run,
                   .contract = a->metadata || a->rule_set ? &contract : NULL};
  kavro_error_t error;
  r.set = sc_command_fileset(&a->common, files, count, &error);
  if (!r.set)
    return sc_report_error(&error);
  char *shown = NULL;
  r.registry = sc_connect_open(&a->connect, &shown, &error);
  int status;
  if (!r.registry) {
    status = sc_report_error(&error);
  } else {
    r.report = sc_report_new("register");
    r.report->registry = shown;
    r.report->dry_run = a->dry_run;
    if (a->dry_run &&
        sc_source_registry_new(r.registry, shown, &r.history, &error) != KAVRO_OK)
      status = sc_report_error(&error);
    else
      status = run_register(&r);
    sc_source_destroy(r.history);
    sc_report_destroy(r.report);
  }
  free(shown);
  kavro_registry_destroy(r.registry);
  sc_fileset_destroy(r.set);
  return status;
}

int sc_cmd_register(int argc, char **argv) {
  register_args_t a = {0};
  sc_common_init(&a.common, "register");
  int status = parse_args(&a, argc, argv);
  if (status < 0)
    status = register_files(&a, argc - optind, argv + optind);
  sc_common_clear(&a.common);
  sc_connect_clear(&a.connect);
  free(a.metadata);
  free(a.rule_set);
  return status;
}
