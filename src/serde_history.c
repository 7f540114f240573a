/*
 * kavro - a subject's history as the compatibility gate reads it: the
 * level that governs the subject and the previous versions that level
 * checks a new schema against.  The rule lives here once; the
 * serializer's gate and `sr-compat check --registry` both use it.
 */
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "kavro/serializer.h"
#include "serde_serializer_int.h"

kavro_err_t kavro_subject_level(kavro_registry_t *registry,
                                const char *subject,
                                kavro_compat_level_t *level,
                                kavro_error_t *error) {
  if (!registry || !subject || !level)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "registry, subject and level are required");
  char name[KAVRO_REGISTRY_NAME_SIZE];
  kavro_err_t err = kavro_registry_get_level(registry, subject, true, name,
                                             error);
  if (kv_registry_absent(err)) {
    /* The registry has nothing to say: its own default holds. */
    kv_error_clear(error);
    *level = KAVRO_COMPAT_BACKWARD;
    return KAVRO_OK;
  }
  if (err != KAVRO_OK)
    return err;
  if (kavro_compat_level_parse(name, level) != KAVRO_OK)
    return kv_error_set(error, KAVRO_ERR_BAD_RESPONSE,
                        "subject %s has the compatibility level \"%s\", "
                        "which kavro does not know",
                        subject, name);
  return KAVRO_OK;
}

void kavro_subject_versions_clear(kavro_subject_versions_t *versions) {
  if (!versions)
    return;
  for (size_t i = 0; i < versions->count; i++)
    kavro_schema_destroy(versions->schemas[i]);
  free(versions->schemas);
  free(versions->numbers);
  memset(versions, 0, sizeof(*versions));
}

kavro_err_t kavro_subject_versions_add(kavro_subject_versions_t *versions,
                                       kavro_schema_t *schema, int number) {
  kavro_schema_t **schemas =
      realloc(versions->schemas, (versions->count + 1) * sizeof(*schemas));
  if (schemas)
    versions->schemas = schemas;
  int *numbers =
      realloc(versions->numbers, (versions->count + 1) * sizeof(*numbers));
  if (numbers)
    versions->numbers = numbers;
  if (!schemas || !numbers)
    return KAVRO_ERR_NOMEM;
  versions->schemas[versions->count] = kavro_schema_dup(schema);
  versions->numbers[versions->count++] = number;
  return KAVRO_OK;
}

/* Append version @number (or KAVRO_REGISTRY_LATEST) of @subject. */
static kavro_err_t add_version(kavro_registry_t *registry, const char *subject,
                               int number, kavro_subject_versions_t *out,
                               kavro_error_t *error) {
  kavro_schema_t *schema = NULL;
  int found = number;
  kavro_err_t err = kavro_registry_get_version(registry, subject, number,
                                               &schema, NULL, &found, error);
  if (err != KAVRO_OK)
    return err;
  err = kavro_subject_versions_add(out, schema, found);
  kavro_schema_destroy(schema);
  return err ? kv_error_set(error, err, "out of memory") : KAVRO_OK;
}

kavro_err_t kavro_subject_previous(kavro_registry_t *registry,
                                   const char *subject,
                                   kavro_compat_level_t level,
                                   kavro_subject_versions_t *out,
                                   kavro_error_t *error) {
  if (out)
    memset(out, 0, sizeof(*out));
  if (!registry || !subject || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "registry, subject and out are required");
  if (level == KAVRO_COMPAT_NONE)
    return KAVRO_OK;
  kavro_err_t err;
  if (!kavro_compat_level_is_transitive(level)) {
    err = add_version(registry, subject, KAVRO_REGISTRY_LATEST, out, error);
  } else {
    int *numbers = NULL;
    size_t count = 0;
    err = kavro_registry_versions(registry, subject, false, &numbers, &count,
                                  error);
    for (size_t i = 0; err == KAVRO_OK && i < count; i++)
      err = add_version(registry, subject, numbers[i], out, error);
    free(numbers);
  }
  if (kv_registry_absent(err)) {
    /* A new subject (or one deleted under our feet): nothing to break. */
    kv_error_clear(error);
    err = KAVRO_OK;
  }
  if (err != KAVRO_OK)
    kavro_subject_versions_clear(out);
  return err;
}
