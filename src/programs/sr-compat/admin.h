/*
 * sr-compat - what the registry administration subcommands (download,
 * get-compatibility, set-compatibility) share: their command line (the
 * registry options exactly as check and register take them: --registry
 * URL, -X KEY=VALUE, $SCHEMA_REGISTRY_URL, $SR_COMPAT_BASIC_AUTH; --format
 * text or json; -h, --help) and the client made from it.
 */
#ifndef SR_COMPAT_ADMIN_H
#define SR_COMPAT_ADMIN_H

#include <getopt.h>
#include <stdbool.h>

#include "connect.h"

typedef struct sc_admin_s {
  const char *command;  /* "download", ... */
  const char *help;     /* printed by --help */
  sc_connect_t connect;
  bool json;            /* --format json */
  /* The command's own options: a getopt_long table ended by a zero
   * entry (may be NULL) and the function that handles them, which
   * returns SC_EXIT_OK or a usage error. */
  const struct option *options;
  int (*option)(void *context, int opt, const char *arg);
  void *context;
} sc_admin_t;

/* getopt_long codes of the commands' own options start here. */
enum { SC_ADMIN_OPT_FIRST = 2000 };

/*
 * Parse the command line (argv[0] is the command's name).  The operands
 * are left at argv[optind..]; between @min and @max of them (@max < 0: no
 * bound) are accepted.  Returns -1 to go on, else the exit status (help
 * printed, or a usage error).
 */
int sc_admin_parse(sc_admin_t *admin, int argc, char **argv, int min, int max);

/* The client of the run, or NULL after reporting why (the caller returns
 * SC_EXIT_ERROR).  Stores the URL without credentials in @*shownp. */
kavro_registry_t *sc_admin_open(const sc_admin_t *admin, char **shownp);

void sc_admin_clear(sc_admin_t *admin);

#endif /* SR_COMPAT_ADMIN_H */
