/*
 * kavro - configuration: string keys and values named as the Confluent
 * clients name them, in the manner of librdkafka's rd_kafka_conf_set().
 *
 * One property table in the library lists every key with its type,
 * default, range and documentation; doc/CONFIGURATION.md is generated from
 * it, and kavro_conf_dump() reads it at run time.  Unknown keys are an
 * error, never silently ignored.
 *
 * Thread safety: a kavro_conf_t is NOT thread-safe; use one from one thread
 * at a time.  Distinct objects may be used from different threads.
 * Constructors that take a kavro_conf_t (kavro_registry_new(), ...) consume
 * it only when they succeed; on failure it still belongs to the caller.
 */
#ifndef KAVRO_CONF_H
#define KAVRO_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <kavro/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A configuration object.  Opaque. */
typedef struct kavro_conf_s kavro_conf_t;

/**
 * @name Life cycle
 * @{
 */

/** A configuration with every property at its default.  Caller owns it
 *  (kavro_conf_destroy()).  NULL when out of memory. */
KAVRO_EXPORT kavro_conf_t *kavro_conf_new(void);

/** A deep copy of @p conf, callbacks included.  Caller owns it.  NULL when
 *  out of memory. */
KAVRO_EXPORT kavro_conf_t *kavro_conf_dup(const kavro_conf_t *conf);

/** Free @p conf.  NULL-safe. */
KAVRO_EXPORT void kavro_conf_destroy(kavro_conf_t *conf);
/** @} */

/**
 * @name String properties
 * @{
 */

/**
 * Set property @p key to @p value (copied).  A NULL @p value restores the
 * default.  Returns KAVRO_OK, KAVRO_ERR_CONF_UNKNOWN for a key kavro does
 * not know, or KAVRO_ERR_CONF_INVALID for a value out of the property's
 * type or range (the property keeps its previous value), filling @p error
 * with a message that names the key but never echoes a secret value.
 */
KAVRO_EXPORT kavro_err_t kavro_conf_set(kavro_conf_t *conf, const char *key,
                                        const char *value,
                                        kavro_error_t *error);

/**
 * Copy the value of @p key, as text, into @p buf (@p *sizep bytes).  On
 * return @p *sizep holds the size the value needs, NUL included; a NULL
 * @p buf just asks for that size.  Returns KAVRO_OK,
 * KAVRO_ERR_CONF_UNKNOWN, or KAVRO_ERR_INVALID_ARG when @p buf is too
 * small (nothing written).  Secrets are returned as set: the caller asked
 * for them.
 */
KAVRO_EXPORT kavro_err_t kavro_conf_get(const kavro_conf_t *conf,
                                        const char *key, char *buf,
                                        size_t *sizep);

/**
 * All properties as key/value pairs: an array of @p *countp strings (twice
 * the number of properties: key, value, key, value, ...) in table order, with secrets shown as
 * "[redacted]" and credentials removed from URLs, so the dump may be
 * logged.  Free it with kavro_conf_dump_free().  NULL when out of memory.
 */
KAVRO_EXPORT char **kavro_conf_dump(const kavro_conf_t *conf, size_t *countp);

/** Free what kavro_conf_dump() returned.  NULL-safe. */
KAVRO_EXPORT void kavro_conf_dump_free(char **dump, size_t count);

/**
 * Whether the value of property @p key must never be echoed: one of
 * kavro's secret properties, or any key (kavro's, librdkafka's, or a
 * mistyped one) whose name holds "password", "secret", "token",
 * "user.info", "ssl.key" and the like, matched without case.  For programs
 * that report a bad setting.  Any thread.
 */
KAVRO_EXPORT int kavro_conf_is_secret(const char *key);
/** @} */

/**
 * @name Callbacks
 * @{
 */

/**
 * Supplies a bearer token when `bearer.auth.credentials.source` is CUSTOM.
 * Write the NUL-terminated token into @p token (@p size bytes) and its
 * expiry as milliseconds since the Unix epoch into @p *expires_at_ms (0:
 * does not expire), and return KAVRO_OK; any other return fails the request
 * that needed the token, with @p error's text (if the callback set it).
 * Called from whichever thread makes a request, one call at a time per
 * registry client (other threads wait for its token): before the first
 * request, ahead of the token's expiry (by
 * `bearer.auth.cache.expiry.buffer.seconds`, at most a fifth of the
 * token's lifetime), and once after a 401 reply to a request that carried
 * the current token.
 */
typedef kavro_err_t (*kavro_bearer_token_cb_t)(void *opaque, char *token,
                                               size_t size,
                                               int64_t *expires_at_ms,
                                               kavro_error_t *error);

/** Size of the buffer given to a kavro_bearer_token_cb_t. */
#define KAVRO_BEARER_TOKEN_MAX 8192

/**
 * Install the bearer-token callback with an @p opaque pointer passed to
 * every call (borrowed: it must outlive every client made from @p conf).
 * Also sets `bearer.auth.credentials.source` to CUSTOM.  A NULL @p cb
 * removes the callback and restores the source's default.
 */
KAVRO_EXPORT void kavro_conf_set_bearer_token_cb(kavro_conf_t *conf,
                                                 kavro_bearer_token_cb_t cb,
                                                 void *opaque);

/**
 * Receives the statistics JSON document (doc/STATISTICS.md; the text of
 * kavro_metrics_json()) every `statistics.interval.ms`: @p json is
 * @p length bytes, NUL-terminated, borrowed for the call.  Called on a
 * thread of the registry client that the configuration was given to,
 * which starts it when both the interval and the callback are set and
 * stops it (after any call under way returns) when the client is
 * destroyed.  The metrics are process-wide, so one client with a callback
 * is enough.
 */
typedef void (*kavro_stats_cb_t)(void *opaque, const char *json,
                                 size_t length);

/**
 * Install the statistics callback, as librdkafka's
 * rd_kafka_conf_set_stats_cb(), with an @p opaque pointer passed to every
 * call (borrowed: it must outlive every client made from @p conf).  A NULL
 * @p cb removes it.  Nothing is called unless `statistics.interval.ms` is
 * above 0.
 */
KAVRO_EXPORT void kavro_conf_set_stats_cb(kavro_conf_t *conf,
                                          kavro_stats_cb_t cb, void *opaque);

/**
 * Hand over the Kafka client's SASL credentials for
 * `basic.auth.credentials.source` SASL_INHERIT: @p username and
 * @p password (both copied; the password may be NULL for an empty one) are
 * sent as HTTP basic auth.  NULL @p username forgets them.  The kafka part
 * reads them from a librdkafka configuration for you:
 * kavro_kafka_conf_inherit_sasl().  They are never printed, dumped nor
 * returned by kavro_conf_get(); kavro_conf_dup() copies them.  Returns
 * KAVRO_OK, KAVRO_ERR_INVALID_ARG (NULL @p conf, or a password without
 * a user name), KAVRO_ERR_CONF_INVALID (a user name holding ':') or
 * KAVRO_ERR_NOMEM.  Not thread-safe, like every setter of @p conf.
 */
KAVRO_EXPORT kavro_err_t kavro_conf_set_sasl_credentials(kavro_conf_t *conf,
                                                         const char *username,
                                                         const char *password,
                                                         kavro_error_t *error);

/**
 * Hand over the Kafka client's OAUTHBEARER (OIDC) settings for
 * `bearer.auth.credentials.source` SASL_OAUTHBEARER_INHERIT, as Confluent's
 * Java client takes them from the Kafka client's configuration: the token
 * endpoint @p token_endpoint_url (`sasl.oauthbearer.token.endpoint.url`),
 * @p client_id and @p client_secret (`sasl.oauthbearer.client.id`,
 * `sasl.oauthbearer.client.secret`), @p scope (`sasl.oauthbearer.scope`;
 * NULL: none) and @p identity_pool_id (the `identityPoolId` of
 * `sasl.oauthbearer.extensions`; NULL: none).  Each is used where the
 * matching `bearer.auth.*` property (issuer.endpoint.url, client.id,
 * client.secret, scope, identity.pool.id) is empty: the registry's own
 * settings win, as in Java.  All copied; NULL @p client_id forgets them.
 * kavro_kafka_conf_inherit_sasl() reads them from a librdkafka
 * configuration for you.  The secret is never printed, dumped nor
 * returned by kavro_conf_get(); kavro_conf_dup() copies them.  Returns
 * KAVRO_OK, KAVRO_ERR_INVALID_ARG (NULL @p conf, or a client id without a
 * token endpoint or secret) or KAVRO_ERR_NOMEM.  Not thread-safe, like
 * every setter of @p conf.
 */
KAVRO_EXPORT kavro_err_t kavro_conf_set_sasl_oauthbearer(
    kavro_conf_t *conf, const char *token_endpoint_url, const char *client_id,
    const char *client_secret, const char *scope, const char *identity_pool_id,
    kavro_error_t *error);
/** @} */

/**
 * @name Property table
 * @{
 */

/** The property table as Markdown, the text of doc/CONFIGURATION.md.
 *  Caller frees it with free().  NULL when out of memory. */
KAVRO_EXPORT char *kavro_conf_properties_markdown(void);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_CONF_H */
