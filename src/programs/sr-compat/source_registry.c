/*
 * sr-compat - previous versions from a Schema Registry (--registry URL):
 * the versions registered under each file's subject, fetched and parsed
 * by the kavro client (which resolves their references), and the
 * subject's compatibility level as the registry has it.
 *
 * Only the latest version is fetched unless the level is _TRANSITIVE,
 * which checks against every version.  A subject the registry does not
 * know is new: nothing to break.
 */
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "util.h"

typedef struct registry_source_s {
  sc_source_t base;
  kavro_registry_t *registry; /* borrowed */
} registry_source_t;

static bool transitive(kavro_compat_level_t level) {
  return level == KAVRO_COMPAT_BACKWARD_TRANSITIVE ||
         level == KAVRO_COMPAT_FORWARD_TRANSITIVE ||
         level == KAVRO_COMPAT_FULL_TRANSITIVE;
}

static kavro_err_t no_subject(const sc_target_t *target, kavro_error_t *error) {
  return sc_fail(error, KAVRO_ERR_INVALID_ARG, target->path,
                 "no registry subject for this file: name one with --subject "
                 "or --topic, or list the file in the catalog");
}

static kavro_err_t fetch_version(registry_source_t *r, const char *subject,
                                 int number, sc_versions_t *out,
                                 kavro_error_t *error) {
  kavro_schema_t *schema = NULL;
  int id = 0;
  kavro_err_t err = kavro_registry_get_version(r->registry, subject, number,
                                               &schema, &id, NULL, error);
  if (err == KAVRO_OK)
    sc_versions_add_schema(out, schema, number,
                           sc_xasprintf("%s version %d", subject, number));
  return err;
}

static kavro_err_t registry_previous(sc_source_t *self,
                                     const sc_target_t *target,
                                     sc_versions_t *out, kavro_error_t *error) {
  registry_source_t *r = (registry_source_t *)self;
  if (!target->subject)
    return no_subject(target, error);
  int *numbers = NULL;
  size_t count = 0;
  kavro_err_t err = kavro_registry_versions(r->registry, target->subject, false,
                                            &numbers, &count, error);
  if (err == KAVRO_ERR_SUBJECT_NOT_FOUND)
    return KAVRO_OK;
  size_t first = transitive(target->level) || count == 0 ? 0 : count - 1;
  for (size_t i = first; err == KAVRO_OK && i < count; i++)
    err = fetch_version(r, target->subject, numbers[i], out, error);
  free(numbers);
  return err;
}

/* The subject's level, else the global one; BACKWARD (the registry's own
 * default) when the registry has neither. */
static kavro_err_t registry_level(sc_source_t *self, const sc_target_t *target,
                                  kavro_compat_level_t *level,
                                  kavro_error_t *error) {
  registry_source_t *r = (registry_source_t *)self;
  if (!target->subject)
    return no_subject(target, error);
  char name[KAVRO_REGISTRY_NAME_SIZE];
  kavro_err_t err =
      kavro_registry_get_level(r->registry, target->subject, true, name, error);
  if (err == KAVRO_ERR_SUBJECT_LEVEL_NOT_FOUND ||
      err == KAVRO_ERR_SUBJECT_NOT_FOUND) {
    *level = KAVRO_COMPAT_BACKWARD;
    return KAVRO_OK;
  }
  if (err != KAVRO_OK)
    return err;
  if (kavro_compat_level_parse(name, level) != KAVRO_OK)
    return sc_fail(error, KAVRO_ERR_BAD_RESPONSE, self->description,
                   "subject %s has the compatibility level \"%s\", which "
                   "kavro does not know", target->subject, name);
  return KAVRO_OK;
}

static void registry_destroy(sc_source_t *self) { free(self); }

kavro_err_t sc_source_registry_new(kavro_registry_t *registry,
                                   const char *shown_url, sc_source_t **sourcep,
                                   kavro_error_t *error) {
  (void)error;
  registry_source_t *r = sc_xcalloc(1, sizeof(*r));
  r->registry = registry;
  r->base.description = sc_xasprintf("registry %s", shown_url);
  r->base.previous = registry_previous;
  r->base.level = registry_level;
  r->base.by_subject = true;
  r->base.destroy = registry_destroy;
  *sourcep = &r->base;
  return KAVRO_OK;
}
