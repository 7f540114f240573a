/*
 * kavro - one tool for Avro schemas and Confluent-framed messages.
 *
 * main() only finds the subcommand and hands it the rest of the command
 * line; each subcommand lives in a file of its own.
 */
#include <string.h>

#include "cli.h"

/* Every subcommand, in the order `kavro --help` lists them. */
static const cli_command_t *const commands[] = {
    &cli_validate,
    &cli_canonical,
    &cli_fingerprint,
    &cli_gen,
    &cli_mock_registry,
    &cli_encode,
    &cli_decode,
    &cli_produce,
    &cli_consume,
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out) {
  fprintf(out, "Usage: kavro COMMAND [OPTIONS] [ARGS]\n"
               "       kavro --help | --version\n\n"
               "Commands:\n");
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
  fprintf(out, "\n'kavro COMMAND --help' describes a command.\n"
               "Exit status: 0 success, 1 invalid input, 2 usage or I/O "
               "error.\n");
}

static const cli_command_t *find_command(const char *name) {
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (strcmp(commands[i]->name, name) == 0)
      return commands[i];
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *word = argv[1];
  if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
    usage(stdout);
    return cli_finish_output(CLI_EXIT_OK);
  }
  if (strcmp(word, "--version") == 0 || strcmp(word, "-V") == 0) {
    printf("kavro %s\n", kavro_version_str());
    return cli_finish_output(CLI_EXIT_OK);
  }
  const cli_command_t *command = find_command(word);
  if (!command) {
    fprintf(stderr,
            "kavro: '%s' is not a kavro command.\n"
            "Try 'kavro --help'.\n",
            word);
    return CLI_EXIT_USAGE;
  }
  return command->run(argc - 1, argv + 1);
}
