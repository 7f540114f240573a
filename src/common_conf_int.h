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

#endif /* KAVRO_CONF_INT_H */
