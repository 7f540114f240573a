/*
 * sr-compat - the registry administration subcommands' shared command line
 * (see admin.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "command.h"
#include "level.h"
#include "util.h"

enum { OPT_REGISTRY = 1900, OPT_FORMAT };

static const struct option shared_options[] = {
    {"registry", required_argument, NULL, OPT_REGISTRY},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"help", no_argument, NULL, 'h'}};

#define SHARED_COUNT (sizeof(shared_options) / sizeof(shared_options[0]))

/* The shared options followed by the command's, and the zero entry. */
static struct option *all_options(const sc_admin_t *admin) {
  size_t own = 0;
  while (admin->options && admin->options[own].name)
    own++;
  struct option *all = sc_xcalloc(SHARED_COUNT + own + 1, sizeof(*all));
  memcpy(all, shared_options, sizeof(shared_options));
  if (own)
    memcpy(all + SHARED_COUNT, admin->options, own * sizeof(*all));
  return all;
}

static int shared_option(sc_admin_t *admin, int opt, const char *arg) {
  switch (opt) {
  case 'X':
    sc_connect_add_setting(&admin->connect, arg);
    return SC_EXIT_OK;
  case OPT_REGISTRY:
    admin->connect.url = arg;
    return SC_EXIT_OK;
  case OPT_FORMAT:
    if (!sc_level_format(arg, &admin->json))
      return sc_usage_error(admin->command, "unknown format \"%s\" (text or "
                                            "json)", arg);
    return SC_EXIT_OK;
  default:
    return admin->option ? admin->option(admin->context, opt, arg)
                         : sc_usage_error(admin->command, "unknown option");
  }
}

static int parse_options(sc_admin_t *admin, int argc, char **argv,
                         const struct option *options) {
  int opt;
  optind = 0; /* glibc: start over, whatever parsed argv before */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "hX:", options, NULL)) != -1) {
    if (opt == 'h') {
      fputs(admin->help, stdout);
      return SC_EXIT_OK;
    }
    if (opt == '?')
      return sc_usage_error(admin->command,
                            "unknown option or missing argument: %s",
                            argv[optind - 1]);
    int status = shared_option(admin, opt, optarg);
    if (status != SC_EXIT_OK)
      return status;
  }
  return -1;
}

int sc_admin_parse(sc_admin_t *admin, int argc, char **argv, int min,
                   int max) {
  struct option *options = all_options(admin);
  int status = parse_options(admin, argc, argv, options);
  free(options);
  if (status >= 0)
    return status;
  int operands = argc - optind;
  if (operands < min || (max >= 0 && operands > max))
    return sc_usage_error(admin->command, "wrong number of arguments");
  if (!sc_connect_url(&admin->connect))
    return sc_usage_error(admin->command, "say which registry: --registry URL "
                                          "(or " SC_ENV_REGISTRY_URL ")");
  return -1;
}

kavro_registry_t *sc_admin_open(const sc_admin_t *admin, char **shownp) {
  kavro_error_t error;
  kavro_registry_t *registry = sc_connect_open(&admin->connect, shownp, &error);
  if (!registry)
    sc_report_error(&error);
  return registry;
}

void sc_admin_clear(sc_admin_t *admin) { sc_connect_clear(&admin->connect); }
