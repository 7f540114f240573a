/*
 * sr-compat - the schema compatibility tool for pull-request pipelines:
 * `check` refuses a schema change that would break the consumers of a
 * subject, `lint` warns about legal Avro that breaks evolution or intent.
 */
#include <stdio.h>
#include <string.h>

#include <kavro.h>

#include "subcommands.h"
#include "util.h"

static const char main_help[] =
    "Usage: sr-compat COMMAND [OPTIONS] [FILE...]\n"
    "\n"
    "Schema Registry compatibility for pull requests, with the same engine\n"
    "the kavro library applies before producing.\n"
    "\n"
    "Commands:\n"
    "  check     compare schemas with their previous versions (a git ref, a\n"
    "            directory, one explicit pair, or a Schema Registry) under a\n"
    "            compatibility level\n"
    "  lint      warn about legal Avro that breaks evolution or intent\n"
    "  register  register schemas in a Schema Registry, referenced types\n"
    "            first; idempotent\n"
    "  download  write the registered schemas of subjects (and the schemas\n"
    "            they reference) to a directory that check takes as a\n"
    "            baseline (--against-dir DIR)\n"
    "  get-compatibility [SUBJECT]\n"
    "            print the level that governs SUBJECT (or the global one)\n"
    "            and where it comes from\n"
    "  set-compatibility LEVEL [SUBJECT]\n"
    "            set the level of SUBJECT (or the global one)\n"
    "  help [COMMAND]  show help\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  --version      show the version\n"
    "\n"
    "'sr-compat COMMAND --help' describes a command.  The catalog format is\n"
    "in doc/catalog.md, the JSON output in doc/sr-compat.md.\n"
    "\n"
    "Exit status: 0 compatible, clean, registered, downloaded or set,\n"
    "1 incompatible, invalid or lint warnings, 2 usage, I/O, git or registry\n"
    "error.\n";

typedef int (*command_fn)(int argc, char **argv);

static const struct {
  const char *name;
  command_fn run;
} commands[] = {{"check", sc_cmd_check},
                {"lint", sc_cmd_lint},
                {"register", sc_cmd_register},
                {"download", sc_cmd_download},
                {"get-compatibility", sc_cmd_get_compatibility},
                {"set-compatibility", sc_cmd_set_compatibility}};

static command_fn find_command(const char *name) {
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(name, commands[i].name) == 0)
      return commands[i].run;
  return NULL;
}

/* `sr-compat help [COMMAND]`. */
static int help(int argc, char **argv) {
  if (argc < 2) {
    fputs(main_help, stdout);
    return SC_EXIT_OK;
  }
  command_fn run = find_command(argv[1]);
  if (!run) {
    sc_print_line(stderr, "sr-compat: no command \"%s\"", argv[1]);
    return SC_EXIT_ERROR;
  }
  static char help_flag[] = "--help";
  char *args[] = {argv[1], help_flag, NULL};
  return run(2, args);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(main_help, stderr);
    return SC_EXIT_ERROR;
  }
  const char *name = argv[1];
  if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0)
    return help(1, argv + 1);
  if (strcmp(name, "help") == 0)
    return help(argc - 1, argv + 1);
  if (strcmp(name, "--version") == 0) {
    printf("sr-compat (kavro) %s\n", kavro_version_str());
    return SC_EXIT_OK;
  }
  command_fn run = find_command(name);
  if (!run) {
    sc_print_line(stderr, "sr-compat: unknown command \"%s\"", name);
    fputs("Try 'sr-compat --help'.\n", stderr);
    return SC_EXIT_ERROR;
  }
  return run(argc - 1, argv + 1);
}
