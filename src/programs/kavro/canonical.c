/*
 * kavro canonical - print a schema's Parsing Canonical Form.
 */
#include "cli.h"

static const char usage[] =
    "Usage: kavro canonical [OPTIONS] FILE\n"
    "\n"
    "Print the Parsing Canonical Form of the schema in FILE (Avro 1.11),\n"
    "the text its fingerprints are computed from.  Named types from\n"
    "references are written in full where first used.  FILE is read as a\n"
    "registry reads the schemas it holds: a defect a registry accepts (an\n"
    "invalid default, a null namespace, ...) is a warning, not an error.\n"
    "\n"
    "Options:\n" CLI_COMMON_USAGE "\n"
    "Exit status: 0 printed, 1 FILE (or a reference) is not a valid schema,\n"
    "2 usage or I/O error.\n";

static const cli_spec_t spec = {
    .name = "canonical", .usage = usage, .min_args = 1, .max_args = 1};

static void print_canonical(const kavro_schema_t *schema, void *ctx) {
  (void)ctx;
  printf("%s\n", kavro_schema_canonical(schema));
}

static int run(int argc, char **argv) {
  return cli_run_on_schema(&spec, NULL, argc, argv, print_canonical);
}

const cli_command_t cli_canonical = {
    "canonical", "print a schema's Parsing Canonical Form", run};
