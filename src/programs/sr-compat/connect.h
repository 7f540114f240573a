/*
 * sr-compat - reaching a Schema Registry: the options the registry-aware
 * subcommands share (--registry URL, -X KEY=VALUE), the environment
 * (SCHEMA_REGISTRY_URL, SR_COMPAT_BASIC_AUTH) and the kavro client made
 * from them.  Credentials never appear in anything printed: the URL shown
 * is the library's credential-free form of it, and no -X value is echoed.
 */
#ifndef SR_COMPAT_CONNECT_H
#define SR_COMPAT_CONNECT_H

#include <stdbool.h>
#include <stddef.h>

#include <kavro.h>

/* The environment variables the registry options fall back on. */
#define SC_ENV_REGISTRY_URL "SCHEMA_REGISTRY_URL"
#define SC_ENV_BASIC_AUTH "SR_COMPAT_BASIC_AUTH"

typedef struct sc_connect_s {
  const char *url;        /* --registry, NULL when not given */
  const char **settings;  /* -X arguments, as given (borrowed from argv) */
  size_t setting_count, setting_capacity;
} sc_connect_t;

/* Record -X @arg; the pair is checked when the client is made. */
void sc_connect_add_setting(sc_connect_t *connect, const char *arg);

/* The registry URL of the run: --registry, else $SCHEMA_REGISTRY_URL when
 * set and not empty, else NULL. */
const char *sc_connect_url(const sc_connect_t *connect);

/*
 * A client for sc_connect_url() configured with $SR_COMPAT_BASIC_AUTH and
 * the -X settings, in that order (so -X wins); basic.auth.user.info set
 * either way selects basic.auth.credentials.source USER_INFO unless -X set
 * the source.  Stores the URL list without credentials in @*shownp (free
 * it).  Errors (a bad setting, an unknown key, a client that cannot be
 * made) name the option at fault and never its value.
 */
kavro_registry_t *sc_connect_open(const sc_connect_t *connect, char **shownp,
                                  kavro_error_t *error);

void sc_connect_clear(sc_connect_t *connect);

#endif /* SR_COMPAT_CONNECT_H */
