/*
 * libFuzzer harness: every parser of Schema Registry replies, on any bytes.
 *
 * Each input goes through all of them (a schema reply with and without the
 * lookup fields, an id, a bare integer, integer and string arrays, a level
 * or mode name, a compatibility verdict, an error body, a DEK registry's
 * KEK and DEK).  A parser either
 * fails with KAVRO_ERR_BAD_RESPONSE (or NOMEM) or returns values within
 * the bounds it promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry_int.h"

static void check_err(kavro_err_t err) {
  if (err != KAVRO_OK && err != KAVRO_ERR_BAD_RESPONSE &&
      err != KAVRO_ERR_NOMEM)
    abort();
}

static void schema_reply(const char *body, size_t size, bool full) {
  kv_answer_schema_t reply;
  kavro_err_t err = kv_answer_schema(body, size, full, &reply, NULL);
  check_err(err);
  if (err != KAVRO_OK)
    return;
  if (!reply.schema || reply.id < 0 || reply.version < 0 ||
      reply.ref_count > KV_MAX_REFERENCES ||
      (full && (!reply.subject || reply.id < 1 || reply.version < 1)))
    abort();
  for (size_t i = 0; i < reply.ref_count; i++)
    if (!reply.refs[i].name || !reply.refs[i].subject ||
        reply.refs[i].version < 1)
      abort();
  kv_answer_schema_clear(&reply);
}

static void string_list(char **strings, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (!strings[i])
      abort();
  if (strings[count] != NULL)
    abort();
  free(strings);
}

static void simple_replies(const char *body, size_t size) {
  int value = 0;
  kavro_err_t err = kv_answer_id(body, size, &value, NULL, NULL, NULL);
  check_err(err);
  if (err == KAVRO_OK && value < 1)
    abort();
  err = kv_answer_int(body, size, &value, NULL);
  check_err(err);
  if (err == KAVRO_OK && value < 1)
    abort();

  int *ints = NULL;
  size_t count = 0;
  err = kv_answer_int_array(body, size, &ints, &count, NULL);
  check_err(err);
  for (size_t i = 0; err == KAVRO_OK && i < count; i++)
    if (ints[i] < 1)
      abort();
  free(ints);

  char **strings = NULL;
  err = kv_answer_string_array(body, size, &strings, &count, NULL);
  check_err(err);
  if (err == KAVRO_OK)
    string_list(strings, count);

  char name[KAVRO_REGISTRY_NAME_SIZE];
  err = kv_answer_name(body, size, "compatibilityLevel", "compatibility", name,
                       NULL);
  check_err(err);
  if (err == KAVRO_OK && strlen(name) >= sizeof(name))
    abort();

  bool compatible;
  err =
      kv_answer_compatibility(body, size, &compatible, &strings, &count, NULL);
  check_err(err);
  if (err == KAVRO_OK)
    string_list(strings, count);

  int code = 0;
  char *message = NULL;
  if (kv_answer_error(body, size, &code, &message) && code < 1)
    abort();
  free(message);
}

static void key_replies(const char *body, size_t size) {
  kavro_kek_t *kek = NULL;
  kavro_err_t err = kv_answer_kek(body, size, &kek, NULL);
  check_err(err);
  if (err == KAVRO_OK && (!kek || !kek->name || !kek->kms_type ||
                          !kek->kms_key_id))
    abort();
  kavro_kek_destroy(kek);
  kavro_dek_t *dek = NULL;
  err = kv_answer_dek(body, size, &dek, NULL);
  check_err(err);
  if (err == KAVRO_OK && (!dek || !dek->kek_name || !dek->subject ||
                          !dek->algorithm || dek->version < 1))
    abort();
  kavro_dek_destroy(dek);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  schema_reply(body, size, false);
  schema_reply(body, size, true);
  simple_replies(body, size);
  key_replies(body, size);
  return 0;
}
