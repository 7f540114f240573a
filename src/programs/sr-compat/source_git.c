/*
 * sr-compat - previous versions from a git ref (--against-git REF).
 *
 * Each file is looked up at the ref under its path relative to the top of
 * the work tree, so the command works from any directory inside it.  A
 * file that did not exist at the ref is new: it has no previous version.
 */
#include <stdlib.h>

#include "git.h"
#include "source.h"
#include "util.h"

typedef struct git_source_s {
  sc_source_t base;
  char *top;  /* canonical top of the work tree */
  char *ref;
} git_source_t;

static kavro_err_t git_previous(sc_source_t *self, const sc_target_t *target,
                                sc_versions_t *out, kavro_error_t *error) {
  git_source_t *git = (git_source_t *)self;
  char *relative = sc_path_relative(git->top, target->real);
  if (!relative)
    return sc_fail(error, KAVRO_ERR_INVALID_ARG, target->path,
                   "is outside the git work tree %s", git->top);
  char *text;
  size_t length = 0;
  kavro_err_t err = sc_git_file_at(git->top, git->ref, relative, target->path,
                                   &text, &length, error);
  if (err == KAVRO_OK && text)
    sc_versions_add(out, text, length,
                    sc_xasprintf("%s:%s", git->ref, relative));
  free(relative);
  return err;
}

static void git_destroy(sc_source_t *self) {
  git_source_t *git = (git_source_t *)self;
  free(git->top);
  free(git->ref);
  free(git);
}

kavro_err_t sc_source_git_new(const char *cwd, const char *ref,
                              sc_source_t **sourcep, kavro_error_t *error) {
  *sourcep = NULL;
  char *top = sc_git_toplevel(cwd, error);
  if (!top)
    return KAVRO_ERR_IO;
  kavro_err_t err = sc_git_verify_ref(top, ref, error);
  if (err != KAVRO_OK) {
    free(top);
    return err;
  }
  git_source_t *git = sc_xcalloc(1, sizeof(*git));
  git->top = top;
  git->ref = sc_xstrdup(ref);
  git->base.description = sc_xasprintf("git ref %s", ref);
  git->base.previous = git_previous;
  git->base.destroy = git_destroy;
  *sourcep = &git->base;
  return KAVRO_OK;
}
