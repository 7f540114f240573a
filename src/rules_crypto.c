/*
 * kavro - the cryptography of field-level encryption (rules_crypto_int.h),
 * every primitive OpenSSL's.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common_error_int.h"
#include "rules_crypto_int.h"

#define GCM_IV_SIZE 12
#define GCM_TAG_SIZE 16
#define SIV_SIZE 16

static const struct {
  const char *name;
  size_t key_size;
  const char *cipher; /* OpenSSL's name */
} algorithms[] = {
    [KV_DEK_AES128_GCM] = {"AES128_GCM", 16, "AES-128-GCM"},
    [KV_DEK_AES256_GCM] = {"AES256_GCM", 32, "AES-256-GCM"},
    [KV_DEK_AES256_SIV] = {"AES256_SIV", 64, "AES-256-SIV"},
};

bool kv_dek_alg_parse(const char *name, kv_dek_alg_t *alg) {
  for (size_t i = 0; i < sizeof(algorithms) / sizeof(*algorithms); i++)
    if (name && strcmp(name, algorithms[i].name) == 0) {
      *alg = (kv_dek_alg_t)i;
      return true;
    }
  return false;
}

const char *kv_dek_alg_name(kv_dek_alg_t alg) { return algorithms[alg].name; }

size_t kv_dek_key_size(kv_dek_alg_t alg) { return algorithms[alg].key_size; }

/* ---- Tink key protos ---------------------------------------------------- */

/* The field number of key_value: AesGcmKey has it as 3, AesSivKey as 2
 * (both have version as 1, left out when 0, as proto3 writes it). */
static unsigned key_field(kv_dek_alg_t alg) {
  return alg == KV_DEK_AES256_SIV ? 2 : 3;
}

size_t kv_tink_key_encode(kv_dek_alg_t alg, const unsigned char *key,
                          unsigned char *out) {
  size_t n = kv_dek_key_size(alg);
  out[0] = (unsigned char)(key_field(alg) << 3 | 2); /* length-delimited */
  out[1] = (unsigned char)n;
  memcpy(out + 2, key, n);
  return n + 2;
}

/* A protobuf varint at *@at; false when it runs past @end or 64 bits. */
static bool read_varint(const unsigned char **at, const unsigned char *end,
                        uint64_t *value) {
  *value = 0;
  for (unsigned shift = 0; shift < 64 && *at < end; shift += 7) {
    unsigned char b = *(*at)++;
    *value |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return true;
  }
  return false;
}

/* Move past a field of wire type @wire; false when it is malformed. */
static bool skip_field(unsigned wire, const unsigned char **at,
                       const unsigned char *end) {
  uint64_t n;
  switch (wire) {
  case 0:
    return read_varint(at, end, &n);
  case 1:
    n = 8;
    break;
  case 2:
    if (!read_varint(at, end, &n))
      return false;
    break;
  case 5:
    n = 4;
    break;
  default:
    return false;
  }
  if (n > (uint64_t)(end - *at))
    return false;
  *at += n;
  return true;
}

kavro_err_t kv_tink_key_decode(kv_dek_alg_t alg, const unsigned char *proto,
                               size_t size, unsigned char *key,
                               kavro_error_t *error) {
  const unsigned char *at = proto, *end = proto + size;
  size_t want = kv_dek_key_size(alg);
  bool found = false;
  while (at < end) {
    uint64_t tag, length;
    if (!read_varint(&at, end, &tag))
      break;
    unsigned field = (unsigned)(tag >> 3), wire = (unsigned)(tag & 7);
    if (field != key_field(alg) || wire != 2) {
      if (!skip_field(wire, &at, end))
        break;
      continue;
    }
    if (!read_varint(&at, end, &length) || length > (uint64_t)(end - at))
      break;
    if (length != want)
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "the %s key holds %llu bytes of key, not %zu",
                          kv_dek_alg_name(alg), (unsigned long long)length,
                          want);
    memcpy(key, at, want); /* the last one wins, as protobuf reads */
    at += length;
    found = true;
  }
  if (at != end || !found)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the key material is no serialized Tink %s key",
                        alg == KV_DEK_AES256_SIV ? "AesSivKey" : "AesGcmKey");
  return KAVRO_OK;
}

/* ---- AEADs ---------------------------------------------------------------- */

static kavro_err_t random_iv(unsigned char *iv, kavro_error_t *error);

struct kv_aead_s {
  kv_dek_alg_t alg;
  EVP_CIPHER *cipher; /* fetched once: fetching per call costs a lock */
  /* A GCM context whose key is set, idle between calls: setting the key
   * (its schedule, GHASH's table) costs more than the encryption of a
   * field.  Taken and given back with atomic exchanges. */
  _Atomic(EVP_CIPHER_CTX *) idle;
  unsigned char key[64];
};

kv_aead_t *kv_aead_new(kv_dek_alg_t alg, const unsigned char *key) {
  kv_aead_t *aead = OPENSSL_secure_zalloc(sizeof(*aead));
  if (!aead)
    aead = OPENSSL_zalloc(sizeof(*aead));
  if (!aead)
    return NULL;
  aead->alg = alg;
  aead->cipher = EVP_CIPHER_fetch(NULL, algorithms[alg].cipher, NULL);
  if (!aead->cipher) {
    kv_aead_destroy(aead);
    return NULL;
  }
  memcpy(aead->key, key, kv_dek_key_size(alg));
  return aead;
}

void kv_aead_destroy(kv_aead_t *aead) {
  if (!aead)
    return;
  EVP_CIPHER_CTX_free(atomic_load(&aead->idle)); /* cleanses its key */
  EVP_CIPHER_free(aead->cipher);
  OPENSSL_cleanse(aead, sizeof(*aead));
  if (CRYPTO_secure_allocated(aead))
    OPENSSL_secure_free(aead);
  else
    OPENSSL_free(aead);
}

size_t kv_aead_overhead(const kv_aead_t *aead) {
  return aead->alg == KV_DEK_AES256_SIV ? SIV_SIZE : GCM_IV_SIZE + GCM_TAG_SIZE;
}

static kavro_err_t crypto_failed(kavro_error_t *error, const char *what) {
  unsigned long code = ERR_get_error();
  char reason[160] = "no reason given";
  if (code)
    ERR_error_string_n(code, reason, sizeof(reason));
  ERR_clear_error();
  return kv_error_set(error, KAVRO_ERR_UNSUPPORTED, "%s failed: %s", what,
                      reason);
}

/* ---- AES-SIV of an empty plaintext ----------------------------------------
 * OpenSSL's SIV cipher skips an update of no bytes and then has no tag to
 * give, yet an empty string is an everyday field value.  Its SIV is the
 * whole ciphertext: RFC 5297's S2V over the empty associated-data block
 * and the empty plaintext, with OpenSSL's AES-CMAC under the key's first
 * half:
 *   D = dbl(CMAC(0^128)) ^ CMAC("")      (the associated-data block)
 *   V = CMAC(dbl(D) ^ 10^127)             (the plaintext, padded)
 * Only the doubling in GF(2^128) is written here. */

static void dbl(unsigned char block[16]) {
  unsigned char carry = block[0] & 0x80 ? 0x87 : 0;
  for (int i = 0; i < 15; i++)
    block[i] = (unsigned char)(block[i] << 1 | block[i + 1] >> 7);
  block[15] = (unsigned char)(block[15] << 1 ^ carry);
}

static bool cmac(EVP_MAC_CTX *ctx, const unsigned char *in, size_t size,
                 unsigned char out[16]) {
  size_t n;
  return EVP_MAC_init(ctx, NULL, 0, NULL) == 1 &&
         EVP_MAC_update(ctx, in, size) == 1 &&
         EVP_MAC_final(ctx, out, &n, 16) == 1 && n == 16;
}

static bool siv_of_empty(const kv_aead_t *aead, unsigned char v[16]) {
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
  EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  EVP_MAC_free(mac);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                             OSSL_MAC_PARAM_CIPHER, "AES-256-CBC", 0),
                         OSSL_PARAM_construct_end()};
  static const unsigned char zero[16];
  unsigned char d[16], t[16];
  bool ok = ctx && EVP_MAC_CTX_set_params(ctx, params) == 1 &&
            EVP_MAC_init(ctx, aead->key, 32, NULL) == 1 &&
            cmac(ctx, zero, 16, d) && cmac(ctx, zero, 0, t);
  if (ok) {
    dbl(d);
    for (int i = 0; i < 16; i++)
      d[i] ^= t[i];
    dbl(d);
    d[0] ^= 0x80;
    ok = cmac(ctx, d, 16, v);
  }
  EVP_MAC_CTX_free(ctx);
  OPENSSL_cleanse(d, sizeof(d));
  OPENSSL_cleanse(t, sizeof(t));
  return ok;
}

/* A context of @aead for @iv and a direction: the idle GCM one with only
 * its IV set, else a new one keyed.  (AES-SIV keeps its S2V state from
 * the key on: a context serves one message.) */
static EVP_CIPHER_CTX *cipher_ctx(kv_aead_t *aead, bool encrypt,
                                  const unsigned char *iv) {
  bool siv = aead->alg == KV_DEK_AES256_SIV;
  EVP_CIPHER_CTX *ctx = siv ? NULL : atomic_exchange(&aead->idle, NULL);
  if (ctx && EVP_CipherInit_ex2(ctx, NULL, NULL, iv, encrypt, NULL) == 1)
    return ctx;
  EVP_CIPHER_CTX_free(ctx);
  ctx = EVP_CIPHER_CTX_new();
  if (ctx &&
      EVP_CipherInit_ex2(ctx, aead->cipher, aead->key, iv, encrypt, NULL) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

/* Give @ctx back to @aead when it may serve again, else free it. */
static void cipher_ctx_done(kv_aead_t *aead, EVP_CIPHER_CTX *ctx, bool ok) {
  if (ok && aead->alg != KV_DEK_AES256_SIV)
    ctx = atomic_exchange(&aead->idle, ctx);
  EVP_CIPHER_CTX_free(ctx);
}

/* Set (before a decryption) or get (after an encryption) the @size bytes
 * of the tag at @tag: through the parameter itself, not
 * EVP_CIPHER_CTX_ctrl(), which builds the same parameter per call and
 * costs as much again as the rest of a short field's tag. */
static bool cipher_tag(EVP_CIPHER_CTX *ctx, bool encrypt, unsigned char *tag,
                       size_t size) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, size),
      OSSL_PARAM_construct_end()};
  return (encrypt ? EVP_CIPHER_CTX_get_params(ctx, params)
                  : EVP_CIPHER_CTX_set_params(ctx, params)) == 1;
}

/* One pass of @aead over @in into @out: the IV (GCM, may be NULL for
 * SIV), and the tag set before a decryption or read after an encryption.
 * Exactly one associated-data block, empty, goes in first, as Tink's
 * callers give it.  AES-SIV's @in is never empty (siv_of_empty()). */
static int run_cipher(const kv_aead_t *aead, bool encrypt,
                      const unsigned char *iv, const unsigned char *in,
                      size_t size, unsigned char *out, unsigned char *tag) {
  /* The context is the AEAD's mutable part; its key is not. */
  kv_aead_t *mutable_aead = (kv_aead_t *)aead;
  EVP_CIPHER_CTX *ctx = cipher_ctx(mutable_aead, encrypt, iv);
  static const unsigned char empty[1];
  int n, ok = ctx != NULL;
  bool siv = aead->alg == KV_DEK_AES256_SIV;
  size_t tag_size = siv ? SIV_SIZE : GCM_TAG_SIZE;
  if (ok && !encrypt)
    ok = cipher_tag(ctx, false, tag, tag_size);
  if (ok && siv)
    ok = EVP_CipherUpdate(ctx, NULL, &n, empty, 0) == 1;
  if (ok && size > 0)
    ok = EVP_CipherUpdate(ctx, out, &n, in, (int)size) == 1;
  if (ok)
    ok = EVP_CipherFinal_ex(ctx, out + size, &n) == 1;
  if (ok && encrypt)
    ok = cipher_tag(ctx, true, tag, tag_size);
  if (ctx)
    cipher_ctx_done(mutable_aead, ctx, ok);
  return ok;
}

kavro_err_t kv_aead_encrypt(const kv_aead_t *aead,
                            const unsigned char *plaintext, size_t size,
                            unsigned char *out, kavro_error_t *error) {
  if (size > INT32_MAX - 64)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "%zu bytes are too many to encrypt as one field",
                        size);
  if (aead->alg == KV_DEK_AES256_SIV)
    return (size ? run_cipher(aead, true, NULL, plaintext, size,
                              out + SIV_SIZE, out)
                 : siv_of_empty(aead, out))
               ? KAVRO_OK
               : crypto_failed(error, "AES-SIV encryption");
  kavro_err_t err = random_iv(out, error);
  if (err)
    return err;
  return run_cipher(aead, true, out, plaintext, size, out + GCM_IV_SIZE,
                    out + GCM_IV_SIZE + size)
             ? KAVRO_OK
             : crypto_failed(error, "AES-GCM encryption");
}

kavro_err_t kv_aead_decrypt(const kv_aead_t *aead,
                            const unsigned char *ciphertext, size_t size,
                            unsigned char *out, size_t *outsizep,
                            kavro_error_t *error) {
  size_t overhead = kv_aead_overhead(aead);
  if (size < overhead)
    return kv_error_set(error, KAVRO_ERR_DECODE,
                        "%zu bytes of ciphertext are fewer than the %zu "
                        "%s adds",
                        size, overhead, kv_dek_alg_name(aead->alg));
  if (size > INT32_MAX)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "%zu bytes are too many to decrypt as one field",
                        size);
  size_t n = size - overhead;
  bool siv = aead->alg == KV_DEK_AES256_SIV;
  /* The tag is read from a copy: OpenSSL may write its own over it. */
  unsigned char tag[SIV_SIZE];
  memcpy(tag, siv ? ciphertext : ciphertext + size - GCM_TAG_SIZE,
         sizeof(tag));
  bool ok;
  if (siv && n == 0) {
    unsigned char v[SIV_SIZE];
    ok = siv_of_empty(aead, v) && CRYPTO_memcmp(v, tag, SIV_SIZE) == 0;
  } else if (siv) {
    ok = run_cipher(aead, false, NULL, ciphertext + SIV_SIZE, n, out, tag);
  } else {
    ok = run_cipher(aead, false, ciphertext, ciphertext + GCM_IV_SIZE, n, out,
                    tag);
  }
  ERR_clear_error();
  if (!ok) {
    OPENSSL_cleanse(out, n);
    return kv_error_set(error, KAVRO_ERR_DECODE,
                        "the %s ciphertext does not authenticate under its "
                        "key (a wrong key, or altered bytes)",
                        kv_dek_alg_name(aead->alg));
  }
  *outsizep = n;
  return KAVRO_OK;
}

/* ---- keys ----------------------------------------------------------------- */

kavro_err_t kv_local_kms_key(const char *secret, unsigned char key[16],
                             kavro_error_t *error) {
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  EVP_KDF_free(kdf);
  static unsigned char nothing[1];
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret,
                                        strlen(secret)),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, nothing, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, nothing, 0),
      OSSL_PARAM_construct_end()};
  int ok = ctx && EVP_KDF_derive(ctx, key, 16, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok ? KAVRO_OK : crypto_failed(error, "HKDF-SHA256");
}

kavro_err_t kv_random_bytes(unsigned char *out, size_t size,
                            kavro_error_t *error) {
  return RAND_bytes(out, (int)size) == 1
             ? KAVRO_OK
             : crypto_failed(error, "drawing random bytes");
}

/* GCM's IVs come from a per-thread store filled from OpenSSL's DRBG in
 * bulk: a draw per field costs as much as the rest of its encryption.
 * IVs are no secret (they travel with the ciphertext); they must never
 * repeat, so a forked child, which would share its parent's store, empties
 * it first. */
#define IV_STORE 3072

static _Thread_local struct {
  unsigned char bytes[IV_STORE];
  size_t left;
} iv_store;

static void iv_store_forget(void) { iv_store.left = 0; }

static void iv_store_watch_forks(void) {
  pthread_atfork(NULL, NULL, iv_store_forget);
}

static kavro_err_t random_iv(unsigned char *iv, kavro_error_t *error) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, iv_store_watch_forks);
  if (iv_store.left < GCM_IV_SIZE) {
    kavro_err_t err = kv_random_bytes(iv_store.bytes, IV_STORE, error);
    if (err)
      return err;
    iv_store.left = IV_STORE;
  }
  iv_store.left -= GCM_IV_SIZE;
  memcpy(iv, iv_store.bytes + iv_store.left, GCM_IV_SIZE);
  return KAVRO_OK;
}
