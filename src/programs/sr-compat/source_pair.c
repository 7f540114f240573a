/*
 * sr-compat - one explicit pair (--against OLD NEW): OLD is the previous
 * version of NEW and of nothing else, so the files NEW references are
 * taken as they are now.
 */
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "util.h"

typedef struct pair_source_s {
  sc_source_t base;
  char *old;       /* as given */
  char *new_real;  /* canonical path of the candidate */
} pair_source_t;

static kavro_err_t pair_previous(sc_source_t *self, const sc_target_t *target,
                                 sc_versions_t *out, kavro_error_t *error) {
  pair_source_t *pair = (pair_source_t *)self;
  if (strcmp(target->real, pair->new_real) != 0)
    return KAVRO_OK;
  char *text;
  size_t length;
  kavro_err_t err = sc_read_file(pair->old, &text, &length, error);
  if (err == KAVRO_OK)
    sc_versions_add(out, text, length, sc_xstrdup(pair->old));
  return err;
}

static void pair_destroy(sc_source_t *self) {
  pair_source_t *pair = (pair_source_t *)self;
  free(pair->old);
  free(pair->new_real);
  free(pair);
}

kavro_err_t sc_source_pair_new(const char *old, const char *new_path,
                               sc_source_t **sourcep, kavro_error_t *error) {
  *sourcep = NULL;
  char *new_real = sc_realpath(new_path, error);
  if (!new_real)
    return KAVRO_ERR_IO;
  pair_source_t *pair = sc_xcalloc(1, sizeof(*pair));
  pair->old = sc_xstrdup(old);
  pair->new_real = new_real;
  pair->base.description = sc_xstrdup(old);
  pair->base.previous = pair_previous;
  pair->base.destroy = pair_destroy;
  *sourcep = &pair->base;
  return KAVRO_OK;
}
