/*
 * sr-compat - what a Schema Registry holds of the files of one run: under
 * which version of its subject each file's current text is registered,
 * and from that the registry references ({name, subject, version}) a
 * schema that uses other files' types is registered or tested with.
 */
#ifndef SR_COMPAT_REGISTERED_H
#define SR_COMPAT_REGISTERED_H

#include <stdbool.h>

#include <kavro.h>

#include "fileset.h"

typedef struct sc_registered_s sc_registered_t;

/* A view of @registry (borrowed) for the files of @set (borrowed, already
 * ordered and loaded); @normalize is passed to every lookup. */
sc_registered_t *sc_registered_new(kavro_registry_t *registry,
                                   const sc_fileset_t *set, bool normalize);
void sc_registered_destroy(sc_registered_t *registered);

/*
 * The references @file is registered with: one per file it references, in
 * the order of @file->refs, each naming that file's type
 * (sc_file_type_name()), its subject (sc_file_subject()) and the version
 * under which its current text is registered there, looked up once when
 * not recorded.  A referenced file that is invalid, has no subject or is
 * not registered as it is now gives KAVRO_ERR_NOT_FOUND, and a version
 * that contradicts the catalog's KAVRO_ERR_INVALID_ARG, both naming the
 * files; registry failures pass through.  Stores a new array in @*refsp
 * (free() it; its strings belong to the files).
 */
kavro_err_t sc_registered_refs(sc_registered_t *registered,
                               const sc_file_t *file, kavro_schema_ref_t **refsp,
                               kavro_error_t *error);

/* Record that @file's current text is version @version of its subject. */
void sc_registered_record(sc_registered_t *registered, const sc_file_t *file,
                          int version);

#endif /* SR_COMPAT_REGISTERED_H */
