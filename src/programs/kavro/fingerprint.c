/*
 * kavro fingerprint - print a fingerprint of a schema's canonical form.
 *
 * Rabin is printed as the 64-bit number, most significant digit first
 * (printf "%016" PRIx64), the form the Avro specification's examples and
 * the conformance vectors use; MD5 and SHA-256 as their digest bytes.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "Usage: kavro fingerprint [OPTIONS] FILE\n"
    "\n"
    "Print a fingerprint of the Parsing Canonical Form of the schema in FILE\n"
    "as lowercase hex.  FILE is read as a registry reads the schemas it\n"
    "holds: a defect a registry accepts is a warning, not an error.\n"
    "\n"
    "Options:\n"
    "  -a, --algorithm ALG   rabin (default: CRC-64-AVRO as a 16-digit\n"
    "                        number), md5 or sha256\n" CLI_COMMON_USAGE "\n"
    "Exit status: 0 printed, 1 FILE (or a reference) is not a valid schema,\n"
    "2 usage or I/O error.\n";

static const struct {
  const char *name;
  kavro_fingerprint_t kind;
} algorithms[] = {
    {"rabin", KAVRO_FINGERPRINT_RABIN},
    {"md5", KAVRO_FINGERPRINT_MD5},
    {"sha256", KAVRO_FINGERPRINT_SHA256},
};

static int on_option(void *ctx, int opt, const char *arg) {
  kavro_fingerprint_t *kind = ctx;
  for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
    if (strcmp(arg, algorithms[i].name) == 0) {
      *kind = algorithms[i].kind;
      return CLI_EXIT_OK;
    }
  }
  return cli_usage_error("fingerprint",
                         "unknown algorithm '%s' (rabin, md5 or sha256)", arg);
}

static const struct option options[] = {
    {"algorithm", required_argument, NULL, 'a'},
    {NULL, 0, NULL, 0},
};

static const cli_spec_t spec = {.name = "fingerprint",
                                .usage = usage,
                                .min_args = 1,
                                .max_args = 1,
                                .options = options,
                                .short_options = "a:",
                                .on_option = on_option};

static void print_fingerprint(const kavro_schema_t *schema, void *ctx) {
  kavro_fingerprint_t kind = *(const kavro_fingerprint_t *)ctx;
  if (kind == KAVRO_FINGERPRINT_RABIN) {
    printf("%016" PRIx64 "\n", kavro_schema_rabin(schema));
    return;
  }
  unsigned char digest[64];
  size_t size = kavro_fingerprint_size(kind);
  if (kavro_schema_fingerprint(schema, kind, digest, sizeof(digest)) !=
      KAVRO_OK)
    return;
  for (size_t i = 0; i < size && i < sizeof(digest); i++)
    printf("%02x", digest[i]);
  printf("\n");
}

static int run(int argc, char **argv) {
  kavro_fingerprint_t kind = KAVRO_FINGERPRINT_RABIN;
  return cli_run_on_schema(&spec, &kind, argc, argv, print_fingerprint);
}

const cli_command_t cli_fingerprint = {
    "fingerprint", "print a schema fingerprint (rabin, md5, sha256)", run};
