/*
 * sr-compat - reaching a Schema Registry (see connect.h).
 */
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "util.h"

#define KEY_URL "schema.registry.url"
#define KEY_USER_INFO "basic.auth.user.info"
#define KEY_AUTH_SOURCE "basic.auth.credentials.source"

void sc_connect_add_setting(sc_connect_t *connect, const char *arg) {
  SC_GROW(connect->settings, connect->setting_count, connect->setting_capacity);
  connect->settings[connect->setting_count++] = arg;
}

const char *sc_connect_url(const sc_connect_t *connect) {
  if (connect->url)
    return connect->url;
  const char *env = getenv(SC_ENV_REGISTRY_URL);
  return env && *env ? env : NULL;
}

void sc_connect_clear(sc_connect_t *connect) {
  free(connect->settings);
  memset(connect, 0, sizeof(*connect));
}

/* Set @key; a failure keeps the library's message (which names the key and
 * never a secret) and says where the setting came from. */
static kavro_err_t set(kavro_conf_t *conf, const char *origin, const char *key,
                       const char *value, kavro_error_t *error) {
  kavro_err_t err = kavro_conf_set(conf, key, value, error);
  if (err != KAVRO_OK && error)
    snprintf(error->source, sizeof(error->source), "%s", origin);
  return err;
}

/* Apply "-X KEY=VALUE"; tells whether it set the credentials' source. */
static kavro_err_t apply_setting(kavro_conf_t *conf, const char *arg,
                                 bool *sets_source, kavro_error_t *error) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg)
    /* Not echoed: a mistyped pair may be a password. */
    return sc_fail(error, KAVRO_ERR_CONF_INVALID, "-X",
                   "expected KEY=VALUE (a kavro configuration property, "
                   "see doc/CONFIGURATION.md)");
  char *key = sc_xasprintf("%.*s", (int)(eq - arg), arg);
  kavro_err_t err = set(conf, "-X", key, eq + 1, error);
  if (strcmp(key, KEY_AUTH_SOURCE) == 0)
    *sets_source = true;
  free(key);
  return err;
}

static bool has_user_info(const kavro_conf_t *conf) {
  size_t size = 0;
  return kavro_conf_get(conf, KEY_USER_INFO, NULL, &size) == KAVRO_OK &&
         size > 1;
}

static kavro_err_t configure(kavro_conf_t *conf, const sc_connect_t *connect,
                             const char *url, kavro_error_t *error) {
  kavro_err_t err = set(conf, connect->url ? "--registry" : SC_ENV_REGISTRY_URL,
                        KEY_URL, url, error);
  const char *auth = getenv(SC_ENV_BASIC_AUTH);
  if (err == KAVRO_OK && auth && *auth)
    err = set(conf, SC_ENV_BASIC_AUTH, KEY_USER_INFO, auth, error);
  bool sets_source = false;
  for (size_t i = 0; err == KAVRO_OK && i < connect->setting_count; i++)
    err = apply_setting(conf, connect->settings[i], &sets_source, error);
  if (err == KAVRO_OK && !sets_source && has_user_info(conf))
    err = set(conf, "-X", KEY_AUTH_SOURCE, "USER_INFO", error);
  return err;
}

/* The URL list as the library prints it: without user info. */
static char *shown_url(const kavro_conf_t *conf) {
  size_t count = 0;
  char **dump = kavro_conf_dump(conf, &count);
  if (!dump)
    sc_out_of_memory();
  char *shown = NULL;
  for (size_t i = 0; i < count && !shown; i++)
    if (strcmp(dump[2 * i], KEY_URL) == 0)
      shown = sc_xstrdup(dump[2 * i + 1]);
  kavro_conf_dump_free(dump, count);
  return shown ? shown : sc_xstrdup("");
}

kavro_registry_t *sc_connect_open(const sc_connect_t *connect, char **shownp,
                                  kavro_error_t *error) {
  *shownp = NULL;
  const char *url = sc_connect_url(connect);
  if (!url) {
    sc_fail(error, KAVRO_ERR_INVALID_ARG, "--registry",
            "no registry: give --registry URL or set " SC_ENV_REGISTRY_URL);
    return NULL;
  }
  kavro_conf_t *conf = kavro_conf_new();
  if (!conf)
    sc_out_of_memory();
  if (configure(conf, connect, url, error) != KAVRO_OK) {
    kavro_conf_destroy(conf);
    return NULL;
  }
  char *shown = shown_url(conf);
  kavro_registry_t *registry = kavro_registry_new(conf, error);
  if (!registry) {
    if (error && !error->source[0])
      snprintf(error->source, sizeof(error->source), "%s", shown);
    kavro_conf_destroy(conf);
    free(shown);
    return NULL;
  }
  *shownp = shown;
  return registry;
}
