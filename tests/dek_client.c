/*
 * kavro tests - kavro's DEK registry client as a command, for the
 * JavaScript interop test (tests/js_dek_interop.sh, interop/js/dek.mjs):
 *
 *   dek_client URL get-kek NAME [deleted]
 *   dek_client URL register-kek NAME KMS_TYPE KMS_KEY_ID [shared]
 *   dek_client URL get-dek KEK SUBJECT VERSION [ALGORITHM]
 *   dek_client URL register-dek KEK SUBJECT VERSION ENCRYPTED_KEY_MATERIAL
 *
 * prints the KEK or DEK as the registry's JSON entity (without key
 * material: a wrapped key only), or "NAME CODE: TEXT" on standard error
 * with exit status 1.  Each command asks twice and checks that the second
 * answer came from the cache (exit status 3 otherwise).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavro.h"

static void set_text(json_t *object, const char *key, const char *value) {
  if (value)
    json_object_set_new(object, key, json_string(value));
}

static json_t *kek_json(const kavro_kek_t *kek) {
  json_t *json = json_pack("{s:s, s:s, s:s, s:b, s:I}", "name", kek->name,
                           "kmsType", kek->kms_type, "kmsKeyId",
                           kek->kms_key_id, "shared", kek->shared, "ts",
                           (json_int_t)kek->ts);
  set_text(json, "doc", kek->doc);
  if (kek->kms_props)
    json_object_set_new(json, "kmsProps", json_loads(kek->kms_props, 0, NULL));
  if (kek->deleted)
    json_object_set_new(json, "deleted", json_true());
  return json;
}

static json_t *dek_json(const kavro_dek_t *dek) {
  json_t *json = json_pack("{s:s, s:s, s:i, s:s, s:I}", "kekName",
                           dek->kek_name, "subject", dek->subject, "version",
                           dek->version, "algorithm", dek->algorithm, "ts",
                           (json_int_t)dek->ts);
  set_text(json, "encryptedKeyMaterial", dek->encrypted_key_material);
  if (dek->deleted)
    json_object_set_new(json, "deleted", json_true());
  return json;
}

static int print(json_t *json) {
  char *text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(json);
  if (!text)
    return 1;
  puts(text);
  free(text);
  return 0;
}

static int failed(kavro_err_t err, const kavro_error_t *error) {
  fprintf(stderr, "%s %d: %s\n", kavro_err2name(err), (int)err, error->text);
  return 1;
}

/* The same question again must make no request. */
static kavro_err_t again_cached(kavro_registry_t *reg, kavro_err_t (*ask)(
                                    kavro_registry_t *, char **, void *),
                                char **argv, void *outp) {
  kavro_registry_stats_t before, after;
  kavro_registry_stats(reg, &before);
  kavro_err_t err = ask(reg, argv, outp);
  kavro_registry_stats(reg, &after);
  if (err == KAVRO_OK && after.http_attempts != before.http_attempts) {
    fprintf(stderr, "the second answer was not cached\n");
    exit(3);
  }
  return err;
}

static kavro_err_t ask_kek(kavro_registry_t *reg, char **argv, void *outp) {
  return kavro_registry_get_kek(reg, argv[0], argv[1] != NULL, outp, NULL);
}

static kavro_err_t ask_dek(kavro_registry_t *reg, char **argv, void *outp) {
  return kavro_registry_get_dek(reg, argv[0], argv[1], atoi(argv[2]), argv[3],
                                false, outp, NULL);
}

static int run(kavro_registry_t *reg, const char *command, char **argv,
               int argc) {
  kavro_error_t error;
  kavro_err_t err = KAVRO_ERR_INVALID_ARG;
  kavro_kek_t *kek = NULL;
  kavro_dek_t *dek = NULL;
  if (strcmp(command, "get-kek") == 0 && argc >= 1) {
    err = kavro_registry_get_kek(reg, argv[0], argc > 1, &kek, &error);
    if (err == KAVRO_OK) {
      kavro_kek_t *cached = NULL;
      again_cached(reg, ask_kek, argv, &cached);
      kavro_kek_destroy(cached);
    }
  } else if (strcmp(command, "register-kek") == 0 && argc >= 3) {
    kavro_kek_t want = {.name = argv[0],
                        .kms_type = argv[1],
                        .kms_key_id = argv[2],
                        .shared = argc > 3};
    err = kavro_registry_register_kek(reg, &want, &kek, &error);
  } else if (strcmp(command, "get-dek") == 0 && argc >= 3) {
    err = kavro_registry_get_dek(reg, argv[0], argv[1], atoi(argv[2]),
                                 argc > 3 ? argv[3] : NULL, false, &dek,
                                 &error);
    if (err == KAVRO_OK) {
      kavro_dek_t *cached = NULL;
      char *args[] = {argv[0], argv[1], argv[2], argc > 3 ? argv[3] : NULL};
      again_cached(reg, ask_dek, args, &cached);
      kavro_dek_destroy(cached);
    }
  } else if (strcmp(command, "register-dek") == 0 && argc >= 4) {
    err = kavro_registry_register_dek(reg, argv[0], argv[1], atoi(argv[2]),
                                      NULL, argv[3], &dek, &error);
  } else {
    fprintf(stderr, "unknown command or missing arguments\n");
    return 2;
  }
  if (err != KAVRO_OK)
    return failed(err, &error);
  int status = kek ? print(kek_json(kek)) : print(dek_json(dek));
  kavro_kek_destroy(kek);
  kavro_dek_destroy(dek);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: dek_client URL COMMAND ARGS...\n");
    return 2;
  }
  kavro_conf_t *conf = kavro_conf_new();
  kavro_error_t error;
  if (!conf ||
      kavro_conf_set(conf, "schema.registry.url", argv[1], &error) !=
          KAVRO_OK) {
    fprintf(stderr, "configuration: %s\n", conf ? error.text : "no memory");
    kavro_conf_destroy(conf);
    return 2;
  }
  kavro_registry_t *reg = kavro_registry_new(conf, &error);
  if (!reg) {
    fprintf(stderr, "registry: %s\n", error.text);
    kavro_conf_destroy(conf);
    return 2;
  }
  int status = run(reg, argv[2], argv + 3, argc - 3);
  kavro_registry_destroy(reg);
  return status;
}
