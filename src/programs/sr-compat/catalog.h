/*
 * sr-compat - the catalog (manifest) that maps topics to schema files,
 * subjects, compatibility levels, partition-key templates and the files
 * whose named types each schema uses.  The format is described in
 * doc/catalog.md.
 */
#ifndef SR_COMPAT_CATALOG_H
#define SR_COMPAT_CATALOG_H

#include <stdbool.h>

#include <kavro.h>

#include "fileset.h"

/* Where the catalog of the default location would be: avro/catalog.json at
 * the top of the git work tree holding the current directory (or in the
 * current directory outside git).  A new string when that file exists,
 * else NULL. */
char *sc_catalog_default(const char *cwd);

/*
 * Read the catalog at @path into @set: one topic per entry, each topic's
 * file and the files it references, with the references recorded on the
 * files.  Paths in the catalog are relative to its directory.  Every error
 * names the catalog and the JSON pointer of the entry at fault; unknown
 * members are errors, so a misspelt "refrences" does not pass unnoticed.
 */
kavro_err_t sc_catalog_load(sc_fileset_t *set, const char *path,
                            kavro_error_t *error);

#endif /* SR_COMPAT_CATALOG_H */
