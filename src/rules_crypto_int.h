/*
 * kavro - the cryptography of field-level encryption, as Confluent's
 * serializers (on Google's Tink) write it, all of it through OpenSSL's
 * libcrypto.
 *
 * A data-encryption key (DEK) travels as the serialized Tink key proto the
 * peers use (AesGcmKey or AesSivKey: a version of 0 and the raw key, no
 * keyset, no output prefix).  A field is encrypted with the DEK's AEAD and
 * empty associated data:
 *   AES128_GCM, AES256_GCM  IV (12 random bytes) | ciphertext | tag (16)
 *   AES256_SIV              SIV (16) | ciphertext, deterministic: S2V over
 *                           one empty associated-data block and the
 *                           plaintext (RFC 5297, a 64-byte key)
 * The local KMS wraps a DEK with AES128_GCM under a key derived from a
 * secret: HKDF-SHA256, empty salt and info, 16 bytes.
 *
 * (Base64 is common_text_int.h's.)
 *
 * Key material lives in kv_aead_t (cleansed when destroyed) and in
 * buffers this file cleanses before they are freed.
 */
#ifndef KAVRO_RULES_CRYPTO_INT_H
#define KAVRO_RULES_CRYPTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kavro/common.h"

/* The DEK algorithms (`encrypt.dek.algorithm`). */
typedef enum kv_dek_alg_e {
  KV_DEK_AES128_GCM,
  KV_DEK_AES256_GCM,
  KV_DEK_AES256_SIV
} kv_dek_alg_t;

/* The algorithm named @name exactly as the peers spell it; false when
 * there is none of that name. */
bool kv_dek_alg_parse(const char *name, kv_dek_alg_t *alg);
const char *kv_dek_alg_name(kv_dek_alg_t alg);

/* Bytes of raw key: 16, 32, 64 (AES-SIV's two 256-bit keys). */
size_t kv_dek_key_size(kv_dek_alg_t alg);

/* Room a serialized key proto takes: the raw key and 2 bytes of tag and
 * length (keys are shorter than 128 bytes). */
#define KV_TINK_KEY_MAX (64 + 2)

/* The Tink key proto of @alg holding @key (kv_dek_key_size() bytes) into
 * @out (KV_TINK_KEY_MAX bytes); its length. */
size_t kv_tink_key_encode(kv_dek_alg_t alg, const unsigned char *key,
                          unsigned char *out);

/* The raw key of the serialized Tink key proto @proto (@size bytes) of
 * @alg into @key (kv_dek_key_size() bytes): fields in any order, unknown
 * ones skipped, as protobuf reads them.  KAVRO_ERR_INVALID_ARG when it is
 * not such a proto or its key has the wrong size. */
kavro_err_t kv_tink_key_decode(kv_dek_alg_t alg, const unsigned char *proto,
                               size_t size, unsigned char *key,
                               kavro_error_t *error);

/* A DEK ready to encrypt and decrypt: immutable, shared by threads. */
typedef struct kv_aead_s kv_aead_t;

/* An AEAD of @alg over the raw @key (copied). NULL when out of memory. */
kv_aead_t *kv_aead_new(kv_dek_alg_t alg, const unsigned char *key);
/* Cleanse and free (NULL-safe). */
void kv_aead_destroy(kv_aead_t *aead);

/* Bytes a ciphertext adds to its plaintext: 28 for GCM, 16 for SIV. */
size_t kv_aead_overhead(const kv_aead_t *aead);

/* Encrypt @size bytes of @plaintext into @out (@size +
 * kv_aead_overhead() bytes), with empty associated data.  Thread-safe. */
kavro_err_t kv_aead_encrypt(const kv_aead_t *aead,
                            const unsigned char *plaintext, size_t size,
                            unsigned char *out, kavro_error_t *error);

/* Decrypt @size bytes of @ciphertext into @out (@size -
 * kv_aead_overhead() bytes, stored in *@outsizep).  KAVRO_ERR_DECODE when
 * it is too short or does not authenticate (a wrong key, altered bytes):
 * nothing of @out is then to be used.  Thread-safe. */
kavro_err_t kv_aead_decrypt(const kv_aead_t *aead,
                            const unsigned char *ciphertext, size_t size,
                            unsigned char *out, size_t *outsizep,
                            kavro_error_t *error);

/* The local KMS's key-encryption key for @secret: HKDF-SHA256 with empty
 * salt and info, 16 bytes, into @key. */
kavro_err_t kv_local_kms_key(const char *secret, unsigned char key[16],
                             kavro_error_t *error);

/* Fill @out with @size bytes from OpenSSL's DRBG. */
kavro_err_t kv_random_bytes(unsigned char *out, size_t size,
                            kavro_error_t *error);

#endif /* KAVRO_RULES_CRYPTO_INT_H */
