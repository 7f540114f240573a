/*
 * kavro tests - field-level encryption: the cryptography
 * (rules_crypto_int.h) against bytes Confluent's JavaScript client wrote,
 * and the ENCRYPT executor run by the serializer and deserializer against
 * the mock registry's DEK registry.
 *
 * The vectors were made with @confluentinc/schemaregistry's own Cryptor
 * and LocalKmsClient (dist/rules/encryption): the AES-SIV ciphertexts are
 * deterministic, so kavro must write the very same bytes; the AES-GCM
 * ones are random, so kavro must read what the client wrote.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_int.h"
#include "common_text_int.h"
#include "registry_int.h"
#include "rules_crypto_int.h"
#include "rules_model_int.h"
#include "serde_fixture.h"
#include "testutil.h"

/* The AES256_SIV key 00 01 02 ... 3f, as the client's AesSivKey proto. */
static const char siv_proto_hex[] =
    "1240000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

static const struct {
  const char *plaintext;
  const char *ciphertext_hex;
} siv_vectors[] = {
    {"", "6ff5b8ef53fc365606cd3ea047374885"},
    {"a", "f196e2fbecd4e8cf16e575e8902e15cf0d"},
    {"hello world", "1dce5df7ac48c6edaeb5ed516c5b9e9c47ed1b1c3e3fffe6d55bff"},
};

/* The local KMS's key for the secret "mysecret", as the client's
 * AesGcmKey proto, and the client's wrapping of "0123456789abcdef". */
static const char local_key_proto_hex[] =
    "1a101ae4d97ac1e81594bfd1993c1a75ee36";
static const char local_wrap_hex[] =
    "9b6a73f9456b94978720f18e976326e8dbf59d8f444fb14564341aca1be616b8c5e86d"
    "2411cfff79911c4c3b";

static kv_aead_t *aead_from_proto(kv_dek_alg_t alg, const char *hex) {
  size_t n;
  unsigned char *proto = kt_hex_decode(hex, &n);
  unsigned char key[64];
  ck_assert_int_eq(kv_tink_key_decode(alg, proto, n, key, NULL), KAVRO_OK);
  free(proto);
  kv_aead_t *aead = kv_aead_new(alg, key);
  ck_assert_ptr_nonnull(aead);
  return aead;
}

START_TEST(test_siv_writes_the_clients_bytes) {
  kv_aead_t *aead = aead_from_proto(KV_DEK_AES256_SIV, siv_proto_hex);
  for (size_t i = 0; i < sizeof(siv_vectors) / sizeof(*siv_vectors); i++) {
    const char *pt = siv_vectors[i].plaintext;
    size_t n = strlen(pt);
    unsigned char out[64];
    ck_assert_int_eq(
        kv_aead_encrypt(aead, (const unsigned char *)pt, n, out, NULL),
        KAVRO_OK);
    char *hex = kt_hex_encode(out, n + kv_aead_overhead(aead));
    ck_assert_msg(strcmp(hex, siv_vectors[i].ciphertext_hex) == 0,
                  "\"%s\": %s, the client wrote %s", pt, hex,
                  siv_vectors[i].ciphertext_hex);
    free(hex);
    unsigned char back[64];
    size_t m;
    ck_assert_int_eq(kv_aead_decrypt(aead, out, n + 16, back, &m, NULL),
                     KAVRO_OK);
    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(back, pt, n);
  }
  kv_aead_destroy(aead);
}
END_TEST

START_TEST(test_local_kms_reads_the_clients_wrapping) {
  unsigned char key[16], proto[KV_TINK_KEY_MAX];
  ck_assert_int_eq(kv_local_kms_key("mysecret", key, NULL), KAVRO_OK);
  size_t n = kv_tink_key_encode(KV_DEK_AES128_GCM, key, proto);
  char *hex = kt_hex_encode(proto, n);
  ck_assert_str_eq(hex, local_key_proto_hex);
  free(hex);

  kv_aead_t *aead = kv_aead_new(KV_DEK_AES128_GCM, key);
  size_t size;
  unsigned char *wrapped = kt_hex_decode(local_wrap_hex, &size);
  unsigned char out[64];
  size_t m;
  ck_assert_int_eq(kv_aead_decrypt(aead, wrapped, size, out, &m, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(m, 16);
  ck_assert_mem_eq(out, "0123456789abcdef", 16);

  /* One bit changed anywhere: refused, never other bytes. */
  kavro_error_t error;
  for (size_t i = 0; i < size; i += 7) {
    wrapped[i] ^= 0x01;
    ck_assert_int_eq(kv_aead_decrypt(aead, wrapped, size, out, &m, &error),
                     KAVRO_ERR_DECODE);
    ck_assert_ptr_nonnull(strstr(error.text, "does not authenticate"));
    wrapped[i] ^= 0x01;
  }
  ck_assert_int_eq(kv_aead_decrypt(aead, wrapped, 27, out, &m, &error),
                   KAVRO_ERR_DECODE);
  free(wrapped);
  kv_aead_destroy(aead);

  /* Another secret is another key: it does not unwrap. */
  ck_assert_int_eq(kv_local_kms_key("othersecret", key, NULL), KAVRO_OK);
  aead = kv_aead_new(KV_DEK_AES128_GCM, key);
  wrapped = kt_hex_decode(local_wrap_hex, &size);
  ck_assert_int_eq(kv_aead_decrypt(aead, wrapped, size, out, &m, NULL),
                   KAVRO_ERR_DECODE);
  free(wrapped);
  kv_aead_destroy(aead);
}
END_TEST

/* Each algorithm reads what it wrote; GCM's random IV makes two
 * encryptions of one value differ, SIV's none. */
START_TEST(test_round_trips) {
  static const kv_dek_alg_t algs[] = {KV_DEK_AES128_GCM, KV_DEK_AES256_GCM,
                                      KV_DEK_AES256_SIV};
  for (size_t a = 0; a < 3; a++) {
    unsigned char key[64];
    ck_assert_int_eq(kv_random_bytes(key, sizeof(key), NULL), KAVRO_OK);
    kv_aead_t *aead = kv_aead_new(algs[a], key);
    const char *pt = "+44 20 7946 0958";
    size_t n = strlen(pt), over = kv_aead_overhead(aead);
    unsigned char one[64], two[64], back[64];
    ck_assert_int_eq(
        kv_aead_encrypt(aead, (const unsigned char *)pt, n, one, NULL),
        KAVRO_OK);
    ck_assert_int_eq(
        kv_aead_encrypt(aead, (const unsigned char *)pt, n, two, NULL),
        KAVRO_OK);
    ck_assert_int_eq(memcmp(one, two, n + over) == 0,
                     algs[a] == KV_DEK_AES256_SIV);
    size_t m;
    ck_assert_int_eq(kv_aead_decrypt(aead, one, n + over, back, &m, NULL),
                     KAVRO_OK);
    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(back, pt, n);
    kv_aead_destroy(aead);
  }
}
END_TEST

START_TEST(test_key_protos) {
  unsigned char key[64];
  /* Fields in another order, an unknown one, version 0 written out. */
  static const unsigned char proto[] = {0x08, 0x00, 0x20, 0x05, 0x1a, 0x10,
                                        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                        12, 13, 14, 15, 16};
  ck_assert_int_eq(kv_tink_key_decode(KV_DEK_AES128_GCM, proto, sizeof(proto),
                                      key, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(key[15], 16);
  kavro_error_t error;
  /* A 16-byte key is no AES256_GCM key; a truncated proto is no proto. */
  ck_assert_int_eq(kv_tink_key_decode(KV_DEK_AES256_GCM, proto, sizeof(proto),
                                      key, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(error.text, "16 bytes of key, not 32"));
  ck_assert_int_eq(kv_tink_key_decode(KV_DEK_AES128_GCM, proto,
                                      sizeof(proto) - 1, key, &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(error.text, "no serialized Tink AesGcmKey"));
  ck_assert_int_eq(kv_tink_key_decode(KV_DEK_AES256_SIV, proto, 0, key, NULL),
                   KAVRO_ERR_INVALID_ARG);
  kv_dek_alg_t alg;
  ck_assert(kv_dek_alg_parse("AES256_SIV", &alg) && alg == KV_DEK_AES256_SIV);
  ck_assert(!kv_dek_alg_parse("aes256_siv", &alg));
}
END_TEST

START_TEST(test_base64) {
  static const struct {
    const char *text, *b64;
  } cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
               {"foob", "Zm9vYg=="}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    char out[16];
    size_t n = strlen(cases[i].text);
    ck_assert_uint_eq(kv_base64_encode((const unsigned char *)cases[i].text,
                                       n, out),
                      strlen(cases[i].b64));
    ck_assert_str_eq(out, cases[i].b64);
    unsigned char back[16];
    size_t m;
    ck_assert(kv_base64_decode(cases[i].b64, strlen(cases[i].b64), back, &m));
    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(back, cases[i].text, n);
  }
  static const char *const bad[] = {"Zg=", "Z g=", "Zg=a", "Z===", "Zm9v\n",
                                    "Zm-v"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    unsigned char back[16];
    size_t m;
    ck_assert_msg(!kv_base64_decode(bad[i], strlen(bad[i]), back, &m),
                  "\"%s\" decoded", bad[i]);
  }
}
END_TEST



/* ---- a DEK reply's key material ------------------------------------------ */

/* Scan @text from a block of its exact size, so a read past it shows. */
static kv_member_scan_t scan_exact(const char *text, size_t length,
                                   char **valuep) {
  char *copy = malloc(length ? length : 1);
  memcpy(copy, text, length);
  size_t offset = 0, size = 0;
  kv_member_scan_t got =
      kv_json_member_string(copy, length, "keyMaterial", &offset, &size);
  *valuep = NULL;
  if (got == KV_MEMBER_STRING) {
    ck_assert_uint_le(offset + size, length);
    *valuep = strndup(copy + offset, size);
  }
  free(copy);
  return got;
}

/* The top-level member alone is found, its name's escapes undone; the
 * same name deeper down or as a value is not it; what does not end or
 * balance, and a second one, is malformed. */
START_TEST(test_key_material_scanner) {
  static const struct {
    const char *text;
    kv_member_scan_t want;
    const char *raw; /* between the quotes */
  } cases[] = {
      {"{\"kekName\":\"k\",\"keyMaterial\":\"YWJj\\/ZA==\"}", KV_MEMBER_STRING,
       "YWJj\\/ZA=="},
      {"{\"x\":{\"keyMaterial\":\"nested\"},\"keyMaterial\":\"top\"}",
       KV_MEMBER_STRING, "top"},
      {"{\"keyMaterial\":\"top\",\"x\":{\"keyMaterial\":\"nested\"}}",
       KV_MEMBER_STRING, "top"},
      {"{\"x\":{\"keyMaterial\":\"nested\"}}", KV_MEMBER_ABSENT, NULL},
      {"{\"x\":[{\"keyMaterial\":\"in an array\"}]}", KV_MEMBER_ABSENT, NULL},
      {"{\"doc\":\"keyMaterial\",\"subject\":\"s\"}", KV_MEMBER_ABSENT, NULL},
      {"{\"doc\":\"keyMaterial\",\"keyMaterial\":\"k\"}", KV_MEMBER_STRING,
       "k"},
      {"{\"a\":[\"keyMaterial\",\":\",\"x\"]}", KV_MEMBER_ABSENT, NULL},
      {"{\"doc\":\"say \\\"keyMaterial\\\": \\\"x\\\"\",\"keyMaterial\":\"q\"}",
       KV_MEMBER_STRING, "q"},
      {"{\"key\\u004daterial\":\"abc\"}", KV_MEMBER_STRING, "abc"},
      {"{\"keyMaterial2\":\"abc\",\"keyMateria\":\"d\"}", KV_MEMBER_ABSENT,
       NULL},
      {" {\n \"keyMaterial\" :\t\"w\" }\n", KV_MEMBER_STRING, "w"},
      {"{\"keyMaterial\":null}", KV_MEMBER_ABSENT, NULL},
      {"{\"keyMaterial\":5,\"doc\":\"x\"}", KV_MEMBER_ABSENT, NULL},
      {"{\"keyMaterial\":{\"keyMaterial\":\"x\"}}", KV_MEMBER_ABSENT, NULL},
      {"[\"keyMaterial\",\"x\"]", KV_MEMBER_ABSENT, NULL},
      {"{\"keyMaterial\":\"a\",\"keyMaterial\":\"b\"}", KV_MEMBER_MALFORMED,
       NULL},
      {"{\"keyMaterial\":\"a\nb\"}", KV_MEMBER_MALFORMED, NULL},
      {"{\"keyMaterial\":\"abc", KV_MEMBER_MALFORMED, NULL},
      {"{\"keyMaterial\":\"abc\\", KV_MEMBER_MALFORMED, NULL},
      {"{\"keyMaterial\":\"abc\"", KV_MEMBER_MALFORMED, NULL},
      {"}{\"keyMaterial\":\"abc\"}", KV_MEMBER_MALFORMED, NULL},
      {"", KV_MEMBER_ABSENT, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    char *value;
    kv_member_scan_t got =
        scan_exact(cases[i].text, strlen(cases[i].text), &value);
    ck_assert_msg(got == cases[i].want, "case %zu: %d", i, (int)got);
    if (cases[i].raw)
      ck_assert_str_eq(value, cases[i].raw);
    free(value);
  }
  /* Every cut of a reply is refused, and read within its bounds. */
  static const char reply[] =
      "{\"kekName\":\"k\",\"doc\":\"a \\\"b\\\"\",\"x\":[1,{\"y\":null}],"
      "\"keyMaterial\":\"AAEC\\/w==\"}";
  for (size_t n = 1; n < strlen(reply); n++) {
    char *value;
    ck_assert_msg(scan_exact(reply, n, &value) == KV_MEMBER_MALFORMED,
                  "cut at %zu", n);
  }
}
END_TEST

/* Base64 text's escapes are undone; what could not be base64 is
 * refused. */
START_TEST(test_key_material_unescape) {
  static const struct {
    const char *raw, *want;
  } cases[] = {
      {"AAEC\\/w==", "AAEC/w=="}, {"\\u0041\\u0062+", "Ab+"},
      {"\\\"\\\\\\b\\f\\n\\r\\t", "\"\\\b\f\n\r\t"}, {"", ""},
      {"\\u00e9", NULL}, {"\\u0000", NULL}, {"\\x", NULL}, {"\\u12", NULL},
      {"\\u12g4", NULL}, {"abc\\", NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    bool nomem = true;
    char *got = kv_json_unescape_ascii(cases[i].raw, strlen(cases[i].raw),
                                       &nomem);
    ck_assert(!nomem);
    if (cases[i].want)
      ck_assert_msg(got && strcmp(got, cases[i].want) == 0, "case %zu", i);
    else
      ck_assert_msg(got == NULL, "case %zu", i);
    kv_free_secret(got);
  }
}
END_TEST

/* The parsed DEK carries the key material as the reply wrote it; the
 * reply's other members are read as before, and a keyMaterial of
 * another type, twice, or in a cut reply is a malformed DEK. */
START_TEST(test_dek_reply_key_material) {
  static const char reply[] =
      "{\"kekName\":\"kek1\",\"subject\":\"s-value\",\"version\":2,"
      "\"algorithm\":\"AES256_SIV\",\"doc\":\"keyMaterial\","
      "\"x\":{\"keyMaterial\":\"other\"},"
      "\"encryptedKeyMaterial\":\"d3JhcHBlZA==\","
      "\"keyMaterial\":\"AAEC\\/w==\",\"ts\":17}";
  kavro_dek_t *dek = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kv_answer_dek(reply, strlen(reply), &dek, &error),
                   KAVRO_OK);
  ck_assert_str_eq(dek->key_material, "AAEC/w==");
  ck_assert_str_eq(dek->encrypted_key_material, "d3JhcHBlZA==");
  ck_assert_str_eq(dek->kek_name, "kek1");
  ck_assert_str_eq(dek->algorithm, "AES256_SIV");
  ck_assert_int_eq(dek->version, 2);
  ck_assert_int_eq((int)dek->ts, 17);
  kavro_dek_destroy(dek);
  static const char *const plain[] = {
      "{\"kekName\":\"k\",\"subject\":\"s\",\"version\":1}",
      "{\"kekName\":\"k\",\"subject\":\"s\",\"version\":1,"
      "\"keyMaterial\":null}",
  };
  for (size_t i = 0; i < 2; i++) {
    ck_assert_int_eq(kv_answer_dek(plain[i], strlen(plain[i]), &dek, &error),
                     KAVRO_OK);
    ck_assert_ptr_null(dek->key_material);
    kavro_dek_destroy(dek);
  }
  static const char *const bad[] = {
      "{\"kekName\":\"k\",\"subject\":\"s\",\"version\":1,\"keyMaterial\":5}",
      "{\"kekName\":\"k\",\"subject\":\"s\",\"version\":1,"
      "\"keyMaterial\":\"a\",\"keyMaterial\":\"b\"}",
      "{\"kekName\":\"k\",\"subject\":\"s\",\"version\":1,"
      "\"keyMaterial\":\"\\u00e9\"}",
      "{\"kekName\":\"k\",\"subject\":\"s\",\"version\":1,"
      "\"keyMaterial\":\"AAEC\"",
      "{\"kekName\":\"k\",\"subject\":\"s\",\"keyMaterial\":\"AAEC\"}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    dek = NULL;
    ck_assert_int_eq(kv_answer_dek(bad[i], strlen(bad[i]), &dek, &error),
                     KAVRO_ERR_BAD_RESPONSE);
    ck_assert_ptr_null(dek);
    ck_assert_msg(strstr(error.text, "malformed DEK"), "%s", error.text);
  }
}
END_TEST

/* ---- the ENCRYPT executor ------------------------------------------------- */

#define TOPIC "customers"
#define SUBJECT "customers-value"
#define SECRET "default-secret-of-the-tests"

/* Every place a PII tag reaches: a string, a nullable string, bytes, an
 * array's items, a map's values, a nested record's field; `id` and
 * `address.city` stay in the clear. */
static const char customer_text[] =
    "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"shop\","
    "\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},"
    "{\"name\":\"email\",\"type\":\"string\",\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"phone\",\"type\":[\"null\",\"string\"],"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"token\",\"type\":\"bytes\",\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"aliases\",\"type\":{\"type\":\"array\",\"items\":\"string\"},"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"notes\",\"type\":{\"type\":\"map\",\"values\":\"string\"},"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"address\",\"type\":{\"type\":\"record\",\"name\":\"Address\","
    "\"fields\":[{\"name\":\"street\",\"type\":\"string\","
    "\"confluent:tags\":[\"PII\"]},{\"name\":\"city\",\"type\":\"string\"}]}}"
    "]}";

static const char customer_json[] =
    "{\"id\":\"c-1\",\"email\":\"ada@example.com\","
    "\"phone\":{\"string\":\"+44 20 7946 0958\"},\"token\":\"\\u0001\\u0002\","
    "\"aliases\":[\"ada\",\"\"],\"notes\":{\"k\":\"likes tea\"},"
    "\"address\":{\"street\":\"12 Analytical Row\",\"city\":\"London\"}}";

static kavro_registry_t *reg;

static void encrypt_setup(void) {
  kt_mock_start("encrypt");
  reg = kt_client(kt_mock_url(0), NULL);
  unsetenv("LOCAL_SECRET");
}

static void encrypt_teardown(void) {
  kavro_registry_destroy(reg);
  reg = NULL;
  kt_mock_stop();
}

/* Register @schema_text with one ENCRYPT rule on PII: @params a JSON
 * object text of extra parameters (NULL: none), @on_failure as written
 * (NULL: unset). */
static void register_encrypted_schema(const char *schema_text,
                                      const char *algorithm,
                                      const char *params,
                                      const char *on_failure) {
  json_t *p = params ? json_loads(params, 0, NULL) : json_object();
  json_object_set_new(p, "encrypt.kek.name", json_string("kek1"));
  if (!json_object_get(p, "encrypt.kms.type"))
    json_object_set_new(p, "encrypt.kms.type", json_string("local-kms"));
  json_object_set_new(p, "encrypt.kms.key.id", json_string("mykey"));
  if (algorithm)
    json_object_set_new(p, "encrypt.dek.algorithm", json_string(algorithm));
  json_t *rule = json_pack("{s:s,s:s,s:s,s:s,s:[s],s:o}", "name", "encryptPII",
                           "kind", "TRANSFORM", "mode", "WRITEREAD", "type",
                           "ENCRYPT", "tags", "PII", "params", p);
  if (on_failure)
    json_object_set_new(rule, "onFailure", json_string(on_failure));
  json_t *set = json_pack("{s:[o]}", "domainRules", rule);
  char *text = json_dumps(set, JSON_COMPACT);
  kt_register_contract(reg, SUBJECT, schema_text, NULL, text);
  free(text);
  json_decref(set);
}

static void register_encrypted(const char *algorithm, const char *params,
                               const char *on_failure) {
  register_encrypted_schema(customer_text, algorithm, params, on_failure);
}

static kavro_conf_t *conf_with_secret(const char *secret) {
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_set(conf, "auto.register.schemas", "false",
                                  &error), KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "use.latest.version", "true",
                                  &error), KAVRO_OK);
  if (secret)
    ck_assert_msg(kavro_conf_set(conf, "rule.executors._default_.param.secret",
                                 secret, &error) == KAVRO_OK,
                  "%s", error.text);
  return conf;
}

/* Serialize @json (a Customer) with @conf into @out. */
static kavro_err_t write_customer(kavro_conf_t *conf, const char *json,
                                  kavro_buf_t *out, kavro_error_t *error) {
  kavro_schema_t *schema = kt_parse(customer_text);
  kavro_serializer_t *ser = kavro_serializer_new(reg, conf, error);
  ck_assert_msg(ser != NULL, "%s", error->text);
  kt_value_t v;
  kt_value_from_json(&v, schema, json);
  kavro_err_t err = kavro_serializer_serialize(ser, TOPIC, false, schema,
                                               &v.value, out, error);
  kt_value_free(&v);
  kavro_serializer_destroy(ser);
  kavro_schema_destroy(schema);
  return err;
}

/* Deserialize @frame with @conf; the datum as plain JSON in *@plainp. */
static kavro_err_t read_customer(kavro_conf_t *conf, const kavro_buf_t *frame,
                                 json_t **plainp, kavro_error_t *error) {
  kavro_deserializer_t *des = kavro_deserializer_new(reg, conf, NULL, error);
  ck_assert_msg(des != NULL, "%s", error->text);
  kavro_deserialized_t msg;
  kavro_err_t err = kavro_deserializer_deserialize(
      des, TOPIC, false, NULL, 0, kavro_buf_data(frame),
      kavro_buf_length(frame), &msg, error);
  *plainp = err ? NULL : kt_value_plain(msg.schema, msg.value);
  kavro_deserializer_destroy(des);
  return err;
}

/* The frame's body read without rules: what travels. */
static json_t *on_the_wire(const kavro_buf_t *frame) {
  return kt_frame_plain(customer_text, frame);
}

/* The bytes a base64 string field holds. */
static size_t ciphertext_size(const json_t *field) {
  const char *b64 = json_string_value(field);
  ck_assert_ptr_nonnull(b64);
  unsigned char out[512];
  size_t n;
  ck_assert_msg(kv_base64_decode(b64, strlen(b64), out, &n), "%s", b64);
  return n;
}

static bool same_bytes(const kavro_buf_t *a, const kavro_buf_t *b) {
  return kavro_buf_length(a) == kavro_buf_length(b) &&
         memcmp(kavro_buf_data(a), kavro_buf_data(b), kavro_buf_length(a)) ==
             0;
}

static char *dumps(const json_t *j) {
  return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

/* Each algorithm: every tagged value is ciphertext on the wire (of the
 * algorithm's size), the rest in the clear; the consumer reads the
 * original back; AES-SIV writes the same bytes twice, GCM never. */
START_TEST(test_fields_round_trip) {
  static const struct {
    const char *name;
    size_t overhead;
  } algs[] = {{"AES256_GCM", 28}, {"AES128_GCM", 28}, {"AES256_SIV", 16}};
  kavro_conf_t *conf = conf_with_secret(SECRET);
  json_t *original = NULL;
  {
    kavro_schema_t *schema = kt_parse(customer_text);
    kt_value_t v;
    kt_value_from_json(&v, schema, customer_json);
    original = kt_value_plain(schema, &v.value);
    kt_value_free(&v);
    kavro_schema_destroy(schema);
  }
  char *want = dumps(original);
  for (size_t a = 0; a < 3; a++) {
    register_encrypted(algs[a].name, NULL, NULL);
    kavro_buf_t *one = kavro_buf_new(0, 0), *two = kavro_buf_new(0, 0);
    kavro_error_t error;
    ck_assert_msg(write_customer(conf, customer_json, one, &error) == KAVRO_OK,
                  "%s: %s", algs[a].name, error.text);
    ck_assert_int_eq(write_customer(conf, customer_json, two, &error),
                     KAVRO_OK);
    json_t *wire = on_the_wire(one);
    size_t over = algs[a].overhead;
    ck_assert_str_eq(json_string_value(json_object_get(wire, "id")), "c-1");
    ck_assert_uint_eq(ciphertext_size(json_object_get(wire, "email")),
                      strlen("ada@example.com") + over);
    ck_assert_uint_eq(ciphertext_size(json_object_get(wire, "phone")),
                      strlen("+44 20 7946 0958") + over);
    ck_assert_uint_eq(ciphertext_size(json_array_get(
                          json_object_get(wire, "aliases"), 1)),
                      over);
    ck_assert_uint_eq(ciphertext_size(json_object_get(
                          json_object_get(wire, "notes"), "k")),
                      strlen("likes tea") + over);
    json_t *address = json_object_get(wire, "address");
    ck_assert_uint_eq(ciphertext_size(json_object_get(address, "street")),
                      strlen("12 Analytical Row") + over);
    ck_assert_str_eq(json_string_value(json_object_get(address, "city")),
                     "London");
    /* bytes travel raw: 2 bytes and the overhead, plain JSON as hex or
     * text; only the length is checked here. */
    json_t *token = json_object_get(wire, "token");
    ck_assert_ptr_nonnull(token);
    ck_assert_int_eq(kavro_buf_length(one) == kavro_buf_length(two) &&
                         memcmp(kavro_buf_data(one), kavro_buf_data(two),
                                kavro_buf_length(one)) == 0,
                     a == 2);
    json_decref(wire);

    json_t *back;
    ck_assert_msg(read_customer(conf, one, &back, &error) == KAVRO_OK, "%s",
                  error.text);
    char *got = dumps(back);
    ck_assert_str_eq(got, want);
    free(got);
    json_decref(back);
    kavro_buf_destroy(one);
    kavro_buf_destroy(two);
  }
  free(want);
  json_decref(original);
  kavro_conf_destroy(conf);
}
END_TEST

/* Once warm, a message costs no request: the KEK and DEK are asked for
 * once per serializer, then kept. */
START_TEST(test_warm_path_asks_nothing) {
  register_encrypted(NULL, NULL, NULL);
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_schema_t *schema = kt_parse(customer_text);
  kavro_error_t error;
  kavro_serializer_t *ser = kavro_serializer_new(reg, conf, &error);
  kt_value_t v;
  kt_value_from_json(&v, schema, customer_json);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  ck_assert_msg(kavro_serializer_serialize(ser, TOPIC, false, schema, &v.value,
                                           out, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_registry_stats_t before, after;
  kavro_registry_stats(reg, &before);
  for (int i = 0; i < 20; i++) {
    kt_value_free(&v);
    kt_value_from_json(&v, schema, customer_json);
    ck_assert_int_eq(kavro_serializer_serialize(ser, TOPIC, false, schema,
                                                &v.value, out, &error),
                     KAVRO_OK);
  }
  kavro_registry_stats(reg, &after);
  ck_assert_uint_eq(after.http_attempts, before.http_attempts);
  ck_assert_uint_eq(after.cache_misses, before.cache_misses);
  kt_value_free(&v);
  kavro_buf_destroy(out);
  kavro_serializer_destroy(ser);
  kavro_schema_destroy(schema);
  kavro_conf_destroy(conf);
}
END_TEST

/* A consumer without the secret, or with another one: a clear error
 * naming the rule, or, with onFailure NONE on read, the ciphertext as it
 * travelled; never other bytes. */
START_TEST(test_consumer_without_the_key) {
  register_encrypted(NULL, NULL, NULL);
  kavro_conf_t *producer = conf_with_secret(SECRET);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_int_eq(write_customer(producer, customer_json, frame, &error),
                   KAVRO_OK);
  json_t *back = NULL;
  kavro_conf_t *none = conf_with_secret(NULL);
  ck_assert_int_eq(read_customer(none, frame, &back, &error), KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "encryptPII") &&
                    strstr(error.text, "cannot load secret"),
                "%s", error.text);
  kavro_conf_t *wrong = conf_with_secret("not-the-secret");
  ck_assert_int_eq(read_customer(wrong, frame, &back, &error), KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "does not authenticate"), "%s", error.text);
  ck_assert_ptr_null(strstr(error.text, "not-the-secret"));
  /* The secret from the environment, as every client reads it. */
  setenv("LOCAL_SECRET", SECRET, 1);
  ck_assert_msg(read_customer(none, frame, &back, &error) == KAVRO_OK, "%s",
                error.text);
  ck_assert_str_eq(json_string_value(json_object_get(back, "email")),
                   "ada@example.com");
  json_decref(back);
  unsetenv("LOCAL_SECRET");

  /* onFailure "ERROR,NONE": the reader keeps what travelled. */
  register_encrypted(NULL, NULL, "ERROR,NONE");
  ck_assert_int_eq(write_customer(producer, customer_json, frame, &error),
                   KAVRO_OK);
  json_t *wire = on_the_wire(frame);
  ck_assert_msg(read_customer(none, frame, &back, &error) == KAVRO_OK, "%s",
                error.text);
  ck_assert(json_equal(json_object_get(back, "email"),
                       json_object_get(wire, "email")));
  json_decref(back);
  json_decref(wire);
  kavro_buf_destroy(frame);
  kavro_conf_destroy(producer);
  kavro_conf_destroy(none);
  kavro_conf_destroy(wrong);
}
END_TEST

static int64_t test_now_ms;
static int64_t test_clock(void) { return test_now_ms; }

/* The DEK version a rotated frame's email names. */
static int email_version(const kavro_buf_t *frame) {
  json_t *wire = on_the_wire(frame);
  const char *b64 = json_string_value(json_object_get(wire, "email"));
  unsigned char ct[256];
  size_t n;
  ck_assert(kv_base64_decode(b64, strlen(b64), ct, &n));
  json_decref(wire);
  ck_assert_uint_eq(ct[0], 0);
  return ct[1] << 24 | ct[2] << 16 | ct[3] << 8 | ct[4];
}

/* With encrypt.dek.expiry.days a DEK older than that gives way to the
 * next version; ciphertexts name their version; a consumer reads both. */
START_TEST(test_dek_rotation) {
  int64_t (*saved)(void) = kv_encrypt_clock;
  test_now_ms = saved();
  kv_encrypt_clock = test_clock;
  register_encrypted("AES256_SIV", "{\"encrypt.dek.expiry.days\":\"1\"}",
                     NULL);
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_buf_t *v1 = kavro_buf_new(0, 0), *v2 = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_msg(write_customer(conf, customer_json, v1, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(email_version(v1), 1);
  test_now_ms += 2 * 86400000LL;
  ck_assert_msg(write_customer(conf, customer_json, v2, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(email_version(v2), 2);
  /* Deterministic, yet another key: other bytes. */
  ck_assert_int_ne(memcmp(kavro_buf_data(v1), kavro_buf_data(v2),
                          kavro_buf_length(v1)),
                   0);
  const kavro_buf_t *frames[] = {v1, v2};
  for (int i = 0; i < 2; i++) {
    json_t *back;
    ck_assert_msg(read_customer(conf, frames[i], &back, &error) == KAVRO_OK,
                  "%s", error.text);
    ck_assert_str_eq(json_string_value(json_object_get(back, "email")),
                     "ada@example.com");
    json_decref(back);
  }
  /* A producer whose clock agrees with the registry's writes with the
   * newest version. */
  kv_encrypt_clock = saved;
  kavro_buf_t *again = kavro_buf_new(0, 0);
  ck_assert_msg(write_customer(conf, customer_json, again, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(email_version(again), 2);
  kavro_buf_destroy(again);
  kavro_buf_destroy(v1);
  kavro_buf_destroy(v2);
  kavro_conf_destroy(conf);
}
END_TEST

/* A warm producer whose DEK expires: the message after, on the generic
 * path, makes the next version; the ones after it are rewritten with it,
 * the same frame again under AES-SIV. */
START_TEST(test_dek_rotation_warm) {
  int64_t (*saved)(void) = kv_encrypt_clock;
  test_now_ms = saved();
  kv_encrypt_clock = test_clock;
  register_encrypted("AES256_SIV", "{\"encrypt.dek.expiry.days\":\"1\"}",
                     NULL);
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_schema_t *schema = kt_parse(customer_text);
  kavro_error_t error;
  kavro_serializer_t *ser = kavro_serializer_new(reg, conf, &error);
  ck_assert_ptr_nonnull(ser);
  kt_value_t v;
  kt_value_from_json(&v, schema, customer_json);
  kavro_buf_t *frames[4];
  for (int i = 0; i < 4; i++) {
    if (i == 2)
      test_now_ms += 2 * 86400000LL;
    frames[i] = kavro_buf_new(0, 0);
    ck_assert_msg(kavro_serializer_serialize(ser, TOPIC, false, schema,
                                             &v.value, frames[i],
                                             &error) == KAVRO_OK,
                  "%s", error.text);
    ck_assert_int_eq(email_version(frames[i]), i < 2 ? 1 : 2);
  }
  ck_assert(same_bytes(frames[0], frames[1]));
  ck_assert(same_bytes(frames[2], frames[3]));
  ck_assert(!same_bytes(frames[1], frames[2]));
  for (int i = 0; i < 4; i++)
    kavro_buf_destroy(frames[i]);
  kv_encrypt_clock = saved;
  kt_value_free(&v);
  kavro_serializer_destroy(ser);
  kavro_schema_destroy(schema);
  kavro_conf_destroy(conf);
}
END_TEST

/* Whether the bytes of @buf hold the text @needle. */
static bool holds(const kavro_buf_t *buf, const char *needle) {
  const unsigned char *data = kavro_buf_data(buf);
  size_t n = kavro_buf_length(buf), k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(data + i, needle, k) == 0)
      return true;
  return false;
}

/* ENCRYPT_PAYLOAD, an encoding rule: the whole body is the ciphertext
 * (the GCM overhead more than the plain body), read back as written. */
START_TEST(test_payload_round_trip) {
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_buf_t *plain = kavro_buf_new(0, 0), *sealed = kavro_buf_new(0, 0);
  kavro_error_t error;
  kt_register_contract(reg, SUBJECT, customer_text, NULL, NULL);
  ck_assert_int_eq(write_customer(conf, customer_json, plain, &error),
                   KAVRO_OK);
  kt_register_contract(
      reg, SUBJECT, customer_text, NULL,
      "{\"encodingRules\":[{\"name\":\"sealAll\",\"kind\":\"TRANSFORM\","
      "\"mode\":\"WRITEREAD\",\"type\":\"ENCRYPT_PAYLOAD\",\"params\":{"
      "\"encrypt.kek.name\":\"kek2\",\"encrypt.kms.type\":\"local-kms\","
      "\"encrypt.kms.key.id\":\"k2\"}}]}");
  ck_assert_msg(write_customer(conf, customer_json, sealed, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_uint_eq(kavro_buf_length(sealed), kavro_buf_length(plain) + 28);
  ck_assert(!holds(sealed, "London"));
  ck_assert(holds(plain, "London"));
  json_t *back, *want = kt_frame_plain(customer_text, plain);
  ck_assert_msg(read_customer(conf, sealed, &back, &error) == KAVRO_OK, "%s",
                error.text);
  ck_assert(json_equal(back, want));
  json_decref(back);
  /* Without the key the body cannot be read at all: a clear error. */
  kavro_conf_t *none = conf_with_secret(NULL);
  ck_assert_int_eq(read_customer(none, sealed, &back, &error), KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "sealAll") &&
                    strstr(error.text, "cannot load secret"),
                "%s", error.text);
  json_decref(want);
  kavro_buf_destroy(plain);
  kavro_buf_destroy(sealed);
  kavro_conf_destroy(conf);
  kavro_conf_destroy(none);
}
END_TEST

/* Rules the executor cannot run fail each message with the peers'
 * reasons, and the onFailure action decides. */
START_TEST(test_refusals) {
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  kavro_error_t error;
  static const struct {
    const char *params, *reason;
  } cases[] = {
      {"{\"encrypt.dek.algorithm\":\"AES512_XTS\"}", "unsupported dek "
                                                     "algorithm"},
      {"{\"encrypt.dek.expiry.days\":\"-1\"}", "negative expiry days"},
      {"{\"encrypt.dek.expiry.days\":\"soon\"}", "invalid expiry days"},
      {"{\"encrypt.kms.type\":\"aws-kms\"}", "differs from the rule's"},
  };
  /* kek1 is made as local-kms first. */
  register_encrypted(NULL, NULL, NULL);
  ck_assert_msg(write_customer(conf, customer_json, frame, &error) == KAVRO_OK,
                "%s", error.text);
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    register_encrypted(NULL, cases[i].params, NULL);
    ck_assert_int_eq(write_customer(conf, customer_json, frame, &error),
                     KAVRO_ERR_RULE);
    ck_assert_msg(strstr(error.text, cases[i].reason) &&
                      strstr(error.text, "encryptPII"),
                  "case %zu: %s", i, error.text);
  }
  kavro_buf_destroy(frame);
  kavro_conf_destroy(conf);
}
END_TEST

/* A KMS driver of the program's: called once to wrap the new DEK (with
 * the KEK's key URL), never per message; the consumer's unwraps it. */
static int driver_calls;
static char driver_url[128];

static kavro_err_t xor_run(const char *key_url, const unsigned char *in,
                           size_t size, unsigned char **outp,
                           size_t *outsizep) {
  driver_calls++;
  snprintf(driver_url, sizeof(driver_url), "%s", key_url);
  *outp = malloc(size);
  for (size_t i = 0; i < size; i++)
    (*outp)[i] = in[i] ^ 0x5a;
  *outsizep = size;
  return KAVRO_OK;
}

static kavro_err_t xor_wrap(void *opaque, const kavro_rule_ctx_t *ctx,
                            const char *key_url, const unsigned char *key,
                            size_t size, unsigned char **outp,
                            size_t *outsizep, kavro_error_t *error) {
  (void)opaque, (void)ctx, (void)error;
  return xor_run(key_url, key, size, outp, outsizep);
}

START_TEST(test_kms_driver_of_the_program) {
  register_encrypted(NULL, "{\"encrypt.kms.type\":\"test-kms\"}", NULL);
  kavro_conf_t *conf = conf_with_secret(NULL);
  kavro_kms_driver_t driver = {xor_wrap, xor_wrap, NULL};
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_add_kms_driver(conf, "test-kms", &driver,
                                             &error),
                   KAVRO_OK);
  driver_calls = 0;
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  for (int i = 0; i < 3; i++)
    ck_assert_msg(write_customer(conf, customer_json, frame, &error) ==
                      KAVRO_OK,
                  "%s", error.text);
  /* The first serializer wraps the new DEK; each unwraps it once, as the
   * peers do; no call per message. */
  ck_assert_int_eq(driver_calls, 1 + 3);
  ck_assert_str_eq(driver_url, "test-kms://mykey");
  json_t *back;
  ck_assert_int_eq(read_customer(conf, frame, &back, &error), KAVRO_OK);
  ck_assert_str_eq(json_string_value(json_object_get(back, "email")),
                   "ada@example.com");
  json_decref(back);
  /* Without the driver: the KEK's type names what is missing. */
  kavro_conf_t *plain = conf_with_secret(SECRET);
  ck_assert_int_eq(read_customer(plain, frame, &back, &error),
                   KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "no KMS driver for kms type \"test-kms\""),
                "%s", error.text);
  /* A driver needs both callbacks. */
  ck_assert_int_eq(kavro_conf_add_kms_driver(conf, "x", &(kavro_kms_driver_t){
                                                            xor_wrap, NULL,
                                                            NULL},
                                             &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_buf_destroy(frame);
  kavro_conf_destroy(conf);
  kavro_conf_destroy(plain);
}
END_TEST


/* A KMS that holds some of a KEK's key ids and not others (another
 * region's key when the first is out of reach): it wraps with any, it
 * unwraps only with those in @usable, and records each key URL it is
 * asked to unwrap with. */
typedef struct regional_kms_s {
  const char *usable; /* key ids separated by ' ', each followed by one */
  char tried[256];    /* key URLs tried to unwrap, separated by ' ' */
  char key_b64[128];  /* the DEK it wrapped last, to find it in texts */
} regional_kms_t;

static kavro_err_t regional_wrap(void *opaque, const kavro_rule_ctx_t *ctx,
                                 const char *key_url, const unsigned char *key,
                                 size_t size, unsigned char **outp,
                                 size_t *outsizep, kavro_error_t *error) {
  regional_kms_t *kms = opaque;
  ck_assert_uint_lt(size, 90);
  kv_base64_encode(key, size, kms->key_b64);
  return xor_wrap(NULL, ctx, key_url, key, size, outp, outsizep, error);
}

static kavro_err_t regional_unwrap(void *opaque, const kavro_rule_ctx_t *ctx,
                                   const char *key_url,
                                   const unsigned char *wrapped, size_t size,
                                   unsigned char **outp, size_t *outsizep,
                                   kavro_error_t *error) {
  regional_kms_t *kms = opaque;
  size_t used = strlen(kms->tried);
  snprintf(kms->tried + used, sizeof(kms->tried) - used, "%s ", key_url);
  const char *id = strstr(key_url, "://") + 3;
  char word[64];
  snprintf(word, sizeof(word), "%s ", id);
  if (!strstr(kms->usable, word)) {
    error->code = KAVRO_ERR_TRANSPORT;
    snprintf(error->text, sizeof(error->text), "key %s is out of reach", id);
    return error->code;
  }
  return xor_wrap(NULL, ctx, key_url, wrapped, size, outp, outsizep, error);
}

/* A conf with the regional KMS @kms as "test-kms" and @alternates (NULL:
 * none) as the executor's encrypt.alternate.kms.key.ids. */
static kavro_conf_t *conf_with_regions(regional_kms_t *kms,
                                       const char *alternates) {
  kavro_conf_t *conf = conf_with_secret(NULL);
  kavro_kms_driver_t driver = {regional_wrap, regional_unwrap, kms};
  kavro_error_t error;
  ck_assert_int_eq(kavro_conf_add_kms_driver(conf, "test-kms", &driver,
                                             &error),
                   KAVRO_OK);
  if (alternates)
    ck_assert_int_eq(
        kavro_conf_set(conf,
                       "rule.executors._default_.param."
                       "encrypt.alternate.kms.key.ids",
                       alternates, &error),
        KAVRO_OK);
  return conf;
}

/* encrypt.alternate.kms.key.ids: the KEK's own key id first, then the
 * alternates in the order written (split at commas, blanks and empty
 * ids dropped, as the peers split them); the first that unwraps wins.
 * When none does, the error names the KEK and the KMS's last reason,
 * never the key. */
START_TEST(test_alternate_kms_key_ids) {
  register_encrypted(NULL, "{\"encrypt.kms.type\":\"test-kms\"}", NULL);
  regional_kms_t producer_kms = {"mykey ", "", ""};
  kavro_conf_t *producer = conf_with_regions(&producer_kms, NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_msg(write_customer(producer, customer_json, frame, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_str_eq(producer_kms.tried, "test-kms://mykey ");

  /* The primary is out of reach here; alt2 is this region's. */
  regional_kms_t here = {"alt2 ", "", ""};
  kavro_conf_t *consumer = conf_with_regions(&here, " alt1 , ,alt2,alt3,");
  json_t *back;
  ck_assert_msg(read_customer(consumer, frame, &back, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_str_eq(json_string_value(json_object_get(back, "email")),
                   "ada@example.com");
  json_decref(back);
  ck_assert_str_eq(here.tried,
                   "test-kms://mykey test-kms://alt1 test-kms://alt2 ");

  /* No key id this KMS can use. */
  regional_kms_t nowhere = {"", "", ""};
  kavro_conf_t *lost = conf_with_regions(&nowhere, "alt1,alt2");
  ck_assert_int_eq(read_customer(lost, frame, &back, &error),
                   KAVRO_ERR_RULE);
  ck_assert_str_eq(nowhere.tried,
                   "test-kms://mykey test-kms://alt1 test-kms://alt2 ");
  ck_assert_msg(strstr(error.text, "all KMS keys of kek kek1") &&
                    strstr(error.text, "out of reach"),
                "%s", error.text);
  ck_assert_msg(!strstr(error.text, producer_kms.key_b64), "%s", error.text);

  /* Without alternates the KEK's own key id alone is tried. */
  regional_kms_t alone = {"alt2 ", "", ""};
  kavro_conf_t *single = conf_with_regions(&alone, NULL);
  ck_assert_int_eq(read_customer(single, frame, &back, &error),
                   KAVRO_ERR_RULE);
  ck_assert_str_eq(alone.tried, "test-kms://mykey ");
  kavro_buf_destroy(frame);
  kavro_conf_destroy(producer);
  kavro_conf_destroy(consumer);
  kavro_conf_destroy(lost);
  kavro_conf_destroy(single);
}
END_TEST

/* The KEK's kmsProps name the alternates for every client, ahead of the
 * executor's configuration. */
START_TEST(test_alternate_kms_key_ids_of_the_kek) {
  kavro_kek_t kek = {"kek1", "test-kms", "mykey",
                     "{\"encrypt.alternate.kms.key.ids\":\"alt2\"}", NULL,
                     false, false, 0};
  kavro_error_t error;
  ck_assert_msg(kavro_registry_register_kek(reg, &kek, NULL, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  register_encrypted(NULL, "{\"encrypt.kms.type\":\"test-kms\"}", NULL);
  regional_kms_t producer_kms = {"mykey ", "", ""};
  kavro_conf_t *producer = conf_with_regions(&producer_kms, NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  ck_assert_msg(write_customer(producer, customer_json, frame, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  regional_kms_t here = {"alt2 ", "", ""};
  kavro_conf_t *consumer = conf_with_regions(&here, "alt1");
  json_t *back;
  ck_assert_msg(read_customer(consumer, frame, &back, &error) == KAVRO_OK,
                "%s", error.text);
  json_decref(back);
  ck_assert_str_eq(here.tried, "test-kms://mykey test-kms://alt2 ");
  kavro_buf_destroy(frame);
  kavro_conf_destroy(producer);
  kavro_conf_destroy(consumer);
}
END_TEST


/* ---- a shared KEK ---------------------------------------------------------- */

/* The registry's KMS for the mock: makes a DEK's Tink key proto, wraps it
 * by XOR with the key id's first byte (what the mock keeps), and counts
 * its calls and the key URLs it was asked for. */
typedef struct registry_kms_s {
  int generated, unwrapped;
  char url[64];
  bool broken; /* fails every call */
} registry_kms_t;

/* @in (@size bytes) XOR'd with @url's key id's first byte, as base64. */
static char *xor_b64(const char *url, const unsigned char *in, size_t size) {
  unsigned char mask = (unsigned char)strstr(url, "://")[3];
  unsigned char out[128];
  ck_assert_uint_le(size, sizeof(out));
  for (size_t i = 0; i < size; i++)
    out[i] = in[i] ^ mask;
  return kv_base64(out, size);
}

static kavro_err_t registry_generate(void *opaque, const char *key_url,
                                     const char *algorithm, char **materialp,
                                     char **wrappedp, kavro_error_t *error) {
  registry_kms_t *kms = opaque;
  kms->generated++;
  snprintf(kms->url, sizeof(kms->url), "%s", key_url);
  if (kms->broken) {
    error->code = KAVRO_ERR_TRANSPORT;
    snprintf(error->text, sizeof(error->text), "the KMS is down");
    return error->code;
  }
  kv_dek_alg_t alg;
  ck_assert(kv_dek_alg_parse(algorithm, &alg));
  unsigned char key[64], proto[KV_TINK_KEY_MAX];
  ck_assert_int_eq(kv_random_bytes(key, kv_dek_key_size(alg), error),
                   KAVRO_OK);
  size_t n = kv_tink_key_encode(alg, key, proto);
  *materialp = kv_base64(proto, n);
  *wrappedp = xor_b64(key_url, proto, n);
  return KAVRO_OK;
}

static kavro_err_t registry_unwrap(void *opaque, const char *key_url,
                                   const char *algorithm, const char *wrapped,
                                   char **materialp, kavro_error_t *error) {
  registry_kms_t *kms = opaque;
  (void)algorithm;
  kms->unwrapped++;
  snprintf(kms->url, sizeof(kms->url), "%s", key_url);
  if (kms->broken) {
    error->code = KAVRO_ERR_TRANSPORT;
    snprintf(error->text, sizeof(error->text), "the KMS is down");
    return error->code;
  }
  unsigned char bytes[128];
  size_t n;
  ck_assert(kv_base64_decode(wrapped, strlen(wrapped), bytes, &n));
  char *b64 = xor_b64(key_url, bytes, n);
  ck_assert(kv_base64_decode(b64, strlen(b64), bytes, &n));
  free(b64);
  *materialp = kv_base64(bytes, n);
  return KAVRO_OK;
}

/* A KEK registered with shared: true: the registry (the mock, given the
 * registry's KMS) makes the DEK and hands its key material out, and a
 * producer and a consumer that have no KMS at all (no driver for the
 * KEK's type, no secret) write and read the fields; the wrapped key is
 * all the registry keeps. */
START_TEST(test_shared_kek_round_trip) {
  registry_kms_t rkms = {0};
  kavro_mock_kms_t kms = {registry_generate, registry_unwrap, &rkms};
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_set_kms(kt_mock, &kms, &error), KAVRO_OK);
  kavro_kek_t kek = {"kek1", "test-kms", "mykey", NULL, NULL, true, false, 0};
  ck_assert_msg(kavro_registry_register_kek(reg, &kek, NULL, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  register_encrypted(NULL, "{\"encrypt.kms.type\":\"test-kms\"}", NULL);
  kavro_conf_t *producer = conf_with_secret(NULL),
               *consumer = conf_with_secret(NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  ck_assert_msg(write_customer(producer, customer_json, frame, &error) ==
                    KAVRO_OK,
                "%s", error.text);
  ck_assert_int_eq(rkms.generated, 1);
  ck_assert_str_eq(rkms.url, "test-kms://mykey");
  json_t *wire = on_the_wire(frame);
  ck_assert_uint_eq(ciphertext_size(json_object_get(wire, "email")),
                    strlen("ada@example.com") + 28);
  json_decref(wire);

  json_t *back;
  ck_assert_msg(read_customer(consumer, frame, &back, &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_str_eq(json_string_value(json_object_get(back, "email")),
                   "ada@example.com");
  ck_assert_str_eq(json_string_value(json_object_get(
                       json_object_get(back, "address"), "street")),
                   "12 Analytical Row");
  json_decref(back);
  ck_assert_int_ge(rkms.unwrapped, 1);

  /* What the registry keeps and hands out. */
  kavro_dek_t *dek = NULL;
  ck_assert_int_eq(kavro_registry_get_dek(reg, "kek1", SUBJECT, 1,
                                          "AES256_GCM", false, &dek, &error),
                   KAVRO_OK);
  ck_assert_ptr_nonnull(dek->encrypted_key_material);
  ck_assert_ptr_nonnull(dek->key_material);
  ck_assert_str_ne(dek->key_material, dek->encrypted_key_material);
  kavro_dek_destroy(dek);
  ck_assert_int_eq(kavro_mock_set_kms(kt_mock, NULL, &error), KAVRO_OK);
  kavro_buf_destroy(frame);
  kavro_conf_destroy(producer);
  kavro_conf_destroy(consumer);
}
END_TEST

/* Without the registry's KMS, or with one that fails, a shared KEK's DEK
 * cannot be made or handed out: the registry's 50070 reaches the rule's
 * error; the sharing test answers as the registry does. */
START_TEST(test_shared_kek_without_the_registrys_kms) {
  kavro_kek_t kek = {"kek1", "test-kms", "mykey", NULL, NULL, true, false, 0};
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_register_kek(reg, &kek, NULL, &error),
                   KAVRO_OK);
  register_encrypted(NULL, "{\"encrypt.kms.type\":\"test-kms\"}", NULL);
  kavro_conf_t *producer = conf_with_secret(NULL);
  kavro_buf_t *frame = kavro_buf_new(0, 0);
  ck_assert_int_eq(write_customer(producer, customer_json, frame, &error),
                   KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "reaches no KMS"), "%s", error.text);

  registry_kms_t rkms = {.broken = true};
  kavro_mock_kms_t kms = {registry_generate, registry_unwrap, &rkms};
  ck_assert_int_eq(kavro_mock_set_kms(kt_mock, &kms, &error), KAVRO_OK);
  ck_assert_int_eq(write_customer(producer, customer_json, frame, &error),
                   KAVRO_ERR_RULE);
  ck_assert_msg(strstr(error.text, "the KMS is down"), "%s", error.text);
  ck_assert_int_eq(kavro_mock_set_kms(kt_mock,
                                      &(kavro_mock_kms_t){registry_generate,
                                                          NULL, NULL},
                                      &error),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_mock_set_kms(kt_mock, NULL, &error), KAVRO_OK);
  kavro_buf_destroy(frame);
  kavro_conf_destroy(producer);
}
END_TEST

/* ---- the one-pass rewrite against the generic path ------------------------ */

/* Every shape the rewrite walks: PII on a string, a nullable string,
 * bytes, array items, map values, a nested record's field, records in an
 * array, a map and a union, a tagged record field (its primitive fields
 * are reached through it, its union one is not), a record that holds
 * itself; fields of every other type stay in the clear. */
static const char order_text[] =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\","
    "\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"email\",\"type\":\"string\",\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"phone\",\"type\":[\"null\",\"string\"],"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"token\",\"type\":\"bytes\",\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"aliases\",\"type\":{\"type\":\"array\",\"items\":\"string\"},"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"notes\",\"type\":{\"type\":\"map\",\"values\":\"string\"},"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"address\",\"type\":{\"type\":\"record\",\"name\":\"Address\","
    "\"fields\":[{\"name\":\"street\",\"type\":\"string\","
    "\"confluent:tags\":[\"PII\"]},{\"name\":\"city\",\"type\":\"string\"},"
    "{\"name\":\"zip\",\"type\":\"int\"}]}},"
    "{\"name\":\"contacts\",\"type\":{\"type\":\"array\",\"items\":"
    "{\"type\":\"record\",\"name\":\"Contact\",\"fields\":["
    "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\","
    "\"symbols\":[\"HOME\",\"WORK\"]}},"
    "{\"name\":\"value\",\"type\":\"string\",\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"ok\",\"type\":\"boolean\"}]}}},"
    "{\"name\":\"backup\",\"type\":[\"null\",\"Contact\"]},"
    "{\"name\":\"lookup\",\"type\":{\"type\":\"map\",\"values\":\"Contact\"}},"
    "{\"name\":\"owner\",\"type\":[\"null\",{\"type\":\"record\","
    "\"name\":\"Person\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"},"
    "{\"name\":\"alias\",\"type\":[\"null\",\"string\"]}]}],"
    "\"confluent:tags\":[\"PII\"]},"
    "{\"name\":\"chain\",\"type\":[\"null\",{\"type\":\"record\","
    "\"name\":\"Link\",\"fields\":[{\"name\":\"label\",\"type\":\"string\","
    "\"confluent:tags\":[\"PII\"]},{\"name\":\"next\",\"type\":"
    "[\"null\",\"Link\"]}]}]},"
    "{\"name\":\"score\",\"type\":\"double\"},"
    "{\"name\":\"sig\",\"type\":{\"type\":\"fixed\",\"name\":\"Sig\","
    "\"size\":4}}"
    "]}";

static const char *const order_json[] = {
    "{\"id\":7,\"email\":\"ada@example.com\","
    "\"phone\":{\"string\":\"+44 20 7946 0958\"},\"token\":\"\\u0001\\u0002\","
    "\"aliases\":[\"ada\",\"\",\"countess\"],"
    "\"notes\":{\"k\":\"likes tea\",\"j\":\"\"},"
    "\"address\":{\"street\":\"12 Analytical Row\",\"city\":\"London\","
    "\"zip\":-1},"
    "\"contacts\":[{\"kind\":\"HOME\",\"value\":\"a@b\",\"ok\":true},"
    "{\"kind\":\"WORK\",\"value\":\"c@d\",\"ok\":false}],"
    "\"backup\":{\"shop.Contact\":{\"kind\":\"WORK\",\"value\":\"e@f\","
    "\"ok\":true}},"
    "\"lookup\":{\"x\":{\"kind\":\"HOME\",\"value\":\"g@h\",\"ok\":true}},"
    "\"owner\":{\"shop.Person\":{\"name\":\"Ada\",\"alias\":{\"string\":"
    "\"AAL\"}}},"
    "\"chain\":{\"shop.Link\":{\"label\":\"one\",\"next\":{\"shop.Link\":"
    "{\"label\":\"two\",\"next\":null}}}},"
    "\"score\":2.5,\"sig\":\"abcd\"}",
    /* Every union on null, every collection empty, every string too. */
    "{\"id\":-300,\"email\":\"\",\"phone\":null,\"token\":\"\","
    "\"aliases\":[],\"notes\":{},"
    "\"address\":{\"street\":\"\",\"city\":\"\",\"zip\":0},"
    "\"contacts\":[],\"backup\":null,\"lookup\":{},\"owner\":null,"
    "\"chain\":null,\"score\":-0.0,\"sig\":\"wxyz\"}",
};

/* The body of @json, encoded with @schema. */
static kavro_buf_t *order_body(const kavro_schema_t *schema,
                               const char *json) {
  kt_value_t v;
  kt_value_from_json(&v, schema, json);
  kavro_buf_t *body = kavro_buf_new(0, 0);
  kavro_error_t error;
  ck_assert_msg(kavro_encode(schema, &v.value, body, &error) == KAVRO_OK,
                "%s", error.text);
  kt_value_free(&v);
  return body;
}

/* The generic path: @body decoded, @set run over it, encoded again. */
static kavro_buf_t *run_decoded(const kv_ruleset_t *set,
                                const kavro_schema_t *schema,
                                const kavro_buf_t *body) {
  kv_rule_call_t call = {.topic = TOPIC, .subject = SUBJECT};
  kavro_decoder_t *decoder = kavro_decoder_new(NULL);
  kt_value_t v;
  kt_value_init(&v, schema);
  kavro_error_t error;
  ck_assert_msg(kavro_decode(decoder, schema, kavro_buf_data(body),
                             kavro_buf_length(body), &v.value, NULL,
                             &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_msg(kv_ruleset_run(set, &call, &v.value, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_buf_t *out = kavro_buf_new(0, 0);
  ck_assert_int_eq(kavro_encode(schema, &v.value, out, &error), KAVRO_OK);
  kt_value_free(&v);
  kavro_decoder_destroy(decoder);
  return out;
}

/* The rule set of @subject's latest version compiled for @dir. */
static kv_ruleset_t *latest_rules(const kv_rules_t *rules, const char *subject,
                                  kv_rule_dir_t dir) {
  kavro_schema_info_t *info = NULL;
  kv_ruleset_t *set = NULL;
  kavro_error_t error;
  ck_assert_int_eq(kavro_registry_version_info(reg, subject,
                                               KAVRO_REGISTRY_LATEST, &info,
                                               &error),
                   KAVRO_OK);
  ck_assert_int_eq(kv_ruleset_compile(rules, info, subject, dir, "the test",
                                      &set, &error),
                   KAVRO_OK);
  ck_assert_ptr_nonnull(set);
  kavro_schema_info_destroy(info);
  return set;
}

/* Each algorithm, each message: the rewrite writes what decoding, running
 * the rule and encoding again writes: the very bytes under AES-SIV; under
 * AES-GCM (random IVs) bytes of the same length that decrypt to the
 * message, as the generic path's do.  Before the key is at hand the
 * rewrite leaves the message to the generic path. */
START_TEST(test_rewrite_matches_the_generic_path) {
  static const char *const algs[] = {"AES256_SIV", "AES256_GCM",
                                     "AES128_GCM"};
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_schema_t *schema = kt_parse(order_text);
  kavro_error_t error;
  kv_rule_call_t call = {.topic = TOPIC, .subject = SUBJECT};
  for (size_t a = 0; a < 3; a++) {
    register_encrypted_schema(order_text, algs[a], NULL, NULL);
    kv_rules_t *rules = kv_rules_new(conf, reg, &error);
    ck_assert_ptr_nonnull(rules);
    kv_ruleset_t *writing = latest_rules(rules, SUBJECT, KV_RULE_WRITE);
    kv_ruleset_t *reading = latest_rules(rules, SUBJECT, KV_RULE_READ);
    ck_assert_ptr_nonnull(writing->rewrite);
    ck_assert_ptr_null(reading->rewrite);
    kavro_buf_t *fast = kavro_buf_new(0, 0);
    for (size_t m = 0; m < sizeof(order_json) / sizeof(*order_json); m++) {
      kavro_buf_t *body = order_body(schema, order_json[m]);
      if (m == 0)
        ck_assert_msg(!kv_ruleset_rewrite(writing, &call, kavro_buf_data(body),
                                          kavro_buf_length(body), fast),
                      "rewritten without the key");
      kavro_buf_t *generic = run_decoded(writing, schema, body);
      ck_assert_msg(kv_ruleset_rewrite(writing, &call, kavro_buf_data(body),
                                       kavro_buf_length(body), fast),
                    "%s, message %zu: not rewritten", algs[a], m);
      ck_assert_uint_eq(kavro_buf_length(fast), kavro_buf_length(generic));
      ck_assert_msg(same_bytes(fast, generic) == (a == 0),
                    "%s, message %zu", algs[a], m);
      kavro_buf_t *back = run_decoded(reading, schema, fast);
      ck_assert_msg(same_bytes(back, body), "%s, message %zu: read back",
                    algs[a], m);
      kavro_buf_destroy(back);
      back = run_decoded(reading, schema, generic);
      ck_assert(same_bytes(back, body));
      kavro_buf_destroy(back);
      kavro_buf_destroy(generic);
      kavro_buf_destroy(body);
    }
    kavro_buf_destroy(fast);
    kv_ruleset_destroy(writing);
    kv_ruleset_destroy(reading);
    kv_rules_destroy(rules);
  }
  kavro_schema_destroy(schema);
  kavro_conf_destroy(conf);
}
END_TEST

/* Whether @buf holds the bytes of @text anywhere. */
static bool holds_text(const kavro_buf_t *buf, const char *text) {
  size_t n = strlen(text), size = kavro_buf_length(buf);
  const unsigned char *data = kavro_buf_data(buf);
  for (size_t i = 0; i + n <= size; i++)
    if (memcmp(data + i, text, n) == 0)
      return true;
  return false;
}

/* A warm serializer writes with the rewrite what its first message, on the
 * generic path while the key was fetched, wrote: the same frame under
 * AES-SIV, read back by the consumer. */
START_TEST(test_serializer_rewrites_warm) {
  register_encrypted_schema(order_text, "AES256_SIV", NULL, NULL);
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_schema_t *schema = kt_parse(order_text);
  kavro_error_t error;
  kavro_serializer_t *ser = kavro_serializer_new(reg, conf, &error);
  ck_assert_ptr_nonnull(ser);
  kt_value_t v;
  kt_value_from_json(&v, schema, order_json[0]);
  kavro_buf_t *frames[3];
  for (int i = 0; i < 3; i++) {
    frames[i] = kavro_buf_new(0, 0);
    ck_assert_msg(kavro_serializer_serialize(ser, TOPIC, false, schema,
                                             &v.value, frames[i],
                                             &error) == KAVRO_OK,
                  "%s", error.text);
  }
  ck_assert(same_bytes(frames[0], frames[1]));
  ck_assert(same_bytes(frames[0], frames[2]));
  /* Into the caller's memory, too small by a byte: the limit the generic
   * path reports. */
  unsigned char small[1024];
  size_t written = 0, need = kavro_buf_length(frames[0]);
  ck_assert_uint_lt(need, sizeof(small));
  ck_assert_int_eq(kavro_serializer_serialize_to(ser, TOPIC, false, schema,
                                                 &v.value, small, need - 1,
                                                 &written, &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_int_eq(kavro_serializer_serialize_to(ser, TOPIC, false, schema,
                                                 &v.value, small, need,
                                                 &written, &error),
                   KAVRO_OK);
  ck_assert_uint_eq(written, need);
  ck_assert(memcmp(small, kavro_buf_data(frames[0]), need) == 0);
  kavro_deserializer_t *des = kavro_deserializer_new(reg, conf, NULL, &error);
  kavro_deserialized_t msg;
  ck_assert_msg(kavro_deserializer_deserialize(
                    des, TOPIC, false, NULL, 0, kavro_buf_data(frames[2]),
                    kavro_buf_length(frames[2]), &msg, &error) == KAVRO_OK,
                "%s", error.text);
  json_t *got = kt_value_plain(msg.schema, msg.value);
  json_t *want = kt_value_plain(schema, &v.value);
  ck_assert(json_equal(got, want));
  json_decref(got);
  json_decref(want);
  /* A record whose last __rule.name names the rule (a dead letter of
   * it, written again): the rule is skipped on the rewrite's way too, so
   * the fields travel as they are. */
  kavro_header_t replay = {KAVRO_RULE_HEADER_NAME, "encryptPII", 10};
  kavro_record_t record = {NULL, 0, &replay, 1, false};
  kavro_serializer_set_record(ser, &record);
  ck_assert_int_eq(kavro_serializer_serialize(ser, TOPIC, false, schema,
                                              &v.value, frames[1], &error),
                   KAVRO_OK);
  kavro_serializer_set_record(ser, NULL);
  ck_assert(holds_text(frames[1], "ada@example.com"));
  ck_assert(!holds_text(frames[0], "ada@example.com"));
  kavro_deserializer_destroy(des);
  for (int i = 0; i < 3; i++)
    kavro_buf_destroy(frames[i]);
  kt_value_free(&v);
  kavro_serializer_destroy(ser);
  kavro_schema_destroy(schema);
  kavro_conf_destroy(conf);
}
END_TEST

/* Bodies the encoders never write, which the generic path would not give
 * back as they are (or would refuse): left to it, message by message. */
START_TEST(test_rewrite_leaves_odd_bodies) {
  static const char text[] =
      "{\"type\":\"record\",\"name\":\"Odd\",\"fields\":["
      "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"},"
      "\"confluent:tags\":[\"PII\"]},"
      "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"},"
      "\"confluent:tags\":[\"PII\"]}]}";
  /* tags ["a"], m {"k": "v"} */
  static const unsigned char good[] = {2, 2, 'a', 0, 2, 2, 'k', 2, 'v', 0};
  static const struct {
    const char *what;
    unsigned char bytes[16];
    size_t size;
  } odd[] = {
      {"an array in two blocks", {2, 2, 'a', 2, 2, 'b', 0, 0}, 8},
      {"a block with its byte size", {1, 4, 2, 'a', 0, 0}, 6},
      {"a repeated map key", {0, 4, 2, 'k', 2, 'v', 2, 'k', 2, 'w', 0}, 11},
      {"a map key holding a NUL", {0, 2, 2, 0, 2, 'v', 0}, 7},
      {"bytes after the record", {2, 2, 'a', 0, 2, 2, 'k', 2, 'v', 0, 0}, 11},
      {"a body cut short", {2, 2}, 2},
  };
  register_encrypted_schema(text, "AES256_SIV", NULL, NULL);
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_schema_t *schema = kt_parse(text);
  kavro_error_t error;
  kv_rules_t *rules = kv_rules_new(conf, reg, &error);
  kv_ruleset_t *set = latest_rules(rules, SUBJECT, KV_RULE_WRITE);
  ck_assert_ptr_nonnull(set->rewrite);
  kavro_buf_t *body = kavro_buf_new(0, 0), *out = kavro_buf_new(0, 0);
  kv_rule_call_t call = {.topic = TOPIC, .subject = SUBJECT};
  ck_assert_int_eq(kv_buf_reserve(body, sizeof(good)), KAVRO_OK);
  kv_put_bytes(body, good, sizeof(good));
  kavro_buf_t *generic = run_decoded(set, schema, body); /* the key, warm */
  ck_assert(kv_ruleset_rewrite(set, &call, good, sizeof(good), out));
  ck_assert(same_bytes(out, generic));
  for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++)
    ck_assert_msg(!kv_ruleset_rewrite(set, &call, odd[i].bytes, odd[i].size,
                                      out),
                  "%s rewritten", odd[i].what);
  kavro_buf_destroy(generic);
  kavro_buf_destroy(body);
  kavro_buf_destroy(out);
  kv_ruleset_destroy(set);
  kv_rules_destroy(rules);
  kavro_schema_destroy(schema);
  kavro_conf_destroy(conf);
}
END_TEST

/* Rule sets the rewrite leaves to the generic path, decided when they are
 * compiled: a tag that reaches a field the rule cannot encrypt (which
 * fails there), another rule beside the ENCRYPT one, an action on
 * success, even a shadowed rule's. */
START_TEST(test_rewrite_declined) {
#define ENCRYPT_PII                                                           \
  "{\"name\":\"e\",\"kind\":\"TRANSFORM\",\"mode\":\"WRITE\",\"type\":"      \
  "\"ENCRYPT\",\"tags\":[\"PII\"],\"params\":{\"encrypt.kek.name\":"         \
  "\"kek1\",\"encrypt.kms.type\":\"local-kms\",\"encrypt.kms.key.id\":"      \
  "\"mykey\"}"
  static const char int_text[] =
      "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
      "{\"name\":\"email\",\"type\":\"string\",\"confluent:tags\":[\"PII\"]},"
      "{\"name\":\"n\",\"type\":[\"null\",\"int\"],"
      "\"confluent:tags\":[\"PII\"]}]}";
  static const struct {
    const char *schema, *rules;
  } cases[] = {
      {int_text, "{\"domainRules\":[" ENCRYPT_PII "}]}"},
      {order_text, "{\"domainRules\":[" ENCRYPT_PII "},{\"name\":\"c\","
                   "\"kind\":\"CONDITION\",\"mode\":\"WRITE\",\"type\":"
                   "\"CEL\",\"expr\":\"message.email != ''\"}]}"},
      {order_text, "{\"domainRules\":[" ENCRYPT_PII ",\"onSuccess\":"
                   "\"ERROR\"}]}"},
      /* The second rule is shadowed by the first, its action is not. */
      {order_text, "{\"domainRules\":[" ENCRYPT_PII "},{\"name\":\"f\","
                   "\"kind\":\"TRANSFORM\",\"mode\":\"WRITE\",\"type\":"
                   "\"ENCRYPT\",\"tags\":[\"PII\"],\"onSuccess\":"
                   "\"ERROR\"}]}"},
  };
#undef ENCRYPT_PII
  kavro_conf_t *conf = conf_with_secret(SECRET);
  kavro_error_t error;
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    /* Each under a subject of its own: the schemas are not compatible. */
    char subject[32];
    snprintf(subject, sizeof(subject), "declined%zu-value", i);
    kt_register_contract(reg, subject, cases[i].schema, NULL, cases[i].rules);
    kv_rules_t *rules = kv_rules_new(conf, reg, &error);
    kv_ruleset_t *set = latest_rules(rules, subject, KV_RULE_WRITE);
    ck_assert_msg(set->rewrite == NULL, "rule set %zu", i);
    kv_ruleset_destroy(set);
    kv_rules_destroy(rules);
  }
  /* The same rule without the int: rewritten. */
  kt_register_contract(reg, "accepted-value", order_text, NULL,
                       "{\"domainRules\":[{\"name\":\"e\",\"kind\":"
                       "\"TRANSFORM\",\"mode\":\"WRITE\",\"type\":"
                       "\"ENCRYPT\",\"tags\":[\"PII\"],\"params\":{"
                       "\"encrypt.kek.name\":\"kek1\",\"encrypt.kms.type\":"
                       "\"local-kms\",\"encrypt.kms.key.id\":\"mykey\"}}]}");
  kv_rules_t *rules = kv_rules_new(conf, reg, &error);
  kv_ruleset_t *set = latest_rules(rules, "accepted-value", KV_RULE_WRITE);
  ck_assert_ptr_nonnull(set->rewrite);
  kv_ruleset_destroy(set);
  kv_rules_destroy(rules);
  kavro_conf_destroy(conf);
}
END_TEST

static Suite *encrypt_suite(void) {
  Suite *s = suite_create("encrypt");
  TCase *tc = tcase_create("crypto");
  tcase_add_test(tc, test_siv_writes_the_clients_bytes);
  tcase_add_test(tc, test_local_kms_reads_the_clients_wrapping);
  tcase_add_test(tc, test_round_trips);
  tcase_add_test(tc, test_key_protos);
  tcase_add_test(tc, test_base64);
  tcase_add_test(tc, test_key_material_scanner);
  tcase_add_test(tc, test_key_material_unescape);
  tcase_add_test(tc, test_dek_reply_key_material);
  suite_add_tcase(s, tc);
  tc = tcase_create("executor");
  tcase_add_checked_fixture(tc, encrypt_setup, encrypt_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_fields_round_trip);
  tcase_add_test(tc, test_warm_path_asks_nothing);
  tcase_add_test(tc, test_consumer_without_the_key);
  tcase_add_test(tc, test_dek_rotation);
  tcase_add_test(tc, test_payload_round_trip);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_kms_driver_of_the_program);
  tcase_add_test(tc, test_alternate_kms_key_ids);
  tcase_add_test(tc, test_alternate_kms_key_ids_of_the_kek);
  tcase_add_test(tc, test_shared_kek_round_trip);
  tcase_add_test(tc, test_shared_kek_without_the_registrys_kms);
  tcase_add_test(tc, test_rewrite_matches_the_generic_path);
  tcase_add_test(tc, test_serializer_rewrites_warm);
  tcase_add_test(tc, test_rewrite_declined);
  tcase_add_test(tc, test_rewrite_leaves_odd_bodies);
  tcase_add_test(tc, test_dek_rotation_warm);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(encrypt_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
