/*
 * kavro - the public face of the rules (kavro/rules.h): registering
 * executors and actions in a conf, and what the rule context tells them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common_error_int.h"
#include "rules_model_int.h"

kavro_err_t kavro_conf_add_rule_executor(kavro_conf_t *conf, const char *type,
                                         const char *name,
                                         const kavro_rule_executor_t *executor,
                                         kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf || !type || !*type || !executor)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a conf, a rule type and an executor are required");
  int callbacks = (executor->execute != NULL) +
                  (executor->execute_field != NULL) +
                  (executor->migrate != NULL);
  if (callbacks != 1)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the executor for %.64s sets %d callbacks: exactly "
                        "one of execute, execute_field and migrate is "
                        "needed",
                        type, callbacks);
  return kv_conf_plugin_add(conf, KV_PLUGIN_EXECUTOR, type, name ? name : type,
                            executor, sizeof(*executor), error);
}

kavro_err_t kavro_conf_add_rule_action(kavro_conf_t *conf, const char *type,
                                       kavro_rule_action_cb_t cb, void *opaque,
                                       kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf || !type || !*type || !cb)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a conf, an action name and a callback are required");
  if (strcasecmp(type, "ERROR") == 0 || strcasecmp(type, "NONE") == 0)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the %s action is built in", type);
  kv_action_reg_t reg = {cb, opaque};
  return kv_conf_plugin_add(conf, KV_PLUGIN_ACTION, type, type, &reg,
                            sizeof(reg), error);
}

kavro_err_t kavro_conf_add_kms_driver(kavro_conf_t *conf, const char *kms_type,
                                      const kavro_kms_driver_t *driver,
                                      kavro_error_t *error) {
  kv_error_clear(error);
  if (!conf || !kms_type || !*kms_type || !driver || !driver->encrypt ||
      !driver->decrypt)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a conf, a KMS type and a driver with encrypt and "
                        "decrypt are required");
  return kv_conf_plugin_add(conf, KV_PLUGIN_KMS, kms_type, kms_type, driver,
                            sizeof(*driver), error);
}

/* ---- the context ------------------------------------------------------------ */

const char *kavro_rule_ctx_rule_name(const kavro_rule_ctx_t *ctx) {
  return ctx->rule->name;
}

kavro_rule_kind_t kavro_rule_ctx_kind(const kavro_rule_ctx_t *ctx) {
  return ctx->rule->kind;
}

kavro_rule_mode_t kavro_rule_ctx_rule_mode(const kavro_rule_ctx_t *ctx) {
  return ctx->rule->mode;
}

kavro_rule_mode_t kavro_rule_ctx_mode(const kavro_rule_ctx_t *ctx) {
  return ctx->set->list.mode;
}

const char *kavro_rule_ctx_type(const kavro_rule_ctx_t *ctx) {
  return ctx->rule->type;
}

const char *kavro_rule_ctx_expr(const kavro_rule_ctx_t *ctx) {
  return ctx->rule->expr;
}

size_t kavro_rule_ctx_tag_count(const kavro_rule_ctx_t *ctx) {
  return ctx->rule->tag_count;
}

const char *kavro_rule_ctx_tag(const kavro_rule_ctx_t *ctx, size_t i) {
  return i < ctx->rule->tag_count ? ctx->rule->tags[i] : NULL;
}

const char *kavro_rule_ctx_param(const kavro_rule_ctx_t *ctx,
                                 const char *name) {
  if (!name)
    return NULL;
  const json_t *v = json_object_get(ctx->rule->params, name);
  if (!json_is_string(v))
    v = json_object_get(
        json_object_get(ctx->set->metadata, "properties"), name);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* `PREFIX.WHO.param.NAME` when set. */
static const char *config_of(kavro_rule_ctx_t *ctx, const char *who,
                             const char *name) {
  int n = snprintf(ctx->config_key, sizeof(ctx->config_key), "%s.%s.param.%s",
                   ctx->config_prefix, who, name);
  if (n < 0 || (size_t)n >= sizeof(ctx->config_key))
    return NULL;
  return kv_conf_pattern_value(ctx->set->engine->conf, ctx->config_key);
}

const char *kavro_rule_ctx_config(const kavro_rule_ctx_t *ctx,
                                  const char *name) {
  if (!ctx->plugin || !name)
    return NULL;
  /* The context is the caller's for the callback: its scratch key is the
   * only thing written. */
  kavro_rule_ctx_t *c = (kavro_rule_ctx_t *)ctx;
  char type[80];
  snprintf(type, sizeof(type), "_%s_", ctx->plugin->type);
  const char *v;
  if ((v = config_of(c, ctx->plugin->name ? ctx->plugin->name
                                          : ctx->plugin->type,
                     name)) ||
      (v = config_of(c, type, name)) || (v = config_of(c, "_default_", name)))
    return v;
  return kv_conf_lookup(ctx->set->engine->conf, name);
}

const char *kavro_rule_ctx_subject(const kavro_rule_ctx_t *ctx) {
  const char *subject = ctx->call->subject;
  return subject && *subject ? subject : ctx->set->subject;
}

const char *kavro_rule_ctx_topic(const kavro_rule_ctx_t *ctx) {
  return ctx->call->topic ? ctx->call->topic : "";
}

bool kavro_rule_ctx_is_key(const kavro_rule_ctx_t *ctx) {
  return ctx->call->is_key;
}

const kavro_schema_t *kavro_rule_ctx_schema(const kavro_rule_ctx_t *ctx) {
  return ctx->set->schema;
}

const kavro_schema_t *kavro_rule_ctx_source(const kavro_rule_ctx_t *ctx) {
  return ctx->set->source ? ctx->set->source : ctx->set->schema;
}

const void *kavro_rule_ctx_payload(const kavro_rule_ctx_t *ctx,
                                   size_t *sizep) {
  if (sizep)
    *sizep = ctx->call->payload ? ctx->call->payload_size : 0;
  return ctx->call->payload;
}

const void *kavro_rule_ctx_key(const kavro_rule_ctx_t *ctx, size_t *sizep) {
  const kavro_record_t *record = ctx->call->record;
  const void *key = record ? record->key : NULL;
  if (sizep)
    *sizep = key ? record->key_size : 0;
  return key;
}

size_t kavro_rule_ctx_header_count(const kavro_rule_ctx_t *ctx) {
  const kavro_record_t *record = ctx->call->record;
  return record && record->headers ? record->header_count : 0;
}

const kavro_header_t *kavro_rule_ctx_header(const kavro_rule_ctx_t *ctx,
                                            size_t i) {
  return i < kavro_rule_ctx_header_count(ctx) ? &ctx->call->record->headers[i]
                                              : NULL;
}

void kavro_rule_ctx_set_dead_lettered(const kavro_rule_ctx_t *ctx) {
  if (ctx->call->record)
    ctx->call->record->dead_lettered = true;
}
