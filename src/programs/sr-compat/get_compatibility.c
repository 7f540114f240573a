/*
 * sr-compat get-compatibility - the compatibility level that governs a
 * subject, or the global one, and where it comes from.
 */
#include <stdio.h>
#include <stdlib.h>

#include "admin.h"
#include "command.h"
#include "level.h"
#include "subcommands.h"
#include "util.h"

static const char get_help[] =
    "Usage: sr-compat get-compatibility --registry URL [OPTIONS] [SUBJECT]\n"
    "\n"
    "Print the compatibility level that governs SUBJECT in the Schema\n"
    "Registry at URL (default $SCHEMA_REGISTRY_URL), or the global level\n"
    "without SUBJECT, and where it comes from: the subject's own level\n"
    "(subject), else the global one (global), else the registry's default,\n"
    "BACKWARD (default).  For example: BACKWARD (global).\n"
    "\n"
    "Options:\n"
    "  --registry URL     the Schema Registry\n"
    "  -X KEY=VALUE       a kavro configuration property (time-outs, retries,\n"
    "                     TLS, auth; see doc/CONFIGURATION.md), repeatable.\n"
    "                     Credentials: -X basic.auth.user.info=USER:PASSWORD\n"
    "                     or, kept out of process listings, the environment\n"
    "                     variable SR_COMPAT_BASIC_AUTH=USER:PASSWORD\n"
    "  --format FORMAT    text (default) or json:\n"
    "                     {\"subject\": S or null, \"level\": L, \"from\": O}\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 printed, 2 usage or registry error.\n";

static void print_level(const sc_admin_t *admin, const char *subject,
                        const sc_level_t *level) {
  if (admin->json) {
    json_t *root = sc_level_json(level);
    json_object_set_new(root, "subject",
                        sc_xjson(subject ? json_string(subject) : json_null()));
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    return;
  }
  if (subject)
    sc_print_line(stdout, "%s: %s (%s)", subject, level->name,
                  sc_level_origin_name(level->origin));
  else
    sc_print_line(stdout, "%s (%s)", level->name,
                  sc_level_origin_name(level->origin));
}

int sc_cmd_get_compatibility(int argc, char **argv) {
  sc_admin_t admin = {.command = "get-compatibility", .help = get_help};
  int status = sc_admin_parse(&admin, argc, argv, 0, 1);
  if (status >= 0) {
    sc_admin_clear(&admin);
    return status;
  }
  const char *subject = optind < argc ? argv[optind] : NULL;
  char *shown = NULL;
  kavro_registry_t *registry = sc_admin_open(&admin, &shown);
  status = SC_EXIT_ERROR;
  if (registry) {
    sc_level_t level;
    kavro_error_t error;
    if (sc_level_get(registry, subject, &level, &error) == KAVRO_OK) {
      print_level(&admin, subject, &level);
      status = SC_EXIT_OK;
    } else {
      status = sc_report_error(&error);
    }
  }
  kavro_registry_destroy(registry);
  free(shown);
  sc_admin_clear(&admin);
  return status;
}
