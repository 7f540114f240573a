/*
 * kavro - the built-in ENCRYPT executor: client-side field-level
 * encryption as Confluent's FieldEncryptionExecutor does it, byte for
 * byte (the cryptography is in rules_crypto.c).
 *
 * A rule names its key-encryption key (`encrypt.kek.name`) and, for a
 * producer that may have to create it, the KEK's KMS (`encrypt.kms.type`,
 * `encrypt.kms.key.id`).  The data-encryption key (DEK) of the subject
 * lives in the registry's DEK registry, wrapped by the KEK; a producer
 * that finds none makes one and registers it, wrapped by the KMS driver
 * (or, under a shared KEK, lets the registry make it).  With
 * `encrypt.dek.expiry.days` a DEK older than that is replaced by the next
 * version, and each ciphertext starts with 0x00 and the 4-byte version of
 * its DEK, which a consumer reads back; without it, version 1 serves for
 * ever and no prefix is written.  Strings are written as the base64 of
 * their ciphertext, bytes as the ciphertext.
 *
 * The warm path: each rule keeps the DEKs it unwrapped in a list that only
 * grows, newest first, published with an atomic store; a message finds
 * its key by walking it, without a lock and without the registry.  The
 * first message for a subject (or version) takes the rule's lock, asks
 * the registry and the KMS once, and publishes the key.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "codec_int.h"
#include "common_error_int.h"
#include "common_text_int.h"
#include "common_strbuf_int.h"
#include "rules_crypto_int.h"
#include "rules_model_int.h"

/* The peers' parameter names. */
#define KEK_NAME "encrypt.kek.name"
#define KMS_TYPE "encrypt.kms.type"
#define KMS_KEY_ID "encrypt.kms.key.id"
#define DEK_ALGORITHM "encrypt.dek.algorithm"
#define DEK_EXPIRY_DAYS "encrypt.dek.expiry.days"
#define ALTERNATE_KEY_IDS "encrypt.alternate.kms.key.ids"

#define LOCAL_KMS "local-kms"
#define MILLIS_PER_DAY 86400000LL
/* 0x00 and a 4-byte big-endian DEK version, before a rotated ciphertext. */
#define VERSION_PREFIX 5
/* Fields up to this size are encrypted in buffers on the stack. */
#define STACK_BUFFER 512

/* An unwrapped DEK; never changed once published. */
typedef struct dek_s {
  struct dek_s *next; /* older */
  char *subject;
  int version;
  bool for_write;
  int64_t expires_ms; /* when a producer makes the next version */
  kv_aead_t *aead;
} dek_t;

/* What prepare() made of one rule. */
typedef struct encrypt_rule_s {
  kavro_error_t *broken; /* a parameter it cannot run with: each message
                            fails with it, and onFailure decides */
  kv_dek_alg_t alg;
  const char *kek_name; /* into the rule set's JSON */
  int64_t expiry_days;  /* 0: no rotation */
  pthread_mutex_t lock; /* one registry and KMS trip at a time */
  _Atomic(dek_t *) deks;
} encrypt_rule_t;

/* ---- compiling ------------------------------------------------------------ */

static void dek_free(dek_t *d) {
  kv_aead_destroy(d->aead);
  free(d->subject);
  free(d);
}

static void encrypt_rule_release(void *prepared) {
  encrypt_rule_t *er = prepared;
  if (!er)
    return;
  for (dek_t *d = atomic_load(&er->deks), *next; d; d = next) {
    next = d->next;
    dek_free(d);
  }
  pthread_mutex_destroy(&er->lock);
  free(er->broken);
  free(er);
}

/* Read the rule's parameters as the peers do; a bad one is kept as the
 * rule's per-message failure. */
static void read_params(encrypt_rule_t *er, const kavro_rule_ctx_t *ctx,
                        kavro_error_t *broken) {
  const char *kek = kavro_rule_ctx_param(ctx, KEK_NAME);
  const char *alg = kavro_rule_ctx_param(ctx, DEK_ALGORITHM);
  const char *days = kavro_rule_ctx_param(ctx, DEK_EXPIRY_DAYS);
  er->alg = KV_DEK_AES256_GCM;
  er->kek_name = kek;
  if (ctx->rule->kind != KAVRO_RULE_TRANSFORM) {
    kv_error_set(broken, KAVRO_ERR_RULE, "ENCRYPT rules are transforms, "
                                         "not conditions");
  } else if (!kek) {
    kv_error_set(broken, KAVRO_ERR_RULE, "no kek name found (the rule's "
                                         "parameter " KEK_NAME ")");
  } else if (!*kek) {
    kv_error_set(broken, KAVRO_ERR_RULE, "empty kek name");
  } else if (alg && !kv_dek_alg_parse(alg, &er->alg)) {
    kv_error_set(broken, KAVRO_ERR_RULE,
                 "unsupported dek algorithm \"%.64s\" (AES128_GCM, "
                 "AES256_GCM or AES256_SIV)",
                 alg);
  } else if (days) {
    char *end;
    long long n = strtoll(days, &end, 10);
    if (*days == '\0' || *end != '\0')
      kv_error_set(broken, KAVRO_ERR_RULE, "invalid expiry days \"%.32s\"",
                   days);
    else if (n < 0)
      kv_error_set(broken, KAVRO_ERR_RULE, "negative expiry days");
    else
      er->expiry_days = n > INT_MAX ? INT_MAX : n;
  }
}

static bool check(const kv_ruleset_t *set, const kv_rule_t *r,
                  kavro_error_t *why) {
  encrypt_rule_t er = {0};
  kavro_rule_ctx_t ctx = {.set = set, .rule = r};
  read_params(&er, &ctx, why);
  return why->code == KAVRO_OK;
}

static kavro_err_t prepare(const kv_ruleset_t *set, kv_rule_t *r,
                           kavro_error_t *verdict) {
  encrypt_rule_t *er = calloc(1, sizeof(*er));
  if (!er || pthread_mutex_init(&er->lock, NULL) != 0) {
    free(er);
    return kv_error_set(verdict, KAVRO_ERR_NOMEM, "out of memory");
  }
  atomic_init(&er->deks, NULL);
  kavro_rule_ctx_t ctx = {.set = set, .rule = r};
  kavro_error_t broken;
  kv_error_clear(&broken);
  read_params(er, &ctx, &broken);
  if (broken.code != KAVRO_OK &&
      !(er->broken = malloc(sizeof(*er->broken)))) {
    encrypt_rule_release(er);
    return kv_error_set(verdict, KAVRO_ERR_NOMEM, "out of memory");
  }
  if (er->broken)
    *er->broken = broken;
  r->prepared = er;
  r->release = encrypt_rule_release;
  return KAVRO_OK;
}

/* ---- KMS drivers ------------------------------------------------------------ */

/* The local KMS's secret: the executor's configuration (Java's
 * rule.executors._default_.param.secret), the rule's `secret` parameter
 * (the other clients'), or LOCAL_SECRET from the environment. */
static const char *local_secret(const kavro_rule_ctx_t *ctx) {
  const char *secret = kavro_rule_ctx_config(ctx, "secret");
  if (!secret)
    secret = kavro_rule_ctx_param(ctx, "secret");
  if (!secret)
    secret = getenv("LOCAL_SECRET");
  return secret;
}

/* Run the local KMS's AES128-GCM over @in, either way. */
static kavro_err_t local_kms_run(const kavro_rule_ctx_t *ctx, bool encrypt,
                                 const unsigned char *in, size_t size,
                                 unsigned char **outp, size_t *outsizep,
                                 kavro_error_t *error) {
  const char *secret = local_secret(ctx);
  if (!secret)
    return kv_error_set(error, KAVRO_ERR_CONF_INVALID,
                        "cannot load secret: the local KMS needs "
                        "rule.executors._default_.param.secret, the rule's "
                        "secret parameter or LOCAL_SECRET");
  unsigned char key[16];
  kavro_err_t err = kv_local_kms_key(secret, key, error);
  kv_aead_t *aead = err ? NULL : kv_aead_new(KV_DEK_AES128_GCM, key);
  OPENSSL_cleanse(key, sizeof(key));
  if (!err && !aead)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  size_t over = aead ? kv_aead_overhead(aead) : 0;
  unsigned char *out = err ? NULL : malloc(size + over);
  if (!err && !out)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  if (!err && encrypt) {
    err = kv_aead_encrypt(aead, in, size, out, error);
    *outsizep = size + over;
  } else if (!err) {
    err = kv_aead_decrypt(aead, in, size, out, outsizep, error);
  }
  kv_aead_destroy(aead);
  if (err) {
    free(out);
    return err;
  }
  *outp = out;
  return KAVRO_OK;
}

static kavro_err_t local_kms_encrypt(void *opaque, const kavro_rule_ctx_t *ctx,
                                     const char *key_url,
                                     const unsigned char *key, size_t size,
                                     unsigned char **outp, size_t *outsizep,
                                     kavro_error_t *error) {
  (void)opaque, (void)key_url;
  return local_kms_run(ctx, true, key, size, outp, outsizep, error);
}

static kavro_err_t local_kms_decrypt(void *opaque, const kavro_rule_ctx_t *ctx,
                                     const char *key_url,
                                     const unsigned char *wrapped, size_t size,
                                     unsigned char **outp, size_t *outsizep,
                                     kavro_error_t *error) {
  (void)opaque, (void)key_url;
  return local_kms_run(ctx, false, wrapped, size, outp, outsizep, error);
}

static const kavro_kms_driver_t local_kms = {local_kms_encrypt,
                                             local_kms_decrypt, NULL};

/* The driver for KEKs of @kms_type: a registered one, else the built-in
 * local KMS; NULL when none. */
static const kavro_kms_driver_t *kms_driver(const kv_rules_t *engine,
                                            const char *kms_type) {
  size_t count;
  const kv_conf_plugin_t *plugins = kv_conf_plugins(engine->conf, &count);
  for (size_t i = 0; i < count; i++)
    if (plugins[i].kind == KV_PLUGIN_KMS &&
        strcmp(plugins[i].type, kms_type) == 0)
      return plugins[i].data;
  return strcmp(kms_type, LOCAL_KMS) == 0 ? &local_kms : NULL;
}

/* The KMS key ids to try for @kek, in order: its own, then the alternates
 * of its kmsProps, else of the executor's configuration, separated by
 * commas, blanks around them and empty ones left out, as the peers split
 * them. */
static size_t kms_key_ids(const kavro_rule_ctx_t *ctx, const kavro_kek_t *kek,
                          kv_strbuf_t *ids) {
  const char *alternates = NULL;
  json_t *props = kek->kms_props ? json_loads(kek->kms_props, 0, NULL) : NULL;
  const json_t *v = json_object_get(props, ALTERNATE_KEY_IDS);
  kv_strbuf_puts(ids, kek->kms_key_id);
  size_t count = 1;
  alternates = json_is_string(v) ? json_string_value(v)
                                 : kavro_rule_ctx_config(ctx, ALTERNATE_KEY_IDS);
  for (const char *p = alternates; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    while (n && (*p == ' ' || *p == '\t'))
      p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    if (n) {
      kv_strbuf_putc(ids, '\0');
      kv_strbuf_append(ids, p, n);
      count++;
    }
    p = comma ? comma + 1 : p + n;
  }
  json_decref(props);
  return count;
}

/* Wrap (or unwrap) @in with @kek's KMS key, trying each of its key ids
 * in turn as the peers do. */
static kavro_err_t kms_run(const kavro_rule_ctx_t *ctx, const kavro_kek_t *kek,
                           bool encrypt, const unsigned char *in, size_t size,
                           unsigned char **outp, size_t *outsizep,
                           kavro_error_t *error) {
  const kavro_kms_driver_t *driver = kms_driver(ctx->set->engine,
                                                kek->kms_type);
  if (!driver)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "no KMS driver for kms type \"%.64s\" of kek %.128s "
                        "(kavro_conf_add_kms_driver())",
                        kek->kms_type, kek->name);
  kv_strbuf_t ids = KV_STRBUF_INIT;
  size_t count = kms_key_ids(ctx, kek, &ids);
  kavro_err_t err = kv_strbuf_failed(&ids) ? KAVRO_ERR_NOMEM : KAVRO_OK;
  const char *id = ids.data;
  kavro_error_t last;
  kv_error_clear(&last);
  for (size_t i = 0; !err && i < count; i++, id += strlen(id) + 1) {
    char url[1024];
    snprintf(url, sizeof(url), "%s://%s", kek->kms_type, id);
    err = (encrypt ? driver->encrypt : driver->decrypt)(
        driver->opaque, ctx, url, in, size, outp, outsizep, &last);
    if (err == KAVRO_OK)
      break;
    err = i + 1 < count ? KAVRO_OK : err;
  }
  kv_strbuf_free(&ids);
  if (err == KAVRO_ERR_NOMEM)
    return kv_error_set(error, err, "out of memory");
  if (err)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "failed to %s key with all KMS keys of kek %.128s: "
                        "%s",
                        encrypt ? "encrypt" : "decrypt", kek->name,
                        last.text);
  return KAVRO_OK;
}

/* ---- KEKs and DEKs ------------------------------------------------------------ */

/* The registry answers 40470 for a KEK or a DEK it does not have. */
static bool not_found(kavro_err_t err) {
  return err == KAVRO_ERR_KEK_NOT_FOUND;
}

/* Its answer to a second registration of a KEK or of a DEK version:
 * another producer was first. */
static bool exists(kavro_err_t err) { return err == KAVRO_ERR_KEY_EXISTS; }

/* The rule's KEK: from the registry, registered first by a producer that
 * has its KMS type and key id; it must match them when the rule names
 * them. */
static kavro_err_t get_kek(const encrypt_rule_t *er, const kavro_rule_ctx_t *ctx,
                           bool reading, kavro_kek_t **kekp,
                           kavro_error_t *error) {
  kavro_registry_t *registry = ctx->set->engine->registry;
  const char *type = kavro_rule_ctx_param(ctx, KMS_TYPE);
  const char *key_id = kavro_rule_ctx_param(ctx, KMS_KEY_ID);
  kavro_err_t err =
      kavro_registry_get_kek(registry, er->kek_name, false, kekp, error);
  if (not_found(err) && reading)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "no kek found for %.128s during consume",
                        er->kek_name);
  if (not_found(err)) {
    if (!type || !*type || !key_id || !*key_id)
      return kv_error_set(error, KAVRO_ERR_RULE,
                          "no kms %s found for %.128s during produce",
                          !type || !*type ? "type" : "key id", er->kek_name);
    kavro_kek_t want = {.name = (char *)er->kek_name,
                        .kms_type = (char *)type,
                        .kms_key_id = (char *)key_id};
    err = kavro_registry_register_kek(registry, &want, kekp, error);
    if (exists(err))
      err = kavro_registry_get_kek(registry, er->kek_name, false, kekp, error);
  }
  if (err)
    return err;
  const kavro_kek_t *kek = *kekp;
  if ((type && *type && strcmp(type, kek->kms_type) != 0) ||
      (key_id && *key_id && strcmp(key_id, kek->kms_key_id) != 0)) {
    err = kv_error_set(error, KAVRO_ERR_RULE,
                       "found %.128s with kms %s %.256s which differs from "
                       "the rule's %.256s",
                       kek->name,
                       type && strcmp(type, kek->kms_type) != 0 ? "type"
                                                                : "key id",
                       type && strcmp(type, kek->kms_type) != 0
                           ? kek->kms_type
                           : kek->kms_key_id,
                       type && strcmp(type, kek->kms_type) != 0 ? type
                                                                : key_id);
    kavro_kek_destroy(*kekp);
    *kekp = NULL;
  }
  return err;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t (*kv_encrypt_clock)(void) = now_ms;

static bool expired(const encrypt_rule_t *er, const kavro_dek_t *dek) {
  return er->expiry_days > 0 &&
         kv_encrypt_clock() - dek->ts >= er->expiry_days * MILLIS_PER_DAY;
}

/* A new key for the rule's algorithm, as the Tink key proto wrapped by
 * @kek's KMS, in base64 (malloc'd) for the registry. */
static kavro_err_t new_wrapped_key(const encrypt_rule_t *er,
                                   const kavro_rule_ctx_t *ctx,
                                   const kavro_kek_t *kek, char **b64p,
                                   kavro_error_t *error) {
  unsigned char raw[64], proto[KV_TINK_KEY_MAX], *wrapped = NULL;
  size_t n = 0, wrapped_size = 0;
  kavro_err_t err = kv_random_bytes(raw, kv_dek_key_size(er->alg), error);
  if (!err) {
    n = kv_tink_key_encode(er->alg, raw, proto);
    err = kms_run(ctx, kek, true, proto, n, &wrapped, &wrapped_size, error);
  }
  OPENSSL_cleanse(raw, sizeof(raw));
  OPENSSL_cleanse(proto, sizeof(proto));
  if (err)
    return err;
  *b64p = kv_base64(wrapped, wrapped_size);
  free(wrapped);
  return *b64p ? KAVRO_OK
               : kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

/* The DEK a producer writes with: the subject's version 1, or its latest
 * when DEKs rotate; a new one (the next version of an expired one) made
 * and registered when there is none to use. */
static kavro_err_t writer_dek(const encrypt_rule_t *er,
                              const kavro_rule_ctx_t *ctx,
                              const kavro_kek_t *kek, const char *subject,
                              kavro_dek_t **dekp, kavro_error_t *error) {
  kavro_registry_t *registry = ctx->set->engine->registry;
  const char *alg = kv_dek_alg_name(er->alg);
  int want = er->expiry_days > 0 ? KAVRO_DEK_LATEST : 1;
  kavro_err_t err = kavro_registry_get_dek(registry, er->kek_name, subject,
                                           want, alg, false, dekp, error);
  if (err && !not_found(err))
    return err;
  if (!err && !(*dekp)->encrypted_key_material && !(*dekp)->key_material) {
    kavro_dek_destroy(*dekp); /* as the peers: no key, no DEK */
    *dekp = NULL;
  }
  kavro_dek_t *old = err ? NULL : *dekp;
  if (old && !expired(er, old))
    return KAVRO_OK;
  char *wrapped = NULL;
  if (!kek->shared && (err = new_wrapped_key(er, ctx, kek, &wrapped, error)))
    goto out;
  kavro_dek_t *made = NULL;
  err = kavro_registry_register_dek(registry, er->kek_name, subject,
                                    old ? old->version + 1 : 1, alg, wrapped,
                                    &made, error);
  if (exists(err))
    err = kavro_registry_get_dek(registry, er->kek_name, subject, want, alg,
                                 false, &made, error);
  if (err && old) /* keep writing with the expired one, as the peers do */
    err = KAVRO_OK;
  else if (!err) {
    kavro_dek_destroy(old);
    *dekp = made;
  }
out:
  free(wrapped);
  if (err)
    kavro_dek_destroy(old);
  return err;
}

/* The raw key of @dek: its key material (a shared KEK's), or what the KMS
 * unwraps of its encrypted key material. */
static kavro_err_t dek_key(const encrypt_rule_t *er, const kavro_rule_ctx_t *ctx,
                           const kavro_kek_t *kek, const kavro_dek_t *dek,
                           unsigned char *key, kavro_error_t *error) {
  const char *b64 = dek->key_material ? dek->key_material
                                      : dek->encrypted_key_material;
  size_t len = b64 ? strlen(b64) : 0, size;
  unsigned char *bytes = b64 ? malloc(len / 4 * 3 + 1) : NULL;
  if (!b64)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "dek version %d of %.128s under %.128s has no key "
                        "material",
                        dek->version, dek->subject, dek->kek_name);
  if (!bytes)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kavro_err_t err = KAVRO_OK;
  unsigned char *proto = bytes, *unwrapped = NULL;
  if (!kv_base64_decode(b64, len, bytes, &size))
    err = kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                       "the key material of dek version %d of %.128s is no "
                       "base64",
                       dek->version, dek->subject);
  else if (!dek->key_material &&
           !(err = kms_run(ctx, kek, false, bytes, size, &unwrapped, &size,
                           error)))
    proto = unwrapped;
  if (!err)
    err = kv_tink_key_decode(er->alg, proto, size, key, error);
  OPENSSL_cleanse(bytes, len / 4 * 3 + 1);
  free(bytes);
  if (unwrapped) {
    OPENSSL_cleanse(unwrapped, size);
    free(unwrapped);
  }
  return err;
}

/* ---- the keys a rule keeps ------------------------------------------------------ */

/* A published key for @subject: a producer's current one (@version 0),
 * or @version for a consumer. */
static const dek_t *find_dek(const encrypt_rule_t *er, const char *subject,
                             int version, int64_t now) {
  for (const dek_t *d = atomic_load_explicit(&er->deks, memory_order_acquire);
       d; d = d->next) {
    if (strcmp(d->subject, subject) != 0)
      continue;
    if (version == 0 && d->for_write)
      return d->expires_ms > now ? d : NULL;
    if (version != 0 && d->version == version && !d->for_write)
      return d;
  }
  return NULL;
}

/* Ask the registry (and the KMS) for the key find_dek() did not have, and
 * publish it. */
static kavro_err_t load_dek(encrypt_rule_t *er, const kavro_rule_ctx_t *ctx,
                            const char *subject, int version,
                            kavro_error_t *error) {
  bool reading = version != 0;
  kavro_kek_t *kek = NULL;
  kavro_dek_t *dek = NULL;
  unsigned char key[64];
  kavro_err_t err = get_kek(er, ctx, reading, &kek, error);
  if (!err && reading) {
    err = kavro_registry_get_dek(ctx->set->engine->registry, er->kek_name,
                                 subject, version, kv_dek_alg_name(er->alg),
                                 true, &dek, error);
    if (not_found(err))
      err = kv_error_set(error, KAVRO_ERR_RULE,
                         "no dek found for %.128s (subject %.128s, version "
                         "%d) during consume",
                         er->kek_name, subject, version);
  } else if (!err) {
    err = writer_dek(er, ctx, kek, subject, &dek, error);
  }
  if (!err)
    err = dek_key(er, ctx, kek, dek, key, error);
  dek_t *d = err ? NULL : calloc(1, sizeof(*d));
  if (d) {
    d->subject = strdup(subject);
    d->version = dek->version;
    d->for_write = !reading;
    d->expires_ms = INT64_MAX;
    if (er->expiry_days > 0 && !reading) {
      /* Aged by the registry's time stamp; one made just now that this
       * clock already calls old (clocks disagree) serves its days from
       * now, rather than a new version per message. */
      int64_t span = er->expiry_days * MILLIS_PER_DAY;
      int64_t now = kv_encrypt_clock();
      d->expires_ms = dek->ts + span > now ? dek->ts + span : now + span;
    }
    d->aead = kv_aead_new(er->alg, key);
    d->next = atomic_load_explicit(&er->deks, memory_order_relaxed);
  }
  OPENSSL_cleanse(key, sizeof(key));
  kavro_kek_destroy(kek);
  kavro_dek_destroy(dek);
  if (err)
    return err;
  if (!d || !d->subject || !d->aead) {
    if (d)
      dek_free(d);
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  }
  atomic_store_explicit(&er->deks, d, memory_order_release);
  return KAVRO_OK;
}

/* The key for @subject and @version (0: a producer's current one). */
static kavro_err_t key_for(encrypt_rule_t *er, const kavro_rule_ctx_t *ctx,
                           const char *subject, int version,
                           const dek_t **dp, kavro_error_t *error) {
  int64_t now = version == 0 && er->expiry_days > 0 ? kv_encrypt_clock() : 0;
  if ((*dp = find_dek(er, subject, version, now)))
    return KAVRO_OK;
  if (!ctx->set->engine->registry)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "no registry to keep the keys of kek %.128s",
                        er->kek_name);
  pthread_mutex_lock(&er->lock);
  kavro_err_t err = KAVRO_OK;
  if (!(*dp = find_dek(er, subject, version, now)) &&
      (err = load_dek(er, ctx, subject, version, error)) == KAVRO_OK)
    *dp = find_dek(er, subject, version, now);
  pthread_mutex_unlock(&er->lock);
  return err;
}

/* ---- a field -------------------------------------------------------------------- */

/* A buffer on the stack, or on the heap when @size needs it. */
static unsigned char *buffer(unsigned char *stack, size_t size) {
  return size <= STACK_BUFFER ? stack : malloc(size);
}

static void buffer_free(unsigned char *b, const unsigned char *stack,
                        size_t size) {
  OPENSSL_cleanse(b, size);
  if (b != stack)
    free(b);
}

/* The bytes of @value: a string's (without its NUL) or bytes'. */
static kavro_err_t get_value(const avro_value_t *value, bool string,
                             const void **data, size_t *n,
                             kavro_error_t *error) {
  if (string ? avro_value_get_string(value, (const char **)data, n)
             : avro_value_get_bytes(value, data, n))
    return kv_error_set(error, KAVRO_ERR_AVRO_C, "%s", avro_strerror());
  *n -= string; /* avro-c counts a string's NUL */
  return KAVRO_OK;
}

/* Store @n bytes of @data in @value: a string (of those bytes) or bytes. */
static kavro_err_t set_value(avro_value_t *value, bool string,
                             const unsigned char *data, size_t n,
                             kavro_error_t *error) {
  int rc = string ? avro_value_set_string_len(value, (const char *)data, n + 1)
                  : avro_value_set_bytes(value, (void *)data, n);
  return rc ? kv_error_set(error, KAVRO_ERR_AVRO_C, "%s", avro_strerror())
            : KAVRO_OK;
}

/* The version a rotated ciphertext names in its prefix. */
static kavro_err_t read_version(const unsigned char *ct, size_t size,
                                int *version, kavro_error_t *error) {
  if (size < VERSION_PREFIX || ct[0] != 0)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "no version found in ciphertext (it does not start "
                        "with 0x00 and a 4-byte dek version)");
  uint32_t v = (uint32_t)ct[1] << 24 | (uint32_t)ct[2] << 16 |
               (uint32_t)ct[3] << 8 | ct[4];
  if (v == 0 || v > INT_MAX)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "dek version %u in the ciphertext is out of range", v);
  *version = (int)v;
  return KAVRO_OK;
}

/* The bytes the ciphertext of @n bytes under @d takes (with the version
 * prefix when DEKs rotate). */
static size_t sealed_size(const encrypt_rule_t *er, const dek_t *d,
                          size_t n) {
  return (er->expiry_days > 0 ? VERSION_PREFIX : 0) + n +
         kv_aead_overhead(d->aead);
}

/* The producer's key, and the bytes its ciphertext of @n bytes takes. */
static kavro_err_t seal_key(encrypt_rule_t *er, const kavro_rule_ctx_t *ctx,
                            size_t n, const dek_t **dp, size_t *sizep,
                            kavro_error_t *error) {
  kavro_err_t err =
      key_for(er, ctx, kavro_rule_ctx_subject(ctx), 0, dp, error);
  if (!err)
    *sizep = sealed_size(er, *dp, n);
  return err;
}

/* Encrypt @n bytes of @plain with @d into @ct (seal_key()'s size), as the
 * peers write a ciphertext. */
static kavro_err_t seal(const encrypt_rule_t *er, const dek_t *d,
                        const void *plain, size_t n, unsigned char *ct,
                        kavro_error_t *error) {
  size_t prefix = 0;
  if (er->expiry_days > 0) {
    ct[prefix++] = 0;
    for (int i = 0; i < 4; i++)
      ct[prefix++] = (unsigned char)((uint32_t)d->version >> (24 - 8 * i));
  }
  return kv_aead_encrypt(d->aead, plain, n, ct + prefix, error);
}

/* Decrypt the @n bytes of @ct into @plain (room for @n bytes), *@mp of
 * them: the DEK version its prefix names, else version 1. */
static kavro_err_t unseal(encrypt_rule_t *er, const kavro_rule_ctx_t *ctx,
                          const unsigned char *ct, size_t n,
                          unsigned char *plain, size_t *mp,
                          kavro_error_t *error) {
  int version = 1;
  size_t prefix = er->expiry_days > 0 ? VERSION_PREFIX : 0;
  const dek_t *d = NULL;
  kavro_err_t err = prefix ? read_version(ct, n, &version, error) : KAVRO_OK;
  if (!err)
    err = key_for(er, ctx, kavro_rule_ctx_subject(ctx), version, &d, error);
  if (!err)
    err = kv_aead_decrypt(d->aead, ct + prefix, n - prefix, plain, mp, error);
  return err;
}

static kavro_err_t encrypt_value(encrypt_rule_t *er,
                                 const kavro_rule_ctx_t *ctx, bool string,
                                 avro_value_t *value, kavro_error_t *error) {
  const void *plain;
  size_t n, size = 0;
  const dek_t *d;
  kavro_err_t err = get_value(value, string, &plain, &n, error);
  if (!err)
    err = seal_key(er, ctx, n, &d, &size, error);
  if (err)
    return err;
  size_t text_size = string ? kv_base64_size(size) + 1 : 0;
  unsigned char stack[STACK_BUFFER], text_stack[STACK_BUFFER];
  unsigned char *ct = buffer(stack, size);
  unsigned char *text = string ? buffer(text_stack, text_size) : NULL;
  if (!ct || (string && !text))
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  if (!err)
    err = seal(er, d, plain, n, ct, error);
  if (!err && string)
    err = set_value(value, true, text,
                    kv_base64_encode(ct, size, (char *)text), error);
  else if (!err)
    err = set_value(value, false, ct, size, error);
  if (ct)
    buffer_free(ct, stack, size);
  if (text)
    buffer_free(text, text_stack, text_size);
  return err;
}

static kavro_err_t decrypt_value(encrypt_rule_t *er,
                                 const kavro_rule_ctx_t *ctx, bool string,
                                 avro_value_t *value, kavro_error_t *error) {
  const void *stored;
  size_t n;
  kavro_err_t err = get_value(value, string, &stored, &n, error);
  if (err)
    return err;
  unsigned char stack[STACK_BUFFER], plain_stack[STACK_BUFFER];
  size_t ct_size = string ? n / 4 * 3 + 1 : 0;
  unsigned char *ct = string ? buffer(stack, ct_size) : (unsigned char *)stored;
  if (!ct)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  if (!err && string && !kv_base64_decode(stored, n, ct, &n))
    err = kv_error_set(error, KAVRO_ERR_RULE,
                       "the field's value is no base64 ciphertext");
  size_t plain_size = n + 1; /* room for a string's NUL */
  unsigned char *plain = err ? NULL : buffer(plain_stack, plain_size);
  if (!err && !plain)
    err = kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  size_t m = 0;
  if (!err)
    err = unseal(er, ctx, ct, n, plain, &m, error);
  if (!err) {
    plain[m] = '\0'; /* a string's, which set_value() counts */
    err = set_value(value, string, plain, m, error);
  }
  if (string && ct)
    buffer_free(ct, stack, ct_size);
  if (plain)
    buffer_free(plain, plain_stack, plain_size);
  return err;
}

static kavro_err_t encrypt_field(void *opaque, const kavro_rule_ctx_t *ctx,
                                 const kavro_rule_field_t *field,
                                 avro_value_t *value, bool *passed,
                                 kavro_error_t *error) {
  (void)opaque, (void)passed;
  encrypt_rule_t *er = ctx->rule->prepared;
  if (er->broken) {
    if (error)
      *error = *er->broken;
    return er->broken->code;
  }
  bool string = strcmp(field->type_name, "STRING") == 0;
  bool bytes = strcmp(field->type_name, "BYTES") == 0;
  kavro_rule_mode_t mode = kavro_rule_ctx_mode(ctx);
  if (strcmp(field->type_name, "NULL") == 0)
    return KAVRO_OK;
  if (mode == KAVRO_RULE_WRITE && !string && !bytes)
    return kv_error_set(error, KAVRO_ERR_RULE,
                        "type %s not supported for encryption (field %.200s)",
                        field->type_name, field->full_name);
  if (mode == KAVRO_RULE_WRITE)
    return encrypt_value(er, ctx, string, value, error);
  if (mode == KAVRO_RULE_READ)
    return string || bytes ? decrypt_value(er, ctx, string, value, error)
                           : KAVRO_OK;
  return kv_error_set(error, KAVRO_ERR_RULE, "unsupported rule mode %s",
                      kavro_rule_mode_name(mode));
}

/* ---- the one-pass rewrite (rules_model_int.h) ------------------------------ */

bool kv_encrypt_rewritable(const kv_rule_t *r) {
  const encrypt_rule_t *er = r->prepared;
  return kv_builtin_of(r->executor) == &kv_encrypt_builtin && er &&
         !er->broken;
}

const void *kv_encrypt_warm_key(const kavro_rule_ctx_t *ctx) {
  const encrypt_rule_t *er = ctx->rule->prepared;
  int64_t now = er->expiry_days > 0 ? kv_encrypt_clock() : 0;
  return find_dek(er, kavro_rule_ctx_subject(ctx), 0, now);
}

kavro_err_t kv_encrypt_seal_into(const kavro_rule_ctx_t *ctx, const void *key,
                                 bool string, const unsigned char *plain,
                                 size_t n, kavro_buf_t *out,
                                 kavro_error_t *error) {
  const encrypt_rule_t *er = ctx->rule->prepared;
  const dek_t *d = key;
  size_t size = sealed_size(er, d, n);
  size_t text_size = string ? kv_base64_size(size) : size;
  /* The length, then the value: bytes sealed in place, a string's
   * ciphertext on the stack first, to be written as its base64. */
  kavro_err_t err = kv_buf_reserve(out, KAVRO_MAX_VARINT + text_size + 1);
  if (err)
    return kv_error_set(error, err, "the field does not fit the buffer");
  kv_put_long(out, (int64_t)text_size);
  unsigned char *at = out->data + out->length;
  if (!string) {
    if (!(err = seal(er, d, plain, n, at, error)))
      out->length += size;
    return err;
  }
  unsigned char stack[STACK_BUFFER];
  unsigned char *ct = buffer(stack, size);
  if (!ct)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  if (!(err = seal(er, d, plain, n, ct, error)))
    out->length += kv_base64_encode(ct, size, (char *)at);
  buffer_free(ct, stack, size);
  return err;
}

/* ENCRYPT_PAYLOAD: the whole payload, as bytes. */
static kavro_err_t encrypt_payload(const kavro_rule_ctx_t *ctx,
                                   const unsigned char *in, size_t size,
                                   kavro_buf_t *out, kavro_error_t *error) {
  encrypt_rule_t *er = ctx->rule->prepared;
  if (er->broken) {
    if (error)
      *error = *er->broken;
    return er->broken->code;
  }
  kavro_buf_reset(out);
  kavro_rule_mode_t mode = kavro_rule_ctx_mode(ctx);
  const dek_t *d;
  size_t n;
  kavro_err_t err;
  if (mode == KAVRO_RULE_WRITE) {
    if ((err = seal_key(er, ctx, size, &d, &n, error)) ||
        (err = kv_buf_reserve(out, n)) ||
        (err = seal(er, d, in, size, out->data, error)))
      return err == KAVRO_ERR_NOMEM
                 ? kv_error_set(error, err, "out of memory")
                 : err;
  } else if (mode == KAVRO_RULE_READ) {
    if ((err = kv_buf_reserve(out, size)))
      return kv_error_set(error, err, "out of memory");
    if ((err = unseal(er, ctx, in, size, out->data, &n, error)))
      return err;
  } else {
    return kv_error_set(error, KAVRO_ERR_RULE, "unsupported rule mode %s",
                        kavro_rule_mode_name(mode));
  }
  out->length = n;
  return KAVRO_OK;
}

const kv_builtin_t kv_encrypt_payload_builtin = {
    {KV_PLUGIN_EXECUTOR, "ENCRYPT_PAYLOAD", NULL,
     (void *)&kv_encrypt_payload_builtin.executor,
     sizeof(kavro_rule_executor_t)},
    {NULL, NULL, NULL, NULL},
    prepare,
    NULL,
    0,
    check,
    encrypt_payload};

const kv_builtin_t kv_encrypt_builtin = {
    {KV_PLUGIN_EXECUTOR, "ENCRYPT", NULL,
     (void *)&kv_encrypt_builtin.executor, sizeof(kavro_rule_executor_t)},
    {NULL, encrypt_field, NULL, NULL},
    prepare,
    NULL,
    0,
    check,
    NULL};
