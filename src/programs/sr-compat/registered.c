/*
 * sr-compat - what a registry holds of the files of a run (see
 * registered.h).
 *
 * Files are ordered so that a file comes after the files it references,
 * and references cannot form a cycle, so looking a referenced file up
 * (which needs its own references first) always ends.
 */
#include <stdlib.h>

#include "registered.h"
#include "util.h"

/* What is known of one file. */
typedef struct known_s {
  int version;  /* > 0: registered as this version of its subject */
  bool missing; /* looked up: not registered as it is now */
} known_t;

struct sc_registered_s {
  kavro_registry_t *registry;
  bool normalize;
  known_t *files; /* indexed like the set's files */
};

sc_registered_t *sc_registered_new(kavro_registry_t *registry,
                                   const sc_fileset_t *set, bool normalize) {
  sc_registered_t *r = sc_xcalloc(1, sizeof(*r));
  r->registry = registry;
  r->normalize = normalize;
  r->files = sc_xcalloc(set->file_count, sizeof(*r->files));
  return r;
}

void sc_registered_destroy(sc_registered_t *registered) {
  if (!registered)
    return;
  free(registered->files);
  free(registered);
}

void sc_registered_record(sc_registered_t *registered, const sc_file_t *file,
                          int version) {
  registered->files[file->index] = (known_t){version, false};
}

static kavro_err_t not_registered(const sc_file_t *file, const sc_file_t *ref,
                                  const char *subject, kavro_error_t *error) {
  return sc_fail(error, KAVRO_ERR_NOT_FOUND, file->path,
                 "uses types from %s, which is not registered as it is now "
                 "under subject %s (register it first)",
                 ref->path, subject);
}

/* Find the version under which @ref's current text is registered. */
static kavro_err_t look_up(sc_registered_t *r, const sc_file_t *ref,
                           const char *subject, kavro_error_t *error) {
  kavro_schema_ref_t *refs = NULL;
  kavro_err_t err = sc_registered_refs(r, ref, &refs, error);
  int version = 0;
  if (err == KAVRO_OK)
    err = kavro_registry_lookup(r->registry, subject, ref->schema, refs,
                                ref->ref_count, r->normalize, NULL, &version,
                                error);
  free(refs);
  if (err == KAVRO_ERR_SCHEMA_NOT_FOUND || err == KAVRO_ERR_SUBJECT_NOT_FOUND ||
      err == KAVRO_ERR_NOT_FOUND) {
    r->files[ref->index].missing = true;
    return KAVRO_ERR_NOT_FOUND;
  }
  if (err == KAVRO_OK)
    r->files[ref->index].version = version;
  return err;
}

/* The version of @ref that @file's reference points at. */
static kavro_err_t ref_version(sc_registered_t *r, const sc_file_t *file,
                               const sc_file_t *ref, const char *subject,
                               int *versionp, kavro_error_t *error) {
  known_t *known = &r->files[ref->index];
  if (!known->version && !known->missing) {
    kavro_err_t err = look_up(r, ref, subject, error);
    if (err != KAVRO_OK && err != KAVRO_ERR_NOT_FOUND)
      return err;
  }
  if (known->missing)
    return not_registered(file, ref, subject, error);
  if (ref->ref_version && ref->ref_version != known->version)
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, file->path,
                   "the catalog pins %s at version %d of subject %s, but its "
                   "current text is version %d there",
                   ref->path, ref->ref_version, subject, known->version);
  *versionp = known->version;
  return KAVRO_OK;
}

kavro_err_t sc_registered_refs(sc_registered_t *registered,
                               const sc_file_t *file, kavro_schema_ref_t **refsp,
                               kavro_error_t *error) {
  kavro_schema_ref_t *refs = sc_xcalloc(file->ref_count, sizeof(*refs));
  kavro_err_t err = KAVRO_OK;
  for (size_t i = 0; err == KAVRO_OK && i < file->ref_count; i++) {
    const sc_file_t *ref = file->refs[i];
    const char *subject = sc_file_subject(ref);
    refs[i].name = sc_file_type_name(ref);
    refs[i].subject = subject;
    if (!ref->schema || !subject)
      err = sc_fail(error, KAVRO_ERR_NOT_FOUND, file->path,
                    "uses types from %s, which is not a valid schema",
                    ref->path);
    else
      err = ref_version(registered, file, ref, subject, &refs[i].version,
                        error);
  }
  if (err != KAVRO_OK) {
    free(refs);
    refs = NULL;
  }
  *refsp = refs;
  return err;
}
