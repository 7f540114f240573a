/*
 * sr-compat - previous versions from a git ref (--against-git REF), or
 * from a remote repository (--against URL#branch=B), cloned shallowly
 * into a temporary directory that is removed with the source.
 *
 * Each file is looked up at the ref under its path relative to the top of
 * the work tree, so the command works from any directory inside it.  A
 * file that did not exist at the ref is new: it has no previous version.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "git.h"
#include "source.h"
#include "util.h"

typedef struct git_source_s {
  sc_source_t base;
  char *top;    /* canonical top of the local work tree (or the current
                   directory outside one): paths are relative to it */
  char *repo;   /* where git looks for the ref: the top, or the clone */
  char *ref;
  char *label;  /* prefix of version labels: the ref, or the URL as given */
  char *clone;  /* the temporary directory of a clone, removed at the end */
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
  kavro_err_t err = sc_git_file_at(git->repo, git->ref, relative, target->path,
                                   &text, &length, error);
  if (err == KAVRO_OK && text)
    sc_versions_add(out, text, length,
                    sc_xasprintf("%s:%s", git->label, relative));
  free(relative);
  return err;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void git_destroy(sc_source_t *self) {
  git_source_t *git = (git_source_t *)self;
  if (git->clone)
    nftw(git->clone, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(git->clone);
  free(git->top);
  free(git->repo);
  free(git->ref);
  free(git->label);
  free(git);
}

static git_source_t *git_source(char *top, const char *ref) {
  git_source_t *git = sc_xcalloc(1, sizeof(*git));
  git->top = top;
  git->ref = sc_xstrdup(ref);
  git->base.previous = git_previous;
  git->base.destroy = git_destroy;
  return git;
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
  git_source_t *git = git_source(top, ref);
  git->repo = sc_xstrdup(top);
  git->label = sc_xstrdup(ref);
  git->base.description = sc_xasprintf("git ref %s", ref);
  *sourcep = &git->base;
  return KAVRO_OK;
}

bool sc_source_is_git_url(const char *arg) {
  if (strstr(arg, "://") || strncmp(arg, "git@", 4) == 0)
    return true;
  /* "../other.git" or "repo.git#branch=main": a local repository. */
  const char *end = strchr(arg, '#');
  size_t n = end ? (size_t)(end - arg) : strlen(arg);
  return n > 4 && strncmp(arg + n - 4, ".git", 4) == 0;
}

/* Split "URL#branch=B" (or tag=T) into @url and @branch (NULL: the
 * remote's default branch). */
static kavro_err_t parse_url(const char *arg, char **url, char **branch,
                             kavro_error_t *error) {
  const char *hash = strchr(arg, '#');
  *url = hash ? sc_xasprintf("%.*s", (int)(hash - arg), arg) : sc_xstrdup(arg);
  *branch = NULL;
  if (!hash)
    return KAVRO_OK;
  const char *option = hash + 1;
  const char *value = strchr(option, '=');
  if (value && ((value - option == 6 && strncmp(option, "branch", 6) == 0) ||
                (value - option == 3 && strncmp(option, "tag", 3) == 0)) &&
      value[1] && !strchr(value, ',')) {
    *branch = sc_xstrdup(value + 1);
    return KAVRO_OK;
  }
  free(*url);
  *url = NULL;
  return sc_fail(error, KAVRO_ERR_INVALID_ARG, arg,
                 "a git URL takes #branch=NAME or #tag=NAME after it");
}

kavro_err_t sc_source_remote_new(const char *cwd, const char *arg,
                                 sc_source_t **sourcep, kavro_error_t *error) {
  *sourcep = NULL;
  char *url, *branch;
  if (parse_url(arg, &url, &branch, error) != KAVRO_OK)
    return KAVRO_ERR_INVALID_ARG;
  const char *tmp = getenv("TMPDIR");
  char *dir = sc_xasprintf("%s/sr-compat-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  kavro_err_t err = KAVRO_OK;
  if (!mkdtemp(dir))
    err = sc_fail(error, KAVRO_ERR_IO, dir, "cannot make a directory for the "
                  "clone of %s", arg);
  char *dest = sc_path_join(dir, "repo");
  if (err == KAVRO_OK)
    err = sc_git_clone(url, branch, dest, arg, error);
  free(url);
  free(branch);
  char *top = err == KAVRO_OK ? sc_git_toplevel(cwd, NULL) : NULL;
  if (err == KAVRO_OK && !top)
    top = sc_xstrdup(cwd);
  git_source_t *git = git_source(top, "HEAD");
  git->clone = dir;
  git->repo = dest;
  git->label = sc_xstrdup(arg);
  if (err != KAVRO_OK) {
    git_destroy(&git->base);
    return err;
  }
  /* sc_source_destroy() frees it; git_destroy() alone does not. */
  git->base.description = sc_xasprintf("git %s", arg);
  *sourcep = &git->base;
  return KAVRO_OK;
}
