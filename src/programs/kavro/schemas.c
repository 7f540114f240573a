/*
 * kavro (the program) - loading schemas that use named types from other
 * files, as the Schema Registry's schema references do.
 *
 * The reference files may use each other's types in any order, so they are
 * parsed in rounds: each round parses every file whose types are now all
 * available, until a round adds nothing.  What then still fails is broken
 * for a reason of its own (or uses a type nobody defines), and its error
 * from the last round, made with every other file loaded, is the one that
 * tells the truth.  Reference sets are small, so the rounds cost little.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* ---- collecting reference files -------------------------------------- */

static int add_path(cli_refs_t *refs, const char *path) {
  if (refs->path_count == refs->path_capacity) {
    size_t cap = refs->path_capacity ? 2 * refs->path_capacity : 16;
    char **p = realloc(refs->paths, cap * sizeof(*p));
    if (!p)
      return CLI_EXIT_USAGE;
    refs->paths = p;
    refs->path_capacity = cap;
  }
  if (!(refs->paths[refs->path_count] = strdup(path)))
    return CLI_EXIT_USAGE;
  refs->path_count++;
  return CLI_EXIT_OK;
}

static bool has_avsc_suffix(const char *name) {
  size_t n = strlen(name);
  return n > 5 && strcmp(name + n - 5, ".avsc") == 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular *.avsc file of @dir, sorted by name so that runs repeat. */
static int add_directory(cli_refs_t *refs, const char *cmd, const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return cli_usage_error(cmd, "cannot open directory '%s': %s", dir,
                           strerror(errno));
  size_t first = refs->path_count;
  int status = CLI_EXIT_OK;
  struct dirent *e;
  while (status == CLI_EXIT_OK && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || !has_avsc_suffix(e->d_name))
      continue;
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    char *path = malloc(n);
    if (!path) {
      status = CLI_EXIT_USAGE;
      break;
    }
    snprintf(path, n, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
      status = add_path(refs, path);
    free(path);
  }
  closedir(d);
  if (status != CLI_EXIT_OK)
    return cli_usage_error(cmd, "out of memory reading '%s'", dir);
  qsort(refs->paths + first, refs->path_count - first, sizeof(char *),
        compare_names);
  return CLI_EXIT_OK;
}

int cli_refs_option(cli_refs_t *refs, const char *cmd, int opt,
                    const char *arg) {
  if (opt == CLI_OPT_REFERENCES)
    return add_directory(refs, cmd, arg);
  if (add_path(refs, arg) != CLI_EXIT_OK)
    return cli_usage_error(cmd, "out of memory");
  return CLI_EXIT_OK;
}

void cli_refs_free(cli_refs_t *refs) {
  for (size_t i = 0; i < refs->path_count; i++)
    free(refs->paths[i]);
  for (size_t i = 0; i < refs->schema_count; i++)
    kavro_schema_destroy(refs->schemas[i]);
  free(refs->paths);
  free(refs->schemas);
  *refs = (cli_refs_t)CLI_REFS_INIT;
}

/* ---- parsing ---------------------------------------------------------- */

/* Unreadable files and exhausted memory are not the schema's fault. */
static int exit_code_for(kavro_err_t err) {
  switch (err) {
  case KAVRO_OK:
    return CLI_EXIT_OK;
  case KAVRO_ERR_JSON:
  case KAVRO_ERR_SCHEMA_INVALID:
  case KAVRO_ERR_LIMIT:
    return CLI_EXIT_INVALID;
  default:
    return CLI_EXIT_USAGE;
  }
}

/* FILE:LINE:COL: /json/pointer: message */
static void print_error(const kavro_error_t *error) {
  char line[KAVRO_ERROR_SOURCE_LENGTH + KAVRO_ERROR_PATH_LENGTH +
            KAVRO_ERROR_TEXT_LENGTH + 64];
  cli_print_line("%s", kavro_error_format(error, line, sizeof(line)));
}

/* A warning is "/json/pointer: text"; print it where that pointer lies. */
static void print_warning(const kavro_schema_t *schema, const char *path,
                          const char *warning) {
  const char *sep = strstr(warning, ": ");
  int line = 0, column = 0;
  if (warning[0] == '/' && sep) {
    char pointer[KAVRO_ERROR_PATH_LENGTH];
    snprintf(pointer, sizeof(pointer), "%.*s", (int)(sep - warning), warning);
    kavro_schema_locate(schema, pointer, &line, &column);
    if (line > 0) {
      cli_print_line("%s:%d:%d: %.*s: warning: %s", path, line, column,
                     (int)(sep - warning), warning, sep + 2);
      return;
    }
  }
  cli_print_line("%s: warning: %s", path, warning);
}

static kavro_err_t parse_with(const cli_refs_t *refs, bool lenient,
                              const char *path, kavro_schema_t **schemap,
                              kavro_error_t *error) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.source = path;
  options.references = refs->schemas;
  options.reference_count = refs->schema_count;
  options.lenient = lenient;
  return kavro_schema_parse_file(path, &options, schemap, error);
}

void cli_note_lenient(const cli_refs_t *refs, const char *path) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  if (parse_with(refs, true, path, &schema, &error) == KAVRO_OK) {
    for (size_t i = 0; i < kavro_schema_relaxed_count(schema); i++)
      cli_print_line("%s: note: a registry would accept this with a warning: "
                     "%s", path, kavro_schema_relaxed(schema, i));
  }
  kavro_schema_destroy(schema);
}

int cli_parse_schema(const cli_refs_t *refs, const char *path,
                     kavro_schema_t **schemap) {
  kavro_error_t error;
  *schemap = NULL;
  kavro_err_t err = parse_with(refs, refs->lenient, path, schemap, &error);
  if (err != KAVRO_OK) {
    print_error(&error);
    return exit_code_for(err);
  }
  for (size_t i = 0; i < kavro_schema_warning_count(*schemap); i++)
    print_warning(*schemap, path, kavro_schema_warning(*schemap, i));
  return CLI_EXIT_OK;
}

/* Same file as one of @targets (by device and inode, so that "a.avsc" and
 * "./a.avsc" match)? */
static bool is_target(const char *path, char *const *targets, size_t count) {
  struct stat st, tst;
  if (stat(path, &st) != 0)
    return false;
  for (size_t i = 0; i < count; i++)
    if (stat(targets[i], &tst) == 0 && st.st_dev == tst.st_dev &&
        st.st_ino == tst.st_ino)
      return true;
  return false;
}

/* One round: parse each pending file against what is loaded, keeping
 * the error of each failure.  Returns how many files it loaded, or -1 with
 * @failed set when a file could not be read or memory ran out. */
static long load_round(cli_refs_t *refs, char **pending, size_t count,
                       kavro_error_t *errors, kavro_err_t *codes,
                       size_t *failed) {
  long loaded = 0;
  for (size_t i = 0; i < count; i++) {
    if (!pending[i])
      continue;
    kavro_schema_t *schema;
    codes[i] = parse_with(refs, refs->lenient, pending[i], &schema,
                          &errors[i]);
    if (codes[i] == KAVRO_OK) {
      refs->schemas[refs->schema_count++] = schema;
      pending[i] = NULL;
      loaded++;
    } else if (exit_code_for(codes[i]) == CLI_EXIT_USAGE) {
      *failed = i;
      return -1;
    }
  }
  return loaded;
}

int cli_refs_load(cli_refs_t *refs, char *const *targets, size_t target_count) {
  size_t n = refs->path_count;
  if (n == 0)
    return CLI_EXIT_OK;
  char **pending = calloc(n, sizeof(*pending));
  kavro_error_t *errors = calloc(n, sizeof(*errors));
  kavro_err_t *codes = calloc(n, sizeof(*codes));
  refs->schemas = calloc(n, sizeof(*refs->schemas));
  int status = CLI_EXIT_OK;
  if (!pending || !errors || !codes || !refs->schemas) {
    cli_error("out of memory");
    status = CLI_EXIT_USAGE;
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    if (!is_target(refs->paths[i], targets, target_count))
      pending[i] = refs->paths[i];
  long loaded;
  size_t failed = 0;
  while ((loaded = load_round(refs, pending, n, errors, codes, &failed)) > 0)
    ;
  if (loaded < 0) {
    print_error(&errors[failed]);
    status = CLI_EXIT_USAGE;
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    if (pending[i]) {
      print_error(&errors[i]);
      status = cli_worse(status, exit_code_for(codes[i]));
    }
  }
done:
  free(pending);
  free(errors);
  free(codes);
  return status;
}

/* Load the references, then parse @path with them.  An invalid reference
 * fails the command too: the named types it would define are unknown. */
static int load_schema(cli_refs_t *refs, char *path, kavro_schema_t **schemap) {
  *schemap = NULL;
  int status = cli_refs_load(refs, &path, 1);
  if (status == CLI_EXIT_USAGE)
    return status;
  kavro_schema_t *schema;
  status = cli_worse(status, cli_parse_schema(refs, path, &schema));
  if (status == CLI_EXIT_OK)
    *schemap = schema;
  else
    kavro_schema_destroy(schema);
  return status;
}

int cli_run_on_schema(const cli_spec_t *spec, void *ctx, int argc, char **argv,
                      cli_print_fn print) {
  cli_refs_t refs = CLI_REFS_INIT;
  kavro_schema_t *schema = NULL;
  int first;
  int status = cli_parse_args(spec, ctx, argc, argv, &refs, &first);
  refs.lenient = true;
  if (status < 0) {
    status = load_schema(&refs, argv[first], &schema);
    if (status == CLI_EXIT_OK)
      print(schema, ctx);
    status = cli_finish_output(status);
  }
  kavro_schema_destroy(schema);
  cli_refs_free(&refs);
  return status;
}
