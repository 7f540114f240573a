/*
 * sr-compat - previous versions from a directory of older copies
 * (--against-dir DIR): the previous version of `avro/a.avsc` is
 * `DIR/avro/a.avsc`, the file's path taken relative to the current
 * directory.  A file missing from DIR is new.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "source.h"
#include "util.h"

typedef struct dir_source_s {
  sc_source_t base;
  char *dir;  /* as given */
  char *cwd;  /* canonical */
} dir_source_t;

static kavro_err_t dir_previous(sc_source_t *self, const sc_target_t *target,
                                sc_versions_t *out, kavro_error_t *error) {
  dir_source_t *d = (dir_source_t *)self;
  char *relative = sc_path_relative(d->cwd, target->real);
  if (!relative)
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, target->path,
                   "--against-dir compares files under the current directory; "
                   "this one is outside it");
  char *path = sc_path_join(d->dir, relative);
  free(relative);
  struct stat st;
  if (stat(path, &st) != 0 && errno == ENOENT) {
    free(path);
    return KAVRO_OK;
  }
  char *text;
  size_t length;
  kavro_err_t err = sc_read_file(path, &text, &length, error);
  if (err == KAVRO_OK)
    sc_versions_add(out, text, length, path);
  else
    free(path);
  return err;
}

static void dir_destroy(sc_source_t *self) {
  dir_source_t *d = (dir_source_t *)self;
  free(d->dir);
  free(d->cwd);
  free(d);
}

kavro_err_t sc_source_dir_new(const char *cwd, const char *dir,
                              sc_source_t **sourcep, kavro_error_t *error) {
  *sourcep = NULL;
  struct stat st;
  if (stat(dir, &st) != 0)
    return sc_fail(error, KAVRO_ERR_IO, dir, "cannot open: %s",
                   strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return sc_fail(error, KAVRO_ERR_IO, dir,
                   "--against-dir needs a directory");
  dir_source_t *d = sc_xcalloc(1, sizeof(*d));
  d->dir = sc_xstrdup(dir);
  d->cwd = sc_xstrdup(cwd);
  d->base.description = sc_xasprintf("directory %s", dir);
  d->base.previous = dir_previous;
  d->base.destroy = dir_destroy;
  *sourcep = &d->base;
  return KAVRO_OK;
}
