/*
 * kavro - typed access to a kavro_conf_t for the parts that consume one.
 *
 * Values were validated when set, so these accessors cannot fail; asking
 * for a key that is not in the table, or with the wrong type, is a
 * programming error and aborts.
 */
#ifndef KAVRO_CONF_INT_H
#define KAVRO_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kavro/conf.h"

/* The value of a string, enum or list property: the set value or the
 * default ("" when unset without default).  Borrowed from @conf. */
const char *kv_conf_str(const kavro_conf_t *conf, const char *key);

int64_t kv_conf_int(const kavro_conf_t *conf, const char *key);

bool kv_conf_bool(const kavro_conf_t *conf, const char *key);

/* The bearer-token callback and its opaque pointer (NULL when unset). */
kavro_bearer_token_cb_t kv_conf_bearer_cb(const kavro_conf_t *conf,
                                          void **opaquep);

/* The statistics callback and its opaque pointer (NULL when unset). */
kavro_stats_cb_t kv_conf_stats_cb(const kavro_conf_t *conf, void **opaquep);

/* The SASL credentials handed over for SASL_INHERIT: the user name (NULL
 * when none were) and, in @*passwordp, the password.  Borrowed. */
const char *kv_conf_sasl_credentials(const kavro_conf_t *conf,
                                     const char **passwordp);

/* The Kafka client's OAUTHBEARER settings handed over for
 * SASL_OAUTHBEARER_INHERIT (kavro_conf_set_sasl_oauthbearer()). */
typedef enum kv_sasl_oauth_e {
  KV_SASL_OAUTH_URL,
  KV_SASL_OAUTH_CLIENT_ID,
  KV_SASL_OAUTH_CLIENT_SECRET,
  KV_SASL_OAUTH_SCOPE,
  KV_SASL_OAUTH_POOL_ID,
  KV_SASL_OAUTH_COUNT
} kv_sasl_oauth_t;

/* Setting @which handed over, or NULL when none were (or it was NULL).
 * Borrowed. */
const char *kv_conf_sasl_oauth(const kavro_conf_t *conf, kv_sasl_oauth_t which);

/* Copy of @url without "user:password@" (caller frees).  NULL on OOM. */
char *kv_url_strip_credentials(const char *url);

/* The value set for @key, a key of a pattern property of the table
 * ("rule.executors.<name>.param.<param>"), or NULL when not set. */
const char *kv_conf_pattern_value(const kavro_conf_t *conf, const char *key);

/* The value set for any known @key (pattern or not), or NULL when @key is
 * unknown or not set (its default then applies). */
const char *kv_conf_lookup(const kavro_conf_t *conf, const char *key);

/* A registration of callbacks another part keeps in a configuration (the
 * rules' executors and actions): @kind is that part's, @data a copy of
 * its @size bytes.  Copied by kavro_conf_dup(). */
typedef struct kv_conf_plugin_s {
  int kind;
  char *type;
  char *name; /* NULL: none */
  void *data;
  size_t size;
} kv_conf_plugin_t;

kavro_err_t kv_conf_plugin_add(kavro_conf_t *conf, int kind, const char *type,
                               const char *name, const void *data, size_t size,
                               kavro_error_t *error);

/* The registrations of @conf, in the order they were made. */
const kv_conf_plugin_t *kv_conf_plugins(const kavro_conf_t *conf,
                                        size_t *countp);

#endif /* KAVRO_CONF_INT_H */
