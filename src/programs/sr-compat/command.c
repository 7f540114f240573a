/*
 * sr-compat - what the subcommands share (see command.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "command.h"
#include "git.h"
#include "util.h"

void sc_common_init(sc_common_t *common, const char *command) {
  memset(common, 0, sizeof(*common));
  common->command = command;
  common->format = sc_format_text;
}

int sc_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *message = sc_xvasprintf(fmt, ap);
  va_end(ap);
  sc_print_line(stderr, "sr-compat %s: %s", command, message);
  free(message);
  fprintf(stderr, "Try 'sr-compat %s --help'.\n", command);
  return SC_EXIT_ERROR;
}

int sc_report_error(const kavro_error_t *error) {
  char *text = sc_error_text(error);
  sc_print_line(stderr, "sr-compat: %s", text);
  free(text);
  return SC_EXIT_ERROR;
}

void sc_common_clear(sc_common_t *common) {
  free(common->topic_subject);
  common->topic_subject = NULL;
}

/* --subject S or --topic T (the subject T-value, as the registry's default
 * TopicNameStrategy names it), not both. */
static int subject_option(sc_common_t *common, int opt, const char *arg) {
  if (common->subject)
    return sc_usage_error(common->command, "give one --subject or --topic");
  if (opt == SC_OPT_TOPIC) {
    common->topic = arg;
    common->topic_subject = sc_xasprintf("%s-value", arg);
    arg = common->topic_subject;
  }
  common->subject = arg;
  return SC_EXIT_OK;
}

int sc_common_option(sc_common_t *common, int opt, const char *arg) {
  switch (opt) {
  case SC_OPT_SUBJECT:
  case SC_OPT_TOPIC:
    return subject_option(common, opt, arg);
  case SC_OPT_FORMAT:
    common->format = sc_format_find(arg);
    if (!common->format)
      return sc_usage_error(common->command,
                            "unknown format \"%s\" (text, json, junit, github)",
                            arg);
    return SC_EXIT_OK;
  case SC_OPT_CATALOG:
    common->catalog = arg;
    return SC_EXIT_OK;
  case SC_OPT_NO_CATALOG:
    common->no_catalog = true;
    return SC_EXIT_OK;
  default:
    return -1;
  }
}

static kavro_err_t load_catalog(const sc_common_t *common, sc_fileset_t *set,
                                kavro_error_t *error) {
  if (common->no_catalog)
    return KAVRO_OK;
  char *path = common->catalog ? sc_xstrdup(common->catalog)
                               : sc_catalog_default(set->cwd);
  if (!path)
    return KAVRO_OK;
  kavro_err_t err = sc_catalog_load(set, path, error);
  free(path);
  return err;
}

static kavro_err_t request_files(sc_fileset_t *set, char *const *files,
                                 int count, kavro_error_t *error) {
  for (int i = 0; i < count; i++) {
    sc_file_t *file = sc_fileset_add(set, files[i], NULL, error);
    if (!file)
      return KAVRO_ERR_IO;
    sc_fileset_request(file);
  }
  if (count > 0)
    return KAVRO_OK;
  if (!set->catalog)
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, NULL,
                   "no schema files given and no catalog found "
                   "(avro/catalog.json at the top of the repository)");
  /* The whole tree: topics' schemas and the shared files they reference,
   * which are subjects of their own. */
  for (size_t i = 0; i < set->file_count; i++)
    sc_fileset_request(set->files[i]);
  return KAVRO_OK;
}

sc_fileset_t *sc_command_fileset(const sc_common_t *common, char *const *files,
                                 int count, kavro_error_t *error) {
  sc_fileset_t *set = sc_fileset_new(error);
  if (!set)
    return NULL;
  if (load_catalog(common, set, error) != KAVRO_OK ||
      request_files(set, files, count, error) != KAVRO_OK ||
      sc_fileset_order(set, error) != KAVRO_OK) {
    sc_fileset_destroy(set);
    return NULL;
  }
  sc_fileset_load(set);
  return set;
}

char *sc_command_repo_top(const sc_common_t *common, const sc_fileset_t *set) {
  if (common->format != sc_format_github)
    return NULL;
  return sc_git_toplevel(set->cwd, NULL);
}

sc_unit_t *sc_command_add_unit(sc_report_t *report, const char *top,
                               const sc_file_t *file) {
  sc_unit_t *unit = sc_report_add_unit(report, file->path);
  if (top)
    unit->annotation_file = sc_path_relative(top, file->real);
  return unit;
}

int sc_command_finish(const sc_common_t *common, const sc_report_t *report) {
  common->format(report, stdout);
  fflush(stdout);
  return sc_report_exit_code(report);
}
