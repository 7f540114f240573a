/*
 * sr-compat set-compatibility - set the compatibility level of a subject,
 * or the global one, and say what changed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "admin.h"
#include "command.h"
#include "level.h"
#include "subcommands.h"
#include "util.h"

static const char set_help[] =
    "Usage: sr-compat set-compatibility --registry URL [OPTIONS] LEVEL "
    "[SUBJECT]\n"
    "\n"
    "Set the compatibility level of SUBJECT in the Schema Registry at URL\n"
    "(default $SCHEMA_REGISTRY_URL), or the global level without SUBJECT,\n"
    "and print the level now in force and the one before it, e.g.\n"
    "\"shop-value: FULL (subject), was BACKWARD (global)\".\n"
    "\n"
    "Levels: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE,\n"
    "FULL, FULL_TRANSITIVE (any case).\n"
    "\n"
    "Options:\n"
    "  --registry URL     the Schema Registry\n"
    "  -X KEY=VALUE       a kavro configuration property (time-outs, retries,\n"
    "                     TLS, auth; see doc/CONFIGURATION.md), repeatable.\n"
    "                     Credentials: -X basic.auth.user.info=USER:PASSWORD\n"
    "                     or, kept out of process listings, the environment\n"
    "                     variable SR_COMPAT_BASIC_AUTH=USER:PASSWORD\n"
    "  --format FORMAT    text (default) or json: {\"subject\", \"level\",\n"
    "                     \"from\", \"previous\": {\"level\", \"from\"}}\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 set, 2 usage error (an unknown level among them) or\n"
    "registry error.\n";

static void print_change(const sc_admin_t *admin, const char *subject,
                         const sc_level_t *now, const sc_level_t *before) {
  if (admin->json) {
    json_t *root = sc_level_json(now);
    json_object_set_new(root, "subject",
                        sc_xjson(subject ? json_string(subject) : json_null()));
    json_object_set_new(root, "previous", sc_level_json(before));
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    return;
  }
  sc_print_line(stdout, "%s: %s (%s), was %s (%s)",
                subject ? subject : "global", now->name,
                sc_level_origin_name(now->origin), before->name,
                sc_level_origin_name(before->origin));
}

/* Read the level in force, set @now's, print both. */
static int set_level(const sc_admin_t *admin, kavro_registry_t *registry,
                     const char *subject, const sc_level_t *now) {
  sc_level_t before;
  kavro_error_t error;
  if (sc_level_get(registry, subject, &before, &error) != KAVRO_OK ||
      kavro_registry_set_level(registry, subject, now->name, &error) !=
          KAVRO_OK)
    return sc_report_error(&error);
  print_change(admin, subject, now, &before);
  return SC_EXIT_OK;
}

int sc_cmd_set_compatibility(int argc, char **argv) {
  sc_admin_t admin = {.command = "set-compatibility", .help = set_help};
  int status = sc_admin_parse(&admin, argc, argv, 1, 2);
  kavro_compat_level_t parsed;
  if (status < 0 && kavro_compat_level_parse(argv[optind], &parsed) != KAVRO_OK)
    status = sc_usage_error("set-compatibility",
                            "unknown compatibility level \"%s\" (NONE, "
                            "BACKWARD, BACKWARD_TRANSITIVE, FORWARD, "
                            "FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE)",
                            argv[optind]);
  if (status >= 0) {
    sc_admin_clear(&admin);
    return status;
  }
  const char *subject = optind + 1 < argc ? argv[optind + 1] : NULL;
  sc_level_t now = {.origin = subject ? SC_LEVEL_SUBJECT : SC_LEVEL_GLOBAL};
  snprintf(now.name, sizeof(now.name), "%s", kavro_compat_level_name(parsed));
  char *shown = NULL;
  kavro_registry_t *registry = sc_admin_open(&admin, &shown);
  status = registry ? set_level(&admin, registry, subject, &now)
                    : SC_EXIT_ERROR;
  kavro_registry_destroy(registry);
  free(shown);
  sc_admin_clear(&admin);
  return status;
}
