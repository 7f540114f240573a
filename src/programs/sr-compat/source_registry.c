/*
 * sr-compat - previous versions from a Schema Registry (--registry URL):
 * the versions registered under each file's subject, fetched and parsed
 * by the kavro client (which resolves their references), and the
 * subject's compatibility level as the registry has it.
 *
 * Which versions and which level: kavro_subject_previous() and
 * kavro_subject_level(), the rules the serializer's gate follows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "util.h"

typedef struct registry_source_s {
  sc_source_t base;
  kavro_registry_t *registry; /* borrowed */
} registry_source_t;

static kavro_err_t no_subject(const sc_target_t *target, kavro_error_t *error) {
  return sc_fail(error, KAVRO_ERR_INVALID_ARG, target->path,
                 "no registry subject for this file: name one with --subject "
                 "or --topic, or list the file in the catalog");
}

/* The versions the target's level checks against, by the gate's rule. */
static kavro_err_t registry_previous(sc_source_t *self,
                                     const sc_target_t *target,
                                     sc_versions_t *out, kavro_error_t *error) {
  registry_source_t *r = (registry_source_t *)self;
  if (!target->subject)
    return no_subject(target, error);
  kavro_subject_versions_t previous;
  kavro_err_t err = kavro_subject_previous(r->registry, target->subject,
                                           target->level, &previous, error);
  for (size_t i = 0; err == KAVRO_OK && i < previous.count; i++)
    sc_versions_add_schema(out, kavro_schema_dup(previous.schemas[i]),
                           previous.numbers[i],
                           sc_xasprintf("%s version %d", target->subject,
                                        previous.numbers[i]));
  kavro_subject_versions_clear(&previous);
  return err;
}

/* The subject's level, by the gate's rule. */
static kavro_err_t registry_level(sc_source_t *self, const sc_target_t *target,
                                  kavro_compat_level_t *level,
                                  kavro_error_t *error) {
  registry_source_t *r = (registry_source_t *)self;
  if (!target->subject)
    return no_subject(target, error);
  kavro_err_t err = kavro_subject_level(r->registry, target->subject, level,
                                        error);
  if (err == KAVRO_ERR_BAD_RESPONSE && error) {
    char text[KAVRO_ERROR_TEXT_LENGTH]; /* sc_fail() rewrites error->text */
    snprintf(text, sizeof(text), "%s", error->text);
    sc_fail(error, err, self->description, "%s", text);
  }
  return err;
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
