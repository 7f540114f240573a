/*
 * kavro (the program) - reading a subcommand's command line, and the
 * messages for a wrong one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Room for the common options, a subcommand's own, and the terminator. */
#define MAX_LONG_OPTIONS 32

/* @fmt and @ap formatted into a new string; NULL when memory ran out. */
static char *format_v(const char *fmt, va_list ap) {
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, again);
  va_end(again);
  char *text = n < 0 ? NULL : malloc((size_t)n + 1);
  if (text)
    vsnprintf(text, (size_t)n + 1, fmt, ap);
  return text;
}

/* The subcommand running, for messages that do not know it. */
static const char *current_command;

void cli_set_command(const char *name) { current_command = name; }

/* Whole, not piecewise: a URL's user info is found only in the whole. */
static void print_line_v(const char *fmt, va_list ap) {
  char *text = format_v(fmt, ap);
  char *shown = text ? kavro_text_printable(text, KAVRO_TEXT_REDACT_URLS |
                                                      KAVRO_TEXT_ESCAPE_CONTROLS)
                     : NULL;
  fprintf(stderr, "%s\n", shown ? shown : "kavro: out of memory");
  free(shown);
  free(text);
}

void cli_print_line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  print_line_v(fmt, ap);
  va_end(ap);
}

void cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *message = format_v(fmt, ap);
  va_end(ap);
  cli_print_line("kavro%s%s: %s", current_command ? " " : "",
                 current_command ? current_command : "",
                 message ? message : "out of memory");
  free(message);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *message = format_v(fmt, ap);
  va_end(ap);
  cli_print_line("kavro %s: %s", cmd, message ? message : "out of memory");
  free(message);
  fprintf(stderr, "Try 'kavro %s --help'.\n", cmd);
  return CLI_EXIT_USAGE;
}

int cli_finish_output(int status) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    cli_error("writing the output failed: %s", strerror(errno));
    return CLI_EXIT_USAGE;
  }
  return status;
}

/* The common options followed by @spec's own, into @table. */
static void build_options(const cli_spec_t *spec, struct option *table,
                          char *shorts, size_t shorts_size) {
  static const struct option common[] = {
      {"references", required_argument, NULL, CLI_OPT_REFERENCES},
      {"schema", required_argument, NULL, CLI_OPT_SCHEMA},
      {"help", no_argument, NULL, CLI_OPT_HELP},
  };
  size_t n = 0;
  for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
    table[n++] = common[i];
  for (const struct option *o = spec->options; o && o->name; o++) {
    if (n == MAX_LONG_OPTIONS - 1) {
      fprintf(stderr, "kavro %s: too many options; raise MAX_LONG_OPTIONS\n",
              spec->name);
      abort();
    }
    table[n++] = *o;
  }
  memset(&table[n], 0, sizeof(table[n]));
  /* A leading ':' makes getopt tell a missing value from an unknown
   * option.  Options may follow the files; a file named like an option
   * goes after "--". */
  snprintf(shorts, shorts_size, ":r:s:h%s",
           spec->short_options ? spec->short_options : "");
}

static int bad_option(const cli_spec_t *spec, int answer, char **argv) {
  const char *word = argv[optind - 1];
  if (answer == ':')
    return cli_usage_error(spec->name, "option '%s' needs a value", word);
  if (optopt)
    return cli_usage_error(spec->name, "unknown option '-%c'", optopt);
  return cli_usage_error(spec->name, "unknown option '%s'", word);
}

int cli_parse_args(const cli_spec_t *spec, void *ctx, int argc, char **argv,
                   cli_refs_t *refs, int *first_arg) {
  struct option table[MAX_LONG_OPTIONS];
  char shorts[64];
  build_options(spec, table, shorts, sizeof(shorts));
  opterr = 0;
  optind = 1;
  int opt, status;
  while ((opt = getopt_long(argc, argv, shorts, table, NULL)) != -1) {
    switch (opt) {
    case CLI_OPT_HELP:
      fputs(spec->usage, stdout);
      return cli_finish_output(CLI_EXIT_OK);
    case CLI_OPT_REFERENCES:
    case CLI_OPT_SCHEMA:
      status = cli_refs_option(refs, spec->name, opt, optarg);
      break;
    case '?':
    case ':':
      return bad_option(spec, opt, argv);
    default:
      status =
          spec->on_option ? spec->on_option(ctx, opt, optarg) : CLI_EXIT_USAGE;
    }
    if (status != CLI_EXIT_OK)
      return status;
  }
  size_t operands = (size_t)(argc - optind);
  if (operands < spec->min_args)
    return cli_usage_error(spec->name, "missing FILE operand");
  if (spec->max_args && operands > spec->max_args)
    return cli_usage_error(spec->name, "too many operands (from '%s' on)",
                           argv[optind + (int)spec->max_args]);
  *first_arg = optind;
  return -1;
}
