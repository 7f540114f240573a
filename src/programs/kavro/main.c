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
    &cli_mock_cluster,
    &cli_encode,
    &cli_decode,
    &cli_produce,
    &cli_consume,
    &cli_dlq,
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

/* `kavro help`'s own row, listed after the commands. */
static const char help_name[] = "help";
static const char help_summary[] = "list the commands, or describe COMMAND";

/* One column of names, one of summaries: as wide as the longest name. */
static int name_width(void) {
  size_t width = strlen(help_name) + strlen(" [COMMAND]");
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (strlen(commands[i]->name) > width)
      width = strlen(commands[i]->name);
  return (int)width;
}

static void usage(FILE *out) {
  fprintf(out, "Usage: kavro COMMAND [OPTIONS] [ARGS]\n"
               "       kavro help [COMMAND] | --help | --version\n\n"
               "Commands:\n");
  int width = name_width();
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(out, "  %-*s  %s\n", width, commands[i]->name,
            commands[i]->summary);
  fprintf(out, "  %-*s  %s\n", width, "help [COMMAND]", help_summary);
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

/* `kavro help [COMMAND]`: the list, or what `kavro COMMAND --help` says. */
static int help(int argc, char **argv) {
  if (argc < 2) {
    usage(stdout);
    return cli_finish_output(CLI_EXIT_OK);
  }
  const cli_command_t *command = find_command(argv[1]);
  if (!command) {
    cli_print_line("kavro help: '%s' is not a kavro command", argv[1]);
    fprintf(stderr, "Try 'kavro --help'.\n");
    return CLI_EXIT_USAGE;
  }
  cli_set_command(command->name);
  static char help_flag[] = "--help";
  char *args[] = {argv[1], help_flag, NULL};
  return command->run(2, args);
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
  if (strcmp(word, help_name) == 0)
    return help(argc - 1, argv + 1);
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
  cli_set_command(command->name);
  int status = command->run(argc - 1, argv + 1);
  cli_mocks_destroy(); /* those the command's mock:// URLs made */
  return status;
}
