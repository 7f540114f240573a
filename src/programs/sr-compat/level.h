/*
 * sr-compat - compatibility levels as a registry has them, for
 * get-compatibility and set-compatibility: which level governs a subject
 * and where it comes from (the subject's own, the global one, or the
 * registry's default), and printing that in text or JSON.
 */
#ifndef SR_COMPAT_LEVEL_H
#define SR_COMPAT_LEVEL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>
#include <kavro.h>

/* Where a level comes from. */
typedef enum sc_level_origin_e {
  SC_LEVEL_SUBJECT, /* the subject's own */
  SC_LEVEL_GLOBAL,  /* the registry's global level */
  SC_LEVEL_DEFAULT  /* the registry says nothing: its default, BACKWARD */
} sc_level_origin_t;

typedef struct sc_level_s {
  char name[KAVRO_REGISTRY_NAME_SIZE]; /* as the registry spells it */
  sc_level_origin_t origin;
} sc_level_t;

/* "subject", "global", "default". */
const char *sc_level_origin_name(sc_level_origin_t origin);

/* The level that governs @subject (NULL: the global level), by the
 * registry's fallback: the subject's own, else the global one, else
 * BACKWARD. */
kavro_err_t sc_level_get(kavro_registry_t *registry, const char *subject,
                         sc_level_t *level, kavro_error_t *error);

/* {"level": ..., "from": ...} (a new reference). */
json_t *sc_level_json(const sc_level_t *level);

/* Parse --format of the registry administration commands: text or json.
 * Returns false for another name. */
bool sc_level_format(const char *name, bool *json);

#endif /* SR_COMPAT_LEVEL_H */
