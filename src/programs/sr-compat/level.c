/*
 * sr-compat - compatibility levels as a registry has them (see level.h).
 */
#include <string.h>

#include "level.h"
#include "util.h"

const char *sc_level_origin_name(sc_level_origin_t origin) {
  switch (origin) {
  case SC_LEVEL_SUBJECT:
    return "subject";
  case SC_LEVEL_GLOBAL:
    return "global";
  default:
    return "default";
  }
}

/* The registry has no such level (a subject without its own, or a
 * registry without a global one). */
static bool absent(kavro_err_t err) {
  return err == KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND ||
         err == KAVRO_ERR_SUBJECT_NOT_FOUND;
}

kavro_err_t sc_level_get(kavro_registry_t *registry, const char *subject,
                         sc_level_t *level, kavro_error_t *error) {
  memset(level, 0, sizeof(*level));
  kavro_err_t err = KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND;
  if (subject) {
    /* Without defaultToGlobal: to say where the level comes from. */
    err = kavro_registry_get_level(registry, subject, false, level->name, error);
    level->origin = SC_LEVEL_SUBJECT;
  }
  if (absent(err)) {
    err = kavro_registry_get_level(registry, NULL, false, level->name, error);
    level->origin = SC_LEVEL_GLOBAL;
  }
  if (absent(err)) {
    snprintf(level->name, sizeof(level->name), "%s",
             kavro_compat_level_name(KAVRO_COMPAT_BACKWARD));
    level->origin = SC_LEVEL_DEFAULT;
    err = KAVRO_OK;
  }
  return err;
}

json_t *sc_level_json(const sc_level_t *level) {
  return sc_xjson(json_pack("{s:s, s:s}", "level", level->name, "from",
                            sc_level_origin_name(level->origin)));
}

bool sc_level_format(const char *name, bool *json) {
  if (strcmp(name, "text") == 0)
    *json = false;
  else if (strcmp(name, "json") == 0)
    *json = true;
  else
    return false;
  return true;
}
