/*
 * kavro validate - parse and validate schema files.
 *
 * Quiet when every file is valid (warnings aside); each problem goes to
 * stderr as FILE:LINE:COL: /json/pointer: message, so that editors and CI
 * annotations can jump to it.
 */
#include "cli.h"

static const char usage[] =
    "Usage: kavro validate [OPTIONS] FILE...\n"
    "\n"
    "Parse each FILE and validate it against the Avro 1.11 specification.\n"
    "Errors and warnings go to stderr as FILE:LINE:COL: /json/pointer: text.\n"
    "When a FILE breaks a rule that a registry relaxes for the schemas it\n"
    "already holds, a note names the rule.\n"
    "\n"
    "Options:\n" CLI_COMMON_USAGE "\n"
    "Exit status: 0 every FILE is valid, 1 some FILE (or reference) is not,\n"
    "2 usage or I/O error.\n";

static const cli_spec_t spec = {
    .name = "validate", .usage = usage, .min_args = 1, .max_args = 0};

static int run(int argc, char **argv) {
  cli_refs_t refs = CLI_REFS_INIT;
  int first;
  int status = cli_parse_args(&spec, NULL, argc, argv, &refs, &first);
  if (status >= 0) {
    cli_refs_free(&refs);
    return status;
  }
  char **files = argv + first;
  size_t count = (size_t)(argc - first);
  status = cli_refs_load(&refs, files, count);
  /* Every file gets its verdict, even after a bad or unreadable one; but
   * without the references (one could not be read) verdicts would mislead. */
  bool refs_missing = status == CLI_EXIT_USAGE;
  for (size_t i = 0; i < count && !refs_missing; i++) {
    kavro_schema_t *schema;
    int verdict = cli_parse_schema(&refs, files[i], &schema);
    /* Strict, as for a schema to register; but a schema a registry
     * already holds is often one of these, so name the rule a registry
     * relaxes. */
    if (verdict == CLI_EXIT_INVALID)
      cli_note_lenient(&refs, files[i]);
    status = cli_worse(status, verdict);
    kavro_schema_destroy(schema);
  }
  cli_refs_free(&refs);
  return cli_finish_output(status);
}

const cli_command_t cli_validate = {"validate",
                                    "parse and validate schema files", run};
