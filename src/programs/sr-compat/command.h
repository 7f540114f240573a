/*
 * sr-compat - what the subcommands share: the options every one of them
 * takes (--format, --catalog, --no-catalog), usage errors, and turning the
 * command line plus the catalog into a loaded file set.
 */
#ifndef SR_COMPAT_COMMAND_H
#define SR_COMPAT_COMMAND_H

#include <stdbool.h>

#include "config_file.h"
#include "fileset.h"
#include "report.h"

/* getopt_long codes of the shared long options (above any char). */
enum {
  SC_OPT_FORMAT = 1000,
  SC_OPT_CATALOG,
  SC_OPT_NO_CATALOG,
  SC_OPT_SUBJECT,
  SC_OPT_TOPIC,
  SC_OPT_CONFIG,
  SC_OPT_NO_CONFIG,
  SC_OPT_PATH,
  SC_OPT_EXCLUDE_PATH,
  SC_OPT_VERBOSE,
  SC_OPT_COMMAND_FIRST /* commands number their own options from here */
};

/* The shared options, in a getopt_long table's shape. */
#define SC_COMMON_LONG_OPTIONS                                                \
  {"format", required_argument, NULL, SC_OPT_FORMAT},                         \
  {"catalog", required_argument, NULL, SC_OPT_CATALOG},                       \
  {"no-catalog", no_argument, NULL, SC_OPT_NO_CATALOG},                       \
  {"config", required_argument, NULL, SC_OPT_CONFIG},                         \
  {"no-config", no_argument, NULL, SC_OPT_NO_CONFIG},                         \
  {"path", required_argument, NULL, SC_OPT_PATH},                             \
  {"exclude-path", required_argument, NULL, SC_OPT_EXCLUDE_PATH},             \
  {"verbose", no_argument, NULL, SC_OPT_VERBOSE},                             \
  {"help", no_argument, NULL, 'h'}

/* --subject and --topic, for the subcommands that talk to a registry. */
#define SC_SUBJECT_LONG_OPTIONS                                               \
  {"subject", required_argument, NULL, SC_OPT_SUBJECT},                       \
  {"topic", required_argument, NULL, SC_OPT_TOPIC}

/* The help lines of the shared filter and configuration options. */
#define SC_COMMON_FILTER_HELP                                                 \
  "  --path PATH        check only the files at or under PATH (repeatable)\n"  \
  "  --exclude-path PATH\n"                                                  \
  "                     skip the files at or under PATH (repeatable)\n"      \
  "  --config FILE      ignore rules, YAML when FILE ends in .yaml or .yml\n" \
  "                     (default: sr-compat.json or .sr-compat.yaml at the\n" \
  "                     top of the repository; see doc/sr-compat.md)\n"    \
  "  --no-config        ignore the default configuration\n"                  \
  "  --verbose          also show the findings the configuration ignores\n"

typedef struct sc_common_s {
  const char *command;    /* "check", "lint", "register" */
  sc_format_fn format;
  const char *catalog;    /* --catalog, NULL for the default location */
  bool no_catalog;
  const char *subject;    /* --subject S, or TOPIC-value for --topic TOPIC */
  const char *topic;      /* --topic */
  char *topic_subject;    /* owned: the subject --topic names */
  const char *config_path; /* --config, NULL for the default location */
  bool no_config;
  sc_config_t *config;    /* owned: loaded by sc_command_fileset() */
  const char **paths;     /* --path, as given (borrowed from argv) */
  size_t path_count, path_capacity;
  const char **excludes;  /* --exclude-path */
  size_t exclude_count, exclude_capacity;
  bool verbose;
} sc_common_t;

/* Initialise @common for @command (text format, default catalog). */
void sc_common_init(sc_common_t *common, const char *command);

/* Release what the options allocated. */
void sc_common_clear(sc_common_t *common);

/* Handle a shared option; returns SC_EXIT_OK when handled, SC_EXIT_ERROR
 * after printing a usage error, -1 when @opt is not a shared option. */
int sc_common_option(sc_common_t *common, int opt, const char *arg);

/* Print "sr-compat COMMAND: message" and a hint to stderr; returns
 * SC_EXIT_ERROR. */
int sc_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "sr-compat: " and @error (which names its file) to stderr; returns
 * SC_EXIT_ERROR. */
int sc_report_error(const kavro_error_t *error);

/*
 * Build the file set of a run: the catalog (explicit, or the default one
 * when present, unless disabled), then the @count files in @files marked
 * requested (all the catalog's topic files when @count is 0) and kept when
 * the --path and --exclude-path filters let them through, ordered by their
 * references and loaded.  Loads the configuration (explicit, or the
 * default one when present, unless disabled) into @common.  On failure
 * returns NULL with @error set.
 */
sc_fileset_t *sc_command_fileset(sc_common_t *common, char *const *files,
                                 int count, kavro_error_t *error);

/* The top of the git work tree when the format needs repository-relative
 * paths (github) and there is one; NULL otherwise.  Free it. */
char *sc_command_repo_top(const sc_common_t *common, const sc_fileset_t *set);

/* A new unit of @report for @file, its annotation path relative to @top
 * (NULL: none). */
sc_unit_t *sc_command_add_unit(sc_report_t *report, const char *top,
                               const sc_file_t *file);

/* Apply the configuration's ignore rules to @report and print it in the
 * chosen format; returns its exit code. */
int sc_command_finish(const sc_common_t *common, sc_report_t *report);

#endif /* SR_COMPAT_COMMAND_H */
