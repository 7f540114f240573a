/*
 * sr-compat - previous versions from the output of `sr-compat download`
 * (--against-dir DIR where DIR holds its catalog): answered by subject, as
 * the registry it was downloaded from would answer, from the files its
 * catalog maps to subjects.  Each is parsed with the downloaded schemas it
 * references, through the catalog, as a checkout is; the levels are the
 * ones the registry had.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "source.h"
#include "util.h"

typedef struct download_source_s {
  sc_source_t base;
  sc_fileset_t *set;   /* the download's catalog, loaded */
} download_source_t;

bool sc_source_is_download(const char *dir) {
  char *path = sc_path_join(dir, SC_DOWNLOAD_CATALOG);
  bool found = access(path, F_OK) == 0;
  free(path);
  return found;
}

/* The catalog entry of a version downloaded because it was asked for:
 * named after its subject (the others are "SUBJECT version N"). */
static const sc_topic_t *asked_entry(const download_source_t *d,
                                     const char *subject) {
  for (size_t i = 0; subject && i < d->set->topic_count; i++) {
    const sc_topic_t *t = &d->set->topics[i];
    if (strcmp(t->name, subject) == 0 && strcmp(t->subject, subject) == 0)
      return t;
  }
  return NULL;
}

/* The version number in the file name SUBJECT/vN.avsc. */
static int version_number(const char *path) {
  const char *base = strrchr(path, '/');
  int number = 0;
  return sscanf(base ? base + 1 : path, "v%d.avsc", &number) == 1 ? number : 0;
}

static kavro_err_t download_previous(sc_source_t *self,
                                     const sc_target_t *target,
                                     sc_versions_t *out, kavro_error_t *error) {
  download_source_t *d = (download_source_t *)self;
  const sc_topic_t *t = asked_entry(d, target->subject);
  if (!t)
    return KAVRO_OK;
  const sc_file_t *file = t->file;
  if (!file->schema) {
    *error = file->error;
    return error->code;
  }
  sc_versions_add_schema(out, kavro_schema_dup(file->schema),
                         version_number(file->path), sc_xstrdup(file->path));
  return KAVRO_OK;
}

static kavro_err_t download_level(sc_source_t *self, const sc_target_t *target,
                                  kavro_compat_level_t *level,
                                  kavro_error_t *error) {
  (void)error;
  const sc_topic_t *t = asked_entry((download_source_t *)self, target->subject);
  if (t && t->has_level)
    *level = t->level;
  return KAVRO_OK;
}

static void download_destroy(sc_source_t *self) {
  download_source_t *d = (download_source_t *)self;
  sc_fileset_destroy(d->set);
  free(d);
}

kavro_err_t sc_source_download_new(const char *dir, sc_source_t **sourcep,
                                   kavro_error_t *error) {
  *sourcep = NULL;
  sc_fileset_t *set = sc_fileset_new(error);
  if (!set)
    return error->code;
  char *path = sc_path_join(dir, SC_DOWNLOAD_CATALOG);
  kavro_err_t err = sc_catalog_load(set, path, error);
  free(path);
  for (size_t i = 0; err == KAVRO_OK && i < set->file_count; i++)
    sc_fileset_request(set->files[i]);
  if (err == KAVRO_OK)
    err = sc_fileset_order(set, error);
  if (err != KAVRO_OK) {
    sc_fileset_destroy(set);
    return err;
  }
  sc_fileset_load(set);
  download_source_t *d = sc_xcalloc(1, sizeof(*d));
  d->set = set;
  d->base.description = sc_xasprintf("download %s", dir);
  d->base.previous = download_previous;
  d->base.level = download_level;
  d->base.by_subject = true;
  d->base.destroy = download_destroy;
  *sourcep = &d->base;
  return KAVRO_OK;
}
