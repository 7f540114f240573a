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
  sc_config_destroy(common->config);
  common->config = NULL;
  free(common->paths);
  free(common->excludes);
  common->paths = common->excludes = NULL;
  common->path_count = common->exclude_count = 0;
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
      return sc_usage_error(common->command, "unknown format \"%s\" (%s)", arg,
                            sc_format_names);
    return SC_EXIT_OK;
  case SC_OPT_CONFIG:
    common->config_path = arg;
    return SC_EXIT_OK;
  case SC_OPT_NO_CONFIG:
    common->no_config = true;
    return SC_EXIT_OK;
  case SC_OPT_PATH:
    SC_GROW(common->paths, common->path_count, common->path_capacity);
    common->paths[common->path_count++] = arg;
    return SC_EXIT_OK;
  case SC_OPT_EXCLUDE_PATH:
    SC_GROW(common->excludes, common->exclude_count, common->exclude_capacity);
    common->excludes[common->exclude_count++] = arg;
    return SC_EXIT_OK;
  case SC_OPT_VERBOSE:
    common->verbose = true;
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

static kavro_err_t load_config(sc_common_t *common, const sc_fileset_t *set,
                               kavro_error_t *error) {
  if (common->no_config)
    return KAVRO_OK;
  char *path = NULL;
  if (common->config_path)
    path = sc_xstrdup(common->config_path);
  else if (sc_config_default(set->cwd, &path, error) != KAVRO_OK)
    return error->code;
  if (!path)
    return KAVRO_OK;
  common->config = sc_config_load(path, error);
  free(path);
  return common->config ? KAVRO_OK : error->code;
}

/* The canonical forms of the @count --path or --exclude-path arguments,
 * which must exist. */
static char **filter_paths(const char *const *paths, size_t count,
                           kavro_error_t *error) {
  char **real = sc_xcalloc(count + 1, sizeof(*real));
  for (size_t i = 0; i < count; i++) {
    real[i] = sc_realpath(paths[i], error);
    if (!real[i]) {
      for (size_t k = 0; k < i; k++)
        free(real[k]);
      free(real);
      return NULL;
    }
  }
  return real;
}

static void free_paths(char **paths) {
  for (size_t i = 0; paths && paths[i]; i++)
    free(paths[i]);
  free(paths);
}

/* Is the file at canonical path @real one of @paths or inside one? */
static bool under_any(const char *real, char *const *paths) {
  for (size_t i = 0; paths[i]; i++) {
    size_t n = strlen(paths[i]);
    if (strncmp(real, paths[i], n) == 0 &&
        (real[n] == '\0' || real[n] == '/' || (n == 1 && paths[i][0] == '/')))
      return true;
  }
  return false;
}

/* --path and --exclude-path: a requested file outside every --path, or
 * inside an --exclude-path, is not checked (it is still loaded when a
 * checked file references it). */
static kavro_err_t filter_files(const sc_common_t *common, sc_fileset_t *set,
                                kavro_error_t *error) {
  if (!common->path_count && !common->exclude_count)
    return KAVRO_OK;
  char **keep = filter_paths(common->paths, common->path_count, error);
  char **drop = keep ? filter_paths(common->excludes, common->exclude_count,
                                    error)
                     : NULL;
  if (!drop) {
    free_paths(keep);
    return KAVRO_ERR_IO;
  }
  for (size_t i = 0; i < set->file_count; i++) {
    sc_file_t *file = set->files[i];
    if ((common->path_count && !under_any(file->real, keep)) ||
        under_any(file->real, drop))
      file->requested = false;
  }
  free_paths(keep);
  free_paths(drop);
  return KAVRO_OK;
}

sc_fileset_t *sc_command_fileset(sc_common_t *common, char *const *files,
                                 int count, kavro_error_t *error) {
  sc_fileset_t *set = sc_fileset_new(error);
  if (!set)
    return NULL;
  if (load_config(common, set, error) != KAVRO_OK ||
      load_catalog(common, set, error) != KAVRO_OK ||
      request_files(set, files, count, error) != KAVRO_OK ||
      filter_files(common, set, error) != KAVRO_OK ||
      sc_fileset_order(set, error) != KAVRO_OK) {
    sc_fileset_destroy(set);
    return NULL;
  }
  sc_fileset_load(set);
  return set;
}

char *sc_command_repo_top(const sc_common_t *common, const sc_fileset_t *set) {
  if (!sc_format_wants_repo_paths(common->format))
    return NULL;
  return sc_git_toplevel(set->cwd, NULL);
}

sc_unit_t *sc_command_add_unit(sc_report_t *report, const char *top,
                               const sc_file_t *file) {
  sc_unit_t *unit = sc_report_add_unit(report, file->path);
  unit->real = sc_xstrdup(file->real);
  if (top)
    unit->annotation_file = sc_path_relative(top, file->real);
  return unit;
}

int sc_command_finish(const sc_common_t *common, sc_report_t *report) {
  report->verbose = common->verbose;
  if (common->config) {
    report->config = common->config->path;
    sc_config_apply(common->config, report);
  }
  common->format(report, stdout);
  fflush(stdout);
  return sc_report_exit_code(report);
}
